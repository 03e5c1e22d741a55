// Every input a fuzzer ever crashed on (fuzz/regressions/TARGET/, one file each, named
// after what it found) replayed through the same target function, in the ordinary and
// sanitizer builds: a fixed bug stays fixed. The harness itself is checked on the
// library's scenarios, which the scenario target must run to completion.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/targets.h"

namespace delegsim::fuzz {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* dir = std::getenv("DELEGSIM_SOURCE_DIR");
  return dir ? dir : DELEGSIM_TEST_SOURCE_DIR;
}

std::vector<fs::path> FilesIn(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void Replay(const std::string& target, void (*fn)(const uint8_t*, size_t)) {
  for (const fs::path& file : FilesIn(fs::path(SourceDir()) / "fuzz/regressions" / target)) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
}

TEST(FuzzRegressions, Scenario) { Replay("scenario", FuzzScenario); }
TEST(FuzzRegressions, Frame) { Replay("frame", FuzzFrames); }
TEST(FuzzRegressions, Node) { Replay("node", FuzzNode); }

TEST(FuzzHarness, LibraryScenariosRunThroughTheScenarioTarget) {
  std::vector<fs::path> files = FilesIn(fs::path(SourceDir()) / "scenarios");
  size_t json = 0;
  for (const fs::path& file : files) {
    if (file.extension() != ".json") continue;
    ++json;
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    FuzzScenario(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  EXPECT_GT(json, 10u);
}

TEST(FuzzHarness, NodeTargetDeliversToEveryNodeKind) {
  // An empty CALL from node 1 to each of the first nodes, before and after the calls.
  for (uint8_t to = 0; to < 8; ++to) {
    for (uint8_t mode = 0; mode < 2; ++mode) {
      std::vector<uint8_t> input = {to, 0, mode};
      FuzzNode(input.data(), input.size());
    }
  }
}

}  // namespace
}  // namespace delegsim::fuzz
