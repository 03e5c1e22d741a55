// `delegsim step FILE`: a debugger that runs a scenario one trace event at a time.
//
// The stepper puts a trace sink on the World. Both runtimes call the sink synchronously
// on their one thread, so while the sink waits for a command the whole simulated world
// waits with it; the Asio runtime also leaves that time out of its clock, its timers and
// its RunUntil budgets (net/asio_runtime.h), so no request times out while a user thinks.
// Runtimes capture every envelope for the session (Runtime::CaptureMessages).
//
// At each stop the stepper shows the event: a message (who -> whom, what), or a decision
// (verdict, deciding rule, the facts it read, a one-line reason). Commands: next [N]
// (Enter), continue, break host:NAME | service:NAME | rule:ID | denial, delete, token,
// ticket, message, why, list, back, help, quit. `back` replays the scenario from the
// start to the previous event on the virtual runtime (deterministic); on tcp, where a
// re-run is not the same run, it walks back through the events already recorded.
//
//   std::unique_ptr<CommandSource> in = ScriptCommands("break denial;c;why", std::cout);
//   int status = StepCommand({.file = "scenarios/default.json", .runtime = "virtual"}, *in,
//                            std::cout, std::cerr);
//
// Threading: everything runs on the calling thread.
#ifndef DELEGSIM_CLI_STEP_H_
#define DELEGSIM_CLI_STEP_H_

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/loader.h"

namespace delegsim::cli {

// The names the prompt can complete: the scenario's hosts and services, and rule ids.
struct CompletionNames {
  std::vector<std::string> hosts;
  std::vector<std::string> services;
  std::vector<std::string> rules;
};

// The words that can complete the last word of `line` (the text before the cursor) at
// the `(step)` prompt: a command name at the start of a command (after ';' too), a
// breakpoint kind after `break` ("host:", "service:", "rule:", "denial"), then a host,
// service or rule id after its kind ("host:web1"). Each candidate is the whole word.
//   CompleteStepCommand("break ser", names)  // {"service:"}
std::vector<std::string> CompleteStepCommand(std::string_view line, const CompletionNames& names);

// Where the stepper's commands come from.
class CommandSource {
 public:
  virtual ~CommandSource() = default;
  // Shows `prompt` and returns the next command line, without its line break, or nullopt
  // at the end of input.
  virtual std::optional<std::string> Next(const std::string& prompt) = 0;
  // The names to complete (tab at the terminal); other sources ignore them.
  virtual void SetCompletions(CompletionNames /*names*/) {}
};

// The commands of `script`, separated by ';' or line breaks (`--commands "n;n;why"`).
// Each is echoed after the prompt on `out`, so that a scripted session reads like a
// typed one. `out` must outlive the source.
std::unique_ptr<CommandSource> ScriptCommands(std::string_view script, std::ostream& out);
// One command line per line of `in` (stdin when it is not a terminal), echoed on `out`
// like ScriptCommands. Both streams must outlive the source.
std::unique_ptr<CommandSource> StreamCommands(std::istream& in, std::ostream& out);
// The terminal on stdin/stdout: line editing, history and tab completion (libedit) when
// the build found libedit, otherwise plain lines. One terminal source at a time.
std::unique_ptr<CommandSource> TerminalCommands();

struct StepOptions {
  std::string file;
  std::string runtime = "tcp";                     // "tcp" | "virtual"
  bool color = false;                              // ANSI colours in the output
  size_t max_file_bytes = sim::kMaxScenarioBytes;  // --max-file-size
};

// Runs a stepping session on `options.file`, reading commands from `commands`; shows
// events on `out`, problems with the scenario on `err`. Returns 0 when the session ended
// (end of the scenario, `quit`, or end of input; a final summary is printed), 2 when the
// scenario is invalid or its world could not be built or started.
int StepCommand(const StepOptions& options, CommandSource& commands, std::ostream& out,
                std::ostream& err);

// `delegsim step`: picks the command source (the script when given, else the terminal
// when stdin is one, else stdin's lines) and runs StepCommand on stdout and stderr.
int StepMain(const StepOptions& options, const std::optional<std::string>& script);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_STEP_H_
