/*
 * join.h — join and set-operation operators (exec/join.c, exec/setop.c).
 *
 * All three constructors follow operator.h's conventions: the result is a kl_op pulled with
 * op_next()/freed with op_free(); they take ownership of both children, of the expressions
 * and of the kl_malloc'ed arrays holding them (left_keys/right_keys), also on failure, and
 * return NULL on out-of-memory. A join keeps the LEFT child in base.child and the right child
 * in its own struct (op_explain, which only follows base.child, shows the probe side).
 *
 * Type mismatches the binder should have removed (key pairs of different types, set
 * operation inputs with different column types) are reported by the first op_next() as
 * KILN_ERR_INTERNAL, since constructors can only signal out-of-memory.
 */
#ifndef KL_JOIN_H
#define KL_JOIN_H

#include "exec/operator.h"

typedef enum { KL_JOIN_INNER, KL_JOIN_LEFT, KL_JOIN_RIGHT, KL_JOIN_FULL, KL_JOIN_SEMI, KL_JOIN_ANTI } kl_join_type;

/*
 * Equi hash join. BUILD side = right child (fully materialized into a table; a kl_ht maps
 * the key tuple to a group id and the build rows of each group are kept contiguous);
 * PROBE side = left child, streamed chunk by chunk. left_keys[i] are expressions over left
 * chunks, right_keys[i] over right chunks, pairwise of the SAME type (the binder casts; a
 * KILN_TYPE_NULL key on either side is accepted and never matches). NULL keys never match.
 * residual (may be NULL) is a BOOLEAN expression over the concatenated row (column c <
 * left->n_cols is left column c, else right column c - left->n_cols) that a key match must
 * also satisfy (only TRUE passes).
 * Output: INNER/LEFT/RIGHT/FULL -> left columns then right columns; unmatched rows padded
 * with NULLs (LEFT: probe rows with no match passing residual, emitted after the matches of
 * their probe chunk; RIGHT: build rows never matched, emitted after the probe side is
 * exhausted; FULL: both). SEMI/ANTI -> left columns only, each left row at most once.
 * Arrays left_keys/right_keys (may be NULL when n_keys == 0) are owned and kl_free'd.
 */
kl_op *op_hash_join(kl_op *left, kl_op *right, kl_join_type type, kl_expr **left_keys,
                    kl_expr **right_keys, uint32_t n_keys, kl_expr *residual);

/*
 * Nested-loop join (CROSS JOIN when cond == NULL, or any non-equi ON condition): right side
 * materialized; candidate (left row, right row) pairs are produced 2048 at a time and cond is
 * evaluated over the concatenated columns. Same join types and output as op_hash_join.
 */
kl_op *op_nested_loop_join(kl_op *left, kl_op *right, kl_join_type type, kl_expr *cond);

typedef enum {
    KL_SETOP_UNION_ALL,
    KL_SETOP_UNION,
    KL_SETOP_EXCEPT,
    KL_SETOP_INTERSECT,
    KL_SETOP_EXCEPT_ALL,
    KL_SETOP_INTERSECT_ALL
} kl_setop_kind;

/*
 * Set operations over two children with the same column count and types (binder casts; a
 * right column of KILN_TYPE_NULL is accepted as all-NULL). UNION ALL: left rows then right
 * rows. UNION: distinct rows of both (first appearance order). EXCEPT / INTERSECT: distinct
 * left rows not in / in the right (NULLs compare equal, SQL set semantics, like DuckDB).
 * EXCEPT ALL / INTERSECT ALL: bag semantics (a row occurring l times left and r times right
 * is emitted max(l - r, 0) / min(l, r) times). Output types = left types.
 */
kl_op *op_setop(kl_op *left, kl_op *right, kl_setop_kind kind);

#endif /* KL_JOIN_H */
