// docs/scenario.schema.json against the example scenarios, with Python's jsonschema
// (Debian: python3-jsonschema): every shipped scenario and every valid example must pass,
// and a file with an unknown field must fail. Skipped when /usr/bin/python3 has no
// jsonschema module (CI installs it).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/loader/test_files.h"

namespace {

namespace fs = std::filesystem;

using delegsim::testing::ReadFile;
using delegsim::testing::SourceDir;

constexpr char kPython[] = "/usr/bin/python3";

// Validates each file against the schema; prints "<file>: <error>" for each failure and
// exits 1 if any. The schema itself is checked against its metaschema first.
constexpr char kValidator[] = R"(import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)
bad = 0
for name in sys.argv[2:]:
    for error in validator.iter_errors(json.load(open(name))):
        bad += 1
        path = "$" + "".join("[%d]" % p if isinstance(p, int) else "." + p for p in error.absolute_path)
        print("%s: %s: %s" % (name, path, error.message[:300]))
sys.exit(1 if bad else 0)
)";

struct CommandResult {
  int exit_code;
  std::string output;
};

CommandResult Shell(const std::string& command) {
  CommandResult r{-1, ""};
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kPython) ||
        Shell(std::string(kPython) + " -c 'import jsonschema'").exit_code != 0) {
      GTEST_SKIP() << kPython << " has no jsonschema module (apt install python3-jsonschema)";
    }
    script_ = fs::temp_directory_path() / ("delegsim_schema_" + std::to_string(getpid()) + ".py");
    std::ofstream(script_) << kValidator;
  }
  void TearDown() override {
    if (!script_.empty()) fs::remove(script_);
    for (const fs::path& f : temporary_) fs::remove(f);
  }

  CommandResult Validate(const std::vector<std::string>& files) {
    std::string cmd = std::string(kPython) + " " + Quote(script_.string()) + " " +
                      Quote(SourceDir() + "/docs/scenario.schema.json");
    for (const std::string& f : files) cmd += " " + Quote(f);
    return Shell(cmd);
  }

  fs::path script_;
  std::vector<fs::path> temporary_;
};

TEST_F(SchemaTest, AcceptsEveryShippedScenarioAndValidExample) {
  std::vector<std::string> files;
  fs::path scenarios = fs::path(SourceDir()) / "scenarios";
  if (fs::exists(scenarios)) {
    for (const auto& e : fs::recursive_directory_iterator(scenarios)) {
      if (e.path().extension() == ".json") files.push_back(e.path().string());
    }
  }
  // The loader's valid examples (bad.json is the documented invalid one).
  for (const char* name : {"full.json", "minimal.json"}) {
    files.push_back(SourceDir() + "/tests/loader/data/" + name);
  }
  // The valid examples of docs/scenario-format.md (the other one is bad.json).
  std::ifstream doc(SourceDir() + "/docs/scenario-format.md");
  std::string bad_example = ReadFile(SourceDir() + "/tests/loader/data/bad.json");
  std::string block;
  bool inside = false;
  int n = 0;
  for (std::string line; std::getline(doc, line);) {
    if (!inside && line == "```json") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      if (block == bad_example) continue;
      fs::path f = fs::temp_directory_path() / ("delegsim_doc_" + std::to_string(getpid()) + "_" +
                                                std::to_string(n++) + ".json");
      std::ofstream(f) << block;
      files.push_back(f.string());
      temporary_.push_back(f);
    } else if (inside) {
      block += line + "\n";
    }
  }
  EXPECT_GE(n, 1) << "no example in docs/scenario-format.md";
  CommandResult r = Validate(files);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(SchemaTest, RejectsUnknownFields) {
  fs::path bad =
      fs::temp_directory_path() / ("delegsim_schema_bad_" + std::to_string(getpid()) + ".json");
  std::ofstream(bad) << R"({"name": "t",
    "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE", "trusted_for_delegaton": true}],
    "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web",
               "then": [{"open": "x", "right": ["read"]}]}]})";
  CommandResult r = Validate({bad.string()});
  fs::remove(bad);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("$.accounts[0]: Additional properties are not allowed "
                          "('trusted_for_delegaton' was unexpected)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("$.steps[0]: "), std::string::npos) << r.output;
}

// The schema states the loader's new limits too: control and bidi characters in names
// and text, clock steps past 100 years.
TEST_F(SchemaTest, RejectsControlCharactersAndEndlessClockSteps) {
  fs::path bad =
      fs::temp_directory_path() / ("delegsim_schema_ctl_" + std::to_string(getpid()) + ".json");
  std::ofstream(bad) << R"({"name": "t", "description": "bell\u0007",
    "hosts": [{"name": "h\u001b[2J"}],
    "accounts": [{"name": "mallory\u202etxt.exe", "domain": "CORP.EXAMPLE"}],
    "steps": [{"advance_clock": 3153600000001}]})";
  CommandResult r = Validate({bad.string()});
  fs::remove(bad);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (const char* path :
       {"$.description: ", "$.hosts[0].name: ", "$.accounts[0].name: ", "$.steps[0]: "}) {
    EXPECT_NE(r.output.find(path), std::string::npos) << path << "\n" << r.output;
  }
}

}  // namespace
