// VirtualRuntime: the deterministic virtual-time runtime.
//
// Events are processed in (time, sequence number) order; integer milliseconds; envelopes
// are serialized on send and parsed on delivery, exactly as on a socket, after a fixed
// link latency. Timers are events too (cancelled ones are skipped, not removed, as in
// ns-3). Nothing waits in real time, so a run is reproducible byte for byte. An envelope
// above nodes::kMaxEnvelopeBytes (the tcp frame maximum) is traced DROP, not sent, and
// fails the run (Failure()), as over tcp.
//
// Deliveries and posts happen at now + a constant and the clock never goes back, so each
// kind is queued in order by construction (a FIFO); only timers need a heap. The next
// event is the earliest of the three queue heads.
//
//   VirtualRuntime rt;
//   NodeId a = rt.AddNode(std::make_unique<MyNode>(), "127.0.1.2");
//   rt.Post(a, [](Node& n, NodeContext& ctx) { ... });
//   rt.RunUntil([] { return false; }, 60'000);   // runs until idle
#ifndef DELEGSIM_SIM_VIRTUAL_RUNTIME_H_
#define DELEGSIM_SIM_VIRTUAL_RUNTIME_H_

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "common/saturating.h"
#include "nodes/runtime.h"

namespace delegsim::sim {

using nodes::Node;
using nodes::NodeContext;
using nodes::NodeId;
using nodes::Time;
using nodes::TimerId;
using nodes::TraceRecord;

class VirtualRuntime final : public nodes::Runtime {
 public:
  static constexpr Time kLinkLatencyMs = nodes::kLinkLatencyMs;
  static constexpr uint64_t kMaxEventsPerRun = 10'000'000;  // a guard against livelock

  VirtualRuntime();
  ~VirtualRuntime() override;
  VirtualRuntime(const VirtualRuntime&) = delete;
  VirtualRuntime& operator=(const VirtualRuntime&) = delete;

  NodeId AddNode(std::unique_ptr<Node> node, const std::string& host_address) override;
  Node& GetNode(NodeId id) override { return *nodes_[id - 1].node; }
  void SetTraceSink(nodes::TraceSink sink) override { sink_ = std::move(sink); }
  void CaptureMessages(bool capture) override { capture_ = capture; }
  Status Start() override { return Status::Ok(); }
  void Post(NodeId id, std::function<void(Node&, NodeContext&)> fn) override;
  Status RunUntil(const std::function<bool()>& done, Time budget_ms) override;
  // Negative deltas are ignored: the clock never goes back. It stops at the end of time
  // (INT64_MAX ms) rather than wrapping.
  void AdvanceClock(Time delta_ms) override {
    now_ = SaturatingAdd(now_, std::max<Time>(delta_ms, 0));
  }
  Time Now() const override { return now_; }
  void Shutdown() override;
  std::string_view kind() const override { return "virtual"; }
  // Set when an envelope above nodes::kMaxEnvelopeBytes was not sent.
  Status Failure() const override { return failure_; }

  // Processes exactly one live event. False when the queue holds none.
  bool Step();
  // Number of events processed so far (deliveries, timers, posts).
  uint64_t events_processed() const { return events_processed_; }
  uint64_t delivered() const override { return delivered_; }
  // Nodes added so far; their ids are 1 to node_count().
  size_t node_count() const { return nodes_.size(); }
  // Test hook: the next envelope from `from` to `to` is replaced by `bytes` on the wire.
  void CorruptNext(NodeId from, NodeId to, std::string bytes);

 private:
  class Context;
  struct Delivery {
    Time time;
    uint64_t seq;
    NodeId node;  // receiver
    NodeId from;
    std::string bytes;    // the serialized envelope
    std::string summary;  // the SEND record's summary, when traced and not corrupted
  };
  struct PostEvent {
    Time time;
    uint64_t seq;
    NodeId node;
    std::function<void(Node&, NodeContext&)> fn;
  };
  struct TimerEvent {
    Time time;
    uint64_t seq;
    NodeId node;
    TimerId timer;
  };
  struct TimerLater {
    bool operator()(const TimerEvent& a, const TimerEvent& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };
  struct Slot {
    std::unique_ptr<Node> node;
    std::string address;
    std::unique_ptr<Context> ctx;
  };

  enum class Next : uint8_t { kNone, kDelivery, kPost, kTimer };
  struct Head {
    Next next = Next::kNone;  // the queue holding the earliest event; kNone when all are empty
    Time time = 0;            // that event's time
  };
  // Drops cancelled timers from the heap's top, then finds the earliest event.
  Head Peek();
  void Deliver(Delivery& d);
  void Emit(NodeId node, TraceRecord rec);
  bool Cancelled(TimerId id) const { return id < cancelled_.size() && cancelled_[id]; }

  std::vector<Slot> nodes_;
  std::deque<Delivery> deliveries_;
  std::deque<PostEvent> posts_;
  std::priority_queue<TimerEvent, std::vector<TimerEvent>, TimerLater> timers_;
  std::vector<bool> cancelled_;  // by timer id
  std::vector<std::tuple<NodeId, NodeId, std::string>> corruptions_;
  nodes::TraceSink sink_;
  Time now_ = 0;
  uint64_t next_seq_ = 1;
  uint64_t next_trace_seq_ = 1;
  TimerId next_timer_ = 1;
  uint64_t events_processed_ = 0;
  uint64_t delivered_ = 0;
  bool shut_down_ = false;
  Status failure_;
  bool capture_ = false;  // SEND / DELIVER records carry the envelope
};

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_VIRTUAL_RUNTIME_H_
