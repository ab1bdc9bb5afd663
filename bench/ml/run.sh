#!/usr/bin/env bash
# kiln ML benchmark: per-group models end to end from CSV (kiln vs pandas + scikit-learn) and one
# big model in memory (kiln vs scikit-learn). See bench/README.md, section "ML benchmark".
#
#   bash bench/ml/run.sh [--runs N] [--skip-big] [--groups-only] [--kinds linreg,logreg,kmeans]
#                        [--small] [--threads N] [--peer-budget SECONDS] [--timeout SECONDS]
#
# KILN=path overrides build/kiln. Data go to bench/data/ (generated if missing), the report to
# bench/results/ml-<date>.{md,json} (with --small: bench/data/ml-small-<date>.{md,json}).
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in -h|--help) usage; exit 0 ;; esac
done

PY=/usr/bin/python3   # the python3 first on PATH may lack numpy / scikit-learn
if ! "$PY" -c 'import numpy, pandas, sklearn' 2>/dev/null; then
  echo "bench/ml: $PY needs numpy, pandas and scikit-learn (apt-get install python3-numpy python3-pandas python3-sklearn)" >&2
  exit 2
fi
KILN=${KILN:-build/kiln}
if [ ! -x "$KILN" ]; then
  echo "bench/ml: $KILN missing, running make build" >&2
  make build >&2
fi
exec "$PY" bench/ml/bench.py --kiln "$KILN" --argv "$*" "$@"
