// CSV sources: the RFC 4180 reader and the row -> record step, with the line numbers that error
// messages rely on.
#include <doctest/doctest.h>

#include <sstream>

#include "csv.h"
#include "source.h"
#include "test_sync_helpers.h"

using namespace tailor::sync;
using namespace tailor::sync::test;

namespace {

struct Row {
  size_t line;
  std::vector<std::string> fields;
};

// Reads every record; errors are returned as "line: message".
std::vector<Row> read_all(const std::string& text, std::vector<std::string>* errors = nullptr) {
  std::istringstream in(text);
  CsvReader reader(in);
  std::vector<Row> rows;
  std::vector<std::string> fields;
  while (true) {
    auto n = reader.next(fields);
    if (n == CsvReader::Next::kEnd) break;
    if (n == CsvReader::Next::kError) {
      if (errors) errors->push_back(std::to_string(reader.line()) + ": " + reader.error());
      continue;
    }
    rows.push_back({reader.line(), fields});
  }
  return rows;
}

}  // namespace

TEST_CASE("sync csv: plain rows with LF, empty fields and a missing final newline") {
  auto rows = read_all("id,title,price\na,Alpha,1\nb,,2\nc,Charlie,");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].fields == std::vector<std::string>{"id", "title", "price"});
  CHECK(rows[2].fields == std::vector<std::string>{"b", "", "2"});
  CHECK(rows[3].fields == std::vector<std::string>{"c", "Charlie", ""});
  CHECK(rows[3].line == 4);
}

TEST_CASE("sync csv: quoted fields keep commas and turn doubled quotes into one") {
  auto rows = read_all("id,title\n\"a,1\",\"The \"\"Best\"\" Shoe\"\n\"\",x\n");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].fields[0] == "a,1");
  CHECK(rows[1].fields[1] == "The \"Best\" Shoe");
  CHECK(rows[2].fields[0] == "");
}

TEST_CASE("sync csv: CRLF line endings are not part of the last field") {
  auto rows = read_all("id,title\r\na,Alpha\r\nb,\"Bravo\"\r\n");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].fields[1] == "Alpha");
  CHECK(rows[2].fields[1] == "Bravo");
  CHECK(rows[2].line == 3);
}

TEST_CASE("sync csv: a line break inside quotes belongs to the field and lines stay counted") {
  auto rows = read_all("id,title\na,\"two\nlines\"\nb,after\n");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].fields[1] == "two\nlines");
  CHECK(rows[1].line == 2);
  CHECK(rows[2].line == 4);  // the physical line where b starts
}

TEST_CASE("sync csv: a UTF-8 byte order mark is dropped, blank lines are skipped") {
  auto rows = read_all("\xEF\xBB\xBFid,title\n\na,x\n\r\n\nb,y\n");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].fields[0] == "id");
  CHECK(rows[1].line == 3);
  CHECK(rows[2].line == 6);
}

TEST_CASE("sync csv: an unterminated quote is an error naming the line it opened on") {
  std::vector<std::string> errors;
  auto rows = read_all("id,title\na,\"never closed\nb,c\n", &errors);
  CHECK(rows.size() == 1);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("unterminated quoted field 2 (opened on line 2)") != std::string::npos);
}

TEST_CASE("sync csv: a stray quote is an error for its line only, reading goes on") {
  std::vector<std::string> errors;
  auto rows = read_all("id,title\na,5\" screen\nb,ok\nc,\"x\"y\n", &errors);
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].fields[0] == "b");
  CHECK(rows[1].line == 3);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].rfind("2: quote inside unquoted field 2", 0) == 0);
  CHECK(errors[1].rfind("4: unexpected character after the closing quote of field 2", 0) == 0);
}

TEST_CASE("sync csv: ragged rows and bad header cells are reported as file:line") {
  TempDir dir;
  SourceSpec src{"items.csv", dir.write("items.csv", "id,title,price\na,x,1\nb,y\nc,z,3,extra\n"), Format::kCsv};
  ErrorList errors;
  std::vector<std::string> ids;
  uint64_t n = read_records(src, errors, [&](const Record& r) {
    ids.push_back(r.find("id")->text);
    return true;
  });
  CHECK(n == 1);
  CHECK(ids == std::vector<std::string>{"a"});
  CHECK(has_error(errors, "items.csv:3: row has 2 fields, the header has 3"));
  CHECK(has_error(errors, "items.csv:4: row has 4 fields, the header has 3"));

  ErrorList dup;
  SourceSpec hdr{"h.csv", dir.write("h.csv", "id, title ,id\n1,2,3\n"), Format::kCsv};
  read_records(hdr, dup, [](const Record&) { return true; });
  CHECK(has_error(dup, "h.csv:1: header: duplicate column 'id'"));
}

TEST_CASE("sync csv: records expose header names (trimmed), empty cells are missing") {
  TempDir dir;
  SourceSpec src{"items.csv", dir.write("items.csv", "id , price,title\r\na,\"1.5\",\r\n"), Format::kCsv};
  ErrorList errors;
  int seen = 0;
  read_records(src, errors, [&](const Record& r) {
    ++seen;
    CHECK(r.where().str() == "items.csv:2");
    REQUIRE(r.find("price"));
    CHECK(r.find("price")->text == "1.5");
    REQUIRE(r.find("title"));
    CHECK(r.find("title")->kind == Value::Kind::kMissing);
    CHECK(r.find("nope") == nullptr);
    double d = 0;
    CHECK(read_number(r, "price", d, errors) == Field::kOk);
    CHECK(d == 1.5);
    return true;
  });
  CHECK(seen == 1);
  CHECK(errors.empty());
}

TEST_CASE("sync csv: invalid UTF-8 in a cell is reported with line and field") {
  TempDir dir;
  SourceSpec src{"items.csv", dir.write("items.csv", "id,title\na,caf\xE9\n"), Format::kCsv};
  ErrorList errors;
  read_records(src, errors, [](const Record&) { return true; });
  CHECK(has_error(errors, "items.csv:2: field 'title': not valid UTF-8"));
}
