// ProcessNode: the initiator side of a call (PK-*, LC-*, MA-*, UD-*, KCD-7, TR-4, DS-13).
#include <algorithm>

#include "common/saturating.h"
#include "kdc/crypto.h"
#include "kdc/uac.h"
#include "nodes/kdc_node.h"
#include "nodes/process_node_internal.h"

namespace delegsim::nodes {

using internal::CallFailure;
using internal::CallReplyTimeout;
using internal::DenyFromKdc;
using internal::KdcStep;
using internal::kMaxReferrals;
using internal::TicketValid;

// ---------------------------------------------------------------------------------------
// The initiator side of a call.

void ProcessNode::StartOutbound(const ExecPtr& x, v1::CallSpec& spec, NodeContext& ctx) {
  auto ob = std::make_shared<Outbound>();
  ob->x = x;
  ob->spec = &spec;
  ob->as = &x->frames.back().Effective();
  std::string label = spec.label().empty() ? spec.service() : spec.label();
  int n = ++x->child_labels[label];
  ob->path = x->path + "/" + label + (n > 1 ? "#" + std::to_string(n) : "");
  ob->target = topology_.FindService(spec.service());
  Decision& d = ob->d;

  if (!ob->target) {
    d.Deny(RuleId::kDS6, "EPT_S_NOT_REGISTERED", {},
           {{"service", spec.service()}, {"exists", false}});
    return RefuseOutbound(ob, ctx);
  }
  ob->target_host = topology_.FindHost(ob->target->host);
  bool same_host = ob->target->host == host_;
  v1::Transport transport =
      spec.transport() == v1::TRANSPORT_UNSPECIFIED ? v1::TRANSPORT_NCACN_IP_TCP : spec.transport();
  std::optional<Level> requested = FromWire(spec.level());
  ob->level = requested.value_or(DefaultLevel(spec.api()));
  ob->level_defaulted = !requested;
  if (!requested) {
    d.Set(RuleId::kDF1, "level",
          {{"api", ApiName(spec.api())}, {"default_level", LevelName(ob->level)}});
  }

  v1::Call& call = ob->call;
  call.set_path(ob->path);
  call.set_service(spec.service());
  call.set_from_host(host_);
  call.set_transport(transport);
  call.set_api(spec.api());
  call.set_transport_level(spec.transport_level());
  call.mutable_ops()->Swap(spec.mutable_ops());  // they run at the callee, not here
  for (const std::string& s : x->chain) call.add_chain(s);

  // DS-3: ncalrpc never leaves the host.
  if (transport == v1::TRANSPORT_NCALRPC && !same_host) {
    d.Deny(RuleId::kDS3, "RPC_S_PROTSEQ_NOT_SUPPORTED", {},
           {{"transport", "ncalrpc"}, {"from_host", host_}, {"to_host", ob->target->host}});
    return RefuseOutbound(ob, ctx);
  }
  // IL-2 / IL-3: a thread below impersonate cannot act as the client at all.
  if (!ob->as->primary && (ob->as->level < Level::kImpersonate || ob->as->anonymous())) {
    RuleId rule = ob->as->level == Level::kIdentify ? RuleId::kIL3 : RuleId::kIL2;
    d.Deny(rule, "ERROR_BAD_IMPERSONATION_LEVEL", {}, {{"thread.level", LevelName(ob->as->level)}});
    return RefuseOutbound(ob, ctx);
  }
  if (!spec.on_behalf_of().empty()) {
    // S4U-1: S4U2self names any user without authenticating them; the account's key is all
    // it takes. The call then goes on as that user by protocol transition (S4U-3).
    std::optional<PrincipalId> user = dir_.Find(spec.on_behalf_of());
    if (!user || !spec.protocol_transition()) {
      d.Deny(RuleId::kDS12, "STATUS_NO_SUCH_USER", {},
             {{"on_behalf_of", spec.on_behalf_of()},
              {"exists", user.has_value()},
              {"protocol_transition", spec.protocol_transition()}});
      return RefuseOutbound(ob, ctx);
    }
    const kdc::Principal& p = dir_.Get(*user);
    ob->acting.user = *user;
    ob->acting.groups = p.groups;
    ob->acting.privileges = p.privileges;
    ob->acting.host = host_;
    ob->acting.creds.why = RuleId::kS4U1;
    ob->as = &ob->acting;
    d.Read(RuleId::kS4U1, {{"on_behalf_of", dir_.FullName(*user)}, {"user_authenticated", false}});
  }
  std::string who = dir_.Name(ob->as->user);

  if (transport == v1::TRANSPORT_NCALRPC) {
    // LC-1: a local server gets the caller's own logon session.
    v1::LocalSession* s = call.mutable_local_session();
    s->set_user(ob->as->user);
    s->set_host(host_);
    bool has_creds =
        ob->as->creds.kind == NetCredsKind::kOwnSession || ob->as->creds.kind == NetCredsKind::kTgt;
    if (has_creds && !ob->as->creds.tgt.body().empty()) {
      *s->mutable_tgt() = ob->as->creds.tgt;
      *s->mutable_tgt_view() = ob->as->creds.tgt_view;
    }
    if (has_creds && !ob->as->creds.key.empty()) s->set_key(ob->as->creds.key);
    call.set_package(v1::PACKAGE_NTLM);
    call.set_requested_level(ob->WireLevel(ob->level));
    if (!ob->as->primary) call.set_caller_net_creds(NetCredsName(ob->as->creds));
    d.Read(RuleId::kLC1, {{"transport", "ncalrpc"},
                          {"same_host", true},
                          {"caller.net_creds", NetCredsName(ob->as->creds)}});
    return SendCall(ob, ctx);
  }

  // A network call as this identity needs network credentials (LC-5).
  // The same outcome (RULES.md C18) for an impersonating thread and for a process whose
  // token has no credentials (TK-5).
  if (!same_host && ob->as->creds.kind == NetCredsKind::kNone && !spec.protocol_transition() &&
      spec.use_ticket().empty()) {
    d.Read(ob->as->creds.why, {{who, ".net_creds", "none"}});
    d.Deny(RuleId::kLC5, "DOWNSTREAM_NO_CREDS", "SEC_E_NO_CREDENTIALS",
           {{"caller.net_creds", "none"}, {"to_host", ob->target->host}});
    d.Because(ob->as->creds.why, Fact(who, ".net_creds", "none"));
    if (ob->as->creds.why == RuleId::kLC2) {
      // LC-3: only a delegate-level call from the local server would have carried it on.
      d.Because(RuleId::kLC3, Fact("local_server_asked_delegate", false));
    }
    return RefuseOutbound(ob, ctx);
  }

  // PK-4 / PK-5: Negotiate picks Kerberos when it can work, NTLM otherwise.
  v1::Package asked =
      spec.package() == v1::PACKAGE_UNSPECIFIED ? v1::PACKAGE_NEGOTIATE : spec.package();
  std::optional<kdc::DomainId> my_domain =
      host_info_ ? topology_.KerberosDomain(*host_info_) : std::nullopt;
  std::optional<kdc::DomainId> their_domain =
      ob->target_host ? topology_.KerberosDomain(*ob->target_host) : std::nullopt;
  const kdc::Principal& user = dir_.Get(ob->as->user);
  bool user_in_domain = !ob->as->anonymous() && !dir_.GetDomain(user.domain).workgroup;
  bool kerberos_ok = my_domain && their_domain && user_in_domain && !ob->target->spn.empty() &&
                     !spec.by_ip_address();
  std::vector<Fact> pk = {
      {host_, ".in_domain", my_domain.has_value()},
      {ob->target->host, ".in_domain", their_domain.has_value()},
      {who, ".domain_account", user_in_domain},
      {spec.service(), ".spn", ob->target->spn.empty() ? "none" : ob->target->spn},
      {"by_ip_address", spec.by_ip_address()}};
  v1::Package package = asked;
  if (asked == v1::PACKAGE_NEGOTIATE) {
    if (same_host) {
      package = v1::PACKAGE_NTLM;
      pk.emplace_back("same_host", true);
      d.Set(RuleId::kPK4, "package", std::move(pk));
    } else {
      package = kerberos_ok ? v1::PACKAGE_KERBEROS : v1::PACKAGE_NTLM;
      RuleId rule = (!my_domain || !their_domain || !user_in_domain) ? RuleId::kPK5 : RuleId::kPK4;
      d.Set(rule, "package", std::move(pk));
    }
  } else if (asked == v1::PACKAGE_KERBEROS && !kerberos_ok) {
    RuleId rule = (!my_domain || !their_domain || !user_in_domain) ? RuleId::kPK5 : RuleId::kPK4;
    d.Deny(rule, "SEC_E_NO_AUTHENTICATING_AUTHORITY", {}, std::move(pk));
    return RefuseOutbound(ob, ctx);
  }
  call.set_package(package);
  // Only an impersonating server's credentials explain anything downstream (LC-2).
  if (!ob->as->primary) call.set_caller_net_creds(NetCredsName(ob->as->creds));
  // LC-5: the credentials this call presents for the identity, named by the rule that gave
  // them (IL-5, KCD-7, S4U-3, LC-1, TK-6, ...); a process's or user's own logon (LC-5) is
  // not delegation. The report reads the delegation mechanism from it (sim/mechanism.h).
  if (ob->as->creds.why != RuleId::kLC5) {
    d.Read(ob->as->creds.why, {{who, ".net_creds", NetCredsName(ob->as->creds)}});
  }

  if (package == v1::PACKAGE_KERBEROS) {
    // TR-2: on a remote named pipe the client's level is ignored; whether the server gets
    // delegate depends on its account (the client delegates to OK-AS-DELEGATE servers).
    if (transport == v1::TRANSPORT_NCACN_NP && !same_host) {
      ob->level_explicit = false;
      ob->want_deleg = true;
    } else {
      ob->want_deleg = ob->level == Level::kDelegate;
    }
    return OutboundKerberos(ob, ctx);
  }
  if (package == v1::PACKAGE_FORMS) {
    // A front door that signs the user in itself: the name and a proof of the password.
    if (ob->as->anonymous() || ob->as->creds.key.empty()) {
      d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", {}, {{who, ".password_known", false}});
      return RefuseOutbound(ob, ctx);
    }
    v1::FormsLogin* login = call.mutable_forms();
    login->set_user(dir_.FullName(ob->as->user));
    login->set_proof(kdc::Hmac(ob->as->creds.key, "forms:" + spec.service()));
    call.set_requested_level(ob->WireLevel(ob->level));
    return SendCall(ob, ctx);
  }
  if (package == v1::PACKAGE_SCHANNEL) {
    // A client certificate mapped to the account, signed by the account domain's CA.
    if (ob->as->anonymous() || ob->as->creds.key.empty()) {
      d.Deny(RuleId::kPK3, "SEC_E_NO_CREDENTIALS", {}, {{who, ".certificate", false}});
      return RefuseOutbound(ob, ctx);
    }
    v1::SchannelCredential* c = call.mutable_schannel();
    c->set_subject(dir_.FullName(ob->as->user));
    c->set_signature(kdc::Hmac(dir_.CertificateAuthorityKey(user.domain), c->subject()));
    call.set_requested_level(ob->WireLevel(ob->level));
    return SendCall(ob, ctx);
  }
  return OutboundNtlm(ob, ctx);
}

void ProcessNode::OutboundNtlm(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  Decision& d = ob->d;
  std::string who = dir_.Name(ob->as->user);
  if (ob->as->anonymous()) {
    ob->call.set_anonymous(true);
    ob->call.set_package(v1::PACKAGE_UNSPECIFIED);
    ob->call.set_requested_level(ob->WireLevel(ob->level));
    return SendCall(ob, ctx);
  }
  if (ob->as->creds.key.empty()) {
    // NTLM answers a challenge with the password's key; a forwarded TGT or S4U ticket
    // cannot (PK-1: only Kerberos carries delegated credentials).
    d.Deny(RuleId::kPK1, "SEC_E_NO_CREDENTIALS", {},
           {{who, ".net_creds", NetCredsName(ob->as->creds)}, {"package", "ntlm"}});
    return RefuseOutbound(ob, ctx);
  }
  v1::Envelope env;
  env.mutable_ntlm_negotiate()->set_workstation(host_);
  pending_.Request(ctx, ob->target->node, std::move(env), topology_.options().request_timeout_ms,
                   [this, ob](v1::Envelope* reply, const Status& status, NodeContext& ctx) {
                     if (!reply || !reply->has_ntlm_challenge()) {
                       ob->d.Deny(
                           RuleId::kDS13, CallFailure(reply, status), {},
                           {{"ntlm_challenge", reply != nullptr ? "missing" : status.message()}});
                       return RefuseOutbound(ob, ctx);
                     }
                     const kdc::Principal& p = dir_.Get(ob->as->user);
                     v1::NtlmAuthenticate* a = ob->call.mutable_ntlm();
                     a->set_user(p.name);
                     a->set_domain(dir_.GetDomain(p.domain).realm);
                     a->set_challenge(reply->ntlm_challenge().server_challenge());
                     a->set_proof(kdc::NtlmProof(ob->as->creds.key, a->challenge()));
                     a->set_workstation(host_);
                     ob->call.set_requested_level(ob->WireLevel(ob->level));
                     SendCall(ob, ctx);
                   });
}

void ProcessNode::OutboundKerberos(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  if (!ob->spec->use_ticket().empty()) {
    // A ticket an explicit KDC request of this hop obtained is presented as it is.
    auto it = ob->x->obtained.find(ob->spec->use_ticket());
    if (it == ob->x->obtained.end()) {
      ob->d.Deny(RuleId::kDS7, "SEC_E_NO_CREDENTIALS", {},
                 {{"obtained(" + ob->spec->use_ticket() + ")", false}});
      return RefuseOutbound(ob, ctx);
    }
    ob->ticket = it->second.first;
    ob->ticket_view = it->second.second;
    ob->d.Read(RuleId::kDS9,
               {{"use_ticket", ob->spec->use_ticket()}, {"ticket.sname", ob->ticket_view.sname()}});
    return OutboundDelegation(ob, ctx);
  }
  const NetCreds& creds = ob->as->creds;
  bool s4u = ob->spec->protocol_transition() ||
             (!ob->as->primary && creds.kind == NetCredsKind::kS4uProxy);
  if (s4u) return OutboundS4U(ob, ctx);
  auto with_tgt = [this, ob](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
    AddTicket(*ob, "tgt", ok, rep, kr,
              "krbtgt/" + dir_.GetDomain(dir_.Get(ob->as->user).domain).realm);
    if (!ok) {
      ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
      DenyFromKdc(ob->d, kr);
      return RefuseOutbound(ob, ctx);
    }
    ob->tgt = std::move(*rep->mutable_ticket());
    ob->tgt_view = std::move(*rep->mutable_view());
    OutboundServiceTicket(ob, ctx);
  };
  if (!creds.tgt.body().empty() && TicketValid(creds.tgt_view, ctx.Now())) {
    ob->tgt = creds.tgt;
    ob->tgt_view = creds.tgt_view;
    v1::KdcRep held;
    *held.mutable_view() = creds.tgt_view;
    AddTicket(*ob, "tgt", true, &held, {}, creds.tgt_view.sname());
    return OutboundServiceTicket(ob, ctx);
  }
  if (creds.key.empty()) {
    Decision kd;
    kd.Deny(creds.tgt.body().empty() ? creds.why : RuleId::kDS2, "SEC_E_NO_CREDENTIALS", {},
            {{dir_.Name(ob->as->user), ".tgt_valid", false}});
    return with_tgt(false, nullptr, kdc::ToRecord(kd), ctx);
  }
  GetTgt(ob->as->user, creds.key, ob->path, with_tgt, ctx);
}

void ProcessNode::OutboundServiceTicket(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  const Options& opt = topology_.options();
  bool tgt_forwardable = kdc::HasFlag(ob->tgt_view, v1::TICKET_FLAG_FORWARDABLE);
  v1::Envelope env;
  v1::TgsReq* req = env.mutable_tgs_req();
  // "krbtgt/REALM": the clear-text sname, which may be anything a peer sent.
  const std::string& tgt_sname = ob->tgt.sname();
  std::optional<kdc::DomainId> realm =
      dir_.FindDomain(tgt_sname.size() > 7 ? tgt_sname.substr(7) : std::string());
  *req->mutable_tgt() = std::move(ob->tgt);  // not needed again: a referral brings the next
  req->set_sname(ob->target->spn);
  // C17: windows clients ask for forwardable service tickets whenever the TGT is one; the
  // mit policy asks when configured (client_forwardable), whatever the TGT says. MIT's
  // GSS-API library copies FORWARDABLE from the TGT: never asked on a non-forwardable one.
  bool forwardable =
      opt.deleg_policy == DelegPolicy::kWindows || opt.client_library == ClientLibrary::kMitGss
          ? tgt_forwardable && opt.client_forwardable
          : opt.client_forwardable;
  req->mutable_options()->set_forwardable(forwardable);
  req->mutable_options()->set_renewable(opt.client_renewable);
  AskKdc(
      realm.value_or(kdc::kNoDomain), std::move(env), ob->path,
      [this, ob](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
        AddTicket(*ob, ok && kdc::IsTgt(rep->view()) ? "referral" : "service", ok, rep, kr,
                  ob->target->spn);
        ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
        bool negotiated = ob->spec->package() == v1::PACKAGE_NEGOTIATE ||
                          ob->spec->package() == v1::PACKAGE_UNSPECIFIED;
        if (!ok && negotiated && kr.rule() == RuleCode(RuleId::kDS7) &&
            !ob->as->creds.key.empty()) {
          // PK-4: Negotiate falls back to NTLM when Kerberos cannot work (no such SPN),
          // silently losing delegation.
          ob->d.Set(RuleId::kPK4, "package",
                    {{ob->target->spn, ".registered", false}, {"package", "ntlm"}});
          ob->d.Because(RuleId::kDS7, Fact("sname", ob->target->spn));
          ob->call.set_package(v1::PACKAGE_NTLM);
          return OutboundNtlm(ob, ctx);
        }
        if (!ok) {
          DenyFromKdc(ob->d, kr);
          return RefuseOutbound(ob, ctx);
        }
        if (kdc::IsTgt(rep->view())) {
          // A referral: ask the next realm's KDC with the cross-realm TGT.
          if (++ob->referrals > kMaxReferrals) {
            ob->d.Deny(RuleId::kDS10, "KDC_ERR_PATH_NOT_ACCEPTED", {},
                       {{"referrals", ob->referrals}});
            return RefuseOutbound(ob, ctx);
          }
          bool ok_as_delegate = kdc::HasFlag(rep->view(), v1::TICKET_FLAG_OK_AS_DELEGATE);
          ob->referral_chain_ok = ob->referral_chain_ok && ok_as_delegate;
          ob->tgt = std::move(*rep->mutable_ticket());
          ob->tgt_view = std::move(*rep->mutable_view());
          return OutboundServiceTicket(ob, ctx);
        }
        ob->ticket = std::move(*rep->mutable_ticket());
        ob->ticket_view = std::move(*rep->mutable_view());
        OutboundDelegation(ob, ctx);
      },
      ctx);
}

void ProcessNode::OutboundS4U(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  // The service acts for the client with its own TGT: S4U2self (protocol transition,
  // S4U-3) when asked, then S4U2proxy with the client's ticket as evidence (KCD-*, RB-*).
  auto proxy = [this, ob](v1::SealedTicket own_tgt, v1::SealedTicket evidence, NodeContext& ctx) {
    v1::Envelope env;
    v1::TgsReq* req = env.mutable_tgs_req();
    *req->mutable_tgt() = own_tgt;
    req->set_sname(ob->target->spn);
    req->mutable_options()->set_cname_in_addl_tkt(true);
    req->mutable_options()->set_forwardable(true);
    req->mutable_options()->set_renewable(topology_.options().client_renewable);
    *req->mutable_evidence() = std::move(evidence);
    req->set_rbcd(true);  // Windows 2012+ always offers resource-based delegation (SFU-CP)
    AskKdc(
        dir_.Get(account_).domain, std::move(env), ob->path,
        [this, ob](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
          AddTicket(*ob, "s4u2proxy", ok, rep, kr, ob->target->spn);
          ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
          if (!ok) {
            DenyFromKdc(ob->d, kr);
            const NetCreds& creds = ob->as->creds;
            bool not_allowed =
                kr.rule() == RuleCode(RuleId::kRB1) || kr.rule() == RuleCode(RuleId::kKCD1);
            if (not_allowed && !ob->spec->protocol_transition() &&
                creds.no_tgt_why != RuleId::kLC5) {
              // Neither delegation path: no A2D2 or RBCD entry (the KDC's rule) and no
              // forwarded TGT, for the reason the hop context gave (IL-4, LC-2 with LC-3).
              ob->d.Because(creds.no_tgt_why, Fact(dir_.Name(ob->as->user), ".tgt", false));
              if (creds.no_tgt_why == RuleId::kLC2)
                ob->d.Because(RuleId::kLC3, Fact("local_server_asked_delegate", false));
            }
            return RefuseOutbound(ob, ctx);
          }
          ob->ticket = std::move(*rep->mutable_ticket());
          ob->ticket_view = std::move(*rep->mutable_view());
          ob->d.Read(RuleId::kKCD7, {{"ticket_from", "s4u2proxy"}});
          OutboundDelegation(ob, ctx);
        },
        ctx);
  };
  GetTgt(
      account_, key_, ob->path,
      [this, ob, proxy](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
        AddTicket(*ob, "s4u_tgt", ok, rep, kr,
                  "krbtgt/" + dir_.GetDomain(dir_.Get(account_).domain).realm);
        if (!ok) {
          ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
          DenyFromKdc(ob->d, kr);
          return RefuseOutbound(ob, ctx);
        }
        v1::SealedTicket own_tgt = rep->ticket();
        if (!ob->spec->protocol_transition()) return proxy(own_tgt, ob->as->creds.evidence, ctx);
        const ServiceInfo* me = topology_.FindService(name_);
        v1::Envelope env;
        v1::TgsReq* req = env.mutable_tgs_req();
        *req->mutable_tgt() = own_tgt;
        // The ticket is to this account: its service's SPN, else the account's first SPN.
        const kdc::Principal& self = dir_.Get(account_);
        req->set_sname(me && !me->spn.empty() ? me->spn
                       : !self.spns.empty()   ? self.spns.front()
                                              : self.name);
        req->set_for_user(dir_.FullName(ob->as->user));
        req->mutable_options()->set_forwardable(true);
        req->mutable_options()->set_renewable(topology_.options().client_renewable);
        std::string self_sname = req->sname();
        AskKdc(
            dir_.Get(account_).domain, std::move(env), ob->path,
            [this, ob, proxy, own_tgt, self_sname](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr,
                                                   NodeContext& ctx) {
              AddTicket(*ob, "s4u2self", ok, rep, kr, self_sname);
              ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
              if (!ok) {
                DenyFromKdc(ob->d, kr);
                return RefuseOutbound(ob, ctx);
              }
              proxy(own_tgt, rep->ticket(), ctx);
            },
            ctx);
      },
      ctx);
}

void ProcessNode::OutboundDelegation(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  Decision& d = ob->d;
  const Options& opt = topology_.options();
  bool via_s4u = ob->ticket_view.pac().transited_services_size() > 0 ||
                 ob->spec->protocol_transition() ||
                 (!ob->as->primary && ob->as->creds.kind == NetCredsKind::kS4uProxy);
  v1::ApReq* ap = ob->call.mutable_kerberos();
  *ap->mutable_ticket() = std::move(ob->ticket);  // ticket_view stays for the hop's flags
  ap->set_client(dir_.FullName(ob->as->user));
  ap->set_ctime_ms(ctx.Now());
  ap->set_seq(++authenticator_seq_);
  bool mutual = ob->spec->mutual() || ob->call.transport() == v1::TRANSPORT_NCACN_NP;
  ap->mutable_flags()->set_mutual(mutual);

  auto send = [this, ob](bool delegated, NodeContext& ctx) {
    Decision& d = ob->d;
    v1::GssFlags* flags = ob->call.mutable_kerberos()->mutable_flags();
    Level level = ob->level;
    if (ob->want_deleg && !delegated && ob->level_explicit) {
      // MA-2: delegate was asked but the context has none. MIT's GSS-API clears
      // GSS_C_DELEG_FLAG silently where the Windows RPC runtime fails the call.
      bool mit_gss = topology_.options().client_library == ClientLibrary::kMitGss;
      bool ignore =
          ob->spec->ignore_delegate_failure() || topology_.options().ignore_delegate_failure;
      if (!ignore && !mit_gss) {
        d.Deny(RuleId::kMA2, "RPC_S_SEC_PKG_ERROR", {},
               {{"requested_level", "delegate"},
                {"delegated", false},
                {"ignore_delegate_failure", false}});
        return RefuseOutbound(ob, ctx);
      }
      std::vector<Fact> facts = {{"ignore_delegate_failure", ignore}, {"level", "impersonate"}};
      if (mit_gss) facts.emplace_back("client_library", "mit_gss");
      d.Clear(RuleId::kMA2, "level", std::move(facts));
      level = Level::kImpersonate;
    }
    if (!ob->level_explicit) level = delegated ? Level::kDelegate : Level::kImpersonate;
    // TR-4: the level travels as GSS flags.
    flags->set_deleg(delegated);
    flags->set_identify(level == Level::kIdentify);
    flags->set_anonymous(level == Level::kAnonymous);
    std::vector<Fact> gss = {{"gss.deleg", delegated},
                             {"gss.identify", level == Level::kIdentify},
                             {"gss.mutual", flags->mutual()}};
    if (delegated || level == Level::kIdentify || level == Level::kAnonymous) {
      d.Set(RuleId::kTR4, "gss_flags", std::move(gss));  // the level became a GSS flag
    } else {
      d.Read(RuleId::kTR4, std::move(gss));
    }
    ob->call.set_requested_level(ob->WireLevel(ob->level_explicit ? level : ob->level));
    SendCall(ob, ctx);
  };

  if (!ob->want_deleg) return send(false, ctx);
  if (via_s4u) {
    // KCD-7 / MA-2: constrained delegation never puts delegation on the context.
    d.Read(RuleId::kMA2, {{"constrained_delegation", true}});
    return send(false, ctx);
  }
  if (!mutual) {
    if (opt.client_library != ClientLibrary::kMitGss) {
      // MA-1: no mutual authentication, no delegation.
      d.Clear(RuleId::kMA1, "delegate", {{"mutual_requested", false}});
      return send(false, ctx);
    }
    // MA-1 is the Windows client's rule: MIT's GSS-API forwards without mutual
    // authentication (init_sec_context.c does not couple the two).
    d.Read(RuleId::kMA1, {{"mutual_requested", false}, {"client_library", "mit_gss"}});
  }
  // UD-2 (with C6, C7, XR-1): forward the TGT only to OK-AS-DELEGATE services, over a
  // referral chain that is OK-AS-DELEGATE too (windows policy), or always (mit policy).
  bool ok_as_delegate = kdc::HasFlag(ob->ticket_view, v1::TICKET_FLAG_OK_AS_DELEGATE);
  std::vector<Fact> facts = {
      {"ticket.ok_as_delegate", ok_as_delegate},
      {"client_policy", opt.deleg_policy == DelegPolicy::kWindows ? "windows" : "always"}};
  if (ob->referrals > 0) facts.emplace_back("referral_chain.ok_as_delegate", ob->referral_chain_ok);
  bool forward =
      opt.deleg_policy == DelegPolicy::kAlways || (ok_as_delegate && ob->referral_chain_ok);
  if (!forward) {
    d.Clear(RuleId::kUD2, "delegate", facts);
    for (const v1::FlagCause& c : ob->ticket_view.causes()) {
      if (c.flag() != "ok_as_delegate") continue;
      std::optional<RuleId> r = ParseRuleId(c.rule());
      size_t eq = c.fact().find('=');
      if (r)
        d.Because(*r, Fact(c.fact().substr(0, eq),
                           eq == std::string::npos ? "" : c.fact().substr(eq + 1)));
    }
    if (ob->referrals > 0 && !ob->referral_chain_ok)
      d.Because(RuleId::kXR1, Fact("referral_chain.ok_as_delegate", false));
    return send(false, ctx);
  }
  d.Read(RuleId::kUD2, std::move(facts));
  // UD-3: ask the home KDC for a FORWARDED TGT.
  auto cached = tgt_cache_.find(ob->as->user);
  const v1::SealedTicket& user_tgt = ob->as->creds.tgt.body().empty() && cached != tgt_cache_.end()
                                         ? cached->second.first
                                         : ob->as->creds.tgt;
  kdc::DomainId home_kdc = dir_.FindDomain(user_tgt.realm()).value_or(kdc::kNoDomain);
  v1::Envelope env;
  v1::TgsReq* req = env.mutable_tgs_req();
  *req->mutable_tgt() = user_tgt;
  req->set_sname("krbtgt/" + user_tgt.realm());
  ob->forward_realm = user_tgt.realm();
  req->mutable_options()->set_forwarded(true);
  req->mutable_options()->set_forwardable(true);
  req->mutable_options()->set_renewable(opt.client_renewable);
  AskKdc(
      home_kdc, std::move(env), ob->path,
      [this, ob, send](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
        AddTicket(*ob, "forwarded_tgt", ok, rep, kr, "krbtgt/" + ob->forward_realm);
        if (!ok) {
          // UD-4 (AC-1, PU-1): no forwarded TGT; the context has no delegation.
          ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
          Decision kd = kdc::FromRecord(kr);
          ob->d.Clear(kd.rule(), "delegate", kd.Facts());
          ob->d.Because(kd.causes());
          return send(false, ctx);
        }
        ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
        v1::KrbCred* cred = ob->call.mutable_kerberos()->mutable_forwarded_tgt();
        *cred->mutable_tgt() = std::move(*rep->mutable_ticket());
        *cred->mutable_view() = std::move(*rep->mutable_view());
        ob->d.Set(RuleId::kUD3, "delegate", {{"forwarded_tgt", true}});
        send(true, ctx);
      },
      ctx);
}

void ProcessNode::SendCall(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  // The caller's decision is allowed by the first rule that shaped the call (package,
  // delegation, level), or by IL-6 (the client picks the level) when none changed it.
  RuleId decider = RuleId::kIL6;
  for (const Check& c : ob->d.checks()) {
    if (c.effect == Effect::kSet || c.effect == Effect::kClear) {
      decider = c.rule;
      break;
    }
  }
  ob->d.Allow(decider);
  if (ctx.Tracing()) {
    std::string who = ob->as->anonymous() ? "anonymous" : dir_.FullName(ob->as->user);
    Trace(ctx, TraceKind::kAuthDecision, ob->path,
          "call " + ob->target->name + " as " + who + " over " +
              std::string(TransportName(ob->call.transport())) + "/" +
              std::string(PackageName(ob->call.package())),
          &ob->d);
  }
  // The call moves into the envelope; only what a refusal reports stays behind.
  v1::Envelope env;
  env.mutable_call()->Swap(&ob->call);
  if (ob->spec->replay_authenticator() && !ob->is_replay) ob->sent = env.call();
  ob->call.set_transport(env.call().transport());
  ob->call.set_package(env.call().package());
  pending_.Request(
      ctx, ob->target->node, std::move(env), CallReplyTimeout(topology_.options(), ob->path),
      [this, ob](v1::Envelope* reply, const Status& status, NodeContext& ctx) {
        if (!reply || !reply->has_call_reply()) {
          ob->d.Deny(RuleId::kDS13, CallFailure(reply, status), {},
                     {{"reply", reply != nullptr ? "not a call reply" : status.message()}});
          return RefuseOutbound(ob, ctx);
        }
        FinishOutbound(ob, std::move(*reply->mutable_call_reply()->mutable_result()), ctx);
      });
}

void ProcessNode::RefuseOutbound(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  v1::HopResult child;
  child.set_path(ob->path);
  child.set_service(ob->spec->service());
  child.set_host(ob->target ? ob->target->host : "");
  child.set_from_host(host_);
  child.set_level(v1::LEVEL_DEFAULT);
  child.set_net_creds("none");
  child.set_package(ob->call.package());
  child.set_verdict("denied");
  Trace(ctx, TraceKind::kCallRefused, ob->path,
        "call " + ob->spec->service() + " refused at the caller", &ob->d);
  FinishOutbound(ob, std::move(child), ctx);
}

void ProcessNode::FinishOutbound(const std::shared_ptr<Outbound>& ob, v1::HopResult child,
                                 NodeContext& ctx) {
  // The caller's decision comes first, then the KDC's, then the callee's own steps.
  google::protobuf::RepeatedPtrField<std::string> steps;
  steps.Add(kdc::EncodeRecord(ob->d));
  for (std::string& r : ob->kdc_steps) steps.Add(std::move(r));
  for (std::string& r : *child.mutable_steps()) steps.Add(std::move(r));
  child.mutable_steps()->Swap(&steps);
  if (child.verdict() == "denied" && !child.has_decision())
    *child.mutable_decision() = kdc::ToRecord(ob->d);
  if (!ob->ticket_view.sname().empty()) child.set_ticket_flags(ob->ticket_view.flags());
  for (v1::HopTicket& t : ob->tickets) child.add_tickets()->Swap(&t);
  // The hop is recorded once, here, by its caller; its own calls were recorded before it.
  auto hop = std::make_shared<const v1::HopResult>(std::move(child));
  // A replay is reported beside the call it repeats, never in its place.
  if (!ob->is_replay) ob->x->last_hop = hop;
  if (ctx.Tracing()) {
    TraceRecord rec;
    rec.kind = TraceKind::kHop;
    rec.path = ob->path;
    rec.summary =
        ob->spec->service() + " " + hop->verdict() +
        (hop->identity().empty() ? "" : " as " + hop->identity()) + ", level " +
        std::string(FromWire(hop->level()) ? LevelName(*FromWire(hop->level())) : "none") +
        ", net_creds=" + hop->net_creds();
    rec.hop = hop;
    ctx.Trace(std::move(rec));
  }
  if (ob->sent) return ReplayOutbound(ob, ctx);
  Run(ob->x, ctx);
}

void ProcessNode::ReplayOutbound(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  auto again = std::make_shared<Outbound>();
  again->x = ob->x;
  again->spec = ob->spec;
  again->as = ob->as;
  again->target = ob->target;
  again->target_host = ob->target_host;
  again->path = ob->path + "#replay";
  again->is_replay = true;
  again->call = std::move(*ob->sent);
  ob->sent.reset();
  again->call.set_path(again->path);
  again->d.Read(RuleId::kDS16,
                {{"replay_of", ob->path},
                 {"authenticator.seq", static_cast<int64_t>(again->call.kerberos().seq())}});
  SendCall(again, ctx);
}

}  // namespace delegsim::nodes
