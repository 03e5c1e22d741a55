// Keeps Asio inside net/: no file elsewhere includes it, and net's public headers
// (asio_runtime.h, frame.h, envelope_info.h) do not either, so that including the runtime
// does not pull Asio into cli/ or tests.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace delegsim::net {
namespace {

namespace fs = std::filesystem;

fs::path SourceDir() {
  const char* dir = std::getenv("DELEGSIM_SOURCE_DIR");  // set by delegsim_test
  return dir != nullptr ? fs::path(dir) : fs::path(".");
}

bool IncludesAsio(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const size_t hash = line.find_first_not_of(" \t");
    if (hash == std::string::npos || line[hash] != '#') continue;
    if (line.find("include") != std::string::npos && line.find("<asio") != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool IsSource(const fs::path& file) {
  static const std::set<std::string> kExtensions = {".h", ".hpp", ".cc", ".cpp"};
  return kExtensions.count(file.extension().string()) > 0;
}

TEST(Layering, OnlyNetIncludesAsio) {
  const fs::path root = SourceDir();
  ASSERT_TRUE(fs::exists(root / "net" / "asio_runtime.h")) << "source dir " << root;
  std::vector<std::string> offenders;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path relative = fs::relative(it->path(), root);
    const std::string top = relative.begin()->string();
    if (it->is_directory() && (top.rfind("build", 0) == 0 || top.rfind(".", 0) == 0)) {
      it.disable_recursion_pending();  // build trees, .git
      continue;
    }
    if (!it->is_regular_file() || !IsSource(it->path()) || top == "net") continue;
    if (IncludesAsio(it->path())) offenders.push_back(relative.string());
  }
  EXPECT_TRUE(offenders.empty()) << ::testing::PrintToString(offenders);
}

TEST(Layering, NetPublicHeadersDoNotIncludeAsio) {
  for (const char* header : {"asio_runtime.h", "frame.h", "envelope_info.h"}) {
    EXPECT_FALSE(IncludesAsio(SourceDir() / "net" / header)) << header;
  }
  EXPECT_TRUE(IncludesAsio(SourceDir() / "net" / "connection.h"));  // internal, and the check works
}

// JSON (nlohmann/json) belongs to sim/ and above: the lower layers know nothing of JSON.
TEST(Layering, OnlySimAndAboveIncludeNlohmannJson) {
  const fs::path root = SourceDir();
  std::vector<std::string> offenders;
  for (const char* layer : {"proto", "common", "kdc", "nodes", "net"}) {
    if (!fs::exists(root / layer)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / layer)) {
      if (!entry.is_regular_file() || !IsSource(entry.path())) continue;
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);) {
        const size_t hash = line.find_first_not_of(" \t");
        if (hash != std::string::npos && line[hash] == '#' &&
            line.find("include") != std::string::npos &&
            line.find("nlohmann") != std::string::npos) {
          offenders.push_back(fs::relative(entry.path(), root).string());
          break;
        }
      }
    }
  }
  EXPECT_TRUE(offenders.empty()) << ::testing::PrintToString(offenders);
}

}  // namespace
}  // namespace delegsim::net
