/*
 * scalar_math.c — numeric scalar functions: abs, sign, round, round_even/roundbankers, even,
 * floor, ceil/ceiling, trunc (with digits), mod/fmod, gcd, lcm, factorial, sqrt, cbrt, ln,
 * log/log10, log2, exp, pow/power, pi, sin, cos, tan, cot, asin, acos, atan, atan2, sinh, cosh,
 * tanh, asinh, acosh, atanh, degrees, radians, isnan, isinf, isfinite, signbit.
 *
 * API: the table fn_math_defs (searched by catalog.c). Each entry's bind() checks the
 * argument types and asks for casts (BIGINT -> DOUBLE for the transcendental ones); exec()
 * computes a chunk with NULL propagation.
 *
 * Semantics (DuckDB's): abs/sign/round/trunc keep BIGINT as BIGINT, floor/ceil return DOUBLE
 * (DuckDB 1.5 does so even for integers: typeof(floor(10::BIGINT)) is DOUBLE) (abs of
 * INT64_MIN is an overflow error); round is half away from zero, round(x, d) with d < 0
 * rounds to tens/hundreds; sqrt of a negative number and the logarithm of zero or a negative
 * number are errors (KILN_ERR_INVALID), not NaN; so are atanh outside [-1, 1], cot(0) and
 * factorial of a negative number, with DuckDB's messages. mod(BIGINT, BIGINT) is BIGINT (NULL
 * for a zero divisor, like %), mod with a DOUBLE is fmod (NaN for a zero divisor, as DuckDB).
 * Known difference: factorial is BIGINT (DuckDB: HUGEINT), so factorial(n > 20) is an overflow
 * error in kiln. DuckDB prints NaN/inf as NaN/Infinity; that is the value formatter's business.
 *
 * Bounds: every exec reads rows [0, n_rows) of its arguments and writes the same rows of out;
 * NULL rows are skipped where the computation could fail.
 */
#include "func/func_internal.h"

#include <inttypes.h>
#include <math.h>

/* ---- binding ---------------------------------------------------------------------- */

/* Numeric in, same type out (BIGINT stays BIGINT). */
static int math_bind_same(const char *name, kl_type *arg_types, int n_args, kl_type *ret,
                          kl_error *err) {
    kl_type t = arg_types[0];
    if (t == KILN_TYPE_NULL) t = KILN_TYPE_BIGINT;
    if (!fn_is_numeric(t)) return fn_no_overload(err, name, arg_types, n_args);
    arg_types[0] = t;
    for (int i = 1; i < n_args; i++) {
        if (arg_types[i] != KILN_TYPE_NULL && !fn_is_numeric(arg_types[i]))
            return fn_no_overload(err, name, arg_types, n_args);
        arg_types[i] = KILN_TYPE_BIGINT;
    }
    *ret = t;
    return 0;
}

/* Every argument numeric, cast to DOUBLE; DOUBLE out. */
static int math_bind_double(const char *name, kl_type *arg_types, int n_args, kl_type *ret,
                            kl_error *err) {
    for (int i = 0; i < n_args; i++) {
        if (arg_types[i] != KILN_TYPE_NULL && !fn_is_numeric(arg_types[i]))
            return fn_no_overload(err, name, arg_types, n_args);
        arg_types[i] = KILN_TYPE_DOUBLE;
    }
    *ret = KILN_TYPE_DOUBLE;
    return 0;
}

#define MATH_BIND(fname, kind)                                                                 \
    static int math_bind_##fname(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, \
                                 kl_error *err) {                                              \
        KL_UNUSED(ctx);                                                                        \
        return math_bind_##kind(#fname, arg_types, n_args, ret, err);                          \
    }

/* ---- abs / sign ------------------------------------------------------------------------ */

MATH_BIND(abs, same)
static int math_abs(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                    kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    const kl_vec *a = args[0];
    if (a->type == KILN_TYPE_DOUBLE) {
        for (uint32_t i = 0; i < n; i++) VEC_F64(out)[i] = fabs(VEC_F64(a)[i]);
        return 0;
    }
    const int64_t *x = VEC_I64(a);
    int64_t *o = VEC_I64(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        if (x[i] == INT64_MIN)
            return kl_err(err, KILN_ERR_OVERFLOW, "Overflow on abs(%" PRId64 ")", x[i]);
        o[i] = x[i] < 0 ? -x[i] : x[i];
    }
    return 0;
}

static int math_bind_sign(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                          kl_error *err) {
    KL_UNUSED(ctx);
    TRY(math_bind_same("sign", arg_types, n_args, ret, err));
    *ret = KILN_TYPE_BIGINT;
    return 0;
}
static int math_sign(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                     kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(err);
    fn_propagate_nulls(out, args, n_args, n);
    const kl_vec *a = args[0];
    int64_t *o = VEC_I64(out);
    if (a->type == KILN_TYPE_DOUBLE) {
        const double *x = VEC_F64(a);
        for (uint32_t i = 0; i < n; i++) o[i] = (x[i] > 0) - (x[i] < 0);
    } else {
        const int64_t *x = VEC_I64(a);
        for (uint32_t i = 0; i < n; i++) o[i] = (x[i] > 0) - (x[i] < 0);
    }
    return 0;
}

/* ---- round / floor / ceil / trunc ---------------------------------------------------- */

MATH_BIND(round, same)
/* 10^k for k in [0, 18]. */
static int64_t math_pow10_i64(int64_t k) {
    int64_t p = 1;
    while (k-- > 0) p *= 10;
    return p;
}

static int64_t math_round_i64(int64_t x, int64_t digits) {
    if (digits >= 0) return x;
    if (digits < -18) return 0;
    int64_t m = math_pow10_i64(-digits);
    int64_t q = x / m, r = x % m;
    /* half away from zero; |r| < m so 2*|r| does not overflow for m <= 1e18 */
    if (r >= 0 ? 2 * (uint64_t)r >= (uint64_t)m : 2 * (uint64_t)(-r) >= (uint64_t)m)
        q += x < 0 ? -1 : 1;
    int64_t res;
    if (__builtin_mul_overflow(q, m, &res)) return x; /* cannot represent: keep x */
    return res;
}

static double math_round_f64(double x, int64_t digits) {
    if (digits == 0) return round(x);
    if (digits > 0) {
        if (digits > 308) return x;
        double p = pow(10.0, (double)digits);
        double r = round(x * p) / p;
        return isfinite(r) ? r : x;
    }
    if (digits < -308) return 0.0;
    double p = pow(10.0, (double)-digits);
    double r = round(x / p) * p;
    return isfinite(r) ? r : x;
}

static int math_round(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                      kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(err);
    fn_propagate_nulls(out, args, n_args, n);
    const kl_vec *a = args[0];
    const int64_t *dg = n_args > 1 ? VEC_I64(args[1]) : NULL;
    if (a->type == KILN_TYPE_DOUBLE) {
        const double *x = VEC_F64(a);
        double *o = VEC_F64(out);
        if (!dg) {
            for (uint32_t i = 0; i < n; i++) o[i] = round(x[i]);
        } else {
            for (uint32_t i = 0; i < n; i++)
                if (!out->nulls[i]) o[i] = math_round_f64(x[i], dg[i]);
        }
    } else {
        const int64_t *x = VEC_I64(a);
        int64_t *o = VEC_I64(out);
        for (uint32_t i = 0; i < n; i++)
            if (!out->nulls[i]) o[i] = dg ? math_round_i64(x[i], dg[i]) : x[i];
    }
    return 0;
}

/* floor/ceil: DuckDB 1.5 returns DOUBLE even for integer input (trunc keeps BIGINT). */
#define MATH_ROUNDING(fname, cfn)                                                              \
    MATH_BIND(fname, double)                                                                   \
    static int math_##fname(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out, \
                            kl_error *err) {                                                   \
        KL_UNUSED(ctx);                                                                        \
        KL_UNUSED(err);                                                                        \
        fn_propagate_nulls(out, args, n_args, n);                                              \
        const double *x = VEC_F64(args[0]);                                                    \
        double *o = VEC_F64(out);                                                              \
        for (uint32_t i = 0; i < n; i++) o[i] = cfn(x[i]);                                     \
        return 0;                                                                              \
    }
MATH_ROUNDING(floor, floor)
MATH_ROUNDING(ceil, ceil)
MATH_BIND(trunc, same)
static int math_trunc_digits(kl_vec **args, int n_args, uint32_t n, kl_vec *out);
static int math_trunc(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                      kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    if (n_args > 1) return math_trunc_digits(args, n_args, n, out);
    fn_propagate_nulls(out, args, n_args, n);
    const kl_vec *a = args[0];
    if (a->type == KILN_TYPE_DOUBLE) {
        for (uint32_t i = 0; i < n; i++) VEC_F64(out)[i] = trunc(VEC_F64(a)[i]);
    } else {
        memcpy(VEC_I64(out), VEC_I64(a), (size_t)n * sizeof(int64_t));
    }
    return 0;
}

/* ---- DOUBLE -> DOUBLE ------------------------------------------------------------------ */

/* Unary function on doubles; CHECK(x) returns an error message or NULL. */
#define MATH_UNARY(fname, expr, check)                                                         \
    MATH_BIND(fname, double)                                                                   \
    static int math_##fname(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out, \
                            kl_error *err) {                                                   \
        KL_UNUSED(ctx);                                                                        \
        fn_propagate_nulls(out, args, n_args, n);                                              \
        const double *xs = VEC_F64(args[0]);                                                   \
        double *o = VEC_F64(out);                                                              \
        for (uint32_t i = 0; i < n; i++) {                                                     \
            if (out->nulls[i]) continue;                                                       \
            double x = xs[i];                                                                  \
            const char *msg = check;                                                           \
            if (KL_UNLIKELY(msg != NULL)) return kl_err(err, KILN_ERR_INVALID, "%s", msg);     \
            o[i] = expr;                                                                       \
        }                                                                                      \
        return 0;                                                                              \
    }

#define MATH_LOG_CHECK                                                                         \
    (x == 0.0 ? "cannot take logarithm of zero"                                                \
              : x < 0.0 ? "cannot take logarithm of a negative number" : NULL)

MATH_UNARY(sqrt, sqrt(x), x < 0.0 ? "cannot take square root of a negative number" : NULL)
MATH_UNARY(cbrt, cbrt(x), NULL)
MATH_UNARY(ln, log(x), MATH_LOG_CHECK)
MATH_UNARY(log10, log10(x), MATH_LOG_CHECK)
MATH_UNARY(log2, log2(x), MATH_LOG_CHECK)
MATH_UNARY(exp, exp(x), NULL)
MATH_UNARY(sin, sin(x), NULL)
MATH_UNARY(cos, cos(x), NULL)
MATH_UNARY(tan, tan(x), NULL)
MATH_UNARY(asin, asin(x), (x < -1.0 || x > 1.0) ? "ASIN is undefined outside [-1,1]" : NULL)
MATH_UNARY(acos, acos(x), (x < -1.0 || x > 1.0) ? "ACOS is undefined outside [-1,1]" : NULL)
MATH_UNARY(atan, atan(x), NULL)
MATH_UNARY(sinh, sinh(x), NULL)
MATH_UNARY(cosh, cosh(x), NULL)
MATH_UNARY(tanh, tanh(x), NULL)
MATH_UNARY(asinh, asinh(x), NULL)
MATH_UNARY(acosh, acosh(x), NULL)
MATH_UNARY(atanh, atanh(x), (x < -1.0 || x > 1.0) ? "ATANH is undefined outside [-1,1]" : NULL)
MATH_UNARY(cot, 1.0 / tan(x),
           tan(x) == 0.0 ? "input value 0.000000 is out of range for numeric function cotangent"
                         : NULL)
/* even(x): round away from zero to the next even integer */
static double math_even_f64(double x) {
    double y = x >= 0 ? ceil(x) : -ceil(-x);
    if (fmod(y, 2.0) != 0.0) y += y > 0 ? 1.0 : -1.0;
    return y;
}
MATH_UNARY(even, math_even_f64(x), NULL)
MATH_UNARY(degrees, x * (180.0 / M_PI), NULL)
MATH_UNARY(radians, x * (M_PI / 180.0), NULL)

/* log(x) is log10; log(b, x) is the logarithm of x to base b. */
MATH_BIND(log, double)
static int math_log(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                    kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    const double *xs = VEC_F64(args[n_args - 1]);
    const double *bs = n_args > 1 ? VEC_F64(args[0]) : NULL;
    double *o = VEC_F64(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        double x = xs[i];
        const char *msg = MATH_LOG_CHECK;
        if (!msg && bs) {
            double b = bs[i];
            if (b <= 0.0 || b == 1.0) msg = "invalid logarithm base";
        }
        if (msg) return kl_err(err, KILN_ERR_INVALID, "%s", msg);
        o[i] = bs ? log(x) / log(bs[i]) : log10(x);
    }
    return 0;
}

#define MATH_BINARY(fname, expr)                                                               \
    MATH_BIND(fname, double)                                                                   \
    static int math_##fname(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out, \
                            kl_error *err) {                                                   \
        KL_UNUSED(ctx);                                                                        \
        KL_UNUSED(err);                                                                        \
        fn_propagate_nulls(out, args, n_args, n);                                              \
        const double *xs = VEC_F64(args[0]), *ys = VEC_F64(args[1]);                           \
        double *o = VEC_F64(out);                                                              \
        for (uint32_t i = 0; i < n; i++) {                                                     \
            double x = xs[i], y = ys[i];                                                       \
            o[i] = expr;                                                                       \
        }                                                                                      \
        return 0;                                                                              \
    }
MATH_BINARY(pow, pow(x, y))
MATH_BINARY(atan2, atan2(x, y))
MATH_BINARY(fmod, fmod(x, y))

/* ---- DOUBLE -> BOOLEAN predicates -------------------------------------------------------- */

#define MATH_PRED(fname, expr)                                                                 \
    static int math_bind_##fname(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, \
                                 kl_error *err) {                                              \
        KL_UNUSED(ctx);                                                                        \
        TRY(math_bind_double(#fname, arg_types, n_args, ret, err));                            \
        *ret = KILN_TYPE_BOOLEAN;                                                              \
        return 0;                                                                              \
    }                                                                                          \
    static int math_##fname(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out, \
                            kl_error *err) {                                                   \
        KL_UNUSED(ctx), KL_UNUSED(err);                                                        \
        fn_propagate_nulls(out, args, n_args, n);                                              \
        const double *xs = VEC_F64(args[0]);                                                   \
        uint8_t *o = VEC_U8(out);                                                              \
        for (uint32_t i = 0; i < n; i++) {                                                     \
            double x = xs[i];                                                                  \
            o[i] = (uint8_t)(expr);                                                            \
        }                                                                                      \
        return 0;                                                                              \
    }
MATH_PRED(isnan, isnan(x) != 0)
MATH_PRED(isinf, isinf(x) != 0)
MATH_PRED(isfinite, isfinite(x) != 0)
MATH_PRED(signbit, signbit(x) != 0)

/* ---- mod, trunc(x, d), round_even --------------------------------------------------------- */

/* mod(BIGINT, BIGINT) -> BIGINT (NULL on a zero divisor); anything with a DOUBLE -> fmod. */
static int math_bind_mod(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                         kl_error *err) {
    KL_UNUSED(ctx);
    kl_type t = KILN_TYPE_BIGINT;
    for (int i = 0; i < n_args; i++) {
        if (arg_types[i] == KILN_TYPE_NULL) continue;
        if (!fn_is_numeric(arg_types[i])) return fn_no_overload(err, "mod", arg_types, n_args);
        if (arg_types[i] == KILN_TYPE_DOUBLE) t = KILN_TYPE_DOUBLE;
    }
    for (int i = 0; i < n_args; i++) arg_types[i] = t;
    *ret = t;
    return 0;
}
static int math_mod(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                    kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    if (out->type == KILN_TYPE_DOUBLE) {
        const double *x = VEC_F64(args[0]), *y = VEC_F64(args[1]);
        double *o = VEC_F64(out);
        for (uint32_t i = 0; i < n; i++) o[i] = fmod(x[i], y[i]);
        return 0;
    }
    const int64_t *x = VEC_I64(args[0]), *y = VEC_I64(args[1]);
    int64_t *o = VEC_I64(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        if (y[i] == 0) {
            vec_set_null(out, i);
            continue;
        }
        if (y[i] == -1) {
            if (x[i] == INT64_MIN)
                return kl_err(err, KILN_ERR_OVERFLOW, "Overflow in division of %" PRId64 " / -1", x[i]);
            o[i] = 0;
            continue;
        }
        o[i] = x[i] % y[i];
    }
    return 0;
}

/* trunc(x, d): toward zero at d decimal digits (d < 0: tens, hundreds...). */
static int math_trunc_digits(kl_vec **args, int n_args, uint32_t n, kl_vec *out) {
    fn_propagate_nulls(out, args, n_args, n);
    const int64_t *dg = VEC_I64(args[1]);
    if (args[0]->type == KILN_TYPE_DOUBLE) {
        const double *x = VEC_F64(args[0]);
        double *o = VEC_F64(out);
        for (uint32_t i = 0; i < n; i++) {
            if (out->nulls[i]) continue;
            int64_t d = dg[i];
            double r;
            if (d >= 0) {
                if (d > 308) r = x[i];
                else {
                    double p = pow(10.0, (double)d);
                    r = trunc(x[i] * p) / p;
                    if (!isfinite(r)) r = x[i];
                }
            } else {
                if (d < -308) r = 0.0;
                else {
                    double p = pow(10.0, (double)-d);
                    r = trunc(x[i] / p) * p;
                }
            }
            o[i] = r;
        }
        return 0;
    }
    const int64_t *x = VEC_I64(args[0]);
    int64_t *o = VEC_I64(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        int64_t d = dg[i];
        if (d >= 0) o[i] = x[i];
        else if (d < -18) o[i] = 0;
        else {
            int64_t m = math_pow10_i64(-d);
            o[i] = x[i] / m * m;
        }
    }
    return 0;
}

/* round_even(x, d) / roundbankers: half to even, DOUBLE result (DuckDB). */
static int math_bind_round_even(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                                kl_error *err) {
    KL_UNUSED(ctx);
    TRY(math_bind_same("round_even", arg_types, n_args, ret, err));
    arg_types[0] = KILN_TYPE_DOUBLE;
    *ret = KILN_TYPE_DOUBLE;
    return 0;
}
static int math_round_even(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                           kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(err);
    fn_propagate_nulls(out, args, n_args, n);
    const double *x = VEC_F64(args[0]);
    const int64_t *dg = n_args > 1 ? VEC_I64(args[1]) : NULL;
    double *o = VEC_F64(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        int64_t d = dg ? dg[i] : 0;
        double r;
        if (d == 0) r = nearbyint(x[i]);
        else if (d > 0) {
            if (d > 308) r = x[i];
            else {
                double p = pow(10.0, (double)d);
                r = nearbyint(x[i] * p) / p;
                if (!isfinite(r)) r = x[i];
            }
        } else {
            if (d < -308) r = 0.0;
            else {
                double p = pow(10.0, (double)-d);
                r = nearbyint(x[i] / p) * p;
            }
        }
        o[i] = r;
    }
    return 0;
}

/* ---- gcd, lcm, factorial ------------------------------------------------------------------ */

MATH_BIND(gcd, same)
MATH_BIND(lcm, same)
static uint64_t math_gcd_u64(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}
static int math_gcd_lcm(kl_vec **args, int n_args, uint32_t n, kl_vec *out, bool lcm,
                        kl_error *err) {
    fn_propagate_nulls(out, args, n_args, n);
    const int64_t *x = VEC_I64(args[0]), *y = VEC_I64(args[1]);
    int64_t *o = VEC_I64(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        int64_t a = x[i], b = y[i];
        if (a == INT64_MIN || b == INT64_MIN)
            return kl_err(err, KILN_ERR_OVERFLOW, "Overflow on abs(%" PRId64 ")", INT64_MIN);
        uint64_t ua = (uint64_t)(a < 0 ? -a : a), ub = (uint64_t)(b < 0 ? -b : b);
        uint64_t g = math_gcd_u64(ua, ub);
        if (!lcm) {
            o[i] = (int64_t)g;
            continue;
        }
        if (!ua || !ub) {
            o[i] = 0;
            continue;
        }
        uint64_t r;
        if (__builtin_mul_overflow(ua / g, ub, &r) || r > (uint64_t)INT64_MAX)
            return kl_err(err, KILN_ERR_OVERFLOW, "lcm value is out of range");
        o[i] = (int64_t)r;
    }
    return 0;
}
static int math_gcd(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                    kl_error *err) {
    KL_UNUSED(ctx);
    if (args[0]->type != KILN_TYPE_BIGINT || args[1]->type != KILN_TYPE_BIGINT)
        return kl_err(err, KILN_ERR_BINDER, "gcd expects integer arguments");
    return math_gcd_lcm(args, n_args, n, out, false, err);
}
static int math_lcm(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                    kl_error *err) {
    KL_UNUSED(ctx);
    if (args[0]->type != KILN_TYPE_BIGINT || args[1]->type != KILN_TYPE_BIGINT)
        return kl_err(err, KILN_ERR_BINDER, "lcm expects integer arguments");
    return math_gcd_lcm(args, n_args, n, out, true, err);
}

static int math_bind_factorial(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                               kl_error *err) {
    KL_UNUSED(ctx);
    if (arg_types[0] != KILN_TYPE_NULL && arg_types[0] != KILN_TYPE_BIGINT)
        return fn_no_overload(err, "factorial", arg_types, n_args);
    arg_types[0] = KILN_TYPE_BIGINT;
    *ret = KILN_TYPE_BIGINT;
    return 0;
}
static int math_factorial(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                          kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    const int64_t *x = VEC_I64(args[0]);
    int64_t *o = VEC_I64(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        if (x[i] < 0)
            return kl_err(err, KILN_ERR_OVERFLOW, "factorial of a negative number is undefined");
        if (x[i] > 20)
            return kl_err(err, KILN_ERR_OVERFLOW,
                          "Overflow in factorial(%" PRId64 "): the result does not fit BIGINT", x[i]);
        int64_t r = 1;
        for (int64_t k = 2; k <= x[i]; k++) r *= k;
        o[i] = r;
    }
    return 0;
}

static int math_bind_pi(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                        kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(arg_types), KL_UNUSED(n_args), KL_UNUSED(err);
    *ret = KILN_TYPE_DOUBLE;
    return 0;
}
static int math_pi(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                   kl_error *err) {
    KL_UNUSED(ctx), KL_UNUSED(args), KL_UNUSED(n_args), KL_UNUSED(err);
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    for (uint32_t i = 0; i < n; i++) VEC_F64(out)[i] = M_PI;
    return 0;
}

#define MATH_DEF(name, lo, hi, fn) {name, lo, hi, math_bind_##fn, math_##fn, NULL, false, false}
const kl_scalar_def fn_math_defs[] = {
    MATH_DEF("abs", 1, 1, abs),       MATH_DEF("sign", 1, 1, sign),
    MATH_DEF("round", 1, 2, round),   MATH_DEF("floor", 1, 1, floor),
    MATH_DEF("ceil", 1, 1, ceil),     MATH_DEF("ceiling", 1, 1, ceil),
    MATH_DEF("trunc", 1, 2, trunc),   MATH_DEF("sqrt", 1, 1, sqrt),
    MATH_DEF("cbrt", 1, 1, cbrt),     MATH_DEF("ln", 1, 1, ln),
    MATH_DEF("log", 1, 2, log),       MATH_DEF("log10", 1, 1, log10),
    MATH_DEF("log2", 1, 1, log2),     MATH_DEF("exp", 1, 1, exp),
    MATH_DEF("pow", 2, 2, pow),       MATH_DEF("power", 2, 2, pow),
    MATH_DEF("sin", 1, 1, sin),       MATH_DEF("cos", 1, 1, cos),
    MATH_DEF("tan", 1, 1, tan),       MATH_DEF("asin", 1, 1, asin),
    MATH_DEF("acos", 1, 1, acos),     MATH_DEF("atan", 1, 1, atan),
    MATH_DEF("atan2", 2, 2, atan2),   MATH_DEF("degrees", 1, 1, degrees),
    MATH_DEF("radians", 1, 1, radians), MATH_DEF("pi", 0, 0, pi),
    MATH_DEF("mod", 2, 2, mod),       MATH_DEF("fmod", 2, 2, fmod),
    MATH_DEF("gcd", 2, 2, gcd),       MATH_DEF("lcm", 2, 2, lcm),
    MATH_DEF("greatest_common_divisor", 2, 2, gcd),
    MATH_DEF("least_common_multiple", 2, 2, lcm),
    MATH_DEF("factorial", 1, 1, factorial),
    MATH_DEF("round_even", 1, 2, round_even), MATH_DEF("roundbankers", 1, 2, round_even),
    MATH_DEF("even", 1, 1, even),     MATH_DEF("cot", 1, 1, cot),
    MATH_DEF("sinh", 1, 1, sinh),     MATH_DEF("cosh", 1, 1, cosh),
    MATH_DEF("tanh", 1, 1, tanh),     MATH_DEF("asinh", 1, 1, asinh),
    MATH_DEF("acosh", 1, 1, acosh),   MATH_DEF("atanh", 1, 1, atanh),
    MATH_DEF("isnan", 1, 1, isnan),   MATH_DEF("isinf", 1, 1, isinf),
    MATH_DEF("isfinite", 1, 1, isfinite), MATH_DEF("signbit", 1, 1, signbit),
    {NULL, 0, 0, NULL, NULL, NULL, false, false},
};
