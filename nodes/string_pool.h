// Interned strings for compact logs: each distinct string stored once in chunks that
// never move, named by a dense id.
//
//   StringPool pool;
//   uint32_t id = pool.Intern("alice@ws1");  // the same id for the same text
//   std::string_view s = pool.Get(id);       // valid while the pool lives
//
// Threading: not thread-safe.
#ifndef DELEGSIM_NODES_STRING_POOL_H_
#define DELEGSIM_NODES_STRING_POOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace delegsim::nodes {

// Bytes in chunks that never move: a stored view stays valid while the arena lives.
class ByteArena {
 public:
  std::string_view Store(std::string_view bytes);
  size_t MemoryBytes() const;  // the chunks and their table

 private:
  static constexpr size_t kChunkBytes = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<size_t> chunk_sizes_;  // capacity of each chunk
  size_t chunk_used_ = 0;            // bytes used in the last chunk
};

// Interned strings: each distinct string stored once, named by a dense id.
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
  // Heap bytes held: the text, the id -> string table and the hash index.
  size_t MemoryBytes() const;

 private:
  void Grow();

  ByteArena text_;
  std::vector<std::string_view> strings_;
  std::vector<uint32_t> slots_;  // open addressing: id + 1, 0 for an empty slot
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_STRING_POOL_H_
