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
 *   csv_worker_new / csv_worker_next / csv_worker_free   parallel morsels (below)
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

/*
 * Parallel reading by morsels. A morsel is a byte range (~4 MiB) of one plain file that
 * starts at a record boundary, or a whole file when the file cannot be split (gzip/zstd, or
 * escape != quote). The boundaries are found once, by the first csv_worker_new, with a
 * sequential pre-pass per file that tracks quote parity (memchr for the quote, so a file
 * without quotes is only read, at memory speed): a boundary is the first newline outside
 * quotes after each ~4 MiB. Morsels are numbered in file order across all files of a glob.
 *
 *   csv_worker_new(rd, &w, err)       one worker per thread, all sharing rd (set the
 *                                     projection before; do not call csv_next meanwhile)
 *   csv_worker_next(w, chunk, &mi, &ci, err)
 *                                     rows of the worker's current morsel, claiming the next
 *                                     free morsel (thread-safe) when it is exhausted;
 *                                     chunk->n_rows == 0 when no morsel is left. The chunk is
 *                                     tagged (morsel index mi, chunk ci within the morsel):
 *                                     sorting by (mi, ci) restores file order.
 *   csv_worker_free(w)
 *
 * Errors are the same as csv_next's (file, physical line, column, value, hint): a worker
 * whose morsel does not start at a file's beginning counts the newlines before the morsel
 * only when it has an error to report.
 */
typedef struct kl_csv_worker kl_csv_worker;

/** Target size of a morsel in bytes (a morsel ends after the last record end within it). Small
    enough that a 60 MB file is 30 morsels, so two threads end together, and that a worker's
    first morsel (read into fresh memory, which costs page zeroing) starts quickly; large
    enough that claiming (a pread under the reader's lock) is rare. */
#define CSV_MORSEL_BYTES (2u * 1024u * 1024u)

int csv_worker_new(kl_csv *rd, kl_csv_worker **out, kl_error *err);
int csv_worker_next(kl_csv_worker *w, kl_chunk *out, uint64_t *morsel_index,
                    uint32_t *chunk_in_morsel, kl_error *err);
void csv_worker_free(kl_csv_worker *w);
/** True when every file of the reader can be split into byte-range morsels (plain files and
 * escape == quote); otherwise workers get whole files as morsels. */
bool csv_parallel_ok(const kl_csv *rd);

#endif /* KL_CSV_H */
