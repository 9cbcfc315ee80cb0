// NDJSON and JSON sources: records, locations (file:line, file[#index]) and malformed input.
#include <doctest/doctest.h>

#include <sstream>

#include "ndjson.h"
#include "source.h"
#include "test_sync_helpers.h"

using namespace tailor::sync;
using namespace tailor::sync::test;

TEST_CASE("sync ndjson: one object per line, blank lines skipped, CRLF accepted") {
  std::istringstream in("{\"id\":\"a\"}\r\n\n   \n{\"id\":\"b\",\"n\":2}\n");
  NdjsonReader reader(in);
  nlohmann::json j;
  REQUIRE(reader.next(j) == NdjsonReader::Next::kRecord);
  CHECK(reader.line() == 1);
  REQUIRE(reader.next(j) == NdjsonReader::Next::kRecord);
  CHECK(reader.line() == 4);
  CHECK(j["n"] == 2);
  CHECK(reader.next(j) == NdjsonReader::Next::kEnd);
}

TEST_CASE("sync ndjson: a malformed line is an error with its line number, later lines still read") {
  TempDir dir;
  SourceSpec src{"events.ndjson",
                 dir.write("events.ndjson", "{\"id\":\"a\"}\n{\"id\": \"b\",}\n[1,2]\n{\"id\":\"c\"}\n"),
                 Format::kNdjson};
  ErrorList errors;
  std::vector<std::string> where;
  read_records(src, errors, [&](const Record& r) {
    where.push_back(r.where().str());
    return true;
  });
  CHECK(where == std::vector<std::string>{"events.ndjson:1", "events.ndjson:4"});
  REQUIRE(errors.messages().size() == 2);
  CHECK(errors.messages()[0].rfind("events.ndjson:2: invalid JSON: column ", 0) == 0);
  CHECK(errors.messages()[1] == "events.ndjson:3: expected a JSON object, got array");
}

TEST_CASE("sync json: an array of objects, located by index") {
  TempDir dir;
  SourceSpec src{"items.json", dir.write("items.json", "[{\"id\":\"a\"}, 7, {\"id\":\"c\"}]"), Format::kJson};
  ErrorList errors;
  std::vector<std::string> where;
  read_records(src, errors, [&](const Record& r) {
    where.push_back(r.where().str());
    return true;
  });
  CHECK(where == std::vector<std::string>{"items.json[#0]", "items.json[#2]"});
  CHECK(joined(errors) == "items.json[#1]: expected an object, got number\n");

  ErrorList bad;
  SourceSpec broken{"b.json", dir.write("b.json", "[\n{\"id\": }\n]"), Format::kJson};
  read_records(broken, bad, [](const Record&) { return true; });
  CHECK(has_error(bad, "b.json: invalid JSON at line 2, column"));
}

TEST_CASE("sync records: typed reads agree across text and JSON values") {
  TempDir dir;
  SourceSpec src{"r.ndjson",
                 dir.write("r.ndjson",
                           "{\"id\":42,\"tags\":[\"x\",\"y\"],\"emb\":[1,0.5],\"ts\":\"2025-11-20T00:00:00Z\"}\n"
                           "{\"id\":\"b\",\"tags\":\" x | | y \",\"emb\":\"1 0.5\",\"ts\":1763596800}\n"
                           "{\"id\":1.5,\"tags\":[1.5],\"emb\":[\"a\"],\"ts\":1763596800000}\n"),
                 Format::kNdjson};
  ErrorList errors;
  int n = 0;
  read_records(src, errors, [&](const Record& r) {
    ++n;
    std::string id;
    std::vector<std::string> tags;
    std::vector<double> emb;
    int64_t ts = 0;
    Field fid = read_text(r, "id", id, errors);
    Field ftags = read_list(r, "tags", tags, errors);
    Field femb = read_numbers(r, "emb", emb, errors);
    Field fts = read_timestamp(r, "ts", ts, errors);
    if (n <= 2) {
      CHECK(fid == Field::kOk);
      CHECK(tags == std::vector<std::string>{"x", "y"});
      CHECK(emb == std::vector<double>{1.0, 0.5});
      CHECK(ts == 1763596800);
    } else {
      CHECK(fid == Field::kError);
      CHECK(ftags == Field::kError);
      CHECK(femb == Field::kError);
      CHECK(fts == Field::kError);
    }
    return true;
  });
  CHECK(n == 3);
  CHECK(has_error(errors, "r.ndjson:3: field 'id': expected text, got a number"));
  CHECK(has_error(errors, "r.ndjson:3: field 'tags': element 0: expected text"));
  CHECK(has_error(errors, "r.ndjson:3: field 'emb': element 0 is not a number"));
  CHECK(has_error(errors, "r.ndjson:3: field 'ts': 1763596800000 is after the year 9999"));
}
