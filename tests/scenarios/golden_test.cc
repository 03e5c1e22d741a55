// Every scenario in scenarios/ runs twice on the virtual runtime: the two traces must be
// byte-identical, and equal to the golden trace kept beside the scenario (NAME.trace).
// DELEGSIM_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"
#include "tests/scenario_library.h"

namespace delegsim::sim {
namespace {

namespace fs = std::filesystem;

using delegsim::testing::ScenarioDir;
using delegsim::testing::ScenarioFiles;
using delegsim::testing::ScenarioTestName;

std::string TraceOf(const Scenario& s) {
  StatusOr<std::unique_ptr<World>> w = World::Build(s, std::make_unique<VirtualRuntime>());
  if (!w.ok()) return "build failed: " + w.status().ToString();
  Status st = (*w)->Run();
  std::string out =
      "# scenario " + s.name + " seed " + std::to_string(s.seed) + " runtime virtual\n";
  if (!st.ok()) out += "# run failed: " + st.ToString() + "\n";
  for (const nodes::TraceRecord& r : (*w)->trace()) out += TraceLineText(r) + "\n";
  return out;
}

class Golden : public ::testing::TestWithParam<fs::path> {};

TEST_P(Golden, TwoRunsAreByteIdenticalAndMatchTheGoldenTrace) {
  const fs::path& file = GetParam();
  LoadResult loaded = LoadScenarioFile(file.string());
  ASSERT_TRUE(loaded.ok()) << file << ": "
                           << (loaded.problems.empty() ? "" : loaded.problems[0].ToString());
  std::string first = TraceOf(*loaded.scenario);
  std::string second = TraceOf(*loaded.scenario);
  ASSERT_EQ(first, second) << file << ": two runs differ";

  fs::path golden = file;
  golden.replace_extension(".trace");
  const char* update = std::getenv("DELEGSIM_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(golden) << first;
    GTEST_SKIP() << "rewrote " << golden;
  }
  std::ifstream in(golden);
  ASSERT_TRUE(in) << golden << " is missing; run the test with DELEGSIM_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), first)
      << file << ": the trace differs from " << golden
      << " (DELEGSIM_UPDATE_GOLDEN=1 rewrites it after a deliberate change)";
}

std::string Name(const ::testing::TestParamInfo<fs::path>& info) {
  return ScenarioTestName(info.param);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Golden, ::testing::ValuesIn(ScenarioFiles()), Name);

TEST(ScenarioLibrary, IsNotEmpty) { EXPECT_FALSE(ScenarioFiles().empty()) << ScenarioDir(); }

}  // namespace
}  // namespace delegsim::sim
