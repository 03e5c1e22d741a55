// Checks of services, objects, steps and calls (transports, packages and hosts that
// cannot meet), and of faults.
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

void Checker::CheckServices() {
  std::unordered_map<std::string, std::string> seen;
  for (size_t i = 0; i < s_.services.size(); ++i) {
    const ServiceSpec& svc = s_.services[i];
    const std::string& path = src_.services[i];
    auto [it, fresh] = seen.emplace(Lower(svc.name), path);
    if (!fresh) {
      Report(Member(path, "name"),
             "duplicate service '" + svc.name + "'" + FirstAt(Member(it->second, "name")));
    }
    service_index_.emplace(svc.name, i);
    const Host* h = svc.host.empty() ? nullptr : ResolveHost(svc.host, LazyPath(path, "host"));
    const Principal* p =
        svc.account.empty()
            ? nullptr
            : ResolvePrincipal(svc.account, LazyPath(path, "account"), Want::kAccount);
    // Unknown domains are reported where they are named; compare only known ones.
    if (!h || !p || p->realm == kNoRealm || (!h->domain.empty() && !FindRealm(h->domain))) {
      continue;
    }
    const Realm& realm = realms_[p->realm];
    if (h->domain.empty() && (!realm.workgroup || realm.name != h->name)) {
      Report(Member(path, "account"), "service '" + svc.name + "' on workgroup host '" + h->name +
                                          "' must run as a local account of '" + h->name + "'; '" +
                                          svc.account + "' is in '" + realm.name + "'");
    } else if (!h->domain.empty() && Lower(realm.name) != Lower(h->domain)) {
      Report(Member(path, "account"), "service '" + svc.name + "' on host '" + h->name +
                                          "' of domain '" + h->domain +
                                          "' must run as an account of that domain; '" +
                                          svc.account + "' is in '" + realm.name + "'");
    }
  }
}

void Checker::CheckObjects() {
  // host NUL lower-case name -> path (names hold no control characters: SafeText).
  std::unordered_map<std::string, std::string> seen;
  for (size_t i = 0; i < s_.objects.size(); ++i) {
    const ObjectSpec& o = s_.objects[i];
    const std::string& path = src_.objects[i];
    auto [it, fresh] = seen.emplace(o.host + '\0' + Lower(o.name), path);
    if (!fresh) {
      Report(Member(path, "name"), "duplicate object '" + o.name + "' on host '" + o.host + "'" +
                                       FirstAt(Member(it->second, "name")));
    }
    if (!o.host.empty()) ResolveHost(o.host, LazyPath(path, "host"));
    if (!o.owner.empty()) ResolvePrincipal(o.owner, LazyPath(path, "owner"), Want::kAny);
    for (size_t j = 0; j < o.acl.size(); ++j) {
      if (o.acl[j].who.empty()) continue;
      const LazyPath acl(path, "acl");
      const LazyPath ace(acl, j);
      ResolvePrincipal(o.acl[j].who, LazyPath(ace, o.acl[j].allow ? "allow" : "deny"), Want::kAny);
    }
  }
}

void Checker::CheckSteps() {
  std::unordered_map<std::string, std::string> seen;
  for (size_t i = 0; i < s_.steps.size(); ++i) {
    const StepSpec& step = s_.steps[i];
    if (step.kind != StepSpec::Kind::kCall) continue;
    const std::string& path = src_.steps[i];
    if (!step.label.empty()) {
      auto [it, fresh] = seen.emplace(Lower(step.label), path);
      if (!fresh) {
        Report(Member(path, "name"),
               "duplicate step name '" + step.label + "'" + FirstAt(Member(it->second, "name")));
      }
      step_names_.insert(step.label);
    }
    const Host* from =
        step.from_host.empty() ? nullptr : ResolveHost(step.from_host, LazyPath(path, "from"));
    const Principal* user =
        step.user.empty() ? nullptr
                          : ResolvePrincipal(step.user, LazyPath(path, "user"), Want::kAccount);
    if (!from || !user || user->realm == kNoRealm) continue;
    const Realm& realm = realms_[user->realm];
    if (realm.workgroup && realm.name != from->name) {
      Report(Member(path, "user"), "'" + step.user + "' is a local account of workgroup host '" +
                                       realm.name + "'; it cannot log on at '" + from->name + "'");
    }
  }
}

const Checker::Host* Checker::ServiceHost(const std::string& service) const {
  auto it = service_index_.find(service);
  return it == service_index_.end() ? nullptr : FindHost(s_.services[it->second].host);
}

void Checker::CheckCalls() {
  for (const CallSite& c : src_.calls) {
    const LazyPath service_path(c.path, "call");
    if (c.service.empty()) continue;
    if (!service_index_.count(c.service)) {
      std::string dym = Suggest(c.service, [&] {
        std::vector<Candidate> cands;
        for (const ServiceSpec& svc : s_.services) cands.push_back({svc.name, svc.name});
        return cands;
      });
      Report(service_path, "unknown service '" + c.service + "'" + dym);
      continue;
    }
    const Host* target = ServiceHost(c.service);
    const Host* caller = nullptr;
    std::string caller_desc;
    if (c.step) {
      caller = FindHost(s_.steps[*c.step].from_host);
      caller_desc = "caller host '" + s_.steps[*c.step].from_host + "'";
    } else {
      caller = ServiceHost(c.caller_service);
      caller_desc = "caller service '" + c.caller_service + "' runs on host '" +
                    (caller ? caller->name : "?") + "', which";
    }
    if (!target || !caller) continue;
    if (c.transport == v1::TRANSPORT_NCALRPC && caller->name != target->name) {
      Report(Member(c.path, "transport"), "ncalrpc is local RPC: " + caller_desc +
                                              " differs from host '" + target->name +
                                              "' of service '" + c.service + "'");
    }
    if (c.package == v1::PACKAGE_KERBEROS) {  // only when asked: the default is Negotiate
      if (caller->domain.empty()) {
        Report(Member(c.path, "package"), "Kerberos cannot be used from workgroup host '" +
                                              caller->name + "' (it has no domain)");
      } else if (target->domain.empty()) {
        Report(Member(c.path, "package"), "Kerberos cannot be used to reach service '" + c.service +
                                              "' on workgroup host '" + target->name +
                                              "' (it has no domain)");
      }
    }
  }
}

void Checker::CheckFaults() {
  for (size_t i = 0; i < s_.faults.size(); ++i) {
    const FaultSpec& f = s_.faults[i];
    const std::string& path = src_.faults[i];
    for (const char* field : {"host", "from", "to"}) {
      const std::string& name = field[0] == 'h' ? f.host : field[0] == 'f' ? f.from : f.to;
      if (!name.empty()) ResolveHost(name, LazyPath(path, field));
    }
    if (!f.domain.empty()) ResolveRealm(f.domain, LazyPath(path, "domain"), /*workgroups=*/false);
  }
}

}  // namespace delegsim::sim::loader_internal
