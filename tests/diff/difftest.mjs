#!/usr/bin/env node
// difftest.mjs — differential test: random tables + random queries, run in kiln and in DuckDB
// (the reference), results compared.
//
// Usage (from anywhere):
//   node tests/diff/difftest.mjs --kiln <path to kiln_json> [--seed S] [--queries N]
//        [--features a,b,c | --features +join,-scalar] [--max-fail K] [--verbose] [--dump]
//
//   --seed       PRNG seed (default 42); the same seed gives the same tables and queries
//   --queries    number of random queries (default 2000)
//   --features   comma list of grammar features (default: DEFAULT_FEATURES below); a list of
//                +name / -name entries edits the default list instead of replacing it
//   --rows LO,HI rows per table (default 20,300; the soak also uses bigger tables so operators
//                see several 2048-row chunks)
//   --max-fail   stop printing details after K differences (default 50; all are counted)
//   --verbose    print every query;  --dump  print the setup SQL and exit
//   --sql TEXT   (repeatable) run TEXT in both engines on the seed's tables, print both results
//
// Features (each a flag of the query grammar):
//   on by default:  filter groupby orderby distinct scalar
//                   subquery (uncorrelated IN / NOT IN / EXISTS / scalar subqueries, FROM subqueries)
//                   cte (WITH)
//                   join (INNER/LEFT/RIGHT/FULL JOIN ON int equality [AND filter], USING (k))
//                   window (row_number/rank/dense_rank/lag/lead/sum/count OVER, total orders)
//                   setop (UNION, UNION ALL, EXCEPT, INTERSECT)
//   off by default (kiln does not support them yet): setopall (EXCEPT ALL, INTERSECT ALL)
//                   correlated (correlated EXISTS / scalar subqueries; use with subquery)
//                   aggdistinct (sum/avg/min/max(DISTINCT x); count(DISTINCT x) is in groupby)
//                   datefn (extract, year, date_trunc, date_diff) isdistinct (IS [NOT] DISTINCT FROM)
// See tests/diff/FINDINGS.md for what each feature found.
//
// Comparison: both engines must succeed or fail alike; a query DuckDB rejects is skipped (not
// counted). Then: same column count, same type class per column (integer / real / text /
// boolean / date / timestamp), same rows — in order when the query's ORDER BY is total over
// the output (it lists every output column), otherwise as sorted multisets. Doubles are equal
// within 1e-9 relative (or 1e-9 absolute near zero), NaN == NaN, inf == inf; integers exact;
// strings exact; dates/timestamps compared as text. kiln runs in one long-lived kiln_json child
// (a crash or a 60 s hang is a difference; the child is restarted and the tables re-created).
//
// Output: each difference (seed, query number, SQL, both results truncated), then a summary
// line "N passed, M failed" (N = compared and equal, M = differences) and the skipped count.
// Exit status 1 if any difference, 2 on a setup failure.

import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

const ALL_FEATURES = ['filter', 'groupby', 'orderby', 'distinct', 'scalar', 'join', 'window',
  'setop', 'setopall', 'subquery', 'correlated', 'cte', 'aggdistinct', 'datefn', 'isdistinct'];
const DEFAULT_FEATURES = ['filter', 'groupby', 'orderby', 'distinct', 'scalar', 'subquery', 'cte', 'join',
  'window', 'setop', 'setopall', 'correlated', 'datefn', 'isdistinct'];

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const o = { seed: 42, queries: 2000, rowsLo: 20, rowsHi: 300, features: [...DEFAULT_FEATURES], kiln: null, maxFail: 50,
    verbose: false, dump: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seed') o.seed = Number(next());
    else if (a === '--queries') o.queries = Number(next());
    else if (a === '--kiln') o.kiln = next();
    else if (a === '--max-fail') o.maxFail = Number(next());
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--dump') o.dump = true;
    else if (a === '--sql') (o.sql = o.sql || []).push(next());
    else if (a === '--rows') [o.rowsLo, o.rowsHi] = next().split(',').map(Number);
    else if (a === '--features') {
      const list = next().split(',').map((s) => s.trim()).filter(Boolean);
      if (list.every((f) => f[0] === '+' || f[0] === '-')) {
        const set = new Set(DEFAULT_FEATURES);
        for (const f of list) (f[0] === '+' ? set.add(f.slice(1)) : set.delete(f.slice(1)));
        o.features = [...set];
      } else o.features = list;
    } else if (a === '-h' || a === '--help') usage(null);
    else usage(`unknown argument ${a}`);
  }
  for (const f of o.features) if (!ALL_FEATURES.includes(f)) usage(`unknown feature ${f} (known: ${ALL_FEATURES.join(', ')})`);
  if (!Number.isFinite(o.seed) || !Number.isInteger(o.queries) || o.queries < 0) usage('bad --seed/--queries');
  if (!o.kiln && !o.dump) usage('--kiln <path to kiln_json> is required');
  return o;
}
function usage(msg) {
  if (msg) console.error(`difftest: ${msg}`);
  console.error('usage: node tests/diff/difftest.mjs --kiln build/kiln_json [--seed 42] [--queries 2000] [--features a,b,c]');
  process.exit(2);
}
const opt = parseArgs(process.argv.slice(2));
const F = new Set(opt.features);

// ---------------------------------------------------------------- PRNG (mulberry32 over a 32-bit seed)
function makeRng(seed) {
  let s = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    f: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    shuffle: (arr) => {
      const a = [...arr];
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    },
  };
}
const rng = makeRng(opt.seed);

// ---------------------------------------------------------------- tables
// Column kinds: int (BIGINT, small ranges), dbl (DOUBLE), str (VARCHAR, small vocabulary),
// date (DATE), ts (TIMESTAMP), bool (BOOLEAN). Every table has `id` (unique, never NULL: makes
// window orders total) and `k` (shared join key, small range); other columns vary.
const SQLTYPE = { int: 'BIGINT', dbl: 'DOUBLE', str: 'VARCHAR', date: 'DATE', ts: 'TIMESTAMP', bool: 'BOOLEAN' };
const VOCAB = ['', 'a', 'A', 'b', 'ab', 'abc', 'Abc', 'abd', 'hello', 'Hello', 'world', ' x ', 'x y',
  'foo_bar', '100%', 'zz', 'é', 'naïve', 'ÀB', 'a%b', '  '];
const pad = (n, w = 2) => String(n).padStart(w, '0');
function q(s) { return `'${s.replace(/'/g, "''")}'`; }
function randDate() {
  const y = rng.int(2019, 2025), m = rng.int(1, 12), dd = rng.int(1, 28);
  return `${y}-${pad(m)}-${pad(dd)}`;
}
function randValue(kind, spec) {
  switch (kind) {
    case 'int': return String(rng.int(...(spec.range || [spec.lo, spec.hi])));
    case 'dbl': {
      const r = rng.f();
      if (r < 0.5) return String(rng.int(-400, 400) / 4); // exact in binary: sums are exact
      if (r < 0.9) return String(rng.int(-99999, 99999) / 1000);
      return String(rng.int(-5, 5)); // small integral values (ties in GROUP BY / DISTINCT)
    }
    case 'str': return q(rng.pick(VOCAB));
    case 'date': return `DATE '${randDate()}'`;
    case 'ts': {
      const frac = rng.chance(0.2) ? `.${pad(rng.int(0, 999999), 6).replace(/0+$/, '') || '0'}` : '';
      return `TIMESTAMP '${randDate()} ${pad(rng.int(0, 23))}:${pad(rng.pick([0, 0, 15, 30, 59]))}:${pad(rng.pick([0, 0, 1, 30, 59]))}${frac}'`;
    }
    case 'bool': return rng.chance(0.5) ? 'true' : 'false';
  }
  throw new Error(kind);
}
function makeTables() {
  const ntab = rng.int(3, 4);
  const tables = [];
  for (let t = 0; t < ntab; t++) {
    const cols = [{ name: 'id', kind: 'int', notnull: true }, { name: 'k', kind: 'int', lo: 0, hi: 6 }];
    const extra = [
      { name: 'i1', kind: 'int', lo: 0, hi: 9 },
      { name: 'i2', kind: 'int', lo: -20, hi: 20 },
      { name: 'x', kind: 'dbl' },
      { name: 'y', kind: 'dbl' },
      { name: 's', kind: 'str' },
      { name: 's2', kind: 'str' },
      { name: 'd', kind: 'date' },
      { name: 'ts', kind: 'ts' },
      { name: 'b', kind: 'bool' },
    ];
    // always at least one int, one double, one string besides id/k; drop a few others
    for (const c of extra) {
      if (['i1', 'x', 's'].includes(c.name) || rng.chance(0.75)) cols.push(c);
    }
    const nrows = rng.int(opt.rowsLo, opt.rowsHi);
    // bigger tables get proportionally wider key ranges, so joins do not explode
    const f = Math.max(1, Math.ceil(nrows / 300));
    for (const c of cols) if (c.kind === 'int' && c.lo !== undefined) c.range = [c.lo * f, c.hi * f];
    const rows = [];
    for (let r = 0; r < nrows; r++) {
      rows.push(cols.map((c) => {
        if (c.name === 'id') return String(r + 1);
        if (!c.notnull && rng.chance(0.1)) return 'NULL';
        return randValue(c.kind, c);
      }));
    }
    tables.push({ name: `t${t}`, cols, rows });
  }
  return tables;
}
const tables = makeTables();
const setupSql = [];
for (const t of tables) {
  setupSql.push(`CREATE TABLE ${t.name} (${t.cols.map((c) => `${c.name} ${SQLTYPE[c.kind]}`).join(', ')})`);
  for (let i = 0; i < t.rows.length; i += 100) {
    setupSql.push(`INSERT INTO ${t.name} VALUES ${t.rows.slice(i, i + 100).map((r) => `(${r.join(', ')})`).join(', ')}`);
  }
}
if (opt.dump) {
  for (const s of setupSql) console.log(s + ';');
  process.exit(0);
}

// ---------------------------------------------------------------- expression grammar
// A "scope" is a list of columns {sql, kind}. gen(kind, scope, depth) returns SQL text of that
// kind; all generated expressions are type-correct, overflow-free (small ranges, bounded depth)
// and deterministic.
const ORDER_KINDS = ['int', 'dbl', 'str', 'date', 'ts', 'bool'];
function colsOf(scope, kind) { return scope.filter((c) => c.kind === kind); }
function intLit() { return String(rng.int(-5, 10)); }
function dblLit() {
  const v = rng.pick([0.5, 1.5, 2.25, -1.75, 0.1, 3, 10, -2, 0.333]);
  return `CAST(${v} AS DOUBLE)`;
}
function strLit() { return q(rng.pick(VOCAB)); }
function likePattern() {
  return q(rng.pick(['a%', '%b', '%o%', 'a_', '_b%', 'h%o', '%', '', 'A%', '%\\_%', 'x%', '__', '%é%', 'ab%']));
}
function dateLit() { return `DATE '${randDate()}'`; }
function tsLit() { return `TIMESTAMP '${randDate()} ${pad(rng.int(0, 23))}:00:00'`; }
function lit(kind) {
  switch (kind) {
    case 'int': return intLit();
    case 'dbl': return dblLit();
    case 'str': return strLit();
    case 'date': return dateLit();
    case 'ts': return tsLit();
    case 'bool': return rng.pick(['true', 'false']);
  }
  throw new Error(kind);
}
function leaf(kind, scope) {
  const cs = colsOf(scope, kind);
  if (cs.length && rng.chance(0.85)) return rng.pick(cs).sql;
  return lit(kind);
}

function gen(kind, scope, depth) {
  if (depth <= 0 || rng.chance(0.35)) return leaf(kind, scope);
  const d = depth - 1;
  const g = (k) => gen(k, scope, d);
  const opts = [];
  const add = (w, f) => opts.push([w, f]);
  // features that apply to every kind
  if (F.has('filter')) {
    // an untyped NULL only where a sibling gives the type (DuckDB types `NULL + 1` oddly)
    const gn = (k) => (rng.chance(0.1) ? 'NULL' : g(k));
    add(1, () => `CASE WHEN ${gen('bool', scope, d)} THEN ${gn(kind)} ELSE ${g(kind)} END`);
    add(1, () => `COALESCE(${gn(kind)}, ${g(kind)})`);
  }
  if (F.has('scalar') && kind !== 'bool') add(0.5, () => `nullif(${g(kind)}, ${g(kind)})`);
  if (kind === 'int') {
    if (F.has('filter')) {
      add(3, () => `(${g('int')} ${rng.pick(['+', '-'])} ${g('int')})`);
      add(1, () => `(${leaf('int', scope)} * ${leaf('int', scope)})`);
      add(0.5, () => `CAST(${g('dbl')} AS BIGINT)`);
      add(0.3, () => `CAST(${g('bool')} AS BIGINT)`);
    }
    if (F.has('scalar')) {
      add(1, () => `abs(${g('int')})`);
      add(1, () => `length(${g('str')})`);
      add(0.5, () => `(${g('int')} % ${rng.pick([2, 3, 5, -4])})`);
      add(0.3, () => `sign(${g('int')})`);
      add(0.3, () => `${rng.pick(['greatest', 'least'])}(${g('int')}, ${g('int')})`);
      add(0.3, () => `(${g('int')} // ${rng.pick([2, 3, -3, 7])})`);
      add(0.3, () => `(-${g('int')})`);
      add(0.4, () => `${rng.pick(['strpos', 'instr'])}(${g('str')}, ${q(rng.pick(['a', 'b', 'l', '', 'é', ' ']))})`);
      add(0.3, () => `TRY_CAST(${leaf('str', scope)} AS BIGINT)`);
      add(0.3, () => `(${g('date')} - ${leaf('date', scope)})`);
    }
    if (F.has('datefn')) {
      add(0.5, () => `${rng.pick(['year', 'month', 'day', 'dayofweek', 'quarter'])}(${g(rng.pick(['date', 'ts']))})`);
      add(0.5, () => `extract(${rng.pick(['year', 'month', 'day', 'hour', 'minute'])} FROM ${g('ts')})`);
      add(0.3, () => `date_diff('${rng.pick(['day', 'month', 'year'])}', ${g('date')}, ${g('date')})`);
    }
  } else if (kind === 'dbl') {
    if (F.has('filter')) {
      add(3, () => `(${g('dbl')} ${rng.pick(['+', '-', '*'])} ${g(rng.pick(['dbl', 'int']))})`);
      add(1, () => `(${g(rng.pick(['dbl', 'int']))} / ${g(rng.pick(['dbl', 'int']))})`);
      add(1, () => `CAST(${g('int')} AS DOUBLE)`);
    }
    if (F.has('scalar')) {
      add(1, () => `abs(${g('dbl')})`);
      add(1, () => `round(${g(rng.chance(0.85) ? 'dbl' : 'int')}${rng.chance(0.6) ? `, ${rng.int(0, 2)}` : ''})`);
      add(1, () => `${rng.pick(['floor', 'ceil', 'trunc'])}(${g(rng.chance(0.8) ? 'dbl' : 'int')})`);
      add(0.3, () => `sqrt(abs(${g('dbl')}))`);
      add(0.3, () => `sign(${g('dbl')})`);
      add(0.3, () => `${rng.pick(['ln', 'exp', 'log10'])}(abs(${g('dbl')}) + 1)`);
      add(0.3, () => `pow(${g('dbl')}, ${rng.pick([2, 0, 3])})`);
      add(0.3, () => `(${g('dbl')})::DOUBLE`);
      add(0.3, () => `TRY_CAST(${leaf('str', scope)} AS DOUBLE)`);
    }
  } else if (kind === 'str') {
    if (F.has('filter')) add(0.7, () => `CAST(${g(rng.pick(['int', 'date', 'bool']))} AS VARCHAR)`);
    if (F.has('scalar')) {
      add(1, () => `${rng.pick(['lower', 'upper'])}(${g('str')})`);
      add(1, () => `substr(${g('str')}, ${rng.int(-3, 5)}${rng.chance(0.7) ? `, ${rng.int(0, 4)}` : ''})`);
      add(1, () => `${rng.pick(['trim', 'ltrim', 'rtrim'])}(${g('str')})`);
      add(1, () => `concat(${g('str')}, ${g(rng.pick(['str', 'int']))})`);
      add(1, () => `(${g('str')} || ${g('str')})`);
      add(0.4, () => `${rng.pick(['left', 'right'])}(${g('str')}, ${rng.int(0, 3)})`);
      add(0.4, () => `replace(${g('str')}, ${q(rng.pick(['a', 'b', 'l', '']))}, ${q(rng.pick(['', 'Z', 'xy']))})`);
      add(0.3, () => `reverse(${g('str')})`);
      add(0.2, () => `CAST(${g('dbl')} AS VARCHAR)`);
      add(0.2, () => `CAST(${g('ts')} AS VARCHAR)`);
      add(0.3, () => `${rng.pick(['lpad', 'rpad'])}(${g('str')}, ${rng.int(0, 5)}, ${q(rng.pick(['*', 'ab', 'é']))})`);
      add(0.3, () => `repeat(${g('str')}, ${rng.int(0, 3)})`);
      add(0.3, () => `split_part(${g('str')}, ${q(rng.pick([' ', 'a', '_', '']))}, ${rng.int(-2, 3)})`);
      add(0.3, () => `concat_ws(${q(rng.pick(['-', '', ', ']))}, ${g('str')}, ${g('str')})`);
      add(0.3, () => `${rng.pick(['greatest', 'least'])}(${g('str')}, ${g('str')})`);
      add(0.3, () => `ifnull(${g('str')}, ${strLit()})`);
    }
  } else if (kind === 'date') {
    if (F.has('filter')) add(1, () => `CAST(${g('ts')} AS DATE)`);
    if (F.has('scalar')) {
      add(0.4, () => `${rng.pick(['greatest', 'least'])}(${g('date')}, ${g('date')})`);
      add(0.4, () => `(${g('date')} ${rng.pick(['+', '-'])} ${rng.int(-40, 400)})`);
    }
    if (F.has('datefn')) add(0.4, () => `CAST(date_trunc('${rng.pick(['month', 'year', 'week'])}', ${g('date')}) AS DATE)`);
  } else if (kind === 'ts') {
    if (F.has('filter')) add(1, () => `CAST(${g('date')} AS TIMESTAMP)`);
  } else if (kind === 'bool') {
    const cmp = () => {
      const k = rng.pick(['int', 'int', 'int', 'dbl', 'dbl', 'str', 'date', 'ts', 'bool']);
      return `(${g(k)} ${rng.pick(['=', '<>', '<', '<=', '>', '>=', '!='])} ${g(k)})`;
    };
    add(4, cmp);
    if (F.has('filter')) {
      add(2, () => `(${g('bool')} ${rng.pick(['AND', 'OR'])} ${g('bool')})`);
      add(1, () => `(NOT ${g('bool')})`);
      add(1.5, () => `(${g(rng.pick(ORDER_KINDS))} IS ${rng.chance(0.5) ? 'NOT ' : ''}NULL)`);
      add(1.5, () => {
        const k = rng.pick(['int', 'int', 'str', 'dbl', 'date']);
        const n = rng.int(1, 4);
        const items = Array.from({ length: n }, () => (rng.chance(0.1) ? 'NULL' : lit(k)));
        return `(${g(k)} ${rng.chance(0.3) ? 'NOT ' : ''}IN (${items.join(', ')}))`;
      });
      add(1, () => {
        const k = rng.pick(['int', 'dbl', 'str', 'date']);
        return `(${g(k)} ${rng.chance(0.2) ? 'NOT ' : ''}BETWEEN ${lit(k)} AND ${lit(k)})`;
      });
      add(1.5, () => `(${g('str')} ${rng.chance(0.2) ? 'NOT ' : ''}${rng.chance(0.8) ? 'LIKE' : 'ILIKE'} ${likePattern()})`);
      add(0.5, () => `(${leaf('date', scope)} ${rng.pick(['<', '>=', '='])} '${randDate()}')`);
    }
    if (F.has('scalar')) {
      add(0.5, () => `${rng.pick(['starts_with', 'contains', 'ends_with'])}(${g('str')}, ${q(rng.pick(['a', 'b', 'lo', '', 'é', 'A']))})`);
      add(0.3, () => `regexp_matches(${g('str')}, ${q(rng.pick(['^a', 'b$', 'o+', '[a-c]', '^$', 'x y']))})`);
    }
    if (F.has('isdistinct')) {
      add(0.7, () => {
        const k = rng.pick(['int', 'str', 'dbl', 'date']);
        return `(${g(k)} IS ${rng.chance(0.5) ? 'NOT ' : ''}DISTINCT FROM ${g(k)})`;
      });
    }
  }
  if (!opts.length) return leaf(kind, scope);
  let total = 0;
  for (const [w] of opts) total += w;
  let r = rng.f() * total;
  for (const [w, f] of opts) {
    if ((r -= w) <= 0) return f();
  }
  return opts[opts.length - 1][1]();
}
const anyKind = () => rng.pick(['int', 'int', 'dbl', 'dbl', 'str', 'str', 'date', 'ts', 'bool']);
function exprMaxDepth() { return rng.pick([0, 1, 1, 2, 2, 3]); }

// ---------------------------------------------------------------- sources (FROM)
function tableScope(t, alias) {
  return t.cols.map((c) => ({ sql: alias ? `${alias}.${c.name}` : c.name, name: c.name, kind: c.kind }));
}
// Returns {from, scope, ctes}
function genSource(depth = 0) {
  const r = rng.f();
  if (F.has('join') && r < 0.3 && depth === 0) {
    const [ta, tb] = rng.shuffle(tables).slice(0, 2);
    const sa = tableScope(ta, 'a'), sb = tableScope(tb, 'b');
    const jt = rng.pick(['JOIN', 'INNER JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN', 'LEFT OUTER JOIN']);
    if (rng.chance(0.25)) {
      // USING (k): the join column is visible unqualified
      const scope = [{ sql: 'k', name: 'k', kind: 'int' }, ...sa.filter((c) => c.name !== 'k'), ...sb.filter((c) => c.name !== 'k')];
      return { from: `${ta.name} a ${jt} ${tb.name} b USING (k)`, scope };
    }
    const ia = rng.pick(colsOf(sa, 'int').filter((c) => c.name !== 'id')), ib = rng.pick(colsOf(sb, 'int').filter((c) => c.name !== 'id'));
    let on = `${ia.sql} = ${ib.sql}`;
    if (rng.chance(0.3)) on += ` AND ${gen('bool', [...sa, ...sb], 1)}`;
    return { from: `${ta.name} a ${jt} ${tb.name} b ON ${on}`, scope: [...sa, ...sb] };
  }
  if ((F.has('subquery') || F.has('cte')) && r < 0.5 && depth === 0) {
    const t = rng.pick(tables);
    const base = tableScope(t, null);
    const n = rng.int(1, 4);
    const items = [];
    const scope = [];
    for (let i = 0; i < n; i++) {
      const k = anyKind();
      items.push(`${gen(k, base, 2)} AS c${i}`);
      scope.push({ sql: `c${i}`, name: `c${i}`, kind: k });
    }
    const inner = `SELECT ${items.join(', ')} FROM ${t.name}${rng.chance(0.5) ? ` WHERE ${gen('bool', base, 2)}` : ''}`;
    const useCte = F.has('cte') && (!F.has('subquery') || rng.chance(0.5));
    if (useCte) return { from: 'w', scope, ctes: `WITH w AS (${inner}) `, qual: 'w' };
    return { from: `(${inner}) AS sq`, scope: scope.map((c) => ({ ...c, sql: `sq.${c.name}` })), qual: 'sq' };
  }
  const t = rng.pick(tables);
  return { from: t.name, scope: tableScope(t, null), table: t, qual: t.name };
}

// ---------------------------------------------------------------- aggregates
function genAgg(scope) {
  const num = () => gen(rng.pick(['int', 'dbl']), scope, rng.pick([0, 0, 1]));
  const any = () => gen(rng.pick(['int', 'dbl', 'str', 'date', 'ts']), scope, rng.pick([0, 0, 1]));
  const opts = [
    [2, () => 'count(*)'],
    [1.5, () => `count(${any()})`],
    [1, () => `count(DISTINCT ${any()})`],
    [2, () => `sum(${num()})`],
    [1.5, () => `avg(${num()})`],
    [1.5, () => `min(${any()})`],
    [1.5, () => `max(${any()})`],
    [0.7, () => `${rng.pick(['stddev_samp', 'stddev_pop', 'var_samp', 'var_pop', 'stddev', 'variance'])}(${num()})`],
    [0.7, () => `median(${num()})`],
    [0.4, () => `${rng.pick(['quantile_cont', 'quantile_disc'])}(${num()}, ${rng.pick(['0.25', '0.5', '0.9', '0'])})`],
    [0.3, () => `${rng.pick(['bool_and', 'bool_or'])}(${gen('bool', scope, 1)})`],
  ];
  opts.push(
    [0.8, () => `${rng.pick(['corr', 'covar_pop', 'covar_samp', 'regr_slope', 'regr_intercept', 'regr_r2',
      'regr_count', 'regr_avgx', 'regr_avgy', 'regr_sxx', 'regr_syy', 'regr_sxy'])}(${num()}, ${num()})`],
  );
  if (F.has('aggdistinct')) {
    opts.push([0.5, () => `${rng.pick(['sum', 'avg', 'min', 'max'])}(DISTINCT ${gen(rng.pick(['int', 'dbl']), scope, 0)})`]);
  }
  let total = 0;
  for (const [w] of opts) total += w;
  let r = rng.f() * total;
  for (const [w, f] of opts) if ((r -= w) <= 0) return f();
  return 'count(*)';
}

// ---------------------------------------------------------------- queries
// Returns {sql, ordered}: ordered = the ORDER BY is total over the output (compare in order).
function orderByAll(n) {
  // ORDER BY every output column (by ordinal), random directions and NULLS placement
  const idx = rng.shuffle(Array.from({ length: n }, (_, i) => i + 1));
  return idx.map((i) => `${i}${rng.pick(['', ' ASC', ' DESC'])}${rng.pick(['', '', ' NULLS FIRST', ' NULLS LAST'])}`).join(', ');
}
function limitClause() {
  const r = rng.f();
  if (r < 0.5) return ` LIMIT ${rng.int(0, 30)}`;
  if (r < 0.8) return ` LIMIT ${rng.int(1, 30)} OFFSET ${rng.int(0, 40)}`;
  return '';
}
function withWhere(scope) {
  return F.has('filter') && rng.chance(0.6) ? ` WHERE ${gen('bool', scope, rng.pick([1, 2, 3]))}` : '';
}
function finishOrder(sql, ncols, hiddenScope = null) {
  // ORDER BY: total (all output columns, maybe LIMIT) or partial (then compared unordered).
  // With hiddenScope (a plain projection), an expression that is not an output column may come
  // first: ORDER BY h, <every output column> still fixes the output sequence (rows that tie
  // are identical).
  if (F.has('orderby') && rng.chance(0.5)) {
    if (rng.chance(0.8)) {
      const h = hiddenScope && rng.chance(0.3)
        ? `${gen(rng.pick(['int', 'dbl', 'str', 'date']), hiddenScope, 1)}${rng.pick(['', ' DESC', ' NULLS FIRST'])}, ` : '';
      return { sql: `${sql} ORDER BY ${h}${orderByAll(ncols)}${limitClause()}`, ordered: true };
    }
    return { sql: `${sql} ORDER BY ${rng.int(1, ncols)}${rng.pick(['', ' DESC'])}`, ordered: false };
  }
  return { sql, ordered: false };
}
function selectSubqueryPredicate(scope, outerQual) {
  // subquery predicates on the outer scope
  const t = rng.pick(tables);
  const inner = tableScope(t, 'i');
  const r = rng.f();
  const ints = colsOf(scope, 'int');
  if (r < 0.4 && ints.length) {
    return `${rng.pick(ints).sql} ${rng.chance(0.3) ? 'NOT ' : ''}IN (SELECT ${rng.pick(colsOf(inner, 'int')).sql} FROM ${t.name} i WHERE ${gen('bool', inner, 1)})`;
  }
  // correlated forms reference an outer column (qualified by the outer alias/table name)
  const corr = F.has('correlated') && outerQual && ints.length && rng.chance(0.5);
  const oc = corr ? `${outerQual}.${rng.pick(ints).name}` : null;
  if (r < 0.7) {
    const conds = [];
    if (corr) conds.push(`i.k = ${oc}`);
    if (!corr || rng.chance(0.5)) conds.push(gen('bool', inner, 1));
    return `${rng.chance(0.3) ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${t.name} i WHERE ${conds.join(' AND ')})`;
  }
  const k = rng.pick(['int', 'dbl']);
  const arg = colsOf(inner, k).length ? rng.pick(colsOf(inner, k)).sql : 'i.id';
  return `${gen(k, scope, 1)} ${rng.pick(['<', '>', '>='])} (SELECT ${rng.pick(['min', 'max', 'avg'])}(${arg}) FROM ${t.name} i${corr ? ` WHERE i.k = ${oc}` : ''})`;
}

function genSimpleSelect() {
  const src = genSource();
  const { scope } = src;
  const pre = src.ctes || '';
  const shapes = [];
  if (F.has('filter') || F.has('scalar')) shapes.push([4, 'project']);
  if (F.has('groupby')) shapes.push([3, 'group'], [1, 'global']);
  if (F.has('distinct')) shapes.push([1.5, 'distinct']);
  if (F.has('window')) shapes.push([2, 'window']);
  if (!shapes.length) shapes.push([1, 'project']);
  let total = 0;
  for (const [w] of shapes) total += w;
  let r = rng.f() * total, shape = shapes[0][1];
  for (const [w, s] of shapes) if ((r -= w) <= 0) { shape = s; break; }

  let where = withWhere(scope);
  if (F.has('subquery') && rng.chance(0.3)) {
    const p = selectSubqueryPredicate(scope, src.qual);
    where = where ? `${where} AND ${p}` : ` WHERE ${p}`;
  }
  if (shape === 'project' || shape === 'distinct') {
    if (shape === 'project' && rng.chance(0.08)) return finishOrder(`${pre}SELECT * FROM ${src.from}${where}`, scope.length);
    const n = rng.int(1, 4);
    const items = [];
    for (let i = 0; i < n; i++) {
      const k = anyKind();
      items.push(shape === 'distinct' && rng.chance(0.6) ? leaf(k, scope) : gen(k, scope, exprMaxDepth()));
    }
    const sel = shape === 'distinct' ? 'SELECT DISTINCT' : 'SELECT';
    return finishOrder(`${pre}${sel} ${items.join(', ')} FROM ${src.from}${where}`, n, shape === 'project' ? scope : null);
  }
  if (shape === 'group' || shape === 'global') {
    const nk = shape === 'global' ? 0 : rng.int(1, 2);
    const keys = [];
    for (let i = 0; i < nk; i++) {
      const k = rng.pick(['int', 'int', 'str', 'bool', 'date', 'dbl']);
      keys.push(rng.chance(0.7) ? leaf(k, scope) : gen(k, scope, 1));
    }
    const na = rng.int(1, 3);
    const aggs = Array.from({ length: na }, () => genAgg(scope));
    let sql = `${pre}SELECT ${[...keys, ...aggs].join(', ')} FROM ${src.from}${where}`;
    if (nk) {
      const r2 = rng.f();
      sql += r2 < 0.45 ? ` GROUP BY ${keys.map((_, i) => i + 1).join(', ')}` : r2 < 0.9 ? ` GROUP BY ${keys.join(', ')}` : ' GROUP BY ALL';
      if (rng.chance(0.3)) {
        sql += ` HAVING ${rng.pick(['count(*)', `sum(${leaf('int', scope)})`, `max(${leaf('int', scope)})`, `avg(${leaf('dbl', scope)})`])} ${rng.pick(['>', '<', '>=', '='])} ${rng.int(-2, 5)}`;
      }
    }
    return finishOrder(sql, nk + na);
  }
  // window: row_number/rank/dense_rank/lag/lead/sum OVER (PARTITION BY .. ORDER BY ..)
  // every table's id is unique, so the ids of all joined tables together are a total order
  // (an outer join's unmatched side is NULL, but its other id is unique among those rows)
  const idCols = scope.filter((c) => c.name === 'id');
  const idCol = idCols.length ? { sql: idCols.map((c) => c.sql).join(', ') } : null;
  const part = rng.chance(0.7) ? `PARTITION BY ${leaf(rng.pick(['int', 'str', 'bool']), scope)} ` : '';
  const tot = idCol ? idCol.sql : scope.map((c) => c.sql).join(', '); // id is unique: a total order
  const n = rng.int(1, 2);
  const items = [];
  for (let i = 0; i < n; i++) {
    const w = rng.pick(['row_number', 'rank', 'dense_rank', 'lag', 'lead', 'sum', 'count']);
    if (w === 'rank' || w === 'dense_rank') {
      items.push(`${w}() OVER (${part}ORDER BY ${leaf(rng.pick(['int', 'str', 'date']), scope)})`);
    } else if (w === 'row_number') {
      items.push(`row_number() OVER (${part}ORDER BY ${tot})`);
    } else if (w === 'lag' || w === 'lead') {
      items.push(`${w}(${leaf(anyKind(), scope)}${rng.chance(0.4) ? `, ${rng.int(1, 3)}` : ''}) OVER (${part}ORDER BY ${tot})`);
    } else {
      // running sums of doubles are summation-order dependent (DuckDB uses segment trees):
      // integers only
      items.push(`${w}(${leaf(w === 'sum' ? 'int' : rng.pick(['int', 'dbl']), scope)}) OVER (${part}ORDER BY ${tot})`);
    }
  }
  const cols = [tot.split(',')[0], ...items];
  return finishOrder(`${pre}SELECT ${cols.join(', ')} FROM ${src.from}${where}`, cols.length);
}

function genSetop() {
  // two selects with the same column kinds
  const kinds = Array.from({ length: rng.int(1, 2) }, () => rng.pick(['int', 'str', 'date', 'bool']));
  const side = () => {
    const t = rng.pick(tables);
    const sc = tableScope(t, null);
    return `SELECT ${kinds.map((k) => gen(k, sc, rng.pick([0, 1]))).join(', ')} FROM ${t.name}${F.has('filter') && rng.chance(0.5) ? ` WHERE ${gen('bool', sc, 2)}` : ''}`;
  };
  const ops = ['UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT'];
  if (F.has('setopall')) ops.push('EXCEPT ALL', 'INTERSECT ALL');
  const op = rng.pick(ops);
  return finishOrder(`${side()} ${op} ${side()}`, kinds.length);
}

function genQuery() {
  if (F.has('setop') && rng.chance(0.15)) return genSetop();
  return genSimpleSelect();
}

// ---------------------------------------------------------------- value normalization
// Every value becomes null or {c: class, v}: class 'i' (v: BigInt), 'f' (v: number), 's' (text:
// VARCHAR), 'b' (boolean), 'd' (date text), 't' (timestamp text).
function classOfDuck(t) {
  const s = String(t);
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(s)) return 'i';
  if (/^(FLOAT|DOUBLE|DECIMAL)/.test(s)) return 'f';
  if (s === 'BOOLEAN') return 'b';
  if (s === 'DATE') return 'd';
  if (s.startsWith('TIMESTAMP')) return 't';
  if (s === 'VARCHAR') return 's';
  if (s === 'NULL' || s === '"NULL"') return 'n';
  return 'other:' + s;
}
function classOfKiln(t) {
  return { BIGINT: 'i', DOUBLE: 'f', VARCHAR: 's', BOOLEAN: 'b', DATE: 'd', TIMESTAMP: 't', NULL: 'n' }[t] || 'other:' + t;
}
function normDuck(v, c) {
  if (v === null || v === undefined) return null;
  switch (c) {
    case 'i': return { c, v: BigInt(typeof v === 'bigint' ? v : Math.trunc(Number(v))) };
    case 'f': return { c, v: typeof v === 'number' ? v : Number(v.toString()) };
    case 'b': return { c, v: Boolean(v) };
    default: return { c, v: typeof v === 'string' ? v : v.toString() };
  }
}
function normKiln(v, c) {
  if (v === null || v === undefined) return null;
  switch (c) {
    case 'i': return { c, v: BigInt(v) };
    case 'f': return { c, v: v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : Number(v) };
    case 'b': return { c, v: Boolean(v) };
    default: return { c, v: String(v) };
  }
}
function valEq(a, b) {
  if (a === null || b === null) return a === b;
  if (a.c === 'f' || b.c === 'f') {
    const x = Number(a.v), y = Number(b.v);
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
    if (x === y) return true;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
    return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y), 1e-3);
  }
  if (a.c === 'i' && b.c === 'i') return a.v === b.v;
  // DuckDB prints x86's default NaN (0.0/0.0, sign bit set) as '-nan', kiln as 'nan'
  if (a.c === 's' && b.c === 's') return a.v === b.v || a.v.replace(/-nan/g, 'nan') === b.v.replace(/-nan/g, 'nan');
  return a.v === b.v;
}
// canonical order for unordered comparison: NULL first, then by value (doubles rounded to 10
// significant digits so last-bit differences do not change the order)
function sortKey(v) {
  if (v === null) return [0, ''];
  if (v.c === 'i') return [1, Number(v.v)];
  if (v.c === 'f') {
    if (Number.isNaN(v.v)) return [2, Infinity];
    return [1, Number.isFinite(v.v) ? Number(v.v.toPrecision(10)) : v.v];
  }
  if (v.c === 'b') return [1, v.v ? 1 : 0];
  return [3, v.v];
}
function cmpRows(ra, rb) {
  for (let i = 0; i < ra.length; i++) {
    const [ca, va] = sortKey(ra[i]), [cb, vb] = sortKey(rb[i]);
    if (ca !== cb) return ca - cb;
    if (va < vb) return -1;
    if (va > vb) return 1;
  }
  return 0;
}
function fmtVal(v) {
  if (v === null) return 'NULL';
  if (v.c === 's') return JSON.stringify(v.v);
  return String(v.v);
}
function fmtResult(r, max = 8) {
  if (!r.ok) return `ERROR: ${r.error}`;
  const lines = [`types: ${r.types.join(', ')}; ${r.rows.length} rows`];
  for (const row of r.rows.slice(0, max)) lines.push('  ' + row.map(fmtVal).join(' | '));
  if (r.rows.length > max) lines.push(`  ... ${r.rows.length - max} more`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- engines
const require = createRequire(path.join(root, 'bench', 'package.json'));
let duckdb;
try {
  duckdb = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
} catch (e) {
  console.error('difftest: @duckdb/node-api not found; run: npm install --prefix bench --no-audit --no-fund');
  process.exit(2);
}
const duckInst = await duckdb.DuckDBInstance.create(':memory:');
const duck = await duckInst.connect();
async function runDuck(sql) {
  try {
    const r = await duck.runAndReadAll(sql);
    const cls = r.columnTypes().map(classOfDuck);
    return { ok: true, types: r.columnTypes().map(String), cls,
      rows: r.getRows().map((row) => row.map((v, j) => normDuck(v, cls[j]))) };
  } catch (e) {
    return { ok: false, error: String(e.message || e).split('\n')[0] };
  }
}

const KILN_TIMEOUT_MS = 60000;
class Kiln {
  constructor(bin) { this.bin = bin; this.start(); }
  start() {
    const proc = spawn(this.bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc = proc;
    this.buf = '';
    this.waiter = null;
    this.dead = false;
    proc.stdout.setEncoding('utf8');
    // events of a previous (killed) child must not touch the current one
    proc.stdout.on('data', (d) => {
      if (proc !== this.proc) return;
      this.buf += d;
      this.pump();
    });
    proc.on('exit', (code, sig) => {
      if (proc !== this.proc) return;
      this.dead = true;
      this.exitInfo = sig ? `signal ${sig}` : `exit code ${code}`;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w({ crashed: true });
      }
    });
    proc.stdin.on('error', () => {});
  }
  pump() {
    const nl = this.buf.indexOf('\n');
    if (nl < 0 || !this.waiter) return;
    const line = this.buf.slice(0, nl);
    this.buf = this.buf.slice(nl + 1);
    const w = this.waiter;
    this.waiter = null;
    w({ line });
  }
  async run(sql) {
    if (this.dead) return { ok: false, error: `kiln_json is not running (${this.exitInfo})`, crashed: true };
    const p = new Promise((resolve) => {
      this.waiter = resolve;
    });
    let timer;
    const t = new Promise((resolve) => {
      timer = setTimeout(() => resolve({ timeout: true }), KILN_TIMEOUT_MS);
    });
    this.proc.stdin.write(JSON.stringify(sql) + '\n');
    this.pump();
    const got = await Promise.race([p, t]);
    clearTimeout(timer);
    if (got.timeout) {
      this.waiter = null;
      this.proc.kill('SIGKILL');
      this.dead = true;
      return { ok: false, error: `kiln_json timed out after ${KILN_TIMEOUT_MS} ms`, crashed: true };
    }
    if (got.crashed) return { ok: false, error: `kiln_json died (${this.exitInfo})`, crashed: true };
    let j;
    try {
      j = JSON.parse(got.line);
    } catch (e) {
      return { ok: false, error: `kiln_json wrote invalid JSON: ${got.line.slice(0, 200)}`, crashed: true };
    }
    if (!j.ok) return { ok: false, error: j.error };
    const cls = j.types.map(classOfKiln);
    return { ok: true, types: j.types, cls, rows: j.rows.map((row) => row.map((v, k) => normKiln(v, cls[k]))) };
  }
  async restart() {
    if (!this.dead) this.proc.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 10));
    this.start();
    for (const s of setupSql) await this.run(s);
  }
  close() {
    if (!this.dead) this.proc.stdin.end();
  }
}

const kilnBin = path.resolve(opt.kiln);
if (!fs.existsSync(kilnBin)) {
  console.error(`difftest: ${kilnBin} not found (build the kiln_json target)`);
  process.exit(2);
}
const kiln = new Kiln(kilnBin);

// setup: the same SQL text in both engines
for (const s of setupSql) {
  const a = await runDuck(s), b = await kiln.run(s);
  if (!a.ok || !b.ok) {
    console.error(`difftest: setup failed (seed ${opt.seed}):\n  ${s.slice(0, 300)}\n  duckdb: ${a.ok ? 'ok' : a.error}\n  kiln: ${b.ok ? 'ok' : b.error}`);
    kiln.close();
    process.exit(2);
  }
}

// ---------------------------------------------------------------- --sql: ad-hoc queries
if (opt.sql) {
  let bad = 0;
  for (const sql of opt.sql) {
    const d = await runDuck(sql), k = await kiln.run(sql);
    const problem = d.ok ? compare(d, k, /\bORDER BY\b/i.test(sql)) : null;
    if (problem) bad++;
    console.log(`SQL: ${sql}\n  ${problem ? 'DIFFERENT: ' + problem : 'same'}`);
    console.log(`  duckdb: ${fmtResult(d, 1e9).split('\n').join('\n  ')}`);
    console.log(`  kiln:   ${fmtResult(k, 1e9).split('\n').join('\n  ')}`);
  }
  kiln.close();
  process.exit(bad ? 1 : 0);
}

// ---------------------------------------------------------------- main loop
function compare(d, k, ordered) {
  if (!k.ok) return `kiln failed: ${k.error}`;
  if (d.cls.length !== k.cls.length) return `column count: duckdb ${d.cls.length}, kiln ${k.cls.length}`;
  for (let i = 0; i < d.cls.length; i++) {
    const a = d.cls[i], b = k.cls[i];
    if (a === b || a === 'n' || b === 'n') continue;
    // a column that is NULL in every row of both results: its type is not observable
    if (d.rows.every((r) => r[i] === null) && k.rows.every((r) => r[i] === null)) continue;
    return `column ${i + 1} type: duckdb ${d.types[i]}, kiln ${k.types[i]}`;
  }
  if (d.rows.length !== k.rows.length) return `row count: duckdb ${d.rows.length}, kiln ${k.rows.length}`;
  let dr = d.rows, kr = k.rows;
  if (!ordered) {
    dr = [...dr].sort(cmpRows);
    kr = [...kr].sort(cmpRows);
  }
  for (let r = 0; r < dr.length; r++) {
    for (let c = 0; c < dr[r].length; c++) {
      if (!valEq(dr[r][c], kr[r][c])) {
        return `${ordered ? '' : 'sorted '}row ${r + 1} column ${c + 1}: duckdb ${fmtVal(dr[r][c])}, kiln ${fmtVal(kr[r][c])}`;
      }
    }
  }
  return null;
}

const t0 = Date.now();
let passed = 0, failed = 0, skipped = 0, ambiguous = 0, duckMs = 0, kilnMs = 0;
function floatTies(r) {
  for (let c = 0; c < r.cls.length; c++) {
    if (r.cls[c] !== 'f') continue;
    const vals = r.rows.map((row) => row[c]).filter((v) => v !== null && Number.isFinite(v.v)).map((v) => v.v).sort((a, b) => a - b);
    for (let i = 1; i < vals.length; i++) if (vals[i] !== vals[i - 1] && valEq({ c: 'f', v: vals[i] }, { c: 'f', v: vals[i - 1] })) return true;
  }
  return false;
}
const failCount = new Map();
for (let i = 1; i <= opt.queries; i++) {
  const { sql, ordered } = genQuery();
  if (opt.verbose) console.log(`[${i}] ${sql}`);
  let t1 = performance.now();
  const d = await runDuck(sql);
  duckMs += performance.now() - t1;
  if (!d.ok) {
    skipped++;
    continue;
  }
  t1 = performance.now();
  const k = await kiln.run(sql);
  kilnMs += performance.now() - t1;
  let problem = compare(d, k, ordered);
  if (problem && ordered && k.ok && (floatTies(d) || floatTies(k))) {
    // DuckDB's order depends on doubles that differ only in the last bits (e.g. an avg that is
    // 0.1 in one group and 0.10000000000000002 in another): the order is not well defined at
    // 1e-9, so compare as multisets, and skip the query if a LIMIT cut makes that impossible
    problem = compare(d, k, false);
    if (problem && /\bLIMIT\b/.test(sql)) {
      skipped++;
      ambiguous++;
      continue;
    }
  }
  if (!problem) {
    passed++;
  } else {
    failed++;
    if (failed <= opt.maxFail) {
      console.log(`DIFFERENCE seed=${opt.seed} query=${i}${ordered ? ' (ordered)' : ''}: ${problem}`);
      console.log(`  SQL: ${sql}`);
      console.log(`  duckdb: ${fmtResult(d).split('\n').join('\n  ')}`);
      console.log(`  kiln:   ${fmtResult(k).split('\n').join('\n  ')}`);
    }
    const key = problem.replace(/[0-9.e+-]+/g, '#').slice(0, 80);
    failCount.set(key, (failCount.get(key) || 0) + 1);
  }
  if (k.crashed) await kiln.restart();
}
kiln.close();
const secs = ((Date.now() - t0) / 1000).toFixed(1);
console.log(`seed ${opt.seed}, features ${opt.features.join(',')}: ${opt.queries} queries in ${secs} s ` +
  `(DuckDB ${(duckMs / 1000).toFixed(1)} s, kiln ${(kilnMs / 1000).toFixed(1)} s); ${skipped} skipped ` +
  `(${skipped - ambiguous} rejected by DuckDB, ${ambiguous} with an order that is ambiguous at 1e-9)`);
if (failed > opt.maxFail) console.log(`(details of ${failed - opt.maxFail} more differences not printed)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
