/*
 * agg_holistic.c — aggregates that need every value: median, quantile_cont, quantile_disc
 * (alias quantile), mode.
 *
 * API: the table fn_agg_holistic_defs (searched by catalog.c).
 *
 * State: a kl_malloc'ed array of 8-byte values (int64 for BIGINT/DATE/TIMESTAMP/BOOLEAN kept
 * exact, double for DOUBLE), its count and capacity (doubling growth), and the quantile q,
 * read from the first non-NULL row of the second argument (q must be a constant in [0, 1]).
 * destroy() frees the array; combine appends src's values; serialize writes the header then
 * the values.
 *
 * Finalize selects with quickselect (average O(n), in place: the state's order is not
 * meaningful). DuckDB's positions: quantile_cont at RN = (n - 1) * q interpolates
 * lo + (RN - floor(RN)) * (hi - lo) between the floor and ceiling ranks; quantile_disc
 * takes index max(1, n - floor(n - n * q)) - 1. Types: median/quantile_cont of
 * BIGINT/DOUBLE give DOUBLE, of DATE/TIMESTAMP give TIMESTAMP; quantile_disc and mode keep
 * the input type. Doubles order with NaN greatest. mode returns the most frequent value,
 * the smallest one on ties.
 */
#include "func/func_internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct quant_state {
    union qv {
        int64_t i;
        double d;
    } *vals;          /* owned */
    int64_t n, cap;
    double q;
    uint8_t q_set;
    uint8_t is_dbl;   /* values are doubles (else int64) */
    uint8_t in_type;  /* kl_type of the input */
    uint8_t pad;
} quant_state;

typedef union qv qv;

/* ---- binding ---------------------------------------------------------------------------- */

static int quant_bind_impl(const char *name, bool cont, kl_type *arg_types, int n_args,
                           kl_type *ret, size_t *state_size, kl_error *err) {
    kl_type t = arg_types[0];
    if (t == KILN_TYPE_NULL) t = KILN_TYPE_DOUBLE;
    if (t == KILN_TYPE_VARCHAR || (cont && t == KILN_TYPE_BOOLEAN))
        return fn_no_overload(err, name, arg_types, n_args);
    arg_types[0] = t;
    if (n_args > 1) {
        if (arg_types[1] != KILN_TYPE_NULL && !fn_is_numeric(arg_types[1]))
            return fn_no_overload(err, name, arg_types, n_args);
        arg_types[1] = KILN_TYPE_DOUBLE;
    }
    if (cont)
        *ret = (t == KILN_TYPE_DATE || t == KILN_TYPE_TIMESTAMP) ? KILN_TYPE_TIMESTAMP
                                                                 : KILN_TYPE_DOUBLE;
    else
        *ret = t;
    *state_size = sizeof(quant_state);
    return 0;
}
static int quant_bind_median(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                             size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx);
    return quant_bind_impl("median", true, arg_types, n_args, ret, state_size, err);
}
static int quant_bind_cont(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                           size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx);
    return quant_bind_impl("quantile_cont", true, arg_types, n_args, ret, state_size, err);
}
static int quant_bind_disc(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                           size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx);
    return quant_bind_impl("quantile_disc", false, arg_types, n_args, ret, state_size, err);
}

/* ---- state ------------------------------------------------------------------------------ */

static void quant_init(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    memset(state, 0, sizeof(quant_state));
}
static void quant_destroy(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    quant_state *s = state;
    kl_free(s->vals);
    s->vals = NULL;
    s->n = s->cap = 0;
}

static int quant_reserve(quant_state *s, int64_t extra, kl_error *err) {
    if (s->n + extra <= s->cap) return 0;
    int64_t cap = s->cap ? s->cap : 16;
    while (cap < s->n + extra) cap *= 2;
    qv *nv = kl_realloc(s->vals, (size_t)cap * sizeof(qv));
    if (!nv) return kl_err(err, KILN_ERR_MEMORY, "out of memory in quantile");
    s->vals = nv;
    s->cap = cap;
    return 0;
}

static int quant_set_q(quant_state *s, double q, kl_error *err) {
    if (!(q >= 0.0 && q <= 1.0))
        return kl_err(err, KILN_ERR_INVALID, "QUANTILE can only take parameters in the range [0, 1]");
    s->q = q;
    s->q_set = 1;
    return 0;
}

static int quant_update_impl(void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                             double fixed_q, kl_error *err) {
    const kl_vec *v = args[0];
    const kl_vec *qv_ = n_args > 1 ? args[1] : NULL;
    if (v->type == KILN_TYPE_NULL) return 0;
    bool dbl = v->type == KILN_TYPE_DOUBLE;
    for (uint32_t i = 0; i < n; i++) {
        quant_state *s = AGG_STATE(states, off, i);
        if (!s->q_set) {
            if (!qv_) {
                s->q = fixed_q;
                s->q_set = 1;
            } else if (qv_->type != KILN_TYPE_NULL && !qv_->nulls[i]) {
                TRY(quant_set_q(s, VEC_F64(qv_)[i], err));
            }
        }
        if (v->has_nulls && v->nulls[i]) continue;
        if (s->n == s->cap) TRY(quant_reserve(s, 1, err));
        s->is_dbl = dbl;
        s->in_type = (uint8_t)v->type;
        qv *slot = &s->vals[s->n++];
        switch (v->type) {
        case KILN_TYPE_DOUBLE: slot->d = VEC_F64(v)[i]; break;
        case KILN_TYPE_DATE: slot->i = VEC_I32(v)[i]; break;
        case KILN_TYPE_BOOLEAN: slot->i = VEC_U8(v)[i] != 0; break;
        default: slot->i = VEC_I64(v)[i]; break;
        }
    }
    return 0;
}
static int quant_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                        kl_error *err) {
    KL_UNUSED(ctx);
    return quant_update_impl(states, off, args, n_args, n, 0.5, err);
}

static int quant_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx);
    quant_state *d = dst;
    const quant_state *s = src;
    if (!d->q_set && s->q_set) {
        d->q = s->q;
        d->q_set = 1;
    }
    if (s->n == 0) return 0;
    TRY(quant_reserve(d, s->n, err));
    memcpy(d->vals + d->n, s->vals, (size_t)s->n * sizeof(qv));
    d->n += s->n;
    d->is_dbl = s->is_dbl;
    d->in_type = s->in_type;
    return 0;
}

/* Format: q (double), q_set, is_dbl, in_type (u8 each), n (int64), n values. */
static int quant_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    KL_UNUSED(ctx);
    const quant_state *s = state;
    uint8_t flags[3] = {s->q_set, s->is_dbl, s->in_type};
    TRY(kl_buf_append(out, &s->q, sizeof s->q));
    TRY(kl_buf_append(out, flags, sizeof flags));
    TRY(kl_buf_append(out, &s->n, sizeof s->n));
    if (s->n) TRY(kl_buf_append(out, s->vals, (size_t)s->n * sizeof(qv)));
    return 0;
}
static int quant_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                             size_t *consumed, kl_error *err) {
    KL_UNUSED(ctx);
    quant_state *s = state;
    const uint8_t *p = data;
    memset(s, 0, sizeof *s); /* the target is treated as uninitialised memory */
    size_t hdr = sizeof(double) + 3 + sizeof(int64_t);
    if (len < hdr) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    int64_t n;
    memcpy(&s->q, p, sizeof s->q);
    s->q_set = p[8];
    s->is_dbl = p[9];
    s->in_type = p[10];
    memcpy(&n, p + 11, sizeof n);
    if (n < 0 || (uint64_t)n > (len - hdr) / sizeof(qv))
        return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    if (n) {
        TRY(quant_reserve(s, n, err)); /* on failure nothing is allocated */
        memcpy(s->vals, p + hdr, (size_t)n * sizeof(qv));
        s->n = n;
    }
    *consumed = hdr + (size_t)n * sizeof(qv);
    return 0;
}

/* ---- selection ------------------------------------------------------------------------------- */

static inline int quant_cmp(const qv *a, const qv *b, bool dbl) {
    return dbl ? fn_cmp_f64(a->d, b->d) : fn_cmp_i64(a->i, b->i);
}

/* Rearrange v[0..n) so v[k] is the k-th smallest, smaller ones before, larger after. */
static void quant_select(qv *v, int64_t n, int64_t k, bool dbl) {
    int64_t lo = 0, hi = n - 1;
    while (hi > lo) {
        /* median of three as pivot, to defeat sorted input */
        int64_t mid = lo + (hi - lo) / 2;
        if (quant_cmp(&v[mid], &v[lo], dbl) < 0) { qv t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
        if (quant_cmp(&v[hi], &v[lo], dbl) < 0) { qv t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
        if (quant_cmp(&v[hi], &v[mid], dbl) < 0) { qv t = v[hi]; v[hi] = v[mid]; v[mid] = t; }
        qv pivot = v[mid];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (quant_cmp(&v[i], &pivot, dbl) < 0) i++;
            while (quant_cmp(&v[j], &pivot, dbl) > 0) j--;
            if (i <= j) {
                qv t = v[i]; v[i] = v[j]; v[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

/* Smallest of v[from..n). */
static qv quant_min_from(const qv *v, int64_t from, int64_t n, bool dbl) {
    qv m = v[from];
    for (int64_t i = from + 1; i < n; i++)
        if (quant_cmp(&v[i], &m, dbl) < 0) m = v[i];
    return m;
}

static int quant_put(kl_vec *out, uint32_t row, const quant_state *s, qv value) {
    out->nulls[row] = 0;
    switch (out->type) {
    case KILN_TYPE_DOUBLE: VEC_F64(out)[row] = s->is_dbl ? value.d : (double)value.i; break;
    case KILN_TYPE_DATE: VEC_I32(out)[row] = (int32_t)value.i; break;
    case KILN_TYPE_BOOLEAN: VEC_U8(out)[row] = (uint8_t)(value.i != 0); break;
    default: VEC_I64(out)[row] = value.i; break;
    }
    return 0;
}

static int quant_final_cont(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row,
                            kl_error *err) {
    KL_UNUSED(ctx);
    quant_state *s = state;
    if (s->n == 0) {
        vec_set_null(out, row);
        return 0;
    }
    double q = s->q_set ? s->q : 0.5;
    double rn = (double)(s->n - 1) * q;
    int64_t frn = (int64_t)floor(rn), crn = (int64_t)ceil(rn);
    bool dbl = s->is_dbl;
    quant_select(s->vals, s->n, frn, dbl);
    qv lo = s->vals[frn];
    qv hi = crn == frn ? lo : quant_min_from(s->vals, frn + 1, s->n, dbl);
    double d = rn - (double)frn;
    out->nulls[row] = 0;
    if (out->type == KILN_TYPE_TIMESTAMP) {
        int64_t a = lo.i, b = hi.i;
        if (s->in_type == KILN_TYPE_DATE && /* days -> microseconds */
            (__builtin_mul_overflow(a, INT64_C(86400000000), &a) ||
             __builtin_mul_overflow(b, INT64_C(86400000000), &b)))
            return kl_err(err, KILN_ERR_OVERFLOW, "date out of range for TIMESTAMP in quantile");
        VEC_I64(out)[row] = a + (int64_t)llround((double)(b - a) * d);
        return 0;
    }
    double a = dbl ? lo.d : (double)lo.i, b = dbl ? hi.d : (double)hi.i;
    /* a == b also covers two infinities, where a + d * (b - a) would be inf - inf = nan */
    VEC_F64(out)[row] = (crn == frn || a == b) ? a : a + d * (b - a);
    return 0;
}

static int quant_final_disc(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row,
                            kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    quant_state *s = state;
    if (s->n == 0) {
        vec_set_null(out, row);
        return 0;
    }
    double q = s->q_set ? s->q : 0.5;
    double n = (double)s->n;
    int64_t floored = (int64_t)floor(n - n * q);
    int64_t idx = KL_MAX(INT64_C(1), s->n - floored) - 1;
    if (idx >= s->n) idx = s->n - 1;
    quant_select(s->vals, s->n, idx, s->is_dbl);
    return quant_put(out, row, s, s->vals[idx]);
}

/* ---- mode -------------------------------------------------------------------------------------- */

static int mode_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                     size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx);
    return quant_bind_impl("mode", false, arg_types, n_args, ret, state_size, err);
}

static int mode_cmp_dbl(const void *a, const void *b) { return fn_cmp_f64(((const qv *)a)->d, ((const qv *)b)->d); }
static int mode_cmp_int(const void *a, const void *b) { return fn_cmp_i64(((const qv *)a)->i, ((const qv *)b)->i); }

static int mode_final(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    quant_state *s = state;
    if (s->n == 0) {
        vec_set_null(out, row);
        return 0;
    }
    bool dbl = s->is_dbl;
    qsort(s->vals, (size_t)s->n, sizeof(qv), dbl ? mode_cmp_dbl : mode_cmp_int);
    int64_t best = 0, best_run = 0;
    for (int64_t i = 0; i < s->n;) {
        int64_t j = i + 1;
        while (j < s->n && quant_cmp(&s->vals[j], &s->vals[i], dbl) == 0) j++;
        if (j - i > best_run) {
            best_run = j - i;
            best = i;
        }
        i = j;
    }
    return quant_put(out, row, s, s->vals[best]);
}

#define QUANT_DEF(name, lo, hi, bindfn, finalfn)                                               \
    {name, lo, hi, bindfn, quant_init, quant_update, quant_combine, finalfn, quant_serialize,   \
     quant_deserialize, quant_destroy, NULL, NULL, false}

const kl_agg_def fn_agg_holistic_defs[] = {
    QUANT_DEF("median", 1, 1, quant_bind_median, quant_final_cont),
    QUANT_DEF("quantile_cont", 2, 2, quant_bind_cont, quant_final_cont),
    QUANT_DEF("quantile_disc", 2, 2, quant_bind_disc, quant_final_disc),
    QUANT_DEF("quantile", 2, 2, quant_bind_disc, quant_final_disc),
    QUANT_DEF("mode", 1, 1, mode_bind, mode_final),
    {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false},
};
