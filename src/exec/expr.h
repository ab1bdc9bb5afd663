/*
 * expr.h — bound expressions and their vectorized evaluation.
 *
 * The binder turns AST expressions into kl_expr trees whose types are resolved and whose
 * column references are indices into the input chunk. Every node owns a result vector of
 * KL_CHUNK_ROWS rows; expr_eval(e, chunk) computes the node for all chunk rows and returns a
 * pointer to the vector holding them: for a column reference that is the input vector itself
 * (no copy), for a constant the pre-filled constant vector, otherwise the node's own result.
 * The returned vector is valid until the next expr_eval of the same node or the next call on
 * the input's producer.
 *
 * Three-valued logic: AND/OR follow SQL (FALSE AND NULL = FALSE, TRUE OR NULL = TRUE).
 * CASE evaluates every branch on the whole chunk and then picks per row; branches that would
 * raise an error only on rows they do not select are the one known limitation.
 */
#ifndef KL_EXPR_H
#define KL_EXPR_H

#include "func/func.h"

typedef enum kl_expr_kind {
    EXPR_COLUMN,   /* input column col */
    EXPR_CONST,    /* constant (value in result, filled for KL_CHUNK_ROWS rows) */
    EXPR_BINARY,   /* op (KL_OP_* arithmetic/comparison/concat) args[0], args[1] */
    EXPR_NEG,      /* -args[0] */
    EXPR_AND,      /* args[0] AND args[1] ... (n_args >= 2) */
    EXPR_OR,
    EXPR_NOT,
    EXPR_IS_NULL,  /* args[0] IS NULL (negated: IS NOT NULL) */
    EXPR_CAST,     /* CAST(args[0] AS type); try_cast */
    EXPR_FUNC,     /* scalar function fn(args) */
    EXPR_CASE,     /* args = when1, then1, ..., [else] ; has_else */
    EXPR_IN_SET    /* args[0] IN (set): set is a hash table of the values of an uncorrelated
                      subquery; NULL when not found and (args[0] is NULL or set_has_null) */
} kl_expr_kind;

typedef struct kl_expr {
    kl_expr_kind kind;
    kl_type type;
    int loc;               /* SQL offset, for errors raised while evaluating */
    uint32_t col;          /* EXPR_COLUMN */
    int op;                /* EXPR_BINARY */
    bool negated;          /* EXPR_IS_NULL */
    bool try_cast;         /* EXPR_CAST */
    bool has_else;         /* EXPR_CASE */
    struct kl_expr **args;
    int n_args;
    const kl_scalar_def *fn;
    kl_fn_ctx ctx;
    struct kl_ht *set;     /* EXPR_IN_SET: owned */
    bool set_has_null;     /* EXPR_IN_SET: the subquery produced a NULL */
    bool borrowed;         /* a clone: bind data and set belong to the original */
    kl_vec result;         /* owned: result vector (or constant) */
    kl_vec **argv;         /* scratch: evaluated argument vectors */
} kl_expr;

/** Allocate a node (result vector of `type`, KL_CHUNK_ROWS rows). NULL on OOM. */
kl_expr *expr_new(kl_expr_kind kind, kl_type type, int n_args);
/** A constant node from row `row` of vector v (copied). */
kl_expr *expr_new_const_from(const kl_vec *v, uint32_t row);
kl_expr *expr_new_const_null(kl_type type);
kl_expr *expr_new_column(uint32_t col, kl_type type);
void expr_free(kl_expr *e);
/** A deep copy with its own result vectors (for per-thread pipelines); NULL on OOM. Scalar
 *  bind data is shared with the original, which must outlive the copy. */
kl_expr *expr_clone(const kl_expr *e);
/** Evaluate on n_rows rows of `in` (in may be NULL when the expression has no column refs). */
int expr_eval(kl_expr *e, kl_chunk *in, uint32_t n_rows, kl_vec **out, kl_error *err);
/** True if the tree contains no column reference (it can be folded to a constant). */
bool expr_is_constant(const kl_expr *e);
/** Call fn on every column index in the tree (it may rewrite it). */
void expr_map_columns(kl_expr *e, void (*fn)(uint32_t *col, void *ctx), void *ctx);
/** Smallest and largest column index referenced; false if the tree references none. */
bool expr_column_range(const kl_expr *e, uint32_t *min_col, uint32_t *max_col);
/** Evaluate a constant tree and replace it by an EXPR_CONST node (frees the old tree). */
int expr_fold(kl_expr **e, kl_error *err);

#endif /* KL_EXPR_H */
