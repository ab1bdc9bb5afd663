/*
 * agg_model.c — the model aggregates: linreg, logreg, svm, kmeans. Each returns a MODEL
 * (ml/model.h): one fitted model per group, composing with GROUP BY, WHERE and the rest.
 *
 *   linreg(y, x1, ..., xk [, intercept := true])
 *   logreg(y, x1, ..., xk [, intercept := true, c := C, max_iter := 100, tol := 1e-8])
 *   svm(y, x1, ..., xk [, kernel := 'linear' | 'rbf', c := 1.0, gamma := 'scale' | g,
 *       tol := ..., max_iter := 1000])
 *   kmeans(k, x1, ..., xk [, n_init := 10, max_iter := 300, tol := 1e-4, seed := 0])
 *
 * API: the table fn_agg_model_defs (searched by catalog.c). Named parameters are constants
 * checked at bind time (kl_fn_ctx.params). Features are cast to DOUBLE by the binder; the
 * label of svm keeps its type (any type: the model's classes are its distinct values, sorted
 * as SQL sorts them, and predict() returns that type); logreg's y is BOOLEAN or a 0/1 number.
 *
 * States. linreg streams: (n, mean, packed centred cross products) of (x1..xk, y), updated
 * per row with Welford's rank-one step and merged with Chan's formula, so its state is a
 * fixed-size block inside the group's state row and parallel partials combine exactly.
 * The others need all rows (iterative fits): the state owns a row-major buffer of the
 * group's features (and y / class ids), grown by doubling; combine appends. svm's labels
 * go through a small per-state dictionary (first-appearance ids, remapped to sorted order at
 * the fit). kmeans' k is read from the first row of its first argument and must not change
 * within a group.
 *
 * Rows with a NULL label or feature are skipped and counted (n_skipped in the model). A
 * group that cannot be fitted (too few rows, one class, k > rows) gives a MODEL whose
 * "fitted" is false with the reason; it never fails the query. Finalize fits: a group with
 * enough work uses the session's threads when no other fit is running at the same time
 * (groups are finalized on all threads by the parallel emitters, so they do not nest).
 */
#include "func/func_internal.h"
#include "ml/model.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/textconv.h"

/* per fit: rows x features below which one thread does it all */
#define MODEL_PARALLEL_WORK (1u << 18)

static atomic_int fits_running;

typedef struct model_bind {
    model_kind kind;
    uint32_t d;            /* features */
    kl_type label_type;    /* logreg / svm: the label's type */
    kl_model params;       /* parameters only (nothing allocated) */
    int threads;
} model_bind;

static void model_bind_free(void *p) { kl_free(p); }

/* ---- binding ---------------------------------------------------------------------------- */

static const kl_fn_param *param(kl_fn_ctx *ctx, const char *name) {
    for (int i = 0; i < ctx->n_params; i++)
        if (!strcasecmp(ctx->params[i].name, name)) return &ctx->params[i];
    return NULL;
}

static int param_err(const char *fn, const kl_fn_param *p, const char *what, kl_error *err) {
    kl_err_at(err, KILN_ERR_BINDER, p->loc, "%s(): parameter %s must be %s", fn, p->name, what);
    return KILN_ERR_BINDER;
}

static int param_double(kl_fn_ctx *ctx, const char *fn, const char *name, double lo, bool lo_open,
                        double *out, kl_error *err) {
    const kl_fn_param *p = param(ctx, name);
    if (!p) return 0;
    const kl_vec *v = p->value;
    double x;
    if (v->type == KILN_TYPE_DOUBLE && !v->nulls[0]) x = VEC_F64(v)[0];
    else if (v->type == KILN_TYPE_BIGINT && !v->nulls[0]) x = (double)VEC_I64(v)[0];
    else return param_err(fn, p, "a number", err);
    if (!isfinite(x) || (lo_open ? !(x > lo) : !(x >= lo))) {
        char what[64];
        snprintf(what, sizeof what, "a finite number %s %g", lo_open ? ">" : ">=", lo);
        return param_err(fn, p, what, err);
    }
    *out = x;
    return 0;
}

static int param_uint(kl_fn_ctx *ctx, const char *fn, const char *name, int64_t lo, int64_t hi, int64_t *out,
                      kl_error *err) {
    const kl_fn_param *p = param(ctx, name);
    if (!p) return 0;
    const kl_vec *v = p->value;
    char what[80];
    snprintf(what, sizeof what, "an integer from %lld to %lld", (long long)lo, (long long)hi);
    if (v->type != KILN_TYPE_BIGINT || v->nulls[0] || VEC_I64(v)[0] < lo || VEC_I64(v)[0] > hi)
        return param_err(fn, p, what, err);
    *out = VEC_I64(v)[0];
    return 0;
}

static int param_bool(kl_fn_ctx *ctx, const char *fn, const char *name, bool *out, kl_error *err) {
    const kl_fn_param *p = param(ctx, name);
    if (!p) return 0;
    if (p->value->type != KILN_TYPE_BOOLEAN || p->value->nulls[0]) return param_err(fn, p, "true or false", err);
    *out = VEC_U8(p->value)[0] != 0;
    return 0;
}

/* arguments [first, n) are features: numeric (or BOOLEAN), cast to DOUBLE */
static int bind_features(const char *fn, kl_type *arg_types, int first, int n_args, kl_error *err) {
    for (int i = first; i < n_args; i++) {
        kl_type t = arg_types[i];
        if (t != KILN_TYPE_BIGINT && t != KILN_TYPE_DOUBLE && t != KILN_TYPE_BOOLEAN && t != KILN_TYPE_NULL)
            return kl_err(err, KILN_ERR_BINDER, "%s(): feature x%d must be numeric, not %s", fn, i - first + 1,
                          fn_type_name(t));
        arg_types[i] = KILN_TYPE_DOUBLE;
    }
    return 0;
}

static int bind_finish(kl_fn_ctx *ctx, model_bind *mb, kl_type predicts, kl_type *ret, size_t *state_size,
                       size_t size) {
    mb->params.predicts = predicts;
    mb->params.kind = mb->kind;
    mb->params.d = mb->d;
    mb->threads = ctx->threads > 0 ? ctx->threads : 1;
    ctx->bind_data = mb;
    *ret = KL_MODEL_OF(predicts);
    *state_size = size;
    return 0;
}

#define BIND_ALLOC(mb, err)                                                                        \
    model_bind *mb = kl_calloc(1, sizeof *mb);                                                     \
    if (!mb) return kl_err(err, KILN_ERR_MEMORY, "out of memory")
#define BIND_TRY(mb, x)                                                                            \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_) {                                                                                 \
            kl_free(mb);                                                                           \
            return rc_;                                                                            \
        }                                                                                          \
    } while (0)

static size_t linreg_state_size(uint32_t k) {
    size_t p = (size_t)k + 1;
    return 2 * sizeof(int64_t) + p * sizeof(double) + p * (p + 1) / 2 * sizeof(double);
}

static int linreg_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, size_t *state_size,
                       kl_error *err) {
    if (n_args - 1 > ML_LINREG_MAX_FEATURES)
        return kl_err(err, KILN_ERR_BINDER, "linreg(): at most %d features, not %d", ML_LINREG_MAX_FEATURES, n_args - 1);
    kl_type yt = arg_types[0];
    if (yt != KILN_TYPE_BIGINT && yt != KILN_TYPE_DOUBLE && yt != KILN_TYPE_BOOLEAN && yt != KILN_TYPE_NULL)
        return kl_err(err, KILN_ERR_BINDER, "linreg(): y must be numeric, not %s", fn_type_name(yt));
    arg_types[0] = KILN_TYPE_DOUBLE;
    TRY(bind_features("linreg", arg_types, 1, n_args, err));
    BIND_ALLOC(mb, err);
    mb->kind = MODEL_LINREG;
    mb->d = (uint32_t)n_args - 1;
    mb->params.intercept = true;
    BIND_TRY(mb, param_bool(ctx, "linreg", "intercept", &mb->params.intercept, err));
    return bind_finish(ctx, mb, KILN_TYPE_DOUBLE, ret, state_size, linreg_state_size(mb->d));
}

typedef struct buf_state buf_state;
#define BUF_STATE_SIZE 96 /* >= sizeof(buf_state), checked below */
static int logreg_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, size_t *state_size,
                       kl_error *err) {
    kl_type yt = arg_types[0];
    if (yt == KILN_TYPE_NULL) yt = KILN_TYPE_BIGINT;
    if (yt != KILN_TYPE_BOOLEAN && yt != KILN_TYPE_BIGINT && yt != KILN_TYPE_DOUBLE)
        return kl_err(err, KILN_ERR_BINDER, "logreg(): y must be BOOLEAN or a 0/1 number, not %s", fn_type_name(yt));
    arg_types[0] = yt;
    TRY(bind_features("logreg", arg_types, 1, n_args, err));
    BIND_ALLOC(mb, err);
    mb->kind = MODEL_LOGREG;
    mb->d = (uint32_t)n_args - 1;
    mb->label_type = yt;
    kl_model *p = &mb->params;
    p->intercept = true;
    p->c = 0;
    p->max_iter = 100;
    p->tol = 1e-8;
    int64_t it = p->max_iter;
    BIND_TRY(mb, param_bool(ctx, "logreg", "intercept", &p->intercept, err));
    BIND_TRY(mb, param_double(ctx, "logreg", "c", 0, true, &p->c, err));
    BIND_TRY(mb, param_uint(ctx, "logreg", "max_iter", 1, 1000000, &it, err));
    BIND_TRY(mb, param_double(ctx, "logreg", "tol", 0, true, &p->tol, err));
    p->max_iter = (uint32_t)it;
    return bind_finish(ctx, mb, yt, ret, state_size, BUF_STATE_SIZE);
}

static int svm_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, size_t *state_size,
                    kl_error *err) {
    kl_type yt = arg_types[0];
    if (yt == KILN_TYPE_NULL) yt = KILN_TYPE_BIGINT;
    if (yt == KILN_TYPE_INTERVAL || kl_type_is_model(yt))
        return kl_err(err, KILN_ERR_BINDER, "svm(): labels of type %s are not supported", fn_type_name(yt));
    arg_types[0] = yt;
    TRY(bind_features("svm", arg_types, 1, n_args, err));
    BIND_ALLOC(mb, err);
    mb->kind = MODEL_SVM;
    mb->d = (uint32_t)n_args - 1;
    mb->label_type = yt;
    kl_model *p = &mb->params;
    p->c = 1.0;
    p->gamma = 0;
    p->tol = 0;
    int64_t it = 1000;
    const kl_fn_param *kp = param(ctx, "kernel");
    if (kp) {
        const kl_vec *v = kp->value;
        kl_str s = v->type == KILN_TYPE_VARCHAR && !v->nulls[0] ? VEC_STR(v)[0] : (kl_str){"", 0};
        if (s.len == 6 && !strncasecmp(s.ptr, "linear", 6)) p->rbf = false;
        else if (s.len == 3 && !strncasecmp(s.ptr, "rbf", 3)) p->rbf = true;
        else BIND_TRY(mb, param_err("svm", kp, "'linear' or 'rbf'", err));
    }
    BIND_TRY(mb, param_double(ctx, "svm", "c", 0, true, &p->c, err));
    const kl_fn_param *gp = param(ctx, "gamma");
    if (gp) {
        const kl_vec *v = gp->value;
        if (v->type == KILN_TYPE_VARCHAR && !v->nulls[0] && VEC_STR(v)[0].len == 5 &&
            !strncasecmp(VEC_STR(v)[0].ptr, "scale", 5))
            p->gamma = 0;
        else if ((v->type == KILN_TYPE_DOUBLE || v->type == KILN_TYPE_BIGINT) && !v->nulls[0])
            BIND_TRY(mb, param_double(ctx, "svm", "gamma", 0, true, &p->gamma, err));
        else
            BIND_TRY(mb, param_err("svm", gp, "'scale' or a number > 0", err));
        if (!p->rbf) BIND_TRY(mb, param_err("svm", gp, "used with kernel := 'rbf' only", err));
    }
    BIND_TRY(mb, param_double(ctx, "svm", "tol", 0, true, &p->tol, err));
    if (p->tol == 0) p->tol = p->rbf ? 1e-3 : 1e-4;
    BIND_TRY(mb, param_uint(ctx, "svm", "max_iter", 1, 100000000, &it, err));
    p->max_iter = (uint32_t)it;
    return bind_finish(ctx, mb, yt, ret, state_size, BUF_STATE_SIZE);
}

static int kmeans_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, size_t *state_size,
                       kl_error *err) {
    if (arg_types[0] != KILN_TYPE_BIGINT && arg_types[0] != KILN_TYPE_NULL)
        return kl_err(err, KILN_ERR_BINDER, "kmeans(): k (the first argument) must be an integer, not %s",
                      fn_type_name(arg_types[0]));
    arg_types[0] = KILN_TYPE_BIGINT;
    TRY(bind_features("kmeans", arg_types, 1, n_args, err));
    BIND_ALLOC(mb, err);
    mb->kind = MODEL_KMEANS;
    mb->d = (uint32_t)n_args - 1;
    kl_model *p = &mb->params;
    int64_t n_init = 10, it = 300, seed = 0;
    p->tol = 1e-4;
    BIND_TRY(mb, param_uint(ctx, "kmeans", "n_init", 1, 100000, &n_init, err));
    BIND_TRY(mb, param_uint(ctx, "kmeans", "max_iter", 1, 100000000, &it, err));
    BIND_TRY(mb, param_double(ctx, "kmeans", "tol", 0, false, &p->tol, err));
    BIND_TRY(mb, param_uint(ctx, "kmeans", "seed", 0, INT64_MAX, &seed, err));
    p->n_init = (uint32_t)n_init;
    p->max_iter = (uint32_t)it;
    p->seed = (uint64_t)seed;
    return bind_finish(ctx, mb, KILN_TYPE_BIGINT, ret, state_size, BUF_STATE_SIZE);
}

/* ---- the finished model as a value -------------------------------------------------------- */

static int emit_model(kl_model *m, kl_vec *out, uint32_t row, kl_error *err) {
    kl_buf b = {0};
    int rc = model_to_json(m, &b);
    if (!rc) rc = vec_set_string(out, row, b.data, b.len);
    kl_buf_free(&b);
    if (rc) return kl_err(err, KILN_ERR_MEMORY, "out of memory writing a model");
    return 0;
}

static void model_from_bind(const model_bind *mb, kl_model *m) {
    *m = mb->params; /* parameters only: no arrays to share */
    m->kind = mb->kind;
    m->d = mb->d;
}

static int fit_threads(const model_bind *mb, uint64_t n) {
    if (mb->threads < 2 || n * (uint64_t)(mb->d ? mb->d : 1) < MODEL_PARALLEL_WORK) return 1;
    return atomic_load(&fits_running) > 1 ? 1 : mb->threads;
}

/* ---- linreg: streaming sufficient statistics ------------------------------------------------ */

typedef struct linreg_view {
    int64_t *n, *n_skipped;
    double *mean, *m2;
} linreg_view;

static linreg_view lv(void *state, uint32_t k) {
    char *p = state;
    return (linreg_view){(int64_t *)p, (int64_t *)p + 1, (double *)(p + 16), (double *)(p + 16) + k + 1};
}

static void linreg_init(kl_fn_ctx *ctx, void *state) {
    const model_bind *mb = ctx->bind_data;
    memset(state, 0, linreg_state_size(mb->d));
}

/* Chan et al.'s merge of a run's statistics (count nb, means mb, centred cross-products
 * m2b) into the state s. */
static void linreg_merge(linreg_view s, uint32_t p, int64_t nb_rows, const double *mb, const double *m2b) {
    double na = (double)*s.n, nb = (double)nb_rows, nt = na + nb;
    double delta[ML_LINREG_MAX_FEATURES + 1];
    for (uint32_t j = 0; j < p; j++) delta[j] = mb[j] - s.mean[j];
    size_t idx = 0;
    for (uint32_t a = 0; a < p; a++)
        for (uint32_t b = a; b < p; b++, idx++) s.m2[idx] += m2b[idx] + delta[a] * delta[b] * na * nb / nt;
    for (uint32_t j = 0; j < p; j++) s.mean[j] += delta[j] * nb / nt;
    *s.n += nb_rows;
}

/* sum of x[r] * y[r] (of x[r] when y is NULL) in four partial sums, a fixed order: four
 * independent dependency chains held in registers */
static inline double linreg_dot(const double *x, const double *y, uint32_t n) {
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint32_t r = 0;
    if (y) {
        for (; r + 4 <= n; r += 4) {
            a0 += x[r] * y[r];
            a1 += x[r + 1] * y[r + 1];
            a2 += x[r + 2] * y[r + 2];
            a3 += x[r + 3] * y[r + 3];
        }
        for (; r < n; r++) a0 += x[r] * y[r];
    } else {
        for (; r + 4 <= n; r += 4) {
            a0 += x[r];
            a1 += x[r + 1];
            a2 += x[r + 2];
            a3 += x[r + 3];
        }
        for (; r < n; r++) a0 += x[r];
    }
    return (a0 + a1) + (a2 + a3);
}

#define LINREG_RUN_MIN 8u   /* consecutive rows of one group summed as a batch from this many */
#define LINREG_RUN_BLOCK 64u /* rows centred at a time */

/* Rows [i0, i0 + len) of one group without NULLs (data sorted or clustered by the group key):
 * the run's means, then its centred cross-products block by block (column-wise, in four
 * partial sums), merged into the state once. Two passes over the run are at least as
 * accurate as the row-by-row update and several times faster. */
static void linreg_add_run(linreg_view s, uint32_t k, kl_vec **args, uint32_t i0, uint32_t len) {
    const uint32_t p = k + 1;
    const double *col[ML_LINREG_MAX_FEATURES + 1];
    for (uint32_t j = 0; j < k; j++) col[j] = VEC_F64(args[j + 1]) + i0;
    col[k] = VEC_F64(args[0]) + i0;
    double mb[ML_LINREG_MAX_FEATURES + 1];
    for (uint32_t j = 0; j < p; j++) {
        mb[j] = linreg_dot(col[j], NULL, len) / (double)len;
    }
    double m2b[(ML_LINREG_MAX_FEATURES + 1) * (ML_LINREG_MAX_FEATURES + 2) / 2];
    size_t nm = (size_t)p * (p + 1) / 2;
    memset(m2b, 0, nm * sizeof *m2b);
    double cz[ML_LINREG_MAX_FEATURES + 1][LINREG_RUN_BLOCK];
    for (uint32_t r0 = 0; r0 < len; r0 += LINREG_RUN_BLOCK) {
        uint32_t nr = KL_MIN(LINREG_RUN_BLOCK, len - r0);
        for (uint32_t j = 0; j < p; j++)
            for (uint32_t r = 0; r < nr; r++) cz[j][r] = col[j][r0 + r] - mb[j];
        size_t idx = 0;
        for (uint32_t a = 0; a < p; a++) {
            for (uint32_t b = a; b < p; b++, idx++) {
                m2b[idx] += linreg_dot(cz[a], cz[b], nr);
            }
        }
    }
    if (*s.n == 0) {
        memcpy(s.mean, mb, p * sizeof *mb);
        memcpy(s.m2, m2b, nm * sizeof *m2b);
        *s.n = len;
    } else {
        linreg_merge(s, p, len, mb, m2b);
    }
}

static int linreg_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                         kl_error *err) {
    KL_UNUSED(err);
    const model_bind *mb = ctx->bind_data;
    const uint32_t k = mb->d, p = k + 1;
    bool any_nulls = false;
    for (int a = 0; a < n_args; a++) any_nulls |= args[a]->has_nulls || args[a]->type == KILN_TYPE_NULL;
    double z[ML_LINREG_MAX_FEATURES + 1], delta[ML_LINREG_MAX_FEATURES + 1];
    for (uint32_t i = 0; i < n; i++) {
        if (!any_nulls) {
            /* a run of rows of one group goes in as a batch */
            uint32_t e = i + 1;
            while (e < n && states[e] == states[i]) e++;
            if (e - i >= LINREG_RUN_MIN) {
                linreg_add_run(lv(AGG_STATE(states, off, i), k), k, args, i, e - i);
                i = e - 1;
                continue;
            }
        }
        linreg_view s = lv(AGG_STATE(states, off, i), k);
        if (any_nulls) {
            bool skip = false;
            for (int a = 0; a < n_args && !skip; a++) skip = args[a]->type == KILN_TYPE_NULL || args[a]->nulls[i];
            if (skip) {
                (*s.n_skipped)++;
                continue;
            }
        }
        /* z = (x1..xk, y) */
        for (uint32_t j = 0; j < k; j++) z[j] = VEC_F64(args[j + 1])[i];
        z[k] = VEC_F64(args[0])[i];
        int64_t cnt = ++*s.n;
        double inv = 1.0 / (double)cnt;
        for (uint32_t j = 0; j < p; j++) {
            delta[j] = z[j] - s.mean[j];
            s.mean[j] += delta[j] * inv;
        }
        /* M += delta (z - mean_new)' : exact Welford form of the rank-one update */
        double *m = s.m2;
        for (uint32_t a = 0; a < p; a++) {
            double da = delta[a];
            for (uint32_t b = a; b < p; b++) *m++ += da * (z[b] - s.mean[b]);
        }
    }
    return 0;
}

static int linreg_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(err);
    const model_bind *mb = ctx->bind_data;
    const uint32_t k = mb->d, p = k + 1;
    linreg_view d = lv(dst, k), s = lv((void *)src, k);
    int64_t skipped = *d.n_skipped + *s.n_skipped;
    *d.n_skipped = skipped;
    if (*s.n == 0) return 0;
    if (*d.n == 0) {
        memcpy(dst, src, linreg_state_size(k));
        *d.n_skipped = skipped;
        return 0;
    }
    linreg_merge(d, p, *s.n, s.mean, s.m2);
    return 0;
}

static int linreg_finalize(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    const model_bind *mb = ctx->bind_data;
    linreg_view s = lv(state, mb->d);
    kl_model m;
    model_from_bind(mb, &m);
    m.n_rows = *s.n;
    m.n_skipped = *s.n_skipped;
    int rc = ml_linreg(*s.n, mb->d, s.mean, s.m2, mb->params.intercept, &m.lin, err);
    if (!rc) rc = emit_model(&m, out, row, err);
    model_free(&m);
    return rc;
}

static int linreg_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    const model_bind *mb = ctx->bind_data;
    return kl_buf_append(out, state, linreg_state_size(mb->d));
}

static int linreg_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len, size_t *consumed,
                              kl_error *err) {
    const model_bind *mb = ctx->bind_data;
    size_t sz = linreg_state_size(mb->d);
    if (len < sz) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    memcpy(state, data, sz);
    *consumed = sz;
    return 0;
}

/* ---- buffered rows: logreg, svm, kmeans ----------------------------------------------------- */

/* svm's labels: distinct values in first-appearance order */
typedef struct label_dict {
    uint32_t n, cap;
    int64_t *key;   /* non-VARCHAR: the value as int64 (DOUBLE: its bits, -0.0 as 0.0) */
    char **text;    /* VARCHAR: the bytes (NUL-terminated copy); others NULL */
    uint32_t *len;
} label_dict;

struct buf_state {
    int64_t n_skipped;
    uint64_t n, cap;
    double *x;      /* n x d */
    double *y;      /* logreg: 0/1 */
    uint32_t *cls;  /* svm: label ids (label_dict order) */
    label_dict *labels;
    int64_t k;      /* kmeans: from the first row (0 = not seen) */
    /* the rows' source positions: segment i holds rows [seg[2i+1], next segment's start) that
       came from the chunk with seq seg[2i]; buf_order puts them back in source order */
    uint64_t *seg;
    uint32_t n_seg, cap_seg;
};
_Static_assert(sizeof(struct buf_state) <= BUF_STATE_SIZE, "buffered model state fits its slot");

static void dict_free(label_dict *ld) {
    if (!ld) return;
    for (uint32_t i = 0; ld->text && i < ld->n; i++) kl_free(ld->text[i]);
    kl_free(ld->text);
    kl_free(ld->key);
    kl_free(ld->len);
    kl_free(ld);
}

/* id of the label (inserting it); UINT32_MAX on out-of-memory */
static uint32_t dict_id(label_dict *ld, bool is_str, int64_t key, const char *s, uint32_t len) {
    for (uint32_t i = 0; i < ld->n; i++)
        if (is_str ? ld->len[i] == len && memcmp(ld->text[i], s, len) == 0 : ld->key[i] == key) return i;
    if (ld->n == ld->cap) {
        uint32_t cap = ld->cap ? ld->cap * 2 : 4;
        int64_t *nk = kl_realloc(ld->key, cap * sizeof *nk);
        if (!nk) return UINT32_MAX;
        ld->key = nk;
        char **nt = kl_realloc(ld->text, cap * sizeof *nt);
        if (!nt) return UINT32_MAX;
        ld->text = nt;
        uint32_t *nl = kl_realloc(ld->len, cap * sizeof *nl);
        if (!nl) return UINT32_MAX;
        ld->len = nl;
        ld->cap = cap;
    }
    char *copy = NULL;
    if (is_str) {
        if (!(copy = kl_malloc((size_t)len + 1))) return UINT32_MAX;
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    ld->key[ld->n] = key;
    ld->text[ld->n] = copy;
    ld->len[ld->n] = len;
    return ld->n++;
}

static void buf_init(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    memset(state, 0, sizeof(buf_state));
}

static void buf_destroy(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    buf_state *s = state;
    kl_free(s->x);
    kl_free(s->y);
    kl_free(s->cls);
    kl_free(s->seg);
    dict_free(s->labels);
    memset(s, 0, sizeof *s);
}

/* a new segment (seq, first row) */
static int buf_seg_push(buf_state *s, uint64_t seq, uint64_t start, kl_error *err) {
    if (s->n_seg == s->cap_seg) {
        uint32_t cap = s->cap_seg ? s->cap_seg * 2 : 4;
        uint64_t *ns = kl_realloc(s->seg, (size_t)cap * 2 * sizeof *ns);
        if (!ns) return kl_err(err, KILN_ERR_MEMORY, "out of memory buffering model rows");
        s->seg = ns;
        s->cap_seg = cap;
    }
    s->seg[2 * s->n_seg] = seq;
    s->seg[2 * s->n_seg + 1] = start;
    s->n_seg++;
    return 0;
}

static int seg_cmp(const void *a, const void *b) {
    const uint64_t *x = a, *y = b; /* (seq, segment index) */
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/*
 * The buffered rows in source order (chunk seq; arrival order among equal seqs), whatever the
 * threads that read them and the order their partial states were combined in: so a fit is
 * the same for any thread count and from run to run. Nothing to do when the segments are in
 * order already (one thread, or data whose chunks arrived in order); otherwise the rows are
 * copied once in segment order.
 */
static int buf_order(const model_bind *mb, buf_state *s, kl_error *err) {
    bool sorted = true;
    for (uint32_t i = 1; i < s->n_seg && sorted; i++) sorted = s->seg[2 * i - 2] <= s->seg[2 * i];
    if (sorted) return 0;
    const size_t d = mb->d ? mb->d : 1;
    uint64_t *ord = kl_malloc((size_t)s->n_seg * 2 * sizeof *ord);
    double *x = kl_malloc((size_t)s->cap * d * sizeof *x);
    double *y = mb->kind == MODEL_LOGREG ? kl_malloc((size_t)s->cap * sizeof *y) : NULL;
    uint32_t *cls = mb->kind == MODEL_SVM ? kl_malloc((size_t)s->cap * sizeof *cls) : NULL;
    if (!ord || !x || (mb->kind == MODEL_LOGREG && !y) || (mb->kind == MODEL_SVM && !cls)) {
        kl_free(ord);
        kl_free(x);
        kl_free(y);
        kl_free(cls);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory ordering %s rows", model_kind_name(mb->kind));
    }
    for (uint32_t i = 0; i < s->n_seg; i++) {
        ord[2 * i] = s->seg[2 * i];
        ord[2 * i + 1] = i;
    }
    qsort(ord, s->n_seg, 2 * sizeof *ord, seg_cmp);
    uint64_t w = 0;
    for (uint32_t k = 0; k < s->n_seg; k++) {
        uint32_t i = (uint32_t)ord[2 * k + 1];
        uint64_t a = s->seg[2 * i + 1], b = i + 1 < s->n_seg ? s->seg[2 * i + 3] : s->n;
        memcpy(x + w * d, s->x + a * d, (b - a) * d * sizeof *x);
        if (y) memcpy(y + w, s->y + a, (b - a) * sizeof *y);
        if (cls) memcpy(cls + w, s->cls + a, (b - a) * sizeof *cls);
        ord[2 * k + 1] = w; /* the segment's new start (seq stays in ord[2k]) */
        w += b - a;
    }
    kl_free(s->x);
    s->x = x;
    if (y) {
        kl_free(s->y);
        s->y = y;
    }
    if (cls) {
        kl_free(s->cls);
        s->cls = cls;
    }
    memcpy(s->seg, ord, (size_t)s->n_seg * 2 * sizeof *ord);
    kl_free(ord);
    return 0;
}

static int buf_reserve(const model_bind *mb, buf_state *s, uint64_t need, kl_error *err) {
    if (need <= s->cap) return 0;
    uint64_t cap = s->cap ? s->cap : 64;
    while (cap < need) cap *= 2;
    size_t d = mb->d ? mb->d : 1;
    double *x = kl_realloc(s->x, cap * d * sizeof(double));
    if (!x) return kl_err(err, KILN_ERR_MEMORY, "out of memory buffering %s rows", model_kind_name(mb->kind));
    s->x = x;
    if (mb->kind == MODEL_LOGREG) {
        double *y = kl_realloc(s->y, cap * sizeof(double));
        if (!y) return kl_err(err, KILN_ERR_MEMORY, "out of memory buffering logreg rows");
        s->y = y;
    } else if (mb->kind == MODEL_SVM) {
        uint32_t *c = kl_realloc(s->cls, cap * sizeof(uint32_t));
        if (!c) return kl_err(err, KILN_ERR_MEMORY, "out of memory buffering svm rows");
        s->cls = c;
    }
    s->cap = cap;
    return 0;
}

/* int64 key of a non-VARCHAR label */
static int64_t label_key(const kl_vec *v, uint32_t i) {
    switch (v->type) {
    case KILN_TYPE_BOOLEAN: return VEC_U8(v)[i] != 0;
    case KILN_TYPE_DATE: return VEC_I32(v)[i];
    case KILN_TYPE_DOUBLE: {
        double x = VEC_F64(v)[i];
        if (x == 0) x = 0; /* -0.0 and 0.0 are one label */
        int64_t b;
        memcpy(&b, &x, sizeof b);
        return b;
    }
    default: return VEC_I64(v)[i];
    }
}

static int buf_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                      kl_error *err) {
    const model_bind *mb = ctx->bind_data;
    const uint32_t d = mb->d;
    bool any_nulls = false;
    for (int a = 0; a < n_args; a++) any_nulls |= args[a]->has_nulls || args[a]->type == KILN_TYPE_NULL;
    const kl_vec *y = args[0];
    for (uint32_t i = 0; i < n; i++) {
        buf_state *s = AGG_STATE(states, off, i);
        if (any_nulls) {
            bool skip = false;
            for (int a = 0; a < n_args && !skip; a++) skip = args[a]->type == KILN_TYPE_NULL || args[a]->nulls[i];
            if (skip) {
                s->n_skipped++;
                continue;
            }
        }
        if (mb->kind == MODEL_KMEANS) {
            int64_t k = VEC_I64(y)[i];
            if (k < 1 || k > 100000)
                return kl_err(err, KILN_ERR_INVALID, "kmeans(): k must be from 1 to 100000, not %lld", (long long)k);
            if (s->k && s->k != k)
                return kl_err(err, KILN_ERR_INVALID, "kmeans(): k must be the same for all rows of a group (%lld, then %lld)",
                              (long long)s->k, (long long)k);
            s->k = k;
        }
        TRY(buf_reserve(mb, s, s->n + 1, err));
        if (s->n_seg == 0 || s->seg[2 * s->n_seg - 2] != ctx->seq) TRY(buf_seg_push(s, ctx->seq, s->n, err));
        double *xr = s->x + s->n * d;
        for (uint32_t j = 0; j < d; j++) xr[j] = VEC_F64(args[j + 1])[i];
        if (mb->kind == MODEL_LOGREG) {
            double v = y->type == KILN_TYPE_BOOLEAN ? (double)(VEC_U8(y)[i] != 0)
                       : y->type == KILN_TYPE_BIGINT ? (double)VEC_I64(y)[i]
                                                     : VEC_F64(y)[i];
            if (v != 0 && v != 1) {
                char tmp[48];
                kl_format_double(v, tmp);
                return kl_err(err, KILN_ERR_INVALID, "logreg(): y must be 0 or 1 (or a BOOLEAN), not %.32s", tmp);
            }
            s->y[s->n] = v;
        } else if (mb->kind == MODEL_SVM) {
            if (!s->labels && !(s->labels = kl_calloc(1, sizeof *s->labels)))
                return kl_err(err, KILN_ERR_MEMORY, "out of memory");
            bool is_str = y->type == KILN_TYPE_VARCHAR;
            kl_str str = is_str ? VEC_STR(y)[i] : (kl_str){NULL, 0};
            uint32_t id = dict_id(s->labels, is_str, is_str ? 0 : label_key(y, i), str.ptr, str.len);
            if (id == UINT32_MAX) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
            s->cls[s->n] = id;
        }
        s->n++;
    }
    return 0;
}

/* rows [a, b) of s to row w of the arrays x/y/cls (svm label ids through mp) */
static void buf_copy_rows(const model_bind *mb, double *x, double *y, uint32_t *cls, uint64_t w, const buf_state *s,
                          uint64_t a, uint64_t b, const uint32_t *mp) {
    memcpy(x + w * mb->d, s->x + a * mb->d, (b - a) * mb->d * sizeof(double));
    if (mb->kind == MODEL_LOGREG) memcpy(y + w, s->y + a, (b - a) * sizeof(double));
    if (mb->kind == MODEL_SVM) {
        if (mp)
            for (uint64_t i = a; i < b; i++) cls[w + i - a] = mp[s->cls[i]];
        else
            memcpy(cls + w, s->cls + a, (b - a) * sizeof(uint32_t));
    }
}

/* end of segment i of s */
static uint64_t seg_end(const buf_state *s, uint32_t i) { return i + 1 < s->n_seg ? s->seg[2 * i + 3] : s->n; }

/*
 * s's rows after d's when they come later in the source (one copy of s); otherwise the two
 * (each in source order: a thread claims its chunks in order) are merged by seq into new
 * arrays, one copy of both, so finalize finds them in order and copies nothing.
 */
static int buf_combine_rows(const model_bind *mb, buf_state *d, const buf_state *s, const uint32_t *mp,
                            kl_error *err) {
    bool append = d->n_seg == 0 || s->n_seg == 0 || d->seg[2 * d->n_seg - 2] <= s->seg[0];
    if (append) {
        TRY(buf_reserve(mb, d, d->n + s->n, err));
        for (uint32_t i = 0; i < s->n_seg; i++) TRY(buf_seg_push(d, s->seg[2 * i], d->n + s->seg[2 * i + 1], err));
        buf_copy_rows(mb, d->x, d->y, d->cls, d->n, s, 0, s->n, mp);
        d->n += s->n;
        return 0;
    }
    buf_state m = {0};
    int rc = buf_reserve(mb, &m, d->n + s->n, err);
    uint32_t i = 0, j = 0;
    while (!rc && (i < d->n_seg || j < s->n_seg)) {
        bool from_d = j == s->n_seg || (i < d->n_seg && d->seg[2 * i] <= s->seg[2 * j]);
        const buf_state *f = from_d ? d : s;
        uint32_t k = from_d ? i++ : j++;
        uint64_t a = f->seg[2 * k + 1], b = seg_end(f, k);
        rc = buf_seg_push(&m, f->seg[2 * k], m.n, err);
        if (rc) break;
        buf_copy_rows(mb, m.x, m.y, m.cls, m.n, f, a, b, from_d ? NULL : mp);
        m.n += b - a;
    }
    if (rc) {
        kl_free(m.x);
        kl_free(m.y);
        kl_free(m.cls);
        kl_free(m.seg);
        return rc;
    }
    kl_free(d->x);
    kl_free(d->y);
    kl_free(d->cls);
    kl_free(d->seg);
    d->x = m.x;
    d->y = m.y;
    d->cls = m.cls;
    d->seg = m.seg;
    d->n = m.n;
    d->cap = m.cap;
    d->n_seg = m.n_seg;
    d->cap_seg = m.cap_seg;
    return 0;
}

static int buf_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    const model_bind *mb = ctx->bind_data;
    buf_state *d = dst;
    const buf_state *s = src;
    d->n_skipped += s->n_skipped;
    if (mb->kind == MODEL_KMEANS && s->k) {
        if (d->k && d->k != s->k)
            return kl_err(err, KILN_ERR_INVALID, "kmeans(): k must be the same for all rows of a group (%lld, then %lld)",
                          (long long)d->k, (long long)s->k);
        d->k = s->k;
    }
    if (!s->n) return 0;
    if (mb->kind != MODEL_SVM) return buf_combine_rows(mb, d, s, NULL, err);
    /* svm: s's label ids become d's */
    if (!d->labels && !(d->labels = kl_calloc(1, sizeof *d->labels)))
        return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    uint32_t map[64], *mp = s->labels->n <= 64 ? map : kl_malloc(s->labels->n * sizeof *mp);
    if (!mp) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    bool is_str = mb->label_type == KILN_TYPE_VARCHAR;
    int rc = 0;
    for (uint32_t c = 0; c < s->labels->n && !rc; c++) {
        mp[c] = dict_id(d->labels, is_str, s->labels->key[c], s->labels->text[c], s->labels->len[c]);
        if (mp[c] == UINT32_MAX) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    if (!rc) rc = buf_combine_rows(mb, d, s, mp, err);
    if (mp != map) kl_free(mp);
    return rc;
}

/* text of label c (as CAST(label AS VARCHAR) writes it) */
static int label_text(const model_bind *mb, const label_dict *ld, uint32_t c, char **out) {
    char tmp[64];
    const char *s = tmp;
    int64_t key = ld->key[c];
    switch (mb->label_type) {
    case KILN_TYPE_VARCHAR: s = ld->text[c]; break;
    case KILN_TYPE_BOOLEAN: s = key ? "true" : "false"; break;
    case KILN_TYPE_DOUBLE: {
        double x;
        memcpy(&x, &key, sizeof x);
        tmp[kl_format_double(x, tmp)] = '\0';
        break;
    }
    case KILN_TYPE_DATE: tmp[kl_format_date((int32_t)key, tmp)] = '\0'; break;
    case KILN_TYPE_TIMESTAMP: tmp[kl_format_timestamp(key, tmp)] = '\0'; break;
    default: tmp[kl_format_int64(key, tmp)] = '\0'; break;
    }
    *out = kl_strdup(s);
    return *out ? 0 : KILN_ERR_MEMORY;
}

/* SQL order of labels i and j */
static int cmp_labels(const label_dict *ld, kl_type type, uint32_t i, uint32_t j) {
    if (type == KILN_TYPE_VARCHAR)
        return fn_cmp_str((kl_str){ld->text[i], ld->len[i]}, (kl_str){ld->text[j], ld->len[j]});
    if (type == KILN_TYPE_DOUBLE) {
        double x, y;
        memcpy(&x, &ld->key[i], sizeof x);
        memcpy(&y, &ld->key[j], sizeof y);
        return fn_cmp_f64(x, y);
    }
    return fn_cmp_i64(ld->key[i], ld->key[j]);
}

static int svm_fit(const model_bind *mb, buf_state *s, kl_model *m, int threads, kl_error *err) {
    const label_dict *ld = s->labels;
    uint32_t nc = ld ? ld->n : 0;
    if (nc < 2) {
        snprintf(m->svm.reason, ML_REASON_LEN, "%s", nc ? "one class only" : "no rows");
        if (nc == 1) {
            m->classes = kl_calloc(1, sizeof *m->classes);
            if (!m->classes || label_text(mb, ld, 0, &m->classes[0])) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
            m->n_classes = 1;
        }
        return 0;
    }
    /* class index = rank of the label in SQL order (insertion sort: classes are few) */
    uint32_t *order = kl_malloc(nc * sizeof *order), *rank = kl_malloc(nc * sizeof *rank);
    m->classes = kl_calloc(nc, sizeof *m->classes);
    if (!order || !rank || !m->classes) {
        kl_free(order);
        kl_free(rank);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    for (uint32_t c = 0; c < nc; c++) {
        uint32_t j = c;
        for (; j > 0 && cmp_labels(ld, mb->label_type, order[j - 1], c) > 0; j--) order[j] = order[j - 1];
        order[j] = c;
    }
    int rc = 0;
    m->n_classes = nc;
    for (uint32_t r = 0; r < nc && !rc; r++) {
        rank[order[r]] = r;
        rc = label_text(mb, ld, order[r], &m->classes[r]);
    }
    if (rc) {
        kl_free(order);
        kl_free(rank);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    for (uint64_t i = 0; i < s->n; i++) s->cls[i] = rank[s->cls[i]];
    kl_free(order);
    kl_free(rank);
    ml_svm_opts o = {.rbf = m->rbf, .c = m->c, .gamma = m->gamma, .tol = m->tol,
                     .max_iter = m->max_iter, .threads = threads};
    return ml_svm(s->x, s->cls, s->n, mb->d, nc, &o, &m->svm, err);
}

static int buf_finalize(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    const model_bind *mb = ctx->bind_data;
    buf_state *s = state;
    kl_model m;
    model_from_bind(mb, &m);
    m.n_rows = (int64_t)s->n;
    m.n_skipped = s->n_skipped;
    TRY(buf_order(mb, s, err));
    atomic_fetch_add(&fits_running, 1);
    int threads = fit_threads(mb, s->n);
    int rc = 0;
    switch (mb->kind) {
    case MODEL_LOGREG: {
        if (!(m.classes = kl_calloc(2, sizeof *m.classes))) {
            rc = kl_err(err, KILN_ERR_MEMORY, "out of memory");
            break;
        }
        m.n_classes = 2;
        bool b = mb->label_type == KILN_TYPE_BOOLEAN, dbl = mb->label_type == KILN_TYPE_DOUBLE;
        m.classes[0] = kl_strdup(b ? "false" : dbl ? "0.0" : "0");
        m.classes[1] = kl_strdup(b ? "true" : dbl ? "1.0" : "1");
        if (!m.classes[0] || !m.classes[1]) {
            rc = kl_err(err, KILN_ERR_MEMORY, "out of memory");
            break;
        }
        ml_logreg_opts o = {m.c, m.max_iter, m.tol, m.intercept, threads};
        rc = ml_logreg(s->x, s->y, s->n, mb->d, &o, &m.log, err);
        break;
    }
    case MODEL_SVM: rc = svm_fit(mb, s, &m, threads, err); break;
    case MODEL_KMEANS: {
        m.k = (uint32_t)(s->k ? s->k : 1);
        ml_kmeans_opts o = {m.k, m.n_init, m.max_iter, m.tol, m.seed, threads};
        if (s->n == 0) {
            m.k = 0;
            snprintf(m.km.reason, ML_REASON_LEN, "no rows");
        } else {
            rc = ml_kmeans(s->x, s->n, mb->d, &o, &m.km, err);
        }
        break;
    }
    default: break;
    }
    atomic_fetch_sub(&fits_running, 1);
    if (!rc) rc = emit_model(&m, out, row, err);
    model_free(&m);
    return rc;
}

/* serialized: n_skipped, k, n, then x, then y / (labels, cls) */
static int buf_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    const model_bind *mb = ctx->bind_data;
    const buf_state *s = state;
    TRY(kl_buf_append(out, &s->n_skipped, sizeof s->n_skipped));
    TRY(kl_buf_append(out, &s->k, sizeof s->k));
    TRY(kl_buf_append(out, &s->n, sizeof s->n));
    if (s->n) TRY(kl_buf_append(out, s->x, s->n * mb->d * sizeof(double)));
    if (mb->kind == MODEL_LOGREG && s->n) TRY(kl_buf_append(out, s->y, s->n * sizeof(double)));
    if (mb->kind == MODEL_SVM) {
        uint32_t nl = s->labels ? s->labels->n : 0;
        TRY(kl_buf_append(out, &nl, sizeof nl));
        for (uint32_t c = 0; c < nl; c++) {
            TRY(kl_buf_append(out, &s->labels->key[c], sizeof(int64_t)));
            TRY(kl_buf_append(out, &s->labels->len[c], sizeof(uint32_t)));
            if (s->labels->text[c]) TRY(kl_buf_append(out, s->labels->text[c], s->labels->len[c]));
        }
        if (s->n) TRY(kl_buf_append(out, s->cls, s->n * sizeof(uint32_t)));
    }
    TRY(kl_buf_append(out, &s->n_seg, sizeof s->n_seg));
    if (s->n_seg) TRY(kl_buf_append(out, s->seg, (size_t)s->n_seg * 2 * sizeof *s->seg));
    return 0;
}

static int buf_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len, size_t *consumed,
                           kl_error *err) {
    const model_bind *mb = ctx->bind_data;
    buf_state *s = state;
    memset(s, 0, sizeof *s);
    const char *p = data, *end = p + len;
#define TAKE(dst, nbytes)                                                                          \
    do {                                                                                           \
        if ((size_t)(end - p) < (size_t)(nbytes)) goto truncated;                                  \
        memcpy((dst), p, (nbytes));                                                                \
        p += (nbytes);                                                                             \
    } while (0)
    uint64_t n;
    TAKE(&s->n_skipped, sizeof s->n_skipped);
    TAKE(&s->k, sizeof s->k);
    TAKE(&n, sizeof n);
    if (n > (size_t)(end - p) / sizeof(double) + 1) goto truncated;
    if (n && buf_reserve(mb, s, n, err)) return buf_destroy(ctx, s), KILN_ERR_MEMORY;
    if (n) TAKE(s->x, n * mb->d * sizeof(double));
    if (mb->kind == MODEL_LOGREG && n) TAKE(s->y, n * sizeof(double));
    if (mb->kind == MODEL_SVM) {
        uint32_t nl;
        TAKE(&nl, sizeof nl);
        if (nl && !(s->labels = kl_calloc(1, sizeof *s->labels))) return buf_destroy(ctx, s), kl_err(err, KILN_ERR_MEMORY, "out of memory");
        bool is_str = mb->label_type == KILN_TYPE_VARCHAR;
        for (uint32_t c = 0; c < nl; c++) {
            int64_t key;
            uint32_t l;
            TAKE(&key, sizeof key);
            TAKE(&l, sizeof l);
            if (is_str && (size_t)(end - p) < l) goto truncated;
            if (dict_id(s->labels, is_str, key, p, is_str ? l : 0) == UINT32_MAX)
                return buf_destroy(ctx, s), kl_err(err, KILN_ERR_MEMORY, "out of memory");
            if (is_str) p += l;
        }
        if (n) TAKE(s->cls, n * sizeof(uint32_t));
        for (uint64_t i = 0; i < n; i++)
            if (s->cls[i] >= nl) goto truncated;
    }
    uint32_t ns;
    TAKE(&ns, sizeof ns);
    if (ns > (size_t)(end - p) / (2 * sizeof(uint64_t))) goto truncated;
    for (uint32_t i = 0; i < ns; i++) {
        uint64_t pair[2];
        TAKE(pair, sizeof pair);
        /* segments start at row 0 and at strictly increasing rows below n */
        if (i == 0 ? pair[1] != 0 : pair[1] <= s->seg[2 * i - 1] || pair[1] >= n) goto truncated;
        if (buf_seg_push(s, pair[0], pair[1], err)) return buf_destroy(ctx, s), KILN_ERR_MEMORY;
    }
    if ((ns == 0) != (n == 0)) goto truncated;
#undef TAKE
    s->n = n;
    *consumed = (size_t)(p - (const char *)data);
    return 0;
truncated:
    buf_destroy(ctx, s);
    return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
}

/* ---- the table ------------------------------------------------------------------------------ */

static const char *const linreg_params[] = {"intercept", NULL};
static const char *const logreg_params[] = {"intercept", "c", "max_iter", "tol", NULL};
static const char *const svm_params[] = {"kernel", "c", "gamma", "tol", "max_iter", NULL};
static const char *const kmeans_params[] = {"n_init", "max_iter", "tol", "seed", NULL};

#define BUF_DEF(name, bindfn, params)                                                              \
    {name, 2, 128, bindfn, buf_init, buf_update, buf_combine, buf_finalize, \
     buf_serialize, buf_deserialize, buf_destroy, model_bind_free, params, true}

const kl_agg_def fn_agg_model_defs[] = {
    {"linreg", 2, 128, linreg_bind, linreg_init, linreg_update, linreg_combine,
     linreg_finalize, linreg_serialize, linreg_deserialize, NULL, model_bind_free, linreg_params, true},
    BUF_DEF("logreg", logreg_bind, logreg_params),
    BUF_DEF("svm", svm_bind, svm_params),
    BUF_DEF("kmeans", kmeans_bind, kmeans_params),
    {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false},
};
