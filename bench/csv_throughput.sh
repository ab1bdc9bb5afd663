#!/usr/bin/env bash
# bench/csv_throughput.sh — CSV parse throughput of kiln's reader (src/io/csv.c) in MB/s per
# core on the db-benchmark group-by table, next to `wc -l` (the memory-bandwidth floor) and
# `cat > /dev/null` on the same file.
#
#   bash bench/csv_throughput.sh [FILE] [RUNS]
#   BUILD=/tmp/build-csv bash bench/csv_throughput.sh      # use a given build's libkiln.a
#
# It builds bench/csv_bench.c (a tiny driver using io/csv.h directly) against $BUILD/libkiln.a
# (default: build/, configured and built in Release if missing), then measures, best of RUNS:
#   csv_next (sequential path), 1 worker and 2 workers (csv_worker_*), each with all 9 columns
#   converted and with 1 column (id4, BIGINT) converted.
# Writes bench/results/csv-throughput-<date>.md and prints it. The machine may be shared: the
# report records the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-bench/data/G1_10000000.csv}
RUNS=${2:-3}
BUILD=${BUILD:-build}
[ -f "$FILE" ] || { echo "missing $FILE (generate it: bench/gen_groupby 10000000 100 $FILE)" >&2; exit 1; }
if [ ! -f "$BUILD/libkiln.a" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target kiln_static >/dev/null
fi
BIN=$(mktemp -d)/csv_bench
cc -O2 -D_GNU_SOURCE -I include -I src bench/csv_bench.c "$BUILD/libkiln.a" \
  -lz -lzstd -lxxhash -lpthread -lm -o "$BIN"

SIZE=$(stat -c %s "$FILE")
MB=$(awk -v s="$SIZE" 'BEGIN{printf "%.1f", s/1e6}')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
cat "$FILE" > /dev/null # warm the page cache

best_time() { # best wall time of RUNS runs of a command
  local best=
  for _ in $(seq "$RUNS"); do
    local t0 t1 t
    t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N)
    t=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
  done
  echo "$best"
}
T_WC=$(best_time wc -l "$FILE")
T_CAT=$(best_time sh -c "cat '$FILE' > /dev/null")
mbps() { awk -v m="$MB" -v t="$1" -v c="${2:-1}" 'BEGIN{printf "%.0f", m/t/c}'; }

rows=()
for mode in "0:csv_next" "1:1 worker" "2:2 workers"; do
  w=${mode%%:*}; label=${mode#*:}
  for cols in all 3; do
    out=$("$BIN" "$FILE" "$w" "$cols" "$RUNS")
    sec=$(sed -E 's/.*seconds=([0-9.]+).*/\1/' <<<"$out")
    tot=$(sed -E 's/.*MBps=([0-9.]+) .*/\1/' <<<"$out")
    per=$(sed -E 's/.*MBps_per_core=([0-9.]+).*/\1/' <<<"$out")
    [ "$cols" = all ] && what="all 9 columns" || what="1 column (id4)"
    rows+=("| $label | $what | $sec | $tot | $per |")
  done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
DATE=$(date +%Y-%m-%d)
mkdir -p bench/results
OUT=bench/results/csv-throughput-$DATE.md
{
  echo "# CSV parse throughput — $DATE"
  echo
  echo "File: \`$FILE\` ($MB MB, page cache warm). Best of $RUNS runs. Machine: $(nproc) cores,"
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Load average before: $LOAD0; after: $LOAD1 (shared machine: numbers are noisy)."
  echo "Timing includes csv_open (sniffing, type inference on 20480 rows). MB = 10^6 bytes."
  echo
  echo "| reader | converted | seconds | MB/s | MB/s per core |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo "| \`wc -l\` | (floor) | $T_WC | $(mbps "$T_WC") | $(mbps "$T_WC") |"
  echo "| \`cat > /dev/null\` | (read only) | $T_CAT | $(mbps "$T_CAT") | $(mbps "$T_CAT") |"
} > "$OUT"
cat "$OUT"
