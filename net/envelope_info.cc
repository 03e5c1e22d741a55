#include "net/envelope_info.h"

#include <utility>

namespace delegsim::net {

void UnansweredRequests::Add(uint64_t seq, v1::Envelope request) {
  seq_by_correlation_.emplace(request.correlation(), seq);
  by_seq_.emplace(seq, std::move(request));
}

bool UnansweredRequests::Answer(uint64_t correlation) { return Take(correlation).has_value(); }

std::optional<v1::Envelope> UnansweredRequests::Take(uint64_t correlation) {
  auto it = seq_by_correlation_.lower_bound(correlation);  // first of equal keys: the oldest
  if (it == seq_by_correlation_.end() || it->first != correlation) return std::nullopt;
  auto request = by_seq_.find(it->second);
  std::optional<v1::Envelope> taken(std::move(request->second));
  by_seq_.erase(request);
  seq_by_correlation_.erase(it);
  return taken;
}

std::vector<v1::Envelope> UnansweredRequests::TakeAll() {
  std::vector<v1::Envelope> requests;
  requests.reserve(by_seq_.size());
  for (auto& [seq, request] : by_seq_) requests.push_back(std::move(request));
  by_seq_.clear();
  seq_by_correlation_.clear();
  return requests;
}

}  // namespace delegsim::net
