// Rendering of `delegsim reach` answers: a readable report grouped by target, the JSON
// document of docs/reach.md, and a flow written back as a runnable scenario.
#ifndef DELEGSIM_ANALYSIS_REPORT_H_
#define DELEGSIM_ANALYSIS_REPORT_H_

#include <string>
#include <vector>

#include "analysis/prober.h"
#include "analysis/reach.h"
#include "common/status.h"

namespace delegsim::analysis {

// One row of --blast-radius: what the compromise of `account` exposes.
struct Exposure {
  std::string account;                  // full name
  std::vector<std::string> hosts;       // where its key lives
  size_t identities = 0;                // distinct identities it can act as elsewhere
  std::vector<std::string> privileged;  // those among them that are privileged
  size_t services = 0;                  // services those identities reach
};

// Flows grouped by target service, each with its number (for --emit-scenario), chain,
// mechanism and rules. `title` heads the report.
std::string RenderFlowsText(const std::string& title, const std::vector<Flow>& flows);
// {"flows": [{"identity", "service", "host", "level", "net_creds", "mechanism", "chain",
//  "rules", "via"?, "replay"}]}
std::string RenderFlowsJson(const std::vector<Flow>& flows);
std::string RenderExposuresText(const std::vector<Exposure>& rows);
std::string RenderExposuresJson(const std::vector<Exposure>& rows);

// The scenario file `original_text` with its steps and expectations replaced by `flow`'s
// chain as one step ("reach") and an expectation of what reach found at its last hop; the
// workstation the prober added is declared when the chain starts there.
StatusOr<std::string> EmitScenario(const std::string& original_text, const Prober& prober,
                                   const Flow& flow);
// The hop path `flow`'s last hop gets when run as the step EmitScenario writes.
std::string ReplayPath(const Flow& flow);

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_REPORT_H_
