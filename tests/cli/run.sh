#!/usr/bin/env bash
# run.sh — CLI tests for the kiln command: run cases, compare with expected output.
#
# Usage: tests/cli/run.sh PATH/TO/kiln [CASE...]        (all cases when none are named)
#        KILN_CLI_UPDATE=1 tests/cli/run.sh build/kiln   rewrite expected files from actual output
#
# A case is tests/cli/cases/NAME.sh, a bash snippet run from tests/cli/ with $KILN set to the
# binary and standard input from /dev/null (a case may redirect it). Its results are compared
# with tests/cli/expected/:
#   NAME.out     exact stdout            (missing = stdout must be empty)
#   NAME.err     exact stderr            (missing = stderr must be empty, unless NAME.err.re)
#   NAME.err.re  stderr, line by line, each line matched by the extended regex on the same line
#                (for run times and other text that varies)
#   NAME.rc      exit status             (missing = 0)
# Prints one line per failing case with a diff, then "N passed, M failed"; exit 1 on failure.
set -u

if [ $# -lt 1 ]; then
  echo "usage: $0 PATH/TO/kiln [CASE...]" >&2
  exit 2
fi
KILN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export KILN
shift
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$KILN" ]; then
  echo "run.sh: $KILN is not an executable" >&2
  exit 2
fi

if [ $# -gt 0 ]; then
  cases=("$@")
else
  cases=()
  for f in "$here"/cases/*.sh; do
    n=$(basename "$f" .sh)
    cases+=("$n")
  done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# match_lines ACTUAL REGEXFILE: each actual line must match the regex on the same line.
match_lines() {
  local -a got want
  mapfile -t got <"$1"
  mapfile -t want <"$2"
  [ ${#got[@]} -eq ${#want[@]} ] || return 1
  local i
  for ((i = 0; i < ${#want[@]}; i++)); do
    [[ ${got[$i]} =~ ${want[$i]} ]] || return 1
  done
  return 0
}

passed=0
failed=0
for name in "${cases[@]}"; do
  script="$here/cases/$name.sh"
  exp="$here/expected/$name"
  if [ ! -f "$script" ]; then
    echo "FAIL $name: no such case $script"
    failed=$((failed + 1))
    continue
  fi
  (cd "$here" && bash "$script") <"/dev/null" >"$tmp/out" 2>"$tmp/err"
  echo $? >"$tmp/rc"

  if [ "${KILN_CLI_UPDATE:-0}" = 1 ]; then
    cp "$tmp/out" "$exp.out"
    [ -f "$exp.err.re" ] || cp "$tmp/err" "$exp.err"
    if [ "$(cat "$tmp/rc")" = 0 ]; then rm -f "$exp.rc"; else cp "$tmp/rc" "$exp.rc"; fi
    [ -s "$exp.out" ] || rm -f "$exp.out"
    [ ! -f "$exp.err" ] || [ -s "$exp.err" ] || rm -f "$exp.err"
  fi

  ok=1
  report=""
  [ -f "$exp.out" ] && cp "$exp.out" "$tmp/want_out" || : >"$tmp/want_out"
  if ! cmp -s "$tmp/out" "$tmp/want_out"; then
    ok=0
    report+="--- stdout (expected vs actual)"$'\n'"$(diff "$tmp/want_out" "$tmp/out" | head -40)"$'\n'
  fi
  if [ -f "$exp.err.re" ]; then
    if ! match_lines "$tmp/err" "$exp.err.re"; then
      ok=0
      report+="--- stderr does not match $name.err.re; actual:"$'\n'"$(head -20 "$tmp/err")"$'\n'
    fi
  else
    [ -f "$exp.err" ] && cp "$exp.err" "$tmp/want_err" || : >"$tmp/want_err"
    if ! cmp -s "$tmp/err" "$tmp/want_err"; then
      ok=0
      report+="--- stderr (expected vs actual)"$'\n'"$(diff "$tmp/want_err" "$tmp/err" | head -40)"$'\n'
    fi
  fi
  want_rc=0
  [ -f "$exp.rc" ] && want_rc=$(tr -d '[:space:]' <"$exp.rc")
  got_rc=$(cat "$tmp/rc")
  if [ "$got_rc" != "$want_rc" ]; then
    ok=0
    report+="--- exit status: expected $want_rc, got $got_rc"$'\n'
  fi

  if [ $ok = 1 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    printf '%s' "$report" | sed 's/^/    /'
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
