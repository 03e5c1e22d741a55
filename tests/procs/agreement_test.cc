// Every scenario of the library under `--runtime procs` (one `delegsim host` process per
// simulated host): the same decisions as the virtual runtime, hop path by hop path
// (verdict, identity, level, net_creds, deciding rule and every rule named), and no
// process left once the run is over.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <string>

#include "sim/virtual_runtime.h"
#include "tests/hop_decisions.h"
#include "tests/procs/child_processes.h"
#include "tests/procs/procs_world.h"
#include "tests/scenario_library.h"

namespace delegsim::testing {
namespace {

namespace fs = std::filesystem;

class ProcsAgreement : public ::testing::TestWithParam<fs::path> {};

TEST_P(ProcsAgreement, ProcsTakesTheDecisionsOfVirtualTime) {
  ChildReaper reaper;
  const std::string file = GetParam().string();
  const sim::Scenario scenario = LoadOrDie(file);
  StatusOr<std::unique_ptr<sim::World>> reference =
      sim::World::Build(scenario, std::make_unique<sim::VirtualRuntime>());
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  const std::string virtual_time = RunAndDescribeDecisions(**reference);
  ASSERT_EQ(virtual_time.find("did not complete"), std::string::npos) << virtual_time;

  std::string procs_decisions;
  {
    net::ProcessRuntime* procs = nullptr;
    StatusOr<std::unique_ptr<sim::World>> world = BuildProcsWorld(file, scenario, &procs);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    procs_decisions = RunAndDescribeDecisions(**world);
    for (const net::HostProcessInfo& h : procs->Hosts()) {
      EXPECT_GT(h.pid, 0) << h.name;
      EXPECT_FALSE(h.ended) << h.name << ": " << h.how;
    }
  }  // the world and its runtime go: every host process is stopped and reaped
  EXPECT_EQ(procs_decisions, virtual_time) << file;
  EXPECT_TRUE(RemainingChildren().empty()) << "a host process outlived its run";
}

INSTANTIATE_TEST_SUITE_P(Library, ProcsAgreement, ::testing::ValuesIn(ScenarioFiles()),
                         [](const ::testing::TestParamInfo<fs::path>& info) {
                           return ScenarioTestName(info.param);
                         });

}  // namespace
}  // namespace delegsim::testing

namespace delegsim::testing {
namespace {

// Faults given on the command line (`run --fault`), which the host processes never see
// as arguments: the run's fault plan reaches every host in its configuration. A reply a
// fault loses at one host (db1 -> web1) ends the request at the requester's deadline in
// another process, as in one.
class ProcsCommandLineFaults : public ::testing::TestWithParam<std::string> {};

TEST_P(ProcsCommandLineFaults, SameDecisionsAsVirtualTime) {
  ChildReaper reaper;
  const std::string file = (ScenarioDir() / "default.json").string();
  sim::LoadResult loaded = sim::LoadScenarioFile(file, sim::kMaxScenarioBytes, {GetParam()});
  ASSERT_TRUE(loaded.ok());
  StatusOr<std::unique_ptr<sim::World>> reference =
      sim::World::Build(*loaded.scenario, std::make_unique<sim::VirtualRuntime>());
  ASSERT_TRUE(reference.ok());
  const std::string virtual_time = RunAndDescribeDecisions(**reference);
  ASSERT_NE(virtual_time.find("DS-13"), std::string::npos) << "the fault changed nothing";
  {
    StatusOr<std::unique_ptr<sim::World>> world =
        BuildProcsWorld(file, *loaded.scenario, /*procs=*/nullptr);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    EXPECT_EQ(RunAndDescribeDecisions(**world), virtual_time);
  }
  EXPECT_TRUE(RemainingChildren().empty());
}

INSTANTIATE_TEST_SUITE_P(Faults, ProcsCommandLineFaults,
                         ::testing::Values("drop:db1->web1", "host_down:db1", "slow_host:db1,by=1h",
                                           "kdc_unreachable:CORP.EXAMPLE"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.find(':'));
                           return name;
                         });

}  // namespace
}  // namespace delegsim::testing

namespace delegsim::testing {
namespace {

// World::SetParallelCalls (`run --parallel`): the procs runtime runs the calls one at a
// time, in step order, so the decisions are those of sequential virtual time.
TEST(ProcsParallelCalls, CallsPostedTogetherRunOneAfterAnother) {
  ChildReaper reaper;
  const std::string file = (ScenarioDir() / "default.json").string();
  const sim::Scenario scenario = LoadOrDie(file);
  StatusOr<std::unique_ptr<sim::World>> reference =
      sim::World::Build(scenario, std::make_unique<sim::VirtualRuntime>());
  ASSERT_TRUE(reference.ok());
  const std::string virtual_time = RunAndDescribeDecisions(**reference);
  {
    StatusOr<std::unique_ptr<sim::World>> world =
        BuildProcsWorld(file, scenario, /*procs=*/nullptr);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    (*world)->SetParallelCalls(4);
    EXPECT_EQ(RunAndDescribeDecisions(**world), virtual_time);
  }
  EXPECT_TRUE(RemainingChildren().empty());
}

}  // namespace
}  // namespace delegsim::testing
