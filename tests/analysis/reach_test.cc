// `delegsim reach` on the library: each mechanism is found with the rule ids that decide
// it; compromised keys give exactly what S4U and unconstrained delegation allow; invariants
// hold or break with a counterexample; bad queries are refused with did-you-mean.
#include "analysis/reach.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "analysis/invariants.h"
#include "analysis/prober.h"
#include "cli/commands.h"
#include "cli/reach_command.h"
#include "sim/loader.h"

namespace delegsim::analysis {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::string Scenario(const std::string& name) {
  const char* root = std::getenv("DELEGSIM_SOURCE_DIR");
  return std::string(root ? root : DELEGSIM_BUILT_FROM_SOURCE_DIR) + "/scenarios/" + name + ".json";
}

class Lab {
 public:
  explicit Lab(const std::string& name) {
    sim::LoadResult r = sim::LoadScenarioFile(Scenario(name));
    EXPECT_TRUE(r.ok()) << name;
    prober_ = std::make_unique<Prober>(*r.scenario);
    EXPECT_TRUE(prober_->status().ok()) << prober_->status().ToString();
  }
  std::vector<Flow> Identity(const std::string& who) {
    Reach reach(*prober_, {});
    StatusOr<std::vector<Flow>> flows = reach.ForIdentity(*prober_->directory().Find(who));
    EXPECT_TRUE(flows.ok()) << flows.status().ToString();
    return flows.ok() ? *flows : std::vector<Flow>();
  }
  std::vector<Flow> Compromised(const std::string& who, std::vector<std::string> coerce = {}) {
    ReachOptions options;
    for (const std::string& c : coerce) options.coerce.push_back(*prober_->directory().Find(c));
    Reach reach(*prober_, options);
    StatusOr<std::vector<Flow>> flows = reach.ForCompromised({*prober_->directory().Find(who)});
    EXPECT_TRUE(flows.ok()) << flows.status().ToString();
    return flows.ok() ? *flows : std::vector<Flow>();
  }
  Prober& prober() { return *prober_; }

 private:
  std::unique_ptr<Prober> prober_;
};

// The first flow of `identity` at `service` by `mechanism`, or nullptr.
const Flow* Find(const std::vector<Flow>& flows, const std::string& identity,
                 const std::string& service, Mechanism mechanism) {
  for (const Flow& f : flows) {
    if (f.identity == identity && f.service == service && f.mechanism == mechanism) return &f;
  }
  return nullptr;
}

TEST(Reach, UnconstrainedCarriesTheTgtOnward) {
  Lab lab("two-hop");
  std::vector<Flow> flows = lab.Identity("alice");
  const Flow* web = Find(flows, "alice@CORP.EXAMPLE", "web", Mechanism::kDirect);
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->net_creds, "tgt");
  EXPECT_EQ(web->level, "delegate");
  EXPECT_THAT(web->rules, Contains("IL-5"));
  EXPECT_THAT(web->rules, Contains("UD-3"));
  const Flow* db = Find(flows, "alice@CORP.EXAMPLE", "db", Mechanism::kUnconstrained);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->chain, (std::vector<std::string>{"web", "db"}));
}

TEST(Reach, ConstrainedDelegationReachesOnlyTheA2D2Target) {
  Lab lab("kcd-admins-limit-delegation-targets");
  std::vector<Flow> flows = lab.Identity("alice");
  const Flow* db = Find(flows, "alice@CORP.EXAMPLE", "db", Mechanism::kConstrained);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->rules, Contains("KCD-1"));
  EXPECT_EQ(Find(flows, "alice@CORP.EXAMPLE", "files", Mechanism::kConstrained), nullptr);
}

TEST(Reach, RbcdIsNamedByRb1) {
  Lab lab("rbcd-resource-decides-who-may-delegate");
  std::vector<Flow> flows = lab.Identity("alice");
  const Flow* db = Find(flows, "alice@CORP.EXAMPLE", "db", Mechanism::kRbcd);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->rules, Contains("RB-1"));
  EXPECT_EQ(Find(flows, "alice@CORP.EXAMPLE", "files", Mechanism::kRbcd), nullptr);
}

TEST(Reach, NcalrpcGivesOneNetworkHop) {
  Lab lab("ncalrpc-second-network-hop-names-lc-3");
  std::vector<Flow> flows = lab.Identity("alice");
  const Flow* lb = Find(flows, "alice@CORP.EXAMPLE", "lb", Mechanism::kDirect);
  ASSERT_NE(lb, nullptr);
  EXPECT_EQ(lb->net_creds, "own_session");
  EXPECT_THAT(lb->rules, Contains("LC-1"));
  const Flow* c = Find(flows, "alice@CORP.EXAMPLE", "c", Mechanism::kLocalSession);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->chain, (std::vector<std::string>{"lb", "c"}));
  // c holds alice's ticket as S4U2proxy evidence with no A2D2 (KCD-7); no A2D2 or RBCD entry
  // accepts it, so reach goes no further than c's own host (IL-4).
  EXPECT_EQ(c->net_creds, "s4u_proxy{}");
}

TEST(Reach, LogonUserWithAStoredPassword) {
  Lab lab("seed-b-child-process-network-credentials");
  std::vector<Flow> flows = lab.Identity("bob");
  const Flow* db = Find(flows, "bob@CORP.EXAMPLE", "db", Mechanism::kLogonUser);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->replay.hops.back().logon_user, "bob");
}

TEST(Reach, SensitiveUserIsNeverDelegated) {
  // AC-1: no forwarded TGT, no S4U2proxy; only her own logon session goes one hop (LC-1).
  Lab lab("protocol-transition-ntlm-front-end");
  std::vector<Flow> flows = lab.Identity("carol");
  ASSERT_FALSE(flows.empty());
  for (const Flow& f : flows) {
    EXPECT_TRUE(f.mechanism == Mechanism::kDirect || f.mechanism == Mechanism::kLocalSession)
        << Prober::Describe(f.replay) << " " << MechanismName(f.mechanism);
    EXPECT_NE(f.net_creds, "tgt") << Prober::Describe(f.replay);
  }
}

TEST(Reach, CompromisedKeysGiveProtocolTransitionForEveryoneButTheSensitive) {
  Lab lab("protocol-transition-ntlm-front-end");
  std::vector<Flow> flows = lab.Compromised("svc_any");
  const Flow* alice = Find(flows, "alice@CORP.EXAMPLE", "db", Mechanism::kProtocolTransition);
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->via, "svc_any");
  EXPECT_THAT(alice->rules, Contains("AC-3"));
  EXPECT_THAT(alice->rules, Contains("KCD-1"));
  for (const Flow& f : flows) EXPECT_NE(f.identity, "carol@CORP.EXAMPLE");
  // Without T2A4D the S4U2self ticket is not forwardable (S4U-2): nothing at all.
  EXPECT_TRUE(lab.Compromised("svc_kerb").empty());
}

TEST(Reach, CompromisedUnconstrainedHostCollectsCoercedTgts) {
  Lab lab("two-hop");
  EXPECT_TRUE(lab.Compromised("svc_web").empty());
  std::vector<Flow> flows = lab.Compromised("svc_web", {"alice"});
  const Flow* db = Find(flows, "alice@CORP.EXAMPLE", "db", Mechanism::kUnconstrained);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->via, "svc_web");
}

TEST(Reach, ToAServiceListsIdentitiesAndAttackers) {
  Lab lab("protocol-transition-ntlm-front-end");
  Reach reach(lab.prober(), {});
  StatusOr<std::vector<Flow>> flows = reach.ToServices({"db"});
  ASSERT_TRUE(flows.ok());
  bool direct = false, via_key = false;
  for (const Flow& f : *flows) {
    EXPECT_EQ(f.service, "db");
    direct = direct || (f.identity == "alice@CORP.EXAMPLE" && f.via.empty());
    via_key = via_key || f.via == "svc_any";
  }
  EXPECT_TRUE(direct);
  EXPECT_TRUE(via_key);
}

TEST(Reach, MaxFlowsStopsWithAClearMessage) {
  Lab lab("two-hop");
  ReachOptions options;
  options.max_flows = 2;
  Reach reach(lab.prober(), options);
  StatusOr<std::vector<Flow>> flows = reach.ForIdentity(*lab.prober().directory().Find("alice"));
  ASSERT_FALSE(flows.ok());
  EXPECT_THAT(flows.status().message(), HasSubstr("--max-flows"));
}

// --- Invariants.

constexpr std::string_view kTiers = R"({
  "name": "tiers", "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "web1", "domain": "CORP.EXAMPLE"}, {"name": "files1", "domain": "CORP.EXAMPLE"}],
  "accounts": [
    {"name": "adm", "domain": "CORP.EXAMPLE", "member_of": ["Tier0"]},
    {"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/web1"],
     "trusted_for_delegation": TD},
    {"name": "svc_files", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["cifs/files1"],
     "member_of": ["Tier1Servers"]}],
  "groups": [{"name": "Tier0", "domain": "CORP.EXAMPLE"},
             {"name": "Tier1Servers", "domain": "CORP.EXAMPLE"}],
  "services": [
    {"name": "web", "host": "web1", "account": "svc_web", "transports": ["ncacn_ip_tcp"]},
    {"name": "files", "host": "files1", "account": "svc_files", "transports": ["ncacn_ip_tcp"]}],
  "invariants": [
    {"name": "tgt-stays-home", "no_reach": {"identities": ["Tier0"], "targets": ["host:web1"],
                                            "min_level": "delegate"}},
    {"name": "files-only-via-web", "only_through": {"service": "files", "via": ["web"]}}]
})";

std::string Tiers(bool td) {
  std::string s(kTiers);
  s.replace(s.find("TD"), 2, td ? "true" : "false");
  return s;
}

TEST(Invariants, HoldOrBreakWithAReplayableCounterexample) {
  for (bool td : {false, true}) {
    sim::LoadResult r = sim::LoadScenarioText(Tiers(td), "tiers.json");
    ASSERT_TRUE(r.ok()) << r.problems.front().ToString();
    Prober prober(*r.scenario);
    Status status;
    std::vector<Violation> broken = CheckInvariants(prober, r.scenario->invariants, 4, &status);
    ASSERT_TRUE(status.ok());
    // files is always reachable directly, never only through web.
    ASSERT_FALSE(broken.empty());
    EXPECT_EQ(broken.back().invariant->name, "files-only-via-web");
    EXPECT_EQ(broken.back().counterexample.chain, std::vector<std::string>{"files"});
    if (!td) {
      EXPECT_EQ(broken.size(), 1u);
      continue;
    }
    // Trusted for delegation: adm's TGT lands on web1 (IL-5).
    ASSERT_EQ(broken.size(), 2u);
    EXPECT_EQ(broken[0].invariant->name, "tgt-stays-home");
    EXPECT_EQ(broken[0].counterexample.identity, "adm@CORP.EXAMPLE");
    EXPECT_EQ(broken[0].counterexample.net_creds, "tgt");
    EXPECT_THAT(broken[0].counterexample.rules, Contains("IL-5"));
  }
}

TEST(Invariants, UnknownNamesAreLocatedWithDidYouMean) {
  std::string s = Tiers(false);
  s.replace(s.find("[\"Tier0\"], \"targets\""), 9, "[\"Tier00\"]");
  s.replace(s.find("\"via\": [\"web\"]"), 14, "\"via\": [\"wbe\"]");
  sim::LoadResult r = sim::LoadScenarioText(s, "tiers.json");
  ASSERT_FALSE(r.ok());
  std::vector<std::string> problems;
  for (const sim::Problem& p : r.problems) problems.push_back(p.ToString());
  EXPECT_THAT(problems, Contains(HasSubstr("$.invariants[0].no_reach.identities[0]: unknown "
                                           "account or group 'Tier00' (did you mean 'Tier0'")));
  EXPECT_THAT(problems, Contains(HasSubstr("$.invariants[1].only_through.via[0]: unknown service "
                                           "'wbe' (did you mean 'web'")));
}

// --- The command.

int Reach(cli::ReachCommandOptions o, std::string* out, std::string* err) {
  std::ostringstream o_out, o_err;
  int rc = cli::ReachCommand(o, o_out, o_err);
  *out = o_out.str();
  *err = o_err.str();
  return rc;
}

TEST(ReachCommand, UnknownAccountIsRefusedWithDidYouMean) {
  cli::ReachCommandOptions o;
  o.file = Scenario("two-hop");
  o.identity = "alcie";
  std::string out, err;
  EXPECT_EQ(Reach(o, &out, &err), cli::kExitInvalid);
  EXPECT_THAT(err, HasSubstr("unknown account 'alcie' (did you mean 'alice'?)"));
}

TEST(ReachCommand, ExactlyOneQuery) {
  cli::ReachCommandOptions o;
  o.file = Scenario("two-hop");
  std::string out, err;
  EXPECT_EQ(Reach(o, &out, &err), cli::kExitInvalid);
  EXPECT_THAT(err, HasSubstr("exactly one of"));
}

TEST(ReachCommand, JsonAndEmittedScenario) {
  cli::ReachCommandOptions o;
  o.file = Scenario("two-hop");
  o.identity = "alice";
  o.json = true;
  std::string out, err;
  ASSERT_EQ(Reach(o, &out, &err), cli::kExitOk) << err;
  EXPECT_THAT(out, HasSubstr("\"mechanism\": \"unconstrained\""));
  EXPECT_THAT(out, HasSubstr("\"chain\": ["));
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "delegsim-reach-test";
  std::filesystem::create_directories(dir);
  o.json = false;
  o.emit = 1;
  o.output = (dir / "flow1.json").string();
  ASSERT_EQ(Reach(o, &out, &err), cli::kExitOk) << err;
  sim::LoadResult emitted = sim::LoadScenarioFile(o.output);
  EXPECT_TRUE(emitted.ok());
  // The input is never overwritten.
  o.output = o.file;
  EXPECT_EQ(Reach(o, &out, &err), cli::kExitInvalid);
  std::filesystem::remove_all(dir);
}

TEST(ReachCommand, BlastRadiusRanksTheUnconstrainedAccount) {
  cli::ReachCommandOptions o;
  o.file = Scenario("two-hop");
  o.blast_radius = true;
  std::string out, err;
  ASSERT_EQ(Reach(o, &out, &err), cli::kExitOk) << err;
  EXPECT_THAT(out, HasSubstr("svc_web@CORP.EXAMPLE"));
}

}  // namespace
}  // namespace delegsim::analysis
