#include "nodes/topology.h"

#include <array>

namespace delegsim::nodes {
namespace {
constexpr std::array<std::pair<const char*, uint32_t>, 7> kRights = {{
    {"read", rights::kRead},
    {"write", rights::kWrite},
    {"delete", rights::kDelete},
    {"read_control", rights::kReadControl},
    {"write_dac", rights::kWriteDac},
    {"execute", rights::kExecute},
    {"full", rights::kFull},
}};
}  // namespace

std::optional<uint32_t> ParseRight(std::string_view name) {
  for (const auto& [n, mask] : kRights) {
    if (name == n) return mask;
  }
  return std::nullopt;
}

std::string RightsNames(uint32_t mask) {
  if (mask == rights::kFull) return "full";
  std::string out;
  for (const auto& [n, bit] : kRights) {
    if (bit == rights::kFull || !(mask & bit)) continue;
    if (!out.empty()) out += ',';
    out += n;
  }
  return out.empty() ? "none" : out;
}

void Topology::AddObject(SecurableObject object) {
  auto key = std::make_pair(object.host, object.name);
  objects_[key] = std::move(object);
}

void Topology::AddHost(HostInfo host) {
  host_index_.emplace(host.name, hosts_.size());
  hosts_.push_back(std::move(host));
}

void Topology::AddService(ServiceInfo service) {
  service_index_.emplace(service.name, services_.size());
  services_.push_back(std::move(service));
}

const HostInfo* Topology::FindHost(std::string_view name) const {
  auto it = host_index_.find(name);
  return it == host_index_.end() ? nullptr : &hosts_[it->second];
}

const ServiceInfo* Topology::FindService(std::string_view name) const {
  auto it = service_index_.find(name);
  return it == service_index_.end() ? nullptr : &services_[it->second];
}

ServiceInfo* Topology::MutableService(std::string_view name) {
  auto it = service_index_.find(name);
  return it == service_index_.end() ? nullptr : &services_[it->second];
}

std::optional<NodeId> Topology::KdcNode(kdc::DomainId domain) const {
  auto it = kdc_nodes_.find(domain);
  if (it == kdc_nodes_.end()) return std::nullopt;
  return it->second;
}

SecurableObject* Topology::FindObject(std::string_view host, std::string_view name) {
  auto it = objects_.find(std::make_pair(std::string(host), std::string(name)));
  return it == objects_.end() ? nullptr : &it->second;
}

std::optional<kdc::DomainId> Topology::KerberosDomain(const HostInfo& host) const {
  if (host.workgroup || host.domain == kdc::kNoDomain) return std::nullopt;
  if (dir_.GetDomain(host.domain).workgroup) return std::nullopt;
  return host.domain;
}

}  // namespace delegsim::nodes
