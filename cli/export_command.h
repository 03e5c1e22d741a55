// `delegsim export FILE --format FORMAT [--call LABEL] [-o OUT]`, on standard output or
// into OUT:
//   dot, mermaid          the scenario's delegation graph (diagrams/delegation_graph.h)
//   sequence              one call of a run (the virtual runtime) as a Mermaid
//                         sequenceDiagram (diagrams/sequence.h); --call picks the call
//                         step, by default the first
//   sequence-dot          the same as Graphviz DOT (dot -Tsvg draws it)
// Exit status 0, or 2 for an invalid scenario, an unknown call, a run that did not
// complete, or an unwritable OUT.
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
  std::string format = "dot";  // "dot" | "mermaid" | "sequence" | "sequence-dot"
  std::string call;            // sequence formats: the call step; empty: the first
  std::string output;          // empty: standard output
};
int ExportCommand(const ExportOptions& options, std::ostream& out, std::ostream& err);

// Adds `export` to `app`. The returned function runs the command when it was the one
// parsed, and returns -1 otherwise.
std::function<int()> RegisterExportCommand(CLI::App& app);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_EXPORT_COMMAND_H_
