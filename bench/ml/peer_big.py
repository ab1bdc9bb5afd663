#!/usr/bin/python3
"""scikit-learn peer for one big model in memory.

  peer_big.py CSV OUT.json [--runs N] [--tasks logreg,logreg_c1,kmeans]

Loads CSV (x1..x20, label) with pandas into float64 numpy arrays (not timed), then, --runs
times, fits (time.perf_counter() around .fit only):
  logreg        LogisticRegression(penalty='none', max_iter=1000)            (lbfgs, default)
  logreg_nc     LogisticRegression(penalty='none', solver='newton-cholesky')
  logreg_c1     LogisticRegression(C=1.0, max_iter=1000)                       (lbfgs, default)
  logreg_c1_nc  LogisticRegression(C=1.0, solver='newton-cholesky')
  kmeans        KMeans(n_clusters=8, n_init=10, random_state=0)
It also computes, untimed, a reference optimum for both logistic objectives by Newton's method
in numpy (to 1e-13), so that kiln and scikit-learn can both be compared with the exact optimum.
OUT.json: raw times per task, the coefficients / inertia of the first run, the references.
"""
import argparse
import json
import time
import warnings

warnings.simplefilter("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402


def newton_ref(X, y, C=None, iters=100):
    """argmin of C*sum(logloss) + 0.5*|w|^2 (intercept free); C=None: plain maximum likelihood."""
    n, p = X.shape
    A = np.empty((n, p + 1))
    A[:, 0] = 1.0
    A[:, 1:] = X
    beta = np.zeros(p + 1)
    c = 1.0 if C is None else C
    reg = np.ones(p + 1)
    reg[0] = 0.0
    if C is None:
        reg[:] = 0.0
    for it in range(iters):
        eta = A @ beta
        pr = 1.0 / (1.0 + np.exp(-eta))
        grad = c * (A.T @ (pr - y)) + reg * beta
        w = pr * (1.0 - pr)
        H = c * (A.T @ (A * w[:, None])) + np.diag(reg)
        step = np.linalg.solve(H, grad)
        beta -= step
        if np.max(np.abs(step) / np.maximum(1.0, np.abs(beta))) < 1e-13:
            break
    return beta.tolist(), it + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tasks", default="logreg,logreg_c1,kmeans")
    a = ap.parse_args()
    tasks = a.tasks.split(",")

    df = pd.read_csv(a.csv)
    xcols = [c for c in df.columns if c.startswith("x")]
    X = np.ascontiguousarray(df[xcols].to_numpy(dtype=np.float64))
    y = df["label"].to_numpy(dtype=np.int64)
    del df

    def make(task):
        if task == "logreg":
            return LogisticRegression(penalty="none", max_iter=1000)
        if task == "logreg_nc":
            return LogisticRegression(penalty="none", solver="newton-cholesky")
        if task == "logreg_c1":
            return LogisticRegression(C=1.0, max_iter=1000)
        if task == "logreg_c1_nc":
            return LogisticRegression(C=1.0, solver="newton-cholesky")
        return KMeans(n_clusters=8, n_init=10, random_state=0)

    variants = []
    for t in tasks:
        variants.append(t)
        if t.startswith("logreg"):
            variants.append(t + "_nc")
    out = {"rows": int(X.shape[0]), "features": int(X.shape[1]), "times": {v: [] for v in variants},
           "results": {}}
    for r in range(a.runs):
        for v in variants:
            m = make(v)
            t0 = time.perf_counter()
            m.fit(X, y) if v.startswith("logreg") else m.fit(X)
            dt = time.perf_counter() - t0
            out["times"][v].append(dt)
            print(f"run {r + 1} {v}: {dt:.3f} s", flush=True)
            if r == 0:
                if v.startswith("logreg"):
                    out["results"][v] = {"coef": [float(m.intercept_[0])] + m.coef_[0].tolist(),
                                         "n_iter": int(np.max(m.n_iter_))}
                else:
                    out["results"][v] = {"inertia": float(m.inertia_), "n_iter": int(m.n_iter_)}
    refs = {}
    if "logreg" in tasks:
        refs["logreg"] = newton_ref(X, y, None)
    if "logreg_c1" in tasks:
        refs["logreg_c1"] = newton_ref(X, y, 1.0)
    out["reference"] = {k: {"coef": v[0], "newton_iter": v[1]} for k, v in refs.items()}
    with open(a.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
