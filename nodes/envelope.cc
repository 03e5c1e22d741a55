#include "nodes/envelope.h"

#include <google/protobuf/io/coded_stream.h>

namespace delegsim::nodes {
namespace {

bool ParseWithLimit(std::string_view bytes, int recursion_limit, v1::Envelope& env) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetRecursionLimit(recursion_limit);
  return env.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

}  // namespace

Status ParseEnvelope(std::string_view bytes, v1::Envelope& env) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return InvalidArgument("is not a v1::Envelope (over 2 GiB)");
  }
  if (ParseWithLimit(bytes, kEnvelopeRecursionLimit, env)) return Status::Ok();
  // Only to name the cause: a bounded second attempt (twice the limit, still far from
  // the stack's end) tells a message that nests too deep from one that is malformed.
  v1::Envelope deeper;
  env.Clear();
  if (ParseWithLimit(bytes, 2 * kEnvelopeRecursionLimit, deeper)) {
    return InvalidArgument("nests deeper than " + std::to_string(kEnvelopeRecursionLimit) +
                           " messages (the envelope recursion limit; a chain has at most " +
                           std::to_string(kMaxChainHops) + " hops)");
  }
  return InvalidArgument("is not a v1::Envelope");
}

bool IsRequest(const v1::Envelope& env) {
  switch (env.body_case()) {
    case v1::Envelope::kAsReq:
    case v1::Envelope::kTgsReq:
    case v1::Envelope::kNtlmNegotiate:
    case v1::Envelope::kNtlmValidateReq:
    case v1::Envelope::kCall:
      return true;
    default:
      return false;
  }
}

bool IsReply(const v1::Envelope& env) {
  switch (env.body_case()) {
    case v1::Envelope::kKdcRep:
    case v1::Envelope::kKdcError:
    case v1::Envelope::kNtlmChallenge:
    case v1::Envelope::kNtlmValidateRep:
    case v1::Envelope::kCallReply:
      return true;
    default:
      return false;
  }
}

std::string BodyName(const v1::Envelope& env) {
  if (env.body_case() == v1::Envelope::BODY_NOT_SET) return "empty";
  const auto* field = v1::Envelope::descriptor()->FindFieldByNumber(env.body_case());
  return field != nullptr ? field->name() : "field " + std::to_string(env.body_case());
}

std::string DescribeEnvelope(const v1::Envelope& env) {
  switch (env.body_case()) {
    case v1::Envelope::kAsReq:
      return "AS-REQ " + env.as_req().client();
    case v1::Envelope::kTgsReq: {
      const v1::TgsReq& req = env.tgs_req();
      if (req.options().cname_in_addl_tkt()) return "TGS-REQ S4U2proxy " + req.sname();
      if (!req.for_user().empty()) return "TGS-REQ S4U2self " + req.for_user();
      return "TGS-REQ " + req.sname();
    }
    case v1::Envelope::kKdcRep:
      return "KDC-REP " + env.kdc_rep().view().sname();
    case v1::Envelope::kKdcError:
      return "KRB-ERROR " + env.kdc_error().error();
    case v1::Envelope::kNtlmNegotiate:
      return "NTLM NEGOTIATE";
    case v1::Envelope::kNtlmChallenge:
      return "NTLM CHALLENGE";
    case v1::Envelope::kNtlmValidateReq:
      return "NETLOGON validate " + env.ntlm_validate_req().authenticate().user();
    case v1::Envelope::kNtlmValidateRep:
      return std::string("NETLOGON ") + (env.ntlm_validate_rep().ok() ? "ok" : "refused");
    case v1::Envelope::kCall:
      return "CALL " + env.call().path();
    case v1::Envelope::kCallReply:
      return "REPLY " + env.call_reply().result().path() + " " +
             env.call_reply().result().verdict();
    case v1::Envelope::kHostControl:
      return "HOST-CONTROL";
    case v1::Envelope::BODY_NOT_SET:
      break;
  }
  return "EMPTY";
}

}  // namespace delegsim::nodes
