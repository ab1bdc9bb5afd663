/*
 * test_ml_logreg.c — unit tests of src/ml/logreg.c: coefficients, standard errors,
 * log-likelihood and probabilities against scikit-learn (tests/ml/oracle_logreg.py, run from
 * the repository root into a temporary directory) without penalty and with C = 1 and 0.1,
 * with and without an intercept; bit-identical results for 1, 3 and 4 threads; separable
 * and quasi-separable data; rank-deficient x (singular information matrix, sound penalised
 * result); the fits that cannot be done (one class, too few rows, y not 0/1, NaN); invalid
 * options; max_iter, tol and the stall at the rounding limit; probabilities; out-of-memory
 * at every allocation without leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "ml/ml.h"

#define MAX_D 16
#define MAX_SETS 16
#define MAX_REFS 64

typedef struct dataset {
    char name[32];
    size_t n;
    uint32_t d;
    double *x, *y;
} dataset;

typedef struct ref_fit {
    char name[32];
    size_t n;
    uint32_t d;
    bool intercept;
    double c, ll;
    double coef[MAX_D + 1], se[MAX_D + 1], p[3];
} ref_fit;

static char g_dir[64];
static dataset g_sets[MAX_SETS];
static int g_nsets;
static ref_fit g_refs[MAX_REFS];
static int g_nrefs;

/* ---- oracle files ------------------------------------------------------------------- */

static bool load_csv(dataset *ds) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s.csv", g_dir, ds->name);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t cap = 1024;
    ds->x = malloc(cap * ds->d * sizeof(double));
    ds->y = malloc(cap * sizeof(double));
    ds->n = 0;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        if (ds->n == cap) {
            cap *= 2;
            ds->x = realloc(ds->x, cap * ds->d * sizeof(double));
            ds->y = realloc(ds->y, cap * sizeof(double));
        }
        char *p = line, *end;
        ds->y[ds->n] = strtod(p, &end);
        for (uint32_t j = 0; j < ds->d; j++) {
            p = end + 1; /* the comma */
            ds->x[ds->n * ds->d + j] = strtod(p, &end);
        }
        ds->n++;
    }
    fclose(f);
    return true;
}

static const dataset *get_set(const char *name) {
    for (int i = 0; i < g_nsets; i++)
        if (strcmp(g_sets[i].name, name) == 0) return &g_sets[i];
    return NULL;
}

static int setup(void **state) {
    (void)state;
    strcpy(g_dir, "/tmp/kiln_logreg_XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ml/oracle_logreg.py %s", g_dir);
    if (system(cmd) != 0) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/refs.txt", g_dir);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ni;
    ref_fit r;
    while (g_nrefs < MAX_REFS &&
           fscanf(f, "%31s %zu %u %d %lf %lf", r.name, &r.n, &r.d, &ni, &r.c, &r.ll) == 6) {
        if (r.d > MAX_D) break;
        r.intercept = ni != 0;
        for (uint32_t j = 0; j <= r.d; j++)
            if (fscanf(f, "%lf", &r.coef[j]) != 1) return -1;
        for (uint32_t j = 0; j <= r.d; j++)
            if (fscanf(f, "%lf", &r.se[j]) != 1) return -1;
        for (int j = 0; j < 3; j++)
            if (fscanf(f, "%lf", &r.p[j]) != 1) return -1;
        g_refs[g_nrefs++] = r;
        if (!get_set(r.name) && g_nsets < MAX_SETS) {
            dataset *ds = &g_sets[g_nsets++];
            snprintf(ds->name, sizeof ds->name, "%s", r.name);
            ds->d = r.d;
            if (!load_csv(ds)) return -1;
        }
    }
    fclose(f);
    /* the rank-deficient set without an unpenalised reference is loaded the same way */
    return g_nrefs >= 30 && get_set("collinear_dup") && get_set("constant_col") ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; i < g_nsets; i++) {
        free(g_sets[i].x);
        free(g_sets[i].y);
    }
    DIR *dir = opendir(g_dir);
    if (dir) {
        struct dirent *e;
        char path[384];
        while ((e = readdir(dir))) {
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
            unlink(path);
        }
        closedir(dir);
    }
    rmdir(g_dir);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static ml_logreg_opts opts(double c, bool intercept, int threads) {
    return (ml_logreg_opts){.c = c, .max_iter = 100, .tol = 1e-10, .intercept = intercept,
                            .threads = threads};
}

static void fit_ok(const double *x, const double *y, size_t n, uint32_t d,
                   const ml_logreg_opts *o, ml_logreg_fit *fit) {
    kl_error e;
    kiln_error_clear(&e);
    assert_int_equal(ml_logreg(x, y, n, d, o, fit, &e), 0);
    assert_false(kl_err_is_set(&e));
}

/* Deterministic pseudo-random numbers for the data made here. */
static uint64_t g_rng = 42;
static double urand(void) {
    g_rng = g_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(g_rng >> 11) * 0x1.0p-53;
}
static double nrand(void) {
    double u = urand(), v = urand();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static bool all_finite(const double *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return false;
    return true;
}

/* ---- against scikit-learn ----------------------------------------------------------------- */

static void test_oracle_fits(void **state) {
    (void)state;
    size_t before = kl_mem_in_use();
    for (int k = 0; k < g_nrefs; k++) {
        const ref_fit *r = &g_refs[k];
        const dataset *ds = get_set(r->name);
        assert_non_null(ds);
        assert_int_equal(ds->n, r->n);
        ml_logreg_opts o = opts(r->c, r->intercept, 2);
        ml_logreg_fit fit;
        fit_ok(ds->x, ds->y, ds->n, ds->d, &o, &fit);
        if (!fit.fitted || !fit.converged || fit.reason[0])
            print_error("%s intercept=%d c=%g: %s\n", r->name, r->intercept, r->c, fit.reason);
        assert_true(fit.fitted);
        assert_true(fit.converged);
        assert_string_equal(fit.reason, "");
        assert_int_equal(fit.d, ds->d);
        assert_true(fit.iterations >= 1 && fit.iterations <= 15);
        for (uint32_t j = 0; j <= ds->d; j++) {
            double want = r->coef[j], got = fit.coef[j], scale = fmax(1.0, fabs(want));
            if (fabs(got - want) > 1e-8 * scale)
                print_error("%s intercept=%d c=%g coef[%u]: %.17g vs %.17g\n", r->name,
                            r->intercept, r->c, j, got, want);
            assert_true(fabs(got - want) <= 1e-5 * scale); /* the bar */
            assert_true(fabs(got - want) <= 1e-8 * scale); /* what tol = 1e-10 gives */
        }
        if (!r->intercept) assert_true(fit.coef[0] == 0.0);
        if (r->c > 0) {
            assert_null(fit.std_err);
        } else {
            assert_non_null(fit.std_err);
            for (uint32_t j = 0; j <= ds->d; j++) {
                if (!r->intercept && j == 0) {
                    assert_true(fit.std_err[0] == 0.0);
                    continue;
                }
                assert_true(fabs(fit.std_err[j] - r->se[j]) <= 1e-6 * r->se[j]);
            }
        }
        assert_true(fabs(fit.log_likelihood - r->ll) <= 1e-9 * fabs(r->ll));
        for (int i = 0; i < 3; i++)
            assert_true(fabs(ml_logreg_proba(&fit, ds->x + (size_t)i * ds->d) - r->p[i]) <= 1e-8);
        ml_logreg_fit_free(&fit);
        assert_null(fit.coef);
    }
    assert_int_equal(kl_mem_in_use(), before);
}

/* ---- bit-identical for any thread count ------------------------------------------------ */

static void test_threads_identical(void **state) {
    (void)state;
    const dataset *ds = get_set("blocks"); /* 20000 rows: 5 blocks */
    assert_non_null(ds);
    const double cs[2] = {0.0, 1.0};
    const int threads[3] = {3, 4, 8};
    for (int c = 0; c < 2; c++) {
        ml_logreg_opts o1 = opts(cs[c], true, 1);
        ml_logreg_fit f1;
        fit_ok(ds->x, ds->y, ds->n, ds->d, &o1, &f1);
        assert_true(f1.fitted && f1.converged);
        for (int t = 0; t < 3; t++) {
            ml_logreg_opts on = opts(cs[c], true, threads[t]);
            ml_logreg_fit fn;
            fit_ok(ds->x, ds->y, ds->n, ds->d, &on, &fn);
            assert_int_equal(fn.iterations, f1.iterations);
            assert_memory_equal(fn.coef, f1.coef, (ds->d + 1) * sizeof(double));
            assert_memory_equal(&fn.log_likelihood, &f1.log_likelihood, sizeof(double));
            if (cs[c] <= 0)
                assert_memory_equal(fn.std_err, f1.std_err, (ds->d + 1) * sizeof(double));
            ml_logreg_fit_free(&fn);
        }
        ml_logreg_fit_free(&f1);
    }
}

/* ---- rank-deficient x -------------------------------------------------------------------- */

static void expect_singular(const double *x, const double *y, size_t n, uint32_t d,
                            bool intercept, const char *want) {
    ml_logreg_opts o = opts(0.0, intercept, 2);
    ml_logreg_fit fit;
    fit_ok(x, y, n, d, &o, &fit);
    assert_false(fit.fitted);
    assert_null(fit.coef);
    assert_null(fit.std_err);
    assert_string_equal(fit.reason, want);
    ml_logreg_fit_free(&fit);
}

static void test_rank_deficient(void **state) {
    (void)state;
    const dataset *dup = get_set("collinear_dup"), *cst = get_set("constant_col");
    expect_singular(dup->x, dup->y, dup->n, dup->d, true,
                    "the information matrix is singular: features 2 and 3 are collinear");
    expect_singular(dup->x, dup->y, dup->n, dup->d, false,
                    "the information matrix is singular: features 2 and 3 are collinear");
    expect_singular(cst->x, cst->y, cst->n, cst->d, true,
                    "the information matrix is singular: feature 2 is constant");
    /* made here: an all-zero feature, a combination of two features and of the intercept */
    enum { N = 300, D = 4 };
    double *x = malloc(N * D * sizeof(double)), y[N];
    for (int i = 0; i < N; i++) {
        double a = nrand(), b = nrand(), c = nrand();
        y[i] = urand() < 1.0 / (1.0 + exp(-(0.5 * a - 0.5 * b + 0.3 * c))) ? 1.0 : 0.0;
        double row[D] = {a, 0.0, b, c};
        memcpy(x + i * D, row, sizeof row);
    }
    expect_singular(x, y, N, D, true, "the information matrix is singular: feature 2 is all zeros");
    /* feature 2 = feature 1 + 2 * feature 3: column 3 is the first that depends on earlier
       ones; feature 4 = feature 1 - feature 3 / 2 is not reached */
    for (int i = 0; i < N; i++) {
        x[i * D + 1] = x[i * D] + 2.0 * x[i * D + 2];
        x[i * D + 3] = x[i * D] - 0.5 * x[i * D + 2];
    }
    expect_singular(x, y, N, D, false,
                    "the information matrix is singular: feature 3 is a linear combination "
                    "of features 1, 2");
    for (int i = 0; i < N; i++) {
        x[i * D + 1] = x[i * D] + 2.0 * x[i * D + 2] + 1.5;
        x[i * D + 3] = nrand();
    }
    expect_singular(x, y, N, D, true,
                    "the information matrix is singular: feature 3 is a linear combination "
                    "of features 1, 2 and the intercept");
    /* penalised: a sound (finite, converged) fit; the oracle checks the values */
    ml_logreg_opts o = opts(1.0, true, 2);
    ml_logreg_fit fit;
    fit_ok(x, y, N, D, &o, &fit);
    assert_true(fit.fitted && fit.converged);
    assert_true(all_finite(fit.coef, D + 1));
    ml_logreg_fit_free(&fit);
    free(x);
}

/* ---- separation --------------------------------------------------------------------------- */

static void test_separable(void **state) {
    (void)state;
    enum { N = 200, D = 2 };
    double x[N * D], y[N];
    for (int i = 0; i < N; i++) {
        double a = nrand(), b = nrand(), s = a + 0.5 * b;
        if (fabs(s) < 0.2) { /* a clear margin */
            a += s > 0 ? 0.3 : -0.3;
            s = a + 0.5 * b;
        }
        x[i * D] = a;
        x[i * D + 1] = b;
        y[i] = s > 0.0 ? 1.0 : 0.0;
    }
    for (int icpt = 0; icpt < 2; icpt++) {
        ml_logreg_opts o = opts(0.0, icpt, 2);
        ml_logreg_fit fit;
        fit_ok(x, y, N, D, &o, &fit);
        assert_true(fit.fitted);
        assert_false(fit.converged);
        assert_true(strncmp(fit.reason, "data are perfectly separable", 28) == 0);
        assert_true(all_finite(fit.coef, D + 1));
        assert_null(fit.std_err);
        assert_true(isfinite(fit.log_likelihood) && fit.log_likelihood < 0.0);
        for (int i = 0; i < N; i++) /* the coefficients separate the classes */
            assert_true((ml_logreg_proba(&fit, x + i * D) > 0.5) == (y[i] == 1.0));
        ml_logreg_fit_free(&fit);
        /* penalised: a proper minimum */
        o.c = 1.0;
        fit_ok(x, y, N, D, &o, &fit);
        assert_true(fit.fitted && fit.converged);
        assert_string_equal(fit.reason, "");
        assert_true(all_finite(fit.coef, D + 1));
        ml_logreg_fit_free(&fit);
    }
    /* quasi-separation: x1 > 0 -> 1, x1 < 0 -> 0, mixed labels at x1 = 0: no NaN */
    for (int i = 0; i < N; i++) {
        double a = i % 4 == 0 ? 0.0 : nrand();
        x[i * D] = a;
        x[i * D + 1] = nrand();
        y[i] = a > 0.0 ? 1.0 : a < 0.0 ? 0.0 : (i % 8 == 0 ? 1.0 : 0.0);
    }
    ml_logreg_opts o = opts(0.0, true, 2);
    ml_logreg_fit fit;
    fit_ok(x, y, N, D, &o, &fit);
    assert_true(fit.fitted);
    assert_true(all_finite(fit.coef, D + 1));
    assert_true(isfinite(fit.log_likelihood));
    if (fit.std_err) assert_true(all_finite(fit.std_err, D + 1));
    ml_logreg_fit_free(&fit);
}

/* ---- fits that cannot be done, invalid options --------------------------------------------- */

static void expect_not_fitted(const double *x, const double *y, size_t n, uint32_t d, double c,
                              bool intercept, const char *want) {
    ml_logreg_opts o = opts(c, intercept, 1);
    ml_logreg_fit fit;
    fit_ok(x, y, n, d, &o, &fit);
    assert_false(fit.fitted);
    assert_null(fit.coef);
    assert_string_equal(fit.reason, want);
    ml_logreg_fit_free(&fit);
}

static void test_not_fitted(void **state) {
    (void)state;
    double x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    double y0[4] = {0, 0, 0, 0}, y1[4] = {1, 1, 1, 1}, y[4] = {0, 1, 0, 1}, ybad[4] = {0, 1, 2, 1};
    expect_not_fitted(x, y0, 4, 3, 0.0, true, "one class only: every y is 0");
    expect_not_fitted(x, y1, 4, 3, 1.0, true, "one class only: every y is 1");
    expect_not_fitted(x, y, 3, 3, 0.0, true, "3 rows for 4 coefficients");
    expect_not_fitted(x, y, 2, 3, 0.0, false, "2 rows for 3 coefficients");
    expect_not_fitted(x, y, 0, 3, 0.0, true, "no rows");
    expect_not_fitted(x, ybad, 4, 3, 0.0, true, "y must be 0 or 1 (row 3 has 2)");
    expect_not_fitted(x, y, 4, 0, 0.0, false, "no coefficients to fit (no features, no intercept)");
    double xn[8] = {1, 2, 3, NAN, 5, 6, 7, 8};
    expect_not_fitted(xn, y, 4, 2, 0.0, true,
                      "x holds a value that is not finite (NaN or infinity)");
    xn[3] = INFINITY;
    expect_not_fitted(xn, y, 4, 2, 1.0, true,
                      "x holds a value that is not finite (NaN or infinity)");
    /* penalised: fewer rows than coefficients is fine */
    ml_logreg_opts o = opts(1.0, true, 1);
    ml_logreg_fit fit;
    fit_ok(x, y, 2, 3, &o, &fit);
    assert_true(fit.fitted && fit.converged);
    ml_logreg_fit_free(&fit);
    /* intercept only (d = 0): the log-odds of the mean */
    double yy[5] = {1, 0, 0, 1, 1};
    o = opts(0.0, true, 1);
    fit_ok(x, yy, 5, 0, &o, &fit);
    assert_true(fit.fitted && fit.converged);
    assert_true(fabs(fit.coef[0] - log(1.5)) < 1e-12);
    assert_true(fabs(fit.std_err[0] - sqrt(1.0 / (5 * 0.6 * 0.4))) < 1e-12);
    assert_true(fabs(ml_logreg_proba(&fit, NULL) - 0.6) < 1e-12);
    ml_logreg_fit_free(&fit);
}

static void expect_invalid(const ml_logreg_opts *o, const char *want) {
    double x[4] = {1, 2, 3, 4}, y[4] = {0, 1, 0, 1};
    ml_logreg_fit fit;
    kl_error e;
    kiln_error_clear(&e);
    size_t before = kl_mem_in_use();
    assert_int_equal(ml_logreg(x, y, 4, 1, o, &fit, &e), KILN_ERR_INVALID);
    assert_int_equal(e.code, KILN_ERR_INVALID);
    assert_string_equal(e.message, want);
    assert_false(fit.fitted);
    assert_null(fit.coef);
    assert_int_equal(kl_mem_in_use(), before);
    ml_logreg_fit_free(&fit);
}

static void test_invalid(void **state) {
    (void)state;
    ml_logreg_opts o = opts(0.0, true, 1);
    o.max_iter = 0;
    expect_invalid(&o, "logreg: max_iter must be >= 1");
    o = opts(0.0, true, 1);
    o.tol = 0.0;
    expect_invalid(&o, "logreg: tol must be a finite number > 0");
    o.tol = -1e-6;
    expect_invalid(&o, "logreg: tol must be a finite number > 0");
    o.tol = NAN;
    expect_invalid(&o, "logreg: tol must be a finite number > 0");
    o = opts(NAN, true, 1);
    expect_invalid(&o, "logreg: c must be finite");
    expect_invalid(NULL, "logreg: no options");
}

/* ---- iterations, probabilities ----------------------------------------------------------- */

static void test_max_iter_and_tol(void **state) {
    (void)state;
    const dataset *ds = get_set("correlated");
    ml_logreg_opts o = opts(0.0, true, 2);
    o.max_iter = 1;
    ml_logreg_fit fit;
    fit_ok(ds->x, ds->y, ds->n, ds->d, &o, &fit);
    assert_true(fit.fitted);
    assert_false(fit.converged);
    assert_int_equal(fit.iterations, 1);
    assert_true(strncmp(fit.reason, "did not converge in 1 iteration (", 33) == 0);
    assert_non_null(fit.std_err);
    assert_true(all_finite(fit.coef, ds->d + 1));
    ml_logreg_fit_free(&fit);
    /* a loose tol stops earlier, a tight one later; both converge */
    o = opts(0.0, true, 2);
    o.tol = 1e-2;
    fit_ok(ds->x, ds->y, ds->n, ds->d, &o, &fit);
    uint32_t loose = fit.iterations;
    assert_true(fit.converged);
    ml_logreg_fit_free(&fit);
    o.tol = 1e-14;
    fit_ok(ds->x, ds->y, ds->n, ds->d, &o, &fit);
    assert_true(fit.converged);
    assert_true(fit.iterations > loose);
    ml_logreg_fit_free(&fit);
    /* a tol below the rounding of the gradient: stops (not converged) at the solution well
       before max_iter */
    o.tol = 1e-300;
    fit_ok(ds->x, ds->y, ds->n, ds->d, &o, &fit);
    assert_true(fit.fitted);
    assert_false(fit.converged);
    assert_true(strncmp(fit.reason, "stalled at the rounding limit", 29) == 0);
    assert_true(fit.iterations < 30);
    const ref_fit *r = NULL;
    for (int k = 0; k < g_nrefs && !r; k++)
        if (strcmp(g_refs[k].name, "correlated") == 0 && g_refs[k].intercept && g_refs[k].c == 0)
            r = &g_refs[k];
    assert_non_null(r);
    for (uint32_t j = 0; j <= ds->d; j++)
        assert_true(fabs(fit.coef[j] - r->coef[j]) <= 1e-8 * fmax(1.0, fabs(r->coef[j])));
    assert_non_null(fit.std_err);
    ml_logreg_fit_free(&fit);
}

static void test_proba(void **state) {
    (void)state;
    double coef[3] = {0.5, 2.0, -1.0};
    ml_logreg_fit fit = {.fitted = true, .d = 2, .coef = coef};
    double r0[2] = {0.0, 0.5}, big[2] = {1e3, 0.0}, small[2] = {-1e3, 0.0};
    assert_true(ml_logreg_proba(&fit, r0) == 0.5);
    assert_true(ml_logreg_proba(&fit, big) == 1.0);
    assert_true(ml_logreg_proba(&fit, small) == 0.0);
    double r1[2] = {1.0, 1.0}; /* z = 1.5 */
    assert_true(fabs(ml_logreg_proba(&fit, r1) - 1.0 / (1.0 + exp(-1.5))) < 1e-15);
    ml_logreg_fit none = {0};
    assert_true(isnan(ml_logreg_proba(&none, r1)));
    ml_logreg_fit_free(&none);
}

/* ---- out of memory ------------------------------------------------------------------------ */

static void test_oom(void **state) {
    (void)state;
    const dataset *ds = get_set("shifted");
    const double cs[2] = {0.0, 0.1};
    for (int c = 0; c < 2; c++) {
        size_t start = kl_mem_in_use();
        bool done = false;
        for (long k = 1; k < 100 && !done; k++) {
            ml_logreg_opts o = opts(cs[c], true, 3);
            ml_logreg_fit fit;
            kl_error e;
            kiln_error_clear(&e);
            kl_mem_fail_after(k);
            int rc = ml_logreg(ds->x, ds->y, ds->n, ds->d, &o, &fit, &e);
            kl_mem_fail_after(0);
            if (rc == 0) {
                assert_true(fit.fitted && fit.converged);
                assert_true(k > 1);
                ml_logreg_fit_free(&fit);
                done = true;
            } else {
                assert_int_equal(rc, KILN_ERR_MEMORY);
                assert_int_equal(e.code, KILN_ERR_MEMORY);
                assert_true(strncmp(e.message, "logreg: ", 8) == 0);
                assert_false(fit.fitted);
                assert_null(fit.coef);
                assert_null(fit.std_err);
            }
            assert_int_equal(kl_mem_in_use(), start);
        }
        assert_true(done);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_fits),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_rank_deficient),
        cmocka_unit_test(test_separable),
        cmocka_unit_test(test_not_fitted),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_max_iter_and_tol),
        cmocka_unit_test(test_proba),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
