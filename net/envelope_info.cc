#include "net/envelope_info.h"

#include <utility>

namespace delegsim::net {

void UnansweredRequests::Add(uint64_t seq, v1::Envelope request) {
  seq_by_correlation_.emplace(request.correlation(), seq);
  by_seq_.emplace(seq, std::move(request));
}

bool UnansweredRequests::Answer(uint64_t correlation) {
  auto it = seq_by_correlation_.lower_bound(correlation);  // first of equal keys: the oldest
  if (it != seq_by_correlation_.end() && it->first != correlation) it = seq_by_correlation_.end();
  if (it == seq_by_correlation_.end()) return false;
  by_seq_.erase(it->second);
  seq_by_correlation_.erase(it);
  return true;
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
