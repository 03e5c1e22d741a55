// The sans-I/O contract between node logic and a runtime.
//
// A Node reacts to a delivered Envelope or a fired timer and acts only through its
// NodeContext: send an envelope, read the simulated clock, start or cancel a timer, and
// record a trace entry. Nodes never touch sockets, clocks or threads, so the same node
// code runs under the deterministic virtual-time runtime (sim/) and the Asio TCP
// runtime (net/).
//
//   void MyNode::OnMessage(v1::Envelope& env, NodeContext& ctx) {
//     v1::Envelope reply; reply.set_to(env.from()); reply.set_correlation(env.correlation());
//     ctx.Send(std::move(reply));
//   }
//
// Threading: a runtime calls a node from one thread at a time; a node needs no locks.
#ifndef DELEGSIM_NODES_CONTEXT_H_
#define DELEGSIM_NODES_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/decision.h"
#include "common/status.h"
#include "kdc/ticket.h"
#include "proto/envelope.pb.h"

namespace delegsim::nodes {

using NodeId = uint32_t;  // index of a node in its runtime; 0 is never a node
using TimerId = uint64_t;
using kdc::Time;

enum class TraceKind : uint8_t {
  kSend,              // an envelope left a node (runtime)
  kDeliver,           // an envelope reached a node (runtime)
  kDrop,              // an envelope could not be delivered (runtime)
  kWireDecodeError,   // a frame did not decode or was oversized (runtime)
  kConnectionClosed,  // a connection was closed (runtime)
  kKdcDecision,       // the KDC decided a request
  kTicketIssued,      // the KDC issued a ticket
  kAuthDecision,      // a client or server decided something about authentication
  kImpersonate,       // a server thread started impersonating
  kRevert,            // a thread reverted to self
  kAccessCheck,       // an access check or object open
  kProcess,           // a process was created or a logon made
  kCallRefused,       // a call was refused (by the caller or the callee)
  kHop,               // a hop's final outcome, recorded by its caller (`hop` is set)
  kTimeout,           // a bounded wait ran out
  kHostDown,          // a host's process ended mid-run (runtime; net/process_runtime.h)
};
std::string_view TraceKindName(TraceKind kind);

// A token as a debugger shows it: what a thread (or a new process) runs as after an
// IMPERSONATE, REVERT or PROCESS record. Principals are directory ids
// (kdc::Directory::FullName names them), so taking a snapshot costs no name lookups.
struct TokenView {
  uint32_t user = 0;                    // principal id; 0: anonymous
  std::vector<uint32_t> groups;         // principal ids, ascending
  std::vector<std::string> privileges;  // "SeImpersonatePrivilege", ...
  std::string level;                    // "anonymous" | "identify" | "impersonate" | "delegate"
  std::string net_creds;                // "none", "tgt", "own_session", "s4u_proxy{...}"
  std::string net_creds_rule;           // rule that gave the net_creds, or why there are none
  bool primary = false;                 // a process token, not a thread's impersonation token
  std::string host;                     // the host the token lives on
};

// One entry of the trace. The runtime fills time, seq and node.
struct TraceRecord {
  Time time = 0;
  uint64_t seq = 0;
  std::string node;
  TraceKind kind = TraceKind::kSend;
  std::string path;     // hop path the record belongs to, when known ("c1/web")
  std::string summary;  // one line for people
  // Decisions (KDC_DECISION, AUTH_DECISION, IMPERSONATE, ACCESS_CHECK, ...): the decision
  // itself, from which Rules(), Facts() and Explain() are rendered when someone reads them.
  std::shared_ptr<const Decision> decision;
  // kHop only: the hop's outcome (without its children, which have records of their own).
  std::shared_ptr<const v1::HopResult> hop;
  // kTicketIssued only: the ticket issued (its client-readable view).
  std::shared_ptr<const v1::TicketBody> ticket;
  // kImpersonate, kRevert, kProcess (from process nodes): the token the thread, or the new
  // process, runs as after the record; null for other records.
  std::shared_ptr<const TokenView> token;
  // kSend and kDeliver, only while the runtime captures messages (Runtime::CaptureMessages):
  // the envelope as sent (from set) or as parsed on delivery.
  std::shared_ptr<const v1::Envelope> message;

  // Rule ids that decided, decider first; facts "name=value" in the order read; the
  // generated explanation. Empty for records without a decision.
  std::vector<std::string> Rules() const;
  std::vector<std::string> Facts() const;
  std::string Explain() const;
};

class NodeContext {
 public:
  virtual ~NodeContext() = default;
  // Simulated time in milliseconds since the scenario's epoch.
  virtual Time Now() const = 0;
  // Sends `env` to env.to(); the runtime sets env.from(). Delivery may fail later, in
  // which case the sender's Node::OnUndeliverable is called.
  virtual void Send(v1::Envelope env) = 0;
  // Fires Node::OnTimer(id) after `delay` ms of simulated (virtual) or real (tcp) time.
  virtual TimerId StartTimer(Time delay) = 0;
  // A timer that bounds a wait for a reply. Under simulated time its expiry is an event of
  // the simulated world like any other. Under real time (tcp) every reply arrives, or its
  // connection closes and the request is reported undeliverable, unless the process
  // itself stalls (paused, starved): there the runtime records the expiry as a failure of
  // the run (Runtime::Failure), and the run ends as "did not complete". It still fires.
  virtual TimerId StartDeadline(Time delay) { return StartTimer(delay); }
  virtual void CancelTimer(TimerId id) = 0;
  virtual void Trace(TraceRecord record) = 0;
  // Whether node `peer` runs on the same simulated host as this node. The runtime knows
  // where each node was added (and, over tcp, which authenticated node sent a frame), so
  // this is the attested answer to "is the sender local?": never take it from a message.
  // False for an unknown node.
  virtual bool SameHost(NodeId peer) const = 0;
  // Whether anyone consumes trace records. When not, nodes skip building them (their
  // summaries and decision snapshots are the costliest part of a record); Trace() may
  // still be called and is then a no-op.
  virtual bool Tracing() const = 0;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual std::string_view name() const = 0;
  // `env` belongs to the runtime, which discards it afterwards: a node may move parts out.
  virtual void OnMessage(v1::Envelope& env, NodeContext& ctx) = 0;
  virtual void OnTimer(TimerId timer, NodeContext& ctx) = 0;
  // `env`, sent by this node, was not delivered (connection closed, frame rejected).
  virtual void OnUndeliverable(const v1::Envelope& env, const Status& why, NodeContext& ctx) = 0;
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_CONTEXT_H_
