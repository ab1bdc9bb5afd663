/*
 * linreg.c — ordinary least squares from sufficient statistics (ml_linreg), its prediction,
 * and the two tail probabilities the model statistics need (Student's t, the normal).
 *
 * API: ml_linreg(n, k, mean, m2, intercept) -> fit (coefficients, std errors, t statistics,
 * p-values, r2, adjusted r2, condition number) -> ml_linreg_predict -> ml_linreg_fit_free.
 *
 * Algorithm. The caller streams rows into (n, mean, M) with Welford/Chan updates (centred
 * cross products keep the precision that raw sums of squares lose). With an intercept the
 * normal equations are those of the centred data: S = M_xx, s = M_xy; without, the
 * uncentred ones are rebuilt as S = M_xx + n mx mx', s = M_xy + n mx my. S is scaled to unit
 * diagonal (a correlation-like matrix, so the tolerance below is scale-free) and factored
 * by a Cholesky that takes the features in order and drops one whose residual variance
 * against the kept ones is <= ML_ALIAS_TOL of its own (it is a linear combination of the
 * earlier features: *aliased*, as R's lm reports). The kept system gives beta; the inverse
 * of the factor gives (X'X)^-1 for the standard errors:
 *     RSS = s_yy - beta . s,  sigma^2 = RSS / (n - rank),  se_j = sigma sqrt((S^-1)_jj),
 *     intercept = my - beta . mx,  se_0 = sigma sqrt(1/n + mx' S^-1 mx),
 *     t_j = beta_j / se_j,  p_j = 2 P(T_{n-rank} > |t_j|).
 * r2 = 1 - RSS / s_yy (uncentred without an intercept, as R and statsmodels); condition_no
 * is the ratio of the extreme eigenvalues of X'X including the intercept column (LAPACK
 * dsyev), as MADlib reports it.
 *
 * Bounds: k <= ML_LINREG_MAX_FEATURES; O(k^3) work and O(k^2) memory per fit.
 */
#include "ml/ml.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>

#define ML_ALIAS_TOL 1e-12

/* ---- tail probabilities ------------------------------------------------------------------ */

/* Continued fraction of the regularized incomplete beta function (modified Lentz), valid
   for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x) {
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 10000; m++) {
        double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + num / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + num / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < 1e-16) break;
    }
    return h;
}

/* I_x(a, b) */
static double beta_inc(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lfront = a * log(x) + b * log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b));
    if (x < (a + 1.0) / (a + b + 2.0)) return exp(lfront) * beta_cf(a, b, x) / a;
    return 1.0 - exp(lfront) * beta_cf(b, a, 1.0 - x) / b;
}

double ml_norm_sf(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

double ml_t_sf(double t, double df) {
    if (isnan(t) || isnan(df) || df <= 0) return NAN;
    if (isinf(t)) return t > 0 ? 0.0 : 1.0;
    if (df > 1e7) return ml_norm_sf(t);
    double x = df / (df + t * t);
    double tail = 0.5 * beta_inc(0.5 * df, 0.5, x); /* P(T > |t|) */
    return t >= 0 ? tail : 1.0 - tail;
}

/* ---- the fit ----------------------------------------------------------------------------- */

void ml_linreg_fit_free(ml_linreg_fit *fit) {
    if (!fit) return;
    kl_free(fit->coef);
    kl_free(fit->std_err);
    kl_free(fit->t_stat);
    kl_free(fit->p_value);
    fit->coef = fit->std_err = fit->t_stat = fit->p_value = NULL;
}

double ml_linreg_predict(const ml_linreg_fit *fit, const double *row) {
    double y = fit->intercept ? fit->coef[0] : 0.0;
    for (uint32_t j = 1; j <= fit->d; j++)
        if (!isnan(fit->coef[j])) y += fit->coef[j] * row[j - 1];
    return y;
}

/* Largest / smallest eigenvalue of the q x q symmetric matrix a (destroyed). */
static double condition_number(double *a, int q, double *w) {
    if (q == 0) return NAN;
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', q, a, q, w) != 0) return NAN;
    double lo = w[0], hi = w[q - 1]; /* ascending */
    if (!(lo > 0)) return INFINITY;
    return hi / lo;
}

int ml_linreg(int64_t n, uint32_t k, const double *mean, const double *m2, bool intercept,
              ml_linreg_fit *fit, kl_error *err) {
    memset(fit, 0, sizeof *fit);
    fit->d = k;
    fit->intercept = intercept;
    if (k > ML_LINREG_MAX_FEATURES)
        return kl_err(err, KILN_ERR_INVALID, "linreg: at most %d features", ML_LINREG_MAX_FEATURES);
    const uint32_t p = k + 1, q = k + (intercept ? 1 : 0);
    size_t kk = (size_t)k * k;
    fit->coef = kl_malloc((k + 1) * sizeof(double));
    fit->std_err = kl_malloc((k + 1) * sizeof(double));
    fit->t_stat = kl_malloc((k + 1) * sizeof(double));
    fit->p_value = kl_malloc((k + 1) * sizeof(double));
    /* S (k x k), L (k x k), Linv (k x k), Sinv (k x k), A (q x q), scratch vectors */
    double *work = kl_malloc((4 * kk + (size_t)q * q + 6 * (size_t)p + 8) * sizeof(double));
    uint32_t *kept = kl_malloc((k + 1) * sizeof *kept);
    if (!fit->coef || !fit->std_err || !fit->t_stat || !fit->p_value || !work || !kept) {
        kl_free(work);
        kl_free(kept);
        ml_linreg_fit_free(fit);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory fitting linreg");
    }
    for (uint32_t j = 0; j <= k; j++) fit->coef[j] = fit->std_err[j] = fit->t_stat[j] = fit->p_value[j] = NAN;
    fit->r2 = fit->adj_r2 = fit->condition_no = fit->df = NAN;
    double *S = work, *L = S + kk, *Li = L + kk, *Si = Li + kk, *A = Si + kk;
    double *scale = A + (size_t)q * q, *sxy = scale + p, *v = sxy + p, *bs = v + p, *eig = bs + p;

    if (n < (int64_t)q || n == 0) {
        snprintf(fit->reason, sizeof fit->reason, "%lld row%s for %u coefficient%s", (long long)n,
                 n == 1 ? "" : "s", q, q == 1 ? "" : "s");
        kl_free(work);
        kl_free(kept);
        return 0;
    }
    const double dn = (double)n, my = mean[k];
    double syy = m2[ML_PACKED(p, k, k)] + (intercept ? 0.0 : dn * my * my);
    for (uint32_t a = 0; a < k; a++) {
        sxy[a] = m2[ML_PACKED(p, a, k)] + (intercept ? 0.0 : dn * mean[a] * my);
        for (uint32_t b = a; b < k; b++) {
            double s = m2[ML_PACKED(p, a, b)] + (intercept ? 0.0 : dn * mean[a] * mean[b]);
            S[a * k + b] = S[b * k + a] = s;
        }
    }

    /* ordered Cholesky of the scaled S, dropping aliased features */
    uint32_t r = 0;
    for (uint32_t j = 0; j < k; j++) {
        double sjj = S[j * k + j];
        if (!(sjj > 0) || !isfinite(sjj)) continue;
        scale[j] = sqrt(sjj);
        double ss = 0;
        for (uint32_t i = 0; i < r; i++) { /* forward substitution: L w = v */
            uint32_t c = kept[i];
            double w = S[c * k + j] / (scale[c] * scale[j]);
            for (uint32_t t = 0; t < i; t++) w -= L[i * k + t] * L[r * k + t];
            w /= L[i * k + i];
            L[r * k + i] = w;
            ss += w * w;
        }
        double resid = 1.0 - ss;
        if (!(resid > ML_ALIAS_TOL)) continue;
        L[r * k + r] = sqrt(resid);
        kept[r++] = j;
    }
    /* Linv (lower), then Si = Linv' Linv (scaled inverse of the kept system) */
    for (uint32_t i = 0; i < r; i++) {
        Li[i * k + i] = 1.0 / L[i * k + i];
        for (uint32_t j = 0; j < i; j++) {
            double s = 0;
            for (uint32_t t = j; t < i; t++) s += L[i * k + t] * Li[t * k + j];
            Li[i * k + j] = -s / L[i * k + i];
        }
    }
    for (uint32_t i = 0; i < r; i++)
        for (uint32_t j = 0; j <= i; j++) {
            double s = 0;
            for (uint32_t t = i; t < r; t++) s += Li[t * k + i] * Li[t * k + j];
            Si[i * k + j] = Si[j * k + i] = s;
        }
    /* beta (scaled) = Si * (s_kept / scale) */
    for (uint32_t i = 0; i < r; i++) v[i] = sxy[kept[i]] / scale[kept[i]];
    double fitted_ss = 0;
    for (uint32_t i = 0; i < r; i++) {
        double s = 0;
        for (uint32_t j = 0; j < r; j++) s += Si[i * k + j] * v[j];
        bs[i] = s;
        fitted_ss += s * v[i];
    }
    double rss = syy - fitted_ss;
    if (!(rss > 0)) rss = 0;
    fit->rank = r + (intercept ? 1u : 0u);
    fit->df = (double)(n - (int64_t)fit->rank);
    double sigma2 = fit->df > 0 ? rss / fit->df : NAN;

    double b0 = my;
    for (uint32_t i = 0; i < r; i++) {
        uint32_t c = kept[i];
        double beta = bs[i] / scale[c];
        fit->coef[c + 1] = beta;
        b0 -= beta * mean[c];
        double se = sqrt(sigma2 * Si[i * k + i]) / scale[c];
        fit->std_err[c + 1] = se;
    }
    if (intercept) {
        fit->coef[0] = b0;
        /* 1/n + mx' S^-1 mx over the kept features */
        double quad = 0;
        for (uint32_t i = 0; i < r; i++) {
            double s = 0;
            for (uint32_t j = 0; j < r; j++) s += Si[i * k + j] * mean[kept[j]] / scale[kept[j]];
            quad += mean[kept[i]] / scale[kept[i]] * s;
        }
        fit->std_err[0] = sqrt(sigma2 * (1.0 / dn + quad));
    }
    for (uint32_t j = 0; j <= k; j++) {
        if (isnan(fit->coef[j]) || isnan(fit->std_err[j])) continue;
        double t = fit->std_err[j] > 0 ? fit->coef[j] / fit->std_err[j]
                                       : (fit->coef[j] == 0 ? NAN : copysign(INFINITY, fit->coef[j]));
        fit->t_stat[j] = t;
        if (!isnan(t)) fit->p_value[j] = 2.0 * ml_t_sf(fabs(t), fit->df);
    }
    if (syy > 0) {
        fit->r2 = 1.0 - rss / syy;
        if (fit->df > 0) fit->adj_r2 = 1.0 - (1.0 - fit->r2) * (dn - (intercept ? 1.0 : 0.0)) / fit->df;
    }
    /* X'X with the intercept column first */
    uint32_t off = intercept ? 1 : 0;
    if (intercept) {
        A[0] = dn;
        for (uint32_t a = 0; a < k; a++) A[a + 1] = A[(a + 1) * q] = dn * mean[a];
    }
    for (uint32_t a = 0; a < k; a++)
        for (uint32_t b = a; b < k; b++) {
            double s = m2[ML_PACKED(p, a, b)] + dn * mean[a] * mean[b];
            A[(a + off) * q + b + off] = A[(b + off) * q + a + off] = s;
        }
    fit->condition_no = condition_number(A, (int)q, eig);

    if (r < k) {
        int len = snprintf(fit->reason, sizeof fit->reason, "aliased (collinear with earlier features, coefficient NULL): ");
        bool first = true;
        for (uint32_t j = 0; j < k && len > 0 && (size_t)len < sizeof fit->reason; j++)
            if (isnan(fit->coef[j + 1])) {
                len += snprintf(fit->reason + len, sizeof fit->reason - (size_t)len, "%sx%u", first ? "" : ", ", j + 1);
                first = false;
            }
    }
    fit->fitted = true;
    kl_free(work);
    kl_free(kept);
    return 0;
}
