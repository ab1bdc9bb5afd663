/*
 * kiln_json.c — a tiny JSON-lines driver for kiln, used by the differential test
 * (tests/diff/difftest.mjs). Uses only the public API (include/kiln.h).
 *
 * Protocol: one statement per stdin line. A line that starts with '"' is a JSON string
 * literal (escapes \" \\ \/ \b \f \n \r \t \uXXXX decoded); any other line is SQL as is.
 * Empty lines are ignored. For every statement one line is written to stdout and flushed:
 *   {"ok":true,"columns":[...],"types":[...],"rows":[[...],...]}
 *   {"ok":false,"error":"..."}
 * Values: BIGINT as JSON integers, DOUBLE with %.17g ("inf", "-inf", "nan" as strings),
 * BOOLEAN true/false, VARCHAR escaped, DATE/TIMESTAMP as text (kiln_result_get_text),
 * NULL as null. All statements run on one database handle.
 */
#include "kiln.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_json_string(FILE *out, const char *s, size_t len) {
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
            else fputc(c, out);
        }
    }
    fputc('"', out);
}

static void put_cstr(FILE *out, const char *s) { put_json_string(out, s ? s : "", s ? strlen(s) : 0); }

/* Append a code point as UTF-8. */
static size_t put_utf8(char *dst, unsigned cp) {
    if (cp < 0x80) { dst[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int hex4(const char *p, unsigned *v) {
    unsigned r = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        r <<= 4;
        if (c >= '0' && c <= '9') r |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') r |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') r |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *v = r;
    return 0;
}

/* Decode a JSON string literal in place (line starts with '"'). Returns 0 or -1. */
static int decode_json_line(char *line) {
    const char *p = line + 1;
    char *w = line;
    while (*p && *p != '"') {
        if (*p != '\\') { *w++ = *p++; continue; }
        p++;
        switch (*p) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned cp;
            if (hex4(p + 1, &cp)) return -1;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
                unsigned lo;
                if (hex4(p + 3, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            /* the encoded form is never longer than the escape it replaces */
            w += put_utf8(w, cp);
            break;
        }
        default: return -1;
        }
        p++;
    }
    if (*p != '"') return -1;
    *w = '\0';
    return 0;
}

static void put_value(FILE *out, const kiln_result *res, size_t r, size_t c, kiln_type t,
                      char **tbuf, size_t *tcap) {
    if (t == KILN_TYPE_NULL || kiln_result_is_null(res, r, c)) {
        fputs("null", out);
        return;
    }
    switch (t) {
    case KILN_TYPE_BOOLEAN: fputs(kiln_result_get_bool(res, r, c) ? "true" : "false", out); break;
    case KILN_TYPE_BIGINT: fprintf(out, "%lld", (long long)kiln_result_get_int64(res, r, c)); break;
    case KILN_TYPE_DOUBLE: {
        double d = kiln_result_get_double(res, r, c);
        if (isnan(d)) fputs("\"nan\"", out);
        else if (isinf(d)) fputs(d > 0 ? "\"inf\"" : "\"-inf\"", out);
        else fprintf(out, "%.17g", d);
        break;
    }
    case KILN_TYPE_VARCHAR: {
        size_t len = 0;
        const char *s = kiln_result_get_varchar(res, r, c, &len);
        put_json_string(out, s ? s : "", s ? len : 0);
        break;
    }
    default: {
        size_t need = kiln_result_get_text(res, r, c, *tbuf, *tcap);
        if (need + 1 > *tcap) {
            size_t ncap = need + 64;
            char *nb = realloc(*tbuf, ncap);
            if (!nb) { fputs("null", out); return; }
            *tbuf = nb;
            *tcap = ncap;
            need = kiln_result_get_text(res, r, c, *tbuf, *tcap);
        }
        put_json_string(out, *tbuf, need < *tcap ? need : *tcap - 1);
        break;
    }
    }
}

int main(void) {
    kiln_db *db = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_open(&db, &err) != 0) {
        fprintf(stderr, "kiln_json: kiln_open failed: %s\n", err.message);
        return 1;
    }
    size_t cap = 1 << 16, tcap = 256;
    char *line = malloc(cap);
    char *tbuf = malloc(tcap);
    if (!line || !tbuf) return 1;
    FILE *out = stdout;
    for (;;) {
        /* read one line of any length */
        size_t len = 0;
        int ch = EOF;
        while ((ch = getchar()) != EOF && ch != '\n') {
            if (len + 2 > cap) {
                char *nl = realloc(line, cap * 2);
                if (!nl) return 1;
                line = nl;
                cap *= 2;
            }
            line[len++] = (char)ch;
        }
        if (len == 0 && ch == EOF) break;
        line[len] = '\0';
        if (len && line[len - 1] == '\r') line[--len] = '\0';
        if (len == 0) continue;
        if (line[0] == '"' && decode_json_line(line) != 0) {
            fputs("{\"ok\":false,\"error\":\"kiln_json: bad JSON string line\"}\n", out);
            fflush(out);
            continue;
        }
        kiln_result *res = NULL;
        kiln_error_clear(&err);
        if (kiln_exec(db, line, &res, &err) != 0) {
            fputs("{\"ok\":false,\"error\":", out);
            put_cstr(out, err.message[0] ? err.message : "unknown error");
            fputs("}\n", out);
            fflush(out);
            kiln_result_free(res);
            continue;
        }
        size_t ncol = res ? kiln_result_column_count(res) : 0;
        size_t nrow = res ? kiln_result_row_count(res) : 0;
        fputs("{\"ok\":true,\"columns\":[", out);
        for (size_t c = 0; c < ncol; c++) {
            if (c) fputc(',', out);
            put_cstr(out, kiln_result_column_name(res, c));
        }
        fputs("],\"types\":[", out);
        kiln_type *types = malloc((ncol ? ncol : 1) * sizeof *types);
        if (!types) return 1;
        for (size_t c = 0; c < ncol; c++) {
            if (c) fputc(',', out);
            types[c] = kiln_result_column_type(res, c);
            put_cstr(out, kiln_type_name(types[c]));
        }
        fputs("],\"rows\":[", out);
        for (size_t r = 0; r < nrow; r++) {
            if (r) fputc(',', out);
            fputc('[', out);
            for (size_t c = 0; c < ncol; c++) {
                if (c) fputc(',', out);
                put_value(out, res, r, c, types[c], &tbuf, &tcap);
            }
            fputc(']', out);
        }
        fputs("]}\n", out);
        fflush(out);
        free(types);
        kiln_result_free(res);
    }
    free(line);
    free(tbuf);
    kiln_close(db);
    return 0;
}
