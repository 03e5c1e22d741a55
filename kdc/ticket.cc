#include "kdc/ticket.h"

#include "kdc/crypto.h"

namespace delegsim::kdc {

v1::SealedTicket Seal(const v1::TicketBody& body, std::string_view key, std::string_view kdc_key) {
  v1::SealedTicket s;
  s.set_realm(body.realm());
  s.set_sname(body.sname());
  body.SerializeToString(s.mutable_body());
  s.set_mac(Hmac(key, s.body()));
  if (!kdc_key.empty()) s.set_kdc_mac(Hmac(kdc_key, s.body()));
  return s;
}

StatusOr<v1::TicketBody> OpenAsKdc(const v1::SealedTicket& sealed, std::string_view key,
                                   std::string_view kdc_key) {
  if (kdc_key.empty() || !MacEquals(Hmac(kdc_key, sealed.body()), sealed.kdc_mac())) {
    return Unauthenticated("KDC signature of ticket " + sealed.sname() + "@" + sealed.realm() +
                           " does not verify");
  }
  return Open(sealed, key);
}

StatusOr<v1::TicketBody> Open(const v1::SealedTicket& sealed, std::string_view key) {
  if (key.empty() || !MacEquals(Hmac(key, sealed.body()), sealed.mac())) {
    return Unauthenticated("ticket seal for " + sealed.sname() + "@" + sealed.realm() +
                           " does not verify");
  }
  v1::TicketBody body;
  if (!body.ParseFromString(sealed.body())) {
    return InvalidArgument("ticket body does not decode");
  }
  if (body.sname() != sealed.sname() || body.realm() != sealed.realm()) {
    return Unauthenticated("ticket clear-text names differ from its sealed body");
  }
  return body;
}

std::string KlistFlags(uint32_t flags) {
  std::string out;
  if (flags & v1::TICKET_FLAG_FORWARDABLE) out += 'F';
  if (flags & v1::TICKET_FLAG_FORWARDED) out += 'f';
  if (flags & v1::TICKET_FLAG_PROXIABLE) out += 'P';
  if (flags & v1::TICKET_FLAG_PROXY) out += 'p';
  if (flags & v1::TICKET_FLAG_RENEWABLE) out += 'R';
  if (flags & v1::TICKET_FLAG_INITIAL) out += 'I';
  if (flags & v1::TICKET_FLAG_PRE_AUTHENT) out += 'A';
  if (flags & v1::TICKET_FLAG_OK_AS_DELEGATE) out += 'O';
  return out;
}

std::string FlagNames(uint32_t flags) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {v1::TICKET_FLAG_FORWARDABLE, "forwardable"},
      {v1::TICKET_FLAG_FORWARDED, "forwarded"},
      {v1::TICKET_FLAG_PROXIABLE, "proxiable"},
      {v1::TICKET_FLAG_PROXY, "proxy"},
      {v1::TICKET_FLAG_RENEWABLE, "renewable"},
      {v1::TICKET_FLAG_INITIAL, "initial"},
      {v1::TICKET_FLAG_PRE_AUTHENT, "pre_authent"},
      {v1::TICKET_FLAG_OK_AS_DELEGATE, "ok_as_delegate"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

void AddFlagCause(v1::TicketBody& t, std::string_view flag, RuleId rule, const Fact& fact) {
  for (v1::FlagCause& c : *t.mutable_causes()) {
    if (c.flag() == flag) {
      c.set_rule(std::string(RuleCode(rule)));
      c.set_fact(fact.ToString());
      return;
    }
  }
  v1::FlagCause* c = t.add_causes();
  c->set_flag(std::string(flag));
  c->set_rule(std::string(RuleCode(rule)));
  c->set_fact(fact.ToString());
}

std::vector<Cause> FlagCauses(const v1::TicketBody& t, std::string_view flag) {
  std::vector<Cause> out;
  for (const v1::FlagCause& c : t.causes()) {
    if (c.flag() != flag) continue;
    std::optional<RuleId> rule = ParseRuleId(c.rule());
    if (!rule) continue;
    size_t eq = c.fact().find('=');
    out.push_back({*rule, Fact(c.fact().substr(0, eq),
                               eq == std::string::npos ? "" : c.fact().substr(eq + 1))});
  }
  return out;
}

}  // namespace delegsim::kdc
