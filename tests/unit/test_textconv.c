/*
 * test_textconv.c — unit tests of src/util/textconv.c: integer/double/bool/date/timestamp
 * parsing (junk, overflow, spaces), strtod bit-identity on random doubles and decimal
 * strings, shortest double printing as DuckDB does, calendar edge cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "util/textconv.h"
#include "util/kl.h"

static bool pi(const char *s, int64_t *v) { return kl_parse_int64(s, strlen(s), v); }
static bool pd(const char *s, double *v) { return kl_parse_double(s, strlen(s), v); }

static void fmt_d(double v, const char *want) {
    char buf[64];
    size_t n = kl_format_double(v, buf);
    buf[n] = 0;
    assert_string_equal(buf, want);
}

static void t_int64(void **s) {
    (void)s;
    int64_t v;
    assert_true(pi("0", &v) && v == 0);
    assert_true(pi(" -42 ", &v) && v == -42);
    assert_true(pi("+7", &v) && v == 7);
    assert_true(pi("007", &v) && v == 7);
    assert_true(pi("9223372036854775807", &v) && v == INT64_MAX);
    assert_true(pi("-9223372036854775808", &v) && v == INT64_MIN);
    assert_false(pi("9223372036854775808", &v));
    assert_false(pi("-9223372036854775809", &v));
    assert_false(pi("", &v));
    assert_false(pi("-", &v));
    assert_false(pi("1a", &v));
    assert_false(pi("1.0", &v));
    assert_false(pi("1 2", &v));
    /* no read past len */
    assert_true(kl_parse_int64("123456", 3, &v) && v == 123);
    char buf[32];
    size_t n = kl_format_int64(INT64_MIN, buf);
    buf[n] = 0;
    assert_string_equal(buf, "-9223372036854775808");
    n = kl_format_int64(0, buf);
    buf[n] = 0;
    assert_string_equal(buf, "0");
}

static void t_double_parse(void **s) {
    (void)s;
    double v;
    assert_true(pd("4.25", &v) && v == 4.25);
    assert_true(pd(" -0.5e-3 ", &v) && v == -0.5e-3);
    assert_true(pd(".5", &v) && v == 0.5);
    assert_true(pd("5.", &v) && v == 5.0);
    assert_true(pd("1E10", &v) && v == 1e10);
    assert_true(pd("-0", &v) && v == 0 && signbit(v));
    assert_true(pd("inf", &v) && isinf(v) && v > 0);
    assert_true(pd("-Infinity", &v) && isinf(v) && v < 0);
    assert_true(pd("NaN", &v) && isnan(v));
    assert_true(pd("1e-400", &v) && v == 0);
    assert_false(pd("1e400", &v));
    assert_false(pd("0x10", &v));
    assert_false(pd("", &v));
    assert_false(pd(".", &v));
    assert_false(pd("1e", &v));
    assert_false(pd("1e+", &v));
    assert_false(pd("1.2.3", &v));
    assert_false(pd("nan(1)", &v));
    assert_false(pd("abc", &v));
    assert_true(kl_parse_double("2.5xyz", 3, &v) && v == 2.5);
}

/* Random bit patterns printed with %.17g and random short decimals: identical to strtod. */
static void t_double_strtod_identity(void **s) {
    (void)s;
    uint64_t x = 88172645463325252ULL;
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        switch (i % 4) {
        case 0: {
            memcpy(&d, &x, 8);
            if (!isfinite(d)) continue;
            snprintf(buf, sizeof buf, "%.17g", d);
            break;
        }
        case 1:
            snprintf(buf, sizeof buf, "%llu.%llue%d", (unsigned long long)(x % 100000000),
                     (unsigned long long)((x >> 20) % 10000000), (int)(x >> 50) % 40 - 20);
            break;
        case 2:
            snprintf(buf, sizeof buf, "%.*g", (int)(x % 17) + 1, (double)(x >> 11) * 1e-8);
            break;
        default:
            snprintf(buf, sizeof buf, "0.%0*llu", (int)(x % 25) + 1, (unsigned long long)(x % 1000003));
            break;
        }
        double a, b = strtod(buf, NULL);
        assert_true(pd(buf, &a));
        if (memcmp(&a, &b, 8) != 0) {
            fprintf(stderr, "mismatch for %s\n", buf);
            fail();
        }
    }
}

static void t_double_format(void **s) {
    (void)s;
    fmt_d(4.25, "4.25");
    fmt_d(0.1, "0.1");
    fmt_d(2.0, "2.0");
    fmt_d(-3.0, "-3.0");
    fmt_d(0.0, "0.0");
    fmt_d(-0.0, "-0.0");
    fmt_d(1e20, "1e+20");
    fmt_d(1e15, "1000000000000000.0");
    fmt_d(1e16, "1e+16");
    fmt_d(1.5e-7, "1.5e-07");
    fmt_d(0.0001, "0.0001");
    fmt_d(0.00001, "1e-05");
    fmt_d(123.456, "123.456");
    fmt_d(1.0 / 3, "0.3333333333333333");
    fmt_d(1e300, "1e+300");
    fmt_d(INFINITY, "inf");
    fmt_d(-INFINITY, "-inf");
    fmt_d(NAN, "nan");
    fmt_d(5e-324, "5e-324");
}

static void t_double_roundtrip(void **s) {
    (void)s;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    char buf[64];
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, 8);
        if (!isfinite(d)) continue;
        size_t n = kl_format_double(d, buf);
        buf[n] = 0;
        double back;
        assert_true(pd(buf, &back));
        assert_memory_equal(&back, &d, 8);
    }
}

/* The digits and exponent of the shortest correctly rounded decimal of v, by printf: the first
 * of %.15e/%.16e/%.17e (for subnormals from %.1e up) that strtod reads back as v. */
static void ref_digits(double v, char *digits, int *nd, int *e) {
    char tmp[40];
    for (int prec = fabs(v) < 2.2250738585072014e-308 ? 1 : 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (prec == 17 || strtod(tmp, NULL) == v) break;
    }
    const char *t = tmp + (tmp[0] == '-');
    *nd = 0;
    for (; *t && *t != 'e'; t++)
        if (*t >= '0' && *t <= '9') digits[(*nd)++] = *t;
    *e = atoi(t + 1);
    while (*nd > 1 && digits[*nd - 1] == '0') (*nd)--;
}

/* kl_format_double's digits and exponent, read back from its text */
static void kl_digits(double v, char *digits, int *nd, int *e) {
    char buf[64], all[64];
    buf[kl_format_double(v, buf)] = 0;
    const char *t = buf + (buf[0] == '-');
    int n = 0, pos = -1;
    for (; *t && *t != 'e'; t++) {
        if (*t == '.')
            pos = n;
        else
            all[n++] = *t;
    }
    if (pos < 0) pos = n;
    int x = *t == 'e' ? atoi(t + 1) : 0, f = 0;
    while (f < n - 1 && all[f] == '0') f++;
    *e = pos - f - 1 + x;
    *nd = 0;
    for (int i = f; i < n; i++) digits[(*nd)++] = all[i];
    while (*nd > 1 && digits[*nd - 1] == '0') (*nd)--;
}

static void check_shortest(double v) {
    if (v == 0) return; /* "0.0", checked by t_double_format */
    char a[24], b[24];
    int na, nb, ea, eb;
    ref_digits(v, a, &na, &ea);
    kl_digits(v, b, &nb, &eb);
    uint64_t bits;
    memcpy(&bits, &v, 8);
    if ((bits & ((1ULL << 52) - 1)) == 0) {
        /* a power of two: the values that round to it reach twice as far above as below, so
         * the shortest may be above printf's correctly rounded one (2^-44 is
         * 5.684341886080802e-14, as Python prints it; printf's 16 digits do not read back).
         * It must read back and be no longer. */
        char buf[64];
        buf[kl_format_double(v, buf)] = 0;
        double back;
        assert_true(pd(buf, &back));
        if (back != v || nb > na) fail_msg("%.17g: kiln printed %s, printf gives %.*se%d", v, buf, na, a, ea);
        return;
    }
    if (na != nb || ea != eb || memcmp(a, b, (size_t)na) != 0) {
        char buf[64];
        buf[kl_format_double(v, buf)] = 0;
        fail_msg("%.17g: kiln printed %s, printf gives %.*se%d", v, buf, na, a, ea);
    }
}

/* the shortest digits equal printf's: random bit patterns, random values of every magnitude,
 * short decimals and their neighbours, powers of two and ten, integers */
static void t_double_shortest_vs_printf(void **s) {
    (void)s;
    uint64_t x = 0x2545F4914F6CDD1DULL;
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, 8);
        if (isfinite(d) && d != 0) check_shortest(d);
        /* magnitudes the formatter's fast range covers and its edges */
        double u = (double)(x >> 11) / 9007199254740992.0;
        double m = ldexp(u + 0.5, (int)(x % 200) - 100);
        check_shortest(m);
        check_shortest(-m);
        /* short decimals (ties, trailing zeros) and their neighbours */
        double dec = (double)(x % 100000) / pow(10, (double)(x % 23)) * pow(10, (double)((x >> 8) % 30) - 10);
        if (dec != 0) {
            check_shortest(dec);
            check_shortest(nextafter(dec, 0));
            check_shortest(nextafter(dec, INFINITY));
        }
    }
    for (int k = -1074; k <= 1023; k++) {
        check_shortest(ldexp(1, k));
        check_shortest(nextafter(ldexp(1, k), 0));
    }
    for (int k = -307; k <= 308; k++) {
        double p = pow(10, k);
        check_shortest(p);
        check_shortest(nextafter(p, 0));
        check_shortest(nextafter(p, INFINITY));
    }
    for (double i = 1; i < 1e6; i += 1) check_shortest(i);
    check_shortest(9007199254740993.0);
    check_shortest(1.7976931348623157e308);
    check_shortest(5e-324);
}

static void t_bool(void **s) {
    (void)s;
    bool b;
    assert_true(kl_parse_bool("TRUE", 4, &b) && b);
    assert_true(kl_parse_bool(" f ", 3, &b) && !b);
    assert_true(kl_parse_bool("yes", 3, &b) && b);
    assert_true(kl_parse_bool("0", 1, &b) && !b);
    assert_false(kl_parse_bool("2", 1, &b));
    assert_false(kl_parse_bool("", 0, &b));
    assert_false(kl_parse_bool("truex", 5, &b));
}

static bool pdate(const char *s, int32_t *v) { return kl_parse_date(s, strlen(s), v); }

static void t_date(void **s) {
    (void)s;
    int32_t d;
    assert_true(pdate("1970-01-01", &d) && d == 0);
    assert_true(pdate("1969-12-31", &d) && d == -1);
    assert_true(pdate("2000-02-29", &d));
    assert_false(pdate("1900-02-29", &d));
    assert_false(pdate("2021-02-30", &d));
    assert_false(pdate("2021-13-01", &d));
    assert_false(pdate("2021-00-10", &d));
    assert_false(pdate("2021-01-32", &d));
    assert_false(pdate("2021-01", &d));
    assert_false(pdate("21-01-01", &d));
    assert_false(pdate("2021-01-01x", &d));
    assert_true(pdate("2021-1-5", &d));
    char buf[32];
    assert_true(pdate("0001-01-01", &d));
    size_t n = kl_format_date(d, buf);
    buf[n] = 0;
    assert_string_equal(buf, "0001-01-01");
    assert_true(pdate("9999-12-31", &d));
    n = kl_format_date(d, buf);
    buf[n] = 0;
    assert_string_equal(buf, "9999-12-31");
}

static void t_civil_roundtrip(void **s) {
    (void)s;
    int32_t lo = kl_days_from_civil(1, 1, 1), hi = kl_days_from_civil(9999, 12, 31);
    for (int32_t d = lo; d <= hi; d += 7) {
        int64_t y;
        unsigned m, dd;
        kl_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(kl_days_from_civil(y, m, dd), d);
    }
    assert_int_equal(kl_days_from_civil(2000, 3, 1) - kl_days_from_civil(2000, 2, 28), 2);
}

static bool pts(const char *s, int64_t *v) { return kl_parse_timestamp(s, strlen(s), v); }

static void fmt_ts(const char *in, const char *want) {
    int64_t v;
    assert_true(pts(in, &v));
    char buf[64];
    size_t n = kl_format_timestamp(v, buf);
    buf[n] = 0;
    assert_string_equal(buf, want);
}

static void t_timestamp(void **s) {
    (void)s;
    int64_t v;
    assert_true(pts("1970-01-01 00:00:01", &v) && v == 1000000);
    assert_true(pts("1970-01-01", &v) && v == 0);
    fmt_ts("2021-03-04T05:06:07", "2021-03-04 05:06:07");
    fmt_ts("2021-03-04 05:06:07.5", "2021-03-04 05:06:07.5");
    fmt_ts("2021-03-04 05:06:07.123456", "2021-03-04 05:06:07.123456");
    fmt_ts("2021-03-04 05:06:07.1234569", "2021-03-04 05:06:07.123456");
    fmt_ts("2021-03-04 05:06", "2021-03-04 05:06:00");
    fmt_ts("2021-03-04 05:06:07Z", "2021-03-04 05:06:07");
    fmt_ts("2021-03-04 01:00:00+02:00", "2021-03-03 23:00:00");
    fmt_ts("2021-03-04 23:00:00-0130", "2021-03-05 00:30:00");
    fmt_ts("2021-03-04 05:06:07 +05", "2021-03-04 00:06:07");
    fmt_ts("1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999");
    assert_false(pts("2021-03-04 24:00:00", &v));
    assert_false(pts("2021-03-04 10:60:00", &v));
    assert_false(pts("2021-03-04 10:00:00.", &v));
    assert_false(pts("2021-03-04 10:00:00+", &v));
    assert_false(pts("2021-03-04X10:00:00", &v));
    assert_false(pts("2021-02-30 10:00:00", &v));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_int64),          cmocka_unit_test(t_double_parse),
        cmocka_unit_test(t_double_strtod_identity), cmocka_unit_test(t_double_format),
        cmocka_unit_test(t_double_roundtrip), cmocka_unit_test(t_double_shortest_vs_printf),
        cmocka_unit_test(t_bool),
        cmocka_unit_test(t_date),           cmocka_unit_test(t_civil_roundtrip),
        cmocka_unit_test(t_timestamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
