/*
 * hashtable.c — the group hash table (see exec/hashtable.h): maps key tuples to dense group
 * ids 0, 1, 2, ... in order of first appearance.
 *
 * API in call order: ht_create -> ht_find_or_insert / ht_find (any number of times) ->
 * ht_group_count -> ht_get_keys -> ht_memory (any time) -> ht_free.
 *
 * Algorithm. A batch is processed in two passes:
 *   1. hash: every key column is hashed for the whole batch into hashes[] (kl_hash_u64 of the
 *      8-byte value for fixed-width types, kl_hash_bytes for strings, a fixed constant for
 *      NULL; doubles are normalised first so -0.0 hashes like 0.0 and every NaN alike;
 *      INTERVALs hash and compare by their normalized value, so '30 days' and '1 month' are
 *      one group as in DuckDB, keeping the first value seen), and
 *      columns are folded together with kl_hash_combine. Column-at-a-time loops keep the
 *      type switch out of the inner loop.
 *   2. probe: for each row, linear probing over a power-of-two slot array. A slot is 8 bytes:
 *      the upper 32 bits of the hash (a tag that filters almost all mismatches without
 *      touching key storage) and the group id (UINT32_MAX = empty). On a tag match the row's
 *      key is compared column by column against the stored key of that group; a new key is
 *      appended to key storage and gets the next id. Rows of the same batch that repeat a key
 *      find the group inserted by the earlier row, because insertion happens in row order.
 * A single BIGINT/TIMESTAMP key column whose input has no NULLs takes a fast path that
 * hashes and compares int64 values inline.
 *
 * Key storage is columnar and owned by the table: per key column a typed array and a NULL
 * byte array, both of group_cap entries; VARCHAR values are kl_str whose bytes were copied
 * into the table's arena. The full 64-bit hash of each group is kept too (group_hash[]), so
 * growing the slot array never re-hashes keys.
 *
 * Bounds: load factor <= 0.5 (the slot array doubles before an insert would exceed it);
 * at most UINT32_MAX - 1 groups (UINT32_MAX marks "absent"/"empty"), more is an error.
 * On an out-of-memory error midway through a batch the table stays consistent: the groups
 * inserted so far are valid, group_ids of later rows are unspecified.
 */
#include "exec/hashtable.h"

#include <math.h>

#define HT_EMPTY UINT32_MAX
#define HT_NULL_HASH 0x9ae16a3b2f90404fULL /* hash of a NULL key value */
#define HT_MIN_SLOTS 64u
#define HT_MIN_GROUPS 16u
#define HT_ARENA_BLOCK (64u * 1024u)

typedef struct ht_slot {
    uint32_t tag; /* upper 32 bits of the row hash */
    uint32_t gid; /* group id, HT_EMPTY if the slot is free */
} ht_slot;

typedef struct ht_keycol {
    kl_type type;
    size_t elem;    /* bytes per value; 0 for KILN_TYPE_NULL */
    void *data;     /* group_cap values */
    uint8_t *nulls; /* group_cap bytes, 1 = NULL */
} ht_keycol;

struct kl_ht {
    uint32_t n_keys;
    ht_keycol *cols;
    ht_slot *slots;
    uint64_t mask; /* n_slots - 1 */
    uint64_t n_slots;
    uint32_t n_groups;
    uint32_t group_cap;
    uint64_t *group_hash; /* group_cap full hashes, used to rehash on growth */
    uint64_t *hashes;     /* scratch: per-row hashes of the current batch */
    uint32_t hashes_cap;
    kl_arena strings; /* VARCHAR key bytes */
};

static size_t ht_elem_size(kl_type t) {
    switch (t) {
    case KILN_TYPE_BOOLEAN: return 1;
    case KILN_TYPE_BIGINT:
    case KILN_TYPE_TIMESTAMP: return 8;
    case KILN_TYPE_DOUBLE: return 8;
    case KILN_TYPE_DATE: return 4;
    case KILN_TYPE_VARCHAR: return sizeof(kl_str);
    case KILN_TYPE_INTERVAL: return sizeof(kl_interval);
    default: return 0;
    }
}

/* Hash of an interval's normalized value (equal intervals by kl_interval_cmp hash alike). */
static inline uint64_t ht_interval_hash(kl_interval v) {
    int64_t m, d, us;
    kl_interval_normalize(v, &m, &d, &us);
    return kl_hash_combine(kl_hash_combine(kl_hash_u64((uint64_t)m), kl_hash_u64((uint64_t)d)),
                           kl_hash_u64((uint64_t)us));
}

kl_ht *ht_create(const kl_type *key_types, uint32_t n_keys) {
    kl_ht *ht = kl_calloc(1, sizeof *ht);
    if (!ht) return NULL;
    ht->n_keys = n_keys;
    kl_arena_init(&ht->strings, HT_ARENA_BLOCK);
    if (n_keys > 0) {
        ht->cols = kl_calloc(n_keys, sizeof *ht->cols);
        if (!ht->cols) goto fail;
        for (uint32_t k = 0; k < n_keys; k++) {
            ht->cols[k].type = key_types[k];
            ht->cols[k].elem = ht_elem_size(key_types[k]);
        }
    }
    ht->n_slots = HT_MIN_SLOTS;
    ht->mask = HT_MIN_SLOTS - 1;
    ht->slots = kl_malloc(HT_MIN_SLOTS * sizeof *ht->slots);
    if (!ht->slots) goto fail;
    memset(ht->slots, 0xff, HT_MIN_SLOTS * sizeof *ht->slots);
    return ht;
fail:
    ht_free(ht);
    return NULL;
}

void ht_free(kl_ht *ht) {
    if (!ht) return;
    if (ht->cols) {
        for (uint32_t k = 0; k < ht->n_keys; k++) {
            kl_free(ht->cols[k].data);
            kl_free(ht->cols[k].nulls);
        }
        kl_free(ht->cols);
    }
    kl_free(ht->slots);
    kl_free(ht->group_hash);
    kl_free(ht->hashes);
    kl_arena_free(&ht->strings);
    kl_free(ht);
}

uint32_t ht_group_count(const kl_ht *ht) { return ht ? ht->n_groups : 0; }

size_t ht_memory(const kl_ht *ht) {
    if (!ht) return 0;
    size_t bytes = sizeof *ht + ht->n_keys * sizeof(ht_keycol);
    bytes += (size_t)ht->n_slots * sizeof(ht_slot);
    bytes += (size_t)ht->group_cap * sizeof(uint64_t);
    bytes += (size_t)ht->hashes_cap * sizeof(uint64_t);
    for (uint32_t k = 0; k < ht->n_keys; k++)
        bytes += (size_t)ht->group_cap * (ht->cols[k].elem + 1);
    bytes += kl_arena_size(&ht->strings);
    return bytes;
}

/* ---- hashing ------------------------------------------------------------------------- */

/* Doubles hash by value: -0.0 like 0.0, every NaN like one canonical NaN. */
static inline uint64_t ht_double_bits(double d) {
    if (d == 0.0) d = 0.0;
    if (isnan(d)) return 0x7ff8000000000000ULL;
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* Hash of row i of column v (NULL included). */
static inline uint64_t ht_hash_value(const kl_vec *v, uint32_t i) {
    if (v->type == KILN_TYPE_NULL || v->nulls[i]) return HT_NULL_HASH;
    switch (v->type) {
    case KILN_TYPE_BOOLEAN: return kl_hash_u64(VEC_U8(v)[i]);
    case KILN_TYPE_BIGINT:
    case KILN_TYPE_TIMESTAMP: return kl_hash_u64((uint64_t)VEC_I64(v)[i]);
    case KILN_TYPE_DATE: return kl_hash_u64((uint64_t)(int64_t)VEC_I32(v)[i]);
    case KILN_TYPE_DOUBLE: return kl_hash_u64(ht_double_bits(VEC_F64(v)[i]));
    case KILN_TYPE_VARCHAR: return kl_hash_bytes(VEC_STR(v)[i].ptr, VEC_STR(v)[i].len);
    case KILN_TYPE_INTERVAL: return ht_interval_hash(VEC_IV(v)[i]);
    default: return HT_NULL_HASH;
    }
}

/* Hash one column for all rows; first column stores, later columns combine. The type
 * switch sits outside the loops so each loop is a tight, type-specific one. */
static void ht_hash_column(const kl_vec *v, uint32_t n, uint64_t *h, bool first) {
    if (v->type == KILN_TYPE_NULL) {
        for (uint32_t i = 0; i < n; i++) h[i] = first ? HT_NULL_HASH : kl_hash_combine(h[i], HT_NULL_HASH);
        return;
    }
    if (!v->has_nulls && (v->type == KILN_TYPE_BIGINT || v->type == KILN_TYPE_TIMESTAMP)) {
        const int64_t *d = VEC_I64(v);
        if (first)
            for (uint32_t i = 0; i < n; i++) h[i] = kl_hash_u64((uint64_t)d[i]);
        else
            for (uint32_t i = 0; i < n; i++) h[i] = kl_hash_combine(h[i], kl_hash_u64((uint64_t)d[i]));
        return;
    }
    if (!v->has_nulls && v->type == KILN_TYPE_VARCHAR) {
        const kl_str *s = VEC_STR(v);
        if (first)
            for (uint32_t i = 0; i < n; i++) h[i] = kl_hash_bytes(s[i].ptr, s[i].len);
        else
            for (uint32_t i = 0; i < n; i++) h[i] = kl_hash_combine(h[i], kl_hash_bytes(s[i].ptr, s[i].len));
        return;
    }
    if (first)
        for (uint32_t i = 0; i < n; i++) h[i] = ht_hash_value(v, i);
    else
        for (uint32_t i = 0; i < n; i++) h[i] = kl_hash_combine(h[i], ht_hash_value(v, i));
}

static int ht_ensure_hashes(kl_ht *ht, uint32_t n) {
    if (n > ht->hashes_cap) {
        uint64_t *nh = kl_realloc(ht->hashes, (size_t)n * sizeof *nh);
        if (!nh) return KILN_ERR_MEMORY;
        ht->hashes = nh;
        ht->hashes_cap = n;
    }
    return 0;
}

/* Touch the home slot of every row before probing: with a table larger than the caches,
 * the misses then overlap instead of being paid one after another in the probe loop.
 * (A slot array rebuilt by growth mid-batch only makes some prefetches useless.) */
static void ht_prefetch_slots(const kl_ht *ht, const uint64_t *hashes, uint32_t n) {
    if (ht->n_slots * sizeof(ht_slot) < (256u << 10)) return; /* fits in cache anyway */
    for (uint32_t i = 0; i < n; i++) __builtin_prefetch(&ht->slots[hashes[i] & ht->mask]);
}

static int ht_hash_batch(kl_ht *ht, kl_vec **keys, uint32_t n) {
    TRY(ht_ensure_hashes(ht, n));
    for (uint32_t k = 0; k < ht->n_keys; k++) ht_hash_column(keys[k], n, ht->hashes, k == 0);
    return 0;
}

/* ---- key comparison and storage ----------------------------------------------------- */

/* True if row i of the input keys equals the stored key of group g. */
static bool ht_keys_equal(const kl_ht *ht, kl_vec **keys, uint32_t i, uint32_t g) {
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        const ht_keycol *c = &ht->cols[k];
        const kl_vec *v = keys[k];
        bool in_null = v->type == KILN_TYPE_NULL || v->nulls[i];
        bool st_null = c->nulls[g] != 0;
        if (in_null || st_null) {
            if (in_null != st_null) return false;
            continue;
        }
        switch (c->type) {
        case KILN_TYPE_BOOLEAN:
            if (VEC_U8(v)[i] != ((const uint8_t *)c->data)[g]) return false;
            break;
        case KILN_TYPE_BIGINT:
        case KILN_TYPE_TIMESTAMP:
            if (VEC_I64(v)[i] != ((const int64_t *)c->data)[g]) return false;
            break;
        case KILN_TYPE_DATE:
            if (VEC_I32(v)[i] != ((const int32_t *)c->data)[g]) return false;
            break;
        case KILN_TYPE_DOUBLE: {
            double a = VEC_F64(v)[i], b = ((const double *)c->data)[g];
            if (!(a == b || (isnan(a) && isnan(b)))) return false;
            break;
        }
        case KILN_TYPE_VARCHAR: {
            kl_str a = VEC_STR(v)[i], b = ((const kl_str *)c->data)[g];
            if (a.len != b.len || (a.len && memcmp(a.ptr, b.ptr, a.len) != 0)) return false;
            break;
        }
        case KILN_TYPE_INTERVAL:
            if (kl_interval_cmp(VEC_IV(v)[i], ((const kl_interval *)c->data)[g]) != 0) return false;
            break;
        default: break;
        }
    }
    return true;
}

/* Make room for at least one more group in key storage. */
static int ht_grow_groups(kl_ht *ht) {
    if (ht->n_groups < ht->group_cap) return 0;
    uint64_t want = ht->group_cap ? (uint64_t)ht->group_cap * 2 : HT_MIN_GROUPS;
    if (want > UINT32_MAX) want = UINT32_MAX;
    uint32_t cap = (uint32_t)want;
    uint64_t *gh = kl_realloc(ht->group_hash, (size_t)cap * sizeof *gh);
    if (!gh) return KILN_ERR_MEMORY;
    ht->group_hash = gh;
    /* Columns grow one by one; group_cap is raised only when all succeeded, and a column
     * that already grew simply holds spare room, so a failure leaves the table valid. */
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        ht_keycol *c = &ht->cols[k];
        uint8_t *nn = kl_realloc(c->nulls, cap);
        if (!nn) return KILN_ERR_MEMORY;
        c->nulls = nn;
        if (c->elem) {
            void *nd = kl_realloc(c->data, (size_t)cap * c->elem);
            if (!nd) return KILN_ERR_MEMORY;
            c->data = nd;
        }
    }
    ht->group_cap = cap;
    return 0;
}

/* Double the slot array and reinsert every group from its stored hash. */
static int ht_grow_slots(kl_ht *ht) {
    uint64_t n_slots = ht->n_slots * 2;
    ht_slot *slots = kl_malloc((size_t)n_slots * sizeof *slots);
    if (!slots) return KILN_ERR_MEMORY;
    memset(slots, 0xff, (size_t)n_slots * sizeof *slots);
    uint64_t mask = n_slots - 1;
    for (uint32_t g = 0; g < ht->n_groups; g++) {
        uint64_t h = ht->group_hash[g];
        uint64_t pos = h & mask;
        while (slots[pos].gid != HT_EMPTY) pos = (pos + 1) & mask;
        slots[pos].tag = (uint32_t)(h >> 32);
        slots[pos].gid = g;
    }
    kl_free(ht->slots);
    ht->slots = slots;
    ht->n_slots = n_slots;
    ht->mask = mask;
    return 0;
}

/* Ensure one more group fits: key storage room and load factor <= 0.5 after the insert. */
static int ht_reserve_one(kl_ht *ht, kl_error *err) {
    if (KL_UNLIKELY(ht->n_groups >= UINT32_MAX - 1))
        return kl_err(err, KILN_ERR_MEMORY, "hash table: too many groups (more than %u)",
                      UINT32_MAX - 1);
    if (ht_grow_groups(ht) != 0) return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    if ((uint64_t)(ht->n_groups + 1) * 2 > ht->n_slots && ht_grow_slots(ht) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    return 0;
}

/* Append row i of the input keys as group n_groups (room was reserved). Strings are copied
 * into the arena. Returns 0 or KILN_ERR_MEMORY. */
static int ht_store_key(kl_ht *ht, kl_vec **keys, uint32_t i, uint64_t hash) {
    uint32_t g = ht->n_groups;
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        ht_keycol *c = &ht->cols[k];
        const kl_vec *v = keys[k];
        bool is_null = v->type == KILN_TYPE_NULL || v->nulls[i];
        c->nulls[g] = is_null;
        if (!c->elem) continue;
        if (is_null) {
            memset((char *)c->data + (size_t)g * c->elem, 0, c->elem);
            continue;
        }
        if (c->type == KILN_TYPE_VARCHAR) {
            kl_str s = VEC_STR(v)[i];
            kl_str copy = {"", 0};
            if (s.len) {
                char *p = kl_arena_alloc(&ht->strings, s.len);
                if (!p) return KILN_ERR_MEMORY;
                memcpy(p, s.ptr, s.len);
                copy.ptr = p;
                copy.len = s.len;
            }
            ((kl_str *)c->data)[g] = copy;
        } else {
            memcpy((char *)c->data + (size_t)g * c->elem, (const char *)v->data + (size_t)i * c->elem,
                   c->elem);
        }
    }
    ht->group_hash[g] = hash;
    return 0;
}

/* Insert a new group for row i at free slot pos. */
static int ht_insert_at(kl_ht *ht, kl_vec **keys, uint32_t i, uint64_t hash, uint64_t *pos_io,
                        uint32_t *gid, kl_error *err) {
    uint64_t old_slots = ht->n_slots;
    TRY(ht_reserve_one(ht, err));
    uint64_t pos = *pos_io;
    if (ht->n_slots != old_slots) { /* the slot array was rebuilt: find a free slot again */
        pos = hash & ht->mask;
        while (ht->slots[pos].gid != HT_EMPTY) pos = (pos + 1) & ht->mask;
    }
    if (ht_store_key(ht, keys, i, hash) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    ht->slots[pos].tag = (uint32_t)(hash >> 32);
    ht->slots[pos].gid = ht->n_groups;
    *gid = ht->n_groups++;
    *pos_io = pos;
    return 0;
}

/* Fast path: one BIGINT/TIMESTAMP key, no NULLs in the input. */
static int ht_insert_i64(kl_ht *ht, kl_vec *key, uint32_t n, uint32_t *group_ids,
                         kl_error *err) {
    const int64_t *d = VEC_I64(key);
    if (ht_ensure_hashes(ht, n) != 0) return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    uint64_t *hashes = ht->hashes;
    for (uint32_t i = 0; i < n; i++) hashes[i] = kl_hash_u64((uint64_t)d[i]);
    ht_prefetch_slots(ht, hashes, n);
    for (uint32_t i = 0; i < n; i++) {
        int64_t val = d[i];
        uint64_t h = hashes[i];
        uint32_t tag = (uint32_t)(h >> 32);
        uint64_t pos = h & ht->mask;
        for (;;) {
            ht_slot s = ht->slots[pos];
            if (s.gid == HT_EMPTY) {
                kl_vec *kv = key;
                TRY(ht_insert_at(ht, &kv, i, h, &pos, &group_ids[i], err));
                break;
            }
            if (s.tag == tag && ((const int64_t *)ht->cols[0].data)[s.gid] == val &&
                !ht->cols[0].nulls[s.gid]) {
                group_ids[i] = s.gid;
                break;
            }
            pos = (pos + 1) & ht->mask;
        }
    }
    return 0;
}

/* Zero key columns: every row belongs to the single group 0. */
static int ht_insert_nokeys(kl_ht *ht, uint32_t n, uint32_t *group_ids, kl_error *err) {
    if (n == 0) return 0;
    if (ht->n_groups == 0) {
        uint64_t pos = 0;
        uint32_t gid;
        TRY(ht_insert_at(ht, NULL, 0, 0, &pos, &gid, err));
    }
    for (uint32_t i = 0; i < n; i++) group_ids[i] = 0;
    return 0;
}

int ht_find_or_insert(kl_ht *ht, kl_vec **keys, uint32_t n_rows, uint32_t *group_ids,
                      kl_error *err) {
    if (!ht) return kl_err(err, KILN_ERR_INTERNAL, "ht_find_or_insert: no table");
    if (ht->n_keys == 0) return ht_insert_nokeys(ht, n_rows, group_ids, err);
    if (n_rows == 0) return 0;
    if (ht->n_keys == 1 && !keys[0]->has_nulls &&
        (keys[0]->type == KILN_TYPE_BIGINT || keys[0]->type == KILN_TYPE_TIMESTAMP) &&
        keys[0]->type == ht->cols[0].type)
        return ht_insert_i64(ht, keys[0], n_rows, group_ids, err);

    if (ht_hash_batch(ht, keys, n_rows) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    const uint64_t *hashes = ht->hashes;
    ht_prefetch_slots(ht, hashes, n_rows);
    for (uint32_t i = 0; i < n_rows; i++) {
        uint64_t h = hashes[i];
        uint32_t tag = (uint32_t)(h >> 32);
        uint64_t pos = h & ht->mask;
        for (;;) {
            ht_slot s = ht->slots[pos];
            if (s.gid == HT_EMPTY) {
                TRY(ht_insert_at(ht, keys, i, h, &pos, &group_ids[i], err));
                break;
            }
            if (s.tag == tag && ht_keys_equal(ht, keys, i, s.gid)) {
                group_ids[i] = s.gid;
                break;
            }
            pos = (pos + 1) & ht->mask;
        }
    }
    return 0;
}

void ht_find(kl_ht *ht, kl_vec **keys, uint32_t n_rows, uint32_t *group_ids) {
    if (!ht) return;
    if (ht->n_keys == 0) {
        for (uint32_t i = 0; i < n_rows; i++) group_ids[i] = ht->n_groups ? 0 : UINT32_MAX;
        return;
    }
    if (n_rows == 0) return;
    /* Lookups need hashes; without scratch memory, fall back to hashing row by row. */
    bool batch = ht_hash_batch(ht, keys, n_rows) == 0;
    for (uint32_t i = 0; i < n_rows; i++) {
        uint64_t h;
        if (batch) {
            h = ht->hashes[i];
        } else {
            h = ht_hash_value(keys[0], i);
            for (uint32_t k = 1; k < ht->n_keys; k++) h = kl_hash_combine(h, ht_hash_value(keys[k], i));
        }
        uint32_t tag = (uint32_t)(h >> 32);
        uint64_t pos = h & ht->mask;
        group_ids[i] = UINT32_MAX;
        for (;;) {
            ht_slot s = ht->slots[pos];
            if (s.gid == HT_EMPTY) break;
            if (s.tag == tag && ht_keys_equal(ht, keys, i, s.gid)) {
                group_ids[i] = s.gid;
                break;
            }
            pos = (pos + 1) & ht->mask;
        }
    }
}

void ht_get_keys(const kl_ht *ht, uint32_t first, uint32_t n, kl_vec **out) {
    if (!ht || first >= ht->n_groups) return;
    if (n > ht->n_groups - first) n = ht->n_groups - first;
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        const ht_keycol *c = &ht->cols[k];
        kl_vec *v = out[k];
        bool any_null = false;
        for (uint32_t i = 0; i < n; i++) {
            v->nulls[i] = c->nulls[first + i];
            any_null |= c->nulls[first + i] != 0;
        }
        v->has_nulls = any_null;
        if (c->elem && v->data)
            memcpy(v->data, (const char *)c->data + (size_t)first * c->elem, (size_t)n * c->elem);
    }
}
