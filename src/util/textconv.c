/*
 * textconv.c — text <-> typed value conversions: the hot path of the CSV reader (type
 * inference and parsing), CAST, and every printer.
 *
 * API (see textconv.h): kl_parse_int64 / kl_parse_double / kl_parse_bool / kl_parse_date /
 * kl_parse_timestamp take (ptr, len) without a NUL terminator and never read past ptr+len;
 * kl_format_* append text to a caller buffer and return the byte count;
 * kl_days_from_civil / kl_civil_from_days convert between calendar dates and day numbers.
 *
 * Algorithms:
 *  - Doubles: the syntax is validated here (strtod alone would accept hex floats and
 *    "nan(...)"). A decimal with at most 15 significant digits and a decimal exponent of
 *    magnitude <= 22 is exact as mantissa * 10^e or mantissa / 10^e, because both operands
 *    are exactly representable and IEEE multiplication/division round once (Clinger's fast
 *    path). Everything else goes to strtod_l() with the "C" locale on a NUL-terminated stack
 *    copy, so the result is always bit-identical to strtod. Overflow to infinity is rejected.
 *  - Double printing: the shortest digits that read back identically (Ryu's digit removal on
 *    exact 64..192-bit integers, limbs below 1e-21, see tc_shortest; printf's %.15e/%.16e/%.17e
 *    for subnormals and above 2^127), then
 *    laid out like DuckDB prints: fixed notation for decimal exponents -4..15 (whole values
 *    keep ".0"), otherwise "d.ddde+XX".
 *  - Intervals: a small scanner over "[-]number unit" / "[-]HH:MM:SS" parts; fractions
 *    cascade month -> 30 days -> microseconds like DuckDB; printing follows DuckDB.
 *  - Dates: Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
 *
 * Bounds: no allocation except a kl_malloc'ed copy for numbers longer than 256 bytes going to
 * strtod; no locale dependence; every parser rejects trailing junk.
 */
#include "util/textconv.h"

#include "util/kl.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static inline bool tc_is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
static inline bool tc_is_digit(char c) { return c >= '0' && c <= '9'; }
static inline char tc_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

/* Trim ASCII spaces on both sides of [*p, *p + *len). */
static void tc_trim(const char **p, size_t *len) {
    const char *s = *p, *e = *p + *len;
    while (s < e && tc_is_space(*s)) s++;
    while (e > s && tc_is_space(e[-1])) e--;
    *p = s;
    *len = (size_t)(e - s);
}

static bool tc_ieq(const char *p, size_t len, const char *word) {
    size_t n = strlen(word);
    if (len != n) return false;
    for (size_t i = 0; i < n; i++)
        if (tc_lower(p[i]) != word[i]) return false;
    return true;
}

/* ---- integers ------------------------------------------------------------------------ */

bool kl_parse_int64(const char *p, size_t len, int64_t *out) {
    tc_trim(&p, &len);
    if (len == 0) return false;
    size_t i = 0;
    bool neg = false;
    if (p[0] == '+' || p[0] == '-') {
        neg = p[0] == '-';
        i = 1;
    }
    if (i == len) return false;
    /* Accumulate as a negative number so INT64_MIN is representable. */
    int64_t acc = 0;
    for (; i < len; i++) {
        char c = p[i];
        if (!tc_is_digit(c)) return false;
        int d = c - '0';
        if (acc < (INT64_MIN + d) / 10) return false;
        acc = acc * 10 - d;
    }
    if (!neg) {
        if (acc == INT64_MIN) return false;
        acc = -acc;
    }
    *out = acc;
    return true;
}

size_t kl_format_int64(int64_t v, char *buf) {
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + (u % 10));
        u /= 10;
    } while (u);
    size_t w = 0;
    if (v < 0) buf[w++] = '-';
    while (n) buf[w++] = tmp[--n];
    return w;
}

/* ---- doubles ------------------------------------------------------------------------- */

static const double tc_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The "C" locale for strtod_l, created once (benign race: newlocale is idempotent and a
 * second copy would only leak a few bytes, so use an atomic compare-exchange). */
static locale_t tc_c_locale(void) {
    static locale_t loc = (locale_t)0;
    locale_t cur = __atomic_load_n(&loc, __ATOMIC_ACQUIRE);
    if (cur) return cur;
    locale_t fresh = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t expected = (locale_t)0;
    if (!__atomic_compare_exchange_n(&loc, &expected, fresh, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        freelocale(fresh);
        return expected;
    }
    return fresh;
}

static bool tc_strtod(const char *p, size_t len, double *out) {
    char stack[257];
    char *copy = stack;
    if (len >= sizeof stack) {
        copy = kl_malloc(len + 1);
        if (!copy) return false;
    }
    memcpy(copy, p, len);
    copy[len] = '\0';
    locale_t loc = tc_c_locale();
    double v = loc ? strtod_l(copy, NULL, loc) : strtod(copy, NULL);
    if (copy != stack) kl_free(copy);
    if (isinf(v)) return false; /* out of range */
    *out = v;
    return true;
}

bool kl_parse_double(const char *p, size_t len, double *out) {
    tc_trim(&p, &len);
    if (len == 0) return false;
    size_t i = 0;
    bool neg = false;
    if (p[0] == '+' || p[0] == '-') {
        neg = p[0] == '-';
        i = 1;
    }
    if (i < len && !tc_is_digit(p[i]) && p[i] != '.') {
        const char *w = p + i;
        size_t wl = len - i;
        if (tc_ieq(w, wl, "inf") || tc_ieq(w, wl, "infinity")) {
            *out = neg ? -INFINITY : INFINITY;
            return true;
        }
        if (tc_ieq(w, wl, "nan")) {
            *out = neg ? -NAN : NAN;
            return true;
        }
        return false;
    }
    uint64_t mant = 0;
    int sig = 0;           /* significant digits accumulated into mant */
    bool dropped = false;  /* a non-zero digit did not fit into mant */
    long exp10 = 0;        /* decimal exponent adjustment from digits */
    size_t n_digits = 0;
    for (; i < len && tc_is_digit(p[i]); i++, n_digits++) {
        int d = p[i] - '0';
        if (sig < 19) {
            mant = mant * 10 + (uint64_t)d;
            if (mant) sig++;
        } else {
            exp10++;
            if (d) dropped = true;
        }
    }
    if (i < len && p[i] == '.') {
        i++;
        for (; i < len && tc_is_digit(p[i]); i++, n_digits++) {
            int d = p[i] - '0';
            if (sig < 19) {
                mant = mant * 10 + (uint64_t)d;
                if (mant) sig++;
                exp10--;
            } else if (d) {
                dropped = true;
            }
        }
    }
    if (n_digits == 0) return false;
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (p[i] == '+' || p[i] == '-')) {
            eneg = p[i] == '-';
            i++;
        }
        if (i == len || !tc_is_digit(p[i])) return false;
        long e = 0;
        for (; i < len && tc_is_digit(p[i]); i++)
            if (e < 100000) e = e * 10 + (p[i] - '0');
        exp10 += eneg ? -e : e;
    }
    if (i != len) return false;
    if (mant == 0 && !dropped) {
        *out = neg ? -0.0 : 0.0;
        return true;
    }
    if (!dropped && sig <= 15 && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mant;
        v = exp10 < 0 ? v / tc_pow10[-exp10] : v * tc_pow10[exp10];
        *out = neg ? -v : v;
        return true;
    }
    return tc_strtod(p, len, out);
}

/* Append the decimal exponent the way printf does ("e+16", "e-07"). */
static size_t tc_put_exp(char *buf, int e) {
    size_t w = 0;
    buf[w++] = 'e';
    buf[w++] = e < 0 ? '-' : '+';
    unsigned u = (unsigned)(e < 0 ? -e : e);
    if (u >= 100) {
        buf[w++] = (char)('0' + u / 100);
        u %= 100;
        buf[w++] = (char)('0' + u / 10);
    } else {
        buf[w++] = (char)('0' + u / 10);
    }
    buf[w++] = (char)('0' + u % 10);
    return w;
}

/*
 * The shortest decimal that reads back as v (v finite, positive, normal, below 2^127):
 * Ryu's digit removal (Adams 2018) run on exact integers instead of its tables. With
 * v = m2 * 2^e2, the values that round to v lie between (4*m2 - 2 or - 1) * 2^(e2-2) and
 * (4*m2 + 2) * 2^(e2-2), the ends included when m2 is even. The three are scaled by 10^-e10 to
 * integers of 17..19 digits (the floors, with a flag for "exact"), computed exactly in 128- or
 * 192-bit arithmetic (below 1e-21: limbs holding x * 5^s); then digits are removed while the
 * interval still holds a shorter number, and the last removed digit rounds (ties to even).
 * Writes the digits (no trailing zeros) and the exponent of the first digit. False outside the
 * range (subnormals, above 2^127): the caller uses printf there.
 */
typedef unsigned __int128 tc_u128;

static const uint64_t tc_p10_u64[20] = {1ULL,
                                        10ULL,
                                        100ULL,
                                        1000ULL,
                                        10000ULL,
                                        100000ULL,
                                        1000000ULL,
                                        10000000ULL,
                                        100000000ULL,
                                        1000000000ULL,
                                        10000000000ULL,
                                        100000000000ULL,
                                        1000000000000ULL,
                                        10000000000000ULL,
                                        100000000000000ULL,
                                        1000000000000000ULL,
                                        10000000000000000ULL,
                                        100000000000000000ULL,
                                        1000000000000000000ULL,
                                        10000000000000000000ULL};

static tc_u128 tc_p10_u128(int s) { /* 10^s, 0 <= s <= 38 */
    return s < 20 ? (tc_u128)tc_p10_u64[s] : (tc_u128)tc_p10_u64[19] * tc_p10_u64[s - 19];
}

/* floor(x * 10^s / 2^sh) for the smallest doubles (s > 38, sh > s): x * 5^s in 64-bit limbs,
 * then >> (sh - s). At most 5^330, 13 limbs. */
#define TC_LIMBS 16
static bool tc_scale_tiny(uint64_t x, int sh, int s, uint64_t *out, bool *exact) {
    static const uint64_t p5_27 = 7450580596923828125ULL; /* 5^27 */
    if (s > 340 || sh - s <= 0) return false;
    uint64_t q[TC_LIMBS] = {x};
    int n = 1;
    for (int left = s; left > 0;) {
        int step = left < 27 ? left : 27;
        uint64_t m = step == 27 ? p5_27 : 1;
        if (step < 27)
            for (int i = 0; i < step; i++) m *= 5;
        uint64_t carry = 0;
        for (int i = 0; i < n; i++) {
            tc_u128 t = (tc_u128)q[i] * m + carry;
            q[i] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        if (carry) {
            if (n == TC_LIMBS) return false;
            q[n++] = carry;
        }
        left -= step;
    }
    int shift = sh - s, limb = shift / 64, bit = shift % 64;
    if (limb >= n) return false;
    uint64_t hi = limb + 1 < n ? q[limb + 1] : 0;
    uint64_t res = bit ? (q[limb] >> bit) | (hi << (64 - bit)) : q[limb];
    if (bit ? (hi >> bit) != 0 : hi != 0) return false; /* does not fit 64 bits */
    for (int i = limb + 2; i < n; i++)
        if (q[i]) return false;
    bool ex = bit ? (q[limb] & ((1ULL << bit) - 1)) == 0 : true;
    for (int i = 0; i < limb; i++) ex &= q[i] == 0;
    *out = res;
    *exact = ex;
    return true;
}

/* floor(x * 2^k2 * 10^-e10) when it fits 64 bits; *exact when nothing was dropped. */
static bool tc_scale(uint64_t x, int k2, int e10, uint64_t *out, bool *exact) {
    if (k2 >= 0) {
        if (k2 > 72 || e10 < -1 || e10 > 38) return false;
        tc_u128 n = (tc_u128)x << k2;
        if (e10 < 0) {
            n *= 10;
            *exact = true;
        } else {
            tc_u128 d = tc_p10_u128(e10), q = n / d;
            *exact = q * d == n;
            n = q;
        }
        if (n >> 64) return false;
        *out = (uint64_t)n;
        return true;
    }
    int s = -e10, sh = -k2;
    if (s > 38) return tc_scale_tiny(x, sh, s, out, exact);
    if (s < 0) return false;
    if (s <= 19 && sh < 128) { /* values from about 0.01 up: one 64 x 64-bit product */
        tc_u128 n = (tc_u128)x * tc_p10_u64[s], q = n >> sh;
        if (q >> 64) return false;
        *out = (uint64_t)q;
        *exact = (q << sh) == n;
        return true;
    }
    /* x * 10^s as 192 bits w2:w1:w0, then >> sh */
    tc_u128 p = tc_p10_u128(s);
    tc_u128 lo = (tc_u128)x * (uint64_t)p, hi = (tc_u128)x * (uint64_t)(p >> 64);
    uint64_t w0 = (uint64_t)lo;
    tc_u128 mid = (lo >> 64) + (uint64_t)hi;
    uint64_t w1 = (uint64_t)mid, w2 = (uint64_t)((hi >> 64) + (mid >> 64));
    uint64_t w[3] = {w0, w1, w2};
    if (sh >= 192) return false;
    int limb = sh / 64, bit = sh % 64;
    uint64_t r[3];
    for (int i = 0; i < 3; i++) {
        uint64_t a = limb + i < 3 ? w[limb + i] : 0, b = limb + i + 1 < 3 ? w[limb + i + 1] : 0;
        r[i] = bit ? (a >> bit) | (b << (64 - bit)) : a;
    }
    if (r[1] | r[2]) return false; /* does not fit 64 bits */
    /* exact when the bits shifted out are all zero */
    bool ex = true;
    for (int i = 0; i < limb; i++) ex &= w[i] == 0;
    if (bit) ex &= (w[limb] & ((1ULL << bit) - 1)) == 0;
    uint64_t res = r[0];
    *out = res;
    *exact = ex;
    return true;
}

static bool tc_shortest(double v, char digits[20], int *nd_out, int *exp_out) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    uint64_t frac = bits & ((1ULL << 52) - 1);
    int be = (int)((bits >> 52) & 0x7FF);
    if (be == 0 || be == 0x7FF) return false; /* subnormal, inf, nan */
    uint64_t m2 = frac | (1ULL << 52);
    int e2 = be - 1075;
    bool accept = (m2 & 1) == 0;
    uint64_t mv = 4 * m2, mp = mv + 2, mm = mv - 1 - (frac != 0 || be <= 1);
    int k2 = e2 - 2;
    /* v is in [2^(e2+52), 2^(e2+53)): floor(log10 v) is L or L + 1 */
    int L = (int)floor((double)(e2 + 52) * 0.30102999566398119521);
    int e10 = L - 17;
    uint64_t vr, vp, vm;
    bool vr_ex, vp_ex, vm_ex;
    if (!tc_scale(mv, k2, e10, &vr, &vr_ex) || !tc_scale(mp, k2, e10, &vp, &vp_ex) ||
        !tc_scale(mm, k2, e10, &vm, &vm_ex))
        return false;
    if (vr < tc_p10_u64[16]) return false; /* too few digits to round from: not expected */
    if (!accept && vp_ex) vp--;            /* the upper end is excluded */
    bool vm_tz = accept && vm_ex, vr_tz = vr_ex;
    int removed = 0;
    unsigned last = 0;
    /* drop one digit of all three, remembering it and whether all below it were zeros */
#define TC_DROP()                                                                                  \
    do {                                                                                           \
        vr_tz &= last == 0;                                                                        \
        last = (unsigned)(vr % 10);                                                                \
        vr /= 10;                                                                                  \
        vp /= 10;                                                                                  \
        vm /= 10;                                                                                  \
        removed++;                                                                                 \
    } while (0)
    while (vp / 10 > vm / 10) {
        vm_tz &= vm % 10 == 0;
        TC_DROP();
    }
    if (vm_tz) /* the lower end itself is a candidate: drop its trailing zeros too */
        while (vm % 10 == 0) TC_DROP();
#undef TC_DROP
    if (removed == 0) return false; /* no digit to round from: not expected */
    if (vr_tz && last == 5 && vr % 2 == 0) last = 4; /* an exact tie: to even */
    uint64_t out = vr + ((vr == vm && (!accept || !vm_tz)) || last >= 5);
    while (out % 10 == 0) { /* a round-up can end in zeros (0.3 from 0.29999...) */
        out /= 10;
        removed++;
    }
    int n = 1;
    while (n < 20 && out >= tc_p10_u64[n]) n++;
    /* two digits at a time from the right */
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";
    int i = n;
    while (i >= 2) {
        unsigned r = (unsigned)(out % 100);
        out /= 100;
        digits[--i] = pairs[2 * r + 1];
        digits[--i] = pairs[2 * r];
    }
    if (i) digits[0] = (char)('0' + out);
    *exp_out = e10 + removed + n - 1;
    *nd_out = n;
    return true;
}

size_t kl_format_double(double v, char *buf) {
    if (isnan(v)) {
        memcpy(buf, "nan", 3);
        return 3;
    }
    if (isinf(v)) {
        if (v < 0) {
            memcpy(buf, "-inf", 4);
            return 4;
        }
        memcpy(buf, "inf", 3);
        return 3;
    }
    if (v == 0) {
        if (signbit(v)) {
            memcpy(buf, "-0.0", 4);
            return 4;
        }
        memcpy(buf, "0.0", 3);
        return 3;
    }
    char digits[20];
    int nd = 0, e = 0;
    bool neg = signbit(v);
    if (!tc_shortest(fabs(v), digits, &nd, &e)) {
        char tmp[40];
        /* 15 digits always survive a decimal->double->decimal trip for normal doubles, so
         * when %.15e round-trips, stripping its trailing zeros gives the shortest form.
         * Subnormals carry fewer bits: search from one digit up. */
        for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
            double back;
            if (prec == 17 || (kl_parse_double(tmp, strlen(tmp), &back) && back == v)) break;
        }
        /* tmp = [-]d.ddde[+-]xx: collect digits and exponent. */
        const char *t = tmp;
        if (*t == '-') t++;
        for (; *t && *t != 'e'; t++)
            if (tc_is_digit(*t)) digits[nd++] = *t;
        if (*t == 'e') e = atoi(t + 1);
        while (nd > 1 && digits[nd - 1] == '0') nd--;
    }
    size_t w = 0;
    if (neg) buf[w++] = '-';
    if (e >= -4 && e <= 15) {
        if (e >= 0) {
            for (int k = 0; k <= e; k++) buf[w++] = k < nd ? digits[k] : '0';
            buf[w++] = '.';
            if (nd > e + 1) {
                for (int k = e + 1; k < nd; k++) buf[w++] = digits[k];
            } else {
                buf[w++] = '0';
            }
        } else {
            buf[w++] = '0';
            buf[w++] = '.';
            for (int k = 0; k < -e - 1; k++) buf[w++] = '0';
            for (int k = 0; k < nd; k++) buf[w++] = digits[k];
        }
    } else {
        buf[w++] = digits[0];
        if (nd > 1) {
            buf[w++] = '.';
            for (int k = 1; k < nd; k++) buf[w++] = digits[k];
        }
        w += tc_put_exp(buf + w, e);
    }
    return w;
}

/* ---- booleans ------------------------------------------------------------------------ */

bool kl_parse_bool(const char *p, size_t len, bool *out) {
    tc_trim(&p, &len);
    if (tc_ieq(p, len, "true") || tc_ieq(p, len, "t") || tc_ieq(p, len, "yes") ||
        tc_ieq(p, len, "y") || tc_ieq(p, len, "1")) {
        *out = true;
        return true;
    }
    if (tc_ieq(p, len, "false") || tc_ieq(p, len, "f") || tc_ieq(p, len, "no") ||
        tc_ieq(p, len, "n") || tc_ieq(p, len, "0")) {
        *out = false;
        return true;
    }
    return false;
}

/* ---- dates and timestamps ------------------------------------------------------------ */

int32_t kl_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void kl_civil_from_days(int32_t days, int64_t *y, unsigned *m, unsigned *d) {
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

static bool tc_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned tc_month_days(int64_t y, unsigned m) {
    static const unsigned md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && tc_leap(y) ? 29 : md[m - 1];
}

/* Read 1..max digits at p[*i]; false if none. */
static bool tc_digits(const char *p, size_t len, size_t *i, int min, int max, unsigned *out) {
    unsigned v = 0;
    int n = 0;
    while (*i < len && n < max && tc_is_digit(p[*i])) {
        v = v * 10 + (unsigned)(p[*i] - '0');
        (*i)++;
        n++;
    }
    if (n < min) return false;
    *out = v;
    return true;
}

/* Parse YYYY-MM-DD at the start of p; *i is advanced past it. */
static bool tc_date_prefix(const char *p, size_t len, size_t *i, int32_t *out) {
    unsigned y, m, d;
    if (!tc_digits(p, len, i, 4, 4, &y)) return false;
    if (*i < len && tc_is_digit(p[*i])) return false;
    if (*i >= len || p[*i] != '-') return false;
    (*i)++;
    if (!tc_digits(p, len, i, 1, 2, &m)) return false;
    if (*i >= len || p[*i] != '-') return false;
    (*i)++;
    if (!tc_digits(p, len, i, 1, 2, &d)) return false;
    if (m < 1 || m > 12 || d < 1 || d > tc_month_days(y, m)) return false;
    *out = kl_days_from_civil(y, m, d);
    return true;
}

bool kl_parse_date(const char *p, size_t len, int32_t *out) {
    tc_trim(&p, &len);
    size_t i = 0;
    int32_t days;
    if (!tc_date_prefix(p, len, &i, &days) || i != len) return false;
    *out = days;
    return true;
}

#define TC_US_PER_SEC INT64_C(1000000)
#define TC_US_PER_DAY INT64_C(86400000000)

bool kl_parse_timestamp(const char *p, size_t len, int64_t *out) {
    tc_trim(&p, &len);
    size_t i = 0;
    int32_t days;
    if (!tc_date_prefix(p, len, &i, &days)) return false;
    int64_t us = (int64_t)days * TC_US_PER_DAY;
    if (i == len) {
        *out = us;
        return true;
    }
    if (p[i] != ' ' && p[i] != 'T') return false;
    i++;
    unsigned hh, mi, ss = 0;
    if (!tc_digits(p, len, &i, 1, 2, &hh)) return false;
    if (i >= len || p[i] != ':') return false;
    i++;
    if (!tc_digits(p, len, &i, 2, 2, &mi)) return false;
    int64_t frac = 0;
    if (i < len && p[i] == ':') {
        i++;
        if (!tc_digits(p, len, &i, 2, 2, &ss)) return false;
        if (i < len && p[i] == '.') {
            i++;
            int n = 0;
            size_t start = i;
            /* Up to 6 digits count (microseconds); further digits are truncated. */
            for (; i < len && tc_is_digit(p[i]); i++, n++)
                if (n < 6) frac = frac * 10 + (p[i] - '0');
            if (i == start) return false;
            for (; n < 6; n++) frac *= 10;
        }
    }
    if (hh > 23 || mi > 59 || ss > 59) return false;
    us += ((int64_t)hh * 3600 + mi * 60 + ss) * TC_US_PER_SEC + frac;
    while (i < len && p[i] == ' ') i++;
    if (i < len) {
        if (p[i] == 'Z' || p[i] == 'z') {
            i++;
        } else if (p[i] == '+' || p[i] == '-') {
            bool neg = p[i] == '-';
            i++;
            unsigned oh, om = 0;
            if (!tc_digits(p, len, &i, 2, 2, &oh)) return false;
            if (i < len && p[i] == ':') {
                i++;
                if (!tc_digits(p, len, &i, 2, 2, &om)) return false;
            } else if (i < len && tc_is_digit(p[i])) {
                if (!tc_digits(p, len, &i, 2, 2, &om)) return false;
            }
            if (oh > 23 || om > 59) return false;
            int64_t off = ((int64_t)oh * 3600 + om * 60) * TC_US_PER_SEC;
            /* local = utc + offset, so utc = local - offset */
            us -= neg ? -off : off;
        } else {
            return false;
        }
    }
    if (i != len) return false;
    *out = us;
    return true;
}

static size_t tc_put2(char *buf, unsigned v) {
    buf[0] = (char)('0' + v / 10);
    buf[1] = (char)('0' + v % 10);
    return 2;
}

/* ".ffffff" with trailing zeros trimmed for a microsecond fraction, or nothing when it is 0. */
static size_t tc_put_frac(char *buf, uint64_t frac) {
    if (!frac) return 0;
    char f[6];
    for (int d = 5; d >= 0; d--) {
        f[d] = (char)('0' + frac % 10);
        frac /= 10;
    }
    size_t n = 6;
    while (n > 0 && f[n - 1] == '0') n--;
    buf[0] = '.';
    memcpy(buf + 1, f, n);
    return n + 1;
}

size_t kl_format_date(int32_t days, char *buf) {
    int64_t y;
    unsigned m, d;
    kl_civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, 24, "%04lld-", (long long)y);
    size_t w = n > 0 ? (size_t)n : 0;
    w += tc_put2(buf + w, m);
    buf[w++] = '-';
    w += tc_put2(buf + w, d);
    return w;
}

size_t kl_format_timestamp(int64_t micros, char *buf) {
    /* Floor division so times before 1970 land on the previous day. */
    int64_t days = micros / TC_US_PER_DAY;
    int64_t rem = micros % TC_US_PER_DAY;
    if (rem < 0) {
        rem += TC_US_PER_DAY;
        days--;
    }
    size_t w = kl_format_date((int32_t)days, buf);
    buf[w++] = ' ';
    int64_t secs = rem / TC_US_PER_SEC;
    int64_t frac = rem % TC_US_PER_SEC;
    w += tc_put2(buf + w, (unsigned)(secs / 3600));
    buf[w++] = ':';
    w += tc_put2(buf + w, (unsigned)(secs / 60 % 60));
    buf[w++] = ':';
    w += tc_put2(buf + w, (unsigned)(secs % 60));
    w += tc_put_frac(buf + w, (uint64_t)frac);
    return w;
}

/* ---- intervals ------------------------------------------------------------------------ */

/* What one unit word adds: months, days or microseconds per unit (exactly one is set). */
typedef struct tc_iv_unit {
    const char *name;
    int32_t months;
    int32_t days;
    int64_t micros;
} tc_iv_unit;

/* DuckDB's date-part specifiers that an interval accepts, with their abbreviations. */
static const tc_iv_unit tc_iv_units[] = {
    {"year", 12, 0, 0},        {"years", 12, 0, 0},       {"y", 12, 0, 0},
    {"yr", 12, 0, 0},          {"yrs", 12, 0, 0},         {"month", 1, 0, 0},
    {"months", 1, 0, 0},       {"mon", 1, 0, 0},          {"mons", 1, 0, 0},
    {"quarter", 3, 0, 0},      {"quarters", 3, 0, 0},     {"decade", 120, 0, 0},
    {"decades", 120, 0, 0},    {"dec", 120, 0, 0},        {"decs", 120, 0, 0},
    {"century", 1200, 0, 0},   {"centuries", 1200, 0, 0}, {"cent", 1200, 0, 0},
    {"c", 1200, 0, 0},         {"millennium", 12000, 0, 0}, {"millennia", 12000, 0, 0},
    {"millenniums", 12000, 0, 0}, {"millenium", 12000, 0, 0}, {"mil", 12000, 0, 0},
    {"mils", 12000, 0, 0},     {"week", 0, 7, 0},         {"weeks", 0, 7, 0},
    {"w", 0, 7, 0},            {"day", 0, 1, 0},          {"days", 0, 1, 0},
    {"d", 0, 1, 0},            {"hour", 0, 0, KL_US_PER_HOUR}, {"hours", 0, 0, KL_US_PER_HOUR},
    {"h", 0, 0, KL_US_PER_HOUR}, {"hr", 0, 0, KL_US_PER_HOUR}, {"hrs", 0, 0, KL_US_PER_HOUR},
    {"minute", 0, 0, KL_US_PER_MIN}, {"minutes", 0, 0, KL_US_PER_MIN}, {"m", 0, 0, KL_US_PER_MIN},
    {"min", 0, 0, KL_US_PER_MIN}, {"mins", 0, 0, KL_US_PER_MIN}, {"second", 0, 0, KL_US_PER_SEC},
    {"seconds", 0, 0, KL_US_PER_SEC}, {"s", 0, 0, KL_US_PER_SEC}, {"sec", 0, 0, KL_US_PER_SEC},
    {"secs", 0, 0, KL_US_PER_SEC}, {"millisecond", 0, 0, 1000}, {"milliseconds", 0, 0, 1000},
    {"ms", 0, 0, 1000},        {"msec", 0, 0, 1000},      {"msecs", 0, 0, 1000},
    {"microsecond", 0, 0, 1},  {"microseconds", 0, 0, 1}, {"us", 0, 0, 1},
    {"usec", 0, 0, 1},         {"usecs", 0, 0, 1},
};

/* Interval accumulator: int64 parts so overflow is checked once at the end. */
typedef struct tc_iv_acc {
    int64_t months, days, micros;
} tc_iv_acc;

static bool tc_iv_add(int64_t *dst, int64_t v) { return !__builtin_add_overflow(*dst, v, dst); }

/* Add (neg ? -1 : 1) * (whole + frac) units. A fractional part cascades the way DuckDB does
   it: a fraction of a month becomes 30-day days, a fraction of a day becomes microseconds. */
static bool tc_iv_apply(tc_iv_acc *acc, const tc_iv_unit *u, bool neg, int64_t whole,
                        double frac) {
    int64_t sign = neg ? -1 : 1;
    double rem_days = 0.0;
    if (u->months) {
        int64_t m;
        if (__builtin_mul_overflow(whole, (int64_t)u->months, &m)) return false;
        double fm = frac * u->months;
        int64_t fm_whole = (int64_t)fm;
        if (!tc_iv_add(&acc->months, sign * (m + fm_whole))) return false;
        rem_days = (fm - (double)fm_whole) * KL_DAYS_PER_MONTH;
    } else if (u->days) {
        int64_t d;
        if (__builtin_mul_overflow(whole, (int64_t)u->days, &d)) return false;
        rem_days = frac * u->days;
        int64_t rd = (int64_t)rem_days;
        if (!tc_iv_add(&acc->days, sign * (d + rd))) return false;
        rem_days -= (double)rd;
    } else {
        int64_t us;
        if (__builtin_mul_overflow(whole, u->micros, &us)) return false;
        double fu = frac * (double)u->micros;
        if (!tc_iv_add(&acc->micros, sign * (us + llround(fu)))) return false;
        return true;
    }
    if (u->months) {
        int64_t rd = (int64_t)rem_days;
        if (!tc_iv_add(&acc->days, sign * rd)) return false;
        rem_days -= (double)rd;
    }
    return tc_iv_add(&acc->micros, sign * llround(rem_days * (double)KL_US_PER_DAY));
}

/* "HH:MM[:SS[.ffffff]]" starting at p[*i] (the hours' digits already read as `hours`). */
static bool tc_iv_time(const char *p, size_t len, size_t *i, int64_t hours, int64_t *out) {
    unsigned mi, ss = 0;
    int64_t frac = 0;
    (*i)++; /* ':' */
    if (!tc_digits(p, len, i, 1, 2, &mi) || mi > 59) return false;
    if (*i < len && p[*i] == ':') {
        (*i)++;
        if (!tc_digits(p, len, i, 1, 2, &ss) || ss > 59) return false;
        if (*i < len && p[*i] == '.') {
            (*i)++;
            int n = 0;
            size_t start = *i;
            for (; *i < len && tc_is_digit(p[*i]); (*i)++, n++)
                if (n < 6) frac = frac * 10 + (p[*i] - '0');
            if (*i == start) return false;
            for (; n < 6; n++) frac *= 10;
        }
    }
    int64_t h_us;
    if (__builtin_mul_overflow(hours, KL_US_PER_HOUR, &h_us)) return false;
    return !__builtin_add_overflow(h_us, (int64_t)mi * KL_US_PER_MIN + (int64_t)ss * KL_US_PER_SEC + frac,
                                   out);
}

bool kl_parse_interval(const char *p, size_t len, kl_interval *out) {
    tc_trim(&p, &len);
    size_t i = 0;
    if (i < len && p[i] == '@') i++; /* PostgreSQL's verbose prefix */
    tc_iv_acc acc = {0, 0, 0};
    int parts = 0;
    bool bare_number = false, ago = false;
    while (i < len) {
        while (i < len && tc_is_space(p[i])) i++;
        if (i == len) break;
        if (bare_number) return false; /* a unit-less number must be the only part */
        if (parts > 0 && i + 3 <= len && tc_ieq(p + i, 3, "ago")) {
            size_t j = i + 3;
            while (j < len && tc_is_space(p[j])) j++;
            if (j != len) return false;
            ago = true;
            break;
        }
        bool neg = false;
        if (p[i] == '-') {
            neg = true;
            i++;
        }
        /* whole part (int64) and fraction (double) */
        int64_t whole = 0;
        size_t start = i;
        for (; i < len && tc_is_digit(p[i]); i++)
            if (__builtin_mul_overflow(whole, 10, &whole) || __builtin_add_overflow(whole, p[i] - '0', &whole))
                return false;
        bool had_int = i > start;
        double frac = 0.0, scale = 0.1;
        bool had_frac = false;
        if (i < len && p[i] == '.') {
            i++;
            for (; i < len && tc_is_digit(p[i]); i++, scale /= 10) {
                frac += (p[i] - '0') * scale;
                had_frac = true;
            }
        }
        if (!had_int && !had_frac) return false;
        if (i < len && p[i] == ':') {
            if (had_frac) return false;
            int64_t us;
            if (!tc_iv_time(p, len, &i, whole, &us)) return false;
            if (!tc_iv_add(&acc.micros, neg ? -us : us)) return false;
            parts++;
            if (i < len && !tc_is_space(p[i])) return false;
            continue;
        }
        while (i < len && tc_is_space(p[i])) i++;
        size_t ws = i;
        while (i < len && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z'))) i++;
        if (i == ws) {
            /* '10' and '1.5' alone are seconds */
            if (i != len || parts > 0) return false;
            static const tc_iv_unit secs = {"second", 0, 0, KL_US_PER_SEC};
            if (!tc_iv_apply(&acc, &secs, neg, whole, frac)) return false;
            bare_number = true;
            parts++;
            continue;
        }
        const tc_iv_unit *u = NULL;
        for (size_t k = 0; k < sizeof tc_iv_units / sizeof tc_iv_units[0]; k++)
            if (tc_ieq(p + ws, i - ws, tc_iv_units[k].name)) {
                u = &tc_iv_units[k];
                break;
            }
        if (!u) return false;
        if (!tc_iv_apply(&acc, u, neg, whole, frac)) return false;
        parts++;
    }
    if (parts == 0) return false;
    if (ago) {
        acc.months = -acc.months;
        acc.days = -acc.days;
        acc.micros = -acc.micros;
    }
    if (acc.months < INT32_MIN || acc.months > INT32_MAX || acc.days < INT32_MIN ||
        acc.days > INT32_MAX)
        return false;
    out->months = (int32_t)acc.months;
    out->days = (int32_t)acc.days;
    out->micros = acc.micros;
    return true;
}

/* Append "<n> <unit>[s]" (plural unless |n| == 1), with a space before unless first. */
static size_t tc_iv_part(char *buf, size_t w, int64_t n, const char *unit) {
    int k = snprintf(buf + w, 40, "%s%lld %s%s", w ? " " : "", (long long)n, unit,
                     (n == 1 || n == -1) ? "" : "s");
    return w + (k > 0 ? (size_t)k : 0);
}

size_t kl_format_interval(kl_interval v, char *buf) {
    size_t w = 0;
    if (v.months) {
        int32_t years = v.months / 12, months = v.months % 12;
        if (years) w = tc_iv_part(buf, w, years, "year");
        if (months) w = tc_iv_part(buf, w, months, "month");
    }
    if (v.days) w = tc_iv_part(buf, w, v.days, "day");
    if (v.micros) {
        if (w) buf[w++] = ' ';
        uint64_t us = (uint64_t)v.micros;
        if (v.micros < 0) {
            buf[w++] = '-';
            us = (uint64_t)0 - us; /* INT64_MIN has no int64 negation */
        }
        uint64_t secs = us / (uint64_t)KL_US_PER_SEC, frac = us % (uint64_t)KL_US_PER_SEC;
        int k = snprintf(buf + w, 40, "%02llu:", (unsigned long long)(secs / 3600));
        w += k > 0 ? (size_t)k : 0;
        w += tc_put2(buf + w, (unsigned)(secs / 60 % 60));
        buf[w++] = ':';
        w += tc_put2(buf + w, (unsigned)(secs % 60));
        w += tc_put_frac(buf + w, frac);
    } else if (w == 0) {
        memcpy(buf, "00:00:00", 8);
        w = 8;
    }
    return w;
}
