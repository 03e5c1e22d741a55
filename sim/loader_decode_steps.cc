// Decoding steps: clock steps, calls with their options, and the operations a service
// runs (nested calls, processes, logons, token operations, explicit KDC requests).
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
#include "sim/loader_decoder.h"

namespace delegsim::sim::loader_internal {

void Decoder::DecodeStep(const Json& v, const std::string& path, Scenario* s) {
  StepSpec step;
  step.origin = {path, LineOfPath(lines_, path)};
  if (v.is_object() && v.contains("advance_clock")) {
    std::optional<Obj> o = Object(v, path, "a step object");
    step.kind = StepSpec::Kind::kAdvanceClock;
    if (auto ms = Duration(*o->Get("advance_clock"), o->At("advance_clock"))) {
      step.advance_ms = *ms;
    }
    s->steps.push_back(std::move(step));
    src_->steps.push_back(path);
    return;
  }
  std::optional<Obj> o = Object(v, path, "a step object");
  if (!o) return;
  step.kind = StepSpec::Kind::kCall;
  step.label = NameField(*o, "name", "/#").value_or("");
  step.user = StringField(*o, "user").value_or("");
  step.from_host = StringField(*o, "from").value_or("");
  std::string service = StringField(*o, "call").value_or("");
  step.call.set_service(service);
  CallSite site;
  site.path = path;
  site.service = service;
  site.step = s->steps.size();
  std::string hop = step.label + "/" + service;
  if (!step.label.empty() && !service.empty()) {
    src_->hops.insert(hop);
    src_->callees[step.label].push_back(service);
  }
  DecodeCallOptions(*o, &step.call, &site, hop, service, 1);
  src_->calls.push_back(std::move(site));
  s->steps.push_back(std::move(step));
  src_->steps.push_back(path);
}

void Decoder::CheckClockTotal(const Scenario& s) {
  int64_t total = 0;
  for (size_t i = 0; i < s.steps.size(); ++i) {
    if (s.steps[i].kind != StepSpec::Kind::kAdvanceClock) continue;
    total += s.steps[i].advance_ms;
    if (total > kMaxClockAdvanceMs) {
      Report(Member(src_->steps[i], "advance_clock"),
             "the clock steps up to here add up to more than " + std::string(kMaxClockText));
      return;
    }
  }
}

std::optional<v1::Level> Decoder::LevelField(const Obj& o, std::string_view key,
                                             std::span<const Named<v1::Level>> names,
                                             bool allow_default) {
  const Json* v = o.Get(key);
  if (v && v->is_object()) return DecodeNumericLevel(*v, o.At(key), Hooks(), allow_default);
  return EnumField<v1::Level>(o, key, "impersonation level", names);
}

void Decoder::DecodeCallOptions(const Obj& o, v1::CallSpec* call, CallSite* site,
                                const std::string& hop, const std::string& service, int depth) {
  auto transport = EnumField<v1::Transport>(o, "transport", "transport", kTransports);
  call->set_transport(transport.value_or(v1::TRANSPORT_NCACN_IP_TCP));
  site->transport = call->transport();
  auto package = EnumField<v1::Package>(o, "package", "security package", kPackages);
  call->set_package(package.value_or(v1::PACKAGE_NEGOTIATE));
  site->package = call->package();
  call->set_level(LevelField(o, "level", CallLevels(), true).value_or(v1::LEVEL_DEFAULT));
  call->set_api(EnumField<v1::Api>(o, "api", "API", kApis).value_or(v1::API_UNSPECIFIED));
  call->set_mutual(BoolField(o, "mutual").value_or(true));
  call->set_ignore_delegate_failure(BoolField(o, "ignore_delegate_failure").value_or(false));
  call->set_protocol_transition(BoolField(o, "protocol_transition").value_or(false));
  call->set_by_ip_address(BoolField(o, "by_ip_address").value_or(false));
  if (auto who = StringField(o, "on_behalf_of")) {
    call->set_on_behalf_of(*who);
    if (!call->protocol_transition()) {
      Report(o.At("on_behalf_of"),
             "on_behalf_of needs \"protocol_transition\": true (S4U2self names the user, S4U-1)");
    }
  }
  if (auto r = BoolField(o, "replay_authenticator")) {
    call->set_replay_authenticator(*r);
    if (*r && hop.size() > 0) {
      src_->hops.insert(hop + "#replay");
    }
  }
  if (const Json* u = o.Get("use_ticket")) {
    constexpr Named<std::string_view> kUsable[] = {
        {"s4u2self", "s4u2self"}, {"s4u2proxy", "s4u2proxy"}, {"tgs", "tgs"}};
    if (auto t = Enum<std::string_view>(*u, o.At("use_ticket"), "ticket role", kUsable)) {
      call->set_use_ticket(std::string(*t));
      if (call->package() != v1::PACKAGE_KERBEROS && call->package() != v1::PACKAGE_NEGOTIATE) {
        Report(o.At("use_ticket"),
               "use_ticket presents a Kerberos ticket: the package must be "
               "kerberos or negotiate");
      }
    }
  }
  if (auto tl = LevelField(o, "transport_level", TokenLevels(), false)) {
    call->set_transport_level(*tl);
    if (call->transport() != v1::TRANSPORT_NCACN_NP) {
      Report(o.At("transport_level"),
             "transport_level applies only to the ncacn_np transport (TR-3)");
    }
  }
  if (const Json* then = o.Get("then")) {
    DecodeOps(*then, o.At("then"), depth, hop, service, call->mutable_ops());
  }
}

void Decoder::DecodeOps(const Json& v, const std::string& path, int depth, const std::string& hop,
                        const std::string& service, Ops* out) {
  if (depth > kMaxOperationDepth) {
    Report(path, "operations nested deeper than " + std::to_string(kMaxOperationDepth) +
                     " levels (the nesting limit; a chain has at most " +
                     std::to_string(nodes::kMaxChainHops) + " hops)");
    return;
  }
  if (!v.is_array()) {
    TypeError(path, "an array of operations", v);
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    DecodeOp(v[i], Index(path, i), depth, hop, service, out->Add());
  }
}

void Decoder::DecodeOp(const Json& v, const std::string& path, int depth, const std::string& hop,
                       const std::string& service, v1::Operation* op) {
  if (!v.is_object()) {
    TypeError(path, "an operation object", v);
    return;
  }
  std::vector<std::string_view> kinds;
  for (std::string_view k : kOpKinds) {
    if (v.contains(k)) kinds.push_back(k);
  }
  Obj o{&v, path};
  if (kinds.size() != 1) {
    Guard(path, "an operation has exactly one of: " + Join(kOpKinds));
    return;
  }
  std::string_view kind = kinds.front();
  const LazyPath at = o.At(kind);
  const Json& arg = *o.Get(kind);
  if (kind == "open" || kind == "check" || kind == "create") {
    v1::OpenObject* open = op->mutable_open();
    open->set_object(String(arg, at).value_or(""));
    open->set_check_only(kind == "check");
    open->set_create(kind == "create");
    for (const std::string& r : Strings(o, "rights")) {
      open->add_rights(r);
    }
  } else if (kind == "call") {
    v1::CallSpec* call = op->mutable_call();
    std::string callee = String(arg, at).value_or("");
    call->set_service(callee);
    std::optional<std::string> label = NameField(o, "name", "/#");
    if (label) call->set_label(*label);
    CallSite site;
    site.path = path;
    site.service = callee;
    site.caller_service = service;
    std::string shown = label.value_or(callee);
    std::string child = hop + "/" + shown;
    if (!shown.empty()) {
      src_->hops.insert(child);
      src_->callees[hop].push_back(shown);
    }
    DecodeCallOptions(o, call, &site, child, callee, depth + 1);
    src_->calls.push_back(std::move(site));
  } else if (kind == "create_process" || kind == "create_process_as_user") {
    v1::ProcessSpec* p = kind == "create_process" ? op->mutable_create_process()
                                                  : op->mutable_create_process_as_user();
    DecodeOps(arg, at, depth + 1, hop, service, p->mutable_ops());
  } else if (kind == "logon_user") {
    v1::LogonUserSpec* l = op->mutable_logon_user();
    l->set_user(String(arg, at).value_or(""));
    l->set_password(StringField(o, "password", false).value_or(""));
    if (const Json* then = o.Get("then")) {
      DecodeOps(*then, o.At("then"), depth + 1, hop, service, l->mutable_ops());
    }
  } else if (kind == "revert") {
    op->mutable_revert();
    if (!arg.is_boolean()) {
      TypeError(at, "true", arg);
    } else if (!arg.get<bool>()) {
      Report(at, "expected true, got false (leave the operation out instead)");
    }
  } else if (kind == "privilege_check") {
    if (auto p = String(arg, at)) op->mutable_privilege_check()->set_privilege(*p);
  } else if (kind == "open_thread_token") {
    v1::OpenThreadTokenSpec* t = op->mutable_open_thread_token();
    if (std::optional<Obj> args = Object(arg, at, "an object")) {
      t->set_open_as_self(BoolField(*args, "open_as_self").value_or(false));
    }
  } else if (kind == "impersonate_self" || kind == "duplicate_token") {
    v1::DuplicateSpec* d = op->mutable_duplicate_token();
    d->set_self(kind == "impersonate_self");
    std::optional<v1::Level> l =
        arg.is_object() ? DecodeNumericLevel(arg, at, Hooks(), false)
                        : Enum<v1::Level>(arg, at, "impersonation level", TokenLevels());
    if (l) d->set_level(*l);
  } else if (kind == "s4u_logon") {
    v1::S4uLogonSpec* s4u = op->mutable_s4u_logon();
    s4u->set_user(String(arg, at).value_or(""));
    s4u->set_identify(BoolField(o, "identify").value_or(false));
  } else if (kind == "s4u2self" || kind == "s4u2proxy" || kind == "tgs") {
    DecodeKdcRequest(o, kind, at, arg, op->mutable_kdc_request());
  }
}

void Decoder::DecodeKdcRequest(const Obj& o, std::string_view kind, const LazyPath& at,
                               const Json& arg, v1::KdcRequestSpec* r) {
  r->set_target(String(arg, at).value_or(""));
  v1::KdcOptions* opts = r->mutable_options();
  if (kind == "tgs") {
    r->set_kind(v1::KDC_REQUEST_TGS);
    if (const Json* j = o.Get("options")) {
      if (std::optional<Obj> args = Object(*j, o.At("options"), "an object of KDC options")) {
        opts->set_forwardable(BoolField(*args, "forwardable").value_or(false));
        opts->set_forwarded(BoolField(*args, "forwarded").value_or(false));
        opts->set_proxiable(BoolField(*args, "proxiable").value_or(false));
        opts->set_renewable(BoolField(*args, "renewable").value_or(false));
      }
    }
    return;
  }
  // S4U requests ask FORWARDABLE unless told otherwise, as Windows services do.
  opts->set_forwardable(BoolField(o, "forwardable").value_or(true));
  opts->set_renewable(BoolField(o, "renewable").value_or(false));
  if (kind == "s4u2self") {
    r->set_kind(v1::KDC_REQUEST_S4U2SELF);
    return;
  }
  r->set_kind(v1::KDC_REQUEST_S4U2PROXY);
  r->set_rbcd(BoolField(o, "rbcd").value_or(true));
  constexpr Named<v1::EvidenceSource> kEvidence[] = {{"incoming", v1::EVIDENCE_INCOMING},
                                                     {"s4u2self", v1::EVIDENCE_S4U2SELF}};
  r->set_evidence(EnumField<v1::EvidenceSource>(o, "evidence", "evidence", kEvidence)
                      .value_or(v1::EVIDENCE_INCOMING));
}

}  // namespace delegsim::sim::loader_internal
