// Worlds that are large where it used to hurt: many operations that finish at once in one
// hop (they used to recurse once each and overflow the stack), and many workgroup hosts
// (each is a domain; the directory used to derive a key for every pair of domains).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "net/asio_runtime.h"
#include "nodes/envelope.h"
#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

namespace delegsim::sim {
namespace {

using ::testing::SizeIs;

constexpr int kOperations = 4000;

std::unique_ptr<World> BuildAndRun(const std::string& json, bool tcp = false) {
  LoadResult r = LoadScenarioText(json, "generated.json");
  for (const Problem& p : r.problems) ADD_FAILURE() << p.ToString();
  if (!r.ok()) return nullptr;
  std::unique_ptr<nodes::Runtime> rt;
  if (tcp) {
    rt = std::make_unique<net::AsioRuntime>();
  } else {
    rt = std::make_unique<VirtualRuntime>();
  }
  StatusOr<std::unique_ptr<World>> w = World::Build(std::move(*r.scenario), std::move(rt));
  if (!w.ok()) {
    ADD_FAILURE() << w.status().ToString();
    return nullptr;
  }
  (*w)->KeepTrace(false);
  Status st = (*w)->Run();
  EXPECT_TRUE(st.ok()) << st.ToString();
  for (const CallOutcome& o : (*w)->outcomes()) EXPECT_TRUE(o.status.ok()) << o.label;
  return std::move(w).value();
}

// `count` copies of `op`, as a JSON array's elements.
std::string Repeat(const std::string& op, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += (i ? "," : "") + op;
  return out;
}

// 4,000 onward calls from a hop entered at identify level: each is refused at the caller
// (IL-3) without a message, so each finishes at once. They run as a loop (a recursion per
// call overflowed the stack, exit 139, on this 57 KB file).
TEST(Scale, FourThousandCallsRefusedAtOneHopRunAsALoop) {
  const std::string json = R"({
  "name": "refused-calls", "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"},
            {"name": "db1", "domain": "CORP.EXAMPLE"}],
  "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE"},
    {"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/web1.corp.example"]},
    {"name": "svc_db", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["mssql/db1.corp.example"]}],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"},
               {"name": "db", "host": "db1", "account": "svc_db"}],
  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "level": "identify",
             "then": [)" + Repeat(R"({"call": "db"})", kOperations) +
                           R"(]}]
})";
  ASSERT_GT(json.size(), 50'000u);
  std::unique_ptr<World> w = BuildAndRun(json);
  ASSERT_NE(w, nullptr);
  const v1::HopResult* web = FindHop(w->outcomes(), "c1/web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->verdict(), "allowed");
  ASSERT_THAT(web->children(), SizeIs(kOperations));
  EXPECT_EQ(web->children(0).path(), "c1/web/db");
  const v1::HopResult& last = web->children(kOperations - 1);
  EXPECT_EQ(last.path(), "c1/web/db#" + std::to_string(kOperations));
  for (const v1::HopResult& child : web->children()) {
    ASSERT_EQ(child.verdict(), "denied") << child.path();
    ASSERT_EQ(RecordRules(child.decision()).front(), "IL-3") << child.path();
  }
}

// 4,000 LogonUser calls with a wrong password on a workgroup host: the host's own account
// database refuses each at once (DS-12), again as a loop.
TEST(Scale, FourThousandLocalLogonsRunAsALoop) {
  const std::string json =
      R"({
  "name": "local-logons",
  "hosts": [{"name": "lab1"}],
  "accounts": [{"name": "operator", "domain": "lab1", "password": "op-pw"},
               {"name": "labsvc", "type": "service", "domain": "lab1", "password": "svc-pw"}],
  "services": [{"name": "lab", "host": "lab1", "account": "labsvc"}],
  "steps": [{"name": "c1", "user": "operator", "from": "lab1", "call": "lab", "level": "impersonate",
             "then": [)" +
      Repeat(R"({"logon_user": "operator", "password": "wrong"})", kOperations) +
      R"(]}]
})";
  std::unique_ptr<World> w = BuildAndRun(json);
  ASSERT_NE(w, nullptr);
  const v1::HopResult* lab = FindHop(w->outcomes(), "c1/lab");
  ASSERT_NE(lab, nullptr);
  EXPECT_EQ(lab->verdict(), "allowed");
  ASSERT_THAT(lab->ops(), SizeIs(kOperations));
  for (const v1::OpResult& op : lab->ops()) {
    ASSERT_EQ(op.verdict(), "denied");
    ASSERT_EQ(RecordRules(op.decision()).front(), "DS-12");
  }
}

// 16,000 workgroup hosts, each a domain of its own, with a local user each, and a call on
// one of them: the world builds and runs (a key per pair of domains, 256 million of them,
// never finished).
TEST(Scale, SixteenThousandWorkgroupHostsBuild) {
  constexpr int kHosts = 16'000;
  std::string hosts, accounts;
  for (int i = 0; i < kHosts; ++i) {
    std::string n = std::to_string(i);
    hosts += (i ? "," : "") + std::string(R"({"name": "wg)") + n + R"("})";
    accounts += (i ? "," : "") + std::string(R"({"name": "user)") + n + R"(", "domain": "wg)" + n +
                R"(", "password": "pw"})";
  }
  const std::string json = R"({"name": "workgroups", "hosts": [)" + hosts + R"(], "accounts": [)" +
                           accounts +
                           R"(, {"name": "labsvc", "type": "service", "domain": "wg7"}],
  "services": [{"name": "lab", "host": "wg7", "account": "labsvc"}],
  "steps": [{"name": "c1", "user": "user7", "from": "wg7", "call": "lab", "level": "impersonate"}],
  "expect": [{"path": "c1/lab", "verdict": "allowed", "identity": "user7@wg7"}]})";
  std::unique_ptr<World> w = BuildAndRun(json);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->directory().domains().size(), static_cast<size_t>(kHosts));
  ExpectationReport report = CheckExpectations(w->scenario(), w->outcomes());
  EXPECT_EQ(report.failed, 0);
  EXPECT_EQ(report.passed, 1);
}

// A chain of `hops` services, each trusted for delegation and calling the next at
// delegate level; `options` is the scenario's options object.
std::string Chain(int hops, const std::string& options) {
  std::string hosts = R"({"name": "ws", "domain": "CORP.EXAMPLE"})";
  std::string accounts = R"({"name": "alice", "domain": "CORP.EXAMPLE", "password": "pw"})";
  std::string services;
  for (int i = 1; i <= hops; ++i) {
    std::string n = std::to_string(i);
    hosts += R"(, {"name": "h)" + n + R"(", "domain": "CORP.EXAMPLE"})";
    accounts += R"(, {"name": "svc)" + n +
                R"(", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/h)" + n +
                R"(.corp.example"], "trusted_for_delegation": true})";
    services += (i > 1 ? ", " : "") + std::string(R"({"name": "s)") + n + R"(", "host": "h)" + n +
                R"(", "account": "svc)" + n + R"("})";
  }
  std::string call = R"("call": "s)" + std::to_string(hops) + R"(", "level": "delegate")";
  for (int i = hops - 1; i >= 1; --i) {
    call =
        R"("call": "s)" + std::to_string(i) + R"(", "level": "delegate", "then": [{)" + call + "}]";
  }
  return R"({"name": "chain", "options": )" + options +
         R"(, "domains": [{"name": "CORP.EXAMPLE"}], "hosts": [)" + hosts + R"(], "accounts": [)" +
         accounts + R"(], "services": [)" + services +
         R"(], "steps": [{"name": "c1", "user": "alice", "from": "ws", )" + call + "}]}";
}

std::string ChainPath(int hops) {
  std::string path = "c1";
  for (int i = 1; i <= hops; ++i) path += "/s" + std::to_string(i);
  return path;
}

// The longest chain the simulator runs, under both runtimes: every hop carries alice's
// TGT on, and the first call's envelope (which carries the whole chain) decodes.
TEST(Scale, ChainOfTheLongestHopLimitRunsUnderBothRuntimes) {
  constexpr int kHops = nodes::kMaxChainHops;
  for (bool tcp : {false, true}) {
    SCOPED_TRACE(tcp ? "tcp" : "virtual");
    std::unique_ptr<World> w =
        BuildAndRun(Chain(kHops, R"({"hop_limit": )" + std::to_string(kHops) + "}"), tcp);
    ASSERT_NE(w, nullptr);
    const v1::HopResult* last = FindHop(w->outcomes(), ChainPath(kHops));
    ASSERT_NE(last, nullptr);
    EXPECT_EQ(last->verdict(), "allowed");
    EXPECT_EQ(HopLevel(*last), "delegate");
  }
}

// One hop more than the hop limit: DS-4 refuses it and names the limit it applied.
TEST(Scale, ChainPastTheHopLimitIsRefusedByDs4) {
  for (auto [hops, options, limit] :
       {std::tuple{nodes::kMaxChainHops + 1, "{\"hop_limit\": 100}", 100},
        std::tuple{40, "{}", 16}}) {
    std::unique_ptr<World> w = BuildAndRun(Chain(hops, options));
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(FindHop(w->outcomes(), ChainPath(limit))->verdict(), "allowed");
    const v1::HopResult* refused = FindHop(w->outcomes(), ChainPath(limit + 1));
    ASSERT_NE(refused, nullptr);
    EXPECT_EQ(refused->verdict(), "denied");
    EXPECT_EQ(refused->decision().rule(), "DS-4");
    EXPECT_THAT(HopFacts(*refused), ::testing::Contains("hop_limit=" + std::to_string(limit)));
  }
}

// The loader names the limit a scenario goes past.
TEST(Scale, LoaderNamesTheChainLimits) {
  LoadResult r = LoadScenarioText(Chain(3, R"({"hop_limit": 101})"), "t.json");
  ASSERT_THAT(r.problems, SizeIs(1));
  EXPECT_EQ(r.problems[0].path, "$.options.hop_limit");
  EXPECT_EQ(r.problems[0].message, "expected an integer from 1 to 100, got 101");

  r = LoadScenarioText(Chain(kMaxOperationDepth + 2, "{}"), "t.json");
  ASSERT_THAT(r.problems, SizeIs(1));
  EXPECT_EQ(r.problems[0].message,
            "operations nested deeper than 120 levels (the nesting limit; a chain has at most 100 "
            "hops)");
}

// On the wire: the deepest call a scenario can make decodes; a deeper envelope is refused
// with a message that names the envelope recursion limit.
TEST(Scale, EnvelopeNestingLimitCoversEveryLoadableCall) {
  auto nested = [](int levels) {
    v1::Envelope env;
    google::protobuf::RepeatedPtrField<v1::Operation>* ops = env.mutable_call()->mutable_ops();
    for (int i = 0; i < levels; ++i) {
      v1::CallSpec* call = ops->Add()->mutable_call();
      call->set_service("s");
      ops = call->mutable_ops();
    }
    ops->Add()->mutable_open()->set_object("orders");
    return env.SerializeAsString();
  };
  v1::Envelope env;
  EXPECT_TRUE(nodes::ParseEnvelope(nested(kMaxOperationDepth), env).ok());
  EXPECT_EQ(env.call().ops(0).call().service(), "s");
  Status deep = nodes::ParseEnvelope(nested(nodes::kEnvelopeRecursionLimit / 2), env);
  EXPECT_EQ(deep.message(),
            "nests deeper than 256 messages (the envelope recursion limit; a chain has at most "
            "100 hops)");
  EXPECT_EQ(nodes::ParseEnvelope("\xff\xff", env).message(), "is not a v1::Envelope");
}

}  // namespace
}  // namespace delegsim::sim
