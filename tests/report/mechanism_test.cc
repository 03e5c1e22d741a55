// The delegation mechanism of a hop, read from its decision records (sim/mechanism.h), on
// the scenario library's chains: each mechanism once, with the rule ids it was read from.
#include "sim/mechanism.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "sim/results.h"
#include "tests/report/scenario_run.h"
#include "tests/scenario_library.h"

namespace delegsim::sim {
namespace {

using ::testing::ElementsAre;
using testing::RunLibraryScenario;

struct Case {
  const char* scenario;
  const char* path;
  const char* mechanism;
  std::vector<std::string> rules;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.scenario << " " << c.path; }

class Mechanism : public ::testing::TestWithParam<Case> {};

TEST_P(Mechanism, ReadFromTheHopsDecisionRecords) {
  const Case& c = GetParam();
  std::unique_ptr<World> world = RunLibraryScenario(c.scenario);
  ASSERT_NE(world, nullptr);
  const v1::HopResult* hop = FindHop(world->outcomes(), c.path);
  ASSERT_NE(hop, nullptr) << c.path;
  HopMechanismInfo info = DescribeMechanism(*hop);
  EXPECT_EQ(info.mechanism, c.mechanism) << c.path;
  EXPECT_EQ(HopMechanism(*hop), c.mechanism);
  EXPECT_EQ(info.rules, c.rules) << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    Library, Mechanism,
    ::testing::Values(
        // The client's own logon to the first hop; its forwarded TGT to the second (IL-5).
        Case{"two-hop", "c1/web", "direct", {}},
        Case{"two-hop", "c1/web/db", "unconstrained", {"IL-5"}},
        // KCD-7 credentials spent by the classic list (KCD-1), twice along a chain.
        Case{"kcd-chain-through-three-tiers", "order/web/api", "constrained", {"KCD-7", "KCD-1"}},
        Case{
            "kcd-chain-through-three-tiers", "order/web/api/db", "constrained", {"KCD-7", "KCD-1"}},
        // The same credentials spent through the target's ACL (RB-1); a refusal is none.
        Case{"rbcd-resource-decides-who-may-delegate", "shop/web/db", "rbcd", {"KCD-7", "RB-1"}},
        Case{"rbcd-resource-decides-who-may-delegate", "shop/web/files", "none", {}},
        // S4U2self then S4U2proxy by the classic list: protocol transition (S4U-3).
        Case{"protocol-transition-ntlm-front-end",
             "any-protocol/intranet/db",
             "protocol_transition",
             {"S4U-3", "S4U-1", "KCD-1"}},
        // S4U2self then S4U2proxy allowed by the target's ACL: RBCD (RB-4), as reach says.
        Case{"rbcd-protocol-transition-empty-a2d2",
             "alice/web/db",
             "rbcd",
             {"PK-2", "S4U-1", "RB-1"}},
        // LC-1: the local server spends the client's own logon session on one network hop.
        Case{"seed-a-ncalrpc-local-server-one-hop", "one-hop/lb", "direct", {}},
        Case{"seed-a-ncalrpc-local-server-one-hop", "one-hop/lb/rb", "local_session", {"LC-1"}},
        // TK-6: a LogonUser token with bob's password.
        Case{"seed-b-child-process-network-credentials",
             "logon-user/web/db",
             "logon_user",
             {"TK-6"}}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return delegsim::testing::SafeTestName(std::string(info.param.path) + "_" +
                                             info.param.mechanism);
    });

TEST(MechanismLabel, NamesEachMechanism) {
  EXPECT_EQ(MechanismLabel("unconstrained"), "unconstrained delegation (forwarded TGT)");
  EXPECT_EQ(MechanismLabel("rbcd"), "resource-based constrained delegation (S4U2proxy)");
  EXPECT_EQ(MechanismLabel("none"), "none");
}

TEST(OnwardMechanism, FromTheRuleThatSetNetCreds) {
  std::unique_ptr<World> world = RunLibraryScenario("two-hop");
  ASSERT_NE(world, nullptr);
  std::string rule;
  EXPECT_EQ(OnwardMechanism(*FindHop(world->outcomes(), "c1/web"), &rule), "unconstrained");
  EXPECT_EQ(rule, "IL-5");
  // db holds alice's ticket as S4U2proxy evidence (KCD-7); the KDC decides each onward target.
  EXPECT_EQ(OnwardMechanism(*FindHop(world->outcomes(), "c1/web/db"), &rule), "constrained");
  EXPECT_EQ(rule, "KCD-7");
}

}  // namespace
}  // namespace delegsim::sim
