#include "tailor/arena.h"

namespace tailor {

void* Arena::raw(size_t bytes, size_t align) {
  if (bytes == 0) bytes = 1;
  if (!blocks_.empty()) {
    Block& b = blocks_.back();
    uintptr_t base = reinterpret_cast<uintptr_t>(b.data.get());
    size_t aligned = (base + offset_ + align - 1) / align * align - base;
    if (aligned + bytes <= b.size) {
      offset_ = aligned + bytes;
      used_ += bytes;
      return b.data.get() + aligned;
    }
  }
  size_t size = bytes + align > block_bytes_ ? bytes + align : block_bytes_;
  blocks_.push_back(Block{std::unique_ptr<uint8_t[]>(new uint8_t[size]), size});
  offset_ = 0;
  return raw(bytes, align);
}

void Arena::reset() {
  if (blocks_.size() > 1) {
    // Replace the chain with one block big enough for the whole previous request.
    size_t total = 0;
    for (auto& b : blocks_) total += b.size;
    blocks_.clear();
    block_bytes_ = total > block_bytes_ ? total : block_bytes_;
    blocks_.push_back(Block{std::unique_ptr<uint8_t[]>(new uint8_t[block_bytes_]), block_bytes_});
  }
  offset_ = 0;
  used_ = 0;
}

size_t Arena::capacity() const {
  size_t total = 0;
  for (auto& b : blocks_) total += b.size;
  return total;
}

}  // namespace tailor
