/*
 * sql_helpers.h — run SQL through the public API in cmocka tests: run_ok (a result, or the
 * test fails with the error and the SQL), exec_ok (the same, result dropped), scalar_i64 (the
 * single row's first column). Include after <cmocka.h> and "kiln.h".
 */
#ifndef KILN_TEST_SQL_HELPERS_H
#define KILN_TEST_SQL_HELPERS_H

static inline kiln_result *run_ok(kiln_db *db, const char *sql) {
    kiln_result *res = NULL;
    kiln_error err;
    int rc = kiln_exec(db, sql, &res, &err);
    if (rc) fail_msg("kiln_exec failed (%d): %s\nSQL: %s", rc, err.message, sql);
    assert_int_equal(err.code, KILN_OK);
    assert_non_null(res);
    return res;
}

static inline void exec_ok(kiln_db *db, const char *sql) { kiln_result_free(run_ok(db, sql)); }

static inline int64_t scalar_i64(kiln_db *db, const char *sql) {
    kiln_result *r = run_ok(db, sql);
    assert_int_equal(kiln_result_row_count(r), 1);
    int64_t v = kiln_result_get_int64(r, 0, 0);
    kiln_result_free(r);
    return v;
}

#endif
