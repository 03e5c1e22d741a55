// Worlds that are large where it used to hurt: many operations that finish at once in one
// hop (they used to recurse once each and overflow the stack), and many workgroup hosts
// (each is a domain; the directory used to derive a key for every pair of domains).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

namespace delegsim::sim {
namespace {

using ::testing::SizeIs;

constexpr int kOperations = 4000;

std::unique_ptr<World> BuildAndRun(const std::string& json) {
  LoadResult r = LoadScenarioText(json, "generated.json");
  for (const Problem& p : r.problems) ADD_FAILURE() << p.ToString();
  if (!r.ok()) return nullptr;
  StatusOr<std::unique_ptr<World>> w =
      World::Build(std::move(*r.scenario), std::make_unique<VirtualRuntime>());
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

}  // namespace
}  // namespace delegsim::sim
