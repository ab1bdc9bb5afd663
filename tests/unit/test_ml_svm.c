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
    check_oom(b3, 300, &lin);
    check_oom(b2, 300, &lin);
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
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
