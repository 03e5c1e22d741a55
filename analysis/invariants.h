// Invariants: properties of a design checked over every credential flow `delegsim reach`
// finds for every identity (docs/scenario-format.md, "invariants"). A broken invariant
// comes with a counterexample: a flow whose chain replays as an ordinary step.
//
//   std::vector<Violation> v = CheckInvariants(prober, scenario.invariants, 4, &status);
#ifndef DELEGSIM_ANALYSIS_INVARIANTS_H_
#define DELEGSIM_ANALYSIS_INVARIANTS_H_

#include <string>
#include <vector>

#include "analysis/prober.h"
#include "analysis/reach.h"
#include "common/status.h"
#include "sim/scenario.h"

namespace delegsim::analysis {

struct Violation {
  const sim::InvariantSpec* invariant = nullptr;
  Flow counterexample;
  std::string message;  // "alice@CORP.EXAMPLE arrives at web1 at delegate"
};

// The first violation of each invariant (in the order flows are found), or none. A
// `status` that is not OK means the analysis did not complete.
std::vector<Violation> CheckInvariants(Prober& prober,
                                       const std::vector<sim::InvariantSpec>& invariants,
                                       int max_hops, Status* status);

// The first violation of each invariant among `flows` (found in `prober`'s directory).
std::vector<Violation> ViolationsAmong(Prober& prober,
                                       const std::vector<sim::InvariantSpec>& invariants,
                                       const std::vector<Flow>& flows);

// Every flow of every identity (class representatives searched, members expanded).
StatusOr<std::vector<Flow>> AllIdentityFlows(Prober& prober, int max_hops);

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_INVARIANTS_H_
