/*
 * test_engine.c — end-to-end tests through the public API (include/kiln.h): open/close,
 * multi-statement exec, typed getters, chunked results, text formatting, error records
 * (syntax, binder, CSV data) and their rendering, options, the memory limit, and allocation
 * fault injection (kl_mem_fail_after from the internal util/kl.h: every run must succeed with
 * the right answer or fail cleanly with KILN_ERR_MEMORY, and never leak).
 *
 * CSV inputs are generated into a mkdtemp() directory by the group setup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <unistd.h>

#include "kiln.h"
#include "util/kl.h"

static char g_dir[256];
static char g_small[320]; /* 10 rows of mixed types */
static char g_n5000[320]; /* 5000 rows: id, name */
static char g_big[320];   /* 200,000 rows */
static char g_bad[320];   /* unterminated quote on line 4 */
#define BIG_ROWS 200000

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

static int setup_files(void **state) {
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/kiln_test_engine_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) return -1;
    snprintf(g_small, sizeof g_small, "%s/small.csv", g_dir);
    snprintf(g_n5000, sizeof g_n5000, "%s/n5000.csv", g_dir);
    snprintf(g_big, sizeof g_big, "%s/big.csv", g_dir);
    snprintf(g_bad, sizeof g_bad, "%s/bad.csv", g_dir);
    if (write_file(g_small,
                   "id,name,score,flag,day,ts\n"
                   "1,alpha,1.5,true,2024-02-29,2024-02-29 12:34:56.789\n"
                   "2,beta,2.0,false,1970-01-01,1970-01-01 00:00:00\n"
                   "3,gamma,,true,2000-12-31,2000-12-31 23:59:59\n"
                   "4,,0.1,,1999-01-01,\n"
                   "5,epsilon,-0.5,false,,2020-06-15 08:00:00.5\n"
                   "6,zeta,4.25,true,2024-01-01,2024-01-01 00:00:00\n"
                   "7,eta,100.0,false,2024-01-02,2024-01-02 00:00:00\n"
                   "8,theta,7.75,true,2024-01-03,2024-01-03 00:00:00\n"
                   "9,iota,3.0,false,2024-01-04,2024-01-04 00:00:00\n"
                   "10,kappa,1e20,true,2024-01-05,2024-01-05 00:00:00\n"))
        return -1;
    FILE *f = fopen(g_n5000, "w");
    if (!f) return -1;
    fputs("id,name\n", f);
    for (int i = 0; i < 5000; i++) fprintf(f, "%d,name_%d\n", i, i);
    fclose(f);
    f = fopen(g_big, "w");
    if (!f) return -1;
    fputs("id,grp,label,amount\n", f);
    for (int i = 0; i < BIG_ROWS; i++)
        fprintf(f, "%d,%d,label number %d,%d.25\n", i, i % 97, i, i % 1000);
    fclose(f);
    if (write_file(g_bad, "a,b\n1,x\n2,y\n3,\"unterminated\n4,z\n")) return -1;
    return 0;
}

static int teardown_files(void **state) {
    (void)state;
    unlink(g_small);
    unlink(g_n5000);
    unlink(g_big);
    unlink(g_bad);
    rmdir(g_dir);
    return 0;
}

/* Run SQL that must succeed; returns the result (caller frees). */
#include "sql_helpers.h"

static kiln_db *open_db(void) {
    kiln_db *db = NULL;
    kiln_error err;
    assert_int_equal(kiln_open(&db, &err), 0);
    assert_non_null(db);
    assert_int_equal(err.code, KILN_OK);
    return db;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_open_close(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    assert_string_equal(kiln_version(), KILN_VERSION);
    assert_string_equal(kiln_type_name(KILN_TYPE_BIGINT), "BIGINT");
    assert_string_equal(kiln_type_name(KILN_TYPE_VARCHAR), "VARCHAR");
    assert_string_equal(kiln_type_name(KILN_TYPE_TIMESTAMP), "TIMESTAMP");
    kiln_db *db = open_db();
    kiln_close(db);
    kiln_close(NULL);
    kiln_result_free(NULL);
    assert_int_equal(kl_mem_in_use(), base);
    /* NULL arguments are rejected, not crashed on */
    kiln_error err;
    kiln_result *res = (kiln_result *)&err;
    assert_int_equal(kiln_exec(NULL, "SELECT 1", &res, &err), KILN_ERR_INVALID);
    assert_null(res);
    db = open_db();
    assert_int_equal(kiln_exec(db, NULL, NULL, &err), KILN_ERR_INVALID);
    /* err may be NULL */
    assert_int_equal(kiln_exec(db, "SELEC 1", NULL, NULL), KILN_ERR_SYNTAX);
    kiln_close(db);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_multi_statement_last_result(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kiln_db *db = open_db();
    kiln_result *res = run_ok(db,
                              "CREATE TABLE t (a BIGINT, b VARCHAR);\n"
                              "INSERT INTO t VALUES (1, 'one'), (2, 'two');\n"
                              "INSERT INTO t VALUES (3, 'three');\n"
                              "SELECT a, b FROM t ORDER BY a DESC;");
    assert_int_equal(kiln_result_column_count(res), 2);
    assert_string_equal(kiln_result_column_name(res, 0), "a");
    assert_string_equal(kiln_result_column_name(res, 1), "b");
    assert_int_equal(kiln_result_column_type(res, 0), KILN_TYPE_BIGINT);
    assert_int_equal(kiln_result_column_type(res, 1), KILN_TYPE_VARCHAR);
    assert_int_equal(kiln_result_row_count(res), 3);
    assert_int_equal(kiln_result_get_int64(res, 0, 0), 3);
    assert_int_equal(kiln_result_get_int64(res, 2, 0), 1);
    size_t len = 0;
    const char *s = kiln_result_get_varchar(res, 0, 1, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(s, "three", 5);
    kiln_result_free(res);

    /* the last statement is an INSERT: a Count result */
    res = run_ok(db, "SELECT 1; INSERT INTO t VALUES (4, 'four'), (5, NULL)");
    assert_int_equal(kiln_result_column_count(res), 1);
    assert_int_equal(kiln_result_row_count(res), 1);
    assert_int_equal(kiln_result_get_int64(res, 0, 0), 2);
    kiln_result_free(res);

    /* DDL last: zero columns */
    res = run_ok(db, "SELECT 1; CREATE TABLE u (x DOUBLE)");
    assert_int_equal(kiln_result_column_count(res), 0);
    kiln_result_free(res);

    /* a failing statement stops the batch; earlier ones stay done */
    kiln_error err;
    res = (kiln_result *)&err;
    assert_int_equal(kiln_exec(db, "INSERT INTO t VALUES (6, 'six'); SELECT nope FROM t; INSERT INTO t VALUES (7, 'seven')",
                               &res, &err),
                     KILN_ERR_BINDER);
    assert_null(res);
    res = run_ok(db, "SELECT count(*), max(a) FROM t");
    assert_int_equal(kiln_result_get_int64(res, 0, 0), 6);
    assert_int_equal(kiln_result_get_int64(res, 0, 1), 6);
    kiln_result_free(res);
    /* no res pointer: executes and frees */
    assert_int_equal(kiln_exec(db, "SELECT 42", NULL, &err), 0);
    kiln_close(db);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_typed_getters(void **state) {
    (void)state;
    kiln_db *db = open_db();
    kiln_result *res = run_ok(db,
                              "SELECT true AS b, 42 AS i, 2.5 AS d, 'hello' AS v, "
                              "CAST('2024-02-29' AS DATE) AS dt, "
                              "CAST('2024-02-29 12:34:56.789' AS TIMESTAMP) AS ts, "
                              "NULL AS n, CAST(NULL AS BIGINT) AS ni, -9223372036854775807 - 1 AS mn");
    assert_int_equal(kiln_result_row_count(res), 1);
    assert_int_equal(kiln_result_column_count(res), 9);
    assert_int_equal(kiln_result_column_type(res, 0), KILN_TYPE_BOOLEAN);
    assert_int_equal(kiln_result_column_type(res, 1), KILN_TYPE_BIGINT);
    assert_int_equal(kiln_result_column_type(res, 2), KILN_TYPE_DOUBLE);
    assert_int_equal(kiln_result_column_type(res, 3), KILN_TYPE_VARCHAR);
    assert_int_equal(kiln_result_column_type(res, 4), KILN_TYPE_DATE);
    assert_int_equal(kiln_result_column_type(res, 5), KILN_TYPE_TIMESTAMP);
    assert_int_equal(kiln_result_column_type(res, 7), KILN_TYPE_BIGINT);
    assert_string_equal(kiln_result_column_name(res, 3), "v");
    assert_true(kiln_result_get_bool(res, 0, 0));
    assert_int_equal(kiln_result_get_int64(res, 0, 1), 42);
    assert_true(kiln_result_get_double(res, 0, 2) == 2.5);
    size_t len = 99;
    const char *v = kiln_result_get_varchar(res, 0, 3, &len);
    assert_non_null(v);
    assert_int_equal(len, 5);
    assert_memory_equal(v, "hello", 5);
    assert_int_equal(kiln_result_get_date(res, 0, 4), 19782);
    assert_int_equal(kiln_result_get_timestamp(res, 0, 5),
                     19782LL * 86400000000LL + (12 * 3600 + 34 * 60 + 56) * 1000000LL + 789000);
    assert_true(kiln_result_get_int64(res, 0, 8) == INT64_MIN);
    for (size_t c = 0; c < 9; c++) assert_int_equal(kiln_result_is_null(res, 0, c), c == 6 || c == 7);
    /* wrong-type getters give 0/NULL */
    assert_int_equal(kiln_result_get_int64(res, 0, 3), 0);
    assert_null(kiln_result_get_varchar(res, 0, 1, &len));
    assert_int_equal(len, 0);
    assert_true(kiln_result_get_double(res, 0, 1) == 0.0);
    assert_false(kiln_result_get_bool(res, 0, 1));
    assert_int_equal(kiln_result_get_date(res, 0, 5), 0);
    /* NULL values */
    assert_int_equal(kiln_result_get_int64(res, 0, 7), 0);
    /* out-of-range row/column */
    assert_true(kiln_result_is_null(res, 1, 0));
    assert_true(kiln_result_is_null(res, 0, 9));
    assert_int_equal(kiln_result_get_int64(res, 5, 1), 0);
    assert_null(kiln_result_get_varchar(res, 1, 3, NULL));
    kiln_result_free(res);

    /* the same types read from a CSV file */
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT * FROM '%s' ORDER BY id", g_small);
    res = run_ok(db, sql);
    assert_int_equal(kiln_result_row_count(res), 10);
    kiln_type expect[6] = {KILN_TYPE_BIGINT,  KILN_TYPE_VARCHAR, KILN_TYPE_DOUBLE,
                           KILN_TYPE_BOOLEAN, KILN_TYPE_DATE,    KILN_TYPE_TIMESTAMP};
    for (size_t c = 0; c < 6; c++) assert_int_equal(kiln_result_column_type(res, c), expect[c]);
    assert_int_equal(kiln_result_get_int64(res, 0, 0), 1);
    assert_int_equal(kiln_result_get_date(res, 0, 4), 19782);
    assert_true(kiln_result_get_double(res, 4, 2) == -0.5);
    assert_false(kiln_result_get_bool(res, 1, 3));
    assert_true(kiln_result_get_bool(res, 0, 3));
    assert_true(kiln_result_is_null(res, 2, 2)); /* gamma's score */
    assert_true(kiln_result_is_null(res, 3, 1)); /* row 4 name */
    assert_true(kiln_result_is_null(res, 3, 3));
    assert_true(kiln_result_is_null(res, 3, 5));
    assert_true(kiln_result_is_null(res, 4, 4));
    assert_int_equal(kiln_result_get_timestamp(res, 1, 5), 0);
    assert_int_equal(kiln_result_get_timestamp(res, 4, 5), 1592208000500000LL); /* 2020-06-15 08:00:00.5 */
    kiln_result_free(res);
    kiln_close(db);
}

static void test_result_chunks_5000(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kiln_db *db = open_db();
    char sql[512];
    snprintf(sql, sizeof sql, "CREATE TABLE t AS SELECT * FROM '%s'", g_n5000);
    exec_ok(db, sql);
    kiln_result *res = run_ok(db, "SELECT id, name, id * 2 AS dbl FROM t ORDER BY id");
    assert_int_equal(kiln_result_row_count(res), 5000);
    assert_int_equal(kiln_result_chunk_count(res), 3);
    assert_int_equal(kiln_result_chunk_row_count(res, 0), 2048);
    assert_int_equal(kiln_result_chunk_row_count(res, 1), 2048);
    assert_int_equal(kiln_result_chunk_row_count(res, 2), 5000 - 4096);
    assert_int_equal(kiln_result_chunk_offset(res, 0), 0);
    assert_int_equal(kiln_result_chunk_offset(res, 1), 2048);
    assert_int_equal(kiln_result_chunk_offset(res, 2), 4096);
    size_t total = 0;
    for (size_t c = 0; c < kiln_result_chunk_count(res); c++) {
        assert_int_equal(kiln_result_chunk_offset(res, c), total);
        total += kiln_result_chunk_row_count(res, c);
    }
    assert_int_equal(total, 5000);
    char expect[32];
    for (size_t r = 0; r < 5000; r++) {
        assert_int_equal(kiln_result_get_int64(res, r, 0), (int64_t)r);
        assert_int_equal(kiln_result_get_int64(res, r, 2), 2 * (int64_t)r);
        size_t len;
        const char *s = kiln_result_get_varchar(res, r, 1, &len);
        int n = snprintf(expect, sizeof expect, "name_%zu", r);
        assert_int_equal(len, (size_t)n);
        assert_memory_equal(s, expect, len);
    }
    kiln_result_free(res);

    /* INSERT ... VALUES repeatedly into a table, then read back */
    exec_ok(db, "CREATE TABLE v (x BIGINT)");
    for (int i = 0; i < 50; i++) {
        char ins[4096];
        size_t w = (size_t)snprintf(ins, sizeof ins, "INSERT INTO v VALUES ");
        for (int j = 0; j < 100; j++)
            w += (size_t)snprintf(ins + w, sizeof ins - w, "%s(%d)", j ? ", " : "", i * 100 + j);
        exec_ok(db, ins);
    }
    res = run_ok(db, "SELECT x FROM v");
    assert_int_equal(kiln_result_row_count(res), 5000);
    assert_int_equal(kiln_result_chunk_count(res), 3);
    int64_t sum = 0;
    for (size_t r = 0; r < 5000; r++) sum += kiln_result_get_int64(res, r, 0);
    assert_int_equal(sum, 4999LL * 5000 / 2);
    kiln_result_free(res);
    /* empty result */
    res = run_ok(db, "SELECT x FROM v WHERE x < 0");
    assert_int_equal(kiln_result_row_count(res), 0);
    assert_int_equal(kiln_result_column_count(res), 1);
    kiln_result_free(res);
    kiln_close(db);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_get_text(void **state) {
    (void)state;
    kiln_db *db = open_db();
    kiln_result *res = run_ok(db,
                              "SELECT 2.0, 0.1, 4.25, -0.5, 1e20, true, false, 'txt', "
                              "CAST('2024-02-29' AS DATE), CAST('2024-02-29 12:34:56.789' AS TIMESTAMP), "
                              "NULL, 9223372036854775807, CAST('1970-01-01 00:00:00' AS TIMESTAMP)");
    const char *expect[] = {"2.0",  "0.1",        "4.25",
                            "-0.5", "1e+20",      "true",
                            "false", "txt",       "2024-02-29",
                            "2024-02-29 12:34:56.789", "", "9223372036854775807",
                            "1970-01-01 00:00:00"};
    char buf[128];
    for (size_t c = 0; c < 13; c++) {
        size_t n = kiln_result_get_text(res, 0, c, buf, sizeof buf);
        assert_string_equal(buf, expect[c]);
        assert_int_equal(n, strlen(expect[c]));
    }
    /* truncation: returns the needed length, writes a NUL-terminated prefix */
    char small[4];
    size_t need = kiln_result_get_text(res, 0, 9, small, sizeof small);
    assert_int_equal(need, strlen("2024-02-29 12:34:56.789"));
    assert_string_equal(small, "202");
    assert_int_equal(kiln_result_get_text(res, 0, 9, NULL, 0), need);
    kiln_result_free(res);
    kiln_close(db);
}

static void test_error_syntax(void **state) {
    (void)state;
    kiln_db *db = open_db();
    kiln_error err;
    kiln_result *res = NULL;
    const char *sql = "SELECT * FROM t WHERE a = = 1";
    assert_int_equal(kiln_exec(db, sql, &res, &err), KILN_ERR_SYNTAX);
    assert_null(res);
    assert_int_equal(err.code, KILN_ERR_SYNTAX);
    assert_int_equal(err.sql_offset, (long)(strstr(sql, "= =") - sql) + 2);
    assert_string_equal(err.file, "");
    assert_true(strlen(err.message) > 0);

    /* a syntax error in the second line of a multi-statement text */
    const char *sql2 = "SELECT 1;\nSELECT 2 +;";
    assert_int_equal(kiln_exec(db, sql2, &res, &err), KILN_ERR_SYNTAX);
    assert_int_equal(err.sql_offset, (long)(strrchr(sql2, ';') - sql2)); /* the ';' after '+' */
    char out[1024];
    kiln_error_render(&err, sql2, out, sizeof out);
    assert_non_null(strstr(out, "LINE 2: SELECT 2 +;\n"));
    const char *caret = strstr(out, "\n ");
    assert_non_null(caret);

    /* an incomplete statement */
    assert_int_equal(kiln_exec(db, "SELECT", &res, &err), KILN_ERR_SYNTAX);
    kiln_close(db);
}

static void test_error_binder_candidates(void **state) {
    (void)state;
    kiln_db *db = open_db();
    exec_ok(db, "CREATE TABLE t (alpha BIGINT, beta VARCHAR, gamma DOUBLE)");
    kiln_error err;
    kiln_result *res = NULL;
    const char *sql = "SELECT alpha, nope FROM t";
    assert_int_equal(kiln_exec(db, sql, &res, &err), KILN_ERR_BINDER);
    assert_null(res);
    assert_int_equal(err.code, KILN_ERR_BINDER);
    assert_int_equal(err.sql_offset, 14);
    assert_non_null(strstr(err.message, "nope"));
    assert_non_null(strstr(err.message, "alpha"));
    assert_non_null(strstr(err.message, "beta"));
    assert_non_null(strstr(err.message, "gamma"));
    /* unknown table */
    int rc = kiln_exec(db, "SELECT * FROM missing_table", &res, &err);
    assert_int_equal(rc, err.code);
    assert_true(err.code == KILN_ERR_CATALOG || err.code == KILN_ERR_BINDER);
    assert_non_null(strstr(err.message, "missing_table"));
    assert_true(err.sql_offset >= 14);
    /* unknown function */
    assert_int_equal(kiln_exec(db, "SELECT no_such_fn(alpha) FROM t", &res, &err), KILN_ERR_BINDER);
    assert_non_null(strstr(err.message, "no_such_fn"));
    kiln_close(db);
}

static void test_error_render(void **state) {
    (void)state;
    kiln_db *db = open_db();
    exec_ok(db, "CREATE TABLE t (a BIGINT)");
    kiln_error err;
    const char *sql = "SELECT nope FROM t";
    assert_int_equal(kiln_exec(db, sql, NULL, &err), KILN_ERR_BINDER);
    char out[2048];
    size_t n = kiln_error_render(&err, sql, out, sizeof out);
    assert_int_equal(n, strlen(out));
    assert_true(strncmp(out, err.message, strlen(err.message)) == 0);
    const char *line = strstr(out, "LINE 1: SELECT nope FROM t\n");
    assert_non_null(line);
    const char *caret_line = strchr(line, '\n') + 1;
    /* the caret sits under the 'n' of nope: "LINE 1: " is 8 chars, nope at offset 7 */
    for (int i = 0; i < 15; i++) assert_int_equal(caret_line[i], ' ');
    assert_int_equal(caret_line[15], '^');
    assert_int_equal(caret_line[16], '\0');
    /* truncation */
    char tiny[10];
    size_t need = kiln_error_render(&err, sql, tiny, sizeof tiny);
    assert_int_equal(need, n);
    assert_int_equal(strlen(tiny), 9);
    assert_int_equal(kiln_error_render(&err, sql, NULL, 0), n);
    /* no SQL: just the message */
    kiln_error_render(&err, NULL, out, sizeof out);
    assert_string_equal(out, err.message);
    /* no error */
    kiln_error ok;
    kiln_error_clear(&ok);
    kiln_error_render(&ok, sql, out, sizeof out);
    assert_string_equal(out, "no error");
    kiln_close(db);
}

static void test_error_csv_data(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kiln_db *db = open_db();
    kiln_error err;
    kiln_result *res = NULL;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT * FROM '%s'", g_bad);
    assert_int_equal(kiln_exec(db, sql, &res, &err), KILN_ERR_DATA);
    assert_null(res);
    assert_int_equal(err.code, KILN_ERR_DATA);
    assert_non_null(strstr(err.file, "bad.csv"));
    assert_int_equal(err.line, 4);
    assert_true(err.column >= 1);
    char out[2048];
    kiln_error_render(&err, sql, out, sizeof out);
    assert_non_null(strstr(out, "bad.csv"));
    /* a file that does not exist */
    snprintf(sql, sizeof sql, "SELECT * FROM '%s/nope.csv'", g_dir);
    assert_int_equal(kiln_exec(db, sql, &res, &err), KILN_ERR_IO);
    assert_non_null(strstr(err.message, "nope.csv"));
    kiln_close(db);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_options(void **state) {
    (void)state;
    kiln_db *db = open_db();
    kiln_error err;
    char buf[64];
    assert_int_equal(kiln_set_option(db, "threads", "3", &err), 0);
    assert_int_equal(kiln_get_option(db, "threads", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "3");
    const char *bad_threads[] = {"0", "-2", "abc", "", "2x", "100000"};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(kiln_set_option(db, "threads", bad_threads[i], &err), KILN_ERR_INVALID);
        assert_int_equal(err.code, KILN_ERR_INVALID);
    }
    assert_int_equal(kiln_get_option(db, "threads", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "3");

    assert_int_equal(kiln_set_option(db, "memory_limit", "512MB", &err), 0);
    assert_int_equal(kiln_get_option(db, "memory_limit", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "512000000");
    assert_int_equal(kiln_set_option(db, "memory_limit", "1GiB", &err), 0);
    assert_int_equal(kiln_get_option(db, "memory_limit", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "1073741824");
    const char *bad_mem[] = {"abc", "-1GB", "4XB", ""};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(kiln_set_option(db, "memory_limit", bad_mem[i], &err), KILN_ERR_INVALID);
    assert_int_equal(kiln_get_option(db, "memory_limit", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "1073741824");
    assert_int_equal(kiln_set_option(db, "memory_limit", "0", &err), 0);
    assert_int_equal(kiln_get_option(db, "memory_limit", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "0");

    assert_int_equal(kiln_set_option(db, "no_such_option", "1", &err), KILN_ERR_INVALID);
    assert_non_null(strstr(err.message, "no_such_option"));
    assert_int_equal(kiln_get_option(db, "no_such_option", buf, sizeof buf, &err), KILN_ERR_INVALID);

    /* through SQL */
    exec_ok(db, "SET threads = 2");
    assert_int_equal(kiln_get_option(db, "threads", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "2");
    exec_ok(db, "SET memory_limit = '2GB'");
    assert_int_equal(kiln_get_option(db, "memory_limit", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "2000000000");
    const char *sql = "SELECT 1; SET memory_limit = 'lots'";
    assert_int_equal(kiln_exec(db, sql, NULL, &err), KILN_ERR_INVALID);
    assert_int_equal(err.sql_offset, 10); /* the SET statement */
    exec_ok(db, "SET memory_limit = '0'");
    assert_int_equal(kl_mem_limit(), 0);
    kiln_close(db);
}

static void test_memory_limit(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kiln_db *db = open_db();
    char sql[512];
    snprintf(sql, sizeof sql, "CREATE TABLE big AS SELECT * FROM '%s'", g_big);
    exec_ok(db, "SET memory_limit = '1MB'");
    assert_int_equal(kl_mem_limit(), 1000000);
    kiln_error err;
    kiln_result *res = NULL;
    int rc = kiln_exec(db, sql, &res, &err);
    /* restore before asserting so a failure does not poison later tests */
    kl_mem_set_limit(1000000);
    exec_ok(db, "SET memory_limit = '0'");
    assert_int_equal(kl_mem_limit(), 0);
    assert_int_equal(rc, KILN_ERR_MEMORY);
    assert_int_equal(err.code, KILN_ERR_MEMORY);
    assert_null(res);
    assert_non_null(strstr(err.message, "memory_limit"));
    /* the table was not created */
    rc = kiln_exec(db, "SELECT count(*) FROM big", NULL, &err);
    assert_int_equal(rc, err.code);
    assert_true(err.code == KILN_ERR_CATALOG || err.code == KILN_ERR_BINDER);
    /* the same db still works, and now the big table fits */
    exec_ok(db, sql);
    res = run_ok(db, "SELECT count(*), sum(id), count(DISTINCT grp) FROM big");
    assert_int_equal(kiln_result_get_int64(res, 0, 0), BIG_ROWS);
    assert_int_equal(kiln_result_get_int64(res, 0, 1), (int64_t)BIG_ROWS * (BIG_ROWS - 1) / 2);
    assert_int_equal(kiln_result_get_int64(res, 0, 2), 97);
    kiln_result_free(res);
    /* a query under a tiny limit with the table already loaded fails cleanly too */
    kl_mem_set_limit(kl_mem_in_use() + 1000);
    rc = kiln_exec(db, "SELECT label, count(*) FROM big GROUP BY label ORDER BY label", &res, &err);
    kl_mem_set_limit(0);
    assert_int_equal(rc, KILN_ERR_MEMORY);
    assert_null(res);
    kiln_close(db);
    assert_int_equal(kl_mem_in_use(), base);
}

/* One query over the small CSV with a fixed answer. Returns the kiln_exec status. */
static int run_small_query(kiln_db *db, kiln_error *err) {
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT flag, count(*) AS n, sum(id) AS s, max(name) AS mx, min(day) AS d "
             "FROM '%s' WHERE id > 1 GROUP BY flag ORDER BY flag NULLS LAST",
             g_small);
    kiln_result *res = NULL;
    int rc = kiln_exec(db, sql, &res, err);
    if (rc) {
        assert_null(res);
        return rc;
    }
    assert_non_null(res);
    assert_int_equal(kiln_result_row_count(res), 3);
    /* false: ids 2,5,7,9 (max name "iota"); true: 3,6,8,10 (max "zeta"); NULL flag: id 4 */
    assert_false(kiln_result_get_bool(res, 0, 0));
    assert_int_equal(kiln_result_get_int64(res, 0, 1), 4);
    assert_int_equal(kiln_result_get_int64(res, 0, 2), 23);
    size_t len;
    const char *mx = kiln_result_get_varchar(res, 0, 3, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(mx, "iota", 4);
    mx = kiln_result_get_varchar(res, 1, 3, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(mx, "zeta", 4);
    assert_true(kiln_result_get_bool(res, 1, 0));
    assert_int_equal(kiln_result_get_int64(res, 1, 1), 4);
    assert_int_equal(kiln_result_get_int64(res, 1, 2), 27);
    assert_true(kiln_result_is_null(res, 2, 0));
    assert_int_equal(kiln_result_get_int64(res, 2, 1), 1);
    assert_int_equal(kiln_result_get_int64(res, 2, 2), 4);
    assert_true(kiln_result_is_null(res, 2, 3));
    kiln_result_free(res);
    return 0;
}

/*
 * Allocation fault injection. Found engine bugs (leaks on the out-of-memory path; the runs
 * themselves fail cleanly with KILN_ERR_MEMORY):
 *  BUG 1: src/exec/operators.c op_project(): when kl_malloc of `types` fails after the
 *         project_op was allocated, `goto fail` runs project_free() with p->exprs still NULL
 *         (it is assigned only after the check), so the exprs array and every expression
 *         are leaked although operator.h says transforms take ownership also on failure.
 *         Hit by any query (plan_select's final op_project, exec_insert's cast projection).
 *  BUG 2: src/exec/operators.c op_values(): when kl_calloc of the values_op fails it returns
 *         NULL without freeing `rows`; plan_values() sets rows = NULL ("freed by op_values"),
 *         so the rows and their expressions leak. Hit by INSERT ... VALUES.
 *  BUG 4: src/sql/binder.c collect_conjuncts(): when kl_arena_alloc of the conjunct list
 *         fails it just returns ("the conjunct stays in WHERE via the caller's check"), but
 *         plan_select's WHERE step has no such check, so the predicate is silently dropped
 *         and the query SUCCEEDS WITH A WRONG ANSWER: with threads=1, fail_after(65) on the
 *         small query below gives true-group count 5 / sum 28 (id 1 not filtered by
 *         WHERE id > 1) instead of 4 / 27. Expected: KILN_ERR_MEMORY.
 */
/* Run `run` with the n-th allocation failing, n = 1, 2, ... until it succeeds 25 times in a
   row: every failure must be KILN_ERR_MEMORY without leaks, and db must work afterwards. */
static void fault_loop(kiln_db *db, int (*run)(kiln_db *, kiln_error *)) {
    kiln_error err;
    assert_int_equal(run(db, &err), 0);
    size_t base = kl_mem_in_use();
    int failures = 0, successes_in_a_row = 0, leaks = 0;
    for (long n = 1; n <= 5000 && successes_in_a_row < 25; n++) {
        kiln_error_clear(&err);
        kl_mem_fail_after(n);
        int rc = run(db, &err);
        kl_mem_fail_after(0);
        if (rc) {
            if (rc != KILN_ERR_MEMORY)
                fail_msg("fail_after(%ld): got code %d, not KILN_ERR_MEMORY: %s", n, rc, err.message);
            assert_int_equal(err.code, KILN_ERR_MEMORY);
            failures++;
            successes_in_a_row = 0;
        } else {
            successes_in_a_row++;
        }
        if (kl_mem_in_use() != base) {
            print_error("fail_after(%ld): %zu bytes leaked\n", n, kl_mem_in_use() - base);
            leaks++;
            base = kl_mem_in_use();
        }
    }
    /* the db is fine afterwards */
    int rc = run(db, &err);
    kiln_close(db);
    assert_int_equal(rc, 0);
    assert_true(failures > 0);
    assert_int_equal(successes_in_a_row, 25);
    assert_int_equal(leaks, 0);
}

static void test_fault_injection(void **state) {
    (void)state;
    kiln_db *db = open_db();
    kiln_error err;
    assert_int_equal(kiln_set_option(db, "threads", "1", &err), 0);
    fault_loop(db, run_small_query);
}

/* The top-k-per-partition plan (row_number() <= k) under the same fault injection: every
   allocation it makes (heaps, candidate store, strings, output order) fails cleanly. */
static int run_topn_query(kiln_db *db, kiln_error *err) {
    kiln_result *res = NULL;
    int rc = kiln_exec(db,
                       "SELECT count(*), sum(id), max(name) FROM (SELECT id, name, row_number() OVER "
                       "(PARTITION BY flag ORDER BY id DESC) AS rn FROM tk) q WHERE rn <= 2",
                       &res, err);
    if (rc) {
        assert_null(res);
        return rc;
    }
    assert_int_equal(kiln_result_row_count(res), 1);
    /* flags: id % 3 -> ids {9,6}, {10,7}, {8,5}: 6 rows, sum 45 */
    assert_int_equal(kiln_result_get_int64(res, 0, 0), 6);
    assert_int_equal(kiln_result_get_int64(res, 0, 1), 45);
    kiln_result_free(res);
    /* ORDER BY ... LIMIT: on 2 threads the top-n heaps go below the sort */
    rc = kiln_exec(db, "SELECT id, name FROM tk ORDER BY flag DESC, name LIMIT 3", &res, err);
    if (rc) {
        assert_null(res);
        return rc;
    }
    assert_int_equal(kiln_result_row_count(res), 3);
    /* flag 2: ids 2, 5, 8 -> names name2, name5, name8 */
    assert_int_equal(kiln_result_get_int64(res, 0, 0), 2);
    assert_int_equal(kiln_result_get_int64(res, 2, 0), 8);
    kiln_result_free(res);
    return 0;
}

static void test_fault_injection_topn(void **state) {
    (void)state;
    kiln_db *db = open_db();
    kiln_error err;
    assert_int_equal(kiln_set_option(db, "threads", "2", &err), 0);
    assert_int_equal(kiln_exec(db, "CREATE TABLE tk AS SELECT i AS id, i % 3 AS flag, 'name' || i AS name FROM range(1, 11) r(i)", NULL, &err), 0);
    fault_loop(db, run_topn_query);
}

static void test_fault_injection_ddl(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TABLE t AS SELECT id, upper(name) AS u, score * 2 AS s FROM '%s'; "
             "INSERT INTO t VALUES (11, 'X', 1.0); SELECT count(*), sum(id) FROM t",
             g_small);
    int successes_in_a_row = 0, failures = 0, leaks = 0;
    for (long n = 1; n <= 5000 && successes_in_a_row < 25; n++) {
        kiln_db *db = open_db();
        kiln_error err;
        kiln_set_option(db, "threads", n % 2 ? "1" : "2", &err);
        kiln_result *res = NULL;
        kl_mem_fail_after(n);
        int rc = kiln_exec(db, sql, &res, &err);
        kl_mem_fail_after(0);
        if (rc) {
            if (rc != KILN_ERR_MEMORY)
                fail_msg("fail_after(%ld): got code %d: %s", n, rc, err.message);
            assert_null(res);
            failures++;
            successes_in_a_row = 0;
        } else {
            assert_int_equal(kiln_result_get_int64(res, 0, 0), 11);
            assert_int_equal(kiln_result_get_int64(res, 0, 1), 66);
            kiln_result_free(res);
            successes_in_a_row++;
        }
        kiln_close(db);
        if (kl_mem_in_use() != base) {
            print_error("fail_after(%ld): %zu bytes leaked\n", n, kl_mem_in_use() - base);
            leaks++;
            base = kl_mem_in_use();
        }
    }
    assert_true(failures > 0);
    assert_int_equal(successes_in_a_row, 25);
    assert_int_equal(leaks, 0);
}

/*
 * BUG 3 (engine, src/api.c kiln_result_get_varchar + src/exec/vector.c vec_copy_rows):
 * kiln.h documents VARCHAR values from kiln_result_get_varchar as NUL-terminated. Results are
 * kl_tables filled by table_append -> vec_copy_rows, which packs string bytes back to back
 * without terminators, so strlen(ptr) may run into the next value.
 * Input: SELECT name FROM '<5000-row csv>' WHERE id BETWEEN 1 AND 3 -> "name_1" has len 6
 * but s[6] is 'n' (the next value), not NUL: strlen() gave 4048. Expected strlen == len.
 * Fix: vec_copy_rows could reserve total + n bytes and write a NUL after each value.
 */
static void test_varchar_nul_terminated(void **state) {
    (void)state;
    kiln_db *db = open_db();
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT name FROM '%s' WHERE id BETWEEN 1 AND 3 ORDER BY id", g_n5000);
    kiln_result *res = run_ok(db, sql);
    assert_int_equal(kiln_result_row_count(res), 3);
    int unterminated = 0;
    for (size_t r = 0; r < 3; r++) {
        size_t len;
        const char *s = kiln_result_get_varchar(res, r, 0, &len);
        assert_non_null(s);
        assert_int_equal(len, 6);
        assert_memory_equal(s, r == 0 ? "name_1" : r == 1 ? "name_2" : "name_3", 6);
        /* strnlen reads at most s[len], so a missing terminator cannot overrun the heap */
        if (strnlen(s, len + 1) != len) unterminated++;
    }
    kiln_result_free(res);
    kiln_close(db);
    assert_int_equal(unterminated, 0);
}

static void test_statement_length(void **state) {
    (void)state;
    assert_int_equal(kiln_statement_length("SELECT 1; SELECT 2;"), 9);
    assert_int_equal(kiln_statement_length("SELECT 1"), 0);
    assert_int_equal(kiln_statement_length("SELECT ';' AS x;"), 16);
    assert_int_equal(kiln_statement_length("SELECT 1 -- ;\n;"), 15);
    assert_int_equal(kiln_statement_length(""), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_close),
        cmocka_unit_test(test_multi_statement_last_result),
        cmocka_unit_test(test_typed_getters),
        cmocka_unit_test(test_result_chunks_5000),
        cmocka_unit_test(test_get_text),
        cmocka_unit_test(test_error_syntax),
        cmocka_unit_test(test_error_binder_candidates),
        cmocka_unit_test(test_error_render),
        cmocka_unit_test(test_error_csv_data),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_fault_injection),
        cmocka_unit_test(test_fault_injection_ddl),
        cmocka_unit_test(test_fault_injection_topn),
        cmocka_unit_test(test_varchar_nul_terminated),
        cmocka_unit_test(test_statement_length),
    };
    return cmocka_run_group_tests(tests, setup_files, teardown_files);
}
