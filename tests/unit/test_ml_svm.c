/*
 * test_ml_svm.c — unit tests of src/ml/svm.c (ml_svm, ml_svm_predict, ml_svm_fit_free)
 * against scikit-learn 1.2: tests/ml/oracle_svm.py (run once with /usr/bin/python3 into a
 * mkdtemp directory, removed at the end) writes numpy-made train/test sets (2-, 3- and
 * 4-class blobs, moons, circles; classes seen first in non-sorted order) with LinearSVC /
 * SVC predictions and accuracies. Every case must agree with scikit-learn on >= 99.5% of the
 * test points and its accuracy must be within 0.5 percentage point; gamma 'scale' must equal
 * scikit-learn's value. Also: not-fitted data (no rows, no features, one class, NaN),
 * invalid options and labels, the max_iter warnings, determinism (twice, and from two
 * threads at once), prediction from copied arrays (a model restored from JSON), the rbf vote
 * rule against a straightforward re-implementation (also beyond 32 classes, the
 * allocation-free path), and out-of-memory at every kiln allocation with no leaks.
 * The Newton solver of big linear problems (forced through opts.solver on medium data):
 * bit-identical for 1, 2 and 5 threads, chosen by AUTO from n * (d + 1) >= 2^18 only, the
 * primal gradient vanishing at its solution (KKT), agreement with liblinear's solution to
 * 1e-3 of the largest weight, max_iter counting Newton iterations, the feature limit.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "ml/ml.h"

#define ORACLE "tests/ml/oracle_svm.py"
#define MAX_CASES 16
#define MAX_SETS 8

typedef struct dataset {
    char name[32];
    double *x;
    uint32_t *y;
    size_t n;
    uint32_t d, k;
} dataset;

typedef struct oracle_case {
    char name[32], set[32], kind[16];
    double c, gamma, gamma_used, accuracy;
    int n_iter;
    uint32_t *pred; /* scikit-learn's predictions on the set's test rows */
    size_t n_pred;
} oracle_case;

static char g_dir[64];
static dataset g_train[MAX_SETS], g_test[MAX_SETS];
static size_t g_n_sets;
static oracle_case g_cases[MAX_CASES];
static size_t g_n_cases;

/* ---- oracle files ----------------------------------------------------------------------- */

/* label,x1,...,xd per line */
static int read_set(const char *path, dataset *ds) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *line = NULL;
    size_t cap = 0, n = 0, cap_rows = 0;
    uint32_t d = 0, k = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        uint32_t fields = 1;
        for (char *p = line; *p; p++) fields += *p == ',';
        if (d == 0) d = fields - 1;
        if (fields - 1 != d) break;
        if (n == cap_rows) {
            cap_rows = cap_rows ? cap_rows * 2 : 1024;
            ds->x = realloc(ds->x, cap_rows * d * sizeof(double));
            ds->y = realloc(ds->y, cap_rows * sizeof(uint32_t));
        }
        char *p = line, *end;
        ds->y[n] = (uint32_t)strtod(p, &end);
        if (ds->y[n] + 1 > k) k = ds->y[n] + 1;
        for (uint32_t j = 0; j < d; j++) ds->x[n * d + j] = strtod(end + 1, &end);
        n++;
    }
    free(line);
    fclose(f);
    ds->n = n;
    ds->d = d;
    ds->k = k;
    return n > 0 ? 0 : -1;
}

static int read_pred(const char *path, oracle_case *oc) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t cap = 0;
    unsigned v;
    while (fscanf(f, "%u", &v) == 1) {
        if (oc->n_pred == cap) {
            cap = cap ? cap * 2 : 1024;
            oc->pred = realloc(oc->pred, cap * sizeof(uint32_t));
        }
        oc->pred[oc->n_pred++] = v;
    }
    fclose(f);
    return oc->n_pred > 0 ? 0 : -1;
}

static void remove_dir(const char *dir) {
    DIR *dh = opendir(dir);
    if (!dh) return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(dh)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(dh);
    rmdir(dir);
}

static int group_setup(void **state) {
    (void)state;
    strcpy(g_dir, "/tmp/kiln_svm_XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    char cmd[256], path[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 " ORACLE " %s", g_dir);
    if (system(cmd) != 0) return -1;
    snprintf(path, sizeof path, "%s/manifest.txt", g_dir);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    oracle_case oc;
    while (g_n_cases < MAX_CASES &&
           fscanf(f, "%31s %31s %15s %lf %lf %lf %lf %d", oc.name, oc.set, oc.kind, &oc.c,
                  &oc.gamma, &oc.gamma_used, &oc.accuracy, &oc.n_iter) == 8) {
        oc.pred = NULL;
        oc.n_pred = 0;
        snprintf(path, sizeof path, "%s/%s_pred.csv", g_dir, oc.name);
        if (read_pred(path, &oc) != 0) return -1;
        g_cases[g_n_cases++] = oc;
        bool have = false;
        for (size_t s = 0; s < g_n_sets; s++) have |= !strcmp(g_train[s].name, oc.set);
        if (!have && g_n_sets < MAX_SETS) {
            dataset *tr = &g_train[g_n_sets], *te = &g_test[g_n_sets];
            snprintf(tr->name, sizeof tr->name, "%s", oc.set);
            snprintf(te->name, sizeof te->name, "%s", oc.set);
            snprintf(path, sizeof path, "%s/%s_train.csv", g_dir, oc.set);
            if (read_set(path, tr) != 0) return -1;
            snprintf(path, sizeof path, "%s/%s_test.csv", g_dir, oc.set);
            if (read_set(path, te) != 0) return -1;
            g_n_sets++;
        }
    }
    fclose(f);
    return g_n_cases >= 10 ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    for (size_t s = 0; s < g_n_sets; s++) {
        free(g_train[s].x);
        free(g_train[s].y);
        free(g_test[s].x);
        free(g_test[s].y);
    }
    for (size_t c = 0; c < g_n_cases; c++) free(g_cases[c].pred);
    if (g_dir[0]) remove_dir(g_dir);
    return 0;
}

static size_t set_index(const char *name) {
    for (size_t s = 0; s < g_n_sets; s++)
        if (!strcmp(g_train[s].name, name)) return s;
    fail_msg("no data set %s", name);
    return 0;
}

static const oracle_case *find_case(const char *name) {
    for (size_t c = 0; c < g_n_cases; c++)
        if (!strcmp(g_cases[c].name, name)) return &g_cases[c];
    fail_msg("no oracle case %s", name);
    return NULL;
}

static ml_svm_opts case_opts(const oracle_case *oc) {
    return (ml_svm_opts){.rbf = !strcmp(oc->kind, "rbf"), .c = oc->c, .gamma = oc->gamma};
}

/* ---- agreement with scikit-learn -------------------------------------------------------- */

static void check_case(const oracle_case *oc) {
    size_t s = set_index(oc->set);
    const dataset *tr = &g_train[s], *te = &g_test[s];
    assert_int_equal(oc->n_pred, te->n);
    ml_svm_opts o = case_opts(oc);
    ml_svm_fit fit;
    kl_error e;
    kiln_error_clear(&e);
    size_t mem0 = kl_mem_in_use();
    assert_int_equal(ml_svm(tr->x, tr->y, tr->n, tr->d, tr->k, &o, &fit, &e), 0);
    assert_true(fit.fitted);
    assert_int_equal(fit.n_classes, tr->k);
    assert_int_equal(fit.d, tr->d);
    size_t agree = 0, correct = 0;
    for (size_t i = 0; i < te->n; i++) {
        uint32_t p = ml_svm_predict(&fit, te->x + i * te->d);
        assert_true(p < tr->k);
        agree += p == oc->pred[i];
        correct += p == te->y[i];
    }
    double agreement = (double)agree / (double)te->n, acc = (double)correct / (double)te->n;
    print_message("%-14s n=%zu d=%u k=%u: agreement %.4f, accuracy %.4f (sklearn %.4f)\n",
                  oc->name, tr->n, tr->d, tr->k, agreement, acc, oc->accuracy);
    if (fit.rbf) print_message("%-14s n_sv %u, gamma %.17g\n", "", fit.n_sv, fit.gamma);
    if (fit.reason[0]) print_message("%-14s reason: %s\n", "", fit.reason);
    assert_true(agreement >= 0.995);
    assert_true(fabs(acc - oc->accuracy) <= 0.005 + 1e-12);
    if (fit.rbf) {
        assert_true(fit.n_sv > 0 && fit.sv && fit.sv_coef && fit.rho && fit.n_sv_class);
        uint32_t total = 0;
        for (uint32_t c = 0; c < fit.n_classes; c++) total += fit.n_sv_class[c];
        assert_int_equal(total, fit.n_sv);
        double want = oc->gamma > 0 ? oc->gamma : oc->gamma_used;
        assert_true(fabs(fit.gamma - want) <= 1e-12 * want);
    } else {
        assert_int_equal(fit.n_w, tr->k == 2 ? 1 : tr->k);
        assert_non_null(fit.w);
        assert_non_null(fit.b);
        if (oc->n_iter < 1000) assert_string_equal(fit.reason, "");
        else assert_non_null(strstr(fit.reason, "not converged"));
    }
    ml_svm_fit_free(&fit);
    assert_int_equal(kl_mem_in_use(), mem0);
    assert_null(fit.w);
}

static void test_linear_agreement(void **state) {
    (void)state;
    size_t n = 0;
    for (size_t c = 0; c < g_n_cases; c++)
        if (!strcmp(g_cases[c].kind, "linear")) {
            check_case(&g_cases[c]);
            n++;
        }
    assert_true(n >= 4);
}

static void test_rbf_agreement(void **state) {
    (void)state;
    size_t n = 0;
    for (size_t c = 0; c < g_n_cases; c++)
        if (!strcmp(g_cases[c].kind, "rbf")) {
            check_case(&g_cases[c]);
            n++;
        }
    assert_true(n >= 5);
}

/* ---- gamma 'scale' ---------------------------------------------------------------------- */

static void test_gamma_scale(void **state) {
    (void)state;
    /* the numpy value for each data set (through SVC's _gamma) */
    for (size_t c = 0; c < g_n_cases; c++) {
        const oracle_case *oc = &g_cases[c];
        if (strcmp(oc->kind, "rbf") || oc->gamma > 0) continue;
        const dataset *tr = &g_train[set_index(oc->set)];
        ml_svm_opts o = {.rbf = true, .c = 1, .gamma = -1, .tol = 0.5}; /* any gamma <= 0 */
        ml_svm_fit fit;
        assert_int_equal(ml_svm(tr->x, tr->y, tr->n, tr->d, tr->k, &o, &fit, NULL), 0);
        assert_true(fabs(fit.gamma - oc->gamma_used) <= 1e-12 * oc->gamma_used);
        ml_svm_fit_free(&fit);
    }
    /* constant x: variance 0 -> gamma 1 (scikit-learn) */
    double x[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    uint32_t y[4] = {0, 1, 0, 1};
    ml_svm_opts o = {.rbf = true, .c = 1};
    ml_svm_fit fit;
    assert_int_equal(ml_svm(x, y, 4, 2, 2, &o, &fit, NULL), 0);
    assert_true(fit.fitted);
    assert_true(fit.gamma == 1.0);
    ml_svm_fit_free(&fit);
    /* an explicit gamma is used as is */
    o.gamma = 0.25;
    assert_int_equal(ml_svm(x, y, 4, 2, 2, &o, &fit, NULL), 0);
    assert_true(fit.gamma == 0.25);
    ml_svm_fit_free(&fit);
}

/* ---- not fitted, invalid ---------------------------------------------------------------- */

static void expect_not_fitted(const double *x, const uint32_t *y, size_t n, uint32_t d, uint32_t k,
                              bool rbf, const char *reason_part) {
    ml_svm_opts o = {.rbf = rbf, .c = 1};
    ml_svm_fit fit;
    kl_error e;
    kiln_error_clear(&e);
    size_t mem0 = kl_mem_in_use();
    assert_int_equal(ml_svm(x, y, n, d, k, &o, &fit, &e), 0);
    assert_false(kl_err_is_set(&e));
    assert_false(fit.fitted);
    assert_non_null(strstr(fit.reason, reason_part));
    assert_null(fit.w);
    assert_null(fit.sv);
    assert_int_equal(ml_svm_predict(&fit, x), 0);
    ml_svm_fit_free(&fit);
    assert_int_equal(kl_mem_in_use(), mem0);
}

static void test_not_fitted(void **state) {
    (void)state;
    double x[6] = {1, 2, 3, 4, 5, 6};
    uint32_t y[3] = {0, 1, 0}, same[3] = {0, 0, 0};
    for (int rbf = 0; rbf < 2; rbf++) {
        expect_not_fitted(x, y, 0, 2, 2, rbf, "no rows");
        expect_not_fitted(x, y, 3, 0, 2, rbf, "no features");
        expect_not_fitted(x, same, 3, 2, 1, rbf, "one class");
        expect_not_fitted(x, same, 3, 2, 2, rbf, "one class"); /* class 1 has no rows */
        double bad[6] = {1, 2, NAN, 4, 5, 6};
        expect_not_fitted(bad, y, 3, 2, 2, rbf, "NaN or infinite");
        bad[2] = INFINITY;
        expect_not_fitted(bad, y, 3, 2, 2, rbf, "row 2");
    }
    /* a zero-initialised fit is a valid empty fit */
    ml_svm_fit z;
    memset(&z, 0, sizeof z);
    ml_svm_fit_free(&z);
    ml_svm_fit_free(NULL);
}

static void expect_invalid(const double *x, const uint32_t *y, size_t n, uint32_t d, uint32_t k,
                           const ml_svm_opts *o, const char *message) {
    ml_svm_fit fit;
    kl_error e;
    kiln_error_clear(&e);
    size_t mem0 = kl_mem_in_use();
    assert_int_equal(ml_svm(x, y, n, d, k, o, &fit, &e), KILN_ERR_INVALID);
    assert_int_equal(e.code, KILN_ERR_INVALID);
    assert_string_equal(e.message, message);
    assert_false(fit.fitted);
    ml_svm_fit_free(&fit);
    assert_int_equal(kl_mem_in_use(), mem0);
}

static void test_invalid(void **state) {
    (void)state;
    double x[6] = {1, 2, 3, 4, 5, 6};
    uint32_t y[3] = {0, 1, 0};
    for (int rbf = 0; rbf < 2; rbf++) {
        ml_svm_opts o = {.rbf = rbf, .c = 0};
        expect_invalid(x, y, 3, 2, 2, &o, "svm: c must be > 0");
        o.c = -1;
        expect_invalid(x, y, 3, 2, 2, &o, "svm: c must be > 0");
        o.c = NAN;
        expect_invalid(x, y, 3, 2, 2, &o, "svm: c must be > 0");
        /* options are checked before the data */
        expect_invalid(x, y, 0, 2, 2, &o, "svm: c must be > 0");
        o.c = INFINITY;
        expect_invalid(x, y, 3, 2, 2, &o, "svm: c must be finite");
        o.c = 1;
        o.tol = NAN;
        expect_invalid(x, y, 3, 2, 2, &o, "svm: tol must be finite");
        o.tol = 0;
        uint32_t out[3] = {0, 2, 1};
        expect_invalid(x, out, 3, 2, 2, &o, "svm: label 2 out of range for 2 classes");
        expect_invalid(x, y, 3, 2, 3, &o,
                       "svm: class 2 of 3 has no rows (labels must index the distinct label "
                       "values)");
    }
    ml_svm_opts o = {.rbf = true, .c = 1, .gamma = NAN};
    expect_invalid(x, y, 3, 2, 2, &o, "svm: gamma must be finite");
    /* gamma is not looked at by the linear kind */
    o.rbf = false;
    ml_svm_fit fit;
    assert_int_equal(ml_svm(x, y, 3, 2, 2, &o, &fit, NULL), 0);
    assert_true(fit.fitted);
    ml_svm_fit_free(&fit);
}

/* ---- max_iter --------------------------------------------------------------------------- */

static void test_max_iter(void **state) {
    (void)state;
    const dataset *tr = &g_train[set_index("blobs2")];
    const oracle_case *oc = find_case("lin_blobs2"); /* converges in a few hundred iterations */
    assert_true(oc->n_iter > 10 && oc->n_iter < 1000);
    ml_svm_opts o = {.c = 1, .max_iter = 10};
    ml_svm_fit fit;
    assert_int_equal(ml_svm(tr->x, tr->y, tr->n, tr->d, tr->k, &o, &fit, NULL), 0);
    assert_true(fit.fitted);
    assert_non_null(strstr(fit.reason, "max_iter=10 not applied"));
    ml_svm_fit_free(&fit);
    o.max_iter = 5000; /* converged: nothing to say */
    assert_int_equal(ml_svm(tr->x, tr->y, tr->n, tr->d, tr->k, &o, &fit, NULL), 0);
    assert_string_equal(fit.reason, "");
    ml_svm_fit_free(&fit);
    /* not converged within liblinear's fixed 1000 */
    const dataset *b3 = &g_train[set_index("blobs3")];
    assert_int_equal(ml_svm(b3->x, b3->y, b3->n, b3->d, b3->k, &o, &fit, NULL), 0);
    assert_true(fit.fitted);
    assert_non_null(strstr(fit.reason, "not converged"));
    assert_non_null(strstr(fit.reason, "max_iter above 1000 cannot be applied"));
    ml_svm_fit_free(&fit);
}

/* ---- determinism, restored models, threads ---------------------------------------------- */

static bool same_fit(const ml_svm_fit *a, const ml_svm_fit *b) {
    if (a->fitted != b->fitted || a->rbf != b->rbf || a->d != b->d || a->n_classes != b->n_classes)
        return false;
    if (!a->rbf)
        return a->n_w == b->n_w && !memcmp(a->w, b->w, (size_t)a->n_w * a->d * sizeof(double)) &&
               !memcmp(a->b, b->b, a->n_w * sizeof(double));
    size_t pairs = (size_t)a->n_classes * (a->n_classes - 1) / 2;
    return a->n_sv == b->n_sv && a->gamma == b->gamma &&
           !memcmp(a->sv, b->sv, (size_t)a->n_sv * a->d * sizeof(double)) &&
           !memcmp(a->sv_coef, b->sv_coef, (size_t)(a->n_classes - 1) * a->n_sv * sizeof(double)) &&
           !memcmp(a->rho, b->rho, pairs * sizeof(double)) &&
           !memcmp(a->n_sv_class, b->n_sv_class, a->n_classes * sizeof(uint32_t));
}

/* A copy made of nothing but the arrays (what model.c rebuilds from JSON). */
static void *dup_bytes(const void *p, size_t n) {
    void *q = kl_malloc(n ? n : 1);
    assert_non_null(q);
    memcpy(q, p, n);
    return q;
}

static void restore_copy(const ml_svm_fit *f, ml_svm_fit *r) {
    memset(r, 0, sizeof *r);
    r->fitted = true;
    r->rbf = f->rbf;
    r->d = f->d;
    r->n_classes = f->n_classes;
    if (!f->rbf) {
        r->n_w = f->n_w;
        r->w = dup_bytes(f->w, (size_t)f->n_w * f->d * sizeof(double));
        r->b = dup_bytes(f->b, f->n_w * sizeof(double));
        return;
    }
    r->gamma = f->gamma;
    r->n_sv = f->n_sv;
    r->sv = dup_bytes(f->sv, (size_t)f->n_sv * f->d * sizeof(double));
    r->sv_coef = dup_bytes(f->sv_coef, (size_t)(f->n_classes - 1) * f->n_sv * sizeof(double));
    r->rho = dup_bytes(f->rho, (size_t)f->n_classes * (f->n_classes - 1) / 2 * sizeof(double));
    r->n_sv_class = dup_bytes(f->n_sv_class, f->n_classes * sizeof(uint32_t));
}

static void test_deterministic_and_restored(void **state) {
    (void)state;
    const char *names[] = {"lin_blobs3", "lin_moons", "rbf_blobs3", "rbf_circles"};
    for (size_t t = 0; t < 4; t++) {
        const oracle_case *oc = find_case(names[t]);
        const dataset *tr = &g_train[set_index(oc->set)], *te = &g_test[set_index(oc->set)];
        ml_svm_opts o = case_opts(oc);
        ml_svm_fit a, b, r;
        assert_int_equal(ml_svm(tr->x, tr->y, tr->n, tr->d, tr->k, &o, &a, NULL), 0);
        assert_int_equal(ml_svm(tr->x, tr->y, tr->n, tr->d, tr->k, &o, &b, NULL), 0);
        assert_true(same_fit(&a, &b));
        restore_copy(&a, &r);
        for (size_t i = 0; i < te->n; i++)
            assert_int_equal(ml_svm_predict(&a, te->x + i * te->d),
                             ml_svm_predict(&r, te->x + i * te->d));
        ml_svm_fit_free(&a);
        ml_svm_fit_free(&b);
        ml_svm_fit_free(&r);
    }
}

typedef struct thread_job {
    const dataset *tr;
    ml_svm_opts o;
    ml_svm_fit fit;
    int rc;
} thread_job;

static void *fit_thread(void *arg) {
    thread_job *j = arg;
    for (int rep = 0; rep < 3 && j->rc == 0; rep++) {
        ml_svm_fit_free(&j->fit);
        j->rc = ml_svm(j->tr->x, j->tr->y, j->tr->n, j->tr->d, j->tr->k, &j->o, &j->fit, NULL);
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    /* liblinear shares rand(); fits from several threads still equal a lone fit */
    const oracle_case *cases[4] = {find_case("lin_blobs3"), find_case("lin_blobs2"),
                                   find_case("rbf_moons"), find_case("lin_blobs3_c1")};
    thread_job jobs[4];
    pthread_t th[4];
    memset(jobs, 0, sizeof jobs);
    for (int t = 0; t < 4; t++) {
        jobs[t].tr = &g_train[set_index(cases[t]->set)];
        jobs[t].o = case_opts(cases[t]);
        assert_int_equal(pthread_create(&th[t], NULL, fit_thread, &jobs[t]), 0);
    }
    for (int t = 0; t < 4; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < 4; t++) {
        assert_int_equal(jobs[t].rc, 0);
        ml_svm_fit lone;
        const dataset *tr = jobs[t].tr;
        assert_int_equal(ml_svm(tr->x, tr->y, tr->n, tr->d, tr->k, &jobs[t].o, &lone, NULL), 0);
        assert_true(same_fit(&lone, &jobs[t].fit));
        assert_string_equal(lone.reason, jobs[t].fit.reason); /* warnings are per thread */
        ml_svm_fit_free(&lone);
        ml_svm_fit_free(&jobs[t].fit);
    }
}

/* ---- the rbf vote rule ------------------------------------------------------------------ */

/* libsvm's one-vs-one rule written out plainly (heap arrays, kernels recomputed). */
static uint32_t reference_vote(const ml_svm_fit *f, const double *row) {
    uint32_t k = f->n_classes;
    uint32_t *votes = calloc(k, sizeof *votes), *first = calloc(k, sizeof *first);
    for (uint32_t c = 1; c < k; c++) first[c] = first[c - 1] + f->n_sv_class[c - 1];
    size_t p = 0;
    for (uint32_t a = 0; a < k; a++)
        for (uint32_t b = a + 1; b < k; b++, p++) {
            double s = 0;
            for (uint32_t side = 0; side < 2; side++) {
                uint32_t cls = side ? b : a, row_c = side ? a : b - 1;
                for (uint32_t r = first[cls]; r < first[cls] + f->n_sv_class[cls]; r++) {
                    double d2 = 0;
                    for (uint32_t j = 0; j < f->d; j++) {
                        double t = f->sv[(size_t)r * f->d + j] - row[j];
                        d2 += t * t;
                    }
                    s += f->sv_coef[(size_t)row_c * f->n_sv + r] * exp(-f->gamma * d2);
                }
            }
            votes[s - f->rho[p] > 0 ? a : b]++;
        }
    uint32_t best = 0;
    for (uint32_t c = 1; c < k; c++)
        if (votes[c] > votes[best]) best = c;
    free(votes);
    free(first);
    return best;
}

static void check_many_classes(uint32_t k) {
    /* k well-separated clusters on a line, 12 rows each, classes first seen in reverse */
    const uint32_t per = 12, d = 2;
    size_t n = (size_t)k * per;
    double *x = malloc(n * d * sizeof(double));
    uint32_t *y = malloc(n * sizeof(uint32_t));
    unsigned seed = 7;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = k - 1 - (uint32_t)(i % k);
        y[i] = c;
        x[i * d] = 3.0 * c + ((double)(rand_r(&seed) % 1000) / 1000.0 - 0.5);
        x[i * d + 1] = (double)(rand_r(&seed) % 1000) / 1000.0 - 0.5;
    }
    ml_svm_opts o = {.rbf = true, .c = 1, .gamma = 0.5};
    ml_svm_fit fit;
    assert_int_equal(ml_svm(x, y, n, d, k, &o, &fit, NULL), 0);
    assert_true(fit.fitted);
    size_t correct = 0;
    for (int t = 0; t < 400; t++) {
        double row[2] = {(double)(rand_r(&seed) % (3000 * k)) / 1000.0 - 1.0,
                         (double)(rand_r(&seed) % 1000) / 1000.0 - 0.5};
        assert_int_equal(ml_svm_predict(&fit, row), reference_vote(&fit, row));
    }
    for (size_t i = 0; i < n; i++) correct += ml_svm_predict(&fit, x + i * d) == y[i];
    assert_true(correct == n);
    ml_svm_fit_free(&fit);
    free(x);
    free(y);
}

static void test_rbf_votes(void **state) {
    (void)state;
    /* the oracle's models */
    const char *names[] = {"rbf_blobs3", "rbf_blobs4", "rbf_moons"};
    for (size_t t = 0; t < 3; t++) {
        const oracle_case *oc = find_case(names[t]);
        const dataset *tr = &g_train[set_index(oc->set)], *te = &g_test[set_index(oc->set)];
        ml_svm_opts o = case_opts(oc);
        ml_svm_fit fit;
        assert_int_equal(ml_svm(tr->x, tr->y, tr->n, tr->d, tr->k, &o, &fit, NULL), 0);
        for (size_t i = 0; i < te->n; i++)
            assert_int_equal(ml_svm_predict(&fit, te->x + i * te->d),
                             reference_vote(&fit, te->x + i * te->d));
        ml_svm_fit_free(&fit);
    }
    check_many_classes(5);
    check_many_classes(32); /* the largest with stack scratch */
    check_many_classes(35); /* the allocation-free path */
}

/* ---- the Newton solver (big linear problems) -------------------------------------------- */

/* k Gaussian blobs in d dimensions (overlapping), classes first seen in a mixed order. */
static void make_blobs(size_t n, uint32_t d, uint32_t k, double spread, unsigned seed,
                       double **x, uint32_t **y) {
    double *centre = malloc((size_t)k * d * sizeof(double));
    *x = malloc(n * d * sizeof(double));
    *y = malloc(n * sizeof(uint32_t));
    assert_non_null(centre);
    assert_non_null(*x);
    assert_non_null(*y);
    for (size_t j = 0; j < (size_t)k * d; j++)
        centre[j] = 3.0 * ((double)rand_r(&seed) / RAND_MAX - 0.5);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)(rand_r(&seed) % k);
        (*y)[i] = c;
        for (uint32_t j = 0; j < d; j++) { /* sum of 3 uniforms: a rough Gaussian */
            double u = 0;
            for (int r = 0; r < 3; r++) u += (double)rand_r(&seed) / RAND_MAX - 0.5;
            (*x)[i * d + j] = centre[(size_t)c * d + j] + spread * u * 2.0;
        }
    }
    free(centre);
}

/* The gradient of the primal objective of binary problem p of a linear fit (bias first:
   g[0] for b, g[1 + j] for w_j), in long double; returns |g| and sets *g0 = |g(0)|. */
static double primal_gradient(const ml_svm_fit *f, const double *x, const uint32_t *y, size_t n,
                              double c, uint32_t p, double *g0) {
    const uint32_t d = f->d, pos = f->n_w == 1 ? 1 : p;
    const double *w = f->w + (size_t)p * d, b = f->b[p];
    long double *g = calloc(d + 1, sizeof(long double)), *h = calloc(d + 1, sizeof(long double));
    assert_non_null(g);
    assert_non_null(h);
    for (size_t i = 0; i < n; i++) {
        const double *xr = x + i * d;
        long double yi = y[i] == pos ? 1.0L : -1.0L, z = b;
        for (uint32_t j = 0; j < d; j++) z += (long double)w[j] * xr[j];
        h[0] -= yi; /* at 0 every row is active: sum (0 - y) a */
        for (uint32_t j = 0; j < d; j++) h[1 + j] -= yi * xr[j];
        if (!(yi * z < 1.0L)) continue;
        g[0] += z - yi;
        for (uint32_t j = 0; j < d; j++) g[1 + j] += (z - yi) * xr[j];
    }
    long double s = 0, s0 = 0, v;
    v = b + 2.0L * c * g[0];
    s += v * v;
    s0 += 4.0L * c * c * h[0] * h[0];
    for (uint32_t j = 0; j < d; j++) {
        v = w[j] + 2.0L * c * g[1 + j];
        s += v * v;
        s0 += 4.0L * c * c * h[1 + j] * h[1 + j];
    }
    free(g);
    free(h);
    *g0 = (double)sqrtl(s0);
    return (double)sqrtl(s);
}

static ml_svm_fit fit_linear(const double *x, const uint32_t *y, size_t n, uint32_t d,
                             uint32_t k, double c, int threads, ml_svm_solver solver) {
    ml_svm_opts o = {.c = c, .threads = threads, .solver = solver};
    ml_svm_fit f;
    kl_error e;
    kiln_error_clear(&e);
    assert_int_equal(ml_svm(x, y, n, d, k, &o, &f, &e), 0);
    assert_true(f.fitted);
    return f;
}

static void test_newton_threads(void **state) {
    (void)state;
    /* 3 classes: one-vs-rest; 2: one vector. Bit-identical for 1, 2 and 5 threads. */
    for (uint32_t k = 2; k <= 3; k++) {
        const size_t n = 50000;
        const uint32_t d = 13;
        double *x;
        uint32_t *y;
        make_blobs(n, d, k, 1.5, 11 + k, &x, &y);
        size_t mem0 = kl_mem_in_use();
        ml_svm_fit one = fit_linear(x, y, n, d, k, 1.0, 1, ML_SVM_SOLVER_NEWTON);
        assert_string_equal(one.reason, "");
        assert_true(one.iterations >= 1 && one.iterations < 50);
        for (int th = 2; th <= 5; th += 3) {
            ml_svm_fit more = fit_linear(x, y, n, d, k, 1.0, th, ML_SVM_SOLVER_NEWTON);
            assert_true(same_fit(&one, &more));
            assert_int_equal(one.iterations, more.iterations);
            ml_svm_fit_free(&more);
        }
        /* AUTO picks Newton here (n * (d + 1) >= 2^18), whatever the threads */
        ml_svm_fit au = fit_linear(x, y, n, d, k, 1.0, 2, ML_SVM_SOLVER_AUTO);
        assert_true(same_fit(&one, &au));
        ml_svm_fit_free(&au);
        print_message("newton k=%u n=%zu d=%u: %u iterations\n", k, n, d, one.iterations);
        ml_svm_fit_free(&one);
        assert_int_equal(kl_mem_in_use(), mem0);
        free(x);
        free(y);
    }
}

static void test_newton_optimal(void **state) {
    (void)state;
    /* KKT: the gradient of the primal objective vanishes at the solution (far below tol:
       Newton ends on the exact minimiser of its last active set), for every binary problem;
       and the solution is liblinear's (at a tight tol) within 1e-3 of the largest weight */
    for (uint32_t k = 2; k <= 3; k++) {
        const size_t n = 12000;
        const uint32_t d = 8;
        const double c = 0.5;
        double *x;
        uint32_t *y;
        make_blobs(n, d, k, 2.0, 3 + k, &x, &y);
        ml_svm_fit nw = fit_linear(x, y, n, d, k, c, 2, ML_SVM_SOLVER_NEWTON);
        ml_svm_opts lo = {.c = c, .tol = 1e-6, .solver = ML_SVM_SOLVER_LIBLINEAR};
        ml_svm_fit ll;
        assert_int_equal(ml_svm(x, y, n, d, k, &lo, &ll, NULL), 0);
        assert_int_equal(nw.n_w, ll.n_w);
        double worst = 0, wmax = 0, rel_g = 0;
        for (uint32_t p = 0; p < nw.n_w; p++) {
            double g0, gn = primal_gradient(&nw, x, y, n, c, p, &g0);
            rel_g = fmax(rel_g, gn / g0);
            for (uint32_t j = 0; j < d; j++) {
                size_t at = (size_t)p * d + j;
                worst = fmax(worst, fabs(nw.w[at] - ll.w[at]));
                wmax = fmax(wmax, fabs(ll.w[at]));
            }
            worst = fmax(worst, fabs(nw.b[p] - ll.b[p]));
            wmax = fmax(wmax, fabs(ll.b[p]));
        }
        print_message("newton k=%u: |g| / |g0| %.3g, max |w - liblinear| / max |w| %.3g "
                      "(%u vs %u iterations)\n", k, rel_g, worst / wmax, nw.iterations,
                      ll.iterations);
        assert_true(rel_g <= 1e-6);
        assert_true(worst <= 1e-3 * wmax);
        /* predictions on the training rows agree almost everywhere */
        size_t agree = 0;
        for (size_t i = 0; i < n; i++)
            agree += ml_svm_predict(&nw, x + i * d) == ml_svm_predict(&ll, x + i * d);
        assert_true(agree >= n - n / 1000);
        ml_svm_fit_free(&nw);
        ml_svm_fit_free(&ll);
        free(x);
        free(y);
    }
}

static void test_newton_options(void **state) {
    (void)state;
    const size_t n = 3000;
    const uint32_t d = 4;
    double *x;
    uint32_t *y;
    make_blobs(n, d, 3, 2.0, 21, &x, &y);
    /* max_iter applies to the Newton iterations */
    ml_svm_opts o = {.c = 1, .max_iter = 1, .solver = ML_SVM_SOLVER_NEWTON};
    ml_svm_fit f;
    assert_int_equal(ml_svm(x, y, n, d, 3, &o, &f, NULL), 0);
    assert_true(f.fitted);
    assert_int_equal(f.iterations, 1);
    assert_non_null(strstr(f.reason, "not converged: max_iter=1 Newton iterations"));
    assert_non_null(strstr(f.reason, "vs rest"));
    ml_svm_fit_free(&f);
    o.max_iter = 0;
    assert_int_equal(ml_svm(x, y, n, d, 3, &o, &f, NULL), 0);
    assert_string_equal(f.reason, "");
    assert_true(f.iterations > 1);
    ml_svm_fit_free(&f);
    /* a small problem keeps liblinear under AUTO */
    o.solver = ML_SVM_SOLVER_AUTO;
    o.threads = 2;
    ml_svm_fit a = fit_linear(x, y, n, d, 3, 1.0, 2, ML_SVM_SOLVER_AUTO);
    ml_svm_fit b = fit_linear(x, y, n, d, 3, 1.0, 1, ML_SVM_SOLVER_LIBLINEAR);
    assert_true(same_fit(&a, &b));
    ml_svm_fit_free(&a);
    ml_svm_fit_free(&b);
    free(x);
    free(y);
    /* the Newton solver takes at most 255 features */
    const uint32_t wide = 256;
    double *xw = calloc((size_t)4 * wide, sizeof(double));
    uint32_t yw[4] = {0, 1, 0, 1};
    assert_non_null(xw);
    for (uint32_t j = 0; j < 4 * wide; j++) xw[j] = (double)(j % 7);
    ml_svm_opts ow = {.c = 1, .solver = ML_SVM_SOLVER_NEWTON};
    expect_invalid(xw, yw, 4, wide, 2, &ow, "svm: the Newton solver takes at most 255 features");
    free(xw);
    /* sums that overflow: fitted with a warning, never NaN weights */
    double huge[8] = {1e200, 2e200, -1e200, 3e200, 1, 2, -3, 4};
    assert_int_equal(ml_svm(huge, yw, 4, 2, 2, &ow, &f, NULL), 0);
    assert_true(f.fitted);
    assert_non_null(strstr(f.reason, "overflowed"));
    assert_false(isnan(f.w[0]) || isnan(f.w[1]) || isnan(f.b[0]));
    ml_svm_fit_free(&f);
}

/* ---- out of memory ---------------------------------------------------------------------- */

static void check_oom(const dataset *tr, size_t n, const ml_svm_opts *o) {
    ml_svm_fit ref, fit;
    size_t start = kl_mem_in_use();
    assert_int_equal(ml_svm(tr->x, tr->y, n, tr->d, tr->k, o, &ref, NULL), 0);
    size_t mem0 = kl_mem_in_use(); /* with ref */
    long fails = 0;
    for (long at = 1;; at++) {
        kl_error e;
        kiln_error_clear(&e);
        kl_mem_fail_after(at);
        int rc = ml_svm(tr->x, tr->y, n, tr->d, tr->k, o, &fit, &e);
        kl_mem_fail_after(0);
        if (rc == 0) break;
        fails++;
        assert_int_equal(rc, KILN_ERR_MEMORY);
        assert_int_equal(e.code, KILN_ERR_MEMORY);
        assert_false(fit.fitted);
        assert_null(fit.w);
        assert_null(fit.sv);
        ml_svm_fit_free(&fit);
        assert_int_equal(kl_mem_in_use(), mem0);
        assert_true(at < 100);
    }
    print_message("%s n=%zu k=%u: %ld allocation failures handled\n", o->rbf ? "rbf" : "linear",
                  n, tr->k, fails);
    assert_true(fails >= 3);
    assert_true(same_fit(&ref, &fit));
    ml_svm_fit_free(&fit);
    ml_svm_fit_free(&ref);
    assert_int_equal(kl_mem_in_use(), start);
}

static void test_oom(void **state) {
    (void)state;
    size_t mem0 = kl_mem_in_use();
    const dataset *b3 = &g_train[set_index("blobs3")], *b2 = &g_train[set_index("blobs2")];
    ml_svm_opts lin = {.c = 0.1}, rbf = {.rbf = true, .c = 1};
    ml_svm_opts newton = {.c = 0.1, .threads = 2, .solver = ML_SVM_SOLVER_NEWTON};
    check_oom(b3, 300, &lin);
    check_oom(b2, 300, &lin);
    check_oom(b3, 300, &newton);
    check_oom(b2, 300, &newton);
    check_oom(b3, 300, &rbf);
    check_oom(b2, 300, &rbf);
    assert_int_equal(kl_mem_in_use(), mem0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_agreement),
        cmocka_unit_test(test_rbf_agreement),
        cmocka_unit_test(test_gamma_scale),
        cmocka_unit_test(test_not_fitted),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_max_iter),
        cmocka_unit_test(test_deterministic_and_restored),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_rbf_votes),
        cmocka_unit_test(test_newton_threads),
        cmocka_unit_test(test_newton_optimal),
        cmocka_unit_test(test_newton_options),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
