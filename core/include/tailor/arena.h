// Scratch arena: per-request bump allocation, reset between requests (no per-candidate malloc).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace tailor {

class Arena {
 public:
  explicit Arena(size_t block_bytes = 64 * 1024) : block_bytes_(block_bytes) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Uninitialised storage for n T's (T must be trivially destructible).
  template <class T>
  std::span<T> alloc(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>);
    void* p = raw(n * sizeof(T), alignof(T));
    return {static_cast<T*>(p), n};
  }
  // Zero-filled storage for n T's.
  template <class T>
  std::span<T> zeroed(size_t n) {
    auto s = alloc<T>(n);
    if (n) std::memset(static_cast<void*>(s.data()), 0, n * sizeof(T));
    return s;
  }
  // Forget every allocation; keeps the largest block so steady-state requests never malloc.
  void reset();
  // Bytes handed out since the last reset (for limits and tests).
  size_t used() const { return used_; }
  // Bytes reserved from the system.
  size_t capacity() const;

 private:
  void* raw(size_t bytes, size_t align);
  struct Block {
    std::unique_ptr<uint8_t[]> data;
    size_t size;
  };
  std::vector<Block> blocks_;
  size_t block_bytes_;
  size_t offset_ = 0;  // in the last block
  size_t used_ = 0;
};

}  // namespace tailor
