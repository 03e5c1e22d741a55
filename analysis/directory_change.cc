#include "analysis/directory_change.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "kdc/directory.h"
#include "sim/scenario_writer.h"

namespace delegsim::analysis {
namespace {

// Every field of an account, for comparison.
auto Fields(const sim::AccountSpec& a) {
  return std::tie(a.name, a.domain, a.kind, a.spns, a.trusted_for_delegation, a.not_delegated,
                  a.trusted_to_auth_for_delegation, a.disabled, a.allowed_to_delegate_to,
                  a.allowed_to_act, a.allowed_to_authenticate, a.member_of, a.privileges,
                  a.password);
}

// The settings every chain reads alike, as text (the writer's canonical form).
std::string SharedSettings(const Prober& p) {
  sim::Scenario s;
  s.options = p.scenario().options;
  s.seed = p.scenario().seed;
  s.domains = p.scenario().domains;
  s.objects = p.scenario().objects;
  s.faults = p.scenario().faults;
  s.steps = p.steps();
  return sim::WriteScenarioJson(s);
}

std::string Trusts(const Prober& p) {
  sim::Scenario s;
  s.trusts = p.scenario().trusts;
  return sim::WriteScenarioJson(s);
}

std::string AccountKey(const sim::AccountSpec& a) { return a.name + '\x1f' + a.domain; }

}  // namespace

DirectoryChange::DirectoryChange(const Prober& before, const Prober& after) {
  everything_ = SharedSettings(before) != SharedSettings(after);
  trusts_ = Trusts(before) != Trusts(after);
  CompareAccounts(before, after);
  CompareGroups(before, after);
  // Hosts (the prober's workstations included).
  std::map<std::string, std::string> hosts_a;
  for (const sim::HostSpec& h : before.scenario().hosts) hosts_a[h.name] = h.domain;
  std::map<std::string, std::string> hosts_b;
  for (const sim::HostSpec& h : after.scenario().hosts) hosts_b[h.name] = h.domain;
  for (const auto& [name, domain] : hosts_a) {
    auto it = hosts_b.find(name);
    if (it == hosts_b.end() || it->second != domain) hosts_.insert(name);
  }
  for (const auto& [name, domain] : hosts_b) {
    if (!hosts_a.count(name)) hosts_.insert(name);
  }
  CompareServices(before, after);
}

void DirectoryChange::CompareAccounts(const Prober& before, const Prober& after) {
  std::map<std::string, const sim::AccountSpec*> a;
  for (const sim::AccountSpec& x : before.scenario().accounts) a[AccountKey(x)] = &x;
  std::map<std::string, const sim::AccountSpec*> b;
  for (const sim::AccountSpec& x : after.scenario().accounts) b[AccountKey(x)] = &x;
  auto changed = [&](const sim::AccountSpec& x) {
    principals_.insert(x.name);
    principals_.insert(x.name + "@" + x.domain);
    for (const Prober* p : {&before, &after}) {
      std::optional<kdc::DomainId> d = p->directory().FindDomain(x.domain);
      if (!d) continue;
      if (std::optional<PrincipalId> id = p->directory().FindIn(*d, x.name)) {
        principals_.insert(p->directory().FullName(*id));
      }
    }
    for (const std::string& spn : x.spns) spns_.insert(kdc::ToLower(spn));
  };
  for (const auto& [key, x] : a) {
    auto it = b.find(key);
    if (it == b.end() || Fields(*x) != Fields(*it->second)) {
      changed(*x);
      if (it != b.end()) changed(*it->second);
    }
  }
  for (const auto& [key, x] : b) {
    if (!a.count(key)) changed(*x);
  }
}

void DirectoryChange::CompareGroups(const Prober& before, const Prober& after) {
  // The nested membership of every principal, by full names (a group edit changes it for
  // every member, however deep).
  const kdc::Directory& da = before.directory();
  const kdc::Directory& db = after.directory();
  auto groups = [](const kdc::Directory& d, PrincipalId id) {
    std::vector<std::string> out;
    for (PrincipalId g : d.Get(id).groups) out.push_back(d.FullName(g));
    std::sort(out.begin(), out.end());
    return out;
  };
  for (PrincipalId a = 1; a <= da.principal_count(); ++a) {
    const std::string& name = da.FullName(a);
    std::optional<PrincipalId> b = db.Find(name);
    if (!b) {
      principals_.insert(name);
      continue;
    }
    if (groups(da, a) != groups(db, *b)) {
      principals_.insert(name);
      principals_.insert(da.Name(a));
    }
  }
  for (PrincipalId b = 1; b <= db.principal_count(); ++b) {
    if (!da.Find(db.FullName(b))) principals_.insert(db.FullName(b));
  }
}

void DirectoryChange::CompareServices(const Prober& before, const Prober& after) {
  // Services as the topology resolved them: what a hop's decisions read of its service.
  auto resolved = [](const Prober& p, const nodes::ServiceInfo& s) {
    std::vector<std::string> targets = s.s4u_targets;
    for (std::string& t : targets) t = kdc::ToLower(t);
    std::sort(targets.begin(), targets.end());
    std::vector<int> transports(s.transports.begin(), s.transports.end());
    return std::make_tuple(s.host, p.directory().FullName(s.account), kdc::ToLower(s.spn),
                           transports, s.privileges, targets);
  };
  using Resolved = decltype(resolved(before, before.topology().services().front()));
  std::map<std::string, Resolved> a;
  for (const nodes::ServiceInfo& s : before.topology().services())
    a.emplace(s.name, resolved(before, s));
  for (const nodes::ServiceInfo& s : after.topology().services()) {
    auto it = a.find(s.name);
    if (it == a.end() || it->second != resolved(after, s)) services_.insert(s.name);
  }
  std::set<std::string> in_b;
  for (const nodes::ServiceInfo& s : after.topology().services()) in_b.insert(s.name);
  for (const auto& [name, r] : a) {
    if (!in_b.count(name)) services_.insert(name);
  }
  // A service whose SPN a changed account held or now holds (a duplicate, or a moved SPN).
  for (const Prober* p : {&before, &after}) {
    for (const nodes::ServiceInfo& s : p->topology().services()) {
      if (!s.spn.empty() && spns_.count(kdc::ToLower(s.spn))) services_.insert(s.name);
    }
  }
}

bool DirectoryChange::Unaffected(const Prober::Reads& reads) const {
  if (everything_) return false;
  if (trusts_ && reads.realms.size() > 1) return false;
  for (const std::string& p : reads.principals) {
    if (principals_.count(p)) return false;
  }
  for (const std::string& s : reads.services) {
    if (services_.count(s)) return false;
  }
  for (const std::string& h : reads.hosts) {
    if (hosts_.count(h)) return false;
  }
  return true;
}

}  // namespace delegsim::analysis
