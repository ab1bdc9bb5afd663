/*
 * binder.c — name resolution, typing and planning of SELECT statements (see binder.h).
 *
 * Flow of bind_select:
 *   1. FROM: plan the source (table scan, CSV scan, subquery, CTE, or a one-row dual) and
 *      build its scope: the visible columns with their table qualifier and type.
 *   2. WHERE is bound against the scope (no aggregates allowed) -> filter.
 *   3. If the query aggregates (GROUP BY, HAVING, or an aggregate call anywhere in the select
 *      list / ORDER BY): GROUP BY items are resolved (ordinals and select aliases allowed),
 *      bound against the scope and become the hash aggregate's keys. Select items, HAVING and
 *      ORDER BY are then bound in "aggregate context": a sub-expression equal to a GROUP BY
 *      item becomes a reference to that key column, an aggregate call is bound (its arguments
 *      against the scope) and becomes a reference to its result column, and a bare column
 *      that is neither is an error.
 *   4. ORDER BY items that are ordinals, select aliases, or equal to a select item sort by
 *      that output column; others are computed as hidden extra columns that a final
 *      projection drops.
 *   5. DISTINCT, sort, LIMIT/OFFSET.
 * CSV projection pushdown: every column reference marks the scope column used; after the
 * whole query is bound, the CSV reader is told which columns to convert.
 *
 * Typing: functions and operators choose argument types (func.h); the binder inserts CASTs,
 * turns untyped NULL literals into typed ones, casts a VARCHAR literal compared with a typed
 * column to that type (so `d > '2024-01-01'` compares dates), and folds constant
 * sub-expressions, which also reports errors in constants (overflow, bad casts) before any
 * data is read.
 */
#include "sql/binder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#include "exec/hashtable.h"
#include "exec/join.h"
#include "exec/topn.h"
#include "exec/window.h"
#include "util/textconv.h"

/* ---- catalog ------------------------------------------------------------------------ */

long catalog_index(const kl_catalog *cat, const char *name) {
    for (size_t i = 0; i < cat->n_tables; i++)
        if (!strcasecmp(cat->tables[i]->name, name)) return (long)i;
    return -1;
}

kl_table *catalog_find(const kl_catalog *cat, const char *name) {
    long i = catalog_index(cat, name);
    return i < 0 ? NULL : cat->tables[i];
}

int catalog_add(kl_catalog *cat, kl_table *t, kl_error *err) {
    if (cat->n_tables == cat->cap_tables) {
        size_t cap = cat->cap_tables ? cat->cap_tables * 2 : 8;
        kl_table **p = kl_realloc(cat->tables, cap * sizeof *p);
        if (!p) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
        cat->tables = p;
        cat->cap_tables = cap;
    }
    cat->tables[cat->n_tables++] = t;
    return 0;
}

void catalog_remove(kl_catalog *cat, size_t index) {
    table_free(cat->tables[index]);
    memmove(cat->tables + index, cat->tables + index + 1,
            (cat->n_tables - index - 1) * sizeof(kl_table *));
    cat->n_tables--;
}

void catalog_free(kl_catalog *cat) {
    for (size_t i = 0; i < cat->n_tables; i++) table_free(cat->tables[i]);
    kl_free(cat->tables);
    memset(cat, 0, sizeof *cat);
}

void names_free(char **names, uint32_t n) {
    if (!names) return;
    for (uint32_t i = 0; i < n; i++) kl_free(names[i]);
    kl_free(names);
}

/* ---- binder state ------------------------------------------------------------------- */

typedef struct scope_col {
    char *name;  /* as spelled by the source */
    char *table; /* qualifier (alias, table name, file stem) */
    kl_type type;
    bool hidden; /* not in * and not found unqualified (the other side of JOIN USING) */
} scope_col;

/* A CSV scan feeding columns [offset, offset + its column count) of a scope. */
typedef struct csv_src {
    kl_csv *csv;
    uint32_t offset;
} csv_src;

typedef struct scope {
    scope_col *cols;
    uint32_t n;
    bool *used;
    csv_src *csvs; /* CSV scans below (projection pushdown once the query is bound) */
    uint32_t n_csvs;
    double est_rows; /* rough cardinality, to build joins on the smaller side */
} scope;

/* WHERE conjuncts offered to the joins of the FROM clause (inner-join conditions and
   single-side filters are applied at the join instead of after a cross product). */
typedef struct pending_conds {
    ast_expr **asts;
    bool *consumed;
    int n;
} pending_conds;

typedef struct agg_env {
    ast_expr **group_asts;
    kl_type *key_types;
    uint32_t n_keys;
    kl_agg_call *aggs;
    ast_expr **agg_asts;
    uint32_t n_aggs, cap_aggs;
} agg_env;

typedef struct cte_frame {
    ast_cte *ctes;
    int n_ctes;
    struct cte_frame *outer;
} cte_frame;

typedef struct binder {
    kl_catalog *cat;
    const char *sql;
    kl_error *err;
    kl_arena arena; /* synthetic AST nodes, scratch strings */
    cte_frame *ctes;
    pending_conds *pending; /* WHERE conjuncts of the SELECT whose FROM is being planned */
    int n_rewrites;           /* derived tables made for correlated subqueries (unique names) */
    int threads;              /* for parallel operators */
    ast_select *cur_sel;      /* the SELECT whose expressions are being bound (WINDOW clause) */
    ast_cte *active_ctes[64]; /* CTEs whose definition is being planned */
    int n_active_ctes;
    int depth;
} binder;

typedef struct win_env win_env;

typedef struct env {
    scope *sc;          /* columns visible (NULL: none) */
    agg_env *agg;       /* aggregate context, or NULL */
    const char *clause; /* for "aggregates are not allowed in WHERE" */
    win_env *win;       /* window calls are collected here, or not allowed (NULL) */
    ast_select *alias_sel; /* select-list aliases usable when no column has the name */
} env;

static void scope_free(scope *s) {
    if (!s) return;
    for (uint32_t i = 0; i < s->n; i++) {
        kl_free(s->cols[i].name);
        kl_free(s->cols[i].table);
    }
    kl_free(s->cols);
    kl_free(s->used);
    kl_free(s->csvs);
    memset(s, 0, sizeof *s);
}

static int scope_init(binder *b, scope *s, uint32_t n, char *const *names, const kl_type *types,
                      const char *table) {
    memset(s, 0, sizeof *s);
    s->cols = kl_calloc(n ? n : 1, sizeof(scope_col));
    s->used = kl_calloc(n ? n : 1, sizeof(bool));
    if (!s->cols || !s->used) goto oom;
    s->n = n;
    s->est_rows = 1e6;
    for (uint32_t i = 0; i < n; i++) {
        s->cols[i].name = kl_strdup(names[i]);
        s->cols[i].table = table ? kl_strdup(table) : NULL;
        s->cols[i].type = types[i];
        if (!s->cols[i].name || (table && !s->cols[i].table)) goto oom;
    }
    return 0;
oom:
    scope_free(s);
    return kl_err(b->err, KILN_ERR_MEMORY, "out of memory");
}

static int bind_oom(binder *b) { return kl_err(b->err, KILN_ERR_MEMORY, "out of memory"); }

/* Text of an AST node in the SQL, for output column names. */
static char *ast_text(binder *b, const ast_expr *a) {
    if (a->loc >= 0 && a->end > a->loc) return kl_strndup(b->sql + a->loc, (size_t)(a->end - a->loc));
    return kl_strdup("?");
}

/* ---- AST helpers -------------------------------------------------------------------- */

static bool str_eq_ci(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return !strcasecmp(a, b);
}

static bool ast_equal(const ast_expr *a, const ast_expr *b) {
    if (a == b) return true;
    if (!a || !b) return false;
    if (a->kind != b->kind || a->n_args != b->n_args) return false;
    switch (a->kind) {
    case AST_CONST:
        if (a->lit_type != b->lit_type) return false;
        switch (a->lit_type) {
        case KILN_TYPE_BIGINT: return a->ival == b->ival;
        case KILN_TYPE_DOUBLE: return a->dval == b->dval;
        case KILN_TYPE_BOOLEAN: return a->bval == b->bval;
        case KILN_TYPE_NULL: return true;
        default: return a->sval && b->sval && !strcmp(a->sval, b->sval);
        }
    case AST_COLUMN:
        if (!str_eq_ci(a->name, b->name)) return false;
        return !a->table || !b->table || str_eq_ci(a->table, b->table);
    case AST_STAR: return str_eq_ci(a->table, b->table);
    default: break;
    }
    if (a->op != b->op || a->distinct != b->distinct || a->star != b->star ||
        a->negated != b->negated || a->case_insensitive != b->case_insensitive ||
        a->try_cast != b->try_cast || a->cast_type != b->cast_type)
        return false;
    if ((a->name || b->name) && !str_eq_ci(a->name, b->name)) return false;
    if (a->over || b->over || a->subquery || b->subquery) return false;
    if (!ast_equal(a->case_operand, b->case_operand) || !ast_equal(a->else_expr, b->else_expr))
        return false;
    if ((a->sval || b->sval) && !(a->sval && b->sval && !strcmp(a->sval, b->sval))) return false;
    for (int i = 0; i < a->n_args; i++)
        if (!ast_equal(a->args[i], b->args[i])) return false;
    return true;
}

/* Does the expression read any column (or contain a subquery, which may)? */
static bool ast_reads_columns(const ast_expr *a) {
    if (!a) return false;
    if (a->kind == AST_COLUMN || a->kind == AST_STAR || a->subquery || a->over) return true;
    for (int i = 0; i < a->n_args; i++)
        if (ast_reads_columns(a->args[i])) return true;
    return ast_reads_columns(a->case_operand) || ast_reads_columns(a->else_expr);
}

static bool is_agg_call(const ast_expr *a) {
    if (a->kind != AST_FUNC || a->over) return false;
    if (!strcasecmp(a->name, "count")) return true;
    return func_find_agg(a->name) != NULL;
}

static bool ast_has_agg(const ast_expr *a) {
    if (!a) return false;
    if (is_agg_call(a)) return true;
    if (a->kind == AST_SUBQUERY || a->kind == AST_EXISTS) return false;
    for (int i = 0; i < a->n_args; i++)
        if (ast_has_agg(a->args[i])) return true;
    return ast_has_agg(a->case_operand) || ast_has_agg(a->else_expr);
}

/* ---- expression binding ------------------------------------------------------------- */

static int bind_expr(binder *b, env *e, ast_expr *a, kl_expr **out);
static int plan_select(binder *b, ast_select *sel, kl_op **out, char ***names, uint32_t *n_names);

/* Uncorrelated subqueries are planned and run while binding: their result is a constant (scalar
   subquery, EXISTS) or a hash set (IN). run_subquery pulls the plan into a table. */
static int run_subquery(binder *b, ast_select *sel, kl_table **out) {
    kl_op *op;
    char **names;
    uint32_t n;
    TRY(plan_select(b, sel, &op, &names, &n));
    kl_table *t = table_create(NULL, op->n_cols, names, op->types);
    names_free(names, n);
    int rc = t ? 0 : bind_oom(b);
    while (!rc) {
        kl_chunk *c;
        if ((rc = op_next(op, &c, b->err))) break;
        if (c->n_rows == 0) break;
        rc = table_append(t, c, c->n_rows, b->err);
    }
    op_free(op);
    if (rc) {
        table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static int bind_scalar_subquery(binder *b, ast_expr *a, kl_expr **out) {
    kl_table *t;
    TRY(run_subquery(b, a->subquery, &t));
    int rc = 0;
    if (t->n_cols != 1)
        rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "Subquery returns %u columns - expected 1", t->n_cols);
    else if (t->n_rows > 1)
        rc = kl_err_at(b->err, KILN_ERR_INVALID, a->loc,
                       "More than one row returned by a subquery used as an expression - scalar "
                       "subqueries can only return a single row.");
    else if (t->n_rows == 0)
        *out = expr_new_const_null(t->types[0]);
    else
        *out = expr_new_const_from(&t->chunks[0]->cols[0], 0);
    if (!rc && !*out) rc = bind_oom(b);
    if (!rc) (*out)->loc = a->loc;
    table_free(t);
    return rc;
}

static int bind_exists(binder *b, ast_expr *a, kl_expr **out) {
    kl_table *t;
    TRY(run_subquery(b, a->subquery, &t));
    kl_vec v;
    int rc = vec_init(&v, KILN_TYPE_BOOLEAN, 1);
    if (!rc) {
        VEC_U8(&v)[0] = (t->n_rows > 0) != a->negated;
        *out = expr_new_const_from(&v, 0);
        if (!*out) rc = bind_oom(b);
        else (*out)->loc = a->loc;
        vec_free(&v);
    } else {
        rc = bind_oom(b);
    }
    table_free(t);
    return rc;
}

static int add_cast(binder *b, kl_expr **e, kl_type to, int loc, bool try_mode);
static bool unify_types(kl_type a, kl_type b, kl_type *out);

/* x [NOT] IN (SELECT ...): the subquery's values go into a hash set once. */
static int bind_in_subquery(binder *b, env *e, ast_expr *a, kl_expr **out) {
    kl_expr *x;
    TRY(bind_expr(b, e, a->args[0], &x));
    kl_table *t;
    if (run_subquery(b, a->subquery, &t)) return expr_free(x), b->err->code;
    int rc = 0;
    kl_type ut = KILN_TYPE_NULL;
    kl_expr *node = NULL;
    if (t->n_cols != 1) {
        rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "Subquery returns %u columns - expected 1", t->n_cols);
    } else {
        /* one comparison type for both sides; a VARCHAR side is read as the other's type */
        kl_type xt = x->type, st = t->types[0];
        if (unify_types(xt, st, &ut)) {
            if (ut == KILN_TYPE_NULL) ut = KILN_TYPE_BIGINT;
        } else if (st == KILN_TYPE_VARCHAR) {
            ut = xt;
        } else if (xt == KILN_TYPE_VARCHAR) {
            ut = st;
        } else {
            rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc,
                           "Cannot compare values of type %s and type %s in IN (subquery)",
                           kiln_type_name(xt), kiln_type_name(st));
        }
    }
    if (!rc) rc = add_cast(b, &x, ut, a->loc, false);
    else expr_free(x);
    if (!rc) {
        node = expr_new(EXPR_IN_SET, KILN_TYPE_BOOLEAN, 1);
        if (!node) rc = bind_oom(b);
    }
    if (!rc) {
        node->loc = a->loc;
        node->args[0] = x;
        x = NULL;
        node->set = ht_create(&ut, 1);
        if (!node->set) rc = bind_oom(b);
        kl_vec conv;
        bool have_conv = false;
        if (!rc && t->types[0] != ut) {
            if (vec_init(&conv, ut, KL_CHUNK_ROWS)) rc = bind_oom(b);
            else have_conv = true;
        }
        uint32_t gids[KL_CHUNK_ROWS];
        for (size_t c = 0; !rc && c < t->n_chunks; c++) {
            kl_vec *v = &t->chunks[c]->cols[0];
            uint32_t n = t->chunks[c]->n_rows;
            if (have_conv) {
                vec_reset(&conv);
                if ((rc = func_cast(v, n, &conv, false, b->err))) {
                    kl_err_set_offset(b->err, a->loc);
                    break;
                }
                v = &conv;
            }
            for (uint32_t i = 0; i < n; i++) node->set_has_null |= v->type == KILN_TYPE_NULL || v->nulls[i];
            rc = ht_find_or_insert(node->set, &v, n, gids, b->err);
        }
        if (have_conv) vec_free(&conv);
    }
    table_free(t);
    if (rc) {
        expr_free(node);
        return rc;
    }
    if (a->negated) {
        kl_expr *nt = expr_new(EXPR_NOT, KILN_TYPE_BOOLEAN, 1);
        if (!nt) return expr_free(node), bind_oom(b);
        nt->loc = a->loc;
        nt->args[0] = node;
        node = nt;
    }
    *out = node;
    return 0;
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
    default: return "?";
    }
}

static bool is_comparison(int op) { return op >= KL_OP_EQ && op <= KL_OP_GE; }

/* Fold e if it has no column references. */
static int maybe_fold(binder *b, kl_expr **e) {
    if ((*e)->kind == EXPR_CONST || (*e)->kind == EXPR_COLUMN) return 0;
    if (!expr_is_constant(*e)) return 0;
    int rc = expr_fold(e, b->err);
    if (rc) {
        kl_err_set_offset(b->err, (*e)->loc);
        expr_free(*e);
        *e = NULL;
    }
    return rc;
}

/* Cast e to type `to` (consumes e; on failure frees it and sets *e NULL). */
static int add_cast(binder *b, kl_expr **e, kl_type to, int loc, bool try_mode) {
    kl_expr *x = *e;
    if (x->type == to || to == KILN_TYPE_NULL) return 0;
    if (x->kind == EXPR_CONST && x->type == KILN_TYPE_NULL) {
        kl_expr *c = expr_new_const_null(to);
        if (!c) return bind_oom(b);
        c->loc = x->loc;
        expr_free(x);
        *e = c;
        return 0;
    }
    if (!func_can_cast(x->type, to)) {
        int rc = kl_err_at(b->err, KILN_ERR_BINDER, loc, "Unimplemented type for cast (%s -> %s)",
                           kiln_type_name(x->type), kiln_type_name(to));
        expr_free(x);
        *e = NULL;
        return rc;
    }
    kl_expr *c = expr_new(EXPR_CAST, to, 1);
    if (!c) {
        expr_free(x);
        *e = NULL;
        return bind_oom(b);
    }
    c->loc = loc;
    c->try_cast = try_mode;
    c->args[0] = x;
    *e = c;
    return maybe_fold(b, e);
}

static int bind_scalar_call(binder *b, env *e, ast_expr *a, const kl_scalar_def *fn, kl_expr **out);

static int bind_column(binder *b, env *e, ast_expr *a, kl_expr **out) {
    scope *s = e->sc;
    long found = -1;
    if (s) {
        for (uint32_t i = 0; i < s->n; i++) {
            if (strcasecmp(s->cols[i].name, a->name)) continue;
            if (a->table ? !str_eq_ci(a->table, s->cols[i].table) : s->cols[i].hidden) continue;
            if (found >= 0)
                return kl_err_at(b->err, KILN_ERR_BINDER, a->loc,
                                 "Ambiguous reference to column name \"%s\"", a->name);
            found = (long)i;
        }
    }
    if (found < 0 && !a->table &&
        (!strcasecmp(a->name, "current_date") || !strcasecmp(a->name, "current_timestamp") ||
         !strcasecmp(a->name, "localtimestamp"))) {
        /* SQL's parameterless functions are written without parentheses */
        const kl_scalar_def *fn = func_find_scalar(!strcasecmp(a->name, "localtimestamp") ? "current_timestamp" : a->name);
        if (fn) {
            ast_expr call = *a;
            call.kind = AST_FUNC;
            call.n_args = 0;
            call.args = NULL;
            call.arg_names = NULL;
            return bind_scalar_call(b, e, &call, fn, out);
        }
    }
    if (found < 0 && !a->table && e->alias_sel) {
        /* DuckDB lets WHERE, HAVING and QUALIFY name a select-list alias */
        ast_select *sel = e->alias_sel;
        for (int i = 0; i < sel->n_items; i++)
            if (sel->items[i].alias && !strcasecmp(sel->items[i].alias, a->name)) {
                env inner = *e;
                inner.alias_sel = NULL;
                return bind_expr(b, &inner, sel->items[i].expr, out);
            }
    }
    if (found < 0) {
        kl_buf msg = {0};
        if (a->table)
            kl_buf_printf(&msg, "Referenced column \"%s.%s\" not found in FROM clause!", a->table, a->name);
        else
            kl_buf_printf(&msg, "Referenced column \"%s\" not found in FROM clause!", a->name);
        if (s && s->n) {
            kl_buf_puts(&msg, " Candidate columns: ");
            for (uint32_t i = 0; i < s->n && i < 40; i++)
                kl_buf_printf(&msg, "%s\"%s\"", i ? ", " : "", s->cols[i].name);
            if (s->n > 40) kl_buf_printf(&msg, ", ... (%u columns)", s->n);
        } else {
            kl_buf_puts(&msg, " The query has no FROM clause, so there are no columns.");
        }
        int rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "%s", msg.data ? msg.data : "column not found");
        kl_buf_free(&msg);
        return rc;
    }
    if (e->agg)
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc,
                         "column \"%s\" must appear in the GROUP BY clause or must be part of an "
                         "aggregate function. Either add it to the GROUP BY list, or use "
                         "\"ANY_VALUE(%s)\" if the exact value of \"%s\" is not important.",
                         a->name, a->name, a->name);
    s->used[found] = true;
    *out = expr_new_column((uint32_t)found, s->cols[found].type);
    if (!*out) return bind_oom(b);
    (*out)->loc = a->loc;
    return 0;
}

static int bind_const(binder *b, ast_expr *a, kl_expr **out) {
    kl_vec v;
    kl_type t = a->lit_type;
    if (vec_init(&v, t, 1)) return bind_oom(b);
    int rc = 0;
    switch (t) {
    case KILN_TYPE_BIGINT: VEC_I64(&v)[0] = a->ival; break;
    case KILN_TYPE_DOUBLE: VEC_F64(&v)[0] = a->dval; break;
    case KILN_TYPE_BOOLEAN: VEC_U8(&v)[0] = a->bval; break;
    case KILN_TYPE_VARCHAR:
        rc = vec_set_string(&v, 0, a->sval ? a->sval : "", a->sval ? strlen(a->sval) : 0);
        break;
    case KILN_TYPE_NULL: break;
    default: rc = kl_err_at(b->err, KILN_ERR_INTERNAL, a->loc, "unexpected literal type");
    }
    if (!rc) {
        *out = expr_new_const_from(&v, 0);
        if (!*out) rc = bind_oom(b);
        else (*out)->loc = a->loc;
    }
    vec_free(&v);
    return rc;
}

/* Build a node with the given children (consumed). */
static int make_node(binder *b, kl_expr_kind kind, kl_type type, int loc, kl_expr **kids, int n,
                     kl_expr **out) {
    kl_expr *x = expr_new(kind, type, n);
    if (!x) {
        for (int i = 0; i < n; i++) expr_free(kids[i]);
        return bind_oom(b);
    }
    x->loc = loc;
    for (int i = 0; i < n; i++) x->args[i] = kids[i];
    *out = x;
    return maybe_fold(b, out);
}

static int require_bool(binder *b, kl_expr **x, int loc, const char *what) {
    if ((*x)->type == KILN_TYPE_BOOLEAN) return 0;
    if ((*x)->type == KILN_TYPE_NULL) return add_cast(b, x, KILN_TYPE_BOOLEAN, loc, false);
    int rc = kl_err_at(b->err, KILN_ERR_BINDER, loc, "%s must be of type BOOLEAN, not %s", what,
                       kiln_type_name((*x)->type));
    expr_free(*x);
    *x = NULL;
    return rc;
}

/* Binary operator on bound children l, r (consumed). */
static int bind_binary_bound(binder *b, int op, int loc, kl_expr *l, kl_expr *r, kl_expr **out) {
    /* A VARCHAR literal meets a typed value: read the literal as that type. */
    if (is_comparison(op) || op == KL_OP_ADD || op == KL_OP_SUB) {
        if (l->kind == EXPR_CONST && l->type == KILN_TYPE_VARCHAR && r->type != KILN_TYPE_VARCHAR &&
            r->type != KILN_TYPE_NULL && is_comparison(op)) {
            if (add_cast(b, &l, r->type, l->loc, false)) return expr_free(r), b->err ? b->err->code : KILN_ERR_BINDER;
        } else if (r->kind == EXPR_CONST && r->type == KILN_TYPE_VARCHAR &&
                   l->type != KILN_TYPE_VARCHAR && l->type != KILN_TYPE_NULL && is_comparison(op)) {
            if (add_cast(b, &r, l->type, r->loc, false)) return expr_free(l), b->err ? b->err->code : KILN_ERR_BINDER;
        }
    }
    kl_type lt = l->type, rt = r->type;
    if (lt == KILN_TYPE_NULL && rt != KILN_TYPE_NULL) lt = rt;
    if (rt == KILN_TYPE_NULL && lt != KILN_TYPE_NULL) rt = lt;
    if (lt == KILN_TYPE_NULL && rt == KILN_TYPE_NULL) {
        /* NULL op NULL: result NULL of the operator's natural type */
        lt = rt = op == KL_OP_CONCAT ? KILN_TYPE_VARCHAR : KILN_TYPE_BIGINT;
    }
    kl_type lc, rc_t, ret;
    kl_error tmp;
    kiln_error_clear(&tmp);
    if (func_binary_types(op, lt, rt, &lc, &rc_t, &ret, &tmp)) {
        expr_free(l);
        expr_free(r);
        if (is_comparison(op))
            return kl_err_at(b->err, KILN_ERR_BINDER, loc,
                             "Cannot compare values of type %s and type %s (operator %s) - an "
                             "explicit cast is required",
                             kiln_type_name(lt), kiln_type_name(rt), op_name(op));
        return kl_err_at(b->err, KILN_ERR_BINDER, loc,
                         "No operator %s for types %s and %s. Add explicit casts to make the "
                         "types match.",
                         op_name(op), kiln_type_name(lt), kiln_type_name(rt));
    }
    if (add_cast(b, &l, lc, loc, false)) return expr_free(r), b->err->code;
    if (add_cast(b, &r, rc_t, loc, false)) return expr_free(l), b->err->code;
    kl_expr *x = expr_new(EXPR_BINARY, ret, 2);
    if (!x) return expr_free(l), expr_free(r), bind_oom(b);
    x->loc = loc;
    x->op = op;
    x->args[0] = l;
    x->args[1] = r;
    *out = x;
    return maybe_fold(b, out);
}

static int bind_logic(binder *b, kl_expr_kind kind, int loc, kl_expr *l, kl_expr *r, kl_expr **out) {
    if (require_bool(b, &l, loc, kind == EXPR_AND ? "argument of AND" : "argument of OR"))
        return expr_free(r), b->err->code;
    if (require_bool(b, &r, loc, kind == EXPR_AND ? "argument of AND" : "argument of OR"))
        return expr_free(l), b->err->code;
    kl_expr *kids[2] = {l, r};
    return make_node(b, kind, KILN_TYPE_BOOLEAN, loc, kids, 2, out);
}

static int bind_not(binder *b, int loc, kl_expr *x, kl_expr **out) {
    TRY(require_bool(b, &x, loc, "argument of NOT"));
    return make_node(b, EXPR_NOT, KILN_TYPE_BOOLEAN, loc, &x, 1, out);
}

/* Common supertype for CASE branches, COALESCE, VALUES columns. */
static bool unify_types(kl_type a, kl_type b, kl_type *out) {
    if (a == b || b == KILN_TYPE_NULL) return *out = a, true;
    if (a == KILN_TYPE_NULL) return *out = b, true;
    if ((a == KILN_TYPE_BIGINT && b == KILN_TYPE_DOUBLE) || (a == KILN_TYPE_DOUBLE && b == KILN_TYPE_BIGINT))
        return *out = KILN_TYPE_DOUBLE, true;
    if ((a == KILN_TYPE_DATE && b == KILN_TYPE_TIMESTAMP) || (a == KILN_TYPE_TIMESTAMP && b == KILN_TYPE_DATE))
        return *out = KILN_TYPE_TIMESTAMP, true;
    return false;
}

static int bind_scalar_call(binder *b, env *e, ast_expr *a, const kl_scalar_def *fn, kl_expr **out) {
    int n = a->n_args;
    if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args)) {
        if (fn->max_args == fn->min_args)
            return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "%s() takes %d argument%s but %d %s given",
                             a->name, fn->min_args, fn->min_args == 1 ? "" : "s", n, n == 1 ? "was" : "were");
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "%s() takes %d to %d arguments but %d %s given",
                         a->name, fn->min_args, fn->max_args, n, n == 1 ? "was" : "were");
    }
    if (a->arg_names)
        for (int i = 0; i < n; i++)
            if (a->arg_names[i])
                return kl_err_at(b->err, KILN_ERR_BINDER, a->args[i]->loc,
                                 "%s() has no named parameter \"%s\"", a->name, a->arg_names[i]);
    kl_expr *x = expr_new(EXPR_FUNC, KILN_TYPE_NULL, n);
    if (!x) return bind_oom(b);
    x->loc = a->loc;
    x->fn = fn;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) rc = bind_expr(b, e, a->args[i], &x->args[i]);
    if (rc) {
        expr_free(x);
        return rc;
    }
    kl_type types[64];
    if (n > 64) {
        expr_free(x);
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "too many arguments to %s()", a->name);
    }
    const kl_vec *consts[64];
    for (int i = 0; i < n; i++) {
        types[i] = x->args[i]->type;
        consts[i] = x->args[i]->kind == EXPR_CONST ? &x->args[i]->result : NULL;
    }
    kl_type ret = KILN_TYPE_NULL;
    x->ctx.n_args = n;
    x->ctx.const_args = consts;
    rc = fn->bind(&x->ctx, types, n, &ret, b->err);
    x->ctx.const_args = NULL;
    if (rc) {
        kl_err_set_offset(b->err, a->loc);
        expr_free(x);
        return rc;
    }
    for (int i = 0; i < n && !rc; i++) {
        rc = add_cast(b, &x->args[i], types[i], a->args[i]->loc, false);
        if (i < 8) x->ctx.arg_types[i] = types[i];
    }
    if (rc) {
        expr_free(x);
        return rc;
    }
    x->ctx.ret_type = ret;
    x->type = ret;
    if (vec_retype(&x->result, ret)) {
        expr_free(x);
        return bind_oom(b);
    }
    *out = x;
    return maybe_fold(b, out);
}

/* Bind an aggregate call: resolve the definition (count(*) -> count_star, count(DISTINCT x)
   -> count_distinct), bind its arguments in arg_env, let the aggregate choose argument types,
   and cast. Used for GROUP BY aggregates and window aggregates. */
static int build_agg_call(binder *b, env *arg_env, ast_expr *a, kl_agg_call *call) {
    const char *name = a->name;
    int n = a->n_args;
    if (!strcasecmp(name, "count") && (a->star || n == 0)) {
        name = "count_star";
        n = 0;
    } else if (a->distinct) {
        if (strcasecmp(name, "count"))
            return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "DISTINCT is only supported in count() so far, not in %s()", name);
        name = "count_distinct";
    }
    const kl_agg_def *def = func_find_agg(name);
    if (!def) return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "Aggregate function %s does not exist", name);
    /* positional arguments, then named ones (name := constant) */
    int n_named = 0;
    for (int i = 0; a->arg_names && i < a->n_args; i++) n_named += a->arg_names[i] != NULL;
    if (n) n -= n_named;
    if (n < def->min_args || (def->max_args >= 0 && n > def->max_args))
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "%s() does not take %d argument%s", a->name, n, n == 1 ? "" : "s");
    memset(call, 0, sizeof *call);
    call->def = def;
    call->n_args = n;
    call->args = kl_calloc(n ? (size_t)n : 1, sizeof(kl_expr *));
    if (!call->args) return bind_oom(b);
    int rc = 0;
    enum { MAX_AGG_ARGS = 129 };
    kl_type types[MAX_AGG_ARGS];
    kl_expr *named[MAX_AGG_ARGS];
    kl_fn_param params[MAX_AGG_ARGS];
    if (n > MAX_AGG_ARGS - 1 || n_named > MAX_AGG_ARGS - 1)
        rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "too many arguments to %s() (at most %d)", a->name, MAX_AGG_ARGS - 1);
    for (int i = 0, pos = 0, k = 0; i < a->n_args && !rc; i++) {
        if (a->args[i]->kind == AST_FUNC && is_agg_call(a->args[i]) && !arg_env->agg) {
            rc = kl_err_at(b->err, KILN_ERR_BINDER, a->args[i]->loc, "aggregate function calls cannot be nested");
        } else if (n_named && a->arg_names[i]) {
            const char *pn = a->arg_names[i];
            bool known = false;
            for (int j = 0; def->param_names && def->param_names[j]; j++) known |= !strcasecmp(def->param_names[j], pn);
            for (int j = 0; j < k && known; j++)
                if (!strcasecmp(params[j].name, pn))
                    rc = kl_err_at(b->err, KILN_ERR_BINDER, a->args[i]->loc, "%s() got parameter \"%s\" twice", a->name, pn);
            if (rc) break;
            if (!known) {
                char list[256] = "";
                for (int j = 0; def->param_names && def->param_names[j]; j++)
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "", def->param_names[j]);
                rc = kl_err_at(b->err, KILN_ERR_BINDER, a->args[i]->loc, "%s() has no parameter \"%s\"%s%s%s", a->name, pn,
                               *list ? " (known: " : "", list, *list ? ")" : "");
                break;
            }
            env cenv = {NULL, NULL, "a named parameter", NULL, NULL};
            rc = bind_expr(b, &cenv, a->args[i], &named[k]);
            if (!rc && named[k]->kind != EXPR_CONST) {
                expr_free(named[k]);
                rc = kl_err_at(b->err, KILN_ERR_BINDER, a->args[i]->loc, "parameter \"%s\" of %s() must be a constant", pn, a->name);
            }
            if (rc) break;
            params[k] = (kl_fn_param){pn, &named[k]->result, a->args[i]->loc};
            k++;
        } else {
            rc = bind_expr(b, arg_env, a->args[i], &call->args[pos]);
            if (!rc) types[pos] = call->args[pos]->type;
            pos++;
        }
        if (rc) {
            for (int j = 0; j < k; j++) expr_free(named[j]);
            n_named = 0;
        }
    }
    if (!rc) {
        call->ctx.n_args = n;
        call->ctx.params = n_named ? params : NULL;
        call->ctx.n_params = n_named;
        call->ctx.threads = b->threads;
        rc = def->bind(&call->ctx, types, n, &call->ret_type, &call->state_size, b->err);
        if (rc) kl_err_set_offset(b->err, a->loc);
        call->ctx.params = NULL;
        call->ctx.n_params = 0;
        for (int j = 0; j < n_named; j++) expr_free(named[j]);
    }
    for (int i = 0; i < n && !rc; i++) {
        rc = add_cast(b, &call->args[i], types[i], call->args[i]->loc, false);
        if (i < 8) call->ctx.arg_types[i] = types[i];
    }
    if (rc) {
        agg_call_clear(call);
        return rc;
    }
    call->ctx.ret_type = call->ret_type;
    return 0;
}

static int bind_agg_call(binder *b, env *e, ast_expr *a, kl_expr **out) {
    agg_env *ag = e->agg;
    if (!ag)
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "aggregate function calls are not allowed in %s",
                         e->clause ? e->clause : "this context");
    for (uint32_t i = 0; i < ag->n_aggs; i++)
        if (ast_equal(ag->agg_asts[i], a)) {
            *out = expr_new_column(ag->n_keys + i, ag->aggs[i].ret_type);
            return *out ? 0 : bind_oom(b);
        }
    if (ag->n_aggs == ag->cap_aggs) {
        uint32_t cap = ag->cap_aggs ? ag->cap_aggs * 2 : 8;
        kl_agg_call *na = kl_realloc(ag->aggs, cap * sizeof *na);
        if (!na) return bind_oom(b);
        ag->aggs = na;
        ast_expr **nx = kl_realloc(ag->agg_asts, cap * sizeof *nx);
        if (!nx) return bind_oom(b);
        ag->agg_asts = nx;
        ag->cap_aggs = cap;
    }
    /* arguments are bound against the input, outside the aggregate context */
    env inner = {e->sc, NULL, "aggregate function arguments", NULL, NULL};
    kl_agg_call call;
    TRY(build_agg_call(b, &inner, a, &call));
    ag->aggs[ag->n_aggs] = call;
    ag->agg_asts[ag->n_aggs] = a;
    ag->n_aggs++;
    *out = expr_new_column(ag->n_keys + ag->n_aggs - 1, call.ret_type);
    return *out ? 0 : bind_oom(b);
}

/* ---- window functions -------------------------------------------------------------- */

/* Window calls of one SELECT. Their results are columns after the window operator's input
   columns, whose count is only known once every aggregate is bound, so references use
   WIN_COL_BASE + index and are renumbered at the end (win_renumber). */
#define WIN_COL_BASE 0x40000000u

typedef struct win_env {
    kl_win_call *calls;
    ast_expr **asts;
    uint32_t n, cap;
} win_env;

static void win_renumber(uint32_t *col, void *ctx) {
    if (*col >= WIN_COL_BASE) *col = *col - WIN_COL_BASE + *(uint32_t *)ctx;
}

static int const_int(binder *b, ast_expr *a, const char *opt, int64_t *out);

static int frame_offset(binder *b, ast_expr *a, int64_t *out) {
    if (!a) return *out = 0, 0;
    TRY(const_int(b, a, "window frame offset", out));
    if (*out < 0) return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "window frame offset must not be negative");
    return 0;
}

static kl_bound_kind bound_of(ast_bound_kind k) {
    switch (k) {
    case AST_BOUND_UNBOUNDED_PRECEDING: return KL_BOUND_UNBOUNDED_PRECEDING;
    case AST_BOUND_PRECEDING: return KL_BOUND_PRECEDING;
    case AST_BOUND_CURRENT_ROW: return KL_BOUND_CURRENT_ROW;
    case AST_BOUND_FOLLOWING: return KL_BOUND_FOLLOWING;
    default: return KL_BOUND_UNBOUNDED_FOLLOWING;
    }
}

static int bind_window_call(binder *b, env *e, ast_expr *a, kl_expr **out) {
    win_env *w = e->win;
    if (!w)
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "window functions are not allowed in %s",
                         e->clause ? e->clause : "this context");
    for (uint32_t i = 0; i < w->n; i++)
        if (w->asts[i] == a) {
            *out = expr_new_column(WIN_COL_BASE + i, w->calls[i].ret_type);
            return *out ? 0 : bind_oom(b);
        }
    static const struct { const char *name; kl_win_kind kind; int min, max; } fns[] = {
        {"row_number", KL_WIN_ROW_NUMBER, 0, 0}, {"rank", KL_WIN_RANK, 0, 0},
        {"dense_rank", KL_WIN_DENSE_RANK, 0, 0}, {"percent_rank", KL_WIN_PERCENT_RANK, 0, 0},
        {"cume_dist", KL_WIN_CUME_DIST, 0, 0},   {"ntile", KL_WIN_NTILE, 1, 1},
        {"lag", KL_WIN_LAG, 1, 3},               {"lead", KL_WIN_LEAD, 1, 3},
        {"first_value", KL_WIN_FIRST_VALUE, 1, 1}, {"last_value", KL_WIN_LAST_VALUE, 1, 1},
        {"nth_value", KL_WIN_NTH_VALUE, 2, 2},
    };
    kl_win_call call;
    memset(&call, 0, sizeof call);
    call.kind = KL_WIN_AGG;
    int fi = -1;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (!strcasecmp(a->name, fns[i].name)) fi = (int)i;
    /* arguments: same scope, but no nested window calls */
    env ae = *e;
    ae.win = NULL;
    ae.clause = "window function arguments";
    int rc = 0;
    if (fi >= 0) {
        call.kind = fns[fi].kind;
        if (a->n_args < fns[fi].min || a->n_args > fns[fi].max)
            return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "%s() does not take %d argument%s", a->name, a->n_args,
                             a->n_args == 1 ? "" : "s");
        call.n_args = a->n_args;
        call.args = kl_calloc(a->n_args ? (size_t)a->n_args : 1, sizeof(kl_expr *));
        if (!call.args) return bind_oom(b);
        for (int i = 0; i < a->n_args && !rc; i++) rc = bind_expr(b, &ae, a->args[i], &call.args[i]);
        switch (call.kind) {
        case KL_WIN_PERCENT_RANK:
        case KL_WIN_CUME_DIST: call.ret_type = KILN_TYPE_DOUBLE; break;
        case KL_WIN_ROW_NUMBER:
        case KL_WIN_RANK:
        case KL_WIN_DENSE_RANK: call.ret_type = KILN_TYPE_BIGINT; break;
        case KL_WIN_NTILE:
            call.ret_type = KILN_TYPE_BIGINT;
            if (!rc) rc = add_cast(b, &call.args[0], KILN_TYPE_BIGINT, a->args[0]->loc, false);
            break;
        default:
            if (rc) break;
            call.ret_type = call.args[0]->type;
            if (call.ret_type == KILN_TYPE_NULL) {
                call.ret_type = KILN_TYPE_BIGINT;
                rc = add_cast(b, &call.args[0], KILN_TYPE_BIGINT, a->args[0]->loc, false);
            }
            if (!rc && a->n_args >= 2) rc = add_cast(b, &call.args[1], KILN_TYPE_BIGINT, a->args[1]->loc, false);
            if (!rc && a->n_args >= 3) {
                kl_type t;
                if (!unify_types(call.ret_type, call.args[2]->type, &t)) t = call.ret_type;
                if (t != call.ret_type) {
                    call.ret_type = t;
                    rc = add_cast(b, &call.args[0], t, a->args[0]->loc, false);
                }
                if (!rc) rc = add_cast(b, &call.args[2], t, a->args[2]->loc, false);
            }
        }
    } else if (!strcasecmp(a->name, "count") || func_find_agg(a->name)) {
        if (a->distinct)
            return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "DISTINCT is not supported in window aggregates");
        rc = build_agg_call(b, &ae, a, &call.agg);
        if (!rc) call.ret_type = call.agg.ret_type;
    } else {
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "Window function %s does not exist", a->name);
    }
    ast_window *ow = a->over;
    ast_window merged;
    if (!rc && ow->ref_name) {
        /* OVER w / OVER (w ORDER BY ..): start from the WINDOW clause's definition */
        ast_window *def = NULL;
        for (int i = 0; b->cur_sel && i < b->cur_sel->n_windows; i++)
            if (!strcasecmp(b->cur_sel->windows[i].name, ow->ref_name)) def = b->cur_sel->windows[i].def;
        if (!def) {
            rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "window \"%s\" does not exist", ow->ref_name);
        } else {
            merged = *def;
            merged.ref_name = NULL;
            if (ow->n_partition_by) {
                merged.partition_by = ow->partition_by;
                merged.n_partition_by = ow->n_partition_by;
            }
            if (ow->n_order_by) {
                merged.order_by = ow->order_by;
                merged.n_order_by = ow->n_order_by;
            }
            if (ow->frame != AST_FRAME_DEFAULT) {
                merged.frame = ow->frame;
                merged.start_kind = ow->start_kind;
                merged.end_kind = ow->end_kind;
                merged.start_offset = ow->start_offset;
                merged.end_offset = ow->end_offset;
            }
            ow = &merged;
        }
    }
    if (!rc && ow->n_partition_by) {
        call.partition = kl_calloc((size_t)ow->n_partition_by, sizeof(kl_expr *));
        if (!call.partition) rc = bind_oom(b);
        for (int i = 0; !rc && i < ow->n_partition_by; i++) {
            rc = bind_expr(b, &ae, ow->partition_by[i], &call.partition[i]);
            if (!rc) call.n_partition++;
        }
    }
    if (!rc && ow->n_order_by) {
        uint32_t n = (uint32_t)ow->n_order_by;
        call.order = kl_calloc(n, sizeof(kl_expr *));
        call.desc = kl_calloc(n, sizeof(bool));
        call.nulls_first = kl_calloc(n, sizeof(bool));
        if (!call.order || !call.desc || !call.nulls_first) rc = bind_oom(b);
        for (uint32_t i = 0; !rc && i < n; i++) {
            rc = bind_expr(b, &ae, ow->order_by[i].expr, &call.order[i]);
            if (rc) break;
            call.n_order++;
            call.desc[i] = ow->order_by[i].desc;
            call.nulls_first[i] = ow->order_by[i].nulls_first == 1;
        }
    }
    if (!rc) {
        call.frame = ow->frame == AST_FRAME_ROWS ? KL_FRAME_ROWS : ow->frame == AST_FRAME_RANGE ? KL_FRAME_RANGE : KL_FRAME_DEFAULT;
        call.start = bound_of(ow->start_kind);
        call.end = bound_of(ow->end_kind);
        rc = frame_offset(b, ow->start_offset, &call.start_offset);
        if (!rc) rc = frame_offset(b, ow->end_offset, &call.end_offset);
    }
    if (!rc && w->n == w->cap) {
        uint32_t cap = w->cap ? w->cap * 2 : 4;
        kl_win_call *nc = kl_realloc(w->calls, cap * sizeof *nc);
        if (nc) w->calls = nc;
        ast_expr **na = nc ? kl_realloc(w->asts, cap * sizeof *na) : NULL;
        if (na) {
            w->asts = na;
            w->cap = cap;
        } else {
            rc = bind_oom(b);
        }
    }
    if (rc) {
        win_call_clear(&call);
        return rc;
    }
    w->calls[w->n] = call;
    w->asts[w->n] = a;
    w->n++;
    *out = expr_new_column(WIN_COL_BASE + w->n - 1, call.ret_type);
    return *out ? 0 : bind_oom(b);
}

static int bind_case(binder *b, env *e, ast_expr *a, kl_expr **out) {
    int n_pairs = a->n_args / 2;
    bool has_else = a->else_expr != NULL;
    int n = n_pairs * 2 + (has_else ? 1 : 0);
    kl_expr *x = expr_new(EXPR_CASE, KILN_TYPE_NULL, n);
    if (!x) return bind_oom(b);
    x->loc = a->loc;
    x->has_else = has_else;
    int rc = 0;
    for (int p = 0; p < n_pairs && !rc; p++) {
        ast_expr *w = a->args[2 * p];
        if (a->case_operand) {
            kl_expr *l = NULL, *r = NULL;
            rc = bind_expr(b, e, a->case_operand, &l);
            if (!rc) rc = bind_expr(b, e, w, &r);
            if (rc) {
                expr_free(l);
                break;
            }
            rc = bind_binary_bound(b, KL_OP_EQ, w->loc, l, r, &x->args[2 * p]);
        } else {
            rc = bind_expr(b, e, w, &x->args[2 * p]);
            if (!rc) rc = require_bool(b, &x->args[2 * p], w->loc, "CASE WHEN condition");
        }
        if (!rc) rc = bind_expr(b, e, a->args[2 * p + 1], &x->args[2 * p + 1]);
    }
    if (!rc && has_else) rc = bind_expr(b, e, a->else_expr, &x->args[n - 1]);
    if (rc) {
        expr_free(x);
        return rc;
    }
    kl_type t = KILN_TYPE_NULL;
    for (int p = 0; p <= n_pairs; p++) {
        int idx = p < n_pairs ? 2 * p + 1 : (has_else ? n - 1 : -1);
        if (idx < 0) break;
        kl_type prev = t;
        if (!unify_types(prev, x->args[idx]->type, &t)) {
            kl_type other = x->args[idx]->type;
            expr_free(x);
            return kl_err_at(b->err, KILN_ERR_BINDER, a->loc,
                             "Cannot mix values of type %s and %s in CASE expression - an explicit cast is required",
                             kiln_type_name(prev), kiln_type_name(other));
        }
    }
    for (int p = 0; p < n_pairs && !rc; p++) rc = add_cast(b, &x->args[2 * p + 1], t, a->loc, false);
    if (!rc && has_else) rc = add_cast(b, &x->args[n - 1], t, a->loc, false);
    if (rc) {
        expr_free(x);
        return rc;
    }
    x->type = t;
    if (vec_retype(&x->result, t)) {
        expr_free(x);
        return bind_oom(b);
    }
    *out = x;
    return maybe_fold(b, out);
}

/* a IS NOT DISTINCT FROM b == CASE WHEN a IS NULL THEN b IS NULL WHEN b IS NULL THEN false
   ELSE a = b END ; IS DISTINCT FROM is its negation. */
static int bind_is_distinct(binder *b, env *e, ast_expr *a, kl_expr **out) {
    kl_expr *k[5] = {0};
    int rc = 0;
    kl_expr *l1 = NULL, *r1 = NULL;
    for (int i = 0; i < 3 && !rc; i++) {
        kl_expr *x;
        rc = bind_expr(b, e, a->args[i == 1 ? 1 : (i == 0 ? 0 : 1)], &x);
        if (rc) break;
        kl_expr *isn = expr_new(EXPR_IS_NULL, KILN_TYPE_BOOLEAN, 1);
        if (!isn) {
            expr_free(x);
            rc = bind_oom(b);
            break;
        }
        isn->args[0] = x;
        /* k[0] = a IS NULL, k[1] = b IS NULL (then of the first WHEN), k[2] = b IS NULL */
        k[i] = isn;
    }
    if (!rc) {
        kl_vec fv;
        if (vec_init(&fv, KILN_TYPE_BOOLEAN, 1)) rc = bind_oom(b);
        else {
            VEC_U8(&fv)[0] = 0;
            k[3] = expr_new_const_from(&fv, 0);
            vec_free(&fv);
            if (!k[3]) rc = bind_oom(b);
        }
    }
    if (!rc) rc = bind_expr(b, e, a->args[0], &l1);
    if (!rc) rc = bind_expr(b, e, a->args[1], &r1);
    if (!rc) {
        rc = bind_binary_bound(b, KL_OP_EQ, a->loc, l1, r1, &k[4]);
        l1 = r1 = NULL;
    }
    if (rc) {
        for (int i = 0; i < 5; i++) expr_free(k[i]);
        expr_free(l1);
        expr_free(r1);
        return rc;
    }
    kl_expr *c = expr_new(EXPR_CASE, KILN_TYPE_BOOLEAN, 5);
    if (!c) {
        for (int i = 0; i < 5; i++) expr_free(k[i]);
        return bind_oom(b);
    }
    c->loc = a->loc;
    c->has_else = true;
    for (int i = 0; i < 5; i++) c->args[i] = k[i];
    *out = c;
    TRY(maybe_fold(b, out));
    if (a->op == KL_OP_IS_DISTINCT) return bind_not(b, a->loc, *out, out);
    return 0;
}

static int bind_expr_inner(binder *b, env *e, ast_expr *a, kl_expr **out) {
    /* In aggregate context, an expression equal to a GROUP BY item is that key column. */
    if (e->agg) {
        for (uint32_t k = 0; k < e->agg->n_keys; k++)
            if (ast_equal(e->agg->group_asts[k], a)) {
                *out = expr_new_column(k, e->agg->key_types[k]);
                if (!*out) return bind_oom(b);
                (*out)->loc = a->loc;
                return 0;
            }
    }
    kl_expr *l = NULL, *r = NULL;
    switch (a->kind) {
    case AST_CONST: return bind_const(b, a, out);
    case AST_COLUMN: return bind_column(b, e, a, out);
    case AST_STAR:
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "* is only allowed in the select list or count(*)");
    case AST_BINARY:
        if (a->op == KL_OP_IS_DISTINCT || a->op == KL_OP_IS_NOT_DISTINCT) return bind_is_distinct(b, e, a, out);
        if (a->op == KL_OP_AND || a->op == KL_OP_OR) {
            TRY(bind_expr(b, e, a->args[0], &l));
            if (bind_expr(b, e, a->args[1], &r)) return expr_free(l), b->err->code;
            return bind_logic(b, a->op == KL_OP_AND ? EXPR_AND : EXPR_OR, a->loc, l, r, out);
        }
        TRY(bind_expr(b, e, a->args[0], &l));
        if (bind_expr(b, e, a->args[1], &r)) return expr_free(l), b->err->code;
        return bind_binary_bound(b, a->op, a->loc, l, r, out);
    case AST_UNARY:
        TRY(bind_expr(b, e, a->args[0], &l));
        if (a->op == KL_OP_NOT) return bind_not(b, a->loc, l, out);
        if (a->op == KL_OP_PLUS) return *out = l, 0;
        if (l->type == KILN_TYPE_NULL) return *out = l, 0;
        if (l->type != KILN_TYPE_BIGINT && l->type != KILN_TYPE_DOUBLE && l->type != KILN_TYPE_INTERVAL) {
            kl_type t = l->type;
            expr_free(l);
            return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "No operator - for type %s", kiln_type_name(t));
        }
        return make_node(b, EXPR_NEG, l->type, a->loc, &l, 1, out);
    case AST_FUNC: {
        if (a->over) return bind_window_call(b, e, a, out);
        if (is_agg_call(a)) return bind_agg_call(b, e, a, out);
        if ((!strcasecmp(a->name, "date_part") || !strcasecmp(a->name, "datepart")) && a->n_args == 2 &&
            a->args[0]->kind == AST_CONST && a->args[0]->lit_type == KILN_TYPE_VARCHAR && a->args[0]->sval &&
            (!strcasecmp(a->args[0]->sval, "epoch") || !strcasecmp(a->args[0]->sval, "julian"))) {
            /* the DOUBLE-valued parts: extract(epoch FROM x) is epoch(x) */
            ast_expr call = *a;
            call.name = !strcasecmp(a->args[0]->sval, "epoch") ? "epoch" : "julian";
            call.args = a->args + 1;
            call.n_args = 1;
            call.arg_names = NULL;
            const kl_scalar_def *efn = func_find_scalar(call.name);
            if (efn) return bind_scalar_call(b, e, &call, efn, out);
        }
        const kl_scalar_def *fn = func_find_scalar(a->name);
        if (!fn) return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "Scalar Function with name %s does not exist!", a->name);
        return bind_scalar_call(b, e, a, fn, out);
    }
    case AST_CASE: return bind_case(b, e, a, out);
    case AST_CAST:
        TRY(bind_expr(b, e, a->args[0], &l));
        if (add_cast(b, &l, a->cast_type, a->loc, a->try_cast)) return b->err->code;
        if (l->type == KILN_TYPE_NULL) {
            /* CAST(NULL AS T) keeps T */
            expr_free(l);
            l = expr_new_const_null(a->cast_type);
            if (!l) return bind_oom(b);
        }
        *out = l;
        return 0;
    case AST_IS_NULL:
        TRY(bind_expr(b, e, a->args[0], &l));
        *out = expr_new(EXPR_IS_NULL, KILN_TYPE_BOOLEAN, 1);
        if (!*out) return expr_free(l), bind_oom(b);
        (*out)->loc = a->loc;
        (*out)->negated = a->negated;
        (*out)->args[0] = l;
        return maybe_fold(b, out);
    case AST_IS_BOOL: {
        /* x IS TRUE  == (x IS NOT NULL) AND x ;  x IS FALSE == (x IS NOT NULL) AND NOT x */
        kl_expr *x1 = NULL, *x2 = NULL, *nn = NULL;
        TRY(bind_expr(b, e, a->args[0], &x1));
        TRY(require_bool(b, &x1, a->loc, "argument of IS TRUE/FALSE"));
        if (bind_expr(b, e, a->args[0], &x2)) return expr_free(x1), b->err->code;
        if (require_bool(b, &x2, a->loc, "argument of IS TRUE/FALSE")) return expr_free(x1), b->err->code;
        kl_expr *isn = expr_new(EXPR_IS_NULL, KILN_TYPE_BOOLEAN, 1);
        if (!isn) return expr_free(x1), expr_free(x2), bind_oom(b);
        isn->args[0] = x1;
        isn->negated = true;
        nn = isn;
        if (!a->bval) TRY(bind_not(b, a->loc, x2, &x2));
        kl_expr *res;
        TRY(bind_logic(b, EXPR_AND, a->loc, nn, x2, &res));
        if (a->negated) return bind_not(b, a->loc, res, out);
        *out = res;
        return 0;
    }
    case AST_IN: {
        if (a->subquery) return bind_in_subquery(b, e, a, out);
        kl_expr *acc = NULL;
        for (int i = 1; i < a->n_args; i++) {
            kl_expr *cmp;
            TRY(bind_expr(b, e, a->args[0], &l));
            if (bind_expr(b, e, a->args[i], &r)) return expr_free(l), expr_free(acc), b->err->code;
            if (bind_binary_bound(b, KL_OP_EQ, a->args[i]->loc, l, r, &cmp)) return expr_free(acc), b->err->code;
            if (!acc) acc = cmp;
            else TRY(bind_logic(b, EXPR_OR, a->loc, acc, cmp, &acc));
        }
        if (!acc) return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "IN list is empty");
        if (a->negated) return bind_not(b, a->loc, acc, out);
        *out = acc;
        return 0;
    }
    case AST_BETWEEN: {
        kl_expr *lo, *hi, *x1, *x2;
        TRY(bind_expr(b, e, a->args[0], &x1));
        if (bind_expr(b, e, a->args[1], &lo)) return expr_free(x1), b->err->code;
        TRY(bind_binary_bound(b, KL_OP_GE, a->loc, x1, lo, &l));
        if (bind_expr(b, e, a->args[0], &x2)) return expr_free(l), b->err->code;
        if (bind_expr(b, e, a->args[2], &hi)) return expr_free(l), expr_free(x2), b->err->code;
        if (bind_binary_bound(b, KL_OP_LE, a->loc, x2, hi, &r)) return expr_free(l), b->err->code;
        kl_expr *both;
        TRY(bind_logic(b, EXPR_AND, a->loc, l, r, &both));
        if (a->negated) return bind_not(b, a->loc, both, out);
        *out = both;
        return 0;
    }
    case AST_LIKE: {
        const char *fname = a->case_insensitive ? "ilike" : "like";
        const kl_scalar_def *fn = func_find_scalar(fname);
        if (!fn) return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "%s is not available", fname);
        ast_expr call = *a;
        call.kind = AST_FUNC;
        call.name = (char *)fname;
        call.arg_names = NULL;
        kl_expr *res;
        TRY(bind_scalar_call(b, e, &call, fn, &res));
        if (a->negated) return bind_not(b, a->loc, res, out);
        *out = res;
        return 0;
    }
    case AST_SUBQUERY: return bind_scalar_subquery(b, a, out);
    case AST_EXISTS: return bind_exists(b, a, out);
    case AST_INTERVAL: {
        /* INTERVAL '1 day' is CAST('1 day' AS INTERVAL), folded here */
        ast_expr lit = *a;
        lit.kind = AST_CONST;
        lit.lit_type = KILN_TYPE_VARCHAR;
        TRY(bind_const(b, &lit, out));
        return add_cast(b, out, KILN_TYPE_INTERVAL, a->loc, false);
    }
    case AST_STRUCT:
    case AST_LIST:
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "struct and list values are only allowed as table function options");
    }
    return kl_err_at(b->err, KILN_ERR_INTERNAL, a->loc, "unknown expression");
}

static int bind_expr(binder *b, env *e, ast_expr *a, kl_expr **out) {
    *out = NULL;
    if (++b->depth > 2000) {
        b->depth--;
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "expression is nested too deeply");
    }
    int rc = bind_expr_inner(b, e, a, out);
    b->depth--;
    if (rc) {
        kl_err_set_offset(b->err, a->loc);
        if (*out) {
            expr_free(*out);
            *out = NULL;
        }
    }
    return rc;
}

int bind_constant(const char *sql, ast_expr *a, kl_expr **out, kl_error *err) {
    binder b = {0};
    b.sql = sql;
    b.err = err;
    kl_arena_init(&b.arena, 4096);
    env e = {NULL, NULL, "a constant expression", NULL, NULL};
    int rc = bind_expr(&b, &e, a, out);
    if (!rc && (*out)->kind != EXPR_CONST) {
        expr_free(*out);
        *out = NULL;
        rc = kl_err_at(err, KILN_ERR_BINDER, a->loc, "expected a constant expression");
    }
    kl_arena_free(&b.arena);
    return rc;
}

/* ---- FROM --------------------------------------------------------------------------- */

static const char *base_name(const char *path, char *buf, size_t cap) {
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    snprintf(buf, cap, "%s", s);
    char *dot = strchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
    return buf;
}

static int const_text(binder *b, ast_expr *a, const char *opt, char **out) {
    kl_expr *c;
    TRY(bind_constant(b->sql, a, &c, b->err));
    int rc = 0;
    if (c->type != KILN_TYPE_VARCHAR || c->result.nulls[0])
        rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "option %s expects a string", opt);
    else {
        kl_str s = VEC_STR(&c->result)[0];
        *out = kl_arena_strndup(&b->arena, s.ptr, s.len);
        if (!*out) rc = bind_oom(b);
    }
    expr_free(c);
    return rc;
}

static int const_bool(binder *b, ast_expr *a, const char *opt, bool *out) {
    kl_expr *c;
    TRY(bind_constant(b->sql, a, &c, b->err));
    int rc = 0;
    if (c->type == KILN_TYPE_BOOLEAN && !c->result.nulls[0]) *out = VEC_U8(&c->result)[0];
    else if (c->type == KILN_TYPE_BIGINT && !c->result.nulls[0]) *out = VEC_I64(&c->result)[0] != 0;
    else rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "option %s expects a boolean", opt);
    expr_free(c);
    return rc;
}

static int const_int(binder *b, ast_expr *a, const char *opt, int64_t *out) {
    kl_expr *c;
    TRY(bind_constant(b->sql, a, &c, b->err));
    int rc = 0;
    if (c->type == KILN_TYPE_BIGINT && !c->result.nulls[0]) *out = VEC_I64(&c->result)[0];
    else rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "option %s expects an integer", opt);
    expr_free(c);
    return rc;
}

static char opt_char(const char *s) {
    if (!strcmp(s, "\\t")) return '\t';
    return s[0];
}

/* {'a': 'BIGINT', ...} -> overrides */
static int struct_types(binder *b, ast_expr *a, const char *opt, kl_csv_column_override **out, uint32_t *n) {
    if (a->kind != AST_STRUCT)
        return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "option %s expects a struct such as {'col': 'BIGINT'}", opt);
    kl_csv_column_override *ov = kl_arena_calloc(&b->arena, (size_t)(a->n_args ? a->n_args : 1) * sizeof *ov);
    if (!ov) return bind_oom(b);
    for (int i = 0; i < a->n_args; i++) {
        char *tname;
        TRY(const_text(b, a->args[i], opt, &tname));
        kl_type t = sql_type_from_name(tname);
        if (t == KILN_TYPE__COUNT)
            return kl_err_at(b->err, KILN_ERR_BINDER, a->args[i]->loc, "Type \"%s\" does not exist", tname);
        ov[i].name = a->arg_names && a->arg_names[i] ? a->arg_names[i] : "";
        ov[i].type = t;
    }
    *out = ov;
    *n = (uint32_t)a->n_args;
    return 0;
}

static int plan_csv(binder *b, ast_table_ref *ref, const char *path, ast_expr **args, char **arg_names,
                    int n_args, kl_op **out, scope *sc) {
    kl_csv_options opts;
    csv_options_init(&opts);
    for (int i = 0; i < n_args; i++) {
        const char *nm = arg_names ? arg_names[i] : NULL;
        if (!nm) continue;
        ast_expr *v = args[i];
        char *s;
        if (!strcasecmp(nm, "header")) {
            bool h = true;
            TRY(const_bool(b, v, nm, &h));
            opts.header = h;
        } else if (!strcasecmp(nm, "delim") || !strcasecmp(nm, "sep") || !strcasecmp(nm, "delimiter")) {
            TRY(const_text(b, v, nm, &s));
            opts.delim = opt_char(s);
        } else if (!strcasecmp(nm, "quote")) {
            TRY(const_text(b, v, nm, &s));
            opts.quote = s[0];
        } else if (!strcasecmp(nm, "escape")) {
            TRY(const_text(b, v, nm, &s));
            opts.escape = s[0];
        } else if (!strcasecmp(nm, "nullstr") || !strcasecmp(nm, "null")) {
            TRY(const_text(b, v, nm, &s));
            opts.nullstr = s;
        } else if (!strcasecmp(nm, "sample_size")) {
            int64_t x = 0;
            TRY(const_int(b, v, nm, &x));
            opts.sample_size = x;
        } else if (!strcasecmp(nm, "filename")) {
            TRY(const_bool(b, v, nm, &opts.filename));
        } else if (!strcasecmp(nm, "all_varchar")) {
            TRY(const_bool(b, v, nm, &opts.all_varchar));
        } else if (!strcasecmp(nm, "auto_detect")) {
            bool ignored = true;
            TRY(const_bool(b, v, nm, &ignored));
        } else if (!strcasecmp(nm, "columns")) {
            kl_csv_column_override *ov;
            TRY(struct_types(b, v, nm, &ov, &opts.n_columns));
            opts.columns = ov;
        } else if (!strcasecmp(nm, "types") || !strcasecmp(nm, "dtypes") || !strcasecmp(nm, "column_types")) {
            kl_csv_column_override *ov;
            TRY(struct_types(b, v, nm, &ov, &opts.n_types));
            opts.types = ov;
        } else {
            return kl_err_at(b->err, KILN_ERR_BINDER, v->loc,
                             "Invalid named parameter \"%s\" for read_csv. Known: header, delim, quote, "
                             "escape, nullstr, sample_size, columns, types, filename, all_varchar",
                             nm);
        }
    }
    kl_csv *rd;
    int rc = csv_open(path, &opts, &rd, b->err);
    if (rc) {
        kl_err_set_offset(b->err, ref->loc);
        return rc;
    }
    uint32_t n = csv_column_count(rd);
    char **names = kl_calloc(n ? n : 1, sizeof(char *));
    kl_type *types = kl_calloc(n ? n : 1, sizeof(kl_type));
    if (!names || !types) {
        kl_free(names);
        kl_free(types);
        csv_close(rd);
        return bind_oom(b);
    }
    for (uint32_t i = 0; i < n; i++) {
        names[i] = (char *)csv_column_name(rd, i);
        types[i] = csv_column_type(rd, i);
    }
    char stem[256];
    rc = scope_init(b, sc, n, names, types, ref->alias ? ref->alias : base_name(path, stem, sizeof stem));
    kl_free(names);
    kl_free(types);
    if (rc) {
        csv_close(rd);
        return rc;
    }
    sc->csvs = kl_calloc(1, sizeof(csv_src));
    if (!sc->csvs) {
        scope_free(sc);
        csv_close(rd);
        return bind_oom(b);
    }
    sc->csvs[0] = (csv_src){rd, 0};
    sc->n_csvs = 1;
    struct stat stbuf;
    /* ~60 bytes a row is typical of numeric CSV; only the order of magnitude matters */
    sc->est_rows = stat(path, &stbuf) == 0 ? (double)stbuf.st_size / 60.0 : 1e6;
    *out = op_scan_csv(rd);
    if (!*out) {
        scope_free(sc);
        return bind_oom(b);
    }
    return 0;
}

static int apply_column_aliases(binder *b, ast_table_ref *ref, scope *sc);

/* range(stop) | range(start, stop[, step]) — generate_series includes stop */
static int plan_range(binder *b, ast_table_ref *ref, kl_op **out, scope *sc) {
    bool inclusive = !strcasecmp(ref->name, "generate_series");
    if (ref->n_args < 1 || ref->n_args > 3)
        return kl_err_at(b->err, KILN_ERR_BINDER, ref->loc, "%s takes 1 to 3 integer arguments", ref->name);
    int64_t v[3] = {0, 0, 1};
    for (int i = 0; i < ref->n_args; i++) {
        if (ref->arg_names && ref->arg_names[i])
            return kl_err_at(b->err, KILN_ERR_BINDER, ref->args[i]->loc, "%s has no named parameters", ref->name);
        TRY(const_int(b, ref->args[i], ref->name, &v[ref->n_args == 1 ? 1 : i]));
    }
    if (v[2] == 0) return kl_err_at(b->err, KILN_ERR_INVALID, ref->loc, "%s step cannot be 0", ref->name);
    int64_t stop = v[1];
    if (inclusive && __builtin_add_overflow(stop, v[2] > 0 ? 1 : -1, &stop)) stop = v[2] > 0 ? INT64_MAX : INT64_MIN;
    char *name = inclusive ? "generate_series" : "range";
    kl_type t = KILN_TYPE_BIGINT;
    TRY(scope_init(b, sc, 1, &name, &t, ref->alias ? ref->alias : name));
    if (apply_column_aliases(b, ref, sc)) return scope_free(sc), b->err->code;
    sc->est_rows = fabs(((double)stop - (double)v[0]) / (double)v[2]);
    *out = op_range(v[0], stop, v[2]);
    if (!*out) {
        scope_free(sc);
        return bind_oom(b);
    }
    return 0;
}

/* The CTE a name refers to. Inside a CTE's own definition its name means whatever it meant
   outside (a non-recursive CTE may read the table it shadows), so CTEs being planned are
   skipped. */
static ast_cte *find_cte(binder *b, const char *name) {
    for (cte_frame *f = b->ctes; f; f = f->outer)
        for (int i = 0; i < f->n_ctes; i++) {
            if (strcasecmp(f->ctes[i].name, name)) continue;
            bool active = false;
            for (int k = 0; k < b->n_active_ctes; k++) active |= b->active_ctes[k] == &f->ctes[i];
            if (!active) return &f->ctes[i];
        }
    return NULL;
}

static int apply_column_aliases(binder *b, ast_table_ref *ref, scope *sc) {
    if (ref->n_column_aliases > (int)sc->n)
        return kl_err_at(b->err, KILN_ERR_BINDER, ref->loc, "table \"%s\" has %u columns available but %d columns specified",
                         ref->alias ? ref->alias : "?", sc->n, ref->n_column_aliases);
    for (int i = 0; i < ref->n_column_aliases; i++) {
        char *nm = kl_strdup(ref->column_aliases[i]);
        if (!nm) return bind_oom(b);
        kl_free(sc->cols[i].name);
        sc->cols[i].name = nm;
    }
    return 0;
}

/* ---- joins -------------------------------------------------------------------------- */

static int plan_from(binder *b, ast_table_ref *ref, kl_op **out, scope *sc);

/* Concatenate two scopes (consumes l and r). */
static int scope_merge(binder *b, scope *l, scope *r, scope *out) {
    memset(out, 0, sizeof *out);
    uint32_t n = l->n + r->n;
    out->cols = kl_calloc(n ? n : 1, sizeof(scope_col));
    out->used = kl_calloc(n ? n : 1, sizeof(bool));
    out->csvs = kl_calloc(l->n_csvs + r->n_csvs + 1, sizeof(csv_src));
    if (!out->cols || !out->used || !out->csvs) {
        kl_free(out->cols);
        kl_free(out->used);
        kl_free(out->csvs);
        memset(out, 0, sizeof *out); /* the caller frees its scope on error too */
        scope_free(l);
        scope_free(r);
        return bind_oom(b);
    }
    memcpy(out->cols, l->cols, l->n * sizeof(scope_col));
    memcpy(out->cols + l->n, r->cols, r->n * sizeof(scope_col));
    for (uint32_t i = 0; i < l->n_csvs; i++) out->csvs[out->n_csvs++] = l->csvs[i];
    for (uint32_t i = 0; i < r->n_csvs; i++)
        out->csvs[out->n_csvs++] = (csv_src){r->csvs[i].csv, r->csvs[i].offset + l->n};
    out->n = n;
    out->est_rows = KL_MAX(l->est_rows, r->est_rows);
    /* the column strings moved to out */
    kl_free(l->cols);
    kl_free(l->used);
    kl_free(l->csvs);
    kl_free(r->cols);
    kl_free(r->used);
    kl_free(r->csvs);
    memset(l, 0, sizeof *l);
    memset(r, 0, sizeof *r);
    return 0;
}

static int collect_conjuncts(binder *b, ast_expr *a, ast_expr ***list, int *n, int *cap) {
    if (a->kind == AST_BINARY && a->op == KL_OP_AND) {
        TRY(collect_conjuncts(b, a->args[0], list, n, cap));
        return collect_conjuncts(b, a->args[1], list, n, cap);
    }
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 8;
        ast_expr **nl = kl_arena_alloc(&b->arena, (size_t)nc * sizeof *nl);
        if (!nl) return bind_oom(b);
        if (*n) memcpy(nl, *list, (size_t)*n * sizeof *nl);
        *list = nl;
        *cap = nc;
    }
    (*list)[(*n)++] = a;
    return 0;
}

/* Which side of a join (left columns < ln) an expression reads: 0 none, 1 left, 2 right,
   3 both. */
static int expr_side(const kl_expr *e, uint32_t ln) {
    uint32_t lo, hi;
    if (!expr_column_range(e, &lo, &hi)) return 0;
    return (lo < ln ? 1 : 0) | (hi >= ln ? 2 : 0);
}

static void col_shift(uint32_t *col, void *ctx) { *col -= *(uint32_t *)ctx; }

typedef struct swap_ctx {
    uint32_t ln, rn;
} swap_ctx;
/* left-then-right layout -> right-then-left layout */
static void col_swap(uint32_t *col, void *ctx) {
    const swap_ctx *s = ctx;
    *col = *col < s->ln ? *col + s->rn : *col - s->ln;
}

static int and_into(binder *b, kl_expr **acc, kl_expr *x, int loc) {
    if (!*acc) {
        *acc = x;
        return 0;
    }
    kl_expr *both = expr_new(EXPR_AND, KILN_TYPE_BOOLEAN, 2);
    if (!both) {
        expr_free(x);
        return bind_oom(b);
    }
    both->loc = loc;
    both->args[0] = *acc;
    both->args[1] = x;
    *acc = both;
    return 0;
}

typedef struct join_keys {
    kl_expr **l, **r;
    uint32_t n, cap;
} join_keys;

static int keys_push(binder *b, join_keys *k, kl_expr *l, kl_expr *r) {
    if (k->n == k->cap) {
        uint32_t cap = k->cap ? k->cap * 2 : 4;
        kl_expr **nl = kl_realloc(k->l, cap * sizeof *nl);
        if (!nl) return expr_free(l), expr_free(r), bind_oom(b);
        k->l = nl;
        kl_expr **nr = kl_realloc(k->r, cap * sizeof *nr);
        if (!nr) return expr_free(l), expr_free(r), bind_oom(b);
        k->r = nr;
        k->cap = cap;
    }
    k->l[k->n] = l;
    k->r[k->n++] = r;
    return 0;
}

static void keys_free(join_keys *k) {
    for (uint32_t i = 0; i < k->n; i++) {
        expr_free(k->l[i]);
        expr_free(k->r[i]);
    }
    kl_free(k->l);
    kl_free(k->r);
    memset(k, 0, sizeof *k);
}

/* One ON/WHERE conjunct of a join: an equality between an expression of each side becomes a
   hash key pair (cast to one type), anything else joins the residual predicate. */
static int join_conjunct(binder *b, env *e, ast_expr *a, uint32_t ln, join_keys *keys, kl_expr **residual) {
    if (a->kind == AST_BINARY && a->op == KL_OP_EQ) {
        kl_expr *x, *y;
        TRY(bind_expr(b, e, a->args[0], &x));
        if (bind_expr(b, e, a->args[1], &y)) return expr_free(x), b->err->code;
        int sx = expr_side(x, ln), sy = expr_side(y, ln);
        if ((sx == 1 && sy == 2) || (sx == 2 && sy == 1)) {
            if (sx == 2) {
                kl_expr *t = x;
                x = y;
                y = t;
            }
            kl_type lc, rc_t, ret;
            kl_error tmp;
            kiln_error_clear(&tmp);
            if (!func_binary_types(KL_OP_EQ, x->type, y->type, &lc, &rc_t, &ret, &tmp)) {
                if (add_cast(b, &x, lc, a->loc, false)) return expr_free(y), b->err->code;
                if (add_cast(b, &y, rc_t, a->loc, false)) return expr_free(x), b->err->code;
                expr_map_columns(y, col_shift, &ln);
                return keys_push(b, keys, x, y);
            }
        }
        kl_expr *cmp;
        TRY(bind_binary_bound(b, KL_OP_EQ, a->loc, x, y, &cmp));
        return and_into(b, residual, cmp, a->loc);
    }
    kl_expr *c;
    TRY(bind_expr(b, e, a, &c));
    TRY(require_bool(b, &c, a->loc, "JOIN condition"));
    return and_into(b, residual, c, a->loc);
}

static kl_join_type join_type_of(ast_join_type t) {
    switch (t) {
    case AST_JOIN_LEFT: return KL_JOIN_LEFT;
    case AST_JOIN_RIGHT: return KL_JOIN_RIGHT;
    case AST_JOIN_FULL: return KL_JOIN_FULL;
    default: return KL_JOIN_INNER;
    }
}

static int plan_join(binder *b, ast_table_ref *ref, kl_op **out, scope *sc) {
    kl_op *lop = NULL, *rop = NULL;
    scope lsc, rsc;
    TRY(plan_from(b, ref->left, &lop, &lsc));
    if (plan_from(b, ref->right, &rop, &rsc)) {
        op_free(lop);
        scope_free(&lsc);
        return b->err->code;
    }
    uint32_t ln = lsc.n, rn = rsc.n;
    double lest = lsc.est_rows, rest = rsc.est_rows;
    if (scope_merge(b, &lsc, &rsc, sc)) {
        op_free(lop);
        op_free(rop);
        return b->err->code;
    }
    kl_join_type jt = join_type_of(ref->join_type);
    bool inner = jt == KL_JOIN_INNER;
    env e = {sc, NULL, "the JOIN condition", NULL, NULL};
    join_keys keys = {0};
    kl_expr *residual = NULL, *lfilter = NULL, *rfilter = NULL;
    int rc = 0;
    int *coalesce_at = NULL; /* FULL JOIN USING: left column position -> right column */

    /* NATURAL JOIN: USING every visible column name the two sides share */
    if (ref->natural && !ref->n_using) {
        char **common = kl_arena_calloc(&b->arena, (ln ? ln : 1) * sizeof(char *));
        int nc = 0;
        if (!common) rc = bind_oom(b);
        for (uint32_t c = 0; !rc && c < ln; c++) {
            if (sc->cols[c].hidden) continue;
            for (uint32_t d = ln; d < ln + rn; d++)
                if (!sc->cols[d].hidden && !strcasecmp(sc->cols[c].name, sc->cols[d].name)) {
                    common[nc++] = sc->cols[c].name;
                    break;
                }
        }
        ref->using_cols = common;
        ref->n_using = nc;
    }
    /* USING (a, b): equality of same-named columns; one of each pair is hidden */
    if (ref->n_using) {
        coalesce_at = kl_calloc(ln ? ln : 1, sizeof(int));
        if (!coalesce_at) rc = bind_oom(b);
        for (uint32_t i = 0; !rc && i < ln; i++) coalesce_at[i] = -1;
    }
    for (int u = 0; !rc && u < ref->n_using; u++) {
        long li = -1, ri = -1;
        for (uint32_t c = 0; c < sc->n; c++) {
            if (sc->cols[c].hidden || strcasecmp(sc->cols[c].name, ref->using_cols[u])) continue;
            if (c < ln && li < 0) li = (long)c;
            else if (c >= ln && ri < 0) ri = (long)c;
        }
        if (li < 0 || ri < 0) {
            rc = kl_err_at(b->err, KILN_ERR_BINDER, ref->loc,
                           "Column \"%s\" does not exist on %s side of join!", ref->using_cols[u], li < 0 ? "left" : "right");
            break;
        }
        kl_expr *x = expr_new_column((uint32_t)li, sc->cols[li].type);
        kl_expr *y = expr_new_column((uint32_t)ri - ln, sc->cols[ri].type);
        if (!x || !y) {
            expr_free(x);
            expr_free(y);
            rc = bind_oom(b);
            break;
        }
        kl_type lc, rct, ret;
        kl_error tmp;
        kiln_error_clear(&tmp);
        if (func_binary_types(KL_OP_EQ, x->type, y->type, &lc, &rct, &ret, &tmp)) {
            expr_free(x);
            expr_free(y);
            rc = kl_err_at(b->err, KILN_ERR_BINDER, ref->loc, "Cannot join on \"%s\": types %s and %s are not comparable",
                           ref->using_cols[u], kiln_type_name(sc->cols[li].type), kiln_type_name(sc->cols[ri].type));
            break;
        }
        if (add_cast(b, &x, lc, ref->loc, false) || add_cast(b, &y, rct, ref->loc, false)) {
            expr_free(x);
            expr_free(y);
            rc = b->err->code;
            break;
        }
        if ((rc = keys_push(b, &keys, x, y))) break;
        sc->used[li] = sc->used[ri] = true; /* join keys are read even if nothing else names them */
        /* the visible column stands where the left one is; after RIGHT and FULL joins its
           value is coalesce(left, right) (= right's for RIGHT JOIN) */
        sc->cols[ri].hidden = true;
        if (jt == KL_JOIN_FULL || jt == KL_JOIN_RIGHT) coalesce_at[li] = (int)ri;
    }

    /* ON conjuncts, plus WHERE conjuncts of inner joins that this join can use */
    ast_expr **conj = NULL;
    int n_conj = 0, cap_conj = 0;
    if (!rc && ref->on) rc = collect_conjuncts(b, ref->on, &conj, &n_conj, &cap_conj);
    for (int i = 0; !rc && i < n_conj; i++) rc = join_conjunct(b, &e, conj[i], ln, &keys, &residual);
    if (!rc && inner && b->pending) {
        pending_conds *pc = b->pending;
        for (int i = 0; !rc && i < pc->n; i++) {
            if (pc->consumed[i] || ast_has_agg(pc->asts[i])) continue;
            /* try binding against this join's columns; a conjunct that does not bind here
               (other tables, outer columns) stays in WHERE */
            kl_error tmp;
            kiln_error_clear(&tmp);
            kl_error *saved = b->err;
            b->err = &tmp;
            kl_expr *probe = NULL;
            int prc = bind_expr(b, &e, pc->asts[i], &probe);
            b->err = saved;
            if (prc || probe->type != KILN_TYPE_BOOLEAN) {
                expr_free(probe);
                continue;
            }
            int side = expr_side(probe, ln);
            pc->consumed[i] = true;
            if (side == 1) {
                rc = and_into(b, &lfilter, probe, pc->asts[i]->loc);
            } else if (side == 2) {
                expr_map_columns(probe, col_shift, &ln);
                rc = and_into(b, &rfilter, probe, pc->asts[i]->loc);
            } else if (side == 3) {
                expr_free(probe);
                rc = join_conjunct(b, &e, pc->asts[i], ln, &keys, &residual);
            } else {
                /* constant condition: keep it in WHERE */
                pc->consumed[i] = false;
                expr_free(probe);
            }
        }
    }
    if (rc) goto fail;
    if (lfilter && !(lop = op_filter(lop, lfilter))) {
        lfilter = NULL;
        rc = bind_oom(b);
        goto fail;
    }
    lfilter = NULL;
    if (rfilter && !(rop = op_filter(rop, rfilter))) {
        rfilter = NULL;
        rc = bind_oom(b);
        goto fail;
    }
    rfilter = NULL;

    kl_op *j;
    if (keys.n) {
        /* the right child is the build side: build on the smaller input */
        bool swap = rest > lest * 1.5 && jt != KL_JOIN_SEMI && jt != KL_JOIN_ANTI;
        if (swap) {
            swap_ctx s = {ln, rn};
            if (residual) expr_map_columns(residual, col_swap, &s);
            kl_join_type st = jt == KL_JOIN_LEFT ? KL_JOIN_RIGHT : jt == KL_JOIN_RIGHT ? KL_JOIN_LEFT : jt;
            j = op_hash_join(rop, lop, st, keys.r, keys.l, keys.n, residual);
        } else {
            j = op_hash_join(lop, rop, jt, keys.l, keys.r, keys.n, residual);
        }
        lop = rop = NULL;
        residual = NULL;
        memset(&keys, 0, sizeof keys); /* the key arrays now belong to the join */
        if (j && swap) {
            /* back to left-then-right column order */
            kl_expr **cols = kl_calloc(ln + rn ? ln + rn : 1, sizeof(kl_expr *));
            for (uint32_t c = 0; cols && c < ln + rn; c++) {
                uint32_t src = c < ln ? c + rn : c - ln;
                cols[c] = expr_new_column(src, j->types[src]);
                if (!cols[c]) {
                    for (uint32_t k = 0; k < c; k++) expr_free(cols[k]);
                    kl_free(cols);
                    cols = NULL;
                }
            }
            if (!cols) {
                op_free(j);
                j = NULL;
            } else {
                j = op_project(j, cols, ln + rn);
            }
        }
    } else {
        keys_free(&keys);
        j = op_nested_loop_join(lop, rop, jt, residual);
        lop = rop = NULL;
        residual = NULL;
    }
    if (!j) {
        rc = bind_oom(b);
        goto fail;
    }
    if (coalesce_at) {
        /* FULL JOIN USING: the unqualified column is coalesce(left, right) in the left
           column's place; the left column itself moves to the end, hidden but reachable as
           left.k (right.k stays where it is, hidden too) */
        const kl_scalar_def *co = func_find_scalar("coalesce");
        uint32_t n_extra = 0;
        for (uint32_t c = 0; c < ln; c++) n_extra += coalesce_at[c] >= 0;
        uint32_t total = ln + rn + n_extra;
        scope_col *ncols = kl_realloc(sc->cols, total * sizeof(scope_col));
        if (ncols) sc->cols = ncols;
        bool *nused = ncols ? kl_realloc(sc->used, total * sizeof(bool)) : NULL;
        if (nused) sc->used = nused;
        kl_expr **cols = nused ? kl_calloc(total, sizeof(kl_expr *)) : NULL;
        for (uint32_t c = 0, extra = ln + rn; !rc && cols && c < ln; c++) {
            if (coalesce_at[c] < 0) continue;
            cols[extra] = expr_new_column(c, j->types[c]);
            scope_col moved = sc->cols[c];
            moved.hidden = true;
            moved.name = kl_strdup(sc->cols[c].name);
            if (!cols[extra] || !moved.name) {
                kl_free(moved.name);
                rc = bind_oom(b);
                break;
            }
            sc->cols[extra] = moved; /* takes over the table qualifier string */
            sc->cols[c].table = NULL;
            sc->used[extra] = true;
            sc->n = ++extra;
        }
        for (uint32_t c = 0; !rc && cols && c < ln + rn; c++) {
            cols[c] = expr_new_column(c, j->types[c]);
            if (!cols[c]) rc = bind_oom(b);
            if (!rc && c < ln && coalesce_at[c] >= 0 && co) {
                kl_expr *f = expr_new(EXPR_FUNC, KILN_TYPE_NULL, 2);
                kl_expr *r = expr_new_column((uint32_t)coalesce_at[c], j->types[coalesce_at[c]]);
                if (!f || !r) {
                    expr_free(f);
                    expr_free(r);
                    rc = bind_oom(b);
                    break;
                }
                f->fn = co;
                f->args[0] = cols[c];
                f->args[1] = r;
                cols[c] = f;
                kl_type types[2] = {f->args[0]->type, r->type};
                kl_type ret;
                f->ctx.n_args = 2;
                if ((rc = co->bind(&f->ctx, types, 2, &ret, b->err))) break;
                if ((rc = add_cast(b, &f->args[0], types[0], ref->loc, false))) break;
                if ((rc = add_cast(b, &f->args[1], types[1], ref->loc, false))) break;
                f->ctx.arg_types[0] = types[0];
                f->ctx.arg_types[1] = types[1];
                f->ctx.ret_type = ret;
                f->type = ret;
                if (vec_retype(&f->result, ret)) rc = bind_oom(b);
                sc->cols[c].type = ret;
            }
        }
        if (!cols) rc = bind_oom(b);
        if (rc) {
            for (uint32_t c = 0; cols && c < total; c++) expr_free(cols[c]);
            kl_free(cols);
            op_free(j);
            j = NULL;
            goto fail;
        }
        j = op_project(j, cols, total);
        if (!j) {
            rc = bind_oom(b);
            goto fail;
        }
    }
    kl_free(coalesce_at);
    sc->est_rows = KL_MAX(lest, rest);
    *out = j;
    return 0;
fail:
    kl_free(coalesce_at);
    keys_free(&keys);
    expr_free(residual);
    expr_free(lfilter);
    expr_free(rfilter);
    op_free(lop);
    op_free(rop);
    scope_free(sc);
    return rc ? rc : b->err->code;
}

/* A copy of two scopes side by side (names duplicated; used flags fresh). */
static int scope_concat_copy(binder *b, const scope *x, const scope *y, scope *out) {
    uint32_t n = x->n + y->n;
    char **names = kl_calloc(n ? n : 1, sizeof(char *));
    kl_type *types = kl_calloc(n ? n : 1, sizeof(kl_type));
    if (!names || !types) {
        kl_free(names);
        kl_free(types);
        return bind_oom(b);
    }
    for (uint32_t i = 0; i < n; i++) {
        const scope_col *c = i < x->n ? &x->cols[i] : &y->cols[i - x->n];
        names[i] = c->name;
        types[i] = c->type;
    }
    int rc = scope_init(b, out, n, names, types, NULL);
    for (uint32_t i = 0; !rc && i < n; i++) {
        const scope_col *c = i < x->n ? &x->cols[i] : &y->cols[i - x->n];
        out->cols[i].hidden = c->hidden;
        if (c->table && !(out->cols[i].table = kl_strdup(c->table))) rc = bind_oom(b);
    }
    kl_free(names);
    kl_free(types);
    return rc;
}

/*
 * Correlated [NOT] EXISTS (SELECT .. FROM x WHERE ..) and x IN (SELECT y FROM .. WHERE ..) in
 * WHERE become semi (anti) joins of the outer relation with the subquery's FROM: conjuncts of
 * the subquery's WHERE that only read its own columns filter its input; the ones that read
 * outer columns are the join condition (equalities become hash keys). *handled stays false when
 * the subquery is not correlated or not of that simple shape; the caller then evaluates it as
 * an uncorrelated subquery.
 */
static int plan_semi_join(binder *b, ast_expr *a, kl_op **op, scope *outer, bool *handled) {
    *handled = false;
    ast_select *q = a->subquery;
    bool in = a->kind == AST_IN;
    if (!q || !q->from || !q->where || q->setop != AST_SETOP_NONE || q->values || q->n_group_by ||
        q->group_by_all || q->having || q->limit || q->offset || q->n_ctes || q->qualify)
        return 0;
    if (in && (q->n_items != 1 || a->negated || ast_has_agg(q->items[0].expr))) return 0;
    for (int i = 0; i < q->n_items; i++)
        if (ast_has_agg(q->items[i].expr)) return 0;
    ast_expr **conj = NULL;
    int n_conj = 0, cap = 0;
    TRY(collect_conjuncts(b, q->where, &conj, &n_conj, &cap));
    kl_op *xop = NULL;
    scope xsc, msc;
    memset(&msc, 0, sizeof msc);
    TRY(plan_from(b, q->from, &xop, &xsc));
    /* which conjuncts are local to the subquery? */
    bool *local = kl_arena_calloc(&b->arena, (size_t)(n_conj ? n_conj : 1) * sizeof(bool));
    int rc = local ? 0 : bind_oom(b);
    int n_corr = 0;
    kl_expr *xfilter = NULL, *residual = NULL;
    join_keys keys = {0};
    env xe = {&xsc, NULL, "WHERE", NULL, NULL};
    for (int i = 0; !rc && i < n_conj; i++) {
        kl_error tmp;
        kiln_error_clear(&tmp);
        kl_error *saved = b->err;
        b->err = &tmp;
        kl_expr *probe = NULL;
        int prc = bind_expr(b, &xe, conj[i], &probe);
        b->err = saved;
        if (!prc) {
            local[i] = true;
            if (!(rc = require_bool(b, &probe, conj[i]->loc, "WHERE clause")))
                rc = and_into(b, &xfilter, probe, conj[i]->loc);
        } else {
            n_corr++;
        }
    }
    if (rc || n_corr == 0) goto out; /* not correlated: the ordinary subquery path applies */
    if ((rc = scope_concat_copy(b, outer, &xsc, &msc))) goto out;
    env me = {&msc, NULL, "WHERE", NULL, NULL};
    uint32_t on = outer->n;
    for (int i = 0; !rc && i < n_conj; i++)
        if (!local[i]) rc = join_conjunct(b, &me, conj[i], on, &keys, &residual);
    if (!rc && in) {
        /* x IN (SELECT y ...): one more key pair */
        env oe = {outer, NULL, "WHERE", NULL, NULL};
        kl_expr *x = NULL, *y = NULL;
        rc = bind_expr(b, &oe, a->args[0], &x);
        if (!rc) rc = bind_expr(b, &xe, q->items[0].expr, &y);
        if (!rc) {
            kl_type lc, rct, ret;
            kl_error tmp;
            kiln_error_clear(&tmp);
            if (func_binary_types(KL_OP_EQ, x->type, y->type, &lc, &rct, &ret, &tmp)) {
                rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "Cannot compare values of type %s and type %s in IN (subquery)",
                               kiln_type_name(x->type), kiln_type_name(y->type));
            } else if (!(rc = add_cast(b, &x, lc, a->loc, false))) {
                if (!(rc = add_cast(b, &y, rct, a->loc, false))) {
                    rc = keys_push(b, &keys, x, y);
                    x = y = NULL;
                } else {
                    y = NULL;
                }
            } else {
                x = NULL;
            }
        }
        expr_free(x);
        expr_free(y);
    }
    if (rc) goto out;
    /* columns the correlated conditions read must be converted by the CSV readers */
    for (uint32_t i = 0; i < msc.n; i++)
        if (msc.used[i]) {
            if (i < on) outer->used[i] = true;
            else xsc.used[i - on] = true;
        }
    for (uint32_t i = 0; i < xsc.n_csvs; i++) csv_set_projection(xsc.csvs[i].csv, xsc.used + xsc.csvs[i].offset);
    if (xfilter) {
        xop = op_filter(xop, xfilter);
        xfilter = NULL;
        if (!xop) {
            rc = bind_oom(b);
            goto out;
        }
    }
    kl_join_type jt = a->negated ? KL_JOIN_ANTI : KL_JOIN_SEMI;
    kl_op *j = keys.n ? op_hash_join(*op, xop, jt, keys.l, keys.r, keys.n, residual)
                      : op_nested_loop_join(*op, xop, jt, residual);
    memset(&keys, 0, sizeof keys);
    residual = NULL;
    xop = NULL;
    *op = j;
    if (!j) {
        rc = bind_oom(b);
        goto out;
    }
    *handled = true;
out:
    keys_free(&keys);
    expr_free(residual);
    expr_free(xfilter);
    op_free(xop);
    scope_free(&xsc);
    scope_free(&msc);
    return rc;
}

/* ---- correlated subqueries in expressions ------------------------------------------ */
/*
 * A correlated subquery used as a value — (SELECT agg(..) FROM x WHERE x.k = outer.k ...),
 * EXISTS (...) outside a top-level WHERE conjunct, [NOT] IN (SELECT y ...) — is rewritten,
 * before the query is planned, into a LEFT JOIN of the outer FROM with a derived table that
 * computes the subquery once per correlation key:
 *   scalar:  LEFT JOIN (SELECT k AS __k1, <expr> AS __v, count(*) AS __n FROM x WHERE <local>
 *                      GROUP BY 1) s ON outer.k = s.__k1
 *            value = CASE WHEN s.__n IS NULL THEN <expr over no rows> ELSE s.__v END
 *            (so count() of a key with no rows is 0, not NULL)
 *   EXISTS:  LEFT JOIN (SELECT DISTINCT k AS __k1 FROM x WHERE <local>) s ON ...
 *            value = s.__k1 IS NOT NULL
 *   IN:      one derived table of DISTINCT (k, y) joined on k and y (found?) and one of
 *            per-key counts of rows and NULL y's, for SQL's three-valued IN.
 * Only equality correlations are rewritten (one side reads the subquery's FROM only, the other
 * does not); anything else keeps the old path and fails with "not found".
 */

typedef struct rw_ctx {
    binder *b;
    ast_select *sel;
    int next_id;
} rw_ctx;

static ast_expr *mk_node(binder *b, ast_expr_kind kind, int loc, int end) {
    ast_expr *e = kl_arena_calloc(&b->arena, sizeof *e);
    if (e) {
        e->kind = kind;
        e->loc = loc;
        e->end = end;
    }
    return e;
}

static ast_expr *mk_col(binder *b, const char *table, const char *name, int loc, int end) {
    ast_expr *e = mk_node(b, AST_COLUMN, loc, end);
    if (!e) return NULL;
    e->table = kl_arena_strdup(&b->arena, table);
    e->name = kl_arena_strdup(&b->arena, name);
    return e->table && e->name ? e : NULL;
}

static ast_expr *mk_args(binder *b, ast_expr_kind kind, int op, int loc, int end, int n, ast_expr *x, ast_expr *y) {
    if (!x || (n > 1 && !y)) return NULL;
    ast_expr *e = mk_node(b, kind, loc, end);
    if (!e) return NULL;
    e->op = op;
    e->n_args = n;
    e->args = kl_arena_calloc(&b->arena, 2 * sizeof(ast_expr *));
    if (!e->args) return NULL;
    e->args[0] = x;
    if (n > 1) e->args[1] = y;
    return e;
}

static ast_expr *mk_int(binder *b, int64_t v, int loc, int end) {
    ast_expr *e = mk_node(b, AST_CONST, loc, end);
    if (e) {
        e->lit_type = KILN_TYPE_BIGINT;
        e->ival = v;
    }
    return e;
}

static ast_expr *mk_bool(binder *b, bool v, int loc, int end) {
    ast_expr *e = mk_node(b, AST_CONST, loc, end);
    if (e) {
        e->lit_type = KILN_TYPE_BOOLEAN;
        e->bval = v;
    }
    return e;
}

static ast_expr *mk_star_count(binder *b, int loc, int end) {
    ast_expr *e = mk_node(b, AST_FUNC, loc, end);
    if (e) {
        e->name = "count";
        e->star = true;
    }
    return e;
}

static ast_select *mk_select(binder *b, int loc) {
    ast_select *s = kl_arena_calloc(&b->arena, sizeof *s);
    if (s) s->loc = loc;
    return s;
}

static bool push_item(binder *b, ast_select *s, ast_expr *e, const char *alias) {
    if (!e) return false;
    ast_select_item *items = kl_arena_calloc(&b->arena, (size_t)(s->n_items + 1) * sizeof *items);
    if (!items) return false;
    if (s->n_items) memcpy(items, s->items, (size_t)s->n_items * sizeof *items);
    items[s->n_items].expr = e;
    items[s->n_items].alias = alias ? kl_arena_strdup(&b->arena, alias) : NULL;
    s->items = items;
    s->n_items++;
    return true;
}

/* Split the subquery's WHERE into local conjuncts (AND-ed, may be NULL) and correlation
   equalities inner[i] = outer[i]. Returns 1 if it is a correlated subquery of that shape,
   0 if it is not correlated (or not rewritable), <0 on error. */
static int rw_split(binder *b, ast_select *q, ast_expr **local, ast_expr ***inner, ast_expr ***outer, int *n_corr) {
    *local = NULL;
    *n_corr = 0;
    if (!q->from || !q->where || q->setop != AST_SETOP_NONE || q->values || q->n_group_by || q->group_by_all ||
        q->having || q->limit || q->offset || q->n_ctes || q->qualify || q->distinct)
        return 0;
    ast_expr **conj = NULL;
    int n = 0, cap = 0;
    if (collect_conjuncts(b, q->where, &conj, &n, &cap)) return -1;
    kl_op *xop;
    scope xsc;
    if (plan_from(b, q->from, &xop, &xsc)) return -1;
    op_free(xop);
    env xe = {&xsc, NULL, "WHERE", NULL, NULL};
    *inner = kl_arena_calloc(&b->arena, (size_t)(n ? n : 1) * sizeof(ast_expr *));
    *outer = kl_arena_calloc(&b->arena, (size_t)(n ? n : 1) * sizeof(ast_expr *));
    int result = (*inner && *outer) ? 0 : -1;
    bool shape_ok = true;
    for (int i = 0; result == 0 && i < n; i++) {
        kl_error tmp;
        kiln_error_clear(&tmp);
        kl_error *saved = b->err;
        b->err = &tmp;
        kl_expr *probe = NULL;
        bool ok = bind_expr(b, &xe, conj[i], &probe) == 0;
        expr_free(probe);
        if (ok) {
            b->err = saved;
            *local = *local ? mk_args(b, AST_BINARY, KL_OP_AND, conj[i]->loc, conj[i]->end, 2, *local, conj[i]) : conj[i];
            continue;
        }
        /* correlated: must be inner = outer */
        bool l_in = false, r_in = false;
        if (conj[i]->kind == AST_BINARY && conj[i]->op == KL_OP_EQ) {
            kiln_error_clear(&tmp);
            l_in = bind_expr(b, &xe, conj[i]->args[0], &probe) == 0;
            expr_free(probe);
            probe = NULL;
            kiln_error_clear(&tmp);
            r_in = bind_expr(b, &xe, conj[i]->args[1], &probe) == 0;
            expr_free(probe);
        }
        b->err = saved;
        if (l_in == r_in) {
            shape_ok = false;
            continue;
        }
        (*inner)[*n_corr] = l_in ? conj[i]->args[0] : conj[i]->args[1];
        (*outer)[*n_corr] = l_in ? conj[i]->args[1] : conj[i]->args[0];
        (*n_corr)++;
    }
    scope_free(&xsc);
    if (result < 0) return bind_oom(b), -1;
    return shape_ok && *n_corr > 0 ? 1 : 0;
}

/* Attach `derived` AS alias to the outer FROM with LEFT JOIN ON outer[i] = alias.__k<i>
   (plus extra ON conjunct `more` if given). */
static bool rw_join(rw_ctx *c, ast_select *derived, const char *alias, ast_expr **outer, int n, ast_expr *more,
                    int loc, int end) {
    binder *b = c->b;
    ast_table_ref *d = kl_arena_calloc(&b->arena, sizeof *d);
    ast_table_ref *j = kl_arena_calloc(&b->arena, sizeof *j);
    if (!d || !j) return false;
    d->kind = AST_TABLE_SUBQUERY;
    d->internal = true;
    d->loc = loc;
    d->subquery = derived;
    d->alias = kl_arena_strdup(&b->arena, alias);
    ast_expr *on = more;
    for (int i = 0; i < n; i++) {
        char kname[16];
        snprintf(kname, sizeof kname, "__k%d", i + 1);
        ast_expr *eq = mk_args(b, AST_BINARY, KL_OP_EQ, loc, end, 2, outer[i], mk_col(b, alias, kname, loc, end));
        on = on ? mk_args(b, AST_BINARY, KL_OP_AND, loc, end, 2, on, eq) : eq;
        if (!on) return false;
    }
    j->kind = AST_TABLE_JOIN;
    j->loc = c->sel->from->loc;
    j->join_type = AST_JOIN_LEFT;
    j->left = c->sel->from;
    j->right = d;
    j->on = on;
    c->sel->from = j;
    return d->alias != NULL;
}

/* Derived table SELECT inner_1 AS __k1, ... FROM q.from WHERE local */
static ast_select *rw_derived(binder *b, ast_select *q, ast_expr *local, ast_expr **inner, int n) {
    ast_select *d = mk_select(b, q->loc);
    if (!d) return NULL;
    d->from = q->from;
    d->where = local;
    for (int i = 0; i < n; i++) {
        char kname[16];
        snprintf(kname, sizeof kname, "__k%d", i + 1);
        if (!push_item(b, d, inner[i], kname)) return NULL;
    }
    return d;
}

static int rw_expr(rw_ctx *c, ast_expr *a);

static int rw_one(rw_ctx *c, ast_expr *a) {
    binder *b = c->b;
    ast_select *q = a->subquery;
    ast_expr *local, **inner, **outer;
    int n;
    bool in = a->kind == AST_IN;
    if (a->kind == AST_SUBQUERY && (q->n_items != 1 || !ast_has_agg(q->items[0].expr))) return 0;
    if (in && q->n_items != 1) return 0;
    int k = rw_split(b, q, &local, &inner, &outer, &n);
    if (k <= 0) return k < 0 ? b->err->code : 0;
    char alias[32];
    snprintf(alias, sizeof alias, "__sq%d", ++c->next_id);
    int loc = a->loc, end = a->end;
    ast_select *d = rw_derived(b, q, local, inner, n);
    if (!d) return bind_oom(b);
    if (a->kind == AST_SUBQUERY) {
        for (int i = 0; i < n; i++) {
            ast_expr *ord = mk_int(b, i + 1, loc, end);
            ast_expr **g = kl_arena_calloc(&b->arena, (size_t)(d->n_group_by + 1) * sizeof *g);
            if (!ord || !g) return bind_oom(b);
            if (d->n_group_by) memcpy(g, d->group_by, (size_t)d->n_group_by * sizeof *g);
            g[d->n_group_by++] = ord;
            d->group_by = g;
        }
        if (!push_item(b, d, q->items[0].expr, "__v") || !push_item(b, d, mk_star_count(b, loc, end), "__n"))
            return bind_oom(b);
        /* the value over no rows: the same select on an empty input (an uncorrelated
           subquery, folded to a constant while binding) */
        ast_select *empty = mk_select(b, q->loc);
        if (!empty || !push_item(b, empty, q->items[0].expr, NULL)) return bind_oom(b);
        empty->from = q->from;
        empty->where = mk_bool(b, false, loc, end);
        ast_expr *empty_val = mk_node(b, AST_SUBQUERY, loc, end);
        if (!empty_val || !empty->where) return bind_oom(b);
        empty_val->subquery = empty;
        if (!rw_join(c, d, alias, outer, n, NULL, loc, end)) return bind_oom(b);
        ast_expr *isnull = mk_args(b, AST_IS_NULL, 0, loc, end, 1, mk_col(b, alias, "__n", loc, end), NULL);
        ast_expr *v = mk_col(b, alias, "__v", loc, end);
        ast_expr **args = kl_arena_calloc(&b->arena, 2 * sizeof *args);
        if (!isnull || !v || !args) return bind_oom(b);
        args[0] = isnull;
        args[1] = empty_val;
        a->kind = AST_CASE;
        a->args = args;
        a->n_args = 2;
        a->case_operand = NULL;
        a->else_expr = v;
        a->subquery = NULL;
        return 0;
    }
    if (a->kind == AST_EXISTS) {
        d->distinct = true;
        if (!rw_join(c, d, alias, outer, n, NULL, loc, end)) return bind_oom(b);
        ast_expr *m = mk_col(b, alias, "__k1", loc, end);
        if (!m) return bind_oom(b);
        bool negated = a->negated;
        a->kind = AST_IS_NULL;
        a->args = kl_arena_calloc(&b->arena, sizeof(ast_expr *));
        if (!a->args) return bind_oom(b);
        a->args[0] = m;
        a->n_args = 1;
        a->negated = !negated; /* EXISTS = key IS NOT NULL */
        a->subquery = NULL;
        return 0;
    }
    /* x [NOT] IN (SELECT y FROM .. WHERE corr): found? and per-key counts */
    ast_expr *x = a->args[0];
    TRY(rw_expr(c, x));
    d->distinct = true;
    if (!push_item(b, d, q->items[0].expr, "__y")) return bind_oom(b);
    ast_expr *match = mk_args(b, AST_BINARY, KL_OP_EQ, loc, end, 2, x, mk_col(b, alias, "__y", loc, end));
    if (!match || !rw_join(c, d, alias, outer, n, match, loc, end)) return bind_oom(b);
    char galias[32];
    snprintf(galias, sizeof galias, "__sq%d", ++c->next_id);
    ast_select *g = rw_derived(b, q, local, inner, n);
    if (!g) return bind_oom(b);
    for (int i = 0; i < n; i++) {
        ast_expr *ord = mk_int(b, i + 1, loc, end);
        ast_expr **gb = kl_arena_calloc(&b->arena, (size_t)(g->n_group_by + 1) * sizeof *gb);
        if (!ord || !gb) return bind_oom(b);
        if (g->n_group_by) memcpy(gb, g->group_by, (size_t)g->n_group_by * sizeof *gb);
        gb[g->n_group_by++] = ord;
        g->group_by = gb;
    }
    ast_expr *cnt_y = mk_node(b, AST_FUNC, loc, end);
    if (!cnt_y) return bind_oom(b);
    cnt_y->name = "count";
    cnt_y->n_args = 1;
    cnt_y->args = kl_arena_calloc(&b->arena, sizeof(ast_expr *));
    if (!cnt_y->args) return bind_oom(b);
    cnt_y->args[0] = q->items[0].expr;
    ast_expr *nulls = mk_args(b, AST_BINARY, KL_OP_SUB, loc, end, 2, mk_star_count(b, loc, end), cnt_y);
    if (!push_item(b, g, nulls, "__nulls")) return bind_oom(b);
    if (!rw_join(c, g, galias, outer, n, NULL, loc, end)) return bind_oom(b);
    /* CASE WHEN found THEN true WHEN no rows THEN false WHEN x IS NULL OR nulls > 0 THEN NULL
       ELSE false END */
    ast_expr *found = mk_args(b, AST_IS_NULL, 0, loc, end, 1, mk_col(b, alias, "__k1", loc, end), NULL);
    ast_expr *norows = mk_args(b, AST_IS_NULL, 0, loc, end, 1, mk_col(b, galias, "__nulls", loc, end), NULL);
    ast_expr *unknown = mk_args(b, AST_BINARY, KL_OP_OR, loc, end, 2, mk_args(b, AST_IS_NULL, 0, loc, end, 1, x, NULL),
                                mk_args(b, AST_BINARY, KL_OP_GT, loc, end, 2, mk_col(b, galias, "__nulls", loc, end),
                                        mk_int(b, 0, loc, end)));
    ast_expr *null_lit = mk_node(b, AST_CONST, loc, end);
    ast_expr **args = kl_arena_calloc(&b->arena, 6 * sizeof *args);
    if (!found || !norows || !unknown || !null_lit || !args) return bind_oom(b);
    found->negated = true;
    null_lit->lit_type = KILN_TYPE_NULL;
    args[0] = found;
    args[1] = mk_bool(b, true, loc, end);
    args[2] = norows;
    args[3] = mk_bool(b, false, loc, end);
    args[4] = unknown;
    args[5] = mk_args(b, AST_CAST, 0, loc, end, 1, null_lit, NULL);
    if (!args[1] || !args[3] || !args[5]) return bind_oom(b);
    args[5]->cast_type = KILN_TYPE_BOOLEAN;
    ast_expr *cs = mk_node(b, AST_CASE, loc, end);
    if (!cs) return bind_oom(b);
    cs->args = args;
    cs->n_args = 6;
    cs->else_expr = mk_bool(b, false, loc, end);
    if (!cs->else_expr) return bind_oom(b);
    bool negated = a->negated;
    if (negated) {
        a->kind = AST_UNARY;
        a->op = KL_OP_NOT;
        a->args = kl_arena_calloc(&b->arena, sizeof(ast_expr *));
        if (!a->args) return bind_oom(b);
        a->args[0] = cs;
        a->n_args = 1;
        a->negated = false;
    } else {
        *a = *cs;
    }
    a->subquery = NULL;
    return 0;
}

static int rw_expr(rw_ctx *c, ast_expr *a) {
    if (!a) return 0;
    if ((a->kind == AST_SUBQUERY || a->kind == AST_EXISTS || (a->kind == AST_IN && a->subquery)) && a->subquery)
        return rw_one(c, a);
    for (int i = 0; i < a->n_args; i++) TRY(rw_expr(c, a->args[i]));
    TRY(rw_expr(c, a->case_operand));
    return rw_expr(c, a->else_expr);
}

/* Top-level WHERE conjuncts EXISTS / IN (subquery) are left to plan_semi_join. */
static int rw_where(rw_ctx *c, ast_expr *a) {
    if (a->kind == AST_BINARY && a->op == KL_OP_AND) {
        TRY(rw_where(c, a->args[0]));
        return rw_where(c, a->args[1]);
    }
    if (a->kind == AST_EXISTS || (a->kind == AST_IN && a->subquery && !a->negated)) return 0;
    return rw_expr(c, a);
}

static int rewrite_correlated(binder *b, ast_select *sel) {
    if (!sel->from) return 0;
    rw_ctx c = {b, sel, b->n_rewrites};
    for (int i = 0; i < sel->n_items; i++) TRY(rw_expr(&c, sel->items[i].expr));
    if (sel->where) TRY(rw_where(&c, sel->where));
    for (int i = 0; i < sel->n_order_by; i++) TRY(rw_expr(&c, sel->order_by[i].expr));
    b->n_rewrites = c.next_id;
    return 0;
}

static int plan_from(binder *b, ast_table_ref *ref, kl_op **out, scope *sc) {
    memset(sc, 0, sizeof *sc);
    switch (ref->kind) {
    case AST_TABLE_NAME: {
        ast_cte *cte = find_cte(b, ref->name);
        if (cte) {
            char **names;
            uint32_t n;
            if (b->n_active_ctes == 64)
                return kl_err_at(b->err, KILN_ERR_BINDER, ref->loc, "common table expressions are nested too deeply");
            b->active_ctes[b->n_active_ctes++] = cte;
            int prc = plan_select(b, cte->query, out, &names, &n);
            b->n_active_ctes--;
            TRY(prc);
            int rc = scope_init(b, sc, n, names, (*out)->types, ref->alias ? ref->alias : ref->name);
            names_free(names, n);
            if (!rc && cte->n_col_aliases > (int)sc->n)
                rc = kl_err_at(b->err, KILN_ERR_BINDER, ref->loc, "table \"%s\" has %u columns available but %d columns specified",
                               cte->name, sc->n, cte->n_col_aliases);
            for (int i = 0; !rc && i < cte->n_col_aliases; i++) {
                char *nm = kl_strdup(cte->col_aliases[i]);
                if (!nm) rc = bind_oom(b);
                else {
                    kl_free(sc->cols[i].name);
                    sc->cols[i].name = nm;
                }
            }
            if (!rc) rc = apply_column_aliases(b, ref, sc);
            if (rc) {
                op_free(*out);
                *out = NULL;
                scope_free(sc);
            }
            return rc;
        }
        kl_table *t = catalog_find(b->cat, ref->name);
        if (!t) return kl_err_at(b->err, KILN_ERR_CATALOG, ref->loc, "Table with name %s does not exist!", ref->name);
        TRY(scope_init(b, sc, t->n_cols, t->col_names, t->types, ref->alias ? ref->alias : t->name));
        sc->est_rows = (double)t->n_rows;
        *out = op_scan_table(t);
        if (!*out) {
            scope_free(sc);
            return bind_oom(b);
        }
        if (apply_column_aliases(b, ref, sc)) {
            op_free(*out);
            *out = NULL;
            scope_free(sc);
            return b->err->code;
        }
        return 0;
    }
    case AST_TABLE_FILE: {
        const char *p = ref->path;
        size_t len = strlen(p);
        if ((len > 5 && !strcasecmp(p + len - 5, ".json")) || (len > 6 && !strcasecmp(p + len - 6, ".jsonl")) ||
            (len > 7 && !strcasecmp(p + len - 7, ".ndjson")))
            return kl_err_at(b->err, KILN_ERR_BINDER, ref->loc, "reading JSON files is not supported yet");
        return plan_csv(b, ref, p, NULL, NULL, 0, out, sc);
    }
    case AST_TABLE_FUNC: {
        if (!strcasecmp(ref->name, "read_csv") || !strcasecmp(ref->name, "read_csv_auto")) {
            if (ref->n_args < 1 || (ref->arg_names && ref->arg_names[0]))
                return kl_err_at(b->err, KILN_ERR_BINDER, ref->loc, "read_csv needs a file path as its first argument");
            char *path;
            TRY(const_text(b, ref->args[0], "path", &path));
            return plan_csv(b, ref, path, ref->args, ref->arg_names, ref->n_args, out, sc);
        }
        if (!strcasecmp(ref->name, "range") || !strcasecmp(ref->name, "generate_series"))
            return plan_range(b, ref, out, sc);
        return kl_err_at(b->err, KILN_ERR_BINDER, ref->loc, "Table Function with name %s does not exist!", ref->name);
    }
    case AST_TABLE_SUBQUERY: {
        char **names;
        uint32_t n;
        TRY(plan_select(b, ref->subquery, out, &names, &n));
        int rc = scope_init(b, sc, n, names, (*out)->types, ref->alias ? ref->alias : "unnamed_subquery");
        names_free(names, n);
        for (uint32_t i = 0; !rc && ref->internal && i < sc->n; i++) sc->cols[i].hidden = true;
        if (!rc) rc = apply_column_aliases(b, ref, sc);
        if (rc) {
            op_free(*out);
            *out = NULL;
            scope_free(sc);
        }
        return rc;
    }
    case AST_TABLE_JOIN: return plan_join(b, ref, out, sc);
    }
    return kl_err_at(b->err, KILN_ERR_INTERNAL, ref->loc, "unknown FROM item");
}

/* ---- SELECT ------------------------------------------------------------------------- */

typedef struct item_list {
    ast_expr **asts; /* per output column */
    char **names;
    uint32_t n, cap;
} item_list;

static int items_push(binder *b, item_list *l, ast_expr *a, char *name) {
    if (!name) return bind_oom(b);
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        ast_expr **na = kl_realloc(l->asts, cap * sizeof *na);
        if (!na) return kl_free(name), bind_oom(b);
        l->asts = na;
        char **nn = kl_realloc(l->names, cap * sizeof *nn);
        if (!nn) return kl_free(name), bind_oom(b);
        l->names = nn;
        l->cap = cap;
    }
    l->asts[l->n] = a;
    l->names[l->n++] = name;
    return 0;
}

static void items_free(item_list *l) {
    for (uint32_t i = 0; i < l->n; i++) kl_free(l->names[i]);
    kl_free(l->names);
    kl_free(l->asts);
}

/* Expand * and t.* into synthetic column references; collect output names. */
static int expand_items(binder *b, ast_select *sel, scope *sc, item_list *items) {
    for (int i = 0; i < sel->n_items; i++) {
        ast_select_item *it = &sel->items[i];
        ast_expr *a = it->expr;
        if (a->kind == AST_STAR) {
            bool any = false;
            for (uint32_t c = 0; sc && c < sc->n; c++) {
                if (sc->cols[c].hidden && !a->table) continue;
                if (a->table && !str_eq_ci(a->table, sc->cols[c].table)) continue;
                ast_expr *col = kl_arena_calloc(&b->arena, sizeof *col);
                if (!col) return bind_oom(b);
                col->kind = AST_COLUMN;
                col->loc = a->loc;
                col->end = a->end;
                col->name = sc->cols[c].name;
                col->table = sc->cols[c].table;
                TRY(items_push(b, items, col, kl_strdup(sc->cols[c].name)));
                any = true;
            }
            if (!any) {
                if (a->table) return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "Referenced table \"%s\" not found!", a->table);
                return kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "SELECT * with no tables specified is not valid");
            }
            continue;
        }
        char *name;
        if (it->alias) name = kl_strdup(it->alias);
        else if (a->kind == AST_COLUMN) {
            name = NULL;
            for (uint32_t c = 0; sc && c < sc->n; c++)
                if (!strcasecmp(sc->cols[c].name, a->name) && (!a->table || str_eq_ci(a->table, sc->cols[c].table))) {
                    name = kl_strdup(sc->cols[c].name);
                    break;
                }
            if (!name) name = kl_strdup(a->name);
        } else name = ast_text(b, a);
        TRY(items_push(b, items, a, name));
    }
    return 0;
}

/* ORDER BY ALL [ASC|DESC] [NULLS ..] -> one ordinal item per output column */
static int expand_order_all(binder *b, ast_order_item *items, int n, uint32_t n_out, ast_order_item **out,
                            uint32_t *n_items) {
    *out = items;
    *n_items = (uint32_t)n;
    if (n != 1 || items[0].expr->kind != AST_STAR || items[0].expr->table) return 0;
    ast_order_item *all = kl_arena_calloc(&b->arena, (n_out ? n_out : 1) * sizeof *all);
    if (!all) return bind_oom(b);
    for (uint32_t i = 0; i < n_out; i++) {
        ast_expr *c = kl_arena_calloc(&b->arena, sizeof *c);
        if (!c) return bind_oom(b);
        c->kind = AST_CONST;
        c->lit_type = KILN_TYPE_BIGINT;
        c->ival = (int64_t)i + 1;
        c->loc = items[0].expr->loc;
        c->end = items[0].expr->end;
        all[i] = items[0];
        all[i].expr = c;
    }
    *out = all;
    *n_items = n_out;
    return 0;
}

static int limit_value(binder *b, ast_expr *a, const char *what, int64_t *out) {
    kl_expr *c;
    TRY(bind_constant(b->sql, a, &c, b->err));
    int rc = 0;
    if (c->type == KILN_TYPE_DOUBLE && !c->result.nulls[0]) {
        double d = VEC_F64(&c->result)[0];
        if (d >= 0 && d < 9.2e18 && d == (double)(int64_t)d) *out = (int64_t)d;
        else rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "%s must be a non-negative integer", what);
    } else if (c->type == KILN_TYPE_BIGINT && !c->result.nulls[0] && VEC_I64(&c->result)[0] >= 0) {
        *out = VEC_I64(&c->result)[0];
    } else if (c->result.nulls[0]) {
        *out = -1; /* LIMIT NULL = no limit */
    } else {
        rc = kl_err_at(b->err, KILN_ERR_BINDER, a->loc, "%s must be a non-negative integer", what);
    }
    expr_free(c);
    return rc;
}

static void free_exprs(kl_expr **xs, uint32_t n) {
    if (!xs) return;
    for (uint32_t i = 0; i < n; i++) expr_free(xs[i]);
    kl_free(xs);
}

static int plan_values(binder *b, ast_select *sel, kl_op **out, char ***names_out, uint32_t *n_names) {
    uint32_t nr = (uint32_t)sel->n_values_rows, nc = (uint32_t)sel->n_values_cols;
    env e = {NULL, NULL, "VALUES", NULL, NULL};
    kl_expr ***rows = kl_calloc(nr ? nr : 1, sizeof(kl_expr **));
    kl_type *types = kl_calloc(nc ? nc : 1, sizeof(kl_type));
    char **names = kl_calloc(nc ? nc : 1, sizeof(char *));
    int rc = (!rows || !types || !names) ? bind_oom(b) : 0;
    uint32_t built = 0;
    for (uint32_t r = 0; r < nr && !rc; r++, built++) {
        rows[r] = kl_calloc(nc ? nc : 1, sizeof(kl_expr *));
        if (!rows[r]) {
            rc = bind_oom(b);
            break;
        }
        for (uint32_t c = 0; c < nc && !rc; c++) {
            rc = bind_expr(b, &e, sel->values[r][c], &rows[r][c]);
            kl_type rt = rc ? KILN_TYPE_NULL : rows[r][c]->type;
            /* a string literal in a typed column is read as that type (DuckDB) */
            if (!rc && rt == KILN_TYPE_VARCHAR && rows[r][c]->kind == EXPR_CONST && types[c] != KILN_TYPE_NULL &&
                types[c] != KILN_TYPE_VARCHAR)
                continue;
            if (!rc && types[c] == KILN_TYPE_VARCHAR && rt != KILN_TYPE_VARCHAR && rt != KILN_TYPE_NULL) {
                bool all_const = true;
                for (uint32_t q = 0; q < r; q++) all_const &= rows[q][c]->kind == EXPR_CONST;
                if (all_const) {
                    types[c] = rt;
                    continue;
                }
            }
            if (!rc && !unify_types(types[c], rt, &types[c]))
                rc = kl_err_at(b->err, KILN_ERR_BINDER, sel->values[r][c]->loc,
                               "VALUES column %u mixes types %s and %s", c + 1, kiln_type_name(types[c]),
                               kiln_type_name(rows[r][c]->type));
        }
    }
    for (uint32_t r = 0; r < nr && !rc; r++)
        for (uint32_t c = 0; c < nc && !rc; c++) rc = add_cast(b, &rows[r][c], types[c], sel->values[r][c]->loc, false);
    for (uint32_t c = 0; c < nc && !rc; c++) {
        char buf[32];
        snprintf(buf, sizeof buf, "col%u", c);
        names[c] = kl_strdup(buf);
        if (!names[c]) rc = bind_oom(b);
    }
    if (!rc) {
        *out = op_values(rows, nr, nc, types);
        if (!*out) {
            rc = bind_oom(b);
            rows = NULL; /* freed by op_values */
        }
    }
    if (rc) {
        if (rows) {
            for (uint32_t r = 0; r < built; r++) {
                if (!rows[r]) continue;
                for (uint32_t c = 0; c < nc; c++) expr_free(rows[r][c]);
                kl_free(rows[r]);
            }
            kl_free(rows);
        }
        names_free(names, nc);
        kl_free(types);
        return rc;
    }
    kl_free(types);
    *names_out = names;
    *n_names = nc;
    return 0;
}

/* Cast the columns of op to types (a projection; op unchanged when nothing differs). */
static int cast_columns(binder *b, kl_op **op, const kl_type *types, int loc) {
    bool differ = false;
    for (uint32_t c = 0; c < (*op)->n_cols; c++) differ |= (*op)->types[c] != types[c];
    if (!differ) return 0;
    kl_expr **cols = kl_calloc((*op)->n_cols, sizeof(kl_expr *));
    if (!cols) return bind_oom(b);
    int rc = 0;
    for (uint32_t c = 0; !rc && c < (*op)->n_cols; c++) {
        cols[c] = expr_new_column(c, (*op)->types[c]);
        if (!cols[c]) rc = bind_oom(b);
        else rc = add_cast(b, &cols[c], types[c], loc, false);
    }
    if (rc) {
        free_exprs(cols, (*op)->n_cols);
        return rc;
    }
    *op = op_project(*op, cols, (*op)->n_cols);
    return *op ? 0 : bind_oom(b);
}

/* ORDER BY / LIMIT / OFFSET over a finished relation whose columns are `names` (set
   operations: items bind against the output columns only). */
static int order_limit_output(binder *b, ast_select *sel, kl_op **op, char **names) {
    ast_order_item *items;
    uint32_t n_order;
    TRY(expand_order_all(b, sel->order_by, sel->n_order_by, (*op)->n_cols, &items, &n_order));
    if (n_order) {
        scope sc;
        TRY(scope_init(b, &sc, (*op)->n_cols, names, (*op)->types, NULL));
        env e = {&sc, NULL, "ORDER BY", NULL, NULL};
        kl_expr **keys = kl_calloc(n_order, sizeof(kl_expr *));
        bool *desc = kl_calloc(n_order, sizeof(bool)), *nf = kl_calloc(n_order, sizeof(bool));
        int rc = (!keys || !desc || !nf) ? bind_oom(b) : 0;
        for (uint32_t o = 0; !rc && o < n_order; o++) {
            ast_expr *oa = items[o].expr;
            if (oa->kind == AST_CONST && oa->lit_type == KILN_TYPE_BIGINT) {
                if (oa->ival < 1 || oa->ival > (int64_t)(*op)->n_cols)
                    rc = kl_err_at(b->err, KILN_ERR_BINDER, oa->loc, "ORDER term out of range - should be between 1 and %u", (*op)->n_cols);
                else if (!(keys[o] = expr_new_column((uint32_t)oa->ival - 1, (*op)->types[oa->ival - 1])))
                    rc = bind_oom(b);
            } else {
                rc = bind_expr(b, &e, oa, &keys[o]);
            }
            desc[o] = items[o].desc;
            nf[o] = items[o].nulls_first == 1;
        }
        scope_free(&sc);
        if (rc) {
            free_exprs(keys, n_order);
            kl_free(desc);
            kl_free(nf);
            return rc;
        }
        *op = op_sort(*op, keys, desc, nf, n_order);
        kl_free(desc);
        kl_free(nf);
        if (!*op) return bind_oom(b);
        op_sort_set_threads(*op, b->threads);
    }
    if (sel->limit || sel->offset) {
        int64_t lim = -1, off = 0;
        if (sel->limit) TRY(limit_value(b, sel->limit, "LIMIT", &lim));
        if (sel->offset) TRY(limit_value(b, sel->offset, "OFFSET", &off));
        if (off < 0) off = 0;
        if (n_order && lim >= 0 && lim <= INT64_MAX - off) {
            op_sort_set_limit(*op, (uint64_t)(lim + off));
            if (op_topn_below_sort(*op, (uint64_t)(lim + off), b->threads)) return bind_oom(b);
        }
        *op = op_limit(*op, lim, off);
        if (!*op) return bind_oom(b);
    }
    return 0;
}

typedef struct col_map {
    bool *used;
    uint32_t *to;
    uint32_t n;
} col_map;

static void col_mark(uint32_t *col, void *ctx) {
    col_map *m = ctx;
    if (*col < m->n) m->used[*col] = true;
}

static void col_remap(uint32_t *col, void *ctx) {
    col_map *m = ctx;
    if (*col < m->n) *col = m->to[*col];
}

static void win_exprs_apply(win_env *w, void (*fn)(uint32_t *, void *), void *ctx) {
    for (uint32_t i = 0; i < w->n; i++) {
        kl_win_call *c = &w->calls[i];
        for (int k = 0; k < c->n_args; k++) expr_map_columns(c->args[k], fn, ctx);
        for (int k = 0; k < c->agg.n_args; k++) expr_map_columns(c->agg.args[k], fn, ctx);
        for (uint32_t k = 0; k < c->n_partition; k++) expr_map_columns(c->partition[k], fn, ctx);
        for (uint32_t k = 0; k < c->n_order; k++) expr_map_columns(c->order[k], fn, ctx);
    }
}

static int prune_for_window(binder *b, kl_op **op, kl_expr **projs, uint32_t n_proj, kl_expr *qualify, win_env *w) {
    uint32_t n = (*op)->n_cols;
    col_map m = {kl_calloc(n ? n : 1, sizeof(bool)), kl_calloc(n ? n : 1, sizeof(uint32_t)), n};
    int rc = (m.used && m.to) ? 0 : bind_oom(b);
    if (!rc) {
        for (uint32_t i = 0; i < n_proj; i++) expr_map_columns(projs[i], col_mark, &m);
        if (qualify) expr_map_columns(qualify, col_mark, &m);
        win_exprs_apply(w, col_mark, &m);
        uint32_t kept = 0;
        for (uint32_t c = 0; c < n; c++) kept += m.used[c];
        if (kept < n) {
            kl_expr **cols = kl_calloc(kept ? kept : 1, sizeof(kl_expr *));
            if (!cols) rc = bind_oom(b);
            for (uint32_t c = 0, k = 0; !rc && c < n; c++) {
                if (!m.used[c]) continue;
                m.to[c] = k;
                if (!(cols[k++] = expr_new_column(c, (*op)->types[c]))) rc = bind_oom(b);
            }
            if (rc) {
                free_exprs(cols, kept);
            } else {
                for (uint32_t i = 0; i < n_proj; i++) expr_map_columns(projs[i], col_remap, &m);
                if (qualify) expr_map_columns(qualify, col_remap, &m);
                win_exprs_apply(w, col_remap, &m);
                *op = op_project(*op, cols, kept);
                if (!*op) rc = bind_oom(b);
            }
        }
    }
    kl_free(m.used);
    kl_free(m.to);
    return rc;
}

static int plan_setop(binder *b, ast_select *sel, kl_op **out, char ***names_out, uint32_t *n_out) {
    kl_op *l = NULL, *r = NULL;
    char **ln = NULL, **rn = NULL;
    uint32_t nl = 0, nr = 0;
    TRY(plan_select(b, sel->left, &l, &ln, &nl));
    int rc = plan_select(b, sel->right, &r, &rn, &nr);
    kl_type *types = NULL;
    if (!rc && nl != nr)
        rc = kl_err_at(b->err, KILN_ERR_BINDER, sel->right->loc,
                       "Set operations can only apply to expressions with the same number of result columns");
    if (!rc && !(types = kl_calloc(nl ? nl : 1, sizeof(kl_type)))) rc = bind_oom(b);
    for (uint32_t c = 0; !rc && c < nl; c++) {
        if (unify_types(l->types[c], r->types[c], &types[c])) {
            if (types[c] == KILN_TYPE_NULL) types[c] = KILN_TYPE_BIGINT;
        } else if (l->types[c] == KILN_TYPE_VARCHAR || r->types[c] == KILN_TYPE_VARCHAR) {
            types[c] = KILN_TYPE_VARCHAR; /* DuckDB: a mix with VARCHAR becomes VARCHAR */
        } else {
            rc = kl_err_at(b->err, KILN_ERR_BINDER, sel->loc, "Cannot combine types %s and %s in column %u of a set operation",
                           kiln_type_name(l->types[c]), kiln_type_name(r->types[c]), c + 1);
        }
    }
    if (!rc) rc = cast_columns(b, &l, types, sel->loc);
    if (!rc) rc = cast_columns(b, &r, types, sel->loc);
    kl_free(types);
    names_free(rn, nr);
    if (rc) {
        op_free(l);
        op_free(r);
        names_free(ln, nl);
        return rc;
    }
    kl_setop_kind kind = sel->setop == AST_SETOP_UNION_ALL     ? KL_SETOP_UNION_ALL
                       : sel->setop == AST_SETOP_UNION         ? KL_SETOP_UNION
                       : sel->setop == AST_SETOP_EXCEPT        ? KL_SETOP_EXCEPT
                       : sel->setop == AST_SETOP_EXCEPT_ALL    ? KL_SETOP_EXCEPT_ALL
                       : sel->setop == AST_SETOP_INTERSECT_ALL ? KL_SETOP_INTERSECT_ALL
                                                               : KL_SETOP_INTERSECT;
    kl_op *op = op_setop(l, r, kind);
    if (!op) {
        names_free(ln, nl);
        return bind_oom(b);
    }
    if ((rc = order_limit_output(b, sel, &op, ln))) {
        op_free(op);
        names_free(ln, nl);
        return rc;
    }
    *out = op;
    *names_out = ln;
    *n_out = nl;
    return 0;
}

static int plan_select(binder *b, ast_select *sel, kl_op **out, char ***names_out, uint32_t *n_out) {
    *out = NULL;
    if (++b->depth > 200) {
        b->depth--;
        return kl_err_at(b->err, KILN_ERR_BINDER, sel->loc, "query is nested too deeply");
    }
    cte_frame frame = {sel->ctes, sel->n_ctes, b->ctes};
    ast_select *saved_sel = b->cur_sel;
    if (sel->n_ctes) b->ctes = &frame;
    int rc = 0;
    kl_op *op = NULL;
    scope sc = {0};
    item_list items = {0};
    agg_env ag = {0};
    win_env wins = {0};
    kl_expr *qualify = NULL;
    kl_expr **projs = NULL;
    uint32_t n_proj = 0;
    kl_expr **keys = NULL;
    kl_expr **sort_keys = NULL;
    uint32_t n_sort_keys = 0;
    bool *desc = NULL, *nfirst = NULL;
    int *order_col = NULL;

    if (sel->setop != AST_SETOP_NONE) {
        rc = plan_setop(b, sel, &op, names_out, n_out);
        goto done_values;
    }
    if (sel->values) {
        rc = plan_values(b, sel, &op, names_out, n_out);
        goto done_values;
    }
    if ((rc = rewrite_correlated(b, sel))) goto done;
    b->cur_sel = sel;

    /* 1. FROM (joins may take WHERE conjuncts as join conditions or pushed-down filters) */
    pending_conds pc = {0};
    pending_conds *saved_pending = b->pending;
    if (sel->from) {
        b->pending = NULL;
        if (sel->where && sel->from->kind == AST_TABLE_JOIN) {
            int cap = 0;
            if ((rc = collect_conjuncts(b, sel->where, &pc.asts, &pc.n, &cap))) goto done;
            pc.consumed = kl_arena_calloc(&b->arena, (size_t)(pc.n ? pc.n : 1) * sizeof(bool));
            if (!pc.consumed) {
                rc = bind_oom(b);
                goto done;
            }
            b->pending = &pc;
        }
        rc = plan_from(b, sel->from, &op, &sc);
        b->pending = saved_pending;
        if (rc) goto done;
    } else {
        op = op_dual();
        if (!op) {
            rc = bind_oom(b);
            goto done;
        }
    }

    /* 2. WHERE (what the joins did not take) */
    if (sel->where) {
        env e = {&sc, NULL, "WHERE", NULL, sel};
        kl_expr *pred = NULL;
        if (!pc.consumed) {
            int cap = 0;
            pc.n = 0;
            if ((rc = collect_conjuncts(b, sel->where, &pc.asts, &pc.n, &cap))) goto done;
            pc.consumed = kl_arena_calloc(&b->arena, (size_t)(pc.n ? pc.n : 1) * sizeof(bool));
            if (!pc.consumed) {
                rc = bind_oom(b);
                goto done;
            }
        }
        for (int i = 0; i < pc.n; i++) {
            if (pc.consumed[i]) continue;
            ast_expr *ca = pc.asts[i];
            if (ca->kind == AST_EXISTS || (ca->kind == AST_IN && ca->subquery)) {
                bool handled;
                if ((rc = plan_semi_join(b, ca, &op, &sc, &handled))) break;
                if (handled) continue;
            }
            kl_expr *c;
            if ((rc = bind_expr(b, &e, ca, &c))) break;
            if ((rc = require_bool(b, &c, ca->loc, "WHERE clause"))) break;
            if ((rc = and_into(b, &pred, c, ca->loc))) break;
        }
        if (rc) {
            expr_free(pred);
            goto done;
        }
        if (pred) {
            /* row_number() <= k over a derived table: top-k per partition */
            if ((rc = op_topn_rewrite(&op, pred, b->threads))) {
                expr_free(pred);
                rc = bind_oom(b);
                goto done;
            }
            op = op_filter(op, pred);
            if (!op) {
                rc = bind_oom(b);
                goto done;
            }
        }
    }

    if ((rc = expand_items(b, sel, &sc, &items))) goto done;

    /* 3. aggregation? */
    bool aggregate = sel->n_group_by > 0 || sel->group_by_all || sel->having;
    for (uint32_t i = 0; i < items.n && !aggregate; i++) aggregate = ast_has_agg(items.asts[i]);
    for (int i = 0; i < sel->n_order_by && !aggregate; i++) aggregate = ast_has_agg(sel->order_by[i].expr);

    env item_env = {&sc, NULL, "the select list", &wins, NULL};
    if (aggregate) {
        /* resolve GROUP BY items */
        uint32_t ng = 0;
        ast_expr **gasts = kl_arena_calloc(&b->arena, (items.n + (uint32_t)sel->n_group_by + 1) * sizeof(ast_expr *));
        if (!gasts) {
            rc = bind_oom(b);
            goto done;
        }
        if (sel->group_by_all) {
            /* every select item without an aggregate, except constants (DuckDB does not
               group by them, so SELECT 4, count(*) ... GROUP BY ALL is a global aggregate) */
            for (uint32_t i = 0; i < items.n; i++)
                if (!ast_has_agg(items.asts[i]) && ast_reads_columns(items.asts[i])) gasts[ng++] = items.asts[i];
        }
        for (int g = 0; g < sel->n_group_by; g++) {
            ast_expr *ga = sel->group_by[g];
            if (ga->kind == AST_CONST && ga->lit_type == KILN_TYPE_BIGINT) {
                if (ga->ival < 1 || ga->ival > (int64_t)items.n) {
                    rc = kl_err_at(b->err, KILN_ERR_BINDER, ga->loc, "GROUP BY term out of range - should be between 1 and %u", items.n);
                    goto done;
                }
                ga = items.asts[ga->ival - 1];
                if (ast_has_agg(ga)) {
                    rc = kl_err_at(b->err, KILN_ERR_BINDER, sel->group_by[g]->loc, "GROUP BY clause cannot contain aggregates!");
                    goto done;
                }
            } else if (ga->kind == AST_COLUMN && !ga->table) {
                /* a select alias, if no input column has that name */
                bool is_input = false;
                for (uint32_t c = 0; c < sc.n; c++) is_input |= !strcasecmp(sc.cols[c].name, ga->name);
                if (!is_input)
                    for (int i = 0; i < sel->n_items; i++)
                        if (sel->items[i].alias && !strcasecmp(sel->items[i].alias, ga->name)) {
                            ga = sel->items[i].expr;
                            break;
                        }
            }
            gasts[ng++] = ga;
        }
        ag.group_asts = gasts;
        ag.n_keys = ng;
        ag.key_types = kl_arena_calloc(&b->arena, (ng ? ng : 1) * sizeof(kl_type));
        keys = kl_calloc(ng ? ng : 1, sizeof(kl_expr *));
        if (!ag.key_types || !keys) {
            rc = bind_oom(b);
            goto done;
        }
        env ge = {&sc, NULL, "GROUP BY", NULL, NULL};
        for (uint32_t k = 0; k < ng; k++) {
            if ((rc = bind_expr(b, &ge, gasts[k], &keys[k]))) goto done;
            ag.key_types[k] = keys[k]->type;
        }
        item_env.agg = &ag;
    }

    /* 4. select list, HAVING, ORDER BY */
    ast_order_item *order_items;
    uint32_t n_order;
    if ((rc = expand_order_all(b, sel->order_by, sel->n_order_by, items.n, &order_items, &n_order))) goto done;
    projs = kl_calloc(items.n + n_order + 1, sizeof(kl_expr *));
    order_col = kl_calloc(n_order + 1, sizeof(int));
    if (!projs || !order_col) {
        rc = bind_oom(b);
        goto done;
    }
    for (uint32_t i = 0; i < items.n; i++) {
        if ((rc = bind_expr(b, &item_env, items.asts[i], &projs[i]))) goto done;
        n_proj++;
    }
    kl_expr *having = NULL;
    if (sel->having) {
        env he = item_env;
        he.clause = "HAVING";
        he.win = NULL;
        he.alias_sel = sel;
        if ((rc = bind_expr(b, &he, sel->having, &having))) goto done;
        if ((rc = require_bool(b, &having, sel->having->loc, "HAVING clause"))) goto done;
    }
    for (uint32_t o = 0; o < n_order; o++) {
        ast_expr *oa = order_items[o].expr;
        order_col[o] = -1;
        if (oa->kind == AST_CONST && oa->lit_type == KILN_TYPE_BIGINT) {
            if (oa->ival < 1 || oa->ival > (int64_t)items.n) {
                expr_free(having);
                rc = kl_err_at(b->err, KILN_ERR_BINDER, oa->loc, "ORDER term out of range - should be between 1 and %u", items.n);
                goto done;
            }
            order_col[o] = (int)oa->ival - 1;
            continue;
        }
        if (oa->kind == AST_COLUMN && !oa->table) {
            for (int i = 0; i < sel->n_items; i++)
                if (sel->items[i].alias && !strcasecmp(sel->items[i].alias, oa->name)) {
                    /* position of item i among expanded items: count stars before it */
                    uint32_t pos = 0;
                    for (uint32_t k = 0; k < items.n; k++)
                        if (items.asts[k] == sel->items[i].expr) pos = k;
                    order_col[o] = (int)pos;
                    break;
                }
            if (order_col[o] >= 0) continue;
        }
        for (uint32_t i = 0; i < items.n; i++)
            if (ast_equal(items.asts[i], oa)) {
                order_col[o] = (int)i;
                break;
            }
        if (order_col[o] >= 0) continue;
        if (sel->distinct) {
            expr_free(having);
            rc = kl_err_at(b->err, KILN_ERR_BINDER, oa->loc, "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
            goto done;
        }
        env oe = item_env;
        oe.clause = "ORDER BY";
        if ((rc = bind_expr(b, &oe, oa, &projs[n_proj]))) {
            expr_free(having);
            goto done;
        }
        order_col[o] = (int)n_proj++;
    }

    if (sel->qualify) {
        env qe = item_env;
        qe.clause = "QUALIFY";
        qe.alias_sel = sel;
        if ((rc = bind_expr(b, &qe, sel->qualify, &qualify)) ||
            (rc = require_bool(b, &qualify, sel->qualify->loc, "QUALIFY clause"))) {
            expr_free(having);
            goto done;
        }
    }

    if (aggregate) {
        op = op_hash_agg(op, keys, ag.n_keys, ag.aggs, ag.n_aggs);
        op_hash_agg_set_threads(op, b->threads);
        keys = NULL;
        ag.aggs = NULL;
        ag.n_aggs = 0;
        if (!op) {
            expr_free(having);
            rc = bind_oom(b);
            goto done;
        }
        if (having) {
            op = op_filter(op, having);
            if (!op) {
                rc = bind_oom(b);
                goto done;
            }
        }
    }
    if (wins.n) {
        /* The window operator materializes its input: keep only the columns something above
           it reads (a wide CSV would otherwise be copied whole). */
        if ((rc = prune_for_window(b, &op, projs, n_proj, qualify, &wins))) goto done;
        /* its input (scan, filters) is read on all threads */
        if (!(op = op_gather(op, b->threads))) {
            rc = bind_oom(b);
            goto done;
        }
        /* window results follow the columns the window operator reads */
        uint32_t base = op->n_cols;
        for (uint32_t i = 0; i < n_proj; i++) expr_map_columns(projs[i], win_renumber, &base);
        if (qualify) expr_map_columns(qualify, win_renumber, &base);
        op = op_window(op, wins.calls, wins.n);
        wins.calls = NULL;
        wins.n = 0;
        if (!op) {
            rc = bind_oom(b);
            goto done;
        }
        op_window_set_threads(op, b->threads);
    }
    if (qualify) {
        if ((rc = op_topn_rewrite(&op, qualify, b->threads))) {
            rc = bind_oom(b);
            goto done;
        }
        op = op_filter(op, qualify);
        qualify = NULL;
        if (!op) {
            rc = bind_oom(b);
            goto done;
        }
    }
    /* SELECT * over a source is an identity projection: skip it, so consumers see the
       source's own chunks (a table can then adopt them instead of copying) */
    bool identity = n_proj == op->n_cols;
    for (uint32_t i = 0; identity && i < n_proj; i++)
        identity = projs[i]->kind == EXPR_COLUMN && projs[i]->col == i && projs[i]->type == op->types[i];
    if (identity) {
        free_exprs(projs, n_proj); /* n_proj stays: hidden ORDER BY columns are dropped below */
        projs = NULL;
    } else {
        op = op_project(op, projs, n_proj);
        projs = NULL;
        if (!op) {
            rc = bind_oom(b);
            goto done;
        }
    }
    if (sel->distinct) {
        op = op_distinct(op);
        if (!op) {
            rc = bind_oom(b);
            goto done;
        }
    }
    if (n_order) {
        sort_keys = kl_calloc(n_order, sizeof(kl_expr *));
        n_sort_keys = n_order;
        desc = kl_calloc(n_order, sizeof(bool));
        nfirst = kl_calloc(n_order, sizeof(bool));
        if (!sort_keys || !desc || !nfirst) {
            rc = bind_oom(b);
            goto done;
        }
        for (uint32_t o = 0; o < n_order; o++) {
            uint32_t c = (uint32_t)order_col[o];
            sort_keys[o] = expr_new_column(c, op->types[c]);
            if (!sort_keys[o]) {
                rc = bind_oom(b);
                goto done;
            }
            desc[o] = order_items[o].desc;
            /* DuckDB default: NULLS LAST for both directions */
            nfirst[o] = order_items[o].nulls_first == 1;
        }
        if (!(op = op_gather(op, b->threads))) {
            rc = bind_oom(b);
            goto done;
        }
        op = op_sort(op, sort_keys, desc, nfirst, n_order);
        sort_keys = NULL;
        if (!op) {
            rc = bind_oom(b);
            goto done;
        }
        op_sort_set_threads(op, b->threads);
    }
    if (sel->limit || sel->offset) {
        int64_t lim = -1, off = 0;
        if (sel->limit && (rc = limit_value(b, sel->limit, "LIMIT", &lim))) goto done;
        if (sel->offset && (rc = limit_value(b, sel->offset, "OFFSET", &off))) goto done;
        if (off < 0) off = 0;
        if (n_order && lim >= 0 && lim <= INT64_MAX - off) {
            op_sort_set_limit(op, (uint64_t)(lim + off));
            if (op_topn_below_sort(op, (uint64_t)(lim + off), b->threads)) {
                rc = bind_oom(b);
                goto done;
            }
        }
        op = op_limit(op, lim, off);
        if (!op) {
            rc = bind_oom(b);
            goto done;
        }
    }
    if (n_proj > items.n) {
        /* drop hidden ORDER BY columns */
        kl_expr **fin = kl_calloc(items.n ? items.n : 1, sizeof(kl_expr *));
        if (!fin) {
            rc = bind_oom(b);
            goto done;
        }
        for (uint32_t i = 0; i < items.n; i++) {
            fin[i] = expr_new_column(i, op->types[i]);
            if (!fin[i]) {
                free_exprs(fin, i);
                rc = bind_oom(b);
                goto done;
            }
        }
        op = op_project(op, fin, items.n);
        if (!op) {
            rc = bind_oom(b);
            goto done;
        }
    }
    /* CSV projection pushdown: convert only the columns the query referenced */
    for (uint32_t i = 0; i < sc.n_csvs; i++) csv_set_projection(sc.csvs[i].csv, sc.used + sc.csvs[i].offset);
    *names_out = items.names;
    *n_out = items.n;
    items.names = NULL;
    items.n = 0;
done:
    if (rc) {
        op_free(op);
        op = NULL;
    }
    free_exprs(projs, n_proj);
    free_exprs(keys, ag.n_keys);
    free_exprs(sort_keys, n_sort_keys);
    if (ag.aggs) {
        for (uint32_t a = 0; a < ag.n_aggs; a++) agg_call_clear(&ag.aggs[a]);
        kl_free(ag.aggs);
    }
    kl_free(ag.agg_asts);
    for (uint32_t w = 0; w < wins.n; w++) win_call_clear(&wins.calls[w]);
    kl_free(wins.calls);
    kl_free(wins.asts);
    expr_free(qualify);
    kl_free(desc);
    kl_free(nfirst);
    kl_free(order_col);
    items_free(&items);
    scope_free(&sc);
    b->cur_sel = saved_sel;
done_values:
    if (sel->n_ctes) b->ctes = frame.outer;
    b->depth--;
    *out = op;
    return rc;
}

int bind_select(kl_catalog *cat, const char *sql, ast_select *sel, int threads, kl_op **out,
                char ***names, kl_error *err) {
    binder b = {0};
    b.cat = cat;
    b.threads = threads;
    b.sql = sql;
    b.err = err;
    kl_arena_init(&b.arena, 8192);
    uint32_t n = 0;
    int rc = plan_select(&b, sel, out, names, &n);
    kl_arena_free(&b.arena);
    return rc;
}
