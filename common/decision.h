// Decision: the value every policy point of the simulator returns.
//
// A Decision carries the verdict, the protocol error a real peer would see
// (KDC_ERR_BADOPTION, RPC_S_SEC_PKG_ERROR, ...), the rule id that decided, and every
// check that ran, in order, with the facts it read. Explanations are generated from
// those facts, never hand-written, so "why" always matches what was evaluated.
// A policy refusal is a Decision with verdict kDenied, not an error Status.
//
//   Decision d;
//   d.Read(RuleId::kKCD2, {{"evidence.forwardable", false}});
//   d.Deny(RuleId::kKCD2, "KDC_ERR_BADOPTION").Because(RuleId::kAC1, {"alice.not_delegated",
//   true}); d.Explain();  // "denied by KCD-2 (KDC_ERR_BADOPTION): evidence.forwardable=false;
//   because AC-1: ..."
#ifndef DELEGSIM_COMMON_DECISION_H_
#define DELEGSIM_COMMON_DECISION_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/rules.h"

namespace delegsim {

enum class Verdict : uint8_t { kAllowed, kDenied };
std::string_view VerdictName(Verdict v);  // "allowed" | "denied"

// One input a check read, rendered as name=value ("alice.not_delegated=true").
struct Fact {
  Fact(std::string n, std::string v) : name(std::move(n)), value(std::move(v)) {}
  Fact(std::string n, const char* v) : name(std::move(n)), value(v) {}
  Fact(std::string n, std::string_view v) : name(std::move(n)), value(v) {}
  Fact(std::string n, bool v) : name(std::move(n)), value(v ? "true" : "false") {}
  Fact(std::string n, int64_t v) : name(std::move(n)), value(std::to_string(v)) {}
  Fact(std::string n, int v) : name(std::move(n)), value(std::to_string(v)) {}
  Fact(std::string n, uint32_t v) : name(std::move(n)), value(std::to_string(v)) {}

  std::string name;
  std::string value;
  std::string ToString() const { return name + "=" + value; }
  bool operator==(const Fact&) const = default;
};

// What a check did to the outcome.
enum class Effect : uint8_t {
  kRead,   // read facts, changed nothing (the check passed)
  kDeny,   // refused the request
  kSet,    // set a flag or value (`what`)
  kClear,  // cleared a flag or lowered a value (`what`)
};

struct Check {
  RuleId rule;
  Effect effect;
  std::string what;  // the flag or value affected ("forwardable", "level"); empty for kRead/kDeny
  std::vector<Fact> facts;
};

// Why a fact used by the deciding rule holds: the rule that produced it earlier
// (a ticket flag cleared at the AS step, say) and the fact that rule read.
struct Cause {
  RuleId rule;
  Fact fact;
  bool operator==(const Cause&) const = default;
};

class Decision {
 public:
  Verdict verdict() const { return verdict_; }
  bool allowed() const { return verdict_ == Verdict::kAllowed; }
  // The rule that decided: the denying rule, or for an allowed outcome the rule that granted.
  RuleId rule() const { return rule_; }
  const std::string& error() const { return error_; }    // empty when allowed
  const std::string& status() const { return status_; }  // informational NTSTATUS, may be empty
  const std::vector<Check>& checks() const { return checks_; }
  const std::vector<Cause>& causes() const { return causes_; }

  // Records a check that read facts and changed nothing.
  Decision& Read(RuleId rule, std::initializer_list<Fact> facts);
  Decision& Read(RuleId rule, std::vector<Fact> facts);
  // Records a check that set or cleared `what`.
  Decision& Set(RuleId rule, std::string what, std::vector<Fact> facts = {});
  Decision& Clear(RuleId rule, std::string what, std::vector<Fact> facts = {});
  // Marks the outcome allowed and names the granting rule (the last call wins).
  Decision& Allow(RuleId rule);
  // Marks the outcome denied; the first denial wins and later ones are ignored.
  Decision& Deny(RuleId rule, std::string error, std::string status = {},
                 std::vector<Fact> facts = {});
  Decision& Because(RuleId rule, Fact fact);
  Decision& Because(const std::vector<Cause>& causes);

  // Decider first, then every rule whose check denied, set or cleared something, then
  // every cause, without repeats.
  std::vector<RuleId> Rules() const;
  // Every rule whose check ran, in order, without repeats.
  std::vector<RuleId> RulesConsulted() const;
  bool Names(RuleId rule) const;
  // The rule of the last check that set or cleared `what`.
  std::optional<RuleId> RuleFor(std::string_view what) const;
  // Every fact read, in order.
  std::vector<Fact> Facts() const;
  // "allowed by DS-9; flags: forwardable cleared by UD-5" or
  // "denied by KCD-2 (KDC_ERR_BADOPTION): evidence.forwardable=false; because AC-1: ...".
  std::string Explain() const;
  // The same, with each fact rendered by `render` (a report shows durations readably).
  std::string Explain(const std::function<std::string(const Fact&)>& render) const;

 private:
  Verdict verdict_ = Verdict::kAllowed;
  RuleId rule_ = RuleId::kCount;
  bool decided_ = false;
  std::string error_;
  std::string status_;
  std::vector<Check> checks_;
  std::vector<Cause> causes_;
};

}  // namespace delegsim

#endif  // DELEGSIM_COMMON_DECISION_H_
