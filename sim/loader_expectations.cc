#include "sim/loader_expectations.h"

#include <algorithm>
#include <cctype>

#include "kdc/uac.h"
#include "sim/suggest.h"

namespace delegsim::sim {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kRoles[] = {"tgt",     "referral", "service",   "forwarded_tgt",
                                       "s4u_tgt", "s4u2self", "s4u2proxy", "tgs"};
constexpr std::string_view kWellKnownSids[] = {"AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY",
                                               "SERVICE_ASSERTED_IDENTITY", "OTHER_ORGANIZATION"};
constexpr std::string_view kFields[] = {
    "issued",    "klist",  "flags",      "lifetime",       "renew_till",
    "client",    "server", "pac_groups", "not_pac_groups", "pac_user_flags",
    "transited", "error",  "decided_by"};
constexpr std::string_view kFlagNames[] = {"forwardable", "forwarded",     "proxiable",
                                           "proxy",       "renewable",     "initial",
                                           "pre_authent", "ok_as_delegate"};
constexpr std::string_view kKlistLetters = "FfPpRIAO";
// A role may be addressed up to this position ("referral#4": kMaxReferrals in the nodes).
constexpr int kMaxIndex = 64;

std::vector<std::string> Strings(std::span<const std::string_view> names) {
  return {names.begin(), names.end()};
}

std::string JoinNames(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

std::string Hint(std::string_view word, std::span<const std::string_view> names) {
  std::string dym = DidYouMean(word, Strings(names));
  return dym.empty() ? " (expected one of: " + JoinNames(names) + ")" : dym;
}

std::string Shown(const Json& v) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 40 ? s.substr(0, 36) + "...\"" : s;
}

bool IsUpperSymbol(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

class TicketDecoder {
 public:
  explicit TicketDecoder(const LoaderHooks& hooks) : h_(hooks) {}

  void Decode(const Json& v, const std::string& path, std::vector<TicketExpectation>* out) {
    if (!v.is_object()) {
      h_.report(path,
                "expected an object of tickets by role (e.g. {\"forwarded_tgt\": {...}}), "
                "got " +
                    std::string(v.type_name()));
      return;
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string at = h_.member(path, it.key());
      TicketExpectation t;
      t.origin = {at, h_.line(at)};
      if (!Address(it.key(), at, &t)) continue;
      if (Body(it.value(), at, &t)) out->push_back(std::move(t));
    }
  }

 private:
  // "role" or "role#N".
  bool Address(const std::string& key, const std::string& at, TicketExpectation* t) {
    size_t hash = key.find('#');
    t->role = key.substr(0, hash);
    if (std::find(std::begin(kRoles), std::end(kRoles), t->role) == std::end(kRoles)) {
      h_.report(at, "unknown ticket role '" + t->role + "'" + Hint(t->role, kRoles));
      return false;
    }
    if (hash == std::string::npos) return true;
    std::string n = key.substr(hash + 1);
    bool digits = !n.empty() && n.size() <= 3 && std::all_of(n.begin(), n.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    int index = digits ? std::stoi(n) : 0;
    if (index < 1 || index > kMaxIndex) {
      h_.report(at, "'" + key + "': after '#' comes the position of the exchange at the hop, " +
                        "from 1 to " + std::to_string(kMaxIndex) + " (e.g. '" + t->role + "#2')");
      return false;
    }
    t->index = index;
    return true;
  }

  std::optional<std::string> String(const Json& v, const std::string& path) {
    if (!v.is_string() || v.get<std::string>().empty()) {
      h_.report(path, v.is_string() ? "must not be empty"
                                    : "expected a string, got " + std::string(v.type_name()) +
                                          (v.is_primitive() ? " " + Shown(v) : ""));
      return std::nullopt;
    }
    return v.get<std::string>();
  }

  std::optional<std::vector<std::string>> StringList(const Json& v, const std::string& path,
                                                     bool allow_empty_list) {
    if (!v.is_array()) {
      h_.report(path, "expected an array of strings, got " + std::string(v.type_name()));
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
      std::optional<std::string> s = String(v[i], path + "[" + std::to_string(i) + "]");
      if (s) {
        out.push_back(*s);
      } else {
        ok = false;
      }
    }
    if (ok && out.empty() && !allow_empty_list) {
      h_.report(path, "the list is empty (leave the field out instead)");
      return std::nullopt;
    }
    return ok ? std::optional(out) : std::nullopt;
  }

  bool Body(const Json& v, const std::string& at, TicketExpectation* t) {
    if (!v.is_object()) {
      h_.report(at, "expected a ticket expectation object, got " + std::string(v.type_name()));
      return false;
    }
    size_t problems = 0;
    auto bad = [&](const std::string& path, std::string message) {
      h_.report(path, std::move(message));
      ++problems;
    };
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (std::find(std::begin(kFields), std::end(kFields), it.key()) == std::end(kFields)) {
        bad(h_.member(at, it.key()), "unknown field '" + it.key() + "'" + Hint(it.key(), kFields));
      }
    }
    auto get = [&](std::string_view key) -> const Json* {
      auto it = v.find(key);
      return it == v.end() ? nullptr : &*it;
    };
    auto at_key = [&](std::string_view key) { return h_.member(at, key); };
    if (const Json* j = get("issued")) {
      if (j->is_boolean()) {
        t->issued = j->get<bool>();
      } else {
        bad(at_key("issued"), "expected a boolean, got " + std::string(j->type_name()));
      }
    }
    if (const Json* j = get("klist")) {
      if (std::optional<std::string> s =
              j->is_string() ? std::optional(j->get<std::string>()) : String(*j, at_key("klist"))) {
        std::string seen;
        for (char c : *s) {
          if (kKlistLetters.find(c) == std::string_view::npos) {
            bad(at_key("klist"),
                "'" + std::string(1, c) + "' is not a klist -f flag letter " +
                    "(F forwardable, f forwarded, P proxiable, p proxy, R " +
                    "renewable, I initial, A pre-authenticated, O ok-as-delegate)");
          } else if (seen.find(c) != std::string::npos) {
            bad(at_key("klist"), "the letter '" + std::string(1, c) + "' appears twice");
          }
          seen += c;
        }
        t->klist = *s;
      }
    }
    if (const Json* j = get("flags")) {
      if (!j->is_object()) {
        bad(at_key("flags"),
            "expected an object of ticket flags, got " + std::string(j->type_name()));
      } else {
        for (auto it = j->begin(); it != j->end(); ++it) {
          std::string p = h_.member(at_key("flags"), it.key());
          if (std::find(std::begin(kFlagNames), std::end(kFlagNames), it.key()) ==
              std::end(kFlagNames)) {
            bad(p, "unknown ticket flag '" + it.key() + "'" + Hint(it.key(), kFlagNames));
          } else if (!it.value().is_boolean()) {
            bad(p, "expected a boolean, got " + std::string(it.value().type_name()));
          } else {
            t->flags.emplace_back(it.key(), it.value().get<bool>());
          }
        }
      }
    }
    if (const Json* j = get("lifetime")) {
      if (auto d = h_.duration(*j, at_key("lifetime"))) {
        t->lifetime_ms = *d;
      } else {
        ++problems;
      }
    }
    if (const Json* j = get("renew_till")) {
      if (j->is_boolean() && !j->get<bool>()) {
        t->renew_ms = 0;  // false: not renewable
      } else if (auto d = h_.duration(*j, at_key("renew_till"))) {
        t->renew_ms = *d;
      } else {
        ++problems;
      }
    }
    for (auto [key, field] : {std::pair{"client", &t->client}, std::pair{"server", &t->server},
                              std::pair{"error", &t->error}}) {
      if (const Json* j = get(key)) {
        if (auto s = String(*j, at_key(key))) {
          if (std::string_view(key) == "error" && !IsUpperSymbol(*s)) {
            bad(at_key(key), "'" + *s + "' is not an error name (expected an upper-case " +
                                 "symbol such as KDC_ERR_BADOPTION)");
          } else {
            *field = *s;
          }
        } else {
          ++problems;
        }
      }
    }
    for (auto [key, field] : {std::pair{"pac_groups", &t->pac_groups},
                              std::pair{"not_pac_groups", &t->not_pac_groups}}) {
      const Json* j = get(key);
      if (!j) continue;
      std::optional<std::vector<std::string>> names = StringList(*j, at_key(key), false);
      if (!names) {
        ++problems;
        continue;
      }
      for (size_t i = 0; i < names->size(); ++i) {
        const std::string& n = (*names)[i];
        // An upper-case symbol names a well-known SID; anything else a group.
        if (IsUpperSymbol(n) && std::find(std::begin(kWellKnownSids), std::end(kWellKnownSids),
                                          n) == std::end(kWellKnownSids)) {
          bad(at_key(key) + "[" + std::to_string(i) + "]",
              "unknown well-known SID '" + n + "'" + Hint(n, kWellKnownSids));
        }
      }
      *field = std::move(*names);
    }
    if (const Json* j = get("pac_user_flags")) {
      std::optional<std::vector<std::string>> names =
          StringList(*j, at_key("pac_user_flags"), true);
      if (!names) {
        ++problems;
      } else {
        std::vector<std::string_view> known;
        for (const kdc::SamrBitName& b : kdc::SamrBitNames()) known.push_back(b.name);
        for (size_t i = 0; i < names->size(); ++i) {
          if (std::find(known.begin(), known.end(), (*names)[i]) == known.end()) {
            bad(at_key("pac_user_flags") + "[" + std::to_string(i) + "]",
                "unknown USER_* account flag '" + (*names)[i] + "'" + Hint((*names)[i], known));
          }
        }
        t->pac_user_flags = std::move(*names);
      }
    }
    if (const Json* j = get("transited")) {
      if (auto names = StringList(*j, at_key("transited"), true)) {
        t->transited = std::move(*names);
      } else {
        ++problems;
      }
    }
    if (const Json* j = get("decided_by")) {
      if (auto r = h_.rule_id(*j, at_key("decided_by"))) {
        t->decided_by = *r;
      } else {
        ++problems;
      }
    }
    if (v.empty()) {
      bad(at,
          "the ticket expectation checks nothing (give issued, klist, flags, lifetime, "
          "renew_till, client, server, pac_groups, not_pac_groups, pac_user_flags, "
          "transited, error or decided_by)");
    }
    bool issued_false = t->issued && !*t->issued;
    if (issued_false) {
      for (std::string_view k : {"klist", "flags", "lifetime", "renew_till", "client", "server",
                                 "pac_groups", "not_pac_groups", "pac_user_flags", "transited"}) {
        if (get(k)) {
          bad(at_key(k), "'" + std::string(k) +
                             "' describes an issued ticket, but 'issued' is "
                             "false (the exchange is expected to fail)");
        }
      }
    }
    return problems == 0;
  }

  const LoaderHooks& h_;
};

}  // namespace

std::optional<v1::Level> DecodeNumericLevel(const nlohmann::json& v, const std::string& path,
                                            const LoaderHooks& hooks, bool allow_default) {
  constexpr std::string_view kKeys[] = {"rpc_c_imp_level", "security_impersonation_level"};
  if (!v.is_object() || v.size() != 1) {
    hooks.report(path,
                 "expected a level name, or an object with one of rpc_c_imp_level or "
                 "security_impersonation_level (IL-1)");
    return std::nullopt;
  }
  auto it = v.begin();
  std::string at = hooks.member(path, it.key());
  bool rpc = it.key() == kKeys[0];
  if (!rpc && it.key() != kKeys[1]) {
    hooks.report(at, "unknown level numbering '" + it.key() + "'" + Hint(it.key(), kKeys));
    return std::nullopt;
  }
  const nlohmann::json& n = it.value();
  const char* meaning = rpc ? "RPC_C_IMP_LEVEL: 0 default, 1 anonymous, 2 identify, 3 "
                              "impersonate, 4 delegate"
                            : "SECURITY_IMPERSONATION_LEVEL: 0 anonymous, 1 identification, 2 "
                              "impersonation, 3 delegation";
  int64_t max = rpc ? 4 : 3;
  if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<int64_t>() > max ||
      (n.is_number_unsigned() && n.get<uint64_t>() > static_cast<uint64_t>(max))) {
    hooks.report(
        at, "unknown level value " + Shown(n) + " (IL-1 rejects values outside " + meaning + ")");
    return std::nullopt;
  }
  int64_t value = n.get<int64_t>() + (rpc ? 0 : 1);  // v1::Level follows RPC_C_IMP_LEVEL
  if (value == v1::LEVEL_DEFAULT && !allow_default) {
    hooks.report(at, "0 (RPC_C_IMP_LEVEL_DEFAULT) is not a level here; give the level itself");
    return std::nullopt;
  }
  return static_cast<v1::Level>(value);
}

std::span<const std::string_view> TicketRoles() { return kRoles; }
std::span<const std::string_view> WellKnownPacSids() { return kWellKnownSids; }

void DecodeTicketExpectations(const nlohmann::json& v, const std::string& path,
                              const LoaderHooks& hooks, std::vector<TicketExpectation>* out) {
  TicketDecoder(hooks).Decode(v, path, out);
}

}  // namespace delegsim::sim
