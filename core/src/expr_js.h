// JavaScript value semantics over nlohmann::json, as json-logic-js relies on them: ToNumber,
// ToString, parseFloat, loose/strict equality, relational comparison. `undefined` (a missing
// argument) is json(value_t::discarded).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tailor::expr::js {

using json = nlohmann::json;

inline json undefined() { return json(json::value_t::discarded); }
inline bool is_undefined(const json& v) { return v.is_discarded(); }
inline bool is_nullish(const json& v) { return v.is_null() || v.is_discarded(); }

// The number a JSON number holds, as a double.
double num(const json& v);
// ToNumber.
double to_number(const json& v);
// ToString (String(v)): arrays join with ",", null/undefined elements as "". Nesting deeper
// than `depth` prints as "".
std::string to_string(const json& v, int depth = 64);
// Appends ToString(v).
void append_string(const json& v, std::string& out, int depth = 64);
// parseFloat(v).
double parse_float(const json& v);
// ToIntegerOrInfinity(v).
double to_integer(const json& v);

bool loose_equal(const json& a, const json& b);
bool strict_equal(const json& a, const json& b);

// Abstract relational comparison a < b: 1 true, 0 false, -1 undefined (a NaN was involved).
int less_than(const json& a, const json& b);
// a < b, a <= b, a > b, a >= b as JavaScript evaluates them.
bool lt(const json& a, const json& b);
bool le(const json& a, const json& b);

// True for a canonical array index ("0", "17"; not "01", "-1", "1.0").
bool is_array_index(std::string_view key);

// String length in UTF-16 code units (JavaScript's .length).
size_t utf16_length(std::string_view s);
// s.substr(start, length) over UTF-16 code units; length < 0 = to the end.
std::string utf16_slice(std::string_view s, size_t start, size_t end);
// The UTF-16 code unit at `index` as a string (s[index]), empty when out of range.
std::string utf16_at(std::string_view s, size_t index);

}  // namespace tailor::expr::js
