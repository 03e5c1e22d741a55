// Checks across the directory: domains, trusts, hosts, accounts and groups.
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
#include "sim/loader_checker.h"

namespace delegsim::sim::loader_internal {

void Checker::CheckDomains() {
  std::unordered_map<std::string, std::string> dc_owner;  // dc host -> realm
  for (size_t i = 0; i < s_.domains.size(); ++i) {
    const DomainSpec& d = s_.domains[i];
    std::string path = Member(src_.domains[i], "dc");
    auto [it, fresh] = dc_owner.emplace(d.dc_host, d.realm);
    if (!fresh && Lower(it->second) != Lower(d.realm)) {
      Report(path,
             "host '" + d.dc_host + "' is already the domain controller of '" + it->second + "'");
      continue;
    }
    const Host* h = FindHost(d.dc_host);
    if (!h || h->path.empty()) continue;
    if (h->domain.empty()) {
      Report(path, "domain controller host '" + d.dc_host + "' is a workgroup host" +
                       AtLine(h->path) + "; it must be in domain '" + d.realm + "'");
    } else if (Lower(h->domain) != Lower(d.realm)) {
      Report(path, "domain controller host '" + d.dc_host + "' is in domain '" + h->domain + "'" +
                       AtLine(h->path) + ", not '" + d.realm + "'");
    }
  }
}

void Checker::CheckTrusts() {
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < s_.trusts.size(); ++i) {
    const TrustSpec& t = s_.trusts[i];
    const std::string& path = src_.trusts[i];
    std::optional<size_t> a, b;
    if (!t.trusting.empty()) a = ResolveRealm(t.trusting, LazyPath(path, "trusting"), false);
    if (!t.trusted.empty()) b = ResolveRealm(t.trusted, LazyPath(path, "trusted"), false);
    if (!a || !b) continue;
    if (*a == *b) {
      Report(path, "domain '" + t.trusting + "' cannot trust itself");
      continue;
    }
    std::pair<std::string, std::string> key =
        std::minmax(Lower(realms_[*a].name), Lower(realms_[*b].name));
    if (!seen.insert(key).second) {
      Report(path,
             "a trust between '" + t.trusting + "' and '" + t.trusted + "' is already declared");
    }
  }
}

void Checker::CheckHosts() {
  for (size_t i = 0; i < s_.hosts.size(); ++i) {
    const HostSpec& h = s_.hosts[i];
    if (!h.domain.empty()) ResolveRealm(h.domain, LazyPath(src_.hosts[i], "domain"), false);
  }
}

void Checker::CheckAccounts() {
  // Lower-case SPN -> the account that registers it first, and the SPN's index there.
  std::unordered_map<std::string, std::pair<size_t, size_t>> spns;
  for (size_t i = 0; i < s_.accounts.size(); ++i) {
    const AccountSpec& a = s_.accounts[i];
    const std::string& path = src_.accounts[i];
    std::optional<size_t> r;
    if (!a.domain.empty()) r = ResolveRealm(a.domain, LazyPath(path, "domain"), true);
    if (r && realms_[*r].workgroup) {
      // A local account lives in a host's SAM: none of the directory's delegation data.
      std::vector<std::string_view> ad_only;
      if (!a.spns.empty()) ad_only.push_back("spns");
      if (a.trusted_for_delegation) ad_only.push_back("trusted_for_delegation");
      if (a.trusted_to_auth_for_delegation) ad_only.push_back("trusted_to_auth_for_delegation");
      if (!a.allowed_to_delegate_to.empty()) ad_only.push_back("allowed_to_delegate_to");
      if (!a.allowed_to_act.empty()) ad_only.push_back("allowed_to_act_on_behalf_of");
      if (!ad_only.empty()) {
        Report(path, "'" + a.name + "' is a local account of workgroup host '" + a.domain + "'; " +
                         Join(ad_only) + " exist only in a domain");
      }
    }
    for (size_t j = 0; j < a.spns.size(); ++j) {
      auto [it, fresh] = spns.emplace(Lower(a.spns[j]), std::make_pair(i, j));
      if (!fresh) {
        const auto [first, k] = it->second;
        Report(Index(Member(path, "spns"), j),
               "SPN '" + a.spns[j] + "' is already registered on account '" +
                   s_.accounts[first].name + "'" +
                   AtLine(Index(Member(src_.accounts[first], "spns"), k)));
      }
    }
    for (size_t j = 0; j < a.member_of.size(); ++j) {
      ResolvePrincipal(a.member_of[j], LazyPath(LazyPath(path, "member_of"), j), Want::kGroup);
    }
    for (size_t j = 0; j < a.allowed_to_act.size(); ++j) {
      ResolvePrincipal(a.allowed_to_act[j],
                       LazyPath(LazyPath(path, "allowed_to_act_on_behalf_of"), j), Want::kAny);
    }
    for (size_t j = 0; j < a.allowed_to_authenticate.size(); ++j) {
      ResolvePrincipal(a.allowed_to_authenticate[j],
                       LazyPath(LazyPath(path, "allowed_to_authenticate"), j), Want::kAny);
    }
  }
}

void Checker::CheckGroups() {
  for (size_t i = 0; i < s_.groups.size(); ++i) {
    const GroupSpec& g = s_.groups[i];
    const std::string& path = src_.groups[i];
    if (!g.domain.empty()) ResolveRealm(g.domain, LazyPath(path, "domain"), true);
    for (size_t j = 0; j < g.members.size(); ++j) {
      ResolvePrincipal(g.members[j], LazyPath(LazyPath(path, "members"), j), Want::kAny);
    }
  }
}

}  // namespace delegsim::sim::loader_internal
