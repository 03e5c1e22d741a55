#include "analysis/reach.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "kdc/uac.h"

namespace delegsim::analysis {
namespace {

bool IsS4uProxy(const std::string& net_creds) { return net_creds.rfind("s4u_proxy{", 0) == 0; }

// The transports a caller on `from_host` can use to reach `s`: ncalrpc only on its host.
std::vector<v1::Transport> TransportsFrom(const nodes::ServiceInfo& s,
                                          const std::string& from_host) {
  std::vector<v1::Transport> out;
  for (v1::Transport t : s.transports) {
    if (t == v1::TRANSPORT_NCALRPC && s.host != from_host) continue;
    out.push_back(t);
  }
  return out;
}

// One remote transport (the first the service offers), for hops whose outcome does not
// depend on the transport (S4U2proxy).
std::optional<v1::Transport> NetworkTransport(const nodes::ServiceInfo& s) {
  for (v1::Transport t : s.transports) {
    if (t != v1::TRANSPORT_NCALRPC) return t;
  }
  return std::nullopt;
}

// A place in the directory where a LogonUser op holds an account's password: the chain
// of services from a step up to the service that runs it.
struct LogonSite {
  std::string user;  // the step's caller
  std::string from_host;
  std::vector<std::string> services;  // the step's path to the service holding the password
  std::string account;
  std::string password;
};

void CollectLogonSites(const google::protobuf::RepeatedPtrField<v1::Operation>& ops,
                       const sim::StepSpec& step, std::vector<std::string>& path,
                       std::vector<LogonSite>& out) {
  for (const v1::Operation& op : ops) {
    if (op.has_call()) {
      path.push_back(op.call().service());
      CollectLogonSites(op.call().ops(), step, path, out);
      path.pop_back();
    } else if (op.has_logon_user() && !op.logon_user().password().empty()) {
      out.push_back(
          {step.user, step.from_host, path, op.logon_user().user(), op.logon_user().password()});
    }
  }
}

}  // namespace

struct Reach::State {
  Chain chain;
  HopOutcome last;
  std::string via;
};

// Calls from one place (a chain so far, as an identity) to many services.
struct Reach::Sweep {
  Sweep(Prober& prober, const Chain& p, const std::string& identity, std::string v)
      : prefix(p), via(std::move(v)), view(prober.ViewOf(p, p.hops.size())) {
    if (std::optional<PrincipalId> id = prober.directory().Find(identity)) {
      view.accounts.push_back(*id);
    }
  }

  const Chain& prefix;
  std::string via;
  ServiceClasses::View view;  // what the chain holds that may tell a service apart
  struct ClassAnswer {
    std::vector<HopOutcome> hops;  // of prefix + {a member, transport}
    std::vector<bool>* carried = nullptr;
  };
  std::unordered_map<uint64_t, ClassAnswer> answers;  // by class and transport
};

Status Reach::Probe(Sweep& sweep, const nodes::ServiceInfo& t, v1::Transport transport,
                    std::vector<Flow>* flows, std::vector<State>* next) {
  auto chain_to_t = [&] {
    Chain c = sweep.prefix;
    c.hops.push_back({t.name, transport});
    return c;
  };
  const ServiceClasses& classes = prober_.service_classes();
  const size_t index = prober_.IndexOf(t);
  if (!prober_.uses_service_classes() || classes.Distinguishes(sweep.view, index)) {
    Chain c = chain_to_t();
    return Add(c, prober_.Run(c), sweep.via, flows, next);
  }
  const ServiceClassId cls = classes.Of(index);
  auto [it, fresh] = sweep.answers.try_emplace((uint64_t{cls} << 8) | transport);
  Sweep::ClassAnswer& answer = it->second;
  if (fresh) {
    // The first member the chain does not tell apart stands for the class (t at worst).
    const nodes::ServiceInfo& rep =
        prober_.topology().services()[classes.StandIn(sweep.view, index)];
    Chain r = sweep.prefix;
    r.hops.push_back({rep.name, transport});
    answer.hops = prober_.Run(r);
    if (!answer.hops.empty()) {
      const HopOutcome& last = answer.hops.back();
      std::string key = std::to_string(answer.hops.size()) + "|" + last.identity + "|" +
                        (last.allowed ? "1" : "0") + "|" + last.level + "|" + last.net_creds + "|" +
                        std::string(MechanismName(last.mechanism)) + "|" + sweep.via + "|" +
                        std::to_string(cls) + "|" + std::to_string(transport);
      std::vector<bool>& carried = carried_[key];
      carried.resize(prober_.topology().services().size());
      answer.carried = &carried;
    }
  }
  // Added before with this very outcome: its flow is listed and its state seen.
  if (answer.carried && (*answer.carried)[index]) return Status::Ok();
  Status st = Add(chain_to_t(), answer.hops, sweep.via, flows, next);
  if (st.ok() && answer.carried) (*answer.carried)[index] = true;
  return st;
}

std::vector<PrincipalId> Reach::KeyHolders() const {
  std::set<PrincipalId> out;
  for (const nodes::ServiceInfo& s : prober_.topology().services()) out.insert(s.account);
  for (const nodes::HostInfo& h : prober_.topology().hosts()) {
    for (PrincipalId id : prober_.KeysOnHost(h.name)) out.insert(id);
  }
  return {out.begin(), out.end()};
}

Status Reach::Add(const Chain& chain, const std::vector<HopOutcome>& hops, const std::string& via,
                  std::vector<Flow>* flows, std::vector<State>* next) {
  if (hops.empty()) {
    return Internal("the chain " + Prober::Describe(chain) +
                    " did not complete: " + prober_.failure());
  }
  if (hops.size() != chain.hops.size() || !hops.back().allowed) return Status::Ok();
  const HopOutcome& last = hops.back();
  if (last.identity.empty()) return Status::Ok();  // nobody arrived (anonymous)
  std::string state = last.identity + "|" + chain.hops.back().service + "|" + last.level + "|" +
                      last.net_creds + "|" + via;
  bool fresh = seen_.insert(state).second;
  Flow f;
  f.identity = last.identity;
  f.service = chain.hops.back().service;
  const nodes::ServiceInfo* s = prober_.Service(f.service);
  f.host = s ? s->host : "";
  f.level = last.level;
  f.net_creds = last.net_creds;
  f.mechanism = last.mechanism;
  for (const HopPlan& h : chain.hops) f.chain.push_back(h.service);
  f.rules = last.rules;
  f.via = via;
  f.replay = chain;
  bool duplicate = !listed_.insert(state + "|" + std::string(MechanismName(f.mechanism))).second;
  if (!duplicate) {
    if (flows->size() >= options_.max_flows) {
      return ResourceExhausted("more than " + std::to_string(options_.max_flows) +
                               " flows: narrow the query or raise --max-flows");
    }
    flows->push_back(std::move(f));
  }
  if (fresh) next->push_back({chain, last, via});
  return Status::Ok();
}

Status Reach::Search(std::vector<State> frontier, std::vector<Flow>* flows) {
  const nodes::Topology& topo = prober_.topology();
  while (!frontier.empty()) {
    std::vector<State> next;
    for (const State& s : frontier) {
      if (static_cast<int>(s.chain.hops.size()) >= options_.max_hops) continue;
      const nodes::ServiceInfo* at = prober_.Service(s.chain.hops.back().service);
      if (!at) continue;
      auto probe = [&](HopPlan plan) -> Status {
        Chain c = s.chain;
        c.hops.push_back(std::move(plan));
        return Add(c, prober_.Run(c), s.via, flows, &next);
      };
      const std::string& held = s.last.net_creds;
      if (held == "tgt" || held == "own_session") {
        // IL-5 / LC-1: the credentials go anywhere the next hop's rules let them.
        Sweep sweep(prober_, s.chain, s.last.identity, s.via);
        for (const nodes::ServiceInfo& t : topo.services()) {
          if (&t == at) continue;
          for (v1::Transport tr : TransportsFrom(t, at->host)) {
            if (Status st = Probe(sweep, t, tr, flows, &next); !st.ok()) return st;
          }
        }
      } else if (IsS4uProxy(held) && !prober_.S4uTargets(at->account).empty()) {
        // KCD-7: only to the targets the account may reach by S4U2proxy: its A2D2 and the
        // services whose RBCD descriptor lists it. The hop itself knows only its A2D2 and
        // asks the KDC for any other target (RB-1); the analysis reads every descriptor.
        for (const nodes::ServiceInfo* t : prober_.S4uTargets(at->account)) {
          if (std::optional<v1::Transport> tr = NetworkTransport(*t)) {
            if (Status st = probe({t->name, *tr}); !st.ok()) return st;
          }
        }
      } else {
        // IL-4: without network credentials (or with evidence no A2D2 or RBCD entry
        // accepts), only this host's services.
        for (const nodes::ServiceInfo& t : topo.services()) {
          if (&t == at || t.host != at->host) continue;
          for (v1::Transport tr : TransportsFrom(t, at->host)) {
            if (Status st = probe({t.name, tr}); !st.ok()) return st;
          }
        }
      }
      if (!IsS4uProxy(held)) {
        // S4U-3: the service may switch to protocol transition for the identity it holds.
        for (const nodes::ServiceInfo* t : prober_.S4uTargets(at->account)) {
          if (std::optional<v1::Transport> tr = NetworkTransport(*t)) {
            HopPlan plan{t->name, *tr};
            plan.protocol_transition = true;
            if (Status st = probe(std::move(plan)); !st.ok()) return st;
          }
        }
      }
    }
    frontier = std::move(next);
  }
  return Status::Ok();
}

StatusOr<std::vector<Flow>> Reach::ForIdentity(PrincipalId who) {
  seen_.clear();
  listed_.clear();
  carried_.clear();
  const kdc::Directory& dir = prober_.directory();
  const nodes::Topology& topo = prober_.topology();
  std::string name = dir.FullName(who);
  std::vector<Flow> flows;
  std::vector<State> start;
  size_t done = 0;
  const kdc::Domain& home = dir.GetDomain(dir.Get(who).domain);
  const Chain from_workstation{name, prober_.Workstation(who), {}};
  Sweep sweep(prober_, from_workstation, name, "");
  for (const nodes::ServiceInfo& t : topo.services()) {
    std::vector<v1::Transport> order = t.transports;  // over the network first
    std::stable_partition(order.begin(), order.end(),
                          [](v1::Transport tr) { return tr != v1::TRANSPORT_NCALRPC; });
    for (v1::Transport tr : order) {
      // ncalrpc: the user logged on at the service's host (LC-1), which a workgroup's local
      // account can do only on its own host; otherwise from a workstation.
      bool local = tr == v1::TRANSPORT_NCALRPC;
      if (local && home.workgroup && home.realm != t.host) continue;
      if (!local) {
        if (Status st = Probe(sweep, t, tr, &flows, &start); !st.ok()) return st;
        continue;
      }
      Chain c{name, t.host, {{t.name, tr}}};
      if (Status st = Add(c, prober_.Run(c), "", &flows, &start); !st.ok()) return st;
    }
    if (options_.progress) options_.progress(++done, topo.services().size());
  }
  // TK-6: services that hold the account's password call on with a LogonUser token.
  std::vector<LogonSite> sites;
  for (const sim::StepSpec& step : prober_.steps()) {
    std::vector<std::string> path = {step.call.service()};
    CollectLogonSites(step.call.ops(), step, path, sites);
  }
  for (const LogonSite& site : sites) {
    std::optional<PrincipalId> account = dir.Find(site.account);
    if (!account || *account != who) continue;
    const nodes::ServiceInfo* holder = prober_.Service(site.services.back());
    if (!holder) continue;
    Chain prefix{site.user, site.from_host, {}};
    for (const std::string& s : site.services) {
      const nodes::ServiceInfo* info = prober_.Service(s);
      if (!info) break;
      prefix.hops.push_back({s, info->host == site.from_host && info->transports.size() == 1
                                    ? info->transports.front()
                                    : NetworkTransport(*info).value_or(v1::TRANSPORT_NCALRPC)});
    }
    if (prefix.hops.size() != site.services.size()) continue;
    for (const nodes::ServiceInfo& t : topo.services()) {
      if (&t == holder) continue;
      for (v1::Transport tr : TransportsFrom(t, holder->host)) {
        Chain c = prefix;
        HopPlan plan{t.name, tr};
        plan.logon_user = site.account;
        plan.password = site.password;
        c.hops.push_back(std::move(plan));
        if (static_cast<int>(c.hops.size()) > options_.max_hops) continue;
        if (Status st = Add(c, prober_.Run(c), "", &flows, &start); !st.ok()) return st;
      }
    }
  }
  if (Status st = Search(std::move(start), &flows); !st.ok()) return st;
  // Only flows of this identity (a LogonUser chain's first hops carry the step's caller).
  std::erase_if(flows, [&](const Flow& f) { return f.identity != name; });
  return flows;
}

StatusOr<std::vector<Flow>> Reach::ForCompromised(const std::vector<PrincipalId>& accounts) {
  seen_.clear();
  listed_.clear();
  carried_.clear();
  const kdc::Directory& dir = prober_.directory();
  const nodes::Topology& topo = prober_.topology();
  const IdentityClasses& classes = prober_.classes();
  std::vector<Flow> flows;
  std::vector<State> start;
  // Identities an attacker can name: every class (its representative stands for all).
  std::vector<PrincipalId> everyone;
  for (ClassId c = 0; c < classes.size(); ++c) everyone.push_back(classes.Representative(c));
  std::vector<PrincipalId> victims = options_.coerce_everyone ? everyone : options_.coerce;
  size_t done = 0;
  for (PrincipalId x : accounts) {
    std::string via = dir.Name(x);
    const std::vector<std::string>& hosts = prober_.HostsOf(x);
    std::string at = hosts.empty() ? prober_.Workstation(x) : hosts.front();
    // S4U-1 + S4U-3 / RB-1: S4U2self for anyone, then S4U2proxy to each target.
    for (const nodes::ServiceInfo* t : prober_.S4uTargets(x)) {
      std::optional<v1::Transport> tr = NetworkTransport(*t);
      if (!tr) continue;
      for (PrincipalId u : everyone) {
        HopPlan plan{t->name, *tr};
        plan.protocol_transition = true;
        plan.on_behalf_of = dir.FullName(u);
        Chain c{dir.FullName(x), at, {std::move(plan)}};
        if (Status st = Add(c, prober_.Run(c), via, &flows, &start); !st.ok()) return st;
      }
    }
    // IL-5 / UD-2: an unconstrained service collects the TGTs of whoever authenticates to it.
    if (dir.Get(x).uac & kdc::uf::kTrustedForDelegation) {
      for (const nodes::ServiceInfo& s : topo.services()) {
        if (s.account != x) continue;
        for (PrincipalId v : victims) {
          for (v1::Transport tr : s.transports) {
            if (tr == v1::TRANSPORT_NCALRPC) continue;
            Chain c{dir.FullName(v), prober_.Workstation(v), {{s.name, tr}}};
            std::vector<HopOutcome> hops = prober_.Run(c);
            // Only a TGT that reached the service is the attacker's.
            if (!hops.empty() && hops.back().net_creds != "tgt") continue;
            if (Status st = Add(c, hops, via, &flows, &start); !st.ok()) return st;
          }
        }
      }
    }
    if (options_.progress) options_.progress(++done, accounts.size());
  }
  if (options_.onward) {
    if (Status st = Search(std::move(start), &flows); !st.ok()) return st;
  }
  if (!options_.expand_classes) return flows;
  // The representatives stand for their classes; the coerced list names itself.
  std::vector<Flow> out;
  for (const Flow& f : flows) {
    std::optional<PrincipalId> id = dir.Find(f.identity);
    bool named_victim = id && !options_.coerce_everyone &&
                        std::find(victims.begin(), victims.end(), *id) != victims.end() &&
                        f.replay.hops.front().on_behalf_of.empty();
    if (named_victim) {
      out.push_back(f);
    } else {
      Expand(f, &out);
    }
  }
  return out;
}

void Reach::Expand(const Flow& flow, std::vector<Flow>* out) {
  ForEachMember(flow, [&](PrincipalId, const Flow& f) { out->push_back(f); });
}

std::vector<PrincipalId> Reach::ComparedAccounts(const Flow& flow) const {
  std::vector<PrincipalId> compared;
  if (std::optional<PrincipalId> caller = prober_.directory().Find(flow.replay.user)) {
    compared.push_back(*caller);
  }
  for (const HopPlan& h : flow.replay.hops) {
    if (const nodes::ServiceInfo* s = prober_.Service(h.service)) compared.push_back(s->account);
  }
  return compared;
}

void Reach::ForEachMember(const Flow& flow,
                          const std::function<void(PrincipalId, const Flow&)>& fn) {
  const kdc::Directory& dir = prober_.directory();
  const IdentityClasses& classes = prober_.classes();
  std::optional<PrincipalId> id = dir.Find(flow.identity);
  if (!id || !classes.HasClass(*id)) {
    fn(id.value_or(kdc::kNobody), flow);
    return;
  }
  ForMembers(flow, classes.Members(classes.Of(*id)), fn);
}

void Reach::ForMembers(const Flow& flow, const std::vector<PrincipalId>& members,
                       const std::function<void(PrincipalId, const Flow&)>& fn) {
  const kdc::Directory& dir = prober_.directory();
  std::optional<PrincipalId> id = dir.Find(flow.identity);
  if (!id) return;
  // Accounts the chain compares the identity with (TK-8) get their own simulation.
  std::vector<PrincipalId> compared = ComparedAccounts(flow);
  Flow f = flow;
  for (PrincipalId m : members) {
    const std::string& name = dir.FullName(m);
    f.identity = name;
    // The identity is the caller's, or the one its S4U2self named; never both.
    bool acts_for_others = !flow.replay.hops.front().on_behalf_of.empty();
    f.replay.user = !acts_for_others && flow.replay.user == flow.identity ? name : flow.replay.user;
    for (size_t k = 0; k < f.replay.hops.size(); ++k) {
      const std::string& obo = flow.replay.hops[k].on_behalf_of;
      f.replay.hops[k].on_behalf_of = obo == flow.identity ? name : obo;
    }
    if (m != *id && std::find(compared.begin(), compared.end(), m) != compared.end()) {
      std::vector<HopOutcome> hops = prober_.Run(f.replay);
      if (hops.size() != f.replay.hops.size() || !hops.back().allowed ||
          hops.back().identity != name) {
        continue;
      }
      Flow own = f;
      own.level = hops.back().level;
      own.net_creds = hops.back().net_creds;
      own.rules = hops.back().rules;
      own.mechanism = hops.back().mechanism;
      fn(m, own);
      continue;
    }
    fn(m, f);
  }
}

StatusOr<std::vector<Flow>> Reach::ToServices(const std::vector<std::string>& services) {
  auto wanted = [&](const Flow& f) {
    return std::find(services.begin(), services.end(), f.service) != services.end();
  };
  const IdentityClasses& classes = prober_.classes();
  std::vector<Flow> out;
  for (ClassId c = 0; c < classes.size(); ++c) {
    StatusOr<std::vector<Flow>> flows = ForIdentity(classes.Representative(c));
    if (!flows.ok()) return flows.status();
    for (const Flow& f : *flows) {
      if (wanted(f)) Expand(f, &out);
    }
  }
  for (PrincipalId x : KeyHolders()) {
    StatusOr<std::vector<Flow>> flows = ForCompromised({x});
    if (!flows.ok()) return flows.status();
    for (Flow& f : *flows) {
      if (wanted(f)) out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace delegsim::analysis
