// `delegsim export FILE --format FORMAT [--call LABEL] [-o OUT]`, on standard output or
// into OUT:
//   dot, mermaid          the scenario's delegation graph (diagrams/delegation_graph.h)
//   sequence              one call of a run (the virtual runtime) as a Mermaid
//                         sequenceDiagram (diagrams/sequence.h); --call picks the call
//                         step, by default the first
//   sequence-dot          the same as Graphviz DOT (dot -Tsvg draws it)
//   opengraph             the flows `delegsim reach` derives, as BloodHound CE OpenGraph
//                         JSON (analysis/opengraph.h); every flow unless a reach question
//                         narrows them
// dot and mermaid take the options of `delegsim reach` (--identity, --compromised,
// --coerce, --to, --blast-radius, --max-hops, ...; cli/reach_query.h): the flows reach
// finds are drawn on the graph (diagrams/flow_edges.h).
// Exit status 0, or 2 for an invalid scenario, an unknown call or name, a run or analysis
// that did not complete, an OUT that is the input, or an unwritable OUT (never half
// written: cli/output_file.h).
#ifndef DELEGSIM_CLI_EXPORT_COMMAND_H_
#define DELEGSIM_CLI_EXPORT_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>

#include "cli/reach_query.h"

namespace CLI {
class App;
}

namespace delegsim::cli {

struct ExportOptions : ReachQuery {
  std::string file;
  std::string format = "dot";  // "dot" | "mermaid" | "sequence" | "sequence-dot" | "opengraph"
  std::string call;            // sequence formats: the call step; empty: the first
  std::string output;          // empty: standard output
  // Whether a reach option was given (dot, mermaid: draw flows only when asked).
  bool reach_asked = false;
};
int ExportCommand(const ExportOptions& options, std::ostream& out, std::ostream& err);

// Adds `export` to `app`. The returned function runs the command when it was the one
// parsed, and returns -1 otherwise.
std::function<int()> RegisterExportCommand(CLI::App& app);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_EXPORT_COMMAND_H_
