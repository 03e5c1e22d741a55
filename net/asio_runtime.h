// AsioRuntime: the real-network Runtime. Nodes run on one asio::io_context, on the thread
// that calls RunUntil; every simulated host is a loopback address (127.0.0.0/8) and every
// node listens on its host's address. An envelope crosses a real TCP connection between
// the sender's and the receiver's host addresses as a length-prefixed frame
// (net/frame.h), so node code meets real sockets, real interleavings and real failures.
//
//   AsioRuntime rt;
//   NodeId web = rt.AddNode(std::make_unique<ServiceNode>(...), "127.0.1.2");
//   if (Status s = rt.Start(); !s.ok()) return s;
//   rt.Post(client, [](Node& n, NodeContext& ctx) { ... });
//   Status s = rt.RunUntil([&] { return done; }, 5'000);
//
// Connections: one per ordered pair of nodes, opened lazily by the first Send in either
// direction from the sender's host address (bound before connecting) to the receiver's
// listener, and reused both ways. Before any envelope crosses it, a connection is
// authenticated (net/handshake.h): both ends prove they hold the run secret, and the
// opening end names itself and the node it wants; the accepting node takes that name as
// its peer only once proven, and only if the connection comes from that node's host
// address. A connection that fails the handshake is traced DROP ("unauthenticated
// connection ...") and closed; nothing it sent is delivered and it never carries a reply.
// If both sides connect at once, both connections live; each direction keeps using the
// connection it sent on first, so delivery stays exactly once and in order per direction.
// Writes are queued, one async_write at a time per socket.
//
// Checks on receipt: a frame whose header exceeds the maximum or whose body is not a
// v1::Envelope is traced WIRE_DECODE_ERROR; a well-formed envelope that is not addressed
// to the receiving node or names another sender than the authenticated peer is traced
// DROP. Either way that connection is closed (CONNECTION_CLOSED) and the node keeps
// serving its other connections. So an envelope's `from` is always the authenticated
// sender, and NodeContext::SameHost compares the hosts the nodes were added on.
//
// The run secret: AsioRuntimeOptions::run_secret, or a fresh random one made by Start().
// A runtime of several processes hands it to each out of band (net/handshake.h).
//
// Runtime failures (Failure(), and RunUntil returns them at once): a reply deadline
// (NodeContext::StartDeadline) that expired in real time; an envelope above the frame
// maximum, which is not sent (its sender is told at once, and when it is a reply, so is
// the caller waiting for it); a listener whose accept fails (e.g. out of file
// descriptors), which then pauses accepting for kAcceptRetryMs and logs once.
//
// Failures reach the sender as events: when a connection closes, every request sent on it
// (as_req, tgs_req, ntlm_negotiate, ntlm_validate_req, call) not yet answered by a reply
// with the same correlation is passed to the sender's Node::OnUndeliverable with
// kUnavailable "connection 127.0.1.2 -> 127.0.1.3 closed: <reason>". Sending to an unknown
// node gives kNotFound, an envelope above the frame maximum kResourceExhausted, and a
// Send before Start() kFailedPrecondition. Each is traced DROP when it is reported.
//
// Time: Now() is simulated time in integer milliseconds, kept as the virtual runtime
// keeps it, so that both runtimes take the same decisions at the same instants (ticket
// lifetimes, clock steps): every AdvanceClock delta, plus nodes::kLinkLatencyMs for each
// hop: an envelope carries its sender's clock (Envelope.sent_at_ms) and its delivery
// moves the clock to at least that plus the latency; a timer's firing moves it to the
// simulated time it was due. Real time drives only the waits: timers wait in real time
// (AdvanceClock does not hurry them), and so do RunUntil budgets. The world stands still
// while the trace sink runs: timers and the RunUntil budget leave that time out, so a
// sink that blocks (a debugger waiting for its user, `delegsim step`) makes no request
// time out.
//
// Host mode (a host process of a multi-process run, net/host_process.h): with
// AsioRuntimeOptions::local_host set, every node of the world is still added (so node ids
// agree in every process), but only the nodes added on `local_host` run here. They share
// one listener (listen_ip:listen_port), and HELLO's `to` picks the node; the other nodes
// are reached at the endpoints SetPeers() names, and their connections must come from
// the peer's address. One more kind of authenticated connection is accepted: the
// controller's (HELLO from kControllerNode to kHostNode), whose frames carry
// v1::HostControl and go to AsioRuntimeOptions::on_control; node connections never carry
// them (such a frame is dropped like a misaddressed one). With logical_clock set, every
// envelope carries its SEND record's seq (Envelope.lamport) and the receiver's seq moves
// past it, so that records of several processes merge in causal order.
//
// Threading: not thread-safe. Call everything from one thread; nodes run on it, inside
// RunUntil. No other thread is created.
#ifndef DELEGSIM_NET_ASIO_RUNTIME_H_
#define DELEGSIM_NET_ASIO_RUNTIME_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "net/frame.h"
#include "nodes/context.h"
#include "nodes/runtime.h"

namespace delegsim::net {

using nodes::Node;
using nodes::NodeContext;
using nodes::NodeId;
using nodes::Time;

struct AsioRuntimeOptions {
  // Largest frame body accepted or sent, in bytes (see net/frame.h).
  size_t max_frame_body_bytes = kDefaultMaxFrameBodyBytes;
  // The secret every connection's handshake proves (at least kRunSecretBytes bytes);
  // empty: Start() makes a fresh random one.
  std::string run_secret;
  // A reply deadline also ends the run (did not complete) when this much real time passes
  // without the reply: over loopback only a stalled process takes that long. Simulated
  // deadlines may be longer (a call's wait grows with the hops left, nodes/process_node).
  int64_t max_real_reply_wait_ms = 30'000;
  // Host mode (see above): the simulated address of the host whose nodes run here; empty:
  // every node runs here. Its listener: listen_ip (default: local_host; in host mode any
  // IPv4 address, e.g. a network namespace's or another machine's) and listen_port (0:
  // ephemeral).
  std::string local_host;
  std::string listen_ip;
  uint16_t listen_port = 0;
  // Carry a logical clock in envelopes (see above).
  bool logical_clock = false;
  // Host mode: each control message from the authenticated controller, and the close of
  // the controller's connection (with its reason). Called on the runtime's thread.
  std::function<void(v1::HostControl&)> on_control;
  std::function<void(const std::string&)> on_control_closed;
};

// The pseudo-node ids a controller's HELLO names (never node ids: a world has fewer nodes).
inline constexpr uint32_t kControllerNode = 0xFFFFFFF0u;
inline constexpr uint32_t kHostNode = 0xFFFFFFF1u;

// Where the nodes of another simulated host listen (host mode).
struct PeerEndpoint {
  std::string host_address;  // the simulated address nodes were added with
  std::string ip;            // where its process listens and connects from
  uint16_t port = 0;
};

// One live end of a connection, as seen by Connections().
struct ConnectionInfo {
  uint64_t id = 0;                 // runtime-wide, in opening order
  NodeId node = 0;                 // the node this end belongs to
  NodeId peer = 0;                 // 0 while an accepted end is not yet authenticated
  bool accepted = false;           // true: accepted by node's listener; false: opened by node
  bool carries_sends = false;      // node's envelopes to peer are written on this end
  std::string local_endpoint;      // "127.0.1.3:40001"
  std::string remote_endpoint;     // "127.0.1.2:53122"
  size_t unanswered_requests = 0;  // requests sent on this end still waiting for a reply
};

class AsioRuntime final : public nodes::Runtime {
 public:
  explicit AsioRuntime(AsioRuntimeOptions options = {});
  // Shutdown(), then releases the nodes.
  ~AsioRuntime() override;
  AsioRuntime(const AsioRuntime&) = delete;
  AsioRuntime& operator=(const AsioRuntime&) = delete;

  // Precondition: Start() not yet called. The address is checked by Start().
  NodeId AddNode(std::unique_ptr<Node> node, const std::string& host_address) override;
  // Precondition: `id` was returned by AddNode.
  Node& GetNode(NodeId id) override;
  void SetTraceSink(nodes::TraceSink sink) override;
  void CaptureMessages(bool capture) override;
  void SetFaults(std::shared_ptr<const nodes::FaultPlan> plan) override;
  // Opens one listener per node on its host address, ephemeral port. kInvalidArgument
  // for an address that is not IPv4 loopback, kUnavailable if one cannot be bound,
  // kFailedPrecondition if called twice or after Shutdown().
  Status Start() override;
  // Runs `fn` on node `id` as an event. Ignored after Shutdown(); precondition: valid id.
  void Post(NodeId id, std::function<void(Node&, NodeContext&)> fn) override;
  // Runs events until `done()` holds (OK), nothing is left to do (OK; never the case
  // once listeners are open) or `budget_ms` of real time passes (kDeadlineExceeded).
  // `done` is checked before every event. After Shutdown(): OK if `done()` holds,
  // otherwise kFailedPrecondition, at once.
  Status RunUntil(const std::function<bool()>& done, Time budget_ms) override;
  // Adds `delta_ms` (>= 0; negative deltas are ignored) to the simulated clock, saturating.
  void AdvanceClock(Time delta_ms) override;
  Time Now() const override;
  uint64_t delivered() const override;
  Status Failure() const override;
  // Closes every connection, listener and timer and drains the io_context. Emits no
  // trace and calls no node: afterwards nothing runs. Idempotent. May be called from a
  // node or the trace sink during RunUntil: the node's remaining actions are then
  // ignored, and RunUntil drains the io_context and returns when that handler returns
  // (OK if `done()` holds, otherwise kFailedPrecondition).
  void Shutdown() override;
  std::string_view kind() const override { return "tcp"; }

  // Pause before a listener whose accept failed accepts again.
  static constexpr Time kAcceptRetryMs = 250;

  // Enters host mode (the AsioRuntimeOptions fields of the same names); before Start().
  void SetHostMode(std::string local_host, std::string listen_ip, uint16_t listen_port);
  // Host mode: where the other hosts' nodes are reached; call after Start(), before the
  // first envelope to them (one sent earlier is undeliverable). kInvalidArgument for an
  // address that does not parse or a host that runs here.
  Status SetPeers(const std::vector<PeerEndpoint>& peers);
  // Host mode: writes `message` to the controller's connection; false when there is none.
  bool SendControl(v1::HostControl message);
  // Whether node `id` runs in this process (always true outside host mode).
  bool IsLocal(NodeId id) const;
  // The secret the run's connections prove (valid after Start()). For a parent handing it
  // to host processes, and for tests that play a member of the run.
  const std::string& run_secret() const;

  // --- Observation and fault injection, for tests. Call between RunUntil calls. ---

  // Writes `bytes` verbatim on the connection `from` uses to send to `to`, opening it if
  // needed, behind any frames already queued, as if `from` had written them: a tampered
  // body, a lying header. The receiver's reaction is traced as for any frame. Ignored
  // before Start(), after Shutdown(), or for an unknown node.
  void InjectRawBytes(NodeId from, NodeId to, std::string bytes);
  // The port node `id` listens on (on HostAddress(id), or in host mode on listen_ip, or
  // for a remote node the port SetPeers gave; id 0 in host mode: the host's listener); 0
  // before Start().
  uint16_t ListenPort(NodeId id) const;
  // The host address node `id` was added with; empty for an unknown node.
  std::string HostAddress(NodeId id) const;
  // Every live connection end, by id.
  std::vector<ConnectionInfo> Connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_ASIO_RUNTIME_H_
