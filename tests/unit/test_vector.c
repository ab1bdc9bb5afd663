/*
 * test_vector.c — unit tests of column vectors, chunks and in-memory tables
 * (src/exec/vector.c, src/exec/table.c): init/free per type, NULL-typed vectors, string
 * ownership (vec_set_string, vec_copy_row, vec_copy_rows deep copies), gather/broadcast/
 * ref_rows, reset/retype, chunks, vec_format_value for every type, table_append across many
 * chunks, table_append_mapped, and memory accounting back to the baseline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <math.h>

#include "exec/table.h"
#include "util/textconv.h"

static const kl_type ALL_TYPES[] = {KILN_TYPE_NULL,    KILN_TYPE_BOOLEAN, KILN_TYPE_BIGINT,
                                    KILN_TYPE_DOUBLE,  KILN_TYPE_VARCHAR, KILN_TYPE_DATE,
                                    KILN_TYPE_TIMESTAMP};
#define N_ALL_TYPES (sizeof ALL_TYPES / sizeof ALL_TYPES[0])

/* Format one value into a static buffer; returns NULL for a NULL value. */
static const char *fmt(const kl_vec *v, uint32_t row) {
    static char out[256];
    kl_buf b = {0};
    bool ok = vec_format_value(v, row, &b);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    kl_buf_free(&b);
    return ok ? out : NULL;
}

static void set_str(kl_vec *v, uint32_t row, const char *s) {
    assert_int_equal(vec_set_string(v, row, s, strlen(s)), 0);
}

/* Row holds exactly s (bytes and length). vec_copy_rows packs strings without a terminator,
   so only strings stored by vec_set_string are checked for a trailing NUL (assert_str_at). */
static void assert_str_eq(const kl_vec *v, uint32_t row, const char *s) {
    assert_false(vec_is_null(v, row));
    kl_str x = VEC_STR(v)[row];
    assert_int_equal(x.len, strlen(s));
    assert_memory_equal(x.ptr, s, x.len);
}

static void assert_str_at(const kl_vec *v, uint32_t row, const char *s) {
    assert_str_eq(v, row, s);
    assert_int_equal(VEC_STR(v)[row].ptr[VEC_STR(v)[row].len], '\0');
}

/* ---- init / free ------------------------------------------------------------------ */

static void test_type_sizes(void **state) {
    (void)state;
    assert_int_equal(kl_type_size(KILN_TYPE_NULL), 0);
    assert_int_equal(kl_type_size(KILN_TYPE_BOOLEAN), 1);
    assert_int_equal(kl_type_size(KILN_TYPE_BIGINT), 8);
    assert_int_equal(kl_type_size(KILN_TYPE_DOUBLE), 8);
    assert_int_equal(kl_type_size(KILN_TYPE_VARCHAR), sizeof(kl_str));
    assert_int_equal(kl_type_size(KILN_TYPE_DATE), 4);
    assert_int_equal(kl_type_size(KILN_TYPE_TIMESTAMP), 8);
    assert_int_equal(kl_type_size(KILN_TYPE__COUNT), 0);
}

static void test_vec_init_free_each_type(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    for (size_t t = 0; t < N_ALL_TYPES; t++) {
        kl_vec v;
        assert_int_equal(vec_init(&v, ALL_TYPES[t], 100), 0);
        assert_int_equal(v.type, ALL_TYPES[t]);
        assert_int_equal(v.cap, 100);
        assert_non_null(v.nulls);
        size_t sz = kl_type_size(ALL_TYPES[t]);
        /* nulls (cap bytes) + data (cap * size) are counted exactly */
        assert_int_equal(kl_mem_in_use(), base + 100 + 100 * sz);
        if (sz) {
            assert_non_null(v.data);
            assert_false(v.has_nulls);
            for (uint32_t i = 0; i < 100; i++) assert_false(vec_is_null(&v, i));
            /* every row is writable */
            memset(v.data, 0x5a, 100 * sz);
        } else {
            assert_null(v.data);
        }
        vec_free(&v);
        assert_null(v.nulls);
        assert_null(v.data);
        assert_int_equal(kl_mem_in_use(), base);
        vec_free(&v); /* double free of a freed vector is harmless */
    }
    vec_free(NULL);
    /* cap 0 still allocates something usable */
    kl_vec z;
    assert_int_equal(vec_init(&z, KILN_TYPE_BIGINT, 0), 0);
    assert_non_null(z.nulls);
    assert_non_null(z.data);
    vec_free(&z);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_vec_init_oom(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    for (long n = 1; n <= 2; n++) {
        kl_vec v;
        kl_mem_fail_after(n);
        assert_int_equal(vec_init(&v, KILN_TYPE_DOUBLE, 64), KILN_ERR_MEMORY);
        kl_mem_fail_after(0);
        vec_free(&v); /* safe after a failed init */
        assert_int_equal(kl_mem_in_use(), base);
    }
    kl_type types[3] = {KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR, KILN_TYPE_DATE};
    for (long n = 1; n <= 7; n++) {
        kl_chunk c;
        kl_mem_fail_after(n);
        assert_int_equal(chunk_init(&c, types, 3, 16), KILN_ERR_MEMORY);
        kl_mem_fail_after(0);
        chunk_free(&c);
        assert_int_equal(kl_mem_in_use(), base);
    }
}

static void test_null_typed_vector(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_vec v;
    assert_int_equal(vec_init(&v, KILN_TYPE_NULL, 50), 0);
    assert_true(v.has_nulls);
    for (uint32_t i = 0; i < 50; i++) {
        assert_true(vec_is_null(&v, i));
        assert_null(fmt(&v, i));
    }
    vec_reset(&v);
    assert_true(v.has_nulls);
    for (uint32_t i = 0; i < 50; i++) assert_true(vec_is_null(&v, i));

    /* copying a NULL-typed source into a typed vector gives NULLs */
    kl_vec d;
    assert_int_equal(vec_init(&d, KILN_TYPE_BIGINT, 50), 0);
    assert_int_equal(vec_copy_row(&d, 3, &v, 7), 0);
    assert_true(vec_is_null(&d, 3));
    assert_true(d.has_nulls);
    vec_reset(&d);
    assert_int_equal(vec_copy_rows(&d, 10, &v, 0, 5), 0);
    for (uint32_t i = 0; i < 50; i++) assert_int_equal(vec_is_null(&d, i), i >= 10 && i < 15);
    vec_reset(&d);
    uint32_t sel[3] = {1, 2, 3};
    vec_gather(&d, &v, sel, 3);
    assert_true(d.has_nulls);
    for (uint32_t i = 0; i < 3; i++) assert_true(vec_is_null(&d, i));
    vec_reset(&d);
    vec_broadcast(&d, &v, 0, 20);
    for (uint32_t i = 0; i < 20; i++) assert_true(vec_is_null(&d, i));
    assert_false(vec_is_null(&d, 20));
    /* copying into a NULL-typed vector is a no-op */
    VEC_I64(&d)[0] = 1;
    d.nulls[0] = 0;
    assert_int_equal(vec_copy_rows(&v, 0, &d, 0, 1), 0);
    assert_true(vec_is_null(&v, 0));
    vec_free(&d);
    vec_free(&v);
    assert_int_equal(kl_mem_in_use(), base);
}

/* ---- strings ---------------------------------------------------------------------- */

static void test_set_string_copies(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_vec v;
    assert_int_equal(vec_init(&v, KILN_TYPE_VARCHAR, 8), 0);
    char src[32];
    strcpy(src, "hello world");
    assert_int_equal(vec_set_string(&v, 0, src, 5), 0);
    strcpy(src, "HELLO WORLD");
    assert_str_at(&v, 0, "hello");
    /* empty string and embedded NUL */
    assert_int_equal(vec_set_string(&v, 1, "", 0), 0);
    assert_str_at(&v, 1, "");
    assert_int_equal(vec_set_string(&v, 2, "a\0b", 3), 0);
    assert_int_equal(VEC_STR(&v)[2].len, 3);
    assert_memory_equal(VEC_STR(&v)[2].ptr, "a\0b", 3);
    /* a string over a NULL row makes it valid */
    vec_set_null(&v, 3);
    assert_true(vec_is_null(&v, 3));
    set_str(&v, 3, "x");
    assert_str_at(&v, 3, "x");
    /* a long string (bigger than an arena block) */
    size_t big_n = 100000;
    char *big = malloc(big_n);
    memset(big, 'k', big_n);
    assert_int_equal(vec_set_string(&v, 4, big, big_n), 0);
    big[0] = 'z';
    assert_int_equal(VEC_STR(&v)[4].len, big_n);
    assert_int_equal(VEC_STR(&v)[4].ptr[0], 'k');
    assert_int_equal(VEC_STR(&v)[4].ptr[big_n - 1], 'k');
    free(big);
    assert_string_equal(fmt(&v, 0), "hello");
    assert_string_equal(fmt(&v, 1), "");
    /* OOM is reported */
    kl_vec w;
    assert_int_equal(vec_init(&w, KILN_TYPE_VARCHAR, 2), 0);
    kl_mem_fail_after(1);
    assert_int_equal(vec_set_string(&w, 0, "abc", 3), KILN_ERR_MEMORY);
    kl_mem_fail_after(0);
    vec_free(&w);
    vec_free(&v);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_copy_row(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_vec s, d;
    assert_int_equal(vec_init(&s, KILN_TYPE_VARCHAR, 4), 0);
    assert_int_equal(vec_init(&d, KILN_TYPE_VARCHAR, 4), 0);
    set_str(&s, 0, "alpha");
    vec_set_null(&s, 1);
    set_str(&s, 2, "");
    assert_int_equal(vec_copy_row(&d, 3, &s, 0), 0);
    assert_int_equal(vec_copy_row(&d, 2, &s, 1), 0);
    assert_int_equal(vec_copy_row(&d, 1, &s, 2), 0);
    vec_free(&s); /* dst owns its own bytes */
    assert_str_at(&d, 3, "alpha");
    assert_true(vec_is_null(&d, 2));
    assert_true(d.has_nulls);
    assert_str_at(&d, 1, "");
    /* a valid value over a NULL row clears the NULL flag */
    kl_vec s2;
    assert_int_equal(vec_init(&s2, KILN_TYPE_VARCHAR, 1), 0);
    set_str(&s2, 0, "beta");
    assert_int_equal(vec_copy_row(&d, 2, &s2, 0), 0);
    assert_str_at(&d, 2, "beta");
    vec_free(&s2);
    vec_free(&d);

    /* fixed-width types */
    kl_type fixed[] = {KILN_TYPE_BOOLEAN, KILN_TYPE_BIGINT, KILN_TYPE_DOUBLE, KILN_TYPE_DATE,
                       KILN_TYPE_TIMESTAMP};
    for (size_t t = 0; t < 5; t++) {
        assert_int_equal(vec_init(&s, fixed[t], 3), 0);
        assert_int_equal(vec_init(&d, fixed[t], 3), 0);
        switch (fixed[t]) {
        case KILN_TYPE_BOOLEAN: VEC_U8(&s)[0] = 1; break;
        case KILN_TYPE_BIGINT: VEC_I64(&s)[0] = INT64_MIN; break;
        case KILN_TYPE_DOUBLE: VEC_F64(&s)[0] = -2.5; break;
        case KILN_TYPE_DATE: VEC_I32(&s)[0] = -719528; break;
        default: VEC_I64(&s)[0] = 1234567890123LL; break;
        }
        vec_set_null(&s, 1);
        assert_int_equal(vec_copy_row(&d, 2, &s, 0), 0);
        assert_int_equal(vec_copy_row(&d, 0, &s, 1), 0);
        size_t sz = kl_type_size(fixed[t]);
        assert_memory_equal((char *)d.data + 2 * sz, s.data, sz);
        assert_false(vec_is_null(&d, 2));
        assert_true(vec_is_null(&d, 0));
        vec_free(&s);
        vec_free(&d);
    }
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_copy_rows_offsets_deep(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_vec s, d;
    assert_int_equal(vec_init(&s, KILN_TYPE_VARCHAR, 10), 0);
    assert_int_equal(vec_init(&d, KILN_TYPE_VARCHAR, 20), 0);
    char tmp[32];
    for (uint32_t i = 0; i < 10; i++) {
        if (i % 3 == 1) {
            vec_set_null(&s, i);
            continue;
        }
        snprintf(tmp, sizeof tmp, "str-%u-%s", i, i % 2 ? "odd" : "even");
        set_str(&s, i, tmp);
    }
    set_str(&d, 0, "keep");
    /* copy s[2..9) to d[5..12) */
    assert_int_equal(vec_copy_rows(&d, 5, &s, 2, 7), 0);
    /* overwrite and free the source: dst must stay valid (ASan checks the reads) */
    for (uint32_t i = 0; i < 10; i++)
        if (!vec_is_null(&s, i)) memset((char *)VEC_STR(&s)[i].ptr, '#', VEC_STR(&s)[i].len);
    vec_free(&s);
    assert_str_at(&d, 0, "keep");
    assert_true(d.has_nulls);
    for (uint32_t i = 2; i < 9; i++) {
        uint32_t r = 5 + (i - 2);
        if (i % 3 == 1) {
            assert_true(vec_is_null(&d, r));
            continue;
        }
        snprintf(tmp, sizeof tmp, "str-%u-%s", i, i % 2 ? "odd" : "even");
        assert_false(vec_is_null(&d, r));
        kl_str x = VEC_STR(&d)[r];
        assert_int_equal(x.len, strlen(tmp));
        assert_memory_equal(x.ptr, tmp, x.len);
    }
    for (uint32_t r = 12; r < 20; r++) assert_false(vec_is_null(&d, r));
    /* all-NULL and zero-length runs */
    kl_vec n;
    assert_int_equal(vec_init(&n, KILN_TYPE_VARCHAR, 4), 0);
    for (uint32_t i = 0; i < 4; i++) vec_set_null(&n, i);
    assert_int_equal(vec_copy_rows(&d, 15, &n, 0, 4), 0);
    for (uint32_t r = 15; r < 19; r++) assert_true(vec_is_null(&d, r));
    assert_int_equal(vec_copy_rows(&d, 19, &n, 0, 0), 0);
    vec_free(&n);

    /* fixed-width with offsets */
    kl_vec a, b;
    assert_int_equal(vec_init(&a, KILN_TYPE_DATE, 10), 0);
    assert_int_equal(vec_init(&b, KILN_TYPE_DATE, 10), 0);
    for (int32_t i = 0; i < 10; i++) VEC_I32(&a)[i] = i * 100;
    vec_set_null(&a, 4);
    for (int32_t i = 0; i < 10; i++) VEC_I32(&b)[i] = -1;
    assert_int_equal(vec_copy_rows(&b, 1, &a, 3, 4), 0);
    assert_int_equal(VEC_I32(&b)[0], -1);
    assert_int_equal(VEC_I32(&b)[1], 300);
    assert_true(vec_is_null(&b, 2));
    assert_int_equal(VEC_I32(&b)[3], 500);
    assert_int_equal(VEC_I32(&b)[4], 600);
    assert_int_equal(VEC_I32(&b)[5], -1);
    assert_true(b.has_nulls);
    vec_free(&a);
    vec_free(&b);
    vec_free(&d);
    assert_int_equal(kl_mem_in_use(), base);
}

/* ---- gather / broadcast / ref ----------------------------------------------------- */

static void test_gather(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_vec s, d, ss, ds;
    assert_int_equal(vec_init(&s, KILN_TYPE_BIGINT, 10), 0);
    assert_int_equal(vec_init(&d, KILN_TYPE_BIGINT, 10), 0);
    for (int64_t i = 0; i < 10; i++) VEC_I64(&s)[i] = i * 11;
    uint32_t sel[4] = {9, 0, 5, 5};
    vec_gather(&d, &s, sel, 4);
    assert_false(d.has_nulls);
    assert_int_equal(VEC_I64(&d)[0], 99);
    assert_int_equal(VEC_I64(&d)[1], 0);
    assert_int_equal(VEC_I64(&d)[2], 55);
    assert_int_equal(VEC_I64(&d)[3], 55);
    /* with NULLs in the source */
    vec_set_null(&s, 5);
    vec_gather(&d, &s, sel, 4);
    assert_true(d.has_nulls);
    assert_false(vec_is_null(&d, 0));
    assert_false(vec_is_null(&d, 1));
    assert_true(vec_is_null(&d, 2));
    assert_true(vec_is_null(&d, 3));
    /* selection avoiding the NULL: has_nulls false and mask zeroed */
    uint32_t sel2[3] = {1, 2, 3};
    vec_gather(&d, &s, sel2, 3);
    assert_false(d.has_nulls);
    for (uint32_t i = 0; i < 3; i++) assert_false(vec_is_null(&d, i));
    /* source without NULLs into a dst that had NULLs */
    vec_set_null(&d, 0);
    vec_set_null(&d, 1);
    kl_vec s0;
    assert_int_equal(vec_init(&s0, KILN_TYPE_BIGINT, 10), 0);
    for (int64_t i = 0; i < 10; i++) VEC_I64(&s0)[i] = -i;
    vec_gather(&d, &s0, sel, 2);
    assert_false(d.has_nulls);
    assert_false(vec_is_null(&d, 0));
    assert_false(vec_is_null(&d, 1));
    assert_int_equal(VEC_I64(&d)[0], -9);
    vec_free(&s0);

    /* strings: by reference */
    assert_int_equal(vec_init(&ss, KILN_TYPE_VARCHAR, 5), 0);
    assert_int_equal(vec_init(&ds, KILN_TYPE_VARCHAR, 5), 0);
    const char *w[5] = {"a", "bb", NULL, "dddd", "eeeee"};
    for (uint32_t i = 0; i < 5; i++) {
        if (w[i]) set_str(&ss, i, w[i]);
        else vec_set_null(&ss, i);
    }
    uint32_t sel3[3] = {4, 2, 1};
    vec_gather(&ds, &ss, sel3, 3);
    assert_ptr_equal(VEC_STR(&ds)[0].ptr, VEC_STR(&ss)[4].ptr);
    assert_str_at(&ds, 0, "eeeee");
    assert_true(vec_is_null(&ds, 1));
    assert_str_at(&ds, 2, "bb");
    /* booleans (1 byte) and dates (4 bytes) */
    kl_vec bs, bd;
    assert_int_equal(vec_init(&bs, KILN_TYPE_BOOLEAN, 4), 0);
    assert_int_equal(vec_init(&bd, KILN_TYPE_DATE, 4), 0);
    for (uint32_t i = 0; i < 4; i++) VEC_U8(&bs)[i] = i & 1;
    for (uint32_t i = 0; i < 4; i++) VEC_I32(&bd)[i] = (int32_t)i * 7;
    uint32_t sel4[4] = {3, 2, 1, 0};
    kl_vec bo, dd;
    assert_int_equal(vec_init(&bo, KILN_TYPE_BOOLEAN, 4), 0);
    assert_int_equal(vec_init(&dd, KILN_TYPE_DATE, 4), 0);
    vec_gather(&bo, &bs, sel4, 4);
    vec_gather(&dd, &bd, sel4, 4);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(VEC_U8(&bo)[i], (3 - i) & 1);
        assert_int_equal(VEC_I32(&dd)[i], (int32_t)(3 - i) * 7);
    }
    vec_free(&bs);
    vec_free(&bd);
    vec_free(&bo);
    vec_free(&dd);
    vec_free(&ss);
    vec_free(&ds);
    vec_free(&s);
    vec_free(&d);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_broadcast_and_ref_rows(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_vec s, d;
    assert_int_equal(vec_init(&s, KILN_TYPE_DOUBLE, 4), 0);
    assert_int_equal(vec_init(&d, KILN_TYPE_DOUBLE, 100), 0);
    VEC_F64(&s)[0] = 1.5;
    VEC_F64(&s)[1] = -7.25;
    vec_set_null(&s, 2);
    vec_broadcast(&d, &s, 2, 100);
    assert_true(d.has_nulls);
    for (uint32_t i = 0; i < 100; i++) assert_true(vec_is_null(&d, i));
    vec_broadcast(&d, &s, 1, 100);
    assert_false(d.has_nulls);
    for (uint32_t i = 0; i < 100; i++) {
        assert_false(vec_is_null(&d, i));
        assert_true(VEC_F64(&d)[i] == -7.25);
    }
    /* in place: broadcast row 0 of a vector over itself */
    VEC_F64(&d)[0] = 3.0;
    vec_broadcast(&d, &d, 0, 10);
    for (uint32_t i = 0; i < 10; i++) assert_true(VEC_F64(&d)[i] == 3.0);
    assert_true(VEC_F64(&d)[10] == -7.25);

    /* strings broadcast by reference */
    kl_vec ss, ds;
    assert_int_equal(vec_init(&ss, KILN_TYPE_VARCHAR, 2), 0);
    assert_int_equal(vec_init(&ds, KILN_TYPE_VARCHAR, 8), 0);
    set_str(&ss, 1, "same");
    vec_broadcast(&ds, &ss, 1, 8);
    for (uint32_t i = 0; i < 8; i++) {
        assert_ptr_equal(VEC_STR(&ds)[i].ptr, VEC_STR(&ss)[1].ptr);
        assert_str_at(&ds, i, "same");
    }

    /* ref_rows: values and mask copied, strings by reference */
    kl_vec rs;
    assert_int_equal(vec_init(&rs, KILN_TYPE_VARCHAR, 8), 0);
    set_str(&ss, 0, "zero");
    vec_set_null(&ss, 1);
    vec_ref_rows(&rs, &ss, 2);
    assert_true(rs.has_nulls);
    assert_ptr_equal(VEC_STR(&rs)[0].ptr, VEC_STR(&ss)[0].ptr);
    assert_true(vec_is_null(&rs, 1));
    kl_vec ri;
    assert_int_equal(vec_init(&ri, KILN_TYPE_DOUBLE, 4), 0);
    vec_ref_rows(&ri, &s, 3);
    assert_true(VEC_F64(&ri)[0] == 1.5);
    assert_true(VEC_F64(&ri)[1] == -7.25);
    assert_true(vec_is_null(&ri, 2));
    assert_true(ri.has_nulls);
    vec_free(&ri);
    vec_free(&rs);
    vec_free(&ss);
    vec_free(&ds);
    vec_free(&s);
    vec_free(&d);
    assert_int_equal(kl_mem_in_use(), base);
}

/* ---- reset / retype / clear_nulls ------------------------------------------------- */

static void test_reset_retype(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_vec v;
    assert_int_equal(vec_init(&v, KILN_TYPE_VARCHAR, 64), 0);
    for (uint32_t i = 0; i < 64; i++) {
        if (i % 4 == 0) vec_set_null(&v, i);
        else set_str(&v, i, "some string value that takes room");
    }
    assert_true(v.has_nulls);
    assert_true(kl_arena_size(&v.heap) > 0);
    vec_reset(&v);
    assert_false(v.has_nulls);
    for (uint32_t i = 0; i < 64; i++) assert_false(vec_is_null(&v, i));
    assert_int_equal(kl_arena_size(&v.heap), 0);
    assert_int_equal(kl_mem_in_use(), base + 64 + 64 * sizeof(kl_str));

    /* clear_nulls */
    vec_set_null(&v, 1);
    vec_set_null(&v, 40);
    vec_clear_nulls(&v, 10);
    assert_false(vec_is_null(&v, 1));
    assert_true(vec_is_null(&v, 40));
    assert_true(v.has_nulls);
    vec_clear_nulls(&v, 64);
    assert_false(vec_is_null(&v, 40));
    assert_false(v.has_nulls);

    /* retype to a different type: new storage, same cap, reset */
    vec_set_null(&v, 3);
    assert_int_equal(vec_retype(&v, KILN_TYPE_DATE), 0);
    assert_int_equal(v.type, KILN_TYPE_DATE);
    assert_int_equal(v.cap, 64);
    assert_false(v.has_nulls);
    assert_false(vec_is_null(&v, 3));
    assert_int_equal(kl_mem_in_use(), base + 64 + 64 * 4);
    VEC_I32(&v)[63] = 5;
    /* retype to the same type just resets */
    vec_set_null(&v, 2);
    void *data = v.data;
    assert_int_equal(vec_retype(&v, KILN_TYPE_DATE), 0);
    assert_ptr_equal(v.data, data);
    assert_false(vec_is_null(&v, 2));
    /* retype to NULL type: all NULL */
    assert_int_equal(vec_retype(&v, KILN_TYPE_NULL), 0);
    assert_null(v.data);
    assert_true(v.has_nulls);
    for (uint32_t i = 0; i < 64; i++) assert_true(vec_is_null(&v, i));
    assert_int_equal(vec_retype(&v, KILN_TYPE_VARCHAR), 0);
    set_str(&v, 0, "back");
    assert_str_at(&v, 0, "back");
    vec_free(&v);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_chunk_lifecycle(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_type types[] = {KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR, KILN_TYPE_NULL, KILN_TYPE_BOOLEAN};
    kl_chunk c;
    assert_int_equal(chunk_init(&c, types, 4, KL_CHUNK_ROWS), 0);
    assert_int_equal(c.n_cols, 4);
    assert_int_equal(c.n_rows, 0);
    assert_int_equal(c.cap, KL_CHUNK_ROWS);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(c.cols[i].type, types[i]);
        assert_int_equal(c.cols[i].cap, KL_CHUNK_ROWS);
    }
    for (uint32_t r = 0; r < 100; r++) {
        VEC_I64(&c.cols[0])[r] = r;
        set_str(&c.cols[1], r, "x");
        VEC_U8(&c.cols[3])[r] = r % 2;
    }
    vec_set_null(&c.cols[0], 5);
    c.n_rows = 100;
    chunk_reset(&c);
    assert_int_equal(c.n_rows, 0);
    assert_false(c.cols[0].has_nulls);
    assert_false(vec_is_null(&c.cols[0], 5));
    assert_int_equal(kl_arena_size(&c.cols[1].heap), 0);
    assert_true(vec_is_null(&c.cols[2], 0)); /* NULL-typed stays NULL */
    chunk_free(&c);
    assert_null(c.cols);
    assert_int_equal(c.n_cols, 0);
    chunk_free(&c); /* idempotent */
    chunk_free(NULL);
    /* zero columns */
    assert_int_equal(chunk_init(&c, NULL, 0, 16), 0);
    chunk_reset(&c);
    chunk_free(&c);
    assert_int_equal(kl_mem_in_use(), base);
}

/* ---- formatting ------------------------------------------------------------------- */

static void test_format_bool_int_varchar(void **state) {
    (void)state;
    kl_vec b, i, s;
    assert_int_equal(vec_init(&b, KILN_TYPE_BOOLEAN, 3), 0);
    assert_int_equal(vec_init(&i, KILN_TYPE_BIGINT, 4), 0);
    assert_int_equal(vec_init(&s, KILN_TYPE_VARCHAR, 2), 0);
    VEC_U8(&b)[0] = 1;
    VEC_U8(&b)[1] = 0;
    vec_set_null(&b, 2);
    assert_string_equal(fmt(&b, 0), "true");
    assert_string_equal(fmt(&b, 1), "false");
    assert_null(fmt(&b, 2));
    VEC_I64(&i)[0] = INT64_MIN;
    VEC_I64(&i)[1] = INT64_MAX;
    VEC_I64(&i)[2] = 0;
    VEC_I64(&i)[3] = -42;
    assert_string_equal(fmt(&i, 0), "-9223372036854775808");
    assert_string_equal(fmt(&i, 1), "9223372036854775807");
    assert_string_equal(fmt(&i, 2), "0");
    assert_string_equal(fmt(&i, 3), "-42");
    set_str(&s, 0, "héllo, wörld");
    vec_set_null(&s, 1);
    assert_string_equal(fmt(&s, 0), "héllo, wörld");
    assert_null(fmt(&s, 1));
    /* NULL appends nothing; values append to what is there */
    kl_buf out = {0};
    kl_buf_puts(&out, "[");
    assert_false(vec_format_value(&s, 1, &out));
    assert_true(vec_format_value(&i, 3, &out));
    assert_true(vec_format_value(&b, 0, &out));
    assert_string_equal(out.data, "[-42true");
    kl_buf_free(&out);
    vec_free(&b);
    vec_free(&i);
    vec_free(&s);
}

static void test_format_double(void **state) {
    (void)state;
    const double vals[] = {2.0,   0.1,    4.25,     -0.5,  1e20,      1e21,     1e15, 1e16,
                           1e-7,  0.0001, 1.0 / 3,  -0.0,  123456789.125, 5e-324, 1.7976931348623157e308,
                           INFINITY, -INFINITY, NAN};
    const uint32_t n = sizeof vals / sizeof vals[0];
    kl_vec v;
    assert_int_equal(vec_init(&v, KILN_TYPE_DOUBLE, n), 0);
    for (uint32_t r = 0; r < n; r++) VEC_F64(&v)[r] = vals[r];
    /* consistent with kl_format_double for every value */
    for (uint32_t r = 0; r < n; r++) {
        char tmp[64];
        size_t len = kl_format_double(vals[r], tmp);
        tmp[len] = '\0';
        assert_string_equal(fmt(&v, r), tmp);
        /* shortest round-trip: parsing the text gives the same double back */
        if (!isnan(vals[r])) {
            double back;
            assert_true(kl_parse_double(tmp, len, &back));
            assert_memory_equal(&back, &vals[r], sizeof back);
        }
    }
    /* fixed DuckDB-style strings */
    assert_string_equal(fmt(&v, 0), "2.0");
    assert_string_equal(fmt(&v, 1), "0.1");
    assert_string_equal(fmt(&v, 2), "4.25");
    assert_string_equal(fmt(&v, 3), "-0.5");
    assert_string_equal(fmt(&v, 4), "1e+20");
    assert_string_equal(fmt(&v, 10), "0.3333333333333333");
    assert_string_equal(fmt(&v, 12), "123456789.125");
    assert_string_equal(fmt(&v, 15), "inf");
    assert_string_equal(fmt(&v, 16), "-inf");
    assert_string_equal(fmt(&v, 17), "nan");
    vec_set_null(&v, 0);
    assert_null(fmt(&v, 0));
    vec_free(&v);
}

static void test_format_date_timestamp(void **state) {
    (void)state;
    kl_vec d, t;
    assert_int_equal(vec_init(&d, KILN_TYPE_DATE, 5), 0);
    assert_int_equal(vec_init(&t, KILN_TYPE_TIMESTAMP, 6), 0);
    VEC_I32(&d)[0] = 0;
    VEC_I32(&d)[1] = kl_days_from_civil(2024, 2, 29);
    VEC_I32(&d)[2] = -1;
    VEC_I32(&d)[3] = kl_days_from_civil(2000, 12, 31);
    vec_set_null(&d, 4);
    assert_int_equal(VEC_I32(&d)[1], 19782);
    assert_string_equal(fmt(&d, 0), "1970-01-01");
    assert_string_equal(fmt(&d, 1), "2024-02-29");
    assert_string_equal(fmt(&d, 2), "1969-12-31");
    assert_string_equal(fmt(&d, 3), "2000-12-31");
    assert_null(fmt(&d, 4));

    const int64_t day_us = 86400LL * 1000000;
    int64_t base = (int64_t)19782 * day_us;
    VEC_I64(&t)[0] = 0;
    VEC_I64(&t)[1] = base + ((12 * 3600 + 34 * 60 + 56) * 1000000LL) + 789000;
    VEC_I64(&t)[2] = base + 1;
    VEC_I64(&t)[3] = -1;
    VEC_I64(&t)[4] = base + (23 * 3600 + 59 * 60 + 59) * 1000000LL;
    vec_set_null(&t, 5);
    assert_string_equal(fmt(&t, 0), "1970-01-01 00:00:00");
    assert_string_equal(fmt(&t, 1), "2024-02-29 12:34:56.789");
    assert_string_equal(fmt(&t, 2), "2024-02-29 00:00:00.000001");
    assert_string_equal(fmt(&t, 3), "1969-12-31 23:59:59.999999");
    assert_string_equal(fmt(&t, 4), "2024-02-29 23:59:59");
    assert_null(fmt(&t, 5));
    vec_free(&d);
    vec_free(&t);
}

/* ---- tables ----------------------------------------------------------------------- */

#define T_ROWS 10000

static void fill_mixed(kl_chunk *c, uint32_t start, uint32_t n) {
    chunk_reset(c);
    char tmp[64];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = start + i;
        VEC_I64(&c->cols[0])[i] = (int64_t)r * 3 - 5000;
        if (r % 7 == 0) vec_set_null(&c->cols[1], i);
        else {
            snprintf(tmp, sizeof tmp, "row-%u", r);
            set_str(&c->cols[1], i, tmp);
        }
        VEC_F64(&c->cols[2])[i] = r * 0.25;
        VEC_U8(&c->cols[3])[i] = r % 2;
        VEC_I32(&c->cols[4])[i] = (int32_t)r - 100;
        if (r % 11 == 0) vec_set_null(&c->cols[5], i);
        else VEC_I64(&c->cols[5])[i] = (int64_t)r * 1000001;
    }
    c->n_rows = n;
}

static void check_mixed(const kl_table *t) {
    char tmp[64];
    for (uint64_t r = 0; r < t->n_rows; r++) {
        const kl_chunk *c = t->chunks[r / KL_CHUNK_ROWS];
        uint32_t i = (uint32_t)(r % KL_CHUNK_ROWS);
        assert_int_equal(VEC_I64(&c->cols[0])[i], (int64_t)r * 3 - 5000);
        if (r % 7 == 0) assert_true(vec_is_null(&c->cols[1], i));
        else {
            snprintf(tmp, sizeof tmp, "row-%u", (unsigned)r);
            assert_str_eq(&c->cols[1], i, tmp);
        }
        assert_true(VEC_F64(&c->cols[2])[i] == r * 0.25);
        assert_int_equal(VEC_U8(&c->cols[3])[i], r % 2);
        assert_int_equal(VEC_I32(&c->cols[4])[i], (int32_t)r - 100);
        if (r % 11 == 0) assert_true(vec_is_null(&c->cols[5], i));
        else {
            assert_false(vec_is_null(&c->cols[5], i));
            assert_int_equal(VEC_I64(&c->cols[5])[i], (int64_t)r * 1000001);
        }
    }
}

static const kl_type MIXED[6] = {KILN_TYPE_BIGINT,  KILN_TYPE_VARCHAR, KILN_TYPE_DOUBLE,
                                 KILN_TYPE_BOOLEAN, KILN_TYPE_DATE,    KILN_TYPE_TIMESTAMP};
static char *MIXED_NAMES[6] = {"id", "name", "score", "flag", "day", "ts"};

static void test_table_append_many_chunks(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_table *t = table_create("mixed", 6, MIXED_NAMES, MIXED);
    assert_non_null(t);
    assert_string_equal(t->name, "mixed");
    assert_int_equal(t->n_cols, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(t->col_names[i], MIXED_NAMES[i]);
        assert_ptr_not_equal(t->col_names[i], MIXED_NAMES[i]);
        assert_int_equal(t->types[i], MIXED[i]);
    }
    assert_int_equal(t->n_rows, 0);
    assert_int_equal(t->n_chunks, 0);
    kl_chunk src;
    assert_int_equal(chunk_init(&src, MIXED, 6, KL_CHUNK_ROWS), 0);
    /* append in odd batch sizes so batches straddle chunk boundaries */
    uint32_t done = 0, batch = 0;
    const uint32_t sizes[] = {1, 777, 2048, 1500, 13, 2000};
    kl_error err;
    kiln_error_clear(&err);
    while (done < T_ROWS) {
        uint32_t n = KL_MIN(sizes[batch++ % 6], T_ROWS - done);
        fill_mixed(&src, done, n);
        assert_int_equal(table_append(t, &src, n, &err), 0);
        done += n;
        assert_int_equal(t->n_rows, done);
    }
    /* overwrite the source's strings: the table has its own copies */
    chunk_reset(&src);
    fill_mixed(&src, 50000, 100);
    chunk_free(&src);

    assert_false(kl_err_is_set(&err));
    assert_int_equal(t->n_rows, T_ROWS);
    assert_int_equal(t->n_chunks, (T_ROWS + KL_CHUNK_ROWS - 1) / KL_CHUNK_ROWS);
    for (size_t i = 0; i + 1 < t->n_chunks; i++) assert_int_equal(t->chunks[i]->n_rows, KL_CHUNK_ROWS);
    assert_int_equal(t->chunks[t->n_chunks - 1]->n_rows, T_ROWS % KL_CHUNK_ROWS);
    check_mixed(t);
    assert_true(table_memory(t) >= (size_t)T_ROWS * (8 + 16 + 8 + 1 + 4 + 8));
    /* appending zero rows changes nothing */
    assert_int_equal(table_append(t, NULL, 0, &err), 0);
    assert_int_equal(t->n_rows, T_ROWS);
    table_free(t);
    table_free(NULL);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_table_append_mapped(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_type st[2] = {KILN_TYPE_VARCHAR, KILN_TYPE_BIGINT};
    kl_chunk src;
    assert_int_equal(chunk_init(&src, st, 2, 16), 0);
    for (uint32_t i = 0; i < 10; i++) {
        char tmp[16];
        snprintf(tmp, sizeof tmp, "v%u", i);
        set_str(&src.cols[0], i, tmp);
        VEC_I64(&src.cols[1])[i] = i * 10;
    }
    src.n_rows = 10;
    /* table (b BIGINT, missing DOUBLE, a VARCHAR, missing VARCHAR) */
    char *names[4] = {"b", "missing", "a", "missing2"};
    kl_type tt[4] = {KILN_TYPE_BIGINT, KILN_TYPE_DOUBLE, KILN_TYPE_VARCHAR, KILN_TYPE_VARCHAR};
    kl_table *t = table_create(NULL, 4, names, tt);
    assert_non_null(t);
    assert_null(t->name);
    int map[4] = {1, -1, 0, -1};
    for (int rep = 0; rep < 300; rep++) /* 3000 rows: crosses a chunk boundary */
        assert_int_equal(table_append_mapped(t, &src, 10, map, NULL), 0);
    chunk_free(&src);
    assert_int_equal(t->n_rows, 3000);
    assert_int_equal(t->n_chunks, 2);
    assert_int_equal(t->chunks[0]->n_rows, KL_CHUNK_ROWS);
    assert_int_equal(t->chunks[1]->n_rows, 3000 - KL_CHUNK_ROWS);
    for (uint32_t r = 0; r < 3000; r++) {
        const kl_chunk *c = t->chunks[r / KL_CHUNK_ROWS];
        uint32_t i = r % KL_CHUNK_ROWS;
        assert_int_equal(VEC_I64(&c->cols[0])[i], (r % 10) * 10);
        assert_true(vec_is_null(&c->cols[1], i));
        char tmp[16];
        snprintf(tmp, sizeof tmp, "v%u", r % 10);
        assert_str_eq(&c->cols[2], i, tmp);
        assert_true(vec_is_null(&c->cols[3], i));
        assert_null(fmt(&c->cols[3], i));
    }
    assert_true(t->chunks[0]->cols[1].has_nulls);
    assert_false(t->chunks[0]->cols[0].has_nulls);
    table_free(t);
    assert_int_equal(kl_mem_in_use(), base);
}

static void test_table_oom(void **state) {
    (void)state;
    size_t base = kl_mem_in_use();
    kl_chunk src;
    assert_int_equal(chunk_init(&src, MIXED, 6, KL_CHUNK_ROWS), 0);
    fill_mixed(&src, 0, KL_CHUNK_ROWS);
    size_t src_mem = kl_mem_in_use();
    bool succeeded = false;
    for (long n = 1; n < 200 && !succeeded; n++) {
        kl_table *t = table_create("t", 6, MIXED_NAMES, MIXED);
        kl_error err;
        kiln_error_clear(&err);
        kl_mem_fail_after(n);
        int rc = t ? table_append(t, &src, KL_CHUNK_ROWS, &err) : KILN_ERR_MEMORY;
        if (rc == 0 && t) rc = table_append(t, &src, 100, &err);
        kl_mem_fail_after(0);
        if (rc == 0) {
            succeeded = true;
            assert_int_equal(t->n_rows, KL_CHUNK_ROWS + 100);
            assert_int_equal(t->n_chunks, 2);
            t->n_rows = KL_CHUNK_ROWS; /* check the first chunk; the second repeats rows 0..99 */
            check_mixed(t);
            t->n_rows = KL_CHUNK_ROWS + 100;
            for (uint32_t i = 0; i < 100; i++) {
                assert_int_equal(VEC_I64(&t->chunks[1]->cols[0])[i], (int64_t)i * 3 - 5000);
                assert_int_equal(vec_is_null(&t->chunks[1]->cols[1], i), i % 7 == 0);
            }
        } else {
            assert_int_equal(rc, KILN_ERR_MEMORY);
            if (t) {
                assert_int_equal(err.code, KILN_ERR_MEMORY);
            }
        }
        table_free(t);
        assert_int_equal(kl_mem_in_use(), src_mem);
    }
    assert_true(succeeded);
    chunk_free(&src);
    assert_int_equal(kl_mem_in_use(), base);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_sizes),
        cmocka_unit_test(test_vec_init_free_each_type),
        cmocka_unit_test(test_vec_init_oom),
        cmocka_unit_test(test_null_typed_vector),
        cmocka_unit_test(test_set_string_copies),
        cmocka_unit_test(test_copy_row),
        cmocka_unit_test(test_copy_rows_offsets_deep),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_broadcast_and_ref_rows),
        cmocka_unit_test(test_reset_retype),
        cmocka_unit_test(test_chunk_lifecycle),
        cmocka_unit_test(test_format_bool_int_varchar),
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_format_date_timestamp),
        cmocka_unit_test(test_table_append_many_chunks),
        cmocka_unit_test(test_table_append_mapped),
        cmocka_unit_test(test_table_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
