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
      if (env.has_call()) rec.path = env.call().path();
      rt_.Emit(self_, std::move(rec));
      // As over tcp: the sender hears, as a separate event, rather than waiting forever.
      Status why = NotFound("no node " + std::to_string(to));
      rt_.Post(self_, [env = std::move(env), why](Node& node, NodeContext& ctx) {
        node.OnUndeliverable(env, why, ctx);
      });
      return;
    }
    std::string bytes;
    env.SerializeToString(&bytes);
    if (bytes.size() > nodes::kMaxEnvelopeBytes) {
      // The tcp runtime's frame maximum, enforced alike: not sent, and the run fails.
      std::string why = nodes::DescribeEnvelope(env) + " to " +
                        std::string(rt_.nodes_[to - 1].node->name()) + " not sent: envelope of " +
                        std::to_string(bytes.size()) + " bytes exceeds the frame maximum of " +
                        std::to_string(nodes::kMaxEnvelopeBytes);
      TraceRecord rec;
      rec.kind = nodes::TraceKind::kDrop;
      rec.summary = why;
      if (env.has_call()) rec.path = env.call().path();
      rt_.Emit(self_, std::move(rec));
      if (rt_.failure_.ok()) {
        rt_.failure_ = Status(StatusCode::kResourceExhausted,
                              std::string(rt_.nodes_[self_ - 1].node->name()) + ": " + why);
      }
      return;
    }
    bool corrupted = false;
    for (auto it = rt_.corruptions_.begin(); it != rt_.corruptions_.end(); ++it) {
      if (std::get<0>(*it) == self_ && std::get<1>(*it) == to) {
        bytes = std::get<2>(*it);
        rt_.corruptions_.erase(it);
        corrupted = true;
        break;
      }
    }
    std::string summary;  // SEND and DELIVER read alike: the delivery reuses it
    if (rt_.sink_) {
      TraceRecord rec;
      rec.kind = nodes::TraceKind::kSend;
      rec.summary = Describe(env, rt_.nodes_[to - 1].node->name());
      if (!corrupted) summary = rec.summary;
      if (rt_.capture_) rec.message = std::make_shared<const v1::Envelope>(env);
      rt_.Emit(self_, std::move(rec));
    }
    if (rt_.shut_down_) return;
    nodes::LinkEffect effect;
    if (rt_.faults_) {
      effect = rt_.faults_->Effect({self_, rt_.nodes_[self_ - 1].address},
                                   {to, rt_.nodes_[to - 1].address}, rt_.now_, nodes::IsReply(env));
    }
    switch (effect.action) {
      case nodes::LinkEffect::Action::kRefuse: {
        // The sender hears at once, as a separate event (as over tcp).
        Status why = nodes::FaultPlan::Refusal(*effect.fault);
        TraceRecord rec;
        rec.kind = nodes::TraceKind::kDrop;
        rec.summary = "refused: " + why.message();
        if (env.has_call()) rec.path = env.call().path();
        rt_.Emit(self_, std::move(rec));
        rt_.Post(self_, [env = std::move(env), why](Node& node, NodeContext& ctx) {
          node.OnUndeliverable(env, why, ctx);
        });
        return;
      }
      case nodes::LinkEffect::Action::kDrop: {
        // Lost: the requester's reply deadline ends the request.
        TraceRecord rec;
        rec.kind = nodes::TraceKind::kDrop;
        rec.summary = nodes::FaultPlan::Describe(*effect.fault);
        if (env.has_call()) rec.path = env.call().path();
        rt_.Emit(self_, std::move(rec));
        return;
      }
      case nodes::LinkEffect::Action::kDeliver:
        break;
    }
    Delivery d{SaturatingAdd(rt_.now_, kLinkLatencyMs),
               rt_.next_seq_++,
               to,
               self_,
               std::move(bytes),
               std::move(summary)};
    if (effect.delay_ms > 0) {
      d.time = SaturatingAdd(d.time, effect.delay_ms);
      rt_.delayed_.push(std::move(d));
    } else {
      rt_.deliveries_.push_back(std::move(d));
    }
  }
  TimerId StartTimer(Time delay) override {
    TimerId id = rt_.next_timer_++;
    if (!rt_.shut_down_) {
      rt_.timers_.push(TimerEvent{SaturatingAdd(rt_.now_, std::max<Time>(delay, 0)),
                                  rt_.next_seq_++, self_, id});
    }
    return id;
  }
  void CancelTimer(TimerId id) override {
    if (id >= rt_.next_timer_) return;
    if (rt_.cancelled_.size() <= id) rt_.cancelled_.resize(id + 1);
    rt_.cancelled_[id] = true;
  }
  void Trace(TraceRecord record) override { rt_.Emit(self_, std::move(record)); }
  bool SameHost(NodeId peer) const override {
    return peer >= 1 && peer <= rt_.nodes_.size() &&
           rt_.nodes_[peer - 1].address == rt_.nodes_[self_ - 1].address;
  }
  bool Tracing() const override { return rt_.sink_ != nullptr; }

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
  if (shut_down_) return;
  posts_.push_back(PostEvent{now_, next_seq_++, id, std::move(fn)});
}

void VirtualRuntime::Emit(NodeId node, TraceRecord rec) {
  if (!sink_) return;
  rec.time = now_;
  rec.seq = next_trace_seq_++;
  rec.node = std::string(nodes_[node - 1].node->name());
  sink_(rec);
}

VirtualRuntime::Head VirtualRuntime::Peek() {
  while (!timers_.empty() && Cancelled(timers_.top().timer)) timers_.pop();
  Head head;
  uint64_t seq = 0;
  auto consider = [&](Next next, Time time, uint64_t s) {
    if (head.next == Next::kNone || time < head.time || (time == head.time && s < seq)) {
      head = {next, time};
      seq = s;
    }
  };
  if (!deliveries_.empty())
    consider(Next::kDelivery, deliveries_.front().time, deliveries_.front().seq);
  if (!delayed_.empty()) consider(Next::kDelayed, delayed_.top().time, delayed_.top().seq);
  if (!posts_.empty()) consider(Next::kPost, posts_.front().time, posts_.front().seq);
  if (!timers_.empty()) consider(Next::kTimer, timers_.top().time, timers_.top().seq);
  return head;
}

bool VirtualRuntime::Step() {
  const Head head = Peek();
  if (head.next == Next::kNone) return false;
  now_ = std::max(now_, head.time);
  ++events_processed_;
  switch (head.next) {
    case Next::kDelivery: {
      Delivery d = std::move(deliveries_.front());
      deliveries_.pop_front();
      Deliver(d);
      break;
    }
    case Next::kDelayed: {
      // top() is const; the element is popped right after it is moved from.
      Delivery d = std::move(const_cast<Delivery&>(delayed_.top()));
      delayed_.pop();
      Deliver(d);
      break;
    }
    case Next::kPost: {
      PostEvent p = std::move(posts_.front());
      posts_.pop_front();
      Slot& slot = nodes_[p.node - 1];
      p.fn(*slot.node, *slot.ctx);
      break;
    }
    case Next::kTimer: {
      TimerEvent t = timers_.top();
      timers_.pop();
      Slot& slot = nodes_[t.node - 1];
      slot.node->OnTimer(t.timer, *slot.ctx);
      break;
    }
    case Next::kNone:
      break;
  }
  return true;
}

void VirtualRuntime::Deliver(Delivery& d) {
  Slot& slot = nodes_[d.node - 1];
  v1::Envelope env;
  Status parsed = nodes::ParseEnvelope(d.bytes, env);
  if (!parsed.ok() || env.from() != d.from) {
    // As on a socket: an undecodable frame is traced and its request fails at the sender.
    TraceRecord rec;
    rec.kind = nodes::TraceKind::kWireDecodeError;
    rec.summary = "undecodable frame of " + std::to_string(d.bytes.size()) + " bytes from " +
                  std::string(nodes_[d.from - 1].node->name()) + "; connection closed";
    if (parsed.message().find("nests deeper") != std::string::npos) {
      rec.summary += " (it " + parsed.message() + ")";
    }
    Emit(d.node, std::move(rec));
    return;
  }
  ++delivered_;
  if (sink_) {
    TraceRecord rec;
    rec.kind = nodes::TraceKind::kDeliver;
    rec.summary =
        d.summary.empty() ? Context::Describe(env, slot.node->name()) : std::move(d.summary);
    if (capture_) rec.message = std::make_shared<const v1::Envelope>(env);
    Emit(d.node, std::move(rec));
  }
  slot.node->OnMessage(env, *slot.ctx);
}

Status VirtualRuntime::RunUntil(const std::function<bool()>& done, Time budget_ms) {
  Time deadline = SaturatingAdd(now_, budget_ms);
  uint64_t events = 0;
  while (!shut_down_ && !done()) {
    if (!failure_.ok()) return failure_;
    // Cancelled timers are skipped without moving the clock.
    const Head head = Peek();
    if (head.next == Next::kNone) return Status::Ok();
    if (head.time > deadline) {
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
  deliveries_.clear();
  delayed_ = {};
  posts_.clear();
  timers_ = {};
}

void VirtualRuntime::CorruptNext(NodeId from, NodeId to, std::string bytes) {
  corruptions_.emplace_back(from, to, std::move(bytes));
}

}  // namespace delegsim::sim
