// The rule table (common/rules.h) as a contract:
//  (a) it is well formed: ids equal their index, every rule has a statement and sources,
//      codes are unique and ParseRuleId round-trips;
//  (b) every rule id written anywhere in the sources (.h/.cc of common, kdc, nodes, sim,
//      net, cli and tests) is one the table knows;
//  (c) every rule id of RULES.md section (a) is in the table. The list is copied here so the
//      test does not need ../shared at run time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/rules.h"

namespace delegsim {
namespace {

namespace fs = std::filesystem;

// RULES.md section (a), in table order.
const std::vector<std::string>& RulesMdIds() {
  static const std::vector<std::string> ids = {
      "IL-1",  "IL-2",  "IL-3",  "IL-4",  "IL-5",  "IL-6",  "TK-1",  "TK-2",  "TK-3",  "TK-4",
      "TK-5",  "TK-6",  "TK-7",  "TK-8",  "TK-9",  "TK-10", "TK-11", "TR-1",  "TR-2",  "TR-3",
      "TR-4",  "DF-1",  "PK-1",  "PK-2",  "PK-3",  "PK-4",  "PK-5",  "MA-1",  "MA-2",  "LC-1",
      "LC-2",  "LC-3",  "LC-4",  "LC-5",  "UD-1",  "UD-2",  "UD-3",  "UD-4",  "UD-5",  "UD-6",
      "AC-1",  "AC-2",  "AC-3",  "AC-4",  "AC-5",  "PU-1",  "PU-2",  "PU-3",  "S4U-1", "S4U-2",
      "KCD-1", "KCD-2", "KCD-3", "KCD-4", "KCD-5", "KCD-6", "KCD-7", "S4U-3", "RB-1",  "RB-2",
      "RB-3",  "RB-4",  "XR-1",  "XR-2",  "XR-3",
  };
  return ids;
}

// The rule ids the KDC decides with (the KDC-enforced rows of RULES.md plus its DS-* rules).
const std::vector<std::string>& KdcIds() {
  static const std::vector<std::string> ids = {
      "UD-1",  "UD-3",  "UD-4",  "UD-5",  "UD-6",  "AC-1",  "AC-2",  "AC-3",  "AC-4",
      "AC-5",  "PU-1",  "PU-2",  "PU-3",  "S4U-1", "S4U-2", "S4U-3", "KCD-1", "KCD-2",
      "KCD-3", "KCD-4", "KCD-5", "KCD-6", "KCD-7", "RB-1",  "RB-2",  "RB-3",  "RB-4",
      "XR-1",  "XR-2",  "XR-3",  "DS-7",  "DS-8",  "DS-9",  "DS-10",
  };
  return ids;
}

// ---------------------------------------------------------------------------------------
// (a) The table is well formed.

TEST(RuleTable, IdsEqualTheirIndexAndEveryRuleIsDocumented) {
  std::span<const RuleInfo> all = AllRules();
  ASSERT_EQ(all.size(), static_cast<size_t>(RuleId::kCount));
  std::set<std::string_view> codes;
  for (size_t i = 0; i < all.size(); ++i) {
    const RuleInfo& r = all[i];
    SCOPED_TRACE(std::string(r.code));
    EXPECT_EQ(static_cast<size_t>(r.id), i);
    EXPECT_EQ(&Rule(r.id), &r);
    EXPECT_FALSE(r.code.empty());
    EXPECT_FALSE(r.statement.empty());
    EXPECT_FALSE(r.sources.empty());
    EXPECT_NE(EnforcerName(r.enforcer), "?");
    EXPECT_TRUE(codes.insert(r.code).second) << "duplicate code " << r.code;
    EXPECT_EQ(RuleCode(r.id), r.code);
  }
}

TEST(RuleTable, ParseRuleIdRoundTrips) {
  for (const RuleInfo& r : AllRules()) {
    SCOPED_TRACE(std::string(r.code));
    EXPECT_EQ(ParseRuleId(r.code), r.id);
    std::string lower(r.code);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(ParseRuleId(lower), r.id);
  }
  // Ids the table does not have. Built at run time so that this file contains no unknown
  // id for the source scan below.
  const std::string dash = "-";
  for (const std::string& bad :
       {std::string("KCD") + dash + "0", std::string("KCD") + dash + "8",
        std::string("S4U") + dash + "4", std::string("XX") + dash + "1", std::string("KCD2"),
        std::string("KCD-2 "), std::string(" KCD-2"), std::string("KCD--2"), std::string()}) {
    EXPECT_EQ(ParseRuleId(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(RuleTable, KdcRulesAreEnforcedByTheKdc) {
  for (const std::string& code : KdcIds()) {
    std::optional<RuleId> id = ParseRuleId(code);
    ASSERT_TRUE(id.has_value()) << code;
    EXPECT_EQ(Rule(*id).enforcer, Enforcer::kKdc) << code;
  }
  // Client-side rules are not the KDC's.
  EXPECT_EQ(Rule(RuleId::kUD2).enforcer, Enforcer::kClient);
  EXPECT_EQ(Rule(RuleId::kMA1).enforcer, Enforcer::kClient);
}

// ---------------------------------------------------------------------------------------
// (b) Every rule id in the sources is known.

// The tokens of `line` that match \b(IL|TK|TR|DF|PK|MA|LC|UD|AC|PU|S4U|KCD|RB|XR|DS)-[0-9]+\b
// (ECMAScript word boundaries). Hand-written rather than std::regex: libstdc++'s regex
// trips -Wmaybe-uninitialized in the sanitizer build, and this is faster.
std::vector<std::string> RuleIdTokens(std::string_view line) {
  static constexpr std::string_view kPrefixes[] = {"IL", "TK", "TR",  "DF",  "PK", "MA", "LC", "UD",
                                                   "AC", "PU", "S4U", "KCD", "RB", "XR", "DS"};
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  std::vector<std::string> out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (i > 0 && word(line[i - 1])) continue;  // \b before the prefix
    for (std::string_view prefix : kPrefixes) {
      if (line.substr(i, prefix.size()) != prefix) continue;
      size_t dash = i + prefix.size();
      if (dash >= line.size() || line[dash] != '-') continue;
      size_t end = dash + 1;
      while (end < line.size() && digit(line[end])) ++end;
      if (end == dash + 1) continue;                       // [0-9]+
      if (end < line.size() && word(line[end])) continue;  // \b after the number
      out.emplace_back(line.substr(i, end - i));
    }
  }
  return out;
}

struct Finding {
  std::string where;  // "kdc/kdc.cc:42"
  std::string token;
};

// Every token of `text` that looks like a rule id but is not in the table. Counts every
// token found in `seen` when given.
std::vector<Finding> UnknownIds(const std::string& name, std::istream& text,
                                std::map<std::string, int>* seen = nullptr) {
  std::vector<Finding> out;
  std::string line;
  for (int n = 1; std::getline(text, line); ++n) {
    for (const std::string& token : RuleIdTokens(line)) {
      if (seen) ++(*seen)[token];
      if (!ParseRuleId(token)) out.push_back({name + ":" + std::to_string(n), token});
    }
  }
  return out;
}

TEST(RuleTable, TokenizerFollowsTheRegex) {
  // Word boundaries: '_' and letters and digits are word characters, punctuation is not.
  EXPECT_THAT(RuleIdTokens("S4U-2,KCD-7;(XR-3) _AC-1 AC-1_ aUD-3 UD-3a UD- PU-x DS-10"),
              ::testing::ElementsAre("S4U-2", "KCD-7", "XR-3", "DS-10"));
  EXPECT_THAT(RuleIdTokens("kcd-2 Kcd-2 KCD-"), ::testing::IsEmpty());  // case-sensitive
}

TEST(RuleTable, ScannerFlagsUnknownIdsWithFileAndLine) {
  const std::string dash = "-";
  std::istringstream text("// KCD" + dash + "2 is fine\n" +  // known
                          "x = \"RB" + dash + "9\";  // AC" + dash + "1\n" + "MKCD" + dash +
                          "9 KCD" + dash + "9x UD" + dash + "42\n");
  std::vector<Finding> found = UnknownIds("f.cc", text);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].where, "f.cc:2");
  EXPECT_EQ(found[0].token, "RB" + dash + "9");
  EXPECT_EQ(found[1].where, "f.cc:3");
  EXPECT_EQ(found[1].token, "UD" + dash + "42");
}

TEST(RuleTable, EveryRuleIdInTheSourcesIsKnown) {
  const char* root_env = std::getenv("DELEGSIM_SOURCE_DIR");
  ASSERT_NE(root_env, nullptr) << "DELEGSIM_SOURCE_DIR is not set (the test helper sets it)";
  const fs::path root(root_env);
  ASSERT_TRUE(fs::is_directory(root / "kdc")) << root;

  std::vector<Finding> unknown;
  std::map<std::string, int> seen;  // known ids found, to show the scan saw something
  int files = 0;
  for (const char* folder : {"common", "kdc", "nodes", "sim", "net", "cli", "tests"}) {
    fs::path dir = root / folder;
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> paths;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
      std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".h" || ext == ".cc")) paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const fs::path& p : paths) {
      std::ifstream in(p);
      ASSERT_TRUE(in) << p;
      ++files;
      std::string rel = fs::relative(p, root).generic_string();
      for (Finding& f : UnknownIds(rel, in, &seen)) unknown.push_back(std::move(f));
    }
  }
  EXPECT_GT(files, 10);
  EXPECT_GT(seen["KCD-2"], 0);  // rules.cc and kdc.cc name it
  for (const Finding& f : unknown) {
    ADD_FAILURE() << f.where << ": unknown rule id " << f.token;
  }
}

// ---------------------------------------------------------------------------------------
// (c) RULES.md's ids are all in the table, and the table adds only DS-* ids.

TEST(RuleTable, EveryRulesMdIdIsInTheTable) {
  for (const std::string& code : RulesMdIds()) {
    std::optional<RuleId> id = ParseRuleId(code);
    ASSERT_TRUE(id.has_value()) << code << " from RULES.md is missing from common/rules.cc";
    EXPECT_EQ(RuleCode(*id), code);
  }
  EXPECT_EQ(RulesMdIds().size(), 65u);
}

TEST(RuleTable, TableAddsOnlyProjectRulesToRulesMd) {
  const std::vector<std::string>& md = RulesMdIds();
  size_t from_md = 0;
  for (const RuleInfo& r : AllRules()) {
    std::string code(r.code);
    bool in_md = std::find(md.begin(), md.end(), code) != md.end();
    bool project = code.rfind("DS-", 0) == 0;
    EXPECT_TRUE(in_md || project) << code << " is neither a RULES.md id nor a DS-* id";
    if (in_md) ++from_md;
  }
  EXPECT_EQ(from_md, md.size());
}

}  // namespace
}  // namespace delegsim
