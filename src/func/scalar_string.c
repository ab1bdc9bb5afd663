/*
 * scalar_string.c — string scalar functions: lower/upper (lcase/ucase), length (characters) and
 * strlen/octet_length (bytes), substr/substring, left/right, trim/ltrim/rtrim, LIKE and ILIKE
 * (like, not_like, ilike, not_ilike), regexp_matches, regexp_full_match, regexp_replace,
 * regexp_extract, replace, starts_with/prefix, ends_with/suffix, contains,
 * strpos/instr/position, split_part, lpad/rpad, reverse, repeat, ascii, chr, md5.
 *
 * API: the table fn_string_defs (searched by catalog.c). bind() asks for VARCHAR string
 * arguments (any type converts) and BIGINT counts; exec() propagates NULLs and computes the
 * chunk. Strings produced are copied into out's heap (out may outlive its inputs).
 *
 * Characters are UTF-8 code points: positions and lengths count bytes that are not
 * continuation bytes (10xxxxxx). lower/upper map every code point with the C.UTF-8 tables
 * (one-to-one mappings, plus DuckDB's (utf8proc's) 'ß' -> 'ẞ'; other utf8proc differences may
 * remain). substring follows DuckDB 1.5: start 1 is the first character, start 0 starts "one
 * before" the first, a negative start counts from the end, a negative length goes backwards,
 * and the range is clipped to the string only after it is formed (substr('hello', -7, 3) is
 * 'h'); offsets/lengths outside [-2^32, 2^32-1] are errors. split_part with an empty
 * delimiter splits into characters. trim without a character set removes spaces only.
 * repeat/lpad/rpad refuse results over 0x1fffffe8 bytes (DuckDB's message).
 *
 * LIKE: `%` matches any run, `_` one character, an optional one-character escape makes the
 * next pattern character literal. Matching is the greedy two-pointer algorithm that
 * backtracks only to the last `%` seen: O(len(s) * len(p)) worst case, no allocation, no
 * per-pattern state (so one bound expression can run on many threads). The regexp_* functions
 * translate RE2 syntax to POSIX extended regular expressions: see "regular expressions" below
 * for what is translated and the remaining gap (leftmost-longest vs leftmost-first).
 */
#include "func/func_internal.h"

#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <wctype.h>

/* ---- helpers ------------------------------------------------------------------------ */

/* Longest string repeat/lpad/rpad build (DuckDB's limit and message). */
#define STR_MAX_RESULT UINT64_C(0x1fffffe8)
#define STR_TOO_LONG_MSG "Cannot create a string longer than 0x1fffffe8 characters"

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
            if (upper && cp == 0xDF) m = 0x1E9E; /* utf8proc (DuckDB): 'ß' -> 'ẞ' */
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

/*
 * DuckDB 1.5's start/end computation in characters (false = empty result): a positive offset
 * is 1-based, 0 starts one before the first character, a negative one counts from the end;
 * the range [start, start + length) (or [start + length, start) for a negative length) is
 * clipped to the string only after it was formed, so substr('hello', -7, 3) is 'h'.
 * Offsets and lengths outside [-2^32, 2^32 - 1] are errors, as in DuckDB.
 */
#define STR_SUB_MAX INT64_C(4294967295)
#define STR_SUB_MIN (-INT64_C(4294967296))
static int str_substr_check(int64_t v, const char *what, kl_error *err) {
    if (v > STR_SUB_MAX)
        return kl_err(err, KILN_ERR_INVALID, "Substring %s outside of supported range (> 4294967295)", what);
    if (v < STR_SUB_MIN)
        return kl_err(err, KILN_ERR_INVALID, "Substring %s outside of supported range (< -4294967296)", what);
    return 0;
}

static bool str_substr_range(int64_t size, int64_t offset, int64_t length, int64_t *start,
                             int64_t *end) {
    if (length == 0) return false;
    int64_t st;
    if (offset > 0) {
        st = offset - 1;
    } else if (offset < 0) {
        st = size + offset;
    } else {
        st = 0;
        length--;
        if (length <= 0) return false;
    }
    int64_t en;
    if (length > 0) {
        en = st + length;
    } else {
        en = st;
        st = st + length;
    }
    st = st < 0 ? 0 : KL_MIN(st, size);
    en = en < 0 ? 0 : KL_MIN(en, size);
    *start = st;
    *end = en;
    return st < en;
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
    int64_t len = n_args > 2 ? STR_INT(2) : STR_SUB_MAX;
    int64_t off = STR_INT(1);
    TRY(str_substr_check(off, "offset", err));
    TRY(str_substr_check(len, "length", err));
    if (!str_substr_range(size, off, len, &start, &end)) {
        TRY(str_set(out, i, "", 0, err));
        continue;
    }
    TRY(str_emit_chars(out, i, s, start, end, err));
STR_EXEC_END

/* left(s, k): first k characters (k < 0: all but the last -k); right(s, k) likewise. */
STR_BIND(left, "SI", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(left)
    int64_t size = str_char_count(s.ptr, s.len), k = STR_INT(1);
    if (k > STR_SUB_MAX) TRY(str_substr_check(k, "length", err));
    int64_t end = k >= 0 ? KL_MIN(k, size) : (size + k > 0 ? size + k : 0);
    TRY(str_emit_chars(out, i, s, 0, end, err));
STR_EXEC_END

STR_BIND(right, "SI", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(right)
    int64_t size = str_char_count(s.ptr, s.len), k = STR_INT(1);
    int64_t start = k >= 0 ? (size - k > 0 ? size - k : 0) : (k <= -size ? size : -k);
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

/* Lower-case s into b (Unicode, C.UTF-8 tables); invalid UTF-8 bytes are kept. */
static int str_lower_buf(kl_str s, kl_buf *b) {
    pthread_once(&str_locale_once, str_locale_init);
    kl_buf_clear(b);
    TRY(kl_buf_reserve(b, (size_t)s.len * 2 + 1));
    const unsigned char *u = (const unsigned char *)s.ptr;
    size_t o = 0;
    for (size_t k = 0; k < s.len;) {
        uint32_t cp;
        size_t len = u[k] < 0x80 ? 0 : str_utf8_decode(u + k, s.len - k, &cp);
        if (!len || !str_utf8_locale) {
            unsigned char c = u[k++];
            b->data[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            continue;
        }
        o += str_utf8_encode((uint32_t)towlower_l((wint_t)cp, str_utf8_locale), b->data + o);
        k += len;
    }
    b->len = o;
    b->data[o] = '\0';
    return 0;
}

static bool str_has_non_ascii(kl_str s) {
    for (uint32_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] >= 0x80) return true;
    return false;
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
        kl_str sv = STR_ARG(0), pv = STR_ARG(1);
        if (ci && (str_has_non_ascii(sv) || str_has_non_ascii(pv))) {
            /* ILIKE beyond ASCII: fold both sides with the Unicode tables, then match exactly */
            kl_buf bs = {0}, bp = {0};
            int rc = str_lower_buf(sv, &bs);
            if (!rc) rc = str_lower_buf(pv, &bp);
            if (!rc)
                o[i] = (uint8_t)(str_like_match((kl_str){bs.data, (uint32_t)bs.len}, (kl_str){bp.data, (uint32_t)bp.len},
                                                false, escape) != negate);
            kl_buf_free(&bs);
            kl_buf_free(&bp);
            if (rc) return kl_err(err, KILN_ERR_MEMORY, "out of memory in ILIKE");
            continue;
        }
        o[i] = (uint8_t)(str_like_match(sv, pv, ci, escape) != negate);
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

/* ---- regular expressions ------------------------------------------------------------------
 *
 * DuckDB uses RE2; kiln uses POSIX extended regular expressions (glibc regcomp/regexec in the
 * C.UTF-8 locale, so `.` and brackets match whole UTF-8 characters). The RE2 pattern is
 * translated first:
 *   \d \D \w \W \s \S     -> [0-9] [^0-9] [[:alnum:]_] [^[:alnum:]_] [[:space:]] [^[:space:]]
 *                            (inside brackets too; a negated one only as the sole item)
 *   \t \n \r \f \v \xHH \x{H..} \Q..\E, \A \z -> literals, ^ $
 *   (?i) (?s) (?-i) anywhere (applied to the whole pattern), (?:..) (?P<n>..) (?<n>..),
 *   (?i:..) groups (RE2 group numbers are mapped onto the POSIX subexpressions)
 *   `.` does not match a newline unless (?s) / option 's' (RE2's default)
 *   RE2 bracket syntax ([]a], [\]\-\^\\]) is rewritten with POSIX collating symbols.
 * Options (third/fourth argument): c i l (literal) s m n p (accepted; newline modes are not
 * emulated) and g (regexp_replace only).
 * Remaining gap: POSIX matching is leftmost-LONGEST where RE2 is leftmost-first, so
 * alternations (`a|ab` on "ab") and the extent of a match can differ in regexp_extract /
 * regexp_replace (never in regexp_matches / regexp_full_match, which only ask whether a match
 * exists); lazy quantifiers (*? +? ?? {n,m}?) are rejected by regexp_extract/regexp_replace and
 * treated as greedy by regexp_matches (same answer); \p{..} classes are not supported; flags
 * apply to the whole pattern, not from their position.
 * A compiled pattern is cached per exec call and reused while the pattern and options repeat
 * (constant patterns compile once per chunk); nothing is shared between threads.
 */

enum { SRE_ICASE = 1, SRE_DOTALL = 2, SRE_LITERAL = 4, SRE_GLOBAL = 8 };

typedef struct str_re {
    regex_t re;
    bool compiled;
    char *key;        /* the RE2 pattern as given (cache key) */
    uint32_t key_len;
    int opts;         /* SRE_* options from the options argument */
    int n_groups;     /* capturing groups of the RE2 pattern */
    int map[10];      /* RE2 group k (k <= 9) -> POSIX subexpression index */
    size_t n_match;   /* regmatch_t entries regexec fills: highest mapped index + 1 */
    bool lazy;        /* a lazy quantifier was read (and made greedy) */
    regmatch_t *pm;   /* n_match entries */
    kl_buf tmp;       /* translation / replacement scratch */
} str_re;

static void str_re_free(str_re *r) {
    if (r->compiled) regfree(&r->re);
    r->compiled = false;
    kl_free(r->key);
    r->key = NULL;
    kl_free(r->pm);
    r->pm = NULL;
    kl_buf_free(&r->tmp);
}

static inline bool re_is_special(int c) { return c && strchr(".[]()*+?{}|^$\\", c) != NULL; }

/* Emit a code point as a literal outside brackets. */
static int re_put_lit(kl_buf *b, uint32_t cp) {
    char u[4];
    if (cp < 0x80 && re_is_special((int)cp)) TRY(kl_buf_putc(b, '\\'));
    return kl_buf_append(b, u, str_utf8_encode(cp, u));
}

/* Emit a code point inside a bracket expression: POSIX-special ones as collating symbols. */
static int re_put_bracket_char(kl_buf *b, uint32_t cp) {
    char u[4];
    if (cp == ']' || cp == '-' || cp == '^' || cp == '[') {
        char sym[6] = {'[', '.', (char)cp, '.', ']', 0};
        return kl_buf_puts(b, sym);
    }
    return kl_buf_append(b, u, str_utf8_encode(cp, u));
}

static int re_hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/*
 * Read one escaped character p[*i] (just after the backslash) that stands for a single code
 * point: \t \n \r \f \v \a \xHH \x{H...} \0oo or a punctuation character. Returns 1 and *cp,
 * 0 when it is not such an escape (letters like d, b), -1 on a malformed \x.
 */
static int re_escape_char(const char *p, size_t n, size_t *i, uint32_t *cp) {
    char c = p[*i];
    switch (c) {
    case 't': *cp = '\t'; (*i)++; return 1;
    case 'n': *cp = '\n'; (*i)++; return 1;
    case 'r': *cp = '\r'; (*i)++; return 1;
    case 'f': *cp = '\f'; (*i)++; return 1;
    case 'v': *cp = '\v'; (*i)++; return 1;
    case 'a': *cp = '\a'; (*i)++; return 1;
    case 'x': {
        size_t k = *i + 1;
        uint32_t v = 0;
        if (k < n && p[k] == '{') {
            k++;
            int digits = 0;
            while (k < n && re_hexval((unsigned char)p[k]) >= 0 && digits < 8) {
                v = v * 16 + (uint32_t)re_hexval((unsigned char)p[k++]);
                digits++;
            }
            if (!digits || k >= n || p[k] != '}' || v > 0x10FFFF) return -1;
            *i = k + 1;
        } else {
            if (k + 2 > n) return -1;
            int h1 = re_hexval((unsigned char)p[k]), h2 = re_hexval((unsigned char)p[k + 1]);
            if (h1 < 0 || h2 < 0) return -1;
            v = (uint32_t)(h1 * 16 + h2);
            *i = k + 2;
        }
        *cp = v;
        return 1;
    }
    default:
        if ((unsigned char)c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                         (c >= '0' && c <= '9'))) {
            *cp = (uint32_t)(unsigned char)c;
            (*i)++;
            return 1;
        }
        return 0;
    }
}

/* Read one (possibly multi-byte) literal character at p[*i]. */
static uint32_t re_read_char(const char *p, size_t n, size_t *i) {
    uint32_t cp;
    size_t len = (unsigned char)p[*i] < 0x80 ? 0 : str_utf8_decode((const unsigned char *)p + *i, n - *i, &cp);
    if (!len) {
        cp = (unsigned char)p[*i];
        len = 1;
    }
    *i += len;
    return cp;
}

static int re_bad(kl_error *err, const char *pat, const char *what) {
    return kl_err(err, KILN_ERR_INVALID, "Invalid regular expression '%.200s': %s", pat, what);
}

/* RE2 bracket expression starting at p[*i] == '[' -> POSIX bracket expression. */
static int re_bracket(const char *p, size_t n, size_t *i, kl_buf *b, const char *pat,
                      kl_error *err) {
    size_t k = *i + 1;
    bool neg = false;
    if (k < n && p[k] == '^') {
        neg = true;
        k++;
    }
    /* sole negated class: [\D] -> [^0-9], [^\S] -> [[:space:]] */
    if (k + 2 < n && p[k] == '\\' && strchr("DWS", p[k + 1]) && p[k + 2] == ']') {
        const char *cls = p[k + 1] == 'D' ? "0-9" : p[k + 1] == 'W' ? "[:alnum:]_" : "[:space:]";
        TRY(kl_buf_puts(b, neg ? "[" : "[^"));
        TRY(kl_buf_puts(b, cls));
        TRY(kl_buf_putc(b, ']'));
        *i = k + 3;
        return 0;
    }
    TRY(kl_buf_puts(b, neg ? "[^" : "["));
    bool first = true;
    for (;;) {
        if (k >= n) return re_bad(err, pat, "missing ]");
        char c = p[k];
        if (c == ']' && !first) {
            k++;
            break;
        }
        first = false;
        if (c == '[' && k + 1 < n && p[k + 1] == ':') {
            const char *end = memmem(p + k + 2, n - k - 2, ":]", 2);
            if (!end) return re_bad(err, pat, "missing :]");
            if (p[k + 2] == '^') return re_bad(err, pat, "negated [:^class:] is not supported");
            size_t len = (size_t)(end - (p + k)) + 2;
            TRY(kl_buf_append(b, p + k, len));
            k += len;
            continue;
        }
        uint32_t lo;
        if (c == '\\') {
            if (k + 1 >= n) return re_bad(err, pat, "trailing \\");
            size_t e = k + 1;
            char ec = p[e];
            if (ec == 'd' || ec == 'w' || ec == 's') {
                TRY(kl_buf_puts(b, ec == 'd' ? "0-9" : ec == 'w' ? "[:alnum:]_" : "[:space:]"));
                k = e + 1;
                continue;
            }
            if (ec == 'D' || ec == 'W' || ec == 'S')
                return re_bad(err, pat, "a negated class (\\D \\W \\S) inside [...] is not supported");
            int r = re_escape_char(p, n, &e, &lo);
            if (r <= 0) return re_bad(err, pat, "invalid escape sequence in [...]");
            k = e;
        } else {
            lo = re_read_char(p, n, &k);
        }
        /* a range lo-hi? */
        if (k + 1 < n && p[k] == '-' && p[k + 1] != ']') {
            size_t e = k + 1;
            uint32_t hi;
            if (p[e] == '\\') {
                e++;
                if (e >= n || re_escape_char(p, n, &e, &hi) <= 0)
                    return re_bad(err, pat, "invalid range end in [...]");
            } else {
                hi = re_read_char(p, n, &e);
            }
            if (hi < lo) return re_bad(err, pat, "invalid character class range");
            TRY(re_put_bracket_char(b, lo));
            TRY(kl_buf_putc(b, '-'));
            TRY(re_put_bracket_char(b, hi));
            k = e;
            continue;
        }
        TRY(re_put_bracket_char(b, lo));
    }
    TRY(kl_buf_putc(b, ']'));
    *i = k;
    return 0;
}

/* Is p[i..] a valid RE2 repetition {n}, {n,}, {n,m}? Returns its length or 0. */
static size_t re_repetition(const char *p, size_t n, size_t i) {
    size_t k = i + 1, d = 0;
    while (k < n && p[k] >= '0' && p[k] <= '9') k++, d++;
    if (!d) return 0;
    if (k < n && p[k] == ',') {
        k++;
        while (k < n && p[k] >= '0' && p[k] <= '9') k++;
    }
    if (k < n && p[k] == '}') return k + 1 - i;
    return 0;
}

/* Translate the RE2 pattern pat[0..n) into r->tmp (NUL-terminated); fills groups and *opts. */
static int re_translate(str_re *r, const char *pat, size_t n, int *opts, kl_error *err) {
    kl_buf *b = &r->tmp;
    kl_buf_clear(b);
    r->n_groups = 0;
    r->lazy = false;
    memset(r->map, 0, sizeof r->map);
    int posix = 0;
    if (*opts & SRE_LITERAL) {
        for (size_t i = 0; i < n; i++) {
            if (re_is_special((unsigned char)pat[i])) TRY(kl_buf_putc(b, '\\'));
            TRY(kl_buf_putc(b, pat[i]));
        }
        TRY(kl_buf_putc(b, 0));
        b->len--;
        r->n_match = 1;
        return 0;
    }
    /* the pattern text for error messages (NUL-free prefix is enough) */
    char shown[201];
    size_t sl = KL_MIN(n, sizeof shown - 1);
    memcpy(shown, pat, sl);
    shown[sl] = 0;
    size_t i = 0;
    while (i < n) {
        char c = pat[i];
        if (c == '(') {
            if (i + 1 < n && pat[i + 1] == '?') {
                size_t k = i + 2;
                if (k < n && pat[k] == ':') {
                    TRY(kl_buf_putc(b, '('));
                    posix++;
                    i = k + 1;
                    continue;
                }
                if (k < n && (pat[k] == 'P' || pat[k] == '<') &&
                    !(pat[k] == '<' && k + 1 < n && (pat[k + 1] == '=' || pat[k + 1] == '!'))) {
                    if (pat[k] == 'P') k++;
                    if (k >= n || pat[k] != '<') return re_bad(err, shown, "invalid named group");
                    const char *gt = memchr(pat + k, '>', n - k);
                    if (!gt) return re_bad(err, shown, "invalid named group");
                    TRY(kl_buf_putc(b, '('));
                    posix++;
                    if (++r->n_groups <= 9) r->map[r->n_groups] = posix;
                    i = (size_t)(gt - pat) + 1;
                    continue;
                }
                bool clear = false;
                while (k < n && pat[k] && strchr("imsU-", pat[k])) {
                    char f = pat[k++];
                    if (f == '-') clear = true;
                    else if (f == 'i') *opts = clear ? *opts & ~SRE_ICASE : *opts | SRE_ICASE;
                    else if (f == 's') *opts = clear ? *opts & ~SRE_DOTALL : *opts | SRE_DOTALL;
                }
                if (k < n && pat[k] == ')') {
                    i = k + 1;
                    continue;
                }
                if (k < n && pat[k] == ':') {
                    TRY(kl_buf_putc(b, '('));
                    posix++;
                    i = k + 1;
                    continue;
                }
                return re_bad(err, shown, "unsupported (?...) group");
            }
            TRY(kl_buf_putc(b, '('));
            posix++;
            if (++r->n_groups <= 9) r->map[r->n_groups] = posix;
            i++;
            continue;
        }
        if (c == '[') {
            TRY(re_bracket(pat, n, &i, b, shown, err));
            continue;
        }
        if (c == '.') {
            TRY(kl_buf_puts(b, (*opts & SRE_DOTALL) ? "." : "[^\n]"));
            i++;
            continue;
        }
        if (c == '*' || c == '+' || c == '?') {
            TRY(kl_buf_putc(b, c));
            i++;
            if (i < n && pat[i] == '?') {
                r->lazy = true;
                i++;
            }
            continue;
        }
        if (c == '{') {
            size_t len = re_repetition(pat, n, i);
            if (!len) {
                TRY(kl_buf_puts(b, "\\{"));
                i++;
                continue;
            }
            TRY(kl_buf_append(b, pat + i, len));
            i += len;
            if (i < n && pat[i] == '?') {
                r->lazy = true;
                i++;
            }
            continue;
        }
        if (c == '}') {
            TRY(kl_buf_puts(b, "\\}"));
            i++;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= n) return re_bad(err, shown, "trailing \\");
            char e = pat[i + 1];
            const char *cls = NULL;
            switch (e) {
            case 'd': cls = "[0-9]"; break;
            case 'D': cls = "[^0-9]"; break;
            case 'w': cls = "[[:alnum:]_]"; break;
            case 'W': cls = "[^[:alnum:]_]"; break;
            case 's': cls = "[[:space:]]"; break;
            case 'S': cls = "[^[:space:]]"; break;
            case 'A': cls = "^"; break;
            case 'z': cls = "$"; break;
            case 'b': cls = "\\b"; break;
            case 'B': cls = "\\B"; break;
            default: break;
            }
            if (cls) {
                TRY(kl_buf_puts(b, cls));
                i += 2;
                continue;
            }
            if (e == 'Q') {
                i += 2;
                while (i < n && !(pat[i] == '\\' && i + 1 < n && pat[i + 1] == 'E')) {
                    if (re_is_special((unsigned char)pat[i])) TRY(kl_buf_putc(b, '\\'));
                    TRY(kl_buf_putc(b, pat[i]));
                    i++;
                }
                if (i < n) i += 2;
                continue;
            }
            if (e >= '1' && e <= '9') { /* not RE2; POSIX backreference */
                TRY(kl_buf_putc(b, '\\'));
                TRY(kl_buf_putc(b, e));
                i += 2;
                continue;
            }
            size_t k = i + 1;
            uint32_t cp;
            int rr = re_escape_char(pat, n, &k, &cp);
            if (rr <= 0) return re_bad(err, shown, "invalid or unsupported escape sequence");
            TRY(re_put_lit(b, cp));
            i = k;
            continue;
        }
        TRY(kl_buf_putc(b, c));
        i++;
    }
    r->n_match = 1;
    for (int g = 1; g <= KL_MIN(r->n_groups, 9); g++)
        if ((size_t)r->map[g] + 1 > r->n_match) r->n_match = (size_t)r->map[g] + 1;
    TRY(kl_buf_putc(b, 0));
    b->len--;
    return 0;
}

/* Compile pat with opts into r unless r already holds exactly that. */
static int str_re_get(str_re *r, kl_str pat, int opts, kl_error *err) {
    if (r->compiled && r->opts == opts && r->key_len == pat.len &&
        (pat.len == 0 || memcmp(r->key, pat.ptr, pat.len) == 0))
        return 0;
    if (r->compiled) regfree(&r->re);
    r->compiled = false;
    kl_free(r->key);
    r->key = kl_strndup(pat.ptr, pat.len);
    if (!r->key) return kl_err(err, KILN_ERR_MEMORY, "out of memory in regexp");
    r->key_len = pat.len;
    int eff = opts;
    TRY(re_translate(r, pat.ptr, pat.len, &eff, err));
    if (memchr(pat.ptr, 0, pat.len))
        return kl_err(err, KILN_ERR_INVALID, "regular expression contains a NUL byte");
    int cflags = REG_EXTENDED | ((eff & SRE_ICASE) ? REG_ICASE : 0);
    int rc = regcomp(&r->re, r->tmp.data ? r->tmp.data : "", cflags);
    if (rc != 0) {
        char msg[160];
        regerror(rc, &r->re, msg, sizeof msg);
        regfree(&r->re);
        return kl_err(err, KILN_ERR_INVALID, "Invalid regular expression '%.200s': %s", r->key, msg);
    }
    r->compiled = true;
    r->opts = opts;
    kl_free(r->pm);
    r->pm = kl_calloc(r->n_match, sizeof(regmatch_t));
    if (!r->pm) return kl_err(err, KILN_ERR_MEMORY, "out of memory in regexp");
    return 0;
}

/* Search s from byte `from`; fills r->pm (absolute offsets). Caller set the UTF-8 locale. */
static bool str_re_search(str_re *r, kl_str s, uint32_t from) {
    r->pm[0].rm_so = (regoff_t)from;
    r->pm[0].rm_eo = (regoff_t)s.len;
    return regexec(&r->re, s.ptr, r->n_match, r->pm, REG_STARTEND) == 0;
}

/* Options string -> SRE_* flags. */
static int str_re_options(kl_vec **args, int idx, int n_args, uint32_t row, bool allow_g,
                          int *opts, kl_error *err) {
    *opts = 0;
    if (idx >= n_args) return 0;
    const kl_vec *v = args[idx];
    if (v->type == KILN_TYPE_NULL || v->nulls[row])
        return kl_err(err, KILN_ERR_INVALID, "Regex options field must not be NULL");
    kl_str o = VEC_STR(v)[row];
    for (uint32_t k = 0; k < o.len; k++) {
        switch (o.ptr[k]) {
        case 'c': *opts &= ~SRE_ICASE; break;
        case 'i': *opts |= SRE_ICASE; break;
        case 'l': *opts |= SRE_LITERAL; break;
        case 's': *opts |= SRE_DOTALL; break;
        case 'm': case 'n': case 'p': *opts &= ~SRE_DOTALL; break;
        case 'g':
            if (!allow_g)
                return kl_err(err, KILN_ERR_INVALID,
                              "Option 'g' (global replace) is only valid for regexp_replace");
            *opts |= SRE_GLOBAL;
            break;
        default:
            return kl_err(err, KILN_ERR_INVALID, "Unrecognized Regex option %c", o.ptr[k]);
        }
    }
    return 0;
}

/* Run the regex kernels with the UTF-8 locale current on this thread. */
static locale_t str_re_enter(void) {
    pthread_once(&str_locale_once, str_locale_init);
    return str_utf8_locale ? uselocale(str_utf8_locale) : (locale_t)0;
}
static void str_re_leave(locale_t old) {
    if (old) uselocale(old);
}

typedef int (*str_re_row_fn)(str_re *r, kl_vec **args, int n_args, uint32_t i, kl_vec *out,
                             kl_error *err);

/* Shared driver: NULLs, options (argument opt_idx), compile, per-row kernel. */
static int str_re_run(kl_vec **args, int n_args, uint32_t n, kl_vec *out, int opt_idx,
                      bool allow_g, bool no_lazy, str_re_row_fn row_fn, kl_error *err) {
    /* options are checked before NULL propagation: a NULL options value is an error */
    kl_vec *pargs[8];
    int np = KL_MIN(n_args, opt_idx);
    for (int a = 0; a < np; a++) pargs[a] = args[a];
    fn_propagate_nulls(out, pargs, np, n);
    str_re r;
    memset(&r, 0, sizeof r);
    locale_t old = str_re_enter();
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        int opts;
        rc = str_re_options(args, opt_idx, n_args, i, allow_g, &opts, err);
        if (rc || out->nulls[i]) continue;
        rc = str_re_get(&r, STR_ARG(1), opts, err);
        if (rc) break;
        if (no_lazy && r.lazy) {
            rc = kl_err(err, KILN_ERR_INVALID,
                        "Lazy quantifiers (*? +? ?? {n,m}?) are not supported in '%.200s' "
                        "(kiln uses POSIX regular expressions)", r.key);
            break;
        }
        rc = row_fn(&r, args, n_args, i, out, err);
    }
    str_re_leave(old);
    str_re_free(&r);
    return rc;
}

static int re_row_matches(str_re *r, kl_vec **args, int n_args, uint32_t i, kl_vec *out,
                          kl_error *err) {
    KL_UNUSED(n_args), KL_UNUSED(err);
    VEC_U8(out)[i] = str_re_search(r, STR_ARG(0), 0);
    return 0;
}
static int re_row_full(str_re *r, kl_vec **args, int n_args, uint32_t i, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(n_args), KL_UNUSED(err);
    kl_str s = STR_ARG(0);
    /* leftmost-longest: a full match exists iff the match at 0 spans the string */
    VEC_U8(out)[i] = str_re_search(r, s, 0) && r->pm[0].rm_so == 0 &&
                     r->pm[0].rm_eo == (regoff_t)s.len;
    return 0;
}

STR_BIND(regexp_matches, "SSS", KILN_TYPE_BOOLEAN)
static int str_regexp_matches(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n,
                              kl_vec *out, kl_error *err) {
    KL_UNUSED(ctx);
    return str_re_run(args, n_args, n, out, 2, false, false, re_row_matches, err);
}
static int str_regexp_full_match(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n,
                                 kl_vec *out, kl_error *err) {
    KL_UNUSED(ctx);
    return str_re_run(args, n_args, n, out, 2, false, false, re_row_full, err);
}

/* Group g (RE2 numbering) of the last match, or empty when it did not take part. */
static kl_str re_group(const str_re *r, kl_str s, int g) {
    if (g > r->n_groups || g > 9) return (kl_str){"", 0};
    const regmatch_t *m = &r->pm[g ? r->map[g] : 0];
    if (m->rm_so < 0 || m->rm_eo < m->rm_so) return (kl_str){"", 0};
    return (kl_str){s.ptr + m->rm_so, (uint32_t)(m->rm_eo - m->rm_so)};
}

static int re_row_extract(str_re *r, kl_vec **args, int n_args, uint32_t i, kl_vec *out,
                          kl_error *err) {
    kl_str s = STR_ARG(0);
    int64_t g = n_args > 2 ? STR_INT(2) : 0;
    if (g < 0 || g > 9) return kl_err(err, KILN_ERR_INVALID, "Group index must be between 0 and 9!");
    if (!str_re_search(r, s, 0)) return str_set(out, i, "", 0, err);
    kl_str m = re_group(r, s, (int)g);
    return str_set(out, i, m.ptr, m.len, err);
}

STR_BIND(regexp_extract, "SSIS", KILN_TYPE_VARCHAR)
static int str_regexp_extract(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n,
                              kl_vec *out, kl_error *err) {
    KL_UNUSED(ctx);
    return str_re_run(args, n_args, n, out, 3, false, true, re_row_extract, err);
}

/*
 * Append the RE2 rewrite string with \0..\9 substituted; false when the rewrite is invalid
 * (a backslash before anything but a digit or a backslash, or a group the pattern lacks),
 * in which case DuckDB leaves the string unchanged.
 */
static int re_rewrite(const str_re *r, kl_str s, kl_str rw, kl_buf *b, bool *ok) {
    *ok = true;
    for (uint32_t k = 0; k < rw.len; k++) {
        char c = rw.ptr[k];
        if (c != '\\') {
            TRY(kl_buf_putc(b, c));
            continue;
        }
        if (k + 1 >= rw.len) return *ok = false, 0;
        char d = rw.ptr[++k];
        if (d == '\\') {
            TRY(kl_buf_putc(b, '\\'));
        } else if (d >= '0' && d <= '9') {
            int g = d - '0';
            if (g > r->n_groups) return *ok = false, 0;
            kl_str m = re_group(r, s, g);
            TRY(kl_buf_append(b, m.ptr, m.len));
        } else {
            return *ok = false, 0;
        }
    }
    return 0;
}

static int re_row_replace(str_re *r, kl_vec **args, int n_args, uint32_t i, kl_vec *out,
                          kl_error *err) {
    KL_UNUSED(n_args);
    kl_str s = STR_ARG(0), rw = STR_ARG(2);
    kl_buf *b = &r->tmp;
    kl_buf_clear(b);
    uint32_t p = 0;
    int64_t lastend = -1;
    bool ok = true;
    uint32_t count = 0;
    while (p <= s.len) {
        if (!str_re_search(r, s, p)) break;
        uint32_t so = (uint32_t)r->pm[0].rm_so, eo = (uint32_t)r->pm[0].rm_eo;
        if (p < so && kl_buf_append(b, s.ptr + p, so - p)) goto oom;
        if ((int64_t)so == lastend && so == eo) {
            /* no empty match right after the previous match: copy one character on */
            if (p < s.len) {
                uint32_t cl = str_char_len(s.ptr, s.len, p);
                if (kl_buf_append(b, s.ptr + p, cl)) goto oom;
                p += cl;
            } else {
                p++;
            }
            continue;
        }
        if (re_rewrite(r, s, rw, b, &ok)) goto oom;
        if (!ok) break;
        p = eo;
        lastend = eo;
        count++;
        if (!(r->opts & SRE_GLOBAL)) break;
    }
    if (!ok || count == 0) return str_set(out, i, s.ptr, s.len, err);
    if (p < s.len && kl_buf_append(b, s.ptr + p, s.len - p)) goto oom;
    return str_set(out, i, b->data, b->len, err);
oom:
    return kl_err(err, KILN_ERR_MEMORY, "out of memory in regexp_replace");
}

STR_BIND(regexp_replace, "SSSS", KILN_TYPE_VARCHAR)
static int str_regexp_replace(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n,
                              kl_vec *out, kl_error *err) {
    KL_UNUSED(ctx);
    return str_re_run(args, n_args, n, out, 3, true, true, re_row_replace, err);
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
    if (d.len == 0) { /* DuckDB: an empty delimiter splits into characters */
        int64_t nc = str_char_count(s.ptr, s.len);
        if (k < 0) k = nc + k + 1;
        if (k < 1 || k > nc) {
            TRY(str_set(out, i, "", 0, err));
            continue;
        }
        uint32_t b = str_char_offset(s.ptr, s.len, k - 1);
        TRY(str_set(out, i, s.ptr + b, str_char_len(s.ptr, s.len, b), err));
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
        if (need > (int64_t)STR_MAX_RESULT)
            return kl_err(err, KILN_ERR_INVALID, STR_TOO_LONG_MSG);
        int64_t fill_chars = str_char_count(fill.ptr, fill.len);
        int64_t full = need / fill_chars, rest = need % fill_chars;
        uint32_t rest_bytes = str_char_offset(fill.ptr, fill.len, rest);
        size_t pad_bytes = (size_t)full * fill.len + rest_bytes;
        if (pad_bytes + s.len > STR_MAX_RESULT)
            return kl_err(err, KILN_ERR_INVALID, STR_TOO_LONG_MSG);
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
    if ((uint64_t)k > STR_MAX_RESULT || (uint64_t)k * s.len > STR_MAX_RESULT)
        return kl_err(err, KILN_ERR_INVALID, STR_TOO_LONG_MSG);
    size_t len = (size_t)k * s.len;
    char *p = str_alloc(out, len, err);
    if (!p) return err ? err->code : KILN_ERR_MEMORY;
    for (int64_t r = 0; r < k; r++) memcpy(p + (size_t)r * s.len, s.ptr, s.len);
    VEC_STR(out)[i] = (kl_str){p, (uint32_t)len};
STR_EXEC_END

/* ---- ascii, chr, md5 -------------------------------------------------------------------- */

/* ascii(s): the code point of the first character (0 for ''). */
STR_BIND(ascii, "S", KILN_TYPE_BIGINT)
STR_EXEC_BEGIN(ascii)
    uint32_t cp = 0;
    if (s.len) {
        const unsigned char *u = (const unsigned char *)s.ptr;
        if (u[0] < 0x80 || !str_utf8_decode(u, s.len, &cp)) cp = u[0];
    }
    VEC_I64(out)[i] = cp;
STR_EXEC_END

/* chr(n): the character with code point n; DuckDB rejects negatives, surrogates, > 0x10FFFF. */
STR_BIND(chr, "I", KILN_TYPE_VARCHAR)
static int str_chr(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                   kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        int64_t c = STR_INT(0);
        if (c < 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return kl_err(err, KILN_ERR_INVALID, "Invalid UTF8 Codepoint %lld", (long long)c);
        char u[4];
        TRY(str_set(out, i, u, str_utf8_encode((uint32_t)c, u), err));
    }
    return 0;
}

/* MD5 (RFC 1321), for md5(s) -> 32 lower-case hex digits. */
static void str_md5_block(uint32_t h[4], const unsigned char *blk) {
    static const uint32_t K[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    static const uint8_t R[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                  5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    uint32_t m[16];
    for (int k = 0; k < 16; k++)
        m[k] = (uint32_t)blk[4 * k] | (uint32_t)blk[4 * k + 1] << 8 |
               (uint32_t)blk[4 * k + 2] << 16 | (uint32_t)blk[4 * k + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int k = 0; k < 64; k++) {
        uint32_t f;
        int g;
        if (k < 16) f = (b & c) | (~b & d), g = k;
        else if (k < 32) f = (d & b) | (~d & c), g = (5 * k + 1) % 16;
        else if (k < 48) f = b ^ c ^ d, g = (3 * k + 5) % 16;
        else f = c ^ (b | ~d), g = (7 * k) % 16;
        uint32_t t = d;
        d = c;
        c = b;
        uint32_t x = a + f + K[k] + m[g];
        b = b + ((x << R[k]) | (x >> (32 - R[k])));
        a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

static void str_md5_hex(const char *p, uint32_t n, char hex[32]) {
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    uint32_t k = 0;
    for (; k + 64 <= n; k += 64) str_md5_block(h, (const unsigned char *)p + k);
    unsigned char tail[128] = {0};
    uint32_t rest = n - k;
    if (rest) memcpy(tail, p + k, rest);
    tail[rest] = 0x80;
    uint32_t tl = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int b = 0; b < 8; b++) tail[tl - 8 + b] = (unsigned char)(bits >> (8 * b));
    str_md5_block(h, tail);
    if (tl == 128) str_md5_block(h, tail + 64);
    static const char digits[] = "0123456789abcdef";
    for (int w = 0; w < 4; w++)
        for (int b = 0; b < 4; b++) {
            unsigned byte = (h[w] >> (8 * b)) & 0xFF;
            hex[8 * w + 2 * b] = digits[byte >> 4];
            hex[8 * w + 2 * b + 1] = digits[byte & 15];
        }
}

STR_BIND(md5, "S", KILN_TYPE_VARCHAR)
STR_EXEC_BEGIN(md5)
    char hex[32];
    str_md5_hex(s.ptr, s.len, hex);
    TRY(str_set(out, i, hex, 32, err));
STR_EXEC_END

#define STR_DEF(name, lo, hi, fn) {name, lo, hi, str_bind_##fn, str_##fn, NULL, false, false}
#define STR_DEF2(name, lo, hi, bindfn, fn) {name, lo, hi, str_bind_##bindfn, str_##fn, NULL, false, false}
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
    STR_DEF2("regexp_full_match", 2, 3, regexp_matches, regexp_full_match),
    STR_DEF("regexp_extract", 2, 4, regexp_extract),
    STR_DEF("regexp_replace", 3, 4, regexp_replace),
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
    STR_DEF("ascii", 1, 1, ascii),
    STR_DEF("chr", 1, 1, chr),
    STR_DEF("md5", 1, 1, md5),
    {NULL, 0, 0, NULL, NULL, NULL, false, false},
};
