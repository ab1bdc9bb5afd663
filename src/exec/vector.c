/*
 * vector.c — column vectors and chunks (see vector.h for the storage and lifetime rules).
 *
 * vec_init allocates cap values and cap NULL bytes up front, so kernels write without bounds
 * checks. String bytes created for a vector go to its own arena (`heap`); vec_reset empties
 * that arena, which is why a chunk is only valid until its producer is called again.
 */
#include "exec/vector.h"

#include "util/textconv.h"

size_t kl_type_size(kl_type t) {
    if (kl_type_is_model(t)) return sizeof(kl_str);
    switch (t) {
    case KILN_TYPE_BOOLEAN: return 1;
    case KILN_TYPE_BIGINT: return 8;
    case KILN_TYPE_DOUBLE: return 8;
    case KILN_TYPE_VARCHAR: return sizeof(kl_str);
    case KILN_TYPE_DATE: return 4;
    case KILN_TYPE_TIMESTAMP: return 8;
    case KILN_TYPE_INTERVAL: return sizeof(kl_interval);
    default: return 0;
    }
}

int vec_init(kl_vec *v, kl_type type, uint32_t cap) {
    memset(v, 0, sizeof *v);
    v->type = type;
    v->cap = cap;
    kl_arena_init(&v->heap, 16 * 1024);
    v->nulls = kl_calloc(cap ? cap : 1, 1);
    if (!v->nulls) return KILN_ERR_MEMORY;
    size_t sz = kl_type_size(type);
    if (sz) {
        /* not zeroed: rows are written before they are read, and NULL rows are never read */
        v->data = kl_malloc((size_t)(cap ? cap : 1) * sz);
        if (!v->data) {
            kl_free(v->nulls);
            v->nulls = NULL;
            return KILN_ERR_MEMORY;
        }
    }
    if (type == KILN_TYPE_NULL) {
        memset(v->nulls, 1, cap);
        v->has_nulls = cap > 0;
    }
    return 0;
}

void vec_free(kl_vec *v) {
    if (!v) return;
    kl_free(v->nulls);
    kl_free(v->data);
    kl_arena_free(&v->heap);
    v->nulls = NULL;
    v->data = NULL;
}

void vec_reset(kl_vec *v) {
    kl_arena_reset(&v->heap);
    if (v->type == KILN_TYPE_NULL) {
        memset(v->nulls, 1, v->cap);
        v->has_nulls = v->cap > 0;
        return;
    }
    if (v->has_nulls) memset(v->nulls, 0, v->cap);
    v->has_nulls = false;
}

int vec_retype(kl_vec *v, kl_type type) {
    if (v->type == type) {
        vec_reset(v);
        return 0;
    }
    uint32_t cap = v->cap;
    vec_free(v);
    return vec_init(v, type, cap);
}

void vec_clear_nulls(kl_vec *v, uint32_t n) {
    if (v->has_nulls) memset(v->nulls, 0, n);
    if (n >= v->cap) v->has_nulls = false;
}

int vec_set_string(kl_vec *v, uint32_t row, const char *s, size_t len) {
    char *p = kl_arena_alloc_bytes(&v->heap, len + 1);
    if (!p) return KILN_ERR_MEMORY;
    memcpy(p, s, len);
    p[len] = '\0';
    VEC_STR(v)[row] = (kl_str){p, (uint32_t)len};
    v->nulls[row] = 0;
    return 0;
}

int vec_copy_row(kl_vec *dst, uint32_t dst_row, const kl_vec *src, uint32_t src_row) {
    if (src->nulls[src_row]) {
        vec_set_null(dst, dst_row);
        return 0;
    }
    dst->nulls[dst_row] = 0;
    switch (kl_type_is_string(dst->type) ? KILN_TYPE_VARCHAR : dst->type) {
    case KILN_TYPE_VARCHAR: {
        kl_str s = VEC_STR(src)[src_row];
        return vec_set_string(dst, dst_row, s.ptr, s.len);
    }
    case KILN_TYPE_NULL: return 0;
    case KILN_TYPE_BIGINT:
    case KILN_TYPE_TIMESTAMP:
    case KILN_TYPE_DOUBLE: /* fixed sizes: a move, not a memcpy call */
        memcpy((char *)dst->data + (size_t)dst_row * 8, (const char *)src->data + (size_t)src_row * 8, 8);
        return 0;
    default: {
        size_t sz = kl_type_size(dst->type);
        memcpy((char *)dst->data + (size_t)dst_row * sz, (const char *)src->data + (size_t)src_row * sz,
               sz);
        return 0;
    }
    }
}

void vec_ref_rows(kl_vec *dst, const kl_vec *src, uint32_t n) {
    size_t sz = kl_type_size(src->type);
    if (sz) memcpy(dst->data, src->data, (size_t)n * sz);
    memcpy(dst->nulls, src->nulls, n);
    dst->has_nulls = src->has_nulls;
}

int chunk_init(kl_chunk *c, const kl_type *types, uint32_t n_cols, uint32_t cap) {
    memset(c, 0, sizeof *c);
    c->cap = cap;
    c->n_cols = n_cols;
    c->cols = kl_calloc(n_cols ? n_cols : 1, sizeof(kl_vec));
    if (!c->cols) return KILN_ERR_MEMORY;
    for (uint32_t i = 0; i < n_cols; i++) {
        if (vec_init(&c->cols[i], types[i], cap)) {
            c->n_cols = i;
            chunk_free(c);
            return KILN_ERR_MEMORY;
        }
    }
    return 0;
}

void chunk_free(kl_chunk *c) {
    if (!c || !c->cols) return;
    for (uint32_t i = 0; i < c->n_cols; i++) vec_free(&c->cols[i]);
    kl_free(c->cols);
    c->cols = NULL;
    c->n_cols = 0;
    c->n_rows = 0;
}

kl_chunk *chunk_adopt(kl_chunk *src) {
    kl_chunk *c = kl_malloc(sizeof *c);
    if (!c) return NULL;
    *c = *src;
    c->adoptable = false;
    src->cols = NULL;
    src->n_cols = 0;
    src->n_rows = 0;
    return c;
}

void chunk_reset(kl_chunk *c) {
    c->n_rows = 0;
    for (uint32_t i = 0; i < c->n_cols; i++) vec_reset(&c->cols[i]);
}

bool vec_format_value(const kl_vec *v, uint32_t row, kl_buf *out) {
    if (v->type == KILN_TYPE_NULL || v->nulls[row]) return false;
    char tmp[96];
    size_t n = 0;
    switch (kl_type_is_string(v->type) ? KILN_TYPE_VARCHAR : v->type) {
    case KILN_TYPE_BOOLEAN:
        kl_buf_puts(out, VEC_U8(v)[row] ? "true" : "false");
        return true;
    case KILN_TYPE_BIGINT: n = kl_format_int64(VEC_I64(v)[row], tmp); break;
    case KILN_TYPE_DOUBLE: n = kl_format_double(VEC_F64(v)[row], tmp); break;
    case KILN_TYPE_DATE: n = kl_format_date(VEC_I32(v)[row], tmp); break;
    case KILN_TYPE_TIMESTAMP: n = kl_format_timestamp(VEC_I64(v)[row], tmp); break;
    case KILN_TYPE_INTERVAL: n = kl_format_interval(VEC_IV(v)[row], tmp); break;
    case KILN_TYPE_VARCHAR: {
        kl_str s = VEC_STR(v)[row];
        kl_buf_append(out, s.ptr, s.len);
        return true;
    }
    default: return false;
    }
    kl_buf_append(out, tmp, n);
    return true;
}

int vec_copy_rows(kl_vec *dst, uint32_t dst_off, const kl_vec *src, uint32_t src_off, uint32_t n) {
    if (dst->type == KILN_TYPE_NULL) return 0;
    if (src->type == KILN_TYPE_NULL) {
        memset(dst->nulls + dst_off, 1, n);
        dst->has_nulls = dst->has_nulls || n > 0;
        return 0;
    }
    memcpy(dst->nulls + dst_off, src->nulls + src_off, n);
    if (src->has_nulls) dst->has_nulls = true;
    if (!kl_type_is_string(dst->type)) {
        size_t sz = kl_type_size(dst->type);
        memcpy((char *)dst->data + (size_t)dst_off * sz, (const char *)src->data + (size_t)src_off * sz,
               (size_t)n * sz);
        return 0;
    }
    const kl_str *s = VEC_STR(src) + src_off;
    kl_str *d = VEC_STR(dst) + dst_off;
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!src->nulls[src_off + i]) total += s[i].len;
    /* every string keeps a terminating NUL (kiln_result_get_varchar promises one) */
    char *p = kl_arena_alloc_bytes(&dst->heap, total + n);
    if (!p) return KILN_ERR_MEMORY;
    for (uint32_t i = 0; i < n; i++) {
        if (src->nulls[src_off + i]) {
            d[i] = (kl_str){"", 0};
            continue;
        }
        memcpy(p, s[i].ptr, s[i].len);
        p[s[i].len] = '\0';
        d[i] = (kl_str){p, s[i].len};
        p += s[i].len + 1;
    }
    return 0;
}

void vec_gather(kl_vec *dst, const kl_vec *src, const uint32_t *sel, uint32_t n) {
    bool any_null = false;
    if (src->type == KILN_TYPE_NULL) {
        memset(dst->nulls, 1, n);
        dst->has_nulls = n > 0;
        return;
    }
    if (src->has_nulls) {
        for (uint32_t i = 0; i < n; i++) {
            dst->nulls[i] = src->nulls[sel[i]];
            any_null |= dst->nulls[i];
        }
    } else if (dst->has_nulls) {
        memset(dst->nulls, 0, n);
    }
    dst->has_nulls = any_null;
    if (src->type == KILN_TYPE_INTERVAL) { /* 16 bytes like kl_str: keep it out of that case */
        for (uint32_t i = 0; i < n; i++) VEC_IV(dst)[i] = VEC_IV(src)[sel[i]];
        return;
    }
    switch (kl_type_size(src->type)) {
    case 1:
        for (uint32_t i = 0; i < n; i++) VEC_U8(dst)[i] = VEC_U8(src)[sel[i]];
        break;
    case 4:
        for (uint32_t i = 0; i < n; i++) VEC_I32(dst)[i] = VEC_I32(src)[sel[i]];
        break;
    case 8:
        for (uint32_t i = 0; i < n; i++) VEC_I64(dst)[i] = VEC_I64(src)[sel[i]];
        break;
    case sizeof(kl_str):
        for (uint32_t i = 0; i < n; i++) VEC_STR(dst)[i] = VEC_STR(src)[sel[i]];
        break;
    default: break;
    }
}

void vec_broadcast(kl_vec *dst, const kl_vec *src, uint32_t row, uint32_t n) {
    if (src->type == KILN_TYPE_NULL || src->nulls[row]) {
        memset(dst->nulls, 1, n);
        dst->has_nulls = n > 0;
        return;
    }
    if (dst->has_nulls) memset(dst->nulls, 0, n);
    dst->has_nulls = false;
    size_t sz = kl_type_size(src->type);
    const char *v = (const char *)src->data + (size_t)row * sz;
    for (uint32_t i = 0; i < n; i++) {
        char *d = (char *)dst->data + (size_t)i * sz;
        if (d != v) memcpy(d, v, sz);
    }
}
