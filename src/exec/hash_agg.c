/*
 * hash_agg.c — the hash aggregate operator (op_hash_agg, operator.h).
 *
 * API: op_hash_agg (construct over a child, key expressions and bound aggregate calls) ->
 * op_hash_agg_set_threads -> op_next (the first call builds, later calls emit) -> op_free.
 *
 * Storage. Groups live in *partitions* (hagg_part): a group hash table (hashtable.h) that
 * maps key tuples to dense ids, and one row of aggregate states per group (the states of all
 * aggregates side by side, 8-byte aligned) in blocks of HAGG_BLOCK groups, so state
 * addresses never move when groups are added. update() receives the per-row array of state
 * rows and the aggregate's offset in a row.
 *
 * Build (radix-partitioned, thread-local pre-aggregation). With `threads` > 1 and a
 * cloneable child, threads-1 partial aggregates run over clones of the child pipeline (they
 * share the source's morsels) while this operator consumes its own child. Each of them
 * starts with one partition; once it holds more than HAGG_PARTITION_AT groups (a table no
 * longer cache-sized) it is split into HAGG_PARTS partitions by the top HAGG_RADIX_BITS bits
 * of the key hash, and later batches are hashed once (ht_hash), scattered by partition with
 * a counting sort into a selection vector, and inserted partition by partition
 * (ht_find_or_insert_hashed).
 *
 * Append mode. A split local that has reached HAGG_APPEND_CHECK groups (checked again at
 * each doubling) with more than 9 groups per 10 input rows gains nothing from its tables
 * (almost every row is a new group, and tables larger than the caches make every probe a
 * miss): from then on its rows are hashed, scattered and appended to per-partition *bags*
 * (ht_append_hashed: key storage without slots; one state row per input row; each bag a list
 * of segments of HAGG_BAG_SEG rows, so no bag array is reallocated or over-allocated), and the
 * merge builds each partition's table from the bags, so the only lookups happen there, one
 * partition (a cache-friendlier table) at a time, on all threads. This happens at one
 * thread too (the merge then has one worker).
 *
 * Merge (partition-wise, parallel). Equal keys hash alike, so partition p of every local
 * aggregate holds the only copies of its keys: partition p is merged independently of all
 * others. Worker threads take partitions from an atomic counter; for partition p the largest
 * local copy is adopted as is (no copy) and the others are folded into it with their stored
 * hashes (no re-hashing): a key new to the adopted table has its state row moved (memcpy,
 * the source re-initialised when an aggregate has destroy()), a known key is combined with the
 * aggregate's combine(). Bags are folded in the same way after the tables (the table is
 * first reserved for every copy of the partition; a key repeated inside a bag is combined
 * into the state its first row moved). Groups move with ht_insert_from (keys copied in
 * stored form, no unpacking or re-hashing). Merged sources are freed at once, so memory is
 * released while the merge proceeds. Without any split local (few groups) the merge is a single task.
 *
 * Direct map: before the split, a single integer key in a small range finds its state row by
 * indexing an array (HAGG_DIRECT_SLOTS); the table still owns the groups.
 *
 * Emit: partition after partition, in group-id order within one; a fully emitted partition
 * is freed on the next call (its keys were referenced by the previous output chunk). When the
 * operator above pulls in parallel (op_clone: CREATE TABLE AS, an aggregate, a sort's gather),
 * each copy is an *emitter* sharing this operator's build (done once, by whichever is pulled
 * first) and claiming whole partitions from a counter; chunk seq = partition << 24 | chunk,
 * so ordering by seq gives the single-threaded emission order.
 * Contents are identical for any thread count; row order of the output is first appearance
 * for one thread below the split threshold and otherwise unspecified (GROUP BY without
 * ORDER BY).
 *
 * Bounds: a partial's scratch is O(KL_CHUNK_ROWS); a split costs one pass over at most
 * HAGG_PARTITION_AT groups; memory beyond the groups themselves is the empty space of the
 * tables (load factor <= 0.5, key arrays doubling). In append mode a local holds one key
 * and one state row per input row after the switch: if the rest of its input repeats keys
 * more than its first HAGG_APPEND_CHECK groups did, that exceeds the grouped size by the
 * repetition factor (until the merge folds it).
 */
#include <pthread.h>

#include "exec/hashtable.h"
#include "exec/op_internal.h"
#include "exec/operator.h"

#define HAGG_BLOCK 1024
#define HAGG_RADIX_BITS 6
#define HAGG_PARTS (1u << HAGG_RADIX_BITS)
#define HAGG_PARTITION_AT 32768u /* groups of a one-partition table before it is split */
#define HAGG_MAX_THREADS 64
/* Append mode: a split local aggregate whose groups have reached HAGG_APPEND_CHECK (and
   each doubling after) while barely reducing its input (more than 9 groups per 10 rows) stops
   looking keys up: later rows are appended to per-partition bags, and the merge builds each
   partition's table from them (one hashing pass, one partition at a time). */
#define HAGG_APPEND_CHECK (1u << 19)
/* A bag is a list of segments of at most HAGG_BAG_SEG rows each: no array of a bag is ever
   reallocated past that size (no copies, no doubling slack), and the merge frees each
   segment as soon as it is folded. */
#define HAGG_BAG_SEG 16384u
/* Direct map: while there is one partition, a single integer key (BIGINT, TIMESTAMP, DATE)
   whose values lie in [base, base + HAGG_DIRECT_MAX) finds its group by indexing an array
   (of state rows, NULL = not seen yet) instead of hashing and probing; base is the smallest
   value of the first batch, and the array starts with HAGG_DIRECT_SLOTS entries and doubles
   as larger values show up. Rows outside the range, NULLs and first sightings go through the
   table, which stays the owner of the groups (split, merge and emit do not know about the
   map). While the map serves the key, the table is not split before HAGG_DIRECT_MAX groups
   (a 100,000-value key stays one partition: no hashing per row; the merge of such locals is
   then one task). The map is dropped when more than 1 row in 8 of a batch falls outside the
   range, and at the split. */
#define HAGG_DIRECT_SLOTS 4096u
/* Emission with an aggregate whose finalize fits a model (kl_agg_def.heavy_finalize): the
   emitters claim units of groups instead of whole partitions (1,000 groups are one partition,
   and one emitter would fit them all): about HAGG_HEAVY_UNITS units per thread, of at least
   HAGG_HEAVY_ROWS and at most one chunk of groups (many groups: no tiny chunks). */
#define HAGG_HEAVY_ROWS 4u
#define HAGG_HEAVY_UNITS 64u
#define HAGG_DIRECT_MAX (1u << 18)

/* Testing hook (tests/unit/test_hash_agg.c declares it): the first append-mode check, in
   groups; 0 = HAGG_APPEND_CHECK. */
uint64_t kl_hagg_append_check = 0;

typedef struct hagg_part {
    kl_ht *ht;        /* NULL for an aggregate without keys */
    char **blocks;    /* state rows, HAGG_BLOCK groups per block */
    size_t n_blocks;
    uint32_t n_groups; /* groups with a state row (<= ht_group_count while a batch runs) */
    uint32_t reserved; /* groups the table was reserved for by a merge */
} hagg_part;

/* Append mode: the rows of one partition, in segments (key tables filled by
   ht_append_hashed, and their state rows). */
typedef struct hagg_bag {
    hagg_part *segs;
    uint32_t n_segs;
    uint32_t cap_segs;
    uint64_t n_rows; /* in all segments */
} hagg_bag;

/* Parallel emission: shared by an aggregate and its emitters (hagg_clone). */
typedef struct hagg_shared {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state;          /* 0 = not built, 1 = building, 2 = built (under mu) */
    int rc;             /* the build's result */
    kl_error err;
    uint32_t next_part; /* atomic: next partition to emit */
    /* heavy finalize (models): units of unit_rows groups instead of partitions;
       unit_start[p] = first unit of partition p (n_parts + 1 entries, set by the builder) */
    uint32_t unit_rows;
    uint32_t next_unit; /* atomic */
    uint32_t *unit_start;
    int refs;           /* atomic: the aggregate and its emitters */
} hagg_shared;

typedef struct hagg_op {
    kl_op base;
    kl_expr **keys;
    uint32_t n_keys;
    kl_type *key_types;
    kl_agg_call *aggs;
    uint32_t n_aggs;
    size_t *offsets;  /* per aggregate: offset of its state in a group's state row */
    size_t row_size;  /* bytes of one group's states */
    hagg_part *parts; /* n_parts partitions: 1, or HAGG_PARTS after a split */
    uint32_t n_parts;
    struct hagg_bag *bags; /* append mode: HAGG_PARTS bags */
    uint64_t rows_in; /* rows consumed, and groups in parts (for the append-mode decision) */
    uint64_t groups_in;
    uint64_t check_at;
    char **dmap;       /* direct map: dslots state rows (NULL = not seen), or NULL */
    uint32_t dslots;
    int64_t dbase;
    char *dnull;       /* state row of the NULL key, NULL = not seen yet */
    bool direct_off;   /* the direct map does not apply (key type, range) or was dropped */
    bool built;
    uint32_t out_part; /* emitting: current partition and groups of it already emitted */
    uint32_t emitted;
    hagg_shared *sh;   /* parallel emission (NULL: this operator emits everything) */
    struct hagg_op *owner; /* an emitter: the aggregate whose partitions it emits */
    bool sh_built;     /* this instance has seen the shared build finish */
    bool sh_claimed;   /* out_part is claimed and being emitted */
    uint32_t sh_chunk; /* chunks emitted from out_part (the low bits of chunk->seq) */
    kl_vec **key_vecs;
    kl_vec **arg_vecs;
    int threads;      /* parallel build with this many threads when the child can be cloned */
    int thread_rc;    /* a partial's result when built on a worker thread */
    kl_error thread_err;
    /* per-batch scratch */
    uint32_t gids[KL_CHUNK_ROWS];
    uint32_t sel[KL_CHUNK_ROWS];
    uint8_t row_part[KL_CHUNK_ROWS];
    uint64_t hashes[KL_CHUNK_ROWS];
    void *rows[KL_CHUNK_ROWS]; /* state row of each input row's group */
} hagg_op;

static inline char *hagg_state(const hagg_op *h, const hagg_part *p, uint32_t gid) {
    return p->blocks[gid / HAGG_BLOCK] + (size_t)(gid % HAGG_BLOCK) * h->row_size;
}

static inline uint32_t hagg_part_of(uint64_t hash) {
    return (uint32_t)(hash >> (64 - HAGG_RADIX_BITS));
}

/* Make room for the states of groups [p->n_groups, n); initialize them when `init` (a
 * caller that moves state rows in passes false and fills them itself). */
static int hagg_add_groups(hagg_op *h, hagg_part *p, uint32_t n, bool init, kl_error *err) {
    while (p->n_groups < n) {
        if (p->n_groups % HAGG_BLOCK == 0 && p->n_groups / HAGG_BLOCK >= p->n_blocks) {
            char **nb = kl_realloc(p->blocks, (p->n_blocks + 1) * sizeof *nb);
            if (!nb) return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
            p->blocks = nb;
            p->blocks[p->n_blocks] = kl_malloc(h->row_size * HAGG_BLOCK);
            if (!p->blocks[p->n_blocks])
                return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
            p->n_blocks++;
        }
        uint32_t end = KL_MIN(n, (p->n_groups / HAGG_BLOCK + 1) * HAGG_BLOCK);
        if (init) {
            for (uint32_t g = p->n_groups; g < end; g++) {
                char *row = hagg_state(h, p, g);
                for (uint32_t a = 0; a < h->n_aggs; a++)
                    h->aggs[a].def->init(&h->aggs[a].ctx, row + h->offsets[a]);
            }
        }
        p->n_groups = end;
    }
    return 0;
}

/* Destroy the states of a partition (unless `moved`: its rows were copied elsewhere) and
   free it. */
static void hagg_part_free(hagg_op *h, hagg_part *p, bool destroy) {
    if (destroy) {
        for (uint32_t a = 0; a < h->n_aggs; a++) {
            kl_agg_call *ac = &h->aggs[a];
            if (!ac->def || !ac->def->destroy) continue;
            for (uint32_t g = 0; g < p->n_groups; g++) ac->def->destroy(&ac->ctx, hagg_state(h, p, g) + h->offsets[a]);
        }
    }
    for (size_t b = 0; b < p->n_blocks; b++) kl_free(p->blocks[b]);
    kl_free(p->blocks);
    ht_free(p->ht);
    memset(p, 0, sizeof *p);
}

/* Order rows [0, n) by their partition (row_part[]) into sel[]; off[p]..off[p+1] are the
   rows of partition p. Stable, so each partition sees its rows in input order. */
static void hagg_scatter(hagg_op *h, uint32_t n, uint32_t off[HAGG_PARTS + 1]) {
    uint32_t cnt[HAGG_PARTS] = {0};
    for (uint32_t i = 0; i < n; i++) {
        uint8_t p = (uint8_t)hagg_part_of(h->hashes[i]);
        h->row_part[i] = p;
        cnt[p]++;
    }
    uint32_t sum = 0;
    for (uint32_t p = 0; p < HAGG_PARTS; p++) {
        off[p] = sum;
        sum += cnt[p];
    }
    off[HAGG_PARTS] = sum;
    uint32_t pos[HAGG_PARTS];
    memcpy(pos, off, sizeof pos);
    for (uint32_t i = 0; i < n; i++) h->sel[pos[h->row_part[i]]++] = i;
}

/*
 * Split the single partition into HAGG_PARTS by hash. State rows are moved bitwise; until
 * everything succeeded the old partition keeps owning them (the new ones are freed without
 * destroying on failure), so an out-of-memory error leaves the operator consistent.
 */
static int hagg_split(hagg_op *h, kl_error *err) {
    if (h->n_parts != 1 || h->n_keys == 0) return 0;
    hagg_part *np = kl_calloc(HAGG_PARTS, sizeof *np);
    if (!np) return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
    int rc = 0;
    for (uint32_t p = 0; p < HAGG_PARTS && !rc; p++)
        if (!(np[p].ht = ht_create(h->key_types, h->n_keys))) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
    hagg_part *old = &h->parts[0];
    for (uint32_t first = 0; !rc && first < old->n_groups; first += KL_CHUNK_ROWS) {
        uint32_t n = KL_MIN(old->n_groups - first, (uint32_t)KL_CHUNK_ROWS);
        ht_get_hashes(old->ht, first, n, h->hashes);
        uint32_t off[HAGG_PARTS + 1];
        hagg_scatter(h, n, off);
        for (uint32_t p = 0; !rc && p < HAGG_PARTS; p++) {
            uint32_t cnt = off[p + 1] - off[p];
            if (!cnt) continue;
            hagg_part *d = &np[p];
            if ((rc = ht_insert_from(d->ht, old->ht, first, h->sel + off[p], cnt, h->gids, err))) break;
            if ((rc = hagg_add_groups(h, d, ht_group_count(d->ht), false, err))) break;
            for (uint32_t j = off[p]; j < off[p + 1]; j++) {
                uint32_t i = h->sel[j];
                memcpy(hagg_state(h, d, h->gids[i]), hagg_state(h, old, first + i), h->row_size);
            }
        }
    }
    if (rc) {
        for (uint32_t p = 0; p < HAGG_PARTS; p++) hagg_part_free(h, &np[p], false);
        kl_free(np);
        return rc;
    }
    hagg_part_free(h, old, false);
    kl_free(h->parts);
    h->parts = np;
    h->n_parts = HAGG_PARTS;
    return 0;
}

/* Switch to append mode: HAGG_PARTS empty bags. */
static int hagg_start_append(hagg_op *h, kl_error *err) {
    if (!(h->bags = kl_calloc(HAGG_PARTS, sizeof *h->bags)))
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
    return 0;
}

/* The segment of bag b that takes the next cnt (<= HAGG_BAG_SEG) rows. */
static hagg_part *hagg_bag_seg(hagg_op *h, hagg_bag *b, uint32_t cnt, kl_error *err) {
    if (b->n_segs && b->segs[b->n_segs - 1].n_groups + cnt <= HAGG_BAG_SEG) return &b->segs[b->n_segs - 1];
    if (b->n_segs == b->cap_segs) {
        uint32_t cap = b->cap_segs ? b->cap_segs * 2 : 8;
        hagg_part *ns = kl_realloc(b->segs, cap * sizeof *ns);
        if (!ns) goto oom;
        b->segs = ns;
        b->cap_segs = cap;
    }
    hagg_part *p = &b->segs[b->n_segs];
    memset(p, 0, sizeof *p);
    if (!(p->ht = ht_create(h->key_types, h->n_keys))) goto oom;
    b->n_segs++;
    return p;
oom:
    kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
    return NULL;
}

static void hagg_bag_free(hagg_op *h, hagg_bag *b) {
    for (uint32_t i = 0; i < b->n_segs; i++) hagg_part_free(h, &b->segs[i], true);
    kl_free(b->segs);
    memset(b, 0, sizeof *b);
}

static void hagg_bags_free(hagg_op *h) {
    for (uint32_t p = 0; h->bags && p < HAGG_PARTS; p++) hagg_bag_free(h, &h->bags[p]);
    kl_free(h->bags);
    h->bags = NULL;
}

static void hagg_direct_drop(hagg_op *h) {
    kl_free(h->dmap);
    h->dmap = NULL;
    h->dslots = 0;
    h->direct_off = true;
}

/* Value of row i of an integer key column as int64 (DATE is stored as int32 days). */
static inline int64_t hagg_int_at(const kl_vec *v, bool i32, uint32_t i) {
    return i32 ? (int64_t)VEC_I32(v)[i] : VEC_I64(v)[i];
}

/*
 * State rows (h->rows) of rows [0, n) of a single integer key through the direct map (see
 * HAGG_DIRECT_MAX); returns -1 when it does not apply (the caller then uses the table).
 */
static int hagg_direct(hagg_op *h, hagg_part *p, uint32_t n, kl_error *err) {
    const kl_vec *v = h->key_vecs[0];
    bool i32 = v->type == KILN_TYPE_DATE;
    if (h->n_keys != 1 || v->type != h->key_types[0] ||
        !(v->type == KILN_TYPE_BIGINT || v->type == KILN_TYPE_TIMESTAMP || i32)) {
        hagg_direct_drop(h);
        return -1;
    }
    const uint8_t *nulls = v->has_nulls ? v->nulls : NULL;
    if (!h->dmap) {
        bool any = false;
        int64_t lo = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (nulls && nulls[i]) continue;
            int64_t x = hagg_int_at(v, i32, i);
            if (!any || x < lo) lo = x;
            any = true;
        }
        if (!any) return -1;
        if (!(h->dmap = kl_calloc(HAGG_DIRECT_SLOTS, sizeof *h->dmap)))
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
        h->dslots = HAGG_DIRECT_SLOTS;
        h->dbase = lo;
    }
    char *const *map = h->dmap;
    const uint64_t slots = h->dslots;
    const uint64_t base = (uint64_t)h->dbase;
    uint32_t miss = 0, outside = 0;
    if (!nulls && !i32) {
        const int64_t *x = VEC_I64(v);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t d = (uint64_t)x[i] - base;
            char *r = d < slots ? map[d] : NULL;
            h->rows[i] = r;
            if (!r) {
                h->sel[miss++] = i;
                outside += d >= HAGG_DIRECT_MAX;
            }
        }
    } else {
        for (uint32_t i = 0; i < n; i++) {
            char *r;
            if (nulls && nulls[i]) {
                r = h->dnull;
            } else {
                uint64_t d = (uint64_t)hagg_int_at(v, i32, i) - base;
                r = d < slots ? map[d] : NULL;
                outside += d >= HAGG_DIRECT_MAX;
            }
            h->rows[i] = r;
            if (!r) h->sel[miss++] = i;
        }
    }
    if (!miss) return 0;
    ht_hash(p->ht, h->key_vecs, n, h->hashes);
    TRY(ht_find_or_insert_hashed(p->ht, h->key_vecs, h->hashes, h->sel, miss, h->gids, err));
    TRY(hagg_add_groups(h, p, ht_group_count(p->ht), true, err));
    bool keep = (uint64_t)outside * 8 <= n;
    for (uint32_t j = 0; j < miss; j++) {
        uint32_t i = h->sel[j];
        char *r = h->rows[i] = hagg_state(h, p, h->gids[i]);
        if (!keep) continue;
        if (nulls && nulls[i]) {
            h->dnull = r;
            continue;
        }
        uint64_t d = (uint64_t)hagg_int_at(v, i32, i) - base;
        if (d >= HAGG_DIRECT_MAX) continue;
        void *m = h->dmap;
        if (op_array_cover(&m, &h->dslots, sizeof *h->dmap, d))
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
        h->dmap = m;
        h->dmap[d] = r;
    }
    if (!keep) hagg_direct_drop(h);
    return 0;
}

/* Aggregate one input chunk into this operator's partitions. */
static int hagg_consume(hagg_op *h, kl_chunk *in, uint32_t n, kl_error *err) {
    if (h->n_keys == 0) {
        TRY(hagg_add_groups(h, &h->parts[0], 1, true, err));
        char *row = hagg_state(h, &h->parts[0], 0);
        for (uint32_t i = 0; i < n; i++) h->rows[i] = row;
    } else {
        for (uint32_t k = 0; k < h->n_keys; k++) TRY(expr_eval(h->keys[k], in, n, &h->key_vecs[k], err));
        if (h->n_parts == 1) {
            hagg_part *p = &h->parts[0];
            int rc = h->direct_off ? -1 : hagg_direct(h, p, n, err);
            if (rc > 0) return rc;
            if (rc < 0) {
                TRY(ht_find_or_insert(p->ht, h->key_vecs, n, h->gids, err));
                TRY(hagg_add_groups(h, p, ht_group_count(p->ht), true, err));
                for (uint32_t i = 0; i < n; i++) h->rows[i] = hagg_state(h, p, h->gids[i]);
            }
        } else if (h->bags) {
            ht_hash(h->parts[0].ht, h->key_vecs, n, h->hashes);
            uint32_t off[HAGG_PARTS + 1];
            hagg_scatter(h, n, off);
            for (uint32_t q = 0; q < HAGG_PARTS; q++) {
                uint32_t cnt = off[q + 1] - off[q];
                if (!cnt) continue;
                hagg_bag *b = &h->bags[q];
                hagg_part *p = hagg_bag_seg(h, b, cnt, err);
                if (!p) return KILN_ERR_MEMORY;
                TRY(ht_append_hashed(p->ht, h->key_vecs, h->hashes, h->sel + off[q], cnt, h->gids, err));
                TRY(hagg_add_groups(h, p, ht_group_count(p->ht), true, err));
                b->n_rows += cnt;
                for (uint32_t j = off[q]; j < off[q + 1]; j++) {
                    uint32_t i = h->sel[j];
                    h->rows[i] = hagg_state(h, p, h->gids[i]);
                }
            }
        } else {
            ht_hash(h->parts[0].ht, h->key_vecs, n, h->hashes);
            uint32_t off[HAGG_PARTS + 1];
            hagg_scatter(h, n, off);
            for (uint32_t q = 0; q < HAGG_PARTS; q++)
                ht_prefetch(h->parts[q].ht, h->hashes, h->sel + off[q], off[q + 1] - off[q]);
            for (uint32_t q = 0; q < HAGG_PARTS; q++) {
                uint32_t cnt = off[q + 1] - off[q];
                if (!cnt) continue;
                hagg_part *p = &h->parts[q];
                uint32_t before = p->n_groups;
                TRY(ht_find_or_insert_hashed(p->ht, h->key_vecs, h->hashes, h->sel + off[q], cnt, h->gids, err));
                TRY(hagg_add_groups(h, p, ht_group_count(p->ht), true, err));
                h->groups_in += p->n_groups - before;
                for (uint32_t j = off[q]; j < off[q + 1]; j++) {
                    uint32_t i = h->sel[j];
                    h->rows[i] = hagg_state(h, p, h->gids[i]);
                }
            }
        }
    }
    for (uint32_t a = 0; a < h->n_aggs; a++) {
        kl_agg_call *ac = &h->aggs[a];
        for (int i = 0; i < ac->n_args; i++) TRY(expr_eval(ac->args[i], in, n, &h->arg_vecs[i], err));
        ac->ctx.seq = in->seq; /* lets order-sensitive aggregates restore the source order */
        TRY(ac->def->update(&ac->ctx, (void *const *)h->rows, h->offsets[a], h->arg_vecs, ac->n_args, n, err));
    }
    h->rows_in += n;
    if (h->n_parts == 1) {
        h->groups_in = h->parts[0].n_groups;
        uint32_t split_at = h->dmap ? HAGG_DIRECT_MAX : HAGG_PARTITION_AT;
        if (h->parts[0].n_groups > split_at) {
            hagg_direct_drop(h);
            TRY(hagg_split(h, err));
        }
    } else if (!h->bags && h->groups_in >= h->check_at) {
        if (h->groups_in * 10 > h->rows_in * 9) TRY(hagg_start_append(h, err));
        else h->check_at *= 2;
    }
    return 0;
}

static int hagg_build_local(hagg_op *h, kl_error *err) {
    for (;;) {
        kl_chunk *in;
        TRY(op_next(h->base.child, &in, err));
        uint32_t n = in->n_rows;
        if (n == 0) break;
        TRY(hagg_consume(h, in, n, err));
    }
    if (h->n_keys == 0) TRY(hagg_add_groups(h, &h->parts[0], 1, true, err));
    return 0;
}

static void *hagg_thread(void *arg) {
    hagg_op *p = arg;
    kiln_error_clear(&p->thread_err);
    p->thread_rc = hagg_build_local(p, &p->thread_err);
    return NULL;
}

/*
 * Fold partition s into partition d (same keys and aggregates); `w` supplies the scratch and
 * the aggregate contexts (it is the calling worker's own operator). s keeps owning the
 * states it still has; moved ones were re-initialised (when an aggregate has destroy()), so
 * destroying s afterwards is right.
 */
static int hagg_merge_part(hagg_op *w, hagg_part *d, hagg_part *s, kl_error *err) {
    if (s->n_groups == 0) return 0;
    if (w->n_keys == 0) {
        TRY(hagg_add_groups(w, d, 1, true, err));
        char *dst = hagg_state(w, d, 0), *src = hagg_state(w, s, 0);
        for (uint32_t a = 0; a < w->n_aggs; a++)
            TRY(w->aggs[a].def->combine(&w->aggs[a].ctx, dst + w->offsets[a], src + w->offsets[a], err));
        return 0;
    }
    /* room for every group of s, growing geometrically (many small runs are merged into
       one destination, which must not be re-allocated for each) */
    uint64_t want = (uint64_t)ht_group_count(d->ht) + s->n_groups;
    if (want > d->reserved) {
        uint64_t r = KL_MAX(want, (uint64_t)d->reserved + d->reserved / 2);
        r = KL_MIN(r, (uint64_t)UINT32_MAX - 1);
        TRY(ht_reserve(d->ht, (uint32_t)r, err));
        d->reserved = (uint32_t)r;
    }
    /* s is freed after this: its long key strings move with their arena instead of being
       copied */
    ht_adopt_strings(d->ht, s->ht);
    bool reinit = false;
    for (uint32_t a = 0; a < w->n_aggs; a++) reinit |= w->aggs[a].def->destroy != NULL;
    for (uint32_t first = 0; first < s->n_groups; first += KL_CHUNK_ROWS) {
        uint32_t n = KL_MIN(s->n_groups - first, (uint32_t)KL_CHUNK_ROWS);
        uint32_t old = d->n_groups;
        TRY(ht_insert_from(d->ht, s->ht, first, NULL, n, w->gids, err));
        TRY(hagg_add_groups(w, d, ht_group_count(d->ht), false, err));
        /* new groups get ids old, old+1, ... in row order: the first row of each moves its
           state; a later row with the same key (bags repeat keys) is combined */
        uint32_t next_new = old;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t g = w->gids[i];
            char *src = hagg_state(w, s, first + i), *dst = hagg_state(w, d, g);
            if (g == next_new) {
                next_new++;
                memcpy(dst, src, w->row_size);
                if (reinit) /* only destroy() reads a moved state again */
                    for (uint32_t a = 0; a < w->n_aggs; a++) w->aggs[a].def->init(&w->aggs[a].ctx, src + w->offsets[a]);
            } else {
                for (uint32_t a = 0; a < w->n_aggs; a++)
                    TRY(w->aggs[a].def->combine(&w->aggs[a].ctx, dst + w->offsets[a], src + w->offsets[a], err));
            }
        }
    }
    return 0;
}

/* Shared state of the partition-wise merge. */
typedef struct hagg_merge {
    hagg_op **locals; /* locals[0] is the operator itself: it receives the result */
    int n_locals;
    uint32_t n_tasks;
    uint32_t next;    /* atomic: next partition to merge */
    int failed;       /* atomic: stop taking tasks */
} hagg_merge;

typedef struct hagg_worker {
    hagg_merge *m;
    hagg_op *self; /* scratch and aggregate contexts of this worker */
    int rc;
    kl_error err;
} hagg_worker;

static int hagg_merge_task(hagg_merge *m, hagg_op *w, uint32_t p, kl_error *err) {
    hagg_op *h = m->locals[0];
    /* adopt the largest copy of partition p */
    int best = 0;
    for (int t = 1; t < m->n_locals; t++)
        if (m->locals[t]->parts[p].n_groups > m->locals[best]->parts[p].n_groups) best = t;
    if (best) {
        hagg_part tmp = h->parts[p];
        h->parts[p] = m->locals[best]->parts[p];
        m->locals[best]->parts[p] = tmp;
    }
    /* room for all copies at once when there are bags (their rows barely repeat keys);
       otherwise hagg_merge_part grows the table geometrically */
    bool bags = false;
    for (int t = 0; t < m->n_locals; t++) bags |= m->locals[t]->bags != NULL;
    if (bags && h->n_keys) {
        uint64_t total = 0;
        for (int t = 0; t < m->n_locals; t++) {
            total += m->locals[t]->parts[p].n_groups;
            if (m->locals[t]->bags) total += m->locals[t]->bags[p].n_rows;
        }
        total = KL_MIN(total, (uint64_t)UINT32_MAX - 1);
        if (total > h->parts[p].reserved) {
            TRY(ht_reserve(h->parts[p].ht, (uint32_t)total, err));
            h->parts[p].reserved = (uint32_t)total;
        }
    }
    for (int t = 1; t < m->n_locals; t++) {
        hagg_part *s = &m->locals[t]->parts[p];
        TRY(hagg_merge_part(w, &h->parts[p], s, err));
        hagg_part_free(w, s, true);
    }
    for (int t = 0; t < m->n_locals; t++) {
        if (!m->locals[t]->bags) continue;
        hagg_bag *b = &m->locals[t]->bags[p];
        for (uint32_t i = 0; i < b->n_segs; i++) {
            TRY(hagg_merge_part(w, &h->parts[p], &b->segs[i], err));
            hagg_part_free(w, &b->segs[i], true);
        }
        hagg_bag_free(w, b);
    }
    return 0;
}

static void *hagg_merge_worker(void *arg) {
    hagg_worker *wk = arg;
    hagg_merge *m = wk->m;
    kiln_error_clear(&wk->err);
    wk->rc = 0;
    for (;;) {
        if (__atomic_load_n(&m->failed, __ATOMIC_ACQUIRE)) break;
        uint32_t p = __atomic_fetch_add(&m->next, 1, __ATOMIC_ACQ_REL);
        if (p >= m->n_tasks) break;
        if ((wk->rc = hagg_merge_task(m, wk->self, p, &wk->err)) != 0) {
            __atomic_store_n(&m->failed, 1, __ATOMIC_RELEASE);
            break;
        }
    }
    return NULL;
}

/* Merge locals[1..n) into locals[0] partition by partition on up to n_threads threads. */
static int hagg_merge_all(hagg_op **locals, int n_locals, int n_threads, kl_error *err) {
    hagg_op *h = locals[0];
    bool split = false;
    for (int t = 0; t < n_locals; t++) split |= locals[t]->n_parts > 1;
    if (split)
        for (int t = 0; t < n_locals; t++) TRY(hagg_split(locals[t], err));
    hagg_merge m = {locals, n_locals, h->n_parts, 0, 0};
    if (n_threads > n_locals) n_threads = n_locals;
    if ((uint32_t)n_threads > m.n_tasks) n_threads = (int)m.n_tasks;
    hagg_worker wk[HAGG_MAX_THREADS];
    pthread_t tids[HAGG_MAX_THREADS];
    bool started[HAGG_MAX_THREADS] = {false};
    for (int i = 0; i < n_threads; i++) wk[i] = (hagg_worker){&m, locals[i], 0, {0}};
    for (int i = 1; i < n_threads; i++)
        started[i] = pthread_create(&tids[i], NULL, hagg_merge_worker, &wk[i]) == 0;
    hagg_merge_worker(&wk[0]); /* workers that did not start leave their tasks to this one */
    int rc = wk[0].rc;
    if (rc && err) *err = wk[0].err;
    for (int i = 1; i < n_threads; i++) {
        if (!started[i]) continue;
        pthread_join(tids[i], NULL);
        if (wk[i].rc && !rc) {
            rc = wk[i].rc;
            if (err) *err = wk[i].err;
        }
    }
    if (!rc)
        for (int t = 0; t < n_locals; t++) hagg_bags_free(locals[t]); /* all merged (empty) */
    return rc;
}

/* A new aggregate with copies of h's keys and aggregate calls over `child` (taken; may be
   NULL), or NULL when out of memory. */
static hagg_op *hagg_copy(hagg_op *h, kl_op *child) {
    kl_expr **keys = kl_calloc(h->n_keys ? h->n_keys : 1, sizeof(kl_expr *));
    kl_agg_call *aggs = kl_calloc(h->n_aggs ? h->n_aggs : 1, sizeof(kl_agg_call));
    bool ok = keys && aggs;
    uint32_t nk = 0, na = 0;
    for (; ok && nk < h->n_keys; nk++) ok = (keys[nk] = expr_clone(h->keys[nk])) != NULL;
    for (; ok && na < h->n_aggs; na++) ok = agg_call_clone(&h->aggs[na], &aggs[na]) == 0;
    if (!ok) {
        op_free(child);
        for (uint32_t k = 0; keys && k < nk; k++) expr_free(keys[k]);
        for (uint32_t a = 0; aggs && a + 1 < na; a++) agg_call_clear(&aggs[a]);
        kl_free(keys);
        kl_free(aggs);
        return NULL;
    }
    return (hagg_op *)op_hash_agg(child, keys, h->n_keys, aggs, h->n_aggs);
}

/* A partial aggregate over a parallel copy of the child, or NULL if the child is not
   cloneable (or out of memory). */
static hagg_op *hagg_partial(hagg_op *h) {
    kl_op *child = op_clone(h->base.child);
    return child ? hagg_copy(h, child) : NULL;
}

/*
 * Build: threads-1 partial aggregates over clones of the child pipeline run on worker threads
 * while this operator consumes its own child; then the partition-wise parallel merge.
 */
static int hagg_build(hagg_op *h, kl_error *err) {
    int n_par = h->threads > 1 ? h->threads - 1 : 0;
    hagg_op *locals[HAGG_MAX_THREADS];
    pthread_t tids[HAGG_MAX_THREADS];
    bool started[HAGG_MAX_THREADS] = {false};
    if (n_par > HAGG_MAX_THREADS - 1) n_par = HAGG_MAX_THREADS - 1;
    locals[0] = h;
    int n = 0;
    for (; n < n_par; n++)
        if (!(locals[n + 1] = hagg_partial(h))) break;
    int rc;
    if (n == 0) {
        rc = hagg_build_local(h, err);
        if (!rc && h->bags) rc = hagg_merge_all(locals, 1, 1, err);
    } else {
        for (int i = 1; i <= n; i++) started[i] = pthread_create(&tids[i], NULL, hagg_thread, locals[i]) == 0;
        /* a partial whose thread could not start is built here, after our own input */
        rc = hagg_build_local(h, err);
        for (int i = 1; i <= n; i++) {
            if (started[i]) pthread_join(tids[i], NULL);
            else hagg_thread(locals[i]);
        }
        for (int i = 1; i <= n && !rc; i++)
            if (locals[i]->thread_rc) {
                rc = locals[i]->thread_rc;
                if (err && err->code == KILN_OK) *err = locals[i]->thread_err;
            }
        if (!rc) rc = hagg_merge_all(locals, n + 1, h->threads, err);
        for (int i = 1; i <= n; i++) op_free(&locals[i]->base);
    }
    h->built = true;
    return rc;
}

/* Emit up to max_rows (<= one chunk) groups of partition p from group h->emitted on, with h's
   aggregate contexts, into h->base.out; returns the number of groups. */
static int hagg_emit_part(hagg_op *h, hagg_part *p, uint32_t max_rows, uint32_t *n_out, kl_error *err) {
    kl_op *op = &h->base;
    uint32_t n = KL_MIN(p->n_groups - h->emitted, max_rows);
    if (h->n_keys) {
        for (uint32_t k = 0; k < h->n_keys; k++) h->key_vecs[k] = &op->out.cols[k];
        ht_get_keys(p->ht, h->emitted, n, h->key_vecs);
    }
    for (uint32_t a = 0; a < h->n_aggs; a++) {
        kl_agg_call *ac = &h->aggs[a];
        kl_vec *dst = &op->out.cols[h->n_keys + a];
        for (uint32_t i = 0; i < n; i++)
            TRY(ac->def->finalize(&ac->ctx, hagg_state(h, p, h->emitted + i) + h->offsets[a], dst, i, err));
    }
    h->emitted += n;
    *n_out = n;
    return 0;
}

/* The build, once, by whichever instance (the aggregate or an emitter) is pulled first; the
   others wait for it. */
static int hagg_shared_build(hagg_op *e, kl_error *err) {
    hagg_shared *sh = e->sh;
    hagg_op *h = e->owner ? e->owner : e;
    pthread_mutex_lock(&sh->mu);
    if (sh->state == 0) {
        sh->state = 1;
        pthread_mutex_unlock(&sh->mu);
        kl_error berr;
        kiln_error_clear(&berr);
        int rc = hagg_build(h, &berr);
        bool heavy = false;
        for (uint32_t a = 0; a < h->n_aggs; a++) heavy |= h->aggs[a].def->heavy_finalize;
        if (!rc && heavy) { /* units of unit_rows groups (seq keeps 24 bits per partition) */
            if (!(sh->unit_start = kl_malloc((h->n_parts + 1) * sizeof *sh->unit_start)))
                rc = kl_err(&berr, KILN_ERR_MEMORY, "out of memory");
            uint64_t total = 0, u = 0;
            for (uint32_t p = 0; p < h->n_parts; p++) total += h->parts[p].n_groups;
            uint64_t per = total / ((uint64_t)(h->threads > 0 ? h->threads : 1) * HAGG_HEAVY_UNITS);
            sh->unit_rows = (uint32_t)KL_MIN(KL_MAX(per, (uint64_t)HAGG_HEAVY_ROWS), (uint64_t)KL_CHUNK_ROWS);
            for (uint32_t p = 0; !rc && p < h->n_parts; p++) {
                uint64_t units = ((uint64_t)h->parts[p].n_groups + sh->unit_rows - 1) / sh->unit_rows;
                if (units >= (1u << 24) || u + units > UINT32_MAX) {
                    kl_free(sh->unit_start);
                    sh->unit_start = NULL;
                    break;
                }
                sh->unit_start[p] = (uint32_t)u;
                u += units;
            }
            if (sh->unit_start) sh->unit_start[h->n_parts] = (uint32_t)u;
        }
        pthread_mutex_lock(&sh->mu);
        sh->rc = rc;
        sh->err = berr;
        sh->state = 2;
        pthread_cond_broadcast(&sh->cv);
    }
    while (sh->state != 2) pthread_cond_wait(&sh->cv, &sh->mu);
    int rc = sh->rc;
    if (rc && err) *err = sh->err;
    pthread_mutex_unlock(&sh->mu);
    e->sh_built = true;
    return rc;
}

/* Emission shared with emitters: partitions are claimed one at a time from a counter; chunk
   seq = partition << 24 | chunk within it, so the chunks ordered by seq are exactly what a
   single emitter would produce. A partition is freed by its emitter on the call after its
   last chunk. */
static int hagg_next_shared(hagg_op *e, kl_chunk **out, kl_error *err) {
    if (!e->sh_built) TRY(hagg_shared_build(e, err));
    hagg_op *h = e->owner ? e->owner : e;
    kl_op *op = &e->base;
    chunk_reset(&op->out);
    uint32_t n = 0;
    const uint32_t *us = e->sh->unit_start;
    if (us) { /* heavy finalize: a few groups per claim; partitions are freed with the owner */
        uint32_t u = __atomic_fetch_add(&e->sh->next_unit, 1, __ATOMIC_ACQ_REL);
        if (u < us[h->n_parts]) {
            uint32_t p = 0;
            while (us[p + 1] <= u) p++; /* at most HAGG_PARTS partitions */
            uint32_t chunk = u - us[p];
            e->emitted = chunk * e->sh->unit_rows;
            TRY(hagg_emit_part(e, &h->parts[p], e->sh->unit_rows, &n, err));
            op->out.seq = ((uint64_t)p << 24) | chunk;
        }
        op->out.n_rows = n;
        *out = &op->out;
        return 0;
    }
    for (;;) {
        if (!e->sh_claimed) {
            uint32_t p = __atomic_fetch_add(&e->sh->next_part, 1, __ATOMIC_ACQ_REL);
            if (p >= h->n_parts) break;
            e->out_part = p;
            e->emitted = 0;
            e->sh_chunk = 0;
            e->sh_claimed = true;
        }
        hagg_part *p = &h->parts[e->out_part];
        if (e->emitted >= p->n_groups) {
            hagg_part_free(e, p, true); /* the previous chunk referenced its keys */
            e->sh_claimed = false;
            continue;
        }
        TRY(hagg_emit_part(e, p, KL_CHUNK_ROWS, &n, err));
        op->out.seq = ((uint64_t)e->out_part << 24) | e->sh_chunk++;
        break;
    }
    op->out.n_rows = n;
    *out = &op->out;
    return 0;
}

static int hagg_next(kl_op *op, kl_chunk **out, kl_error *err) {
    hagg_op *h = (hagg_op *)op;
    if (h->sh) return hagg_next_shared(h, out, err);
    if (!h->built) TRY(hagg_build(h, err));
    chunk_reset(&op->out);
    /* a fully emitted partition is freed now: the previous chunk referenced its keys */
    while (h->out_part < h->n_parts && h->emitted >= h->parts[h->out_part].n_groups) {
        hagg_part_free(h, &h->parts[h->out_part], true);
        h->out_part++;
        h->emitted = 0;
    }
    uint32_t n = 0;
    if (h->out_part < h->n_parts) TRY(hagg_emit_part(h, &h->parts[h->out_part], KL_CHUNK_ROWS, &n, err));
    op->out.n_rows = n;
    *out = &op->out;
    return 0;
}

void agg_call_clear(kl_agg_call *a) {
    for (int i = 0; i < a->n_args; i++) expr_free(a->args[i]);
    kl_free(a->args);
    a->args = NULL;
    a->n_args = 0;
    if (!a->borrowed && a->def && a->def->free_bind_data && a->ctx.bind_data) a->def->free_bind_data(a->ctx.bind_data);
    a->ctx.bind_data = NULL;
}

static void hagg_free(kl_op *op) {
    hagg_op *h = (hagg_op *)op;
    for (uint32_t p = 0; h->parts && p < h->n_parts; p++) hagg_part_free(h, &h->parts[p], true);
    kl_free(h->parts);
    hagg_bags_free(h);
    kl_free(h->dmap);
    for (uint32_t a = 0; a < h->n_aggs; a++) agg_call_clear(&h->aggs[a]);
    kl_free(h->aggs);
    for (uint32_t k = 0; k < h->n_keys; k++) expr_free(h->keys[k]);
    kl_free(h->keys);
    kl_free(h->key_types);
    kl_free(h->offsets);
    kl_free(h->key_vecs);
    kl_free(h->arg_vecs);
    /* Output key vectors reference the hash table's strings; nothing else to free. */
    if (h->sh && __atomic_sub_fetch(&h->sh->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        kl_free(h->sh->unit_start);
        pthread_mutex_destroy(&h->sh->mu);
        pthread_cond_destroy(&h->sh->cv);
        kl_free(h->sh);
    }
    op_base_free(op);
    kl_free(op);
}

static kl_op *hagg_clone(kl_op *op);

static const kl_op_vt hagg_vt = {"HASH_GROUP_BY", hagg_next, hagg_free, hagg_clone};

/*
 * A parallel copy for the operator above (op_collect_parallel, a parallel consumer): an
 * *emitter* that shares this aggregate's build and emits the partitions it claims (see
 * hagg_next_shared). It has its own output chunk and aggregate contexts (finalize and
 * destroy run on its thread) and no child. Emitters are freed before the aggregate (every
 * op_clone caller frees its copies first); the partitions belong to the aggregate.
 */
static kl_op *hagg_clone(kl_op *op) {
    hagg_op *h = (hagg_op *)op;
    if (h->owner) h = h->owner;
    if (h->built || (h->sh && h->sh->state != 0)) return NULL;
    if (!h->sh) {
        hagg_shared *sh = kl_calloc(1, sizeof *sh);
        if (!sh) return NULL;
        if (pthread_mutex_init(&sh->mu, NULL) != 0) {
            kl_free(sh);
            return NULL;
        }
        if (pthread_cond_init(&sh->cv, NULL) != 0) {
            pthread_mutex_destroy(&sh->mu);
            kl_free(sh);
            return NULL;
        }
        sh->refs = 1;
        h->sh = sh;
    }
    hagg_op *e = hagg_copy(h, NULL);
    if (!e) return NULL;
    e->owner = h;
    e->sh = h->sh;
    __atomic_add_fetch(&h->sh->refs, 1, __ATOMIC_ACQ_REL);
    return &e->base;
}

void op_hash_agg_set_threads(kl_op *op, int threads) {
    if (op && op->vt == &hagg_vt) ((hagg_op *)op)->threads = threads;
}

kl_op *op_hash_agg(kl_op *child, kl_expr **keys, uint32_t n_keys, kl_agg_call *aggs,
                   uint32_t n_aggs) {
    hagg_op *h = kl_calloc(1, sizeof *h);
    uint32_t n_cols = n_keys + n_aggs;
    kl_type *types = kl_malloc((n_cols ? n_cols : 1) * sizeof(kl_type));
    int max_args = 1;
    for (uint32_t a = 0; a < n_aggs; a++) max_args = KL_MAX(max_args, aggs[a].n_args);
    if (h) {
        h->keys = keys;
        h->n_keys = n_keys;
        h->aggs = aggs;
        h->n_aggs = n_aggs;
        h->base.child = child;
        h->base.vt = &hagg_vt;
        h->key_types = kl_malloc((n_keys ? n_keys : 1) * sizeof(kl_type));
    }
    if (!h || !types || !h->key_types) goto fail;
    for (uint32_t k = 0; k < n_keys; k++) types[k] = h->key_types[k] = keys[k]->type;
    for (uint32_t a = 0; a < n_aggs; a++) types[n_keys + a] = aggs[a].ret_type;
    h->offsets = kl_malloc((n_aggs ? n_aggs : 1) * sizeof(size_t));
    h->key_vecs = kl_calloc(n_keys ? n_keys : 1, sizeof(kl_vec *));
    h->arg_vecs = kl_calloc((size_t)max_args, sizeof(kl_vec *));
    h->parts = kl_calloc(1, sizeof *h->parts);
    if (!h->offsets || !h->key_vecs || !h->arg_vecs || !h->parts) goto fail;
    h->n_parts = 1;
    h->check_at = kl_hagg_append_check ? kl_hagg_append_check : HAGG_APPEND_CHECK;
    /* states hold at most 8-byte aligned members (sum keeps its 128-bit total as two
       halves), so rows are packed at 8 bytes */
    h->row_size = 0;
    for (uint32_t a = 0; a < n_aggs; a++) {
        h->offsets[a] = h->row_size;
        h->row_size += (aggs[a].state_size + 7) & ~(size_t)7;
    }
    if (h->row_size == 0) h->row_size = 8;
    if (n_keys && !(h->parts[0].ht = ht_create(h->key_types, n_keys))) goto fail;
    if (op_base_init(&h->base, &hagg_vt, child, types, n_cols, true)) goto fail;
    kl_free(types);
    return &h->base;
fail:
    kl_free(types);
    if (h) {
        hagg_free(&h->base);
    } else {
        op_free(child);
        for (uint32_t k = 0; k < n_keys; k++) expr_free(keys[k]);
        kl_free(keys);
        for (uint32_t a = 0; a < n_aggs; a++) agg_call_clear(&aggs[a]);
        kl_free(aggs);
    }
    return NULL;
}
