// The checker's indexes of realms, hosts, principals and services, and name resolution
// with did-you-mean.
#include "sim/loader_checker.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/rules.h"
#include "common/text.h"
#include "nodes/topology.h"
#include "sim/json_path.h"

namespace delegsim::sim::loader_internal {

void Checker::Run() {
  IndexDomains();
  IndexHosts();
  IndexPrincipals();
  CheckDomains();
  CheckTrusts();
  CheckHosts();
  CheckAccounts();
  CheckGroups();
  CheckServices();
  CheckObjects();
  CheckSteps();
  CheckCalls();
  CheckExpectations();
  CheckInvariants();
  CheckFaults();
}

void Checker::Report(const LazyPath& path, std::string message) {
  std::string p = path.str();
  int line = LineOfPath(lines_, p);
  problems_->push_back({line, std::move(p), std::move(message)});
}

std::string Checker::AtLine(const std::string& path) const {
  int l = Line(path);
  return l > 0 ? " (line " + std::to_string(l) + ")" : "";
}

void Checker::IndexDomains() {
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < s_.domains.size(); ++i) {
    const std::string& realm = s_.domains[i].realm;
    const std::string& path = src_.domains[i];
    auto [it, fresh] = seen.emplace(Lower(realm), i);
    if (!fresh) {
      Report(Member(path, "name"), "duplicate domain '" + realm + "'" +
                                       FirstAt(Member(src_.domains[it->second], "name")));
      continue;
    }
    AddRealm({realm, false, path});
  }
}

void Checker::IndexHosts() {
  std::unordered_map<std::string, std::string> seen;  // lower-case name -> path
  for (size_t i = 0; i < s_.hosts.size(); ++i) {
    const HostSpec& h = s_.hosts[i];
    std::string path = src_.hosts[i];
    auto [it, fresh] = seen.emplace(Lower(h.name), path);
    if (!fresh) {
      Report(Member(path, "name"),
             "duplicate host '" + h.name + "'" + FirstAt(Member(it->second, "name")));
      continue;
    }
    AddHost({h.name, h.domain, path});
    if (!h.domain.empty()) continue;
    // A workgroup host is also the realm of its local accounts.
    if (std::optional<size_t> r = FindRealm(h.name)) {
      Report(Member(path, "name"),
             "workgroup host '" + h.name + "' has the name of domain '" + realms_[*r].name + "'" +
                 AtLine(Member(realms_[*r].path, "name")) + "; local accounts would be ambiguous");
      continue;
    }
    AddRealm({h.name, true, path});
  }
  // Domain controller hosts that the scenario does not declare are added by the world.
  for (const DomainSpec& d : s_.domains) {
    if (!FindHost(d.dc_host) && !seen.count(Lower(d.dc_host))) {
      AddHost({d.dc_host, d.realm, ""});
      seen.emplace(Lower(d.dc_host), "");
    }
  }
}

void Checker::AddPrincipal(Principal p) {
  bare_index_[Lower(p.name)].push_back(principals_.size());
  if (p.realm != kNoRealm) {
    qualified_index_.emplace(QualifiedKey(p.realm, p.name), principals_.size());
  }
  principals_.push_back(std::move(p));
}

std::string Checker::QualifiedKey(size_t realm, std::string_view name) {
  return std::to_string(realm) + "|" + Lower(name);
}

void Checker::IndexPrincipals() {
  for (size_t r = 0; r < realms_.size(); ++r) {
    if (!realms_[r].workgroup) AddPrincipal({"krbtgt", r, false, true, ""});
  }
  auto add = [&](const std::string& name, const std::string& domain, bool group,
                 const std::string& path) {
    // An unknown domain is reported by CheckAccounts / CheckGroups; the principal is
    // still indexed so that references to it do not fail as well.
    std::optional<size_t> r = FindRealm(domain);
    if (!r) {
      AddPrincipal({name, kNoRealm, group, false, path});
      return;
    }
    if (auto it = qualified_index_.find(QualifiedKey(*r, name)); it != qualified_index_.end()) {
      const Principal& p = principals_[it->second];
      std::string what = group ? "group" : "account";
      if (p.builtin) {
        Report(Member(path, "name"),
               "'" + name + "' is the built-in KDC account of domain '" + realms_[*r].name + "'");
      } else {
        Report(Member(path, "name"),
               "duplicate " + what + " '" + name + "' in '" + realms_[*r].name + "'" +
                   (p.group != group ? " (the name is taken by a" +
                                           std::string(p.group ? " group" : "n account") +
                                           AtLine(Member(p.path, "name")) + ")"
                                     : FirstAt(Member(p.path, "name"))));
      }
      return;
    }
    AddPrincipal({name, *r, group, false, path});
  };
  for (size_t i = 0; i < s_.accounts.size(); ++i) {
    add(s_.accounts[i].name, s_.accounts[i].domain, false, src_.accounts[i]);
  }
  for (size_t i = 0; i < s_.groups.size(); ++i) {
    add(s_.groups[i].name, s_.groups[i].domain, true, src_.groups[i]);
  }
}

std::string Checker::FirstAt(const std::string& path) const {
  int l = Line(path);
  return l > 0 ? " (first declared at line " + std::to_string(l) + ")" : "";
}

std::optional<size_t> Checker::FindRealm(std::string_view name) const {
  auto it = realm_index_.find(Lower(name));
  if (it == realm_index_.end()) return std::nullopt;
  return it->second;
}

void Checker::AddRealm(Realm r) {
  realm_index_.emplace(Lower(r.name), realms_.size());
  if (size_t dot = r.name.find('.'); dot != std::string::npos) {
    netbios_index_.emplace(Lower(r.name.substr(0, dot)), realms_.size());
  }
  realms_.push_back(std::move(r));
}

std::optional<size_t> Checker::FindRealmPrefix(const std::string& lower) const {
  if (auto it = realm_index_.find(lower); it != realm_index_.end()) return it->second;
  if (auto it = netbios_index_.find(lower); it != netbios_index_.end()) return it->second;
  return std::nullopt;
}

const Checker::Host* Checker::FindHost(const std::string& name) const {
  auto it = host_index_.find(name);
  return it == host_index_.end() ? nullptr : &hosts_[it->second];
}

void Checker::AddHost(Host h) {
  host_index_.emplace(h.name, hosts_.size());
  hosts_.push_back(std::move(h));
}

std::string Checker::Suggest(std::string_view word,
                             const std::function<std::vector<Candidate>()>& make) {
  if (suggestion_budget_ == 0) return "";
  std::vector<Candidate> cands = make();
  suggestion_budget_ -= std::min<uint64_t>(suggestion_budget_, cands.size() + 1);
  return Suggestion(word, cands);
}

std::vector<Candidate> Checker::RealmCandidates(bool workgroups) const {
  std::vector<Candidate> out;
  for (const Realm& r : realms_) {
    if (r.workgroup && !workgroups) continue;
    out.push_back({r.name, r.name});
    if (size_t dot = r.name.find('.'); dot != std::string::npos) {
      out.push_back({r.name.substr(0, dot), r.name});  // NetBIOS name
    }
  }
  return out;
}

std::optional<size_t> Checker::ResolveRealm(const std::string& name, const LazyPath& path,
                                            bool workgroups) {
  std::optional<size_t> r = FindRealm(name);
  if (r && (workgroups || !realms_[*r].workgroup)) return r;
  if (r) {
    Report(path, "'" + name + "' is a workgroup host, not a domain");
    return std::nullopt;
  }
  std::string extra;
  if (const Host* h = FindHost(name); h && workgroups) {
    extra = " ('" + name + "' is a host of domain '" + h->domain +
            "'; only workgroup hosts have local accounts here)";
  }
  Report(path,
         "unknown domain '" + name + "'" +
             (extra.empty() ? Suggest(name, [&] { return RealmCandidates(workgroups); }) : extra));
  return std::nullopt;
}

const Checker::Host* Checker::ResolveHost(const std::string& name, const LazyPath& path) {
  if (const Host* h = FindHost(name)) return h;
  std::string dym = Suggest(name, [&] {
    std::vector<Candidate> cands;
    for (const Host& h : hosts_) cands.push_back({h.name, h.name});
    return cands;
  });
  Report(path, "unknown host '" + name + "'" + dym);
  return nullptr;
}

const Checker::Principal* Checker::ResolvePrincipal(const std::string& name, const LazyPath& path,
                                                    Want want) {
  std::string what = want == Want::kGroup     ? "group"
                     : want == Want::kAccount ? "account"
                                              : "account or group";
  std::vector<const Principal*> found;
  std::string key = Lower(name);
  auto qualified = [&](std::optional<size_t> realm, std::string_view bare) {
    if (!realm) return;
    auto it = qualified_index_.find(QualifiedKey(*realm, bare));
    if (it != qualified_index_.end()) found.push_back(&principals_[it->second]);
  };
  if (size_t bs = key.find('\\'); bs != std::string::npos) {
    qualified(FindRealmPrefix(key.substr(0, bs)), key.substr(bs + 1));
  } else if (size_t at = key.find('@'); at != std::string::npos) {
    qualified(FindRealm(key.substr(at + 1)), key.substr(0, at));
  } else if (auto it = bare_index_.find(key); it != bare_index_.end()) {
    for (size_t i : it->second) found.push_back(&principals_[i]);
  }
  if (found.size() > 1) {
    std::vector<std::string> full;
    for (const Principal* p : found) full.push_back("'" + Qualified(*p) + "'");
    std::vector<std::string_view> views(full.begin(), full.end());
    Report(path, "ambiguous " + what + " '" + name + "': qualify it as " + Join(views, " or "));
    return nullptr;
  }
  if (found.empty()) {
    std::string dym = Suggest(name, [&] {
      std::vector<Candidate> cands;
      for (const Principal& p : principals_) {
        if (p.builtin || (want == Want::kGroup && !p.group) ||
            (want == Want::kAccount && p.group)) {
          continue;
        }
        std::string shown = name.find_first_of("@\\") != std::string::npos ? Qualified(p) : p.name;
        cands.push_back({shown, shown});
      }
      return cands;
    });
    Report(path, "unknown " + what + " '" + name + "'" + dym);
    return nullptr;
  }
  const Principal* p = found.front();
  if (want == Want::kGroup && !p->group) {
    Report(path, "'" + name + "' is an account, not a group");
    return nullptr;
  }
  if (want == Want::kAccount && p->group) {
    Report(path, "'" + name + "' is a group, not an account");
    return nullptr;
  }
  return p;
}

std::string Checker::Qualified(const Principal& p) const {
  return p.realm == kNoRealm ? p.name : p.name + "@" + realms_[p.realm].name;
}

}  // namespace delegsim::sim::loader_internal
