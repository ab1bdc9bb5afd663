/*
 * svm.c — the support-vector-machine core (ml.h): a linear SVM on Debian's liblinear 2.3 and
 * an RBF-kernel SVM on Debian's libsvm 3.24, with the options and results of scikit-learn
 * 1.2's LinearSVC and SVC. The libraries train; this file builds their problems, reads their
 * models into kiln arrays (then frees the models), and predicts on its own from those arrays,
 * so a model restored from its JSON text predicts exactly like a freshly fitted one.
 *
 * API: ml_svm (fit) -> ml_svm_predict (any number of rows, any thread) -> ml_svm_fit_free.
 *
 * Checks, in order: options (c > 0 and finite, tol and gamma finite: KILN_ERR_INVALID), then
 * the data: no rows, no features, one class only (n_classes < 2 or a single class present),
 * more rows or features than the libraries' int counters, or NaN/infinite values give
 * fitted = false with a reason; a label >= n_classes, or a class index without rows while
 * others have some (the caller's mapping is broken), is KILN_ERR_INVALID. liblinear's
 * check_parameter / libsvm's svm_check_parameter messages become KILN_ERR_INVALID ("svm:
 * liblinear: ..."; unreachable after the checks above, kept as a guard).
 *
 * Linear (LinearSVC defaults). liblinear L2R_L2LOSS_SVC_DUAL (dual coordinate descent on the
 * L2-regularised squared hinge loss), C = c, eps = tol (1e-4 when tol <= 0), bias 1: every
 * row gets a constant feature 1 (index d + 1) whose weight is the intercept and is
 * regularised like the others (intercept_scaling = 1). liblinear does one-vs-rest itself for
 * more than 2 classes; its classes are ordered by first appearance in the data and, for 2
 * classes, its single weight vector is positive for the first-seen class: the weights are
 * copied per class index and, for 2 classes, negated when class 0 was seen first, so w . x +
 * b > 0 always means class 1. Random order: liblinear 2.3 shuffles its coordinates with
 * rand(); each training runs under a process-wide mutex right after srand(1), so results are
 * deterministic (identical for identical input, whatever other threads do with liblinear
 * here); they are not bit-identical to scikit-learn, whose bundled liblinear has its own
 * generator (the solution agrees within tol). max_iter: liblinear 2.3's dual solver has a
 * fixed limit of 1000 outer iterations and no parameter for it, so max_iter cannot change
 * what it does. The iterations it ran and whether it hit the limit are read from its log
 * messages (captured through the print hook): hitting the limit gives fitted = true with a
 * warning in reason ("not converged ..."); a max_iter below the iterations liblinear needed,
 * or above 1000 when the limit was hit, is mentioned in that warning as not applied.
 * Prediction: argmax over classes of w_c . x + b_c (ties: lowest class index); 2 classes:
 * class 1 when w . x + b > 0.
 *
 * rbf (SVC defaults). libsvm C_SVC with the RBF kernel exp(-gamma |u - v|^2), gamma =
 * opts.gamma, or when <= 0 'scale' = 1 / (d * var(x)) with the population variance of all n *
 * d values (two passes, compensated sums; gamma = 1 when the variance is 0), C = c, eps = tol
 * (1e-3 when tol <= 0), cache 200 MB, shrinking on, no probability estimates (so libsvm draws
 * no random numbers). libsvm trains one-vs-one and orders its classes by first appearance;
 * the model is re-expressed in class-index order: support vectors grouped by class index
 * (copied from x through libsvm's sv_indices, so they are the exact input values); for the
 * pair (a, b), a < b, the coefficients of a's vectors sit in row b - 1 of sv_coef and b's in
 * row a, and rho[pair] is such that sum coef * K - rho > 0 votes for a; a pair that libsvm
 * trained as (b, a) has its coefficients and rho negated. Prediction (libsvm's rule, as
 * scikit-learn applies it): each pair votes, the class with most votes wins, ties to the
 * lowest class index. Kernel values are computed once per support vector when n_classes <=
 * SVM_FAST_CLASSES (stack scratch, no allocation); above that each pair recomputes its
 * kernels (slower, still allocation-free). A decision value of exactly 0 votes for b, the
 * higher index (libsvm's "else"), also for negated pairs, where libsvm itself would have
 * voted the other way: only exact ties differ.
 *
 * Messages: both libraries print through a hook installed once (pthread_once) that prints
 * nothing and only records, in a thread-local capture of the calling fit, the iteration count
 * and max-iteration warnings.
 *
 * Memory: the problems handed to the libraries (row pointers, nodes, y) and all fit arrays
 * are kl_malloc'd (out-of-memory is KILN_ERR_MEMORY, nothing leaks); the libraries' own
 * allocations (models, kernel cache up to 200 MB, solver scratch) use malloc/new: they are
 * not counted by kl_mem_in_use, and the libraries do not survive their own allocation
 * failures (new throws, malloc results are unchecked) — a limitation of the libraries.
 *
 * Bounds: zero-valued features are left out of the problems (sparse nodes), so the problem
 * holds (nnz + 2n) 16-byte nodes for linear and (nnz + n) for rbf. Linear training is
 * O(iterations * nnz) per one-vs-rest class; rbf training is libsvm's SMO, O(n^2) kernel
 * evaluations worst case per pair of classes. Predict: linear O(n_w * d); rbf O(n_sv * d)
 * kernel work plus O(n_classes^2) votes.
 */
#include "ml/ml.h"

#include <limits.h>
#include <linear.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <svm.h>

#define SVM_LINEAR_TOL 1e-4
#define SVM_RBF_TOL 1e-3
#define SVM_LIBLINEAR_MAX_ITER 1000u /* fixed inside liblinear 2.3's dual solver */
#define SVM_CACHE_MB 200.0
#define SVM_SEED 1u
#define SVM_FAST_CLASSES 32u /* rbf predict: up to this many classes use stack scratch */
#define SVM_KV_CHUNK 256u    /* rbf predict: kernel values computed per chunk */

/* ---- library hooks ---------------------------------------------------------------------- */

/* What a fit learns from the libraries' log lines (only the calling thread's lines). */
typedef struct svm_capture {
    long iterations; /* largest "#iter = N" seen (one line per binary problem) */
    bool max_iter_hit;
} svm_capture;

static _Thread_local svm_capture *svm_cap;
static pthread_once_t svm_hooks_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t svm_rand_lock = PTHREAD_MUTEX_INITIALIZER;

static void svm_print_hook(const char *s) {
    svm_capture *c = svm_cap;
    if (!c || !s) return;
    if (strstr(s, "reaching max number of iterations")) c->max_iter_hit = true;
    const char *p = strstr(s, "#iter = ");
    if (p) {
        long it = strtol(p + 8, NULL, 10);
        if (it > c->iterations) c->iterations = it;
    }
}

static void svm_hooks_install(void) {
    set_print_string_function(svm_print_hook);
    svm_set_print_string_function(svm_print_hook);
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* count * size bytes from kl_malloc, NULL on overflow or out-of-memory. */
static void *svm_alloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    size_t bytes = count * size;
    return kl_malloc(bytes > 0 ? bytes : 1);
}

#define svm_not_fitted(fit, ...) ml_not_fitted(&(fit)->fitted, (fit)->reason, __VA_ARGS__)

/* Number of non-zero values of x (the sparse nodes the libraries need). */
static size_t svm_nnz(const double *x, size_t n, uint32_t d) {
    size_t nnz = 0;
    for (size_t i = 0; i < n * d; i++) nnz += x[i] != 0.0;
    return nnz;
}

/* scikit-learn's gamma='scale': 1 / (d * var(x)) over all n * d values (population
   variance), 1 when the variance is 0. Two passes with Neumaier-compensated sums. */
static double svm_gamma_scale(const double *x, size_t n, uint32_t d) {
    size_t m = n * d;
    double s = 0, comp = 0;
    for (size_t i = 0; i < m; i++) {
        double t = s + x[i];
        comp += fabs(s) >= fabs(x[i]) ? (s - t) + x[i] : (x[i] - t) + s;
        s = t;
    }
    double mean = (s + comp) / (double)m;
    s = 0;
    comp = 0;
    for (size_t i = 0; i < m; i++) {
        double dv = x[i] - mean, sq = dv * dv;
        double t = s + sq;
        comp += s >= sq ? (s - t) + sq : (sq - t) + s;
        s = t;
    }
    double var = (s + comp) / (double)m;
    return var > 0 ? 1.0 / ((double)d * var) : 1.0;
}

/* Index of the pair (a, b), a < b, among k classes in libsvm's order 0v1, 0v2, ..., 1v2 ... */
static inline size_t svm_pair(uint32_t a, uint32_t b, uint32_t k) {
    return (size_t)a * k - (size_t)a * (a + 1) / 2 + (b - a - 1);
}

/* ---- linear (liblinear) ----------------------------------------------------------------- */

static int svm_fit_linear(const double *x, const uint32_t *labels, size_t n, uint32_t d,
                          uint32_t k, const ml_svm_opts *o, ml_svm_fit *fit, kl_error *err) {
    uint32_t n_w = k == 2 ? 1 : k;
    size_t nnz = svm_nnz(x, n, d);
    struct problem prob = {.l = (int)n, .n = (int)d + 1, .bias = 1.0};
    struct feature_node *nodes = NULL;
    prob.x = svm_alloc(n, sizeof *prob.x);
    prob.y = svm_alloc(n, sizeof *prob.y);
    if (nnz <= SIZE_MAX - 2 * n) nodes = svm_alloc(nnz + 2 * n, sizeof *nodes);
    fit->w = svm_alloc((size_t)n_w * d, sizeof *fit->w);
    fit->b = svm_alloc(n_w, sizeof *fit->b);
    int rc = 0;
    if (!prob.x || !prob.y || !nodes || !fit->w || !fit->b) {
        rc = kl_err(err, KILN_ERR_MEMORY, "svm: out of memory for %zu rows of %u features", n, d);
        goto done;
    }
    struct feature_node *nd = nodes;
    for (size_t i = 0; i < n; i++) {
        prob.x[i] = nd;
        prob.y[i] = (double)labels[i];
        for (uint32_t j = 0; j < d; j++) {
            double v = x[i * d + j];
            if (v != 0.0) *nd++ = (struct feature_node){.index = (int)j + 1, .value = v};
        }
        *nd++ = (struct feature_node){.index = (int)d + 1, .value = 1.0}; /* the bias feature */
        *nd++ = (struct feature_node){.index = -1, .value = 0};
    }
    struct parameter param = {.solver_type = L2R_L2LOSS_SVC_DUAL,
                              .eps = o->tol > 0 ? o->tol : SVM_LINEAR_TOL,
                              .C = o->c,
                              .nr_weight = 0,
                              .weight_label = NULL,
                              .weight = NULL,
                              .p = 0.1,
                              .init_sol = NULL};
    const char *msg = check_parameter(&prob, &param);
    if (msg) {
        rc = kl_err(err, KILN_ERR_INVALID, "svm: liblinear: %s", msg);
        goto done;
    }

    svm_capture cap = {0};
    pthread_mutex_lock(&svm_rand_lock);
    svm_cap = &cap;
    srand(SVM_SEED);
    struct model *m = train(&prob, &param);
    svm_cap = NULL;
    pthread_mutex_unlock(&svm_rand_lock);
    if (!m) {
        rc = kl_err(err, KILN_ERR_MEMORY, "svm: liblinear could not train");
        goto done;
    }
    if ((uint32_t)m->nr_class != k) {
        rc = kl_err(err, KILN_ERR_INTERNAL, "svm: liblinear found %d classes, expected %u",
                    m->nr_class, k);
        free_and_destroy_model(&m);
        goto done;
    }
    /* liblinear's w is (d + 1) x nr_w, feature-major: w[j * nr_w + c]; row d is the bias. */
    if (n_w == 1) {
        double sign = m->label[0] == 1 ? 1.0 : -1.0; /* positive side = first-seen class */
        for (uint32_t j = 0; j < d; j++) fit->w[j] = sign * m->w[j];
        fit->b[0] = sign * m->w[d] * m->bias;
    } else {
        for (uint32_t p = 0; p < n_w; p++) {
            uint32_t c = (uint32_t)m->label[p];
            for (uint32_t j = 0; j < d; j++) fit->w[(size_t)c * d + j] = m->w[(size_t)j * n_w + p];
            fit->b[c] = m->w[(size_t)d * n_w + p] * m->bias;
        }
    }
    free_and_destroy_model(&m);

    fit->n_w = n_w;
    fit->fitted = true;
    uint32_t want = o->max_iter ? o->max_iter : SVM_LIBLINEAR_MAX_ITER;
    if (cap.max_iter_hit) {
        snprintf(fit->reason, sizeof fit->reason,
                 "not converged: liblinear stopped at its fixed %u iterations before tol%s",
                 SVM_LIBLINEAR_MAX_ITER,
                 want > SVM_LIBLINEAR_MAX_ITER ? " (max_iter above 1000 cannot be applied)" : "");
    } else if (cap.iterations > (long)want) {
        snprintf(fit->reason, sizeof fit->reason,
                 "max_iter=%u not applied: liblinear 2.3 ran %ld iterations to reach tol", want,
                 cap.iterations);
    }
done:
    kl_free(nodes);
    kl_free(prob.x);
    kl_free(prob.y);
    return rc;
}

/* ---- rbf (libsvm) ----------------------------------------------------------------------- */

/* Copies libsvm's model m into fit in class-index order (see the header comment). */
static int svm_copy_rbf(const struct svm_model *m, const double *x, uint32_t d, uint32_t k,
                        ml_svm_fit *fit, kl_error *err) {
    uint32_t n_sv = (uint32_t)m->l;
    size_t n_pairs = (size_t)k * (k - 1) / 2;
    uint32_t *pos = svm_alloc(k, sizeof *pos);     /* class index -> libsvm's class */
    uint32_t *start = svm_alloc(k, sizeof *start); /* libsvm's class -> its first SV */
    fit->sv = svm_alloc((size_t)n_sv * d, sizeof *fit->sv);
    fit->sv_coef = svm_alloc((size_t)(k - 1) * n_sv, sizeof *fit->sv_coef);
    fit->rho = svm_alloc(n_pairs, sizeof *fit->rho);
    fit->n_sv_class = svm_alloc(k, sizeof *fit->n_sv_class);
    int rc = 0;
    if (!pos || !start || !fit->sv || !fit->sv_coef || !fit->rho || !fit->n_sv_class) {
        rc = kl_err(err, KILN_ERR_MEMORY, "svm: out of memory for %u support vectors", n_sv);
        goto done;
    }
    uint32_t acc = 0;
    for (uint32_t i = 0; i < k; i++) {
        pos[m->label[i]] = i;
        start[i] = acc;
        acc += (uint32_t)m->nSV[i];
    }
    uint32_t r = 0; /* next support vector in class-index order */
    for (uint32_t a = 0; a < k; a++) {
        uint32_t i = pos[a];
        fit->n_sv_class[a] = (uint32_t)m->nSV[i];
        for (uint32_t s = start[i]; s < start[i] + (uint32_t)m->nSV[i]; s++, r++) {
            size_t row = (size_t)m->sv_indices[s] - 1;
            memcpy(fit->sv + (size_t)r * d, x + row * d, (size_t)d * sizeof(double));
            for (uint32_t b = 0; b < k; b++) {
                if (b == a) continue;
                uint32_t j = pos[b];
                uint32_t new_row = b > a ? b - 1 : b, old_row = j > i ? j - 1 : j;
                double sign = (i < j) == (a < b) ? 1.0 : -1.0;
                fit->sv_coef[(size_t)new_row * n_sv + r] = sign * m->sv_coef[old_row][s];
            }
        }
    }
    for (uint32_t a = 0; a < k; a++)
        for (uint32_t b = a + 1; b < k; b++) {
            uint32_t i = pos[a], j = pos[b];
            fit->rho[svm_pair(a, b, k)] =
                i < j ? m->rho[svm_pair(i, j, k)] : -m->rho[svm_pair(j, i, k)];
        }
    fit->n_sv = n_sv;
done:
    kl_free(pos);
    kl_free(start);
    return rc;
}

static int svm_fit_rbf(const double *x, const uint32_t *labels, size_t n, uint32_t d, uint32_t k,
                       const ml_svm_opts *o, ml_svm_fit *fit, kl_error *err) {
    fit->gamma = o->gamma > 0 ? o->gamma : svm_gamma_scale(x, n, d);
    size_t nnz = svm_nnz(x, n, d);
    struct svm_problem prob = {.l = (int)n};
    struct svm_node *nodes = NULL;
    prob.x = svm_alloc(n, sizeof *prob.x);
    prob.y = svm_alloc(n, sizeof *prob.y);
    if (nnz <= SIZE_MAX - n) nodes = svm_alloc(nnz + n, sizeof *nodes);
    int rc = 0;
    if (!prob.x || !prob.y || !nodes) {
        rc = kl_err(err, KILN_ERR_MEMORY, "svm: out of memory for %zu rows of %u features", n, d);
        goto done;
    }
    struct svm_node *nd = nodes;
    for (size_t i = 0; i < n; i++) {
        prob.x[i] = nd;
        prob.y[i] = (double)labels[i];
        for (uint32_t j = 0; j < d; j++) {
            double v = x[i * d + j];
            if (v != 0.0) *nd++ = (struct svm_node){.index = (int)j + 1, .value = v};
        }
        *nd++ = (struct svm_node){.index = -1, .value = 0};
    }
    struct svm_parameter param = {.svm_type = C_SVC,
                                  .kernel_type = RBF,
                                  .degree = 3,
                                  .gamma = fit->gamma,
                                  .coef0 = 0,
                                  .cache_size = SVM_CACHE_MB,
                                  .eps = o->tol > 0 ? o->tol : SVM_RBF_TOL,
                                  .C = o->c,
                                  .nr_weight = 0,
                                  .weight_label = NULL,
                                  .weight = NULL,
                                  .nu = 0.5,
                                  .p = 0.1,
                                  .shrinking = 1,
                                  .probability = 0};
    const char *msg = svm_check_parameter(&prob, &param);
    if (msg) {
        rc = kl_err(err, KILN_ERR_INVALID, "svm: libsvm: %s", msg);
        goto done;
    }
    svm_capture cap = {0};
    svm_cap = &cap;
    struct svm_model *m = svm_train(&prob, &param);
    svm_cap = NULL;
    if (!m) {
        rc = kl_err(err, KILN_ERR_MEMORY, "svm: libsvm could not train");
        goto done;
    }
    if ((uint32_t)m->nr_class != k || !m->sv_indices || !m->nSV || !m->label) {
        rc = kl_err(err, KILN_ERR_INTERNAL, "svm: libsvm found %d classes, expected %u",
                    m->nr_class, k);
    } else {
        rc = svm_copy_rbf(m, x, d, k, fit, err); /* SV still points into nodes: copy first */
    }
    svm_free_and_destroy_model(&m);
    if (rc == 0) {
        fit->fitted = true;
        if (cap.max_iter_hit)
            snprintf(fit->reason, sizeof fit->reason,
                     "not converged: libsvm reached its iteration limit before tol");
    }
done:
    kl_free(nodes);
    kl_free(prob.x);
    kl_free(prob.y);
    return rc;
}

/* ---- API -------------------------------------------------------------------------------- */

int ml_svm(const double *x, const uint32_t *labels, size_t n, uint32_t d, uint32_t n_classes,
           const ml_svm_opts *o, ml_svm_fit *fit, kl_error *err) {
    memset(fit, 0, sizeof *fit);
    fit->rbf = o->rbf;
    fit->d = d;
    fit->n_classes = n_classes;
    FAIL_IF(!(o->c > 0), err, KILN_ERR_INVALID, "svm: c must be > 0");
    FAIL_IF(!isfinite(o->c), err, KILN_ERR_INVALID, "svm: c must be finite");
    FAIL_IF(isnan(o->tol) || isinf(o->tol), err, KILN_ERR_INVALID, "svm: tol must be finite");
    FAIL_IF(o->rbf && (isnan(o->gamma) || isinf(o->gamma)), err, KILN_ERR_INVALID,
            "svm: gamma must be finite");

    if (n == 0) return svm_not_fitted(fit, "no rows");
    if (d == 0) return svm_not_fitted(fit, "no features");
    for (size_t i = 0; i < n; i++)
        FAIL_IF(labels[i] >= n_classes, err, KILN_ERR_INVALID,
                "svm: label %u out of range for %u classes", labels[i], n_classes);
    if (n_classes < 2) return svm_not_fitted(fit, "one class only in %zu rows", n);
    /* a single class present is data that cannot be fitted; otherwise every class index
       must have rows (they index the distinct label values) */
    uint32_t *count = svm_alloc(n_classes, sizeof *count);
    FAIL_IF(!count, err, KILN_ERR_MEMORY, "svm: out of memory for %u classes", n_classes);
    memset(count, 0, (size_t)n_classes * sizeof *count);
    for (size_t i = 0; i < n; i++) count[labels[i]] += count[labels[i]] < UINT32_MAX;
    uint32_t empty = n_classes, present = 0;
    for (uint32_t c = n_classes; c-- > 0;) {
        if (count[c] == 0) empty = c;
        present += count[c] > 0;
    }
    kl_free(count);
    if (present < 2) return svm_not_fitted(fit, "one class only in %zu rows", n);
    FAIL_IF(empty < n_classes, err, KILN_ERR_INVALID,
            "svm: class %u of %u has no rows (labels must index the distinct label values)",
            empty, n_classes);

    if (n > (size_t)INT_MAX)
        return svm_not_fitted(fit, "%zu rows: at most %d supported", n, INT_MAX);
    if (d > (uint32_t)INT_MAX - 2) return svm_not_fitted(fit, "%u features: too many", d);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return svm_not_fitted(fit, "row %zu has a NaN or infinite feature", i / d + 1);

    pthread_once(&svm_hooks_once, svm_hooks_install);
    int rc = o->rbf ? svm_fit_rbf(x, labels, n, d, n_classes, o, fit, err)
                    : svm_fit_linear(x, labels, n, d, n_classes, o, fit, err);
    if (rc != 0) {
        ml_svm_fit_free(fit);
        fit->rbf = o->rbf;
        fit->d = d;
        fit->n_classes = n_classes;
    }
    return rc;
}

/* exp(-gamma |sv - row|^2) */
static inline double svm_kernel(const double *sv, const double *row, uint32_t d, double gamma) {
    double s = 0;
    for (uint32_t j = 0; j < d; j++) {
        double t = sv[j] - row[j];
        s += t * t;
    }
    return exp(-gamma * s);
}

/* Decision of the pair (a, b), a < b, recomputing its kernels (> 0 votes for a): a's terms,
   then b's, then - rho (the order of the fast path in svm_predict_rbf). */
static double svm_pair_decision(const ml_svm_fit *f, uint32_t a, uint32_t b, const double *row) {
    uint32_t fa = 0, fb = 0; /* first support vector of a and of b */
    for (uint32_t t = 0; t < b; t++) {
        if (t < a) fa += f->n_sv_class[t];
        fb += f->n_sv_class[t];
    }
    const double *ca = f->sv_coef + (size_t)(b - 1) * f->n_sv;
    const double *cb = f->sv_coef + (size_t)a * f->n_sv;
    double s = 0;
    for (uint32_t r = fa; r < fa + f->n_sv_class[a]; r++)
        s += ca[r] * svm_kernel(f->sv + (size_t)r * f->d, row, f->d, f->gamma);
    for (uint32_t r = fb; r < fb + f->n_sv_class[b]; r++)
        s += cb[r] * svm_kernel(f->sv + (size_t)r * f->d, row, f->d, f->gamma);
    return s - f->rho[svm_pair(a, b, f->n_classes)];
}

static uint32_t svm_predict_rbf(const ml_svm_fit *f, const double *row) {
    uint32_t k = f->n_classes;
    if (k <= SVM_FAST_CLASSES) {
        /* each kernel value once: per class a, chunks of its SVs feed every pair (a, b);
           pair (a, b) sums a's terms then b's, as svm_pair_decision does */
        double dec[SVM_FAST_CLASSES * (SVM_FAST_CLASSES - 1) / 2];
        double kv[SVM_KV_CHUNK];
        uint32_t votes[SVM_FAST_CLASSES];
        size_t n_pairs = (size_t)k * (k - 1) / 2;
        for (size_t p = 0; p < n_pairs; p++) dec[p] = 0;
        uint32_t r0 = 0;
        for (uint32_t a = 0; a < k; a++) {
            uint32_t end = r0 + f->n_sv_class[a];
            for (uint32_t c0 = r0; c0 < end; c0 += SVM_KV_CHUNK) {
                uint32_t cn = KL_MIN(SVM_KV_CHUNK, end - c0);
                for (uint32_t t = 0; t < cn; t++)
                    kv[t] = svm_kernel(f->sv + (size_t)(c0 + t) * f->d, row, f->d, f->gamma);
                for (uint32_t b = 0; b < k; b++) {
                    if (b == a) continue;
                    const double *coef = f->sv_coef + (size_t)(b > a ? b - 1 : b) * f->n_sv + c0;
                    double *dp = &dec[a < b ? svm_pair(a, b, k) : svm_pair(b, a, k)];
                    for (uint32_t t = 0; t < cn; t++) *dp += coef[t] * kv[t];
                }
            }
            r0 = end;
        }
        for (uint32_t c = 0; c < k; c++) votes[c] = 0;
        for (uint32_t a = 0; a < k; a++)
            for (uint32_t b = a + 1; b < k; b++) {
                size_t p = svm_pair(a, b, k);
                votes[dec[p] - f->rho[p] > 0 ? a : b]++;
            }
        uint32_t best = 0;
        for (uint32_t c = 1; c < k; c++)
            if (votes[c] > votes[best]) best = c;
        return best;
    }
    /* many classes: no scratch; class c's wins are counted pair by pair (every pair is
       evaluated once for each of its two classes) */
    uint32_t best = 0, best_votes = 0;
    for (uint32_t c = 0; c < k; c++) {
        uint32_t votes = 0;
        for (uint32_t o = 0; o < k; o++) {
            if (o == c) continue;
            uint32_t a = KL_MIN(c, o), b = KL_MAX(c, o);
            votes += (svm_pair_decision(f, a, b, row) > 0 ? a : b) == c;
        }
        if (c == 0 || votes > best_votes) {
            best = c;
            best_votes = votes;
        }
    }
    return best;
}

uint32_t ml_svm_predict(const ml_svm_fit *fit, const double *row) {
    if (!fit->fitted || fit->n_classes < 2) return 0;
    if (fit->rbf) return svm_predict_rbf(fit, row);
    if (fit->n_w == 1) {
        double s = 0;
        for (uint32_t j = 0; j < fit->d; j++) s += fit->w[j] * row[j];
        return s + fit->b[0] > 0 ? 1 : 0;
    }
    uint32_t best = 0;
    double best_v = 0;
    for (uint32_t c = 0; c < fit->n_w; c++) {
        const double *w = fit->w + (size_t)c * fit->d;
        double s = 0;
        for (uint32_t j = 0; j < fit->d; j++) s += w[j] * row[j];
        s += fit->b[c];
        if (c == 0 || s > best_v) {
            best = c;
            best_v = s;
        }
    }
    return best;
}

void ml_svm_fit_free(ml_svm_fit *fit) {
    if (!fit) return;
    kl_free(fit->w);
    kl_free(fit->b);
    kl_free(fit->sv);
    kl_free(fit->sv_coef);
    kl_free(fit->rho);
    kl_free(fit->n_sv_class);
    memset(fit, 0, sizeof *fit);
}
