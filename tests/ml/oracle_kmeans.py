#!/usr/bin/python3
"""Reference k-means results for tests/unit/test_ml_kmeans.c.

Usage: /usr/bin/python3 tests/ml/oracle_kmeans.py OUTDIR

Generates fixed-seed data sets with numpy, writes each as OUTDIR/<name>.csv (one row per
line, comma-separated, shortest round-trip repr of every double) and fits scikit-learn's
KMeans(n_clusters=k, n_init=10, algorithm="lloyd", random_state=0) on it. OUTDIR/sets.txt
gets one line per set: "<name> <n> <d> <k> <inertia>" (inertia as repr). The C test fits
the same data with kiln's core and compares inertias (kiln <= 1.01 x scikit-learn).
"""
import os
import sys
import warnings

import numpy as np
from sklearn.cluster import KMeans


def blobs(rng, n, d, k, spread, noise, offset=0.0):
    centers = rng.normal(0.0, spread, size=(k, d)) + offset
    labels = rng.integers(0, k, size=n)
    return centers[labels] + rng.normal(0.0, noise, size=(n, d))


def data_sets():
    """(name, x, k) triples; every generator has its own seed."""
    sets = []
    rng = np.random.default_rng(1)
    sets.append(("separated", blobs(rng, 2000, 2, 3, 10.0, 0.5), 3))
    rng = np.random.default_rng(2)
    sets.append(("overlapping", blobs(rng, 3000, 5, 4, 1.0, 1.5), 4))
    rng = np.random.default_rng(3)
    sets.append(("d1", blobs(rng, 1500, 1, 3, 5.0, 1.0), 3))
    rng = np.random.default_rng(4)
    sets.append(("d10", blobs(rng, 2500, 10, 5, 3.0, 1.0), 5))
    rng = np.random.default_rng(5)
    sets.append(("k1", blobs(rng, 500, 3, 2, 2.0, 1.0), 1))
    rng = np.random.default_rng(6)
    sets.append(("k8", blobs(rng, 9000, 4, 8, 4.0, 1.0), 8))
    rng = np.random.default_rng(7)
    base = rng.normal(0.0, 3.0, size=(10, 2))
    sets.append(("duplicates", base[rng.integers(0, 10, size=1000)], 5))
    rng = np.random.default_rng(8)
    sets.append(("offset", blobs(rng, 3000, 3, 3, 2.0, 0.5, offset=1.0e6), 3))
    rng = np.random.default_rng(9)
    sets.append(("k12", blobs(rng, 5000, 3, 12, 6.0, 1.0), 12))
    rng = np.random.default_rng(10)
    sets.append(("k20", blobs(rng, 12000, 7, 20, 5.0, 1.0), 20))
    rng = np.random.default_rng(11)
    sets.append(("uniform", rng.uniform(-1.0, 1.0, size=(20000, 6)), 8))
    return sets


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: oracle_kmeans.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    lines = []
    for name, x, k in data_sets():
        x = np.ascontiguousarray(x, dtype=np.float64)
        with open(os.path.join(out, name + ".csv"), "w") as f:
            for row in x:
                f.write(",".join(repr(float(v)) for v in row) + "\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning on duplicate points
            km = KMeans(n_clusters=k, n_init=10, algorithm="lloyd", random_state=0).fit(x)
        n, d = x.shape
        lines.append("%s %d %d %d %r\n" % (name, n, d, k, float(km.inertia_)))
    with open(os.path.join(out, "sets.txt"), "w") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()
