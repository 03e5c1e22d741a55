#include "analysis/report.h"

#include <map>
#include <nlohmann/json.hpp>

#include "nodes/token.h"

namespace delegsim::analysis {
namespace {

using Json = nlohmann::ordered_json;

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

Json ChainJson(const Chain& c) {
  Json hops = Json::array();
  for (const HopPlan& h : c.hops) {
    Json j = {{"service", h.service}, {"transport", nodes::TransportName(h.transport)}};
    if (h.protocol_transition) j["protocol_transition"] = true;
    if (!h.on_behalf_of.empty()) j["on_behalf_of"] = h.on_behalf_of;
    if (!h.logon_user.empty()) j["logon_user"] = h.logon_user;
    hops.push_back(std::move(j));
  }
  return {{"user", c.user}, {"from", c.from_host}, {"hops", std::move(hops)}};
}

// The call options of one hop as the scenario format writes them.
void WriteCall(const HopPlan& h, Json& out) {
  out["call"] = h.service;
  out["transport"] = nodes::TransportName(h.transport);
  out["package"] = "negotiate";
  out["level"] = "delegate";
  out["mutual"] = true;
  out["ignore_delegate_failure"] = true;
  if (h.protocol_transition) out["protocol_transition"] = true;
  if (!h.on_behalf_of.empty()) out["on_behalf_of"] = h.on_behalf_of;
}

}  // namespace

std::string RenderFlowsText(const std::string& title, const std::vector<Flow>& flows) {
  std::string out = title + "\n";
  if (flows.empty()) return out + "\n  no flows\n";
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_target;
  for (size_t i = 0; i < flows.size(); ++i) {
    by_target[{flows[i].service, flows[i].host}].push_back(i);
  }
  for (const auto& [target, rows] : by_target) {
    out += "\n" + target.first + " on " + target.second + "\n";
    for (size_t i : rows) {
      const Flow& f = flows[i];
      out += "  #" + std::to_string(i + 1) + "  " + f.identity + " · " + f.level +
             " · net_creds=" + f.net_creds + " · " + std::string(MechanismName(f.mechanism));
      if (!f.via.empty()) out += " · keys of " + f.via;
      out += "\n      chain: " + Prober::Describe(f.replay) + "\n";
      out += "      rules: " + Join(f.rules, ", ") + "\n";
    }
  }
  out += "\n" + std::to_string(flows.size()) + " flow" + (flows.size() == 1 ? "" : "s") + " to " +
         std::to_string(by_target.size()) + " service" + (by_target.size() == 1 ? "" : "s") +
         "; replay one with --emit-scenario N -o FILE\n";
  return out;
}

std::string RenderFlowsJson(const std::vector<Flow>& flows) {
  Json arr = Json::array();
  for (const Flow& f : flows) {
    Json j = {{"identity", f.identity},   {"service", f.service},
              {"host", f.host},           {"level", f.level},
              {"net_creds", f.net_creds}, {"mechanism", MechanismName(f.mechanism)},
              {"chain", f.chain},         {"rules", f.rules}};
    if (!f.via.empty()) j["via"] = f.via;
    j["replay"] = ChainJson(f.replay);
    arr.push_back(std::move(j));
  }
  return Json{{"flows", std::move(arr)}}.dump(2) + "\n";
}

std::string RenderExposuresText(const std::vector<Exposure>& rows) {
  std::string out = "blast radius: what each account's keys expose, largest first\n\n";
  for (const Exposure& e : rows) {
    out += "  " + std::to_string(e.identities) + " identit" + (e.identities == 1 ? "y" : "ies") +
           " at " + std::to_string(e.services) + " service" + (e.services == 1 ? "" : "s") + "  " +
           e.account;
    if (!e.hosts.empty()) out += " (on " + Join(e.hosts, ", ") + ")";
    out += "\n";
    if (!e.privileged.empty()) out += "      privileged: " + Join(e.privileged, ", ") + "\n";
  }
  return out;
}

std::string RenderExposuresJson(const std::vector<Exposure>& rows) {
  Json arr = Json::array();
  for (const Exposure& e : rows) {
    arr.push_back({{"account", e.account},
                   {"hosts", e.hosts},
                   {"identities", e.identities},
                   {"privileged", e.privileged},
                   {"services", e.services}});
  }
  return Json{{"blast_radius", std::move(arr)}}.dump(2) + "\n";
}

std::string ReplayPath(const Flow& flow) {
  std::string path = "reach";
  for (const HopPlan& h : flow.replay.hops) path += "/" + h.service;
  return path;
}

StatusOr<std::string> EmitScenario(const std::string& original_text, const Prober& prober,
                                   const Flow& flow) {
  Json doc = Json::parse(original_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("the scenario file is not a JSON object");
  }
  const Chain& c = flow.replay;
  bool declared = false;
  for (const Json& h : doc.value("hosts", Json::array())) {
    if (h.is_object() && h.value("name", "") == c.from_host) declared = true;
  }
  if (!declared) {
    // The workstation the prober added for a domain's users.
    for (const sim::HostSpec& h : prober.scenario().hosts) {
      if (h.name == c.from_host) doc["hosts"].push_back({{"name", h.name}, {"domain", h.domain}});
    }
  }
  Json step = {{"name", "reach"}, {"user", c.user}, {"from", c.from_host}};
  WriteCall(c.hops[0], step);
  Json* at = &step;
  for (size_t k = 1; k < c.hops.size(); ++k) {
    const HopPlan& h = c.hops[k];
    Json call;
    WriteCall(h, call);
    Json* then = &(*at)["then"];
    if (!h.logon_user.empty()) {
      then->push_back({{"logon_user", h.logon_user}, {"password", h.password}, {"then", {}}});
      then = &then->back()["then"];
    }
    then->push_back(std::move(call));
    at = &then->back();
  }
  doc["description"] = "delegsim reach: " + flow.identity + " arrives at " + flow.service + " (" +
                       std::string(MechanismName(flow.mechanism)) + ")";
  doc["steps"] = Json::array({std::move(step)});
  doc["expect"] = Json::array({{{"path", ReplayPath(flow)},
                                {"verdict", "allowed"},
                                {"identity", flow.identity},
                                {"level", flow.level},
                                {"net_creds", flow.net_creds}}});
  return doc.dump(2) + "\n";
}

}  // namespace delegsim::analysis
