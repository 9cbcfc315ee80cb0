#!/bin/sh
# Smoke run of the scale benchmark's generator at a tiny size: the generated tenant builds, its
# events (every kind, searches included) make profiles, and an incremental run continues them.
# Timing is bench/sync_scale's business, not this test's.
set -eu
tailor=$1
gen=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$gen" "$work" 2000 20000 500 8
"$gen" "$work/again" 2000 20000 500 8
cmp "$work/items.csv" "$work/again/items.csv"        # deterministic
cmp "$work/events.ndjson" "$work/again/events.ndjson"
"$tailor" build --config "$work/tailor.json" --out "$work/snap.tsnap" --json >/dev/null
head -n 15000 "$work/events.ndjson" >"$work/a.ndjson"
tail -n +15001 "$work/events.ndjson" >"$work/b.ndjson"
"$tailor" profiles --snapshot "$work/snap.tsnap" --events "$work/a.ndjson" --out "$work/p" --json >"$work/a.json"
"$tailor" profiles --snapshot "$work/snap.tsnap" --events "$work/b.ndjson" --out "$work/p" --previous "$work/p" \
  --json >"$work/b.json"
grep -q '"ok":true' "$work/b.json"
grep -q '"previous_profiles":[1-9]' "$work/b.json"
grep -q '"searches_matched":[1-9]' "$work/a.json"
n=$(ls "$work/p" | grep -c '\.tprof$')
[ "$n" -gt 400 ] || { echo "only $n profiles"; exit 1; }
if grep -rl "example.com" "$work/p" >/dev/null; then echo "raw user id in the output"; exit 1; fi
echo "ok: $n profiles"
