// JsonWriter produces the decision bytes: escaping and number formatting must be exact and stable.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "tailor/json_writer.h"

using tailor::json_escape;
using tailor::JsonWriter;

namespace {
std::string escaped(std::string_view s) {
  std::string out;
  json_escape(out, s);
  return out;
}
std::string number(double v, int decimals = 6) {
  std::string out;
  JsonWriter w(out);
  w.number(v, decimals);
  return out;
}
std::string integer(int64_t v) {
  std::string out;
  JsonWriter w(out);
  w.integer(v);
  return out;
}
}  // namespace

TEST_CASE("json_writer: escaping") {
  CHECK(escaped("plain") == "plain");
  CHECK(escaped("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(escaped("a\\b") == "a\\\\b");
  CHECK(escaped("\n\r\t\b\f") == "\\n\\r\\t\\b\\f");
  CHECK(escaped(std::string_view("\x00", 1)) == "\\u0000");
  CHECK(escaped("\x01\x1f") == "\\u0001\\u001f");
  CHECK(escaped("\x0b") == "\\u000b");
  CHECK(escaped(" ~\x7f") == " ~\x7f");  // DEL is not a control character in JSON
  CHECK(escaped("/") == "/");
  // UTF-8 passes through byte for byte.
  CHECK(escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x91\x9f") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x91\x9f");
}

TEST_CASE("json_writer: strings and keys are quoted and escaped") {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("we\"ird");
  w.string("line\nbreak");
  w.end_object();
  CHECK(out == "{\"we\\\"ird\":\"line\\nbreak\"}");
}

TEST_CASE("json_writer: fixed-point numbers") {
  CHECK(number(0) == "0");
  CHECK(number(-0.0) == "0");
  CHECK(number(2) == "2");
  CHECK(number(0.5) == "0.5");
  CHECK(number(0.05) == "0.05");
  CHECK(number(1.000001) == "1.000001");
  CHECK(number(1e-7) == "0");
  CHECK(number(-1e-7) == "0");  // rounds to zero: no "-0"
  CHECK(number(4e-7) == "0");
  CHECK(number(6e-7) == "0.000001");
  CHECK(number(0.1234565) == "0.123457");  // half away from zero
  CHECK(number(0.1234564) == "0.123456");
  CHECK(number(-0.1234565) == "-0.123457");
  CHECK(number(-2.5) == "-2.5");
  CHECK(number(-1234.000001) == "-1234.000001");
  CHECK(number(0.9999996) == "1");  // carry into the integer part
  CHECK(number(123456789.25) == "123456789.25");
}

TEST_CASE("json_writer: prices at 4 decimals print as written") {
  CHECK(number(129.99f, 4) == "129.99");
  CHECK(number(89.5f, 4) == "89.5");
  CHECK(number(0.1f, 4) == "0.1");
  CHECK(number(19.999f, 4) == "19.999");
  CHECK(number(1.23456, 4) == "1.2346");
  CHECK(number(0.12345, 4) == "0.1235");
  CHECK(number(0.00004, 4) == "0");
  CHECK(number(7.0f, 4) == "7");
  CHECK(number(0.0f, 0) == "0");
  CHECK(number(2.6, 0) == "3");
}

TEST_CASE("json_writer: NaN and out-of-range numbers become null") {
  CHECK(number(std::nan("")) == "null");
  CHECK(number(std::numeric_limits<double>::infinity()) == "null");
  CHECK(number(-std::numeric_limits<double>::infinity()) == "null");
  CHECK(number(1e300) == "null");
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.number(1);
  w.number(std::nan(""));
  w.number(2);
  w.end_array();
  CHECK(out == "[1,null,2]");
}

TEST_CASE("json_writer: integers") {
  CHECK(integer(0) == "0");
  CHECK(integer(7) == "7");
  CHECK(integer(-7) == "-7");
  CHECK(integer(1762300800) == "1762300800");
  CHECK(integer(std::numeric_limits<int64_t>::max()) == "9223372036854775807");
  CHECK(integer(std::numeric_limits<int64_t>::min()) == "-9223372036854775808");
}

TEST_CASE("json_writer: nesting and commas") {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("a"); w.integer(1);
  w.key("b"); w.begin_array();
  w.begin_object(); w.end_object();
  w.begin_object(); w.key("x"); w.boolean(true); w.key("y"); w.null(); w.end_object();
  w.begin_array(); w.end_array();
  w.string("s");
  w.end_array();
  w.key("c"); w.begin_object(); w.end_object();
  w.key("d"); w.boolean(false);
  w.end_object();
  CHECK(out == R"({"a":1,"b":[{},{"x":true,"y":null},[],"s"],"c":{},"d":false})");
}

TEST_CASE("json_writer: appends to the caller's string") {
  std::string out = "prefix:";
  JsonWriter w(out);
  w.begin_array();
  w.integer(1);
  w.end_array();
  CHECK(out == "prefix:[1]");
}
