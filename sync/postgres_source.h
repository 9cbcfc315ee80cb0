// PostgreSQL sources through libpq: a table or one query, streamed row by row (single-row mode,
// so memory stays bounded whatever the table size), values mapped to Record values by column type.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "errors.h"
#include "record.h"
#include "source.h"

namespace tailor::sync {

// Seconds libpq waits for a connection unless the DSN sets connect_timeout.
constexpr int kPostgresConnectTimeout = 10;

// The connection string of `pg`: the literal `dsn` or the value of `dsn_env`. nullopt (with
// `why`) when the variable is unset or empty.
std::optional<std::string> postgres_dsn(const PostgresSpec& pg, std::string& why);

// The statement run for `pg`: its query, or SELECT * FROM the quoted table ORDER BY order_by
// (default: the first column) so a snapshot does not depend on the table's physical order.
std::string postgres_statement(const PostgresSpec& pg);

// One value in PostgreSQL's text output format as a Value, by the column's type oid: booleans,
// integers, numeric and floats become numbers, json/jsonb parsed, one-dimensional arrays of those
// lists, timestamps RFC 3339 text, everything else text. nullopt (with `why`) when the text
// cannot be read (NaN, Infinity, a multi-dimensional array, bad JSON).
std::optional<Value> postgres_value(uint32_t type_oid, std::string_view text, std::string& why);

// Streams the rows of a postgres source: `columns` gets the result's column names once (before any
// row; return false to stop), `row` every row (return false to stop). Returns the rows read.
uint64_t read_postgres(const SourceSpec& source, ErrorList& errors,
                       const std::function<bool(const std::vector<std::string>&)>& columns,
                       const std::function<bool(Record&&)>& row);

}  // namespace tailor::sync
