#!/usr/bin/python3
"""pandas_q.py — pandas driver of the group-by benchmark (bench/groupby/run.sh).

  /usr/bin/python3 bench/groupby/pandas_q.py e2e CSV Q           read_csv (needed columns) + groupby
  /usr/bin/python3 bench/groupby/pandas_q.py mem CSV QLIST RUNS  read_csv once, then each question

The operations are those of db-benchmark's groupby-pandas.py (groupby(as_index=False, sort=False,
observed=True, dropna=False).agg(...); q8 sort_values + groupby.head(2); q9 apply v1.corr(v2)**2);
id1..id3 are read as 'category' like db-benchmark does. Output: "@@ {json}" lines, same protocol
as duckdb_q.mjs; "check" = [rows, sum of each checked column], outside the timing.
"""
import json
import sys
import time
import warnings

import pandas as pd

warnings.simplefilter('ignore')

GB = dict(as_index=False, sort=False, observed=True, dropna=False)
CAT = {'id1': 'category', 'id2': 'category', 'id3': 'category'}
USED = {
    1: ['id1', 'v1'], 2: ['id1', 'id2', 'v1'], 3: ['id3', 'v1', 'v3'], 4: ['id4', 'v1', 'v2', 'v3'],
    5: ['id6', 'v1', 'v2', 'v3'], 6: ['id4', 'id5', 'v3'], 7: ['id3', 'v1', 'v2'], 8: ['id6', 'v3'],
    9: ['id2', 'id4', 'v1', 'v2'], 10: ['id1', 'id2', 'id3', 'id4', 'id5', 'id6', 'v1', 'v3'],
}
# result column checked -> column name in the pandas answer
CHECK = {
    1: ['v1'], 2: ['v1'], 3: ['v1', 'v3'], 4: ['v1', 'v2', 'v3'], 5: ['v1', 'v2', 'v3'],
    6: ['median_v3', 'sd_v3'], 7: ['range_v1_v2'], 8: ['id6', 'v3'], 9: ['r2'],
    10: ['id4', 'id5', 'id6', 'v3', 'count'],
}


def q6(x):
    a = x.groupby(['id4', 'id5'], **GB).agg({'v3': ['median', 'std']})
    a.columns = ['id4', 'id5', 'median_v3', 'sd_v3']
    return a


def q10(x):
    a = x.groupby(['id1', 'id2', 'id3', 'id4', 'id5', 'id6'], **GB).agg({'v3': 'sum', 'v1': 'size'})
    return a.rename(columns={'v1': 'count'})


OPS = {
    1: lambda x: x.groupby('id1', **GB).agg({'v1': 'sum'}),
    2: lambda x: x.groupby(['id1', 'id2'], **GB).agg({'v1': 'sum'}),
    3: lambda x: x.groupby('id3', **GB).agg({'v1': 'sum', 'v3': 'mean'}),
    4: lambda x: x.groupby('id4', **GB).agg({'v1': 'mean', 'v2': 'mean', 'v3': 'mean'}),
    5: lambda x: x.groupby('id6', **GB).agg({'v1': 'sum', 'v2': 'sum', 'v3': 'sum'}),
    6: q6,
    7: lambda x: x.groupby('id3', **GB).agg({'v1': 'max', 'v2': 'min'})
        .assign(range_v1_v2=lambda t: t['v1'] - t['v2'])[['id3', 'range_v1_v2']],
    8: lambda x: x[~x['v3'].isna()][['id6', 'v3']].sort_values('v3', ascending=False)
        .groupby('id6', **GB).head(2),
    9: lambda x: x[['id2', 'id4', 'v1', 'v2']].groupby(['id2', 'id4'], **GB)
        .apply(lambda t: pd.Series({'r2': t['v1'].corr(t['v2']) ** 2})),
    10: q10,
}


def emit(o):
    print('@@ ' + json.dumps(o), flush=True)


def parse_questions(spec):
    out = set()
    for part in spec.split(','):
        a, _, b = part.strip().partition('-')
        out.update(range(int(a), int(b or a) + 1))
    return sorted(out)


def one(q, run, x, t0=None):
    try:
        start = time.perf_counter() if t0 is None else t0
        if x is None:  # e2e: the read is part of the timing
            x = pd.read_csv(CSV, usecols=USED[q], dtype={k: v for k, v in CAT.items() if k in USED[q]})
        ans = OPS[q](x)
        out = {'q': q, 'run': run, 'seconds': time.perf_counter() - start}
        if run == 1:
            out['check'] = [float(len(ans))] + [float(ans[c].astype('float64').sum()) for c in CHECK[q]]
        emit(out)
    except Exception as e:  # noqa: BLE001 — report and go on
        emit({'q': q, 'run': run, 'error': (type(e).__name__ + ': ' + str(e)).split('\n')[0]})


if len(sys.argv) < 4 or sys.argv[1] not in ('e2e', 'mem'):
    sys.exit('usage: pandas_q.py e2e CSV Q | mem CSV QLIST RUNS')
MODE, CSV, QARG = sys.argv[1:4]
if MODE == 'e2e':
    one(int(QARG), 1, None)
else:
    t0 = time.perf_counter()
    X = pd.read_csv(CSV, dtype=CAT)
    emit({'load': time.perf_counter() - t0})
    for q in parse_questions(QARG):
        for r in range(1, int(sys.argv[4] if len(sys.argv) > 4 else 1) + 1):
            one(q, r, X)
