#include "nodes/context.h"

#include "nodes/trace_log.h"

namespace delegsim::nodes {

std::string_view TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kSend:
      return "SEND";
    case TraceKind::kDeliver:
      return "DELIVER";
    case TraceKind::kDrop:
      return "DROP";
    case TraceKind::kWireDecodeError:
      return "WIRE_DECODE_ERROR";
    case TraceKind::kConnectionClosed:
      return "CONNECTION_CLOSED";
    case TraceKind::kKdcDecision:
      return "KDC_DECISION";
    case TraceKind::kTicketIssued:
      return "TICKET_ISSUED";
    case TraceKind::kAuthDecision:
      return "AUTH_DECISION";
    case TraceKind::kImpersonate:
      return "IMPERSONATE";
    case TraceKind::kRevert:
      return "REVERT";
    case TraceKind::kAccessCheck:
      return "ACCESS_CHECK";
    case TraceKind::kProcess:
      return "PROCESS";
    case TraceKind::kCallRefused:
      return "CALL_REFUSED";
    case TraceKind::kHop:
      return "HOP";
    case TraceKind::kTimeout:
      return "TIMEOUT";
    case TraceKind::kHostDown:
      return "HOST_DOWN";
  }
  return "?";
}

std::vector<std::string> TraceRecord::Rules() const { return TraceView(*this).Rules(); }

std::vector<std::string> TraceRecord::Facts() const { return TraceView(*this).Facts(); }

std::string TraceRecord::Explain() const { return TraceView(*this).Explain(); }

}  // namespace delegsim::nodes
