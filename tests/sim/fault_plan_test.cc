// nodes::FaultPlan: which envelopes a fault refuses, drops or delays, and when.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nodes/faults.h"

namespace delegsim::nodes {
namespace {

using Action = LinkEffect::Action;

constexpr char kWs[] = "127.0.1.1";
constexpr char kWeb[] = "127.0.1.2";
constexpr char kDb[] = "127.0.1.3";

Fault Make(Fault::Kind kind, std::vector<std::string> from = {}, std::vector<std::string> to = {},
           Time delay_ms = 0) {
  Fault f;
  f.kind = kind;
  f.from = std::move(from);
  f.to = std::move(to);
  f.delay_ms = delay_ms;
  return f;
}

TEST(FaultPlanTest, HostDownRefusesRequestsBothWaysAndLosesRepliesOnlyInItsWindow) {
  FaultPlan plan(10'000);
  Fault down = Make(Fault::Kind::kHostDown);
  down.name = "reboot";
  down.what = "host db1 is down";
  down.hosts = {kDb};
  down.start_ms = 100;
  down.end_ms = 200;
  plan.Add(down);
  EXPECT_EQ(plan.Effect({2, kWeb}, {3, kDb}, 99, false).action, Action::kDeliver);
  LinkEffect to_db = plan.Effect({2, kWeb}, {3, kDb}, 100, false);
  EXPECT_EQ(to_db.action, Action::kRefuse);
  EXPECT_EQ(FaultPlan::Refusal(*to_db.fault).message(), "host db1 is down (fault 'reboot')");
  EXPECT_EQ(plan.Effect({3, kDb}, {2, kWeb}, 150, false).action, Action::kRefuse);
  // A reply from a host that went down mid-call is lost: its requester waits it out.
  EXPECT_EQ(plan.Effect({3, kDb}, {2, kWeb}, 150, true).action, Action::kDrop);
  EXPECT_EQ(plan.Effect({1, kWs}, {2, kWeb}, 150, false).action, Action::kDeliver);
  EXPECT_EQ(plan.Effect({2, kWeb}, {3, kDb}, 200, false).action, Action::kDeliver);
}

TEST(FaultPlanTest, KdcUnreachableRefusesOnlyWhatGoesToTheKdcNode) {
  FaultPlan plan(10'000);
  Fault kdc = Make(Fault::Kind::kKdcUnreachable);
  kdc.kdcs = {7};
  plan.Add(kdc);
  EXPECT_EQ(plan.Effect({1, kWs}, {7, kDb}, 0, false).action, Action::kRefuse);
  EXPECT_EQ(plan.Effect({1, kWs}, {8, kDb}, 0, false).action, Action::kDeliver);  // same host
  EXPECT_EQ(plan.Effect({7, kDb}, {1, kWs}, 0, false).action, Action::kDeliver);
}

TEST(FaultPlanTest, DropIsOneWayAndOutranksDelaysWhichAddUp) {
  FaultPlan plan(10'000);
  plan.Add(Make(Fault::Kind::kDelay, {kWs}, {kWeb}, 500));
  plan.Add(Make(Fault::Kind::kDelay, {kWs}, {}, 250));  // a slow host
  plan.Add(Make(Fault::Kind::kDrop, {kWeb}, {kDb}));
  LinkEffect slow = plan.Effect({1, kWs}, {2, kWeb}, 0, false);
  EXPECT_EQ(slow.action, Action::kDeliver);
  EXPECT_EQ(slow.delay_ms, 750);
  EXPECT_EQ(plan.Effect({1, kWs}, {3, kDb}, 0, false).delay_ms, 250);
  EXPECT_EQ(plan.Effect({2, kWeb}, {1, kWs}, 0, true).delay_ms, 0);
  EXPECT_EQ(plan.Effect({2, kWeb}, {3, kDb}, 0, false).action, Action::kDrop);
  EXPECT_EQ(plan.Effect({3, kDb}, {2, kWeb}, 0, true).action, Action::kDeliver);
}

}  // namespace
}  // namespace delegsim::nodes
