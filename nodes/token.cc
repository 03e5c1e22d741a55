#include "nodes/token.h"

#include <algorithm>

namespace delegsim::nodes {

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kAnonymous:
      return "anonymous";
    case Level::kIdentify:
      return "identify";
    case Level::kImpersonate:
      return "impersonate";
    case Level::kDelegate:
      return "delegate";
  }
  return "?";
}

std::optional<Level> ParseLevel(std::string_view name) {
  for (Level l : {Level::kAnonymous, Level::kIdentify, Level::kImpersonate, Level::kDelegate}) {
    if (LevelName(l) == name) return l;
  }
  return std::nullopt;
}

StatusOr<Level> FromRpcLevel(int value) {
  if (value < 1 || value > 4) {
    return InvalidArgument("RPC_C_IMP_LEVEL value " + std::to_string(value) +
                           " has no impersonation level (IL-1: 1..4; 0 is the default)");
  }
  return static_cast<Level>(value - 1);
}

StatusOr<Level> FromSecurityLevel(int value) {
  if (value < 0 || value > 3) {
    return InvalidArgument("SECURITY_IMPERSONATION_LEVEL value " + std::to_string(value) +
                           " is unknown (IL-1: 0..3)");
  }
  return static_cast<Level>(value);
}

int ToRpcLevel(Level l) { return static_cast<int>(l) + 1; }
int ToSecurityLevel(Level l) { return static_cast<int>(l); }

v1::Level ToWire(Level l) { return static_cast<v1::Level>(ToRpcLevel(l)); }

std::optional<Level> FromWire(v1::Level l) {
  if (l == v1::LEVEL_DEFAULT) return std::nullopt;
  StatusOr<Level> level = FromRpcLevel(static_cast<int>(l));
  if (!level.ok()) return std::nullopt;
  return *level;
}

std::string_view TransportName(v1::Transport t) {
  switch (t) {
    case v1::TRANSPORT_NCALRPC:
      return "ncalrpc";
    case v1::TRANSPORT_NCACN_IP_TCP:
      return "ncacn_ip_tcp";
    case v1::TRANSPORT_NCACN_NP:
      return "ncacn_np";
    default:
      return "unspecified";
  }
}

std::string_view PackageName(v1::Package p) {
  switch (p) {
    case v1::PACKAGE_KERBEROS:
      return "kerberos";
    case v1::PACKAGE_NTLM:
      return "ntlm";
    case v1::PACKAGE_SCHANNEL:
      return "schannel";
    case v1::PACKAGE_NEGOTIATE:
      return "negotiate";
    case v1::PACKAGE_FORMS:
      return "forms";
    default:
      return "none";
  }
}

std::string_view ApiName(v1::Api a) {
  switch (a) {
    case v1::API_NAMED_PIPE:
      return "named_pipe";
    case v1::API_COM:
      return "com";
    case v1::API_WCF:
      return "wcf";
    default:
      return "rpc";
  }
}

std::string NetCredsName(const NetCreds& c) {
  switch (c.kind) {
    case NetCredsKind::kNone:
      return "none";
    case NetCredsKind::kOwnSession:
      return "own_session";
    case NetCredsKind::kTgt:
      return "tgt";
    case NetCredsKind::kS4uProxy: {
      std::string out = "s4u_proxy{";
      for (size_t i = 0; i < c.targets.size(); ++i) out += (i ? "," : "") + c.targets[i];
      return out + "}";
    }
  }
  return "?";
}

bool Token::HasPrivilege(std::string_view name) const {
  return std::find(privileges.begin(), privileges.end(), name) != privileges.end();
}

}  // namespace delegsim::nodes
