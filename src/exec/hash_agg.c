/*
 * hash_agg.c — the hash aggregate operator (op_hash_agg, operator.h).
 *
 * Group ids come from the vectorized group hash table (hashtable.h); each group owns one row
 * of aggregate states (the states of all aggregates side by side, each 16-byte aligned) in
 * blocks of 1024 groups, so state addresses never move when groups are added. update()
 * receives a per-row array of state pointers.
 */
#include <pthread.h>

#include "exec/hashtable.h"
#include "exec/op_internal.h"
#include "exec/operator.h"

/* ---- hash aggregate ----------------------------------------------------------------- */

#define HAGG_BLOCK 1024

typedef struct hagg_op {
    kl_op base;
    kl_expr **keys;
    uint32_t n_keys;
    kl_agg_call *aggs;
    uint32_t n_aggs;
    size_t *offsets;  /* per aggregate: offset of its state in a group's state row */
    size_t row_size;  /* bytes of one group's states */
    kl_ht *ht;
    char **blocks;    /* state rows, HAGG_BLOCK groups per block */
    size_t n_blocks;
    uint32_t n_groups;
    bool built;
    uint32_t emitted;
    uint32_t gids[KL_CHUNK_ROWS];
    void *ptrs[KL_CHUNK_ROWS];
    kl_vec **key_vecs;
    kl_vec **arg_vecs;
    int threads;      /* parallel build with this many threads when the child can be cloned */
    int thread_rc;    /* a partial's result when built on a worker thread */
    kl_error thread_err;
} hagg_op;

static inline char *hagg_state(hagg_op *h, uint32_t gid) {
    return h->blocks[gid / HAGG_BLOCK] + (size_t)(gid % HAGG_BLOCK) * h->row_size;
}

/* Make room for and initialize the states of groups [h->n_groups, n). */
static int hagg_add_groups(hagg_op *h, uint32_t n, kl_error *err) {
    while (h->n_groups < n) {
        if (h->n_groups % HAGG_BLOCK == 0 && h->n_groups / HAGG_BLOCK >= h->n_blocks) {
            char **nb = kl_realloc(h->blocks, (h->n_blocks + 1) * sizeof *nb);
            if (!nb) return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
            h->blocks = nb;
            h->blocks[h->n_blocks] = kl_malloc(h->row_size * HAGG_BLOCK + 1);
            if (!h->blocks[h->n_blocks])
                return kl_err(err, KILN_ERR_MEMORY, "out of memory in hash aggregate");
            h->n_blocks++;
        }
        char *row = hagg_state(h, h->n_groups);
        for (uint32_t a = 0; a < h->n_aggs; a++)
            h->aggs[a].def->init(&h->aggs[a].ctx, row + h->offsets[a]);
        h->n_groups++;
    }
    return 0;
}

static int hagg_build_local(hagg_op *h, kl_error *err) {
    kl_op *op = &h->base;
    for (;;) {
        kl_chunk *in;
        TRY(op_next(op->child, &in, err));
        uint32_t n = in->n_rows;
        if (n == 0) break;
        if (h->n_keys) {
            for (uint32_t k = 0; k < h->n_keys; k++) TRY(expr_eval(h->keys[k], in, n, &h->key_vecs[k], err));
            TRY(ht_find_or_insert(h->ht, h->key_vecs, n, h->gids, err));
            TRY(hagg_add_groups(h, ht_group_count(h->ht), err));
        } else {
            memset(h->gids, 0, n * sizeof(uint32_t));
            TRY(hagg_add_groups(h, 1, err));
        }
        for (uint32_t a = 0; a < h->n_aggs; a++) {
            kl_agg_call *ac = &h->aggs[a];
            for (int i = 0; i < ac->n_args; i++) TRY(expr_eval(ac->args[i], in, n, &h->arg_vecs[i], err));
            size_t off = h->offsets[a];
            for (uint32_t i = 0; i < n; i++) h->ptrs[i] = hagg_state(h, h->gids[i]) + off;
            TRY(ac->def->update(&ac->ctx, h->ptrs, h->arg_vecs, ac->n_args, n, err));
        }
    }
    if (h->n_keys == 0) TRY(hagg_add_groups(h, 1, err));
    h->built = true;
    return 0;
}

static void *hagg_thread(void *arg) {
    hagg_op *p = arg;
    kiln_error_clear(&p->thread_err);
    p->thread_rc = hagg_build_local(p, &p->thread_err);
    return NULL;
}

/* Fold partial p (same keys and aggregates) into h: look its groups up in h's table and
   combine the states; p's states are destroyed when p is freed. */
static int hagg_merge(hagg_op *h, hagg_op *p, kl_error *err) {
    kl_vec *keys = NULL;
    kl_vec **kp = NULL;
    int rc = 0;
    if (h->n_keys) {
        keys = kl_calloc(h->n_keys, sizeof(kl_vec));
        kp = kl_calloc(h->n_keys, sizeof(kl_vec *));
        if (!keys || !kp) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory merging aggregates");
        for (uint32_t k = 0; !rc && k < h->n_keys; k++) {
            kp[k] = &keys[k];
            if (vec_init(&keys[k], h->keys[k]->type, KL_CHUNK_ROWS)) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory");
        }
    }
    for (uint32_t first = 0; !rc && first < p->n_groups; first += KL_CHUNK_ROWS) {
        uint32_t n = KL_MIN(p->n_groups - first, (uint32_t)KL_CHUNK_ROWS);
        if (h->n_keys) {
            ht_get_keys(p->ht, first, n, kp);
            if ((rc = ht_find_or_insert(h->ht, kp, n, h->gids, err))) break;
            if ((rc = hagg_add_groups(h, ht_group_count(h->ht), err))) break;
        } else {
            if ((rc = hagg_add_groups(h, 1, err))) break;
            memset(h->gids, 0, n * sizeof(uint32_t));
        }
        for (uint32_t a = 0; !rc && a < h->n_aggs; a++) {
            kl_agg_call *ac = &h->aggs[a];
            size_t off = h->offsets[a];
            for (uint32_t i = 0; !rc && i < n; i++)
                rc = ac->def->combine(&ac->ctx, hagg_state(h, h->gids[i]) + off, hagg_state(p, first + i) + off, err);
        }
    }
    for (uint32_t k = 0; keys && k < h->n_keys; k++) vec_free(&keys[k]);
    kl_free(keys);
    kl_free(kp);
    return rc;
}

/* A partial aggregate over a parallel copy of the child, or NULL if the child is not
   cloneable (or out of memory). */
static hagg_op *hagg_partial(hagg_op *h) {
    kl_op *child = op_clone(h->base.child);
    if (!child) return NULL;
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

/*
 * Parallel build: threads-1 partial aggregates over clones of the child pipeline (they share
 * the source's morsels) run on worker threads while this operator consumes its own child;
 * then the partials are merged into this operator's table with combine().
 */
static int hagg_build(hagg_op *h, kl_error *err) {
    int n_par = h->threads > 1 ? h->threads - 1 : 0;
    hagg_op *parts[63];
    pthread_t tids[63];
    bool started[63] = {false};
    if (n_par > 63) n_par = 63;
    int n = 0;
    for (; n < n_par; n++)
        if (!(parts[n] = hagg_partial(h))) break;
    if (n == 0) return hagg_build_local(h, err);
    for (int i = 0; i < n; i++) started[i] = pthread_create(&tids[i], NULL, hagg_thread, parts[i]) == 0;
    /* a partial whose thread could not start is built here, after our own input */
    int rc = hagg_build_local(h, err);
    for (int i = 0; i < n; i++) {
        if (started[i]) pthread_join(tids[i], NULL);
        else hagg_thread(parts[i]);
    }
    for (int i = 0; i < n && !rc; i++)
        if (parts[i]->thread_rc) {
            rc = parts[i]->thread_rc;
            if (err && err->code == KILN_OK) *err = parts[i]->thread_err;
        }
    for (int i = 0; i < n && !rc; i++) rc = hagg_merge(h, parts[i], err);
    for (int i = 0; i < n; i++) op_free(&parts[i]->base);
    return rc;
}


static int hagg_next(kl_op *op, kl_chunk **out, kl_error *err) {
    hagg_op *h = (hagg_op *)op;
    if (!h->built) TRY(hagg_build(h, err));
    chunk_reset(&op->out);
    uint32_t n = KL_MIN(h->n_groups - h->emitted, (uint32_t)KL_CHUNK_ROWS);
    if (n > 0) {
        if (h->n_keys) {
            for (uint32_t k = 0; k < h->n_keys; k++) h->key_vecs[k] = &op->out.cols[k];
            ht_get_keys(h->ht, h->emitted, n, h->key_vecs);
        }
        for (uint32_t a = 0; a < h->n_aggs; a++) {
            kl_agg_call *ac = &h->aggs[a];
            kl_vec *dst = &op->out.cols[h->n_keys + a];
            for (uint32_t i = 0; i < n; i++)
                TRY(ac->def->finalize(&ac->ctx, hagg_state(h, h->emitted + i) + h->offsets[a], dst, i, err));
        }
        h->emitted += n;
    }
    op->out.n_rows = n;
    *out = &op->out;
    return 0;
}

void agg_call_clear(kl_agg_call *a) {
    for (int i = 0; i < a->n_args; i++) expr_free(a->args[i]);
    kl_free(a->args);
    a->args = NULL;
    a->n_args = 0;
    if (a->def && a->def->free_bind_data && a->ctx.bind_data) a->def->free_bind_data(a->ctx.bind_data);
    a->ctx.bind_data = NULL;
}

static void hagg_free(kl_op *op) {
    hagg_op *h = (hagg_op *)op;
    for (uint32_t a = 0; a < h->n_aggs; a++) {
        kl_agg_call *ac = &h->aggs[a];
        if (ac->def && ac->def->destroy)
            for (uint32_t g = 0; g < h->n_groups; g++) ac->def->destroy(&ac->ctx, hagg_state(h, g) + h->offsets[a]);
        agg_call_clear(ac);
    }
    kl_free(h->aggs);
    for (uint32_t k = 0; k < h->n_keys; k++) expr_free(h->keys[k]);
    kl_free(h->keys);
    for (size_t b = 0; b < h->n_blocks; b++) kl_free(h->blocks[b]);
    kl_free(h->blocks);
    kl_free(h->offsets);
    kl_free(h->key_vecs);
    kl_free(h->arg_vecs);
    ht_free(h->ht);
    /* Output key vectors reference the hash table's strings; nothing else to free. */
    op_base_free(op);
    kl_free(op);
}

static const kl_op_vt hagg_vt = {"HASH_GROUP_BY", hagg_next, hagg_free, NULL};

void op_hash_agg_set_threads(kl_op *op, int threads) {
    if (op && op->vt == &hagg_vt) ((hagg_op *)op)->threads = threads;
}

kl_op *op_hash_agg(kl_op *child, kl_expr **keys, uint32_t n_keys, kl_agg_call *aggs,
                   uint32_t n_aggs) {
    hagg_op *h = kl_calloc(1, sizeof *h);
    uint32_t n_cols = n_keys + n_aggs;
    kl_type *types = kl_malloc((n_cols ? n_cols : 1) * sizeof(kl_type));
    kl_type *key_types = kl_malloc((n_keys ? n_keys : 1) * sizeof(kl_type));
    int max_args = 1;
    for (uint32_t a = 0; a < n_aggs; a++) max_args = KL_MAX(max_args, aggs[a].n_args);
    if (h) {
        h->keys = keys;
        h->n_keys = n_keys;
        h->aggs = aggs;
        h->n_aggs = n_aggs;
        h->base.child = child;
        h->base.vt = &hagg_vt;
    }
    if (!h || !types || !key_types) goto fail;
    for (uint32_t k = 0; k < n_keys; k++) types[k] = key_types[k] = keys[k]->type;
    for (uint32_t a = 0; a < n_aggs; a++) types[n_keys + a] = aggs[a].ret_type;
    h->offsets = kl_malloc((n_aggs ? n_aggs : 1) * sizeof(size_t));
    h->key_vecs = kl_calloc(n_keys ? n_keys : 1, sizeof(kl_vec *));
    h->arg_vecs = kl_calloc((size_t)max_args, sizeof(kl_vec *));
    if (!h->offsets || !h->key_vecs || !h->arg_vecs) goto fail;
    h->row_size = 0;
    for (uint32_t a = 0; a < n_aggs; a++) {
        h->offsets[a] = h->row_size;
        h->row_size += (aggs[a].state_size + 15) & ~(size_t)15;
    }
    if (h->row_size == 0) h->row_size = 16;
    if (n_keys && !(h->ht = ht_create(key_types, n_keys))) goto fail;
    if (op_base_init(&h->base, &hagg_vt, child, types, n_cols, true)) goto fail;
    kl_free(types);
    kl_free(key_types);
    return &h->base;
fail:
    kl_free(types);
    kl_free(key_types);
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

