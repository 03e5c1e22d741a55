// ServiceNode: the server side of a call (authentication, hop context, replay cache).
#include <algorithm>

#include "common/saturating.h"
#include "kdc/crypto.h"
#include "kdc/uac.h"
#include "nodes/kdc_node.h"
#include "nodes/process_node_internal.h"

namespace delegsim::nodes {

using internal::ViewOf;

// ---------------------------------------------------------------------------------------
// ServiceNode.

ServiceNode::ServiceNode(Topology& topology, const ServiceInfo& service)
    : ProcessNode(service.name, service.host, topology, service.account,
                  topology.directory().KeyOf(service.account)),
      service_(service) {
  // The service process runs with the privileges granted to it (TK-3, TK-8, TK-10).
  process_privileges_ = service.privileges;
}

void ServiceNode::HandleRequest(v1::Envelope& env, NodeContext& ctx) {
  if (env.has_ntlm_negotiate()) {
    // A fresh, deterministic 8-byte challenge per negotiation.
    std::string challenge =
        kdc::Hmac(key_, name_ + "/" + std::to_string(++challenge_counter_)).substr(0, 8);
    challenges_[env.from()] = challenge;
    v1::Envelope reply;
    reply.set_to(env.from());
    reply.set_correlation(env.correlation());
    reply.mutable_ntlm_challenge()->set_server_challenge(challenge);
    ctx.Send(std::move(reply));
    return;
  }
  if (env.has_call()) HandleCall(env, ctx);
}

void ServiceNode::HandleCall(v1::Envelope& env, NodeContext& ctx) {
  const v1::Call& call = env.call();
  Decision d;
  // Whether the caller is on this host is the runtime's word (it knows which node sent
  // the envelope), never the call's own `from_host`.
  const bool same_host = ctx.SameHost(env.from());
  if (call.transport() == v1::TRANSPORT_NCALRPC && !same_host) {
    // DS-3: ncalrpc is local only.
    d.Deny(RuleId::kDS3, "RPC_S_PROTSEQ_NOT_SUPPORTED", {},
           {{"transport", "ncalrpc"},
            {"from_host", call.from_host()},
            {"host", host_},
            {"sender_on_host", false}});
    return Refuse(env, std::move(d), ctx);
  }
  const auto& ts = service_.transports;
  if (std::find(ts.begin(), ts.end(), call.transport()) == ts.end()) {
    // DS-6: the service does not listen on that protocol sequence.
    d.Deny(RuleId::kDS6, "RPC_S_PROTSEQ_NOT_SUPPORTED", {},
           {{"transport", TransportName(call.transport())}, {name_, ".listens", false}});
    return Refuse(env, std::move(d), ctx);
  }
  int hop_limit = topology_.options().hop_limit;
  if (call.chain_size() >= hop_limit) {
    // DS-4: chains are bounded.
    d.Deny(RuleId::kDS4, "RPC_S_CALL_FAILED", {},
           {{"hops", call.chain_size() + 1}, {"hop_limit", hop_limit}});
    return Refuse(env, std::move(d), ctx);
  }
  if (std::find(call.chain().begin(), call.chain().end(), name_) != call.chain().end()) {
    // DS-5: a chain that re-enters a service already on it is a cycle.
    d.Deny(RuleId::kDS5, "RPC_S_CALL_FAILED", {}, {{"service", name_}, {"already_on_chain", true}});
    return Refuse(env, std::move(d), ctx);
  }

  switch (call.auth_case()) {
    case v1::Call::kKerberos: {
      const v1::ApReq& ap = call.kerberos();
      StatusOr<v1::TicketBody> t = kdc::Open(ap.ticket(), key_);
      if (!t.ok()) {
        // DS-1: a forged or altered ticket.
        d.Deny(RuleId::kDS1, "KRB_AP_ERR_MODIFIED", {}, {{"ticket.seal_valid", false}});
        return Refuse(env, std::move(d), ctx);
      }
      if (InvalidLogon(t->client(), t->pac().groups())) {
        // A sealed ticket names only principals of the directory; anything else is forged.
        d.Deny(RuleId::kDS1, "KRB_AP_ERR_MODIFIED", {}, {{"ticket.client_known", false}});
        return Refuse(env, std::move(d), ctx);
      }
      if (t->server() != account_) {
        d.Deny(
            RuleId::kDS11, "KRB_AP_ERR_NOT_US", {},
            {{"ticket.server", dir_.Name(t->server())}, {"service.account", dir_.Name(account_)}});
        return Refuse(env, std::move(d), ctx);
      }
      if (ctx.Now() < t->start_ms() || ctx.Now() >= t->end_ms()) {
        d.Deny(RuleId::kDS2,
               ctx.Now() < t->start_ms() ? "KRB_AP_ERR_TKT_NYV" : "KRB_AP_ERR_TKT_EXPIRED", {},
               {{"ticket.end_ms", t->end_ms()}, {"now_ms", ctx.Now()}});
        return Refuse(env, std::move(d), ctx);
      }
      if (IsReplay(ap, ctx.Now())) {
        d.Deny(RuleId::kDS16, "KRB_AP_ERR_REPEAT", {},
               {{"authenticator.ctime_ms", ap.ctime_ms()},
                {"authenticator.seq", static_cast<int64_t>(ap.seq())},
                {"seen_before", true}});
        return Refuse(env, std::move(d), ctx);
      }
      d.Read(RuleId::kDS1,
             {{"ticket.seal_valid", true}, {"ticket.flags", kdc::KlistFlags(t->flags())}});
      d.Allow(RuleId::kDS1);
      std::vector<PrincipalId> groups(t->pac().groups().begin(), t->pac().groups().end());
      return Authenticated(env, t->client(), std::move(groups), std::move(d), ctx);
    }
    case v1::Call::kNtlm: {
      const v1::NtlmAuthenticate& a = call.ntlm();
      auto issued = challenges_.find(env.from());
      if (issued == challenges_.end() || issued->second != a.challenge()) {
        d.Deny(RuleId::kDS12, "SEC_E_INVALID_TOKEN", {}, {{"challenge_matches", false}});
        return Refuse(env, std::move(d), ctx);
      }
      challenges_.erase(issued);
      std::optional<kdc::DomainId> domain = dir_.FindDomain(a.domain());
      std::optional<kdc::DomainId> mine =
          host_info_ ? topology_.KerberosDomain(*host_info_) : std::nullopt;
      bool local = domain && dir_.GetDomain(*domain).workgroup;
      if (local || !mine) {
        // A local account (or a workgroup server): the host's SAM validates it.
        kdc::NtlmResult r = topology_.kdc().ValidateNtlm(a);
        if ((local || !mine) && !kdc::EqualsIgnoreCase(a.domain(), host_)) {
          Decision other;
          other.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_NO_SUCH_USER",
                     {{"account_domain", a.domain()}, {"host", host_}});
          r.decision = std::move(other);
        }
        if (!r.decision.allowed()) return Refuse(env, std::move(r.decision), ctx);
        return Authenticated(env, r.user, dir_.Get(r.user).groups, std::move(r.decision), ctx);
      }
      if (!domain || !dir_.TrustPath(*domain, *mine)) {
        d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_NO_TRUST_SAM_ACCOUNT",
               {{"account_domain", a.domain()}, {"trusted", false}});
        return Refuse(env, std::move(d), ctx);
      }
      // NetLogon pass-through to the account's domain controller.
      v1::Envelope req;
      *req.mutable_ntlm_validate_req()->mutable_authenticate() = a;
      req.mutable_ntlm_validate_req()->set_service_host(host_);
      std::optional<NodeId> dc = topology_.KdcNode(*domain);
      if (!dc) {
        d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_NO_LOGON_SERVERS",
               {{"dc", a.domain()}});
        return Refuse(env, std::move(d), ctx);
      }
      pending_.Request(
          ctx, *dc, std::move(req), topology_.options().request_timeout_ms,
          [this, env](v1::Envelope* reply, const Status& status, NodeContext& ctx) mutable {
            Decision d;
            if (!reply || !reply->has_ntlm_validate_rep()) {
              d.Deny(RuleId::kDS13, "STATUS_NO_LOGON_SERVERS", {},
                     {{"netlogon", reply != nullptr ? "bad reply" : status.message()}});
              return Refuse(env, std::move(d), ctx);
            }
            const v1::NtlmValidateRep& rep = reply->ntlm_validate_rep();
            d = kdc::FromRecord(rep.decision());
            if (!rep.ok()) return Refuse(env, std::move(d), ctx);
            // Ids from the wire become principals only when they name one.
            if (std::optional<Fact> bad = InvalidLogon(rep.user(), rep.groups()); bad) {
              Decision invalid;
              invalid.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_NO_SUCH_USER",
                           {std::move(*bad)});
              return Refuse(env, std::move(invalid), ctx);
            }
            std::vector<PrincipalId> groups(rep.groups().begin(), rep.groups().end());
            Authenticated(env, rep.user(), std::move(groups), std::move(d), ctx);
          });
      return;
    }
    case v1::Call::kSchannel: {
      const v1::SchannelCredential& c = call.schannel();
      std::optional<PrincipalId> user = dir_.Find(c.subject());
      bool ok =
          user && kdc::MacEquals(
                      kdc::Hmac(dir_.CertificateAuthorityKey(dir_.Get(*user).domain), c.subject()),
                      c.signature());
      if (!ok) {
        d.Deny(RuleId::kDS12, "SEC_E_CERT_UNKNOWN", {}, {{"certificate_valid", false}});
        return Refuse(env, std::move(d), ctx);
      }
      d.Read(RuleId::kDS12, {{"certificate_valid", true}, {"subject", c.subject()}});
      d.Allow(RuleId::kDS12);
      return Authenticated(env, *user, dir_.Get(*user).groups, std::move(d), ctx);
    }
    case v1::Call::kForms: {
      // The front door checks the password itself (against the account, as an LDAP bind
      // would); it gets the user's name, not a Windows logon.
      const v1::FormsLogin& login = call.forms();
      std::optional<PrincipalId> user = dir_.Find(login.user());
      bool ok =
          user && kdc::MacEquals(kdc::Hmac(dir_.KeyOf(*user), "forms:" + name_), login.proof());
      if (!ok) {
        d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", {},
               {{"forms.user", login.user()}, {"password_valid", false}});
        return Refuse(env, std::move(d), ctx);
      }
      d.Read(RuleId::kDS12, {{"forms.user", login.user()}, {"password_valid", true}});
      d.Allow(RuleId::kDS12);
      return Authenticated(env, *user, dir_.Get(*user).groups, std::move(d), ctx);
    }
    case v1::Call::kAnonymous:
      d.Read(RuleId::kIL2, {{"credentials", "none"}});
      d.Allow(RuleId::kIL2);
      return Authenticated(env, kdc::kNobody, {}, std::move(d), ctx);
    default:
      if (call.has_local_session() && call.transport() == v1::TRANSPORT_NCALRPC) {
        PrincipalId user = call.local_session().user();
        if (InvalidLogon(user, {})) {
          d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", {},
                 {{"local_session.user", static_cast<int64_t>(user)}});
          return Refuse(env, std::move(d), ctx);
        }
        d.Read(RuleId::kLC1, {{"local_session", dir_.Name(user)}});
        d.Allow(RuleId::kLC1);
        return Authenticated(env, user, dir_.Get(user).groups, std::move(d), ctx);
      }
      d.Deny(RuleId::kDS12, "SEC_E_INVALID_TOKEN", {}, {{"credentials", "missing"}});
      return Refuse(env, std::move(d), ctx);
  }
}

void ServiceNode::Authenticated(v1::Envelope& env, PrincipalId user,
                                std::vector<PrincipalId> groups, Decision auth, NodeContext& ctx) {
  const v1::Call& call = env.call();
  const kdc::Principal& account = dir_.Get(account_);
  Inbound in;
  in.transport = call.transport();
  in.same_host = ctx.SameHost(env.from());
  in.package = call.auth_case() == v1::Call::kAnonymous ? v1::PACKAGE_UNSPECIFIED : call.package();
  in.requested = FromWire(call.requested_level());
  in.api = call.api();
  bool forwarded = call.has_kerberos() && call.kerberos().flags().deleg() &&
                   !call.kerberos().forwarded_tgt().tgt().body().empty();
  if (call.has_kerberos()) in.flags = call.kerberos().flags();
  in.tgt_forwarded = forwarded;
  in.transport_level = call.transport_level();
  const std::string& cc = call.caller_net_creds();
  in.caller_creds = cc == "own_session"             ? NetCredsKind::kOwnSession
                    : cc == "tgt"                   ? NetCredsKind::kTgt
                    : cc.rfind("s4u_proxy", 0) == 0 ? NetCredsKind::kS4uProxy
                                                    : NetCredsKind::kNone;
  in.caller_is_service_account = user == account_;
  const v1::LocalSession& ls = call.local_session();
  in.local_session_creds = !ls.tgt().body().empty() || !ls.key().empty();

  ServerFacts server;
  server.account = account.name;
  server.trusted_for_delegation = account.uac & kdc::uf::kTrustedForDelegation;
  server.trusted_to_auth_for_delegation = account.uac & kdc::uf::kTrustedToAuthForDelegation;
  server.has_impersonate_privilege =
      std::find(service_.privileges.begin(), service_.privileges.end(), "SeImpersonatePrivilege") !=
      service_.privileges.end();
  HopContext h = DeriveHopContext(in, server);

  Token client;
  bool hidden = h.level == Level::kAnonymous;  // IL-2: no identity at anonymous level
  client.user = hidden ? kdc::kNobody : user;
  if (!hidden) {
    client.groups = std::move(groups);
    if (user != kdc::kNobody) client.privileges = dir_.Get(user).privileges;
  }
  client.level = h.level;
  client.host = host_;
  client.creds.kind = h.creds;
  client.creds.why = h.creds_rule;
  // The ticket the client presented: evidence for an explicit S4U2proxy (KdcRequestSpec).
  if (call.has_kerberos() && h.creds != NetCredsKind::kS4uProxy && !hidden) {
    client.creds.evidence = call.kerberos().ticket();
  }
  switch (h.creds) {
    case NetCredsKind::kTgt: {
      // The forwarded TGT moves into the client's logon session; nothing reads it again.
      v1::KrbCred* forwarded_tgt = env.mutable_call()->mutable_kerberos()->mutable_forwarded_tgt();
      client.creds.tgt = std::move(*forwarded_tgt->mutable_tgt());
      client.creds.tgt_view = std::move(*forwarded_tgt->mutable_view());
      break;
    }
    case NetCredsKind::kOwnSession:
      client.creds.tgt = ls.tgt();
      client.creds.tgt_view = ls.tgt_view();
      client.creds.key = ls.key();
      break;
    case NetCredsKind::kS4uProxy:
      if (call.has_kerberos()) {
        client.creds.evidence = call.kerberos().ticket();
        client.creds.evidence_view = kdc::Open(call.kerberos().ticket(), key_).value();
      }
      client.creds.targets = service_.s4u_targets;
      client.creds.no_tgt_why = h.no_tgt_rule;
      break;
    case NetCredsKind::kNone:
      break;
  }

  v1::HopResult r;
  r.set_path(call.path());
  r.set_service(name_);
  r.set_host(host_);
  r.set_from_host(call.from_host());
  r.set_identity(client.anonymous() ? "" : dir_.FullName(client.user));
  r.set_level(ToWire(h.level));
  r.set_net_creds(NetCredsName(client.creds));
  r.set_package(in.package);
  r.set_verdict("allowed");
  if (call.transport() == v1::TRANSPORT_NCACN_NP) r.set_transport_level(call.transport_level());
  if (call.has_kerberos()) *r.mutable_gss_flags() = call.kerberos().flags();
  *r.mutable_decision() = kdc::ToRecord(h.decision);
  r.add_steps(kdc::EncodeRecord(auth));
  r.add_steps(r.decision().SerializeAsString());

  if (ctx.Tracing()) {
    TraceRecord rec;
    rec.kind = TraceKind::kImpersonate;
    rec.path = call.path();
    rec.summary = "impersonating " +
                  (client.anonymous() ? std::string("anonymous") : dir_.FullName(client.user)) +
                  " at " + std::string(LevelName(h.level)) + ", net_creds=" + r.net_creds();
    rec.decision = std::make_shared<const Decision>(std::move(h.decision));
    rec.token = ViewOf(client);
    ctx.Trace(std::move(rec));
  }

  std::vector<std::string> chain(call.chain().begin(), call.chain().end());
  chain.push_back(name_);
  ExecPtr x = NewExecution(call.path(), std::move(chain), PrimaryToken(), std::move(client));
  x->result = std::move(r);
  x->done = [this, to = env.from(), correlation = env.correlation()](Execution& x,
                                                                     NodeContext& ctx) {
    Reply(to, correlation, std::move(x.result), ctx);
  };
  x->plan.Swap(env.mutable_call());  // the plan moves in; `call` is not used after this
  Run(x, ctx);
}

bool ServiceNode::IsReplay(const v1::ApReq& ap, Time now) {
  constexpr Time kClockSkew = 5 * 60 * 1000;  // RFC 4120's customary 5 minutes
  while (!replay_expiry_.empty() &&
         (replay_expiry_.front().first <= now || replay_expiry_.size() > kMaxReplayEntries)) {
    replay_seen_.erase(replay_expiry_.front().second);
    replay_expiry_.pop_front();
  }
  std::string key = ap.ticket().mac();
  key += '|' + std::to_string(ap.ctime_ms()) + '|' + std::to_string(ap.seq());
  if (replay_seen_.count(key)) return true;
  replay_seen_.insert(key);
  replay_expiry_.emplace_back(ap.ctime_ms() + kClockSkew, std::move(key));
  return false;
}

std::optional<Fact> ServiceNode::InvalidLogon(
    PrincipalId user, const google::protobuf::RepeatedField<uint32_t>& groups) const {
  auto known = [&](PrincipalId id) { return id != kdc::kNobody && id <= dir_.principal_count(); };
  if (!known(user)) return Fact("user_id", static_cast<int64_t>(user));
  kdc::PrincipalKind kind = dir_.Get(user).kind;
  if (kind == kdc::PrincipalKind::kGroup || kind == kdc::PrincipalKind::kKrbtgt) {
    return Fact("user_kind", std::string(kdc::PrincipalKindName(kind)));
  }
  for (uint32_t g : groups) {
    if (!known(g) || dir_.Get(g).kind != kdc::PrincipalKind::kGroup) {
      return Fact("group_id", static_cast<int64_t>(g));
    }
  }
  return std::nullopt;
}

void ServiceNode::Reply(NodeId to, uint64_t correlation, v1::HopResult result, NodeContext& ctx) {
  v1::Envelope reply;
  reply.set_to(to);
  reply.set_correlation(correlation);
  *reply.mutable_call_reply()->mutable_result() = std::move(result);
  ctx.Send(std::move(reply));
}

void ServiceNode::Refuse(const v1::Envelope& request, Decision d, NodeContext& ctx) {
  const v1::Call& call = request.call();
  Trace(ctx, TraceKind::kCallRefused, call.path(), "refused " + call.path(), &d);
  v1::HopResult r;
  r.set_path(call.path());
  r.set_service(name_);
  r.set_host(host_);
  r.set_from_host(call.from_host());
  r.set_level(v1::LEVEL_DEFAULT);
  r.set_net_creds("none");
  r.set_package(call.package());
  r.set_verdict("denied");
  *r.mutable_decision() = kdc::ToRecord(d);
  r.add_steps(r.decision().SerializeAsString());
  Reply(request.from(), request.correlation(), std::move(r), ctx);
}

}  // namespace delegsim::nodes
