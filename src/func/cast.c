/*
 * cast.c — CAST and TRY_CAST between the engine's types.
 *
 * API: func_can_cast(from, to) says whether the cast exists (the binder asks); then
 * func_cast(in, n_rows, out, try_mode) converts a vector, out already initialised to the
 * target type. The cast pairs: anything from the untyped NULL type (all NULL); anything to
 * and from VARCHAR (text via util/textconv.h); BOOLEAN, BIGINT and DOUBLE among each other;
 * DATE <-> TIMESTAMP. DATE/TIMESTAMP to or from numbers does not exist (as in DuckDB);
 * INTERVAL converts only to and from VARCHAR ('1 day', '02:30:00', see kl_parse_interval).
 *
 * Semantics: DOUBLE -> BIGINT rounds half to even (as DuckDB) and fails on NaN/inf/out of range;
 * VARCHAR -> BIGINT also accepts decimal/scientific text and rounds it (DuckDB does);
 * TIMESTAMP -> DATE floors to the day. A value that does not convert fails with
 * KILN_ERR_CONVERSION naming the value and the target type, or becomes NULL in try_mode.
 *
 * Algorithm: copy the input NULL mask, then one loop per (from, to) pair that skips NULL
 * rows (their data is garbage). Strings produced are copied into out's heap.
 */
#include "func/func_internal.h"
#include "ml/model.h"
#include "util/textconv.h"

#include <inttypes.h>
#include <math.h>

#define CAST_USEC_PER_DAY INT64_C(86400000000)

bool func_can_cast(kl_type from, kl_type to) {
    /* a MODEL is its JSON text: to and from VARCHAR (the text must be a model), and between
       MODEL types (the same text) */
    if (kl_type_is_model(from) || kl_type_is_model(to))
        return from == KILN_TYPE_NULL || (kl_type_is_string(from) && kl_type_is_string(to));
    if ((unsigned)from >= KILN_TYPE__COUNT || (unsigned)to >= KILN_TYPE__COUNT) return false;
    if (from == to || from == KILN_TYPE_NULL) return true;
    if (to == KILN_TYPE_NULL) return false;
    if (from == KILN_TYPE_VARCHAR || to == KILN_TYPE_VARCHAR) return true;
    bool fnum = from == KILN_TYPE_BOOLEAN || fn_is_numeric(from);
    bool tnum = to == KILN_TYPE_BOOLEAN || fn_is_numeric(to);
    if (fnum && tnum) return true;
    bool ftime = from == KILN_TYPE_DATE || from == KILN_TYPE_TIMESTAMP;
    bool ttime = to == KILN_TYPE_DATE || to == KILN_TYPE_TIMESTAMP;
    return ftime && ttime;
}

/* A failed value: NULL in try mode, else the error. */
static int cast_fail_str(kl_vec *out, uint32_t row, bool try_mode, kl_str s, kl_error *err) {
    if (try_mode) {
        vec_set_null(out, row);
        return 0;
    }
    int show = s.len > 200 ? 200 : (int)s.len;
    return kl_err(err, KILN_ERR_CONVERSION, "Could not convert string '%.*s'%s to %s", show,
                  s.ptr ? s.ptr : "", s.len > 200 ? "..." : "", fn_type_name(out->type));
}

static int cast_fail_range(kl_vec *out, uint32_t row, bool try_mode, const char *value,
                           kl_type from, kl_error *err) {
    if (try_mode) {
        vec_set_null(out, row);
        return 0;
    }
    return kl_err(err, KILN_ERR_CONVERSION,
                  "Type %s with value %s can't be cast because the value is out of range for "
                  "the destination type %s",
                  fn_type_name(from), value, fn_type_name(out->type));
}

/* Round half to even (DuckDB: CAST(2.5::DOUBLE AS BIGINT) = 2) into int64; false when
   NaN/inf/out of range. */
static bool cast_f64_to_i64(double d, int64_t *out) {
    double r = nearbyint(d);
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0)) return false;
    *out = (int64_t)r;
    return true;
}

static int cast_from_varchar(const kl_vec *in, uint32_t i, kl_vec *out, bool try_mode,
                             kl_error *err) {
    kl_str s = VEC_STR(in)[i];
    const char *p = s.ptr ? s.ptr : "";
    switch (out->type) {
    case KILN_TYPE_BOOLEAN: {
        bool b;
        if (!kl_parse_bool(p, s.len, &b)) return cast_fail_str(out, i, try_mode, s, err);
        VEC_U8(out)[i] = b;
        return 0;
    }
    case KILN_TYPE_BIGINT: {
        int64_t v;
        if (kl_parse_int64(p, s.len, &v)) {
            VEC_I64(out)[i] = v;
            return 0;
        }
        /* "1.5" and "1e3" convert too (rounded), but not nan/inf. */
        double d;
        bool numeric_text = false;
        for (uint32_t k = 0; k < s.len; k++)
            if (p[k] >= '0' && p[k] <= '9') numeric_text = true;
        if (numeric_text && kl_parse_double(p, s.len, &d) && cast_f64_to_i64(d, &v)) {
            VEC_I64(out)[i] = v;
            return 0;
        }
        return cast_fail_str(out, i, try_mode, s, err);
    }
    case KILN_TYPE_DOUBLE: {
        double d;
        if (!kl_parse_double(p, s.len, &d)) return cast_fail_str(out, i, try_mode, s, err);
        VEC_F64(out)[i] = d;
        return 0;
    }
    case KILN_TYPE_DATE: {
        int32_t d;
        if (!kl_parse_date(p, s.len, &d)) return cast_fail_str(out, i, try_mode, s, err);
        VEC_I32(out)[i] = d;
        return 0;
    }
    case KILN_TYPE_TIMESTAMP: {
        int64_t t;
        if (!kl_parse_timestamp(p, s.len, &t)) return cast_fail_str(out, i, try_mode, s, err);
        VEC_I64(out)[i] = t;
        return 0;
    }
    case KILN_TYPE_INTERVAL: {
        kl_interval iv;
        if (!kl_parse_interval(p, s.len, &iv)) return cast_fail_str(out, i, try_mode, s, err);
        VEC_IV(out)[i] = iv;
        return 0;
    }
    default: return kl_err(err, KILN_ERR_INTERNAL, "bad cast target");
    }
}

static int cast_to_varchar(const kl_vec *in, uint32_t i, kl_vec *out, kl_error *err) {
    char buf[96];
    size_t n;
    switch (in->type) {
    case KILN_TYPE_BOOLEAN:
        n = VEC_U8(in)[i] ? 4 : 5;
        memcpy(buf, VEC_U8(in)[i] ? "true" : "false", n);
        break;
    case KILN_TYPE_BIGINT: n = kl_format_int64(VEC_I64(in)[i], buf); break;
    case KILN_TYPE_DOUBLE: n = kl_format_double(VEC_F64(in)[i], buf); break;
    case KILN_TYPE_DATE: n = kl_format_date(VEC_I32(in)[i], buf); break;
    case KILN_TYPE_TIMESTAMP: n = kl_format_timestamp(VEC_I64(in)[i], buf); break;
    case KILN_TYPE_INTERVAL: n = kl_format_interval(VEC_IV(in)[i], buf); break;
    default: return kl_err(err, KILN_ERR_INTERNAL, "bad cast source");
    }
    if (vec_set_string(out, i, buf, n) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in CAST");
    return 0;
}

/* One non-NULL row between the non-string types. */
static int cast_scalar(const kl_vec *in, uint32_t i, kl_vec *out, bool try_mode, kl_error *err) {
    kl_type from = in->type, to = out->type;
    char vbuf[64];
    switch (to) {
    case KILN_TYPE_BOOLEAN:
        if (from == KILN_TYPE_BIGINT) VEC_U8(out)[i] = VEC_I64(in)[i] != 0;
        else VEC_U8(out)[i] = VEC_F64(in)[i] != 0.0; /* NaN is true, as in C and DuckDB */
        return 0;
    case KILN_TYPE_BIGINT:
        if (from == KILN_TYPE_BOOLEAN) {
            VEC_I64(out)[i] = VEC_U8(in)[i] != 0;
        } else {
            int64_t v;
            double d = VEC_F64(in)[i];
            if (!cast_f64_to_i64(d, &v)) {
                vbuf[kl_format_double(d, vbuf)] = 0;
                return cast_fail_range(out, i, try_mode, vbuf, from, err);
            }
            VEC_I64(out)[i] = v;
        }
        return 0;
    case KILN_TYPE_DOUBLE:
        VEC_F64(out)[i] = from == KILN_TYPE_BOOLEAN ? (double)(VEC_U8(in)[i] != 0)
                                                    : (double)VEC_I64(in)[i];
        return 0;
    case KILN_TYPE_DATE: { /* from TIMESTAMP: floor to the day */
        int64_t t = VEC_I64(in)[i];
        int64_t d = t / CAST_USEC_PER_DAY;
        if (t % CAST_USEC_PER_DAY < 0) d--;
        VEC_I32(out)[i] = (int32_t)d; /* |t| < 2^63 us => |d| < 2^27: always fits */
        return 0;
    }
    case KILN_TYPE_TIMESTAMP: { /* from DATE */
        int64_t t;
        int32_t d = VEC_I32(in)[i];
        if (__builtin_mul_overflow((int64_t)d, CAST_USEC_PER_DAY, &t)) {
            vbuf[kl_format_date(d, vbuf)] = 0;
            return cast_fail_range(out, i, try_mode, vbuf, from, err);
        }
        VEC_I64(out)[i] = t;
        return 0;
    }
    default: return kl_err(err, KILN_ERR_INTERNAL, "bad cast target");
    }
}

int func_cast(const kl_vec *in, uint32_t n_rows, kl_vec *out, bool try_mode, kl_error *err) {
    kl_type from = in->type, to = out->type;
    if (!func_can_cast(from, to))
        return kl_err(err, KILN_ERR_CONVERSION, "Unimplemented type for cast (%s -> %s)",
                      fn_type_name(from), fn_type_name(to));
    if (from == KILN_TYPE_NULL) {
        memset(out->nulls, 1, n_rows);
        out->has_nulls = n_rows > 0;
        return 0;
    }
    fn_copy_nulls(out, in, n_rows);
    if (kl_type_is_model(to) && !kl_type_is_model(from)) {
        for (uint32_t i = 0; i < n_rows; i++) { /* text -> MODEL: it must parse as one */
            if (in->nulls[i]) continue;
            kl_str s = VEC_STR(in)[i];
            const kl_model *m;
            kl_error e;
            kiln_error_clear(&e);
            if (model_cache_get(s.ptr, s.len, &m, &e)) {
                if (e.code == KILN_ERR_MEMORY) return kl_err(err, KILN_ERR_MEMORY, "out of memory in CAST");
                if (try_mode) {
                    out->nulls[i] = 1;
                    out->has_nulls = true;
                    continue;
                }
                return kl_err(err, KILN_ERR_CONVERSION, "Could not convert string '%.40s%s' to MODEL: %s", s.ptr,
                              s.len > 40 ? "..." : "", e.message);
            }
        }
        from = to; /* then copy the bytes */
    }
    if (from == to || (kl_type_is_string(from) && kl_type_is_string(to))) {
        if (kl_type_is_string(from)) {
            /* Copy bytes: the output may outlive the input vector. */
            for (uint32_t i = 0; i < n_rows; i++) {
                if (out->nulls[i]) continue; /* NULL, or not a model (TRY_CAST) */
                kl_str s = VEC_STR(in)[i];
                if (vec_set_string(out, i, s.ptr ? s.ptr : "", s.len) != 0)
                    return kl_err(err, KILN_ERR_MEMORY, "out of memory in CAST");
            }
        } else if (n_rows) {
            memcpy(out->data, in->data, (size_t)n_rows * kl_type_size(from));
        }
        return 0;
    }
    /* Fast paths for the common widening casts (cannot fail). */
    if (from == KILN_TYPE_BIGINT && to == KILN_TYPE_DOUBLE) {
        const int64_t *a = VEC_I64(in);
        double *o = VEC_F64(out);
        for (uint32_t i = 0; i < n_rows; i++) o[i] = (double)a[i];
        return 0;
    }
    const uint8_t *nulls = in->nulls;
    bool hn = in->has_nulls;
    for (uint32_t i = 0; i < n_rows; i++) {
        if (hn && nulls[i]) continue;
        if (from == KILN_TYPE_VARCHAR) TRY(cast_from_varchar(in, i, out, try_mode, err));
        else if (to == KILN_TYPE_VARCHAR) TRY(cast_to_varchar(in, i, out, err));
        else TRY(cast_scalar(in, i, out, try_mode, err));
    }
    return 0;
}
