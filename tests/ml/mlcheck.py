"""mlcheck.py — what the tests/ml/check_*.py scripts share: running the kiln command (CSV
output parsed), collecting failed checks, and the final report with its exit status."""
import csv
import io
import subprocess
import sys

FAILED = []


def check(cond, what):
    """Record `what` as a failure unless cond holds."""
    if not cond:
        FAILED.append(what)


def close(a, b, rel, absol=0.0, floor=0.0):
    """a and b agree to `rel` relative (of max(|a|, |b|, floor)) or `absol`; None (SQL NULL)
    only equals None."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(rel * max(abs(a), abs(b), floor), absol)


def num(s):
    """A CSV field as float; '' (NULL) as None."""
    return None if s == "" else float(s)


def kiln(binary, sql, cwd, threads=2):
    """Run one statement with the kiln command in cwd; (header, rows) of its CSV output."""
    r = subprocess.run([binary, "--threads", str(threads), "-c", sql], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"kiln failed: {r.stderr}\nSQL: {sql}")
    rows = list(csv.reader(io.StringIO(r.stdout)))
    return (rows[0], rows[1:]) if rows else ([], [])


def report(name):
    """Print the failed checks (exit 1) or that all passed."""
    if FAILED:
        print(f"{len(FAILED)} check(s) failed:")
        for f in FAILED[:40]:
            print("  " + f)
        sys.exit(1)
    print(f"{name}: all checks passed")
