#!/usr/bin/python3
"""check_linreg.py KILN — linreg() against numpy/scipy, through the kiln command.

Data (numpy, fixed seed) is written as CSV; kiln fits one model per group and reads the model
back with the accessors; the oracle is numpy.linalg.lstsq for the coefficients (1e-9
relative) and the textbook OLS formulas for the standard errors, t statistics and p-values
(1e-8): sigma^2 = RSS / (n - p), se = sqrt(diag(sigma^2 (X'X)^-1)), p = 2 t.sf(|t|, n - p).
Also: no intercept (uncentred r2), NULL rows skipped and counted, an aliased feature,
a group too small to fit, the JSON round trip through a CSV file, and predict().
Exit status 0 when every check holds; prints what failed otherwise.
"""
import csv
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlcheck  # noqa: E402
from mlcheck import check, close, num, report  # noqa: E402
from scipy import stats

KILN = sys.argv[1]


def kiln(sql, cwd, threads=2):
    return mlcheck.kiln(KILN, sql, cwd, threads)






def ols(X, y, intercept=True):
    if intercept:
        X = np.column_stack([np.ones(len(y)), X])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    n, p = X.shape
    rss = float(np.sum((y - X @ beta) ** 2))
    sigma2 = rss / (n - p)
    cov = sigma2 * np.linalg.inv(X.T @ X)
    se = np.sqrt(np.diag(cov))
    t = beta / se
    pv = 2 * stats.t.sf(np.abs(t), n - p)
    tss = float(np.sum((y - y.mean()) ** 2)) if intercept else float(np.sum(y ** 2))
    r2 = 1 - rss / tss
    adj = 1 - (1 - r2) * ((n - 1) if intercept else n) / (n - p)
    return beta, se, t, pv, r2, adj


def main():
    rng = np.random.default_rng(7)
    k = 4
    groups = 12
    tmp = tempfile.mkdtemp(prefix="kiln_linreg_")
    rows = []
    data = {}
    for g in range(groups):
        n = 150 + 25 * g
        X = rng.normal(size=(n, k)) * np.array([1.0, 10.0, 0.1, 3.0]) + np.array([5.0, -2.0, 0.0, 100.0])
        beta = rng.normal(size=k) * 3
        y = 1.5 - g + X @ beta + rng.normal(scale=0.5 + g / 10, size=n)
        data[g] = (X, y)
        for i in range(n):
            rows.append([g] + list(X[i]) + [y[i]])
    # NULL rows (skipped and counted) in group 0
    rows.append([0, "", 1.0, 2.0, 3.0, 4.0])
    rows.append([0, 1.0, 2.0, 3.0, 4.0, ""])
    with open(os.path.join(tmp, "d.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["g", "x1", "x2", "x3", "x4", "y"])
        for r in rows:
            w.writerow([repr(v) if isinstance(v, float) else v for v in r])

    stat_cols = []
    for j in range(0, k + 1):
        stat_cols += [f"coef(m, {j})", f"std_err(m, {j})", f"t_stat(m, {j})", f"p_value(m, {j})"]
    sql = (f"SELECT g, n_rows(m), n_skipped(m), r2(m), adj_r2(m), {', '.join(stat_cols)} FROM "
           "(SELECT g, linreg(y, x1, x2, x3, x4) AS m FROM 'd.csv' GROUP BY g) ORDER BY g")
    for threads in (1, 4):
        _, out = kiln(sql, tmp, threads)
        check(len(out) == groups, f"{groups} groups, got {len(out)}")
        for r in out:
            g = int(r[0])
            X, y = data[g]
            beta, se, t, pv, r2, adj = ols(X, y)
            check(int(r[1]) == len(y), f"g{g} n_rows {r[1]} != {len(y)}")
            check(int(r[2]) == (2 if g == 0 else 0), f"g{g} n_skipped {r[2]}")
            check(close(num(r[3]), r2, 1e-9), f"g{g} r2 {r[3]} vs {r2}")
            check(close(num(r[4]), adj, 1e-9), f"g{g} adj_r2 {r[4]} vs {adj}")
            for j in range(k + 1):
                c, s, tt, p = (num(v) for v in r[5 + 4 * j: 9 + 4 * j])
                check(close(c, beta[j], 1e-9), f"t{threads} g{g} coef {j}: {c} vs {beta[j]}")
                check(close(s, se[j], 1e-8), f"t{threads} g{g} std_err {j}: {s} vs {se[j]}")
                check(close(tt, t[j], 1e-8), f"t{threads} g{g} t_stat {j}: {tt} vs {t[j]}")
                check(close(p, pv[j], 1e-8, 1e-300), f"t{threads} g{g} p_value {j}: {p} vs {pv[j]}")

    # no intercept: coefficients, uncentred r2
    _, out = kiln("SELECT g, r2(m), coef(m, 1), coef(m, 4), std_err(m, 2), intercept(m) FROM (SELECT g, "
                  "linreg(y, x1, x2, x3, x4, intercept := false) AS m FROM 'd.csv' GROUP BY g) ORDER BY g", tmp)
    for r in out:
        g = int(r[0])
        beta, se, _, _, r2, _ = ols(*data[g], intercept=False)
        check(close(num(r[1]), r2, 1e-9), f"no-intercept g{g} r2 {r[1]} vs {r2}")
        check(close(num(r[2]), beta[0], 1e-9) and close(num(r[3]), beta[3], 1e-9), f"no-intercept g{g} coef")
        check(close(num(r[4]), se[1], 1e-8), f"no-intercept g{g} std_err")
        check(r[5] == "", f"no-intercept g{g} intercept is NULL, got {r[5]!r}")

    # an aliased feature (x5 = 2 x1 - x3): its coefficient is NULL, the others are the fit without it
    _, out = kiln("SELECT coef(m, 5), std_err(m, 5), coef(m, 1), coef(m, 4), is_fitted(m), model_json(m) FROM "
                  "(SELECT linreg(y, x1, x2, x3, x4, 2 * x1 - x3) AS m FROM 'd.csv' WHERE g = 3)", tmp)
    beta, *_ = ols(*data[3])
    r = out[0]
    check(r[0] == "" and r[1] == "", f"aliased coef/std_err NULL, got {r[0]!r} {r[1]!r}")
    check(close(num(r[2]), beta[1], 1e-8) and close(num(r[3]), beta[4], 1e-8), "aliased: other coefficients")
    check(r[4] == "true", "aliased model is fitted")
    check("x5" in json.loads(r[5]).get("warning", ""), f"aliased warning names x5: {r[5]}")

    # too small: 3 rows for 5 coefficients -> not fitted, reason, accessors NULL, query goes on
    _, out = kiln("SELECT is_fitted(m), coef(m, 1), n_rows(m), model_json(m) FROM (SELECT linreg(y, x1, x2, x3, x4) AS m "
                  "FROM (SELECT * FROM 'd.csv' WHERE g = 1 LIMIT 3))", tmp)
    r = out[0]
    check(r[0] == "false" and r[1] == "" and r[2] == "3", f"too small: {r}")
    check("3 rows for 5 coefficients" in json.loads(r[3]).get("reason", ""), f"too small reason: {r[3]}")

    # save to CSV, load in a later job, predict: equals X beta
    kiln("COPY (SELECT g, linreg(y, x1, x2, x3, x4) AS m FROM 'd.csv' GROUP BY g) TO 'models.csv'", tmp)
    new = os.path.join(tmp, "new.csv")
    with open(new, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["g", "x1", "x2", "x3", "x4"])
        for g in range(groups):
            for i in range(3):
                w.writerow([g] + [repr(float(v)) for v in rng.normal(size=k)])
    _, out = kiln("SELECT d.g, d.x1, d.x2, d.x3, d.x4, predict(model_from_json(m.m), d.x1, d.x2, d.x3, d.x4) AS p "
                  "FROM 'new.csv' d JOIN 'models.csv' m USING (g) ORDER BY d.g, d.x1", tmp)
    check(len(out) == groups * 3, f"predict rows {len(out)}")
    for r in out:
        g = int(r[0])
        beta, *_ = ols(*data[g])
        x = np.array([1.0] + [float(v) for v in r[1:5]])
        check(close(num(r[5]), float(x @ beta), 1e-9, 1e-9), f"predict g{g}: {r[5]} vs {x @ beta}")
    report("linreg")


main()
