#include "errors.h"

namespace tailor::sync {

void ErrorList::add(std::string message) {
  if (!full()) messages_.push_back(std::move(message));
}

void ErrorList::add_io(std::string message) {
  io_ = true;
  add(std::move(message));
}

std::string quote_value(std::string_view s, size_t max) {
  std::string out = "'";
  size_t n = s.size() > max ? max : s.size();
  // Do not cut a UTF-8 sequence in half.
  while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (n < s.size()) out += "...";
  out += "'";
  return out;
}

}  // namespace tailor::sync
