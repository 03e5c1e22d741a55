// What every layer needs to know about an envelope without acting on it: whether it is
// a request (its receiver owes a reply with the same correlation) or a reply, its body's
// name, and a one-line description for SEND / DELIVER trace records, shared by both
// runtimes so that their traces read alike ("CALL c1/web", "KRB-ERROR KDC_ERR_BADOPTION").
#ifndef DELEGSIM_NODES_ENVELOPE_H_
#define DELEGSIM_NODES_ENVELOPE_H_

#include <cstddef>
#include <string>

#include "proto/envelope.pb.h"

namespace delegsim::nodes {

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
