#include "analysis/opengraph.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "kdc/directory.h"

namespace delegsim::analysis {
namespace {

using Json = nlohmann::ordered_json;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void AddUnique(Json& array, const std::string& value) {
  for (const Json& v : array) {
    if (v == value) return;
  }
  array.push_back(value);
}

Json Ref(const std::string& id) { return {{"value", id}, {"match_by", "id"}}; }

// Nodes and edges in order of first appearance, each edge merged by (start, kind, end).
class Builder {
 public:
  explicit Builder(const Prober& p) : p_(p) {}

  std::string Principal(const std::string& full_name) {
    std::string id = Upper(full_name);
    if (node_index_.count(id)) return id;
    const kdc::Directory& dir = p_.directory();
    Json props = {{"name", id}, {"displayname", full_name}, {"objectid", id}};
    if (std::optional<kdc::PrincipalId> pid = dir.Find(full_name)) {
      const kdc::Principal& pr = dir.Get(*pid);
      props["principal_kind"] = std::string(kdc::PrincipalKindName(pr.kind));
      props["samaccountname"] = pr.name;
      props["domain"] = Upper(full_name.substr(full_name.find('@') + 1));
    }
    AddNode(id, "DSPrincipal", std::move(props));
    return id;
  }

  std::string Service(const std::string& name, const std::string& host_hint) {
    std::string id = "SERVICE:" + name;
    if (node_index_.count(id)) return id;
    const nodes::ServiceInfo* svc = p_.Service(name);
    std::string host = svc ? svc->host : host_hint;
    Json props = {{"name", Upper(name)}, {"displayname", name}, {"objectid", id}, {"host", host}};
    if (svc) {
      props["spn"] = svc->spn;
      if (svc->account != kdc::kNobody) props["runs_as"] = p_.directory().FullName(svc->account);
    }
    AddNode(id, "DSService", std::move(props));
    if (!host.empty()) {
      std::string host_id = "HOST:" + host;
      if (!node_index_.count(host_id)) {
        AddNode(host_id, "DSHost",
                {{"name", Upper(host)}, {"displayname", host}, {"objectid", host_id}});
      }
      Edge(id, "DSHostedOn", host_id);
    }
    return id;
  }

  // The edge (start, kind, end), created with empty properties on first use.
  Json& Edge(const std::string& start, const std::string& kind, const std::string& end) {
    std::string key = start + '\n' + kind + '\n' + end;
    auto [it, inserted] = edge_index_.emplace(key, edges_.size());
    if (inserted) {
      edges_.push_back({{"kind", kind},
                        {"start", Ref(start)},
                        {"end", Ref(end)},
                        {"properties", Json::object()}});
    }
    return edges_[it->second]["properties"];
  }

  std::string Document() {
    Json doc;
    doc["graph"] = {{"nodes", std::move(nodes_)}, {"edges", std::move(edges_)}};
    doc["metadata"] = {{"source_kind", "DelegSim"}};
    return doc.dump(2);
  }

 private:
  void AddNode(const std::string& id, const char* kind, Json props) {
    node_index_.emplace(id, nodes_.size());
    nodes_.push_back({{"id", id}, {"kinds", {kind}}, {"properties", std::move(props)}});
  }

  const Prober& p_;
  Json nodes_ = Json::array();
  Json edges_ = Json::array();
  std::map<std::string, size_t> node_index_;
  std::map<std::string, size_t> edge_index_;
};

}  // namespace

std::string OpenGraphEdgeKind(Mechanism m) {
  switch (m) {
    case Mechanism::kDirect:
      return "DSDirect";
    case Mechanism::kUnconstrained:
      return "DSUnconstrained";
    case Mechanism::kConstrained:
      return "DSConstrained";
    case Mechanism::kProtocolTransition:
      return "DSProtocolTransition";
    case Mechanism::kRbcd:
      return "DSRbcd";
    case Mechanism::kLocalSession:
      return "DSLocalSession";
    case Mechanism::kLogonUser:
      return "DSLogonUser";
  }
  return "DSDirect";
}

std::string RenderOpenGraph(const Prober& prober, const std::vector<Flow>& flows) {
  Builder b(prober);
  const kdc::Directory& dir = prober.directory();
  for (size_t i = 0; i < flows.size(); ++i) {
    const Flow& f = flows[i];
    std::string identity = b.Principal(f.identity);
    std::string service = b.Service(f.service, f.host);
    std::string mechanism(MechanismName(f.mechanism));
    Json& props = b.Edge(identity, OpenGraphEdgeKind(f.mechanism), service);
    if (props.empty()) {
      props["mechanism"] = mechanism;
      props["rules"] = Json::array();
      props["levels"] = Json::array();
      props["net_creds"] = Json::array();
      props["chain"] = f.chain;
      props["flow_numbers"] = Json::array();
      props["via"] = Json::array();
    }
    for (const std::string& r : f.rules) AddUnique(props["rules"], r);
    AddUnique(props["levels"], f.level);
    AddUnique(props["net_creds"], f.net_creds);
    props["flow_numbers"].push_back(i + 1);
    if (f.via.empty()) continue;
    std::optional<kdc::PrincipalId> holder = dir.Find(f.via);
    std::string holder_name = holder ? dir.FullName(*holder) : f.via;
    AddUnique(props["via"], holder_name);
    std::string holder_id = b.Principal(holder_name);
    if (holder_id == identity) continue;
    Json& acts = b.Edge(holder_id, "DSKeysActAs", identity);
    if (acts.empty()) {
      acts["services"] = Json::array();
      acts["mechanisms"] = Json::array();
    }
    AddUnique(acts["services"], f.service);
    AddUnique(acts["mechanisms"], mechanism);
  }
  return b.Document();
}

}  // namespace delegsim::analysis
