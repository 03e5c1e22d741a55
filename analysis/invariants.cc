#include "analysis/invariants.h"

#include <algorithm>

#include "nodes/token.h"

namespace delegsim::analysis {
namespace {

int LevelRank(const std::string& level) {
  std::optional<nodes::Level> l = nodes::ParseLevel(level);
  return l ? static_cast<int>(*l) : -1;
}

bool MatchesAny(const kdc::Directory& dir, PrincipalId who, const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    if (std::optional<PrincipalId> id = dir.Find(n); id && dir.Matches(who, *id)) return true;
  }
  return false;
}

// The hosts and services a no_reach target names: host:NAME, service:NAME, or a group whose
// member computer accounts name hosts and whose member service accounts name services.
bool TargetMatches(Prober& prober, const std::string& target, const Flow& f) {
  if (target.rfind("host:", 0) == 0) return f.host == target.substr(5);
  if (target.rfind("service:", 0) == 0) return f.service == target.substr(8);
  const kdc::Directory& dir = prober.directory();
  std::optional<PrincipalId> group = dir.Find(target);
  if (!group) return false;
  const nodes::ServiceInfo* s = prober.Service(f.service);
  if (s && dir.Matches(s->account, *group)) return true;
  for (std::string computer : {f.host, f.host + "$"}) {
    std::optional<PrincipalId> id = dir.Find(computer);
    if (id && dir.Get(*id).kind == kdc::PrincipalKind::kComputer && dir.Matches(*id, *group))
      return true;
  }
  return false;
}

std::optional<std::string> Breaks(Prober& prober, const sim::InvariantSpec& inv, const Flow& f) {
  const kdc::Directory& dir = prober.directory();
  std::optional<PrincipalId> who = dir.Find(f.identity);
  if (!who) return std::nullopt;
  switch (inv.kind) {
    case sim::InvariantSpec::Kind::kNoReach: {
      if (!MatchesAny(dir, *who, inv.identities)) return std::nullopt;
      if (LevelRank(f.level) < LevelRank(inv.min_level)) return std::nullopt;
      for (const std::string& t : inv.targets) {
        if (TargetMatches(prober, t, f)) {
          return f.identity + " arrives at " + f.service + " on " + f.host + " at " + f.level;
        }
      }
      return std::nullopt;
    }
    case sim::InvariantSpec::Kind::kOnlyHolders: {
      const nodes::ServiceInfo* s = prober.Service(f.service);
      std::string held = f.net_creds;
      if (inv.net_creds == "s4u_proxy") {
        // S4U2proxy evidence is a credential where an A2D2 or RBCD entry accepts it: the
        // hop names only its own A2D2, the analysis reads every descriptor (RB-1).
        if (held.rfind("s4u_proxy{", 0) != 0 || !s) return std::nullopt;
        const std::vector<const nodes::ServiceInfo*>& targets = prober.S4uTargets(s->account);
        if (targets.empty()) return std::nullopt;
        held = "s4u_proxy{";
        for (size_t i = 0; i < targets.size(); ++i)
          held += (i ? "," : "") + kdc::ToLower(targets[i]->spn);
        held += "}";
      } else if (held != inv.net_creds) {
        return std::nullopt;
      }
      if (!inv.spn.empty() && kdc::ToLower(held).find(kdc::ToLower(inv.spn)) == std::string::npos) {
        return std::nullopt;
      }
      if (!s || MatchesAny(dir, s->account, inv.holders)) return std::nullopt;
      return f.service + " (account " + dir.Name(s->account) + ") holds " + held + " for " +
             f.identity;
    }
    case sim::InvariantSpec::Kind::kOnlyThrough: {
      if (f.service != inv.service) return std::nullopt;
      for (size_t k = 0; k + 1 < f.chain.size(); ++k) {
        if (std::find(inv.via.begin(), inv.via.end(), f.chain[k]) != inv.via.end())
          return std::nullopt;
      }
      return f.identity + " arrives at " + f.service + " without passing " +
             (inv.via.empty() ? std::string("any allowed service") : inv.via.front());
    }
  }
  return std::nullopt;
}

}  // namespace

StatusOr<std::vector<Flow>> AllIdentityFlows(Prober& prober, int max_hops) {
  ReachOptions options;
  options.max_hops = max_hops;
  Reach reach(prober, options);
  const IdentityClasses& classes = prober.classes();
  std::vector<Flow> out;
  for (ClassId c = 0; c < classes.size(); ++c) {
    StatusOr<std::vector<Flow>> flows = reach.ForIdentity(classes.Representative(c));
    if (!flows.ok()) return flows.status();
    for (const Flow& f : *flows) reach.Expand(f, &out);
  }
  return out;
}

std::vector<Violation> CheckInvariants(Prober& prober,
                                       const std::vector<sim::InvariantSpec>& invariants,
                                       int max_hops, Status* status) {
  std::vector<Violation> out;
  if (invariants.empty()) return out;
  StatusOr<std::vector<Flow>> flows = AllIdentityFlows(prober, max_hops);
  if (!flows.ok()) {
    *status = flows.status();
    return out;
  }
  return ViolationsAmong(prober, invariants, *flows);
}

std::vector<Violation> ViolationsAmong(Prober& prober,
                                       const std::vector<sim::InvariantSpec>& invariants,
                                       const std::vector<Flow>& flows) {
  std::vector<Violation> out;
  for (const sim::InvariantSpec& inv : invariants) {
    for (const Flow& f : flows) {
      if (std::optional<std::string> why = Breaks(prober, inv, f)) {
        out.push_back({&inv, f, *why});
        break;
      }
    }
  }
  return out;
}

}  // namespace delegsim::analysis
