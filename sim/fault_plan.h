// The scenario's `faults` (and `--fault` arguments) as the runtime's FaultPlan
// (nodes/faults.h): host names become host addresses, a realm its KDC node.
#ifndef DELEGSIM_SIM_FAULT_PLAN_H_
#define DELEGSIM_SIM_FAULT_PLAN_H_

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "kdc/directory.h"
#include "nodes/faults.h"
#include "nodes/topology.h"
#include "sim/scenario.h"

namespace delegsim::sim {

// Fails (NotFound) only for a name the loader would have refused.
StatusOr<std::shared_ptr<const nodes::FaultPlan>> BuildFaultPlan(
    const Scenario& scenario, const nodes::Topology& topology,
    const std::function<StatusOr<kdc::DomainId>(const std::string&)>& domain_of);

// "host web1 is down", "frames from ws1 to web1 are delayed by 2s", ...: what a fault does,
// in the words traces and reports use.
std::string DescribeFault(const FaultSpec& fault);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_FAULT_PLAN_H_
