#!/usr/bin/env node
// bench.mjs — orchestrator of the db-benchmark group-by suite; started by bench/groupby/run.sh
// (which builds kiln, generates the data and installs the peers first).
//
//   node bench/groupby/bench.mjs --csv FILE --rows N --runs R --peers duckdb,polars,pandas
//        --questions 1-10 [--timeout 600] [--threads T] [--kiln build/kiln]
//        [--unavailable "polars=reason"]... [--date YYYY-MM-DD] [--scaling 1,3,10|none]
//
// Modes: "e2e" (every run of every question is a fresh process reading the CSV; peak RSS by
// /usr/bin/time -v) and "mem" (one session per engine: load x once, then all questions; kiln's
// statements are timed by its --timer "Run Time: X s" lines). Times are the statement /
// operation only, measured inside each engine (kiln --timer, performance.now(), perf_counter()).
// Scaling: the --scaling questions (default 1, 3, 10) also run end to end in kiln on 1 thread;
// the report gives median(1 thread) / median(T threads).
// Correctness: kiln's [row count, sum of each numeric column] vs DuckDB's, 1e-9 relative.
// Writes bench/results/groupby-<date>.{md,svg,json}; exit status 1 when a kiln answer is WRONG
// or kiln failed a question, 0 otherwise (peer failures are reported as n/a).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUESTIONS, LABELS, CHECK_COLS, sql, checkSql, sqlQuote, parseQuestions } from './questions.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BENCH = path.dirname(HERE);
const ROOT = path.dirname(BENCH);
process.chdir(ROOT);

// ---------------------------------------------------------------- arguments
const opt = { runs: 3, peers: 'duckdb,polars,pandas', questions: '1-10', timeout: 600, threads: os.cpus().length, kiln: 'build/kiln', unavailable: [], scaling: '1,3,10' };
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i].replace(/^--/, '');
  const v = process.argv[++i];
  if (v === undefined) throw new Error(`missing value for --${k}`);
  if (k === 'unavailable') opt.unavailable.push(v); else opt[k] = v;
}
if (!opt.csv) throw new Error('--csv is required');
const RUNS = Math.max(1, Number(opt.runs));
const TIMEOUT = Number(opt.timeout);
const QS = parseQuestions(opt.questions);
const SCALING = opt.scaling === 'none' || Number(opt.threads) < 2 ? [] : parseQuestions(String(opt.scaling)).filter((q) => QS.includes(q));
const PEERS = String(opt.peers).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
for (const p of PEERS) if (!['duckdb', 'polars', 'pandas'].includes(p)) throw new Error(`unknown peer ${p}`);
const ENGINES = ['kiln', ...['duckdb', 'polars', 'pandas'].filter((p) => PEERS.includes(p))];
const NAMES = { kiln: 'kiln', duckdb: 'DuckDB', polars: 'Polars', pandas: 'pandas' };
const UNAVAILABLE = {};
for (const u of opt.unavailable) { const j = u.indexOf('='); UNAVAILABLE[u.slice(0, j)] = u.slice(j + 1); }
const DATE = opt.date || new Date().toISOString().slice(0, 10);
const PY = '/usr/bin/python3';
const TMP = fs.mkdtempSync(path.join(BENCH, 'data', '.tmp-groupby-'));
const cleanup = () => fs.rmSync(TMP, { recursive: true, force: true });
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

const log = (...a) => console.error(...a);
const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const LOAD_START = loadavg();

// ---------------------------------------------------------------- process runner
// Runs cmd under /usr/bin/time -v and timeout(1); returns {ok, status, stdout, stderr, peakMB, timedOut}.
function runTimed(cmd, args, timeoutS, env = {}) {
  const r = spawnSync('/usr/bin/time', ['-v', 'timeout', '-s', 'KILL', String(Math.ceil(timeoutS)), cmd, ...args], {
    encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...env },
  });
  let stderr = r.stderr || '';
  const cut = stderr.search(/\n?\s*(Command (exited|terminated)[^\n]*\n\s*)?Command being timed:/);
  const timeText = cut >= 0 ? stderr.slice(cut) : '';
  if (cut >= 0) stderr = stderr.slice(0, cut);
  const m = timeText.match(/Maximum resident set size \(kbytes\): (\d+)/);
  const peakMB = m ? Number(m[1]) / 1024 : null;
  const status = r.status;
  const timedOut = status === 124 || status === 137;
  return { ok: status === 0, status, stdout: r.stdout || '', stderr, peakMB, timedOut, spawnError: r.error };
}

function failReason(r, timeoutS) {
  if (r.spawnError) return String(r.spawnError.message);
  if (r.timedOut) return `timeout after ${timeoutS} s`;
  const kerr = r.stderr.split('\n').filter((l) => l.startsWith('kiln: error:'));
  if (kerr.length) return kerr[0].replace(/^kiln: error:\s*/, '');
  const tail = r.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' / ');
  return `exit status ${r.status}${tail ? ': ' + tail.slice(0, 300) : ''}`;
}

const parseEvents = (out) => out.split('\n').filter((l) => l.startsWith('@@ ')).map((l) => JSON.parse(l.slice(3)));

// ---------------------------------------------------------------- results
// R[mode][engine][q] = {times: [], peaks: [], check: null|[...], error: null|string}
const R = { e2e: {}, mem: {} };
const LOADS = {}; // engine -> {seconds, peakMB, error}
for (const mode of ['e2e', 'mem']) for (const e of ENGINES) {
  R[mode][e] = {};
  for (const q of QS) R[mode][e][q] = { times: [], peaks: [], check: null, error: null };
}
const slot = (mode, e, q) => R[mode][e][q];

// ---------------------------------------------------------------- kiln
const KILN = path.resolve(ROOT, opt.kiln);
const kilnArgs = (threads = opt.threads) => ['--threads', String(threads), '--timer'];
const runTimes = (stderr) => [...stderr.matchAll(/^Run Time: ([0-9.eE+-]+) s$/gm)].map((m) => Number(m[1]));
function checkLine(stdout, q) {
  const line = stdout.split('\n').find((l) => l.startsWith(`q${q},`));
  return line ? line.split(',').slice(1).map(Number) : null;
}

function kilnE2E(q, run, threads = opt.threads, s = slot('e2e', 'kiln', q)) {
  const r = runTimed(KILN, [...kilnArgs(threads), '-c', `CREATE TABLE ans AS ${sql(q, sqlQuote(opt.csv))}`, '-c', checkSql(q)], TIMEOUT);
  const t = runTimes(r.stderr);
  if (!r.ok || t.length < 1) { s.error = failReason(r, TIMEOUT); return; }
  s.times.push(t[0]); s.peaks.push(r.peakMB);
  if (run === 1) s.check = checkLine(r.stdout, q);
}

// One kiln session over `qs`: load, then per question RUNS x (CREATE ans; [check]; DROP ans).
function kilnSession(qs) {
  const stmts = [{ kind: 'load', sql: `CREATE TABLE x AS SELECT * FROM ${sqlQuote(opt.csv)}` }];
  for (const q of qs) for (let r = 1; r <= RUNS; r++) {
    stmts.push({ kind: 'create', q, r, sql: `CREATE TABLE ans AS ${sql(q, 'x')}` });
    if (r === 1) stmts.push({ kind: 'check', q, r, sql: checkSql(q) });
    stmts.push({ kind: 'drop', q, r, sql: 'DROP TABLE ans' });
  }
  const file = path.join(TMP, 'kiln-mem.sql');
  fs.writeFileSync(file, stmts.map((s) => s.sql + ';\n').join(''));
  const res = runTimed(KILN, [...kilnArgs(), file], TIMEOUT * (qs.length * RUNS + 1));
  const t = runTimes(res.stderr);
  const events = [];
  for (let i = 0; i < t.length && i < stmts.length; i++) {
    const st = stmts[i];
    if (st.kind === 'load') events.push({ load: t[i] });
    else if (st.kind === 'create') events.push({ q: st.q, run: st.r, seconds: t[i], check: st.r === 1 ? checkLine(res.stdout, st.q) : undefined });
  }
  let failed = null;
  if (!res.ok) {
    const st = stmts[Math.min(t.length, stmts.length - 1)];
    failed = { q: st.kind === 'load' ? null : st.q, message: failReason(res, TIMEOUT) };
  }
  return { events, peakMB: res.peakMB, failed };
}

// ---------------------------------------------------------------- peers
const DRIVERS = {
  duckdb: (args) => ['node', [path.join(HERE, 'duckdb_q.mjs'), ...args]],
  polars: (args) => ['node', [path.join(HERE, 'polars_q.mjs'), ...args]],
  pandas: (args) => [PY, [path.join(HERE, 'pandas_q.py'), ...args]],
};
const peerEnv = () => ({ THREADS: String(opt.threads), POLARS_MAX_THREADS: String(opt.threads) });

function peerE2E(e, q, run) {
  const s = slot('e2e', e, q);
  const [cmd, args] = DRIVERS[e](['e2e', opt.csv, String(q)]);
  const r = runTimed(cmd, args, TIMEOUT, peerEnv());
  const ev = parseEvents(r.stdout).find((x) => x.q === q);
  if (ev && ev.error) { s.error = ev.error; return; }
  if (!r.ok || !ev) { s.error = failReason(r, TIMEOUT); return; }
  s.times.push(ev.seconds); s.peaks.push(r.peakMB);
  if (run === 1) s.check = ev.check;
}

function peerSession(e, qs) {
  const [cmd, args] = DRIVERS[e](['mem', opt.csv, qs.join(','), String(RUNS)]);
  const res = runTimed(cmd, args, TIMEOUT * (qs.length * RUNS + 1), peerEnv());
  const events = parseEvents(res.stdout);
  let failed = null;
  if (!res.ok) {
    const done = (q) => events.filter((x) => x.q === q).length >= RUNS;
    const loaded = events.some((x) => x.load !== undefined);
    const q = loaded ? qs.find((qq) => !done(qq)) ?? null : null;
    failed = { q, message: failReason(res, TIMEOUT) };
  }
  return { events, peakMB: res.peakMB, failed };
}

// Runs sessions until every question has been tried; a crash marks its question and restarts.
function memMode(e) {
  let remaining = [...QS];
  let peak = 0;
  while (remaining.length) {
    log(`  [mem] ${NAMES[e]}: session over q${remaining.join(',q')}`);
    const s = e === 'kiln' ? kilnSession(remaining) : peerSession(e, remaining);
    peak = Math.max(peak, s.peakMB || 0);
    for (const ev of s.events) {
      if (ev.load !== undefined) { if (!LOADS[e]) LOADS[e] = { seconds: ev.load }; continue; }
      const sl = slot('mem', e, ev.q);
      if (ev.error) { sl.error = sl.error || ev.error; continue; }
      sl.times.push(ev.seconds);
      if (ev.check) sl.check = ev.check;
      log(`    ${NAMES[e]} q${ev.q} run ${ev.run}: ${ev.seconds.toFixed(3)} s`);
    }
    if (!s.failed) break;
    if (s.failed.q === null) { // load failed: nothing else can run
      LOADS[e] = { ...(LOADS[e] || {}), error: s.failed.message };
      for (const q of remaining) slot('mem', e, q).error = slot('mem', e, q).error || `load failed: ${s.failed.message}`;
      break;
    }
    slot('mem', e, s.failed.q).error = s.failed.message;
    log(`    ${NAMES[e]} q${s.failed.q}: FAILED: ${s.failed.message}`);
    remaining = remaining.filter((q) => q > s.failed.q);
  }
  LOADS[e] = { ...(LOADS[e] || {}), peakMB: peak || null };
}

// ---------------------------------------------------------------- run
log(`groupby benchmark: ${opt.csv}, questions ${QS.join(',')}, runs ${RUNS}, engines ${ENGINES.join(',')}, load avg ${LOAD_START}`);
const live = ENGINES.filter((e) => !UNAVAILABLE[e]);
for (const e of ENGINES) if (UNAVAILABLE[e]) for (const m of ['e2e', 'mem']) for (const q of QS) slot(m, e, q).error = UNAVAILABLE[e];

log('== end-to-end from CSV (fresh process per run)');
for (const q of QS) {
  for (const e of live) {
    for (let r = 1; r <= RUNS; r++) {
      const s = slot('e2e', e, q);
      if (s.error) break;
      if (e === 'kiln') kilnE2E(q, r); else peerE2E(e, q, r);
      log(s.error ? `  q${q} ${NAMES[e]}: FAILED: ${s.error}` : `  q${q} ${NAMES[e]} run ${r}: ${s.times.at(-1).toFixed(3)} s, ${s.peaks.at(-1)?.toFixed(0)} MB`);
    }
  }
}
// 1-thread kiln runs for the scaling table (same mode as e2e; check answers are not re-probed)
const SCALE = {};
if (SCALING.length) log('== scaling: kiln end to end on 1 thread');
for (const q of SCALING) {
  SCALE[q] = { times: [], peaks: [], check: null, error: null };
  for (let r = 1; r <= RUNS && !SCALE[q].error; r++) {
    kilnE2E(q, 2, 1, SCALE[q]);
    log(SCALE[q].error ? `  q${q} kiln 1 thread: FAILED: ${SCALE[q].error}` : `  q${q} kiln 1 thread run ${r}: ${SCALE[q].times.at(-1).toFixed(3)} s`);
  }
}
log('== in memory (one session per engine)');
for (const e of live) memMode(e);
const LOAD_END = loadavg();

// ---------------------------------------------------------------- evaluation
const median = (a) => { if (!a.length) return null; const s = [...a].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const close = (a, b) => (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
function compare(a, b) { // -> null if equal, else description
  if (!a || !b) return 'missing probe result';
  if (a.length !== b.length) return 'probe width differs';
  const names = ['rows', ...CHECK_COLS_FOR(a.length)];
  for (let i = 0; i < a.length; i++) if (!close(a[i], b[i])) return `${names[i]}: ${a[i]} vs ${b[i]}`;
  return null;
}
let CUR_Q = 0;
function CHECK_COLS_FOR() { return CHECK_COLS[CUR_Q].map((c) => `sum(${c})`); }

let kilnFailed = false;
const CHECKS = { e2e: {}, mem: {} };
const PEER_NOTES = [];
for (const mode of ['e2e', 'mem']) for (const q of QS) {
  CUR_Q = q;
  const k = slot(mode, 'kiln', q);
  const d = ENGINES.includes('duckdb') ? slot(mode, 'duckdb', q) : null;
  let c;
  if (k.error) { c = 'ERROR'; kilnFailed = true; }
  else if (!d || d.error || !d.check) c = 'unverified';
  else {
    const diff = compare(k.check, d.check);
    c = diff ? 'WRONG' : 'OK';
    if (diff) { kilnFailed = true; k.wrong = diff; }
  }
  CHECKS[mode][q] = c;
  if (d && d.check) for (const p of ['polars', 'pandas']) {
    const s = ENGINES.includes(p) ? slot(mode, p, q) : null;
    if (s && s.check) { const diff = compare(s.check, d.check); if (diff) PEER_NOTES.push(`${mode} q${q} ${NAMES[p]} differs from DuckDB: ${diff}`); }
  }
}

// ---------------------------------------------------------------- report
const fmtS = (x) => (x === null || x === undefined ? 'n/a' : x < 10 ? x.toFixed(3) : x.toFixed(2));
const fmtMB = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(0));
const cell = (mode, e, q) => { const s = slot(mode, e, q); return s.error ? 'n/a' : fmtS(median(s.times)); };
function ratio(mode, q) {
  const k = slot(mode, 'kiln', q); const d = ENGINES.includes('duckdb') ? slot(mode, 'duckdb', q) : null;
  if (!d || k.error || d.error || !k.times.length || !d.times.length) return null;
  const dm = median(d.times); return dm > 0 ? median(k.times) / dm : null;
}
const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : null);

function table(mode) {
  const head = ['question', ...ENGINES.map((e) => `${NAMES[e]} s`), 'kiln/DuckDB', 'kiln peak MB', 'DuckDB peak MB', 'check'];
  const rows = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const q of QS) {
    const r = ratio(mode, q);
    const peak = (e) => { if (mode === 'mem') return '—'; if (!ENGINES.includes(e)) return 'n/a'; const s = slot(mode, e, q); return s.error ? 'n/a' : fmtMB(Math.max(...s.peaks)); };
    rows.push(`| q${q} ${LABELS[q]} | ${ENGINES.map((e) => cell(mode, e, q)).join(' | ')} | ${r === null ? 'n/a' : r.toFixed(2)} | ${peak('kiln')} | ${peak('duckdb')} | ${CHECKS[mode][q]} |`);
  }
  const rs = QS.map((q) => ratio(mode, q)).filter((x) => x !== null && x > 0);
  const g = geomean(rs);
  return { text: rows.join('\n'), geo: g, n: rs.length };
}

function versions() {
  const v = {};
  const sh = (cmd, args) => { const r = spawnSync(cmd, args, { encoding: 'utf8' }); return r.status === 0 ? (r.stdout || r.stderr).trim() : null; };
  v.kiln = sh(KILN, ['--version']) || '?';
  const pkg = (p) => { try { return JSON.parse(fs.readFileSync(path.join(BENCH, 'node_modules', p, 'package.json'), 'utf8')).version; } catch { return null; } };
  v.duckdb = pkg('@duckdb/node-api') ? `@duckdb/node-api ${pkg('@duckdb/node-api')} (DuckDB ${sh('node', ['--input-type=module', '-e', "import {DuckDBInstance} from '@duckdb/node-api'; const c=await (await DuckDBInstance.create(':memory:')).connect(); console.log((await c.runAndReadAll('SELECT version()')).getRows()[0][0])"]) || '?'})` : 'not installed';
  v.polars = pkg('nodejs-polars') ? `nodejs-polars ${pkg('nodejs-polars')} (native nodejs-polars-linux-x64-gnu ${pkg('nodejs-polars-linux-x64-gnu') || 'missing'})` : 'not installed';
  v.pandas = sh(PY, ['-c', 'import pandas, numpy, sys; print(f"pandas {pandas.__version__}, numpy {numpy.__version__}, Python {sys.version.split()[0]}")']) || 'not installed';
  v.node = process.version;
  return v;
}

// Fix the cwd-relative requirement of the DuckDB version probe (module resolution from bench/).
process.chdir(BENCH);
const V = versions();
process.chdir(ROOT);

const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || '?';
const memGB = (Number(fs.readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)[1]) / 1048576).toFixed(1);
const sizeMB = (fs.statSync(opt.csv).size / 1048576).toFixed(0);
const E = table('e2e'); const M = table('mem');
const failures = [];
for (const mode of ['e2e', 'mem']) for (const e of ENGINES) for (const q of QS) {
  const s = slot(mode, e, q);
  if (s.error) failures.push(`- ${mode === 'e2e' ? 'end-to-end' : 'in-memory'} q${q} ${NAMES[e]}: ${s.error}`);
  if (e === 'kiln' && s.wrong) failures.push(`- ${mode === 'e2e' ? 'end-to-end' : 'in-memory'} q${q} kiln WRONG: ${s.wrong} (kiln vs DuckDB)`);
}
const md = `# db-benchmark group-by — ${DATE}

kiln vs DuckDB, Polars and pandas on the db-benchmark (h2oai, maintained by DuckDB Labs) group-by suite.
Produced by \`bash bench/groupby/run.sh --rows ${opt.rows || '?'} --runs ${RUNS} --peers ${PEERS.join(',')} --questions ${opt.questions}\`.

## Setup

- Machine: ${os.cpus().length} cores (${cpu}), ${memGB} GB RAM, ${os.type()} ${os.release()}.
- Load average (1/5/15 min): ${LOAD_START} at start, ${LOAD_END} at end — the machine is shared, so times are indicative.
- Threads: ${opt.threads} for every engine. Runs per question: ${RUNS} (median reported). Timeout: ${TIMEOUT} s per question.
- Data: \`${opt.csv}\` — ${Number(opt.rowsN || 0).toLocaleString('en-US')} rows, K=100, ${sizeMB} MB (bench/gen_groupby, distributions of groupby-datagen.R, no NAs).
- Versions: kiln: ${V.kiln}; DuckDB: ${V.duckdb}; Polars: ${V.polars}; pandas: ${V.pandas}; node ${V.node}.

Times are the statement / operation only, measured inside each engine: kiln \`--timer\` ("Run Time")
of \`CREATE TABLE ans AS …\`; DuckDB \`performance.now()\` around \`CREATE TABLE ans AS …\`
(@duckdb/node-api); Polars around \`lazy …collect()\`; pandas around the groupby (end-to-end: around
\`read_csv\` + groupby). Process start-up is not included for any engine. Peak MB: maximum RSS of the
process (\`/usr/bin/time -v\`). Ratio = kiln s / DuckDB s (lower is better for kiln).
Check: kiln's row count and the sum of every numeric result column (q8: id6 and v3) against DuckDB's,
relative tolerance 1e-9; WRONG = mismatch, ERROR = kiln failed, unverified = no DuckDB answer.

## End-to-end from CSV

Every run is a fresh process; x is the CSV file itself (\`FROM '${opt.csv}'\`; Polars \`scanCSV\`
lazily; pandas \`read_csv\` of the needed columns then groupby).

${E.text}

Geometric mean of kiln/DuckDB: ${E.geo === null ? 'n/a' : E.geo.toFixed(2)} (over ${E.n} questions).

![end-to-end times](groupby-${DATE}.svg)

## In memory

One process per engine: load x once (kiln/DuckDB: \`CREATE TABLE x AS SELECT * FROM '<csv>'\`; Polars
\`readCSV\` + id1..id3 to Categorical; pandas \`read_csv\` with id1..id3 as category, as in
db-benchmark), then every question ${RUNS}× as \`CREATE TABLE ans AS …\` (\`DROP TABLE ans\` between runs).
Peak MB per question is not measurable in one process; the session peak is in the load table.

${M.text}

Geometric mean of kiln/DuckDB: ${M.geo === null ? 'n/a' : M.geo.toFixed(2)} (over ${M.n} questions).

| engine | load s | session peak MB |
|---|---|---|
${ENGINES.map((e) => `| ${NAMES[e]} | ${LOADS[e] && LOADS[e].seconds !== undefined ? fmtS(LOADS[e].seconds) : 'n/a'} | ${LOADS[e] ? fmtMB(LOADS[e].peakMB) : 'n/a'} |`).join('\n')}

${SCALING.length ? `## Scaling (kiln, end to end from CSV)

Median of ${RUNS} run${RUNS > 1 ? 's' : ''} on 1 thread vs ${opt.threads} threads (the ${opt.threads}-thread runs are those of the end-to-end table).

| question | 1 thread s | ${opt.threads} threads s | speed-up |
|---|---|---|---|
${SCALING.map((q) => { const one = SCALE[q]; const many = slot('e2e', 'kiln', q); const a = one.error ? null : median(one.times); const b = many.error ? null : median(many.times); return `| q${q} ${LABELS[q]} | ${fmtS(a)} | ${fmtS(b)} | ${a && b ? (a / b).toFixed(2) + '×' : 'n/a'} |`; }).join('\n')}

` : ''}## Failures

${failures.length ? failures.join('\n') : 'None.'}
${PEER_NOTES.length ? '\nPeer answers that differ from DuckDB (informational):\n\n' + PEER_NOTES.map((n) => '- ' + n).join('\n') + '\n' : ''}
## Questions (db-benchmark groupby-duckdb.R)

${QS.map((q) => `- q${q}: \`${QUESTIONS[q]}\``).join('\n')}
`;

// ---------------------------------------------------------------- SVG chart (end-to-end)
function svg() {
  const COLORS = { kiln: '#d95f02', duckdb: '#e6ab02', polars: '#1b9e77', pandas: '#4c4ca8' };
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const barH = 12, gap = 10, left = 230, right = 70, top = 60, W = 960;
  const groupH = ENGINES.length * barH + gap;
  const plotW = W - left - right;
  const H = top + QS.length * groupH + 60;
  let max = 0;
  for (const q of QS) for (const e of ENGINES) { const m = median(slot('e2e', e, q).times); if (m !== null && !slot('e2e', e, q).error) max = Math.max(max, m); }
  if (max <= 0) max = 1;
  const p10 = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].map((f) => f * p10).find((s) => max / s <= 8) || p10 * 10;
  const axisMax = Math.ceil(max / step) * step;
  const x = (v) => left + (v / axisMax) * plotW;
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  o.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">db-benchmark group-by, end-to-end from CSV (${esc(path.basename(opt.csv))}), ${DATE}</text>`);
  ENGINES.forEach((e, i) => {
    const lx = left + i * 120;
    o.push(`<rect x="${lx}" y="32" width="14" height="12" fill="${COLORS[e]}"/><text x="${lx + 19}" y="42">${NAMES[e]}</text>`);
  });
  for (let v = 0; v <= axisMax + 1e-9; v += step) {
    const xx = x(v).toFixed(1);
    o.push(`<line x1="${xx}" y1="${top - 5}" x2="${xx}" y2="${top + QS.length * groupH}" stroke="#ddd"/>`);
    o.push(`<text x="${xx}" y="${top + QS.length * groupH + 16}" text-anchor="middle">${+v.toPrecision(6)}</text>`);
  }
  o.push(`<line x1="${left}" y1="${top - 5}" x2="${left}" y2="${top + QS.length * groupH}" stroke="#333"/>`);
  o.push(`<line x1="${left}" y1="${top + QS.length * groupH}" x2="${left + plotW}" y2="${top + QS.length * groupH}" stroke="#333"/>`);
  o.push(`<text x="${left + plotW / 2}" y="${top + QS.length * groupH + 38}" text-anchor="middle">seconds (median of ${RUNS} run${RUNS > 1 ? 's' : ''}, statement time; lower is better)</text>`);
  o.push(`<text transform="translate(14 ${top + (QS.length * groupH) / 2}) rotate(-90)" text-anchor="middle">question</text>`);
  QS.forEach((q, qi) => {
    const gy = top + qi * groupH;
    o.push(`<text x="${left - 8}" y="${gy + (ENGINES.length * barH) / 2 + 4}" text-anchor="end">q${q} ${esc(LABELS[q])}</text>`);
    ENGINES.forEach((e, ei) => {
      const s = slot('e2e', e, q); const m = s.error ? null : median(s.times);
      const y = gy + ei * barH;
      if (m === null) { o.push(`<text x="${left + 4}" y="${y + barH - 2}" font-size="10" fill="#888">${NAMES[e]}: n/a</text>`); return; }
      const w = Math.max(1, x(m) - left);
      o.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 1}" fill="${COLORS[e]}"><title>${NAMES[e]} q${q}: ${fmtS(m)} s</title></rect>`);
      o.push(`<text x="${(left + w + 3).toFixed(1)}" y="${y + barH - 2}" font-size="10">${fmtS(m)}</text>`);
    });
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}

fs.mkdirSync(path.join(BENCH, 'results'), { recursive: true });
const base = path.join(BENCH, 'results', `groupby-${DATE}`);
fs.writeFileSync(base + '.md', md);
fs.writeFileSync(base + '.svg', svg());
fs.writeFileSync(base + '.json', JSON.stringify({ date: DATE, csv: opt.csv, runs: RUNS, threads: opt.threads, loadavg: [LOAD_START, LOAD_END], versions: V, loads: LOADS, results: R, scaling: SCALE, checks: CHECKS }, null, 1));
process.stdout.write(md);
log(`wrote ${path.relative(ROOT, base)}.md, .svg, .json`);
process.exitCode = kilnFailed ? 1 : 0;
