// The loader's shape checks come from docs/scenario.schema.json through valijson
// (sim/schema_check.h): the embedded schema is the shipped file, its errors read as the
// loader's located messages, and hostile nesting costs no more than the document's size.
#include "sim/schema_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sim/loader.h"
#include "sim/scenario_schema.h"
#include "tests/loader/test_files.h"

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace delegsim::sim;
using delegsim::testing::ReadFile;
using delegsim::testing::SourceDir;

std::vector<std::string> Problems(const std::string& text) {
  std::vector<std::string> out;
  for (const Problem& p : LoadScenarioText(text, "t.json").problems) out.push_back(p.ToString());
  return out;
}

constexpr char kWorld[] = R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"}],
  "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE"},
               {"name": "bob", "domain": "CORP.EXAMPLE"},
               {"name": "carol", "domain": "CORP.EXAMPLE"},
               {"name": "svc_web", "domain": "CORP.EXAMPLE", "spns": ["http/web1"],
                "trusted_for_delegation": "yes"}],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"}],
)";

std::string WithWorld(const std::string& rest) { return kWorld + rest; }

TEST(SchemaCheckTest, TheEmbeddedSchemaIsTheShippedFile) {
  EXPECT_EQ(std::string(ScenarioSchemaText()),
            ReadFile(SourceDir() + "/docs/scenario.schema.json"));
}

TEST(SchemaCheckTest, TypeErrorsNameThePathTheLineAndBothTypes) {
  EXPECT_THAT(Problems(WithWorld(R"(  "steps": []
})")),
              ElementsAre("t.json:9: $.accounts[3].trusted_for_delegation: expected a boolean, "
                          "got string \"yes\""));
}

TEST(SchemaCheckTest, EveryUnknownFieldOfAnObjectIsReported) {
  // valijson stops at an object's first unknown field; the loader names them all.
  EXPECT_THAT(Problems(R"({"name": "t", "hots": [], "acounts": []})"),
              ElementsAre("t.json:1: $.acounts: unknown field 'acounts' (did you mean 'accounts'?)",
                          "t.json:1: $.hots: unknown field 'hots' (did you mean 'hosts'?)"));
}

TEST(SchemaCheckTest, AnOperationIsExactlyOneKind) {
  EXPECT_THAT(
      Problems(
          WithWorld(R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web",
     "then": [{"open": "x", "call": "web"},
              {"rights": ["read"]},
              "open",
              {"s4u2proxy": "http/web1", "evidence": "incomming"}]}]
})")),
      ElementsAre(
          "t.json:9: $.accounts[3].trusted_for_delegation: expected a boolean, "
          "got string \"yes\"",
          "t.json:12: $.steps[0].then[0]: found 'open' and 'call', which exclude each other "
          "(give one of them)",
          "t.json:13: $.steps[0].then[1]: needs one of: open, check, create, call, "
          "create_process, create_process_as_user, logon_user, revert, privilege_check, "
          "open_thread_token, impersonate_self, duplicate_token, s4u_logon, s4u2self, "
          "s4u2proxy, tgs",
          "t.json:14: $.steps[0].then[2]: expected an object, got string \"open\"",
          "t.json:15: $.steps[0].then[3].evidence: unknown evidence 'incomming' (did you mean "
          "'incoming'?)"));
}

TEST(SchemaCheckTest, AFaultsFieldsDependOnItsKind) {
  EXPECT_THAT(Problems(WithWorld(R"(  "faults": [{"kind": "slow_host", "host": "web1", "to": "ws1"},
             {"kind": "host_down"},
             {"host": "web1"}]
})")),
              ElementsAre("t.json:9: $.accounts[3].trusted_for_delegation: expected a boolean, "
                          "got string \"yes\"",
                          "t.json:11: $.faults[0].to: a slow_host fault has no 'to' (it takes "
                          "by, host)",
                          "t.json:11: $.faults[0]: a slow_host fault needs 'by'",
                          "t.json:12: $.faults[1]: a host_down fault needs 'host'",
                          "t.json:13: $.faults[2]: missing required field 'kind'"));
}

// Operations nest in two forms (call, logon_user): validating every form of a oneOf would
// cost 2^depth (this test would never end). The chain valijson follows validates one form
// per level.
TEST(SchemaCheckTest, DeepHostileNestingIsLinear) {
  std::string call = R"({"open": "x"})";
  std::string nameless = R"({"open": "x"})";
  for (int i = 0; i < kMaxOperationDepth - 1; ++i) {
    call = R"({"call": "web", "then": [)" + call + "]}";
    nameless = R"({"then": [)" + nameless + R"(], "password": "p"})";
  }
  std::vector<std::string> deep = Problems(WithWorld(
      R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "then": [)" +
      call + "," + nameless + "]}]\n}"));
  EXPECT_THAT(deep,
              ElementsAre("t.json:9: $.accounts[3].trusted_for_delegation: expected a boolean, got "
                          "string \"yes\"",
                          "t.json:11: $.steps[0].then[1]: needs one of: open, check, create, call, "
                          "create_process, create_process_as_user, logon_user, revert, "
                          "privilege_check, open_thread_token, impersonate_self, duplicate_token, "
                          "s4u_logon, s4u2self, s4u2proxy, tgs"));
}

TEST(SchemaCheckTest, ShippedScenariosMatchTheSchema) {
  for (const char* name : {"/tests/loader/data/full.json", "/tests/loader/data/minimal.json"}) {
    nlohmann::json doc = nlohmann::json::parse(ReadFile(SourceDir() + name));
    std::vector<std::string> problems;
    for (const SchemaProblem& p : CheckAgainstSchema(doc))
      problems.push_back(p.path + ": " + p.message);
    EXPECT_THAT(problems, IsEmpty()) << name;
  }
}

// CheckAgainstSchema trusts the quick check (sim/schema_shape.h) when it says a document
// matches, and asks valijson otherwise: the two must give the same verdict. Every shipped
// scenario and test file, and each with values replaced, removed, renamed and added at
// nodes spread over it.
TEST(SchemaCheckTest, TheQuickCheckAgreesWithValijson) {
  namespace fs = std::filesystem;
  ASSERT_TRUE(QuickShapeAccepts(nlohmann::json::object()).has_value())
      << "the schema uses a keyword the quick check does not know: every load runs valijson";
  std::vector<std::string> files;
  for (const char* dir : {"/scenarios", "/tests/loader/data"}) {
    for (const auto& e : fs::directory_iterator(SourceDir() + dir)) {
      if (e.path().extension() == ".json") files.push_back(e.path().string());
    }
  }
  ASSERT_GT(files.size(), 10u);
  const std::vector<nlohmann::json> values = {1,
                                              -2,
                                              2.5,
                                              "x",
                                              "",
                                              true,
                                              false,
                                              nullptr,
                                              nlohmann::json::array(),
                                              nlohmann::json::object(),
                                              "allowed",
                                              "kerberos",
                                              "delegate",
                                              nlohmann::json::array({"x"})};
  int compared = 0, accepted = 0;
  auto agree = [&](const nlohmann::json& doc, const std::string& what) {
    bool valijson = ValijsonAccepts(doc);
    EXPECT_EQ(QuickShapeAccepts(doc), std::optional<bool>(valijson)) << what;
    ++compared;
    accepted += valijson ? 1 : 0;
  };
  uint64_t seed = 12345;
  auto next = [&seed](size_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>((seed >> 33) % n);
  };
  for (const std::string& file : files) {
    nlohmann::json doc = nlohmann::json::parse(ReadFile(file), nullptr, false);
    if (doc.is_discarded()) continue;
    agree(doc, file);
    std::vector<std::string> pointers;
    const nlohmann::json flat = doc.flatten();
    for (const auto& item : flat.items()) {
      const std::string& pointer = item.key();
      // Every prefix of a leaf's pointer is a node (objects and arrays too).
      for (size_t cut = pointer.find('/', 1); cut != std::string::npos;
           cut = pointer.find('/', cut + 1)) {
        pointers.push_back(pointer.substr(0, cut));
      }
      pointers.push_back(pointer);
    }
    for (int k = 0; k < 8 && !pointers.empty(); ++k) {
      nlohmann::json::json_pointer at(pointers[next(pointers.size())]);
      if (!doc.contains(at)) continue;
      std::string where = file + " at " + at.to_string();
      for (const nlohmann::json& v : values) {
        nlohmann::json m = doc;
        m[at] = v;
        agree(m, where + " = " + v.dump());
      }
      nlohmann::json& node = doc[at];
      if (node.is_object()) {
        nlohmann::json m = doc;
        m[at]["bogus"] = 1;
        agree(m, where + " + bogus");
        for (const char* kind : {"open", "call", "then", "kind", "tgs", "no_reach"}) {
          nlohmann::json n = doc;
          n[at][kind] = "x";
          agree(n, where + " + " + kind);
        }
      }
      nlohmann::json::json_pointer parent = at.parent_pointer();
      if (!at.empty() && doc[parent].is_object()) {
        nlohmann::json m = doc;
        m[parent].erase(at.back());
        agree(m, where + " removed");
        nlohmann::json r = doc;
        r[parent][at.back() + "s"] = doc[at];
        r[parent].erase(at.back());
        agree(r, where + " renamed");
      }
    }
  }
  EXPECT_GT(compared, 1000);
  EXPECT_GT(accepted, compared / 10);  // both verdicts are exercised
}

}  // namespace
