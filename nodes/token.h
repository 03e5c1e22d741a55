// Access tokens, impersonation levels and network credentials.
//
// A Token is what a thread or process runs as: an identity with groups and privileges,
// whether it is a primary (process) or impersonation (thread) token, its impersonation
// level, the host it lives on, and NetCreds: whether and how it can present this
// identity to another machine (RULES.md: none, own_session, tgt, s4u_proxy{targets}).
//
//   Token t = ...;                       // the client's token at a service
//   if (t.level < Level::kImpersonate) { /* IL-3: may check, not open */ }
//   if (t.creds.kind == NetCredsKind::kNone) { /* LC-5: no next hop as the client */ }
#ifndef DELEGSIM_NODES_TOKEN_H_
#define DELEGSIM_NODES_TOKEN_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/rules.h"
#include "common/status.h"
#include "kdc/directory.h"
#include "proto/envelope.pb.h"

namespace delegsim::nodes {

using kdc::PrincipalId;

// IL-1: one ordered enum for both numberings.
enum class Level : uint8_t { kAnonymous = 0, kIdentify = 1, kImpersonate = 2, kDelegate = 3 };
std::string_view LevelName(Level l);  // "anonymous" | "identify" | "impersonate" | "delegate"
std::optional<Level> ParseLevel(std::string_view name);
// IL-1: RPC_C_IMP_LEVEL_* (1..4; 0 = default, which has no Level) and
// SECURITY_IMPERSONATION_LEVEL (0..3). Unknown values are rejected.
StatusOr<Level> FromRpcLevel(int value);
StatusOr<Level> FromSecurityLevel(int value);
int ToRpcLevel(Level l);
int ToSecurityLevel(Level l);
v1::Level ToWire(Level l);
// LEVEL_DEFAULT has no Level: nullopt.
std::optional<Level> FromWire(v1::Level l);

std::string_view TransportName(v1::Transport t);  // "ncalrpc" | "ncacn_ip_tcp" | "ncacn_np"
std::string_view PackageName(v1::Package p);      // "kerberos" | "ntlm" | "schannel" | ...
std::string_view ApiName(v1::Api a);

enum class NetCredsKind : uint8_t { kNone, kOwnSession, kTgt, kS4uProxy };

struct NetCreds {
  NetCredsKind kind = NetCredsKind::kNone;
  // The rule that gave this kind (LC-1, IL-5, KCD-7, TK-6, ...) or, for none, the rule
  // that explains why there are none (IL-4, PK-2, LC-2, LC-4, TK-5, ...).
  RuleId why = RuleId::kLC5;
  // own_session and tgt: a TGT for the identity, and the key when the session holds the
  // password (interactive logon, LogonUser): it can then get TGTs and answer NTLM itself.
  v1::SealedTicket tgt;
  v1::TicketBody tgt_view;
  std::string key;
  // s4u_proxy: the ticket the client presented to this service (evidence) and the
  // services the account's own A2D2 lists. Other targets are the KDC's to allow or refuse
  // (RB-1): the service does not know their RBCD descriptors.
  v1::SealedTicket evidence;
  v1::TicketBody evidence_view;
  std::vector<std::string> targets;
  // s4u_proxy from a Kerberos logon: the rule that explains why the service holds no TGT
  // for the identity (IL-4 impersonate, LC-2 a local server's one hop, IL-5, ...), named
  // as a cause when the KDC refuses its S4U2proxy.
  RuleId no_tgt_why = RuleId::kLC5;
};
// "none", "own_session", "tgt", "s4u_proxy{cifs/db.corp.example,http/b}".
std::string NetCredsName(const NetCreds& c);

struct Token {
  PrincipalId user = kdc::kNobody;  // kNobody: anonymous
  std::vector<PrincipalId> groups;  // ascending
  std::vector<std::string> privileges;
  bool primary = false;  // process token vs thread (impersonation) token
  Level level = Level::kImpersonate;
  std::string host;
  NetCreds creds;

  bool anonymous() const { return user == kdc::kNobody; }
  bool HasPrivilege(std::string_view name) const;
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_TOKEN_H_
