// Diff: what changes between two versions of a design (typically before and after an AD
// change): the hop verdicts of their calls that differ, the expectations that flip, and the
// credential flows (`delegsim reach` over both directories) that open and close. Both
// scenarios run in the one simulator; nothing here decides anything itself.
//
//   StatusOr<DiffResult> d = DiffScenarios(before, after, {});
//   for (const Flow& f : d->opened) ...;   // flows `after` allows and `before` did not
//   bool guard_fails = !d->violations.empty();  // an opened flow breaks an invariant of `after`
#ifndef DELEGSIM_ANALYSIS_DIFF_H_
#define DELEGSIM_ANALYSIS_DIFF_H_

#include <memory>
#include <string>
#include <vector>

#include "analysis/invariants.h"
#include "analysis/reach.h"
#include "common/status.h"
#include "sim/results.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace delegsim::analysis {

// A scenario run on the virtual runtime, with its expectations checked.
struct ScenarioRun {
  std::unique_ptr<sim::World> world;
  sim::ExpectationReport expectations;
};
// Runs every step of `scenario`. Not OK when the world did not build or a call did not
// complete (a runtime failure is no verdict).
StatusOr<ScenarioRun> RunScenario(sim::Scenario scenario);

// One hop as a line: "allowed · alice@CORP.EXAMPLE · delegate · net_creds=tgt [IL-6]" or
// "denied by KCD-2 (KDC_ERR_BADOPTION)".
std::string HopSummary(const v1::HopResult& hop);

struct HopChange {
  std::string path;
  std::string before;  // HopSummary, or "absent"
  std::string after;
};

struct ExpectationFlip {
  sim::Origin origin;  // of the expectation, in the `before` file
  std::string path;    // its hop path (and "#target")
  bool held_before = false;
  bool held_after = false;
  std::string detail;  // the failure: "level: expected delegate, got impersonate"
};

struct DiffOptions {
  bool reach = true;  // compare the credential flows too
  int max_hops = 4;   // longest chain reach follows
};

struct DiffResult {
  std::vector<HopChange> hops;
  // The expectations of `before`, checked against both runs: those whose outcome differs.
  std::vector<ExpectationFlip> flips;
  // Flows (identity, service, level, net_creds, mechanism) found in one directory only.
  std::vector<Flow> opened;
  std::vector<Flow> closed;
  // Invariants of `after` that an opened flow breaks, each with that flow.
  std::vector<Violation> violations;
  // The invariants `after` declares (kept alive for `violations`).
  std::vector<sim::InvariantSpec> invariants;
  bool reach_compared = false;
};

// Runs both scenarios and compares them. Not OK when either did not build or a run or the
// reach analysis did not complete.
StatusOr<DiffResult> DiffScenarios(const sim::Scenario& before, const sim::Scenario& after,
                                   const DiffOptions& options);

// Where every identity of a directory can arrive, kept per identity class (the flows of
// each class's representative, by `delegsim reach`), so that two directories of 10,000
// users compare without listing every user's flows: only the flows that differ are
// expanded to the members they concern.
class DirectoryFlows {
 public:
  // Not OK when the scenario does not build or reach does not complete. With `before` (the
  // flows of another version of the directory, built with the same max_hops), the chains
  // whose inputs did not change between the two (analysis/directory_change.h) are not
  // simulated again: their answers are taken from `before`. The flows are the same as
  // without it (tests/analysis/incremental_diff_test.cc).
  static StatusOr<std::unique_ptr<DirectoryFlows>> Build(const sim::Scenario& scenario,
                                                         int max_hops,
                                                         const DirectoryFlows* before = nullptr);
  DirectoryFlows(const DirectoryFlows&) = delete;
  DirectoryFlows& operator=(const DirectoryFlows&) = delete;

  Prober& prober() { return *prober_; }
  const Prober& prober() const { return *prober_; }
  // Built with `before`: how many chain answers were taken from it.
  size_t adopted() const { return adopted_; }
  Reach& reach() { return *reach_; }
  // The representative's flows of class `c`.
  const std::vector<Flow>& ClassFlows(ClassId c) const { return by_class_[c]; }

 private:
  DirectoryFlows() = default;
  std::unique_ptr<Prober> prober_;
  std::unique_ptr<Reach> reach_;
  std::vector<std::vector<Flow>> by_class_;
  size_t adopted_ = 0;
};

struct FlowDelta {
  std::vector<Flow> opened;  // in `after` only: (identity, service, level, net_creds, mechanism)
  std::vector<Flow> closed;  // in `before` only
};
// The flows of every identity (of either directory, matched by full name) that one
// directory has and the other has not.
FlowDelta CompareFlows(DirectoryFlows& before, DirectoryFlows& after);

// Readable summaries of flow changes, grouped by mechanism and target service:
// "unconstrained -> web on web1: 412 identities at delegate, net_creds=tgt (alice@..., ...)".
std::vector<std::string> SummarizeFlows(const std::vector<Flow>& flows);

std::string RenderDiffText(const DiffResult& d, const std::string& before_name,
                           const std::string& after_name);
// {"hops": [{"path", "before", "after"}], "expectations": [{"line", "path", "before",
//  "after", "detail"}], "opened": [FLOW], "closed": [FLOW], "opened_summary": [...],
//  "closed_summary": [...], "violations": [{"invariant", "line", "message", "flow"}]}
std::string RenderDiffJson(const DiffResult& d);

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_DIFF_H_
