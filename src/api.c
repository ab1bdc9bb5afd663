/*
 * api.c — the public C API (include/kiln.h): database handles, statement execution,
 * materialized results, and error rendering.
 *
 * kiln_exec parses the whole text, then runs the statements in order; the first failure
 * stops the batch (earlier statements stay done, like a SQL script). Each statement kind has
 * one exec_* function here; queries are planned by the binder and pulled to completion.
 *
 * Results are kl_tables (chunks of KL_CHUNK_ROWS rows, all full but the last), so a global
 * row index r lives in chunk r / KL_CHUNK_ROWS: getters need no search.
 *
 * COPY ... TO writes through the atomic writer: the output file appears complete or not at
 * all, also when the query fails half-way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "io/writer.h"
#include "ml/model.h"
#include "sql/binder.h"
#include "util/textconv.h"

struct kiln_db {
    kl_catalog cat;
    int threads;
};

struct kiln_result {
    kl_table *t;
    uint64_t *offsets; /* first row of each chunk (chunks may be partly filled), n_chunks + 1 */
};

const char *kiln_version(void) { return KILN_VERSION; }

const char *kiln_type_name(kiln_type type) {
    switch (type) {
    case KILN_TYPE_NULL: return "NULL";
    case KILN_TYPE_BOOLEAN: return "BOOLEAN";
    case KILN_TYPE_BIGINT: return "BIGINT";
    case KILN_TYPE_DOUBLE: return "DOUBLE";
    case KILN_TYPE_VARCHAR: return "VARCHAR";
    case KILN_TYPE_DATE: return "DATE";
    case KILN_TYPE_TIMESTAMP: return "TIMESTAMP";
    case KILN_TYPE_INTERVAL: return "INTERVAL";
    case KILN_TYPE_MODEL: return "MODEL";
    default: return kl_type_is_model(type) ? "MODEL" : "UNKNOWN";
    }
}

/* ---- error rendering ---------------------------------------------------------------- */

size_t kiln_error_render(const kiln_error *err, const char *sql, char *buf, size_t cap) {
    kl_buf out = {0};
    if (!err || err->code == KILN_OK) {
        kl_buf_puts(&out, "no error");
    } else {
        kl_buf_puts(&out, err->message);
        size_t sql_len = sql ? strlen(sql) : 0;
        if (sql && err->sql_offset >= 0 && (size_t)err->sql_offset <= sql_len) {
            size_t off = (size_t)err->sql_offset;
            size_t start = off, line_no = 1;
            while (start > 0 && sql[start - 1] != '\n') start--;
            for (size_t i = 0; i < start; i++) line_no += sql[i] == '\n';
            size_t end = off;
            while (end < sql_len && sql[end] != '\n') end++;
            /* keep long lines readable: a window of ~100 bytes around the position */
            size_t from = start, to = end;
            if (off - from > 60) from = off - 60;
            if (to - off > 60) to = off + 60;
            char prefix[32];
            int plen = snprintf(prefix, sizeof prefix, "LINE %zu: ", line_no);
            kl_buf_printf(&out, "\n%s%s", prefix, from > start ? "..." : "");
            for (size_t i = from; i < to; i++) kl_buf_putc(&out, sql[i] == '\t' ? ' ' : sql[i]);
            if (to < end) kl_buf_puts(&out, "...");
            kl_buf_putc(&out, '\n');
            size_t caret = (size_t)plen + (from > start ? 3 : 0) + (off - from);
            for (size_t i = 0; i < caret; i++) kl_buf_putc(&out, ' ');
            kl_buf_putc(&out, '^');
        }
    }
    size_t need = out.len;
    if (cap) {
        size_t n = KL_MIN(need, cap - 1);
        if (out.data) memcpy(buf, out.data, n);
        buf[n] = '\0';
    }
    kl_buf_free(&out);
    return need;
}

/* ---- handles ------------------------------------------------------------------------ */

int kiln_open(kiln_db **db, kiln_error *err) {
    kiln_error_clear(err);
    *db = kl_calloc(1, sizeof **db);
    if (!*db) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    (*db)->threads = n > 0 ? (int)n : 1;
    return 0;
}

void kiln_close(kiln_db *db) {
    if (!db) return;
    model_cache_clear(); /* parsed models of this thread (the statements ran on it) */
    catalog_free(&db->cat);
    kl_free(db);
}

int kiln_set_option(kiln_db *db, const char *name, const char *value, kiln_error *err) {
    kiln_error_clear(err);
    if (!strcasecmp(name, "threads") || !strcasecmp(name, "worker_threads")) {
        char *end;
        long n = strtol(value, &end, 10);
        if (end == value || *end || n < 1 || n > 1024)
            return kl_err(err, KILN_ERR_INVALID, "threads must be an integer between 1 and 1024, not \"%s\"", value);
        db->threads = (int)n;
        return 0;
    }
    if (!strcasecmp(name, "memory_limit") || !strcasecmp(name, "max_memory")) {
        size_t bytes;
        if (kl_parse_size(value, &bytes))
            return kl_err(err, KILN_ERR_INVALID, "memory_limit must be a size such as 4GB or 512MB, not \"%s\"", value);
        kl_mem_set_limit(bytes);
        return 0;
    }
    if (!strcasecmp(name, "seed")) {
        /* SET seed = x (x in [-1, 1]): random() repeats its sequence, like setseed(x) */
        char *end;
        double s = strtod(value, &end);
        if (end == value || *end || !(s >= -1.0 && s <= 1.0))
            return kl_err(err, KILN_ERR_INVALID, "seed must be a number between -1 and 1, not \"%s\"", value);
        func_set_seed(s);
        return 0;
    }
    return kl_err(err, KILN_ERR_INVALID, "unrecognized configuration parameter \"%s\" (known: threads, memory_limit, seed)", name);
}

int kiln_get_option(kiln_db *db, const char *name, char *buf, size_t cap, kiln_error *err) {
    kiln_error_clear(err);
    if (!strcasecmp(name, "threads")) snprintf(buf, cap, "%d", db->threads);
    else if (!strcasecmp(name, "memory_limit")) snprintf(buf, cap, "%zu", kl_mem_limit());
    else return kl_err(err, KILN_ERR_INVALID, "unrecognized configuration parameter \"%s\"", name);
    return 0;
}

/* ---- results ------------------------------------------------------------------------ */

static kiln_result *result_new(kl_table *t) {
    kiln_result *r = kl_calloc(1, sizeof *r);
    if (r) r->offsets = kl_malloc((t->n_chunks + 1) * sizeof(uint64_t));
    if (!r || !r->offsets) {
        kl_free(r);
        table_free(t);
        return NULL;
    }
    r->t = t;
    r->offsets[0] = 0;
    for (size_t i = 0; i < t->n_chunks; i++) r->offsets[i + 1] = r->offsets[i] + t->chunks[i]->n_rows;
    return r;
}

void kiln_result_free(kiln_result *res) {
    if (!res) return;
    table_free(res->t);
    kl_free(res->offsets);
    kl_free(res);
}

size_t kiln_result_column_count(const kiln_result *res) { return res ? res->t->n_cols : 0; }
const char *kiln_result_column_name(const kiln_result *res, size_t col) {
    return res && col < res->t->n_cols ? res->t->col_names[col] : NULL;
}
kiln_type kiln_result_column_type(const kiln_result *res, size_t col) {
    return res && col < res->t->n_cols ? kl_type_public(res->t->types[col]) : KILN_TYPE_NULL;
}
size_t kiln_result_row_count(const kiln_result *res) { return res ? (size_t)res->t->n_rows : 0; }
size_t kiln_result_chunk_count(const kiln_result *res) { return res ? res->t->n_chunks : 0; }
size_t kiln_result_chunk_row_count(const kiln_result *res, size_t chunk) {
    return res && chunk < res->t->n_chunks ? res->t->chunks[chunk]->n_rows : 0;
}
size_t kiln_result_chunk_offset(const kiln_result *res, size_t chunk) {
    return res && chunk <= res->t->n_chunks ? (size_t)res->offsets[chunk] : 0;
}

static const kl_vec *cell(const kiln_result *res, size_t row, size_t col, uint32_t *r) {
    if (!res || col >= res->t->n_cols || row >= res->t->n_rows) return NULL;
    /* chunks are full but for a few (parallel results): try the direct guess, then search */
    size_t c = row / KL_CHUNK_ROWS;
    if (!(c < res->t->n_chunks && res->offsets[c] <= row && row < res->offsets[c + 1])) {
        size_t lo = 0, hi = res->t->n_chunks;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (res->offsets[mid] <= row) lo = mid;
            else hi = mid;
        }
        c = lo;
    }
    *r = (uint32_t)(row - res->offsets[c]);
    return &res->t->chunks[c]->cols[col];
}

bool kiln_result_is_null(const kiln_result *res, size_t row, size_t col) {
    uint32_t r;
    const kl_vec *v = cell(res, row, col, &r);
    return !v || v->type == KILN_TYPE_NULL || v->nulls[r];
}

#define GETTER(name, ctype, ktype, expr)                                                         \
    ctype name(const kiln_result *res, size_t row, size_t col) {                               \
        uint32_t r;                                                                            \
        const kl_vec *v = cell(res, row, col, &r);                                             \
        if (!v || v->type != ktype || v->nulls[r]) return (ctype)0;                            \
        return (ctype)(expr);                                                                  \
    }
GETTER(kiln_result_get_bool, bool, KILN_TYPE_BOOLEAN, VEC_U8(v)[r] != 0)
GETTER(kiln_result_get_int64, int64_t, KILN_TYPE_BIGINT, VEC_I64(v)[r])
GETTER(kiln_result_get_double, double, KILN_TYPE_DOUBLE, VEC_F64(v)[r])
GETTER(kiln_result_get_date, int32_t, KILN_TYPE_DATE, VEC_I32(v)[r])
GETTER(kiln_result_get_timestamp, int64_t, KILN_TYPE_TIMESTAMP, VEC_I64(v)[r])

const char *kiln_result_get_varchar(const kiln_result *res, size_t row, size_t col, size_t *len) {
    uint32_t r;
    const kl_vec *v = cell(res, row, col, &r);
    if (!v || !kl_type_is_string(v->type) || v->nulls[r]) {
        if (len) *len = 0;
        return NULL;
    }
    kl_str s = VEC_STR(v)[r];
    if (len) *len = s.len;
    return s.ptr;
}

size_t kiln_result_get_text(const kiln_result *res, size_t row, size_t col, char *buf, size_t cap) {
    uint32_t r;
    const kl_vec *v = cell(res, row, col, &r);
    kl_buf out = {0};
    if (v) vec_format_value(v, r, &out);
    size_t need = out.len;
    if (cap) {
        size_t n = KL_MIN(need, cap - 1);
        if (out.data) memcpy(buf, out.data, n);
        buf[n] = '\0';
    }
    kl_buf_free(&out);
    return need;
}

/* ---- statement execution ------------------------------------------------------------ */

typedef struct exec_ctx {
    kiln_db *db;
    const char *sql;
    kl_error *err;
} exec_ctx;

/* Pull op to completion into a new table (takes op). */
static int materialize(exec_ctx *x, kl_op *op, char **names, const char *table_name, kl_table **out) {
    kl_table *t = table_create(table_name, op->n_cols, names, op->types);
    if (!t) {
        op_free(op);
        return kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
    }
    bool parallel;
    int rc = op_collect_parallel(op, x->db->threads, t, &parallel, x->err);
    if (parallel) {
        op_free(op);
        if (rc) {
            table_free(t);
            return rc;
        }
        *out = t;
        return 0;
    }
    for (;;) {
        kl_chunk *c;
        if ((rc = op_next(op, &c, x->err))) break;
        if (c->n_rows == 0) break;
        if (c->adoptable) {
            /* take the source's vectors instead of copying them */
            kl_chunk *taken = chunk_adopt(c);
            if (!taken) {
                rc = kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
                break;
            }
            if ((rc = table_add_chunk(t, taken, x->err))) {
                chunk_free(taken);
                kl_free(taken);
                break;
            }
            continue;
        }
        if ((rc = table_append(t, c, c->n_rows, x->err))) break;
    }
    op_free(op);
    if (rc) {
        table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static int run_query(exec_ctx *x, ast_select *sel, const char *table_name, kl_table **out) {
    kl_op *op;
    char **names;
    TRY(bind_select(&x->db->cat, x->sql, sel, x->db->threads, &op, &names, x->err));
    uint32_t n = op->n_cols;
    int rc = materialize(x, op, names, table_name, out);
    names_free(names, n);
    return rc;
}

static int count_result(kl_table **out, int64_t count, kl_error *err) {
    char *name = "Count";
    kl_type t = KILN_TYPE_BIGINT;
    kl_table *tab = table_create(NULL, 1, &name, &t);
    kl_chunk c;
    if (!tab || chunk_init(&c, &t, 1, 1)) {
        table_free(tab);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    VEC_I64(&c.cols[0])[0] = count;
    c.n_rows = 1;
    int rc = table_append(tab, &c, 1, err);
    chunk_free(&c);
    if (rc) {
        table_free(tab);
        return rc;
    }
    *out = tab;
    return 0;
}

static int empty_result(kl_table **out, kl_error *err) {
    *out = table_create(NULL, 0, NULL, NULL);
    return *out ? 0 : kl_err(err, KILN_ERR_MEMORY, "out of memory");
}

static int exec_create_as(exec_ctx *x, ast_stmt *st, kl_table **out) {
    long idx = catalog_index(&x->db->cat, st->table);
    if (idx >= 0 && st->if_not_exists) return empty_result(out, x->err);
    if (idx >= 0 && !st->or_replace)
        return kl_err_at(x->err, KILN_ERR_CATALOG, st->loc, "Table with name \"%s\" already exists!", st->table);
    kl_table *t;
    TRY(run_query(x, st->select, st->table, &t));
    /* re-check: the query itself may have been the thing reading the old table */
    idx = catalog_index(&x->db->cat, st->table);
    if (idx >= 0) catalog_remove(&x->db->cat, (size_t)idx);
    if (catalog_add(&x->db->cat, t, x->err)) {
        table_free(t);
        return x->err->code;
    }
    return empty_result(out, x->err);
}

static int exec_create(exec_ctx *x, ast_stmt *st, kl_table **out) {
    long idx = catalog_index(&x->db->cat, st->table);
    if (idx >= 0 && st->if_not_exists) return empty_result(out, x->err);
    if (idx >= 0 && !st->or_replace)
        return kl_err_at(x->err, KILN_ERR_CATALOG, st->loc, "Table with name \"%s\" already exists!", st->table);
    for (int i = 0; i < st->n_cols; i++)
        for (int j = 0; j < i; j++)
            if (!strcasecmp(st->col_names[i], st->col_names[j]))
                return kl_err_at(x->err, KILN_ERR_CATALOG, st->loc, "Column with name \"%s\" is defined twice", st->col_names[i]);
    if (st->n_cols == 0) return kl_err_at(x->err, KILN_ERR_CATALOG, st->loc, "a table needs at least one column");
    kl_table *t = table_create(st->table, (uint32_t)st->n_cols, st->col_names, st->col_types);
    if (!t) return kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
    if (idx >= 0) catalog_remove(&x->db->cat, (size_t)idx);
    if (catalog_add(&x->db->cat, t, x->err)) {
        table_free(t);
        return x->err->code;
    }
    return empty_result(out, x->err);
}

static int exec_insert(exec_ctx *x, ast_stmt *st, kl_table **out) {
    kl_table *t = catalog_find(&x->db->cat, st->table);
    if (!t) return kl_err_at(x->err, KILN_ERR_CATALOG, st->loc, "Table with name %s does not exist!", st->table);
    kl_op *op;
    char **names;
    TRY(bind_select(&x->db->cat, x->sql, st->select, x->db->threads, &op, &names, x->err));
    uint32_t n_src = op->n_cols;
    names_free(names, n_src);
    /* map[target column] = source column or -1 */
    int *map = kl_malloc(t->n_cols * sizeof(int));
    kl_expr **casts = kl_calloc(n_src ? n_src : 1, sizeof(kl_expr *));
    kl_type *want = kl_calloc(n_src ? n_src : 1, sizeof(kl_type));
    int rc = (!map || !casts || !want) ? kl_err(x->err, KILN_ERR_MEMORY, "out of memory") : 0;
    uint32_t expected = st->n_insert_cols ? (uint32_t)st->n_insert_cols : t->n_cols;
    if (!rc && n_src != expected)
        rc = kl_err_at(x->err, KILN_ERR_BINDER, st->loc, "table %s has %u columns but %u values were supplied",
                       t->name, expected, n_src);
    if (!rc) {
        for (uint32_t c = 0; c < t->n_cols; c++) map[c] = st->n_insert_cols ? -1 : (int)c;
        for (int i = 0; i < st->n_insert_cols && !rc; i++) {
            long found = -1;
            for (uint32_t c = 0; c < t->n_cols; c++)
                if (!strcasecmp(t->col_names[c], st->insert_cols[i])) found = (long)c;
            if (found < 0)
                rc = kl_err_at(x->err, KILN_ERR_BINDER, st->loc, "Table \"%s\" does not have a column with name \"%s\"",
                               t->name, st->insert_cols[i]);
            else if (map[found] >= 0)
                rc = kl_err_at(x->err, KILN_ERR_BINDER, st->loc, "column \"%s\" is specified more than once", st->insert_cols[i]);
            else map[found] = i;
        }
    }
    for (uint32_t c = 0; c < t->n_cols && !rc; c++)
        if (map[c] >= 0) want[map[c]] = t->types[c];
    for (uint32_t s = 0; s < n_src && !rc; s++) {
        kl_expr *col = expr_new_column(s, op->types[s]);
        if (!col) {
            rc = kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
            break;
        }
        if (op->types[s] == want[s] || op->types[s] == KILN_TYPE_NULL) {
            if (op->types[s] == KILN_TYPE_NULL) {
                expr_free(col);
                col = expr_new_const_null(want[s]);
            }
            casts[s] = col;
            continue;
        }
        if (!func_can_cast(op->types[s], want[s])) {
            expr_free(col);
            rc = kl_err_at(x->err, KILN_ERR_BINDER, st->loc, "cannot insert a value of type %s into a column of type %s",
                           kiln_type_name(op->types[s]), kiln_type_name(want[s]));
            break;
        }
        kl_expr *c = expr_new(EXPR_CAST, want[s], 1);
        if (!c) {
            expr_free(col);
            rc = kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
            break;
        }
        c->loc = st->loc;
        c->args[0] = col;
        casts[s] = c;
    }
    kl_table *tmp = NULL;
    if (!rc) {
        op = op_project(op, casts, n_src);
        casts = NULL;
        if (!op) rc = kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
        else {
            char **nm = kl_calloc(n_src ? n_src : 1, sizeof(char *));
            for (uint32_t i = 0; nm && i < n_src; i++) nm[i] = "";
            rc = nm ? materialize(x, op, nm, NULL, &tmp) : kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
            if (!nm) op_free(op);
            kl_free(nm);
            op = NULL;
        }
    } else {
        op_free(op);
        for (uint32_t s = 0; casts && s < n_src; s++) expr_free(casts[s]);
    }
    kl_free(casts);
    kl_free(want);
    /* all rows are computed before any is appended: a failing INSERT changes nothing, and
       INSERT INTO t SELECT * FROM t reads a stable snapshot */
    uint64_t before = t->n_rows;
    for (size_t i = 0; !rc && i < tmp->n_chunks; i++)
        rc = table_append_mapped(t, tmp->chunks[i], tmp->chunks[i]->n_rows, map, x->err);
    uint64_t inserted = t->n_rows - before;
    table_free(tmp);
    kl_free(map);
    if (rc) return rc;
    return count_result(out, (int64_t)inserted, x->err);
}

static int exec_drop(exec_ctx *x, ast_stmt *st, kl_table **out) {
    long idx = catalog_index(&x->db->cat, st->table);
    if (idx < 0) {
        if (st->if_exists) return empty_result(out, x->err);
        return kl_err_at(x->err, KILN_ERR_CATALOG, st->loc, "Table with name %s does not exist!", st->table);
    }
    catalog_remove(&x->db->cat, (size_t)idx);
    return empty_result(out, x->err);
}

/* Constant expression -> text (numbers formatted, strings as is). */
static int const_to_text(exec_ctx *x, ast_expr *a, char *buf, size_t cap, bool *is_bool, bool *bval) {
    kl_expr *c;
    TRY(bind_constant(x->sql, a, &c, x->err));
    kl_buf tb = {0};
    bool ok = vec_format_value(&c->result, 0, &tb);
    if (is_bool) *is_bool = c->type == KILN_TYPE_BOOLEAN;
    if (bval && c->type == KILN_TYPE_BOOLEAN) *bval = ok && VEC_U8(&c->result)[0];
    snprintf(buf, cap, "%s", ok && tb.data ? tb.data : "");
    kl_buf_free(&tb);
    expr_free(c);
    return 0;
}

static int exec_set(exec_ctx *x, ast_stmt *st, kl_table **out) {
    char value[256] = "";
    if (st->set_value) {
        if (st->set_value->kind == AST_COLUMN) snprintf(value, sizeof value, "%s", st->set_value->name);
        else TRY(const_to_text(x, st->set_value, value, sizeof value, NULL, NULL));
    }
    int rc = kiln_set_option(x->db, st->set_name, value, x->err);
    if (rc) {
        kl_err_set_offset(x->err, st->loc);
        return rc;
    }
    return empty_result(out, x->err);
}

static int exec_copy(exec_ctx *x, ast_stmt *st, kl_table **out) {
    kl_write_options wo;
    writer_options_init(&wo);
    size_t plen = strlen(st->path);
    if ((plen > 5 && !strcasecmp(st->path + plen - 5, ".json")) || (plen > 6 && !strcasecmp(st->path + plen - 6, ".jsonl")) ||
        (plen > 7 && !strcasecmp(st->path + plen - 7, ".ndjson")))
        wo.format = KL_WRITE_JSON;
    char nullbuf[256] = "";
    for (int i = 0; i < st->n_opts; i++) {
        const char *nm = st->opt_names[i];
        ast_expr *v = st->opt_values[i];
        char text[256] = "true";
        bool is_bool = false, bval = true;
        if (v) {
            if (v->kind == AST_COLUMN) snprintf(text, sizeof text, "%s", v->name);
            else TRY(const_to_text(x, v, text, sizeof text, &is_bool, &bval));
        } else {
            is_bool = true;
        }
        if (!strcasecmp(nm, "header")) {
            if (!is_bool && strcasecmp(text, "true") && strcasecmp(text, "false") && strcmp(text, "1") && strcmp(text, "0"))
                return kl_err_at(x->err, KILN_ERR_BINDER, v ? v->loc : st->loc, "COPY option HEADER expects true or false");
            wo.header = is_bool ? bval : (!strcasecmp(text, "true") || !strcmp(text, "1"));
        } else if (!strcasecmp(nm, "delimiter") || !strcasecmp(nm, "delim") || !strcasecmp(nm, "sep")) {
            if (!strcmp(text, "\\t")) wo.delim = '\t';
            else if (strlen(text) != 1)
                return kl_err_at(x->err, KILN_ERR_BINDER, v ? v->loc : st->loc, "COPY DELIMITER must be a single character");
            else wo.delim = text[0];
        } else if (!strcasecmp(nm, "quote")) {
            if (strlen(text) != 1)
                return kl_err_at(x->err, KILN_ERR_BINDER, v ? v->loc : st->loc, "COPY QUOTE must be a single character");
            wo.quote = text[0];
        } else if (!strcasecmp(nm, "format")) {
            if (!strcasecmp(text, "csv")) wo.format = KL_WRITE_CSV;
            else if (!strcasecmp(text, "json") || !strcasecmp(text, "jsonl") || !strcasecmp(text, "ndjson")) wo.format = KL_WRITE_JSON;
            else return kl_err_at(x->err, KILN_ERR_BINDER, v ? v->loc : st->loc, "COPY FORMAT must be csv or json, not \"%s\"", text);
        } else if (!strcasecmp(nm, "null") || !strcasecmp(nm, "nullstr")) {
            snprintf(nullbuf, sizeof nullbuf, "%s", text);
            wo.nullstr = nullbuf;
        } else {
            return kl_err_at(x->err, KILN_ERR_BINDER, v ? v->loc : st->loc,
                             "Unrecognized COPY option \"%s\" (known: HEADER, DELIMITER, QUOTE, FORMAT, NULL)", nm);
        }
    }
    kl_op *op;
    char **names;
    uint32_t n_cols;
    if (st->select) {
        TRY(bind_select(&x->db->cat, x->sql, st->select, x->db->threads, &op, &names, x->err));
        n_cols = op->n_cols;
    } else {
        kl_table *t = catalog_find(&x->db->cat, st->table);
        if (!t) return kl_err_at(x->err, KILN_ERR_CATALOG, st->loc, "Table with name %s does not exist!", st->table);
        op = op_scan_table(t);
        if (!op) return kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
        n_cols = t->n_cols;
        names = kl_calloc(n_cols ? n_cols : 1, sizeof(char *));
        for (uint32_t i = 0; names && i < n_cols; i++) names[i] = kl_strdup(t->col_names[i]);
        if (!names) {
            op_free(op);
            return kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
        }
    }
    kl_writer *w = NULL;
    int rc = writer_open(st->path, &wo, (const char *const *)names, op->types, n_cols, &w, x->err);
    while (!rc) {
        kl_chunk *c;
        if ((rc = op_next(op, &c, x->err))) break;
        if (c->n_rows == 0) break;
        rc = writer_write_chunk(w, c, x->err);
    }
    op_free(op);
    names_free(names, n_cols);
    uint64_t rows = 0;
    if (rc) {
        writer_abort(w);
        return rc;
    }
    TRY(writer_commit(w, &rows, x->err));
    return count_result(out, (int64_t)rows, x->err);
}

static int exec_explain(exec_ctx *x, ast_stmt *st, kl_table **out) {
    kl_op *op;
    char **names;
    TRY(bind_select(&x->db->cat, x->sql, st->select, x->db->threads, &op, &names, x->err));
    names_free(names, op->n_cols);
    kl_buf text = {0};
    int rc = op_explain(op, 0, &text);
    op_free(op);
    char *name = "physical_plan";
    kl_type t = KILN_TYPE_VARCHAR;
    kl_table *tab = rc ? NULL : table_create(NULL, 1, &name, &t);
    kl_chunk c;
    if (!tab || chunk_init(&c, &t, 1, 1)) {
        table_free(tab);
        kl_buf_free(&text);
        return kl_err(x->err, KILN_ERR_MEMORY, "out of memory");
    }
    rc = vec_set_string(&c.cols[0], 0, text.data ? text.data : "", text.len);
    c.n_rows = 1;
    if (!rc) rc = table_append(tab, &c, 1, x->err);
    chunk_free(&c);
    kl_buf_free(&text);
    if (rc) {
        table_free(tab);
        return rc;
    }
    *out = tab;
    return 0;
}

static int exec_stmt(exec_ctx *x, ast_stmt *st, kl_table **out) {
    switch (st->kind) {
    case STMT_SELECT: return run_query(x, st->select, NULL, out);
    case STMT_CREATE_TABLE_AS: return exec_create_as(x, st, out);
    case STMT_CREATE_TABLE: return exec_create(x, st, out);
    case STMT_INSERT: return exec_insert(x, st, out);
    case STMT_DROP_TABLE: return exec_drop(x, st, out);
    case STMT_SET: return exec_set(x, st, out);
    case STMT_COPY: return exec_copy(x, st, out);
    case STMT_EXPLAIN: return exec_explain(x, st, out);
    }
    return kl_err_at(x->err, KILN_ERR_INTERNAL, st->loc, "unknown statement");
}

int kiln_exec(kiln_db *db, const char *sql, kiln_result **res, kiln_error *err) {
    kiln_error local;
    if (!err) err = &local;
    kiln_error_clear(err);
    if (res) *res = NULL;
    if (!db || !sql) return kl_err(err, KILN_ERR_INVALID, "kiln_exec: db and sql must not be NULL");
    kl_arena arena;
    kl_arena_init(&arena, 16 * 1024);
    ast_stmt **stmts;
    int n;
    int rc = sql_parse(sql, &arena, &stmts, &n, err);
    exec_ctx x = {db, sql, err};
    kl_table *last = NULL;
    for (int i = 0; !rc && i < n; i++) {
        kl_table *t = NULL;
        rc = exec_stmt(&x, stmts[i], &t);
        if (rc) break;
        table_free(last);
        last = t;
    }
    kl_arena_free(&arena);
    if (rc) {
        table_free(last);
        if (err->code == KILN_OK) kl_err(err, rc, "error %d", rc);
        size_t limit = kl_mem_limit();
        if (err->code == KILN_ERR_MEMORY && limit && !strstr(err->message, "memory_limit")) {
            /* every out-of-memory site says what ran out; add the knob the user can turn */
            size_t len = strlen(err->message);
            snprintf(err->message + len, sizeof err->message - len,
                     " (memory_limit is %.1f MB; raise it with SET memory_limit = '...')",
                     (double)limit / 1e6);
        }
        return rc;
    }
    if (!last && empty_result(&last, err)) return err->code;
    if (res) {
        *res = result_new(last);
        if (!*res) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    } else {
        table_free(last);
    }
    return 0;
}
