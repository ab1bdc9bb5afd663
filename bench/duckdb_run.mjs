#!/usr/bin/env node
// duckdb_run.mjs — run SQL in a fresh in-memory DuckDB and report the elapsed time.
// Usage: node bench/duckdb_run.mjs "SQL" [threads]
// Prints one line: "seconds=<elapsed> rows=<result rows>". The time covers the statement only
// (not node or DuckDB start-up); peak RSS is measured outside by /usr/bin/time.
import { DuckDBInstance } from '@duckdb/node-api';

const sql = process.argv[2];
if (!sql) {
  console.error('usage: node bench/duckdb_run.mjs "SQL" [threads]');
  process.exit(2);
}
const opts = process.argv[3] ? { threads: String(process.argv[3]) } : {};
const inst = await DuckDBInstance.create(':memory:', opts);
const con = await inst.connect();
const t0 = process.hrtime.bigint();
const res = await con.runAndReadAll(sql);
const t1 = process.hrtime.bigint();
console.log(`seconds=${(Number(t1 - t0) / 1e9).toFixed(4)} rows=${res.currentRowCount}`);
