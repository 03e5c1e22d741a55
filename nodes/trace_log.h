// A kept trace, compact: every record a runtime produced, stored as a small fixed-size
// entry (kind, interned node, path and summary ids, time and sequence number as deltas
// from a block base, one index of its payloads), read back through TraceView.
//
//   nodes::TraceLog log;
//   log.Append(std::move(record));                      // from a runtime's trace sink
//   for (nodes::TraceView r : log) out << r.node() << " " << r.summary() << "\n";
//
// TraceView reads a kept entry or a live TraceRecord alike, so one rendering serves the
// kept trace and a sink. Payloads (decision, ticket, token, envelope) stay shared with
// whoever else holds them; a HOP entry's hop result can be pointed at the node of a
// call's hop tree that holds the same hop (ShareHop), so that the hop is kept once.
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

namespace delegsim::nodes {

// Interned strings: each distinct string stored once, named by a dense id. Strings live
// in chunks that never move, so a returned view stays valid while the pool lives.
class StringPool {
 public:
  StringPool() = default;
  StringPool(StringPool&&) = default;
  StringPool& operator=(StringPool&&) = default;
  StringPool(const StringPool&) = delete;
  StringPool& operator=(const StringPool&) = delete;

  // The id of `s`, adding it when new.
  uint32_t Intern(std::string_view s);
  std::string_view Get(uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }
  // Heap bytes held: the chunks, the id -> string table and the hash index.
  size_t MemoryBytes() const;

 private:
  static constexpr size_t kChunkBytes = 64 * 1024;
  std::string_view Store(std::string_view s);
  void Grow();

  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<size_t> chunk_sizes_;  // capacity of each chunk
  size_t chunk_used_ = 0;            // bytes used in the last chunk
  std::vector<std::string_view> strings_;
  std::vector<uint32_t> slots_;  // open addressing: id + 1, 0 for an empty slot
};

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
  // children are the tree's.
  const Decision* decision() const;
  const v1::HopResult* hop() const;
  const v1::TicketBody* ticket() const;
  const TokenView* token() const;
  const v1::Envelope* message() const;

  // As TraceRecord::Rules, Facts, Explain.
  std::vector<std::string> Rules() const;
  std::vector<std::string> Facts() const;
  std::string Explain() const;

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

  // Keeps `record` (its strings interned, its payloads shared). Returns its index.
  size_t Append(TraceRecord record);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  TraceView operator[](size_t index) const { return TraceView(*this, index); }
  TraceView back() const { return TraceView(*this, entries_.size() - 1); }

  // Points HOP entry `index` at `in_tree`, a node of a call's hop tree holding the same
  // hop, and drops the entry's own copy. The caller keeps `in_tree` alive, unmoved, for
  // as long as the log is read (sim::World keeps its outcomes beside its trace).
  void ShareHop(size_t index, const v1::HopResult* in_tree);
  // Whether HOP entry `index` holds its own copy of the hop (not shared with a tree).
  bool OwnsHop(size_t index) const;

  class Iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
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
  Iterator end() const { return Iterator(this, entries_.size()); }

  // Heap bytes the log itself holds, by part: entries, blocks, the string pool and the
  // payload index with its pointers. Payload objects are not included (they may be
  // shared); the caller sizes them from the views.
  struct Memory {
    size_t entries = 0;   // the fixed-size entries
    size_t blocks = 0;    // time and sequence bases
    size_t strings = 0;   // the string pool, with its index
    size_t payloads = 0;  // payload rows and the shared pointers they name
  };
  Memory MemoryBytes() const;

 private:
  friend class TraceView;
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr size_t kBlockEntries = 256;
  // 28 bytes: time and seq relative to the entry's block.
  struct Entry {
    uint32_t time_delta;
    uint32_t seq_delta;
    uint32_t node;
    uint32_t path;
    uint32_t summary;
    uint32_t payload;  // row of payload_rows_, or kNone
    TraceKind kind;
  };
  struct Block {
    size_t first;  // index of its first entry
    Time time;
    uint64_t seq;
  };
  // Indexes into the payload vectors, kNone for each payload the record lacks.
  struct PayloadRow {
    uint32_t decision = kNone;
    uint32_t hop = kNone;
    uint32_t ticket = kNone;
    uint32_t token = kNone;
    uint32_t message = kNone;
  };
  const Entry& entry(size_t index) const { return entries_[index]; }
  const Block& BlockOf(size_t index) const;
  const PayloadRow* Row(size_t index) const;

  std::vector<Entry> entries_;
  std::vector<Block> blocks_;
  StringPool strings_;
  std::vector<PayloadRow> payload_rows_;
  std::vector<std::shared_ptr<const Decision>> decisions_;
  // A hop shared with a tree is held without ownership (an aliasing pointer with no
  // control block).
  std::vector<std::shared_ptr<const v1::HopResult>> hops_;
  std::vector<std::shared_ptr<const v1::TicketBody>> tickets_;
  std::vector<std::shared_ptr<const TokenView>> tokens_;
  std::vector<std::shared_ptr<const v1::Envelope>> messages_;
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_TRACE_LOG_H_
