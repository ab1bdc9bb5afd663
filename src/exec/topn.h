/*
 * topn.h — top-k rows per partition (top-N window elimination), see topn.c.
 */
#ifndef KL_TOPN_H
#define KL_TOPN_H

#include "exec/operator.h"

/**
 * Called with the plan `*op` and the predicate of a filter about to be put on top of it: when a
 * conjunct is `rn <= k` (or `rn < k+1`, `rn = 1`) with 1 <= k <= 64, and rn is, through plain
 * column projections, the only call of a window operator and that call is row_number(), the
 * window operator is replaced in place by a TOPN_WINDOW operator that keeps only the rows
 * numbered <= k (same columns). The filter is still to be applied. `threads`: worker threads.
 * Returns 0, or KILN_ERR_MEMORY (then a child slot inside *op may be NULL: the caller frees *op
 * and fails).
 */
int op_topn_rewrite(kl_op **op, const kl_expr *pred, int threads);

/**
 * ORDER BY ... LIMIT n with a parallel input: when `sort` is a sort operator (not yet pulled)
 * reading through a gather and n <= 65536, the gather is replaced by per-thread top-n heaps
 * (TOPN_WINDOW without partitions, ties by input position like the sort), so only the n best
 * rows reach the sort. Returns 0 (also when not applicable) or KILN_ERR_MEMORY (then sort's
 * child may be NULL: the caller frees the sort and fails).
 */
int op_topn_below_sort(kl_op *sort, uint64_t n, int threads);

#endif /* KL_TOPN_H */
