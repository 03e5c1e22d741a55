#include "diagrams/delegation_graph.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "kdc/directory.h"
#include "kdc/trust_attribute_names.h"

namespace delegsim::diagrams {
namespace {

std::string Lower(std::string_view s) { return kdc::ToLower(s); }

std::string IdOf(std::string_view prefix, size_t index) {
  return std::string(prefix) + std::to_string(index);
}

// Finds accounts and groups by the names a scenario uses: "alice", "alice@CORP.EXAMPLE",
// "CORP\alice", "admin@kiosk" (docs/scenario-format.md, Conventions).
class PrincipalIndex {
 public:
  void Add(const std::string& name, const std::string& domain, const std::string& id) {
    std::string qualified = Lower(name) + "@" + Lower(domain);
    by_qualified_[qualified] = id;
    by_qualified_[Lower(domain.substr(0, domain.find('.'))) + "\\" + Lower(name)] = id;
    auto [it, inserted] = by_bare_.emplace(Lower(name), id);
    if (!inserted && it->second != id) it->second.clear();  // ambiguous
  }
  std::string Find(const std::string& ref) const {
    auto it = by_qualified_.find(Lower(ref));
    if (it != by_qualified_.end()) return it->second;
    auto bare = by_bare_.find(Lower(ref));
    return bare != by_bare_.end() ? bare->second : "";
  }

 private:
  std::unordered_map<std::string, std::string> by_qualified_;
  std::unordered_map<std::string, std::string> by_bare_;
};

// "http/web1.corp.example@CORP.EXAMPLE" -> "http/web1.corp.example" (AC-4 ignores realms
// and case).
std::string SpnKey(std::string_view spn) { return Lower(spn.substr(0, spn.find('@'))); }

std::string TrustLabel(const sim::TrustSpec& t) {
  std::string label = t.two_way ? "trust (two-way)" : "trusts";
  std::string attrs;
  for (const kdc::TrustAttributeName& a : kdc::kTrustAttributeNames) {
    if (!(t.attributes & a.bit)) continue;
    // The picture names cross_organization by what it does.
    std::string_view name =
        a.bit == kdc::trust_attr::kCrossOrganization ? kdc::kSelectiveAuthentication : a.name;
    attrs += (attrs.empty() ? "" : ", ") + std::string(name);
  }
  return attrs.empty() ? label : label + "\n" + attrs;
}

}  // namespace

DelegationGraph BuildDelegationGraph(const sim::Scenario& s) {
  DelegationGraph g;
  g.title = s.name;
  std::map<std::string, int> domain_cluster;  // lower-case realm or workgroup host
  std::map<std::string, int> host_cluster;
  std::map<std::string, std::string> domain_node;
  for (size_t i = 0; i < s.domains.size(); ++i) {
    const sim::DomainSpec& d = s.domains[i];
    domain_cluster[Lower(d.realm)] = static_cast<int>(g.clusters.size());
    std::string label = "domain " + d.realm;
    if (!d.forest.empty() && Lower(d.forest) != Lower(d.realm))
      label += " (forest " + d.forest + ")";
    g.clusters.push_back({IdOf("cluster_d", i), label, -1});
    std::string id = IdOf("d", i);
    domain_node[Lower(d.realm)] = id;
    g.nodes.push_back({id,
                       d.realm + "\nfunctional level " + std::to_string(d.functional_level) +
                           "\nKDC on " + d.dc_host,
                       NodeKind::kDomain, domain_cluster[Lower(d.realm)], false});
  }
  for (size_t i = 0; i < s.hosts.size(); ++i) {
    const sim::HostSpec& h = s.hosts[i];
    int parent = -1;
    if (!h.domain.empty()) {
      auto it = domain_cluster.find(Lower(h.domain));
      if (it != domain_cluster.end()) parent = it->second;
    }
    host_cluster[h.name] = static_cast<int>(g.clusters.size());
    g.clusters.push_back({IdOf("cluster_h", i),
                          "host " + h.name + (h.domain.empty() ? " (workgroup)" : ""), parent});
    if (h.domain.empty()) domain_cluster[Lower(h.name)] = host_cluster[h.name];
  }

  // Which accounts matter: those services run as, and those with a delegation setting.
  PrincipalIndex principals;
  for (size_t i = 0; i < s.accounts.size(); ++i) {
    principals.Add(s.accounts[i].name, s.accounts[i].domain, IdOf("a", i));
  }
  for (size_t i = 0; i < s.groups.size(); ++i) {
    principals.Add(s.groups[i].name, s.groups[i].domain, IdOf("g", i));
  }
  // Protected Users, nested membership expanded (the group that names them, PU-*).
  std::set<std::string> protected_ids;
  {
    std::unordered_map<std::string, std::vector<std::string>> members;  // group id -> ids
    for (size_t i = 0; i < s.groups.size(); ++i) {
      for (const std::string& m : s.groups[i].members) {
        members[IdOf("g", i)].push_back(principals.Find(m));
      }
    }
    for (size_t i = 0; i < s.accounts.size(); ++i) {
      for (const std::string& grp : s.accounts[i].member_of) {
        members[principals.Find(grp)].push_back(IdOf("a", i));
      }
    }
    std::deque<std::string> todo;
    for (size_t i = 0; i < s.groups.size(); ++i) {
      if (Lower(s.groups[i].name) == "protected users") todo.push_back(IdOf("g", i));
    }
    std::set<std::string> seen;
    while (!todo.empty()) {
      std::string id = todo.front();
      todo.pop_front();
      if (!seen.insert(id).second) continue;
      for (const std::string& m : members[id]) {
        if (m.empty()) continue;
        if (m[0] == 'a') protected_ids.insert(m);
        todo.push_back(m);
      }
    }
  }
  std::set<std::string> shown;
  std::set<std::string> groups_shown;
  for (const sim::ServiceSpec& svc : s.services) shown.insert(principals.Find(svc.account));
  for (size_t i = 0; i < s.accounts.size(); ++i) {
    const sim::AccountSpec& a = s.accounts[i];
    if (a.trusted_for_delegation || a.not_delegated || a.trusted_to_auth_for_delegation ||
        !a.allowed_to_delegate_to.empty() || !a.allowed_to_act.empty() ||
        protected_ids.count(IdOf("a", i))) {
      shown.insert(IdOf("a", i));
    }
    for (const std::string& who : a.allowed_to_act) {
      std::string id = principals.Find(who);
      if (!id.empty() && id[0] == 'a') shown.insert(id);
      if (!id.empty() && id[0] == 'g') groups_shown.insert(id);
    }
  }
  for (size_t i = 0; i < s.accounts.size(); ++i) {
    const sim::AccountSpec& a = s.accounts[i];
    std::string id = IdOf("a", i);
    if (!shown.count(id)) continue;
    static const char* kKinds[] = {"user", "computer", "service account"};
    std::string label = a.name + "\n" + kKinds[static_cast<int>(a.kind)];
    std::vector<std::string> marks;
    if (a.trusted_for_delegation) marks.push_back("TD: unconstrained");
    if (a.trusted_to_auth_for_delegation) marks.push_back("T2A4D: protocol transition");
    if (a.not_delegated) marks.push_back("sensitive (NOT_DELEGATED)");
    if (protected_ids.count(id)) marks.push_back("Protected Users");
    if (a.disabled) marks.push_back("disabled");
    for (const std::string& m : marks) label += "\n" + m;
    auto cluster = domain_cluster.find(Lower(a.domain));
    g.nodes.push_back({id, label, NodeKind::kAccount,
                       cluster == domain_cluster.end() ? -1 : cluster->second,
                       a.trusted_for_delegation || a.not_delegated || protected_ids.count(id)});
  }
  for (size_t i = 0; i < s.groups.size(); ++i) {
    std::string id = IdOf("g", i);
    if (!groups_shown.count(id)) continue;
    auto cluster = domain_cluster.find(Lower(s.groups[i].domain));
    g.nodes.push_back({id, s.groups[i].name + "\ngroup", NodeKind::kGroup,
                       cluster == domain_cluster.end() ? -1 : cluster->second, false});
  }

  // Services, and the SPNs they answer to.
  std::unordered_map<std::string, std::vector<std::string>> services_by_spn;
  for (size_t i = 0; i < s.services.size(); ++i) {
    const sim::ServiceSpec& svc = s.services[i];
    std::string id = IdOf("s", i);
    std::string spn = svc.spn;
    if (spn.empty()) {
      for (const sim::AccountSpec& a : s.accounts) {
        if (principals.Find(svc.account) == principals.Find(a.name + "@" + a.domain) &&
            !a.spns.empty()) {
          spn = a.spns.front();
          break;
        }
      }
    }
    if (!spn.empty()) services_by_spn[SpnKey(spn)].push_back(id);
    auto cluster = host_cluster.find(svc.host);
    g.nodes.push_back({id, svc.name + (spn.empty() ? "" : "\n" + spn), NodeKind::kService,
                       cluster == host_cluster.end() ? -1 : cluster->second, false});
    std::string account = principals.Find(svc.account);
    if (!account.empty()) g.edges.push_back({id, account, EdgeKind::kRunsAs, "runs as"});
  }

  // A host that runs no service (a client's workstation) still shows as itself.
  std::set<std::string> hosts_with_services;
  for (const sim::ServiceSpec& svc : s.services) hosts_with_services.insert(svc.host);
  for (size_t i = 0; i < s.hosts.size(); ++i) {
    const sim::HostSpec& h = s.hosts[i];
    if (!hosts_with_services.count(h.name)) {
      g.nodes.push_back(
          {IdOf("h", i), h.name + "\nno service", NodeKind::kHost, host_cluster[h.name], false});
    }
  }

  bool any_service = false;
  std::map<std::string, std::string> spn_nodes;  // unregistered A2D2 targets
  for (size_t i = 0; i < s.accounts.size(); ++i) {
    const sim::AccountSpec& a = s.accounts[i];
    std::string id = IdOf("a", i);
    if (a.trusted_for_delegation) {
      any_service = true;
      g.edges.push_back({id, "any_service", EdgeKind::kUnconstrained, "TD (unconstrained)"});
    }
    for (const std::string& spn : a.allowed_to_delegate_to) {
      EdgeKind kind =
          a.trusted_to_auth_for_delegation ? EdgeKind::kProtocolTransition : EdgeKind::kConstrained;
      std::string label = a.trusted_to_auth_for_delegation ? "A2D2 + T2A4D\n" + spn
                                                           : "A2D2 (Kerberos only)\n" + spn;
      auto it = services_by_spn.find(SpnKey(spn));
      if (it != services_by_spn.end()) {
        for (const std::string& target : it->second) g.edges.push_back({id, target, kind, label});
        continue;
      }
      auto [node, added] = spn_nodes.emplace(SpnKey(spn), IdOf("spn", spn_nodes.size()));
      if (added) {
        g.nodes.push_back({node->second, spn + "\n(no service)", NodeKind::kSpn, -1, false});
      }
      g.edges.push_back({id, node->second, kind, label});
    }
    for (const std::string& who : a.allowed_to_act) {
      std::string from = principals.Find(who);
      if (!from.empty()) {
        g.edges.push_back({from, id, EdgeKind::kResourceBased, "RBCD (allowed to act)"});
      }
    }
  }
  if (any_service) {
    g.nodes.push_back(
        {"any_service", "any service\n(forwarded TGT)", NodeKind::kAnyService, -1, false});
  }
  for (const sim::TrustSpec& t : s.trusts) {
    auto from = domain_node.find(Lower(t.trusting));
    auto to = domain_node.find(Lower(t.trusted));
    if (from == domain_node.end() || to == domain_node.end()) continue;
    g.edges.push_back({from->second, to->second,
                       t.two_way ? EdgeKind::kTrustTwoWay : EdgeKind::kTrust, TrustLabel(t)});
  }
  return g;
}

}  // namespace delegsim::diagrams
