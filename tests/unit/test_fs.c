/*
 * test_fs.c — unit tests of src/io/fs.c: atomic writer commit/abort, fault injection at each
 * write/fsync/rename (no file and no temporary file left), large writes through the 1 MiB
 * buffer, readers for plain/gzip/zstd, fs_read_all, globbing and its errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "io/fs.h"

static char g_dir[256];

static const char *tpath(const char *name) {
    static char bufs[4][512];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, 512, "%s/%s", g_dir, name);
    return b;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/kiln_fs_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* Number of entries in dir (excluding . and ..). */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static bool exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static void t_write_commit(void **s) {
    (void)s;
    mkdir(tpath("w1"), 0755);
    fs_writer *w;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fs_writer_open(tpath("w1/out.txt"), &w, &err), 0);
    assert_int_equal(fs_write(w, "hello ", 6, &err), 0);
    assert_false(exists(tpath("w1/out.txt"))); /* nothing visible before commit */
    assert_int_equal(count_entries(tpath("w1")), 1);  /* the temp file */
    assert_int_equal(fs_write(w, "world", 5, &err), 0);
    assert_int_equal(fs_writer_commit(w, &err), 0);
    char *data;
    size_t len;
    assert_int_equal(fs_read_all(tpath("w1/out.txt"), &data, &len, &err), 0);
    assert_int_equal(len, 11);
    assert_string_equal(data, "hello world");
    kl_free(data);
    assert_int_equal(count_entries(tpath("w1")), 1);
}

static void t_write_replace(void **s) {
    (void)s;
    mkdir(tpath("w2"), 0755);
    FILE *f = fopen(tpath("w2/out.txt"), "w");
    fputs("old", f);
    fclose(f);
    fs_writer *w;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fs_writer_open(tpath("w2/out.txt"), &w, &err), 0);
    assert_int_equal(fs_write(w, "new", 3, &err), 0);
    fs_writer_abort(w);
    char *data;
    size_t len;
    assert_int_equal(fs_read_all(tpath("w2/out.txt"), &data, &len, &err), 0);
    assert_string_equal(data, "old"); /* abort left the old file */
    kl_free(data);
    assert_int_equal(count_entries(tpath("w2")), 1);
    assert_int_equal(fs_writer_open(tpath("w2/out.txt"), &w, &err), 0);
    assert_int_equal(fs_write(w, "new", 3, &err), 0);
    assert_int_equal(fs_writer_commit(w, &err), 0);
    assert_int_equal(fs_read_all(tpath("w2/out.txt"), &data, &len, &err), 0);
    assert_string_equal(data, "new");
    kl_free(data);
    fs_writer_abort(NULL);
}

static void t_write_large(void **s) {
    (void)s;
    mkdir(tpath("w3"), 0755);
    fs_writer *w;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fs_writer_open(tpath("w3/big.bin"), &w, &err), 0);
    size_t total = 0;
    char block[70000];
    for (int i = 0; i < 60; i++) {
        memset(block, 'a' + i % 26, sizeof block);
        assert_int_equal(fs_write(w, block, sizeof block, &err), 0);
        total += sizeof block;
    }
    char *huge = malloc(3 << 20);
    memset(huge, 'z', 3 << 20);
    assert_int_equal(fs_write(w, huge, 3 << 20, &err), 0);
    total += 3 << 20;
    free(huge);
    assert_int_equal(fs_writer_commit(w, &err), 0);
    char *data;
    size_t len;
    assert_int_equal(fs_read_all(tpath("w3/big.bin"), &data, &len, &err), 0);
    assert_int_equal(len, total);
    assert_int_equal(data[70000 * 59], 'a' + 59 % 26);
    assert_int_equal(data[len - 1], 'z');
    kl_free(data);
}

/* Fail the n-th write/fsync/rename for every n until the commit succeeds. */
static void t_fault_injection(void **s) {
    (void)s;
    mkdir(tpath("w4"), 0755);
    int failures = 0;
    for (long n = 1; n < 20; n++) {
        kl_error err;
        memset(&err, 0, sizeof err);
        fs_writer *w;
        assert_int_equal(fs_writer_open(tpath("w4/out.txt"), &w, &err), 0);
        fs_fail_after(n);
        char big[600000];
        memset(big, 'x', sizeof big);
        int rc = fs_write(w, big, sizeof big, &err);
        if (!rc) rc = fs_write(w, big, sizeof big, &err);
        if (!rc) rc = fs_write(w, big, sizeof big, &err);
        if (!rc) {
            rc = fs_writer_commit(w, &err);
        } else {
            fs_writer_abort(w);
        }
        fs_fail_after(0);
        if (rc == 0) break;
        failures++;
        assert_int_equal(rc, KILN_ERR_IO);
        assert_non_null(strstr(err.message, "Cannot write file"));
        assert_false(exists(tpath("w4/out.txt")));
        assert_int_equal(count_entries(tpath("w4")), 0); /* no temp file left either */
    }
    /* write, write(flush), write(final) , fsync, rename fail in turn */
    assert_true(failures >= 4);
    assert_true(exists(tpath("w4/out.txt")));
}

static void t_writer_bad_dir(void **s) {
    (void)s;
    fs_writer *w;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fs_writer_open(tpath("nodir/x.txt"), &w, &err), KILN_ERR_IO);
    assert_non_null(strstr(err.message, "Cannot write file"));
}

static void t_read_missing(void **s) {
    (void)s;
    fs_reader *r;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fs_reader_open(tpath("missing.csv"), &r, &err), KILN_ERR_IO);
    assert_non_null(strstr(err.message, "Cannot open file \""));
    assert_non_null(strstr(err.message, "\": No such file or directory"));
    assert_string_equal(err.file, tpath("missing.csv"));
}

static void t_read_gzip_zstd(void **s) {
    (void)s;
    /* 2 MB of text so several input blocks and output calls are needed */
    size_t n = 2000000;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i++) text[i] = (char)('a' + (i * 7 + i / 13) % 26);
    gzFile g = gzopen(tpath("x.gz"), "wb");
    gzwrite(g, text, (unsigned)n);
    gzclose(g);
    size_t bound = ZSTD_compressBound(n);
    void *z = malloc(bound);
    size_t zn = ZSTD_compress(z, bound, text, n, 1);
    FILE *f = fopen(tpath("x.zst"), "wb");
    fwrite(z, 1, zn, f);
    fwrite(z, 1, zn, f); /* two frames */
    fclose(f);
    free(z);
    kl_error err;
    memset(&err, 0, sizeof err);
    char *data;
    size_t len;
    assert_int_equal(fs_read_all(tpath("x.gz"), &data, &len, &err), 0);
    assert_int_equal(len, n);
    assert_memory_equal(data, text, n);
    kl_free(data);
    assert_int_equal(fs_read_all(tpath("x.zst"), &data, &len, &err), 0);
    assert_int_equal(len, 2 * n);
    assert_memory_equal(data, text, n);
    assert_memory_equal(data + n, text, n);
    kl_free(data);
    /* truncated zstd is an error */
    f = fopen(tpath("x.zst"), "r+b");
    assert_int_equal(ftruncate(fileno(f), (off_t)(zn / 2)), 0);
    fclose(f);
    memset(&err, 0, sizeof err);
    assert_int_equal(fs_read_all(tpath("x.zst"), &data, &len, &err), KILN_ERR_IO);
    assert_non_null(strstr(err.message, "zstd"));
    free(text);
}

static void t_read_small_buffer(void **s) {
    (void)s;
    FILE *f = fopen(tpath("p.txt"), "wb");
    fputs("0123456789", f);
    fclose(f);
    fs_reader *r;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fs_reader_open(tpath("p.txt"), &r, &err), 0);
    char buf[4];
    size_t got, total = 0;
    do {
        assert_int_equal(fs_read(r, buf, sizeof buf, &got, &err), 0);
        total += got;
    } while (got);
    assert_int_equal(total, 10);
    fs_reader_close(r);
    fs_reader_close(NULL);
}

static void t_glob(void **s) {
    (void)s;
    mkdir(tpath("g"), 0755);
    mkdir(tpath("g/sub.csv"), 0755); /* a directory: skipped */
    const char *names[] = {"g/b.csv", "g/a.csv", "g/c.txt"};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(tpath(names[i]), "w");
        fclose(f);
    }
    char **paths;
    size_t n;
    kl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fs_glob(tpath("g/*.csv"), &paths, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(paths[0], tpath("g/a.csv"));
    assert_string_equal(paths[1], tpath("g/b.csv"));
    fs_glob_free(paths, n);
    assert_int_equal(fs_glob(tpath("g/{c.txt,b.csv}"), &paths, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(paths[0], tpath("g/b.csv"));
    fs_glob_free(paths, n);
    assert_int_equal(fs_glob(tpath("g/a.csv"), &paths, &n, &err), 0);
    assert_int_equal(n, 1);
    fs_glob_free(paths, n);
    assert_int_equal(fs_glob(tpath("g/*.parquet"), &paths, &n, &err), KILN_ERR_IO);
    assert_non_null(strstr(err.message, "No files found that match the pattern \""));
    memset(&err, 0, sizeof err);
    assert_int_equal(fs_glob(tpath("g/none.csv"), &paths, &n, &err), KILN_ERR_IO);
    assert_non_null(strstr(err.message, "No such file or directory"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_write_commit),    cmocka_unit_test(t_write_replace),
        cmocka_unit_test(t_write_large),     cmocka_unit_test(t_fault_injection),
        cmocka_unit_test(t_writer_bad_dir),  cmocka_unit_test(t_read_missing),
        cmocka_unit_test(t_read_gzip_zstd),  cmocka_unit_test(t_read_small_buffer),
        cmocka_unit_test(t_glob),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
