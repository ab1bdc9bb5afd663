/*
 * json.h — the small JSON reader and writer helpers behind MODEL values (ml/model.c).
 *
 * Reading: json_parse() builds a tree of json_value nodes in a caller-owned arena (freed all
 * at once with it); strings are unescaped copies (\uXXXX to UTF-8, surrogate pairs joined).
 * It accepts RFC 8259 JSON (one value, surrounded by optional white space) and reports the
 * first problem with its byte offset ("expected ':' at offset 17"). Nesting is limited to
 * JSON_MAX_DEPTH levels, so hostile text cannot exhaust the stack.
 *
 * Writing: json_put_* append to a kl_buf (strings: kl_buf_put_json_str): doubles in their
 * shortest round-trip form (non-finite values as null, since JSON has no NaN or infinity).
 */
#ifndef KL_ML_JSON_H
#define KL_ML_JSON_H

#include "util/kl.h"

#define JSON_MAX_DEPTH 64

typedef enum json_kind { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json_value json_value;
struct json_value {
    json_kind kind;
    double num;         /* JSON_NUMBER */
    bool is_int;        /* JSON_NUMBER written without fraction or exponent, fits int64 */
    int64_t i64;        /* when is_int */
    const char *str;    /* JSON_STRING: NUL-terminated */
    size_t len;
    uint32_t n;          /* JSON_ARRAY / JSON_OBJECT: number of items */
    json_value **items;  /* n values */
    const char **keys;   /* JSON_OBJECT: n keys */
};

/** Parse text[0..len) into *out (nodes in arena a). KILN_ERR_CONVERSION with a message and
    the offset on malformed text; KILN_ERR_MEMORY. */
int json_parse(const char *text, size_t len, kl_arena *a, json_value **out, kl_error *err);
/** The member of an object by key, or NULL (also when v is not an object). */
const json_value *json_get(const json_value *v, const char *key);

int json_put_double(kl_buf *b, double v);
/** "key": (with a leading comma unless first) */
int json_put_key(kl_buf *b, const char *key, bool first);

#endif /* KL_ML_JSON_H */
