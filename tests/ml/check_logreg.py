#!/usr/bin/python3
"""check_logreg.py KILN — logreg() against scikit-learn, through the kiln command.

One model per group on numpy-generated data (CSV), read back with the accessors:
- without c: coefficients equal LogisticRegression(penalty='none') to 1e-5 (relative, or
  absolute below 1); std_err the inverse Fisher information (numpy), p-values 2*norm.sf(|z|)
  to 1e-6; log-likelihood;
- with c := 1.0 and c := 0.1: LogisticRegression(C=c) coefficients to 1e-5;
- predict / predict_proba equal scikit-learn's predict / predict_proba on new rows;
- a BOOLEAN label predicts BOOLEAN; NULL rows are skipped and counted; separable data gives a
  fitted model with a warning and finite coefficients; one class gives an unfitted model.
scikit-learn is fitted with solver='newton-cholesky' at tol=1e-12: the same objective as its
default lbfgs, converged far enough to be an oracle at 1e-5 (lbfgs stops around 1e-6).
"""
import csv
import functools
import json
import os
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlcheck  # noqa: E402
from mlcheck import check, close, num, report  # noqa: E402

close = functools.partial(close, floor=1.0)  # relative to max(|a|, |b|, 1)
from scipy import stats
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")
KILN = sys.argv[1]


def kiln(sql, cwd, threads=2):
    return mlcheck.kiln(KILN, sql, cwd, threads)






def sk(X, y, c=None):
    m = LogisticRegression(penalty="none" if c is None else "l2", C=c or 1.0, solver="newton-cholesky",
                           tol=1e-12, max_iter=1000)
    return m.fit(X, y)


def main():
    rng = np.random.default_rng(11)
    k, groups = 3, 8
    tmp = tempfile.mkdtemp(prefix="kiln_logreg_")
    data = {}
    with open(os.path.join(tmp, "d.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["g", "x1", "x2", "x3", "y"])
        for g in range(groups):
            n = 300 + 200 * g
            X = rng.normal(size=(n, k)) * np.array([1.0, 3.0, 0.5]) + np.array([0.0, 1.0, -2.0])
            beta = rng.normal(size=k)
            p = 1 / (1 + np.exp(-(0.3 * g - 0.5 + X @ beta)))
            y = (rng.random(n) < p).astype(int)
            data[g] = (X, y)
            for i in range(n):
                w.writerow([g] + [repr(float(v)) for v in X[i]] + [int(y[i])])
        w.writerow([0, "", 1.0, 1.0, 1])  # skipped
        w.writerow([0, 1.0, 1.0, 1.0, ""])  # skipped

    cols = ", ".join(f"coef(m, {j}), std_err(m, {j}), p_value(m, {j})" for j in range(k + 1))
    for threads in (1, 4):
        _, out = kiln(f"SELECT g, n_rows(m), n_skipped(m), log_likelihood(m), {cols} FROM (SELECT g, "
                      "logreg(y, x1, x2, x3) AS m FROM 'd.csv' GROUP BY g) q ORDER BY g", tmp, threads)
        check(len(out) == groups, f"groups {len(out)}")
        for r in out:
            g = int(r[0])
            X, y = data[g]
            m = sk(X, y)
            beta = np.concatenate([m.intercept_, m.coef_[0]])
            Xi = np.column_stack([np.ones(len(y)), X])
            p = 1 / (1 + np.exp(-(Xi @ beta)))
            se = np.sqrt(np.diag(np.linalg.inv(Xi.T @ (Xi * (p * (1 - p))[:, None]))))
            pv = 2 * stats.norm.sf(np.abs(beta / se))
            ll = float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
            check(int(r[1]) == len(y) and int(r[2]) == (2 if g == 0 else 0), f"g{g} rows {r[1]} skipped {r[2]}")
            check(close(num(r[3]), ll, 1e-8), f"g{g} log_likelihood {r[3]} vs {ll}")
            for j in range(k + 1):
                c, s, pval = (num(v) for v in r[4 + 3 * j: 7 + 3 * j])
                check(close(c, beta[j], 1e-5), f"t{threads} g{g} coef {j}: {c} vs {beta[j]}")
                check(close(s, se[j], 1e-6), f"t{threads} g{g} std_err {j}: {s} vs {se[j]}")
                check(close(pval, pv[j], 1e-6, 1e-12), f"t{threads} g{g} p_value {j}: {pval} vs {pv[j]}")

    for c in (1.0, 0.1):
        _, out = kiln(f"SELECT g, coef(m, 0), coef(m, 1), coef(m, 2), coef(m, 3), std_err(m, 1) FROM (SELECT g, "
                      f"logreg(y, x1, x2, x3, c := {c}) AS m FROM 'd.csv' GROUP BY g) q ORDER BY g", tmp)
        for r in out:
            g = int(r[0])
            m = sk(*data[g], c=c)
            beta = np.concatenate([m.intercept_, m.coef_[0]])
            for j in range(k + 1):
                check(close(num(r[1 + j]), beta[j], 1e-5), f"C={c} g{g} coef {j}: {r[1 + j]} vs {beta[j]}")
            check(r[5] == "", f"C={c}: std_err is NULL for a penalised fit")

    # predictions on new rows equal scikit-learn's
    Xn = rng.normal(size=(50, k)) * 2
    with open(os.path.join(tmp, "new.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "g", "x1", "x2", "x3"])
        for i in range(50):
            w.writerow([i, i % groups] + [repr(float(v)) for v in Xn[i]])
    _, out = kiln("SELECT n.id, n.g, predict(m.m, n.x1, n.x2, n.x3), predict_proba(m.m, n.x1, n.x2, n.x3), "
                  "predict(m.mb, n.x1, n.x2, n.x3) FROM 'new.csv' n JOIN (SELECT g, logreg(y, x1, x2, x3) AS m, "
                  "logreg(y = 1, x1, x2, x3) AS mb FROM 'd.csv' GROUP BY g) m USING (g) ORDER BY n.id", tmp)
    check(len(out) == 50, "50 predictions")
    for r in out:
        i, g = int(r[0]), int(r[1])
        m = sk(*data[g])
        pr = float(m.predict_proba(Xn[i:i + 1])[0, 1])
        check(int(r[2]) == int(m.predict(Xn[i:i + 1])[0]), f"predict row {i}")
        check(close(num(r[3]), pr, 1e-6), f"predict_proba row {i}: {r[3]} vs {pr}")
        check(r[4] == ("true" if int(r[2]) == 1 else "false"), f"BOOLEAN label predicts BOOLEAN: {r[4]}")

    # separable: fitted, warning, finite coefficients; one class: not fitted
    _, out = kiln("SELECT is_fitted(m), coef(m, 1) IS NOT NULL AND abs(coef(m, 1)) < 1e300, model_json(m) FROM "
                  "(SELECT logreg(CASE WHEN x1 > 0 THEN 1 ELSE 0 END, x1, x2) AS m FROM 'd.csv' WHERE g = 2) q", tmp)
    r = out[0]
    js = json.loads(r[2])
    check(r[0] == "true" and r[1] == "true", f"separable: {r[:2]}")
    check("separable" in js.get("warning", "") and js.get("converged") is False, f"separable warning: {r[2][:300]}")
    _, out = kiln("SELECT is_fitted(m), model_json(m) FROM (SELECT logreg(0, x1, x2) AS m FROM 'd.csv' WHERE g = 1) q", tmp)
    check(out[0][0] == "false" and json.loads(out[0][1]).get("reason"), f"one class: {out[0]}")

    report("logreg")


main()
