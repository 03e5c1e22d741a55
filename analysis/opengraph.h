// The flows `delegsim reach` derives as BloodHound CE OpenGraph JSON, so that an
// enterprise can load them into BloodHound's graph database (File Ingest) and path-search
// them at a scale one machine's memory would not hold.
//
//   std::string json = RenderOpenGraph(prober, flows);  // {"graph": {...}, "metadata": {...}}
//
// The document follows the OpenGraph schema (bloodhound.specterops.io/opengraph/schema):
//   {"graph": {"nodes": [{"id", "kinds": [...], "properties": {...}}],
//              "edges": [{"kind", "start": {"value", "match_by": "id"},
//                         "end": {"value", "match_by": "id"}, "properties": {...}}]},
//    "metadata": {"source_kind": "DelegSim"}}
// Property values are strings, numbers, booleans or arrays of one of those (the schema
// allows no objects), and every kind carries the "DS" prefix so that it never collides
// with BloodHound's own AD kinds.
//
// Nodes: DSPrincipal (every identity that arrives somewhere and every compromised key
// holder; id and name "ALICE@CORP.EXAMPLE", as BloodHound names AD principals), DSService
// (id "SERVICE:<name>"), DSHost (id "HOST:<name>").
// Edges:
//   identity -[DS<Mechanism>]-> service   one per (identity, service, mechanism):
//       DSDirect, DSUnconstrained, DSConstrained, DSProtocolTransition, DSRbcd,
//       DSLocalSession, DSLogonUser; properties mechanism, rules (the arriving hop's rule
//       ids), levels, net_creds, chain (of the shortest flow), flow_numbers (as `reach`
//       numbers them, for --emit-scenario), via (compromised keys that give it).
//   key holder -[DSKeysActAs]-> identity  when holding the account's keys gives that
//       identity somewhere; properties services, mechanisms.
//   service -[DSHostedOn]-> host.
#ifndef DELEGSIM_ANALYSIS_OPENGRAPH_H_
#define DELEGSIM_ANALYSIS_OPENGRAPH_H_

#include <string>
#include <string_view>
#include <vector>

#include "analysis/prober.h"
#include "analysis/reach.h"

namespace delegsim::analysis {

// The edge kind of a mechanism: "DSRbcd" for rbcd, "DSProtocolTransition", ...
std::string OpenGraphEdgeKind(Mechanism m);

// The OpenGraph document of `flows` (found over `prober`'s directory), pretty-printed.
// Deterministic: nodes and edges in order of first appearance in `flows`.
std::string RenderOpenGraph(const Prober& prober, const std::vector<Flow>& flows);

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_OPENGRAPH_H_
