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
#include <map>

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
  size_t size() const { return by_correlation_.size(); }

 private:
  struct Entry {
    Callback done;
    TimerId timer = 0;
    NodeId to = 0;
  };
  void Complete(uint64_t correlation, v1::Envelope* reply, const Status& status, NodeContext& ctx);

  uint64_t next_correlation_ = 1;
  std::map<uint64_t, Entry> by_correlation_;
  std::map<TimerId, uint64_t> by_timer_;
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_PENDING_H_
