#include "cli/export_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "analysis/opengraph.h"
#include "cli/commands.h"
#include "cli/output_file.h"
#include "diagrams/delegation_graph.h"
#include "diagrams/flow_edges.h"
#include "diagrams/sequence.h"
#include "sim/loader.h"
#include "sim/world.h"

namespace delegsim::cli {
namespace {

// Runs the scenario on the virtual runtime with message capture and draws call `label`.
StatusOr<std::string> SequenceText(const sim::Scenario& scenario, std::string label, bool dot) {
  if (label.empty()) {
    for (const sim::StepSpec& step : scenario.steps) {
      if (step.kind == sim::StepSpec::Kind::kCall) {
        label = step.label;
        break;
      }
    }
    if (label.empty()) return NotFound("the scenario has no call step to draw");
  }
  StatusOr<std::unique_ptr<nodes::Runtime>> runtime = MakeRuntime("virtual");
  if (!runtime.ok()) return runtime.status();
  (*runtime)->CaptureMessages(true);
  StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(scenario, std::move(*runtime));
  if (!world.ok()) return world.status();
  if (Status s = (*world)->Run(); !s.ok()) return s;
  StatusOr<diagrams::SequenceDiagram> d =
      diagrams::BuildSequence((*world)->trace(), scenario, label);
  if (!d.ok()) return d.status();
  return dot ? diagrams::RenderSequenceDot(*d) : diagrams::RenderSequenceMermaid(*d);
}

}  // namespace

int ExportCommand(const ExportOptions& options, std::ostream& out, std::ostream& err) {
  const bool graph = options.format == "dot" || options.format == "mermaid";
  const bool opengraph = options.format == "opengraph";
  if ((options.reach_asked || CountReachQueries(options) > 0) && !graph && !opengraph) {
    err << "export: the reach options (--identity, --compromised, --to, --blast-radius, ...) "
           "apply to --format dot, mermaid and opengraph\n";
    return kExitInvalid;
  }
  if (Status st = CheckOutputPaths({options.file}, {{"-o", options.output}}); !st.ok()) {
    err << "export: " << st.message() << "\n";
    return kExitInvalid;
  }
  sim::LoadResult r = sim::LoadScenarioFile(options.file);
  if (!r.ok()) {
    for (const sim::Problem& p : r.problems) err << p.ToString() << "\n";
    err << options.file << ": " << r.problems.size() << " problem"
        << (r.problems.size() == 1 ? "" : "s") << "; nothing was exported\n";
    return kExitInvalid;
  }
  std::string text;
  if (options.format == "sequence" || options.format == "sequence-dot") {
    StatusOr<std::string> seq =
        SequenceText(*r.scenario, options.call, options.format == "sequence-dot");
    if (!seq.ok()) {
      err << options.file << ": " << seq.status().message() << "\n";
      return kExitInvalid;
    }
    text = std::move(*seq);
  } else if (opengraph || options.reach_asked || CountReachQueries(options) > 0) {
    analysis::Prober prober(*r.scenario);
    if (!prober.status().ok()) {
      err << options.file << ": " << prober.status().ToString() << "\n";
      return kExitInvalid;
    }
    ReachAnswer answer;
    if (int code = AnswerReachQuery(options, options.file, prober, /*keep_blast_flows=*/true,
                                    &answer, err);
        code != kExitOk) {
      return code;
    }
    if (opengraph) {
      text = analysis::RenderOpenGraph(prober, answer.flows) + "\n";
    } else {
      diagrams::DelegationGraph g = diagrams::BuildDelegationGraph(*r.scenario);
      diagrams::AddFlows(*r.scenario, FlowEdges(answer.flows), g);
      g.title += ": " + answer.title;
      text = options.format == "mermaid" ? diagrams::RenderMermaid(g) : diagrams::RenderDot(g);
    }
  } else {
    diagrams::DelegationGraph g = diagrams::BuildDelegationGraph(*r.scenario);
    text = options.format == "mermaid" ? diagrams::RenderMermaid(g) : diagrams::RenderDot(g);
  }
  if (options.output.empty()) {
    out << text;
    return kExitOk;
  }
  StatusOr<std::unique_ptr<OutputFile>> file = OutputFile::Create(options.output);
  Status st = file.ok() ? Status::Ok() : file.status();
  if (st.ok()) {
    (*file)->stream() << text;
    st = (*file)->Commit();
  }
  if (!st.ok()) {
    err << "export: " << st.message() << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

std::function<int()> RegisterExportCommand(CLI::App& app) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* cmd =
      app.add_subcommand("export",
                         "Draw a scenario's delegation graph (Graphviz DOT or Mermaid), with the "
                         "flows reach finds; a call as a sequence diagram; flows as OpenGraph");
  cmd->add_option("file", options->file, "Scenario file (JSON)")->required();
  cmd->add_option("--format", options->format,
                  "dot or mermaid (the delegation graph, with the flows reach finds when a "
                  "reach option is given); sequence (Mermaid) or sequence-dot (Graphviz): one "
                  "call of a run; opengraph: reach's flows as BloodHound OpenGraph JSON")
      ->check(CLI::IsMember({"dot", "mermaid", "sequence", "sequence-dot", "opengraph"}));
  cmd->add_option("--call", options->call, "The call step to draw (sequence formats)");
  cmd->add_option("-o,--output", options->output, "Write to this file instead of stdout");
  AddReachQueryOptions(cmd, *options);
  return [options, cmd]() -> int {
    if (!cmd->parsed()) return -1;
    for (const char* name : {"--max-hops", "--max-flows", "--coerce", "--privileged"}) {
      if (cmd->count(name) > 0) options->reach_asked = true;
    }
    return ExportCommand(*options, std::cout, std::cerr);
  };
}

}  // namespace delegsim::cli
