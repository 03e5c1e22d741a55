// A kept trace, compact: every record a runtime produced, stored as a 20-byte entry
// (kind, interned node, path and summary ids, time and sequence number as 16-bit deltas
// from a block base), its payloads in side tables keyed by entry index, read back
// through TraceView.
//
//   nodes::TraceLog log;
//   log.Append(std::move(record));                      // from a runtime's trace sink
//   for (nodes::TraceView r : log) out << r.node() << " " << r.summary() << "\n";
//
// TraceView reads a kept entry or a live TraceRecord alike, so one rendering serves the
// kept trace and a sink. Decisions are kept packed (PackedDecisions: facts as fixed-size
// records, their texts interned) and rebuilt when read; tokens and envelopes stay shared
// with whoever else holds them; an issued ticket is kept serialized (parsed again when
// read); a HOP entry's
// hop result can be pointed at the node of a call's hop tree that holds the same hop
// (ShareHop), so that the hop is kept once.
//
// Threading: not thread-safe. Views, and the strings and payloads they return, stay
// valid while the log lives (appending moves none of them).
#ifndef DELEGSIM_NODES_TRACE_LOG_H_
#define DELEGSIM_NODES_TRACE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/context.h"
#include "nodes/string_pool.h"
#include "nodes/trace_decisions.h"

namespace delegsim::nodes {

class TraceLog;

// One trace record as read: a kept entry of a TraceLog, or a live TraceRecord (a sink's).
// Cheap to copy; valid while what it views lives.
class TraceView {
 public:
  TraceView(const TraceRecord& record) : record_(&record) {}  // NOLINT: a record is a view
  TraceView(const TraceLog& log, size_t index) : log_(&log), index_(index) {}

  Time time() const;
  uint64_t seq() const;
  TraceKind kind() const;
  std::string_view node() const;
  std::string_view path() const;  // "" when the record belongs to no hop
  std::string_view summary() const;
  // Payloads, null when the record has none (see TraceRecord for which records carry
  // which). hop(): the hop's own fields; when the log shares it with a call's tree, its
  // children are the tree's. decision(), ticket(): rebuilt anew from the log on each call
  // (has_decision() tells whether there is one without rebuilding it).
  bool has_decision() const;
  std::shared_ptr<const Decision> decision() const;
  const v1::HopResult* hop() const;
  std::shared_ptr<const v1::TicketBody> ticket() const;
  const TokenView* token() const;
  const v1::Envelope* message() const;

  // As TraceRecord::Rules, Facts, Explain.
  std::vector<std::string> Rules() const { return Rules(decision().get()); }
  std::vector<std::string> Facts() const { return Facts(decision().get()); }
  std::string Explain() const;
  // The same from `d`, this record's decision() already read (null when it has none).
  std::vector<std::string> Rules(const Decision* d) const;
  static std::vector<std::string> Facts(const Decision* d);

  // A standalone copy (payloads shared; a hop shared with a tree is copied without its
  // children).
  TraceRecord ToRecord() const;

 private:
  const TraceRecord* record_ = nullptr;
  const TraceLog* log_ = nullptr;
  size_t index_ = 0;
};

class TraceLog {
 public:
  TraceLog() = default;
  TraceLog(TraceLog&&) = default;
  TraceLog& operator=(TraceLog&&) = default;
  TraceLog(const TraceLog&) = delete;
  TraceLog& operator=(const TraceLog&) = delete;

  // Keeps `record` (its strings interned, its payloads shared, its ticket serialized).
  // Returns its index.
  size_t Append(TraceRecord record);
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  TraceView operator[](size_t index) const { return TraceView(*this, index); }
  TraceView back() const { return TraceView(*this, size_ - 1); }

  // Points HOP entry `index` at `in_tree`, a node of a call's hop tree holding the same
  // hop, and drops the entry's own copy. The caller keeps `in_tree` alive, unmoved, for
  // as long as the log is read (sim::World keeps its outcomes beside its trace).
  void ShareHop(size_t index, const v1::HopResult* in_tree);
  // Whether HOP entry `index` holds its own copy of the hop (not shared with a tree).
  bool OwnsHop(size_t index) const;

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = TraceView;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = TraceView;
    Iterator(const TraceLog* log, size_t index) : log_(log), index_(index) {}
    TraceView operator*() const { return TraceView(*log_, index_); }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return index_ == o.index_; }
    bool operator!=(const Iterator& o) const { return index_ != o.index_; }

   private:
    const TraceLog* log_;
    size_t index_;
  };
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size_); }

  // Heap bytes the log itself holds, by part. Shared payload objects (tokens,
  // envelopes, hops not shared with a tree) are not included: the caller sizes them from
  // the views, each once.
  struct Memory {
    size_t entries = 0;    // the fixed-size entries, with their time and sequence bases
    size_t strings = 0;    // the string pool, with its index
    size_t payloads = 0;   // the payload tables: entry indexes and shared pointers
    size_t tickets = 0;    // issued tickets, serialized
    size_t decisions = 0;  // decisions, packed (their texts are in the string pool)
  };
  Memory MemoryBytes() const;
  // Distinct strings interned (node names, paths, summaries, decisions' texts).
  size_t distinct_strings() const { return strings_.size(); }

 private:
  friend class TraceView;
  static constexpr size_t kChunkEntries = 4096;
  static constexpr size_t kBlockEntries = 256;
  // 20 bytes: time and seq relative to the entry's block.
  struct Entry {
    uint16_t time_delta;
    uint16_t seq_delta;
    uint32_t node;
    uint32_t path;
    uint32_t summary;
    TraceKind kind;
  };
  struct Block {
    size_t first;  // index of its first entry
    Time time;
    uint64_t seq;
  };
  // Payloads of one type, by ascending entry index.
  template <typename T>
  struct Payloads {
    std::vector<uint32_t> entry;
    std::vector<T> value;
    // Position of entry `index`'s payload, or -1.
    ptrdiff_t Find(size_t index) const;
    size_t MemoryBytes() const {
      return entry.capacity() * sizeof(uint32_t) + value.capacity() * sizeof(T);
    }
  };
  const Entry& entry(size_t index) const {
    return chunks_[index / kChunkEntries][index % kChunkEntries];
  }
  const Block& BlockOf(size_t index) const;
  // Position of entry `index`'s decision in decision_entries_ (its id), or -1.
  ptrdiff_t DecisionOf(size_t index) const;

  std::vector<std::unique_ptr<Entry[]>> chunks_;
  size_t size_ = 0;
  std::vector<Block> blocks_;
  StringPool strings_;
  // Decision k (ids count up with the entries) belongs to entry decision_entries_[k].
  std::vector<uint32_t> decision_entries_;
  PackedDecisions decisions_;
  // A hop shared with a tree is held without ownership (an aliasing pointer with no
  // control block).
  Payloads<std::shared_ptr<const v1::HopResult>> hops_;
  Payloads<std::string_view> tickets_;  // serialized v1::TicketBody, in ticket_bytes_
  ByteArena ticket_bytes_;
  Payloads<std::shared_ptr<const TokenView>> tokens_;
  Payloads<std::shared_ptr<const v1::Envelope>> messages_;
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_TRACE_LOG_H_
