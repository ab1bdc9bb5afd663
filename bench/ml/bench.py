#!/usr/bin/python3
"""kiln ML benchmark orchestrator (called by bench/ml/run.sh; run from the repository root).

Section 1, per-group models end to end from CSV: kiln `CREATE TABLE m AS SELECT g, <agg>(...) AS m
FROM '<csv>' GROUP BY g` (--timer, fresh process per run) against pandas.read_csv + groupby +
scikit-learn (peer_groups.py, fresh process per run). Section 2, one big model in memory: kiln
loads the CSV into a table and times each fit statement (one process, --timer) against
scikit-learn fits on numpy arrays (peer_big.py). Writes bench/results/ml-<date>.{md,json}.
"""
import argparse
import csv
import datetime
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.relpath(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"
RUNTIME_RE = re.compile(r"Run Time: ([0-9.]+) s")
X5 = ", ".join(f"x{j}" for j in range(1, 6))
X20 = ", ".join(f"x{j}" for j in range(1, 21))

GROUP_SQL = {
    "linreg": "linreg(y, {x})",
    "logreg": "logreg(label, {x})",
    "kmeans": "kmeans(3, {x}, n_init := 10, seed := 0)",
}
GROUP_PEER = {
    "linreg": "LinearRegression()",
    "logreg": "LogisticRegression(penalty='none', max_iter=1000)",
    "kmeans": "KMeans(n_clusters=3, n_init=10, random_state=0)",
}
BIG_SQL = {
    "logreg": f"logreg(label, {X20})",
    "logreg_c1": f"logreg(label, {X20}, c := 1.0)",
    "kmeans": f"kmeans(8, {X20}, n_init := 10, seed := 0)",
}
BIG_LABEL = {
    "logreg": "logreg, unpenalised",
    "logreg_c1": "logreg, c = 1.0",
    "kmeans": "kmeans, k = 8, n_init = 10",
}
PEER_LABEL = {
    "logreg": "LogisticRegression(penalty='none', max_iter=1000) [lbfgs]",
    "logreg_nc": "LogisticRegression(penalty='none', solver='newton-cholesky')",
    "logreg_c1": "LogisticRegression(C=1.0, max_iter=1000) [lbfgs]",
    "logreg_c1_nc": "LogisticRegression(C=1.0, solver='newton-cholesky')",
    "kmeans": "KMeans(n_clusters=8, n_init=10, random_state=0) [lloyd]",
}


def log(msg):
    print(f"[ml {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_s(x):
    return "n/a" if x is None else f"{x:.3f}"


def fmt_e(x):
    return "n/a" if x is None else f"{x:.1e}"


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""


def kiln_run(kiln, threads, stmts, timeout):
    """Run statements in one kiln process; returns (run times, stdout, error or None)."""
    cmd = [kiln, "--threads", str(threads), "--timer"]
    for s in stmts:
        cmd += ["-c", s]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [], "", f"timeout after {timeout} s"
    times = [float(t) for t in RUNTIME_RE.findall(p.stderr)]
    err = None
    if p.returncode != 0:
        msg = [ln for ln in p.stderr.splitlines() if not RUNTIME_RE.search(ln)]
        err = (" ".join(msg) or f"exit status {p.returncode}")[:300]
    return times, p.stdout, err


def parse_csv(text):
    return list(csv.reader(io.StringIO(text)))


# ---------------------------------------------------------------- per-group section

def logreg_ref_groups(csv_path, groups):
    """Exact per-group maximum-likelihood logistic fits (Newton, numpy), for reference only."""
    import pandas as pd
    df = pd.read_csv(csv_path)
    out = {}
    for g, d in df.groupby("g"):
        if groups is not None and int(g) not in groups:
            continue
        X = np.column_stack([np.ones(len(d)), d[[f"x{j}" for j in range(1, 6)]].to_numpy()])
        y = d["label"].to_numpy(dtype=float)
        b = np.zeros(X.shape[1])
        for _ in range(100):
            p = 1.0 / (1.0 + np.exp(-(X @ b)))
            step = np.linalg.solve(X.T @ (X * (p * (1 - p))[:, None]), X.T @ (p - y))
            b -= step
            if np.max(np.abs(step)) < 1e-13:
                break
        out[int(g)] = b.tolist()
    return out


def run_groups(a, csv_path, kinds, report):
    sec = report["groups"] = {"csv": csv_path, "tasks": {}}
    for kind in kinds:
        agg = GROUP_SQL[kind].format(x=X5)
        stmt = f"CREATE TABLE m AS SELECT g, {agg} AS m FROM '{csv_path}' GROUP BY g"
        cmd_str = f"{a.kiln} --threads {a.threads} --timer -c \"{stmt}\""
        t = sec["tasks"][kind] = {"kiln_cmd": cmd_str, "kiln_times": [], "peer_times": [],
                                  "peer": GROUP_PEER[kind], "kiln_error": None, "peer_error": None}
        for r in range(a.runs):
            times, _, err = kiln_run(a.kiln, a.threads, [stmt], a.timeout)
            if err or not times:
                t["kiln_error"] = err or "no Run Time line"
                log(f"groups {kind}: kiln ERROR: {t['kiln_error']}")
                break
            t["kiln_times"].append(times[0])
            log(f"groups {kind}: kiln run {r + 1}: {times[0]:.3f} s")
        # kiln's per-group results (untimed)
        if kind == "kmeans":
            sel = "g, inertia(m)"
        else:
            sel = "g, intercept(m), " + ", ".join(f"coef(m, {j})" for j in range(1, 6))
        q = f"SELECT {sel} FROM (SELECT g, {agg} AS m FROM '{csv_path}' GROUP BY g) ORDER BY g"
        kres = {}
        if not t["kiln_error"]:
            _, out, err = kiln_run(a.kiln, a.threads, [q], a.timeout)
            if err:
                t["kiln_error"] = "result query: " + err
            else:
                for row in parse_csv(out)[1:]:
                    if row:
                        kres[int(row[0])] = [float(v) for v in row[1:]]
        t["kiln_result_cmd"] = f"{a.kiln} -c \"{q}\""
        # peer
        pres = None
        tmp = os.path.join(a.tmpdir, f"peer_groups_{kind}.json")
        pcmd = [PY, os.path.join(HERE, "peer_groups.py"), kind, csv_path, tmp,
                "--budget", str(a.peer_budget)]
        t["peer_cmd"] = " ".join(pcmd[:4]) + " OUT.json --budget " + str(a.peer_budget)
        t["peer_extrapolated"] = False
        for r in range(a.runs):
            try:
                p = subprocess.run(pcmd, capture_output=True, text=True, timeout=a.peer_budget * 2 + 300)
            except subprocess.TimeoutExpired:
                t["peer_error"] = "timeout"
                break
            if p.returncode != 0:
                t["peer_error"] = (p.stderr.strip().splitlines() or ["?"])[-1][:300]
                log(f"groups {kind}: peer ERROR: {t['peer_error']}")
                break
            with open(tmp) as f:
                j = json.load(f)
            t["peer_times"].append(j["seconds"])
            t["peer_measured_times"] = t.get("peer_measured_times", []) + [j["measured_seconds"]]
            t["peer_read_seconds"] = j["read_seconds"]
            if j["extrapolated"]:
                t["peer_extrapolated"] = True
                t["peer_groups_fitted"] = j["groups_fitted"]
            t["groups"] = j["groups"]
            if pres is None:
                pres = {int(k): v for k, v in j["results"].items()}
            log(f"groups {kind}: peer run {r + 1}: {j['seconds']:.3f} s"
                + (" (extrapolated)" if j["extrapolated"] else ""))
        # quality
        qd = t["quality"] = {}
        if kres and pres:
            common = sorted(set(kres) & set(pres))
            qd["groups_compared"] = len(common)
            if kind == "linreg":
                k = np.array([kres[g] for g in common])
                s = np.array([pres[g] for g in common])
                qd["max_rel_diff"] = float(np.max(np.abs(k - s) / np.maximum(np.abs(s), 1e-300)))
                qd["text"] = f"coef max rel diff {fmt_e(qd['max_rel_diff'])} ({len(common)} groups)"
            elif kind == "logreg":
                k = np.array([kres[g] for g in common])
                s = np.array([pres[g] for g in common])
                ref = logreg_ref_groups(csv_path, set(common))
                rf = np.array([ref[g] for g in common])
                qd["max_abs_diff"] = float(np.max(np.abs(k - s)))
                qd["kiln_vs_ref"] = float(np.max(np.abs(k - rf)))
                qd["sklearn_vs_ref"] = float(np.max(np.abs(s - rf)))
                qd["text"] = (f"coef max abs diff {fmt_e(qd['max_abs_diff'])} "
                              f"(vs exact Newton optimum: kiln {fmt_e(qd['kiln_vs_ref'])}, "
                              f"sklearn {fmt_e(qd['sklearn_vs_ref'])})")
            else:
                k = np.array([kres[g][0] for g in common])
                s = np.array([pres[g] for g in common])
                qd["groups_within_1pct"] = int(np.sum(k <= 1.01 * s))
                qd["groups_lower"] = int(np.sum(k < s * (1 - 1e-9)))
                qd["groups_higher"] = int(np.sum(k > s * (1 + 1e-9)))
                qd["median_ratio"] = float(np.median(k / s))
                qd["max_ratio"] = float(np.max(k / s))
                qd["text"] = (f"kiln inertia <= 1.01 x sklearn in {qd['groups_within_1pct']}/{len(common)} "
                              f"groups (lower {qd['groups_lower']}, higher {qd['groups_higher']}; "
                              f"max ratio {qd['max_ratio']:.4f})")
        else:
            qd["text"] = "n/a"
        km, pm = med(t["kiln_times"]), med(t["peer_times"])
        t["kiln_median"], t["peer_median"] = km, pm
        t["speedup"] = pm / km if km and pm else None
        t["target_met"] = bool(t["speedup"] is not None and t["speedup"] >= 20.0)


# ---------------------------------------------------------------- big section

def run_big(a, csv_path, report):
    sec = report["big"] = {"csv": csv_path, "tasks": {}}
    tasks = [t for t in ["logreg", "logreg_c1", "kmeans"]
             if (t.startswith("logreg") and "logreg" in a.kinds) or (t == "kmeans" and "kmeans" in a.kinds)]
    if not tasks:
        return
    load = f"CREATE TABLE t AS SELECT * FROM '{csv_path}'"
    stmts = [load]
    order = []
    for r in range(a.runs):
        for tk in tasks:
            stmts.append(f"CREATE TABLE {tk}_{r + 1} AS SELECT {BIG_SQL[tk]} AS m FROM t")
            order.append(tk)
    sel = " UNION ALL ".join(f"SELECT '{tk}' AS task, model_json(m) AS j FROM {tk}_1" for tk in tasks)
    stmts.append(sel)
    sec["kiln_cmd"] = f"{a.kiln} --threads {a.threads} --timer " + " ".join(f"-c \"{s}\"" for s in stmts)
    log(f"big: kiln ({len(stmts)} statements in one process)")
    times, out, err = kiln_run(a.kiln, a.threads, stmts, a.timeout * 3)
    sec["kiln_error"] = err
    sec["kiln_load_seconds"] = times[0] if times else None
    ktimes = {tk: [] for tk in tasks}
    for tk, tt in zip(order, times[1:]):
        ktimes[tk].append(tt)
    kres = {}
    if not err:
        for row in parse_csv(out)[1:]:
            if len(row) == 2:
                kres[row[0]] = json.loads(row[1])
    else:
        log(f"big: kiln ERROR: {err}")
    # peer
    tmp = os.path.join(a.tmpdir, "peer_big.json")
    pcmd = [PY, os.path.join(HERE, "peer_big.py"), csv_path, tmp, "--runs", str(a.runs),
            "--tasks", ",".join(tasks)]
    sec["peer_cmd"] = " ".join(pcmd[:3]) + " OUT.json " + " ".join(pcmd[4:])
    log("big: sklearn")
    p = subprocess.run(pcmd, capture_output=True, text=True)
    sys.stderr.write(p.stdout)
    peer = None
    if p.returncode == 0:
        with open(tmp) as f:
            peer = json.load(f)
    else:
        sec["peer_error"] = (p.stderr.strip().splitlines() or ["?"])[-1][:300]
        log(f"big: sklearn ERROR: {sec['peer_error']}")
    sec["peer_raw"] = peer
    sec["kiln_models"] = kres
    for tk in tasks:
        variants = [tk, tk + "_nc"] if tk.startswith("logreg") else [tk]
        for v in variants:
            row = sec["tasks"][v] = {"task": BIG_LABEL[tk], "peer": PEER_LABEL[v],
                                     "kiln_times": ktimes[tk],
                                     "peer_times": peer["times"].get(v, []) if peer else []}
            km, pm = med(row["kiln_times"]), med(row["peer_times"])
            row["kiln_median"], row["peer_median"] = km, pm
            row["speedup"] = pm / km if km and pm else None
            q = row["quality"] = {}
            ok_q = False
            if tk in kres and peer and v in peer["results"]:
                if tk.startswith("logreg"):
                    k = np.array([kres[tk]["intercept"]] + kres[tk]["coef"])
                    s = np.array(peer["results"][v]["coef"])
                    rf = np.array(peer["reference"][tk]["coef"])
                    q["kiln_vs_sklearn"] = float(np.max(np.abs(k - s)))
                    q["kiln_vs_ref"] = float(np.max(np.abs(k - rf)))
                    q["sklearn_vs_ref"] = float(np.max(np.abs(s - rf)))
                    q["kiln_iterations"] = kres[tk].get("iterations")
                    q["sklearn_n_iter"] = peer["results"][v]["n_iter"]
                    ok_q = q["kiln_vs_ref"] <= 1e-5
                    q["text"] = (f"max abs diff kiln-sklearn {fmt_e(q['kiln_vs_sklearn'])}; vs exact optimum: "
                                 f"kiln {fmt_e(q['kiln_vs_ref'])}, sklearn {fmt_e(q['sklearn_vs_ref'])} "
                                 f"(iterations: kiln {q['kiln_iterations']}, sklearn {q['sklearn_n_iter']})")
                else:
                    ki = kres[tk]["inertia"]
                    si = peer["results"][v]["inertia"]
                    q["kiln_inertia"], q["sklearn_inertia"] = ki, si
                    q["ratio"] = ki / si
                    ok_q = q["ratio"] <= 1.01
                    q["text"] = f"inertia kiln/sklearn = {q['ratio']:.6f} (kiln {ki:.6g}, sklearn {si:.6g})"
            else:
                q["text"] = "n/a"
            row["quality_ok"] = ok_q
            row["target_met"] = bool(ok_q and row["speedup"] is not None and row["speedup"] >= 1.0)


# ---------------------------------------------------------------- report

def machine_info(a):
    import pandas
    import sklearn
    info = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "nproc": sh("nproc"),
        "cpu": sh("lscpu | sed -n 's/^Model name: *//p'"),
        "memory": sh("free -g | awk '/^Mem:/{print $2 \" GB\"}'"),
        "kernel": platform.release(),
        "loadavg": sh("cat /proc/loadavg"),
        "kiln_version": sh(f"{a.kiln} --version"),
        "kiln_commit": sh("git rev-parse --short HEAD 2>/dev/null")
        + (" (working tree with uncommitted changes)" if sh("git status --porcelain --untracked-files=no 2>/dev/null") else ""),
        "python": platform.python_version(),
        "numpy": np.__version__, "pandas": pandas.__version__, "sklearn": sklearn.__version__,
    }
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = ", ".join(" ".join(str(x) for x in (d.get('internal_api'), d.get('version'), f"x{d.get('num_threads')}") if x)
                                        for d in threadpool_info())
    except Exception:
        pass
    return info


def write_report(a, report, md_path, json_path):
    m = report["machine"]
    L = []
    L.append(f"# kiln ML benchmark — {m['date'][:10]}" + (" (--small smoke run)" if a.small else ""))
    L.append("")
    L.append("Command: `" + f"bash bench/ml/run.sh {' '.join(a.argv)}".rstrip() + "`")
    L.append("")
    L.append(f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory']}, Linux {m['kernel']}. "
             f"Load average at start: {m['loadavg']}; at end: {report.get('loadavg_end', '?')}.")
    L.append(f"kiln: `{m['kiln_version']}`, commit {m['kiln_commit']}, `--threads {a.threads}`. "
             f"Python {m['python']}: numpy {m['numpy']}, pandas {m['pandas']}, scikit-learn {m['sklearn']}"
             + (f" (thread pools: {m['threadpools']})" if m.get("threadpools") else "") + ".")
    L.append(f"Every figure is the median of {a.runs} runs; raw times in `{os.path.basename(json_path)}`.")
    L.append("")
    if "groups" in report:
        g = report["groups"]
        L.append("## 1. Per-group models, end to end from CSV")
        L.append("")
        L.append(f"Data: `{g['csv']}` ({a.groups} groups x 1,000 rows; columns g, x1..x5, y, label). "
                 "kiln: `--timer` time of the `CREATE TABLE m AS SELECT g, <model>(...) AS m FROM '<csv>' GROUP BY g` "
                 "statement, fresh process per run. pandas + scikit-learn: one `/usr/bin/python3` process per run, "
                 "`time.perf_counter()` from before `pandas.read_csv` to after the last fit, "
                 "`for g, d in df.groupby('g'): model.fit(...)`. Target: kiln >= 20x faster.")
        L.append("")
        L.append("| task | kiln s | pandas+sklearn s | speed-up | quality (kiln vs sklearn) | target >= 20x met |")
        L.append("|---|---:|---:|---:|---|---|")
        for kind, t in g["tasks"].items():
            peer_s = fmt_s(t["peer_median"]) if not t["peer_error"] else f"ERROR: {t['peer_error']}"
            if t.get("peer_extrapolated"):
                peer_s += f" (EXTRAPOLATED from {t.get('peer_groups_fitted')} groups)"
            kiln_s = fmt_s(t["kiln_median"]) if not t["kiln_error"] else f"ERROR: {t['kiln_error']}"
            sp = "n/a" if t["speedup"] is None else f"{t['speedup']:.1f}x"
            L.append(f"| {kind}: `{GROUP_SQL[kind].format(x='x1..x5')}` vs `{t['peer']}` | {kiln_s} | {peer_s} | "
                     f"{sp} | {t['quality']['text']} | {'yes' if t['target_met'] else 'no'} |")
        L.append("")
        L.append("Runs (s): " + "; ".join(
            f"{k}: kiln {', '.join(f'{x:.3f}' for x in t['kiln_times'])} / peer "
            f"{', '.join(f'{x:.3f}' for x in t['peer_times'])}" for k, t in g["tasks"].items()) + ".")
        reads = [f"{k} {t['peer_read_seconds']:.2f} s" for k, t in g["tasks"].items() if t.get("peer_read_seconds")]
        if reads:
            L.append(f"pandas.read_csv time inside the peer figure (last run): {', '.join(reads)}.")
        L.append("")
    if "big" in report and report["big"]["tasks"]:
        b = report["big"]
        L.append("## 2. One big model in memory")
        L.append("")
        L.append(f"Data: `{b['csv']}` ({a.big_rows:,} rows x 20 features on scales 0.5..5 with offsets, 8 gaussian "
                 "blobs, label from a logistic model with known coefficients). kiln: one process, "
                 f"`CREATE TABLE t AS SELECT * FROM '<csv>'` ({fmt_s(b.get('kiln_load_seconds'))} s, not counted), then "
                 "each fit as `CREATE TABLE <name> AS SELECT <model>(...) AS m FROM t`, `--timer` time per statement. "
                 "scikit-learn: `.fit` on float64 numpy arrays already in memory, `time.perf_counter()` around `.fit` "
                 "only. The default lbfgs solver is the peer asked for; `newton-cholesky` (scikit-learn's "
                 "solver for n_samples >> n_features) is shown as well. 'exact optimum' = Newton's method in numpy "
                 "run to 1e-13 (untimed). Target: kiln at least as fast as scikit-learn with equal quality "
                 "(logreg: kiln within 1e-5 (max abs) of the exact optimum; kmeans: kiln inertia <= 1.01 x scikit-learn's).")
        L.append("")
        L.append("| task | scikit-learn peer | kiln s | sklearn s | speed-up (sklearn/kiln) | quality | target met |")
        L.append("|---|---|---:|---:|---:|---|---|")
        for v, t in b["tasks"].items():
            kiln_s = fmt_s(t["kiln_median"]) if not b.get("kiln_error") else f"ERROR: {b['kiln_error']}"
            sp = "n/a" if t["speedup"] is None else f"{t['speedup']:.2f}x"
            L.append(f"| {t['task']} | `{t['peer']}` | {kiln_s} | {fmt_s(t['peer_median'])} | {sp} | "
                     f"{t['quality']['text']} | {'yes' if t['target_met'] else 'no'} |")
        L.append("")
        L.append("Runs (s): " + "; ".join(
            f"{v}: kiln {', '.join(f'{x:.3f}' for x in t['kiln_times'])} / sklearn "
            f"{', '.join(f'{x:.3f}' for x in t['peer_times'])}" for v, t in b["tasks"].items()) + ".")
        L.append("")
    noisy = []
    for sec in ("groups", "big"):
        for name, t in report.get(sec, {}).get("tasks", {}).items():
            for who in ("kiln", "peer"):
                xs = t.get(f"{who}_times") or []
                if len(xs) > 1 and min(xs) > 0 and max(xs) / min(xs) > 1.5:
                    noisy.append(f"{sec} {name} {'kiln' if who == 'kiln' else 'peer'} "
                                 f"({min(xs):.3f}..{max(xs):.3f} s)")
    if noisy:
        L.append("**Noisy measurements** (max/min of the runs > 1.5; the machine was probably busy, see the load "
                 "average; scikit-learn's OpenMP KMeans suffers most): " + "; ".join(noisy) + ".")
        L.append("")
    L.append("## Commands")
    L.append("")
    L.append("```")
    L.append(f"bash bench/ml/run.sh {' '.join(a.argv)}".rstrip())
    if "groups" in report:
        for k, t in report["groups"]["tasks"].items():
            L.append(f"# {k}, kiln (timed):")
            L.append(t["kiln_cmd"])
            L.append(f"# {k}, kiln results (untimed):")
            L.append(t["kiln_result_cmd"])
            L.append(f"# {k}, peer:")
            L.append(t["peer_cmd"])
    if "big" in report and report["big"].get("kiln_cmd"):
        L.append("# big, kiln (one process):")
        L.append(report["big"]["kiln_cmd"])
        L.append("# big, scikit-learn:")
        L.append(report["big"]["peer_cmd"])
    L.append("```")
    L.append("")
    with open(md_path, "w") as f:
        f.write("\n".join(L))
    slim = json.loads(json.dumps(report))
    if "big" in slim:
        slim["big"].pop("kiln_models", None)
    with open(json_path, "w") as f:
        json.dump(slim, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--groups-only", action="store_true")
    ap.add_argument("--kinds", default="linreg,logreg,kmeans")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--kiln", default=os.environ.get("KILN", "build/kiln"))
    ap.add_argument("--timeout", type=int, default=900, help="per kiln process, seconds")
    ap.add_argument("--peer-budget", type=float, default=600.0,
                    help="per-group peer: extrapolate beyond this many seconds per run")
    ap.add_argument("--argv", default="")
    a = ap.parse_args()
    a.argv = a.argv.split() if a.argv else []
    a.kinds = [k.strip() for k in a.kinds.split(",") if k.strip()]
    for k in a.kinds:
        if k not in GROUP_SQL:
            sys.exit(f"unknown kind {k!r} (linreg, logreg, kmeans)")
    os.makedirs("bench/data", exist_ok=True)
    a.groups = 50 if a.small else 1000
    a.big_rows = 100_000 if a.small else 1_000_000
    suffix = "_small" if a.small else ""
    gcsv = f"bench/data/ml_groups{suffix}.csv"
    bcsv = f"bench/data/ml_big{suffix}.csv"
    a.tmpdir = f"bench/data/.tmp-ml-{os.getpid()}"
    os.makedirs(a.tmpdir, exist_ok=True)
    date = datetime.date.today().isoformat()
    if a.small:
        md_path, json_path = f"bench/data/ml-small-{date}.md", f"bench/data/ml-small-{date}.json"
    else:
        os.makedirs("bench/results", exist_ok=True)
        md_path, json_path = f"bench/results/ml-{date}.md", f"bench/results/ml-{date}.json"

    do_big = not (a.skip_big or a.groups_only) and any(k in a.kinds for k in ("logreg", "kmeans"))
    if not os.path.exists(gcsv):
        log(f"generating {gcsv}")
        subprocess.run([PY, os.path.join(HERE, "gen_data.py"), "groups", gcsv, "--groups", str(a.groups)], check=True)
    if do_big and not os.path.exists(bcsv):
        log(f"generating {bcsv}")
        subprocess.run([PY, os.path.join(HERE, "gen_data.py"), "big", bcsv, "--rows", str(a.big_rows)], check=True)

    report = {"machine": machine_info(a), "runs": a.runs, "threads": a.threads, "small": a.small}
    try:
        run_groups(a, gcsv, a.kinds, report)
        if do_big:
            run_big(a, bcsv, report)
    finally:
        report["loadavg_end"] = sh("cat /proc/loadavg")
        write_report(a, report, md_path, json_path)
        for fn in os.listdir(a.tmpdir):
            os.remove(os.path.join(a.tmpdir, fn))
        os.rmdir(a.tmpdir)
    log(f"wrote {md_path} and {json_path}")
    errors = [k for k, t in report["groups"]["tasks"].items() if t["kiln_error"]]
    if "big" in report and report["big"].get("kiln_error"):
        errors.append("big")
    if errors:
        log(f"kiln errors in: {', '.join(errors)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
