// CsvReader: streaming RFC 4180 reader (quoted fields, "" escapes, line breaks inside quotes,
// CRLF or LF, UTF-8 BOM dropped). Reports the physical line where each record starts.
#pragma once
#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace tailor::sync {

class CsvReader {
 public:
  enum class Next { kRecord, kEnd, kError };

  explicit CsvReader(std::istream& in) : in_(in) {}

  // Reads one record into `fields`. Blank lines are skipped. After kError, error() says why and
  // the reader has skipped to the next line, so reading can go on (unless the error was an
  // unterminated quote, which runs to the end of the input).
  Next next(std::vector<std::string>& fields);
  // 1-based physical line where the last record (or error) started.
  size_t line() const { return record_line_; }
  const std::string& error() const { return error_; }

 private:
  int peek();
  int get();
  void skip_line();
  void end_of_line();

  std::istream& in_;
  char buf_[1 << 16];
  size_t pos_ = 0, len_ = 0;
  bool started_ = false;
  size_t line_ = 1;
  size_t record_line_ = 0;
  std::string error_;
};

}  // namespace tailor::sync
