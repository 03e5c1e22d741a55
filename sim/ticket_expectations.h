// Checking ticket expectations (sim/scenario.h TicketExpectation) against the tickets a
// hop recorded (v1::HopResult.tickets), and showing those tickets in reports.
//
//   const v1::HopTicket* t = FindHopTicket(hop, "referral", 2);
//   CheckTicketExpectation(e, hop, [&](field, expected, actual) { ... });
#ifndef DELEGSIM_SIM_TICKET_EXPECTATIONS_H_
#define DELEGSIM_SIM_TICKET_EXPECTATIONS_H_

#include <functional>
#include <string>
#include <vector>

#include "proto/envelope.pb.h"
#include "sim/scenario.h"

namespace delegsim::sim {

using TicketFail = std::function<void(const std::string& field, const std::string& expected,
                                      const std::string& actual)>;

// The `index`th (from 1) ticket of `role` at the hop, or nullptr.
const v1::HopTicket* FindHopTicket(const v1::HopResult& hop, const std::string& role, int index);
// Names of the USER_* bits set in a PAC's user account control.
std::vector<std::string> PacUserFlagNames(uint32_t samr_bits);
// Checks `e` against the hop's tickets; each mismatch is reported through `fail` with the
// field named "tickets.<role>[#n].<field>".
void CheckTicketExpectation(const TicketExpectation& e, const v1::HopResult& hop,
                            const TicketFail& fail);
// One line per ticket for reports: "forwarded_tgt alice@CORP.EXAMPLE -> krbtgt/CORP.EXAMPLE
// [FfRA] 10h, renew 7d, by UD-3", or "s4u2proxy KDC_ERR_BADOPTION by KCD-1".
std::string DescribeHopTicket(const v1::HopTicket& t);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_TICKET_EXPECTATIONS_H_
