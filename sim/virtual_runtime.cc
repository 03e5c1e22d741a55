#include "sim/virtual_runtime.h"

#include "nodes/envelope.h"

namespace delegsim::sim {

class VirtualRuntime::Context final : public NodeContext {
 public:
  Context(VirtualRuntime& rt, NodeId self) : rt_(rt), self_(self) {}
  Time Now() const override { return rt_.now_; }
  void Send(v1::Envelope env) override {
    env.set_from(self_);
    NodeId to = env.to();
    if (to == 0 || to > rt_.nodes_.size()) {
      TraceRecord rec;
      rec.kind = nodes::TraceKind::kDrop;
      rec.summary = "no node " + std::to_string(to);
      rt_.Emit(self_, std::move(rec));
      return;
    }
    std::string bytes;
    env.SerializeToString(&bytes);
    for (auto it = rt_.corruptions_.begin(); it != rt_.corruptions_.end(); ++it) {
      if (std::get<0>(*it) == self_ && std::get<1>(*it) == to) {
        bytes = std::get<2>(*it);
        rt_.corruptions_.erase(it);
        break;
      }
    }
    TraceRecord rec;
    rec.kind = nodes::TraceKind::kSend;
    rec.summary = Describe(env, rt_.nodes_[to - 1].node->name());
    if (rt_.capture_) rec.message = std::make_shared<const v1::Envelope>(env);
    rt_.Emit(self_, std::move(rec));
    Event e{
        rt_.now_ + kLinkLatencyMs, 0, Event::Kind::kDeliver, to, self_, std::move(bytes), 0, {}};
    rt_.Push(std::move(e));
  }
  TimerId StartTimer(Time delay) override {
    TimerId id = rt_.next_timer_++;
    rt_.Push(Event{rt_.now_ + delay, 0, Event::Kind::kTimer, self_, 0, {}, id, {}});
    return id;
  }
  void CancelTimer(TimerId id) override { rt_.cancelled_.insert(id); }
  void Trace(TraceRecord record) override { rt_.Emit(self_, std::move(record)); }

  static std::string Describe(const v1::Envelope& env, std::string_view peer) {
    return nodes::DescribeEnvelope(env) + " -> " + std::string(peer);
  }

 private:
  VirtualRuntime& rt_;
  NodeId self_;
};

VirtualRuntime::VirtualRuntime() = default;
VirtualRuntime::~VirtualRuntime() = default;

NodeId VirtualRuntime::AddNode(std::unique_ptr<Node> node, const std::string& host_address) {
  NodeId id = static_cast<NodeId>(nodes_.size() + 1);
  nodes_.push_back(Slot{std::move(node), host_address, std::make_unique<Context>(*this, id)});
  return id;
}

void VirtualRuntime::Post(NodeId id, std::function<void(Node&, NodeContext&)> fn) {
  Push(Event{now_, 0, Event::Kind::kPost, id, 0, {}, 0, std::move(fn)});
}

void VirtualRuntime::Push(Event e) {
  if (shut_down_) return;
  e.seq = next_seq_++;
  queue_.push(std::move(e));
}

void VirtualRuntime::Emit(NodeId node, TraceRecord rec) {
  if (!sink_) return;
  rec.time = now_;
  rec.seq = next_trace_seq_++;
  rec.node = std::string(nodes_[node - 1].node->name());
  sink_(rec);
}

bool VirtualRuntime::Step() {
  while (!queue_.empty()) {
    // The queue never looks at an element again once popped, so moving from top() is safe.
    Event e = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    if (e.kind == Event::Kind::kTimer && cancelled_.erase(e.timer))
      continue;  // skipped, time unchanged
    now_ = std::max(now_, e.time);
    Dispatch(e);
    ++events_processed_;
    return true;
  }
  return false;
}

void VirtualRuntime::Dispatch(Event& e) {
  Slot& slot = nodes_[e.node - 1];
  switch (e.kind) {
    case Event::Kind::kPost:
      e.fn(*slot.node, *slot.ctx);
      return;
    case Event::Kind::kTimer:
      slot.node->OnTimer(e.timer, *slot.ctx);
      return;
    case Event::Kind::kDeliver: {
      v1::Envelope env;
      if (!env.ParseFromString(e.bytes) || env.from() != e.from) {
        // As on a socket: an undecodable frame is traced and its request fails at the sender.
        TraceRecord rec;
        rec.kind = nodes::TraceKind::kWireDecodeError;
        rec.summary = "undecodable frame of " + std::to_string(e.bytes.size()) + " bytes from " +
                      std::string(nodes_[e.from - 1].node->name()) + "; connection closed";
        Emit(e.node, std::move(rec));
        return;
      }
      TraceRecord rec;
      rec.kind = nodes::TraceKind::kDeliver;
      rec.summary = Context::Describe(env, slot.node->name());
      if (capture_) rec.message = std::make_shared<const v1::Envelope>(env);
      Emit(e.node, std::move(rec));
      slot.node->OnMessage(env, *slot.ctx);
      return;
    }
  }
}

Status VirtualRuntime::RunUntil(const std::function<bool()>& done, Time budget_ms) {
  Time deadline = now_ + budget_ms;
  uint64_t events = 0;
  while (!shut_down_ && !done()) {
    // Skip cancelled timers without moving the clock, then look at the next live event.
    while (!queue_.empty() && queue_.top().kind == Event::Kind::kTimer &&
           cancelled_.count(queue_.top().timer)) {
      cancelled_.erase(queue_.top().timer);
      queue_.pop();
    }
    if (queue_.empty()) return Status::Ok();
    if (queue_.top().time > deadline) {
      return Status(StatusCode::kDeadlineExceeded,
                    "virtual budget of " + std::to_string(budget_ms) + " ms used up");
    }
    if (++events > kMaxEventsPerRun) {
      return Status(StatusCode::kResourceExhausted, "event limit reached (livelock?)");
    }
    Step();
  }
  return Status::Ok();
}

void VirtualRuntime::Shutdown() {
  shut_down_ = true;
  while (!queue_.empty()) queue_.pop();
}

void VirtualRuntime::CorruptNext(NodeId from, NodeId to, std::string bytes) {
  corruptions_.emplace_back(from, to, std::move(bytes));
}

}  // namespace delegsim::sim
