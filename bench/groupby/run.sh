#!/usr/bin/env bash
# run.sh — the db-benchmark (h2oai, maintained by DuckDB Labs) group-by suite: kiln vs DuckDB,
# Polars and pandas, ten questions, end-to-end from CSV and in memory.
#
# Usage: bash bench/groupby/run.sh [--rows 1e7|1e8] [--runs 3] [--peers duckdb,polars,pandas]
#                                  [--questions 1-10] [--timeout 600] [--threads N]
#                                  [--scaling 1,3,10|none]   (kiln also on 1 thread, end to end)
# Env:   KILN=build/kiln
#
# Builds kiln (make) if build/kiln is missing, builds bench/gen_groupby if needed, generates
# bench/data/G1_<rows>_1e2_0_0.csv if missing, installs the peers if missing (npm into bench/,
# python3-pandas through apt); a peer that cannot be installed is reported as n/a. Then runs
# bench/groupby/bench.mjs, which writes bench/results/groupby-<date>.{md,svg,json}.
# Exit status: 1 when kiln gave a WRONG answer or failed a question (the report is still written).
set -uo pipefail
cd "$(dirname "$0")/../.."

ROWS=1e7 RUNS=3 PEERS=duckdb,polars,pandas QUESTIONS=1-10 TIMEOUT=600 THREADS="$(nproc)" SCALING=1,3,10
KILN="${KILN:-build/kiln}"
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --peers) PEERS="$2"; shift 2 ;;
    --questions) QUESTIONS="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --scaling) SCALING="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
PEERS="${PEERS//none/}"

need_apt() { # need_apt <command-or-path> <package>
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 ..." >&2
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y "$2" >/dev/null 2>&1 || { $sudo apt-get update >/dev/null 2>&1 && $sudo apt-get install -y "$2" >/dev/null 2>&1; }
}
need_apt /usr/bin/time time
need_apt timeout coreutils
need_apt node nodejs
need_apt npm npm
command -v node >/dev/null || { echo "run.sh: node is required" >&2; exit 2; }

# kiln
if [ ! -x "$KILN" ]; then
  echo "building kiln (make) ..." >&2
  make >/dev/null || { echo "run.sh: make failed" >&2; exit 2; }
fi

# data
N=$(awk -v r="$ROWS" 'BEGIN { printf "%.0f", r }')
LABEL=$(node -e 'console.log(Number(process.argv[1]).toExponential().replace("e+", "e"))' "$N")
DATA="bench/data/G1_${LABEL}_1e2_0_0.csv"
if [ ! -x bench/gen_groupby ] || [ bench/gen_groupby.c -nt bench/gen_groupby ]; then
  cc -O2 -std=gnu17 -Wall -o bench/gen_groupby bench/gen_groupby.c || exit 2
fi
mkdir -p bench/data bench/results
if [ ! -s "$DATA" ]; then
  echo "generating $DATA (N=$N, K=100) ..." >&2
  bench/gen_groupby "$N" 100 "$DATA.tmp" && mv "$DATA.tmp" "$DATA" || { rm -f "$DATA.tmp"; exit 2; }
fi

# peers (idempotent: nothing is fetched when present)
UNAVAIL=()
has_peer() { [[ ",$PEERS," == *",$1,"* ]]; }
if has_peer duckdb || has_peer polars; then
  if [ ! -d bench/node_modules/@duckdb/node-api ] || [ ! -d bench/node_modules/nodejs-polars ] \
     || [ ! -d bench/node_modules/nodejs-polars-linux-x64-gnu ]; then
    echo "installing npm packages into bench/ ..." >&2
    npm install --prefix bench --no-audit --no-fund >/dev/null 2>&1 || echo "npm install failed" >&2
    # the native Polars binary is an optional dependency; npm skips it silently on mismatch
    if [ ! -d bench/node_modules/nodejs-polars-linux-x64-gnu ] && [ -d bench/node_modules/nodejs-polars ]; then
      v=$(node -p "require('./bench/node_modules/nodejs-polars/package.json').version")
      npm install --prefix bench --no-audit --no-fund --no-save "nodejs-polars-linux-x64-gnu@$v" >/dev/null 2>&1 || true
    fi
  fi
  has_peer duckdb && ! (cd bench && node -e "import('@duckdb/node-api')" >/dev/null 2>&1) \
    && UNAVAIL+=(--unavailable "duckdb=@duckdb/node-api not installable")
  has_peer polars && ! (cd bench && node -e "require('nodejs-polars')" >/dev/null 2>&1) \
    && UNAVAIL+=(--unavailable "polars=nodejs-polars (native linux-x64-gnu binary) not installable")
fi
if has_peer pandas && ! /usr/bin/python3 -c 'import pandas' >/dev/null 2>&1; then
  need_apt python3 python3-pandas
  dpkg -s python3-pandas >/dev/null 2>&1 || { local_sudo=; [ "$(id -u)" = 0 ] || local_sudo=sudo; $local_sudo apt-get install -y python3-pandas >/dev/null 2>&1; }
  /usr/bin/python3 -c 'import pandas' >/dev/null 2>&1 || UNAVAIL+=(--unavailable "pandas=python3-pandas not installable")
fi

exec node bench/groupby/bench.mjs --csv "$DATA" --rows "$ROWS" --rowsN "$N" --runs "$RUNS" \
  --peers "$PEERS" --questions "$QUESTIONS" --timeout "$TIMEOUT" --threads "$THREADS" \
  --scaling "$SCALING" --kiln "$KILN" "${UNAVAIL[@]}"
