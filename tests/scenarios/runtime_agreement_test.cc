// Every scenario in scenarios/ under both runtimes: the virtual runtime and loopback TCP
// must take the same decisions, hop path by hop path (verdict, identity, level,
// net_creds, deciding rule and every rule named), clock steps and ticket lifetimes
// included (the runtimes keep simulated time alike: nodes::kLinkLatencyMs per hop).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "net/asio_runtime.h"
#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"
#include "tests/hop_decisions.h"
#include "tests/scenario_library.h"

namespace delegsim::sim {
namespace {

namespace fs = std::filesystem;

using delegsim::testing::ScenarioDir;
using delegsim::testing::ScenarioFiles;

std::string Decisions(const Scenario& scenario, std::unique_ptr<nodes::Runtime> runtime) {
  StatusOr<std::unique_ptr<World>> world = World::Build(scenario, std::move(runtime));
  if (!world.ok()) return "build failed: " + world.status().ToString();
  return delegsim::testing::RunAndDescribeDecisions(**world);
}

class RuntimeAgreement : public ::testing::TestWithParam<fs::path> {};

TEST_P(RuntimeAgreement, TcpTakesTheDecisionsOfVirtualTime) {
  LoadResult loaded = LoadScenarioFile(GetParam().string());
  ASSERT_TRUE(loaded.ok()) << GetParam();
  const std::string virtual_time = Decisions(*loaded.scenario, std::make_unique<VirtualRuntime>());
  const std::string tcp = Decisions(*loaded.scenario, std::make_unique<net::AsioRuntime>());
  EXPECT_NE(virtual_time.find(" "), std::string::npos) << "no hop at all";
  EXPECT_EQ(virtual_time.find("did not complete"), std::string::npos) << virtual_time;
  EXPECT_EQ(tcp, virtual_time) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Library, RuntimeAgreement, ::testing::ValuesIn(ScenarioFiles()),
                         [](const ::testing::TestParamInfo<fs::path>& info) {
                           std::string name = info.param.stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace delegsim::sim
