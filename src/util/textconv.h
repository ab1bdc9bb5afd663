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
 *
 * Formatters append to a char buffer and return the number of bytes written (no NUL
 * unless stated): doubles in shortest round-trip form ("4.25", "0.1", "1e+20", "inf",
 * "-inf", "nan" as DuckDB prints them), dates "YYYY-MM-DD", timestamps
 * "YYYY-MM-DD HH:MM:SS" plus ".ffffff" trimmed of trailing zeros when not whole seconds.
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

/* buf must have room for at least 32 bytes (64 for timestamps). Return bytes written. */
size_t kl_format_int64(int64_t v, char *buf);
size_t kl_format_double(double v, char *buf);
size_t kl_format_date(int32_t days, char *buf);
size_t kl_format_timestamp(int64_t micros, char *buf);

/** Civil calendar helpers (proleptic Gregorian). */
int32_t kl_days_from_civil(int64_t y, unsigned m, unsigned d);
void kl_civil_from_days(int32_t days, int64_t *y, unsigned *m, unsigned *d);

#endif /* KL_TEXTCONV_H */
