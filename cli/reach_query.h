// The question `delegsim reach` answers, shared by the commands that ask it: `reach`
// itself, and `export` (flows drawn on the delegation graph, or written as BloodHound
// OpenGraph). One set of options, one resolution of names (with did-you-mean), one
// search; see docs/reach.md.
//
//   ReachQuery q;  AddReachQueryOptions(cmd, q);           // --identity, --compromised, ...
//   ReachAnswer answer;
//   if (AnswerReachQuery(q, file, prober, false, &answer, err) != kExitOk) return kExitInvalid;
#ifndef DELEGSIM_CLI_REACH_QUERY_H_
#define DELEGSIM_CLI_REACH_QUERY_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/prober.h"
#include "analysis/reach.h"
#include "analysis/report.h"
#include "diagrams/flow_edges.h"
#include "sim/scenario.h"

namespace CLI {
class App;
}

namespace delegsim::cli {

struct ReachQuery {
  std::optional<std::string> identity;
  std::vector<std::string> compromised;  // account names or host:NAME
  std::vector<std::string> coerce;       // account names, or "*" for every account
  std::optional<std::string> to;         // service name or host:NAME
  bool blast_radius = false;
  std::vector<std::string> privileged;  // extra groups whose members count as privileged
  int max_hops = 4;
  size_t max_flows = 1'000'000;
  bool quiet = false;  // no progress bar
};

// How many of --identity, --compromised, --to, --blast-radius are set.
int CountReachQueries(const ReachQuery& query);

// --identity, --compromised, --coerce, --to, --blast-radius, --privileged, --max-hops,
// --max-flows, --quiet.
void AddReachQueryOptions(CLI::App* cmd, ReachQuery& query);

struct ReachAnswer {
  std::string title;  // the question in words ("where alice@CORP.EXAMPLE's identity ...")
  std::vector<analysis::Flow> flows;
  bool blast_radius = false;
  std::vector<analysis::Exposure> exposures;  // --blast-radius
};

// Answers `query` over `prober` (built from `file`, which names the errors). With no
// question set: every flow reach derives, to every service, from every identity and every
// key holder. With --blast-radius the exposure table, and when `keep_blast_flows` the
// flows each key gives (one per identity class) too. kExitOk, or kExitInvalid after
// naming every unknown name (with did-you-mean) or the failure on `err`.
int AnswerReachQuery(const ReachQuery& query, const std::string& file, analysis::Prober& prober,
                     bool keep_blast_flows, ReachAnswer* answer, std::ostream& err);

// The flows as edges for diagrams/flow_edges.h.
std::vector<diagrams::FlowEdgeSpec> FlowEdges(const std::vector<analysis::Flow>& flows);
// The delegation graph of `scenario` with `flows` drawn on it, as Graphviz DOT.
std::string FlowGraphDot(const sim::Scenario& scenario, const std::vector<analysis::Flow>& flows);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_REACH_QUERY_H_
