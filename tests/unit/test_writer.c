/*
 * test_writer.c — unit tests of the COPY TO sink (src/io/writer.c): CSV quoting rules,
 * header on/off, custom delimiter, NULL text, JSON lines escaping and value forms, atomic
 * commit (file appears, no temporary left) and abort (nothing appears), row counts, large
 * outputs spanning several flushes. Files are read back with stdio.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "io/fs.h"
#include "io/writer.h"

static char g_dir[256];

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/kiln_test_writer_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

/* Remove every file in the directory, then the directory. */
static int teardown(void **state) {
    (void)state;
    DIR *d = opendir(g_dir);
    if (d) {
        struct dirent *e;
        char p[600];
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0)))
                continue;
            snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g_dir);
    return 0;
}

static int count_dir_entries(void) {
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static char *path_in_dir(const char *name) {
    static char p[600];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    return p;
}

/* Read a whole file into a malloc'ed string (the test frees it). */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* A chunk with columns (i BIGINT, s VARCHAR); strs[i] == NULL is a NULL string, ints[i] ==
 * INT64_MIN a NULL int. */
static void make_chunk(kl_chunk *c, const int64_t *ints, const char *const *strs, uint32_t n) {
    kl_type t[] = {KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR};
    assert_int_equal(chunk_init(c, t, 2, 16), 0);
    for (uint32_t i = 0; i < n; i++) {
        if (ints[i] == INT64_MIN)
            vec_set_null(&c->cols[0], i);
        else
            VEC_I64(&c->cols[0])[i] = ints[i];
        if (!strs[i])
            vec_set_null(&c->cols[1], i);
        else
            assert_int_equal(vec_set_string(&c->cols[1], i, strs[i], strlen(strs[i])), 0);
    }
    c->n_rows = n;
}

static const char *const NAMES2[] = {"i", "s"};
static const kl_type TYPES2[] = {KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR};

/* Write one chunk with opts to name; returns the file's text. */
static char *write_one(const char *name, const kl_write_options *opts, const kl_chunk *c,
                       uint64_t *rows) {
    kl_writer *w = NULL;
    kl_error err;
    kiln_error_clear(&err);
    assert_int_equal(writer_open(path_in_dir(name), opts, NAMES2, TYPES2, 2, &w, &err), 0);
    assert_int_equal(writer_write_chunk(w, c, &err), 0);
    uint64_t n = 0;
    assert_int_equal(writer_commit(w, &n, &err), 0);
    if (rows) *rows = n;
    char *s = slurp(path_in_dir(name));
    assert_non_null(s);
    return s;
}

static void test_csv_basic(void **state) {
    (void)state;
    kl_write_options o;
    writer_options_init(&o);
    int64_t ints[] = {1, -2, 30};
    const char *strs[] = {"a", "bc", "hello world"};
    kl_chunk c;
    make_chunk(&c, ints, strs, 3);
    uint64_t rows = 0;
    char *s = write_one("basic.csv", &o, &c, &rows);
    assert_string_equal(s, "i,s\n1,a\n-2,bc\n30,hello world\n");
    assert_int_equal(rows, 3);
    free(s);
    chunk_free(&c);
}

static void test_csv_quoting(void **state) {
    (void)state;
    kl_write_options o;
    writer_options_init(&o);
    int64_t ints[] = {1, 2, 3, 4, 5, 6, 7, 8};
    const char *strs[] = {"a,b", "say \"hi\"", "two\nlines", "cr\rhere", " lead", "trail ", "", "plain"};
    kl_chunk c;
    make_chunk(&c, ints, strs, 8);
    char *s = write_one("quote.csv", &o, &c, NULL);
    assert_string_equal(s, "i,s\n"
                           "1,\"a,b\"\n"
                           "2,\"say \"\"hi\"\"\"\n"
                           "3,\"two\nlines\"\n"
                           "4,\"cr\rhere\"\n"
                           "5,\" lead\"\n"
                           "6,\"trail \"\n"
                           "7,\"\"\n"
                           "8,plain\n");
    free(s);
    chunk_free(&c);
}

static void test_csv_nulls(void **state) {
    (void)state;
    kl_write_options o;
    writer_options_init(&o);
    int64_t ints[] = {INT64_MIN, 2, INT64_MIN};
    const char *strs[] = {NULL, "", "NULL"};
    kl_chunk c;
    make_chunk(&c, ints, strs, 3);
    char *s = write_one("nulls.csv", &o, &c, NULL);
    assert_string_equal(s, "i,s\n,\n2,\"\"\n,NULL\n");
    free(s);
    /* with nullstr "NULL": NULLs become NULL, the string "NULL" is quoted, "" stays bare */
    o.nullstr = "NULL";
    s = write_one("nulls2.csv", &o, &c, NULL);
    assert_string_equal(s, "i,s\nNULL,NULL\n2,\nNULL,\"NULL\"\n");
    free(s);
    chunk_free(&c);
}

static void test_csv_header_off_and_delim(void **state) {
    (void)state;
    kl_write_options o;
    writer_options_init(&o);
    o.header = false;
    o.delim = '|';
    int64_t ints[] = {1, 2};
    const char *strs[] = {"a,b", "x|y"};
    kl_chunk c;
    make_chunk(&c, ints, strs, 2);
    char *s = write_one("pipe.csv", &o, &c, NULL);
    assert_string_equal(s, "1|a,b\n2|\"x|y\"\n");
    free(s);
    /* tab delimiter and a custom quote character */
    o.delim = '\t';
    o.quote = '\'';
    const char *strs2[] = {"it's", "t\tab"};
    kl_chunk c2;
    make_chunk(&c2, ints, strs2, 2);
    s = write_one("tab.tsv", &o, &c2, NULL);
    assert_string_equal(s, "1\t'it''s'\n2\t't\tab'\n");
    free(s);
    chunk_free(&c);
    chunk_free(&c2);
}

static void test_csv_header_quoting(void **state) {
    (void)state;
    kl_write_options o;
    writer_options_init(&o);
    const char *names[] = {"a,b", "plain", "q\"x"};
    kl_type t[] = {KILN_TYPE_BIGINT, KILN_TYPE_BIGINT, KILN_TYPE_BIGINT};
    kl_writer *w = NULL;
    assert_int_equal(writer_open(path_in_dir("hdr.csv"), &o, names, t, 3, &w, NULL), 0);
    uint64_t rows = 99;
    assert_int_equal(writer_commit(w, &rows, NULL), 0);
    assert_int_equal(rows, 0);
    char *s = slurp(path_in_dir("hdr.csv"));
    assert_string_equal(s, "\"a,b\",plain,\"q\"\"x\"\n");
    free(s);
}

static void test_csv_types(void **state) {
    (void)state;
    kl_write_options o;
    writer_options_init(&o);
    kl_type t[] = {KILN_TYPE_DOUBLE, KILN_TYPE_BOOLEAN, KILN_TYPE_DATE, KILN_TYPE_TIMESTAMP, KILN_TYPE_NULL};
    const char *names[] = {"d", "b", "dt", "ts", "n"};
    kl_chunk c;
    assert_int_equal(chunk_init(&c, t, 5, 4), 0);
    VEC_F64(&c.cols[0])[0] = 4.25;
    VEC_U8(&c.cols[1])[0] = 1;
    VEC_I32(&c.cols[2])[0] = 0;
    VEC_I64(&c.cols[3])[0] = 86400LL * 1000000 + 1500000;
    VEC_F64(&c.cols[0])[1] = 0.1;
    VEC_U8(&c.cols[1])[1] = 0;
    VEC_I32(&c.cols[2])[1] = 19000;
    VEC_I64(&c.cols[3])[1] = 0;
    c.n_rows = 2;
    kl_writer *w = NULL;
    assert_int_equal(writer_open(path_in_dir("types.csv"), &o, names, t, 5, &w, NULL), 0);
    assert_int_equal(writer_write_chunk(w, &c, NULL), 0);
    assert_int_equal(writer_commit(w, NULL, NULL), 0);
    char *s = slurp(path_in_dir("types.csv"));
    assert_string_equal(s, "d,b,dt,ts,n\n"
                           "4.25,true,1970-01-01,1970-01-02 00:00:01.5,\n"
                           "0.1,false,2022-01-08,1970-01-01 00:00:00,\n");
    free(s);
    chunk_free(&c);
}

static void test_json_lines(void **state) {
    (void)state;
    kl_write_options o;
    writer_options_init(&o);
    o.format = KL_WRITE_JSON;
    int64_t ints[] = {1, INT64_MIN, -3};
    const char *strs[] = {"x", NULL, "q\"b\\s\n\r\t\x01\x1f end \xc3\xa9"};
    kl_chunk c;
    make_chunk(&c, ints, strs, 3);
    uint64_t rows = 0;
    char *s = write_one("out.json", &o, &c, &rows);
    assert_string_equal(s, "{\"i\":1,\"s\":\"x\"}\n"
                           "{\"i\":null,\"s\":null}\n"
                           "{\"i\":-3,\"s\":\"q\\\"b\\\\s\\n\\r\\t\\u0001\\u001f end \xc3\xa9\"}\n");
    assert_int_equal(rows, 3);
    free(s);
    chunk_free(&c);
}

static void test_json_types(void **state) {
    (void)state;
    kl_write_options o;
    writer_options_init(&o);
    o.format = KL_WRITE_JSON;
    kl_type t[] = {KILN_TYPE_DOUBLE, KILN_TYPE_BOOLEAN, KILN_TYPE_DATE, KILN_TYPE_TIMESTAMP};
    const char *names[] = {"d", "b\"q", "dt", "ts"};
    kl_chunk c;
    assert_int_equal(chunk_init(&c, t, 4, 4), 0);
    VEC_F64(&c.cols[0])[0] = 2.5;
    VEC_F64(&c.cols[0])[1] = INFINITY;
    VEC_F64(&c.cols[0])[2] = NAN;
    VEC_U8(&c.cols[1])[0] = 1;
    VEC_U8(&c.cols[1])[1] = 0;
    vec_set_null(&c.cols[1], 2);
    VEC_I32(&c.cols[2])[0] = 1;
    VEC_I32(&c.cols[2])[1] = VEC_I32(&c.cols[2])[2] = 0;
    for (int i = 0; i < 3; i++) VEC_I64(&c.cols[3])[i] = 0;
    c.n_rows = 3;
    kl_writer *w = NULL;
    assert_int_equal(writer_open(path_in_dir("types.json"), &o, names, t, 4, &w, NULL), 0);
    assert_int_equal(writer_write_chunk(w, &c, NULL), 0);
    assert_int_equal(writer_commit(w, NULL, NULL), 0);
    char *s = slurp(path_in_dir("types.json"));
    assert_string_equal(s, "{\"d\":2.5,\"b\\\"q\":true,\"dt\":\"1970-01-02\",\"ts\":\"1970-01-01 00:00:00\"}\n"
                           "{\"d\":null,\"b\\\"q\":false,\"dt\":\"1970-01-01\",\"ts\":\"1970-01-01 00:00:00\"}\n"
                           "{\"d\":null,\"b\\\"q\":null,\"dt\":\"1970-01-01\",\"ts\":\"1970-01-01 00:00:00\"}\n");
    free(s);
    chunk_free(&c);
}

static void test_abort_leaves_nothing(void **state) {
    (void)state;
    int before = count_dir_entries();
    kl_write_options o;
    writer_options_init(&o);
    int64_t ints[] = {1};
    const char *strs[] = {"a"};
    kl_chunk c;
    make_chunk(&c, ints, strs, 1);
    kl_writer *w = NULL;
    assert_int_equal(writer_open(path_in_dir("aborted.csv"), &o, NAMES2, TYPES2, 2, &w, NULL), 0);
    assert_int_equal(writer_write_chunk(w, &c, NULL), 0);
    writer_abort(w);
    writer_abort(NULL);
    assert_int_equal(count_dir_entries(), before);
    FILE *f = fopen(path_in_dir("aborted.csv"), "r");
    assert_null(f);
    chunk_free(&c);
}

static void test_commit_replaces_atomically(void **state) {
    (void)state;
    /* an existing file is replaced only on commit; until then it keeps its old content */
    FILE *f = fopen(path_in_dir("replace.csv"), "w");
    assert_non_null(f);
    fputs("old\n", f);
    fclose(f);
    int before = count_dir_entries();
    kl_write_options o;
    writer_options_init(&o);
    int64_t ints[] = {7};
    const char *strs[] = {"new"};
    kl_chunk c;
    make_chunk(&c, ints, strs, 1);
    kl_writer *w = NULL;
    assert_int_equal(writer_open(path_in_dir("replace.csv"), &o, NAMES2, TYPES2, 2, &w, NULL), 0);
    assert_int_equal(writer_write_chunk(w, &c, NULL), 0);
    char *s = slurp(path_in_dir("replace.csv"));
    assert_string_equal(s, "old\n");
    free(s);
    uint64_t rows = 0;
    assert_int_equal(writer_commit(w, &rows, NULL), 0);
    assert_int_equal(rows, 1);
    s = slurp(path_in_dir("replace.csv"));
    assert_string_equal(s, "i,s\n7,new\n");
    free(s);
    assert_int_equal(count_dir_entries(), before); /* no temporary file left */
    chunk_free(&c);
}

static void test_large_output_and_row_count(void **state) {
    (void)state;
    /* ~3 MB of output: several 1 MiB flushes; every row must arrive in order */
    size_t before_mem = kl_mem_in_use();
    kl_write_options o;
    writer_options_init(&o);
    o.header = false;
    kl_type t[] = {KILN_TYPE_BIGINT};
    const char *names[] = {"n"};
    kl_chunk c;
    assert_int_equal(chunk_init(&c, t, 1, KL_CHUNK_ROWS), 0);
    kl_writer *w = NULL;
    assert_int_equal(writer_open(path_in_dir("big.csv"), &o, names, t, 1, &w, NULL), 0);
    const int64_t total = 300000;
    for (int64_t base = 0; base < total; base += KL_CHUNK_ROWS) {
        uint32_t n = (uint32_t)KL_MIN((int64_t)KL_CHUNK_ROWS, total - base);
        for (uint32_t i = 0; i < n; i++) VEC_I64(&c.cols[0])[i] = 1000000 + base + i;
        c.n_rows = n;
        assert_int_equal(writer_write_chunk(w, &c, NULL), 0);
    }
    uint64_t rows = 0;
    assert_int_equal(writer_commit(w, &rows, NULL), 0);
    assert_int_equal(rows, (uint64_t)total);
    FILE *f = fopen(path_in_dir("big.csv"), "r");
    assert_non_null(f);
    char line[64];
    int64_t expect = 1000000;
    while (fgets(line, sizeof line, f)) {
        assert_int_equal(strtoll(line, NULL, 10), expect);
        expect++;
    }
    fclose(f);
    assert_int_equal(expect, 1000000 + total);
    chunk_free(&c);
    assert_int_equal(kl_mem_in_use(), before_mem);
}

static void test_errors(void **state) {
    (void)state;
    kl_write_options o;
    writer_options_init(&o);
    kl_writer *w = (kl_writer *)1;
    kl_error err;
    /* directory does not exist */
    kiln_error_clear(&err);
    assert_int_not_equal(writer_open("/nonexistent_dir_kiln/x.csv", &o, NAMES2, TYPES2, 2, &w, &err), 0);
    assert_null(w);
    assert_int_equal(err.code, KILN_ERR_IO);
    /* delimiter equal to quote */
    o.delim = '"';
    kiln_error_clear(&err);
    assert_int_equal(writer_open(path_in_dir("bad.csv"), &o, NAMES2, TYPES2, 2, &w, &err), KILN_ERR_INVALID);
    assert_null(w);
    /* a chunk with the wrong column count is refused; abort cleans up */
    writer_options_init(&o);
    assert_int_equal(writer_open(path_in_dir("bad2.csv"), &o, NAMES2, TYPES2, 2, &w, NULL), 0);
    kl_type t = KILN_TYPE_BIGINT;
    kl_chunk c;
    assert_int_equal(chunk_init(&c, &t, 1, 4), 0);
    c.n_rows = 1;
    kiln_error_clear(&err);
    assert_int_not_equal(writer_write_chunk(w, &c, &err), 0);
    assert_true(err.code != KILN_OK);
    writer_abort(w);
    assert_null(fopen(path_in_dir("bad2.csv"), "r"));
    chunk_free(&c);
}

static void test_write_fault_injection(void **state) {
    (void)state;
    /* an I/O failure during commit leaves neither the file nor a temporary */
    int before = count_dir_entries();
    kl_write_options o;
    writer_options_init(&o);
    int64_t ints[] = {1};
    const char *strs[] = {"a"};
    kl_chunk c;
    make_chunk(&c, ints, strs, 1);
    for (long n = 1; n <= 3; n++) {
        kl_writer *w = NULL;
        assert_int_equal(writer_open(path_in_dir("fault.csv"), &o, NAMES2, TYPES2, 2, &w, NULL), 0);
        assert_int_equal(writer_write_chunk(w, &c, NULL), 0);
        fs_fail_after(n);
        kl_error err;
        kiln_error_clear(&err);
        int rc = writer_commit(w, NULL, &err);
        fs_fail_after(0);
        if (rc != 0) {
            assert_int_equal(count_dir_entries(), before);
        } else {
            unlink(path_in_dir("fault.csv"));
        }
    }
    chunk_free(&c);
}

static void test_out_of_memory(void **state) {
    (void)state;
    /* fail the n-th allocation anywhere in open/write/commit: each run either succeeds or
     * reports KILN_ERR_MEMORY, leaks nothing, and a failed run leaves no file behind */
    kl_write_options o;
    writer_options_init(&o);
    o.nullstr = "NA";
    int64_t ints[] = {1, 2, INT64_MIN};
    const char *strs[] = {"a,b", "x", NULL};
    kl_chunk c;
    make_chunk(&c, ints, strs, 3);
    int before = count_dir_entries();
    size_t before_mem = kl_mem_in_use();
    for (long n = 1; n <= 12; n++) {
        kl_mem_fail_after(n);
        kl_error err;
        kiln_error_clear(&err);
        kl_writer *w = NULL;
        int rc = writer_open(path_in_dir("oom.csv"), &o, NAMES2, TYPES2, 2, &w, &err);
        if (rc == 0) {
            rc = writer_write_chunk(w, &c, &err);
            if (rc == 0)
                rc = writer_commit(w, NULL, &err);
            else
                writer_abort(w);
        }
        kl_mem_fail_after(0);
        if (rc != 0) {
            assert_int_equal(err.code, rc);
            assert_int_equal(count_dir_entries(), before);
        } else {
            char *s = slurp(path_in_dir("oom.csv"));
            assert_string_equal(s, "i,s\n1,\"a,b\"\n2,x\nNA,NA\n");
            free(s);
            unlink(path_in_dir("oom.csv"));
        }
        assert_int_equal(kl_mem_in_use(), before_mem);
    }
    chunk_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_basic),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_nulls),
        cmocka_unit_test(test_csv_header_off_and_delim),
        cmocka_unit_test(test_csv_header_quoting),
        cmocka_unit_test(test_csv_types),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_json_types),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_commit_replaces_atomically),
        cmocka_unit_test(test_large_output_and_row_count),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_write_fault_injection),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
