// `delegsim why-not FILE PATH [--want level=|net_creds=|access=]...`: the smallest changes to
// the scenario that make hop PATH do what is wanted, each verified in the simulator, with
// what it breaks and the credential flows it opens or closes (analysis/why_not.h,
// docs/why-not.md). `--apply N -o NEW.json` writes the scenario with answer N applied.
//
// Exit status: 0 when the goal holds or a change set was found (or written), 1 when no
// change set within the bounds reaches it, 2 for invalid input or a run that did not
// complete.
#ifndef DELEGSIM_CLI_WHY_NOT_COMMAND_H_
#define DELEGSIM_CLI_WHY_NOT_COMMAND_H_

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/why_not.h"
#include "sim/loader.h"

namespace CLI {
class App;
}

namespace delegsim::cli {

struct WhyNotCommandOptions {
  std::string file;
  std::string path;
  std::vector<std::string> wants;
  analysis::WhyNotOptions search;
  std::optional<size_t> apply;  // answer number (1-based) to write...
  std::string output;           // ...to this file
  bool json = false;
  size_t max_file_bytes = sim::kMaxScenarioBytes;
};
int WhyNotCommand(const WhyNotCommandOptions& options, std::ostream& out, std::ostream& err);

// Adds `why-not` to `app`. The returned function runs the command when it was the one
// parsed, and returns -1 otherwise.
std::function<int()> RegisterWhyNotCommand(CLI::App& app);

// Reads a scenario file of at most `max_bytes` into `text`; problems (unreadable, too large,
// invalid) go to `err`, located, and false is returned.
bool ReadScenarioText(const std::string& file, size_t max_bytes, std::string* text,
                      std::ostream& err);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_WHY_NOT_COMMAND_H_
