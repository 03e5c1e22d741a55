#include "analysis/diff.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/directory_change.h"
#include "sim/virtual_runtime.h"

namespace delegsim::analysis {
namespace {

using Json = nlohmann::ordered_json;

std::map<std::string, const v1::HopResult*> HopsByPath(const std::vector<sim::CallOutcome>& o) {
  std::map<std::string, const v1::HopResult*> out;
  for (const v1::HopResult* h : sim::AllHops(o)) out.emplace(h->path(), h);
  return out;
}

// The expectations of `failures`, by origin path, each with its first failure.
std::map<std::string, const sim::ExpectationFailure*> FailedByOrigin(
    const sim::ExpectationReport& r) {
  std::map<std::string, const sim::ExpectationFailure*> out;
  for (const sim::ExpectationFailure& f : r.failures) out.emplace(f.origin.path, &f);
  return out;
}

std::string FailureDetail(const sim::ExpectationFailure& f) {
  return f.field + ": expected " + f.expected + ", got " + f.actual;
}

Json FlowJson(const Flow& f) {
  return {{"identity", f.identity},   {"service", f.service},
          {"host", f.host},           {"level", f.level},
          {"net_creds", f.net_creds}, {"mechanism", MechanismName(f.mechanism)},
          {"chain", f.chain},         {"rules", f.rules}};
}

}  // namespace

StatusOr<ScenarioRun> RunScenario(sim::Scenario scenario) {
  ScenarioRun run;
  StatusOr<std::unique_ptr<sim::World>> world =
      sim::World::Build(scenario, std::make_unique<sim::VirtualRuntime>());
  if (!world.ok()) return world.status();
  run.world = std::move(world).value();
  run.world->KeepTrace(false);
  if (Status st = run.world->Run(); !st.ok()) {
    return Status(st.code(), "the run did not complete: " + st.message());
  }
  for (const sim::CallOutcome& c : run.world->outcomes()) {
    if (!c.status.ok()) {
      return Status(c.status.code(),
                    "the run did not complete: call " + c.label + ": " + c.status.message());
    }
  }
  run.expectations = sim::CheckExpectations(run.world->scenario(), run.world->outcomes());
  return run;
}

std::string HopSummary(const v1::HopResult& hop) {
  if (hop.verdict() != "allowed") {
    std::string out = "denied by " + hop.decision().rule();
    if (!hop.decision().error().empty()) out += " (" + hop.decision().error() + ")";
    return out;
  }
  std::string out = "allowed · " + (hop.identity().empty() ? "anonymous" : hop.identity()) + " · " +
                    sim::HopLevel(hop) + " · net_creds=" + hop.net_creds();
  if (!hop.decision().rule().empty()) out += " [" + hop.decision().rule() + "]";
  return out;
}

StatusOr<std::unique_ptr<DirectoryFlows>> DirectoryFlows::Build(const sim::Scenario& scenario,
                                                                int max_hops,
                                                                const DirectoryFlows* before) {
  std::unique_ptr<DirectoryFlows> d(new DirectoryFlows());
  d->prober_ = std::make_unique<Prober>(scenario);
  if (!d->prober_->status().ok()) return d->prober_->status();
  if (before != nullptr) {
    DirectoryChange change(before->prober(), *d->prober_);
    d->adopted_ = d->prober_->AdoptAnswers(
        before->prober(), [&](const Prober::Reads& r) { return change.Unaffected(r); });
  }
  ReachOptions options;
  options.max_hops = max_hops;
  d->reach_ = std::make_unique<Reach>(*d->prober_, options);
  const IdentityClasses& classes = d->prober_->classes();
  d->by_class_.resize(classes.size());
  for (ClassId c = 0; c < classes.size(); ++c) {
    StatusOr<std::vector<Flow>> flows = d->reach_->ForIdentity(classes.Representative(c));
    if (!flows.ok()) return flows.status();
    d->by_class_[c] = std::move(flows).value();
  }
  return d;
}

namespace {

// A flow without its identity: what a class's members share.
std::string GrantKey(const Flow& f) {
  return f.service + '\x1f' + f.level + '\x1f' + f.net_creds + '\x1f' +
         std::string(MechanismName(f.mechanism));
}

// One side of a comparison: a directory and, for one identity class, its flows by key.
struct Side {
  DirectoryFlows* dir = nullptr;
  std::map<std::string, const Flow*> by_key;
  // Members simulated for themselves (TK-8), with the flows whose chain compares them.
  std::map<PrincipalId, std::vector<const Flow*>> compared_in;

  void Load(DirectoryFlows* d, ClassId c) {
    dir = d;
    if (c == IdentityClasses::kNone) return;
    for (const Flow& f : d->ClassFlows(c)) {
      by_key.emplace(GrantKey(f), &f);
      for (PrincipalId p : d->reach().ComparedAccounts(f)) compared_in[p].push_back(&f);
    }
  }
  bool Compares(PrincipalId m) const { return m != kdc::kNobody && compared_in.count(m); }

  // How member `m` differs from the representative: the flows it re-simulates (by key)
  // and what its own simulations found.
  struct View {
    bool present = false;
    std::set<std::string> removed;
    std::map<std::string, Flow> own;
  };
  View ViewOf(PrincipalId m) const {
    View v;
    v.present = m != kdc::kNobody && dir != nullptr;
    auto it = compared_in.find(m);
    if (!v.present || it == compared_in.end()) return v;
    for (const Flow* f : it->second) {
      v.removed.insert(GrantKey(*f));
      dir->reach().ForMembers(
          *f, {m}, [&](PrincipalId, const Flow& mine) { v.own.emplace(GrantKey(mine), mine); });
    }
    return v;
  }
  bool Has(const View& v, const std::string& key) const {
    return v.present && ((by_key.count(key) && !v.removed.count(key)) || v.own.count(key));
  }
  // The flow of `key` as member `m` has it (Has() is true).
  Flow FlowOf(const View& v, const std::string& key, PrincipalId m) const {
    if (auto it = v.own.find(key); it != v.own.end()) return it->second;
    Flow out;
    dir->reach().ForMembers(*by_key.at(key), {m},
                            [&](PrincipalId, const Flow& mine) { out = mine; });
    return out;
  }
};

}  // namespace

FlowDelta CompareFlows(DirectoryFlows& before, DirectoryFlows& after) {
  FlowDelta delta;
  const kdc::Directory& da = before.prober().directory();
  const kdc::Directory& db = after.prober().directory();
  const IdentityClasses& ca = before.prober().classes();
  const IdentityClasses& cb = after.prober().classes();
  // Identities by (class before, class after), matched by full name.
  std::map<std::pair<ClassId, ClassId>, std::vector<std::pair<PrincipalId, PrincipalId>>> groups;
  for (PrincipalId a = 1; a <= da.principal_count(); ++a) {
    if (!ca.HasClass(a)) continue;
    std::optional<PrincipalId> b = db.Find(da.FullName(a));
    bool in_b = b && cb.HasClass(*b);
    groups[{ca.Of(a), in_b ? cb.Of(*b) : IdentityClasses::kNone}].push_back(
        {a, in_b ? *b : kdc::kNobody});
  }
  for (PrincipalId b = 1; b <= db.principal_count(); ++b) {
    if (!cb.HasClass(b)) continue;
    std::optional<PrincipalId> a = da.Find(db.FullName(b));
    if (a && ca.HasClass(*a)) continue;
    groups[{IdentityClasses::kNone, cb.Of(b)}].push_back({kdc::kNobody, b});
  }
  for (const auto& [classes, members] : groups) {
    Side sa;
    Side sb;
    sa.Load(&before, classes.first);
    sb.Load(&after, classes.second);
    // Keys one class has and the other has not: the same for every plain member.
    std::set<std::string> differ;
    for (const auto& [key, f] : sa.by_key) {
      if (!sb.by_key.count(key)) differ.insert(key);
    }
    for (const auto& [key, f] : sb.by_key) {
      if (!sa.by_key.count(key)) differ.insert(key);
    }
    std::vector<PrincipalId> plain_a;
    std::vector<PrincipalId> plain_b;
    for (const auto& [a, b] : members) {
      if (!sa.Compares(a) && !sb.Compares(b)) {
        if (a != kdc::kNobody) plain_a.push_back(a);
        if (b != kdc::kNobody) plain_b.push_back(b);
        continue;
      }
      // A member simulated for itself in some chain: only those chains, and the keys the
      // classes differ in, can differ from the representative's answer.
      Side::View va = sa.ViewOf(a);
      Side::View vb = sb.ViewOf(b);
      std::set<std::string> keys = differ;
      for (const Side::View* v : {&va, &vb}) {
        keys.insert(v->removed.begin(), v->removed.end());
        for (const auto& [key, f] : v->own) keys.insert(key);
      }
      if (!va.present || !vb.present) {
        for (const auto& [key, f] : sa.by_key) keys.insert(key);
        for (const auto& [key, f] : sb.by_key) keys.insert(key);
      }
      for (const std::string& key : keys) {
        bool in_a = sa.Has(va, key);
        bool in_b = sb.Has(vb, key);
        if (in_b && !in_a) delta.opened.push_back(sb.FlowOf(vb, key, b));
        if (in_a && !in_b) delta.closed.push_back(sa.FlowOf(va, key, a));
      }
    }
    // Members renamed from the representative: one key difference, every member.
    auto spread = [](Side& from, const Side& other, const std::vector<PrincipalId>& who,
                     std::vector<Flow>* out) {
      if (who.empty()) return;
      for (const auto& [key, f] : from.by_key) {
        if (other.by_key.count(key)) continue;
        from.dir->reach().ForMembers(*f, who,
                                     [&](PrincipalId, const Flow& mine) { out->push_back(mine); });
      }
    };
    // With no class on the other side, every flow differs (other.by_key is empty).
    spread(sb, sa, plain_b, &delta.opened);
    spread(sa, sb, plain_a, &delta.closed);
  }
  return delta;
}

StatusOr<DiffResult> DiffScenarios(const sim::Scenario& before, const sim::Scenario& after,
                                   const DiffOptions& options) {
  DiffResult d;
  StatusOr<ScenarioRun> a = RunScenario(before);
  if (!a.ok()) return Status(a.status().code(), "before: " + a.status().message());
  StatusOr<ScenarioRun> b = RunScenario(after);
  if (!b.ok()) return Status(b.status().code(), "after: " + b.status().message());

  // Hops, by path, in the order of the calls (paths of `before` first).
  std::map<std::string, const v1::HopResult*> ha = HopsByPath(a->world->outcomes());
  std::map<std::string, const v1::HopResult*> hb = HopsByPath(b->world->outcomes());
  std::vector<std::string> order;
  for (const v1::HopResult* h : sim::AllHops(a->world->outcomes())) order.push_back(h->path());
  for (const v1::HopResult* h : sim::AllHops(b->world->outcomes())) {
    if (!ha.count(h->path())) order.push_back(h->path());
  }
  std::set<std::string> done;
  for (const std::string& path : order) {
    if (!done.insert(path).second) continue;
    std::string x = ha.count(path) ? HopSummary(*ha[path]) : "absent";
    std::string y = hb.count(path) ? HopSummary(*hb[path]) : "absent";
    if (x != y) d.hops.push_back({path, x, y});
  }

  // The expectations of `before`, checked against both runs.
  sim::ExpectationReport in_b = sim::CheckExpectations(before, b->world->outcomes());
  auto failed_a = FailedByOrigin(a->expectations);
  auto failed_b = FailedByOrigin(in_b);
  for (const sim::Expectation& e : before.expectations) {
    auto fa = failed_a.find(e.origin.path);
    auto fb = failed_b.find(e.origin.path);
    bool held_a = fa == failed_a.end();
    bool held_b = fb == failed_b.end();
    if (held_a == held_b) continue;
    ExpectationFlip flip;
    flip.origin = e.origin;
    flip.path = e.path + (e.op_target.empty() ? "" : "#" + e.op_target);
    flip.held_before = held_a;
    flip.held_after = held_b;
    flip.detail = FailureDetail(held_b ? *fa->second : *fb->second);
    d.flips.push_back(std::move(flip));
  }

  if (options.reach) {
    StatusOr<std::unique_ptr<DirectoryFlows>> fa = DirectoryFlows::Build(before, options.max_hops);
    if (!fa.ok()) return Status(fa.status().code(), "before: reach: " + fa.status().message());
    StatusOr<std::unique_ptr<DirectoryFlows>> fb =
        DirectoryFlows::Build(after, options.max_hops, fa->get());
    if (!fb.ok()) return Status(fb.status().code(), "after: reach: " + fb.status().message());
    FlowDelta delta = CompareFlows(**fa, **fb);
    d.opened = std::move(delta.opened);
    d.closed = std::move(delta.closed);
    d.invariants = after.invariants;
    d.violations = ViolationsAmong((*fb)->prober(), d.invariants, d.opened);
    d.reach_compared = true;
  }
  return d;
}

std::vector<std::string> SummarizeFlows(const std::vector<Flow>& flows) {
  struct Group {
    std::set<std::string> identities;
    std::set<std::string> grants;  // "delegate, net_creds=tgt"
    std::string host;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  for (const Flow& f : flows) {
    Group& g = groups[{std::string(MechanismName(f.mechanism)), f.service}];
    g.identities.insert(f.identity);
    g.grants.insert(f.level + ", net_creds=" + f.net_creds);
    g.host = f.host;
  }
  std::vector<std::string> out;
  for (const auto& [key, g] : groups) {
    size_t n = g.identities.size();
    std::string line = key.first + " -> " + key.second + " on " + g.host + ": " +
                       std::to_string(n) + (n == 1 ? " identity" : " identities") + " at ";
    size_t k = 0;
    for (const std::string& grant : g.grants) line += (k++ ? "; " : "") + grant;
    line += " (";
    k = 0;
    for (const std::string& id : g.identities) {
      if (k == 3) {
        line += ", +" + std::to_string(n - 3);
        break;
      }
      line += (k++ ? ", " : "") + id;
    }
    out.push_back(line + ")");
  }
  return out;
}

std::string RenderDiffText(const DiffResult& d, const std::string& before_name,
                           const std::string& after_name) {
  std::string out = "diff " + before_name + " -> " + after_name + "\n";
  out += "\nhops that differ (" + std::to_string(d.hops.size()) + ")\n";
  if (d.hops.empty()) out += "  none\n";
  for (const HopChange& h : d.hops) {
    out += "  " + h.path + "\n      before: " + h.before + "\n      after:  " + h.after + "\n";
  }
  out += "\nexpectations that flip (" + std::to_string(d.flips.size()) + ")\n";
  if (d.flips.empty()) out += "  none\n";
  for (const ExpectationFlip& f : d.flips) {
    out += "  " + before_name + ":" + std::to_string(f.origin.line) + " " + f.path + ": " +
           (f.held_before ? "held, now FAILS" : "failed, now holds") + " (" + f.detail + ")\n";
  }
  if (d.reach_compared) {
    auto block = [&](const char* title, const std::vector<Flow>& flows) {
      out += std::string("\n") + title + " (" + std::to_string(flows.size()) + " flow" +
             (flows.size() == 1 ? "" : "s") + ")\n";
      if (flows.empty()) out += "  none\n";
      for (const std::string& line : SummarizeFlows(flows)) out += "  " + line + "\n";
    };
    block("credential flows opened", d.opened);
    block("credential flows closed", d.closed);
    if (!d.violations.empty()) {
      out += "\ninvariants of " + after_name + " broken by an opened flow (" +
             std::to_string(d.violations.size()) + ")\n";
      for (const Violation& v : d.violations) {
        out += "  " + after_name + ":" + std::to_string(v.invariant->origin.line) + " '" +
               v.invariant->name + "': " + v.message + "\n      via " +
               Prober::Describe(v.counterexample.replay) + " (" +
               std::string(MechanismName(v.counterexample.mechanism)) + ")\n";
      }
    }
  }
  return out;
}

std::string RenderDiffJson(const DiffResult& d) {
  Json hops = Json::array();
  for (const HopChange& h : d.hops) {
    hops.push_back({{"path", h.path}, {"before", h.before}, {"after", h.after}});
  }
  Json flips = Json::array();
  for (const ExpectationFlip& f : d.flips) {
    flips.push_back({{"line", f.origin.line},
                     {"json_path", f.origin.path},
                     {"path", f.path},
                     {"before", f.held_before ? "held" : "failed"},
                     {"after", f.held_after ? "held" : "failed"},
                     {"detail", f.detail}});
  }
  Json doc = {{"hops", std::move(hops)}, {"expectations", std::move(flips)}};
  if (d.reach_compared) {
    Json opened = Json::array();
    Json closed = Json::array();
    for (const Flow& f : d.opened) opened.push_back(FlowJson(f));
    for (const Flow& f : d.closed) closed.push_back(FlowJson(f));
    doc["opened"] = std::move(opened);
    doc["closed"] = std::move(closed);
    doc["opened_summary"] = SummarizeFlows(d.opened);
    doc["closed_summary"] = SummarizeFlows(d.closed);
    Json violations = Json::array();
    for (const Violation& v : d.violations) {
      violations.push_back({{"invariant", v.invariant->name},
                            {"line", v.invariant->origin.line},
                            {"message", v.message},
                            {"flow", FlowJson(v.counterexample)}});
    }
    doc["violations"] = std::move(violations);
  }
  return doc.dump(2) + "\n";
}

}  // namespace delegsim::analysis
