#!/usr/bin/env bash
# test-all.sh — build kiln and run every registered test, optimized and under sanitizers.
#
# Usage: scripts/test-all.sh [release] [asan]     (both, in this order, when none is named)
# Flow, per configuration: configure with CMake, build with all cores, run ctest (unit tests,
# SQL logic tests at 1 and 4 threads, CLI tests, the API example; see tests/CMakeLists.txt),
# read ctest's "X tests failed out of Y" line and add it to the totals. A configuration that
# fails to configure or build counts as one failed test, and the next one still runs, so one
# report covers everything. The last line printed is "N passed, M failed"; exit 1 if M > 0.
#   release: build/       -DCMAKE_BUILD_TYPE=Release
#   asan:    build-asan/  -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=ON  (ASan + UBSan, leaks on)
# The directories can be moved with the environment variables BUILD_DIR and ASAN_DIR.
set -u
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
total_passed=0
total_failed=0
summary=()

run_config() {
  local name=$1 dir=$2
  shift 2
  echo "==== $name: configure and build in $dir/"
  mkdir -p "$dir"
  if ! cmake -S . -B "$dir" "$@" >"$dir/configure.log" 2>&1; then
    cat "$dir/configure.log"
    echo "$name: configure FAILED"
    total_failed=$((total_failed + 1))
    summary+=("$name: configure failed")
    return
  fi
  if ! cmake --build "$dir" -j "$jobs"; then
    echo "$name: build FAILED"
    total_failed=$((total_failed + 1))
    summary+=("$name: build failed")
    return
  fi
  echo "==== $name: tests"
  local log="$dir/ctest.log"
  (cd "$dir" && ctest -j "$jobs" --output-on-failure --timeout 600) 2>&1 | tee "$log"
  local line failed total
  line=$(grep -E '[0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  elif grep -q 'No tests were found' "$log"; then
    failed=0
    total=0
  else
    echo "$name: could not read ctest's summary"
    failed=1
    total=1
  fi
  total_passed=$((total_passed + total - failed))
  total_failed=$((total_failed + failed))
  summary+=("$name: $((total - failed)) passed, $failed failed")
}

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(release asan)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for c in "${configs[@]}"; do
  case "$c" in
  release) run_config release "${BUILD_DIR:-build}" -DCMAKE_BUILD_TYPE=Release -DKILN_SANITIZE=OFF ;;
  asan) run_config asan "${ASAN_DIR:-build-asan}" -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=ON ;;
  *)
    echo "test-all: unknown configuration '$c' (release, asan)" >&2
    exit 2
    ;;
  esac
done

echo "==== summary"
for s in "${summary[@]}"; do echo "$s"; done
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
