// `delegsim reach FILE`: where credentials can flow (--identity), what an attacker holding
// an account's keys gains (--compromised), who can arrive at a service (--to), and the
// remediation table (--blast-radius). See docs/reach.md.
#ifndef DELEGSIM_CLI_REACH_COMMAND_H_
#define DELEGSIM_CLI_REACH_COMMAND_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/reach_query.h"
#include "sim/loader.h"
#include "sim/scenario.h"

namespace CLI {
class App;
}

namespace delegsim::cli {

struct ReachCommandOptions : ReachQuery {
  std::string file;
  bool json = false;
  std::optional<size_t> emit;  // flow number (1-based) to write as a scenario...
  std::string output;          // ...to this file
  std::string html_file;       // --html: the answer as an HTML report (cli/html_report.h)
  size_t max_file_bytes = sim::kMaxScenarioBytes;  // --max-file-size
};

// Registers the subcommand on `app`, filling `options` when it is parsed.
CLI::App* AddReachSubcommand(CLI::App& app, ReachCommandOptions& options);
int ReachCommand(const ReachCommandOptions& options, std::ostream& out, std::ostream& err);

// `delegsim check`'s invariant pass: one failure paragraph per broken invariant of
// `scenario` (loaded from `file`), each with a replayable counterexample; "" when every
// invariant holds. Sets `completed` to false when the analysis could not run.
std::string InvariantFailures(const sim::Scenario& scenario, const std::string& file,
                              bool* completed);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_REACH_COMMAND_H_
