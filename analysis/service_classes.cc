#include "analysis/service_classes.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>
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

// "app/host5.corp.example" -> "*/.corp.example": the realm suffix, which a KDC may read;
// the service class matters only as "krbtgt" (the only one a rule reads), and the host name
// only identifies.
std::string SpnShape(const std::string& spn) {
  const std::string lower = kdc::ToLower(spn);
  const size_t slash = lower.find('/');
  if (slash == std::string::npos) return lower;
  const std::string service_class = lower.substr(0, slash) == "krbtgt" ? "krbtgt" : "*";
  const size_t dot = lower.find('.', slash);
  return service_class + "/" + (dot == std::string::npos ? "" : lower.substr(dot));
}

template <typename T>
std::vector<T> Sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

ServiceClasses::ServiceClasses(const kdc::Directory& dir, const nodes::Topology& topology,
                               const sim::Scenario& scenario)
    : dir_(dir), topology_(topology) {
  const std::vector<nodes::ServiceInfo>& services = topology.services();
  const size_t n = dir.principal_count() + 1;

  // Accounts a rule input outside any chain names (A2D2, RBCD and allowed-to-authenticate
  // entries relate an account to a chain's accounts: Distinguishes reads them).
  std::vector<bool> named(n, false);
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
    if (!a.password.empty()) return true;
    for (const std::string* name : {&s.name, &s.host, &s.spn, &a.name, &a.full_name}) {
      if (in_steps.count(kdc::ToLower(*name))) return true;
    }
    for (const std::string& spn : a.spns) {
      if (in_steps.count(kdc::ToLower(spn))) return true;
    }
    return false;
  };

  // Key: the host's domain, the service's transports, privileges and SPN shape, then the
  // account's kind, domain, uac, Protected Users, privileges, groups, SPN shapes, A2D2,
  // RBCD and allowed-to-authenticate lists; a service that stands alone keys on its own
  // index.
  using Key =
      std::tuple<size_t, kdc::DomainId, bool, std::vector<v1::Transport>, std::vector<std::string>,
                 std::string, kdc::PrincipalKind, kdc::DomainId, uint32_t, bool,
                 std::vector<std::string>, std::vector<PrincipalId>, std::vector<std::string>,
                 std::vector<kdc::SpnId>, std::vector<PrincipalId>, std::vector<PrincipalId>>;
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
      std::vector<std::string> spn_shapes;
      for (const std::string& spn : a.spns) spn_shapes.push_back(SpnShape(spn));
      key = Key{0,
                known_host ? host->second->domain : kdc::kNoDomain,
                known_host && host->second->workgroup,
                s.transports,
                s.privileges,
                s.spn.empty() ? std::string("-") : SpnShape(s.spn),
                a.kind,
                a.domain,
                a.uac,
                a.protected_user,
                a.privileges,
                a.groups,
                Sorted(spn_shapes),
                Sorted(a.a2d2),
                Sorted(a.allowed_to_act),
                Sorted(a.allowed_to_authenticate)};
    }
    auto [it, inserted] =
        index.emplace(std::move(key), static_cast<ServiceClassId>(members_.size()));
    if (inserted) members_.emplace_back();
    class_of_[i] = it->second;
    members_[it->second].push_back(i);
  }
}

bool ServiceClasses::Distinguishes(const View& view, size_t service) const {
  const nodes::ServiceInfo& t = topology_.services()[service];
  if (members_[class_of_[service]].size() == 1) return true;
  if (std::find(view.hosts.begin(), view.hosts.end(), t.host) != view.hosts.end()) return true;
  auto in_view = [&](PrincipalId id) {
    return std::find(view.accounts.begin(), view.accounts.end(), id) != view.accounts.end();
  };
  if (in_view(t.account)) return true;
  const kdc::Principal& a = dir_.Get(t.account);
  // Entries relating the service's account and the chain's accounts (or their groups),
  // in either direction.
  auto lists = [&](const std::vector<PrincipalId>& list, const kdc::Principal& who) {
    for (PrincipalId listed : list) {
      if (listed == who.id || std::binary_search(who.groups.begin(), who.groups.end(), listed)) {
        return true;
      }
    }
    return false;
  };
  for (PrincipalId id : view.accounts) {
    if (id == kdc::kNobody) continue;
    const kdc::Principal& other = dir_.Get(id);
    for (kdc::SpnId spn : other.a2d2) {
      if (dir_.SpnOwner(spn) == t.account) return true;
    }
    for (kdc::SpnId spn : a.a2d2) {
      if (dir_.SpnOwner(spn) == id) return true;
    }
    if (lists(a.allowed_to_act, other) || lists(other.allowed_to_act, a) ||
        lists(a.allowed_to_authenticate, other) || lists(other.allowed_to_authenticate, a)) {
      return true;
    }
  }
  return false;
}

size_t ServiceClasses::StandIn(const View& view, size_t service) const {
  if (Distinguishes(view, service)) return service;
  for (size_t m : members_[class_of_[service]]) {
    if (!Distinguishes(view, m)) return m;
  }
  return service;
}

}  // namespace delegsim::analysis
