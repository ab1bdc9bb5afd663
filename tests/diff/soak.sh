#!/usr/bin/env bash
# soak.sh — the long differential run (make soak): 100,000 random queries over 10 seeds
# (10,000 each), JOBS seeds at a time, each against its own kiln_json child and DuckDB.
#
# Usage: tests/diff/soak.sh <path to kiln_json> [difftest args, e.g. --features +join]
# Environment: SOAK_SEEDS (default "1 2 3 4 5 6 7 8 9 10"), SOAK_QUERIES (per seed, default
# 10000), SOAK_BIG_SEEDS (seeds whose tables get 500-3000 rows, so operators see several
# 2048-row chunks; default "9 10"), JOBS (parallel seeds, default nproc). Per-seed logs go to $SOAK_LOG_DIR (default a
# fresh temp dir). Prints every seed's differences, then "N passed, M failed"; exit 1 if M > 0.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ $# -lt 1 ]; then
  echo "usage: tests/diff/soak.sh <path to kiln_json> [difftest args]" >&2
  exit 2
fi
kiln_json=$1
shift
seeds=${SOAK_SEEDS:-1 2 3 4 5 6 7 8 9 10}
queries=${SOAK_QUERIES:-10000}
big_seeds=" ${SOAK_BIG_SEEDS-9 10} "
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
logdir=${SOAK_LOG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/kiln-soak.XXXXXX")}
mkdir -p "$logdir"

if [ ! -f bench/node_modules/@duckdb/node-api/package.json ]; then
  npm install --prefix bench --no-audit --no-fund >&2
fi

echo "soak: seeds [$seeds], $queries queries each, $jobs at a time; logs in $logdir"
start=$(date +%s)
running=0
for s in $seeds; do
  rows=()
  case "$big_seeds" in *" $s "*) rows=(--rows 500,3000) ;; esac
  node tests/diff/difftest.mjs --kiln "$kiln_json" --seed "$s" --queries "$queries" "${rows[@]}" "$@" \
    >"$logdir/seed-$s.log" 2>&1 &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

passed=0
failed=0
for s in $seeds; do
  log="$logdir/seed-$s.log"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "---- seed $s: no summary (setup failure or crash):"
    tail -n 20 "$log"
    failed=$((failed + 1))
    continue
  fi
  p=${line%% passed*}
  f=${line#*, }
  f=${f%% failed}
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$f" -gt 0 ]; then
    echo "---- seed $s: $f differences"
    grep -A 3 '^DIFFERENCE' "$log" | cut -c1-400
  fi
  grep -E '^seed ' "$log"
done
echo "soak: $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
