// The delegation graph of a scenario: who can present whom to which service. Domains and
// their hosts are nested clusters; services sit on their hosts; accounts in their domains.
// Edges: a service runs as its account; unconstrained delegation (TD) from an account to
// "any service"; constrained delegation (A2D2) from an account to each service whose SPN
// it lists, with or without protocol transition (T2A4D); resource-based delegation (RBCD)
// from each principal a resource account lets act to that account; trusts between
// domains with their direction and attributes (XR-*).
//
//   DelegationGraph g = BuildDelegationGraph(scenario);
//   std::cout << RenderDot(g);      // Graphviz: dot -Tsvg
//   std::cout << RenderMermaid(g);  // a Mermaid flowchart
//
// Accounts appear when they matter to delegation: a service runs as them, or they carry a
// delegation setting (TD, A2D2, T2A4D, RBCD, sensitive, Protected Users). The graph is a
// picture of the design's settings; whether a flow succeeds is for `run` to decide.
#ifndef DELEGSIM_DIAGRAMS_DELEGATION_GRAPH_H_
#define DELEGSIM_DIAGRAMS_DELEGATION_GRAPH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace delegsim::diagrams {

struct GraphCluster {
  std::string id;
  std::string label;
  int parent = -1;  // index of the enclosing cluster; -1 at the top
};

enum class NodeKind : uint8_t { kDomain, kHost, kService, kAccount, kGroup, kAnyService, kSpn };

struct GraphNode {
  std::string id;     // stable, made of [a-z0-9_]
  std::string label;  // lines separated by '\n'
  NodeKind kind = NodeKind::kAccount;
  int cluster = -1;
  bool highlighted = false;  // a delegation setting worth seeing at a glance (TD, sensitive)
};

enum class EdgeKind : uint8_t {
  kRunsAs,              // service -> its account
  kUnconstrained,       // account -> any service (TD)
  kConstrained,         // account -> service (A2D2, Kerberos only)
  kProtocolTransition,  // account -> service (A2D2 with T2A4D)
  kResourceBased,       // allowed principal -> resource account (RBCD)
  kTrust,               // trusting domain -> trusted domain
  kTrustTwoWay,
  kFlow,  // a credential flow `delegsim reach` found (diagrams/flow_edges.h)
};

struct GraphEdge {
  std::string from;
  std::string to;
  EdgeKind kind = EdgeKind::kRunsAs;
  std::string label;
};

struct DelegationGraph {
  std::string title;
  std::vector<GraphCluster> clusters;
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
};

// The graph of a scenario the loader accepted (names resolve). Deterministic.
DelegationGraph BuildDelegationGraph(const sim::Scenario& scenario);

// Graphviz DOT text (a digraph with clusters).
std::string RenderDot(const DelegationGraph& graph);
// A Mermaid flowchart (`flowchart LR` with subgraphs).
std::string RenderMermaid(const DelegationGraph& graph);

}  // namespace delegsim::diagrams

#endif  // DELEGSIM_DIAGRAMS_DELEGATION_GRAPH_H_
