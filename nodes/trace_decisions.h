// The decisions of a kept trace, packed: each distinct fact kept once as a 16-byte
// record (its name and a text value interned in a string pool of the decisions, a
// boolean or number inline) and named by a 4-byte id, each check a 12-byte record, each
// decision a 24-byte record, all in flat arrays shared by every decision kept; read back
// as a Decision that renders (Explain, Rules, Facts) byte for byte as the one added.
//
//   PackedDecisions packed;
//   uint32_t id = packed.Add(decision);
//   Decision again = packed.Get(id);  // again.Explain() == decision.Explain()
//
// What is kept is what a Decision renders: a fact's name as one text (subject and
// attribute joined), its value as a boolean, a number (when the text is one, as
// std::to_chars writes it) or a text; checks and causes in their order.
//
// Threading: not thread-safe.
#ifndef DELEGSIM_NODES_TRACE_DECISIONS_H_
#define DELEGSIM_NODES_TRACE_DECISIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/decision.h"
#include "nodes/string_pool.h"

namespace delegsim::nodes {

// Items in fixed chunks: no copy and little slack as it grows.
template <typename T, size_t kChunk = 512>
class ChunkedArray {
 public:
  void push_back(const T& value) {
    if (size_ % kChunk == 0) chunks_.push_back(std::make_unique<T[]>(kChunk));
    chunks_.back()[size_ % kChunk] = value;
    ++size_;
  }
  const T& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
  size_t size() const { return size_; }
  size_t MemoryBytes() const {
    return chunks_.capacity() * sizeof(chunks_[0]) + chunks_.size() * kChunk * sizeof(T);
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

class PackedDecisions {
 public:
  // Keeps `d`. Returns its id (0, 1, 2, ... in order).
  uint32_t Add(const Decision& d);
  // Decision `id`, rebuilt.
  Decision Get(uint32_t id) const;
  size_t size() const { return decisions_.size(); }
  // Heap bytes held: the arrays and the string pool with its index.
  size_t MemoryBytes() const;
  // Distinct texts interned (fact names and text values, errors, statuses, `what`s).
  size_t distinct_strings() const { return strings_.size(); }

 private:
  static constexpr uint32_t kNoText = UINT32_MAX;  // an empty text, not interned
  enum class ValueKind : uint8_t { kFalse, kTrue, kNumber, kText };
  struct PackedFact {
    uint32_t name;
    ValueKind kind;
    int64_t value;  // the number, or the text's string id
    bool operator==(const PackedFact&) const = default;
  };
  struct PackedCause {
    uint32_t fact;
    RuleId rule;
  };
  struct PackedCheck {
    uint32_t what;  // string id, kNoText when empty
    uint32_t facts;
    RuleId rule;
    Effect effect;
  };
  // The ends of its checks, check facts and causes in the flat arrays (the starts are
  // the previous decision's ends).
  struct PackedDecision {
    uint32_t checks_end;
    uint32_t facts_end;   // in facts_
    uint32_t causes_end;  // in causes_
    uint32_t error;
    uint32_t status;
    RuleId rule;  // RuleId::kCount when no rule decided
    Verdict verdict;
  };

  // The id of `f` in distinct_facts_, adding it when new.
  uint32_t Pack(const Fact& f);
  uint32_t InternFact(const PackedFact& p);
  void GrowFactIndex();
  Fact Unpack(uint32_t fact) const;
  uint32_t Intern(std::string_view s) { return s.empty() ? kNoText : strings_.Intern(s); }
  std::string Text(uint32_t id) const {
    return id == kNoText ? std::string() : std::string(strings_.Get(id));
  }

  ChunkedArray<PackedDecision> decisions_;
  ChunkedArray<PackedCheck> checks_;
  ChunkedArray<uint32_t> facts_;  // the checks' facts, ids in distinct_facts_
  ChunkedArray<PackedCause> causes_;
  ChunkedArray<PackedFact> distinct_facts_;
  std::vector<uint32_t> fact_slots_;  // open addressing: id + 1, 0 for an empty slot
  StringPool strings_;
  std::string scratch_;  // a fact's name or value while it is packed
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_TRACE_DECISIONS_H_
