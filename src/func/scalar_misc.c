/*
 * scalar_misc.c — scalar functions that are about NULLs and types rather than numbers or
 * text: coalesce, ifnull, nullif, greatest, least, concat, concat_ws, hash.
 *
 * API: the table fn_misc_defs (searched by catalog.c).
 *
 * Binding: coalesce/ifnull/nullif/greatest/least unify their argument types with fn_unify
 * (BIGINT+DOUBLE -> DOUBLE, DATE+TIMESTAMP -> TIMESTAMP, NULL yields to anything) and fail
 * with KILN_ERR_BINDER on types that do not mix; concat/concat_ws take anything (as
 * VARCHAR). These functions see NULL arguments (handles_nulls): coalesce returns the first
 * non-NULL, greatest/least ignore NULLs (NULL only when all are), concat skips NULLs,
 * hash hashes NULL as a fixed value.
 *
 * hash(x, ...) is a stable 64-bit value: xxh3 (kl_hash_bytes) of each value's bytes (BIGINT,
 * DATE and BOOLEAN as int64, DOUBLE with -0.0 == 0.0 and one NaN, VARCHAR its bytes, NULL a fixed
 * constant), combined across arguments with kl_hash_combine, then masked to 63 bits so it is a
 * NON-NEGATIVE BIGINT. DuckDB's hash() returns a UBIGINT of a different function, so the values
 * differ from DuckDB's; what holds is: deterministic across runs, machines and thread counts,
 * equal inputs hash equal, and `hash(id) % 10 < 8` works as an unsigned train/test split would
 * (kiln's signed % would give negative remainders for a negative hash).
 *
 * random() -> DOUBLE in [0, 1): xoshiro256** with one process-wide state behind a mutex, seeded
 * from the clock and pid on first use unless func_set_seed()/setseed(x) set it (x in [-1, 1];
 * the same seed gives the same sequence in kiln, not DuckDB's sequence: a different generator).
 * The binder never folds random() (expr_is_constant knows the name). setseed(x) returns NULL;
 * with a constant argument it runs once at bind time (constant folding), like a statement.
 * With several threads the order in which rows draw numbers is not deterministic.
 */
#include "func/func_internal.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

/* ---- type unification for the variadic ones --------------------------------------------- */

static int misc_bind_unify(const char *name, kl_type *arg_types, int n_args, kl_type *ret,
                           kl_error *err) {
    kl_type t = KILN_TYPE_NULL;
    for (int i = 0; i < n_args; i++) {
        kl_type u;
        if (!fn_unify(t, arg_types[i], &u)) {
            /* one VARCHAR among dates is cast to the date type, as DuckDB does for literals */
            return kl_err(err, KILN_ERR_BINDER, "Cannot mix values of type %s and %s in %s",
                          fn_type_name(t), fn_type_name(arg_types[i]), name);
        }
        t = u;
    }
    for (int i = 0; i < n_args; i++) arg_types[i] = t;
    *ret = t;
    return 0;
}

#define MISC_BIND_UNIFY(fname, label)                                                          \
    static int misc_bind_##fname(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, \
                                 kl_error *err) {                                              \
        KL_UNUSED(ctx);                                                                        \
        return misc_bind_unify(label, arg_types, n_args, ret, err);                            \
    }
MISC_BIND_UNIFY(coalesce, "COALESCE")

/* nullif(a, b) has a's type (DuckDB); a BIGINT/DOUBLE mix is compared as DOUBLE in exec, other
   pairs are unified as for coalesce. */
static int misc_bind_nullif(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, kl_error *err) {
    KL_UNUSED(ctx);
    kl_type a = arg_types[0], b = arg_types[1];
    bool num_mix = (a == KILN_TYPE_BIGINT && b == KILN_TYPE_DOUBLE) || (a == KILN_TYPE_DOUBLE && b == KILN_TYPE_BIGINT);
    if (num_mix) {
        *ret = a;
        return 0;
    }
    return misc_bind_unify("NULLIF", arg_types, n_args, ret, err);
}
MISC_BIND_UNIFY(greatest, "GREATEST")

static int misc_all_null(kl_vec *out, uint32_t n) {
    memset(out->nulls, 1, n);
    out->has_nulls = n > 0;
    return 0;
}

static int misc_coalesce(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                         kl_error *err) {
    KL_UNUSED(ctx);
    if (out->type == KILN_TYPE_NULL) return misc_all_null(out, n);
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    for (uint32_t i = 0; i < n; i++) {
        int a = 0;
        while (a < n_args && args[a]->nulls[i]) a++;
        if (a == n_args) {
            vec_set_null(out, i);
            continue;
        }
        if (vec_copy_row(out, i, args[a], i) != 0)
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in COALESCE");
    }
    return 0;
}

static int misc_nullif(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(n_args);
    if (out->type == KILN_TYPE_NULL) return misc_all_null(out, n);
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    bool mixed = args[0]->type != args[1]->type && args[1]->type != KILN_TYPE_NULL;
    for (uint32_t i = 0; i < n; i++) {
        bool eq = false;
        if (!args[0]->nulls[i] && !args[1]->nulls[i]) {
            if (mixed) {
                double x = args[0]->type == KILN_TYPE_DOUBLE ? VEC_F64(args[0])[i] : (double)VEC_I64(args[0])[i];
                double y = args[1]->type == KILN_TYPE_DOUBLE ? VEC_F64(args[1])[i] : (double)VEC_I64(args[1])[i];
                eq = x == y;
            } else {
                eq = func_compare_values(out->type, args[0], i, args[1], i) == 0;
            }
        }
        if (args[0]->nulls[i] || eq) {
            vec_set_null(out, i);
            continue;
        }
        if (vec_copy_row(out, i, args[0], i) != 0)
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in NULLIF");
    }
    return 0;
}

static int misc_extreme(kl_vec **args, int n_args, uint32_t n, kl_vec *out, int sign,
                        kl_error *err) {
    if (out->type == KILN_TYPE_NULL) return misc_all_null(out, n);
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    for (uint32_t i = 0; i < n; i++) {
        int best = -1;
        for (int a = 0; a < n_args; a++) {
            if (args[a]->nulls[i]) continue;
            if (best < 0 || sign * func_compare_values(out->type, args[a], i, args[best], i) > 0)
                best = a;
        }
        if (best < 0) {
            vec_set_null(out, i);
            continue;
        }
        if (vec_copy_row(out, i, args[best], i) != 0)
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in GREATEST/LEAST");
    }
    return 0;
}
static int misc_greatest(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                         kl_error *err) {
    KL_UNUSED(ctx);
    return misc_extreme(args, n_args, n, out, 1, err);
}
static int misc_least(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                      kl_error *err) {
    KL_UNUSED(ctx);
    return misc_extreme(args, n_args, n, out, -1, err);
}

/* ---- concat ------------------------------------------------------------------------------ */

static int misc_bind_concat(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                            kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(err);
    for (int i = 0; i < n_args; i++) arg_types[i] = KILN_TYPE_VARCHAR;
    *ret = KILN_TYPE_VARCHAR;
    return 0;
}

/* Join the non-NULL args[first..] of row i with sep between them. */
static int misc_join(kl_vec **args, int first, int n_args, uint32_t i, kl_str sep, kl_vec *out,
                     kl_error *err) {
    size_t len = 0;
    int parts = 0;
    for (int a = first; a < n_args; a++) {
        if (args[a]->type == KILN_TYPE_NULL || args[a]->nulls[i]) continue;
        len += VEC_STR(args[a])[i].len + (parts++ ? sep.len : 0);
    }
    if (len > UINT32_MAX) return kl_err(err, KILN_ERR_INVALID, "string result too long");
    char *p = kl_arena_alloc(&out->heap, len ? len : 1);
    if (!p) return kl_err(err, KILN_ERR_MEMORY, "out of memory in concat");
    size_t w = 0;
    parts = 0;
    for (int a = first; a < n_args; a++) {
        if (args[a]->type == KILN_TYPE_NULL || args[a]->nulls[i]) continue;
        if (parts++ && sep.len) {
            memcpy(p + w, sep.ptr, sep.len);
            w += sep.len;
        }
        kl_str s = VEC_STR(args[a])[i];
        if (s.len) memcpy(p + w, s.ptr, s.len);
        w += s.len;
    }
    VEC_STR(out)[i] = (kl_str){p, (uint32_t)len};
    return 0;
}

static int misc_concat(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(ctx);
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    for (uint32_t i = 0; i < n; i++) TRY(misc_join(args, 0, n_args, i, (kl_str){"", 0}, out, err));
    return 0;
}

static int misc_concat_ws(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                          kl_error *err) {
    KL_UNUSED(ctx);
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    for (uint32_t i = 0; i < n; i++) {
        if (args[0]->type == KILN_TYPE_NULL || args[0]->nulls[i]) {
            vec_set_null(out, i);
            continue;
        }
        TRY(misc_join(args, 1, n_args, i, VEC_STR(args[0])[i], out, err));
    }
    return 0;
}

/* ---- hash ---------------------------------------------------------------------------------- */

static int misc_bind_hash(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                          kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(arg_types);
    KL_UNUSED(n_args);
    KL_UNUSED(err);
    *ret = KILN_TYPE_BIGINT;
    return 0;
}

static uint64_t misc_hash_value(const kl_vec *v, uint32_t i) {
    if (v->type == KILN_TYPE_NULL || v->nulls[i]) return UINT64_C(0xb1a5ed0ddba11);
    switch (v->type) {
    case KILN_TYPE_VARCHAR: {
        kl_str s = VEC_STR(v)[i];
        return kl_hash_bytes(s.len ? s.ptr : "", s.len);
    }
    case KILN_TYPE_DOUBLE: {
        double d = VEC_F64(v)[i];
        if (d == 0.0) d = 0.0;       /* -0.0 hashes like 0.0 */
        if (d != d) d = __builtin_nan(""); /* one NaN */
        return kl_hash_bytes(&d, sizeof d);
    }
    case KILN_TYPE_DATE: {
        int64_t x = VEC_I32(v)[i];
        return kl_hash_bytes(&x, sizeof x);
    }
    case KILN_TYPE_BOOLEAN: {
        int64_t x = VEC_U8(v)[i] != 0;
        return kl_hash_bytes(&x, sizeof x);
    }
    default: return kl_hash_bytes(&VEC_I64(v)[i], sizeof(int64_t));
    }
}

static int misc_hash(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                     kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(err);
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = misc_hash_value(args[0], i);
        for (int a = 1; a < n_args; a++) h = kl_hash_combine(h, misc_hash_value(args[a], i));
        VEC_I64(out)[i] = (int64_t)(h & UINT64_C(0x7fffffffffffffff));
    }
    return 0;
}

/* ---- random / setseed --------------------------------------------------------------------- */

static pthread_mutex_t misc_rng_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t misc_rng[4];
static bool misc_rng_seeded;

static uint64_t misc_splitmix64(uint64_t *x) {
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Caller holds misc_rng_lock. */
static void misc_rng_seed_locked(uint64_t seed) {
    for (int k = 0; k < 4; k++) misc_rng[k] = misc_splitmix64(&seed);
    misc_rng_seeded = true;
}

static inline uint64_t misc_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256**; caller holds misc_rng_lock. */
static uint64_t misc_rng_next_locked(void) {
    uint64_t *s = misc_rng;
    uint64_t r = misc_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = misc_rotl(s[3], 45);
    return r;
}

void func_set_seed(double seed) {
    if (seed == 0.0) seed = 0.0; /* -0.0 seeds like 0.0 */
    uint64_t bits;
    memcpy(&bits, &seed, sizeof bits);
    pthread_mutex_lock(&misc_rng_lock);
    misc_rng_seed_locked(bits ^ UINT64_C(0x5eed5eed5eed5eed));
    pthread_mutex_unlock(&misc_rng_lock);
}

static int misc_bind_random(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                            kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(arg_types), KL_UNUSED(n_args), KL_UNUSED(err);
    *ret = KILN_TYPE_DOUBLE;
    return 0;
}

static int misc_random(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(args), KL_UNUSED(n_args), KL_UNUSED(err);
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    double *o = VEC_F64(out);
    pthread_mutex_lock(&misc_rng_lock);
    if (!misc_rng_seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        misc_rng_seed_locked((uint64_t)ts.tv_sec * UINT64_C(1000000007) ^ (uint64_t)ts.tv_nsec ^
                             ((uint64_t)getpid() << 32));
    }
    for (uint32_t i = 0; i < n; i++) o[i] = (double)(misc_rng_next_locked() >> 11) * 0x1.0p-53;
    pthread_mutex_unlock(&misc_rng_lock);
    return 0;
}

static int misc_bind_setseed(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                             kl_error *err) {
    KL_UNUSED(ctx);
    if (arg_types[0] != KILN_TYPE_NULL && !fn_is_numeric(arg_types[0]))
        return fn_no_overload(err, "setseed", arg_types, n_args);
    arg_types[0] = KILN_TYPE_DOUBLE;
    *ret = KILN_TYPE_BIGINT;
    return 0;
}

static int misc_setseed(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                        kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(n_args);
    memset(out->nulls, 1, n);
    out->has_nulls = n > 0;
    const kl_vec *v = args[0];
    for (uint32_t i = 0; i < n; i++) {
        if (v->type == KILN_TYPE_NULL || v->nulls[i]) continue;
        double x = VEC_F64(v)[i];
        if (!(x >= -1.0 && x <= 1.0))
            return kl_err(err, KILN_ERR_INVALID,
                          "SETSEED accepts seed values between -1.0 and 1.0, inclusive");
        func_set_seed(x);
    }
    return 0;
}

const kl_scalar_def fn_misc_defs[] = {
    {"coalesce", 1, -1, misc_bind_coalesce, misc_coalesce, NULL, true, false},
    {"ifnull", 2, 2, misc_bind_coalesce, misc_coalesce, NULL, true, false},
    {"nullif", 2, 2, misc_bind_nullif, misc_nullif, NULL, true, false},
    {"greatest", 1, -1, misc_bind_greatest, misc_greatest, NULL, true, false},
    {"least", 1, -1, misc_bind_greatest, misc_least, NULL, true, false},
    {"concat", 1, -1, misc_bind_concat, misc_concat, NULL, true, false},
    {"concat_ws", 2, -1, misc_bind_concat, misc_concat_ws, NULL, true, false},
    {"hash", 1, -1, misc_bind_hash, misc_hash, NULL, true, false},
    {"random", 0, 0, misc_bind_random, misc_random, NULL, false, true},
    {"setseed", 1, 1, misc_bind_setseed, misc_setseed, NULL, true, true},
    {NULL, 0, 0, NULL, NULL, NULL, false, false},
};
