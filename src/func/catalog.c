/*
 * catalog.c — the function catalog: finds scalar and aggregate functions by lower-case name.
 *
 * API: func_find_scalar(name), func_find_agg(name). The definitions live in per-area
 * tables (scalar_math.c, scalar_string.c, scalar_misc.c, scalar_date.c, agg_basic.c, agg_stats.c,
 * agg_holistic.c), each terminated by a NULL name; lookup is a linear scan over them,
 * which happens only at bind time (a few hundred string compares at most).
 */
#include "func/func_internal.h"

const kl_scalar_def *func_find_scalar(const char *name) {
    if (!name) return NULL;
    const kl_scalar_def *tables[] = {fn_math_defs, fn_string_defs, fn_misc_defs, fn_date_defs, fn_model_defs};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const kl_scalar_def *d = tables[t]; d->name; d++)
            if (strcmp(d->name, name) == 0) return d;
    return NULL;
}

const kl_agg_def *func_find_agg(const char *name) {
    if (!name) return NULL;
    const kl_agg_def *tables[] = {fn_agg_basic_defs, fn_agg_stats_defs, fn_agg_holistic_defs, fn_agg_model_defs};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const kl_agg_def *d = tables[t]; d->name; d++)
            if (strcmp(d->name, name) == 0) return d;
    return NULL;
}
