// questions.mjs — the ten db-benchmark group-by questions (h2oai db-benchmark, maintained by
// DuckDB Labs), as SQL exactly as groupby-duckdb.R writes them, plus the correctness probe.
//
// sql(q, src): the SELECT of question q with "FROM x" replaced by FROM <src> (a table name or a
//   quoted CSV path); the benchmark runs it as "CREATE TABLE ans AS <sql>".
// checkSql(q): "SELECT count(*), sum(col)::DOUBLE ... FROM ans" over the numeric result columns
//   (CHECK_COLS[q]); compared between kiln and DuckDB with 1e-9 relative tolerance.

export const QUESTIONS = {
  1: 'SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1',
  2: 'SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2',
  3: 'SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3',
  4: 'SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4',
  5: 'SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6',
  6: 'SELECT id4, id5, quantile_cont(v3, 0.5) AS median_v3, stddev(v3) AS sd_v3 FROM x GROUP BY id4, id5',
  7: 'SELECT id3, max(v1)-min(v2) AS range_v1_v2 FROM x GROUP BY id3',
  8: 'SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) sub_query WHERE order_v3 <= 2',
  9: 'SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4',
  10: 'SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count FROM x GROUP BY id1, id2, id3, id4, id5, id6',
};

// Short labels (db-benchmark's question names).
export const LABELS = {
  1: 'sum v1 by id1',
  2: 'sum v1 by id1:id2',
  3: 'sum v1 mean v3 by id3',
  4: 'mean v1:v3 by id4',
  5: 'sum v1:v3 by id6',
  6: 'median v3 sd v3 by id4 id5',
  7: 'max v1 - min v2 by id3',
  8: 'largest two v3 by id6',
  9: 'regression v1 v2 by id2 id4',
  10: 'sum v3 count by id1:id6',
};

// Numeric result columns whose sums are compared (q8: the multiset of (id6, v3) pairs).
export const CHECK_COLS = {
  1: ['v1'],
  2: ['v1'],
  3: ['v1', 'v3'],
  4: ['v1', 'v2', 'v3'],
  5: ['v1', 'v2', 'v3'],
  6: ['median_v3', 'sd_v3'],
  7: ['range_v1_v2'],
  8: ['id6', 'largest2_v3'],
  9: ['r2'],
  10: ['id4', 'id5', 'id6', 'v3', 'count'],
};

export function sql(q, src) {
  return QUESTIONS[q].replace(/\bFROM x\b/g, `FROM ${src}`);
}

export function checkSql(q) {
  const sums = CHECK_COLS[q].map((c) => `sum(${c})::DOUBLE AS s_${c}`).join(', ');
  return `SELECT 'q${q}' AS q, count(*)::DOUBLE AS n, ${sums} FROM ans`;
}

// "1-10", "1,3,5-7" -> [1, ...]
export function parseQuestions(spec) {
  const out = new Set();
  for (const part of String(spec).split(',')) {
    const m = part.trim().match(/^(\d+)(?:-(\d+))?$/);
    if (!m) throw new Error(`bad --questions part: ${part}`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let i = a; i <= b; i++) {
      if (!QUESTIONS[i]) throw new Error(`no question ${i} (1-10)`);
      out.add(i);
    }
  }
  return [...out].sort((x, y) => x - y);
}

export function sqlQuote(path) {
  return `'${path.replace(/'/g, "''")}'`;
}
