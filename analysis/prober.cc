#include "analysis/prober.h"

#include <algorithm>

#include "kdc/directory.h"
#include "nodes/token.h"
#include "sim/mechanism.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"

namespace delegsim::analysis {
namespace {

constexpr std::string_view kLabel = "reach";

// "workstation.corp-example": a host name no scenario uses (its dots are the realm's).
std::string WorkstationName(const std::string& realm, const sim::Scenario& s) {
  std::string name = "ws.reach." + kdc::ToLower(realm);
  auto taken = [&](const std::string& n) {
    return std::any_of(s.hosts.begin(), s.hosts.end(),
                       [&](const sim::HostSpec& h) { return h.name == n; });
  };
  while (taken(name)) name = "x" + name;
  return name;
}

// How a hop received its identity, as the simulator names it for `run`, `step` and the
// reports (sim/mechanism.h, from the hop's decision records): one classifier for all.
// A refused hop carried no identity; it is kept as kDirect (no flow lists it).
Mechanism MechanismOf(const v1::HopResult& hop) {
  std::string_view m = sim::HopMechanism(hop);
  for (Mechanism x :
       {Mechanism::kUnconstrained, Mechanism::kConstrained, Mechanism::kProtocolTransition,
        Mechanism::kRbcd, Mechanism::kLocalSession, Mechanism::kLogonUser}) {
    if (m == MechanismName(x)) return x;
  }
  return Mechanism::kDirect;
}

}  // namespace

std::string_view MechanismName(Mechanism m) {
  switch (m) {
    case Mechanism::kDirect:
      return "direct";
    case Mechanism::kUnconstrained:
      return "unconstrained";
    case Mechanism::kConstrained:
      return "constrained";
    case Mechanism::kProtocolTransition:
      return "protocol_transition";
    case Mechanism::kRbcd:
      return "rbcd";
    case Mechanism::kLocalSession:
      return "local_session";
    case Mechanism::kLogonUser:
      return "logon_user";
  }
  return "direct";
}

Prober::Prober(const sim::Scenario& scenario, bool service_classes)
    : scenario_(scenario), steps_(scenario.steps), use_service_classes_(service_classes) {
  scenario_.steps.clear();
  scenario_.expectations.clear();
  // A domain-joined workstation per domain: where the domain's users log on.
  std::vector<std::string> workstations;
  for (const sim::DomainSpec& d : scenario_.domains) {
    workstations.push_back(WorkstationName(d.realm, scenario_));
    scenario_.hosts.push_back({workstations.back(), d.realm});
  }
  StatusOr<std::unique_ptr<sim::World>> w =
      sim::World::Build(scenario_, std::make_unique<sim::VirtualRuntime>());
  if (!w.ok()) {
    status_ = w.status();
    return;
  }
  world_ = std::move(w).value();
  world_->KeepTrace(false);
  const kdc::Directory& dir = world_->directory();
  workstation_of_domain_.assign(dir.domains().size(), "");
  for (size_t i = 0; i < scenario_.domains.size(); ++i) {
    workstation_of_domain_[*dir.FindDomain(scenario_.domains[i].realm)] = workstations[i];
  }
  for (const kdc::Domain& d : dir.domains()) {
    if (d.workgroup) workstation_of_domain_[d.id] = d.realm;  // the host's own SAM
  }
  // The classes read the original scenario: its steps name LogonUser and S4U users.
  classes_ = std::make_unique<IdentityClasses>(dir, scenario);
  service_classes_ = std::make_unique<ServiceClasses>(dir, world_->topology(), scenario);

  const nodes::Topology& topo = world_->topology();
  size_t n = dir.principal_count() + 1;
  hosts_of_.resize(n);
  s4u_targets_.resize(n);
  auto add_host = [&](PrincipalId id, const std::string& host) {
    std::vector<std::string>& v = hosts_of_[id];
    if (std::find(v.begin(), v.end(), host) == v.end()) v.push_back(host);
  };
  for (const nodes::ServiceInfo& svc : topo.services()) {
    service_by_name_.emplace(svc.name, &svc);
    if (!svc.spn.empty()) service_by_spn_.emplace(kdc::ToLower(svc.spn), &svc);
    add_host(svc.account, svc.host);
  }
  for (const nodes::HostInfo& h : topo.hosts()) {
    if (std::optional<PrincipalId> c = ComputerAccount(h.name)) add_host(*c, h.name);
  }
  for (PrincipalId id = 1; id < n; ++id) {
    const kdc::Principal& target = dir.Get(id);
    for (PrincipalId listed : target.allowed_to_act) {
      for (const std::string& spn : target.spns) {
        rbcd_listed_[listed].push_back(kdc::ToLower(spn));
      }
    }
  }
}

std::optional<PrincipalId> Prober::ComputerAccount(const std::string& host) const {
  const kdc::Directory& dir = directory();
  for (const std::string& name : {host + "$", host}) {
    std::optional<PrincipalId> id = dir.Find(name);
    if (id && dir.Get(*id).kind == kdc::PrincipalKind::kComputer) return id;
  }
  return std::nullopt;
}

const nodes::ServiceInfo* Prober::Service(std::string_view name) const {
  auto it = service_by_name_.find(std::string(name));
  return it == service_by_name_.end() ? nullptr : it->second;
}

const std::vector<std::string>& Prober::HostsOf(PrincipalId account) const {
  return hosts_of_[account];
}

std::vector<PrincipalId> Prober::KeysOnHost(const std::string& host) const {
  std::vector<PrincipalId> out;
  for (const nodes::ServiceInfo& s : topology().services()) {
    if (s.host == host) out.push_back(s.account);
  }
  if (std::optional<PrincipalId> c = ComputerAccount(host)) out.push_back(*c);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const std::vector<const nodes::ServiceInfo*>& Prober::S4uTargets(PrincipalId account) {
  std::unique_ptr<std::vector<const nodes::ServiceInfo*>>& slot = s4u_targets_[account];
  if (slot) return *slot;
  const kdc::Directory& dir = directory();
  std::vector<std::string> spns;
  for (kdc::SpnId spn : dir.Get(account).a2d2) spns.push_back(dir.SpnName(spn));
  auto listed = [&](PrincipalId who) {
    auto it = rbcd_listed_.find(who);
    if (it != rbcd_listed_.end()) spns.insert(spns.end(), it->second.begin(), it->second.end());
  };
  listed(account);
  for (PrincipalId g : dir.Get(account).groups) listed(g);
  std::sort(spns.begin(), spns.end());
  spns.erase(std::unique(spns.begin(), spns.end()), spns.end());
  slot = std::make_unique<std::vector<const nodes::ServiceInfo*>>();
  for (const std::string& spn : spns) {
    auto it = service_by_spn_.find(spn);
    if (it != service_by_spn_.end()) slot->push_back(it->second);
  }
  // In topology order, so answers do not depend on SPN spelling.
  std::sort(slot->begin(), slot->end());
  return *slot;
}

const std::string& Prober::Workstation(PrincipalId id) const {
  return workstation_of_domain_[directory().Get(id).domain];
}

sim::StepSpec Prober::ToStep(const Chain& chain, const std::string& label) {
  sim::StepSpec step;
  step.kind = sim::StepSpec::Kind::kCall;
  step.label = label;
  step.user = chain.user;
  step.from_host = chain.from_host;
  // The most the design lets a caller ask: delegate, mutual authentication, Negotiate,
  // and going on at impersonate where delegation cannot be had (MA-2's ignore flag).
  auto fill = [](const HopPlan& plan, v1::CallSpec* call) {
    call->set_service(plan.service);
    call->set_transport(plan.transport);
    call->set_package(v1::PACKAGE_NEGOTIATE);
    call->set_level(v1::LEVEL_DELEGATE);
    call->set_mutual(true);
    call->set_ignore_delegate_failure(true);
    call->set_protocol_transition(plan.protocol_transition);
    call->set_on_behalf_of(plan.on_behalf_of);
  };
  fill(chain.hops[0], &step.call);
  v1::CallSpec* at = &step.call;
  for (size_t k = 1; k < chain.hops.size(); ++k) {
    const HopPlan& plan = chain.hops[k];
    google::protobuf::RepeatedPtrField<v1::Operation>* ops = at->mutable_ops();
    if (!plan.logon_user.empty()) {
      v1::LogonUserSpec* l = ops->Add()->mutable_logon_user();
      l->set_user(plan.logon_user);
      l->set_password(plan.password);
      ops = l->mutable_ops();
    }
    at = ops->Add()->mutable_call();
    fill(plan, at);
  }
  return step;
}

std::string Prober::Describe(const Chain& chain) {
  std::string out = chain.user + " on " + chain.from_host;
  for (const HopPlan& h : chain.hops) {
    out += " -> ";
    if (!h.logon_user.empty()) out += "[LogonUser " + h.logon_user + "] ";
    out += h.service;
    if (h.protocol_transition) {
      out +=
          " (protocol transition" + (h.on_behalf_of.empty() ? "" : " for " + h.on_behalf_of) + ")";
    }
    if (h.transport != v1::TRANSPORT_NCACN_IP_TCP) {
      out += " [" + std::string(nodes::TransportName(h.transport)) + "]";
    }
  }
  return out;
}

void Prober::AddPrincipalReads(const std::string& name, Reads* reads) const {
  const kdc::Directory& dir = directory();
  std::optional<PrincipalId> id = dir.Find(name);
  if (!id) {
    reads->principals.push_back(name);
    return;
  }
  reads->principals.push_back(dir.FullName(*id));
  reads->realms.push_back(dir.GetDomain(dir.Get(*id).domain).realm);
}

void Prober::AddHostReads(const std::string& host, Reads* reads) const {
  reads->hosts.push_back(host);
  if (const nodes::HostInfo* h = topology().FindHost(host); h && h->domain != kdc::kNoDomain) {
    reads->realms.push_back(directory().GetDomain(h->domain).realm);
  }
  if (std::optional<PrincipalId> c = ComputerAccount(host)) {
    AddPrincipalReads(directory().FullName(*c), reads);
  }
}

// Everything a chain's decisions are made from, as far as it can differ between two
// versions of a directory: the caller and every identity the chain names (their flags,
// groups and delegation settings), each hop's service (its account, SPN, transports,
// privileges and S4U2proxy targets) and host (and its computer account), and the realms
// involved (trusts are read only between two of them). What every chain reads alike
// (options, domains, objects, faults, steps) is compared as a whole by the caller.
Prober::Reads Prober::ReadsOf(const Chain& chain) const {
  Reads reads;
  AddPrincipalReads(chain.user, &reads);
  AddHostReads(chain.from_host, &reads);
  for (const HopPlan& h : chain.hops) {
    if (!h.on_behalf_of.empty()) AddPrincipalReads(h.on_behalf_of, &reads);
    if (!h.logon_user.empty()) AddPrincipalReads(h.logon_user, &reads);
    reads.services.push_back(h.service);
    if (const nodes::ServiceInfo* s = Service(h.service)) {
      AddHostReads(s->host, &reads);
      if (s->account != kdc::kNobody) AddPrincipalReads(directory().FullName(s->account), &reads);
    }
  }
  std::sort(reads.realms.begin(), reads.realms.end());
  reads.realms.erase(std::unique(reads.realms.begin(), reads.realms.end()), reads.realms.end());
  return reads;
}

size_t Prober::AdoptAnswers(const Prober& before,
                            const std::function<bool(const Reads&)>& unaffected) {
  size_t adopted = 0;
  for (const auto& [key, answer] : before.memo_) {
    if (!unaffected(answer.reads)) continue;
    adopted += memo_.emplace(key, answer).second ? 1 : 0;
  }
  return adopted;
}

ServiceClasses::View Prober::ViewOf(const Chain& chain, size_t except_hop) const {
  const kdc::Directory& dir = directory();
  ServiceClasses::View view;
  view.hosts.push_back(chain.from_host);
  auto add = [&](const std::string& name) {
    if (name.empty()) return;
    if (std::optional<PrincipalId> id = dir.Find(name)) view.accounts.push_back(*id);
  };
  add(chain.user);
  for (size_t k = 0; k < chain.hops.size(); ++k) {
    const HopPlan& h = chain.hops[k];
    add(h.on_behalf_of);
    add(h.logon_user);
    if (k == except_hop) continue;
    if (const nodes::ServiceInfo* s = Service(h.service)) {
      view.hosts.push_back(s->host);
      view.accounts.push_back(s->account);
    }
  }
  return view;
}

void Prober::UseStandIns(Chain* chain) const {
  const std::vector<nodes::ServiceInfo>& services = topology().services();
  for (size_t k = 0; k < chain->hops.size(); ++k) {
    const nodes::ServiceInfo* s = Service(chain->hops[k].service);
    if (!s) continue;
    const size_t stand_in = service_classes_->StandIn(ViewOf(*chain, k), IndexOf(*s));
    chain->hops[k].service = services[stand_in].name;
  }
}

std::vector<HopOutcome> Prober::Run(const Chain& chain) {
  ++answered_;
  const kdc::Directory& dir = directory();
  // Simulate the chain for the representatives of the user's (and on_behalf_of's) class.
  std::vector<std::pair<std::string, std::string>> renames;  // representative -> member
  // The services replaced by stand-ins the chain cannot tell apart (their answers are the
  // same; no outcome names a service).
  Chain sim = chain;
  if (use_service_classes_) UseStandIns(&sim);
  // Accounts that run a hop of this chain, or call it: an identity equal to one of them is
  // compared with it (TK-8), so it stands for no one but itself.
  std::vector<PrincipalId> on_chain;
  for (const HopPlan& h : sim.hops) {
    if (const nodes::ServiceInfo* s = Service(h.service)) {
      on_chain.push_back(s->account);
    }
  }
  std::optional<PrincipalId> caller = dir.Find(chain.user);
  auto rep_of = [&](const std::string& name, bool acting_for_caller) -> std::string {
    std::optional<PrincipalId> id = dir.Find(name);
    if (!id || !classes_->HasClass(*id)) return name;
    PrincipalId rep = classes_->Representative(classes_->Of(*id));
    auto compared = [&](PrincipalId p) {
      return std::find(on_chain.begin(), on_chain.end(), p) != on_chain.end() ||
             (acting_for_caller && caller && p == *caller);
    };
    if (compared(*id) || compared(rep)) return name;
    if (rep != *id) renames.emplace_back(dir.FullName(rep), dir.FullName(*id));
    return dir.FullName(rep);
  };
  // A session that acts for someone else (S4U2self) uses its own account's delegation
  // settings, which no class shares: only a plain caller stands for its class.
  bool acts_for_others = !chain.hops.empty() && !chain.hops[0].on_behalf_of.empty();
  if (!acts_for_others) sim.user = rep_of(chain.user, false);
  std::string key = sim.user + "|" + sim.from_host;
  for (HopPlan& h : sim.hops) {
    if (!h.on_behalf_of.empty()) h.on_behalf_of = rep_of(h.on_behalf_of, true);
    key += "|" + h.service + "," + std::to_string(h.transport) + "," +
           (h.protocol_transition ? "pt" : "") + "," + h.on_behalf_of + "," + h.logon_user;
  }
  auto found = memo_.find(key);
  std::vector<HopOutcome>* outcomes;
  if (found != memo_.end()) {
    outcomes = &found->second.hops;
  } else {
    std::vector<HopOutcome> hops;
    StatusOr<sim::CallOutcome> run = world_->RunCall(ToStep(sim, std::string(kLabel)));
    ++simulated_;
    if (!run.ok() || !run->status.ok()) {
      failure_ = run.ok() ? run->status.ToString() : run.status().ToString();
      return {};
    }
    const v1::HopResult* hop = &run->result;
    for (size_t k = 0; k < sim.hops.size() && hop && !hop->path().empty(); ++k) {
      HopOutcome o;
      o.allowed = hop->verdict() == "allowed";
      o.identity = hop->identity();
      o.level = o.allowed ? sim::HopLevel(*hop) : "none";
      o.net_creds = o.allowed ? hop->net_creds() : "none";
      o.decided_by = hop->decision().rule();
      o.error = hop->decision().error();
      o.rules = sim::HopRules(*hop);
      o.mechanism = MechanismOf(*hop);
      hops.push_back(std::move(o));
      ++hops_simulated_;
      if (!hops.back().allowed || k + 1 == sim.hops.size()) break;
      const v1::HopResult* next = nullptr;
      for (const v1::HopResult& c : hop->children()) {
        if (c.service() == sim.hops[k + 1].service) next = &c;
      }
      hop = next;
    }
    Answer& answer = memo_[std::move(key)];
    answer.hops = std::move(hops);
    answer.reads = ReadsOf(sim);
    outcomes = &answer.hops;
  }
  if (renames.empty()) return *outcomes;
  // The same answer in the member's own names.
  std::vector<HopOutcome> renamed = *outcomes;
  for (HopOutcome& o : renamed) {
    for (const auto& [from, to] : renames) {
      if (o.identity == from) o.identity = to;
    }
  }
  return renamed;
}

}  // namespace delegsim::analysis
