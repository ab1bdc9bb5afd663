/*
 * func_internal.h — private to src/func: the per-file function tables that catalog.c
 * searches, and small helpers shared by the kernels (type names, type unification, the
 * total order on doubles, UTF-8 stepping).
 */
#ifndef KL_FUNC_INTERNAL_H
#define KL_FUNC_INTERNAL_H

#include "func/func.h"

/* Tables of definitions, each terminated by an entry with name == NULL. */
extern const kl_scalar_def fn_math_defs[];
extern const kl_scalar_def fn_string_defs[];
extern const kl_scalar_def fn_misc_defs[];
extern const kl_scalar_def fn_date_defs[];
extern const kl_agg_def fn_agg_basic_defs[];
extern const kl_agg_def fn_agg_stats_defs[];
extern const kl_agg_def fn_agg_holistic_defs[];
extern const kl_agg_def fn_agg_model_defs[];
extern const kl_scalar_def fn_model_defs[];

/** SQL name of a type (never NULL). */
const char *fn_type_name(kl_type t);
static inline bool fn_is_numeric(kl_type t) {
    return t == KILN_TYPE_BIGINT || t == KILN_TYPE_DOUBLE;
}
/**
 * Common super type of a and b for coalesce/greatest/nullif/min-of-two: NULL yields to
 * anything, BIGINT+DOUBLE -> DOUBLE, DATE+TIMESTAMP -> TIMESTAMP. Returns false when the
 * types have no common type.
 */
bool fn_unify(kl_type a, kl_type b, kl_type *out);

/** Total order on doubles: -0.0 == 0.0, NaN == NaN, NaN greater than everything. */
static inline int fn_cmp_f64(double a, double b) {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a == b) return 0;
    /* at least one NaN */
    bool an = a != a, bn = b != b;
    return (int)an - (int)bn;
}
static inline int fn_cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }
static inline int fn_cmp_str(kl_str a, kl_str b) {
    uint32_t n = KL_MIN(a.len, b.len);
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

/** Copy the NULL mask of the n rows of `in` into `out` (has_nulls included). */
static inline void fn_copy_nulls(kl_vec *out, const kl_vec *in, uint32_t n) {
    if (in->has_nulls) {
        memcpy(out->nulls, in->nulls, n);
        out->has_nulls = true;
    } else {
        memset(out->nulls, 0, n);
        out->has_nulls = false;
    }
}

/** out NULL mask = OR of the args' masks over rows [0, n) (an untyped NULL arg: all NULL). */
static inline void fn_propagate_nulls(kl_vec *out, kl_vec **args, int n_args, uint32_t n) {
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    for (int a = 0; a < n_args; a++) {
        const kl_vec *v = args[a];
        if (v->type == KILN_TYPE_NULL) {
            memset(out->nulls, 1, n);
            out->has_nulls = n > 0;
            return;
        }
        if (!v->has_nulls) continue;
        for (uint32_t i = 0; i < n; i++) out->nulls[i] |= v->nulls[i];
        out->has_nulls = true;
    }
}

/** A binder error for a function that has no overload for these argument types. */
int fn_no_overload(kl_error *err, const char *name, const kl_type *arg_types, int n_args);

/**
 * ts + iv with DuckDB's calendar rules (months first, the day clamped to the month's
 * length, then days, then microseconds); false when the result leaves the TIMESTAMP range.
 * Shared by the + operator (ops.c) and date_add/time_bucket (scalar_date.c).
 */
bool fn_ts_add_interval(int64_t ts, kl_interval iv, int64_t *out);

/** Read one value of any non-string type as double / int64 (row must be non-NULL). */
double fn_get_f64(const kl_vec *v, uint32_t row);

#endif /* KL_FUNC_INTERNAL_H */
