/*
 * test_window.c — unit tests for the window operator (src/exec/window.c): every window function,
 * peers and ties, frames (default RANGE with peers, ROWS, RANGE offsets), NULL partition and
 * order keys, DESC / NULLS FIRST, several calls in one operator, VARCHAR values, inputs larger
 * than one chunk, the segment-tree path against direct recomputation, errors, and memory back
 * to baseline after op_free (including under allocation failure injection).
 * Expected values of the small cases come from DuckDB 1.5 (the SQL is quoted next to each test);
 * the large cases are checked against a direct computation in the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "exec/window.h"

#define NULLV (INT64_MIN + 4242)
#define BI KILN_TYPE_BIGINT
#define DB KILN_TYPE_DOUBLE
#define VC KILN_TYPE_VARCHAR

/* ---- building tables --------------------------------------------------------------------- */

/* A table of n_cols BIGINT columns from row-major values (NULLV = NULL). */
static kl_table *tab_i64(uint32_t n_cols, uint64_t n, const int64_t *vals) {
    kl_type types[16];
    char *names[16];
    for (uint32_t c = 0; c < n_cols; c++) {
        types[c] = BI;
        names[c] = "c";
    }
    kl_table *t = table_create(NULL, n_cols, names, types);
    assert_non_null(t);
    kl_chunk ch;
    assert_int_equal(chunk_init(&ch, types, n_cols, KL_CHUNK_ROWS), 0);
    for (uint64_t r0 = 0; r0 < n; r0 += KL_CHUNK_ROWS) {
        chunk_reset(&ch);
        uint32_t m = (uint32_t)KL_MIN(n - r0, (uint64_t)KL_CHUNK_ROWS);
        for (uint32_t i = 0; i < m; i++)
            for (uint32_t c = 0; c < n_cols; c++) {
                int64_t x = vals[(r0 + i) * n_cols + c];
                if (x == NULLV) vec_set_null(&ch.cols[c], i);
                else VEC_I64(&ch.cols[c])[i] = x;
            }
        ch.n_rows = m;
        assert_int_equal(table_append(t, &ch, m, NULL), 0);
    }
    chunk_free(&ch);
    return t;
}

/* Generated table: cell(row, col) decides each value. */
typedef void (*cell_fn)(kl_vec *v, uint32_t r, uint64_t row, uint32_t col);

static kl_table *tab_gen(const kl_type *types, uint32_t n_cols, uint64_t n, cell_fn f) {
    char *names[16];
    for (uint32_t c = 0; c < n_cols; c++) names[c] = "c";
    kl_table *t = table_create(NULL, n_cols, names, types);
    assert_non_null(t);
    kl_chunk ch;
    assert_int_equal(chunk_init(&ch, types, n_cols, KL_CHUNK_ROWS), 0);
    for (uint64_t r0 = 0; r0 < n; r0 += KL_CHUNK_ROWS) {
        chunk_reset(&ch);
        uint32_t m = (uint32_t)KL_MIN(n - r0, (uint64_t)KL_CHUNK_ROWS);
        for (uint32_t i = 0; i < m; i++)
            for (uint32_t c = 0; c < n_cols; c++) f(&ch.cols[c], i, r0 + i, c);
        ch.n_rows = m;
        assert_int_equal(table_append(t, &ch, m, NULL), 0);
    }
    chunk_free(&ch);
    return t;
}

/* ---- building calls ------------------------------------------------------------------------ */

static kl_expr **push(kl_expr **arr, uint32_t n, kl_expr *e) {
    assert_non_null(e);
    kl_expr **na = kl_realloc(arr, (n + 1) * sizeof *na);
    assert_non_null(na);
    na[n] = e;
    return na;
}

static kl_win_call *calls_new(uint32_t n) {
    kl_win_call *c = kl_calloc(n, sizeof *c);
    assert_non_null(c);
    return c;
}

static void w_fn(kl_win_call *c, kl_win_kind k, kl_type ret) {
    c->kind = k;
    c->ret_type = ret;
}

static void w_part(kl_win_call *c, uint32_t col, kl_type t) {
    c->partition = push(c->partition, c->n_partition, expr_new_column(col, t));
    c->n_partition++;
}

static void w_order(kl_win_call *c, uint32_t col, kl_type t, bool desc, bool nulls_first) {
    c->order = push(c->order, c->n_order, expr_new_column(col, t));
    c->desc = kl_realloc(c->desc, (c->n_order + 1) * sizeof(bool));
    c->nulls_first = kl_realloc(c->nulls_first, (c->n_order + 1) * sizeof(bool));
    assert_non_null(c->desc);
    assert_non_null(c->nulls_first);
    c->desc[c->n_order] = desc;
    c->nulls_first[c->n_order] = nulls_first;
    c->n_order++;
}

static void w_arg(kl_win_call *c, kl_expr *e) {
    c->args = push(c->args, (uint32_t)c->n_args, e);
    c->n_args++;
}

static kl_expr *col(uint32_t i, kl_type t) { return expr_new_column(i, t); }

static kl_expr *cst_i64(int64_t x) {
    kl_vec v;
    assert_int_equal(vec_init(&v, BI, 1), 0);
    if (x == NULLV) vec_set_null(&v, 0);
    else VEC_I64(&v)[0] = x;
    kl_expr *e = expr_new_const_from(&v, 0);
    vec_free(&v);
    return e;
}

static kl_expr *cst_str(const char *s) {
    kl_vec v;
    assert_int_equal(vec_init(&v, VC, 1), 0);
    assert_int_equal(vec_set_string(&v, 0, s, strlen(s)), 0);
    kl_expr *e = expr_new_const_from(&v, 0);
    vec_free(&v);
    return e;
}

/* Bind aggregate `name` over argument expressions (already of the wanted types), like the
   binder's bind_agg_call. */
static void w_agg(kl_win_call *c, const char *name, int n_args, kl_expr *a0, kl_expr *a1) {
    const kl_agg_def *d = func_find_agg(name);
    assert_non_null(d);
    kl_agg_call *ac = &c->agg;
    ac->def = d;
    ac->args = kl_calloc(2, sizeof(kl_expr *));
    assert_non_null(ac->args);
    if (n_args > 0) ac->args[0] = a0;
    if (n_args > 1) ac->args[1] = a1;
    ac->n_args = n_args;
    kl_type types[2];
    for (int i = 0; i < n_args; i++) types[i] = ac->args[i]->type;
    ac->ctx.n_args = n_args;
    assert_int_equal(d->bind(&ac->ctx, types, n_args, &ac->ret_type, &ac->state_size, NULL), 0);
    for (int i = 0; i < n_args; i++) {
        assert_int_equal(types[i], ac->args[i]->type); /* tests pass the bound types */
        ac->ctx.arg_types[i] = types[i];
    }
    ac->ctx.ret_type = ac->ret_type;
    c->kind = KL_WIN_AGG;
    c->ret_type = ac->ret_type;
}

static void w_frame(kl_win_call *c, kl_frame_kind f, kl_bound_kind s, int64_t so, kl_bound_kind e,
                    int64_t eo) {
    c->frame = f;
    c->start = s;
    c->start_offset = so;
    c->end = e;
    c->end_offset = eo;
}

/* ---- running ------------------------------------------------------------------------------ */

static int g_threads = 1; /* op_window_set_threads() of every run */

/* Run op_window over a scan of t; returns the output copied into a table (NULL on error). */
static kl_table *run(const kl_table *t, kl_win_call *calls, uint32_t n_calls, int *rc_out,
                     kl_error *err) {
    kl_op *op = op_window(op_scan_table(t), calls, n_calls);
    *rc_out = 0;
    if (!op) {
        *rc_out = KILN_ERR_MEMORY;
        return NULL;
    }
    op_window_set_threads(op, g_threads);
    char *names[64];
    for (uint32_t c = 0; c < op->n_cols; c++) names[c] = "c";
    kl_table *out = table_create(NULL, op->n_cols, names, op->types);
    int rc = out ? 0 : KILN_ERR_MEMORY;
    while (!rc) {
        kl_chunk *ch;
        rc = op_next(op, &ch, err);
        if (rc || ch->n_rows == 0) break;
        assert_int_equal(ch->n_cols, op->n_cols);
        rc = table_append(out, ch, ch->n_rows, err);
    }
    op_free(op);
    *rc_out = rc;
    if (rc) {
        table_free(out);
        return NULL;
    }
    return out;
}

static kl_table *run_ok(const kl_table *t, kl_win_call *calls, uint32_t n_calls) {
    kl_error err = {0};
    int rc;
    kl_table *r = run(t, calls, n_calls, &rc, &err);
    if (rc) fail_msg("window failed: %s", err.message);
    assert_non_null(r);
    assert_int_equal(r->n_rows, t->n_rows);
    return r;
}

static const kl_vec *cell(const kl_table *t, uint64_t row, uint32_t c, uint32_t *r) {
    *r = (uint32_t)(row % KL_CHUNK_ROWS);
    return &t->chunks[row / KL_CHUNK_ROWS]->cols[c];
}

static int64_t get_i64(const kl_table *t, uint64_t row, uint32_t c) {
    uint32_t r;
    const kl_vec *v = cell(t, row, c, &r);
    if (v->type == KILN_TYPE_NULL || v->nulls[r]) return NULLV;
    assert_int_equal(v->type, BI);
    return VEC_I64(v)[r];
}

static double get_f64(const kl_table *t, uint64_t row, uint32_t c) {
    uint32_t r;
    const kl_vec *v = cell(t, row, c, &r);
    if (v->nulls[r]) return NAN;
    assert_int_equal(v->type, DB);
    return VEC_F64(v)[r];
}

static void expect_i64(const kl_table *t, uint32_t c, const int64_t *exp, uint64_t n) {
    assert_int_equal(t->n_rows, n);
    for (uint64_t i = 0; i < n; i++) {
        int64_t got = get_i64(t, i, c);
        if (got != exp[i])
            fail_msg("column %u row %llu: got %lld expected %lld", c, (unsigned long long)i,
                     (long long)got, (long long)exp[i]);
    }
}

/* NAN in exp = NULL */
static void expect_f64(const kl_table *t, uint32_t c, const double *exp, uint64_t n) {
    assert_int_equal(t->n_rows, n);
    for (uint64_t i = 0; i < n; i++) {
        double got = get_f64(t, i, c);
        if (isnan(exp[i]) ? !isnan(got) : fabs(got - exp[i]) > 1e-9)
            fail_msg("column %u row %llu: got %g expected %g", c, (unsigned long long)i, got, exp[i]);
    }
}

/* NULL in exp = NULL */
static void expect_str(const kl_table *t, uint32_t c, const char **exp, uint64_t n) {
    assert_int_equal(t->n_rows, n);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t r;
        const kl_vec *v = cell(t, i, c, &r);
        if (!exp[i]) {
            if (!v->nulls[r]) fail_msg("column %u row %llu: expected NULL", c, (unsigned long long)i);
            continue;
        }
        if (v->nulls[r]) fail_msg("column %u row %llu: got NULL expected %s", c, (unsigned long long)i, exp[i]);
        kl_str s = VEC_STR(v)[r];
        if (s.len != strlen(exp[i]) || memcmp(s.ptr, exp[i], s.len))
            fail_msg("column %u row %llu: got '%.*s' expected '%s'", c, (unsigned long long)i,
                     (int)s.len, s.ptr, exp[i]);
    }
}

/* ---- data set A ----------------------------------------------------------------------------
 * (VALUES (0,1,10,1),(1,1,20,2),(2,1,20,3),(3,1,30,4),(4,2,5,5),(5,2,NULL,6),(6,NULL,1,7),
 *         (7,NULL,1,8)) t(id,p,o,v); WINDOW w AS (PARTITION BY p ORDER BY o)             */
enum { A_ID, A_P, A_O, A_V, A_NCOLS };
#define A_N 8
static const int64_t A_DATA[A_N * A_NCOLS] = {
    0, 1, 10, 1,  1, 1, 20, 2,  2, 1, 20, 3,  3, 1, 30, 4,
    4, 2, 5, 5,   5, 2, NULLV, 6, 6, NULLV, 1, 7, 7, NULLV, 1, 8,
};

static kl_table *tab_a(void) { return tab_i64(A_NCOLS, A_N, A_DATA); }

/* PARTITION BY p ORDER BY o (NULLS LAST) */
static void w_a(kl_win_call *c) {
    w_part(c, A_P, BI);
    w_order(c, A_O, BI, false, false);
}

#define MEM_BEGIN size_t mem_base_ = kl_mem_in_use()
#define MEM_END assert_int_equal(kl_mem_in_use(), mem_base_)

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_row_number(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(1);
    w_fn(&c[0], KL_WIN_ROW_NUMBER, BI);
    w_a(&c[0]);
    kl_table *r = run_ok(t, c, 1);
    assert_int_equal(r->n_cols, A_NCOLS + 1);
    static const int64_t exp[] = {1, 2, 3, 4, 1, 2, 1, 2};
    expect_i64(r, A_NCOLS, exp, A_N);
    /* child columns pass through in input order */
    for (uint64_t i = 0; i < A_N; i++) assert_int_equal(get_i64(r, i, A_ID), (int64_t)i);
    table_free(r);
    table_free(t);
    MEM_END;
}

static void test_rank_dense_rank_ties(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(2);
    w_fn(&c[0], KL_WIN_RANK, BI);
    w_a(&c[0]);
    w_fn(&c[1], KL_WIN_DENSE_RANK, BI);
    w_a(&c[1]);
    kl_table *r = run_ok(t, c, 2);
    static const int64_t rank[] = {1, 2, 2, 4, 1, 2, 1, 1};
    static const int64_t dense[] = {1, 2, 2, 3, 1, 2, 1, 1};
    expect_i64(r, A_NCOLS, rank, A_N);
    expect_i64(r, A_NCOLS + 1, dense, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

static void test_percent_rank_cume_dist(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(2);
    w_fn(&c[0], KL_WIN_PERCENT_RANK, DB);
    w_a(&c[0]);
    w_fn(&c[1], KL_WIN_CUME_DIST, DB);
    w_a(&c[1]);
    kl_table *r = run_ok(t, c, 2);
    static const double pr[] = {0, 1.0 / 3, 1.0 / 3, 1, 0, 1, 0, 0};
    static const double cd[] = {0.25, 0.75, 0.75, 1, 0.5, 1, 1, 1};
    expect_f64(r, A_NCOLS, pr, A_N);
    expect_f64(r, A_NCOLS + 1, cd, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* ntile(3) over 10 rows: 4,3,3; ntile(4) over 10: 3,3,2,2; ntile(20) over 10: 1..10 */
static void test_ntile_uneven(void **state) {
    (void)state;
    MEM_BEGIN;
    int64_t vals[10];
    for (int i = 0; i < 10; i++) vals[i] = 9 - i;
    kl_table *t = tab_i64(1, 10, vals);
    kl_win_call *c = calls_new(3);
    int64_t ns[3] = {3, 4, 20};
    for (int k = 0; k < 3; k++) {
        w_fn(&c[k], KL_WIN_NTILE, BI);
        w_arg(&c[k], cst_i64(ns[k]));
        w_order(&c[k], 0, BI, false, false);
    }
    kl_table *r = run_ok(t, c, 3);
    /* row i has value 9 - i, i.e. sorted position 9 - i */
    static const int64_t n3[] = {1, 1, 1, 1, 2, 2, 2, 3, 3, 3};
    static const int64_t n4[] = {1, 1, 1, 2, 2, 2, 3, 3, 4, 4};
    for (int i = 0; i < 10; i++) {
        assert_int_equal(get_i64(r, (uint64_t)i, 1), n3[9 - i]);
        assert_int_equal(get_i64(r, (uint64_t)i, 2), n4[9 - i]);
        assert_int_equal(get_i64(r, (uint64_t)i, 3), 10 - i);
    }
    table_free(r);
    table_free(t);
    MEM_END;
}

/* ntile(0) -> "Argument for ntile must be greater than zero"; ntile(NULL) -> NULL */
static void test_ntile_errors(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(1);
    w_fn(&c[0], KL_WIN_NTILE, BI);
    w_arg(&c[0], cst_i64(0));
    kl_error err = {0};
    int rc;
    kl_table *r = run(t, c, 1, &rc, &err);
    assert_null(r);
    assert_int_equal(rc, KILN_ERR_INVALID);
    assert_non_null(strstr(err.message, "ntile"));
    c = calls_new(1);
    w_fn(&c[0], KL_WIN_NTILE, BI);
    w_arg(&c[0], cst_i64(NULLV));
    r = run_ok(t, c, 1);
    for (uint64_t i = 0; i < A_N; i++) assert_int_equal(get_i64(r, i, A_NCOLS), NULLV);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* lag(v) over w, lead(v,2,-1) over w, lag(o) over w (NULL values pass through) */
static void test_lag_lead(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(3);
    w_fn(&c[0], KL_WIN_LAG, BI);
    w_arg(&c[0], col(A_V, BI));
    w_a(&c[0]);
    w_fn(&c[1], KL_WIN_LEAD, BI);
    w_arg(&c[1], col(A_V, BI));
    w_arg(&c[1], cst_i64(2));
    w_arg(&c[1], cst_i64(-1));
    w_a(&c[1]);
    w_fn(&c[2], KL_WIN_LAG, BI);
    w_arg(&c[2], col(A_O, BI));
    w_a(&c[2]);
    kl_table *r = run_ok(t, c, 3);
    static const int64_t lag[] = {NULLV, 1, 2, 3, NULLV, 5, NULLV, 7};
    static const int64_t lead2[] = {3, 4, -1, -1, -1, -1, -1, -1};
    static const int64_t lago[] = {NULLV, 10, 20, 20, NULLV, 5, NULLV, 1};
    expect_i64(r, A_NCOLS, lag, A_N);
    expect_i64(r, A_NCOLS + 1, lead2, A_N);
    expect_i64(r, A_NCOLS + 2, lago, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* lag(x, -1) = lead(x); lag with a NULL offset is NULL; the default may be a column;
   lag ignores the frame (DuckDB) */
static void test_lag_negative_and_column_default(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(3);
    w_fn(&c[0], KL_WIN_LAG, BI);
    w_arg(&c[0], col(A_V, BI));
    w_arg(&c[0], cst_i64(-1));
    w_order(&c[0], A_ID, BI, false, false);
    w_frame(&c[0], KL_FRAME_ROWS, KL_BOUND_CURRENT_ROW, 0, KL_BOUND_CURRENT_ROW, 0);
    w_fn(&c[1], KL_WIN_LAG, BI);
    w_arg(&c[1], col(A_V, BI));
    w_arg(&c[1], cst_i64(NULLV));
    w_order(&c[1], A_ID, BI, false, false);
    w_fn(&c[2], KL_WIN_LEAD, BI);
    w_arg(&c[2], col(A_V, BI));
    w_arg(&c[2], cst_i64(1));
    w_arg(&c[2], col(A_ID, BI));
    w_a(&c[2]);
    kl_table *r = run_ok(t, c, 3);
    static const int64_t e0[] = {2, 3, 4, 5, 6, 7, 8, NULLV};
    static const int64_t e1[] = {NULLV, NULLV, NULLV, NULLV, NULLV, NULLV, NULLV, NULLV};
    static const int64_t e2[] = {2, 3, 4, 3, 6, 5, 8, 7};
    expect_i64(r, A_NCOLS, e0, A_N);
    expect_i64(r, A_NCOLS + 1, e1, A_N);
    expect_i64(r, A_NCOLS + 2, e2, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* first_value / last_value / nth_value(v, 2) over w: the default frame includes peers */
static void test_value_functions_default_frame(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(3);
    w_fn(&c[0], KL_WIN_FIRST_VALUE, BI);
    w_arg(&c[0], col(A_V, BI));
    w_a(&c[0]);
    w_fn(&c[1], KL_WIN_LAST_VALUE, BI);
    w_arg(&c[1], col(A_V, BI));
    w_a(&c[1]);
    w_fn(&c[2], KL_WIN_NTH_VALUE, BI);
    w_arg(&c[2], col(A_V, BI));
    w_arg(&c[2], cst_i64(2));
    w_a(&c[2]);
    kl_table *r = run_ok(t, c, 3);
    static const int64_t fv[] = {1, 1, 1, 1, 5, 5, 7, 7};
    static const int64_t lv[] = {1, 3, 3, 4, 5, 6, 8, 8};
    static const int64_t nv[] = {NULLV, 2, 2, 2, NULLV, 6, 8, 8};
    expect_i64(r, A_NCOLS, fv, A_N);
    expect_i64(r, A_NCOLS + 1, lv, A_N);
    expect_i64(r, A_NCOLS + 2, nv, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* first_value(v) / last_value(v) OVER (PARTITION BY p ORDER BY o ROWS BETWEEN 1 PRECEDING AND
   1 FOLLOWING); nth_value(v, 0) is NULL */
static void test_value_functions_rows_frame(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(3);
    for (int k = 0; k < 2; k++) {
        w_fn(&c[k], k ? KL_WIN_LAST_VALUE : KL_WIN_FIRST_VALUE, BI);
        w_arg(&c[k], col(A_V, BI));
        w_a(&c[k]);
        w_frame(&c[k], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 1, KL_BOUND_FOLLOWING, 1);
    }
    w_fn(&c[2], KL_WIN_NTH_VALUE, BI);
    w_arg(&c[2], col(A_V, BI));
    w_arg(&c[2], cst_i64(0));
    w_a(&c[2]);
    kl_table *r = run_ok(t, c, 3);
    static const int64_t fv[] = {1, 1, 2, 3, 5, 5, 7, 7};
    static const int64_t lv[] = {2, 3, 4, 4, 6, 6, 8, 8};
    static const int64_t nv[] = {NULLV, NULLV, NULLV, NULLV, NULLV, NULLV, NULLV, NULLV};
    expect_i64(r, A_NCOLS, fv, A_N);
    expect_i64(r, A_NCOLS + 1, lv, A_N);
    expect_i64(r, A_NCOLS + 2, nv, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* sum(v) over w (RANGE: peers share the total) vs ROWS UNBOUNDED PRECEDING */
static void test_running_sum_peers_vs_rows(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(2);
    w_agg(&c[0], "sum", 1, col(A_V, BI), NULL);
    w_a(&c[0]);
    w_agg(&c[1], "sum", 1, col(A_V, BI), NULL);
    w_a(&c[1]);
    w_frame(&c[1], KL_FRAME_ROWS, KL_BOUND_UNBOUNDED_PRECEDING, 0, KL_BOUND_CURRENT_ROW, 0);
    kl_table *r = run_ok(t, c, 2);
    static const int64_t range[] = {1, 6, 6, 10, 5, 11, 15, 15};
    static const int64_t rows[] = {1, 3, 6, 10, 5, 11, 7, 15};
    /* sum(BIGINT) is HUGEINT in DuckDB, BIGINT or DOUBLE here: compare numerically */
    for (uint64_t i = 0; i < A_N; i++) {
        for (int k = 0; k < 2; k++) {
            double got = r->types[A_NCOLS + k] == DB ? get_f64(r, i, A_NCOLS + (uint32_t)k)
                                                     : (double)get_i64(r, i, A_NCOLS + (uint32_t)k);
            assert_true(got == (double)(k ? rows[i] : range[i]));
        }
    }
    table_free(r);
    table_free(t);
    MEM_END;
}

/* avg(v) OVER (PARTITION BY p ORDER BY o ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) */
static void test_moving_average(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(1);
    w_agg(&c[0], "avg", 1, col(A_V, BI), NULL);
    w_a(&c[0]);
    w_frame(&c[0], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 2, KL_BOUND_CURRENT_ROW, 0);
    kl_table *r = run_ok(t, c, 1);
    static const double exp[] = {1, 1.5, 2, 3, 5, 5.5, 7, 7.5};
    expect_f64(r, A_NCOLS, exp, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* sum(v) OVER (... ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING); count(*) OVER (PARTITION BY p) */
static void test_sliding_sum_and_count_star(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(2);
    w_agg(&c[0], "sum", 1, col(A_V, BI), NULL);
    w_a(&c[0]);
    w_frame(&c[0], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 1, KL_BOUND_FOLLOWING, 1);
    w_agg(&c[1], "count_star", 0, NULL, NULL);
    w_part(&c[1], A_P, BI);
    kl_table *r = run_ok(t, c, 2);
    static const int64_t sum[] = {3, 6, 9, 7, 11, 11, 15, 15};
    static const int64_t cnt[] = {4, 4, 4, 4, 2, 2, 2, 2};
    for (uint64_t i = 0; i < A_N; i++) {
        double got = r->types[A_NCOLS] == DB ? get_f64(r, i, A_NCOLS) : (double)get_i64(r, i, A_NCOLS);
        assert_true(got == (double)sum[i]);
    }
    expect_i64(r, A_NCOLS + 1, cnt, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* rows with a NULL partition key form one partition */
static void test_null_partition_key(void **state) {
    (void)state;
    MEM_BEGIN;
    static const int64_t d[] = {NULLV, 1, 1, 2, NULLV, 3, NULLV, 4};
    kl_table *t = tab_i64(2, 4, d);
    kl_win_call *c = calls_new(2);
    w_fn(&c[0], KL_WIN_ROW_NUMBER, BI);
    w_part(&c[0], 0, BI);
    w_agg(&c[1], "count_star", 0, NULL, NULL);
    w_part(&c[1], 0, BI);
    kl_table *r = run_ok(t, c, 2);
    static const int64_t rn[] = {1, 1, 2, 3};
    static const int64_t cnt[] = {3, 1, 3, 3};
    expect_i64(r, 2, rn, 4);
    expect_i64(r, 3, cnt, 4);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* row_number() OVER (ORDER BY o NULLS FIRST), (ORDER BY o DESC), (ORDER BY o DESC NULLS FIRST),
   rank() OVER (ORDER BY o DESC) */
static void test_nulls_first_last_desc(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(4);
    w_fn(&c[0], KL_WIN_ROW_NUMBER, BI);
    w_order(&c[0], A_O, BI, false, true);
    w_fn(&c[1], KL_WIN_ROW_NUMBER, BI);
    w_order(&c[1], A_O, BI, true, false);
    w_fn(&c[2], KL_WIN_ROW_NUMBER, BI);
    w_order(&c[2], A_O, BI, true, true);
    w_fn(&c[3], KL_WIN_RANK, BI);
    w_order(&c[3], A_O, BI, true, false);
    kl_table *r = run_ok(t, c, 4);
    static const int64_t e0[] = {5, 6, 7, 8, 4, 1, 2, 3};
    static const int64_t e1[] = {4, 2, 3, 1, 5, 8, 6, 7};
    static const int64_t e2[] = {5, 3, 4, 2, 6, 1, 7, 8};
    static const int64_t e3[] = {4, 2, 2, 1, 5, 8, 6, 6};
    expect_i64(r, A_NCOLS, e0, A_N);
    expect_i64(r, A_NCOLS + 1, e1, A_N);
    expect_i64(r, A_NCOLS + 2, e2, A_N);
    expect_i64(r, A_NCOLS + 3, e3, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* DOUBLE keys: -0.0 and 0.0 are peers, NaN is greatest, NULL last.
   rank() OVER (ORDER BY x), rank() OVER (ORDER BY x DESC) over
   (1.5),(-2.0),('nan'),(-0.0),(0.0),(NULL),(-1e300) */
static void dbl_cell(kl_vec *v, uint32_t r, uint64_t row, uint32_t c) {
    (void)c;
    static const double x[] = {1.5, -2.0, NAN, -0.0, 0.0, 0, -1e300};
    if (row == 5) vec_set_null(v, r);
    else VEC_F64(v)[r] = x[row];
}

static void test_double_keys(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty = DB;
    kl_table *t = tab_gen(&ty, 1, 7, dbl_cell);
    kl_win_call *c = calls_new(2);
    w_fn(&c[0], KL_WIN_RANK, BI);
    w_order(&c[0], 0, DB, false, false);
    w_fn(&c[1], KL_WIN_RANK, BI);
    w_order(&c[1], 0, DB, true, false);
    kl_table *r = run_ok(t, c, 2);
    static const int64_t asc[] = {5, 2, 6, 3, 3, 7, 1};
    static const int64_t desc[] = {2, 5, 1, 3, 3, 7, 6};
    expect_i64(r, 1, asc, 7);
    expect_i64(r, 2, desc, 7);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* several calls, each with its own PARTITION BY / ORDER BY, and two sharing one */
static void test_multiple_calls_different_partitions(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(4);
    w_fn(&c[0], KL_WIN_ROW_NUMBER, BI);
    w_a(&c[0]);
    w_fn(&c[1], KL_WIN_ROW_NUMBER, BI);
    w_order(&c[1], A_V, BI, true, false);
    w_agg(&c[2], "count_star", 0, NULL, NULL);
    w_part(&c[2], A_O, BI);
    w_fn(&c[3], KL_WIN_RANK, BI);
    w_a(&c[3]);
    kl_table *r = run_ok(t, c, 4);
    static const int64_t e0[] = {1, 2, 3, 4, 1, 2, 1, 2};
    static const int64_t e1[] = {8, 7, 6, 5, 4, 3, 2, 1};
    static const int64_t e2[] = {1, 2, 2, 1, 1, 1, 2, 2};
    static const int64_t e3[] = {1, 2, 2, 4, 1, 2, 1, 1};
    expect_i64(r, A_NCOLS, e0, A_N);
    expect_i64(r, A_NCOLS + 1, e1, A_N);
    expect_i64(r, A_NCOLS + 2, e2, A_N);
    expect_i64(r, A_NCOLS + 3, e3, A_N);
    table_free(r);
    table_free(t);
    MEM_END;
}

static void test_empty_input(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_i64(A_NCOLS, 0, A_DATA);
    kl_win_call *c = calls_new(3);
    w_fn(&c[0], KL_WIN_ROW_NUMBER, BI);
    w_a(&c[0]);
    w_agg(&c[1], "sum", 1, col(A_V, BI), NULL);
    w_a(&c[1]);
    w_fn(&c[2], KL_WIN_LAG, BI);
    w_arg(&c[2], col(A_V, BI));
    kl_table *r = run_ok(t, c, 3);
    assert_int_equal(r->n_rows, 0);
    assert_int_equal(r->n_cols, A_NCOLS + 3);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* (VALUES (0,5,'a',2),(1,1,'bb',1),(2,4,NULL,2),(3,2,'d',1),(4,3,'e',3)) t(id,v,s,o):
   median(v) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) -> 5,3,4,3,3
   string_agg(s) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) -> a,bb a,bb bb,d d,e d,e
   min(s) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) -> a bb d d e
   first_value(s) OVER (ORDER BY o) -> bb x5
   lag(s, 1, 'zz') OVER (ORDER BY id) -> zz a bb NULL d */
static void str_cell(kl_vec *v, uint32_t r, uint64_t row, uint32_t c) {
    static const int64_t vv[] = {5, 1, 4, 2, 3}, oo[] = {2, 1, 2, 1, 3};
    static const char *ss[] = {"a", "bb", NULL, "d", "e"};
    if (c == 0) VEC_I64(v)[r] = (int64_t)row;
    else if (c == 1) VEC_I64(v)[r] = vv[row];
    else if (c == 3) VEC_I64(v)[r] = oo[row];
    else if (!ss[row]) vec_set_null(v, r);
    else assert_int_equal(vec_set_string(v, r, ss[row], strlen(ss[row])), 0);
}

static void test_varchar_and_holistic(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty[4] = {BI, BI, VC, BI};
    kl_table *t = tab_gen(ty, 4, 5, str_cell);
    kl_win_call *c = calls_new(5);
    w_agg(&c[0], "median", 1, expr_new_column(1, BI), NULL);
    w_order(&c[0], 0, BI, false, false);
    w_frame(&c[0], KL_FRAME_ROWS, KL_BOUND_UNBOUNDED_PRECEDING, 0, KL_BOUND_CURRENT_ROW, 0);
    w_agg(&c[1], "string_agg", 1, col(2, VC), NULL);
    w_order(&c[1], 0, BI, false, false);
    w_frame(&c[1], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 1, KL_BOUND_FOLLOWING, 1);
    w_agg(&c[2], "min", 1, col(2, VC), NULL);
    w_order(&c[2], 0, BI, false, false);
    w_frame(&c[2], KL_FRAME_ROWS, KL_BOUND_CURRENT_ROW, 0, KL_BOUND_UNBOUNDED_FOLLOWING, 0);
    w_fn(&c[3], KL_WIN_FIRST_VALUE, VC);
    w_arg(&c[3], col(2, VC));
    w_order(&c[3], 3, BI, false, false);
    w_fn(&c[4], KL_WIN_LAG, VC);
    w_arg(&c[4], col(2, VC));
    w_arg(&c[4], cst_i64(1));
    w_arg(&c[4], cst_str("zz"));
    w_order(&c[4], 0, BI, false, false);
    kl_table *r = run_ok(t, c, 5);
    static const double med[] = {5, 3, 4, 3, 3};
    static const char *sa[] = {"a,bb", "a,bb", "bb,d", "d,e", "d,e"};
    static const char *mn[] = {"a", "bb", "d", "d", "e"};
    static const char *fv[] = {"bb", "bb", "bb", "bb", "bb"};
    static const char *lg[] = {"zz", "a", "bb", NULL, "d"};
    expect_f64(r, 4, med, 5);
    expect_str(r, 5, sa, 5);
    expect_str(r, 6, mn, 5);
    expect_str(r, 7, fv, 5);
    expect_str(r, 8, lg, 5);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* RANGE frames with offsets (DuckDB):
   count(*) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING)            -> 3,3,3,1,2,2
   count(x) OVER (ORDER BY x NULLS FIRST RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) -> 1,3,3,1,0,0
   sum(x)   OVER (ORDER BY x DESC RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING)        -> 5,5,5,4,NULL,NULL
   over x = 1, 2, 2, 4, NULL, NULL */
static void test_range_offsets(void **state) {
    (void)state;
    MEM_BEGIN;
    static const int64_t d[] = {1, 2, 2, 4, NULLV, NULLV};
    kl_table *t = tab_i64(1, 6, d);
    kl_win_call *c = calls_new(3);
    w_agg(&c[0], "count_star", 0, NULL, NULL);
    w_order(&c[0], 0, BI, false, false);
    w_frame(&c[0], KL_FRAME_RANGE, KL_BOUND_PRECEDING, 1, KL_BOUND_FOLLOWING, 1);
    w_agg(&c[1], "count", 1, col(0, BI), NULL);
    w_order(&c[1], 0, BI, false, true);
    w_frame(&c[1], KL_FRAME_RANGE, KL_BOUND_PRECEDING, 1, KL_BOUND_CURRENT_ROW, 0);
    w_agg(&c[2], "max", 1, col(0, BI), NULL);
    w_order(&c[2], 0, BI, true, false);
    w_frame(&c[2], KL_FRAME_RANGE, KL_BOUND_PRECEDING, 1, KL_BOUND_FOLLOWING, 1);
    kl_table *r = run_ok(t, c, 3);
    static const int64_t e0[] = {3, 3, 3, 1, 2, 2};
    static const int64_t e1[] = {1, 3, 3, 1, 0, 0};
    static const int64_t e2[] = {2, 2, 2, 4, NULLV, NULLV};
    expect_i64(r, 1, e0, 6);
    expect_i64(r, 2, e1, 6);
    expect_i64(r, 3, e2, 6);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* RANGE with an offset over a VARCHAR key or two keys is an error, not a crash */
static void test_range_offset_errors(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_a();
    kl_win_call *c = calls_new(1);
    w_agg(&c[0], "count_star", 0, NULL, NULL);
    w_order(&c[0], A_O, BI, false, false);
    w_order(&c[0], A_V, BI, false, false);
    w_frame(&c[0], KL_FRAME_RANGE, KL_BOUND_PRECEDING, 1, KL_BOUND_CURRENT_ROW, 0);
    kl_error err = {0};
    int rc;
    assert_null(run(t, c, 1, &rc, &err));
    assert_int_equal(rc, KILN_ERR_BINDER);
    table_free(t);
    MEM_END;
}

/* ---- bigger inputs -------------------------------------------------------------------------- */

/* big: c0 = row, c1 = (row * 7919) % 5003 (ties: 5000 rows over 5003 values are distinct; use
   c1 / 3 for peers), c2 = row % 3 == 0 ? NULL : row % 100 */
#define BIG_N 5000
static void big_cell(kl_vec *v, uint32_t r, uint64_t row, uint32_t c) {
    if (c == 0) VEC_I64(v)[r] = (int64_t)row;
    else if (c == 1) VEC_I64(v)[r] = (int64_t)((row * 7919) % 5003) / 3;
    else if (row % 3 == 0) vec_set_null(v, r);
    else VEC_I64(v)[r] = (int64_t)(row % 100);
}

static kl_table *tab_big(void) {
    kl_type ty[3] = {BI, BI, BI};
    return tab_gen(ty, 3, BIG_N, big_cell);
}

/* One partition of 5000 rows (more than two chunks): row_number over DESC, running count. */
static void test_large_partition(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_big();
    kl_win_call *c = calls_new(2);
    w_fn(&c[0], KL_WIN_ROW_NUMBER, BI);
    w_order(&c[0], 0, BI, true, false);
    w_agg(&c[1], "count", 1, col(2, BI), NULL);
    w_order(&c[1], 0, BI, false, false);
    kl_table *r = run_ok(t, c, 2);
    for (uint64_t i = 0; i < BIG_N; i++) {
        assert_int_equal(get_i64(r, i, 3), (int64_t)(BIG_N - i));
        /* non-NULL rows among 0..i: those with row % 3 != 0 */
        assert_int_equal(get_i64(r, i, 4), (int64_t)(i + 1 - (i / 3 + 1)));
    }
    table_free(r);
    table_free(t);
    MEM_END;
}

/* Segment tree vs direct computation on a large partition with peers: sliding ROWS frames,
   RANGE CURRENT ROW .. UNBOUNDED FOLLOWING, and ROWS frames entirely before the row. */
static void test_segment_tree_matches_naive(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_big();
    kl_win_call *c = calls_new(4);
    w_agg(&c[0], "sum", 1, col(2, BI), NULL);
    w_order(&c[0], 1, BI, false, false);
    w_frame(&c[0], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 37, KL_BOUND_FOLLOWING, 300);
    w_agg(&c[1], "count", 1, col(2, BI), NULL);
    w_order(&c[1], 1, BI, false, false);
    w_frame(&c[1], KL_FRAME_RANGE, KL_BOUND_CURRENT_ROW, 0, KL_BOUND_UNBOUNDED_FOLLOWING, 0);
    w_agg(&c[2], "max", 1, col(2, BI), NULL);
    w_order(&c[2], 1, BI, false, false);
    w_frame(&c[2], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 20, KL_BOUND_PRECEDING, 3);
    w_fn(&c[3], KL_WIN_ROW_NUMBER, BI);
    w_order(&c[3], 1, BI, false, false);
    kl_table *r = run_ok(t, c, 4);
    /* reconstruct the sorted order from row_number */
    int64_t *pos_row = calloc(BIG_N, sizeof(int64_t));
    assert_non_null(pos_row);
    for (uint64_t i = 0; i < BIG_N; i++) pos_row[get_i64(r, i, 6) - 1] = (int64_t)i;
    for (int64_t p = 0; p < BIG_N; p++) {
        int64_t row = pos_row[p];
        int64_t key = get_i64(r, (uint64_t)row, 1);
        if (p > 0) {
            int64_t prow = pos_row[p - 1];
            int64_t pkey = get_i64(r, (uint64_t)prow, 1);
            assert_true(pkey < key || (pkey == key && prow < row));
        }
        /* ROWS 37 PRECEDING .. 300 FOLLOWING */
        int64_t sum = 0, n_nn = 0;
        for (int64_t q = KL_MAX(0, p - 37); q <= KL_MIN(BIG_N - 1, p + 300); q++) {
            int64_t x = get_i64(r, (uint64_t)pos_row[q], 2);
            if (x != NULLV) sum += x, n_nn++;
        }
        double got = r->types[3] == DB ? get_f64(r, (uint64_t)row, 3) : (double)get_i64(r, (uint64_t)row, 3);
        if (n_nn) assert_true(got == (double)sum);
        /* RANGE CURRENT ROW .. UNBOUNDED FOLLOWING: from the first peer to the end */
        int64_t g = p;
        while (g > 0 && get_i64(r, (uint64_t)pos_row[g - 1], 1) == key) g--;
        int64_t cnt = 0;
        for (int64_t q = g; q < BIG_N; q++) cnt += get_i64(r, (uint64_t)pos_row[q], 2) != NULLV;
        assert_int_equal(get_i64(r, (uint64_t)row, 4), cnt);
        /* ROWS 20 PRECEDING .. 3 PRECEDING */
        int64_t mx = NULLV;
        for (int64_t q = KL_MAX(0, p - 20); q <= p - 3; q++) {
            int64_t x = get_i64(r, (uint64_t)pos_row[q], 2);
            if (x != NULLV && (mx == NULLV || x > mx)) mx = x;
        }
        assert_int_equal(get_i64(r, (uint64_t)row, 5), mx);
    }
    free(pos_row);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* string_agg over a sliding frame through the segment tree keeps the row order */
static void sa_cell(kl_vec *v, uint32_t r, uint64_t row, uint32_t c) {
    if (c == 0) {
        VEC_I64(v)[r] = (int64_t)(row % 7 == 0 ? row - 1 : row); /* a few ties */
    } else {
        char s[8];
        int n = snprintf(s, sizeof s, "%c", 'a' + (int)(row % 26));
        assert_int_equal(vec_set_string(v, r, s, (size_t)n), 0);
    }
}

static void test_string_agg_sliding_order(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty[2] = {BI, VC};
    uint64_t n = 300;
    kl_table *t = tab_gen(ty, 2, n, sa_cell);
    kl_win_call *c = calls_new(1);
    w_agg(&c[0], "string_agg", 2, col(1, VC), cst_str(""));
    w_order(&c[0], 0, BI, false, false);
    w_frame(&c[0], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 40, KL_BOUND_FOLLOWING, 25);
    kl_table *r = run_ok(t, c, 1);
    /* keys never decrease in row order (row 7k has key 7k - 1, a tie with row 7k - 1), so the
       stable sorted order is the row order */
    uint64_t order[300];
    for (uint64_t i = 0; i < n; i++) order[i] = i;
    for (uint64_t i = 1; i < n; i++) assert_true(get_i64(r, i, 0) >= get_i64(r, i - 1, 0));
    char buf[128];
    for (uint64_t p = 0; p < n; p++) {
        size_t len = 0;
        for (int64_t q = KL_MAX(0, (int64_t)p - 40); q <= KL_MIN((int64_t)n - 1, (int64_t)p + 25); q++)
            buf[len++] = (char)('a' + (int)(order[q] % 26));
        buf[len] = 0;
        uint32_t rr;
        const kl_vec *v = cell(r, order[p], 2, &rr);
        kl_str s = VEC_STR(v)[rr];
        assert_int_equal(s.len, len);
        assert_memory_equal(s.ptr, buf, len);
    }
    table_free(r);
    table_free(t);
    MEM_END;
}

/* 20000 partitions of 10 rows: row_number and a per-partition sum */
static void part_cell(kl_vec *v, uint32_t r, uint64_t row, uint32_t c) {
    if (c == 0) VEC_I64(v)[r] = (int64_t)((row * 40503) % 20000); /* partition id, scattered */
    else VEC_I64(v)[r] = (int64_t)((row * 7) % 10);
}

static void test_many_small_partitions(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty[2] = {BI, BI};
    uint64_t n = 200000;
    kl_table *t = tab_gen(ty, 2, n, part_cell);
    kl_win_call *c = calls_new(2);
    w_fn(&c[0], KL_WIN_ROW_NUMBER, BI);
    w_part(&c[0], 0, BI);
    w_order(&c[0], 1, BI, false, false);
    w_agg(&c[1], "count_star", 0, NULL, NULL);
    w_part(&c[1], 0, BI);
    kl_table *r = run_ok(t, c, 2);
    /* each partition holds 10 rows; row_number is 1 + the number of rows of the partition
       with a smaller (key, row) */
    for (uint64_t i = 0; i < n; i++) assert_int_equal(get_i64(r, i, 3), 10);
    int64_t *seen = calloc(20000, sizeof(int64_t));
    assert_non_null(seen);
    for (uint64_t i = 0; i < n; i++) {
        int64_t rn = get_i64(r, i, 2);
        assert_true(rn >= 1 && rn <= 10);
        seen[get_i64(r, i, 0)] |= (int64_t)1 << rn;
    }
    for (int p = 0; p < 20000; p++) assert_int_equal(seen[p], 0x7fe); /* 1..10 each once */
    free(seen);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* Generic sort path: ORDER BY a VARCHAR key then a BIGINT key, DESC on the first. */
static void test_generic_sort_two_keys(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty[4] = {BI, BI, VC, BI};
    kl_table *t = tab_gen(ty, 4, 5, str_cell); /* s: a bb NULL d e; o: 2 1 2 1 3 */
    kl_win_call *c = calls_new(2);
    w_fn(&c[0], KL_WIN_RANK, BI);
    w_order(&c[0], 3, BI, false, false);
    w_order(&c[0], 2, VC, true, true);
    w_fn(&c[1], KL_WIN_DENSE_RANK, BI);
    w_order(&c[1], 2, VC, false, false);
    kl_table *r = run_ok(t, c, 2);
    /* (o, s desc nulls first): (1,d)=1 (1,bb)=2 (2,NULL)=3 (2,a)=4 (3,e)=5 */
    static const int64_t e0[] = {4, 2, 3, 1, 5};
    static const int64_t e1[] = {1, 2, 5, 3, 4};
    expect_i64(r, 4, e0, 5);
    expect_i64(r, 5, e1, 5);
    table_free(r);
    table_free(t);
    MEM_END;
}

/* Every allocation failure point: op_window/op_next fail cleanly, memory returns to baseline. */
static void test_allocation_failures(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty[4] = {BI, BI, VC, BI};
    kl_table *t = tab_gen(ty, 4, 5, str_cell);
    size_t after_table = kl_mem_in_use();
    bool done = false;
    for (long f = 1; f < 2000 && !done; f++) {
        kl_win_call *c = calls_new(3);
        w_agg(&c[0], "string_agg", 1, col(2, VC), NULL);
        w_part(&c[0], 3, BI);
        w_order(&c[0], 0, BI, false, false);
        w_frame(&c[0], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 1, KL_BOUND_FOLLOWING, 1);
        w_fn(&c[1], KL_WIN_LAG, VC);
        w_arg(&c[1], col(2, VC));
        w_agg(&c[2], "median", 1, col(1, BI), NULL);
        w_order(&c[2], 2, VC, false, false);
        kl_error err = {0};
        int rc;
        kl_mem_fail_after(f);
        kl_table *r = run(t, c, 3, &rc, &err);
        kl_mem_fail_after(0);
        if (!rc) {
            done = r != NULL;
            table_free(r);
        } else {
            assert_null(r);
        }
        assert_int_equal(kl_mem_in_use(), after_table);
    }
    assert_true(done);
    table_free(t);
    MEM_END;
}

/* Memory returns to the baseline also when the operator is freed before it is drained. */
static void test_free_without_draining(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = tab_big();
    kl_win_call *c = calls_new(2);
    w_agg(&c[0], "median", 1, col(2, BI), NULL);
    w_order(&c[0], 1, BI, false, false);
    w_frame(&c[0], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 3, KL_BOUND_FOLLOWING, 3);
    w_fn(&c[1], KL_WIN_ROW_NUMBER, BI);
    kl_op *op = op_window(op_scan_table(t), c, 2);
    assert_non_null(op);
    kl_chunk *ch;
    assert_int_equal(op_next(op, &ch, NULL), 0);
    assert_int_equal(ch->n_rows, KL_CHUNK_ROWS);
    op_free(op);
    /* never pulled at all */
    c = calls_new(1);
    w_fn(&c[0], KL_WIN_ROW_NUMBER, BI);
    op_free(op_window(op_scan_table(t), c, 1));
    /* win_call_clear on a call that never reached op_window */
    kl_win_call one = {0};
    w_agg(&one, "sum", 1, col(0, BI), NULL);
    w_a(&one);
    w_arg(&one, cst_i64(1));
    win_call_clear(&one);
    table_free(t);
    MEM_END;
}

/* ---- threads: the same results at 1 and 4 threads ------------------------------------------ */

#define PAR_N 300000 /* more than WIN_PAR_SORT: the partition-less calls take the parallel sort */

/* c0 partition key (row % 997, NULL every 101st row), c1 DOUBLE order key with duplicates and
   NULLs, c2 VARCHAR with duplicates and NULLs, c3 BIGINT */
static void par_cell(kl_vec *v, uint32_t r, uint64_t row, uint32_t c) {
    uint64_t h = row * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    if (c == 0) {
        if (row % 101 == 0) vec_set_null(v, r);
        else VEC_I64(v)[r] = (int64_t)(row % 997);
    } else if (c == 1) {
        if (h % 53 == 0) vec_set_null(v, r);
        else VEC_F64(v)[r] = (double)(h % 5000) / 8.0 - 100.0;
    } else if (c == 2) {
        if (h % 37 == 0) {
            vec_set_null(v, r);
        } else {
            char buf[32];
            int len = snprintf(buf, sizeof buf, "k%llu", (unsigned long long)((h >> 7) % 3000));
            assert_int_equal(vec_set_string(v, r, buf, (size_t)len), 0);
        }
    } else {
        VEC_I64(v)[r] = (int64_t)((h >> 11) % 100000) - 50000;
    }
}

static kl_win_call *par_calls(uint32_t *n) {
    *n = 7;
    kl_win_call *c = calls_new(*n);
    w_fn(&c[0], KL_WIN_ROW_NUMBER, BI); /* one big partition, fixed-width key */
    w_order(&c[0], 1, DB, true, true);
    w_fn(&c[1], KL_WIN_RANK, BI); /* one big partition, comparator */
    w_order(&c[1], 2, VC, false, false);
    w_order(&c[1], 3, BI, true, false);
    w_agg(&c[2], "sum", 1, col(3, BI), NULL);
    w_part(&c[2], 0, BI);
    w_order(&c[2], 1, DB, false, false);
    w_frame(&c[2], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 2, KL_BOUND_CURRENT_ROW, 0);
    w_agg(&c[3], "min", 1, col(2, VC), NULL); /* string results from every worker */
    w_part(&c[3], 0, BI);
    w_order(&c[3], 3, BI, false, false);
    w_frame(&c[3], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 100, KL_BOUND_FOLLOWING, 100);
    w_agg(&c[4], "string_agg", 1, col(2, VC), NULL);
    w_part(&c[4], 0, BI);
    w_order(&c[4], 1, DB, false, true);
    w_frame(&c[4], KL_FRAME_ROWS, KL_BOUND_PRECEDING, 1, KL_BOUND_CURRENT_ROW, 0);
    w_fn(&c[5], KL_WIN_LAG, VC);
    w_arg(&c[5], col(2, VC));
    w_part(&c[5], 0, BI);
    w_order(&c[5], 1, DB, false, false);
    w_agg(&c[6], "avg", 1, col(3, BI), NULL); /* default frame: running, peers included */
    w_part(&c[6], 0, BI);
    w_order(&c[6], 1, DB, true, false);
    return c;
}

static void expect_same_tables(const kl_table *a, const kl_table *b) {
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_cols, b->n_cols);
    kl_buf x = {0}, y = {0};
    for (uint64_t i = 0; i < a->n_rows; i++) {
        for (uint32_t c = 0; c < a->n_cols; c++) {
            uint32_t r;
            const kl_vec *va = cell(a, i, c, &r), *vb = cell(b, i, c, &r);
            x.len = y.len = 0;
            bool na = vec_format_value(va, r, &x), nb = vec_format_value(vb, r, &y);
            if (na != nb || x.len != y.len || (x.len && memcmp(x.data, y.data, x.len)))
                fail_msg("row %llu column %u differs", (unsigned long long)i, c);
        }
    }
    kl_buf_free(&x);
    kl_buf_free(&y);
}

static void test_threads_same_result(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty[4] = {BI, DB, VC, BI};
    kl_table *t = tab_gen(ty, 4, PAR_N, par_cell);
    uint32_t n;
    kl_win_call *c = par_calls(&n);
    g_threads = 1;
    kl_table *r1 = run_ok(t, c, n);
    c = par_calls(&n);
    g_threads = 4;
    kl_table *r4 = run_ok(t, c, n);
    g_threads = 1;
    expect_same_tables(r1, r4);
    /* row_number over the one big partition is a permutation of 1..n, DESC NULLS FIRST */
    uint8_t *seen = calloc(PAR_N + 1, 1);
    assert_non_null(seen);
    for (uint64_t i = 0; i < PAR_N; i++) {
        int64_t rn = get_i64(r4, i, 4);
        assert_true(rn >= 1 && rn <= PAR_N && !seen[rn]);
        seen[rn] = 1;
    }
    free(seen);
    for (uint64_t i = 1; i < PAR_N; i++) {
        /* rows ordered by rn: check the order on a sample of pairs */
        if (i % 1000) continue;
        uint64_t j = i - 1;
        int64_t ri = get_i64(r4, i, 4), rj = get_i64(r4, j, 4);
        double vi = get_f64(r4, i, 1), vj = get_f64(r4, j, 1);
        if (isnan(vi) != isnan(vj)) assert_true(isnan(vi) ? ri < rj : rj < ri);
        else if (!isnan(vi) && vi != vj) assert_true(vi > vj ? ri < rj : rj < ri);
        else assert_true(rj < ri); /* ties keep input order */
    }
    table_free(r1);
    table_free(r4);
    table_free(t);
    MEM_END;
}

/* An error in one partition is the same at any thread count; memory returns to baseline. */
static void test_threads_error(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty[4] = {BI, DB, VC, BI};
    kl_table *t = tab_gen(ty, 4, 50000, par_cell);
    for (int th = 1; th <= 4; th += 3) {
        kl_win_call *c = calls_new(1);
        w_fn(&c[0], KL_WIN_NTILE, BI);
        w_arg(&c[0], col(3, BI)); /* ntile(c3): c3 <= 0 in many partitions */
        w_part(&c[0], 0, BI);
        w_order(&c[0], 1, DB, false, false);
        g_threads = th;
        kl_error err = {0};
        int rc;
        kl_table *r = run(t, c, 1, &rc, &err);
        g_threads = 1;
        assert_null(r);
        assert_int_equal(rc, KILN_ERR_INVALID);
        assert_string_equal(err.message, "Argument for ntile must be greater than zero");
    }
    table_free(t);
    MEM_END;
}

/* Allocation failures with workers: a clean error, memory back to baseline. */
static void test_threads_allocation_failures(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty[4] = {BI, DB, VC, BI};
    kl_table *t = tab_gen(ty, 4, 20000, par_cell);
    size_t after_table = kl_mem_in_use();
    g_threads = 4;
    for (long f = 1; f < 400; f += 7) {
        uint32_t n;
        kl_win_call *c = par_calls(&n);
        kl_error err = {0};
        int rc;
        kl_mem_fail_after(f);
        kl_table *r = run(t, c, n, &rc, &err);
        kl_mem_fail_after(0);
        if (rc) assert_null(r);
        table_free(r);
        assert_int_equal(kl_mem_in_use(), after_table);
    }
    g_threads = 1;
    table_free(t);
    MEM_END;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_number),
        cmocka_unit_test(test_rank_dense_rank_ties),
        cmocka_unit_test(test_percent_rank_cume_dist),
        cmocka_unit_test(test_ntile_uneven),
        cmocka_unit_test(test_ntile_errors),
        cmocka_unit_test(test_lag_lead),
        cmocka_unit_test(test_lag_negative_and_column_default),
        cmocka_unit_test(test_value_functions_default_frame),
        cmocka_unit_test(test_value_functions_rows_frame),
        cmocka_unit_test(test_running_sum_peers_vs_rows),
        cmocka_unit_test(test_moving_average),
        cmocka_unit_test(test_sliding_sum_and_count_star),
        cmocka_unit_test(test_null_partition_key),
        cmocka_unit_test(test_nulls_first_last_desc),
        cmocka_unit_test(test_double_keys),
        cmocka_unit_test(test_multiple_calls_different_partitions),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_varchar_and_holistic),
        cmocka_unit_test(test_range_offsets),
        cmocka_unit_test(test_range_offset_errors),
        cmocka_unit_test(test_large_partition),
        cmocka_unit_test(test_segment_tree_matches_naive),
        cmocka_unit_test(test_string_agg_sliding_order),
        cmocka_unit_test(test_many_small_partitions),
        cmocka_unit_test(test_generic_sort_two_keys),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_free_without_draining),
        cmocka_unit_test(test_threads_same_result),
        cmocka_unit_test(test_threads_error),
        cmocka_unit_test(test_threads_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
