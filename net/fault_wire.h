// A run's network faults on a host process's control stream: a nodes::FaultPlan as a
// v1::HostFaultPlan and back. The controller of a multi-process run (net/process_runtime.h)
// sends its plan to every host, so that hand-started hosts and hosts it started apply the
// faults of the scenario and of `run --fault` alike.
//
//   v1::HostFaultPlan wire = ToWire(plan);                      // controller
//   StatusOr<std::shared_ptr<const nodes::FaultPlan>> back = FromWire(wire);  // host: checked
#ifndef DELEGSIM_NET_FAULT_WIRE_H_
#define DELEGSIM_NET_FAULT_WIRE_H_

#include <memory>

#include "common/status.h"
#include "nodes/faults.h"
#include "proto/envelope.pb.h"

namespace delegsim::net {

v1::HostFaultPlan ToWire(const nodes::FaultPlan& plan);
// The plan `wire` describes. kInvalidArgument naming the fault and field for an unknown
// kind, a negative deadline or delay, or a window that ends before it starts.
StatusOr<std::shared_ptr<const nodes::FaultPlan>> FromWire(const v1::HostFaultPlan& wire);

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_FAULT_WIRE_H_
