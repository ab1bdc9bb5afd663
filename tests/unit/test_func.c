/*
 * test_func.c — unit tests for operators, casts and scalar functions (src/func).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "func/func.h"
#include "util/textconv.h"

/* ---- helpers ------------------------------------------------------------------------ */

#define NULLV (INT64_MIN + 4242) /* marker for a NULL row in the builders below */

static kl_vec *mk(kl_type t, uint32_t n) {
    kl_vec *v = kl_malloc(sizeof *v);
    assert_non_null(v);
    assert_int_equal(vec_init(v, t, n ? n : 1), 0);
    return v;
}
static void fr(kl_vec *v) {
    vec_free(v);
    kl_free(v);
}
static kl_vec *i64s(const int64_t *x, uint32_t n) {
    kl_vec *v = mk(KILN_TYPE_BIGINT, n);
    for (uint32_t i = 0; i < n; i++) {
        if (x[i] == NULLV) vec_set_null(v, i);
        else VEC_I64(v)[i] = x[i];
    }
    return v;
}
static kl_vec *f64s(const double *x, uint32_t n) {
    kl_vec *v = mk(KILN_TYPE_DOUBLE, n);
    for (uint32_t i = 0; i < n; i++) VEC_F64(v)[i] = x[i];
    return v;
}
/* NULL pointer entries are NULL rows */
static kl_vec *strs(const char **x, uint32_t n) {
    kl_vec *v = mk(KILN_TYPE_VARCHAR, n);
    for (uint32_t i = 0; i < n; i++) {
        if (!x[i]) vec_set_null(v, i);
        else assert_int_equal(vec_set_string(v, i, x[i], strlen(x[i])), 0);
    }
    return v;
}
static void assert_str(const kl_vec *v, uint32_t row, const char *want) {
    assert_false(vec_is_null(v, row));
    kl_str s = VEC_STR(v)[row];
    char buf[512];
    assert_true(s.len < sizeof buf);
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    assert_string_equal(buf, want);
}

/* Bind and run a scalar function over args; returns the status, *out initialised. */
static int run_scalar(const char *name, kl_vec **args, int n_args, uint32_t n, kl_vec **out,
                      kl_error *err) {
    const kl_scalar_def *d = func_find_scalar(name);
    assert_non_null(d);
    kl_type types[8];
    for (int i = 0; i < n_args; i++) types[i] = args[i]->type;
    kl_fn_ctx ctx = {0};
    kl_type ret;
    int rc = d->bind(&ctx, types, n_args, &ret, err);
    if (rc) return rc;
    /* the binder's job: cast arguments to the requested types */
    kl_vec *cast[8];
    for (int i = 0; i < n_args; i++) {
        if (types[i] == args[i]->type) {
            cast[i] = args[i];
            continue;
        }
        cast[i] = mk(types[i], n);
        assert_int_equal(func_cast(args[i], n, cast[i], false, NULL), 0);
    }
    *out = mk(ret, n);
    ctx.ret_type = ret;
    ctx.n_args = n_args;
    for (int i = 0; i < n_args && i < 8; i++) ctx.arg_types[i] = types[i];
    rc = d->exec(&ctx, cast, n_args, n, *out, err);
    for (int i = 0; i < n_args; i++)
        if (cast[i] != args[i]) fr(cast[i]);
    return rc;
}

static int run_binop(int op, kl_vec *l, kl_vec *r, uint32_t n, kl_vec **out, kl_error *err) {
    kl_type lc, rc_, ret;
    int rc = func_binary_types(op, l->type, r->type, &lc, &rc_, &ret, err);
    if (rc) return rc;
    assert_int_equal(lc, l->type);
    assert_int_equal(rc_, r->type);
    *out = mk(ret, n);
    return func_binary_exec(op, l, r, n, *out, err);
}

/* ---- operators ------------------------------------------------------------------------ */

static void test_add_sub_mul(void **st) {
    (void)st;
    int64_t a[] = {1, -5, NULLV, 7}, b[] = {2, 3, 4, -7};
    kl_vec *l = i64s(a, 4), *r = i64s(b, 4), *o;
    assert_int_equal(run_binop(KL_OP_ADD, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], 3);
    assert_int_equal(VEC_I64(o)[1], -2);
    assert_true(vec_is_null(o, 2));
    assert_int_equal(VEC_I64(o)[3], 0);
    fr(o);
    assert_int_equal(run_binop(KL_OP_MUL, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[1], -15);
    assert_int_equal(VEC_I64(o)[3], -49);
    fr(o);
    assert_int_equal(run_binop(KL_OP_SUB, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[1], -8);
    fr(o);
    fr(l);
    fr(r);
}

static void test_overflow_messages(void **st) {
    (void)st;
    int64_t a[] = {INT64_MAX}, b[] = {2};
    kl_vec *l = i64s(a, 1), *r = i64s(b, 1), *o;
    kl_error err = {0};
    assert_int_equal(run_binop(KL_OP_MUL, l, r, 1, &o, &err), KILN_ERR_OVERFLOW);
    assert_string_equal(err.message,
                        "Overflow in multiplication of BIGINT (9223372036854775807 * 2)!");
    fr(o);
    kiln_error_clear(&err);
    assert_int_equal(run_binop(KL_OP_ADD, l, r, 1, &o, &err), KILN_ERR_OVERFLOW);
    assert_string_equal(err.message, "Overflow in addition of BIGINT (9223372036854775807 + 2)!");
    fr(o);
    fr(l);
    fr(r);
}

static void test_overflow_skips_null_rows(void **st) {
    (void)st;
    /* a NULL row's garbage must not raise an overflow */
    kl_vec *l = mk(KILN_TYPE_BIGINT, 2), *r = mk(KILN_TYPE_BIGINT, 2), *o;
    VEC_I64(l)[0] = INT64_MAX;
    VEC_I64(r)[0] = INT64_MAX;
    vec_set_null(l, 0);
    VEC_I64(l)[1] = 1;
    VEC_I64(r)[1] = 1;
    assert_int_equal(run_binop(KL_OP_ADD, l, r, 2, &o, NULL), 0);
    assert_true(vec_is_null(o, 0));
    assert_int_equal(VEC_I64(o)[1], 2);
    fr(o);
    fr(l);
    fr(r);
}

static void test_division(void **st) {
    (void)st;
    int64_t a[] = {7, -7, 7, 5}, b[] = {2, 2, 0, -1};
    kl_vec *l = i64s(a, 4), *r = i64s(b, 4), *o;
    assert_int_equal(run_binop(KL_OP_DIV, l, r, 4, &o, NULL), 0);
    assert_int_equal(o->type, KILN_TYPE_DOUBLE);
    assert_true(VEC_F64(o)[0] == 3.5);
    assert_true(VEC_F64(o)[1] == -3.5);
    assert_true(!vec_is_null(o, 2) && isinf(VEC_F64(o)[2]) && VEC_F64(o)[2] > 0); /* DuckDB 1.5 */
    fr(o);
    assert_int_equal(run_binop(KL_OP_INTDIV, l, r, 4, &o, NULL), 0);
    assert_int_equal(o->type, KILN_TYPE_BIGINT);
    assert_int_equal(VEC_I64(o)[0], 3);
    assert_int_equal(VEC_I64(o)[1], -3);
    assert_true(vec_is_null(o, 2));
    assert_int_equal(VEC_I64(o)[3], -5);
    fr(o);
    assert_int_equal(run_binop(KL_OP_MOD, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], 1);
    assert_int_equal(VEC_I64(o)[1], -1);
    assert_true(vec_is_null(o, 2));
    assert_int_equal(VEC_I64(o)[3], 0);
    fr(o);
    fr(l);
    fr(r);
}

static void test_intdiv_min_overflow(void **st) {
    (void)st;
    int64_t a[] = {INT64_MIN}, b[] = {-1};
    kl_vec *l = i64s(a, 1), *r = i64s(b, 1), *o;
    assert_int_equal(run_binop(KL_OP_INTDIV, l, r, 1, &o, NULL), KILN_ERR_OVERFLOW);
    fr(o);
    assert_int_equal(run_binop(KL_OP_MOD, l, r, 1, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], 0);
    fr(o);
    fr(l);
    fr(r);
}

static void test_double_div_zero(void **st) {
    (void)st;
    double a[] = {1.0, 1.5}, b[] = {0.0, 0.5};
    kl_vec *l = f64s(a, 2), *r = f64s(b, 2), *o;
    /* DuckDB 1.5: DOUBLE / 0 is inf, // 0 is NULL (and // is the plain quotient), % 0 is nan */
    assert_int_equal(run_binop(KL_OP_DIV, l, r, 2, &o, NULL), 0);
    assert_true(!vec_is_null(o, 0) && isinf(VEC_F64(o)[0]));
    assert_true(VEC_F64(o)[1] == 3.0);
    fr(o);
    assert_int_equal(run_binop(KL_OP_INTDIV, l, r, 2, &o, NULL), 0);
    assert_true(vec_is_null(o, 0));
    assert_true(VEC_F64(o)[1] == 3.0);
    fr(o);
    assert_int_equal(run_binop(KL_OP_MOD, l, r, 2, &o, NULL), 0);
    assert_true(!vec_is_null(o, 0) && isnan(VEC_F64(o)[0]));
    assert_true(VEC_F64(o)[1] == 0.0);
    fr(o);
    fr(l);
    fr(r);
}

static void test_binary_types(void **st) {
    (void)st;
    kl_type l, r, ret;
    kl_error err = {0};
    assert_int_equal(func_binary_types(KL_OP_ADD, KILN_TYPE_BIGINT, KILN_TYPE_DOUBLE, &l, &r, &ret, NULL), 0);
    assert_int_equal(l, KILN_TYPE_DOUBLE);
    assert_int_equal(ret, KILN_TYPE_DOUBLE);
    assert_int_equal(func_binary_types(KL_OP_DIV, KILN_TYPE_BIGINT, KILN_TYPE_BIGINT, &l, &r, &ret, NULL), 0);
    assert_int_equal(ret, KILN_TYPE_DOUBLE);
    assert_int_equal(func_binary_types(KL_OP_INTDIV, KILN_TYPE_BIGINT, KILN_TYPE_BIGINT, &l, &r, &ret, NULL), 0);
    assert_int_equal(ret, KILN_TYPE_BIGINT);
    assert_int_equal(func_binary_types(KL_OP_SUB, KILN_TYPE_DATE, KILN_TYPE_DATE, &l, &r, &ret, NULL), 0);
    assert_int_equal(ret, KILN_TYPE_BIGINT);
    assert_int_equal(func_binary_types(KL_OP_ADD, KILN_TYPE_BIGINT, KILN_TYPE_DATE, &l, &r, &ret, NULL), 0);
    assert_int_equal(ret, KILN_TYPE_DATE);
    assert_int_equal(func_binary_types(KL_OP_LT, KILN_TYPE_DATE, KILN_TYPE_TIMESTAMP, &l, &r, &ret, NULL), 0);
    assert_int_equal(l, KILN_TYPE_TIMESTAMP);
    assert_int_equal(ret, KILN_TYPE_BOOLEAN);
    assert_int_equal(func_binary_types(KL_OP_CONCAT, KILN_TYPE_BIGINT, KILN_TYPE_DATE, &l, &r, &ret, NULL), 0);
    assert_int_equal(l, KILN_TYPE_VARCHAR);
    assert_int_equal(func_binary_types(KL_OP_ADD, KILN_TYPE_VARCHAR, KILN_TYPE_BIGINT, &l, &r, &ret, &err),
                     KILN_ERR_BINDER);
    assert_non_null(strstr(err.message, "No operator +"));
    kiln_error_clear(&err);
    assert_int_equal(func_binary_types(KL_OP_EQ, KILN_TYPE_VARCHAR, KILN_TYPE_BIGINT, &l, &r, &ret, &err),
                     KILN_ERR_BINDER);
}

static void test_date_arith(void **st) {
    (void)st;
    kl_vec *d = mk(KILN_TYPE_DATE, 2), *k = mk(KILN_TYPE_BIGINT, 2), *o;
    VEC_I32(d)[0] = 100;
    VEC_I32(d)[1] = -3;
    VEC_I64(k)[0] = 5;
    VEC_I64(k)[1] = 3;
    assert_int_equal(run_binop(KL_OP_ADD, d, k, 2, &o, NULL), 0);
    assert_int_equal(VEC_I32(o)[0], 105);
    assert_int_equal(VEC_I32(o)[1], 0);
    fr(o);
    assert_int_equal(run_binop(KL_OP_SUB, d, k, 2, &o, NULL), 0);
    assert_int_equal(VEC_I32(o)[0], 95);
    fr(o);
    assert_int_equal(run_binop(KL_OP_ADD, k, d, 2, &o, NULL), 0);
    assert_int_equal(VEC_I32(o)[0], 105);
    fr(o);
    assert_int_equal(run_binop(KL_OP_SUB, d, d, 2, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], 0);
    fr(o);
    fr(d);
    fr(k);
}

static void test_compare_ints_and_strings(void **st) {
    (void)st;
    int64_t a[] = {1, 2, 3, NULLV}, b[] = {2, 2, 2, 2};
    kl_vec *l = i64s(a, 4), *r = i64s(b, 4), *o;
    assert_int_equal(run_binop(KL_OP_LT, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[0], 1);
    assert_int_equal(VEC_U8(o)[1], 0);
    assert_int_equal(VEC_U8(o)[2], 0);
    assert_true(vec_is_null(o, 3));
    fr(o);
    assert_int_equal(run_binop(KL_OP_GE, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[1], 1);
    fr(o);
    fr(l);
    fr(r);
    const char *x[] = {"abc", "ab", "b", NULL}, *y[] = {"abd", "abc", "b", "x"};
    l = strs(x, 4);
    r = strs(y, 4);
    assert_int_equal(run_binop(KL_OP_LT, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[0], 1);
    assert_int_equal(VEC_U8(o)[1], 1); /* prefix is smaller */
    assert_int_equal(VEC_U8(o)[2], 0);
    assert_true(vec_is_null(o, 3));
    fr(o);
    assert_int_equal(run_binop(KL_OP_EQ, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[2], 1);
    assert_int_equal(VEC_U8(o)[0], 0);
    fr(o);
    fr(l);
    fr(r);
}

static void test_compare_nan(void **st) {
    (void)st;
    double a[] = {NAN, NAN, 1.0, -0.0}, b[] = {NAN, INFINITY, NAN, 0.0};
    kl_vec *l = f64s(a, 4), *r = f64s(b, 4), *o;
    assert_int_equal(run_binop(KL_OP_EQ, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[0], 1);
    assert_int_equal(VEC_U8(o)[3], 1);
    fr(o);
    assert_int_equal(run_binop(KL_OP_GT, l, r, 4, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[1], 1); /* NaN > inf */
    assert_int_equal(VEC_U8(o)[2], 0);
    fr(o);
    assert_true(func_compare_values(KILN_TYPE_DOUBLE, l, 0, r, 1) > 0);
    assert_true(func_compare_values(KILN_TYPE_DOUBLE, l, 2, r, 2) < 0);
    fr(l);
    fr(r);
}

static void test_concat_op(void **st) {
    (void)st;
    const char *x[] = {"ab", NULL, ""}, *y[] = {"cd", "x", ""};
    kl_vec *l = strs(x, 3), *r = strs(y, 3), *o;
    assert_int_equal(run_binop(KL_OP_CONCAT, l, r, 3, &o, NULL), 0);
    assert_str(o, 0, "abcd");
    assert_true(vec_is_null(o, 1));
    assert_str(o, 2, "");
    fr(o);
    fr(l);
    fr(r);
}

static void test_negate(void **st) {
    (void)st;
    int64_t a[] = {5, NULLV, INT64_MIN};
    kl_vec *v = i64s(a, 2), *o = mk(KILN_TYPE_BIGINT, 3);
    assert_int_equal(func_negate(v, 2, o, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], -5);
    assert_true(vec_is_null(o, 1));
    fr(v);
    v = i64s(a, 3);
    kl_error err = {0};
    assert_int_equal(func_negate(v, 3, o, &err), KILN_ERR_OVERFLOW);
    fr(v);
    fr(o);
}

/* ---- casts ------------------------------------------------------------------------------ */

static void test_cast_str_to_int(void **st) {
    (void)st;
    const char *x[] = {"42", " -7 ", NULL, "1.5", "1e3"};
    kl_vec *v = strs(x, 5), *o = mk(KILN_TYPE_BIGINT, 5);
    assert_int_equal(func_cast(v, 5, o, false, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], 42);
    assert_int_equal(VEC_I64(o)[1], -7);
    assert_true(vec_is_null(o, 2));
    assert_int_equal(VEC_I64(o)[3], 2);
    assert_int_equal(VEC_I64(o)[4], 1000);
    fr(v);
    fr(o);
}

static void test_cast_error_message(void **st) {
    (void)st;
    const char *x[] = {"12", "abc"};
    kl_vec *v = strs(x, 2), *o = mk(KILN_TYPE_BIGINT, 2);
    kl_error err = {0};
    assert_int_equal(func_cast(v, 2, o, false, &err), KILN_ERR_CONVERSION);
    assert_string_equal(err.message, "Could not convert string 'abc' to BIGINT");
    fr(o);
    o = mk(KILN_TYPE_DATE, 2);
    kiln_error_clear(&err);
    assert_int_equal(func_cast(v, 2, o, false, &err), KILN_ERR_CONVERSION);
    assert_non_null(strstr(err.message, "to DATE"));
    fr(o);
    fr(v);
}

static void test_try_cast(void **st) {
    (void)st;
    const char *x[] = {"12", "abc", "2.5x"};
    kl_vec *v = strs(x, 3), *o = mk(KILN_TYPE_DOUBLE, 3);
    assert_int_equal(func_cast(v, 3, o, true, NULL), 0);
    assert_true(VEC_F64(o)[0] == 12.0);
    assert_true(vec_is_null(o, 1));
    assert_true(vec_is_null(o, 2));
    fr(v);
    fr(o);
}

static void test_cast_double_to_int(void **st) {
    (void)st;
    double a[] = {2.5, -2.5, 0.49999999999999994, 1e20, NAN};
    kl_vec *v = f64s(a, 3), *o = mk(KILN_TYPE_BIGINT, 5);
    assert_int_equal(func_cast(v, 3, o, false, NULL), 0);
    /* half to even, as DuckDB's CAST(2.5::DOUBLE AS BIGINT) = 2 */
    assert_int_equal(VEC_I64(o)[0], 2);
    assert_int_equal(VEC_I64(o)[1], -2);
    assert_int_equal(VEC_I64(o)[2], 0);
    fr(v);
    v = f64s(a, 5);
    kl_error err = {0};
    assert_int_equal(func_cast(v, 5, o, false, &err), KILN_ERR_CONVERSION);
    assert_non_null(strstr(err.message, "out of range"));
    assert_int_equal(func_cast(v, 5, o, true, NULL), 0);
    assert_true(vec_is_null(o, 3));
    assert_true(vec_is_null(o, 4));
    fr(v);
    fr(o);
}

static void test_cast_to_varchar(void **st) {
    (void)st;
    kl_vec *b = mk(KILN_TYPE_BOOLEAN, 2), *o = mk(KILN_TYPE_VARCHAR, 2);
    VEC_U8(b)[0] = 1;
    VEC_U8(b)[1] = 0;
    assert_int_equal(func_cast(b, 2, o, false, NULL), 0);
    assert_str(o, 0, "true");
    assert_str(o, 1, "false");
    fr(b);
    fr(o);
    double a[] = {4.25, 0.1};
    kl_vec *d = f64s(a, 2);
    o = mk(KILN_TYPE_VARCHAR, 2);
    assert_int_equal(func_cast(d, 2, o, false, NULL), 0);
    assert_str(o, 0, "4.25");
    assert_str(o, 1, "0.1");
    fr(d);
    fr(o);
    kl_vec *dt = mk(KILN_TYPE_DATE, 1);
    VEC_I32(dt)[0] = kl_days_from_civil(2024, 2, 29);
    o = mk(KILN_TYPE_VARCHAR, 1);
    assert_int_equal(func_cast(dt, 1, o, false, NULL), 0);
    assert_str(o, 0, "2024-02-29");
    fr(dt);
    fr(o);
}

static void test_cast_date_timestamp(void **st) {
    (void)st;
    kl_vec *ts = mk(KILN_TYPE_TIMESTAMP, 2), *o = mk(KILN_TYPE_DATE, 2);
    VEC_I64(ts)[0] = INT64_C(86400000000) + 5;
    VEC_I64(ts)[1] = -1; /* 1969-12-31 23:59:59.999999 */
    assert_int_equal(func_cast(ts, 2, o, false, NULL), 0);
    assert_int_equal(VEC_I32(o)[0], 1);
    assert_int_equal(VEC_I32(o)[1], -1);
    kl_vec *back = mk(KILN_TYPE_TIMESTAMP, 2);
    assert_int_equal(func_cast(o, 2, back, false, NULL), 0);
    assert_int_equal(VEC_I64(back)[0], INT64_C(86400000000));
    fr(ts);
    fr(o);
    fr(back);
}

static void test_cast_bool_int_and_null(void **st) {
    (void)st;
    int64_t a[] = {0, 5, NULLV};
    kl_vec *v = i64s(a, 3), *o = mk(KILN_TYPE_BOOLEAN, 3);
    assert_int_equal(func_cast(v, 3, o, false, NULL), 0);
    assert_int_equal(VEC_U8(o)[0], 0);
    assert_int_equal(VEC_U8(o)[1], 1);
    assert_true(vec_is_null(o, 2));
    fr(v);
    kl_vec *n = mk(KILN_TYPE_NULL, 3);
    assert_int_equal(func_cast(n, 3, o, false, NULL), 0);
    assert_true(vec_is_null(o, 0) && vec_is_null(o, 2));
    fr(n);
    fr(o);
    assert_true(func_can_cast(KILN_TYPE_NULL, KILN_TYPE_DATE));
    assert_true(func_can_cast(KILN_TYPE_DATE, KILN_TYPE_VARCHAR));
    assert_false(func_can_cast(KILN_TYPE_DATE, KILN_TYPE_BIGINT));
    assert_false(func_can_cast(KILN_TYPE_BOOLEAN, KILN_TYPE_TIMESTAMP));
}

/* ---- math ------------------------------------------------------------------------------- */

static void test_abs_sign(void **st) {
    (void)st;
    int64_t a[] = {-3, 4, NULLV};
    kl_vec *v = i64s(a, 3), *o;
    assert_int_equal(run_scalar("abs", &v, 1, 3, &o, NULL), 0);
    assert_int_equal(o->type, KILN_TYPE_BIGINT);
    assert_int_equal(VEC_I64(o)[0], 3);
    assert_true(vec_is_null(o, 2));
    fr(o);
    assert_int_equal(run_scalar("sign", &v, 1, 3, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], -1);
    assert_int_equal(VEC_I64(o)[1], 1);
    fr(o);
    fr(v);
    int64_t m[] = {INT64_MIN};
    v = i64s(m, 1);
    assert_int_equal(run_scalar("abs", &v, 1, 1, &o, NULL), KILN_ERR_OVERFLOW);
    fr(o);
    fr(v);
}

static void test_round(void **st) {
    (void)st;
    double a[] = {2.5, -2.5, 1.2345, 1234.5};
    kl_vec *v = f64s(a, 4), *o;
    assert_int_equal(run_scalar("round", &v, 1, 4, &o, NULL), 0);
    assert_true(VEC_F64(o)[0] == 3.0);
    assert_true(VEC_F64(o)[1] == -3.0);
    fr(o);
    int64_t dg[] = {0, 0, 2, -2};
    kl_vec *d = i64s(dg, 4);
    kl_vec *args[] = {v, d};
    assert_int_equal(run_scalar("round", args, 2, 4, &o, NULL), 0);
    assert_true(fabs(VEC_F64(o)[2] - 1.23) < 1e-12);
    assert_true(VEC_F64(o)[3] == 1200.0);
    fr(o);
    fr(v);
    int64_t ia[] = {1250, -1250};
    int64_t id[] = {-2, -2};
    kl_vec *iv = i64s(ia, 2), *idv = i64s(id, 2);
    kl_vec *iargs[] = {iv, idv};
    assert_int_equal(run_scalar("round", iargs, 2, 2, &o, NULL), 0);
    assert_int_equal(o->type, KILN_TYPE_BIGINT);
    assert_int_equal(VEC_I64(o)[0], 1300);
    assert_int_equal(VEC_I64(o)[1], -1300);
    fr(o);
    fr(iv);
    fr(idv);
    fr(d);
}

static void test_floor_ceil(void **st) {
    (void)st;
    double a[] = {-1.5, 1.5};
    kl_vec *v = f64s(a, 2), *o;
    assert_int_equal(run_scalar("floor", &v, 1, 2, &o, NULL), 0);
    assert_true(VEC_F64(o)[0] == -2.0 && VEC_F64(o)[1] == 1.0);
    fr(o);
    assert_int_equal(run_scalar("ceiling", &v, 1, 2, &o, NULL), 0);
    assert_true(VEC_F64(o)[0] == -1.0 && VEC_F64(o)[1] == 2.0);
    fr(o);
    fr(v);
    int64_t b[] = {7};
    v = i64s(b, 1);
    /* DuckDB 1.5: ceil/floor of an integer is a DOUBLE */
    assert_int_equal(run_scalar("ceil", &v, 1, 1, &o, NULL), 0);
    assert_int_equal(o->type, KILN_TYPE_DOUBLE);
    assert_true(VEC_F64(o)[0] == 7.0);
    fr(o);
    fr(v);
}

static void test_sqrt_log_errors(void **st) {
    (void)st;
    int64_t a[] = {16, NULLV};
    kl_vec *v = i64s(a, 2), *o;
    assert_int_equal(run_scalar("sqrt", &v, 1, 2, &o, NULL), 0);
    assert_true(VEC_F64(o)[0] == 4.0);
    assert_true(vec_is_null(o, 1));
    fr(o);
    assert_int_equal(run_scalar("log2", &v, 1, 2, &o, NULL), 0);
    assert_true(VEC_F64(o)[0] == 4.0);
    fr(o);
    fr(v);
    double n[] = {-1.0};
    v = f64s(n, 1);
    kl_error err = {0};
    assert_int_equal(run_scalar("sqrt", &v, 1, 1, &o, &err), KILN_ERR_INVALID);
    assert_string_equal(err.message, "cannot take square root of a negative number");
    fr(o);
    kiln_error_clear(&err);
    assert_int_equal(run_scalar("ln", &v, 1, 1, &o, &err), KILN_ERR_INVALID);
    fr(o);
    fr(v);
    const char *s[] = {"x"};
    v = strs(s, 1);
    kiln_error_clear(&err);
    assert_int_equal(run_scalar("sqrt", &v, 1, 1, &o, &err), KILN_ERR_BINDER);
    assert_non_null(strstr(err.message, "sqrt(VARCHAR)"));
    fr(v);
}

static void test_pow_exp(void **st) {
    (void)st;
    double a[] = {2.0}, b[] = {10.0};
    kl_vec *x = f64s(a, 1), *y = f64s(b, 1), *o;
    kl_vec *args[] = {x, y};
    assert_int_equal(run_scalar("power", args, 2, 1, &o, NULL), 0);
    assert_true(VEC_F64(o)[0] == 1024.0);
    fr(o);
    assert_int_equal(run_scalar("exp", &x, 1, 1, &o, NULL), 0);
    assert_true(fabs(VEC_F64(o)[0] - exp(2.0)) < 1e-15);
    fr(o);
    fr(x);
    fr(y);
}

static void test_greatest_least(void **st) {
    (void)st;
    int64_t a[] = {1, NULLV, NULLV};
    double b[] = {0.5, 2.5, 0};
    kl_vec *x = i64s(a, 3), *y = f64s(b, 3), *o;
    vec_set_null(y, 2);
    kl_vec *args[] = {x, y};
    assert_int_equal(run_scalar("greatest", args, 2, 3, &o, NULL), 0);
    assert_int_equal(o->type, KILN_TYPE_DOUBLE);
    assert_true(VEC_F64(o)[0] == 1.0);
    assert_true(VEC_F64(o)[1] == 2.5); /* NULLs ignored */
    assert_true(vec_is_null(o, 2));
    fr(o);
    assert_int_equal(run_scalar("least", args, 2, 3, &o, NULL), 0);
    assert_true(VEC_F64(o)[0] == 0.5);
    fr(o);
    fr(x);
    fr(y);
}

/* ---- strings ------------------------------------------------------------------------------ */

static void test_lower_upper_length(void **st) {
    (void)st;
    const char *x[] = {"HeLLo", NULL, "h\xc3\xa9llo"};
    kl_vec *v = strs(x, 3), *o;
    assert_int_equal(run_scalar("lower", &v, 1, 3, &o, NULL), 0);
    assert_str(o, 0, "hello");
    assert_true(vec_is_null(o, 1));
    fr(o);
    assert_int_equal(run_scalar("upper", &v, 1, 3, &o, NULL), 0);
    assert_str(o, 0, "HELLO");
    fr(o);
    assert_int_equal(run_scalar("length", &v, 1, 3, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], 5);
    assert_true(vec_is_null(o, 1));
    assert_int_equal(VEC_I64(o)[2], 5); /* characters, not bytes */
    fr(o);
    assert_int_equal(run_scalar("strlen", &v, 1, 3, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[2], 6);
    fr(o);
    fr(v);
}

static void test_substring(void **st) {
    (void)st;
    const char *x[] = {"hello", "hello", "hello", "hello", "h\xc3\xa9llo", "hello"};
    int64_t s[] = {2, 0, -2, 10, 2, 3};
    int64_t l[] = {3, 2, 1, 1, 2, -2};
    kl_vec *v = strs(x, 6), *sv = i64s(s, 6), *lv = i64s(l, 6), *o;
    kl_vec *args[] = {v, sv, lv};
    assert_int_equal(run_scalar("substring", args, 3, 6, &o, NULL), 0);
    assert_str(o, 0, "ell");
    assert_str(o, 1, "h");
    assert_str(o, 2, "l");
    assert_str(o, 3, "");
    assert_str(o, 4, "\xc3\xa9l");
    assert_str(o, 5, "he");
    fr(o);
    assert_int_equal(run_scalar("substr", args, 2, 6, &o, NULL), 0);
    assert_str(o, 0, "ello");
    assert_str(o, 2, "lo");
    fr(o);
    fr(v);
    fr(sv);
    fr(lv);
}

static void test_trim(void **st) {
    (void)st;
    const char *x[] = {"  ab c  ", "xxabxx", NULL};
    kl_vec *v = strs(x, 3), *o;
    assert_int_equal(run_scalar("trim", &v, 1, 3, &o, NULL), 0);
    assert_str(o, 0, "ab c");
    assert_true(vec_is_null(o, 2));
    fr(o);
    assert_int_equal(run_scalar("ltrim", &v, 1, 3, &o, NULL), 0);
    assert_str(o, 0, "ab c  ");
    fr(o);
    assert_int_equal(run_scalar("rtrim", &v, 1, 3, &o, NULL), 0);
    assert_str(o, 0, "  ab c");
    fr(o);
    const char *c[] = {"x", "x", "x"};
    kl_vec *cv = strs(c, 3);
    kl_vec *args[] = {v, cv};
    assert_int_equal(run_scalar("trim", args, 2, 3, &o, NULL), 0);
    assert_str(o, 1, "ab");
    fr(o);
    fr(cv);
    fr(v);
}

static void test_like(void **st) {
    (void)st;
    const char *s[] = {"hello", "hello", "hello", "HELLO", "h\xc3\xa9llo", "a%b", "axb", "", NULL};
    const char *p[] = {"h%o", "h_llo", "%lx%", "h%", "h_llo", "a\\%b", "a\\%b", "%", "%"};
    kl_vec *sv = strs(s, 9), *pv = strs(p, 9), *o;
    kl_vec *args[] = {sv, pv};
    assert_int_equal(run_scalar("like", args, 2, 9, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[0], 1);
    assert_int_equal(VEC_U8(o)[1], 1);
    assert_int_equal(VEC_U8(o)[2], 0);
    assert_int_equal(VEC_U8(o)[3], 0);
    assert_int_equal(VEC_U8(o)[4], 1); /* _ is one character, even multi-byte */
    assert_int_equal(VEC_U8(o)[7], 1);
    assert_true(vec_is_null(o, 8));
    fr(o);
    assert_int_equal(run_scalar("ilike", args, 2, 9, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[3], 1);
    fr(o);
    assert_int_equal(run_scalar("not_like", args, 2, 9, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[2], 1);
    fr(o);
    const char *e[] = {"\\", "\\", "\\", "\\", "\\", "\\", "\\", "\\", "\\"};
    kl_vec *ev = strs(e, 9);
    kl_vec *args3[] = {sv, pv, ev};
    assert_int_equal(run_scalar("like", args3, 3, 9, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[5], 1);
    assert_int_equal(VEC_U8(o)[6], 0);
    fr(o);
    fr(ev);
    fr(sv);
    fr(pv);
}

static void test_like_backtracking(void **st) {
    (void)st;
    const char *s[] = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "mississippi", "abc"};
    const char *p[] = {"%a%a%a%a%b", "m%iss%pi", "%%%c%"};
    kl_vec *sv = strs(s, 3), *pv = strs(p, 3), *o;
    kl_vec *args[] = {sv, pv};
    assert_int_equal(run_scalar("like", args, 2, 3, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[0], 1);
    assert_int_equal(VEC_U8(o)[1], 1);
    assert_int_equal(VEC_U8(o)[2], 1);
    fr(o);
    fr(sv);
    fr(pv);
}

static void test_concat_coalesce(void **st) {
    (void)st;
    const char *a[] = {"a", NULL, NULL};
    int64_t b[] = {1, 2, NULLV};
    kl_vec *av = strs(a, 3), *bv = i64s(b, 3), *o;
    kl_vec *args[] = {av, bv};
    assert_int_equal(run_scalar("concat", args, 2, 3, &o, NULL), 0);
    assert_str(o, 0, "a1");
    assert_str(o, 1, "2");
    assert_str(o, 2, "");
    fr(o);
    fr(av);
    int64_t c[] = {NULLV, 5, NULLV};
    double d[] = {1.5, 2.5, 0};
    kl_vec *cv = i64s(c, 3), *dv = f64s(d, 3);
    vec_set_null(dv, 2);
    kl_vec *args2[] = {cv, dv};
    assert_int_equal(run_scalar("coalesce", args2, 2, 3, &o, NULL), 0);
    assert_int_equal(o->type, KILN_TYPE_DOUBLE);
    assert_true(VEC_F64(o)[0] == 1.5);
    assert_true(VEC_F64(o)[1] == 5.0);
    assert_true(vec_is_null(o, 2));
    fr(o);
    kl_vec *args3[] = {bv, cv};
    assert_int_equal(run_scalar("nullif", args3, 2, 3, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], 1);
    assert_int_equal(VEC_I64(o)[1], 2);
    assert_true(vec_is_null(o, 2));
    fr(o);
    kl_vec *args4[] = {bv, bv};
    assert_int_equal(run_scalar("nullif", args4, 2, 3, &o, NULL), 0);
    assert_true(vec_is_null(o, 0));
    fr(o);
    fr(bv);
    fr(cv);
    fr(dv);
}

static void test_coalesce_bind_error(void **st) {
    (void)st;
    const kl_scalar_def *d = func_find_scalar("coalesce");
    kl_type t[] = {KILN_TYPE_VARCHAR, KILN_TYPE_BIGINT};
    kl_type ret;
    kl_fn_ctx ctx = {0};
    kl_error err = {0};
    assert_int_equal(d->bind(&ctx, t, 2, &ret, &err), KILN_ERR_BINDER);
    kl_type t2[] = {KILN_TYPE_DATE, KILN_TYPE_TIMESTAMP, KILN_TYPE_NULL};
    assert_int_equal(d->bind(&ctx, t2, 3, &ret, NULL), 0);
    assert_int_equal(ret, KILN_TYPE_TIMESTAMP);
    assert_int_equal(t2[2], KILN_TYPE_TIMESTAMP);
    assert_null(func_find_scalar("no_such_function"));
}

static void test_string_misc(void **st) {
    (void)st;
    const char *s[] = {"a,b,,c"};
    const char *d[] = {","};
    int64_t k[] = {2};
    kl_vec *sv = strs(s, 1), *dv = strs(d, 1), *kv = i64s(k, 1), *o;
    kl_vec *a3[] = {sv, dv, kv};
    assert_int_equal(run_scalar("split_part", a3, 3, 1, &o, NULL), 0);
    assert_str(o, 0, "b");
    fr(o);
    VEC_I64(kv)[0] = -1;
    assert_int_equal(run_scalar("split_part", a3, 3, 1, &o, NULL), 0);
    assert_str(o, 0, "c");
    fr(o);
    VEC_I64(kv)[0] = 9;
    assert_int_equal(run_scalar("split_part", a3, 3, 1, &o, NULL), 0);
    assert_str(o, 0, "");
    fr(o);
    const char *r[] = {";;"};
    kl_vec *rv = strs(r, 1);
    kl_vec *rep[] = {sv, dv, rv};
    assert_int_equal(run_scalar("replace", rep, 3, 1, &o, NULL), 0);
    assert_str(o, 0, "a;;b;;;;c");
    fr(o);
    kl_vec *a2[] = {sv, dv};
    assert_int_equal(run_scalar("strpos", a2, 2, 1, &o, NULL), 0);
    assert_int_equal(VEC_I64(o)[0], 2);
    fr(o);
    assert_int_equal(run_scalar("contains", a2, 2, 1, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[0], 1);
    fr(o);
    assert_int_equal(run_scalar("reverse", &sv, 1, 1, &o, NULL), 0);
    assert_str(o, 0, "c,,b,a");
    fr(o);
    VEC_I64(kv)[0] = 3;
    kl_vec *rp[] = {dv, kv};
    assert_int_equal(run_scalar("repeat", rp, 2, 1, &o, NULL), 0);
    assert_str(o, 0, ",,,");
    fr(o);
    kl_vec *lp[] = {sv, kv, rv};
    VEC_I64(kv)[0] = 9;
    assert_int_equal(run_scalar("lpad", lp, 3, 1, &o, NULL), 0);
    assert_str(o, 0, ";;;a,b,,c");
    fr(o);
    VEC_I64(kv)[0] = 2;
    kl_vec *lr[] = {sv, kv};
    assert_int_equal(run_scalar("left", lr, 2, 1, &o, NULL), 0);
    assert_str(o, 0, "a,");
    fr(o);
    assert_int_equal(run_scalar("right", lr, 2, 1, &o, NULL), 0);
    assert_str(o, 0, ",c");
    fr(o);
    fr(sv);
    fr(dv);
    fr(kv);
    fr(rv);
}

static void test_regexp_and_hash(void **st) {
    (void)st;
    const char *s[] = {"abc123", "xyz", NULL};
    const char *p[] = {"[0-9]+", "[0-9]+", "a"};
    kl_vec *sv = strs(s, 3), *pv = strs(p, 3), *o;
    kl_vec *args[] = {sv, pv};
    assert_int_equal(run_scalar("regexp_matches", args, 2, 3, &o, NULL), 0);
    assert_int_equal(VEC_U8(o)[0], 1);
    assert_int_equal(VEC_U8(o)[1], 0);
    assert_true(vec_is_null(o, 2));
    fr(o);
    assert_int_equal(run_scalar("hash", &sv, 1, 3, &o, NULL), 0);
    int64_t h0 = VEC_I64(o)[0];
    assert_false(vec_is_null(o, 2));
    fr(o);
    assert_int_equal(run_scalar("hash", &sv, 1, 3, &o, NULL), 0);
    assert_true(VEC_I64(o)[0] == h0); /* stable */
    assert_true(VEC_I64(o)[1] != h0);
    fr(o);
    fr(sv);
    fr(pv);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_sub_mul),
        cmocka_unit_test(test_overflow_messages),
        cmocka_unit_test(test_overflow_skips_null_rows),
        cmocka_unit_test(test_division),
        cmocka_unit_test(test_intdiv_min_overflow),
        cmocka_unit_test(test_double_div_zero),
        cmocka_unit_test(test_binary_types),
        cmocka_unit_test(test_date_arith),
        cmocka_unit_test(test_compare_ints_and_strings),
        cmocka_unit_test(test_compare_nan),
        cmocka_unit_test(test_concat_op),
        cmocka_unit_test(test_negate),
        cmocka_unit_test(test_cast_str_to_int),
        cmocka_unit_test(test_cast_error_message),
        cmocka_unit_test(test_try_cast),
        cmocka_unit_test(test_cast_double_to_int),
        cmocka_unit_test(test_cast_to_varchar),
        cmocka_unit_test(test_cast_date_timestamp),
        cmocka_unit_test(test_cast_bool_int_and_null),
        cmocka_unit_test(test_abs_sign),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_floor_ceil),
        cmocka_unit_test(test_sqrt_log_errors),
        cmocka_unit_test(test_pow_exp),
        cmocka_unit_test(test_greatest_least),
        cmocka_unit_test(test_lower_upper_length),
        cmocka_unit_test(test_substring),
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_like),
        cmocka_unit_test(test_like_backtracking),
        cmocka_unit_test(test_concat_coalesce),
        cmocka_unit_test(test_coalesce_bind_error),
        cmocka_unit_test(test_string_misc),
        cmocka_unit_test(test_regexp_and_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
