// The project's rule table: every rule id the simulator can name in a decision.
//
// Ids come from ../shared/RULES.md (IL-*, TK-*, TR-*, DF-*, PK-*, MA-*, LC-*, UD-*, AC-*,
// PU-*, S4U-*, KCD-*, RB-*, XR-*) and are a contract: they never change meaning. The
// DS-* ids are this project's own additions for decisions RULES.md does not cover
// (ticket seals and lifetimes, unknown principals, simulator guards); each cites its
// source like the others.
//
//   const RuleInfo& r = Rule(RuleId::kKCD2);   // r.code == "KCD-2"
//   std::optional<RuleId> id = ParseRuleId("KCD-2");
#ifndef DELEGSIM_COMMON_RULES_H_
#define DELEGSIM_COMMON_RULES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace delegsim {

// Who enforces a rule in a real deployment.
enum class Enforcer : uint8_t {
  kOs,         // the Windows token / RPC layer on the server's host
  kClient,     // the initiator (SSPI / GSS-API / RPC runtime)
  kKdc,        // the Key Distribution Center
  kSimulator,  // a guard of this simulator (hop limit, cycles)
};

enum class RuleId : uint8_t {
  // A. Impersonation levels and tokens.
  kIL1,
  kIL2,
  kIL3,
  kIL4,
  kIL5,
  kIL6,
  kTK1,
  kTK2,
  kTK3,
  kTK4,
  kTK5,
  kTK6,
  kTK7,
  kTK8,
  kTK9,
  kTK10,
  kTK11,
  // B. Transport, defaults, security packages.
  kTR1,
  kTR2,
  kTR3,
  kTR4,
  kDF1,
  kPK1,
  kPK2,
  kPK3,
  kPK4,
  kPK5,
  kMA1,
  kMA2,
  // C. The ncalrpc exception and hop accounting.
  kLC1,
  kLC2,
  kLC3,
  kLC4,
  kLC5,
  // D. Unconstrained delegation, account flags, Protected Users.
  kUD1,
  kUD2,
  kUD3,
  kUD4,
  kUD5,
  kUD6,
  kAC1,
  kAC2,
  kAC3,
  kAC4,
  kAC5,
  kPU1,
  kPU2,
  kPU3,
  // E. Constrained delegation.
  kS4U1,
  kS4U2,
  kS4U3,
  kKCD1,
  kKCD2,
  kKCD3,
  kKCD4,
  kKCD5,
  kKCD6,
  kKCD7,
  kRB1,
  kRB2,
  kRB3,
  kRB4,
  // F. Cross-realm / cross-forest.
  kXR1,
  kXR2,
  kXR3,
  // Project rules.
  kDS1,
  kDS2,
  kDS3,
  kDS4,
  kDS5,
  kDS6,
  kDS7,
  kDS8,
  kDS9,
  kDS10,
  kDS11,
  kDS12,
  kDS13,
  kDS14,
  kDS15,
  kDS16,
  kCount,
};

struct RuleInfo {
  RuleId id;
  std::string_view code;  // "KCD-2"
  Enforcer enforcer;
  std::string_view statement;  // one sentence, in the project's words
  std::string_view sources;    // RULES.md source keys and sections
};

const RuleInfo& Rule(RuleId id);
inline std::string_view RuleCode(RuleId id) { return Rule(id).code; }
std::span<const RuleInfo> AllRules();
// Accepts "KCD-2" (case-insensitive); nullopt for an id the table lacks.
std::optional<RuleId> ParseRuleId(std::string_view code);
std::string_view EnforcerName(Enforcer e);

}  // namespace delegsim

#endif  // DELEGSIM_COMMON_RULES_H_
