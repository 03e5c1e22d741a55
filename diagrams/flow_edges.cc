#include "diagrams/flow_edges.h"

#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "kdc/directory.h"

namespace delegsim::diagrams {

void AddFlows(const sim::Scenario& s, const std::vector<FlowEdgeSpec>& flows, DelegationGraph& g) {
  if (flows.empty()) return;
  std::unordered_map<std::string, std::string> service_node;
  for (size_t i = 0; i < s.services.size(); ++i) {
    service_node.emplace(s.services[i].name, "s" + std::to_string(i));
  }
  std::unordered_map<std::string, int> node_index;
  for (size_t i = 0; i < g.nodes.size(); ++i) node_index.emplace(g.nodes[i].id, i);
  // Accounts by lower-case full name, with the cluster of their domain (or workgroup host).
  std::unordered_map<std::string, size_t> account_by_name;
  for (size_t i = 0; i < s.accounts.size(); ++i) {
    account_by_name.emplace(kdc::ToLower(s.accounts[i].name + "@" + s.accounts[i].domain), i);
  }
  auto cluster_of = [&](const std::string& domain) {
    std::string want = kdc::ToLower(domain);
    for (size_t i = 0; i < g.clusters.size(); ++i) {
      std::string label = kdc::ToLower(g.clusters[i].label);
      if (label == "domain " + want || label.rfind("domain " + want + " (", 0) == 0 ||
          label == "host " + want + " (workgroup)") {
        return static_cast<int>(i);
      }
    }
    return -1;
  };
  std::unordered_map<std::string, std::string> identity_node;  // lower-case name -> node id
  auto node_for_identity = [&](const std::string& identity) -> std::string {
    std::string key = kdc::ToLower(identity);
    if (auto it = identity_node.find(key); it != identity_node.end()) return it->second;
    std::string id;
    auto account = account_by_name.find(key);
    if (account != account_by_name.end()) {
      id = "a" + std::to_string(account->second);
      if (!node_index.count(id)) {
        const sim::AccountSpec& a = s.accounts[account->second];
        node_index.emplace(id, g.nodes.size());
        g.nodes.push_back(
            {id, a.name + "\nidentity", NodeKind::kAccount, cluster_of(a.domain), false});
      }
    } else {
      id = "fi" + std::to_string(identity_node.size());
      node_index.emplace(id, g.nodes.size());
      g.nodes.push_back({id, identity + "\nidentity", NodeKind::kAccount, -1, false});
    }
    identity_node.emplace(key, id);
    return id;
  };
  // One edge per (from, to), a line per distinct flow: Graphviz routes parallel labelled
  // edges between clustered nodes badly ("triangulation failed"), and one label reads better.
  std::map<std::pair<std::string, std::string>, size_t> edge_of;
  std::set<std::tuple<std::string, std::string, std::string>> drawn;
  for (const FlowEdgeSpec& f : flows) {
    if (f.chain.empty()) continue;
    auto to = service_node.find(f.chain.back());
    if (to == service_node.end()) continue;
    std::string from;
    if (f.chain.size() >= 2) {
      auto prev = service_node.find(f.chain[f.chain.size() - 2]);
      if (prev == service_node.end()) continue;
      from = prev->second;
    } else {
      from = node_for_identity(f.identity);
    }
    std::string line = f.identity + " · " + f.mechanism;
    if (!f.via.empty()) line += " (keys of " + f.via + ")";
    std::string rules;
    for (const std::string& r : f.rules) rules += (rules.empty() ? "" : ", ") + r;
    if (!rules.empty()) line += " [" + rules + "]";
    if (!drawn.emplace(from, to->second, line).second) continue;
    auto [it, inserted] = edge_of.emplace(std::make_pair(from, to->second), g.edges.size());
    if (inserted) {
      g.edges.push_back({from, to->second, EdgeKind::kFlow, line});
    } else {
      g.edges[it->second].label += "\n" + line;
    }
  }
}

}  // namespace delegsim::diagrams
