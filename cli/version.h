// The version of delegsim and the git commit it was built from.
#ifndef DELEGSIM_CLI_VERSION_H_
#define DELEGSIM_CLI_VERSION_H_

#include <string>

namespace delegsim::cli {

// "delegsim 0.1.0 (commit 1a2b3c4d5e6f)"; "-dirty" after the commit when the tree had
// uncommitted changes, "commit unknown" when built outside a git checkout.
std::string VersionString();

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_VERSION_H_
