/*
 * sort.c — the sort operator (op_sort, operator.h): ORDER BY, and top-N for ORDER BY ... LIMIT.
 *
 * Materializes the input plus evaluated key columns into a table, sorts an array of row
 * indices with a comparator over the key columns, then emits rows in that order (strings
 * referenced from the buffer, which lives as long as the operator).
 */
#include <stdlib.h>

#include "exec/op_internal.h"
#include "exec/operator.h"
#include "func/func.h"

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

