/*
 * ops.c — the operator kernels: arithmetic (+ - * / // %), comparisons (= <> < <= > >=),
 * string concatenation (||), unary minus, and the total order used by ORDER BY/min/max.
 *
 * API in call order: the binder calls func_binary_types(op, l, r) to learn the operand
 * types (it inserts casts) and the result type; the evaluator then calls func_binary_exec
 * once per chunk. func_negate is unary minus; func_compare_values compares two values of
 * one type.
 *
 * Semantics (DuckDB's): BIGINT / BIGINT is DOUBLE, // on BIGINT truncates toward zero, %
 * keeps the sign of the dividend; division or modulo by zero gives NULL; BIGINT overflow in
 * + - * and negation is KILN_ERR_OVERFLOW with both operands in the message. DATE +/- BIGINT
 * is DATE, DATE - DATE is BIGINT days. INTERVAL: DATE/TIMESTAMP +- INTERVAL is TIMESTAMP (months
 * move the calendar month and clamp the day: Jan 31 + 1 month = Feb 29/28), TIMESTAMP - TIMESTAMP
 * is an INTERVAL of days and microseconds, INTERVAL +- INTERVAL part by part, INTERVAL * / by a
 * number (a fraction of a month cascades into 30-day days, of a day into microseconds, as
 * DuckDB does), INTERVALs compare by their normalized value (30 days = 1 month). Comparisons of doubles use the total order (NaN equal
 * to NaN and greater than everything, -0.0 == 0.0); strings compare bytewise then by length.
 *
 * Algorithm: out's NULL mask is the OR of the inputs' masks; then one tight loop per (op,
 * type). Loops that can fail (overflow) or that produce NULLs (division by zero) skip NULL
 * rows, whose data is garbage; the others run over every row so the compiler vectorizes
 * them. Bounds: reads and writes only rows [0, n_rows).
 */
#include "func/func_internal.h"
#include "util/textconv.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

/* ---- shared helpers ------------------------------------------------------------------- */

const char *fn_type_name(kl_type t) {
    static const char *const names[] = {"NULL", "BOOLEAN", "BIGINT", "DOUBLE",
                                        "VARCHAR", "DATE", "TIMESTAMP", "INTERVAL"};
    if ((unsigned)t < sizeof names / sizeof names[0]) return names[t];
    return kl_type_is_model(t) ? "MODEL" : "UNKNOWN";
}

bool fn_unify(kl_type a, kl_type b, kl_type *out) {
    if (a == KILN_TYPE_NULL) { *out = b; return true; }
    if (b == KILN_TYPE_NULL || a == b) { *out = a; return true; }
    if (kl_type_is_model(a) && kl_type_is_model(b)) { *out = KILN_TYPE_MODEL; return true; } /* predicts: unknown */
    if (fn_is_numeric(a) && fn_is_numeric(b)) { *out = KILN_TYPE_DOUBLE; return true; }
    if ((a == KILN_TYPE_DATE && b == KILN_TYPE_TIMESTAMP) ||
        (a == KILN_TYPE_TIMESTAMP && b == KILN_TYPE_DATE)) {
        *out = KILN_TYPE_TIMESTAMP;
        return true;
    }
    return false;
}

double fn_get_f64(const kl_vec *v, uint32_t row) {
    switch (v->type) {
    case KILN_TYPE_BOOLEAN: return VEC_U8(v)[row];
    case KILN_TYPE_BIGINT:
    case KILN_TYPE_TIMESTAMP: return (double)VEC_I64(v)[row];
    case KILN_TYPE_DOUBLE: return VEC_F64(v)[row];
    case KILN_TYPE_DATE: return VEC_I32(v)[row];
    default: return 0.0;
    }
}

/* ---- binding -------------------------------------------------------------------------- */

static const char *ops_symbol(int op) {
    static const char *const sym[] = {"+", "-", "*", "/", "//", "%", "=", "<>", "<", "<=",
                                      ">", ">=", "||"};
    if (op >= 0 && op <= KL_OP_CONCAT) return sym[op];
    return "?";
}

static bool ops_is_cmp(int op) { return op >= KL_OP_EQ && op <= KL_OP_GE; }

static bool ops_is_time(kl_type t) { return t == KILN_TYPE_DATE || t == KILN_TYPE_TIMESTAMP; }

/* The arithmetic operators that involve INTERVAL (or give one): true when (op, l, r) is one. */
static bool ops_interval_types(int op, kl_type l, kl_type r, kl_type *l_cast, kl_type *r_cast,
                               kl_type *ret) {
    const kl_type IV = KILN_TYPE_INTERVAL, TS = KILN_TYPE_TIMESTAMP;
    if ((op == KL_OP_ADD || op == KL_OP_SUB) && ops_is_time(l) && r == IV) {
        *l_cast = TS, *r_cast = IV, *ret = TS; /* DuckDB: DATE + INTERVAL is a TIMESTAMP */
        return true;
    }
    if (op == KL_OP_ADD && l == IV && ops_is_time(r)) {
        *l_cast = IV, *r_cast = TS, *ret = TS;
        return true;
    }
    if (op == KL_OP_SUB && ((l == TS && ops_is_time(r)) || (l == KILN_TYPE_DATE && r == TS))) {
        *l_cast = *r_cast = TS, *ret = IV;
        return true;
    }
    if ((op == KL_OP_ADD || op == KL_OP_SUB) && l == IV && r == IV) {
        *l_cast = *r_cast = *ret = IV;
        return true;
    }
    if ((op == KL_OP_MUL || op == KL_OP_DIV) && l == IV && fn_is_numeric(r)) {
        *l_cast = IV, *r_cast = r, *ret = IV;
        return true;
    }
    if (op == KL_OP_MUL && fn_is_numeric(l) && r == IV) {
        *l_cast = l, *r_cast = IV, *ret = IV;
        return true;
    }
    return false;
}

int func_binary_types(int op, kl_type l, kl_type r, kl_type *l_cast, kl_type *r_cast,
                      kl_type *ret_type, kl_error *err) {
    if (op < 0 || op > KL_OP_CONCAT)
        return kl_err(err, KILN_ERR_INTERNAL, "unknown operator %d", op);
    if (op == KL_OP_CONCAT) {
        *l_cast = *r_cast = *ret_type = KILN_TYPE_VARCHAR;
        return 0;
    }
    if (ops_is_cmp(op) && (kl_type_is_model(l) || kl_type_is_model(r))) {
        /* models are equal when their texts are; they have no order */
        bool both = (kl_type_is_model(l) || l == KILN_TYPE_NULL) && (kl_type_is_model(r) || r == KILN_TYPE_NULL);
        if (!both || (op != KL_OP_EQ && op != KL_OP_NE))
            return kl_err(err, KILN_ERR_BINDER, "Cannot compare values of type %s and %s%s", fn_type_name(l),
                          fn_type_name(r), both ? " with an ordering (models only compare with = and <>)" : "");
        *l_cast = *r_cast = KILN_TYPE_VARCHAR;
        *ret_type = KILN_TYPE_BOOLEAN;
        return 0;
    }
    if (ops_is_cmp(op)) {
        kl_type t;
        if (!fn_unify(l, r, &t)) {
            /* A VARCHAR against a date/time compares as that type (DuckDB casts the string). */
            if (l == KILN_TYPE_VARCHAR && (r == KILN_TYPE_DATE || r == KILN_TYPE_TIMESTAMP ||
                                           r == KILN_TYPE_INTERVAL))
                t = r;
            else if (r == KILN_TYPE_VARCHAR && (l == KILN_TYPE_DATE || l == KILN_TYPE_TIMESTAMP ||
                                                l == KILN_TYPE_INTERVAL))
                t = l;
            else
                return kl_err(err, KILN_ERR_BINDER, "Cannot compare values of type %s and %s",
                              fn_type_name(l), fn_type_name(r));
        }
        if (t == KILN_TYPE_NULL) t = KILN_TYPE_BIGINT; /* NULL = NULL: any type will do */
        *l_cast = *r_cast = t;
        *ret_type = KILN_TYPE_BOOLEAN;
        return 0;
    }
    /* Arithmetic. An untyped NULL takes the other side's type. */
    if (l == KILN_TYPE_NULL && r == KILN_TYPE_NULL) l = r = KILN_TYPE_BIGINT;
    /* ... except beside an INTERVAL in * and /, where it is the number */
    if ((op == KL_OP_MUL || op == KL_OP_DIV) && l == KILN_TYPE_INTERVAL && r == KILN_TYPE_NULL)
        r = KILN_TYPE_BIGINT;
    if (op == KL_OP_MUL && r == KILN_TYPE_INTERVAL && l == KILN_TYPE_NULL) l = KILN_TYPE_BIGINT;
    if (ops_interval_types(op, l, r, l_cast, r_cast, ret_type)) return 0;
    if (l == KILN_TYPE_NULL) l = (r == KILN_TYPE_DATE) ? KILN_TYPE_BIGINT : r;
    if (r == KILN_TYPE_NULL) r = (l == KILN_TYPE_DATE) ? (op == KL_OP_SUB ? KILN_TYPE_DATE : KILN_TYPE_BIGINT) : l;
    if (fn_is_numeric(l) && fn_is_numeric(r)) {
        kl_type t = (l == KILN_TYPE_DOUBLE || r == KILN_TYPE_DOUBLE) ? KILN_TYPE_DOUBLE
                                                                    : KILN_TYPE_BIGINT;
        *l_cast = *r_cast = t;
        *ret_type = (op == KL_OP_DIV) ? KILN_TYPE_DOUBLE : t;
        return 0;
    }
    if (op == KL_OP_ADD && l == KILN_TYPE_DATE && r == KILN_TYPE_BIGINT) {
        *l_cast = l; *r_cast = r; *ret_type = KILN_TYPE_DATE;
        return 0;
    }
    if (op == KL_OP_ADD && l == KILN_TYPE_BIGINT && r == KILN_TYPE_DATE) {
        *l_cast = l; *r_cast = r; *ret_type = KILN_TYPE_DATE;
        return 0;
    }
    if (op == KL_OP_SUB && l == KILN_TYPE_DATE && r == KILN_TYPE_BIGINT) {
        *l_cast = l; *r_cast = r; *ret_type = KILN_TYPE_DATE;
        return 0;
    }
    if (op == KL_OP_SUB && l == KILN_TYPE_DATE && r == KILN_TYPE_DATE) {
        *l_cast = l; *r_cast = r; *ret_type = KILN_TYPE_BIGINT;
        return 0;
    }
    return kl_err(err, KILN_ERR_BINDER, "No operator %s for %s and %s", ops_symbol(op),
                  fn_type_name(l), fn_type_name(r));
}

/* ---- arithmetic kernels ------------------------------------------------------------- */

/* Loop over rows, skipping NULL rows only when there are any. */
#define OPS_LOOP(has_nulls, nulls, n, body)                                                    \
    do {                                                                                       \
        if (!(has_nulls)) {                                                                    \
            for (uint32_t i = 0; i < (n); i++) { body; }                                       \
        } else {                                                                               \
            for (uint32_t i = 0; i < (n); i++) {                                               \
                if ((nulls)[i]) continue;                                                      \
                body;                                                                          \
            }                                                                                  \
        }                                                                                      \
    } while (0)

static int ops_overflow(kl_error *err, const char *what, const char *sym, int64_t a, int64_t b) {
    return kl_err(err, KILN_ERR_OVERFLOW, "Overflow in %s of BIGINT (%" PRId64 " %s %" PRId64 ")!",
                  what, a, sym, b);
}

static int ops_i64(int op, const int64_t *a, const int64_t *b, kl_vec *out, uint32_t n,
                   kl_error *err) {
    bool hn = out->has_nulls;
    uint8_t *nulls = out->nulls;
    switch (op) {
    case KL_OP_ADD: {
        int64_t *o = VEC_I64(out);
        OPS_LOOP(hn, nulls, n, if (__builtin_add_overflow(a[i], b[i], &o[i]))
                                   return ops_overflow(err, "addition", "+", a[i], b[i]));
        return 0;
    }
    case KL_OP_SUB: {
        int64_t *o = VEC_I64(out);
        OPS_LOOP(hn, nulls, n, if (__builtin_sub_overflow(a[i], b[i], &o[i]))
                                   return ops_overflow(err, "subtraction", "-", a[i], b[i]));
        return 0;
    }
    case KL_OP_MUL: {
        int64_t *o = VEC_I64(out);
        OPS_LOOP(hn, nulls, n, if (__builtin_mul_overflow(a[i], b[i], &o[i]))
                                   return ops_overflow(err, "multiplication", "*", a[i], b[i]));
        return 0;
    }
    case KL_OP_DIV: { /* BIGINT / BIGINT -> DOUBLE; x / 0 is +-inf or nan (DuckDB 1.5) */
        double *o = VEC_F64(out);
        for (uint32_t i = 0; i < n; i++) o[i] = (double)a[i] / (double)b[i];
        return 0;
    }
    case KL_OP_INTDIV:
    case KL_OP_MOD: {
        int64_t *o = VEC_I64(out);
        bool div = op == KL_OP_INTDIV;
        OPS_LOOP(hn, nulls, n, {
            if (b[i] == 0) {
                vec_set_null(out, i);
            } else if (b[i] == -1) {
                /* INT64_MIN // -1 overflows; x % -1 is 0 (and INT64_MIN % -1 traps in C). */
                if (div) {
                    if (a[i] == INT64_MIN) return ops_overflow(err, "division", "//", a[i], b[i]);
                    o[i] = -a[i];
                } else {
                    o[i] = 0;
                }
            } else {
                o[i] = div ? a[i] / b[i] : a[i] % b[i];
            }
        });
        return 0;
    }
    default: return kl_err(err, KILN_ERR_INTERNAL, "bad BIGINT operator %d", op);
    }
}

static int ops_f64(int op, const double *a, const double *b, kl_vec *out, uint32_t n,
                   kl_error *err) {
    double *o = VEC_F64(out);
    bool hn = out->has_nulls;
    uint8_t *nulls = out->nulls;
    switch (op) {
    case KL_OP_ADD: for (uint32_t i = 0; i < n; i++) o[i] = a[i] + b[i]; return 0;
    case KL_OP_SUB: for (uint32_t i = 0; i < n; i++) o[i] = a[i] - b[i]; return 0;
    case KL_OP_MUL: for (uint32_t i = 0; i < n; i++) o[i] = a[i] * b[i]; return 0;
    /* DuckDB 1.5 semantics on DOUBLE: / follows IEEE (x/0 = +-inf, 0/0 = nan); // is the
       plain quotient (7.5 // 2 = 3.75) but NULL for a zero divisor; % by zero is nan. */
    case KL_OP_DIV: for (uint32_t i = 0; i < n; i++) o[i] = a[i] / b[i]; return 0;
    case KL_OP_INTDIV:
        OPS_LOOP(hn, nulls, n, if (b[i] == 0.0) vec_set_null(out, i); else o[i] = a[i] / b[i]);
        return 0;
    case KL_OP_MOD: for (uint32_t i = 0; i < n; i++) o[i] = fmod(a[i], b[i]); return 0;
    default: return kl_err(err, KILN_ERR_INTERNAL, "bad DOUBLE operator %d", op);
    }
}

static int ops_date_result(kl_vec *out, uint32_t i, int64_t days, kl_error *err) {
    if (days < INT32_MIN || days > INT32_MAX)
        return kl_err(err, KILN_ERR_OVERFLOW, "Date out of range in date arithmetic");
    VEC_I32(out)[i] = (int32_t)days;
    return 0;
}

static int ops_date(int op, const kl_vec *l, const kl_vec *r, kl_vec *out, uint32_t n,
                    kl_error *err) {
    bool hn = out->has_nulls;
    uint8_t *nulls = out->nulls;
    if (l->type == KILN_TYPE_DATE && r->type == KILN_TYPE_DATE) { /* DATE - DATE */
        const int32_t *a = VEC_I32(l), *b = VEC_I32(r);
        int64_t *o = VEC_I64(out);
        for (uint32_t i = 0; i < n; i++) o[i] = (int64_t)a[i] - (int64_t)b[i];
        return 0;
    }
    const int32_t *d = VEC_I32(l->type == KILN_TYPE_DATE ? l : r);
    const int64_t *k = VEC_I64(l->type == KILN_TYPE_DATE ? r : l);
    OPS_LOOP(hn, nulls, n, {
        /* |k| beyond the int32 day range cannot give a valid date; clamp before adding. */
        int64_t kk = k[i] > INT64_C(1) << 40 ? INT64_C(1) << 40
                     : k[i] < -(INT64_C(1) << 40) ? -(INT64_C(1) << 40) : k[i];
        int64_t v = op == KL_OP_SUB ? (int64_t)d[i] - kk : (int64_t)d[i] + kk;
        TRY(ops_date_result(out, i, v, err));
    });
    return 0;
}

/* ---- interval kernels ------------------------------------------------------------- */

static bool ops_is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* ts + iv (DuckDB's Interval::Add): months move the calendar month and clamp the day to
   the new month's length, then days are added, then microseconds. False on overflow. */
bool fn_ts_add_interval(int64_t ts, kl_interval iv, int64_t *out) {
    int64_t days = ts / KL_US_PER_DAY, tod = ts % KL_US_PER_DAY;
    if (tod < 0) {
        tod += KL_US_PER_DAY;
        days--;
    }
    if (iv.months) {
        static const unsigned md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int64_t y;
        unsigned m, d;
        kl_civil_from_days((int32_t)days, &y, &m, &d);
        int64_t mm = (int64_t)y * 12 + (m - 1) + iv.months;
        int64_t ny = mm >= 0 ? mm / 12 : -((-mm + 11) / 12); /* floor division */
        unsigned nm = (unsigned)(mm - ny * 12) + 1;
        unsigned dim = nm == 2 && ops_is_leap(ny) ? 29 : md[nm - 1];
        if (ny < -300000 || ny > 300000) return false;
        days = kl_days_from_civil(ny, nm, d > dim ? dim : d);
    }
    days += iv.days;
    int64_t r;
    if (__builtin_mul_overflow(days, KL_US_PER_DAY, &r) || __builtin_add_overflow(r, tod, &r) ||
        __builtin_add_overflow(r, iv.micros, &r))
        return false;
    *out = r;
    return true;
}

static bool ops_iv_negate(kl_interval a, kl_interval *out) {
    if (a.months == INT32_MIN || a.days == INT32_MIN || a.micros == INT64_MIN) return false;
    *out = (kl_interval){-a.months, -a.days, -a.micros};
    return true;
}

/* iv * f for a double factor: whole parts stay, fractions cascade month -> 30 days -> micros. */
static bool ops_iv_mul_f64(kl_interval a, double f, kl_interval *out) {
    double md = (double)a.months * f;
    if (!(fabs(md) < 2147483648.0)) return false;
    double mw = trunc(md);
    double dd = (md - mw) * KL_DAYS_PER_MONTH + (double)a.days * f;
    if (!(fabs(dd) < 2147483648.0)) return false;
    double dw = trunc(dd);
    double us = (dd - dw) * (double)KL_US_PER_DAY + (double)a.micros * f;
    if (!(fabs(us) < 9.2e18)) return false;
    *out = (kl_interval){(int32_t)mw, (int32_t)dw, llround(us)};
    return true;
}

static bool ops_iv_mul_i64(kl_interval a, int64_t k, kl_interval *out) {
    int64_t m, d, us;
    if (__builtin_mul_overflow((int64_t)a.months, k, &m) || m < INT32_MIN || m > INT32_MAX ||
        __builtin_mul_overflow((int64_t)a.days, k, &d) || d < INT32_MIN || d > INT32_MAX ||
        __builtin_mul_overflow(a.micros, k, &us))
        return false;
    *out = (kl_interval){(int32_t)m, (int32_t)d, us};
    return true;
}

static bool ops_iv_add(kl_interval a, kl_interval b, kl_interval *out) {
    int32_t m, d;
    int64_t us;
    if (__builtin_add_overflow(a.months, b.months, &m) || __builtin_add_overflow(a.days, b.days, &d) ||
        __builtin_add_overflow(a.micros, b.micros, &us))
        return false;
    *out = (kl_interval){m, d, us};
    return true;
}

static int ops_iv_overflow(kl_error *err, const char *what) {
    return kl_err(err, KILN_ERR_OVERFLOW, "Overflow in %s of INTERVAL", what);
}

/* Every operator with an INTERVAL operand or result (types as ops_interval_types chose). */
static int ops_interval(int op, const kl_vec *l, const kl_vec *r, kl_vec *out, uint32_t n,
                        kl_error *err) {
    bool hn = out->has_nulls;
    uint8_t *nulls = out->nulls;
    kl_type lt = l->type, rt = r->type;
    if (lt == KILN_TYPE_TIMESTAMP && rt == KILN_TYPE_TIMESTAMP) { /* ts - ts */
        const int64_t *a = VEC_I64(l), *b = VEC_I64(r);
        kl_interval *o = VEC_IV(out);
        OPS_LOOP(hn, nulls, n, {
            int64_t us;
            if (__builtin_sub_overflow(a[i], b[i], &us)) return ops_iv_overflow(err, "subtraction");
            /* DuckDB's Interval::FromMicro: whole days, the rest in micros, no months */
            o[i].months = 0;
            o[i].days = (int32_t)(us / KL_US_PER_DAY);
            o[i].micros = us % KL_US_PER_DAY;
        });
        return 0;
    }
    if (lt == KILN_TYPE_TIMESTAMP || rt == KILN_TYPE_TIMESTAMP) { /* ts +- iv, iv + ts */
        const int64_t *t = VEC_I64(lt == KILN_TYPE_TIMESTAMP ? l : r);
        const kl_interval *v = VEC_IV(lt == KILN_TYPE_TIMESTAMP ? r : l);
        int64_t *o = VEC_I64(out);
        OPS_LOOP(hn, nulls, n, {
            kl_interval iv = v[i];
            if (op == KL_OP_SUB && !ops_iv_negate(iv, &iv)) return ops_iv_overflow(err, "negation");
            if (!fn_ts_add_interval(t[i], iv, &o[i]))
                return kl_err(err, KILN_ERR_OVERFLOW, "Timestamp out of range in interval arithmetic");
        });
        return 0;
    }
    kl_interval *o = VEC_IV(out);
    if (lt == KILN_TYPE_INTERVAL && rt == KILN_TYPE_INTERVAL) {
        const kl_interval *a = VEC_IV(l), *b = VEC_IV(r);
        OPS_LOOP(hn, nulls, n, {
            kl_interval bb = b[i];
            if (op == KL_OP_SUB && !ops_iv_negate(bb, &bb)) return ops_iv_overflow(err, "subtraction");
            if (!ops_iv_add(a[i], bb, &o[i]))
                return ops_iv_overflow(err, op == KL_OP_SUB ? "subtraction" : "addition");
        });
        return 0;
    }
    /* INTERVAL * number, number * INTERVAL, INTERVAL / number */
    const kl_vec *iv = lt == KILN_TYPE_INTERVAL ? l : r, *num = lt == KILN_TYPE_INTERVAL ? r : l;
    const kl_interval *a = VEC_IV(iv);
    if (op == KL_OP_MUL && num->type == KILN_TYPE_BIGINT) {
        const int64_t *k = VEC_I64(num);
        OPS_LOOP(hn, nulls, n, if (!ops_iv_mul_i64(a[i], k[i], &o[i]))
                                   return ops_iv_overflow(err, "multiplication"));
        return 0;
    }
    OPS_LOOP(hn, nulls, n, {
        double f = fn_get_f64(num, i);
        if (op == KL_OP_DIV) {
            if (f == 0.0) { /* DuckDB: INTERVAL / 0 is NULL */
                vec_set_null(out, i);
                continue;
            }
            f = 1.0 / f;
        }
        if (!ops_iv_mul_f64(a[i], f, &o[i]))
            return ops_iv_overflow(err, op == KL_OP_DIV ? "division" : "multiplication");
    });
    return 0;
}

/* ---- comparison kernels ------------------------------------------------------------- */

#define OPS_CMP_ALL(o, n, CMP)                                                                 \
    switch (op) {                                                                              \
    case KL_OP_EQ: for (uint32_t i = 0; i < (n); i++) o[i] = CMP(i) == 0; break;               \
    case KL_OP_NE: for (uint32_t i = 0; i < (n); i++) o[i] = CMP(i) != 0; break;               \
    case KL_OP_LT: for (uint32_t i = 0; i < (n); i++) o[i] = CMP(i) < 0; break;                \
    case KL_OP_LE: for (uint32_t i = 0; i < (n); i++) o[i] = CMP(i) <= 0; break;               \
    case KL_OP_GT: for (uint32_t i = 0; i < (n); i++) o[i] = CMP(i) > 0; break;                \
    default: for (uint32_t i = 0; i < (n); i++) o[i] = CMP(i) >= 0; break;                     \
    }

static int ops_compare(int op, const kl_vec *l, const kl_vec *r, kl_vec *out, uint32_t n,
                       kl_error *err) {
    uint8_t *o = VEC_U8(out);
    if (l->type != r->type)
        return kl_err(err, KILN_ERR_INTERNAL, "comparison of %s with %s", fn_type_name(l->type),
                      fn_type_name(r->type));
    switch (l->type) {
    case KILN_TYPE_BOOLEAN: {
        const uint8_t *a = VEC_U8(l), *b = VEC_U8(r);
#define OPS_CMP_U8(i) (((a[i] != 0) > (b[i] != 0)) - ((a[i] != 0) < (b[i] != 0)))
        OPS_CMP_ALL(o, n, OPS_CMP_U8);
        return 0;
    }
    case KILN_TYPE_BIGINT:
    case KILN_TYPE_TIMESTAMP: {
        const int64_t *a = VEC_I64(l), *b = VEC_I64(r);
#define OPS_CMP_I64(i) ((a[i] > b[i]) - (a[i] < b[i]))
        OPS_CMP_ALL(o, n, OPS_CMP_I64);
        return 0;
    }
    case KILN_TYPE_DATE: {
        const int32_t *a = VEC_I32(l), *b = VEC_I32(r);
        OPS_CMP_ALL(o, n, OPS_CMP_I64);
        return 0;
    }
    case KILN_TYPE_DOUBLE: {
        const double *a = VEC_F64(l), *b = VEC_F64(r);
#define OPS_CMP_F64(i) fn_cmp_f64(a[i], b[i])
        OPS_CMP_ALL(o, n, OPS_CMP_F64);
        return 0;
    }
    case KILN_TYPE_VARCHAR: {
        const kl_str *a = VEC_STR(l), *b = VEC_STR(r);
        bool hn = out->has_nulls;
        uint8_t *nulls = out->nulls;
        /* NULL rows may hold garbage kl_str values: never dereference them. */
        if (op == KL_OP_EQ || op == KL_OP_NE) {
            uint8_t want = op == KL_OP_EQ;
            OPS_LOOP(hn, nulls, n,
                     o[i] = (uint8_t)((a[i].len == b[i].len &&
                                       (a[i].len == 0 || memcmp(a[i].ptr, b[i].ptr, a[i].len) == 0)) == want));
        } else {
            OPS_LOOP(hn, nulls, n, {
                int c = fn_cmp_str(a[i], b[i]);
                o[i] = op == KL_OP_LT ? c < 0 : op == KL_OP_LE ? c <= 0 : op == KL_OP_GT ? c > 0 : c >= 0;
            });
        }
        return 0;
    }
    case KILN_TYPE_INTERVAL: {
        const kl_interval *a = VEC_IV(l), *b = VEC_IV(r);
#define OPS_CMP_IV(i) kl_interval_cmp(a[i], b[i])
        OPS_CMP_ALL(o, n, OPS_CMP_IV);
        return 0;
    }
    case KILN_TYPE_NULL: return 0; /* every row is NULL already */
    default: return kl_err(err, KILN_ERR_INTERNAL, "cannot compare type %d", (int)l->type);
    }
}

static int ops_concat(const kl_vec *l, const kl_vec *r, kl_vec *out, uint32_t n, kl_error *err) {
    if (l->type != KILN_TYPE_VARCHAR || r->type != KILN_TYPE_VARCHAR)
        return kl_err(err, KILN_ERR_INTERNAL, "|| expects VARCHAR operands");
    const kl_str *a = VEC_STR(l), *b = VEC_STR(r);
    kl_str *o = VEC_STR(out);
    bool hn = out->has_nulls;
    uint8_t *nulls = out->nulls;
    OPS_LOOP(hn, nulls, n, {
        size_t len = (size_t)a[i].len + b[i].len;
        if (len > UINT32_MAX) return kl_err(err, KILN_ERR_INVALID, "string too long in ||");
        char *p = kl_arena_alloc(&out->heap, len ? len : 1);
        if (!p) return kl_err(err, KILN_ERR_MEMORY, "out of memory in ||");
        if (a[i].len) memcpy(p, a[i].ptr, a[i].len);
        if (b[i].len) memcpy(p + a[i].len, b[i].ptr, b[i].len);
        o[i].ptr = p;
        o[i].len = (uint32_t)len;
    });
    return 0;
}

int func_binary_exec(int op, const kl_vec *l, const kl_vec *r, uint32_t n_rows, kl_vec *out,
                     kl_error *err) {
    /* out NULL mask = l OR r */
    if (l->type == KILN_TYPE_NULL || r->type == KILN_TYPE_NULL) {
        memset(out->nulls, 1, n_rows);
        out->has_nulls = n_rows > 0;
        return 0;
    }
    if (l->has_nulls || r->has_nulls) {
        const uint8_t *ln = l->nulls, *rn = r->nulls;
        for (uint32_t i = 0; i < n_rows; i++) out->nulls[i] = ln[i] | rn[i];
        out->has_nulls = true;
    } else {
        memset(out->nulls, 0, n_rows);
        out->has_nulls = false;
    }
    if (ops_is_cmp(op)) return ops_compare(op, l, r, out, n_rows, err);
    if (op == KL_OP_CONCAT) return ops_concat(l, r, out, n_rows, err);
    if (l->type == KILN_TYPE_INTERVAL || r->type == KILN_TYPE_INTERVAL ||
        (l->type == KILN_TYPE_TIMESTAMP && r->type == KILN_TYPE_TIMESTAMP))
        return ops_interval(op, l, r, out, n_rows, err);
    if (l->type == KILN_TYPE_DATE || r->type == KILN_TYPE_DATE)
        return ops_date(op, l, r, out, n_rows, err);
    if (l->type == KILN_TYPE_BIGINT && r->type == KILN_TYPE_BIGINT)
        return ops_i64(op, VEC_I64(l), VEC_I64(r), out, n_rows, err);
    if (l->type == KILN_TYPE_DOUBLE && r->type == KILN_TYPE_DOUBLE)
        return ops_f64(op, VEC_F64(l), VEC_F64(r), out, n_rows, err);
    return kl_err(err, KILN_ERR_INTERNAL, "No operator %s for %s and %s", ops_symbol(op),
                  fn_type_name(l->type), fn_type_name(r->type));
}

int func_negate(const kl_vec *in, uint32_t n_rows, kl_vec *out, kl_error *err) {
    fn_copy_nulls(out, in, n_rows);
    switch (in->type) {
    case KILN_TYPE_BIGINT: {
        const int64_t *a = VEC_I64(in);
        int64_t *o = VEC_I64(out);
        OPS_LOOP(in->has_nulls, in->nulls, n_rows, {
            if (a[i] == INT64_MIN)
                return kl_err(err, KILN_ERR_OVERFLOW, "Overflow in negation of BIGINT (%" PRId64 ")!",
                              a[i]);
            o[i] = -a[i];
        });
        return 0;
    }
    case KILN_TYPE_DOUBLE: {
        const double *a = VEC_F64(in);
        double *o = VEC_F64(out);
        for (uint32_t i = 0; i < n_rows; i++) o[i] = -a[i];
        return 0;
    }
    case KILN_TYPE_INTERVAL: {
        const kl_interval *a = VEC_IV(in);
        kl_interval *o = VEC_IV(out);
        OPS_LOOP(in->has_nulls, in->nulls, n_rows, {
            if (!ops_iv_negate(a[i], &o[i])) return ops_iv_overflow(err, "negation");
        });
        return 0;
    }
    case KILN_TYPE_NULL: return 0;
    default:
        return kl_err(err, KILN_ERR_BINDER, "No operator - for %s", fn_type_name(in->type));
    }
}

int func_compare_values(kl_type type, const kl_vec *a, uint32_t ra, const kl_vec *b, uint32_t rb) {
    switch (kl_type_is_string(type) ? KILN_TYPE_VARCHAR : type) {
    case KILN_TYPE_BOOLEAN: return fn_cmp_i64(VEC_U8(a)[ra] != 0, VEC_U8(b)[rb] != 0);
    case KILN_TYPE_BIGINT:
    case KILN_TYPE_TIMESTAMP: return fn_cmp_i64(VEC_I64(a)[ra], VEC_I64(b)[rb]);
    case KILN_TYPE_DATE: return fn_cmp_i64(VEC_I32(a)[ra], VEC_I32(b)[rb]);
    case KILN_TYPE_DOUBLE: return fn_cmp_f64(VEC_F64(a)[ra], VEC_F64(b)[rb]);
    case KILN_TYPE_VARCHAR: return fn_cmp_str(VEC_STR(a)[ra], VEC_STR(b)[rb]);
    case KILN_TYPE_INTERVAL: return kl_interval_cmp(VEC_IV(a)[ra], VEC_IV(b)[rb]);
    default: return 0;
    }
}

int fn_no_overload(kl_error *err, const char *name, const kl_type *arg_types, int n_args) {
    char sig[256];
    size_t len = 0;
    sig[0] = 0;
    for (int i = 0; i < n_args && len + 16 < sizeof sig; i++)
        len += (size_t)snprintf(sig + len, sizeof sig - len, "%s%s", i ? ", " : "",
                                fn_type_name(arg_types[i]));
    return kl_err(err, KILN_ERR_BINDER,
                  "No function matches the given name and argument types '%s(%s)'", name, sig);
}
