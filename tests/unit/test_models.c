/*
 * test_models.c — the model aggregates and functions (func/agg_model.c, func/scalar_model.c,
 * ml/model.c) through the public API: the models of a GROUP BY are the same at 1, 2 and 4
 * threads (their JSON text, byte for byte), and so is one model over a whole CSV file from
 * run to run,
 * a model survives a round trip through its text, and out-of-memory faults injected at many
 * points of fitting, emitting and predicting (through the per-thread model cache) fail
 * cleanly with KILN_ERR_MEMORY or give the right answer, and never leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kiln.h"
#include "ml/model.h"
#include "util/kl.h"

#include "sql_helpers.h"

static kiln_db *open_db(void) {
    kiln_db *db = NULL;
    kiln_error err;
    assert_int_equal(kiln_open(&db, &err), 0);
    exec_ok(db, "CREATE TABLE d AS SELECT i, i % 40 AS g, sin(i) AS x1, cos(i * 1.3) AS x2, i % 7 - 3.0 AS x3, "
                "CASE WHEN i % 97 = 0 THEN NULL ELSE 1.5 + 2 * sin(i) - cos(i * 1.3) + 0.1 * (i % 5) END AS y, "
                "CASE WHEN hash(i) % 100 < 50 + 40 * sin(i) THEN 1 ELSE 0 END AS label, "
                "CASE WHEN sin(i) > 0.3 THEN 'up' WHEN sin(i) < -0.3 THEN 'down' ELSE 'flat' END AS band "
                "FROM range(40000) r(i)");
    return db;
}

static void set_threads(kiln_db *db, int n) {
    char sql[64];
    snprintf(sql, sizeof sql, "SET threads = %d", n);
    exec_ok(db, sql);
}

static const char *MODELS_Q =
    "SELECT g, linreg(y, x1, x2, x3) AS lin, logreg(label, x1, x2) AS lg, svm(band, x1, x2) AS sv, "
    "svm(band, x1, kernel := 'rbf') AS sr, kmeans(3, x1, x2, x3) AS km FROM d GROUP BY g";

/* every model column of MODELS_Q at 1, 2 and 4 threads: the same text */
static void test_same_models_any_threads(void **state) {
    (void)state;
    kiln_db *db = open_db();
    char sql[1024];
    for (int t = 1; t <= 4; t *= 2) {
        set_threads(db, t);
        snprintf(sql, sizeof sql, "CREATE OR REPLACE TABLE m%d AS %s", t, MODELS_Q);
        exec_ok(db, sql);
    }
    for (int t = 2; t <= 4; t *= 2) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM m1 JOIN m%d USING (g) WHERE m1.lin = m%d.lin AND m1.lg = m%d.lg AND "
                 "m1.sv = m%d.sv AND m1.sr = m%d.sr AND m1.km = m%d.km",
                 t, t, t, t, t, t);
        assert_int_equal(scalar_i64(db, sql), 40);
    }
    /* every model is fitted, and reads back from its text to the same text */
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM m1 WHERE is_fitted(lin) AND is_fitted(lg) AND is_fitted(sv) "
                                    "AND is_fitted(sr) AND is_fitted(km)"),
                     40);
    assert_int_equal(scalar_i64(db, "SELECT count(*) FROM m1 WHERE model_from_json(model_json(km)) = km AND "
                                    "CAST(CAST(sv AS VARCHAR) AS MODEL) = sv"),
                     40);
    /* NULL y rows are skipped and counted */
    assert_int_equal(scalar_i64(db, "SELECT sum(n_skipped(lin)) FROM m1"), 413);
    kiln_close(db);
}

/* One model over a whole CSV file (no GROUP BY): its rows reach the aggregate through
 * several threads' partial states, combined in whatever order the threads finish; the
 * buffered models put them back in source order, so the model is the same at any thread
 * count and from run to run. */
static void test_single_model_same_every_run(void **state) {
    (void)state;
    char dir[] = "/tmp/kiln_models_XXXXXX", sql[1024], path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/d.csv", dir);
    kiln_db *db = open_db();
    /* 300,000 rows, about 20 MB: several CSV morsels */
    snprintf(sql, sizeof sql,
             "COPY (SELECT i, sin(i) AS x1, cos(i * 1.3) AS x2, (i %% 7) - 3.0 AS x3, "
             "CASE WHEN hash(i) %% 100 < 50 + 40 * sin(i) THEN 1 ELSE 0 END AS label, "
             "CASE WHEN sin(i) > 0.3 THEN 'up' WHEN sin(i) < -0.3 THEN 'down' ELSE 'flat' END AS band "
             "FROM range(300000) r(i)) TO '%s'",
             path);
    exec_ok(db, sql);
    snprintf(sql, sizeof sql,
             "SELECT CAST(logreg(label, x1, x2, x3) AS VARCHAR) || CAST(kmeans(4, x1, x2, x3, n_init := 2) AS "
             "VARCHAR) || CAST(svm(band, x1, x2) AS VARCHAR) FROM '%s'",
             path);
    char first[16384] = "", text[16384];
    for (int run = 0; run < 5; run++) {
        set_threads(db, run == 0 ? 1 : run % 2 ? 2 : 4);
        kiln_result *r = run_ok(db, sql);
        assert_true(kiln_result_get_text(r, 0, 0, text, sizeof text) < sizeof text);
        kiln_result_free(r);
        if (run == 0)
            strcpy(first, text);
        else
            assert_string_equal(text, first);
    }
    assert_non_null(strstr(first, "\"fitted\":true"));
    kiln_close(db);
    remove(path);
    rmdir(dir);
}

static const char *PREDICT_Q =
    "SELECT count(*), sum(CASE WHEN predict(m.lg, d.x1, d.x2) = d.label THEN 1 ELSE 0 END) + "
    "sum(CASE WHEN predict(m.sv, d.x1, d.x2) = d.band THEN 1 ELSE 0 END) + "
    "sum(predict(m.km, d.x1, d.x2, d.x3)) + sum(CAST(predict(m.lin, d.x1, d.x2, d.x3) > 1 AS BIGINT)) "
    "FROM d JOIN mm m USING (g)";

static void oom_loop(kiln_db *db, const char *sql, int64_t c0, int64_t c1) {
    int ok = 0, failed = 0, ok_in_a_row = 0;
    model_cache_clear();
    size_t base = kl_mem_in_use();
    /* every allocation of the first 64, then 20% steps, until 6 runs in a row succeed */
    for (long n = 1; n < 20000000 && ok_in_a_row < 6; n += (n < 64 ? 1 : n / 5)) {
        kiln_result *res = NULL;
        kiln_error err;
        kl_mem_fail_after(n);
        int rc = kiln_exec(db, sql, &res, &err);
        kl_mem_fail_after(0);
        ok_in_a_row = rc == 0 ? ok_in_a_row + 1 : 0;
        if (rc == 0) {
            ok++;
            assert_int_equal(kiln_result_get_int64(res, 0, 0), c0);
            if (c1 >= 0) assert_int_equal(kiln_result_get_int64(res, 0, 1), c1);
            kiln_result_free(res);
        } else {
            failed++;
            if (rc != KILN_ERR_MEMORY) fail_msg("fail_after(%ld): code %d: %s", n, rc, err.message);
            assert_int_equal(err.code, KILN_ERR_MEMORY);
        }
        model_cache_clear(); /* the main thread's parsed models are not a leak */
        if (kl_mem_in_use() != base)
            fail_msg("fail_after(%ld): %lld bytes leaked", n, (long long)kl_mem_in_use() - (long long)base);
    }
    assert_true(failed > 0);
    assert_true(ok > 0);
    fprintf(stderr, "fault injection: %d failed cleanly, %d succeeded\n", failed, ok);
}

static void test_out_of_memory(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kiln_db *db = open_db();
    char sql[1024];
    snprintf(sql, sizeof sql, "CREATE TABLE mm AS %s", MODELS_Q);
    exec_ok(db, sql);
    kiln_result *r = run_ok(db, PREDICT_Q);
    assert_int_equal(kiln_result_get_int64(r, 0, 0), 40000);
    int64_t want = kiln_result_get_int64(r, 0, 1);
    kiln_result_free(r);
    for (int t = 1; t <= 2; t++) {
        set_threads(db, t);
        snprintf(sql, sizeof sql, "SELECT count(*), sum(CAST(is_fitted(lin) AND is_fitted(lg) AND is_fitted(sv) AND "
                                  "is_fitted(sr) AND is_fitted(km) AS BIGINT)) FROM (%s) q", MODELS_Q);
        oom_loop(db, sql, 40, 40);
        oom_loop(db, PREDICT_Q, 40000, want);
    }
    kiln_close(db);
    assert_int_equal(kl_mem_in_use(), base);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_models_any_threads),
        cmocka_unit_test(test_single_model_same_every_run),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
