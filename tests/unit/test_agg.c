/*
 * test_agg.c — unit tests for the aggregate functions (src/func/agg_*.c): values, NULL and
 * empty-group handling, combine of split input == single pass, serialize round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "func/func.h"

#define NULLV (INT64_MIN + 4242)

static kl_vec *mk(kl_type t, uint32_t n) {
    kl_vec *v = kl_malloc(sizeof *v);
    assert_non_null(v);
    assert_int_equal(vec_init(v, t, n ? n : 1), 0);
    return v;
}
static void fr(kl_vec *v) {
    vec_free(v);
    kl_free(v);
}
static kl_vec *i64s(const int64_t *x, uint32_t n) {
    kl_vec *v = mk(KILN_TYPE_BIGINT, n);
    for (uint32_t i = 0; i < n; i++) {
        if (x[i] == NULLV) vec_set_null(v, i);
        else VEC_I64(v)[i] = x[i];
    }
    return v;
}
static kl_vec *f64s(const double *x, uint32_t n) {
    kl_vec *v = mk(KILN_TYPE_DOUBLE, n);
    for (uint32_t i = 0; i < n; i++) {
        if (isnan(x[i]) && signbit(x[i])) vec_set_null(v, i); /* -NaN marks NULL */
        else VEC_F64(v)[i] = x[i];
    }
    return v;
}
#define NULLD (-NAN)
static kl_vec *strs(const char **x, uint32_t n) {
    kl_vec *v = mk(KILN_TYPE_VARCHAR, n);
    for (uint32_t i = 0; i < n; i++) {
        if (!x[i]) vec_set_null(v, i);
        else assert_int_equal(vec_set_string(v, i, x[i], strlen(x[i])), 0);
    }
    return v;
}

enum { MODE_SINGLE, MODE_SPLIT, MODE_SERIAL };

/*
 * Run aggregate `name` over args (n rows). MODE_SPLIT feeds rows [0, n/2) and [n/2, n) into
 * two states and combines them; MODE_SERIAL also sends both through serialize/deserialize
 * first. Returns the 1-row result vector (caller frees); *rc_out gets the status.
 */
static kl_vec *agg_run(const char *name, kl_vec **args, int n_args, uint32_t n, int mode,
                       int *rc_out, kl_error *err) {
    const kl_agg_def *d = func_find_agg(name);
    assert_non_null(d);
    kl_type types[8];
    for (int i = 0; i < n_args; i++) types[i] = args[i]->type;
    kl_fn_ctx ctx = {0};
    kl_type ret;
    size_t ssize;
    int rc = d->bind(&ctx, types, n_args, &ret, &ssize, err);
    if (rc) {
        *rc_out = rc;
        return NULL;
    }
    ctx.ret_type = ret;
    ctx.n_args = n_args;
    for (int i = 0; i < n_args; i++) ctx.arg_types[i] = types[i];
    kl_vec *cast[8];
    for (int i = 0; i < n_args; i++) {
        cast[i] = mk(types[i], n);
        assert_int_equal(func_cast(args[i], n, cast[i], false, NULL), 0);
    }
    void *a = kl_malloc(ssize), *b = kl_malloc(ssize);
    d->init(&ctx, a);
    d->init(&ctx, b);
    void **states = kl_malloc(sizeof(void *) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++) states[i] = (mode != MODE_SINGLE && i >= n / 2) ? b : a;
    rc = d->update(&ctx, states, 0, cast, n_args, n, err);
    if (rc == 0 && mode == MODE_SERIAL) {
        void *sts[2] = {a, b};
        for (int k = 0; k < 2; k++) {
            kl_buf buf = {0};
            assert_int_equal(d->serialize(&ctx, sts[k], &buf), 0);
            void *c = kl_malloc(ssize);
            size_t used = 0;
            assert_int_equal(d->deserialize(&ctx, c, buf.data, buf.len, &used, NULL), 0);
            assert_int_equal(used, buf.len);
            kl_buf_free(&buf);
            if (d->destroy) d->destroy(&ctx, sts[k]);
            kl_free(sts[k]);
            sts[k] = c;
        }
        a = sts[0];
        b = sts[1];
    }
    if (rc == 0 && mode != MODE_SINGLE) rc = d->combine(&ctx, a, b, err);
    kl_vec *out = mk(ret, 1);
    if (rc == 0) rc = d->finalize(&ctx, a, out, 0, err);
    if (d->destroy) {
        d->destroy(&ctx, a);
        d->destroy(&ctx, b);
    }
    kl_free(a);
    kl_free(b);
    kl_free(states);
    for (int i = 0; i < n_args; i++) fr(cast[i]);
    *rc_out = rc;
    return out;
}

/* Allowed relative difference between the split/serialized runs and the single pass. */
static double g_mode_tol = 1e-10;

/* Result as double (asserting not NULL) in every mode, checking the modes agree. */
static double agg_f64(const char *name, kl_vec **args, int n_args, uint32_t n) {
    double res[3];
    for (int m = 0; m < 3; m++) {
        int rc;
        kl_vec *o = agg_run(name, args, n_args, n, m, &rc, NULL);
        assert_int_equal(rc, 0);
        assert_false(vec_is_null(o, 0));
        res[m] = o->type == KILN_TYPE_DOUBLE ? VEC_F64(o)[0] : (double)VEC_I64(o)[0];
        fr(o);
    }
    /* combine may round differently from the single pass */
    for (int m = 1; m < 3; m++)
        if (res[m] != res[0] && !(isnan(res[m]) && isnan(res[0]))) {
            if (fabs(res[m] - res[0]) > g_mode_tol * fmax(1.0, fabs(res[0])))
                fprintf(stderr, "%s: mode %d gives %.17g, single pass %.17g\n", name, m, res[m], res[0]);
            assert_true(fabs(res[m] - res[0]) <= g_mode_tol * fmax(1.0, fabs(res[0])));
        }
    return res[0];
}

static bool agg_is_null(const char *name, kl_vec **args, int n_args, uint32_t n) {
    int rc;
    kl_vec *o = agg_run(name, args, n_args, n, MODE_SINGLE, &rc, NULL);
    assert_int_equal(rc, 0);
    bool isnull = vec_is_null(o, 0);
    fr(o);
    return isnull;
}

#define CLOSE(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* ---- count ------------------------------------------------------------------------------- */

static void test_count(void **st) {
    (void)st;
    int64_t x[] = {1, NULLV, 3, NULLV, 5};
    kl_vec *v = i64s(x, 5);
    assert_true(agg_f64("count", &v, 1, 5) == 3);
    assert_true(agg_f64("count_star", &v, 0, 5) == 5);
    assert_true(agg_f64("count", &v, 1, 0) == 0); /* empty: 0, not NULL */
    fr(v);
}

static void test_count_distinct(void **st) {
    (void)st;
    int64_t x[] = {1, 2, 2, NULLV, 1, 3, 3, 3};
    kl_vec *v = i64s(x, 8);
    assert_true(agg_f64("count_distinct", &v, 1, 8) == 3);
    fr(v);
    const char *s[] = {"a", "b", "a", NULL, "", "", "b", "c"};
    v = strs(s, 8);
    assert_true(agg_f64("count_distinct", &v, 1, 8) == 4);
    fr(v);
    double d[] = {0.0, -0.0, NAN, NAN, 1.0};
    v = f64s(d, 5);
    assert_true(agg_f64("count_distinct", &v, 1, 5) == 3);
    fr(v);
}

static void test_count_distinct_many(void **st) {
    (void)st;
    uint32_t n = 5000;
    int64_t *x = malloc(n * sizeof *x);
    for (uint32_t i = 0; i < n; i++) x[i] = (int64_t)(i % 1234) * 7919;
    kl_vec *v = i64s(x, n);
    assert_true(agg_f64("count_distinct", &v, 1, n) == 1234);
    fr(v);
    free(x);
}

/* ---- sum / avg ---------------------------------------------------------------------------- */

static void test_sum_avg_int(void **st) {
    (void)st;
    int64_t x[] = {1, 2, NULLV, 4, -10};
    kl_vec *v = i64s(x, 5);
    assert_true(agg_f64("sum", &v, 1, 5) == -3);
    CLOSE(agg_f64("avg", &v, 1, 5), -0.75, 1e-15);
    assert_true(agg_is_null("sum", &v, 1, 0));
    assert_true(agg_is_null("avg", &v, 1, 0));
    fr(v);
}

static void test_sum_overflow(void **st) {
    (void)st;
    int64_t x[] = {INT64_MAX, 1};
    kl_vec *v = i64s(x, 2);
    int rc;
    kl_error err = {0};
    kl_vec *o = agg_run("sum", &v, 1, 2, MODE_SPLIT, &rc, &err);
    assert_int_equal(rc, KILN_ERR_OVERFLOW);
    assert_string_equal(err.message, "Overflow in SUM of BIGINT");
    fr(o);
    fr(v);
    /* an intermediate overflow that comes back into range is fine */
    int64_t y[] = {INT64_MAX, INT64_MAX, -INT64_MAX, -INT64_MAX, 5};
    v = i64s(y, 5);
    assert_true(agg_f64("sum", &v, 1, 5) == 5);
    CLOSE(agg_f64("avg", &v, 1, 5), 1.0, 1e-12);
    fr(v);
}

static void test_sum_double(void **st) {
    (void)st;
    double x[] = {0.5, 1.25, NULLD, -0.25};
    kl_vec *v = f64s(x, 4);
    CLOSE(agg_f64("sum", &v, 1, 4), 1.5, 1e-15);
    CLOSE(agg_f64("mean", &v, 1, 4), 0.5, 1e-15);
    fr(v);
}

/* ---- min / max / first ------------------------------------------------------------------- */

static void test_min_max_int_double(void **st) {
    (void)st;
    int64_t x[] = {5, NULLV, -3, 9, 2};
    kl_vec *v = i64s(x, 5);
    assert_true(agg_f64("min", &v, 1, 5) == -3);
    assert_true(agg_f64("max", &v, 1, 5) == 9);
    assert_true(agg_is_null("max", &v, 1, 0));
    fr(v);
    double d[] = {1.0, NAN, -INFINITY, 3.0};
    v = f64s(d, 4);
    assert_true(agg_f64("min", &v, 1, 4) == -INFINITY);
    int rc;
    kl_vec *o = agg_run("max", &v, 1, 4, MODE_SERIAL, &rc, NULL);
    assert_true(isnan(VEC_F64(o)[0])); /* NaN is the greatest */
    fr(o);
    fr(v);
}

static void test_min_max_strings(void **st) {
    (void)st;
    const char *s[] = {"pear", NULL, "apple", "zebra-long-string-beyond-sixteen", "fig"};
    kl_vec *v = strs(s, 5);
    for (int m = 0; m < 3; m++) {
        int rc;
        kl_vec *o = agg_run("min", &v, 1, 5, m, &rc, NULL);
        assert_int_equal(rc, 0);
        assert_int_equal(VEC_STR(o)[0].len, 5);
        assert_memory_equal(VEC_STR(o)[0].ptr, "apple", 5);
        fr(o);
        o = agg_run("max", &v, 1, 5, m, &rc, NULL);
        assert_int_equal(rc, 0);
        assert_int_equal(VEC_STR(o)[0].len, strlen(s[3]));
        assert_memory_equal(VEC_STR(o)[0].ptr, s[3], strlen(s[3]));
        fr(o);
    }
    fr(v);
}

static void test_min_max_date(void **st) {
    (void)st;
    kl_vec *v = mk(KILN_TYPE_DATE, 3);
    VEC_I32(v)[0] = 100;
    VEC_I32(v)[1] = -5;
    VEC_I32(v)[2] = 50;
    int rc;
    kl_vec *o = agg_run("min", &v, 1, 3, MODE_SERIAL, &rc, NULL);
    assert_int_equal(o->type, KILN_TYPE_DATE);
    assert_int_equal(VEC_I32(o)[0], -5);
    fr(o);
    o = agg_run("max", &v, 1, 3, MODE_SPLIT, &rc, NULL);
    assert_int_equal(VEC_I32(o)[0], 100);
    fr(o);
    fr(v);
}

static void test_first_any_value(void **st) {
    (void)st;
    int64_t x[] = {NULLV, 7, 8};
    kl_vec *v = i64s(x, 3);
    assert_true(agg_is_null("first", &v, 1, 3));
    assert_true(agg_f64("any_value", &v, 1, 3) == 7);
    fr(v);
}

static void test_bool_and_or(void **st) {
    (void)st;
    kl_vec *v = mk(KILN_TYPE_BOOLEAN, 3);
    VEC_U8(v)[0] = 1;
    VEC_U8(v)[1] = 0;
    vec_set_null(v, 2);
    for (int m = 0; m < 3; m++) {
        int rc;
        kl_vec *o = agg_run("bool_and", &v, 1, 3, m, &rc, NULL);
        assert_int_equal(VEC_U8(o)[0], 0);
        fr(o);
        o = agg_run("bool_or", &v, 1, 3, m, &rc, NULL);
        assert_int_equal(VEC_U8(o)[0], 1);
        fr(o);
    }
    assert_true(agg_is_null("bool_or", &v, 1, 0));
    fr(v);
}

static void test_string_agg(void **st) {
    (void)st;
    const char *s[] = {"a", NULL, "b", "c"};
    const char *sep[] = {"-", "-", "-", "-"};
    kl_vec *v = strs(s, 4), *sv = strs(sep, 4);
    kl_vec *args[] = {v, sv};
    for (int m = 0; m < 3; m++) {
        int rc;
        kl_vec *o = agg_run("string_agg", args, 2, 4, m, &rc, NULL);
        assert_int_equal(rc, 0);
        assert_int_equal(VEC_STR(o)[0].len, 5);
        assert_memory_equal(VEC_STR(o)[0].ptr, "a-b-c", 5);
        fr(o);
    }
    fr(v);
    fr(sv);
}

/* ---- statistics ------------------------------------------------------------------------- */

static void two_pass(const double *x, int n, double *mean, double *m2) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    *mean = s / n;
    double q = 0;
    for (int i = 0; i < n; i++) q += (x[i] - *mean) * (x[i] - *mean);
    *m2 = q;
}

static void test_variance_stddev(void **st) {
    (void)st;
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    kl_vec *v = f64s(x, 8);
    double mean, m2;
    two_pass(x, 8, &mean, &m2);
    CLOSE(agg_f64("var_pop", &v, 1, 8), m2 / 8, 1e-14);
    CLOSE(agg_f64("var_samp", &v, 1, 8), m2 / 7, 1e-14);
    CLOSE(agg_f64("variance", &v, 1, 8), m2 / 7, 1e-14);
    CLOSE(agg_f64("stddev_pop", &v, 1, 8), 2.0, 1e-14);
    CLOSE(agg_f64("stddev", &v, 1, 8), sqrt(m2 / 7), 1e-14);
    assert_true(agg_is_null("var_samp", &v, 1, 1));
    assert_true(agg_f64("var_pop", &v, 1, 1) == 0);
    assert_true(agg_is_null("var_pop", &v, 1, 0));
    fr(v);
}

static void test_variance_large_offset(void **st) {
    (void)st;
    /* numerically hard: tiny variance around a huge mean */
    enum { N = 1000 };
    double x[N];
    for (int i = 0; i < N; i++) x[i] = 1e9 + (double)(i % 10) * 0.1;
    kl_vec *v = f64s(x, N);
    double mean, m2;
    two_pass(x, N, &mean, &m2);
    g_mode_tol = 1e-6; /* ill-conditioned on purpose: inputs carry 1e-7 rounding */
    double got = agg_f64("var_samp", &v, 1, N);
    g_mode_tol = 1e-10;
    CLOSE(got, m2 / (N - 1), 1e-6 * (m2 / (N - 1)));
    fr(v);
}

static void test_regression_example(void **st) {
    (void)st;
    double xs[] = {1, 2, 3, 4}, ys[] = {2, 4, 5, 6};
    kl_vec *x = f64s(xs, 4), *y = f64s(ys, 4);
    kl_vec *args[] = {y, x};
    CLOSE(agg_f64("regr_slope", args, 2, 4), 1.3, 1e-14);
    CLOSE(agg_f64("regr_intercept", args, 2, 4), 1.0, 1e-14);
    assert_true(agg_f64("regr_count", args, 2, 4) == 4);
    CLOSE(agg_f64("regr_avgx", args, 2, 4), 2.5, 1e-15);
    CLOSE(agg_f64("regr_avgy", args, 2, 4), 4.25, 1e-15);
    CLOSE(agg_f64("regr_sxx", args, 2, 4), 5.0, 1e-14);
    CLOSE(agg_f64("regr_sxy", args, 2, 4), 6.5, 1e-14);
    CLOSE(agg_f64("regr_syy", args, 2, 4), 8.75, 1e-14);
    double r = 6.5 / sqrt(5.0 * 8.75);
    CLOSE(agg_f64("corr", args, 2, 4), r, 1e-14);
    CLOSE(agg_f64("regr_r2", args, 2, 4), r * r, 1e-14);
    CLOSE(agg_f64("covar_pop", args, 2, 4), 6.5 / 4, 1e-14);
    CLOSE(agg_f64("covar_samp", args, 2, 4), 6.5 / 3, 1e-14);
    fr(x);
    fr(y);
}

static void test_regr_nulls_and_degenerate(void **st) {
    (void)st;
    double xs[] = {1, NULLD, 3, 5}, ys[] = {2, 100, NULLD, 2};
    kl_vec *x = f64s(xs, 4), *y = f64s(ys, 4);
    kl_vec *args[] = {y, x};
    assert_true(agg_f64("regr_count", args, 2, 4) == 2);  /* pairs with a NULL skipped */
    CLOSE(agg_f64("regr_avgx", args, 2, 4), 3.0, 1e-15);
    assert_true(isnan(agg_f64("corr", args, 2, 4)));       /* var(y) = 0: NaN as DuckDB */
    CLOSE(agg_f64("regr_r2", args, 2, 4), 1.0, 0);         /* var(y) = 0, var(x) > 0 */
    CLOSE(agg_f64("regr_slope", args, 2, 4), 0.0, 1e-15);
    assert_true(agg_f64("regr_count", args, 2, 0) == 0);
    assert_true(agg_is_null("covar_samp", args, 2, 1));
    assert_true(isnan(agg_f64("regr_slope", args, 2, 1))); /* one point: NaN as DuckDB */    /* var(x) = 0 */
    fr(x);
    fr(y);
}

static void test_corr_random_vs_reference(void **st) {
    (void)st;
    enum { N = 777 };
    double xs[N], ys[N];
    uint64_t seed = 42;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        xs[i] = (double)(seed >> 11) / 9007199254740992.0 * 100.0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        ys[i] = 3.0 * xs[i] + (double)(seed >> 11) / 9007199254740992.0 * 50.0;
    }
    double mx, my, sxx, syy, sxy = 0;
    two_pass(xs, N, &mx, &sxx);
    two_pass(ys, N, &my, &syy);
    for (int i = 0; i < N; i++) sxy += (xs[i] - mx) * (ys[i] - my);
    kl_vec *x = f64s(xs, N), *y = f64s(ys, N);
    kl_vec *args[] = {y, x};
    CLOSE(agg_f64("corr", args, 2, N), sxy / sqrt(sxx * syy), 1e-12);
    CLOSE(agg_f64("regr_slope", args, 2, N), sxy / sxx, 1e-12);
    CLOSE(agg_f64("covar_samp", args, 2, N), sxy / (N - 1), 1e-9);
    fr(x);
    fr(y);
}

/* ---- holistic ------------------------------------------------------------------------- */

static void test_median_odd_even(void **st) {
    (void)st;
    int64_t odd[] = {5, 1, NULLV, 3};
    kl_vec *v = i64s(odd, 4);
    assert_true(agg_f64("median", &v, 1, 4) == 3.0);
    fr(v);
    int64_t even[] = {4, 1, 3, 2};
    v = i64s(even, 4);
    CLOSE(agg_f64("median", &v, 1, 4), 2.5, 0);
    assert_true(agg_is_null("median", &v, 1, 0));
    fr(v);
}

static void test_quantiles(void **st) {
    (void)st;
    double x[] = {10, 40, 20, 30, 50};
    double q[] = {0.25, 0.25, 0.25, 0.25, 0.25};
    kl_vec *v = f64s(x, 5), *qv = f64s(q, 5);
    kl_vec *args[] = {v, qv};
    CLOSE(agg_f64("quantile_cont", args, 2, 5), 20.0, 1e-12);
    assert_true(agg_f64("quantile_disc", args, 2, 5) == 20.0);
    for (int i = 0; i < 5; i++) VEC_F64(qv)[i] = 0.6;
    CLOSE(agg_f64("quantile_cont", args, 2, 4), 28.0, 1e-12); /* 10,20,30,40: RN 1.8 */
    assert_true(agg_f64("quantile_disc", args, 2, 4) == 30.0);
    for (int i = 0; i < 5; i++) VEC_F64(qv)[i] = 1.0;
    assert_true(agg_f64("quantile_cont", args, 2, 5) == 50.0);
    assert_true(agg_f64("quantile_disc", args, 2, 5) == 50.0);
    for (int i = 0; i < 5; i++) VEC_F64(qv)[i] = 0.0;
    assert_true(agg_f64("quantile_disc", args, 2, 5) == 10.0);
    for (int i = 0; i < 5; i++) VEC_F64(qv)[i] = 1.5;
    int rc;
    kl_error err = {0};
    kl_vec *o = agg_run("quantile_cont", args, 2, 5, MODE_SINGLE, &rc, &err);
    assert_int_equal(rc, KILN_ERR_INVALID);
    fr(o);
    fr(v);
    fr(qv);
}

static void test_median_large_vs_sort(void **st) {
    (void)st;
    enum { N = 4001 };
    double *x = malloc(N * sizeof *x), *sorted = malloc(N * sizeof *x);
    uint64_t seed = 7;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (double)(seed >> 40);
        if (i % 5 == 0) x[i] = 12345; /* duplicates */
        sorted[i] = x[i];
    }
    for (int i = 1; i < N; i++) /* insertion sort is fine for a test */
        for (int j = i; j > 0 && sorted[j] < sorted[j - 1]; j--) {
            double t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    kl_vec *v = f64s(x, N);
    assert_true(agg_f64("median", &v, 1, N) == sorted[N / 2]);
    CLOSE(agg_f64("median", &v, 1, N - 1), 0, 1e300); /* just runs */
    fr(v);
    free(x);
    free(sorted);
}

static void test_median_timestamp_and_mode(void **st) {
    (void)st;
    kl_vec *v = mk(KILN_TYPE_DATE, 2);
    VEC_I32(v)[0] = 0;
    VEC_I32(v)[1] = 1;
    int rc;
    kl_vec *o = agg_run("median", &v, 1, 2, MODE_SERIAL, &rc, NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(o->type, KILN_TYPE_TIMESTAMP);
    assert_true(VEC_I64(o)[0] == INT64_C(43200000000));
    fr(o);
    fr(v);
    int64_t x[] = {3, 1, 3, 2, 1, 3, NULLV};
    v = i64s(x, 7);
    assert_true(agg_f64("mode", &v, 1, 7) == 3);
    fr(v);
}

/* ---- catalogue and robustness ------------------------------------------------------------- */

static void test_bind_errors_and_lookup(void **st) {
    (void)st;
    const char *s[] = {"a"};
    kl_vec *v = strs(s, 1);
    int rc;
    kl_error err = {0};
    kl_vec *o = agg_run("sum", &v, 1, 1, MODE_SINGLE, &rc, &err);
    assert_null(o);
    assert_int_equal(rc, KILN_ERR_BINDER);
    kiln_error_clear(&err);
    o = agg_run("stddev", &v, 1, 1, MODE_SINGLE, &rc, &err);
    assert_int_equal(rc, KILN_ERR_BINDER);
    fr(v);
    assert_null(func_find_agg("nope"));
    const char *names[] = {"count_star", "count", "count_distinct", "sum", "avg", "min", "max",
                           "stddev_samp", "var_pop", "corr", "regr_r2", "median",
                           "quantile_cont", "quantile_disc", "first", "any_value",
                           "bool_and", "bool_or", "string_agg", "mode"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const kl_agg_def *d = func_find_agg(names[i]);
        assert_non_null(d);
        assert_non_null(d->serialize);
        assert_non_null(d->deserialize);
        assert_non_null(d->combine);
    }
}

static void test_deserialize_truncated(void **st) {
    (void)st;
    const char *names[] = {"count", "sum", "min", "count_distinct", "median", "stddev",
                           "corr", "string_agg"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const kl_agg_def *d = func_find_agg(names[k]);
        kl_fn_ctx ctx = {0};
        char state[256];
        char junk[3] = {1, 0, 0};
        size_t used;
        kl_error err = {0};
        /* too short for any of them: must fail cleanly, not read past the end */
        int rc = d->deserialize(&ctx, state, junk, 0, &used, &err);
        assert_int_not_equal(rc, 0);
        if (d->destroy) {
            memset(state, 0, sizeof state);
        }
    }
}

static void test_deserialize_cut_short(void **st) {
    (void)st;
    /* a valid serialized state cut at every length must fail cleanly and leak nothing */
    const char *strs_in[] = {"alpha", "beta", "gamma", "alpha"};
    kl_vec *v = strs(strs_in, 4);
    const char *names[] = {"count_distinct", "string_agg", "min", "median"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const kl_agg_def *d = func_find_agg(names[k]);
        kl_fn_ctx ctx = {0};
        kl_type t = KILN_TYPE_VARCHAR, ret;
        size_t ssize;
        kl_vec *in = v;
        int64_t nums[] = {3, 1, 2, 5};
        kl_vec *iv = i64s(nums, 4);
        if (d->bind(&ctx, &t, 1, &ret, &ssize, NULL) != 0) {
            t = KILN_TYPE_BIGINT;
            assert_int_equal(d->bind(&ctx, &t, 1, &ret, &ssize, NULL), 0);
            in = iv;
        }
        void *a = kl_malloc(ssize), *b = kl_malloc(ssize);
        d->init(&ctx, a);
        void *ptrs[4] = {a, a, a, a};
        assert_int_equal(d->update(&ctx, ptrs, 0, &in, 1, 4, NULL), 0);
        kl_buf buf = {0};
        assert_int_equal(d->serialize(&ctx, a, &buf), 0);
        for (size_t cut = 0; cut < buf.len; cut++) {
            size_t used;
            assert_int_not_equal(d->deserialize(&ctx, b, buf.data, cut, &used, NULL), 0);
        }
        kl_buf_free(&buf);
        if (d->destroy) d->destroy(&ctx, a);
        kl_free(a);
        kl_free(b);
        fr(iv);
    }
    fr(v);
}

static void test_grouped_update(void **st) {
    (void)st;
    /* rows alternate between two groups, as the hash aggregate drives update() */
    int64_t x[] = {1, 10, 2, 20, NULLV, 30};
    kl_vec *v = i64s(x, 6);
    const char *names[] = {"sum", "max", "count", "median"};
    double want[][2] = {{3, 60}, {2, 30}, {2, 3}, {1.5, 20}};
    for (size_t k = 0; k < 4; k++) {
        const kl_agg_def *d = func_find_agg(names[k]);
        kl_fn_ctx ctx = {0};
        kl_type t = KILN_TYPE_BIGINT, ret;
        size_t ssize;
        assert_int_equal(d->bind(&ctx, &t, 1, &ret, &ssize, NULL), 0);
        void *g[2] = {kl_malloc(ssize), kl_malloc(ssize)};
        d->init(&ctx, g[0]);
        d->init(&ctx, g[1]);
        void *ptrs[6];
        for (int i = 0; i < 6; i++) ptrs[i] = g[i % 2];
        assert_int_equal(d->update(&ctx, ptrs, 0, &v, 1, 6, NULL), 0);
        kl_vec *o = mk(ret, 2);
        for (int j = 0; j < 2; j++) {
            assert_int_equal(d->finalize(&ctx, g[j], o, (uint32_t)j, NULL), 0);
            double got = ret == KILN_TYPE_DOUBLE ? VEC_F64(o)[j] : (double)VEC_I64(o)[j];
            assert_true(got == want[k][j]);
            if (d->destroy) d->destroy(&ctx, g[j]);
            kl_free(g[j]);
        }
        fr(o);
    }
    fr(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_count_distinct),
        cmocka_unit_test(test_count_distinct_many),
        cmocka_unit_test(test_sum_avg_int),
        cmocka_unit_test(test_sum_overflow),
        cmocka_unit_test(test_sum_double),
        cmocka_unit_test(test_min_max_int_double),
        cmocka_unit_test(test_min_max_strings),
        cmocka_unit_test(test_min_max_date),
        cmocka_unit_test(test_first_any_value),
        cmocka_unit_test(test_bool_and_or),
        cmocka_unit_test(test_string_agg),
        cmocka_unit_test(test_variance_stddev),
        cmocka_unit_test(test_variance_large_offset),
        cmocka_unit_test(test_regression_example),
        cmocka_unit_test(test_regr_nulls_and_degenerate),
        cmocka_unit_test(test_corr_random_vs_reference),
        cmocka_unit_test(test_median_odd_even),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_median_large_vs_sort),
        cmocka_unit_test(test_median_timestamp_and_mode),
        cmocka_unit_test(test_bind_errors_and_lookup),
        cmocka_unit_test(test_deserialize_truncated),
        cmocka_unit_test(test_deserialize_cut_short),
        cmocka_unit_test(test_grouped_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
