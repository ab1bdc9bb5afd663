/*
 * test_csv_parallel.c — unit tests of the CSV reader's parallel morsels (csv_worker_*):
 * 1/2/4/8 workers in threads over tiny, block-sized and ~50 MB files, quoted newlines and
 * doubled quotes placed exactly at the morsel cut, records longer than a morsel, CRLF, BOM,
 * globs, gzip (whole-file morsels), projection, and errors from late morsels that must name
 * the same physical line as csv_next. Every test compares the rows of all workers, put back
 * in file order by their (morsel, chunk) tags, with the rows csv_next returns.
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
#include <pthread.h>
#include <unistd.h>
#include <zlib.h>

#include "io/csv.h"

#define MORSEL ((size_t)CSV_MORSEL_BYTES)

static char g_dir[256];

static const char *tpath(const char *name) {
    static char bufs[4][512];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, 512, "%s/%s", g_dir, name);
    return b;
}

static void wfile_n(const char *name, const void *data, size_t n) {
    FILE *f = fopen(tpath(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void wfile(const char *name, const char *data) { wfile_n(name, data, strlen(data)); }

/* ---- dumping ------------------------------------------------------------------------- */

/* One value as exact text: doubles by their bits, NULL as "~". */
static void fmt_value(const kl_vec *v, uint32_t r, kl_buf *out) {
    if (v->nulls[r]) {
        kl_buf_putc(out, '~');
        return;
    }
    char tmp[32];
    switch (v->type) {
    case KILN_TYPE_BIGINT: kl_buf_append(out, tmp, kl_format_int64(VEC_I64(v)[r], tmp)); break;
    case KILN_TYPE_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &VEC_F64(v)[r], 8);
        kl_buf_printf(out, "%016llx", (unsigned long long)bits);
        break;
    }
    case KILN_TYPE_VARCHAR: kl_buf_append(out, VEC_STR(v)[r].ptr, VEC_STR(v)[r].len); break;
    default: vec_format_value(v, r, out); break;
    }
}

static void dump_chunk(const kl_chunk *ch, kl_buf *out) {
    for (uint32_t r = 0; r < ch->n_rows; r++) {
        for (uint32_t c = 0; c < ch->n_cols; c++) {
            if (c) kl_buf_putc(out, '|');
            fmt_value(&ch->cols[c], r, out);
        }
        kl_buf_putc(out, '\n');
    }
}

static void chunk_for(kl_csv *rd, kl_chunk *ch) {
    kl_type types[256];
    uint32_t nc = csv_column_count(rd);
    for (uint32_t c = 0; c < nc; c++) types[c] = csv_column_type(rd, c);
    assert_int_equal(chunk_init(ch, types, nc, KL_CHUNK_ROWS), 0);
}

/* csv_next's rows. */
static int seq_dump(const char *path, const kl_csv_options *o, const bool *needed, kl_buf *out,
                    kl_error *err) {
    kl_csv *rd = NULL;
    int rc = csv_open(path, o, &rd, err);
    if (rc) return rc;
    if (needed) csv_set_projection(rd, needed);
    kl_chunk ch;
    chunk_for(rd, &ch);
    for (;;) {
        rc = csv_next(rd, &ch, err);
        if (rc || ch.n_rows == 0) break;
        dump_chunk(&ch, out);
    }
    chunk_free(&ch);
    csv_close(rd);
    return rc;
}

typedef struct piece {
    uint64_t mi;
    uint32_t ci;
    kl_buf text;
} piece;

typedef struct par_state {
    kl_csv *rd;
    pthread_mutex_t mu;
    piece *pieces;
    size_t n, cap;
    int rc;
    kl_error err;
} par_state;

static void *par_thread(void *arg) {
    par_state *ps = arg;
    kl_error err;
    memset(&err, 0, sizeof err);
    kl_csv_worker *w = NULL;
    int rc = csv_worker_new(ps->rd, &w, &err);
    kl_chunk ch;
    chunk_for(ps->rd, &ch);
    while (!rc) {
        uint64_t mi = 0;
        uint32_t ci = 0;
        rc = csv_worker_next(w, &ch, &mi, &ci, &err);
        if (rc || ch.n_rows == 0) break;
        piece p = {mi, ci, {0}};
        dump_chunk(&ch, &p.text);
        pthread_mutex_lock(&ps->mu);
        if (ps->n == ps->cap) {
            ps->cap = ps->cap ? ps->cap * 2 : 64;
            ps->pieces = realloc(ps->pieces, ps->cap * sizeof *ps->pieces);
        }
        ps->pieces[ps->n++] = p;
        pthread_mutex_unlock(&ps->mu);
    }
    pthread_mutex_lock(&ps->mu);
    if (rc && !ps->rc) {
        ps->rc = rc;
        ps->err = err;
    }
    pthread_mutex_unlock(&ps->mu);
    chunk_free(&ch);
    csv_worker_free(w);
    return NULL;
}

static int piece_cmp(const void *a, const void *b) {
    const piece *x = a, *y = b;
    if (x->mi != y->mi) return x->mi < y->mi ? -1 : 1;
    if (x->ci != y->ci) return x->ci < y->ci ? -1 : 1;
    return 0;
}

static size_t g_last_morsels; /* distinct morsels seen by the last par_dump */

/* All workers' rows in (morsel, chunk) order. Also checks the tags are dense. */
static int par_dump(const char *path, const kl_csv_options *o, const bool *needed, int workers,
                    kl_buf *out, kl_error *err) {
    par_state ps;
    memset(&ps, 0, sizeof ps);
    pthread_mutex_init(&ps.mu, NULL);
    int rc = csv_open(path, o, &ps.rd, err);
    if (rc) return rc;
    if (needed) csv_set_projection(ps.rd, needed);
    pthread_t th[16];
    for (int i = 0; i < workers; i++) assert_int_equal(pthread_create(&th[i], NULL, par_thread, &ps), 0);
    for (int i = 0; i < workers; i++) pthread_join(th[i], NULL);
    if (ps.n) qsort(ps.pieces, ps.n, sizeof *ps.pieces, piece_cmp);
    g_last_morsels = 0;
    for (size_t i = 0; i < ps.n; i++) {
        bool new_morsel = i == 0 || ps.pieces[i].mi != ps.pieces[i - 1].mi;
        if (new_morsel) g_last_morsels++;
        if (!ps.rc) {
            /* chunk numbers restart at 0 in every morsel and have no gaps */
            assert_int_equal(ps.pieces[i].ci, new_morsel ? 0 : ps.pieces[i - 1].ci + 1);
            assert_true(i == 0 || !new_morsel || ps.pieces[i].mi > ps.pieces[i - 1].mi);
        }
        if (ps.pieces[i].text.data) kl_buf_append(out, ps.pieces[i].text.data, ps.pieces[i].text.len);
        kl_buf_free(&ps.pieces[i].text);
    }
    free(ps.pieces);
    rc = ps.rc;
    if (rc && err) *err = ps.err;
    csv_close(ps.rd);
    pthread_mutex_destroy(&ps.mu);
    return rc;
}

/* Parallel rows == sequential rows for each worker count in the list (0-terminated). */
static void same_rows_opts(const char *name, const kl_csv_options *o, const bool *needed,
                           const int *workers, size_t min_rows_bytes) {
    kl_buf seq = {0};
    kl_error err;
    memset(&err, 0, sizeof err);
    int rc = seq_dump(tpath(name), o, needed, &seq, &err);
    if (rc) fprintf(stderr, "seq: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_true(seq.len >= min_rows_bytes);
    for (const int *w = workers; *w; w++) {
        kl_buf par = {0};
        rc = par_dump(tpath(name), o, needed, *w, &par, &err);
        if (rc) fprintf(stderr, "par(%d): %s\n", *w, err.message);
        assert_int_equal(rc, 0);
        assert_int_equal(par.len, seq.len);
        if (seq.len) assert_memory_equal(par.data, seq.data, seq.len);
        kl_buf_free(&par);
    }
    kl_buf_free(&seq);
}

static const int W1248[] = {1, 2, 4, 8, 0};
static const int W14[] = {1, 4, 0};

static void same_rows(const char *name, const int *workers) {
    kl_csv_options o;
    csv_options_init(&o);
    same_rows_opts(name, &o, NULL, workers, 0);
}

/* The same error (code, message, line, column) from csv_next and from n workers. */
static kl_error same_error(const char *name, int workers) {
    kl_csv_options o;
    csv_options_init(&o);
    kl_buf a = {0}, b = {0};
    kl_error e1, e2;
    memset(&e1, 0, sizeof e1);
    memset(&e2, 0, sizeof e2);
    int rc1 = seq_dump(tpath(name), &o, NULL, &a, &e1);
    int rc2 = par_dump(tpath(name), &o, NULL, workers, &b, &e2);
    assert_int_not_equal(rc1, 0);
    assert_int_equal(rc1, rc2);
    if (strcmp(e1.message, e2.message) != 0)
        fprintf(stderr, "seq: %s\npar: %s\n", e1.message, e2.message);
    assert_string_equal(e1.message, e2.message);
    assert_int_equal(e1.line, e2.line);
    assert_int_equal(e1.column, e2.column);
    kl_buf_free(&a);
    kl_buf_free(&b);
    return e1;
}

/* ---- generated data ------------------------------------------------------------------ */

/* Append row i of the standard table: id,name,score,flag. */
static void gen_row(kl_buf *b, long i, const char *eol) {
    kl_buf_printf(b, "%ld,name%05ld,%ld.%03ld,%s%s", i, i % 99991, i % 1000, (i * 7) % 1000,
                  i % 3 ? "x" : "", eol);
}

/* Rows until the buffer holds at least n bytes. Returns the next row number. */
static long gen_until(kl_buf *b, long i, size_t n, const char *eol) {
    while (b->len < n) gen_row(b, i++, eol);
    return i;
}

static void gen_header(kl_buf *b, const char *eol) { kl_buf_printf(b, "id,name,score,flag%s", eol); }

/* Pad with a row whose name column is long so the buffer reaches exactly n bytes (the row
 * ends with '\n' at n - 1). Needs n - b->len >= 32. */
static long gen_pad_to(kl_buf *b, long i, size_t n) {
    size_t before = b->len;
    kl_buf_printf(b, "%ld,", i);
    size_t fixed = strlen(",1.5,x\n");
    assert_true(n > b->len + fixed);
    size_t fill = n - b->len - fixed;
    while (fill--) kl_buf_putc(b, 'p');
    kl_buf_puts(b, ",1.5,x\n");
    assert_int_equal(b->len, n);
    (void)before;
    return i + 1;
}

/* ---- tests --------------------------------------------------------------------------- */

static void t_tiny(void **state) {
    (void)state;
    wfile("tiny.csv", "a,b\n1,x\n2,y\n3,\"z,z\"\n");
    same_rows("tiny.csv", W1248);
    assert_int_equal(g_last_morsels, 1);
}

static void t_header_only_and_empty_lines(void **state) {
    (void)state;
    wfile("h.csv", "a,b\n");
    kl_csv_options o;
    csv_options_init(&o);
    o.header = 1;
    same_rows_opts("h.csv", &o, NULL, W14, 0);
    wfile("e.csv", "a,b\n\n1,2\n\n\n3,4\n\n");
    same_rows("e.csv", W14);
}

static void t_parallel_ok(void **state) {
    (void)state;
    wfile("ok.csv", "a,b\n1,2\n");
    kl_csv *rd = NULL;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(csv_open(tpath("ok.csv"), NULL, &rd, &err), 0);
    assert_true(csv_parallel_ok(rd));
    csv_close(rd);
    kl_csv_options o;
    csv_options_init(&o);
    o.escape = '\\';
    assert_int_equal(csv_open(tpath("ok.csv"), &o, &rd, &err), 0);
    assert_false(csv_parallel_ok(rd));
    csv_close(rd);
}

static void t_big_1_2_4_8(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    gen_until(&b, 0, 50u * 1000 * 1000, "\n");
    wfile_n("big.csv", b.data, b.len);
    same_rows_opts("big.csv", NULL, NULL, W1248, 40u * 1000 * 1000);
    assert_true(g_last_morsels >= 4);
    kl_buf_free(&b);
}

static void t_exact_block_sizes(void **state) {
    (void)state;
    /* the file is exactly one morsel; exactly one morsel + 1 byte (no final newline);
     * a record ending exactly at the morsel size, then more */
    kl_buf b = {0};
    gen_header(&b, "\n");
    long i = gen_until(&b, 0, MORSEL - 200, "\n");
    i = gen_pad_to(&b, i, MORSEL);
    wfile_n("m1.csv", b.data, b.len);
    same_rows("m1.csv", W14);
    assert_int_equal(g_last_morsels, 1);
    /* one byte more than a morsel, the last record without its newline */
    kl_buf c = {0};
    gen_header(&c, "\n");
    long k = gen_until(&c, 0, MORSEL - 200, "\n");
    gen_pad_to(&c, k, MORSEL - 9);
    kl_buf_puts(&c, "1,a,1.5,xy");
    assert_int_equal(c.len, MORSEL + 1);
    wfile_n("m1p.csv", c.data, c.len);
    same_rows("m1p.csv", W14);
    kl_buf_free(&c);
    /* records end exactly at every multiple of the morsel size: cuts land right there */
    i = gen_until(&b, i, 2 * MORSEL - 200, "\n");
    i = gen_pad_to(&b, i, 2 * MORSEL);
    i = gen_until(&b, i, 3 * MORSEL - 200, "\n");
    gen_pad_to(&b, i, 3 * MORSEL);
    wfile_n("m3.csv", b.data, b.len);
    same_rows("m3.csv", W1248);
    assert_int_equal(g_last_morsels, 3);
    kl_buf_free(&b);
}

/* A quoted field with newlines that spans the morsel cut: no cut inside it. */
static void t_quoted_newlines_across_cut(void **state) {
    (void)state;
    for (size_t back = 1; back <= 41; back += 20) {
        kl_buf b = {0};
        gen_header(&b, "\n");
        long i = gen_until(&b, 0, MORSEL - 300, "\n");
        /* the field starts before the cut and runs 200 bytes past it, with a newline every
         * few bytes, including at MORSEL - back and MORSEL - back + 1 */
        kl_buf_printf(&b, "%ld,\"", i++);
        while (b.len < MORSEL - back) kl_buf_putc(&b, b.len % 7 ? 'q' : '\n');
        kl_buf_puts(&b, "\n\n,\"\"x");
        while (b.len < MORSEL + 200) kl_buf_putc(&b, b.len % 5 ? 'r' : '\n');
        kl_buf_puts(&b, "\",2.5,x\n");
        gen_until(&b, i, 2 * MORSEL + 12345, "\n");
        wfile_n("qn.csv", b.data, b.len);
        same_rows("qn.csv", W1248);
        kl_buf_free(&b);
    }
}

/* A doubled quote whose first half is the last byte of the morsel's first read. */
static void t_doubled_quote_at_cut(void **state) {
    (void)state;
    for (int shift = 0; shift < 3; shift++) {
        kl_buf b = {0};
        gen_header(&b, "\n");
        long i = gen_until(&b, 0, MORSEL - 400, "\n");
        kl_buf_printf(&b, "%ld,\"", i++);
        while (b.len < MORSEL - 1 - (size_t)shift) kl_buf_putc(&b, b.len % 9 ? 'q' : '\n');
        kl_buf_puts(&b, "\"\"\n,\"\"\n"); /* doubled quotes and newlines, still inside */
        while (b.len < MORSEL + 100) kl_buf_putc(&b, b.len % 11 ? 's' : '\n');
        kl_buf_puts(&b, "\",2.5,\"x\"\"y\"\n");
        gen_until(&b, i, MORSEL + MORSEL / 2, "\n");
        wfile_n("dq.csv", b.data, b.len);
        same_rows("dq.csv", W14);
        kl_buf_free(&b);
    }
}

/* One record longer than a morsel: the cut reads on until the record ends. */
static void t_record_longer_than_morsel(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    long i = gen_until(&b, 0, 1000000, "\n");
    kl_buf_printf(&b, "%ld,\"", i++);
    size_t stop = b.len + MORSEL + MORSEL / 3;
    while (b.len < stop) kl_buf_putc(&b, b.len % 13 ? 'L' : '\n');
    kl_buf_puts(&b, "\",1.0,x\n");
    gen_until(&b, i, b.len + 3 * 1000 * 1000, "\n");
    wfile_n("long.csv", b.data, b.len);
    same_rows("long.csv", W14);
    kl_buf_free(&b);
}

/* Quotes inside unquoted fields are text and must not flip the parity. */
static void t_stray_quotes_in_unquoted_fields(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    long i = 0;
    while (b.len < 2 * MORSEL + 5000) {
        if (i % 1000 == 0) kl_buf_printf(&b, "%ld,ab\"cd,1.0,x\n", i++);
        else gen_row(&b, i++, "\n");
    }
    wfile_n("stray.csv", b.data, b.len);
    same_rows("stray.csv", W14);
    kl_buf_free(&b);
}

static void t_crlf(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\r\n");
    long i = gen_until(&b, 0, MORSEL - 3000, "\r\n");
    kl_buf_printf(&b, "%ld,\"multi\r\nline\",3.0,x\r\n", i++);
    gen_until(&b, i, 2 * MORSEL + 777, "\r\n");
    wfile_n("crlf.csv", b.data, b.len);
    same_rows("crlf.csv", W1248);
    kl_buf_free(&b);
}

static void t_bom_header(void **state) {
    (void)state;
    kl_buf b = {0};
    kl_buf_puts(&b, "\xEF\xBB\xBF\"id\",name,score,flag\n");
    gen_until(&b, 0, MORSEL + 5000, "\n");
    wfile_n("bom.csv", b.data, b.len);
    same_rows("bom.csv", W14);
    kl_buf_free(&b);
}

static void t_glob_files_and_filename(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    gen_until(&b, 0, MORSEL * 2 + 100, "\n");
    wfile_n("g_1.csv", b.data, b.len);
    wfile("g_2.csv", "id,name,score,flag\n5,five,5.5,x\n");
    wfile("g_3.csv", "id,name,score,flag\n");
    b.len = 0;
    gen_header(&b, "\n");
    gen_until(&b, 1000000, MORSEL / 2, "\n");
    wfile_n("g_4.csv", b.data, b.len);
    kl_csv_options o;
    csv_options_init(&o);
    o.filename = true;
    same_rows_opts("g_*.csv", &o, NULL, W1248, 0);
    assert_int_equal(g_last_morsels, 3 + 1 + 1);
    kl_buf_free(&b);
}

static void write_gz(const char *name, const char *data, size_t n) {
    gzFile g = gzopen(tpath(name), "wb1");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
    gzclose(g);
}

static void t_gzip_whole_file_morsels(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    gen_until(&b, 0, MORSEL + 1000, "\n");
    write_gz("z_1.csv.gz", b.data, b.len);
    write_gz("z_2.csv.gz", "id,name,score,flag\n1,a,1.5,\n", strlen("id,name,score,flag\n1,a,1.5,\n"));
    wfile_n("z_3.csv", b.data, b.len);
    kl_csv *rd = NULL;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(csv_open(tpath("z_1.csv.gz"), NULL, &rd, &err), 0);
    assert_false(csv_parallel_ok(rd));
    csv_close(rd);
    same_rows("z_1.csv.gz", W14);
    assert_int_equal(g_last_morsels, 1);
    same_rows("z_*", W14);
    assert_int_equal(g_last_morsels, 1 + 1 + 2);
    kl_buf_free(&b);
}

static void t_escape_not_quote_whole_file(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    long i = gen_until(&b, 0, MORSEL / 2, "\n");
    kl_buf_printf(&b, "%ld,\"a\\\"b\n\",1.0,x\n", i++);
    gen_until(&b, i, MORSEL + 100, "\n");
    wfile_n("esc.csv", b.data, b.len);
    kl_csv_options o;
    csv_options_init(&o);
    o.escape = '\\';
    same_rows_opts("esc.csv", &o, NULL, W14, 0);
    assert_int_equal(g_last_morsels, 1);
    kl_buf_free(&b);
}

static void t_projection(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    gen_until(&b, 0, 2 * MORSEL + 3, "\n");
    wfile_n("proj.csv", b.data, b.len);
    bool needed[4] = {false, true, false, true};
    kl_csv_options o;
    csv_options_init(&o);
    same_rows_opts("proj.csv", &o, needed, W14, 0);
    kl_buf_free(&b);
}

/* A value that does not convert, in the last morsel: same message and physical line. */
static void t_conversion_error_late_morsel(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    long i = gen_until(&b, 0, MORSEL / 3, "\n");
    /* quoted newlines before the error shift physical lines against record numbers */
    kl_buf_printf(&b, "%ld,\"two\nlines\",1.0,x\n", i++);
    i = gen_until(&b, i, 2 * MORSEL + 5000, "\n");
    kl_buf_printf(&b, "%ld,\"three\n\nlines\",1.0,x\n", i++);
    kl_buf_printf(&b, "oops,bad,1.0,x\n");
    gen_until(&b, i, b.len + 100000, "\n");
    wfile_n("cerr.csv", b.data, b.len);
    for (int w = 1; w <= 4; w *= 2) {
        kl_error e = same_error("cerr.csv", w);
        assert_int_equal(e.code, KILN_ERR_CONVERSION);
        assert_non_null(strstr(e.message, "\"oops\""));
        assert_int_equal(e.column, 1);
        /* header + rows + the 1 + 2 extra newlines of the quoted fields */
        assert_int_equal(e.line, 1 + (i + 1) + 3);
    }
    kl_buf_free(&b);
}

static void t_field_count_error_late_morsel(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    long i = gen_until(&b, 0, MORSEL + MORSEL / 2, "\n");
    kl_buf_puts(&b, "1,2,3\n");
    gen_until(&b, i, b.len + 1000, "\n");
    wfile_n("ferr.csv", b.data, b.len);
    kl_error e = same_error("ferr.csv", 2);
    assert_non_null(strstr(e.message, "Expected 4 fields but found 3"));
    assert_int_equal(e.line, 1 + i + 1);
    kl_buf_free(&b);
}

static void t_utf8_error_late_morsel(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    long i = gen_until(&b, 0, MORSEL + 10, "\n");
    kl_buf_puts(&b, "1,caf\xC3\xA9,1.0,x\n2,bad\xFF,1.0,x\n");
    gen_until(&b, i, b.len + 1000, "\n");
    wfile_n("uerr.csv", b.data, b.len);
    kl_error e = same_error("uerr.csv", 4);
    assert_non_null(strstr(e.message, "Invalid UTF-8"));
    kl_buf_free(&b);
}

static void t_unterminated_quote_late(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    gen_until(&b, 0, MORSEL + 100, "\n");
    kl_buf_puts(&b, "9,\"never closed\n1,2,3,4\n");
    wfile_n("uq.csv", b.data, b.len);
    kl_error e = same_error("uq.csv", 2);
    assert_non_null(strstr(e.message, "Unterminated quoted field"));
    kl_buf_free(&b);
}

static void t_error_in_first_morsel(void **state) {
    (void)state;
    kl_buf b = {0};
    gen_header(&b, "\n");
    long i = gen_until(&b, 0, 30000 * 40, "\n"); /* past the type sample */
    kl_buf_puts(&b, "zz,a,1.0,x\n");
    gen_until(&b, i, MORSEL + 100, "\n");
    wfile_n("e0.csv", b.data, b.len);
    kl_error e = same_error("e0.csv", 4);
    assert_int_equal(e.line, 1 + i + 1);
    kl_buf_free(&b);
}

static void t_worker_chunk_column_mismatch(void **state) {
    (void)state;
    wfile("cm.csv", "a,b\n1,2\n");
    kl_csv *rd = NULL;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(csv_open(tpath("cm.csv"), NULL, &rd, &err), 0);
    kl_csv_worker *w = NULL;
    assert_int_equal(csv_worker_new(rd, &w, &err), 0);
    kl_type t[1] = {KILN_TYPE_BIGINT};
    kl_chunk ch;
    assert_int_equal(chunk_init(&ch, t, 1, KL_CHUNK_ROWS), 0);
    uint64_t mi;
    uint32_t ci;
    assert_int_equal(csv_worker_next(w, &ch, &mi, &ci, &err), KILN_ERR_INTERNAL);
    chunk_free(&ch);
    csv_worker_free(w);
    csv_close(rd);
}

/* ---- fixtures ------------------------------------------------------------------------- */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/kiln_csvpar_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_tiny),
        cmocka_unit_test(t_header_only_and_empty_lines),
        cmocka_unit_test(t_parallel_ok),
        cmocka_unit_test(t_big_1_2_4_8),
        cmocka_unit_test(t_exact_block_sizes),
        cmocka_unit_test(t_quoted_newlines_across_cut),
        cmocka_unit_test(t_doubled_quote_at_cut),
        cmocka_unit_test(t_record_longer_than_morsel),
        cmocka_unit_test(t_stray_quotes_in_unquoted_fields),
        cmocka_unit_test(t_crlf),
        cmocka_unit_test(t_bom_header),
        cmocka_unit_test(t_glob_files_and_filename),
        cmocka_unit_test(t_gzip_whole_file_morsels),
        cmocka_unit_test(t_escape_not_quote_whole_file),
        cmocka_unit_test(t_projection),
        cmocka_unit_test(t_conversion_error_late_morsel),
        cmocka_unit_test(t_field_count_error_late_morsel),
        cmocka_unit_test(t_utf8_error_late_morsel),
        cmocka_unit_test(t_unterminated_quote_late),
        cmocka_unit_test(t_error_in_first_morsel),
        cmocka_unit_test(t_worker_chunk_column_mismatch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
