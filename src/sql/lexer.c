/*
 * lexer.c — SQL tokenizer, and the statement splitter the interactive shell uses.
 *
 * API, in call order:
 *   lex_tokenize(sql, arena, &toks, &n, err)  the whole text to tokens (see lexer.h)
 *   lex_free(toks)                            release the token array
 *   kiln_statement_length(sql)                public: length through the first ';' that is
 *                                             outside quotes and comments, 0 if none
 *
 * Algorithm: one left-to-right pass with a single byte of lookahead decision per token:
 * whitespace and comments (-- to end of line, non-nesting block comments) are skipped;
 * letters/underscore/bytes >= 0x80 start identifiers (UTF-8 names pass through untouched,
 * ASCII letters are folded to lower case); '"' starts a quoted identifier and '\'' a string,
 * both with doubled-quote escapes; digits or '.' followed by a digit start numbers; anything
 * else is matched against the operator table, longest match first.
 *
 * Bounds: offsets are int (the AST stores int), so texts of INT_MAX bytes or more are refused
 * up front. Error messages quote at most 32 bytes of the offending text. Integers that do not
 * fit int64 become DOUBLE literals (PostgreSQL makes them NUMERIC; DuckDB HUGEINT/DOUBLE).
 */
#include "sql/lexer.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

/* How much of the offending text an error message quotes. */
#define LEX_NEAR_MAX 32

typedef struct lex_state {
    const char *sql;
    size_t len;
    kl_arena *arena;
    lex_token *toks;
    int n, cap;
    kl_error *err;
} lex_state;

static bool lex_is_ident_start(unsigned char c) {
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool lex_is_ident_char(unsigned char c) {
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Position just past a comment starting at i, or i itself when none starts there; *open is
   set when a block comment runs to the end of the text. Shared with kiln_statement_length
   so that the shell and the parser agree on what a comment is. */
static size_t lex_skip_comment(const char *s, size_t len, size_t i, bool *open) {
    *open = false;
    if (i + 1 < len && s[i] == '-' && s[i + 1] == '-') {
        while (i < len && s[i] != '\n') i++;
        return i;
    }
    if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
        size_t j = i + 2;
        while (j + 1 < len && !(s[j] == '*' && s[j + 1] == '/')) j++;
        if (j + 1 >= len) {
            *open = true;
            return len;
        }
        return j + 2;
    }
    return i;
}

/* Position just past the closing quote of a quoted run starting at i (s[i] == q), with qq
   as the escape; SIZE_MAX when unterminated. */
static size_t lex_skip_quoted(const char *s, size_t len, size_t i, char q) {
    size_t j = i + 1;
    for (;;) {
        if (j >= len) return SIZE_MAX;
        if (s[j] == q) {
            if (j + 1 < len && s[j + 1] == q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j++;
    }
}

static int lex_error(lex_state *st, size_t at, const char *what) {
    size_t rest = st->len - at;
    int near = (int)(rest < LEX_NEAR_MAX ? rest : LEX_NEAR_MAX);
    return kl_err_at(st->err, KILN_ERR_SYNTAX, (long)at, "%s at or near \"%.*s\"", what, near,
                     st->sql + at);
}

static lex_token *lex_push(lex_state *st, lex_kind kind, size_t loc, size_t end) {
    if (st->n == st->cap) {
        int cap = st->cap ? st->cap * 2 : 64;
        lex_token *t = kl_realloc(st->toks, (size_t)cap * sizeof *t);
        if (!t) {
            kl_err(st->err, KILN_ERR_MEMORY, "out of memory while tokenizing SQL");
            return NULL;
        }
        st->toks = t;
        st->cap = cap;
    }
    lex_token *t = &st->toks[st->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->loc = (int)loc;
    t->end = (int)end;
    return t;
}

/* Copy s[from, to) into the arena, turning each doubled quote q into one. */
static char *lex_unescape(lex_state *st, size_t from, size_t to, char q) {
    char *out = kl_arena_alloc(st->arena, to - from + 1);
    if (!out) {
        kl_err(st->err, KILN_ERR_MEMORY, "out of memory while tokenizing SQL");
        return NULL;
    }
    size_t o = 0;
    for (size_t i = from; i < to; i++) {
        out[o++] = st->sql[i];
        if (st->sql[i] == q) i++; /* the second of a doubled quote */
    }
    out[o] = '\0';
    return out;
}

static int lex_number(lex_state *st, size_t *pos) {
    const char *s = st->sql;
    size_t i = *pos, start = i;
    bool is_float = false;
    while (i < st->len && isdigit((unsigned char)s[i])) i++;
    if (i < st->len && s[i] == '.') {
        is_float = true;
        i++;
        while (i < st->len && isdigit((unsigned char)s[i])) i++;
    }
    if (i < st->len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < st->len && (s[j] == '+' || s[j] == '-')) j++;
        if (j < st->len && isdigit((unsigned char)s[j])) {
            is_float = true;
            i = j;
            while (i < st->len && isdigit((unsigned char)s[i])) i++;
        }
    }
    /* strtoll/strtod need a NUL-terminated copy of just this literal */
    char tmp[128];
    size_t n = i - start;
    lex_token *t = lex_push(st, LEX_INT, start, i);
    if (!t) return KILN_ERR_MEMORY;
    if (n >= sizeof tmp) {
        /* very long literal: too big for int64 anyway; strtod on the arena copy */
        char *copy = kl_arena_strndup(st->arena, s + start, n);
        if (!copy) return kl_err(st->err, KILN_ERR_MEMORY, "out of memory while tokenizing SQL");
        t->kind = LEX_FLOAT;
        t->dval = strtod(copy, NULL);
        *pos = i;
        return 0;
    }
    memcpy(tmp, s + start, n);
    tmp[n] = '\0';
    if (!is_float) {
        errno = 0;
        long long v = strtoll(tmp, NULL, 10);
        if (errno == 0) {
            t->ival = v;
            *pos = i;
            return 0;
        }
        t->int_min_abs = strcmp(tmp, "9223372036854775808") == 0;
    }
    t->kind = LEX_FLOAT;
    t->dval = strtod(tmp, NULL);
    *pos = i;
    return 0;
}

/* Operators, longest spelling first so that "<=" wins over "<". */
static const struct {
    const char *text;
    lex_kind kind;
} lex_ops[] = {
    {"//", LEX_SLASH2}, {"||", LEX_CONCAT}, {"==", LEX_EQ},     {"!=", LEX_NE},
    {"<>", LEX_NE},     {"<=", LEX_LE},     {">=", LEX_GE},     {"::", LEX_DCOLON},
    {":=", LEX_COLONEQ}, {"=>", LEX_ARROW}, {"+", LEX_PLUS},    {"-", LEX_MINUS},
    {"*", LEX_STAR},    {"/", LEX_SLASH},   {"%", LEX_PERCENT}, {"=", LEX_EQ},
    {"<", LEX_LT},      {">", LEX_GT},      {"(", LEX_LPAREN},  {")", LEX_RPAREN},
    {",", LEX_COMMA},   {".", LEX_DOT},     {";", LEX_SEMI},    {"[", LEX_LBRACKET},
    {"]", LEX_RBRACKET}, {"{", LEX_LBRACE}, {"}", LEX_RBRACE},  {":", LEX_COLON},
};

int lex_tokenize(const char *sql, kl_arena *arena, lex_token **toks, int *n_toks,
                 kl_error *err) {
    lex_state st = {.sql = sql, .len = strlen(sql), .arena = arena, .err = err};
    *toks = NULL;
    *n_toks = 0;
    /* two tokens at most per byte plus EOF must fit an int, and offsets are int */
    if (st.len >= (size_t)INT_MAX / 4)
        return kl_err(err, KILN_ERR_SYNTAX, "SQL text too long (%zu bytes)", st.len);
    size_t i = 0;
    int rc = 0;
    while (i < st.len) {
        unsigned char c = (unsigned char)sql[i];
        if (isspace(c)) {
            i++;
            continue;
        }
        bool open;
        size_t after = lex_skip_comment(sql, st.len, i, &open);
        if (open) {
            rc = lex_error(&st, i, "unterminated /* comment");
            goto fail;
        }
        if (after != i) {
            i = after;
            continue;
        }
        if (lex_is_ident_start(c)) {
            size_t start = i;
            while (i < st.len && lex_is_ident_char((unsigned char)sql[i])) i++;
            lex_token *t = lex_push(&st, LEX_IDENT, start, i);
            char *text = t ? kl_arena_strndup(arena, sql + start, i - start) : NULL;
            if (!text) {
                rc = kl_err(err, KILN_ERR_MEMORY, "out of memory while tokenizing SQL");
                goto fail;
            }
            for (char *p = text; *p; p++) *p = (char)tolower((unsigned char)*p);
            t->text = text;
            continue;
        }
        if (c == '"' || c == '\'') {
            size_t end = lex_skip_quoted(sql, st.len, i, (char)c);
            if (end == SIZE_MAX) {
                rc = lex_error(&st, i, c == '"' ? "unterminated quoted identifier"
                                                : "unterminated quoted string");
                goto fail;
            }
            lex_token *t = lex_push(&st, c == '"' ? LEX_QIDENT : LEX_STRING, i, end);
            if (!t) {
                rc = KILN_ERR_MEMORY;
                goto fail;
            }
            t->text = lex_unescape(&st, i + 1, end - 1, (char)c);
            if (!t->text) {
                rc = KILN_ERR_MEMORY;
                goto fail;
            }
            if (c == '"' && t->text[0] == '\0') {
                rc = lex_error(&st, i, "zero-length delimited identifier");
                goto fail;
            }
            i = end;
            continue;
        }
        if (isdigit(c) || (c == '.' && i + 1 < st.len && isdigit((unsigned char)sql[i + 1]))) {
            rc = lex_number(&st, &i);
            if (rc) goto fail;
            continue;
        }
        bool matched = false;
        for (size_t k = 0; k < sizeof lex_ops / sizeof lex_ops[0]; k++) {
            size_t n = strlen(lex_ops[k].text);
            if (i + n <= st.len && memcmp(sql + i, lex_ops[k].text, n) == 0) {
                if (!lex_push(&st, lex_ops[k].kind, i, i + n)) {
                    rc = KILN_ERR_MEMORY;
                    goto fail;
                }
                i += n;
                matched = true;
                break;
            }
        }
        if (!matched) {
            /* quote the whole UTF-8 character, not half of it */
            size_t n = 1;
            while (i + n < st.len && ((unsigned char)sql[i + n] & 0xC0) == 0x80) n++;
            rc = kl_err_at(err, KILN_ERR_SYNTAX, (long)i, "syntax error at or near \"%.*s\"",
                           (int)n, sql + i);
            goto fail;
        }
    }
    if (!lex_push(&st, LEX_EOF, st.len, st.len)) {
        rc = KILN_ERR_MEMORY;
        goto fail;
    }
    *toks = st.toks;
    *n_toks = st.n;
    return 0;
fail:
    kl_free(st.toks);
    return rc;
}

void lex_free(lex_token *toks) { kl_free(toks); }

size_t kiln_statement_length(const char *sql) {
    if (!sql) return 0;
    size_t len = strlen(sql);
    size_t i = 0;
    while (i < len) {
        char c = sql[i];
        if (c == ';') return i + 1;
        if (c == '\'' || c == '"') {
            size_t end = lex_skip_quoted(sql, len, i, c);
            if (end == SIZE_MAX) return 0;
            i = end;
            continue;
        }
        bool open;
        size_t after = lex_skip_comment(sql, len, i, &open);
        if (open) return 0;
        if (after != i) {
            i = after;
            continue;
        }
        i++;
    }
    return 0;
}
