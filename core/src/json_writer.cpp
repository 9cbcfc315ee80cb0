#include "tailor/json_writer.h"

namespace tailor {

void json_escape(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

void JsonWriter::sep() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_) out_ += ',';
  first_ = false;
}

void JsonWriter::key(std::string_view k) {
  sep();
  out_ += '"';
  json_escape(out_, k);
  out_ += "\":";
  after_key_ = true;
}

void JsonWriter::string(std::string_view s) {
  sep();
  out_ += '"';
  json_escape(out_, s);
  out_ += '"';
}

void JsonWriter::integer(int64_t v) {
  sep();
  char buf[24];
  int i = 0;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do { buf[i++] = static_cast<char>('0' + u % 10); u /= 10; } while (u);
  if (v < 0) out_ += '-';
  while (i) out_ += buf[--i];
}

void JsonWriter::boolean(bool v) { sep(); out_ += v ? "true" : "false"; }
void JsonWriter::null() { sep(); out_ += "null"; }

void JsonWriter::number(double v, int decimals) {
  if (!(v == v) || v > 9e15 || v < -9e15) {  // NaN or out of the exact range: JSON has no NaN
    null();
    return;
  }
  sep();
  uint64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  bool neg = v < 0;
  double a = neg ? -v : v;
  // Round half away from zero on the scaled value; exact for |v| * scale < 2^53.
  double scaled = a * static_cast<double>(scale) + 0.5;
  if (scaled >= 9007199254740992.0) scaled = 9007199254740991.0;
  uint64_t q = static_cast<uint64_t>(scaled);
  uint64_t ip = q / scale, fp = q % scale;
  if (neg && q != 0) out_ += '-';
  char buf[24];
  int i = 0;
  do { buf[i++] = static_cast<char>('0' + ip % 10); ip /= 10; } while (ip);
  while (i) out_ += buf[--i];
  if (fp) {
    int digits = decimals;
    while (fp % 10 == 0) { fp /= 10; --digits; }
    char frac[24];
    for (int d = digits - 1; d >= 0; --d) { frac[d] = static_cast<char>('0' + fp % 10); fp /= 10; }
    out_ += '.';
    out_.append(frac, digits);
  }
}

}  // namespace tailor
