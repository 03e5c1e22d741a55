// Candidate changes for `delegsim why-not`, derived from the facts the decisions along a hop
// path read. The mapping is from a fact's name to the scenario field that sets it — an
// account flag (`carol.not_delegated=true` -> `accounts[carol].sensitive = false`), a missing
// delegation entry (`svc_db.allowed_to_act_on_behalf_of(svc_web)=false` -> `+= svc_web`), a
// trust attribute, a call option the caller's decision read, an ACL entry the access check
// missed. Whether a candidate helps is never judged here: the simulator decides (why_not.h).
//
//   std::vector<Edit> c = DeriveCandidates(scenario, facts, goal);
#ifndef DELEGSIM_ANALYSIS_WHY_NOT_CANDIDATES_H_
#define DELEGSIM_ANALYSIS_WHY_NOT_CANDIDATES_H_

#include <string>
#include <vector>

#include "analysis/scenario_edit.h"
#include "analysis/why_not.h"
#include "sim/scenario.h"

namespace delegsim::analysis {

// A fact read while deciding the hop `path`: "svc_web.trusted_for_delegation" = "false".
struct FactRef {
  std::string path;
  std::string name;
  std::string value;
};

// The distinct changes to `scenario` that would alter one of `facts` (or that `goal` asks
// for directly), in a stable order. Each changes the scenario as loaded (it names elements
// that exist and values that differ from the current ones).
std::vector<Edit> DeriveCandidates(const sim::Scenario& scenario, const std::vector<FactRef>& facts,
                                   const WhyNotGoal& goal);

// Every hop path prefix of `path` below the call, shortest first: "c1/web/db" ->
// {"c1/web", "c1/web/db"}.
std::vector<std::string> HopPathPrefixes(const std::string& path);

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_WHY_NOT_CANDIDATES_H_
