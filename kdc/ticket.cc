#include "kdc/ticket.h"

#include "kdc/crypto.h"

namespace delegsim::kdc {

v1::SealedTicket Seal(const v1::TicketBody& body, std::string_view key, std::string_view kdc_key) {
  v1::SealedTicket s;
  s.set_realm(body.realm());
  s.set_sname(body.sname());
  body.SerializeToString(s.mutable_body());
  s.set_mac(Hmac(key, s.body()));
  if (kdc_key.empty()) return s;
  // The KDC signs the server's MAC, which binds the body (as MS-PAC's KDC signature signs
  // the server signature): 32 bytes to MAC instead of the whole body. A TGT is sealed
  // twice under the same (krbtgt) key: its two MACs are equal.
  s.set_kdc_mac(kdc_key == key ? s.mac() : Hmac(kdc_key, s.mac()));
  return s;
}

namespace {

StatusOr<v1::TicketBody> Decode(const v1::SealedTicket& sealed) {
  v1::TicketBody body;
  if (!body.ParseFromString(sealed.body())) {
    return InvalidArgument("ticket body does not decode");
  }
  if (body.sname() != sealed.sname() || body.realm() != sealed.realm()) {
    return Unauthenticated("ticket clear-text names differ from its sealed body");
  }
  return body;
}

Status SealFailed(const v1::SealedTicket& sealed) {
  return Unauthenticated("ticket seal for " + sealed.sname() + "@" + sealed.realm() +
                         " does not verify");
}

Status KdcSignatureFailed(const v1::SealedTicket& sealed) {
  return Unauthenticated("KDC signature of ticket " + sealed.sname() + "@" + sealed.realm() +
                         " does not verify");
}

}  // namespace

StatusOr<v1::TicketBody> OpenAsKdc(const v1::SealedTicket& sealed, std::string_view key,
                                   std::string_view kdc_key) {
  if (kdc_key.empty()) return KdcSignatureFailed(sealed);
  // A TGT is sealed twice under the same (krbtgt) key: one MAC of the body verifies both
  // seals. Otherwise the KDC signature is over the server's MAC as received (Seal), and
  // the server's MAC over the body.
  if (key == kdc_key) {
    const std::string mac = Hmac(kdc_key, sealed.body());
    if (!MacEquals(mac, sealed.kdc_mac())) return KdcSignatureFailed(sealed);
    if (!MacEquals(mac, sealed.mac())) return SealFailed(sealed);
    return Decode(sealed);
  }
  if (!MacEquals(Hmac(kdc_key, sealed.mac()), sealed.kdc_mac())) return KdcSignatureFailed(sealed);
  if (key.empty() || !MacEquals(Hmac(key, sealed.body()), sealed.mac())) return SealFailed(sealed);
  return Decode(sealed);
}

StatusOr<v1::TicketBody> Open(const v1::SealedTicket& sealed, std::string_view key) {
  if (key.empty() || !MacEquals(Hmac(key, sealed.body()), sealed.mac())) return SealFailed(sealed);
  return Decode(sealed);
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

namespace {
constexpr std::pair<uint32_t, const char*> kFlagNames[] = {
    {v1::TICKET_FLAG_FORWARDABLE, "forwardable"},
    {v1::TICKET_FLAG_FORWARDED, "forwarded"},
    {v1::TICKET_FLAG_PROXIABLE, "proxiable"},
    {v1::TICKET_FLAG_PROXY, "proxy"},
    {v1::TICKET_FLAG_RENEWABLE, "renewable"},
    {v1::TICKET_FLAG_INITIAL, "initial"},
    {v1::TICKET_FLAG_PRE_AUTHENT, "pre_authent"},
    {v1::TICKET_FLAG_OK_AS_DELEGATE, "ok_as_delegate"},
};
}  // namespace

std::string FlagNames(uint32_t flags) {
  std::string out;
  for (const auto& [bit, name] : kFlagNames) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

uint32_t FlagBit(std::string_view name) {
  for (const auto& [bit, n] : kFlagNames) {
    if (name == n) return bit;
  }
  return 0;
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
