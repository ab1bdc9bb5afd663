/*
 * csv.h — the CSV reader: sniffing (delimiter, header, column types), RFC 4180 parsing, and
 * conversion of projected columns into chunks. One reader reads one file, a glob of files
 * (as one table, optionally with a `filename` column), plain or gzip/zstd (by extension).
 *
 * API in call order:
 *   csv_options_init(&opts)                 defaults: auto delimiter/header, quote '"',
 *                                           nullstr "", sample_size 20480 rows
 *   csv_open(path_or_glob, &opts, &rd, err) expands the glob, sniffs the first file, infers
 *                                           names and types (column overrides applied)
 *   csv_column_count / csv_column_name / csv_column_type
 *   csv_set_projection(rd, needed)          needed[i] false => column i is not converted
 *                                           (its vector is left all-NULL)
 *   csv_next(rd, chunk, err)                fills chunk (types = csv column types, plus
 *                                           VARCHAR filename last if requested); n_rows 0
 *                                           at the end
 *   csv_close(rd)
 *
 * Errors name file, line and column: a value that does not fit its inferred type is
 *   Could not convert string "abc" to BIGINT in column "x" (file data.csv, line 5004,
 *   column 2). The type was inferred from the first 20480 rows; use columns := {'x':
 *   'VARCHAR'} or a larger sample_size := ...
 * and structural problems (too many/few fields, unterminated quote, invalid UTF-8) likewise.
 */
#ifndef KL_CSV_H
#define KL_CSV_H

#include "exec/vector.h"

typedef struct kl_csv kl_csv;

typedef struct kl_csv_column_override {
    const char *name;
    kl_type type;
} kl_csv_column_override;

typedef struct kl_csv_options {
    int header;           /* -1 auto, 0 no, 1 yes */
    char delim;           /* 0 = auto (',' ';' '\t' '|') */
    char quote;           /* default '"' */
    char escape;          /* default = quote (doubled quotes) */
    const char *nullstr;  /* default "" (an empty unquoted field is NULL) */
    long sample_size;     /* rows used for type inference; -1 = whole file */
    bool filename;        /* add a VARCHAR column "filename" */
    bool all_varchar;     /* no type inference */
    /* columns := {...}: if set, these are the exact columns (names and types), in order */
    const kl_csv_column_override *columns;
    uint32_t n_columns;
    /* types := {...}: override the inferred type of some columns by name */
    const kl_csv_column_override *types;
    uint32_t n_types;
} kl_csv_options;

void csv_options_init(kl_csv_options *opts);
int csv_open(const char *path, const kl_csv_options *opts, kl_csv **out, kl_error *err);
uint32_t csv_column_count(const kl_csv *rd);
const char *csv_column_name(const kl_csv *rd, uint32_t col);
kl_type csv_column_type(const kl_csv *rd, uint32_t col);
void csv_set_projection(kl_csv *rd, const bool *needed);
int csv_next(kl_csv *rd, kl_chunk *out, kl_error *err);
void csv_close(kl_csv *rd);

#endif /* KL_CSV_H */
