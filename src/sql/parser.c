/*
 * parser.c — SQL text to the syntax tree of ast.h (recursive descent).
 *
 * API, in call order:
 *   sql_parse(sql, arena, &stmts, &n, err)   every ';'-separated statement of the text (empty
 *                                            ones skipped); nodes and strings in the arena
 *   sql_type_from_name(name)                 "INTEGER", "double precision", ... to kl_type
 *
 * Algorithm: the lexer (lexer.c) turns the whole text into a token array first, so the parser
 * can look ahead any number of tokens (it needs two: "name :=" for named arguments, "NOT IN").
 * Statements dispatch on their first keyword. Queries follow PostgreSQL: WITH, then set
 * operations where INTERSECT binds tighter than UNION/EXCEPT (both left-associative), then
 * ORDER BY / LIMIT / OFFSET that apply to the whole. Expressions use one function per
 * precedence level, loosest first:
 *   OR < AND < NOT < IS/ISNULL/NOTNULL < comparison < BETWEEN/IN/LIKE/ILIKE
 *      < + - || < * / // % < unary - + < :: < postfix [i] < primary
 * Each node records loc (its first token) and end (just past its last token), so that
 * sql[loc, end) is the expression as written — the binder's default output column name.
 *
 * Conventions: private helpers (prefix ps_) return the node they built, or NULL after they
 * have recorded an error in the parser (p->rc, and err when not NULL); every caller passes a
 * NULL straight up. Syntax errors point at the token where parsing could not go on.
 *
 * Bounds: nesting (parentheses, unary operators, subqueries, parenthesised FROM items) is
 * limited to PS_MAX_DEPTH levels so that hostile input gets an error instead of exhausting
 * the C stack; error messages quote at most 64 bytes of a token.
 */
#include "sql/ast.h"
#include "sql/lexer.h"

#include <limits.h>
#include <stdio.h>
#include <strings.h>

/* A parenthesis level costs about a dozen C frames (one per precedence level): measured
   about 1 KB of stack per level unoptimised and under 2 KB with ASan, so the deepest
   accepted statement needs under 2 MB — fine on the 8 MB main-thread stack. (DuckDB's
   max_expression_depth default is 1000 too.) */
#define PS_MAX_DEPTH 1000
#define PS_NEAR_MAX 64

typedef struct parser {
    const char *sql;
    lex_token *toks;
    int n_toks;
    int pos;
    kl_arena *arena;
    kl_error *err;
    int rc; /* first error code, 0 while all is well */
    int depth;
} parser;

/* ---- errors ---------------------------------------------------------------------------- */

static void *ps_fail(parser *p, int code, long loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void *ps_fail(parser *p, int code, long loc, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!p->rc) p->rc = code;
    kl_err_at(p->err, code, loc, "%s", msg);
    return NULL;
}

static void *ps_oom(parser *p) {
    if (!p->rc) p->rc = KILN_ERR_MEMORY;
    kl_err(p->err, KILN_ERR_MEMORY, "out of memory while parsing SQL");
    return NULL;
}

/* Syntax error at token t: quotes the token as written. */
static void *ps_syntax_at(parser *p, const lex_token *t) {
    if (t->kind == LEX_EOF)
        return ps_fail(p, KILN_ERR_SYNTAX, t->loc, "syntax error at end of input");
    int n = t->end - t->loc;
    if (n > PS_NEAR_MAX) n = PS_NEAR_MAX;
    return ps_fail(p, KILN_ERR_SYNTAX, t->loc, "syntax error at or near \"%.*s\"", n,
                   p->sql + t->loc);
}

static void *ps_syntax(parser *p) { return ps_syntax_at(p, &p->toks[p->pos]); }

static bool ps_enter(parser *p) {
    if (p->depth >= PS_MAX_DEPTH) {
        ps_fail(p, KILN_ERR_SYNTAX, p->toks[p->pos].loc,
                "statement is nested too deeply (limit %d levels)", PS_MAX_DEPTH);
        return false;
    }
    p->depth++;
    return true;
}

static void ps_leave(parser *p) { p->depth--; }

/* ---- tokens ---------------------------------------------------------------------------- */

static const lex_token *ps_tok(const parser *p) { return &p->toks[p->pos]; }

static const lex_token *ps_peek(const parser *p, int k) {
    int i = p->pos + k;
    return &p->toks[i < p->n_toks ? i : p->n_toks - 1];
}

static void ps_advance(parser *p) {
    if (p->toks[p->pos].kind != LEX_EOF) p->pos++;
}

static int ps_loc(const parser *p) { return p->toks[p->pos].loc; }

/* End offset of the last consumed token. */
static int ps_prev_end(const parser *p) { return p->pos > 0 ? p->toks[p->pos - 1].end : 0; }

static bool ps_is_kw(const lex_token *t, const char *kw) {
    return t->kind == LEX_IDENT && strcmp(t->text, kw) == 0;
}

static bool ps_at_kw(const parser *p, const char *kw) { return ps_is_kw(ps_tok(p), kw); }

static bool ps_accept_kw(parser *p, const char *kw) {
    if (!ps_at_kw(p, kw)) return false;
    ps_advance(p);
    return true;
}

static bool ps_expect_kw(parser *p, const char *kw) {
    if (ps_accept_kw(p, kw)) return true;
    ps_syntax(p);
    return false;
}

static bool ps_at(const parser *p, lex_kind k) { return ps_tok(p)->kind == k; }

static bool ps_accept(parser *p, lex_kind k) {
    if (!ps_at(p, k)) return false;
    ps_advance(p);
    return true;
}

static bool ps_expect(parser *p, lex_kind k) {
    if (ps_accept(p, k)) return true;
    ps_syntax(p);
    return false;
}

/* Keywords that cannot be a bare column name or an alias without AS (PostgreSQL's reserved
   words, plus the clause words DuckDB reserves such as QUALIFY). */
static const char *const ps_reserved[] = {
    "all",       "and",     "any",     "as",      "asc",     "between", "both",    "by",
    "case",      "cast",    "create",  "cross",   "desc",    "distinct", "drop",   "else",
    "end",       "except",  "exists",  "false",   "fetch",   "for",     "from",    "full",
    "group",     "having",  "ilike",   "in",      "inner",   "insert",  "intersect", "into",
    "is",        "isnull",  "join",    "lateral", "left",    "like",    "limit",   "natural",
    "not",       "notnull", "null",    "offset",  "on",      "or",      "order",   "outer",
    "qualify",   "right",   "select",  "table",   "then",    "true",    "union",   "using",
    "values",    "when",    "where",   "window",  "with",
};

static bool ps_reserved_word(const char *w) {
    for (size_t i = 0; i < sizeof ps_reserved / sizeof ps_reserved[0]; i++)
        if (strcmp(ps_reserved[i], w) == 0) return true;
    return false;
}

/* An identifier usable as a name here: any quoted identifier, or an unreserved word. */
static bool ps_is_name(const lex_token *t) {
    return t->kind == LEX_QIDENT || (t->kind == LEX_IDENT && !ps_reserved_word(t->text));
}

/* Consume a name (table, column, CTE...) and return its text. */
static char *ps_name(parser *p) {
    const lex_token *t = ps_tok(p);
    if (!ps_is_name(t)) return ps_syntax(p);
    ps_advance(p);
    return t->text;
}

/* Names that become output column names (aliases, CREATE TABLE columns) keep the spelling
   of the SQL text even when unquoted: matching is case-insensitive anyway, and DuckDB prints
   `AS Sum` as "Sum". */
static char *ps_spelled(parser *p, const lex_token *t) {
    if (t->kind != LEX_IDENT || !t->text) return t->text;
    char *s = kl_arena_strndup(p->arena, p->sql + t->loc, (size_t)(t->end - t->loc));
    if (!s) return ps_oom(p);
    return s;
}

/* ps_name that keeps the spelling (see ps_spelled). */
static char *ps_name_spelled(parser *p) {
    const lex_token *t = ps_tok(p);
    if (!ps_is_name(t)) return ps_syntax(p);
    ps_advance(p);
    return ps_spelled(p, t);
}

/* True when the tokens at the cursor start a query: SELECT, WITH, VALUES, FROM-first. */
static bool ps_at_query(const parser *p, int k) {
    const lex_token *t = ps_peek(p, k);
    return ps_is_kw(t, "select") || ps_is_kw(t, "with") || ps_is_kw(t, "values") ||
           ps_is_kw(t, "from");
}

/* In FROM, after '(': a query, also one that starts with a parenthesised query and goes on with a
   set operation, ORDER BY or LIMIT ("((SELECT 1) EXCEPT (SELECT 2))"), as opposed to a
   parenthesised join whose first table is a subquery ("((SELECT 1) a JOIN b ON ...)"). */
static bool ps_at_query_nested(const parser *p, int k) {
    int m = k;
    while (ps_peek(p, m)->kind == LEX_LPAREN) m++;
    if (!ps_at_query(p, m)) return false;
    /* one pass (deep nesting stays linear): each leading '(' must close into a set operation,
       ORDER BY / LIMIT / OFFSET, or another ')' */
    int levels = m - k, depth = levels;
    for (int j = m; levels > 0; j++) {
        lex_kind kind = ps_peek(p, j)->kind;
        if (kind == LEX_EOF) return false;
        if (kind == LEX_LPAREN) depth++;
        if (kind != LEX_RPAREN || --depth >= levels) continue;
        const lex_token *after = ps_peek(p, j + 1);
        if (!(after->kind == LEX_RPAREN || ps_is_kw(after, "union") || ps_is_kw(after, "except") ||
              ps_is_kw(after, "intersect") || ps_is_kw(after, "order") || ps_is_kw(after, "limit") ||
              ps_is_kw(after, "offset")))
            return false;
        levels = depth;
    }
    return true;
}

/* ---- allocation ------------------------------------------------------------------------ */

static void *ps_alloc(parser *p, size_t n) {
    void *m = kl_arena_calloc(p->arena, n);
    if (!m) ps_oom(p);
    return m;
}

/* Double an arena array (old copy is abandoned to the arena: at most 2x waste). */
static void *ps_grow(parser *p, void *arr, int *cap, size_t elem) {
    if (*cap > INT_MAX / 4) return ps_oom(p);
    int ncap = *cap ? *cap * 2 : 4;
    void *n = kl_arena_alloc(p->arena, (size_t)ncap * elem);
    if (!n) return ps_oom(p);
    if (*cap) memcpy(n, arr, (size_t)*cap * elem);
    *cap = ncap;
    return n;
}

/* Append item to arena array arr[n] of capacity cap; false after an out-of-memory error. */
#define PS_PUSH(p, arr, n, cap, item)                                                              \
    (((n) < (cap) || ((arr) = ps_grow((p), (arr), &(cap), sizeof *(arr))) != NULL)                \
         ? ((arr)[(n)++] = (item), true)                                                           \
         : false)

static ast_expr *ps_expr_new(parser *p, ast_expr_kind kind, int loc) {
    ast_expr *e = ps_alloc(p, sizeof *e);
    if (!e) return NULL;
    e->kind = kind;
    e->loc = loc;
    e->end = loc;
    e->cast_type = KILN_TYPE__COUNT;
    e->lit_type = KILN_TYPE_NULL;
    return e;
}

static ast_expr *ps_finish(parser *p, ast_expr *e) {
    e->end = ps_prev_end(p);
    return e;
}

/* Node with args[0..n) given; NULL args mean a failed operand and fail the node. */
static ast_expr *ps_expr_args(parser *p, ast_expr_kind kind, int op, int loc, int n,
                              ast_expr *a0, ast_expr *a1, ast_expr *a2) {
    if (!a0 || (n > 1 && !a1) || (n > 2 && !a2)) return NULL;
    ast_expr *e = ps_expr_new(p, kind, loc);
    if (!e) return NULL;
    e->op = op;
    e->args = ps_alloc(p, (size_t)n * sizeof *e->args);
    if (!e->args) return NULL;
    ast_expr *src[3] = {a0, a1, a2};
    for (int i = 0; i < n; i++) e->args[i] = src[i];
    e->n_args = n;
    return ps_finish(p, e);
}

static ast_expr *ps_const_str(parser *p, int loc, int end, const char *text) {
    ast_expr *e = ps_expr_new(p, AST_CONST, loc);
    if (!e) return NULL;
    e->lit_type = KILN_TYPE_VARCHAR;
    e->sval = kl_arena_strdup(p->arena, text);
    if (!e->sval) return ps_oom(p);
    e->end = end;
    return e;
}

/* ---- forward declarations ---------------------------------------------------------------- */

static ast_expr *ps_expr(parser *p);
static ast_expr *ps_add(parser *p);
static ast_select *ps_query(parser *p);
static ast_table_ref *ps_from(parser *p);

/* ---- types ------------------------------------------------------------------------------- */

kl_type sql_type_from_name(const char *name) {
    static const struct {
        const char *name;
        kl_type type;
    } names[] = {
        {"bigint", KILN_TYPE_BIGINT},       {"int8", KILN_TYPE_BIGINT},
        {"long", KILN_TYPE_BIGINT},         {"integer", KILN_TYPE_BIGINT},
        {"int", KILN_TYPE_BIGINT},          {"int4", KILN_TYPE_BIGINT},
        {"signed", KILN_TYPE_BIGINT},       {"smallint", KILN_TYPE_BIGINT},
        {"int2", KILN_TYPE_BIGINT},         {"short", KILN_TYPE_BIGINT},
        {"tinyint", KILN_TYPE_BIGINT},      {"int1", KILN_TYPE_BIGINT},
        {"hugeint", KILN_TYPE_BIGINT},      {"int128", KILN_TYPE_BIGINT},
        {"ubigint", KILN_TYPE_BIGINT},      {"uinteger", KILN_TYPE_BIGINT},
        {"usmallint", KILN_TYPE_BIGINT},    {"utinyint", KILN_TYPE_BIGINT},
        {"double", KILN_TYPE_DOUBLE},       {"double precision", KILN_TYPE_DOUBLE},
        {"float", KILN_TYPE_DOUBLE},        {"float8", KILN_TYPE_DOUBLE},
        {"float4", KILN_TYPE_DOUBLE},       {"real", KILN_TYPE_DOUBLE},
        {"decimal", KILN_TYPE_DOUBLE},      {"numeric", KILN_TYPE_DOUBLE},
        {"dec", KILN_TYPE_DOUBLE},
        {"varchar", KILN_TYPE_VARCHAR},     {"text", KILN_TYPE_VARCHAR},
        {"string", KILN_TYPE_VARCHAR},      {"char", KILN_TYPE_VARCHAR},
        {"character", KILN_TYPE_VARCHAR},   {"character varying", KILN_TYPE_VARCHAR},
        {"bpchar", KILN_TYPE_VARCHAR},      {"nvarchar", KILN_TYPE_VARCHAR},
        {"boolean", KILN_TYPE_BOOLEAN},     {"bool", KILN_TYPE_BOOLEAN},
        {"logical", KILN_TYPE_BOOLEAN},
        {"date", KILN_TYPE_DATE},
        {"timestamp", KILN_TYPE_TIMESTAMP}, {"datetime", KILN_TYPE_TIMESTAMP},
        {"interval", KILN_TYPE_INTERVAL},
        {"timestamp without time zone", KILN_TYPE_TIMESTAMP},
        {"model", KILN_TYPE_MODEL},
    };
    if (!name) return KILN_TYPE__COUNT;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(names[i].name, name) == 0) return names[i].type;
    return KILN_TYPE__COUNT;
}

/* type name [words] [(n [, m])] -> *out; multi-word names are joined with single spaces. */
static bool ps_type(parser *p, kl_type *out) {
    const lex_token *t = ps_tok(p);
    if (t->kind != LEX_IDENT && t->kind != LEX_QIDENT) {
        ps_syntax(p);
        return false;
    }
    int loc = t->loc;
    char name[96];
    snprintf(name, sizeof name, "%s", t->text);
    ps_advance(p);
    if (strcmp(name, "double") == 0 && ps_accept_kw(p, "precision")) {
        snprintf(name, sizeof name, "double precision");
    } else if (strcmp(name, "character") == 0 && ps_accept_kw(p, "varying")) {
        snprintf(name, sizeof name, "character varying");
    } else if (strcmp(name, "timestamp") == 0 &&
               (ps_at_kw(p, "with") || ps_at_kw(p, "without")) &&
               ps_is_kw(ps_peek(p, 1), "time") && ps_is_kw(ps_peek(p, 2), "zone")) {
        snprintf(name, sizeof name, "timestamp %s time zone", ps_tok(p)->text);
        p->pos += 3;
    }
    if (ps_accept(p, LEX_LPAREN)) {
        /* width / precision / scale: accepted and ignored, kiln's types have none */
        do {
            if (!ps_accept(p, LEX_INT)) {
                ps_syntax(p);
                return false;
            }
        } while (ps_accept(p, LEX_COMMA));
        if (!ps_expect(p, LEX_RPAREN)) return false;
    }
    kl_type type = sql_type_from_name(name);
    if (type == KILN_TYPE__COUNT) {
        ps_fail(p, KILN_ERR_SYNTAX, loc, "Type \"%s\" does not exist", name);
        return false;
    }
    *out = type;
    return true;
}

/* ---- expressions: primaries ---------------------------------------------------------------- */

/* ORDER BY item: expr [ASC|DESC] [NULLS FIRST|LAST]; ORDER BY ALL is an AST_STAR item that
   the binder expands to every output column */
static bool ps_order_item(parser *p, ast_order_item *it) {
    if (ps_at_kw(p, "all") && ps_peek(p, 1)->kind != LEX_LPAREN) {
        it->expr = ps_expr_new(p, AST_STAR, ps_loc(p));
        ps_advance(p);
    } else {
        it->expr = ps_expr(p);
    }
    if (!it->expr) return false;
    it->desc = false;
    it->nulls_first = -1;
    if (ps_accept_kw(p, "desc"))
        it->desc = true;
    else
        ps_accept_kw(p, "asc");
    if (ps_accept_kw(p, "nulls")) {
        if (ps_accept_kw(p, "first"))
            it->nulls_first = 1;
        else if (ps_expect_kw(p, "last"))
            it->nulls_first = 0;
        else
            return false;
    }
    return true;
}

static bool ps_order_list(parser *p, ast_order_item **items, int *n) {
    int cap = 0;
    *items = NULL;
    *n = 0;
    do {
        ast_order_item it;
        if (!ps_order_item(p, &it) || !PS_PUSH(p, *items, *n, cap, it)) return false;
    } while (ps_accept(p, LEX_COMMA));
    return true;
}

static bool ps_expr_list(parser *p, ast_expr ***list, int *n) {
    int cap = 0;
    *list = NULL;
    *n = 0;
    do {
        ast_expr *e = ps_expr(p);
        if (!e || !PS_PUSH(p, *list, *n, cap, e)) return false;
    } while (ps_accept(p, LEX_COMMA));
    return true;
}

/* Window frame bound: UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW, expr PRECEDING|FOLLOWING */
static bool ps_frame_bound(parser *p, ast_bound_kind *kind, ast_expr **offset) {
    *offset = NULL;
    if (ps_accept_kw(p, "unbounded")) {
        if (ps_accept_kw(p, "preceding")) {
            *kind = AST_BOUND_UNBOUNDED_PRECEDING;
            return true;
        }
        if (!ps_expect_kw(p, "following")) return false;
        *kind = AST_BOUND_UNBOUNDED_FOLLOWING;
        return true;
    }
    if (ps_accept_kw(p, "current")) {
        *kind = AST_BOUND_CURRENT_ROW;
        return ps_expect_kw(p, "row");
    }
    /* the offset stops below AND so that BETWEEN x PRECEDING AND ... reads right */
    *offset = ps_add(p);
    if (!*offset) return false;
    if (ps_accept_kw(p, "preceding")) {
        *kind = AST_BOUND_PRECEDING;
        return true;
    }
    if (!ps_expect_kw(p, "following")) return false;
    *kind = AST_BOUND_FOLLOWING;
    return true;
}

/* OVER ( [PARTITION BY ...] [ORDER BY ...] [ROWS|RANGE frame] ) ; OVER already consumed */
static ast_window *ps_window(parser *p) {
    ast_window *w = ps_alloc(p, sizeof *w);
    if (!w) return NULL;
    w->frame = AST_FRAME_DEFAULT;
    w->start_kind = AST_BOUND_UNBOUNDED_PRECEDING;
    w->end_kind = AST_BOUND_CURRENT_ROW;
    if (ps_is_name(ps_tok(p))) { /* OVER w */
        w->ref_name = ps_name(p);
        return w->ref_name ? w : NULL;
    }
    if (!ps_expect(p, LEX_LPAREN)) return NULL;
    if (ps_is_name(ps_tok(p)) && !ps_at_kw(p, "partition") && !ps_at_kw(p, "order") && !ps_at_kw(p, "rows") &&
        !ps_at_kw(p, "range")) {
        w->ref_name = ps_name(p); /* OVER (w ORDER BY ...) */
        if (!w->ref_name) return NULL;
    }
    if (ps_accept_kw(p, "partition")) {
        if (!ps_expect_kw(p, "by") || !ps_expr_list(p, &w->partition_by, &w->n_partition_by))
            return NULL;
    }
    if (ps_accept_kw(p, "order")) {
        if (!ps_expect_kw(p, "by") || !ps_order_list(p, &w->order_by, &w->n_order_by))
            return NULL;
    }
    if (ps_at_kw(p, "rows") || ps_at_kw(p, "range")) {
        w->frame = ps_at_kw(p, "rows") ? AST_FRAME_ROWS : AST_FRAME_RANGE;
        ps_advance(p);
        if (ps_accept_kw(p, "between")) {
            if (!ps_frame_bound(p, &w->start_kind, &w->start_offset) ||
                !ps_expect_kw(p, "and") || !ps_frame_bound(p, &w->end_kind, &w->end_offset))
                return NULL;
        } else {
            if (!ps_frame_bound(p, &w->start_kind, &w->start_offset)) return NULL;
            w->end_kind = AST_BOUND_CURRENT_ROW;
        }
    }
    if (!ps_expect(p, LEX_RPAREN)) return NULL;
    return w;
}

/* Arguments of a call after '(' through ')': positional and named (name := v, name => v).
   names is set to NULL when no argument is named. */
static bool ps_call_args(parser *p, ast_expr ***args, char ***names, int *n) {
    int cap = 0, ncap = 0, nn = 0;
    bool any_named = false;
    *args = NULL;
    *names = NULL;
    *n = 0;
    if (ps_accept(p, LEX_RPAREN)) return true;
    do {
        char *name = NULL;
        const lex_token *t = ps_tok(p);
        lex_kind next = ps_peek(p, 1)->kind;
        if ((t->kind == LEX_IDENT || t->kind == LEX_QIDENT) &&
            (next == LEX_COLONEQ || next == LEX_ARROW)) {
            name = t->text;
            any_named = true;
            p->pos += 2;
        }
        ast_expr *e = ps_expr(p);
        if (!e || !PS_PUSH(p, *args, *n, cap, e) || !PS_PUSH(p, *names, nn, ncap, name))
            return false;
    } while (ps_accept(p, LEX_COMMA));
    if (!ps_expect(p, LEX_RPAREN)) return false;
    if (!any_named) *names = NULL;
    return true;
}

/* name '(' already at '(' : f(), f(*), f(DISTINCT a, b), f(a, name := b) [OVER (...)] */
static ast_expr *ps_func(parser *p, const char *name, int loc) {
    ast_expr *f = ps_expr_new(p, AST_FUNC, loc);
    if (!f) return NULL;
    f->name = (char *)name;
    ps_advance(p); /* ( */
    if (strcmp(name, "extract") == 0 &&
        (ps_tok(p)->kind == LEX_IDENT || ps_tok(p)->kind == LEX_STRING) &&
        ps_is_kw(ps_peek(p, 1), "from")) {
        /* EXTRACT(field FROM x) is date_part('field', x) */
        const lex_token *field = ps_tok(p);
        ast_expr *fe = ps_const_str(p, field->loc, field->end, field->text);
        if (!fe) return NULL;
        p->pos += 2;
        ast_expr *x = ps_expr(p);
        if (!x || !ps_expect(p, LEX_RPAREN)) return NULL;
        f->name = "date_part";
        f->args = ps_alloc(p, 2 * sizeof *f->args);
        if (!f->args) return NULL;
        f->args[0] = fe;
        f->args[1] = x;
        f->n_args = 2;
        return ps_finish(p, f);
    }
    if (strcmp(name, "position") == 0 || strcmp(name, "substring") == 0) {
        /* POSITION(a IN b) and SUBSTRING(s FROM a [FOR b]) (SQL's keyword forms) */
        int save = p->pos;
        ast_expr *a0 = ps_add(p);
        bool pos_form = name[0] == 'p' && a0 && ps_accept_kw(p, "in");
        bool sub_form = name[0] == 's' && a0 && ps_at_kw(p, "from");
        if (pos_form || sub_form) {
            if (sub_form) ps_advance(p);
            ast_expr *a1 = ps_expr(p);
            ast_expr *a2 = NULL;
            if (!a1) return NULL;
            if (sub_form && ps_accept_kw(p, "for") && !(a2 = ps_expr(p))) return NULL;
            if (!ps_expect(p, LEX_RPAREN)) return NULL;
            f->args = ps_alloc(p, 3 * sizeof *f->args);
            if (!f->args) return NULL;
            if (pos_form) {
                /* position(needle IN haystack) = strpos(haystack, needle) */
                f->name = "strpos";
                f->args[0] = a1;
                f->args[1] = a0;
                f->n_args = 2;
            } else {
                f->args[0] = a0;
                f->args[1] = a1;
                f->args[2] = a2;
                f->n_args = a2 ? 3 : 2;
            }
            return ps_finish(p, f);
        }
        if (p->rc) return NULL;
        p->pos = save; /* the ordinary call form */
    }
    if (ps_at(p, LEX_STAR) && ps_peek(p, 1)->kind == LEX_RPAREN) {
        f->star = true;
        p->pos += 2;
    } else {
        if (ps_accept_kw(p, "distinct"))
            f->distinct = true;
        else
            ps_accept_kw(p, "all");
        if (f->distinct && ps_at(p, LEX_RPAREN)) return ps_syntax(p);
        if (!ps_call_args(p, &f->args, &f->arg_names, &f->n_args)) return NULL;
    }
    if (ps_accept_kw(p, "over")) {
        f->over = ps_window(p);
        if (!f->over) return NULL;
    }
    return ps_finish(p, f);
}

/* CASE [operand] WHEN c THEN r ... [ELSE e] END ; CASE already at cursor */
static ast_expr *ps_case(parser *p) {
    ast_expr *e = ps_expr_new(p, AST_CASE, ps_loc(p));
    if (!e) return NULL;
    ps_advance(p);
    if (!ps_at_kw(p, "when")) {
        e->case_operand = ps_expr(p);
        if (!e->case_operand) return NULL;
    }
    int cap = 0;
    if (!ps_at_kw(p, "when")) return ps_syntax(p);
    while (ps_accept_kw(p, "when")) {
        ast_expr *w = ps_expr(p);
        if (!w || !ps_expect_kw(p, "then")) return NULL;
        ast_expr *t = ps_expr(p);
        if (!t || !PS_PUSH(p, e->args, e->n_args, cap, w) ||
            !PS_PUSH(p, e->args, e->n_args, cap, t))
            return NULL;
    }
    if (ps_accept_kw(p, "else")) {
        e->else_expr = ps_expr(p);
        if (!e->else_expr) return NULL;
    }
    if (!ps_expect_kw(p, "end")) return NULL;
    return ps_finish(p, e);
}

/* CAST(x AS type) / TRY_CAST(x AS type) ; keyword at cursor, '(' next */
static ast_expr *ps_cast_call(parser *p, bool try_cast) {
    ast_expr *e = ps_expr_new(p, AST_CAST, ps_loc(p));
    if (!e) return NULL;
    p->pos += 2;
    ast_expr *x = ps_expr(p);
    if (!x || !ps_expect_kw(p, "as") || !ps_type(p, &e->cast_type) ||
        !ps_expect(p, LEX_RPAREN))
        return NULL;
    e->args = ps_alloc(p, sizeof *e->args);
    if (!e->args) return NULL;
    e->args[0] = x;
    e->n_args = 1;
    e->try_cast = try_cast;
    return ps_finish(p, e);
}

static bool ps_is_interval_unit(const lex_token *t) {
    static const char *const units[] = {
        "year",    "years",   "month",  "months",  "week",         "weeks",
        "day",     "days",    "hour",   "hours",   "minute",       "minutes",
        "second",  "seconds", "millisecond", "milliseconds", "microsecond", "microseconds",
        "decade",  "decades", "century", "centuries", "quarter", "quarters",
    };
    if (t->kind != LEX_IDENT) return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(units[i], t->text) == 0) return true;
    return false;
}

/* INTERVAL 'text' [unit] | INTERVAL [-]n unit ; INTERVAL at cursor. sval = "text[ unit]". */
static ast_expr *ps_interval(parser *p) {
    ast_expr *e = ps_expr_new(p, AST_INTERVAL, ps_loc(p));
    if (!e) return NULL;
    ps_advance(p);
    const lex_token *v = ps_tok(p);
    kl_buf text = {0};
    int rc = 0;
    if (v->kind == LEX_STRING) {
        rc = kl_buf_puts(&text, v->text);
        ps_advance(p);
    } else {
        int start = v->loc;
        ps_accept(p, LEX_MINUS);
        if (!ps_accept(p, LEX_INT) && !ps_accept(p, LEX_FLOAT)) return ps_syntax(p);
        if (!ps_is_interval_unit(ps_tok(p))) return ps_syntax(p);
        rc = kl_buf_append(&text, p->sql + start, (size_t)(ps_prev_end(p) - start));
    }
    if (!rc && ps_is_interval_unit(ps_tok(p))) {
        rc = kl_buf_putc(&text, ' ');
        if (!rc) rc = kl_buf_puts(&text, ps_tok(p)->text);
        ps_advance(p);
    }
    e->sval = rc ? NULL : kl_arena_strndup(p->arena, text.data ? text.data : "", text.len);
    kl_buf_free(&text);
    if (!e->sval) return ps_oom(p);
    return ps_finish(p, e);
}

/* [a, b, c] ; '[' at cursor */
static ast_expr *ps_list(parser *p, int loc) {
    ast_expr *e = ps_expr_new(p, AST_LIST, loc);
    if (!e) return NULL;
    ps_advance(p);
    if (!ps_accept(p, LEX_RBRACKET)) {
        if (!ps_expr_list(p, &e->args, &e->n_args) || !ps_expect(p, LEX_RBRACKET)) return NULL;
    }
    return ps_finish(p, e);
}

/* {'a': x, b: y} ; '{' at cursor */
static ast_expr *ps_struct(parser *p) {
    ast_expr *e = ps_expr_new(p, AST_STRUCT, ps_loc(p));
    if (!e) return NULL;
    ps_advance(p);
    int cap = 0, ncap = 0, nn = 0;
    if (!ps_accept(p, LEX_RBRACE)) {
        do {
            const lex_token *k = ps_tok(p);
            if (k->kind != LEX_STRING && k->kind != LEX_IDENT && k->kind != LEX_QIDENT)
                return ps_syntax(p);
            ps_advance(p);
            if (!ps_expect(p, LEX_COLON)) return NULL;
            ast_expr *v = ps_expr(p);
            if (!v || !PS_PUSH(p, e->args, e->n_args, cap, v) ||
                !PS_PUSH(p, e->arg_names, nn, ncap, k->text))
                return NULL;
        } while (ps_accept(p, LEX_COMMA));
        if (!ps_expect(p, LEX_RBRACE)) return NULL;
    }
    return ps_finish(p, e);
}

/* (SELECT ...) as an expression; '(' at cursor */
static ast_expr *ps_subquery_expr(parser *p, ast_expr_kind kind, int loc) {
    ast_expr *e = ps_expr_new(p, kind, loc);
    if (!e || !ps_expect(p, LEX_LPAREN)) return NULL;
    e->subquery = ps_query(p);
    if (!e->subquery || !ps_expect(p, LEX_RPAREN)) return NULL;
    return ps_finish(p, e);
}

static ast_expr *ps_primary(parser *p) {
    const lex_token *t = ps_tok(p);
    int loc = t->loc;
    ast_expr *e;
    switch (t->kind) {
    case LEX_INT:
    case LEX_FLOAT:
        e = ps_expr_new(p, AST_CONST, loc);
        if (!e) return NULL;
        if (t->kind == LEX_INT) {
            e->lit_type = KILN_TYPE_BIGINT;
            e->ival = t->ival;
        } else {
            e->lit_type = KILN_TYPE_DOUBLE;
            e->dval = t->dval;
        }
        ps_advance(p);
        return ps_finish(p, e);
    case LEX_STRING:
        ps_advance(p);
        return ps_const_str(p, loc, t->end, t->text);
    case LEX_STAR:
        e = ps_expr_new(p, AST_STAR, loc);
        if (!e) return NULL;
        ps_advance(p);
        return ps_finish(p, e);
    case LEX_LBRACKET:
        return ps_list(p, loc);
    case LEX_LBRACE:
        return ps_struct(p);
    case LEX_LPAREN:
        if (ps_at_query(p, 1)) return ps_subquery_expr(p, AST_SUBQUERY, loc);
        ps_advance(p);
        e = ps_expr(p);
        if (!e || !ps_expect(p, LEX_RPAREN)) return NULL;
        /* widen to the parentheses so the output name reads "(a + b)", but keep a plain
           column's name as the column (DuckDB names "(a)" just "a") */
        if (e->kind != AST_COLUMN) {
            e->loc = loc;
            e->end = ps_prev_end(p);
        }
        return e;
    case LEX_IDENT:
    case LEX_QIDENT:
        break;
    default:
        return ps_syntax(p);
    }

    lex_kind next = ps_peek(p, 1)->kind;
    if (t->kind == LEX_IDENT) {
        const char *w = t->text;
        if (strcmp(w, "null") == 0 || strcmp(w, "true") == 0 || strcmp(w, "false") == 0) {
            e = ps_expr_new(p, AST_CONST, loc);
            if (!e) return NULL;
            if (w[0] != 'n') {
                e->lit_type = KILN_TYPE_BOOLEAN;
                e->bval = w[0] == 't';
            }
            ps_advance(p);
            return ps_finish(p, e);
        }
        if (strcmp(w, "case") == 0) return ps_case(p);
        if (strcmp(w, "cast") == 0 && next == LEX_LPAREN) return ps_cast_call(p, false);
        if (strcmp(w, "try_cast") == 0 && next == LEX_LPAREN) return ps_cast_call(p, true);
        if (strcmp(w, "exists") == 0 && next == LEX_LPAREN) {
            ps_advance(p);
            return ps_subquery_expr(p, AST_EXISTS, loc);
        }
        if (strcmp(w, "interval") == 0 &&
            (next == LEX_STRING || next == LEX_INT || next == LEX_FLOAT || next == LEX_MINUS))
            return ps_interval(p);
        if (strcmp(w, "array") == 0 && next == LEX_LBRACKET) {
            ps_advance(p);
            return ps_list(p, loc);
        }
        if (next == LEX_STRING && sql_type_from_name(w) != KILN_TYPE__COUNT) {
            /* typed literal: DATE '2024-01-01' is CAST('2024-01-01' AS DATE) */
            const lex_token *s = ps_peek(p, 1);
            ast_expr *lit = ps_const_str(p, s->loc, s->end, s->text);
            e = ps_expr_new(p, AST_CAST, loc);
            if (!lit || !e) return NULL;
            e->cast_type = sql_type_from_name(w);
            e->args = ps_alloc(p, sizeof *e->args);
            if (!e->args) return NULL;
            e->args[0] = lit;
            e->n_args = 1;
            p->pos += 2;
            return ps_finish(p, e);
        }
        if (next == LEX_LPAREN) {
            /* reserved words are not function names, except the string functions that
               PostgreSQL also allows despite the join keywords */
            if (ps_reserved_word(w) && strcmp(w, "left") != 0 && strcmp(w, "right") != 0)
                return ps_syntax(p);
            ps_advance(p);
            return ps_func(p, w, loc);
        }
        if (ps_reserved_word(w)) return ps_syntax(p);
    } else if (next == LEX_LPAREN) {
        ps_advance(p);
        return ps_func(p, t->text, loc);
    }

    /* column, t.column, t.* */
    ps_advance(p);
    if (ps_at(p, LEX_DOT)) {
        const lex_token *c = ps_peek(p, 1);
        if (c->kind == LEX_STAR) {
            e = ps_expr_new(p, AST_STAR, loc);
            if (!e) return NULL;
            e->table = t->text;
            p->pos += 2;
            return ps_finish(p, e);
        }
        if (c->kind == LEX_IDENT || c->kind == LEX_QIDENT) {
            e = ps_expr_new(p, AST_COLUMN, loc);
            if (!e) return NULL;
            e->table = t->text;
            e->name = c->text;
            p->pos += 2;
            return ps_finish(p, e);
        }
        ps_advance(p);
        return ps_syntax(p);
    }
    e = ps_expr_new(p, AST_COLUMN, loc);
    if (!e) return NULL;
    e->name = t->text;
    return ps_finish(p, e);
}

/* ---- expressions: operators ------------------------------------------------------------ */

/* primary { '[' index ']' } : x[i] is array_extract(x, i) */
static ast_expr *ps_postfix(parser *p) {
    int loc = ps_loc(p);
    ast_expr *e = ps_primary(p);
    while (e && ps_accept(p, LEX_LBRACKET)) {
        ast_expr *idx = ps_expr(p);
        if (!idx || !ps_expect(p, LEX_RBRACKET)) return NULL;
        ast_expr *f = ps_expr_args(p, AST_FUNC, 0, loc, 2, e, idx, NULL);
        if (!f) return NULL;
        f->name = "array_extract";
        e = f;
    }
    return e;
}

/* postfix { '::' type } */
static ast_expr *ps_cast(parser *p) {
    int loc = ps_loc(p);
    ast_expr *e = ps_postfix(p);
    while (e && ps_accept(p, LEX_DCOLON)) {
        kl_type type;
        if (!ps_type(p, &type)) return NULL;
        e = ps_expr_args(p, AST_CAST, 0, loc, 1, e, NULL, NULL);
        if (!e) return NULL;
        e->cast_type = type;
    }
    return e;
}

/* '-' unary | '+' unary | cast ; a minus before a bare number literal folds into it */
static ast_expr *ps_unary(parser *p) {
    const lex_token *t = ps_tok(p);
    if (t->kind != LEX_MINUS && t->kind != LEX_PLUS) return ps_cast(p);
    int loc = t->loc;
    bool neg = t->kind == LEX_MINUS;
    if (!ps_enter(p)) return NULL;
    ps_advance(p);
    ast_expr *x = ps_unary(p);
    ps_leave(p);
    if (!x) return NULL;
    const lex_token *last = &p->toks[p->pos - 1];
    if (neg && x->kind == AST_CONST && x->loc == last->loc &&
        (last->kind == LEX_INT || last->kind == LEX_FLOAT)) {
        if (last->kind == LEX_INT) {
            x->ival = -x->ival; /* literals are >= 0, so no overflow */
        } else if (last->int_min_abs) {
            x->lit_type = KILN_TYPE_BIGINT;
            x->ival = INT64_MIN;
        } else {
            x->dval = -x->dval;
        }
        x->loc = loc;
        return x;
    }
    return ps_expr_args(p, AST_UNARY, neg ? KL_OP_NEG : KL_OP_PLUS, loc, 1, x, NULL, NULL);
}

static ast_expr *ps_mul(parser *p) {
    int loc = ps_loc(p);
    ast_expr *e = ps_unary(p);
    for (;;) {
        if (!e) return NULL;
        int op;
        switch (ps_tok(p)->kind) {
        case LEX_STAR: op = KL_OP_MUL; break;
        case LEX_SLASH: op = KL_OP_DIV; break;
        case LEX_SLASH2: op = KL_OP_INTDIV; break;
        case LEX_PERCENT: op = KL_OP_MOD; break;
        default: return e;
        }
        ps_advance(p);
        e = ps_expr_args(p, AST_BINARY, op, loc, 2, e, ps_unary(p), NULL);
    }
}

static ast_expr *ps_add(parser *p) {
    int loc = ps_loc(p);
    ast_expr *e = ps_mul(p);
    for (;;) {
        if (!e) return NULL;
        int op;
        switch (ps_tok(p)->kind) {
        case LEX_PLUS: op = KL_OP_ADD; break;
        case LEX_MINUS: op = KL_OP_SUB; break;
        case LEX_CONCAT: op = KL_OP_CONCAT; break;
        default: return e;
        }
        ps_advance(p);
        e = ps_expr_args(p, AST_BINARY, op, loc, 2, e, ps_mul(p), NULL);
    }
}

/* x [NOT] BETWEEN a AND b | x [NOT] IN (...) | x [NOT] LIKE|ILIKE y [ESCAPE z] */
static ast_expr *ps_pred(parser *p) {
    int loc = ps_loc(p);
    ast_expr *e = ps_add(p);
    for (;;) {
        if (!e) return NULL;
        bool negated = false;
        const lex_token *t = ps_tok(p);
        if (ps_is_kw(t, "not")) {
            const lex_token *n = ps_peek(p, 1);
            if (!ps_is_kw(n, "between") && !ps_is_kw(n, "in") && !ps_is_kw(n, "like") &&
                !ps_is_kw(n, "ilike"))
                return e;
            negated = true;
            ps_advance(p);
            t = ps_tok(p);
        }
        ast_expr *r;
        if (ps_is_kw(t, "between")) {
            ps_advance(p);
            ast_expr *lo = ps_add(p);
            if (!lo || !ps_expect_kw(p, "and")) return NULL;
            r = ps_expr_args(p, AST_BETWEEN, 0, loc, 3, e, lo, ps_add(p));
        } else if (ps_is_kw(t, "like") || ps_is_kw(t, "ilike")) {
            bool ci = ps_is_kw(t, "ilike");
            ps_advance(p);
            ast_expr *pat = ps_add(p);
            if (!pat) return NULL;
            if (ps_accept_kw(p, "escape"))
                r = ps_expr_args(p, AST_LIKE, 0, loc, 3, e, pat, ps_add(p));
            else
                r = ps_expr_args(p, AST_LIKE, 0, loc, 2, e, pat, NULL);
            if (r) r->case_insensitive = ci;
        } else if (ps_is_kw(t, "in")) {
            ps_advance(p);
            r = ps_expr_new(p, AST_IN, loc);
            if (!r || !ps_expect(p, LEX_LPAREN)) return NULL;
            int cap = 0;
            if (!PS_PUSH(p, r->args, r->n_args, cap, e)) return NULL;
            if (ps_at_query(p, 0)) {
                r->subquery = ps_query(p);
                if (!r->subquery) return NULL;
            } else {
                do {
                    ast_expr *x = ps_expr(p);
                    if (!x || !PS_PUSH(p, r->args, r->n_args, cap, x)) return NULL;
                } while (ps_accept(p, LEX_COMMA));
            }
            if (!ps_expect(p, LEX_RPAREN)) return NULL;
            ps_finish(p, r);
        } else {
            return e;
        }
        if (!r) return NULL;
        r->negated = negated;
        e = r;
    }
}

static ast_expr *ps_cmp(parser *p) {
    int loc = ps_loc(p);
    ast_expr *e = ps_pred(p);
    for (;;) {
        if (!e) return NULL;
        int op;
        switch (ps_tok(p)->kind) {
        case LEX_EQ: op = KL_OP_EQ; break;
        case LEX_NE: op = KL_OP_NE; break;
        case LEX_LT: op = KL_OP_LT; break;
        case LEX_LE: op = KL_OP_LE; break;
        case LEX_GT: op = KL_OP_GT; break;
        case LEX_GE: op = KL_OP_GE; break;
        default: return e;
        }
        ps_advance(p);
        e = ps_expr_args(p, AST_BINARY, op, loc, 2, e, ps_pred(p), NULL);
    }
}

/* x IS [NOT] NULL|TRUE|FALSE, x ISNULL, x NOTNULL */
static ast_expr *ps_is(parser *p) {
    int loc = ps_loc(p);
    ast_expr *e = ps_cmp(p);
    for (;;) {
        if (!e) return NULL;
        ast_expr *r;
        if (ps_accept_kw(p, "isnull") || ps_accept_kw(p, "notnull")) {
            r = ps_expr_args(p, AST_IS_NULL, 0, loc, 1, e, NULL, NULL);
            if (r) r->negated = ps_is_kw(&p->toks[p->pos - 1], "notnull");
        } else if (ps_accept_kw(p, "is")) {
            bool negated = ps_accept_kw(p, "not");
            if (ps_accept_kw(p, "null")) {
                r = ps_expr_args(p, AST_IS_NULL, 0, loc, 1, e, NULL, NULL);
            } else if (ps_accept_kw(p, "distinct")) {
                /* a IS [NOT] DISTINCT FROM b: NULL-safe (in)equality */
                if (!ps_expect_kw(p, "from")) return NULL;
                ast_expr *rhs = ps_cmp(p);
                if (!rhs) return NULL;
                r = ps_expr_args(p, AST_BINARY, negated ? KL_OP_IS_NOT_DISTINCT : KL_OP_IS_DISTINCT, loc, 2, e, rhs, NULL);
                negated = false;
            } else if (ps_at_kw(p, "true") || ps_at_kw(p, "false")) {
                bool b = ps_at_kw(p, "true");
                ps_advance(p);
                r = ps_expr_args(p, AST_IS_BOOL, 0, loc, 1, e, NULL, NULL);
                if (r) r->bval = b;
            } else {
                return ps_syntax(p);
            }
            if (r) r->negated = negated;
        } else {
            return e;
        }
        e = r;
    }
}

/* NOT x ; NOT EXISTS (...) becomes a negated EXISTS node */
static ast_expr *ps_not(parser *p) {
    if (!ps_at_kw(p, "not")) return ps_is(p);
    int loc = ps_loc(p);
    if (!ps_enter(p)) return NULL;
    ps_advance(p);
    int inner_loc = ps_loc(p);
    ast_expr *x = ps_not(p);
    ps_leave(p);
    if (!x) return NULL;
    if (x->kind == AST_EXISTS && !x->negated && x->loc == inner_loc) {
        x->negated = true;
        x->loc = loc;
        return x;
    }
    return ps_expr_args(p, AST_UNARY, KL_OP_NOT, loc, 1, x, NULL, NULL);
}

static ast_expr *ps_and(parser *p) {
    int loc = ps_loc(p);
    ast_expr *e = ps_not(p);
    while (e && ps_accept_kw(p, "and"))
        e = ps_expr_args(p, AST_BINARY, KL_OP_AND, loc, 2, e, ps_not(p), NULL);
    return e;
}

static ast_expr *ps_or(parser *p) {
    int loc = ps_loc(p);
    ast_expr *e = ps_and(p);
    while (e && ps_accept_kw(p, "or"))
        e = ps_expr_args(p, AST_BINARY, KL_OP_OR, loc, 2, e, ps_and(p), NULL);
    return e;
}

/* Every nested expression comes through here, so this is where depth is bounded. */
static ast_expr *ps_expr(parser *p) {
    if (!ps_enter(p)) return NULL;
    ast_expr *e = ps_or(p);
    ps_leave(p);
    return e;
}

/* ---- FROM ---------------------------------------------------------------------------------- */

static ast_table_ref *ps_table_new(parser *p, ast_table_kind kind, int loc) {
    ast_table_ref *t = ps_alloc(p, sizeof *t);
    if (!t) return NULL;
    t->kind = kind;
    t->loc = loc;
    return t;
}

/* [AS] alias [(c1, c2)] */
static bool ps_table_alias(parser *p, ast_table_ref *t) {
    if (ps_accept_kw(p, "as")) {
        t->alias = ps_name(p);
        if (!t->alias) return false;
    } else if (ps_is_name(ps_tok(p))) {
        t->alias = ps_tok(p)->text;
        ps_advance(p);
    } else {
        return true;
    }
    if (ps_accept(p, LEX_LPAREN)) {
        int cap = 0;
        do {
            char *c = ps_name_spelled(p);
            if (!c || !PS_PUSH(p, t->column_aliases, t->n_column_aliases, cap, c)) return false;
        } while (ps_accept(p, LEX_COMMA));
        if (!ps_expect(p, LEX_RPAREN)) return false;
    }
    return true;
}

/* table | 'file' | func(args) | (query) | (joined tables), each with an optional alias */
static ast_table_ref *ps_table_primary(parser *p) {
    const lex_token *tk = ps_tok(p);
    int loc = tk->loc;
    ast_table_ref *t;
    if (tk->kind == LEX_LPAREN) {
        if (!ps_enter(p)) return NULL;
        if (ps_at_query_nested(p, 1)) {
            ps_advance(p);
            t = ps_table_new(p, AST_TABLE_SUBQUERY, loc);
            if (t) t->subquery = ps_query(p);
            if (!t || !t->subquery) t = NULL;
        } else {
            ps_advance(p);
            t = ps_from(p);
        }
        ps_leave(p);
        if (!t || !ps_expect(p, LEX_RPAREN)) return NULL;
    } else if (tk->kind == LEX_STRING) {
        t = ps_table_new(p, AST_TABLE_FILE, loc);
        if (!t) return NULL;
        t->path = tk->text;
        ps_advance(p);
    } else if (ps_is_name(tk)) {
        ps_advance(p);
        if (ps_at(p, LEX_LPAREN)) {
            t = ps_table_new(p, AST_TABLE_FUNC, loc);
            if (!t) return NULL;
            t->name = tk->text;
            ps_advance(p);
            if (!ps_call_args(p, &t->args, &t->arg_names, &t->n_args)) return NULL;
        } else {
            t = ps_table_new(p, AST_TABLE_NAME, loc);
            if (!t) return NULL;
            t->name = tk->text;
            /* schema.table: kiln has one schema, keep the table part */
            if (ps_at(p, LEX_DOT)) {
                ps_advance(p);
                t->name = ps_name(p);
                if (!t->name) return NULL;
            }
        }
    } else {
        return ps_syntax(p);
    }
    if (!ps_table_alias(p, t)) return NULL;
    return t;
}

static ast_table_ref *ps_join_new(parser *p, ast_join_type type, ast_table_ref *l,
                                  ast_table_ref *r) {
    if (!l || !r) return NULL;
    ast_table_ref *j = ps_table_new(p, AST_TABLE_JOIN, l->loc);
    if (!j) return NULL;
    j->join_type = type;
    j->left = l;
    j->right = r;
    return j;
}

/* table_primary { [INNER|LEFT|RIGHT|FULL [OUTER]] JOIN table_primary ON e | USING (...)
                   | CROSS JOIN table_primary } : left-deep */
static ast_table_ref *ps_join_chain(parser *p) {
    ast_table_ref *left = ps_table_primary(p);
    while (left) {
        ast_join_type type;
        if (ps_at_kw(p, "cross")) {
            ps_advance(p);
            if (!ps_expect_kw(p, "join")) return NULL;
            left = ps_join_new(p, AST_JOIN_CROSS, left, ps_table_primary(p));
            continue;
        }
        bool natural = ps_accept_kw(p, "natural");
        if (ps_accept_kw(p, "join")) {
            type = AST_JOIN_INNER;
        } else if (ps_accept_kw(p, "inner")) {
            type = AST_JOIN_INNER;
            if (!ps_expect_kw(p, "join")) return NULL;
        } else if (ps_at_kw(p, "left") || ps_at_kw(p, "right") || ps_at_kw(p, "full")) {
            type = ps_at_kw(p, "left")    ? AST_JOIN_LEFT
                   : ps_at_kw(p, "right") ? AST_JOIN_RIGHT
                                          : AST_JOIN_FULL;
            ps_advance(p);
            ps_accept_kw(p, "outer");
            if (!ps_expect_kw(p, "join")) return NULL;
        } else {
            if (natural) return ps_syntax(p);
            return left;
        }
        ast_table_ref *j = ps_join_new(p, type, left, ps_table_primary(p));
        if (!j) return NULL;
        if (natural) {
            j->natural = true;
        } else if (ps_accept_kw(p, "on")) {
            j->on = ps_expr(p);
            if (!j->on) return NULL;
        } else if (ps_accept_kw(p, "using")) {
            if (!ps_expect(p, LEX_LPAREN)) return NULL;
            int cap = 0;
            do {
                char *c = ps_name(p);
                if (!c || !PS_PUSH(p, j->using_cols, j->n_using, cap, c)) return NULL;
            } while (ps_accept(p, LEX_COMMA));
            if (!ps_expect(p, LEX_RPAREN)) return NULL;
        } else {
            return ps_syntax(p);
        }
        left = j;
    }
    return NULL;
}

/* join_chain { ',' join_chain } : a comma is a cross join */
static ast_table_ref *ps_from(parser *p) {
    ast_table_ref *t = ps_join_chain(p);
    while (t && ps_accept(p, LEX_COMMA)) t = ps_join_new(p, AST_JOIN_CROSS, t, ps_join_chain(p));
    return t;
}

/* ---- queries ------------------------------------------------------------------------------ */

static ast_select *ps_select_new(parser *p, int loc) {
    ast_select *s = ps_alloc(p, sizeof *s);
    if (s) s->loc = loc;
    return s;
}

/* item: * | t.* | expr [[AS] alias] */
static bool ps_select_items(parser *p, ast_select *s) {
    int cap = 0;
    do {
        ast_select_item it = {0};
        it.expr = ps_expr(p);
        if (!it.expr) return false;
        if (it.expr->kind != AST_STAR) {
            if (ps_accept_kw(p, "as")) {
                const lex_token *a = ps_tok(p);
                if (a->kind != LEX_IDENT && a->kind != LEX_QIDENT && a->kind != LEX_STRING) {
                    ps_syntax(p);
                    return false;
                }
                it.alias = ps_spelled(p, a);
                if (!it.alias) return false;
                ps_advance(p);
            } else if (ps_is_name(ps_tok(p))) {
                it.alias = ps_spelled(p, ps_tok(p));
                if (!it.alias) return false;
                ps_advance(p);
            }
        }
        if (!PS_PUSH(p, s->items, s->n_items, cap, it)) return false;
    } while (ps_accept(p, LEX_COMMA));
    return true;
}

/* SELECT [DISTINCT|ALL] items [FROM ..] [WHERE] [GROUP BY] [HAVING] [QUALIFY], or the
   FROM-first form FROM t [SELECT items] ... */
static ast_select *ps_select_core(parser *p) {
    ast_select *s = ps_select_new(p, ps_loc(p));
    if (!s) return NULL;
    if (ps_accept_kw(p, "from")) {
        s->from = ps_from(p);
        if (!s->from) return NULL;
        if (ps_accept_kw(p, "select")) {
            if (ps_accept_kw(p, "distinct"))
                s->distinct = true;
            else
                ps_accept_kw(p, "all");
            if (!ps_select_items(p, s)) return NULL;
        } else {
            ast_select_item it = {0};
            int cap = 0;
            it.expr = ps_expr_new(p, AST_STAR, s->loc);
            if (!it.expr || !PS_PUSH(p, s->items, s->n_items, cap, it)) return NULL;
        }
    } else {
        if (!ps_expect_kw(p, "select")) return NULL;
        if (ps_accept_kw(p, "distinct"))
            s->distinct = true;
        else
            ps_accept_kw(p, "all");
        if (!ps_select_items(p, s)) return NULL;
        if (ps_accept_kw(p, "from")) {
            s->from = ps_from(p);
            if (!s->from) return NULL;
        }
    }
    if (ps_accept_kw(p, "where")) {
        s->where = ps_expr(p);
        if (!s->where) return NULL;
    }
    if (ps_at_kw(p, "group")) {
        ps_advance(p);
        if (!ps_expect_kw(p, "by")) return NULL;
        if (ps_accept_kw(p, "all"))
            s->group_by_all = true;
        else if (!ps_expr_list(p, &s->group_by, &s->n_group_by))
            return NULL;
    }
    if (ps_accept_kw(p, "having")) {
        s->having = ps_expr(p);
        if (!s->having) return NULL;
    }
    if (ps_accept_kw(p, "window")) {
        int cap = 0;
        do {
            ast_named_window nw;
            nw.name = ps_name(p);
            if (!nw.name || !ps_expect_kw(p, "as")) return NULL;
            nw.def = ps_window(p);
            if (!nw.def || !PS_PUSH(p, s->windows, s->n_windows, cap, nw)) return NULL;
        } while (ps_accept(p, LEX_COMMA));
    }
    if (ps_accept_kw(p, "qualify")) {
        s->qualify = ps_expr(p);
        if (!s->qualify) return NULL;
    }
    return s;
}

/* VALUES (a, b), (c, d) ; every row must have the same width */
static ast_select *ps_values(parser *p) {
    ast_select *s = ps_select_new(p, ps_loc(p));
    if (!s) return NULL;
    ps_advance(p);
    int cap = 0;
    do {
        int row_loc = ps_loc(p);
        ast_expr **row;
        int n;
        if (!ps_expect(p, LEX_LPAREN) || !ps_expr_list(p, &row, &n) ||
            !ps_expect(p, LEX_RPAREN))
            return NULL;
        if (s->n_values_rows == 0)
            s->n_values_cols = n;
        else if (n != s->n_values_cols)
            return ps_fail(p, KILN_ERR_SYNTAX, row_loc,
                           "VALUES lists must all be the same length");
        if (!PS_PUSH(p, s->values, s->n_values_rows, cap, row)) return NULL;
    } while (ps_accept(p, LEX_COMMA));
    return s;
}

/* SELECT core | VALUES | ( query ) */
static ast_select *ps_query_primary(parser *p) {
    if (ps_at(p, LEX_LPAREN)) {
        if (!ps_enter(p)) return NULL;
        ps_advance(p);
        ast_select *s = ps_query(p);
        ps_leave(p);
        if (!s || !ps_expect(p, LEX_RPAREN)) return NULL;
        return s;
    }
    if (ps_at_kw(p, "values")) return ps_values(p);
    return ps_select_core(p);
}

static ast_select *ps_setop_new(parser *p, ast_setop op, ast_select *l, ast_select *r) {
    if (!l || !r) return NULL;
    ast_select *s = ps_select_new(p, l->loc);
    if (!s) return NULL;
    s->setop = op;
    s->left = l;
    s->right = r;
    return s;
}

/* primary { INTERSECT [ALL|DISTINCT] primary } */
static ast_select *ps_intersect(parser *p) {
    ast_select *s = ps_query_primary(p);
    while (s && ps_accept_kw(p, "intersect")) {
        bool all = ps_accept_kw(p, "all");
        if (!all) ps_accept_kw(p, "distinct");
        s = ps_setop_new(p, all ? AST_SETOP_INTERSECT_ALL : AST_SETOP_INTERSECT, s, ps_query_primary(p));
    }
    return s;
}

/* intersect { UNION [ALL|DISTINCT] | EXCEPT [DISTINCT] intersect } */
static ast_select *ps_setops(parser *p) {
    ast_select *s = ps_intersect(p);
    while (s) {
        ast_setop op;
        if (ps_accept_kw(p, "union")) {
            op = ps_accept_kw(p, "all") ? AST_SETOP_UNION_ALL : AST_SETOP_UNION;
            if (op == AST_SETOP_UNION) ps_accept_kw(p, "distinct");
        } else if (ps_accept_kw(p, "except")) {
            op = AST_SETOP_EXCEPT;
            if (ps_accept_kw(p, "all")) op = AST_SETOP_EXCEPT_ALL;
            else ps_accept_kw(p, "distinct");
        } else {
            return s;
        }
        s = ps_setop_new(p, op, s, ps_intersect(p));
    }
    return NULL;
}

/* SELECT * FROM (s): lets outer clauses apply after the inner ones (a parenthesised query
   that already has its own ORDER BY/LIMIT or WITH). */
static ast_select *ps_wrap(parser *p, ast_select *s) {
    ast_select *w = ps_select_new(p, s->loc);
    if (!w) return NULL;
    ast_select_item it = {0};
    int cap = 0;
    it.expr = ps_expr_new(p, AST_STAR, s->loc);
    if (!it.expr || !PS_PUSH(p, w->items, w->n_items, cap, it)) return NULL;
    w->from = ps_table_new(p, AST_TABLE_SUBQUERY, s->loc);
    if (!w->from) return NULL;
    w->from->subquery = s;
    return w;
}

/* [WITH ctes] setops [ORDER BY ...] [LIMIT n] [OFFSET m] (LIMIT/OFFSET in either order) */
static ast_select *ps_query(parser *p) {
    int loc = ps_loc(p);
    if (!ps_enter(p)) return NULL;
    ast_cte *ctes = NULL;
    int n_ctes = 0, cap = 0;
    if (ps_accept_kw(p, "with")) {
        if (ps_at_kw(p, "recursive")) {
            ps_leave(p);
            return ps_syntax(p);
        }
        do {
            ast_cte c = {0};
            c.name = ps_name(p);
            if (!c.name) goto fail;
            if (ps_accept(p, LEX_LPAREN)) {
                int acap = 0;
                do {
                    char *col = ps_name_spelled(p);
                    if (!col || !PS_PUSH(p, c.col_aliases, c.n_col_aliases, acap, col)) goto fail;
                } while (ps_accept(p, LEX_COMMA));
                if (!ps_expect(p, LEX_RPAREN)) goto fail;
            }
            if (!ps_expect_kw(p, "as")) goto fail;
            if (ps_at_kw(p, "not") && ps_is_kw(ps_peek(p, 1), "materialized")) p->pos += 2;
            else ps_accept_kw(p, "materialized");
            if (!ps_expect(p, LEX_LPAREN)) goto fail;
            c.query = ps_query(p);
            if (!c.query || !ps_expect(p, LEX_RPAREN) || !PS_PUSH(p, ctes, n_ctes, cap, c))
                goto fail;
        } while (ps_accept(p, LEX_COMMA));
    }
    ast_select *s = ps_setops(p);
    if (!s) goto fail;
    if (n_ctes) {
        if (s->n_ctes && !(s = ps_wrap(p, s))) goto fail;
        s->ctes = ctes;
        s->n_ctes = n_ctes;
        s->loc = loc;
    }
    /* a parenthesised body may carry its own ORDER BY / LIMIT; outer ones that would change
       its meaning (ORDER BY after its limit, a second LIMIT) go on a wrapper query */
    bool inner_tail = s->n_order_by || s->limit || s->offset;
    if (ps_at_kw(p, "order")) {
        if (inner_tail && !(s = ps_wrap(p, s))) goto fail;
        inner_tail = false;
        ps_advance(p);
        if (!ps_expect_kw(p, "by") || !ps_order_list(p, &s->order_by, &s->n_order_by))
            goto fail;
    }
    bool seen_limit = false, seen_offset = false;
    for (;;) {
        bool lim = !seen_limit && ps_at_kw(p, "limit");
        bool off = !seen_offset && ps_at_kw(p, "offset");
        if (!lim && !off) break;
        if (inner_tail && (s->limit || s->offset)) {
            if (!(s = ps_wrap(p, s))) goto fail;
        }
        inner_tail = false;
        ps_advance(p);
        ast_expr *e = ps_expr(p);
        if (!e) goto fail;
        if (lim) {
            s->limit = e;
            seen_limit = true;
        } else {
            s->offset = e;
            seen_offset = true;
            if (!ps_accept_kw(p, "rows")) ps_accept_kw(p, "row");
        }
    }
    ps_leave(p);
    return s;
fail:
    ps_leave(p);
    return NULL;
}

/* ---- statements ---------------------------------------------------------------------------- */

static ast_stmt *ps_stmt_new(parser *p, ast_stmt_kind kind, int loc) {
    ast_stmt *s = ps_alloc(p, sizeof *s);
    if (!s) return NULL;
    s->kind = kind;
    s->loc = loc;
    return s;
}

/* CREATE [OR REPLACE] [TEMP] TABLE [IF NOT EXISTS] t (AS query | (col type [NOT NULL], ...)) */
static ast_stmt *ps_create(parser *p, int loc) {
    ps_advance(p);
    bool or_replace = false;
    if (ps_accept_kw(p, "or")) {
        if (!ps_expect_kw(p, "replace")) return NULL;
        or_replace = true;
    }
    if (!ps_accept_kw(p, "temp")) ps_accept_kw(p, "temporary");
    if (!ps_expect_kw(p, "table")) return NULL;
    bool if_not_exists = false;
    if (ps_at_kw(p, "if")) {
        ps_advance(p);
        if (!ps_expect_kw(p, "not") || !ps_expect_kw(p, "exists")) return NULL;
        if_not_exists = true;
    }
    char *name = ps_name(p);
    if (!name) return NULL;
    if (ps_accept(p, LEX_DOT) && !(name = ps_name(p))) return NULL; /* schema.table */
    ast_stmt *s;
    if (ps_accept_kw(p, "as")) {
        s = ps_stmt_new(p, STMT_CREATE_TABLE_AS, loc);
        if (!s || !(s->select = ps_query(p))) return NULL;
    } else {
        s = ps_stmt_new(p, STMT_CREATE_TABLE, loc);
        if (!s || !ps_expect(p, LEX_LPAREN)) return NULL;
        int cap = 0, tcap = 0, nt = 0;
        do {
            char *col = ps_name_spelled(p);
            kl_type type;
            if (!col || !ps_type(p, &type)) return NULL;
            /* column constraints: NULL / NOT NULL are accepted; kiln does not enforce them */
            for (;;) {
                if (ps_accept_kw(p, "null")) continue;
                if (ps_at_kw(p, "not") && ps_is_kw(ps_peek(p, 1), "null")) {
                    p->pos += 2;
                    continue;
                }
                break;
            }
            if (!PS_PUSH(p, s->col_names, s->n_cols, cap, col) ||
                !PS_PUSH(p, s->col_types, nt, tcap, type))
                return NULL;
        } while (ps_accept(p, LEX_COMMA));
        if (!ps_expect(p, LEX_RPAREN)) return NULL;
    }
    s->table = name;
    s->or_replace = or_replace;
    s->if_not_exists = if_not_exists;
    return s;
}

/* INSERT INTO t [(cols)] query */
static ast_stmt *ps_insert(parser *p, int loc) {
    ps_advance(p);
    ast_stmt *s = ps_stmt_new(p, STMT_INSERT, loc);
    if (!s || !ps_expect_kw(p, "into") || !(s->table = ps_name(p))) return NULL;
    if (ps_accept(p, LEX_DOT) && !(s->table = ps_name(p))) return NULL;
    /* "(" starts a column list unless it starts a parenthesised query */
    if (ps_at(p, LEX_LPAREN) && !ps_at_query(p, 1)) {
        ps_advance(p);
        int cap = 0;
        do {
            char *c = ps_name(p);
            if (!c || !PS_PUSH(p, s->insert_cols, s->n_insert_cols, cap, c)) return NULL;
        } while (ps_accept(p, LEX_COMMA));
        if (!ps_expect(p, LEX_RPAREN)) return NULL;
    }
    s->select = ps_query(p);
    return s->select ? s : NULL;
}

/* DROP TABLE [IF EXISTS] t */
static ast_stmt *ps_drop(parser *p, int loc) {
    ps_advance(p);
    ast_stmt *s = ps_stmt_new(p, STMT_DROP_TABLE, loc);
    if (!s || !ps_expect_kw(p, "table")) return NULL;
    if (ps_accept_kw(p, "if")) {
        if (!ps_expect_kw(p, "exists")) return NULL;
        s->if_exists = true;
    }
    if (!(s->table = ps_name(p))) return NULL;
    if (ps_accept(p, LEX_DOT) && !(s->table = ps_name(p))) return NULL;
    return s;
}

/* SET [GLOBAL|SESSION|LOCAL] name (= | TO) expr */
static ast_stmt *ps_set(parser *p, int loc) {
    ps_advance(p);
    ast_stmt *s = ps_stmt_new(p, STMT_SET, loc);
    if (!s) return NULL;
    if (ps_is_name(ps_peek(p, 1)) &&
        (ps_at_kw(p, "global") || ps_at_kw(p, "session") || ps_at_kw(p, "local")))
        ps_advance(p);
    if (!(s->set_name = ps_name(p))) return NULL;
    if (!ps_accept(p, LEX_EQ) && !ps_expect_kw(p, "to")) return NULL;
    s->set_value = ps_expr(p);
    return s->set_value ? s : NULL;
}

/* One COPY option: name [value]. A bare word value (FORMAT csv) becomes a VARCHAR constant;
   a bare format name as the option (legacy WITH CSV) becomes format 'csv'. */
static bool ps_copy_option(parser *p, ast_stmt *s, int *cap, int *vcap, int *nv,
                           bool parenthesised) {
    const lex_token *t = ps_tok(p);
    if (t->kind != LEX_IDENT && t->kind != LEX_QIDENT) {
        ps_syntax(p);
        return false;
    }
    char *name = kl_arena_strdup(p->arena, t->text);
    if (!name) {
        ps_oom(p);
        return false;
    }
    for (char *c = name; *c; c++) *c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
    ps_advance(p);
    ast_expr *value = NULL;
    const lex_token *v = ps_tok(p);
    bool has_value;
    if (parenthesised)
        has_value = v->kind != LEX_COMMA && v->kind != LEX_RPAREN;
    else
        has_value = v->kind == LEX_STRING || v->kind == LEX_INT || v->kind == LEX_FLOAT ||
                    ps_is_kw(v, "true") || ps_is_kw(v, "false") ||
                    ((strcmp(name, "format") == 0 || strcmp(name, "delimiter") == 0) &&
                     v->kind == LEX_IDENT);
    if (has_value) {
        lex_kind after = ps_peek(p, 1)->kind;
        bool word = (v->kind == LEX_IDENT || v->kind == LEX_QIDENT) && !ps_is_kw(v, "true") &&
                    !ps_is_kw(v, "false") && !ps_is_kw(v, "null") &&
                    (after == LEX_COMMA || after == LEX_RPAREN || after == LEX_SEMI ||
                     after == LEX_EOF || !parenthesised);
        if (word) {
            value = ps_const_str(p, v->loc, v->end, v->text);
            ps_advance(p);
        } else {
            value = ps_expr(p);
        }
        if (!value) return false;
    } else if (strcmp(name, "csv") == 0 || strcmp(name, "json") == 0 ||
               strcmp(name, "parquet") == 0) {
        value = ps_const_str(p, t->loc, t->end, name);
        if (!value) return false;
        name = "format";
    }
    return PS_PUSH(p, s->opt_names, s->n_opts, *cap, name) &&
           PS_PUSH(p, s->opt_values, *nv, *vcap, value);
}

/* COPY (query) TO 'path' [WITH] [(opt [value], ...)] | COPY t TO 'path' ... */
static ast_stmt *ps_copy(parser *p, int loc) {
    ps_advance(p);
    ast_stmt *s = ps_stmt_new(p, STMT_COPY, loc);
    if (!s) return NULL;
    if (ps_at(p, LEX_LPAREN)) {
        ps_advance(p);
        if (!(s->select = ps_query(p)) || !ps_expect(p, LEX_RPAREN)) return NULL;
    } else {
        if (!(s->table = ps_name(p))) return NULL;
        if (ps_accept(p, LEX_DOT) && !(s->table = ps_name(p))) return NULL;
    }
    if (!ps_expect_kw(p, "to")) return NULL;
    if (!ps_at(p, LEX_STRING)) return ps_syntax(p);
    s->path = ps_tok(p)->text;
    ps_advance(p);
    bool with = ps_accept_kw(p, "with");
    int cap = 0, vcap = 0, nv = 0;
    if (ps_accept(p, LEX_LPAREN)) {
        if (!ps_at(p, LEX_RPAREN)) {
            do {
                if (!ps_copy_option(p, s, &cap, &vcap, &nv, true)) return NULL;
            } while (ps_accept(p, LEX_COMMA));
        }
        if (!ps_expect(p, LEX_RPAREN)) return NULL;
    } else if (with) {
        /* PostgreSQL's unparenthesised form: WITH CSV HEADER DELIMITER ',' */
        do {
            if (!ps_copy_option(p, s, &cap, &vcap, &nv, false)) return NULL;
        } while (ps_tok(p)->kind == LEX_IDENT || ps_tok(p)->kind == LEX_QIDENT);
    }
    return s;
}

static ast_stmt *ps_statement(parser *p) {
    int loc = ps_loc(p);
    ast_stmt *s;
    if (ps_at_query(p, 0) || ps_at(p, LEX_LPAREN)) {
        s = ps_stmt_new(p, STMT_SELECT, loc);
        if (s && !(s->select = ps_query(p))) s = NULL;
    } else if (ps_at_kw(p, "explain")) {
        ps_advance(p);
        s = ps_stmt_new(p, STMT_EXPLAIN, loc);
        if (s && !(s->select = ps_query(p))) s = NULL;
    } else if (ps_at_kw(p, "create")) {
        s = ps_create(p, loc);
    } else if (ps_at_kw(p, "insert")) {
        s = ps_insert(p, loc);
    } else if (ps_at_kw(p, "drop")) {
        s = ps_drop(p, loc);
    } else if (ps_at_kw(p, "set")) {
        s = ps_set(p, loc);
    } else if (ps_at_kw(p, "copy")) {
        s = ps_copy(p, loc);
    } else {
        return ps_syntax(p);
    }
    if (!s) return NULL;
    s->end = ps_prev_end(p);
    return s;
}

int sql_parse(const char *sql, kl_arena *arena, ast_stmt ***stmts, int *n_stmts,
              kl_error *err) {
    *stmts = NULL;
    *n_stmts = 0;
    if (!sql) return kl_err(err, KILN_ERR_INVALID, "no SQL text");
    parser p = {.sql = sql, .arena = arena, .err = err};
    int rc = lex_tokenize(sql, arena, &p.toks, &p.n_toks, err);
    if (rc) return rc;
    ast_stmt **list = NULL;
    int n = 0, cap = 0;
    for (;;) {
        while (ps_accept(&p, LEX_SEMI)) {
        }
        if (ps_at(&p, LEX_EOF)) break;
        ast_stmt *s = ps_statement(&p);
        if (!s) break;
        if (!ps_at(&p, LEX_SEMI) && !ps_at(&p, LEX_EOF)) {
            ps_syntax(&p);
            break;
        }
        if (!PS_PUSH(&p, list, n, cap, s)) break;
    }
    lex_free(p.toks);
    if (p.rc) return p.rc;
    *stmts = list;
    *n_stmts = n;
    return 0;
}
