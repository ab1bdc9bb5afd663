/*
 * agg_basic.c — the distributive aggregates: count_star, count, count_distinct, sum, avg/mean,
 * min, max, first, any_value/arbitrary, bool_and, bool_or, string_agg/group_concat/listagg.
 *
 * API: the table fn_agg_basic_defs (searched by catalog.c); each entry implements the
 * kl_agg_def vtable (bind, init, update, combine, finalize, serialize, deserialize, destroy).
 *
 * States and bounds:
 *  - count: int64 counter. sum/avg over BIGINT: a 128-bit two's-complement accumulator kept
 *    as (lo: uint64, hi: int64) so no alignment beyond 8 is needed, plus the count; sum fails
 *    at finalize with "Overflow in SUM of BIGINT" when the total does not fit int64
 *    (intermediate overflow is impossible: 2^64 rows of 2^63 each). Over DOUBLE: plain
 *    summation in a {sum, count} state (the layout follows ctx->arg_types[0], set by bind).
 *  - min/max/first/any_value: one value slot {has, is_null, type, value}; VARCHAR values are
 *    copied into a kl_malloc'ed buffer the slot owns (input chunks die), freed by destroy().
 *  - count_distinct: a pointer to an open-addressing hash set (created on first value) of
 *    normalised 64-bit keys (doubles: -0.0 == 0.0, one NaN) or owned string copies; load
 *    factor <= 1/2. combine inserts src's keys into dst.
 *  - string_agg: an owned growing buffer plus the separator seen on the first row (a NULL
 *    separator makes the result NULL, as in DuckDB).
 * deserialize() treats its target as uninitialised memory (it never frees what is there).
 * NULL inputs are skipped (first() alone keeps a leading NULL, as DuckDB). An empty group
 * gives 0 for the counts and NULL for everything else. Serialized forms are raw fixed-size
 * fields followed by any owned bytes; deserialize checks every length against `len`.
 */
#include "func/func_internal.h"

/* ---- shared small helpers -------------------------------------------------------------- */

static int agg_ser_raw(const void *state, size_t size, kl_buf *out) {
    return kl_buf_append(out, state, size);
}

static int agg_deser_raw(void *state, size_t size, const void *data, size_t len,
                         size_t *consumed, kl_error *err) {
    if (len < size) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    memcpy(state, data, size);
    *consumed = size;
    return 0;
}

static int agg_bind_fail(kl_error *err, const char *name, kl_type *arg_types, int n_args) {
    return fn_no_overload(err, name, arg_types, n_args);
}

/* ---- count_star / count -------------------------------------------------------------- */

static int cnt_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                    size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(arg_types), KL_UNUSED(n_args), KL_UNUSED(err);
    *ret = KILN_TYPE_BIGINT;
    *state_size = sizeof(int64_t);
    return 0;
}
static void cnt_init(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    *(int64_t *)state = 0;
}
static int cnt_star_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args,
                           uint32_t n, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(args), KL_UNUSED(n_args), KL_UNUSED(err);
    /* common no-GROUP-BY case: every row in one state */
    if (n && states[0] == states[n - 1]) {
        bool same = true;
        for (uint32_t i = 1; i + 1 < n && same; i++) same = states[i] == states[0];
        if (same) {
            *(int64_t *)AGG_STATE(states, off, 0) += n;
            return 0;
        }
    }
    for (uint32_t i = 0; i < n; i++) (*(int64_t *)AGG_STATE(states, off, i))++;
    return 0;
}
static int cnt_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                      kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args), KL_UNUSED(err);
    const kl_vec *v = args[0];
    if (v->type == KILN_TYPE_NULL) return 0;
    if (!v->has_nulls) return cnt_star_update(ctx, states, off, args, n_args, n, err);
    for (uint32_t i = 0; i < n; i++) *(int64_t *)AGG_STATE(states, off, i) += !v->nulls[i];
    return 0;
}
static int cnt_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    *(int64_t *)dst += *(const int64_t *)src;
    return 0;
}
static int cnt_finalize(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    out->nulls[row] = 0;
    VEC_I64(out)[row] = *(int64_t *)state;
    return 0;
}
static int cnt_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    KL_UNUSED(ctx);
    return agg_ser_raw(state, sizeof(int64_t), out);
}
static int cnt_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                           size_t *consumed, kl_error *err) {
    KL_UNUSED(ctx);
    return agg_deser_raw(state, sizeof(int64_t), data, len, consumed, err);
}

/* ---- sum / avg ------------------------------------------------------------------------------ */

/* Two layouts, chosen by the bound argument type (bind records it in ctx->arg_types[0]):
   DOUBLE input keeps {sum, count} (16 bytes), BIGINT input a 128-bit total and the count
   (24 bytes). Small states matter: a GROUP BY with millions of groups keeps one per group. */
typedef struct sumd_state {
    double sum;
    int64_t count;
} sumd_state;

typedef struct sumi_state {
    uint64_t lo;  /* 128-bit integer sum: hi * 2^64 + lo */
    int64_t hi;
    int64_t count;
} sumi_state;

static inline bool sum_is_dbl(const kl_fn_ctx *ctx) { return ctx->arg_types[0] == KILN_TYPE_DOUBLE; }
static inline size_t sum_size(const kl_fn_ctx *ctx) {
    return sum_is_dbl(ctx) ? sizeof(sumd_state) : sizeof(sumi_state);
}

static inline void sum_add_i64(sumi_state *s, int64_t v) {
    uint64_t old = s->lo;
    s->lo += (uint64_t)v;
    s->hi += (int64_t)(s->lo < old) - (v < 0);
}

static __int128 sum_value(const sumi_state *s) {
    return (__int128)(((unsigned __int128)(uint64_t)s->hi << 64) | s->lo);
}

static int sum_bind_common(kl_fn_ctx *ctx, const char *name, kl_type *arg_types, int n_args,
                           kl_type *ret, size_t *state_size, bool avg, kl_error *err) {
    kl_type t = arg_types[0];
    if (t == KILN_TYPE_NULL || t == KILN_TYPE_BOOLEAN) t = KILN_TYPE_BIGINT;
    if (!fn_is_numeric(t)) return agg_bind_fail(err, name, arg_types, n_args);
    arg_types[0] = t;
    ctx->arg_types[0] = t; /* the state layout depends on it (the binder sets the same) */
    *ret = avg ? KILN_TYPE_DOUBLE : t;
    *state_size = sum_size(ctx);
    return 0;
}
static int sum_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                    size_t *state_size, kl_error *err) {
    return sum_bind_common(ctx, "sum", arg_types, n_args, ret, state_size, false, err);
}
static int avg_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                    size_t *state_size, kl_error *err) {
    return sum_bind_common(ctx, "avg", arg_types, n_args, ret, state_size, true, err);
}
static void sum_init(kl_fn_ctx *ctx, void *state) {
    memset(state, 0, sum_size(ctx));
}
static int sum_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                      kl_error *err) {
    KL_UNUSED(n_args), KL_UNUSED(err);
    const kl_vec *v = args[0];
    const uint8_t *nulls = v->nulls;
    if (v->type == KILN_TYPE_NULL) return 0;
    if (sum_is_dbl(ctx)) {
        const double *x = VEC_F64(v);
        if (!v->has_nulls) {
            for (uint32_t i = 0; i < n; i++) {
                sumd_state *s = AGG_STATE(states, off, i);
                s->sum += x[i];
                s->count++;
            }
            return 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (nulls[i]) continue;
            sumd_state *s = AGG_STATE(states, off, i);
            s->sum += x[i];
            s->count++;
        }
    } else {
        const int64_t *x = VEC_I64(v);
        if (!v->has_nulls) {
            for (uint32_t i = 0; i < n; i++) {
                sumi_state *s = AGG_STATE(states, off, i);
                sum_add_i64(s, x[i]);
                s->count++;
            }
            return 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (nulls[i]) continue;
            sumi_state *s = AGG_STATE(states, off, i);
            sum_add_i64(s, x[i]);
            s->count++;
        }
    }
    return 0;
}
static int sum_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(err);
    if (sum_is_dbl(ctx)) {
        sumd_state *d = dst;
        const sumd_state *s = src;
        d->sum += s->sum;
        d->count += s->count;
        return 0;
    }
    sumi_state *d = dst;
    const sumi_state *s = src;
    uint64_t old = d->lo;
    d->lo += s->lo;
    d->hi += s->hi + (int64_t)(d->lo < old);
    d->count += s->count;
    return 0;
}
static int sum_finalize(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    if (sum_is_dbl(ctx)) {
        const sumd_state *s = state;
        if (s->count == 0) {
            vec_set_null(out, row);
            return 0;
        }
        out->nulls[row] = 0;
        VEC_F64(out)[row] = s->sum;
        return 0;
    }
    const sumi_state *s = state;
    if (s->count == 0) {
        vec_set_null(out, row);
        return 0;
    }
    out->nulls[row] = 0;
    __int128 v = sum_value(s);
    if (v > INT64_MAX || v < INT64_MIN)
        return kl_err(err, KILN_ERR_OVERFLOW, "Overflow in SUM of BIGINT");
    VEC_I64(out)[row] = (int64_t)v;
    return 0;
}
static int avg_finalize(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    KL_UNUSED(err);
    double total;
    int64_t count;
    if (sum_is_dbl(ctx)) {
        const sumd_state *s = state;
        total = s->sum;
        count = s->count;
    } else {
        const sumi_state *s = state;
        total = (double)sum_value(s);
        count = s->count;
    }
    if (count == 0) {
        vec_set_null(out, row);
        return 0;
    }
    out->nulls[row] = 0;
    VEC_F64(out)[row] = total / (double)count;
    return 0;
}
static int sum_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    return agg_ser_raw(state, sum_size(ctx), out);
}
static int sum_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                           size_t *consumed, kl_error *err) {
    return agg_deser_raw(state, sum_size(ctx), data, len, consumed, err);
}

/* ---- value slots: min / max / first / any_value ----------------------------------------- */

typedef struct slot_state {
    uint8_t has;     /* a value (or, for first(), a leading NULL) was seen */
    uint8_t is_null; /* first() only: the first value was NULL */
    uint8_t type;    /* kl_type of the value */
    uint8_t pad;
    uint32_t len;    /* VARCHAR: length; cap of buffer in cap */
    uint32_t cap;
    uint32_t pad2;
    union {
        int64_t i; /* BOOLEAN, BIGINT, DATE, TIMESTAMP */
        double d;
        char *s;   /* owned */
    } v;
} slot_state;

static int slot_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                     size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args), KL_UNUSED(err);
    if (arg_types[0] == KILN_TYPE_NULL) arg_types[0] = KILN_TYPE_BIGINT;
    *ret = arg_types[0];
    *state_size = sizeof(slot_state);
    return 0;
}
static void slot_init(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    memset(state, 0, sizeof(slot_state));
}
static void slot_destroy(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    slot_state *s = state;
    if (s->type == KILN_TYPE_VARCHAR && s->cap) kl_free(s->v.s);
    s->cap = 0;
    s->has = 0;
}

static int slot_set_str(slot_state *s, const char *p, uint32_t len, kl_error *err) {
    if (s->type != KILN_TYPE_VARCHAR || s->cap == 0) {
        s->v.s = NULL;
        s->cap = 0;
    }
    if (len > s->cap || s->cap == 0) {
        uint32_t cap = len < 16 ? 16 : len;
        char *nb = kl_realloc(s->v.s, cap);
        if (!nb) return kl_err(err, KILN_ERR_MEMORY, "out of memory in aggregate");
        s->v.s = nb;
        s->cap = cap;
    }
    if (len) memcpy(s->v.s, p, len);
    s->len = len;
    s->type = KILN_TYPE_VARCHAR;
    return 0;
}

/* Store v[row] (not NULL) into the slot. */
static int slot_set(slot_state *s, const kl_vec *v, uint32_t row, kl_error *err) {
    s->has = 1;
    s->is_null = 0;
    switch (v->type) {
    case KILN_TYPE_VARCHAR: {
        kl_str x = VEC_STR(v)[row];
        return slot_set_str(s, x.ptr, x.len, err);
    }
    case KILN_TYPE_DOUBLE: s->v.d = VEC_F64(v)[row]; break;
    case KILN_TYPE_DATE: s->v.i = VEC_I32(v)[row]; break;
    case KILN_TYPE_BOOLEAN: s->v.i = VEC_U8(v)[row] != 0; break;
    default: s->v.i = VEC_I64(v)[row]; break;
    }
    s->type = (uint8_t)v->type;
    return 0;
}

/* Compare v[row] with the slot's value (same type). */
static int slot_cmp(const slot_state *s, const kl_vec *v, uint32_t row) {
    switch (v->type) {
    case KILN_TYPE_VARCHAR: return fn_cmp_str(VEC_STR(v)[row], (kl_str){s->v.s, s->len});
    case KILN_TYPE_DOUBLE: return fn_cmp_f64(VEC_F64(v)[row], s->v.d);
    case KILN_TYPE_DATE: return fn_cmp_i64(VEC_I32(v)[row], s->v.i);
    case KILN_TYPE_BOOLEAN: return fn_cmp_i64(VEC_U8(v)[row] != 0, s->v.i);
    default: return fn_cmp_i64(VEC_I64(v)[row], s->v.i);
    }
}

static int slot_cmp_states(const slot_state *a, const slot_state *b) {
    switch (a->type) {
    case KILN_TYPE_VARCHAR: return fn_cmp_str((kl_str){a->v.s, a->len}, (kl_str){b->v.s, b->len});
    case KILN_TYPE_DOUBLE: return fn_cmp_f64(a->v.d, b->v.d);
    default: return fn_cmp_i64(a->v.i, b->v.i);
    }
}

static int slot_copy(slot_state *d, const slot_state *s, kl_error *err) {
    if (s->type == KILN_TYPE_VARCHAR && !s->is_null) {
        TRY(slot_set_str(d, s->v.s, s->len, err));
    } else {
        if (d->type == KILN_TYPE_VARCHAR && d->cap) kl_free(d->v.s);
        d->cap = 0;
        d->v = s->v;
        d->type = s->type;
    }
    d->has = s->has;
    d->is_null = s->is_null;
    return 0;
}

static int minmax_update(void *const *states, size_t off, const kl_vec *v, uint32_t n, int sign, kl_error *err) {
    if (v->type == KILN_TYPE_NULL) return 0;
    /* Fast paths for numbers: no per-row switch. */
    if (v->type == KILN_TYPE_BIGINT || v->type == KILN_TYPE_TIMESTAMP) {
        const int64_t *x = VEC_I64(v);
        for (uint32_t i = 0; i < n; i++) {
            if (v->has_nulls && v->nulls[i]) continue;
            slot_state *s = AGG_STATE(states, off, i);
            if (!s->has || (sign > 0 ? x[i] > s->v.i : x[i] < s->v.i)) {
                s->has = 1;
                s->type = (uint8_t)v->type;
                s->v.i = x[i];
            }
        }
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (v->has_nulls && v->nulls[i]) continue;
        slot_state *s = AGG_STATE(states, off, i);
        if (!s->has || sign * slot_cmp(s, v, i) > 0) TRY(slot_set(s, v, i, err));
    }
    return 0;
}
static int min_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                      kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args);
    return minmax_update(states, off, args[0], n, -1, err);
}
static int max_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                      kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args);
    return minmax_update(states, off, args[0], n, 1, err);
}
static int min_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx);
    slot_state *d = dst;
    const slot_state *s = src;
    if (s->has && (!d->has || slot_cmp_states(s, d) < 0)) return slot_copy(d, s, err);
    return 0;
}
static int max_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx);
    slot_state *d = dst;
    const slot_state *s = src;
    if (s->has && (!d->has || slot_cmp_states(s, d) > 0)) return slot_copy(d, s, err);
    return 0;
}
static int slot_finalize(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    KL_UNUSED(ctx);
    const slot_state *s = state;
    if (!s->has || s->is_null || out->type == KILN_TYPE_NULL) {
        vec_set_null(out, row);
        return 0;
    }
    out->nulls[row] = 0;
    switch (out->type) {
    case KILN_TYPE_VARCHAR:
        if (vec_set_string(out, row, s->len ? s->v.s : "", s->len) != 0)
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in aggregate");
        break;
    case KILN_TYPE_DOUBLE: VEC_F64(out)[row] = s->v.d; break;
    case KILN_TYPE_DATE: VEC_I32(out)[row] = (int32_t)s->v.i; break;
    case KILN_TYPE_BOOLEAN: VEC_U8(out)[row] = (uint8_t)s->v.i; break;
    default: VEC_I64(out)[row] = s->v.i; break;
    }
    return 0;
}
static int slot_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    KL_UNUSED(ctx);
    const slot_state *s = state;
    uint8_t hdr[3] = {s->has, s->is_null, s->type};
    TRY(kl_buf_append(out, hdr, sizeof hdr));
    if (s->type == KILN_TYPE_VARCHAR && s->has && !s->is_null) {
        TRY(kl_buf_append(out, &s->len, sizeof s->len));
        return kl_buf_append(out, s->len ? s->v.s : "", s->len);
    }
    return kl_buf_append(out, &s->v, sizeof s->v);
}
static int slot_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                            size_t *consumed, kl_error *err) {
    KL_UNUSED(ctx);
    slot_state *s = state;
    const uint8_t *p = data;
    if (len < 3) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    memset(s, 0, sizeof *s); /* the target is treated as uninitialised memory */
    uint8_t has = p[0], is_null = p[1], type = p[2];
    if (type >= KILN_TYPE__COUNT) return kl_err(err, KILN_ERR_DATA, "corrupt aggregate state");
    size_t used = 3;
    if (type == KILN_TYPE_VARCHAR && has && !is_null) {
        uint32_t n;
        if (len - used < sizeof n) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
        memcpy(&n, p + used, sizeof n);
        used += sizeof n;
        if (len - used < n) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
        TRY(slot_set_str(s, (const char *)p + used, n, err));
        used += n;
    } else {
        if (len - used < sizeof s->v) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
        memcpy(&s->v, p + used, sizeof s->v);
        used += sizeof s->v;
        s->type = type;
    }
    s->has = has;
    s->is_null = is_null;
    *consumed = used;
    return 0;
}

/* first(): the first row's value, NULL included; any_value(): the first non-NULL value. */
static int first_update_impl(void *const *states, size_t off, const kl_vec *v, uint32_t n, bool skip_nulls,
                             kl_error *err) {
    for (uint32_t i = 0; i < n; i++) {
        slot_state *s = AGG_STATE(states, off, i);
        if (s->has) continue;
        if (v->type == KILN_TYPE_NULL || v->nulls[i]) {
            if (skip_nulls) continue;
            s->has = 1;
            s->is_null = 1;
            continue;
        }
        TRY(slot_set(s, v, i, err));
    }
    return 0;
}
static int first_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                        kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args);
    return first_update_impl(states, off, args[0], n, false, err);
}
static int any_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                      kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args);
    return first_update_impl(states, off, args[0], n, true, err);
}
static int first_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx);
    slot_state *d = dst;
    const slot_state *s = src;
    if (!d->has && s->has) return slot_copy(d, s, err);
    return 0;
}

/* ---- bool_and / bool_or -------------------------------------------------------------------- */

typedef struct bool_state {
    uint8_t has;
    uint8_t val;
} bool_state;

static int bool_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                     size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx);
    if (arg_types[0] != KILN_TYPE_BOOLEAN && arg_types[0] != KILN_TYPE_NULL)
        return agg_bind_fail(err, "bool_and", arg_types, n_args);
    arg_types[0] = KILN_TYPE_BOOLEAN;
    *ret = KILN_TYPE_BOOLEAN;
    *state_size = sizeof(bool_state);
    return 0;
}
static void bool_init(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    memset(state, 0, sizeof(bool_state));
}
static int bool_update_impl(void *const *states, size_t off, const kl_vec *v, uint32_t n, bool is_and) {
    if (v->type == KILN_TYPE_NULL) return 0;
    const uint8_t *x = VEC_U8(v);
    for (uint32_t i = 0; i < n; i++) {
        if (v->nulls[i]) continue;
        bool_state *s = AGG_STATE(states, off, i);
        uint8_t b = x[i] != 0;
        s->val = s->has ? (is_and ? (s->val & b) : (s->val | b)) : b;
        s->has = 1;
    }
    return 0;
}
static int band_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                       kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args), KL_UNUSED(err);
    return bool_update_impl(states, off, args[0], n, true);
}
static int bor_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                      kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args), KL_UNUSED(err);
    return bool_update_impl(states, off, args[0], n, false);
}
static int band_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    bool_state *d = dst;
    const bool_state *s = src;
    if (s->has) {
        d->val = d->has ? (d->val & s->val) : s->val;
        d->has = 1;
    }
    return 0;
}
static int bor_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    bool_state *d = dst;
    const bool_state *s = src;
    if (s->has) {
        d->val = d->has ? (d->val | s->val) : s->val;
        d->has = 1;
    }
    return 0;
}
static int bool_finalize(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    const bool_state *s = state;
    if (!s->has) {
        vec_set_null(out, row);
        return 0;
    }
    out->nulls[row] = 0;
    VEC_U8(out)[row] = s->val;
    return 0;
}
static int bool_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    KL_UNUSED(ctx);
    return agg_ser_raw(state, sizeof(bool_state), out);
}
static int bool_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                            size_t *consumed, kl_error *err) {
    KL_UNUSED(ctx);
    return agg_deser_raw(state, sizeof(bool_state), data, len, consumed, err);
}

/* ---- count_distinct ------------------------------------------------------------------------- */

typedef struct cd_entry {
    uint64_t hash;
    uint64_t key;   /* normalised value bits (non-strings) */
    char *str;      /* owned copy (strings) */
    uint32_t len;
    uint8_t used;
} cd_entry;

typedef struct cd_set {
    cd_entry *slots;
    uint64_t cap;   /* power of two */
    uint64_t count;
    uint8_t is_str;
} cd_set;

typedef struct cd_state {
    cd_set *set; /* NULL until the first value */
} cd_state;

static int cd_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                   size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args), KL_UNUSED(err);
    if (arg_types[0] == KILN_TYPE_NULL) arg_types[0] = KILN_TYPE_BIGINT;
    *ret = KILN_TYPE_BIGINT;
    *state_size = sizeof(cd_state);
    return 0;
}
static void cd_init(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    ((cd_state *)state)->set = NULL;
}
static void cd_destroy(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    cd_state *s = state;
    if (!s->set) return;
    for (uint64_t k = 0; k < s->set->cap; k++) kl_free(s->set->slots[k].str);
    kl_free(s->set->slots);
    kl_free(s->set);
    s->set = NULL;
}

static int cd_ensure(cd_state *s, bool is_str, kl_error *err) {
    if (s->set) return 0;
    cd_set *set = kl_calloc(1, sizeof *set);
    if (!set) return kl_err(err, KILN_ERR_MEMORY, "out of memory in count(DISTINCT)");
    set->cap = 16;
    set->slots = kl_calloc(set->cap, sizeof(cd_entry));
    if (!set->slots) {
        kl_free(set);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in count(DISTINCT)");
    }
    set->is_str = is_str;
    s->set = set;
    return 0;
}

static int cd_grow(cd_set *set, kl_error *err) {
    uint64_t ncap = set->cap * 2;
    cd_entry *ns = kl_calloc(ncap, sizeof(cd_entry));
    if (!ns) return kl_err(err, KILN_ERR_MEMORY, "out of memory in count(DISTINCT)");
    for (uint64_t k = 0; k < set->cap; k++) {
        if (!set->slots[k].used) continue;
        uint64_t j = set->slots[k].hash & (ncap - 1);
        while (ns[j].used) j = (j + 1) & (ncap - 1);
        ns[j] = set->slots[k];
    }
    kl_free(set->slots);
    set->slots = ns;
    set->cap = ncap;
    return 0;
}

/* Insert a key (str != NULL for strings: bytes are copied when new). */
static int cd_insert(cd_set *set, uint64_t hash, uint64_t key, const char *str, uint32_t len,
                     kl_error *err) {
    if ((set->count + 1) * 2 > set->cap) TRY(cd_grow(set, err));
    uint64_t j = hash & (set->cap - 1);
    for (;;) {
        cd_entry *e = &set->slots[j];
        if (!e->used) break;
        if (e->hash == hash &&
            (set->is_str ? (e->len == len && (len == 0 || memcmp(e->str, str, len) == 0))
                         : e->key == key))
            return 0;
        j = (j + 1) & (set->cap - 1);
    }
    cd_entry *e = &set->slots[j];
    if (set->is_str) {
        e->str = kl_malloc(len ? len : 1);
        if (!e->str) return kl_err(err, KILN_ERR_MEMORY, "out of memory in count(DISTINCT)");
        if (len) memcpy(e->str, str, len);
        e->len = len;
    }
    e->hash = hash;
    e->key = key;
    e->used = 1;
    set->count++;
    return 0;
}

static uint64_t cd_key(const kl_vec *v, uint32_t i) {
    switch (v->type) {
    case KILN_TYPE_DOUBLE: {
        double d = VEC_F64(v)[i];
        if (d == 0.0) d = 0.0;
        if (d != d) return UINT64_C(0x7ff8000000000000);
        uint64_t k;
        memcpy(&k, &d, sizeof k);
        return k;
    }
    case KILN_TYPE_DATE: return (uint64_t)(int64_t)VEC_I32(v)[i];
    case KILN_TYPE_BOOLEAN: return VEC_U8(v)[i] != 0;
    default: return (uint64_t)VEC_I64(v)[i];
    }
}

static int cd_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                     kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args);
    const kl_vec *v = args[0];
    if (v->type == KILN_TYPE_NULL) return 0;
    bool is_str = v->type == KILN_TYPE_VARCHAR;
    for (uint32_t i = 0; i < n; i++) {
        if (v->nulls[i]) continue;
        cd_state *s = AGG_STATE(states, off, i);
        TRY(cd_ensure(s, is_str, err));
        if (is_str) {
            kl_str x = VEC_STR(v)[i];
            TRY(cd_insert(s->set, kl_hash_bytes(x.len ? x.ptr : "", x.len), 0, x.ptr, x.len, err));
        } else {
            uint64_t k = cd_key(v, i);
            TRY(cd_insert(s->set, kl_hash_u64(k), k, NULL, 0, err));
        }
    }
    return 0;
}
static int cd_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx);
    cd_state *d = dst;
    const cd_state *s = src;
    if (!s->set) return 0;
    TRY(cd_ensure(d, s->set->is_str, err));
    for (uint64_t k = 0; k < s->set->cap; k++) {
        const cd_entry *e = &s->set->slots[k];
        if (e->used) TRY(cd_insert(d->set, e->hash, e->key, e->str, e->len, err));
    }
    return 0;
}
static int cd_finalize(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    const cd_state *s = state;
    out->nulls[row] = 0;
    VEC_I64(out)[row] = s->set ? (int64_t)s->set->count : 0;
    return 0;
}
/* Format: u8 present, [u8 is_str, u64 count, count * (u64 key | u32 len + bytes)] */
static int cd_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    KL_UNUSED(ctx);
    const cd_state *s = state;
    uint8_t present = s->set != NULL;
    TRY(kl_buf_append(out, &present, 1));
    if (!present) return 0;
    TRY(kl_buf_append(out, &s->set->is_str, 1));
    TRY(kl_buf_append(out, &s->set->count, sizeof s->set->count));
    for (uint64_t k = 0; k < s->set->cap; k++) {
        const cd_entry *e = &s->set->slots[k];
        if (!e->used) continue;
        if (s->set->is_str) {
            TRY(kl_buf_append(out, &e->len, sizeof e->len));
            TRY(kl_buf_append(out, e->len ? e->str : "", e->len));
        } else {
            TRY(kl_buf_append(out, &e->key, sizeof e->key));
        }
    }
    return 0;
}
static int cd_deserialize_impl(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                          size_t *consumed, kl_error *err) {
    cd_state *s = state;
    const uint8_t *p = data;
    KL_UNUSED(ctx);
    s->set = NULL; /* the target is treated as uninitialised memory */
    if (len < 1) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    size_t used = 1;
    if (!p[0]) {
        *consumed = used;
        return 0;
    }
    uint64_t count;
    if (len - used < 1 + sizeof count) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    bool is_str = p[used++] != 0;
    memcpy(&count, p + used, sizeof count);
    used += sizeof count;
    TRY(cd_ensure(s, is_str, err));
    for (uint64_t k = 0; k < count; k++) {
        if (is_str) {
            uint32_t n;
            if (len - used < sizeof n) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
            memcpy(&n, p + used, sizeof n);
            used += sizeof n;
            if (len - used < n) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
            const char *str = (const char *)p + used;
            TRY(cd_insert(s->set, kl_hash_bytes(n ? str : "", n), 0, str, n, err));
            used += n;
        } else {
            uint64_t key;
            if (len - used < sizeof key) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
            memcpy(&key, p + used, sizeof key);
            used += sizeof key;
            TRY(cd_insert(s->set, kl_hash_u64(key), key, NULL, 0, err));
        }
    }
    *consumed = used;
    return 0;
}

/* On failure free what was built so far: the caller will not destroy a state it never got. */
static int cd_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                          size_t *consumed, kl_error *err) {
    int rc = cd_deserialize_impl(ctx, state, data, len, consumed, err);
    if (rc) cd_destroy(ctx, state);
    return rc;
}

/* ---- string_agg ------------------------------------------------------------------------------ */

typedef struct sa_state {
    char *buf; /* owned: the values joined so far */
    uint32_t len, cap;
    char *sep; /* owned: separator from the first row with one */
    uint32_t sep_len;
    uint8_t has;
    uint8_t has_sep; /* 0 none yet, 1 sep holds it, 2 the separator was NULL (result NULL) */
} sa_state;

static int sa_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                   size_t *state_size, kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    for (int i = 0; i < n_args; i++) arg_types[i] = KILN_TYPE_VARCHAR;
    *ret = KILN_TYPE_VARCHAR;
    *state_size = sizeof(sa_state);
    return 0;
}
static void sa_init(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    memset(state, 0, sizeof(sa_state));
}
static void sa_destroy(kl_fn_ctx *ctx, void *state) {
    KL_UNUSED(ctx);
    sa_state *s = state;
    kl_free(s->buf);
    kl_free(s->sep);
    memset(s, 0, sizeof *s);
}
static int sa_append(sa_state *s, const char *p, uint32_t n, kl_error *err) {
    uint64_t need = (uint64_t)s->len + n;
    if (need > UINT32_MAX) return kl_err(err, KILN_ERR_INVALID, "string_agg result too long");
    if (need > s->cap) {
        uint64_t cap = s->cap ? s->cap : 64;
        while (cap < need) cap *= 2;
        if (cap > UINT32_MAX) cap = UINT32_MAX;
        char *nb = kl_realloc(s->buf, (size_t)cap);
        if (!nb) return kl_err(err, KILN_ERR_MEMORY, "out of memory in string_agg");
        s->buf = nb;
        s->cap = (uint32_t)cap;
    }
    if (n) memcpy(s->buf + s->len, p, n);
    s->len = (uint32_t)need;
    return 0;
}
static int sa_set_sep(sa_state *s, const char *p, uint32_t n, kl_error *err) {
    s->sep = kl_malloc(n ? n : 1);
    if (!s->sep) return kl_err(err, KILN_ERR_MEMORY, "out of memory in string_agg");
    if (n) memcpy(s->sep, p, n);
    s->sep_len = n;
    s->has_sep = 1;
    return 0;
}
static int sa_add(sa_state *s, const char *p, uint32_t n, kl_error *err) {
    if (!s->has_sep) TRY(sa_set_sep(s, ",", 1, err));
    if (s->has) TRY(sa_append(s, s->sep, s->sep_len, err));
    s->has = 1;
    return sa_append(s, p, n, err);
}
static int sa_update(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args, uint32_t n,
                     kl_error *err) {
    KL_UNUSED(ctx);
    const kl_vec *v = args[0];
    if (v->type == KILN_TYPE_NULL) return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (v->nulls[i]) continue;
        sa_state *s = AGG_STATE(states, off, i);
        if (!s->has_sep && n_args > 1) {
            if (args[1]->type == KILN_TYPE_NULL || args[1]->nulls[i]) {
                s->has_sep = 2; /* DuckDB: string_agg(x, NULL) is NULL */
            } else {
                kl_str sp = VEC_STR(args[1])[i];
                TRY(sa_set_sep(s, sp.ptr, sp.len, err));
            }
        }
        kl_str x = VEC_STR(v)[i];
        TRY(sa_add(s, x.ptr, x.len, err));
    }
    return 0;
}
static int sa_combine(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err) {
    KL_UNUSED(ctx);
    sa_state *d = dst;
    const sa_state *s = src;
    if (!s->has) return 0;
    if (!d->has_sep && s->has_sep == 1) TRY(sa_set_sep(d, s->sep, s->sep_len, err));
    if (s->has_sep == 2) d->has_sep = 2;
    return sa_add(d, s->buf, s->len, err);
}
static int sa_finalize(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err) {
    KL_UNUSED(ctx);
    const sa_state *s = state;
    if (!s->has || s->has_sep == 2) {
        vec_set_null(out, row);
        return 0;
    }
    out->nulls[row] = 0;
    if (vec_set_string(out, row, s->len ? s->buf : "", s->len) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in string_agg");
    return 0;
}
/* Format: u8 has, u8 has_sep, u32 sep_len, sep bytes, u32 len, bytes */
static int sa_serialize(kl_fn_ctx *ctx, const void *state, kl_buf *out) {
    KL_UNUSED(ctx);
    const sa_state *s = state;
    uint8_t hdr[2] = {s->has, s->has_sep};
    TRY(kl_buf_append(out, hdr, 2));
    TRY(kl_buf_append(out, &s->sep_len, sizeof s->sep_len));
    TRY(kl_buf_append(out, s->sep_len ? s->sep : "", s->sep_len));
    TRY(kl_buf_append(out, &s->len, sizeof s->len));
    return kl_buf_append(out, s->len ? s->buf : "", s->len);
}
static int sa_deserialize_impl(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                          size_t *consumed, kl_error *err) {
    sa_state *s = state;
    const uint8_t *p = data;
    KL_UNUSED(ctx);
    memset(s, 0, sizeof *s); /* the target is treated as uninitialised memory */
    uint32_t n;
    size_t used = 2;
    if (len < 2 + sizeof n) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    uint8_t has = p[0], has_sep = p[1];
    memcpy(&n, p + used, sizeof n);
    used += sizeof n;
    if (len - used < n) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    if (has_sep == 1) TRY(sa_set_sep(s, (const char *)p + used, n, err));
    else s->has_sep = has_sep ? 2 : 0;
    used += n;
    if (len - used < sizeof n) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    memcpy(&n, p + used, sizeof n);
    used += sizeof n;
    if (len - used < n) return kl_err(err, KILN_ERR_DATA, "truncated aggregate state");
    TRY(sa_append(s, (const char *)p + used, n, err));
    used += n;
    s->has = has;
    *consumed = used;
    return 0;
}

static int sa_deserialize(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                          size_t *consumed, kl_error *err) {
    int rc = sa_deserialize_impl(ctx, state, data, len, consumed, err);
    if (rc) sa_destroy(ctx, state);
    return rc;
}

/* ---- the table ------------------------------------------------------------------------------ */

const kl_agg_def fn_agg_basic_defs[] = {
    {"count_star", 0, 0, cnt_bind, cnt_init, cnt_star_update, cnt_combine, cnt_finalize,
     cnt_serialize, cnt_deserialize, NULL, NULL, NULL, false},
    {"count", 1, 1, cnt_bind, cnt_init, cnt_update, cnt_combine, cnt_finalize, cnt_serialize,
     cnt_deserialize, NULL, NULL, NULL, false},
    {"count_distinct", 1, 1, cd_bind, cd_init, cd_update, cd_combine, cd_finalize, cd_serialize,
     cd_deserialize, cd_destroy, NULL, NULL, false},
    {"sum", 1, 1, sum_bind, sum_init, sum_update, sum_combine, sum_finalize, sum_serialize,
     sum_deserialize, NULL, NULL, NULL, false},
    {"avg", 1, 1, avg_bind, sum_init, sum_update, sum_combine, avg_finalize, sum_serialize,
     sum_deserialize, NULL, NULL, NULL, false},
    {"mean", 1, 1, avg_bind, sum_init, sum_update, sum_combine, avg_finalize, sum_serialize,
     sum_deserialize, NULL, NULL, NULL, false},
    {"min", 1, 1, slot_bind, slot_init, min_update, min_combine, slot_finalize, slot_serialize,
     slot_deserialize, slot_destroy, NULL, NULL, false},
    {"max", 1, 1, slot_bind, slot_init, max_update, max_combine, slot_finalize, slot_serialize,
     slot_deserialize, slot_destroy, NULL, NULL, false},
    {"first", 1, 1, slot_bind, slot_init, first_update, first_combine, slot_finalize,
     slot_serialize, slot_deserialize, slot_destroy, NULL, NULL, false},
    {"any_value", 1, 1, slot_bind, slot_init, any_update, first_combine, slot_finalize,
     slot_serialize, slot_deserialize, slot_destroy, NULL, NULL, false},
    {"arbitrary", 1, 1, slot_bind, slot_init, any_update, first_combine, slot_finalize,
     slot_serialize, slot_deserialize, slot_destroy, NULL, NULL, false},
    {"bool_and", 1, 1, bool_bind, bool_init, band_update, band_combine, bool_finalize,
     bool_serialize, bool_deserialize, NULL, NULL, NULL, false},
    {"bool_or", 1, 1, bool_bind, bool_init, bor_update, bor_combine, bool_finalize,
     bool_serialize, bool_deserialize, NULL, NULL, NULL, false},
    {"string_agg", 1, 2, sa_bind, sa_init, sa_update, sa_combine, sa_finalize, sa_serialize,
     sa_deserialize, sa_destroy, NULL, NULL, false},
    {"group_concat", 1, 2, sa_bind, sa_init, sa_update, sa_combine, sa_finalize, sa_serialize,
     sa_deserialize, sa_destroy, NULL, NULL, false},
    {"listagg", 1, 2, sa_bind, sa_init, sa_update, sa_combine, sa_finalize, sa_serialize,
     sa_deserialize, sa_destroy, NULL, NULL, false},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false},
};
