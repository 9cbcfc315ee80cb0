// Source declarations beyond plain files: the `map` layer (rename, constants, defaults, coercion,
// split, scale), `postgres` config checks, PostgreSQL text values, and an unreachable database.
// The tests against a running server are tests/postgres/sources.sh (ctest "postgres: ...").
#include <doctest/doctest.h>

#include <cstdlib>

#include "postgres_source.h"
#include "source.h"
#include "test_sync_helpers.h"

using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

// Reads `file` (written into `dir` with `content`) through `map` (JSON as in a config).
std::vector<json> read_mapped(const TempDir& dir, const std::string& file, const std::string& content,
                              const json& map, ErrorList& errors) {
  dir.write(file, content);
  json cfg = fixture_config();
  cfg["items"] = {{"path", file}, {"map", map}};
  // Parse through the real config reader so the test covers the declared shapes.
  Config c;
  std::vector<json> out;
  if (!parse_config(cfg.dump(), "tailor.json", dir.path(), c, errors)) return out;
  read_records(c.items, errors, [&](const Record& r) {
    json row = json::object();
    for (size_t i = 0; i < r.keys()->size(); ++i) {
      const Value& v = r.values()[i];
      json j;
      switch (v.kind) {
        case Value::Kind::kText: j = v.text; break;
        case Value::Kind::kNumber: j = v.number; break;
        case Value::Kind::kBool: j = v.number != 0; break;
        case Value::Kind::kList:
          j = json::array();
          for (const Value& e : v.list) j.push_back(e.kind == Value::Kind::kText ? json(e.text) : json(e.number));
          break;
        default: j = nullptr;
      }
      row[(*r.keys())[i]] = j;
    }
    out.push_back(row);
    return true;
  });
  return out;
}

std::string config_error(const std::function<void(json&)>& edit) {
  TempDir dir;
  write_fixture(dir);
  json cfg = fixture_config();
  edit(cfg);
  BuildRun run = build_in(dir, cfg);
  CHECK_FALSE(run.ok);
  return joined(run.errors);
}

}  // namespace

TEST_CASE("sources map: renamed CSV columns build the same snapshot bytes as the original names") {
  TempDir plain;
  write_fixture(plain);
  BuildRun expected = build_in(plain, fixture_config());
  REQUIRE(expected.ok);

  TempDir dir;
  write_fixture(dir);
  // Other column names, tags separated by ';', sites by ',' and a constant column nobody reads.
  std::string csv =
      "sku,name,cat,brand,price,popularity,published_at,stock,site_list,embedding,rating,colour,labels\n"
      "b2,Bravo,running,swift,120,100,1750000000,5,,3 4 0,4.5,red,sale;new\n"
      "a1,Alpha,hiking,ridge,80.5,0,2025-06-01T00:00:00Z,0,us,0 0 2,3.5,blue,new;sale;new\n"
      "c3,\"Charlie, \"\"the\"\" third\",apparel,alpa,,1000,,,\"us,eu\",,,red,\n"
      "B0,Zed,running,swift,10,10,1700000000,2,eu,1 1 1,5,,waterproof\n";
  dir.write("catalog.csv", csv);
  json cfg = fixture_config();
  cfg["items"] = json::parse(R"({"path": "catalog.csv", "map": {
      "id": "sku", "title": {"column": "name"}, "category": "cat", "color": "colour",
      "sites": {"column": "site_list", "split": ","}, "tags": {"column": "labels", "split": ";"},
      "feed": {"value": "nightly"}}})");
  BuildRun run = build_in(dir, cfg);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  CHECK(run.snap.bytes == expected.snap.bytes);
}

TEST_CASE("sources map: constants, defaults, coercion, split and scale") {
  TempDir dir;
  ErrorList errors;
  auto rows = read_mapped(dir, "items.csv",
                          "sku,cents,flag,tags,n\n"
                          "x1,1250,yes, a | b ||c ,7\n"
                          "x2,,0,,\n",
                          json::parse(R"({
                            "id": "sku",
                            "price": {"column": "cents", "scale": 0.01, "default": 0},
                            "active": {"column": "flag", "type": "boolean"},
                            "tags": {"column": "tags", "type": "list"},
                            "count": {"column": "n", "type": "integer", "default": "3"},
                            "label": {"column": "n", "type": "text"},
                            "source": {"value": "feed-a"},
                            "pair": {"value": "p|q", "type": "list"}})"),
                          errors);
  INFO(joined(errors));
  REQUIRE(errors.empty());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["id"] == "x1");
  CHECK(rows[0]["price"].get<double>() == doctest::Approx(12.5));
  CHECK(rows[0]["active"] == true);
  CHECK(rows[0]["tags"] == json::array({"a", "b", "c"}));
  CHECK(rows[0]["count"] == 7.0);
  CHECK(rows[0]["label"] == "7");
  CHECK(rows[0]["source"] == "feed-a");
  CHECK(rows[0]["pair"] == json::array({"p", "q"}));
  CHECK(rows[0]["sku"] == "x1");  // unmapped and renamed columns pass through
  CHECK(rows[1]["price"] == 0.0);  // default, then scaled
  CHECK(rows[1]["active"] == false);
  CHECK(rows[1]["tags"].is_null());
  CHECK(rows[1]["count"] == 3.0);  // text default coerced to integer
}

TEST_CASE("sources map: values that do not coerce name the row, field and column") {
  TempDir dir;
  ErrorList errors;
  auto rows = read_mapped(dir, "items.csv",
                          "sku,cost,flag,n\n"
                          "x1,abc,maybe,1.5\n"
                          "x2,3,true,2\n",
                          json::parse(R"({"id": "sku", "price": {"column": "cost", "type": "number"},
                                          "active": {"column": "flag", "type": "boolean"},
                                          "count": {"column": "n", "type": "integer"}})"),
                          errors);
  std::string all = joined(errors);
  INFO(all);
  CHECK(rows.size() == 1);  // the bad row is reported and skipped
  CHECK(has_error(errors, "items.csv:2: field 'price' (column 'cost'): 'abc' is not a number"));
  CHECK(has_error(errors, "items.csv:2: field 'active' (column 'flag'): 'maybe' is not a boolean"));
  CHECK(has_error(errors, "items.csv:2: field 'count' (column 'n'): 1.5 is not an integer"));
}

TEST_CASE("sources map: an unknown column is an error naming the source and the field") {
  TempDir dir;
  ErrorList errors;
  read_mapped(dir, "items.csv", "sku,name\nx1,A\n", json::parse(R"({"id": "sku", "title": "nme"})"), errors);
  CHECK(has_error(errors, "items.csv: items.map.title: unknown column 'nme' (the source has: sku, name)"));

  // JSON records each have their own keys: a column no record has is reported once.
  ErrorList json_errors;
  auto rows = read_mapped(dir, "items.ndjson", "{\"sku\":\"x1\"}\n{\"sku\":\"x2\",\"name\":\"B\"}\n",
                          json::parse(R"({"id": "sku", "title": "name", "brand": "maker"})"), json_errors);
  CHECK(rows.size() == 2);
  CHECK(json_errors.messages().size() == 1);
  CHECK(has_error(json_errors, "items.ndjson: items.map.brand: column 'maker' is in none of the 2 records"));
}

TEST_CASE("sources config: map and postgres shapes fail at build with their path") {
  CHECK(config_error([](json& c) { c["items"]["map"] = {{"title", {{"column", "a"}, {"value", "b"}}}}; })
            .find("items.map.title: set exactly one of column (a source column) or value (a constant)") !=
        std::string::npos);
  CHECK(config_error([](json& c) { c["items"]["map"] = {{"title", {{"column", "a"}, {"type", "date"}}}}; })
            .find("items.map.title.type: unknown type 'date' (expected one of: text, number, integer, boolean, list)") !=
        std::string::npos);
  CHECK(config_error([](json& c) {
          c["items"]["map"] = {{"price", {{"column", "a"}, {"type", "number"}, {"split", ","}}}};
        }).find("items.map.price.split: only for type list") != std::string::npos);
  CHECK(config_error([](json& c) { c["items"]["map"] = {{"title", {{"value", "x"}, {"default", "y"}}}}; })
            .find("items.map.title.default: only with column") != std::string::npos);
  CHECK(config_error([](json& c) { c["items"]["map"] = {{"title", {{"column", "a"}, {"colum", "b"}}}}; })
            .find("items.map.title.colum: unknown field") != std::string::npos);
  CHECK(config_error([](json& c) { c["items"]["map"] = json::array(); }).find("items.map: expected an object") !=
        std::string::npos);
  CHECK(config_error([](json& c) {
          c["items"]["postgres"] = {{"dsn", "postgresql://h/db"}, {"table", "t"}};
        }).find("items: set either path (a file) or postgres, not both") != std::string::npos);
  CHECK(config_error([](json& c) { c["items"] = {{"postgres", {{"dsn", "postgresql://h/db"}}}}; })
            .find("items.postgres: set exactly one of table or query") != std::string::npos);
  CHECK(config_error([](json& c) {
          c["items"] = {{"postgres", {{"dsn", "x"}, {"dsn_env", "Y"}, {"table", "t"}}}};
        }).find("items.postgres: set exactly one of dsn_env") != std::string::npos);
  CHECK(config_error([](json& c) {
          c["items"] = {{"postgres", {{"dsn", "x"}, {"query", "select 1"}, {"order_by", "id"}}}};
        }).find("items.postgres.order_by: only for a table") != std::string::npos);
  CHECK(config_error([](json& c) { c["items"] = {{"postgres", {{"dsn", "x"}, {"table", "t"}, {"port", 5}}}}; })
            .find("items.postgres.port: unknown field") != std::string::npos);
  CHECK(config_error([](json& c) {
          c["brands"] = {{"postgres", {{"dsn_env", "TAILOR_TEST_SURELY_UNSET"}, {"table", "brands"}}}};
        }).find("brands.postgres.dsn_env: environment variable TAILOR_TEST_SURELY_UNSET is not set") !=
        std::string::npos);
  CHECK(config_error([](json& c) { c["items"] = json::object(); })
            .find("items: set path (a CSV, NDJSON or JSON file) or postgres (a table or query)") != std::string::npos);
}

TEST_CASE("sources postgres: text values by column type") {
  std::string why;
  auto v = postgres_value(16, "t", why);
  REQUIRE(v);
  CHECK(v->kind == Value::Kind::kBool);
  CHECK(v->number == 1);
  v = postgres_value(20, "-9007199254740993", why);
  REQUIRE(v);
  CHECK(v->integral);
  CHECK(v->integer == -9007199254740993LL);
  v = postgres_value(1700, "12.50", why);
  REQUIRE(v);
  CHECK_FALSE(v->integral);
  CHECK(v->number == 12.5);
  v = postgres_value(1700, "42", why);
  REQUIRE(v);
  CHECK(v->integral);
  CHECK(v->integer == 42);
  CHECK_FALSE(postgres_value(1700, "NaN", why));
  CHECK(why == "'NaN' is not a finite number");
  CHECK_FALSE(postgres_value(701, "Infinity", why));
  v = postgres_value(1009, R"({plain,"with, comma","quote \" and \\",NULL,"NULL"})", why);
  REQUIRE(v);
  REQUIRE(v->kind == Value::Kind::kList);
  REQUIRE(v->list.size() == 5);
  CHECK(v->list[0].text == "plain");
  CHECK(v->list[1].text == "with, comma");
  CHECK(v->list[2].text == "quote \" and \\");
  CHECK(v->list[3].kind == Value::Kind::kMissing);
  CHECK(v->list[4].text == "NULL");
  v = postgres_value(1021, "{0.1,-2,3e-05}", why);
  REQUIRE(v);
  REQUIRE(v->list.size() == 3);
  CHECK(v->list[2].number == 3e-05);
  v = postgres_value(1007, "[0:1]={7,8}", why);
  REQUIRE(v);
  CHECK(v->list.size() == 2);
  v = postgres_value(1009, "{}", why);
  REQUIRE(v);
  CHECK(v->list.empty());
  CHECK_FALSE(postgres_value(1007, "{{1,2},{3,4}}", why));
  CHECK(why == "multi-dimensional arrays are not supported");
  v = postgres_value(3802, R"({"a": [1, 2]})", why);
  REQUIRE(v);
  CHECK(v->kind == Value::Kind::kOther);
  v = postgres_value(3802, R"(["x", "y"])", why);
  REQUIRE(v);
  CHECK(v->kind == Value::Kind::kList);
  CHECK_FALSE(postgres_value(114, "{bad", why));
  CHECK(postgres_value(1184, "2025-11-20 08:30:00+00", why)->text == "2025-11-20T08:30:00+00:00");
  CHECK(postgres_value(1184, "2025-11-20 08:30:00.25+05:30", why)->text == "2025-11-20T08:30:00.25+05:30");
  CHECK(postgres_value(1114, "2025-11-20 08:30:00", why)->text == "2025-11-20T08:30:00Z");
  CHECK(postgres_value(1082, "2025-11-20", why)->text == "2025-11-20T00:00:00Z");
  CHECK(postgres_value(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", why)->text ==
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
}

TEST_CASE("sources postgres: the statement for a table quotes names and orders rows") {
  PostgresSpec pg;
  pg.table = "catalog";
  CHECK(postgres_statement(pg) == "SELECT * FROM \"catalog\" ORDER BY 1");
  pg.table = "shop.Items\"x";
  pg.order_by = {"pos", "id"};
  CHECK(postgres_statement(pg) == "SELECT * FROM \"shop\".\"Items\"\"x\" ORDER BY \"pos\", \"id\"");
  pg.query = "select 1 as id";
  CHECK(postgres_statement(pg) == "select 1 as id");
}

TEST_CASE("sources postgres: an unreachable database is an I/O error naming the source") {
  SourceSpec s;
  s.name = "postgres:catalog";
  s.kind = SourceKind::kPostgres;
  s.postgres.dsn = "postgresql://tailor@127.0.0.1:1/db?connect_timeout=5";
  s.postgres.table = "catalog";
  ErrorList errors;
  uint64_t n = read_records(s, errors, [](const Record&) { return true; });
  CHECK(n == 0);
  CHECK(errors.has_io_error());
  INFO(joined(errors));
  CHECK(has_error(errors, "postgres:catalog: cannot connect to PostgreSQL: "));
  CHECK(joined(errors).find('\n') == joined(errors).size() - 1);  // one line
}

TEST_CASE("sources inventory: stock rows override the items' stock, through a map") {
  TempDir expected_dir;
  write_fixture(expected_dir);
  std::string items = kItemsCsv;
  // The fixture with a1's stock 0 -> 7 and c3's unknown stock -> 3.
  items.replace(items.find("0,us,0 0 2"), 1, "7");
  items.replace(items.find(",,us|eu"), 2, ",3,");
  expected_dir.write("items.csv", items);
  BuildRun expected = build_in(expected_dir, fixture_config());
  REQUIRE(expected.ok);

  TempDir dir;
  write_fixture(dir);
  dir.write("stock.csv", "sku,on_hand\nc3,3\na1,7\n");
  json cfg = fixture_config();
  cfg["inventory"] = {{"path", "stock.csv"}, {"map", {{"id", "sku"}, {"stock", "on_hand"}}}};
  BuildRun run = build_in(dir, cfg);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  CHECK(run.snap.bytes == expected.snap.bytes);
}

TEST_CASE("sources inventory: unknown and repeated items, bad stock") {
  TempDir dir;
  write_fixture(dir);
  dir.write("stock.csv", "id,stock\na1,7\nzz,1\na1,8\nb2,-1\nB0,many\n");
  json cfg = fixture_config();
  cfg["inventory"] = {{"path", "stock.csv"}};
  BuildRun run = build_in(dir, cfg);
  std::string all = joined(run.errors);
  INFO(all);
  CHECK_FALSE(run.ok);
  CHECK(has_error(run.errors, "stock.csv:3: field 'id': unknown item 'zz' (set inventory.unknown_items to \"ignore\""));
  CHECK(has_error(run.errors, "stock.csv:4: field 'id': item 'a1' listed twice (first at stock.csv:2)"));
  CHECK(has_error(run.errors, "stock.csv:5: field 'stock': -1 is not a unit count"));
  CHECK(has_error(run.errors, "stock.csv:6: field 'stock': 'many' is not an integer"));

  // A JSON number that is not an integer is quoted in its shortest form (2.5, not 2.500000).
  dir.write("stock.ndjson", "{\"id\": \"a1\", \"stock\": 2.5}\n");
  cfg["inventory"] = {{"path", "stock.ndjson"}};
  CHECK(check_build_failed(build_in(dir, cfg), "stock.ndjson:1: field 'stock': 2.5 is not an integer")
            .find("2.5 is not an integer\n") != std::string::npos);

  dir.write("stock.csv", "id,stock\na1,7\nzz,1\n");
  cfg["inventory"] = {{"path", "stock.csv"}};
  cfg["inventory"]["unknown_items"] = "ignore";
  BuildRun ignored = build_in(dir, cfg);
  INFO(joined(ignored.errors));
  CHECK(ignored.ok);

  cfg["inventory"]["unknown_items"] = "warn";
  CHECK(config_error([&](json& c) { c["inventory"] = cfg["inventory"]; })
            .find("inventory.unknown_items: unknown value 'warn' (expected one of: error, ignore)") != std::string::npos);
}
