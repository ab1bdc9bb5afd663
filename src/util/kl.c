/*
 * kl.c — error records, the counting allocator, arenas, byte buffers, hashing.
 *
 * The allocator prefixes every block with a 16-byte header holding its size, so kl_free and
 * kl_realloc know what to subtract from the in-use counter without a lookup. Counters are
 * atomics: worker threads allocate concurrently. The limit check is "in_use + size > limit"
 * evaluated before the allocation; a racing pair of threads may overshoot the limit by at most
 * one allocation each, which is acceptable for a soft memory budget whose job is to trigger
 * spilling and clean errors, not to be a hard OS limit.
 *
 * Arenas allocate blocks of at least block_size bytes through kl_malloc (so arena memory is
 * counted too) and bump-allocate 16-byte aligned pieces from the newest block. A request
 * larger than a quarter block gets a block of its own, so big strings do not waste blocks.
 */
#include "util/kl.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

/* ---- errors ------------------------------------------------------------------------- */

void kiln_error_clear(kiln_error *err) {
    if (!err) return;
    err->code = KILN_OK;
    err->message[0] = '\0';
    err->sql_offset = -1;
    err->file[0] = '\0';
    err->line = 0;
    err->column = 0;
}

static int err_vset(kl_error *err, int code, const char *fmt, va_list ap) {
    if (!err || err->code != KILN_OK) return code;
    kiln_error_clear(err);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

int kl_err(kl_error *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int kl_err_at(kl_error *err, int code, long sql_offset, const char *fmt, ...) {
    bool was_set = kl_err_is_set(err);
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, code, fmt, ap);
    va_end(ap);
    if (err && !was_set) err->sql_offset = sql_offset;
    return code;
}

int kl_err_data(kl_error *err, int code, const char *file, long line, long column, const char *fmt,
                ...) {
    bool was_set = kl_err_is_set(err);
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, code, fmt, ap);
    va_end(ap);
    if (err && !was_set) {
        snprintf(err->file, sizeof err->file, "%s", file ? file : "");
        err->line = line;
        err->column = column;
    }
    return code;
}

void kl_err_set_offset(kl_error *err, long sql_offset) {
    if (err && err->code != KILN_OK && err->sql_offset < 0 && err->file[0] == '\0')
        err->sql_offset = sql_offset;
}

/* ---- allocator ----------------------------------------------------------------------- */

#define KL_HDR 16

static atomic_size_t mem_in_use;
static atomic_size_t mem_peak;
static atomic_size_t mem_limit;
static atomic_long mem_fail_countdown;

static bool mem_should_fail(void) {
    long n = atomic_load_explicit(&mem_fail_countdown, memory_order_relaxed);
    if (KL_LIKELY(n <= 0)) return false;
    return atomic_fetch_sub(&mem_fail_countdown, 1) == 1;
}

static bool mem_account(size_t size) {
    size_t limit = atomic_load_explicit(&mem_limit, memory_order_relaxed);
    size_t now = atomic_fetch_add_explicit(&mem_in_use, size, memory_order_relaxed) + size;
    if (limit && now > limit) {
        atomic_fetch_sub_explicit(&mem_in_use, size, memory_order_relaxed);
        return false;
    }
    size_t peak = atomic_load_explicit(&mem_peak, memory_order_relaxed);
    while (now > peak &&
           !atomic_compare_exchange_weak_explicit(&mem_peak, &peak, now, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
    return true;
}

void *kl_malloc(size_t size) {
    if (mem_should_fail() || size > SIZE_MAX - KL_HDR) return NULL;
    if (!mem_account(size)) return NULL;
    char *p = malloc(size + KL_HDR);
    if (!p) {
        atomic_fetch_sub_explicit(&mem_in_use, size, memory_order_relaxed);
        return NULL;
    }
    *(size_t *)p = size;
    return p + KL_HDR;
}

void *kl_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = kl_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *kl_realloc(void *ptr, size_t size) {
    if (!ptr) return kl_malloc(size);
    if (size == 0) {
        kl_free(ptr);
        return NULL;
    }
    char *base = (char *)ptr - KL_HDR;
    size_t old = *(size_t *)base;
    if (mem_should_fail() || size > SIZE_MAX - KL_HDR) return NULL;
    if (size > old && !mem_account(size - old)) return NULL;
    char *p = realloc(base, size + KL_HDR);
    if (!p) {
        if (size > old) atomic_fetch_sub_explicit(&mem_in_use, size - old, memory_order_relaxed);
        return NULL;
    }
    if (size < old) atomic_fetch_sub_explicit(&mem_in_use, old - size, memory_order_relaxed);
    *(size_t *)p = size;
    return p + KL_HDR;
}

void kl_free(void *ptr) {
    if (!ptr) return;
    char *base = (char *)ptr - KL_HDR;
    atomic_fetch_sub_explicit(&mem_in_use, *(size_t *)base, memory_order_relaxed);
    free(base);
}

char *kl_strndup(const char *s, size_t n) {
    char *p = kl_malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *kl_strdup(const char *s) { return kl_strndup(s, strlen(s)); }

size_t kl_mem_in_use(void) { return atomic_load(&mem_in_use); }
size_t kl_mem_peak(void) { return atomic_load(&mem_peak); }
void kl_mem_reset_peak(void) { atomic_store(&mem_peak, atomic_load(&mem_in_use)); }
void kl_mem_set_limit(size_t bytes) { atomic_store(&mem_limit, bytes); }
size_t kl_mem_limit(void) { return atomic_load(&mem_limit); }
void kl_mem_fail_after(long n) { atomic_store(&mem_fail_countdown, n); }

int kl_parse_size(const char *text, size_t *out) {
    const char *p = text;
    while (*p == ' ') p++;
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno || !(v >= 0) || v > 1e30) return -1; /* rejects nan and inf */
    while (*end == ' ') end++;
    double mult = 1;
    char unit[8] = {0};
    size_t n = 0;
    while (*end && *end != ' ' && n < sizeof unit - 1) unit[n++] = (char)(*end++ | 0x20);
    while (*end == ' ') end++;
    if (*end) return -1;
    if (n == 0 || !strcmp(unit, "b")) mult = 1;
    else if (!strcmp(unit, "kb") || !strcmp(unit, "k")) mult = 1e3;
    else if (!strcmp(unit, "mb") || !strcmp(unit, "m")) mult = 1e6;
    else if (!strcmp(unit, "gb") || !strcmp(unit, "g")) mult = 1e9;
    else if (!strcmp(unit, "tb") || !strcmp(unit, "t")) mult = 1e12;
    else if (!strcmp(unit, "kib")) mult = 1024.0;
    else if (!strcmp(unit, "mib")) mult = 1024.0 * 1024;
    else if (!strcmp(unit, "gib")) mult = 1024.0 * 1024 * 1024;
    else if (!strcmp(unit, "tib")) mult = 1024.0 * 1024 * 1024 * 1024;
    else return -1;
    double bytes = v * mult;
    if (bytes >= 1.8e19) return -1;
    *out = (size_t)bytes;
    return 0;
}

/* ---- arenas -------------------------------------------------------------------------- */

struct kl_arena_block {
    kl_arena_block *next;
    size_t size; /* usable bytes */
    size_t used;
    max_align_t align_[]; /* data follows, 16-byte aligned */
};

void kl_arena_init(kl_arena *a, size_t block_size) {
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
}

static kl_arena_block *arena_new_block(size_t size) {
    kl_arena_block *b = kl_malloc(sizeof(kl_arena_block) + size);
    if (!b) return NULL;
    b->size = size;
    b->used = 0;
    b->next = NULL;
    return b;
}

void *kl_arena_alloc(kl_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    kl_arena_block *h = a->head;
    /* kl_arena_alloc_bytes may have left the bump pointer unaligned */
    if (h) h->used = KL_MIN((h->used + 15) & ~(size_t)15, h->size);
    if (h && h->size - h->used >= n) {
        void *p = (char *)(h + 1) + h->used;
        h->used += n;
        return p;
    }
    if (n > a->block_size / 4) {
        /* A big piece gets a dedicated block, linked behind the head so the head keeps
           serving small requests. */
        kl_arena_block *b = arena_new_block(n);
        if (!b) return NULL;
        b->used = n;
        if (h) {
            b->next = h->next;
            h->next = b;
        } else {
            a->head = b;
        }
        return b + 1;
    }
    kl_arena_block *b = arena_new_block(a->block_size);
    if (!b) return NULL;
    b->next = h;
    a->head = b;
    b->used = n;
    return b + 1;
}

void *kl_arena_alloc_bytes(kl_arena *a, size_t n) {
    kl_arena_block *h = a->head;
    if (h && h->size - h->used >= n) {
        void *p = (char *)(h + 1) + h->used;
        h->used += n;
        return p;
    }
    /* Fall back to an aligned allocation (a new block); the waste is at most 15 bytes. */
    return kl_arena_alloc(a, n);
}

void kl_arena_adopt(kl_arena *dst, kl_arena *src) {
    kl_arena_block *first = src->head;
    if (!first) return;
    src->head = NULL;
    if (!dst->head) {
        dst->head = first;
        return;
    }
    kl_arena_block *last = first;
    while (last->next) last = last->next;
    last->next = dst->head->next;
    dst->head->next = first;
}

void *kl_arena_calloc(kl_arena *a, size_t n) {
    void *p = kl_arena_alloc(a, n);
    if (p) memset(p, 0, n);
    return p;
}

char *kl_arena_strndup(kl_arena *a, const char *s, size_t n) {
    char *p = kl_arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *kl_arena_strdup(kl_arena *a, const char *s) { return kl_arena_strndup(a, s, strlen(s)); }

void kl_arena_reset(kl_arena *a) {
    kl_arena_block *b = a->head;
    while (b) {
        kl_arena_block *next = b->next;
        kl_free(b);
        b = next;
    }
    a->head = NULL;
}

void kl_arena_free(kl_arena *a) { kl_arena_reset(a); }

size_t kl_arena_size(const kl_arena *a) {
    size_t n = 0;
    for (const kl_arena_block *b = a->head; b; b = b->next) n += b->size;
    return n;
}

/* ---- buffers ------------------------------------------------------------------------- */

int kl_buf_reserve(kl_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = kl_realloc(b->data, cap);
    if (!p) return KILN_ERR_MEMORY;
    b->data = p;
    b->cap = cap;
    return 0;
}

int kl_buf_append(kl_buf *b, const void *data, size_t n) {
    TRY(kl_buf_reserve(b, n));
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int kl_buf_putc(kl_buf *b, char c) {
    TRY(kl_buf_reserve(b, 1));
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return 0;
}

int kl_buf_puts(kl_buf *b, const char *s) { return kl_buf_append(b, s, strlen(s)); }

int kl_buf_printf(kl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return KILN_ERR_INTERNAL;
    TRY(kl_buf_reserve(b, (size_t)n));
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void kl_buf_clear(kl_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void kl_buf_free(kl_buf *b) {
    kl_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- hashing ------------------------------------------------------------------------- */

uint64_t kl_hash_bytes(const void *data, size_t n) { return XXH3_64bits(data, n); }

/* JSON string: ", \ and control characters escaped (\n \r \t \b \f, else \u00XX); other bytes
   (UTF-8) pass through. */
int kl_buf_put_json_str(kl_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    TRY(kl_buf_reserve(b, n + 2));
    TRY(kl_buf_putc(b, '"'));
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        TRY(kl_buf_append(b, s + start, i - start));
        start = i + 1;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        TRY(kl_buf_append(b, esc, len));
    }
    TRY(kl_buf_append(b, s + start, n - start));
    return kl_buf_putc(b, '"');
}
