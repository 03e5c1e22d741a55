#include "nodes/pending.h"

namespace delegsim::nodes {

void Pending::Request(NodeContext& ctx, NodeId to, v1::Envelope env, Time timeout_ms,
                      Callback done) {
  uint64_t correlation = next_correlation_++;
  env.set_to(to);
  env.set_correlation(correlation);
  TimerId timer = ctx.StartDeadline(timeout_ms);
  entries_.push_back(Entry{correlation, timer, to, std::move(done)});
  ctx.Send(std::move(env));
}

size_t Pending::FindCorrelation(uint64_t correlation) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].correlation == correlation) return i;
  }
  return entries_.size();
}

size_t Pending::FindTimer(TimerId timer) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].timer == timer) return i;
  }
  return entries_.size();
}

void Pending::Complete(size_t index, v1::Envelope* reply, const Status& status, NodeContext& ctx) {
  Entry entry = std::move(entries_[index]);
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(index));
  ctx.CancelTimer(entry.timer);
  entry.done(reply, status, ctx);  // may add requests: `entries_` is not touched after
}

bool Pending::OnReply(v1::Envelope& env, NodeContext& ctx) {
  if (!IsReply(env)) return false;
  size_t i = FindCorrelation(env.correlation());
  if (i == entries_.size() || entries_[i].to != env.from()) return false;
  Complete(i, &env, Status::Ok(), ctx);
  return true;
}

bool Pending::OnTimer(TimerId id, NodeContext& ctx) {
  size_t i = FindTimer(id);
  if (i == entries_.size()) return false;
  uint64_t correlation = entries_[i].correlation;
  Complete(
      i, nullptr,
      Status(StatusCode::kDeadlineExceeded, "no reply within the request timeout (correlation " +
                                                std::to_string(correlation) + ")"),
      ctx);
  return true;
}

bool Pending::OnUndeliverable(const v1::Envelope& env, const Status& why, NodeContext& ctx) {
  if (IsReply(env)) return false;
  size_t i = FindCorrelation(env.correlation());
  if (i == entries_.size()) return false;
  Complete(i, nullptr, why, ctx);
  return true;
}

}  // namespace delegsim::nodes
