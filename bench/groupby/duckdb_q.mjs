#!/usr/bin/env node
// duckdb_q.mjs — DuckDB driver of the group-by benchmark (bench/groupby/run.sh).
//
//   node bench/groupby/duckdb_q.mjs e2e CSV Q          one question straight from the CSV
//   node bench/groupby/duckdb_q.mjs mem CSV QLIST RUNS load x once, then every question RUNS times
//
// Each question runs as "CREATE TABLE ans AS <db-benchmark SQL>" (timed with performance.now(),
// statement only), then the untimed probe "SELECT count(*), sum(col)::DOUBLE ... FROM ans".
// Output: one "@@ {json}" line per event: {"load":s} | {"q","run","seconds"[,"check"]} |
// {"q","error"}. THREADS (env) sets DuckDB's thread count.
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { sql, checkSql, sqlQuote, parseQuestions } from './questions.mjs';

const [mode, csv, qarg, runsArg] = process.argv.slice(2);
if (!['e2e', 'mem'].includes(mode) || !csv || !qarg) {
  console.error('usage: duckdb_q.mjs e2e CSV Q | mem CSV QLIST RUNS');
  process.exit(2);
}
const emit = (o) => console.log('@@ ' + JSON.stringify(o));
const opts = process.env.THREADS ? { threads: String(process.env.THREADS) } : {};
const inst = await DuckDBInstance.create(':memory:', opts);
const con = await inst.connect();

async function one(q, run, src) {
  try {
    const t0 = performance.now();
    await con.run(`CREATE TABLE ans AS ${sql(q, src)}`);
    const seconds = (performance.now() - t0) / 1000;
    const out = { q, run, seconds };
    if (run === 1) {
      const r = await con.runAndReadAll(checkSql(q));
      out.check = r.getRows()[0].slice(1).map(Number);
    }
    await con.run('DROP TABLE ans');
    emit(out);
  } catch (e) {
    emit({ q, run, error: String(e && e.message ? e.message : e).split('\n')[0] });
    try { await con.run('DROP TABLE IF EXISTS ans'); } catch { /* ignore */ }
  }
}

if (mode === 'e2e') {
  await one(Number(qarg), 1, sqlQuote(csv));
} else {
  const t0 = performance.now();
  await con.run(`CREATE TABLE x AS SELECT * FROM ${sqlQuote(csv)}`);
  emit({ load: (performance.now() - t0) / 1000 });
  const runs = Number(runsArg || 1);
  for (const q of parseQuestions(qarg)) for (let r = 1; r <= runs; r++) await one(q, r, 'x');
}
