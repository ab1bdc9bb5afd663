/*
 * logreg.c — binary logistic regression (ml.h): maximum likelihood (c <= 0, as statsmodels
 * Logit / scikit-learn penalty=None / MADlib logregr_train) or L2-penalised with an
 * unpenalised intercept (c > 0, as scikit-learn's LogisticRegression(C=c)).
 *
 * API in call order: ml_logreg(x, y, n, d, opts, fit, err) -> ml_logreg_proba(fit, row) for
 * any number of rows -> ml_logreg_fit_free(fit). ml_logreg overwrites *fit (it must not hold
 * arrays); after an error it is an empty fit, and when fitted = false coef and std_err are
 * NULL.
 *
 * Model: a row is augmented with a leading 1, a = (1, x_1..x_d), and beta = coef (beta_0 the
 * intercept, held at 0 without one). With p = sigmoid(a . beta) the objective minimised is
 *     F(beta) = c' * sum_i logloss_i + [c > 0] * 0.5 * sum_{j>=1} beta_j^2,   c' = c or 1,
 *     gradient G = c' * sum_i (p_i - y_i) a_i + [c > 0] (0, beta_1..beta_d),
 *     Hessian  H = c' * sum_i p_i (1 - p_i) a_i a_i^T + [c > 0] diag(0, 1..1).
 * Without an intercept index 0 is left out of the system (m = d unknowns, else m = d + 1).
 *
 * Algorithm: Newton (IRLS). beta starts at 0 with the intercept at logit(mean y). Each step
 * solves H delta = -G by a Cholesky factorisation of our own and backtracks on t = 1, 1/2, ...
 * until F(beta + t delta) <= F + 1e-4 t G.delta (Armijo); a step whose predicted decrease
 * -G.delta is below 1e-11 (1 + |F|) (under the rounding of F itself: we are in Newton's
 * quadratic region) is taken whole. Each pass over the rows evaluates F, G, H (and the number
 * of rows not strictly on their class's side) at one point, so a trial point that is accepted
 * (almost always t = 1) already carries the derivatives of the next step.
 * Stopping rule, checked at every accepted point before a step is taken:
 *   - c <= 0 and every row strictly on its side (y = 1 with a.beta > 0, y = 0 with < 0): the
 *     data are completely separable, no maximum exists; stop with converged = false and the
 *     warning "data are perfectly separable: ...", coefficients finite, std_err NULL;
 *   - converged when max_j |G_j| / (c' * max(1, n)) <= tol, i.e. the largest component of the
 *     gradient of the mean log-loss (plus the penalty divided by c * n) is within tol; the
 *     error of the coefficients is then about tol / (the smallest eigenvalue of H / (c' n)),
 *     and Newton's quadratic convergence usually leaves it far smaller;
 *   - iterations (accepted Newton steps) == max_iter: converged = false with a warning;
 *   - no step length decreases F, or LR_STALLED steps within the rounding of F have not
 *     reached tol (a tol below what the arithmetic resolves: the gradient is at its rounding
 *     floor; Newton needs one or two such steps otherwise): converged = false, a warning.
 * Singularity: the Cholesky factorisation declares H singular when a pivot falls to <= 1e-11
 * of its diagonal entry (1 - R^2 of that column regressed on the earlier ones). At the first
 * step (rank-deficient x: a constant, all-zero or duplicated feature) the fit is not done:
 * fitted = false with a reason naming the columns ("the information matrix is singular:
 * features 2 and 3 are collinear"). Later (weights vanishing under quasi-separation) the fit
 * stops with fitted = true, converged = false and a warning. With c > 0 H is always positive
 * definite, so a rank-deficient x gets the (unique) penalised solution. Quasi-complete
 * separation (the classes only touch, rows on the boundary) is not detected as such: the
 * coefficients along the separating direction grow until the gradient test passes (large but
 * finite values, as scikit-learn gives) or H becomes singular (the warning above).
 * std_err (c <= 0 only) = sqrt(diag(H^-1)) at the final coefficients, intercept included
 * (std_err[0] = 0 without an intercept); NULL when H is singular there or the data are
 * separable. log_likelihood = sum y log p + (1 - y) log(1 - p) at the final coefficients
 * (also when penalised).
 *
 * Numerics: with e = exp(-|z|), s = 1 + e: the log-loss is log(1 + e) (+ |z| on the wrong
 * side; lr_log1p: within 1.2e-13 relative), p and 1 - p are 1/s and e/s by the sign of z,
 * p (1 - p) = e / s^2: no overflow, no cancellation. In a row pass, rows are processed in
 * groups of 4 (a fixed grouping from the block start): the group's augmented rows and
 * w_i a_i are packed into buffers padded to a multiple of 4 columns, and the upper triangle
 * of H gets
 *     h[j][k] += (w0 a0j a0k + w1 a1j a1k) + (w2 a2j a2k + w3 a3j a3k)
 * over vectors of 4 columns (GCC vector extensions; the kernel is ml_group_add of pass.h,
 * shared with svm.c). On x86 the row pass is compiled twice, for AVX2 and for the baseline,
 * and picked at run time with __builtin_cpu_supports (ML_BLOCK_VARIANTS; not an ifunc:
 * sanitizer runtimes cannot run resolvers); the arithmetic is element-wise with no FMA
 * contraction (GCC's ISO C mode, the STDC pragma for clang), so both round alike and give
 * the same bits.
 *
 * Threads: a pass (ml_pass, pass.c) splits the rows into blocks of ML_BLOCK_ROWS; workers
 * (the caller plus up to threads - 1 pthreads) claim blocks in order, compute a block's
 * partial sums into a slot of a ring and add finished partials to the totals strictly in
 * block order (whoever finishes the next block in order folds all consecutive ready ones; a
 * worker waits for a free slot). The sums are therefore bit-identical for any thread count.
 *
 * Bounds: per pass O(n d^2) arithmetic and one read of x and y; memory O(threads d^2) for
 * the ring (2 slots per thread of (d+4)^2 doubles) plus O(d^2) for the factorisation; no
 * copy of x. Newton steps cost O(d^3).
 */
#include "ml/pass.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define LR_HDR 2                /* slot: [0] log-loss sum, [1] rows not strictly separated */
#define LR_ARMIJO 1e-4
#define LR_NOISE 1e-11          /* predicted decrease under this * (1 + |F|): take the step */
#define LR_MAX_HALVINGS 60
#define LR_STALLED 10           /* steps within the rounding of F that end the iterations */
#define LR_PIVOT_REL 1e-11      /* Cholesky pivot / diagonal at or below this: singular */
#define LR_PARTNER_REL 1e-6     /* standardised weight of a column in a collinearity */
#define LR_MAX_D (1u << 24)

/* ---- one pass over the rows ------------------------------------------------------------ */

typedef struct lr_pass {
    const double *x, *y;
    size_t n;
    uint32_t d, dp;     /* features; augmented width d + 1 rounded up to a multiple of 4 */
    const double *beta; /* dp entries, zero padded */
    size_t slot_len;    /* LR_HDR + dp + dp * dp */
    ml_block_fn block;  /* the AVX2 or the baseline row pass */
    ml_pass run;
} lr_pass;

/* log(1 + e) for e in [0, 1]: the log of 1 + e rounded (absolute error within 2^-52, so
   relative 1.2e-13 at worst) unless e < 2^-10, where 5 terms of the series are within 2e-16
   relative. (glibc's log1p costs more than exp and log together.) */
static inline double lr_log1p(double e) {
    if (e < 0x1p-10) return e * (1.0 - e * (0.5 - e * (1.0 / 3.0 - e * (0.25 - e * 0.2))));
    return log(1.0 + e);
}

/* Partial sums of block b into slot (zeroed): log-loss, count of rows not strictly
   separated, the gradient sum (p - y) a and the upper triangle of sum p (1 - p) a a^T
   (row-major dp x dp; ml_group_add). */
static inline __attribute__((always_inline)) void lr_block_body(const void *arg, size_t b,
                                                                 double *slot, double *scr) {
    const lr_pass *ps = arg;
    const uint32_t d = ps->d, dp = ps->dp, dd = d + 1;
    const size_t r0 = b * ML_BLOCK_ROWS, r1 = KL_MIN(ps->n, r0 + ML_BLOCK_ROWS);
    double *gs = slot + LR_HDR, *h = gs + dp;
    ml_group g = ml_group_of(scr, dp);
    double loss = 0.0, bad = 0.0;
    for (size_t i = r0; i < r1; i += 4) {
        /* in phases, so that the four rows' independent work overlaps */
        const size_t nq = KL_MIN(4u, r1 - i);
        double z[4], r[4] = {0.0, 0.0, 0.0, 0.0}, w[4] = {0.0, 0.0, 0.0, 0.0};
        for (size_t q = 0; q < nq; q++) {
            const double *xr = ps->x + (i + q) * d;
            z[q] = ml_dot(xr, ps->beta, d);
            ml_group_set(&g, (int)q, xr, d);
        }
        ml_group_pad(&g, (int)nq, dp); /* padding rows of the last group: exact zeros */
        for (size_t q = 0; q < nq; q++) {
            bool pos = ps->y[i + q] != 0.0;
            double e = exp(-fabs(z[q])), inv = 1.0 / (1.0 + e);
            double margin = pos ? z[q] : -z[q];
            double l1e = lr_log1p(e);
            loss += margin >= 0.0 ? l1e : l1e - margin;
            bad += margin <= 0.0 ? 1.0 : 0.0;
            /* p and 1 - p */
            double p = z[q] >= 0.0 ? inv : e * inv, p1 = z[q] >= 0.0 ? e * inv : inv;
            r[q] = pos ? -p1 : p;
            w[q] = e * inv * inv;
        }
        ml_group_add(&g, r, w, dd, dp, gs, h);
    }
    slot[0] = loss;
    slot[1] = bad;
}

/* The row pass for the baseline (SSE2 pairs on x86-64) and for AVX2 (4-wide vectors). */
ML_BLOCK_VARIANTS(lr_block, lr_block_body)

/* Sums at beta into tot. */
static void lr_eval(lr_pass *ps, const double *beta, double *tot) {
    ps->beta = beta;
    ml_pass_run(&ps->run, ps->block, ps, ps->slot_len, tot);
}

/* ---- the Newton system ------------------------------------------------------------------ */

typedef struct lr_sys {
    uint32_t d, dp, s, m; /* s = first unknown (0 with an intercept, else 1), m = d + 1 - s */
    double cp;            /* c' */
    bool pen;
} lr_sys;

static double lr_objective(const lr_sys *sy, const double *tot, const double *beta) {
    double f = sy->cp * tot[0];
    if (sy->pen) {
        double q = 0.0;
        for (uint32_t j = 1; j <= sy->d; j++) q += beta[j] * beta[j];
        f += 0.5 * q;
    }
    return f;
}

/* g[j] = G_j for j in [s, d] (g has dp entries; others 0); returns max |G_j|. */
static double lr_gradient(const lr_sys *sy, const double *tot, const double *beta, double *g) {
    const double *gs = tot + LR_HDR;
    double gmax = 0.0;
    memset(g, 0, sy->dp * sizeof(double));
    for (uint32_t j = sy->s; j <= sy->d; j++) {
        g[j] = sy->cp * gs[j] + (sy->pen && j >= 1 ? beta[j] : 0.0);
        double v = fabs(g[j]);
        if (!(v <= gmax)) gmax = v; /* NaN propagates */
    }
    return gmax;
}

/* Entry (i, k), i <= k (indexes of the unknowns), of the objective's Hessian. */
static inline double lr_hess(const lr_sys *sy, const double *tot, uint32_t i, uint32_t k) {
    uint32_t gi = i + sy->s, gk = k + sy->s;
    double v = sy->cp * tot[LR_HDR + sy->dp + (size_t)gi * sy->dp + gk];
    if (sy->pen && gi == gk && gi >= 1) v += 1.0;
    return v;
}

/* Cholesky H = L L^T into l (m x m row-major, lower). Returns -1, or the index of the
   unknown whose pivot is <= LR_PIVOT_REL of its diagonal (rows of l before it are set, and
   row p holds L_pk for k < p). */
static long lr_cholesky(const lr_sys *sy, const double *tot, double *l) {
    const uint32_t m = sy->m;
    for (uint32_t j = 0; j < m; j++) {
        double diag = lr_hess(sy, tot, j, j), s = diag;
        for (uint32_t k = 0; k < j; k++) s -= l[(size_t)j * m + k] * l[(size_t)j * m + k];
        if (!(s > LR_PIVOT_REL * diag) || !isfinite(s)) return (long)j;
        double ljj = sqrt(s);
        l[(size_t)j * m + j] = ljj;
        for (uint32_t i = j + 1; i < m; i++) {
            double v = lr_hess(sy, tot, j, i);
            for (uint32_t k = 0; k < j; k++) v -= l[(size_t)i * m + k] * l[(size_t)j * m + k];
            l[(size_t)i * m + j] = v / ljj;
        }
    }
    return -1;
}

/* Append one formatted number to the reason text (silently truncated at cap). */
static void lr_append(char *buf, size_t cap, const char *fmt, uint32_t v) {
    size_t len = strlen(buf);
    if (len + 1 < cap) snprintf(buf + len, cap - len, fmt, v);
}

/* The reason for a singular H at unknown p of the first step: which columns make column p
   a combination of the earlier ones. Their weights are the regression of column p on the
   earlier columns, L11^-T (row p of L); a weight counts when, scaled by the ratio of the
   columns' norms, it exceeds LR_PARTNER_REL. b is scratch of m entries. */
static void lr_singular_reason(const lr_sys *sy, const double *tot, const double *l, uint32_t p,
                               double *b, char *reason) {
    const uint32_t m = sy->m, feat = p + sy->s;
    const size_t cap = ML_REASON_LEN;
    double hpp = lr_hess(sy, tot, p, p);
    if (feat == 0 || !isfinite(hpp)) { /* the intercept's pivot is sum w > 0: not expected */
        snprintf(reason, cap, "the information matrix is singular");
        return;
    }
    snprintf(reason, cap, "the information matrix is singular: ");
    if (!(hpp > 0.0)) {
        lr_append(reason, cap, "feature %u is all zeros", feat);
        return;
    }
    for (uint32_t k = 0; k < p; k++) b[k] = l[(size_t)p * m + k];
    for (uint32_t i = p; i-- > 0;) { /* back substitution with L11^T */
        double v = b[i];
        for (uint32_t k = i + 1; k < p; k++) v -= l[(size_t)k * m + i] * b[k];
        b[i] = v / l[(size_t)i * m + i];
    }
    uint32_t partners = 0, last = 0;
    bool icpt = false;
    for (uint32_t k = 0; k < p; k++) {
        if (!(fabs(b[k]) * sqrt(lr_hess(sy, tot, k, k) / hpp) > LR_PARTNER_REL)) {
            b[k] = 0.0;
        } else if (k + sy->s == 0) {
            icpt = true;
        } else {
            partners++;
            last = k + sy->s;
        }
    }
    if (partners == 0 && icpt) {
        lr_append(reason, cap, "feature %u is constant", feat);
    } else if (partners == 0) {
        lr_append(reason, cap, "feature %u is (nearly) all zeros", feat);
    } else if (partners == 1 && !icpt) {
        lr_append(reason, cap, "features %u", last);
        lr_append(reason, cap, " and %u are collinear", feat);
    } else {
        lr_append(reason, cap, "feature %u is a linear combination of", feat);
        uint32_t listed = 0;
        for (uint32_t k = 0; k < p; k++) {
            if (b[k] == 0.0 || k + sy->s == 0) continue;
            lr_append(reason, cap, listed++ ? ", %u" : " features %u", k + sy->s);
        }
        size_t len = strlen(reason);
        if (icpt) snprintf(reason + len, cap - len, " and the intercept");
    }
}

/* std_err[s..d] = sqrt(diag(H^-1)) from the factor l; y is scratch of m entries. */
static void lr_std_err(const double *l, uint32_t m, uint32_t s, double *y, double *se) {
    for (uint32_t j = 0; j < m; j++) { /* column j of L^-1: rows j.. */
        double acc = 0.0;
        for (uint32_t i = j; i < m; i++) {
            double v = i == j ? 1.0 : 0.0;
            for (uint32_t k = j; k < i; k++) v -= l[(size_t)i * m + k] * y[k];
            y[i] = v / l[(size_t)i * m + i];
            acc += y[i] * y[i];
        }
        se[j + s] = sqrt(acc);
    }
}

/* ---- the fit ------------------------------------------------------------------------------ */

static int lr_not_fitted(ml_logreg_fit *fit, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int lr_not_fitted(ml_logreg_fit *fit, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fit->reason, ML_REASON_LEN, fmt, ap);
    va_end(ap);
    fit->fitted = false;
    return 0;
}

/* Options (errors) and data (fitted = false with a reason); *go = the fit can be done. */
static int lr_check(const double *y, size_t n, uint32_t d, const ml_logreg_opts *o,
                    ml_logreg_fit *fit, size_t *ones, bool *go, kl_error *err) {
    FAIL_IF(!o, err, KILN_ERR_INVALID, "logreg: no options");
    FAIL_IF(o->max_iter == 0, err, KILN_ERR_INVALID, "logreg: max_iter must be >= 1");
    FAIL_IF(!(o->tol > 0.0) || !isfinite(o->tol), err, KILN_ERR_INVALID,
            "logreg: tol must be a finite number > 0");
    FAIL_IF(isnan(o->c) || isinf(o->c), err, KILN_ERR_INVALID, "logreg: c must be finite");
    FAIL_IF(d >= LR_MAX_D, err, KILN_ERR_MEMORY, "logreg: %u features need too much memory", d);
    *ones = 0;
    *go = false;
    if (n == 0) return lr_not_fitted(fit, "no rows");
    for (size_t i = 0; i < n; i++) {
        if (y[i] == 1.0) (*ones)++;
        else if (y[i] != 0.0)
            return lr_not_fitted(fit, "y must be 0 or 1 (row %zu has %g)", i + 1, y[i]);
    }
    uint32_t m = d + (o->intercept ? 1u : 0u);
    if (m == 0) return lr_not_fitted(fit, "no coefficients to fit (no features, no intercept)");
    if (*ones == 0 || *ones == n)
        return lr_not_fitted(fit, "one class only: every y is %d", *ones ? 1 : 0);
    if (o->c <= 0.0 && n < m)
        return lr_not_fitted(fit, "%zu rows for %u coefficients", n, m);
    *go = true;
    return 0;
}

int ml_logreg(const double *x, const double *y, size_t n, uint32_t d, const ml_logreg_opts *o,
              ml_logreg_fit *fit, kl_error *err) {
    memset(fit, 0, sizeof *fit);
    fit->d = d;
    size_t ones = 0;
    bool go = false;
    TRY(lr_check(y, n, d, o, fit, &ones, &go, err));
    if (!go) return 0;

    lr_sys sy = {.d = d, .dp = (d + 4u) & ~3u, .s = o->intercept ? 0u : 1u};
    sy.m = d + 1 - sy.s;
    sy.pen = o->c > 0.0;
    sy.cp = sy.pen ? o->c : 1.0;
    const uint32_t dp = sy.dp, m = sy.m;
    int nth = ml_pass_threads(o->threads, n);

    lr_pass ps = {.block = lr_block_pick(), .x = x, .y = y, .n = n, .d = d, .dp = dp};
    ps.slot_len = LR_HDR + dp + (size_t)dp * dp;
    const size_t scr_len = ML_GROUP_SCRATCH(dp), ring_len = ml_pass_doubles(nth, ps.slot_len, scr_len);
    /* work: the ring with 8 dp scratch per worker, 2 totals (current point, trial point),
       beta, trial beta, step, gradient (dp each), L (m x m), scratch (m) */
    size_t work_len = ring_len + 2 * ps.slot_len + 4 * (size_t)dp + (size_t)m * m + m;
    double *work = kl_calloc(work_len, sizeof(double));
    fit->coef = kl_calloc((size_t)d + 1, sizeof(double));
    if (!work || !fit->coef) {
        kl_free(work);
        ml_logreg_fit_free(fit);
        return kl_err(err, KILN_ERR_MEMORY, "logreg: out of memory (%u features)", d);
    }
    fit->d = d;
    ml_pass_init(&ps.run, n, nth, ps.slot_len, scr_len, work);
    double *cur = work + ring_len, *trial = cur + ps.slot_len;
    double *beta = trial + ps.slot_len, *bnew = beta + dp, *step = bnew + dp, *g = step + dp;
    double *l = g + dp, *tmp = l + (size_t)m * m;

    if (o->intercept) beta[0] = log((double)ones / (double)(n - ones));
    lr_eval(&ps, beta, cur);
    double f = lr_objective(&sy, cur, beta);
    double gmax = lr_gradient(&sy, cur, beta, g);
    const double gscale = sy.cp * (n > 1 ? (double)n : 1.0);
    bool ok = isfinite(f) && isfinite(gmax), separable = false, singular = false;
    if (!ok) lr_not_fitted(fit, "x holds a value that is not finite (NaN or infinity)");
    uint32_t iter = 0, noise_steps = 0;
    while (ok) {
        if (!sy.pen && cur[1] == 0.0) {
            separable = true;
            snprintf(fit->reason, ML_REASON_LEN,
                     "data are perfectly separable: no finite maximum likelihood (the "
                     "coefficients separate every row after %u Newton step%s)", iter,
                     iter == 1 ? "" : "s");
            break;
        }
        if (gmax / gscale <= o->tol) {
            fit->converged = true;
            break;
        }
        if (iter == o->max_iter) {
            snprintf(fit->reason, ML_REASON_LEN,
                     "did not converge in %u iteration%s (scaled gradient %.3g > tol %.3g)",
                     iter, iter == 1 ? "" : "s", gmax / gscale, o->tol);
            break;
        }
        long piv = lr_cholesky(&sy, cur, l);
        if (piv >= 0) {
            if (iter == 0) {
                lr_singular_reason(&sy, cur, l, (uint32_t)piv, tmp, fit->reason);
                ok = false;
            } else {
                singular = true;
                snprintf(fit->reason, ML_REASON_LEN,
                         "the information matrix became singular at iteration %u (the data "
                         "are nearly separable); not converged", iter);
            }
            break;
        }
        for (uint32_t j = 0; j < m; j++) step[j] = -g[j + sy.s];
        ml_cholesky_solve(l, m, step);
        double slope = 0.0;
        for (uint32_t j = 0; j < m; j++) slope += g[j + sy.s] * step[j];
        bool accepted = false, in_noise = -slope <= LR_NOISE * (1.0 + fabs(f));
        double t = 1.0, fnew = f;
        for (int h = 0; h <= LR_MAX_HALVINGS && !accepted; h++, t *= 0.5) {
            memcpy(bnew, beta, dp * sizeof(double));
            for (uint32_t j = 0; j < m; j++) bnew[j + sy.s] = beta[j + sy.s] + t * step[j];
            lr_eval(&ps, bnew, trial);
            fnew = lr_objective(&sy, trial, bnew);
            accepted = isfinite(fnew) &&
                       (fnew <= f + LR_ARMIJO * t * slope || (h == 0 && in_noise));
        }
        if (!accepted) {
            snprintf(fit->reason, ML_REASON_LEN,
                     "no step decreases the objective at iteration %u (scaled gradient %.3g > "
                     "tol %.3g)", iter, gmax / gscale, o->tol);
            break;
        }
        double *sw = cur;
        cur = trial;
        trial = sw;
        memcpy(beta, bnew, dp * sizeof(double));
        f = fnew;
        gmax = lr_gradient(&sy, cur, beta, g);
        iter++;
        /* Newton converges quadratically once its steps are within the rounding of F: if
           LR_STALLED such steps have not reached tol, the gradient is at its rounding floor */
        noise_steps += in_noise;
        if (noise_steps == LR_STALLED && !(gmax / gscale <= o->tol)) {
            snprintf(fit->reason, ML_REASON_LEN,
                     "stalled at the rounding limit after %u iterations (scaled gradient %.3g "
                     "> tol %.3g)", iter, gmax / gscale, o->tol);
            break;
        }
        if (!isfinite(gmax)) { /* cannot happen with finite data; never report NaN */
            snprintf(fit->reason, ML_REASON_LEN, "the gradient is not finite at iteration %u",
                     iter);
            break;
        }
    }
    ml_pass_destroy(&ps.run);

    int rc = 0;
    if (ok) {
        fit->fitted = true;
        fit->iterations = iter;
        fit->log_likelihood = -cur[0];
        memcpy(fit->coef, beta, ((size_t)d + 1) * sizeof(double));
        if (!sy.pen && !separable && !singular) {
            if (lr_cholesky(&sy, cur, l) >= 0) {
                if (!fit->reason[0])
                    snprintf(fit->reason, ML_REASON_LEN,
                             "the information matrix is singular at the solution: no standard "
                             "errors");
            } else if (!(fit->std_err = kl_calloc((size_t)d + 1, sizeof(double)))) {
                rc = kl_err(err, KILN_ERR_MEMORY, "logreg: out of memory");
            } else {
                lr_std_err(l, m, sy.s, tmp, fit->std_err);
            }
        }
    }
    kl_free(work);
    if (rc || !fit->fitted) {
        bool fitted = fit->fitted;
        char reason[ML_REASON_LEN];
        memcpy(reason, fit->reason, sizeof reason);
        ml_logreg_fit_free(fit);
        fit->d = d;
        if (!rc && !fitted) memcpy(fit->reason, reason, sizeof reason);
    }
    return rc;
}

double ml_logreg_proba(const ml_logreg_fit *fit, const double *row) {
    if (!fit || !fit->fitted || !fit->coef) return NAN;
    double z = fit->coef[0];
    for (uint32_t j = 0; j < fit->d; j++) z += fit->coef[j + 1] * row[j];
    double e = exp(-fabs(z));
    return z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

void ml_logreg_fit_free(ml_logreg_fit *fit) {
    if (!fit) return;
    kl_free(fit->coef);
    kl_free(fit->std_err);
    memset(fit, 0, sizeof *fit);
}
