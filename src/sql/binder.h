/*
 * binder.h — turns a parsed SELECT into a tree of physical operators: resolves table and
 * column names against the catalog and the FROM clause, types every expression, inserts
 * casts, folds constants, splits aggregates out of the select list, and lays down the plan
 *   scan -> filter(WHERE) -> hash aggregate -> filter(HAVING) -> projection -> distinct ->
 *   sort -> limit.
 *
 * API: bind_select(catalog, sql, select, &op, &names, err) gives the root operator (owned
 * by the caller, op_free) and its output column names (names_free). bind_constant() binds
 * and folds an expression without any columns (SET values, COPY options, LIMIT).
 * Errors carry the SQL offset of the offending node.
 */
#ifndef KL_BINDER_H
#define KL_BINDER_H

#include "exec/operator.h"
#include "sql/ast.h"

typedef struct kl_catalog {
    kl_table **tables;
    size_t n_tables;
    size_t cap_tables;
} kl_catalog;

/** Case-insensitive lookup; NULL if absent. */
kl_table *catalog_find(const kl_catalog *cat, const char *name);
/** Index of the table, or -1. */
long catalog_index(const kl_catalog *cat, const char *name);
int catalog_add(kl_catalog *cat, kl_table *t, kl_error *err);
void catalog_remove(kl_catalog *cat, size_t index); /* frees the table */
void catalog_free(kl_catalog *cat);

/** threads: how many threads the plan's parallel operators may use. */
int bind_select(kl_catalog *cat, const char *sql, ast_select *sel, int threads, kl_op **out,
                char ***names, kl_error *err);
void names_free(char **names, uint32_t n);
/** Bind and fold a column-free expression to an EXPR_CONST node (caller frees). */
int bind_constant(const char *sql, ast_expr *a, kl_expr **out, kl_error *err);

#endif /* KL_BINDER_H */
