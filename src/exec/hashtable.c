/*
 * hashtable.c — the group hash table (see exec/hashtable.h): maps key tuples to dense group
 * ids 0, 1, 2, ... in order of first appearance.
 *
 * API in call order: ht_create -> ht_reserve (optional) -> ht_find_or_insert /
 * ht_find_or_insert_hashed / ht_find (any number of times) -> ht_group_count -> ht_get_keys /
 * ht_get_hashes -> ht_memory (any time) -> ht_free.
 *
 * Algorithm. A batch is processed in two passes:
 *   1. hash: every key column is hashed for the whole batch into hashes[] (kl_hash_u64 of the
 *      8-byte value for fixed-width types; strings of at most 7 bytes hash their packed
 *      8-byte form with kl_hash_u64, longer ones kl_hash_bytes; a fixed constant for
 *      NULL; doubles are normalised first so -0.0 hashes like 0.0 and every NaN alike;
 *      INTERVALs hash and compare by their normalized value, so '30 days' and '1 month' are
 *      one group as in DuckDB, keeping the first value seen), and
 *      columns are folded together with kl_hash_combine. Column-at-a-time loops keep the
 *      type switch out of the inner loop. ht_find_or_insert_hashed() skips this pass: the
 *      caller (the partitioned hash aggregate) hashed the batch once with ht_hash() and
 *      hands each partition's table the rows of a selection vector.
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
 * byte array (allocated when the column first stores a NULL), both of group_cap entries. VARCHAR keys are 8-byte packed words: a string of
 * at most 7 bytes is stored inline (bytes, zero padding, length in byte 7), so comparing
 * two short keys is one integer compare; a longer one is copied into the table's arena as
 * [uint32 length][bytes] and the word holds marker 0xFF in byte 7 and the low 56 bits of
 * the address in bytes 0..6. (db-benchmark ids like 'id001' take 8 bytes instead of a
 * 16-byte {ptr,len} plus a 16-byte aligned arena piece.) The full 64-bit hash of each group
 * is kept too (group_hash[]), so growing the slot array never re-hashes keys, and a
 * partitioned aggregate can move and merge groups without hashing them again.
 *
 * Bounds: load factor <= 0.5 while the slot array is small, <= 0.75 from HT_BIG_SLOTS slots
 * on (8-byte slots with tags keep probe runs short, and the slot array of a table with
 * millions of groups is a large share of its memory); the slot array doubles before an
 * insert would exceed it;
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
#define HT_BIG_SLOTS (1u << 16)
#define HT_ARENA_BLOCK (64u * 1024u)
#define HT_STR_INLINE 7u   /* strings up to this length live inside the packed word */
#define HT_STR_LONG 0xFFu  /* byte 7 of a packed word holding an arena address */

typedef struct ht_slot {
    uint32_t tag; /* upper 32 bits of the row hash */
    uint32_t gid; /* group id, HT_EMPTY if the slot is free */
} ht_slot;

typedef struct ht_keycol {
    kl_type type;
    size_t elem;    /* bytes per value; 0 for KILN_TYPE_NULL */
    void *data;     /* group_cap values (VARCHAR: packed words) */
    uint8_t *nulls; /* group_cap bytes, 1 = NULL; NULL until the column stores a NULL */
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
    uint64_t *words;      /* scratch: n_keys x words_cap packed key words (word batches) */
    uint32_t words_cap;
    kl_arena strings; /* VARCHAR key bytes longer than HT_STR_INLINE */
    const kl_ht *strings_to; /* ht_adopt_strings: the table that took this one's strings */
};

static size_t ht_elem_size(kl_type t) {
    switch (t) {
    case KILN_TYPE_BOOLEAN: return 1;
    case KILN_TYPE_BIGINT:
    case KILN_TYPE_TIMESTAMP: return 8;
    case KILN_TYPE_DOUBLE: return 8;
    case KILN_TYPE_DATE: return 4;
    case KILN_TYPE_VARCHAR: return sizeof(uint64_t);
    case KILN_TYPE_INTERVAL: return sizeof(kl_interval);
    default: return 0;
    }
}

/* ---- packed string keys -------------------------------------------------------------- */

/* Packed word of a string of at most HT_STR_INLINE bytes. The byte layout (not the integer
 * value) is what is defined, so it works on either endianness; only equality and the
 * in-process hash use the integer value. */
static inline uint64_t ht_pack_short(const char *p, uint32_t len) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the little-endian value of the bytes from at most two overlapping loads (a byte loop
       here cost more than the whole probe) */
    uint64_t w;
    if (len >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + len - 4, 4);
        w = (uint64_t)a | ((uint64_t)b << (8 * (len - 4)));
    } else if (len > 0) {
        const unsigned char *u = (const unsigned char *)p;
        w = (uint64_t)u[0] | ((uint64_t)u[len / 2] << (8 * (len / 2))) |
            ((uint64_t)u[len - 1] << (8 * (len - 1)));
    } else {
        w = 0;
    }
    return w | ((uint64_t)len << 56);
#else
    unsigned char b[8] = {0};
    if (len) memcpy(b, p, len);
    b[7] = (unsigned char)len;
    uint64_t w;
    memcpy(&w, b, sizeof w);
    return w;
#endif
}

static inline unsigned ht_pack_marker(uint64_t w) {
    unsigned char b[8];
    memcpy(b, &w, sizeof b);
    return b[7];
}

/* Arena piece [uint32 length][bytes] of a long packed word. */
static inline const char *ht_pack_long_ptr(uint64_t w) {
    unsigned char b[8];
    memcpy(b, &w, sizeof b);
    uintptr_t a = 0;
    for (int i = 6; i >= 0; i--) a = (a << 8) | b[i];
    return (const char *)a;
}

static inline uint64_t ht_pack_long(const char *piece) {
    uintptr_t a = (uintptr_t)piece;
    unsigned char b[8];
    for (int i = 0; i < 7; i++) b[i] = (unsigned char)(a >> (8 * i));
    b[7] = HT_STR_LONG;
    uint64_t w;
    memcpy(&w, b, sizeof w);
    return w;
}

/* The string a packed word stands for. For a short key the bytes are read in place, so the
 * result is valid until the key array moves (the next insert). */
static inline kl_str ht_unpack(const uint64_t *w) {
    unsigned m = ht_pack_marker(*w);
    if (m != HT_STR_LONG) return (kl_str){(const char *)w, m};
    const char *p = ht_pack_long_ptr(*w);
    uint32_t len;
    memcpy(&len, p, sizeof len);
    return (kl_str){p + sizeof len, len};
}

static inline uint64_t ht_str_hash(kl_str s) {
    if (s.len <= HT_STR_INLINE) return kl_hash_u64(ht_pack_short(s.ptr, (uint32_t)s.len));
    return kl_hash_bytes(s.ptr, s.len);
}

static inline bool ht_str_equal(kl_str s, uint64_t stored) {
    if (s.len <= HT_STR_INLINE) return ht_pack_short(s.ptr, (uint32_t)s.len) == stored;
    if (ht_pack_marker(stored) != HT_STR_LONG) return false;
    const char *p = ht_pack_long_ptr(stored);
    uint32_t len;
    memcpy(&len, p, sizeof len);
    return len == s.len && memcmp(p + sizeof len, s.ptr, len) == 0;
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
            /* a MODEL key is its text */
            ht->cols[k].type = kl_type_is_model(key_types[k]) ? KILN_TYPE_VARCHAR : key_types[k];
            ht->cols[k].elem = ht_elem_size(ht->cols[k].type);
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
    kl_free(ht->words);
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
    bytes += (size_t)ht->words_cap * ht->n_keys * sizeof(uint64_t);
    for (uint32_t k = 0; k < ht->n_keys; k++)
        bytes += (size_t)ht->group_cap * (ht->cols[k].elem + (ht->cols[k].nulls != NULL));
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
    case KILN_TYPE_VARCHAR: return ht_str_hash(VEC_STR(v)[i]);
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
            for (uint32_t i = 0; i < n; i++) h[i] = ht_str_hash(s[i]);
        else
            for (uint32_t i = 0; i < n; i++) h[i] = kl_hash_combine(h[i], ht_str_hash(s[i]));
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

void ht_hash(const kl_ht *ht, kl_vec **keys, uint32_t n_rows, uint64_t *hashes) {
    if (ht->n_keys == 0) {
        memset(hashes, 0, (size_t)n_rows * sizeof *hashes);
        return;
    }
    for (uint32_t k = 0; k < ht->n_keys; k++) ht_hash_column(keys[k], n_rows, hashes, k == 0);
}

static int ht_hash_batch(kl_ht *ht, kl_vec **keys, uint32_t n) {
    TRY(ht_ensure_hashes(ht, n));
    ht_hash(ht, keys, n, ht->hashes);
    return 0;
}

/* ---- key comparison and storage ----------------------------------------------------- */

/* True if row i of the input keys equals the stored key of group g. */
static inline bool ht_keys_equal(const kl_ht *ht, kl_vec **keys, uint32_t i, uint32_t g) {
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        const ht_keycol *c = &ht->cols[k];
        const kl_vec *v = keys[k];
        bool in_null = v->type == KILN_TYPE_NULL || v->nulls[i];
        bool st_null = c->nulls && c->nulls[g];
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
        case KILN_TYPE_VARCHAR:
            if (!ht_str_equal(VEC_STR(v)[i], ((const uint64_t *)c->data)[g])) return false;
            break;
        case KILN_TYPE_INTERVAL:
            if (kl_interval_cmp(VEC_IV(v)[i], ((const kl_interval *)c->data)[g]) != 0) return false;
            break;
        default: break;
        }
    }
    return true;
}

/* Make room for at least `want` groups in key storage. */
static int ht_grow_groups_to(kl_ht *ht, uint64_t want) {
    if (want <= ht->group_cap) return 0;
    if (want > UINT32_MAX) want = UINT32_MAX;
    uint32_t cap = (uint32_t)want;
    uint64_t *gh = kl_realloc(ht->group_hash, (size_t)cap * sizeof *gh);
    if (!gh) return KILN_ERR_MEMORY;
    ht->group_hash = gh;
    /* Columns grow one by one; group_cap is raised only when all succeeded, and a column
     * that already grew simply holds spare room, so a failure leaves the table valid. */
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        ht_keycol *c = &ht->cols[k];
        if (c->nulls) {
            uint8_t *nn = kl_realloc(c->nulls, cap);
            if (!nn) return KILN_ERR_MEMORY;
            c->nulls = nn;
        }
        if (c->elem) {
            void *nd = kl_realloc(c->data, (size_t)cap * c->elem);
            if (!nd) return KILN_ERR_MEMORY;
            c->data = nd;
        }
    }
    ht->group_cap = cap;
    return 0;
}

static int ht_grow_groups(kl_ht *ht) {
    if (ht->n_groups < ht->group_cap) return 0;
    /* doubling while small; 1.5x beyond 64K groups keeps the unused tail of large key
       arrays (and the bytes copied by each growth) smaller */
    uint64_t cap = ht->group_cap;
    return ht_grow_groups_to(ht, cap == 0 ? HT_MIN_GROUPS : cap < (1u << 16) ? cap * 2 : cap + cap / 2);
}

/* Rebuild the slot array with n_slots slots (a power of two) from the stored hashes. */
static int ht_resize_slots(kl_ht *ht, uint64_t n_slots) {
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

/* Whether n_groups groups respect the load factor bound with n_slots slots. */
static inline bool ht_fits(uint64_t n_groups, uint64_t n_slots) {
    return n_slots < HT_BIG_SLOTS ? n_groups * 2 <= n_slots : n_groups * 4 <= n_slots * 3;
}

int ht_reserve(kl_ht *ht, uint32_t n_groups, kl_error *err) {
    if (!ht || ht->n_keys == 0) return 0;
    if (n_groups > UINT32_MAX - 1) n_groups = UINT32_MAX - 1;
    if (ht_grow_groups_to(ht, n_groups) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    uint64_t n_slots = ht->n_slots;
    while (!ht_fits(n_groups, n_slots)) n_slots *= 2;
    if (n_slots != ht->n_slots && ht_resize_slots(ht, n_slots) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    return 0;
}

/* Ensure one more group fits: key storage room and the load factor bound after the insert. */
static int ht_reserve_one(kl_ht *ht, kl_error *err) {
    if (KL_UNLIKELY(ht->n_groups >= UINT32_MAX - 1))
        return kl_err(err, KILN_ERR_MEMORY, "hash table: too many groups (more than %u)",
                      UINT32_MAX - 1);
    if (ht_grow_groups(ht) != 0) return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    if (!ht_fits((uint64_t)ht->n_groups + 1, ht->n_slots) && ht_resize_slots(ht, ht->n_slots * 2) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    return 0;
}

/* Append row i of the input keys as group n_groups (room was reserved). Long strings are
 * copied into the arena. Returns 0 or KILN_ERR_MEMORY. */
static int ht_store_key(kl_ht *ht, kl_vec **keys, uint32_t i, uint64_t hash) {
    uint32_t g = ht->n_groups;
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        ht_keycol *c = &ht->cols[k];
        const kl_vec *v = keys[k];
        bool is_null = v->type == KILN_TYPE_NULL || v->nulls[i];
        if (is_null && !c->nulls) { /* first NULL of this column: earlier groups are not NULL */
            c->nulls = kl_calloc(ht->group_cap, 1);
            if (!c->nulls) return KILN_ERR_MEMORY;
        }
        if (c->nulls) c->nulls[g] = is_null;
        if (!c->elem) continue;
        if (is_null) {
            memset((char *)c->data + (size_t)g * c->elem, 0, c->elem);
            continue;
        }
        switch (c->type) {
        case KILN_TYPE_VARCHAR: {
            kl_str s = VEC_STR(v)[i];
            uint64_t w;
            if (s.len <= HT_STR_INLINE) {
                w = ht_pack_short(s.ptr, (uint32_t)s.len);
            } else {
                if (s.len > UINT32_MAX) return KILN_ERR_MEMORY;
                uint32_t len = (uint32_t)s.len;
                char *p = kl_arena_alloc_bytes(&ht->strings, sizeof len + s.len);
                /* the address must fit the 56 bits of a packed word (user space does) */
                if (!p || ((uintptr_t)p >> 56) != 0) return KILN_ERR_MEMORY;
                memcpy(p, &len, sizeof len);
                memcpy(p + sizeof len, s.ptr, s.len);
                w = ht_pack_long(p);
            }
            ((uint64_t *)c->data)[g] = w;
            break;
        }
        case KILN_TYPE_BIGINT:
        case KILN_TYPE_TIMESTAMP:
        case KILN_TYPE_DOUBLE:
            ((int64_t *)c->data)[g] = VEC_I64(v)[i];
            break;
        default:
            memcpy((char *)c->data + (size_t)g * c->elem, (const char *)v->data + (size_t)i * c->elem,
                   c->elem);
            break;
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

/* Touch the home slot of every row before probing: with a table larger than the caches,
 * the misses then overlap instead of being paid one after another in the probe loop.
 * (A slot array rebuilt by growth mid-batch only makes some prefetches useless.)
 * ht_find_or_insert_hashed leaves this to its caller (ht_prefetch), which can then touch
 * the slots of every partition of a batch before probing any. */
static void ht_prefetch_slots(const kl_ht *ht, const uint64_t *hashes, const uint32_t *sel,
                              uint32_t n) {
    if (ht->n_slots * sizeof(ht_slot) < (256u << 10)) return; /* fits in cache anyway */
    if (sel)
        for (uint32_t j = 0; j < n; j++) __builtin_prefetch(&ht->slots[hashes[sel[j]] & ht->mask]);
    else
        for (uint32_t i = 0; i < n; i++) __builtin_prefetch(&ht->slots[hashes[i] & ht->mask]);
}

/*
 * The probe loop over rows sel[0..n) (0..n when sel is NULL) with their hashes. `i64` and
 * `str` are compile-time constants at each call: a single non-NULL BIGINT/TIMESTAMP key, or a
 * single non-NULL VARCHAR key, compared inline.
 */
static inline int ht_probe_insert_t(kl_ht *ht, kl_vec **keys, const uint64_t *hashes,
                                    const uint32_t *sel, uint32_t n, uint32_t *group_ids, bool i64,
                                    bool str, kl_error *err) {
    const int64_t *d = i64 ? VEC_I64(keys[0]) : NULL;
    const kl_str *sv = str ? VEC_STR(keys[0]) : NULL;
    for (uint32_t j = 0; j < n; j++) {
        uint32_t i = sel ? sel[j] : j;
        uint64_t h = hashes[i];
        uint32_t tag = (uint32_t)(h >> 32);
        uint64_t pos = h & ht->mask;
        for (;;) {
            ht_slot s = ht->slots[pos];
            if (s.gid == HT_EMPTY) {
                TRY(ht_insert_at(ht, keys, i, h, &pos, &group_ids[i], err));
                break;
            }
            if (s.tag == tag &&
                (i64   ? ((const int64_t *)ht->cols[0].data)[s.gid] == d[i] && !(ht->cols[0].nulls && ht->cols[0].nulls[s.gid])
                 : str ? ht_str_equal(sv[i], ((const uint64_t *)ht->cols[0].data)[s.gid]) && !(ht->cols[0].nulls && ht->cols[0].nulls[s.gid])
                       : ht_keys_equal(ht, keys, i, s.gid))) {
                group_ids[i] = s.gid;
                break;
            }
            pos = (pos + 1) & ht->mask;
        }
    }
    return 0;
}

static bool ht_is_str_batch(const kl_ht *ht, kl_vec **keys) {
    return ht->n_keys == 1 && !keys[0]->has_nulls && keys[0]->type == KILN_TYPE_VARCHAR &&
           ht->cols[0].type == KILN_TYPE_VARCHAR;
}

/* The probe loop, specialised for the batch's key shape. */
static int ht_probe_insert(kl_ht *ht, kl_vec **keys, const uint64_t *hashes, const uint32_t *sel,
                           uint32_t n, uint32_t *group_ids, bool i64, kl_error *err) {
    if (i64) return ht_probe_insert_t(ht, keys, hashes, sel, n, group_ids, true, false, err);
    if (ht_is_str_batch(ht, keys)) return ht_probe_insert_t(ht, keys, hashes, sel, n, group_ids, false, true, err);
    return ht_probe_insert_t(ht, keys, hashes, sel, n, group_ids, false, false, err);
}

static bool ht_is_i64_batch(const kl_ht *ht, kl_vec **keys) {
    return ht->n_keys == 1 && !keys[0]->has_nulls &&
           (keys[0]->type == KILN_TYPE_BIGINT || keys[0]->type == KILN_TYPE_TIMESTAMP) &&
           keys[0]->type == ht->cols[0].type;
}

/* Zero key columns: every row belongs to the single group 0. */
static int ht_insert_nokeys(kl_ht *ht, const uint32_t *sel, uint32_t n, uint32_t *group_ids,
                            kl_error *err) {
    if (n == 0) return 0;
    if (ht->n_groups == 0) {
        uint64_t pos = 0;
        uint32_t gid;
        TRY(ht_insert_at(ht, NULL, 0, 0, &pos, &gid, err));
    }
    for (uint32_t j = 0; j < n; j++) group_ids[sel ? sel[j] : j] = 0;
    return 0;
}

/*
 * Word batches: when every key column of a batch is BIGINT/TIMESTAMP or VARCHAR of at most
 * 7 bytes, with no NULLs, each key value is one 64-bit word equal to its stored form. The
 * batch is packed once (words[k * n + i]), hashed from the words (the same hashes as
 * ht_hash_column gives) and compared word by word, with no type switch per row.
 */
static bool ht_pack_batch(kl_ht *ht, kl_vec **keys, uint32_t n) {
    if (ht->n_keys > 4) return false;
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        const kl_vec *v = keys[k];
        kl_type t = ht->cols[k].type;
        if (v->has_nulls || v->type != t ||
            !(t == KILN_TYPE_BIGINT || t == KILN_TYPE_TIMESTAMP || t == KILN_TYPE_VARCHAR))
            return false;
    }
    if (n > ht->words_cap) {
        uint64_t *w = kl_realloc(ht->words, (size_t)n * ht->n_keys * sizeof *w);
        if (!w) return false;
        ht->words = w;
        ht->words_cap = n;
    }
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        const kl_vec *v = keys[k];
        uint64_t *w = ht->words + (size_t)k * n;
        if (v->type == KILN_TYPE_VARCHAR) {
            /* one pass: a longer string ends the word batch (the caller then hashes and
               compares the batch the general way) */
            const kl_str *s = VEC_STR(v);
            for (uint32_t i = 0; i < n; i++) {
                if (KL_UNLIKELY(s[i].len > HT_STR_INLINE)) return false;
                w[i] = ht_pack_short(s[i].ptr, (uint32_t)s[i].len);
            }
        } else {
            memcpy(w, VEC_I64(v), (size_t)n * sizeof *w);
        }
    }
    return true;
}

/* nk is a constant (1..4) at each call of ht_insert_words_n, so the per-row key loops
   unroll. */
static inline int ht_insert_words_n(kl_ht *ht, kl_vec **keys, uint32_t n, uint32_t *group_ids,
                                    const uint32_t nk, kl_error *err) {
    const uint64_t *words = ht->words;
    uint64_t *hashes = ht->hashes;
    for (uint32_t i = 0; i < n; i++) hashes[i] = kl_hash_u64(words[i]);
    for (uint32_t k = 1; k < nk; k++)
        for (uint32_t i = 0; i < n; i++) hashes[i] = kl_hash_combine(hashes[i], kl_hash_u64(words[(size_t)k * n + i]));
    ht_prefetch_slots(ht, hashes, NULL, n);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = hashes[i];
        uint32_t tag = (uint32_t)(h >> 32);
        uint64_t pos = h & ht->mask;
        for (;;) {
            ht_slot s = ht->slots[pos];
            if (s.gid == HT_EMPTY) {
                TRY(ht_insert_at(ht, keys, i, h, &pos, &group_ids[i], err));
                break;
            }
            if (s.tag == tag) {
                bool eq = true;
                for (uint32_t k = 0; k < nk && eq; k++)
                    eq = ((const uint64_t *)ht->cols[k].data)[s.gid] == words[(size_t)k * n + i] &&
                         !(ht->cols[k].nulls && ht->cols[k].nulls[s.gid]);
                if (eq) {
                    group_ids[i] = s.gid;
                    break;
                }
            }
            pos = (pos + 1) & ht->mask;
        }
    }
    return 0;
}

int ht_find_or_insert(kl_ht *ht, kl_vec **keys, uint32_t n_rows, uint32_t *group_ids,
                      kl_error *err) {
    if (!ht) return kl_err(err, KILN_ERR_INTERNAL, "ht_find_or_insert: no table");
    if (ht->n_keys == 0) return ht_insert_nokeys(ht, NULL, n_rows, group_ids, err);
    if (n_rows == 0) return 0;
    if (!ht_is_i64_batch(ht, keys) && ht_pack_batch(ht, keys, n_rows)) {
        if (ht_ensure_hashes(ht, n_rows) != 0)
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
        switch (ht->n_keys) {
        case 1: return ht_insert_words_n(ht, keys, n_rows, group_ids, 1, err);
        case 2: return ht_insert_words_n(ht, keys, n_rows, group_ids, 2, err);
        case 3: return ht_insert_words_n(ht, keys, n_rows, group_ids, 3, err);
        default: return ht_insert_words_n(ht, keys, n_rows, group_ids, 4, err);
        }
    }
    if (ht_hash_batch(ht, keys, n_rows) != 0)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    ht_prefetch_slots(ht, ht->hashes, NULL, n_rows);
    if (ht_is_i64_batch(ht, keys))
        return ht_probe_insert(ht, keys, ht->hashes, NULL, n_rows, group_ids, true, err);
    return ht_probe_insert(ht, keys, ht->hashes, NULL, n_rows, group_ids, false, err);
}

void ht_prefetch(const kl_ht *ht, const uint64_t *hashes, const uint32_t *sel, uint32_t n) {
    /* no size check: the caller's tables together may exceed the caches when each is small */
    if (!ht || !ht->n_keys) return;
    for (uint32_t j = 0; j < n; j++) __builtin_prefetch(&ht->slots[hashes[sel ? sel[j] : j] & ht->mask]);
}

/*
 * Comparing a long string key reads its bytes from the arena: one cache miss per row when
 * the table is large, paid row after row in the probe loop. Before probing, touch the home
 * slot of every row and, when its tag matches, prefetch the stored long strings of that group
 * (the key word first, then in a second pass the bytes it points to), so the misses overlap.
 */
static void ht_prefetch_long_keys(const kl_ht *ht, const uint64_t *hashes, const uint32_t *sel,
                                  uint32_t n) {
    if (ht->n_groups < 4096) return;
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        const ht_keycol *c = &ht->cols[k];
        if (c->type != KILN_TYPE_VARCHAR) continue;
        const uint64_t *words = c->data;
        for (uint32_t j = 0; j < n; j++) {
            uint64_t h = hashes[sel ? sel[j] : j];
            ht_slot s = ht->slots[h & ht->mask];
            if (s.gid != HT_EMPTY && s.tag == (uint32_t)(h >> 32)) __builtin_prefetch(&words[s.gid]);
        }
        for (uint32_t j = 0; j < n; j++) {
            uint64_t h = hashes[sel ? sel[j] : j];
            ht_slot s = ht->slots[h & ht->mask];
            if (s.gid == HT_EMPTY || s.tag != (uint32_t)(h >> 32)) continue;
            uint64_t w = words[s.gid];
            if (ht_pack_marker(w) == HT_STR_LONG) __builtin_prefetch(ht_pack_long_ptr(w));
        }
    }
}

int ht_find_or_insert_hashed(kl_ht *ht, kl_vec **keys, const uint64_t *hashes,
                             const uint32_t *sel, uint32_t n, uint32_t *group_ids,
                             kl_error *err) {
    if (!ht) return kl_err(err, KILN_ERR_INTERNAL, "ht_find_or_insert_hashed: no table");
    if (ht->n_keys == 0) return ht_insert_nokeys(ht, sel, n, group_ids, err);
    if (n == 0) return 0;
    if (ht_is_i64_batch(ht, keys))
        return ht_probe_insert(ht, keys, hashes, sel, n, group_ids, true, err);
    ht_prefetch_long_keys(ht, hashes, sel, n);
    return ht_probe_insert(ht, keys, hashes, sel, n, group_ids, false, err);
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
        for (uint32_t i = 0; c->nulls && i < n; i++) any_null |= c->nulls[first + i] != 0;
        if (any_null) memcpy(v->nulls, c->nulls + first, n);
        else memset(v->nulls, 0, n);
        v->has_nulls = any_null;
        if (!c->elem || !v->data) continue;
        if (c->type == KILN_TYPE_VARCHAR) {
            const uint64_t *w = (const uint64_t *)c->data + first;
            kl_str *s = VEC_STR(v);
            for (uint32_t i = 0; i < n; i++) s[i] = ht_unpack(&w[i]);
        } else {
            memcpy(v->data, (const char *)c->data + (size_t)first * c->elem, (size_t)n * c->elem);
        }
    }
}

void ht_get_hashes(const kl_ht *ht, uint32_t first, uint32_t n, uint64_t *out) {
    if (!ht || first >= ht->n_groups) return;
    if (n > ht->n_groups - first) n = ht->n_groups - first;
    if (ht->n_keys == 0) memset(out, 0, (size_t)n * sizeof *out);
    else memcpy(out, ht->group_hash + first, (size_t)n * sizeof *out);
}

/* ---- table to table ------------------------------------------------------------------ */

/* True if group gs of src has the same key as group gd of dst (same key types). */
static inline bool ht_groups_equal(const kl_ht *dst, uint32_t gd, const kl_ht *src, uint32_t gs) {
    for (uint32_t k = 0; k < dst->n_keys; k++) {
        const ht_keycol *cd = &dst->cols[k], *cs = &src->cols[k];
        bool nd = cd->nulls && cd->nulls[gd], ns = cs->nulls && cs->nulls[gs];
        if (nd || ns) {
            if (nd != ns) return false;
            continue;
        }
        switch (cd->type) {
        case KILN_TYPE_VARCHAR: {
            uint64_t a = ((const uint64_t *)cd->data)[gd], b = ((const uint64_t *)cs->data)[gs];
            if (a == b) break;
            if (ht_pack_marker(a) != HT_STR_LONG || ht_pack_marker(b) != HT_STR_LONG) return false;
            kl_str x = ht_unpack(&a), y = ht_unpack(&b);
            if (x.len != y.len || memcmp(x.ptr, y.ptr, x.len) != 0) return false;
            break;
        }
        case KILN_TYPE_DOUBLE: {
            double a = ((const double *)cd->data)[gd], b = ((const double *)cs->data)[gs];
            if (!(a == b || (isnan(a) && isnan(b)))) return false;
            break;
        }
        case KILN_TYPE_INTERVAL:
            if (kl_interval_cmp(((const kl_interval *)cd->data)[gd], ((const kl_interval *)cs->data)[gs]) != 0)
                return false;
            break;
        default:
            if (cd->elem && memcmp((const char *)cd->data + (size_t)gd * cd->elem,
                                   (const char *)cs->data + (size_t)gs * cs->elem, cd->elem) != 0)
                return false;
            break;
        }
    }
    return true;
}

void ht_adopt_strings(kl_ht *dst, kl_ht *src) {
    if (!dst || !src || dst == src) return;
    kl_arena_adopt(&dst->strings, &src->strings);
    src->strings_to = dst;
}

/* Append the key of group gs of src as group n_groups of dst (room was reserved). */
static int ht_copy_key(kl_ht *dst, const kl_ht *src, uint32_t gs, uint64_t hash) {
    uint32_t g = dst->n_groups;
    for (uint32_t k = 0; k < dst->n_keys; k++) {
        ht_keycol *cd = &dst->cols[k];
        const ht_keycol *cs = &src->cols[k];
        bool is_null = cs->type == KILN_TYPE_NULL || (cs->nulls && cs->nulls[gs]);
        if (is_null && !cd->nulls) {
            cd->nulls = kl_calloc(dst->group_cap, 1);
            if (!cd->nulls) return KILN_ERR_MEMORY;
        }
        if (cd->nulls) cd->nulls[g] = is_null;
        if (!cd->elem) continue;
        if (cd->type == KILN_TYPE_VARCHAR && !is_null) {
            uint64_t w = ((const uint64_t *)cs->data)[gs];
            if (ht_pack_marker(w) == HT_STR_LONG && src->strings_to != dst) {
                kl_str s = ht_unpack(&w);
                uint32_t len = (uint32_t)s.len;
                char *p = kl_arena_alloc_bytes(&dst->strings, sizeof len + s.len);
                if (!p || ((uintptr_t)p >> 56) != 0) return KILN_ERR_MEMORY;
                memcpy(p, &len, sizeof len);
                memcpy(p + sizeof len, s.ptr, s.len);
                w = ht_pack_long(p);
            }
            ((uint64_t *)cd->data)[g] = w;
        } else {
            memcpy((char *)cd->data + (size_t)g * cd->elem, (const char *)cs->data + (size_t)gs * cs->elem,
                   cd->elem);
        }
    }
    dst->group_hash[g] = hash;
    return 0;
}

int ht_insert_from(kl_ht *dst, const kl_ht *src, uint32_t first, const uint32_t *sel, uint32_t n,
                   uint32_t *gids, kl_error *err) {
    if (!dst || !src || dst->n_keys != src->n_keys)
        return kl_err(err, KILN_ERR_INTERNAL, "ht_insert_from: tables do not match");
    if (dst->n_keys == 0) return src->n_groups ? ht_insert_nokeys(dst, sel, n, gids, err) : 0;
    const uint64_t *gh = src->group_hash + first;
    if (dst->n_slots * sizeof(ht_slot) >= (256u << 10))
        for (uint32_t j = 0; j < n; j++) __builtin_prefetch(&dst->slots[gh[sel ? sel[j] : j] & dst->mask]);
    /* all key columns are 8-byte words without NULLs on either side: compare words first */
    bool words = true;
    for (uint32_t k = 0; k < dst->n_keys && words; k++) {
        kl_type t = dst->cols[k].type;
        words = (t == KILN_TYPE_BIGINT || t == KILN_TYPE_TIMESTAMP || t == KILN_TYPE_VARCHAR) &&
                !dst->cols[k].nulls && !src->cols[k].nulls;
    }
    const uint32_t nk = dst->n_keys;
    for (uint32_t j = 0; j < n; j++) {
        uint32_t i = sel ? sel[j] : j, gs = first + i;
        uint64_t h = gh[i];
        uint32_t tag = (uint32_t)(h >> 32);
        uint64_t pos = h & dst->mask;
        for (;;) {
            ht_slot s = dst->slots[pos];
            if (s.gid == HT_EMPTY) {
                uint64_t old_slots = dst->n_slots;
                TRY(ht_reserve_one(dst, err));
                if (dst->n_slots != old_slots) {
                    pos = h & dst->mask;
                    while (dst->slots[pos].gid != HT_EMPTY) pos = (pos + 1) & dst->mask;
                }
                if (ht_copy_key(dst, src, gs, h) != 0)
                    return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
                dst->slots[pos].tag = tag;
                dst->slots[pos].gid = dst->n_groups;
                gids[i] = dst->n_groups++;
                break;
            }
            if (s.tag == tag) {
                bool eq;
                if (words) {
                    eq = true;
                    for (uint32_t k = 0; k < nk && eq; k++)
                        eq = ((const uint64_t *)dst->cols[k].data)[s.gid] == ((const uint64_t *)src->cols[k].data)[gs];
                    if (!eq) eq = ht_groups_equal(dst, s.gid, src, gs); /* long strings */
                } else {
                    eq = ht_groups_equal(dst, s.gid, src, gs);
                }
                if (eq) {
                    gids[i] = s.gid;
                    break;
                }
            }
            pos = (pos + 1) & dst->mask;
        }
    }
    return 0;
}

int ht_append_hashed(kl_ht *ht, kl_vec **keys, const uint64_t *hashes, const uint32_t *sel,
                     uint32_t n, uint32_t *group_ids, kl_error *err) {
    if (!ht || ht->n_keys == 0) return kl_err(err, KILN_ERR_INTERNAL, "ht_append_hashed: no keyed table");
    uint64_t want = (uint64_t)ht->n_groups + n;
    if (want > UINT32_MAX - 1)
        return kl_err(err, KILN_ERR_MEMORY, "hash table: too many groups (more than %u)", UINT32_MAX - 1);
    if (want > ht->group_cap) {
        /* doubling from 4096: a bag only grows, and each growth may copy it */
        uint64_t cap = ht->group_cap ? ht->group_cap : 4096;
        while (cap < want) cap *= 2;
        if (ht_grow_groups_to(ht, KL_MIN(cap, (uint64_t)UINT32_MAX - 1)) != 0)
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
    }
    /* column at a time (the type switch is outside the row loops); n_groups is raised only
       when every column is stored, so a failure leaves the table as it was */
    const uint32_t g0 = ht->n_groups;
    for (uint32_t k = 0; k < ht->n_keys; k++) {
        ht_keycol *c = &ht->cols[k];
        const kl_vec *v = keys[k];
        bool all_null = v->type == KILN_TYPE_NULL;
        if ((all_null || v->has_nulls) && !c->nulls) {
            c->nulls = kl_calloc(ht->group_cap, 1);
            if (!c->nulls) return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
        }
        if (c->nulls)
            for (uint32_t j = 0; j < n; j++) c->nulls[g0 + j] = all_null || (v->has_nulls && v->nulls[sel ? sel[j] : j]);
        if (!c->elem) continue;
        if (all_null) {
            memset((char *)c->data + (size_t)g0 * c->elem, 0, (size_t)n * c->elem);
            continue;
        }
        if (c->type == KILN_TYPE_VARCHAR) {
            uint64_t *d = (uint64_t *)c->data + g0;
            const kl_str *sv = VEC_STR(v);
            for (uint32_t j = 0; j < n; j++) {
                uint32_t i = sel ? sel[j] : j;
                kl_str x = sv[i];
                if (v->has_nulls && v->nulls[i]) {
                    d[j] = 0;
                } else if (x.len <= HT_STR_INLINE) {
                    d[j] = ht_pack_short(x.ptr, (uint32_t)x.len);
                } else {
                    if (x.len > UINT32_MAX) return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
                    uint32_t len = (uint32_t)x.len;
                    char *q = kl_arena_alloc_bytes(&ht->strings, sizeof len + x.len);
                    if (!q || ((uintptr_t)q >> 56) != 0)
                        return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash table");
                    memcpy(q, &len, sizeof len);
                    memcpy(q + sizeof len, x.ptr, x.len);
                    d[j] = ht_pack_long(q);
                }
            }
        } else if (c->elem == 8) {
            uint64_t *d = (uint64_t *)c->data + g0;
            const uint64_t *src = (const uint64_t *)v->data;
            for (uint32_t j = 0; j < n; j++) d[j] = src[sel ? sel[j] : j];
            if (v->has_nulls)
                for (uint32_t j = 0; j < n; j++)
                    if (v->nulls[sel ? sel[j] : j]) d[j] = 0;
        } else {
            for (uint32_t j = 0; j < n; j++) {
                uint32_t i = sel ? sel[j] : j;
                char *d = (char *)c->data + (size_t)(g0 + j) * c->elem;
                if (v->has_nulls && v->nulls[i]) memset(d, 0, c->elem);
                else memcpy(d, (const char *)v->data + (size_t)i * c->elem, c->elem);
            }
        }
    }
    for (uint32_t j = 0; j < n; j++) {
        uint32_t i = sel ? sel[j] : j;
        ht->group_hash[g0 + j] = hashes[i];
        group_ids[i] = g0 + j;
    }
    ht->n_groups = g0 + n;
    return 0;
}
