/*
 * writer.c — the COPY TO sink (see io/writer.h): formats chunks as CSV or JSON lines and
 * hands the bytes to an atomic fs_writer.
 *
 * API in call order: writer_options_init -> writer_open -> writer_write_chunk ... ->
 * writer_commit (or writer_abort).
 *
 * CSV: an optional header row of column names, then one line per row ("\n" line ends).
 * Values are formatted by vec_format_value, so they read exactly as kiln prints them; NULL
 * becomes nullstr. A field is quoted when leaving it bare would not read back as the same
 * value: it contains the delimiter, the quote, \r or \n; it starts or ends with a space
 * (readers trim); or it is a non-NULL value whose text equals nullstr (so an empty string
 * is written as "" and reads back as empty, not NULL, as DuckDB does). Quotes inside a
 * quoted field are doubled.
 *
 * JSON lines: one object per row, {"a":1,"b":"x","c":null}. BIGINT and finite DOUBLE are
 * bare numbers, BOOLEAN true/false, NULL null; VARCHAR, DATE, TIMESTAMP and INTERVAL are JSON
 * strings with ", \, control characters escaped (\n \r \t \b \f, else \u00XX). Non-finite doubles
 * have no JSON number form and are written as null. A MODEL is its JSON object, unquoted (in CSV
 * it is that JSON text as a quoted field). Other bytes (UTF-8) pass through.
 *
 * Bounds: output collects in a kl_buf and goes to the fs_writer whenever it reaches 1 MiB,
 * so memory is ~1 MiB plus one value regardless of the file size. Rows are counted for
 * the COPY result.
 */
#include "io/writer.h"

#include <math.h>

#include "io/fs.h"

#define WRITER_FLUSH_BYTES (1024u * 1024u)

struct kl_writer {
    fs_writer *file;
    kl_write_format format;
    char delim;
    char quote;
    char *nullstr;  /* owned copy */
    size_t nullstr_len;
    uint32_t n_cols;
    char **names;   /* owned copies (JSON object keys are re-emitted per row) */
    kl_buf out;     /* pending output */
    kl_buf scratch; /* one formatted value */
    uint64_t n_rows;
};

void writer_options_init(kl_write_options *opts) {
    opts->format = KL_WRITE_CSV;
    opts->header = true;
    opts->delim = ',';
    opts->quote = '"';
    opts->nullstr = "";
}

static void writer_free(kl_writer *w) {
    if (!w) return;
    if (w->names) {
        for (uint32_t i = 0; i < w->n_cols; i++) kl_free(w->names[i]);
        kl_free(w->names);
    }
    kl_free(w->nullstr);
    kl_buf_free(&w->out);
    kl_buf_free(&w->scratch);
    kl_free(w);
}

void writer_abort(kl_writer *w) {
    if (!w) return;
    fs_writer_abort(w->file);
    writer_free(w);
}

static int writer_oom(kl_error *err) { return kl_err(err, KILN_ERR_MEMORY, "out of memory in COPY writer"); }

/* Hand pending output to the file once it is large enough (or always, when force). */
static int writer_flush(kl_writer *w, bool force, kl_error *err) {
    if (w->out.len == 0 || (!force && w->out.len < WRITER_FLUSH_BYTES)) return 0;
    TRY(fs_write(w->file, w->out.data, w->out.len, err));
    kl_buf_clear(&w->out);
    return 0;
}

/* ---- CSV ------------------------------------------------------------------------------ */

static bool csv_needs_quote(const kl_writer *w, const char *s, size_t n, bool is_null_text_check) {
    if (n == 0) return is_null_text_check && w->nullstr_len == 0;
    if (s[0] == ' ' || s[n - 1] == ' ') return true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == w->delim || c == w->quote || c == '\n' || c == '\r') return true;
    }
    return is_null_text_check && n == w->nullstr_len && memcmp(s, w->nullstr, n) == 0;
}

/* Append one field, quoted when needed. value_check: the text is a non-NULL value, so it
 * must not be confused with nullstr. */
static int csv_put_field(kl_writer *w, const char *s, size_t n, bool value_check) {
    if (!csv_needs_quote(w, s, n, value_check)) return kl_buf_append(&w->out, s, n);
    TRY(kl_buf_reserve(&w->out, n + 2));
    TRY(kl_buf_putc(&w->out, w->quote));
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == w->quote) { /* emit through the quote, then the quote again */
            TRY(kl_buf_append(&w->out, s + start, i + 1 - start));
            TRY(kl_buf_putc(&w->out, w->quote));
            start = i + 1;
        }
    }
    TRY(kl_buf_append(&w->out, s + start, n - start));
    return kl_buf_putc(&w->out, w->quote);
}

/* Text of a non-NULL value: strings by reference, others formatted into scratch. The
 * reserve makes vec_format_value's append allocation-free, so out-of-memory is seen here. */
static int writer_value_text(kl_writer *w, const kl_vec *v, uint32_t row, const char **s,
                             size_t *n) {
    if (kl_type_is_string(v->type)) {
        *s = VEC_STR(v)[row].ptr;
        *n = VEC_STR(v)[row].len;
        return 0;
    }
    kl_buf_clear(&w->scratch);
    TRY(kl_buf_reserve(&w->scratch, 128));
    vec_format_value(v, row, &w->scratch);
    *s = w->scratch.data;
    *n = w->scratch.len;
    return 0;
}

static int csv_write_rows(kl_writer *w, const kl_chunk *c) {
    for (uint32_t r = 0; r < c->n_rows; r++) {
        for (uint32_t k = 0; k < c->n_cols; k++) {
            const kl_vec *v = &c->cols[k];
            if (k > 0) TRY(kl_buf_putc(&w->out, w->delim));
            if (v->type == KILN_TYPE_NULL || v->nulls[r]) {
                TRY(kl_buf_append(&w->out, w->nullstr, w->nullstr_len));
                continue;
            }
            const char *s;
            size_t n;
            TRY(writer_value_text(w, v, r, &s, &n));
            TRY(csv_put_field(w, s, n, true));
        }
        TRY(kl_buf_putc(&w->out, '\n'));
    }
    return 0;
}

/* ---- JSON ----------------------------------------------------------------------------- */

static int json_write_rows(kl_writer *w, const kl_chunk *c) {
    for (uint32_t r = 0; r < c->n_rows; r++) {
        TRY(kl_buf_putc(&w->out, '{'));
        for (uint32_t k = 0; k < c->n_cols; k++) {
            const kl_vec *v = &c->cols[k];
            if (k > 0) TRY(kl_buf_putc(&w->out, ','));
            TRY(kl_buf_put_json_str(&w->out, w->names[k], strlen(w->names[k])));
            TRY(kl_buf_putc(&w->out, ':'));
            if (v->type == KILN_TYPE_NULL || v->nulls[r] ||
                (v->type == KILN_TYPE_DOUBLE && !isfinite(VEC_F64(v)[r]))) {
                TRY(kl_buf_append(&w->out, "null", 4));
                continue;
            }
            const char *s;
            size_t n;
            TRY(writer_value_text(w, v, r, &s, &n));
            switch (kl_type_is_model(v->type) ? KILN_TYPE_MODEL : v->type) {
            case KILN_TYPE_BIGINT:
            case KILN_TYPE_DOUBLE:
            case KILN_TYPE_MODEL: /* its text is a JSON object */
            case KILN_TYPE_BOOLEAN: TRY(kl_buf_append(&w->out, s, n)); break;
            default: TRY(kl_buf_put_json_str(&w->out, s, n)); break;
            }
        }
        TRY(kl_buf_append(&w->out, "}\n", 2));
    }
    return 0;
}

/* ---- open / write / commit ------------------------------------------------------------ */

int writer_open(const char *path, const kl_write_options *opts, const char *const *col_names,
                const kl_type *types, uint32_t n_cols, kl_writer **out, kl_error *err) {
    *out = NULL;
    KL_UNUSED(types); /* values are formatted by the type of each chunk's vectors */
    kl_write_options def;
    if (!opts) {
        writer_options_init(&def);
        opts = &def;
    }
    FAIL_IF(!path || !*path, err, KILN_ERR_INVALID, "COPY: empty file name");
    if (opts->format == KL_WRITE_CSV) {
        FAIL_IF(opts->delim == opts->quote, err, KILN_ERR_INVALID,
                "COPY: the delimiter and the quote must differ");
        FAIL_IF(opts->delim == '\n' || opts->delim == '\r' || opts->delim == '\0', err,
                KILN_ERR_INVALID, "COPY: invalid delimiter");
        FAIL_IF(opts->quote == '\n' || opts->quote == '\r' || opts->quote == '\0', err,
                KILN_ERR_INVALID, "COPY: invalid quote character");
    }
    kl_writer *w = kl_calloc(1, sizeof *w);
    if (!w) return writer_oom(err);
    w->format = opts->format;
    w->delim = opts->delim;
    w->quote = opts->quote;
    w->nullstr = kl_strdup(opts->nullstr ? opts->nullstr : "");
    w->n_cols = n_cols;
    w->names = kl_calloc(n_cols ? n_cols : 1, sizeof *w->names);
    if (!w->nullstr || !w->names) {
        writer_free(w);
        return writer_oom(err);
    }
    w->nullstr_len = strlen(w->nullstr);
    for (uint32_t i = 0; i < n_cols; i++) {
        w->names[i] = kl_strdup(col_names && col_names[i] ? col_names[i] : "");
        if (!w->names[i]) {
            writer_free(w);
            return writer_oom(err);
        }
    }
    if (w->format == KL_WRITE_CSV && opts->header && n_cols > 0) {
        int rc = 0;
        for (uint32_t i = 0; i < n_cols && rc == 0; i++) {
            if (i > 0) rc = kl_buf_putc(&w->out, w->delim);
            if (rc == 0) rc = csv_put_field(w, w->names[i], strlen(w->names[i]), false);
        }
        if (rc == 0) rc = kl_buf_putc(&w->out, '\n');
        if (rc != 0) {
            writer_free(w);
            return writer_oom(err);
        }
    }
    int rc = fs_writer_open(path, &w->file, err);
    if (rc != 0) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int writer_write_chunk(kl_writer *w, const kl_chunk *chunk, kl_error *err) {
    FAIL_IF(!w || !chunk, err, KILN_ERR_INTERNAL, "writer_write_chunk: no writer or chunk");
    FAIL_IF(chunk->n_cols != w->n_cols, err, KILN_ERR_INTERNAL,
            "COPY: chunk has %u columns, the file %u", chunk->n_cols, w->n_cols);
    int rc = w->format == KL_WRITE_JSON ? json_write_rows(w, chunk) : csv_write_rows(w, chunk);
    if (rc != 0) return writer_oom(err);
    w->n_rows += chunk->n_rows;
    return writer_flush(w, false, err);
}

int writer_commit(kl_writer *w, uint64_t *rows_written, kl_error *err) {
    FAIL_IF(!w, err, KILN_ERR_INTERNAL, "writer_commit: no writer");
    int rc = writer_flush(w, true, err);
    if (rc != 0) {
        writer_abort(w);
        return rc;
    }
    rc = fs_writer_commit(w->file, err); /* frees the fs_writer, success or not */
    w->file = NULL;
    if (rc == 0 && rows_written) *rows_written = w->n_rows;
    writer_free(w);
    return rc;
}
