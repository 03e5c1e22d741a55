// Reading a world's results: find hops by path, list the rules and facts a hop's
// decisions named, check expectations, and render trace and report as text or JSON.
#ifndef DELEGSIM_SIM_RESULTS_H_
#define DELEGSIM_SIM_RESULTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nodes/context.h"
#include "nodes/trace_log.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace delegsim::sim {

// The hop with this path among the outcomes, or nullptr.
const v1::HopResult* FindHop(const std::vector<CallOutcome>& outcomes, const std::string& path);
// Every hop, depth first, in call order.
std::vector<const v1::HopResult*> AllHops(const std::vector<CallOutcome>& outcomes);
// How many of them one outcome holds.
size_t HopCount(const CallOutcome& outcome);
// Rule ids named by a decision record (decider first), and by all decisions of a hop.
std::vector<std::string> RecordRules(const v1::DecisionRecord& d);
std::vector<std::string> HopRules(const v1::HopResult& hop);
std::vector<std::string> HopFacts(const v1::HopResult& hop);
// "delegate", ..., or "none" when the hop was refused.
std::string HopLevel(const v1::HopResult& hop);

struct ExpectationFailure {
  Origin origin;
  std::string path;   // hop path (and "#target" for operations)
  std::string field;  // "level", "rules", ...
  std::string expected;
  std::string actual;
  std::string ToString(const std::string& file) const;
};

struct ExpectationReport {
  int passed = 0;
  int failed = 0;
  std::vector<ExpectationFailure> failures;
};

// Checks the scenario's expectations against every outcome (ExpectationChecker fed with
// each of them in order).
ExpectationReport CheckExpectations(const Scenario& scenario,
                                    const std::vector<CallOutcome>& outcomes);

// Checks expectations call by call, as each call's outcome is known, so that a run need
// not keep every hop tree until the end to check them (delegsim check drops each tree
// once checked: World::KeepOutcomeTrees). Give it every outcome in step order, then call
// Finish() once: the report is the one CheckExpectations gives on all of them at once.
// An expectation is checked against the first hop with its path; one that no hop matched
// fails as "no such hop". Holds the failures found so far, never a hop.
class ExpectationChecker {
 public:
  explicit ExpectationChecker(const Scenario& scenario);  // borrowed: must outlive this
  void Add(const CallOutcome& outcome);
  ExpectationReport Finish();

 private:
  const Scenario& scenario_;
  // Expectations not yet checked, by the hop path they are about.
  std::unordered_map<std::string_view, std::vector<size_t>> waiting_;
  // The failures of each expectation once checked (empty: it passed).
  std::vector<std::optional<std::vector<ExpectationFailure>>> results_;
};

// Trace renderings: one line per record ("[   12 ms] #0034 web  IMPERSONATE c1/web ...")
// and JSON Lines (one object per record: time, seq, node, kind, path, summary, rules,
// facts, explain).
std::string TraceLineText(nodes::TraceView r);
std::string TraceLineJson(nodes::TraceView r);

// The readable report of `delegsim run`: each call as a tree with each hop's identity,
// level, net_creds, verdict and deciding rules, then the expectation failures.
struct ReportStyle {
  bool color = false;  // ANSI colours
  size_t width = 0;    // lines longer than this wrap, continuing under their text; 0: never
  bool ascii = false;  // ASCII tree and separators (a locale that is not UTF-8)
};
std::string RenderReport(const World& world, const ExpectationReport& expectations,
                         const std::string& file, const ReportStyle& style);

// `first` + `text` as lines of at most `width` columns (`first` counted as its size),
// broken at spaces, continuation lines indented by first.size() spaces; each line ends
// with '\n'. width 0 (or too narrow to help) gives one line.
std::string WrapLine(const std::string& first, const std::string& text, size_t width);

// How an allowed hop can carry the identity on to other machines, from the rule that set
// its net_creds (LC-5): "unconstrained" (IL-5), "constrained" (KCD-7: S4U2proxy, classic
// or resource-based per target), "protocol_transition" (S4U-3), "local_session" (LC-1), or
// "none". `rule`, when given, receives that rule id.
std::string OnwardMechanism(const v1::HopResult& hop, std::string* rule);
// The `--json` document: {scenario, profile, seed, runtime, hops[], accesses[], expectations}.
std::string RenderJson(const World& world, const ExpectationReport& expectations);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_RESULTS_H_
