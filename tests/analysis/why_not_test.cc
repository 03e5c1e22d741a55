// `delegsim why-not`, `diff` and `what-if`: for each kind of denial in the scenario library,
// the search finds the expected minimal change and applying it makes the hop pass (checked
// by running the edited scenario, not by trusting the search); turning on unconstrained
// delegation opens flows that an invariant catches; edits are parsed, applied and refused
// with located, did-you-mean messages.
#include "analysis/why_not.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "analysis/diff.h"
#include "analysis/scenario_edit.h"
#include "cli/diff_command.h"
#include "cli/why_not_command.h"
#include "sim/loader.h"
#include "sim/results.h"
#include "tests/scenario_library.h"

namespace delegsim::analysis {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string Path(const std::string& name) {
  return (testing::ScenarioDir() / (name + ".json")).string();
}

std::string Read(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

WhyNotGoal Goal(const std::string& path) {
  WhyNotGoal g;
  g.path = path;
  return g;
}

std::vector<std::string> Changes(const ChangeSet& cs) {
  std::vector<std::string> out;
  for (const Edit& e : cs.edits) out.push_back(e.ToString());
  return out;
}

struct Case {
  std::string scenario;
  std::string path;
  std::vector<std::string> wants;
  std::string expected;  // one answer is exactly this single change
};

class WhyNotLibrary : public ::testing::TestWithParam<Case> {};

// The expected change is found as an answer of its own, the search stayed within its
// bounds, and the scenario with that change applied, run afresh, allows the hop as wanted.
TEST_P(WhyNotLibrary, FindsTheMinimalChangeAndApplyingItMakesTheHopPass) {
  const Case& c = GetParam();
  std::string file = Path(c.scenario);
  std::string text = Read(file);
  WhyNotGoal goal = Goal(c.path);
  for (const std::string& w : c.wants) ASSERT_TRUE(AddWant(w, &goal).ok()) << w;
  WhyNotOptions options;
  options.collateral = false;
  StatusOr<WhyNotAnswer> a = WhyNot(text, file, goal, options);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_FALSE(a->already) << a->now;
  EXPECT_EQ(a->bound, "");
  const ChangeSet* hit = nullptr;
  for (const ChangeSet& cs : a->answers) {
    if (Changes(cs) == std::vector<std::string>{c.expected}) hit = &cs;
  }
  std::string listed;
  for (const ChangeSet& cs : a->answers) {
    for (const std::string& s : Changes(cs)) listed += s + "; ";
    listed += "| ";
  }
  ASSERT_NE(hit, nullptr) << "answers: " << listed << "\n" << RenderWhyNotText(*a, file);
  // Every answer is minimal: the smallest size found first, and no answer contains another.
  for (const ChangeSet& x : a->answers) {
    EXPECT_EQ(x.edits.size(), 1u) << listed;
  }

  EditedScenario edited = ApplyEdits(text, file, hit->edits);
  ASSERT_TRUE(edited.scenario) << (edited.problems.empty() ? "" : edited.problems[0]);
  StatusOr<ScenarioRun> run = RunScenario(*edited.scenario);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const v1::HopResult* hop = sim::FindHop(run->world->outcomes(), c.path);
  ASSERT_NE(hop, nullptr);
  EXPECT_EQ(hop->verdict(), "allowed") << HopSummary(*hop);
  if (goal.level) {
    EXPECT_EQ(sim::HopLevel(*hop), *goal.level) << HopSummary(*hop);
  }
  if (goal.net_creds) {
    EXPECT_EQ(hop->net_creds().substr(0, goal.net_creds->size()), *goal.net_creds);
  }
  // The unchanged scenario did not.
  StatusOr<ScenarioRun> before = RunScenario(*sim::LoadScenarioText(text, file).scenario);
  ASSERT_TRUE(before.ok());
  const v1::HopResult* was = sim::FindHop(before->world->outcomes(), c.path);
  bool met_before = was && was->verdict() == "allowed" &&
                    (!goal.level || sim::HopLevel(*was) == *goal.level) &&
                    (!goal.net_creds || was->net_creds().rfind(*goal.net_creds, 0) == 0);
  EXPECT_FALSE(met_before);
}

INSTANTIATE_TEST_SUITE_P(
    DenialKinds, WhyNotLibrary,
    ::testing::Values(
        // AC-1: carol is sensitive; delegate needs her TGT forwardable.
        Case{"sensitive-account-cannot-be-delegated",
             "carol/web",
             {"level=delegate"},
             "accounts[carol].sensitive = false"},
        // PU-1: dave's evidence ticket is not forwardable, so KCD-2 refuses app -> db.
        Case{"protected-users-no-delegation-no-ntlm",
             "dave-constrained/app/db",
             {},
             "groups[Protected Users].members -= dave"},
        // PU-1 through a nested group: erin is protected as a member of Tier0 Admins.
        Case{"protected-users-no-delegation-no-ntlm",
             "erin-unconstrained/web",
             {"level=delegate"},
             "groups[Tier0 Admins].members -= erin"},
        // KCD-1/RB-1: web's msDS-AllowedToDelegateTo does not list files.
        Case{"kcd-admins-limit-delegation-targets",
             "shop/web/files",
             {},
             "accounts[svc_web].allowed_to_delegate_to += cifs/files1.corp.example"},
        // KCD-3: classic KCD cannot cross a forest; the partner's resource must allow it (RBCD).
        Case{"cross-forest-classic-kcd-names-kcd-3",
             "classic-kcd/web2/pdb",
             {},
             "accounts[svc_pdb].allowed_to_act_on_behalf_of += svc_web2"},
        // S4U-3/AC-3: an NTLM front door reaches db only by protocol transition (T2A4D).
        Case{"protocol-transition-ntlm-front-end",
             "kerberos-only/kerbonly/db",
             {},
             "accounts[svc_kerb].trusted_to_auth_for_delegation = true"},
        // MA-1/MA-2: delegate without mutual authentication fails.
        Case{"seed-a-delegation-needs-kerberos-and-mutual-auth",
             "no-mutual/app",
             {"level=delegate"},
             "calls[no-mutual/app].mutual = true"},
        // TK-8: a service process without SeImpersonatePrivilege gets identify.
        Case{"impersonate-privilege-missing-gives-identify",
             "without-privilege/tool",
             {"level=impersonate"},
             "services[tool].privileges += SeImpersonatePrivilege"},
        // XR-1/XR-2: a forest trust without TGT delegation stops the forwarded TGT.
        Case{"cross-forest-no-tgt-delegation-rbcd-still-works",
             "unconstrained/papp",
             {"net_creds=tgt"},
             "trusts[PARTNER.EXAMPLE->CORP.EXAMPLE].attributes = "
             "[\"forest_transitive\",\"enable_tgt_delegation\"]"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return delegsim::testing::SafeTestName(info.param.scenario + "_" +
                                             std::to_string(info.index));
    });

TEST(WhyNot, AGoalThatHoldsNeedsNothing) {
  std::string file = Path("two-hop");
  StatusOr<WhyNotAnswer> a = WhyNot(Read(file), file, Goal("c1/web/db"), {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->already);
  EXPECT_THAT(a->answers, IsEmpty());
}

TEST(WhyNot, AnswersCarryTheirCollateral) {
  // Making web trusted for delegation would also work for carol... but carol is sensitive;
  // the sensitive flag's removal opens carol's TGT to web: reach sees it.
  std::string file = Path("sensitive-account-cannot-be-delegated");
  WhyNotGoal goal = Goal("carol/web");
  ASSERT_TRUE(AddWant("level=delegate", &goal).ok());
  StatusOr<WhyNotAnswer> a = WhyNot(Read(file), file, goal, {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_FALSE(a->answers.empty());
  const ChangeSet& first = a->answers.front();
  EXPECT_THAT(Changes(first), Contains("accounts[carol].sensitive = false"));
  // The file's own expectations say carol is refused: they break.
  EXPECT_THAT(first.breaks, Not(IsEmpty()));
  bool carol_tgt = false;
  for (const Flow& f : first.opens) {
    carol_tgt |= f.identity == "carol@CORP.EXAMPLE" && f.net_creds == "tgt";
  }
  EXPECT_TRUE(carol_tgt) << RenderWhyNotText(*a, file);
  std::string json = RenderWhyNotJson(*a);
  EXPECT_THAT(json, HasSubstr("\"changes\""));
  EXPECT_THAT(json, HasSubstr("\"opens\""));
  EXPECT_THAT(json, HasSubstr("\"breaks\""));
}

TEST(WhyNot, NothingWithinTheBoundNamesTheBlockingRule) {
  // A call across hosts over ncalrpc is refused by the loader; an untouched cycle is not a
  // setting: DS-5 refuses a call back into a service on the chain whatever is changed.
  std::string file = Path("hop-limit-and-call-cycle");
  std::string text = Read(file);
  sim::LoadResult r = sim::LoadScenarioText(text, file);
  ASSERT_TRUE(r.ok());
  std::string cycle;
  StatusOr<ScenarioRun> run = RunScenario(*r.scenario);
  ASSERT_TRUE(run.ok());
  for (const v1::HopResult* h : sim::AllHops(run->world->outcomes())) {
    if (h->decision().rule() == "DS-5") cycle = h->path();
  }
  ASSERT_FALSE(cycle.empty());
  WhyNotOptions options;
  options.max_changes = 2;
  options.collateral = false;
  StatusOr<WhyNotAnswer> a = WhyNot(text, file, Goal(cycle), options);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_THAT(a->answers, IsEmpty());
  std::string out = RenderWhyNotText(*a, file);
  EXPECT_THAT(out, HasSubstr("no change set of up to"));
  EXPECT_THAT(a->now, HasSubstr("DS-5"));
}

TEST(WhyNot, RunBoundIsReported) {
  std::string file = Path("cross-forest-classic-kcd-names-kcd-3");
  WhyNotOptions options;
  options.max_runs = 2;
  options.collateral = false;
  StatusOr<WhyNotAnswer> a = WhyNot(Read(file), file, Goal("classic-kcd/web2/pdb"), options);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->bound, "2 runs");
  EXPECT_THAT(RenderWhyNotText(*a, file), HasSubstr("STOPPED at the bound of 2 runs"));
}

TEST(WhyNot, BadPathsAndWantsAreRefusedWithDidYouMean) {
  std::string file = Path("two-hop");
  StatusOr<WhyNotAnswer> a = WhyNot(Read(file), file, Goal("c1/web/dbb"), {});
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("did you mean 'db'"));
  a = WhyNot(Read(file), file, Goal("c2/web"), {});
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("did you mean 'c1'"));
  WhyNotGoal goal;
  EXPECT_FALSE(AddWant("level=delegation", &goal).ok());
  EXPECT_FALSE(AddWant("lvl=delegate", &goal).ok());
  EXPECT_FALSE(AddWant("net_creds=ticket", &goal).ok());
  EXPECT_TRUE(AddWant("access=orders", &goal).ok());
}

TEST(WhyNotCommand, ApplyWritesAScenarioThatRunsAndNeverOverwritesTheInput) {
  std::string file = Path("kcd-admins-limit-delegation-targets");
  std::string out_file = ::testing::TempDir() + "/why_not_applied.json";
  cli::WhyNotCommandOptions o;
  o.file = file;
  o.path = "shop/web/files";
  o.apply = 1;
  o.output = out_file;
  std::ostringstream out, err;
  ASSERT_EQ(cli::WhyNotCommand(o, out, err), 0) << err.str();
  sim::LoadResult r = sim::LoadScenarioFile(out_file);
  ASSERT_TRUE(r.ok());
  StatusOr<ScenarioRun> run = RunScenario(*r.scenario);
  ASSERT_TRUE(run.ok());
  const v1::HopResult* hop = sim::FindHop(run->world->outcomes(), "shop/web/files");
  ASSERT_NE(hop, nullptr);
  EXPECT_EQ(hop->verdict(), "allowed");

  o.output = file;  // the input itself
  std::ostringstream err2;
  EXPECT_EQ(cli::WhyNotCommand(o, out, err2), 2);
  EXPECT_THAT(err2.str(), HasSubstr("input"));
}

// A design with a Tier-0 admin and an invariant: her identity never arrives at web1 at
// delegate. Turning on unconstrained delegation for web's account opens it.
constexpr char kTier0[] = R"({
  "name": "tier0-guard",
  "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"}],
  "accounts": [
    {"name": "adm", "domain": "CORP.EXAMPLE", "member_of": ["Tier0"]},
    {"name": "alice", "domain": "CORP.EXAMPLE"},
    {"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/web1"]}
  ],
  "groups": [{"name": "Tier0", "domain": "CORP.EXAMPLE"}],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"}],
  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "level": "delegate"}],
  "expect": [{"path": "c1/web", "verdict": "denied", "decided_by": "MA-2"}],
  "invariants": [{"name": "tier0-tgt-stays-home",
                  "no_reach": {"identities": ["Tier0"], "targets": ["host:web1"],
                               "min_level": "delegate"}}]
})";

TEST(Diff, TurningOnUnconstrainedDelegationOpensFlowsAndAnInvariantCatchesIt) {
  StatusOr<Edit> e = ParseEdit("accounts.svc_web.trusted_for_delegation=true");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EditedScenario after = ApplyEdits(kTier0, "tier0.json", {*e});
  ASSERT_TRUE(after.scenario) << (after.problems.empty() ? "" : after.problems[0]);
  sim::LoadResult before = sim::LoadScenarioText(kTier0, "tier0.json");
  ASSERT_TRUE(before.ok());
  StatusOr<DiffResult> d = DiffScenarios(*before.scenario, *after.scenario, {});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  // The hop now delegates; the expectation "net_creds none" flips; adm's TGT reaches web1.
  ASSERT_EQ(d->hops.size(), 1u);
  EXPECT_EQ(d->hops[0].path, "c1/web");
  EXPECT_THAT(d->hops[0].after, HasSubstr("net_creds=tgt"));
  ASSERT_EQ(d->flips.size(), 1u);
  EXPECT_TRUE(d->flips[0].held_before);
  EXPECT_FALSE(d->flips[0].held_after);
  bool adm = false;
  for (const Flow& f : d->opened) {
    adm |= f.identity == "adm@CORP.EXAMPLE" && f.mechanism == Mechanism::kDirect &&
           f.net_creds == "tgt" && f.service == "web";
  }
  EXPECT_TRUE(adm) << RenderDiffText(*d, "a", "b");
  // The impersonate-level arrivals at web are replaced by delegate ones (a flow that changes
  // level closes and opens); nothing else closes.
  for (const Flow& f : d->closed) {
    EXPECT_EQ(f.service, "web");
    EXPECT_EQ(f.level, "impersonate");
  }
  ASSERT_EQ(d->violations.size(), 1u);
  EXPECT_EQ(d->violations[0].invariant->name, "tier0-tgt-stays-home");
  EXPECT_THAT(RenderDiffText(*d, "a", "b"), HasSubstr("tier0-tgt-stays-home"));
  EXPECT_THAT(RenderDiffJson(*d), HasSubstr("\"violations\""));

  // The same through the command line: exit 1, as a CI guard would see it.
  std::string file = ::testing::TempDir() + "/tier0.json";
  std::ofstream(file) << kTier0;
  cli::DiffCommandOptions o;
  o.before = file;
  o.sets = {"accounts.svc_web.trusted_for_delegation=true"};
  std::ostringstream out, err;
  EXPECT_EQ(cli::WhatIfCommand(o, out, err), 1) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("credential flows opened"));
  // Reversed, the change closes those flows and breaks nothing: exit 0.
  std::string opened_file = ::testing::TempDir() + "/tier0-td.json";
  std::ofstream(opened_file) << after.text;
  cli::DiffCommandOptions back;
  back.before = opened_file;
  back.after = file;
  std::ostringstream out2, err2;
  EXPECT_EQ(cli::DiffCommand(back, out2, err2), 0) << err2.str();
  EXPECT_THAT(out2.str(), HasSubstr("credential flows closed"));
}

TEST(WhatIf, BadSetPathsGetLocatedErrorsWithDidYouMean) {
  std::string file = ::testing::TempDir() + "/tier0-bad.json";
  std::ofstream(file) << kTier0;
  cli::DiffCommandOptions o;
  o.before = file;
  o.sets = {"acounts.svc_web.trusted_for_delegation=true"};
  std::ostringstream out, err;
  EXPECT_EQ(cli::WhatIfCommand(o, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("did you mean 'accounts'"));
  EXPECT_THAT(err.str(), HasSubstr("--set #1"));

  // Every problem at once: an unknown account, an unknown field, a value not in a list.
  o.sets = {"accounts.svc_wbe.trusted_for_delegation=true",
            "accounts.svc_web.trusted_for_delegatoin=true", "groups.Tier0.members-=alice"};
  std::ostringstream err2;
  EXPECT_EQ(cli::WhatIfCommand(o, out, err2), 2);
  EXPECT_THAT(err2.str(), HasSubstr("no account 'svc_wbe' (did you mean 'svc_web'?)"));
  EXPECT_THAT(err2.str(), HasSubstr("does not list alice"));
  EXPECT_THAT(err2.str(), HasSubstr("did you mean 'trusted_for_delegation'"));

  o.sets = {"accounts.svc_web.trusted_for_delegatoin=true"};
  std::ostringstream err3;
  EXPECT_EQ(cli::WhatIfCommand(o, out, err3), 2);
  EXPECT_THAT(err3.str(), HasSubstr("accounts[svc_web].trusted_for_delegatoin = true"));
  EXPECT_THAT(err3.str(), HasSubstr("trusted_for_delegation"));
}

TEST(ScenarioEdit, ParsesBothFormsAndPrintsInTheScenariosWords) {
  StatusOr<Edit> a = ParseEdit("groups.Protected Users.members+=adm_bob");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->collection, "groups");
  EXPECT_EQ(a->key, "Protected Users");
  EXPECT_EQ(a->field, "members");
  EXPECT_EQ(a->op, Edit::Op::kAdd);
  EXPECT_EQ(a->ToString(), "groups[Protected Users].members += adm_bob");
  StatusOr<Edit> b = ParseEdit("accounts[svc_sql2].allowed_to_act_on_behalf_of += svc_iis");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->ToString(), "accounts[svc_sql2].allowed_to_act_on_behalf_of += svc_iis");
  StatusOr<Edit> c =
      ParseEdit("trusts.PARTNER.EXAMPLE->CORP.EXAMPLE.attributes=[\"forest_transitive\"]");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->key, "PARTNER.EXAMPLE->CORP.EXAMPLE");
  EXPECT_EQ(ParseEdit("options.legacy_rbcd=true")->ToString(), "options.legacy_rbcd = true");
  EXPECT_EQ(ParseEdit("calls.c1/web/db.level=delegate")->ToString(),
            "calls[c1/web/db].level = delegate");
  EXPECT_FALSE(ParseEdit("accounts.svc_web").ok());
  EXPECT_FALSE(ParseEdit("accounts.trusted_for_delegation=true").ok());
}

TEST(ScenarioEdit, CallsAreAddressedByHopPath) {
  std::string file = Path("kcd-admins-limit-delegation-targets");
  StatusOr<Edit> e = ParseEdit("calls.shop/web/files.level=delegate");
  ASSERT_TRUE(e.ok());
  EditedScenario r = ApplyEdits(Read(file), file, {*e});
  ASSERT_TRUE(r.scenario) << r.problems[0];
  EXPECT_THAT(r.text, HasSubstr("\"call\": \"files\",\n"));
  EXPECT_TRUE(CheckCallPath(Read(file), "shop/web/db").ok());
  Status bad = CheckCallPath(Read(file), "shop/web/fils");
  EXPECT_THAT(bad.message(), HasSubstr("did you mean 'files'"));
}

}  // namespace
}  // namespace delegsim::analysis
