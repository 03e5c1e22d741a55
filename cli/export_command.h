// `delegsim export FILE --format dot|mermaid [-o OUT]`: the scenario's delegation graph
// (diagrams/delegation_graph.h) as Graphviz DOT or a Mermaid flowchart, on standard output
// or into OUT. Exit status 0, or 2 for an invalid scenario or an unwritable OUT.
#ifndef DELEGSIM_CLI_EXPORT_COMMAND_H_
#define DELEGSIM_CLI_EXPORT_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace delegsim::cli {

struct ExportOptions {
  std::string file;
  std::string format = "dot";  // "dot" | "mermaid"
  std::string output;          // empty: standard output
};
int ExportCommand(const ExportOptions& options, std::ostream& out, std::ostream& err);

// Adds `export` to `app`. The returned function runs the command when it was the one
// parsed, and returns -1 otherwise.
std::function<int()> RegisterExportCommand(CLI::App& app);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_EXPORT_COMMAND_H_
