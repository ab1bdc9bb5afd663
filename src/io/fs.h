/*
 * fs.h — the one I/O layer. Every file kiln reads or writes goes through it.
 *
 * Reading: fs_reader_open(path) opens a file for sequential reading; files ending in .gz or
 * .zst are decompressed transparently. fs_read() fills a caller buffer. fs_glob() expands a
 * pattern into a sorted list of paths (a pattern with no wildcard is returned as is if the
 * file exists; no match is an error naming the pattern).
 *
 * Writing is atomic: fs_writer_open(path) creates a temporary file in the same directory
 * (".<name>.tmp.<pid>.<n>"), fs_write() appends, fs_writer_commit() flushes, fsyncs, renames
 * over path and fsyncs the directory; fs_writer_abort() (or a failed commit) removes the
 * temporary file. Either the complete file appears at path or nothing does.
 *
 * Fault injection (tests): fs_fail_after(n) makes the n-th next write/fsync/rename call fail
 * with EIO.
 */
#ifndef KL_FS_H
#define KL_FS_H

#include "util/kl.h"

typedef struct fs_reader fs_reader;
typedef struct fs_writer fs_writer;

int fs_reader_open(const char *path, fs_reader **out, kl_error *err);
/** Read up to cap bytes; *n_read = 0 at end of file. */
int fs_read(fs_reader *r, void *buf, size_t cap, size_t *n_read, kl_error *err);
void fs_reader_close(fs_reader *r);
/** Read a whole (possibly compressed) file into memory (kl_malloc'ed, NUL-terminated). */
int fs_read_all(const char *path, char **data, size_t *len, kl_error *err);

/** Expand a glob. *paths is a kl_malloc'ed array of kl_malloc'ed strings. */
int fs_glob(const char *pattern, char ***paths, size_t *n_paths, kl_error *err);
void fs_glob_free(char **paths, size_t n_paths);

int fs_writer_open(const char *path, fs_writer **out, kl_error *err);
int fs_write(fs_writer *w, const void *data, size_t len, kl_error *err);
int fs_writer_commit(fs_writer *w, kl_error *err); /* frees w */
void fs_writer_abort(fs_writer *w);                /* frees w; NULL is fine */

void fs_fail_after(long n);

#endif /* KL_FS_H */
