#!/usr/bin/python3
"""Generate the ML benchmark data (fixed seeds, numpy only).

  gen_data.py groups OUT.csv [--groups G] [--rows R]    per-group data
  gen_data.py big    OUT.csv [--rows N]                 one big table

groups: columns g,x1..x5,y,label. In each group the x's are 3 gaussian blobs (so that
k-means with k = 3 has a structure to find), y = b0_g + x.b_g + N(0, 0.5^2) and
label ~ Bernoulli(sigmoid(a0_g + z.a_g)) with z the x's standardised in the group.
big: columns x1..x20,label. The x's are 8 gaussian blobs in 20 dimensions, each column then
scaled by a factor between 0.5 and 5 (log-spaced, shuffled), label ~ Bernoulli(sigmoid(a0 + x.a))
with known coefficients (written to OUT.csv.truth.json).
Values are written with 6 decimals.
"""
import argparse
import json
import os
import sys

import numpy as np


def write_csv(path, header, cols, fmts):
    """Write columns with one %-format per row, in chunks (about 1 s per 100k x 21 values)."""
    tmp = path + ".part"
    n = len(cols[0])
    fm = ",".join(fmts)
    chunk = 100_000
    with open(tmp, "w") as f:
        f.write(",".join(header) + "\n")
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            rows = zip(*[c[s:e].tolist() for c in cols])
            f.write("\n".join([fm % r for r in rows]))
            f.write("\n")
    os.replace(tmp, path)


def sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def gen_groups(out, groups, rows, seed=20240601):
    rng = np.random.default_rng(seed)
    k, p = 3, 5
    n = groups * rows
    g = np.repeat(np.arange(1, groups + 1, dtype=np.int64), rows)
    centers = rng.normal(0.0, 3.0, size=(groups, k, p))
    member = rng.integers(0, k, size=n)
    X = centers[g - 1, member, :] + rng.normal(0.0, 1.0, size=(n, p))
    b0 = rng.normal(0.0, 2.0, size=groups)
    b = rng.normal(0.0, 1.0, size=(groups, p))
    y = b0[g - 1] + np.einsum("ij,ij->i", X, b[g - 1]) + rng.normal(0.0, 0.5, size=n)
    Xg = X.reshape(groups, rows, p)
    mu = Xg.mean(axis=1, keepdims=True)
    sd = Xg.std(axis=1, keepdims=True)
    Z = ((Xg - mu) / sd).reshape(n, p)
    a0 = rng.normal(0.0, 0.5, size=groups)
    a = rng.normal(0.0, 0.5, size=(groups, p))
    eta = a0[g - 1] + np.einsum("ij,ij->i", Z, a[g - 1])
    label = (rng.random(n) < sigmoid(eta)).astype(np.int64)
    header = ["g"] + [f"x{j + 1}" for j in range(p)] + ["y", "label"]
    cols = [g] + [X[:, j] for j in range(p)] + [y, label]
    fmts = ["%d"] + ["%.6f"] * (p + 1) + ["%d"]
    write_csv(out, header, cols, fmts)


def gen_big(out, rows, seed=20240602):
    rng = np.random.default_rng(seed)
    k, p = 8, 20
    centers = rng.normal(0.0, 2.0, size=(k, p))
    member = rng.integers(0, k, size=rows)
    X = centers[member] + rng.normal(0.0, 1.0, size=(rows, p))
    scale = np.exp(np.linspace(np.log(0.5), np.log(5.0), p))
    rng.shuffle(scale)
    offset = rng.normal(0.0, 3.0, size=p)
    X = X * scale + offset
    # known coefficients: on the standardised scale a_std ~ N(0, 0.25^2)
    mu, sd = X.mean(axis=0), X.std(axis=0)
    a_std = rng.normal(0.0, 0.25, size=p)
    coef = a_std / sd
    intercept = 0.3 - float(np.dot(coef, mu))
    eta = intercept + X @ coef
    label = (rng.random(rows) < sigmoid(eta)).astype(np.int64)
    header = [f"x{j + 1}" for j in range(p)] + ["label"]
    cols = [X[:, j] for j in range(p)] + [label]
    fmts = ["%.6f"] * p + ["%d"]
    write_csv(out, header, cols, fmts)
    with open(out + ".truth.json", "w") as f:
        json.dump({"intercept": intercept, "coef": coef.tolist(), "scale": scale.tolist(),
                   "offset": offset.tolist(), "k": k, "seed": seed}, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["groups", "big"])
    ap.add_argument("out")
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=None)
    a = ap.parse_args()
    if a.kind == "groups":
        gen_groups(a.out, a.groups, a.rows or 1000)
    else:
        gen_big(a.out, a.rows or 1_000_000)
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e6:.1f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
