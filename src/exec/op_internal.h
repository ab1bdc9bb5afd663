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
/** Free the child, the output chunk and the types (not op itself). */
void op_base_free(kl_op *op);

#endif /* KL_OP_INTERNAL_H */
