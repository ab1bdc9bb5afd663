/*
 * setop.c — UNION [ALL], EXCEPT [ALL], INTERSECT [ALL] (op_setop, declared in exec/join.h).
 *
 * API: op_setop(left, right, kind) -> op_next (repeatedly) -> op_free.
 *
 * Algorithm. Whole rows are keys of one group hash table (kl_ht: NULLs equal, which is SQL
 * set semantics; doubles by value). Every step is one vectorized ht call per input chunk
 * followed by a selection loop and a gather of the selected rows (strings by reference:
 * the input chunk is valid until the child is called again, which only happens on the next
 * op_next).
 *   UNION ALL      stream left chunks, then right chunks (passed through untouched unless a
 *                  right column is untyped NULL and must be re-typed by a gather).
 *   UNION          one table over both inputs; a row is emitted when it creates a new group
 *                  (group ids are dense in order of first appearance, so "new" is
 *                  gid == next expected id).
 *   EXCEPT/INTERSECT/EXCEPT ALL/INTERSECT ALL build the table from the right input first
 *                  (R groups, and for the ALL forms a multiplicity count per group), then
 *                  stream the left input:
 *     EXCEPT        find_or_insert; emit rows creating a new group (id >= R, first time);
 *     INTERSECT     find; emit rows of a right group not emitted yet (flag per group);
 *     EXCEPT ALL    find; a row of a right group with count > 0 consumes one and is
 *                   dropped, others are emitted -> max(l - r, 0) copies;
 *     INTERSECT ALL find; a row of a right group with count > 0 consumes one and is
 *                   emitted -> min(l, r) copies.
 * Bounds: memory is the hash table over the distinct rows (right rows, plus left rows for
 * UNION/EXCEPT) and 8 bytes per right group for the ALL forms; input is streamed.
 */
#include "exec/join.h"

#include "exec/hashtable.h"

typedef enum { SO_LEFT, SO_RIGHT, SO_DONE } so_phase;

typedef struct setop_op {
    kl_op base;  /* base.child = left */
    kl_op *right;
    kl_setop_kind kind;
    bool type_error;
    bool retype_right; /* some right column is KILN_TYPE_NULL where left is typed */
    bool built;
    so_phase phase;
    kl_ht *ht;
    uint32_t n_right_groups;
    uint64_t *cnt;      /* ALL forms: remaining multiplicity per right group */
    size_t cnt_cap;
    uint8_t *emitted;   /* INTERSECT: right group already emitted */
    kl_vec **keys;      /* scratch: the input chunk's columns */
    uint32_t gids[KL_CHUNK_ROWS];
    uint32_t sel[KL_CHUNK_ROWS];
} setop_op;

static void so_set_keys(setop_op *s, kl_chunk *in) {
    for (uint32_t c = 0; c < s->base.n_cols; c++) s->keys[c] = &in->cols[c];
}

/* Gather rows sel[0..m) of in into the output chunk. */
static kl_chunk *so_emit(setop_op *s, kl_chunk *in, uint32_t m) {
    kl_op *op = &s->base;
    chunk_reset(&op->out);
    for (uint32_t c = 0; c < op->n_cols; c++) vec_gather(&op->out.cols[c], &in->cols[c], s->sel, m);
    op->out.n_rows = m;
    return &op->out;
}

/* Drain the right input into the table (with multiplicities for the ALL forms). */
static int so_build(setop_op *s, kl_error *err) {
    bool all = s->kind == KL_SETOP_EXCEPT_ALL || s->kind == KL_SETOP_INTERSECT_ALL;
    for (;;) {
        kl_chunk *in;
        TRY(op_next(s->right, &in, err));
        uint32_t n = in->n_rows;
        if (n == 0) break;
        so_set_keys(s, in);
        TRY(ht_find_or_insert(s->ht, s->keys, n, s->gids, err));
        if (!all) continue;
        size_t groups = ht_group_count(s->ht);
        if (groups > s->cnt_cap) {
            size_t cap = s->cnt_cap ? s->cnt_cap : 1024;
            while (cap < groups) cap *= 2;
            uint64_t *p = kl_realloc(s->cnt, cap * sizeof *p);
            if (!p) return kl_err(err, KILN_ERR_MEMORY, "out of memory in set operation");
            memset(p + s->cnt_cap, 0, (cap - s->cnt_cap) * sizeof *p);
            s->cnt = p;
            s->cnt_cap = cap;
        }
        for (uint32_t i = 0; i < n; i++) s->cnt[s->gids[i]]++;
    }
    s->n_right_groups = ht_group_count(s->ht);
    if (s->kind == KL_SETOP_INTERSECT) {
        s->emitted = kl_calloc(s->n_right_groups ? s->n_right_groups : 1, 1);
        if (!s->emitted) return kl_err(err, KILN_ERR_MEMORY, "out of memory in set operation");
    }
    s->built = true;
    return 0;
}

/* Select the rows of a left chunk to emit (EXCEPT/INTERSECT forms); returns the count. */
static int so_select_left(setop_op *s, kl_chunk *in, uint32_t *m_out, kl_error *err) {
    uint32_t n = in->n_rows, m = 0, R = s->n_right_groups;
    uint32_t *g = s->gids, *sel = s->sel;
    so_set_keys(s, in);
    switch (s->kind) {
    case KL_SETOP_EXCEPT: {
        uint32_t next_new = ht_group_count(s->ht);
        TRY(ht_find_or_insert(s->ht, s->keys, n, g, err));
        for (uint32_t i = 0; i < n; i++) {
            sel[m] = i;
            bool first = g[i] == next_new; /* ids >= R are groups no right row has */
            m += first;
            next_new += first;
        }
        break;
    }
    case KL_SETOP_INTERSECT:
        ht_find(s->ht, s->keys, n, g);
        for (uint32_t i = 0; i < n; i++) {
            if (g[i] >= R || s->emitted[g[i]]) continue;
            s->emitted[g[i]] = 1;
            sel[m++] = i;
        }
        break;
    case KL_SETOP_EXCEPT_ALL:
        ht_find(s->ht, s->keys, n, g);
        for (uint32_t i = 0; i < n; i++) {
            if (g[i] < R && s->cnt[g[i]] > 0) {
                s->cnt[g[i]]--;
                continue;
            }
            sel[m++] = i;
        }
        break;
    case KL_SETOP_INTERSECT_ALL:
        ht_find(s->ht, s->keys, n, g);
        for (uint32_t i = 0; i < n; i++) {
            if (g[i] < R && s->cnt[g[i]] > 0) {
                s->cnt[g[i]]--;
                sel[m++] = i;
            }
        }
        break;
    default: break;
    }
    *m_out = m;
    return 0;
}

/* UNION ALL / UNION: left then right. */
static int so_next_union(setop_op *s, kl_chunk **out, kl_error *err) {
    kl_op *op = &s->base;
    for (;;) {
        if (s->phase == SO_DONE) {
            chunk_reset(&op->out);
            *out = &op->out;
            return 0;
        }
        bool from_right = s->phase == SO_RIGHT;
        kl_chunk *in;
        TRY(op_next(from_right ? s->right : op->child, &in, err));
        uint32_t n = in->n_rows;
        if (n == 0) {
            s->phase = from_right ? SO_DONE : SO_RIGHT;
            continue;
        }
        if (s->kind == KL_SETOP_UNION_ALL) {
            if (!from_right || !s->retype_right) {
                *out = in;
                return 0;
            }
            for (uint32_t i = 0; i < n; i++) s->sel[i] = i;
            *out = so_emit(s, in, n);
            return 0;
        }
        uint32_t next_new = ht_group_count(s->ht), m = 0;
        so_set_keys(s, in);
        TRY(ht_find_or_insert(s->ht, s->keys, n, s->gids, err));
        for (uint32_t i = 0; i < n; i++) {
            s->sel[m] = i;
            bool first = s->gids[i] == next_new;
            m += first;
            next_new += first;
        }
        if (m == 0) continue;
        *out = so_emit(s, in, m);
        return 0;
    }
}

static int so_next(kl_op *op, kl_chunk **out, kl_error *err) {
    setop_op *s = (setop_op *)op;
    if (s->type_error)
        return kl_err(err, KILN_ERR_INTERNAL, "set operation: the inputs' column types differ");
    if (s->kind == KL_SETOP_UNION_ALL || s->kind == KL_SETOP_UNION) return so_next_union(s, out, err);
    if (!s->built) TRY(so_build(s, err));
    for (;;) {
        kl_chunk *in;
        if (s->phase == SO_DONE) {
            chunk_reset(&op->out);
            *out = &op->out;
            return 0;
        }
        TRY(op_next(op->child, &in, err));
        if (in->n_rows == 0) {
            s->phase = SO_DONE;
            continue;
        }
        uint32_t m;
        TRY(so_select_left(s, in, &m, err));
        if (m == 0) continue;
        if (m == in->n_rows) {
            *out = in;
            return 0;
        }
        *out = so_emit(s, in, m);
        return 0;
    }
}

static void so_free(kl_op *op) {
    setop_op *s = (setop_op *)op;
    op_free(op->child);
    op_free(s->right);
    ht_free(s->ht);
    kl_free(s->cnt);
    kl_free(s->emitted);
    kl_free(s->keys);
    chunk_free(&op->out);
    kl_free(op->types);
    kl_free(s);
}

static const kl_op_vt setop_vt[] = {
    {"UNION_ALL", so_next, so_free, NULL},  {"UNION", so_next, so_free, NULL},
    {"EXCEPT", so_next, so_free, NULL},     {"INTERSECT", so_next, so_free, NULL},
    {"EXCEPT_ALL", so_next, so_free, NULL}, {"INTERSECT_ALL", so_next, so_free, NULL},
};

kl_op *op_setop(kl_op *left, kl_op *right, kl_setop_kind kind) {
    setop_op *s = kl_calloc(1, sizeof *s);
    if (!s || !left || !right || (unsigned)kind > KL_SETOP_INTERSECT_ALL) {
        op_free(left);
        op_free(right);
        kl_free(s);
        return NULL;
    }
    s->base.vt = &setop_vt[kind];
    s->base.child = left;
    s->right = right;
    s->kind = kind;
    uint32_t n = left->n_cols;
    s->base.n_cols = n;
    if (right->n_cols != n) {
        s->type_error = true;
    } else {
        for (uint32_t c = 0; c < n; c++) {
            if (right->types[c] == left->types[c]) continue;
            if (right->types[c] == KILN_TYPE_NULL) s->retype_right = true;
            else s->type_error = true;
        }
    }
    s->base.types = kl_malloc((n ? n : 1) * sizeof(kl_type));
    s->keys = kl_calloc(n ? n : 1, sizeof(kl_vec *));
    if (kind != KL_SETOP_UNION_ALL) s->ht = ht_create(left->types, n);
    if (!s->base.types || !s->keys || (kind != KL_SETOP_UNION_ALL && !s->ht) ||
        chunk_init(&s->base.out, left->types, n, KL_CHUNK_ROWS)) {
        so_free(&s->base);
        return NULL;
    }
    if (n) memcpy(s->base.types, left->types, n * sizeof(kl_type));
    return &s->base;
}
