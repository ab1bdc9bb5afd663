#!/usr/bin/python3
"""check_kmeans.py KILN — kmeans() against scikit-learn's KMeans(n_init=10), through kiln.

Per group of a GROUP BY and for one global model: kiln's inertia <= 1.01 x scikit-learn's
(KMeans(n_clusters=k, n_init=10, random_state=0) on the same rows); the inertia kiln reports
equals the sum of squared distances to the centroids it reports, with the labels predict()
gives (recomputed here in numpy); cluster sizes add up to the rows and match predict();
results do not depend on the thread count; k larger than the rows gives an unfitted model;
NULL rows are skipped and counted.
"""
import csv
import json
import os
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlcheck  # noqa: E402
from mlcheck import check, report  # noqa: E402
from sklearn.cluster import KMeans

warnings.filterwarnings("ignore")
KILN = sys.argv[1]


def kiln(sql, cwd, threads=2):
    return mlcheck.kiln(KILN, sql, cwd, threads)




def main():
    rng = np.random.default_rng(3)
    tmp = tempfile.mkdtemp(prefix="kiln_kmeans_")
    d, groups = 3, 6
    data = {}
    with open(os.path.join(tmp, "d.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "g", "x1", "x2", "x3"])
        i = 0
        for g in range(groups):
            n = 400 + 300 * g
            centers = rng.normal(size=(5, d)) * (2 + g)
            X = centers[rng.integers(0, 5, size=n)] + rng.normal(size=(n, d)) * (1.0 + 0.3 * g)
            X[:, 2] *= 10  # features on different scales
            data[g] = X
            for r in X:
                w.writerow([i, g] + [repr(float(v)) for v in r])
                i += 1
        w.writerow([i, 0, "", 1.0, 1.0])  # skipped

    for k in (1, 3, 5, 8):
        ref = {g: KMeans(n_clusters=k, n_init=10, random_state=0).fit(data[g]).inertia_ for g in range(groups)}
        cols = ", ".join(f"centroid(m, {c}, {j + 1})" for c in range(k) for j in range(d))
        sizes = " + ".join(f"cluster_size(m, {c})" for c in range(k))
        results = {}
        for threads in (1, 4):
            _, out = kiln(f"SELECT g, inertia(m), n_rows(m), n_skipped(m), {sizes}, {cols} FROM (SELECT g, "
                          f"kmeans({k}, x1, x2, x3) AS m FROM 'd.csv' GROUP BY g) q ORDER BY g", tmp, threads)
            results[threads] = out
            for r in out:
                g = int(r[0])
                X = data[g]
                inertia = float(r[1])
                check(inertia <= 1.01 * ref[g] + 1e-9, f"k={k} g{g}: inertia {inertia} > 1.01 x sklearn {ref[g]}")
                check(int(r[2]) == len(X) and int(r[3]) == (1 if g == 0 else 0), f"k={k} g{g} rows")
                check(int(r[4]) == len(X), f"k={k} g{g}: sizes sum {r[4]}")
                C = np.array([float(v) for v in r[5:]]).reshape(k, d)
                dist = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
                mine = float(dist.min(axis=1).sum())
                check(abs(mine - inertia) <= 1e-6 * inertia + 1e-9, f"k={k} g{g}: inertia {inertia} vs recomputed {mine}")
        check(results[1] == results[4], f"k={k}: 1 and 4 threads give the same models")
        print(f"  k={k}: kiln/sklearn inertia " + " ".join(
            f"{float(r[1]) / ref[int(r[0])]:.4f}" for r in results[1]))

    # predict() labels: sizes match, and each row's label is its nearest centroid
    _, out = kiln("WITH m AS (SELECT kmeans(4, x1, x2, x3, seed := 7) AS m FROM 'd.csv' WHERE g = 2) "
                  "SELECT predict(m, x1, x2, x3) AS c, count(*), min(cluster_size(m, predict(m, x1, x2, x3))) "
                  "FROM 'd.csv', m WHERE g = 2 GROUP BY c ORDER BY c", tmp)
    check(len(out) == 4 and all(int(r[1]) == int(r[2]) for r in out), f"predict vs cluster_size: {out}")

    # one global model on all rows uses several threads: same result as one thread
    q = "SELECT inertia(m), model_json(m) FROM (SELECT kmeans(6, x1, x2, x3) AS m FROM 'd.csv') q"
    a = kiln(q, tmp, 1)[1][0]
    b = kiln(q, tmp, 4)[1][0]
    check(a == b, "global model: 1 and 4 threads give the same model")
    X = np.vstack([data[g] for g in range(groups)])
    refg = KMeans(n_clusters=6, n_init=10, random_state=0).fit(X).inertia_
    check(float(a[0]) <= 1.01 * refg, f"global: inertia {a[0]} vs sklearn {refg}")

    _, out = kiln("SELECT is_fitted(m), model_json(m) FROM (SELECT kmeans(50, x1, x2, x3) AS m FROM 'd.csv' WHERE id < 10) q", tmp)
    check(out[0][0] == "false" and json.loads(out[0][1]).get("reason"), f"k > rows: {out}")

    report("kmeans")


main()
