// The delegation graph of a scenario, as Graphviz DOT and Mermaid: each kind of edge on a
// scenario written for it, and `dot -Tsvg` renders the graph of every library scenario.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "diagrams/delegation_graph.h"
#include "diagrams/sequence.h"
#include "importer/bloodhound_import.h"
#include "kdc/directory.h"
#include "sim/loader.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"
#include "tests/scenario_library.h"

namespace delegsim::diagrams {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using delegsim::testing::ScenarioFiles;
using delegsim::testing::SourceDir;

const char* kDesign = R"({
  "name": "every-edge",
  "domains": [{"name": "CORP.EXAMPLE", "dc": "dc1"},
              {"name": "PARTNER.EXAMPLE"}],
  "trusts": [{"trusting": "CORP.EXAMPLE", "trusted": "PARTNER.EXAMPLE",
              "direction": "one-way", "attributes": ["forest_transitive", "enable_tgt_delegation"]}],
  "hosts": [{"name": "dc1", "domain": "CORP.EXAMPLE"}, {"name": "ws1", "domain": "CORP.EXAMPLE"},
            {"name": "web1", "domain": "CORP.EXAMPLE"}, {"name": "app1", "domain": "CORP.EXAMPLE"},
            {"name": "db1", "domain": "CORP.EXAMPLE"}],
  "accounts": [
    {"name": "alice", "domain": "CORP.EXAMPLE", "member_of": ["Protected Users"]},
    {"name": "bob", "domain": "CORP.EXAMPLE", "sensitive": true},
    {"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE",
     "spns": ["http/web1.corp.example"], "trusted_for_delegation": true},
    {"name": "svc_app", "type": "service", "domain": "CORP.EXAMPLE",
     "spns": ["http/app1.corp.example"], "trusted_to_auth_for_delegation": true,
     "allowed_to_delegate_to": ["MSSQLSvc/db1.corp.example:1433", "cifs/gone.corp.example"]},
    {"name": "svc_kcd", "type": "service", "domain": "CORP.EXAMPLE",
     "allowed_to_delegate_to": ["http/web1.corp.example"]},
    {"name": "svc_db", "type": "service", "domain": "CORP.EXAMPLE",
     "spns": ["MSSQLSvc/db1.corp.example:1433"], "allowed_to_act_on_behalf_of": ["Front Ends"]}],
  "groups": [{"name": "Protected Users", "domain": "CORP.EXAMPLE"},
             {"name": "Front Ends", "domain": "CORP.EXAMPLE", "members": ["svc_web"]}],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"},
               {"name": "app", "host": "app1", "account": "svc_app"},
               {"name": "db", "host": "db1", "account": "svc_db"}]
})";

DelegationGraph Design() {
  sim::LoadResult r = sim::LoadScenarioText(kDesign, "every-edge.json");
  EXPECT_TRUE(r.ok()) << r.problems.front().ToString();
  return BuildDelegationGraph(*r.scenario);
}

const GraphNode* NodeLabelled(const DelegationGraph& g, const std::string& first_line) {
  for (const GraphNode& n : g.nodes) {
    if (n.label.substr(0, n.label.find('\n')) == first_line) return &n;
  }
  return nullptr;
}

bool HasEdge(const DelegationGraph& g, const std::string& from, const std::string& to,
             EdgeKind kind) {
  const GraphNode* f = NodeLabelled(g, from);
  const GraphNode* t = NodeLabelled(g, to);
  return f && t && std::any_of(g.edges.begin(), g.edges.end(), [&](const GraphEdge& e) {
           return e.from == f->id && e.to == t->id && e.kind == kind;
         });
}

TEST(DelegationGraph, DrawsEveryKindOfDelegation) {
  DelegationGraph g = Design();
  EXPECT_TRUE(HasEdge(g, "web", "svc_web", EdgeKind::kRunsAs));
  EXPECT_TRUE(HasEdge(g, "svc_web", "any service", EdgeKind::kUnconstrained));
  EXPECT_TRUE(HasEdge(g, "svc_app", "db", EdgeKind::kProtocolTransition));
  EXPECT_TRUE(HasEdge(g, "svc_kcd", "web", EdgeKind::kConstrained));
  EXPECT_TRUE(HasEdge(g, "svc_app", "cifs/gone.corp.example", EdgeKind::kProtocolTransition));
  EXPECT_TRUE(HasEdge(g, "Front Ends", "svc_db", EdgeKind::kResourceBased));
  EXPECT_TRUE(HasEdge(g, "CORP.EXAMPLE", "PARTNER.EXAMPLE", EdgeKind::kTrust));
  auto trust = std::find_if(g.edges.begin(), g.edges.end(),
                            [](const GraphEdge& e) { return e.kind == EdgeKind::kTrust; });
  EXPECT_EQ(trust->label, "trusts\nforest_transitive, enable_tgt_delegation");
  // Sensitive and Protected Users accounts are shown and flagged; plain users are not.
  ASSERT_NE(NodeLabelled(g, "bob"), nullptr);
  EXPECT_THAT(NodeLabelled(g, "bob")->label, HasSubstr("sensitive (NOT_DELEGATED)"));
  EXPECT_THAT(NodeLabelled(g, "alice")->label, HasSubstr("Protected Users"));
  EXPECT_TRUE(NodeLabelled(g, "alice")->highlighted);
  EXPECT_NE(NodeLabelled(g, "ws1"), nullptr);  // a host without services
}

TEST(DelegationGraph, MermaidHasSubgraphsEdgesAndEscapedLabels) {
  std::string m = RenderMermaid(Design());
  EXPECT_THAT(m, HasSubstr("flowchart LR\n"));
  EXPECT_THAT(m, HasSubstr("subgraph cluster_d0[\"domain CORP.EXAMPLE\"]"));
  EXPECT_THAT(m, HasSubstr("==>|\"A2D2 + T2A4D<br/>MSSQLSvc/db1.corp.example:1433\"|"));
  EXPECT_THAT(m, HasSubstr("-->|\"RBCD (allowed to act)\"|"));
  EXPECT_THAT(m, HasSubstr("-.->|\"runs as\"|"));
}

// Runs `dot -Tsvg` on `dot_text`; the SVG's size, or -1 when dot failed.
long RenderWithGraphviz(const std::string& dot_text, const fs::path& dir, const std::string& name) {
  fs::path in = dir / (name + ".dot");
  fs::path out = dir / (name + ".svg");
  std::ofstream(in) << dot_text;
  std::string cmd = "dot -Tsvg '" + in.string() + "' -o '" + out.string() + "' 2>'" +
                    (dir / (name + ".err")).string() + "'";
  int status = std::system(cmd.c_str());
  if (status != 0 || !fs::exists(out)) return -1;
  if (fs::file_size(dir / (name + ".err")) != 0) return -1;  // warnings count as failures
  return static_cast<long>(fs::file_size(out));
}

bool HaveGraphviz() { return std::system("dot -V >/dev/null 2>&1") == 0; }

TEST(DelegationGraph, GraphvizRendersEveryLibraryScenarioAndAnImport) {
  if (!HaveGraphviz()) GTEST_SKIP() << "Graphviz `dot` not found: run scripts/setup.sh";
  fs::path dir = fs::temp_directory_path() / ("delegsim-dot-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::vector<fs::path> files = ScenarioFiles();
  ASSERT_GT(files.size(), 10u);
  for (const fs::path& f : files) {
    sim::LoadResult r = sim::LoadScenarioFile(f.string());
    ASSERT_TRUE(r.ok()) << f;
    DelegationGraph g = BuildDelegationGraph(*r.scenario);
    long size = RenderWithGraphviz(RenderDot(g), dir, f.stem().string());
    EXPECT_GT(size, 0) << f << ": " << std::ifstream(dir / (f.stem().string() + ".err")).rdbuf();
  }
  importer::ImportResult imported = importer::ImportBloodHound(
      {(SourceDir() / "tests" / "importer" / "data" / "corp-v6").string()}, {});
  ASSERT_TRUE(imported.ok());
  EXPECT_GT(RenderWithGraphviz(RenderDot(BuildDelegationGraph(*imported.scenario)), dir, "corp"),
            0);
  EXPECT_GT(RenderWithGraphviz(RenderDot(Design()), dir, "every-edge"), 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// Runs `file` on the virtual runtime with message capture; the world, for its trace.
std::unique_ptr<sim::World> RunCaptured(const fs::path& file) {
  sim::LoadResult r = sim::LoadScenarioFile(file.string());
  EXPECT_TRUE(r.ok()) << file;
  if (!r.ok()) return nullptr;
  auto runtime = std::make_unique<sim::VirtualRuntime>();
  runtime->CaptureMessages(true);
  StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(*r.scenario, std::move(runtime));
  EXPECT_TRUE(world.ok());
  if (!world.ok()) return nullptr;
  EXPECT_TRUE((*world)->Run().ok()) << file;
  return std::move(*world);
}

TEST(Sequence, DrawsEveryMessageAndEachDecisionWithItsRule) {
  // Carol is sensitive: web's S4U2proxy for her is refused with KCD-2.
  std::unique_ptr<sim::World> w = RunCaptured(SourceDir() / "tests/step/data/kcd-sensitive.json");
  ASSERT_NE(w, nullptr);
  StatusOr<SequenceDiagram> d = BuildSequence(w->trace(), w->scenario(), "orders");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->participants, (std::vector<std::string>{"carol@ws1", "kdc.corp.example", "web"}));
  ASSERT_FALSE(d->events.empty());
  const SequenceEvent& first = d->events.front();
  EXPECT_EQ(first.kind, SequenceEvent::Kind::kMessage);
  EXPECT_EQ(first.text, "AS-REQ carol");
  EXPECT_EQ(first.from, 0);
  EXPECT_EQ(first.to, 1);
  auto find = [&](const std::string& text) {
    return std::find_if(d->events.begin(), d->events.end(),
                        [&](const SequenceEvent& e) { return e.text == text; });
  };
  auto denial = find("KDC_DECISION: denied by KCD-2 (KDC_ERR_BADOPTION)");
  ASSERT_NE(denial, d->events.end());
  EXPECT_EQ(denial->kind, SequenceEvent::Kind::kNote);
  EXPECT_EQ(denial->from, 1);
  EXPECT_TRUE(denial->denied);
  auto error = find("KRB-ERROR KDC_ERR_BADOPTION");
  ASSERT_NE(error, d->events.end());
  EXPECT_TRUE(error->reply);
  EXPECT_TRUE(error->denied);
  EXPECT_EQ(error->to, 2);
  EXPECT_LT(denial, error);
  std::string mermaid = RenderSequenceMermaid(*d);
  EXPECT_THAT(mermaid, HasSubstr("sequenceDiagram\n  participant p0 as carol@ws1\n"));
  EXPECT_THAT(mermaid, HasSubstr("  p1--xp2: KRB-ERROR KDC_ERR_BADOPTION\n"));
  EXPECT_THAT(mermaid, HasSubstr("  Note over p1: KDC_DECISION: denied by KCD-2"));
}

TEST(Sequence, NamesAMissingCall) {
  std::unique_ptr<sim::World> w = RunCaptured(SourceDir() / "scenarios/two-hop.json");
  ASSERT_NE(w, nullptr);
  StatusOr<SequenceDiagram> d = BuildSequence(w->trace(), w->scenario(), "c9");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "no call step 'c9' (calls: c1)");
}

TEST(Sequence, GraphvizRendersTheLastCallOfEveryLibraryScenario) {
  if (!HaveGraphviz()) GTEST_SKIP() << "Graphviz `dot` not found: run scripts/setup.sh";
  fs::path dir = fs::temp_directory_path() / ("delegsim-seq-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::vector<fs::path> files = ScenarioFiles();
  for (const fs::path& f : files) {
    std::unique_ptr<sim::World> w = RunCaptured(f);
    ASSERT_NE(w, nullptr);
    std::string last;
    for (const sim::StepSpec& s : w->scenario().steps) {
      if (s.kind == sim::StepSpec::Kind::kCall) last = s.label;
    }
    if (last.empty()) continue;
    StatusOr<SequenceDiagram> d = BuildSequence(w->trace(), w->scenario(), last);
    ASSERT_TRUE(d.ok()) << f << ": " << d.status().message();
    EXPECT_GT(d->events.size(), 2u) << f;
    long size = RenderWithGraphviz(RenderSequenceDot(*d), dir, f.stem().string());
    EXPECT_GT(size, 0) << f << ": " << std::ifstream(dir / (f.stem().string() + ".err")).rdbuf();
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace delegsim::diagrams
