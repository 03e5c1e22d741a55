#include "sim/mechanism.h"

#include <algorithm>

#include "kdc/kdc.h"

namespace delegsim::sim {
namespace {

constexpr std::string_view kCaller = "caller.";
constexpr std::string_view kNetCreds = ".net_creds";

// The caller's reading of the credentials it presented: the rule that gave them and their
// kind ("tgt", "own_session", "s4u_proxy{...}"), from the check that reads
// "<identity>.net_creds" (nodes/process_node.cc, LC-5). Empty rule when there is none.
struct Presented {
  std::string rule;
  std::string kind;
};

Presented PresentedCredentials(const v1::DecisionRecord& caller) {
  for (const v1::CheckRecord& c : caller.checks()) {
    if (c.effect() != v1::CHECK_EFFECT_READ) continue;
    for (const std::string& f : kdc::RecordFacts(c)) {
      size_t eq = f.find('=');
      std::string_view name = std::string_view(f).substr(0, eq);
      if (eq == std::string::npos || name.starts_with(kCaller) || !name.ends_with(kNetCreds)) {
        continue;
      }
      return {c.rule(), f.substr(eq + 1)};
    }
  }
  return {};
}

}  // namespace

HopMechanismInfo DescribeMechanism(const v1::HopResult& hop) {
  HopMechanismInfo info{"none", {}};
  if (hop.verdict() != "allowed") return info;
  info.mechanism = "direct";
  // The KDC decisions that issued this hop's ticket: S4U2self (S4U-1), then S4U2proxy by
  // the classic list (KCD-1) or the target's resource-based ACL (RB-1).
  std::string s4u2self;
  std::string s4u2proxy;
  Presented presented;
  for (int i = 0; i < hop.steps_size(); ++i) {
    v1::DecisionRecord record = kdc::DecodeRecord(hop.steps(i));
    if (i == 0) presented = PresentedCredentials(record);
    if (record.verdict() != "allowed") continue;
    if (record.rule() == "S4U-1") s4u2self = record.rule();
    if (record.rule() == "KCD-1" || record.rule() == "RB-1") s4u2proxy = record.rule();
  }
  if (!presented.rule.empty()) info.rules.push_back(presented.rule);
  if (!s4u2self.empty()) info.rules.push_back(s4u2self);
  if (!s4u2proxy.empty()) info.rules.push_back(s4u2proxy);

  if (!s4u2proxy.empty()) {
    // The target's resource-based ACL (RB-1) allowed it: RBCD, with or without S4U2self
    // before it (RB-4), as `delegsim reach` names it (analysis/prober.cc). By the classic
    // list (KCD-1): protocol transition when the evidence came from S4U2self (S4U-3).
    if (s4u2proxy == "RB-1") {
      info.mechanism = "rbcd";
    } else if (!s4u2self.empty() || presented.rule == "S4U-3") {
      info.mechanism = "protocol_transition";
    } else {
      info.mechanism = "constrained";
    }
    return info;
  }
  if (presented.kind == "tgt") {
    info.mechanism = "unconstrained";  // IL-5, or TK-5 for a child that kept the TGT
  } else if (presented.rule == "LC-1") {
    info.mechanism = "local_session";
  } else if (presented.rule == "TK-6") {
    info.mechanism = "logon_user";
  } else {
    info.rules.clear();
  }
  return info;
}

std::string_view HopMechanism(const v1::HopResult& hop) { return DescribeMechanism(hop).mechanism; }

std::string_view MechanismLabel(std::string_view mechanism) {
  if (mechanism == "direct") return "the caller's own logon";
  if (mechanism == "unconstrained") return "unconstrained delegation (forwarded TGT)";
  if (mechanism == "constrained") return "constrained delegation (S4U2proxy)";
  if (mechanism == "protocol_transition") return "protocol transition (S4U2self + S4U2proxy)";
  if (mechanism == "rbcd") return "resource-based constrained delegation (S4U2proxy)";
  if (mechanism == "local_session") return "the client's own logon session (local server)";
  if (mechanism == "logon_user") return "a LogonUser token (the user's password)";
  return "none";
}

}  // namespace delegsim::sim
