// What every layer needs to know about an envelope without acting on it: whether it is
// a request (its receiver owes a reply with the same correlation) or a reply, its body's
// name, and a one-line description for SEND / DELIVER trace records, shared by both
// runtimes so that their traces read alike ("CALL c1/web", "KRB-ERROR KDC_ERR_BADOPTION");
// and how deep a chain may go, with the decoder both runtimes use.
//
// Three limits bound a chain and agree with one another:
//   - kMaxChainHops: the largest hop_limit (DS-4) a scenario may set; the default is 16;
//   - kMaxOperationDepth: how deep a scenario may nest operations (each onward call, child
//     process or logon is a level), so a chain of kMaxChainHops hops fits with room for
//     processes and logons on the way;
//   - kEnvelopeRecursionLimit: how deep a received envelope may nest. Each level of
//     operations is two protobuf messages (Operation, then CallSpec or ProcessSpec), so
//     every call a scenario can make decodes (protobuf's default of 100 refused a call
//     carrying a 51-hop chain).
#ifndef DELEGSIM_NODES_ENVELOPE_H_
#define DELEGSIM_NODES_ENVELOPE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"
#include "proto/envelope.pb.h"

namespace delegsim::nodes {

inline constexpr int kMaxChainHops = 100;
inline constexpr int kMaxOperationDepth = kMaxChainHops + 20;
inline constexpr int kEnvelopeRecursionLimit = 2 * kMaxOperationDepth + 16;

// Decodes a serialized envelope into `env`, nesting at most kEnvelopeRecursionLimit
// deep. The error says whether the bytes are not an envelope or nest too deep.
Status ParseEnvelope(std::string_view bytes, v1::Envelope& env);

// The largest serialized envelope either runtime carries, in bytes (a tcp frame's body
// maximum). A larger one is not sent, and the run fails (Runtime::Failure).
inline constexpr size_t kMaxEnvelopeBytes = size_t{1} << 20;

// Requests: as_req, tgs_req, ntlm_negotiate, ntlm_validate_req, call.
bool IsRequest(const v1::Envelope& env);
// Replies: kdc_rep, kdc_error, ntlm_challenge, ntlm_validate_rep, call_reply.
bool IsReply(const v1::Envelope& env);
// The body's field name ("call", "kdc_rep"); "empty" when no body is set.
std::string BodyName(const v1::Envelope& env);
std::string DescribeEnvelope(const v1::Envelope& env);

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_ENVELOPE_H_
