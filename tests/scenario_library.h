// The scenario library's files, for tests that run every scenario. Needs the compile
// definition DELEGSIM_BUILT_FROM_SOURCE_DIR (test discovery runs the binary without the
// DELEGSIM_SOURCE_DIR environment CTest sets, and the list must not be empty then).
#ifndef DELEGSIM_TESTS_SCENARIO_LIBRARY_H_
#define DELEGSIM_TESTS_SCENARIO_LIBRARY_H_

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace delegsim::testing {

inline std::filesystem::path ScenarioDir() {
  const char* root = std::getenv("DELEGSIM_SOURCE_DIR");
  return std::filesystem::path(root ? root : DELEGSIM_BUILT_FROM_SOURCE_DIR) / "scenarios";
}

// Every NAME.json in scenarios/, sorted.
inline std::vector<std::filesystem::path> ScenarioFiles() {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(ScenarioDir(), ec)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace delegsim::testing

#endif  // DELEGSIM_TESTS_SCENARIO_LIBRARY_H_
