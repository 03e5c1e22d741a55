// What the transport needs to know about an envelope without understanding it: whether
// it is a request (which expects a reply from its receiver) or a reply, and a short
// name for traces.
//
// Requests: as_req, tgs_req, ntlm_negotiate, ntlm_validate_req, call. Replies: kdc_rep,
// kdc_error, ntlm_challenge, ntlm_validate_rep, call_reply. A reply answers the request
// its sender received with the same correlation.
//
//   if (IsRequest(env)) unanswered.Add(seq, env);
//   if (IsReply(env)) unanswered.Answer(env.correlation());
#ifndef DELEGSIM_NET_ENVELOPE_INFO_H_
#define DELEGSIM_NET_ENVELOPE_INFO_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nodes/envelope.h"
#include "proto/envelope.pb.h"

namespace delegsim::net {

using nodes::BodyName;
using nodes::DescribeEnvelope;
using nodes::IsReply;
using nodes::IsRequest;

// Requests sent on one connection that no reply has answered yet, in send order.
class UnansweredRequests {
 public:
  UnansweredRequests() = default;
  UnansweredRequests(const UnansweredRequests&) = delete;
  UnansweredRequests& operator=(const UnansweredRequests&) = delete;
  UnansweredRequests(UnansweredRequests&&) = default;
  UnansweredRequests& operator=(UnansweredRequests&&) = default;

  // Records `request`, sent as runtime sequence number `seq` (increasing).
  void Add(uint64_t seq, v1::Envelope request);
  // A reply with `correlation` arrived: forgets the oldest request with that
  // correlation. Returns false when none was waiting.
  bool Answer(uint64_t correlation);
  // Like Answer, but returns the request (nullopt when none was waiting).
  std::optional<v1::Envelope> Take(uint64_t correlation);
  // Removes and returns every unanswered request, oldest first.
  std::vector<v1::Envelope> TakeAll();
  size_t size() const { return by_seq_.size(); }

 private:
  std::map<uint64_t, v1::Envelope> by_seq_;
  std::multimap<uint64_t, uint64_t> seq_by_correlation_;  // equal keys in send order
};

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_ENVELOPE_INFO_H_
