#!/usr/bin/python3
"""Oracle for tests/unit/test_ml_logreg.c: data sets and scikit-learn 1.2's logistic
regression fits.

Usage: oracle_logreg.py OUTDIR. Writes OUTDIR/<name>.csv (one row per line: y, x1..xd) for
every data set and OUTDIR/refs.txt, one fit per line:
    name n d intercept c log_likelihood coef[0..d] std_err[0..d] p[0..2]
coef[0] is the intercept (0 without one); c = 0 means penalty='none' (std_err from the
inverse of X'WX at the coefficients, intercept column included; 0 for a missing intercept),
c > 0 is LogisticRegression(C=c) (std_err written as 0). p are predict_proba of rows 0..2.
The fits use solver='newton-cholesky' (tol=1e-12, max_iter=100000): the same model and
objective as the default 'lbfgs', but lbfgs stops on scipy's relative objective change
(factr 1e7, ~2e-9) and leaves coefficients off by up to ~3e-3 here even with tol=1e-12.
Every solution is checked against a few Newton steps in numpy on the same objective (the
oracle fails if a fit moves by more than 1e-9 relative), so the references are exact to far
better than the test's 1e-5.
Data set collinear_dup (feature 3 = feature 2) gets only penalised references, constant_col
(feature 2 constant) no unpenalised reference with an intercept: those fits must report the
singular information matrix.
"""
import os
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")


def make(seed, n, d, coef, b0, scale=None, shift=None, mix=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    if mix:  # correlated features
        a = np.eye(d) + 0.5 * rng.standard_normal((d, d))
        x = x @ a
    if scale is not None:
        x = x * np.asarray(scale, dtype=float)
    if shift is not None:
        x = x + np.asarray(shift, dtype=float)
    z = b0 + x @ np.asarray(coef, dtype=float)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(float)
    return x, y


def datasets():
    out = []
    out.append(("small", *make(1, 50, 2, [0.8, -0.5], 0.3)))
    out.append(("shifted", *make(2, 300, 3, [0.4, -0.3, 0.2], -2.0, shift=[5.0, -3.0, 10.0])))
    out.append(("scaled", *make(3, 1000, 5, [0.01, 60.0, 0.5, -0.05, 1.0], 0.5,
                                scale=[100.0, 0.01, 1.0, 10.0, 1.0])))
    out.append(("correlated", *make(4, 5000, 10, np.linspace(-1.0, 1.0, 10), -1.0, mix=True)))
    out.append(("blocks", *make(5, 20000, 8, [0.5, -0.25, 0.125, 0.3, -0.7, 0.05, 0.0, 0.2],
                                0.7, shift=[1.0] * 8)))
    x, y = make(6, 500, 4, [0.6, -0.4, 0.3, 0.2], 0.1)
    x[:, 2] = x[:, 1]  # feature 3 duplicates feature 2
    out.append(("collinear_dup", x, y))
    x, y = make(7, 400, 3, [0.6, -0.4, 0.3], -0.2)
    x[:, 1] = 3.0  # feature 2 is constant
    out.append(("constant_col", x, y))
    return out


def augmented(x, intercept):
    return np.hstack([np.ones((x.shape[0], 1)), x]) if intercept else x


def newton_check(x, y, intercept, c, beta):
    """A few Newton steps from beta on the same objective; returns the largest change."""
    a = augmented(x, intercept)
    b = beta.copy()
    pen = np.ones(a.shape[1])
    if intercept:
        pen[0] = 0.0
    for _ in range(6):
        z = a @ b
        p = 1.0 / (1.0 + np.exp(-z))
        w = p * (1.0 - p)
        cp = c if c > 0 else 1.0
        g = cp * (a.T @ (p - y))
        h = cp * (a.T @ (a * w[:, None]))
        if c > 0:
            g += pen * b
            h += np.diag(pen)
        b = b - np.linalg.solve(h, g)
    return np.max(np.abs(b - beta) / np.maximum(1.0, np.abs(b)))


def log_likelihood(a, y, beta):
    z = a @ beta
    # y log p + (1-y) log(1-p) = -(log(1 + exp(-z)) if y else log(1 + exp(z)))
    return -np.sum(np.logaddexp(0.0, np.where(y > 0.5, -z, z)))


def main():
    outdir = sys.argv[1]
    lines = []
    for name, x, y in datasets():
        n, d = x.shape
        with open(os.path.join(outdir, name + ".csv"), "w") as f:
            for i in range(n):
                f.write(",".join("%.17g" % v for v in [y[i], *x[i]]) + "\n")
        for intercept in (True, False):
            # a duplicated feature is always singular; a constant one only with an intercept
            rank_deficient = name.startswith("collinear") or (name.startswith("constant")
                                                              and intercept)
            for c in (0.0, 1.0, 0.1):
                if c == 0.0 and rank_deficient:
                    continue
                kw = dict(penalty="none") if c == 0.0 else dict(C=c)
                m = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=100000,
                                       fit_intercept=intercept, **kw)
                m.fit(x, y)
                coef = np.concatenate([[m.intercept_[0] if intercept else 0.0], m.coef_[0]])
                beta = coef if intercept else coef[1:]
                change = newton_check(x, y, intercept, c, beta)
                if change > 1e-9:
                    sys.exit("oracle: sklearn not converged on %s intercept=%d c=%g (%.3g)"
                             % (name, intercept, c, change))
                a = augmented(x, intercept)
                ll = log_likelihood(a, y, beta)
                se = np.zeros(d + 1)
                if c == 0.0:
                    p = 1.0 / (1.0 + np.exp(-(a @ beta)))
                    info = a.T @ (a * (p * (1.0 - p))[:, None])
                    s = np.sqrt(np.diag(np.linalg.inv(info)))
                    se[(0 if intercept else 1):] = s
                proba = m.predict_proba(x[:3])[:, 1]
                vals = [ll, *coef, *se, *proba]
                lines.append("%s %d %d %d %.17g %s" % (name, n, d, int(intercept), c,
                                                     " ".join("%.17g" % v for v in vals)))
    with open(os.path.join(outdir, "refs.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
