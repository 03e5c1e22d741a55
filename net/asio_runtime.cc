#include "net/asio_runtime.h"

#include <algorithm>
#include <asio.hpp>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "common/saturating.h"
#include "net/connection.h"
#include "net/envelope_info.h"
#include "net/handshake.h"

namespace delegsim::net {
namespace {

using asio::ip::tcp;
using nodes::TimerId;
using nodes::TraceKind;
using nodes::TraceRecord;
using Clock = std::chrono::steady_clock;

// `time` + `delta` (a negative delta counts as 0), saturating instead of overflowing.
Time LaterOf(Time time, Time delta) {
  if (delta <= 0) return time;
  if (time > std::numeric_limits<Time>::max() - delta) return std::numeric_limits<Time>::max();
  return time + delta;
}

std::string ToString(const tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

// How long Shutdown() waits for aborted operations to finish; they finish at once, this
// only bounds a bug.
constexpr auto kShutdownDrainBudget = std::chrono::seconds(2);
// The largest logical clock a frame may carry: far above any run's record count, far
// enough below the maximum that moving past it cannot overflow.
constexpr uint64_t kMaxLamport = uint64_t{1} << 62;
// How many ready handlers RunUntil still runs once the runtime has failed.
constexpr int kFailureDrainHandlers = 1000;

}  // namespace

class AsioRuntime::Impl final : public Connection::Events {
 public:
  explicit Impl(AsioRuntimeOptions options) : options_(options) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  NodeId AddNode(std::unique_ptr<Node> node, const std::string& host_address);
  Node& GetNode(NodeId id) { return *Slot(id).node; }
  void SetTraceSink(nodes::TraceSink sink) { trace_sink_ = std::move(sink); }
  void CaptureMessages(bool capture) { capture_ = capture; }
  void SetFaults(std::shared_ptr<const nodes::FaultPlan> plan) { faults_ = std::move(plan); }
  Status Start();
  void Post(NodeId id, std::function<void(Node&, NodeContext&)> fn);
  Status RunUntil(const std::function<bool()>& done, Time budget_ms);
  void AdvanceClock(Time delta_ms) { clock_ = LaterOf(clock_, delta_ms); }
  Time Now() const { return clock_; }
  uint64_t delivered() const { return delivered_; }
  const Status& Failure() const { return failure_; }
  const std::string& run_secret() const { return secret_; }
  void Shutdown();

  Status SetPeers(const std::vector<PeerEndpoint>& peers);
  bool SendControl(v1::HostControl message);
  bool IsLocal(NodeId id) const { return IsNode(id) && Slot(id).local; }
  void SetHostMode(std::string local_host, std::string listen_ip, uint16_t listen_port) {
    assert(!started_ && "AsioRuntime: SetHostMode after Start()");
    options_.local_host = std::move(local_host);
    options_.listen_ip = std::move(listen_ip);
    options_.listen_port = listen_port;
  }

  void InjectRawBytes(NodeId from, NodeId to, std::string bytes);
  uint16_t ListenPort(NodeId id) const {
    if (id == 0 && host_mode()) return host_slot_.listen_port;
    return IsNode(id) ? Slot(id).listen_port : 0;
  }
  std::string HostAddress(NodeId id) const { return IsNode(id) ? Slot(id).host : ""; }
  std::vector<ConnectionInfo> Connections() const;

  // Connection::Events.
  Status OnHello(Connection& connection, uint32_t from, uint32_t to) override;
  void OnAuthenticated(Connection& connection) override;
  void OnHandshakeFailed(Connection& connection, const Status& error) override;
  Status OnFrame(Connection& connection, v1::Envelope env) override;
  void OnWireError(Connection& connection, const Status& error) override;
  void OnClosed(Connection& connection, const std::string& reason) override;

 private:
  // The NodeContext handed to one node: every action is attributed to that node.
  class BoundContext final : public NodeContext {
   public:
    BoundContext(Impl& runtime, NodeId node) : runtime_(runtime), node_(node) {}
    BoundContext(const BoundContext&) = delete;
    BoundContext& operator=(const BoundContext&) = delete;

    Time Now() const override { return runtime_.Now(); }
    void Send(v1::Envelope env) override { runtime_.Send(node_, std::move(env)); }
    TimerId StartTimer(Time delay) override { return runtime_.StartTimer(node_, delay, false); }
    TimerId StartDeadline(Time delay) override { return runtime_.StartTimer(node_, delay, true); }
    bool SameHost(NodeId peer) const override {
      return runtime_.IsNode(peer) && runtime_.Slot(peer).host == runtime_.Slot(node_).host;
    }
    void CancelTimer(TimerId id) override { runtime_.CancelTimer(node_, id); }
    void Trace(TraceRecord record) override { runtime_.Trace(node_, std::move(record)); }
    bool Tracing() const override { return runtime_.trace_sink_ != nullptr; }

   private:
    Impl& runtime_;
    NodeId node_;
  };

  struct NodeSlot {
    std::unique_ptr<Node> node;
    std::string host;
    std::unique_ptr<BoundContext> context;
    asio::ip::address_v4 address;                      // parsed by Start()
    std::unique_ptr<tcp::acceptor> listener;           // open between Start() and Shutdown()
    std::unique_ptr<asio::steady_timer> accept_retry;  // pauses accepting after an error
    uint16_t listen_port = 0;
    bool accept_error_logged = false;
    bool local = true;  // runs in this process (host mode: added on local_host)
  };

  // The runtime's view of one connection end.
  struct Link {
    std::shared_ptr<Connection> connection;
    NodeId node = 0;  // owner of this end
    NodeId peer = 0;  // 0 until an accepted end receives its first frame
    UnansweredRequests unanswered;
    bool control = false;  // host mode: the controller's connection (v1::HostControl)
  };

  struct TimerSlot {
    NodeId node = 0;
    std::unique_ptr<asio::steady_timer> timer;
    Clock::time_point due;          // real time it would fire at had the world never paused
    Clock::duration paused_before;  // paused_ when it was started
    Time delay_ms = 0;
    Time simulated_due = 0;  // the simulated time it fires at
    bool deadline = false;   // bounds a wait for a reply (NodeContext::StartDeadline)
  };

  bool IsNode(NodeId id) const { return id >= 1 && id <= nodes_.size(); }
  NodeSlot& Slot(NodeId id) {
    assert(IsNode(id));
    return nodes_[id - 1];
  }
  const NodeSlot& Slot(NodeId id) const {
    assert(IsNode(id));
    return nodes_[id - 1];
  }
  std::string NodeName(NodeId id) const {
    if (id == 0 && host_mode()) return "host " + options_.local_host;
    return IsNode(id) ? std::string(Slot(id).node->name()) : "node " + std::to_string(id);
  }
  bool host_mode() const { return !options_.local_host.empty(); }
  // The slot whose listener accepts for `node`: host mode listens once, as node 0.
  NodeSlot& ListenSlot(NodeId node) { return node == 0 ? host_slot_ : Slot(node); }
  Status StartHost();
  // "CALL c1/web (correlation 7)", for DROP records and rejections.
  static std::string Describe(const v1::Envelope& env) {
    return DescribeEnvelope(env) + " (correlation " + std::to_string(env.correlation()) + ")";
  }

  void Send(NodeId from, v1::Envelope env);
  TimerId StartTimer(NodeId node, Time delay, bool deadline);
  // Waits for timer `id` until its due time, moved later by every pause since it started;
  // then fires it.
  void ArmTimer(TimerId id);
  void CancelTimer(NodeId node, TimerId id);
  // Fills time, seq and node, hands the record to the sink; returns the seq. The time the
  // sink takes is added to paused_.
  uint64_t Trace(NodeId node, TraceRecord record);
  uint64_t Trace(NodeId node, TraceKind kind, std::string summary, std::string path = "",
                 const v1::Envelope* message = nullptr);

  void Accept(NodeId node);
  // Records the first runtime failure; RunUntil returns it.
  void Fail(Status why);
  // kHandshakeNonceBytes fresh random bytes (zeros, and a runtime failure, if OpenSSL fails).
  std::string Nonce();
  // The request `caller` sent to `replier` with `correlation` and has not had answered, if
  // the runtime still holds it (on caller's sending connection to replier).
  std::optional<v1::Envelope> TakeUnanswered(NodeId caller, NodeId replier, uint64_t correlation);
  Link& SendingLink(NodeId from, NodeId to);
  void Deliver(NodeId node, v1::Envelope& env);
  // Reports `env` back to its sender `node` as a separate event; traced DROP unless the
  // caller traced it already.
  void PostUndeliverable(NodeId node, v1::Envelope env, Status why, bool trace = true);
  // Fires `node`'s reply deadline `id` now, as a simulated timeout (its request or reply
  // was lost to a fault), if it is still pending.
  void FireDeadline(NodeId node, TimerId id);
  // Fires, as simulated timeouts and in order of their simulated due times, `node`'s reply
  // deadlines due at or before `up_to`: the simulated clock has passed them (a reply that
  // arrives later in simulated time, or a request that a fault lost), however fast the
  // real exchange was.
  void ExpireDeadlines(NodeId node, Time up_to);
  // Host mode: tells the remote requester of `reply`, which a fault lost at its sender
  // `from`, to end the request at its deadline (Envelope.lost_in_transit). `seq`: the
  // DROP record's seq, the notice's logical clock.
  void SendLostNotice(NodeId from, const v1::Envelope& reply, uint64_t seq);
  // Host mode: ends this node's request that a notice says was lost (see above).
  void OnLostNotice(NodeId requester, const v1::Envelope& notice);

  AsioRuntimeOptions options_;  // host mode fields may be set until Start()
  // Declared first so that it is destroyed last: sockets and timers below refer to it.
  asio::io_context io_;
  std::vector<NodeSlot> nodes_;     // NodeId n at index n - 1
  NodeSlot host_slot_;              // host mode: the host's one listener
  uint64_t control_link_ = 0;       // host mode: the controller's authenticated connection
  std::map<uint64_t, Link> links_;  // by connection id
  // (node, peer) -> id of the connection node writes its envelopes for peer on.
  std::map<std::pair<NodeId, NodeId>, uint64_t> sending_links_;
  std::map<TimerId, TimerSlot> timers_;
  nodes::TraceSink trace_sink_;
  std::shared_ptr<const nodes::FaultPlan> faults_;
  // The reply deadline each node started last, and the deadline of each request in flight
  // ((requester, correlation) -> timer): a fault that loses the request or its reply ends
  // the wait in simulated time. Entries go when the reply arrives or the request is lost.
  std::map<NodeId, TimerId> last_deadline_;
  std::map<std::pair<NodeId, uint64_t>, TimerId> request_deadlines_;
  std::string secret_;
  Status failure_;  // the first runtime failure; OK while none
  uint64_t next_seq_ = 1;
  uint64_t delivered_ = 0;
  uint64_t next_connection_id_ = 1;
  TimerId next_timer_id_ = 1;
  // The simulated clock (see the header): clock steps, link latencies and timers.
  Time clock_ = 0;
  // Real time spent inside the trace sink: the simulated world stands still meanwhile, so
  // Now(), timers and RunUntil budgets leave it out.
  Clock::duration paused_{0};
  bool capture_ = false;  // SEND / DELIVER records carry the envelope
  int running_ = 0;       // depth of RunUntil calls under way
  bool started_ = false;
  bool shut_down_ = false;
  bool drained_ = false;  // Shutdown() has drained the io_context
};

// ---------------------------------------------------------------------------------------
// Set-up and driving.

NodeId AsioRuntime::Impl::AddNode(std::unique_ptr<Node> node, const std::string& host_address) {
  assert(!started_ && "AsioRuntime: add every node before Start()");
  assert(node != nullptr);
  const NodeId id = static_cast<NodeId>(nodes_.size() + 1);
  NodeSlot slot;
  slot.node = std::move(node);
  slot.host = host_address;
  slot.context = std::make_unique<BoundContext>(*this, id);
  nodes_.push_back(std::move(slot));
  return id;
}

Status AsioRuntime::Impl::Start() {
  if (started_) return FailedPrecondition("AsioRuntime::Start: already started");
  if (shut_down_) return FailedPrecondition("AsioRuntime::Start: runtime is shut down");
  StatusOr<std::string> secret = RunSecretOrNew(options_.run_secret);
  if (!secret.ok()) {
    return Status(secret.status().code(), "AsioRuntime::Start: " + secret.status().message());
  }
  secret_ = std::move(secret).value();
  if (host_mode()) return StartHost();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    NodeSlot& slot = nodes_[i];
    const std::string where = "node " + std::string(slot.node->name()) + " (" + slot.host + ")";
    asio::error_code error;
    slot.address = asio::ip::make_address_v4(slot.host, error);
    if (error || !slot.address.is_loopback()) {
      return InvalidArgument(where +
                             ": host address is not an IPv4 loopback address (127.0.0.0/8)");
    }
    auto listener = std::make_unique<tcp::acceptor>(io_);
    const tcp::endpoint endpoint(slot.address, 0);
    listener->open(endpoint.protocol(), error);
    if (!error) listener->bind(endpoint, error);
    if (!error) listener->listen(asio::socket_base::max_listen_connections, error);
    if (error) return Unavailable(where + ": cannot listen: " + error.message());
    slot.listen_port = listener->local_endpoint(error).port();
    slot.listener = std::move(listener);
  }
  started_ = true;
  for (NodeId id = 1; id <= nodes_.size(); ++id) Accept(id);
  return Status::Ok();
}

Status AsioRuntime::Impl::StartHost() {
  const std::string ip = options_.listen_ip.empty() ? options_.local_host : options_.listen_ip;
  const std::string where = "host " + options_.local_host + " (" + ip + ")";
  asio::error_code error;
  const asio::ip::address_v4 address = asio::ip::make_address_v4(ip, error);
  if (error) return InvalidArgument(where + ": the listen address is not an IPv4 address");
  auto listener = std::make_unique<tcp::acceptor>(io_);
  const tcp::endpoint endpoint(address, options_.listen_port);
  listener->open(endpoint.protocol(), error);
  // A hand-started host restarted on its fixed port must not wait for TIME_WAIT.
  if (!error) listener->set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) listener->bind(endpoint, error);
  if (!error) listener->listen(asio::socket_base::max_listen_connections, error);
  if (error) return Unavailable(where + ": cannot listen: " + error.message());
  host_slot_.host = options_.local_host;
  host_slot_.address = address;
  host_slot_.listen_port = listener->local_endpoint(error).port();
  host_slot_.listener = std::move(listener);
  for (NodeSlot& slot : nodes_) {
    slot.local = slot.host == options_.local_host;
    if (!slot.local) continue;
    slot.address = address;
    slot.listen_port = host_slot_.listen_port;
  }
  started_ = true;
  Accept(0);
  return Status::Ok();
}

Status AsioRuntime::Impl::SetPeers(const std::vector<PeerEndpoint>& peers) {
  for (const PeerEndpoint& peer : peers) {
    if (peer.host_address == options_.local_host) {
      return InvalidArgument("peer " + peer.host_address + " is the host that runs here");
    }
    asio::error_code error;
    const asio::ip::address_v4 address = asio::ip::make_address_v4(peer.ip, error);
    if (error) {
      return InvalidArgument("peer " + peer.host_address + ": '" + peer.ip +
                             "' is not an IPv4 address");
    }
    for (NodeSlot& slot : nodes_) {
      if (slot.local || slot.host != peer.host_address) continue;
      slot.address = address;
      slot.listen_port = peer.port;
    }
  }
  return Status::Ok();
}

bool AsioRuntime::Impl::SendControl(v1::HostControl message) {
  auto it = links_.find(control_link_);
  if (shut_down_ || control_link_ == 0 || it == links_.end()) return false;
  v1::Envelope env;
  *env.mutable_host_control() = std::move(message);
  StatusOr<std::string> frame = EncodeFrame(env, options_.max_frame_body_bytes);
  if (!frame.ok()) return false;
  it->second.connection->Write(std::move(*frame));
  return true;
}

void AsioRuntime::Impl::Post(NodeId id, std::function<void(Node&, NodeContext&)> fn) {
  assert(IsNode(id));
  if (shut_down_ || !IsNode(id)) return;
  if (!Slot(id).local) {
    std::fprintf(stderr, "AsioRuntime: Post to %s, which runs in another process: ignored\n",
                 NodeName(id).c_str());
    return;
  }
  asio::post(io_, [this, id, fn = std::move(fn)] {
    if (shut_down_) return;
    NodeSlot& slot = Slot(id);
    fn(*slot.node, *slot.context);
  });
}

Status AsioRuntime::Impl::RunUntil(const std::function<bool()>& done, Time budget_ms) {
  if (shut_down_) {
    if (done()) return Status::Ok();
    return FailedPrecondition("AsioRuntime::RunUntil: runtime is shut down");
  }
  // The budget is real time outside the trace sink: a pause moves the deadline with it.
  const Clock::time_point begin = Clock::now();
  const Clock::duration paused_before = paused_;
  const auto budget = std::chrono::milliseconds(std::max<Time>(budget_ms, 0));
  io_.restart();
  ++running_;
  Status result = Status::Ok();
  while (!shut_down_ && !done()) {
    if (!failure_.ok()) {
      // Let what is ready run first (the sender of a frame not sent hears of it), within
      // a bound, then stop.
      for (int i = 0; i < kFailureDrainHandlers && !shut_down_ && io_.poll_one() > 0; ++i) {
      }
      result = failure_;
      break;
    }
    const Clock::time_point now = Clock::now();
    const Clock::time_point deadline = begin + budget + (paused_ - paused_before);
    if (now >= deadline) {
      result = Status(StatusCode::kDeadlineExceeded,
                      "AsioRuntime::RunUntil: condition still false after " +
                          std::to_string(budget_ms) + " ms of real time");
      break;
    }
    if (io_.run_one_for(deadline - now) == 0 && io_.stopped()) {
      break;  // out of work: nothing can make `done` true any more
    }
  }
  --running_;
  if (shut_down_) {
    // Shutdown() was called from a handler or the trace sink: finish it here, outside
    // the io_context's run.
    Shutdown();
    if (!done()) result = FailedPrecondition("AsioRuntime::RunUntil: runtime was shut down");
  }
  return result;
}

void AsioRuntime::Impl::Shutdown() {
  if (drained_) return;
  if (!shut_down_) {
    shut_down_ = true;
    asio::error_code ignored;
    for (NodeSlot& slot : nodes_) {
      if (slot.listener != nullptr) slot.listener->close(ignored);
      if (slot.accept_retry != nullptr) slot.accept_retry->cancel();
    }
    if (host_slot_.listener != nullptr) host_slot_.listener->close(ignored);
    if (host_slot_.accept_retry != nullptr) host_slot_.accept_retry->cancel();
    for (auto& [id, link] : links_) link.connection->CloseQuietly();
    for (auto& [id, slot] : timers_) slot.timer->cancel();
  }
  // Inside RunUntil (a node handler or the trace sink called this) the io_context cannot
  // be run again; RunUntil drains it when the current handler returns.
  if (running_ > 0) return;
  drained_ = true;
  // Let every aborted operation and posted event run (they return at once, seeing
  // shut_down_), so that no handler outlives this call.
  io_.restart();
  const Clock::time_point deadline = Clock::now() + kShutdownDrainBudget;
  while (!io_.stopped() && Clock::now() < deadline) io_.run_one_for(deadline - Clock::now());
  if (!io_.stopped()) {
    std::fprintf(
        stderr, "AsioRuntime::Shutdown: io_context not drained after %lld ms\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(kShutdownDrainBudget).count()));
  }
  links_.clear();
  sending_links_.clear();
  timers_.clear();
  for (NodeSlot& slot : nodes_) {
    slot.listener.reset();
    slot.accept_retry.reset();
  }
  host_slot_.listener.reset();
  host_slot_.accept_retry.reset();
}

// ---------------------------------------------------------------------------------------
// Node actions.

void AsioRuntime::Impl::Send(NodeId from, v1::Envelope env) {
  if (shut_down_) return;
  env.set_from(from);
  env.set_sent_at_ms(clock_);
  const NodeId to = env.to();
  const uint64_t seq =
      trace_sink_ ? Trace(from, TraceKind::kSend, DescribeEnvelope(env) + " -> " + NodeName(to),
                          env.has_call() ? env.call().path() : "", capture_ ? &env : nullptr)
                  : next_seq_++;
  if (shut_down_) return;  // the trace sink shut the runtime down
  if (!IsNode(to)) {
    PostUndeliverable(from, std::move(env), NotFound("no node " + std::to_string(to)));
    return;
  }
  if (!started_) {
    PostUndeliverable(from, std::move(env), FailedPrecondition("AsioRuntime: Send before Start()"));
    return;
  }
  if (IsRequest(env) && last_deadline_.count(from)) {
    // Pending::Request starts the request's reply deadline right before sending it.
    request_deadlines_[{from, env.correlation()}] = last_deadline_[from];
    last_deadline_.erase(from);
  }
  if (faults_) {
    const nodes::LinkEffect effect =
        faults_->Effect({from, Slot(from).host}, {to, Slot(to).host}, clock_, IsReply(env));
    const std::string path = env.has_call() ? env.call().path() : "";
    switch (effect.action) {
      case nodes::LinkEffect::Action::kRefuse: {
        Status why = nodes::FaultPlan::Refusal(*effect.fault);
        Trace(from, TraceKind::kDrop, "refused: " + why.message(), path);
        PostUndeliverable(from, std::move(env), std::move(why), /*trace=*/false);
        return;
      }
      case nodes::LinkEffect::Action::kDrop: {
        // Lost: its requester's reply deadline ends the request, in simulated time.
        const uint64_t dropped =
            Trace(from, TraceKind::kDrop, nodes::FaultPlan::Describe(*effect.fault), path);
        const NodeId requester = IsReply(env) ? to : from;
        if (!Slot(requester).local) {
          // Host mode: the requester runs in another process, which alone can end it.
          SendLostNotice(from, env, dropped);
          return;
        }
        const auto it = request_deadlines_.find({requester, env.correlation()});
        if (it != request_deadlines_.end()) {
          const TimerId deadline = it->second;
          request_deadlines_.erase(it);
          asio::post(io_, [this, requester, deadline] {
            if (!shut_down_) FireDeadline(requester, deadline);
          });
        }
        return;
      }
      case nodes::LinkEffect::Action::kDeliver:
        // Delayed in simulated time: the receiver's clock reaches the later arrival.
        if (effect.delay_ms > 0) env.set_sent_at_ms(LaterOf(clock_, effect.delay_ms));
        break;
    }
  }
  if (!Slot(to).local && Slot(to).listen_port == 0) {
    PostUndeliverable(from, std::move(env),
                      Unavailable("no endpoint known for host " + Slot(to).host));
    return;
  }
  if (options_.logical_clock) env.set_lamport(seq);
  StatusOr<std::string> frame = EncodeFrame(env, options_.max_frame_body_bytes);
  if (!frame.ok()) {
    // Not an event of the simulated world: the run cannot say what the peer would have
    // done with it. The sender hears at once; so does a caller waiting for this reply.
    Fail(Status(frame.status().code(), NodeName(from) + ": " + Describe(env) + " to " +
                                           NodeName(to) +
                                           " not sent: " + frame.status().message()));
    if (IsReply(env)) {
      if (std::optional<v1::Envelope> request = TakeUnanswered(to, from, env.correlation())) {
        PostUndeliverable(
            to, std::move(*request),
            Status(frame.status().code(), "the reply from " + NodeName(from) +
                                              " was not sent: " + frame.status().message()));
      }
    }
    PostUndeliverable(from, std::move(env), frame.status());
    return;
  }
  Link& link = SendingLink(from, to);
  if (IsRequest(env)) link.unanswered.Add(seq, std::move(env));
  link.connection->Write(std::move(*frame));
}

TimerId AsioRuntime::Impl::StartTimer(NodeId node, Time delay, bool deadline) {
  const TimerId id = next_timer_id_++;
  if (shut_down_) return id;  // never fires
  TimerSlot slot;
  slot.node = node;
  slot.timer = std::make_unique<asio::steady_timer>(io_);
  slot.due = Clock::now() + std::chrono::milliseconds(std::max<Time>(delay, 0));
  slot.paused_before = paused_;
  slot.delay_ms = delay;
  slot.simulated_due = LaterOf(clock_, delay);
  slot.deadline = deadline;
  if (deadline) {
    last_deadline_[node] = id;
    // Real time bounds only a stall of this process; simulated waits may be longer.
    slot.due = Clock::now() + std::chrono::milliseconds(std::min<Time>(
                                  std::max<Time>(delay, 0), options_.max_real_reply_wait_ms));
  }
  timers_.emplace(id, std::move(slot));
  ArmTimer(id);
  return id;
}

void AsioRuntime::Impl::ArmTimer(TimerId id) {
  TimerSlot& slot = timers_.at(id);
  slot.timer->expires_at(slot.due + (paused_ - slot.paused_before));
  slot.timer->async_wait([this, id](const asio::error_code& error) {
    if (error || shut_down_) return;  // cancelled
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    if (Clock::now() < it->second.due + (paused_ - it->second.paused_before)) {
      ArmTimer(id);  // the world paused since the wait began: wait out the rest
      return;
    }
    const NodeId owner = it->second.node;
    if (it->second.deadline) {
      Fail(Status(
          StatusCode::kDeadlineExceeded,
          NodeName(owner) + ": no reply within " +
              std::to_string(std::min(it->second.delay_ms, options_.max_real_reply_wait_ms)) +
              " ms of real time; over loopback that means the process stalled (paused "
              "or starved), not that a simulated peer failed"));
    }
    clock_ = std::max(clock_, it->second.simulated_due);
    timers_.erase(it);
    NodeSlot& slot = Slot(owner);
    slot.node->OnTimer(id, *slot.context);
  });
}

void AsioRuntime::Impl::CancelTimer(NodeId node, TimerId id) {
  auto it = timers_.find(id);
  // Destroying the timer aborts its wait; the handler then finds nothing to fire.
  if (it != timers_.end() && it->second.node == node) timers_.erase(it);
}

uint64_t AsioRuntime::Impl::Trace(NodeId node, TraceRecord record) {
  const uint64_t seq = next_seq_++;
  if (shut_down_ || !trace_sink_) return seq;
  record.time = Now();
  record.seq = seq;
  record.node = NodeName(node);
  const Clock::time_point before = Clock::now();
  trace_sink_(record);
  paused_ += Clock::now() - before;
  return seq;
}

uint64_t AsioRuntime::Impl::Trace(NodeId node, TraceKind kind, std::string summary,
                                  std::string path, const v1::Envelope* message) {
  TraceRecord record;
  record.kind = kind;
  record.summary = std::move(summary);
  record.path = std::move(path);
  if (message != nullptr) record.message = std::make_shared<const v1::Envelope>(*message);
  return Trace(node, std::move(record));
}

// ---------------------------------------------------------------------------------------
// Connections.

void AsioRuntime::Impl::Accept(NodeId node) {
  ListenSlot(node).listener->async_accept([this, node](const asio::error_code& error,
                                                       tcp::socket socket) {
    if (shut_down_ || error == asio::error::operation_aborted) return;
    NodeSlot& slot = ListenSlot(node);
    if (error) {
      // Not an event of the simulated world (e.g. out of file descriptors): the run
      // fails, and the listener pauses instead of spinning on the same error.
      Fail(Unavailable(NodeName(node) + " (" + slot.host + "): accept: " + error.message()));
      if (!slot.accept_error_logged) {
        slot.accept_error_logged = true;
        std::fprintf(stderr,
                     "AsioRuntime: %s: accept: %s; pausing %lld ms between attempts, "
                     "further errors not logged\n",
                     NodeName(node).c_str(), error.message().c_str(),
                     static_cast<long long>(kAcceptRetryMs));
      }
      if (slot.accept_retry == nullptr)
        slot.accept_retry = std::make_unique<asio::steady_timer>(io_);
      slot.accept_retry->expires_after(std::chrono::milliseconds(kAcceptRetryMs));
      slot.accept_retry->async_wait([this, node](const asio::error_code& waited) {
        if (waited || shut_down_) return;
        Accept(node);
      });
      return;
    }
    const uint64_t id = next_connection_id_++;
    Link link;
    link.connection = Connection::Adopt(std::move(socket), id, *this, options_.max_frame_body_bytes,
                                        Handshake::Responder(secret_, Nonce()));
    link.node = node;
    auto [it, inserted] = links_.emplace(id, std::move(link));
    it->second.connection->Start();
    Accept(node);
  });
}

void AsioRuntime::Impl::Fail(Status why) {
  if (failure_.ok()) failure_ = std::move(why);
}

std::string AsioRuntime::Impl::Nonce() {
  StatusOr<std::string> nonce = RandomBytes(kHandshakeNonceBytes);
  if (nonce.ok()) return std::move(nonce).value();
  Fail(nonce.status());
  return std::string(kHandshakeNonceBytes, '\0');
}

std::optional<v1::Envelope> AsioRuntime::Impl::TakeUnanswered(NodeId caller, NodeId replier,
                                                              uint64_t correlation) {
  auto it = sending_links_.find({caller, replier});
  if (it == sending_links_.end()) return std::nullopt;
  return links_.at(it->second).unanswered.Take(correlation);
}

AsioRuntime::Impl::Link& AsioRuntime::Impl::SendingLink(NodeId from, NodeId to) {
  if (auto it = sending_links_.find({from, to}); it != sending_links_.end()) {
    return links_.at(it->second);
  }
  const uint64_t id = next_connection_id_++;
  const NodeSlot& target = Slot(to);
  Link link;
  link.connection = Connection::Open(
      io_, id, *this, Slot(from).address, tcp::endpoint(target.address, target.listen_port),
      options_.max_frame_body_bytes, Handshake::Initiator(secret_, from, to, Nonce()));
  link.node = from;
  link.peer = to;
  auto [it, inserted] = links_.emplace(id, std::move(link));
  sending_links_[{from, to}] = id;
  it->second.connection->Start();
  return it->second;
}

Status AsioRuntime::Impl::OnHello(Connection& connection, uint32_t from, uint32_t to) {
  Link& link = links_.at(connection.id());
  if (host_mode()) {
    if (from == kControllerNode && to == kHostNode) {
      if (control_link_ != 0) return InvalidArgument("this host already serves a controller");
      link.control = true;  // proven by the handshake's MACs, like any other connection
      return Status::Ok();
    }
    if (!IsNode(to) || !Slot(to).local) {
      return InvalidArgument("handshake for " + NodeName(to) + ", which does not run on " +
                             NodeName(0));
    }
    if (!IsNode(from)) return InvalidArgument("handshake claims unknown sender " + NodeName(from));
    if (connection.remote_endpoint().address() != Slot(from).address) {
      return InvalidArgument("handshake claims sender " + NodeName(from) + " of host " +
                             Slot(from).host + " but comes from " +
                             connection.remote_endpoint().address().to_string());
    }
    link.node = to;
    return Status::Ok();
  }
  if (to != link.node) {
    return InvalidArgument("handshake for " + NodeName(to) + " arrived at " + NodeName(link.node));
  }
  if (!IsNode(from)) return InvalidArgument("handshake claims unknown sender " + NodeName(from));
  if (connection.remote_endpoint().address() != Slot(from).address) {
    return InvalidArgument("handshake claims sender " + NodeName(from) + " of host " +
                           Slot(from).host + " but comes from " +
                           connection.remote_endpoint().address().to_string());
  }
  return Status::Ok();
}

void AsioRuntime::Impl::OnAuthenticated(Connection& connection) {
  Link& link = links_.at(connection.id());
  if (link.control) {
    if (control_link_ != 0) {  // two controllers authenticated at once: the first one serves
      connection.Close("this host already serves a controller");
      return;
    }
    control_link_ = connection.id();
    return;
  }
  if (link.peer != 0) return;  // an opened end knew its peer from the start
  // An accepted end: the proven peer, and this connection carries the node's envelopes
  // to it unless one already does.
  link.peer = connection.peer_node();
  sending_links_.try_emplace({link.node, link.peer}, connection.id());
}

void AsioRuntime::Impl::OnHandshakeFailed(Connection& connection, const Status& error) {
  const Link& link = links_.at(connection.id());
  std::string claimed;
  if (connection.peer_node() != 0) claimed = " claiming " + NodeName(connection.peer_node());
  Trace(link.node, TraceKind::kDrop,
        "unauthenticated connection " + ToString(connection.remote_endpoint()) + " -> " +
            ToString(connection.local_endpoint()) + claimed + ": " + error.message() +
            "; nothing it sent is delivered");
}

Status AsioRuntime::Impl::OnFrame(Connection& connection, v1::Envelope env) {
  Link& link = links_.at(connection.id());
  if (link.control) {
    if (!env.has_host_control()) {
      return InvalidArgument("the controller's connection carried " + Describe(env));
    }
    if (options_.on_control) options_.on_control(*env.mutable_host_control());
    return Status::Ok();
  }
  // Only authenticated connections deliver frames, so link.peer is the proven sender.
  Status rejected;
  if (env.has_host_control()) {
    rejected = InvalidArgument("control message on a node connection from " + NodeName(link.peer));
  } else if (options_.logical_clock && env.lamport() > kMaxLamport) {
    rejected = InvalidArgument("rejected frame: " + Describe(env) + " carries logical clock " +
                               std::to_string(env.lamport()) + ", above the maximum " +
                               std::to_string(kMaxLamport));
  } else if (env.lost_in_transit() &&
             (!host_mode() || env.body_case() != v1::Envelope::BODY_NOT_SET)) {
    rejected =
        InvalidArgument("rejected frame: a lost-in-transit notice " +
                        std::string(host_mode() ? "with a body" : "outside a multi-process run") +
                        " (correlation " + std::to_string(env.correlation()) + ")");
  } else if (env.to() != link.node) {
    rejected = InvalidArgument("misaddressed frame: " + Describe(env) + " for " +
                               NodeName(env.to()) + " arrived at " + NodeName(link.node));
  } else if (env.from() != link.peer) {
    rejected =
        InvalidArgument("rejected frame: " + Describe(env) + " claims sender " +
                        NodeName(env.from()) + " on a connection from " + NodeName(link.peer));
  }
  if (!rejected.ok()) {
    Trace(link.node, TraceKind::kDrop,
          rejected.message() + " on connection " + ToString(connection.remote_endpoint()) + " -> " +
              ToString(connection.local_endpoint()));
    return rejected;
  }
  if (env.lost_in_transit()) {
    OnLostNotice(link.node, env);
    return Status::Ok();
  }
  if (IsReply(env)) {
    // Book the answer now rather than at delivery, so that a close right after this
    // frame does not report its request as undeliverable.
    if (auto it = sending_links_.find({link.node, link.peer}); it != sending_links_.end()) {
      links_.at(it->second).unanswered.Answer(env.correlation());
    }
  }
  // The logical clock moves past the sender's, so that this DELIVER sorts after its SEND.
  if (options_.logical_clock && env.lamport() >= next_seq_) next_seq_ = env.lamport() + 1;
  // The simulated clock reaches the envelope's arrival time, as in the virtual runtime,
  // where the receiver's deadlines due before it fire first.
  const NodeId receiver = link.node;  // `link` may close while deadlines fire
  if (IsReply(env)) request_deadlines_.erase({receiver, env.correlation()});
  if (env.sent_at_ms() >= 0) {
    const Time arrival = LaterOf(env.sent_at_ms(), nodes::kLinkLatencyMs);
    ExpireDeadlines(receiver, arrival);
    if (shut_down_) return Status::Ok();
    clock_ = std::max(clock_, arrival);
  }
  // Delivered at once, inside the read handler, as the raw ping-pong does: the connection
  // outlives the handler (it holds itself), and it checks whether it was closed before
  // decoding the next frame. `link` is not used after this: the node may close it.
  Deliver(receiver, env);
  return Status::Ok();
}

void AsioRuntime::Impl::OnWireError(Connection& connection, const Status& error) {
  const Link& link = links_.at(connection.id());
  std::string summary = error.message() + " on connection " +
                        ToString(connection.remote_endpoint()) + " -> " +
                        ToString(connection.local_endpoint());
  if (link.peer != 0) summary += " from " + NodeName(link.peer);
  Trace(link.node, TraceKind::kWireDecodeError, std::move(summary));
}

void AsioRuntime::Impl::OnClosed(Connection& connection, const std::string& reason) {
  auto it = links_.find(connection.id());
  if (it == links_.end()) return;
  Link link = std::move(it->second);
  links_.erase(it);
  if (link.control) {
    // Only the authenticated controller's going ends the host's service: a stranger that
    // claims to be one and fails the handshake changes nothing.
    if (control_link_ != connection.id()) return;
    control_link_ = 0;
    if (!shut_down_ && options_.on_control_closed) options_.on_control_closed(reason);
    return;
  }
  if (link.peer != 0) {
    auto sending = sending_links_.find({link.node, link.peer});
    if (sending != sending_links_.end() && sending->second == connection.id()) {
      sending_links_.erase(sending);
    }
  }
  if (shut_down_) return;
  const std::string local = ToString(connection.local_endpoint());
  const std::string remote = ToString(connection.remote_endpoint());
  Trace(link.node, TraceKind::kConnectionClosed,
        "connection " + local + " -> " + remote +
            (link.peer != 0 ? " (" + NodeName(link.peer) + ")" : "") + " closed: " + reason);
  const Status why =
      Unavailable("connection " + connection.local_endpoint().address().to_string() + " -> " +
                  connection.remote_endpoint().address().to_string() + " closed: " + reason);
  for (v1::Envelope& request : link.unanswered.TakeAll()) {
    PostUndeliverable(link.node, std::move(request), why);
  }
}

void AsioRuntime::Impl::Deliver(NodeId node, v1::Envelope& env) {
  if (shut_down_) return;
  if (trace_sink_) {
    Trace(node, TraceKind::kDeliver, DescribeEnvelope(env) + " -> " + NodeName(node),
          env.has_call() ? env.call().path() : "", capture_ ? &env : nullptr);
  }
  if (shut_down_) return;  // the trace sink shut the runtime down
  NodeSlot& slot = Slot(node);
  ++delivered_;
  slot.node->OnMessage(env, *slot.context);
}

void AsioRuntime::Impl::PostUndeliverable(NodeId node, v1::Envelope env, Status why, bool trace) {
  asio::post(io_, [this, node, env = std::move(env), why = std::move(why), trace] {
    if (shut_down_) return;
    const std::string path = env.has_call() ? env.call().path() : "";
    if (trace) {
      Trace(node, TraceKind::kDrop,
            Describe(env) + " to " + NodeName(env.to()) + " undeliverable: " + why.ToString(),
            path);
    }
    if (shut_down_) return;  // the trace sink shut the runtime down
    NodeSlot& slot = Slot(node);
    slot.node->OnUndeliverable(env, why, *slot.context);
  });
}

void AsioRuntime::Impl::FireDeadline(NodeId node, TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end() || it->second.node != node) return;  // answered or cancelled
  clock_ = std::max(clock_, it->second.simulated_due);
  timers_.erase(it);  // destroying the asio timer aborts its real-time wait
  NodeSlot& slot = Slot(node);
  slot.node->OnTimer(id, *slot.context);
}

void AsioRuntime::Impl::SendLostNotice(NodeId from, const v1::Envelope& reply, uint64_t seq) {
  const NodeId to = reply.to();
  if (Slot(to).listen_port == 0) return;  // no endpoint: nothing could have reached it
  v1::Envelope notice;
  notice.set_from(from);
  notice.set_to(to);
  notice.set_correlation(reply.correlation());
  notice.set_sent_at_ms(reply.sent_at_ms());
  notice.set_lost_in_transit(true);
  if (options_.logical_clock) notice.set_lamport(seq);
  StatusOr<std::string> frame = EncodeFrame(notice, options_.max_frame_body_bytes);
  if (!frame.ok()) {
    Fail(frame.status());
    return;
  }
  SendingLink(from, to).connection->Write(std::move(*frame));
}

void AsioRuntime::Impl::OnLostNotice(NodeId requester, const v1::Envelope& notice) {
  // The DROP record sorts before the timeout it causes.
  if (options_.logical_clock && notice.lamport() >= next_seq_) next_seq_ = notice.lamport() + 1;
  const auto it = request_deadlines_.find({requester, notice.correlation()});
  if (it == request_deadlines_.end()) return;  // answered or ended already
  const TimerId deadline = it->second;
  request_deadlines_.erase(it);
  FireDeadline(requester, deadline);
}

void AsioRuntime::Impl::ExpireDeadlines(NodeId node, Time up_to) {
  std::vector<std::pair<Time, TimerId>> due;
  for (const auto& [id, timer] : timers_) {
    if (timer.node == node && timer.deadline && timer.simulated_due <= up_to) {
      due.emplace_back(timer.simulated_due, id);
    }
  }
  std::sort(due.begin(), due.end());
  for (const auto& [when, id] : due) {
    auto it = timers_.find(id);
    if (it == timers_.end() || shut_down_) continue;  // cancelled by an earlier one
    clock_ = std::max(clock_, when);
    timers_.erase(it);  // destroying the asio timer aborts its real-time wait
    NodeSlot& slot = Slot(node);
    slot.node->OnTimer(id, *slot.context);
  }
}

void AsioRuntime::Impl::InjectRawBytes(NodeId from, NodeId to, std::string bytes) {
  if (shut_down_ || !started_ || !IsNode(from) || !IsNode(to)) return;
  SendingLink(from, to).connection->Write(std::move(bytes));
}

std::vector<ConnectionInfo> AsioRuntime::Impl::Connections() const {
  std::vector<ConnectionInfo> result;
  for (const auto& [id, link] : links_) {
    ConnectionInfo info;
    info.id = id;
    info.node = link.node;
    info.peer = link.peer;
    info.accepted = link.connection->accepted();
    auto sending = sending_links_.find({link.node, link.peer});
    info.carries_sends = sending != sending_links_.end() && sending->second == id;
    info.local_endpoint = ToString(link.connection->local_endpoint());
    info.remote_endpoint = ToString(link.connection->remote_endpoint());
    info.unanswered_requests = link.unanswered.size();
    result.push_back(std::move(info));
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// AsioRuntime: forwards to Impl, which keeps <asio.hpp> out of this class's header.

AsioRuntime::AsioRuntime(AsioRuntimeOptions options) : impl_(std::make_unique<Impl>(options)) {}
AsioRuntime::~AsioRuntime() { impl_->Shutdown(); }

NodeId AsioRuntime::AddNode(std::unique_ptr<Node> node, const std::string& host_address) {
  return impl_->AddNode(std::move(node), host_address);
}
Node& AsioRuntime::GetNode(NodeId id) { return impl_->GetNode(id); }
void AsioRuntime::SetTraceSink(nodes::TraceSink sink) { impl_->SetTraceSink(std::move(sink)); }
void AsioRuntime::SetFaults(std::shared_ptr<const nodes::FaultPlan> plan) {
  impl_->SetFaults(std::move(plan));
}
void AsioRuntime::CaptureMessages(bool capture) { impl_->CaptureMessages(capture); }
Status AsioRuntime::Start() { return impl_->Start(); }
void AsioRuntime::Post(NodeId id, std::function<void(Node&, NodeContext&)> fn) {
  impl_->Post(id, std::move(fn));
}
Status AsioRuntime::RunUntil(const std::function<bool()>& done, Time budget_ms) {
  return impl_->RunUntil(done, budget_ms);
}
void AsioRuntime::AdvanceClock(Time delta_ms) { impl_->AdvanceClock(delta_ms); }
Time AsioRuntime::Now() const { return impl_->Now(); }
uint64_t AsioRuntime::delivered() const { return impl_->delivered(); }
Status AsioRuntime::Failure() const { return impl_->Failure(); }
const std::string& AsioRuntime::run_secret() const { return impl_->run_secret(); }
void AsioRuntime::Shutdown() { impl_->Shutdown(); }
void AsioRuntime::InjectRawBytes(NodeId from, NodeId to, std::string bytes) {
  impl_->InjectRawBytes(from, to, std::move(bytes));
}
Status AsioRuntime::SetPeers(const std::vector<PeerEndpoint>& peers) {
  return impl_->SetPeers(peers);
}
bool AsioRuntime::SendControl(v1::HostControl message) {
  return impl_->SendControl(std::move(message));
}
bool AsioRuntime::IsLocal(NodeId id) const { return impl_->IsLocal(id); }
void AsioRuntime::SetHostMode(std::string local_host, std::string listen_ip, uint16_t listen_port) {
  impl_->SetHostMode(std::move(local_host), std::move(listen_ip), listen_port);
}
uint16_t AsioRuntime::ListenPort(NodeId id) const { return impl_->ListenPort(id); }
std::string AsioRuntime::HostAddress(NodeId id) const { return impl_->HostAddress(id); }
std::vector<ConnectionInfo> AsioRuntime::Connections() const { return impl_->Connections(); }

}  // namespace delegsim::net
