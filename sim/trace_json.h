// The JSON Lines trace for tools: each record as sim::TraceLineJson writes it, plus, for a
// record that carries its envelope (SEND, DELIVER; the runtime captures messages), where
// the message goes, so that exports and other tools never parse summaries:
//
//   {"time":0,"seq":5,"node":"alice@ws1","kind":"SEND",...,
//    "from":{"node":"alice@ws1","host":"ws1"},"to":{"node":"kdc.corp.example","host":"dc1"},
//    "message":"tgs_req","correlation":3}
//
// `message` is the envelope's body field name (envelope.proto); `correlation` pairs a
// request with its reply. Facts stay in `facts` only; nothing is repeated.
#ifndef DELEGSIM_SIM_TRACE_JSON_H_
#define DELEGSIM_SIM_TRACE_JSON_H_

#include <string>

#include "nodes/context.h"
#include "sim/world.h"

namespace delegsim::sim {

// One line (no newline). `world` names the nodes at the envelope's ends.
std::string TraceLineJsonForTools(nodes::TraceView record, World& world);

// The simulated host a node lives on: "alice@ws1" -> "ws1", a service -> its host, a
// domain's KDC -> its DC host; the node name itself when none applies.
std::string HostOfNode(const std::string& node, const Scenario& scenario);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_TRACE_JSON_H_
