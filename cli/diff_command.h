// `delegsim diff A.json B.json` and `delegsim what-if FILE --set PATH=VALUE ...`: what a
// change to a design does (analysis/diff.h, docs/why-not.md): the hops whose verdicts
// differ, the expectations that flip, and the credential flows opened and closed, grouped
// by mechanism and target. `what-if` is `diff` against FILE with the edits applied
// (analysis/scenario_edit.h); a bad set-path gets a located error with did-you-mean.
//
// Exit status: 0 when the comparison completed and no opened flow breaks an invariant of
// the changed scenario, 1 when one does (a guard for AD changes in CI), 2 for invalid
// input or a run that did not complete.
#ifndef DELEGSIM_CLI_DIFF_COMMAND_H_
#define DELEGSIM_CLI_DIFF_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/loader.h"

namespace CLI {
class App;
}

namespace delegsim::cli {

struct DiffCommandOptions {
  std::string before;             // diff: A.json; what-if: FILE
  std::string after;              // diff only
  std::vector<std::string> sets;  // what-if only
  std::string output;             // what-if: write the edited scenario here
  bool json = false;
  bool reach = true;
  int max_hops = 4;
  size_t max_file_bytes = sim::kMaxScenarioBytes;
};
int DiffCommand(const DiffCommandOptions& options, std::ostream& out, std::ostream& err);
int WhatIfCommand(const DiffCommandOptions& options, std::ostream& out, std::ostream& err);

// Adds `diff` and `what-if` to `app`. The returned function runs the one parsed, and
// returns -1 when neither was.
std::function<int()> RegisterDiffCommands(CLI::App& app);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_DIFF_COMMAND_H_
