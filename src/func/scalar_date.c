/*
 * scalar_date.c — date and time functions: date_part/extract and the one-part extractors
 * (year, month, ..., epoch), date_trunc, time_bucket, date_diff/date_sub, age, date_add,
 * strftime/strptime/try_strptime, make_date/make_timestamp, last_day, dayname/monthname,
 * epoch_ms/epoch_us/epoch_ns, to_timestamp, to_days/to_hours/... (numbers to INTERVAL),
 * current_date/today/now/current_timestamp.
 *
 * API: the table fn_date_defs (searched by catalog.c).
 *
 * Semantics are DuckDB 1.5's (each checked against it):
 *  - DATE arguments are cast to TIMESTAMP at bind time wherever the result does not depend on
 *    it (a date is its midnight), so most kernels see microseconds since the epoch only.
 *  - Part names are DuckDB's specifiers with their abbreviations ('year', 'yr', 'y', 'month',
 *    'mon', 'dow', 'isodow', 'doy', 'week', 'isoyear', 'yearweek', 'epoch', ...), case-
 *    insensitive; an unknown one fails with DuckDB's "not recognized" message.
 *  - dow: Sunday = 0; isodow: Monday = 1; week: ISO 8601 (weeks start Monday, week 1 holds the
 *    year's first Thursday); century/millennium are 1-based (2000 is in the 20th century).
 *  - date_trunc returns TIMESTAMP for DATE input too (DuckDB 1.5 does); 'week' goes back to
 *    Monday.
 *  - time_bucket: buckets of days/hours/... are aligned to 2000-01-03 00:00:00 (a Monday),
 *    buckets of months to 2000-01-01 (only the origin's year and month count); an origin
 *    argument replaces those, an INTERVAL third argument shifts the buckets by that offset.
 *    DATE in gives DATE out.
 *  - date_diff counts part boundaries crossed between start and end (weeks by epoch days
 *    divided by 7, sub-day parts by floored epoch units), date_sub counts whole parts
 *    (months through DuckDB's age arithmetic with its end-of-month rule). date_diff('week')
 *    is whole weeks between the two dates (DuckDB 1.5), not Monday boundaries.
 *  - strptime fails with "Could not parse string ... according to format specifier ...";
 *    try_strptime gives NULL instead.
 *  - now()/current_timestamp return a TIMESTAMP in UTC (DuckDB: TIMESTAMP WITH TIME ZONE);
 *    to_timestamp(seconds) likewise. The value is read once at bind time, so one statement
 *    sees one time (the binder folds zero-argument calls).
 *
 * Algorithm: each kernel propagates NULLs for the whole chunk first, then runs one loop over
 * the rows that skips NULL rows. A part-name or format argument is normally a constant, so it
 * is parsed once and re-parsed only when a row's text differs from the previous row's.
 * Calendar math uses Howard Hinnant's day <-> civil conversions from util/textconv.h.
 */
#include "func/func_internal.h"
#include "util/textconv.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

/* ---- calendar helpers -------------------------------------------------------------------- */

/* 2000-01-03 00:00:00 (a Monday) and 2000-01-01: DuckDB's default time_bucket origins. */
#define DT_ORIGIN_MICROS INT64_C(946857600000000)
#define DT_ORIGIN_MONTHS ((2000 - 1970) * 12)
#define DT_JULIAN_EPOCH 2440588 /* Julian day number of 1970-01-01 */

static const char *const dt_day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                            "Thursday", "Friday", "Saturday"};
static const char *const dt_month_names[12] = {"January", "February", "March",     "April",
                                               "May",     "June",     "July",      "August",
                                               "September", "October", "November", "December"};

static bool dt_is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned dt_month_days(int64_t y, unsigned m) {
    static const unsigned md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && dt_is_leap(y) ? 29 : md[m - 1];
}

/* Floor division and modulo (C's / truncates toward zero; times before 1970 need floor). */
static int64_t dt_floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static int64_t dt_floormod(int64_t a, int64_t b) { return a - dt_floordiv(a, b) * b; }

/* floor(a / unit) * unit, false on overflow (only near the ends of the int64 range). */
static bool dt_floor_to(int64_t a, int64_t unit, int64_t *out) {
    return !__builtin_mul_overflow(dt_floordiv(a, unit), unit, out);
}

/* A timestamp broken into calendar fields. */
typedef struct dt_fields {
    int32_t days;  /* days since 1970-01-01 */
    int64_t tod;   /* microseconds since midnight, 0 .. 86399999999 */
    int64_t year;
    unsigned month, day;
} dt_fields;

static void dt_split(int64_t ts, dt_fields *f) {
    f->days = (int32_t)dt_floordiv(ts, KL_US_PER_DAY);
    f->tod = ts - (int64_t)f->days * KL_US_PER_DAY;
    kl_civil_from_days(f->days, &f->year, &f->month, &f->day);
}

/* ISO weekday, Monday = 1 .. Sunday = 7 (1970-01-01 was a Thursday). */
static int dt_isodow(int32_t days) { return (int)dt_floormod((int64_t)days + 3, 7) + 1; }

static int dt_doy(int32_t days, int64_t year) {
    return (int)(days - kl_days_from_civil(year, 1, 1)) + 1;
}

/* ISO 8601 week-numbering year and week: the week's Thursday decides the year. */
static void dt_iso_week(int32_t days, int64_t *iso_year, int *week) {
    int32_t thursday = days - (dt_isodow(days) - 1) + 3;
    int64_t y;
    unsigned m, d;
    kl_civil_from_days(thursday, &y, &m, &d);
    *iso_year = y;
    *week = (dt_doy(thursday, y) - 1) / 7 + 1;
}

/* ---- part names ------------------------------------------------------------------------ */

typedef enum dt_part {
    DP_YEAR, DP_MONTH, DP_DAY, DP_DECADE, DP_CENTURY, DP_MILLENNIUM, DP_MICROSECONDS,
    DP_MILLISECONDS, DP_SECOND, DP_MINUTE, DP_HOUR, DP_EPOCH, DP_DOW, DP_ISODOW, DP_WEEK,
    DP_ISOYEAR, DP_QUARTER, DP_DOY, DP_YEARWEEK, DP_ERA, DP_JULIAN, DP_INVALID
} dt_part;

static const struct {
    const char *name;
    dt_part part;
} dt_part_names[] = {
    {"year", DP_YEAR}, {"years", DP_YEAR}, {"y", DP_YEAR}, {"yr", DP_YEAR}, {"yrs", DP_YEAR},
    {"month", DP_MONTH}, {"months", DP_MONTH}, {"mon", DP_MONTH}, {"mons", DP_MONTH},
    {"day", DP_DAY}, {"days", DP_DAY}, {"d", DP_DAY}, {"dayofmonth", DP_DAY},
    {"decade", DP_DECADE}, {"decades", DP_DECADE}, {"dec", DP_DECADE}, {"decs", DP_DECADE},
    {"century", DP_CENTURY}, {"centuries", DP_CENTURY}, {"cent", DP_CENTURY}, {"c", DP_CENTURY},
    {"millennium", DP_MILLENNIUM}, {"millennia", DP_MILLENNIUM}, {"millenniums", DP_MILLENNIUM},
    {"millenium", DP_MILLENNIUM}, {"mil", DP_MILLENNIUM}, {"mils", DP_MILLENNIUM},
    {"microseconds", DP_MICROSECONDS}, {"microsecond", DP_MICROSECONDS}, {"us", DP_MICROSECONDS},
    {"usec", DP_MICROSECONDS}, {"usecs", DP_MICROSECONDS}, {"usecond", DP_MICROSECONDS},
    {"useconds", DP_MICROSECONDS}, {"milliseconds", DP_MILLISECONDS},
    {"millisecond", DP_MILLISECONDS}, {"ms", DP_MILLISECONDS}, {"msec", DP_MILLISECONDS},
    {"msecs", DP_MILLISECONDS}, {"msecond", DP_MILLISECONDS}, {"mseconds", DP_MILLISECONDS},
    {"second", DP_SECOND}, {"seconds", DP_SECOND}, {"s", DP_SECOND}, {"sec", DP_SECOND},
    {"secs", DP_SECOND}, {"minute", DP_MINUTE}, {"minutes", DP_MINUTE}, {"m", DP_MINUTE},
    {"min", DP_MINUTE}, {"mins", DP_MINUTE}, {"hour", DP_HOUR}, {"hours", DP_HOUR},
    {"h", DP_HOUR}, {"hr", DP_HOUR}, {"hrs", DP_HOUR}, {"epoch", DP_EPOCH},
    {"dow", DP_DOW}, {"dayofweek", DP_DOW}, {"weekday", DP_DOW}, {"isodow", DP_ISODOW},
    {"week", DP_WEEK}, {"weeks", DP_WEEK}, {"w", DP_WEEK}, {"weekofyear", DP_WEEK},
    {"isoyear", DP_ISOYEAR}, {"quarter", DP_QUARTER}, {"quarters", DP_QUARTER},
    {"doy", DP_DOY}, {"dayofyear", DP_DOY}, {"yearweek", DP_YEARWEEK}, {"era", DP_ERA},
    {"julian", DP_JULIAN},
};

static dt_part dt_part_lookup(kl_str s) {
    char low[32];
    if (s.len == 0 || s.len >= sizeof low) return DP_INVALID;
    for (uint32_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    low[s.len] = 0;
    for (size_t k = 0; k < sizeof dt_part_names / sizeof dt_part_names[0]; k++)
        if (strcmp(dt_part_names[k].name, low) == 0) return dt_part_names[k].part;
    return DP_INVALID;
}

/* Part of row i, re-parsed only when the text changes from the previous row (it is almost
   always a constant). Fails with DuckDB's message for an unknown name. */
typedef struct dt_part_cache {
    kl_str last;
    dt_part part;
    bool valid;
} dt_part_cache;

static int dt_part_at(dt_part_cache *c, const kl_vec *v, uint32_t i, dt_part *out, kl_error *err) {
    kl_str s = VEC_STR(v)[i];
    if (!c->valid || s.len != c->last.len || (s.len && memcmp(s.ptr, c->last.ptr, s.len) != 0)) {
        c->part = dt_part_lookup(s);
        c->last = s;
        c->valid = true;
        if (c->part == DP_INVALID) {
            int show = s.len > 64 ? 64 : (int)s.len;
            c->valid = false;
            return kl_err(err, KILN_ERR_INVALID, "extract specifier \"%.*s\" not recognized", show,
                          s.ptr ? s.ptr : "");
        }
    }
    *out = c->part;
    return 0;
}

static int dt_part_unsupported(kl_error *err, const char *fn, dt_part p) {
    const char *name = "?";
    for (size_t k = 0; k < sizeof dt_part_names / sizeof dt_part_names[0]; k++)
        if (dt_part_names[k].part == p) {
            name = dt_part_names[k].name;
            break;
        }
    return kl_err(err, KILN_ERR_INVALID, "%s: specifier \"%s\" is not supported", fn, name);
}

/* ---- extraction -------------------------------------------------------------------------- */

/* Integer part p of the timestamp ts (not EPOCH/JULIAN, which are DOUBLE). */
static int64_t dt_extract(dt_part p, int64_t ts) {
    dt_fields f;
    dt_split(ts, &f);
    int64_t y = f.year;
    switch (p) {
    case DP_YEAR: return y;
    case DP_MONTH: return f.month;
    case DP_DAY: return f.day;
    case DP_DECADE: return y / 10;
    case DP_CENTURY: return y > 0 ? (y - 1) / 100 + 1 : y / 100 - 1;
    case DP_MILLENNIUM: return y > 0 ? (y - 1) / 1000 + 1 : y / 1000 - 1;
    case DP_MICROSECONDS: return f.tod % KL_US_PER_MIN;
    case DP_MILLISECONDS: return f.tod % KL_US_PER_MIN / 1000;
    case DP_SECOND: return f.tod / KL_US_PER_SEC % 60;
    case DP_MINUTE: return f.tod / KL_US_PER_MIN % 60;
    case DP_HOUR: return f.tod / KL_US_PER_HOUR;
    case DP_DOW: return dt_isodow(f.days) % 7;
    case DP_ISODOW: return dt_isodow(f.days);
    case DP_DOY: return dt_doy(f.days, y);
    case DP_QUARTER: return (f.month - 1) / 3 + 1;
    case DP_ERA: return y > 0 ? 1 : 0;
    case DP_WEEK:
    case DP_ISOYEAR:
    case DP_YEARWEEK: {
        int64_t iy;
        int w;
        dt_iso_week(f.days, &iy, &w);
        return p == DP_WEEK ? w : p == DP_ISOYEAR ? iy : iy * 100 + (iy < 0 ? -w : w);
    }
    default: return 0;
    }
}

static double dt_extract_f64(dt_part p, int64_t ts) {
    if (p == DP_EPOCH) return (double)ts / (double)KL_US_PER_SEC;
    /* Julian day: whole days plus the fraction of the day */
    dt_fields f;
    dt_split(ts, &f);
    return (double)((int64_t)f.days + DT_JULIAN_EPOCH) + (double)f.tod / (double)KL_US_PER_DAY;
}

/* Part p of an interval (DuckDB: years = months / 12, seconds = micros within the minute). */
static bool dt_extract_interval(dt_part p, kl_interval v, int64_t *out) {
    switch (p) {
    case DP_YEAR: *out = v.months / 12; return true;
    case DP_MONTH: *out = v.months % 12; return true;
    case DP_DAY: *out = v.days; return true;
    case DP_DECADE: *out = v.months / 120; return true;
    case DP_CENTURY: *out = v.months / 1200; return true;
    case DP_MILLENNIUM: *out = v.months / 12000; return true;
    case DP_QUARTER: *out = v.months % 12 / 3 + 1; return true;
    case DP_HOUR: *out = v.micros / KL_US_PER_HOUR; return true;
    case DP_MINUTE: *out = v.micros % KL_US_PER_HOUR / KL_US_PER_MIN; return true;
    case DP_SECOND: *out = v.micros % KL_US_PER_MIN / KL_US_PER_SEC; return true;
    case DP_MILLISECONDS: *out = v.micros % KL_US_PER_MIN / 1000; return true;
    case DP_MICROSECONDS: *out = v.micros % KL_US_PER_MIN; return true;
    default: return false;
    }
}

/* The one-argument extractors and date_part bind: DATE/VARCHAR become TIMESTAMP, INTERVAL
   stays. */
static int dt_bind_time_arg(kl_type *t) {
    if (*t == KILN_TYPE_INTERVAL) return 0;
    if (*t == KILN_TYPE_DATE || *t == KILN_TYPE_TIMESTAMP || *t == KILN_TYPE_VARCHAR ||
        *t == KILN_TYPE_NULL) {
        *t = KILN_TYPE_TIMESTAMP;
        return 0;
    }
    return -1;
}

/* Shared loop: out[i] = part of args[x][i] for the non-NULL rows; part names come from
   args[0] when part == DP_INVALID (date_part), else the part is fixed. */
static int dt_extract_rows(const char *fn, dt_part fixed, kl_vec *part_vec, kl_vec *x, uint32_t n,
                           kl_vec *out, kl_error *err) {
    dt_part_cache cache = {{NULL, 0}, DP_INVALID, false};
    bool f64 = out->type == KILN_TYPE_DOUBLE;
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        dt_part p = fixed;
        if (part_vec) TRY(dt_part_at(&cache, part_vec, i, &p, err));
        if (x->type == KILN_TYPE_INTERVAL) {
            kl_interval v = VEC_IV(x)[i];
            if (p == DP_EPOCH && f64) {
                VEC_F64(out)[i] = (double)v.months / 12 * 365.25 * 86400.0 +
                                  (double)v.days * 86400.0 + (double)v.micros / 1e6;
                continue;
            }
            int64_t r;
            if (f64 || !dt_extract_interval(p, v, &r)) return dt_part_unsupported(err, fn, p);
            VEC_I64(out)[i] = r;
            continue;
        }
        int64_t ts = VEC_I64(x)[i];
        if (p == DP_EPOCH || p == DP_JULIAN) {
            if (!f64)
                /* date_part's type is bound before the part name is known (BIGINT) */
                return kl_err(err, KILN_ERR_INVALID,
                              "%s('%s', x) returns DOUBLE: use %s(x) instead", fn,
                              p == DP_EPOCH ? "epoch" : "julian", p == DP_EPOCH ? "epoch" : "julian");
            VEC_F64(out)[i] = dt_extract_f64(p, ts);
        } else {
            if (f64) return dt_part_unsupported(err, fn, p);
            VEC_I64(out)[i] = dt_extract(p, ts);
        }
    }
    return 0;
}

static int dt_bind_date_part(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                             kl_error *err) {
    KL_UNUSED(ctx);
    if (arg_types[0] != KILN_TYPE_VARCHAR && arg_types[0] != KILN_TYPE_NULL)
        return fn_no_overload(err, "date_part", arg_types, n_args);
    arg_types[0] = KILN_TYPE_VARCHAR;
    if (dt_bind_time_arg(&arg_types[1]) != 0) return fn_no_overload(err, "date_part", arg_types, n_args);
    *ret = KILN_TYPE_BIGINT;
    return 0;
}

static int dt_date_part(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                        kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL || args[1]->type == KILN_TYPE_NULL) return 0;
    return dt_extract_rows("date_part", DP_INVALID, args[0], args[1], n, out, err);
}

/* year(x), month(x), ...: one function per part, BIGINT (epoch/julian: DOUBLE). */
static int dt_bind_extract(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                           kl_error *err, const char *name, bool f64) {
    KL_UNUSED(ctx);
    if (dt_bind_time_arg(&arg_types[0]) != 0) return fn_no_overload(err, name, arg_types, n_args);
    *ret = f64 ? KILN_TYPE_DOUBLE : KILN_TYPE_BIGINT;
    return 0;
}

#define DT_EXTRACTOR(fname, part, f64)                                                          \
    static int dt_bind_fn_##fname(kl_fn_ctx *ctx, kl_type *arg_types, int n_args,            \
                                  kl_type *ret, kl_error *err) {                               \
        return dt_bind_extract(ctx, arg_types, n_args, ret, err, #fname, f64);                 \
    }                                                                                          \
    static int dt_fn_##fname(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n,           \
                             kl_vec *out, kl_error *err) {                                     \
        KL_UNUSED(ctx);                                                                        \
        fn_propagate_nulls(out, args, n_args, n);                                              \
        if (args[0]->type == KILN_TYPE_NULL) return 0;                                         \
        return dt_extract_rows(#fname, part, NULL, args[0], n, out, err);                      \
    }

DT_EXTRACTOR(year, DP_YEAR, false)
DT_EXTRACTOR(month, DP_MONTH, false)
DT_EXTRACTOR(day, DP_DAY, false)
DT_EXTRACTOR(hour, DP_HOUR, false)
DT_EXTRACTOR(minute, DP_MINUTE, false)
DT_EXTRACTOR(second, DP_SECOND, false)
DT_EXTRACTOR(millisecond, DP_MILLISECONDS, false)
DT_EXTRACTOR(microsecond, DP_MICROSECONDS, false)
DT_EXTRACTOR(dayofweek, DP_DOW, false)
DT_EXTRACTOR(isodow, DP_ISODOW, false)
DT_EXTRACTOR(dayofyear, DP_DOY, false)
DT_EXTRACTOR(week, DP_WEEK, false)
DT_EXTRACTOR(quarter, DP_QUARTER, false)
DT_EXTRACTOR(isoyear, DP_ISOYEAR, false)
DT_EXTRACTOR(yearweek, DP_YEARWEEK, false)
DT_EXTRACTOR(decade, DP_DECADE, false)
DT_EXTRACTOR(century, DP_CENTURY, false)
DT_EXTRACTOR(millennium, DP_MILLENNIUM, false)
DT_EXTRACTOR(era, DP_ERA, false)
DT_EXTRACTOR(epoch, DP_EPOCH, true)
DT_EXTRACTOR(julian, DP_JULIAN, true)

/* ---- date_trunc ---------------------------------------------------------------------------- */

/* Midnight of y-m-d in microseconds; callers pass years of existing timestamps (or of their
   truncation), whose days are far inside the range where this product fits. */
static int64_t dt_from_civil(int64_t y, unsigned m, unsigned d) {
    int64_t r;
    if (__builtin_mul_overflow((int64_t)kl_days_from_civil(y, m, d), KL_US_PER_DAY, &r))
        return y < 0 ? INT64_MIN : INT64_MAX;
    return r;
}

/* Truncate ts to part p; false when the part cannot truncate. */
static bool dt_trunc(dt_part p, int64_t ts, int64_t *out) {
    dt_fields f;
    switch (p) {
    case DP_MICROSECONDS: *out = ts; return true;
    case DP_MILLISECONDS: return dt_floor_to(ts, 1000, out);
    case DP_SECOND: return dt_floor_to(ts, KL_US_PER_SEC, out);
    case DP_MINUTE: return dt_floor_to(ts, KL_US_PER_MIN, out);
    case DP_HOUR: return dt_floor_to(ts, KL_US_PER_HOUR, out);
    case DP_DAY:
    case DP_DOW:
    case DP_ISODOW:
    case DP_DOY:
    case DP_JULIAN:
    case DP_EPOCH: return dt_floor_to(ts, KL_US_PER_DAY, out);
    default: break;
    }
    dt_split(ts, &f);
    if (f.days < -106000000) return false; /* truncation would leave the TIMESTAMP range */
    switch (p) {
    case DP_WEEK:
    case DP_YEARWEEK:
        *out = ((int64_t)f.days - (dt_isodow(f.days) - 1)) * KL_US_PER_DAY;
        return true;
    case DP_ISOYEAR: {
        /* Monday of ISO week 1: go back (week - 1) weeks from this week's Monday */
        int64_t iy;
        int w;
        dt_iso_week(f.days, &iy, &w);
        *out = ((int64_t)f.days - (dt_isodow(f.days) - 1) - (int64_t)(w - 1) * 7) * KL_US_PER_DAY;
        return true;
    }
    case DP_MONTH: *out = dt_from_civil(f.year, f.month, 1); return true;
    case DP_QUARTER: *out = dt_from_civil(f.year, (f.month - 1) / 3 * 3 + 1, 1); return true;
    case DP_YEAR: *out = dt_from_civil(f.year, 1, 1); return true;
    case DP_DECADE: *out = dt_from_civil(f.year / 10 * 10, 1, 1); return true;
    case DP_CENTURY: *out = dt_from_civil(f.year / 100 * 100, 1, 1); return true;
    case DP_MILLENNIUM: *out = dt_from_civil(f.year / 1000 * 1000, 1, 1); return true;
    default: return false;
    }
}

static int dt_bind_date_trunc(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                              kl_error *err) {
    KL_UNUSED(ctx);
    if ((arg_types[0] != KILN_TYPE_VARCHAR && arg_types[0] != KILN_TYPE_NULL) ||
        arg_types[1] == KILN_TYPE_INTERVAL || dt_bind_time_arg(&arg_types[1]) != 0)
        return fn_no_overload(err, "date_trunc", arg_types, n_args);
    arg_types[0] = KILN_TYPE_VARCHAR;
    *ret = KILN_TYPE_TIMESTAMP; /* also for DATE input, as DuckDB 1.5 */
    return 0;
}

static int dt_date_trunc(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                         kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL || args[1]->type == KILN_TYPE_NULL) return 0;
    dt_part_cache cache = {{NULL, 0}, DP_INVALID, false};
    const int64_t *x = VEC_I64(args[1]);
    int64_t *o = VEC_I64(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        dt_part p;
        TRY(dt_part_at(&cache, args[0], i, &p, err));
        if (!dt_trunc(p, x[i], &o[i])) {
            if (p == DP_ERA) return dt_part_unsupported(err, "date_trunc", p);
            return kl_err(err, KILN_ERR_OVERFLOW, "date_trunc: timestamp out of range");
        }
    }
    return 0;
}

/* ---- time_bucket --------------------------------------------------------------------------- */

/* Months since 1970-01 of a timestamp (its day and time do not count). */
static int64_t dt_epoch_months(int64_t ts) {
    dt_fields f;
    dt_split(ts, &f);
    return (f.year - 1970) * 12 + (int64_t)f.month - 1;
}

static int dt_bind_time_bucket(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                               kl_error *err) {
    KL_UNUSED(ctx);
    kl_type in = arg_types[1];
    bool ok = (arg_types[0] == KILN_TYPE_INTERVAL || arg_types[0] == KILN_TYPE_VARCHAR ||
               arg_types[0] == KILN_TYPE_NULL) &&
              (in == KILN_TYPE_DATE || in == KILN_TYPE_TIMESTAMP || in == KILN_TYPE_VARCHAR ||
               in == KILN_TYPE_NULL);
    bool date_out = in == KILN_TYPE_DATE;
    if (ok && n_args == 3) {
        kl_type o = arg_types[2];
        if (o == KILN_TYPE_TIMESTAMP) date_out = false;
        else if (o != KILN_TYPE_INTERVAL && o != KILN_TYPE_DATE && o != KILN_TYPE_NULL) ok = false;
        if (o == KILN_TYPE_DATE || o == KILN_TYPE_NULL) arg_types[2] = KILN_TYPE_TIMESTAMP;
    }
    if (!ok) return fn_no_overload(err, "time_bucket", arg_types, n_args);
    arg_types[0] = KILN_TYPE_INTERVAL;
    arg_types[1] = KILN_TYPE_TIMESTAMP;
    *ret = date_out ? KILN_TYPE_DATE : KILN_TYPE_TIMESTAMP;
    return 0;
}

/* Bucket start for ts; origin is a timestamp (origin_set) or the default for the width. */
static int dt_bucket(kl_interval w, int64_t ts, bool origin_set, int64_t origin, int64_t *out,
                     kl_error *err) {
    if (w.months != 0) {
        if (w.days != 0 || w.micros != 0)
            return kl_err(err, KILN_ERR_INVALID, "Month intervals cannot have day or time component");
        if (w.months < 0) return kl_err(err, KILN_ERR_INVALID, "Period must be greater than 0");
        int64_t om = origin_set ? dt_epoch_months(origin) : DT_ORIGIN_MONTHS;
        int64_t tm = dt_epoch_months(ts);
        int64_t rm = dt_floordiv(tm - om, w.months) * w.months + om;
        int64_t y = dt_floordiv(rm, 12) + 1970;
        *out = dt_from_civil(y, (unsigned)dt_floormod(rm, 12) + 1, 1);
        return 0;
    }
    int64_t width;
    if (__builtin_mul_overflow((int64_t)w.days, KL_US_PER_DAY, &width) ||
        __builtin_add_overflow(width, w.micros, &width))
        return kl_err(err, KILN_ERR_OVERFLOW, "time_bucket: bucket width out of range");
    if (width <= 0) return kl_err(err, KILN_ERR_INVALID, "Period must be greater than 0");
    int64_t o = dt_floormod(origin_set ? origin : DT_ORIGIN_MICROS, width);
    int64_t d;
    if (__builtin_sub_overflow(ts, o, &d))
        return kl_err(err, KILN_ERR_OVERFLOW, "time_bucket: timestamp out of range");
    if (!dt_floor_to(d, width, out) || __builtin_add_overflow(*out, o, out))
        return kl_err(err, KILN_ERR_OVERFLOW, "time_bucket: timestamp out of range");
    return 0;
}

static int dt_time_bucket(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                          kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    for (int a = 0; a < n_args; a++)
        if (args[a]->type == KILN_TYPE_NULL) return 0;
    const kl_interval *w = VEC_IV(args[0]);
    const int64_t *x = VEC_I64(args[1]);
    bool offset = n_args == 3 && args[2]->type == KILN_TYPE_INTERVAL;
    bool origin = n_args == 3 && !offset;
    bool date_out = out->type == KILN_TYPE_DATE;
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        int64_t ts = x[i], r;
        if (offset) {
            kl_interval off = VEC_IV(args[2])[i], neg = {-off.months, -off.days, -off.micros};
            if (off.months == INT32_MIN || off.days == INT32_MIN || off.micros == INT64_MIN ||
                !fn_ts_add_interval(ts, neg, &ts))
                return kl_err(err, KILN_ERR_OVERFLOW, "time_bucket: timestamp out of range");
            TRY(dt_bucket(w[i], ts, false, 0, &r, err));
            if (!fn_ts_add_interval(r, off, &r))
                return kl_err(err, KILN_ERR_OVERFLOW, "time_bucket: timestamp out of range");
        } else {
            TRY(dt_bucket(w[i], ts, origin, origin ? VEC_I64(args[2])[i] : 0, &r, err));
        }
        if (date_out) VEC_I32(out)[i] = (int32_t)dt_floordiv(r, KL_US_PER_DAY);
        else VEC_I64(out)[i] = r;
    }
    return 0;
}

/* ---- date_diff / date_sub / age --------------------------------------------------------- */

/* DuckDB's Interval::GetAge(t1, t2): field-wise difference t1 - t2 with borrowing, months
   borrowing the length of the month of the later timestamp's year/month fields. */
static kl_interval dt_age(int64_t t1, int64_t t2) {
    dt_fields a, b;
    dt_split(t1, &a);
    dt_split(t2, &b);
    int64_t yd = a.year - b.year, md = (int64_t)a.month - b.month, dd = (int64_t)a.day - b.day;
    int64_t ud = a.tod - b.tod; /* hours/minutes/seconds/micros borrow as one time of day */
    bool flipped = t1 < t2;
    if (flipped) {
        yd = -yd;
        md = -md;
        dd = -dd;
        ud = -ud;
    }
    if (ud < 0) {
        ud += KL_US_PER_DAY;
        dd--;
    }
    while (dd < 0) {
        dd += flipped ? dt_month_days(a.year, a.month) : dt_month_days(b.year, b.month);
        md--;
    }
    while (md < 0) {
        md += 12;
        yd--;
    }
    if (flipped) {
        yd = -yd;
        md = -md;
        dd = -dd;
        ud = -ud;
    }
    return (kl_interval){(int32_t)(yd * 12 + md), (int32_t)dd, ud};
}

/* Whole months from start to end (DuckDB's DateSub::MonthOperator). */
static int64_t dt_sub_months(int64_t start, int64_t end) {
    if (start > end) return -dt_sub_months(end, start);
    dt_fields e, s;
    dt_split(end, &e);
    unsigned end_days = dt_month_days(e.year, e.month);
    if (e.day == end_days) {
        /* end on the last day of its month: a start day beyond it counts as that last day */
        dt_split(start, &s);
        if (s.day > end_days || (s.day == end_days && s.tod < e.tod))
            start = dt_from_civil(s.year, s.month, end_days) + s.tod;
    }
    return dt_age(end, start).months;
}

static bool dt_sub(dt_part p, int64_t s, int64_t e, int64_t *out) {
    int64_t d;
    if (__builtin_sub_overflow(e, s, &d)) return false;
    switch (p) {
    case DP_YEAR: *out = dt_sub_months(s, e) / 12; return true;
    case DP_MONTH: *out = dt_sub_months(s, e); return true;
    case DP_QUARTER: *out = dt_sub_months(s, e) / 3; return true;
    case DP_DECADE: *out = dt_sub_months(s, e) / 120; return true;
    case DP_CENTURY: *out = dt_sub_months(s, e) / 1200; return true;
    case DP_MILLENNIUM: *out = dt_sub_months(s, e) / 12000; return true;
    case DP_DAY:
    case DP_DOW:
    case DP_ISODOW:
    case DP_DOY:
    case DP_JULIAN: *out = d / KL_US_PER_DAY; return true;
    case DP_WEEK:
    case DP_YEARWEEK: *out = d / (7 * KL_US_PER_DAY); return true;
    case DP_HOUR: *out = d / KL_US_PER_HOUR; return true;
    case DP_MINUTE: *out = d / KL_US_PER_MIN; return true;
    case DP_SECOND:
    case DP_EPOCH: *out = d / KL_US_PER_SEC; return true;
    case DP_MILLISECONDS: *out = d / 1000; return true;
    case DP_MICROSECONDS: *out = d; return true;
    default: return false;
    }
}

static bool dt_diff(dt_part p, int64_t s, int64_t e, int64_t *out) {
    dt_fields a, b;
    dt_split(s, &a);
    dt_split(e, &b);
    switch (p) {
    case DP_YEAR: *out = b.year - a.year; return true;
    case DP_MONTH: *out = (b.year * 12 + b.month) - (a.year * 12 + a.month); return true;
    case DP_QUARTER:
        *out = (b.year - a.year) * 4 + (int64_t)(b.month - 1) / 3 - (int64_t)(a.month - 1) / 3;
        return true;
    case DP_DECADE: *out = b.year / 10 - a.year / 10; return true;
    case DP_CENTURY: *out = b.year / 100 - a.year / 100; return true;
    case DP_MILLENNIUM: *out = b.year / 1000 - a.year / 1000; return true;
    case DP_DAY:
    case DP_DOW:
    case DP_ISODOW:
    case DP_DOY:
    case DP_JULIAN: *out = (int64_t)b.days - a.days; return true;
    case DP_WEEK: /* DuckDB 1.5: whole weeks between the dates, not week boundaries */
    case DP_YEARWEEK: *out = ((int64_t)b.days - a.days) / 7; return true;
    case DP_ISOYEAR: {
        int64_t ya, yb;
        int w;
        dt_iso_week(a.days, &ya, &w);
        dt_iso_week(b.days, &yb, &w);
        *out = yb - ya;
        return true;
    }
    /* sub-day parts: boundaries crossed, so floor (1969-12-31 23:30 to 00:30 is 1 hour) */
    case DP_HOUR: *out = dt_floordiv(e, KL_US_PER_HOUR) - dt_floordiv(s, KL_US_PER_HOUR); return true;
    case DP_MINUTE: *out = dt_floordiv(e, KL_US_PER_MIN) - dt_floordiv(s, KL_US_PER_MIN); return true;
    case DP_SECOND:
    case DP_EPOCH: *out = dt_floordiv(e, KL_US_PER_SEC) - dt_floordiv(s, KL_US_PER_SEC); return true;
    case DP_MILLISECONDS: *out = dt_floordiv(e, 1000) - dt_floordiv(s, 1000); return true;
    case DP_MICROSECONDS: return !__builtin_sub_overflow(e, s, out);
    default: return false;
    }
}

static int dt_bind_diff(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                        kl_error *err) {
    KL_UNUSED(ctx);
    if ((arg_types[0] != KILN_TYPE_VARCHAR && arg_types[0] != KILN_TYPE_NULL) ||
        arg_types[1] == KILN_TYPE_INTERVAL || arg_types[2] == KILN_TYPE_INTERVAL ||
        dt_bind_time_arg(&arg_types[1]) != 0 || dt_bind_time_arg(&arg_types[2]) != 0)
        return fn_no_overload(err, "date_diff", arg_types, n_args);
    arg_types[0] = KILN_TYPE_VARCHAR;
    *ret = KILN_TYPE_BIGINT;
    return 0;
}

static int dt_diff_rows(const char *fn, bool (*op)(dt_part, int64_t, int64_t, int64_t *),
                        kl_vec **args, int n_args, uint32_t n, kl_vec *out, kl_error *err) {
    fn_propagate_nulls(out, args, n_args, n);
    for (int a = 0; a < n_args; a++)
        if (args[a]->type == KILN_TYPE_NULL) return 0;
    dt_part_cache cache = {{NULL, 0}, DP_INVALID, false};
    const int64_t *s = VEC_I64(args[1]), *e = VEC_I64(args[2]);
    int64_t *o = VEC_I64(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        dt_part p;
        TRY(dt_part_at(&cache, args[0], i, &p, err));
        if (!op(p, s[i], e[i], &o[i])) return dt_part_unsupported(err, fn, p);
    }
    return 0;
}

static int dt_date_diff(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                        kl_error *err) {
    KL_UNUSED(ctx);
    return dt_diff_rows("date_diff", dt_diff, args, n_args, n, out, err);
}

static int dt_date_sub(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(ctx);
    return dt_diff_rows("date_sub", dt_sub, args, n_args, n, out, err);
}

static int dt_bind_age(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                       kl_error *err) {
    KL_UNUSED(ctx);
    for (int a = 0; a < n_args; a++)
        if (arg_types[a] == KILN_TYPE_INTERVAL || dt_bind_time_arg(&arg_types[a]) != 0)
            return fn_no_overload(err, "age", arg_types, n_args);
    *ret = KILN_TYPE_INTERVAL;
    return 0;
}

static int dt_age_fn(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                     kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(err);
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL || args[1]->type == KILN_TYPE_NULL) return 0;
    const int64_t *a = VEC_I64(args[0]), *b = VEC_I64(args[1]);
    kl_interval *o = VEC_IV(out);
    for (uint32_t i = 0; i < n; i++)
        if (!out->nulls[i]) o[i] = dt_age(a[i], b[i]);
    return 0;
}

/* date_add(DATE|TIMESTAMP, INTERVAL) -> TIMESTAMP (the + operator's semantics). */
static int dt_bind_date_add(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                            kl_error *err) {
    KL_UNUSED(ctx);
    if (arg_types[0] == KILN_TYPE_INTERVAL || dt_bind_time_arg(&arg_types[0]) != 0 ||
        (arg_types[1] != KILN_TYPE_INTERVAL && arg_types[1] != KILN_TYPE_VARCHAR &&
         arg_types[1] != KILN_TYPE_NULL))
        return fn_no_overload(err, "date_add", arg_types, n_args);
    arg_types[1] = KILN_TYPE_INTERVAL;
    *ret = KILN_TYPE_TIMESTAMP;
    return 0;
}

static int dt_date_add(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL || args[1]->type == KILN_TYPE_NULL) return 0;
    const int64_t *t = VEC_I64(args[0]);
    const kl_interval *v = VEC_IV(args[1]);
    int64_t *o = VEC_I64(out);
    for (uint32_t i = 0; i < n; i++)
        if (!out->nulls[i] && !fn_ts_add_interval(t[i], v[i], &o[i]))
            return kl_err(err, KILN_ERR_OVERFLOW, "Timestamp out of range in date_add");
    return 0;
}

/* ---- strftime ------------------------------------------------------------------------------ */

/* A compiled format: literal text and specifiers, e.g. "%Y-%m" -> Y, "-", m. */
typedef struct dt_fmt_item {
    char spec;    /* 0 = literal */
    bool no_pad;  /* %-d */
    uint16_t off; /* literal: offset and length into the format text */
    uint16_t len;
} dt_fmt_item;

#define DT_FMT_MAX 128

typedef struct dt_fmt {
    kl_str text; /* the format as given (points into the argument vector) */
    char lit[512];
    int n;
    dt_fmt_item items[DT_FMT_MAX];
} dt_fmt;

static bool dt_fmt_spec_known(char c, bool no_pad) {
    const char *all = no_pad ? "dmyHIMSj" : "aAwudbhBmyYHIpMSfgnzZjUWVGcxX";
    return c && strchr(all, c) != NULL;
}

static int dt_fmt_fail(const kl_str *f, const char *why, kl_error *err) {
    int show = f->len > 200 ? 200 : (int)f->len;
    return kl_err(err, KILN_ERR_INVALID,
                  "Failed to parse format specifier %.*s: %s", show, f->ptr ? f->ptr : "", why);
}

/* Compile the format text; literal bytes are copied so the items never point at row data. */
static int dt_fmt_compile(dt_fmt *f, kl_str s, kl_error *err) {
    f->text = s;
    f->n = 0;
    size_t lit = 0;
    for (uint32_t i = 0; i < s.len;) {
        if (f->n >= DT_FMT_MAX) return dt_fmt_fail(&s, "format string too long", err);
        dt_fmt_item *it = &f->items[f->n];
        if (s.ptr[i] != '%') {
            uint32_t j = i;
            while (j < s.len && s.ptr[j] != '%') j++;
            if (lit + (j - i) > sizeof f->lit) return dt_fmt_fail(&s, "format string too long", err);
            memcpy(f->lit + lit, s.ptr + i, j - i);
            *it = (dt_fmt_item){0, false, (uint16_t)lit, (uint16_t)(j - i)};
            lit += j - i;
            f->n++;
            i = j;
            continue;
        }
        if (i + 1 >= s.len) return dt_fmt_fail(&s, "Trailing format character %", err);
        char c = s.ptr[i + 1];
        if (c == '%') {
            if (lit + 1 > sizeof f->lit) return dt_fmt_fail(&s, "format string too long", err);
            f->lit[lit] = '%';
            *it = (dt_fmt_item){0, false, (uint16_t)lit, 1};
            lit++;
            f->n++;
            i += 2;
            continue;
        }
        bool no_pad = c == '-';
        if (no_pad) c = i + 2 < s.len ? s.ptr[i + 2] : 0;
        if (!dt_fmt_spec_known(c, no_pad)) {
            char why[96];
            snprintf(why, sizeof why, "Unrecognized format for strftime/strptime: %%%s%c",
                     no_pad ? "-" : "", c ? c : ' ');
            return dt_fmt_fail(&s, why, err);
        }
        *it = (dt_fmt_item){c, no_pad, 0, 0};
        f->n++;
        i += no_pad ? 3 : 2;
    }
    return 0;
}

/* The compiled format for row i of v, recompiled only when the text changes. */
static int dt_fmt_at(dt_fmt *f, bool *have, const kl_vec *v, uint32_t i, kl_error *err) {
    kl_str s = VEC_STR(v)[i];
    if (*have && s.len == f->text.len && (s.len == 0 || memcmp(s.ptr, f->text.ptr, s.len) == 0))
        return 0;
    *have = false;
    TRY(dt_fmt_compile(f, s, err));
    *have = true;
    return 0;
}

static size_t dt_put_num(char *b, int64_t v, int width, bool no_pad) {
    int k = no_pad ? snprintf(b, 32, "%lld", (long long)v)
                   : snprintf(b, 32, "%0*lld", width, (long long)v);
    return k > 0 ? (size_t)k : 0;
}

/* Format ts with f into b (room: 64 bytes per item). */
static size_t dt_strftime(const dt_fmt *f, int64_t ts, char *b) {
    dt_fields t;
    dt_split(ts, &t);
    int64_t frac = t.tod % KL_US_PER_SEC;
    int hour = (int)(t.tod / KL_US_PER_HOUR), minute = (int)(t.tod / KL_US_PER_MIN % 60);
    int sec = (int)(t.tod / KL_US_PER_SEC % 60);
    int isodow = dt_isodow(t.days), wday = isodow % 7, yday = dt_doy(t.days, t.year) - 1;
    size_t w = 0;
    for (int k = 0; k < f->n; k++) {
        const dt_fmt_item *it = &f->items[k];
        bool np = it->no_pad;
        switch (it->spec) {
        case 0:
            memcpy(b + w, f->lit + it->off, it->len);
            w += it->len;
            break;
        case 'a': memcpy(b + w, dt_day_names[wday], 3); w += 3; break;
        case 'A': w += (size_t)sprintf(b + w, "%s", dt_day_names[wday]); break;
        case 'w': w += dt_put_num(b + w, wday, 1, true); break;
        case 'u': w += dt_put_num(b + w, isodow, 1, true); break;
        case 'd': w += dt_put_num(b + w, t.day, 2, np); break;
        case 'b':
        case 'h': memcpy(b + w, dt_month_names[t.month - 1], 3); w += 3; break;
        case 'B': w += (size_t)sprintf(b + w, "%s", dt_month_names[t.month - 1]); break;
        case 'm': w += dt_put_num(b + w, t.month, 2, np); break;
        case 'y': w += dt_put_num(b + w, (t.year % 100 + 100) % 100, 2, np); break;
        case 'Y': w += dt_put_num(b + w, t.year, 4, false); break;
        case 'H': w += dt_put_num(b + w, hour, 2, np); break;
        case 'I': w += dt_put_num(b + w, hour % 12 == 0 ? 12 : hour % 12, 2, np); break;
        case 'p': memcpy(b + w, hour < 12 ? "AM" : "PM", 2); w += 2; break;
        case 'M': w += dt_put_num(b + w, minute, 2, np); break;
        case 'S': w += dt_put_num(b + w, sec, 2, np); break;
        case 'f': w += dt_put_num(b + w, frac, 6, false); break;
        case 'g': w += dt_put_num(b + w, frac / 1000, 3, false); break;
        case 'n': w += dt_put_num(b + w, frac * 1000, 9, false); break;
        case 'z': memcpy(b + w, "+00", 3); w += 3; break; /* kiln timestamps are UTC */
        case 'Z': break;
        case 'j': w += dt_put_num(b + w, yday + 1, 3, np); break;
        case 'U': w += dt_put_num(b + w, (yday + 7 - wday) / 7, 2, false); break;
        case 'W': w += dt_put_num(b + w, (yday + 7 - (wday + 6) % 7) / 7, 2, false); break;
        case 'V':
        case 'G': {
            int64_t iy;
            int wk;
            dt_iso_week(t.days, &iy, &wk);
            w += it->spec == 'V' ? dt_put_num(b + w, wk, 2, false) : dt_put_num(b + w, iy, 4, false);
            break;
        }
        case 'c': w += kl_format_timestamp(ts - frac, b + w); break;
        case 'x': w += kl_format_date(t.days, b + w); break;
        case 'X':
            w += (size_t)sprintf(b + w, "%02d:%02d:%02d", hour, minute, sec);
            break;
        default: break;
        }
    }
    return w;
}

static int dt_bind_strftime(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                            kl_error *err) {
    /* strftime(ts, fmt) or DuckDB's strftime(fmt, ts); bind_data marks the swapped order */
    bool swapped = arg_types[0] == KILN_TYPE_VARCHAR &&
                   (arg_types[1] == KILN_TYPE_DATE || arg_types[1] == KILN_TYPE_TIMESTAMP);
    int t = swapped ? 1 : 0, f = swapped ? 0 : 1;
    if (arg_types[t] == KILN_TYPE_INTERVAL || dt_bind_time_arg(&arg_types[t]) != 0 ||
        (arg_types[f] != KILN_TYPE_VARCHAR && arg_types[f] != KILN_TYPE_NULL))
        return fn_no_overload(err, "strftime", arg_types, n_args);
    arg_types[f] = KILN_TYPE_VARCHAR;
    ctx->bind_data = swapped ? (void *)ctx : NULL; /* a non-NULL marker, never dereferenced */
    *ret = KILN_TYPE_VARCHAR;
    return 0;
}

static int dt_strftime_fn(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                          kl_error *err) {
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL || args[1]->type == KILN_TYPE_NULL) return 0;
    const kl_vec *tv = ctx->bind_data ? args[1] : args[0], *fv = ctx->bind_data ? args[0] : args[1];
    dt_fmt *f = kl_malloc(sizeof *f);
    if (!f) return kl_err(err, KILN_ERR_MEMORY, "out of memory in strftime");
    bool have = false;
    int rc = 0;
    char *buf = NULL;
    size_t cap = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        if (out->nulls[i]) continue;
        rc = dt_fmt_at(f, &have, fv, i, err);
        if (rc) break;
        size_t need = (size_t)f->n * 64 + 1;
        if (need > cap) {
            char *nb = kl_realloc(buf, need);
            if (!nb) {
                rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in strftime");
                break;
            }
            buf = nb;
            cap = need;
        }
        size_t len = dt_strftime(f, VEC_I64(tv)[i], buf);
        if (vec_set_string(out, i, buf, len) != 0)
            rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in strftime");
    }
    kl_free(buf);
    kl_free(f);
    return rc;
}

/* ---- strptime ------------------------------------------------------------------------------ */

static bool dt_is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool dt_is_digit(char c) { return c >= '0' && c <= '9'; }

/* Read 1..max digits; *ndig receives how many were read. */
static bool dt_read_num(const char *s, size_t len, size_t *pos, int max, int64_t *out, int *ndig) {
    int64_t v = 0;
    int k = 0;
    while (*pos < len && k < max && dt_is_digit(s[*pos])) {
        v = v * 10 + (s[*pos] - '0');
        (*pos)++;
        k++;
    }
    *out = v;
    if (ndig) *ndig = k;
    return k > 0;
}

/* Match one of names (full or 3-letter abbreviation, case-insensitive); index or -1. */
static int dt_read_name(const char *s, size_t len, size_t *pos, const char *const *names, int n) {
    for (int full = 1; full >= 0; full--)
        for (int k = 0; k < n; k++) {
            size_t nl = full ? strlen(names[k]) : 3;
            if (*pos + nl > len) continue;
            if (strncasecmp(s + *pos, names[k], nl) == 0) {
                *pos += nl;
                return k;
            }
        }
    return -1;
}

static bool dt_is_numeric_spec(char c) { return c && strchr("dmyYHIMSfgnjwu", c) != NULL; }

/* Parse s with f into a timestamp; false if it does not match. */
static bool dt_strptime(const dt_fmt *f, const char *s, size_t len, int64_t *out) {
    int64_t year = 1900, month = 1, day = 1, hour = 0, minute = 0, sec = 0, micros = 0;
    int64_t doy = -1, offset_us = 0;
    int pm = -1; /* -1 none, 0 AM, 1 PM */
    bool year_set = false;
    size_t pos = 0;
    while (pos < len && dt_is_space(s[pos])) pos++;
    for (int k = 0; k < f->n; k++) {
        const dt_fmt_item *it = &f->items[k];
        if (it->spec == 0) {
            for (uint16_t j = 0; j < it->len; j++) {
                char c = f->lit[it->off + j];
                if (dt_is_space(c)) { /* whitespace matches any run of whitespace */
                    while (pos < len && dt_is_space(s[pos])) pos++;
                    continue;
                }
                if (pos >= len || s[pos] != c) return false;
                pos++;
            }
            continue;
        }
        int64_t v;
        int nd;
        /* a %Y directly followed by another number field reads 4 digits only */
        bool next_numeric = k + 1 < f->n && dt_is_numeric_spec(f->items[k + 1].spec);
        switch (it->spec) {
        case 'Y':
            if (!dt_read_num(s, len, &pos, next_numeric ? 4 : 9, &year, NULL)) return false;
            year_set = true;
            break;
        case 'y':
            if (!dt_read_num(s, len, &pos, 2, &v, NULL)) return false;
            year = v >= 69 ? 1900 + v : 2000 + v;
            year_set = true;
            break;
        case 'm': if (!dt_read_num(s, len, &pos, 2, &month, NULL)) return false; break;
        case 'd': if (!dt_read_num(s, len, &pos, 2, &day, NULL)) return false; break;
        case 'H':
        case 'I': if (!dt_read_num(s, len, &pos, 2, &hour, NULL)) return false; break;
        case 'M': if (!dt_read_num(s, len, &pos, 2, &minute, NULL)) return false; break;
        case 'S': if (!dt_read_num(s, len, &pos, 2, &sec, NULL)) return false; break;
        case 'j': if (!dt_read_num(s, len, &pos, 3, &doy, NULL)) return false; break;
        case 'f':
        case 'g':
        case 'n': {
            int max = it->spec == 'g' ? 3 : it->spec == 'f' ? 6 : 9;
            if (!dt_read_num(s, len, &pos, max, &v, &nd)) return false;
            for (; nd < 6; nd++) v *= 10; /* '.5' is half a second */
            for (; nd > 6; nd--) v /= 10;
            micros = v;
            break;
        }
        case 'p':
            if (pos + 2 > len) return false;
            if (strncasecmp(s + pos, "AM", 2) == 0) pm = 0;
            else if (strncasecmp(s + pos, "PM", 2) == 0) pm = 1;
            else return false;
            pos += 2;
            break;
        case 'b':
        case 'h':
        case 'B': {
            int m = dt_read_name(s, len, &pos, dt_month_names, 12);
            if (m < 0) return false;
            month = m + 1;
            break;
        }
        case 'a':
        case 'A':
            if (dt_read_name(s, len, &pos, dt_day_names, 7) < 0) return false;
            break;
        case 'w':
        case 'u':
            if (!dt_read_num(s, len, &pos, 1, &v, NULL)) return false;
            break;
        case 'z': {
            if (pos < len && (s[pos] == 'Z' || s[pos] == 'z')) {
                pos++;
                break;
            }
            if (pos >= len || (s[pos] != '+' && s[pos] != '-')) return false;
            bool neg = s[pos++] == '-';
            int64_t oh, om = 0;
            if (!dt_read_num(s, len, &pos, 2, &oh, NULL)) return false;
            if (pos < len && s[pos] == ':') pos++;
            if (pos < len && dt_is_digit(s[pos]) && !dt_read_num(s, len, &pos, 2, &om, NULL))
                return false;
            offset_us = (oh * 3600 + om * 60) * KL_US_PER_SEC * (neg ? -1 : 1);
            break;
        }
        case 'Z':
            while (pos < len && !dt_is_space(s[pos])) pos++;
            break;
        default: return false; /* %U %W %V %G %c %x %X: formatting only */
        }
    }
    while (pos < len && dt_is_space(s[pos])) pos++;
    if (pos != len) return false;
    if (pm >= 0) {
        if (hour < 1 || hour > 12) return false;
        hour = hour % 12 + (pm ? 12 : 0);
    }
    if (hour > 23 || minute > 59 || sec > 59) return false;
    int64_t days;
    if (doy >= 0) {
        if (doy < 1 || doy > (dt_is_leap(year) ? 366 : 365)) return false;
        days = kl_days_from_civil(year, 1, 1) + doy - 1;
    } else {
        if (month < 1 || month > 12 || day < 1 || day > dt_month_days(year, (unsigned)month))
            return false;
        days = kl_days_from_civil(year, (unsigned)month, (unsigned)day);
    }
    KL_UNUSED(year_set);
    if (year > 294000) return false;
    *out = days * KL_US_PER_DAY + ((hour * 60 + minute) * 60 + sec) * KL_US_PER_SEC + micros -
           offset_us;
    return true;
}

static int dt_bind_strptime(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                            kl_error *err) {
    KL_UNUSED(ctx);
    for (int a = 0; a < n_args; a++) {
        if (arg_types[a] != KILN_TYPE_VARCHAR && arg_types[a] != KILN_TYPE_NULL)
            return fn_no_overload(err, "strptime", arg_types, n_args);
        arg_types[a] = KILN_TYPE_VARCHAR;
    }
    *ret = KILN_TYPE_TIMESTAMP;
    return 0;
}

static int dt_strptime_rows(kl_vec **args, int n_args, uint32_t n, kl_vec *out, bool try_mode,
                            kl_error *err) {
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL || args[1]->type == KILN_TYPE_NULL) return 0;
    dt_fmt *f = kl_malloc(sizeof *f);
    if (!f) return kl_err(err, KILN_ERR_MEMORY, "out of memory in strptime");
    bool have = false;
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        if (out->nulls[i]) continue;
        rc = dt_fmt_at(f, &have, args[1], i, err);
        if (rc) break;
        kl_str s = VEC_STR(args[0])[i];
        if (dt_strptime(f, s.ptr ? s.ptr : "", s.len, &VEC_I64(out)[i])) continue;
        if (try_mode) {
            vec_set_null(out, i);
            continue;
        }
        int show = s.len > 200 ? 200 : (int)s.len;
        int fshow = f->text.len > 200 ? 200 : (int)f->text.len;
        rc = kl_err(err, KILN_ERR_CONVERSION,
                    "Could not parse string \"%.*s\" according to format specifier \"%.*s\"", show,
                    s.ptr ? s.ptr : "", fshow, f->text.ptr ? f->text.ptr : "");
    }
    kl_free(f);
    return rc;
}

static int dt_strptime_fn(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                          kl_error *err) {
    KL_UNUSED(ctx);
    return dt_strptime_rows(args, n_args, n, out, false, err);
}

static int dt_try_strptime(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                           kl_error *err) {
    KL_UNUSED(ctx);
    return dt_strptime_rows(args, n_args, n, out, true, err);
}

/* ---- constructors and conversions ------------------------------------------------------ */

/* Every argument to `want` (numbers and NULL only). */
static int dt_bind_numbers(const char *name, kl_type *arg_types, int n_args, kl_type want,
                           kl_error *err) {
    for (int a = 0; a < n_args; a++) {
        if (!fn_is_numeric(arg_types[a]) && arg_types[a] != KILN_TYPE_NULL)
            return fn_no_overload(err, name, arg_types, n_args);
        arg_types[a] = want;
    }
    return 0;
}

static int dt_bind_make_date(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                             kl_error *err) {
    KL_UNUSED(ctx);
    TRY(dt_bind_numbers("make_date", arg_types, n_args, KILN_TYPE_BIGINT, err));
    *ret = KILN_TYPE_DATE;
    return 0;
}

static int dt_date_out_of_range(kl_error *err, int64_t y, int64_t m, int64_t d) {
    return kl_err(err, KILN_ERR_CONVERSION, "Date out of range: %lld-%lld-%lld", (long long)y,
                  (long long)m, (long long)d);
}

static int dt_make_date(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                        kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    for (int a = 0; a < n_args; a++)
        if (args[a]->type == KILN_TYPE_NULL) return 0;
    const int64_t *y = VEC_I64(args[0]), *m = VEC_I64(args[1]), *d = VEC_I64(args[2]);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        if (y[i] < -290000 || y[i] > 290000 || m[i] < 1 || m[i] > 12 || d[i] < 1 ||
            d[i] > dt_month_days(y[i], (unsigned)m[i]))
            return dt_date_out_of_range(err, y[i], m[i], d[i]);
        VEC_I32(out)[i] = kl_days_from_civil(y[i], (unsigned)m[i], (unsigned)d[i]);
    }
    return 0;
}

/* make_timestamp(y, m, d, h, mi, s DOUBLE) or make_timestamp(micros BIGINT). */
static int dt_bind_make_timestamp(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                                  kl_error *err) {
    KL_UNUSED(ctx);
    if (n_args != 1 && n_args != 6) return fn_no_overload(err, "make_timestamp", arg_types, n_args);
    TRY(dt_bind_numbers("make_timestamp", arg_types, n_args, KILN_TYPE_BIGINT, err));
    if (n_args == 6) arg_types[5] = KILN_TYPE_DOUBLE;
    *ret = KILN_TYPE_TIMESTAMP;
    return 0;
}

static int dt_make_timestamp(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                             kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    for (int a = 0; a < n_args; a++)
        if (args[a]->type == KILN_TYPE_NULL) return 0;
    if (n_args == 1) {
        memcpy(out->data, args[0]->data, (size_t)n * sizeof(int64_t));
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        int64_t y = VEC_I64(args[0])[i], m = VEC_I64(args[1])[i], d = VEC_I64(args[2])[i];
        int64_t h = VEC_I64(args[3])[i], mi = VEC_I64(args[4])[i];
        double s = VEC_F64(args[5])[i];
        if (y < -290000 || y > 290000 || m < 1 || m > 12 || d < 1 ||
            d > dt_month_days(y, (unsigned)m))
            return dt_date_out_of_range(err, y, m, d);
        if (h < 0 || h > 24 || mi < 0 || mi > 59 || !(s >= 0.0 && s < 60.0))
            return kl_err(err, KILN_ERR_CONVERSION, "Time out of range: %lld:%lld:%g",
                          (long long)h, (long long)mi, s);
        int64_t us = llround(s * 1e6);
        VEC_I64(out)[i] = dt_from_civil(y, (unsigned)m, (unsigned)d) +
                          (h * 3600 + mi * 60) * KL_US_PER_SEC + us;
    }
    return 0;
}

/* last_day, dayname, monthname: one DATE/TIMESTAMP argument (as TIMESTAMP). */
static int dt_bind_last_day(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                            kl_error *err) {
    KL_UNUSED(ctx);
    if (arg_types[0] == KILN_TYPE_INTERVAL || dt_bind_time_arg(&arg_types[0]) != 0)
        return fn_no_overload(err, "last_day", arg_types, n_args);
    *ret = KILN_TYPE_DATE;
    return 0;
}

static int dt_last_day(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(err);
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL) return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        dt_fields f;
        dt_split(VEC_I64(args[0])[i], &f);
        VEC_I32(out)[i] = kl_days_from_civil(f.year, f.month, dt_month_days(f.year, f.month));
    }
    return 0;
}

static int dt_bind_name(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                        kl_error *err) {
    KL_UNUSED(ctx);
    if (arg_types[0] == KILN_TYPE_INTERVAL || dt_bind_time_arg(&arg_types[0]) != 0)
        return fn_no_overload(err, "dayname", arg_types, n_args);
    *ret = KILN_TYPE_VARCHAR;
    return 0;
}

static int dt_names(kl_vec **args, int n_args, uint32_t n, kl_vec *out, bool month,
                    kl_error *err) {
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL) return 0;
    kl_str *o = VEC_STR(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        dt_fields f;
        dt_split(VEC_I64(args[0])[i], &f);
        /* the names are static strings: no copy needed, they outlive every vector */
        const char *s = month ? dt_month_names[f.month - 1] : dt_day_names[dt_isodow(f.days) % 7];
        o[i] = (kl_str){s, (uint32_t)strlen(s)};
    }
    KL_UNUSED(err);
    return 0;
}

static int dt_dayname(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                      kl_error *err) {
    KL_UNUSED(ctx);
    return dt_names(args, n_args, n, out, false, err);
}

static int dt_monthname(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                        kl_error *err) {
    KL_UNUSED(ctx);
    return dt_names(args, n_args, n, out, true, err);
}

/* epoch_ms(ts) -> BIGINT milliseconds; epoch_ms(BIGINT) -> TIMESTAMP (DuckDB's inverse);
   epoch_us / epoch_ns(ts) -> BIGINT. bind_data: the scale (1000, 1, or -1000 for ns). */
static int dt_bind_epoch_unit(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                              kl_error *err, const char *name, bool allow_int) {
    KL_UNUSED(ctx);
    if (allow_int && arg_types[0] == KILN_TYPE_BIGINT) {
        *ret = KILN_TYPE_TIMESTAMP;
        return 0;
    }
    if (arg_types[0] == KILN_TYPE_INTERVAL || dt_bind_time_arg(&arg_types[0]) != 0)
        return fn_no_overload(err, name, arg_types, n_args);
    *ret = KILN_TYPE_BIGINT;
    return 0;
}

static int dt_bind_epoch_ms(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                            kl_error *err) {
    return dt_bind_epoch_unit(ctx, arg_types, n_args, ret, err, "epoch_ms", true);
}
static int dt_bind_epoch_us(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                            kl_error *err) {
    return dt_bind_epoch_unit(ctx, arg_types, n_args, ret, err, "epoch_us", false);
}

static int dt_epoch_ms(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL) return 0;
    const int64_t *a = VEC_I64(args[0]);
    int64_t *o = VEC_I64(out);
    if (out->type == KILN_TYPE_TIMESTAMP) { /* milliseconds -> timestamp */
        for (uint32_t i = 0; i < n; i++)
            if (!out->nulls[i] && __builtin_mul_overflow(a[i], INT64_C(1000), &o[i]))
                return kl_err(err, KILN_ERR_OVERFLOW, "epoch_ms: value out of range for TIMESTAMP");
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) o[i] = a[i] / 1000; /* DuckDB truncates toward zero */
    return 0;
}

static int dt_epoch_us(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(err);
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL) return 0;
    memcpy(out->data, args[0]->data, (size_t)n * sizeof(int64_t));
    return 0;
}

static int dt_epoch_ns(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                       kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL) return 0;
    const int64_t *a = VEC_I64(args[0]);
    int64_t *o = VEC_I64(out);
    for (uint32_t i = 0; i < n; i++)
        if (!out->nulls[i] && __builtin_mul_overflow(a[i], INT64_C(1000), &o[i]))
            return kl_err(err, KILN_ERR_OVERFLOW, "epoch_ns: value out of range for BIGINT");
    return 0;
}

/* to_timestamp(seconds DOUBLE) -> TIMESTAMP (UTC; DuckDB returns TIMESTAMP WITH TIME ZONE). */
static int dt_bind_to_timestamp(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                                kl_error *err) {
    KL_UNUSED(ctx);
    TRY(dt_bind_numbers("to_timestamp", arg_types, n_args, KILN_TYPE_DOUBLE, err));
    *ret = KILN_TYPE_TIMESTAMP;
    return 0;
}

static int dt_to_timestamp(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                           kl_error *err) {
    KL_UNUSED(ctx);
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL) return 0;
    const double *a = VEC_F64(args[0]);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        double us = nearbyint(a[i] * 1e6);
        if (!(fabs(us) < 9.2e18))
            return kl_err(err, KILN_ERR_OVERFLOW, "to_timestamp: epoch %g is out of range", a[i]);
        VEC_I64(out)[i] = (int64_t)us;
    }
    return 0;
}

/* ---- current time -------------------------------------------------------------------------- */

/* Read the clock once at bind time so every row of a statement sees the same instant. */
static int dt_bind_now_common(kl_fn_ctx *ctx, kl_type *ret, kl_type type, kl_error *err) {
    struct timespec tsp;
    if (clock_gettime(CLOCK_REALTIME, &tsp) != 0)
        return kl_err(err, KILN_ERR_INTERNAL, "cannot read the system clock");
    int64_t *t = kl_malloc(sizeof *t);
    if (!t) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    *t = (int64_t)tsp.tv_sec * KL_US_PER_SEC + tsp.tv_nsec / 1000;
    ctx->bind_data = t;
    *ret = type;
    return 0;
}

static int dt_bind_now(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                       kl_error *err) {
    KL_UNUSED(arg_types);
    KL_UNUSED(n_args);
    return dt_bind_now_common(ctx, ret, KILN_TYPE_TIMESTAMP, err);
}

static int dt_bind_today(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                         kl_error *err) {
    KL_UNUSED(arg_types);
    KL_UNUSED(n_args);
    return dt_bind_now_common(ctx, ret, KILN_TYPE_DATE, err);
}

static int dt_now(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,
                  kl_error *err) {
    KL_UNUSED(args);
    KL_UNUSED(n_args);
    KL_UNUSED(err);
    int64_t t = ctx->bind_data ? *(const int64_t *)ctx->bind_data : 0;
    memset(out->nulls, 0, n);
    out->has_nulls = false;
    if (out->type == KILN_TYPE_DATE) {
        int32_t d = (int32_t)dt_floordiv(t, KL_US_PER_DAY);
        for (uint32_t i = 0; i < n; i++) VEC_I32(out)[i] = d;
    } else {
        for (uint32_t i = 0; i < n; i++) VEC_I64(out)[i] = t;
    }
    return 0;
}

static void dt_free_bind_data(void *p) { kl_free(p); }

/* ---- to_days(n), to_hours(n), ...: numbers to INTERVAL ------------------------------------ */

/* to_seconds / to_milliseconds take DOUBLE (DuckDB), the others BIGINT. */
static int dt_bind_to_unit(const char *name, kl_type *arg_types, int n_args, kl_type *ret,
                           bool f64, kl_error *err) {
    TRY(dt_bind_numbers(name, arg_types, n_args, f64 ? KILN_TYPE_DOUBLE : KILN_TYPE_BIGINT, err));
    *ret = KILN_TYPE_INTERVAL;
    return 0;
}

/* out[i] = n[i] units; a unit is `months` months, `days` days or `micros` micros. */
static int dt_to_unit(kl_vec **args, int n_args, uint32_t n, kl_vec *out, int32_t months,
                      int32_t days, int64_t micros, const char *name, kl_error *err) {
    fn_propagate_nulls(out, args, n_args, n);
    if (args[0]->type == KILN_TYPE_NULL) return 0;
    kl_interval *o = VEC_IV(out);
    for (uint32_t i = 0; i < n; i++) {
        if (out->nulls[i]) continue;
        o[i] = (kl_interval){0, 0, 0};
        if (args[0]->type == KILN_TYPE_DOUBLE) {
            double us = nearbyint(VEC_F64(args[0])[i] * (double)micros);
            if (!(fabs(us) < 9.2e18)) goto overflow;
            o[i].micros = (int64_t)us;
            continue;
        }
        int64_t v = VEC_I64(args[0])[i], r;
        if (months) {
            if (__builtin_mul_overflow(v, (int64_t)months, &r) || r < INT32_MIN || r > INT32_MAX)
                goto overflow;
            o[i].months = (int32_t)r;
        } else if (days) {
            if (__builtin_mul_overflow(v, (int64_t)days, &r) || r < INT32_MIN || r > INT32_MAX)
                goto overflow;
            o[i].days = (int32_t)r;
        } else if (__builtin_mul_overflow(v, micros, &o[i].micros)) {
            goto overflow;
        }
        continue;
    overflow:
        return kl_err(err, KILN_ERR_OVERFLOW, "Interval value is out of range in %s", name);
    }
    return 0;
}

#define DT_TO_UNIT(fname, f64, months, days, micros)                                            \
    static int dt_bind_##fname(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,   \
                               kl_error *err) {                                                \
        KL_UNUSED(ctx);                                                                        \
        return dt_bind_to_unit(#fname, arg_types, n_args, ret, f64, err);                      \
    }                                                                                          \
    static int dt_##fname(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out,  \
                          kl_error *err) {                                                     \
        KL_UNUSED(ctx);                                                                        \
        return dt_to_unit(args, n_args, n, out, months, days, micros, #fname, err);            \
    }

DT_TO_UNIT(to_millennia, false, 12000, 0, 0)
DT_TO_UNIT(to_centuries, false, 1200, 0, 0)
DT_TO_UNIT(to_decades, false, 120, 0, 0)
DT_TO_UNIT(to_years, false, 12, 0, 0)
DT_TO_UNIT(to_quarters, false, 3, 0, 0)
DT_TO_UNIT(to_months, false, 1, 0, 0)
DT_TO_UNIT(to_weeks, false, 0, 7, 0)
DT_TO_UNIT(to_days, false, 0, 1, 0)
DT_TO_UNIT(to_hours, false, 0, 0, KL_US_PER_HOUR)
DT_TO_UNIT(to_minutes, false, 0, 0, KL_US_PER_MIN)
DT_TO_UNIT(to_seconds, true, 0, 0, KL_US_PER_SEC)
DT_TO_UNIT(to_milliseconds, true, 0, 0, 1000)
DT_TO_UNIT(to_microseconds, false, 0, 0, 1)

/* ---- the table ------------------------------------------------------------------------------ */

const kl_scalar_def fn_date_defs[] = {
    {"date_part", 2, 2, dt_bind_date_part, dt_date_part, NULL, false, false},
    {"datepart", 2, 2, dt_bind_date_part, dt_date_part, NULL, false, false},
    {"year", 1, 1, dt_bind_fn_year, dt_fn_year, NULL, false, false},
    {"month", 1, 1, dt_bind_fn_month, dt_fn_month, NULL, false, false},
    {"day", 1, 1, dt_bind_fn_day, dt_fn_day, NULL, false, false},
    {"dayofmonth", 1, 1, dt_bind_fn_day, dt_fn_day, NULL, false, false},
    {"hour", 1, 1, dt_bind_fn_hour, dt_fn_hour, NULL, false, false},
    {"minute", 1, 1, dt_bind_fn_minute, dt_fn_minute, NULL, false, false},
    {"second", 1, 1, dt_bind_fn_second, dt_fn_second, NULL, false, false},
    {"millisecond", 1, 1, dt_bind_fn_millisecond, dt_fn_millisecond, NULL, false, false},
    {"microsecond", 1, 1, dt_bind_fn_microsecond, dt_fn_microsecond, NULL, false, false},
    {"dayofweek", 1, 1, dt_bind_fn_dayofweek, dt_fn_dayofweek, NULL, false, false},
    {"weekday", 1, 1, dt_bind_fn_dayofweek, dt_fn_dayofweek, NULL, false, false},
    {"isodow", 1, 1, dt_bind_fn_isodow, dt_fn_isodow, NULL, false, false},
    {"dayofyear", 1, 1, dt_bind_fn_dayofyear, dt_fn_dayofyear, NULL, false, false},
    {"week", 1, 1, dt_bind_fn_week, dt_fn_week, NULL, false, false},
    {"weekofyear", 1, 1, dt_bind_fn_week, dt_fn_week, NULL, false, false},
    {"quarter", 1, 1, dt_bind_fn_quarter, dt_fn_quarter, NULL, false, false},
    {"isoyear", 1, 1, dt_bind_fn_isoyear, dt_fn_isoyear, NULL, false, false},
    {"yearweek", 1, 1, dt_bind_fn_yearweek, dt_fn_yearweek, NULL, false, false},
    {"decade", 1, 1, dt_bind_fn_decade, dt_fn_decade, NULL, false, false},
    {"century", 1, 1, dt_bind_fn_century, dt_fn_century, NULL, false, false},
    {"millennium", 1, 1, dt_bind_fn_millennium, dt_fn_millennium, NULL, false, false},
    {"era", 1, 1, dt_bind_fn_era, dt_fn_era, NULL, false, false},
    {"epoch", 1, 1, dt_bind_fn_epoch, dt_fn_epoch, NULL, false, false},
    {"julian", 1, 1, dt_bind_fn_julian, dt_fn_julian, NULL, false, false},
    {"date_trunc", 2, 2, dt_bind_date_trunc, dt_date_trunc, NULL, false, false},
    {"datetrunc", 2, 2, dt_bind_date_trunc, dt_date_trunc, NULL, false, false},
    {"time_bucket", 2, 3, dt_bind_time_bucket, dt_time_bucket, NULL, false, false},
    {"date_diff", 3, 3, dt_bind_diff, dt_date_diff, NULL, false, false},
    {"datediff", 3, 3, dt_bind_diff, dt_date_diff, NULL, false, false},
    {"date_sub", 3, 3, dt_bind_diff, dt_date_sub, NULL, false, false},
    {"datesub", 3, 3, dt_bind_diff, dt_date_sub, NULL, false, false},
    {"age", 2, 2, dt_bind_age, dt_age_fn, NULL, false, false},
    {"date_add", 2, 2, dt_bind_date_add, dt_date_add, NULL, false, false},
    {"strftime", 2, 2, dt_bind_strftime, dt_strftime_fn, NULL, false, false},
    {"strptime", 2, 2, dt_bind_strptime, dt_strptime_fn, NULL, false, false},
    {"try_strptime", 2, 2, dt_bind_strptime, dt_try_strptime, NULL, false, false},
    {"make_date", 3, 3, dt_bind_make_date, dt_make_date, NULL, false, false},
    {"make_timestamp", 1, 6, dt_bind_make_timestamp, dt_make_timestamp, NULL, false, false},
    {"last_day", 1, 1, dt_bind_last_day, dt_last_day, NULL, false, false},
    {"dayname", 1, 1, dt_bind_name, dt_dayname, NULL, false, false},
    {"monthname", 1, 1, dt_bind_name, dt_monthname, NULL, false, false},
    {"epoch_ms", 1, 1, dt_bind_epoch_ms, dt_epoch_ms, NULL, false, false},
    {"epoch_us", 1, 1, dt_bind_epoch_us, dt_epoch_us, NULL, false, false},
    {"epoch_ns", 1, 1, dt_bind_epoch_us, dt_epoch_ns, NULL, false, false},
    {"to_timestamp", 1, 1, dt_bind_to_timestamp, dt_to_timestamp, NULL, false, false},
    {"current_date", 0, 0, dt_bind_today, dt_now, dt_free_bind_data, false, false},
    {"today", 0, 0, dt_bind_today, dt_now, dt_free_bind_data, false, false},
    {"now", 0, 0, dt_bind_now, dt_now, dt_free_bind_data, false, false},
    {"current_timestamp", 0, 0, dt_bind_now, dt_now, dt_free_bind_data, false, false},
    {"get_current_timestamp", 0, 0, dt_bind_now, dt_now, dt_free_bind_data, false, false},
    {"to_millennia", 1, 1, dt_bind_to_millennia, dt_to_millennia, NULL, false, false},
    {"to_centuries", 1, 1, dt_bind_to_centuries, dt_to_centuries, NULL, false, false},
    {"to_decades", 1, 1, dt_bind_to_decades, dt_to_decades, NULL, false, false},
    {"to_years", 1, 1, dt_bind_to_years, dt_to_years, NULL, false, false},
    {"to_quarters", 1, 1, dt_bind_to_quarters, dt_to_quarters, NULL, false, false},
    {"to_months", 1, 1, dt_bind_to_months, dt_to_months, NULL, false, false},
    {"to_weeks", 1, 1, dt_bind_to_weeks, dt_to_weeks, NULL, false, false},
    {"to_days", 1, 1, dt_bind_to_days, dt_to_days, NULL, false, false},
    {"to_hours", 1, 1, dt_bind_to_hours, dt_to_hours, NULL, false, false},
    {"to_minutes", 1, 1, dt_bind_to_minutes, dt_to_minutes, NULL, false, false},
    {"to_seconds", 1, 1, dt_bind_to_seconds, dt_to_seconds, NULL, false, false},
    {"to_milliseconds", 1, 1, dt_bind_to_milliseconds, dt_to_milliseconds, NULL, false, false},
    {"to_microseconds", 1, 1, dt_bind_to_microseconds, dt_to_microseconds, NULL, false, false},
    {NULL, 0, 0, NULL, NULL, NULL, false, false},
};
