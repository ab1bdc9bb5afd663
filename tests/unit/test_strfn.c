/*
 * test_strfn.c — unit tests for the string / misc / math functions completed to match DuckDB:
 * split_part, substring clipping and range errors, the RE2 -> POSIX regex translation and
 * regexp_matches / regexp_full_match / regexp_replace / regexp_extract, ascii, chr, md5, trim,
 * pad, hash (non-negative, deterministic), random/setseed, string_agg (NULL separator,
 * serialize round trip), mod/gcd/lcm/factorial, trunc(x, d), round_even, even.
 * Expected values were checked against DuckDB 1.5 (see tests/sql/strings2.test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "func/func.h"

/* ---- helpers: one-row argument vectors, bind + cast + exec ------------------------------- */

static kl_vec *mk(kl_type t, uint32_t n) {
    kl_vec *v = kl_malloc(sizeof *v);
    assert_non_null(v);
    assert_int_equal(vec_init(v, t, n ? n : 1), 0);
    return v;
}
static void fr(kl_vec *v) {
    if (!v) return;
    vec_free(v);
    kl_free(v);
}
static kl_vec *S(const char *s) {
    kl_vec *v = mk(KILN_TYPE_VARCHAR, 1);
    if (!s) vec_set_null(v, 0);
    else assert_int_equal(vec_set_string(v, 0, s, strlen(s)), 0);
    return v;
}
static kl_vec *I(int64_t x) {
    kl_vec *v = mk(KILN_TYPE_BIGINT, 1);
    VEC_I64(v)[0] = x;
    return v;
}
static kl_vec *D(double x) {
    kl_vec *v = mk(KILN_TYPE_DOUBLE, 1);
    VEC_F64(v)[0] = x;
    return v;
}

/* Run scalar `name` over n rows of args (which it frees). Returns out or NULL on error. */
static kl_vec *run_n(const char *name, uint32_t n, kl_error *err, int n_args, kl_vec **args) {
    const kl_scalar_def *d = func_find_scalar(name);
    assert_non_null(d);
    kl_type types[8];
    for (int i = 0; i < n_args; i++) types[i] = args[i]->type;
    kl_fn_ctx ctx = {0};
    kl_type ret;
    kl_vec *out = NULL;
    int rc = d->bind(&ctx, types, n_args, &ret, err);
    kl_vec *cast[8];
    if (rc == 0) {
        for (int i = 0; i < n_args; i++) {
            if (types[i] == args[i]->type) {
                cast[i] = args[i];
                continue;
            }
            cast[i] = mk(types[i], n);
            assert_int_equal(func_cast(args[i], n, cast[i], false, NULL), 0);
        }
        out = mk(ret, n);
        ctx.ret_type = ret;
        ctx.n_args = n_args;
        for (int i = 0; i < n_args && i < 8; i++) ctx.arg_types[i] = types[i];
        rc = d->exec(&ctx, cast, n_args, n, out, err);
        for (int i = 0; i < n_args; i++)
            if (cast[i] != args[i]) fr(cast[i]);
        if (rc) {
            fr(out);
            out = NULL;
        }
    }
    for (int i = 0; i < n_args; i++) fr(args[i]);
    return out;
}

static kl_vec *call(const char *name, kl_error *err, int n_args, ...) {
    kl_vec *args[8];
    va_list ap;
    va_start(ap, n_args);
    for (int i = 0; i < n_args; i++) args[i] = va_arg(ap, kl_vec *);
    va_end(ap);
    return run_n(name, 1, err, n_args, args);
}

/* Result text of a one-row VARCHAR call ("<NULL>" for NULL); static buffer. */
static const char *str_of(kl_vec *v) {
    static char buf[1024];
    assert_non_null(v);
    if (vec_is_null(v, 0)) {
        fr(v);
        return "<NULL>";
    }
    kl_str s = VEC_STR(v)[0];
    assert_true(s.len < sizeof buf);
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    fr(v);
    return buf;
}
static int64_t i64_of(kl_vec *v) {
    assert_non_null(v);
    assert_false(vec_is_null(v, 0));
    int64_t x = v->type == KILN_TYPE_BOOLEAN ? VEC_U8(v)[0] : VEC_I64(v)[0];
    fr(v);
    return x;
}
static double f64_of(kl_vec *v) {
    assert_non_null(v);
    assert_false(vec_is_null(v, 0));
    double x = VEC_F64(v)[0];
    fr(v);
    return x;
}
static void expect_error(kl_vec *v, kl_error *err, const char *needle) {
    assert_null(v);
    assert_true(err->code != 0);
    if (!strstr(err->message, needle)) fail_msg("message '%s' lacks '%s'", err->message, needle);
    kiln_error_clear(err);
}

/* ---- split_part, substring --------------------------------------------------------------- */

static void test_split_part_empty_delimiter(void **st) {
    (void)st;
    assert_string_equal(str_of(call("split_part", NULL, 3, S("a,b,c"), S(""), I(1))), "a");
    assert_string_equal(str_of(call("split_part", NULL, 3, S("héllo"), S(""), I(2))), "é");
    assert_string_equal(str_of(call("split_part", NULL, 3, S("abc"), S(""), I(-1))), "c");
    assert_string_equal(str_of(call("split_part", NULL, 3, S("abc"), S(""), I(4))), "");
    assert_string_equal(str_of(call("split_part", NULL, 3, S("abc"), S(""), I(0))), "");
}

static void test_split_part_fields(void **st) {
    (void)st;
    assert_string_equal(str_of(call("split_part", NULL, 3, S("a,b,c"), S(","), I(2))), "b");
    assert_string_equal(str_of(call("split_part", NULL, 3, S("a,b,c"), S(","), I(-3))), "a");
    assert_string_equal(str_of(call("split_part", NULL, 3, S("a,b,c"), S(","), I(-4))), "");
    assert_string_equal(str_of(call("split_part", NULL, 3, S("a||b"), S("||"), I(2))), "b");
    assert_string_equal(str_of(call("split_part", NULL, 3, S(NULL), S(","), I(1))), "<NULL>");
}

static void test_substring_clipping(void **st) {
    (void)st;
    /* DuckDB 1.5: the range is formed, then clipped */
    assert_string_equal(str_of(call("substr", NULL, 3, S("hello"), I(-7), I(3))), "h");
    assert_string_equal(str_of(call("substr", NULL, 3, S("hello"), I(-100), I(2))), "");
    assert_string_equal(str_of(call("substr", NULL, 3, S("hello"), I(7), I(-3))), "lo");
    assert_string_equal(str_of(call("substr", NULL, 3, S("hello"), I(6), I(-3))), "llo");
    assert_string_equal(str_of(call("substr", NULL, 3, S("hello"), I(0), I(2))), "h");
    assert_string_equal(str_of(call("substr", NULL, 3, S("hello"), I(-3), I(-10))), "he");
    assert_string_equal(str_of(call("substr", NULL, 2, S("hello"), I(-4294967296LL))), "hell");
    assert_string_equal(str_of(call("substr", NULL, 3, S("héllo"), I(-4), I(2))), "él");
}

static void test_substring_range_errors(void **st) {
    (void)st;
    kl_error err = {0};
    expect_error(call("substr", &err, 2, S("hello"), I(5000000000LL)), &err,
                 "Substring offset outside of supported range (> 4294967295)");
    expect_error(call("substr", &err, 2, S("hello"), I(-5000000000LL)), &err,
                 "(< -4294967296)");
    expect_error(call("substr", &err, 3, S("hello"), I(1), I(INT64_MIN)), &err,
                 "Substring length outside");
    expect_error(call("left", &err, 2, S("hello"), I(5000000000LL)), &err, "Substring length");
    assert_string_equal(str_of(call("right", NULL, 2, S("hello"), I(INT64_MIN))), "");
    assert_string_equal(str_of(call("left", NULL, 2, S("hello"), I(INT64_MIN))), "");
}

/* ---- regular expressions ----------------------------------------------------------------- */

static bool rx(const char *s, const char *p, const char *opts) {
    kl_vec *v = opts ? call("regexp_matches", NULL, 3, S(s), S(p), S(opts))
                     : call("regexp_matches", NULL, 2, S(s), S(p));
    return i64_of(v) != 0;
}

static void test_regex_re2_classes(void **st) {
    (void)st;
    assert_true(rx("abc123", "\\d+", NULL));
    assert_false(rx("abc", "\\d", NULL));
    assert_false(rx("123", "\\D", NULL));
    assert_true(rx("a_b", "^\\w+$", NULL));
    assert_true(rx("a-b", "\\W", NULL));
    assert_true(rx("a b", "\\s", NULL));
    assert_false(rx("   ", "\\S", NULL));
    assert_true(rx("x9", "[\\d]", NULL));
    assert_true(rx("ab", "[^\\d]", NULL));
    assert_false(rx("5", "[\\D]", NULL));
    assert_true(rx("A", "\\x41", NULL));
    assert_true(rx("é", "^\\x{e9}$", NULL));
}

static void test_regex_flags_and_options(void **st) {
    (void)st;
    assert_true(rx("ABC", "(?i)abc", NULL));
    assert_true(rx("ABC", "abc", "i"));
    assert_false(rx("ABC", "abc", "ic"));
    assert_true(rx("ÀB", "àb", "i"));
    assert_true(rx("a.c", ".", "l"));
    assert_false(rx("abc", ".", "l"));
    assert_false(rx("a\nb", "a.b", NULL)); /* RE2: . does not match newline */
    assert_true(rx("a\nb", "a.b", "s"));
    assert_true(rx("a\nb", "(?s)a.b", NULL));
    assert_true(rx("é", "^.$", NULL)); /* one character, not one byte */
    kl_error err = {0};
    expect_error(call("regexp_matches", &err, 3, S("abc"), S("b"), S("x")), &err,
                 "Unrecognized Regex option x");
    expect_error(call("regexp_matches", &err, 3, S("abc"), S("b"), S("g")), &err,
                 "only valid for regexp_replace");
    expect_error(call("regexp_matches", &err, 3, S("abc"), S("b"), S(NULL)), &err,
                 "must not be NULL");
    expect_error(call("regexp_matches", &err, 2, S("abc"), S("(")), &err,
                 "Invalid regular expression");
}

static void test_regex_brackets(void **st) {
    (void)st;
    assert_true(rx("a]b", "[]]", NULL));
    assert_true(rx("a-b", "[\\-]", NULL));
    assert_true(rx("a^b", "[\\^x]", NULL));
    assert_false(rx("abc", "[\\^x]", NULL));
    assert_true(rx("a\\b", "[\\\\]", NULL));
    assert_true(rx("a{b", "a{b", NULL));
    assert_true(rx("x{1}", "x\\{1\\}", NULL));
    assert_true(rx("foo123", "^[a-z]+\\d{3}$", NULL));
    assert_false(rx("foo12", "^[a-z]+\\d{3}$", NULL));
}

static void test_regexp_replace_global(void **st) {
    (void)st;
    assert_string_equal(str_of(call("regexp_replace", NULL, 3, S("hello world"), S("o"), S("0"))),
                        "hell0 world");
    assert_string_equal(
        str_of(call("regexp_replace", NULL, 4, S("hello world"), S("o"), S("0"), S("g"))),
        "hell0 w0rld");
    /* RE2's rule: no empty match right after the previous match */
    assert_string_equal(str_of(call("regexp_replace", NULL, 4, S("aaa"), S("a*"), S("X"), S("g"))),
                        "X");
    assert_string_equal(str_of(call("regexp_replace", NULL, 4, S("abc"), S(""), S("-"), S("g"))),
                        "-a-b-c-");
    assert_string_equal(str_of(call("regexp_replace", NULL, 4, S("héé"), S(""), S("-"), S("g"))),
                        "-h-é-é-");
    assert_string_equal(str_of(call("regexp_replace", NULL, 4, S("aaa"), S("^a"), S("X"), S("g"))),
                        "Xaa");
    assert_string_equal(str_of(call("regexp_replace", NULL, 4, S(""), S("x*"), S("Y"), S("g"))),
                        "Y");
}

static void test_regexp_replace_rewrite(void **st) {
    (void)st;
    assert_string_equal(str_of(call("regexp_replace", NULL, 3, S("2024-01-15"),
                                    S("(\\d+)-(\\d+)-(\\d+)"), S("\\3/\\2/\\1"))),
                        "15/01/2024");
    assert_string_equal(str_of(call("regexp_replace", NULL, 3, S("abc"), S("b"), S("\\0\\0"))),
                        "abbc");
    assert_string_equal(str_of(call("regexp_replace", NULL, 3, S("abc"), S("b"), S("\\\\"))),
                        "a\\c");
    /* an invalid rewrite leaves the string unchanged (DuckDB) */
    assert_string_equal(str_of(call("regexp_replace", NULL, 3, S("abc"), S("b"), S("\\x"))), "abc");
    assert_string_equal(str_of(call("regexp_replace", NULL, 3, S("abc"), S("b"), S("\\1"))), "abc");
    /* (?:...) does not count as a group */
    assert_string_equal(
        str_of(call("regexp_replace", NULL, 3, S("a1"), S("(?:a)(\\d)"), S("<\\1>"))), "<1>");
    assert_string_equal(str_of(call("regexp_replace", NULL, 3, S(NULL), S("a"), S("b"))), "<NULL>");
}

static void test_regexp_extract_groups(void **st) {
    (void)st;
    assert_string_equal(str_of(call("regexp_extract", NULL, 2, S("abc123def"), S("\\d+"))), "123");
    assert_string_equal(str_of(call("regexp_extract", NULL, 2, S("abc"), S("\\d+"))), "");
    assert_string_equal(
        str_of(call("regexp_extract", NULL, 3, S("key=val"), S("(\\w+)=(\\w+)"), I(2))), "val");
    assert_string_equal(
        str_of(call("regexp_extract", NULL, 3, S("foo bar"), S("(?P<first>\\w+) (\\w+)"), I(2))),
        "bar");
    assert_string_equal(str_of(call("regexp_extract", NULL, 3, S("abc"), S("(a)(x)?"), I(2))), "");
    assert_string_equal(str_of(call("regexp_extract", NULL, 3, S("abc"), S("b"), I(1))), "");
    assert_string_equal(
        str_of(call("regexp_extract", NULL, 4, S("aXbX"), S("(x)"), I(1), S("i"))), "X");
    kl_error err = {0};
    expect_error(call("regexp_extract", &err, 3, S("abc"), S("b"), I(10)), &err,
                 "Group index must be between 0 and 9!");
    /* lazy quantifiers would silently change the match: rejected */
    expect_error(call("regexp_extract", &err, 2, S("aaa"), S("a+?")), &err, "Lazy quantifiers");
}

static void test_regexp_full_match(void **st) {
    (void)st;
    assert_int_equal(i64_of(call("regexp_full_match", NULL, 2, S("abc"), S("a.c"))), 1);
    assert_int_equal(i64_of(call("regexp_full_match", NULL, 2, S("abcd"), S("a.c"))), 0);
    assert_int_equal(i64_of(call("regexp_full_match", NULL, 2, S("ab"), S("a|ab"))), 1);
    assert_int_equal(i64_of(call("regexp_full_match", NULL, 2, S("abc"), S("b"))), 0);
}

/* Several rows with different patterns: the per-call compile cache must switch. */
static void test_regex_pattern_per_row(void **st) {
    (void)st;
    const char *subj[] = {"abc", "abc", "123", "abc", NULL};
    const char *pats[] = {"b", "x", "\\d", "b", "a"};
    kl_vec *s = mk(KILN_TYPE_VARCHAR, 5), *p = mk(KILN_TYPE_VARCHAR, 5);
    for (uint32_t i = 0; i < 5; i++) {
        if (subj[i]) assert_int_equal(vec_set_string(s, i, subj[i], strlen(subj[i])), 0);
        else vec_set_null(s, i);
        assert_int_equal(vec_set_string(p, i, pats[i], strlen(pats[i])), 0);
    }
    kl_vec *args[2] = {s, p};
    kl_vec *o = run_n("regexp_matches", 5, NULL, 2, args);
    assert_non_null(o);
    assert_int_equal(VEC_U8(o)[0], 1);
    assert_int_equal(VEC_U8(o)[1], 0);
    assert_int_equal(VEC_U8(o)[2], 1);
    assert_int_equal(VEC_U8(o)[3], 1);
    assert_true(vec_is_null(o, 4));
    fr(o);
}

/* ---- ascii, chr, md5, trim, pad, case ----------------------------------------------------- */

static void test_ascii_chr(void **st) {
    (void)st;
    assert_int_equal(i64_of(call("ascii", NULL, 1, S("A"))), 65);
    assert_int_equal(i64_of(call("ascii", NULL, 1, S(""))), 0);
    assert_int_equal(i64_of(call("ascii", NULL, 1, S("€x"))), 8364);
    assert_string_equal(str_of(call("chr", NULL, 1, I(233))), "é");
    assert_string_equal(str_of(call("chr", NULL, 1, I(0x1F986))), "\xF0\x9F\xA6\x86");
    kl_vec *z = call("chr", NULL, 1, I(0));
    assert_int_equal(VEC_STR(z)[0].len, 1);
    fr(z);
    kl_error err = {0};
    expect_error(call("chr", &err, 1, I(-1)), &err, "Invalid UTF8 Codepoint -1");
    expect_error(call("chr", &err, 1, I(0xD800)), &err, "Invalid UTF8 Codepoint 55296");
    expect_error(call("chr", &err, 1, I(0x110000)), &err, "Invalid UTF8 Codepoint");
}

static void test_md5_vectors(void **st) {
    (void)st;
    /* RFC 1321 test suite */
    assert_string_equal(str_of(call("md5", NULL, 1, S(""))), "d41d8cd98f00b204e9800998ecf8427e");
    assert_string_equal(str_of(call("md5", NULL, 1, S("abc"))), "900150983cd24fb0d6963f7d28e17f72");
    assert_string_equal(str_of(call("md5", NULL, 1, S("message digest"))),
                        "f96b697d7cb7938d525a2f31aaf161d0");
    assert_string_equal(
        str_of(call("md5", NULL, 1,
                    S("12345678901234567890123456789012345678901234567890123456789012345678901234567890"))),
        "57edf4a22be3c955ac49da2e2107b67a");
    assert_string_equal(str_of(call("md5", NULL, 1, S(NULL))), "<NULL>");
}

static void test_trim_pad_case(void **st) {
    (void)st;
    assert_string_equal(str_of(call("trim", NULL, 1, S("\ta \t"))), "\ta \t"); /* spaces only */
    assert_string_equal(str_of(call("trim", NULL, 2, S("abcba"), S("ab"))), "c");
    assert_string_equal(str_of(call("rtrim", NULL, 2, S("xxaxx"), S("xa"))), "");
    assert_string_equal(str_of(call("trim", NULL, 2, S("ééaé"), S("é"))), "a");
    assert_string_equal(str_of(call("lpad", NULL, 3, S("abc"), I(6), S("xy"))), "xyxabc");
    assert_string_equal(str_of(call("rpad", NULL, 3, S("héllo"), I(7), S("é"))), "hélloéé");
    assert_string_equal(str_of(call("lpad", NULL, 3, S("héllo"), I(3), S("x"))), "hél");
    assert_string_equal(str_of(call("upper", NULL, 1, S("straße"))), "STRAẞE");
    kl_error err = {0};
    expect_error(call("lpad", &err, 3, S("abc"), I(5), S("")), &err, "Insufficient padding");
    expect_error(call("repeat", &err, 2, S("ab"), I(1000000000)), &err,
                 "Cannot create a string longer than");
}

/* ---- hash, random ------------------------------------------------------------------------- */

static void test_hash_properties(void **st) {
    (void)st;
    int64_t a = i64_of(call("hash", NULL, 1, I(1)));
    assert_int_equal(a, i64_of(call("hash", NULL, 1, I(1))));
    assert_true(a >= 0);
    assert_true(i64_of(call("hash", NULL, 1, S("a"))) != i64_of(call("hash", NULL, 1, S("b"))));
    assert_int_equal(i64_of(call("hash", NULL, 1, S(NULL))), i64_of(call("hash", NULL, 1, S(NULL))));
    assert_true(i64_of(call("hash", NULL, 2, I(1), I(2))) != i64_of(call("hash", NULL, 2, I(2), I(1))));
    assert_int_equal(i64_of(call("hash", NULL, 1, D(0.0))), i64_of(call("hash", NULL, 1, D(-0.0))));
    /* non-negative over many values, and % 10 spreads */
    kl_vec *v = mk(KILN_TYPE_BIGINT, 1000);
    for (int64_t i = 0; i < 1000; i++) VEC_I64(v)[i] = i - 500;
    kl_vec *args[1] = {v};
    kl_vec *o = run_n("hash", 1000, NULL, 1, args);
    int buckets[10] = {0};
    for (uint32_t i = 0; i < 1000; i++) {
        assert_true(VEC_I64(o)[i] >= 0);
        buckets[VEC_I64(o)[i] % 10]++;
    }
    for (int b = 0; b < 10; b++) assert_true(buckets[b] > 50 && buckets[b] < 150);
    fr(o);
}

static void test_random_seed_repeats(void **st) {
    (void)st;
    kl_vec *args[1];
    func_set_seed(0.25);
    kl_vec *a = run_n("random", 100, NULL, 0, args);
    func_set_seed(0.25);
    kl_vec *b = run_n("random", 100, NULL, 0, args);
    func_set_seed(-0.25);
    kl_vec *c = run_n("random", 100, NULL, 0, args);
    int same_ac = 0;
    for (uint32_t i = 0; i < 100; i++) {
        double x = VEC_F64(a)[i];
        assert_true(x >= 0.0 && x < 1.0);
        assert_true(x == VEC_F64(b)[i]);
        same_ac += x == VEC_F64(c)[i];
    }
    assert_true(same_ac < 3);
    fr(a);
    fr(b);
    fr(c);
    /* setseed() seeds the same generator */
    kl_vec *n = call("setseed", NULL, 1, D(0.25));
    assert_true(vec_is_null(n, 0));
    fr(n);
    double first = f64_of(run_n("random", 1, NULL, 0, args));
    func_set_seed(0.25);
    assert_true(first == f64_of(run_n("random", 1, NULL, 0, args)));
    kl_error err = {0};
    expect_error(call("setseed", &err, 1, D(1.5)), &err, "SETSEED accepts seed values");
}

/* ---- string_agg ----------------------------------------------------------------------------- */

static void test_string_agg_null_separator_and_serialize(void **st) {
    (void)st;
    const kl_agg_def *d = func_find_agg("listagg");
    assert_non_null(d);
    kl_type types[2] = {KILN_TYPE_VARCHAR, KILN_TYPE_VARCHAR};
    kl_fn_ctx ctx = {0};
    kl_type ret;
    size_t ssize;
    assert_int_equal(d->bind(&ctx, types, 2, &ret, &ssize, NULL), 0);
    kl_vec *x = mk(KILN_TYPE_VARCHAR, 3), *sep = mk(KILN_TYPE_VARCHAR, 3);
    const char *vals[] = {"a", NULL, "b"};
    for (uint32_t i = 0; i < 3; i++) {
        if (vals[i]) assert_int_equal(vec_set_string(x, i, vals[i], 1), 0);
        else vec_set_null(x, i);
        vec_set_null(sep, i); /* NULL separator: DuckDB gives NULL */
    }
    void *s1 = kl_malloc(ssize), *s2 = kl_malloc(ssize);
    d->init(&ctx, s1);
    void *states[3] = {s1, s1, s1};
    kl_vec *args[2] = {x, sep};
    assert_int_equal(d->update(&ctx, states, 0, args, 2, 3, NULL), 0);
    kl_buf buf = {0};
    assert_int_equal(d->serialize(&ctx, s1, &buf), 0);
    size_t used = 0;
    assert_int_equal(d->deserialize(&ctx, s2, buf.data, buf.len, &used, NULL), 0);
    assert_int_equal(used, buf.len);
    kl_vec *out = mk(ret, 1);
    assert_int_equal(d->finalize(&ctx, s2, out, 0, NULL), 0);
    assert_true(vec_is_null(out, 0));
    /* a normal separator after a round trip and a combine */
    void *s3 = kl_malloc(ssize);
    d->init(&ctx, s3);
    assert_int_equal(vec_set_string(sep, 0, "-", 1), 0);
    sep->nulls[0] = 0;
    void *st3[1] = {s3};
    assert_int_equal(d->update(&ctx, st3, 0, args, 2, 1, NULL), 0);
    void *s4 = kl_malloc(ssize);
    d->init(&ctx, s4);
    assert_int_equal(d->combine(&ctx, s4, s3, NULL), 0);
    assert_int_equal(d->combine(&ctx, s4, s3, NULL), 0);
    assert_int_equal(d->finalize(&ctx, s4, out, 0, NULL), 0);
    assert_false(vec_is_null(out, 0));
    assert_int_equal(VEC_STR(out)[0].len, 3);
    assert_memory_equal(VEC_STR(out)[0].ptr, "a-a", 3);
    void *all[4] = {s1, s2, s3, s4};
    for (int k = 0; k < 4; k++) {
        d->destroy(&ctx, all[k]);
        kl_free(all[k]);
    }
    kl_buf_free(&buf);
    fr(out);
    fr(x);
    fr(sep);
}

/* ---- math ---------------------------------------------------------------------------------- */

static void test_mod_gcd_lcm_factorial(void **st) {
    (void)st;
    assert_int_equal(i64_of(call("mod", NULL, 2, I(-7), I(3))), -1);
    kl_vec *z = call("mod", NULL, 2, I(7), I(0));
    assert_true(vec_is_null(z, 0));
    fr(z);
    assert_true(isnan(f64_of(call("mod", NULL, 2, D(7.5), I(0)))));
    assert_true(f64_of(call("mod", NULL, 2, D(7.5), I(-2))) == 1.5);
    assert_int_equal(i64_of(call("gcd", NULL, 2, I(-12), I(18))), 6);
    assert_int_equal(i64_of(call("lcm", NULL, 2, I(-4), I(6))), 12);
    assert_int_equal(i64_of(call("lcm", NULL, 2, I(0), I(6))), 0);
    assert_int_equal(i64_of(call("factorial", NULL, 1, I(20))), 2432902008176640000LL);
    kl_error err = {0};
    expect_error(call("mod", &err, 2, I(INT64_MIN), I(-1)), &err, "Overflow in division");
    expect_error(call("lcm", &err, 2, I(INT64_MAX), I(2)), &err, "lcm value is out of range");
    expect_error(call("gcd", &err, 2, I(INT64_MIN), I(0)), &err, "Overflow on abs");
    expect_error(call("factorial", &err, 1, I(-1)), &err, "negative number is undefined");
    expect_error(call("factorial", &err, 1, I(21)), &err, "Overflow in factorial");
}

static void test_trunc_round_even_even(void **st) {
    (void)st;
    assert_true(f64_of(call("trunc", NULL, 2, D(1.2345), I(2))) == 1.23);
    assert_true(f64_of(call("trunc", NULL, 2, D(-1.2345), I(1))) == -1.2);
    assert_true(f64_of(call("trunc", NULL, 2, D(15.5), I(-1))) == 10.0);
    assert_int_equal(i64_of(call("trunc", NULL, 2, I(-1299), I(-2))), -1200);
    assert_int_equal(i64_of(call("trunc", NULL, 2, I(123), I(-30))), 0);
    assert_true(f64_of(call("round_even", NULL, 2, D(2.5), I(0))) == 2.0);
    assert_true(f64_of(call("round_even", NULL, 2, D(3.5), I(0))) == 4.0);
    assert_true(f64_of(call("roundbankers", NULL, 2, D(2.25), I(1))) == 2.2);
    assert_true(f64_of(call("round_even", NULL, 2, I(25), I(-1))) == 20.0);
    assert_true(f64_of(call("even", NULL, 1, D(1.5))) == 2.0);
    assert_true(f64_of(call("even", NULL, 1, D(-1.5))) == -2.0);
    assert_true(f64_of(call("even", NULL, 1, I(3))) == 4.0);
    assert_int_equal(i64_of(call("signbit", NULL, 1, D(-0.0))), 1);
    assert_int_equal(i64_of(call("isfinite", NULL, 1, D(INFINITY))), 0);
    kl_error err = {0};
    expect_error(call("atanh", &err, 1, D(2)), &err, "ATANH is undefined outside [-1,1]");
    expect_error(call("cot", &err, 1, D(0)), &err, "cotangent");
    assert_true(isinf(f64_of(call("atanh", NULL, 1, D(1)))));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_part_empty_delimiter),
        cmocka_unit_test(test_split_part_fields),
        cmocka_unit_test(test_substring_clipping),
        cmocka_unit_test(test_substring_range_errors),
        cmocka_unit_test(test_regex_re2_classes),
        cmocka_unit_test(test_regex_flags_and_options),
        cmocka_unit_test(test_regex_brackets),
        cmocka_unit_test(test_regexp_replace_global),
        cmocka_unit_test(test_regexp_replace_rewrite),
        cmocka_unit_test(test_regexp_extract_groups),
        cmocka_unit_test(test_regexp_full_match),
        cmocka_unit_test(test_regex_pattern_per_row),
        cmocka_unit_test(test_ascii_chr),
        cmocka_unit_test(test_md5_vectors),
        cmocka_unit_test(test_trim_pad_case),
        cmocka_unit_test(test_hash_properties),
        cmocka_unit_test(test_random_seed_repeats),
        cmocka_unit_test(test_string_agg_null_separator_and_serialize),
        cmocka_unit_test(test_mod_gcd_lcm_factorial),
        cmocka_unit_test(test_trunc_round_even_even),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
