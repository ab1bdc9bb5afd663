/*
 * operator.h — physical operators. A query plan is a tree of operators; the root is pulled
 * with op_next() until it returns a chunk with n_rows == 0.
 *
 * Contract: the chunk returned by op_next() belongs to the operator and is valid until the
 * next op_next() or op_free() on it. Blocking operators (hash aggregate, sort, distinct's
 * table) copy what they keep. Each operator owns its children and its expressions.
 *
 * Operators: table scan, CSV scan, VALUES, one-row "dual", filter, projection, hash
 * aggregate (group keys + aggregate states through the kl_agg_def vtable), sort, limit,
 * distinct. Parallel execution (issue: speed) will instantiate pipelines per worker over
 * morsels; the aggregate vtable's combine() is already what merging per-thread tables needs.
 */
#ifndef KL_OPERATOR_H
#define KL_OPERATOR_H

#include "exec/expr.h"
#include "exec/table.h"
#include "io/csv.h"

typedef struct kl_op kl_op;

typedef struct kl_op_vt {
    const char *name;
    int (*next)(kl_op *op, kl_chunk **out, kl_error *err);
    void (*free)(kl_op *op);
    /* Another instance of this pipeline for another thread: sources share their morsel
       dispenser with the original, streaming operators clone their expressions. NULL (or a
       NULL result) when the operator cannot run in parallel copies. Only called before the
       first op_next of the original. */
    kl_op *(*clone)(kl_op *op);
} kl_op_vt;

struct kl_op {
    const kl_op_vt *vt;
    uint32_t n_cols;
    kl_type *types; /* owned */
    kl_op *child;   /* owned (NULL for sources) */
    kl_chunk out;   /* output chunk (unused by pass-through sources) */
};

/** One bound aggregate call: function, context and argument expressions (owned). */
typedef struct kl_agg_call {
    const kl_agg_def *def;
    kl_fn_ctx ctx;
    kl_type ret_type;
    size_t state_size;
    kl_expr **args;
    int n_args;
    bool borrowed; /* a clone: ctx.bind_data belongs to the original, which outlives it */
} kl_agg_call;

int op_next(kl_op *op, kl_chunk **out, kl_error *err);
void op_free(kl_op *op);
/** A parallel copy of the pipeline rooted at op, or NULL if it has a non-cloneable part. */
kl_op *op_clone(kl_op *op);
/**
 * Pull a cloneable pipeline on up to `threads` threads into t (same column types), in source
 * order (chunk->seq). *done is false (and nothing is read) when op cannot be cloned. Takes
 * nothing: op stays owned by the caller, its copies are freed here.
 */
int op_collect_parallel(kl_op *op, int threads, kl_table *t, bool *done, kl_error *err);
/** Materialize child in parallel (op_collect_parallel) on the first pull, then stream it; for
 *  the input of blocking operators. Returns child itself when threads < 2. */
kl_op *op_gather(kl_op *child, int threads);
/** If op is a gather that was never pulled: free it and return its child; else op itself. */
kl_op *op_gather_unwrap(kl_op *op);
/** True if op is a gather that was never pulled. */
bool op_is_gather(const kl_op *op);
/** If op is a projection: the expression of output column col (owned by op); else NULL. */
kl_expr *op_project_expr(const kl_op *op, uint32_t col);
/** A copy of an aggregate call with cloned argument expressions; 0 or KILN_ERR_MEMORY. */
int agg_call_clone(const kl_agg_call *src, kl_agg_call *dst);
/** A one-line description of the tree for EXPLAIN (appended, indented by depth). */
int op_explain(const kl_op *op, int depth, kl_buf *out);

/* Sources. The table scan does not own the table. */
kl_op *op_scan_table(const kl_table *t);
kl_op *op_scan_csv(kl_csv *rd); /* owns rd */
kl_op *op_dual(void);
/** VALUES: rows[r][c] constant expressions already cast to types[c] (owned). */
kl_op *op_values(kl_expr ***rows, uint32_t n_rows, uint32_t n_cols, const kl_type *types);

/** range(start, stop, step): BIGINT values start, start+step, ... before stop (step != 0). */
kl_op *op_range(int64_t start, int64_t stop, int64_t step);

/* Transforms; each takes ownership of child and expressions (also on failure). */
kl_op *op_filter(kl_op *child, kl_expr *pred);
kl_op *op_project(kl_op *child, kl_expr **exprs, uint32_t n_exprs);
/**
 * Hash aggregate: output columns are the n_keys group keys followed by one column per
 * aggregate. With n_keys == 0 it produces exactly one row (even for empty input).
 */
kl_op *op_hash_agg(kl_op *child, kl_expr **keys, uint32_t n_keys, kl_agg_call *aggs,
                   uint32_t n_aggs);
/** Use up to `threads` threads for the aggregate's input (parallel copies of the child
 *  pipeline, thread-local tables merged with the aggregates' combine()). */
void op_hash_agg_set_threads(kl_op *op, int threads);
/** Sort by key expressions; desc[i], nulls_first[i] per key. Output = child's columns. */
kl_op *op_sort(kl_op *child, kl_expr **keys, const bool *desc, const bool *nulls_first,
               uint32_t n_keys);
/** Only the first top_n rows of the sort will be read (a LIMIT above it): it may drop others. */
void op_sort_set_limit(kl_op *op, uint64_t top_n);
/** Sort with up to `threads` threads (parallel runs, k-way merge, parallel output); the result
 *  is the same for any thread count. */
void op_sort_set_threads(kl_op *op, int threads);
/** If op is a sort: its key expressions (owned by op), directions and NULL placement; else NULL. */
kl_expr *const *op_sort_keys(const kl_op *op, const bool **desc, const bool **nulls_first, uint32_t *n_keys);
kl_op *op_limit(kl_op *child, int64_t limit /* -1 = none */, int64_t offset);
kl_op *op_distinct(kl_op *child);

/** Free an aggregate call's expressions and bind data (for error paths before op_hash_agg). */
void agg_call_clear(kl_agg_call *a);

#endif /* KL_OPERATOR_H */
