/*
 * test_hashtable.c — unit tests of the group hash table (src/exec/hashtable.c): integer,
 * string, multi-column, NULL, double (-0.0, NaN), boolean/date keys; growth to a million
 * groups; lookups of absent keys; key materialisation; zero key columns; memory accounting
 * and out-of-memory injection; bags (ht_append_hashed) folded with ht_insert_from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <math.h>

#include "exec/hashtable.h"

/* Fill an int64 vector from an array; INT64_MIN marks NULL. */
static void fill_i64(kl_vec *v, const int64_t *vals, uint32_t n) {
    v->has_nulls = false;
    for (uint32_t i = 0; i < n; i++) {
        if (vals[i] == INT64_MIN) {
            vec_set_null(v, i);
            VEC_I64(v)[i] = 0;
        } else {
            v->nulls[i] = 0;
            VEC_I64(v)[i] = vals[i];
        }
    }
}

/* Fill a string vector; NULL pointers are NULL values. */
static void fill_str(kl_vec *v, const char *const *vals, uint32_t n) {
    vec_reset(v);
    v->has_nulls = false;
    for (uint32_t i = 0; i < n; i++) {
        if (!vals[i]) {
            vec_set_null(v, i);
        } else {
            v->nulls[i] = 0;
            assert_int_equal(vec_set_string(v, i, vals[i], strlen(vals[i])), 0);
        }
    }
}

static void test_int_keys(void **state) {
    (void)state;
    kl_type t = KILN_TYPE_BIGINT;
    kl_ht *ht = ht_create(&t, 1);
    assert_non_null(ht);
    kl_vec v;
    assert_int_equal(vec_init(&v, t, 16), 0);
    int64_t vals[] = {5, 7, 5, 9, 7, 7, -1, 0};
    fill_i64(&v, vals, 8);
    uint32_t ids[8];
    kl_vec *keys[] = {&v};
    assert_int_equal(ht_find_or_insert(ht, keys, 8, ids, NULL), 0);
    uint32_t want[] = {0, 1, 0, 2, 1, 1, 3, 4};
    for (int i = 0; i < 8; i++) assert_int_equal(ids[i], want[i]);
    assert_int_equal(ht_group_count(ht), 5);
    /* a second batch sees the same groups */
    int64_t vals2[] = {0, 9, 100};
    fill_i64(&v, vals2, 3);
    assert_int_equal(ht_find_or_insert(ht, keys, 3, ids, NULL), 0);
    assert_int_equal(ids[0], 4);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 5);
    vec_free(&v);
    ht_free(ht);
}

static void test_string_keys(void **state) {
    (void)state;
    kl_type t = KILN_TYPE_VARCHAR;
    kl_ht *ht = ht_create(&t, 1);
    kl_vec v;
    assert_int_equal(vec_init(&v, t, 16), 0);
    const char *vals[] = {"apple", "pear", "apple", "", "a longer string that is not inline", "pear", ""};
    fill_str(&v, vals, 7);
    uint32_t ids[7];
    kl_vec *keys[] = {&v};
    assert_int_equal(ht_find_or_insert(ht, keys, 7, ids, NULL), 0);
    uint32_t want[] = {0, 1, 0, 2, 3, 1, 2};
    for (int i = 0; i < 7; i++) assert_int_equal(ids[i], want[i]);
    /* the table owns its bytes: wipe the input and read keys back */
    vec_free(&v);
    kl_vec out;
    assert_int_equal(vec_init(&out, t, 8), 0);
    kl_vec *outs[] = {&out};
    ht_get_keys(ht, 0, 4, outs);
    assert_int_equal(VEC_STR(&out)[0].len, 5);
    assert_memory_equal(VEC_STR(&out)[0].ptr, "apple", 5);
    assert_memory_equal(VEC_STR(&out)[1].ptr, "pear", 4);
    assert_int_equal(VEC_STR(&out)[2].len, 0);
    assert_int_equal(VEC_STR(&out)[3].len, strlen(vals[4]));
    assert_memory_equal(VEC_STR(&out)[3].ptr, vals[4], strlen(vals[4]));
    assert_false(out.has_nulls);
    vec_free(&out);
    ht_free(ht);
}

static void test_empty_string_vs_null(void **state) {
    (void)state;
    kl_type t = KILN_TYPE_VARCHAR;
    kl_ht *ht = ht_create(&t, 1);
    kl_vec v;
    assert_int_equal(vec_init(&v, t, 8), 0);
    const char *vals[] = {"", NULL, "", NULL, "x"};
    fill_str(&v, vals, 5);
    uint32_t ids[5];
    kl_vec *keys[] = {&v};
    assert_int_equal(ht_find_or_insert(ht, keys, 5, ids, NULL), 0);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 0);
    assert_int_equal(ids[3], 1);
    assert_int_equal(ids[4], 2);
    vec_free(&v);
    ht_free(ht);
}

static void test_multi_column(void **state) {
    (void)state;
    kl_type t[] = {KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR, KILN_TYPE_DOUBLE};
    kl_ht *ht = ht_create(t, 3);
    kl_vec a, b, c;
    assert_int_equal(vec_init(&a, t[0], 8), 0);
    assert_int_equal(vec_init(&b, t[1], 8), 0);
    assert_int_equal(vec_init(&c, t[2], 8), 0);
    int64_t av[] = {1, 1, 2, 1, 1, 1};
    const char *bv[] = {"x", "y", "x", "x", "y", "x"};
    double cv[] = {1.5, 1.5, 1.5, 1.5, 1.5, 2.5};
    fill_i64(&a, av, 6);
    fill_str(&b, bv, 6);
    for (int i = 0; i < 6; i++) VEC_F64(&c)[i] = cv[i];
    kl_vec *keys[] = {&a, &b, &c};
    uint32_t ids[6];
    assert_int_equal(ht_find_or_insert(ht, keys, 6, ids, NULL), 0);
    uint32_t want[] = {0, 1, 2, 0, 1, 3};
    for (int i = 0; i < 6; i++) assert_int_equal(ids[i], want[i]);

    kl_vec oa, ob, oc;
    assert_int_equal(vec_init(&oa, t[0], 4), 0);
    assert_int_equal(vec_init(&ob, t[1], 4), 0);
    assert_int_equal(vec_init(&oc, t[2], 4), 0);
    kl_vec *outs[] = {&oa, &ob, &oc};
    ht_get_keys(ht, 0, 4, outs);
    assert_int_equal(VEC_I64(&oa)[2], 2);
    assert_memory_equal(VEC_STR(&ob)[1].ptr, "y", 1);
    assert_true(VEC_F64(&oc)[3] == 2.5);
    vec_free(&a);
    vec_free(&b);
    vec_free(&c);
    vec_free(&oa);
    vec_free(&ob);
    vec_free(&oc);
    ht_free(ht);
}

static void test_null_keys(void **state) {
    (void)state;
    kl_type t[] = {KILN_TYPE_BIGINT, KILN_TYPE_BIGINT};
    kl_ht *ht = ht_create(t, 2);
    kl_vec a, b;
    assert_int_equal(vec_init(&a, t[0], 8), 0);
    assert_int_equal(vec_init(&b, t[1], 8), 0);
    /* NULL must group with NULL and apart from 0 (the value stored under a NULL). */
    int64_t av[] = {INT64_MIN, 0, INT64_MIN, 1, INT64_MIN, 0};
    int64_t bv[] = {1, 1, 1, INT64_MIN, INT64_MIN, 1};
    fill_i64(&a, av, 6);
    fill_i64(&b, bv, 6);
    kl_vec *keys[] = {&a, &b};
    uint32_t ids[6];
    assert_int_equal(ht_find_or_insert(ht, keys, 6, ids, NULL), 0);
    uint32_t want[] = {0, 1, 0, 2, 3, 1};
    for (int i = 0; i < 6; i++) assert_int_equal(ids[i], want[i]);
    kl_vec oa, ob;
    assert_int_equal(vec_init(&oa, t[0], 4), 0);
    assert_int_equal(vec_init(&ob, t[1], 4), 0);
    kl_vec *outs[] = {&oa, &ob};
    ht_get_keys(ht, 0, 4, outs);
    assert_true(oa.has_nulls);
    assert_true(vec_is_null(&oa, 0));
    assert_false(vec_is_null(&oa, 1));
    assert_true(vec_is_null(&ob, 2));
    assert_true(vec_is_null(&oa, 3) && vec_is_null(&ob, 3));
    vec_free(&a);
    vec_free(&b);
    vec_free(&oa);
    vec_free(&ob);
    ht_free(ht);
}

static void test_single_null_bigint(void **state) {
    (void)state;
    /* single BIGINT column with NULLs (the non-fast path) mixed with fast-path batches */
    kl_type t = KILN_TYPE_BIGINT;
    kl_ht *ht = ht_create(&t, 1);
    kl_vec v;
    assert_int_equal(vec_init(&v, t, 8), 0);
    kl_vec *keys[] = {&v};
    uint32_t ids[4];
    int64_t v1[] = {0, INT64_MIN, 0, INT64_MIN};
    fill_i64(&v, v1, 4);
    assert_int_equal(ht_find_or_insert(ht, keys, 4, ids, NULL), 0);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 0);
    assert_int_equal(ids[3], 1);
    int64_t v2[] = {0, 3};
    fill_i64(&v, v2, 2); /* no NULLs: fast path must not match the NULL group */
    assert_int_equal(ht_find_or_insert(ht, keys, 2, ids, NULL), 0);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 2);
    vec_free(&v);
    ht_free(ht);
}

static void test_doubles(void **state) {
    (void)state;
    kl_type t = KILN_TYPE_DOUBLE;
    kl_ht *ht = ht_create(&t, 1);
    kl_vec v;
    assert_int_equal(vec_init(&v, t, 8), 0);
    double vals[] = {0.0, -0.0, NAN, -NAN, 1.0, INFINITY, -INFINITY, 1.0};
    for (int i = 0; i < 8; i++) VEC_F64(&v)[i] = vals[i];
    vec_set_null(&v, 7);
    kl_vec *keys[] = {&v};
    uint32_t ids[8];
    assert_int_equal(ht_find_or_insert(ht, keys, 8, ids, NULL), 0);
    uint32_t want[] = {0, 0, 1, 1, 2, 3, 4, 5};
    for (int i = 0; i < 8; i++) assert_int_equal(ids[i], want[i]);
    assert_int_equal(ht_group_count(ht), 6);
    vec_free(&v);
    ht_free(ht);
}

static void test_bool_date_timestamp(void **state) {
    (void)state;
    kl_type t[] = {KILN_TYPE_BOOLEAN, KILN_TYPE_DATE, KILN_TYPE_TIMESTAMP};
    kl_ht *ht = ht_create(t, 3);
    kl_vec a, b, c;
    assert_int_equal(vec_init(&a, t[0], 8), 0);
    assert_int_equal(vec_init(&b, t[1], 8), 0);
    assert_int_equal(vec_init(&c, t[2], 8), 0);
    uint8_t av[] = {1, 0, 1, 1};
    int32_t bv[] = {19000, 19000, 19000, 19001};
    int64_t cv[] = {5, 5, 5, 5};
    for (int i = 0; i < 4; i++) {
        VEC_U8(&a)[i] = av[i];
        VEC_I32(&b)[i] = bv[i];
        VEC_I64(&c)[i] = cv[i];
    }
    kl_vec *keys[] = {&a, &b, &c};
    uint32_t ids[4];
    assert_int_equal(ht_find_or_insert(ht, keys, 4, ids, NULL), 0);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 0);
    assert_int_equal(ids[3], 2);
    kl_vec ob;
    kl_vec oa, oc;
    assert_int_equal(vec_init(&oa, t[0], 4), 0);
    assert_int_equal(vec_init(&ob, t[1], 4), 0);
    assert_int_equal(vec_init(&oc, t[2], 4), 0);
    kl_vec *outs[] = {&oa, &ob, &oc};
    ht_get_keys(ht, 0, 3, outs);
    assert_int_equal(VEC_I32(&ob)[2], 19001);
    assert_int_equal(VEC_U8(&oa)[1], 0);
    vec_free(&a);
    vec_free(&b);
    vec_free(&c);
    vec_free(&oa);
    vec_free(&ob);
    vec_free(&oc);
    ht_free(ht);
}

static void test_growth_million(void **state) {
    (void)state;
    kl_type t = KILN_TYPE_BIGINT;
    kl_ht *ht = ht_create(&t, 1);
    kl_vec v;
    assert_int_equal(vec_init(&v, t, KL_CHUNK_ROWS), 0);
    kl_vec *keys[] = {&v};
    uint32_t ids[KL_CHUNK_ROWS];
    const uint32_t n_groups = 1000000;
    /* two passes: the first inserts, the second must find every key again */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t base = 0; base < n_groups; base += KL_CHUNK_ROWS) {
            uint32_t n = KL_MIN(KL_CHUNK_ROWS, n_groups - base);
            for (uint32_t i = 0; i < n; i++) VEC_I64(&v)[i] = (int64_t)(base + i) * 7919 - 123456;
            assert_int_equal(ht_find_or_insert(ht, keys, n, ids, NULL), 0);
            for (uint32_t i = 0; i < n; i++) assert_int_equal(ids[i], base + i);
        }
    }
    assert_int_equal(ht_group_count(ht), n_groups);
    /* load factor <= 0.5 means at least 2M slots: 16 MB of slots at least */
    assert_true(ht_memory(ht) >= (size_t)n_groups * 2 * 8);
    vec_free(&v);
    ht_free(ht);
}

static void test_growth_strings(void **state) {
    (void)state;
    kl_type t[] = {KILN_TYPE_VARCHAR, KILN_TYPE_BIGINT};
    kl_ht *ht = ht_create(t, 2);
    kl_vec s, k;
    assert_int_equal(vec_init(&s, t[0], KL_CHUNK_ROWS), 0);
    assert_int_equal(vec_init(&k, t[1], KL_CHUNK_ROWS), 0);
    kl_vec *keys[] = {&s, &k};
    uint32_t ids[KL_CHUNK_ROWS];
    const uint32_t n_rows = 200000;
    char tmp[32];
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t base = 0; base < n_rows; base += KL_CHUNK_ROWS) {
            uint32_t n = KL_MIN(KL_CHUNK_ROWS, n_rows - base);
            vec_reset(&s);
            for (uint32_t i = 0; i < n; i++) {
                uint32_t r = base + i;
                int len = snprintf(tmp, sizeof tmp, "key-%u", r / 2); /* pairs share a string */
                assert_int_equal(vec_set_string(&s, i, tmp, (size_t)len), 0);
                VEC_I64(&k)[i] = r % 2;
            }
            assert_int_equal(ht_find_or_insert(ht, keys, n, ids, NULL), 0);
            for (uint32_t i = 0; i < n; i++) assert_int_equal(ids[i], base + i);
        }
    }
    assert_int_equal(ht_group_count(ht), n_rows);
    vec_free(&s);
    vec_free(&k);
    ht_free(ht);
}

static void test_find_absent(void **state) {
    (void)state;
    kl_type t[] = {KILN_TYPE_VARCHAR};
    kl_ht *ht = ht_create(t, 1);
    kl_vec v;
    assert_int_equal(vec_init(&v, t[0], 8), 0);
    kl_vec *keys[] = {&v};
    uint32_t ids[4];
    const char *none[] = {"a", NULL, "c", ""};
    fill_str(&v, none, 4);
    ht_find(ht, keys, 4, ids); /* empty table */
    for (int i = 0; i < 4; i++) assert_int_equal(ids[i], UINT32_MAX);
    const char *ins[] = {"a", "b", NULL};
    fill_str(&v, ins, 3);
    assert_int_equal(ht_find_or_insert(ht, keys, 3, ids, NULL), 0);
    const char *look[] = {"b", "zz", NULL, "a"};
    fill_str(&v, look, 4);
    ht_find(ht, keys, 4, ids);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], UINT32_MAX);
    assert_int_equal(ids[2], 2);
    assert_int_equal(ids[3], 0);
    assert_int_equal(ht_group_count(ht), 3); /* ht_find never inserts */
    vec_free(&v);
    ht_free(ht);
}

static void test_get_keys_roundtrip(void **state) {
    (void)state;
    kl_type t[] = {KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR};
    kl_ht *ht = ht_create(t, 2);
    kl_vec a, b;
    assert_int_equal(vec_init(&a, t[0], 100), 0);
    assert_int_equal(vec_init(&b, t[1], 100), 0);
    char tmp[16];
    for (uint32_t i = 0; i < 100; i++) {
        if (i % 10 == 3) vec_set_null(&a, i);
        VEC_I64(&a)[i] = i % 10 == 3 ? 0 : (int64_t)i;
        int len = snprintf(tmp, sizeof tmp, "s%u", i);
        assert_int_equal(vec_set_string(&b, i, tmp, (size_t)len), 0);
    }
    kl_vec *keys[] = {&a, &b};
    uint32_t ids[100];
    assert_int_equal(ht_find_or_insert(ht, keys, 100, ids, NULL), 0);
    assert_int_equal(ht_group_count(ht), 100);
    /* materialise a middle range and feed it back: every key maps to its own id */
    kl_vec oa, ob;
    assert_int_equal(vec_init(&oa, t[0], 50), 0);
    assert_int_equal(vec_init(&ob, t[1], 50), 0);
    kl_vec *outs[] = {&oa, &ob};
    ht_get_keys(ht, 25, 50, outs);
    uint32_t ids2[50];
    ht_find(ht, outs, 50, ids2);
    for (uint32_t i = 0; i < 50; i++) assert_int_equal(ids2[i], 25 + i);
    assert_true(vec_is_null(&oa, 33 - 25));
    assert_memory_equal(VEC_STR(&ob)[0].ptr, "s25", 3);
    vec_free(&a);
    vec_free(&b);
    vec_free(&oa);
    vec_free(&ob);
    ht_free(ht);
}

static void test_zero_keys(void **state) {
    (void)state;
    kl_ht *ht = ht_create(NULL, 0);
    assert_non_null(ht);
    uint32_t ids[5] = {9, 9, 9, 9, 9};
    ht_find(ht, NULL, 2, ids);
    assert_int_equal(ids[0], UINT32_MAX);
    assert_int_equal(ht_find_or_insert(ht, NULL, 0, ids, NULL), 0);
    assert_int_equal(ht_group_count(ht), 0);
    assert_int_equal(ht_find_or_insert(ht, NULL, 5, ids, NULL), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(ids[i], 0);
    assert_int_equal(ht_find_or_insert(ht, NULL, 3, ids, NULL), 0);
    assert_int_equal(ht_group_count(ht), 1);
    ht_find(ht, NULL, 2, ids);
    assert_int_equal(ids[1], 0);
    ht_free(ht);
}

static void test_null_type_key(void **state) {
    (void)state;
    kl_type t[] = {KILN_TYPE_NULL, KILN_TYPE_BIGINT};
    kl_ht *ht = ht_create(t, 2);
    kl_vec a, b;
    assert_int_equal(vec_init(&a, t[0], 4), 0);
    assert_int_equal(vec_init(&b, t[1], 4), 0);
    int64_t bv[] = {1, 2, 1};
    fill_i64(&b, bv, 3);
    kl_vec *keys[] = {&a, &b};
    uint32_t ids[3];
    assert_int_equal(ht_find_or_insert(ht, keys, 3, ids, NULL), 0);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 0);
    kl_vec oa, ob;
    assert_int_equal(vec_init(&oa, t[0], 4), 0);
    assert_int_equal(vec_init(&ob, t[1], 4), 0);
    kl_vec *outs[] = {&oa, &ob};
    ht_get_keys(ht, 0, 2, outs);
    assert_int_equal(VEC_I64(&ob)[1], 2);
    vec_free(&a);
    vec_free(&b);
    vec_free(&oa);
    vec_free(&ob);
    ht_free(ht);
}

static void test_memory_accounting(void **state) {
    (void)state;
    size_t before = kl_mem_in_use();
    kl_type t[] = {KILN_TYPE_VARCHAR};
    kl_ht *ht = ht_create(t, 1);
    size_t m0 = ht_memory(ht);
    assert_true(m0 > 0);
    kl_vec v;
    assert_int_equal(vec_init(&v, t[0], KL_CHUNK_ROWS), 0);
    kl_vec *keys[] = {&v};
    uint32_t ids[KL_CHUNK_ROWS];
    char tmp[64];
    for (uint32_t base = 0; base < 20000; base += KL_CHUNK_ROWS) {
        vec_reset(&v);
        for (uint32_t i = 0; i < KL_CHUNK_ROWS; i++) {
            int len = snprintf(tmp, sizeof tmp, "a fairly long key string number %u", base + i);
            assert_int_equal(vec_set_string(&v, i, tmp, (size_t)len), 0);
        }
        assert_int_equal(ht_find_or_insert(ht, keys, KL_CHUNK_ROWS, ids, NULL), 0);
    }
    size_t m1 = ht_memory(ht);
    /* at least the string bytes, the slots and the key array */
    assert_true(m1 > m0 + 20000 * (30 + 8 + 16));
    /* everything the table holds is counted by the allocator */
    vec_free(&v);
    size_t with_table = kl_mem_in_use() - before;
    assert_true(with_table >= m1 / 2);
    ht_free(ht);
    assert_int_equal(kl_mem_in_use(), before);
}

static void test_out_of_memory(void **state) {
    (void)state;
    size_t before = kl_mem_in_use();
    kl_type t[] = {KILN_TYPE_VARCHAR, KILN_TYPE_BIGINT};
    kl_vec s, k;
    assert_int_equal(vec_init(&s, t[0], KL_CHUNK_ROWS), 0);
    assert_int_equal(vec_init(&k, t[1], KL_CHUNK_ROWS), 0);
    char tmp[32];
    for (uint32_t i = 0; i < KL_CHUNK_ROWS; i++) {
        int len = snprintf(tmp, sizeof tmp, "k%u", i);
        assert_int_equal(vec_set_string(&s, i, tmp, (size_t)len), 0);
        VEC_I64(&k)[i] = i;
    }
    kl_vec *keys[] = {&s, &k};
    uint32_t ids[KL_CHUNK_ROWS];
    /* fail the n-th allocation for growing n: every outcome is 0 or KILN_ERR_MEMORY, and a
     * table that failed stays usable once memory is back */
    for (long n = 1; n < 40; n++) {
        kl_ht *ht = ht_create(t, 2);
        if (!ht) continue;
        kl_mem_fail_after(n);
        kl_error err;
        kiln_error_clear(&err);
        int rc = ht_find_or_insert(ht, keys, KL_CHUNK_ROWS, ids, &err);
        kl_mem_fail_after(0);
        if (rc != 0) {
            assert_int_equal(rc, KILN_ERR_MEMORY);
            assert_int_equal(err.code, KILN_ERR_MEMORY);
        }
        assert_int_equal(ht_find_or_insert(ht, keys, KL_CHUNK_ROWS, ids, NULL), 0);
        for (uint32_t i = 0; i < KL_CHUNK_ROWS; i++) assert_true(ids[i] < KL_CHUNK_ROWS);
        assert_int_equal(ht_group_count(ht), KL_CHUNK_ROWS);
        /* distinct rows, distinct ids */
        uint32_t probe[KL_CHUNK_ROWS];
        ht_find(ht, keys, KL_CHUNK_ROWS, probe);
        for (uint32_t i = 0; i < KL_CHUNK_ROWS; i++) assert_int_equal(probe[i], ids[i]);
        ht_free(ht);
    }
    vec_free(&s);
    vec_free(&k);
    assert_int_equal(kl_mem_in_use(), before);
}

/* ht_append_hashed keeps every row (a bag); ht_insert_from folds a bag into a real table
   with stored hashes: equal keys (short and long strings, NULLs, -0.0/0.0, NaNs) meet. */
static void test_bag_and_insert_from(void **state) {
    (void)state;
    kl_type t[] = {KILN_TYPE_VARCHAR, KILN_TYPE_BIGINT, KILN_TYPE_DOUBLE};
    kl_ht *bag = ht_create(t, 3), *dst = ht_create(t, 3), *ref = ht_create(t, 3);
    assert_non_null(bag);
    assert_non_null(dst);
    assert_non_null(ref);
    kl_vec a, b, c;
    assert_int_equal(vec_init(&a, t[0], 8), 0);
    assert_int_equal(vec_init(&b, t[1], 8), 0);
    assert_int_equal(vec_init(&c, t[2], 8), 0);
    const char *av[] = {"x", "a-much-longer-key", NULL, "x", "a-much-longer-key", NULL, "y", "x"};
    int64_t bv[] = {1, 2, 3, 1, 2, 3, INT64_MIN, 1};
    double cv[] = {0.0, NAN, 1.0, -0.0, -NAN, 1.0, 2.0, 5.0};
    fill_str(&a, av, 8);
    fill_i64(&b, bv, 8);
    for (int i = 0; i < 8; i++) VEC_F64(&c)[i] = cv[i];
    c.has_nulls = false;
    memset(c.nulls, 0, 8);
    kl_vec *keys[] = {&a, &b, &c};
    uint64_t hashes[8];
    ht_hash(bag, keys, 8, hashes);
    uint32_t ids[8], sel[] = {7, 0, 1, 2, 3, 4, 5, 6};
    assert_int_equal(ht_append_hashed(bag, keys, hashes, sel, 8, ids, NULL), 0);
    assert_int_equal(ht_group_count(bag), 8);
    for (uint32_t j = 0; j < 8; j++) assert_int_equal(ids[sel[j]], j);
    /* into an empty table, then again into the filled one (all keys known) */
    uint32_t g[8], want[8], g2[8];
    assert_int_equal(ht_insert_from(dst, bag, 0, NULL, 8, g, NULL), 0);
    assert_int_equal(ht_group_count(dst), 5);
    assert_int_equal(ht_insert_from(dst, bag, 2, NULL, 6, g2, NULL), 0);
    assert_int_equal(ht_group_count(dst), 5);
    for (int j = 0; j < 6; j++) assert_int_equal(g2[j], g[j + 2]);
    /* the same grouping as inserting the rows directly */
    assert_int_equal(ht_find_or_insert(ref, keys, 8, want, NULL), 0);
    for (uint32_t j = 0; j < 8; j++)
        for (uint32_t k = 0; k < 8; k++)
            assert_int_equal(g[j] == g[k], want[sel[j]] == want[sel[k]]);
    /* keys read back from dst are the inserted ones */
    kl_vec oa, ob, oc;
    assert_int_equal(vec_init(&oa, t[0], 8), 0);
    assert_int_equal(vec_init(&ob, t[1], 8), 0);
    assert_int_equal(vec_init(&oc, t[2], 8), 0);
    kl_vec *outs[] = {&oa, &ob, &oc};
    ht_get_keys(dst, 0, 5, outs);
    uint32_t found[8];
    ht_find(dst, outs, 5, found);
    for (uint32_t j = 0; j < 5; j++) assert_int_equal(found[j], j);
    kl_str s = VEC_STR(&oa)[g[2]];
    assert_int_equal(s.len, strlen("a-much-longer-key"));
    assert_memory_equal(s.ptr, "a-much-longer-key", s.len);
    assert_true(vec_is_null(&oa, g[3]));
    assert_true(vec_is_null(&ob, g[7]));
    vec_free(&a);
    vec_free(&b);
    vec_free(&c);
    vec_free(&oa);
    vec_free(&ob);
    vec_free(&oc);
    ht_free(bag);
    ht_free(dst);
    ht_free(ref);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_keys),
        cmocka_unit_test(test_string_keys),
        cmocka_unit_test(test_empty_string_vs_null),
        cmocka_unit_test(test_multi_column),
        cmocka_unit_test(test_null_keys),
        cmocka_unit_test(test_single_null_bigint),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_bool_date_timestamp),
        cmocka_unit_test(test_growth_million),
        cmocka_unit_test(test_growth_strings),
        cmocka_unit_test(test_find_absent),
        cmocka_unit_test(test_get_keys_roundtrip),
        cmocka_unit_test(test_zero_keys),
        cmocka_unit_test(test_null_type_key),
        cmocka_unit_test(test_memory_accounting),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_bag_and_insert_from),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
