#!/usr/bin/env bash
# Runs both fuzzers for a bounded number of inputs, seeded with a real snapshot and the
# conformance requests. Usage: run.sh TAILOR_CLI FUZZ_BIN_DIR RUNS
set -euo pipefail
cli=$1 bin=$2 runs=$3
here=$(cd "$(dirname "$0")" && pwd)
for f in fuzz_snapshot fuzz_request; do
  [ -x "$bin/$f" ] || { echo "$bin/$f missing: cmake --preset fuzz && cmake --build --preset fuzz (needs clang-14, libclang-rt-14-dev)"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/snap" "$work/req"
"$cli" build --config "$here/../conformance/basics/tailor.json" --out "$work/snap/basics.tsnap" >/dev/null 2>&1
"$cli" build --config "$here/../conformance/int8/tailor.json" --out "$work/snap/int8.tsnap" >/dev/null 2>&1
cp "$here"/../conformance/basics/vectors/*.request.json "$work/req/"
"$bin/fuzz_snapshot" -runs="$runs" -max_len=65536 -seed=1 "$work/snap" 2>&1 | tail -3
TAILOR_FUZZ_SNAPSHOT="$work/snap/basics.tsnap" "$bin/fuzz_request" -runs="$runs" -max_len=4096 -seed=1 \
  -dict="$here/request.dict" "$work/req" 2>&1 | tail -3
