/*
 * test_hash_agg.c — the hash aggregate operator (src/exec/hash_agg.c) through the public
 * API: GROUP BYs large enough to split thread-local tables into radix partitions (more than
 * 32768 groups; an integer key in a small range stays one direct-mapped table up to 2^18
 * groups) give the same contents at 1, 2 and 4 threads (integer, short and long string,
 * multi-column and NULL keys; sum/avg/min/max/count/median/stddev/count DISTINCT states that
 * are moved and combined by the partition-wise merge), exact totals, a global aggregate, and
 * parallel emission of the groups to the operator above (with a failing build), and
 * out-of-memory behaviour: allocation faults injected at many points of a parallel build,
 * split and merge fail cleanly with KILN_ERR_MEMORY (or succeed with the right answer) and
 * never leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiln.h"
#include "util/kl.h"

/* hash_agg.c's testing hook: groups at the first append-mode check (0 = default) */
extern uint64_t kl_hagg_append_check;

#include "sql_helpers.h"

static kiln_db *open_db(void) {
    kiln_db *db = NULL;
    kiln_error err;
    assert_int_equal(kiln_open(&db, &err), 0);
    return db;
}

static void set_threads(kiln_db *db, int n) {
    char sql[64];
    snprintf(sql, sizeof sql, "SET threads = %d", n);
    exec_ok(db, sql);
}

/* 300,000 rows; keys with ~100K, ~70K and ~50K distinct values, some NULL. */
static void make_table(kiln_db *db) {
    exec_ok(db,
            "CREATE TABLE t AS SELECT i, i % 100003 AS k, "
            "'long-key-string-' || (i % 70001) AS s, (i % 50000)::VARCHAR AS sh, "
            "CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 END AS nk, "
            "CASE WHEN i % 11 = 0 THEN NULL ELSE i END AS v, i * 0.5 AS d "
            "FROM range(300000) r(i)");
}

/* Materialise q as table `name` at `threads` threads. */
static void build(kiln_db *db, int threads, const char *name, const char *q) {
    set_threads(db, threads);
    char sql[1024];
    snprintf(sql, sizeof sql, "CREATE OR REPLACE TABLE %s AS %s", name, q);
    exec_ok(db, sql);
}

/* r1 and rn hold the same rows (as sets; keys are unique so that is a full comparison). */
static void assert_same(kiln_db *db, const char *a, const char *b) {
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM %s) - (SELECT count(*) FROM %s)", a, b);
    assert_int_equal(scalar_i64(db, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT * FROM %s EXCEPT SELECT * FROM %s)", a, b);
    assert_int_equal(scalar_i64(db, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT * FROM %s EXCEPT SELECT * FROM %s)", b, a);
    assert_int_equal(scalar_i64(db, sql), 0);
}

static void check_query(kiln_db *db, const char *q) {
    build(db, 1, "r1", q);
    build(db, 2, "r2", q);
    build(db, 4, "r4", q);
    assert_same(db, "r1", "r2");
    assert_same(db, "r1", "r4");
}

static void test_int_key_many_groups(void **state) {
    (void)state;
    kiln_db *db = open_db();
    make_table(db);
    const char *q = "SELECT k, count(*) AS c, count(v) AS cv, sum(v) AS sv, min(v) AS mn, max(v) AS mx, "
                    "avg(d) AS ad, sum(d) AS sd, median(i) AS md FROM t GROUP BY k";
    check_query(db, q);
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4"), 100003);
    assert_int_equal(scalar_i64(db, "SELECT sum(c) FROM r4"), 300000);
    /* sum of i over rows with i % 11 <> 0 */
    int64_t want = 0;
    for (int64_t i = 0; i < 300000; i++)
        if (i % 11) want += i;
    assert_int_equal(scalar_i64(db, "SELECT sum(sv) FROM r4"), want);
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4 WHERE md <> (mn + mx) / 2 AND cv = c"), 0);
    /* the same groups with values spread too wide for the direct map: split tables */
    check_query(db, "SELECT k * 1000003 AS kw, count(*) AS c, sum(v) AS sv, median(i) AS md FROM t GROUP BY kw");
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4"), 100003);
    assert_int_equal(scalar_i64(db, "SELECT sum(sv) FROM r2"), want);
    kiln_close(db);
}

static void test_string_and_multi_keys(void **state) {
    (void)state;
    kiln_db *db = open_db();
    make_table(db);
    check_query(db, "SELECT s, count(*) AS c, sum(i) AS si, max(sh) AS ms, min(s) AS mn FROM t GROUP BY s");
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4"), 70001);
    check_query(db, "SELECT sh, nk, count(*) AS c, stddev(d) AS sd, count(DISTINCT k % 10) AS cd "
                    "FROM t GROUP BY sh, nk");
    assert_int_equal(scalar_i64(db, "SELECT sum(c) FROM r4"), 300000);
    /* the multiples of 7 below 300000 have distinct values of i % 50000 */
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4 WHERE nk IS NULL"), 42858);
    check_query(db, "SELECT k, s, sh, nk, sum(d) AS d FROM t GROUP BY ALL");
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4"), 300000);
    kiln_close(db);
}

static void test_global_and_small(void **state) {
    (void)state;
    kiln_db *db = open_db();
    make_table(db);
    check_query(db, "SELECT count(*) AS c, sum(v) AS s, min(s) AS m, median(d) AS md FROM t");
    check_query(db, "SELECT nk, count(*) AS c, sum(i) AS s FROM t GROUP BY nk");
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4"), 4);
    /* an empty input: no groups with keys, one row without */
    check_query(db, "SELECT k, count(*) AS c FROM t WHERE i < 0 GROUP BY k");
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4"), 0);
    check_query(db, "SELECT count(*) AS c, sum(i) AS s FROM t WHERE i < 0");
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4"), 1);
    kiln_close(db);
}

/* Append mode (a local aggregate that barely reduces its input appends rows to bags that the
   merge folds into one table per partition): forced early with the testing hook, on unique
   and on repeating keys, with moved and combined states. */
static void test_append_mode(void **state) {
    (void)state;
    kiln_db *db = open_db();
    make_table(db);
    kl_hagg_append_check = 4096;
    check_query(db, "SELECT i, s, count(*) AS c, sum(d) AS sd, max(sh) AS ms FROM t GROUP BY i, s");
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4"), 300000);
    check_query(db, "SELECT k, count(*) AS c, count(v) AS cv, sum(v) AS sv, avg(d) AS ad, "
                    "median(i) AS md, min(s) AS mn FROM t GROUP BY k");
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM r4"), 100003);
    assert_int_equal(scalar_i64(db, "SELECT sum(c) FROM r2"), 300000);
    check_query(db, "SELECT sh, nk, s, count(*) AS c, sum(i) AS si FROM t GROUP BY ALL");
    assert_int_equal(scalar_i64(db, "SELECT sum(c) FROM r1"), 300000);
    kl_hagg_append_check = 0;
    kiln_close(db);
}

/* Parallel emission: the operator above a GROUP BY pulls it on several threads (CREATE TABLE
   AS, an aggregate over it, a sort's gather, a window), each emitting the partitions it
   claims; a failing build reaches every emitter as the same error. */
static void test_parallel_emit(void **state) {
    (void)state;
    kiln_db *db = open_db();
    make_table(db);
    for (int t = 1; t <= 4; t *= 2) {
        set_threads(db, t);
        /* an aggregate over the groups: its thread-local partials read different partitions */
        kiln_result *r = run_ok(db, "SELECT count(*), sum(c), sum(sv), count(DISTINCT k % 1000) FROM "
                                    "(SELECT k, count(*) AS c, sum(i) AS sv FROM t GROUP BY k) q");
        assert_int_equal(kiln_result_get_int64(r, 0, 0), 100003);
        assert_int_equal(kiln_result_get_int64(r, 0, 1), 300000);
        assert_int_equal(kiln_result_get_int64(r, 0, 2), (int64_t)299999 * 300000 / 2);
        assert_int_equal(kiln_result_get_int64(r, 0, 3), 1000);
        kiln_result_free(r);
        /* ORDER BY over the groups (a gather pulls them in parallel), and a window */
        r = run_ok(db, "SELECT s, c FROM (SELECT s, count(*) AS c FROM t GROUP BY s) q ORDER BY s DESC LIMIT 3");
        assert_int_equal(kiln_result_row_count(r), 3);
        char buf[64];
        kiln_result_get_text(r, 0, 0, buf, sizeof buf);
        assert_string_equal(buf, "long-key-string-9999");
        kiln_result_get_text(r, 2, 0, buf, sizeof buf);
        assert_string_equal(buf, "long-key-string-9997");
        kiln_result_free(r);
        assert_int_equal(scalar_i64(db, "SELECT max(rk) FROM (SELECT rank() OVER (ORDER BY c DESC, k) AS rk "
                                        "FROM (SELECT k, count(*) AS c FROM t GROUP BY k) q) w"),
                         100003);
        /* an error while building reaches the caller, whichever emitter built */
        kiln_result *res = NULL;
        kiln_error err;
        int rc = kiln_exec(db, "CREATE TABLE bad AS SELECT k, sum(i * 4611686018427387904) AS x FROM t GROUP BY k",
                           &res, &err);
        assert_int_equal(rc, KILN_ERR_OVERFLOW);
        assert_null(res);
        rc = kiln_exec(db, "SELECT count(*) FROM (SELECT k, sum(i * 4611686018427387904) AS x FROM t GROUP BY k) q",
                       &res, &err);
        assert_int_equal(rc, KILN_ERR_OVERFLOW);
        assert_null(res);
    }
    kiln_close(db);
}

static void oom_loop(kiln_db *db, const char *q) {
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*), sum(c) FROM (%s)", q);
    int ok = 0, failed = 0;
    for (long n = 1; n < 200000; n += (n < 64 ? 1 : n / 6)) {
        kiln_result *res = NULL;
        kiln_error err;
        kl_mem_fail_after(n);
        int rc = kiln_exec(db, sql, &res, &err);
        kl_mem_fail_after(0);
        if (rc == 0) {
            ok++;
            assert_int_equal(kiln_result_get_int64(res, 0, 0), 40009);
            assert_int_equal(kiln_result_get_int64(res, 0, 1), 400000);
            kiln_result_free(res);
        } else {
            failed++;
            assert_int_equal(rc, KILN_ERR_MEMORY);
            assert_int_equal(err.code, KILN_ERR_MEMORY);
        }
    }
    assert_true(failed > 0);
    assert_true(ok > 0);
    fprintf(stderr, "fault injection: %d failed cleanly, %d succeeded\n", failed, ok);
}

static void test_out_of_memory(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kiln_db *db = open_db();
    exec_ok(db, "CREATE TABLE t AS SELECT i, i % 40009 AS k, 'string-number-' || (i % 40009) AS s, "
                "i * 0.25 AS d FROM range(400000) r(i)");
    set_threads(db, 4);
    const char *q = "SELECT k, s, count(*) AS c, sum(d) AS sd, median(i) AS m, min(s) AS ms "
                    "FROM t GROUP BY k, s";
    oom_loop(db, q);
    /* the same in append mode (bags, bag merge) at 4 and 1 threads */
    kl_hagg_append_check = 4096;
    oom_loop(db, q);
    set_threads(db, 1);
    oom_loop(db, q);
    kl_hagg_append_check = 0;
    set_threads(db, 4);
    char sql[512];
    /* and a memory limit far below what the groups need (but above what the table holds) */
    snprintf(sql, sizeof sql, "SET memory_limit = '%zu'", kl_mem_in_use() + (2u << 20));
    exec_ok(db, sql);
    kiln_result *res = NULL;
    kiln_error err;
    assert_int_equal(kiln_exec(db, q, &res, &err), KILN_ERR_MEMORY);
    exec_ok(db, "SET memory_limit = '4GB'");
    kiln_close(db);
    assert_int_equal(kl_mem_in_use(), base);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_key_many_groups),
        cmocka_unit_test(test_string_and_multi_keys),
        cmocka_unit_test(test_global_and_small),
        cmocka_unit_test(test_append_mode),
        cmocka_unit_test(test_parallel_emit),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
