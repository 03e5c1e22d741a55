// ProcessNode: asking the KDC (TGTs, explicit s4u2self / s4u2proxy / tgs requests) and
// recording the tickets a hop involves.
#include <algorithm>

#include "common/saturating.h"
#include "kdc/crypto.h"
#include "kdc/uac.h"
#include "nodes/kdc_node.h"
#include "nodes/process_node_internal.h"

namespace delegsim::nodes {

using internal::TicketValid;

// ---------------------------------------------------------------------------------------
// KDC plumbing.

void ProcessNode::AddTicket(Outbound& ob, std::string role, bool ok, const v1::KdcRep* rep,
                            const v1::DecisionRecord& refusal, std::string sname) {
  ob.tickets.push_back(TicketRecord(std::move(role), ok, rep, refusal, std::move(sname)));
}

v1::HopTicket ProcessNode::TicketRecord(std::string role, bool ok, const v1::KdcRep* rep,
                                        const v1::DecisionRecord& refusal,
                                        std::string sname) const {
  v1::HopTicket t;
  t.set_role(std::move(role));
  t.set_sname(std::move(sname));
  if (ok && rep != nullptr) {
    *t.mutable_view() = rep->view();
    t.set_sname(rep->view().sname());
    PrincipalId c = rep->view().client();
    PrincipalId s = rep->view().server();
    if (c != kdc::kNobody && c <= dir_.principal_count()) t.set_client(dir_.FullName(c));
    if (s != kdc::kNobody && s <= dir_.principal_count()) t.set_server(dir_.Name(s));
    if (!rep->decision().empty()) t.set_rule(kdc::DecodeRecord(rep->decision()).rule());
    const v1::Pac& pac = rep->view().pac();
    if (rep->view().has_pac()) {
      t.add_pac_groups(pac.service_asserted() ? "SERVICE_ASSERTED_IDENTITY"
                                              : "AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY");
      if (pac.other_organization()) t.add_pac_groups("OTHER_ORGANIZATION");
      for (uint32_t g : pac.groups()) {
        if (g != kdc::kNobody && g <= dir_.principal_count()) t.add_pac_groups(dir_.FullName(g));
      }
    }
    return t;
  }
  t.set_error(refusal.error());
  t.set_rule(refusal.rule());
  return t;
}

void ProcessNode::OpKdcRequest(const ExecPtr& x, const v1::KdcRequestSpec& op, NodeContext& ctx) {
  const Token as = x->frames.back().Effective();
  std::string role = op.kind() == v1::KDC_REQUEST_S4U2SELF    ? "s4u2self"
                     : op.kind() == v1::KDC_REQUEST_S4U2PROXY ? "s4u2proxy"
                                                              : "tgs";
  std::string target = op.target();
  // Files the outcome as an operation result and a ticket of the hop, then resumes.
  auto finish = [this, x, role, target, as](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr,
                                            NodeContext& ctx) {
    v1::HopTicket t = TicketRecord(role, ok, rep, kr, target);
    Decision d = kdc::FromRecord(ok ? kdc::DecodeRecord(rep->decision()) : kr);
    std::string detail =
        ok ? "ticket " + kdc::KlistFlags(rep->view().flags()) : "error " + kr.error();
    if (ok) x->obtained[role] = {rep->ticket(), rep->view()};
    x->result.add_tickets()->Swap(&t);
    AddOpResult(*x, role, target, as, d, detail, ctx, TraceKind::kAuthDecision);
    Run(x, ctx);
  };
  auto refuse = [finish](RuleId rule, std::string error, Fact fact, NodeContext& ctx) {
    Decision d;
    d.Deny(rule, std::move(error), {}, {std::move(fact)});
    finish(false, nullptr, kdc::ToRecord(d), ctx);
  };
  if (op.kind() == v1::KDC_REQUEST_TGS) {
    // The current identity's TGT: the forwarded TGT or logon session of an impersonated
    // client, or the process account's own.
    if (!as.primary && as.creds.tgt.body().empty()) {
      return refuse(as.creds.why, "SEC_E_NO_CREDENTIALS", Fact(dir_.Name(as.user), ".tgt", false),
                    ctx);
    }
    auto with_tgt = [this, op, finish, path = x->path](const v1::SealedTicket& tgt,
                                                       NodeContext& ctx) {
      v1::Envelope env;
      v1::TgsReq* req = env.mutable_tgs_req();
      *req->mutable_tgt() = tgt;
      req->set_sname(op.target());
      *req->mutable_options() = op.options();
      // "krbtgt/REALM": the clear-text sname of a ticket that came from the wire.
      const std::string& sname = tgt.sname();
      std::optional<kdc::DomainId> realm =
          dir_.FindDomain(sname.size() > 7 ? sname.substr(7) : std::string());
      AskKdc(realm.value_or(kdc::kNoDomain), std::move(env), path, finish, ctx);
    };
    if (!as.primary) return with_tgt(as.creds.tgt, ctx);
    return GetTgt(
        account_, key_, x->path,
        [with_tgt, finish](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
          if (!ok) return finish(false, nullptr, std::move(kr), ctx);
          with_tgt(rep->ticket(), ctx);
        },
        ctx);
  }
  v1::SealedTicket evidence;
  if (op.kind() == v1::KDC_REQUEST_S4U2PROXY) {
    if (op.evidence() == v1::EVIDENCE_S4U2SELF) {
      auto it = x->obtained.find("s4u2self");
      if (it == x->obtained.end()) {
        return refuse(RuleId::kKCD5, "KDC_ERR_BADOPTION", Fact("s4u2self_ticket", false), ctx);
      }
      evidence = it->second.first;
    } else if (!as.primary && !as.creds.evidence.body().empty()) {
      evidence = as.creds.evidence;
    } else {
      return refuse(RuleId::kKCD5, "KDC_ERR_BADOPTION", Fact("incoming_ticket", false), ctx);
    }
  }
  GetTgt(
      account_, key_, x->path,
      [this, op, finish, evidence, path = x->path](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr,
                                                   NodeContext& ctx) {
        if (!ok) return finish(false, nullptr, std::move(kr), ctx);
        v1::Envelope env;
        v1::TgsReq* req = env.mutable_tgs_req();
        *req->mutable_tgt() = rep->ticket();
        *req->mutable_options() = op.options();
        if (op.kind() == v1::KDC_REQUEST_S4U2SELF) {
          // S4U-1: the ticket is to this account itself, for the user named.
          const ServiceInfo* me = topology_.FindService(name_);
          const kdc::Principal& self = dir_.Get(account_);
          req->set_sname(me && !me->spn.empty() ? me->spn
                         : !self.spns.empty()   ? self.spns.front()
                                                : self.name);
          std::optional<PrincipalId> user = dir_.Find(op.target());
          req->set_for_user(user ? dir_.FullName(*user) : op.target());
        } else {
          req->set_sname(op.target());
          req->mutable_options()->set_cname_in_addl_tkt(true);
          *req->mutable_evidence() = evidence;
          req->set_rbcd(op.rbcd());
        }
        AskKdc(dir_.Get(account_).domain, std::move(env), path, finish, ctx);
      },
      ctx);
}

void ProcessNode::AskKdc(kdc::DomainId realm, v1::Envelope req, const std::string& path,
                         KdcDone done, NodeContext& ctx) {
  std::optional<NodeId> kdc = topology_.KdcNode(realm);
  if (!kdc) {
    // `realm` may be kNoDomain: a ticket's realm comes from its clear-text sname, which a
    // peer on the wire may have set to anything (found by fuzz/ node target).
    const std::string name =
        realm < dir_.domains().size() ? dir_.GetDomain(realm).realm : "unknown realm";
    Decision d;
    d.Deny(RuleId::kPK5, "SEC_E_NO_AUTHENTICATING_AUTHORITY", {}, {{"kdc(" + name + ")", false}});
    return done(false, nullptr, kdc::ToRecord(d), ctx);
  }
  pending_.Request(
      ctx, *kdc, std::move(req), topology_.options().request_timeout_ms,
      [this, done, path](v1::Envelope* reply, const Status& status, NodeContext& ctx) {
        if (!reply) {
          Decision d;
          d.Deny(RuleId::kDS13, "KDC_ERR_SVC_UNAVAILABLE", {}, {{"kdc_reply", status.message()}});
          Trace(ctx, TraceKind::kCallRefused, path, "KDC unreachable: " + status.message(), &d);
          return done(false, nullptr, kdc::ToRecord(d), ctx);
        }
        if (reply->has_kdc_rep()) {
          return done(true, reply->mutable_kdc_rep(), v1::DecisionRecord(), ctx);
        }
        done(false, nullptr, std::move(*reply->mutable_kdc_error()->mutable_decision()), ctx);
      });
}

void ProcessNode::GetTgt(PrincipalId who, const std::string& key, const std::string& path,
                         KdcDone done, NodeContext& ctx) {
  auto cached = tgt_cache_.find(who);
  if (cached != tgt_cache_.end() && TicketValid(cached->second.second, ctx.Now())) {
    v1::KdcRep rep;
    *rep.mutable_ticket() = cached->second.first;
    *rep.mutable_view() = cached->second.second;
    return done(true, &rep, v1::DecisionRecord(), ctx);  // a cached TGT: no KDC decision
  }
  const kdc::Principal& p = dir_.Get(who);
  v1::Envelope env;
  v1::AsReq* as = env.mutable_as_req();
  as->set_client(p.name);
  as->mutable_options()->set_forwardable(topology_.options().client_forwardable);
  as->mutable_options()->set_renewable(topology_.options().client_renewable);
  as->set_preauth_etype(v1::ETYPE_AES256);
  as->set_timestamp_ms(ctx.Now());
  as->set_preauth(kdc::PreauthProof(key, ctx.Now()));
  AskKdc(
      p.domain, std::move(env), path,
      [this, who, done](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
        if (ok) tgt_cache_[who] = {rep->ticket(), rep->view()};
        done(ok, rep, std::move(kr), ctx);
      },
      ctx);
}

}  // namespace delegsim::nodes
