/*
 * writer.h — the COPY TO sink: writes chunks of rows as CSV or JSON lines into a file,
 * atomically (through fs_writer: a temporary file in the same directory that is renamed
 * over the destination on commit; abort leaves nothing behind).
 *
 * API in call order:
 *   writer_options_init(&opts)        CSV, header on, ',' delimiter, '"' quote, NULL as ""
 *   writer_open(path, &opts, names, types, n_cols, &w, err)
 *   writer_write_chunk(w, chunk, err) any number of times
 *   writer_commit(w, &rows, err)      flushes and publishes the file; frees w (also on error)
 *   writer_abort(w)                   instead of commit, e.g. after an error; frees w
 *
 * Ownership: writer_open copies names, types and options; the caller keeps its own.
 * After writer_write_chunk fails, the writer is still valid and must be aborted.
 */
#ifndef KL_WRITER_H
#define KL_WRITER_H

#include "exec/vector.h"

typedef enum { KL_WRITE_CSV, KL_WRITE_JSON } kl_write_format;

typedef struct kl_write_options {
    kl_write_format format;
    bool header;         /* CSV: write a header row of column names */
    char delim;          /* CSV field delimiter */
    char quote;          /* CSV quote character (doubled inside quoted fields) */
    const char *nullstr; /* CSV text written for NULL; NULL pointer means "" */
} kl_write_options;

typedef struct kl_writer kl_writer;

void writer_options_init(kl_write_options *opts);

int writer_open(const char *path, const kl_write_options *opts, const char *const *col_names,
                const kl_type *types, uint32_t n_cols, kl_writer **out, kl_error *err);
int writer_write_chunk(kl_writer *w, const kl_chunk *chunk, kl_error *err);
/** Flush, fsync and rename into place. Frees w whether it succeeds or not. */
int writer_commit(kl_writer *w, uint64_t *rows_written, kl_error *err);
/** Discard everything written; no file and no temporary file remain. Frees w; NULL ok. */
void writer_abort(kl_writer *w);

#endif /* KL_WRITER_H */
