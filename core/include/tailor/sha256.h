// SHA-256, used for snapshot content hashes and hashed visitor ids (same bytes in every runtime).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tailor {

class Sha256 {
 public:
  Sha256();
  void update(const uint8_t* data, size_t len);
  void update(std::string_view s) { update(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
  std::array<uint8_t, 32> finish();

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// Lower-case hex digest of `data`.
std::string sha256_hex(std::span<const uint8_t> data);
std::string sha256_hex(std::string_view data);
// Lower-case hex of arbitrary bytes.
std::string to_hex(const uint8_t* data, size_t len);

}  // namespace tailor
