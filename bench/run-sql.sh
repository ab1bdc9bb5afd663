#!/usr/bin/env bash
# run-sql.sh — the SQL-issue figures: a 10-million-row fact file joined with a 100,000-row
# dimension file, and the db-benchmark "two largest v3 per id6" window query, in kiln and in
# DuckDB in the same run (fresh process per run, RUNS runs, median; peak RSS by /usr/bin/time).
#
# Usage: bash bench/run-sql.sh            (RUNS=3, KILN=build/kiln)
# Writes bench/results/sql-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
KILN="${KILN:-build/kiln}"
N=10000000
FACT="bench/data/G1_${N}.csv"
DIM="bench/data/dim_100000.csv"
OUT="bench/results/sql-$(date +%Y-%m-%d).md"

[ -x "$KILN" ] || make
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
if [ ! -x bench/gen_groupby ] || [ bench/gen_groupby.c -nt bench/gen_groupby ]; then
  cc -O2 -std=gnu17 -Wall -o bench/gen_groupby bench/gen_groupby.c
fi
mkdir -p bench/data bench/results
[ -s "$FACT" ] || { bench/gen_groupby "$N" 100 "$FACT.tmp" && mv "$FACT.tmp" "$FACT"; }
# the dimension: one row per id6 value (1..100000), made by kiln itself
[ -s "$DIM" ] || "$KILN" -c "COPY (SELECT range AS id6, 'name' || range AS name, range % 7 AS grp FROM range(1, 100001)) TO '$DIM'"
[ -d bench/node_modules/@duckdb/node-api ] || npm install --prefix bench --no-audit --no-fund >/dev/null

QUERIES=(
  "SELECT d.grp, count(*) AS n, sum(f.v1) AS v1, avg(f.v3) AS v3 FROM '$FACT' f JOIN '$DIM' d ON f.id6 = d.id6 GROUP BY d.grp"
  "SELECT id6, v3 FROM (SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS r FROM '$FACT' WHERE v3 IS NOT NULL) WHERE r <= 2"
)
NAMES=("join 10M x 100K, group by" "window: two largest v3 per id6")

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
peak() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }

{
  echo "# SQL figures — $(date +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Each run is a fresh process; kiln time is the statement (\`--timer\`), DuckDB time the statement inside node"
  echo "(@duckdb/node-api, bench/duckdb_run.mjs). Median of $RUNS runs; peak MB = max RSS of the process."
  echo
  echo "| query | kiln s | kiln peak MB | DuckDB s | DuckDB peak MB | kiln/DuckDB |"
  echo "|---|---|---|---|---|---|"
} > "$OUT.tmp"
for i in "${!QUERIES[@]}"; do
  q="CREATE TABLE ans AS ${QUERIES[$i]}"
  kt=(); dt=(); kp=0; dp=0
  for r in $(seq "$RUNS"); do
    /usr/bin/time -v "$KILN" --timer -c "$q" >/dev/null 2>/tmp/kiln_sql.err
    kt+=("$(awk '/Run Time/ {print $3}' /tmp/kiln_sql.err | tail -1)")
    p=$(peak /tmp/kiln_sql.err); [ "$p" -gt "$kp" ] && kp=$p
    /usr/bin/time -v node bench/duckdb_run.mjs "$q" >/tmp/duck_sql.out 2>/tmp/duck_sql.err
    dt+=("$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' /tmp/duck_sql.out)")
    p=$(peak /tmp/duck_sql.err); [ "$p" -gt "$dp" ] && dp=$p
  done
  km=$(printf '%s\n' "${kt[@]}" | median); dm=$(printf '%s\n' "${dt[@]}" | median)
  ratio=$(awk -v a="$km" -v b="$dm" 'BEGIN {printf "%.2f", a / b}')
  echo "| ${NAMES[$i]} | $km | $kp | $dm | $dp | $ratio |" >> "$OUT.tmp"
  echo "${NAMES[$i]}: kiln $km s ($kp MB), DuckDB $dm s ($dp MB)" >&2
done
{
  echo
  echo "Queries (each run as \`CREATE TABLE ans AS …\`):"
  for i in "${!QUERIES[@]}"; do echo "- ${NAMES[$i]}: \`${QUERIES[$i]}\`"; done
} >> "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT"
