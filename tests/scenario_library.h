// The repository's files for tests: the source directory, the scenario library and
// whole-file reads. CTest sets DELEGSIM_SOURCE_DIR; without it (test discovery runs the
// binary directly) the directory the test was built from is used, which delegsim_test
// (cmake/delegsim.cmake) defines as DELEGSIM_BUILT_FROM_SOURCE_DIR for every test.
#ifndef DELEGSIM_TESTS_SCENARIO_LIBRARY_H_
#define DELEGSIM_TESTS_SCENARIO_LIBRARY_H_

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace delegsim::testing {

inline std::filesystem::path SourceDir() {
  const char* root = std::getenv("DELEGSIM_SOURCE_DIR");
  return std::filesystem::path(root ? root : DELEGSIM_BUILT_FROM_SOURCE_DIR);
}

inline std::filesystem::path ScenarioDir() { return SourceDir() / "scenarios"; }

// scenarios/NAME.json.
inline std::string LibraryScenario(const std::string& name) {
  return (ScenarioDir() / (name + ".json")).string();
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

// `text` as a gtest parameter name: every character but a letter or digit becomes '_'.
inline std::string SafeTestName(std::string text) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return text;
}

// The name of a test over one scenario file: its stem, made safe ("two-hop" -> "two_hop").
inline std::string ScenarioTestName(const std::filesystem::path& file) {
  return SafeTestName(file.stem().string());
}

// The file's bytes; empty when it cannot be read.
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace delegsim::testing

#endif  // DELEGSIM_TESTS_SCENARIO_LIBRARY_H_
