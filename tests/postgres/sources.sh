#!/usr/bin/env bash
# PostgreSQL sources against the real server of the "postgres" fixture (server.sh):
#   sources.sh TAILOR FIXTURE_DIR same    CSV, PostgreSQL table and query build the same snapshot bytes
#   sources.sh TAILOR FIXTURE_DIR errors  bad rows, missing columns, query errors, unreachable database
#   sources.sh TAILOR FIXTURE_DIR b2b     accounts and price lists from typed tables build the same
#                                         snapshot as the B2B example's CSV files; bad rows
#   sources.sh TAILOR FIXTURE_DIR events  `tailor profiles --events-source`: profiles from a table and
#                                         a query equal those from NDJSON; bad rows, missing columns,
#                                         unreachable database
#   sources.sh TAILOR FIXTURE_DIR segments segment definitions (segments_source) from a table with a
#                                         jsonb condition and from a query with text conditions build
#                                         the snapshot of the same segments in tailor.json; bad rows,
#                                         duplicates, missing column, unreachable database
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
  b2b)
    # The B2B example's accounts and price lists as typed tables (arrays, numeric, integer).
    b2b="$here/../../examples/b2b-manufacturer"
    "${psql[@]}" <<'SQL'
CREATE TABLE raw_accounts (id text, name text, parent text, currency text, spending_limit text, approver text,
  allow_items text, deny_items text, allow_categories text, deny_categories text);
CREATE TABLE raw_prices (pos serial, list text, item text, price text, min_quantity text);
SQL
    "${psql[@]}" -c "\\copy raw_accounts FROM '$b2b/accounts.csv' WITH (FORMAT csv, HEADER true)"
    for f in "$b2b"/prices-*.csv; do
      list=$(basename "$f" .csv)
      "${psql[@]}" -c "\\copy raw_prices (item, price, min_quantity) FROM '$f' WITH (FORMAT csv, HEADER true)" \
        -c "UPDATE raw_prices SET list = '${list#prices-}' WHERE list IS NULL"
    done
    "${psql[@]}" <<'SQL'
CREATE TABLE crm_accounts AS SELECT id AS account_id, name AS display_name, nullif(parent, '') AS parent,
  nullif(currency, '') AS currency, nullif(spending_limit, '')::numeric AS spending_limit, nullif(approver, '') AS approver,
  string_to_array(nullif(allow_items, ''), '|') AS allow_items, string_to_array(nullif(deny_items, ''), '|') AS deny_items,
  string_to_array(nullif(allow_categories, ''), '|') AS allow_categories,
  string_to_array(nullif(deny_categories, ''), '|') AS deny_categories FROM raw_accounts;
CREATE TABLE contract_prices AS SELECT pos, list, item AS sku, price::numeric AS unit_price,
  min_quantity::integer AS min_quantity FROM raw_prices;
CREATE TABLE bad_prices AS SELECT * FROM contract_prices;
UPDATE bad_prices SET unit_price = -1 WHERE list = 'acme' AND sku = 'p100';
UPDATE bad_prices SET min_quantity = 0 WHERE list = 'acme' AND sku = 'h100';
SQL
    b2b_config() {  # b2b_config NAME JS: the example's tailor.json with absolute paths and `JS` applied
      node -e '
        const fs = require("fs"), path = require("path");
        const [dir, out, js] = process.argv.slice(1);
        const c = JSON.parse(fs.readFileSync(path.join(dir, "tailor.json"), "utf8"));
        const abs = (s) => { if (s && s.path) s.path = path.join(dir, s.path); };
        for (const k of ["items", "categories", "accounts"]) abs(c[k]);
        for (const pl of c.price_lists) abs(pl.prices);
        new Function("c", js)(c);
        fs.writeFileSync(out, JSON.stringify(c, null, 2));
      ' "$b2b" "$work/$1.json" "$2"
    }
    PRICES='(table) => (pl) => { pl.prices = {postgres: {dsn_env: "TAILOR_PG_DSN", query: `select sku, unit_price, min_quantity from ${table} where list = ${"\x27"}${pl.prices.path.replace(/.*prices-|\.csv$/g, "")}${"\x27"} order by pos`}, map: {item: "sku", price: "unit_price"}}; }'
    b2b_config csv ''
    b2b_config pg "c.accounts = {postgres: {dsn_env: \"TAILOR_PG_DSN\", table: \"crm_accounts\"}, map: {id: \"account_id\", name: \"display_name\"}};
                   c.price_lists.forEach(($PRICES)(\"contract_prices\"))"
    for n in csv pg; do
      "$tailor" build --config "$work/$n.json" --out "$work/$n.tsnap" 2>"$work/$n.err" || { fail "$n: build failed"; cat "$work/$n.err" >&2; }
    done
    cmp "$work/csv.tsnap" "$work/pg.tsnap" && echo "ok: accounts and price lists from PostgreSQL == from CSV" \
      || fail "the PostgreSQL B2B snapshot differs from the CSV one"
    b2b_config bad_prices "c.price_lists.forEach(($PRICES)(\"bad_prices\"))"
    expect bad_prices 1 "postgres:price_lists\[0\]\.prices\.postgres\.query row [0-9]+: field 'price' \(column 'unit_price'\)|postgres:price_lists\[0\]\.prices\.postgres\.query row [0-9]+: .*price"
    grep -Eq "min_quantity" "$work/bad_prices.err" && echo "ok: bad_prices: min_quantity 0 reported" \
      || { fail "bad_prices: min_quantity not reported"; cat "$work/bad_prices.err" >&2; }
    b2b_config missing_account_column "c.accounts = {postgres: {dsn_env: \"TAILOR_PG_DSN\", table: \"crm_accounts\"}, map: {id: \"acct\"}}"
    expect missing_account_column 1 "postgres:crm_accounts: accounts.map.id: unknown column 'acct'"
    ;;
  events)
    # The same events as a typed table and as NDJSON written from it, so both carry the same data.
    "${psql[@]}" <<'SQL'
CREATE TABLE events (n serial, user_id text, kind text, item text, query text, ts timestamptz,
  purposes text[], account text, segments text[]);
INSERT INTO events (user_id, kind, item, query, ts, purposes, account, segments) VALUES
  ('fan', 'consent', NULL, NULL, '2025-11-23 12:13:20+00', '{personalization}', NULL, NULL),
  ('fan', 'view', 'i01', NULL, '2025-11-23 15:00:00+00', NULL, NULL, NULL),
  ('fan', 'view', 'i08', NULL, '2025-11-23 17:46:40+00', NULL, NULL, NULL),
  ('fan', 'cart', 'i08', NULL, '2025-11-23 20:33:20+00', NULL, NULL, NULL),
  ('fan', 'purchase', 'i08', NULL, '2025-11-23 23:20:00+00', NULL, NULL, NULL),
  ('fan', 'search', NULL, 'trail running shoes', '2025-11-24 01:00:00+00', NULL, NULL, NULL),
  ('ana', 'view', 'i02', NULL, '2025-11-22 08:00:00+00', NULL, NULL, NULL),
  ('ana', 'view', 'i99', NULL, '2025-11-22 08:05:00+00', NULL, NULL, NULL),
  ('ana', 'consent', NULL, NULL, '2025-11-22 08:00:00+00', '{}', NULL, NULL),
  ('ana', 'identify', NULL, NULL, '2025-11-22 09:00:00+00', NULL, 'acct-7', '{vip,newsletter}'),
  ('bo', 'view', 'i03', NULL, '2025-11-21 10:00:00+00', NULL, NULL, NULL),
  ('bo', 'view', 'i03', NULL, '2025-11-21 10:00:00+00', NULL, NULL, NULL);
-- Segment membership from a CRM table, read as identify events.
CREATE TABLE crm (customer text, tiers text, updated timestamptz);
INSERT INTO crm VALUES ('fan', 'gold|vip', '2025-11-24 02:00:00+00'), ('bo', 'silver', '2025-11-24 02:00:00+00');
-- Profile traits from a CRM table (attributes on profiles, tailor profiles --traits).
CREATE TABLE traits (customer text, tier text, ltv numeric, interests text[]);
INSERT INTO traits VALUES ('fan', 'gold', 1520.5, '{running,hiking}'), ('bo', NULL, 12, NULL), ('zed', 'silver', NULL, NULL);
CREATE TABLE bad_events AS SELECT * FROM events;
UPDATE bad_events SET kind = 'bogus' WHERE n = 3;
UPDATE bad_events SET user_id = NULL WHERE n = 5;
UPDATE bad_events SET item = NULL WHERE n = 7;
SQL
    "${psql[@]}" -tA -c "select json_strip_nulls(json_build_object('user', user_id, 'type', kind, 'item', item,
        'query', query, 'ts', extract(epoch from ts)::bigint, 'purposes', purposes, 'account', account,
        'segments', segments)) from events order by n" >"$work/events.ndjson"
    config csv ''
    "$tailor" build --config "$work/csv.json" --out "$work/basics.tsnap" || fail "basics: build failed"
    profiles() {  # profiles NAME ARGS...: tailor profiles into $work/NAME, stderr in $work/NAME.err
      local name=$1; shift
      "$tailor" profiles --snapshot "$work/basics.tsnap" --out "$work/$name" --now 2025-11-25T00:00:00Z "$@" \
        2>"$work/$name.err"
    }
    same_profiles() {  # same_profiles A B: the same .tprof files with the same bytes
      local a=$1 b=$2 f n=0
      for f in "$work/$a"/*.tprof; do
        cmp -s "$f" "$work/$b/$(basename "$f")" || { fail "$b: $(basename "$f") differs from $a's"; return; }
        n=$((n + 1))
      done
      [[ $(ls "$work/$b" | grep -c '\.tprof$') -eq $n && $n -gt 0 ]] || { fail "$b: not the $n profiles of $a"; return; }
      echo "ok: $b: the same $n profiles as $a"
    }
    profiles ndjson --events "$work/events.ndjson" || fail "ndjson: profiles failed"
    # The tenant config names the source (tailor.json#events), a map renames user_id and kind.
    node -e '
      const fs = require("fs"), [f] = process.argv.slice(1), c = JSON.parse(fs.readFileSync(f, "utf8"));
      c.events = {postgres: {dsn_env: "TAILOR_PG_DSN", table: "events", order_by: "n"},
                  map: {user: "user_id", type: "kind"}};
      fs.writeFileSync(f, JSON.stringify(c, null, 2));
    ' "$work/csv.json"
    profiles table --events-source "$work/csv.json#events" --json >"$work/table.json" || fail "table: profiles failed"
    same_profiles ndjson table
    grep -q '"events":12' "$work/table.json" && grep -q '"skipped":1' "$work/table.json" \
      && echo "ok: table: 12 events, 1 skipped (unknown item)" || fail "table: summary: $(cat "$work/table.json")"
    profiles query --events-source '{"postgres": {"dsn_env": "TAILOR_PG_DSN", "query": "select user_id as user, kind as type, item, query, ts, purposes, account, segments from events order by n"}}' \
      || fail "query: profiles failed"
    same_profiles ndjson query
    # Segments from a CRM table as identify events, applied on top of the previous build.
    profiles crm --previous "$work/table" --events-source '{"postgres": {"dsn_env": "TAILOR_PG_DSN", "query": "select customer, tiers, updated from crm order by customer"}, "map": {"user": "customer", "type": {"value": "identify"}, "segments": {"column": "tiers", "split": "|"}, "ts": "updated"}}' \
      --json >"$work/crm.json" || fail "crm: profiles failed"
    grep -q '"events":2' "$work/crm.json" && grep -q '"previous_profiles":3' "$work/crm.json" \
      && echo "ok: crm: segment memberships applied incrementally" || fail "crm: summary: $(cat "$work/crm.json")"
    # Profile traits from a table equal those from the same rows as CSV; a bad row is located.
    config traits 'c.attributes = (c.attributes || []).concat([{name: "tier", type: "categorical", on: "profiles"},
      {name: "ltv", type: "number", on: "profiles"}, {name: "interests", type: "tags", on: "profiles"}]);
      c.profile_traits = {postgres: {dsn_env: "TAILOR_PG_DSN", table: "traits", order_by: "customer"}, map: {user: "customer"}};'
    "$tailor" build --config "$work/traits.json" --out "$work/traits.tsnap" || fail "traits: build failed"
    printf 'customer,tier,ltv,interests\nbo,,12,\nfan,gold,1520.5,running|hiking\nzed,silver,,\n' >"$work/traits.csv"
    for t in traits-pg traits-csv; do
      spec="$work/traits.json#profile_traits"
      [[ $t == traits-csv ]] && spec="{\"path\": \"$work/traits.csv\", \"map\": {\"user\": \"customer\"}}"
      "$tailor" profiles --snapshot "$work/traits.tsnap" --out "$work/$t" --now 2025-11-25T00:00:00Z \
        --events "$work/events.ndjson" --traits "$spec" --json >"$work/$t.out" 2>"$work/$t.err" || fail "$t: profiles failed"
    done
    grep -q '"trait_rows":3' "$work/traits-pg.out" && echo "ok: traits-pg: 3 rows" || fail "traits-pg: $(cat "$work/traits-pg.out")"
    same_profiles traits-csv traits-pg
    rc=0; "$tailor" profiles --snapshot "$work/traits.tsnap" --out "$work/traits-bad" \
      --traits '{"postgres": {"dsn_env": "TAILOR_PG_DSN", "query": "select customer as user, '"'"'lots'"'"' as ltv from traits order by customer"}}' \
      2>"$work/traits-bad.err" || rc=$?
    [[ $rc -eq 1 ]] && grep -q "row 1: field 'ltv': 'lots' is not a number" "$work/traits-bad.err" \
      && echo "ok: traits-bad: $(head -1 "$work/traits-bad.err")" || { fail "traits-bad: exit $rc"; cat "$work/traits-bad.err" >&2; }
    # Bad rows: source, row and field named; exit 1 and nothing written.
    rc=0; profiles bad --events-source '{"postgres": {"dsn_env": "TAILOR_PG_DSN", "table": "bad_events", "order_by": "n"}, "map": {"user": "user_id", "type": "kind"}}' || rc=$?
    [[ $rc -eq 1 ]] || fail "bad: exit $rc, expected 1"
    for pattern in "postgres:bad_events row 3: field 'type' \(column 'kind'\): unknown event type 'bogus'|postgres:bad_events row 3: field 'type': unknown event type 'bogus'" \
                   "postgres:bad_events row 5: field 'user'.*is required" \
                   "postgres:bad_events row 7: field 'item'.*is required"; do
      grep -Eq -- "$pattern" "$work/bad.err" && echo "ok: bad: /$pattern/" || { fail "bad: stderr lacks /$pattern/:"; cat "$work/bad.err" >&2; }
    done
    [[ -z $(ls "$work/bad" 2>/dev/null | grep '\.tprof$') ]] && echo "ok: bad: no profile written" || fail "bad: profiles written"
    # Missing column: the map names a column the table lacks; exit 1 before any row.
    rc=0; profiles missing --events-source '{"postgres": {"dsn_env": "TAILOR_PG_DSN", "table": "events"}, "map": {"user": "uid"}}' || rc=$?
    [[ $rc -eq 1 ]] && grep -q "postgres:events: events.map.user: unknown column 'uid' (the source has: n, user_id" "$work/missing.err" \
      && echo "ok: missing: $(head -1 "$work/missing.err")" || { fail "missing: exit $rc"; cat "$work/missing.err" >&2; }
    # Unreachable database: exit 4.
    rc=0; profiles unreachable --events-source '{"postgres": {"dsn": "postgresql://tailor@127.0.0.1:1/x?connect_timeout=5", "table": "events"}}' || rc=$?
    [[ $rc -eq 4 ]] && grep -Eq "postgres:events: cannot connect to PostgreSQL: .*(refused|failed)" "$work/unreachable.err" \
      && echo "ok: unreachable: exit 4" || { fail "unreachable: exit $rc"; cat "$work/unreachable.err" >&2; }
    # A config without the key, and an unset DSN variable: exit 1 with the path.
    rc=0; profiles nokey --events-source "$work/csv.json#clicks" || rc=$?
    [[ $rc -eq 1 ]] && grep -q "clicks: no such key" "$work/nokey.err" && echo "ok: nokey" || { fail "nokey: exit $rc"; cat "$work/nokey.err" >&2; }
    rc=0; profiles noenv --events-source '{"postgres": {"dsn_env": "TAILOR_TEST_UNSET_DSN", "table": "events"}}' || rc=$?
    [[ $rc -eq 1 ]] && grep -q "events.postgres.dsn_env: environment variable TAILOR_TEST_UNSET_DSN is not set" "$work/noenv.err" \
      && echo "ok: noenv" || { fail "noenv: exit $rc"; cat "$work/noenv.err" >&2; }
    ;;
  segments)
    "${psql[@]}" <<'SQL'
CREATE TABLE crm_segments (code text, label text, rule jsonb, pos integer);
INSERT INTO crm_segments VALUES
  ('vip', 'VIP', NULL, 1),
  ('eu-vip', 'EU VIP', '{"and": [{"in": ["vip", {"var": "segments"}]}, {"==": [{"var": "site"}, "eu"]}]}', 2),
  ('night', NULL, '{">=": [{"var": "time.hour"}, 22]}', 3);
CREATE TABLE bad_segments (n integer, code text, rule text);
INSERT INTO bad_segments VALUES (1, 'a', '{"foo": [1]}'), (2, NULL, NULL), (3, 'b', '{not json'),
  (4, 'c', '{"and": [true, {"in": ["vip", {"var": "segments"}]}, {"bar": 1}]}'), (5, 'a', NULL);
SQL
    SEGS='[{id: "vip", name: "VIP"},
           {id: "eu-vip", name: "EU VIP", condition: {and: [{in: ["vip", {var: "segments"}]}, {"==": [{var: "site"}, "eu"]}]}},
           {id: "night", condition: {">=": [{var: "time.hour"}, 22]}}]'
    # A slot shown only to eu-vip: a reference from tailor.json into the source's segments.
    SLOT='c.slots.push({id: "vip-only", strategy: c.slots[0].strategy, condition: {in: ["eu-vip", {var: "segments"}]}});'
    config json "$SLOT c.segments = $SEGS"
    config table "$SLOT c.segments_source = {postgres: {...$PG, table: \"crm_segments\", order_by: \"pos\"},
                                            map: {id: \"code\", name: \"label\", condition: \"rule\"}}"
    config query "$SLOT c.segments = [{id: \"vip\", name: \"VIP\"}];
                  c.segments_source = {postgres: {...$PG, query: \"select code as id, label as name, rule::text as condition from crm_segments where pos > 1 order by pos\"}}"
    for n in json table query; do
      "$tailor" build --config "$work/$n.json" --out "$work/$n.tsnap" 2>"$work/$n.err" || { fail "$n: build failed"; cat "$work/$n.err" >&2; }
    done
    cmp "$work/json.tsnap" "$work/table.tsnap" && echo "ok: segments from a table (jsonb conditions) == from tailor.json" \
      || fail "the table's segments snapshot differs from tailor.json's"
    cmp "$work/json.tsnap" "$work/query.tsnap" && echo "ok: segments from a query (text conditions) == from tailor.json" \
      || fail "the query's segments snapshot differs from tailor.json's"
    # The --json summary counts tailor.json's and the table's segments together.
    "$tailor" build --config "$work/table.json" --out "$work/table-json.tsnap" --json >"$work/table.out" 2>/dev/null \
      && grep -q '"segments":3,' "$work/table.out" && echo "ok: table: --json counts 3 segments" \
      || fail "table: --json summary: $(cat "$work/table.out")"
    # Bad rows: source, row and field named; exit 1.
    config bad_rows "c.segments_source = {postgres: {...$PG, table: \"bad_segments\"}, map: {id: \"code\", condition: \"rule\"}}"
    expect bad_rows 1 "postgres:bad_segments row 1: field 'condition': unknown operator 'foo'"
    for pattern in "postgres:bad_segments row 2: field 'id': is required" \
                   "postgres:bad_segments row 3: field 'condition': not JSON \(" \
                   "postgres:bad_segments row 4: field 'condition': and\[2\]: unknown operator 'bar'" \
                   "postgres:bad_segments row 5: field 'id': duplicate segment 'a' \(also postgres:bad_segments row 1\)"; do
      grep -Eq -- "$pattern" "$work/bad_rows.err" && echo "ok: bad_rows: /$pattern/" || { fail "bad_rows: stderr lacks /$pattern/:"; cat "$work/bad_rows.err" >&2; }
    done
    # A segment in both tailor.json and the table; a condition naming an unknown segment.
    config duplicate "c.segments = [{id: \"vip\"}]; c.segments_source = {postgres: {...$PG, table: \"crm_segments\", order_by: \"pos\"}, map: {id: \"code\", condition: \"rule\"}}"
    expect duplicate 1 "postgres:crm_segments row 1: field 'id': duplicate segment 'vip' \(also .*/duplicate.json: segments\[0\]\.id\)"
    config unknown_ref "c.segments_source = {postgres: {...$PG, query: \"select code as id, rule as condition from crm_segments where pos > 1 order by pos\"}}"
    expect unknown_ref 1 "postgres:segments_source.postgres.query row 1: field 'condition': and\[0\]\.in\[0\]: unknown segment 'vip'"
    # Missing column: named before any row; unreachable database: exit 4.
    config missing_column "c.segments_source = {postgres: {...$PG, table: \"crm_segments\"}, map: {id: \"code\", condition: \"rul\"}}"
    expect missing_column 1 "postgres:crm_segments: segments_source.map.condition: unknown column 'rul' \(the source has: code, label, rule, pos\)"
    config unreachable "c.segments_source = {postgres: {dsn: \"postgresql://tailor@127.0.0.1:1/x?connect_timeout=5\", table: \"crm_segments\"}}"
    expect unreachable 4 "postgres:crm_segments: cannot connect to PostgreSQL: .*(refused|failed)"
    ;;
  *) echo "sources.sh: unknown test '$what'" >&2; exit 2 ;;
esac

"${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" || true
if [[ $failures -gt 0 ]]; then
  echo "sources.sh $what: $failures failure(s)" >&2
  exit 1
fi
echo "sources.sh $what: all passed"
