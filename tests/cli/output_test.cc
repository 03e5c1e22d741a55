// The commands' outputs and exit codes with careless or hostile input: an output file
// that is an input (by any spelling, symlink or hard link) is refused before anything is
// written; outputs appear whole or not at all; `check` exits 2 for invalid scenarios; the
// JUnit file is well-formed XML (parsed back with libxml2) whatever the names contain.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/junit.h"
#include "cli/output_file.h"
#include "tests/scenario_library.h"

namespace delegsim::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using delegsim::testing::SourceDir;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// A fresh directory holding a copy of scenarios/two-hop.json as x.json.
class OutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("delegsim-output-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    scenario_ = dir_ / "x.json";
    fs::copy_file(fs::path(SourceDir()) / "scenarios/two-hop.json", scenario_);
    original_ = Read(scenario_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  int Run(const std::string& file, const std::string& trace) {
    RunOptions o;
    o.file = file;
    o.runtime = "virtual";
    o.trace_file = trace;
    out_.str("");
    err_.str("");
    return RunCommand(o, out_, err_);
  }
  int Check(std::vector<std::string> paths, const std::string& junit) {
    CheckOptions o;
    o.paths = std::move(paths);
    o.junit_file = junit;
    out_.str("");
    err_.str("");
    return CheckCommand(o, out_, err_);
  }
  // Files in dir_ other than those named.
  std::vector<std::string> Leftovers() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }

  fs::path dir_;
  fs::path scenario_;
  std::string original_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(OutputTest, RunRefusesATraceOntoItsScenarioByAnySpelling) {
  fs::create_directories(dir_ / "sub");
  fs::create_symlink(scenario_, dir_ / "link.json");
  fs::create_hard_link(scenario_, dir_ / "hard.json");
  const std::string spellings[] = {scenario_.string(), (dir_ / "sub/../x.json").string(),
                                   (dir_ / "./x.json").string(), (dir_ / "link.json").string(),
                                   (dir_ / "hard.json").string()};
  for (const std::string& trace : spellings) {
    EXPECT_EQ(Run(scenario_.string(), trace), kExitInvalid) << trace;
    EXPECT_THAT(err_.str(), HasSubstr("refusing to overwrite an input")) << trace;
    EXPECT_EQ(Read(scenario_), original_) << trace;
  }
  // The scenario named through the symlink, the trace onto the file itself.
  EXPECT_EQ(Run((dir_ / "link.json").string(), scenario_.string()), kExitInvalid);
  EXPECT_EQ(Read(scenario_), original_);
  EXPECT_EQ(out_.str(), "");  // nothing was run
}

TEST_F(OutputTest, RunWritesTheTraceWholeWithNoTemporaryLeft) {
  fs::path trace = dir_ / "trace.jsonl";
  Write(trace, "old\n");
  EXPECT_EQ(Run(scenario_.string(), trace.string()), kExitOk) << err_.str();
  std::string text = Read(trace);
  EXPECT_THAT(text, HasSubstr("\"kind\":\"SEND\""));
  EXPECT_EQ(text.find("old\n"), std::string::npos);
  EXPECT_THAT(Leftovers(), ::testing::UnorderedElementsAre("x.json", "trace.jsonl"));
  EXPECT_EQ(fs::status(trace).permissions() & fs::perms::others_read, fs::perms::others_read)
      << "the trace gets the mode a plain open would give it (umask permitting)";
}

TEST_F(OutputTest, RunOfAnInvalidScenarioLeavesAnExistingTraceAlone) {
  Write(dir_ / "bad.json", "{\"name\": ");
  fs::path trace = dir_ / "trace.jsonl";
  Write(trace, "previous run\n");
  EXPECT_EQ(Run((dir_ / "bad.json").string(), trace.string()), kExitInvalid);
  EXPECT_EQ(Read(trace), "previous run\n");
  EXPECT_THAT(Leftovers(), ::testing::UnorderedElementsAre("x.json", "bad.json", "trace.jsonl"));
}

TEST_F(OutputTest, OutputFileNotCommittedLeavesTheTargetAsItWas) {
  fs::path target = dir_ / "out.txt";
  Write(target, "before");
  {
    StatusOr<std::unique_ptr<OutputFile>> f = OutputFile::Create(target.string());
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    (*f)->stream() << "half of it";
    EXPECT_EQ(Read(target), "before");
  }  // destroyed without Commit: the run failed
  EXPECT_EQ(Read(target), "before");
  EXPECT_THAT(Leftovers(), ::testing::UnorderedElementsAre("x.json", "out.txt"));
  StatusOr<std::unique_ptr<OutputFile>> f = OutputFile::Create(target.string());
  ASSERT_TRUE(f.ok());
  (*f)->stream() << "after";
  ASSERT_TRUE((*f)->Commit().ok());
  EXPECT_EQ(Read(target), "after");
  EXPECT_FALSE(OutputFile::Create((dir_ / "no/such/dir/out.txt").string()).ok());
}

TEST_F(OutputTest, OutputPathsMayNotRepeatOrBeDirectories) {
  Status twice = CheckOutputPaths(
      {}, {{"--a", (dir_ / "o.txt").string()}, {"--b", (dir_ / "sub/../o.txt").string()}});
  EXPECT_THAT(twice.message(), HasSubstr("is also the file of --a"));
  EXPECT_THAT(CheckOutputPaths({}, {{"--trace", dir_.string()}}).message(),
              HasSubstr("is a directory"));
  EXPECT_TRUE(CheckOutputPaths({scenario_.string()}, {{"--trace", ""}}).ok());
}

TEST_F(OutputTest, CheckRefusesAJUnitReportOntoAScenario) {
  EXPECT_EQ(Check({dir_.string()}, scenario_.string()), kExitInvalid);
  EXPECT_THAT(err_.str(), HasSubstr("--junit " + scenario_.string() + " is the input"));
  EXPECT_EQ(Read(scenario_), original_);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(OutputTest, CheckExitsTwoForAnInvalidScenario) {
  EXPECT_EQ(Check({dir_.string()}, ""), kExitOk) << err_.str();
  Write(dir_ / "broken.json", "{\"name\": \"broken\", \"hosts\": 3}");
  EXPECT_EQ(Check({dir_.string()}, ""), kExitInvalid);
  EXPECT_THAT(out_.str(), HasSubstr("1 passed, 1 failed"));
  EXPECT_THAT(err_.str(), HasSubstr("$.hosts: expected an array, got integer 3"));
}

// Parses `xml` strictly; returns libxml2's first error, or "" when well-formed.
std::string XmlError(const std::string& xml) {
  xmlDocPtr doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "junit.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  std::string error;
  if (doc == nullptr) {
    const xmlError* e = xmlGetLastError();
    error = e && e->message ? e->message : "not well-formed";
  }
  xmlFreeDoc(doc);
  return error;
}

TEST_F(OutputTest, JUnitReportIsWellFormedWhateverTheNamesSay) {
  // A scenario file whose name and content carry control characters and markup.
  fs::path hostile = dir_ / "evil\x1b[2J<&\">\x07.json";
  Write(hostile, "{\"name\": \"e\\u0000vil\", \"hosts\": [{\"name\": \"h\\u001b\"}], \"x]]>\": 1}");
  fs::path junit = dir_ / "report.xml";
  EXPECT_EQ(Check({dir_.string()}, junit.string()), kExitInvalid);
  std::string xml = Read(junit);
  EXPECT_EQ(XmlError(xml), "") << xml;
  EXPECT_THAT(xml, HasSubstr("tests=\"2\" failures=\"1\""));
  EXPECT_THAT(xml, HasSubstr("evil\\x1b[2J&lt;&amp;&quot;&gt;\\x07.json"));
  EXPECT_THAT(xml, HasSubstr("h\\x1b"));
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  // The terminal gets the file name escaped too.
  EXPECT_THAT(out_.str(), HasSubstr("FAIL  evil\\x1b[2J<&\">\\x07  invalid scenario"));
  EXPECT_EQ(out_.str().find('\x1b'), std::string::npos);
  EXPECT_EQ(err_.str().find('\x1b'), std::string::npos);

  JUnitReport report;
  report.AddCase(std::string("nul\0name", 8), "f.json", 0.5,
                 "line one\nline two: ]]> \xe2\x80\xae \xff\n");
  std::string direct = report.Render();
  EXPECT_EQ(XmlError(direct), "") << direct;
  EXPECT_THAT(direct, HasSubstr("name=\"nul\\x00name\""));
  EXPECT_THAT(direct, HasSubstr("line one\nline two: ]]&gt; \\u202e \\xff\n"));
}

}  // namespace
}  // namespace delegsim::cli
