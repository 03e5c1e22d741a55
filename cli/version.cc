#include "cli/version.h"

#include "cli/build_version.h"  // generated in the build tree (cmake/build_version.cmake)

namespace delegsim::cli {

std::string VersionString() {
  return std::string("delegsim ") + DELEGSIM_VERSION + " (commit " + DELEGSIM_GIT_COMMIT + ")";
}

}  // namespace delegsim::cli
