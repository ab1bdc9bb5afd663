#!/usr/bin/python3
"""pandas + scikit-learn peer for the per-group models, end to end from the CSV.

  peer_groups.py KIND CSV OUT.json [--budget SECONDS]

KIND is linreg, logreg or kmeans. The time is time.perf_counter() from before
pandas.read_csv to after the last fit (one process, one group after the other):
  linreg: LinearRegression()                                  y ~ x1..x5
  logreg: LogisticRegression(penalty='none', max_iter=1000)   label ~ x1..x5
  kmeans: KMeans(n_clusters=3, n_init=10, random_state=0)     on x1..x5
If the fits go past --budget seconds, the loop stops and the time is extrapolated:
read time + fit time * groups / groups fitted ("extrapolated": true in OUT.json).
OUT.json holds the time and the per-group results (written after the timing).
"""
import argparse
import json
import time
import warnings

warnings.simplefilter("ignore")  # penalty='none' is deprecated in sklearn 1.2

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402

XCOLS = ["x1", "x2", "x3", "x4", "x5"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["linreg", "logreg", "kmeans"])
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--budget", type=float, default=600.0)
    a = ap.parse_args()

    res = {}
    t0 = time.perf_counter()
    df = pd.read_csv(a.csv)
    t_read = time.perf_counter() - t0
    n_groups = df["g"].nunique()
    stopped = False
    if a.kind == "linreg":
        for g, d in df.groupby("g"):
            m = LinearRegression().fit(d[XCOLS].to_numpy(), d["y"].to_numpy())
            res[int(g)] = [float(m.intercept_)] + m.coef_.tolist()
            if time.perf_counter() - t0 > a.budget:
                stopped = True
                break
    elif a.kind == "logreg":
        for g, d in df.groupby("g"):
            m = LogisticRegression(penalty="none", max_iter=1000).fit(
                d[XCOLS].to_numpy(), d["label"].to_numpy())
            res[int(g)] = [float(m.intercept_[0])] + m.coef_[0].tolist()
            if time.perf_counter() - t0 > a.budget:
                stopped = True
                break
    else:
        for g, d in df.groupby("g"):
            m = KMeans(n_clusters=3, n_init=10, random_state=0).fit(d[XCOLS].to_numpy())
            res[int(g)] = float(m.inertia_)
            if time.perf_counter() - t0 > a.budget:
                stopped = True
                break
    t1 = time.perf_counter()
    elapsed = t1 - t0
    fitted = len(res)
    if stopped and fitted < n_groups:
        seconds = t_read + (elapsed - t_read) * n_groups / fitted
    else:
        seconds = elapsed
    out = {"kind": a.kind, "seconds": seconds, "measured_seconds": elapsed,
           "read_seconds": t_read, "groups": int(n_groups), "groups_fitted": fitted,
           "extrapolated": bool(stopped and fitted < n_groups), "results": res}
    with open(a.out, "w") as f:
        json.dump(out, f)
    print(f"{a.kind}: {seconds:.3f} s ({fitted}/{n_groups} groups, read {t_read:.3f} s)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
