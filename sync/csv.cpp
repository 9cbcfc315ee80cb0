#include "csv.h"

#include <cstring>

namespace tailor::sync {

int CsvReader::peek() {
  if (pos_ == len_) {
    in_.read(buf_, sizeof buf_);
    len_ = static_cast<size_t>(in_.gcount());
    pos_ = 0;
    if (!started_) {
      started_ = true;
      if (len_ >= 3 && std::memcmp(buf_, "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
    }
    if (pos_ == len_) return -1;
  }
  return static_cast<unsigned char>(buf_[pos_]);
}

int CsvReader::get() {
  int c = peek();
  if (c >= 0) ++pos_;
  return c;
}

// Consumes one line break (LF, CRLF or a lone CR) if the next character starts one.
void CsvReader::end_of_line() {
  int c = peek();
  if (c == '\n') {
    get();
    ++line_;
  } else if (c == '\r') {
    get();
    if (peek() == '\n') get();
    ++line_;
  }
}

void CsvReader::skip_line() {
  for (int c = peek(); c >= 0 && c != '\n' && c != '\r'; c = peek()) get();
  end_of_line();
}

CsvReader::Next CsvReader::next(std::vector<std::string>& fields) {
  fields.clear();
  error_.clear();
  for (int c = peek(); c == '\n' || c == '\r'; c = peek()) end_of_line();
  if (peek() < 0) return Next::kEnd;
  record_line_ = line_;
  std::string field;
  while (true) {
    field.clear();
    if (peek() == '"') {
      get();
      const size_t opened = line_;
      while (true) {
        int c = get();
        if (c < 0) {
          error_ = "unterminated quoted field " + std::to_string(fields.size() + 1) + " (opened on line " +
                   std::to_string(opened) + ")";
          return Next::kError;
        }
        if (c == '"') {
          if (peek() != '"') break;
          get();
        } else if (c == '\n' || (c == '\r' && peek() != '\n')) {
          ++line_;
        }
        field += static_cast<char>(c);
      }
      int c = peek();
      if (c != ',' && c != '\n' && c != '\r' && c >= 0) {
        error_ = "unexpected character after the closing quote of field " + std::to_string(fields.size() + 1);
        skip_line();
        return Next::kError;
      }
    } else {
      for (int c = peek(); c >= 0 && c != ',' && c != '\n' && c != '\r'; c = peek()) {
        if (c == '"') {
          error_ = "quote inside unquoted field " + std::to_string(fields.size() + 1) +
                   " (quote the whole field and double the quote: \"a \"\"b\"\"\")";
          skip_line();
          return Next::kError;
        }
        field += static_cast<char>(get());
      }
    }
    fields.push_back(std::move(field));
    if (peek() == ',') {
      get();
      continue;
    }
    end_of_line();
    return Next::kRecord;
  }
}

}  // namespace tailor::sync
