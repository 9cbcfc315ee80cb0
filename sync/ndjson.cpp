#include "ndjson.h"

#include "json_parse.h"

namespace tailor::sync {

NdjsonReader::Next NdjsonReader::next(nlohmann::json& out) {
  error_.clear();
  while (std::getline(in_, text_)) {
    ++line_;
    std::string_view s = text_;
    if (line_ == 1 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    size_t first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    std::string why;
    if (!parse_json(s, out, why)) {
      // Every line is its own document: "line 1, column 9" means column 9 of this line.
      if (why.rfind("line 1, ", 0) == 0) why = why.substr(8);
      error_ = "invalid JSON: " + why;
      return Next::kError;
    }
    if (!out.is_object()) {
      error_ = std::string("expected a JSON object, got ") + out.type_name();
      return Next::kError;
    }
    return Next::kRecord;
  }
  return Next::kEnd;
}

}  // namespace tailor::sync
