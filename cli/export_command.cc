#include "cli/export_command.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "diagrams/delegation_graph.h"
#include "sim/loader.h"

namespace delegsim::cli {

int ExportCommand(const ExportOptions& options, std::ostream& out, std::ostream& err) {
  sim::LoadResult r = sim::LoadScenarioFile(options.file);
  if (!r.ok()) {
    for (const sim::Problem& p : r.problems) err << p.ToString() << "\n";
    err << options.file << ": " << r.problems.size() << " problem"
        << (r.problems.size() == 1 ? "" : "s") << "; nothing was exported\n";
    return kExitInvalid;
  }
  diagrams::DelegationGraph graph = diagrams::BuildDelegationGraph(*r.scenario);
  std::string text =
      options.format == "mermaid" ? diagrams::RenderMermaid(graph) : diagrams::RenderDot(graph);
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
  cmd->add_option("--format", options->format, "dot (Graphviz) or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}));
  cmd->add_option("-o,--output", options->output, "Write to this file instead of stdout");
  return [options, cmd]() -> int {
    if (!cmd->parsed()) return -1;
    return ExportCommand(*options, std::cout, std::cerr);
  };
}

}  // namespace delegsim::cli
