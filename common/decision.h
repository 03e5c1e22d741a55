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

#include <cstddef>
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

// The value of a fact: a boolean, a number or a text, kept as it was read and rendered
// ("true", "42", "svc_web") only when someone reads it.
class FactValue {
 public:
  FactValue(bool v) : kind_(Kind::kBool), number_(v) {}
  FactValue(int v) : kind_(Kind::kNumber), number_(v) {}
  FactValue(int64_t v) : kind_(Kind::kNumber), number_(v) {}
  FactValue(uint32_t v) : kind_(Kind::kNumber), number_(v) {}
  FactValue(std::string v) : kind_(Kind::kText), text_(std::move(v)) {}
  FactValue(std::string_view v) : kind_(Kind::kText), text_(v) {}
  FactValue(const char* v) : kind_(Kind::kText), text_(v) {}

  // Appends the rendered value ("true", "42", the text).
  void AppendTo(std::string* out) const;
  std::string ToString() const;
  // Bytes this value holds on the heap (a long text).
  size_t HeapBytes() const;

 private:
  enum class Kind : uint8_t { kBool, kNumber, kText };
  Kind kind_;
  int64_t number_ = 0;
  std::string text_;  // kText only
};

// One input a check read, rendered as name=value ("alice.not_delegated=true") when read.
// Building one costs no text: a name is a string literal, or a subject (an account or
// realm name, copied: a Decision outlives the request and may outlive the directory) and
// an attribute literal, and the value is kept as read.
//
//   Fact("header.forwardable", true);                          // header.forwardable=true
//   Fact(svc.name, ".trusted_for_delegation", false);          // svc_web.trusted_for_...
//   Fact(svc.name + ".allowed_to_delegate_to(" + spn + ")", x);  // any name: owned text
class Fact {
 public:
  // `name` is a string literal (kept by pointer: it must have static storage).
  template <size_t N>
  Fact(const char (&name)[N], FactValue value) : attribute_(name), value_(std::move(value)) {}
  // `subject` followed by the string literal `attribute` (".trusted_for_delegation").
  template <size_t N>
  Fact(std::string subject, const char (&attribute)[N], FactValue value)
      : subject_(std::move(subject)), attribute_(attribute), value_(std::move(value)) {}
  // Any other name, owned.
  Fact(std::string name, FactValue value) : subject_(std::move(name)), value_(std::move(value)) {}

  std::string name() const;
  std::string value() const { return value_.ToString(); }
  std::string ToString() const;  // "name=value"
  void AppendName(std::string* out) const;
  void AppendValue(std::string* out) const { value_.AppendTo(out); }
  void AppendTo(std::string* out) const;  // "name=value"
  // Bytes this fact holds on the heap (a long subject, name or text value).
  size_t HeapBytes() const;
  // Facts are equal when they render the same.
  bool operator==(const Fact& other) const;

 private:
  std::string subject_;              // owned part of the name (may be all of it)
  const char* attribute_ = nullptr;  // static part of the name, after subject_
  FactValue value_;
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
  void AddCheck(Check check);

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
