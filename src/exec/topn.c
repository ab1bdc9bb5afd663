/*
 * topn.c — top-k rows per partition: the plan for
 *     row_number() OVER (PARTITION BY p ORDER BY o) <= k
 * (as a WHERE over a derived table, or as QUALIFY), which DuckDB calls top-N window
 * elimination. Instead of materializing and sorting every row, each partition keeps a max-heap of
 * its k best rows while the input streams by; only rows that enter a heap are copied.
 *
 * API: op_topn_rewrite() finds the pattern below a filter and swaps the window operator for a
 * TOPN_WINDOW operator; the filter stays above it (so the rewrite only has to be sound, and
 * is: every row the window would have numbered <= k is emitted, with the same number).
 *
 * Output: the child's columns plus the row_number column, the kept rows in input order (the
 * order the window operator would have emitted them in), so results do not depend on the plan.
 *
 * Order. Rows compare by the ORDER BY keys (desc / nulls_first per key), then by input position;
 * the position is the row's place in its source (chunk->seq * KL_CHUNK_ROWS + row) when the
 * input is read in parallel morsels, a running count otherwise. Both follow input order, so ties
 * resolve as in the window operator (stable) and results are equal for any thread count.
 *
 * Storage. Kept ("candidate") rows are appended to a columnar store: the child's columns, the
 * evaluated ORDER BY keys and the position. Per partition: a count and a heap of k candidate ids
 * (root = worst kept row), plus the order-preserving 64-bit code of the root's first key, which
 * rejects most rows with one comparison. A row that enters a full heap evicts the root, whose
 * stored row becomes garbage; the store is compacted when garbage exceeds the live rows.
 *
 * Parallelism: threads-1 partial operators over clones of the child (sharing its morsels) fill
 * their own tables on worker threads; their compacted stores are then fed into this operator's
 * table as input.
 */
#include <pthread.h>
#include <stdlib.h>

#include "exec/hashtable.h"
#include "exec/op_internal.h"
#include "exec/operator.h"
#include "exec/topn.h"
#include "exec/window.h"
#include "func/func.h"

#define TOPN_MAX_K 64            /* row_number() <= k with partitions */
#define TOPN_MAX_SORT_K 65536    /* ORDER BY ... LIMIT n (one partition) */
#define TOPN_MIN_STORE (1u << 20)

typedef struct topn_op {
    kl_op base; /* output: child columns + row_number (BIGINT) */
    uint32_t n_child;
    kl_expr **part;
    uint32_t n_part;
    kl_expr **order;
    bool *desc, *nulls_first;
    uint32_t n_order;
    uint32_t k;
    int threads;
    /* partitions */
    kl_ht *ht;          /* NULL without PARTITION BY: one partition */
    uint32_t *dmap;     /* direct map of a single integer partition key: value - dbase ->
                           partition id + 1 (0 = not seen), dslots entries; see topn_direct */
    int64_t dbase;
    uint32_t dslots;
    bool direct_off;
    uint32_t n_groups, groups_cap;
    /* one record per partition, so a row touches one cache line: the count of kept rows, then
       a max-heap (root = worst) of k entries (candidate id + code of its first order key) */
    uint64_t *grp;
    uint32_t stride;    /* uint64 words per record: 1 + 2 k */
    bool fast;          /* the first order key has a 64-bit order-preserving code */
    /* candidate store: chunks of KL_CHUNK_ROWS rows, id = chunk * KL_CHUNK_ROWS + row */
    kl_type *st_types;  /* child columns, order keys, position */
    uint32_t st_cols;
    kl_chunk **store;
    size_t n_chunks, chunks_cap;
    uint64_t n_stored;
    uint64_t live;      /* sum of cnt */
    /* the input batch being consumed: rows accepted from it have ids n_stored + j */
    kl_vec **cur_keys;  /* order key vectors of the batch */
    const int64_t *cur_pos;
    int64_t cur_pos_base; /* when cur_pos is NULL: position of row i = base + i */
    uint32_t sel[KL_CHUNK_ROWS];
    uint32_t n_sel;
    uint32_t gids[KL_CHUNK_ROWS];
    uint32_t dsel[KL_CHUNK_ROWS];   /* topn_direct: rows that missed the map, and hashes */
    uint64_t dhash[KL_CHUNK_ROWS];
    kl_vec **pvecs;     /* partition key vectors of the batch */
    int64_t rows_seen;  /* running position when the input is not read in morsels */
    bool by_seq;        /* positions from chunk->seq (parallel morsels) */
    /* emission */
    uint64_t *out_ids;  /* kept candidate ids in input order */
    int64_t *out_rn;
    uint64_t n_out, emitted;
    bool built;
    int thread_rc;
    kl_error thread_err;
} topn_op;

/* A heap entry: candidate id and, when `coded`, the order-preserving code of its first order
   key (not NULL, fast type): entries with different codes compare without reading the store. */
typedef struct topn_ent {
    uint64_t code;
    uint32_t id;
    uint32_t coded;
} topn_ent;

static inline uint32_t *topn_cnt(const topn_op *t, uint32_t g) { return (uint32_t *)(t->grp + (size_t)g * t->stride); }
static inline topn_ent *topn_heap(const topn_op *t, uint32_t g) { return (topn_ent *)(t->grp + (size_t)g * t->stride + 1); }

/* ---- candidate access ------------------------------------------------------------------------- */

/* Row `id`: vector of store column `col` (or, for a row of the current batch, of the batch) and
   its row index. Only order keys and positions are read this way. */
static inline const kl_vec *topn_key(const topn_op *t, uint64_t id, uint32_t j, uint32_t *row) {
    if (id >= t->n_stored) {
        *row = t->sel[id - t->n_stored];
        return t->cur_keys[j];
    }
    *row = (uint32_t)(id % KL_CHUNK_ROWS);
    return &t->store[id / KL_CHUNK_ROWS]->cols[t->n_child + j];
}

static inline int64_t topn_pos(const topn_op *t, uint64_t id) {
    if (id >= t->n_stored) {
        uint32_t r = t->sel[id - t->n_stored];
        return t->cur_pos ? t->cur_pos[r] : t->cur_pos_base + r;
    }
    return VEC_I64(&t->store[id / KL_CHUNK_ROWS]->cols[t->st_cols - 1])[id % KL_CHUNK_ROWS];
}

static inline uint64_t topn_code(const topn_op *t, const kl_vec *v, uint32_t r);

/* < 0: a comes first (is better), > 0: b does. */
static int topn_cmp(const topn_op *t, uint64_t a, uint64_t b) {
    uint32_t j = 0;
    if (t->fast) { /* first key by its code when both are non-NULL */
        uint32_t ra, rb;
        const kl_vec *va = topn_key(t, a, 0, &ra), *vb = topn_key(t, b, 0, &rb);
        if (!va->nulls[ra] && !vb->nulls[rb]) {
            uint64_t ca = topn_code(t, va, ra), cb = topn_code(t, vb, rb);
            if (ca != cb) return ca < cb ? -1 : 1;
            j = 1;
        }
    }
    for (; j < t->n_order; j++) {
        uint32_t ra, rb;
        const kl_vec *va = topn_key(t, a, j, &ra), *vb = topn_key(t, b, j, &rb);
        bool na = va->type == KILN_TYPE_NULL || va->nulls[ra];
        bool nb = vb->type == KILN_TYPE_NULL || vb->nulls[rb];
        if (na || nb) {
            if (na && nb) continue;
            return (na ? 1 : -1) * (t->nulls_first[j] ? -1 : 1);
        }
        int c = func_compare_values(va->type, va, ra, vb, rb);
        if (c) return t->desc[j] ? -c : c;
    }
    int64_t pa = topn_pos(t, a), pb = topn_pos(t, b);
    return pa < pb ? -1 : pa > pb;
}

/* Order-preserving code of a non-NULL value of the first key (smaller = comes first). */
static inline uint64_t topn_code(const topn_op *t, const kl_vec *v, uint32_t r) {
    uint64_t u;
    switch (v->type) {
    case KILN_TYPE_DOUBLE: {
        double d = VEC_F64(v)[r];
        if (d == 0.0) d = 0.0;               /* -0.0 == 0.0 */
        if (d != d) u = UINT64_MAX;          /* NaN sorts after everything (func_compare) */
        else {
            memcpy(&u, &d, sizeof u);
            u = (u >> 63) ? ~u : u | (1ULL << 63);
        }
        break;
    }
    case KILN_TYPE_BIGINT:
    case KILN_TYPE_TIMESTAMP: u = (uint64_t)VEC_I64(v)[r] ^ (1ULL << 63); break;
    case KILN_TYPE_DATE: u = (uint64_t)(int64_t)VEC_I32(v)[r] ^ (1ULL << 63); break;
    default: u = VEC_U8(v)[r]; break; /* BOOLEAN */
    }
    return t->desc[0] ? ~u : u;
}

static bool topn_fast_type(kl_type ty) {
    return ty == KILN_TYPE_DOUBLE || ty == KILN_TYPE_BIGINT || ty == KILN_TYPE_TIMESTAMP ||
           ty == KILN_TYPE_DATE || ty == KILN_TYPE_BOOLEAN;
}

/* ---- heaps -------------------------------------------------------------------------------------- */

static inline int topn_ent_cmp(const topn_op *t, const topn_ent *a, const topn_ent *b) {
    if (a->coded && b->coded && a->code != b->code) return a->code < b->code ? -1 : 1;
    return topn_cmp(t, a->id, b->id);
}

static void topn_sift_up(const topn_op *t, topn_ent *h, uint32_t i) {
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (topn_ent_cmp(t, &h[p], &h[i]) >= 0) break; /* parent is worse or equal: heap holds */
        topn_ent x = h[p];
        h[p] = h[i];
        h[i] = x;
        i = p;
    }
}

static void topn_sift_down(const topn_op *t, topn_ent *h, uint32_t n, uint32_t i) {
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && topn_ent_cmp(t, &h[l], &h[m]) > 0) m = l;
        if (r < n && topn_ent_cmp(t, &h[r], &h[m]) > 0) m = r;
        if (m == i) break;
        topn_ent x = h[m];
        h[m] = h[i];
        h[i] = x;
        i = m;
    }
}

/* ---- store ---------------------------------------------------------------------------------- */

static int topn_grow_groups(topn_op *t, uint32_t n, kl_error *err) {
    if (n > t->groups_cap) {
        uint32_t cap = t->groups_cap ? t->groups_cap : t->ht ? 64 : 1;
        while (cap < n) cap *= 2;
        uint64_t *grp = kl_realloc(t->grp, (size_t)cap * t->stride * sizeof *grp);
        if (!grp) return kl_err(err, KILN_ERR_MEMORY, "out of memory in top-N window");
        t->grp = grp;
        t->groups_cap = cap;
    }
    for (uint32_t g = t->n_groups; g < n; g++) *topn_cnt(t, g) = 0;
    t->n_groups = n;
    return 0;
}

/* Room for one more store chunk; returns the chunk to append to. */
static kl_chunk *topn_tail(topn_op *t) {
    if (t->n_stored < (uint64_t)t->n_chunks * KL_CHUNK_ROWS) return t->store[t->n_chunks - 1];
    if (t->n_chunks == t->chunks_cap) {
        size_t cap = t->chunks_cap ? t->chunks_cap * 2 : 16;
        kl_chunk **s = kl_realloc(t->store, cap * sizeof *s);
        if (!s) return NULL;
        t->store = s;
        t->chunks_cap = cap;
    }
    kl_chunk *c = kl_calloc(1, sizeof *c);
    if (!c) return NULL;
    if (chunk_init(c, t->st_types, t->st_cols, KL_CHUNK_ROWS)) {
        kl_free(c);
        return NULL;
    }
    t->store[t->n_chunks++] = c;
    return c;
}

/* dst[off + i] = src[sel[i]] for i < m, string bytes copied into dst's heap. */
static int topn_copy_sel(kl_vec *dst, uint32_t off, const kl_vec *src, const uint32_t *sel, uint32_t m) {
    if (dst->type == src->type && (dst->type == KILN_TYPE_BIGINT || dst->type == KILN_TYPE_DOUBLE ||
                                   dst->type == KILN_TYPE_TIMESTAMP)) {
        uint64_t *d = (uint64_t *)dst->data + off;
        const uint64_t *sv = src->data;
        uint8_t any = 0;
        for (uint32_t i = 0; i < m; i++) {
            d[i] = sv[sel[i]];
            any |= dst->nulls[off + i] = src->nulls[sel[i]];
        }
        if (any) dst->has_nulls = true;
        return 0;
    }
    for (uint32_t i = 0; i < m; i++) TRY(vec_copy_row(dst, off + i, src, sel[i]));
    return 0;
}

/* Append rows sel[0..m) of a batch (child columns `cols`, order keys cur_keys, positions) in
   order: row sel[j] gets id n_stored + j. */
static int topn_store_sel(topn_op *t, const kl_vec *cols, const uint32_t *sel, uint32_t m) {
    for (uint32_t done = 0; done < m;) {
        kl_chunk *c = topn_tail(t);
        if (!c) return KILN_ERR_MEMORY;
        uint32_t row = (uint32_t)(t->n_stored % KL_CHUNK_ROWS);
        uint32_t n = KL_MIN(m - done, KL_CHUNK_ROWS - row);
        const uint32_t *sl = sel + done;
        for (uint32_t i = 0; i < t->n_child; i++) TRY(topn_copy_sel(&c->cols[i], row, &cols[i], sl, n));
        for (uint32_t j = 0; j < t->n_order; j++) TRY(topn_copy_sel(&c->cols[t->n_child + j], row, t->cur_keys[j], sl, n));
        int64_t *pos = VEC_I64(&c->cols[t->st_cols - 1]) + row;
        for (uint32_t i = 0; i < n; i++) pos[i] = t->cur_pos ? t->cur_pos[sl[i]] : t->cur_pos_base + sl[i];
        memset(c->cols[t->st_cols - 1].nulls + row, 0, n);
        c->n_rows = row + n;
        t->n_stored += n;
        done += n;
    }
    return 0;
}

static void topn_free_store(kl_chunk **store, size_t n) {
    for (size_t i = 0; i < n; i++) {
        chunk_free(store[i]);
        kl_free(store[i]);
    }
    kl_free(store);
}

/* Keep only the rows some heap holds, renumbering the heaps. */
static int topn_compact(topn_op *t, kl_error *err) {
    kl_chunk **old = t->store;
    size_t old_n = t->n_chunks;
    t->store = NULL;
    t->n_chunks = t->chunks_cap = 0;
    t->n_stored = 0;
    int rc = 0;
    for (uint32_t g = 0; !rc && g < t->n_groups; g++) {
        topn_ent *h = topn_heap(t, g);
        for (uint32_t i = 0; !rc && i < *topn_cnt(t, g); i++) {
            uint64_t id = h[i].id;
            kl_chunk *src = old[id / KL_CHUNK_ROWS];
            uint32_t r = (uint32_t)(id % KL_CHUNK_ROWS);
            kl_chunk *dst = topn_tail(t);
            if (!dst) {
                rc = KILN_ERR_MEMORY;
                break;
            }
            uint32_t row = (uint32_t)(t->n_stored % KL_CHUNK_ROWS);
            for (uint32_t c = 0; !rc && c < t->st_cols; c++) rc = vec_copy_row(&dst->cols[c], row, &src->cols[c], r);
            dst->n_rows = row + 1;
            h[i].id = (uint32_t)t->n_stored++;
        }
    }
    topn_free_store(old, old_n);
    if (rc) return kl_err(err, KILN_ERR_MEMORY, "out of memory in top-N window");
    return 0;
}

/* ---- consuming input ------------------------------------------------------------------------ */

/*
 * Offer n rows to the heaps: cols = the child's columns, cur_keys = evaluated order keys, and
 * the rows' partitions in t->gids. Accepted rows are numbered n_stored + j while the batch is
 * being decided, then copied to the store.
 */
static int topn_offer(topn_op *t, const kl_vec *cols, uint32_t n, kl_error *err) {
    uint32_t k = t->k;
    t->n_sel = 0;
    const kl_vec *k0 = t->n_order ? t->cur_keys[0] : NULL;
    bool fast = t->fast; /* k0's type is order[0]'s, which decided t->fast */
    /* partition records are scattered: fetch a few rows ahead */
    enum { AHEAD = 8 };
    for (uint32_t i = 0; i < n && i < AHEAD; i++) __builtin_prefetch(topn_heap(t, t->gids[i]));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t g = t->gids[i];
        if (i + AHEAD < n) __builtin_prefetch(topn_heap(t, t->gids[i + AHEAD]));
        topn_ent *h = topn_heap(t, g);
        uint32_t *cnt = topn_cnt(t, g);
        uint64_t id = t->n_stored + t->n_sel;
        if (id >= UINT32_MAX) return kl_err(err, KILN_ERR_MEMORY, "top-N window: too many rows kept");
        topn_ent e = {0, (uint32_t)id, 0};
        if (fast && !k0->nulls[i]) {
            e.code = topn_code(t, k0, i);
            e.coded = 1;
        }
        t->sel[t->n_sel] = i; /* tentatively, so comparisons can read the row */
        if (*cnt < k) {
            t->n_sel++;
            h[*cnt] = e;
            topn_sift_up(t, h, *cnt);
            (*cnt)++;
            t->live++;
            continue;
        }
        if (topn_ent_cmp(t, &e, &h[0]) >= 0) continue; /* not better than the worst kept row */
        t->n_sel++;
        h[0] = e;
        topn_sift_down(t, h, k, 0);
    }
    /* row sel[j] has id n_stored + j: appending in order stores it exactly there (store_row
       reads no pending row, so n_stored may move under the pending ids) */
    uint32_t n_sel = t->n_sel;
    t->n_sel = 0;
    if (topn_store_sel(t, cols, t->sel, n_sel)) return kl_err(err, KILN_ERR_MEMORY, "out of memory in top-N window");
    if (t->n_stored > KL_MAX(4 * t->live, (uint64_t)TOPN_MIN_STORE)) TRY(topn_compact(t, err));
    return 0;
}

#define TOPN_DIRECT_SLOTS 4096u
#define TOPN_DIRECT_MAX (1u << 18)

static void topn_direct_drop(topn_op *t) {
    kl_free(t->dmap);
    t->dmap = NULL;
    t->dslots = 0;
    t->direct_off = true;
}

/*
 * Partition ids of a single non-NULL BIGINT/TIMESTAMP partition key through a direct map (as
 * the hash aggregate does): values in [dbase, dbase + TOPN_DIRECT_MAX) index an array of
 * partition ids that doubles as needed; first sightings and values outside go through the
 * table, which assigns the ids. Returns -1 when the map does not apply (the caller uses the
 * table); the map is dropped when more than 1 row in 8 of a batch falls outside.
 */
static int topn_direct(topn_op *t, uint32_t n, kl_error *err) {
    const kl_vec *v = t->pvecs[0];
    if (t->n_part != 1 || !(v->type == KILN_TYPE_BIGINT || v->type == KILN_TYPE_TIMESTAMP)) {
        topn_direct_drop(t);
        return -1;
    }
    if (v->has_nulls) return -1; /* this batch through the table */
    const int64_t *x = VEC_I64(v);
    if (!t->dmap) {
        int64_t lo = x[0];
        for (uint32_t i = 1; i < n; i++) lo = x[i] < lo ? x[i] : lo;
        if (!(t->dmap = kl_calloc(TOPN_DIRECT_SLOTS, sizeof *t->dmap)))
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in top-N window");
        t->dslots = TOPN_DIRECT_SLOTS;
        t->dbase = lo;
    }
    const uint64_t base = (uint64_t)t->dbase, slots = t->dslots;
    uint32_t miss = 0, outside = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)x[i] - base;
        uint32_t g = d < slots ? t->dmap[d] : 0;
        t->gids[i] = g - 1;
        if (!g) {
            t->dsel[miss++] = i;
            outside += d >= TOPN_DIRECT_MAX;
        }
    }
    if (!miss) return 0;
    ht_hash(t->ht, t->pvecs, n, t->dhash);
    TRY(ht_find_or_insert_hashed(t->ht, t->pvecs, t->dhash, t->dsel, miss, t->gids, err));
    if ((uint64_t)outside * 8 > n) {
        topn_direct_drop(t);
        return 0;
    }
    for (uint32_t j = 0; j < miss; j++) {
        uint32_t i = t->dsel[j];
        uint64_t d = (uint64_t)x[i] - base;
        if (d >= TOPN_DIRECT_MAX) continue;
        void *m = t->dmap;
        if (op_array_cover(&m, &t->dslots, sizeof *t->dmap, d))
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in top-N window");
        t->dmap = m;
        t->dmap[d] = t->gids[i] + 1;
    }
    return 0;
}

/* Partition ids of n rows of `in` into t->gids. */
static int topn_partitions(topn_op *t, kl_chunk *in, uint32_t n, kl_error *err) {
    if (!t->ht) {
        memset(t->gids, 0, n * sizeof(uint32_t));
        return topn_grow_groups(t, 1, err);
    }
    for (uint32_t p = 0; p < t->n_part; p++) TRY(expr_eval(t->part[p], in, n, &t->pvecs[p], err));
    int rc = t->direct_off ? -1 : topn_direct(t, n, err);
    if (rc > 0) return rc;
    if (rc < 0) TRY(ht_find_or_insert(t->ht, t->pvecs, n, t->gids, err));
    return topn_grow_groups(t, ht_group_count(t->ht), err);
}

static int topn_build_local(topn_op *t, kl_error *err) {
    kl_op *op = &t->base;
    for (;;) {
        kl_chunk *in;
        TRY(op_next(op->child, &in, err));
        uint32_t n = in->n_rows;
        if (n == 0) break;
        TRY(topn_partitions(t, in, n, err));
        for (uint32_t j = 0; j < t->n_order; j++) TRY(expr_eval(t->order[j], in, n, &t->cur_keys[j], err));
        t->cur_pos = NULL;
        t->cur_pos_base = t->by_seq ? (int64_t)(in->seq * KL_CHUNK_ROWS) : t->rows_seen;
        t->rows_seen += n;
        TRY(topn_offer(t, in->cols, n, err));
    }
    return 0;
}

/* Feed the kept rows of partial p (compacted) into t. */
static int topn_merge(topn_op *t, topn_op *p, kl_error *err) {
    TRY(topn_compact(p, err));
    for (size_t c = 0; c < p->n_chunks; c++) {
        kl_chunk *in = p->store[c];
        uint32_t n = in->n_rows;
        TRY(topn_partitions(t, in, n, err));
        for (uint32_t j = 0; j < t->n_order; j++) t->cur_keys[j] = &in->cols[t->n_child + j];
        t->cur_pos = VEC_I64(&in->cols[t->st_cols - 1]);
        TRY(topn_offer(t, in->cols, n, err));
    }
    return 0;
}

/* ---- parallel build -------------------------------------------------------------------------- */

static kl_op *topn_create(kl_op *child, kl_expr **part, uint32_t n_part, kl_expr **order,
                          bool *desc, bool *nulls_first, uint32_t n_order, uint32_t k);

static topn_op *topn_partial(topn_op *t) {
    kl_op *child = op_clone(t->base.child);
    if (!child) return NULL;
    kl_expr **part = kl_calloc(t->n_part ? t->n_part : 1, sizeof(kl_expr *));
    kl_expr **order = kl_calloc(t->n_order ? t->n_order : 1, sizeof(kl_expr *));
    bool *desc = kl_malloc((t->n_order ? t->n_order : 1) * sizeof(bool));
    bool *nf = kl_malloc((t->n_order ? t->n_order : 1) * sizeof(bool));
    bool ok = part && order && desc && nf;
    for (uint32_t i = 0; ok && i < t->n_part; i++) ok = (part[i] = expr_clone(t->part[i])) != NULL;
    for (uint32_t i = 0; ok && i < t->n_order; i++) ok = (order[i] = expr_clone(t->order[i])) != NULL;
    if (!ok) {
        op_free(child);
        for (uint32_t i = 0; part && i < t->n_part; i++) expr_free(part[i]);
        for (uint32_t i = 0; order && i < t->n_order; i++) expr_free(order[i]);
        kl_free(part);
        kl_free(order);
        kl_free(desc);
        kl_free(nf);
        return NULL;
    }
    memcpy(desc, t->desc, t->n_order * sizeof(bool));
    memcpy(nf, t->nulls_first, t->n_order * sizeof(bool));
    topn_op *p = (topn_op *)topn_create(child, part, t->n_part, order, desc, nf, t->n_order, t->k);
    if (p) p->by_seq = true;
    return p;
}

static void *topn_thread(void *arg) {
    topn_op *p = arg;
    kiln_error_clear(&p->thread_err);
    p->thread_rc = topn_build_local(p, &p->thread_err);
    return NULL;
}

/* Sort (key, value) pairs by key (non-negative): LSD radix sort, 16-bit digits, skipping
   digits every key shares. */
typedef struct topn_pair {
    uint64_t key, val;
} topn_pair;

static int topn_radix(topn_pair *a, topn_pair *tmp, uint64_t n) {
    uint64_t all_or = 0, all_and = UINT64_MAX;
    for (uint64_t i = 0; i < n; i++) {
        all_or |= a[i].key;
        all_and &= a[i].key;
    }
    static const unsigned B = 16;
    size_t *cnt = kl_malloc(((size_t)1 << B) * sizeof *cnt);
    if (!cnt) return KILN_ERR_MEMORY;
    for (unsigned shift = 0; shift < 64; shift += B) {
        uint64_t mask = (((uint64_t)1 << B) - 1) << shift;
        if (((all_or ^ all_and) & mask) == 0) continue; /* same digit everywhere */
        memset(cnt, 0, ((size_t)1 << B) * sizeof *cnt);
        for (uint64_t i = 0; i < n; i++) cnt[(a[i].key >> shift) & 0xffff]++;
        size_t sum = 0;
        for (size_t d = 0; d < ((size_t)1 << B); d++) {
            size_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (uint64_t i = 0; i < n; i++) tmp[cnt[(a[i].key >> shift) & 0xffff]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
    kl_free(cnt);
    return 0;
}

static int cmp_pair(const void *a, const void *b) {
    const topn_pair *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int topn_qsort_cmp(const void *a, const void *b, void *arg) {
    return topn_ent_cmp((const topn_op *)arg, (const topn_ent *)a, (const topn_ent *)b);
}

/* Number the kept rows of every partition and list them in input order. */
static int topn_finish(topn_op *t, kl_error *err) {
    TRY(topn_compact(t, err));
    uint64_t n = t->n_stored;
    topn_pair *tmp = kl_malloc((n ? n : 1) * 2 * sizeof(topn_pair)); /* (pos, id << 24 | rn) + scratch */
    t->out_ids = kl_malloc((n ? n : 1) * sizeof(uint64_t));
    t->out_rn = kl_malloc((n ? n : 1) * sizeof(int64_t));
    if (!tmp || !t->out_ids || !t->out_rn) {
        kl_free(tmp);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in top-N window");
    }
    uint64_t m = 0;
    t->n_sel = 0;
    for (uint32_t g = 0; g < t->n_groups; g++) {
        topn_ent *h = topn_heap(t, g);
        uint32_t c = *topn_cnt(t, g);
        /* heap -> ascending order */
        if (c > 32) {
            qsort_r(h, c, sizeof *h, topn_qsort_cmp, t);
        } else {
            for (uint32_t i = 1; i < c; i++)
                for (uint32_t j = i; j > 0 && topn_ent_cmp(t, &h[j - 1], &h[j]) > 0; j--) {
                    topn_ent x = h[j];
                    h[j] = h[j - 1];
                    h[j - 1] = x;
                }
        }
        for (uint32_t i = 0; i < c; i++) {
            tmp[m].key = (uint64_t)topn_pos(t, h[i].id);
            tmp[m].val = (uint64_t)h[i].id << 24 | (i + 1); /* k <= TOPN_MAX_SORT_K < 2^24 */
            m++;
        }
    }
    if (m <= 4096) {
        qsort(tmp, m, sizeof *tmp, cmp_pair);
    } else if (topn_radix(tmp, tmp + m, m)) {
        kl_free(tmp);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in top-N window");
    }
    for (uint64_t i = 0; i < m; i++) {
        t->out_ids[i] = tmp[i].val >> 24;
        t->out_rn[i] = (int64_t)(tmp[i].val & 0xffffff);
    }
    t->n_out = m;
    kl_free(tmp);
    return 0;
}

static int topn_build(topn_op *t, kl_error *err) {
    int n_par = t->threads > 1 ? t->threads - 1 : 0;
    topn_op *parts[63];
    pthread_t tids[63];
    bool started[63] = {false};
    if (n_par > 63) n_par = 63;
    int n = 0;
    for (; n < n_par; n++)
        if (!(parts[n] = topn_partial(t))) break;
    int rc;
    if (n == 0) {
        rc = topn_build_local(t, err);
    } else {
        t->by_seq = true;
        for (int i = 0; i < n; i++) started[i] = pthread_create(&tids[i], NULL, topn_thread, parts[i]) == 0;
        rc = topn_build_local(t, err);
        for (int i = 0; i < n; i++) {
            if (started[i]) pthread_join(tids[i], NULL);
            else topn_thread(parts[i]);
        }
        for (int i = 0; i < n && !rc; i++)
            if (parts[i]->thread_rc) {
                rc = parts[i]->thread_rc;
                if (err && err->code == KILN_OK) *err = parts[i]->thread_err;
            }
        for (int i = 0; i < n && !rc; i++) rc = topn_merge(t, parts[i], err);
        for (int i = 0; i < n; i++) op_free(&parts[i]->base);
    }
    if (!rc) rc = topn_finish(t, err);
    t->built = true;
    return rc;
}

/* ---- operator ----------------------------------------------------------------------------- */

static int topn_next(kl_op *op, kl_chunk **out, kl_error *err) {
    topn_op *t = (topn_op *)op;
    if (!t->built) TRY(topn_build(t, err));
    chunk_reset(&op->out);
    uint32_t n = (uint32_t)KL_MIN(t->n_out - t->emitted, (uint64_t)KL_CHUNK_ROWS);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t id = t->out_ids[t->emitted + i];
        const kl_chunk *src = t->store[id / KL_CHUNK_ROWS];
        uint32_t r = (uint32_t)(id % KL_CHUNK_ROWS);
        for (uint32_t c = 0; c < t->n_child; c++) {
            const kl_vec *sv = &src->cols[c];
            kl_vec *dv = &op->out.cols[c];
            if (sv->type == KILN_TYPE_NULL || sv->nulls[r]) {
                vec_set_null(dv, i);
                continue;
            }
            size_t sz = kl_type_size(sv->type);
            dv->nulls[i] = 0;
            /* strings stay in the store, which lives as long as the operator */
            if (sz) memcpy((char *)dv->data + i * sz, (const char *)sv->data + r * sz, sz);
        }
        kl_vec *rn = &op->out.cols[t->n_child];
        VEC_I64(rn)[i] = t->out_rn[t->emitted + i];
        rn->nulls[i] = 0;
    }
    t->emitted += n;
    op->out.n_rows = n;
    *out = &op->out;
    return 0;
}

static void topn_free(kl_op *op) {
    topn_op *t = (topn_op *)op;
    for (uint32_t i = 0; t->part && i < t->n_part; i++) expr_free(t->part[i]);
    for (uint32_t i = 0; t->order && i < t->n_order; i++) expr_free(t->order[i]);
    kl_free(t->part);
    kl_free(t->order);
    kl_free(t->desc);
    kl_free(t->nulls_first);
    ht_free(t->ht);
    kl_free(t->dmap);
    kl_free(t->grp);
    kl_free(t->st_types);
    topn_free_store(t->store, t->n_chunks);
    kl_free(t->cur_keys);
    kl_free(t->pvecs);
    kl_free(t->out_ids);
    kl_free(t->out_rn);
    op_base_free(op);
    kl_free(t);
}

static const kl_op_vt topn_vt = {"TOPN_WINDOW", topn_next, topn_free, NULL};

/* Takes ownership of everything, also on failure (NULL). */
static kl_op *topn_create(kl_op *child, kl_expr **part, uint32_t n_part, kl_expr **order,
                          bool *desc, bool *nulls_first, uint32_t n_order, uint32_t k) {
    topn_op *t = kl_calloc(1, sizeof *t);
    kl_type *types = NULL;
    if (!t) goto fail_raw;
    t->base.vt = &topn_vt;
    t->part = part;
    t->n_part = n_part;
    t->order = order;
    t->desc = desc;
    t->nulls_first = nulls_first;
    t->n_order = n_order;
    t->k = k;
    t->stride = 1 + 2 * k;
    t->threads = 1;
    t->n_child = child->n_cols;
    t->st_cols = t->n_child + n_order + 1;
    t->st_types = kl_malloc(t->st_cols * sizeof(kl_type));
    types = kl_malloc((t->n_child + 1) * sizeof(kl_type));
    t->cur_keys = kl_calloc(n_order ? n_order : 1, sizeof(kl_vec *));
    t->pvecs = kl_calloc(n_part ? n_part : 1, sizeof(kl_vec *));
    if (!t->st_types || !types || !t->cur_keys || !t->pvecs) goto fail;
    for (uint32_t c = 0; c < t->n_child; c++) types[c] = t->st_types[c] = child->types[c];
    for (uint32_t j = 0; j < n_order; j++) t->st_types[t->n_child + j] = order[j]->type;
    t->st_types[t->st_cols - 1] = KILN_TYPE_BIGINT;
    types[t->n_child] = KILN_TYPE_BIGINT;
    t->fast = n_order > 0 && topn_fast_type(order[0]->type);
    if (n_part) {
        kl_type *pt = kl_malloc(n_part * sizeof(kl_type));
        if (!pt) goto fail;
        for (uint32_t p = 0; p < n_part; p++) pt[p] = part[p]->type;
        t->ht = ht_create(pt, n_part);
        kl_free(pt);
        if (!t->ht) goto fail;
    }
    if (op_base_init(&t->base, &topn_vt, child, types, t->n_child + 1, true)) {
        t->base.child = child;
        child = NULL;
        goto fail;
    }
    kl_free(types);
    return &t->base;
fail:
    kl_free(types);
    if (child) t->base.child = child;
    topn_free(&t->base);
    return NULL;
fail_raw:
    op_free(child);
    for (uint32_t i = 0; i < n_part; i++) expr_free(part[i]);
    for (uint32_t i = 0; i < n_order; i++) expr_free(order[i]);
    kl_free(part);
    kl_free(order);
    kl_free(desc);
    kl_free(nulls_first);
    return NULL;
}

/* ---- the rewrite ----------------------------------------------------------------------------- */

/* k such that the conjunct keeps exactly the rows with column *col <= k (col <= c, col < c,
   col = 1, and the mirrored forms), or 0. */
static int64_t topn_bound(const kl_expr *e, uint32_t *col) {
    if (e->kind != EXPR_BINARY || e->n_args != 2) return 0;
    const kl_expr *a = e->args[0], *b = e->args[1];
    int op = e->op;
    if (a->kind == EXPR_CONST) { /* c >= col  ->  col <= c */
        const kl_expr *x = a;
        a = b;
        b = x;
        op = op == KL_OP_GE ? KL_OP_LE : op == KL_OP_GT ? KL_OP_LT : op == KL_OP_LE ? KL_OP_GE
           : op == KL_OP_LT ? KL_OP_GT : op;
    }
    if (a->kind != EXPR_COLUMN || a->type != KILN_TYPE_BIGINT || b->kind != EXPR_CONST ||
        b->type != KILN_TYPE_BIGINT || b->result.nulls[0])
        return 0;
    int64_t c = VEC_I64(&b->result)[0];
    *col = a->col;
    switch (op) {
    case KL_OP_LE: return c;
    case KL_OP_LT: return c > INT64_MIN ? c - 1 : 0;
    case KL_OP_EQ: return c == 1 ? 1 : 0;
    default: return 0;
    }
}

/* 1: rewritten, 0: not applicable, KILN_ERR_MEMORY: out of memory (a slot of the tree is NULL
   then; freeing the tree is still fine). */
static int topn_try(kl_op **slot, uint32_t col, int64_t k, int threads) {
    if (k < 1 || k > TOPN_MAX_SORT_K) return 0;
    /* follow the column down through projections that pass it on */
    while (*slot) {
        kl_expr *e = op_project_expr(*slot, col);
        if (!e) break;
        if (e->kind != EXPR_COLUMN) return 0;
        col = e->col;
        slot = &(*slot)->child;
    }
    uint32_t n_calls, n_child;
    const kl_win_call *calls = op_window_calls(*slot, &n_calls, &n_child);
    if (!calls || n_calls != 1 || col != n_child || calls[0].kind != KL_WIN_ROW_NUMBER) return 0;
    if (calls[0].n_partition && k > TOPN_MAX_K) return 0; /* k entries per partition */
    kl_win_call *owned;
    kl_op *child = op_window_dismantle(*slot, &owned, &n_calls);
    *slot = NULL;
    child = op_gather_unwrap(child); /* the operator reads its input on all threads itself */
    kl_win_call *c = &owned[0];
    kl_op *t = topn_create(child, c->partition, c->n_partition, c->order, c->desc, c->nulls_first,
                           c->n_order, (uint32_t)k);
    c->partition = c->order = NULL;
    c->desc = c->nulls_first = NULL;
    c->n_partition = c->n_order = 0;
    win_call_clear(c);
    kl_free(owned);
    if (!t) return KILN_ERR_MEMORY;
    ((topn_op *)t)->threads = threads;
    *slot = t;
    return 1;
}

int op_topn_rewrite(kl_op **op, const kl_expr *pred, int threads) {
    const kl_expr *const *conj = &pred;
    int n = 1;
    if (pred->kind == EXPR_AND) {
        conj = (const kl_expr *const *)pred->args;
        n = pred->n_args;
    }
    for (int i = 0; i < n; i++) {
        uint32_t col;
        int64_t k = topn_bound(conj[i], &col);
        int rc = k > 0 ? topn_try(op, col, k, threads) : 0;
        if (rc) return rc == 1 ? 0 : rc;
    }
    return 0;
}

/* ---- ORDER BY ... LIMIT n on several threads --------------------------------------------------- */

int op_topn_below_sort(kl_op *sort, uint64_t n, int threads) {
    const bool *desc, *nf;
    uint32_t nk;
    kl_expr *const *keys = op_sort_keys(sort, &desc, &nf, &nk);
    if (threads < 2 || n == 0 || n > TOPN_MAX_SORT_K || !keys || nk == 0 || !op_is_gather(sort->child))
        return 0;
    uint32_t n_child = sort->child->n_cols;
    kl_expr **order = kl_calloc(nk, sizeof(kl_expr *));
    bool *d = kl_malloc(nk * sizeof(bool)), *f = kl_malloc(nk * sizeof(bool));
    kl_expr **cols = kl_calloc(n_child ? n_child : 1, sizeof(kl_expr *));
    bool ok = order && d && f && cols;
    for (uint32_t j = 0; ok && j < nk; j++) ok = (order[j] = expr_clone(keys[j])) != NULL;
    for (uint32_t c = 0; ok && c < n_child; c++) ok = (cols[c] = expr_new_column(c, sort->child->types[c])) != NULL;
    if (!ok) {
        for (uint32_t j = 0; order && j < nk; j++) expr_free(order[j]);
        for (uint32_t c = 0; cols && c < n_child; c++) expr_free(cols[c]);
        kl_free(order);
        kl_free(d);
        kl_free(f);
        kl_free(cols);
        return KILN_ERR_MEMORY;
    }
    memcpy(d, desc, nk * sizeof(bool));
    memcpy(f, nf, nk * sizeof(bool));
    /* sort <- [columns of the child] <- TOPN_WINDOW (one partition, k = n) <- the gather's input:
       the heaps are filled on all threads, the sort then orders at most n rows */
    kl_op *child = op_gather_unwrap(sort->child);
    sort->child = NULL;
    kl_op *t = topn_create(child, NULL, 0, order, d, f, nk, (uint32_t)n);
    if (t) ((topn_op *)t)->threads = threads;
    kl_op *p = t ? op_project(t, cols, n_child) : NULL;
    if (!t)
        for (uint32_t c = 0; c < n_child; c++) expr_free(cols[c]);
    if (!t) kl_free(cols);
    sort->child = p;
    return p ? 0 : KILN_ERR_MEMORY;
}
