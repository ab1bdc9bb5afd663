/*
 * op_internal.h — helpers shared by the operator implementations (operators.c, hash_agg.c,
 * sort.c): the common part of every operator's construction and destruction.
 */
#ifndef KL_OP_INTERNAL_H
#define KL_OP_INTERNAL_H

#include "exec/operator.h"

/** Fill the base: vtable, child (owned), output types (copied); alloc_out: allocate op->out. */
int op_base_init(kl_op *op, const kl_op_vt *vt, kl_op *child, const kl_type *types,
                 uint32_t n_cols, bool alloc_out);
/** Grow the zero-filled array *arr of *n elements of `elem` bytes (doubling) until index idx
    fits; new elements are zero. Returns 0 or KILN_ERR_MEMORY (the array is then unchanged).
    The direct maps of the hash aggregate and the top-N window grow with it. */
int op_array_cover(void **arr, uint32_t *n, size_t elem, uint64_t idx);

/** Free the child, the output chunk and the types (not op itself). */
void op_base_free(kl_op *op);

#endif /* KL_OP_INTERNAL_H */
