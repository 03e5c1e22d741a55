#include "common/decision.h"

#include <algorithm>
#include <charconv>

namespace delegsim {

std::string_view VerdictName(Verdict v) { return v == Verdict::kAllowed ? "allowed" : "denied"; }

namespace {
// Bytes a string holds on the heap: none while it fits its inline buffer.
size_t StringHeapBytes(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}
}  // namespace

void FactValue::AppendTo(std::string* out) const {
  switch (kind_) {
    case Kind::kBool:
      *out += number_ ? "true" : "false";
      return;
    case Kind::kNumber: {
      char buf[24];  // as std::to_string renders it
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number_);
      out->append(buf, end);
      return;
    }
    case Kind::kText:
      *out += text_;
      return;
  }
}

std::string FactValue::ToString() const {
  std::string out;
  AppendTo(&out);
  return out;
}

size_t FactValue::HeapBytes() const { return StringHeapBytes(text_); }

void Fact::AppendName(std::string* out) const {
  *out += subject_;
  if (attribute_) *out += attribute_;
}

std::string Fact::name() const {
  std::string out;
  AppendName(&out);
  return out;
}

void Fact::AppendTo(std::string* out) const {
  AppendName(out);
  *out += '=';
  value_.AppendTo(out);
}

std::string Fact::ToString() const {
  std::string out;
  AppendTo(&out);
  return out;
}

size_t Fact::HeapBytes() const { return StringHeapBytes(subject_) + value_.HeapBytes(); }

bool Fact::operator==(const Fact& other) const { return ToString() == other.ToString(); }

// Most decisions run a handful of checks: one allocation holds them.
void Decision::AddCheck(Check check) {
  if (checks_.capacity() == 0) checks_.reserve(4);
  checks_.push_back(std::move(check));
}

Decision& Decision::Read(RuleId rule, std::initializer_list<Fact> facts) {
  AddCheck({rule, Effect::kRead, {}, std::vector<Fact>(facts)});
  return *this;
}

Decision& Decision::Read(RuleId rule, std::vector<Fact> facts) {
  AddCheck({rule, Effect::kRead, {}, std::move(facts)});
  return *this;
}

Decision& Decision::Set(RuleId rule, std::string what, std::vector<Fact> facts) {
  AddCheck({rule, Effect::kSet, std::move(what), std::move(facts)});
  return *this;
}

Decision& Decision::Clear(RuleId rule, std::string what, std::vector<Fact> facts) {
  AddCheck({rule, Effect::kClear, std::move(what), std::move(facts)});
  return *this;
}

Decision& Decision::Allow(RuleId rule) {
  if (verdict_ == Verdict::kDenied) return *this;
  rule_ = rule;
  decided_ = true;
  return *this;
}

Decision& Decision::Deny(RuleId rule, std::string error, std::string status,
                         std::vector<Fact> facts) {
  if (verdict_ == Verdict::kDenied) return *this;
  verdict_ = Verdict::kDenied;
  rule_ = rule;
  decided_ = true;
  error_ = std::move(error);
  status_ = std::move(status);
  AddCheck({rule, Effect::kDeny, {}, std::move(facts)});
  return *this;
}

Decision& Decision::Because(RuleId rule, Fact fact) {
  Cause c{rule, std::move(fact)};
  if (std::find(causes_.begin(), causes_.end(), c) == causes_.end()) causes_.push_back(c);
  return *this;
}

Decision& Decision::Because(const std::vector<Cause>& causes) {
  for (const Cause& c : causes) Because(c.rule, c.fact);
  return *this;
}

namespace {
void AddUnique(std::vector<RuleId>& out, RuleId r) {
  if (r != RuleId::kCount && std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
}
}  // namespace

std::vector<RuleId> Decision::Rules() const {
  std::vector<RuleId> out;
  if (decided_) AddUnique(out, rule_);
  for (const Check& c : checks_) {
    if (c.effect != Effect::kRead) AddUnique(out, c.rule);
  }
  for (const Cause& c : causes_) AddUnique(out, c.rule);
  return out;
}

std::vector<RuleId> Decision::RulesConsulted() const {
  std::vector<RuleId> out;
  for (const Check& c : checks_) AddUnique(out, c.rule);
  if (decided_) AddUnique(out, rule_);
  return out;
}

bool Decision::Names(RuleId rule) const {
  std::vector<RuleId> rules = Rules();
  return std::find(rules.begin(), rules.end(), rule) != rules.end();
}

std::optional<RuleId> Decision::RuleFor(std::string_view what) const {
  for (auto it = checks_.rbegin(); it != checks_.rend(); ++it) {
    if ((it->effect == Effect::kSet || it->effect == Effect::kClear) && it->what == what) {
      return it->rule;
    }
  }
  return std::nullopt;
}

std::vector<Fact> Decision::Facts() const {
  std::vector<Fact> out;
  for (const Check& c : checks_) out.insert(out.end(), c.facts.begin(), c.facts.end());
  return out;
}

std::string Decision::Explain() const {
  return Explain([](const Fact& f) { return f.ToString(); });
}

std::string Decision::Explain(const std::function<std::string(const Fact&)>& render) const {
  std::string out(VerdictName(verdict_));
  if (decided_) {
    out += " by ";
    out += RuleCode(rule_);
  }
  if (!error_.empty()) {
    out += " (" + error_;
    if (!status_.empty()) out += ", " + status_;
    out += ")";
  }
  if (verdict_ == Verdict::kDenied) {
    // The facts of the deciding check: the ones that would have to change. A fact that a
    // cause explains is listed once, after "because" with the rule that produced it.
    std::string facts;
    std::vector<const Fact*> seen;
    for (const Cause& c : causes_) seen.push_back(&c.fact);
    for (const Check& c : checks_) {
      if (c.rule != rule_) continue;
      for (const Fact& f : c.facts) {
        if (std::find_if(seen.begin(), seen.end(), [&](const Fact* g) { return *g == f; }) !=
            seen.end()) {
          continue;
        }
        seen.push_back(&f);
        facts += (facts.empty() ? "" : ", ") + render(f);
      }
    }
    if (!facts.empty()) out += ": " + facts;
  } else {
    std::string effects;
    for (const Check& c : checks_) {
      if (c.effect != Effect::kSet && c.effect != Effect::kClear) continue;
      effects += effects.empty() ? "" : ", ";
      effects += c.what + (c.effect == Effect::kSet ? " set by " : " cleared by ");
      effects += RuleCode(c.rule);
    }
    if (!effects.empty()) out += "; " + effects;
  }
  for (const Cause& c : causes_) {
    out += "; because ";
    out += RuleCode(c.rule);
    out += ": " + render(c.fact);
  }
  return out;
}

}  // namespace delegsim
