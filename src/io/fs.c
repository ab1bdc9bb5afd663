/*
 * fs.c — the one I/O layer: sequential readers with transparent gzip/zstd decompression,
 * globbing, whole-file reads, and atomic writers with fault injection.
 *
 * API in call order:
 *   fs_reader_open(path) -> fs_read(r, buf, cap) ... until 0 bytes -> fs_reader_close(r)
 *   fs_read_all(path, &data, &len)          reader loop into one kl_malloc'ed buffer
 *   fs_glob(pattern, &paths, &n) -> fs_glob_free(paths, n)
 *   fs_writer_open(path) -> fs_write(w, ...) ... -> fs_writer_commit(w) | fs_writer_abort(w)
 *   fs_fail_after(n)                        tests: the n-th next write/fsync/rename fails
 *
 * Reading: the kind is chosen by extension (".gz" -> zlib inflate with gzip header
 * detection, restarted after every member so concatenated gzip files read as one stream;
 * ".zst" -> ZSTD_decompressStream, which handles concatenated frames itself). Compressed
 * input is read from the file descriptor in 256 KiB blocks into an input buffer. A stream
 * that ends in the middle of a member/frame is reported as corrupt, never silently cut.
 *
 * Writing: bytes collect in a 1 MiB buffer and go to a temporary file
 * ".<name>.tmp.<pid>.<n>" in the destination directory (same file system, so rename is
 * atomic). commit = flush, fsync, rename over the destination, fsync the directory. Any
 * failure and abort unlink the temporary file, so either the complete file appears at path
 * or nothing does.
 *
 * Bounds: reader memory is the input block plus the codec state; writer memory is 1 MiB.
 */
#include "io/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define FS_IN_BLOCK (256u * 1024u)
#define FS_WRITE_BUF (1024u * 1024u)

enum fs_kind { FS_PLAIN, FS_GZIP, FS_ZSTD };

struct fs_reader {
    int fd;
    enum fs_kind kind;
    char *path;
    unsigned char *in; /* compressed input block */
    size_t in_len, in_pos;
    bool in_eof;
    bool member_done; /* gzip: last inflate() call ended a member */
    bool zstd_mid;    /* zstd: inside a frame (decompressStream returned > 0) */
    z_stream zs;
    bool zs_init;
    ZSTD_DStream *zd;
};

struct fs_writer {
    int fd;
    char *path;
    char *tmp_path;
    char *buf;
    size_t len;
};

/* ---- fault injection ------------------------------------------------------------------ */

static long fs_fail_countdown;

void fs_fail_after(long n) { __atomic_store_n(&fs_fail_countdown, n, __ATOMIC_SEQ_CST); }

/* True if this write/fsync/rename call should fail (the countdown reached 1). */
static bool fs_should_fail(void) {
    long cur = __atomic_load_n(&fs_fail_countdown, __ATOMIC_SEQ_CST);
    while (cur > 0) {
        if (__atomic_compare_exchange_n(&fs_fail_countdown, &cur, cur - 1, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return cur == 1;
    }
    return false;
}

static bool fs_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int fs_open_error(const char *path, int e, kl_error *err) {
    return kl_err_data(err, KILN_ERR_IO, path, 0, 0, "Cannot open file \"%s\": %s", path,
                       strerror(e));
}

/* zlib allocations go through the counting allocator. */
static voidpf fs_zalloc(voidpf opaque, uInt items, uInt size) {
    (void)opaque;
    return kl_calloc(items, size);
}
static void fs_zfree(voidpf opaque, voidpf ptr) {
    (void)opaque;
    kl_free(ptr);
}

/* ---- reader --------------------------------------------------------------------------- */

int fs_reader_open(const char *path, fs_reader **out, kl_error *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fs_open_error(path, errno, err);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return fs_open_error(path, EISDIR, err);
    }
    fs_reader *r = kl_calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory opening \"%s\"", path);
    }
    r->fd = fd;
    r->path = kl_strdup(path);
    r->kind = fs_ends_with(path, ".gz") ? FS_GZIP : fs_ends_with(path, ".zst") ? FS_ZSTD : FS_PLAIN;
    if (!r->path) goto oom;
    if (r->kind != FS_PLAIN) {
        r->in = kl_malloc(FS_IN_BLOCK);
        if (!r->in) goto oom;
    }
    if (r->kind == FS_GZIP) {
        r->zs.zalloc = fs_zalloc;
        r->zs.zfree = fs_zfree;
        if (inflateInit2(&r->zs, 15 + 16) != Z_OK) goto oom;
        r->zs_init = true;
    } else if (r->kind == FS_ZSTD) {
        r->zd = ZSTD_createDStream();
        if (!r->zd) goto oom;
        ZSTD_initDStream(r->zd);
    }
    *out = r;
    return 0;
oom:
    fs_reader_close(r);
    return kl_err(err, KILN_ERR_MEMORY, "out of memory opening \"%s\"", path);
}

/* Refill the compressed input block when it is used up. */
static int fs_fill_in(fs_reader *r, kl_error *err) {
    if (r->in_pos < r->in_len || r->in_eof) return 0;
    for (;;) {
        ssize_t n = read(r->fd, r->in, FS_IN_BLOCK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return kl_err_data(err, KILN_ERR_IO, r->path, 0, 0, "Cannot read file \"%s\": %s",
                               r->path, strerror(errno));
        r->in_len = (size_t)n;
        r->in_pos = 0;
        if (n == 0) r->in_eof = true;
        return 0;
    }
}

static int fs_corrupt(fs_reader *r, const char *what, kl_error *err) {
    return kl_err_data(err, KILN_ERR_IO, r->path, 0, 0,
                       "Cannot read file \"%s\": corrupt or truncated %s data", r->path, what);
}

static int fs_read_gzip(fs_reader *r, unsigned char *buf, size_t cap, size_t *n_read,
                        kl_error *err) {
    size_t got = 0;
    while (got < cap) {
        TRY(fs_fill_in(r, err));
        if (r->in_pos == r->in_len) {
            /* End of file: fine between members (or for an empty file), corrupt inside one. */
            if (!r->member_done && (r->zs.total_in > 0)) return fs_corrupt(r, "gzip", err);
            break;
        }
        if (r->member_done) {
            /* Another member follows: start a fresh inflate. */
            if (inflateReset(&r->zs) != Z_OK) return fs_corrupt(r, "gzip", err);
            r->member_done = false;
        }
        r->zs.next_in = r->in + r->in_pos;
        r->zs.avail_in = (uInt)(r->in_len - r->in_pos);
        size_t room = cap - got;
        r->zs.next_out = buf + got;
        r->zs.avail_out = (uInt)KL_MIN(room, (size_t)UINT32_MAX);
        uInt before_out = r->zs.avail_out;
        int rc = inflate(&r->zs, Z_NO_FLUSH);
        r->in_pos = r->in_len - r->zs.avail_in;
        got += before_out - r->zs.avail_out;
        if (rc == Z_STREAM_END) {
            r->member_done = true;
        } else if (rc == Z_BUF_ERROR) {
            /* no progress possible: needs more input (handled by the next fill) */
            if (r->in_pos < r->in_len) return fs_corrupt(r, "gzip", err);
        } else if (rc != Z_OK) {
            return fs_corrupt(r, "gzip", err);
        }
        if (got > 0 && r->in_pos == r->in_len) break; /* hand back what we have */
    }
    *n_read = got;
    return 0;
}

static int fs_read_zstd(fs_reader *r, unsigned char *buf, size_t cap, size_t *n_read,
                        kl_error *err) {
    size_t got = 0;
    while (got < cap) {
        TRY(fs_fill_in(r, err));
        ZSTD_inBuffer in = {r->in, r->in_len, r->in_pos};
        ZSTD_outBuffer ob = {buf + got, cap - got, 0};
        if (r->in_pos == r->in_len) {
            /* No more input: flush what the decoder still holds, then stop. */
            if (!r->zstd_mid) break;
            size_t rc = ZSTD_decompressStream(r->zd, &ob, &in);
            if (ZSTD_isError(rc)) return fs_corrupt(r, "zstd", err);
            got += ob.pos;
            if (ob.pos == 0) return fs_corrupt(r, "zstd", err);
            r->zstd_mid = rc != 0;
            continue;
        }
        size_t rc = ZSTD_decompressStream(r->zd, &ob, &in);
        if (ZSTD_isError(rc)) return fs_corrupt(r, "zstd", err);
        r->in_pos = in.pos;
        got += ob.pos;
        r->zstd_mid = rc != 0;
        if (got > 0 && r->in_pos == r->in_len) break;
    }
    *n_read = got;
    return 0;
}

int fs_read(fs_reader *r, void *buf, size_t cap, size_t *n_read, kl_error *err) {
    *n_read = 0;
    if (cap == 0) return 0;
    if (r->kind == FS_GZIP) return fs_read_gzip(r, buf, cap, n_read, err);
    if (r->kind == FS_ZSTD) return fs_read_zstd(r, buf, cap, n_read, err);
    for (;;) {
        ssize_t n = read(r->fd, buf, cap);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return kl_err_data(err, KILN_ERR_IO, r->path, 0, 0, "Cannot read file \"%s\": %s",
                               r->path, strerror(errno));
        *n_read = (size_t)n;
        return 0;
    }
}

void fs_reader_close(fs_reader *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    if (r->zs_init) inflateEnd(&r->zs);
    if (r->zd) ZSTD_freeDStream(r->zd);
    kl_free(r->in);
    kl_free(r->path);
    kl_free(r);
}

int fs_read_all(const char *path, char **data, size_t *len, kl_error *err) {
    *data = NULL;
    *len = 0;
    fs_reader *r;
    TRY(fs_reader_open(path, &r, err));
    size_t cap = 64 * 1024, n = 0;
    char *buf = kl_malloc(cap + 1);
    int rc = 0;
    if (!buf) {
        rc = kl_err(err, KILN_ERR_MEMORY, "out of memory reading \"%s\"", path);
        goto done;
    }
    for (;;) {
        if (n == cap) {
            char *nb = kl_realloc(buf, cap * 2 + 1);
            if (!nb) {
                rc = kl_err(err, KILN_ERR_MEMORY, "out of memory reading \"%s\"", path);
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got;
        rc = fs_read(r, buf + n, cap - n, &got, err);
        if (rc) goto done;
        if (got == 0) break;
        n += got;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
done:
    kl_free(buf);
    fs_reader_close(r);
    return rc;
}

/* ---- glob ----------------------------------------------------------------------------- */

static int fs_cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fs_glob(const char *pattern, char ***paths, size_t *n_paths, kl_error *err) {
    *paths = NULL;
    *n_paths = 0;
    if (!strpbrk(pattern, "*?[{")) {
        /* A plain path: returned as is when it exists. */
        struct stat st;
        if (stat(pattern, &st) != 0) return fs_open_error(pattern, errno, err);
        char **out = kl_malloc(sizeof *out);
        char *p = kl_strdup(pattern);
        if (!out || !p) {
            kl_free(out);
            kl_free(p);
            return kl_err(err, KILN_ERR_MEMORY, "out of memory");
        }
        out[0] = p;
        *paths = out;
        *n_paths = 1;
        return 0;
    }
    glob_t g;
    memset(&g, 0, sizeof g);
    int grc = glob(pattern, GLOB_BRACE | GLOB_NOSORT, NULL, &g);
    if (grc == GLOB_NOMATCH || (grc == 0 && g.gl_pathc == 0)) {
        globfree(&g);
        return kl_err_data(err, KILN_ERR_IO, pattern, 0, 0,
                           "No files found that match the pattern \"%s\"", pattern);
    }
    if (grc != 0) {
        globfree(&g);
        return kl_err_data(err, KILN_ERR_IO, pattern, 0, 0, "Cannot expand pattern \"%s\"",
                           pattern);
    }
    char **out = kl_calloc(g.gl_pathc, sizeof *out);
    if (!out) {
        globfree(&g);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        /* Directories are not data files. */
        struct stat st;
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode)) continue;
        out[n] = kl_strdup(g.gl_pathv[i]);
        if (!out[n]) {
            globfree(&g);
            fs_glob_free(out, n);
            return kl_err(err, KILN_ERR_MEMORY, "out of memory");
        }
        n++;
    }
    globfree(&g);
    if (n == 0) {
        fs_glob_free(out, 0);
        return kl_err_data(err, KILN_ERR_IO, pattern, 0, 0,
                           "No files found that match the pattern \"%s\"", pattern);
    }
    /* GLOB_BRACE expands each alternative separately; one sort gives a global order. */
    qsort(out, n, sizeof *out, fs_cmp_str);
    *paths = out;
    *n_paths = n;
    return 0;
}

void fs_glob_free(char **paths, size_t n_paths) {
    if (!paths) return;
    for (size_t i = 0; i < n_paths; i++) kl_free(paths[i]);
    kl_free(paths);
}

/* ---- atomic writer -------------------------------------------------------------------- */

static unsigned long fs_tmp_counter;

static int fs_write_err(fs_writer *w, const char *what, int e, kl_error *err) {
    return kl_err_data(err, KILN_ERR_IO, w->path, 0, 0, "Cannot write file \"%s\": %s failed: %s",
                       w->path, what, strerror(e));
}

int fs_writer_open(const char *path, fs_writer **out, kl_error *err) {
    *out = NULL;
    fs_writer *w = kl_calloc(1, sizeof *w);
    if (!w) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    w->fd = -1;
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir_len;
    if (*base == '\0') {
        kl_free(w);
        return kl_err_data(err, KILN_ERR_IO, path, 0, 0, "Cannot write file \"%s\": not a file name",
                           path);
    }
    unsigned long n = __atomic_fetch_add(&fs_tmp_counter, 1, __ATOMIC_RELAXED);
    size_t cap = strlen(path) + 64;
    w->path = kl_strdup(path);
    w->tmp_path = kl_malloc(cap);
    w->buf = kl_malloc(FS_WRITE_BUF);
    if (!w->path || !w->tmp_path || !w->buf) {
        fs_writer_abort(w);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    snprintf(w->tmp_path, cap, "%.*s.%s.tmp.%ld.%lu", (int)dir_len, path, base, (long)getpid(), n);
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        kl_err_data(err, KILN_ERR_IO, path, 0, 0, "Cannot write file \"%s\": %s", path,
                    strerror(e));
        kl_free(w->tmp_path);
        w->tmp_path = NULL; /* nothing to unlink */
        fs_writer_abort(w);
        return KILN_ERR_IO;
    }
    *out = w;
    return 0;
}

/* write(2) all of data, retrying short writes; fault injection counts each call. */
static int fs_write_fd(fs_writer *w, const char *data, size_t len, kl_error *err) {
    while (len > 0) {
        if (fs_should_fail()) return fs_write_err(w, "write", EIO, err);
        ssize_t n = write(w->fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fs_write_err(w, "write", errno, err);
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int fs_write(fs_writer *w, const void *data, size_t len, kl_error *err) {
    const char *p = data;
    if (w->len + len <= FS_WRITE_BUF) {
        memcpy(w->buf + w->len, p, len);
        w->len += len;
        return 0;
    }
    TRY(fs_write_fd(w, w->buf, w->len, err));
    w->len = 0;
    if (len >= FS_WRITE_BUF) return fs_write_fd(w, p, len, err);
    memcpy(w->buf, p, len);
    w->len = len;
    return 0;
}

int fs_writer_commit(fs_writer *w, kl_error *err) {
    int rc = fs_write_fd(w, w->buf, w->len, err);
    w->len = 0;
    if (rc) goto fail;
    if (fs_should_fail()) {
        rc = fs_write_err(w, "fsync", EIO, err);
        goto fail;
    }
    if (fsync(w->fd) != 0) {
        rc = fs_write_err(w, "fsync", errno, err);
        goto fail;
    }
    if (close(w->fd) != 0) {
        w->fd = -1;
        rc = fs_write_err(w, "close", errno, err);
        goto fail;
    }
    w->fd = -1;
    if (fs_should_fail()) {
        rc = fs_write_err(w, "rename", EIO, err);
        goto fail;
    }
    if (rename(w->tmp_path, w->path) != 0) {
        rc = fs_write_err(w, "rename", errno, err);
        goto fail;
    }
    kl_free(w->tmp_path);
    w->tmp_path = NULL; /* renamed: nothing to remove any more */
    /* fsync the directory so the rename itself is durable. */
    {
        const char *slash = strrchr(w->path, '/');
        char *dir = slash ? kl_strndup(w->path, (size_t)(slash - w->path) + 1) : kl_strdup(".");
        if (dir) {
            int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) {
                /* Best effort: the complete file is already in place, so a failed directory
                 * fsync only weakens durability across a power cut; reporting failure here
                 * would claim "nothing written" when the file is there. */
                (void)fsync(dfd);
                close(dfd);
            }
            kl_free(dir);
        }
    }
    fs_writer_abort(w);
    return rc;
fail:
    fs_writer_abort(w);
    return rc;
}

void fs_writer_abort(fs_writer *w) {
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    if (w->tmp_path) unlink(w->tmp_path);
    kl_free(w->tmp_path);
    kl_free(w->path);
    kl_free(w->buf);
    kl_free(w);
}
