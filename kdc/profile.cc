#include "kdc/profile.h"

#include "kdc/directory.h"

namespace delegsim::kdc {

Profile Profile::Windows() { return Profile{}; }

Profile Profile::Mit() {
  Profile p;
  p.name = "mit";
  p.server_nd_clears_forwardable = true;
  p.rbcd_before_classic = true;
  p.protected_users = false;
  p.trust_attributes = false;
  p.max_ticket_life_ms = 24 * 3600 * 1000LL;  // kdc.conf max_life default
  p.max_renew_life_ms = 0;                    // kdc.conf max_renewable_life default
  return p;
}

Profile Profile::Heimdal() {
  Profile p;
  p.name = "heimdal";
  p.s4u2self_requires_t2a4d = true;
  p.tgs_rejects_forbidden_forwardable = true;
  p.server_nd_clears_forwardable = true;
  p.rbcd_before_classic = true;
  p.ok_as_delegate_needs_referral_flag = true;
  // Samba 4.17 AD DC (its Heimdal KDC).
  p.protected_users_needs_2012r2 = false;
  p.protected_users_at_s4u2self = false;
  p.forwarded_tgt_ok_as_delegate = true;
  p.tgs_renewable_needs_renewal_room = true;
  return p;
}

StatusOr<Profile> Profile::FromName(std::string_view name) {
  std::string n = ToLower(name);
  if (n == "windows") return Windows();
  if (n == "mit") return Mit();
  if (n == "heimdal") return Heimdal();
  return InvalidArgument("unknown profile '" + std::string(name) +
                         "' (expected windows, mit or heimdal)");
}

}  // namespace delegsim::kdc
