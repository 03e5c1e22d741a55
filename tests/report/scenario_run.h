// Runs a scenario of the library on the virtual runtime, for tests that read its results.
#ifndef DELEGSIM_TESTS_REPORT_SCENARIO_RUN_H_
#define DELEGSIM_TESTS_REPORT_SCENARIO_RUN_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"
#include "tests/scenario_library.h"

namespace delegsim::sim::testing {

using delegsim::testing::LibraryScenario;

// The world after running the scenario; nullptr (and a test failure) when it did not run.
inline std::unique_ptr<World> RunLibraryScenario(const std::string& name) {
  LoadResult loaded = LoadScenarioFile(LibraryScenario(name));
  if (!loaded.ok()) {
    ADD_FAILURE() << name << ": " << loaded.problems.front().ToString();
    return nullptr;
  }
  StatusOr<std::unique_ptr<World>> w =
      World::Build(*loaded.scenario, std::make_unique<VirtualRuntime>());
  if (!w.ok()) {
    ADD_FAILURE() << name << ": " << w.status().ToString();
    return nullptr;
  }
  if (Status st = (*w)->Run(); !st.ok()) {
    ADD_FAILURE() << name << ": " << st.ToString();
    return nullptr;
  }
  return std::move(*w);
}

}  // namespace delegsim::sim::testing

#endif  // DELEGSIM_TESTS_REPORT_SCENARIO_RUN_H_
