// Keeps the layers honest for JSON and the importer: nlohmann/json is included only from
// sim/ upwards (the scenario loader and writer, collector files, reports, commands); no
// lower layer includes it, and only cli/, tests and bench use the importer.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace delegsim::importer {
namespace {

namespace fs = std::filesystem;

fs::path SourceDir() {
  const char* dir = std::getenv("DELEGSIM_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::path(".");
}

bool Includes(const fs::path& file, const std::string& needle) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    size_t hash = line.find_first_not_of(" \t");
    if (hash == std::string::npos || line[hash] != '#') continue;
    if (line.find("include") != std::string::npos && line.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Source files under the repository whose top folder is not in `allowed` and that include
// `needle`.
std::vector<std::string> Offenders(const std::string& needle,
                                   const std::set<std::string>& allowed) {
  std::vector<std::string> out;
  const fs::path root = SourceDir();
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path relative = fs::relative(it->path(), root);
    const std::string top = relative.begin()->string();
    if (it->is_directory() && (top.rfind("build", 0) == 0 || top.rfind(".", 0) == 0)) {
      it.disable_recursion_pending();
      continue;
    }
    std::string ext = it->path().extension().string();
    if (!it->is_regular_file() || (ext != ".h" && ext != ".cc") || allowed.count(top)) continue;
    if (Includes(it->path(), needle)) out.push_back(relative.string());
  }
  return out;
}

// (The layers below sim/ never include it: tests/report keeps that rule for them.)
TEST(Layering, NlohmannJsonStaysAboveTheSimulator) {
  ASSERT_TRUE(fs::exists(SourceDir() / "importer" / "bloodhound_file.cc"));
  EXPECT_EQ(Offenders("<nlohmann/",
                      {"sim", "importer", "analysis", "diagrams", "cli", "bench", "tests", "fuzz"}),
            std::vector<std::string>{});
}

TEST(Layering, OnlyTheCommandsAndTestsUseTheImporter) {
  EXPECT_EQ(Offenders("\"importer/", {"importer", "cli", "tests", "bench"}),
            std::vector<std::string>{});
}

}  // namespace
}  // namespace delegsim::importer
