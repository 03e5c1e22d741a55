#include "sim/scenario_writer.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "kdc/directory.h"
#include "kdc/trust_attribute_names.h"
#include "nodes/token.h"

namespace delegsim::sim {
namespace {

// Keys keep the order they are added in: the order of docs/scenario-format.md.
using Json = nlohmann::ordered_json;
using Ops = google::protobuf::RepeatedPtrField<v1::Operation>;

// "default" for LEVEL_DEFAULT (a call's level left to the API, DF-1), else the level's name.
std::string LevelText(v1::Level l) {
  std::optional<nodes::Level> level = nodes::FromWire(l);
  return level ? std::string(nodes::LevelName(*level)) : "default";
}

std::string_view AccountKindName(AccountKind k) {
  switch (k) {
    case AccountKind::kComputer:
      return "computer";
    case AccountKind::kService:
      return "service";
    default:
      return "user";
  }
}

Json Strings(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const std::string& s : v) a.push_back(s);
  return a;
}

void PutStrings(Json& o, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) o[key] = Strings(v);
}

void PutTrue(Json& o, const char* key, bool b) {
  if (b) o[key] = true;
}

// Trust attributes by name when every bit has one, else the raw integer.
Json TrustAttributes(uint32_t bits) {
  Json names = Json::array();
  uint32_t named = 0;
  for (const kdc::TrustAttributeName& a : kdc::kTrustAttributeNames) {
    if (bits & a.bit) {
      names.push_back(a.name);
      named |= a.bit;
    }
  }
  if (named != bits) return Json(bits);
  return names;
}

Json OpsJson(const Ops& ops);

// The options of a call, shared by call steps and `call` operations, into `o`.
void PutCallOptions(Json& o, const v1::CallSpec& call) {
  if (call.transport() != v1::TRANSPORT_NCACN_IP_TCP &&
      call.transport() != v1::TRANSPORT_UNSPECIFIED) {
    o["transport"] = nodes::TransportName(call.transport());
  }
  if (call.package() != v1::PACKAGE_NEGOTIATE && call.package() != v1::PACKAGE_UNSPECIFIED) {
    o["package"] = nodes::PackageName(call.package());
  }
  if (call.level() != v1::LEVEL_DEFAULT) o["level"] = LevelText(call.level());
  if (!call.mutual()) o["mutual"] = false;  // the loader's default is true
  if (call.api() != v1::API_UNSPECIFIED) o["api"] = nodes::ApiName(call.api());
  PutTrue(o, "ignore_delegate_failure", call.ignore_delegate_failure());
  PutTrue(o, "protocol_transition", call.protocol_transition());
  PutTrue(o, "by_ip_address", call.by_ip_address());
  if (!call.on_behalf_of().empty()) o["on_behalf_of"] = call.on_behalf_of();
  if (call.transport_level() != v1::LEVEL_DEFAULT) {
    o["transport_level"] = LevelText(call.transport_level());
  }
  if (!call.use_ticket().empty()) o["use_ticket"] = call.use_ticket();
  PutTrue(o, "replay_authenticator", call.replay_authenticator());
  if (!call.ops().empty()) o["then"] = OpsJson(call.ops());
}

Json OpJson(const v1::Operation& op) {
  Json o = Json::object();
  switch (op.op_case()) {
    case v1::Operation::kOpen: {
      const v1::OpenObject& open = op.open();
      const char* kind = open.create() ? "create" : open.check_only() ? "check" : "open";
      o[kind] = open.object();
      if (!open.rights().empty()) {
        Json rights = Json::array();
        for (const std::string& r : open.rights()) rights.push_back(r);
        o["rights"] = std::move(rights);
      }
      break;
    }
    case v1::Operation::kCall: {
      const v1::CallSpec& call = op.call();
      o["call"] = call.service();
      if (!call.label().empty()) o["name"] = call.label();
      PutCallOptions(o, call);
      break;
    }
    case v1::Operation::kCreateProcess:
      o["create_process"] = OpsJson(op.create_process().ops());
      break;
    case v1::Operation::kCreateProcessAsUser:
      o["create_process_as_user"] = OpsJson(op.create_process_as_user().ops());
      break;
    case v1::Operation::kLogonUser: {
      const v1::LogonUserSpec& l = op.logon_user();
      o["logon_user"] = l.user();
      if (!l.password().empty()) o["password"] = l.password();
      if (!l.ops().empty()) o["then"] = OpsJson(l.ops());
      break;
    }
    case v1::Operation::kRevert:
      o["revert"] = true;
      break;
    case v1::Operation::kPrivilegeCheck:
      o["privilege_check"] = op.privilege_check().privilege();
      break;
    case v1::Operation::kOpenThreadToken:
      o["open_thread_token"] = Json{{"open_as_self", op.open_thread_token().open_as_self()}};
      break;
    case v1::Operation::kDuplicateToken: {
      const v1::DuplicateSpec& d = op.duplicate_token();
      o[d.self() ? "impersonate_self" : "duplicate_token"] = LevelText(d.level());
      break;
    }
    case v1::Operation::kS4ULogon:
      o["s4u_logon"] = op.s4u_logon().user();
      PutTrue(o, "identify", op.s4u_logon().identify());
      break;
    case v1::Operation::kKdcRequest: {
      const v1::KdcRequestSpec& r = op.kdc_request();
      const v1::KdcOptions& k = r.options();
      if (r.kind() == v1::KDC_REQUEST_TGS) {
        o["tgs"] = r.target();
        Json opts = Json::object();
        PutTrue(opts, "forwardable", k.forwardable());
        PutTrue(opts, "forwarded", k.forwarded());
        PutTrue(opts, "proxiable", k.proxiable());
        PutTrue(opts, "renewable", k.renewable());
        if (!opts.empty()) o["options"] = std::move(opts);
        break;
      }
      o[r.kind() == v1::KDC_REQUEST_S4U2SELF ? "s4u2self" : "s4u2proxy"] = r.target();
      if (!k.forwardable()) o["forwardable"] = false;  // the loader's default is true
      PutTrue(o, "renewable", k.renewable());
      if (r.kind() == v1::KDC_REQUEST_S4U2PROXY) {
        if (r.evidence() == v1::EVIDENCE_S4U2SELF) o["evidence"] = "s4u2self";
        if (!r.rbcd()) o["rbcd"] = false;  // the loader's default is true
      }
      break;
    }
    case v1::Operation::OP_NOT_SET:
      break;
  }
  return o;
}

Json OpsJson(const Ops& ops) {
  Json a = Json::array();
  for (const v1::Operation& op : ops) a.push_back(OpJson(op));
  return a;
}

Json OptionsJson(const Options& options) {
  const Options defaults;
  Json o = Json::object();
  PutTrue(o, "legacy_rbcd", options.legacy_rbcd_nonforwardable_ok);
  PutTrue(o, "ignore_delegate_failure", options.ignore_delegate_failure);
  if (options.client_policy != defaults.client_policy) o["client_policy"] = options.client_policy;
  if (options.client_library != defaults.client_library)
    o["client_library"] = options.client_library;
  PutTrue(o, "logon_user_requires_tcb", options.logon_user_requires_tcb);
  if (options.hop_limit != defaults.hop_limit) o["hop_limit"] = options.hop_limit;
  if (options.client_forwardable) o["client_forwardable"] = *options.client_forwardable;
  if (options.client_renewable) o["client_renewable"] = *options.client_renewable;
  if (options.max_ticket_life_ms) o["max_ticket_life"] = *options.max_ticket_life_ms;
  if (options.max_renew_life_ms) o["max_renew_life"] = *options.max_renew_life_ms;
  return o;
}

Json DomainJson(const DomainSpec& d) {
  Json o = Json::object();
  o["name"] = d.realm;
  if (!d.forest.empty() && d.forest != d.realm) o["forest"] = d.forest;
  o["functional_level"] = d.functional_level;
  if (d.dc_host != "dc." + kdc::ToLower(d.realm)) o["dc"] = d.dc_host;
  return o;
}

Json TrustJson(const TrustSpec& t) {
  Json o = Json::object();
  o["trusting"] = t.trusting;
  o["trusted"] = t.trusted;
  o["direction"] = t.two_way ? "two-way" : "one-way";
  if (t.attributes != 0) o["attributes"] = TrustAttributes(t.attributes);
  return o;
}

Json HostJson(const HostSpec& h) {
  Json o = Json::object();
  o["name"] = h.name;
  if (!h.domain.empty()) o["domain"] = h.domain;
  return o;
}

Json AccountJson(const AccountSpec& a) {
  Json o = Json::object();
  o["name"] = a.name;
  o["domain"] = a.domain;
  if (a.kind != AccountKind::kUser) o["type"] = AccountKindName(a.kind);
  if (!a.password.empty()) o["password"] = a.password;
  PutStrings(o, "spns", a.spns);
  PutTrue(o, "sensitive", a.not_delegated);
  PutTrue(o, "trusted_for_delegation", a.trusted_for_delegation);
  PutTrue(o, "trusted_to_auth_for_delegation", a.trusted_to_auth_for_delegation);
  PutStrings(o, "allowed_to_delegate_to", a.allowed_to_delegate_to);
  PutStrings(o, "allowed_to_act_on_behalf_of", a.allowed_to_act);
  PutStrings(o, "allowed_to_authenticate", a.allowed_to_authenticate);
  PutStrings(o, "member_of", a.member_of);
  PutStrings(o, "privileges", a.privileges);
  PutTrue(o, "disabled", a.disabled);
  return o;
}

Json GroupJson(const GroupSpec& g) {
  Json o = Json::object();
  o["name"] = g.name;
  o["domain"] = g.domain;
  PutStrings(o, "members", g.members);
  return o;
}

Json ServiceJson(const ServiceSpec& s) {
  const std::vector<v1::Transport> kDefaultTransports = {
      v1::TRANSPORT_NCALRPC, v1::TRANSPORT_NCACN_IP_TCP, v1::TRANSPORT_NCACN_NP};
  Json o = Json::object();
  o["name"] = s.name;
  o["host"] = s.host;
  o["account"] = s.account;
  if (!s.spn.empty()) o["spn"] = s.spn;
  // The loader rejects an empty list; an empty one (built in code) means the default.
  if (!s.transports.empty() && s.transports != kDefaultTransports) {
    Json t = Json::array();
    for (v1::Transport tr : s.transports) t.push_back(nodes::TransportName(tr));
    o["transports"] = std::move(t);
  }
  if (s.privileges != ServiceSpec().privileges) o["privileges"] = Strings(s.privileges);
  return o;
}

Json ObjectJson(const ObjectSpec& obj) {
  Json o = Json::object();
  o["name"] = obj.name;
  o["host"] = obj.host;
  o["owner"] = obj.owner;
  if (!obj.acl.empty()) {
    Json acl = Json::array();
    for (const AceSpec& ace : obj.acl) {
      Json e = Json::object();
      e[ace.allow ? "allow" : "deny"] = ace.who;
      e["rights"] = Strings(ace.rights);
      acl.push_back(std::move(e));
    }
    o["acl"] = std::move(acl);
  }
  return o;
}

Json StepJson(const StepSpec& step) {
  Json o = Json::object();
  if (step.kind == StepSpec::Kind::kAdvanceClock) {
    o["advance_clock"] = step.advance_ms;
    return o;
  }
  o["name"] = step.label;
  o["user"] = step.user;
  o["from"] = step.from_host;
  o["call"] = step.call.service();
  PutCallOptions(o, step.call);
  return o;
}

// The invariant's one kind as its object; defaults (min_level impersonate, no spn) left out.
Json InvariantJson(const InvariantSpec& inv) {
  Json o = Json::object();
  o["name"] = inv.name;
  Json a = Json::object();
  switch (inv.kind) {
    case InvariantSpec::Kind::kNoReach:
      a["identities"] = inv.identities;
      a["targets"] = inv.targets;
      if (inv.min_level != InvariantSpec().min_level) a["min_level"] = inv.min_level;
      o["no_reach"] = std::move(a);
      break;
    case InvariantSpec::Kind::kOnlyHolders:
      a["accounts"] = inv.holders;
      a["net_creds"] = inv.net_creds;
      if (!inv.spn.empty()) a["spn"] = inv.spn;
      o["only_holders"] = std::move(a);
      break;
    case InvariantSpec::Kind::kOnlyThrough:
      a["service"] = inv.service;
      a["via"] = inv.via;
      o["only_through"] = std::move(a);
      break;
  }
  return o;
}

Json FaultJson(const FaultSpec& f) {
  Json o = Json::object();
  if (!f.name.empty()) o["name"] = f.name;
  switch (f.kind) {
    case FaultSpec::Kind::kHostDown:
      o["kind"] = "host_down";
      o["host"] = f.host;
      break;
    case FaultSpec::Kind::kKdcUnreachable:
      o["kind"] = "kdc_unreachable";
      o["domain"] = f.domain;
      break;
    case FaultSpec::Kind::kDrop:
    case FaultSpec::Kind::kDelay:
      o["kind"] = f.kind == FaultSpec::Kind::kDrop ? "drop" : "delay";
      o["from"] = f.from;
      o["to"] = f.to;
      PutTrue(o, "both_ways", f.both_ways);
      if (f.kind == FaultSpec::Kind::kDelay) o["by"] = f.by_ms;
      break;
    case FaultSpec::Kind::kSlowHost:
      o["kind"] = "slow_host";
      o["host"] = f.host;
      o["by"] = f.by_ms;
      break;
  }
  if (f.start_ms != 0) o["start"] = f.start_ms;
  if (f.end_ms) o["end"] = *f.end_ms;
  return o;
}

Json ExpectationJson(const Expectation& e) {
  Json o = Json::object();
  o["path"] = e.path;
  if (!e.op_target.empty()) o["access"] = e.op_target;
  if (!e.op.empty()) o["op"] = e.op;
  if (e.verdict) o["verdict"] = *e.verdict;
  if (e.identity) {
    // The loader reads null as "anonymous".
    o["identity"] = *e.identity == "anonymous" ? Json(nullptr) : Json(*e.identity);
  }
  if (e.level) o["level"] = *e.level;
  if (e.net_creds) o["net_creds"] = *e.net_creds;
  if (e.decided_by) o["decided_by"] = *e.decided_by;
  if (e.error) o["error"] = *e.error;
  PutStrings(o, "rules", e.rules);
  PutStrings(o, "not_rules", e.not_rules);
  if (!e.ticket_flags.empty()) {
    Json flags = Json::object();
    for (const auto& [flag, value] : e.ticket_flags) flags[flag] = value;
    o["ticket_flags"] = std::move(flags);
  }
  if (e.nth != 1) o["nth"] = e.nth;
  if (e.token) o["token"] = *e.token;
  if (e.transport_level) o["transport_level"] = *e.transport_level;
  if (!e.gss_flags.empty()) {
    Json flags = Json::object();
    for (const auto& [flag, value] : e.gss_flags) flags[flag] = value;
    o["gss_flags"] = std::move(flags);
  }
  if (!e.tickets.empty()) {
    Json tickets = Json::object();
    for (const TicketExpectation& t : e.tickets) {
      Json j = Json::object();
      if (t.issued) j["issued"] = *t.issued;
      if (t.klist) j["klist"] = *t.klist;
      if (!t.flags.empty()) {
        Json flags = Json::object();
        for (const auto& [flag, value] : t.flags) flags[flag] = value;
        j["flags"] = std::move(flags);
      }
      if (t.lifetime_ms) j["lifetime"] = *t.lifetime_ms;
      if (t.renew_ms) j["renew_till"] = *t.renew_ms == 0 ? Json(false) : Json(*t.renew_ms);
      if (t.client) j["client"] = *t.client;
      if (t.server) j["server"] = *t.server;
      PutStrings(j, "pac_groups", t.pac_groups);
      PutStrings(j, "not_pac_groups", t.not_pac_groups);
      if (t.pac_user_flags) j["pac_user_flags"] = *t.pac_user_flags;
      if (t.transited) j["transited"] = *t.transited;
      if (t.error) j["error"] = *t.error;
      if (t.decided_by) j["decided_by"] = *t.decided_by;
      tickets[t.role + (t.index > 1 ? "#" + std::to_string(t.index) : "")] = std::move(j);
    }
    o["tickets"] = std::move(tickets);
  }
  return o;
}

template <typename T, typename F>
void PutArray(Json& o, const char* key, const std::vector<T>& items, F to_json) {
  if (items.empty()) return;
  Json a = Json::array();
  for (const T& item : items) a.push_back(to_json(item));
  o[key] = std::move(a);
}

}  // namespace

std::string WriteScenarioJson(const Scenario& s) {
  const Scenario defaults;
  Json o = Json::object();
  o["name"] = s.name;
  if (!s.description.empty()) o["description"] = s.description;
  if (s.options.profile != defaults.options.profile) o["profile"] = s.options.profile;
  if (Json options = OptionsJson(s.options); !options.empty()) o["options"] = std::move(options);
  if (s.seed != defaults.seed) o["seed"] = s.seed;
  PutArray(o, "domains", s.domains, DomainJson);
  PutArray(o, "trusts", s.trusts, TrustJson);
  PutArray(o, "hosts", s.hosts, HostJson);
  PutArray(o, "accounts", s.accounts, AccountJson);
  PutArray(o, "groups", s.groups, GroupJson);
  PutArray(o, "services", s.services, ServiceJson);
  PutArray(o, "objects", s.objects, ObjectJson);
  PutArray(o, "steps", s.steps, StepJson);
  PutArray(o, "expect", s.expectations, ExpectationJson);
  PutArray(o, "invariants", s.invariants, InvariantJson);
  PutArray(o, "faults", s.faults, FaultJson);
  // Invalid UTF-8 (possible only in a scenario built in code) is replaced, never thrown.
  return o.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace delegsim::sim
