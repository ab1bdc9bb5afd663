#!/usr/bin/env bash
# run.sh — the differential test against DuckDB (ctest: diff.duckdb).
#
# Usage: tests/diff/run.sh <path to kiln_json> [more difftest.mjs arguments]
# Installs the DuckDB node package into bench/node_modules when it is missing (idempotent: a
# no-op when present), then runs tests/diff/difftest.mjs with seed 42, 2000 queries and the
# default features. Builds nothing. Exit status: difftest's (0 = no differences).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 1 ]; then
  echo "usage: tests/diff/run.sh <path to kiln_json> [difftest args]" >&2
  exit 2
fi
kiln_json=$1
shift

if ! command -v node >/dev/null 2>&1; then
  echo "diff: node is not installed (needed for the DuckDB oracle)" >&2
  exit 2
fi
if [ ! -f bench/node_modules/@duckdb/node-api/package.json ]; then
  echo "diff: installing @duckdb/node-api into bench/node_modules" >&2
  npm install --prefix bench --no-audit --no-fund >&2
fi

exec node tests/diff/difftest.mjs --kiln "$kiln_json" --seed 42 --queries 2000 "$@"
