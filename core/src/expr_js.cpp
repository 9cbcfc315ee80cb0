#include "expr_js.h"

#include <cstring>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "tailor/expr.h"

namespace tailor::expr {

namespace {

// Unsigned big integer, little-endian 32-bit limbs: just what shortest_digits needs. Values stay
// below 2^1100 or so (a double's 2^1074 scaled by 10^17 at most), 40 limbs.
class Big {
 public:
  explicit Big(uint64_t v = 0) { set(v); }
  void set(uint64_t v) {
    n_ = 0;
    while (v) { w_[n_++] = static_cast<uint32_t>(v); v >>= 32; }
  }
  void mul(uint32_t m) {
    uint64_t carry = 0;
    for (int i = 0; i < n_; ++i) {
      uint64_t t = uint64_t(w_[i]) * m + carry;
      w_[i] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
    if (carry) w_[n_++] = static_cast<uint32_t>(carry);
  }
  void shl(int bits) {  // *= 2^bits
    const int words = bits / 32, b = bits % 32;
    if (n_ == 0) return;
    for (int i = n_ - 1; i >= 0; --i) w_[i + words] = w_[i];
    for (int i = 0; i < words; ++i) w_[i] = 0;
    n_ += words;
    if (b) {
      uint32_t carry = 0;
      for (int i = words; i < n_; ++i) {
        uint32_t next = w_[i] >> (32 - b);
        w_[i] = (w_[i] << b) | carry;
        carry = next;
      }
      if (carry) w_[n_++] = carry;
    }
  }
  void add(const Big& o) {
    uint64_t carry = 0;
    const int n = n_ > o.n_ ? n_ : o.n_;
    for (int i = 0; i < n; ++i) {
      uint64_t t = uint64_t(i < n_ ? w_[i] : 0) + (i < o.n_ ? o.w_[i] : 0) + carry;
      w_[i] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
    n_ = n;
    if (carry) w_[n_++] = static_cast<uint32_t>(carry);
  }
  void sub(const Big& o) {  // requires *this >= o
    int64_t borrow = 0;
    for (int i = 0; i < n_; ++i) {
      int64_t t = int64_t(w_[i]) - (i < o.n_ ? o.w_[i] : 0) - borrow;
      borrow = t < 0;
      w_[i] = static_cast<uint32_t>(t + (borrow << 32));
    }
    while (n_ && !w_[n_ - 1]) --n_;
  }
  static int cmp(const Big& a, const Big& b) {
    if (a.n_ != b.n_) return a.n_ < b.n_ ? -1 : 1;
    for (int i = a.n_ - 1; i >= 0; --i)
      if (a.w_[i] != b.w_[i]) return a.w_[i] < b.w_[i] ? -1 : 1;
    return 0;
  }
  static int cmp_sum(const Big& a, const Big& b, const Big& c) {  // a + b vs c
    Big t = a;
    t.add(b);
    return cmp(t, c);
  }

 private:
  uint32_t w_[48] = {};
  int n_ = 0;
};

// The shortest decimal digits that read back as `v` (finite, > 0), closest to v among those,
// ties to the even digit (ECMAScript Number::toString; Burger & Dybvig's free-format algorithm on
// exact integers). Returns the digits and sets `point`: v ~= 0.d1d2... x 10^point. Written here so
// the module does not link a float-to-chars library and its tables (~110 KB of wasm data).
std::string shortest_digits(double v, int& point) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const int be = static_cast<int>((bits >> 52) & 0x7FF);
  uint64_t f = bits & ((uint64_t(1) << 52) - 1);
  int e;
  if (be == 0) e = -1074;
  else { f |= uint64_t(1) << 52; e = be - 1075; }
  const bool even = (f & 1) == 0;
  const bool lower_closer = be > 1 && f == (uint64_t(1) << 52);  // the gap below is half the one above
  // v = r / s, the rounding interval is (v - mm/s, v + mp/s).
  Big r(f), s(1), mp(1), mm(1);
  if (e >= 0) {
    r.shl(e + 1 + (lower_closer ? 1 : 0));
    s.set(lower_closer ? 4 : 2);
    mp.shl(e + (lower_closer ? 1 : 0));
    mm.shl(e);
  } else {
    r.shl(lower_closer ? 2 : 1);
    s.shl(-e + (lower_closer ? 2 : 1));
    mp.set(lower_closer ? 2 : 1);
  }
  // Scale so that s/10 < r + mp <= s (or < s when the boundary is excluded): k decimal places.
  int k = static_cast<int>((static_cast<int64_t>(e + 52) * 30103) / 100000);  // ~log10(v)
  if (k >= 0) for (int i = 0; i < k; ++i) s.mul(10);
  else for (int i = 0; i < -k; ++i) { r.mul(10); mp.mul(10); mm.mul(10); }
  auto high = [&] { const int c = Big::cmp_sum(r, mp, s); return even ? c >= 0 : c > 0; };
  while (high()) { s.mul(10); ++k; }
  for (;;) {
    Big r10 = r, mp10 = mp;
    r10.mul(10);
    mp10.mul(10);
    const int c = Big::cmp_sum(r10, mp10, s);
    if (even ? c >= 0 : c > 0) break;
    r = r10; mp = mp10; mm.mul(10); --k;
  }
  point = k;
  std::string digits;
  for (;;) {
    r.mul(10); mp.mul(10); mm.mul(10);
    int d = 0;
    while (Big::cmp(r, s) >= 0) { r.sub(s); ++d; }
    const int lo = Big::cmp(r, mm);
    const bool tc1 = even ? lo <= 0 : lo < 0;
    const bool tc2 = high();
    if (!tc1 && !tc2) { digits += static_cast<char>('0' + d); continue; }
    if (tc1 && tc2) {  // both ends reachable: the closer one, ties to even
      Big r2 = r;
      r2.add(r);
      const int half = Big::cmp(r2, s);
      if (half > 0 || (half == 0 && (d & 1))) ++d;
    } else if (tc2) {
      ++d;
    }
    digits += static_cast<char>('0' + d);
    return digits;
  }
}

}  // namespace

std::string number_to_string(double v) {
  if (v != v) return "NaN";
  if (v == std::numeric_limits<double>::infinity()) return "Infinity";
  if (v == -std::numeric_limits<double>::infinity()) return "-Infinity";
  if (v == 0) return "0";  // also -0
  std::string out;
  if (v < 0) {
    out += '-';
    v = -v;
  }
  int n;
  const std::string digits = shortest_digits(v, n);
  const int k = static_cast<int>(digits.size());
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1) < 0 ? '-' : '+';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

namespace js {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Decodes one UTF-8 sequence at s[i]; invalid bytes decode as U+FFFD, one byte each.
uint32_t next_cp(std::string_view s, size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  auto cont = [&](size_t k) { return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (b < 0x80) { i += 1; return b; }
  if ((b & 0xE0) == 0xC0 && cont(1)) {
    uint32_t cp = ((b & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
    if (cp >= 0x80) { i += 2; return cp; }
  } else if ((b & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    uint32_t cp = ((b & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                  (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    if (cp >= 0x800) { i += 3; return cp; }
  } else if ((b & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    uint32_t cp = ((b & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
                  ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) | (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
    if (cp >= 0x10000 && cp <= 0x10FFFF) { i += 4; return cp; }
  }
  i += 1;
  return 0xFFFD;
}

void put_cp(std::string& out, uint32_t cp) {
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate half
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = next_cp(s, i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

std::string from_utf16(std::u16string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t u = s[i];
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      put_cp(out, 0x10000 + ((u - 0xD800) << 10) + (s[i + 1] - 0xDC00));
      ++i;
    } else {
      put_cp(out, u);
    }
  }
  return out;
}

bool is_js_space(uint32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string_view trim_start(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    if (!is_js_space(next_cp(s, j))) break;
    i = j;
  }
  return s.substr(i);
}

std::string_view trim(std::string_view s) {
  s = trim_start(s);
  // Trailing: walk code points, remember the end of the last non-space one.
  size_t end = 0;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = next_cp(s, i);
    if (!is_js_space(cp)) end = i;
  }
  return s.substr(0, end);
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// Length of the longest StrDecimalLiteral prefix of s (sign, digits, fraction, exponent, or
// "Infinity"); 0 when none. `inf` is set for Infinity.
size_t decimal_prefix(std::string_view s, bool& inf) {
  size_t i = 0;
  inf = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (s.substr(i, 8) == "Infinity") {
    inf = true;
    return i + 8;
  }
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && digit(s[i])) { ++i; ++int_digits; }
  size_t end = int_digits ? i : 0;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && digit(s[j])) { ++j; ++frac_digits; }
    if (int_digits || frac_digits) { i = j; end = i; }
  }
  if (!int_digits && !frac_digits) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    size_t exp_digits = 0;
    while (j < s.size() && digit(s[j])) { ++j; ++exp_digits; }
    if (exp_digits) end = j;
  }
  return end;
}

double decimal_value(std::string_view s, size_t n, bool inf) {
  if (inf) return s[0] == '-' ? -kInf : kInf;
  std::string copy(s.substr(0, n));
  return std::strtod(copy.c_str(), nullptr);
}

double string_to_number(std::string_view raw) {
  std::string_view s = trim(raw);
  if (s.empty()) return 0.0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'o' || s[1] == 'O' || s[1] == 'b' || s[1] == 'B')) {
    const int base = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
    double v = 0;
    for (char c : s.substr(2)) {
      int d = digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : 99;
      if (d >= base) return kNaN;
      v = v * base + d;
    }
    return v;
  }
  bool inf = false;
  size_t n = decimal_prefix(s, inf);
  if (n == 0 || n != s.size()) return kNaN;
  return decimal_value(s, n, inf);
}

// ToPrimitive for JSON values: arrays and objects become their string form.
json to_primitive(const json& v) {
  if (v.is_array() || v.is_object()) return json(to_string(v));
  return v;
}

}  // namespace

bool is_array_index(std::string_view key) {
  if (key.empty() || key.size() > 10) return false;
  if (key.size() > 1 && key[0] == '0') return false;
  for (char c : key)
    if (!digit(c)) return false;
  return true;
}

double num(const json& v) {
  if (v.is_number_float()) return v.get<double>();
  if (v.is_number_unsigned()) return static_cast<double>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<double>(v.get<int64_t>());
  return kNaN;
}

double to_number(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return 0.0;
    case json::value_t::boolean: return v.get<bool>() ? 1.0 : 0.0;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return num(v);
    case json::value_t::string: return string_to_number(v.get_ref<const std::string&>());
    case json::value_t::array: return string_to_number(to_string(v));
    default: return kNaN;  // objects, undefined
  }
}

void append_string(const json& v, std::string& out, int depth) {
  switch (v.type()) {
    case json::value_t::null: out += "null"; return;
    case json::value_t::discarded: out += "undefined"; return;
    case json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: out += number_to_string(num(v)); return;
    case json::value_t::string: out += v.get_ref<const std::string&>(); return;
    case json::value_t::array: {
      if (depth <= 0) return;
      bool first = true;
      for (const json& e : v) {
        if (!first) out += ',';
        first = false;
        if (!is_nullish(e)) append_string(e, out, depth - 1);
      }
      return;
    }
    case json::value_t::object: out += "[object Object]"; return;
    default: return;
  }
}

std::string to_string(const json& v, int depth) {
  std::string s;
  append_string(v, s, depth);
  return s;
}

double parse_float(const json& v) {
  std::string s = to_string(v);
  std::string_view t = trim_start(s);
  bool inf = false;
  size_t n = decimal_prefix(t, inf);
  if (n == 0) return kNaN;
  return decimal_value(t, n, inf);
}

double to_integer(const json& v) {
  double n = to_number(v);
  if (n != n || n == 0) return 0.0;
  if (std::isinf(n)) return n;
  return std::trunc(n);
}

bool strict_equal(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return num(a) == num(b);
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case json::value_t::null:
    case json::value_t::discarded: return true;
    case json::value_t::boolean: return a.get<bool>() == b.get<bool>();
    case json::value_t::string: return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
    default: return false;  // arrays and objects compare by identity in JavaScript: two values never match
  }
}

bool loose_equal(const json& a, const json& b) {
  const bool a_obj = a.is_array() || a.is_object(), b_obj = b.is_array() || b.is_object();
  if ((a.is_number() && b.is_number()) || a.type() == b.type()) return strict_equal(a, b);
  if (is_nullish(a) || is_nullish(b)) return is_nullish(a) && is_nullish(b);
  if (a.is_number() && b.is_string()) return num(a) == to_number(b);
  if (a.is_string() && b.is_number()) return to_number(a) == num(b);
  if (a.is_boolean()) return loose_equal(json(to_number(a)), b);
  if (b.is_boolean()) return loose_equal(a, json(to_number(b)));
  if (a_obj && (b.is_number() || b.is_string())) return loose_equal(to_primitive(a), b);
  if (b_obj && (a.is_number() || a.is_string())) return loose_equal(a, to_primitive(b));
  return false;
}

int less_than(const json& a, const json& b) {
  json pa = to_primitive(a), pb = to_primitive(b);
  if (pa.is_string() && pb.is_string()) {
    const std::string& x = pa.get_ref<const std::string&>();
    const std::string& y = pb.get_ref<const std::string&>();
    // UTF-8 byte order equals code point order; UTF-16 order differs only above U+FFFF.
    return to_utf16(x) < to_utf16(y) ? 1 : 0;
  }
  double x = to_number(pa), y = to_number(pb);
  if (x != x || y != y) return -1;
  return x < y ? 1 : 0;
}

bool lt(const json& a, const json& b) { return less_than(a, b) == 1; }
bool le(const json& a, const json& b) { return less_than(b, a) == 0; }

size_t utf16_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) n += next_cp(s, i) >= 0x10000 ? 2 : 1;
  return n;
}

std::string utf16_slice(std::string_view s, size_t start, size_t end) {
  std::u16string u = to_utf16(s);
  if (end > u.size()) end = u.size();
  if (start >= end) return std::string();
  return from_utf16(std::u16string_view(u).substr(start, end - start));
}

std::string utf16_at(std::string_view s, size_t index) { return utf16_slice(s, index, index + 1); }

}  // namespace js

}  // namespace tailor::expr
