#!/usr/bin/env node
// polars_q.mjs — Polars (nodejs-polars) driver of the group-by benchmark (bench/groupby/run.sh).
//
//   node bench/groupby/polars_q.mjs e2e CSV Q          scanCSV lazily + the question + collect
//   node bench/groupby/polars_q.mjs mem CSV QLIST RUNS readCSV once (id1..id3 categorical, as
//                                                      db-benchmark), then every question RUNS times
//
// The operations are those of db-benchmark's groupby-polars script (lazy group_by().agg()
// .collect()); q8 uses sort(descending).head(2) per group (this nodejs-polars has no top_k).
// Output: "@@ {json}" lines, same protocol as duckdb_q.mjs; "check" = [rows, sum of each
// CHECK_COLS column] computed outside the timing.
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { CHECK_COLS, parseQuestions } from './questions.mjs';

const require = createRequire(import.meta.url);
const pl = require('nodejs-polars');

const [mode, csv, qarg, runsArg] = process.argv.slice(2);
if (!['e2e', 'mem'].includes(mode) || !csv || !qarg) {
  console.error('usage: polars_q.mjs e2e CSV Q | mem CSV QLIST RUNS');
  process.exit(2);
}
const emit = (o) => console.log('@@ ' + JSON.stringify(o));
const c = (n) => pl.col(n);

const OPS = {
  1: (x) => x.groupBy('id1').agg(c('v1').sum().alias('v1')),
  2: (x) => x.groupBy(['id1', 'id2']).agg(c('v1').sum().alias('v1')),
  3: (x) => x.groupBy('id3').agg(c('v1').sum().alias('v1'), c('v3').mean().alias('v3')),
  4: (x) => x.groupBy('id4').agg(c('v1').mean().alias('v1'), c('v2').mean().alias('v2'), c('v3').mean().alias('v3')),
  5: (x) => x.groupBy('id6').agg(c('v1').sum().alias('v1'), c('v2').sum().alias('v2'), c('v3').sum().alias('v3')),
  6: (x) => x.groupBy(['id4', 'id5']).agg(c('v3').median().alias('median_v3'), c('v3').std().alias('sd_v3')),
  7: (x) => x.groupBy('id3').agg(c('v1').max().minus(c('v2').min()).alias('range_v1_v2')),
  8: (x) => x.dropNulls('v3').groupBy('id6')
    .agg(c('v3').sort({ descending: true }).head(2).alias('largest2_v3')).explode('largest2_v3'),
  9: (x) => x.groupBy(['id2', 'id4']).agg(pl.pearsonCorr('v1', 'v2').pow(2).alias('r2')),
  10: (x) => x.groupBy(['id1', 'id2', 'id3', 'id4', 'id5', 'id6'])
    .agg(c('v3').sum().alias('v3'), c('v1').count().alias('count')),
};

function check(q, df) {
  return [df.height, ...CHECK_COLS[q].map((col) => Number(df.getColumn(col).cast(pl.Float64).sum()))];
}

async function one(q, run, mk) {
  try {
    const t0 = performance.now();
    const ans = await OPS[q](mk()).collect();
    const seconds = (performance.now() - t0) / 1000;
    const out = { q, run, seconds };
    if (run === 1) out.check = check(q, ans);
    emit(out);
  } catch (e) {
    emit({ q, run, error: String(e && e.message ? e.message : e).split('\n')[0] });
  }
}

if (mode === 'e2e') {
  await one(Number(qarg), 1, () => pl.scanCSV(csv));
} else {
  const t0 = performance.now();
  let x = pl.readCSV(csv, { rechunk: true });
  x = x.withColumns(...['id1', 'id2', 'id3'].map((n) => c(n).cast(pl.Categorical)));
  emit({ load: (performance.now() - t0) / 1000 });
  const runs = Number(runsArg || 1);
  for (const q of parseQuestions(qarg)) for (let r = 1; r <= runs; r++) await one(q, r, () => x.lazy());
}
