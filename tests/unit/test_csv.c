/*
 * test_csv.c — unit tests of the CSV reader (src/io/csv.c): quoting, line endings, sniffing,
 * header detection, naming, type inference, errors with positions, options, compression,
 * globs, projection and large inputs. Each test writes its input into a fresh temporary
 * directory and compares a text dump of the result ("name:TYPE|..." then rows, NULL shown
 * as NULL) with the expected text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "io/csv.h"

static char g_dir[256];

static const char *tpath(const char *name) {
    static char bufs[4][512];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, 512, "%s/%s", g_dir, name);
    return b;
}

static void wfile(const char *name, const char *data) {
    FILE *f = fopen(tpath(name), "wb");
    assert_non_null(f);
    fwrite(data, 1, strlen(data), f);
    fclose(f);
}

static void wfile_n(const char *name, const void *data, size_t n) {
    FILE *f = fopen(tpath(name), "wb");
    assert_non_null(f);
    fwrite(data, 1, n, f);
    fclose(f);
}

static const char *type_name(kl_type t) {
    static const char *n[] = {"NULL", "BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP"};
    return t < KILN_TYPE__COUNT ? n[t] : "?";
}

/* Read everything into text. Returns the csv_open/csv_next status. */
static int dump_opts(const char *path, const kl_csv_options *o, const bool *needed, kl_buf *out,
                     kl_error *err) {
    kl_csv *rd = NULL;
    int rc = csv_open(path, o, &rd, err);
    if (rc) return rc;
    uint32_t nc = csv_column_count(rd);
    kl_type types[1024];
    for (uint32_t c = 0; c < nc; c++) {
        types[c] = csv_column_type(rd, c);
        kl_buf_printf(out, "%s%s:%s", c ? "|" : "", csv_column_name(rd, c), type_name(types[c]));
    }
    kl_buf_putc(out, '\n');
    if (needed) csv_set_projection(rd, needed);
    kl_chunk ch;
    assert_int_equal(chunk_init(&ch, types, nc, KL_CHUNK_ROWS), 0);
    for (;;) {
        rc = csv_next(rd, &ch, err);
        if (rc || ch.n_rows == 0) break;
        for (uint32_t r = 0; r < ch.n_rows; r++) {
            for (uint32_t c = 0; c < nc; c++) {
                if (c) kl_buf_putc(out, '|');
                if (!vec_format_value(&ch.cols[c], r, out)) kl_buf_puts(out, "NULL");
            }
            kl_buf_putc(out, '\n');
        }
    }
    chunk_free(&ch);
    csv_close(rd);
    return rc;
}

static void expect_opts(const char *name, const char *content, const kl_csv_options *o,
                        const char *expected) {
    if (content) wfile(name, content);
    kl_buf out = {0};
    kl_error err;
    memset(&err, 0, sizeof err);
    int rc = dump_opts(tpath(name), o, NULL, &out, &err);
    if (rc) fprintf(stderr, "error: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_string_equal(out.data, expected);
    kl_buf_free(&out);
}

static void expect(const char *content, const char *expected) {
    kl_csv_options o;
    csv_options_init(&o);
    expect_opts("t.csv", content, &o, expected);
}

/* Expect an error; returns it for further checks. */
static kl_error expect_err_opts(const char *name, const char *content, const kl_csv_options *o,
                                int code, const char *substr) {
    if (content) wfile(name, content);
    kl_buf out = {0};
    kl_error err;
    memset(&err, 0, sizeof err);
    int rc = dump_opts(tpath(name), o, NULL, &out, &err);
    kl_buf_free(&out);
    if (rc != code || !strstr(err.message, substr))
        fprintf(stderr, "rc=%d message: %s\n", rc, err.message);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.message, substr));
    return err;
}

static kl_error expect_err(const char *content, int code, const char *substr) {
    kl_csv_options o;
    csv_options_init(&o);
    return expect_err_opts("t.csv", content, &o, code, substr);
}

/* ---- fixtures ------------------------------------------------------------------------- */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/kiln_csv_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* ---- quoting and structure ------------------------------------------------------------ */

static void t_basic(void **s) {
    (void)s;
    expect("id,name\n1,alice\n2,bob\n", "id:BIGINT|name:VARCHAR\n1|alice\n2|bob\n");
}

static void t_quoted_comma(void **s) {
    (void)s;
    expect("a,b\n1,\"x,y\"\n2,\"z\"\n", "a:BIGINT|b:VARCHAR\n1|x,y\n2|z\n");
}

static void t_quoted_quotes(void **s) {
    (void)s;
    expect("a,b\n1,\"say \"\"hi\"\"\"\n2,\"\"\"\"\n", "a:BIGINT|b:VARCHAR\n1|say \"hi\"\n2|\"\n");
}

static void t_quoted_newline(void **s) {
    (void)s;
    expect("a,b\n1,\"line1\nline2\"\n2,x\n", "a:BIGINT|b:VARCHAR\n1|line1\nline2\n2|x\n");
}

static void t_quoted_newline_line_numbers(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.sample_size = 1;
    kl_error e = expect_err_opts("t.csv", "a,b\n1,\"x\ny\nz\"\n2,q\nbad,w\n", &o,
                                 KILN_ERR_CONVERSION, "at line 6 of");
    assert_int_equal(e.line, 6);
    assert_int_equal(e.column, 1);
}

static void t_crlf(void **s) {
    (void)s;
    expect("a,b\r\n1,x\r\n2,y\r\n", "a:BIGINT|b:VARCHAR\n1|x\n2|y\n");
}

static void t_crlf_in_quotes(void **s) {
    (void)s;
    expect("a,b\r\n1,\"p\r\nq\"\r\n", "a:BIGINT|b:VARCHAR\n1|p\r\nq\n");
}

static void t_lone_cr(void **s) {
    (void)s;
    expect("a,b\r1,x\r2,y", "a:BIGINT|b:VARCHAR\n1|x\n2|y\n");
}

static void t_bom(void **s) {
    (void)s;
    expect("\xEF\xBB\xBFid,name\n1,a\n", "id:BIGINT|name:VARCHAR\n1|a\n");
}

static void t_missing_final_newline(void **s) {
    (void)s;
    expect("a,b\n1,x\n2,y", "a:BIGINT|b:VARCHAR\n1|x\n2|y\n");
}

static void t_missing_final_newline_quoted(void **s) {
    (void)s;
    expect("a,b\n1,\"x\"", "a:BIGINT|b:VARCHAR\n1|x\n");
}

static void t_empty_file(void **s) {
    (void)s;
    kl_error e = expect_err("", KILN_ERR_DATA, "is empty: no header and no rows");
    assert_non_null(strstr(e.file, "t.csv"));
}

static void t_empty_file_only_newlines(void **s) {
    (void)s;
    expect_err("\n\n\r\n", KILN_ERR_DATA, "is empty");
}

static void t_empty_file_with_columns(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    kl_csv_column_override cols[] = {{"x", KILN_TYPE_BIGINT}, {"y", KILN_TYPE_VARCHAR}};
    o.columns = cols;
    o.n_columns = 2;
    expect_opts("t.csv", "", &o, "x:BIGINT|y:VARCHAR\n");
}

static void t_header_only(void **s) {
    (void)s;
    expect("id,name,when\n", "id:VARCHAR|name:VARCHAR|when:VARCHAR\n");
}

static void t_header_only_no_newline(void **s) {
    (void)s;
    expect("id,name", "id:VARCHAR|name:VARCHAR\n");
}

static void t_empty_lines_skipped(void **s) {
    (void)s;
    expect("a,b\n\n1,x\n\n2,y\n\n\n", "a:BIGINT|b:VARCHAR\n1|x\n2|y\n");
}

static void t_trailing_delim(void **s) {
    (void)s;
    expect("a,b,c\n1,2,\n3,4,5\n", "a:BIGINT|b:BIGINT|c:BIGINT\n1|2|NULL\n3|4|5\n");
}

static void t_empty_fields(void **s) {
    (void)s;
    expect("a,b,c\n1,,3\n,,\n4,5,6\n", "a:BIGINT|b:BIGINT|c:BIGINT\n1|NULL|3\nNULL|NULL|NULL\n4|5|6\n");
}

static void t_unicode(void **s) {
    (void)s;
    expect("name,city\nJosé,Zürich\n李,東京\n", "name:VARCHAR|city:VARCHAR\nJosé|Zürich\n李|東京\n");
}

static void t_whitespace(void **s) {
    (void)s;
    /* spaces kept in text, ignored around numbers */
    expect("a,b\n 1 , x \n2,y\n", "a:BIGINT|b:VARCHAR\n1| x \n2|y\n");
}

static void t_single_column(void **s) {
    (void)s;
    expect("v\n1\n2\n3\n", "v:BIGINT\n1\n2\n3\n");
}

static void t_single_column_strings(void **s) {
    (void)s;
    expect("name\nalice\nbob\n", "name:VARCHAR\nalice\nbob\n");
}

static void t_escape_backslash(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.escape = '\\';
    expect_opts("t.csv", "a,b\n1,\"x\\\"y\"\n2,\"p\\\\q\"\n", &o, "a:BIGINT|b:VARCHAR\n1|x\"y\n2|p\\q\n");
}

static void t_custom_quote(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.quote = '\'';
    expect_opts("t.csv", "a,b\n1,'x,y'\n", &o, "a:BIGINT|b:VARCHAR\n1|x,y\n");
}

/* ---- sniffing and names --------------------------------------------------------------- */

static void t_sniff_semicolon(void **s) {
    (void)s;
    expect("a;b;c\n1;2;3\n4;5;6\n", "a:BIGINT|b:BIGINT|c:BIGINT\n1|2|3\n4|5|6\n");
}

static void t_sniff_tab(void **s) {
    (void)s;
    expect("a\tb\n1\tx y\n2\tz\n", "a:BIGINT|b:VARCHAR\n1|x y\n2|z\n");
}

static void t_sniff_pipe(void **s) {
    (void)s;
    expect("a|b\n1|2.5\n2|3\n", "a:BIGINT|b:DOUBLE\n1|2.5\n2|3.0\n");
}

static void t_sniff_quotes_respected(void **s) {
    (void)s;
    /* commas inside quotes must not make ',' look like the delimiter */
    expect("a;b\n\"x,y,z\";1\n\"p,q,r\";2\n", "a:VARCHAR|b:BIGINT\nx,y,z|1\np,q,r|2\n");
}

static void t_sniff_european_decimal(void **s) {
    (void)s;
    expect("a;b\n1,5;x\n2,5;y\n", "a:VARCHAR|b:VARCHAR\n1,5|x\n2,5|y\n");
}

static void t_explicit_delim(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.delim = ';';
    expect_opts("t.csv", "a,b;c\n1,2;3\n", &o, "a,b:VARCHAR|c:BIGINT\n1,2|3\n");
}

static void t_header_false(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.header = 0;
    expect_opts("t.csv", "id,name\n1,a\n", &o, "column0:VARCHAR|column1:VARCHAR\nid|name\n1|a\n");
}

static void t_header_true(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.header = 1;
    expect_opts("t.csv", "1,2\n3,4\n", &o, "1:BIGINT|2:BIGINT\n3|4\n");
}

static void t_no_header_detected(void **s) {
    (void)s;
    expect("1,2\n3,4\n", "column0:BIGINT|column1:BIGINT\n1|2\n3|4\n");
}

static void t_no_header_single_row(void **s) {
    (void)s;
    expect("1,x,2.5\n", "column0:BIGINT|column1:VARCHAR|column2:DOUBLE\n1|x|2.5\n");
}

static void t_header_detect_by_one_column(void **s) {
    (void)s;
    /* name column is text everywhere; the id column decides */
    expect("id,name\n1,a\n2,b\n", "id:BIGINT|name:VARCHAR\n1|a\n2|b\n");
}

static void t_column_name_padding(void **s) {
    (void)s;
    kl_buf line = {0};
    for (int i = 0; i < 12; i++) kl_buf_printf(&line, "%s%d", i ? "," : "", i);
    kl_buf_putc(&line, '\n');
    wfile("t.csv", line.data);
    kl_csv *rd;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(csv_open(tpath("t.csv"), NULL, &rd, &err), 0);
    assert_int_equal(csv_column_count(rd), 12);
    assert_string_equal(csv_column_name(rd, 0), "column00");
    assert_string_equal(csv_column_name(rd, 11), "column11");
    csv_close(rd);
    kl_buf_free(&line);
}

static void t_duplicate_names(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.header = 1;
    expect_opts("t.csv", "a,a,A,b\nx,y,z,w\n", &o,
                "a:VARCHAR|a_1:VARCHAR|A_2:VARCHAR|b:VARCHAR\nx|y|z|w\n");
    /* typed columns make detection work even with duplicate names */
    expect("v,v\n1,2\n", "v:BIGINT|v_1:BIGINT\n1|2\n");
}

static void t_empty_header_name(void **s) {
    (void)s;
    expect("a,,c\n1,2,3\n", "a:BIGINT|column1:BIGINT|c:BIGINT\n1|2|3\n");
}

/* ---- type inference ------------------------------------------------------------------- */

static void t_infer_bool(void **s) {
    (void)s;
    expect("b\nTrue\nfalse\nTRUE\n", "b:BOOLEAN\ntrue\nfalse\ntrue\n");
}

static void t_infer_bool_not_01(void **s) {
    (void)s;
    expect("b\n1\n0\n", "b:BIGINT\n1\n0\n");
}

static void t_infer_bigint_leading_zero(void **s) {
    (void)s;
    expect("z\n007\n-12\n+3\n", "z:BIGINT\n7\n-12\n3\n");
}

static void t_infer_double(void **s) {
    (void)s;
    expect("d\n1\n2.5\n-1e3\n.5\n", "d:DOUBLE\n1.0\n2.5\n-1000.0\n0.5\n");
}

static void t_infer_date(void **s) {
    (void)s;
    expect("d\n2021-01-31\n1999-12-31\n", "d:DATE\n2021-01-31\n1999-12-31\n");
}

static void t_infer_invalid_date_is_varchar(void **s) {
    (void)s;
    expect("d\n2021-02-30\n2021-01-01\n", "d:VARCHAR\n2021-02-30\n2021-01-01\n");
}

static void t_infer_timestamp(void **s) {
    (void)s;
    expect("t\n2021-01-31 10:20:30\n2021-02-01T00:00:00.5\n",
           "t:TIMESTAMP\n2021-01-31 10:20:30\n2021-02-01 00:00:00.5\n");
}

static void t_infer_timestamp_tz(void **s) {
    (void)s;
    expect("t\n2021-01-31 10:00:00+02:00\n2021-01-31 10:00:00Z\n",
           "t:TIMESTAMP\n2021-01-31 08:00:00\n2021-01-31 10:00:00\n");
}

static void t_infer_date_and_timestamp(void **s) {
    (void)s;
    expect("t\n2021-01-31\n2021-01-31 01:02:03\n", "t:TIMESTAMP\n2021-01-31 00:00:00\n2021-01-31 01:02:03\n");
}

static void t_infer_varchar(void **s) {
    (void)s;
    expect("v,n\n1,x\nabc,y\n", "v:VARCHAR|n:VARCHAR\n1|x\nabc|y\n");
}

static void t_infer_all_null(void **s) {
    (void)s;
    expect("a,b\n1,\n2,\n", "a:BIGINT|b:VARCHAR\n1|NULL\n2|NULL\n");
}

static void t_infer_int_overflow_double(void **s) {
    (void)s;
    expect("a\n99999999999999999999\n1\n", "a:DOUBLE\n1e+20\n1.0\n");
}

static void t_infer_ignores_nulls(void **s) {
    (void)s;
    expect("a,b\n,x\n5,y\n", "a:BIGINT|b:VARCHAR\nNULL|x\n5|y\n");
}

/* ---- errors --------------------------------------------------------------------------- */

static void t_conversion_error_after_sample(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.sample_size = 2;
    kl_error e = expect_err_opts("data.csv", "id,name\n1,a\n2,b\n3,c\nabc,d\n", &o,
                                 KILN_ERR_CONVERSION,
                                 "Could not convert string \"abc\" to BIGINT in column \"id\" "
                                 "(column 1) at line 5 of");
    assert_non_null(strstr(e.message, "inferred from the first 2 rows"));
    assert_non_null(strstr(e.message, "types := {'id': 'VARCHAR'}"));
    assert_non_null(strstr(e.message, "sample_size := -1"));
    assert_int_equal(e.line, 5);
    assert_int_equal(e.column, 1);
    assert_non_null(strstr(e.file, "data.csv"));
}

static void t_conversion_error_large_file(void **s) {
    (void)s;
    kl_buf b = {0};
    kl_buf_puts(&b, "id,v\n");
    for (int i = 0; i < 30000; i++) kl_buf_printf(&b, "%d,x\n", i);
    kl_buf_puts(&b, "oops,y\n");
    wfile("big.csv", b.data);
    kl_buf_free(&b);
    kl_csv_options o;
    csv_options_init(&o);
    kl_error e = expect_err_opts("big.csv", NULL, &o, KILN_ERR_CONVERSION, "at line 30002 of");
    assert_non_null(strstr(e.message, "the first 20480 rows"));
    /* sampling everything makes it VARCHAR */
    o.sample_size = -1;
    kl_buf out = {0};
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(dump_opts(tpath("big.csv"), &o, NULL, &out, &err), 0);
    assert_memory_equal(out.data, "id:VARCHAR|v:VARCHAR\n", 21);
    kl_buf_free(&out);
}

static void t_conversion_error_explicit(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    kl_csv_column_override t[] = {{"b", KILN_TYPE_BIGINT}};
    o.types = t;
    o.n_types = 1;
    kl_error e = expect_err_opts("t.csv", "a,b\n1,2\n2,x\n", &o, KILN_ERR_CONVERSION,
                                 "set explicitly");
    assert_int_equal(e.line, 3);
    assert_int_equal(e.column, 2);
}

static void t_too_many_fields(void **s) {
    (void)s;
    kl_error e = expect_err("a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n", KILN_ERR_DATA,
                            "Expected 3 fields but found 4 at line 4 of");
    assert_int_equal(e.line, 4);
}

static void t_too_few_fields_after_sample(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.sample_size = 1;
    kl_error e = expect_err_opts("t.csv", "a,b,c\n1,2,3\n4,5,6\n7,8\n", &o, KILN_ERR_DATA,
                                 "Expected 3 fields but found 2 at line 4");
    assert_int_equal(e.line, 4);
}

static void t_unterminated_quote(void **s) {
    (void)s;
    kl_error e = expect_err("a,b\n1,x\n2,\"abc\n3,y\n", KILN_ERR_DATA, "Unterminated quoted field");
    assert_int_equal(e.line, 3);
    assert_int_equal(e.column, 2);
}

static void t_junk_after_quote(void **s) {
    (void)s;
    kl_error e = expect_err("a,b\n1,\"x\"y\n", KILN_ERR_DATA, "after the closing quote");
    assert_int_equal(e.line, 2);
}

static void t_invalid_utf8(void **s) {
    (void)s;
    kl_error e = expect_err("a,b\n1,ok\n2,bad\xff\xfe\n", KILN_ERR_DATA, "Invalid UTF-8");
    assert_int_equal(e.line, 3);
    assert_int_equal(e.column, 2);
}

static void t_invalid_utf8_overlong(void **s) {
    (void)s;
    expect_err("a,b\n1,\xc0\xaf\n", KILN_ERR_DATA, "Invalid UTF-8");
}

static void t_missing_file(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    kl_error e = expect_err_opts("nope.csv", NULL, &o, KILN_ERR_IO,
                                 "Cannot open file \"");
    assert_non_null(strstr(e.message, "No such file or directory"));
    assert_non_null(strstr(e.file, "nope.csv"));
}

static void t_glob_no_match(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    expect_err_opts("zz*.csv", NULL, &o, KILN_ERR_IO, "No files found that match the pattern");
}

static void t_bad_options(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.delim = '"';
    expect_err_opts("t.csv", "a\n1\n", &o, KILN_ERR_INVALID, "delimiter");
}

static void t_chunk_mismatch(void **s) {
    (void)s;
    wfile("t.csv", "a,b\n1,2\n");
    kl_csv *rd;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(csv_open(tpath("t.csv"), NULL, &rd, &err), 0);
    kl_type t = KILN_TYPE_BIGINT;
    kl_chunk ch;
    chunk_init(&ch, &t, 1, KL_CHUNK_ROWS);
    assert_int_equal(csv_next(rd, &ch, &err), KILN_ERR_INTERNAL);
    chunk_free(&ch);
    csv_close(rd);
}

/* ---- options -------------------------------------------------------------------------- */

static void t_nullstr(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.nullstr = "NA";
    expect_opts("t.csv", "a,b\n1,NA\nNA,x\n\"NA\",y\n", &o,
                "a:BIGINT|b:VARCHAR\n1|NULL\nNULL|x\nNULL|y\n");
}

/* DuckDB's allow_quoted_nulls: a quoted field equal to nullstr is NULL as well; with another
   nullstr, the quoted empty string stays an empty string. */
static void t_quoted_empty_not_null(void **s) {
    (void)s;
    expect("a,b\n1,\"\"\n2,\n", "a:BIGINT|b:VARCHAR\n1|NULL\n2|NULL\n");
    kl_csv_options o;
    csv_options_init(&o);
    o.nullstr = "NA";
    expect_opts("t.csv", "a,b\n1,\"\"\n2,NA\n", &o, "a:BIGINT|b:VARCHAR\n1|\n2|NULL\n");
}

static void t_columns_option(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    kl_csv_column_override cols[] = {{"x", KILN_TYPE_VARCHAR}, {"y", KILN_TYPE_DOUBLE}};
    o.columns = cols;
    o.n_columns = 2;
    expect_opts("t.csv", "1,2\n3,4\n", &o, "x:VARCHAR|y:DOUBLE\n1|2.0\n3|4.0\n");
}

static void t_columns_with_header(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    kl_csv_column_override cols[] = {{"x", KILN_TYPE_BIGINT}, {"y", KILN_TYPE_VARCHAR}};
    o.columns = cols;
    o.n_columns = 2;
    expect_opts("t.csv", "a,b\n1,2\n", &o, "x:BIGINT|y:VARCHAR\n1|2\n");
    o.header = 1;
    expect_opts("t.csv", "x,y\n5,6\n", &o, "x:BIGINT|y:VARCHAR\n5|6\n");
}

static void t_columns_count_mismatch(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    kl_csv_column_override cols[] = {{"x", KILN_TYPE_BIGINT}};
    o.columns = cols;
    o.n_columns = 1;
    expect_err_opts("t.csv", "1,2\n", &o, KILN_ERR_DATA, "Expected 1 fields (from columns");
}

static void t_types_override(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    kl_csv_column_override t[] = {{"ID", KILN_TYPE_VARCHAR}, {"v", KILN_TYPE_DOUBLE}};
    o.types = t;
    o.n_types = 2;
    expect_opts("t.csv", "id,v\n007,1\n", &o, "id:VARCHAR|v:DOUBLE\n007|1.0\n");
}

static void t_types_unknown(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    kl_csv_column_override t[] = {{"nope", KILN_TYPE_VARCHAR}};
    o.types = t;
    o.n_types = 1;
    expect_err_opts("t.csv", "id,v\n1,2\n", &o, KILN_ERR_INVALID, "\"nope\"");
}

static void t_all_varchar(void **s) {
    (void)s;
    kl_csv_options o;
    csv_options_init(&o);
    o.all_varchar = true;
    expect_opts("t.csv", "id,d\n1,2021-01-01\n", &o, "id:VARCHAR|d:VARCHAR\n1|2021-01-01\n");
}

/* ---- compression ---------------------------------------------------------------------- */

static void write_gz(const char *name, const char *data, int members) {
    gzFile g = gzopen(tpath(name), "wb");
    assert_non_null(g);
    gzwrite(g, data, (unsigned)strlen(data));
    gzclose(g);
    if (members > 1) {
        /* append a second member with the same text */
        FILE *f = fopen(tpath(name), "ab");
        uLong bound = compressBound((uLong)strlen(data)) + 64;
        unsigned char *out = malloc(bound);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        zs.next_in = (unsigned char *)data;
        zs.avail_in = (uInt)strlen(data);
        zs.next_out = out;
        zs.avail_out = (uInt)bound;
        deflate(&zs, Z_FINISH);
        fwrite(out, 1, bound - zs.avail_out, f);
        deflateEnd(&zs);
        free(out);
        fclose(f);
    }
}

static void t_gzip(void **s) {
    (void)s;
    write_gz("t.csv.gz", "a,b\n1,x\n2,y\n", 1);
    kl_csv_options o;
    csv_options_init(&o);
    expect_opts("t.csv.gz", NULL, &o, "a:BIGINT|b:VARCHAR\n1|x\n2|y\n");
}

static void t_gzip_concatenated(void **s) {
    (void)s;
    write_gz("t2.csv.gz", "1,x\n2,y\n", 2);
    kl_csv_options o;
    csv_options_init(&o);
    expect_opts("t2.csv.gz", NULL, &o,
                "column0:BIGINT|column1:VARCHAR\n1|x\n2|y\n1|x\n2|y\n");
}

static void t_gzip_corrupt(void **s) {
    (void)s;
    write_gz("c.csv.gz", "a,b\n1,x\n2,y\n", 1);
    /* truncate the file */
    FILE *f = fopen(tpath("c.csv.gz"), "rb");
    unsigned char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    wfile_n("c.csv.gz", buf, n - 6);
    kl_csv_options o;
    csv_options_init(&o);
    expect_err_opts("c.csv.gz", NULL, &o, KILN_ERR_IO, "corrupt or truncated gzip");
}

static void t_zstd(void **s) {
    (void)s;
    const char *data = "a,b\n1,x\n2,y\n";
    size_t bound = ZSTD_compressBound(strlen(data));
    void *out = malloc(bound);
    size_t n = ZSTD_compress(out, bound, data, strlen(data), 3);
    assert_false(ZSTD_isError(n));
    wfile_n("t.csv.zst", out, n);
    free(out);
    kl_csv_options o;
    csv_options_init(&o);
    expect_opts("t.csv.zst", NULL, &o, "a:BIGINT|b:VARCHAR\n1|x\n2|y\n");
}

/* ---- globs and projection ------------------------------------------------------------- */

static void t_glob_filename(void **s) {
    (void)s;
    mkdir(tpath("logs"), 0755);
    wfile("logs/a.csv", "id,v\n1,x\n");
    wfile("logs/b.csv", "id,v\n2,y\n3,z\n");
    kl_csv_options o;
    csv_options_init(&o);
    o.filename = true;
    char expected[2048];
    snprintf(expected, sizeof expected, "id:BIGINT|v:VARCHAR|filename:VARCHAR\n1|x|%s\n2|y|%s\n3|z|%s\n",
             tpath("logs/a.csv"), tpath("logs/b.csv"), tpath("logs/b.csv"));
    expect_opts("logs/*.csv", NULL, &o, expected);
}

static void t_glob_brace(void **s) {
    (void)s;
    mkdir(tpath("br"), 0755);
    wfile("br/a.csv", "1\n");
    wfile("br/b.csv", "2\n");
    wfile("br/c.csv", "3\n");
    kl_csv_options o;
    csv_options_init(&o);
    expect_opts("br/{c,a}.csv", NULL, &o, "column0:BIGINT\n1\n3\n");
}

static void t_glob_column_mismatch(void **s) {
    (void)s;
    mkdir(tpath("mm"), 0755);
    wfile("mm/a.csv", "id,v\n1,x\n");
    wfile("mm/b.csv", "id,v,w\n2,y,z\n");
    kl_csv_options o;
    csv_options_init(&o);
    kl_error e = expect_err_opts("mm/*.csv", NULL, &o, KILN_ERR_DATA, "has 3 columns but the first file");
    assert_non_null(strstr(e.file, "b.csv"));
}

static void t_projection(void **s) {
    (void)s;
    wfile("t.csv", "a,b,c\n1,x,2.5\n2,y,oops_not_checked\n");
    kl_csv_options o;
    csv_options_init(&o);
    o.sample_size = 1;
    bool needed[] = {true, false, false};
    kl_buf out = {0};
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(dump_opts(tpath("t.csv"), &o, needed, &out, &err), 0);
    assert_string_equal(out.data, "a:BIGINT|b:VARCHAR|c:DOUBLE\n1|NULL|NULL\n2|NULL|NULL\n");
    kl_buf_free(&out);
}

/* ---- large inputs --------------------------------------------------------------------- */

static void t_long_field(void **s) {
    (void)s;
    size_t n = 3u * 1024u * 1024u;
    char *data = malloc(n + 64);
    strcpy(data, "a,b\n1,\"");
    size_t w = strlen(data);
    for (size_t i = 0; i < n; i++) data[w++] = (char)('a' + i % 26);
    strcpy(data + w, "\"\n2,x\n");
    wfile("long.csv", data);
    free(data);
    kl_csv *rd;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(csv_open(tpath("long.csv"), NULL, &rd, &err), 0);
    kl_type types[] = {KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR};
    assert_int_equal(csv_column_type(rd, 1), KILN_TYPE_VARCHAR);
    kl_chunk ch;
    chunk_init(&ch, types, 2, KL_CHUNK_ROWS);
    uint32_t total = 0;
    for (;;) {
        assert_int_equal(csv_next(rd, &ch, &err), 0);
        if (!ch.n_rows) break;
        for (uint32_t r = 0; r < ch.n_rows; r++, total++)
            if (total == 0) assert_int_equal(VEC_STR(&ch.cols[1])[r].len, n);
    }
    assert_int_equal(total, 2);
    chunk_free(&ch);
    csv_close(rd);
}

static void t_many_columns(void **s) {
    (void)s;
    kl_buf b = {0};
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 500; c++) {
            if (r == 0) kl_buf_printf(&b, "%sc%d", c ? "," : "", c);
            else kl_buf_printf(&b, "%s%d", c ? "," : "", r * 1000 + c);
        }
        kl_buf_putc(&b, '\n');
    }
    wfile("wide.csv", b.data);
    kl_buf_free(&b);
    kl_csv *rd;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(csv_open(tpath("wide.csv"), NULL, &rd, &err), 0);
    assert_int_equal(csv_column_count(rd), 500);
    assert_string_equal(csv_column_name(rd, 499), "c499");
    kl_type types[500];
    for (int c = 0; c < 500; c++) types[c] = csv_column_type(rd, (uint32_t)c);
    assert_int_equal(types[7], KILN_TYPE_BIGINT);
    kl_chunk ch;
    chunk_init(&ch, types, 500, KL_CHUNK_ROWS);
    assert_int_equal(csv_next(rd, &ch, &err), 0);
    assert_int_equal(ch.n_rows, 2);
    assert_int_equal(VEC_I64(&ch.cols[499])[1], 2499);
    chunk_free(&ch);
    csv_close(rd);
}

/* Many rows across chunks and across 8 MiB block boundaries, with quoted fields. */
static void t_big_file_blocks(void **s) {
    (void)s;
    kl_buf b = {0};
    kl_buf_puts(&b, "id,txt,val\n");
    long rows = 400000;
    for (long i = 0; i < rows; i++) kl_buf_printf(&b, "%ld,\"t,%ld\nq\",%ld.5\n", i, i, i);
    wfile("huge.csv", b.data);
    kl_buf_free(&b);
    kl_csv *rd;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(csv_open(tpath("huge.csv"), NULL, &rd, &err), 0);
    kl_type types[3] = {csv_column_type(rd, 0), csv_column_type(rd, 1), csv_column_type(rd, 2)};
    assert_int_equal(types[0], KILN_TYPE_BIGINT);
    assert_int_equal(types[2], KILN_TYPE_DOUBLE);
    kl_chunk ch;
    chunk_init(&ch, types, 3, KL_CHUNK_ROWS);
    long n = 0;
    int64_t sum = 0;
    bool ok = true;
    for (;;) {
        assert_int_equal(csv_next(rd, &ch, &err), 0);
        if (!ch.n_rows) break;
        for (uint32_t r = 0; r < ch.n_rows; r++, n++) {
            sum += VEC_I64(&ch.cols[0])[r];
            char want[64];
            int wl = snprintf(want, sizeof want, "t,%ld\nq", n);
            kl_str st = VEC_STR(&ch.cols[1])[r];
            if ((int)st.len != wl || memcmp(st.ptr, want, (size_t)wl) != 0) ok = false;
        }
    }
    assert_true(ok);
    assert_int_equal(n, rows);
    assert_int_equal(sum, (int64_t)rows * (rows - 1) / 2);
    chunk_free(&ch);
    csv_close(rd);
}

/* Conversion error deep in a big file: line numbers survive block refills. */
static void t_big_file_error_line(void **s) {
    (void)s;
    kl_buf b = {0};
    kl_buf_puts(&b, "id,txt\n");
    long rows = 300000;
    for (long i = 0; i < rows; i++) kl_buf_printf(&b, "%ld,\"multi\nline %ld\"\n", i, i);
    kl_buf_puts(&b, "x,\"y\"\n");
    wfile("huge2.csv", b.data);
    kl_buf_free(&b);
    kl_csv_options o;
    csv_options_init(&o);
    kl_error e = expect_err_opts("huge2.csv", NULL, &o, KILN_ERR_CONVERSION, "\"x\" to BIGINT");
    assert_int_equal(e.line, 2 + 2 * rows);
}

/* The reader's inline number parsers (SWAR digits, Clinger fast path) agree with strtod /
 * strtoll bit for bit on many shapes of numbers, placed at every offset of the block. */
static void t_fast_numbers_match_strtod(void **state) {
    (void)state;
    kl_buf csv = {0};
    kl_buf_puts(&csv, "d,i\n");
    uint64_t x = 88172645463325252ULL;
    enum { N = 30000 };
    static char dv[N][40], iv[N][24];
    for (int k = 0; k < N; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int ni = (int)(x % 12), nf = (int)((x >> 8) % 12);
        char *d = dv[k];
        int w = 0;
        if ((x >> 16) & 1) d[w++] = '-';
        for (int j = 0; j < ni; j++) d[w++] = (char)('0' + ((x >> (20 + j * 3)) % 10));
        if (nf || !ni) {
            d[w++] = '.';
            for (int j = 0; j < nf || (!ni && j == 0); j++)
                d[w++] = (char)('0' + ((x >> (24 + j * 3)) % 10));
        }
        d[w] = 0;
        int nd = (int)((x >> 40) % 18) + 1;
        char *iw = iv[k];
        w = 0;
        if ((x >> 45) & 1) iw[w++] = '-';
        for (int j = 0; j < nd; j++) iw[w++] = (char)('0' + ((x >> (j * 3)) % 10));
        iw[w] = 0;
        kl_buf_printf(&csv, "%s,%s\n", d, iw);
    }
    wfile("nums.csv", csv.data);
    kl_csv_column_override cols[2] = {{"d", KILN_TYPE_DOUBLE}, {"i", KILN_TYPE_BIGINT}};
    kl_csv_options o;
    csv_options_init(&o);
    o.columns = cols;
    o.n_columns = 2;
    kl_csv *rd = NULL;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(csv_open(tpath("nums.csv"), &o, &rd, &err), 0);
    kl_type types[2] = {KILN_TYPE_DOUBLE, KILN_TYPE_BIGINT};
    kl_chunk ch;
    assert_int_equal(chunk_init(&ch, types, 2, KL_CHUNK_ROWS), 0);
    int k = 0;
    for (;;) {
        assert_int_equal(csv_next(rd, &ch, &err), 0);
        if (ch.n_rows == 0) break;
        for (uint32_t r = 0; r < ch.n_rows; r++, k++) {
            double want = strtod(dv[k], NULL);
            double got = VEC_F64(&ch.cols[0])[r];
            if (memcmp(&want, &got, 8) != 0) fprintf(stderr, "%s: %.17g vs %.17g\n", dv[k], got, want);
            assert_memory_equal(&want, &got, 8);
            assert_int_equal(VEC_I64(&ch.cols[1])[r], strtoll(iv[k], NULL, 10));
        }
    }
    assert_int_equal(k, N);
    chunk_free(&ch);
    csv_close(rd);
    kl_buf_free(&csv);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_basic),
        cmocka_unit_test(t_fast_numbers_match_strtod),
        cmocka_unit_test(t_quoted_comma),
        cmocka_unit_test(t_quoted_quotes),
        cmocka_unit_test(t_quoted_newline),
        cmocka_unit_test(t_quoted_newline_line_numbers),
        cmocka_unit_test(t_crlf),
        cmocka_unit_test(t_crlf_in_quotes),
        cmocka_unit_test(t_lone_cr),
        cmocka_unit_test(t_bom),
        cmocka_unit_test(t_missing_final_newline),
        cmocka_unit_test(t_missing_final_newline_quoted),
        cmocka_unit_test(t_empty_file),
        cmocka_unit_test(t_empty_file_only_newlines),
        cmocka_unit_test(t_empty_file_with_columns),
        cmocka_unit_test(t_header_only),
        cmocka_unit_test(t_header_only_no_newline),
        cmocka_unit_test(t_empty_lines_skipped),
        cmocka_unit_test(t_trailing_delim),
        cmocka_unit_test(t_empty_fields),
        cmocka_unit_test(t_unicode),
        cmocka_unit_test(t_whitespace),
        cmocka_unit_test(t_single_column),
        cmocka_unit_test(t_single_column_strings),
        cmocka_unit_test(t_escape_backslash),
        cmocka_unit_test(t_custom_quote),
        cmocka_unit_test(t_sniff_semicolon),
        cmocka_unit_test(t_sniff_tab),
        cmocka_unit_test(t_sniff_pipe),
        cmocka_unit_test(t_sniff_quotes_respected),
        cmocka_unit_test(t_sniff_european_decimal),
        cmocka_unit_test(t_explicit_delim),
        cmocka_unit_test(t_header_false),
        cmocka_unit_test(t_header_true),
        cmocka_unit_test(t_no_header_detected),
        cmocka_unit_test(t_no_header_single_row),
        cmocka_unit_test(t_header_detect_by_one_column),
        cmocka_unit_test(t_column_name_padding),
        cmocka_unit_test(t_duplicate_names),
        cmocka_unit_test(t_empty_header_name),
        cmocka_unit_test(t_infer_bool),
        cmocka_unit_test(t_infer_bool_not_01),
        cmocka_unit_test(t_infer_bigint_leading_zero),
        cmocka_unit_test(t_infer_double),
        cmocka_unit_test(t_infer_date),
        cmocka_unit_test(t_infer_invalid_date_is_varchar),
        cmocka_unit_test(t_infer_timestamp),
        cmocka_unit_test(t_infer_timestamp_tz),
        cmocka_unit_test(t_infer_date_and_timestamp),
        cmocka_unit_test(t_infer_varchar),
        cmocka_unit_test(t_infer_all_null),
        cmocka_unit_test(t_infer_int_overflow_double),
        cmocka_unit_test(t_infer_ignores_nulls),
        cmocka_unit_test(t_conversion_error_after_sample),
        cmocka_unit_test(t_conversion_error_large_file),
        cmocka_unit_test(t_conversion_error_explicit),
        cmocka_unit_test(t_too_many_fields),
        cmocka_unit_test(t_too_few_fields_after_sample),
        cmocka_unit_test(t_unterminated_quote),
        cmocka_unit_test(t_junk_after_quote),
        cmocka_unit_test(t_invalid_utf8),
        cmocka_unit_test(t_invalid_utf8_overlong),
        cmocka_unit_test(t_missing_file),
        cmocka_unit_test(t_glob_no_match),
        cmocka_unit_test(t_bad_options),
        cmocka_unit_test(t_chunk_mismatch),
        cmocka_unit_test(t_nullstr),
        cmocka_unit_test(t_quoted_empty_not_null),
        cmocka_unit_test(t_columns_option),
        cmocka_unit_test(t_columns_with_header),
        cmocka_unit_test(t_columns_count_mismatch),
        cmocka_unit_test(t_types_override),
        cmocka_unit_test(t_types_unknown),
        cmocka_unit_test(t_all_varchar),
        cmocka_unit_test(t_gzip),
        cmocka_unit_test(t_gzip_concatenated),
        cmocka_unit_test(t_gzip_corrupt),
        cmocka_unit_test(t_zstd),
        cmocka_unit_test(t_glob_filename),
        cmocka_unit_test(t_glob_brace),
        cmocka_unit_test(t_glob_column_mismatch),
        cmocka_unit_test(t_projection),
        cmocka_unit_test(t_long_field),
        cmocka_unit_test(t_many_columns),
        cmocka_unit_test(t_big_file_blocks),
        cmocka_unit_test(t_big_file_error_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
