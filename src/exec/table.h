/*
 * table.h — in-memory columnar tables: a list of chunks that own their data and strings.
 * Used for CREATE TABLE storage and for materialized query results (kiln_result).
 *
 * API: table_create -> table_append (deep-copies rows, filling the last chunk before starting
 * a new one) -> read chunks[i] directly -> table_free. Chunks hold KL_CHUNK_ROWS rows except
 * possibly the last, so row r is in chunk r / KL_CHUNK_ROWS.
 */
#ifndef KL_TABLE_H
#define KL_TABLE_H

#include "exec/vector.h"

typedef struct kl_table {
    char *name;         /* NULL for results */
    uint32_t n_cols;
    char **col_names;   /* owned */
    kl_type *types;     /* owned */
    kl_chunk **chunks;  /* owned */
    size_t n_chunks;
    size_t cap_chunks;
    uint64_t n_rows;
} kl_table;

/** Copies name, names and types. NULL on OOM. */
kl_table *table_create(const char *name, uint32_t n_cols, char *const *col_names,
                       const kl_type *types);
void table_free(kl_table *t);
/** Append the first n rows of src (same column types); string bytes are copied. */
int table_append(kl_table *t, const kl_chunk *src, uint32_t n, kl_error *err);
/** Append with column mapping: table column c takes src column map[c] (or NULL if -1). */
int table_append_mapped(kl_table *t, const kl_chunk *src, uint32_t n, const int *map,
                        kl_error *err);
/** Append a heap chunk (same column types) as the table's last chunk; the table owns it. */
int table_add_chunk(kl_table *t, kl_chunk *c, kl_error *err);
/** Bytes held by the table's chunks. */
size_t table_memory(const kl_table *t);

#endif /* KL_TABLE_H */
