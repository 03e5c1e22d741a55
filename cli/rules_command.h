// `delegsim rules [--json] [--sources]`: the rule table, and the sources its rules cite.
// (RulesCommand itself is declared with the other commands in cli/commands.h.)
#ifndef DELEGSIM_CLI_RULES_COMMAND_H_
#define DELEGSIM_CLI_RULES_COMMAND_H_

#include <ostream>

namespace delegsim::cli {

// Every source key (SFU-K, KILE-TF, ...) with what it is and its public links, as text or
// as a JSON array of {key, source, links[]}. Returns 0.
int SourcesCommand(bool json, std::ostream& out);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_RULES_COMMAND_H_
