#!/usr/bin/python3
"""oracle_svm.py — reference results for tests/unit/test_ml_svm.c (src/ml/svm.c).

Usage: /usr/bin/python3 tests/ml/oracle_svm.py OUTDIR

Generates train/test sets with numpy (fixed seeds) and fits scikit-learn's LinearSVC
(random_state=0) and SVC() on them. Writes into OUTDIR:
  NAME_train.csv, NAME_test.csv   one row per point: label,x1,...,xd (labels 0..k-1, %.17g)
  CASE_pred.csv                   scikit-learn's predictions on NAME_test, one per line
  manifest.txt                    one line per case:
      case dataset kind C gamma gamma_used accuracy n_iter
    kind is linear or rbf; gamma is the option given (0 = 'scale'); gamma_used is
    scikit-learn's _gamma (rbf) or 0; accuracy is scikit-learn's on the test set; n_iter is
    LinearSVC's n_iter_ (0 for rbf).
The first rows of every training set are arranged so that liblinear/libsvm (which order
classes by first appearance) see the classes in a non-sorted order: descending for the
blobs, class 0 first for moons (the 2-class sign normalisation) and class 1 first for circles.
"""
import os
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import SVC, LinearSVC


def blobs(rng, n, k, d, spread, std):
    centres = rng.uniform(-spread, spread, size=(k, d))
    y = rng.randint(0, k, size=n)
    x = centres[y] + rng.normal(0.0, std, size=(n, d))
    return x, y


def moons(rng, n, noise):
    y = rng.randint(0, 2, size=n)
    t = rng.uniform(0.0, np.pi, size=n)
    x = np.where(y[:, None] == 0,
                 np.c_[np.cos(t), np.sin(t)],
                 np.c_[1.0 - np.cos(t), 0.5 - np.sin(t)])
    return x + rng.normal(0.0, noise, size=(n, 2)), y


def circles(rng, n, factor, noise):
    y = rng.randint(0, 2, size=n)
    t = rng.uniform(0.0, 2.0 * np.pi, size=n)
    r = np.where(y == 1, factor, 1.0)
    x = np.c_[r * np.cos(t), r * np.sin(t)]
    return x + rng.normal(0.0, noise, size=(n, 2)), y


def first_seen(x, y, order):
    """Move one row of each class in `order` to the front (in that order)."""
    front = [int(np.flatnonzero(y == c)[0]) for c in order]
    rest = [i for i in range(len(y)) if i not in set(front)]
    idx = np.array(front + rest)
    return x[idx], y[idx]


def write_set(path, x, y):
    np.savetxt(path, np.c_[y.astype(float), x], fmt="%.17g", delimiter=",")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: oracle_svm.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    sets = {}
    rng = np.random.RandomState(11)
    x, y = blobs(rng, 2000, 2, 2, 3.0, 1.5)
    sets["blobs2"] = (x[:1000], y[:1000], x[1000:], y[1000:], [1, 0])
    rng = np.random.RandomState(12)
    x, y = blobs(rng, 3000, 3, 5, 3.0, 2.0)
    sets["blobs3"] = (x[:1500], y[:1500], x[1500:], y[1500:], [2, 1, 0])
    rng = np.random.RandomState(13)
    x, y = blobs(rng, 4500, 4, 10, 2.0, 2.5)
    sets["blobs4"] = (x[:3000], y[:3000], x[3000:], y[3000:], [3, 2, 1, 0])
    rng = np.random.RandomState(14)
    x, y = moons(rng, 2000, 0.25)
    sets["moons"] = (x[:1000], y[:1000], x[1000:], y[1000:], [0, 1])
    rng = np.random.RandomState(15)
    x, y = circles(rng, 1600, 0.5, 0.15)
    sets["circles"] = (x[:800], y[:800], x[800:], y[800:], [1, 0])

    for name, (xtr, ytr, xte, yte, order) in sets.items():
        xtr, ytr = first_seen(xtr, ytr, order)
        sets[name] = (xtr, ytr, xte, yte)
        write_set(os.path.join(out, name + "_train.csv"), xtr, ytr)
        write_set(os.path.join(out, name + "_test.csv"), xte, yte)

    cases = [
        ("lin_blobs2", "blobs2", "linear", 1.0, 0.0),
        ("lin_blobs3", "blobs3", "linear", 0.1, 0.0),
        ("lin_blobs4", "blobs4", "linear", 0.1, 0.0),
        ("lin_blobs3_c1", "blobs3", "linear", 1.0, 0.0),  # reaches max_iter = 1000
        ("lin_moons", "moons", "linear", 1.0, 0.0),
        ("rbf_blobs2", "blobs2", "rbf", 1.0, 0.0),
        ("rbf_blobs3", "blobs3", "rbf", 1.0, 0.0),
        ("rbf_blobs4", "blobs4", "rbf", 1.0, 0.0),
        ("rbf_moons", "moons", "rbf", 1.0, 0.0),
        ("rbf_circles", "circles", "rbf", 1.0, 0.0),
        ("rbf_blobs3_g", "blobs3", "rbf", 10.0, 0.5),
    ]
    lines = []
    for case, name, kind, c, gamma in cases:
        xtr, ytr, xte, yte = sets[name]
        with warnings.catch_warnings():
            # only lin_blobs3_c1 is meant not to converge
            warnings.simplefilter("ignore" if case == "lin_blobs3_c1" else "error",
                                  ConvergenceWarning)
            if kind == "linear":
                model = LinearSVC(C=c, random_state=0).fit(xtr, ytr)
                gamma_used, n_iter = 0.0, int(model.n_iter_)
            else:
                model = SVC(C=c, gamma=gamma if gamma > 0 else "scale").fit(xtr, ytr)
                gamma_used, n_iter = float(model._gamma), 0
        pred = model.predict(xte)
        acc = float(np.mean(pred == yte))
        np.savetxt(os.path.join(out, case + "_pred.csv"), pred, fmt="%d")
        lines.append("%s %s %s %.17g %.17g %.17g %.17g %d"
                     % (case, name, kind, c, gamma, gamma_used, acc, n_iter))
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
