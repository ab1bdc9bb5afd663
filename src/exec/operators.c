/*
 * operators.c — the streaming physical operators declared in operator.h: scans (table, CSV),
 * VALUES/dual/range, filter, projection, limit, distinct, and parallel collection/gather.
 * The hash aggregate lives in hash_agg.c, the sort in sort.c.
 *
 * Zero-copy where the contract allows it: a table scan returns the table's own chunks, a
 * filter that keeps every row returns its input chunk, a projection returns a "view" chunk
 * whose vectors are shallow copies of the expression results. Those chunks are only read.
 */
#include "exec/operator.h"
#include "exec/op_internal.h"

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
    /* the bind data (model parameters...) is shared: the original frees it and outlives its
       copies, as for scalar functions (expr_clone) */
    dst->borrowed = true;
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

void op_base_free(kl_op *op) {
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

int op_array_cover(void **arr, uint32_t *n, size_t elem, uint64_t idx) {
    if (idx < *n) return 0;
    uint64_t ns = *n ? *n : 1;
    while (ns <= idx) ns *= 2;
    if (ns > UINT32_MAX) return KILN_ERR_MEMORY;
    char *na = kl_realloc(*arr, (size_t)ns * elem);
    if (!na) return KILN_ERR_MEMORY;
    memset(na + (size_t)*n * elem, 0, (size_t)(ns - *n) * elem);
    *arr = na;
    *n = (uint32_t)ns;
    return 0;
}

int op_base_init(kl_op *op, const kl_op_vt *vt, kl_op *child, const kl_type *types,
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

bool op_is_gather(const kl_op *op) { return op && op->vt == &gather_vt && !((const gather_op *)op)->built; }

kl_op *op_gather_unwrap(kl_op *op) {
    if (!op || op->vt != &gather_vt || ((gather_op *)op)->built) return op;
    kl_op *child = op->child;
    op->child = NULL;
    gather_free(op);
    return child;
}

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

kl_expr *op_project_expr(const kl_op *op, uint32_t col) {
    if (!op || op->vt != &project_vt || col >= op->n_cols) return NULL;
    return ((const project_op *)op)->exprs[col];
}

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
