/*
 * scalar_string.c — string scalar functions: lower/upper, length (characters) and
 * strlen/octet_length (bytes), substr/substring, trim/ltrim/rtrim, LIKE and ILIKE
 * (like, not_like, ilike, not_ilike), regexp_matches, replace, starts_with, ends_with,
 * contains, strpos/instr/position, split_part, lpad/rpad, left/right, reverse, repeat.
 *
 * API: the table fn_string_defs (searched by catalog.c). bind() asks for VARCHAR string
 * arguments (any type converts) and BIGINT counts; exec() propagates NULLs and computes the
 * chunk. Strings produced are copied into out's heap (out may outlive its inputs).
 *
 * Characters are UTF-8 code points: positions and lengths count bytes that are not
 * continuation bytes (10xxxxxx). lower/upper map every code point with the C.UTF-8 tables
 * (one-to-one mappings; DuckDB's special cases such as 'ß' -> 'ẞ' may differ). substring follows DuckDB: start 1 is the first character, start 0
 * starts "one before" the first, a negative start counts from the end, a negative length
 * goes backwards.
 *
 * LIKE: `%` matches any run, `_` one character, an optional one-character escape makes the
 * next pattern character literal. Matching is the greedy two-pointer algorithm that
 * backtracks only to the last `%` seen: O(len(s) * len(p)) worst case, no allocation, no
 * per-pattern state (so one bound expression can run on many threads). regexp_matches uses
 * POSIX extended regular expressions (not RE2: \d and friends are a known gap), compiled
 * once per distinct pattern within one exec call.
 */
#include "func/func_internal.h"

#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <wctype.h>

/* ---- helpers ------------------------------------------------------------------------ */

static inline bool str_is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

static int64_t str_char_count(const char *s, uint32_t n) {
    int64_t c = 0;
    for (uint32_t i = 0; i < n; i++) c += !str_is_cont((unsigned char)s[i]);
    return c;
}

/* Byte offset of character index k (0-based, clamped to n). */
static uint32_t str_char_offset(const char *s, uint32_t n, int64_t k) {
    uint32_t i = 0;
    while (i < n && k > 0) {
        i++;
        while (i < n && str_is_cont((unsigned char)s[i])) i++;
        k--;
    }
    return i;
}

/* Byte length of the character starting at s[i]. */
static inline uint32_t str_char_len(const char *s, uint32_t n, uint32_t i) {
    uint32_t j = i + 1;
    while (j < n && str_is_cont((unsigned char)s[j])) j++;
    return j - i;
}

static int str_set(kl_vec *out, uint32_t row, const char *p, size_t len, kl_error *err) {
    if (len > UINT32_MAX) return kl_err(err, KILN_ERR_INVALID, "string result too long");
    if (vec_set_string(out, row, len ? p : "", len) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory building a string");
    return 0;
}

static char *str_alloc(kl_vec *out, size_t len, kl_error *err) {
    if (len > UINT32_MAX) {
        kl_err(err, KILN_ERR_INVALID, "string result too long");
        return NULL;
    }
    char *p = kl_arena_alloc(&out->heap, len ? len : 1);
    if (!p) kl_err(err, KILN_ERR_MEMORY, "out of memory building a string");
    return p;
}

/*
 * Generic bind: kinds[i] says what argument i is ('S' VARCHAR, 'I' BIGINT); the last kind
 * repeats for further arguments.
 */
static int str_bind(const char *name, const char *kinds, kl_type ret, kl_type *arg_types,
                    int n_args, kl_type *ret_out, kl_error *err) {
    size_t nk = strlen(kinds);
    for (int i = 0; i < n_args; i++) {
        char k = kinds[(size_t)i < nk ? (size_t)i : nk - 1];
        if (k == 'I') {
            if (arg_types[i] != KILN_TYPE_NULL && !fn_is_numeric(arg_types[i]))
                return fn_no_overload(err, name, arg_types, n_args);
            arg_types[i] = KILN_TYPE_BIGINT;
        } else {
            arg_types[i] = KILN_TYPE_VARCHAR;
        }
    }
    *ret_out = ret;
    return 0;
}

#define STR_BIND(fname, kinds, ret)                                                            \
    static int str_bind_##fname(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *r,    \
                                kl_error *err) {                                               \
        KL_UNUSED(ctx);                                                                        \
        return str_bind(#fname, kinds, ret, arg_types, n_args, r, err);                        \
    }

#define STR_EXEC_BEGIN(fname)                                                                  \
    static int str_##fname(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out, \
                           kl_error *err) {                                                    \
        KL_UNUSED(ctx);                                                                        \
        KL_UNUSED(err);                                                                        \
        fn_propagate_nulls(out, args, n_args, n);                                              \
        for (uint32_t i = 0; i < n; i++) {                                                     \
            if (out->nulls[i]) continue;                                                       \
            kl_str s = VEC_STR(args[0])[i];                                                    \
            if (!s.ptr) s.ptr = "";
#define STR_EXEC_END                                                                           \
        }                                                                                      \
        return 0;                                                                              \
    }
#define STR_ARG(k) (VEC_STR(args[k])[i].ptr ? VEC_STR(args[k])[i] : (kl_str){"", 0})
#define STR_INT(k) (VEC_I64(args[k])[i])

/* ---- case, length ---------------------------------------------------------------------- */

/* Unicode case mapping through glibc's C.UTF-8 tables (towupper_l/towlower_l), created once;
   ASCII-only strings take a byte loop. Invalid UTF-8 bytes are copied unchanged. */
static locale_t str_utf8_locale;
static pthread_once_t str_locale_once = PTHREAD_ONCE_INIT;
static void str_locale_init(void) { str_utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

static size_t str_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp) {
    unsigned char c = p[0];
    size_t n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (c < 0xC2 || c > 0xF4 || n > len) return 0;
    uint32_t v = c & (0x3F >> (n - 1));
    for (size_t k = 1; k < n; k++) {
        if (!str_is_cont(p[k])) return 0;
        v = (v << 6) | (p[k] & 0x3F);
    }
    *cp = v;
    return n;
}

static size_t str_utf8_encode(uint32_t v, char *o) {
    if (v < 0x80) return o[0] = (char)v, 1;
    if (v < 0x800) return o[0] = (char)(0xC0 | (v >> 6)), o[1] = (char)(0x80 | (v & 0x3F)), 2;
    if (v < 0x10000) {
        o[0] = (char)(0xE0 | (v >> 12));
        o[1] = (char)(0x80 | ((v >> 6) & 0x3F));
        o[2] = (char)(0x80 | (v & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (v >> 18));
    o[1] = (char)(0x80 | ((v >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((v >> 6) & 0x3F));
    o[3] = (char)(0x80 | (v & 0x3F));
    return 4;
}

static int str_case(kl_vec **args, int n_args, uint32_t n, kl_vec *out, bool upper,
                    kl_error *err) {
    pthread_once(&str_locale_once, str_locale_init);
    fn_propagate_nulls(out, args, n_args, n);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        kl_str s = STR_ARG(0);
        /* a mapped character never needs more than twice the bytes of its source */
        char *p = str_alloc(out, (size_t)s.len * 2, err);
        if (!p) return err ? err->code : KILN_ERR_MEMORY;
        size_t o = 0;
        const unsigned char *u = (const unsigned char *)s.ptr;
        for (size_t k = 0; k < s.len;) {
            unsigned char c = u[k];
            if (c < 0x80) {
                if (upper && c >= 'a' && c <= 'z') c = (unsigned char)(c - 32);
                else if (!upper && c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
                p[o++] = (char)c;
                k++;
                continue;
            }
            uint32_t cp;
            size_t len = str_utf8_decode(u + k, s.len - k, &cp);
            if (!len || !str_utf8_locale) {
                p[o++] = (char)c;
                k++;
                continue;
            }
            wint_t m = upper ? towupper_l((wint_t)cp, str_utf8_locale) : towlower_l((wint_t)cp, str_utf8_locale);
            o += str_utf8_encode((uint32_t)m, p + o);
            k += len;
        }
        VEC_STR(out)[i] = (kl_str){p, (uint32_t)o};
    }
    return 0;
}
STR_BIND(lower, "S", KILN_TYPE_VARCHAR)
STR_BIND(upper, "S", KILN_TYPE_VARCHAR)
static int str_lower(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                     kl_error *err) {
    KL_UNUSED(ctx);
    return str_case(args, n_args, n, out, false, err);
}
static int str_upper(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                     kl_error *err) {
    KL_UNUSED(ctx);
    return str_case(args, n_args, n, out, true, err);
}

STR_BIND(length, "S", KILN_TYPE_BIGINT)
STR_EXEC_BEGIN(length)
    VEC_I64(out)[i] = str_char_count(s.ptr, s.len);
STR_EXEC_END

STR_BIND(strlen, "S", KILN_TYPE_BIGINT)
STR_EXEC_BEGIN(strlen)
    VEC_I64(out)[i] = s.len;
STR_EXEC_END

/* ---- substring / left / right ----------------------------------------------------------- */

/* DuckDB's start/end computation in characters; false = empty result. */
static bool str_substr_range(int64_t size, int64_t offset, int64_t length, int64_t *start,
                             int64_t *end) {
    if (length == 0) return false;
    if (offset > 0) {
        *start = KL_MIN(size, offset - 1);
    } else if (offset < 0) {
        *start = size + offset > 0 ? size + offset : 0;
    } else {
        *start = 0;
        length--;
        if (length <= 0) return false;
    }
    if (length > 0) {
        *end = length > size - *start ? size : *start + length;
    } else {
        *end = *start;
        *start = length < -*start ? 0 : *start + length;
    }
    return *start != *end;
}

static int str_emit_chars(kl_vec *out, uint32_t i, kl_str s, int64_t start, int64_t end,
                          kl_error *err) {
    uint32_t b0 = str_char_offset(s.ptr, s.len, start);
    uint32_t b1 = b0 + str_char_offset(s.ptr + b0, s.len - b0, end - start);
    return str_set(out, i, s.ptr + b0, b1 - b0, err);
}

STR_BIND(substring, "SII", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(substring)
    int64_t size = str_char_count(s.ptr, s.len), start, end;
    int64_t len = n_args > 2 ? STR_INT(2) : INT64_MAX / 4;
    int64_t off = STR_INT(1);
    /* keep the arithmetic in str_substr_range far from int64 overflow */
    if (off > (INT64_C(1) << 40)) off = INT64_C(1) << 40;
    if (off < -(INT64_C(1) << 40)) off = -(INT64_C(1) << 40);
    if (len > (INT64_C(1) << 40)) len = INT64_C(1) << 40;
    if (len < -(INT64_C(1) << 40)) len = -(INT64_C(1) << 40);
    if (!str_substr_range(size, off, len, &start, &end)) {
        TRY(str_set(out, i, "", 0, err));
        continue;
    }
    TRY(str_emit_chars(out, i, s, start, end, err));
STR_EXEC_END

STR_BIND(left, "SI", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(left)
    int64_t size = str_char_count(s.ptr, s.len), k = STR_INT(1);
    int64_t end = k >= 0 ? KL_MIN(k, size) : (size + k > 0 ? size + k : 0);
    TRY(str_emit_chars(out, i, s, 0, end, err));
STR_EXEC_END

STR_BIND(right, "SI", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(right)
    int64_t size = str_char_count(s.ptr, s.len), k = STR_INT(1);
    int64_t start = k >= 0 ? (size - k > 0 ? size - k : 0) : KL_MIN(-k, size);
    TRY(str_emit_chars(out, i, s, start, size, err));
STR_EXEC_END

/* ---- trim ------------------------------------------------------------------------------ */

/* Does the character at s[i..i+cl) occur in the set (a string of UTF-8 characters)? */
static bool str_in_set(const char *c, uint32_t cl, kl_str set) {
    for (uint32_t k = 0; k < set.len;) {
        uint32_t sl = str_char_len(set.ptr, set.len, k);
        if (sl == cl && memcmp(set.ptr + k, c, cl) == 0) return true;
        k += sl;
    }
    return false;
}

static int str_trim_impl(kl_vec **args, int n_args, uint32_t n, kl_vec *out, bool left,
                         bool right, kl_error *err) {
    fn_propagate_nulls(out, args, n_args, n);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        kl_str s = STR_ARG(0);
        kl_str set = n_args > 1 ? STR_ARG(1) : (kl_str){" ", 1};
        uint32_t b = 0, e = s.len;
        if (left) {
            while (b < e) {
                uint32_t cl = str_char_len(s.ptr, e, b);
                if (!str_in_set(s.ptr + b, cl, set)) break;
                b += cl;
            }
        }
        if (right) {
            while (e > b) {
                uint32_t st = e - 1;
                while (st > b && str_is_cont((unsigned char)s.ptr[st])) st--;
                if (!str_in_set(s.ptr + st, e - st, set)) break;
                e = st;
            }
        }
        TRY(str_set(out, i, s.ptr + b, e - b, err));
    }
    return 0;
}
STR_BIND(trim, "SS", KILN_TYPE_VARCHAR)
STR_BIND(ltrim, "SS", KILN_TYPE_VARCHAR)
STR_BIND(rtrim, "SS", KILN_TYPE_VARCHAR)
static int str_trim(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                    kl_error *err) {
    KL_UNUSED(ctx);
    return str_trim_impl(args, n_args, n, out, true, true, err);
}
static int str_ltrim(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                     kl_error *err) {
    KL_UNUSED(ctx);
    return str_trim_impl(args, n_args, n, out, true, false, err);
}
static int str_rtrim(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                     kl_error *err) {
    KL_UNUSED(ctx);
    return str_trim_impl(args, n_args, n, out, false, true, err);
}

/* ---- LIKE --------------------------------------------------------------------------------- */

static inline char str_fold(char c, bool ci) {
    return (ci && c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool str_like_match(kl_str s, kl_str p, bool ci, int escape) {
    uint32_t si = 0, pi = 0;
    uint32_t star_p = UINT32_MAX, star_s = 0;
    while (si < s.len) {
        if (pi < p.len) {
            char c = p.ptr[pi];
            if (escape >= 0 && (unsigned char)c == (unsigned)escape && pi + 1 < p.len) {
                if (str_fold(p.ptr[pi + 1], ci) == str_fold(s.ptr[si], ci)) {
                    si++;
                    pi += 2;
                    continue;
                }
            } else if (c == '%') {
                star_p = ++pi;
                star_s = si;
                continue;
            } else if (c == '_') {
                si += str_char_len(s.ptr, s.len, si);
                pi++;
                continue;
            } else if (str_fold(c, ci) == str_fold(s.ptr[si], ci)) {
                si++;
                pi++;
                continue;
            }
        }
        if (star_p == UINT32_MAX) return false;
        /* backtrack: the last % swallows one more character */
        star_s += str_char_len(s.ptr, s.len, star_s);
        si = star_s;
        pi = star_p;
    }
    while (pi < p.len && p.ptr[pi] == '%') pi++;
    return pi == p.len;
}

static int str_like_impl(kl_vec **args, int n_args, uint32_t n, kl_vec *out, bool ci,
                         bool negate, kl_error *err) {
    fn_propagate_nulls(out, args, n_args, n);
    uint8_t *o = VEC_U8(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        int escape = -1;
        if (n_args > 2) {
            kl_str e = STR_ARG(2);
            if (e.len > 1)
                return kl_err(err, KILN_ERR_INVALID,
                              "Invalid escape string. Escape string must be empty or one character.");
            if (e.len == 1) escape = (unsigned char)e.ptr[0];
        }
        o[i] = (uint8_t)(str_like_match(STR_ARG(0), STR_ARG(1), ci, escape) != negate);
    }
    return 0;
}
STR_BIND(like, "SSS", KILN_TYPE_BOOLEAN)
static int str_like(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                    kl_error *err) {
    KL_UNUSED(ctx);
    return str_like_impl(args, n_args, n, out, false, false, err);
}
static int str_not_like(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                        kl_error *err) {
    KL_UNUSED(ctx);
    return str_like_impl(args, n_args, n, out, false, true, err);
}
static int str_ilike(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                     kl_error *err) {
    KL_UNUSED(ctx);
    return str_like_impl(args, n_args, n, out, true, false, err);
}
static int str_not_ilike(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                         kl_error *err) {
    KL_UNUSED(ctx);
    return str_like_impl(args, n_args, n, out, true, true, err);
}

/* ---- regexp_matches ------------------------------------------------------------------ */

STR_BIND(regexp_matches, "SSS", KILN_TYPE_BOOLEAN)
static int str_regexp_matches(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n,
                              kl_vec *out, kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    regex_t re;
    bool have = false;
    char *pat = NULL; /* NUL-terminated copy of the compiled pattern */
    size_t pat_len = 0;
    int cflags = 0;
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        if (out->nulls[i]) continue;
        kl_str s = STR_ARG(0), p = STR_ARG(1);
        int flags = REG_EXTENDED;
        if (n_args > 2) {
            kl_str o = STR_ARG(2);
            for (uint32_t k = 0; k < o.len; k++)
                if (o.ptr[k] == 'i') flags |= REG_ICASE;
        }
        if (!have || flags != cflags || p.len != pat_len || memcmp(pat, p.ptr, p.len) != 0) {
            if (have) regfree(&re);
            have = false;
            kl_free(pat);
            pat = kl_strndup(p.ptr, p.len);
            if (!pat) { rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in regexp"); break; }
            pat_len = p.len;
            if (regcomp(&re, pat, flags) != 0) {
                rc = kl_err(err, KILN_ERR_INVALID, "Invalid regular expression '%.200s'", pat);
                break;
            }
            have = true;
            cflags = flags;
        }
        regmatch_t m[1];
        m[0].rm_so = 0;
        m[0].rm_eo = (regoff_t)s.len;
        VEC_U8(out)[i] = regexec(&re, s.ptr, 1, m, REG_STARTEND) == 0;
    }
    if (have) regfree(&re);
    kl_free(pat);
    return rc;
}

/* ---- search and replace ---------------------------------------------------------------- */

/* Byte index of needle in hay at or after from, or -1. */
static int64_t str_find(kl_str hay, kl_str needle, uint32_t from) {
    if (from > hay.len) return -1;
    if (needle.len == 0) return (int64_t)from;
    if (hay.len - from < needle.len) return -1;
    const char *p = memmem(hay.ptr + from, hay.len - from, needle.ptr, needle.len);
    return p ? p - hay.ptr : -1;
}

STR_BIND(starts_with, "SS", KILN_TYPE_BOOLEAN)
STR_EXEC_BEGIN(starts_with)
    kl_str p = STR_ARG(1);
    VEC_U8(out)[i] = p.len <= s.len && memcmp(s.ptr, p.ptr, p.len) == 0;
STR_EXEC_END

STR_BIND(ends_with, "SS", KILN_TYPE_BOOLEAN)
STR_EXEC_BEGIN(ends_with)
    kl_str p = STR_ARG(1);
    VEC_U8(out)[i] = p.len <= s.len && memcmp(s.ptr + s.len - p.len, p.ptr, p.len) == 0;
STR_EXEC_END

STR_BIND(contains, "SS", KILN_TYPE_BOOLEAN)
STR_EXEC_BEGIN(contains)
    VEC_U8(out)[i] = str_find(s, STR_ARG(1), 0) >= 0;
STR_EXEC_END

STR_BIND(strpos, "SS", KILN_TYPE_BIGINT)
STR_EXEC_BEGIN(strpos)
    int64_t at = str_find(s, STR_ARG(1), 0);
    VEC_I64(out)[i] = at < 0 ? 0 : str_char_count(s.ptr, (uint32_t)at) + 1;
STR_EXEC_END

STR_BIND(replace, "SSS", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(replace)
    kl_str from = STR_ARG(1), to = STR_ARG(2);
    if (from.len == 0) {
        TRY(str_set(out, i, s.ptr, s.len, err));
        continue;
    }
    size_t count = 0;
    for (int64_t at = str_find(s, from, 0); at >= 0; at = str_find(s, from, (uint32_t)at + from.len))
        count++;
    size_t len = s.len + count * to.len - count * from.len;
    char *p = str_alloc(out, len, err);
    if (!p) return err ? err->code : KILN_ERR_MEMORY;
    size_t w = 0;
    uint32_t r = 0;
    for (int64_t at = str_find(s, from, 0); at >= 0; at = str_find(s, from, r)) {
        memcpy(p + w, s.ptr + r, (size_t)at - r);
        w += (size_t)at - r;
        if (to.len) memcpy(p + w, to.ptr, to.len);
        w += to.len;
        r = (uint32_t)at + from.len;
    }
    memcpy(p + w, s.ptr + r, s.len - r);
    VEC_STR(out)[i] = (kl_str){p, (uint32_t)len};
STR_EXEC_END

/* split_part(s, delim, k): k-th field (1-based, negative from the end), '' when absent. */
STR_BIND(split_part, "SSI", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(split_part)
    kl_str d = STR_ARG(1);
    int64_t k = STR_INT(2);
    if (d.len == 0) {
        bool whole = k == 1 || k == -1;
        TRY(str_set(out, i, s.ptr, whole ? s.len : 0, err));
        continue;
    }
    int64_t nfields = 1;
    for (int64_t at = str_find(s, d, 0); at >= 0; at = str_find(s, d, (uint32_t)at + d.len))
        nfields++;
    if (k < 0) k = nfields + k + 1;
    if (k < 1 || k > nfields) {
        TRY(str_set(out, i, "", 0, err));
        continue;
    }
    uint32_t b = 0;
    for (int64_t f = 1; f < k; f++) b = (uint32_t)str_find(s, d, b) + d.len;
    int64_t e = str_find(s, d, b);
    TRY(str_set(out, i, s.ptr + b, (e < 0 ? s.len : (uint32_t)e) - b, err));
STR_EXEC_END

/* ---- padding, reverse, repeat ---------------------------------------------------------- */

static int str_pad_impl(kl_vec **args, int n_args, uint32_t n, kl_vec *out, bool left,
                        kl_error *err) {
    fn_propagate_nulls(out, args, n_args, n);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        kl_str s = STR_ARG(0), fill = n_args > 2 ? STR_ARG(2) : (kl_str){" ", 1};
        int64_t want = STR_INT(1);
        if (want < 0) want = 0;
        int64_t have = str_char_count(s.ptr, s.len);
        if (have >= want) {
            TRY(str_set(out, i, s.ptr, str_char_offset(s.ptr, s.len, want), err));
            continue;
        }
        if (fill.len == 0)
            return kl_err(err, KILN_ERR_INVALID, "Insufficient padding in %s", left ? "LPAD" : "RPAD");
        int64_t need = want - have;
        /* bytes for `need` fill characters, cycling through fill */
        if (need > (INT64_C(1) << 30))
            return kl_err(err, KILN_ERR_INVALID, "padding length too large");
        int64_t fill_chars = str_char_count(fill.ptr, fill.len);
        int64_t full = need / fill_chars, rest = need % fill_chars;
        uint32_t rest_bytes = str_char_offset(fill.ptr, fill.len, rest);
        size_t pad_bytes = (size_t)full * fill.len + rest_bytes;
        char *p = str_alloc(out, pad_bytes + s.len, err);
        if (!p) return err ? err->code : KILN_ERR_MEMORY;
        char *pad = left ? p : p + s.len;
        for (int64_t f = 0; f < full; f++) memcpy(pad + (size_t)f * fill.len, fill.ptr, fill.len);
        memcpy(pad + (size_t)full * fill.len, fill.ptr, rest_bytes);
        memcpy(left ? p + pad_bytes : p, s.ptr, s.len);
        VEC_STR(out)[i] = (kl_str){p, (uint32_t)(pad_bytes + s.len)};
    }
    return 0;
}
STR_BIND(lpad, "SIS", KILN_TYPE_VARCHAR)
STR_BIND(rpad, "SIS", KILN_TYPE_VARCHAR)
static int str_lpad(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                    kl_error *err) {
    KL_UNUSED(ctx);
    return str_pad_impl(args, n_args, n, out, true, err);
}
static int str_rpad(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                    kl_error *err) {
    KL_UNUSED(ctx);
    return str_pad_impl(args, n_args, n, out, false, err);
}

STR_BIND(reverse, "S", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(reverse)
    char *p = str_alloc(out, s.len, err);
    if (!p) return err ? err->code : KILN_ERR_MEMORY;
    for (uint32_t k = 0; k < s.len;) {
        uint32_t cl = str_char_len(s.ptr, s.len, k);
        memcpy(p + s.len - k - cl, s.ptr + k, cl);
        k += cl;
    }
    VEC_STR(out)[i] = (kl_str){p, s.len};
STR_EXEC_END

STR_BIND(repeat, "SI", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(repeat)
    int64_t k = STR_INT(1);
    if (k <= 0 || s.len == 0) {
        TRY(str_set(out, i, "", 0, err));
        continue;
    }
    if ((uint64_t)k * s.len > (UINT64_C(1) << 30))
        return kl_err(err, KILN_ERR_INVALID, "repeat: result too large");
    size_t len = (size_t)k * s.len;
    char *p = str_alloc(out, len, err);
    if (!p) return err ? err->code : KILN_ERR_MEMORY;
    for (int64_t r = 0; r < k; r++) memcpy(p + (size_t)r * s.len, s.ptr, s.len);
    VEC_STR(out)[i] = (kl_str){p, (uint32_t)len};
STR_EXEC_END

#define STR_DEF(name, lo, hi, fn) {name, lo, hi, str_bind_##fn, str_##fn, NULL, false}
#define STR_DEF2(name, lo, hi, bindfn, fn) {name, lo, hi, str_bind_##bindfn, str_##fn, NULL, false}
const kl_scalar_def fn_string_defs[] = {
    STR_DEF("lower", 1, 1, lower),
    STR_DEF("lcase", 1, 1, lower),
    STR_DEF("upper", 1, 1, upper),
    STR_DEF("ucase", 1, 1, upper),
    STR_DEF("length", 1, 1, length),
    STR_DEF("len", 1, 1, length),
    STR_DEF("char_length", 1, 1, length),
    STR_DEF("character_length", 1, 1, length),
    STR_DEF("strlen", 1, 1, strlen),
    STR_DEF("octet_length", 1, 1, strlen),
    STR_DEF("substring", 2, 3, substring),
    STR_DEF("substr", 2, 3, substring),
    STR_DEF("left", 2, 2, left),
    STR_DEF("right", 2, 2, right),
    STR_DEF("trim", 1, 2, trim),
    STR_DEF("ltrim", 1, 2, ltrim),
    STR_DEF("rtrim", 1, 2, rtrim),
    STR_DEF("like", 2, 3, like),
    STR_DEF2("not_like", 2, 3, like, not_like),
    STR_DEF2("ilike", 2, 3, like, ilike),
    STR_DEF2("not_ilike", 2, 3, like, not_ilike),
    STR_DEF("regexp_matches", 2, 3, regexp_matches),
    STR_DEF("starts_with", 2, 2, starts_with),
    STR_DEF("prefix", 2, 2, starts_with),
    STR_DEF("ends_with", 2, 2, ends_with),
    STR_DEF("suffix", 2, 2, ends_with),
    STR_DEF("contains", 2, 2, contains),
    STR_DEF("strpos", 2, 2, strpos),
    STR_DEF("instr", 2, 2, strpos),
    STR_DEF("position", 2, 2, strpos),
    STR_DEF("replace", 3, 3, replace),
    STR_DEF("split_part", 3, 3, split_part),
    STR_DEF("lpad", 2, 3, lpad),
    STR_DEF("rpad", 2, 3, rpad),
    STR_DEF("reverse", 1, 1, reverse),
    STR_DEF("repeat", 2, 2, repeat),
    {NULL, 0, 0, NULL, NULL, NULL, false},
};
