// The incremental reach of `delegsim diff` (DirectoryFlows::Build with the first
// directory's flows) finds exactly what reach over the second directory finds when every
// chain is simulated again, over generated directories and edits of every kind a chain's
// decisions read: account flags, group membership (direct and nested), trusts, RBCD, A2D2,
// services, and the settings every chain reads. It also re-simulates fewer chains where
// it can, and all of them where a shared setting changed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/diff.h"
#include "analysis/directory_change.h"
#include "bench/directory_generator.h"
#include "kdc/directory.h"

namespace delegsim::analysis {
namespace {

constexpr int kMaxHops = 2;

// Everything a flow says, its replay chain included.
auto Fields(const Flow& f) {
  std::vector<std::string> replay = {f.replay.user, f.replay.from_host};
  for (const HopPlan& h : f.replay.hops) {
    replay.push_back(h.service + "," + std::to_string(h.transport) + "," +
                     (h.protocol_transition ? "pt" : "") + "," + h.on_behalf_of + "," +
                     h.logon_user);
  }
  return std::make_tuple(f.identity, f.service, f.host, f.level, f.net_creds, f.mechanism, f.chain,
                         f.rules, f.via, replay);
}

std::vector<std::string> Lines(const std::vector<Flow>& flows) {
  std::vector<std::string> out;
  for (const Flow& f : flows) {
    out.push_back(f.identity + " " + f.service + " " + f.level + " " + f.net_creds + " " +
                  std::string(MechanismName(f.mechanism)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

sim::AccountSpec& Account(sim::Scenario& s, const std::string& name) {
  for (sim::AccountSpec& a : s.accounts) {
    if (a.name == name) return a;
  }
  ADD_FAILURE() << "no account " << name;
  return s.accounts.front();
}

sim::GroupSpec& Group(sim::Scenario& s, const std::string& name, const std::string& realm) {
  for (sim::GroupSpec& g : s.groups) {
    if (g.name == name && g.domain == realm) return g;
  }
  ADD_FAILURE() << "no group " << name;
  return s.groups.front();
}

// The first service account with the given delegation setting.
sim::AccountSpec& ServiceAccount(sim::Scenario& s,
                                 const std::function<bool(const sim::AccountSpec&)>& pred) {
  for (sim::AccountSpec& a : s.accounts) {
    if (a.kind == sim::AccountKind::kService && pred(a)) return a;
  }
  ADD_FAILURE() << "no such service account";
  return s.accounts.front();
}

struct Edit {
  std::string name;
  std::function<void(sim::Scenario&)> apply;
  bool shared = false;  // a setting every chain reads: nothing can be taken over
};

std::vector<Edit> Edits() {
  const std::string corp = "CORP.EXAMPLE";
  return {
      {"unconstrained delegation on", [](sim::Scenario& s) { bench::ApplyAdChanges(&s, 1, 0); }},
      {"sensitive flag cleared", [](sim::Scenario& s) { bench::ApplyAdChanges(&s, 0, 1); }},
      {"sensitive flag set", [](sim::Scenario& s) { Account(s, "user1").not_delegated = true; }},
      {"account disabled", [](sim::Scenario& s) { Account(s, "user2").disabled = true; }},
      {"Protected Users member added",
       [corp](sim::Scenario& s) { Group(s, "Protected Users", corp).members.push_back("user0"); }},
      {"group nested into Protected Users",
       [corp](sim::Scenario& s) {
         Group(s, "Protected Users", corp).members.push_back("dept3@CORP.EXAMPLE");
       }},
      {"trust: TGT delegation across it",
       [](sim::Scenario& s) {
         s.trusts[0].attributes |= kdc::trust_attr::kCrossOrganizationEnableTgtDelegation;
       }},
      {"trust: selective authentication",
       [](sim::Scenario& s) { s.trusts[0].attributes |= kdc::trust_attr::kCrossOrganization; }},
      {"RBCD entry added",
       [](sim::Scenario& s) {
         sim::AccountSpec& target = ServiceAccount(s, [](const sim::AccountSpec& a) {
           return a.allowed_to_act.empty() && !a.trusted_for_delegation;
         });
         target.allowed_to_act.push_back(ServiceAccount(s, [&](const sim::AccountSpec& a) {
                                           return a.name != target.name;
                                         }).name);
       }},
      {"RBCD entry listing a group",
       [](sim::Scenario& s) {
         ServiceAccount(s, [](const sim::AccountSpec& a) {
           return a.allowed_to_act.empty();
         }).allowed_to_act.push_back("dept1@CORP.EXAMPLE");
       }},
      {"A2D2 entry with protocol transition",
       [](sim::Scenario& s) {
         std::string spn = s.accounts.back().spns.front();
         sim::AccountSpec& a = ServiceAccount(s, [](const sim::AccountSpec& x) {
           return x.allowed_to_delegate_to.empty() && !x.trusted_for_delegation;
         });
         a.allowed_to_delegate_to.push_back(spn);
         a.trusted_to_auth_for_delegation = true;
       }},
      {"A2D2 entry removed",
       [](sim::Scenario& s) {
         ServiceAccount(s, [](const sim::AccountSpec& a) {
           return !a.allowed_to_delegate_to.empty();
         }).allowed_to_delegate_to.clear();
       }},
      {"service loses SeImpersonatePrivilege",
       [](sim::Scenario& s) { s.services[1].privileges.clear(); }},
      {"service gains a local transport",
       [](sim::Scenario& s) { s.services[2].transports.push_back(v1::TRANSPORT_NCALRPC); }},
      {"option every chain reads", [](sim::Scenario& s) { s.options.client_forwardable = false; },
       /*shared=*/true},
  };
}

class IncrementalDiffTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(IncrementalDiffTest, SameFlowsAsSimulatingEveryChainAgain) {
  bench::DirectoryShape shape;
  shape.users = 60;
  shape.hosts = 8;
  shape.services = 16;
  shape.seed = GetParam();
  sim::Scenario before = bench::GenerateDirectory(shape);
  // Constrained delegation on one more service account (within its domain), so that every
  // seed has an A2D2 entry to remove.
  Account(before, "svc3").allowed_to_delegate_to.push_back(Account(before, "svc4").spns.front());
  StatusOr<std::unique_ptr<DirectoryFlows>> fa = DirectoryFlows::Build(before, kMaxHops);
  ASSERT_TRUE(fa.ok()) << fa.status().ToString();
  for (const Edit& edit : Edits()) {
    SCOPED_TRACE(edit.name);
    sim::Scenario after = before;
    edit.apply(after);
    StatusOr<std::unique_ptr<DirectoryFlows>> full = DirectoryFlows::Build(after, kMaxHops);
    StatusOr<std::unique_ptr<DirectoryFlows>> incremental =
        DirectoryFlows::Build(after, kMaxHops, fa->get());
    ASSERT_TRUE(full.ok()) << full.status().ToString();
    ASSERT_TRUE(incremental.ok()) << incremental.status().ToString();
    DirectoryFlows& f = **full;
    DirectoryFlows& i = **incremental;
    ASSERT_EQ(f.prober().classes().size(), i.prober().classes().size());
    for (ClassId c = 0; c < f.prober().classes().size(); ++c) {
      ASSERT_EQ(f.ClassFlows(c).size(), i.ClassFlows(c).size()) << "class " << c;
      for (size_t k = 0; k < f.ClassFlows(c).size(); ++k) {
        EXPECT_EQ(Fields(f.ClassFlows(c)[k]), Fields(i.ClassFlows(c)[k]))
            << "class " << c << " flow " << k;
      }
    }
    FlowDelta by_full = CompareFlows(**fa, f);
    FlowDelta by_incremental = CompareFlows(**fa, i);
    EXPECT_EQ(Lines(by_full.opened), Lines(by_incremental.opened));
    EXPECT_EQ(Lines(by_full.closed), Lines(by_incremental.closed));
    if (edit.shared) {
      EXPECT_EQ(i.adopted(), 0u);
      EXPECT_EQ(i.prober().chains_simulated(), f.prober().chains_simulated());
    } else {
      EXPECT_GT(i.adopted(), 0u);
      EXPECT_LT(i.prober().chains_simulated(), f.prober().chains_simulated());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, IncrementalDiffTest, ::testing::Values(1, 2, 3));

// The diff itself (which builds the second directory incrementally) reports the same
// flows as comparing with a fully simulated second directory.
TEST(IncrementalDiff, DiffScenariosMatchesFullRecompute) {
  bench::DirectoryShape shape;
  shape.users = 60;
  shape.hosts = 8;
  shape.services = 16;
  sim::Scenario before = bench::GenerateDirectory(shape);
  sim::Scenario after = before;
  bench::ApplyAdChanges(&after);
  DiffOptions options;
  options.max_hops = kMaxHops;
  StatusOr<DiffResult> d = DiffScenarios(before, after, options);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  StatusOr<std::unique_ptr<DirectoryFlows>> fa = DirectoryFlows::Build(before, kMaxHops);
  StatusOr<std::unique_ptr<DirectoryFlows>> fb = DirectoryFlows::Build(after, kMaxHops);
  ASSERT_TRUE(fa.ok() && fb.ok());
  FlowDelta full = CompareFlows(**fa, **fb);
  EXPECT_FALSE(full.opened.empty());
  EXPECT_EQ(Lines(d->opened), Lines(full.opened));
  EXPECT_EQ(Lines(d->closed), Lines(full.closed));
}

// What DirectoryChange names for one edit: the account, the members of an edited group,
// the services a changed RBCD descriptor reaches; a shared setting makes everything change.
TEST(DirectoryChange, NamesWhatAnEditTouches) {
  bench::DirectoryShape shape;
  shape.users = 30;
  shape.hosts = 4;
  shape.services = 8;
  sim::Scenario before = bench::GenerateDirectory(shape);
  Prober a(before);
  ASSERT_TRUE(a.status().ok());
  {
    sim::Scenario after = before;
    Account(after, "user3").trusted_to_auth_for_delegation = true;
    Group(after, "dept7", "CORP.EXAMPLE").members.push_back("user4");
    Prober b(after);
    ASSERT_TRUE(b.status().ok());
    DirectoryChange change(a, b);
    EXPECT_FALSE(change.everything());
    EXPECT_FALSE(change.trusts());
    EXPECT_TRUE(change.principals().count("user3@CORP.EXAMPLE"));
    EXPECT_TRUE(change.principals().count("user4@CORP.EXAMPLE"));
    EXPECT_FALSE(change.principals().count("user5@CORP.EXAMPLE"));
    EXPECT_TRUE(change.services().empty());
  }
  {
    sim::Scenario after = before;
    // svc1 may now act for users at svc0's SPN (RBCD on svc0). Only svc0 changed: svc1's
    // service knows nothing of it (a front end never reads another account's descriptor;
    // the KDC decides, RB-1), so app1 is unchanged and the chains to app0 are the ones
    // re-simulated.
    Account(after, "svc0").allowed_to_act.push_back("svc1");
    Prober b(after);
    ASSERT_TRUE(b.status().ok());
    DirectoryChange change(a, b);
    EXPECT_TRUE(change.principals().count("svc0@CORP.EXAMPLE"));
    EXPECT_FALSE(change.principals().count("svc1@CORP.EXAMPLE"));
    EXPECT_THAT(change.services(), ::testing::Contains("app0"));
    EXPECT_THAT(change.services(), ::testing::Not(::testing::Contains("app1")));
  }
  {
    sim::Scenario after = before;
    after.options.hop_limit = 3;
    Prober b(after);
    ASSERT_TRUE(b.status().ok());
    EXPECT_TRUE(DirectoryChange(a, b).everything());
  }
}

}  // namespace
}  // namespace delegsim::analysis
