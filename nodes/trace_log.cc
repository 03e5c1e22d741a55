#include "nodes/trace_log.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace delegsim::nodes {

// ---- ByteArena, StringPool -------------------------------------------------------------

std::string_view ByteArena::Store(std::string_view bytes) {
  if (bytes.empty()) return std::string_view();
  if (chunks_.empty() || chunk_used_ + bytes.size() > chunk_sizes_.back()) {
    // Bytes larger than a quarter chunk get a chunk of their own size.
    size_t size = bytes.size() > kChunkBytes / 4 ? bytes.size() : kChunkBytes;
    chunks_.push_back(std::make_unique<char[]>(size));
    chunk_sizes_.push_back(size);
    chunk_used_ = 0;
  }
  char* at = chunks_.back().get() + chunk_used_;
  std::memcpy(at, bytes.data(), bytes.size());
  chunk_used_ += bytes.size();
  return std::string_view(at, bytes.size());
}

size_t ByteArena::MemoryBytes() const {
  size_t bytes = chunks_.capacity() * sizeof(chunks_[0]) + chunk_sizes_.capacity() * sizeof(size_t);
  for (size_t size : chunk_sizes_) bytes += size;
  return bytes;
}

void StringPool::Grow() {
  std::vector<uint32_t> slots(slots_.empty() ? 1024 : slots_.size() * 2, 0);
  const size_t mask = slots.size() - 1;
  for (uint32_t id = 0; id < strings_.size(); ++id) {
    size_t i = std::hash<std::string_view>()(strings_[id]) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = id + 1;
  }
  slots_ = std::move(slots);
}

uint32_t StringPool::Intern(std::string_view s) {
  if ((strings_.size() + 1) * 2 > slots_.size()) Grow();  // load at most one half
  const size_t mask = slots_.size() - 1;
  size_t i = std::hash<std::string_view>()(s) & mask;
  while (slots_[i] != 0) {
    if (strings_[slots_[i] - 1] == s) return slots_[i] - 1;
    i = (i + 1) & mask;
  }
  uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.push_back(text_.Store(s));
  slots_[i] = id + 1;
  return id;
}

size_t StringPool::MemoryBytes() const {
  return text_.MemoryBytes() + strings_.capacity() * sizeof(std::string_view) +
         slots_.capacity() * sizeof(uint32_t);
}

// ---- TraceLog ------------------------------------------------------------------------

template <typename T>
ptrdiff_t TraceLog::Payloads<T>::Find(size_t index) const {
  auto it = std::lower_bound(entry.begin(), entry.end(), index,
                             [](uint32_t e, size_t i) { return e < i; });
  return it != entry.end() && *it == index ? it - entry.begin() : -1;
}

size_t TraceLog::Append(TraceRecord record) {
  const size_t index = size_;
  // A new block every kBlockEntries entries, or when a delta does not fit 16 bits.
  bool new_block = blocks_.empty() || index - blocks_.back().first >= kBlockEntries;
  if (!new_block) {
    const Block& b = blocks_.back();
    new_block = record.time < b.time || record.seq < b.seq ||
                static_cast<uint64_t>(record.time - b.time) > UINT16_MAX ||
                record.seq - b.seq > UINT16_MAX;
  }
  if (new_block) blocks_.push_back({index, record.time, record.seq});
  const Block& b = blocks_.back();
  if (index % kChunkEntries == 0) chunks_.push_back(std::make_unique<Entry[]>(kChunkEntries));
  Entry& e = chunks_.back()[index % kChunkEntries];
  e.time_delta = static_cast<uint16_t>(record.time - b.time);
  e.seq_delta = static_cast<uint16_t>(record.seq - b.seq);
  e.node = strings_.Intern(record.node);
  e.path = strings_.Intern(record.path);
  e.summary = strings_.Intern(record.summary);
  e.kind = record.kind;
  auto keep = [index](auto& from, auto& into) {
    if (!from) return;
    into.entry.push_back(static_cast<uint32_t>(index));
    into.value.push_back(std::move(from));
  };
  keep(record.decision, decisions_);
  keep(record.hop, hops_);
  keep(record.token, tokens_);
  keep(record.message, messages_);
  if (record.ticket) {
    tickets_.entry.push_back(static_cast<uint32_t>(index));
    tickets_.value.push_back(ticket_bytes_.Store(record.ticket->SerializeAsString()));
  }
  ++size_;
  return index;
}

const TraceLog::Block& TraceLog::BlockOf(size_t index) const {
  auto after = std::upper_bound(blocks_.begin(), blocks_.end(), index,
                                [](size_t i, const Block& b) { return i < b.first; });
  return *(after - 1);
}

void TraceLog::ShareHop(size_t index, const v1::HopResult* in_tree) {
  ptrdiff_t at = hops_.Find(index);
  if (at < 0 || in_tree == nullptr) return;
  // Aliasing constructor with an empty owner: points at the tree node, owns nothing.
  hops_.value[at] = std::shared_ptr<const v1::HopResult>(std::shared_ptr<void>(), in_tree);
}

bool TraceLog::OwnsHop(size_t index) const {
  ptrdiff_t at = hops_.Find(index);
  return at >= 0 && hops_.value[at].use_count() > 0;
}

TraceLog::Memory TraceLog::MemoryBytes() const {
  Memory m;
  m.entries = chunks_.capacity() * sizeof(chunks_[0]) +
              chunks_.size() * kChunkEntries * sizeof(Entry) + blocks_.capacity() * sizeof(Block);
  m.strings = strings_.MemoryBytes();
  m.payloads = decisions_.MemoryBytes() + hops_.MemoryBytes() + tokens_.MemoryBytes() +
               messages_.MemoryBytes() + tickets_.MemoryBytes();
  m.tickets = ticket_bytes_.MemoryBytes();
  return m;
}

// ---- TraceView -----------------------------------------------------------------------

Time TraceView::time() const {
  if (record_) return record_->time;
  return log_->BlockOf(index_).time + log_->entry(index_).time_delta;
}

uint64_t TraceView::seq() const {
  if (record_) return record_->seq;
  return log_->BlockOf(index_).seq + log_->entry(index_).seq_delta;
}

TraceKind TraceView::kind() const { return record_ ? record_->kind : log_->entry(index_).kind; }

std::string_view TraceView::node() const {
  return record_ ? std::string_view(record_->node) : log_->strings_.Get(log_->entry(index_).node);
}

std::string_view TraceView::path() const {
  return record_ ? std::string_view(record_->path) : log_->strings_.Get(log_->entry(index_).path);
}

std::string_view TraceView::summary() const {
  return record_ ? std::string_view(record_->summary)
                 : log_->strings_.Get(log_->entry(index_).summary);
}

namespace {

template <typename P>
auto Get(const P& payloads, size_t index) -> decltype(payloads.value[0].get()) {
  ptrdiff_t at = payloads.Find(index);
  return at < 0 ? nullptr : payloads.value[at].get();
}

}  // namespace

const Decision* TraceView::decision() const {
  return record_ ? record_->decision.get() : Get(log_->decisions_, index_);
}

const v1::HopResult* TraceView::hop() const {
  return record_ ? record_->hop.get() : Get(log_->hops_, index_);
}

std::shared_ptr<const v1::TicketBody> TraceView::ticket() const {
  if (record_) return record_->ticket;
  ptrdiff_t at = log_->tickets_.Find(index_);
  if (at < 0) return nullptr;
  std::string_view bytes = log_->tickets_.value[at];
  auto ticket = std::make_shared<v1::TicketBody>();
  // The log serialized it itself: it parses.
  ticket->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  return ticket;
}

const TokenView* TraceView::token() const {
  return record_ ? record_->token.get() : Get(log_->tokens_, index_);
}

const v1::Envelope* TraceView::message() const {
  return record_ ? record_->message.get() : Get(log_->messages_, index_);
}

std::vector<std::string> TraceView::Rules() const {
  std::vector<std::string> out;
  if (const Decision* d = decision()) {
    for (RuleId r : d->Rules()) out.emplace_back(RuleCode(r));
  } else if (const v1::HopResult* h = hop(); h && !h->decision().rule().empty()) {
    out.push_back(h->decision().rule());
  }
  return out;
}

std::vector<std::string> TraceView::Facts() const {
  std::vector<std::string> out;
  if (const Decision* d = decision()) {
    for (const Fact& f : d->Facts()) out.push_back(f.ToString());
  }
  return out;
}

std::string TraceView::Explain() const {
  const Decision* d = decision();
  return d ? d->Explain() : std::string();
}

TraceRecord TraceView::ToRecord() const {
  if (record_) return *record_;
  TraceRecord out;
  out.time = time();
  out.seq = seq();
  out.kind = kind();
  out.node = std::string(node());
  out.path = std::string(path());
  out.summary = std::string(summary());
  if (ptrdiff_t at = log_->decisions_.Find(index_); at >= 0) {
    out.decision = log_->decisions_.value[at];
  }
  if (ptrdiff_t at = log_->hops_.Find(index_); at >= 0) {
    const auto& hop = log_->hops_.value[at];
    if (hop.use_count() > 0) {
      out.hop = hop;
    } else {
      auto copy = std::make_shared<v1::HopResult>(*hop);
      copy->clear_children();
      out.hop = std::move(copy);
    }
  }
  out.ticket = ticket();
  if (ptrdiff_t at = log_->tokens_.Find(index_); at >= 0) out.token = log_->tokens_.value[at];
  if (ptrdiff_t at = log_->messages_.Find(index_); at >= 0) {
    out.message = log_->messages_.value[at];
  }
  return out;
}

}  // namespace delegsim::nodes
