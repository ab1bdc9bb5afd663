/*
 * sort.c — the sort operator (op_sort, operator.h): ORDER BY, and top-N for ORDER BY ... LIMIT.
 *
 * API in call order: op_sort(child, keys, desc, nulls_first, n) -> op_sort_set_limit(top_n)
 * and op_sort_set_threads(threads) (both optional) -> op_next() (the first call sorts, then
 * rows come 2048 at a time) -> op_free().
 *
 * The order is a total order: the keys, then the input position of the row. Every path below
 * produces exactly that order, so the output does not depend on the thread count or on which
 * path ran (stable sort: ties keep input order).
 *
 * Algorithm:
 *   1. Materialize: input chunks are kept as they come (adopted when the producer allows it,
 *      copied otherwise), each with the evaluated key expressions appended as extra columns
 *      (a key that is a plain child column reads that column). A row's id is
 *      chunk index * 2048 + row, which grows with the input position.
 *   2. Statistics, per key and in parallel over chunk ranges: the range of the key's ordered
 *      values (fixed-width types), whether there are NULLs, and for strings the minimum and
 *      maximum length and the prefix common to every value.
 *   3. Normalized keys: every row becomes a record of R uint64 words: the keys as one
 *      big-endian byte string that compares like the rows (value - minimum in as few bytes as
 *      the range needs; NULL takes a code below or above the range, or a leading byte; DESC
 *      complements; strings contribute their bytes after the common prefix, zero padded, plus
 *      a length byte when lengths differ), then zero padding, then the row id in the low bytes
 *      of the last word. Encoding stops at SORT_KEY_BYTES or after a string longer than the
 *      prefix taken: such a key is "incomplete", and records whose key bytes are equal are
 *      ordered by the full comparator from the first incomplete key on (then by id).
 *      Example: ORDER BY v1, v2, id6 over BIGINTs in 1..5, 1..15, 1..100000 is 1 + 1 + 3 key
 *      bytes and 3 id bytes: one word per row.
 *   4. Runs: with T threads each takes a contiguous share of the chunks, encodes it and sorts
 *      it with an MSD radix sort (stable counting passes ping-ponging between two buffers,
 *      constant bytes skipped, insertion sort for small buckets, the full comparator for
 *      buckets whose key bytes are exhausted when the keys are incomplete).
 *   5. Merge: T - 1 splitters cut every run so that the T output ranges have about n / T rows
 *      (candidates sampled from all runs, ranked by binary search); each thread merges its
 *      slices of the runs with a heap (k-way) into its output range.
 *   6. Emit: output chunks are built in batches in parallel (each thread copies rows of its
 *      chunks, strings into the chunk's own heap) and handed out adoptable, so CREATE TABLE AS
 *      and results take them without another copy.
 *
 * Top-N (op_sort_set_limit): whenever the buffer reaches max(2·N, 65536) rows it is sorted and
 * cut to N rows; the N-th row then acts as a boundary: later input rows that do not sort before
 * it are dropped without being stored (they are later than every kept row, so ties lose).
 *
 * Bounds and memory: the materialized input, plus 2 · n · R · 8 bytes of records
 * (R <= (SORT_KEY_BYTES + 8) / 8), plus one batch of output chunks.
 */
#include <pthread.h>
#include <stdlib.h>

#include "exec/op_internal.h"
#include "exec/operator.h"
#include "func/func.h"

#define SORT_KEY_BYTES 32   /* encoded key bytes at most */
#define SORT_STR_PREFIX 16  /* bytes of a string key at most */
#define SORT_SMALL 32       /* buckets up to this size use insertion sort */
#define SORT_PAR_MIN 65536  /* rows per run at least, for a parallel sort */
#define SORT_EMIT_BATCH 16  /* output chunks per thread built at a time */
#define SORT_MAX_THREADS 64
#define SORT_PREFETCH 32    /* rows ahead that the output gather prefetches */
#define SORT_MAX_WORDS 6
#define SORT_SIGN UINT64_C(0x8000000000000000)
#define SORT_ROW_BITS 11    /* id = chunk << 11 | row */

_Static_assert((1u << SORT_ROW_BITS) == KL_CHUNK_ROWS, "row id layout");

/* How one key is encoded, and the statistics that decide it. */
typedef struct sort_key {
    uint32_t col; /* column in the stored chunks */
    kl_type type;
    bool desc, nf;
    /* statistics */
    bool any_null, any_value;
    uint64_t lo[3], hi[3];         /* fixed-width types: range of ordered values per part */
    uint32_t min_len, max_len, cp; /* VARCHAR: lengths, prefix common to every value */
    kl_str first;                  /* VARCHAR: one value (for the common prefix) */
    /* layout */
    uint32_t off;      /* first byte of the key in the record */
    uint32_t n_parts;  /* fixed-width: 1 (3 for INTERVAL) */
    uint32_t width[3]; /* bytes per part */
    bool null_code;    /* NULL is a code of part 0 (below or above the range) */
    bool null_byte;    /* NULL flag in a leading byte of its own */
    uint32_t prefix;   /* VARCHAR: bytes taken after cp */
    bool len_byte;     /* VARCHAR: length (minus cp) byte after the prefix */
    bool used;         /* the key has bytes in the record */
} sort_key;

typedef struct sort_op {
    kl_op base;
    kl_expr **keys;
    uint32_t n_keys;
    bool *desc;
    bool *nulls_first;
    int threads;
    uint32_t total;   /* stored columns: child columns, then evaluated keys */
    kl_type *types;   /* of the stored columns */
    uint32_t *key_col; /* per key: its stored column */
    bool *key_eval;   /* per key: evaluated into a column of its own */
    /* materialized input */
    kl_chunk **chunks;
    size_t n_chunks, cap_chunks;
    uint64_t n_rows;
    uint64_t top_n; /* > 0: only the first top_n rows are wanted (ORDER BY ... LIMIT) */
    bool has_bound; /* top-N: chunks[bound_chunk] row bound_row is the N-th row so far */
    size_t bound_chunk;
    uint32_t bound_row;
    /* the sort */
    sort_key *enc;
    uint32_t R;         /* words per record */
    uint32_t key_bytes; /* encoded key bytes */
    uint32_t k0;        /* first key not fully encoded (n_keys: all are) */
    uint64_t id_mask;
    uint64_t *recs;     /* n_rows records in sorted order (after sort_order) */
    uint64_t *spare;    /* the other buffer */
    /* emission */
    uint64_t n_out, next_out; /* rows to emit, rows handed out (or in built chunks) */
    kl_chunk **batch;
    uint32_t batch_n, batch_next, batch_cap;
    kl_chunk *emitted;
    void **col_data;    /* per output column, per chunk: data array (sort_emit_prepare) */
    uint8_t **col_nulls; /* ... and NULL mask */
    bool *col_any_null;  /* per output column: some chunk has NULLs */
    bool built;
} sort_op;

/* ---- threads ---------------------------------------------------------------------------------- */

typedef struct sort_task {
    void (*fn)(void *arg, int t);
    void *arg;
    int t;
} sort_task;

static void *sort_task_main(void *p) {
    sort_task *k = p;
    k->fn(k->arg, k->t);
    return NULL;
}

/* fn(arg, t) for t in [0, n): t = 0 on this thread, the others on new threads (inline if a
   thread cannot be started). */
static void sort_run_tasks(int n, void (*fn)(void *, int), void *arg) {
    sort_task tasks[SORT_MAX_THREADS];
    pthread_t tids[SORT_MAX_THREADS];
    bool started[SORT_MAX_THREADS] = {false};
    for (int t = 1; t < n; t++) {
        tasks[t] = (sort_task){fn, arg, t};
        started[t] = pthread_create(&tids[t], NULL, sort_task_main, &tasks[t]) == 0;
    }
    fn(arg, 0);
    for (int t = 1; t < n; t++) {
        if (started[t]) pthread_join(tids[t], NULL);
        else fn(arg, t);
    }
}

/* ---- comparing rows --------------------------------------------------------------------------- */

static inline bool sort_null(const kl_vec *v, uint32_t r) {
    return v->type == KILN_TYPE_NULL || v->nulls[r];
}

/* Keys k0.. of row ra of columns a against row rb of columns b (stored-column layout). */
static int sort_cmp_cols(const sort_op *s, const kl_vec *a, uint32_t ra, const kl_vec *b,
                         uint32_t rb, uint32_t k0) {
    for (uint32_t k = k0; k < s->n_keys; k++) {
        const kl_vec *va = &a[s->key_col[k]], *vb = &b[s->key_col[k]];
        bool na = sort_null(va, ra), nb = sort_null(vb, rb);
        if (na || nb) {
            if (na && nb) continue;
            /* NULL position is independent of ASC/DESC */
            return (na ? 1 : -1) * (s->nulls_first[k] ? -1 : 1);
        }
        int c = func_compare_values(va->type, va, ra, vb, rb);
        if (c) return s->desc[k] ? -c : c;
    }
    return 0;
}

static inline int sort_cmp_ids(const sort_op *s, uint64_t a, uint64_t b) {
    const kl_chunk *ca = s->chunks[a >> SORT_ROW_BITS], *cb = s->chunks[b >> SORT_ROW_BITS];
    return sort_cmp_cols(s, ca->cols, (uint32_t)(a & (KL_CHUNK_ROWS - 1)), cb->cols,
                         (uint32_t)(b & (KL_CHUNK_ROWS - 1)), s->k0);
}

/* Records compare as words; with incomplete keys, equal key bytes go to the full comparator. */
static inline int sort_cmp_rec(const sort_op *s, const uint64_t *a, const uint64_t *b) {
    uint32_t R = s->R;
    for (uint32_t i = 0; i < R; i++) {
        if (a[i] == b[i]) continue;
        if (s->k0 < s->n_keys) {
            uint32_t byte = i * 8 + (uint32_t)(__builtin_clzll(a[i] ^ b[i]) >> 3);
            if (byte >= s->key_bytes) {
                int c = sort_cmp_ids(s, a[R - 1] & s->id_mask, b[R - 1] & s->id_mask);
                if (c) return c;
            }
        }
        return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

static int sort_cmp_rec_q(const void *a, const void *b, void *arg) {
    return sort_cmp_rec(arg, a, b);
}

/* ---- materialize ------------------------------------------------------------------------------ */

static int sort_push_chunk(sort_op *s, kl_chunk *c, kl_error *err) {
    if (s->n_chunks == s->cap_chunks) {
        size_t cap = s->cap_chunks ? s->cap_chunks * 2 : 64;
        kl_chunk **p = kl_realloc(s->chunks, cap * sizeof *p);
        if (!p) return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
        s->chunks = p;
        s->cap_chunks = cap;
    }
    s->chunks[s->n_chunks++] = c;
    s->n_rows += c->n_rows;
    return 0;
}

static void sort_chunk_free(kl_chunk *c) {
    if (!c) return;
    chunk_free(c);
    kl_free(c);
}

/* Store rows of view (total columns): all n rows (sel NULL) or the n rows listed in sel. */
static int sort_store(sort_op *s, kl_chunk *in, const kl_chunk *view, const uint32_t *sel,
                      uint32_t n, kl_error *err) {
    kl_chunk *c = NULL;
    int rc = 0;
    if (!sel && in->adoptable && in->n_rows == n) {
        /* take the producer's vectors, then add the evaluated keys */
        if (!(c = chunk_adopt(in))) return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
        kl_vec *cols = kl_realloc(c->cols, (s->total ? s->total : 1) * sizeof(kl_vec));
        if (!cols) {
            sort_chunk_free(c);
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
        }
        c->cols = cols;
        for (uint32_t i = s->base.n_cols; i < s->total && !rc; i++) {
            if (vec_init(&cols[i], s->types[i], n)) rc = KILN_ERR_MEMORY;
            else c->n_cols = i + 1;
            if (!rc) rc = vec_copy_rows(&cols[i], 0, &view->cols[i], 0, n);
        }
    } else {
        c = kl_malloc(sizeof *c);
        if (!c || chunk_init(c, s->types, s->total, n ? n : 1)) {
            kl_free(c);
            return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
        }
        for (uint32_t i = 0; i < s->total && !rc; i++) {
            if (!sel) {
                rc = vec_copy_rows(&c->cols[i], 0, &view->cols[i], 0, n);
                continue;
            }
            for (uint32_t j = 0; j < n && !rc; j++) rc = vec_copy_row(&c->cols[i], j, &view->cols[i], sel[j]);
        }
        c->n_rows = n;
    }
    if (rc) {
        sort_chunk_free(c);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    }
    if ((rc = sort_push_chunk(s, c, err))) sort_chunk_free(c);
    return rc;
}

/* ---- statistics (step 2) ---------------------------------------------------------------------- */

/* Ordered (DESC: complemented) parts of a fixed-width value; returns the number of parts. */
static inline uint32_t sort_parts(const kl_vec *v, uint32_t r, bool desc, uint64_t out[3]) {
    uint32_t n = 1;
    switch (v->type) {
    case KILN_TYPE_BOOLEAN: out[0] = VEC_U8(v)[r] != 0; break;
    case KILN_TYPE_DATE: out[0] = (uint64_t)(int64_t)VEC_I32(v)[r] ^ SORT_SIGN; break;
    case KILN_TYPE_DOUBLE: {
        double d = VEC_F64(v)[r];
        if (d != d) {
            out[0] = UINT64_MAX; /* every NaN equal and greatest, like func_compare_values */
        } else {
            if (d == 0) d = 0; /* -0.0 == 0.0 */
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            out[0] = (bits & SORT_SIGN) ? ~bits : bits | SORT_SIGN;
        }
        break;
    }
    case KILN_TYPE_INTERVAL: {
        int64_t m, d, us;
        kl_interval_normalize(VEC_IV(v)[r], &m, &d, &us);
        out[0] = (uint64_t)m ^ SORT_SIGN;
        out[1] = (uint64_t)d ^ SORT_SIGN;
        out[2] = (uint64_t)us ^ SORT_SIGN;
        n = 3;
        break;
    }
    default: out[0] = (uint64_t)VEC_I64(v)[r] ^ SORT_SIGN; break;
    }
    if (desc)
        for (uint32_t i = 0; i < n; i++) out[i] = ~out[i];
    return n;
}

static uint32_t sort_lcp(kl_str a, kl_str b, uint32_t limit) {
    uint32_t n = KL_MIN(KL_MIN(a.len, b.len), limit), i = 0;
    while (i < n && a.ptr[i] == b.ptr[i]) i++;
    return i;
}

static void sort_stats_init(const sort_op *s, sort_key *st) {
    for (uint32_t k = 0; k < s->n_keys; k++) {
        memset(&st[k], 0, sizeof st[k]);
        st[k].col = s->key_col[k];
        st[k].type = s->types[s->key_col[k]];
        if (kl_type_is_model(st[k].type)) st[k].type = KILN_TYPE_VARCHAR; /* ordered by its text */
        st[k].desc = s->desc[k];
        st[k].nf = s->nulls_first[k];
        for (int p = 0; p < 3; p++) {
            st[k].lo[p] = UINT64_MAX;
            st[k].hi[p] = 0;
        }
        st[k].min_len = UINT32_MAX;
    }
}

/* Statistics of chunks [c0, c1) into st[n_keys]. */
static void sort_stats_range(const sort_op *s, size_t c0, size_t c1, sort_key *st) {
    sort_stats_init(s, st);
    for (size_t ci = c0; ci < c1; ci++) {
        const kl_chunk *c = s->chunks[ci];
        for (uint32_t k = 0; k < s->n_keys; k++) {
            const kl_vec *v = &c->cols[s->key_col[k]];
            sort_key *x = &st[k];
            if (v->type == KILN_TYPE_NULL) {
                x->any_null |= c->n_rows > 0;
                continue;
            }
            bool nulls = v->has_nulls;
            if (kl_type_is_string(v->type)) {
                const kl_str *sv = VEC_STR(v);
                for (uint32_t r = 0; r < c->n_rows; r++) {
                    if (nulls && v->nulls[r]) {
                        x->any_null = true;
                        continue;
                    }
                    kl_str str = sv[r];
                    if (!x->any_value) {
                        x->any_value = true;
                        x->first = str;
                        x->cp = str.len;
                    } else if (x->cp) {
                        x->cp = sort_lcp(x->first, str, x->cp);
                    }
                    x->min_len = KL_MIN(x->min_len, str.len);
                    x->max_len = KL_MAX(x->max_len, str.len);
                }
                continue;
            }
            uint64_t lo0 = x->lo[0], hi0 = x->hi[0];
            if (v->type != KILN_TYPE_INTERVAL && !nulls) {
                /* the common case, kept tight */
                for (uint32_t r = 0; r < c->n_rows; r++) {
                    uint64_t p[3];
                    sort_parts(v, r, x->desc, p);
                    lo0 = p[0] < lo0 ? p[0] : lo0;
                    hi0 = p[0] > hi0 ? p[0] : hi0;
                }
                x->lo[0] = lo0;
                x->hi[0] = hi0;
                x->any_value |= c->n_rows > 0;
                continue;
            }
            for (uint32_t r = 0; r < c->n_rows; r++) {
                if (v->nulls[r]) {
                    x->any_null = true;
                    continue;
                }
                uint64_t p[3];
                uint32_t np = sort_parts(v, r, x->desc, p);
                for (uint32_t i = 0; i < np; i++) {
                    x->lo[i] = KL_MIN(x->lo[i], p[i]);
                    x->hi[i] = KL_MAX(x->hi[i], p[i]);
                }
                x->any_value = true;
            }
        }
    }
}

static void sort_stats_merge(const sort_op *s, sort_key *into, const sort_key *st) {
    for (uint32_t k = 0; k < s->n_keys; k++) {
        sort_key *x = &into[k];
        const sort_key *y = &st[k];
        x->any_null |= y->any_null;
        if (!y->any_value) continue;
        for (int p = 0; p < 3; p++) {
            x->lo[p] = KL_MIN(x->lo[p], y->lo[p]);
            x->hi[p] = KL_MAX(x->hi[p], y->hi[p]);
        }
        x->min_len = KL_MIN(x->min_len, y->min_len);
        x->max_len = KL_MAX(x->max_len, y->max_len);
        if (!x->any_value) {
            x->first = y->first;
            x->cp = y->cp;
        } else {
            x->cp = KL_MIN(x->cp, y->cp);
            x->cp = sort_lcp(x->first, y->first, x->cp);
        }
        x->any_value = true;
    }
}

static uint32_t sort_bytes_for(uint64_t range) {
    return range ? (uint32_t)(64 - __builtin_clzll(range) + 7) / 8 : 0;
}

/* Decide every key's bytes (step 3) from the statistics in s->enc. */
static void sort_layout(sort_op *s) {
    uint32_t off = 0;
    s->k0 = s->n_keys;
    for (uint32_t k = 0; k < s->n_keys; k++) {
        sort_key *x = &s->enc[k];
        x->off = off;
        x->n_parts = 0;
        x->null_code = x->null_byte = x->len_byte = false;
        x->prefix = 0;
        x->used = false;
        if (!x->any_value) continue; /* every row NULL (or no rows): all equal */
        uint32_t budget = SORT_KEY_BYTES - off;
        if (x->type == KILN_TYPE_VARCHAR) {
            x->null_byte = x->any_null;
            uint32_t avail = budget - x->null_byte;
            if (budget == 0 || avail == 0) {
                x->null_byte = false;
                s->k0 = k;
                break;
            }
            uint32_t rest = x->max_len - x->cp;
            x->prefix = KL_MIN(KL_MIN(rest, avail), (uint32_t)SORT_STR_PREFIX);
            bool need_len = x->min_len != x->max_len;
            bool complete = rest <= x->prefix && (!need_len || x->prefix + 1 <= avail);
            x->len_byte = complete && need_len;
            x->used = true;
            off += x->null_byte + x->prefix + x->len_byte;
            if (!complete) {
                s->k0 = k;
                break;
            }
            continue;
        }
        x->n_parts = x->type == KILN_TYPE_INTERVAL ? 3 : 1;
        uint32_t need = 0;
        for (uint32_t p = 0; p < x->n_parts; p++) {
            uint64_t range = x->hi[p] - x->lo[p];
            if (p == 0 && x->any_null && range < UINT64_MAX) {
                x->null_code = true;
                range++;
            }
            x->width[p] = sort_bytes_for(range);
            need += x->width[p];
        }
        x->null_byte = x->any_null && !x->null_code;
        need += x->null_byte;
        if (need > budget) {
            x->n_parts = 0;
            x->null_byte = x->null_code = false;
            s->k0 = k;
            break;
        }
        x->used = true;
        off += need;
    }
    s->key_bytes = off;
    uint64_t max_id = s->n_chunks ? ((uint64_t)(s->n_chunks - 1) << SORT_ROW_BITS) | (KL_CHUNK_ROWS - 1) : 0;
    uint32_t idb = KL_MAX(sort_bytes_for(max_id), 1u);
    uint32_t kb = off;
    if (kb % 8 && kb % 8 + idb > 8) kb = (kb + 7) / 8 * 8; /* the id stays in the last word */
    s->R = (kb + idb + 7) / 8;
    s->id_mask = idb >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * idb)) - 1;
}

/* ---- encoding (step 3) ------------------------------------------------------------------------ */

/* Put the low w bytes of v, big-endian, at byte offset off of the record (w <= 8). */
static inline void sort_put(uint64_t *rec, uint32_t off, uint64_t v, uint32_t w) {
    if (!w) return;
    uint32_t i = off / 8, o = off % 8;
    if (o + w <= 8) {
        rec[i] |= v << (8 * (8 - o - w));
    } else {
        uint32_t spill = o + w - 8; /* bytes going to the next word, 1..7 */
        rec[i] |= v >> (8 * spill);
        rec[i + 1] |= v << (8 * (8 - spill));
    }
}

static inline uint64_t sort_mask(uint32_t w) {
    return w >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * w)) - 1;
}

static inline uint64_t sort_load_be(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

/* Encode key k of chunk c (rows at recs, R words each, zeroed). */
static void sort_encode_key(const sort_op *s, const sort_key *x, const kl_chunk *c, uint64_t *recs) {
    const uint32_t R = s->R, n = c->n_rows;
    const kl_vec *v = &c->cols[x->col];
    if (!x->used) return;
    uint32_t off = x->off;
    if (x->null_byte) {
        uint64_t null_val = x->nf ? 0 : 1;
        for (uint32_t r = 0; r < n; r++) sort_put(recs + (size_t)r * R, off, v->nulls[r] ? null_val : !null_val, 1);
        off++;
    }
    if (x->type == KILN_TYPE_VARCHAR) {
        const kl_str *sv = VEC_STR(v);
        uint32_t w1 = KL_MIN(x->prefix, 8u), w2 = x->prefix - w1;
        uint64_t m1 = sort_mask(w1), m2 = sort_mask(w2);
        for (uint32_t r = 0; r < n; r++) {
            if (v->nulls[r]) continue;
            uint8_t buf[SORT_STR_PREFIX] = {0};
            uint32_t len = sv[r].len - x->cp;
            memcpy(buf, sv[r].ptr + x->cp, KL_MIN(len, x->prefix));
            uint64_t a = sort_load_be(buf) >> (8 * (8 - KL_MAX(w1, 1u)));
            uint64_t b = w2 ? sort_load_be(buf + 8) >> (8 * (8 - w2)) : 0;
            uint64_t l = len;
            if (x->desc) {
                a = ~a;
                b = ~b;
                l = ~l;
            }
            uint64_t *rec = recs + (size_t)r * R;
            sort_put(rec, off, a & m1, w1);
            sort_put(rec, off + w1, b & m2, w2);
            if (x->len_byte) sort_put(rec, off + x->prefix, l & 255, 1);
        }
        return;
    }
    uint64_t lo0 = x->lo[0];
    uint32_t w0 = x->width[0];
    if (x->n_parts == 1 && !x->null_code && !v->has_nulls) {
        for (uint32_t r = 0; r < n; r++) {
            uint64_t p[3];
            sort_parts(v, r, x->desc, p);
            sort_put(recs + (size_t)r * R, off, p[0] - lo0, w0);
        }
        return;
    }
    /* NULL codes: below the range with NULLS FIRST (values shift up by one), above it else */
    uint64_t shift = x->null_code && x->nf ? 1 : 0;
    uint64_t null_code = x->nf ? 0 : x->hi[0] - lo0 + 1;
    for (uint32_t r = 0; r < n; r++) {
        uint64_t *rec = recs + (size_t)r * R;
        if (v->nulls[r]) {
            if (x->null_code) sort_put(rec, off, null_code, w0);
            continue;
        }
        uint64_t p[3];
        uint32_t np = sort_parts(v, r, x->desc, p);
        uint32_t o = off;
        for (uint32_t i = 0; i < np; i++) {
            uint64_t val = p[i] - x->lo[i] + (i == 0 ? shift : 0);
            sort_put(rec, o, val, x->width[i]);
            o += x->width[i];
        }
    }
}

/* ---- radix sort of one run (step 4) ----------------------------------------------------------- */

static inline uint32_t sort_byte(const uint64_t *rec, uint32_t d) {
    return (uint32_t)(rec[d >> 3] >> (56 - 8 * (d & 7))) & 255;
}

static inline void sort_copy_rec(uint64_t *dst, const uint64_t *src, uint32_t R) {
    switch (R) {
    case 1: dst[0] = src[0]; break;
    case 2: dst[0] = src[0]; dst[1] = src[1]; break;
    case 3: dst[0] = src[0]; dst[1] = src[1]; dst[2] = src[2]; break;
    default:
        for (uint32_t i = 0; i < R; i++) dst[i] = src[i];
    }
}

static void sort_insertion(const sort_op *s, uint64_t *a, size_t n) {
    uint32_t R = s->R;
    uint64_t tmp[SORT_MAX_WORDS];
    for (size_t i = 1; i < n; i++) {
        uint64_t *x = a + i * R;
        if (sort_cmp_rec(s, x - R, x) <= 0) continue;
        sort_copy_rec(tmp, x, R);
        size_t j = i;
        while (j > 0 && sort_cmp_rec(s, a + (j - 1) * R, tmp) > 0) {
            sort_copy_rec(a + j * R, a + (j - 1) * R, R);
            j--;
        }
        sort_copy_rec(a + j * R, tmp, R);
    }
}

/* Sort n records in src from key byte d on; dst is scratch of the same size. The result ends in
   src when to_src, else in dst. Counting passes are stable, so records whose key bytes are all
   equal stay in id order. */
static void sort_msd(const sort_op *s, uint64_t *src, uint64_t *dst, size_t n, uint32_t d,
                     bool to_src) {
    const uint32_t R = s->R;
    for (;;) {
        if (n <= SORT_SMALL || d >= s->key_bytes) {
            if (n <= SORT_SMALL) sort_insertion(s, src, n);
            else if (s->k0 < s->n_keys) qsort_r(src, n, R * sizeof(uint64_t), sort_cmp_rec_q, (void *)s);
            if (!to_src) memcpy(dst, src, n * R * sizeof(uint64_t));
            return;
        }
        size_t cnt[256];
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++) cnt[sort_byte(src + i * R, d)]++;
        if (cnt[sort_byte(src, d)] == n) { /* constant byte: no pass */
            d++;
            continue;
        }
        size_t pos[256], sum = 0;
        for (int b = 0; b < 256; b++) {
            pos[b] = sum;
            sum += cnt[b];
        }
        for (size_t i = 0; i < n; i++) {
            const uint64_t *rec = src + i * R;
            sort_copy_rec(dst + pos[sort_byte(rec, d)]++ * R, rec, R);
        }
        size_t start = 0;
        for (int b = 0; b < 256; b++) {
            if (cnt[b]) sort_msd(s, dst + start * R, src + start * R, cnt[b], d + 1, !to_src);
            start += cnt[b];
        }
        return;
    }
}

/* ---- the parallel sort (steps 2-5) ------------------------------------------------------------ */

typedef struct sort_par {
    sort_op *s;
    int n_runs;
    size_t chunk_lo[SORT_MAX_THREADS + 1]; /* run t = chunks [chunk_lo[t], chunk_lo[t + 1]) */
    uint64_t *row_off;                     /* first record of every chunk (n_chunks + 1) */
    sort_key *stats;                       /* n_runs * n_keys */
    /* merge: run r's slice for output range t is [cut[t][r], cut[t + 1][r]) */
    size_t cut[SORT_MAX_THREADS + 1][SORT_MAX_THREADS];
} sort_par;

static void sort_stats_task(void *arg, int t) {
    sort_par *p = arg;
    sort_stats_range(p->s, p->chunk_lo[t], p->chunk_lo[t + 1], p->stats + (size_t)t * p->s->n_keys);
}

static void sort_run_task(void *arg, int t) {
    sort_par *p = arg;
    sort_op *s = p->s;
    const uint32_t R = s->R;
    size_t c0 = p->chunk_lo[t], c1 = p->chunk_lo[t + 1];
    for (size_t ci = c0; ci < c1; ci++) {
        const kl_chunk *c = s->chunks[ci];
        uint64_t *recs = s->recs + p->row_off[ci] * R;
        memset(recs, 0, (size_t)c->n_rows * R * sizeof(uint64_t));
        for (uint32_t k = 0; k < s->n_keys; k++) sort_encode_key(s, &s->enc[k], c, recs);
        uint64_t id = (uint64_t)ci << SORT_ROW_BITS;
        for (uint32_t r = 0; r < c->n_rows; r++) recs[(size_t)r * R + R - 1] |= id + r;
    }
    uint64_t lo = p->row_off[c0], n = p->row_off[c1] - lo;
    sort_msd(s, s->recs + lo * R, s->spare + lo * R, n, 0, true);
}

/* First position in sorted recs[0, n) whose record is not below key. */
static size_t sort_lower_bound(const sort_op *s, const uint64_t *recs, size_t n, const uint64_t *key) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sort_cmp_rec(s, recs + mid * s->R, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

typedef struct sort_cand {
    const sort_op *s;
    const uint64_t *rec;
} sort_cand;

static int sort_cand_cmp(const void *a, const void *b) {
    const sort_cand *x = a, *y = b;
    return sort_cmp_rec(x->s, x->rec, y->rec);
}

/* Choose the cuts: output range t starts at rank about t * n / T. */
static int sort_split(sort_par *p, kl_error *err) {
    sort_op *s = p->s;
    int T = p->n_runs;
    const uint32_t R = s->R;
    size_t per = 8 * (size_t)T, n_cand = 0;
    sort_cand *cand = kl_malloc((size_t)T * per * sizeof *cand);
    if (!cand) return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    for (int r = 0; r < T; r++) {
        uint64_t lo = p->row_off[p->chunk_lo[r]], len = p->row_off[p->chunk_lo[r + 1]] - lo;
        for (size_t j = 1; j <= per && len; j++)
            cand[n_cand++] = (sort_cand){s, s->recs + (lo + (len * j) / (per + 1)) * R};
    }
    qsort(cand, n_cand, sizeof *cand, sort_cand_cmp);
    for (int r = 0; r < T; r++) {
        p->cut[0][r] = 0;
        p->cut[T][r] = p->row_off[p->chunk_lo[r + 1]] - p->row_off[p->chunk_lo[r]];
    }
    size_t c = 0;
    for (int t = 1; t < T; t++) {
        uint64_t target = s->n_rows * (uint64_t)t / (uint64_t)T;
        /* the first candidate (from c on) whose rank reaches the target */
        size_t rank = 0;
        for (; c < n_cand; c++) {
            rank = 0;
            for (int r = 0; r < T; r++) {
                uint64_t lo = p->row_off[p->chunk_lo[r]];
                p->cut[t][r] = sort_lower_bound(s, s->recs + lo * R, p->cut[T][r], cand[c].rec);
                rank += p->cut[t][r];
            }
            if (rank >= target) break;
        }
        if (c == n_cand)
            for (int r = 0; r < T; r++) p->cut[t][r] = p->cut[T][r];
    }
    kl_free(cand);
    return 0;
}

/* Restore the min-heap heap[0, hn) of run indices (ordered by their head record) below j. */
static void sort_heap_down(const sort_op *s, int *heap, const uint64_t *const *head, int hn, int j) {
    for (;;) {
        int m = j, l = 2 * j + 1;
        if (l < hn && sort_cmp_rec(s, head[heap[l]], head[heap[m]]) < 0) m = l;
        if (l + 1 < hn && sort_cmp_rec(s, head[heap[l + 1]], head[heap[m]]) < 0) m = l + 1;
        if (m == j) return;
        int tmp = heap[j];
        heap[j] = heap[m];
        heap[m] = tmp;
        j = m;
    }
}

static void sort_merge_task(void *arg, int t) {
    sort_par *p = arg;
    const sort_op *s = p->s;
    const uint32_t R = s->R;
    int T = p->n_runs;
    const uint64_t *head[SORT_MAX_THREADS], *end[SORT_MAX_THREADS];
    int heap[SORT_MAX_THREADS], hn = 0;
    size_t out = 0;
    for (int r = 0; r < T; r++) {
        const uint64_t *base = s->recs + p->row_off[p->chunk_lo[r]] * R;
        head[r] = base + p->cut[t][r] * R;
        end[r] = base + p->cut[t + 1][r] * R;
        out += p->cut[t][r];
        if (head[r] < end[r]) heap[hn++] = r;
    }
    uint64_t *dst = s->spare + out * R;
    /* binary min-heap of runs by their head record */
    for (int i = hn / 2 - 1; i >= 0; i--) sort_heap_down(s, heap, head, hn, i);
    while (hn > 1) {
        int r = heap[0];
        sort_copy_rec(dst, head[r], R);
        dst += R;
        head[r] += R;
        if (head[r] == end[r]) heap[0] = heap[--hn];
        sort_heap_down(s, heap, head, hn, 0);
    }
    if (hn == 1) memcpy(dst, head[heap[0]], (size_t)(end[heap[0]] - head[heap[0]]) * sizeof(uint64_t));
}

/* Sort every stored row into s->recs using up to `threads` threads. */
static int sort_order(sort_op *s, int threads, kl_error *err) {
    kl_free(s->recs);
    kl_free(s->spare);
    s->recs = s->spare = NULL;
    sort_par *p = kl_calloc(1, sizeof *p);
    if (!p) return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    p->s = s;
    int T = KL_MAX(1, KL_MIN(threads, SORT_MAX_THREADS));
    if ((uint64_t)T > s->n_rows / SORT_PAR_MIN) T = (int)KL_MAX(1, s->n_rows / SORT_PAR_MIN);
    if ((size_t)T > s->n_chunks) T = (int)KL_MAX((size_t)1, s->n_chunks);
    p->n_runs = T;
    int rc = 0;
    p->row_off = kl_malloc((s->n_chunks + 1) * sizeof(uint64_t));
    p->stats = kl_malloc((size_t)T * (s->n_keys ? s->n_keys : 1) * sizeof(sort_key));
    if (!p->row_off || !p->stats) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    if (!rc) {
        p->row_off[0] = 0;
        for (size_t ci = 0; ci < s->n_chunks; ci++) p->row_off[ci + 1] = p->row_off[ci] + s->chunks[ci]->n_rows;
        for (int t = 0; t <= T; t++) p->chunk_lo[t] = s->n_chunks * (size_t)t / (size_t)T;
        /* step 2: statistics */
        sort_run_tasks(T, sort_stats_task, p);
        sort_key *all = s->enc;
        sort_stats_init(s, all);
        for (int t = 0; t < T; t++) sort_stats_merge(s, all, p->stats + (size_t)t * s->n_keys);
        sort_layout(s);
        size_t bytes = (s->n_rows ? s->n_rows : 1) * s->R * sizeof(uint64_t);
        s->recs = kl_malloc(bytes);
        s->spare = kl_malloc(bytes);
        if (!s->recs || !s->spare) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    }
    if (!rc) {
        /* step 4: runs */
        sort_run_tasks(T, sort_run_task, p);
        /* step 5: merge */
        if (T > 1 && !(rc = sort_split(p, err))) {
            sort_run_tasks(T, sort_merge_task, p);
            uint64_t *t = s->recs;
            s->recs = s->spare;
            s->spare = t;
        }
    }
    kl_free(s->spare);
    s->spare = NULL;
    kl_free(p->row_off);
    kl_free(p->stats);
    kl_free(p);
    return rc;
}

/* ---- top-N ------------------------------------------------------------------------------------ */

/* Sort what is buffered and keep the first top_n rows, in order; the last one becomes the
   boundary. Kept rows precede later ones, so ties stay in input order (stable). */
static int sort_compact(sort_op *s, kl_error *err) {
    TRY(sort_order(s, 1, err));
    uint64_t keep = KL_MIN(s->top_n, s->n_rows);
    size_t n_new = (size_t)((keep + KL_CHUNK_ROWS - 1) / KL_CHUNK_ROWS);
    kl_chunk **nc = kl_calloc(n_new ? n_new : 1, sizeof *nc);
    int rc = nc ? 0 : kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    for (size_t i = 0; i < n_new && !rc; i++) {
        uint32_t m = (uint32_t)KL_MIN((uint64_t)KL_CHUNK_ROWS, keep - i * KL_CHUNK_ROWS);
        kl_chunk *c = kl_malloc(sizeof *c);
        if (!c || chunk_init(c, s->types, s->total, KL_CHUNK_ROWS)) {
            kl_free(c);
            rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
            break;
        }
        nc[i] = c;
        for (uint32_t j = 0; j < m && !rc; j++) {
            uint64_t id = s->recs[(i * KL_CHUNK_ROWS + j) * s->R + s->R - 1] & s->id_mask;
            const kl_chunk *src = s->chunks[id >> SORT_ROW_BITS];
            uint32_t r = (uint32_t)(id & (KL_CHUNK_ROWS - 1));
            for (uint32_t col = 0; col < s->total && !rc; col++)
                if (vec_copy_row(&c->cols[col], j, &src->cols[col], r)) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
        }
        c->n_rows = m;
    }
    kl_free(s->recs);
    s->recs = NULL;
    if (rc) {
        for (size_t i = 0; nc && i < n_new; i++) sort_chunk_free(nc[i]);
        kl_free(nc);
        return rc;
    }
    for (size_t i = 0; i < s->n_chunks; i++) sort_chunk_free(s->chunks[i]);
    kl_free(s->chunks);
    s->chunks = nc;
    s->n_chunks = s->cap_chunks = n_new;
    if (!n_new) s->cap_chunks = 1;
    s->n_rows = keep;
    s->has_bound = keep == s->top_n && keep > 0;
    if (s->has_bound) {
        s->bound_chunk = n_new - 1;
        s->bound_row = nc[n_new - 1]->n_rows - 1;
    }
    return 0;
}

/* ---- build ------------------------------------------------------------------------------------ */

static int sort_emit_prepare(sort_op *s, kl_error *err);

static int sort_build(sort_op *s, kl_error *err) {
    kl_op *op = &s->base;
    kl_chunk view = {0};
    view.n_cols = s->total;
    view.cols = kl_calloc(s->total ? s->total : 1, sizeof(kl_vec));
    uint32_t *sel = kl_malloc(KL_CHUNK_ROWS * sizeof(uint32_t));
    int rc = view.cols && sel ? 0 : kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    while (!rc) {
        kl_chunk *in;
        if ((rc = op_next(op->child, &in, err))) break;
        uint32_t n = in->n_rows;
        if (n == 0) break;
        for (uint32_t c = 0; c < op->n_cols; c++) view.cols[c] = in->cols[c];
        for (uint32_t k = 0; k < s->n_keys && !rc; k++) {
            if (!s->key_eval[k]) continue;
            kl_vec *v;
            rc = expr_eval(s->keys[k], in, n, &v, err);
            if (!rc) view.cols[s->key_col[k]] = *v;
        }
        if (rc) break;
        view.n_rows = n;
        if (s->has_bound) {
            /* top-N: only rows that sort before the N-th row so far can be in the result */
            const kl_chunk *b = s->chunks[s->bound_chunk];
            uint32_t m = 0;
            for (uint32_t r = 0; r < n; r++)
                if (sort_cmp_cols(s, view.cols, r, b->cols, s->bound_row, 0) < 0) sel[m++] = r;
            if (m && (rc = sort_store(s, in, &view, sel, m, err))) break;
        } else if ((rc = sort_store(s, in, &view, NULL, n, err))) {
            break;
        }
        if (s->top_n && s->n_rows >= KL_MAX(2 * s->top_n, (uint64_t)65536)) rc = sort_compact(s, err);
    }
    kl_free(view.cols);
    kl_free(sel);
    if (rc) return rc;
    TRY(sort_order(s, s->threads, err));
    s->n_out = s->top_n ? KL_MIN(s->top_n, s->n_rows) : s->n_rows;
    TRY(sort_emit_prepare(s, err));
    s->built = true;
    return 0;
}

/* ---- emission (step 6) ------------------------------------------------------------------------ */

typedef struct sort_emit {
    sort_op *s;
    uint64_t first;  /* output row of batch chunk 0 */
    uint32_t n_chunks, per_thread;
    int rc[SORT_MAX_THREADS];
} sort_emit;

/* Per output column and stored chunk: the data and NULL arrays, so the gather below reads one
   compact table instead of chasing chunk -> vector pointers for every row. */
static int sort_emit_prepare(sort_op *s, kl_error *err) {
    size_t nc = s->n_chunks ? s->n_chunks : 1, ncols = s->base.n_cols ? s->base.n_cols : 1;
    s->col_data = kl_malloc(ncols * nc * sizeof(void *));
    s->col_nulls = kl_malloc(ncols * nc * sizeof(uint8_t *));
    s->col_any_null = kl_calloc(ncols, sizeof(bool));
    if (!s->col_data || !s->col_nulls || !s->col_any_null)
        return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    for (uint32_t col = 0; col < s->base.n_cols; col++) {
        for (size_t ci = 0; ci < s->n_chunks; ci++) {
            const kl_vec *v = &s->chunks[ci]->cols[col];
            s->col_data[col * nc + ci] = v->data;
            s->col_nulls[col * nc + ci] = v->nulls;
            s->col_any_null[col] |= v->has_nulls;
        }
    }
    return 0;
}

#define SORT_GATHER(T, dst, data, n, sc, sr)                                                       \
    do {                                                                                           \
        T *d_ = (T *)(dst);                                                                        \
        uint32_t pf_ = KL_MIN((n), (uint32_t)SORT_PREFETCH);                                       \
        for (uint32_t i = 0; i < pf_; i++) __builtin_prefetch(&((const T *)(data)[(sc)[i]])[(sr)[i]]); \
        for (uint32_t i = 0; i < (n); i++) {                                                       \
            uint32_t j_ = i + SORT_PREFETCH;                                                       \
            if (j_ < (n)) __builtin_prefetch(&((const T *)(data)[(sc)[j_]])[(sr)[j_]]);           \
            d_[i] = ((const T *)(data)[(sc)[i]])[(sr)[i]];                                         \
        }                                                                                          \
    } while (0)

/* Build the output chunk of rows first, first + 1, ... of the sorted order. */
static int sort_emit_chunk(sort_op *s, uint64_t first, kl_chunk *c) {
    const uint32_t R = s->R;
    uint32_t n = (uint32_t)KL_MIN((uint64_t)KL_CHUNK_ROWS, s->n_out - first);
    uint32_t src_chunk[KL_CHUNK_ROWS];
    uint16_t src_row[KL_CHUNK_ROWS];
    kl_str strs[KL_CHUNK_ROWS];
    size_t nc = s->n_chunks ? s->n_chunks : 1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t id = s->recs[(first + i) * R + R - 1] & s->id_mask;
        src_chunk[i] = (uint32_t)(id >> SORT_ROW_BITS);
        src_row[i] = (uint16_t)(id & (KL_CHUNK_ROWS - 1));
    }
    for (uint32_t col = 0; col < s->base.n_cols; col++) {
        kl_vec *dst = &c->cols[col];
        kl_type t = kl_type_is_model(dst->type) ? KILN_TYPE_VARCHAR : dst->type;
        if (t == KILN_TYPE_NULL) continue;
        void *const *data = s->col_data + col * nc;
        bool any_null = false;
        if (s->col_any_null[col]) {
            uint8_t *const *nulls = s->col_nulls + col * nc;
            for (uint32_t i = 0; i < n; i++) {
                uint8_t nl = nulls[src_chunk[i]][src_row[i]];
                dst->nulls[i] = nl;
                any_null |= nl != 0;
            }
        }
        dst->has_nulls = any_null;
        switch (t) {
        case KILN_TYPE_BOOLEAN: SORT_GATHER(uint8_t, dst->data, data, n, src_chunk, src_row); break;
        case KILN_TYPE_DATE: SORT_GATHER(int32_t, dst->data, data, n, src_chunk, src_row); break;
        case KILN_TYPE_BIGINT:
        case KILN_TYPE_DOUBLE:
        case KILN_TYPE_TIMESTAMP: SORT_GATHER(int64_t, dst->data, data, n, src_chunk, src_row); break;
        case KILN_TYPE_INTERVAL: SORT_GATHER(kl_interval, dst->data, data, n, src_chunk, src_row); break;
        case KILN_TYPE_VARCHAR: {
            /* two passes: gather the {ptr, len} pairs and prefetch the bytes (independent
               loads, so the cache misses overlap), then copy the bytes into one block */
            size_t bytes = 0;
            for (uint32_t i = 0; i < KL_MIN(n, (uint32_t)SORT_PREFETCH); i++)
                __builtin_prefetch(&((const kl_str *)data[src_chunk[i]])[src_row[i]]);
            for (uint32_t i = 0; i < n; i++) {
                uint32_t j = i + SORT_PREFETCH;
                if (j < n) __builtin_prefetch(&((const kl_str *)data[src_chunk[j]])[src_row[j]]);
                kl_str str = ((const kl_str *)data[src_chunk[i]])[src_row[i]];
                if (any_null && dst->nulls[i]) str.len = 0;
                strs[i] = str;
                if (str.len) __builtin_prefetch(str.ptr);
                bytes += str.len + 1;
            }
            char *p = kl_arena_alloc_bytes(&dst->heap, bytes ? bytes : 1);
            if (!p) return KILN_ERR_MEMORY;
            kl_str *out = VEC_STR(dst);
            for (uint32_t i = 0; i < n; i++) {
                uint32_t len = strs[i].len;
                if (len) memcpy(p, strs[i].ptr, len);
                p[len] = '\0';
                out[i] = (kl_str){p, len};
                p += len + 1;
            }
            break;
        }
        default: break;
        }
    }
    c->n_rows = n;
    return 0;
}

static void sort_emit_task(void *arg, int t) {
    sort_emit *e = arg;
    sort_op *s = e->s;
    uint32_t lo = (uint32_t)t * e->per_thread, hi = KL_MIN(e->n_chunks, lo + e->per_thread);
    int rc = 0;
    for (uint32_t i = lo; i < hi && !rc; i++) {
        kl_chunk *c = s->batch[i];
        rc = sort_emit_chunk(s, e->first + (uint64_t)i * KL_CHUNK_ROWS, c);
    }
    e->rc[t] = rc;
}

static void sort_release(sort_op *s) {
    if (!s->emitted) return;
    sort_chunk_free(s->emitted); /* nothing left if the consumer adopted the vectors */
    s->emitted = NULL;
}

static void sort_batch_free(sort_op *s) {
    for (uint32_t i = s->batch_next; i < s->batch_n; i++) sort_chunk_free(s->batch[i]);
    s->batch_n = s->batch_next = 0;
}

/* Build the next batch of output chunks on all threads. */
static int sort_fill_batch(sort_op *s, kl_error *err) {
    int T = KL_MAX(1, KL_MIN(s->threads, SORT_MAX_THREADS));
    uint64_t left_chunks = (s->n_out - s->next_out + KL_CHUNK_ROWS - 1) / KL_CHUNK_ROWS;
    uint32_t want = (uint32_t)KL_MIN(left_chunks, (uint64_t)T * SORT_EMIT_BATCH);
    if (want > s->batch_cap) {
        kl_chunk **b = kl_realloc(s->batch, want * sizeof *b);
        if (!b) return kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
        s->batch = b;
        s->batch_cap = want;
    }
    s->batch_n = s->batch_next = 0;
    int rc = 0;
    for (uint32_t i = 0; i < want && !rc; i++) {
        kl_chunk *c = kl_malloc(sizeof *c);
        if (!c || chunk_init(c, s->base.types, s->base.n_cols, KL_CHUNK_ROWS)) {
            kl_free(c);
            rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
            break;
        }
        s->batch[s->batch_n++] = c;
    }
    if (!rc) {
        sort_emit e = {.s = s, .first = s->next_out, .n_chunks = want};
        if (want < (uint32_t)T) T = (int)KL_MAX(want, 1u);
        e.per_thread = (want + (uint32_t)T - 1) / (uint32_t)T;
        sort_run_tasks(T, sort_emit_task, &e);
        for (int t = 0; t < T && !rc; t++)
            if (e.rc[t]) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in sort");
    }
    if (rc) {
        sort_batch_free(s);
        return rc;
    }
    s->next_out = KL_MIN(s->n_out, s->next_out + (uint64_t)want * KL_CHUNK_ROWS);
    return 0;
}

static int sort_next(kl_op *op, kl_chunk **out, kl_error *err) {
    sort_op *s = (sort_op *)op;
    if (!s->built) TRY(sort_build(s, err));
    sort_release(s);
    if (s->batch_next == s->batch_n) {
        s->batch_n = s->batch_next = 0;
        if (s->next_out < s->n_out) TRY(sort_fill_batch(s, err));
    }
    if (s->batch_next < s->batch_n) {
        kl_chunk *c = s->batch[s->batch_next++];
        s->emitted = c;
        c->adoptable = true;
        *out = c;
        return 0;
    }
    op->out.n_rows = 0;
    *out = &op->out;
    return 0;
}

/* ---- construction ----------------------------------------------------------------------------- */

static void sort_free(kl_op *op) {
    sort_op *s = (sort_op *)op;
    if (s->keys)
        for (uint32_t k = 0; k < s->n_keys; k++) expr_free(s->keys[k]);
    kl_free(s->keys);
    kl_free(s->desc);
    kl_free(s->nulls_first);
    kl_free(s->types);
    kl_free(s->key_col);
    kl_free(s->key_eval);
    kl_free(s->enc);
    for (size_t i = 0; i < s->n_chunks; i++) sort_chunk_free(s->chunks[i]);
    kl_free(s->chunks);
    kl_free(s->recs);
    kl_free(s->spare);
    sort_release(s);
    sort_batch_free(s);
    kl_free(s->batch);
    kl_free(s->col_data);
    kl_free(s->col_nulls);
    kl_free(s->col_any_null);
    op_base_free(op);
    kl_free(op);
}

static const kl_op_vt sort_vt = {"ORDER_BY", sort_next, sort_free, NULL};

kl_expr *const *op_sort_keys(const kl_op *op, const bool **desc, const bool **nulls_first, uint32_t *n_keys) {
    if (!op || op->vt != &sort_vt) return NULL;
    const sort_op *s = (const sort_op *)op;
    *desc = s->desc;
    *nulls_first = s->nulls_first;
    *n_keys = s->n_keys;
    return s->keys;
}

void op_sort_set_limit(kl_op *op, uint64_t top_n) {
    if (op && op->vt == &sort_vt) ((sort_op *)op)->top_n = top_n;
}

void op_sort_set_threads(kl_op *op, int threads) {
    if (op && op->vt == &sort_vt) ((sort_op *)op)->threads = threads < 1 ? 1 : threads;
}

kl_op *op_sort(kl_op *child, kl_expr **keys, const bool *desc, const bool *nulls_first,
               uint32_t n_keys) {
    sort_op *s = kl_calloc(1, sizeof *s);
    if (s) {
        s->keys = keys;
        s->n_keys = n_keys;
        s->base.vt = &sort_vt;
        s->base.child = child;
        s->threads = 1;
    }
    if (!s) goto fail;
    size_t nk = n_keys ? n_keys : 1;
    s->desc = kl_malloc(nk * sizeof(bool));
    s->nulls_first = kl_malloc(nk * sizeof(bool));
    s->key_col = kl_malloc(nk * sizeof(uint32_t));
    s->key_eval = kl_calloc(nk, sizeof(bool));
    s->enc = kl_calloc(nk, sizeof(sort_key));
    s->types = kl_malloc(((size_t)child->n_cols + nk) * sizeof(kl_type));
    if (!s->desc || !s->nulls_first || !s->key_col || !s->key_eval || !s->enc || !s->types) goto fail;
    memcpy(s->desc, desc, n_keys * sizeof(bool));
    memcpy(s->nulls_first, nulls_first, n_keys * sizeof(bool));
    /* stored columns: the child's, then keys that are not plain child columns */
    uint32_t total = child->n_cols;
    for (uint32_t c = 0; c < child->n_cols; c++) s->types[c] = child->types[c];
    for (uint32_t k = 0; k < n_keys; k++) {
        const kl_expr *e = keys[k];
        if (e->kind == EXPR_COLUMN && e->col < child->n_cols && child->types[e->col] == e->type) {
            s->key_col[k] = e->col;
        } else {
            s->key_col[k] = total;
            s->key_eval[k] = true;
            s->types[total++] = e->type;
        }
    }
    s->total = total;
    if (op_base_init(&s->base, &sort_vt, child, child->types, child->n_cols, true)) goto fail;
    return &s->base;
fail:
    if (s) {
        sort_free(&s->base);
    } else {
        op_free(child);
        for (uint32_t k = 0; k < n_keys; k++) expr_free(keys[k]);
        kl_free(keys);
    }
    return NULL;
}
