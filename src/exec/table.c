/*
 * table.c — in-memory columnar tables (see table.h). Appends fill the last chunk up to
 * KL_CHUNK_ROWS before starting a new one, so chunk i holds rows [i*KL_CHUNK_ROWS, ...).
 */
#include "exec/table.h"

kl_table *table_create(const char *name, uint32_t n_cols, char *const *col_names,
                       const kl_type *types) {
    kl_table *t = kl_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->n_cols = n_cols;
    t->name = name ? kl_strdup(name) : NULL;
    t->col_names = kl_calloc(n_cols ? n_cols : 1, sizeof(char *));
    t->types = kl_calloc(n_cols ? n_cols : 1, sizeof(kl_type));
    if ((name && !t->name) || !t->col_names || !t->types) {
        table_free(t);
        return NULL;
    }
    for (uint32_t i = 0; i < n_cols; i++) {
        t->col_names[i] = kl_strdup(col_names[i]);
        if (!t->col_names[i]) {
            table_free(t);
            return NULL;
        }
        t->types[i] = types[i];
    }
    return t;
}

void table_free(kl_table *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_chunks; i++) {
        chunk_free(t->chunks[i]);
        kl_free(t->chunks[i]);
    }
    kl_free(t->chunks);
    if (t->col_names)
        for (uint32_t i = 0; i < t->n_cols; i++) kl_free(t->col_names[i]);
    kl_free(t->col_names);
    kl_free(t->types);
    kl_free(t->name);
    kl_free(t);
}

static int table_new_chunk(kl_table *t, kl_error *err) {
    if (t->n_chunks == t->cap_chunks) {
        size_t cap = t->cap_chunks ? t->cap_chunks * 2 : 16;
        kl_chunk **p = kl_realloc(t->chunks, cap * sizeof *p);
        if (!p) return kl_err(err, KILN_ERR_MEMORY, "out of memory growing table");
        t->chunks = p;
        t->cap_chunks = cap;
    }
    kl_chunk *c = kl_malloc(sizeof *c);
    if (!c || chunk_init(c, t->types, t->n_cols, KL_CHUNK_ROWS)) {
        kl_free(c);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory growing table");
    }
    t->chunks[t->n_chunks++] = c;
    return 0;
}

int table_append_mapped(kl_table *t, const kl_chunk *src, uint32_t n, const int *map,
                        kl_error *err) {
    uint32_t done = 0;
    while (done < n) {
        if (t->n_chunks == 0 || t->chunks[t->n_chunks - 1]->n_rows == KL_CHUNK_ROWS)
            TRY(table_new_chunk(t, err));
        kl_chunk *c = t->chunks[t->n_chunks - 1];
        uint32_t take = KL_MIN(n - done, KL_CHUNK_ROWS - c->n_rows);
        for (uint32_t col = 0; col < t->n_cols; col++) {
            int s = map ? map[col] : (int)col;
            if (s < 0) {
                memset(c->cols[col].nulls + c->n_rows, 1, take);
                c->cols[col].has_nulls = true;
                continue;
            }
            if (vec_copy_rows(&c->cols[col], c->n_rows, &src->cols[s], done, take))
                return kl_err(err, KILN_ERR_MEMORY, "out of memory appending to table");
        }
        c->n_rows += take;
        t->n_rows += take;
        done += take;
    }
    return 0;
}

int table_add_chunk(kl_table *t, kl_chunk *c, kl_error *err) {
    if (t->n_chunks == t->cap_chunks) {
        size_t cap = t->cap_chunks ? t->cap_chunks * 2 : 16;
        kl_chunk **p = kl_realloc(t->chunks, cap * sizeof *p);
        if (!p) return kl_err(err, KILN_ERR_MEMORY, "out of memory growing table");
        t->chunks = p;
        t->cap_chunks = cap;
    }
    t->chunks[t->n_chunks++] = c;
    t->n_rows += c->n_rows;
    return 0;
}

int table_append(kl_table *t, const kl_chunk *src, uint32_t n, kl_error *err) {
    return table_append_mapped(t, src, n, NULL, err);
}

size_t table_memory(const kl_table *t) {
    size_t total = 0;
    for (size_t i = 0; i < t->n_chunks; i++) {
        const kl_chunk *c = t->chunks[i];
        for (uint32_t col = 0; col < c->n_cols; col++)
            total += c->cap * (kl_type_size(c->cols[col].type) + 1) + kl_arena_size(&c->cols[col].heap);
    }
    return total;
}
