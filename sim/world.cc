#include "sim/world.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string_view>
#include <type_traits>
#include <unordered_set>

#include "common/saturating.h"
#include "kdc/uac.h"
#include "nodes/kdc_node.h"
#include "nodes/process_node.h"
#include "sim/fault_plan.h"

namespace delegsim::sim {
namespace {

std::string HostAddress(size_t index) {
  return "127.0." + std::to_string(1 + index / 250) + "." + std::to_string(2 + index % 250);
}

kdc::PrincipalKind KindOf(AccountKind k) {
  switch (k) {
    case AccountKind::kComputer:
      return kdc::PrincipalKind::kComputer;
    case AccountKind::kService:
      return kdc::PrincipalKind::kService;
    default:
      return kdc::PrincipalKind::kUser;
  }
}

}  // namespace

World::~World() {
  if (runtime_) runtime_->Shutdown();
}

StatusOr<std::unique_ptr<World>> World::Build(Scenario scenario,
                                              std::unique_ptr<nodes::Runtime> runtime) {
  std::unique_ptr<World> w(new World());
  w->scenario_ = std::move(scenario);
  const Scenario& s = w->scenario_;
  w->runtime_ = std::move(runtime);
  w->dir_ = std::make_unique<kdc::Directory>();
  kdc::Directory& dir = *w->dir_;

  StatusOr<kdc::Profile> profile = kdc::Profile::FromName(s.options.profile);
  if (!profile.ok()) return profile.status();
  profile->legacy_rbcd_nonforwardable_ok = s.options.legacy_rbcd_nonforwardable_ok;

  // Domains, then one local account database per workgroup host.
  dir.Reserve(s.domains.size() + s.accounts.size() + s.groups.size());
  for (const DomainSpec& d : s.domains) {
    dir.AddDomain(d.realm, d.forest.empty() ? d.realm : d.forest, d.functional_level);
  }
  for (const HostSpec& h : s.hosts) {
    if (h.domain.empty()) dir.AddDomain(h.name, h.name, 0, /*workgroup=*/true);
  }
  auto domain_of = [&](const std::string& name) -> StatusOr<kdc::DomainId> {
    std::optional<kdc::DomainId> d = dir.FindDomain(name);
    if (!d) return NotFound("unknown domain or workgroup host '" + name + "'");
    return *d;
  };

  std::vector<kdc::PrincipalId> account_ids;
  for (const AccountSpec& a : s.accounts) {
    StatusOr<kdc::DomainId> d = domain_of(a.domain);
    if (!d.ok())
      return Status(d.status().code(), "account '" + a.name + "': " + d.status().message());
    kdc::PrincipalId id = dir.AddPrincipal(KindOf(a.kind), a.name, *d);
    kdc::Principal& p = dir.Mutable(id);
    if (a.trusted_for_delegation) p.uac |= kdc::uf::kTrustedForDelegation;
    if (a.not_delegated) p.uac |= kdc::uf::kNotDelegated;
    if (a.trusted_to_auth_for_delegation) p.uac |= kdc::uf::kTrustedToAuthForDelegation;
    if (a.disabled) p.uac |= kdc::uf::kAccountDisable;
    p.spns = a.spns;
    p.allowed_to_delegate_to = a.allowed_to_delegate_to;
    p.privileges = a.privileges;
    p.password = a.password;
    account_ids.push_back(id);
  }
  std::vector<kdc::PrincipalId> group_ids;
  for (const GroupSpec& g : s.groups) {
    StatusOr<kdc::DomainId> d = domain_of(g.domain);
    if (!d.ok())
      return Status(d.status().code(), "group '" + g.name + "': " + d.status().message());
    group_ids.push_back(dir.AddPrincipal(kdc::PrincipalKind::kGroup, g.name, *d));
  }
  for (const TrustSpec& t : s.trusts) {
    StatusOr<kdc::DomainId> a = domain_of(t.trusting);
    StatusOr<kdc::DomainId> b = domain_of(t.trusted);
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    dir.AddTrust({*a, *b, t.two_way, t.attributes});
  }
  std::string secret = "delegsim-seed-" + std::to_string(s.seed);
  if (Status st = dir.Index(); !st.ok()) return st;

  // References by name, resolved now that every principal exists.
  auto find = [&](const std::string& name, const std::string& where) -> StatusOr<kdc::PrincipalId> {
    std::optional<kdc::PrincipalId> id = dir.Find(name);
    if (!id) return NotFound(where + ": unknown account or group '" + name + "'");
    return *id;
  };
  for (size_t i = 0; i < s.accounts.size(); ++i) {
    const AccountSpec& a = s.accounts[i];
    kdc::Principal& p = dir.Mutable(account_ids[i]);
    for (const std::string& g : a.member_of) {
      StatusOr<kdc::PrincipalId> id = find(g, "account '" + a.name + "' member_of");
      if (!id.ok()) return id.status();
      p.member_of.push_back(*id);
    }
    for (const std::string& n : a.allowed_to_act) {
      StatusOr<kdc::PrincipalId> id = find(n, "account '" + a.name + "' allowed_to_act");
      if (!id.ok()) return id.status();
      p.allowed_to_act.push_back(*id);
    }
    for (const std::string& n : a.allowed_to_authenticate) {
      StatusOr<kdc::PrincipalId> id = find(n, "account '" + a.name + "' allowed_to_authenticate");
      if (!id.ok()) return id.status();
      p.allowed_to_authenticate.push_back(*id);
    }
  }
  for (size_t i = 0; i < s.groups.size(); ++i) {
    for (const std::string& m : s.groups[i].members) {
      StatusOr<kdc::PrincipalId> id = find(m, "group '" + s.groups[i].name + "' members");
      if (!id.ok()) return id.status();
      dir.AddMember(group_ids[i], *id);
    }
  }
  if (Status st = dir.Finalize(secret); !st.ok()) return st;

  if (s.options.max_ticket_life_ms) profile->max_ticket_life_ms = *s.options.max_ticket_life_ms;
  if (s.options.max_renew_life_ms) profile->max_renew_life_ms = *s.options.max_renew_life_ms;
  w->kdc_ = std::make_unique<kdc::Kdc>(dir, *profile);
  nodes::Options opt;
  opt.deleg_policy =
      s.options.client_policy == "mit" ? nodes::DelegPolicy::kAlways : nodes::DelegPolicy::kWindows;
  opt.client_library = s.options.client_library == "mit_gss" ? nodes::ClientLibrary::kMitGss
                                                             : nodes::ClientLibrary::kSspi;
  opt.client_forwardable = s.options.client_forwardable.value_or(true);
  // Windows clients ask RENEWABLE on every request (KDC options 0x40810010); MIT's kinit
  // only when krb5.conf sets renew_lifetime (or -r).
  opt.client_renewable = s.options.client_renewable.value_or(s.options.client_policy != "mit");
  opt.ignore_delegate_failure = s.options.ignore_delegate_failure;
  opt.logon_user_requires_tcb = s.options.logon_user_requires_tcb;
  opt.hop_limit = s.options.hop_limit;
  w->topology_ = std::make_unique<nodes::Topology>(dir, *w->kdc_, opt);
  nodes::Topology& topo = *w->topology_;

  // Hosts: the scenario's, then a domain controller host for each domain that names none.
  std::vector<HostSpec> hosts = s.hosts;
  std::unordered_set<std::string_view> declared_hosts;
  for (const HostSpec& h : s.hosts) declared_hosts.insert(h.name);
  std::vector<std::string> dc_hosts;
  for (const DomainSpec& d : s.domains) {
    std::string dc = d.dc_host.empty() ? "dc." + kdc::ToLower(d.realm) : d.dc_host;
    dc_hosts.push_back(dc);
    if (!declared_hosts.count(dc)) hosts.push_back({dc, d.realm});
  }
  for (size_t i = 0; i < hosts.size(); ++i) {
    nodes::HostInfo h;
    h.name = hosts[i].name;
    h.workgroup = hosts[i].domain.empty();
    StatusOr<kdc::DomainId> d = domain_of(h.workgroup ? h.name : hosts[i].domain);
    if (!d.ok()) return Status(d.status().code(), "host '" + h.name + "': " + d.status().message());
    h.domain = *d;
    h.address = HostAddress(i);
    topo.AddHost(std::move(h));
  }

  // Node ids follow the order nodes are added: KDCs, services, client sessions.
  nodes::NodeId next_id = 1;
  std::vector<std::pair<kdc::DomainId, std::string>> kdcs;
  for (size_t i = 0; i < s.domains.size(); ++i) {
    kdc::DomainId d = *dir.FindDomain(s.domains[i].realm);
    topo.SetKdcNode(d, next_id++);
    kdcs.emplace_back(d, dc_hosts[i]);
  }
  for (const ServiceSpec& spec : s.services) {
    nodes::ServiceInfo info;
    info.name = spec.name;
    info.host = spec.host;
    if (!topo.FindHost(spec.host))
      return NotFound("service '" + spec.name + "': unknown host '" + spec.host + "'");
    StatusOr<kdc::PrincipalId> account = find(spec.account, "service '" + spec.name + "' account");
    if (!account.ok()) return account.status();
    info.account = *account;
    const kdc::Principal& p = dir.Get(*account);
    info.spn = spec.spn.empty() ? (p.spns.empty() ? "" : p.spns.front()) : spec.spn;
    info.transports =
        spec.transports.empty()
            ? std::vector<v1::Transport>{v1::TRANSPORT_NCALRPC, v1::TRANSPORT_NCACN_IP_TCP,
                                         v1::TRANSPORT_NCACN_NP}
            : spec.transports;
    info.privileges = spec.privileges;
    // KCD-7: the SPNs this account's own msDS-AllowedToDelegateTo lists. Whether another
    // account's RBCD descriptor admits it is the KDC's to say (RB-1): a front end never
    // reads other accounts' descriptors, it asks.
    for (kdc::SpnId spn : p.a2d2) info.s4u_targets.push_back(dir.SpnName(spn));
    info.node = next_id++;
    topo.AddService(std::move(info));
  }
  struct ClientPlan {
    std::string user;
    std::string host;
    kdc::PrincipalId id;
    nodes::NodeId node;
  };
  std::vector<ClientPlan> clients;
  for (const StepSpec& step : s.steps) {
    if (step.kind != StepSpec::Kind::kCall) continue;
    std::string key = step.user + "@" + step.from_host;
    if (w->clients_.count(key)) continue;
    StatusOr<kdc::PrincipalId> user = find(step.user, "call '" + step.label + "' user");
    if (!user.ok()) return user.status();
    if (!topo.FindHost(step.from_host)) {
      return NotFound("call '" + step.label + "': unknown host '" + step.from_host + "'");
    }
    w->clients_.emplace(std::move(key), next_id++);
    clients.push_back({step.user, step.from_host, *user, next_id - 1});
  }

  auto address_of = [&](const std::string& host) { return topo.FindHost(host)->address; };
  auto add = [&](std::unique_ptr<nodes::Node> node, const std::string& host,
                 nodes::NodeId expected) -> Status {
    nodes::NodeId id = w->runtime_->AddNode(std::move(node), address_of(host));
    if (id != expected)
      return Internal("runtime assigned node id " + std::to_string(id) + ", expected " +
                      std::to_string(expected));
    return Status::Ok();
  };
  for (const auto& [domain, host] : kdcs) {
    std::string name = "kdc." + kdc::ToLower(dir.GetDomain(domain).realm);
    if (Status st = add(std::make_unique<nodes::KdcNode>(name, *w->kdc_, domain), host,
                        *topo.KdcNode(domain));
        !st.ok()) {
      return st;
    }
  }
  for (const nodes::ServiceInfo& info : topo.services()) {
    if (Status st = add(std::make_unique<nodes::ServiceNode>(topo, info), info.host, info.node);
        !st.ok()) {
      return st;
    }
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    const ClientPlan& c = clients[i];
    if (Status st = add(std::make_unique<nodes::ClientNode>(topo, c.host, c.id, dir.KeyOf(c.id)),
                        c.host, c.node);
        !st.ok()) {
      return st;
    }
  }
  for (const ObjectSpec& o : s.objects) {
    nodes::SecurableObject obj;
    obj.name = o.name;
    obj.host = o.host;
    if (!topo.FindHost(o.host))
      return NotFound("object '" + o.name + "': unknown host '" + o.host + "'");
    StatusOr<kdc::PrincipalId> owner = find(o.owner, "object '" + o.name + "' owner");
    if (!owner.ok()) return owner.status();
    obj.owner = *owner;
    for (const AceSpec& a : o.acl) {
      StatusOr<kdc::PrincipalId> who = find(a.who, "object '" + o.name + "' acl");
      if (!who.ok()) return who.status();
      nodes::Ace ace{*who, a.allow, 0};
      for (const std::string& r : a.rights) {
        std::optional<uint32_t> mask = nodes::ParseRight(r);
        if (!mask) return InvalidArgument("object '" + o.name + "': unknown right '" + r + "'");
        ace.mask |= *mask;
      }
      obj.dacl.push_back(ace);
    }
    topo.AddObject(std::move(obj));
  }
  if (!s.faults.empty()) {
    StatusOr<std::shared_ptr<const nodes::FaultPlan>> plan = BuildFaultPlan(s, topo, domain_of);
    if (!plan.ok()) return plan.status();
    w->runtime_->SetFaults(std::move(plan).value());
  }
  return w;
}

nodes::NodeId World::ServiceNode(std::string_view service) const {
  const nodes::ServiceInfo* info = topology_->FindService(service);
  return info ? info->node : 0;
}

nodes::NodeId World::ClientNode(std::string_view user, std::string_view host) const {
  auto it = clients_.find(std::string(user) + "@" + std::string(host));
  return it == clients_.end() ? 0 : it->second;
}

namespace {

// Builds the tree of call `label` from `hops` into `out` (see AssembleHops); when
// `placed` is given, (*placed)[i] receives the tree node built from hops[i] (nullptr for
// a hop left out of the tree). False when the call has no first hop.
bool AssembleHopsInto(const std::string& label, const std::vector<const v1::HopResult*>& hops,
                      v1::HopResult* out, std::vector<const v1::HopResult*>* placed) {
  // Children complete before their parent, so walk from the end: each hop takes, in
  // order, the earlier records whose parent path is its own.
  std::map<std::string, std::vector<size_t>> by_parent;
  for (size_t i = 0; i < hops.size(); ++i) {
    const std::string& path = hops[i]->path();
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) continue;
    by_parent[path.substr(0, slash)].push_back(i);
  }
  if (placed) placed->assign(hops.size(), nullptr);
  std::function<void(size_t, v1::HopResult*)> build = [&](size_t i, v1::HopResult* into) {
    *into = *hops[i];
    into->clear_children();
    if (placed) (*placed)[i] = into;
    auto it = by_parent.find(hops[i]->path());
    if (it == by_parent.end()) return;
    for (size_t c : it->second) build(c, into->add_children());
  };
  auto roots = by_parent.find(label);
  if (roots == by_parent.end() || roots->second.empty()) return false;
  // A step's replayed call (DS-16, "<label>#replay") is not the step's outcome.
  for (auto r = roots->second.rbegin(); r != roots->second.rend(); ++r) {
    if (!hops[*r]->path().ends_with("#replay")) {
      build(*r, out);
      return true;
    }
  }
  build(roots->second.back(), out);
  return true;
}

}  // namespace

v1::HopResult AssembleHops(const std::string& label,
                           const std::vector<std::shared_ptr<const v1::HopResult>>& hops) {
  std::vector<const v1::HopResult*> raw;
  raw.reserve(hops.size());
  for (const auto& h : hops) raw.push_back(h.get());
  v1::HopResult out;
  AssembleHopsInto(label, raw, &out, nullptr);
  return out;
}

Status World::Start() {
  if (started_) return Status::Ok();
  // Records are built only when something consumes them (nodes check Tracing()).
  if (assemble_ || keep_trace_ || extra_sink_) {
    runtime_->SetTraceSink([this](nodes::TraceRecord& rec) {
      if (rec.hop && assemble_) {
        const std::string& path = rec.hop->path();
        // Append below returns trace_.size(): the sink adds nothing in between.
        hops_[path.substr(0, path.find('/'))].push_back(
            {rec.hop, keep_trace_ ? trace_.size() : kNotKept});
      }
      if (extra_sink_) extra_sink_(rec);
      if (keep_trace_) trace_.Append(std::move(rec));  // last: it empties `rec`
    });
  } else {
    runtime_->SetTraceSink(nullptr);
  }
  if (Status st = runtime_->Start(); !st.ok()) return st;
  started_ = true;
  return Status::Ok();
}

Status World::Run() {
  if (Status st = Start(); !st.ok()) return st;
  const std::vector<StepSpec>& steps = scenario_.steps;
  // One outcome per call step: reserved, so that outcomes do not move while the trace's
  // HOP records point into their trees (ShareHopsWithTree re-points them if they do).
  outcomes_.reserve(outcomes_.size() + static_cast<size_t>(std::count_if(
                                           steps.begin(), steps.end(), [](const StepSpec& s) {
                                             return s.kind == StepSpec::Kind::kCall;
                                           })));
  for (size_t i = 0; i < steps.size();) {
    if (steps[i].kind == StepSpec::Kind::kAdvanceClock) {
      runtime_->AdvanceClock(steps[i].advance_ms);
      ++i;
      continue;
    }
    size_t end = i;  // a run of call steps, up to the next clock step
    while (end < steps.size() && steps[end].kind == StepSpec::Kind::kCall) ++end;
    if (Status st = RunCalls(i, end); !st.ok()) return st;
    i = end;
  }
  return Status::Ok();
}

Status World::RunCalls(size_t begin, size_t end) {
  const std::vector<StepSpec>& steps = scenario_.steps;
  struct InFlight {
    size_t step;
    std::shared_ptr<CallState> state;
  };
  std::vector<InFlight> flying;
  std::vector<std::optional<CallOutcome>> finished(end - begin);
  size_t next = begin;
  size_t reported = begin;  // outcomes_ holds every outcome before this step
  auto any_done = [&flying] {
    return std::any_of(flying.begin(), flying.end(),
                       [](const InFlight& f) { return f.state->done; });
  };
  while (reported < end) {
    while (next < end && flying.size() < parallel_calls_) {
      const StepSpec& step = steps[next];
      flying.push_back({next, StartCall(step, ClientNode(step.user, step.from_host))});
      ++next;
    }
    Status st = runtime_->RunUntil(any_done, CallBudgetMs());
    // Every call still in flight has now had at least a whole budget (each started before
    // this wait): when none completed, none will.
    bool none_done = !any_done();
    bool failed = !runtime_->Failure().ok();
    for (auto it = flying.begin(); it != flying.end();) {
      if (it->state->done || none_done || failed) {
        finished[it->step - begin] = FinishCall(steps[it->step], *it->state, st);
        it = flying.erase(it);
      } else {
        ++it;
      }
    }
    // Outcomes in step order, as far as they are known.
    while (reported < end && finished[reported - begin]) {
      outcomes_.push_back(std::move(*finished[reported - begin]));
      finished[reported - begin].reset();
      ShareHopsWithTree();
      if (outcome_sink_) outcome_sink_(outcomes_.back());
      if (!keep_trees_ && !keep_trace_) v1::HopResult().Swap(&outcomes_.back().result);
      ++reported;
    }
    if (failed) {
      // A failure of the runtime itself ends the run: it did not complete. Every call
      // started has its outcome (the failed ones say so); later steps never start.
      const CallOutcome& last = outcomes_.back();
      Status failure = runtime_->Failure();
      return Status(failure.code(), "call '" + last.label + "': " + failure.message());
    }
  }
  hops_.clear();  // records of calls that never completed arrive no more than late
  return Status::Ok();
}

void World::ShareHopsWithTree() {
  static_assert(std::is_nothrow_move_constructible_v<CallOutcome>,
                "outcomes must move (keeping their trees' nodes), not copy");
  const CallOutcome& outcome = outcomes_.back();
  size_t root_entry = kNotKept;
  if (auto it = placed_.find(outcome.label); it != placed_.end()) {
    for (const auto& [entry, node] : it->second) {
      trace_.ShareHop(entry, node ? node : &outcome.result);
      if (node == nullptr) root_entry = entry;
    }
    placed_.erase(it);
  }
  root_entries_.resize(outcomes_.size(), kNotKept);
  root_entries_.back() = root_entry;
  if (outcomes_data_ != nullptr && outcomes_data_ != outcomes_.data()) {
    // outcomes_ grew past its reservation and moved: its roots moved with it.
    for (size_t i = 0; i + 1 < outcomes_.size(); ++i) {
      if (root_entries_[i] != kNotKept) trace_.ShareHop(root_entries_[i], &outcomes_[i].result);
    }
  }
  outcomes_data_ = outcomes_.data();
}

StatusOr<nodes::NodeId> World::Session(const std::string& user, const std::string& host) {
  if (nodes::NodeId id = ClientNode(user, host); id != 0) return id;
  std::optional<kdc::PrincipalId> who = dir_->Find(user);
  if (!who) return NotFound("unknown account '" + user + "'");
  const nodes::HostInfo* h = topology_->FindHost(host);
  if (!h) return NotFound("unknown host '" + host + "'");
  nodes::NodeId id = runtime_->AddNode(
      std::make_unique<nodes::ClientNode>(*topology_, host, *who, dir_->KeyOf(*who)), h->address);
  clients_.emplace(user + "@" + host, id);
  return id;
}

StatusOr<CallOutcome> World::RunCall(const StepSpec& step) {
  StatusOr<nodes::NodeId> client = Session(step.user, step.from_host);
  if (!client.ok()) return client.status();
  if (Status st = Start(); !st.ok()) return st;
  return Call(step, *client);
}

CallOutcome World::Call(const StepSpec& step, nodes::NodeId client) {
  std::shared_ptr<CallState> state = StartCall(step, client);
  Status st = runtime_->RunUntil([&] { return state->done; }, CallBudgetMs());
  CallOutcome outcome = FinishCall(step, *state, st);
  hops_.clear();
  placed_.erase(step.label);  // returned to the caller: its trace records keep their hops
  return outcome;
}

std::shared_ptr<World::CallState> World::StartCall(const StepSpec& step, nodes::NodeId client) {
  // Shared with the completion callback, which may outlive the call if it never
  // completes within its budget and its reply arrives later.
  auto state = std::make_shared<CallState>();
  hops_.erase(step.label);
  runtime_->PostCall(client, step.label, step.call, [state](const v1::HopResult& result) {
    state->result = result;
    state->done = true;
  });
  return state;
}

CallOutcome World::FinishCall(const StepSpec& step, const CallState& state,
                              const Status& run_status) {
  CallOutcome outcome;
  outcome.label = step.label;
  if (assemble_) {
    auto hops = hops_.find(step.label);
    if (hops != hops_.end()) {
      std::vector<const v1::HopResult*> raw;
      raw.reserve(hops->second.size());
      for (const PendingHop& h : hops->second) raw.push_back(h.hop.get());
      std::vector<const v1::HopResult*> placed;
      AssembleHopsInto(step.label, raw, &outcome.result, &placed);
      // Children keep their addresses when the outcome moves (protobuf moves swap), the
      // root does not: it is marked nullptr and found in outcomes_ once there.
      std::vector<std::pair<size_t, const v1::HopResult*>>& share = placed_[step.label];
      share.clear();
      for (size_t i = 0; i < placed.size(); ++i) {
        if (placed[i] == nullptr || hops->second[i].entry == kNotKept) continue;
        share.emplace_back(hops->second[i].entry,
                           placed[i] == &outcome.result ? nullptr : placed[i]);
      }
      hops_.erase(hops);
    }
  }
  if (!state.done) {
    outcome.status =
        run_status.ok() ? Internal("call '" + step.label + "' never completed") : run_status;
  }
  // A failure of the runtime itself (a real-time deadline, a frame not sent, a listener
  // that cannot accept) is no verdict: the call did not complete.
  if (Status failure = runtime_->Failure(); !failure.ok()) outcome.status = failure;
  return outcome;
}

nodes::Time World::CallBudgetMs() const {
  const nodes::Options& o = topology_->options();
  return std::max(kCallBudgetMs, SaturatingMul(o.request_timeout_ms, o.hop_limit + 8));
}

}  // namespace delegsim::sim
