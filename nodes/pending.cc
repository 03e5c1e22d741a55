#include "nodes/pending.h"

namespace delegsim::nodes {

void Pending::Request(NodeContext& ctx, NodeId to, v1::Envelope env, Time timeout_ms,
                      Callback done) {
  uint64_t correlation = next_correlation_++;
  env.set_to(to);
  env.set_correlation(correlation);
  TimerId timer = ctx.StartTimer(timeout_ms);
  by_correlation_[correlation] = Entry{std::move(done), timer, to};
  by_timer_[timer] = correlation;
  ctx.Send(std::move(env));
}

void Pending::Complete(uint64_t correlation, v1::Envelope* reply, const Status& status,
                       NodeContext& ctx) {
  auto it = by_correlation_.find(correlation);
  if (it == by_correlation_.end()) return;
  Entry entry = std::move(it->second);
  by_correlation_.erase(it);
  by_timer_.erase(entry.timer);
  ctx.CancelTimer(entry.timer);
  entry.done(reply, status, ctx);
}

bool Pending::OnReply(v1::Envelope& env, NodeContext& ctx) {
  if (!IsReply(env)) return false;
  auto it = by_correlation_.find(env.correlation());
  if (it == by_correlation_.end() || it->second.to != env.from()) return false;
  Complete(env.correlation(), &env, Status::Ok(), ctx);
  return true;
}

bool Pending::OnTimer(TimerId id, NodeContext& ctx) {
  auto it = by_timer_.find(id);
  if (it == by_timer_.end()) return false;
  uint64_t correlation = it->second;
  Complete(
      correlation, nullptr,
      Status(StatusCode::kDeadlineExceeded, "no reply within the request timeout (correlation " +
                                                std::to_string(correlation) + ")"),
      ctx);
  return true;
}

bool Pending::OnUndeliverable(const v1::Envelope& env, const Status& why, NodeContext& ctx) {
  if (IsReply(env) || !by_correlation_.count(env.correlation())) return false;
  Complete(env.correlation(), nullptr, why, ctx);
  return true;
}

}  // namespace delegsim::nodes
