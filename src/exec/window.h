/*
 * window.h — the window operator: f(...) OVER (PARTITION BY ... ORDER BY ... [frame]).
 *
 * The binder builds one kl_win_call per window function call and hands them, with the child
 * operator, to op_window(). The operator is blocking: it materializes its input, evaluates every
 * call, and then emits the child's rows in their original order with one extra column per call.
 *
 * Semantics follow DuckDB 1.5 / the SQL standard:
 *   - rows are grouped by the partition expressions (NULL keys form one group) and ordered inside
 *     a partition by the order expressions (desc / nulls_first per key as given: the binder
 *     passes DuckDB's default NULLS LAST); ties keep input order (stable);
 *   - "peers" are rows with equal order keys (all rows of a partition without ORDER BY);
 *   - row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag and lead ignore the frame;
 *     first_value, last_value, nth_value and aggregates use it;
 *   - KL_FRAME_DEFAULT is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW with ORDER BY (peers
 *     included), the whole partition without;
 *   - ROWS frames take any bounds; RANGE frames take UNBOUNDED / CURRENT ROW bounds, and offset
 *     bounds when there is exactly one BIGINT or DOUBLE order key.
 */
#ifndef KL_WINDOW_H
#define KL_WINDOW_H

#include "exec/operator.h"

typedef enum {
    KL_WIN_ROW_NUMBER,
    KL_WIN_RANK,
    KL_WIN_DENSE_RANK,
    KL_WIN_PERCENT_RANK,
    KL_WIN_CUME_DIST,
    KL_WIN_NTILE,
    KL_WIN_LAG,
    KL_WIN_LEAD,
    KL_WIN_FIRST_VALUE,
    KL_WIN_LAST_VALUE,
    KL_WIN_NTH_VALUE,
    KL_WIN_AGG
} kl_win_kind;

typedef enum { KL_FRAME_DEFAULT, KL_FRAME_ROWS, KL_FRAME_RANGE } kl_frame_kind;

typedef enum {
    KL_BOUND_UNBOUNDED_PRECEDING,
    KL_BOUND_PRECEDING,
    KL_BOUND_CURRENT_ROW,
    KL_BOUND_FOLLOWING,
    KL_BOUND_UNBOUNDED_FOLLOWING
} kl_bound_kind;

typedef struct kl_win_call {
    kl_win_kind kind;
    kl_type ret_type; /* BIGINT for the ranking functions and ntile, DOUBLE for percent_rank and
                         cume_dist, x's type for lag/lead/first/last/nth_value, agg.ret_type */
    /* Value arguments (owned, array kl_malloc'ed): lag/lead(x [, offset [, default]]) with offset
       a BIGINT expression (default 1; negative swaps lag and lead; NULL gives NULL) and default
       an expression of x's type (default NULL); ntile(n) with n BIGINT; first_value(x);
       last_value(x); nth_value(x, n) with n BIGINT. Evaluated per row. */
    kl_expr **args;
    int n_args;
    kl_agg_call agg; /* KL_WIN_AGG: bound aggregate; count(*) is "count_star" with 0 args */
    kl_expr **partition; /* owned */
    uint32_t n_partition;
    kl_expr **order; /* owned */
    bool *desc;        /* n_order entries, kl_malloc'ed, owned */
    bool *nulls_first; /* n_order entries, kl_malloc'ed, owned */
    uint32_t n_order;
    kl_frame_kind frame;
    kl_bound_kind start, end;
    int64_t start_offset, end_offset; /* for PRECEDING / FOLLOWING bounds (>= 0) */
} kl_win_call;

/**
 * Output = the child's columns followed by one column per call (type ret_type), rows in the
 * child's order. Takes ownership of child and of calls (the array, kl_malloc'ed by the caller,
 * and everything inside), also on failure. NULL on out-of-memory. Errors in the arguments
 * (ntile(0), unsupported frames) are reported by the first op_next().
 */
kl_op *op_window(kl_op *child, kl_win_call *calls, uint32_t n_calls);

/** Evaluate with up to `threads` threads: partitions are sorted and evaluated in parallel (a
 *  partition of WIN_PAR_SORT rows or more is sorted by all threads); results are the same for
 *  any thread count. Call before the first op_next(). */
void op_window_set_threads(kl_op *op, int threads);

/** If op is a window operator (not yet pulled): its calls, their number and the number of
 *  child columns (output column n_child + i is call i); NULL otherwise. */
const kl_win_call *op_window_calls(const kl_op *op, uint32_t *n_calls, uint32_t *n_child);
/** Free a window operator that was never pulled, handing its child and its calls (array and
 *  contents) to the caller. */
kl_op *op_window_dismantle(kl_op *op, kl_win_call **calls, uint32_t *n_calls);

/** Free the expressions, arrays and aggregate bind data of one call (binder error paths). */
void win_call_clear(kl_win_call *c);

#endif /* KL_WINDOW_H */
