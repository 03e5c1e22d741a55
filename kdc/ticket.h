// Tickets: the body (v1::TicketBody, the enc-part), its seal, and flag helpers.
//
// The KDC seals a ticket with the long-term key of the service it is for (a TGT with the
// realm's krbtgt key); only that service (or the KDC) can verify it. Verification uses
// the received bytes, so any change to them, or a seal made with any other key, fails
// with DS-1.
//
//   v1::SealedTicket s = Seal(body, dir.KeyOf(web));
//   StatusOr<v1::TicketBody> t = Open(s, my_key);   // kUnauthenticated if forged/altered
#ifndef DELEGSIM_KDC_TICKET_H_
#define DELEGSIM_KDC_TICKET_H_

#include <string>
#include <string_view>

#include "common/decision.h"
#include "common/status.h"
#include "proto/kerberos.pb.h"

namespace delegsim::kdc {

using Time = int64_t;  // simulated milliseconds since the scenario's epoch
inline constexpr Time kHour = 3600 * 1000;

// Seals `body` for its server (`key`: an HMAC of the serialized body) and signs it for the
// KDC (`kdc_key`, the issuing realm's krbtgt key: an HMAC of the server's MAC; empty
// leaves the ticket without a KDC signature).
v1::SealedTicket Seal(const v1::TicketBody& body, std::string_view key,
                      std::string_view kdc_key = {});
// Verifies the seal with `key` and decodes the body. kUnauthenticated when the seal does
// not verify (DS-1), kInvalidArgument when the body does not decode.
StatusOr<v1::TicketBody> Open(const v1::SealedTicket& sealed, std::string_view key);
// As Open, and also verifies the KDC signature with `kdc_key` (what a KDC does with the
// tickets presented to it).
StatusOr<v1::TicketBody> OpenAsKdc(const v1::SealedTicket& sealed, std::string_view key,
                                   std::string_view kdc_key);

inline bool HasFlag(const v1::TicketBody& t, v1::TicketFlag f) { return t.flags() & f; }
inline void SetFlag(v1::TicketBody& t, v1::TicketFlag f, bool on) {
  t.set_flags(on ? (t.flags() | f) : (t.flags() & ~static_cast<uint32_t>(f)));
}
inline bool IsTgt(const v1::TicketBody& t) { return t.sname().rfind("krbtgt/", 0) == 0; }

// `klist -f` letters for a flag set, e.g. "FRIA" (F forwardable, f forwarded, P proxiable,
// p proxy, R renewable, I initial, A pre-authent, O ok-as-delegate).
std::string KlistFlags(uint32_t flags);
// Names of the set flags, comma-separated: "forwardable,initial".
std::string FlagNames(uint32_t flags);
// The bit of a flag named as FlagNames names it ("ok_as_delegate"); 0 for an unknown name.
uint32_t FlagBit(std::string_view name);

// Records why `flag` is absent (the rule and the fact it read), replacing an earlier cause.
void AddFlagCause(v1::TicketBody& t, std::string_view flag, RuleId rule, const Fact& fact);
// The recorded causes for `flag`, as Decision causes.
std::vector<Cause> FlagCauses(const v1::TicketBody& t, std::string_view flag);

}  // namespace delegsim::kdc

#endif  // DELEGSIM_KDC_TICKET_H_
