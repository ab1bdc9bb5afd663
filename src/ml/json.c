/*
 * json.c — a recursive-descent JSON reader into an arena tree, and escaping writers (see
 * json.h). Bounds: recursion depth <= JSON_MAX_DEPTH; arrays and objects grow by doubling
 * in a scratch list, then are copied once into the arena.
 */
#include "ml/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "util/textconv.h"

typedef struct jp {
    const char *s;
    size_t len, pos;
    kl_arena *a;
    kl_error *err;
} jp;

static int jp_fail(jp *p, const char *what) {
    return kl_err(p->err, KILN_ERR_CONVERSION, "invalid JSON: %s at offset %zu", what, p->pos);
}

static void jp_ws(jp *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int jp_value(jp *p, json_value **out, int depth);

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int jp_hex4(jp *p, uint32_t *cp) {
    if (p->pos + 4 > p->len) return jp_fail(p, "truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + i]);
        if (h < 0) return jp_fail(p, "bad \\u escape");
        v = v << 4 | (uint32_t)h;
    }
    p->pos += 4;
    *cp = v;
    return 0;
}

static size_t utf8_put(char *d, uint32_t cp) {
    if (cp < 0x80) return d[0] = (char)cp, 1;
    if (cp < 0x800) return d[0] = (char)(0xC0 | cp >> 6), d[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | cp >> 12);
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | cp >> 18);
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* at the opening quote; the unescaped bytes never exceed the escaped ones */
static int jp_string(jp *p, const char **str, size_t *len) {
    size_t start = ++p->pos, end = start;
    while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len) return jp_fail(p, "unterminated string");
    char *d = kl_arena_alloc_bytes(p->a, end - start + 1);
    if (!d) return kl_err(p->err, KILN_ERR_MEMORY, "out of memory");
    size_t n = 0;
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) return jp_fail(p, "control character in string");
        if (c != '\\') {
            d[n++] = (char)c;
            p->pos++;
            continue;
        }
        char e = p->s[++p->pos];
        p->pos++;
        switch (e) {
        case '"': d[n++] = '"'; break;
        case '\\': d[n++] = '\\'; break;
        case '/': d[n++] = '/'; break;
        case 'b': d[n++] = '\b'; break;
        case 'f': d[n++] = '\f'; break;
        case 'n': d[n++] = '\n'; break;
        case 'r': d[n++] = '\r'; break;
        case 't': d[n++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            TRY(jp_hex4(p, &cp));
            if (cp >= 0xD800 && cp < 0xDC00 && p->pos + 6 <= end && p->s[p->pos] == '\\' &&
                p->s[p->pos + 1] == 'u') {
                p->pos += 2;
                uint32_t lo;
                TRY(jp_hex4(p, &lo));
                if (lo < 0xDC00 || lo > 0xDFFF) return jp_fail(p, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xD800 && cp < 0xE000) {
                return jp_fail(p, "lone surrogate");
            }
            n += utf8_put(d + n, cp); /* at most as long as the 6- or 12-byte escape */
            break;
        }
        default: p->pos -= 2; return jp_fail(p, "bad escape");
        }
    }
    if (p->pos != end) return jp_fail(p, "bad escape at end of string");
    p->pos = end + 1;
    d[n] = '\0';
    *str = d;
    *len = n;
    return 0;
}

static int jp_number(jp *p, json_value *v) {
    size_t start = p->pos;
    bool frac = false;
    if (p->s[p->pos] == '-') p->pos++;
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') return jp_fail(p, "bad number");
    if (p->s[p->pos] == '0') p->pos++;
    else
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        frac = true;
        p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') return jp_fail(p, "bad number");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        frac = true;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') return jp_fail(p, "bad number");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    }
    char tmp[400];
    size_t n = p->pos - start;
    if (n >= sizeof tmp) return jp_fail(p, "number too long");
    memcpy(tmp, p->s + start, n);
    tmp[n] = '\0';
    v->kind = JSON_NUMBER;
    v->num = strtod(tmp, NULL);
    if (!frac) {
        errno = 0;
        long long i = strtoll(tmp, NULL, 10);
        if (errno == 0) {
            v->is_int = true;
            v->i64 = (int64_t)i;
        }
    }
    return 0;
}

static int jp_list(jp *p, json_value *v, bool object, int depth) {
    p->pos++; /* [ or { */
    size_t cap = 0, n = 0;
    json_value **items = NULL;
    const char **keys = NULL;
    int rc = 0;
    jp_ws(p);
    char close = object ? '}' : ']';
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
    } else {
        for (;;) {
            const char *key = NULL;
            size_t klen;
            jp_ws(p);
            if (object) {
                if (p->pos >= p->len || p->s[p->pos] != '"') { rc = jp_fail(p, "expected a key string"); break; }
                if ((rc = jp_string(p, &key, &klen))) break;
                jp_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':') { rc = jp_fail(p, "expected ':'"); break; }
                p->pos++;
            }
            json_value *item;
            if ((rc = jp_value(p, &item, depth + 1))) break;
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                json_value **ni = kl_realloc(items, cap * sizeof *ni);
                if (!ni) { rc = kl_err(p->err, KILN_ERR_MEMORY, "out of memory"); break; }
                items = ni;
                if (object) {
                    const char **nk = kl_realloc(keys, cap * sizeof *nk);
                    if (!nk) { rc = kl_err(p->err, KILN_ERR_MEMORY, "out of memory"); break; }
                    keys = nk;
                }
            }
            items[n] = item;
            if (object) keys[n] = key;
            n++;
            jp_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; continue; }
            if (p->pos < p->len && p->s[p->pos] == close) { p->pos++; break; }
            rc = jp_fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
            break;
        }
    }
    if (!rc && n > UINT32_MAX) rc = jp_fail(p, "too many items");
    if (!rc) {
        v->kind = object ? JSON_OBJECT : JSON_ARRAY;
        v->n = (uint32_t)n;
        if (n) {
            v->items = kl_arena_alloc(p->a, n * sizeof *v->items);
            if (object) v->keys = kl_arena_alloc(p->a, n * sizeof *v->keys);
            if (!v->items || (object && !v->keys)) rc = kl_err(p->err, KILN_ERR_MEMORY, "out of memory");
            else {
                memcpy(v->items, items, n * sizeof *items);
                if (object) memcpy(v->keys, keys, n * sizeof *keys);
            }
        }
    }
    kl_free(items);
    kl_free((void *)keys);
    return rc;
}

static int jp_word(jp *p, const char *w, json_kind kind, json_value *v) {
    size_t n = strlen(w);
    if (p->pos + n > p->len || memcmp(p->s + p->pos, w, n) != 0) return jp_fail(p, "unexpected character");
    p->pos += n;
    v->kind = kind;
    return 0;
}

static int jp_value(jp *p, json_value **out, int depth) {
    if (depth > JSON_MAX_DEPTH) return jp_fail(p, "nesting too deep");
    jp_ws(p);
    if (p->pos >= p->len) return jp_fail(p, "unexpected end of text");
    json_value *v = kl_arena_calloc(p->a, sizeof *v);
    if (!v) return kl_err(p->err, KILN_ERR_MEMORY, "out of memory");
    *out = v;
    char c = p->s[p->pos];
    switch (c) {
    case '{': return jp_list(p, v, true, depth);
    case '[': return jp_list(p, v, false, depth);
    case '"': v->kind = JSON_STRING; return jp_string(p, &v->str, &v->len);
    case 't': return jp_word(p, "true", JSON_TRUE, v);
    case 'f': return jp_word(p, "false", JSON_FALSE, v);
    case 'n': return jp_word(p, "null", JSON_NULL, v);
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return jp_number(p, v);
        return jp_fail(p, "unexpected character");
    }
}

int json_parse(const char *text, size_t len, kl_arena *a, json_value **out, kl_error *err) {
    jp p = {text, len, 0, a, err};
    TRY(jp_value(&p, out, 0));
    jp_ws(&p);
    if (p.pos != len) return jp_fail(&p, "text after the value");
    return 0;
}

const json_value *json_get(const json_value *v, const char *key) {
    if (!v || v->kind != JSON_OBJECT) return NULL;
    for (uint32_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0) return v->items[i];
    return NULL;
}

int json_put_double(kl_buf *b, double v) {
    if (!isfinite(v)) return kl_buf_puts(b, "null");
    char tmp[48];
    size_t n = kl_format_double(v, tmp);
    return kl_buf_append(b, tmp, n);
}

int json_put_key(kl_buf *b, const char *key, bool first) {
    if (!first) TRY(kl_buf_putc(b, ','));
    TRY(kl_buf_put_json_str(b, key, strlen(key)));
    return kl_buf_putc(b, ':');
}
