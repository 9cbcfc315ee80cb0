// JsonWriter: appends compact JSON to a reused std::string with byte-identical number formatting.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace tailor {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { sep(); out_ += '{'; first_ = true; }
  void end_object() { out_ += '}'; first_ = false; }
  void begin_array() { sep(); out_ += '['; first_ = true; }
  void end_array() { out_ += ']'; first_ = false; }
  void key(std::string_view k);
  void string(std::string_view s);
  void integer(int64_t v);
  void boolean(bool v);
  void null();
  // Fixed-point with `decimals` places, trailing zeros trimmed: 0.5 -> 0.5, 2 -> 2, -0 -> 0.
  void number(double v, int decimals = 6);

 private:
  void sep();
  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

// Appends `s` JSON-escaped (without quotes).
void json_escape(std::string& out, std::string_view s);

}  // namespace tailor
