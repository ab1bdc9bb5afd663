/*
 * window.c — the window operator (op_window, window.h): evaluates window function calls over
 * partitions of the materialized input and emits the input rows in their original order with
 * one result column per call.
 *
 * API in call order: op_window(child, calls, n) -> op_next() (the first call builds everything,
 * then returns the rows 2048 at a time) -> op_free(). win_call_clear() frees one call that never
 * reached op_window (binder error paths).
 *
 * Algorithm:
 *   1. Materialize: every child chunk plus the evaluated partition / order / argument
 *      expressions of every call is appended to one table (`buf`; an expression that is just a
 *      child column reads that column instead of a copy); row r of the input is row
 *      r % 2048 of chunk r / 2048 (table_append fills chunks completely).
 *   2. Per call (calls with identical PARTITION BY / ORDER BY share one sort):
 *      a. partitions: rows get dense partition ids from the group hash table (NULL keys form one
 *         group), then a stable counting sort by id puts each partition's rows contiguous in an
 *         index array `idx` in input order — O(n), no per-partition allocation. Partitions need
 *         no order among themselves because the output keeps the input order anyway.
 *      b. order: each partition's slice of `idx` is sorted by the order keys, stably. With one
 *         fixed-width key (BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN) the key is encoded into an
 *         order-preserving uint64 (DESC = complement; NULLs split off first or last) and
 *         (key, row) pairs are sorted by an LSD radix sort that skips constant bytes (insertion
 *         sort for small slices); otherwise qsort_r with a comparator over the key columns and a
 *         tie-break on the row number. `newpeer[pos]` marks the first row of every peer group.
 *      c. evaluation walks every partition in sorted order and writes the result of the row at
 *         position pos into the call's result vector at index idx[pos] (the input row), so no
 *         second reordering is needed. Aggregates: their arguments are first gathered once into
 *         vectors in sorted order, so every frame is a contiguous slice handed to update() as a
 *         view (one random-access pass instead of one per frame). When the frame starts at
 *         UNBOUNDED PRECEDING the state is updated incrementally and finalized at every row (finalize leaves every
 *         kiln aggregate's state valid: median/mode only reorder their value buffer); rows
 *         whose frame equals the previous row's copy its result; other frames are answered from
 *         a segment tree of states per partition (fan-out 16, built with update + combine,
 *         queried left to right so order-sensitive aggregates like string_agg stay correct), or
 *         by direct recomputation when the partition is small or the ROWS frame narrow.
 *   3. Emit: output chunks are views: child columns are the buffer's own vectors, result
 *      columns point into the result vectors at the chunk's offset.
 *
 * Threads (op_window_set_threads): steps 2b and 2c run on `threads` workers that take
 * partitions in blocks from an atomic counter; each worker has its own sort buffers, aggregate
 * states and a one-row finalize() target (strings it finalizes stay in that vector's heap), and
 * a partition writes only its own rows of the result vectors, so the results do not depend on
 * which worker took which partition. A partition of WIN_PAR_SORT rows or more (one huge
 * partition, e.g. no PARTITION BY) is sorted by all workers: each sorts a run of its
 * (key, row) pairs, then a k-way merge by (key, row) gives the stable order. The arguments of
 * aggregates are gathered in parallel by position range. Errors: the lowest failing partition
 * is reported, as one thread would. Step 2a (hashing the partition keys) is single-threaded.
 *
 * Bounds: up to UINT32_MAX - 1 input rows (row numbers are uint32). Memory: the materialized
 * input, one result vector per call, 4 + 1 bytes per row for the index and peer marks, 16 bytes
 * per row (twice) for the radix sort pairs of the largest partition, one sorted copy of each
 * argument of the aggregate being evaluated, and segment-tree states
 * (about 1/15 state per row) of the largest partition. Strings in results reference the buffer
 * (lag, first_value...) or the result vector's own heap (aggregates), both owned by the operator.
 */
#include "exec/window.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "exec/hashtable.h"

#define WIN_SMALL_SORT 32  /* slices up to this size use insertion sort */
#define WIN_MERGE_SORT 512 /* ... and up to this size a merge sort (radix sort above) */
#define WIN_FANOUT 16      /* segment tree fan-out */
#define WIN_TREE_MIN 64    /* smaller partitions recompute sliding frames directly */
#define WIN_SIGN UINT64_C(0x8000000000000000)
#define WIN_MAX_THREADS 64
#define WIN_PAR_SORT 131072 /* a partition this large is sorted by all threads together */

typedef struct win_pair {
    uint64_t key;
    uint32_t row;
} win_pair;

/* Where a call's expressions live in `buf`: one column index per expression (pointers into
   window_op.map). A plain reference to a child column is that column itself, not a copy. */
typedef struct win_cols {
    uint32_t *part, *order, *args, *aggs;
} win_cols;

/* What one thread needs to sort and evaluate partitions (window_op.workers[t]). */
typedef struct win_worker {
    win_pair *pairs, *tmp; /* radix sort buffers (largest partition seen) */
    size_t pairs_cap;
    char *states;          /* state 0 = working state, then segment tree nodes */
    size_t states_cap;     /* in states */
    size_t stride;
    kl_vec *fin;           /* finalize() target of the current call (one row; strings stay in
                              its heap, owned by window_op.fins) */
    int rc;
    kl_error err;
    uint32_t fail_part;    /* partition whose evaluation failed (the lowest reports) */
    void *ptrs[KL_CHUNK_ROWS];
} win_worker;

typedef struct window_op {
    kl_op base;
    int threads;
    kl_win_call *calls;
    uint32_t n_calls;
    uint32_t n_child;
    win_cols *cols;
    uint32_t *map;        /* buffer column of every expression slot */
    bool *eval;           /* per buffer column: evaluated (not a child column) */
    kl_table *buf;
    kl_vec *res;          /* per call, indexed by input row */
    uint32_t n_res;       /* result vectors initialised */
    uint32_t n;           /* input rows */
    /* the current sort */
    uint32_t *idx;        /* position -> input row */
    uint8_t *newpeer;     /* position starts a peer group (every partition start does) */
    uint32_t *part_off;   /* n_parts + 1 partition boundaries in idx */
    uint32_t n_parts;
    /* threads */
    win_worker *workers;  /* n_workers, worker 0 runs on the calling thread */
    int n_workers;
    kl_vec *fins;         /* n_calls * n_workers finalize targets */
    uint32_t n_fins;      /* initialised */
    /* aggregate evaluation scratch */
    kl_vec *scratch;      /* aggregate arguments in sorted order (n rows each) */
    int n_scratch;
    /* emission */
    kl_chunk view;
    size_t next_chunk;    /* next buffer chunk to emit */
    uint32_t emitted;     /* rows emitted = input row of the next chunk's first row */
    bool built;
} window_op;

/* ---- small helpers --------------------------------------------------------------------------- */

static inline const kl_vec *win_col(const window_op *w, uint32_t row, uint32_t col) {
    return &w->buf->chunks[row / KL_CHUNK_ROWS]->cols[col];
}

static inline bool win_null(const kl_vec *v, uint32_t r) {
    return v->type == KILN_TYPE_NULL || v->nulls[r];
}

/* Integer argument (BIGINT, or DOUBLE truncated) of input row `row`; false when NULL. */
static bool win_arg_i64(const window_op *w, uint32_t row, uint32_t col, int64_t *out) {
    const kl_vec *v = win_col(w, row, col);
    uint32_t r = row % KL_CHUNK_ROWS;
    if (win_null(v, r)) return false;
    if (v->type == KILN_TYPE_DOUBLE) {
        double d = VEC_F64(v)[r];
        *out = d != d ? 0 : d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
    } else {
        *out = VEC_I64(v)[r];
    }
    return true;
}

static inline void win_put_i64(kl_vec *res, uint32_t row, int64_t x) {
    res->nulls[row] = 0;
    if (res->type == KILN_TYPE_DOUBLE) VEC_F64(res)[row] = (double)x;
    else VEC_I64(res)[row] = x;
}

static inline void win_put_f64(kl_vec *res, uint32_t row, double x) {
    res->nulls[row] = 0;
    if (res->type == KILN_TYPE_DOUBLE) VEC_F64(res)[row] = x;
    else VEC_I64(res)[row] = (int64_t)x;
}

/* Only the mask: workers write rows of one result vector concurrently, so has_nulls is set
   once after evaluation (win_build). */
static inline void win_put_null(kl_vec *res, uint32_t row) { res->nulls[row] = 1; }

/* res[row] = src[srow]; same physical type; strings by reference (src outlives the results). */
static inline void win_put_copy(kl_vec *res, uint32_t row, const kl_vec *src, uint32_t srow) {
    if (win_null(src, srow) || res->type == KILN_TYPE_NULL) {
        win_put_null(res, row);
        return;
    }
    size_t sz = kl_type_size(res->type);
    res->nulls[row] = 0;
    memcpy((char *)res->data + (size_t)row * sz, (const char *)src->data + (size_t)srow * sz, sz);
}

/* res[row] = value of column col at input row `in_row`. */
static inline void win_put_from(window_op *w, kl_vec *res, uint32_t row, uint32_t col,
                                uint32_t in_row) {
    win_put_copy(res, row, win_col(w, in_row, col), in_row % KL_CHUNK_ROWS);
}

/* Cheap structural equality for sharing sorts between calls (conservative: false if unsure). */
static bool win_expr_same(const kl_expr *a, const kl_expr *b) {
    if (a->kind != b->kind || a->type != b->type) return false;
    if (a->kind == EXPR_COLUMN) return a->col == b->col;
    if (a->kind == EXPR_CONST) {
        bool na = win_null(&a->result, 0), nb = win_null(&b->result, 0);
        if (na || nb) return na && nb;
        return func_compare_values(a->type, &a->result, 0, &b->result, 0) == 0;
    }
    return false;
}

static bool win_same_sort(const kl_win_call *a, const kl_win_call *b) {
    if (a->n_partition != b->n_partition || a->n_order != b->n_order) return false;
    for (uint32_t k = 0; k < a->n_partition; k++)
        if (!win_expr_same(a->partition[k], b->partition[k])) return false;
    for (uint32_t k = 0; k < a->n_order; k++)
        if (a->desc[k] != b->desc[k] || a->nulls_first[k] != b->nulls_first[k] ||
            !win_expr_same(a->order[k], b->order[k]))
            return false;
    return true;
}

/* ---- step 1: materialize -------------------------------------------------------------------- */

static int win_materialize(window_op *w, kl_error *err) {
    uint32_t total = w->buf->n_cols;
    kl_chunk view = {0};
    view.n_cols = total;
    view.cols = kl_calloc(total ? total : 1, sizeof(kl_vec));
    if (!view.cols) return kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
    int rc = 0;
    for (;;) {
        kl_chunk *in;
        if ((rc = op_next(w->base.child, &in, err))) break;
        uint32_t n = in->n_rows;
        if (n == 0) break;
        if (w->buf->n_rows + n >= UINT32_MAX) {
            rc = kl_err(err, KILN_ERR_MEMORY, "window input exceeds %u rows", UINT32_MAX - 1);
            break;
        }
        for (uint32_t c = 0; c < w->n_child; c++) view.cols[c] = in->cols[c];
        for (uint32_t ci = 0; ci < w->n_calls && !rc; ci++) {
            kl_win_call *c = &w->calls[ci];
            const win_cols *wc = &w->cols[ci];
            kl_vec *v;
            for (uint32_t k = 0; k < c->n_partition && !rc; k++)
                if (w->eval[wc->part[k]] && !(rc = expr_eval(c->partition[k], in, n, &v, err)))
                    view.cols[wc->part[k]] = *v;
            for (uint32_t k = 0; k < c->n_order && !rc; k++)
                if (w->eval[wc->order[k]] && !(rc = expr_eval(c->order[k], in, n, &v, err)))
                    view.cols[wc->order[k]] = *v;
            for (int k = 0; k < c->n_args && !rc; k++)
                if (w->eval[wc->args[k]] && !(rc = expr_eval(c->args[k], in, n, &v, err)))
                    view.cols[wc->args[k]] = *v;
            for (int k = 0; k < c->agg.n_args && !rc; k++)
                if (w->eval[wc->aggs[k]] && !(rc = expr_eval(c->agg.args[k], in, n, &v, err)))
                    view.cols[wc->aggs[k]] = *v;
        }
        if (rc) break;
        view.n_rows = n;
        if ((rc = table_append(w->buf, &view, n, err))) break;
    }
    kl_free(view.cols);
    return rc;
}

/* ---- threads ------------------------------------------------------------------------------- */

typedef struct win_task {
    void (*fn)(void *arg, int t);
    void *arg;
    int t;
} win_task;

static void *win_task_main(void *p) {
    win_task *k = p;
    k->fn(k->arg, k->t);
    return NULL;
}

/* fn(arg, t) for t in [0, n): t = 0 on this thread, the others on new threads (inline when a
   thread cannot be started). */
static void win_run_tasks(int n, void (*fn)(void *, int), void *arg) {
    win_task tasks[WIN_MAX_THREADS];
    pthread_t tids[WIN_MAX_THREADS];
    bool started[WIN_MAX_THREADS] = {false};
    for (int t = 1; t < n; t++) {
        tasks[t] = (win_task){fn, arg, t};
        started[t] = pthread_create(&tids[t], NULL, win_task_main, &tasks[t]) == 0;
    }
    fn(arg, 0);
    for (int t = 1; t < n; t++) {
        if (started[t]) pthread_join(tids[t], NULL);
        else fn(arg, t);
    }
}

/* Partitions handed out to workers in blocks; which worker takes which partition does not
   change any result (each partition writes only its own rows). */
typedef struct win_par {
    window_op *w;
    uint32_t ci;
    atomic_uint next;
    uint32_t block;
    uint32_t min_size, max_size; /* only partitions of [min_size, max_size] rows */
    int (*fn)(window_op *w, win_worker *k, uint32_t ci, uint32_t ps, uint32_t pe, kl_error *err);
} win_par;

static void win_par_task(void *arg, int t) {
    win_par *p = arg;
    window_op *w = p->w;
    win_worker *k = &w->workers[t];
    for (;;) {
        uint32_t lo = atomic_fetch_add(&p->next, p->block);
        if (lo >= w->n_parts) break;
        uint32_t hi = KL_MIN(w->n_parts, lo + p->block);
        for (uint32_t q = lo; q < hi; q++) {
            uint32_t ps = w->part_off[q], pe = w->part_off[q + 1];
            if (pe - ps < p->min_size || pe - ps > p->max_size) continue;
            if (k->rc && q > k->fail_part) continue; /* an earlier failure is reported */
            kl_error e = {0};
            int rc = p->fn(w, k, p->ci, ps, pe, &e);
            if (rc && (!k->rc || q < k->fail_part)) {
                k->rc = rc;
                k->err = e;
                k->fail_part = q;
            }
        }
    }
}

/* fn over every partition of [min_size, max_size] rows on all workers; the error of the
   lowest failing partition is reported, as one thread would. */
static int win_for_partitions(window_op *w, uint32_t ci, uint32_t min_size, uint32_t max_size,
                              int (*fn)(window_op *, win_worker *, uint32_t, uint32_t, uint32_t,
                                        kl_error *),
                              kl_error *err) {
    win_par p = {.w = w, .ci = ci, .min_size = min_size, .max_size = max_size, .fn = fn};
    atomic_init(&p.next, 0);
    int n = w->n_workers;
    if ((uint32_t)n > w->n_parts) n = (int)KL_MAX(w->n_parts, 1u);
    if (w->n < 2 * KL_CHUNK_ROWS) n = 1; /* not worth a thread */
    p.block = KL_MAX(1u, w->n_parts / ((uint32_t)n * 64));
    for (int t = 0; t < w->n_workers; t++) w->workers[t].rc = 0;
    win_run_tasks(n, win_par_task, &p);
    int best = -1;
    for (int t = 0; t < n; t++)
        if (w->workers[t].rc && (best < 0 || w->workers[t].fail_part < w->workers[best].fail_part)) best = t;
    if (best < 0) return 0;
    if (err && err->code == KILN_OK) *err = w->workers[best].err;
    return w->workers[best].rc;
}

/* ---- step 2a/b: sorting ------------------------------------------------------------------- */

/* Order-preserving uint64 of a fixed-width value (NULLs are handled by the caller). */
static inline uint64_t win_encode(const kl_vec *v, uint32_t r, bool desc) {
    uint64_t k;
    switch (v->type) {
    case KILN_TYPE_BOOLEAN: k = VEC_U8(v)[r]; break;
    case KILN_TYPE_DATE: k = (uint64_t)(int64_t)VEC_I32(v)[r] ^ WIN_SIGN; break;
    case KILN_TYPE_DOUBLE: {
        double d = VEC_F64(v)[r];
        if (d != d) {
            k = UINT64_MAX; /* every NaN equal and greatest, like func_compare_values */
        } else {
            if (d == 0) d = 0; /* -0.0 == 0.0 */
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            k = (bits & WIN_SIGN) ? ~bits : bits | WIN_SIGN;
        }
        break;
    }
    default: k = (uint64_t)VEC_I64(v)[r] ^ WIN_SIGN; break;
    }
    return desc ? ~k : k;
}

static bool win_fast_type(kl_type t) {
    return t == KILN_TYPE_BIGINT || t == KILN_TYPE_DOUBLE || t == KILN_TYPE_DATE ||
           t == KILN_TYPE_TIMESTAMP || t == KILN_TYPE_BOOLEAN;
}

/* Stable merge sort of a[0, n) by key (tmp: n pairs of scratch), for slices too small to
   repay the radix sort's histograms. */
static void win_merge_pairs(win_pair *a, win_pair *tmp, size_t n) {
    if (n <= WIN_SMALL_SORT) {
        for (size_t i = 1; i < n; i++) {
            win_pair x = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1].key > x.key) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    win_merge_pairs(a, tmp, h);
    win_merge_pairs(a + h, tmp, n - h);
    if (a[h - 1].key <= a[h].key) return; /* already in order */
    memcpy(tmp, a, h * sizeof *a);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n) a[o++] = a[j].key < tmp[i].key ? a[j++] : tmp[i++];
    while (i < h) a[o++] = tmp[i++];
}

/* Stable sort of pairs by key: input is in row order, so stability = tie-break on row. */
static void win_sort_pairs(win_pair *a, win_pair *tmp, size_t n) {
    if (n <= WIN_MERGE_SORT) { /* insertion sort below WIN_SMALL_SORT, inside */
        win_merge_pairs(a, tmp, n);
        return;
    }
    size_t hist[8][256];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = a[i].key;
        for (int d = 0; d < 8; d++) hist[d][(k >> (8 * d)) & 255]++;
    }
    win_pair *src = a, *dst = tmp;
    for (int d = 0; d < 8; d++) {
        size_t *h = hist[d];
        if (h[(src[0].key >> (8 * d)) & 255] == n) continue; /* byte constant: skip the pass */
        size_t sum = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = h[b];
            h[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[h[(src[i].key >> (8 * d)) & 255]++] = src[i];
        win_pair *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

/* Fast path: one fixed-width order key; sorts idx[ps, pe) and sets newpeer there. */
static void win_sort_fast(window_op *w, win_worker *k, uint32_t ps, uint32_t pe, uint32_t col,
                          bool desc, bool nf) {
    uint32_t *idx = w->idx;
    uint32_t m = 0, nn = 0;
    for (uint32_t i = ps; i < pe; i++) {
        uint32_t row = idx[i];
        const kl_vec *v = win_col(w, row, col);
        uint32_t r = row % KL_CHUNK_ROWS;
        if (v->nulls[r]) idx[ps + nn++] = row; /* compacts NULL rows in place, order kept */
        else k->pairs[m++] = (win_pair){win_encode(v, r, desc), row};
    }
    win_sort_pairs(k->pairs, k->tmp, m);
    if (!nf && nn) memmove(idx + pe - nn, idx + ps, nn * sizeof *idx);
    uint32_t base = nf ? ps + nn : ps;
    for (uint32_t j = 0; j < m; j++) {
        idx[base + j] = k->pairs[j].row;
        w->newpeer[base + j] = j == 0 || k->pairs[j].key != k->pairs[j - 1].key;
    }
    uint32_t nbase = nf ? ps : pe - nn;
    for (uint32_t j = 0; j < nn; j++) w->newpeer[nbase + j] = j == 0;
}

typedef struct win_cmp_ctx {
    const window_op *w;
    const kl_win_call *c;
    const uint32_t *cols; /* order columns */
} win_cmp_ctx;

/* Order-key comparison of two input rows (0 = peers). */
static int win_cmp_keys(const win_cmp_ctx *x, uint32_t a, uint32_t b) {
    const kl_chunk *ca = x->w->buf->chunks[a / KL_CHUNK_ROWS];
    const kl_chunk *cb = x->w->buf->chunks[b / KL_CHUNK_ROWS];
    uint32_t ra = a % KL_CHUNK_ROWS, rb = b % KL_CHUNK_ROWS;
    for (uint32_t k = 0; k < x->c->n_order; k++) {
        const kl_vec *va = &ca->cols[x->cols[k]], *vb = &cb->cols[x->cols[k]];
        bool na = win_null(va, ra), nb = win_null(vb, rb);
        if (na || nb) {
            if (na && nb) continue;
            return (na ? 1 : -1) * (x->c->nulls_first[k] ? -1 : 1);
        }
        int r = func_compare_values(va->type, va, ra, vb, rb);
        if (r) return x->c->desc[k] ? -r : r;
    }
    return 0;
}

static int win_cmp(const void *pa, const void *pb, void *arg) {
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    int r = win_cmp_keys(arg, a, b);
    if (r) return r;
    return a < b ? -1 : a > b; /* stable */
}

static int win_grow_pairs(win_worker *k, size_t n, kl_error *err) {
    if (n <= k->pairs_cap) return 0;
    kl_free(k->pairs);
    kl_free(k->tmp);
    k->pairs = kl_malloc(n * sizeof(win_pair));
    k->tmp = kl_malloc(n * sizeof(win_pair));
    k->pairs_cap = 0;
    if (!k->pairs || !k->tmp) return kl_err(err, KILN_ERR_MEMORY, "out of memory in window sort");
    k->pairs_cap = n;
    return 0;
}

/* Sort the rows of one partition, idx[ps, pe), by the order keys of call ci (worker k's
   buffers); sets newpeer there. */
static int win_sort_partition(window_op *w, win_worker *k, uint32_t ci, uint32_t ps, uint32_t pe,
                              kl_error *err) {
    const kl_win_call *c = &w->calls[ci];
    const win_cols *wc = &w->cols[ci];
    if (c->n_order == 1 && win_fast_type(w->buf->types[wc->order[0]])) {
        TRY(win_grow_pairs(k, pe - ps, err));
        win_sort_fast(w, k, ps, pe, wc->order[0], c->desc[0], c->nulls_first[0]);
    } else {
        win_cmp_ctx cx = {w, c, wc->order};
        qsort_r(w->idx + ps, pe - ps, sizeof(uint32_t), win_cmp, &cx);
        for (uint32_t i = ps + 1; i < pe; i++)
            w->newpeer[i] = win_cmp_keys(&cx, w->idx[i - 1], w->idx[i]) != 0;
    }
    w->newpeer[ps] = 1;
    return 0;
}

/* One large partition sorted by all workers: worker t sorts run t of the (key, row) pairs,
   then the runs are merged (k-way, by key then row: the stable order). With one fixed-width
   key the pairs carry the encoded key and NULLs are split off first; otherwise runs are sorted
   and merged with the comparator. */
typedef struct win_big {
    window_op *w;
    const kl_win_call *c;
    win_cmp_ctx cx;
    bool fast;
    win_pair *pairs, *tmp;
    size_t m;
    int runs;
} win_big;

static inline size_t win_run_lo(const win_big *b, int t) { return b->m * (size_t)t / (size_t)b->runs; }

static int win_cmp_pairs(const void *pa, const void *pb, void *arg) {
    const win_pair *a = pa, *b = pb;
    int r = win_cmp_keys(arg, a->row, b->row);
    if (r) return r;
    return a->row < b->row ? -1 : a->row > b->row;
}

static inline bool win_pair_less(const win_big *b, const win_pair *x, const win_pair *y) {
    if (b->fast) return x->key != y->key ? x->key < y->key : x->row < y->row;
    return win_cmp_pairs(x, y, (void *)&b->cx) < 0;
}

static void win_big_task(void *arg, int t) {
    win_big *b = arg;
    size_t lo = win_run_lo(b, t), hi = win_run_lo(b, t + 1);
    if (b->fast) win_sort_pairs(b->pairs + lo, b->tmp + lo, hi - lo);
    else qsort_r(b->pairs + lo, hi - lo, sizeof(win_pair), win_cmp_pairs, &b->cx);
}

static int win_sort_big(window_op *w, uint32_t ci, uint32_t ps, uint32_t pe, kl_error *err) {
    const kl_win_call *c = &w->calls[ci];
    const win_cols *wc = &w->cols[ci];
    win_big b = {.w = w, .c = c, .cx = {w, c, wc->order}};
    b.fast = c->n_order == 1 && win_fast_type(w->buf->types[wc->order[0]]);
    b.pairs = kl_malloc((size_t)(pe - ps) * sizeof(win_pair));
    b.tmp = kl_malloc((size_t)(pe - ps) * sizeof(win_pair));
    if (!b.pairs || !b.tmp) {
        kl_free(b.pairs);
        kl_free(b.tmp);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in window sort");
    }
    uint32_t *idx = w->idx, nn = 0, col = b.fast ? wc->order[0] : 0;
    bool nf = c->nulls_first[0];
    for (uint32_t i = ps; i < pe; i++) {
        uint32_t row = idx[i];
        if (!b.fast) {
            b.pairs[b.m++] = (win_pair){0, row};
            continue;
        }
        const kl_vec *v = win_col(w, row, col);
        uint32_t r = row % KL_CHUNK_ROWS;
        if (v->nulls[r]) idx[ps + nn++] = row; /* compacts NULL rows in place, order kept */
        else b.pairs[b.m++] = (win_pair){win_encode(v, r, c->desc[0]), row};
    }
    b.runs = (int)KL_MIN((size_t)w->n_workers, KL_MAX(b.m / (WIN_PAR_SORT / 2), (size_t)1));
    win_run_tasks(b.runs, win_big_task, &b);
    /* k-way merge of the runs into tmp (a heap of run heads) */
    size_t head[WIN_MAX_THREADS], end[WIN_MAX_THREADS];
    int heap[WIN_MAX_THREADS], hn = 0;
    for (int t = 0; t < b.runs; t++) {
        head[t] = win_run_lo(&b, t);
        end[t] = win_run_lo(&b, t + 1);
        if (head[t] < end[t]) heap[hn++] = t;
    }
#define WIN_LESS(i, j) win_pair_less(&b, &b.pairs[head[heap[i]]], &b.pairs[head[heap[j]]])
#define WIN_SIFT(start)                                                                            \
    for (int j_ = (start);;) {                                                                     \
        int m_ = j_, l_ = 2 * j_ + 1;                                                              \
        if (l_ < hn && WIN_LESS(l_, m_)) m_ = l_;                                                  \
        if (l_ + 1 < hn && WIN_LESS(l_ + 1, m_)) m_ = l_ + 1;                                      \
        if (m_ == j_) break;                                                                       \
        int t_ = heap[j_];                                                                         \
        heap[j_] = heap[m_];                                                                       \
        heap[m_] = t_;                                                                             \
        j_ = m_;                                                                                   \
    }
    for (int i = hn / 2 - 1; i >= 0; i--) WIN_SIFT(i)
    size_t o = 0;
    while (hn > 0) {
        int r = heap[0];
        b.tmp[o++] = b.pairs[head[r]++];
        if (head[r] == end[r]) heap[0] = heap[--hn];
        WIN_SIFT(0)
    }
#undef WIN_SIFT
#undef WIN_LESS
    /* rows and peer marks, NULL rows (fast path) first or last */
    if (b.fast && !nf && nn) memmove(idx + pe - nn, idx + ps, nn * sizeof *idx);
    uint32_t base = b.fast && nf ? ps + nn : ps;
    for (size_t j = 0; j < b.m; j++) {
        idx[base + j] = b.tmp[j].row;
        if (b.fast) w->newpeer[base + j] = j == 0 || b.tmp[j].key != b.tmp[j - 1].key;
        else w->newpeer[base + j] = j == 0 || win_cmp_keys(&b.cx, b.tmp[j - 1].row, b.tmp[j].row) != 0;
    }
    uint32_t nbase = nf ? ps : pe - nn;
    for (uint32_t j = 0; j < nn; j++) w->newpeer[nbase + j] = j == 0;
    w->newpeer[ps] = 1;
    kl_free(b.pairs);
    kl_free(b.tmp);
    return 0;
}

/* Build idx / part_off / newpeer for call c. */
static int win_sort(window_op *w, uint32_t ci, kl_error *err) {
    const kl_win_call *c = &w->calls[ci];
    const win_cols *wc = &w->cols[ci];
    uint32_t n = w->n;
    kl_free(w->part_off);
    w->part_off = NULL;
    if (c->n_partition == 0) {
        w->part_off = kl_malloc(2 * sizeof(uint32_t));
        if (!w->part_off) return kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
        w->part_off[0] = 0;
        w->part_off[1] = n;
        w->n_parts = n > 0;
        for (uint32_t i = 0; i < n; i++) w->idx[i] = i;
    } else {
        kl_type types[64];
        kl_vec *keys[64];
        FAIL_IF(c->n_partition > 64, err, KILN_ERR_INVALID,
                "more than 64 PARTITION BY expressions");
        for (uint32_t k = 0; k < c->n_partition; k++) types[k] = w->buf->types[wc->part[k]];
        kl_ht *ht = ht_create(types, c->n_partition);
        uint32_t *gids = kl_malloc((n ? n : 1) * sizeof(uint32_t));
        int rc = ht && gids ? 0 : kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
        for (size_t ch = 0; ch < w->buf->n_chunks && !rc; ch++) {
            kl_chunk *chunk = w->buf->chunks[ch];
            for (uint32_t k = 0; k < c->n_partition; k++) keys[k] = &chunk->cols[wc->part[k]];
            rc = ht_find_or_insert(ht, keys, chunk->n_rows, gids + ch * KL_CHUNK_ROWS, err);
        }
        uint32_t g = rc ? 0 : ht_group_count(ht);
        ht_free(ht);
        if (!rc && !(w->part_off = kl_calloc((size_t)g + 1, sizeof(uint32_t))))
            rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
        if (rc) {
            kl_free(gids);
            return rc;
        }
        /* stable counting sort by partition id */
        for (uint32_t i = 0; i < n; i++) w->part_off[gids[i] + 1]++;
        for (uint32_t p = 0; p < g; p++) w->part_off[p + 1] += w->part_off[p];
        for (uint32_t i = 0; i < n; i++) w->idx[w->part_off[gids[i]]++] = i;
        /* part_off[p] now holds the end of p = start of p + 1 */
        memmove(w->part_off + 1, w->part_off, (size_t)g * sizeof(uint32_t));
        w->part_off[0] = 0;
        w->n_parts = g;
        kl_free(gids);
    }
    memset(w->newpeer, 0, n);
    for (uint32_t p = 0; p < w->n_parts; p++) w->newpeer[w->part_off[p]] = 1;
    if (c->n_order == 0) return 0;
    /* partitions of WIN_PAR_SORT rows and more are sorted by all workers together, one after
       the other; the rest are sorted one per worker, in parallel */
    uint32_t big = w->n_workers > 1 ? WIN_PAR_SORT : UINT32_MAX;
    for (uint32_t p = 0; p < w->n_parts && big != UINT32_MAX; p++)
        if (w->part_off[p + 1] - w->part_off[p] >= big) TRY(win_sort_big(w, ci, w->part_off[p], w->part_off[p + 1], err));
    return win_for_partitions(w, ci, 0, big - 1, win_sort_partition, err);
}

/* ---- frames ----------------------------------------------------------------------------------- */

/* Everything a frame bound depends on, for the row at position i. */
typedef struct win_pos {
    uint32_t ps, pe; /* partition */
    uint32_t gs, ge; /* peer group */
    uint32_t nb, ne; /* non-NULL block of the (single) order key, for RANGE offsets */
    uint32_t i;
} win_pos;

/* RANGE offset bound: first position in [nb, ne) not "before" the threshold. With ASC the bound
   is v >= t (lower, `strict` false) or v > t (upper, strict); DESC mirrors it. */
static uint32_t win_range_search(const window_op *w, const kl_win_call *c, uint32_t col,
                                 const win_pos *p, int64_t off, bool following, bool strict) {
    uint32_t row = w->idx[p->i];
    const kl_vec *cv = win_col(w, row, col);
    uint32_t cr = row % KL_CHUNK_ROWS;
    bool desc = c->desc[0];
    /* in value space, "toward following" is +off for ASC and -off for DESC */
    bool plus = following != desc;
    uint32_t lo = p->nb, hi = p->ne;
    if (cv->type == KILN_TYPE_DOUBLE) {
        double x = VEC_F64(cv)[cr];
        double t = plus ? x + (double)off : x - (double)off;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            uint32_t mr = w->idx[mid];
            double v = VEC_F64(win_col(w, mr, col))[mr % KL_CHUNK_ROWS];
            bool before = desc ? (strict ? v >= t : v > t) : (strict ? v <= t : v < t);
            if (before) lo = mid + 1;
            else hi = mid;
        }
    } else {
        __int128 x = VEC_I64(cv)[cr];
        __int128 t = plus ? x + off : x - off;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            uint32_t mr = w->idx[mid];
            __int128 v = VEC_I64(win_col(w, mr, col))[mr % KL_CHUNK_ROWS];
            bool before = desc ? (strict ? v >= t : v > t) : (strict ? v <= t : v < t);
            if (before) lo = mid + 1;
            else hi = mid;
        }
    }
    return lo;
}

/* Frame [*fs, *fe) of the row at p->i, clamped to the partition (empty: fs == fe). */
static void win_frame(const window_op *w, const kl_win_call *c, uint32_t ci, const win_pos *p,
                      uint32_t *fs, uint32_t *fe) {
    bool rows = c->frame == KL_FRAME_ROWS;
    int64_t i = p->i, s, e;
    bool range_null = !rows && (p->i < p->nb || p->i >= p->ne); /* NULL order key */
    switch (c->start) {
    case KL_BOUND_UNBOUNDED_PRECEDING: s = p->ps; break;
    case KL_BOUND_CURRENT_ROW: s = rows ? i : p->gs; break;
    case KL_BOUND_PRECEDING:
    case KL_BOUND_FOLLOWING: {
        bool fol = c->start == KL_BOUND_FOLLOWING;
        if (rows) s = fol ? i + c->start_offset : i - c->start_offset;
        else if (range_null) s = p->gs; /* a NULL key's offset frame is its peer group */
        else s = win_range_search(w, c, w->cols[ci].order[0], p, c->start_offset, fol, false);
        break;
    }
    default: s = p->pe; break;
    }
    switch (c->end) {
    case KL_BOUND_UNBOUNDED_FOLLOWING: e = p->pe; break;
    case KL_BOUND_CURRENT_ROW: e = rows ? i + 1 : p->ge; break;
    case KL_BOUND_PRECEDING:
    case KL_BOUND_FOLLOWING: {
        bool fol = c->end == KL_BOUND_FOLLOWING;
        if (rows) e = (fol ? i + c->end_offset : i - c->end_offset) + 1;
        else if (range_null) e = p->ge;
        else e = win_range_search(w, c, w->cols[ci].order[0], p, c->end_offset, fol, true);
        break;
    }
    default: e = p->ps; break;
    }
    s = KL_MAX(s, (int64_t)p->ps);
    s = KL_MIN(s, (int64_t)p->pe);
    e = KL_MIN(e, (int64_t)p->pe);
    e = KL_MAX(e, s);
    *fs = (uint32_t)s;
    *fe = (uint32_t)e;
}

/* ---- aggregates over frames ----------------------------------------------------------------- */

static inline void *win_state(win_worker *k, size_t i) { return k->states + i * k->stride; }

static int win_grow_states(win_worker *k, size_t n, kl_error *err) {
    if (n <= k->states_cap) return 0;
    size_t cap = KL_MAX(n, k->states_cap * 2);
    char *ns = kl_realloc(k->states, cap * k->stride);
    if (!ns) return kl_err(err, KILN_ERR_MEMORY, "out of memory in window aggregate");
    k->states = ns;
    k->states_cap = cap;
    return 0;
}

/* Update `state` with the aggregate arguments of positions [lo, hi): the arguments were
   gathered in sorted order (win_gather_args), so a range is a slice of `scratch` passed to
   update() as view vectors — no per-call copying. */
static int win_feed(window_op *w, win_worker *k, const kl_win_call *c, uint32_t ci, void *state,
                    uint32_t lo, uint32_t hi, kl_error *err) {
    KL_UNUSED(ci);
    const kl_agg_call *ac = &c->agg;
    kl_vec views[16], *argv[16];
    while (lo < hi) {
        uint32_t cnt = KL_MIN(hi - lo, (uint32_t)KL_CHUNK_ROWS);
        for (int a = 0; a < ac->n_args; a++) {
            const kl_vec *src = &w->scratch[a];
            kl_vec *v = &views[a];
            *v = *src;
            v->cap = cnt;
            v->nulls = src->nulls + lo;
            if (src->data) v->data = (char *)src->data + (size_t)lo * kl_type_size(src->type);
            argv[a] = v;
        }
        for (uint32_t j = 0; j < cnt; j++) k->ptrs[j] = state;
        TRY(ac->def->update((kl_fn_ctx *)&ac->ctx, k->ptrs, 0, argv, ac->n_args, cnt, err));
        lo += cnt;
    }
    return 0;
}

/* scratch[a][pos] = aggregate argument a of the row at sorted position pos (strings by
   reference: the buffer outlives the scratch vectors). One random-access pass, so frames read
   their rows sequentially afterwards. */
typedef struct win_gather {
    window_op *w;
    uint32_t ci;
    int n;
    bool any_null[WIN_MAX_THREADS][16];
} win_gather;

/* Worker t gathers positions [n * t / T, n * (t + 1) / T). */
static void win_gather_task(void *arg, int t) {
    win_gather *g = arg;
    window_op *w = g->w;
    uint32_t ci = g->ci;
    uint32_t lo = (uint32_t)((uint64_t)w->n * (uint64_t)t / (uint64_t)g->n);
    uint32_t hi = (uint32_t)((uint64_t)w->n * (uint64_t)(t + 1) / (uint64_t)g->n);
    const kl_agg_call *ac = &w->calls[ci].agg;
    for (int a = 0; a < ac->n_args; a++) {
        kl_vec *dst = &w->scratch[a];
        if (dst->type == KILN_TYPE_NULL) continue;
        size_t sz = kl_type_size(dst->type);
        uint32_t col = w->cols[ci].aggs[a];
        bool any_null = false;
        for (uint32_t pos = lo; pos < hi; pos++) {
            uint32_t row = w->idx[pos];
            const kl_vec *src = win_col(w, row, col);
            uint32_t r = row % KL_CHUNK_ROWS;
            uint8_t nl = src->nulls[r];
            dst->nulls[pos] = nl;
            any_null |= nl != 0;
            const char *from = (const char *)src->data + (size_t)r * sz;
            char *to = (char *)dst->data + (size_t)pos * sz;
            /* fixed-size copies compile to single moves */
            if (sz == 8) memcpy(to, from, 8);
            else if (sz == 16) memcpy(to, from, 16);
            else if (sz == 4) memcpy(to, from, 4);
            else memcpy(to, from, sz);
        }
        g->any_null[t][a] = any_null;
    }
}

static void win_gather_args(window_op *w, uint32_t ci) {
    win_gather g = {.w = w, .ci = ci};
    g.n = w->n < 2 * KL_CHUNK_ROWS ? 1 : w->n_workers;
    win_run_tasks(g.n, win_gather_task, &g);
    const kl_agg_call *ac = &w->calls[ci].agg;
    for (int a = 0; a < ac->n_args; a++) {
        kl_vec *dst = &w->scratch[a];
        if (dst->type == KILN_TYPE_NULL) continue;
        dst->has_nulls = false;
        for (int t = 0; t < g.n; t++) dst->has_nulls |= g.any_null[t][a];
    }
}

static void win_destroy(const kl_agg_call *ac, void *state) {
    if (ac->def->destroy) ac->def->destroy((kl_fn_ctx *)&ac->ctx, state);
}

/* Segment tree of one partition: level l >= 1 node j aggregates positions
   [ps + j * F^l, ps + (j + 1) * F^l); only complete nodes exist. States live in w->states
   from index 1 (index 0 is the working state). */
typedef struct win_tree {
    uint32_t levels;        /* levels above the rows */
    size_t first[8];        /* state index of node 0 of level l (1-based level) */
    uint32_t count[8];
} win_tree;

static int win_tree_build(window_op *w, win_worker *wk, const kl_win_call *c, uint32_t ci,
                          uint32_t ps, uint32_t pe, win_tree *t, kl_error *err) {
    const kl_agg_call *ac = &c->agg;
    uint32_t cnt = pe - ps;
    size_t total = 1;
    t->levels = 0;
    for (uint32_t l = 1; l < 8; l++) {
        cnt /= WIN_FANOUT;
        if (cnt == 0) break;
        t->first[l] = total;
        t->count[l] = cnt;
        total += cnt;
        t->levels = l;
    }
    TRY(win_grow_states(wk, total, err));
    for (uint32_t l = 1; l <= t->levels; l++) {
        for (uint32_t j = 0; j < t->count[l]; j++) {
            void *s = win_state(wk, t->first[l] + j);
            ac->def->init((kl_fn_ctx *)&ac->ctx, s);
            int rc;
            if (l == 1) {
                rc = win_feed(w, wk, c, ci, s, ps + j * WIN_FANOUT, ps + (j + 1) * WIN_FANOUT, err);
            } else {
                rc = 0;
                for (uint32_t k = 0; k < WIN_FANOUT && !rc; k++)
                    rc = ac->def->combine((kl_fn_ctx *)&ac->ctx, s,
                                          win_state(wk, t->first[l - 1] + j * WIN_FANOUT + k), err);
            }
            if (rc) {
                /* destroy what was built so far, this node included */
                for (uint32_t l2 = 1; l2 <= l; l2++)
                    for (uint32_t j2 = 0; j2 < (l2 == l ? j + 1 : t->count[l2]); j2++)
                        win_destroy(ac, win_state(wk, t->first[l2] + j2));
                t->levels = 0;
                return rc;
            }
        }
    }
    return 0;
}

static void win_tree_free(win_worker *k, const kl_agg_call *ac, win_tree *t) {
    for (uint32_t l = 1; l <= t->levels; l++)
        for (uint32_t j = 0; j < t->count[l]; j++) win_destroy(ac, win_state(k, t->first[l] + j));
    t->levels = 0;
}

/* Add nodes [lo, hi) of level l (positions relative to ps at level 0) to state, in order. */
static int win_tree_query(window_op *w, win_worker *k, const kl_win_call *c, uint32_t ci,
                          const win_tree *t, uint32_t ps, uint32_t l, uint32_t lo, uint32_t hi,
                          void *state, kl_error *err) {
    if (lo >= hi) return 0;
    const kl_agg_call *ac = &c->agg;
    uint32_t plo = (lo + WIN_FANOUT - 1) / WIN_FANOUT, phi = hi / WIN_FANOUT;
    bool up = l < t->levels && plo < phi;
    uint32_t a_end = up ? plo * WIN_FANOUT : hi;
    /* left part (or everything) at this level */
    if (l == 0) {
        TRY(win_feed(w, k, c, ci, state, ps + lo, ps + a_end, err));
    } else {
        for (uint32_t j = lo; j < a_end; j++)
            TRY(ac->def->combine((kl_fn_ctx *)&ac->ctx, state, win_state(k, t->first[l] + j), err));
    }
    if (!up) return 0;
    TRY(win_tree_query(w, k, c, ci, t, ps, l + 1, plo, phi, state, err));
    if (l == 0) return win_feed(w, k, c, ci, state, ps + phi * WIN_FANOUT, ps + hi, err);
    for (uint32_t j = phi * WIN_FANOUT; j < hi; j++)
        TRY(ac->def->combine((kl_fn_ctx *)&ac->ctx, state, win_state(k, t->first[l] + j), err));
    return 0;
}

/* ---- step 2c: evaluation ------------------------------------------------------------------- */

/* Non-NULL block of the single order key inside [ps, pe) (NULLs are first or last). */
static void win_nonnull_block(const window_op *w, const kl_win_call *c, uint32_t col, win_pos *p) {
    p->nb = p->ps;
    p->ne = p->pe;
    if (c->n_order != 1) return;
    uint32_t lo = p->ps, hi = p->pe;
    bool nf = c->nulls_first[0];
    /* binary search for the NULL / non-NULL boundary */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t row = w->idx[mid];
        bool isnull = win_null(win_col(w, row, col), row % KL_CHUNK_ROWS);
        if (isnull == nf) lo = mid + 1;
        else hi = mid;
    }
    if (nf) p->nb = lo;
    else p->ne = lo;
}

/* finalize() into the worker's one-row vector, then copy to res[row] (strings stay in the
   worker's vector heap). */
static int win_finalize(win_worker *k, const kl_agg_call *ac, void *st, kl_vec *res, uint32_t row,
                        kl_error *err) {
    k->fin->nulls[0] = 0;
    TRY(ac->def->finalize((kl_fn_ctx *)&ac->ctx, st, k->fin, 0, err));
    win_put_copy(res, row, k->fin, 0);
    return 0;
}

static int win_eval_agg(window_op *w, win_worker *k, uint32_t ci, win_pos *p, kl_error *err) {
    kl_win_call *c = &w->calls[ci];
    const kl_agg_call *ac = &c->agg;
    kl_vec *res = &w->res[ci];
    bool incremental = c->start == KL_BOUND_UNBOUNDED_PRECEDING;
    uint32_t ps = p->ps, pe = p->pe;
    win_tree tree = {0};
    /* a bounded ROWS frame of at most WIN_TREE_MIN rows is cheaper to recompute than to
       assemble from tree nodes plus up to 2 * (WIN_FANOUT - 1) loose rows */
    bool narrow = c->frame == KL_FRAME_ROWS && c->start != KL_BOUND_UNBOUNDED_PRECEDING &&
                  c->end != KL_BOUND_UNBOUNDED_FOLLOWING && c->start_offset < WIN_TREE_MIN / 2 &&
                  c->end_offset < WIN_TREE_MIN / 2;
    bool use_tree = !incremental && !narrow && pe - ps >= WIN_TREE_MIN;
    if (use_tree) TRY(win_tree_build(w, k, c, ci, ps, pe, &tree, err));
    void *st = win_state(k, 0); /* after the build: it may move the states */
    int rc = 0;
    uint32_t fed = ps, pfs = 0, pfe = 0;
    bool st_live = false;
    if (incremental) {
        ac->def->init((kl_fn_ctx *)&ac->ctx, st);
        st_live = true;
    }
    p->ge = ps;
    for (uint32_t i = ps; i < pe && !rc; i++) {
        if (i >= p->ge) {
            p->gs = i;
            p->ge = i + 1;
            while (p->ge < pe && !w->newpeer[p->ge]) p->ge++;
        }
        p->i = i;
        uint32_t fs, fe;
        win_frame(w, c, ci, p, &fs, &fe);
        uint32_t row = w->idx[i];
        if (i > ps && fs == pfs && fe == pfe) {
            win_put_copy(res, row, res, w->idx[i - 1]);
            continue;
        }
        pfs = fs;
        pfe = fe;
        if (incremental) {
            if (fe < fed) { /* frame end moved back (not for sorted keys, but stay correct) */
                win_destroy(ac, st);
                ac->def->init((kl_fn_ctx *)&ac->ctx, st);
                fed = ps;
            }
            rc = win_feed(w, k, c, ci, st, fed, fe, err);
            fed = fe;
            if (!rc) rc = win_finalize(k, ac, st, res, row, err);
            continue;
        }
        ac->def->init((kl_fn_ctx *)&ac->ctx, st);
        if (use_tree) rc = win_tree_query(w, k, c, ci, &tree, ps, 0, fs - ps, fe - ps, st, err);
        else rc = win_feed(w, k, c, ci, st, fs, fe, err);
        if (!rc) rc = win_finalize(k, ac, st, res, row, err);
        win_destroy(ac, st);
    }
    if (st_live) win_destroy(ac, st);
    win_tree_free(k, ac, &tree);
    return rc;
}

/* DuckDB's ntile: the first n_total % n buckets get one extra row. */
static int64_t win_ntile(int64_t n_param, int64_t n_total, int64_t k) {
    if (n_param > n_total) n_param = n_total;
    int64_t n_size = n_total / n_param;
    int64_t n_large = n_total - n_param * n_size;
    int64_t i_small = n_large * (n_size + 1);
    if (k < i_small) return 1 + k / (n_size + 1);
    return 1 + n_large + (k - i_small) / n_size;
}

static int win_eval_partition(window_op *w, win_worker *k, uint32_t ci, uint32_t ps, uint32_t pe,
                              kl_error *err) {
    kl_win_call *c = &w->calls[ci];
    const win_cols *wc = &w->cols[ci];
    kl_vec *res = &w->res[ci];
    const uint32_t *idx = w->idx;
    win_pos p = {ps, pe, ps, ps, ps, pe, ps};
    if (c->frame == KL_FRAME_RANGE && c->n_order == 1) win_nonnull_block(w, c, wc->order[0], &p);
    if (c->kind == KL_WIN_AGG) return win_eval_agg(w, k, ci, &p, err);
    int64_t dense = 0, cnt = pe - ps;
    for (uint32_t i = ps; i < pe; i++) {
        if (i >= p.ge) {
            p.gs = i;
            p.ge = i + 1;
            while (p.ge < pe && !w->newpeer[p.ge]) p.ge++;
            dense++;
        }
        p.i = i;
        uint32_t row = idx[i];
        switch (c->kind) {
        case KL_WIN_ROW_NUMBER: win_put_i64(res, row, (int64_t)(i - ps) + 1); break;
        case KL_WIN_RANK: win_put_i64(res, row, (int64_t)(p.gs - ps) + 1); break;
        case KL_WIN_DENSE_RANK: win_put_i64(res, row, dense); break;
        case KL_WIN_PERCENT_RANK:
            win_put_f64(res, row, cnt > 1 ? (double)(p.gs - ps) / (double)(cnt - 1) : 0.0);
            break;
        case KL_WIN_CUME_DIST: win_put_f64(res, row, (double)(p.ge - ps) / (double)cnt); break;
        case KL_WIN_NTILE: {
            int64_t b;
            if (!win_arg_i64(w, row, wc->args[0], &b)) {
                win_put_null(res, row);
                break;
            }
            FAIL_IF(b <= 0, err, KILN_ERR_INVALID, "Argument for ntile must be greater than zero");
            win_put_i64(res, row, win_ntile(b, cnt, (int64_t)(i - ps)));
            break;
        }
        case KL_WIN_LAG:
        case KL_WIN_LEAD: {
            int64_t off = 1;
            if (c->n_args > 1 && !win_arg_i64(w, row, wc->args[1], &off)) {
                win_put_null(res, row);
                break;
            }
            if (c->kind == KL_WIN_LAG) off = off == INT64_MIN ? INT64_MAX : -off;
            int64_t j = (int64_t)i + KL_MAX(KL_MIN(off, (int64_t)UINT32_MAX), -(int64_t)UINT32_MAX);
            if (j >= ps && j < pe) win_put_from(w, res, row, wc->args[0], idx[j]);
            else if (c->n_args > 2) win_put_from(w, res, row, wc->args[2], row);
            else win_put_null(res, row);
            break;
        }
        case KL_WIN_FIRST_VALUE:
        case KL_WIN_LAST_VALUE:
        case KL_WIN_NTH_VALUE: {
            uint32_t fs, fe;
            win_frame(w, c, ci, &p, &fs, &fe);
            int64_t j;
            if (c->kind == KL_WIN_FIRST_VALUE) {
                j = fs < fe ? (int64_t)fs : -1;
            } else if (c->kind == KL_WIN_LAST_VALUE) {
                j = fs < fe ? (int64_t)fe - 1 : -1;
            } else {
                int64_t nth;
                if (!win_arg_i64(w, row, wc->args[1], &nth) || nth <= 0 || nth > (int64_t)(fe - fs))
                    j = -1;
                else
                    j = (int64_t)fs + nth - 1;
            }
            if (j < 0) win_put_null(res, row);
            else win_put_from(w, res, row, wc->args[0], idx[j]);
            break;
        }
        default: break;
        }
    }
    return 0;
}

/* Reject what the evaluator cannot do before reading any input. */
static int win_validate(const window_op *w, const kl_win_call *c, uint32_t ci, kl_error *err) {
    static const int min_args[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 0};
    static const int max_args[] = {0, 0, 0, 0, 0, 1, 3, 3, 1, 1, 2, 0};
    FAIL_IF((unsigned)c->kind > KL_WIN_AGG, err, KILN_ERR_INTERNAL, "bad window function kind");
    FAIL_IF(c->n_args < min_args[c->kind] || c->n_args > max_args[c->kind], err,
            KILN_ERR_INTERNAL, "window function with %d arguments", c->n_args);
    FAIL_IF(c->kind == KL_WIN_AGG && (!c->agg.def || c->agg.n_args > 16), err, KILN_ERR_INTERNAL,
            "window aggregate without a definition");
    FAIL_IF(c->n_order && (!c->desc || !c->nulls_first), err, KILN_ERR_INTERNAL,
            "window ORDER BY without directions");
    if (c->kind >= KL_WIN_LAG && c->kind <= KL_WIN_NTH_VALUE) {
        kl_type t = w->buf->types[w->cols[ci].args[0]];
        FAIL_IF(t != c->ret_type && t != KILN_TYPE_NULL, err, KILN_ERR_INTERNAL,
                "window function result type differs from its argument");
        if (c->n_args > 2) {
            kl_type d = w->buf->types[w->cols[ci].args[2]];
            FAIL_IF(d != c->ret_type && d != KILN_TYPE_NULL, err, KILN_ERR_INTERNAL,
                    "lag/lead default must have the type of the value");
        }
    }
    bool offsets = c->start == KL_BOUND_PRECEDING || c->start == KL_BOUND_FOLLOWING ||
                   c->end == KL_BOUND_PRECEDING || c->end == KL_BOUND_FOLLOWING;
    FAIL_IF(offsets && (c->start_offset < 0 || c->end_offset < 0), err, KILN_ERR_INVALID,
            "Frame offsets must not be negative");
    if (c->frame == KL_FRAME_RANGE && offsets) {
        kl_type t = c->n_order == 1 ? w->buf->types[w->cols[ci].order[0]] : KILN_TYPE_NULL;
        FAIL_IF(c->n_order != 1, err, KILN_ERR_BINDER,
                "RANGE frames with an offset need exactly one ORDER BY expression");
        FAIL_IF(t != KILN_TYPE_BIGINT && t != KILN_TYPE_DOUBLE, err, KILN_ERR_INVALID,
                "RANGE frames with an offset are only supported for BIGINT and DOUBLE ORDER BY keys");
    }
    return 0;
}

static int win_eval_call(window_op *w, uint32_t ci, kl_error *err) {
    kl_win_call *c = &w->calls[ci];
    int rc = 0;
    for (int t = 0; t < w->n_workers; t++) w->workers[t].fin = &w->fins[(size_t)ci * (size_t)w->n_workers + (size_t)t];
    if (c->kind == KL_WIN_AGG) {
        const kl_agg_call *ac = &c->agg;
        size_t stride = (ac->state_size + 15) & ~(size_t)15;
        if (stride == 0) stride = 16;
        for (int t = 0; t < w->n_workers; t++) {
            win_worker *k = &w->workers[t];
            kl_free(k->states);
            k->states = NULL;
            k->states_cap = 0;
            k->stride = stride;
            TRY(win_grow_states(k, 1, err));
        }
        w->scratch = kl_calloc(ac->n_args ? (size_t)ac->n_args : 1, sizeof(kl_vec));
        if (!w->scratch) return kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
        for (int a = 0; a < ac->n_args && !rc; a++) {
            if (vec_init(&w->scratch[a], w->buf->types[w->cols[ci].aggs[a]], w->n))
                rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
            w->n_scratch = a + 1;
        }
        if (!rc) win_gather_args(w, ci);
    }
    if (!rc) rc = win_for_partitions(w, ci, 0, UINT32_MAX, win_eval_partition, err);
    for (int a = 0; a < w->n_scratch; a++) vec_free(&w->scratch[a]);
    kl_free(w->scratch);
    w->scratch = NULL;
    w->n_scratch = 0;
    return rc;
}

static void win_workers_free(window_op *w) {
    for (int t = 0; w->workers && t < w->n_workers; t++) {
        kl_free(w->workers[t].pairs);
        kl_free(w->workers[t].tmp);
        kl_free(w->workers[t].states);
    }
    kl_free(w->workers);
    w->workers = NULL;
}

static int win_build(window_op *w, kl_error *err) {
    TRY(win_materialize(w, err));
    for (uint32_t ci = 0; ci < w->n_calls; ci++) TRY(win_validate(w, &w->calls[ci], ci, err));
    w->n = (uint32_t)w->buf->n_rows;
    uint32_t n = w->n;
    w->idx = kl_malloc((n ? n : 1) * sizeof(uint32_t));
    w->newpeer = kl_malloc(n ? n : 1);
    if (!w->idx || !w->newpeer) return kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
    for (uint32_t ci = 0; ci < w->n_calls; ci++) {
        if (vec_init(&w->res[ci], w->base.types[w->n_child + ci], n))
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
        w->n_res = ci + 1;
    }
    /* workers, and per call and worker a one-row finalize target */
    w->n_workers = KL_MAX(1, KL_MIN(w->threads, WIN_MAX_THREADS));
    if (n < 2 * KL_CHUNK_ROWS) w->n_workers = 1;
    w->workers = kl_calloc((size_t)w->n_workers, sizeof(win_worker));
    w->fins = kl_calloc(((size_t)w->n_calls ? w->n_calls : 1) * (size_t)w->n_workers, sizeof(kl_vec));
    if (!w->workers || !w->fins) return kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
    for (uint32_t ci = 0; ci < w->n_calls; ci++) {
        for (int t = 0; t < w->n_workers; t++) {
            if (vec_init(&w->fins[w->n_fins], w->base.types[w->n_child + ci], 1))
                return kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
            w->n_fins++;
        }
    }
    /* calls with the same PARTITION BY / ORDER BY reuse one sort */
    bool *done = kl_calloc(w->n_calls ? w->n_calls : 1, sizeof(bool));
    if (!done) return kl_err(err, KILN_ERR_MEMORY, "out of memory in window");
    int rc = 0;
    for (uint32_t ci = 0; ci < w->n_calls && !rc; ci++) {
        if (done[ci]) continue;
        rc = win_sort(w, ci, err);
        for (uint32_t cj = ci; cj < w->n_calls && !rc; cj++) {
            if (done[cj] || (cj != ci && !win_same_sort(&w->calls[ci], &w->calls[cj]))) continue;
            /* a shared sort must also share the evaluated order columns for peers/RANGE: the
               columns are equal by construction (same expressions) */
            rc = win_eval_call(w, cj, err);
            done[cj] = true;
        }
    }
    kl_free(done);
    /* results were written by several workers: their NULL flags are set here */
    for (uint32_t ci = 0; ci < w->n_res; ci++)
        if (w->res[ci].type != KILN_TYPE_NULL) w->res[ci].has_nulls = memchr(w->res[ci].nulls, 1, n) != NULL;
    /* the sort state is not needed for emission */
    kl_free(w->idx);
    kl_free(w->newpeer);
    kl_free(w->part_off);
    w->idx = NULL;
    w->newpeer = NULL;
    w->part_off = NULL;
    win_workers_free(w);
    if (rc) return rc;
    w->built = true;
    return 0;
}

/* ---- step 3: emission ------------------------------------------------------------------------ */

static int window_next(kl_op *op, kl_chunk **out, kl_error *err) {
    window_op *w = (window_op *)op;
    if (!w->built) TRY(win_build(w, err));
    kl_chunk *v = &w->view;
    v->n_rows = 0;
    *out = v;
    if (w->next_chunk >= w->buf->n_chunks) return 0;
    const kl_chunk *src = w->buf->chunks[w->next_chunk++];
    uint32_t n = src->n_rows, off = w->emitted;
    for (uint32_t c = 0; c < w->n_child; c++) v->cols[c] = src->cols[c];
    for (uint32_t ci = 0; ci < w->n_calls; ci++) {
        const kl_vec *r = &w->res[ci];
        kl_vec *d = &v->cols[w->n_child + ci];
        *d = *r;
        d->cap = n;
        d->nulls = r->nulls + off;
        d->data = r->data ? (char *)r->data + (size_t)off * kl_type_size(r->type) : NULL;
        d->has_nulls = memchr(d->nulls, 1, n) != NULL;
    }
    v->n_rows = n;
    w->emitted += n;
    return 0;
}

static void window_free(kl_op *op) {
    window_op *w = (window_op *)op;
    if (w->calls)
        for (uint32_t ci = 0; ci < w->n_calls; ci++) win_call_clear(&w->calls[ci]);
    kl_free(w->calls);
    kl_free(w->cols);
    kl_free(w->map);
    kl_free(w->eval);
    for (uint32_t ci = 0; ci < w->n_res; ci++) vec_free(&w->res[ci]);
    kl_free(w->res);
    table_free(w->buf);
    kl_free(w->idx);
    kl_free(w->newpeer);
    kl_free(w->part_off);
    win_workers_free(w);
    for (uint32_t i = 0; i < w->n_fins; i++) vec_free(&w->fins[i]);
    kl_free(w->fins);
    for (int a = 0; a < w->n_scratch; a++) vec_free(&w->scratch[a]);
    kl_free(w->scratch);
    kl_free(w->view.cols); /* view vectors are borrowed */
    op_free(op->child);
    kl_free(op->types);
    kl_free(w);
}

static const kl_op_vt window_vt = {"WINDOW", window_next, window_free, NULL};

void op_window_set_threads(kl_op *op, int threads) {
    if (op && op->vt == &window_vt) ((window_op *)op)->threads = threads < 1 ? 1 : threads;
}

void win_call_clear(kl_win_call *c) {
    if (!c) return;
    for (int i = 0; i < c->n_args; i++) expr_free(c->args[i]);
    kl_free(c->args);
    c->args = NULL;
    c->n_args = 0;
    agg_call_clear(&c->agg);
    for (uint32_t k = 0; k < c->n_partition; k++) expr_free(c->partition[k]);
    kl_free(c->partition);
    c->partition = NULL;
    c->n_partition = 0;
    for (uint32_t k = 0; k < c->n_order; k++) expr_free(c->order[k]);
    kl_free(c->order);
    kl_free(c->desc);
    kl_free(c->nulls_first);
    c->order = NULL;
    c->desc = c->nulls_first = NULL;
    c->n_order = 0;
}

kl_op *op_window(kl_op *child, kl_win_call *calls, uint32_t n_calls) {
    window_op *w = kl_calloc(1, sizeof *w);
    if (!w) {
        op_free(child);
        for (uint32_t ci = 0; ci < n_calls; ci++) win_call_clear(&calls[ci]);
        kl_free(calls);
        return NULL;
    }
    w->base.vt = &window_vt;
    w->base.child = child;
    w->threads = 1;
    w->calls = calls;
    w->n_calls = n_calls;
    w->n_child = child ? child->n_cols : 0;
    uint32_t n_out = w->n_child + n_calls;
    w->base.n_cols = n_out;
    w->base.types = kl_malloc((n_out ? n_out : 1) * sizeof(kl_type));
    w->cols = kl_calloc(n_calls ? n_calls : 1, sizeof(win_cols));
    w->res = kl_calloc(n_calls ? n_calls : 1, sizeof(kl_vec));
    w->view.cols = kl_calloc(n_out ? n_out : 1, sizeof(kl_vec));
    if (!child || !w->base.types || !w->cols || !w->res || !w->view.cols) goto fail;
    w->view.n_cols = n_out;
    w->view.cap = KL_CHUNK_ROWS;
    /* buffer layout: child columns, then one column per expression that is not a plain
       reference to a child column (those read the child column: no copy) */
    uint32_t n_slots = 0;
    for (uint32_t ci = 0; ci < n_calls; ci++) {
        kl_win_call *c = &calls[ci];
        if (c->n_args < 0 || c->agg.n_args < 0) goto fail;
        n_slots += c->n_partition + c->n_order + (uint32_t)c->n_args + (uint32_t)c->agg.n_args;
        if (c->frame == KL_FRAME_DEFAULT) {
            /* RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW: without ORDER BY every row of a
               partition is a peer, so this is the whole partition */
            c->frame = KL_FRAME_RANGE;
            c->start = KL_BOUND_UNBOUNDED_PRECEDING;
            c->end = KL_BOUND_CURRENT_ROW;
        }
    }
    w->map = kl_malloc((n_slots ? n_slots : 1) * sizeof(uint32_t));
    kl_expr **slot_expr = kl_malloc((n_slots ? n_slots : 1) * sizeof(kl_expr *));
    kl_type *types = kl_malloc(((size_t)w->n_child + n_slots + 1) * sizeof(kl_type));
    char **names = kl_calloc((size_t)w->n_child + n_slots + 1, sizeof(char *));
    w->eval = kl_calloc((size_t)w->n_child + n_slots + 1, sizeof(bool));
    if (!w->map || !slot_expr || !types || !names || !w->eval) {
        kl_free(slot_expr);
        kl_free(types);
        kl_free(names);
        goto fail;
    }
    uint32_t slot = 0;
    for (uint32_t ci = 0; ci < n_calls; ci++) {
        kl_win_call *c = &calls[ci];
        win_cols *wc = &w->cols[ci];
        wc->part = w->map + slot;
        for (uint32_t k = 0; k < c->n_partition; k++) slot_expr[slot++] = c->partition[k];
        wc->order = w->map + slot;
        for (uint32_t k = 0; k < c->n_order; k++) slot_expr[slot++] = c->order[k];
        wc->args = w->map + slot;
        for (int k = 0; k < c->n_args; k++) slot_expr[slot++] = c->args[k];
        wc->aggs = w->map + slot;
        for (int k = 0; k < c->agg.n_args; k++) slot_expr[slot++] = c->agg.args[k];
    }
    for (uint32_t c = 0; c < w->n_child; c++) types[c] = child->types[c];
    uint32_t total = w->n_child;
    for (uint32_t k = 0; k < n_slots; k++) {
        const kl_expr *e = slot_expr[k];
        if (e->kind == EXPR_COLUMN && e->col < w->n_child && child->types[e->col] == e->type) {
            w->map[k] = e->col;
        } else {
            w->map[k] = total;
            w->eval[total] = true;
            types[total++] = e->type;
        }
    }
    kl_free(slot_expr);
    for (uint32_t c = 0; c < total; c++) names[c] = "";
    w->buf = table_create(NULL, total, names, types);
    kl_free(types);
    kl_free(names);
    if (!w->buf) goto fail;
    for (uint32_t c = 0; c < w->n_child; c++) w->base.types[c] = child->types[c];
    for (uint32_t ci = 0; ci < n_calls; ci++) w->base.types[w->n_child + ci] = calls[ci].ret_type;
    for (uint32_t c = 0; c < n_out; c++) w->view.cols[c].type = w->base.types[c];
    return &w->base;
fail:
    window_free(&w->base);
    return NULL;
}

/* ---- taking a window operator apart (the binder's top-N rewrite, exec/topn.c) ---------------- */

const kl_win_call *op_window_calls(const kl_op *op, uint32_t *n_calls, uint32_t *n_child) {
    if (!op || op->vt != &window_vt) return NULL;
    const window_op *w = (const window_op *)op;
    *n_calls = w->n_calls;
    *n_child = w->n_child;
    return w->calls;
}

kl_op *op_window_dismantle(kl_op *op, kl_win_call **calls, uint32_t *n_calls) {
    window_op *w = (window_op *)op;
    kl_op *child = op->child;
    *calls = w->calls;
    *n_calls = w->n_calls;
    w->calls = NULL;
    w->n_calls = 0;
    op->child = NULL;
    window_free(op);
    return child;
}
