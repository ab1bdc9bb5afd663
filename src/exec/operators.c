/*
 * operators.c — the physical operators declared in operator.h.
 *
 * Zero-copy where the contract allows it: a table scan returns the table's own chunks, a
 * filter that keeps every row returns its input chunk, a projection returns a "view" chunk
 * whose vectors are shallow copies of the expression results. Those chunks are only read.
 *
 * Hash aggregate: group ids come from the vectorized group hash table (hashtable.h); each
 * group owns one row of aggregate states (the states of all aggregates side by side, each
 * 16-byte aligned) in blocks of 1024 groups, so state addresses never move when groups are
 * added. update() receives a per-row array of state pointers.
 *
 * Sort: materializes the input plus evaluated key columns into a table, sorts an array of
 * row indices with a comparator over the key columns, then emits rows in that order
 * (strings referenced from the buffer, which lives as long as the operator).
 */
#include "exec/operator.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "exec/hashtable.h"

int op_next(kl_op *op, kl_chunk **out, kl_error *err) { return op->vt->next(op, out, err); }

kl_op *op_clone(kl_op *op) { return op && op->vt->clone ? op->vt->clone(op) : NULL; }

int agg_call_clone(const kl_agg_call *src, kl_agg_call *dst) {
    *dst = *src;
    dst->args = kl_calloc(src->n_args ? (size_t)src->n_args : 1, sizeof(kl_expr *));
    if (!dst->args) return KILN_ERR_MEMORY;
    /* aggregates keep no bind data today; a copy must not free the original's */
    dst->ctx.bind_data = NULL;
    for (int i = 0; i < src->n_args; i++)
        if (!(dst->args[i] = expr_clone(src->args[i]))) {
            agg_call_clear(dst);
            return KILN_ERR_MEMORY;
        }
    return 0;
}

void op_free(kl_op *op) {
    if (!op) return;
    op->vt->free(op);
}

static void op_base_free(kl_op *op) {
    op_free(op->child);
    chunk_free(&op->out);
    kl_free(op->types);
}

int op_explain(const kl_op *op, int depth, kl_buf *out) {
    for (const kl_op *o = op; o; o = o->child, depth++) {
        for (int i = 0; i < depth; i++) TRY(kl_buf_puts(out, "  "));
        TRY(kl_buf_printf(out, "%s\n", o->vt->name));
    }
    return 0;
}

static int op_base_init(kl_op *op, const kl_op_vt *vt, kl_op *child, const kl_type *types,
                        uint32_t n_cols, bool alloc_out) {
    op->vt = vt;
    op->child = child;
    op->n_cols = n_cols;
    op->types = kl_malloc((n_cols ? n_cols : 1) * sizeof(kl_type));
    if (!op->types) return KILN_ERR_MEMORY;
    if (n_cols) memcpy(op->types, types, n_cols * sizeof(kl_type));
    if (alloc_out && chunk_init(&op->out, types, n_cols, KL_CHUNK_ROWS)) return KILN_ERR_MEMORY;
    return 0;
}

/* ---- parallel collection ------------------------------------------------------------ */
/*
 * A plan whose root pipeline can be cloned (scan -> filter/projection) is pulled by several
 * threads at once; each deep-copies its chunks, tagged with the source position (chunk->seq),
 * and the table is assembled in source order, so results do not depend on the thread count.
 */
typedef struct collected {
    uint64_t seq;
    kl_chunk *chunk;
} collected;

typedef struct collector {
    kl_op *op;
    collected *items;
    size_t n, cap;
    int rc;
    kl_error err;
} collector;

static int collect_chunk(collector *c, kl_chunk *in) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        collected *p = kl_realloc(c->items, cap * sizeof *p);
        if (!p) return kl_err(&c->err, KILN_ERR_MEMORY, "out of memory collecting results");
        c->items = p;
        c->cap = cap;
    }
    if (in->adoptable) {
        kl_chunk *taken = chunk_adopt((kl_chunk *)in);
        if (!taken) return kl_err(&c->err, KILN_ERR_MEMORY, "out of memory collecting results");
        c->items[c->n++] = (collected){taken->seq, taken};
        return 0;
    }
    kl_type types[256];
    kl_type *tp = in->n_cols <= 256 ? types : kl_malloc(in->n_cols * sizeof(kl_type));
    if (!tp) return kl_err(&c->err, KILN_ERR_MEMORY, "out of memory collecting results");
    for (uint32_t i = 0; i < in->n_cols; i++) tp[i] = c->op->types[i];
    kl_chunk *copy = kl_malloc(sizeof *copy);
    int rc = copy ? chunk_init(copy, tp, in->n_cols, KL_CHUNK_ROWS) : KILN_ERR_MEMORY;
    if (tp != types) kl_free(tp);
    if (rc) {
        kl_free(copy);
        return kl_err(&c->err, KILN_ERR_MEMORY, "out of memory collecting results");
    }
    for (uint32_t i = 0; i < in->n_cols && !rc; i++) rc = vec_copy_rows(&copy->cols[i], 0, &in->cols[i], 0, in->n_rows);
    copy->n_rows = in->n_rows;
    c->items[c->n++] = (collected){in->seq, copy};
    if (rc) return kl_err(&c->err, KILN_ERR_MEMORY, "out of memory collecting results");
    return 0;
}

static void *collect_thread(void *arg) {
    collector *c = arg;
    for (;;) {
        kl_chunk *ch;
        if ((c->rc = op_next(c->op, &ch, &c->err))) break;
        if (ch->n_rows == 0) break;
        if ((c->rc = collect_chunk(c, ch))) break;
    }
    return NULL;
}

static int cmp_collected(const void *a, const void *b) {
    uint64_t x = ((const collected *)a)->seq, y = ((const collected *)b)->seq;
    return x < y ? -1 : x > y;
}

int op_collect_parallel(kl_op *op, int threads, kl_table *t, bool *done, kl_error *err) {
    *done = false;
    int n = threads > 64 ? 64 : threads;
    if (n < 2) return 0;
    collector cs[64];
    memset(cs, 0, sizeof(collector) * (size_t)n);
    cs[0].op = op;
    int got = 1;
    for (; got < n; got++)
        if (!(cs[got].op = op_clone(op))) break;
    if (got == 1) return 0;
    *done = true;
    pthread_t tids[64];
    bool started[64] = {false};
    for (int i = 1; i < got; i++) started[i] = pthread_create(&tids[i], NULL, collect_thread, &cs[i]) == 0;
    collect_thread(&cs[0]);
    for (int i = 1; i < got; i++) {
        if (started[i]) pthread_join(tids[i], NULL);
        else collect_thread(&cs[i]);
    }
    int rc = 0;
    size_t total = 0;
    for (int i = 0; i < got; i++) {
        if (!rc && (cs[i].rc || cs[i].err.code)) {
            rc = cs[i].rc ? cs[i].rc : cs[i].err.code;
            if (err && err->code == KILN_OK) *err = cs[i].err;
        }
        total += cs[i].n;
    }
    collected *all = rc ? NULL : kl_malloc((total ? total : 1) * sizeof *all);
    if (!rc && !all) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory collecting results");
    size_t k = 0;
    for (int i = 0; i < got; i++) {
        for (size_t j = 0; j < cs[i].n; j++) {
            if (all) all[k++] = cs[i].items[j];
            else {
                chunk_free(cs[i].items[j].chunk);
                kl_free(cs[i].items[j].chunk);
            }
        }
        kl_free(cs[i].items);
        if (i > 0) op_free(cs[i].op);
    }
    if (all) {
        qsort(all, total, sizeof *all, cmp_collected);
        kl_chunk **chunks = kl_realloc(t->chunks, (total ? total : 1) * sizeof(kl_chunk *));
        if (!chunks) {
            rc = kl_err(err, KILN_ERR_MEMORY, "out of memory collecting results");
            for (size_t i = 0; i < total; i++) {
                chunk_free(all[i].chunk);
                kl_free(all[i].chunk);
            }
        } else {
            t->chunks = chunks;
            t->cap_chunks = total ? total : 1;
            for (size_t i = 0; i < total; i++) {
                t->chunks[i] = all[i].chunk;
                t->n_rows += all[i].chunk->n_rows;
            }
            t->n_chunks = total;
        }
        kl_free(all);
    }
    return rc;
}


/* ---- gather: parallel materialization below a blocking operator ----------------------- */

typedef struct gather_op {
    kl_op base;
    int threads;
    kl_table *buf; /* the child's rows in source order */
    size_t next_chunk;
    kl_chunk *emitted; /* handed out last: freed on the next pull unless the consumer adopted it */
    bool built;
    bool passthrough; /* the child could not be cloned: stream it as it is */
} gather_op;

static void gather_release(gather_op *g) {
    if (!g->emitted) return;
    chunk_free(g->emitted); /* nothing left if the consumer adopted the vectors */
    kl_free(g->emitted);
    g->emitted = NULL;
}

static int gather_next(kl_op *op, kl_chunk **out, kl_error *err) {
    gather_op *g = (gather_op *)op;
    if (!g->built) {
        g->built = true;
        char **names = kl_calloc(op->n_cols ? op->n_cols : 1, sizeof(char *));
        if (!names) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
        for (uint32_t i = 0; i < op->n_cols; i++) names[i] = "";
        g->buf = table_create(NULL, op->n_cols, names, op->types);
        kl_free(names);
        if (!g->buf) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
        bool parallel;
        TRY(op_collect_parallel(op->child, g->threads, g->buf, &parallel, err));
        g->passthrough = !parallel;
    }
    if (g->passthrough) return op_next(op->child, out, err);
    /* chunks leave the buffer as they are handed out, so the input is held once, not twice,
       while the consumer copies (or adopts) it */
    gather_release(g);
    while (g->next_chunk < g->buf->n_chunks) {
        kl_chunk *c = g->buf->chunks[g->next_chunk];
        g->buf->chunks[g->next_chunk++] = NULL;
        g->emitted = c;
        if (c->n_rows) {
            c->adoptable = true;
            *out = c;
            return 0;
        }
        gather_release(g);
    }
    op->out.n_rows = 0;
    *out = &op->out;
    return 0;
}

static void gather_free(kl_op *op) {
    gather_release((gather_op *)op);
    table_free(((gather_op *)op)->buf);
    op_base_free(op);
    kl_free(op);
}

static const kl_op_vt gather_vt = {"GATHER", gather_next, gather_free, NULL};

kl_op *op_gather(kl_op *child, int threads) {
    if (threads < 2) return child;
    gather_op *g = kl_calloc(1, sizeof *g);
    if (!g) {
        op_free(child);
        return NULL;
    }
    g->threads = threads;
    if (op_base_init(&g->base, &gather_vt, child, child->types, child->n_cols, true)) {
        g->base.child = child;
        gather_free(&g->base);
        return NULL;
    }
    return &g->base;
}

/* ---- table scan --------------------------------------------------------------------- */

/* Morsels of parallel sources: a table scan hands out 60 chunks (~120k rows) at a time, so
   small tables stay on one thread (and keep their order). */
#define SCAN_MORSEL_CHUNKS 60

typedef struct scan_shared {
    atomic_size_t next_morsel;
    atomic_int refs;
} scan_shared;

typedef struct scan_table_op {
    kl_op base;
    const kl_table *table;
    size_t next_chunk;
    size_t n_chunks;   /* snapshot at creation */
    size_t morsel_end; /* parallel mode: end of the claimed morsel */
    scan_shared *shared; /* NULL until cloned: then every copy claims morsels */
    kl_chunk empty;
} scan_table_op;

static int scan_table_next(kl_op *op, kl_chunk **out, kl_error *err) {
    KL_UNUSED(err);
    scan_table_op *s = (scan_table_op *)op;
    for (;;) {
        size_t end = s->shared ? s->morsel_end : s->n_chunks;
        while (s->next_chunk < end) {
            size_t idx = s->next_chunk++;
            kl_chunk *c = s->table->chunks[idx];
            if (c->n_rows) {
                c->seq = idx;
                *out = c;
                return 0;
            }
        }
        if (!s->shared) break;
        size_t m = atomic_fetch_add(&s->shared->next_morsel, 1);
        if (m * SCAN_MORSEL_CHUNKS >= s->n_chunks) break;
        s->next_chunk = m * SCAN_MORSEL_CHUNKS;
        s->morsel_end = KL_MIN(s->n_chunks, s->next_chunk + SCAN_MORSEL_CHUNKS);
    }
    s->empty.n_rows = 0;
    *out = &s->empty;
    return 0;
}

static void scan_table_free(kl_op *op) {
    scan_table_op *s = (scan_table_op *)op;
    if (s->shared && atomic_fetch_sub(&s->shared->refs, 1) == 1) kl_free(s->shared);
    kl_free(op->types);
    kl_free(op);
}

static kl_op *scan_table_clone(kl_op *op);

static const kl_op_vt scan_table_vt = {"TABLE_SCAN", scan_table_next, scan_table_free, scan_table_clone};

static kl_op *scan_table_clone(kl_op *op) {
    scan_table_op *s = (scan_table_op *)op;
    if (!s->shared) {
        s->shared = kl_calloc(1, sizeof *s->shared);
        if (!s->shared) return NULL;
        atomic_store(&s->shared->refs, 1);
        s->next_chunk = s->morsel_end = 0;
    }
    scan_table_op *c = kl_calloc(1, sizeof *c);
    if (!c) return NULL;
    if (op_base_init(&c->base, &scan_table_vt, NULL, op->types, op->n_cols, false)) {
        kl_free(c);
        return NULL;
    }
    c->table = s->table;
    c->n_chunks = s->n_chunks;
    c->shared = s->shared;
    atomic_fetch_add(&s->shared->refs, 1);
    return &c->base;
}

kl_op *op_scan_table(const kl_table *t) {
    scan_table_op *s = kl_calloc(1, sizeof *s);
    if (!s) return NULL;
    if (op_base_init(&s->base, &scan_table_vt, NULL, t->types, t->n_cols, false)) {
        kl_free(s);
        return NULL;
    }
    s->table = t;
    s->n_chunks = t->n_chunks;
    return &s->base;
}

/* ---- CSV scan ----------------------------------------------------------------------- */

/* The reader shared by parallel copies of a CSV scan; closed by the last copy. */
typedef struct csv_shared {
    kl_csv *rd;
    atomic_int refs;
} csv_shared;

typedef struct scan_csv_op {
    kl_op base;
    kl_csv *rd;
    kl_csv_worker *worker; /* parallel mode: morsels of the shared reader */
    csv_shared *shared;
    uint64_t n_chunks; /* sequential mode: chunk counter for seq */
} scan_csv_op;

static int scan_csv_next(kl_op *op, kl_chunk **out, kl_error *err) {
    scan_csv_op *s = (scan_csv_op *)op;
    if (!op->out.cols && chunk_init(&op->out, op->types, op->n_cols, KL_CHUNK_ROWS))
        return kl_err(err, KILN_ERR_MEMORY, "out of memory reading CSV");
    chunk_reset(&op->out);
    if (s->worker) {
        uint64_t mi;
        uint32_t ci;
        TRY(csv_worker_next(s->worker, &op->out, &mi, &ci, err));
        op->out.seq = (mi << 24) | ci;
    } else {
        TRY(csv_next(s->rd, &op->out, err));
        op->out.seq = s->n_chunks++;
    }
    /* the reader copies every value into the chunk's own vectors: a consumer may keep them */
    op->out.adoptable = true;
    *out = &op->out;
    return 0;
}

static void scan_csv_free(kl_op *op) {
    scan_csv_op *s = (scan_csv_op *)op;
    csv_worker_free(s->worker);
    if (s->shared) {
        if (atomic_fetch_sub(&s->shared->refs, 1) == 1) {
            csv_close(s->shared->rd);
            kl_free(s->shared);
        }
    } else {
        csv_close(s->rd);
    }
    op_base_free(op);
    kl_free(op);
}

static kl_op *scan_csv_clone(kl_op *op);

static const kl_op_vt scan_csv_vt = {"CSV_SCAN", scan_csv_next, scan_csv_free, scan_csv_clone};

/* The first clone turns the original into a morsel worker too (csv_next and workers must not
   mix); every copy then claims byte-range morsels of the same reader. */
static kl_op *scan_csv_clone(kl_op *op) {
    scan_csv_op *s = (scan_csv_op *)op;
    if (!s->shared) {
        if (s->n_chunks) return NULL; /* already reading sequentially */
        csv_shared *sh = kl_calloc(1, sizeof *sh);
        if (!sh) return NULL;
        if (csv_worker_new(s->rd, &s->worker, NULL)) {
            kl_free(sh);
            return NULL;
        }
        sh->rd = s->rd;
        atomic_store(&sh->refs, 1);
        s->shared = sh;
    }
    scan_csv_op *c = kl_calloc(1, sizeof *c);
    if (!c) return NULL;
    if (op_base_init(&c->base, &scan_csv_vt, NULL, op->types, op->n_cols, true) ||
        csv_worker_new(s->rd, &c->worker, NULL)) {
        chunk_free(&c->base.out);
        kl_free(c->base.types);
        kl_free(c);
        return NULL;
    }
    c->rd = s->rd;
    c->shared = s->shared;
    atomic_fetch_add(&s->shared->refs, 1);
    return &c->base;
}

kl_op *op_scan_csv(kl_csv *rd) {
    scan_csv_op *s = kl_calloc(1, sizeof *s);
    uint32_t n = csv_column_count(rd);
    kl_type *types = kl_malloc((n ? n : 1) * sizeof(kl_type));
    if (!s || !types) {
        kl_free(s);
        kl_free(types);
        csv_close(rd);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) types[i] = csv_column_type(rd, i);
    s->rd = rd;
    int rc = op_base_init(&s->base, &scan_csv_vt, NULL, types, n, true);
    kl_free(types);
    if (rc) {
        scan_csv_free(&s->base);
        return NULL;
    }
    return &s->base;
}

/* ---- dual (one row, no columns) and VALUES ------------------------------------------ */

typedef struct values_op {
    kl_op base;
    kl_expr ***rows;
    uint32_t n_rows;
    uint32_t next_row;
} values_op;

static int values_next(kl_op *op, kl_chunk **out, kl_error *err) {
    values_op *v = (values_op *)op;
    chunk_reset(&op->out);
    uint32_t n = 0;
    while (v->next_row < v->n_rows && n < KL_CHUNK_ROWS) {
        kl_expr **row = v->rows ? v->rows[v->next_row] : NULL;
        for (uint32_t c = 0; c < op->n_cols; c++) {
            kl_vec *val;
            TRY(expr_eval(row[c], NULL, 1, &val, err));
            if (vec_copy_row(&op->out.cols[c], n, val, 0))
                return kl_err(err, KILN_ERR_MEMORY, "out of memory");
        }
        v->next_row++;
        n++;
    }
    op->out.n_rows = n;
    *out = &op->out;
    return 0;
}

static void values_free(kl_op *op) {
    values_op *v = (values_op *)op;
    if (v->rows) {
        for (uint32_t r = 0; r < v->n_rows; r++) {
            for (uint32_t c = 0; c < op->n_cols; c++) expr_free(v->rows[r][c]);
            kl_free(v->rows[r]);
        }
        kl_free(v->rows);
    }
    op_base_free(op);
    kl_free(op);
}

static const kl_op_vt values_vt = {"VALUES", values_next, values_free, NULL};

kl_op *op_values(kl_expr ***rows, uint32_t n_rows, uint32_t n_cols, const kl_type *types) {
    values_op *v = kl_calloc(1, sizeof *v);
    if (!v) {
        for (uint32_t r = 0; rows && r < n_rows; r++) {
            for (uint32_t c = 0; c < n_cols; c++) expr_free(rows[r][c]);
            kl_free(rows[r]);
        }
        kl_free(rows);
        return NULL;
    }
    v->rows = rows;
    v->n_rows = n_rows;
    if (op_base_init(&v->base, &values_vt, NULL, types, n_cols, true)) {
        v->base.n_cols = n_cols;
        values_free(&v->base);
        return NULL;
    }
    return &v->base;
}

kl_op *op_dual(void) {
    values_op *v = kl_calloc(1, sizeof *v);
    if (!v) return NULL;
    v->n_rows = 1;
    if (op_base_init(&v->base, &values_vt, NULL, NULL, 0, true)) {
        values_free(&v->base);
        return NULL;
    }
    return &v->base;
}

/* ---- range -------------------------------------------------------------------------- */

typedef struct range_op {
    kl_op base;
    int64_t next, stop, step;
    bool done;
} range_op;

static int range_next(kl_op *op, kl_chunk **out, kl_error *err) {
    KL_UNUSED(err);
    range_op *r = (range_op *)op;
    int64_t *o = VEC_I64(&op->out.cols[0]);
    uint32_t n = 0;
    while (!r->done && n < KL_CHUNK_ROWS) {
        if (r->step > 0 ? r->next >= r->stop : r->next <= r->stop) {
            r->done = true;
            break;
        }
        o[n++] = r->next;
        /* stop instead of overflowing past INT64_MAX/MIN */
        if (__builtin_add_overflow(r->next, r->step, &r->next)) r->done = true;
    }
    op->out.n_rows = n;
    op->out.cols[0].has_nulls = false;
    *out = &op->out;
    return 0;
}

static void range_free(kl_op *op) {
    op_base_free(op);
    kl_free(op);
}

static const kl_op_vt range_vt = {"RANGE", range_next, range_free, NULL};

kl_op *op_range(int64_t start, int64_t stop, int64_t step) {
    range_op *r = kl_calloc(1, sizeof *r);
    if (!r) return NULL;
    kl_type t = KILN_TYPE_BIGINT;
    if (op_base_init(&r->base, &range_vt, NULL, &t, 1, true)) {
        range_free(&r->base);
        return NULL;
    }
    r->next = start;
    r->stop = stop;
    r->step = step;
    r->done = step == 0;
    return &r->base;
}

/* ---- filter ------------------------------------------------------------------------- */

typedef struct filter_op {
    kl_op base;
    kl_expr *pred;
    uint32_t sel[KL_CHUNK_ROWS];
} filter_op;

static int filter_next(kl_op *op, kl_chunk **out, kl_error *err) {
    filter_op *f = (filter_op *)op;
    for (;;) {
        kl_chunk *in;
        TRY(op_next(op->child, &in, err));
        if (in->n_rows == 0) {
            *out = in;
            return 0;
        }
        kl_vec *p;
        TRY(expr_eval(f->pred, in, in->n_rows, &p, err));
        uint32_t n = 0;
        if (p->type == KILN_TYPE_BOOLEAN) {
            const uint8_t *b = VEC_U8(p);
            if (p->has_nulls) {
                for (uint32_t i = 0; i < in->n_rows; i++)
                    if (b[i] && !p->nulls[i]) f->sel[n++] = i;
            } else {
                for (uint32_t i = 0; i < in->n_rows; i++)
                    if (b[i]) f->sel[n++] = i;
            }
        }
        if (n == 0) continue;
        if (n == in->n_rows) {
            *out = in;
            return 0;
        }
        chunk_reset(&op->out);
        for (uint32_t c = 0; c < op->n_cols; c++) vec_gather(&op->out.cols[c], &in->cols[c], f->sel, n);
        op->out.n_rows = n;
        op->out.seq = in->seq;
        *out = &op->out;
        return 0;
    }
}

static void filter_free(kl_op *op) {
    expr_free(((filter_op *)op)->pred);
    op_base_free(op);
    kl_free(op);
}

static kl_op *filter_clone(kl_op *op);

static const kl_op_vt filter_vt = {"FILTER", filter_next, filter_free, filter_clone};

static kl_op *filter_clone(kl_op *op) {
    kl_op *child = op_clone(op->child);
    if (!child) return NULL;
    kl_expr *pred = expr_clone(((filter_op *)op)->pred);
    if (!pred) {
        op_free(child);
        return NULL;
    }
    return op_filter(child, pred);
}

kl_op *op_filter(kl_op *child, kl_expr *pred) {
    filter_op *f = kl_calloc(1, sizeof *f);
    if (!f) {
        op_free(child);
        expr_free(pred);
        return NULL;
    }
    f->pred = pred;
    if (op_base_init(&f->base, &filter_vt, child, child->types, child->n_cols, true)) {
        filter_free(&f->base);
        return NULL;
    }
    return &f->base;
}

/* ---- projection --------------------------------------------------------------------- */

typedef struct project_op {
    kl_op base;
    kl_expr **exprs;
    kl_chunk view; /* cols are shallow copies of expression results */
} project_op;

static int project_next(kl_op *op, kl_chunk **out, kl_error *err) {
    project_op *p = (project_op *)op;
    kl_chunk *in;
    TRY(op_next(op->child, &in, err));
    p->view.n_rows = in->n_rows;
    p->view.seq = in->seq;
    if (in->n_rows == 0) {
        *out = &p->view;
        return 0;
    }
    for (uint32_t c = 0; c < op->n_cols; c++) {
        kl_vec *v;
        TRY(expr_eval(p->exprs[c], in, in->n_rows, &v, err));
        p->view.cols[c] = *v;
    }
    *out = &p->view;
    return 0;
}

static void project_free(kl_op *op) {
    project_op *p = (project_op *)op;
    if (p->exprs)
        for (uint32_t i = 0; i < op->n_cols; i++) expr_free(p->exprs[i]);
    kl_free(p->exprs);
    kl_free(p->view.cols);
    op_base_free(op);
    kl_free(op);
}

static kl_op *project_clone(kl_op *op);

static const kl_op_vt project_vt = {"PROJECTION", project_next, project_free, project_clone};

static kl_op *project_clone(kl_op *op) {
    project_op *p = (project_op *)op;
    kl_op *child = op_clone(op->child);
    kl_expr **exprs = kl_calloc(op->n_cols ? op->n_cols : 1, sizeof(kl_expr *));
    if (!child || !exprs) {
        op_free(child);
        kl_free(exprs);
        return NULL;
    }
    for (uint32_t i = 0; i < op->n_cols; i++)
        if (!(exprs[i] = expr_clone(p->exprs[i]))) {
            for (uint32_t k = 0; k < i; k++) expr_free(exprs[k]);
            kl_free(exprs);
            op_free(child);
            return NULL;
        }
    return op_project(child, exprs, op->n_cols);
}

kl_op *op_project(kl_op *child, kl_expr **exprs, uint32_t n_exprs) {
    project_op *p = kl_calloc(1, sizeof *p);
    if (p) p->exprs = exprs; /* owned from here on, also on the failure path */
    kl_type *types = kl_malloc((n_exprs ? n_exprs : 1) * sizeof(kl_type));
    if (!p || !types) goto fail;
    for (uint32_t i = 0; i < n_exprs; i++) types[i] = exprs[i]->type;
    p->base.n_cols = n_exprs;
    if (op_base_init(&p->base, &project_vt, child, types, n_exprs, false)) goto fail;
    p->view.n_cols = n_exprs;
    p->view.cap = KL_CHUNK_ROWS;
    p->view.cols = kl_calloc(n_exprs ? n_exprs : 1, sizeof(kl_vec));
    if (!p->view.cols) goto fail;
    kl_free(types);
    return &p->base;
fail:
    kl_free(types);
    if (p) {
        p->base.child = child;
        p->base.n_cols = n_exprs;
        project_free(&p->base);
    } else {
        op_free(child);
        for (uint32_t i = 0; i < n_exprs; i++) expr_free(exprs[i]);
        kl_free(exprs);
    }
    return NULL;
}

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

/* ---- sort --------------------------------------------------------------------------- */

typedef struct sort_op {
    kl_op base;
    kl_expr **keys;
    uint32_t n_keys;
    bool *desc;
    bool *nulls_first;
    kl_table *buf;   /* child columns followed by key columns */
    uint64_t *order; /* global row indices in sorted order */
    uint64_t emitted;
    uint64_t top_n;  /* > 0: only the first top_n rows are wanted (ORDER BY ... LIMIT) */
    bool built;
} sort_op;

static int sort_cmp(const void *pa, const void *pb, void *arg) {
    const sort_op *s = arg;
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    const kl_chunk *ca = s->buf->chunks[a / KL_CHUNK_ROWS];
    const kl_chunk *cb = s->buf->chunks[b / KL_CHUNK_ROWS];
    uint32_t ra = (uint32_t)(a % KL_CHUNK_ROWS), rb = (uint32_t)(b % KL_CHUNK_ROWS);
    for (uint32_t k = 0; k < s->n_keys; k++) {
        uint32_t col = s->base.n_cols + k;
        const kl_vec *va = &ca->cols[col], *vb = &cb->cols[col];
        bool na = va->type == KILN_TYPE_NULL || va->nulls[ra];
        bool nb = vb->type == KILN_TYPE_NULL || vb->nulls[rb];
        if (na || nb) {
            if (na && nb) continue;
            /* NULL position is independent of ASC/DESC */
            return (na ? 1 : -1) * (s->nulls_first[k] ? -1 : 1);
        }
        int c = func_compare_values(va->type, va, ra, vb, rb);
        if (c) return s->desc[k] ? -c : c;
    }
    return a < b ? -1 : (a > b ? 1 : 0); /* stable */
}

static int sort_order(sort_op *s, kl_error *err) {
    uint64_t n = s->buf->n_rows;
    kl_free(s->order);
    s->order = kl_malloc((n ? n : 1) * sizeof(uint64_t));
    if (!s->order) return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    for (uint64_t i = 0; i < n; i++) s->order[i] = i;
    qsort_r(s->order, n, sizeof(uint64_t), sort_cmp, s);
    return 0;
}

/*
 * Top-N: sort what is buffered and keep the first top_n rows, in order. Called whenever the
 * buffer reaches max(2 * top_n, 65536) rows, so ORDER BY ... LIMIT holds O(top_n) rows instead
 * of its whole input. Kept rows precede later ones, so ties stay in input order (stable).
 */
static int sort_compact(sort_op *s, kl_error *err) {
    TRY(sort_order(s, err));
    kl_table *old = s->buf;
    uint32_t total = old->n_cols;
    char **names = kl_calloc(total ? total : 1, sizeof(char *));
    kl_table *nb = NULL;
    kl_chunk stage;
    int rc = names ? 0 : kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    for (uint32_t c = 0; !rc && c < total; c++) names[c] = "";
    if (!rc && !(nb = table_create(NULL, total, names, old->types))) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    kl_free(names);
    if (!rc && chunk_init(&stage, old->types, total, KL_CHUNK_ROWS)) {
        table_free(nb);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    }
    if (rc) return rc;
    uint64_t keep = KL_MIN(s->top_n, old->n_rows);
    uint32_t k = 0;
    for (uint64_t i = 0; !rc && i < keep; i++) {
        uint64_t g = s->order[i];
        const kl_chunk *src = old->chunks[g / KL_CHUNK_ROWS];
        uint32_t r = (uint32_t)(g % KL_CHUNK_ROWS);
        for (uint32_t c = 0; !rc && c < total; c++) rc = vec_copy_row(&stage.cols[c], k, &src->cols[c], r);
        if (rc) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
        if (!rc && ++k == KL_CHUNK_ROWS) {
            stage.n_rows = k;
            rc = table_append(nb, &stage, k, err);
            chunk_reset(&stage);
            k = 0;
        }
    }
    if (!rc && k) {
        stage.n_rows = k;
        rc = table_append(nb, &stage, k, err);
    }
    chunk_free(&stage);
    if (rc) {
        table_free(nb);
        return rc;
    }
    table_free(old);
    s->buf = nb;
    return 0;
}

static int sort_build(sort_op *s, kl_error *err) {
    kl_op *op = &s->base;
    uint32_t total = op->n_cols + s->n_keys;
    kl_chunk view = {0};
    view.n_cols = total;
    view.cols = kl_calloc(total ? total : 1, sizeof(kl_vec));
    if (!view.cols) return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    int rc = 0;
    for (;;) {
        kl_chunk *in;
        if ((rc = op_next(op->child, &in, err))) break;
        if (in->n_rows == 0) break;
        for (uint32_t c = 0; c < op->n_cols; c++) view.cols[c] = in->cols[c];
        for (uint32_t k = 0; k < s->n_keys && !rc; k++) {
            kl_vec *v;
            rc = expr_eval(s->keys[k], in, in->n_rows, &v, err);
            if (!rc) view.cols[op->n_cols + k] = *v;
        }
        if (rc) break;
        view.n_rows = in->n_rows;
        if ((rc = table_append(s->buf, &view, in->n_rows, err))) break;
        if (s->top_n && s->buf->n_rows >= KL_MAX(2 * s->top_n, (uint64_t)65536) && (rc = sort_compact(s, err))) break;
    }
    kl_free(view.cols);
    if (rc) return rc;
    TRY(sort_order(s, err));
    s->built = true;
    return 0;
}

static int sort_next(kl_op *op, kl_chunk **out, kl_error *err) {
    sort_op *s = (sort_op *)op;
    if (!s->built) TRY(sort_build(s, err));
    chunk_reset(&op->out);
    uint32_t n = (uint32_t)KL_MIN(s->buf->n_rows - s->emitted, (uint64_t)KL_CHUNK_ROWS);
    for (uint32_t c = 0; c < op->n_cols; c++) {
        kl_vec *dst = &op->out.cols[c];
        size_t sz = kl_type_size(dst->type);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t g = s->order[s->emitted + i];
            const kl_vec *src = &s->buf->chunks[g / KL_CHUNK_ROWS]->cols[c];
            uint32_t r = (uint32_t)(g % KL_CHUNK_ROWS);
            if (src->nulls[r]) {
                vec_set_null(dst, i);
                continue;
            }
            if (sz) memcpy((char *)dst->data + i * sz, (const char *)src->data + r * sz, sz);
        }
    }
    s->emitted += n;
    op->out.n_rows = n;
    *out = &op->out;
    return 0;
}

static void sort_free(kl_op *op) {
    sort_op *s = (sort_op *)op;
    if (s->keys)
        for (uint32_t k = 0; k < s->n_keys; k++) expr_free(s->keys[k]);
    kl_free(s->keys);
    kl_free(s->desc);
    kl_free(s->nulls_first);
    kl_free(s->order);
    table_free(s->buf);
    op_base_free(op);
    kl_free(op);
}

static const kl_op_vt sort_vt = {"ORDER_BY", sort_next, sort_free, NULL};

void op_sort_set_limit(kl_op *op, uint64_t top_n) {
    if (op && op->vt == &sort_vt) ((sort_op *)op)->top_n = top_n;
}

kl_op *op_sort(kl_op *child, kl_expr **keys, const bool *desc, const bool *nulls_first,
               uint32_t n_keys) {
    sort_op *s = kl_calloc(1, sizeof *s);
    uint32_t total = child->n_cols + n_keys;
    kl_type *types = kl_malloc((total ? total : 1) * sizeof(kl_type));
    char **names = kl_calloc(total ? total : 1, sizeof(char *));
    if (s) {
        s->keys = keys;
        s->n_keys = n_keys;
        s->base.vt = &sort_vt;
        s->base.child = child;
    }
    if (!s || !types || !names) goto fail;
    s->desc = kl_malloc((n_keys ? n_keys : 1) * sizeof(bool));
    s->nulls_first = kl_malloc((n_keys ? n_keys : 1) * sizeof(bool));
    if (!s->desc || !s->nulls_first) goto fail;
    memcpy(s->desc, desc, n_keys * sizeof(bool));
    memcpy(s->nulls_first, nulls_first, n_keys * sizeof(bool));
    for (uint32_t c = 0; c < child->n_cols; c++) types[c] = child->types[c];
    for (uint32_t k = 0; k < n_keys; k++) types[child->n_cols + k] = keys[k]->type;
    for (uint32_t c = 0; c < total; c++) names[c] = "";
    s->buf = table_create(NULL, total, names, types);
    if (!s->buf) goto fail;
    if (op_base_init(&s->base, &sort_vt, child, child->types, child->n_cols, true)) goto fail;
    kl_free(types);
    kl_free(names);
    return &s->base;
fail:
    kl_free(types);
    kl_free(names);
    if (s) {
        sort_free(&s->base);
    } else {
        op_free(child);
        for (uint32_t k = 0; k < n_keys; k++) expr_free(keys[k]);
        kl_free(keys);
    }
    return NULL;
}

/* ---- limit -------------------------------------------------------------------------- */

typedef struct limit_op {
    kl_op base;
    int64_t limit; /* -1 = none */
    int64_t offset;
    int64_t seen;    /* rows passed by the child so far */
    int64_t emitted; /* rows emitted */
    uint32_t sel[KL_CHUNK_ROWS];
} limit_op;

static int limit_next(kl_op *op, kl_chunk **out, kl_error *err) {
    limit_op *l = (limit_op *)op;
    for (;;) {
        if (l->limit >= 0 && l->emitted >= l->limit) {
            op->out.n_rows = 0;
            *out = &op->out;
            return 0;
        }
        kl_chunk *in;
        TRY(op_next(op->child, &in, err));
        if (in->n_rows == 0) {
            *out = in;
            return 0;
        }
        int64_t start = l->offset > l->seen ? l->offset - l->seen : 0;
        l->seen += in->n_rows;
        if (start >= in->n_rows) continue;
        int64_t n = in->n_rows - start;
        if (l->limit >= 0 && n > l->limit - l->emitted) n = l->limit - l->emitted;
        l->emitted += n;
        if (start == 0 && n == in->n_rows) {
            *out = in;
            return 0;
        }
        chunk_reset(&op->out);
        for (int64_t i = 0; i < n; i++) l->sel[i] = (uint32_t)(start + i);
        for (uint32_t c = 0; c < op->n_cols; c++) vec_gather(&op->out.cols[c], &in->cols[c], l->sel, (uint32_t)n);
        op->out.n_rows = (uint32_t)n;
        *out = &op->out;
        return 0;
    }
}

static void limit_free(kl_op *op) {
    op_base_free(op);
    kl_free(op);
}

static const kl_op_vt limit_vt = {"LIMIT", limit_next, limit_free, NULL};

kl_op *op_limit(kl_op *child, int64_t limit, int64_t offset) {
    limit_op *l = kl_calloc(1, sizeof *l);
    if (!l) {
        op_free(child);
        return NULL;
    }
    l->limit = limit;
    l->offset = offset;
    if (op_base_init(&l->base, &limit_vt, child, child->types, child->n_cols, true)) {
        l->base.child = child;
        limit_free(&l->base);
        return NULL;
    }
    return &l->base;
}

/* ---- distinct ----------------------------------------------------------------------- */

typedef struct distinct_op {
    kl_op base;
    kl_ht *ht;
    uint32_t gids[KL_CHUNK_ROWS];
    uint32_t sel[KL_CHUNK_ROWS];
    kl_vec **keys;
} distinct_op;

static int distinct_next(kl_op *op, kl_chunk **out, kl_error *err) {
    distinct_op *d = (distinct_op *)op;
    for (;;) {
        kl_chunk *in;
        TRY(op_next(op->child, &in, err));
        if (in->n_rows == 0) {
            *out = in;
            return 0;
        }
        uint32_t before = ht_group_count(d->ht);
        for (uint32_t c = 0; c < op->n_cols; c++) d->keys[c] = &in->cols[c];
        TRY(ht_find_or_insert(d->ht, d->keys, in->n_rows, d->gids, err));
        /* Group ids are dense in order of first appearance: row i is the first of its group
           exactly when its id is the next unseen one. */
        uint32_t next_new = before, n = 0;
        for (uint32_t i = 0; i < in->n_rows; i++)
            if (d->gids[i] == next_new) {
                d->sel[n++] = i;
                next_new++;
            }
        if (n == 0) continue;
        chunk_reset(&op->out);
        for (uint32_t c = 0; c < op->n_cols; c++) vec_gather(&op->out.cols[c], &in->cols[c], d->sel, n);
        op->out.n_rows = n;
        *out = &op->out;
        return 0;
    }
}

static void distinct_free(kl_op *op) {
    distinct_op *d = (distinct_op *)op;
    ht_free(d->ht);
    kl_free(d->keys);
    op_base_free(op);
    kl_free(op);
}

static const kl_op_vt distinct_vt = {"DISTINCT", distinct_next, distinct_free, NULL};

kl_op *op_distinct(kl_op *child) {
    distinct_op *d = kl_calloc(1, sizeof *d);
    if (!d) {
        op_free(child);
        return NULL;
    }
    d->base.vt = &distinct_vt;
    d->base.child = child;
    d->ht = ht_create(child->types, child->n_cols);
    d->keys = kl_calloc(child->n_cols ? child->n_cols : 1, sizeof(kl_vec *));
    if (!d->ht || !d->keys || op_base_init(&d->base, &distinct_vt, child, child->types, child->n_cols, true)) {
        distinct_free(&d->base);
        return NULL;
    }
    return &d->base;
}
