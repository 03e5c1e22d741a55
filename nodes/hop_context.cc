#include "nodes/hop_context.h"

namespace delegsim::nodes {

Level DefaultLevel(v1::Api api) {
  // DF-1: raw RPC and named pipes default to impersonate; COM and WCF to identify.
  switch (api) {
    case v1::API_COM:
    case v1::API_WCF:
      return Level::kIdentify;
    default:
      return Level::kImpersonate;
  }
}

HopContext DeriveHopContext(const Inbound& in, const ServerFacts& server) {
  HopContext h;
  Decision& d = h.decision;
  const std::string lvl = "level";
  auto name = [](Level l) { return std::string(LevelName(l)); };

  Level level;
  RuleId level_rule = RuleId::kIL6;
  if (in.requested) {
    level = *in.requested;
    // IL-6: the client picks the level; the server cannot raise it.
    d.Read(RuleId::kIL6, {{"requested_level", name(level)}});
  } else {
    level = DefaultLevel(in.api);
    d.Set(RuleId::kDF1, lvl, {{"api", ApiName(in.api)}, {"default_level", name(level)}});
    level_rule = RuleId::kDF1;
  }

  bool remote = !in.same_host;
  if (in.transport == v1::TRANSPORT_NCACN_NP && remote) {
    // TR-2: over a remote named pipe the level follows the server account, not the client.
    bool deleg =
        server.trusted_for_delegation && in.package == v1::PACKAGE_KERBEROS && in.tgt_forwarded;
    Level by_account = deleg ? Level::kDelegate : Level::kImpersonate;
    d.Set(RuleId::kTR2, lvl,
          {{"requested_level", name(level)},
           {server.account, ".trusted_for_delegation", server.trusted_for_delegation},
           {"tgt_forwarded", in.tgt_forwarded},
           {"level", name(by_account)}});
    // TR-3: the SMB-layer level travels separately and is not what decides here.
    std::optional<Level> smb = FromWire(in.transport_level);
    d.Set(RuleId::kTR3, "transport_level", {{"transport_level", smb ? name(*smb) : "unset"}});
    level = by_account;
    level_rule = RuleId::kTR2;
  } else if (level == Level::kAnonymous && in.transport != v1::TRANSPORT_NCALRPC) {
    // TR-1: anonymous works only over local IPC; elsewhere it becomes identify.
    d.Set(RuleId::kTR1, lvl,
          {{"transport", TransportName(in.transport)}, {"requested_level", "anonymous"}});
    level = Level::kIdentify;
    level_rule = RuleId::kTR1;
  }

  if (in.package == v1::PACKAGE_FORMS && level > Level::kImpersonate) {
    // PK-1: a sign-in by password to the service itself carries no Kerberos delegation.
    d.Clear(RuleId::kPK1, lvl, {{"package", "forms"}, {"requested_level", name(level)}});
    level = Level::kImpersonate;
    level_rule = RuleId::kPK1;
  }
  if (in.package == v1::PACKAGE_SCHANNEL && level > Level::kImpersonate) {
    // PK-3: Schannel caps at impersonate.
    d.Clear(RuleId::kPK3, lvl, {{"package", "schannel"}, {"requested_level", name(level)}});
    level = Level::kImpersonate;
    level_rule = RuleId::kPK3;
  }
  if (level == Level::kDelegate) {
    if (in.package != v1::PACKAGE_KERBEROS && remote) {
      // PK-1 / PK-2: only Kerberos delegates across machines.
      d.Clear(RuleId::kPK2, lvl, {{"package", PackageName(in.package)}, {"same_host", false}});
      level = Level::kImpersonate;
      level_rule = RuleId::kPK2;
    } else if (in.package == v1::PACKAGE_KERBEROS && !in.tgt_forwarded && remote) {
      // IL-5: delegate needs a forwarded TGT.
      d.Clear(RuleId::kIL5, lvl, {{"tgt_forwarded", false}});
      level = Level::kImpersonate;
      level_rule = RuleId::kIL5;
    }
  }
  if (level >= Level::kImpersonate && !server.has_impersonate_privilege &&
      !in.caller_is_service_account) {
    // TK-8: without SeImpersonatePrivilege the token is silently identify-level.
    d.Clear(RuleId::kTK8, lvl,
            {{server.account, ".SeImpersonatePrivilege", false}, {"requested_level", name(level)}});
    level = Level::kIdentify;
    level_rule = RuleId::kTK8;
  }
  if (in.package == v1::PACKAGE_UNSPECIFIED && level > Level::kIdentify) {
    // IL-2: an unauthenticated caller is anonymous whatever the level says: the server
    // learns no identity, which IL-2 decides (not the level the call asked).
    d.Clear(RuleId::kIL2, "identity", {{"credentials", "none"}, {"identity", "none"}});
  } else if (level == Level::kAnonymous) {
    // IL-2: at anonymous level (kept only over local IPC, TR-1) the server learns no
    // identity, whoever the caller is.
    d.Clear(RuleId::kIL2, "identity", {{"level", "anonymous"}, {"identity", "none"}});
  }
  h.level = level;

  // net_creds (LC-5): what this hop can present to another machine as the client.
  if (level < Level::kImpersonate) {
    h.creds_rule = in.transport == v1::TRANSPORT_NCALRPC
                       ? RuleId::kLC4
                       : (level == Level::kIdentify ? RuleId::kIL3 : RuleId::kIL2);
  } else if (in.transport == v1::TRANSPORT_NCALRPC && in.same_host &&
             in.package != v1::PACKAGE_UNSPECIFIED) {
    if (in.local_session_creds) {
      h.creds = NetCredsKind::kOwnSession;  // LC-1
      h.creds_rule = RuleId::kLC1;
    } else {
      // IL-4: the caller's session is itself a network logon with no credentials.
      h.creds_rule = in.caller_creds == NetCredsKind::kNone ? RuleId::kIL4 : RuleId::kLC2;
    }
  } else if (level == Level::kDelegate && in.tgt_forwarded) {
    h.creds = NetCredsKind::kTgt;  // IL-5
    h.creds_rule = RuleId::kIL5;
  } else if (in.package == v1::PACKAGE_KERBEROS) {
    // KCD-7: the client's service ticket stays with the server as S4U2proxy evidence. The
    // server knows its own A2D2 but not other accounts' RBCD descriptors (RB-1), so it
    // holds the evidence whatever its A2D2 says, and the KDC decides each target. No TGT
    // came with it: LC-2 after a local server's one hop, IL-4 otherwise.
    h.no_tgt_rule = in.caller_creds == NetCredsKind::kOwnSession ? RuleId::kLC2 : RuleId::kIL4;
    d.Clear(h.no_tgt_rule, "tgt", {{"tgt_forwarded", false}});
    h.creds = NetCredsKind::kS4uProxy;
    h.creds_rule = RuleId::kKCD7;
  } else if (server.trusted_to_auth_for_delegation && in.package != v1::PACKAGE_UNSPECIFIED) {
    h.creds = NetCredsKind::kS4uProxy;  // S4U-3: protocol transition from NTLM/Schannel
    h.creds_rule = RuleId::kS4U3;
  } else if (in.caller_creds == NetCredsKind::kOwnSession) {
    h.creds_rule = RuleId::kLC2;
  } else if (in.package == v1::PACKAGE_NTLM) {
    h.creds_rule = RuleId::kPK2;
  } else if (in.package == v1::PACKAGE_SCHANNEL) {
    h.creds_rule = RuleId::kPK3;
  } else if (in.package == v1::PACKAGE_FORMS) {
    h.creds_rule = RuleId::kPK1;  // no Windows credentials: only S4U-3 reaches further
  } else {
    h.creds_rule = RuleId::kIL4;
  }
  std::vector<Fact> facts = {{"level", name(level)},
                             {"package", PackageName(in.package)},
                             {"transport", TransportName(in.transport)}};
  if (h.creds == NetCredsKind::kNone) {
    d.Clear(h.creds_rule, "net_creds", std::move(facts));
  } else {
    d.Set(h.creds_rule, "net_creds", std::move(facts));
  }
  d.Allow(level_rule);
  return h;
}

}  // namespace delegsim::nodes
