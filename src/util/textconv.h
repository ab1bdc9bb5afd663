/*
 * textconv.h — conversions between text and typed values, shared by the CSV reader (type
 * inference and parsing), CAST, and every printer (CLI, COPY, results).
 *
 * Parsers take (ptr, len) with no NUL terminator required, accept surrounding ASCII spaces,
 * and return true on success. They never read past ptr+len. They are the hot path of the CSV
 * reader: no allocation, no locale.
 *
 *   kl_parse_int64      [+-]digits; false on overflow or junk
 *   kl_parse_double     decimal/scientific, inf/infinity/nan (case-insensitive); correctly
 *                       rounded (bit-identical to strtod)
 *   kl_parse_bool       true/false/t/f/yes/no/y/n/1/0 (case-insensitive)
 *   kl_parse_date       YYYY-MM-DD  -> days since 1970-01-01
 *   kl_parse_timestamp  YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|+HH[:MM]] -> microseconds since epoch
 *                       (a bare date is accepted as midnight)
 *   kl_parse_interval   DuckDB interval text: "[-]n unit" repeated ('2 hours 30 minutes',
 *                       '1 year 2 months', '1.5 days', '1 week', '15 minute'), a time part
 *                       "[-]HH:MM[:SS[.ffffff]]" ('1 day 01:30:00'), a bare number (seconds,
 *                       only alone), and a trailing "ago" that negates the whole value
 *
 * Formatters append to a char buffer and return the number of bytes written (no NUL
 * unless stated): doubles in shortest round-trip form ("4.25", "0.1", "1e+20", "inf",
 * "-inf", "nan" as DuckDB prints them), dates "YYYY-MM-DD", timestamps
 * "YYYY-MM-DD HH:MM:SS" plus ".ffffff" trimmed of trailing zeros when not whole seconds,
 * intervals as DuckDB prints them ("1 year 2 months 3 days 04:05:06.5", "00:00:00" for zero).
 *
 * INTERVAL values (kl_interval) keep months, days and microseconds apart, as DuckDB does:
 * a month has no fixed length, so '1 month' added to a date moves the calendar month. Only
 * comparisons, hashing and sorting look at a normalized form (kl_interval_normalize: 30 days
 * = 1 month, 24 hours = 1 day, DuckDB's Interval::Normalize), so '30 days' = '1 month'.
 */
#ifndef KL_TEXTCONV_H
#define KL_TEXTCONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool kl_parse_int64(const char *p, size_t len, int64_t *out);
bool kl_parse_double(const char *p, size_t len, double *out);
bool kl_parse_bool(const char *p, size_t len, bool *out);
bool kl_parse_date(const char *p, size_t len, int32_t *out);
bool kl_parse_timestamp(const char *p, size_t len, int64_t *out);

/** An INTERVAL value: the three parts are independent and may have different signs. */
typedef struct kl_interval {
    int32_t months;
    int32_t days;
    int64_t micros;
} kl_interval;

#define KL_US_PER_SEC INT64_C(1000000)
#define KL_US_PER_MIN INT64_C(60000000)
#define KL_US_PER_HOUR INT64_C(3600000000)
#define KL_US_PER_DAY INT64_C(86400000000)
#define KL_DAYS_PER_MONTH 30

bool kl_parse_interval(const char *p, size_t len, kl_interval *out);
/** buf must have room for 96 bytes. */
size_t kl_format_interval(kl_interval v, char *buf);

/**
 * DuckDB's normalized form: whole 30-day blocks of days and of micros move into months,
 * whole days of micros into days (truncating division, so signs stay per part). Results are
 * int64 because the moved parts can exceed int32.
 */
static inline void kl_interval_normalize(kl_interval v, int64_t *months, int64_t *days,
                                         int64_t *micros) {
    int64_t us_per_month = KL_US_PER_DAY * KL_DAYS_PER_MONTH;
    int64_t m_from_d = v.days / KL_DAYS_PER_MONTH;
    int64_t m_from_us = v.micros / us_per_month;
    int64_t d = v.days - m_from_d * KL_DAYS_PER_MONTH;
    int64_t us = v.micros - m_from_us * us_per_month;
    int64_t d_from_us = us / KL_US_PER_DAY;
    *months = (int64_t)v.months + m_from_d + m_from_us;
    *days = d + d_from_us;
    *micros = us - d_from_us * KL_US_PER_DAY;
}

/** Total order on intervals by normalized value: negative, 0, positive. */
static inline int kl_interval_cmp(kl_interval a, kl_interval b) {
    int64_t am, ad, au, bm, bd, bu;
    kl_interval_normalize(a, &am, &ad, &au);
    kl_interval_normalize(b, &bm, &bd, &bu);
    if (am != bm) return am < bm ? -1 : 1;
    if (ad != bd) return ad < bd ? -1 : 1;
    if (au != bu) return au < bu ? -1 : 1;
    return 0;
}

/* buf must have room for at least 32 bytes (64 for timestamps). Return bytes written. */
size_t kl_format_int64(int64_t v, char *buf);
size_t kl_format_double(double v, char *buf);
size_t kl_format_date(int32_t days, char *buf);
size_t kl_format_timestamp(int64_t micros, char *buf);

/** Civil calendar helpers (proleptic Gregorian). */
int32_t kl_days_from_civil(int64_t y, unsigned m, unsigned d);
void kl_civil_from_days(int32_t days, int64_t *y, unsigned *m, unsigned *d);

#endif /* KL_TEXTCONV_H */
