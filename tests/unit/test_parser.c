/*
 * test_parser.c — unit tests of the SQL front end (src/sql/lexer.c, src/sql/parser.c).
 *
 * Expressions are checked through a small S-expression printer (dump_expr), so a test
 * states the tree it expects as text: "1 + 2 * 3" must print "(+ 1 (* 2 3))". Statements are
 * checked field by field. Errors are checked for code, message and SQL offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sql/ast.h"

static kl_arena arena;
static kiln_error err;

static int setup(void **state) {
    (void)state;
    kl_arena_init(&arena, 4096);
    kiln_error_clear(&err);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    kl_arena_free(&arena);
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static int parse(const char *sql, ast_stmt ***stmts) {
    int n = -1;
    kiln_error_clear(&err);
    int rc = sql_parse(sql, &arena, stmts, &n, &err);
    if (rc) return -rc;
    return n;
}

static ast_stmt *parse1(const char *sql) {
    ast_stmt **stmts = NULL;
    int n = parse(sql, &stmts);
    if (n != 1) fail_msg("parse of [%s] gave %d: %s", sql, n, err.message);
    return stmts[0];
}

static int parse_err(const char *sql) {
    ast_stmt **stmts = NULL;
    int n = -1;
    kiln_error_clear(&err);
    int rc = sql_parse(sql, &arena, &stmts, &n, &err);
    assert_int_not_equal(rc, 0);
    assert_int_equal(err.code, rc);
    return rc;
}

static const char *op_name(int op) {
    switch (op) {
    case KL_OP_ADD: return "+";
    case KL_OP_SUB: return "-";
    case KL_OP_MUL: return "*";
    case KL_OP_DIV: return "/";
    case KL_OP_INTDIV: return "//";
    case KL_OP_MOD: return "%";
    case KL_OP_EQ: return "=";
    case KL_OP_NE: return "<>";
    case KL_OP_LT: return "<";
    case KL_OP_LE: return "<=";
    case KL_OP_GT: return ">";
    case KL_OP_GE: return ">=";
    case KL_OP_CONCAT: return "||";
    case KL_OP_AND: return "AND";
    case KL_OP_OR: return "OR";
    case KL_OP_NOT: return "NOT";
    case KL_OP_NEG: return "NEG";
    case KL_OP_PLUS: return "POS";
    default: return "?";
    }
}

static const char *type_name(kl_type t) {
    static const char *names[] = {"NULL", "BOOLEAN", "BIGINT", "DOUBLE",
                                  "VARCHAR", "DATE", "TIMESTAMP"};
    return t < KILN_TYPE__COUNT ? names[t] : "?";
}

static void dump_expr(kl_buf *b, const ast_expr *e);

static void dump_args(kl_buf *b, const ast_expr *e, int from) {
    for (int i = from; i < e->n_args; i++) {
        kl_buf_putc(b, ' ');
        dump_expr(b, e->args[i]);
    }
}

static void dump_expr(kl_buf *b, const ast_expr *e) {
    switch (e->kind) {
    case AST_CONST:
        switch (e->lit_type) {
        case KILN_TYPE_NULL: kl_buf_puts(b, "NULL"); break;
        case KILN_TYPE_BIGINT: kl_buf_printf(b, "%lld", (long long)e->ival); break;
        case KILN_TYPE_DOUBLE: kl_buf_printf(b, "%gd", e->dval); break;
        case KILN_TYPE_BOOLEAN: kl_buf_puts(b, e->bval ? "true" : "false"); break;
        default: kl_buf_printf(b, "'%s'", e->sval); break;
        }
        break;
    case AST_COLUMN:
        if (e->table) kl_buf_printf(b, "%s.", e->table);
        kl_buf_puts(b, e->name);
        break;
    case AST_STAR:
        if (e->table) kl_buf_printf(b, "%s.", e->table);
        kl_buf_puts(b, "*");
        break;
    case AST_BINARY:
    case AST_UNARY:
        kl_buf_printf(b, "(%s", op_name(e->op));
        dump_args(b, e, 0);
        kl_buf_putc(b, ')');
        break;
    case AST_FUNC:
        kl_buf_printf(b, "%s(%s%s", e->name, e->distinct ? "DISTINCT " : "", e->star ? "*" : "");
        for (int i = 0; i < e->n_args; i++) {
            if (i) kl_buf_puts(b, ", ");
            if (e->arg_names && e->arg_names[i]) kl_buf_printf(b, "%s:=", e->arg_names[i]);
            dump_expr(b, e->args[i]);
        }
        kl_buf_putc(b, ')');
        if (e->over) {
            const ast_window *w = e->over;
            kl_buf_puts(b, " OVER(");
            for (int i = 0; i < w->n_partition_by; i++) {
                kl_buf_puts(b, i ? " " : "P ");
                dump_expr(b, w->partition_by[i]);
            }
            for (int i = 0; i < w->n_order_by; i++) {
                kl_buf_puts(b, i ? " " : " O ");
                dump_expr(b, w->order_by[i].expr);
                if (w->order_by[i].desc) kl_buf_puts(b, " DESC");
            }
            if (w->frame != AST_FRAME_DEFAULT) {
                kl_buf_printf(b, " %s %d", w->frame == AST_FRAME_ROWS ? "ROWS" : "RANGE",
                              (int)w->start_kind);
                if (w->start_offset) {
                    kl_buf_putc(b, ' ');
                    dump_expr(b, w->start_offset);
                }
                kl_buf_printf(b, " %d", (int)w->end_kind);
                if (w->end_offset) {
                    kl_buf_putc(b, ' ');
                    dump_expr(b, w->end_offset);
                }
            }
            kl_buf_putc(b, ')');
        }
        break;
    case AST_CASE:
        kl_buf_puts(b, "(CASE");
        if (e->case_operand) {
            kl_buf_putc(b, ' ');
            dump_expr(b, e->case_operand);
        }
        for (int i = 0; i + 1 < e->n_args; i += 2) {
            kl_buf_puts(b, " WHEN ");
            dump_expr(b, e->args[i]);
            kl_buf_puts(b, " THEN ");
            dump_expr(b, e->args[i + 1]);
        }
        if (e->else_expr) {
            kl_buf_puts(b, " ELSE ");
            dump_expr(b, e->else_expr);
        }
        kl_buf_putc(b, ')');
        break;
    case AST_CAST:
        kl_buf_printf(b, "(%s ", e->try_cast ? "TRY_CAST" : "CAST");
        dump_expr(b, e->args[0]);
        kl_buf_printf(b, " %s)", type_name(e->cast_type));
        break;
    case AST_IN:
        kl_buf_printf(b, "(%sIN", e->negated ? "NOT " : "");
        dump_args(b, e, 0);
        if (e->subquery) kl_buf_puts(b, " <subquery>");
        kl_buf_putc(b, ')');
        break;
    case AST_BETWEEN:
        kl_buf_printf(b, "(%sBETWEEN", e->negated ? "NOT " : "");
        dump_args(b, e, 0);
        kl_buf_putc(b, ')');
        break;
    case AST_LIKE:
        kl_buf_printf(b, "(%s%s", e->negated ? "NOT " : "", e->case_insensitive ? "ILIKE" : "LIKE");
        dump_args(b, e, 0);
        kl_buf_putc(b, ')');
        break;
    case AST_IS_NULL:
        kl_buf_printf(b, "(IS %sNULL", e->negated ? "NOT " : "");
        dump_args(b, e, 0);
        kl_buf_putc(b, ')');
        break;
    case AST_IS_BOOL:
        kl_buf_printf(b, "(IS %s%s", e->negated ? "NOT " : "", e->bval ? "TRUE" : "FALSE");
        dump_args(b, e, 0);
        kl_buf_putc(b, ')');
        break;
    case AST_STRUCT:
        kl_buf_putc(b, '{');
        for (int i = 0; i < e->n_args; i++) {
            kl_buf_printf(b, "%s%s: ", i ? ", " : "", e->arg_names[i]);
            dump_expr(b, e->args[i]);
        }
        kl_buf_putc(b, '}');
        break;
    case AST_LIST:
        kl_buf_putc(b, '[');
        for (int i = 0; i < e->n_args; i++) {
            if (i) kl_buf_puts(b, ", ");
            dump_expr(b, e->args[i]);
        }
        kl_buf_putc(b, ']');
        break;
    case AST_SUBQUERY: kl_buf_puts(b, "<subquery>"); break;
    case AST_EXISTS: kl_buf_printf(b, "(%sEXISTS <subquery>)", e->negated ? "NOT " : ""); break;
    case AST_INTERVAL: kl_buf_printf(b, "(INTERVAL '%s')", e->sval); break;
    }
}

/* Parse "SELECT <text>" and compare the first item's tree with want. */
static void check_expr(const char *text, const char *want) {
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s", text);
    ast_stmt *s = parse1(sql);
    assert_int_equal(s->kind, STMT_SELECT);
    assert_true(s->select->n_items >= 1);
    kl_buf b = {0};
    dump_expr(&b, s->select->items[0].expr);
    if (strcmp(b.data, want) != 0) fail_msg("[%s]: got %s, want %s", text, b.data, want);
    kl_buf_free(&b);
}

/* The first item of "SELECT <text>" must span exactly `span` in the SQL. */
static void check_span(const char *text, const char *span) {
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s", text);
    ast_stmt *s = parse1(sql);
    const ast_expr *e = s->select->items[0].expr;
    int n = e->end - e->loc;
    if (n != (int)strlen(span) || memcmp(sql + e->loc, span, (size_t)n) != 0)
        fail_msg("[%s]: span is [%.*s], want [%s]", text, n, sql + e->loc, span);
}

/* ---- expressions ---------------------------------------------------------------------------- */

static void test_literals(void **state) {
    (void)state;
    check_expr("42", "42");
    check_expr("1.5", "1.5d");
    check_expr(".5", "0.5d");
    check_expr("1e3", "1000d");
    check_expr("2.5E-1", "0.25d");
    check_expr("'it''s'", "'it's'");
    check_expr("TRUE", "true");
    check_expr("false", "false");
    check_expr("NULL", "NULL");
    check_expr("-7", "-7");
    check_expr("- 2.5", "-2.5d");
    check_expr("9223372036854775807", "9223372036854775807");
    check_expr("-9223372036854775808", "-9223372036854775808");
    check_expr("99999999999999999999", "1e+20d");
}

static void test_precedence_arith(void **state) {
    (void)state;
    check_expr("1 + 2 * 3", "(+ 1 (* 2 3))");
    check_expr("(1 + 2) * 3", "(* (+ 1 2) 3)");
    check_expr("1 - 2 - 3", "(- (- 1 2) 3)");
    check_expr("a / b // c % d", "(% (// (/ a b) c) d)");
    check_expr("'a' || 'b' || c", "(|| (|| 'a' 'b') c)");
    check_expr("a || b + c", "(+ (|| a b) c)");
    check_expr("-a * b", "(* (NEG a) b)");
    check_expr("- - a", "(NEG (NEG a))");
    check_expr("+a", "(POS a)");
}

static void test_precedence_logic(void **state) {
    (void)state;
    check_expr("a OR b AND c", "(OR a (AND b c))");
    check_expr("a AND b OR c", "(OR (AND a b) c)");
    check_expr("NOT a = b", "(NOT (= a b))");
    check_expr("NOT a AND b", "(AND (NOT a) b)");
    check_expr("a = 1 AND b <> 2 OR c >= 3", "(OR (AND (= a 1) (<> b 2)) (>= c 3))");
    check_expr("a != b", "(<> a b)");
    check_expr("a == b", "(= a b)");
    check_expr("a < b + 1", "(< a (+ b 1))");
    check_expr("a <= b", "(<= a b)");
    check_expr("a > b", "(> a b)");
    check_expr("a = b IS NULL", "(IS NULL (= a b))");
}

static void test_column_refs(void **state) {
    (void)state;
    check_expr("Abc", "abc");
    check_expr("\"MixedCase\"", "MixedCase");
    check_expr("\"we\"\"ird\"", "we\"ird");
    check_expr("T.Col", "t.col");
    check_expr("t.\"X\"", "t.X");
    check_expr("*", "*");
    check_expr("t.*", "t.*");
}

static void test_casts(void **state) {
    (void)state;
    check_expr("CAST(a AS INTEGER)", "(CAST a BIGINT)");
    check_expr("TRY_CAST('x' AS double)", "(TRY_CAST 'x' DOUBLE)");
    check_expr("a::VARCHAR(10)", "(CAST a VARCHAR)");
    check_expr("a::DECIMAL(10, 2)::text", "(CAST (CAST a DOUBLE) VARCHAR)");
    check_expr("CAST(x AS DOUBLE PRECISION)", "(CAST x DOUBLE)");
    check_expr("-a::bigint", "(NEG (CAST a BIGINT))");
    check_expr("1 + a::int", "(+ 1 (CAST a BIGINT))");
    check_expr("DATE '2024-01-02'", "(CAST '2024-01-02' DATE)");
    check_expr("TIMESTAMP '2024-01-02 03:04:05'", "(CAST '2024-01-02 03:04:05' TIMESTAMP)");
    check_expr("x::bool", "(CAST x BOOLEAN)");
    check_expr("x::datetime", "(CAST x TIMESTAMP)");
}

static void test_type_names(void **state) {
    (void)state;
    assert_int_equal(sql_type_from_name("BIGINT"), KILN_TYPE_BIGINT);
    assert_int_equal(sql_type_from_name("smallint"), KILN_TYPE_BIGINT);
    assert_int_equal(sql_type_from_name("Real"), KILN_TYPE_DOUBLE);
    assert_int_equal(sql_type_from_name("NUMERIC"), KILN_TYPE_DOUBLE);
    assert_int_equal(sql_type_from_name("TEXT"), KILN_TYPE_VARCHAR);
    assert_int_equal(sql_type_from_name("string"), KILN_TYPE_VARCHAR);
    assert_int_equal(sql_type_from_name("boolean"), KILN_TYPE_BOOLEAN);
    assert_int_equal(sql_type_from_name("date"), KILN_TYPE_DATE);
    assert_int_equal(sql_type_from_name("timestamp"), KILN_TYPE_TIMESTAMP);
    assert_int_equal(sql_type_from_name("blob"), KILN_TYPE__COUNT);
    assert_int_equal(sql_type_from_name(NULL), KILN_TYPE__COUNT);
}

static void test_case(void **state) {
    (void)state;
    check_expr("CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE 'z' END",
               "(CASE WHEN (> a 1) THEN 'x' WHEN (> a 0) THEN 'y' ELSE 'z')");
    check_expr("CASE a WHEN 1 THEN 2 END", "(CASE a WHEN 1 THEN 2)");
    parse_err("SELECT CASE END");
    parse_err("SELECT CASE WHEN 1 THEN 2");
}

static void test_in(void **state) {
    (void)state;
    check_expr("a IN (1, 2, 3)", "(IN a 1 2 3)");
    check_expr("a NOT IN ('x')", "(NOT IN a 'x')");
    check_expr("a IN (SELECT b FROM t)", "(IN a <subquery>)");
    check_expr("a + 1 IN (2) AND c", "(AND (IN (+ a 1) 2) c)");
    parse_err("SELECT a IN ()");
}

static void test_between(void **state) {
    (void)state;
    check_expr("a BETWEEN 1 AND 2", "(BETWEEN a 1 2)");
    check_expr("a NOT BETWEEN b + 1 AND c * 2 AND d", "(AND (NOT BETWEEN a (+ b 1) (* c 2)) d)");
    check_expr("a BETWEEN 1 AND 2 = true", "(= (BETWEEN a 1 2) true)");
}

static void test_like(void **state) {
    (void)state;
    check_expr("a LIKE 'x%'", "(LIKE a 'x%')");
    check_expr("a NOT ILIKE 'X%'", "(NOT ILIKE a 'X%')");
    check_expr("a LIKE 'x!%' ESCAPE '!'", "(LIKE a 'x!%' '!')");
    check_expr("a || 'b' LIKE c", "(LIKE (|| a 'b') c)");
}

static void test_is(void **state) {
    (void)state;
    check_expr("a IS NULL", "(IS NULL a)");
    check_expr("a IS NOT NULL", "(IS NOT NULL a)");
    check_expr("a ISNULL", "(IS NULL a)");
    check_expr("a NOTNULL", "(IS NOT NULL a)");
    check_expr("a IS TRUE", "(IS TRUE a)");
    check_expr("a IS NOT FALSE", "(IS NOT FALSE a)");
    check_expr("NOT a IS NULL", "(NOT (IS NULL a))");
}

static void test_functions(void **state) {
    (void)state;
    check_expr("count(*)", "count(*)");
    check_expr("COUNT(DISTINCT a)", "count(DISTINCT a)");
    check_expr("sum(ALL a)", "sum(a)");
    check_expr("now()", "now()");
    check_expr("coalesce(a, b, 0)", "coalesce(a, b, 0)");
    check_expr("f(a, x := 1, y => 'z')", "f(a, x:=1, y:='z')");
    check_expr("left(s, 2)", "left(s, 2)");
    check_expr("EXTRACT(year FROM d)", "date_part('year', d)");
    check_expr("l[1]", "array_extract(l, 1)");
    parse_err("SELECT count(DISTINCT)");
}

static void test_struct_list_interval(void **state) {
    (void)state;
    check_expr("{'a': 1, 'b': 'x'}", "{a: 1, b: 'x'}");
    check_expr("{k: [1, 2]}", "{k: [1, 2]}");
    check_expr("[]", "[]");
    check_expr("INTERVAL '1 day'", "(INTERVAL '1 day')");
    check_expr("INTERVAL 3 HOURS", "(INTERVAL '3 hours')");
    check_expr("INTERVAL '2' day", "(INTERVAL '2 day')");
    check_expr("ts + INTERVAL 1 DAY", "(+ ts (INTERVAL '1 day'))");
}

static void test_subqueries(void **state) {
    (void)state;
    check_expr("(SELECT max(a) FROM t)", "<subquery>");
    check_expr("EXISTS (SELECT 1)", "(EXISTS <subquery>)");
    check_expr("NOT EXISTS (SELECT 1)", "(NOT EXISTS <subquery>)");
    check_expr("(SELECT 1) + 1", "(+ <subquery> 1)");
    ast_stmt *s = parse1("SELECT NOT EXISTS (SELECT 1)");
    assert_int_equal(s->select->items[0].expr->loc, 7);
}

static void test_window(void **state) {
    (void)state;
    check_expr("row_number() OVER ()", "row_number() OVER()");
    check_expr("sum(v) OVER (PARTITION BY g, h ORDER BY t DESC)",
               "sum(v) OVER(P g h O t DESC)");
    check_expr("avg(v) OVER (ORDER BY t ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
               "avg(v) OVER( O t ROWS 1 2 2)");
    check_expr("avg(v) OVER (ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING)",
               "avg(v) OVER( O t RANGE 0 3 1)");
    check_expr("sum(v) OVER (ROWS UNBOUNDED PRECEDING)", "sum(v) OVER( ROWS 0 2)");
    check_span("sum(v) OVER (PARTITION BY g) AS s", "sum(v) OVER (PARTITION BY g)");
    parse_err("SELECT sum(v) OVER (ROWS BETWEEN 1 AND 2)");
}

static void test_spans(void **state) {
    (void)state;
    check_span("sum(v)", "sum(v)");
    check_span("count(*) AS n", "count(*)");
    check_span("a + b * 2 x", "a + b * 2");
    check_span("(a + b) * 2 FROM t", "(a + b) * 2");
    check_span("(a + b)", "(a + b)");
    check_span("(a)", "a");
    check_span("-1", "-1");
    check_span("x::int", "x::int");
    check_span("CASE WHEN a THEN 1 END, b", "CASE WHEN a THEN 1 END");
    check_span("t.a", "t.a");
    check_span("a NOT BETWEEN 1 AND 2", "a NOT BETWEEN 1 AND 2");
    check_span("a IS NOT NULL", "a IS NOT NULL");
    check_span("'str'", "'str'");
    check_span("DATE '2020-01-01'", "DATE '2020-01-01'");
}

/* ---- queries ---------------------------------------------------------------------------------- */

static void test_select_basic(void **state) {
    (void)state;
    ast_stmt *s = parse1("SELECT DISTINCT a AS x, b y, c \"Z\", d FROM t WHERE a > 1");
    assert_int_equal(s->kind, STMT_SELECT);
    ast_select *q = s->select;
    assert_true(q->distinct);
    assert_int_equal(q->n_items, 4);
    assert_string_equal(q->items[0].alias, "x");
    assert_string_equal(q->items[1].alias, "y");
    assert_string_equal(q->items[2].alias, "Z");
    assert_null(q->items[3].alias);
    assert_int_equal(q->from->kind, AST_TABLE_NAME);
    assert_string_equal(q->from->name, "t");
    assert_non_null(q->where);
    assert_null(q->limit);
    assert_int_equal(q->setop, AST_SETOP_NONE);
}

static void test_select_clauses(void **state) {
    (void)state;
    ast_stmt *s = parse1("SELECT g, sum(v) FROM t GROUP BY g, 2 HAVING sum(v) > 1 "
                         "QUALIFY row_number() OVER (ORDER BY g) = 1 "
                         "ORDER BY g DESC NULLS FIRST, 2 ASC, 3 NULLS LAST LIMIT 10 OFFSET 5");
    ast_select *q = s->select;
    assert_int_equal(q->n_group_by, 2);
    assert_false(q->group_by_all);
    assert_non_null(q->having);
    assert_non_null(q->qualify);
    assert_int_equal(q->n_order_by, 3);
    assert_true(q->order_by[0].desc);
    assert_int_equal(q->order_by[0].nulls_first, 1);
    assert_false(q->order_by[1].desc);
    assert_int_equal(q->order_by[1].nulls_first, -1);
    assert_int_equal(q->order_by[2].nulls_first, 0);
    assert_int_equal(q->limit->ival, 10);
    assert_int_equal(q->offset->ival, 5);

    s = parse1("SELECT a FROM t GROUP BY ALL OFFSET 2 LIMIT 3");
    assert_true(s->select->group_by_all);
    assert_int_equal(s->select->limit->ival, 3);
    assert_int_equal(s->select->offset->ival, 2);

    s = parse1("SELECT 1");
    assert_null(s->select->from);
}

static void test_reserved_not_alias(void **state) {
    (void)state;
    ast_stmt *s = parse1("SELECT a FROM t JOIN u ON t.x = u.x WHERE b LIMIT 1");
    assert_null(s->select->items[0].alias);
    assert_null(s->select->from->left->alias);
    assert_null(s->select->from->right->alias);
    s = parse1("SELECT a FROM t UNION SELECT b FROM u ORDER BY 1");
    assert_int_equal(s->select->setop, AST_SETOP_UNION);
    assert_int_equal(s->select->n_order_by, 1);
    /* a reserved word may still be an alias after AS */
    s = parse1("SELECT 1 AS from");
    assert_string_equal(s->select->items[0].alias, "from");
    parse_err("SELECT FROM t");
    assert_int_equal(err.sql_offset, 7);
}

static void test_from_sources(void **state) {
    (void)state;
    ast_stmt *s = parse1("SELECT * FROM 'data/x.csv' AS d");
    assert_int_equal(s->select->from->kind, AST_TABLE_FILE);
    assert_string_equal(s->select->from->path, "data/x.csv");
    assert_string_equal(s->select->from->alias, "d");

    s = parse1("SELECT * FROM read_csv('f.csv', header := true, delim := ',', "
               "columns := {'a': 'BIGINT'}) r");
    ast_table_ref *t = s->select->from;
    assert_int_equal(t->kind, AST_TABLE_FUNC);
    assert_string_equal(t->name, "read_csv");
    assert_int_equal(t->n_args, 4);
    assert_null(t->arg_names[0]);
    assert_string_equal(t->arg_names[1], "header");
    assert_string_equal(t->arg_names[3], "columns");
    assert_int_equal(t->args[3]->kind, AST_STRUCT);
    assert_string_equal(t->alias, "r");

    s = parse1("SELECT * FROM (SELECT 1 AS a) AS sub(x)");
    t = s->select->from;
    assert_int_equal(t->kind, AST_TABLE_SUBQUERY);
    assert_string_equal(t->alias, "sub");
    assert_int_equal(t->n_column_aliases, 1);
    assert_string_equal(t->column_aliases[0], "x");

    s = parse1("SELECT * FROM main.tbl");
    assert_string_equal(s->select->from->name, "tbl");
    s = parse1("FROM t");
    assert_int_equal(s->select->n_items, 1);
    assert_int_equal(s->select->items[0].expr->kind, AST_STAR);
    s = parse1("FROM t SELECT a WHERE a > 1");
    assert_int_equal(s->select->items[0].expr->kind, AST_COLUMN);
    assert_non_null(s->select->where);
}

static void test_joins(void **state) {
    (void)state;
    ast_stmt *s = parse1("SELECT * FROM a JOIN b ON a.x = b.x LEFT OUTER JOIN c USING (x, y) "
                         "CROSS JOIN d, e FULL JOIN f ON true RIGHT JOIN g ON 1=1 "
                         "INNER JOIN h ON 2=2");
    ast_table_ref *t = s->select->from;
    /* comma: cross join of the two chains */
    assert_int_equal(t->kind, AST_TABLE_JOIN);
    assert_int_equal(t->join_type, AST_JOIN_CROSS);
    ast_table_ref *l = t->left, *r = t->right;
    assert_int_equal(l->join_type, AST_JOIN_CROSS); /* ... CROSS JOIN d */
    assert_string_equal(l->right->name, "d");
    assert_int_equal(l->left->join_type, AST_JOIN_LEFT);
    assert_int_equal(l->left->n_using, 2);
    assert_string_equal(l->left->using_cols[1], "y");
    assert_int_equal(l->left->left->join_type, AST_JOIN_INNER);
    assert_non_null(l->left->left->on);
    /* right chain, left-deep: ((e FULL f) RIGHT g) INNER h */
    assert_int_equal(r->join_type, AST_JOIN_INNER);
    assert_string_equal(r->right->name, "h");
    assert_int_equal(r->left->join_type, AST_JOIN_RIGHT);
    assert_int_equal(r->left->left->join_type, AST_JOIN_FULL);
    assert_string_equal(r->left->left->left->name, "e");

    s = parse1("SELECT * FROM a, b, c");
    t = s->select->from;
    assert_int_equal(t->join_type, AST_JOIN_CROSS);
    assert_string_equal(t->right->name, "c");
    assert_string_equal(t->left->left->name, "a");

    s = parse1("SELECT * FROM (a JOIN b ON a.x = b.x) j");
    assert_int_equal(s->select->from->kind, AST_TABLE_JOIN);
    assert_string_equal(s->select->from->alias, "j");

    parse_err("SELECT * FROM a JOIN b");
    parse_err("SELECT * FROM a NATURAL b");
    parse_err("SELECT * FROM a NATURAL JOIN b ON a.x = b.x");
}

static void test_set_operations(void **state) {
    (void)state;
    ast_stmt *s = parse1("SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 3 INTERSECT SELECT 4 "
                         "ORDER BY 1 LIMIT 2");
    ast_select *q = s->select;
    /* (1 UNION ALL 2) EXCEPT (3 INTERSECT 4) */
    assert_int_equal(q->setop, AST_SETOP_EXCEPT);
    assert_int_equal(q->left->setop, AST_SETOP_UNION_ALL);
    assert_int_equal(q->right->setop, AST_SETOP_INTERSECT);
    assert_int_equal(q->n_order_by, 1);
    assert_non_null(q->limit);
    assert_int_equal(q->left->left->n_order_by, 0);

    s = parse1("(SELECT a FROM t ORDER BY a LIMIT 1) UNION (SELECT b FROM u)");
    q = s->select;
    assert_int_equal(q->setop, AST_SETOP_UNION);
    assert_non_null(q->left->limit);

    /* an outer LIMIT on a query with its own LIMIT wraps it */
    s = parse1("(SELECT a FROM t LIMIT 5) LIMIT 2");
    q = s->select;
    assert_int_equal(q->limit->ival, 2);
    assert_int_equal(q->from->kind, AST_TABLE_SUBQUERY);
    assert_int_equal(q->from->subquery->limit->ival, 5);
}

static void test_cte(void **state) {
    (void)state;
    ast_stmt *s = parse1("WITH a AS (SELECT 1 AS x), \"B\" AS MATERIALIZED (SELECT * FROM a) "
                         "SELECT * FROM B UNION SELECT * FROM a");
    ast_select *q = s->select;
    assert_int_equal(q->n_ctes, 2);
    assert_string_equal(q->ctes[0].name, "a");
    assert_string_equal(q->ctes[1].name, "B");
    assert_int_equal(q->setop, AST_SETOP_UNION);
    assert_int_equal(q->ctes[1].query->from->kind, AST_TABLE_NAME);
    parse_err("WITH a AS SELECT 1 SELECT 2");
}

static void test_values(void **state) {
    (void)state;
    ast_stmt *s = parse1("VALUES (1, 'a'), (2, 'b'), (3, NULL)");
    ast_select *q = s->select;
    assert_non_null(q->values);
    assert_int_equal(q->n_values_rows, 3);
    assert_int_equal(q->n_values_cols, 2);
    assert_int_equal(q->values[2][0]->ival, 3);
    assert_int_equal(q->values[2][1]->lit_type, KILN_TYPE_NULL);

    s = parse1("SELECT * FROM (VALUES (1), (2)) v(x)");
    assert_non_null(s->select->from->subquery->values);

    parse_err("VALUES (1, 2), (3)");
    assert_int_equal(err.sql_offset, 15);
}

/* ---- statements ------------------------------------------------------------------------------- */

static void test_create(void **state) {
    (void)state;
    ast_stmt *s = parse1("CREATE OR REPLACE TABLE t AS SELECT 1");
    assert_int_equal(s->kind, STMT_CREATE_TABLE_AS);
    assert_true(s->or_replace);
    assert_false(s->if_not_exists);
    assert_string_equal(s->table, "t");
    assert_non_null(s->select);

    s = parse1("CREATE TABLE IF NOT EXISTS \"T2\" (id INTEGER NOT NULL, name VARCHAR(20), "
               "price DECIMAL(10,2), ok BOOLEAN NULL, d DATE, ts TIMESTAMP, x DOUBLE PRECISION)");
    assert_int_equal(s->kind, STMT_CREATE_TABLE);
    assert_true(s->if_not_exists);
    assert_string_equal(s->table, "T2");
    assert_int_equal(s->n_cols, 7);
    assert_string_equal(s->col_names[1], "name");
    kl_type want[] = {KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR, KILN_TYPE_DOUBLE, KILN_TYPE_BOOLEAN,
                      KILN_TYPE_DATE, KILN_TYPE_TIMESTAMP, KILN_TYPE_DOUBLE};
    for (int i = 0; i < 7; i++) assert_int_equal(s->col_types[i], want[i]);

    parse_err("CREATE TABLE t (a blob)");
    assert_int_equal(err.code, KILN_ERR_SYNTAX);
    assert_string_equal(err.message, "Type \"blob\" does not exist");
    assert_int_equal(err.sql_offset, 18);
}

static void test_insert(void **state) {
    (void)state;
    ast_stmt *s = parse1("INSERT INTO t VALUES (1, 'x'), (2, 'y')");
    assert_int_equal(s->kind, STMT_INSERT);
    assert_string_equal(s->table, "t");
    assert_int_equal(s->n_insert_cols, 0);
    assert_int_equal(s->select->n_values_rows, 2);

    s = parse1("INSERT INTO t (b, a) SELECT x, y FROM u");
    assert_int_equal(s->n_insert_cols, 2);
    assert_string_equal(s->insert_cols[0], "b");
    assert_int_equal(s->select->n_items, 2);

    s = parse1("INSERT INTO t (SELECT 1)");
    assert_int_equal(s->n_insert_cols, 0);
    assert_int_equal(s->select->n_items, 1);
}

static void test_drop_set_explain(void **state) {
    (void)state;
    ast_stmt *s = parse1("DROP TABLE IF EXISTS t");
    assert_int_equal(s->kind, STMT_DROP_TABLE);
    assert_true(s->if_exists);
    assert_string_equal(s->table, "t");
    s = parse1("drop table t");
    assert_false(s->if_exists);

    s = parse1("SET threads = 4");
    assert_int_equal(s->kind, STMT_SET);
    assert_string_equal(s->set_name, "threads");
    assert_int_equal(s->set_value->ival, 4);
    s = parse1("SET memory_limit TO '4GB'");
    assert_string_equal(s->set_name, "memory_limit");
    assert_string_equal(s->set_value->sval, "4GB");
    s = parse1("SET GLOBAL threads = 2");
    assert_string_equal(s->set_name, "threads");

    s = parse1("EXPLAIN SELECT a FROM t");
    assert_int_equal(s->kind, STMT_EXPLAIN);
    assert_int_equal(s->select->n_items, 1);
}

static void test_copy(void **state) {
    (void)state;
    ast_stmt *s = parse1("COPY (SELECT * FROM t) TO 'out.csv' (HEADER true, DELIMITER ';', "
                         "FORMAT csv)");
    assert_int_equal(s->kind, STMT_COPY);
    assert_non_null(s->select);
    assert_null(s->table);
    assert_string_equal(s->path, "out.csv");
    assert_int_equal(s->n_opts, 3);
    assert_string_equal(s->opt_names[0], "header");
    assert_true(s->opt_values[0]->bval);
    assert_string_equal(s->opt_names[1], "delimiter");
    assert_string_equal(s->opt_values[1]->sval, ";");
    assert_string_equal(s->opt_names[2], "format");
    assert_int_equal(s->opt_values[2]->kind, AST_CONST);
    assert_string_equal(s->opt_values[2]->sval, "csv");

    s = parse1("COPY t TO 'o.json' WITH (FORMAT JSON, HEADER)");
    assert_string_equal(s->table, "t");
    assert_int_equal(s->n_opts, 2);
    assert_string_equal(s->opt_values[0]->sval, "json");
    assert_string_equal(s->opt_names[1], "header");
    assert_null(s->opt_values[1]);

    s = parse1("COPY t TO 'o.csv'");
    assert_int_equal(s->n_opts, 0);
    s = parse1("COPY t TO 'o.csv' WITH CSV HEADER DELIMITER '|'");
    assert_int_equal(s->n_opts, 3);
    assert_string_equal(s->opt_names[0], "format");
    assert_string_equal(s->opt_values[0]->sval, "csv");
    assert_null(s->opt_values[1]);
    assert_string_equal(s->opt_values[2]->sval, "|");
    parse_err("COPY t TO out");
}

static void test_multi_statements(void **state) {
    (void)state;
    ast_stmt **stmts;
    const char *sql = " ;; CREATE TABLE t (a INT) ; INSERT INTO t VALUES (1);\n"
                      "SELECT a FROM t -- done\n;  ";
    int n = parse(sql, &stmts);
    assert_int_equal(n, 3);
    assert_int_equal(stmts[0]->kind, STMT_CREATE_TABLE);
    assert_int_equal(stmts[0]->loc, 4);
    assert_int_equal(stmts[0]->end, 4 + (int)strlen("CREATE TABLE t (a INT)"));
    assert_int_equal(stmts[1]->kind, STMT_INSERT);
    assert_int_equal(stmts[2]->kind, STMT_SELECT);
    assert_memory_equal(sql + stmts[2]->loc, "SELECT a FROM t", 15);
    assert_int_equal(stmts[2]->end - stmts[2]->loc, 15);

    assert_int_equal(parse("", &stmts), 0);
    assert_int_equal(parse(" ; -- nothing\n /* at all */ ;", &stmts), 0);
}

static void test_comments_and_lexing(void **state) {
    (void)state;
    ast_stmt *s = parse1("SELECT /* c1 */ a -- c2\n + /* multi\nline */ b");
    kl_buf b = {0};
    dump_expr(&b, s->select->items[0].expr);
    assert_string_equal(b.data, "(+ a b)");
    kl_buf_free(&b);
    check_expr("a::int", "(CAST a BIGINT)");
    check_expr("1+-2", "(+ 1 -2)");
    check_expr("ÄÖ", "ÄÖ"); /* UTF-8 identifiers pass through; only ASCII folds */
}

/* ---- more front-end corners ------------------------------------------------------------------- */

static void test_string_literals(void **state) {
    (void)state;
    check_expr("''", "''");
    check_expr("'a''''b'", "'a''b'");
    check_expr("'line1\nline2'", "'line1\nline2'");
    check_expr("'héllo'", "'héllo'");
    parse_err("SELECT 'a' 'b'"); /* a string is not an implicit alias */
    assert_int_equal(err.sql_offset, 11);
}

static void test_alias_forms(void **state) {
    (void)state;
    ast_stmt *s = parse1("SELECT 1 AS \"Q x\", 2 AS 'str', 3 \"Quoted\", 4 AS select FROM t AS tt");
    ast_select *q = s->select;
    assert_string_equal(q->items[0].alias, "Q x");
    assert_string_equal(q->items[1].alias, "str");
    assert_string_equal(q->items[2].alias, "Quoted");
    assert_string_equal(q->items[3].alias, "select");
    assert_string_equal(q->from->alias, "tt");
    s = parse1("SELECT x Total FROM t u");
    /* unquoted aliases keep their spelling: they become output column names */
    assert_string_equal(s->select->items[0].alias, "Total");
    assert_string_equal(s->select->from->alias, "u");
}

static void test_table_function_args(void **state) {
    (void)state;
    ast_stmt *s =
        parse1("SELECT * FROM read_csv('data/*.csv.gz', header => false, \"Delim\" := '|')");
    ast_table_ref *t = s->select->from;
    assert_int_equal(t->kind, AST_TABLE_FUNC);
    assert_string_equal(t->args[0]->sval, "data/*.csv.gz");
    assert_string_equal(t->arg_names[1], "header");
    assert_false(t->args[1]->bval);
    assert_string_equal(t->arg_names[2], "Delim");
    assert_null(t->alias);
    s = parse1("SELECT * FROM range(10)");
    assert_null(s->select->from->arg_names);
    assert_int_equal(s->select->from->n_args, 1);
    s = parse1("SELECT * FROM f()");
    assert_int_equal(s->select->from->n_args, 0);
}

static void test_order_limit_wrapping(void **state) {
    (void)state;
    /* ORDER BY after a parenthesised LIMIT must not reorder before the limit */
    ast_stmt *s = parse1("(SELECT a FROM t LIMIT 3) ORDER BY a");
    assert_int_equal(s->select->n_order_by, 1);
    assert_int_equal(s->select->from->kind, AST_TABLE_SUBQUERY);
    /* LIMIT after a parenthesised ORDER BY composes on the same node */
    s = parse1("(SELECT a FROM t ORDER BY a) LIMIT 1");
    assert_int_equal(s->select->n_order_by, 1);
    assert_int_equal(s->select->limit->ival, 1);
    assert_int_equal(s->select->from->kind, AST_TABLE_NAME);
    /* WITH around a query that has its own WITH */
    s = parse1("WITH a AS (SELECT 1) (WITH b AS (SELECT 2) SELECT * FROM b)");
    assert_int_equal(s->select->n_ctes, 1);
    assert_int_equal(s->select->from->subquery->n_ctes, 1);
}

static void test_node_locs(void **state) {
    (void)state;
    const char *sql = "SELECT x, a + f(b) FROM t1 JOIN t2 ON c WHERE d";
    ast_stmt *s = parse1(sql);
    ast_select *q = s->select;
    assert_int_equal(s->loc, 0);
    assert_int_equal(s->end, (int)strlen(sql));
    assert_int_equal(q->loc, 0);
    ast_expr *add = q->items[1].expr;
    assert_int_equal(add->loc, 10);
    assert_int_equal(add->args[1]->loc, 14);
    assert_int_equal(add->args[1]->args[0]->loc, 16);
    assert_int_equal(q->from->loc, 24);
    assert_int_equal(q->from->right->loc, 32);
    assert_int_equal(q->from->on->loc, 38);
    assert_int_equal(q->where->loc, 46);
}

static void test_statement_errors(void **state) {
    (void)state;
    parse_err("DROP t");
    assert_int_equal(err.sql_offset, 5);
    parse_err("INSERT t VALUES (1)");
    assert_int_equal(err.sql_offset, 7);
    parse_err("SET = 1");
    assert_int_equal(err.sql_offset, 4);
    parse_err("CREATE TABLE t");
    assert_string_equal(err.message, "syntax error at end of input");
    parse_err("EXPLAIN");
    parse_err("COPY t TO");
    parse_err("UPDATE t SET a = 1");
    assert_string_equal(err.message, "syntax error at or near \"UPDATE\"");
    parse_err("SELECT 1 SELECT 2");
    assert_int_equal(err.sql_offset, 9);
}

static void test_keywords_case_insensitive(void **state) {
    (void)state;
    ast_stmt *s = parse1("sElEcT A fRoM T wHeRe B iS nOt NuLl OrDeR bY a DeSc LiMiT 1");
    assert_string_equal(s->select->items[0].expr->name, "a");
    assert_string_equal(s->select->from->name, "t");
    assert_int_equal(s->select->where->kind, AST_IS_NULL);
    assert_true(s->select->where->negated);
    assert_true(s->select->order_by[0].desc);
}

static void test_type_words_as_columns(void **state) {
    (void)state;
    check_expr("date", "date");
    check_expr("date + 1", "(+ date 1)");
    check_expr("interval", "interval");
    check_expr("timestamp < DATE '2020-01-01'", "(< timestamp (CAST '2020-01-01' DATE))");
    check_expr("text || 'x'", "(|| text 'x')");
}

/* ---- errors ------------------------------------------------------------------------------------- */

static void test_syntax_errors(void **state) {
    (void)state;
    parse_err("SELECT a FROM WHERE");
    assert_int_equal(err.code, KILN_ERR_SYNTAX);
    assert_string_equal(err.message, "syntax error at or near \"WHERE\"");
    assert_int_equal(err.sql_offset, 14);

    parse_err("SELECT 1 +");
    assert_string_equal(err.message, "syntax error at end of input");
    assert_int_equal(err.sql_offset, 10);

    parse_err("SELEC 1");
    assert_string_equal(err.message, "syntax error at or near \"SELEC\"");
    assert_int_equal(err.sql_offset, 0);

    parse_err("SELECT (1 + 2");
    assert_string_equal(err.message, "syntax error at end of input");

    parse_err("SELECT 1 2");
    assert_int_equal(err.sql_offset, 9);

    parse_err("SELECT a FROM t; SELECT b FROM");
    assert_string_equal(err.message, "syntax error at end of input");

    parse_err("SELECT a @ b");
    assert_string_equal(err.message, "syntax error at or near \"@\"");
    assert_int_equal(err.sql_offset, 9);

    parse_err("SELECT CAST(a AS foo)");
    assert_string_equal(err.message, "Type \"foo\" does not exist");
    assert_int_equal(err.sql_offset, 17);
    parse_err("SELECT a::Nope");
    assert_int_equal(err.sql_offset, 10);

    parse_err("SELECT * FROM t LIMIT 1 LIMIT 2");
    assert_int_equal(err.sql_offset, 24);
    parse_err("SELECT \"\"");
}

static void test_lexer_errors(void **state) {
    (void)state;
    parse_err("SELECT 'abc");
    assert_int_equal(err.code, KILN_ERR_SYNTAX);
    assert_string_equal(err.message, "unterminated quoted string at or near \"'abc\"");
    assert_int_equal(err.sql_offset, 7);

    parse_err("SELECT 'it''");
    assert_int_equal(err.sql_offset, 7);

    parse_err("SELECT \"col");
    assert_string_equal(err.message, "unterminated quoted identifier at or near \"\"col\"");
    assert_int_equal(err.sql_offset, 7);

    parse_err("SELECT 1 /* never closed");
    assert_string_equal(err.message, "unterminated /* comment at or near \"/* never closed\"");
    assert_int_equal(err.sql_offset, 9);
}

static void test_deep_nesting(void **state) {
    (void)state;
    /* reasonable nesting parses */
    char sql[4096];
    int n = 200, o = 0;
    o += snprintf(sql + o, sizeof sql - (size_t)o, "SELECT ");
    for (int i = 0; i < n; i++) sql[o++] = '(';
    sql[o++] = '1';
    for (int i = 0; i < n; i++) sql[o++] = ')';
    sql[o] = '\0';
    check_expr(sql + 7, "1");

    /* hostile nesting gets a clean error */
    size_t big = 200000;
    char *deep = malloc(big * 2 + 32);
    assert_non_null(deep);
    strcpy(deep, "SELECT ");
    size_t k = strlen(deep);
    for (size_t i = 0; i < big; i++) deep[k++] = '(';
    deep[k++] = '1';
    for (size_t i = 0; i < big; i++) deep[k++] = ')';
    deep[k] = '\0';
    parse_err(deep);
    assert_int_equal(err.code, KILN_ERR_SYNTAX);
    assert_non_null(strstr(err.message, "nested too deeply"));

    /* the same for unary operators, NOT chains and subqueries */
    k = strlen("SELECT ");
    for (size_t i = 0; i < big; i++) deep[k++] = '-';
    deep[k++] = '1';
    deep[k] = '\0';
    parse_err(deep);
    k = strlen("SELECT ");
    for (size_t i = 0; i < big / 4; i++) {
        memcpy(deep + k, "NOT ", 4);
        k += 4;
    }
    deep[k++] = '1';
    deep[k] = '\0';
    parse_err(deep);
    strcpy(deep, "SELECT * FROM ");
    k = strlen(deep);
    for (size_t i = 0; i < big; i++) deep[k++] = '(';
    deep[k] = '\0';
    parse_err(deep);
    free(deep);
}

static void test_out_of_memory(void **state) {
    (void)state;
    const char *sql = "WITH c AS (SELECT 1) SELECT a, sum(b) OVER (PARTITION BY c ORDER BY d), "
                      "CASE WHEN x IN (1,2) THEN 'y' END FROM t JOIN u USING (k) "
                      "WHERE z BETWEEN 1 AND 2 GROUP BY a ORDER BY 1 LIMIT 3; "
                      "COPY t TO 'f' (FORMAT csv); CREATE TABLE q (a INT, b TEXT)";
    bool succeeded = false;
    for (long i = 1; i < 400 && !succeeded; i++) {
        kl_arena a;
        kl_arena_init(&a, 256);
        ast_stmt **stmts;
        int n;
        kiln_error e;
        kiln_error_clear(&e);
        kl_mem_fail_after(i);
        int rc = sql_parse(sql, &a, &stmts, &n, &e);
        kl_mem_fail_after(0);
        if (rc == 0) {
            assert_int_equal(n, 3);
            succeeded = true;
        } else {
            assert_int_equal(rc, KILN_ERR_MEMORY);
        }
        kl_arena_free(&a);
    }
    assert_true(succeeded);
}

/* ---- kiln_statement_length -------------------------------------------------------------------- */

static void test_statement_length(void **state) {
    (void)state;
    assert_int_equal(kiln_statement_length("SELECT 1; SELECT 2;"), 9);
    assert_int_equal(kiln_statement_length("SELECT 1"), 0);
    assert_int_equal(kiln_statement_length(""), 0);
    assert_int_equal(kiln_statement_length(NULL), 0);
    assert_int_equal(kiln_statement_length("SELECT ';' ;"), 12);
    assert_int_equal(kiln_statement_length("SELECT 'it''s;' ;"), 17);
    assert_int_equal(kiln_statement_length("SELECT \"a;b\";"), 13);
    assert_int_equal(kiln_statement_length("SELECT 1 -- ;\n;"), 15);
    assert_int_equal(kiln_statement_length("SELECT 1 -- ;"), 0);
    assert_int_equal(kiln_statement_length("SELECT /* ; */ 1;"), 17);
    assert_int_equal(kiln_statement_length("SELECT /* ; "), 0);
    assert_int_equal(kiln_statement_length("SELECT 'open ;"), 0);
    assert_int_equal(kiln_statement_length("SELECT 'it'';"), 0);
    assert_int_equal(kiln_statement_length(";"), 1);
    assert_int_equal(kiln_statement_length("SELECT 1 - 2;"), 13);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence_arith, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence_logic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_column_refs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_casts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_between, setup, teardown),
        cmocka_unit_test_setup_teardown(test_like, setup, teardown),
        cmocka_unit_test_setup_teardown(test_is, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_list_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subqueries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_clauses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_not_alias, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_joins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_operations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_set_explain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comments_and_lexing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lexer_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alias_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_function_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_limit_wrapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_locs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keywords_case_insensitive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_words_as_columns, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
