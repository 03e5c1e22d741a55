// Kdc: the mock Key Distribution Center, one engine for every realm of a Directory.
//
// Each exchange runs an ordered list of named checks (kdc/kdc.cc, in the manner of
// krb5's tgs_policy.c). Every answer is a KdcResult whose Decision names the rule that
// decided and carries every check that ran with the facts it read; issued tickets
// come back both as the body and sealed. `now` is a parameter: no rule reads a clock.
//
//   Kdc kdc(dir, Profile::Windows());
//   KdcResult tgt = kdc.As(corp, as_req, now);
//   KdcResult st = kdc.Tgs(corp, tgs_req, now);   // service, forwarded TGT, referral, S4U
//   if (!st.decision.allowed()) std::cout << st.decision.Explain();
#ifndef DELEGSIM_KDC_KDC_H_
#define DELEGSIM_KDC_KDC_H_

#include <string>
#include <string_view>

#include "common/decision.h"
#include "kdc/directory.h"
#include "kdc/profile.h"
#include "kdc/ticket.h"
#include "proto/kerberos.pb.h"

namespace delegsim::kdc {

inline constexpr Time kDefaultTicketLife = 10 * kHour;
inline constexpr Time kProtectedUsersTicketLife = 4 * kHour;  // PU-2

struct KdcResult {
  Decision decision;
  v1::TicketBody ticket;    // the issued ticket, when decision.allowed()
  v1::SealedTicket sealed;  // the same, sealed for its server
};

struct NtlmResult {
  Decision decision;
  PrincipalId user = kNobody;
};

class Kdc {
 public:
  // Borrows `dir`, which must be finalized and outlive the Kdc.
  Kdc(const Directory& dir, Profile profile);
  Kdc(const Kdc&) = delete;
  Kdc& operator=(const Kdc&) = delete;

  // AS exchange at the KDC of `realm`: a TGT for req.client.
  KdcResult As(DomainId realm, const v1::AsReq& req, Time now) const;
  // TGS exchange at the KDC of `realm`. Dispatches on the request: S4U2self (for_user),
  // S4U2proxy (cname_in_addl_tkt), a FORWARDED TGT (sname = own krbtgt), a referral TGT
  // (a service or krbtgt of another realm), or an ordinary service ticket.
  KdcResult Tgs(DomainId realm, const v1::TgsReq& req, Time now) const;
  // NetLogon validation of an NTLM AUTHENTICATE answering `challenge` (DS-12, PU-2).
  NtlmResult ValidateNtlm(const v1::NtlmAuthenticate& msg) const;

  const Directory& directory() const { return dir_; }
  const Profile& profile() const { return profile_; }

 private:
  const Directory& dir_;
  Profile profile_;
};

// Pre-authentication proof for an AS-REQ made at `timestamp` with `key`.
std::string PreauthProof(std::string_view key, Time timestamp);
// Answer to an NTLM challenge with `key`.
std::string NtlmProof(std::string_view key, std::string_view challenge);

// Decision <-> wire record.
v1::DecisionRecord ToRecord(const Decision& d);
Decision FromRecord(const v1::DecisionRecord& r);
// The record serialized, for the opaque fields that carry records along (KdcRep.decision,
// HopResult.steps), and back. Bytes that do not decode give an empty record.
std::string EncodeRecord(const Decision& d);
v1::DecisionRecord DecodeRecord(const std::string& bytes);
// The facts of one check record, "name=value", in the order read.
std::vector<std::string> RecordFacts(const v1::CheckRecord& c);

}  // namespace delegsim::kdc

#endif  // DELEGSIM_KDC_KDC_H_
