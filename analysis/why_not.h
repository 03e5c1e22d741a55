// Why-not: the smallest changes to a scenario that make a hop do what the user wants, and what
// else each change opens or breaks.
//
// The search is driven by the rule engine, not by a hand-made list: candidate changes are
// derived from the facts the decisions along the hop's path read (an account's
// not_delegated flag, an RBCD entry that is missing, a trust attribute, the level a call
// asked for, ...), and every candidate set is verified by applying it to the scenario's JSON
// document, loading it through the ordinary loader and running it in the simulator. Sets
// grow one change at a time (singles, then pairs, then triples), each new change derived
// from the facts of the run with the smaller set applied; supersets of an answer are never
// tried, so every answer is minimal. The search is bounded in size, runs and time, and says
// when a bound stopped it.
//
//   WhyNotGoal goal{.path = "c1/web/db"};
//   StatusOr<WhyNotAnswer> a = WhyNot(text, "corp.json", goal, {});
//   for (const ChangeSet& s : a->answers) ...s.edits..., s.breaks, s.opens
#ifndef DELEGSIM_ANALYSIS_WHY_NOT_H_
#define DELEGSIM_ANALYSIS_WHY_NOT_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/reach.h"
#include "analysis/scenario_edit.h"
#include "common/status.h"

namespace delegsim::analysis {

// What the hop at `path` should do. With nothing else set: be allowed.
struct WhyNotGoal {
  std::string path;                      // hop path, "c1/web/db"
  std::optional<std::string> level;      // at least this level ("delegate")
  std::optional<std::string> net_creds;  // "tgt", "own_session", "s4u_proxy" (any list), ...
  std::optional<std::string> access;     // an operation at the hop naming this is allowed
  std::string ToString() const;          // "c1/web/db allowed at delegate with net_creds=tgt"
};
// Parses one --want: "level=delegate", "net_creds=tgt", "access=orders".
Status AddWant(const std::string& want, WhyNotGoal* goal);

struct WhyNotOptions {
  int max_changes = 3;        // largest change set tried
  size_t max_runs = 3000;     // simulations, at most
  double max_seconds = 20.0;  // wall-clock bound on the search
  // Keep searching larger sets after the smallest answers (alternatives that are minimal by
  // inclusion, not by size).
  bool alternatives = false;
  bool collateral = true;  // measure what each answer breaks, opens and closes (reach)
  int reach_hops = 4;
  size_t max_answers = 10;
};

// One answer: a minimal set of changes that reaches the goal.
struct ChangeSet {
  std::vector<Edit> edits;
  std::string result;               // the hop with the changes: HopSummary
  std::vector<std::string> breaks;  // expectations of the file that would then fail
  std::vector<Flow> opens;          // credential flows the changes open...
  std::vector<Flow> closes;         // ...and close
  int breadth = 0;                  // sum of EditBreadth: narrowest mechanism first
  size_t collateral() const { return breaks.size() + opens.size(); }
};

struct WhyNotAnswer {
  WhyNotGoal goal;
  bool already = false;  // the goal holds without changes
  std::string now;       // the hop as it stands (HopSummary, or why it is not reached)
  std::vector<std::string> now_because;  // the denial's facts and causes
  std::vector<ChangeSet> answers;        // ranked: fewest changes, least collateral, narrowest
  size_t runs = 0;                       // simulations made
  size_t candidates = 0;                 // distinct changes derived
  int searched_size = 0;                 // largest set size fully searched
  std::string bound;  // "" or which bound stopped the search ("3000 runs", "20 s")
  // When nothing worked: the rules that refused the hop across the runs, most frequent first.
  std::vector<std::pair<std::string, size_t>> blockers;
  double seconds = 0;
  bool collateral_measured = false;  // breaks/opens/closes were computed
};

// Searches for changes to the scenario `text` (loaded as `file_name`) that reach `goal`.
// Not OK when the scenario does not load (every problem in the message), the hop path names
// no call of the scenario (with did-you-mean), or a run of the unchanged scenario did not
// complete.
StatusOr<WhyNotAnswer> WhyNot(const std::string& text, const std::string& file_name,
                              const WhyNotGoal& goal, const WhyNotOptions& options);

std::string RenderWhyNotText(const WhyNotAnswer& a, const std::string& file_name);
// {"goal", "now", "already", "candidates": [{"changes", "result", "breaks", "opens",
//  "closes", "opens_summary", "closes_summary"}], "search": {...}, "blocked_by": [...]}
std::string RenderWhyNotJson(const WhyNotAnswer& a);

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_WHY_NOT_H_
