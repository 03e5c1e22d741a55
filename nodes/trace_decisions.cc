#include "nodes/trace_decisions.h"

#include <charconv>
#include <string>
#include <string_view>
#include <utility>

namespace delegsim::nodes {
namespace {

// `text` as the int64 it renders, when std::to_chars writes that number exactly so.
bool AsNumber(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  char buf[24];
  auto [back, ec2] = std::to_chars(buf, buf + sizeof buf, *out);
  return ec2 == std::errc() && std::string_view(buf, back - buf) == text;
}

uint32_t Checked(size_t n) { return static_cast<uint32_t>(n); }

size_t FactHash(uint32_t name, uint8_t kind, int64_t value) {
  uint64_t h = (uint64_t{name} << 8 | kind) * 0x9E3779B97F4A7C15ull;
  h ^= static_cast<uint64_t>(value) + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
  return static_cast<size_t>(h ^ (h >> 29));
}

}  // namespace

void PackedDecisions::GrowFactIndex() {
  std::vector<uint32_t> slots(fact_slots_.empty() ? 1024 : fact_slots_.size() * 2, 0);
  const size_t mask = slots.size() - 1;
  for (uint32_t id = 0; id < distinct_facts_.size(); ++id) {
    const PackedFact& p = distinct_facts_[id];
    size_t i = FactHash(p.name, static_cast<uint8_t>(p.kind), p.value) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = id + 1;
  }
  fact_slots_ = std::move(slots);
}

uint32_t PackedDecisions::InternFact(const PackedFact& p) {
  if ((distinct_facts_.size() + 1) * 2 > fact_slots_.size()) GrowFactIndex();
  const size_t mask = fact_slots_.size() - 1;
  size_t i = FactHash(p.name, static_cast<uint8_t>(p.kind), p.value) & mask;
  while (fact_slots_[i] != 0) {
    if (distinct_facts_[fact_slots_[i] - 1] == p) return fact_slots_[i] - 1;
    i = (i + 1) & mask;
  }
  uint32_t id = Checked(distinct_facts_.size());
  distinct_facts_.push_back(p);
  fact_slots_[i] = id + 1;
  return id;
}

uint32_t PackedDecisions::Pack(const Fact& f) {
  PackedFact p{};
  scratch_.clear();
  f.AppendName(&scratch_);
  p.name = Intern(scratch_);
  scratch_.clear();
  f.AppendValue(&scratch_);
  if (scratch_ == "true") {
    p.kind = ValueKind::kTrue;
  } else if (scratch_ == "false") {
    p.kind = ValueKind::kFalse;
  } else if (AsNumber(scratch_, &p.value)) {
    p.kind = ValueKind::kNumber;
  } else {
    p.kind = ValueKind::kText;
    p.value = Intern(scratch_);
  }
  return InternFact(p);
}

Fact PackedDecisions::Unpack(uint32_t fact) const {
  const PackedFact& f = distinct_facts_[fact];
  std::string name = Text(f.name);
  switch (f.kind) {
    case ValueKind::kFalse:
      return Fact(std::move(name), false);
    case ValueKind::kTrue:
      return Fact(std::move(name), true);
    case ValueKind::kNumber:
      return Fact(std::move(name), f.value);
    case ValueKind::kText:
      break;
  }
  return Fact(std::move(name), Text(static_cast<uint32_t>(f.value)));
}

uint32_t PackedDecisions::Add(const Decision& d) {
  for (const Check& c : d.checks()) {
    checks_.push_back({Intern(c.what), Checked(c.facts.size()), c.rule, c.effect});
    for (const Fact& f : c.facts) facts_.push_back(Pack(f));
  }
  for (const Cause& c : d.causes()) causes_.push_back({Pack(c.fact), c.rule});
  decisions_.push_back({Checked(checks_.size()), Checked(facts_.size()), Checked(causes_.size()),
                        Intern(d.error()), Intern(d.status()), d.rule(), d.verdict()});
  return Checked(decisions_.size() - 1);
}

Decision PackedDecisions::Get(uint32_t id) const {
  const PackedDecision& p = decisions_[id];
  size_t check = id == 0 ? 0 : decisions_[id - 1].checks_end;
  size_t fact = id == 0 ? 0 : decisions_[id - 1].facts_end;
  size_t cause = id == 0 ? 0 : decisions_[id - 1].causes_end;
  // Replayed through the builder: a denial's check (there is one, the decider's) records
  // the error and status; an allowed decision's rule is named last.
  Decision d;
  for (; check < p.checks_end; ++check) {
    const PackedCheck& c = checks_[check];
    std::vector<Fact> facts;
    facts.reserve(c.facts);
    for (uint32_t i = 0; i < c.facts; ++i) facts.push_back(Unpack(facts_[fact++]));
    switch (c.effect) {
      case Effect::kRead:
        d.Read(c.rule, std::move(facts));
        break;
      case Effect::kSet:
        d.Set(c.rule, Text(c.what), std::move(facts));
        break;
      case Effect::kClear:
        d.Clear(c.rule, Text(c.what), std::move(facts));
        break;
      case Effect::kDeny:
        d.Deny(c.rule, Text(p.error), Text(p.status), std::move(facts));
        break;
    }
  }
  if (p.verdict == Verdict::kAllowed && p.rule != RuleId::kCount) d.Allow(p.rule);
  for (; cause < p.causes_end; ++cause) {
    d.Because(causes_[cause].rule, Unpack(causes_[cause].fact));
  }
  return d;
}

size_t PackedDecisions::MemoryBytes() const {
  return decisions_.MemoryBytes() + checks_.MemoryBytes() + facts_.MemoryBytes() +
         causes_.MemoryBytes() + distinct_facts_.MemoryBytes() +
         fact_slots_.capacity() * sizeof(uint32_t) + scratch_.capacity() + strings_.MemoryBytes();
}

}  // namespace delegsim::nodes
