/*
 * api_example.c — a small, complete program using kiln's public C API (include/kiln.h only).
 *
 * What it shows, in call order: kiln_open(); kiln_set_option() for the thread count;
 * kiln_exec() with several statements (CREATE TABLE, INSERT) in one string; an aggregate query
 * whose result is walked chunk by chunk (kiln_result_chunk_count/_offset/_row_count) and row by
 * row with the typed getters and NULL checks; then a query that fails, and the error record it
 * leaves (code, message, SQL offset) plus kiln_error_render()'s rendering; kiln_close().
 * It doubles as a test (registered with ctest): it exits 0 only when every value is the one
 * expected, so a change to the API's behaviour that would break embedders fails the build's tests.
 *
 * Build against an installed kiln:  cc api_example.c $(pkg-config --cflags --libs --static kiln)
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kiln.h"

static int failures = 0;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "api_example: check failed at line %d: %s\n", __LINE__, #cond); \
            failures++;                                                             \
        }                                                                           \
    } while (0)

/* Expected result of the aggregate query, one row per group (has_* = false means NULL). */
typedef struct expected_row {
    const char *g;
    int64_t n;
    bool has_sum;
    int64_t sum_x;
    bool has_avg;
    double avg_y;
} expected_row;

static const expected_row expected[] = {
    {"a", 2, true, 3, true, 1.5},
    {"b", 2, true, 3, true, 3.25},
    {"c", 1, false, 0, false, 0.0},
};

int main(void) {
    kiln_db *db = NULL;
    kiln_result *res = NULL;
    kiln_error err;
    kiln_error_clear(&err);

    printf("kiln %s\n", kiln_version());
    if (kiln_open(&db, &err) != KILN_OK) {
        fprintf(stderr, "api_example: kiln_open failed: %s\n", err.message);
        return 1;
    }
    if (kiln_set_option(db, "threads", "2", &err) != KILN_OK) {
        fprintf(stderr, "api_example: set threads: %s\n", err.message);
        failures++;
        kiln_error_clear(&err);
    }

    /* Several statements in one call: the result is the last statement's (ignored here). */
    const char *setup = "CREATE TABLE t (g VARCHAR, x BIGINT, y DOUBLE);\n"
                        "INSERT INTO t VALUES ('a', 1, 1.5), ('a', 2, NULL), ('b', 3, 2.5),\n"
                        "                     ('b', NULL, 4.0), ('c', NULL, NULL);";
    if (kiln_exec(db, setup, NULL, &err) != KILN_OK) {
        fprintf(stderr, "api_example: setup failed: %s\n", err.message);
        kiln_close(db);
        return 1;
    }

    const char *query = "SELECT g, count(*) AS n, sum(x) AS sum_x, avg(y) AS avg_y\n"
                        "FROM t GROUP BY g ORDER BY g";
    if (kiln_exec(db, query, &res, &err) != KILN_OK) {
        char text[2048];
        kiln_error_render(&err, query, text, sizeof text);
        fprintf(stderr, "api_example: query failed: %s\n", text);
        kiln_close(db);
        return 1;
    }

    size_t n_cols = kiln_result_column_count(res);
    CHECK(n_cols == 4);
    for (size_t c = 0; c < n_cols; c++)
        printf("%s%s %s", c ? ", " : "", kiln_result_column_name(res, c),
               kiln_type_name(kiln_result_column_type(res, c)));
    printf("\n");
    CHECK(n_cols == 4 && kiln_result_column_type(res, 0) == KILN_TYPE_VARCHAR);
    CHECK(n_cols == 4 && kiln_result_column_type(res, 1) == KILN_TYPE_BIGINT);
    CHECK(n_cols == 4 && kiln_result_column_type(res, 3) == KILN_TYPE_DOUBLE);
    CHECK(kiln_result_row_count(res) == 3);

    size_t seen = 0;
    for (size_t ch = 0; ch < kiln_result_chunk_count(res) && n_cols == 4; ch++) {
        size_t first = kiln_result_chunk_offset(res, ch);
        size_t n_rows = kiln_result_chunk_row_count(res, ch);
        for (size_t row = first; row < first + n_rows; row++, seen++) {
            size_t len = 0;
            const char *g = kiln_result_get_varchar(res, row, 0, &len);
            int64_t n = kiln_result_get_int64(res, row, 1);
            bool sum_null = kiln_result_is_null(res, row, 2);
            bool avg_null = kiln_result_is_null(res, row, 3);
            int64_t sum_x = sum_null ? 0 : kiln_result_get_int64(res, row, 2);
            double avg_y = avg_null ? 0.0 : kiln_result_get_double(res, row, 3);

            printf("g=%.*s n=%lld sum_x=", (int)len, g ? g : "", (long long)n);
            if (sum_null) printf("NULL");
            else printf("%lld", (long long)sum_x);
            if (avg_null) printf(" avg_y=NULL\n");
            else printf(" avg_y=%g\n", avg_y);

            if (seen >= sizeof expected / sizeof expected[0]) {
                CHECK(!"more rows than expected");
                continue;
            }
            const expected_row *e = &expected[seen];
            CHECK(g != NULL && len == strlen(e->g) && memcmp(g, e->g, len) == 0);
            CHECK(n == e->n);
            CHECK(sum_null == !e->has_sum);
            CHECK(!e->has_sum || sum_x == e->sum_x);
            CHECK(avg_null == !e->has_avg);
            CHECK(!e->has_avg || fabs(avg_y - e->avg_y) < 1e-9);
        }
    }
    CHECK(seen == 3);
    kiln_result_free(res);
    res = NULL;

    /* An error: an unknown column. The record says what and where. */
    const char *bad = "SELECT nosuch FROM t";
    int rc = kiln_exec(db, bad, &res, &err);
    CHECK(rc != KILN_OK);
    CHECK(res == NULL);
    CHECK(err.code == KILN_ERR_BINDER);
    CHECK(err.sql_offset == 7);
    printf("error code=%d offset=%ld message=%s\n", err.code, err.sql_offset, err.message);
    char rendered[2048];
    kiln_error_render(&err, bad, rendered, sizeof rendered);
    printf("rendered:\n%s\n", rendered);
    kiln_result_free(res);

    kiln_close(db);
    if (failures) {
        fprintf(stderr, "api_example: %d check(s) failed\n", failures);
        return 1;
    }
    printf("api_example: all checks passed\n");
    return 0;
}
