// `delegsim step`: loads the scenario and runs a stepper session (cli/step_internal.h
// lists the files of the session).
#include "cli/step.h"

#include <unistd.h>

#include <iostream>

#include "cli/step_internal.h"

namespace delegsim::cli {

using step_internal::Stepper;

int StepCommand(const StepOptions& options, CommandSource& commands, std::ostream& out,
                std::ostream& err) {
  sim::LoadResult r = sim::LoadScenarioFile(options.file, options.max_file_bytes);
  if (!r.ok()) {
    for (const sim::Problem& p : r.problems) err << p.ToString() << "\n";
    err << options.file << ": " << r.problems.size() << " problem"
        << (r.problems.size() == 1 ? "" : "s") << "; nothing was run\n";
    return kExitInvalid;
  }
  if (options.runtime != "tcp" && options.runtime != "virtual") {
    err << "unknown runtime '" << options.runtime << "' (expected tcp or virtual)\n";
    return kExitInvalid;
  }
  Stepper stepper(std::move(*r.scenario), options, commands, out, err);
  int status = stepper.Run();
  out.flush();
  return status;
}

int StepMain(const StepOptions& options, const std::optional<std::string>& script) {
  std::unique_ptr<CommandSource> source;
  if (script) {
    source = ScriptCommands(*script, std::cout);
  } else if (isatty(STDIN_FILENO)) {
    source = TerminalCommands();
  } else {
    source = StreamCommands(std::cin, std::cout);
  }
  return StepCommand(options, *source, std::cout, std::cerr);
}

}  // namespace delegsim::cli
