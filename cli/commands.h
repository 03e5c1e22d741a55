// The delegsim command line: rules, validate, run, check (and step, see cli/step.h).
//
// Exit status of every command: 0 when it completed and every expectation held, 1 when
// an expectation failed, 2 when the input was invalid (under `check`: any scenario that
// does not load, or a missing path) or the run could not complete. Output files
// (--trace, --junit) are never an input, and appear only whole (cli/output_file.h).
#ifndef DELEGSIM_CLI_COMMANDS_H_
#define DELEGSIM_CLI_COMMANDS_H_

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "nodes/runtime.h"
#include "sim/loader.h"

namespace delegsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitExpectationFailed = 1;
inline constexpr int kExitInvalid = 2;

// "virtual" or "tcp".
StatusOr<std::unique_ptr<nodes::Runtime>> MakeRuntime(const std::string& kind);
// True when output to this stream should be coloured (a terminal, NO_COLOR unset).
bool UseColor(bool stdout_stream);

// `run` defaults to tcp, the real message exchange over loopback sockets, so a run shows
// the system as deployed; `check` defaults to virtual, deterministic and fast, the runtime
// the golden traces and CI use. Both give the same decisions (tests/chains).
struct RunOptions {
  std::string file;
  std::string runtime = "tcp";
  std::string trace_file;   // JSON Lines
  bool show_trace = false;  // print the trace as text after the report
  bool events = false;      // predicted Windows security events (sim/security_events.h)
  std::string html_file;    // the self-contained HTML report (cli/html_report.h)
  bool json = false;
  bool color = false;
  size_t width = 0;    // terminal columns to wrap the report at; 0: no wrapping
  bool ascii = false;  // ASCII tree (the locale is not UTF-8)
  std::optional<uint64_t> seed;
  std::optional<std::string> profile;
  std::vector<std::string> faults;  // --fault, in the syntax of sim::LoadScenarioFile
  size_t max_file_bytes = sim::kMaxScenarioBytes;  // --max-file-size
  size_t parallel = 1;  // calls in flight at once (sim::World::SetParallelCalls)
};
int RunCommand(const RunOptions& options, std::ostream& out, std::ostream& err);

int ValidateCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err,
                    size_t max_file_bytes = sim::kMaxScenarioBytes);

struct CheckOptions {
  std::vector<std::string> paths;
  std::string runtime = "virtual";
  std::string junit_file;
  size_t max_file_bytes = sim::kMaxScenarioBytes;  // --max-file-size
  size_t parallel = 1;                             // calls in flight at once within each scenario
};
int CheckCommand(const CheckOptions& options, std::ostream& out, std::ostream& err);

int RulesCommand(bool json, std::ostream& out);

// Parses argv and dispatches.
int Main(int argc, char** argv);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_COMMANDS_H_
