// Credential flows drawn on a delegation graph: `delegsim export --format dot|mermaid` with
// the options of `delegsim reach` (--identity, --compromised, --to, --blast-radius) adds
// one edge per flow reach found, so the picture shows where credentials actually go, not
// only which settings exist.
//
//   DelegationGraph g = BuildDelegationGraph(scenario);
//   AddFlows(scenario, {{.identity = "alice@CORP.EXAMPLE", .chain = {"web", "db"},
//                        .mechanism = "rbcd", .rules = {"RB-1"}}}, g);
//
// A flow's edge runs from the service that presented the identity (the chain's
// next-to-last service) or, for a first hop, from the identity's account, to the service
// it arrived at. The flows between the same two nodes share one edge, a label line each:
// the identity, the mechanism, the compromised key used (if any) and the rule ids of the
// arriving hop ("alice@CORP.EXAMPLE · rbcd [IL-6, ..., RB-1, ...]"). Equal lines appear once.
#ifndef DELEGSIM_DIAGRAMS_FLOW_EDGES_H_
#define DELEGSIM_DIAGRAMS_FLOW_EDGES_H_

#include <string>
#include <vector>

#include "diagrams/delegation_graph.h"
#include "sim/scenario.h"

namespace delegsim::diagrams {

// One flow, as the diagrams layer needs it (analysis::Flow lives in a sibling layer).
struct FlowEdgeSpec {
  std::string identity;            // full name, "alice@CORP.EXAMPLE"
  std::vector<std::string> chain;  // service names in call order; the last received it
  std::string mechanism;           // "direct", "unconstrained", "rbcd", ...
  std::vector<std::string> rules;  // rule ids of the arriving hop
  std::string via;                 // the compromised account whose keys were used, or ""
};

// Adds the flows of `scenario` (the one `graph` was built from) to `graph`. Flows naming
// services the scenario lacks are skipped. An identity whose account the graph does not
// show gets a node of its own.
void AddFlows(const sim::Scenario& scenario, const std::vector<FlowEdgeSpec>& flows,
              DelegationGraph& graph);

}  // namespace delegsim::diagrams

#endif  // DELEGSIM_DIAGRAMS_FLOW_EDGES_H_
