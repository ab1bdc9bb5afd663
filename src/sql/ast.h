/*
 * ast.h — the syntax tree the parser produces and the binder consumes.
 *
 * Every node lives in the arena passed to sql_parse() and dies with it; strings are
 * arena-copied. Identifiers are stored as written when quoted ("Foo") and folded to lower case
 * when not (DuckDB/PostgreSQL: unquoted identifiers are case-insensitive; kiln matches column
 * names case-insensitively in the binder anyway, and keeps the spelling of the source for
 * output names). Every node has `loc`, the byte offset in the SQL text where it starts, for
 * error carets.
 *
 * API: sql_parse(sql, arena, &stmts, &n, err) parses all ';'-separated statements of the text.
 * Syntax errors: KILN_ERR_SYNTAX, message 'syntax error at or near "FROM"' (or 'at end of
 * input'), sql_offset set to the offending token.
 */
#ifndef KL_AST_H
#define KL_AST_H

#include "func/func.h"

/* Operators beyond func.h's KL_OP_* (which cover arithmetic, comparison and ||). */
enum { KL_OP_AND = 100, KL_OP_OR, KL_OP_NOT, KL_OP_NEG, KL_OP_PLUS,
       KL_OP_IS_DISTINCT, KL_OP_IS_NOT_DISTINCT /* a IS [NOT] DISTINCT FROM b (AST_BINARY) */ };

typedef enum ast_expr_kind {
    AST_CONST,      /* literal: lit_type + ival/dval/sval/bval; lit_type NULL for NULL */
    AST_COLUMN,     /* name, optional table qualifier */
    AST_STAR,       /* * or t.* (table set) ; only in select lists and count(*) */
    AST_BINARY,     /* op in KL_OP_*: args[0] op args[1] (includes AND/OR) */
    AST_UNARY,      /* op KL_OP_NOT / KL_OP_NEG / KL_OP_PLUS: args[0] */
    AST_FUNC,       /* name(args) ; distinct; star for count(*); arg_names for name := v */
    AST_CASE,       /* case_operand (or NULL); args = when1, then1, when2, then2, ...; else_expr */
    AST_CAST,       /* args[0]::cast_type ; try_cast */
    AST_IN,         /* args[0] [NOT] IN (args[1..]) ; or subquery */
    AST_BETWEEN,    /* args[0] [NOT] BETWEEN args[1] AND args[2] */
    AST_LIKE,       /* args[0] [NOT] LIKE|ILIKE args[1] [ESCAPE args[2]] */
    AST_IS_NULL,    /* args[0] IS [NOT] NULL */
    AST_IS_BOOL,    /* args[0] IS [NOT] TRUE|FALSE : bval holds TRUE/FALSE */
    AST_STRUCT,     /* {'a': x, 'b': y}: arg_names + args */
    AST_LIST,       /* [x, y, z] */
    AST_SUBQUERY,   /* (SELECT ...) scalar subquery */
    AST_EXISTS,     /* [NOT] EXISTS (SELECT ...) */
    AST_INTERVAL    /* INTERVAL 'n unit' or INTERVAL n unit: sval = text as given */
} ast_expr_kind;

typedef struct ast_select ast_select;
typedef struct ast_window ast_window;

typedef struct ast_expr {
    ast_expr_kind kind;
    int loc;                 /* byte offset of the first token */
    int end;                 /* byte offset just past the last token (for output names) */
    int op;
    char *name;              /* column / function name */
    char *table;             /* qualifier: t.x, t.* */
    struct ast_expr **args;
    int n_args;
    char **arg_names;        /* for AST_FUNC named args (NULL entries for positional) and
                                AST_STRUCT keys; NULL array if none */
    bool distinct;           /* f(DISTINCT x) */
    bool star;               /* count(*) */
    bool negated;            /* NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL, NOT EXISTS */
    bool case_insensitive;   /* ILIKE */
    bool try_cast;
    kl_type cast_type;
    struct ast_expr *case_operand;
    struct ast_expr *else_expr;
    /* literal */
    kl_type lit_type;        /* KILN_TYPE_NULL for NULL */
    int64_t ival;
    double dval;
    char *sval;              /* VARCHAR literal, DATE/TIMESTAMP literal text */
    bool bval;
    ast_select *subquery;    /* IN (subquery), scalar subquery, EXISTS */
    /* window function: f(...) OVER (...); NULL when not a window call (parser-owned addition) */
    ast_window *over;
} ast_expr;

typedef struct ast_select_item {
    ast_expr *expr;
    char *alias; /* NULL if none */
} ast_select_item;

typedef struct ast_order_item {
    ast_expr *expr;
    bool desc;
    int nulls_first; /* -1 default (DuckDB: NULLS LAST for ASC and DESC), 0 last, 1 first */
} ast_order_item;

/* f(...) OVER (PARTITION BY ... ORDER BY ... [ROWS|RANGE frame]) (parser-owned addition).
   Without a frame clause frame == AST_FRAME_DEFAULT (SQL default: RANGE BETWEEN UNBOUNDED
   PRECEDING AND CURRENT ROW when ordered, the whole partition otherwise). A frame given with a
   single bound ("ROWS 3 PRECEDING") has end_kind AST_BOUND_CURRENT_ROW. */
typedef enum ast_frame_kind { AST_FRAME_DEFAULT, AST_FRAME_ROWS, AST_FRAME_RANGE } ast_frame_kind;
typedef enum ast_bound_kind {
    AST_BOUND_UNBOUNDED_PRECEDING,
    AST_BOUND_PRECEDING,  /* offset PRECEDING */
    AST_BOUND_CURRENT_ROW,
    AST_BOUND_FOLLOWING,  /* offset FOLLOWING */
    AST_BOUND_UNBOUNDED_FOLLOWING
} ast_bound_kind;

struct ast_window {
    char *ref_name; /* OVER w / OVER (w ORDER BY ..): a window of the WINDOW clause to extend */
    ast_expr **partition_by;
    int n_partition_by;
    ast_order_item *order_by;
    int n_order_by;
    ast_frame_kind frame;
    ast_bound_kind start_kind, end_kind;
    ast_expr *start_offset, *end_offset; /* for PRECEDING / FOLLOWING bounds, else NULL */
};

typedef enum ast_table_kind {
    AST_TABLE_NAME,     /* name */
    AST_TABLE_FILE,     /* FROM 'path' : path */
    AST_TABLE_FUNC,     /* name(args) with arg_names e.g. read_csv('f', header := true) */
    AST_TABLE_SUBQUERY, /* (SELECT ...) */
    AST_TABLE_JOIN      /* left JOIN right ON/USING (issue 3; parsed already) */
} ast_table_kind;

typedef enum ast_join_type { AST_JOIN_INNER, AST_JOIN_LEFT, AST_JOIN_RIGHT, AST_JOIN_FULL,
                             AST_JOIN_CROSS } ast_join_type;

typedef struct ast_table_ref {
    ast_table_kind kind;
    int loc;
    char *name;          /* table name or function name */
    char *path;          /* file path */
    ast_expr **args;     /* table function args */
    char **arg_names;
    int n_args;
    ast_select *subquery;
    char *alias;
    char **column_aliases; /* t(a, b) */
    int n_column_aliases;
    /* joins */
    ast_join_type join_type;
    struct ast_table_ref *left, *right;
    ast_expr *on;
    char **using_cols;
    int n_using;
    bool natural;        /* NATURAL JOIN: USING every column name both sides share */
    bool internal;       /* made by the binder (correlated subquery rewrite): its columns are
                            hidden from * and reachable only qualified */
} ast_table_ref;

typedef enum ast_setop { AST_SETOP_NONE, AST_SETOP_UNION, AST_SETOP_UNION_ALL, AST_SETOP_EXCEPT,
                         AST_SETOP_INTERSECT, AST_SETOP_EXCEPT_ALL, AST_SETOP_INTERSECT_ALL } ast_setop;

typedef struct ast_named_window { /* WINDOW name AS (spec) */
    char *name;
    ast_window *def;
} ast_named_window;

typedef struct ast_cte {
    char *name;
    ast_select *query;
    char **col_aliases; /* WITH x(a, b) AS (...) */
    int n_col_aliases;
} ast_cte;

struct ast_select {
    int loc;
    /* WITH */
    ast_cte *ctes;
    int n_ctes;
    /* set operation: if setop != NONE, this node is (left setop right) and only
       order_by/limit/offset below apply to the combined result */
    ast_setop setop;
    ast_select *left, *right;
    /* VALUES (..), (..): if values != NULL this node is a VALUES list */
    ast_expr ***values; /* values[row][col] */
    int n_values_rows, n_values_cols;
    /* plain SELECT */
    bool distinct;
    ast_select_item *items;
    int n_items;
    ast_table_ref *from; /* NULL: SELECT without FROM */
    ast_expr *where;
    ast_expr **group_by;
    int n_group_by;
    bool group_by_all;
    ast_expr *having;
    ast_named_window *windows; /* WINDOW clause */
    int n_windows;
    ast_expr *qualify;
    ast_order_item *order_by;
    int n_order_by;
    ast_expr *limit;  /* NULL if none */
    ast_expr *offset; /* NULL if none */
};

typedef enum ast_stmt_kind {
    STMT_SELECT,
    STMT_CREATE_TABLE_AS, /* table, select, or_replace, if_not_exists */
    STMT_CREATE_TABLE,    /* table, col_names/col_types */
    STMT_INSERT,          /* table, insert_cols (optional), select (VALUES is a select) */
    STMT_DROP_TABLE,      /* table, if_exists */
    STMT_SET,             /* set_name, set_value */
    STMT_COPY,            /* copy_table or select, path, options */
    STMT_EXPLAIN          /* select */
} ast_stmt_kind;

typedef struct ast_stmt {
    ast_stmt_kind kind;
    int loc;
    int end;             /* offset just past the statement (before ';') */
    ast_select *select;
    char *table;
    bool or_replace, if_not_exists, if_exists;
    char **col_names;
    kl_type *col_types;
    int n_cols;
    char **insert_cols;
    int n_insert_cols;
    char *set_name;
    ast_expr *set_value;
    char *path;          /* COPY ... TO 'path' */
    char **opt_names;    /* COPY options, lower case: header, delimiter, format, ... */
    ast_expr **opt_values; /* NULL value for a bare option name (e.g. HEADER) */
    int n_opts;
} ast_stmt;

int sql_parse(const char *sql, kl_arena *arena, ast_stmt ***stmts, int *n_stmts, kl_error *err);

/** Type name (case-insensitive: BIGINT, INT, INTEGER, DOUBLE, FLOAT, DECIMAL, VARCHAR, TEXT,
 *  BOOLEAN, DATE, TIMESTAMP, ...) to kiln type; KILN_TYPE__COUNT if unknown. */
kl_type sql_type_from_name(const char *name);

#endif /* KL_AST_H */
