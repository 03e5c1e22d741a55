// The source keys rules cite (common/sources.h): every `sources` entry of the rule table
// starts with a known key (or names a rule), every key has a public link or says why not,
// and docs/sources.md explains every key.
#include "common/sources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "common/rules.h"

namespace delegsim {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("DELEGSIM_SOURCE_DIR");  // set by delegsim_test
  return dir != nullptr ? dir : ".";
}

TEST(Sources, EveryCitedSourceIsExplained) {
  for (const RuleInfo& r : AllRules()) {
    std::string_view rest = r.sources;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view item = rest.substr(0, semi);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      // The key is the first word: "RFC4120 2.6", "RULES.md C10", "MIT EVIDENCE_...".
      std::string key(item.substr(0, item.find(' ')));
      EXPECT_TRUE(FindSource(key) != nullptr || ParseRuleId(key).has_value())
          << r.code << " cites '" << key << "', which delegsim rules --sources does not explain";
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
}

TEST(Sources, KeysAreUniqueAndLinked) {
  std::set<std::string_view> keys;
  for (const SourceInfo& s : AllSources()) {
    EXPECT_TRUE(keys.insert(s.key).second) << s.key;
    EXPECT_FALSE(s.title.empty()) << s.key;
    // Without a link only: a printed book, the catalogue itself and this project.
    if (s.links.empty()) {
      EXPECT_THAT(std::string(s.key), ::testing::AnyOf("SEED-D", "RULES.md", "delegsim"));
    }
    for (std::string_view link = s.links; !link.empty();) {
      EXPECT_TRUE(link.starts_with("https://")) << s.key << ": " << link;
      size_t space = link.find(' ');
      if (space == std::string_view::npos) break;
      link.remove_prefix(space + 1);
    }
  }
  ASSERT_NE(FindSource("SFU-K"), nullptr);
  EXPECT_THAT(
      std::string(FindSource("SFU-K")->links),
      ::testing::HasSubstr("learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sfu/"));
  EXPECT_EQ(FindSource("NO-SUCH"), nullptr);
}

TEST(Sources, DocsPageExplainsEveryKey) {
  std::ifstream in(SourceDir() + "/docs/sources.md");
  ASSERT_TRUE(in) << "docs/sources.md";
  std::stringstream text;
  text << in.rdbuf();
  for (const SourceInfo& s : AllSources()) {
    EXPECT_THAT(text.str(), ::testing::HasSubstr("| " + std::string(s.key) + " | ")) << s.key;
  }
}

}  // namespace
}  // namespace delegsim
