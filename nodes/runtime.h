// Runtime: what drives nodes. Two implementations share this interface: the virtual-time
// runtime (sim/virtual_runtime.h: one event queue ordered by (time, seq), in-memory
// delivery of serialized envelopes) and the Asio runtime (net/asio_runtime.h: TCP over
// loopback, one listening address per simulated host, length-prefixed frames).
//
//   std::unique_ptr<Runtime> rt = ...;
//   NodeId web = rt->AddNode(std::make_unique<ServiceNode>(...), "127.0.1.2");
//   rt->Post(client, [&](Node& n, NodeContext& ctx) { Start(n, ctx); });
//   Status s = rt->RunUntil([&] { return done; }, 30'000);
//
// Threading: not thread-safe; call from one thread. Nodes run on the thread that calls
// RunUntil / Step.
#ifndef DELEGSIM_NODES_RUNTIME_H_
#define DELEGSIM_NODES_RUNTIME_H_

#include <functional>
#include <memory>
#include <string>

#include "nodes/context.h"
#include "nodes/faults.h"
#include "proto/envelope.pb.h"

namespace delegsim::nodes {

// How long an envelope travels between two nodes, in simulated milliseconds, under both
// runtimes (their clocks agree: see sim/virtual_runtime.h, net/asio_runtime.h).
inline constexpr Time kLinkLatencyMs = 1;

// Receives each record once; the record is discarded afterwards, so a sink that keeps it
// may move from it (a sink taking `const TraceRecord&` fits too).
using TraceSink = std::function<void(TraceRecord&)>;

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Adds a node living on the simulated host whose loopback address is `host_address`
  // ("127.0.1.2"). Returns its id (ids start at 1). All nodes are added before Start().
  virtual NodeId AddNode(std::unique_ptr<Node> node, const std::string& host_address) = 0;
  virtual Node& GetNode(NodeId id) = 0;
  // Every trace record, with time, seq and node filled in, in the order produced. An
  // empty sink (the default) turns tracing off: nodes then build no records at all.
  virtual void SetTraceSink(TraceSink sink) = 0;
  // Whether SEND and DELIVER records carry the envelope (TraceRecord::message), for
  // debuggers. Off by default, so that ordinary runs pay nothing. A runtime that cannot
  // capture ignores it.
  virtual void CaptureMessages(bool capture) { (void)capture; }
  // Faults to apply to every envelope sent from now on (nodes/faults.h says how); none
  // by default. Every runtime applies them alike, so that decisions agree.
  virtual void SetFaults(std::shared_ptr<const FaultPlan> plan) = 0;
  // Opens listeners (tcp) or does nothing (virtual). Fails if an address can't be bound.
  virtual Status Start() = 0;
  // Runs `fn` on node `id` as an event of the simulated world (at the current time).
  virtual void Post(NodeId id, std::function<void(Node&, NodeContext&)> fn) = 0;
  // Starts call `label` on client node `client` (a nodes::ClientNode) as an event; `done`
  // runs once with the first hop's result when the call completes. The default posts
  // ClientNode::StartCall; a runtime whose nodes live in other processes
  // (net/process_runtime.h) hands the call to the process of the client's host instead.
  using CallDone = std::function<void(const v1::HopResult&)>;
  virtual void PostCall(NodeId client, const std::string& label, const v1::CallSpec& spec,
                        CallDone done);
  // Processes events until `done()` holds, nothing is left to do, or `budget_ms` of
  // (simulated or real) time has passed. DeadlineExceeded in the last case.
  virtual Status RunUntil(const std::function<bool()>& done, Time budget_ms) = 0;
  // Moves the simulated clock forward (scenario clock steps); ticket lifetimes see it.
  virtual void AdvanceClock(Time delta_ms) = 0;
  virtual Time Now() const = 0;
  // Envelopes delivered to nodes so far (parsed and handed to Node::OnMessage).
  virtual uint64_t delivered() const = 0;
  // The first failure of the runtime itself, as opposed to an event of the simulated
  // world: a reply deadline that expired in real time (NodeContext::StartDeadline), an
  // envelope above the frame maximum that was not sent, a listener that cannot accept.
  // OK while there is none. Once set, RunUntil returns it at once: the run did not
  // complete, and no outcome after it is a verdict.
  virtual Status Failure() const = 0;
  // Closes every connection and listener; afterwards nothing runs.
  virtual void Shutdown() = 0;
  virtual std::string_view kind() const = 0;  // "virtual" | "tcp" | "procs" | "netns"
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_RUNTIME_H_
