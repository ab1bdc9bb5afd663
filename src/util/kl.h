/*
 * kl.h — what every kiln source file includes: the error record and its two macros, the
 * one counting allocator, arenas, and growable byte buffers.
 *
 * Errors: fallible functions return int (0 = ok, else a KILN_ERR_* code) and take a
 * caller-owned kl_error *err that may be NULL. kl_err() fills it (first error wins) and
 * returns the code, so `return kl_err(err, KILN_ERR_IO, "cannot open %s", path);` is the
 * idiom. TRY(x) propagates a non-zero status; FAIL_IF(cond, err, code, fmt, ...) fails.
 *
 * Memory: all heap traffic goes through kl_malloc/kl_realloc/kl_free, which count bytes in
 * use (globally, atomically). kl_mem_set_limit() sets the limit enforced there; a failing
 * allocation returns NULL and callers turn it into KILN_ERR_MEMORY. kl_mem_fail_after(n)
 * makes the n-th next allocation fail (fault injection in tests).
 *
 * Arenas: kl_arena hands out memory from large blocks and frees it all at once; used for
 * AST nodes, plans and string heaps of vectors. Ownership: whoever inits an arena frees it.
 */
#ifndef KL_H
#define KL_H

#include "kiln.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef kiln_error kl_error;
typedef kiln_type kl_type;

/* MODEL values (stored like VARCHAR: their bytes are the model's JSON text) carry the type
   their predict() returns, so that predict() binds to it: KL_MODEL_OF(t) for a value type t
   (BIGINT, DOUBLE, VARCHAR, BOOLEAN, DATE, TIMESTAMP); KILN_TYPE_MODEL when unknown (a model
   read back from text). These internal codes lie above KILN_TYPE__COUNT; the public API
   reports all of them as KILN_TYPE_MODEL (kl_type_public). */
#define KL_MODEL_OF(t) ((kl_type)(KILN_TYPE__COUNT + (unsigned)(t)))
static inline bool kl_type_is_model(kl_type t) {
    return t == KILN_TYPE_MODEL || ((unsigned)t > KILN_TYPE__COUNT && (unsigned)t < 2u * KILN_TYPE__COUNT);
}
/** The type predict() of a model of type t returns; KILN_TYPE_NULL when unknown. */
static inline kl_type kl_model_predicts(kl_type t) {
    return t == KILN_TYPE_MODEL ? KILN_TYPE_NULL : (kl_type)((unsigned)t - KILN_TYPE__COUNT);
}
/** Stored as kl_str {ptr, len} with bytes in an arena: VARCHAR and MODEL. */
static inline bool kl_type_is_string(kl_type t) { return t == KILN_TYPE_VARCHAR || kl_type_is_model(t); }
static inline kl_type kl_type_public(kl_type t) { return kl_type_is_model(t) ? KILN_TYPE_MODEL : t; }

#define KL_UNUSED(x) ((void)(x))
#define KL_LIKELY(x) __builtin_expect(!!(x), 1)
#define KL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define KL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define KL_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- errors ------------------------------------------------------------------------- */

/** Set err (if not NULL and not already set) and return code. */
int kl_err(kl_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Same, with an SQL byte offset. */
int kl_err_at(kl_error *err, int code, long sql_offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Same, with a data position (file, 1-based line, 1-based column; 0 = unknown). */
int kl_err_data(kl_error *err, int code, const char *file, long line, long column, const char *fmt,
                ...) __attribute__((format(printf, 6, 7)));
/** Attach an SQL offset to an error that has none yet (binder adds positions on the way up). */
void kl_err_set_offset(kl_error *err, long sql_offset);
/** True if err is set. */
static inline bool kl_err_is_set(const kl_error *err) { return err && err->code != KILN_OK; }

#define TRY(x)                                                                                     \
    do {                                                                                           \
        int kl_try_rc_ = (x);                                                                      \
        if (KL_UNLIKELY(kl_try_rc_ != 0)) return kl_try_rc_;                                       \
    } while (0)

#define FAIL_IF(cond, err, code, ...)                                                              \
    do {                                                                                           \
        if (KL_UNLIKELY(cond)) return kl_err((err), (code), __VA_ARGS__);                          \
    } while (0)

/* ---- the counting allocator --------------------------------------------------------- */

void *kl_malloc(size_t size);
void *kl_calloc(size_t n, size_t size);
void *kl_realloc(void *ptr, size_t size);
void kl_free(void *ptr);
char *kl_strdup(const char *s);
char *kl_strndup(const char *s, size_t n);
/** Bytes currently allocated through kl_malloc and friends. */
size_t kl_mem_in_use(void);
/** Highest value of kl_mem_in_use() since start (or since kl_mem_reset_peak()). */
size_t kl_mem_peak(void);
void kl_mem_reset_peak(void);
/** Limit in bytes (0 = none). Allocations that would exceed it fail. */
void kl_mem_set_limit(size_t bytes);
size_t kl_mem_limit(void);
/** Fault injection: the n-th allocation from now fails (n >= 1); 0 disables. */
void kl_mem_fail_after(long n);
/** Parse "4GB", "512MB", "100KB", "12345" (bytes) into bytes. Returns 0 ok, -1 bad text. */
int kl_parse_size(const char *text, size_t *out);

/* ---- arenas -------------------------------------------------------------------------- */

typedef struct kl_arena_block kl_arena_block;
typedef struct kl_arena {
    kl_arena_block *head; /* current block; older blocks chained behind it */
    size_t block_size;    /* default size of new blocks */
} kl_arena;

void kl_arena_init(kl_arena *a, size_t block_size);
/** Allocate n bytes aligned to 16; NULL on out-of-memory. */
void *kl_arena_alloc(kl_arena *a, size_t n);
void *kl_arena_calloc(kl_arena *a, size_t n);
/** Move every block of src into dst (dst's current block stays current); src becomes
    empty. Pointers into src's blocks stay valid, now owned by dst. */
void kl_arena_adopt(kl_arena *dst, kl_arena *src);
/** Allocate n bytes with no alignment (string bytes: no padding waste); NULL on OOM. */
void *kl_arena_alloc_bytes(kl_arena *a, size_t n);
char *kl_arena_strndup(kl_arena *a, const char *s, size_t n);
char *kl_arena_strdup(kl_arena *a, const char *s);
/** Free every block but keep the arena usable. */
void kl_arena_reset(kl_arena *a);
void kl_arena_free(kl_arena *a);
/** Bytes held by the arena's blocks. */
size_t kl_arena_size(const kl_arena *a);

/* ---- growable byte buffer ------------------------------------------------------------ */

typedef struct kl_buf {
    char *data; /* always NUL-terminated when not NULL */
    size_t len;
    size_t cap;
} kl_buf;

/* All return 0 or KILN_ERR_MEMORY. */
int kl_buf_reserve(kl_buf *b, size_t extra);
int kl_buf_append(kl_buf *b, const void *data, size_t n);
int kl_buf_putc(kl_buf *b, char c);
int kl_buf_puts(kl_buf *b, const char *s);
int kl_buf_printf(kl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append s[0..n) as a quoted JSON string (", \ and control characters escaped). */
int kl_buf_put_json_str(kl_buf *b, const char *s, size_t n);
void kl_buf_clear(kl_buf *b);
void kl_buf_free(kl_buf *b);

/* ---- hashing ------------------------------------------------------------------------- */

/** 64-bit hash of bytes (xxh3). Stable across runs and machines. */
uint64_t kl_hash_bytes(const void *data, size_t n);
/** Hash of a 64-bit integer (a strong mixer; stable). */
static inline uint64_t kl_hash_u64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
static inline uint64_t kl_hash_combine(uint64_t a, uint64_t b) {
    return kl_hash_u64(a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2)));
}

#endif /* KL_H */
