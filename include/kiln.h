/*
 * kiln.h — the public C API of kiln, a batch engine for large tabular data.
 *
 * Call order:
 *   kiln_open(&db, &err)                      create a database handle (in-memory catalog)
 *   kiln_set_option(db, "threads", "4", &err) optional: threads, memory_limit
 *   kiln_exec(db, sql, &res, &err)            run one or several ';'-separated statements;
 *                                             res receives the result of the last one
 *   kiln_result_*(res, ...)                   read columns, rows, chunks, typed values
 *   kiln_result_free(res)                     free a result (NULL is fine)
 *   kiln_close(db)                            free the handle (NULL is fine)
 *
 * Errors: every fallible function returns 0 on success and a KILN_ERR_* code on failure,
 * and fills the caller-owned kiln_error record when it is not NULL. The record carries a
 * message and a position: an offset into the SQL text, or a file/line/column for data errors.
 * kiln_error_render() formats it the way the kiln command prints it (SQL line with a caret).
 *
 * Ownership: a kiln_result owns all its memory; pointers returned by getters (column names,
 * VARCHAR values) stay valid until kiln_result_free(). Results are independent of the db.
 */
#ifndef KILN_H
#define KILN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_VERSION "0.1.0"

/** Logical types. DATE = days since 1970-01-01, TIMESTAMP = microseconds since the epoch. */
typedef enum kiln_type {
    KILN_TYPE_NULL = 0, /* the type of an untyped NULL literal */
    KILN_TYPE_BOOLEAN,
    KILN_TYPE_BIGINT,
    KILN_TYPE_DOUBLE,
    KILN_TYPE_VARCHAR,
    KILN_TYPE_DATE,
    KILN_TYPE_TIMESTAMP,
    KILN_TYPE_INTERVAL, /* months, days, microseconds (read it as text: kiln_result_get_text) */
    KILN_TYPE_MODEL,    /* a fitted model (linreg, logreg, svm, kmeans); its text is its JSON
                           (kiln_result_get_text / kiln_result_get_varchar) */
    KILN_TYPE__COUNT
} kiln_type;

/** Error codes (0 = success). */
enum {
    KILN_OK = 0,
    KILN_ERR_SYNTAX = 1,     /* SQL does not parse */
    KILN_ERR_BINDER = 2,     /* unknown table/column/function, wrong argument types */
    KILN_ERR_CONVERSION = 3, /* a value cannot be converted to the requested type */
    KILN_ERR_OVERFLOW = 4,   /* integer overflow, division by zero in integer context */
    KILN_ERR_IO = 5,         /* file system error */
    KILN_ERR_DATA = 6,       /* malformed input data (CSV structure, encoding) */
    KILN_ERR_MEMORY = 7,     /* out of memory or over the memory limit */
    KILN_ERR_CATALOG = 8,    /* table exists / does not exist */
    KILN_ERR_INVALID = 9,    /* invalid argument or option */
    KILN_ERR_INTERNAL = 10
};

/** A caller-owned error record. The first error set wins; later ones are ignored. */
typedef struct kiln_error {
    int code;           /* KILN_OK when no error */
    char message[1024]; /* human readable, no trailing newline */
    long sql_offset;    /* byte offset into the SQL text, or -1 */
    char file[512];     /* data file the error is in, or "" */
    long line;          /* 1-based line in file, or 0 */
    long column;        /* 1-based column (field number for CSV), or 0 */
} kiln_error;

typedef struct kiln_db kiln_db;
typedef struct kiln_result kiln_result;

/** Version string, e.g. "0.1.0". */
const char *kiln_version(void);
/** SQL name of a type ("BIGINT", ...). */
const char *kiln_type_name(kiln_type type);

/** Reset an error record to "no error". */
void kiln_error_clear(kiln_error *err);
/**
 * Render an error as the kiln command prints it: the message, then for SQL errors the
 * offending SQL line and a caret under the position, for data errors "file:line:column".
 * Writes at most cap bytes (NUL-terminated); returns the length it needed.
 */
size_t kiln_error_render(const kiln_error *err, const char *sql, char *buf, size_t cap);

int kiln_open(kiln_db **db, kiln_error *err);
void kiln_close(kiln_db *db);
/** Options: "threads" (integer >= 1), "memory_limit" ("4GB", "512MB", bytes). */
int kiln_set_option(kiln_db *db, const char *name, const char *value, kiln_error *err);
/** Read an option's current value as text into buf. */
int kiln_get_option(kiln_db *db, const char *name, char *buf, size_t cap, kiln_error *err);

/**
 * Execute SQL text with one or more statements. On success *res (if res is not NULL)
 * receives the result of the last statement (a statement without rows gives a result with
 * zero columns, or a "Count" column for INSERT/COPY). On failure *res is NULL.
 */
int kiln_exec(kiln_db *db, const char *sql, kiln_result **res, kiln_error *err);

/**
 * Split SQL text into statements: returns the byte length of the first complete statement
 * (through its ';'), or 0 when the text holds no complete statement yet (used by shells to
 * know when a multi-line statement is finished). Quotes and comments are respected.
 */
size_t kiln_statement_length(const char *sql);

void kiln_result_free(kiln_result *res);
size_t kiln_result_column_count(const kiln_result *res);
const char *kiln_result_column_name(const kiln_result *res, size_t col);
kiln_type kiln_result_column_type(const kiln_result *res, size_t col);
size_t kiln_result_row_count(const kiln_result *res);

/** Results are stored as chunks of at most 2048 rows; rows may also be read by chunk. */
size_t kiln_result_chunk_count(const kiln_result *res);
size_t kiln_result_chunk_row_count(const kiln_result *res, size_t chunk);
/** First global row index of a chunk. */
size_t kiln_result_chunk_offset(const kiln_result *res, size_t chunk);

/* Typed getters by global row index. Calling a getter of the wrong type returns 0/NULL. */
bool kiln_result_is_null(const kiln_result *res, size_t row, size_t col);
bool kiln_result_get_bool(const kiln_result *res, size_t row, size_t col);
int64_t kiln_result_get_int64(const kiln_result *res, size_t row, size_t col);
double kiln_result_get_double(const kiln_result *res, size_t row, size_t col);
/** VARCHAR bytes (not NUL-terminated unless *len is ignored: they are NUL-terminated too). */
const char *kiln_result_get_varchar(const kiln_result *res, size_t row, size_t col, size_t *len);
int32_t kiln_result_get_date(const kiln_result *res, size_t row, size_t col);
int64_t kiln_result_get_timestamp(const kiln_result *res, size_t row, size_t col);
/**
 * Any value as text, as kiln prints it (doubles in shortest round-trip form, dates ISO 8601).
 * NULL gives "" and returns 0. Writes at most cap bytes; returns the length needed.
 */
size_t kiln_result_get_text(const kiln_result *res, size_t row, size_t col, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* KILN_H */
