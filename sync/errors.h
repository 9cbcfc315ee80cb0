// ErrorList: the build and profile commands report every problem they find (up to a cap), each
// prefixed with its place, instead of stopping at the first one.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tailor::sync {

class ErrorList {
 public:
  static constexpr size_t kDefaultCap = 50;
  explicit ErrorList(size_t cap = kDefaultCap) : cap_(cap) {}

  // Records one message ("items.csv:17: field 'price': 'abc' is not a number"); ignored when full.
  void add(std::string message);
  // Same, for a file that cannot be read or written (the CLI exits 4 instead of 1).
  void add_io(std::string message);

  bool empty() const { return messages_.empty(); }
  // True once `cap` messages are stored: readers stop early.
  bool full() const { return messages_.size() >= cap_; }
  bool has_io_error() const { return io_; }
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  size_t cap_;
  bool io_ = false;
  std::vector<std::string> messages_;
};

// `s` shortened to `max` bytes (with "...") and control characters shown as '?', for quoting
// user data inside error messages.
std::string quote_value(std::string_view s, size_t max = 60);

}  // namespace tailor::sync
