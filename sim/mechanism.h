// The delegation mechanism that carried a client's identity to a hop.
//
// A hop's decision records say how the caller presented the identity: the caller's own
// decision (the hop's first step) names the rule that gave it the credentials it used
// (IL-5 for a forwarded TGT, KCD-7 or S4U-3 for S4U2proxy, LC-1 for the client's own
// logon session, TK-6 for a LogonUser token), and the KDC's decisions among the hop's
// steps say which S4U path issued the ticket (S4U-1 S4U2self, KCD-1 classic constrained,
// RB-1 resource-based). The classification reads those rule ids only.
//
//   std::string_view m = HopMechanism(hop);        // "constrained"
//   HopMechanismInfo info = DescribeMechanism(hop);  // {"constrained", {"KCD-7", "KCD-1"}}
#ifndef DELEGSIM_SIM_MECHANISM_H_
#define DELEGSIM_SIM_MECHANISM_H_

#include <string>
#include <string_view>
#include <vector>

#include "proto/envelope.pb.h"

namespace delegsim::sim {

// One of:
//   direct               the caller presented its own logon (the client, or a service
//                        calling as itself)
//   unconstrained        a forwarded TGT (IL-5; also a child process that kept it, TK-5)
//   constrained          S4U2proxy with the evidence ticket the client presented (KCD-1)
//   protocol_transition  S4U2self then S4U2proxy by the classic list (S4U-1 and KCD-1, S4U-3)
//   rbcd                 S4U2proxy allowed by the target's resource-based ACL (RB-1), also
//                        after S4U2self (RB-4), as `delegsim reach` names it
//   local_session        a local server's use of the client's own logon session (LC-1)
//   logon_user           a token from LogonUser with the user's password (TK-6)
//   none                 the hop was refused
std::string_view HopMechanism(const v1::HopResult& hop);

struct HopMechanismInfo {
  std::string_view mechanism;      // as HopMechanism
  std::vector<std::string> rules;  // the rule ids it was read from, in the order found
};
HopMechanismInfo DescribeMechanism(const v1::HopResult& hop);

// "unconstrained delegation (forwarded TGT)", "constrained delegation (S4U2proxy)", ...
std::string_view MechanismLabel(std::string_view mechanism);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_MECHANISM_H_
