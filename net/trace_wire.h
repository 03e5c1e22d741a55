// Trace records on a host process's control stream: a nodes::TraceRecord as a
// v1::HostTraceRecord and back, for `delegsim host` (which sends every record its nodes
// produce) and the controller that merges them (net/process_runtime.h).
//
//   v1::HostTraceRecord wire = ToWire(record);          // host: lamport = record.seq
//   StatusOr<TraceRecord> back = FromWire(wire);       // controller: checked
#ifndef DELEGSIM_NET_TRACE_WIRE_H_
#define DELEGSIM_NET_TRACE_WIRE_H_

#include "common/status.h"
#include "nodes/context.h"
#include "proto/envelope.pb.h"

namespace delegsim::net {

// Every field of `record`; its seq becomes the logical clock (lamport).
v1::HostTraceRecord ToWire(const nodes::TraceRecord& record);
// The record `wire` describes, with seq = its lamport. kInvalidArgument naming the field
// for an unknown kind or a nested message that does not decode.
StatusOr<nodes::TraceRecord> FromWire(const v1::HostTraceRecord& wire);

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_TRACE_WIRE_H_
