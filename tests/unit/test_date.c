/*
 * test_date.c — unit tests of date/time support: INTERVAL text parsing and printing
 * (util/textconv.c), normalized interval comparison and hashing (group keys), calendar
 * arithmetic in the + operator (func/ops.c), and the date functions of func/scalar_date.c
 * run through the public API: date_trunc weeks (Monday, across year ends), ISO weeks at year
 * edges, time_bucket origins, strftime/strptime round trips, leap years, dates before 1970.
 * Expected values were checked against DuckDB 1.5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/hashtable.h"
#include "func/func.h"
#include "kiln.h"
#include "util/kl.h"
#include "util/textconv.h"

/* ---- helpers -------------------------------------------------------------------------- */

static kiln_db *db_open(void) {
    kiln_db *db = NULL;
    kiln_error err;
    assert_int_equal(kiln_open(&db, &err), 0);
    return db;
}

/* First cell of the result of sql as text; fails the test if the statement fails. */
static void q_eq(const char *sql, const char *want) {
    kiln_db *db = db_open();
    kiln_result *res = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    int rc = kiln_exec(db, sql, &res, &err);
    if (rc != 0) fail_msg("%s: %s", sql, err.message);
    char buf[256];
    kiln_result_get_text(res, 0, 0, buf, sizeof buf);
    if (strcmp(buf, want) != 0) fail_msg("%s: got '%s', want '%s'", sql, buf, want);
    kiln_result_free(res);
    kiln_close(db);
}

/* sql must fail with a message containing `part`. */
static void q_err(const char *sql, const char *part) {
    kiln_db *db = db_open();
    kiln_result *res = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    int rc = kiln_exec(db, sql, &res, &err);
    if (rc == 0) fail_msg("%s: expected an error", sql);
    if (!strstr(err.message, part)) fail_msg("%s: message '%s' lacks '%s'", sql, err.message, part);
    kiln_result_free(res);
    kiln_close(db);
}

static kl_interval iv_parse(const char *s) {
    kl_interval v = {0, 0, 0};
    if (!kl_parse_interval(s, strlen(s), &v)) fail_msg("'%s' does not parse", s);
    return v;
}

static void iv_fmt(kl_interval v, const char *want) {
    char buf[128];
    size_t n = kl_format_interval(v, buf);
    buf[n] = 0;
    assert_string_equal(buf, want);
}

/* parse -> print */
static void iv_round(const char *in, const char *want) { iv_fmt(iv_parse(in), want); }

/* ---- interval text ----------------------------------------------------------------------- */

static void t_interval_parse_units(void **s) {
    (void)s;
    kl_interval v = iv_parse("1 day");
    assert_int_equal(v.months, 0);
    assert_int_equal(v.days, 1);
    assert_true(v.micros == 0);
    v = iv_parse("15 minutes");
    assert_true(v.micros == 15 * KL_US_PER_MIN);
    v = iv_parse("15 MINUTE"); /* the INTERVAL 15 MINUTE literal form */
    assert_true(v.micros == 15 * KL_US_PER_MIN);
    v = iv_parse("1 week");
    assert_int_equal(v.days, 7);
    v = iv_parse("1 year 2 months");
    assert_int_equal(v.months, 14);
    v = iv_parse("-3 days");
    assert_int_equal(v.days, -3);
    v = iv_parse("2 decades 1 quarter");
    assert_int_equal(v.months, 243);
}

static void t_interval_parse_time_part(void **s) {
    (void)s;
    kl_interval v = iv_parse("01:30:00");
    assert_true(v.micros == 90 * KL_US_PER_MIN);
    v = iv_parse("1 day -01:30");
    assert_int_equal(v.days, 1);
    assert_true(v.micros == -90 * KL_US_PER_MIN);
    v = iv_parse("00:00:01.25");
    assert_true(v.micros == 1250000);
    v = iv_parse("10"); /* a bare number is seconds */
    assert_true(v.micros == 10 * KL_US_PER_SEC);
}

static void t_interval_parse_fractions(void **s) {
    (void)s;
    iv_round("1.5 days", "1 day 12:00:00");
    iv_round("1.5 months", "1 month 15 days");
    iv_round("1.5 years", "1 year 6 months");
    iv_round("1.7 months", "1 month 21 days");
    iv_round("1.5 weeks", "10 days 12:00:00");
    iv_round("0.5 seconds", "00:00:00.5");
    iv_round("-1.5 days", "-1 day -12:00:00");
}

static void t_interval_parse_rejects(void **s) {
    (void)s;
    kl_interval v;
    const char *bad[] = {"", "day", "1 fortnight", "+1 day", "1 hour 30", "1 day junk", "1:2:3:4",
                         "ago", "99999999999 years"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kl_parse_interval(bad[i], strlen(bad[i]), &v)) fail_msg("'%s' parsed", bad[i]);
    /* never reads past len: "1 day" cut to "1 d" is one day */
    assert_true(kl_parse_interval("1 dayXXXX", 3, &v) && v.days == 1);
}

static void t_interval_format(void **s) {
    (void)s;
    iv_fmt((kl_interval){0, 0, 0}, "00:00:00");
    iv_fmt((kl_interval){0, 1, 0}, "1 day");
    iv_fmt((kl_interval){0, 0, 2 * KL_US_PER_HOUR}, "02:00:00");
    iv_fmt((kl_interval){14, 3, 4 * KL_US_PER_HOUR + 5 * KL_US_PER_MIN + 6500000},
           "1 year 2 months 3 days 04:05:06.5");
    iv_fmt((kl_interval){-14, 0, 0}, "-1 year -2 months");
    iv_fmt((kl_interval){0, 0, 100 * KL_US_PER_HOUR}, "100:00:00");
    iv_fmt((kl_interval){0, 0, -KL_US_PER_HOUR}, "-01:00:00");
    iv_fmt((kl_interval){0, 0, 5}, "00:00:00.000005");
    iv_fmt((kl_interval){INT32_MIN, INT32_MIN, INT64_MIN},
           "-178956970 years -8 months -2147483648 days -2562047788:00:54.775808");
}

static void t_interval_round_trips(void **s) {
    (void)s;
    const char *texts[] = {"1 day", "02:00:00", "1 year 2 months 3 days 04:05:06.5", "-3 days",
                           "11 months", "-1 day 02:00:00", "36:00:00", "00:00:00.003",
                           "2 years -1 day -00:00:01"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) iv_round(texts[i], texts[i]);
}

/* ---- normalized comparison and hashing ---------------------------------------------------- */

static void t_interval_compare_normalized(void **s) {
    (void)s;
    assert_int_equal(kl_interval_cmp(iv_parse("30 days"), iv_parse("1 month")), 0);
    assert_int_equal(kl_interval_cmp(iv_parse("24 hours"), iv_parse("1 day")), 0);
    assert_int_equal(kl_interval_cmp(iv_parse("720 hours"), iv_parse("1 month")), 0);
    assert_true(kl_interval_cmp(iv_parse("31 days"), iv_parse("1 month")) > 0);
    assert_true(kl_interval_cmp(iv_parse("1 month -1 day"), iv_parse("29 days")) > 0);
    assert_true(kl_interval_cmp(iv_parse("-1 day"), iv_parse("-23 hours")) < 0);
    assert_true(kl_interval_cmp(iv_parse("1 month"), iv_parse("1 month 00:00:00.000001")) < 0);
}

static void t_interval_group_keys(void **s) {
    (void)s;
    kl_type t = KILN_TYPE_INTERVAL;
    kl_ht *ht = ht_create(&t, 1);
    assert_non_null(ht);
    kl_vec v;
    assert_int_equal(vec_init(&v, KILN_TYPE_INTERVAL, 5), 0);
    VEC_IV(&v)[0] = iv_parse("30 days");
    VEC_IV(&v)[1] = iv_parse("1 month");
    VEC_IV(&v)[2] = iv_parse("24 hours");
    VEC_IV(&v)[3] = iv_parse("1 day");
    vec_set_null(&v, 4);
    uint32_t gid[5];
    kl_vec *keys[1] = {&v};
    kl_error err;
    kiln_error_clear(&err);
    assert_int_equal(ht_find_or_insert(ht, keys, 5, gid, &err), 0);
    assert_int_equal(gid[0], gid[1]);
    assert_int_equal(gid[2], gid[3]);
    assert_int_not_equal(gid[0], gid[2]);
    assert_int_not_equal(gid[4], gid[0]);
    assert_int_equal(ht_group_count(ht), 3);
    vec_free(&v);
    ht_free(ht);
}

/* ---- arithmetic ------------------------------------------------------------------------------ */

static void t_month_arithmetic_clamps(void **s) {
    (void)s;
    q_eq("SELECT DATE '2024-01-31' + to_months(1)", "2024-02-29 00:00:00");
    q_eq("SELECT DATE '2023-01-31' + to_months(1)", "2023-02-28 00:00:00");
    q_eq("SELECT DATE '2024-03-31' - to_months(1)", "2024-02-29 00:00:00");
    q_eq("SELECT DATE '2024-02-29' + to_years(1)", "2025-02-28 00:00:00");
    q_eq("SELECT TIMESTAMP '2024-12-31 10:00' + to_months(2)", "2025-02-28 10:00:00");
    q_eq("SELECT TIMESTAMP '2024-01-15 10:00' - to_months(13)", "2022-12-15 10:00:00");
}

static void t_interval_operators(void **s) {
    (void)s;
    q_eq("SELECT TIMESTAMP '2024-03-01' - TIMESTAMP '2024-01-01 01:00'", "59 days 23:00:00");
    q_eq("SELECT TIMESTAMP '2024-01-01' - TIMESTAMP '2024-03-01 01:00:00.5'", "-60 days -01:00:00.5");
    q_eq("SELECT to_days(1) * 1.5", "1 day 12:00:00");
    q_eq("SELECT to_months(1) / 2", "15 days");
    q_eq("SELECT to_days(1) - to_months(1)", "-1 month 1 day");
    q_eq("SELECT to_days(1) / 0", "");
    q_err("SELECT to_days(1) * 1e300", "Overflow");
}

static void t_before_1970(void **s) {
    (void)s;
    q_eq("SELECT TIMESTAMP '1969-12-31 23:00' + to_hours(2)", "1970-01-01 01:00:00");
    q_eq("SELECT date_trunc('hour', TIMESTAMP '1969-12-31 23:59:59')", "1969-12-31 23:00:00");
    q_eq("SELECT date_trunc('week', DATE '1969-12-31')", "1969-12-29 00:00:00");
    q_eq("SELECT dayname(DATE '1969-07-20')", "Sunday");
    q_eq("SELECT dayofweek(DATE '1900-01-01')", "1");
    q_eq("SELECT epoch(DATE '1969-12-31')", "-86400.0");
    q_eq("SELECT second(TIMESTAMP '1969-12-31 23:59:58.25')", "58");
}

/* ---- date_trunc and ISO weeks ------------------------------------------------------------ */

static void t_trunc_week_monday(void **s) {
    (void)s;
    q_eq("SELECT date_trunc('week', DATE '2024-01-03')", "2024-01-01 00:00:00");
    q_eq("SELECT date_trunc('week', DATE '2024-01-07')", "2024-01-01 00:00:00"); /* Sunday */
    q_eq("SELECT date_trunc('week', DATE '2021-01-01')", "2020-12-28 00:00:00"); /* across years */
    q_eq("SELECT date_trunc('week', DATE '2023-01-01')", "2022-12-26 00:00:00");
    q_eq("SELECT date_trunc('week', TIMESTAMP '2024-12-31 23:00')", "2024-12-30 00:00:00");
}

static void t_trunc_other_parts(void **s) {
    (void)s;
    q_eq("SELECT date_trunc('quarter', TIMESTAMP '2024-05-17 10:45')", "2024-04-01 00:00:00");
    q_eq("SELECT date_trunc('decade', DATE '2024-05-17')", "2020-01-01 00:00:00");
    q_eq("SELECT date_trunc('century', DATE '2000-05-17')", "2000-01-01 00:00:00");
    q_eq("SELECT date_trunc('ms', TIMESTAMP '2024-05-17 10:45:12.123456')", "2024-05-17 10:45:12.123");
    q_eq("SELECT date_trunc('isoyear', DATE '2021-01-01')", "2019-12-30 00:00:00");
    q_err("SELECT date_trunc('fortnight', DATE '2024-05-17')", "not recognized");
}

static void t_iso_week_year_edges(void **s) {
    (void)s;
    q_eq("SELECT week(DATE '2021-01-03')", "53");
    q_eq("SELECT week(DATE '2021-01-04')", "1");
    q_eq("SELECT isoyear(DATE '2021-01-03')", "2020");
    q_eq("SELECT week(DATE '2024-12-30')", "1");
    q_eq("SELECT isoyear(DATE '2024-12-30')", "2025");
    q_eq("SELECT yearweek(DATE '2024-12-30')", "202501");
    q_eq("SELECT week(DATE '2026-12-31')", "53");
    q_eq("SELECT date_part('week', DATE '2020-12-31')", "53");
}

/* ---- time_bucket ------------------------------------------------------------------------- */

static void t_time_bucket_default_origins(void **s) {
    (void)s;
    /* day-width buckets align to Monday 2000-01-03, month buckets to 2000-01-01 */
    q_eq("SELECT time_bucket(to_weeks(1), DATE '2024-05-17')", "2024-05-13");
    q_eq("SELECT time_bucket(to_days(2), DATE '2024-05-17')", "2024-05-16");
    q_eq("SELECT time_bucket(to_minutes(15), TIMESTAMP '2024-05-17 10:45:12')", "2024-05-17 10:45:00");
    q_eq("SELECT time_bucket(to_years(2), DATE '2023-05-17')", "2022-01-01");
    q_eq("SELECT time_bucket(to_months(3), TIMESTAMP '2024-05-17 10:00')", "2024-04-01 00:00:00");
    q_eq("SELECT time_bucket(to_days(7), TIMESTAMP '1969-05-17 10:00')", "1969-05-12 00:00:00");
}

static void t_time_bucket_origin_and_offset(void **s) {
    (void)s;
    q_eq("SELECT time_bucket(to_days(1), TIMESTAMP '2024-05-17 10:45', TIMESTAMP '2024-01-01 06:00')",
         "2024-05-17 06:00:00");
    q_eq("SELECT time_bucket(to_months(1), DATE '2024-05-17', DATE '2024-01-15')", "2024-05-01");
    q_eq("SELECT time_bucket(to_days(1), TIMESTAMP '2024-05-17 10:45', to_hours(6))",
         "2024-05-17 06:00:00");
    q_eq("SELECT time_bucket(to_months(1), DATE '2024-05-17', to_days(2))", "2024-05-03");
    q_err("SELECT time_bucket(to_days(0), DATE '2024-05-17')", "Period must be greater than 0");
    q_err("SELECT time_bucket(to_months(1) + to_days(1), DATE '2024-05-17')", "Month intervals");
}

/* ---- strftime / strptime -------------------------------------------------------------------- */

static void t_strftime_specifiers(void **s) {
    (void)s;
    q_eq("SELECT strftime(TIMESTAMP '2021-01-02 15:04:05.123456', '%Y-%m-%d %H:%M:%S.%f')",
         "2021-01-02 15:04:05.123456");
    q_eq("SELECT strftime(TIMESTAMP '2021-01-02 00:04:05', '%I %p %-I|%a %A|%b %B|%j %-j')",
         "12 AM 12|Sat Saturday|Jan January|002 2");
    q_eq("SELECT strftime(TIMESTAMP '2024-12-30 12:04:05', '%U|%W|%V|%G|%u|%w')", "52|53|01|2025|1|1");
    q_eq("SELECT strftime('%d/%m/%y', DATE '2021-01-02')", "02/01/21");
    q_eq("SELECT strftime(DATE '2021-01-02', '100%%')", "100%");
    q_err("SELECT strftime(DATE '2021-01-02', '%Q')", "Failed to parse format specifier");
}

static void t_strptime_round_trip(void **s) {
    (void)s;
    q_eq("SELECT strptime(strftime(TIMESTAMP '1999-12-31 23:59:58.5', '%d.%m.%Y %H:%M:%S.%f'), "
         "'%d.%m.%Y %H:%M:%S.%f')",
         "1999-12-31 23:59:58.5");
    q_eq("SELECT strptime(strftime(TIMESTAMP '1965-03-04 05:06:07', '%A %B %d %Y %I:%M:%S %p'), "
         "'%A %B %d %Y %I:%M:%S %p')",
         "1965-03-04 05:06:07");
    q_eq("SELECT strptime('20210102', '%Y%m%d')", "2021-01-02 00:00:00");
    q_eq("SELECT strptime('69-01-01', '%y-%m-%d')", "1969-01-01 00:00:00");
    q_eq("SELECT strptime('2021-032', '%Y-%j')", "2021-02-01 00:00:00");
}

static void t_strptime_failures(void **s) {
    (void)s;
    q_err("SELECT strptime('x2021', '%Y')", "Could not parse string");
    q_err("SELECT strptime('2021-01-01 junk', '%Y-%m-%d')", "Could not parse string");
    q_eq("SELECT try_strptime('2021-02-30', '%Y-%m-%d')", "");
    q_eq("SELECT try_strptime('2021-02-28', '%Y-%m-%d')", "2021-02-28 00:00:00");
}

/* ---- leap years, diff/sub, constructors ---------------------------------------------------- */

static void t_leap_years(void **s) {
    (void)s;
    q_eq("SELECT last_day(DATE '2024-02-10')", "2024-02-29");
    q_eq("SELECT last_day(DATE '1900-02-10')", "1900-02-28");
    q_eq("SELECT last_day(DATE '2000-02-10')", "2000-02-29");
    q_eq("SELECT make_date(2024, 2, 29)", "2024-02-29");
    q_err("SELECT make_date(2023, 2, 29)", "Date out of range");
    q_eq("SELECT dayofyear(DATE '2024-12-31')", "366");
}

static void t_diff_and_sub(void **s) {
    (void)s;
    q_eq("SELECT date_diff('month', DATE '2024-01-31', DATE '2024-02-01')", "1");
    q_eq("SELECT date_sub('month', DATE '2024-01-31', DATE '2024-02-01')", "0");
    q_eq("SELECT date_sub('month', DATE '2024-01-31', DATE '2024-02-29')", "1");
    q_eq("SELECT date_diff('hour', TIMESTAMP '1969-12-31 23:30', TIMESTAMP '1970-01-01 00:30')", "1");
    q_eq("SELECT date_diff('week', DATE '2024-01-07', DATE '2024-01-08')", "0");
    q_eq("SELECT date_sub('year', DATE '2020-02-29', DATE '2021-02-28')", "1");
    q_eq("SELECT age(TIMESTAMP '2024-03-01', TIMESTAMP '2023-01-15 10:00')", "1 year 1 month 16 days 14:00:00");
}

static void t_epochs_and_constructors(void **s) {
    (void)s;
    q_eq("SELECT epoch(TIMESTAMP '2021-01-02 10:45:12.5')", "1609584312.5");
    q_eq("SELECT epoch_ms(TIMESTAMP '2021-01-02 10:00:00.123')", "1609581600123");
    q_eq("SELECT epoch_ms(1609581600123)", "2021-01-02 10:00:00.123");
    q_eq("SELECT to_timestamp(1700000000.5)", "2023-11-14 22:13:20.5");
    q_eq("SELECT make_timestamp(2024, 2, 29, 10, 30, 15.5)", "2024-02-29 10:30:15.5");
    /* the binder turns a constant 'epoch' part into epoch(x) (DOUBLE, as DuckDB) */
    q_eq("SELECT date_part('epoch', TIMESTAMP '2021-01-01 00:00:00.5')", "1609459200.5");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_interval_parse_units),
        cmocka_unit_test(t_interval_parse_time_part),
        cmocka_unit_test(t_interval_parse_fractions),
        cmocka_unit_test(t_interval_parse_rejects),
        cmocka_unit_test(t_interval_format),
        cmocka_unit_test(t_interval_round_trips),
        cmocka_unit_test(t_interval_compare_normalized),
        cmocka_unit_test(t_interval_group_keys),
        cmocka_unit_test(t_month_arithmetic_clamps),
        cmocka_unit_test(t_interval_operators),
        cmocka_unit_test(t_before_1970),
        cmocka_unit_test(t_trunc_week_monday),
        cmocka_unit_test(t_trunc_other_parts),
        cmocka_unit_test(t_iso_week_year_edges),
        cmocka_unit_test(t_time_bucket_default_origins),
        cmocka_unit_test(t_time_bucket_origin_and_offset),
        cmocka_unit_test(t_strftime_specifiers),
        cmocka_unit_test(t_strptime_round_trip),
        cmocka_unit_test(t_strptime_failures),
        cmocka_unit_test(t_leap_years),
        cmocka_unit_test(t_diff_and_sub),
        cmocka_unit_test(t_epochs_and_constructors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
