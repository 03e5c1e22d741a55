#include "nodes/kdc_node.h"

namespace delegsim::nodes {

KdcNode::KdcNode(std::string name, const kdc::Kdc& kdc, kdc::DomainId realm)
    : name_(std::move(name)), kdc_(kdc), realm_(realm) {}

void KdcNode::OnMessage(v1::Envelope& env, NodeContext& ctx) {
  switch (env.body_case()) {
    case v1::Envelope::kAsReq:
      Answer(env, kdc_.As(realm_, env.as_req(), ctx.Now()), ctx);
      return;
    case v1::Envelope::kTgsReq: {
      Answer(env, kdc_.Tgs(realm_, env.tgs_req(), ctx.Now()), ctx);
      return;
    }
    case v1::Envelope::kNtlmValidateReq: {
      kdc::NtlmResult r = kdc_.ValidateNtlm(env.ntlm_validate_req().authenticate());
      if (ctx.Tracing()) {
        TraceRecord rec;
        rec.kind = TraceKind::kKdcDecision;
        rec.summary = "NTLM validation of " + env.ntlm_validate_req().authenticate().user();
        rec.decision = std::make_shared<const Decision>(r.decision);
        ctx.Trace(std::move(rec));
      }
      v1::Envelope reply;
      reply.set_to(env.from());
      reply.set_correlation(env.correlation());
      v1::NtlmValidateRep* rep = reply.mutable_ntlm_validate_rep();
      rep->set_ok(r.decision.allowed());
      rep->set_user(r.user);
      if (r.user != kdc::kNobody) {
        for (kdc::PrincipalId g : kdc_.directory().Get(r.user).groups) rep->add_groups(g);
      }
      *rep->mutable_decision() = kdc::ToRecord(r.decision);
      ctx.Send(std::move(reply));
      return;
    }
    default:
      return;  // Not a KDC request: ignored (nothing to answer).
  }
}

std::string KdcNode::Describe(const v1::Envelope& request) {
  if (request.has_as_req()) return "AS-REQ " + request.as_req().client();
  const v1::TgsReq& req = request.tgs_req();
  if (req.options().forwarded()) return "TGS-REQ forwarded TGT";
  if (req.options().cname_in_addl_tkt()) return "TGS-REQ S4U2proxy to " + req.sname();
  if (!req.for_user().empty()) return "TGS-REQ S4U2self for " + req.for_user();
  return "TGS-REQ " + req.sname();
}

void KdcNode::Answer(const v1::Envelope& request, kdc::KdcResult result, NodeContext& ctx) {
  v1::Envelope reply;
  reply.set_to(request.from());
  reply.set_correlation(request.correlation());
  const bool issued = result.decision.allowed();
  const bool tracing = ctx.Tracing();
  if (issued) {
    v1::KdcRep* rep = reply.mutable_kdc_rep();
    *rep->mutable_ticket() = std::move(result.sealed);
    rep->set_decision(kdc::EncodeRecord(result.decision));
    if (tracing) {
      *rep->mutable_view() = result.ticket;
    } else {
      *rep->mutable_view() = std::move(result.ticket);
    }
  } else {
    v1::KdcError* err = reply.mutable_kdc_error();
    err->set_error(result.decision.error());
    *err->mutable_decision() = kdc::ToRecord(result.decision);
  }

  if (tracing) {
    TraceRecord rec;
    rec.kind = TraceKind::kKdcDecision;
    rec.summary = Describe(request);
    rec.decision = std::make_shared<const Decision>(std::move(result.decision));
    ctx.Trace(std::move(rec));
    if (issued) {
      const kdc::Directory& dir = kdc_.directory();
      TraceRecord ticket;
      ticket.kind = TraceKind::kTicketIssued;
      ticket.summary = dir.FullName(result.ticket.client()) + " -> " + result.ticket.sname() +
                       " [" + kdc::KlistFlags(result.ticket.flags()) + "]";
      ticket.ticket = std::make_shared<const v1::TicketBody>(std::move(result.ticket));
      ctx.Trace(std::move(ticket));
    }
  }
  ctx.Send(std::move(reply));
}

}  // namespace delegsim::nodes
