#!/usr/bin/env node
// duckdb_check.mjs — run kiln's SQL logic tests (tests/sql/*.test) against DuckDB, the oracle.
//
// Usage (from anywhere; paths in the tests are relative to the repo root):
//   node tests/tools/duckdb_check.mjs [--fill] [-v] [files...]    (default: tests/sql/*.test)
//
//   check mode (default): runs every record in DuckDB (a fresh in-memory database per file,
//     __TEST_DIR__ replaced by a fresh temp dir per file) and reports mismatches:
//       - `statement ok` that fails in DuckDB, `statement error` that succeeds in DuckDB,
//       - `query` whose column count/letters or rows differ (R columns: 1e-9 relative tolerance).
//     An error record whose expected substring is not in DuckDB's message is only a NOTE (kiln's
//     messages are specified separately; see the comments next to such records).
//   --fill: rewrites each query's letters and expected rows with DuckDB's answer (keeps sort mode).
//
// Markers (a comment line directly above a record):
//   # oracle: skip          do not run this record in DuckDB (kiln-specific behaviour, explained
//                           in a comment). Never use it on a record that changes state.
//
// Needs @duckdb/node-api installed in bench/node_modules:  npm install --prefix bench
// Exit status: 0 if no mismatches, 1 otherwise.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(path.join(root, 'bench', 'package.json'));
let duckdb;
try {
  duckdb = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
} catch (e) {
  console.error('duckdb_check: @duckdb/node-api not found; run: npm install --prefix bench');
  process.exit(2);
}
const { DuckDBInstance } = duckdb;

const args = process.argv.slice(2);
const fill = args.includes('--fill');
const verbose = args.includes('-v');
let files = args.filter((a) => !a.startsWith('-')).map((f) => path.resolve(f));
process.chdir(root);
if (files.length === 0) {
  const dir = path.join(root, 'tests', 'sql');
  files = fs.readdirSync(dir).filter((f) => f.endsWith('.test')).sort().map((f) => path.join(dir, f));
}

// ---------- value formatting (the .test conventions) ----------
function fmtDouble(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  let s = String(x); // shortest round-trip
  if (/^-?\d+$/.test(s)) s += '.0';
  return s;
}
function typeClass(t) {
  const s = String(t);
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(s)) return 'I';
  if (/^(FLOAT|DOUBLE|DECIMAL)/.test(s)) return 'R';
  return 'T';
}
function fmtValue(v, t) {
  if (v === null || v === undefined) return 'NULL';
  const s = String(t);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return typeClass(t) === 'R' ? fmtDouble(v) : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (s.startsWith('DECIMAL')) return fmtDouble(Number(v.toString()));
  const str = typeof v === 'string' ? v : v.toString();
  if (str === '') return '(empty)';
  return str;
}

// ---------- parsing ----------
function parseFile(text) {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const recs = [];
  let i = 0;
  let comments = [];
  while (i < lines.length) {
    const line = lines[i];
    if (line.startsWith('#')) { comments.push(line); i++; continue; }
    if (line.trim() === '') { comments = []; i++; continue; }
    const m = /^(statement|query)\s+(.*)$/.exec(line);
    if (!m) { recs.push({ kind: 'bad', start: i, end: i + 1, line: i + 1, text: line }); i++; continue; }
    const rec = { start: i, line: i + 1, header: line, comments, sql: [], result: null };
    comments = [];
    const parts = m[2].trim().split(/\s+/);
    if (m[1] === 'statement') {
      rec.kind = parts[0] === 'error' ? 'error' : 'ok';
    } else {
      rec.kind = 'query';
      rec.letters = parts[0];
      rec.sort = parts[1] || 'nosort';
    }
    i++;
    while (i < lines.length && lines[i].trim() !== '' && lines[i] !== '----') rec.sql.push(lines[i++]);
    if (i < lines.length && lines[i] === '----') {
      i++;
      rec.result = [];
      while (i < lines.length && lines[i].trim() !== '') rec.result.push(lines[i++]);
    }
    rec.end = i;
    recs.push(rec);
  }
  return { lines, recs };
}

function approxEq(a, b) {
  if (a === b) return true;
  const x = Number(a), y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return false;
  if (x === y) return true;
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}
function cmpRows(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return a.length - b.length;
}

// ---------- running ----------
let totalRecords = 0, totalMismatch = 0, totalNotes = 0, totalSkipped = 0;
for (const file of files) {
  const rel = path.relative(root, file);
  const text = fs.readFileSync(file, 'utf8');
  const { lines, recs } = parseFile(text);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-duckdb-'));
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const replacements = []; // {start,end,newLines}
  let mism = 0;
  for (const rec of recs) {
    const where = `${rel}:${rec.line}`;
    if (rec.kind === 'bad') { console.log(`MISMATCH ${where}: unparsable line: ${rec.text}`); mism++; continue; }
    totalRecords++;
    if (rec.comments.some((c) => /^#\s*oracle:\s*skip/.test(c))) { totalSkipped++; continue; }
    const sql = rec.sql.join('\n').replaceAll('__TEST_DIR__', tmp);
    let res = null, err = null;
    try { res = await con.runAndReadAll(sql); } catch (e) { err = e; }
    const short = rec.sql.join(' ').slice(0, 100);
    if (rec.kind === 'ok') {
      if (err) { console.log(`MISMATCH ${where}: statement failed in DuckDB: ${short}\n    ${err.message.split('\n')[0]}`); mism++; }
      continue;
    }
    if (rec.kind === 'error') {
      if (!err) { console.log(`MISMATCH ${where}: expected an error, DuckDB succeeded: ${short}`); mism++; continue; }
      const want = rec.result ? rec.result.join('\n') : '';
      if (want && !err.message.includes(want)) {
        totalNotes++;
        if (verbose) console.log(`note ${where}: DuckDB message differs (kiln spec: "${want}"): ${err.message.split('\n')[0]}`);
      }
      continue;
    }
    // query
    if (err) { console.log(`MISMATCH ${where}: query failed in DuckDB: ${short}\n    ${err.message.split('\n')[0]}`); mism++; continue; }
    const types = res.columnTypes();
    const letters = types.map(typeClass).join('');
    let rows = res.getRows().map((r) => r.map((v, j) => fmtValue(v, types[j])));
    if (rec.sort === 'rowsort') rows.sort(cmpRows);
    if (types.some((t) => String(t).startsWith('DECIMAL')) && verbose) {
      console.log(`note ${where}: DuckDB returned DECIMAL (kiln: DOUBLE); compared as R`);
    }
    if (fill) {
      const hdr = `query ${letters}${rec.sort !== 'nosort' ? ' ' + rec.sort : ''}`;
      const newLines = [hdr, ...rec.sql, '----', ...rows.map((r) => r.join('\t'))];
      replacements.push({ start: rec.start, end: rec.end, newLines });
      continue;
    }
    let problem = null;
    if (rec.letters.length !== types.length) problem = `column count: test says ${rec.letters.length} (${rec.letters}), DuckDB gives ${types.length} (${letters})`;
    else if (rec.letters !== letters) problem = `column letters: test says ${rec.letters}, DuckDB types ${types.map(String).join(',')}`;
    const exp = (rec.result || []).map((l) => l.split('\t'));
    if (rec.sort === 'rowsort') exp.sort(cmpRows);
    if (!problem && exp.length !== rows.length) problem = `row count: expected ${exp.length}, DuckDB gives ${rows.length}`;
    if (!problem) {
      outer: for (let r = 0; r < rows.length; r++) {
        if (exp[r].length !== rows[r].length) { problem = `row ${r + 1}: expected ${exp[r].length} values, got ${rows[r].length}`; break; }
        for (let c = 0; c < rows[r].length; c++) {
          const ok = letters[c] === 'R' ? approxEq(exp[r][c], rows[r][c]) : exp[r][c] === rows[r][c];
          if (!ok) { problem = `row ${r + 1} col ${c + 1}: expected "${exp[r][c]}", DuckDB gives "${rows[r][c]}"`; break outer; }
        }
      }
    }
    if (problem) {
      console.log(`MISMATCH ${where}: ${short}\n    ${problem}`);
      if (verbose) console.log('    DuckDB:\n' + rows.map((r) => '      ' + r.join('\t')).join('\n'));
      mism++;
    }
  }
  if (fill && replacements.length) {
    const out = [];
    let pos = 0;
    for (const r of replacements) {
      out.push(...lines.slice(pos, r.start), ...r.newLines);
      pos = r.end;
    }
    out.push(...lines.slice(pos));
    fs.writeFileSync(file, out.join('\n') + '\n');
  }
  con.closeSync?.();
  fs.rmSync(tmp, { recursive: true, force: true });
  totalMismatch += mism;
  console.log(`${mism ? 'FAIL' : 'ok  '} ${rel}: ${recs.length} records${mism ? `, ${mism} mismatches` : ''}`);
}
console.log(`duckdb_check: ${files.length} files, ${totalRecords} records, ${totalMismatch} mismatches, ${totalSkipped} skipped, ${totalNotes} message notes${fill ? ' (filled)' : ''}`);
process.exit(totalMismatch ? 1 : 0);
