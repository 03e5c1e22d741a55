// Predicted Windows security events: for a run, the events the real domain controllers
// and servers would log for each hop (docs/security-events.md gives every field's meaning
// and source). A blue team can read what its SIEM will see before deploying a design.
//
//   runtime->CaptureMessages(true);  world->Run();
//   for (const SecurityEvent& e : PredictSecurityEvents(*world)) std::cout << e.ToText();
//
// On the DC: 4768 (a TGT was requested) for every AS exchange and 4769 (a service ticket
// was requested) for every TGS exchange, success or failure, with ticket options, result
// codes and, for S4U2proxy, the transited services. On a server: 4624 (logon type 3,
// with impersonation level, package and logon process) for a network call it accepted,
// 4625 for one it refused, and 4648 for LogonUser with explicit credentials. Derived from
// the captured envelopes and the hop results, never from summary strings.
#ifndef DELEGSIM_SIM_SECURITY_EVENTS_H_
#define DELEGSIM_SIM_SECURITY_EVENTS_H_

#include <string>
#include <utility>
#include <vector>

#include "sim/world.h"

namespace delegsim::sim {

struct SecurityEvent {
  int id = 0;            // 4768, 4769, 4624, 4625, 4648
  std::string computer;  // where it is logged: the DC ("kdc.corp.example") or the host
  std::string path;      // the hop it belongs to, when known ("c1/web")
  uint64_t seq = 0;      // trace sequence number of the record it comes from
  // Fields as the Event Viewer names them, in its order: {"Ticket Options", "0x40810000"}.
  std::vector<std::pair<std::string, std::string>> fields;

  std::string Title() const;   // "A Kerberos service ticket was requested"
  std::string ToText() const;  // one line
  std::string ToJson() const;  // one JSON object
};

// The events of a completed run. The runtime must have captured messages
// (Runtime::CaptureMessages) for the DC events; server events come from the hop results.
// In trace order.
std::vector<SecurityEvent> PredictSecurityEvents(const World& world);

// The events as text, one per line under a heading, for the report.
std::string SecurityEventsText(const std::vector<SecurityEvent>& events);
// One JSON Lines trace record: {"kind":"SECURITY_EVENT","event":{...}}.
std::string SecurityEventTraceLine(const SecurityEvent& event);

// `run_json` (sim::RenderJson's object) with an "events" array added.
std::string AddEventsToJson(const std::string& run_json, const std::vector<SecurityEvent>& events);

// The hexadecimal result code Windows logs for a Kerberos error name ("KDC_ERR_BADOPTION"
// -> "0xD", RFC 4120 7.5.9); "0x0" for none; the name itself when unknown.
std::string KerberosResultCode(const std::string& error);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_SECURITY_EVENTS_H_
