/*
 * csv.c — the CSV reader: dialect sniffing, header detection, type inference, RFC 4180
 * record scanning and conversion of the projected columns into chunks.
 *
 * API in call order (csv.h): csv_options_init, csv_open, csv_column_count/name/type,
 * csv_set_projection, csv_next ... until 0 rows, csv_close.
 *
 * Algorithm:
 *   csv_open expands the glob and reads the start of the first file once ("sniff pass"):
 *   the delimiter is the candidate among , ; TAB | that splits the first records (quotes
 *   respected) into a consistent field count > 1, the largest count winning; then the first
 *   record is kept aside and up to sample_size further records narrow a per-column bit mask
 *   of candidate types (BOOLEAN, BIGINT, DOUBLE, DATE, TIMESTAMP). The first record is a
 *   header if one of its values does not fit the type the other rows gave its column, or,
 *   when every column is VARCHAR, if all its values are present, non-numeric and distinct.
 *   The sniff stream is then closed; csv_next re-reads every file from its start.
 *
 *   The scanning core, csv_scan_record(), is a pure function of (buffer, start, end, eof):
 *   it finds the field boundaries of one record, or says it needs more bytes. Files are read
 *   through fs_reader (gzip/zstd by extension) into one big block (8 MiB, grown only for a
 *   record longer than the block). csv_next collects up to a chunk of records as
 *   (offset, length, flags) triples that point into the block — no copying, no allocation
 *   per field — and then converts column by column with kl_parse_* straight from the block,
 *   only for projected columns. A batch stops where the block ends so the offsets stay
 *   valid; the next call slides the unconsumed tail to the front and reads more.
 *
 *   Speed (csv_collect / csv_convert_*): records without quotes take a fast path that walks
 *   the set bits of a 64-bit mask of structural bytes (delimiter, CR, LF, quote; SSE2
 *   compares, SWAR without SSE2), so there is no call and no byte loop per field; everything
 *   else falls back, record by record, to csv_scan_record. Blocks keep CSV_PAD readable bytes
 *   after their end so vector loads may overrun. BIGINT/DOUBLE columns are converted in tight
 *   loops with SWAR digit parsing (doubles: Clinger's exact fast path for <= 15 digits, else
 *   kl_parse_double), VARCHAR columns copy all strings of a batch into one heap block and
 *   validate UTF-8 with an ASCII fast path over that block.
 *
 *   Parallel morsels (csv_worker_*): the first worker to claim from a plain file cuts the next
 *   morsel under the reader's mutex by pread()ing ~2 MiB into its own buffer and tracking
 *   quote parity (memchr for quotes, memrchr for the last newline outside quotes) — the
 *   pre-pass fused with the read, so bytes are read once; the morsel ends after that newline.
 *   Compressed files and escape != quote are whole-file morsels read through fs_reader.
 *   Workers count lines relative to their morsel; on an error they count the newlines before
 *   the morsel, re-parse it with the physical line and report the same error csv_next would.
 *
 * Bounds: memory is the block, plus fields for one batch (rows x columns x 12 bytes, the
 * batch shortened for very wide files to keep this near 48 MiB), plus string bytes in the
 * output chunk. Offsets are 32-bit, so one record must fit in 2 GiB.
 *
 * Line numbers are physical (1-based, the header counts, newlines inside quoted fields
 * advance them); every error names file, line and, where it makes sense, the column.
 * Empty lines are skipped. A field equal to nullstr, quoted or not (DuckDB allow_quoted_nulls),
 * is NULL.
 */
#include "io/csv.h"

#include "io/fs.h"
#include "util/textconv.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define CSV_BLOCK (8u * 1024u * 1024u)
#define CSV_MAX_BLOCK (2u * 1024u * 1024u * 1024u)
#define CSV_MAX_BATCH_FIELDS (4u * 1024u * 1024u)
#define CSV_SNIFF_RECORDS 100
#define CSV_SNIFF_BYTES (1u * 1024u * 1024u)
#define CSV_PAD 64u                            /* readable bytes after a block's end */
#define CSV_MORSEL ((uint64_t)CSV_MORSEL_BYTES)
#define CSV_PREPASS_BLOCK (4u * 1024u * 1024u)

#define CSV_QUOTED 1u
#define CSV_ESCAPED 2u

/* Candidate-type bits for inference. */
#define CSV_T_BOOL 1u
#define CSV_T_INT 2u
#define CSV_T_DBL 4u
#define CSV_T_DATE 8u
#define CSV_T_TS 16u
#define CSV_T_ALL 31u

typedef struct csv_field {
    uint32_t off;
    uint32_t len;
    uint32_t flags;
} csv_field;

typedef struct csv_dialect {
    char delim, quote, escape;
    uint8_t stop[256]; /* bytes that end an unquoted field: delim, '\n', '\r' */
} csv_dialect;

/* One file being read sequentially into a sliding block, or one morsel held whole (r == NULL,
 * eof). buf has CSV_PAD readable bytes after cap so vector loads may run past end. */
typedef struct csv_stream {
    fs_reader *r;
    const char *path;
    char *buf;
    size_t cap, pos, end;
    bool eof;
    bool own_buf; /* buf is freed with the stream */
    long line;    /* physical line number of buf[pos] */
    size_t read_size; /* bytes asked of the next read: starts small and doubles, so sniffing a
                         sample does not read (and fault in) a whole block */
} csv_stream;

enum { CSV_SCAN_OK, CSV_SCAN_MORE, CSV_SCAN_UNTERMINATED, CSV_SCAN_JUNK };
enum { CSV_REC_OK, CSV_REC_END, CSV_REC_BLOCKED };

/* Reading state of one consumer: the sequential reader, or one parallel worker. */
typedef struct csv_cursor {
    size_t file_idx;
    bool stream_open;
    bool file_first_rec; /* the next record is the first data record of this file */
    csv_stream st;
    csv_field *fields; /* batch_rows x n_cols */
    long *lines;       /* batch_rows */
    uint32_t batch_rows;
    kl_buf scratch; /* unescaped field text */
} csv_cursor;

/* A morsel: a byte range [start, end) of one plain file beginning at a record start, or a
 * whole file read through fs_reader (compressed files, escape != quote). */
typedef struct csv_morsel {
    size_t file_idx;
    bool whole;
    uint64_t start, end;
} csv_morsel;

struct kl_csv {
    char **paths;
    size_t n_paths;
    csv_dialect d;
    bool header;
    char *nullstr;
    size_t nullstr_len;
    long sample_size;
    bool filename;
    bool explicit_types; /* columns := given */
    uint32_t n_cols;     /* CSV columns (without filename) */
    char **names;        /* n_cols (+1) */
    kl_type *types;      /* n_cols (+1) */
    bool *type_explicit; /* per column: set by columns/types */
    bool *needed;        /* n_cols */
    /* sequential reading state (csv_next) */
    bool done;
    csv_cursor cur;
    /* parallel morsels (csv_worker_*): the splitting state, under mu */
    pthread_mutex_t mu;
    size_t plan_file;   /* file being split */
    int plan_fd;        /* its descriptor, -1 when not open */
    uint64_t plan_off;  /* next morsel's start */
    uint64_t plan_size; /* its size */
    uint64_t next_idx;  /* next morsel index */
    int plan_rc;        /* a failed split stops every worker with this error */
    kl_error plan_err;
};

/* ---- small helpers -------------------------------------------------------------------- */

static const char *csv_type_name(kl_type t) {
    switch (t) {
    case KILN_TYPE_BOOLEAN: return "BOOLEAN";
    case KILN_TYPE_BIGINT: return "BIGINT";
    case KILN_TYPE_DOUBLE: return "DOUBLE";
    case KILN_TYPE_VARCHAR: return "VARCHAR";
    case KILN_TYPE_DATE: return "DATE";
    case KILN_TYPE_TIMESTAMP: return "TIMESTAMP";
    default: return "NULL";
    }
}

static void csv_dialect_init(csv_dialect *d, char delim, char quote, char escape) {
    d->delim = delim;
    d->quote = quote;
    d->escape = escape ? escape : quote;
    memset(d->stop, 0, sizeof d->stop);
    d->stop[(uint8_t)delim] = 1;
    d->stop['\n'] = 1;
    d->stop['\r'] = 1;
}

static long csv_count_nl(const char *p, size_t n) {
    long c = 0;
    const char *e = p + n;
    while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

/* First byte in [p, p+n) that is the quote or the escape character. */
static const char *csv_find_quote(const csv_dialect *d, const char *p, size_t n) {
    if (d->escape == d->quote) return memchr(p, d->quote, n);
    const char *a = memchr(p, d->quote, n);
    const char *b = memchr(p, d->escape, a ? (size_t)(a - p) : n);
    return b ? b : a;
}

/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). ASCII runs go 8 bytes a step. */
static bool csv_utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

/* ---- the scanning core ---------------------------------------------------------------- */

/*
 * Scan one record starting at buf[pos] (which is not an empty line). Fields beyond max_f are
 * counted but not stored. Returns CSV_SCAN_OK with *next past the record terminator and
 * *n_lines the newlines consumed; CSV_SCAN_MORE if the record may continue past end (only
 * when !eof); CSV_SCAN_UNTERMINATED / CSV_SCAN_JUNK on malformed quoting, with *n_f the
 * 0-based index of the bad field and *n_lines the newlines before it.
 */
static int csv_scan_record(const csv_dialect *d, const char *buf, size_t pos, size_t end, bool eof,
                           csv_field *f, uint32_t max_f, uint32_t *n_f, size_t *next,
                           long *n_lines) {
    size_t p = pos;
    uint32_t nf = 0;
    long nl = 0;
    for (;;) {
        size_t fstart, flen;
        uint32_t flags = 0;
        if (p < end && d->quote && buf[p] == d->quote) {
            long nl_field = nl;
            size_t q = p + 1;
            flags = CSV_QUOTED;
            for (;;) {
                const char *hit = csv_find_quote(d, buf + q, end - q);
                if (!hit) {
                    if (!eof) return CSV_SCAN_MORE;
                    *n_f = nf;
                    *n_lines = nl_field;
                    return CSV_SCAN_UNTERMINATED;
                }
                size_t h = (size_t)(hit - buf);
                nl += csv_count_nl(buf + q, h - q);
                if (buf[h] != d->quote) { /* a distinct escape character */
                    if (h + 1 >= end) {
                        if (!eof) return CSV_SCAN_MORE;
                        *n_f = nf;
                        *n_lines = nl_field;
                        return CSV_SCAN_UNTERMINATED;
                    }
                    if (buf[h + 1] == '\n') nl++;
                    flags |= CSV_ESCAPED;
                    q = h + 2;
                    continue;
                }
                if (h + 1 >= end && !eof) return CSV_SCAN_MORE;
                if (h + 1 < end && buf[h + 1] == d->quote && d->escape == d->quote) {
                    flags |= CSV_ESCAPED;
                    q = h + 2;
                    continue;
                }
                fstart = p + 1;
                flen = h - fstart;
                p = h + 1;
                break;
            }
            /* After the closing quote only blanks may come before the delimiter/newline. */
            size_t s = p;
            while (s < end && (buf[s] == ' ' || buf[s] == '\t') && buf[s] != d->delim) s++;
            if (s == end && !eof) return CSV_SCAN_MORE;
            if (s < end && buf[s] != d->delim && buf[s] != '\n' && buf[s] != '\r') {
                *n_f = nf;
                *n_lines = nl;
                return CSV_SCAN_JUNK;
            }
            p = s;
        } else {
            size_t s = p;
            while (s < end && !d->stop[(uint8_t)buf[s]]) s++;
            if (s == end && !eof) return CSV_SCAN_MORE;
            fstart = p;
            flen = s - p;
            p = s;
        }
        if (nf < max_f) f[nf] = (csv_field){(uint32_t)fstart, (uint32_t)flen, flags};
        nf++;
        if (p >= end) { /* end of file ends the record */
            *next = end;
            break;
        }
        char c = buf[p];
        if (c == d->delim) {
            p++;
            if (p >= end && !eof) return CSV_SCAN_MORE;
            continue;
        }
        if (c == '\r') {
            if (p + 1 >= end && !eof) return CSV_SCAN_MORE;
            p += (p + 1 < end && buf[p + 1] == '\n') ? 2 : 1;
        } else {
            p++;
        }
        nl++;
        *next = p;
        break;
    }
    *n_f = nf;
    *n_lines = nl;
    return CSV_SCAN_OK;
}

/* ---- streams -------------------------------------------------------------------------- */

static void csv_stream_close(csv_stream *s) {
    fs_reader_close(s->r);
    if (s->own_buf) kl_free(s->buf);
    memset(s, 0, sizeof *s);
}

/* Zero the padding after end so vector loads past the end see no stale bytes. */
static inline void csv_stream_pad(csv_stream *s) { memset(s->buf + s->end, 0, CSV_PAD); }

/* Slide the unconsumed bytes to the front (growing the block if it is full) and read more. */
static int csv_stream_refill(csv_stream *s, kl_error *err) {
    if (s->eof) return 0;
    if (s->pos > 0) {
        memmove(s->buf, s->buf + s->pos, s->end - s->pos);
        s->end -= s->pos;
        s->pos = 0;
    }
    if (s->end == s->cap) {
        if (s->cap >= CSV_MAX_BLOCK)
            return kl_err_data(err, KILN_ERR_DATA, s->path, s->line, 0,
                               "Record at line %ld of \"%s\" is longer than 2 GiB", s->line,
                               s->path);
        size_t ncap = s->cap * 2;
        char *nb = kl_realloc(s->buf, ncap + CSV_PAD);
        if (!nb) return kl_err(err, KILN_ERR_MEMORY, "out of memory reading \"%s\"", s->path);
        s->buf = nb;
        s->cap = ncap;
    }
    size_t got, want = s->cap - s->end;
    if (s->read_size && s->read_size < want) want = s->read_size;
    if (s->read_size && s->read_size < CSV_BLOCK) s->read_size *= 2;
    TRY(fs_read(s->r, s->buf + s->end, want, &got, err));
    if (got == 0) s->eof = true;
    s->end += got;
    csv_stream_pad(s);
    return 0;
}

static int csv_stream_open(csv_stream *s, const char *path, kl_error *err) {
    memset(s, 0, sizeof *s);
    s->path = path;
    s->line = 1;
    TRY(fs_reader_open(path, &s->r, err));
    s->cap = CSV_BLOCK;
    s->read_size = 256u * 1024u;
    s->buf = kl_malloc(s->cap + CSV_PAD);
    s->own_buf = true;
    if (!s->buf) {
        csv_stream_close(s);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory reading \"%s\"", path);
    }
    csv_stream_pad(s);
    /* Read enough to see a byte order mark. */
    while (!s->eof && s->end < 3) TRY(csv_stream_refill(s, err));
    if (s->end >= 3 && memcmp(s->buf, "\xEF\xBB\xBF", 3) == 0) s->pos = 3;
    return 0;
}

/*
 * Next record of a stream into f (max_f stored). *got = CSV_REC_OK, CSV_REC_END at end of
 * file, or CSV_REC_BLOCKED when more bytes are needed but may_refill is false (the caller
 * holds offsets into the block). *line receives the record's first line.
 */
static int csv_read_record(const kl_csv *rd, csv_stream *s, bool may_refill, csv_field *f,
                           uint32_t max_f, uint32_t *nf, long *line, int *got, kl_error *err) {
    for (;;) {
        /* Skip empty lines. */
        while (s->pos < s->end) {
            char c = s->buf[s->pos];
            if (c == '\n') {
                s->pos++;
                s->line++;
            } else if (c == '\r') {
                if (s->pos + 1 >= s->end && !s->eof) break;
                s->pos += (s->pos + 1 < s->end && s->buf[s->pos + 1] == '\n') ? 2 : 1;
                s->line++;
            } else {
                break;
            }
        }
        int rc = CSV_SCAN_MORE;
        size_t next = 0;
        long nl = 0;
        if (s->pos < s->end && !(s->buf[s->pos] == '\r' && s->pos + 1 >= s->end && !s->eof)) {
            rc = csv_scan_record(&rd->d, s->buf, s->pos, s->end, s->eof, f, max_f, nf, &next,
                                 &nl);
        } else if (s->pos >= s->end && s->eof) {
            *got = CSV_REC_END;
            return 0;
        }
        if (rc == CSV_SCAN_OK) {
            *line = s->line;
            s->line += nl;
            s->pos = next;
            *got = CSV_REC_OK;
            return 0;
        }
        if (rc == CSV_SCAN_MORE) {
            if (!may_refill) {
                *got = CSV_REC_BLOCKED;
                return 0;
            }
            TRY(csv_stream_refill(s, err));
            continue;
        }
        long at = s->line + nl;
        if (rc == CSV_SCAN_UNTERMINATED)
            return kl_err_data(err, KILN_ERR_DATA, s->path, at, (long)*nf + 1,
                               "Unterminated quoted field in column %u starting at line %ld of "
                               "\"%s\"",
                               *nf + 1, at, s->path);
        return kl_err_data(err, KILN_ERR_DATA, s->path, at, (long)*nf + 1,
                           "Unexpected character after the closing quote of column %u at line "
                           "%ld of \"%s\" (a quote inside a quoted field must be doubled)",
                           *nf + 1, at, s->path);
    }
}

/* Text of a field: points into the block, or into rd->scratch when escapes are removed. */
static int csv_field_text(const csv_dialect *d, kl_buf *scratch, const char *buf,
                          const csv_field *f, const char **p, size_t *len) {
    const char *s = buf + f->off;
    if (!(f->flags & CSV_ESCAPED)) {
        *p = s;
        *len = f->len;
        return 0;
    }
    kl_buf_clear(scratch);
    TRY(kl_buf_reserve(scratch, f->len + 1));
    char *o = scratch->data;
    size_t n = 0;
    for (size_t i = 0; i < f->len; i++) {
        char c = s[i];
        if ((c == d->escape || c == d->quote) && i + 1 < f->len) {
            /* doubled quote, or escape + any character: keep the second one */
            o[n++] = s[++i];
            continue;
        }
        o[n++] = c;
    }
    o[n] = '\0';
    scratch->len = n;
    *p = o;
    *len = n;
    return 0;
}

static bool csv_is_null(const kl_csv *rd, const char *buf, const csv_field *f) {
    /* DuckDB's default (allow_quoted_nulls): a quoted field equal to nullstr is NULL too */
    return f->len == rd->nullstr_len &&
           memcmp(buf + f->off, rd->nullstr, rd->nullstr_len) == 0;
}

/* ---- type inference ------------------------------------------------------------------- */

static bool csv_is_bool_word(const char *p, size_t len) {
    while (len && (*p == ' ' || *p == '\t')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    return (len == 4 && strncasecmp(p, "true", 4) == 0) ||
           (len == 5 && strncasecmp(p, "false", 5) == 0);
}

/* The subset of mask whose types can hold the value. */
static inline __attribute__((always_inline)) bool csv_dbl_parts(const char *p, size_t len, double *mant,
                                                                 unsigned *idx);

static unsigned csv_fit(const char *p, size_t len, unsigned mask) {
    unsigned out = 0;
    if ((mask & CSV_T_BOOL) && csv_is_bool_word(p, len)) out |= CSV_T_BOOL;
    int64_t i64;
    double dbl;
    int32_t days;
    if ((mask & CSV_T_INT) && kl_parse_int64(p, len, &i64)) {
        out |= CSV_T_INT | CSV_T_DBL;
    } else if ((mask & CSV_T_DBL) && kl_parse_double(p, len, &dbl)) {
        out |= CSV_T_DBL;
    }
    if ((mask & (CSV_T_DATE | CSV_T_TS)) && kl_parse_date(p, len, &days)) {
        out |= CSV_T_DATE | CSV_T_TS;
    } else if ((mask & CSV_T_TS) && kl_parse_timestamp(p, len, &i64)) {
        out |= CSV_T_TS;
    }
    return out & mask;
}

static kl_type csv_mask_type(unsigned mask, bool seen) {
    if (!seen) return KILN_TYPE_VARCHAR;
    if (mask & CSV_T_BOOL) return KILN_TYPE_BOOLEAN;
    if (mask & CSV_T_INT) return KILN_TYPE_BIGINT;
    if (mask & CSV_T_DBL) return KILN_TYPE_DOUBLE;
    if (mask & CSV_T_DATE) return KILN_TYPE_DATE;
    if (mask & CSV_T_TS) return KILN_TYPE_TIMESTAMP;
    return KILN_TYPE_VARCHAR;
}

/* Does text fit type t (used for header detection against given/inferred types)? */
static bool csv_fits_type(const char *p, size_t len, kl_type t) {
    int64_t i64;
    double dbl;
    int32_t days;
    bool b;
    switch (t) {
    case KILN_TYPE_BOOLEAN: return kl_parse_bool(p, len, &b);
    case KILN_TYPE_BIGINT: return kl_parse_int64(p, len, &i64);
    case KILN_TYPE_DOUBLE: return kl_parse_double(p, len, &dbl);
    case KILN_TYPE_DATE: return kl_parse_date(p, len, &days);
    case KILN_TYPE_TIMESTAMP: return kl_parse_timestamp(p, len, &i64);
    default: return true;
    }
}

/* ---- sniffing ------------------------------------------------------------------------- */

/* Pick the delimiter from the bytes already in the block. */
static char csv_sniff_delim(const kl_csv *rd, const csv_stream *s) {
    static const char cands[] = {',', ';', '\t', '|'};
    csv_field tmp[1];
    char best = ',';
    long best_score = -1;
    for (size_t c = 0; c < sizeof cands; c++) {
        if (cands[c] == rd->d.quote) continue;
        csv_dialect d;
        csv_dialect_init(&d, cands[c], rd->d.quote, rd->d.escape);
        size_t pos = s->pos;
        uint32_t first = 0, n_rec = 0, n_match = 0;
        bool consistent = true, bad = false;
        while (n_rec < CSV_SNIFF_RECORDS && pos < s->end) {
            if (s->buf[pos] == '\n' || s->buf[pos] == '\r') {
                pos++;
                continue;
            }
            uint32_t nf;
            size_t next;
            long nl;
            int rc = csv_scan_record(&d, s->buf, pos, s->end, s->eof, tmp, 0, &nf, &next, &nl);
            if (rc == CSV_SCAN_MORE) break;
            if (rc != CSV_SCAN_OK) {
                bad = true;
                break;
            }
            if (n_rec == 0) first = nf;
            if (nf == first) n_match++;
            else consistent = false;
            n_rec++;
            pos = next;
        }
        if (bad || n_rec == 0 || first < 2) continue;
        /* Consistent splits beat inconsistent ones; then more fields; then matching rows. */
        long score = (consistent ? 1L << 40 : 0) + ((long)first << 20) + (long)n_match;
        if (!consistent && n_match * 2 < n_rec) continue;
        if (score > best_score) {
            best_score = score;
            best = cands[c];
        }
    }
    return best;
}

static bool csv_is_empty_content(const csv_stream *s) {
    for (size_t i = s->pos; i < s->end; i++)
        if (s->buf[i] != '\n' && s->buf[i] != '\r') return false;
    return s->eof;
}

/* "column0".."columnN", zero-padded to the width of the largest index (DuckDB style). */
static char *csv_generated_name(uint32_t idx, uint32_t n_cols) {
    int width = 1;
    for (uint32_t m = n_cols > 0 ? n_cols - 1 : 0; m >= 10; m /= 10) width++;
    char tmp[48]; /* width <= 10: a uint32_t has at most 10 digits */
    snprintf(tmp, sizeof tmp, "column%0*u", width & 15, idx);
    return kl_strdup(tmp);
}

static int csv_dedup_names(kl_csv *rd, kl_error *err) {
    for (uint32_t i = 0; i < rd->n_cols; i++) {
        for (uint32_t k = 1;; k++) {
            bool clash = false;
            for (uint32_t j = 0; j < i && !clash; j++)
                clash = strcasecmp(rd->names[i], rd->names[j]) == 0;
            if (!clash) break;
            /* rename from the original base every time: a, a_1, a_2 */
            size_t base_len = strlen(rd->names[i]);
            if (k > 1) {
                char *us = strrchr(rd->names[i], '_');
                if (us) base_len = (size_t)(us - rd->names[i]);
            }
            char *nn = kl_malloc(base_len + 24);
            if (!nn) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
            snprintf(nn, base_len + 24, "%.*s_%u", (int)base_len, rd->names[i], k);
            kl_free(rd->names[i]);
            rd->names[i] = nn;
        }
    }
    return 0;
}

static long csv_sample_limit(const kl_csv *rd) {
    return rd->sample_size < 0 ? -1 : rd->sample_size;
}

/*
 * The sniff pass over the first file: delimiter, column count, header, names and types.
 */
static int csv_sniff(kl_csv *rd, const kl_csv_options *opts, kl_error *err) {
    csv_stream s;
    const char *path = rd->paths[0];
    TRY(csv_stream_open(&s, path, err));
    int rc = 0;
    csv_field *f = NULL;
    char **first = NULL;     /* first record's values (kl_strdup'ed, NULL = null value) */
    unsigned *masks = NULL;
    bool *seen = NULL;
    uint32_t n_first = 0;
    /* Fill at least a sniffing window. */
    while (!s.eof && s.end - s.pos < CSV_SNIFF_BYTES && s.end < s.cap) {
        size_t before = s.end;
        rc = csv_stream_refill(&s, err);
        if (rc) goto done;
        if (s.end == before && !s.eof) break;
    }
    if (csv_is_empty_content(&s)) {
        if (opts->columns && opts->n_columns > 0) goto done; /* schema given: zero rows */
        rc = kl_err_data(err, KILN_ERR_DATA, path, 0, 0,
                         "CSV file \"%s\" is empty: no header and no rows to infer columns from",
                         path);
        goto done;
    }
    if (!opts->delim) csv_dialect_init(&rd->d, csv_sniff_delim(rd, &s), rd->d.quote, rd->d.escape);

    /* The first record fixes the column count. */
    uint32_t cap_f = 256, nf;
    long line;
    int got;
    f = kl_malloc(cap_f * sizeof *f);
    if (!f) goto oom;
    for (;;) {
        size_t save_pos = s.pos;
        long save_line = s.line;
        rc = csv_read_record(rd, &s, true, f, cap_f, &nf, &line, &got, err);
        if (rc) goto done;
        if (got != CSV_REC_OK || nf <= cap_f) break;
        /* More fields than room: grow and re-scan the same record. */
        kl_free(f);
        cap_f = nf;
        f = kl_malloc(cap_f * sizeof *f);
        if (!f) goto oom;
        s.pos = save_pos;
        s.line = save_line;
    }
    if (got != CSV_REC_OK) { /* only empty lines */
        if (opts->columns && opts->n_columns > 0) goto done;
        rc = kl_err_data(err, KILN_ERR_DATA, path, 0, 0,
                         "CSV file \"%s\" is empty: no header and no rows to infer columns from",
                         path);
        goto done;
    }
    n_first = nf;
    if (opts->columns && opts->n_columns > 0 && nf != opts->n_columns) {
        rc = kl_err_data(err, KILN_ERR_DATA, path, line, 0,
                         "Expected %u fields (from columns := ...) but found %u at line %ld of "
                         "\"%s\"",
                         opts->n_columns, nf, line, path);
        goto done;
    }
    first = kl_calloc(nf, sizeof *first);
    masks = kl_malloc(nf * sizeof *masks);
    seen = kl_calloc(nf, sizeof *seen);
    if (!first || !masks || !seen) goto oom;
    for (uint32_t c = 0; c < nf; c++) {
        masks[c] = CSV_T_ALL;
        if (csv_is_null(rd, s.buf, &f[c])) continue;
        const char *p;
        size_t len;
        if (csv_field_text(&rd->d, &rd->cur.scratch, s.buf, &f[c], &p, &len)) goto oom;
        first[c] = kl_strndup(p, len);
        if (!first[c]) goto oom;
    }
    rd->n_cols = nf;

    /* Sample the following records. */
    long limit = csv_sample_limit(rd), n_body = 0;
    while (limit < 0 || n_body < limit) {
        uint32_t n;
        rc = csv_read_record(rd, &s, true, f, cap_f, &n, &line, &got, err);
        if (rc) goto done;
        if (got != CSV_REC_OK) break;
        if (n != nf) {
            rc = kl_err_data(err, KILN_ERR_DATA, path, line, 0,
                             "Expected %u fields but found %u at line %ld of \"%s\"", nf, n,
                             line, path);
            goto done;
        }
        for (uint32_t c = 0; c < nf; c++) {
            if (!masks[c] || csv_is_null(rd, s.buf, &f[c]) || f[c].len == 0) continue;
            seen[c] = true;
            if (masks[c] == CSV_T_DBL && f[c].flags == 0) { /* the common case: a plain decimal */
                double m;
                unsigned fi;
                if (csv_dbl_parts(s.buf + f[c].off, f[c].len, &m, &fi)) continue;
            }
            const char *p;
            size_t len;
            if (csv_field_text(&rd->d, &rd->cur.scratch, s.buf, &f[c], &p, &len)) goto oom;
            masks[c] = csv_fit(p, len, masks[c]);
        }
        n_body++;
    }

    /* Header detection. */
    bool header;
    if (opts->header >= 0) {
        header = opts->header == 1;
    } else if (opts->columns && opts->n_columns > 0) {
        bool all_names = true, misfit = false;
        for (uint32_t c = 0; c < nf; c++) {
            const char *v = first[c];
            if (!v || strcasecmp(v, opts->columns[c].name) != 0) all_names = false;
            if (v && *v && !csv_fits_type(v, strlen(v), opts->columns[c].type)) misfit = true;
        }
        header = all_names || misfit;
    } else {
        bool misfit = false, any_typed = false;
        for (uint32_t c = 0; c < nf; c++) {
            kl_type t = csv_mask_type(masks[c], seen[c]);
            if (t == KILN_TYPE_VARCHAR) continue;
            any_typed = true;
            const char *v = first[c];
            if (v && *v && !csv_fit(v, strlen(v), masks[c])) misfit = true;
        }
        if (misfit) {
            header = true;
        } else if (any_typed) {
            header = false;
        } else {
            /* Every column is text: a header if all first values are present, non-numeric
             * and distinct. */
            header = true;
            for (uint32_t c = 0; c < nf && header; c++) {
                const char *v = first[c];
                double dbl;
                if (!v || !*v || kl_parse_double(v, strlen(v), &dbl)) header = false;
                for (uint32_t j = 0; j < c && header; j++)
                    if (first[j] && v && strcasecmp(first[j], v) == 0) header = false;
            }
        }
    }
    rd->header = header;
    if (!header) {
        for (uint32_t c = 0; c < nf; c++) {
            const char *v = first[c];
            if (!v || !*v || !masks[c]) continue;
            masks[c] = csv_fit(v, strlen(v), masks[c]);
            seen[c] = true;
        }
    }
    rc = 0;
done:
    if (!rc && rd->n_cols == 0 && opts->columns && opts->n_columns > 0) rd->n_cols = opts->n_columns;
    if (!rc) {
        uint32_t n = rd->n_cols + 1;
        rd->names = kl_calloc(n, sizeof *rd->names);
        rd->types = kl_calloc(n, sizeof *rd->types);
        rd->type_explicit = kl_calloc(n, sizeof *rd->type_explicit);
        rd->needed = kl_calloc(n, sizeof *rd->needed);
        if (!rd->names || !rd->types || !rd->type_explicit || !rd->needed) goto oom;
        for (uint32_t c = 0; c < rd->n_cols; c++) {
            rd->needed[c] = true;
            if (opts->columns && opts->n_columns > 0) {
                rd->names[c] = kl_strdup(opts->columns[c].name ? opts->columns[c].name : "");
                rd->types[c] = opts->columns[c].type;
                rd->type_explicit[c] = true;
            } else {
                if (rd->header && first && first[c] && first[c][0]) {
                    if (!csv_utf8_valid((const unsigned char *)first[c], strlen(first[c]))) {
                        rc = kl_err_data(err, KILN_ERR_DATA, path, 1, (long)c + 1,
                                         "Invalid UTF-8 in the header of column %u at line 1 of "
                                         "\"%s\"",
                                         c + 1, path);
                        goto fail_free;
                    }
                    rd->names[c] = kl_strdup(first[c]);
                } else {
                    rd->names[c] = csv_generated_name(c, rd->n_cols);
                }
                rd->types[c] = csv_mask_type(masks[c], seen[c]);
                if (opts->all_varchar) rd->types[c] = KILN_TYPE_VARCHAR;
            }
            if (!rd->names[c]) goto oom;
        }
    }
fail_free:
    if (first)
        for (uint32_t c = 0; c < n_first; c++) kl_free(first[c]);
    kl_free(first);
    kl_free(masks);
    kl_free(seen);
    kl_free(f);
    csv_stream_close(&s);
    return rc;
oom:
    rc = kl_err(err, KILN_ERR_MEMORY, "out of memory reading \"%s\"", path);
    goto fail_free;
}

/* ---- cursors ------------------------------------------------------------------------- */

static int csv_cursor_init(const kl_csv *rd, csv_cursor *cur, kl_error *err) {
    uint32_t per = rd->n_cols ? rd->n_cols : 1;
    cur->batch_rows = KL_CHUNK_ROWS;
    if ((size_t)cur->batch_rows * per > CSV_MAX_BATCH_FIELDS)
        cur->batch_rows = (uint32_t)KL_MAX(1, CSV_MAX_BATCH_FIELDS / per);
    cur->fields = kl_malloc((size_t)cur->batch_rows * per * sizeof *cur->fields);
    cur->lines = kl_malloc((size_t)cur->batch_rows * sizeof *cur->lines);
    if (!cur->fields || !cur->lines) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    return 0;
}

static void csv_cursor_free(csv_cursor *cur) {
    if (cur->stream_open) csv_stream_close(&cur->st);
    kl_free(cur->fields);
    kl_free(cur->lines);
    kl_buf_free(&cur->scratch);
    memset(cur, 0, sizeof *cur);
}

/* ---- open / close --------------------------------------------------------------------- */

void csv_options_init(kl_csv_options *opts) {
    memset(opts, 0, sizeof *opts);
    opts->header = -1;
    opts->delim = 0;
    opts->quote = '"';
    opts->escape = 0;
    opts->nullstr = "";
    opts->sample_size = 20480;
}

int csv_open(const char *path, const kl_csv_options *opts, kl_csv **out, kl_error *err) {
    *out = NULL;
    kl_csv_options def;
    if (!opts) {
        csv_options_init(&def);
        opts = &def;
    }
    char quote = opts->quote;
    char escape = opts->escape ? opts->escape : quote;
    if (opts->delim && (opts->delim == quote || opts->delim == '\n' || opts->delim == '\r'))
        return kl_err(err, KILN_ERR_INVALID,
                      "Invalid CSV options: the delimiter must differ from the quote and newline");
    if (opts->sample_size == 0 || opts->sample_size < -1)
        return kl_err(err, KILN_ERR_INVALID, "Invalid CSV options: sample_size must be > 0 or -1");
    for (uint32_t i = 0; opts->columns && i < opts->n_columns; i++)
        if (opts->columns[i].type <= KILN_TYPE_NULL || opts->columns[i].type >= KILN_TYPE_MODEL)
            return kl_err(err, KILN_ERR_INVALID, "Invalid type for column \"%s\" in columns := ...",
                          opts->columns[i].name ? opts->columns[i].name : "");

    kl_csv *rd = kl_calloc(1, sizeof *rd);
    if (!rd) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    pthread_mutex_init(&rd->mu, NULL);
    rd->plan_fd = -1;
    int rc = fs_glob(path, &rd->paths, &rd->n_paths, err);
    if (rc) {
        pthread_mutex_destroy(&rd->mu);
        kl_free(rd);
        return rc;
    }
    csv_dialect_init(&rd->d, opts->delim ? opts->delim : ',', quote, escape);
    rd->nullstr = kl_strdup(opts->nullstr ? opts->nullstr : "");
    if (!rd->nullstr) {
        csv_close(rd);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    rd->nullstr_len = strlen(rd->nullstr);
    rd->sample_size = opts->sample_size;
    rd->filename = opts->filename;
    rd->explicit_types = opts->columns && opts->n_columns > 0;
    rc = csv_sniff(rd, opts, err);
    if (rc) {
        csv_close(rd);
        return rc;
    }
    if (!rd->explicit_types && opts->types) {
        for (uint32_t t = 0; t < opts->n_types; t++) {
            const char *nm = opts->types[t].name ? opts->types[t].name : "";
            kl_type ty = opts->types[t].type;
            uint32_t c = 0;
            while (c < rd->n_cols && strcasecmp(rd->names[c], nm) != 0) c++;
            if (c == rd->n_cols) {
                rc = kl_err(err, KILN_ERR_INVALID,
                            "types := {...} names column \"%s\", which does not exist in \"%s\"", nm,
                            rd->paths[0]);
                csv_close(rd);
                return rc;
            }
            if (ty <= KILN_TYPE_NULL || ty >= KILN_TYPE_MODEL) { /* a MODEL: read text, model_from_json */
                csv_close(rd);
                return kl_err(err, KILN_ERR_INVALID, "Invalid type for column \"%s\" in types := ...",
                              nm);
            }
            rd->types[c] = ty;
            rd->type_explicit[c] = true;
        }
    }
    rc = csv_dedup_names(rd, err);
    if (!rc && rd->filename) {
        rd->names[rd->n_cols] = kl_strdup("filename");
        rd->types[rd->n_cols] = KILN_TYPE_VARCHAR;
        if (!rd->names[rd->n_cols]) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    if (!rc) rc = csv_cursor_init(rd, &rd->cur, err);
    if (rc) {
        csv_close(rd);
        return rc;
    }
    *out = rd;
    return 0;
}

uint32_t csv_column_count(const kl_csv *rd) { return rd->n_cols + (rd->filename ? 1 : 0); }

const char *csv_column_name(const kl_csv *rd, uint32_t col) {
    return col < csv_column_count(rd) ? rd->names[col] : NULL;
}

kl_type csv_column_type(const kl_csv *rd, uint32_t col) {
    return col < csv_column_count(rd) ? rd->types[col] : KILN_TYPE_NULL;
}

void csv_set_projection(kl_csv *rd, const bool *needed) {
    for (uint32_t c = 0; c < rd->n_cols; c++) rd->needed[c] = needed ? needed[c] : true;
}

void csv_close(kl_csv *rd) {
    if (!rd) return;
    csv_cursor_free(&rd->cur);
    pthread_mutex_destroy(&rd->mu);
    if (rd->plan_fd >= 0) close(rd->plan_fd);
    fs_glob_free(rd->paths, rd->n_paths);
    if (rd->names)
        for (uint32_t c = 0; c <= rd->n_cols; c++) kl_free(rd->names[c]);
    kl_free(rd->names);
    kl_free(rd->types);
    kl_free(rd->type_explicit);
    kl_free(rd->needed);
    kl_free(rd->nullstr);
    kl_free(rd);
}

/* ---- reading -------------------------------------------------------------------------- */

static int csv_count_error(const kl_csv *rd, const csv_cursor *cur, uint32_t found, long line,
                           kl_error *err) {
    const char *path = cur->st.path;
    if (cur->file_first_rec && cur->file_idx > 0)
        return kl_err_data(err, KILN_ERR_DATA, path, line, 0,
                           "CSV file \"%s\" has %u columns but the first file \"%s\" has %u; all "
                           "files read together must have the same columns",
                           path, found, rd->paths[0], rd->n_cols);
    return kl_err_data(err, KILN_ERR_DATA, path, line, 0,
                       "Expected %u fields but found %u at line %ld of \"%s\"", rd->n_cols, found,
                       line, path);
}

/* The stream is at the start of a file: skip (and check the width of) the header line. */
static int csv_cursor_start_file(const kl_csv *rd, csv_cursor *cur, kl_error *err) {
    cur->file_first_rec = true;
    if (!rd->header) return 0;
    uint32_t nf;
    long line;
    int got;
    TRY(csv_read_record(rd, &cur->st, true, cur->fields, rd->n_cols, &nf, &line, &got, err));
    if (got == CSV_REC_OK && nf != rd->n_cols) return csv_count_error(rd, cur, nf, line, err);
    cur->file_first_rec = false;
    return 0;
}

static int csv_cursor_open_file(const kl_csv *rd, csv_cursor *cur, kl_error *err) {
    TRY(csv_stream_open(&cur->st, rd->paths[cur->file_idx], err));
    cur->stream_open = true;
    return csv_cursor_start_file(rd, cur, err);
}

static void csv_cursor_close_file(csv_cursor *cur) {
    if (cur->stream_open) csv_stream_close(&cur->st);
    cur->stream_open = false;
}

/*
 * Bit i of the result is set when buf[base + i] (i < 64) is the delimiter, '\n', '\r' or the
 * quote. Reads 64 bytes from base (the block keeps CSV_PAD readable bytes after its end).
 */
#if defined(__SSE2__)
typedef struct csv_simd {
    __m128i d, n, r, q;
} csv_simd;
static inline csv_simd csv_simd_init(char delim, char quote) {
    return (csv_simd){_mm_set1_epi8(delim), _mm_set1_epi8('\n'), _mm_set1_epi8('\r'),
                      _mm_set1_epi8(quote)};
}
static inline uint64_t csv_stops16(const char *p, const csv_simd *v) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, v->d), _mm_cmpeq_epi8(x, v->n)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, v->r), _mm_cmpeq_epi8(x, v->q)));
    return (uint64_t)(unsigned)_mm_movemask_epi8(m);
}
static inline uint64_t csv_stops64(const char *p, const csv_simd *v) {
    return csv_stops16(p, v) | csv_stops16(p + 16, v) << 16 | csv_stops16(p + 32, v) << 32 |
           csv_stops16(p + 48, v) << 48;
}
#else
typedef struct csv_simd {
    uint64_t d, n, r, q;
} csv_simd;
static inline csv_simd csv_simd_init(char delim, char quote) {
    const uint64_t o = 0x0101010101010101ULL;
    return (csv_simd){o * (uint8_t)delim, o * (uint8_t)'\n', o * (uint8_t)'\r', o * (uint8_t)quote};
}
/* High bit of each byte lane equal to c (exact: no false positives from borrows). */
static inline uint64_t csv_swar_eq(uint64_t w, uint64_t c) {
    uint64_t x = w ^ c;
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL;
    return ~(((x & lo7) + lo7) | x | lo7);
}
static inline uint64_t csv_stops64(const char *p, const csv_simd *v) {
    uint64_t out = 0;
    for (int k = 0; k < 8; k++) {
        uint64_t w;
        memcpy(&w, p + 8 * k, 8);
        uint64_t m = csv_swar_eq(w, v->d) | csv_swar_eq(w, v->n) | csv_swar_eq(w, v->r) |
                     csv_swar_eq(w, v->q);
        /* gather the high bits of the 8 lanes into 8 bits */
        uint64_t bits = ((m >> 7) * 0x0102040810204080ULL) >> 56;
        out |= bits << (8 * k);
    }
    return out;
}
#endif

/*
 * Collect up to max_rows records of the current stream into cur->fields.
 *
 * Fast path: a 64-bit mask of the structural bytes (delimiter, CR, LF, quote) of a 64-byte
 * window is computed with vector compares, and its set bits are walked: each one ends a field,
 * so there is no call and no byte loop per field. A record is taken by the fast path when it
 * has no quoted field, is not an empty line, has the expected field count and ends before the
 * block does; anything else is handed, from the record's start, to csv_read_record (which
 * also produces the errors) and the fast path resumes after it. *n_rows == 0 only at the end
 * of the file.
 */
__attribute__((noinline)) static int csv_collect(const kl_csv *rd, csv_cursor *cur,
                                                 uint32_t max_rows, uint32_t *n_rows,
                                                 kl_error *err) {
    uint32_t rows = 0, nc = rd->n_cols;
    csv_stream *s = &cur->st;
    const char delim = rd->d.delim, quote = rd->d.quote;
    const csv_simd vs = csv_simd_init(delim, quote);
    while (rows < max_rows) {
        /* fast path over as many records as possible */
        if (nc > 0) {
            const char *buf = s->buf;
            const size_t end = s->end;
            size_t rec = s->pos, fstart = rec, base = rec;
            long line = s->line;
            uint32_t nf = 0;
            csv_field *f = cur->fields + (size_t)rows * nc;
            uint64_t mask = base < end ? csv_stops64(buf + base, &vs) : 0;
            while (base < end) {
                if (!mask) {
                    base += 64;
                    if (base >= end) break;
                    mask = csv_stops64(buf + base, &vs);
                    continue;
                }
                size_t e = base + (size_t)__builtin_ctzll(mask);
                mask &= mask - 1;
                if (e >= end) break;
                char c = buf[e];
                if (c == delim) {
                    if (nf + 1 >= nc) break; /* too many fields */
                    f[nf++] = (csv_field){(uint32_t)fstart, (uint32_t)(e - fstart), 0};
                    fstart = e + 1;
                    continue;
                }
                if (c == quote) {
                    if (e == fstart) break; /* a quoted field */
                    continue;               /* a quote inside an unquoted field is text */
                }
                /* '\n' or '\r' */
                if (e == rec || nf + 1 != nc) break; /* empty line, or too few fields */
                size_t next = e + 1;
                if (c == '\r') {
                    if (next >= end) break;
                    if (buf[next] == '\n') next++;
                }
                f[nf] = (csv_field){(uint32_t)fstart, (uint32_t)(e - fstart), 0};
                cur->lines[rows++] = line++;
                rec = fstart = next;
                nf = 0;
                f += nc;
                if (rows == max_rows) break;
                if (c == '\r') { /* the window may hold the LF already consumed */
                    base = next;
                    mask = base < end ? csv_stops64(buf + base, &vs) : 0;
                }
            }
            if (rec != s->pos) {
                s->pos = rec;
                s->line = line;
                cur->file_first_rec = false;
            }
            if (rows == max_rows) break;
        }
        /* general path for one record */
        uint32_t nf;
        long line;
        int got;
        csv_field *f = cur->fields + (size_t)rows * nc;
        TRY(csv_read_record(rd, s, rows == 0, f, nc, &nf, &line, &got, err));
        if (got != CSV_REC_OK) break;
        if (nf != nc) return csv_count_error(rd, cur, nf, line, err);
        cur->file_first_rec = false;
        cur->lines[rows++] = line;
    }
    *n_rows = rows;
    return 0;
}

static int csv_conv_error(const kl_csv *rd, const csv_cursor *cur, uint32_t col, long line,
                          const char *p, size_t len, kl_error *err) {
    const char *name = rd->names[col];
    const char *tn = csv_type_name(rd->types[col]);
    const char *path = cur->st.path;
    int shown = (int)KL_MIN(len, (size_t)200);
    const char *more = len > 200 ? "..." : "";
    if (rd->type_explicit[col])
        return kl_err_data(err, KILN_ERR_CONVERSION, path, line, (long)col + 1,
                           "Could not convert string \"%.*s%s\" to %s in column \"%s\" (column "
                           "%u) at line %ld of \"%s\". The column type was set explicitly; "
                           "change it in columns := {...} or types := {...}, e.g. {'%s': "
                           "'VARCHAR'}.",
                           shown, p, more, tn, name, col + 1, line, path, name);
    char sampled[64];
    if (rd->sample_size < 0)
        snprintf(sampled, sizeof sampled, "all rows of the first file");
    else
        snprintf(sampled, sizeof sampled, "the first %ld rows", rd->sample_size);
    return kl_err_data(err, KILN_ERR_CONVERSION, path, line, (long)col + 1,
                       "Could not convert string \"%.*s%s\" to %s in column \"%s\" (column %u) "
                       "at line %ld of \"%s\". The column type was inferred from %s; set it "
                       "explicitly with columns := {'%s': 'VARCHAR', ...} or types := {'%s': "
                       "'VARCHAR'}, or raise sample_size := -1 to sample the whole file.",
                       shown, p, more, tn, name, col + 1, line, path, sampled, name, name);
}

static int csv_utf8_error(const kl_csv *rd, const csv_cursor *cur, uint32_t col, long line,
                          kl_error *err) {
    return kl_err_data(err, KILN_ERR_DATA, cur->st.path, line, (long)col + 1,
                       "Invalid UTF-8 in column \"%s\" (column %u) at line %ld of \"%s\"",
                       rd->names[col], col + 1, line, cur->st.path);
}

static inline bool csv_null_field(const kl_csv *rd, const char *buf, const csv_field *f) {
    return f->len == rd->nullstr_len &&
           (rd->nullstr_len == 0 || memcmp(buf + f->off, rd->nullstr, rd->nullstr_len) == 0);
}

/*
 * n (1..8) ASCII digits at p as a number, 8 bytes at a time (SWAR); false if one is not a
 * digit. Reads 8 bytes from p: only for text inside a padded block.
 */
static inline bool csv_swar_word(uint64_t w, size_t n, uint64_t *out) {
    unsigned shift = (unsigned)(8 - n) * 8;
    w <<= shift; /* the digits move to the high bytes; the low bytes become leading zeros */
    w |= 0x3030303030303030ULL & ((1ULL << shift) - 1);
    if (((w & 0xF0F0F0F0F0F0F0F0ULL) |
         (((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) != 0x3333333333333333ULL)
        return false;
    w -= 0x3030303030303030ULL;
    w = (w * 10) + (w >> 8);
    w = (((w & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
         (((w >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
        32;
    *out = w;
    return true;
}

static inline bool csv_swar_digits(const char *p, size_t n, uint64_t *out) {
    uint64_t w;
    memcpy(&w, p, 8);
    return csv_swar_word(w, n, out);
}

/* [-]digits (at most 18): the common case of kl_parse_int64, same result. p is in a padded
 * block. */
static inline bool csv_int_fast(const char *p, size_t len, int64_t *out) {
    size_t i = p[0] == '-';
    size_t n = len - i;
    uint64_t v;
    if (n - 1 < 8) { /* 1..8 digits */
        if (!csv_swar_digits(p + i, n, &v)) return false;
    } else {
        if (n == 0 || n > 18) return false;
        v = 0;
        for (; i < len; i++) {
            unsigned d = (unsigned)(unsigned char)p[i] - '0';
            if (d > 9) return false;
            v = v * 10 + d;
        }
    }
    *out = p[0] == '-' ? -(int64_t)v : (int64_t)v;
    return true;
}

/* 10^f at [f], -10^f at [16 + f]: dividing the magnitude by the signed power gives the
 * signed quotient (and -0.0 for "-0.0"), exactly as negating the quotient would. */
static const double csv_pow10[32] = {1e0,   1e1,   1e2,   1e3,   1e4,   1e5,   1e6,   1e7,
                                     1e8,   1e9,   1e10,  1e11,  1e12,  1e13,  1e14,  1e15,
                                     -1e0,  -1e1,  -1e2,  -1e3,  -1e4,  -1e5,  -1e6,  -1e7,
                                     -1e8,  -1e9,  -1e10, -1e11, -1e12, -1e13, -1e14, -1e15};
static const uint64_t csv_pow10_u[9] = {1,      10,      100,      1000,     10000,
                                        100000, 1000000, 10000000, 100000000};

/* [-]digits[.digits] with at most 15 digits, split into the magnitude of the mantissa (as a
 * double, exact: it has at most 15 digits) and the index of the signed divisor, f + 16 * neg
 * with f the count of fraction digits. The value is *m / csv_pow10[*idx], exact by Clinger's
 * fast path (both operands exact, one rounding), so bit-identical to strtod and to
 * kl_parse_double ("-0.0" gives -0.0). p is in a padded block. */
static inline __attribute__((always_inline)) bool csv_dbl_parts(const char *p, size_t len, double *mant,
                                                                 unsigned *frac_out) {
    size_t i = p[0] == '-';
    uint64_t m;
    unsigned frac;
    /* where is the '.' among the next 8 bytes? (exact first zero byte of w ^ "........") */
    uint64_t w;
    memcpy(&w, p + i, 8);
    uint64_t x = w ^ 0x2E2E2E2E2E2E2E2EULL;
    uint64_t z = (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
    size_t dot = z ? i + (size_t)(__builtin_ctzll(z) >> 3) : len;
    if (dot < len && len - i <= 8 && len - i >= 2) {
        /* the whole number is in w: drop the '.' byte and convert all digits at once */
        size_t at = dot - i, nd = len - i - 1;
        uint64_t low = (1ULL << (8 * at)) - 1; /* at <= 7 */
        if (!csv_swar_word((w & low) | ((w >> 8) & ~low), nd, &m)) goto slow;
        frac = (unsigned)(len - dot - 1);
    } else if (dot < len) {
        size_t ni = dot - i, nf = len - dot - 1;
        uint64_t ip = 0, fp = 0;
        if (ni > 8 || nf > 8 || ni + nf == 0 || ni + nf > 15) goto slow;
        if (ni && !csv_swar_digits(p + i, ni, &ip)) goto slow;
        if (nf && !csv_swar_digits(p + dot + 1, nf, &fp)) goto slow;
        m = ip * csv_pow10_u[nf] + fp;
        frac = (unsigned)nf;
    } else {
    slow:;
        m = 0;
        unsigned nd = 0;
        frac = 0;
        for (; i < len; i++) {
            unsigned d = (unsigned)(unsigned char)p[i] - '0';
            if (d > 9) break;
            m = m * 10 + d;
            nd++;
        }
        if (i < len && p[i] == '.') {
            for (i++; i < len; i++) {
                unsigned d = (unsigned)(unsigned char)p[i] - '0';
                if (d > 9) break;
                m = m * 10 + d;
                nd++;
                frac++;
            }
        }
        if (i != len || nd == 0 || nd > 15) return false;
    }
    /* the sign goes with the divisor (no branch: signs in data are not predictable) */
    *mant = (double)(int64_t)m; /* m < 10^15: a signed conversion is one instruction */
    *frac_out = frac | (unsigned)(p[0] == '-') << 4;
    return true;
}

static inline bool csv_dbl_fast(const char *p, size_t len, double *out) {
    double m;
    unsigned frac;
    if (!csv_dbl_parts(p, len, &m, &frac)) return false;
    *out = m / csv_pow10[frac];
    return true;
}

/* o[k] /= 10^frac[k], four lanes at a time (IEEE division per lane, so the same bits as one
 * at a time); with AVX where the CPU has it. */
typedef double csv_v4d __attribute__((vector_size(32)));
static inline __attribute__((always_inline)) void csv_div_pow10_body(double *o, const uint8_t *frac,
                                                                     uint32_t n) {
    uint32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        csv_v4d a, d = {csv_pow10[frac[k]], csv_pow10[frac[k + 1]], csv_pow10[frac[k + 2]],
                        csv_pow10[frac[k + 3]]};
        memcpy(&a, o + k, sizeof a);
        a /= d;
        memcpy(o + k, &a, sizeof a);
    }
    for (; k < n; k++) o[k] /= csv_pow10[frac[k]];
}
static void csv_div_pow10_base(double *o, const uint8_t *frac, uint32_t n) { csv_div_pow10_body(o, frac, n); }
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx"))) static void csv_div_pow10_avx(double *o, const uint8_t *frac, uint32_t n) {
    csv_div_pow10_body(o, frac, n);
}
static void csv_div_pow10(double *o, const uint8_t *frac, uint32_t n) {
    if (__builtin_cpu_supports("avx")) /* a read of libgcc's CPU flags */
        csv_div_pow10_avx(o, frac, n);
    else
        csv_div_pow10_base(o, frac, n);
}
#else
static void csv_div_pow10(double *o, const uint8_t *frac, uint32_t n) { csv_div_pow10_base(o, frac, n); }
#endif

/* True if the n bytes are all ASCII (8 bytes a step). */
static bool csv_ascii(const char *s, size_t n) {
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t a, b, c, d;
        memcpy(&a, s + i, 8);
        memcpy(&b, s + i + 8, 8);
        memcpy(&c, s + i + 16, 8);
        memcpy(&d, s + i + 24, 8);
        acc |= a | b | c | d;
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t a;
        memcpy(&a, s + i, 8);
        acc |= a;
    }
    for (; i < n; i++) acc |= (uint8_t)s[i];
    return (acc & 0x8080808080808080ULL) == 0;
}

/* VARCHAR: all plain strings of the batch are copied into one block of the vector's heap. */
__attribute__((noinline)) static int csv_convert_varchar(const kl_csv *rd, csv_cursor *cur, uint32_t col, uint32_t n_rows,
                               kl_vec *v, kl_error *err) {
    const char *buf = cur->st.buf;
    const csv_field *fld = cur->fields + col;
    const size_t stride = rd->n_cols;
    size_t total = 0;
    bool any_escaped = false;
    for (uint32_t r = 0; r < n_rows; r++, fld += stride) {
        if (fld->flags & CSV_ESCAPED) any_escaped = true;
        else total += fld->len;
    }
    char *blk = NULL;
    if (total) {
        blk = kl_arena_alloc_bytes(&v->heap, total);
        if (!blk) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    kl_str *out = VEC_STR(v);
    size_t o = 0;
    fld = cur->fields + col;
    for (uint32_t r = 0; r < n_rows; r++, fld += stride) {
        if (csv_null_field(rd, buf, fld)) {
            vec_set_null(v, r);
            out[r] = (kl_str){"", 0};
            continue;
        }
        v->nulls[r] = 0;
        if (KL_UNLIKELY(fld->flags & CSV_ESCAPED)) {
            const char *p;
            size_t len;
            if (csv_field_text(&rd->d, &cur->scratch, buf, fld, &p, &len))
                return kl_err(err, KILN_ERR_MEMORY, "out of memory");
            if (!csv_utf8_valid((const unsigned char *)p, len))
                return csv_utf8_error(rd, cur, col, cur->lines[r], err);
            if (vec_set_string(v, r, p, len)) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
            continue;
        }
        memcpy(blk + o, buf + fld->off, fld->len);
        out[r] = (kl_str){blk ? blk + o : "", fld->len};
        o += fld->len;
    }
    if (total && !csv_ascii(blk, total)) {
        /* Some non-ASCII byte: validate string by string to name the first bad row (escaped
         * ones were validated above). */
        fld = cur->fields + col;
        for (uint32_t r = 0; r < n_rows; r++, fld += stride) {
            if (v->nulls[r] || (fld->flags & CSV_ESCAPED)) continue;
            if (!csv_utf8_valid((const unsigned char *)out[r].ptr, out[r].len))
                return csv_utf8_error(rd, cur, col, cur->lines[r], err);
        }
    }
    KL_UNUSED(any_escaped);
    return 0;
}

/* Convert column col of the collected rows into v. */
__attribute__((noinline)) static int csv_convert_column(const kl_csv *rd, csv_cursor *cur, uint32_t col, uint32_t n_rows,
                              kl_vec *v, kl_error *err) {
    kl_type t = rd->types[col];
    if (t == KILN_TYPE_VARCHAR) return csv_convert_varchar(rd, cur, col, n_rows, v, err);
    const char *buf = cur->st.buf;
    const csv_field *fld = cur->fields + col;
    const size_t stride = rd->n_cols;
    /* BIGINT and DOUBLE: one tight loop each, the fast parsers inline, anything unusual
     * (NULL, escapes, spaces, exponents, long numbers, errors) handled by the general loop
     * below from the first such row on. */
    uint32_t r0 = 0;
    if (rd->nullstr_len != 0) {
        /* a nullstr such as "0" must win over the number: general loop only */
    } else if (t == KILN_TYPE_BIGINT) {
        int64_t *o = VEC_I64(v);
        for (; r0 < n_rows; r0++, fld += stride) {
            if (fld->len == 0 || fld->flags || !csv_int_fast(buf + fld->off, fld->len, &o[r0]))
                break;
        }
    } else if (t == KILN_TYPE_DOUBLE) {
        /* two passes per block of rows: the parses, then the divisions, which have no
         * dependencies left between them and so overlap in the pipeline */
        double *o = VEC_F64(v);
        uint8_t frac[256];
        while (r0 < n_rows) {
            uint32_t end = n_rows - r0 > 256 ? r0 + 256 : n_rows, r = r0;
            for (; r < end; r++, fld += stride) {
                unsigned f;
                if (fld->len == 0 || fld->flags || !csv_dbl_parts(buf + fld->off, fld->len, &o[r], &f))
                    break;
                frac[r - r0] = (uint8_t)f;
            }
            csv_div_pow10(o + r0, frac, r - r0);
            r0 = r;
            if (r < end) break;
        }
    }
    if (r0 == n_rows) return 0; /* nulls[] of rows [0, r0) are 0 already (chunk_reset) */
    for (uint32_t r = r0; r < n_rows; r++, fld += stride) {
        if (fld->len == 0 || csv_null_field(rd, buf, fld)) {
            vec_set_null(v, r);
            continue;
        }
        v->nulls[r] = 0;
        const char *p = buf + fld->off;
        size_t len = fld->len;
        if (KL_UNLIKELY(fld->flags & CSV_ESCAPED)) {
            if (csv_field_text(&rd->d, &cur->scratch, buf, fld, &p, &len))
                return kl_err(err, KILN_ERR_MEMORY, "out of memory");
        }
        bool ok = true;
        switch (t) {
        case KILN_TYPE_BIGINT:
            if (p != buf + fld->off || !csv_int_fast(p, len, &VEC_I64(v)[r]))
                ok = kl_parse_int64(p, len, &VEC_I64(v)[r]);
            break;
        case KILN_TYPE_DOUBLE:
            if (p != buf + fld->off || !csv_dbl_fast(p, len, &VEC_F64(v)[r]))
                ok = kl_parse_double(p, len, &VEC_F64(v)[r]);
            break;
        case KILN_TYPE_DATE: ok = kl_parse_date(p, len, &VEC_I32(v)[r]); break;
        case KILN_TYPE_TIMESTAMP: ok = kl_parse_timestamp(p, len, &VEC_I64(v)[r]); break;
        case KILN_TYPE_BOOLEAN: {
            bool b = false;
            ok = kl_parse_bool(p, len, &b);
            VEC_U8(v)[r] = b;
            break;
        }
        default: vec_set_null(v, r); break;
        }
        if (KL_UNLIKELY(!ok)) return csv_conv_error(rd, cur, col, cur->lines[r], p, len, err);
    }
    return 0;
}

/* Up to one chunk of rows from the cursor's current stream; *n_rows == 0 at its end. */
static int csv_cursor_batch(const kl_csv *rd, csv_cursor *cur, kl_chunk *out, uint32_t *n_rows,
                            kl_error *err) {
    chunk_reset(out);
    uint32_t n = 0;
    TRY(csv_collect(rd, cur, KL_MIN(out->cap, cur->batch_rows), &n, err));
    *n_rows = n;
    if (n == 0) return 0;
    for (uint32_t c = 0; c < rd->n_cols; c++) {
        kl_vec *v = &out->cols[c];
        if (!rd->needed[c]) {
            memset(v->nulls, 1, n);
            v->has_nulls = true;
            continue;
        }
        TRY(csv_convert_column(rd, cur, c, n, v, err));
    }
    if (rd->filename) {
        kl_vec *v = &out->cols[rd->n_cols];
        const char *fn = rd->paths[cur->file_idx];
        if (vec_set_string(v, 0, fn, strlen(fn))) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
        for (uint32_t r = 1; r < n; r++) {
            VEC_STR(v)[r] = VEC_STR(v)[0];
            v->nulls[r] = 0;
        }
    }
    out->n_rows = n;
    return 0;
}

int csv_next(kl_csv *rd, kl_chunk *out, kl_error *err) {
    uint32_t n_out = csv_column_count(rd);
    if (out->n_cols != n_out)
        return kl_err(err, KILN_ERR_INTERNAL, "csv_next: chunk has %u columns, expected %u",
                      out->n_cols, n_out);
    chunk_reset(out);
    csv_cursor *cur = &rd->cur;
    while (!rd->done) {
        if (!cur->stream_open) {
            if (cur->file_idx >= rd->n_paths) {
                rd->done = true;
                break;
            }
            TRY(csv_cursor_open_file(rd, cur, err));
        }
        uint32_t n = 0;
        TRY(csv_cursor_batch(rd, cur, out, &n, err));
        if (n > 0) return 0;
        csv_cursor_close_file(cur);
        cur->file_idx++;
    }
    out->n_rows = 0;
    return 0;
}

/* ---- parallel morsels ----------------------------------------------------------------- */

struct kl_csv_worker {
    kl_csv *rd;
    csv_cursor cur;
    bool active;     /* a morsel is loaded */
    bool line_known; /* cur.st.line is the physical line (else relative to the morsel) */
    csv_morsel m;
    uint64_t m_idx;
    uint32_t chunk;
    char *mbuf; /* morsel bytes (reused), mcap + CSV_PAD */
    size_t mcap;
};

static bool csv_file_splittable(const kl_csv *rd, const char *path) {
    if (rd->d.escape != rd->d.quote) return false;
    size_t n = strlen(path);
    if (n >= 3 && strcmp(path + n - 3, ".gz") == 0) return false;
    if (n >= 4 && strcmp(path + n - 4, ".zst") == 0) return false;
    return true;
}

bool csv_parallel_ok(const kl_csv *rd) {
    for (size_t i = 0; i < rd->n_paths; i++)
        if (!csv_file_splittable(rd, rd->paths[i])) return false;
    return true;
}

static int csv_io_error(const char *path, kl_error *err) {
    return kl_err_data(err, KILN_ERR_IO, path, 0, 0, "Cannot read file \"%s\": %s", path,
                       strerror(errno));
}

static int csv_open_fd(const char *path, int *fd, kl_error *err) {
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    return *fd < 0 ? csv_io_error(path, err) : 0;
}

/* Read up to n bytes at off; *got < n only at end of file. */
static int csv_pread(int fd, char *buf, size_t n, uint64_t off, const char *path, size_t *got,
                     kl_error *err) {
    size_t done = 0;
    while (done < n) {
        ssize_t k = pread(fd, buf + done, n - done, (off_t)(off + done));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return csv_io_error(path, err);
        if (k == 0) break;
        done += (size_t)k;
    }
    *got = done;
    return 0;
}

/*
 * Quote parity over buf[*pi, n), the bytes of a morsel from its start (a record start,
 * outside quotes). It follows csv_scan_record: a quote opens a quoted field only at the start
 * of a field (after a delimiter, a line end, or at the morsel/data start); inside, a doubled
 * quote is text and a single one closes. *last_nl receives the index of the last newline
 * outside quotes. memchr finds the quotes and memrchr the newlines, so a file without quotes
 * goes at memory speed. A quote in the last byte while inside stays undecided (*pi stops at
 * it) until more bytes are appended.
 */
static void csv_parity_scan(const kl_csv *rd, const char *buf, size_t *pi, size_t n,
                            size_t data_start, bool *inside, size_t *last_nl) {
    const char q = rd->d.quote, delim = rd->d.delim;
    size_t i = *pi;
    while (i < n) {
        const char *h = q ? memchr(buf + i, q, n - i) : NULL;
        if (*inside) {
            if (!h) {
                i = n;
                break;
            }
            size_t j = (size_t)(h - buf);
            if (j + 1 >= n) {
                i = j;
                break;
            }
            if (buf[j + 1] == q) {
                i = j + 2;
            } else {
                *inside = false;
                i = j + 1;
            }
            continue;
        }
        size_t lim = h ? (size_t)(h - buf) : n;
        if (lim > i) {
            const char *nl = memrchr(buf + i, '\n', lim - i);
            if (nl) *last_nl = (size_t)(nl - buf);
        }
        if (!h) {
            i = n;
            break;
        }
        char pc = lim > 0 ? buf[lim - 1] : '\n';
        if (pc == delim || pc == '\n' || pc == '\r' || lim == data_start) *inside = true;
        i = lim + 1;
    }
    *pi = i;
}

static int csv_worker_reserve(kl_csv_worker *w, size_t n, kl_error *err) {
    if (w->mbuf && w->mcap >= n) return 0;
    size_t nc = KL_MAX(n, w->mcap * 2);
    nc = KL_MAX(nc, (size_t)CSV_MORSEL + CSV_MORSEL / 4);
    char *nb = kl_realloc(w->mbuf, nc + CSV_PAD);
    if (!nb) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    w->mbuf = nb;
    w->mcap = nc;
    return 0;
}

/*
 * Cut the next morsel of the file being split (rd->plan_*), reading its bytes into the
 * worker's buffer on the way: ~CSV_MORSEL bytes from plan_off, ended after the last newline
 * outside quotes (read on in steps when that range holds none, i.e. one record is longer).
 * The bytes read past the cut are read again by the next morsel. Called under rd->mu.
 */
static int csv_cut_morsel(kl_csv *rd, kl_csv_worker *w, kl_error *err) {
    const char *path = rd->paths[rd->plan_file];
    uint64_t start = rd->plan_off, size = rd->plan_size;
    size_t want = (size_t)KL_MIN((uint64_t)CSV_MORSEL, size - start);
    size_t n = 0, i = 0, last_nl = SIZE_MAX, data_start = 0;
    bool inside = false;
    for (;;) {
        if ((uint64_t)n + want >= CSV_MAX_BLOCK)
            return kl_err_data(err, KILN_ERR_DATA, path, 0, 0,
                               "A record of \"%s\" after byte %llu is longer than 2 GiB", path,
                               (unsigned long long)start);
        TRY(csv_worker_reserve(w, n + want, err));
        size_t got;
        TRY(csv_pread(rd->plan_fd, w->mbuf + n, want, start + n, path, &got, err));
        if (got < want)
            return kl_err_data(err, KILN_ERR_IO, path, 0, 0,
                               "File \"%s\" changed while it was being read", path);
        if (start == 0 && n == 0 && got >= 3 && memcmp(w->mbuf, "\xEF\xBB\xBF", 3) == 0)
            i = data_start = 3;
        n += got;
        if (start + n >= size) break; /* the rest of the file */
        csv_parity_scan(rd, w->mbuf, &i, n, data_start, &inside, &last_nl);
        if (last_nl != SIZE_MAX) {
            n = last_nl + 1;
            break;
        }
        want = (size_t)KL_MIN((uint64_t)KL_MAX(n, (size_t)1 << 20), size - start - n);
    }
    w->m = (csv_morsel){rd->plan_file, false, start, start + n};
    rd->plan_off = start + n;
    return 0;
}

/* Claim the next morsel (under rd->mu): *got false when none is left. */
static int csv_claim(kl_csv_worker *w, bool *got, kl_error *err) {
    kl_csv *rd = w->rd;
    int rc = 0;
    *got = false;
    pthread_mutex_lock(&rd->mu);
    if (rd->plan_rc) {
        rc = rd->plan_rc;
        if (err && !kl_err_is_set(err)) *err = rd->plan_err;
        goto out;
    }
    while (rd->plan_file < rd->n_paths) {
        const char *path = rd->paths[rd->plan_file];
        if (!csv_file_splittable(rd, path)) {
            w->m = (csv_morsel){rd->plan_file, true, 0, 0};
            rd->plan_file++;
            *got = true;
            break;
        }
        if (rd->plan_fd < 0) {
            rc = csv_open_fd(path, &rd->plan_fd, &rd->plan_err);
            struct stat sb;
            if (!rc && fstat(rd->plan_fd, &sb) != 0) rc = csv_io_error(path, &rd->plan_err);
            if (rc) break;
            rd->plan_off = 0;
            rd->plan_size = (uint64_t)sb.st_size;
        }
        if (rd->plan_off >= rd->plan_size) {
            close(rd->plan_fd);
            rd->plan_fd = -1;
            rd->plan_file++;
            continue;
        }
        rc = csv_cut_morsel(rd, w, &rd->plan_err);
        if (!rc) *got = true;
        break;
    }
    if (rc) {
        rd->plan_rc = rc;
        if (err && !kl_err_is_set(err)) *err = rd->plan_err;
    } else if (*got) {
        w->m_idx = rd->next_idx++;
    }
out:
    pthread_mutex_unlock(&rd->mu);
    return rc;
}

int csv_worker_new(kl_csv *rd, kl_csv_worker **out, kl_error *err) {
    *out = NULL;
    kl_csv_worker *w = kl_calloc(1, sizeof *w);
    if (!w) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    w->rd = rd;
    int rc = csv_cursor_init(rd, &w->cur, err);
    if (rc) {
        csv_worker_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void csv_worker_free(kl_csv_worker *w) {
    if (!w) return;
    csv_cursor_free(&w->cur);
    kl_free(w->mbuf);
    kl_free(w);
}

/* Make the claimed morsel w->m the cursor's stream. */
static int csv_worker_load(kl_csv_worker *w, kl_error *err) {
    kl_csv *rd = w->rd;
    csv_cursor *cur = &w->cur;
    const csv_morsel *m = &w->m;
    cur->file_idx = m->file_idx;
    cur->file_first_rec = false;
    w->line_known = true;
    if (m->whole) return csv_cursor_open_file(rd, cur, err);
    const char *path = rd->paths[m->file_idx];
    size_t len = (size_t)(m->end - m->start);
    csv_stream *s = &cur->st;
    memset(s, 0, sizeof *s);
    s->path = path;
    s->buf = w->mbuf;
    s->cap = len;
    s->end = len;
    s->eof = true;
    s->line = 1;
    csv_stream_pad(s);
    cur->stream_open = true;
    if (m->start != 0) {
        w->line_known = false; /* relative until an error needs the physical line */
        return 0;
    }
    if (len >= 3 && memcmp(s->buf, "\xEF\xBB\xBF", 3) == 0) s->pos = 3;
    return csv_cursor_start_file(rd, cur, err);
}

/* Newlines in [0, off) of a plain file. */
static int csv_count_lines_before(const char *path, uint64_t off, long *out, kl_error *err) {
    int fd;
    TRY(csv_open_fd(path, &fd, err));
    char *blk = kl_malloc(CSV_PREPASS_BLOCK);
    if (!blk) {
        close(fd);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    long n = 0;
    int rc = 0;
    for (uint64_t pos = 0; pos < off;) {
        size_t got;
        rc = csv_pread(fd, blk, (size_t)KL_MIN((uint64_t)CSV_PREPASS_BLOCK, off - pos), pos, path,
                       &got, err);
        if (rc || got == 0) break;
        n += csv_count_nl(blk, got);
        pos += got;
    }
    kl_free(blk);
    close(fd);
    *out = n;
    return rc;
}

/*
 * An error in a morsel that does not start at its file's beginning was reported with a line
 * relative to the morsel. Count the newlines before the morsel, rewind it with the physical
 * line and parse again up to the error, which is now reported with the right line.
 */
static int csv_worker_relocate_error(kl_csv_worker *w, kl_chunk *out, const kl_error *first,
                                     int first_rc, kl_error *err) {
    long before = 0;
    TRY(csv_count_lines_before(w->rd->paths[w->m.file_idx], w->m.start, &before, err));
    csv_stream *s = &w->cur.st;
    s->pos = 0;
    s->line = 1 + before;
    w->line_known = true;
    w->cur.file_first_rec = false;
    for (;;) {
        uint32_t n = 0;
        int rc = csv_cursor_batch(w->rd, &w->cur, out, &n, err);
        if (rc) return rc;
        if (n == 0) break;
    }
    if (err && !kl_err_is_set(err)) *err = *first;
    return first_rc;
}

int csv_worker_next(kl_csv_worker *w, kl_chunk *out, uint64_t *morsel_index,
                    uint32_t *chunk_in_morsel, kl_error *err) {
    kl_csv *rd = w->rd;
    uint32_t n_out = csv_column_count(rd);
    if (out->n_cols != n_out)
        return kl_err(err, KILN_ERR_INTERNAL,
                      "csv_worker_next: chunk has %u columns, expected %u", out->n_cols, n_out);
    for (;;) {
        if (!w->active) {
            bool got = false;
            TRY(csv_claim(w, &got, err));
            if (!got) {
                chunk_reset(out);
                out->n_rows = 0;
                return 0;
            }
            w->active = true;
            w->chunk = 0;
            kl_error first;
            memset(&first, 0, sizeof first);
            int rc = csv_worker_load(w, &first);
            if (rc) {
                if (err && !kl_err_is_set(err)) *err = first;
                return rc;
            }
        }
        uint32_t n = 0;
        if (w->line_known) {
            TRY(csv_cursor_batch(rd, &w->cur, out, &n, err));
        } else {
            kl_error first;
            memset(&first, 0, sizeof first);
            int rc = csv_cursor_batch(rd, &w->cur, out, &n, &first);
            if (rc) return csv_worker_relocate_error(w, out, &first, rc, err);
        }
        if (n > 0) {
            if (morsel_index) *morsel_index = w->m_idx;
            if (chunk_in_morsel) *chunk_in_morsel = w->chunk;
            w->chunk++;
            return 0;
        }
        csv_cursor_close_file(&w->cur);
        w->active = false;
    }
}
