// JSON parsing without exceptions (the project defines JSON_NOEXCEPTION) that still says where
// and why a document is malformed.
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tailor::sync {

// Parses `text` into `out`. On failure returns false and sets `why`, e.g.
// "line 3, column 7: syntax error while parsing object - unexpected '}'; expected string literal".
bool parse_json(std::string_view text, nlohmann::json& out, std::string& why);

// Serialises for output; invalid UTF-8 is replaced rather than aborting (JSON_NOEXCEPTION).
std::string dump_json(const nlohmann::ordered_json& j, int indent = -1);

}  // namespace tailor::sync
