// The HTML reports as text (the browser test, html_browser_test.sh, renders them): the
// page is self-contained (no script, no fetch of any kind, a CSP forbidding both), every
// name is escaped, and the content a reader needs is there.
#include "cli/html_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/html_page.h"
#include "cli/reach_command.h"
#include "tests/report/scenario_run.h"
#include "tests/scenario_library.h"

namespace delegsim::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using delegsim::testing::ReadFile;

// What a self-contained page must not hold: scripts, external resources of any kind.
void ExpectSelfContained(const std::string& html) {
  EXPECT_THAT(html, HasSubstr("<meta http-equiv=\"Content-Security-Policy\" content=\"" +
                              std::string(kReportCsp) + "\">"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<iframe")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  // No attribute that loads something, in any tag (attribute values blanked first: an
  // escaped name may say " src=" as text).
  std::string tags = std::regex_replace(html, std::regex(R"re("[^"]*")re"), "\"\"");
  EXPECT_FALSE(
      std::regex_search(tags, std::regex(R"re(<[^<>]*\s(src|srcset|xlink:href|action|on\w+)=)re")));
  // Links (to the rules' public sources) are navigation, never fetched on load.
  std::smatch m;
  std::string rest = html;
  while (std::regex_search(rest, m, std::regex(R"re(href="([^"]*)")re"))) {
    std::string target = m[1];
    EXPECT_TRUE(target[0] == '#' || target.rfind("https://", 0) == 0) << target;
    rest = m.suffix();
  }
}

TEST(HtmlEscape, EscapesMarkupQuotesAndInvisibleCharacters) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("evil\x1b[2J"), "evil\\x1b[2J");
  EXPECT_EQ(HtmlEscape("exe\u202Etxt"), "exe\\u202etxt");
  EXPECT_EQ(HtmlEscape("alice@CORP.EXAMPLE"), "alice@CORP.EXAMPLE");
}

TEST(RunHtml, TwoHopShowsTheTreeDecisionsSequenceAndExpectations) {
  auto loaded = sim::LoadScenarioFile(sim::testing::LibraryScenario("two-hop"));
  ASSERT_TRUE(loaded.ok());
  auto runtime = std::make_unique<sim::VirtualRuntime>();
  runtime->CaptureMessages(true);
  auto world = sim::World::Build(*loaded.scenario, std::move(runtime));
  ASSERT_TRUE(world.ok());
  ASSERT_TRUE((*world)->Run().ok());
  sim::ExpectationReport report = sim::CheckExpectations(*loaded.scenario, (*world)->outcomes());
  std::string html = RenderRunHtml(**world, report, "two-hop.json", {});
  ExpectSelfContained(html);
  EXPECT_THAT(html, HasSubstr("<li class=\"hop allowed\" data-path=\"c1/web\" "
                              "data-verdict=\"allowed\"><b>web</b> on web1"));
  EXPECT_THAT(html, HasSubstr("data-path=\"c1/web/db\""));
  // Decisions with their checks and facts; the glossary with statements and sources.
  EXPECT_THAT(html, HasSubstr("<table class=\"checks\">"));
  EXPECT_THAT(html, HasSubstr("<dt id=\"rule-UD-3\">UD-3"));
  EXPECT_THAT(html, HasSubstr("<dt id=\"rule-TK-11\">TK-11"));
  EXPECT_THAT(html, HasSubstr("sources: <a href=\"https://"));
  // The sequence diagram, drawn in-process, inline.
  EXPECT_THAT(html, HasSubstr("<div class=\"diagram sequence\"><svg"));
  EXPECT_THAT(html, HasSubstr(">AS&#45;REQ alice</text>"));  // Graphviz escapes '-'
  EXPECT_THAT(html, HasSubstr("Expectations: 3 passed, 0 failed"));
  EXPECT_THAT(html, HasSubstr("<span class=\"pass\">PASS</span>"));
}

TEST(RunHtml, HostileNamesAreText) {
  fs::path dir = fs::temp_directory_path() / ("delegsim-html-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string text = ReadFile(sim::testing::LibraryScenario("two-hop"));
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size()))
      text.replace(p, from.size(), to);
  };
  replace_all("\"alice\"", "\"<img src onerror alert(1)>\"");
  replace_all("\"name\": \"two-hop\"", "\"name\": \"</title><script>alert(0)</script>\"");
  std::ofstream(dir / "hostile.json") << text;
  RunOptions o;
  o.file = (dir / "hostile.json").string();
  o.runtime = "virtual";
  o.html_file = (dir / "report.html").string();
  std::ostringstream out, err;
  int rc = RunCommand(o, out, err);
  ASSERT_NE(rc, kExitInvalid) << err.str();
  std::string html = ReadFile(dir / "report.html");
  ExpectSelfContained(html);
  EXPECT_THAT(html, HasSubstr("&lt;img src onerror alert(1)&gt;"));
  EXPECT_THAT(html, HasSubstr("<title>delegsim run: &lt;/title&gt;&lt;script&gt;"));
  // The --html output is never the input.
  RunOptions same = o;
  same.html_file = o.file;
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCommand(same, out2, err2), kExitInvalid);
  EXPECT_THAT(err2.str(), HasSubstr("refusing to overwrite an input"));
  EXPECT_EQ(ReadFile(dir / "hostile.json"), text);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(ReachHtml, FlowsAndTheGraphWithThem) {
  fs::path dir = fs::temp_directory_path() / ("delegsim-rhtml-" + std::to_string(getpid()));
  fs::create_directories(dir);
  ReachCommandOptions o;
  o.file = sim::testing::LibraryScenario("rbcd-resource-decides-who-may-delegate");
  o.identity = "alice";
  o.quiet = true;
  o.html_file = (dir / "reach.html").string();
  std::ostringstream out, err;
  ASSERT_EQ(ReachCommand(o, out, err), kExitOk) << err.str();
  std::string html = ReadFile(dir / "reach.html");
  ExpectSelfContained(html);
  EXPECT_THAT(html, HasSubstr("<h1>where alice@CORP.EXAMPLE&#39;s identity can arrive"));
  EXPECT_THAT(html, HasSubstr("<tr class=\"flow\" data-mechanism=\"rbcd\"><td>7</td>"));
  EXPECT_THAT(html, HasSubstr("<div class=\"diagram graph\"><svg"));
  EXPECT_THAT(html, HasSubstr("<dt id=\"rule-RB-1\">RB-1"));
  // --blast-radius: the exposure table.
  ReachCommandOptions blast;
  blast.file = o.file;
  blast.blast_radius = true;
  blast.quiet = true;
  blast.html_file = (dir / "blast.html").string();
  ASSERT_EQ(ReachCommand(blast, out, err), kExitOk) << err.str();
  std::string table = ReadFile(dir / "blast.html");
  ExpectSelfContained(table);
  EXPECT_THAT(table, HasSubstr("<tr class=\"exposure\"><td>svc_web@CORP.EXAMPLE</td>"));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace delegsim::cli
