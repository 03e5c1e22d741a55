// `delegsim export --format dot|mermaid` with reach's options: the flows reach finds are
// drawn on the delegation graph, and Graphviz renders the result for every library
// scenario, both as the `dot` program and through its library (diagrams/svg.h, the HTML
// report's path).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/export_command.h"
#include "diagrams/delegation_graph.h"
#include "diagrams/flow_edges.h"
#include "diagrams/svg.h"
#include "sim/loader.h"
#include "tests/scenario_library.h"

namespace delegsim::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using delegsim::testing::ScenarioFiles;
using delegsim::testing::SourceDir;

std::string Rbcd() {
  return (SourceDir() / "scenarios/rbcd-resource-decides-who-may-delegate.json").string();
}

int Export(const ExportOptions& o, std::string* out, std::string* err) {
  std::ostringstream o_out, o_err;
  int rc = ExportCommand(o, o_out, o_err);
  *out = o_out.str();
  *err = o_err.str();
  return rc;
}

TEST(ExportFlows, DotDrawsTheRbcdFlowFromTheFrontEndToTheBackEnd) {
  ExportOptions o;
  o.file = Rbcd();
  o.identity = "alice";
  o.quiet = true;
  std::string out, err;
  ASSERT_EQ(Export(o, &out, &err), kExitOk) << err;
  // web is the scenario's first service (s0), db its second (s1): alice reaches db from
  // web by RBCD (RB-1), and her first hops start at her account's node.
  EXPECT_THAT(out, HasSubstr("s0 -> s1 [label=\"alice@CORP.EXAMPLE · rbcd [IL-6, PK-4, MA-2, "
                             "RB-1, DS-15, KCD-6, DS-1, IL-4, KCD-7]\\n"));
  EXPECT_THAT(out, HasSubstr("a0 -> s1 [label=\"alice@CORP.EXAMPLE · direct ["));
  EXPECT_THAT(out, HasSubstr("where alice@CORP.EXAMPLE's identity can arrive"));
  // Without a reach option the graph is the design only.
  ExportOptions plain;
  plain.file = Rbcd();
  ASSERT_EQ(Export(plain, &out, &err), kExitOk) << err;
  EXPECT_THAT(out, Not(HasSubstr("darkorange")));
}

TEST(ExportFlows, MermaidDrawsCompromisedKeysFlows) {
  ExportOptions o;
  o.file = Rbcd();
  o.format = "mermaid";
  o.compromised = {"svc_web"};
  o.quiet = true;
  std::string out, err;
  ASSERT_EQ(Export(o, &out, &err), kExitOk) << err;
  EXPECT_THAT(out, HasSubstr("--o|\"alice@CORP.EXAMPLE · rbcd (keys of svc_web) ["));
}

TEST(ExportFlows, ReachOptionsAreNamedWhenWrong) {
  ExportOptions o;
  o.file = Rbcd();
  o.identity = "alcie";
  std::string out, err;
  EXPECT_EQ(Export(o, &out, &err), kExitInvalid);
  EXPECT_THAT(err, HasSubstr("unknown account 'alcie'"));
  EXPECT_THAT(err, HasSubstr("alice"));
  EXPECT_EQ(out, "");
  ExportOptions seq;
  seq.file = Rbcd();
  seq.format = "sequence";
  seq.to = "db";
  EXPECT_EQ(Export(seq, &out, &err), kExitInvalid);
  EXPECT_THAT(err, HasSubstr("apply to --format dot, mermaid and opengraph"));
  ExportOptions two;
  two.file = Rbcd();
  two.identity = "alice";
  two.to = "db";
  EXPECT_EQ(Export(two, &out, &err), kExitInvalid);
  EXPECT_THAT(err, HasSubstr("at most one of"));
}

TEST(ExportFlows, NeverOverwritesTheInput) {
  fs::path dir = fs::temp_directory_path() / ("delegsim-export-" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::copy_file(Rbcd(), dir / "in.json");
  std::string before;
  {
    std::stringstream s;
    s << std::ifstream(dir / "in.json").rdbuf();
    before = s.str();
  }
  ExportOptions o;
  o.file = (dir / "in.json").string();
  o.output = (dir / "." / "in.json").string();
  std::string out, err;
  EXPECT_EQ(Export(o, &out, &err), kExitInvalid);
  EXPECT_THAT(err, HasSubstr("refusing to overwrite an input"));
  std::stringstream after;
  after << std::ifstream(dir / "in.json").rdbuf();
  EXPECT_EQ(after.str(), before);
  o.output = (dir / "graph.dot").string();
  EXPECT_EQ(Export(o, &out, &err), kExitOk) << err;
  EXPECT_TRUE(fs::exists(dir / "graph.dot"));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

bool HaveGraphviz() { return std::system("dot -V >/dev/null 2>&1") == 0; }

// Every library scenario with every flow reach finds (up to 3 hops) drawn on its graph:
// `dot -Tsvg` renders it without a warning, and so does the library the HTML report uses.
TEST(ExportFlows, GraphvizRendersEveryLibraryScenarioWithItsFlows) {
  if (!HaveGraphviz()) GTEST_SKIP() << "Graphviz `dot` not found: run scripts/setup.sh";
  fs::path dir = fs::temp_directory_path() / ("delegsim-flows-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::vector<fs::path> files = ScenarioFiles();
  ASSERT_GT(files.size(), 10u);
  size_t with_flows = 0;
  for (const fs::path& f : files) {
    ExportOptions o;
    o.file = f.string();
    o.reach_asked = true;  // no question: every flow
    o.max_hops = 3;
    o.quiet = true;
    o.output = (dir / (f.stem().string() + ".dot")).string();
    std::string out, err;
    ASSERT_EQ(Export(o, &out, &err), kExitOk) << f << ": " << err;
    std::stringstream dot;
    dot << std::ifstream(o.output).rdbuf();
    if (dot.str().find("darkorange") != std::string::npos) ++with_flows;
    fs::path svg = dir / (f.stem().string() + ".svg");
    fs::path log = dir / (f.stem().string() + ".err");
    std::string cmd =
        "dot -Tsvg '" + o.output + "' -o '" + svg.string() + "' 2>'" + log.string() + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << f;
    EXPECT_TRUE(fs::exists(svg) && fs::file_size(svg) > 0) << f;
    EXPECT_EQ(fs::file_size(log), 0u) << f << ": " << std::ifstream(log).rdbuf();
    StatusOr<std::string> inline_svg = diagrams::RenderSvg(dot.str());
    ASSERT_TRUE(inline_svg.ok()) << f << ": " << inline_svg.status().message();
    EXPECT_EQ(inline_svg->rfind("<svg", 0), 0u) << f;
    EXPECT_THAT(*inline_svg, Not(HasSubstr("<!--")));
    EXPECT_THAT(*inline_svg, Not(HasSubstr("<!DOCTYPE")));
  }
  EXPECT_GT(with_flows, files.size() / 2);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(Svg, NamesWhatGraphvizCannotParseAndRefusesHugeInput) {
  StatusOr<std::string> bad = diagrams::RenderSvg("digraph { a -> ");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("Graphviz cannot parse the graph"));
  StatusOr<std::string> huge =
      diagrams::RenderSvg("digraph {" + std::string(diagrams::kMaxSvgDotBytes, ' ') + "}");
  ASSERT_FALSE(huge.ok());
  EXPECT_THAT(huge.status().message(), HasSubstr("too large to draw"));
  // A label that would close a comment early: comments are dropped, text is escaped.
  StatusOr<std::string> svg = diagrams::RenderSvg("digraph { \"a--><script>x</script>\" }");
  ASSERT_TRUE(svg.ok()) << svg.status().message();
  EXPECT_THAT(*svg, Not(HasSubstr("<script")));
  EXPECT_THAT(*svg, HasSubstr("&lt;script&gt;"));
}

}  // namespace
}  // namespace delegsim::cli
