// `delegsim import bloodhound PATH... -o scenario.json`: a SharpHound / BloodHound CE
// collection (zip, folder or JSON files) as a scenario (importer/bloodhound_import.h).
//
// Prints what was imported and what was skipped and why. Bad input (a truncated zip, a
// file of another format, malformed JSON, an unknown collector version) is reported with
// the file and JSON path, exit status 2, and nothing is written: the scenario goes to a
// temporary file beside the output, is checked with the scenario loader, then renamed.
#ifndef DELEGSIM_CLI_IMPORT_COMMAND_H_
#define DELEGSIM_CLI_IMPORT_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace delegsim::cli {

struct ImportOptions {
  std::vector<std::string> paths;
  std::string output;
  std::string name;  // the scenario's name; empty: from the first path
};
int ImportBloodHoundCommand(const ImportOptions& options, std::ostream& out, std::ostream& err);

// Adds `import` (with its `bloodhound` subcommand) to `app`. The returned function runs the
// command when it was the one parsed, and returns -1 otherwise.
std::function<int()> RegisterImportCommand(CLI::App& app);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_IMPORT_COMMAND_H_
