#include "analysis/identity_classes.h"

#include <map>
#include <string>
#include <tuple>

namespace delegsim::analysis {
namespace {

// Principals and groups some rule input names about the identity: allowed-to-
// authenticate (XR-3), ACL entries and owners (TK-11, TK-1), and the users of LogonUser,
// S4U logons and on_behalf_of calls in the steps. (A service account is compared with the
// identity only by the hops it runs (TK-8); the prober simulates such chains for the
// account itself.)
void CollectOps(const kdc::Directory& dir,
                const google::protobuf::RepeatedPtrField<v1::Operation>& ops,
                std::vector<bool>& named) {
  auto mark = [&](const std::string& name) {
    if (std::optional<PrincipalId> id = dir.Find(name)) named[*id] = true;
  };
  for (const v1::Operation& op : ops) {
    switch (op.op_case()) {
      case v1::Operation::kCall:
        if (!op.call().on_behalf_of().empty()) mark(op.call().on_behalf_of());
        CollectOps(dir, op.call().ops(), named);
        break;
      case v1::Operation::kLogonUser:
        mark(op.logon_user().user());
        CollectOps(dir, op.logon_user().ops(), named);
        break;
      case v1::Operation::kS4ULogon:
        mark(op.s4u_logon().user());
        break;
      case v1::Operation::kKdcRequest:
        if (op.kdc_request().kind() == v1::KDC_REQUEST_S4U2SELF) mark(op.kdc_request().target());
        break;
      case v1::Operation::kCreateProcess:
        CollectOps(dir, op.create_process().ops(), named);
        break;
      case v1::Operation::kCreateProcessAsUser:
        CollectOps(dir, op.create_process_as_user().ops(), named);
        break;
      default:
        break;
    }
  }
}

}  // namespace

IdentityClasses::IdentityClasses(const kdc::Directory& dir, const sim::Scenario& scenario) {
  size_t n = dir.principal_count() + 1;
  std::vector<bool> named(n, false);
  auto mark_all = [&](const std::vector<PrincipalId>& ids) {
    for (PrincipalId id : ids) named[id] = true;
  };
  for (PrincipalId id = 1; id < n; ++id) {
    const kdc::Principal& p = dir.Get(id);
    // (allowed_to_act is read for the requesting service, never for the identity (RB-1).)
    mark_all(p.allowed_to_authenticate);
  }
  for (const sim::ObjectSpec& o : scenario.objects) {
    if (std::optional<PrincipalId> id = dir.Find(o.owner)) named[*id] = true;
    for (const sim::AceSpec& a : o.acl) {
      if (std::optional<PrincipalId> id = dir.Find(a.who)) named[*id] = true;
    }
  }
  for (const sim::StepSpec& step : scenario.steps) {
    if (!step.call.on_behalf_of().empty()) {
      if (std::optional<PrincipalId> id = dir.Find(step.call.on_behalf_of())) named[*id] = true;
    }
    CollectOps(dir, step.call.ops(), named);
  }

  // Key: kind, domain, uac, Protected Users, privileges, then either the principal itself
  // (when named) or the named groups it belongs to.
  using Key = std::tuple<kdc::PrincipalKind, kdc::DomainId, uint32_t, bool,
                         std::vector<std::string>, PrincipalId, std::vector<PrincipalId>>;
  std::map<Key, ClassId> index;
  class_of_.assign(n, kNone);
  for (PrincipalId id = 1; id < n; ++id) {
    const kdc::Principal& p = dir.Get(id);
    if (p.kind == kdc::PrincipalKind::kGroup || p.kind == kdc::PrincipalKind::kKrbtgt) continue;
    std::vector<PrincipalId> groups;
    for (PrincipalId g : p.groups) {
      if (named[g]) groups.push_back(g);
    }
    Key key{p.kind,           p.domain,     p.uac,
            p.protected_user, p.privileges, named[id] ? id : kdc::kNobody,
            std::move(groups)};
    auto [it, inserted] = index.emplace(std::move(key), static_cast<ClassId>(members_.size()));
    if (inserted) members_.emplace_back();
    class_of_[id] = it->second;
    members_[it->second].push_back(id);
  }
}

}  // namespace delegsim::analysis
