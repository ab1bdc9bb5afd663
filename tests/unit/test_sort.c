/*
 * test_sort.c — unit tests for the sort operator (src/exec/sort.c): multi-key ORDER BY over
 * every sortable type (BIGINT, DOUBLE with NaN / -0.0 / infinities, VARCHAR short and long with
 * a common prefix, DATE, TIMESTAMP, BOOLEAN, INTERVAL), NULLs first and last, DESC, a computed
 * key, stability of ties, inputs of many chunks (> 1M rows: parallel runs and the k-way merge),
 * top-N, the same output at 1 and 4 threads (also through a parallel gather, whose chunks the
 * sort adopts), and memory back to baseline after op_free and under allocation failures.
 *
 * The expected order comes from a reference in this file: qsort of row numbers with a
 * comparator built on func_compare_values, ties broken by row number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "exec/operator.h"
#include "func/func.h"

#define MEM_BEGIN size_t mem_base_ = kl_mem_in_use()
#define MEM_END assert_int_equal(kl_mem_in_use(), mem_base_)

#define N_COLS 9
static const kl_type COL_TYPES[N_COLS] = {
    KILN_TYPE_BIGINT,    /* 0: row number (payload, checks the order) */
    KILN_TYPE_VARCHAR,   /* 1: long strings with a common prefix (incomplete key) */
    KILN_TYPE_DOUBLE,    /* 2: few values, NaN, -0.0, +-inf, NULL */
    KILN_TYPE_BIGINT,    /* 3: wide range with INT64_MIN / INT64_MAX, NULL */
    KILN_TYPE_DATE,      /* 4 */
    KILN_TYPE_TIMESTAMP, /* 5 */
    KILN_TYPE_BOOLEAN,   /* 6: massive ties */
    KILN_TYPE_INTERVAL,  /* 7: '30 days' equals '1 month' */
    KILN_TYPE_VARCHAR,   /* 8: short strings of varying length, "" included */
};

static uint64_t mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    return x ^ (x >> 32);
}

static void gen_cell(kl_vec *v, uint32_t r, uint64_t row, uint32_t c) {
    uint64_t h = mix(row * 131 + c);
    if (c != 0 && h % 41 == 0) {
        vec_set_null(v, r);
        return;
    }
    char buf[64];
    int len;
    switch (c) {
    case 0: VEC_I64(v)[r] = (int64_t)row; break;
    case 1:
        len = snprintf(buf, sizeof buf, "a common prefix that is long/%03u/%llu", (unsigned)(h % 300),
                       (unsigned long long)((h >> 20) % 7));
        assert_int_equal(vec_set_string(v, r, buf, (size_t)len), 0);
        break;
    case 2: {
        static const double dv[] = {1.5, -0.0, 0.0, -2.25, 1e300, -1e-300, 7.0, 7.0};
        uint64_t k = (h >> 8) % 11;
        double d = k < 8 ? dv[k] : k == 8 ? NAN : k == 9 ? INFINITY : -INFINITY;
        VEC_F64(v)[r] = d;
        break;
    }
    case 3: {
        uint64_t k = (h >> 8) % 100;
        VEC_I64(v)[r] = k == 0 ? INT64_MIN : k == 1 ? INT64_MAX : (int64_t)(h >> 3) - (int64_t)(h >> 4);
        break;
    }
    case 4: VEC_I32(v)[r] = (int32_t)((h >> 9) % 2000) - 1000; break;
    case 5: VEC_I64(v)[r] = (int64_t)((h >> 9) % 100000) * 1000003 - 40000000000; break;
    case 6: VEC_U8(v)[r] = (uint8_t)((h >> 9) & 1); break;
    case 7: {
        uint64_t k = (h >> 9) % 5;
        kl_interval iv = {0, 0, 0};
        if (k == 0) iv.months = 1;
        else if (k == 1) iv.days = 30; /* equal to 1 month */
        else if (k == 2) iv.micros = (int64_t)((h >> 12) % 1000) * 3600000000;
        else if (k == 3) iv.days = -(int32_t)((h >> 12) % 40);
        else iv.months = (int32_t)((h >> 12) % 3);
        VEC_IV(v)[r] = iv;
        break;
    }
    default:
        len = (int)((h >> 9) % 5);
        for (int i = 0; i < len; i++) buf[i] = (char)('a' + (h >> (12 + 3 * i)) % 3);
        assert_int_equal(vec_set_string(v, r, buf, (size_t)len), 0);
        break;
    }
}

static kl_table *gen_table(uint64_t n) {
    char *names[N_COLS];
    for (int c = 0; c < N_COLS; c++) names[c] = "c";
    kl_table *t = table_create(NULL, N_COLS, names, COL_TYPES);
    assert_non_null(t);
    kl_chunk ch;
    assert_int_equal(chunk_init(&ch, COL_TYPES, N_COLS, KL_CHUNK_ROWS), 0);
    for (uint64_t r0 = 0; r0 < n; r0 += KL_CHUNK_ROWS) {
        chunk_reset(&ch);
        uint32_t m = (uint32_t)KL_MIN(n - r0, (uint64_t)KL_CHUNK_ROWS);
        for (uint32_t i = 0; i < m; i++)
            for (uint32_t c = 0; c < N_COLS; c++) gen_cell(&ch.cols[c], i, r0 + i, c);
        ch.n_rows = m;
        assert_int_equal(table_append(t, &ch, m, NULL), 0);
    }
    chunk_free(&ch);
    return t;
}

/* ---- a sort specification and its reference order ------------------------------------------ */

typedef struct spec {
    uint32_t n_keys;
    uint32_t col[8];
    bool desc[8], nf[8];
    bool negate0; /* key 0 is -col[0] (a computed key; BIGINT or DOUBLE columns) */
} spec;

typedef struct ref_ctx {
    const kl_table *t;
    const spec *sp;
} ref_ctx;

static const kl_vec *cellv(const kl_table *t, uint64_t row, uint32_t c, uint32_t *r) {
    *r = (uint32_t)(row % KL_CHUNK_ROWS);
    return &t->chunks[row / KL_CHUNK_ROWS]->cols[c];
}

static int ref_cmp(const void *pa, const void *pb, void *arg) {
    const ref_ctx *x = arg;
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    for (uint32_t k = 0; k < x->sp->n_keys; k++) {
        uint32_t ra, rb;
        const kl_vec *va = cellv(x->t, a, x->sp->col[k], &ra), *vb = cellv(x->t, b, x->sp->col[k], &rb);
        bool na = va->nulls[ra] != 0, nb = vb->nulls[rb] != 0;
        if (na || nb) {
            if (na && nb) continue;
            return (na ? 1 : -1) * (x->sp->nf[k] ? -1 : 1);
        }
        int c = func_compare_values(va->type, va, ra, vb, rb);
        if (k == 0 && x->sp->negate0) {
            /* -x orders like x reversed, except that -0.0 == 0.0 and NaN stays greatest */
            if (va->type == KILN_TYPE_DOUBLE) {
                double da = VEC_F64(va)[ra], db = VEC_F64(vb)[rb];
                if (isnan(da) || isnan(db)) c = isnan(da) - isnan(db);
                else c = -c;
            } else {
                c = -c;
            }
        }
        if (c) return x->sp->desc[k] ? -c : c;
    }
    return a < b ? -1 : a > b;
}

/* Expected row numbers in sorted order (n of them). */
static uint64_t *ref_order(const kl_table *t, const spec *sp) {
    uint64_t n = t->n_rows;
    uint64_t *o = malloc((n ? n : 1) * sizeof *o);
    assert_non_null(o);
    for (uint64_t i = 0; i < n; i++) o[i] = i;
    ref_ctx x = {t, sp};
    qsort_r(o, n, sizeof *o, ref_cmp, &x);
    return o;
}

/* ---- running op_sort ------------------------------------------------------------------------ */

/* NULL when an allocation fails (fault injection): everything built so far is freed. */
static kl_op *make_sort(const kl_table *t, const spec *sp, int threads, bool gather, uint64_t limit) {
    kl_op *src = op_scan_table(t);
    if (src && gather) src = op_gather(src, threads);
    kl_expr **keys = kl_calloc(sp->n_keys, sizeof *keys);
    bool ok = src && keys;
    for (uint32_t k = 0; ok && k < sp->n_keys; k++) {
        kl_expr *c = expr_new_column(sp->col[k], COL_TYPES[sp->col[k]]);
        if (c && k == 0 && sp->negate0) {
            kl_expr *neg = expr_new(EXPR_NEG, COL_TYPES[sp->col[k]], 1);
            if (neg) neg->args[0] = c;
            else expr_free(c);
            c = neg;
        }
        keys[k] = c;
        ok = c != NULL;
    }
    if (!ok) {
        op_free(src);
        for (uint32_t k = 0; keys && k < sp->n_keys; k++) expr_free(keys[k]);
        kl_free(keys);
        return NULL;
    }
    kl_op *op = op_sort(src, keys, sp->desc, sp->nf, sp->n_keys);
    if (!op) return NULL;
    op_sort_set_threads(op, threads);
    if (limit) op_sort_set_limit(op, limit);
    return op;
}

/* Pull the sort; returns the row numbers (column 0) in output order, *n_out rows. NULL and rc
   on error. */
static uint64_t *run_sort(const kl_table *t, const spec *sp, int threads, bool gather,
                          uint64_t limit, uint64_t *n_out, int *rc_out, kl_error *err) {
    *rc_out = 0;
    *n_out = 0;
    kl_op *op = make_sort(t, sp, threads, gather, limit);
    if (!op) {
        *rc_out = KILN_ERR_MEMORY;
        return NULL;
    }
    uint64_t cap = t->n_rows + 1, n = 0;
    uint64_t *rows = malloc(cap * sizeof *rows);
    assert_non_null(rows);
    int rc = 0;
    for (;;) {
        kl_chunk *ch;
        if ((rc = op_next(op, &ch, err))) break;
        if (ch->n_rows == 0) break;
        assert_int_equal(ch->n_cols, N_COLS);
        for (uint32_t i = 0; i < ch->n_rows; i++) {
            assert_true(n < cap);
            uint64_t row = (uint64_t)VEC_I64(&ch->cols[0])[i];
            rows[n++] = row;
            /* every column travels with its row */
            for (uint32_t c = 1; c < N_COLS; c++) {
                uint32_t r;
                const kl_vec *want = cellv(t, row, c, &r);
                const kl_vec *got = &ch->cols[c];
                assert_int_equal(got->nulls[i] != 0, want->nulls[r] != 0);
                if (!want->nulls[r]) {
                    if (c == 2 && isnan(VEC_F64(want)[r])) assert_true(isnan(VEC_F64(got)[i]));
                    else if (c == 7) assert_memory_equal(&VEC_IV(got)[i], &VEC_IV(want)[r], sizeof(kl_interval));
                    else assert_int_equal(func_compare_values(want->type, got, i, want, r), 0);
                }
            }
        }
    }
    op_free(op);
    *rc_out = rc;
    if (rc) {
        free(rows);
        return NULL;
    }
    *n_out = n;
    return rows;
}

static void expect_order(const kl_table *t, const spec *sp, int threads, bool gather,
                         uint64_t limit, const uint64_t *want) {
    kl_error err = {0};
    int rc;
    uint64_t n;
    uint64_t *got = run_sort(t, sp, threads, gather, limit, &n, &rc, &err);
    if (rc) fail_msg("sort failed: %s", err.message);
    uint64_t exp_n = limit ? KL_MIN(limit, t->n_rows) : t->n_rows;
    assert_int_equal(n, exp_n);
    for (uint64_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("threads %d limit %llu: position %llu has row %llu, expected %llu", threads,
                     (unsigned long long)limit, (unsigned long long)i, (unsigned long long)got[i],
                     (unsigned long long)want[i]);
    free(got);
}

/* Every thread count, with and without a parallel gather below, full and top-N. */
static void check_spec(const kl_table *t, const spec *sp, bool with_limits) {
    uint64_t *want = ref_order(t, sp);
    expect_order(t, sp, 1, false, 0, want);
    expect_order(t, sp, 4, false, 0, want);
    expect_order(t, sp, 4, true, 0, want);
    expect_order(t, sp, 2, true, 0, want);
    if (with_limits) {
        expect_order(t, sp, 1, false, 7, want);
        expect_order(t, sp, 4, true, 100, want);
        expect_order(t, sp, 1, false, 70000, want); /* past the 65536-row compaction */
        expect_order(t, sp, 4, true, 40000, want);
    }
    free(want);
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* A small case worked out by hand (DuckDB 1.5 gives the same):
   SELECT * FROM (VALUES (1,'b',2.0),(2,NULL,1.0),(3,'a',NULL),(4,'b',1.0),(5,'a',3.0)) t(i,s,d)
   ORDER BY s DESC NULLS FIRST, d NULLS FIRST  ->  2, 4, 1, 3, 5 */
static void test_small_by_hand(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_type ty[3] = {KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR, KILN_TYPE_DOUBLE};
    char *names[3] = {"i", "s", "d"};
    kl_table *t = table_create(NULL, 3, names, ty);
    assert_non_null(t);
    kl_chunk ch;
    assert_int_equal(chunk_init(&ch, ty, 3, KL_CHUNK_ROWS), 0);
    const char *s[5] = {"b", NULL, "a", "b", "a"};
    double d[5] = {2.0, 1.0, NAN, 1.0, 3.0};
    for (uint32_t i = 0; i < 5; i++) {
        VEC_I64(&ch.cols[0])[i] = i + 1;
        if (s[i]) assert_int_equal(vec_set_string(&ch.cols[1], i, s[i], strlen(s[i])), 0);
        else vec_set_null(&ch.cols[1], i);
        if (i == 2) vec_set_null(&ch.cols[2], i);
        else VEC_F64(&ch.cols[2])[i] = d[i];
    }
    ch.n_rows = 5;
    assert_int_equal(table_append(t, &ch, 5, NULL), 0);
    chunk_free(&ch);
    kl_expr **keys = kl_calloc(2, sizeof *keys);
    assert_non_null(keys);
    keys[0] = expr_new_column(1, KILN_TYPE_VARCHAR);
    keys[1] = expr_new_column(2, KILN_TYPE_DOUBLE);
    bool desc[2] = {true, false}, nf[2] = {true, true};
    kl_op *op = op_sort(op_scan_table(t), keys, desc, nf, 2);
    assert_non_null(op);
    kl_chunk *out;
    assert_int_equal(op_next(op, &out, NULL), 0);
    static const int64_t want[5] = {2, 4, 1, 3, 5};
    assert_int_equal(out->n_rows, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(VEC_I64(&out->cols[0])[i], want[i]);
    assert_int_equal(op_next(op, &out, NULL), 0);
    assert_int_equal(out->n_rows, 0);
    op_free(op);
    table_free(t);
    MEM_END;
}

/* Many keys of mixed types with NULLs, DESC and NULLS FIRST, at 1 / 2 / 4 threads. */
static void test_mixed_keys(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = gen_table(300000);
    spec a = {3, {1, 2, 3}, {false, true, false}, {false, true, false}, false};
    check_spec(t, &a, true);
    spec b = {5, {8, 6, 7, 4, 5}, {true, false, true, false, true}, {false, true, false, true, false}, false};
    check_spec(t, &b, true);
    spec c = {1, {2}, {false}, {false}, false}; /* one DOUBLE key: NaN, -0.0, inf */
    check_spec(t, &c, false);
    spec d = {2, {3, 8}, {true, false}, {false, true}, false};
    check_spec(t, &d, false);
    spec e = {2, {2, 3}, {false, false}, {true, false}, true}; /* computed key: -c2 */
    check_spec(t, &e, false);
    table_free(t);
    MEM_END;
}

/* A BOOLEAN key: two values over 300k rows, so nearly everything is a tie that must keep
   input order; and a key that is NULL everywhere (every row ties). */
static void test_stability(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = gen_table(300000);
    spec a = {1, {6}, {true}, {true}, false};
    check_spec(t, &a, true);
    spec b = {2, {7, 6}, {false, false}, {false, false}, false};
    check_spec(t, &b, false);
    table_free(t);
    MEM_END;
}

/* More than a million rows (many chunks, parallel runs, the k-way merge). */
static void test_many_chunks(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = gen_table(1100000);
    spec a = {3, {3, 1, 2}, {false, true, false}, {false, false, true}, false};
    uint64_t *want = ref_order(t, &a);
    expect_order(t, &a, 1, false, 0, want);
    expect_order(t, &a, 4, true, 0, want);
    expect_order(t, &a, 4, true, 1000, want);
    free(want);
    table_free(t);
    MEM_END;
}

static void test_empty_and_tiny(void **state) {
    (void)state;
    MEM_BEGIN;
    for (uint64_t n = 0; n < 4; n++) {
        kl_table *t = gen_table(n);
        spec a = {2, {1, 3}, {false, true}, {false, false}, false};
        check_spec(t, &a, true);
        table_free(t);
    }
    MEM_END;
}

/* Every allocation failure point (a sample of them) fails cleanly at 1 and 4 threads. */
static void test_allocation_failures(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = gen_table(140000);
    size_t after_table = kl_mem_in_use();
    spec a = {3, {2, 1, 8}, {false, true, false}, {false, true, false}, true}; /* -c2, c1, c8 */
    for (int th = 1; th <= 4; th += 3) {
        for (uint64_t limit = 0; limit <= 100; limit += 100) {
            bool done = false;
            for (long f = 1; f < 10000000 && !done; f += f < 64 ? 1 : f / 16) {
                kl_error err = {0};
                int rc;
                uint64_t n;
                kl_mem_fail_after(f);
                uint64_t *rows = run_sort(t, &a, th, th > 1, limit, &n, &rc, &err);
                kl_mem_fail_after(0);
                if (!rc) done = true;
                else assert_int_equal(rc, KILN_ERR_MEMORY);
                free(rows);
                assert_int_equal(kl_mem_in_use(), after_table);
            }
            assert_true(done);
        }
    }
    table_free(t);
    MEM_END;
}

/* Freed before it is drained (and never pulled): memory back to baseline. */
static void test_free_without_draining(void **state) {
    (void)state;
    MEM_BEGIN;
    kl_table *t = gen_table(200000);
    spec a = {2, {1, 2}, {false, false}, {false, false}, false};
    kl_op *op = make_sort(t, &a, 4, true, 0);
    kl_chunk *ch;
    assert_int_equal(op_next(op, &ch, NULL), 0);
    assert_int_equal(ch->n_rows, KL_CHUNK_ROWS);
    op_free(op);
    op_free(make_sort(t, &a, 4, true, 0));
    table_free(t);
    MEM_END;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_by_hand),
        cmocka_unit_test(test_mixed_keys),
        cmocka_unit_test(test_stability),
        cmocka_unit_test(test_many_chunks),
        cmocka_unit_test(test_empty_and_tiny),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_free_without_draining),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
