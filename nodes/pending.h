// Pending: the requests a node is waiting on, each with a bounded wait.
//
// Request() sends an envelope with a fresh correlation number and remembers the
// callback; the reply, a timeout, or an undeliverable notice completes it exactly once.
//
//   pending_.Request(ctx, kdc, std::move(env), timeout,
//                    [](const v1::Envelope* reply, const Status& s, NodeContext& ctx) {...});
//   // in OnMessage: if (pending_.OnReply(env, ctx)) return;
#ifndef DELEGSIM_NODES_PENDING_H_
#define DELEGSIM_NODES_PENDING_H_

#include <functional>
#include <vector>

#include "nodes/context.h"
#include "nodes/envelope.h"

namespace delegsim::nodes {

class Pending {
 public:
  // `reply` is the answer (valid only during the call), or nullptr with a non-OK `status`
  // for a timeout or an undeliverable request.
  using Callback = std::function<void(v1::Envelope* reply, const Status& status, NodeContext&)>;

  Pending() = default;
  Pending(const Pending&) = delete;
  Pending& operator=(const Pending&) = delete;

  void Request(NodeContext& ctx, NodeId to, v1::Envelope env, Time timeout_ms, Callback done);
  // Each returns true when the event belonged to a pending request (and completed it).
  bool OnReply(v1::Envelope& env, NodeContext& ctx);
  bool OnTimer(TimerId id, NodeContext& ctx);
  bool OnUndeliverable(const v1::Envelope& env, const Status& why, NodeContext& ctx);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t correlation = 0;
    TimerId timer = 0;
    NodeId to = 0;
    Callback done;
  };
  // Completes and removes entries_[index].
  void Complete(size_t index, v1::Envelope* reply, const Status& status, NodeContext& ctx);
  // Index of the entry with that correlation (or timer), or entries_.size().
  size_t FindCorrelation(uint64_t correlation) const;
  size_t FindTimer(TimerId timer) const;

  uint64_t next_correlation_ = 1;
  // A node waits on a handful of requests at a time: a flat list beats two maps.
  std::vector<Entry> entries_;
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_PENDING_H_
