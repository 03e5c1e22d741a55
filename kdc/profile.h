// KDC behaviour profiles (RULES.md section (b)): one engine, options that select where
// real KDCs differ. `windows` is the default; `mit` and `heimdal` follow those KDCs.
// The legacy RBCD switch (C8) can be combined with any profile.
//
//   StatusOr<Profile> p = Profile::FromName("heimdal");
//   p->legacy_rbcd_nonforwardable_ok = true;
#ifndef DELEGSIM_KDC_PROFILE_H_
#define DELEGSIM_KDC_PROFILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace delegsim::kdc {

struct Profile {
  std::string name = "windows";
  // C9: S4U2self is forwardable only when the service has T2A4D (Heimdal), instead of
  // the Windows/MIT rule of S4U-2.
  bool s4u2self_requires_t2a4d = false;
  // C12: a TGS request for FORWARDABLE that policy forbids gets KDC_ERR_BADOPTION
  // (Heimdal) instead of a ticket without the flag (UD-6).
  bool tgs_rejects_forbidden_forwardable = false;
  // C13: NOT_DELEGATED on the *server* account also clears FORWARDABLE on tickets to it
  // (MIT, Heimdal). Windows applies ND to the client only.
  bool server_nd_clears_forwardable = false;
  // C8: accept a non-forwardable S4U2self evidence ticket for RBCD when the user is not
  // sensitive (Windows 2012-2019 before the CVE-2020-17049 fixes).
  bool legacy_rbcd_nonforwardable_ok = false;
  // RB-1: MIT and Heimdal try RBCD before the classic A2D2 check; Windows after it.
  bool rbcd_before_classic = false;
  // PU-*: the KDC knows the Protected Users group (MIT has no such concept).
  bool protected_users = true;
  // XR-1: referral TGTs get OK-AS-DELEGATE from trust attributes (Windows). MIT has no
  // trust-attribute logic: its cross-realm krbtgt entries carry no ok_as_delegate.
  bool trust_attributes = true;
  // UD-1 (Heimdal): a service ticket obtained with a cross-realm TGT is OK-AS-DELEGATE
  // only if that TGT was too.
  bool ok_as_delegate_needs_referral_flag = false;
  // DS-15: ticket lifetime and renewal policy, in simulated ms. Windows domain policy
  // (Maximum lifetime for user ticket: 10 h; for user ticket renewal: 7 days) and Samba
  // (kdc:user ticket lifetime 10 h, kdc:renewal lifetime 168 h) agree; MIT's kdc.conf
  // defaults are max_life 24 h and max_renewable_life 0, so no MIT ticket is renewable
  // unless the realm says so. A renew life of 0 issues no RENEWABLE ticket.
  int64_t max_ticket_life_ms = 10 * 3600 * 1000LL;
  int64_t max_renew_life_ms = 7 * 24 * 3600 * 1000LL;
  // PU-1/PU-2 (Windows, KILE-AS): Protected Users applies only when the user's domain runs
  // at 2012 R2 or above. Samba applies it whatever the functional level
  // (dsdb_is_protected_user() in source4/kdc/db-glue.c reads only the membership).
  bool protected_users_needs_2012r2 = true;
  // PU-1 (Windows): an S4U2self ticket for a Protected User is never forwardable. Samba
  // applies Protected Users when the TGT is issued (the AS exchange) and not to S4U2self.
  bool protected_users_at_s4u2self = true;
  // UD-1 (Samba): a TGT issued by the TGS exchange (the forwarded TGT) carries
  // OK-AS-DELEGATE, because Heimdal copies the server entry's ok_as_delegate into every
  // TGS reply and Samba's krbtgt entry has it (observed in issue 12's interop runs).
  bool forwarded_tgt_ok_as_delegate = false;
  // DS-15 (Heimdal): a TGS reply whose end time reaches its renew-till is issued without
  // RENEWABLE (tgs_make_reply() in kdc/krb5tgs.c: "et.endtime == *et.renew_till"), as a
  // Protected User's service tickets under a 4 h TGT are on Samba.
  bool tgs_renewable_needs_renewal_room = false;

  static Profile Windows();
  static Profile Mit();
  static Profile Heimdal();
  // "windows" | "mit" | "heimdal" (case-insensitive).
  static StatusOr<Profile> FromName(std::string_view name);
};

}  // namespace delegsim::kdc

#endif  // DELEGSIM_KDC_PROFILE_H_
