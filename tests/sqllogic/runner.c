/*
 * runner.c — `sqllogictest`: runs SQL logic test files (DuckDB's dialect) against kiln,
 * through the public API only (include/kiln.h).
 *
 * Usage: sqllogictest [--threads N] [--verbose] FILE_OR_GLOB...
 *
 * File format: lines starting with '#' are comments; records are separated by blank lines.
 *   statement ok                SQL lines follow; must succeed
 *   statement error             SQL lines, optionally "----" and expected message lines;
 *                               must fail, and the message (or its rendering) must contain
 *                               the expected text (lines joined with '\n')
 *   query <letters> [nosort|rowsort|valuesort] [label]
 *                               SQL lines, "----", expected rows (values separated by TAB;
 *                               NULL is "NULL", the empty string "(empty)"). One letter per
 *                               column; 'R' columns compare with relative tolerance 1e-9.
 *                               Expected values may also be listed one per line.
 *   halt                        stop this file
 *   mode skip / mode unskip     skip the records in between
 *   require ..., load ...       ignored
 * The token __TEST_DIR__ in SQL (and in expected text) is replaced by a fresh temporary
 * directory per file, removed afterwards. Each file runs in a fresh database.
 *
 * Algorithm: read a file into memory, split it into lines, walk the records in order,
 * execute each and compare; every failure prints file:line, the SQL, and expected vs actual
 * (first 20 lines each). At the end "N passed, M failed" (records) and exit status 1 if any
 * failed. Malformed records are failures reported at their line, never crashes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiln.h"

#define SLT_SHOW_LINES 20

typedef struct {
    char **v;
    size_t n, cap;
} strvec;

typedef struct {
    const char *threads; /* NULL = default */
    bool verbose;
    long passed, failed;
} slt_opts;

typedef struct {
    const char *path;
    char *test_dir;
    kiln_db *db;
    slt_opts *opts;
} slt_file;

/* ---- small helpers ---------------------------------------------------------------------- */

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "sqllogictest: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrndup(const char *s, size_t n) {
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

static void sv_push(strvec *sv, char *s) {
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 16;
        char **nv = realloc(sv->v, sv->cap * sizeof *nv);
        if (!nv) {
            fprintf(stderr, "sqllogictest: out of memory\n");
            exit(2);
        }
        sv->v = nv;
    }
    sv->v[sv->n++] = s;
}

static void sv_free(strvec *sv) {
    for (size_t i = 0; i < sv->n; i++) free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

static bool is_blank(const char *s) {
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

/* Join lines [from, to) with sep into a new string. */
static char *join_lines(char *const *lines, size_t from, size_t to, const char *sep) {
    size_t len = 0, seplen = strlen(sep);
    for (size_t i = from; i < to; i++) len += strlen(lines[i]) + seplen;
    char *s = xmalloc(len + 1), *p = s;
    for (size_t i = from; i < to; i++) {
        if (i > from) {
            memcpy(p, sep, seplen);
            p += seplen;
        }
        size_t l = strlen(lines[i]);
        memcpy(p, lines[i], l);
        p += l;
    }
    *p = 0;
    return s;
}

/* Replace every __TEST_DIR__ in s with dir; returns a new string. */
static char *substitute(const char *s, const char *dir) {
    static const char token[] = "__TEST_DIR__";
    size_t tl = sizeof token - 1, dl = strlen(dir), count = 0;
    for (const char *p = s; (p = strstr(p, token)); p += tl) count++;
    char *out = xmalloc(strlen(s) + count * (dl > tl ? dl - tl : 0) + 1), *o = out;
    const char *p = s, *q;
    while ((q = strstr(p, token))) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, dir, dl);
        o += dl;
        p = q + tl;
    }
    strcpy(o, p);
    return out;
}

/* Split s on whitespace into at most max tokens (pointers into the modified s). */
static size_t tokenize(char *s, char **tok, size_t max) {
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, " \t", &save); t && n < max; t = strtok_r(NULL, " \t", &save)) tok[n++] = t;
    return n;
}

static void print_block(const char *title, char *const *lines, size_t n) {
    printf("%s (%zu line%s):\n", title, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < SLT_SHOW_LINES; i++) printf("    %s\n", lines[i]);
    if (n > SLT_SHOW_LINES) printf("    ... (%zu more)\n", n - SLT_SHOW_LINES);
}

/* Print text line by line, each line indented by four spaces. */
static void print_indented(const char *text) {
    const char *p = text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        printf("    %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
        if (!nl) break;
        p = nl + 1;
    }
}

static void print_sql(const char *sql) {
    printf("  SQL:\n");
    print_indented(sql);
}

static void fail_header(slt_file *f, size_t line, const char *what) {
    f->opts->failed++;
    printf("FAIL %s:%zu: %s\n", f->path, line, what);
}

/* Render an error record the way kiln prints it. */
static char *render_error(const kiln_error *err, const char *sql) {
    char small[1];
    size_t need = kiln_error_render(err, sql, small, sizeof small);
    char *buf = xmalloc(need + 1);
    kiln_error_render(err, sql, buf, need + 1);
    buf[need] = 0;
    return buf;
}

static void print_error(const kiln_error *err, const char *sql) {
    char *r = render_error(err, sql);
    printf("  error:\n");
    print_indented(r);
    free(r);
}

/* ---- value comparison ------------------------------------------------------------------- */

static bool parse_double_full(const char *s, double *out) {
    if (!*s) return false;
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return *end == 0;
}

static bool values_equal(const char *a, const char *b, bool real) {
    if (strcmp(a, b) == 0) return true;
    if (!real) return false;
    double x, y;
    if (!parse_double_full(a, &x) || !parse_double_full(b, &y)) return false;
    if (isnan(x) || isnan(y)) return isnan(x) && isnan(y);
    if (x == y) return true;
    return fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y));
}

/* A result table: n_rows x n_cols values (owned strings). */
typedef struct {
    size_t n_rows, n_cols;
    char **vals;
} table;

static void table_free(table *t) {
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++) free(t->vals[i]);
    free(t->vals);
    t->vals = NULL;
}

static char *row_text(const table *t, size_t r) {
    return join_lines(t->vals + r * t->n_cols, 0, t->n_cols, "\t");
}

static char *result_value(const kiln_result *res, size_t row, size_t col) {
    if (kiln_result_is_null(res, row, col)) return xstrdup("NULL");
    char buf[256];
    size_t need = kiln_result_get_text(res, row, col, buf, sizeof buf);
    char *s;
    if (need < sizeof buf) {
        s = xstrndup(buf, need);
    } else {
        s = xmalloc(need + 1);
        kiln_result_get_text(res, row, col, s, need + 1);
        s[need] = 0;
    }
    if (!*s) {
        free(s);
        return xstrdup("(empty)");
    }
    return s;
}

static void result_table(const kiln_result *res, table *t) {
    t->n_rows = kiln_result_row_count(res);
    t->n_cols = kiln_result_column_count(res);
    t->vals = xmalloc(t->n_rows * t->n_cols * sizeof *t->vals);
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t c = 0; c < t->n_cols; c++) t->vals[r * t->n_cols + c] = result_value(res, r, c);
}

/* Expected lines to a table of n_cols columns. Returns false when the shape does not fit
 * (row mode: each line has n_cols TAB-separated values; value mode: one value per line). */
static bool expected_table(char *const *lines, size_t n_lines, size_t n_cols, table *t) {
    bool rows_fit = true, values_fit = n_cols > 1 && n_lines % n_cols == 0;
    for (size_t i = 0; i < n_lines; i++) {
        size_t fields = 1;
        for (const char *p = lines[i]; *p; p++) fields += *p == '\t';
        if (fields != n_cols) rows_fit = false;
        if (fields != 1) values_fit = false;
    }
    t->n_cols = n_cols;
    if (rows_fit) {
        t->n_rows = n_lines;
        t->vals = xmalloc(n_lines * n_cols * sizeof *t->vals);
        for (size_t i = 0; i < n_lines; i++) {
            const char *p = lines[i];
            for (size_t c = 0; c < n_cols; c++) {
                const char *tab = strchr(p, '\t');
                size_t len = tab ? (size_t)(tab - p) : strlen(p);
                t->vals[i * n_cols + c] = xstrndup(p, len);
                p = tab ? tab + 1 : p + len;
            }
        }
        return true;
    }
    if (values_fit) {
        t->n_rows = n_lines / n_cols;
        t->vals = xmalloc(n_lines * sizeof *t->vals);
        for (size_t i = 0; i < n_lines; i++) t->vals[i] = xstrdup(lines[i]);
        return true;
    }
    t->n_rows = 0;
    t->vals = NULL;
    return false;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rows compared by their text, column by column (rows have equal widths). */
static size_t g_sort_cols;
static int cmp_row(const void *a, const void *b) {
    char *const *x = a, *const *y = b;
    for (size_t c = 0; c < g_sort_cols; c++) {
        int r = strcmp(x[c], y[c]);
        if (r) return r;
    }
    return 0;
}

static void table_sort(table *t, const char *mode) {
    if (t->n_cols == 0 || t->n_rows < 2) return;
    if (strcmp(mode, "rowsort") == 0) {
        /* rows are contiguous runs of n_cols pointers: sort them as blocks */
        g_sort_cols = t->n_cols;
        qsort(t->vals, t->n_rows, t->n_cols * sizeof *t->vals, cmp_row);
    } else if (strcmp(mode, "valuesort") == 0) {
        qsort(t->vals, t->n_rows * t->n_cols, sizeof *t->vals, cmp_str);
    }
}

static void table_lines(const table *t, strvec *out) {
    for (size_t r = 0; r < t->n_rows; r++) sv_push(out, row_text(t, r));
}

/* ---- records ---------------------------------------------------------------------------- */

static void run_statement(slt_file *f, size_t line, const char *sql, bool expect_error,
                          char *const *msg_lines, size_t n_msg) {
    kiln_result *res = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    int rc = kiln_exec(f->db, sql, &res, &err);
    kiln_result_free(res);
    if (!expect_error) {
        if (rc == 0) {
            f->opts->passed++;
            return;
        }
        fail_header(f, line, "statement failed");
        print_sql(sql);
        print_error(&err, sql);
        return;
    }
    if (rc == 0) {
        fail_header(f, line, "statement should have failed but succeeded");
        print_sql(sql);
        return;
    }
    if (n_msg == 0) {
        f->opts->passed++;
        return;
    }
    char *raw = join_lines(msg_lines, 0, n_msg, "\n");
    char *expected = substitute(raw, f->test_dir);
    free(raw);
    char *rendered = render_error(&err, sql);
    bool ok = strstr(err.message, expected) || strstr(rendered, expected);
    if (ok) {
        f->opts->passed++;
    } else {
        fail_header(f, line, "error message does not contain the expected text");
        print_sql(sql);
        printf("  expected message containing:\n");
        print_indented(expected);
        printf("  actual:\n");
        print_indented(rendered);
    }
    free(rendered);
    free(expected);
}

static void run_query(slt_file *f, size_t line, const char *sql, const char *letters,
                      const char *sort_mode, bool has_results, char *const *exp_lines,
                      size_t n_exp) {
    kiln_result *res = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_exec(f->db, sql, &res, &err) != 0) {
        fail_header(f, line, "query failed");
        print_sql(sql);
        print_error(&err, sql);
        return;
    }
    if (!has_results) { /* no "----": the query only has to run */
        kiln_result_free(res);
        f->opts->passed++;
        return;
    }
    size_t n_cols = strlen(letters);
    table actual = {0}, expected = {0};
    if (res) result_table(res, &actual);
    kiln_result_free(res);
    strvec exp_sub = {0};
    for (size_t i = 0; i < n_exp; i++) sv_push(&exp_sub, substitute(exp_lines[i], f->test_dir));

    const char *why = NULL;
    size_t bad_row = 0, bad_col = 0; /* 1-based position of the first differing value */
    bool real_any = strchr(letters, 'R') != NULL;
    if (actual.n_cols != n_cols) {
        why = "wrong number of columns";
    } else if (!expected_table(exp_sub.v, exp_sub.n, n_cols, &expected)) {
        why = "expected rows do not have the declared number of columns";
    } else {
        table_sort(&actual, sort_mode);
        table_sort(&expected, sort_mode);
        if (actual.n_rows != expected.n_rows) {
            why = "wrong number of rows";
        } else {
            bool value_mode = strcmp(sort_mode, "valuesort") == 0;
            for (size_t i = 0; i < actual.n_rows * n_cols && !why; i++) {
                bool real = value_mode ? real_any : letters[i % n_cols] == 'R';
                if (!values_equal(actual.vals[i], expected.vals[i], real)) {
                    why = "wrong result";
                    bad_row = i / n_cols + 1;
                    bad_col = i % n_cols + 1;
                }
            }
        }
    }
    if (why) {
        char msg[128];
        if (actual.n_cols != n_cols)
            snprintf(msg, sizeof msg, "%s (declared %zu, got %zu)", why, n_cols, actual.n_cols);
        else if (bad_row)
            snprintf(msg, sizeof msg, "%s (first difference: row %zu, column %zu%s)", why, bad_row,
                     bad_col, strcmp(sort_mode, "nosort") ? ", after sorting" : "");
        else if (actual.n_rows != expected.n_rows && expected.vals)
            snprintf(msg, sizeof msg, "%s (expected %zu, got %zu)", why, expected.n_rows, actual.n_rows);
        else
            snprintf(msg, sizeof msg, "%s", why);
        fail_header(f, line, msg);
        print_sql(sql);
        print_block("  expected", exp_sub.v, exp_sub.n);
        strvec act_lines = {0};
        table_lines(&actual, &act_lines);
        print_block("  actual", act_lines.v, act_lines.n);
        sv_free(&act_lines);
    } else {
        f->opts->passed++;
    }
    table_free(&actual);
    table_free(&expected);
    sv_free(&exp_sub);
}

/* ---- files ------------------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static bool read_lines(const char *path, strvec *lines) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return false;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        sv_push(lines, xstrndup(line, (size_t)n));
    }
    free(line);
    fclose(fp);
    return true;
}

static bool valid_letters(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!isalpha((unsigned char)*s)) return false;
    return true;
}

static void run_file(const char *path, slt_opts *opts) {
    slt_file f = {.path = path, .opts = opts};
    strvec lines = {0};
    if (!read_lines(path, &lines)) {
        opts->failed++;
        printf("FAIL %s: cannot open: %s\n", path, strerror(errno));
        return;
    }
    char tmpl[] = "/tmp/kiln_slt_XXXXXX";
    f.test_dir = mkdtemp(tmpl);
    if (!f.test_dir) {
        opts->failed++;
        printf("FAIL %s: cannot create a temporary directory: %s\n", path, strerror(errno));
        sv_free(&lines);
        return;
    }
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_open(&f.db, &err) != 0) {
        opts->failed++;
        printf("FAIL %s: kiln_open: %s\n", path, err.message);
        goto done;
    }
    if (opts->threads && kiln_set_option(f.db, "threads", opts->threads, &err) != 0) {
        opts->failed++;
        printf("FAIL %s: threads=%s: %s\n", path, opts->threads, err.message);
        goto done;
    }

    bool skipping = false;
    size_t i = 0;
    while (i < lines.n) {
        if (is_blank(lines.v[i]) || lines.v[i][0] == '#') {
            i++;
            continue;
        }
        size_t rec_line = i + 1;
        /* the record: header line, then body lines up to a blank line */
        size_t body = i + 1, end = body;
        while (end < lines.n && !is_blank(lines.v[end])) end++;
        char *head = xstrdup(lines.v[i]);
        char *tok[8];
        size_t nt = tokenize(head, tok, 8);
        i = end;

        if (nt == 0) {
            free(head);
            continue;
        }
        if (strcmp(tok[0], "mode") == 0) {
            if (nt >= 2 && strcmp(tok[1], "skip") == 0) skipping = true;
            else if (nt >= 2 && strcmp(tok[1], "unskip") == 0) skipping = false;
            i = rec_line; /* a one-line directive: what follows may be a record */
            free(head);
            continue;
        }
        if (skipping) {
            free(head);
            continue;
        }
        if (opts->verbose) printf("%s:%zu: %s\n", path, rec_line, lines.v[rec_line - 1]);

        if (strcmp(tok[0], "halt") == 0) {
            free(head);
            break;
        }
        if (strcmp(tok[0], "require") == 0 || strcmp(tok[0], "load") == 0) {
            i = rec_line;
            free(head);
            continue;
        }
        /* split the body at "----" */
        size_t sep = body;
        while (sep < end && strcmp(lines.v[sep], "----") != 0) sep++;
        bool has_sep = sep < end;

        if (strcmp(tok[0], "statement") == 0) {
            if (nt < 2 || (strcmp(tok[1], "ok") != 0 && strcmp(tok[1], "error") != 0)) {
                fail_header(&f, rec_line, "malformed record: expected 'statement ok' or 'statement error'");
            } else if (sep == body) {
                fail_header(&f, rec_line, "malformed record: statement without SQL");
            } else {
                char *raw = join_lines(lines.v, body, sep, "\n");
                char *sql = substitute(raw, f.test_dir);
                free(raw);
                bool expect_error = strcmp(tok[1], "error") == 0;
                size_t n_msg = has_sep ? end - sep - 1 : 0;
                run_statement(&f, rec_line, sql, expect_error, lines.v + sep + 1, n_msg);
                free(sql);
            }
        } else if (strcmp(tok[0], "query") == 0) {
            const char *mode = nt >= 3 ? tok[2] : "nosort";
            if (nt < 2 || !valid_letters(tok[1])) {
                fail_header(&f, rec_line, "malformed record: 'query' needs column type letters");
            } else if (strcmp(mode, "nosort") != 0 && strcmp(mode, "rowsort") != 0 &&
                       strcmp(mode, "valuesort") != 0) {
                fail_header(&f, rec_line, "malformed record: unknown sort mode");
            } else if (sep == body) {
                fail_header(&f, rec_line, "malformed record: query without SQL");
            } else {
                char *raw = join_lines(lines.v, body, sep, "\n");
                char *sql = substitute(raw, f.test_dir);
                free(raw);
                size_t n_exp = has_sep ? end - sep - 1 : 0;
                run_query(&f, rec_line, sql, tok[1], mode, has_sep, lines.v + sep + 1, n_exp);
                free(sql);
            }
        } else {
            char msg[160];
            snprintf(msg, sizeof msg, "malformed record: unknown directive '%.100s'", tok[0]);
            fail_header(&f, rec_line, msg);
        }
        free(head);
    }
done:
    kiln_close(f.db);
    nftw(f.test_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    sv_free(&lines);
}

static void usage(void) {
    fprintf(stderr, "usage: sqllogictest [--threads N] [--verbose] FILE_OR_GLOB...\n");
}

int main(int argc, char **argv) {
    slt_opts opts = {0};
    strvec files = {0};
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
            opts.verbose = true;
        } else if (strcmp(arg, "--threads") == 0) {
            if (a + 1 >= argc) {
                usage();
                return 2;
            }
            opts.threads = argv[++a];
        } else if (strncmp(arg, "--threads=", 10) == 0) {
            opts.threads = arg + 10;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage();
            return 0;
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "sqllogictest: unknown option %s\n", arg);
            usage();
            return 2;
        } else {
            glob_t g;
            int rc = glob(arg, 0, NULL, &g);
            if (rc == 0) {
                for (size_t i = 0; i < g.gl_pathc; i++) sv_push(&files, xstrdup(g.gl_pathv[i]));
            } else {
                sv_push(&files, xstrdup(arg)); /* reported as unreadable when run */
            }
            globfree(&g);
        }
    }
    if (files.n == 0) {
        usage();
        return 2;
    }
    for (size_t i = 0; i < files.n; i++) run_file(files.v[i], &opts);
    sv_free(&files);
    printf("%ld passed, %ld failed\n", opts.passed, opts.failed);
    fflush(stdout);
    return opts.failed ? 1 : 0;
}
