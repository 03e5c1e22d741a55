#include "analysis/why_not.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/diff.h"
#include "analysis/why_not_candidates.h"
#include "kdc/kdc.h"
#include "nodes/token.h"
#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"

namespace delegsim::analysis {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

int LevelRank(const std::string& level) {
  std::optional<nodes::Level> l = nodes::ParseLevel(level);
  return l ? static_cast<int>(*l) : -1;
}

// Splits "name=value" at the '=' that ends the name (names may hold "(...)").
std::pair<std::string, std::string> SplitFact(const std::string& f) {
  size_t close = f.rfind(')', f.find('='));
  size_t eq = f.find('=', close == std::string::npos ? 0 : close);
  if (eq == std::string::npos) return {f, ""};
  return {f.substr(0, eq), f.substr(eq + 1)};
}

void AddRecordFacts(const v1::DecisionRecord& r, const std::string& path,
                    std::vector<FactRef>* out) {
  for (const v1::CheckRecord& c : r.checks()) {
    for (const std::string& f : kdc::RecordFacts(c)) {
      auto [name, value] = SplitFact(f);
      out->push_back({path, name, value});
    }
  }
  // "AC-1: alice.not_delegated=true": the fact behind a fact.
  for (const std::string& cause : r.causes()) {
    size_t colon = cause.find(": ");
    auto [name, value] = SplitFact(colon == std::string::npos ? cause : cause.substr(colon + 2));
    out->push_back({path, name, value});
  }
}

// The outcome of one verification run.
struct Attempt {
  bool goal = false;
  std::string summary;  // the target hop (HopSummary) or why it was not reached
  std::string blocker;  // the rule that refused (or capped) it
  std::vector<std::string> because;
  std::vector<FactRef> facts;
};

// The scenario's steps up to and including the call the goal's path starts with (the later
// ones cannot change it).
void KeepStepsUpTo(const std::string& label, sim::Scenario* s) {
  for (size_t i = 0; i < s->steps.size(); ++i) {
    if (s->steps[i].kind == sim::StepSpec::Kind::kCall && s->steps[i].label == label) {
      s->steps.resize(i + 1);
      return;
    }
  }
}

Attempt Evaluate(const std::vector<sim::CallOutcome>& outcomes, const WhyNotGoal& goal) {
  Attempt a;
  const v1::HopResult* target = sim::FindHop(outcomes, goal.path);
  for (const std::string& p : HopPathPrefixes(goal.path)) {
    const v1::HopResult* h = sim::FindHop(outcomes, p);
    if (!h) break;
    for (const std::string& step : h->steps()) AddRecordFacts(kdc::DecodeRecord(step), p, &a.facts);
    AddRecordFacts(h->decision(), p, &a.facts);
    if (h->verdict() != "allowed") {
      a.summary = p == goal.path ? HopSummary(*h) : "not reached: " + p + " " + HopSummary(*h);
      a.blocker = h->decision().rule();
      for (const v1::CheckRecord& c : h->decision().checks()) {
        if (c.effect() != v1::CHECK_EFFECT_DENY) continue;
        for (const std::string& f : kdc::RecordFacts(c)) a.because.push_back(c.rule() + ": " + f);
      }
      for (const std::string& c : h->decision().causes()) a.because.push_back("because " + c);
      return a;
    }
  }
  if (!target) {
    a.summary = "not reached (the call was not made)";
    a.blocker = "not reached";
    return a;
  }
  a.summary = HopSummary(*target);
  a.goal = true;
  if (goal.level && LevelRank(sim::HopLevel(*target)) < LevelRank(*goal.level)) {
    a.goal = false;
    a.blocker = target->decision().rule();
    a.because.push_back("level " + sim::HopLevel(*target) + " (want " + *goal.level + ")");
  }
  if (goal.net_creds) {
    const std::string& have = target->net_creds();
    bool ok = have == *goal.net_creds || have.rfind(*goal.net_creds + "{", 0) == 0;
    if (!ok) {
      a.goal = false;
      std::string rule;
      sim::OnwardMechanism(*target, &rule);
      a.blocker = rule.empty() ? target->decision().rule() : rule;
      a.because.push_back("net_creds=" + have + " (want " + *goal.net_creds + ")");
    }
  }
  if (goal.access) {
    const v1::OpResult* op = nullptr;
    for (const v1::OpResult& o : target->ops()) {
      if (o.target() == *goal.access) {
        op = &o;
        break;
      }
    }
    if (!op) {
      a.goal = false;
      a.blocker = "not reached";
      a.because.push_back("no operation on " + *goal.access + " ran at " + goal.path);
    } else {
      AddRecordFacts(op->decision(), goal.path, &a.facts);
      a.facts.push_back({goal.path, "access.object", op->target()});
      a.facts.push_back({goal.path, "access.rights", op->rights()});
      if (op->verdict() != "allowed") {
        a.goal = false;
        a.blocker = op->decision().rule();
        a.summary += "; " + op->op() + " " + op->target() + " denied by " + op->decision().rule();
        for (const v1::CheckRecord& c : op->decision().checks()) {
          if (c.effect() != v1::CHECK_EFFECT_DENY) continue;
          for (const std::string& f : kdc::RecordFacts(c)) a.because.push_back(c.rule() + ": " + f);
        }
      }
    }
  }
  return a;
}

class Search {
 public:
  Search(const std::string& text, const std::string& file, const WhyNotGoal& goal,
         const WhyNotOptions& options)
      : text_(text), file_(file), goal_(goal), options_(options), start_(Clock::now()) {
    label_ = goal.path.substr(0, goal.path.find('/'));
  }

  // One verification run of `edits`; nullopt when the edits do not apply or load (such a
  // candidate is no answer) or the run did not complete.
  std::optional<Attempt> Try(const std::vector<Edit>& edits, sim::Scenario* loaded = nullptr) {
    EditedScenario e = ApplyEdits(text_, file_, edits);
    if (!e.scenario) return std::nullopt;
    if (loaded) *loaded = *e.scenario;
    KeepStepsUpTo(label_, &*e.scenario);
    ++runs_;
    StatusOr<std::unique_ptr<sim::World>> world =
        sim::World::Build(std::move(*e.scenario), std::make_unique<sim::VirtualRuntime>());
    if (!world.ok()) return std::nullopt;
    (*world)->KeepTrace(false);
    if (!(*world)->Run().ok()) return std::nullopt;
    for (const sim::CallOutcome& c : (*world)->outcomes()) {
      if (!c.status.ok()) return std::nullopt;
    }
    return Evaluate((*world)->outcomes(), goal_);
  }

  // Empty when no bound was hit, else which.
  std::string Bound() const {
    if (runs_ >= options_.max_runs) return std::to_string(options_.max_runs) + " runs";
    double s = std::chrono::duration<double>(Clock::now() - start_).count();
    if (s >= options_.max_seconds) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g s", options_.max_seconds);
      return buf;
    }
    return "";
  }

  size_t runs() const { return runs_; }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  const std::string& text_;
  const std::string& file_;
  const WhyNotGoal& goal_;
  const WhyNotOptions& options_;
  std::string label_;
  Clock::time_point start_;
  size_t runs_ = 0;
};

bool Subset(const std::vector<Edit>& small, const std::vector<Edit>& big) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

Json FlowJson(const Flow& f) {
  return {{"identity", f.identity},   {"service", f.service},
          {"host", f.host},           {"level", f.level},
          {"net_creds", f.net_creds}, {"mechanism", MechanismName(f.mechanism)},
          {"chain", f.chain}};
}

}  // namespace

std::string WhyNotGoal::ToString() const {
  std::string out = path + " allowed";
  if (level) out += " at " + *level + " or above";
  if (net_creds) out += " with net_creds=" + *net_creds;
  if (access) out += ", its operation on " + *access + " allowed";
  return out;
}

Status AddWant(const std::string& want, WhyNotGoal* goal) {
  size_t eq = want.find('=');
  std::string key = want.substr(0, eq);
  std::string value = eq == std::string::npos ? "" : want.substr(eq + 1);
  if (eq == std::string::npos || value.empty()) {
    return InvalidArgument("--want " + want +
                           ": expected level=LEVEL, net_creds=VALUE or access=OBJECT");
  }
  if (key == "level") {
    if (!nodes::ParseLevel(value)) {
      return InvalidArgument("--want level=" + value +
                             ": expected anonymous, identify, impersonate or delegate");
    }
    goal->level = value;
  } else if (key == "net_creds") {
    static const std::set<std::string> kKinds = {"none", "tgt", "own_session", "s4u_proxy"};
    std::string kind = value.substr(0, value.find('{'));
    if (!kKinds.count(kind)) {
      return InvalidArgument("--want net_creds=" + value +
                             ": expected none, tgt, own_session or s4u_proxy[{SPN,...}]");
    }
    goal->net_creds = value;
  } else if (key == "access") {
    goal->access = value;
  } else {
    return InvalidArgument("--want " + want + ": unknown goal '" + key +
                           "' (expected level, net_creds or access)");
  }
  return Status::Ok();
}

StatusOr<WhyNotAnswer> WhyNot(const std::string& text, const std::string& file_name,
                              const WhyNotGoal& goal, const WhyNotOptions& options) {
  sim::LoadResult base = sim::LoadScenarioText(text, file_name);
  if (!base.ok()) {
    std::string all;
    for (const sim::Problem& p : base.problems) all += (all.empty() ? "" : "\n") + p.ToString();
    return InvalidArgument(all);
  }
  if (Status st = CheckCallPath(text, goal.path); !st.ok()) {
    return Status(st.code(), "hop " + goal.path + ": " + st.message());
  }
  WhyNotAnswer answer;
  answer.goal = goal;
  Search search(text, file_name, goal, options);
  std::optional<Attempt> now = search.Try({});
  if (!now)
    return FailedPrecondition(file_name + ": the unchanged scenario did not run to completion");
  answer.now = now->summary;
  for (const std::string& b : now->because) {
    if (std::find(answer.now_because.begin(), answer.now_because.end(), b) ==
        answer.now_because.end()) {
      answer.now_because.push_back(b);
    }
  }
  if (now->goal) {
    answer.already = true;
    answer.runs = search.runs();
    answer.seconds = search.Seconds();
    return answer;
  }

  // Breadth-first over change sets, each grown by the candidates its own run's facts give.
  struct Node {
    std::vector<Edit> edits;  // sorted
    std::vector<FactRef> facts;
    sim::Scenario scenario;
  };
  std::vector<Node> frontier;
  frontier.push_back({{}, now->facts, *base.scenario});
  std::set<std::vector<Edit>> seen;
  std::set<Edit> derived;
  std::map<std::string, size_t> blockers;
  struct Found {
    std::vector<Edit> edits;
    std::string result;
  };
  std::vector<Found> found;
  std::vector<Edit> base_candidates = DeriveCandidates(*base.scenario, now->facts, goal);
  for (int size = 1; size <= options.max_changes && answer.bound.empty(); ++size) {
    std::vector<Node> next;
    for (const Node& node : frontier) {
      std::vector<Edit> cands = DeriveCandidates(node.scenario, node.facts, goal);
      if (size > 1) cands.insert(cands.end(), base_candidates.begin(), base_candidates.end());
      for (const Edit& c : cands) {
        derived.insert(c);
        if (std::any_of(node.edits.begin(), node.edits.end(),
                        [&](const Edit& e) { return e.SameTarget(c); })) {
          continue;
        }
        std::vector<Edit> set = node.edits;
        set.push_back(c);
        std::sort(set.begin(), set.end());
        if (!seen.insert(set).second) continue;
        if (std::any_of(found.begin(), found.end(),
                        [&](const Found& f) { return Subset(f.edits, set); })) {
          continue;
        }
        if (answer.bound = search.Bound(); !answer.bound.empty()) break;
        sim::Scenario loaded;
        std::optional<Attempt> a = search.Try(set, &loaded);
        if (!a) continue;
        if (a->goal) {
          found.push_back({set, a->summary});
        } else {
          ++blockers[a->blocker];
          if (size < options.max_changes) {
            next.push_back({std::move(set), std::move(a->facts), std::move(loaded)});
          }
        }
      }
      if (!answer.bound.empty()) break;
    }
    if (answer.bound.empty()) answer.searched_size = size;
    if (!found.empty() && !options.alternatives) break;
    frontier = std::move(next);
    if (frontier.empty()) break;
  }
  answer.candidates = derived.size();
  for (const auto& [rule, n] : blockers) answer.blockers.push_back({rule, n});
  std::stable_sort(answer.blockers.begin(), answer.blockers.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });

  // Collateral: what each answer breaks among the file's expectations, and the flows it
  // opens and closes.
  std::optional<ScenarioRun> base_run;
  std::unique_ptr<DirectoryFlows> base_flows;
  bool collateral = options.collateral && !found.empty();
  if (collateral) {
    StatusOr<ScenarioRun> r = RunScenario(*base.scenario);
    StatusOr<std::unique_ptr<DirectoryFlows>> f =
        DirectoryFlows::Build(*base.scenario, options.reach_hops);
    if (r.ok() && f.ok()) {
      base_run = std::move(r).value();
      base_flows = std::move(f).value();
    } else {
      collateral = false;
    }
  }
  std::set<std::string> failing_before;
  if (base_run) {
    for (const sim::ExpectationFailure& f : base_run->expectations.failures)
      failing_before.insert(f.origin.path);
  }
  answer.collateral_measured = collateral;
  for (Found& f : found) {
    ChangeSet cs;
    cs.edits = f.edits;
    cs.result = f.result;
    for (const Edit& e : f.edits) cs.breadth += EditBreadth(e);
    if (collateral) {
      EditedScenario edited = ApplyEdits(text, file_name, f.edits);
      if (edited.scenario) {
        if (StatusOr<ScenarioRun> r = RunScenario(*edited.scenario); r.ok()) {
          std::set<std::string> listed;
          for (sim::ExpectationFailure x : r->expectations.failures) {
            if (failing_before.count(x.origin.path) || !listed.insert(x.origin.path).second)
              continue;
            // Lines of the file as written (the edited document is laid out anew; the
            // edits never touch `expect`, so its JSON paths are the file's).
            for (const sim::Expectation& e : base.scenario->expectations) {
              if (e.origin.path == x.origin.path) x.origin.line = e.origin.line;
            }
            cs.breaks.push_back(x.ToString(file_name));
          }
        }
        if (StatusOr<std::unique_ptr<DirectoryFlows>> flows =
                DirectoryFlows::Build(*edited.scenario, options.reach_hops);
            flows.ok()) {
          FlowDelta delta = CompareFlows(*base_flows, **flows);
          cs.opens = std::move(delta.opened);
          cs.closes = std::move(delta.closed);
        }
      }
    }
    answer.answers.push_back(std::move(cs));
  }
  std::stable_sort(answer.answers.begin(), answer.answers.end(),
                   [](const ChangeSet& x, const ChangeSet& y) {
                     if (x.edits.size() != y.edits.size()) return x.edits.size() < y.edits.size();
                     if (x.collateral() != y.collateral()) return x.collateral() < y.collateral();
                     return x.breadth < y.breadth;
                   });
  if (answer.answers.size() > options.max_answers) answer.answers.resize(options.max_answers);
  answer.runs = search.runs();
  answer.seconds = search.Seconds();
  return answer;
}

std::string RenderWhyNotText(const WhyNotAnswer& a, const std::string& file_name) {
  std::string out = "why not " + a.goal.ToString() + "\n";
  out += "  now: " + a.now + "\n";
  for (const std::string& b : a.now_because) out += "       " + b + "\n";
  if (a.already) return out + "\nthe goal already holds: nothing to change\n";
  out += "\n";
  if (a.answers.empty()) {
    out += "no change set of up to " + std::to_string(a.searched_size) + " change" +
           (a.searched_size == 1 ? "" : "s") + " reaches the goal";
    if (!a.blockers.empty()) {
      out += "; every candidate was still refused:";
      size_t k = 0;
      for (const auto& [rule, n] : a.blockers) {
        if (k++ == 4) break;
        out += (k > 1 ? "," : "") + std::string(" ") + rule + " (" + std::to_string(n) + " run" +
               (n == 1 ? "" : "s") + ")";
      }
    }
    out += "\n";
  }
  for (size_t i = 0; i < a.answers.size(); ++i) {
    const ChangeSet& cs = a.answers[i];
    out += "#" + std::to_string(i + 1) + "  " + std::to_string(cs.edits.size()) + " change" +
           (cs.edits.size() == 1 ? "" : "s") + "\n";
    for (const Edit& e : cs.edits) out += "      " + e.ToString() + "\n";
    out += "    then: " + cs.result + "\n";
    if (!cs.breaks.empty()) {
      out += "    breaks " + std::to_string(cs.breaks.size()) + " expectation" +
             (cs.breaks.size() == 1 ? "" : "s") + ":\n";
      for (const std::string& b : cs.breaks) out += "      " + b + "\n";
    }
    if (!cs.opens.empty()) {
      out += "    opens " + std::to_string(cs.opens.size()) + " credential flow" +
             (cs.opens.size() == 1 ? "" : "s") + ":\n";
      for (const std::string& l : SummarizeFlows(cs.opens)) out += "      " + l + "\n";
    }
    if (!cs.closes.empty()) {
      out += "    closes " + std::to_string(cs.closes.size()) + " credential flow" +
             (cs.closes.size() == 1 ? "" : "s") + ":\n";
      for (const std::string& l : SummarizeFlows(cs.closes)) out += "      " + l + "\n";
    }
    if (!a.collateral_measured) {
      out += "    collateral: not measured (--no-collateral)\n";
    } else if (cs.breaks.empty() && cs.opens.empty() && cs.closes.empty()) {
      out += "    collateral: none (no expectation breaks, no other flow opens or closes)\n";
    }
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.2f", a.seconds);
  out += "\nsearched " + std::to_string(a.candidates) + " candidate changes in " +
         std::to_string(a.runs) + " runs (" + secs + " s), sets of up to " +
         std::to_string(a.searched_size) + " change" + (a.searched_size == 1 ? "" : "s");
  if (!a.bound.empty())
    out += "; STOPPED at the bound of " + a.bound + " (raise it with --max-runs / --max-seconds)";
  out += "\n";
  if (!a.answers.empty()) {
    out += "write one with: delegsim why-not " + file_name + " " + a.goal.path +
           " --apply N -o NEW.json\n";
  }
  return out;
}

std::string RenderWhyNotJson(const WhyNotAnswer& a) {
  Json goal = {{"path", a.goal.path}};
  if (a.goal.level) goal["level"] = *a.goal.level;
  if (a.goal.net_creds) goal["net_creds"] = *a.goal.net_creds;
  if (a.goal.access) goal["access"] = *a.goal.access;
  Json cands = Json::array();
  for (const ChangeSet& cs : a.answers) {
    Json changes = Json::array();
    for (const Edit& e : cs.edits) changes.push_back(e.ToString());
    Json opens = Json::array();
    Json closes = Json::array();
    for (const Flow& f : cs.opens) opens.push_back(FlowJson(f));
    for (const Flow& f : cs.closes) closes.push_back(FlowJson(f));
    cands.push_back({{"changes", std::move(changes)},
                     {"result", cs.result},
                     {"breaks", cs.breaks},
                     {"opens", std::move(opens)},
                     {"closes", std::move(closes)},
                     {"opens_summary", SummarizeFlows(cs.opens)},
                     {"closes_summary", SummarizeFlows(cs.closes)},
                     {"breadth", cs.breadth}});
  }
  Json blockers = Json::array();
  for (const auto& [rule, n] : a.blockers) blockers.push_back({{"rule", rule}, {"runs", n}});
  Json doc = {{"goal", std::move(goal)},
              {"now", a.now},
              {"now_because", a.now_because},
              {"already", a.already},
              {"candidates", std::move(cands)},
              {"search",
               {{"changes_derived", a.candidates},
                {"runs", a.runs},
                {"seconds", a.seconds},
                {"max_set_size_searched", a.searched_size},
                {"collateral_measured", a.collateral_measured},
                {"bound_hit", a.bound.empty() ? Json(nullptr) : Json(a.bound)}}},
              {"blocked_by", std::move(blockers)}};
  return doc.dump(2) + "\n";
}

}  // namespace delegsim::analysis
