// SHA-256 names snapshots (decision `snapshot.hash`) and hashes visitor ids: FIPS 180-2 vectors.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tailor/sha256.h"

using tailor::Sha256;
using tailor::sha256_hex;
using tailor::to_hex;

namespace {
std::string hex(Sha256& h) {
  auto d = h.finish();
  return to_hex(d.data(), d.size());
}
}  // namespace

TEST_CASE("sha256: FIPS 180-2 one-shot vectors") {
  CHECK(sha256_hex(std::string_view("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex(std::string_view("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // 896-bit message: two blocks of input plus padding.
  CHECK(sha256_hex(std::string_view("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                                    "klmnopqrlmnopqrsmnopqrstnopqrstu")) ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST_CASE("sha256: one million 'a' fed in odd chunk sizes") {
  const std::string a(1000, 'a');
  const size_t chunks[] = {1, 3, 7, 63, 64, 65, 127, 129, 1000};
  for (size_t chunk : chunks) {
    CAPTURE(chunk);
    Sha256 h;
    size_t left = 1'000'000;
    while (left) {
      size_t take = std::min<size_t>({chunk, left, a.size()});
      h.update(std::string_view(a.data(), take));
      left -= take;
    }
    CHECK(hex(h) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST_CASE("sha256: padding boundaries agree between one-shot and byte-by-byte") {
  // Lengths around the 55/56/64-byte padding edges are where length-encoding bugs hide.
  for (size_t len : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128}) {
    CAPTURE(len);
    std::string msg;
    for (size_t i = 0; i < len; ++i) msg += static_cast<char>('a' + i % 26);
    Sha256 h;
    for (char c : msg) h.update(std::string_view(&c, 1));
    CHECK(hex(h) == sha256_hex(std::string_view(msg)));
  }
  // Known value for exactly 64 bytes (one full block before padding).
  CHECK(sha256_hex(std::string_view(std::string(64, 'a'))) ==
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("sha256: span overload and to_hex") {
  const std::vector<uint8_t> bytes = {'a', 'b', 'c'};
  CHECK(sha256_hex(std::span<const uint8_t>(bytes)) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const uint8_t raw[] = {0x00, 0x0f, 0xa0, 0xff};
  CHECK(to_hex(raw, 4) == "000fa0ff");
  CHECK(to_hex(raw, 0).empty());
}
