/*
 * join.c — hash join and nested-loop join (see exec/join.h).
 *
 * API in call order: op_hash_join / op_nested_loop_join -> op_next (repeatedly) -> op_free.
 * A nested-loop join is the same operator with zero key columns: every probe row then falls
 * in the one group that holds every build row, and the condition acts as the residual.
 *
 * Build (first op_next): the right child is drained. Each chunk's key expressions are
 * evaluated and inserted with ht_find_or_insert (vectorized, one call per chunk), giving a
 * group id per build row (rows with a NULL key get none: they never match); the chunk's rows
 * are appended to a table (string bytes copied, so they live as long as the operator; SEMI
 * and ANTI without a residual store no columns at all). Then a counting sort turns the
 * per-row group ids into CSR form: rows[off[g] .. off[g+1]) are the build rows of group g in
 * input order. Contiguous match lists make many-to-many expansion a sequential read, and the
 * match count of a probe row is known without walking a chain.
 *
 * Probe: per left chunk, key expressions are evaluated and looked up for the whole chunk
 * with ht_find; rows with a NULL key or an empty group get "no match". Expansion then writes
 * (probe row, build row) pairs into two 2048-entry arrays, resuming from a cursor (probe row,
 * position in its match list), so a probe chunk that produces more than 2048 rows is emitted
 * as several output chunks before the next probe chunk is pulled (the probe chunk stays
 * valid because the left child is not called meanwhile). When every group holds at most one
 * build row (unique build keys, the fact x dimension case) expansion is a branch-free
 * compaction of the chunk's matching rows. The output columns are gathered
 * from the probe chunk (by probe row) and from the build table (by build row), strings by
 * reference. With a residual the gathered pairs are the candidate chunk: the residual is
 * evaluated once over it and the chunk is compacted in place to the passing rows. SEMI/ANTI
 * gather candidates into a separate chunk and only record which probe rows matched.
 * After a probe chunk's pairs: LEFT/FULL emit its unmatched rows padded with NULLs, SEMI/ANTI
 * emit its selected rows. After the last probe chunk, RIGHT/FULL emit never-matched build
 * rows (per-build-row flag) padded with NULLs.
 *
 * Bounds: build rows are indexed by uint32_t (at most UINT32_MAX - 1 rows, more is an
 * error); memory is the build table + 8 bytes per build row + 4 per group + the hash table;
 * the probe side is streamed. Output order: per probe chunk, its matches in probe-row order,
 * each probe row's matches in build order, then its unmatched rows; then unmatched build rows.
 */
#include "exec/join.h"

#include "exec/hashtable.h"

#define HJ_NONE UINT32_MAX

/* 16-byte values (kl_str, and any other 16-byte physical type such as an interval) are
 * moved with a fixed-size memcpy (compiled to two moves): a kl_str assignment need not copy
 * its padding bytes, which another 16-byte type may use. */
#define HJ_W16 16u

typedef enum { HJ_PULL, HJ_MATCH, HJ_FINISH_CHUNK, HJ_TAIL, HJ_DONE } hj_phase;

typedef struct hj_op {
    kl_op base;           /* base.child = left (probe) child */
    kl_op *right;         /* build child */
    kl_join_type type;
    kl_expr **lkeys, **rkeys;
    uint32_t n_keys;
    kl_expr *residual;
    uint32_t nl, nr;      /* column counts of left and right */
    bool type_error;      /* key pair types differ: reported by the first op_next */
    bool built;

    /* build side */
    kl_table *build;      /* right columns (none for SEMI/ANTI without residual) */
    uint32_t n_build;
    kl_ht *ht;
    uint32_t n_groups;
    uint32_t *off;        /* n_groups + 1: CSR offsets into rows */
    uint32_t *rows;       /* build rows grouped by group id */
    uint8_t *matched;     /* RIGHT/FULL: build row matched at least once */
    bool unique;          /* every group has at most one build row */
    kl_vec **key_vecs;    /* scratch: evaluated key vectors */

    /* probe state */
    hj_phase phase;
    kl_chunk *probe;
    uint32_t probe_n;
    uint32_t cur_row, cur_pos; /* expansion cursor */
    uint64_t tail_pos;         /* next build row to check in HJ_TAIL */
    kl_chunk cand;             /* SEMI/ANTI with residual: candidate pairs (nl + nr cols) */
    uint32_t gids[KL_CHUNK_ROWS];
    uint8_t probe_matched[KL_CHUNK_ROWS];
    uint32_t cand_l[KL_CHUNK_ROWS], cand_r[KL_CHUNK_ROWS];
    uint32_t sel[KL_CHUNK_ROWS];
} hj_op;

static bool hj_is_semi_anti(const hj_op *h) { return h->type == KL_JOIN_SEMI || h->type == KL_JOIN_ANTI; }
static bool hj_keeps_left(const hj_op *h) { return h->type == KL_JOIN_LEFT || h->type == KL_JOIN_FULL; }
static bool hj_keeps_right(const hj_op *h) { return h->type == KL_JOIN_RIGHT || h->type == KL_JOIN_FULL; }

/* ---- vector helpers ----------------------------------------------------------------- */

/* dst[i] = build row rows[i] of column col (strings by reference into the build table). */
static void hj_gather_build(kl_vec *dst, const kl_table *t, uint32_t col, const uint32_t *rows,
                            uint32_t n) {
    if (t->types[col] == KILN_TYPE_NULL || dst->type == KILN_TYPE_NULL) {
        memset(dst->nulls, 1, n);
        dst->has_nulls = n > 0;
        return;
    }
    kl_chunk *const *ch = t->chunks;
    uint8_t any = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        uint8_t nb = ch[r / KL_CHUNK_ROWS]->cols[col].nulls[r % KL_CHUNK_ROWS];
        dst->nulls[i] = nb;
        any |= nb;
    }
    dst->has_nulls = any != 0;
    /* type switch outside the loops: each loop is one load and one store per row */
    switch (kl_type_size(dst->type)) {
    case 1:
        for (uint32_t i = 0; i < n; i++)
            VEC_U8(dst)[i] = VEC_U8(&ch[rows[i] / KL_CHUNK_ROWS]->cols[col])[rows[i] % KL_CHUNK_ROWS];
        break;
    case 4:
        for (uint32_t i = 0; i < n; i++)
            VEC_I32(dst)[i] = VEC_I32(&ch[rows[i] / KL_CHUNK_ROWS]->cols[col])[rows[i] % KL_CHUNK_ROWS];
        break;
    case 8:
        for (uint32_t i = 0; i < n; i++)
            VEC_I64(dst)[i] = VEC_I64(&ch[rows[i] / KL_CHUNK_ROWS]->cols[col])[rows[i] % KL_CHUNK_ROWS];
        break;
    case HJ_W16:
        for (uint32_t i = 0; i < n; i++)
            memcpy((char *)dst->data + (size_t)i * HJ_W16,
                   (const char *)ch[rows[i] / KL_CHUNK_ROWS]->cols[col].data +
                       (size_t)(rows[i] % KL_CHUNK_ROWS) * HJ_W16,
                   HJ_W16);
        break;
    default: break;
    }
}

/* Keep rows sel[0..m) of v, in place (sel ascending, so sel[i] >= i never overwrites a row
 * still to be read). has_nulls stays as it was: "maybe NULL" is always safe. */
static void hj_compact(kl_vec *v, const uint32_t *sel, uint32_t m) {
    if (v->has_nulls)
        for (uint32_t i = 0; i < m; i++) v->nulls[i] = v->nulls[sel[i]];
    switch (kl_type_size(v->type)) {
    case 1:
        for (uint32_t i = 0; i < m; i++) VEC_U8(v)[i] = VEC_U8(v)[sel[i]];
        break;
    case 4:
        for (uint32_t i = 0; i < m; i++) VEC_I32(v)[i] = VEC_I32(v)[sel[i]];
        break;
    case 8:
        for (uint32_t i = 0; i < m; i++) VEC_I64(v)[i] = VEC_I64(v)[sel[i]];
        break;
    case HJ_W16:
        for (uint32_t i = 0; i < m; i++)
            if (sel[i] != i)
                memcpy((char *)v->data + (size_t)i * HJ_W16, (const char *)v->data + (size_t)sel[i] * HJ_W16,
                       HJ_W16);
        break;
    default: break;
    }
}

static void hj_set_all_null(kl_vec *v, uint32_t n) {
    memset(v->nulls, 1, n);
    v->has_nulls = n > 0;
}

/* Mark in `none` (1 = some key is NULL) the rows [0, n) with a NULL in any key vector. */
static bool hj_null_keys(kl_vec **keys, uint32_t n_keys, uint32_t n, uint8_t *none) {
    bool any = false;
    for (uint32_t k = 0; k < n_keys; k++) {
        const kl_vec *v = keys[k];
        if (v->type == KILN_TYPE_NULL) {
            memset(none, 1, n);
            return n > 0;
        }
        if (!v->has_nulls) continue;
        if (!any) memset(none, 0, n);
        any = true;
        for (uint32_t i = 0; i < n; i++) none[i] |= v->nulls[i];
    }
    return any;
}

/* ---- build -------------------------------------------------------------------------- */

static int hj_build(hj_op *h, kl_error *err) {
    uint32_t *row_gid = NULL;
    size_t gid_cap = 0;
    int rc = 0;
    for (;;) {
        kl_chunk *in;
        if ((rc = op_next(h->right, &in, err))) goto done;
        uint32_t n = in->n_rows;
        if (n == 0) break;
        if ((uint64_t)h->n_build + n >= UINT32_MAX) {
            rc = kl_err(err, KILN_ERR_MEMORY, "join build side too large (more than %u rows)",
                        UINT32_MAX - 1);
            goto done;
        }
        for (uint32_t k = 0; k < h->n_keys; k++)
            if ((rc = expr_eval(h->rkeys[k], in, n, &h->key_vecs[k], err))) goto done;
        if (h->n_build + n > gid_cap) {
            size_t cap = gid_cap ? gid_cap * 2 : 4096;
            while (cap < (size_t)h->n_build + n) cap *= 2;
            uint32_t *p = kl_realloc(row_gid, cap * sizeof *p);
            if (!p) {
                rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in hash join build");
                goto done;
            }
            row_gid = p;
            gid_cap = cap;
        }
        uint32_t *g = row_gid + h->n_build;
        if ((rc = ht_find_or_insert(h->ht, h->key_vecs, n, g, err))) goto done;
        /* NULL keys never match: such rows keep their table row but join no group. */
        uint8_t *none = h->probe_matched; /* free scratch during build */
        if (hj_null_keys(h->key_vecs, h->n_keys, n, none))
            for (uint32_t i = 0; i < n; i++)
                if (none[i]) g[i] = HJ_NONE;
        if (h->build->n_cols && (rc = table_append(h->build, in, n, err))) goto done;
        h->n_build += n;
    }

    /* Counting sort of build rows by group: off[g] first counts, then (inclusive prefix
     * sums) the end of g; filling backwards decrements it to the start of g. */
    h->n_groups = ht_group_count(h->ht);
    h->off = kl_calloc((size_t)h->n_groups + 1, sizeof *h->off);
    h->rows = kl_malloc((h->n_build ? h->n_build : 1) * sizeof *h->rows);
    if (!h->off || !h->rows) {
        rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in hash join build");
        goto done;
    }
    for (uint32_t r = 0; r < h->n_build; r++)
        if (row_gid[r] != HJ_NONE) h->off[row_gid[r]]++;
    uint32_t sum = 0;
    for (uint32_t g = 0; g < h->n_groups; g++) {
        sum += h->off[g];
        h->off[g] = sum;
    }
    h->off[h->n_groups] = sum;
    h->unique = true;
    for (uint32_t g = 0; g < h->n_groups && h->unique; g++)
        h->unique = h->off[g] - (g ? h->off[g - 1] : 0) <= 1;
    for (uint32_t r = h->n_build; r-- > 0;)
        if (row_gid[r] != HJ_NONE) h->rows[--h->off[row_gid[r]]] = r;

    if (hj_keeps_right(h)) {
        h->matched = kl_calloc(h->n_build ? h->n_build : 1, 1);
        if (!h->matched) {
            rc = kl_err(err, KILN_ERR_MEMORY, "out of memory in hash join build");
            goto done;
        }
    }
    h->built = true;
    /* With no build rows, INNER/RIGHT/SEMI produce nothing: skip the probe side. */
    if (h->n_build == 0 && (h->type == KL_JOIN_INNER || h->type == KL_JOIN_RIGHT || h->type == KL_JOIN_SEMI))
        h->phase = HJ_DONE;
done:
    kl_free(row_gid);
    return rc;
}

/* ---- probe -------------------------------------------------------------------------- */

/* Group ids of the current probe chunk; HJ_NONE for rows that cannot match. */
static int hj_probe_chunk(hj_op *h, kl_error *err) {
    uint32_t n = h->probe_n;
    for (uint32_t k = 0; k < h->n_keys; k++) TRY(expr_eval(h->lkeys[k], h->probe, n, &h->key_vecs[k], err));
    if (h->n_groups == 0) {
        for (uint32_t i = 0; i < n; i++) h->gids[i] = HJ_NONE;
    } else {
        ht_find(h->ht, h->key_vecs, n, h->gids);
        uint8_t *none = h->probe_matched; /* reset below before it is used as flags */
        if (hj_null_keys(h->key_vecs, h->n_keys, n, none))
            for (uint32_t i = 0; i < n; i++)
                if (none[i]) h->gids[i] = HJ_NONE;
        /* a group whose build rows all had NULL keys is empty */
        for (uint32_t i = 0; i < n; i++) {
            uint32_t g = h->gids[i];
            if (g != HJ_NONE && h->off[g] == h->off[g + 1]) h->gids[i] = HJ_NONE;
        }
    }
    memset(h->probe_matched, 0, n);
    return 0;
}

/* Fill cand_l/cand_r with up to KL_CHUNK_ROWS (probe row, build row) pairs from the cursor.
 * SEMI/ANTI skip probe rows already known to match. Returns the number of pairs. */
static uint32_t hj_expand(hj_op *h) {
    uint32_t n = 0, row = h->cur_row, pos = h->cur_pos;
    bool skip_matched = hj_is_semi_anti(h);
    const uint32_t *off = h->off, *rows = h->rows, *gids = h->gids;
    if (h->unique && !skip_matched) {
        /* Unique build keys (the fact x dimension case): at most one pair per probe row,
         * so the whole chunk fits one batch; a branch-free compaction. */
        for (; row < h->probe_n; row++) {
            uint32_t g = gids[row];
            h->cand_l[n] = row;
            h->cand_r[n] = g == HJ_NONE ? 0 : rows[off[g]];
            n += g != HJ_NONE;
        }
        h->cur_row = row;
        h->cur_pos = 0;
        return n;
    }
    while (row < h->probe_n && n < KL_CHUNK_ROWS) {
        uint32_t g = gids[row];
        if (g == HJ_NONE || (skip_matched && h->probe_matched[row])) {
            row++;
            pos = 0;
            continue;
        }
        uint32_t b = off[g] + pos, e = off[g + 1];
        uint32_t take = KL_MIN(e - b, KL_CHUNK_ROWS - n);
        for (uint32_t k = 0; k < take; k++) {
            h->cand_l[n + k] = row;
            h->cand_r[n + k] = rows[b + k];
        }
        n += take;
        if (b + take == e) {
            row++;
            pos = 0;
        } else {
            pos += take;
        }
    }
    h->cur_row = row;
    h->cur_pos = pos;
    return n;
}

/* Gather the n candidate pairs into `dst` (left columns then right columns). */
static void hj_gather_pairs(hj_op *h, kl_chunk *dst, uint32_t n) {
    for (uint32_t c = 0; c < h->nl; c++) vec_gather(&dst->cols[c], &h->probe->cols[c], h->cand_l, n);
    for (uint32_t c = 0; c < h->nr; c++) hj_gather_build(&dst->cols[h->nl + c], h->build, c, h->cand_r, n);
    dst->n_rows = n;
}

/* Evaluate the residual over dst's n rows; sel gets the passing rows, *m their count. */
static int hj_eval_residual(hj_op *h, kl_chunk *dst, uint32_t n, uint32_t *m, kl_error *err) {
    kl_vec *p;
    TRY(expr_eval(h->residual, dst, n, &p, err));
    uint32_t k = 0;
    if (p->type == KILN_TYPE_BOOLEAN) {
        const uint8_t *b = VEC_U8(p);
        if (p->has_nulls) {
            for (uint32_t i = 0; i < n; i++) {
                h->sel[k] = i;
                k += b[i] && !p->nulls[i];
            }
        } else {
            for (uint32_t i = 0; i < n; i++) {
                h->sel[k] = i;
                k += b[i] != 0;
            }
        }
    }
    *m = k;
    return 0;
}

/* One batch of pairs; *ready (with *out set) when it produced output rows. */
static int hj_match_batch(hj_op *h, kl_chunk **out, bool *ready, kl_error *err) {
    kl_op *op = &h->base;
    *ready = false;
    uint32_t n = hj_expand(h);
    if (n == 0) {
        h->phase = HJ_FINISH_CHUNK;
        return 0;
    }
    bool semi_anti = hj_is_semi_anti(h);
    kl_chunk *dst = semi_anti ? &h->cand : &op->out;
    chunk_reset(dst);
    hj_gather_pairs(h, dst, n);
    if (!h->residual) { /* only INNER/LEFT/RIGHT/FULL get here: SEMI/ANTI need no pairs */
        if (hj_keeps_right(h))
            for (uint32_t i = 0; i < n; i++) h->matched[h->cand_r[i]] = 1;
        *out = dst;
        *ready = true;
        return 0;
    }
    uint32_t m;
    TRY(hj_eval_residual(h, dst, n, &m, err));
    for (uint32_t i = 0; i < m; i++) h->probe_matched[h->cand_l[h->sel[i]]] = 1;
    if (semi_anti || m == 0) return 0;
    if (hj_keeps_right(h))
        for (uint32_t i = 0; i < m; i++) h->matched[h->cand_r[h->sel[i]]] = 1;
    if (m < n)
        for (uint32_t c = 0; c < op->n_cols; c++) hj_compact(&dst->cols[c], h->sel, m);
    dst->n_rows = m;
    *out = dst;
    *ready = true;
    return 0;
}

/* After a probe chunk's pairs: LEFT/FULL unmatched rows, SEMI/ANTI selected rows. */
static bool hj_finish_chunk(hj_op *h, kl_chunk **out) {
    kl_op *op = &h->base;
    if (!hj_keeps_left(h) && !hj_is_semi_anti(h)) return false;
    /* Without a residual a row matched iff it has a non-empty group. */
    uint8_t want = h->type == KL_JOIN_SEMI;
    uint32_t n = h->probe_n, m = 0;
    if (h->residual) {
        for (uint32_t i = 0; i < n; i++) {
            h->sel[m] = i;
            m += h->probe_matched[i] == want;
        }
    } else {
        for (uint32_t i = 0; i < n; i++) {
            h->sel[m] = i;
            m += (h->gids[i] != HJ_NONE) == want;
        }
    }
    if (m == 0) return false;
    chunk_reset(&op->out);
    for (uint32_t c = 0; c < h->nl; c++) vec_gather(&op->out.cols[c], &h->probe->cols[c], h->sel, m);
    if (!hj_is_semi_anti(h))
        for (uint32_t c = 0; c < h->nr; c++) hj_set_all_null(&op->out.cols[h->nl + c], m);
    op->out.n_rows = m;
    *out = &op->out;
    return true;
}

/* RIGHT/FULL after the probe side: the next chunk of never-matched build rows. */
static bool hj_tail(hj_op *h, kl_chunk **out) {
    kl_op *op = &h->base;
    uint32_t m = 0;
    uint64_t r = h->tail_pos;
    for (; r < h->n_build && m < KL_CHUNK_ROWS; r++) {
        h->cand_r[m] = (uint32_t)r;
        m += !h->matched[r];
    }
    h->tail_pos = r;
    if (m == 0) return false;
    chunk_reset(&op->out);
    for (uint32_t c = 0; c < h->nl; c++) hj_set_all_null(&op->out.cols[c], m);
    for (uint32_t c = 0; c < h->nr; c++) hj_gather_build(&op->out.cols[h->nl + c], h->build, c, h->cand_r, m);
    op->out.n_rows = m;
    *out = &op->out;
    return true;
}

static int hj_next(kl_op *op, kl_chunk **out, kl_error *err) {
    hj_op *h = (hj_op *)op;
    if (h->type_error)
        return kl_err(err, KILN_ERR_INTERNAL, "hash join: key types of the two sides differ");
    if (!h->built) TRY(hj_build(h, err));
    for (;;) {
        switch (h->phase) {
        case HJ_PULL: {
            kl_chunk *in;
            TRY(op_next(op->child, &in, err));
            if (in->n_rows == 0) {
                h->phase = hj_keeps_right(h) ? HJ_TAIL : HJ_DONE;
                break;
            }
            h->probe = in;
            h->probe_n = in->n_rows;
            h->cur_row = h->cur_pos = 0;
            TRY(hj_probe_chunk(h, err));
            /* SEMI/ANTI without residual decide from the group ids alone */
            h->phase = (hj_is_semi_anti(h) && !h->residual) ? HJ_FINISH_CHUNK : HJ_MATCH;
            break;
        }
        case HJ_MATCH: {
            bool ready;
            TRY(hj_match_batch(h, out, &ready, err));
            if (ready) return 0;
            break;
        }
        case HJ_FINISH_CHUNK:
            h->phase = HJ_PULL;
            if (hj_finish_chunk(h, out)) return 0;
            break;
        case HJ_TAIL:
            if (hj_tail(h, out)) return 0;
            h->phase = HJ_DONE;
            break;
        case HJ_DONE:
        default:
            chunk_reset(&op->out);
            *out = &op->out;
            return 0;
        }
    }
}

static void hj_free(kl_op *op) {
    hj_op *h = (hj_op *)op;
    op_free(op->child);
    op_free(h->right);
    for (uint32_t k = 0; k < h->n_keys; k++) {
        if (h->lkeys) expr_free(h->lkeys[k]);
        if (h->rkeys) expr_free(h->rkeys[k]);
    }
    kl_free(h->lkeys);
    kl_free(h->rkeys);
    expr_free(h->residual);
    table_free(h->build);
    ht_free(h->ht);
    kl_free(h->off);
    kl_free(h->rows);
    kl_free(h->matched);
    kl_free(h->key_vecs);
    chunk_free(&h->cand);
    chunk_free(&op->out);
    kl_free(op->types);
    kl_free(h);
}

static const kl_op_vt hj_vt = {"HASH_JOIN", hj_next, hj_free, NULL};
static const kl_op_vt nlj_vt = {"NESTED_LOOP_JOIN", hj_next, hj_free, NULL};

/* Shared constructor; n_keys == 0 is the nested-loop join. */
static kl_op *hj_create(const kl_op_vt *vt, kl_op *left, kl_op *right, kl_join_type type,
                        kl_expr **lkeys, kl_expr **rkeys, uint32_t n_keys, kl_expr *residual) {
    hj_op *h = kl_calloc(1, sizeof *h);
    if (!h) {
        op_free(left);
        op_free(right);
        for (uint32_t k = 0; k < n_keys; k++) {
            if (lkeys) expr_free(lkeys[k]);
            if (rkeys) expr_free(rkeys[k]);
        }
        kl_free(lkeys);
        kl_free(rkeys);
        expr_free(residual);
        return NULL;
    }
    h->base.vt = vt;
    h->base.child = left;
    h->right = right;
    h->type = type;
    h->lkeys = lkeys;
    h->rkeys = rkeys;
    h->n_keys = n_keys;
    h->residual = residual;
    if (!left || !right) goto fail;
    h->nl = left->n_cols;
    h->nr = right->n_cols;
    uint32_t total = h->nl + h->nr;
    kl_type *all = kl_malloc((total ? total : 1) * sizeof(kl_type));
    kl_type *ktypes = kl_malloc((n_keys ? n_keys : 1) * sizeof(kl_type));
    char **names = kl_calloc(h->nr ? h->nr : 1, sizeof(char *));
    h->key_vecs = kl_calloc(n_keys ? n_keys : 1, sizeof(kl_vec *));
    if (!all || !ktypes || !names || !h->key_vecs) goto fail_tmp;
    if (h->nl) memcpy(all, left->types, h->nl * sizeof(kl_type));
    if (h->nr) memcpy(all + h->nl, right->types, h->nr * sizeof(kl_type));
    for (uint32_t k = 0; k < n_keys; k++) {
        kl_type lt = lkeys[k]->type, rt = rkeys[k]->type;
        ktypes[k] = rt;
        if (lt != rt && lt != KILN_TYPE_NULL && rt != KILN_TYPE_NULL) h->type_error = true;
    }
    h->ht = ht_create(ktypes, n_keys);
    /* SEMI/ANTI read build columns only through the residual. */
    uint32_t stored = (hj_is_semi_anti(h) && !residual) ? 0 : h->nr;
    for (uint32_t c = 0; c < stored; c++) names[c] = "";
    h->build = table_create(NULL, stored, names, right->types);
    uint32_t n_out = hj_is_semi_anti(h) ? h->nl : total;
    h->base.n_cols = n_out;
    h->base.types = kl_malloc((n_out ? n_out : 1) * sizeof(kl_type));
    if (!h->ht || !h->build || !h->base.types) goto fail_tmp;
    if (n_out) memcpy(h->base.types, all, n_out * sizeof(kl_type));
    if (chunk_init(&h->base.out, all, n_out, KL_CHUNK_ROWS)) goto fail_tmp;
    if (hj_is_semi_anti(h) && residual && chunk_init(&h->cand, all, total, KL_CHUNK_ROWS)) goto fail_tmp;
    kl_free(all);
    kl_free(ktypes);
    kl_free(names);
    return &h->base;
fail_tmp:
    kl_free(all);
    kl_free(ktypes);
    kl_free(names);
fail:
    hj_free(&h->base);
    return NULL;
}

kl_op *op_hash_join(kl_op *left, kl_op *right, kl_join_type type, kl_expr **left_keys,
                    kl_expr **right_keys, uint32_t n_keys, kl_expr *residual) {
    return hj_create(&hj_vt, left, right, type, left_keys, right_keys, n_keys, residual);
}

kl_op *op_nested_loop_join(kl_op *left, kl_op *right, kl_join_type type, kl_expr *cond) {
    return hj_create(&nlj_vt, left, right, type, NULL, NULL, 0, cond);
}
