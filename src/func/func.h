/*
 * func.h — the function catalog: scalar functions, casts, and aggregate functions (one
 * vtable for all of them, models and holistic aggregates included).
 *
 * Binding: the binder looks a function up by lower-case name and calls its bind() with the
 * argument types. bind() chooses the result type and may rewrite arg_types[i] to the type it
 * wants argument i in; the binder then inserts CASTs where the actual type differs. A bind
 * failure returns KILN_ERR_BINDER with a message ("sqrt(VARCHAR) does not exist: ...").
 *
 * Scalar execution: fn(args, n_args, n_rows, out, err) computes out[0..n_rows) from
 * argument vectors of the bound types. out is initialised to the bound result type with
 * cap >= n_rows and nulls cleared. NULL in => NULL out unless the function says otherwise
 * (coalesce...). A function may keep per-call data in `bind_data` (set by bind, e.g. a
 * compiled LIKE pattern); it receives it back through kl_fn_ctx.
 *
 * Aggregates: a fixed-size state per group (state_size bytes, chosen at bind time); states
 * may own heap memory (median keeps a buffer of values) which destroy() frees.
 *   init(ctx, state)
 *   update(ctx, states, off, args, n_args, n_rows, err)
 *                                                    (char *)states[i] + off is the state of
 *                                                    row i's group (AGG_STATE): the caller
 *                                                    passes its per-row state rows as they are
 *   combine(ctx, dst, src)                           merge src into dst (src stays valid)
 *   finalize(ctx, state, out, row, err)              write the result into out[row]
 *   serialize(ctx, state, buf) / deserialize(ctx, state, data, len, &consumed)
 *   destroy(ctx, state)                              may be NULL when nothing to free
 * combine + serialize are what thread-local pre-aggregation, spilling, MPI shuffles and
 * checkpoints use, so every aggregate implements them.
 * count(*) is "count_star" with no arguments. count(DISTINCT x) binds to "count_distinct".
 */
#ifndef KL_FUNC_H
#define KL_FUNC_H

#include "exec/vector.h"

/* A named argument (name := value) of an aggregate call: a constant, seen by bind() only. */
typedef struct kl_fn_param {
    const char *name;       /* lower case, one of the definition's param_names */
    const kl_vec *value;    /* row 0 holds the value (NULL allowed), of the written type */
    int loc;                /* SQL offset of the value, for errors */
} kl_fn_param;

typedef struct kl_fn_ctx {
    void *bind_data;        /* whatever bind() stored (owned by the function: free_bind_data) */
    kl_type ret_type;       /* bound result type */
    kl_type arg_types[8];   /* bound argument types (first 8) */
    int n_args;
    const kl_fn_param *params; /* named arguments; valid during bind() only */
    const kl_vec *const *const_args; /* scalar bind(): per argument, its value (row 0) when it
                                        is a constant, else NULL; valid during bind() only */
    int n_params;
    int threads;            /* the session's thread count (aggregates: set before bind) */
    uint64_t seq;           /* aggregates: the source position (chunk seq) of the rows passed
                               to update(), set by the operator before each call; 0 where
                               there is none */
} kl_fn_ctx;

typedef int (*kl_scalar_bind_fn)(kl_fn_ctx *ctx, kl_type *arg_types, int n_args,
                                 kl_type *ret_type, kl_error *err);
typedef int (*kl_scalar_exec_fn)(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n_rows,
                                 kl_vec *out, kl_error *err);

typedef struct kl_scalar_def {
    const char *name;   /* lower case */
    int min_args;
    int max_args;       /* -1 = variadic */
    kl_scalar_bind_fn bind;
    kl_scalar_exec_fn exec;
    void (*free_bind_data)(void *bind_data);
    /* If true, NULL arguments are passed to exec (coalesce, concat, ...); otherwise the
       executor may rely on exec handling NULL propagation itself anyway. */
    bool handles_nulls;
    /* The result may differ between calls with the same arguments (random, setseed): never
       folded to a constant at bind time, and evaluated for every chunk. */
    bool is_volatile;
} kl_scalar_def;

typedef struct kl_agg_def {
    const char *name;
    int min_args;
    int max_args;
    int (*bind)(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret_type,
                size_t *state_size, kl_error *err);
    void (*init)(kl_fn_ctx *ctx, void *state);
    int (*update)(kl_fn_ctx *ctx, void *const *states, size_t off, kl_vec **args, int n_args,
                  uint32_t n_rows, kl_error *err);
    int (*combine)(kl_fn_ctx *ctx, void *dst, const void *src, kl_error *err);
    int (*finalize)(kl_fn_ctx *ctx, void *state, kl_vec *out, uint32_t row, kl_error *err);
    int (*serialize)(kl_fn_ctx *ctx, const void *state, kl_buf *out);
    int (*deserialize)(kl_fn_ctx *ctx, void *state, const void *data, size_t len,
                       size_t *consumed, kl_error *err);
    void (*destroy)(kl_fn_ctx *ctx, void *state);
    void (*free_bind_data)(void *bind_data);
    /* names of the named parameters (name := constant) bind() accepts, NULL-terminated;
       NULL = none. max_args counts positional arguments only. */
    const char *const *param_names;
    /* finalize() costs far more than an update (it fits a model): a parallel GROUP BY then
       hands out its groups a few at a time instead of a partition at a time */
    bool heavy_finalize;
} kl_agg_def;

/** The state of row i inside an aggregate's update(). */
#define AGG_STATE(states, off, i) ((void *)((char *)(states)[i] + (off)))

/** Look up by lower-case name; NULL if none. */
const kl_scalar_def *func_find_scalar(const char *name);
const kl_agg_def *func_find_agg(const char *name);

/**
 * Casts. func_can_cast says whether CAST(from AS to) exists. func_cast converts n rows;
 * on a value that does not convert it fails with KILN_ERR_CONVERSION naming the value and the
 * types ("Could not convert string 'abc' to BIGINT"). try_cast semantics (NULL instead of
 * error) when `try_mode`.
 */
bool func_can_cast(kl_type from, kl_type to);
int func_cast(const kl_vec *in, uint32_t n_rows, kl_vec *out, bool try_mode, kl_error *err);

/**
 * Arithmetic and comparison kernels used by the expression evaluator for operators.
 * op is one of the KL_OP_* codes below. Types are already unified by the binder with
 * func_binary_result_type (which also tells the operand types to cast to).
 * Integer overflow => KILN_ERR_OVERFLOW "Overflow in addition of BIGINT (a + b)".
 * Division by zero gives NULL (DuckDB semantics) for / // and %.
 */
enum {
    KL_OP_ADD, KL_OP_SUB, KL_OP_MUL, KL_OP_DIV, KL_OP_INTDIV, KL_OP_MOD,
    KL_OP_EQ, KL_OP_NE, KL_OP_LT, KL_OP_LE, KL_OP_GT, KL_OP_GE,
    KL_OP_CONCAT
};
/**
 * For a binary operator on (l, r): sets *operand_type (both sides are cast to it) and
 * *ret_type. Returns KILN_ERR_BINDER if no such operator ("Cannot compare VARCHAR and
 * BIGINT" / "No operator + for VARCHAR and BIGINT"). DuckDB rules: BIGINT / BIGINT -> DOUBLE,
 * // on BIGINT -> BIGINT, mixed BIGINT/DOUBLE -> DOUBLE, DATE +/- BIGINT -> DATE,
 * DATE - DATE -> BIGINT, comparisons of DATE with TIMESTAMP compare as TIMESTAMP, a VARCHAR
 * literal compared with a typed column is cast to the column type (the binder handles that
 * for literals before calling this), || on anything -> VARCHAR.
 */
int func_binary_types(int op, kl_type l, kl_type r, kl_type *l_cast, kl_type *r_cast,
                      kl_type *ret_type, kl_error *err);
/** Evaluate l op r for n rows (l, r already of the cast types); NULL in => NULL out. */
int func_binary_exec(int op, const kl_vec *l, const kl_vec *r, uint32_t n_rows, kl_vec *out,
                     kl_error *err);
/** Unary minus (BIGINT overflow on INT64_MIN is an error). */
int func_negate(const kl_vec *in, uint32_t n_rows, kl_vec *out, kl_error *err);

/** Seed random() (the process-wide generator); DuckDB's setseed range is [-1, 1]. */
void func_set_seed(double seed);

/** Total order used by ORDER BY/min/max: negative, 0, positive. NULLs handled by caller. */
int func_compare_values(kl_type type, const kl_vec *a, uint32_t ra, const kl_vec *b, uint32_t rb);

#endif /* KL_FUNC_H */
