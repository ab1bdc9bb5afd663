/*
 * hashtable.h — the group hash table: maps a tuple of key values to a dense group id
 * (0, 1, 2, ... in order of first appearance). Used by GROUP BY, DISTINCT,
 * count(DISTINCT), and later joins.
 *
 * Vector-at-a-time: ht_find_or_insert() takes key vectors for n rows and writes n group ids.
 * It hashes each key column for the whole batch, combines the hashes, probes with linear
 * probing over a power-of-two slot array that stores (hash, group id); keys themselves live
 * in columnar key storage inside the table (strings copied into the table's arena), so the
 * table owns everything it needs after the input chunk is gone. NULL keys are equal to each
 * other for grouping (SQL GROUP BY semantics); doubles compare by value with -0.0 == 0.0 and
 * all NaNs equal.
 *
 * API in call order: ht_create -> ht_reserve (optional pre-sizing) -> ht_find_or_insert
 *   (repeatedly) / ht_find (lookup only) -> ht_group_count -> ht_get_keys (materialise keys
 *   of groups [first, first+n) into vectors) -> ht_free. A caller that partitions rows over
 *   several tables of the same key types hashes a batch once with ht_hash() and inserts each
 *   partition's rows with ht_find_or_insert_hashed(); ht_get_hashes() returns the stored hash
 *   of each group, so groups move between tables without being hashed again.
 *
 * VARCHAR keys of at most 7 bytes are stored inline in an 8-byte word; longer ones in the
 * table's arena.
 *
 * Bounds: load factor <= 0.5 (<= 0.75 for tables past 64K slots; grows by doubling, rehash from stored hashes, no re-hashing of
 * keys); group ids are uint32_t (more than 4e9 groups is an error).
 */
#ifndef KL_HASHTABLE_H
#define KL_HASHTABLE_H

#include "exec/vector.h"

typedef struct kl_ht kl_ht;

/** Returns NULL on out-of-memory. key_types are copied. n_keys may be 0 (one group). */
kl_ht *ht_create(const kl_type *key_types, uint32_t n_keys);
void ht_free(kl_ht *ht);

/**
 * For each row i in [0, n_rows): find the group of (keys[0][i], ..., keys[n_keys-1][i]),
 * inserting it if new, and set group_ids[i]. keys[k] has type key_types[k].
 * Returns 0 or KILN_ERR_MEMORY.
 */
int ht_find_or_insert(kl_ht *ht, kl_vec **keys, uint32_t n_rows, uint32_t *group_ids,
                      kl_error *err);

/** Hash n_rows key tuples exactly as the table does (zeros when there are no key columns). */
void ht_hash(const kl_ht *ht, kl_vec **keys, uint32_t n_rows, uint64_t *hashes);

/**
 * ht_find_or_insert for the rows sel[0..n) (0..n when sel is NULL) whose hashes
 * (hashes[row], from ht_hash of a table with the same key types) are already known; sets
 * group_ids[row] for those rows only.
 */
int ht_find_or_insert_hashed(kl_ht *ht, kl_vec **keys, const uint64_t *hashes,
                             const uint32_t *sel, uint32_t n, uint32_t *group_ids,
                             kl_error *err);

/** Prefetch the home slots of rows sel[0..n) (0..n when sel is NULL) before probing them
    with ht_find_or_insert_hashed (which does not prefetch by itself). */
void ht_prefetch(const kl_ht *ht, const uint64_t *hashes, const uint32_t *sel, uint32_t n);

/** Make room for n_groups groups without further growth. Returns 0 or KILN_ERR_MEMORY. */
int ht_reserve(kl_ht *ht, uint32_t n_groups, kl_error *err);

/** Lookup only: group_ids[i] = id or UINT32_MAX if absent. */
void ht_find(kl_ht *ht, kl_vec **keys, uint32_t n_rows, uint32_t *group_ids);

uint32_t ht_group_count(const kl_ht *ht);

/**
 * Write the keys of groups [first, first + n) into out[k][0..n) (out vectors of the key
 * types with cap >= n). Strings are referenced (they point into the table's key storage and
 * are valid until the next insert into the table or its free).
 */
void ht_get_keys(const kl_ht *ht, uint32_t first, uint32_t n, kl_vec **out);

/** The stored hashes of groups [first, first + n) into out[0..n). */
void ht_get_hashes(const kl_ht *ht, uint32_t first, uint32_t n, uint64_t *out);

/**
 * Find or insert the keys of groups first + (sel ? sel[j] : j), j in [0, n), of src (a table
 * with the same key types) in dst, using src's stored hashes; sets gids[sel ? sel[j] : j] to
 * the group in dst. Keys are compared and copied in stored form (no unpacking or
 * re-hashing); long strings are copied into dst. Returns 0 or KILN_ERR_MEMORY (dst then
 * stays consistent, like ht_find_or_insert).
 */
int ht_insert_from(kl_ht *dst, const kl_ht *src, uint32_t first, const uint32_t *sel, uint32_t n,
                   uint32_t *gids, kl_error *err);

/**
 * Give dst the string storage of src (a table with the same key types that is only read by
 * ht_insert_from into dst and then freed): ht_insert_from then keeps src's long strings
 * where they are instead of copying them. Strings of src's keys that turn out to be already
 * in dst stay allocated until dst is freed.
 */
void ht_adopt_strings(kl_ht *dst, kl_ht *src);

/**
 * Append the keys of rows sel[0..n) (0..n when sel is NULL) as new groups without looking
 * them up (equal keys become separate groups): the table becomes a *bag* of keys that is
 * only read back (ht_insert_from from it into a real table, ht_get_keys, ht_get_hashes,
 * ht_group_count) and never probed (no find/insert on it afterwards). hashes as for
 * ht_find_or_insert_hashed. Returns 0 or KILN_ERR_MEMORY.
 */
int ht_append_hashed(kl_ht *ht, kl_vec **keys, const uint64_t *hashes, const uint32_t *sel,
                     uint32_t n, uint32_t *group_ids, kl_error *err);

/** Bytes held by the table (slots, key storage, strings). */
size_t ht_memory(const kl_ht *ht);

#endif /* KL_HASHTABLE_H */
