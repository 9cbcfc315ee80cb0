// NdjsonReader: one JSON object per line, read line by line (blank lines skipped, CRLF ok).
#pragma once
#include <cstddef>
#include <istream>
#include <string>

#include <nlohmann/json.hpp>

namespace tailor::sync {

class NdjsonReader {
 public:
  enum class Next { kRecord, kEnd, kError };

  explicit NdjsonReader(std::istream& in) : in_(in) {}

  // Reads the next non-blank line into `out` (always an object on kRecord). On kError, error()
  // says why; the next call continues with the following line.
  Next next(nlohmann::json& out);
  // 1-based line number of the last record or error.
  size_t line() const { return line_; }
  const std::string& error() const { return error_; }

 private:
  std::istream& in_;
  std::string text_;
  size_t line_ = 0;
  std::string error_;
};

}  // namespace tailor::sync
