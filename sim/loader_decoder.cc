// The decoder's reporting, typed access to JSON values, and the top of a scenario
// (name, profile, options, seed, its sections in order); durations and rule ids.
#include "sim/loader_decoder.h"

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

namespace delegsim::sim::loader_internal {

Scenario Decoder::Decode(const Json& root, Sources* src) {
  src_ = src;
  Scenario s;
  const std::string root_path = "$";
  std::optional<Obj> o = Object(root, root_path, "a scenario object");
  if (!o) return s;
  if (const Json* v = o->Get("$schema")) String(*v, o->At("$schema"), false);
  s.name = StringField(*o, "name").value_or("");
  s.description = StringField(*o, "description", false).value_or("");
  if (auto p = EnumField<std::string_view>(*o, "profile", "profile", kProfiles)) {
    s.options.profile = std::string(*p);
  }
  if (const Json* v = o->Get("options")) DecodeOptions(*v, o->At("options"), &s.options);
  if (const Json* v = o->Get("seed")) {
    if (!v->is_number_unsigned()) {  // the parser reads every integer >= 0 as unsigned
      if (v->is_number_integer()) {
        Report(o->At("seed"), "expected a non-negative integer, got " + v->dump());
      } else {
        TypeError(o->At("seed"), "a non-negative integer", *v);
      }
    } else {
      s.seed = v->get<uint64_t>();
    }
  }
  ForEach(*o, "domains", [&](const Json& v, const std::string& p) { DecodeDomain(v, p, &s); });
  ForEach(*o, "trusts", [&](const Json& v, const std::string& p) { DecodeTrust(v, p, &s); });
  ForEach(*o, "hosts", [&](const Json& v, const std::string& p) { DecodeHost(v, p, &s); });
  ForEach(*o, "accounts", [&](const Json& v, const std::string& p) { DecodeAccount(v, p, &s); });
  ForEach(*o, "groups", [&](const Json& v, const std::string& p) { DecodeGroup(v, p, &s); });
  ForEach(*o, "services", [&](const Json& v, const std::string& p) { DecodeService(v, p, &s); });
  ForEach(*o, "objects", [&](const Json& v, const std::string& p) { DecodeObject(v, p, &s); });
  ForEach(*o, "steps", [&](const Json& v, const std::string& p) { DecodeStep(v, p, &s); });
  CheckClockTotal(s);
  ForEach(*o, "expect", [&](const Json& v, const std::string& p) { DecodeExpect(v, p, &s); });
  ForEach(*o, "invariants",
          [&](const Json& v, const std::string& p) { DecodeInvariant(v, p, &s); });
  ForEach(*o, "faults", [&](const Json& v, const std::string& p) { DecodeFault(v, p, &s); });
  return s;
}

void Decoder::Report(const LazyPath& path, std::string message) {
  std::string p = path.str();
  int line = LineOfPath(lines_, p);
  problems_->push_back({line, std::move(p), std::move(message)});
}

void Decoder::Guard(const LazyPath& path, std::string message) {
  if (schema_clean_) Report(path, std::move(message) + " (not caught by the schema)");
}

void Decoder::TypeError(const LazyPath& path, std::string_view expected, const Json& v) {
  Guard(path, "expected " + std::string(expected) + ", got " + DescribeValue(v));
}

std::optional<Obj> Decoder::Object(const Json& v, const LazyPath& path, std::string_view what) {
  if (!v.is_object()) {
    TypeError(path, what, v);
    return std::nullopt;
  }
  return Obj{&v, path.str()};
}

std::optional<std::string> Decoder::String(const Json& v, const LazyPath& path, bool nonempty) {
  if (!v.is_string()) {
    TypeError(path, "a string", v);
    return std::nullopt;
  }
  const std::string& s = v.get_ref<const std::string&>();
  if (nonempty && s.empty()) {
    Report(path, "must not be empty");
    return std::nullopt;
  }
  if (!SafeText(s, path)) return std::nullopt;
  return s;
}

bool Decoder::SafeText(const std::string& s, const LazyPath& path) {
  std::optional<UnsafeChar> bad = FindUnsafeChar(s);
  if (!bad) return true;
  Report(path, "'" + s + "' contains " + bad->Describe() + " at byte " +
                   std::to_string(bad->offset) +
                   "; names and text may not contain control or bidirectional formatting "
                   "characters");
  return false;
}

std::optional<std::string> Decoder::StringField(const Obj& o, std::string_view key, bool nonempty) {
  const Json* v = o.Get(key);
  return v ? String(*v, o.At(key), nonempty) : std::nullopt;
}

std::optional<std::string> Decoder::NameField(const Obj& o, std::string_view key,
                                              std::string_view forbidden) {
  std::optional<std::string> s = StringField(o, key);
  if (!s) return s;
  bool no_space = forbidden.find(' ') != std::string_view::npos;
  for (char c : *s) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if ((space && no_space) || (!space && forbidden.find(c) != std::string_view::npos)) {
      Report(o.At(key), "'" + *s + "' must not contain " +
                            (space ? std::string("white space") : "'" + std::string(1, c) + "'"));
      return std::nullopt;
    }
  }
  return s;
}

std::optional<bool> Decoder::BoolField(const Obj& o, std::string_view key) {
  const Json* v = o.Get(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    TypeError(o.At(key), "a boolean", *v);
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<int64_t> Decoder::Integer(const Json& v, const LazyPath& path, int64_t min,
                                        int64_t max) {
  auto range = [&] {
    return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  };
  if (!v.is_number_integer()) {
    TypeError(path, range(), v);
    return std::nullopt;
  }
  bool too_big = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(max);
  if (too_big || v.get<int64_t>() < min || v.get<int64_t>() > max) {
    Report(path, "expected " + range() + ", got " + v.dump());
    return std::nullopt;
  }
  return v.get<int64_t>();
}

std::vector<std::string> Decoder::Strings(const Obj& o, std::string_view key) {
  std::vector<std::string> out;
  const Json* v = o.Get(key);
  if (!v) return out;
  LazyPath path = o.At(key);
  if (!v->is_array()) {
    TypeError(path, "an array of strings", *v);
    return out;
  }
  out.reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    if (auto s = String((*v)[i], LazyPath(path, i))) out.push_back(std::move(*s));
  }
  return out;
}

void Decoder::ForEach(const Obj& o, std::string_view key,
                      const std::function<void(const Json&, const std::string&)>& fn) {
  const Json* v = o.Get(key);
  if (!v) return;
  if (!v->is_array()) {
    TypeError(o.At(key), "an array", *v);
    return;
  }
  const std::string array_path = o.At(key);
  for (size_t i = 0; i < v->size(); ++i) fn((*v)[i], Index(array_path, i));
}

void Decoder::DecodeOptions(const Json& v, const std::string& path, Options* out) {
  std::optional<Obj> o = Object(v, path, "an object");
  if (!o) return;
  if (auto b = BoolField(*o, "legacy_rbcd")) out->legacy_rbcd_nonforwardable_ok = *b;
  if (auto b = BoolField(*o, "ignore_delegate_failure")) out->ignore_delegate_failure = *b;
  if (auto b = BoolField(*o, "logon_user_requires_tcb")) out->logon_user_requires_tcb = *b;
  if (auto p = EnumField<std::string_view>(*o, "client_policy", "client policy", kClientPolicies)) {
    out->client_policy = std::string(*p);
  }
  if (auto p =
          EnumField<std::string_view>(*o, "client_library", "client library", kClientLibraries)) {
    out->client_library = std::string(*p);
  }
  if (const Json* h = o->Get("hop_limit")) {
    // DS-4: at most the longest chain the simulator runs (nodes/envelope.h).
    if (auto n = Integer(*h, o->At("hop_limit"), 1, nodes::kMaxChainHops))
      out->hop_limit = static_cast<int>(*n);
  }
  out->client_forwardable = BoolField(*o, "client_forwardable");
  out->client_renewable = BoolField(*o, "client_renewable");
  if (const Json* d = o->Get("max_ticket_life")) {
    out->max_ticket_life_ms = Duration(*d, o->At("max_ticket_life"));
    if (out->max_ticket_life_ms == 0) {
      Report(o->At("max_ticket_life"), "a ticket life of 0 would issue no usable ticket");
    }
  }
  if (const Json* d = o->Get("max_renew_life")) {
    out->max_renew_life_ms = Duration(*d, o->At("max_renew_life"));
  }
}

std::optional<int64_t> Decoder::Duration(const Json& v, const LazyPath& path) {
  const int64_t kMax = kMaxClockAdvanceMs;
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(kMax)) {
      Report(path, "a clock step of " + v.dump() + " ms is longer than " + kMaxClockText);
      return std::nullopt;
    }
    return Integer(v, path, 0, kMax);
  }
  if (!v.is_string()) {
    TypeError(path, "a duration (milliseconds, or a string such as \"30s\" or \"11h\")", v);
    return std::nullopt;
  }
  std::string s = v.get<std::string>();
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  std::string unit = s.substr(digits);
  for (const Named<int64_t>& u : kDurationUnits) {
    if (digits == 0 || digits > 18 || unit != u.name) continue;
    int64_t n = std::stoll(s.substr(0, digits));
    if (n > kMax / u.value) {
      Report(path, "a clock step of '" + s + "' is longer than " + kMaxClockText);
      return std::nullopt;
    }
    return n * u.value;
  }
  Report(path, "invalid duration '" + s +
                   "' (expected a whole number followed by ms, s, m, h or d, e.g. \"11h\")");
  return std::nullopt;
}

LoaderHooks Decoder::Hooks() {
  LoaderHooks hooks;
  hooks.report = [this](const std::string& p, std::string m) { Report(p, std::move(m)); };
  hooks.line = [this](const std::string& p) { return LineOfPath(lines_, p); };
  hooks.member = [](const std::string& p, std::string_view k) { return Member(p, k); };
  hooks.duration = [this](const Json& j, const std::string& p) { return Duration(j, p); };
  hooks.rule_id = [this](const Json& j, const std::string& p) { return RuleIdAt(j, p); };
  return hooks;
}

}  // namespace delegsim::sim::loader_internal
