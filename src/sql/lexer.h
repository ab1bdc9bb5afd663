/*
 * lexer.h — private to src/sql: turns SQL text into an array of tokens for the parser.
 *
 * lex_tokenize(sql, arena, &toks, &n, err) scans the whole text once; the token array is
 * heap memory (kl_realloc) that the caller releases with lex_free(); token texts (folded
 * identifiers, unescaped strings) live in the arena, so the AST may point at them. The array
 * always ends with one LEX_EOF token whose loc is strlen(sql).
 */
#ifndef KL_SQL_LEXER_H
#define KL_SQL_LEXER_H

#include "util/kl.h"

typedef enum lex_kind {
    LEX_EOF,
    LEX_IDENT,   /* unquoted identifier or keyword: text folded to lower case */
    LEX_QIDENT,  /* "quoted" identifier: text as written, "" unescaped */
    LEX_INT,     /* integer literal that fits int64: ival */
    LEX_FLOAT,   /* decimal / scientific literal, or integer too big for int64: dval */
    LEX_STRING,  /* 'string': text unescaped */
    LEX_PLUS, LEX_MINUS, LEX_STAR, LEX_SLASH, LEX_SLASH2, LEX_PERCENT, LEX_CONCAT,
    LEX_EQ,      /* = or == */
    LEX_NE,      /* != or <> */
    LEX_LT, LEX_LE, LEX_GT, LEX_GE,
    LEX_DCOLON,  /* :: */
    LEX_LPAREN, LEX_RPAREN, LEX_COMMA, LEX_DOT, LEX_SEMI,
    LEX_LBRACKET, LEX_RBRACKET, LEX_LBRACE, LEX_RBRACE,
    LEX_COLON,   /* : */
    LEX_COLONEQ, /* := */
    LEX_ARROW    /* => */
} lex_kind;

typedef struct lex_token {
    lex_kind kind;
    int loc;         /* byte offset of the first byte */
    int end;         /* byte offset just past the last byte */
    char *text;      /* IDENT/QIDENT/STRING (arena, NUL-terminated); NULL otherwise */
    int64_t ival;    /* LEX_INT */
    double dval;     /* LEX_FLOAT */
    bool int_min_abs; /* LEX_FLOAT that is exactly 9223372036854775808 (so -x is INT64_MIN) */
} lex_token;

int lex_tokenize(const char *sql, kl_arena *arena, lex_token **toks, int *n_toks, kl_error *err);
void lex_free(lex_token *toks);

#endif /* KL_SQL_LEXER_H */
