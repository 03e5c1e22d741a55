#include "nodes/trace_log.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace delegsim::nodes {

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
  if (record.decision) {
    decision_entries_.push_back(static_cast<uint32_t>(index));
    decisions_.Add(*record.decision);
  }
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
  m.payloads = decision_entries_.capacity() * sizeof(uint32_t) + hops_.MemoryBytes() +
               tokens_.MemoryBytes() + messages_.MemoryBytes() + tickets_.MemoryBytes();
  m.tickets = ticket_bytes_.MemoryBytes();
  m.decisions = decisions_.MemoryBytes();
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

ptrdiff_t TraceLog::DecisionOf(size_t index) const {
  auto it = std::lower_bound(decision_entries_.begin(), decision_entries_.end(), index,
                             [](uint32_t e, size_t i) { return e < i; });
  return it != decision_entries_.end() && *it == index ? it - decision_entries_.begin() : -1;
}

bool TraceView::has_decision() const {
  return record_ ? record_->decision != nullptr : log_->DecisionOf(index_) >= 0;
}

std::shared_ptr<const Decision> TraceView::decision() const {
  if (record_) return record_->decision;
  ptrdiff_t at = log_->DecisionOf(index_);
  if (at < 0) return nullptr;
  return std::make_shared<const Decision>(log_->decisions_.Get(static_cast<uint32_t>(at)));
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

std::vector<std::string> TraceView::Rules(const Decision* d) const {
  std::vector<std::string> out;
  if (d) {
    for (RuleId r : d->Rules()) out.emplace_back(RuleCode(r));
  } else if (const v1::HopResult* h = hop(); h && !h->decision().rule().empty()) {
    out.push_back(h->decision().rule());
  }
  return out;
}

std::vector<std::string> TraceView::Facts(const Decision* d) {
  std::vector<std::string> out;
  if (d) {
    for (const Fact& f : d->Facts()) out.push_back(f.ToString());
  }
  return out;
}

std::string TraceView::Explain() const {
  std::shared_ptr<const Decision> d = decision();
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
  out.decision = decision();
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
