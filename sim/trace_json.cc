#include "sim/trace_json.h"

#include <nlohmann/json.hpp>

#include "kdc/directory.h"
#include "nodes/envelope.h"
#include "sim/results.h"

namespace delegsim::sim {

std::string HostOfNode(const std::string& node, const Scenario& scenario) {
  size_t at = node.rfind('@');
  if (at != std::string::npos) return node.substr(at + 1);
  for (const ServiceSpec& s : scenario.services) {
    if (s.name == node) return s.host;
  }
  for (const DomainSpec& d : scenario.domains) {
    if (node == "kdc." + kdc::ToLower(d.realm)) return d.dc_host;
  }
  return node;
}

std::string TraceLineJsonForTools(nodes::TraceView r, World& world) {
  std::string line = TraceLineJson(r);
  if (!r.message()) return line;
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(line, nullptr, false);
  if (j.is_discarded()) return line;
  const v1::Envelope& env = *r.message();
  auto end = [&](uint32_t id, bool own) {
    std::string name = own       ? std::string(r.node())
                       : id == 0 ? ""
                                 : std::string(world.runtime().GetNode(id).name());
    nlohmann::ordered_json e;
    e["node"] = name;
    e["host"] = HostOfNode(name, world.scenario());
    return e;
  };
  bool sent = r.kind() == nodes::TraceKind::kSend;
  j["from"] = end(env.from(), sent);
  j["to"] = end(env.to(), !sent && r.kind() == nodes::TraceKind::kDeliver);
  j["message"] = nodes::BodyName(env);
  j["correlation"] = env.correlation();
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace delegsim::sim
