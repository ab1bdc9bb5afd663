/*
 * svm.c — the support-vector-machine core (ml.h): a linear SVM on Debian's liblinear 2.3 (small
 * problems) or on our own multi-threaded primal Newton solver (big ones), and an RBF-kernel
 * SVM on Debian's libsvm 3.24, with the options and results of scikit-learn 1.2's LinearSVC
 * and SVC. The libraries train; this file builds their problems, reads their models into
 * kiln arrays (then frees the models), and predicts on its own from those arrays,
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
 * liblinear: ..."; unreachable after the checks above, kept as a guard); so does forcing the
 * Newton solver on more than 255 features.
 *
 * Linear (LinearSVC defaults): min over w~ = (w, b) of 0.5 |w~|^2 + C sum_i max(0, 1 - y_i
 * w~ . x~_i)^2, x~_i = (x_i, 1), y_i = +-1 (the L2-regularised squared hinge loss, liblinear's
 * L2R_L2LOSS_SVC; the bias is regularised like the weights: intercept_scaling = 1), C = c;
 * one-vs-rest for more than 2 classes (class c against the rest, one weight vector each);
 * for 2 classes one vector whose positive side is class 1, so w . x + b > 0 always means
 * class 1. Two solvers reach that optimum, chosen by problem size only (never by thread
 * count, so a result does not depend on threads): n * (d + 1) >= SVM_NEWTON_WORK (2^18
 * values, the order of agg_model.c's MODEL_PARALLEL_WORK) with d <= SVM_NEWTON_MAX_D (255)
 * uses the primal Newton method below, smaller problems liblinear (opts.solver forces one).
 *
 * liblinear (small problems). L2R_L2LOSS_SVC_DUAL (dual coordinate descent), eps = tol (1e-4
 * when tol <= 0), bias 1: every row gets a constant feature 1 (index d + 1) whose weight is
 * the intercept. liblinear does one-vs-rest itself; its classes are ordered by first
 * appearance in the data and, for 2 classes, its single weight vector is positive for the
 * first-seen class: the weights are copied per class index and, for 2 classes, negated when
 * class 0 was seen first. Random order: liblinear 2.3 shuffles its coordinates with rand();
 * each training runs under a process-wide mutex right after srand(1), so results are
 * deterministic (identical for identical input, whatever other threads do with liblinear
 * here); they are not bit-identical to scikit-learn, whose bundled liblinear has its own
 * generator (the solution agrees within tol). Sequential. max_iter: liblinear 2.3's dual
 * solver has a fixed limit of 1000 outer iterations and no parameter for it, so max_iter
 * cannot change what it does. The iterations it ran (fit->iterations) and whether it hit the
 * limit are read from its log messages (captured through the print hook): hitting the limit
 * gives fitted = true with a warning in reason ("not converged ..."); a max_iter below the
 * iterations liblinear needed, or above 1000 when the limit was hit, is mentioned in that
 * warning as not applied.
 *
 * Newton (big problems): a primal finite Newton method (Keerthi & DeCoste 2005), one binary
 * problem after the other. Weights are kept augmented with the bias first, beta = (b, w),
 * starting at 0. At beta, with the active set A = {i : y_i beta . a_i < 1}, a_i = (1, x_i):
 *     gradient g = beta + 2C sum_A (beta . a_i - y_i) a_i,
 *     generalised Hessian H = I + 2C sum_A a_i a_i^T (positive definite: no singularity),
 * the step s = -H^-1 g (our Cholesky factorisation), then an exact line search on the
 * piecewise quadratic phi(t) = f(beta + t s): phi' is piecewise linear and increasing, and a
 * Newton step on it from t = 1 (phi'' = s.s + 2C sum over the rows active at t of (s . a_i)^2)
 * lands on its root once on the root's linear piece; it is safeguarded by the bracket of the
 * root (bisection) and accepted when |phi'(t)| <= 1e-9 |phi'(0)| or within the rounding of
 * its terms (SVN_LS_MAX passes at most). Converged when |g| <= tol' |g(0)| with tol' = 1e-3 *
 * tol * max(min(n+, n-), 1) / n: liblinear's rule for its primal Newton solver (n+/n- the
 * rows on each side), a thousand times tighter. Newton converges quadratically once the
 * active set settles (a full step then lands on the exact minimiser), so that costs about
 * one more iteration and leaves the weights ~1e-8 relative from the optimum, far closer
 * than liblinear's dual solver gets at the same tol; 2 to 5 iterations are typical. A
 * pass over the rows costs O(|A| d^2) (H) or O(n d) (a line search point); a step O(d^3).
 * max_iter (0: 1000) limits the Newton iterations of each binary problem: reaching it
 * gives fitted = true and the warning "not converged: max_iter=N Newton iterations reached
 * before tol ..." (for k > 2 naming the first class that did not converge); a line search
 * that finds no descent, or SVN_STALLED steps in a row within 1e-13 of |beta| (the gradient
 * is at its rounding floor: a tol far below what the arithmetic resolves), stop with "not
 * converged: stalled at the rounding limit ..." unless the gradient test then passes. Both
 * warnings end with |g| / |g(0)| and the bound it missed. Values so large that the sums
 * overflow (|x| ~ 1e150) stop with "not converged: the gradient or Hessian overflowed ...".
 * fit->iterations is the most Newton iterations any binary problem took.
 * Threads: the row passes (H and g with the loss; the line search's sums) run on up to
 * opts.threads threads through ml_pass (pass.h): fixed blocks of ML_BLOCK_ROWS rows whose
 * partial sums are added in block order, so the fit is bit-identical for any thread count.
 * Active rows are packed in groups of 4 and accumulated with pass.h's vector kernel, compiled
 * for AVX2 and for the baseline (both round alike).
 *
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
 * Memory: the problems handed to the libraries (row pointers, nodes, y), the Newton solver's
 * work (one block: the ring of 2 slots of (d + 4)^2 doubles per thread, the Hessian and a few
 * vectors; x is read in place, not copied) and all fit arrays are kl_malloc'd (out-of-memory
 * is KILN_ERR_MEMORY, nothing leaks); the libraries' own allocations (models, kernel cache up
 * to 200 MB, solver scratch) use malloc/new: they are not counted by kl_mem_in_use, and the
 * libraries do not survive their own allocation failures (new throws, malloc results are
 * unchecked) — a limitation of the libraries.
 *
 * Bounds: zero-valued features are left out of the problems (sparse nodes), so the problem
 * holds (nnz + 2n) 16-byte nodes for linear and (nnz + n) for rbf. Linear training is
 * O(iterations * nnz) per one-vs-rest class with liblinear, O(iterations * (n d^2 + d^3)) plus
 * O(n d) per line search point with Newton (memory O(threads d^2), no copy of x); rbf training
 * is libsvm's SMO, O(n^2) kernel evaluations worst case per pair of classes. Predict: linear
 * O(n_w * d); rbf O(n_sv * d) kernel work plus O(n_classes^2) votes.
 */
#include "ml/pass.h"

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
#define SVM_NEWTON_WORK (1u << 18) /* linear: n * (d + 1) from which the Newton solver is used */
#define SVM_NEWTON_MAX_D 255u      /* linear: the most features the Newton solver takes */
#define SVN_HDR 2                  /* Hessian pass slot: [0] loss, [1] active rows */
#define SVN_LINE_LEN 3             /* line pass slot */
#define SVN_LS_MAX 40              /* line search: passes at most */
#define SVN_LS_REL 1e-9            /* line search: |phi'(t)| / |phi'(0)| accepted */
#define SVN_LS_NOISE 1e-10         /* line search: |phi'(t)| within this of its terms' scale */
#define SVN_TIGHTER 1e-3           /* Newton: the gradient test is this much tighter than tol's */
#define SVN_STEP_FLOOR 1e-13       /* Newton: a step under this * |beta| is within rounding */
#define SVN_STALLED 3              /* Newton: that many such steps in a row stop it */

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
    fit->iterations = cap.iterations > (long)UINT32_MAX ? UINT32_MAX : (uint32_t)cap.iterations;
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

/* ---- linear, primal Newton ---------------------------------------------------------------- */

/* One binary problem's row passes. The weights are kept augmented with the bias first,
   beta = (b, w_1..w_d), zero padded to dp entries (pass.h's layout). */
typedef struct svn_pass {
    const double *x;
    const uint32_t *labels;
    size_t n;
    uint32_t d, dp;
    uint32_t pos;        /* rows of this class have y = +1, the others -1 */
    const double *beta;  /* the point of a Hessian pass, the origin of a line pass */
    const double *dir;   /* line passes: the direction */
    double t;            /* line passes: the step */
    size_t slot_len;     /* SVN_HDR + dp + dp * dp */
    ml_block_fn hess, line;
    double c, tol;       /* C; the relative gradient tolerance */
    uint32_t max_iter;
    ml_pass run;
} svn_pass;

/* Partial sums of block b at beta over the active rows (y z < 1, z = beta . a): [0] the loss
   sum (1 - y z)^2, [1] the count, then sum (z - y) a (dp) and the upper triangle of sum a a^T
   (dp x dp, ml_group_add). Active rows are packed in groups of 4 in row order. */
static inline __attribute__((always_inline)) void svn_hess_body(const void *arg, size_t b,
                                                                 double *slot, double *scr) {
    const svn_pass *sp = arg;
    const uint32_t d = sp->d, dp = sp->dp;
    const size_t r0 = b * ML_BLOCK_ROWS, r1 = KL_MIN(sp->n, r0 + ML_BLOCK_ROWS);
    double *gs = slot + SVN_HDR, *h = gs + dp;
    ml_group g = ml_group_of(scr, dp);
    double loss = 0.0, active = 0.0, r[4] = {0.0, 0.0, 0.0, 0.0}, w[4] = {1.0, 1.0, 1.0, 1.0};
    int nq = 0;
    for (size_t i = r0; i < r1; i++) {
        const double *xr = sp->x + i * d;
        const double y = sp->labels[i] == sp->pos ? 1.0 : -1.0, z = ml_dot(xr, sp->beta, d);
        const double m = 1.0 - y * z;
        if (!(m > 0.0)) continue;
        loss += m * m;
        active += 1.0;
        ml_group_set(&g, nq, xr, d);
        r[nq] = z - y;
        if (++nq == 4) {
            ml_group_add(&g, r, w, d + 1, dp, gs, h);
            nq = 0;
        }
    }
    if (nq > 0) { /* the last group, padded with exact zeros */
        ml_group_pad(&g, nq, dp);
        for (int q = nq; q < 4; q++) r[q] = w[q] = 0.0;
        ml_group_add(&g, r, w, d + 1, dp, gs, h);
    }
    slot[0] = loss;
    slot[1] = active;
}

/* Partial sums of block b along beta + t dir, over the rows active there (y zt < 1, zt = z +
   t delta, z = beta . a, delta = dir . a): [0] sum (zt - y) delta, [1] sum delta^2, [2] sum
   |(zt - y) delta| (the scale of [0]'s rounding). */
static inline __attribute__((always_inline)) void svn_line_body(const void *arg, size_t b,
                                                                 double *slot, double *scr) {
    (void)scr;
    const svn_pass *sp = arg;
    const uint32_t d = sp->d;
    const size_t r0 = b * ML_BLOCK_ROWS, r1 = KL_MIN(sp->n, r0 + ML_BLOCK_ROWS);
    double s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (size_t i = r0; i < r1; i++) {
        const double *xr = sp->x + i * d;
        const double y = sp->labels[i] == sp->pos ? 1.0 : -1.0;
        const double delta = ml_dot(xr, sp->dir, d), zt = ml_dot(xr, sp->beta, d) + sp->t * delta;
        if (!(1.0 - y * zt > 0.0)) continue;
        const double v = (zt - y) * delta;
        s1 += v;
        s2 += delta * delta;
        s3 += fabs(v);
    }
    slot[0] = s1;
    slot[1] = s2;
    slot[2] = s3;
}

ML_BLOCK_VARIANTS(svn_hess, svn_hess_body)
ML_BLOCK_VARIANTS(svn_line, svn_line_body)

/* In place, a (m x m row-major, lower triangle set) = L L^T, right-looking (outer products).
   False when a pivot is not positive and finite (not expected: the matrix is I + 2C X'X). */
static bool svn_cholesky(double *a, uint32_t m) {
    for (uint32_t k = 0; k < m; k++) {
        double *rk = a + (size_t)k * m;
        if (!(rk[k] > 0.0) || !isfinite(rk[k])) return false;
        rk[k] = sqrt(rk[k]);
        for (uint32_t i = k + 1; i < m; i++) a[(size_t)i * m + k] /= rk[k];
        for (uint32_t j = k + 1; j < m; j++) {
            const double ljk = a[(size_t)j * m + k];
            for (uint32_t i = j; i < m; i++) a[(size_t)i * m + j] -= a[(size_t)i * m + k] * ljk;
        }
    }
    return true;
}

static double svn_dot(const double *u, const double *v, uint32_t m) {
    double s = 0.0;
    for (uint32_t j = 0; j < m; j++) s += u[j] * v[j];
    return s;
}

/* What one binary problem ended with. */
typedef struct svn_result {
    uint32_t iterations;
    bool converged, stalled, overflow;
    double gnorm, gtol, g0; /* |g| at the end, the |g| that converges, |g(0)| */
} svn_result;

/* Scratch of one binary problem (carved from one allocation by svm_fit_newton). */
typedef struct svn_work {
    double *tot;  /* slot_len: the sums at beta */
    double *lt;   /* SVN_LINE_LEN: a line pass */
    double *g, *s; /* dp each: gradient, Newton direction */
    double *a;    /* m x m: the Hessian, then its factor */
} svn_work;

/* The exact line search on phi(t) = f(beta + t s): phi' is piecewise linear and increasing,
   phi'(t) = beta.s + t s.s + 2C sum_{active at t} (zt - y) delta, phi'' = s.s + 2C sum delta^2
   over the same rows. Newton's step on phi' from t = 1, safeguarded by the bracket [lo, hi]
   of the root (bisection when it leaves it), lands on the root once t is on the root's
   linear piece. Accepted when |phi'(t)| <= SVN_LS_REL |phi'(0)| or is within the rounding of
   its terms; after SVN_LS_MAX passes the last point with phi' < 0 (0: none, the caller
   stalls). */
static double svn_line_search(svn_pass *sp, const svn_work *wk, double c, double d0) {
    const uint32_t m = sp->d + 1;
    const double bs = svn_dot(sp->beta, wk->s, m), ss = svn_dot(wk->s, wk->s, m);
    double t = 1.0, lo = 0.0, hi = INFINITY;
    sp->dir = wk->s;
    for (int it = 0; it < SVN_LS_MAX; it++) {
        sp->t = t;
        ml_pass_run(&sp->run, sp->line, sp, SVN_LINE_LEN, wk->lt);
        const double dphi = bs + t * ss + 2.0 * c * wk->lt[0], ddphi = ss + 2.0 * c * wk->lt[1];
        const double noise = SVN_LS_NOISE * (fabs(bs) + t * ss + 2.0 * c * wk->lt[2]);
        if (!isfinite(dphi)) break;
        if (fabs(dphi) <= SVN_LS_REL * fabs(d0) || fabs(dphi) <= noise) return t;
        if (dphi < 0.0) lo = t;
        else hi = t;
        double tn = t - dphi / ddphi;
        if (!(tn > lo && tn < hi)) tn = isfinite(hi) ? 0.5 * (lo + hi) : 2.0 * t;
        if (!(tn != t)) break;
        t = tn;
    }
    return lo;
}

/* Minimises 0.5 |beta|^2 + C sum max(0, 1 - y beta.a)^2 for the positive class sp->pos;
   beta (dp entries) starts at 0 and returns the solution. */
static void svn_solve(svn_pass *sp, const svn_work *wk, uint32_t pos, double *beta,
                      svn_result *res) {
    const uint32_t m = sp->d + 1, dp = sp->dp;
    const double c = sp->c;
    const double *gs = wk->tot + SVN_HDR, *h = gs + dp;
    sp->pos = pos;
    memset(beta, 0, dp * sizeof(double));
    memset(res, 0, sizeof *res);
    size_t npos = 0;
    for (size_t i = 0; i < sp->n; i++) npos += sp->labels[i] == pos;
    size_t nmin = KL_MIN(npos, sp->n - npos);
    int tiny = 0; /* consecutive steps within the rounding of beta */
    for (;;) {
        sp->beta = beta;
        ml_pass_run(&sp->run, sp->hess, sp, sp->slot_len, wk->tot);
        for (uint32_t j = 0; j < m; j++) wk->g[j] = beta[j] + 2.0 * c * gs[j];
        res->gnorm = sqrt(svn_dot(wk->g, wk->g, m));
        if (res->iterations == 0) { /* liblinear's primal rule (tol scaled by the balance), tighter */
            res->g0 = res->gnorm;
            res->gtol = SVN_TIGHTER * sp->tol * (double)(nmin > 0 ? nmin : 1) / (double)sp->n *
                        res->gnorm;
        }
        res->overflow = !isfinite(res->gnorm) || !isfinite(wk->tot[0]);
        if (res->overflow) return;
        if (res->gnorm <= res->gtol) {
            res->converged = true;
            return;
        }
        if (res->iterations >= sp->max_iter) return;
        for (uint32_t i = 0; i < m; i++)
            for (uint32_t j = 0; j <= i; j++)
                wk->a[(size_t)i * m + j] = (i == j ? 1.0 : 0.0) + 2.0 * c * h[(size_t)j * dp + i];
        if (!svn_cholesky(wk->a, m)) { /* not positive definite: only by overflow */
            res->overflow = true;
            return;
        }
        for (uint32_t j = 0; j < m; j++) wk->s[j] = -wk->g[j];
        ml_cholesky_solve(wk->a, m, wk->s);
        const double d0 = svn_dot(wk->g, wk->s, m);
        const double t = d0 < 0.0 ? svn_line_search(sp, wk, c, d0) : 0.0;
        if (!(t > 0.0)) { /* no descent left: the gradient is at its rounding floor */
            res->stalled = true;
            return;
        }
        for (uint32_t j = 0; j < m; j++) beta[j] += t * wk->s[j];
        res->iterations++;
        /* steps within the rounding of beta: the gradient is at its floor (a tol below
           what the arithmetic resolves) */
        const double step = fabs(t) * sqrt(svn_dot(wk->s, wk->s, m));
        tiny = step <= SVN_STEP_FLOOR * sqrt(svn_dot(beta, beta, m)) ? tiny + 1 : 0;
        if (tiny == SVN_STALLED) {
            sp->beta = beta;
            ml_pass_run(&sp->run, sp->hess, sp, sp->slot_len, wk->tot);
            for (uint32_t j = 0; j < m; j++) wk->g[j] = beta[j] + 2.0 * c * gs[j];
            res->gnorm = sqrt(svn_dot(wk->g, wk->g, m));
            res->converged = res->gnorm <= res->gtol;
            res->stalled = !res->converged;
            return;
        }
    }
}

static int svm_fit_newton(const double *x, const uint32_t *labels, size_t n, uint32_t d,
                          uint32_t k, const ml_svm_opts *o, ml_svm_fit *fit, kl_error *err) {
    const uint32_t n_w = k == 2 ? 1 : k, m = d + 1, dp = ml_packed_width(d);
    const int nth = ml_pass_threads(o->threads, n);
    svn_pass sp = {.x = x, .labels = labels, .n = n, .d = d, .dp = dp,
                   .hess = svn_hess_pick(), .line = svn_line_pick(),
                   .c = o->c, .tol = o->tol > 0 ? o->tol : SVM_LINEAR_TOL,
                   .max_iter = o->max_iter ? o->max_iter : SVM_LIBLINEAR_MAX_ITER};
    sp.slot_len = SVN_HDR + dp + (size_t)dp * dp;
    const size_t scr_len = ML_GROUP_SCRATCH(dp), ring = ml_pass_doubles(nth, sp.slot_len, scr_len);
    /* work: the ring with its scratch, the sums at beta, a line pass, g, s, beta (dp each),
       the Hessian (m x m) */
    double *work = NULL;
    if (ring != SIZE_MAX)
        work = svm_alloc(ring + sp.slot_len + SVN_LINE_LEN + 3 * (size_t)dp + (size_t)m * m,
                         sizeof(double));
    fit->w = svm_alloc((size_t)n_w * d, sizeof *fit->w);
    fit->b = svm_alloc(n_w, sizeof *fit->b);
    if (!work || !fit->w || !fit->b) {
        kl_free(work);
        return kl_err(err, KILN_ERR_MEMORY, "svm: out of memory for %u features", d);
    }
    memset(work, 0, (ring + sp.slot_len + SVN_LINE_LEN + 3 * (size_t)dp) * sizeof(double));
    ml_pass_init(&sp.run, n, nth, sp.slot_len, scr_len, work);
    svn_work wk = {.tot = work + ring};
    wk.lt = wk.tot + sp.slot_len;
    wk.g = wk.lt + SVN_LINE_LEN;
    wk.s = wk.g + dp;
    double *beta = wk.s + dp;
    wk.a = beta + dp;

    svn_result worst = {.converged = true};
    uint32_t worst_class = 0;
    for (uint32_t p = 0; p < n_w; p++) {
        svn_result res;
        svn_solve(&sp, &wk, n_w == 1 ? 1 : p, beta, &res);
        memcpy(fit->w + (size_t)p * d, beta + 1, (size_t)d * sizeof(double));
        fit->b[p] = beta[0];
        if (res.iterations > fit->iterations) fit->iterations = res.iterations;
        if (worst.converged && !res.converged) {
            worst = res;
            worst_class = p;
        }
    }
    ml_pass_destroy(&sp.run);
    kl_free(work);
    fit->n_w = n_w;
    fit->fitted = true;
    if (!worst.converged) {
        char cls[32] = "";
        if (n_w > 1) snprintf(cls, sizeof cls, " (class %u vs rest)", worst_class);
        if (worst.overflow)
            snprintf(fit->reason, sizeof fit->reason,
                     "not converged: the gradient or Hessian overflowed after %u Newton "
                     "iterations%s (feature values too large)", worst.iterations, cls);
        else if (worst.stalled)
            snprintf(fit->reason, sizeof fit->reason,
                     "not converged: stalled at the rounding limit after %u Newton iterations%s "
                     "(|g| / |g0| %.3g > %.3g)", worst.iterations, cls, worst.gnorm / worst.g0,
                     worst.gtol / worst.g0);
        else
            snprintf(fit->reason, sizeof fit->reason,
                     "not converged: max_iter=%u Newton iterations reached before tol%s "
                     "(|g| / |g0| %.3g > %.3g)", sp.max_iter, cls, worst.gnorm / worst.g0,
                     worst.gtol / worst.g0);
    }
    return 0;
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

    /* the linear solver: by problem size only, so the result never depends on threads */
    bool newton = o->solver == ML_SVM_SOLVER_NEWTON ||
                  (o->solver == ML_SVM_SOLVER_AUTO && d <= SVM_NEWTON_MAX_D &&
                   (double)n * (double)(d + 1) >= (double)SVM_NEWTON_WORK);
    FAIL_IF(!o->rbf && newton && d > SVM_NEWTON_MAX_D, err, KILN_ERR_INVALID,
            "svm: the Newton solver takes at most %u features", SVM_NEWTON_MAX_D);
    pthread_once(&svm_hooks_once, svm_hooks_install);
    int rc = o->rbf    ? svm_fit_rbf(x, labels, n, d, n_classes, o, fit, err)
             : newton ? svm_fit_newton(x, labels, n, d, n_classes, o, fit, err)
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
