#include "analysis/prober.h"

#include <algorithm>

#include "kdc/directory.h"
#include "nodes/token.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"

namespace delegsim::analysis {
namespace {

constexpr std::string_view kLabel = "reach";

bool Named(const std::vector<std::string>& rules, std::string_view id) {
  return std::find(rules.begin(), rules.end(), id) != rules.end();
}

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

// How hop `k` received its identity, from the plan and what the hop before it held.
Mechanism MechanismOf(const Chain& chain, size_t k, const std::vector<HopOutcome>& before,
                      const std::vector<std::string>& rules) {
  const HopPlan& plan = chain.hops[k];
  if (!plan.logon_user.empty()) return Mechanism::kLogonUser;
  if (plan.protocol_transition) {
    return Named(rules, "RB-1") ? Mechanism::kRbcd : Mechanism::kProtocolTransition;
  }
  if (k == 0) return Mechanism::kDirect;
  const std::string& held = before[k - 1].net_creds;
  if (held == "tgt") return Mechanism::kUnconstrained;
  if (held == "own_session") {
    return before[k - 1].mechanism == Mechanism::kLogonUser ? Mechanism::kLogonUser
                                                            : Mechanism::kLocalSession;
  }
  if (held.rfind("s4u_proxy", 0) == 0) {
    return Named(rules, "RB-1") ? Mechanism::kRbcd : Mechanism::kConstrained;
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

Prober::Prober(const sim::Scenario& scenario) : scenario_(scenario) {
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

std::vector<HopOutcome> Prober::Run(const Chain& chain) {
  ++answered_;
  const kdc::Directory& dir = directory();
  // Simulate the chain for the representatives of the user's (and on_behalf_of's) class.
  std::vector<std::pair<std::string, std::string>> renames;  // representative -> member
  // Accounts that run a hop of this chain, or call it: an identity equal to one of them is
  // compared with it (TK-8), so it stands for no one but itself.
  std::vector<PrincipalId> on_chain;
  for (const HopPlan& h : chain.hops) {
    if (const nodes::ServiceInfo* s = topology().FindService(h.service)) {
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
  Chain sim = chain;
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
    outcomes = &found->second;
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
      o.mechanism = MechanismOf(sim, k, hops, o.rules);
      hops.push_back(std::move(o));
      ++hops_simulated_;
      if (!hops.back().allowed || k + 1 == sim.hops.size()) break;
      const v1::HopResult* next = nullptr;
      for (const v1::HopResult& c : hop->children()) {
        if (c.service() == sim.hops[k + 1].service) next = &c;
      }
      hop = next;
    }
    outcomes = &memo_.emplace(std::move(key), std::move(hops)).first->second;
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
