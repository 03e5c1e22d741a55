#include "analysis/service_classes.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace delegsim::analysis {
namespace {

// Every string a step's call tree holds (service and user names, SPNs, passwords, object
// names), lower-cased, found by reflection so that a field added to the format is not
// missed.
void CollectStrings(const google::protobuf::Message& m, std::unordered_set<std::string>& out) {
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    using FD = google::protobuf::FieldDescriptor;
    if (f->cpp_type() == FD::CPPTYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          out.insert(kdc::ToLower(r->GetRepeatedString(m, f, i)));
        }
      } else {
        out.insert(kdc::ToLower(r->GetString(m, f)));
      }
    } else if (f->cpp_type() == FD::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          CollectStrings(r->GetRepeatedMessage(m, f, i), out);
        }
      } else {
        CollectStrings(r->GetMessage(m, f), out);
      }
    }
  }
}

}  // namespace

ServiceClasses::ServiceClasses(const kdc::Directory& dir, const nodes::Topology& topology,
                               const sim::Scenario& scenario) {
  const std::vector<nodes::ServiceInfo>& services = topology.services();
  const size_t n = dir.principal_count() + 1;

  // Accounts some rule input names directly, and the SPNs someone's A2D2 names.
  std::vector<bool> named(n, false);
  std::unordered_set<kdc::SpnId> a2d2_targets;
  for (PrincipalId id = 1; id < n; ++id) {
    const kdc::Principal& p = dir.Get(id);
    for (PrincipalId listed : p.allowed_to_act) named[listed] = true;
    for (PrincipalId listed : p.allowed_to_authenticate) named[listed] = true;
    a2d2_targets.insert(p.a2d2.begin(), p.a2d2.end());
  }
  for (const sim::ObjectSpec& o : scenario.objects) {
    if (std::optional<PrincipalId> id = dir.Find(o.owner)) named[*id] = true;
    for (const sim::AceSpec& a : o.acl) {
      if (std::optional<PrincipalId> id = dir.Find(a.who)) named[*id] = true;
    }
  }
  std::unordered_set<std::string> in_steps;
  for (const sim::StepSpec& step : scenario.steps) {
    in_steps.insert(kdc::ToLower(step.user));
    in_steps.insert(kdc::ToLower(step.from_host));
    CollectStrings(step.call, in_steps);
  }
  // Hosts a fault names, and domain controllers' hosts.
  std::unordered_set<std::string> special_hosts;
  for (const sim::FaultSpec& f : scenario.faults) {
    for (const std::string* h : {&f.host, &f.from, &f.to}) special_hosts.insert(*h);
  }
  for (const sim::DomainSpec& d : scenario.domains) special_hosts.insert(d.dc_host);
  std::unordered_map<PrincipalId, int> services_of_account;
  for (const nodes::ServiceInfo& s : services) ++services_of_account[s.account];

  auto stands_alone = [&](const nodes::ServiceInfo& s) {
    if (s.account == kdc::kNobody || named[s.account]) return true;
    if (services_of_account[s.account] > 1 || special_hosts.count(s.host)) return true;
    const kdc::Principal& a = dir.Get(s.account);
    if (!a.a2d2.empty() || !a.allowed_to_act.empty() || !a.allowed_to_authenticate.empty() ||
        !a.password.empty()) {
      return true;
    }
    for (const std::string& spn : a.spns) {
      std::optional<kdc::SpnId> id = dir.FindSpn(spn);
      if (id && a2d2_targets.count(*id)) return true;
    }
    std::optional<kdc::SpnId> own = s.spn.empty() ? std::nullopt : dir.FindSpn(s.spn);
    if (own && a2d2_targets.count(*own)) return true;
    for (const std::string* name : {&s.name, &s.host, &s.spn, &a.name, &a.full_name}) {
      if (in_steps.count(kdc::ToLower(*name))) return true;
    }
    for (const std::string& spn : a.spns) {
      if (in_steps.count(kdc::ToLower(spn))) return true;
    }
    return false;
  };

  // Key: the host's domain, the service's transports, privileges and whether it has an
  // SPN, then the account's kind, domain, uac, Protected Users, privileges and groups; a
  // service that stands alone keys on its own index.
  using Key = std::tuple<size_t, kdc::DomainId, bool, std::vector<v1::Transport>,
                         std::vector<std::string>, bool, kdc::PrincipalKind, kdc::DomainId,
                         uint32_t, bool, std::vector<std::string>, std::vector<PrincipalId>>;
  std::unordered_map<std::string, const nodes::HostInfo*> host_by_name;
  for (const nodes::HostInfo& h : topology.hosts()) host_by_name.emplace(h.name, &h);
  std::map<Key, ServiceClassId> index;
  class_of_.assign(services.size(), 0);
  for (size_t i = 0; i < services.size(); ++i) {
    const nodes::ServiceInfo& s = services[i];
    Key key;
    if (stands_alone(s)) {
      std::get<0>(key) = i + 1;
    } else {
      const kdc::Principal& a = dir.Get(s.account);
      auto host = host_by_name.find(s.host);
      const bool known_host = host != host_by_name.end();
      key = Key{0,
                known_host ? host->second->domain : kdc::kNoDomain,
                known_host && host->second->workgroup,
                s.transports,
                s.privileges,
                s.spn.empty(),
                a.kind,
                a.domain,
                a.uac,
                a.protected_user,
                a.privileges,
                a.groups};
    }
    auto [it, inserted] =
        index.emplace(std::move(key), static_cast<ServiceClassId>(members_.size()));
    if (inserted) members_.emplace_back();
    class_of_[i] = it->second;
    members_[it->second].push_back(i);
  }
}

}  // namespace delegsim::analysis
