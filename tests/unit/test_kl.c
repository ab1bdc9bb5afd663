/*
 * test_kl.c — unit tests of src/util/kl.c: error records (first error wins, SQL offsets,
 * data positions, kl_err_set_offset), the counting allocator (exact accounting, realloc,
 * calloc overflow, memory limit, fault injection, peak), arenas (alignment, unaligned byte
 * packing, big pieces, reset), kl_buf growth, kl_parse_size and kl_hash_bytes stability.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <xxhash.h>

#include "util/kl.h"

/* ---- errors ------------------------------------------------------------------------ */

static void test_err_first_wins(void **state) {
    (void)state;
    kl_error e;
    kiln_error_clear(&e);
    assert_int_equal(e.code, KILN_OK);
    assert_int_equal(e.sql_offset, -1);
    assert_false(kl_err_is_set(&e));
    assert_false(kl_err_is_set(NULL));

    assert_int_equal(kl_err(&e, KILN_ERR_IO, "cannot open %s", "x.csv"), KILN_ERR_IO);
    assert_true(kl_err_is_set(&e));
    assert_int_equal(e.code, KILN_ERR_IO);
    assert_string_equal(e.message, "cannot open x.csv");
    /* a second error returns its own code but does not overwrite the first */
    assert_int_equal(kl_err(&e, KILN_ERR_MEMORY, "oom %d", 1), KILN_ERR_MEMORY);
    assert_int_equal(e.code, KILN_ERR_IO);
    assert_string_equal(e.message, "cannot open x.csv");
    /* NULL record: just the code */
    assert_int_equal(kl_err(NULL, KILN_ERR_DATA, "x"), KILN_ERR_DATA);

    kiln_error_clear(&e);
    assert_int_equal(e.code, KILN_OK);
    assert_string_equal(e.message, "");
    kiln_error_clear(NULL);
}

static int try_helper(kl_error *e, int fail) {
    FAIL_IF(fail == 1, e, KILN_ERR_INVALID, "bad %s", "arg");
    TRY(fail == 2 ? kl_err(e, KILN_ERR_OVERFLOW, "overflow") : 0);
    return 0;
}

static void test_err_macros(void **state) {
    (void)state;
    kl_error e;
    kiln_error_clear(&e);
    assert_int_equal(try_helper(&e, 0), 0);
    assert_false(kl_err_is_set(&e));
    assert_int_equal(try_helper(&e, 1), KILN_ERR_INVALID);
    assert_string_equal(e.message, "bad arg");
    kiln_error_clear(&e);
    assert_int_equal(try_helper(&e, 2), KILN_ERR_OVERFLOW);
    assert_string_equal(e.message, "overflow");
}

static void test_err_at_offsets(void **state) {
    (void)state;
    kl_error e;
    kiln_error_clear(&e);
    assert_int_equal(kl_err_at(&e, KILN_ERR_SYNTAX, 17, "syntax error at or near \"%s\"", "FORM"),
                     KILN_ERR_SYNTAX);
    assert_int_equal(e.sql_offset, 17);
    assert_string_equal(e.message, "syntax error at or near \"FORM\"");
    assert_string_equal(e.file, "");
    /* later kl_err_at neither changes the message nor the offset */
    kl_err_at(&e, KILN_ERR_BINDER, 3, "other");
    assert_int_equal(e.code, KILN_ERR_SYNTAX);
    assert_int_equal(e.sql_offset, 17);
    /* a plain kl_err has no offset */
    kiln_error_clear(&e);
    kl_err(&e, KILN_ERR_BINDER, "x");
    assert_int_equal(e.sql_offset, -1);
    /* kl_err_at with NULL record */
    assert_int_equal(kl_err_at(NULL, KILN_ERR_SYNTAX, 5, "x"), KILN_ERR_SYNTAX);
}

static void test_err_data_position(void **state) {
    (void)state;
    kl_error e;
    kiln_error_clear(&e);
    assert_int_equal(kl_err_data(&e, KILN_ERR_DATA, "data/x.csv", 12, 3, "too many fields (%d)", 5),
                     KILN_ERR_DATA);
    assert_int_equal(e.code, KILN_ERR_DATA);
    assert_string_equal(e.file, "data/x.csv");
    assert_int_equal(e.line, 12);
    assert_int_equal(e.column, 3);
    assert_int_equal(e.sql_offset, -1);
    assert_string_equal(e.message, "too many fields (5)");
    /* a second data error does not move the position */
    kl_err_data(&e, KILN_ERR_DATA, "other.csv", 99, 9, "y");
    assert_string_equal(e.file, "data/x.csv");
    assert_int_equal(e.line, 12);
    assert_int_equal(e.column, 3);
    /* NULL file name gives "" */
    kiln_error_clear(&e);
    kl_err_data(&e, KILN_ERR_DATA, NULL, 1, 0, "z");
    assert_string_equal(e.file, "");
    assert_int_equal(e.line, 1);
    assert_int_equal(e.column, 0);
    /* kl_err_data after an existing SQL error keeps the SQL error */
    kiln_error_clear(&e);
    kl_err_at(&e, KILN_ERR_SYNTAX, 4, "s");
    kl_err_data(&e, KILN_ERR_DATA, "f.csv", 2, 2, "d");
    assert_int_equal(e.code, KILN_ERR_SYNTAX);
    assert_string_equal(e.file, "");
    assert_int_equal(e.line, 0);
    assert_int_equal(e.sql_offset, 4);
}

static void test_err_set_offset(void **state) {
    (void)state;
    kl_error e;
    kiln_error_clear(&e);
    /* not set: no effect */
    kl_err_set_offset(&e, 10);
    assert_int_equal(e.sql_offset, -1);
    assert_int_equal(e.code, KILN_OK);
    /* set without offset: offset attached */
    kl_err(&e, KILN_ERR_BINDER, "unknown");
    kl_err_set_offset(&e, 10);
    assert_int_equal(e.sql_offset, 10);
    /* already has an offset: unchanged */
    kl_err_set_offset(&e, 20);
    assert_int_equal(e.sql_offset, 10);
    /* data errors never get an SQL offset */
    kiln_error_clear(&e);
    kl_err_data(&e, KILN_ERR_DATA, "f.csv", 3, 1, "bad");
    kl_err_set_offset(&e, 7);
    assert_int_equal(e.sql_offset, -1);
    kl_err_set_offset(NULL, 7);
}

/* ---- allocator --------------------------------------------------------------------- */

static void test_mem_counting(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    char *a = kl_malloc(100);
    assert_non_null(a);
    assert_int_equal(kl_mem_in_use(), base + 100);
    char *b = kl_malloc(1);
    assert_non_null(b);
    assert_int_equal(kl_mem_in_use(), base + 101);
    memset(a, 'x', 100);
    kl_free(a);
    assert_int_equal(kl_mem_in_use(), base + 1);
    kl_free(b);
    assert_int_equal(kl_mem_in_use(), base);
    kl_free(NULL);
    assert_int_equal(kl_mem_in_use(), base);

    char *z = kl_calloc(10, 8);
    assert_non_null(z);
    assert_int_equal(kl_mem_in_use(), base + 80);
    for (int i = 0; i < 80; i++) assert_int_equal(z[i], 0);
    kl_free(z);

    char *s = kl_strdup("hello");
    assert_non_null(s);
    assert_string_equal(s, "hello");
    assert_int_equal(kl_mem_in_use(), base + 6);
    char *t = kl_strndup("hello world", 5);
    assert_string_equal(t, "hello");
    assert_int_equal(kl_mem_in_use(), base + 12);
    kl_free(s);
    kl_free(t);
    assert_int_equal(kl_mem_in_use(), base);

    void *zero = kl_malloc(0);
    assert_non_null(zero);
    assert_int_equal(kl_mem_in_use(), base);
    kl_free(zero);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_mem_realloc(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    /* realloc(NULL) == malloc */
    char *p = kl_realloc(NULL, 64);
    assert_non_null(p);
    assert_int_equal(kl_mem_in_use(), base + 64);
    for (int i = 0; i < 64; i++) p[i] = (char)i;
    /* grow keeps contents */
    p = kl_realloc(p, 4096);
    assert_non_null(p);
    assert_int_equal(kl_mem_in_use(), base + 4096);
    for (int i = 0; i < 64; i++) assert_int_equal(p[i], (char)i);
    /* shrink keeps prefix */
    p = kl_realloc(p, 16);
    assert_non_null(p);
    assert_int_equal(kl_mem_in_use(), base + 16);
    for (int i = 0; i < 16; i++) assert_int_equal(p[i], (char)i);
    /* same size */
    p = kl_realloc(p, 16);
    assert_non_null(p);
    assert_int_equal(kl_mem_in_use(), base + 16);
    /* size 0 frees */
    assert_null(kl_realloc(p, 0));
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_mem_calloc_overflow(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    assert_null(kl_calloc(SIZE_MAX / 2, 3));
    assert_null(kl_calloc((size_t)1 << 40, (size_t)1 << 40));
    assert_null(kl_malloc(SIZE_MAX));
    assert_null(kl_malloc(SIZE_MAX - 8));
    assert_int_equal(kl_mem_in_use(), base);
    /* n == 0 or size == 0 is fine */
    void *p = kl_calloc(0, 16);
    assert_non_null(p);
    kl_free(p);
    p = kl_calloc(16, 0);
    assert_non_null(p);
    kl_free(p);
    assert_int_equal(kl_mem_in_use(), base);
    /* failing realloc leaves the original block and accounting intact */
    char *q = kl_malloc(32);
    assert_non_null(q);
    assert_null(kl_realloc(q, SIZE_MAX));
    assert_int_equal(kl_mem_in_use(), base + 32);
    kl_free(q);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_mem_limit(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    assert_int_equal(kl_mem_limit(), 0);
    kl_mem_set_limit(base + 1000);
    assert_int_equal(kl_mem_limit(), base + 1000);
    /* above the limit fails and does not count */
    assert_null(kl_malloc(2000));
    assert_int_equal(kl_mem_in_use(), base);
    /* exactly at the limit is fine */
    char *a = kl_malloc(1000);
    assert_non_null(a);
    assert_int_equal(kl_mem_in_use(), base + 1000);
    assert_null(kl_malloc(1));
    kl_free(a);
    char *b = kl_malloc(600);
    assert_non_null(b);
    /* realloc growth over the limit fails, the block stays valid and counted */
    assert_null(kl_realloc(b, 1200));
    assert_int_equal(kl_mem_in_use(), base + 600);
    memset(b, 1, 600);
    /* shrinking is always allowed */
    b = kl_realloc(b, 100);
    assert_non_null(b);
    assert_int_equal(kl_mem_in_use(), base + 100);
    assert_null(kl_calloc(100, 10));
    kl_free(b);
    kl_mem_set_limit(0);
    assert_int_equal(kl_mem_limit(), 0);
    char *c = kl_malloc(1 << 20);
    assert_non_null(c);
    kl_free(c);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_mem_fail_after(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    for (long n = 1; n <= 5; n++) {
        kl_mem_fail_after(n);
        void *ptrs[8] = {0};
        for (long i = 1; i <= 7; i++) {
            ptrs[i] = kl_malloc(8);
            if (i == n) assert_null(ptrs[i]);
            else assert_non_null(ptrs[i]);
        }
        for (int i = 0; i < 8; i++) kl_free(ptrs[i]);
        assert_int_equal(kl_mem_in_use(), base);
    }
    /* realloc counts as an allocation too */
    char *p = kl_malloc(8);
    kl_mem_fail_after(1);
    assert_null(kl_realloc(p, 64));
    assert_int_equal(kl_mem_in_use(), base + 8);
    char *q = kl_realloc(p, 64); /* injection is one-shot */
    assert_non_null(q);
    kl_free(q);
    /* 0 disables */
    kl_mem_fail_after(2);
    kl_mem_fail_after(0);
    for (int i = 0; i < 4; i++) {
        void *r = kl_malloc(4);
        assert_non_null(r);
        kl_free(r);
    }
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_mem_peak(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_mem_reset_peak();
    assert_int_equal(kl_mem_peak(), base);
    char *a = kl_malloc(10000);
    char *b = kl_malloc(5000);
    assert_int_equal(kl_mem_peak(), base + 15000);
    kl_free(a);
    assert_int_equal(kl_mem_peak(), base + 15000);
    char *c = kl_malloc(100);
    assert_int_equal(kl_mem_peak(), base + 15000);
    b = kl_realloc(b, 20000);
    assert_int_equal(kl_mem_peak(), base + 20100);
    kl_free(b);
    kl_free(c);
    assert_int_equal(kl_mem_in_use(), base);
    assert_int_equal(kl_mem_peak(), base + 20100);
    kl_mem_reset_peak();
    assert_int_equal(kl_mem_peak(), base);
}

/* ---- arenas ------------------------------------------------------------------------ */

static void test_arena_alignment(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_arena a;
    kl_arena_init(&a, 1024);
    assert_int_equal(kl_arena_size(&a), 0);
    char *prev = NULL;
    for (size_t n = 1; n < 300; n += 7) {
        char *p = kl_arena_alloc(&a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, n);
        assert_true(p != prev);
        prev = p;
    }
    assert_true(kl_arena_size(&a) >= 1024);
    assert_true(kl_mem_in_use() > base);
    char *z = kl_arena_calloc(&a, 100);
    for (int i = 0; i < 100; i++) assert_int_equal(z[i], 0);
    char *s = kl_arena_strdup(&a, "kiln arena");
    assert_string_equal(s, "kiln arena");
    char *s2 = kl_arena_strndup(&a, "abcdef", 3);
    assert_string_equal(s2, "abc");
    kl_arena_free(&a);
    assert_int_equal(kl_mem_in_use(), base);
    /* default block size */
    kl_arena_init(&a, 0);
    assert_int_equal(a.block_size, 64 * 1024);
    assert_non_null(kl_arena_alloc(&a, 1));
    assert_int_equal(kl_arena_size(&a), 64 * 1024);
    kl_arena_free(&a);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_arena_bytes_packing(void **state) {
    (void)state;
    kl_arena a;
    kl_arena_init(&a, 4096);
    char *first = kl_arena_alloc_bytes(&a, 3);
    assert_non_null(first);
    memcpy(first, "abc", 3);
    assert_int_equal((uintptr_t)first % 16, 0);
    /* the first piece of an empty arena comes from a fresh block (aligned, rounded to 16);
       later byte pieces are packed with no padding */
    char *p = kl_arena_alloc_bytes(&a, 5);
    assert_ptr_equal(p, first + 16);
    memcpy(p, "hello", 5);
    for (int i = 0; i < 100; i++) {
        char *q = kl_arena_alloc_bytes(&a, 5);
        assert_ptr_equal(q, p + 5);
        memcpy(q, "hello", 5);
        p = q;
    }
    assert_memory_equal(first, "abc", 3);
    assert_memory_equal(first + 16, "hellohello", 10);
    assert_int_equal(kl_arena_size(&a), 4096);
    kl_arena_free(&a);
}

/* kl_arena_adopt: the pieces of the source stay valid and are freed with the destination,
   which keeps filling its own current block; adopting into an empty arena and from an empty
   one work too. */
static void test_arena_adopt(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_arena a, b, c;
    kl_arena_init(&a, 4096);
    kl_arena_init(&b, 4096);
    kl_arena_init(&c, 4096);
    char *pa = kl_arena_alloc_bytes(&a, 5);
    memcpy(pa, "aaaaa", 5);
    char *pb[3];
    for (int i = 0; i < 3; i++) { /* three blocks in b */
        pb[i] = kl_arena_alloc(&b, 3000);
        memset(pb[i], 'x' + i, 3000);
    }
    size_t size_a = kl_arena_size(&a), size_b = kl_arena_size(&b);
    kl_arena_adopt(&a, &b);
    assert_int_equal(kl_arena_size(&b), 0);
    assert_int_equal(kl_arena_size(&a), size_a + size_b);
    for (int i = 0; i < 3; i++) assert_int_equal(pb[i][2999], 'x' + i);
    /* a's current block is still a's first one (its first piece was rounded to 16 bytes) */
    char *next = kl_arena_alloc_bytes(&a, 5);
    assert_ptr_equal(next, pa + 16);
    kl_arena_adopt(&c, &a); /* into an empty arena */
    kl_arena_adopt(&c, &b); /* from an empty arena */
    assert_int_equal(kl_arena_size(&c), size_a + size_b);
    assert_memory_equal(pa, "aaaaa", 5);
    kl_arena_free(&a);
    kl_arena_free(&b);
    kl_arena_free(&c);
    assert_int_equal(kl_mem_in_use(), base);
}

/*
 * Regression: kl_arena_alloc must return 16-byte aligned memory also after
 * kl_arena_alloc_bytes() left the block's fill level at a non-multiple of 16 (it used to
 * round only the size, returning block offset 21 here).
 */
static void test_arena_alloc_aligned_after_bytes(void **state) {
    (void)state;
    kl_arena a;
    kl_arena_init(&a, 4096);
    assert_non_null(kl_arena_alloc_bytes(&a, 3));
    assert_non_null(kl_arena_alloc_bytes(&a, 5));
    char *al = kl_arena_alloc(&a, 8);
    uintptr_t mis = (uintptr_t)al % 16;
    kl_arena_free(&a); /* free before asserting so a failure does not leak */
    assert_int_equal(mis, 0);
}

static void test_arena_big_and_reset(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_arena a;
    kl_arena_init(&a, 4096);
    char *small = kl_arena_alloc(&a, 32);
    memset(small, 1, 32);
    size_t sz1 = kl_arena_size(&a);
    assert_int_equal(sz1, 4096);
    /* a piece that still fits the head block is served from it */
    char *mid = kl_arena_alloc(&a, 3000);
    assert_ptr_equal(mid, small + 32);
    memset(mid, 5, 3000);
    assert_int_equal(kl_arena_size(&a), 4096);
    /* > block/4 and not fitting: a dedicated block of exactly the (rounded) size */
    char *big = kl_arena_alloc(&a, 2000);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 16, 0);
    memset(big, 2, 2000);
    assert_int_equal(kl_arena_size(&a), 4096 + 2000);
    /* the head block keeps serving small requests right after the earlier ones */
    char *small2 = kl_arena_alloc(&a, 16);
    assert_ptr_equal(small2, small + 32 + 3008);
    /* a huge piece larger than a block */
    char *huge = kl_arena_alloc(&a, 100000);
    assert_non_null(huge);
    memset(huge, 3, 100000);
    assert_int_equal(kl_arena_size(&a), 4096 + 2000 + 100000);
    /* fill the head (1040 bytes left), then a small piece that does not fit starts a new
       head block */
    char *fill = kl_arena_alloc(&a, 1024);
    assert_ptr_equal(fill, small2 + 16);
    assert_int_equal(kl_arena_size(&a), 4096 + 2000 + 100000);
    char *small3 = kl_arena_alloc(&a, 32);
    assert_non_null(small3);
    assert_int_equal(kl_arena_size(&a), 2 * 4096 + 2000 + 100000);
    assert_int_equal(big[1999], 2);
    assert_int_equal(mid[2999], 5);
    assert_int_equal(small[31], 1);
    /* big byte allocation on an empty arena */
    kl_arena b;
    kl_arena_init(&b, 1024);
    char *bb = kl_arena_alloc_bytes(&b, 5000);
    assert_non_null(bb);
    memset(bb, 4, 5000);
    kl_arena_free(&b);

    kl_arena_reset(&a);
    assert_int_equal(kl_arena_size(&a), 0);
    assert_int_equal(kl_mem_in_use(), base);
    /* still usable after reset */
    char *again = kl_arena_alloc(&a, 10);
    assert_non_null(again);
    assert_true(kl_mem_in_use() > base);
    kl_arena_free(&a);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_arena_oom(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_arena a;
    kl_arena_init(&a, 1024);
    kl_mem_fail_after(1);
    assert_null(kl_arena_alloc(&a, 8));
    char *x = kl_arena_strdup(&a, "x"); /* injection is one-shot: this succeeds */
    assert_non_null(x);
    assert_string_equal(x, "x");
    kl_mem_fail_after(1);
    assert_null(kl_arena_alloc(&a, 5000)); /* big piece needs a new block */
    kl_mem_fail_after(0);
    kl_arena_free(&a);
    assert_int_equal(kl_mem_in_use(), base);
}

/* ---- buffers ----------------------------------------------------------------------- */

static void test_buf_growth(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_buf b = {0};
    assert_int_equal(kl_buf_puts(&b, "abc"), 0);
    assert_string_equal(b.data, "abc");
    assert_int_equal(b.len, 3);
    assert_true(b.cap >= 4);
    for (int i = 0; i < 1000; i++) assert_int_equal(kl_buf_putc(&b, (char)('a' + i % 26)), 0);
    assert_int_equal(b.len, 1003);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(b.data[3], 'a');
    assert_int_equal(b.data[3 + 25], 'z');
    assert_int_equal(b.data[1002], (char)('a' + 999 % 26));
    assert_int_equal(kl_buf_printf(&b, "|%d|%s|%.2f", 42, "x", 1.5), 0);
    assert_int_equal(b.len, 1003 + strlen("|42|x|1.50"));
    assert_string_equal(b.data + 1003, "|42|x|1.50");
    /* a printf larger than the current capacity */
    char big[5000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(kl_buf_printf(&b, "%s!", big), 0);
    assert_int_equal(b.len, 1003 + 10 + 4999 + 1);
    assert_int_equal(b.data[b.len - 1], '!');
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(kl_mem_in_use(), base + b.cap);
    /* append binary data with NULs */
    size_t before = b.len;
    assert_int_equal(kl_buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, before + 3);
    assert_memory_equal(b.data + before, "a\0b", 3);
    kl_buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    kl_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
    assert_int_equal(kl_mem_in_use(), base);
    /* clear on an empty buffer is fine */
    kl_buf_clear(&b);
    kl_buf_free(&b);
}

static void test_buf_oom(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_buf b = {0};
    kl_mem_fail_after(1);
    assert_int_equal(kl_buf_puts(&b, "abc"), KILN_ERR_MEMORY);
    assert_null(b.data);
    assert_int_equal(kl_buf_puts(&b, "abc"), 0);
    char big[600];
    memset(big, 'z', sizeof big);
    kl_mem_fail_after(1);
    assert_int_equal(kl_buf_append(&b, big, sizeof big), KILN_ERR_MEMORY);
    assert_string_equal(b.data, "abc"); /* unchanged on failure */
    assert_int_equal(b.len, 3);
    kl_mem_fail_after(1);
    assert_int_equal(kl_buf_printf(&b, "%600s", "x"), KILN_ERR_MEMORY);
    assert_string_equal(b.data, "abc");
    kl_mem_fail_after(0);
    kl_buf_free(&b);
    assert_int_equal(kl_mem_in_use(), base);
}

/* ---- kl_parse_size ----------------------------------------------------------------- */

static void test_parse_size_valid(void **state) {
    (void)state;
    size_t v = 1;
    assert_int_equal(kl_parse_size("4GB", &v), 0);
    assert_int_equal(v, 4000000000ULL);
    assert_int_equal(kl_parse_size("512MB", &v), 0);
    assert_int_equal(v, 512000000ULL);
    assert_int_equal(kl_parse_size("1.5GB", &v), 0);
    assert_int_equal(v, 1500000000ULL);
    assert_int_equal(kl_parse_size("100kb", &v), 0);
    assert_int_equal(v, 100000);
    assert_int_equal(kl_parse_size("12345", &v), 0);
    assert_int_equal(v, 12345);
    assert_int_equal(kl_parse_size("1GiB", &v), 0);
    assert_int_equal(v, 1073741824ULL);
    assert_int_equal(kl_parse_size("2MiB", &v), 0);
    assert_int_equal(v, 2097152);
    assert_int_equal(kl_parse_size("3KiB", &v), 0);
    assert_int_equal(v, 3072);
    assert_int_equal(kl_parse_size("1TB", &v), 0);
    assert_int_equal(v, 1000000000000ULL);
    assert_int_equal(kl_parse_size(" 8 mb ", &v), 0);
    assert_int_equal(v, 8000000);
    assert_int_equal(kl_parse_size("10B", &v), 0);
    assert_int_equal(v, 10);
    assert_int_equal(kl_parse_size("2g", &v), 0);
    assert_int_equal(v, 2000000000ULL);
    v = 7;
    assert_int_equal(kl_parse_size("0", &v), 0);
    assert_int_equal(v, 0);
}

static void test_parse_size_invalid(void **state) {
    (void)state;
    const char *bad[] = {"abc", "-1GB", "4XB", "", "GB", "4 GB x", "1e30", "4GBB", "-5", "  ", "inf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t v = 777;
        if (kl_parse_size(bad[i], &v) != -1) fail_msg("kl_parse_size(\"%s\") accepted", bad[i]);
        assert_int_equal(v, 777); /* untouched on failure */
    }
}

/*
 * Regression: "nan" used to be accepted (NaN passes `v < 0` and `bytes >= 1.8e19`, and the
 * (size_t) cast of NaN is undefined behaviour), so SET memory_limit = 'nan' set an arbitrary
 * limit.
 */
static void test_parse_size_rejects_nan(void **state) {
    (void)state;
    size_t v = 777;
    assert_int_equal(kl_parse_size("nan", &v), -1);
    assert_int_equal(kl_parse_size("NaN", &v), -1);
    assert_int_equal(kl_parse_size("-nan", &v), -1);
    assert_int_equal(kl_parse_size("nanGB", &v), -1);
    assert_int_equal(v, 777);
}

/* ---- hashing ----------------------------------------------------------------------- */

static void test_hash_stable(void **state) {
    (void)state;
    uint64_t h = kl_hash_bytes("kiln", 4);
    assert_true(h == XXH3_64bits("kiln", 4));
    assert_true(h == 0x5c14e8865e2aa02aULL); /* fixed: must never change across builds */
    assert_true(kl_hash_bytes("kiln", 4) == h);
    assert_true(kl_hash_bytes("kilo", 4) != h);
    assert_true(kl_hash_bytes("", 0) == XXH3_64bits("", 0));
    /* the integer mixer is deterministic and spreads neighbours */
    assert_true(kl_hash_u64(1) == kl_hash_u64(1));
    assert_true(kl_hash_u64(1) != kl_hash_u64(2));
    assert_true(kl_hash_u64(0) == 0);
    assert_true(kl_hash_combine(1, 2) != kl_hash_combine(2, 1));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_first_wins),
        cmocka_unit_test(test_err_macros),
        cmocka_unit_test(test_err_at_offsets),
        cmocka_unit_test(test_err_data_position),
        cmocka_unit_test(test_err_set_offset),
        cmocka_unit_test(test_mem_counting),
        cmocka_unit_test(test_mem_realloc),
        cmocka_unit_test(test_mem_calloc_overflow),
        cmocka_unit_test(test_mem_limit),
        cmocka_unit_test(test_mem_fail_after),
        cmocka_unit_test(test_mem_peak),
        cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_bytes_packing),
        cmocka_unit_test(test_arena_adopt),
        cmocka_unit_test(test_arena_alloc_aligned_after_bytes),
        cmocka_unit_test(test_arena_big_and_reset),
        cmocka_unit_test(test_arena_oom),
        cmocka_unit_test(test_buf_growth),
        cmocka_unit_test(test_buf_oom),
        cmocka_unit_test(test_parse_size_valid),
        cmocka_unit_test(test_parse_size_invalid),
        cmocka_unit_test(test_parse_size_rejects_nan),
        cmocka_unit_test(test_hash_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
