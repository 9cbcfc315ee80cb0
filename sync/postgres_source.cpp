#include "postgres_source.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <unordered_set>

#include "json_parse.h"

namespace tailor::sync {
namespace {

// Type oids from PostgreSQL's pg_type.dat (stable across versions).
enum : uint32_t {
  kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kJson = 114, kFloat4 = 700, kFloat8 = 701,
  kDate = 1082, kTimestamp = 1114, kTimestampTz = 1184, kNumeric = 1700, kJsonb = 3802,
};

// Array type oid -> element type oid (0: not an array we read as a list).
uint32_t element_type(uint32_t oid) {
  switch (oid) {
    case 1000: return kBool;
    case 1005: return kInt2;
    case 1007: return kInt4;
    case 1016: return kInt8;
    case 1028: return kOid;
    case 1021: return kFloat4;
    case 1022: return kFloat8;
    case 1231: return kNumeric;
    case 199: return kJson;
    case 3807: return kJsonb;
    case 1182: return kDate;
    case 1115: return kTimestamp;
    case 1185: return kTimestampTz;
    case 1009:  // text[]
    case 1015:  // varchar[]
    case 1014:  // bpchar[]
    case 1002:  // "char"[]
    case 1003:  // name[]
    case 2951:  // uuid[]
      return 25;
    default: return 0;
  }
}

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// libpq messages span lines ("...failed: Connection refused\n\tIs the server running..."): one line.
std::string one_line(const char* msg) {
  std::string out;
  bool space = false;
  for (const char* p = msg ? msg : ""; *p; ++p) {
    char c = *p;
    if (c == '\n' || c == '\r' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += out.back() == ':' || out.back() == '.' ? " " : "; ";
    space = false;
    out += c;
  }
  return out.empty() ? std::string("unknown error") : out;
}

std::string quote_ident(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Value number(double d, bool integral, int64_t i) {
  Value v;
  v.kind = Value::Kind::kNumber;
  v.number = d;
  v.integral = integral;
  v.integer = i;
  return v;
}

Value text(std::string s) {
  Value v;
  v.kind = Value::Kind::kText;
  v.text = std::move(s);
  return v;
}

// DateStyle ISO with TimeZone UTC: "2025-11-20 08:30:00[.123]+00" -> "2025-11-20T08:30:00[.123]+00:00".
std::string rfc3339(std::string_view s, uint32_t oid) {
  std::string out(s);
  if (out.size() < 10 || out.find(' ') == std::string::npos) {
    if (oid == kDate && out.size() == 10) return out + "T00:00:00Z";
    return out;  // infinity, BC dates: left as text, the field reader reports them
  }
  if (out.size() > 10 && out[10] == ' ') out[10] = 'T';
  if (oid == kTimestamp) return out + "Z";
  size_t sign = out.find_last_of("+-");
  if (sign != std::string::npos && sign > 10 && out.size() - sign == 3) out += ":00";
  return out;
}

std::optional<Value> array_value(uint32_t element, std::string_view s, std::string& why) {
  if (!s.empty() && s.front() == '[') {  // "[0:2]={...}": explicit bounds
    size_t eq = s.find('=');
    if (eq == std::string_view::npos) {
      why = "unreadable array";
      return std::nullopt;
    }
    s.remove_prefix(eq + 1);
  }
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') {
    why = "unreadable array";
    return std::nullopt;
  }
  s = s.substr(1, s.size() - 2);
  Value list;
  list.kind = Value::Kind::kList;
  size_t i = 0;
  while (i < s.size()) {
    std::string elem;
    bool quoted = false;
    if (s[i] == '{') {
      why = "multi-dimensional arrays are not supported";
      return std::nullopt;
    }
    if (s[i] == '"') {
      quoted = true;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        elem += s[i++];
      }
      ++i;  // closing quote
    } else {
      while (i < s.size() && s[i] != ',') elem += s[i++];
    }
    if (i < s.size() && s[i] == ',') ++i;
    if (!quoted && (elem == "NULL" || elem == "null")) {
      list.list.emplace_back();
      continue;
    }
    auto v = postgres_value(element, elem, why);
    if (!v) {
      why = "element " + std::to_string(list.list.size()) + ": " + why;
      return std::nullopt;
    }
    if (v->kind == Value::Kind::kList) {
      *v = Value();
      v->kind = Value::Kind::kOther;
    }
    list.list.push_back(std::move(*v));
  }
  return list;
}

}  // namespace

std::optional<std::string> postgres_dsn(const PostgresSpec& pg, std::string& why) {
  if (pg.dsn_env.empty()) return pg.dsn;
  const char* v = std::getenv(pg.dsn_env.c_str());
  if (!v || !*v) {
    why = "environment variable " + pg.dsn_env + " is not set (it should hold the PostgreSQL connection string)";
    return std::nullopt;
  }
  return std::string(v);
}

std::string postgres_statement(const PostgresSpec& pg) {
  if (!pg.query.empty()) return pg.query;
  std::string table;
  std::string_view t = pg.table;
  size_t dot = t.find('.');
  table = dot == std::string_view::npos ? quote_ident(t) : quote_ident(t.substr(0, dot)) + "." + quote_ident(t.substr(dot + 1));
  std::string order;
  for (const std::string& c : pg.order_by) order += (order.empty() ? "" : ", ") + quote_ident(c);
  return "SELECT * FROM " + table + " ORDER BY " + (order.empty() ? std::string("1") : order);
}

std::optional<Value> postgres_value(uint32_t oid, std::string_view s, std::string& why) {
  switch (oid) {
    case kBool: {
      Value v;
      v.kind = Value::Kind::kBool;
      if (s == "t" || s == "true") v.number = 1;
      else if (s == "f" || s == "false") v.number = 0;
      else {
        why = quote_value(s) + " is not a boolean";
        return std::nullopt;
      }
      return v;
    }
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      int64_t i = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
      if (ec != std::errc() || end != s.data() + s.size()) {
        why = quote_value(s) + " is not an integer";
        return std::nullopt;
      }
      return number(static_cast<double>(i), true, i);
    }
    case kFloat4:
    case kFloat8:
    case kNumeric: {
      double d = 0;
      if (!parse_double(s, d)) {
        why = quote_value(s) + " is not a finite number";
        return std::nullopt;
      }
      int64_t i = 0;
      if (oid == kNumeric && s.find_first_of(".eE") == std::string_view::npos) {
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
        if (ec == std::errc() && end == s.data() + s.size()) return number(d, true, i);
      }
      return number(d, false, 0);
    }
    case kJson:
    case kJsonb: {
      nlohmann::json j;
      if (!parse_json(s, j, why)) {
        why = "invalid JSON at " + why;
        return std::nullopt;
      }
      return value_from_json(j);
    }
    case kDate:
    case kTimestamp:
    case kTimestampTz: return text(rfc3339(s, oid));
    default:
      if (uint32_t e = element_type(oid)) return array_value(e, s, why);
      return text(std::string(s));
  }
}

uint64_t read_postgres(const SourceSpec& src, ErrorList& errors,
                       const std::function<bool(const std::vector<std::string>&)>& columns,
                       const std::function<bool(Record&&)>& row) {
  std::string why;
  std::optional<std::string> dsn = postgres_dsn(src.postgres, why);
  if (!dsn) {
    errors.add(src.name + ": " + why);
    return 0;
  }
  // Defaults first: a connect_timeout or application_name in the DSN overrides them.
  const std::string timeout = std::to_string(kPostgresConnectTimeout);
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "tailor", dsn->c_str(), nullptr};
  Conn conn(PQconnectdbParams(keys, values, 1));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    errors.add_io(src.name + ": cannot connect to PostgreSQL: " + one_line(conn ? PQerrorMessage(conn.get()) : "out of memory"));
    return 0;
  }
  // Text output in fixed styles, whatever the server's defaults; never write.
  Result setup(PQexec(conn.get(),
                      "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1; "
                      "SET default_transaction_read_only = on"));
  if (PQresultStatus(setup.get()) != PGRES_COMMAND_OK) {
    errors.add_io(src.name + ": cannot set up the session: " + one_line(PQerrorMessage(conn.get())));
    return 0;
  }
  const std::string statement = postgres_statement(src.postgres);
  if (!PQsendQueryParams(conn.get(), statement.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) ||
      !PQsetSingleRowMode(conn.get())) {
    errors.add_io(src.name + ": cannot send the query: " + one_line(PQerrorMessage(conn.get())));
    return 0;
  }
  std::shared_ptr<std::vector<std::string>> names;
  std::vector<uint32_t> types;
  uint64_t n = 0;
  // Leaving the loop early drops the connection (Conn), which abandons the rest of the result.
  while (true) {
    Result res(PQgetResult(conn.get()));
    if (!res) break;
    ExecStatusType st = PQresultStatus(res.get());
    if (st == PGRES_FATAL_ERROR) {
      std::string msg = one_line(PQresultErrorField(res.get(), PG_DIAG_MESSAGE_PRIMARY));
      if (const char* pos = PQresultErrorField(res.get(), PG_DIAG_STATEMENT_POSITION))
        msg += " at character " + std::string(pos);
      if (const char* code = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE)) msg += " (SQLSTATE " + std::string(code) + ")";
      if (PQstatus(conn.get()) == CONNECTION_BAD)
        errors.add_io(src.name + ": connection lost after " + std::to_string(n) + " rows: " + msg);
      else
        errors.add(src.name + ": query failed: " + msg);
      return n;
    }
    if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK) {
      errors.add(src.name + ": the statement returned no rows (" + std::string(PQresStatus(st)) +
                 "); a source needs a SELECT");
      return n;
    }
    if (!names) {
      names = std::make_shared<std::vector<std::string>>();
      std::unordered_set<std::string> seen;
      bool ok = true;
      for (int c = 0; c < PQnfields(res.get()); ++c) {
        names->push_back(PQfname(res.get(), c));
        types.push_back(PQftype(res.get(), c));
        if (!seen.insert(names->back()).second) {
          errors.add(src.name + ": duplicate column " + quote_value(names->back()) + " in the result");
          ok = false;
        }
      }
      if (!ok || !columns(*names)) return n;
    }
    for (int r = 0; r < PQntuples(res.get()); ++r) {
      ++n;
      Location where{&src.name, n, false, true};
      std::vector<Value> vals(names->size());
      bool ok = true;
      for (size_t c = 0; c < names->size(); ++c) {
        const int ci = static_cast<int>(c);
        if (PQgetisnull(res.get(), r, ci)) continue;
        std::string_view s(PQgetvalue(res.get(), r, ci), static_cast<size_t>(PQgetlength(res.get(), r, ci)));
        auto v = postgres_value(types[c], s, why);
        if (!v) {
          errors.add(where.str() + ": field '" + (*names)[c] + "': " + why);
          ok = false;
          continue;
        }
        vals[c] = std::move(*v);
      }
      if (errors.full()) return n;
      if (!ok) continue;
      if (!row(Record(names, std::move(vals), where))) return n;
    }
  }
  return n;
}

}  // namespace tailor::sync
