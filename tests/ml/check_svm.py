#!/usr/bin/python3
"""check_svm.py KILN — svm() against scikit-learn's LinearSVC and SVC, through the kiln command.

Train/test split inside SQL (WHERE hash(id) % 5 <> 0 trains, = 0 tests), text, integer and
date labels, 2 to 4 classes, linear and rbf kernels, gamma 'scale' and a value. The bar:
predictions on the held-out rows agree with scikit-learn's on at least 99.5% of them, and
accuracy is within 0.5 percentage point. Also: per-group models with GROUP BY, predict_label,
and a model read back from its JSON predicts the same.

Big groups (100,000 rows x 10 features, 2 and 3 classes: n * (d + 1) above the 2^18 values
from which svm.c uses its multi-threaded Newton solver instead of liblinear): the same bar
against LinearSVC, and the model text must be identical with --threads 1 and --threads 2.
The training rows come from an ORDER BY id subquery: without GROUP BY, a multi-threaded
scan hands the rows to the aggregate in an order that depends on the threads, and the
floating-point sums (as any fit's) depend on the order of the rows.
"""
import csv
import os
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlcheck  # noqa: E402
from mlcheck import check, report  # noqa: E402
from sklearn.svm import SVC, LinearSVC

warnings.filterwarnings("ignore")
KILN = sys.argv[1]


def kiln(sql, cwd, threads=2):
    return mlcheck.kiln(KILN, sql, cwd, threads)




def blobs(rng, n, d, classes, spread):
    centers = rng.normal(size=(classes, d)) * 3
    y = rng.integers(0, classes, size=n)
    X = centers[y] + rng.normal(size=(n, d)) * spread
    return X, y


def main():
    rng = np.random.default_rng(5)
    tmp = tempfile.mkdtemp(prefix="kiln_svm_")
    names = {0: "ash", 1: "beech", 2: "cedar", 3: "dogwood"}
    sets = {  # name: (X, y, label column writer)
        "two": blobs(rng, 1500, 3, 2, 2.0),
        "three": blobs(rng, 2000, 5, 3, 2.5),
        "four": blobs(rng, 2500, 4, 4, 2.0),
    }
    # a non-linear set for rbf: rings
    n = 1500
    r_ = np.concatenate([rng.normal(1.0, 0.25, n // 2), rng.normal(2.5, 0.3, n - n // 2)])
    a = rng.random(n) * 2 * np.pi
    sets["rings"] = (np.column_stack([r_ * np.cos(a), r_ * np.sin(a)]), (np.arange(n) >= n // 2).astype(int))

    for name, (X, y) in sets.items():
        d = X.shape[1]
        with open(os.path.join(tmp, f"{name}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id"] + [f"x{j + 1}" for j in range(d)] + ["tree", "code", "day"])
            for i in range(len(y)):
                w.writerow([i] + [repr(float(v)) for v in X[i]] + [names[int(y[i])], 10 * int(y[i]) - 7,
                                                                   f"2026-0{int(y[i]) + 1}-15"])
        xs = ", ".join(f"x{j + 1}" for j in range(d))
        _, split = kiln(f"SELECT id, hash(id) % 5 = 0 FROM '{name}.csv' ORDER BY id", tmp)
        test = np.array([s[1] == "true" for s in split])
        Xtr, ytr, Xte, yte = X[~test], y[~test], X[test], y[test]
        for kernel, label, extra in (("linear", "tree", ""), ("linear", "code", ", c := 0.5"),
                                     ("rbf", "tree", ""), ("rbf", "day", ", gamma := 0.3, c := 3.0")):
            if name == "rings" and kernel == "linear":
                continue
            if kernel == "linear":
                ref = LinearSVC(random_state=0, C=0.5 if "0.5" in extra else 1.0).fit(Xtr, ytr)
            else:
                ref = SVC(C=3.0 if "3.0" in extra else 1.0, gamma=0.3 if "gamma" in extra else "scale").fit(Xtr, ytr)
            pred_ref = ref.predict(Xte)
            _, out = kiln(f"WITH m AS (SELECT svm({label}, {xs}, kernel := '{kernel}'{extra}) AS m FROM '{name}.csv' "
                          f"WHERE hash(id) % 5 <> 0) SELECT id, predict(m, {xs}), predict_label(m, {xs}), "
                          f"predict_label(model_from_json(model_json(m)), {xs}) = predict_label(m, {xs}), {label} FROM '{name}.csv', m "
                          f"WHERE hash(id) % 5 = 0 ORDER BY id", tmp)
            inv = {"tree": {v: k for k, v in names.items()}, "code": {str(10 * k - 7): k for k in range(4)},
                   "day": {f"2026-0{k + 1}-15": k for k in range(4)}}[label]
            pred = np.array([inv[r[1]] for r in out])
            check(all(r[1] == r[2] for r in out), f"{name} {kernel} {label}: predict_label equals predict")
            check(all(r[3] == "true" for r in out), f"{name} {kernel} {label}: the model read back predicts the same")
            truth = np.array([inv[r[4]] for r in out])
            check(len(pred) == len(pred_ref) and (truth == yte).all(), f"{name} {kernel}: test rows")
            agree = float(np.mean(pred == pred_ref))
            acc, acc_ref = float(np.mean(pred == yte)), float(np.mean(pred_ref == yte))
            check(agree >= 0.995, f"{name} {kernel} {label}{extra}: agreement {agree:.4f} < 0.995")
            check(abs(acc - acc_ref) <= 0.005, f"{name} {kernel} {label}: accuracy {acc:.4f} vs {acc_ref:.4f}")
            print(f"  {name:6s} {kernel:6s} {label:4s}{extra:24s} agreement {agree:.4f}  accuracy {acc:.4f} (sklearn {acc_ref:.4f})")

    # per-group models: one svm per group of a GROUP BY, predicted through a join
    _, out = kiln("WITH m AS (SELECT id % 3 AS grp, svm(tree, x1, x2, x3, x4, x5) AS m FROM 'three.csv' GROUP BY grp) "
                  "SELECT count(*), sum(CASE WHEN predict(m.m, t.x1, t.x2, t.x3, t.x4, t.x5) = t.tree THEN 1 ELSE 0 END) "
                  "FROM 'three.csv' t JOIN m ON t.id % 3 = m.grp", tmp)
    total, right = int(out[0][0]), int(out[0][1])
    check(total == 2000 and right / total > 0.7, f"per-group svm: {right}/{total}")

    # big groups: the Newton solver, against LinearSVC; identical with 1 and 2 threads
    # (3 classes with c = 0.1: with c = 1 LinearSVC's own liblinear stops at its 1000
    # iterations about 2% short of the optimum on this data, and the bar would measure that)
    for name, classes, c in (("big2", 2, 1.0), ("big3", 3, 0.1)):
        X, y = blobs(rng, 100000, 10, classes, 2.5)
        d = X.shape[1]
        with open(os.path.join(tmp, f"{name}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id"] + [f"x{j + 1}" for j in range(d)] + ["tree"])
            for i in range(len(y)):
                w.writerow([i] + [repr(float(v)) for v in X[i]] + [names[int(y[i])]])
        xs = ", ".join(f"x{j + 1}" for j in range(d))
        _, split = kiln(f"SELECT id, hash(id) % 5 = 0 FROM '{name}.csv' ORDER BY id", tmp)
        test = np.array([s[1] == "true" for s in split])
        Xtr, ytr, Xte, yte = X[~test], y[~test], X[test], y[test]
        ref = LinearSVC(random_state=0, C=c).fit(Xtr, ytr)
        pred_ref = ref.predict(Xte)
        train = f"(SELECT * FROM '{name}.csv' WHERE hash(id) % 5 <> 0 ORDER BY id)"
        fit = f"svm(tree, {xs}, c := {c})"
        texts = [kiln(f"SELECT model_json({fit}) FROM {train}", tmp, threads=t)[1][0][0] for t in (1, 2)]
        check(texts[0] == texts[1], f"{name}: the model text differs between 1 and 2 threads")
        check('"fitted":true' in texts[0] and "warning" not in texts[0], f"{name}: fitted without warning: {texts[0][:300]}")
        _, out = kiln(f"WITH m AS (SELECT {fit} AS m FROM {train}) SELECT id, predict(m, {xs}) "
                      f"FROM '{name}.csv', m WHERE hash(id) % 5 = 0 ORDER BY id", tmp)
        inv = {v: k for k, v in names.items()}
        pred = np.array([inv[r[1]] for r in out])
        check(len(pred) == len(pred_ref), f"{name}: test rows")
        agree = float(np.mean(pred == pred_ref))
        acc, acc_ref = float(np.mean(pred == yte)), float(np.mean(pred_ref == yte))
        check(agree >= 0.995, f"{name} linear (Newton): agreement {agree:.4f} < 0.995")
        check(abs(acc - acc_ref) <= 0.005, f"{name} linear (Newton): accuracy {acc:.4f} vs {acc_ref:.4f}")
        print(f"  {name:6s} linear (Newton, {len(ytr)} rows, c {c}) agreement {agree:.4f}  accuracy {acc:.4f} "
              f"(sklearn {acc_ref:.4f}, {int(np.max(ref.n_iter_))} iterations)")

    report("svm")


main()
