#include "nodes/trace_log.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace delegsim::nodes {

// ---- StringPool ----------------------------------------------------------------------

std::string_view StringPool::Store(std::string_view s) {
  if (s.empty()) return std::string_view();
  if (chunks_.empty() || chunk_used_ + s.size() > chunk_sizes_.back()) {
    // A string larger than a quarter chunk gets a chunk of its own size.
    size_t size = s.size() > kChunkBytes / 4 ? s.size() : kChunkBytes;
    chunks_.push_back(std::make_unique<char[]>(size));
    chunk_sizes_.push_back(size);
    chunk_used_ = 0;
  }
  char* at = chunks_.back().get() + chunk_used_;
  std::memcpy(at, s.data(), s.size());
  chunk_used_ += s.size();
  return std::string_view(at, s.size());
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
  strings_.push_back(Store(s));
  slots_[i] = id + 1;
  return id;
}

size_t StringPool::MemoryBytes() const {
  size_t bytes =
      chunks_.capacity() * sizeof(chunks_[0]) + chunk_sizes_.capacity() * sizeof(size_t) +
      strings_.capacity() * sizeof(std::string_view) + slots_.capacity() * sizeof(uint32_t);
  for (size_t size : chunk_sizes_) bytes += size;
  return bytes;
}

// ---- TraceLog ------------------------------------------------------------------------

size_t TraceLog::Append(TraceRecord record) {
  const size_t index = entries_.size();
  // A new block every kBlockEntries entries, or when a delta does not fit 32 bits.
  bool new_block = blocks_.empty() || index - blocks_.back().first >= kBlockEntries;
  if (!new_block) {
    const Block& b = blocks_.back();
    new_block = record.time < b.time || record.seq < b.seq ||
                static_cast<uint64_t>(record.time - b.time) > UINT32_MAX ||
                record.seq - b.seq > UINT32_MAX;
  }
  if (new_block) blocks_.push_back({index, record.time, record.seq});
  const Block& b = blocks_.back();
  Entry e;
  e.time_delta = static_cast<uint32_t>(record.time - b.time);
  e.seq_delta = static_cast<uint32_t>(record.seq - b.seq);
  e.node = strings_.Intern(record.node);
  e.path = strings_.Intern(record.path);
  e.summary = strings_.Intern(record.summary);
  e.kind = record.kind;
  e.payload = kNone;
  if (record.decision || record.hop || record.ticket || record.token || record.message) {
    PayloadRow row;
    auto keep = [](auto& from, auto& into, uint32_t& at) {
      if (!from) return;
      at = static_cast<uint32_t>(into.size());
      into.push_back(std::move(from));
    };
    keep(record.decision, decisions_, row.decision);
    keep(record.hop, hops_, row.hop);
    keep(record.ticket, tickets_, row.ticket);
    keep(record.token, tokens_, row.token);
    keep(record.message, messages_, row.message);
    e.payload = static_cast<uint32_t>(payload_rows_.size());
    payload_rows_.push_back(row);
  }
  entries_.push_back(e);
  return index;
}

const TraceLog::Block& TraceLog::BlockOf(size_t index) const {
  auto after = std::upper_bound(blocks_.begin(), blocks_.end(), index,
                                [](size_t i, const Block& b) { return i < b.first; });
  return *(after - 1);
}

const TraceLog::PayloadRow* TraceLog::Row(size_t index) const {
  uint32_t p = entries_[index].payload;
  return p == kNone ? nullptr : &payload_rows_[p];
}

void TraceLog::ShareHop(size_t index, const v1::HopResult* in_tree) {
  const PayloadRow* row = Row(index);
  if (row == nullptr || row->hop == kNone || in_tree == nullptr) return;
  // Aliasing constructor with an empty owner: points at the tree node, owns nothing.
  hops_[row->hop] = std::shared_ptr<const v1::HopResult>(std::shared_ptr<void>(), in_tree);
}

bool TraceLog::OwnsHop(size_t index) const {
  const PayloadRow* row = Row(index);
  return row != nullptr && row->hop != kNone && hops_[row->hop].use_count() > 0;
}

TraceLog::Memory TraceLog::MemoryBytes() const {
  Memory m;
  m.entries = entries_.capacity() * sizeof(Entry);
  m.blocks = blocks_.capacity() * sizeof(Block);
  m.strings = strings_.MemoryBytes();
  m.payloads = payload_rows_.capacity() * sizeof(PayloadRow) +
               decisions_.capacity() * sizeof(decisions_[0]) + hops_.capacity() * sizeof(hops_[0]) +
               tickets_.capacity() * sizeof(tickets_[0]) + tokens_.capacity() * sizeof(tokens_[0]) +
               messages_.capacity() * sizeof(messages_[0]);
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

template <typename T>
const T* At(const std::vector<std::shared_ptr<const T>>& v, uint32_t i, uint32_t none) {
  return i == none ? nullptr : v[i].get();
}

}  // namespace

const Decision* TraceView::decision() const {
  if (record_) return record_->decision.get();
  const TraceLog::PayloadRow* row = log_->Row(index_);
  return row ? At(log_->decisions_, row->decision, TraceLog::kNone) : nullptr;
}

const v1::HopResult* TraceView::hop() const {
  if (record_) return record_->hop.get();
  const TraceLog::PayloadRow* row = log_->Row(index_);
  return row ? At(log_->hops_, row->hop, TraceLog::kNone) : nullptr;
}

const v1::TicketBody* TraceView::ticket() const {
  if (record_) return record_->ticket.get();
  const TraceLog::PayloadRow* row = log_->Row(index_);
  return row ? At(log_->tickets_, row->ticket, TraceLog::kNone) : nullptr;
}

const TokenView* TraceView::token() const {
  if (record_) return record_->token.get();
  const TraceLog::PayloadRow* row = log_->Row(index_);
  return row ? At(log_->tokens_, row->token, TraceLog::kNone) : nullptr;
}

const v1::Envelope* TraceView::message() const {
  if (record_) return record_->message.get();
  const TraceLog::PayloadRow* row = log_->Row(index_);
  return row ? At(log_->messages_, row->message, TraceLog::kNone) : nullptr;
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
  const TraceLog::PayloadRow* row = log_->Row(index_);
  if (row == nullptr) return out;
  if (row->decision != TraceLog::kNone) out.decision = log_->decisions_[row->decision];
  if (row->hop != TraceLog::kNone) {
    const auto& hop = log_->hops_[row->hop];
    if (hop.use_count() > 0) {
      out.hop = hop;
    } else {
      auto copy = std::make_shared<v1::HopResult>(*hop);
      copy->clear_children();
      out.hop = std::move(copy);
    }
  }
  if (row->ticket != TraceLog::kNone) out.ticket = log_->tickets_[row->ticket];
  if (row->token != TraceLog::kNone) out.token = log_->tokens_[row->token];
  if (row->message != TraceLog::kNone) out.message = log_->messages_[row->message];
  return out;
}

}  // namespace delegsim::nodes
