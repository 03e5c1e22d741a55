// Decoding expectations (what a hop or an operation must show) and invariants.
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

void Decoder::DecodeInvariant(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "an invariant object");
  if (!o) return;
  InvariantSpec inv;
  inv.origin = {path, LineOfPath(lines_, path)};
  inv.name = StringField(*o, "name").value_or("");
  int kinds = 0;
  for (std::string_view k : kInvariantKinds) kinds += o->Has(k) ? 1 : 0;
  if (kinds != 1) {
    Guard(path, "an invariant has exactly one of " + Join(kInvariantKinds));
    return;
  }
  if (const Json* j = o->Get("no_reach")) {
    inv.kind = InvariantSpec::Kind::kNoReach;
    std::optional<Obj> a = Object(*j, o->At("no_reach"), "an object");
    if (!a) return;
    inv.identities = Strings(*a, "identities");
    inv.targets = Strings(*a, "targets");
    if (auto l = EnumField<std::string_view>(*a, "min_level", "impersonation level", HopLevels())) {
      inv.min_level = std::string(*l);
    }
  } else if (const Json* j = o->Get("only_holders")) {
    inv.kind = InvariantSpec::Kind::kOnlyHolders;
    std::optional<Obj> a = Object(*j, o->At("only_holders"), "an object");
    if (!a) return;
    inv.holders = Strings(*a, "accounts");
    inv.net_creds = StringField(*a, "net_creds").value_or("");
    inv.spn = StringField(*a, "spn").value_or("");
    if (!inv.spn.empty() && inv.net_creds != "s4u_proxy") {
      Report(a->At("spn"), "spn applies to net_creds \"s4u_proxy\" only");
    }
  } else if (const Json* j = o->Get("only_through")) {
    inv.kind = InvariantSpec::Kind::kOnlyThrough;
    std::optional<Obj> a = Object(*j, o->At("only_through"), "an object");
    if (!a) return;
    inv.service = StringField(*a, "service").value_or("");
    inv.via = Strings(*a, "via");
  }
  s->invariants.push_back(std::move(inv));
  src_->invariants.push_back(path);
}

void Decoder::DecodeExpect(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "an expectation object");
  if (!o) return;
  Expectation e;
  e.origin = {path, LineOfPath(lines_, path)};
  e.path = StringField(*o, "path").value_or("");
  e.op_target = StringField(*o, "access").value_or("");
  if (auto op = EnumField<std::string_view>(*o, "op", "operation", OpResultKinds())) {
    e.op = std::string(*op);
  }
  if (auto x = EnumField<std::string_view>(*o, "verdict", "verdict", kVerdicts)) {
    e.verdict = std::string(*x);
  }
  if (auto t = EnumField<std::string_view>(*o, "token", "token", kTokenKinds)) {
    e.token = std::string(*t);
  }
  if (auto l =
          EnumField<std::string_view>(*o, "transport_level", "impersonation level", HopLevels())) {
    e.transport_level = std::string(*l);
  }
  if (const Json* g = o->Get("gss_flags")) {
    // In this order whatever the file's (the flags GSS defines that a hop can show).
    constexpr std::string_view kGss[] = {"deleg", "mutual", "identify", "anonymous"};
    if (std::optional<Obj> flags = Object(*g, o->At("gss_flags"), "an object of GSS flags")) {
      for (std::string_view name : kGss) {
        if (auto b = BoolField(*flags, name)) e.gss_flags.emplace_back(std::string(name), *b);
      }
    }
  }
  if (const Json* n = o->Get("nth")) {
    if (auto k = Integer(*n, o->At("nth"), 1, 1000)) e.nth = static_cast<int>(*k);
    if (!o->Has("access") && !o->Has("op")) {
      Report(o->At("nth"), "'nth' counts operations: give 'op' or 'access' too");
    }
  }
  if (const Json* id = o->Get("identity")) {
    if (id->is_null()) {
      e.identity = "anonymous";
    } else if (auto name = String(*id, o->At("identity"))) {
      e.identity = *name;
    }
  }
  if (auto l = EnumField<std::string_view>(*o, "level", "impersonation level", HopLevels())) {
    e.level = std::string(*l);
  }
  if (auto n = StringField(*o, "net_creds")) {
    if (ValidNetCreds(*n)) {
      e.net_creds = *n;
    } else {
      constexpr std::string_view kKinds[] = {"none", "own_session", "tgt", "s4u_proxy"};
      std::string dym = Suggestion(*n, Candidates(kKinds));
      Report(o->At("net_creds"),
             "unknown net_creds '" + *n + "'" +
                 (dym.empty() ? " (expected none, own_session, tgt, s4u_proxy or "
                                "s4u_proxy{spn,...})"
                              : dym));
    }
  }
  if (auto err = StringField(*o, "error")) {
    bool ok = std::isupper(static_cast<unsigned char>((*err)[0])) &&
              std::all_of(err->begin(), err->end(), [](char c) {
                return std::isupper(static_cast<unsigned char>(c)) ||
                       std::isdigit(static_cast<unsigned char>(c)) || c == '_';
              });
    if (ok) {
      e.error = *err;
    } else {
      Report(o->At("error"), "'" + *err +
                                 "' is not an error name (expected an upper-case symbol such "
                                 "as ERROR_ACCESS_DENIED or KDC_ERR_BADOPTION)");
    }
  }
  if (const Json* d = o->Get("decided_by")) {
    if (auto r = RuleIdAt(*d, o->At("decided_by"))) e.decided_by = *r;
  }
  e.rules = RuleIds(*o, "rules");
  e.not_rules = RuleIds(*o, "not_rules");
  if (const Json* f = o->Get("ticket_flags")) {
    std::string p = o->At("ticket_flags");
    if (std::optional<Obj> flags = Object(*f, p, "an object of ticket flags")) {
      for (std::string_view name : kTicketFlags) {
        if (auto b = BoolField(*flags, name)) e.ticket_flags.emplace_back(std::string(name), *b);
      }
    }
  }
  if (const Json* t = o->Get("tickets")) {
    DecodeTicketExpectations(*t, o->At("tickets"), Hooks(), &e.tickets);
  }
  constexpr std::string_view kChecks[] = {
      "verdict",   "identity",     "level",   "net_creds", "error",           "decided_by", "rules",
      "not_rules", "ticket_flags", "tickets", "token",     "transport_level", "gss_flags"};
  bool checks_something = std::any_of(std::begin(kChecks), std::end(kChecks),
                                      [&](std::string_view k) { return o->Has(k); });
  // What results.cc can check: an operation has a verdict, an identity and a decision;
  // levels, net_creds and ticket flags belong to hops.
  // `access`, `op` or both make the entry about an operation: the first one at the hop
  // with that target and/or kind (create_process, revert, ... name no target).
  if (o->Has("access") || o->Has("op")) {
    const char* key = o->Has("access") ? "access" : "op";
    for (std::string_view k :
         {"level", "net_creds", "ticket_flags", "tickets", "transport_level", "gss_flags"}) {
      if (o->Has(k)) {
        Report(o->At(k), "'" + std::string(k) + "' describes a hop; an expectation with '" + key +
                             "' is about an operation (drop '" + key +
                             "' or move this check to its own entry)");
      }
    }
  }
  if (o->Has("token") && !o->Has("access") && !o->Has("op")) {
    Report(o->At("token"),
           "'token' describes an operation (a privilege check, TK-3): give 'op' "
           "or 'access' too");
  }
  if (!checks_something) {
    Report(path,
           "the expectation checks nothing (give verdict, identity, level, net_creds, error, "
           "decided_by, rules, not_rules, ticket_flags or tickets)");
  }
  s->expectations.push_back(std::move(e));
  src_->expectations.push_back(path);
}

std::span<const Named<std::string_view>> Decoder::OpResultKinds() {
  static const std::vector<Named<std::string_view>> table = [] {
    std::vector<Named<std::string_view>> t;
    // Every operation kind but a call reports an OpResult (a call reports a hop).
    for (std::string_view k : kOpKinds) {
      if (k != "call") t.push_back({k, k});
    }
    return t;
  }();
  return table;
}

bool Decoder::ValidNetCreds(const std::string& n) {
  if (n == "none" || n == "own_session" || n == "tgt" || n == "s4u_proxy") return true;
  std::string_view p = "s4u_proxy{";
  return n.size() > p.size() && n.compare(0, p.size(), p) == 0 && n.back() == '}' &&
         n.find_first_of("{}", p.size()) == n.size() - 1;
}

std::optional<std::string> Decoder::RuleIdAt(const Json& v, const LazyPath& path) {
  std::optional<std::string> code = String(v, path);
  if (!code) return std::nullopt;
  if (std::optional<RuleId> id = ParseRuleId(*code)) return std::string(RuleCode(*id));
  std::vector<std::string_view> codes;
  for (const RuleInfo& r : AllRules()) codes.push_back(r.code);
  std::string dym = Suggestion(*code, Candidates(codes));
  Report(path, "unknown rule id '" + *code + "'" +
                   (dym.empty() ? " (rule ids are listed in RULES.md, e.g. 'KCD-2')" : dym));
  return std::nullopt;
}

std::vector<std::string> Decoder::RuleIds(const Obj& o, std::string_view key) {
  std::vector<std::string> out;
  const Json* v = o.Get(key);
  if (!v) return out;
  if (!v->is_array()) {
    TypeError(o.At(key), "an array of rule ids", *v);
    return out;
  }
  const LazyPath array_path = o.At(key);
  for (size_t i = 0; i < v->size(); ++i) {
    if (auto r = RuleIdAt((*v)[i], LazyPath(array_path, i))) out.push_back(*r);
  }
  return out;
}

}  // namespace delegsim::sim::loader_internal
