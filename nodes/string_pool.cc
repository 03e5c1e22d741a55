#include "nodes/string_pool.h"

#include <cstring>
#include <functional>
#include <string>

namespace delegsim::nodes {

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

}  // namespace delegsim::nodes
