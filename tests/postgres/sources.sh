#!/usr/bin/env bash
# PostgreSQL sources against the real server of the "postgres" fixture (server.sh):
#   sources.sh TAILOR FIXTURE_DIR same    CSV, PostgreSQL table and query build the same snapshot bytes
#   sources.sh TAILOR FIXTURE_DIR errors  bad rows, missing columns, query errors, unreachable database
set -euo pipefail
tailor=${1:?usage: sources.sh TAILOR FIXTURE_DIR same|errors}
fixture=${2:?}
what=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
basics="$here/../conformance/basics"
if [[ ! -f "$fixture/env.sh" ]]; then
  echo "sources.sh: no server in $fixture (run the fixture: ctest -R 'postgres: ')" >&2
  exit 1
fi
source "$fixture/env.sh"
work="$fixture/work-$what"
rm -rf "$work"
mkdir -p "$work"
db="t_$what"
export PGOPTIONS="-c client_min_messages=warning"
psql=("$TAILOR_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 --no-psqlrc)
"${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
export PGDATABASE=$db
export TAILOR_PG_DSN="postgresql://tailor@127.0.0.1:$PGPORT/$db"
"${psql[@]}" -f "$here/load.sql"
"${psql[@]}" -c "\\copy raw_items FROM '$basics/items.csv' WITH (FORMAT csv, HEADER true)"
"${psql[@]}" -f "$here/items.sql"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# config NAME JS: writes $work/NAME.json = basics/tailor.json with `JS` applied to it (object `c`).
config() {
  node -e '
    const fs = require("fs"), path = require("path");
    const [src, out, basics, js] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(src, "utf8"));
    for (const k of ["items", "categories"]) if (c[k] && c[k].path) c[k].path = path.join(basics, c[k].path);
    new Function("c", js)(c);
    fs.writeFileSync(out, JSON.stringify(c, null, 2));
  ' "$basics/tailor.json" "$work/$1.json" "$basics" "$2"
}

# expect NAME CODE PATTERN: builds $work/NAME.json, wants exit CODE and PATTERN (grep -E) on stderr.
expect() {
  local name=$1 code=$2 pattern=$3 rc=0
  "$tailor" build --config "$work/$name.json" --out "$work/$name.tsnap" 2>"$work/$name.err" || rc=$?
  if [[ $rc -ne $code ]]; then fail "$name: exit $rc, expected $code; stderr:"; cat "$work/$name.err" >&2; return; fi
  if ! grep -Eq -- "$pattern" "$work/$name.err"; then
    fail "$name: stderr lacks /$pattern/:"; cat "$work/$name.err" >&2; return
  fi
  echo "ok: $name: $(grep -E -m1 -- "$pattern" "$work/$name.err")"
}

PG='{dsn_env: "TAILOR_PG_DSN"}'
MAP='{id: "sku", title: "name", tags: {column: "labels", split: "|"}}'

case "$what" in
  same)
    config csv ''
    config table "c.categories = {postgres: {...$PG, table: \"categories\", order_by: \"pos\"}};
                  c.items = {postgres: {...$PG, table: \"public.catalog\"}, map: $MAP};
                  c.inventory = {postgres: {...$PG, query: \"select sku, stock as on_hand from catalog where stock is not null\"},
                                 map: {id: \"sku\", stock: {column: \"on_hand\", type: \"integer\"}}}"
    config query "c.categories = {postgres: {...$PG, query: \"select id, name, parent from categories order by pos\"}};
                  c.items = {postgres: {...$PG, query: \"select sku as id, name as title, category, brand, price, popularity, published_at, stock, sites, embedding, rating, color, string_to_array(labels, '|') as tags from catalog order by sku\"}}"
    for n in csv table query; do
      "$tailor" build --config "$work/$n.json" --out "$work/$n.tsnap" || fail "$n: build failed"
    done
    cmp "$work/csv.tsnap" "$work/table.tsnap" && echo "ok: table snapshot == CSV snapshot" || fail "table snapshot differs from the CSV one"
    cmp "$work/csv.tsnap" "$work/query.tsnap" && echo "ok: query snapshot == CSV snapshot" || fail "query snapshot differs from the CSV one"
    ;;
  errors)
    "${psql[@]}" <<'SQL'
CREATE TABLE bad_items AS SELECT * FROM catalog;
ALTER TABLE bad_items ALTER COLUMN price TYPE text;
UPDATE bad_items SET price = 'abc' WHERE sku = 'i03';
UPDATE bad_items SET sku = NULL WHERE sku = 'i05';
UPDATE bad_items SET stock = -4 WHERE sku = 'i08';
CREATE TABLE nan_items AS SELECT * FROM catalog;
UPDATE nan_items SET price = 'NaN' WHERE sku = 'i02';
CREATE TABLE no_ids AS SELECT name, price FROM catalog;
SQL
    # Bad rows: named by source, row and field; exit 1.
    config bad_rows "c.items = {postgres: {...$PG, table: \"bad_items\"}, map: $MAP}"
    expect bad_rows 1 "postgres:bad_items row 3: field 'price': 'abc' is not a number"
    grep -q "postgres:bad_items row 5: field 'id' (column 'sku'): is required\|postgres:bad_items row [0-9]*: field 'id': is required" "$work/bad_rows.err" \
      && echo "ok: bad_rows: null id reported" || fail "bad_rows: null id not reported"
    grep -q "postgres:bad_items row [0-9]*: field 'stock': -4 is not a unit count" "$work/bad_rows.err" \
      && echo "ok: bad_rows: negative stock reported" || fail "bad_rows: negative stock not reported"
    config nan_rows "c.items = {postgres: {...$PG, table: \"nan_items\"}, map: $MAP}"
    expect nan_rows 1 "postgres:nan_items row 2: field 'price': 'NaN' is not a finite number"
    config bad_coerce "c.items = {postgres: {...$PG, table: \"catalog\"}, map: {...$MAP, popularity: {column: \"name\", type: \"integer\"}}}"
    expect bad_coerce 1 "postgres:catalog row 1: field 'popularity' \(column 'name'\): 'Road Runner' is not an integer"
    # Missing columns: a mapped column the table lacks, and a table without the id column.
    config missing_column "c.items = {postgres: {...$PG, table: \"catalog\"}, map: {...$MAP, title: \"nme\"}}"
    expect missing_column 1 "postgres:catalog: items.map.title: unknown column 'nme' \(the source has: sku, name, category"
    config no_ids "c.items = {postgres: {...$PG, table: \"no_ids\"}}"
    expect no_ids 1 "postgres:no_ids row 1: field 'id': is required"
    # Query errors: a table that does not exist, bad SQL, a statement that is not a SELECT.
    config no_table "c.items = {postgres: {...$PG, table: \"nope\"}}"
    expect no_table 1 "postgres:nope: query failed: relation \"nope\" does not exist .*SQLSTATE 42P01"
    config bad_sql "c.items = {postgres: {...$PG, query: \"select sku as id fro catalog\"}}"
    expect bad_sql 1 "postgres:items.postgres.query: query failed: syntax error at or near \"fro\" at character [0-9]+ \(SQLSTATE 42601\)"
    config write_sql "c.items = {postgres: {...$PG, query: \"delete from catalog returning sku as id\"}}"
    expect write_sql 1 "query failed: cannot execute DELETE in a read-only transaction"
    "${psql[@]}" -tA -c "select count(*) from catalog" | grep -qx 12 && echo "ok: catalog untouched" || fail "catalog was modified"
    # Unreachable database: nothing listens on port 1; exit 4 (like an unreadable file).
    config unreachable "c.items = {postgres: {dsn: \"postgresql://tailor@127.0.0.1:1/x?connect_timeout=5\", table: \"catalog\"}}"
    expect unreachable 4 "postgres:catalog: cannot connect to PostgreSQL: .*(refused|failed)"
    config no_database "c.items = {postgres: {dsn: \"postgresql://tailor@127.0.0.1:$PGPORT/no_such_db\", table: \"catalog\"}}"
    expect no_database 4 "postgres:catalog: cannot connect to PostgreSQL: .*database \"no_such_db\" does not exist"
    # The DSN's environment variable unset: a config error before anything is read.
    config no_env "c.items = {postgres: {dsn_env: \"TAILOR_TEST_UNSET_DSN\", table: \"catalog\"}}"
    expect no_env 1 "items.postgres.dsn_env: environment variable TAILOR_TEST_UNSET_DSN is not set"
    ;;
  *) echo "sources.sh: unknown test '$what'" >&2; exit 2 ;;
esac

"${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" || true
if [[ $failures -gt 0 ]]; then
  echo "sources.sh $what: $failures failure(s)" >&2
  exit 1
fi
echo "sources.sh $what: all passed"
