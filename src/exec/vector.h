/*
 * vector.h — typed column vectors and chunks, the unit of data every operator consumes and
 * produces.
 *
 * A vector holds up to `cap` values of one type in a flat array plus a byte-per-row NULL
 * mask (1 = NULL). A byte mask instead of a bit map keeps every kernel a simple loop that the
 * compiler vectorizes; `has_nulls` false lets kernels skip the mask entirely (the mask is
 * still kept zeroed so reading it is always correct).
 *
 * Physical storage per type:
 *   BOOLEAN   uint8_t (0/1)          BIGINT     int64_t
 *   DOUBLE    double                 VARCHAR    kl_str {ptr,len}
 *   DATE      int32_t days since 1970-01-01
 *   TIMESTAMP int64_t microseconds since 1970-01-01 00:00:00
 *   INTERVAL  kl_interval {int32 months, int32 days, int64 micros} (16 bytes, util/textconv.h)
 *   NULL      (untyped NULL) no data, every row NULL
 *
 * Strings: a kl_str points at bytes that live in some arena. A vector has its own arena
 * (`heap`) for strings it creates (vec_add_string). Operators may also copy kl_str values from
 * an input vector without copying bytes; therefore the lifetime rule is:
 *   A chunk returned by an operator is valid until the next call on that operator. Whatever is
 *   kept longer (tables, hash tables, sort buffers, results) copies string bytes into its own
 *   arena (vec_copy_rows / vec_append_rows do).
 *
 * A chunk is n_cols vectors that share a row count n_rows <= cap (KL_CHUNK_ROWS by default).
 *
 * API: vec_init / vec_free / vec_reset (n to 0, heap emptied) / vec_set_null / vec_add_string /
 * vec_copy_row / vec_append_rows; chunk_init / chunk_free / chunk_reset.
 */
#ifndef KL_VECTOR_H
#define KL_VECTOR_H

#include "util/kl.h"
#include "util/textconv.h"

#define KL_CHUNK_ROWS 2048

typedef struct kl_str {
    const char *ptr;
    uint32_t len;
} kl_str;

typedef struct kl_vec {
    kl_type type;
    uint32_t cap;   /* capacity in rows */
    bool has_nulls; /* false => every nulls[i] == 0 */
    uint8_t *nulls; /* cap bytes, 1 = NULL */
    void *data;     /* cap elements of the physical type (NULL for KILN_TYPE_NULL) */
    kl_arena heap;  /* string bytes created for this vector */
} kl_vec;

typedef struct kl_chunk {
    uint32_t n_rows;
    uint32_t n_cols;
    uint32_t cap;
    kl_vec *cols;
    uint64_t seq; /* position of the chunk in its source (morsel << 24 | chunk within it); lets
                     parallel consumers restore the source's order */
    bool adoptable; /* the consumer may take the vectors (chunk_adopt) instead of copying
                       them: they own all their data and strings and nothing else points there */
} kl_chunk;

/** Size in bytes of one value of the physical type. */
size_t kl_type_size(kl_type t);

/* Typed accessors (no checks). */
#define VEC_I64(v) ((int64_t *)(v)->data)
#define VEC_F64(v) ((double *)(v)->data)
#define VEC_I32(v) ((int32_t *)(v)->data)
#define VEC_U8(v) ((uint8_t *)(v)->data)
#define VEC_STR(v) ((kl_str *)(v)->data)
#define VEC_IV(v) ((kl_interval *)(v)->data)

int vec_init(kl_vec *v, kl_type type, uint32_t cap);
void vec_free(kl_vec *v);
/** Forget string bytes and NULLs (data is left as is). */
void vec_reset(kl_vec *v);
/** Change a vector's type (reallocating data if needed) and reset it. */
int vec_retype(kl_vec *v, kl_type type);
static inline void vec_set_null(kl_vec *v, uint32_t row) {
    v->nulls[row] = 1;
    v->has_nulls = true;
}
static inline bool vec_is_null(const kl_vec *v, uint32_t row) { return v->nulls[row] != 0; }
/** Mark rows [0, n) valid. */
void vec_clear_nulls(kl_vec *v, uint32_t n);
/** Copy bytes into this vector's heap and store the string at row. */
int vec_set_string(kl_vec *v, uint32_t row, const char *s, size_t len);
/** Copy value (and NULL flag) of src[src_row] into dst[dst_row]; string bytes are copied. */
int vec_copy_row(kl_vec *dst, uint32_t dst_row, const kl_vec *src, uint32_t src_row);
/** Copy n rows src[0..n) to dst[0..n); strings by reference (no byte copy). Same type. */
void vec_ref_rows(kl_vec *dst, const kl_vec *src, uint32_t n);

/** dst[dst_off + i] = src[src_off + i] for i < n, string bytes copied into dst's heap. */
int vec_copy_rows(kl_vec *dst, uint32_t dst_off, const kl_vec *src, uint32_t src_off, uint32_t n);
/** dst[i] = src[sel[i]] for i < n; strings by reference. */
void vec_gather(kl_vec *dst, const kl_vec *src, const uint32_t *sel, uint32_t n);
/** Fill rows [0, n) with the value of src[row] (strings by reference). */
void vec_broadcast(kl_vec *dst, const kl_vec *src, uint32_t row, uint32_t n);

int chunk_init(kl_chunk *c, const kl_type *types, uint32_t n_cols, uint32_t cap);
void chunk_free(kl_chunk *c);
/** n_rows = 0 and every vector reset. */
void chunk_reset(kl_chunk *c);
/** Move an adoptable chunk's vectors into a new heap chunk (NULL on OOM); src is left without
 *  vectors (cols == NULL) and its producer re-creates them. */
kl_chunk *chunk_adopt(kl_chunk *src);

/**
 * Format the value at row as text the way kiln prints it: "" for NULL (returns false),
 * booleans true/false, doubles in shortest round-trip form (4.25, 1e+20 as DuckDB: see
 * kl_format_double), dates YYYY-MM-DD, timestamps YYYY-MM-DD HH:MM:SS[.ffffff].
 * Appends to out. Returns true if not NULL.
 */
bool vec_format_value(const kl_vec *v, uint32_t row, kl_buf *out);

#endif /* KL_VECTOR_H */
