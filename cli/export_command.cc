#include "cli/export_command.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "diagrams/delegation_graph.h"
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
  } else {
    diagrams::DelegationGraph graph = diagrams::BuildDelegationGraph(*r.scenario);
    text =
        options.format == "mermaid" ? diagrams::RenderMermaid(graph) : diagrams::RenderDot(graph);
  }
  if (options.output.empty()) {
    out << text;
    return kExitOk;
  }
  std::ofstream file(options.output, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    err << options.output << ": cannot write\n";
    return kExitInvalid;
  }
  return kExitOk;
}

std::function<int()> RegisterExportCommand(CLI::App& app) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* cmd =
      app.add_subcommand("export", "Draw a scenario's delegation graph (Graphviz DOT or Mermaid)");
  cmd->add_option("file", options->file, "Scenario file (JSON)")->required();
  cmd->add_option("--format", options->format,
                  "dot or mermaid (the delegation graph); sequence (Mermaid) or sequence-dot "
                  "(Graphviz): one call of a run")
      ->check(CLI::IsMember({"dot", "mermaid", "sequence", "sequence-dot"}));
  cmd->add_option("--call", options->call, "The call step to draw (sequence formats)");
  cmd->add_option("-o,--output", options->output, "Write to this file instead of stdout");
  return [options, cmd]() -> int {
    if (!cmd->parsed()) return -1;
    return ExportCommand(*options, std::cout, std::cerr);
  };
}

}  // namespace delegsim::cli
