/*
 * format.c — render a kiln_result in the four output formats of the kiln command.
 *
 * API: cli_format_parse() / cli_format_name() map names to cli_format; cli_print_result()
 * prints one result. Every value is read through the public API only: kiln_result_is_null()
 * and kiln_result_get_text() (kiln's canonical text: shortest round-trip doubles, ISO dates),
 * plus kiln_result_get_bool() for JSON booleans.
 *
 * Formats:
 *   table     DuckDB's "duckbox": box-drawing frame, a name row and a lower-case type row,
 *             numbers right-aligned, NULL shown as NULL, control characters escaped, cells
 *             longer than CELL_MAX_WIDTH cut with "…". More than TABLE_MAX_ROWS rows: the
 *             first and last TABLE_MAX_ROWS/2 rows, a "…" row, and a footer "N rows (40 shown)";
 *             an empty result has the footer "0 rows".
 *   csv       header row, RFC 4180 quoting (fields holding , " CR or LF are quoted, quotes
 *             doubled), NULL is an empty field, an empty string is "" so it stays distinct.
 *   json      one JSON array, one object per row and line, like DuckDB's json mode:
 *             [{"a":1,"b":"x"},\n{"a":2,"b":"y"}] ; numbers and booleans bare, NULL null,
 *             non-finite doubles as strings; an empty result prints [].
 *   markdown  a GitHub pipe table, padded, numbers right-aligned (---:), '|' escaped, NULL as NULL.
 * Why the table keeps only 40 rows in memory: a terminal is for looking, and the other formats
 * stream row by row, so printing a billion-row result never holds more than one cell of text.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { TABLE_MAX_ROWS = 40, CELL_MAX_WIDTH = 50 };

static const char *const format_names[] = {"table", "csv", "json", "markdown"};

bool cli_format_parse(const char *name, cli_format *format) {
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *format = (cli_format)i;
            return true;
        }
    }
    return false;
}

const char *cli_format_name(cli_format format) { return format_names[format]; }

/* ---- a growable text buffer, reused for every cell ---- */

typedef struct text_buf {
    char *data;
    size_t len;
    size_t cap;
} text_buf;

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("kiln: error: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

static void buf_reserve(text_buf *b, size_t need) {
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

static void buf_putc(text_buf *b, char c) {
    buf_reserve(b, b->len + 2);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

static void buf_puts(text_buf *b, const char *s) {
    size_t n = strlen(s);
    buf_reserve(b, b->len + n + 1);
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

/* Fetch the text of one cell into b (replacing its contents). NULL gives "". */
static const char *cell_text(const kiln_result *res, size_t row, size_t col, text_buf *b) {
    buf_reserve(b, 64);
    size_t need = kiln_result_get_text(res, row, col, b->data, b->cap);
    if (need >= b->cap) {
        buf_reserve(b, need + 1);
        kiln_result_get_text(res, row, col, b->data, b->cap);
    }
    b->len = need;
    return b->data;
}

static bool type_is_numeric(kiln_type t) { return t == KILN_TYPE_BIGINT || t == KILN_TYPE_DOUBLE; }

/* Display width of UTF-8 text: one column per code point (continuation bytes do not count). */
static size_t utf8_width(const char *s) {
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void put_repeat(FILE *out, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) fputs(s, out);
}

/* Escape control characters for one-line display; in markdown also escape '|'. */
static char *display_copy(const char *s, bool markdown) {
    text_buf b = {0};
    buf_reserve(&b, strlen(s) + 1);
    b.data[0] = '\0';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n') buf_puts(&b, "\\n");
        else if (*p == '\r') buf_puts(&b, "\\r");
        else if (*p == '\t') buf_puts(&b, "\\t");
        else if (*p < 0x20 || *p == 0x7F) buf_putc(&b, '?');
        else if (markdown && *p == '|') buf_puts(&b, "\\|");
        else buf_putc(&b, (char)*p);
    }
    return b.data;
}

/* Cut a display string to at most max columns, ending it with "…" when cut. */
static char *truncate_width(char *s, size_t max) {
    if (utf8_width(s) <= max) return s;
    size_t cols = 0, i = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (cols == max - 1) break;
            cols++;
        }
    }
    s = xrealloc(s, i + sizeof "…");
    memcpy(s + i, "…", sizeof "…");
    return s;
}

/* ---- table (duckbox) ---- */

static void print_padded(FILE *out, const char *s, size_t width, int align /* -1 l, 0 c, 1 r */) {
    size_t w = utf8_width(s);
    size_t pad = width > w ? width - w : 0;
    size_t left = align < 0 ? 0 : align > 0 ? pad : pad / 2;
    put_repeat(out, " ", left);
    fputs(s, out);
    put_repeat(out, " ", pad - left);
}

static void print_rule(FILE *out, const size_t *widths, size_t n_cols, const char *l, const char *m,
                       const char *r) {
    fputs(l, out);
    for (size_t c = 0; c < n_cols; c++) {
        if (c) fputs(m, out);
        put_repeat(out, "─", widths[c] + 2);
    }
    fputs(r, out);
    fputc('\n', out);
}

static void print_table(FILE *out, const kiln_result *res) {
    size_t n_cols = kiln_result_column_count(res);
    size_t n_rows = kiln_result_row_count(res);
    bool cut = n_rows > TABLE_MAX_ROWS;
    size_t n_shown = cut ? TABLE_MAX_ROWS : n_rows;
    size_t head = cut ? TABLE_MAX_ROWS / 2 : n_rows;

    char **cells = calloc(n_shown * n_cols + 1, sizeof *cells);
    char **types = calloc(n_cols, sizeof *types);
    size_t *widths = calloc(n_cols, sizeof *widths);
    if (!cells || !types || !widths) {
        fputs("kiln: error: out of memory\n", stderr);
        exit(1);
    }
    text_buf tb = {0};
    for (size_t c = 0; c < n_cols; c++) {
        const char *tn = kiln_type_name(kiln_result_column_type(res, c));
        types[c] = display_copy(tn ? tn : "", false);
        for (char *p = types[c]; *p; p++) *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
        size_t wn = utf8_width(kiln_result_column_name(res, c));
        size_t wt = utf8_width(types[c]);
        widths[c] = wn > wt ? wn : wt;
    }
    for (size_t i = 0; i < n_shown; i++) {
        size_t row = i < head ? i : n_rows - (n_shown - i);
        for (size_t c = 0; c < n_cols; c++) {
            char *s = kiln_result_is_null(res, row, c) ? display_copy("NULL", false)
                                                       : display_copy(cell_text(res, row, c, &tb), false);
            s = truncate_width(s, CELL_MAX_WIDTH);
            size_t w = utf8_width(s);
            if (w > widths[c]) widths[c] = w;
            cells[i * n_cols + c] = s;
        }
    }

    char footer[96] = "";
    if (cut) snprintf(footer, sizeof footer, "%zu rows (%zu shown)", n_rows, n_shown);
    else if (n_rows == 0) snprintf(footer, sizeof footer, "0 rows");
    if (footer[0]) {
        size_t inner = 0;
        for (size_t c = 0; c < n_cols; c++) inner += widths[c] + 2;
        inner += n_cols - 1;
        size_t need = strlen(footer) + 2;
        if (need > inner) widths[n_cols - 1] += need - inner;
    }

    print_rule(out, widths, n_cols, "┌", "┬", "┐");
    for (int pass = 0; pass < 2; pass++) {
        fputs("│", out);
        for (size_t c = 0; c < n_cols; c++) {
            if (c) fputs("│", out);
            fputc(' ', out);
            char *name = display_copy(kiln_result_column_name(res, c), false);
            print_padded(out, pass == 0 ? name : types[c], widths[c], 0);
            free(name);
            fputc(' ', out);
        }
        fputs("│\n", out);
    }
    if (n_shown > 0) print_rule(out, widths, n_cols, "├", "┼", "┤");
    for (size_t i = 0; i < n_shown; i++) {
        if (cut && i == head) {
            fputs("│", out);
            for (size_t c = 0; c < n_cols; c++) {
                if (c) fputs("│", out);
                fputc(' ', out);
                print_padded(out, "…", widths[c], 0);
                fputc(' ', out);
            }
            fputs("│\n", out);
        }
        fputs("│", out);
        for (size_t c = 0; c < n_cols; c++) {
            if (c) fputs("│", out);
            fputc(' ', out);
            print_padded(out, cells[i * n_cols + c], widths[c],
                         type_is_numeric(kiln_result_column_type(res, c)) ? 1 : -1);
            fputc(' ', out);
        }
        fputs("│\n", out);
    }
    if (footer[0]) {
        print_rule(out, widths, n_cols, "├", "┴", "┤");
        size_t inner = 0;
        for (size_t c = 0; c < n_cols; c++) inner += widths[c] + 2;
        inner += n_cols - 1;
        fputs("│ ", out);
        print_padded(out, footer, inner - 2, -1);
        fputs(" │\n", out);
        fputs("└", out);
        put_repeat(out, "─", inner);
        fputs("┘\n", out);
    } else {
        print_rule(out, widths, n_cols, "└", "┴", "┘");
    }

    for (size_t i = 0; i < n_shown * n_cols; i++) free(cells[i]);
    for (size_t c = 0; c < n_cols; c++) free(types[c]);
    free(cells);
    free(types);
    free(widths);
    free(tb.data);
}

/* ---- csv ---- */

static void csv_field(FILE *out, const char *s, size_t len, bool quote_empty) {
    bool quote = len == 0 ? quote_empty : strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        fwrite(s, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

static void print_csv(FILE *out, const kiln_result *res) {
    size_t n_cols = kiln_result_column_count(res);
    size_t n_rows = kiln_result_row_count(res);
    for (size_t c = 0; c < n_cols; c++) {
        if (c) fputc(',', out);
        const char *name = kiln_result_column_name(res, c);
        csv_field(out, name, strlen(name), true);
    }
    fputc('\n', out);
    text_buf tb = {0};
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t c = 0; c < n_cols; c++) {
            if (c) fputc(',', out);
            if (kiln_result_is_null(res, r, c)) continue;
            cell_text(res, r, c, &tb);
            csv_field(out, tb.data, tb.len, kiln_result_column_type(res, c) == KILN_TYPE_VARCHAR ||
                                                kiln_result_column_type(res, c) == KILN_TYPE_MODEL);
        }
        fputc('\n', out);
    }
    free(tb.data);
}

/* ---- json ---- */

static void json_string(FILE *out, const char *s, size_t len) {
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (ch < 0x20) fprintf(out, "\\u%04x", ch);
            else fputc((char)ch, out);
        }
    }
    fputc('"', out);
}

/* A number JSON accepts: no nan/inf/infinity spellings. */
static bool json_number_ok(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!strchr("0123456789+-.eE", *s)) return false;
    return true;
}

static void print_json(FILE *out, const kiln_result *res) {
    size_t n_cols = kiln_result_column_count(res);
    size_t n_rows = kiln_result_row_count(res);
    if (n_rows == 0) {
        fputs("[]\n", out);
        return;
    }
    text_buf tb = {0};
    fputc('[', out);
    for (size_t r = 0; r < n_rows; r++) {
        if (r) fputs(",\n", out);
        fputc('{', out);
        for (size_t c = 0; c < n_cols; c++) {
            if (c) fputc(',', out);
            const char *name = kiln_result_column_name(res, c);
            json_string(out, name, strlen(name));
            fputc(':', out);
            kiln_type t = kiln_result_column_type(res, c);
            if (kiln_result_is_null(res, r, c) || t == KILN_TYPE_NULL) {
                fputs("null", out);
            } else if (t == KILN_TYPE_BOOLEAN) {
                fputs(kiln_result_get_bool(res, r, c) ? "true" : "false", out);
            } else {
                cell_text(res, r, c, &tb);
                /* a model's text is a JSON object: written as one, not as a string */
                if ((type_is_numeric(t) && json_number_ok(tb.data)) || t == KILN_TYPE_MODEL)
                    fwrite(tb.data, 1, tb.len, out);
                else json_string(out, tb.data, tb.len);
            }
        }
        fputc('}', out);
    }
    fputs("]\n", out);
    free(tb.data);
}

/* ---- markdown ---- */

static void print_markdown(FILE *out, const kiln_result *res) {
    size_t n_cols = kiln_result_column_count(res);
    size_t n_rows = kiln_result_row_count(res);
    size_t *widths = calloc(n_cols, sizeof *widths);
    if (!widths) {
        fputs("kiln: error: out of memory\n", stderr);
        exit(1);
    }
    text_buf tb = {0};
    /* Pass 1: widths (the text of each cell is fetched twice so nothing is stored). */
    for (size_t c = 0; c < n_cols; c++) {
        char *s = display_copy(kiln_result_column_name(res, c), true);
        widths[c] = utf8_width(s) < 3 ? 3 : utf8_width(s);
        free(s);
    }
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t c = 0; c < n_cols; c++) {
            char *s = display_copy(kiln_result_is_null(res, r, c) ? "NULL" : cell_text(res, r, c, &tb), true);
            if (utf8_width(s) > widths[c]) widths[c] = utf8_width(s);
            free(s);
        }
    }
    /* Pass 2: print. */
    fputc('|', out);
    for (size_t c = 0; c < n_cols; c++) {
        char *s = display_copy(kiln_result_column_name(res, c), true);
        fputc(' ', out);
        print_padded(out, s, widths[c], -1);
        fputs(" |", out);
        free(s);
    }
    fputs("\n|", out);
    for (size_t c = 0; c < n_cols; c++) {
        bool right = type_is_numeric(kiln_result_column_type(res, c));
        put_repeat(out, "-", widths[c] + (right ? 1 : 2));
        fputs(right ? ":|" : "|", out);
    }
    fputc('\n', out);
    for (size_t r = 0; r < n_rows; r++) {
        fputc('|', out);
        for (size_t c = 0; c < n_cols; c++) {
            char *s = display_copy(kiln_result_is_null(res, r, c) ? "NULL" : cell_text(res, r, c, &tb), true);
            fputc(' ', out);
            print_padded(out, s, widths[c], type_is_numeric(kiln_result_column_type(res, c)) ? 1 : -1);
            fputs(" |", out);
            free(s);
        }
        fputc('\n', out);
    }
    free(widths);
    free(tb.data);
}

void cli_print_result(FILE *out, const kiln_result *res, cli_format format) {
    if (!res || kiln_result_column_count(res) == 0) return;
    switch (format) {
    case CLI_FORMAT_TABLE: print_table(out, res); break;
    case CLI_FORMAT_CSV: print_csv(out, res); break;
    case CLI_FORMAT_JSON: print_json(out, res); break;
    case CLI_FORMAT_MARKDOWN: print_markdown(out, res); break;
    }
}
