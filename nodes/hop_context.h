// The server side of a hop: from what arrived (transport, package, requested level,
// GSS flags, a forwarded TGT) and what the server is (its account's delegation flags,
// its privileges), derive the effective impersonation level and the kind of network
// credentials the server holds for the client. A pure function: every rule it applies
// is recorded in the returned Decision, in order.
//
//   HopContext h = DeriveHopContext(inbound, server);
//   h.level;         // Level::kIdentify, say
//   h.decision.Rules();  // {TK-8, ...}
#ifndef DELEGSIM_NODES_HOP_CONTEXT_H_
#define DELEGSIM_NODES_HOP_CONTEXT_H_

#include <optional>
#include <string>
#include <vector>

#include "common/decision.h"
#include "nodes/token.h"

namespace delegsim::nodes {

// What the server learned from the call and its authentication.
struct Inbound {
  v1::Transport transport = v1::TRANSPORT_NCACN_IP_TCP;
  bool same_host = false;
  v1::Package package = v1::PACKAGE_KERBEROS;  // PACKAGE_UNSPECIFIED: no credentials at all
  std::optional<Level> requested;              // nullopt: the API default (DF-1)
  v1::Api api = v1::API_RPC;
  v1::GssFlags flags;
  bool tgt_forwarded = false;                       // a KRB-CRED arrived with the AP-REQ
  v1::Level transport_level = v1::LEVEL_DEFAULT;    // ncacn_np: SMB-layer level (TR-3)
  NetCredsKind caller_creds = NetCredsKind::kNone;  // what the caller used (explanations: LC-2)
  bool caller_is_service_account = false;  // the identity equals the server's account (TK-8)
  bool local_session_creds = true;         // ncalrpc: the caller's logon session holds credentials
};

// What the server is.
struct ServerFacts {
  std::string account;  // name, for facts
  bool trusted_for_delegation = false;
  bool trusted_to_auth_for_delegation = false;
  bool has_impersonate_privilege = true;
};

struct HopContext {
  Level level = Level::kAnonymous;
  NetCredsKind creds = NetCredsKind::kNone;
  RuleId creds_rule = RuleId::kLC5;
  // With s4u_proxy from a Kerberos logon: why no TGT came with it (IL-4, LC-2, ...).
  RuleId no_tgt_rule = RuleId::kLC5;
  Decision decision;
};

// DF-1 / RULES.md C1: the default level of each API family.
Level DefaultLevel(v1::Api api);

HopContext DeriveHopContext(const Inbound& in, const ServerFacts& server);

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_HOP_CONTEXT_H_
