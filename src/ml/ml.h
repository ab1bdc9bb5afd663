/*
 * ml.h — the model-fitting cores behind the SQL model aggregates (linreg, logreg, svm,
 * kmeans). No SQL here: dense row-major double data in, fitted values out. The aggregates
 * (func/agg_model.c) buffer a group's rows, call these in finalize(), and turn the result
 * into a MODEL value (ml/model.c: the value's bytes are its JSON text).
 *
 * Conventions shared by every core:
 * - x is row-major, n rows of d features (x[i * d + j]); y / labels have n entries.
 * - A fit that cannot be done with this data (too few rows, one class only, k > distinct
 *   rows...) is not an error: the function returns 0 with fit->fitted = false and a
 *   one-line reason in fit->reason ("2 rows for 3 coefficients"). Errors (return != 0, err
 *   set) are only out-of-memory and invalid options (KILN_ERR_INVALID with a message naming
 *   the option: "kmeans: k must be >= 1").
 * - threads: how many threads the core may use (1 = the calling thread only). Results are
 *   bit-identical for any thread count: reductions are done over fixed blocks of
 *   ML_BLOCK_ROWS rows (independent of the thread count) whose partial results are added in
 *   block order.
 * - Every array in a fit struct is allocated with kl_malloc and released by its _free().
 *   A zero-initialised struct is a valid empty fit for _free().
 * - Coefficient arrays that include the intercept put it at index 0 and feature j (1-based,
 *   as the SQL accessors number them) at index j.
 */
#ifndef KL_ML_H
#define KL_ML_H

#include "util/kl.h"

#define ML_BLOCK_ROWS 4096u
#define ML_REASON_LEN 160

/** A fit that cannot be done: *fitted = false, reason = the formatted text (ML_REASON_LEN
    bytes); returns 0, what the cores return then. */
int ml_not_fitted(bool *fitted, char *reason, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- least squares (ml/linreg.c) -------------------------------------------------------
 * Ordinary least squares from sufficient statistics, so the data are read once and partial
 * statistics merge: n, the means of z = (x1..xk, y) and the centred cross-product matrix
 * M = sum (z - mean)(z - mean)' as a packed upper triangle (ML_PACKED(p, a, b), p = k + 1).
 * Features are taken in order; one that is (numerically) a linear combination of the
 * earlier ones is *aliased*: its coefficient and statistics are NaN (SQL NULL), as R's lm
 * does. Fewer rows than coefficients: fitted = false with a reason. */
#define ML_PACKED(p, a, b) ((size_t)(a) * (p) - (size_t)(a) * ((a) - 1) / 2 + ((b) - (a)))
#define ML_LINREG_MAX_FEATURES 64

typedef struct ml_linreg_fit {
    bool fitted;
    char reason[ML_REASON_LEN]; /* why not fitted, or a warning (aliased features) */
    uint32_t d;
    bool intercept;
    /* d + 1 entries, [0] the intercept, [j] feature j; NaN = none (aliased feature, no
       intercept, or undefined: no residual degrees of freedom) */
    double *coef, *std_err, *t_stat, *p_value;
    double r2, adj_r2;  /* uncentred without an intercept, as R and statsmodels */
    double condition_no; /* of X'X (with the intercept column): largest / smallest eigenvalue */
    double df;           /* residual degrees of freedom */
    uint32_t rank;       /* coefficients estimated (intercept included) */
} ml_linreg_fit;

int ml_linreg(int64_t n, uint32_t k, const double *mean, const double *m2, bool intercept,
              ml_linreg_fit *fit, kl_error *err);
double ml_linreg_predict(const ml_linreg_fit *fit, const double *row);
void ml_linreg_fit_free(ml_linreg_fit *fit);

/** Upper tail of Student's t with df degrees of freedom, P(T > t); of the standard normal. */
double ml_t_sf(double t, double df);
double ml_norm_sf(double z);

/* ---- k-means (ml/kmeans.c) -------------------------------------------------------------
 * scikit-learn's KMeans (algorithm="lloyd"): greedy k-means++ seeding (2 + floor(ln k)
 * local trials per centre), Lloyd iterations until the labels stop changing or the total
 * squared centre shift is <= tol * mean per-feature variance of x, best inertia of n_init
 * seeded runs (seed -> a deterministic PRNG; run r uses a stream derived from seed and r). */
typedef struct ml_kmeans_opts {
    uint32_t k;
    uint32_t n_init;   /* >= 1 */
    uint32_t max_iter; /* >= 1 */
    double tol;        /* >= 0 */
    uint64_t seed;
    int threads;
} ml_kmeans_opts;

typedef struct ml_kmeans_fit {
    bool fitted;
    char reason[ML_REASON_LEN];
    uint32_t k, d;
    double *centroids; /* k x d, row-major; cluster c = row c */
    uint64_t *sizes;   /* k: rows assigned to each cluster */
    double inertia;    /* sum of squared distances of rows to their centroid */
    uint32_t iterations; /* Lloyd iterations of the best run */
} ml_kmeans_fit;

int ml_kmeans(const double *x, size_t n, uint32_t d, const ml_kmeans_opts *o, ml_kmeans_fit *fit,
              kl_error *err);
/** 0-based index of the nearest centroid (ties: lowest index). */
uint32_t ml_kmeans_predict(const ml_kmeans_fit *fit, const double *row);
void ml_kmeans_fit_free(ml_kmeans_fit *fit);

/* ---- logistic regression (ml/logreg.c) -------------------------------------------------
 * Binary, y in {0, 1}. c <= 0: maximum likelihood (scikit-learn penalty=None, statsmodels
 * Logit), with standard errors from the inverse Fisher information. c > 0: minimises
 * 0.5 * |w|^2 + c * sum(log-loss) with the intercept not penalised (scikit-learn's
 * LogisticRegression(C=c) with lbfgs). Newton (IRLS) steps with a line search; converged
 * when the largest absolute gradient component is <= tol (scaled as the core documents).
 * Separable data (the likelihood keeps growing with |w|) stops with fitted = true,
 * converged = false and a warning in reason ("data are perfectly separable: ..."), never
 * NaN. */
typedef struct ml_logreg_opts {
    double c;          /* <= 0: no penalty */
    uint32_t max_iter; /* >= 1 */
    double tol;        /* > 0 */
    bool intercept;
    int threads;
} ml_logreg_opts;

typedef struct ml_logreg_fit {
    bool fitted;
    bool converged;
    char reason[ML_REASON_LEN]; /* why not fitted, or a warning when fitted */
    uint32_t d;
    double *coef;    /* d + 1: [0] intercept (0 without one), [j] feature j */
    double *std_err; /* d + 1, or NULL when penalised (c > 0) or the information is singular */
    double log_likelihood;
    uint32_t iterations;
} ml_logreg_fit;

int ml_logreg(const double *x, const double *y, size_t n, uint32_t d, const ml_logreg_opts *o,
              ml_logreg_fit *fit, kl_error *err);
/** P(y = 1 | row). */
double ml_logreg_proba(const ml_logreg_fit *fit, const double *row);
void ml_logreg_fit_free(ml_logreg_fit *fit);

/* ---- support vector machines (ml/svm.c, on Debian's liblinear and libsvm) --------------
 * Labels are class indexes 0..n_classes-1 (the caller maps its label values to the indexes
 * of their sorted distinct values, as scikit-learn's classes_). Linear: scikit-learn's
 * LinearSVC defaults (L2-regularised squared hinge, bias term 1 with intercept_scaling 1,
 * one-vs-rest for more than 2 classes, tol 1e-4, max_iter 1000), solved by liblinear's dual
 * coordinate descent on small problems and, from n * (d + 1) >= 2^18 values (and d <= 255),
 * by a multi-threaded primal Newton method (svm.c; same optimum, bit-identical for any
 * thread count). rbf: scikit-learn's SVC (libsvm C-SVC, one-vs-one, gamma 'scale' = 1 /
 * (d * var(x)) over all values of x when gamma <= 0, tol 1e-3, shrinking). */
typedef enum ml_svm_solver {
    ML_SVM_SOLVER_AUTO = 0,  /* by problem size (never by thread count) */
    ML_SVM_SOLVER_LIBLINEAR, /* liblinear's dual coordinate descent */
    ML_SVM_SOLVER_NEWTON,    /* the primal Newton method (d <= 255) */
} ml_svm_solver;

typedef struct ml_svm_opts {
    bool rbf;
    double c;       /* > 0 */
    double gamma;   /* rbf only; <= 0 means 'scale' */
    double tol;     /* <= 0: the default of the kind */
    uint32_t max_iter; /* linear only; 0: 1000 */
    int threads;    /* the linear Newton solver's row passes; the result does not depend on it */
    ml_svm_solver solver; /* linear only; tests force one, the aggregates leave AUTO */
} ml_svm_opts;

typedef struct ml_svm_fit {
    bool fitted;
    char reason[ML_REASON_LEN];
    bool rbf;
    uint32_t d, n_classes;
    /* linear: n_w weight vectors (n_w = 1 for 2 classes: positive = class 1; else one per
       class, one-vs-rest), w is n_w x d, b has n_w entries; decision = w . x + b */
    uint32_t n_w;
    double *w, *b;
    /* linear: the most iterations one binary problem took (liblinear's outer iterations or
       Newton iterations); 0 for rbf. In the model's JSON ("iterations"). */
    uint32_t iterations;
    /* rbf (libsvm's model): n_sv support vectors (n_sv x d, grouped by class), sv_coef is
       (n_classes - 1) x n_sv, rho has n_classes * (n_classes - 1) / 2 entries, n_sv_class
       has n_classes entries; gamma is the value used (after 'scale'). */
    double gamma;
    uint32_t n_sv;
    double *sv, *sv_coef, *rho;
    uint32_t *n_sv_class;
} ml_svm_fit;

int ml_svm(const double *x, const uint32_t *labels, size_t n, uint32_t d, uint32_t n_classes,
           const ml_svm_opts *o, ml_svm_fit *fit, kl_error *err);
/** Predicted class index (libsvm's / scikit-learn's rules for votes and ties). */
uint32_t ml_svm_predict(const ml_svm_fit *fit, const double *row);
void ml_svm_fit_free(ml_svm_fit *fit);

#endif /* KL_ML_H */
