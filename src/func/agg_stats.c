/*
 * agg_stats.c — statistical aggregates: var_samp/variance, var_pop, stddev/stddev_samp,
 * stddev_pop, covar_samp, covar_pop, corr, and the regression family regr_count,
 * regr_avgx, regr_avgy, regr_sxx, regr_syy, regr_sxy, regr_slope, regr_intercept, regr_r2.
 * Two-argument ones take (y, x) in that order, as SQL does.
 *
 * API: the table fn_agg_stats_defs (searched by catalog.c). Arguments are DOUBLE or BIGINT.
 *
 * Algorithm: single-pass and numerically careful. One variable keeps Welford's
 * (n, mean, M2) with M2 = sum (x - mean)^2; two variables keep the co-moments
 * (n, mean_x, mean_y, C_xy, M2_x, M2_y). Update per value:
 *     n += 1; dx = x - mean_x; mean_x += dx / n; mean_y += (y - mean_y) / n;
 *     C_xy += dx * (y - mean_y);  M2_x += dx * (x - mean_x);  M2_y likewise
 * Combine (Chan et al.) of A and B with n = nA + nB, dx = mean_xB - mean_xA:
 *     mean_x = mean_xA + dx * nB / n;  M2_x = M2_xA + M2_xB + dx^2 * nA * nB / n;
 *     C_xy = C_xyA + C_xyB + dx * dy * nA * nB / n.
 * regr_avgx/regr_avgy also keep plain sums (sum / n, like DuckDB); the other two-variable
 * functions leave them out of their state.
 * The states are fixed-size plain structs, serialized as raw bytes. BIGINT arguments are
 * read as they are and converted to DOUBLE per row (exactly what a CAST gives).
 *
 * Results: NULL inputs are skipped (the pair when either side is NULL). Empty input gives
 * NULL (regr_count gives 0); sample statistics need n >= 2; as in DuckDB 1.5, corr and
 * regr_slope with a zero variance give NaN, regr_intercept gives NULL, and regr_r2 is NULL
 * when var(x) = 0 and 1 when var(y) = 0.
 */
#include "func/func_internal.h"

#include <math.h>

typedef struct welford_state {
    int64_t n;
    double mean;
    double m2;
} welford_state;

typedef struct comoment_state {
    int64_t n;
    double mean_x, mean_y;
    double c_xy, m2_x, m2_y;
    double sum_x, sum_y; /* regr_avgx/avgy as sum / n, like DuckDB (exact for infinities) */
} comoment_state;

/* Only regr_avgx/regr_avgy read the plain sums; the others keep the smaller state (a group
   of corr() is then 48 bytes). */
static bool cm_has_sums(const char *name) {
    return strcmp(name, "regr_avgx") == 0 || strcmp(name, "regr_avgy") == 0;
}
static size_t cm_size(const char *name) {
    return cm_has_sums(name) ? sizeof(comoment_state) : offsetof(comoment_state, sum_x);
}

/* Value i of a BIGINT or DOUBLE argument as a double (the conversion CAST would make). */
static inline double stats_num(const kl_vec *v, bool is_int, uint32_t i) {
    return is_int ? (double)VEC_I64(v)[i] : VEC_F64(v)[i];
}
static inline bool stats_typed(const kl_vec *v) {
    return v->type == KILN_TYPE_DOUBLE || v->type == KILN_TYPE_BIGINT;
}

/* ---- binding ---------------------------------------------------------------------------- */

static int stats_bind_impl(const char *name, kl_type *arg_types, int n_args, kl_type *ret,
                           size_t *state_size, kl_error *err) {
    for (int i = 0; i < n_args; i++) {
        if (arg_types[i] != KILN_TYPE_NULL && !fn_is_numeric(arg_types[i]))
            return fn_no_overload(err, name, arg_types, n_args);
        /* BIGINT is read as is and converted row by row (no CAST pass) */
        if (arg_types[i] != KILN_TYPE_BIGINT) arg_types[i] = KILN_TYPE_DOUBLE;
    }
    *ret = KILN_TYPE_DOUBLE;
    *state_size = n_args == 1 ? sizeof(welford_state) : cm_size(name);
    return 0;
}

#define STATS_BIND(fname)                                                                      \
    static int stats_bind_##fname(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, \
                                  size_t *state_size, kl_error *err) {                         \
        KL_UNUSED(ctx);                                                                        \
        return stats_bind_impl(#fname, arg_types, n_args, ret, state_size, err);               \
    }

/* ---- one variable ------------------------------------------------------------------------- */

static void wf_init(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    memset(state, 0, sizeof(welford_state));
}
static inline void wf_update_rows(void *const *states, size_t off, const kl_vec *v, bool is_int,
                                  uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        if (v->has_nulls && v->nulls[i]) continue;
        welford_state *s = AGG_STATE(states, off, i);
        double x = stats_num(v, is_int, i);
        s->n++;
        double d = x - s->mean;
        s->mean += d / (double)s->n;
        s->m2 += d * (x - s->mean);
    }
}
static int wf_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args,
                     uint32_t n, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args), KL_UNUSED(err);
    const kl_vec *v = args[0];
    if (!stats_typed(v)) return 0; /* untyped NULL column: nothing to add */
    if (v->type == KILN_TYPE_BIGINT) wf_update_rows(states, off, v, true, n);
    else wf_update_rows(states, off, v, false, n);
    return 0;
}
static int wf_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    welford_state *a = dst;
    const welford_state *b = src;
    if (b->n == 0) return 0;
    if (a->n == 0) {
        *a = *b;
        return 0;
    }
    double na = (double)a->n, nb = (double)b->n, n = na + nb;
    double d = b->mean - a->mean;
    a->mean += d * nb / n;
    a->m2 += b->m2 + d * d * na * nb / n;
    a->n += b->n;
    return 0;
}
static int wf_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    KL_UNUSED(ctx);
    return kl_buf_append(out, state, sizeof(welford_state));
}
static int wf_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                          size_t *consumed, kl_error *err) {
    KL_UNUSED(ctx);
    if (len < sizeof(welford_state)) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    memcpy(state, data, sizeof(welford_state));
    *consumed = sizeof(welford_state);
    return 0;
}

static int stats_put(kl_vec *out, uint32_t row, bool valid, double v) {
    if (!valid) {
        vec_set_null(out, row);
        return 0;
    }
    out->nulls[row] = 0;
    VEC_F64(out)[row] = v;
    return 0;
}

/* Variance; pop selects the divisor n instead of n - 1. M2 can come out a hair below 0. */
static double wf_var(const welford_state *s, bool pop) {
    double m2 = s->m2 < 0 ? 0 : s->m2;
    return m2 / (double)(pop ? s->n : s->n - 1);
}

#define WF_FINAL(fname, min_n, expr)                                                           \
    static int wf_final_##fname(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row,         \
                                kl_error *err) {                                               \
        KL_UNUSED(ctx), KL_UNUSED(err);                                                        \
        const welford_state *s = state;                                                        \
        if (s->n < (min_n)) return stats_put(out, row, false, 0);                              \
        return stats_put(out, row, true, expr);                                                \
    }
WF_FINAL(var_samp, 2, wf_var(s, false))
WF_FINAL(var_pop, 1, wf_var(s, true))
WF_FINAL(stddev_samp, 2, sqrt(wf_var(s, false)))
WF_FINAL(stddev_pop, 1, sqrt(wf_var(s, true)))
STATS_BIND(var_samp)
STATS_BIND(var_pop)
STATS_BIND(stddev_samp)
STATS_BIND(stddev_pop)

/* ---- two variables ------------------------------------------------------------------------- */

/* The co-moment update of rows [0, n); the flags are constants at each call, so each
   combination of argument types (and of the plain sums) gets its own loop. */
static inline void cm_update_rows(void *const *states, size_t off, const kl_vec *vy,
                                  const kl_vec *vx, bool y_int, bool x_int, bool sums, uint32_t n) {
    bool hn = vy->has_nulls || vx->has_nulls;
    for (uint32_t i = 0; i < n; i++) {
        if (hn && (vy->nulls[i] || vx->nulls[i])) continue;
        comoment_state *s = AGG_STATE(states, off, i);
        double x = stats_num(vx, x_int, i), y = stats_num(vy, y_int, i);
        s->n++;
        if (sums) {
            s->sum_x += x;
            s->sum_y += y;
        }
        double inv = 1.0 / (double)s->n;
        double dx = x - s->mean_x, dy = y - s->mean_y;
        s->mean_x += dx * inv;
        s->mean_y += dy * inv;
        s->c_xy += dx * (y - s->mean_y);
        s->m2_x += dx * (x - s->mean_x);
        s->m2_y += dy * (y - s->mean_y);
    }
}
static inline int cm_update_impl(void *const *states, size_t off, kl_vec **args, uint32_t n,
                                 bool sums) {
    const kl_vec *vy = args[0], *vx = args[1];
    if (!stats_typed(vy) || !stats_typed(vx)) return 0;
    bool yi = vy->type == KILN_TYPE_BIGINT, xi = vx->type == KILN_TYPE_BIGINT;
    if (yi && xi) cm_update_rows(states, off, vy, vx, true, true, sums, n);
    else if (yi) cm_update_rows(states, off, vy, vx, true, false, sums, n);
    else if (xi) cm_update_rows(states, off, vy, vx, false, true, sums, n);
    else cm_update_rows(states, off, vy, vx, false, false, sums, n);
    return 0;
}
static int cm_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args,
                     uint32_t n, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args), KL_UNUSED(err);
    return cm_update_impl(states, off, args, n, false);
}
static int cm_update_sums(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args,
                          int n_args, uint32_t n, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args), KL_UNUSED(err);
    return cm_update_impl(states, off, args, n, true);
}
static inline void cm_combine_impl(comoment_state *a, const comoment_state *b, bool sums) {
    if (b->n == 0) return;
    if (a->n == 0) {
        memcpy(a, b, sums ? sizeof *a : offsetof(comoment_state, sum_x));
        return;
    }
    double na = (double)a->n, nb = (double)b->n, n = na + nb;
    double dx = b->mean_x - a->mean_x, dy = b->mean_y - a->mean_y;
    double f = na * nb / n;
    a->mean_x += dx * nb / n;
    a->mean_y += dy * nb / n;
    a->c_xy += b->c_xy + dx * dy * f;
    a->m2_x += b->m2_x + dx * dx * f;
    a->m2_y += b->m2_y + dy * dy * f;
    if (sums) {
        a->sum_x += b->sum_x;
        a->sum_y += b->sum_y;
    }
    a->n += b->n;
}
static void cm_init(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    memset(state, 0, offsetof(comoment_state, sum_x));
}
static void cm_init_sums(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    memset(state, 0, sizeof(comoment_state));
}
static int cm_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    cm_combine_impl(dst, src, false);
    return 0;
}
static int cm_combine_sums(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    cm_combine_impl(dst, src, true);
    return 0;
}
static int cm_serialize_n(const void *state, kl_buf *out, size_t size) {
    return kl_buf_append(out, state, size);
}
static int cm_deserialize_n(void *state, const void *data, size_t len, size_t *consumed,
                            size_t size, kl_error *err) {
    if (len < size) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    memcpy(state, data, size);
    *consumed = size;
    return 0;
}
static int cm_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    KL_UNUSED(ctx);
    return cm_serialize_n(state, out, offsetof(comoment_state, sum_x));
}
static int cm_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                          size_t *consumed, kl_error *err) {
    KL_UNUSED(ctx);
    return cm_deserialize_n(state, data, len, consumed, offsetof(comoment_state, sum_x), err);
}
static int cm_serialize_sums(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    KL_UNUSED(ctx);
    return cm_serialize_n(state, out, sizeof(comoment_state));
}
static int cm_deserialize_sums(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                               size_t *consumed, kl_error *err) {
    KL_UNUSED(ctx);
    return cm_deserialize_n(state, data, len, consumed, sizeof(comoment_state), err);
}

/* The finalizers: `valid` decides NULL, `expr` the value (s is the state). */
#define CM_FINAL(fname, valid, expr)                                                           \
    static int cm_final_##fname(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row,         \
                                kl_error *err) {                                               \
        KL_UNUSED(ctx), KL_UNUSED(err);                                                        \
        const comoment_state *s = state;                                                       \
        double sxx = s->m2_x < 0 ? 0 : s->m2_x, syy = s->m2_y < 0 ? 0 : s->m2_y;               \
        (void)sxx, (void)syy;                                                                  \
        if (!(valid)) return stats_put(out, row, false, 0);                                    \
        return stats_put(out, row, true, (expr));                                              \
    }
CM_FINAL(covar_samp, s->n >= 2, s->c_xy / (double)(s->n - 1))
CM_FINAL(covar_pop, s->n >= 1, s->c_xy / (double)s->n)
CM_FINAL(corr, s->n >= 1, (sxx > 0 && syy > 0) ? s->c_xy / sqrt(sxx * syy) : NAN)
CM_FINAL(regr_avgx, s->n >= 1, s->sum_x / (double)s->n)
CM_FINAL(regr_avgy, s->n >= 1, s->sum_y / (double)s->n)
CM_FINAL(regr_sxx, s->n >= 1, sxx)
CM_FINAL(regr_syy, s->n >= 1, syy)
CM_FINAL(regr_sxy, s->n >= 1, s->c_xy)
CM_FINAL(regr_slope, s->n >= 1, sxx > 0 ? s->c_xy / sxx : NAN)
CM_FINAL(regr_intercept, s->n >= 1 && sxx > 0 && !isnan(s->mean_y - (s->c_xy / sxx) * s->mean_x),
         s->mean_y - (s->c_xy / sxx) * s->mean_x)
CM_FINAL(regr_r2, s->n >= 1 && sxx > 0, syy == 0 ? 1.0 : (s->c_xy * s->c_xy) / (sxx * syy))

static int cm_final_regr_count(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row,
                               kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    const comoment_state *s = state;
    out->nulls[row] = 0;
    VEC_I64(out)[row] = s->n;
    return 0;
}
static int stats_bind_regr_count(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                                 size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx);
    TRY(stats_bind_impl("regr_count", arg_types, n_args, ret, state_size, err));
    *ret = KILN_TYPE_BIGINT;
    return 0;
}

STATS_BIND(covar_samp)
STATS_BIND(covar_pop)
STATS_BIND(corr)
STATS_BIND(regr_avgx)
STATS_BIND(regr_avgy)
STATS_BIND(regr_sxx)
STATS_BIND(regr_syy)
STATS_BIND(regr_sxy)
STATS_BIND(regr_slope)
STATS_BIND(regr_intercept)
STATS_BIND(regr_r2)

#define WF_DEF(name, fn)                                                                       \
    {name, 1, 1, stats_bind_##fn, wf_init, wf_update, wf_combine, wf_final_##fn, wf_serialize,  \
     wf_deserialize, NULL, NULL, NULL, false}
#define CM_DEF(fn)                                                                             \
    {#fn, 2, 2, stats_bind_##fn, cm_init, cm_update, cm_combine, cm_final_##fn, cm_serialize,   \
     cm_deserialize, NULL, NULL, NULL, false}
#define CM_DEF_SUMS(fn)                                                                        \
    {#fn, 2, 2, stats_bind_##fn, cm_init_sums, cm_update_sums, cm_combine_sums, cm_final_##fn,  \
     cm_serialize_sums, cm_deserialize_sums, NULL, NULL, NULL, false}

const kl_agg_def fn_agg_stats_defs[] = {
    WF_DEF("var_samp", var_samp),
    WF_DEF("variance", var_samp),
    WF_DEF("var_pop", var_pop),
    WF_DEF("stddev", stddev_samp),
    WF_DEF("stddev_samp", stddev_samp),
    WF_DEF("stddev_pop", stddev_pop),
    CM_DEF(covar_samp),
    CM_DEF(covar_pop),
    CM_DEF(corr),
    CM_DEF(regr_count),
    CM_DEF_SUMS(regr_avgx),
    CM_DEF_SUMS(regr_avgy),
    CM_DEF(regr_sxx),
    CM_DEF(regr_syy),
    CM_DEF(regr_sxy),
    CM_DEF(regr_slope),
    CM_DEF(regr_intercept),
    CM_DEF(regr_r2),
    {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false},
};
