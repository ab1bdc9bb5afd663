/*
 * expr.c — bound expression nodes and their evaluation over chunks (see expr.h).
 *
 * Evaluation is recursive over the tree and vector-at-a-time at every node: a node first
 * evaluates its children for the whole chunk, then runs one kernel loop. Errors raised by
 * kernels get the node's SQL offset attached on the way up (kl_err_set_offset), so a
 * conversion error in `CAST(s AS BIGINT)` points at that CAST.
 */
#include "exec/expr.h"

#include <stdlib.h>

#include "exec/hashtable.h"

kl_expr *expr_new(kl_expr_kind kind, kl_type type, int n_args) {
    kl_expr *e = kl_calloc(1, sizeof *e);
    if (!e) return NULL;
    e->kind = kind;
    e->type = type;
    e->loc = -1;
    e->n_args = n_args;
    if (n_args > 0) {
        e->args = kl_calloc((size_t)n_args, sizeof(kl_expr *));
        e->argv = kl_calloc((size_t)n_args, sizeof(kl_vec *));
        if (!e->args || !e->argv) {
            kl_free(e->args);
            kl_free(e->argv);
            kl_free(e);
            return NULL;
        }
    }
    if (kind != EXPR_COLUMN && vec_init(&e->result, type, KL_CHUNK_ROWS)) {
        kl_free(e->args);
        kl_free(e->argv);
        kl_free(e);
        return NULL;
    }
    return e;
}

kl_expr *expr_new_column(uint32_t col, kl_type type) {
    kl_expr *e = expr_new(EXPR_COLUMN, type, 0);
    if (e) e->col = col;
    return e;
}

kl_expr *expr_new_const_from(const kl_vec *v, uint32_t row) {
    kl_expr *e = expr_new(EXPR_CONST, v->type, 0);
    if (!e) return NULL;
    if (v->type == KILN_TYPE_NULL || v->nulls[row]) {
        memset(e->result.nulls, 1, KL_CHUNK_ROWS);
        e->result.has_nulls = true;
        return e;
    }
    if (kl_type_is_string(v->type)) {
        kl_str s = VEC_STR(v)[row];
        if (vec_set_string(&e->result, 0, s.ptr, s.len)) {
            expr_free(e);
            return NULL;
        }
        vec_broadcast(&e->result, &e->result, 0, KL_CHUNK_ROWS);
    } else {
        vec_broadcast(&e->result, v, row, KL_CHUNK_ROWS);
    }
    return e;
}

kl_expr *expr_new_const_null(kl_type type) {
    kl_expr *e = expr_new(EXPR_CONST, type, 0);
    if (!e) return NULL;
    memset(e->result.nulls, 1, KL_CHUNK_ROWS);
    e->result.has_nulls = true;
    return e;
}

void expr_free(kl_expr *e) {
    if (!e) return;
    for (int i = 0; i < e->n_args; i++) expr_free(e->args[i]);
    kl_free(e->args);
    kl_free(e->argv);
    if (!e->borrowed && e->kind == EXPR_FUNC && e->fn && e->fn->free_bind_data && e->ctx.bind_data)
        e->fn->free_bind_data(e->ctx.bind_data);
    if (e->kind != EXPR_COLUMN) vec_free(&e->result);
    if (!e->borrowed) ht_free(e->set);
    kl_free(e);
}

kl_expr *expr_clone(const kl_expr *e) {
    /* ht_find keeps scratch hashes in the table: a set cannot be probed by two threads */
    if (e->kind == EXPR_IN_SET) return NULL;
    kl_expr *c;
    if (e->kind == EXPR_CONST) {
        c = expr_new_const_from(&e->result, 0);
        if (c) c->type = e->type;
    } else {
        c = expr_new(e->kind, e->type, e->n_args);
    }
    if (!c) return NULL;
    c->loc = e->loc;
    c->col = e->col;
    c->op = e->op;
    c->negated = e->negated;
    c->try_cast = e->try_cast;
    c->has_else = e->has_else;
    c->fn = e->fn;
    c->ctx = e->ctx;
    c->borrowed = true;
    for (int i = 0; i < e->n_args; i++) {
        if (!(c->args[i] = expr_clone(e->args[i]))) {
            expr_free(c);
            return NULL;
        }
    }
    return c;
}

bool expr_is_constant(const kl_expr *e) {
    if (e->kind == EXPR_COLUMN) return false;
    if (e->kind == EXPR_FUNC && e->fn && e->fn->is_volatile) return false;
    for (int i = 0; i < e->n_args; i++)
        if (!expr_is_constant(e->args[i])) return false;
    return true;
}

void expr_map_columns(kl_expr *e, void (*fn)(uint32_t *col, void *ctx), void *ctx) {
    if (e->kind == EXPR_COLUMN) fn(&e->col, ctx);
    for (int i = 0; i < e->n_args; i++) expr_map_columns(e->args[i], fn, ctx);
}

bool expr_column_range(const kl_expr *e, uint32_t *min_col, uint32_t *max_col) {
    bool any = false;
    if (e->kind == EXPR_COLUMN) {
        *min_col = *max_col = e->col;
        any = true;
    }
    for (int i = 0; i < e->n_args; i++) {
        uint32_t lo, hi;
        if (!expr_column_range(e->args[i], &lo, &hi)) continue;
        if (!any || lo < *min_col) *min_col = lo;
        if (!any || hi > *max_col) *max_col = hi;
        any = true;
    }
    return any;
}

int expr_fold(kl_expr **ep, kl_error *err) {
    kl_expr *e = *ep;
    if (e->kind == EXPR_CONST || e->kind == EXPR_COLUMN) return 0;
    kl_vec *v;
    TRY(expr_eval(e, NULL, 1, &v, err));
    kl_expr *c = expr_new_const_from(v, 0);
    if (!c) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    c->loc = e->loc;
    c->type = e->type;
    expr_free(e);
    *ep = c;
    return 0;
}

/* Logical AND/OR over BOOLEAN vectors with SQL three-valued logic. */
static void eval_and_or(kl_expr *e, uint32_t n, bool is_and) {
    kl_vec *out = &e->result;
    uint8_t *r = VEC_U8(out);
    /* start from the identity (TRUE for AND, FALSE for OR), not NULL */
    memset(r, is_and ? 1 : 0, n);
    memset(out->nulls, 0, n);
    bool any_null = false;
    for (int a = 0; a < e->n_args; a++) {
        const kl_vec *v = e->argv[a];
        const uint8_t *x = VEC_U8(v);
        if (v->type == KILN_TYPE_NULL) {
            for (uint32_t i = 0; i < n; i++) {
                /* NULL AND FALSE = FALSE; NULL OR TRUE = TRUE */
                bool decided = is_and ? (!out->nulls[i] && !r[i]) : (!out->nulls[i] && r[i]);
                if (!decided) out->nulls[i] = 1, any_null = true;
            }
            continue;
        }
        for (uint32_t i = 0; i < n; i++) {
            bool xn = v->nulls[i];
            bool xv = x[i] != 0;
            if (is_and) {
                if (!xn && !xv) {
                    r[i] = 0;
                    out->nulls[i] = 0;
                } else if (xn && !(r[i] == 0 && !out->nulls[i])) {
                    out->nulls[i] = 1;
                }
            } else {
                if (!xn && xv) {
                    r[i] = 1;
                    out->nulls[i] = 0;
                } else if (xn && !(r[i] == 1 && !out->nulls[i])) {
                    out->nulls[i] = 1;
                }
            }
        }
    }
    for (uint32_t i = 0; i < n && !any_null; i++) any_null = out->nulls[i];
    out->has_nulls = any_null;
}

static int eval_case(kl_expr *e, uint32_t n, kl_error *err) {
    kl_vec *out = &e->result;
    vec_reset(out);
    /* decided[i]: a WHEN already matched row i */
    uint8_t decided[KL_CHUNK_ROWS];
    memset(decided, 0, n);
    int n_pairs = (e->n_args - (e->has_else ? 1 : 0)) / 2;
    for (int p = 0; p < n_pairs; p++) {
        const kl_vec *w = e->argv[2 * p];
        const kl_vec *t = e->argv[2 * p + 1];
        for (uint32_t i = 0; i < n; i++) {
            if (decided[i]) continue;
            if (w->type == KILN_TYPE_NULL || w->nulls[i] || !VEC_U8(w)[i]) continue;
            decided[i] = 1;
            if (t->type == KILN_TYPE_NULL) vec_set_null(out, i);
            else TRY(vec_copy_row(out, i, t, i));
        }
    }
    const kl_vec *el = e->has_else ? e->argv[e->n_args - 1] : NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (decided[i]) continue;
        if (!el || el->type == KILN_TYPE_NULL) vec_set_null(out, i);
        else TRY(vec_copy_row(out, i, el, i));
    }
    KL_UNUSED(err);
    return 0;
}

int expr_eval(kl_expr *e, kl_chunk *in, uint32_t n, kl_vec **out, kl_error *err) {
    switch (e->kind) {
    case EXPR_COLUMN:
        *out = &in->cols[e->col];
        return 0;
    case EXPR_CONST:
        *out = &e->result;
        return 0;
    default: break;
    }
    for (int i = 0; i < e->n_args; i++) TRY(expr_eval(e->args[i], in, n, &e->argv[i], err));
    kl_vec *res = &e->result;
    int rc = 0;
    switch (e->kind) {
    case EXPR_BINARY:
        vec_reset(res);
        rc = func_binary_exec(e->op, e->argv[0], e->argv[1], n, res, err);
        break;
    case EXPR_NEG:
        vec_reset(res);
        rc = func_negate(e->argv[0], n, res, err);
        break;
    case EXPR_AND: eval_and_or(e, n, true); break;
    case EXPR_OR: eval_and_or(e, n, false); break;
    case EXPR_NOT: {
        const kl_vec *a = e->argv[0];
        if (a->type == KILN_TYPE_NULL) {
            memset(res->nulls, 1, n);
            res->has_nulls = true;
            break;
        }
        memcpy(res->nulls, a->nulls, n);
        res->has_nulls = a->has_nulls;
        for (uint32_t i = 0; i < n; i++) VEC_U8(res)[i] = !VEC_U8(a)[i];
        break;
    }
    case EXPR_IS_NULL: {
        const kl_vec *a = e->argv[0];
        res->has_nulls = false;
        memset(res->nulls, 0, n);
        for (uint32_t i = 0; i < n; i++)
            VEC_U8(res)[i] = (uint8_t)((a->type == KILN_TYPE_NULL || a->nulls[i]) != e->negated);
        break;
    }
    case EXPR_CAST:
        vec_reset(res);
        if (e->argv[0]->type == res->type) {
            TRY(vec_copy_rows(res, 0, e->argv[0], 0, n));
            break;
        }
        rc = func_cast(e->argv[0], n, res, e->try_cast, err);
        break;
    case EXPR_FUNC:
        vec_reset(res);
        rc = e->fn->exec(&e->ctx, e->argv, e->n_args, n, res, err);
        break;
    case EXPR_CASE: rc = eval_case(e, n, err); break;
    case EXPR_IN_SET: {
        uint32_t gids[KL_CHUNK_ROWS];
        kl_vec *a = e->argv[0];
        ht_find(e->set, &a, n, gids);
        bool any_null = false;
        /* x IN (empty set) is FALSE even when x is NULL */
        bool empty = ht_group_count(e->set) == 0;
        for (uint32_t i = 0; i < n; i++) {
            bool found = gids[i] != UINT32_MAX && !a->nulls[i];
            VEC_U8(res)[i] = found;
            res->nulls[i] = !found && !empty && (a->nulls[i] || e->set_has_null);
            any_null |= res->nulls[i];
        }
        res->has_nulls = any_null;
        break;
    }
    default: rc = kl_err(err, KILN_ERR_INTERNAL, "unknown expression kind %d", (int)e->kind);
    }
    if (rc) {
        kl_err_set_offset(err, e->loc);
        return rc;
    }
    *out = res;
    return 0;
}
