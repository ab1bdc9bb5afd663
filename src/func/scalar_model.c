/*
 * scalar_model.c — reading and applying MODEL values (the results of linreg, logreg, svm,
 * kmeans; ml/model.h):
 *
 *   coef(m, i), std_err(m, i), t_stat(m, i) (z_stat for logreg), p_value(m, i),
 *   odds_ratio(m, i)         i = 1..k: feature i (its position among x1..xk); i = 0: the
 *                            intercept
 *   intercept(m), r2(m), adj_r2(m), condition_no(m), log_likelihood(m), inertia(m),
 *   n_rows(m), n_skipped(m), iterations(m), n_features(m), n_classes(m), is_fitted(m)
 *   centroid(m, c, i), cluster_size(m, c)      c = 0-based cluster (as predict returns it)
 *   model_json(m) -> VARCHAR, model_from_json(text) -> MODEL
 *   predict(m, x1..xk), predict_proba(m, x1..xk) (logreg: P(y = 1)),
 *   predict_label(m, x1..xk) (the class label as VARCHAR, any classifier)
 *
 * API: the table fn_model_defs (searched by catalog.c).
 *
 * Each row's model comes from model_cache_get (a per-thread cache of parsed models keyed by
 * the value's bytes), so a join that applies per-group models parses each model once per
 * thread, not once per row. A NULL model or argument gives NULL; a model that was not
 * fitted gives NULL from every accessor except n_rows, n_skipped, n_features, is_fitted and
 * model_json. Asking a model for something its kind does not have (r2 of a kmeans model) or
 * for a feature/cluster out of range is an error that says so.
 *
 * predict() returns the type the MODEL type carries (KL_MODEL_OF: DOUBLE for linreg, BIGINT
 * cluster index for kmeans, the training label's type for logreg and svm). A model read back
 * with model_from_json(text) has no known label type at bind time: its predict() returns
 * DOUBLE (class labels must then be numbers; predict_label() gives any label as text), and
 * model_from_json(text, 'VARCHAR') (a constant type name) makes predict() return that type.
 */
#include "func/func_internal.h"
#include "ml/model.h"

#include <math.h>
#include <stdlib.h>

/* the model of row i of v (NULL: SQL NULL) */
static int row_model(const kl_vec *v, uint32_t i, const kl_model **m, kl_error *err) {
    if (v->type == KILN_TYPE_NULL || v->nulls[i]) {
        *m = NULL;
        return 0;
    }
    kl_str s = VEC_STR(v)[i];
    return model_cache_get(s.ptr, s.len, m, err);
}

static int need_model(kl_type t, const char *fn, kl_error *err) {
    if (kl_type_is_model(t) || t == KILN_TYPE_NULL) return 0;
    return kl_err(err, KILN_ERR_BINDER, "%s(): the first argument must be a MODEL (from linreg, logreg, svm or kmeans), not %s",
                  fn, fn_type_name(t));
}

/* ---- accessors -------------------------------------------------------------------------- */

typedef enum acc_id {
    ACC_COEF, ACC_STD_ERR, ACC_T_STAT, ACC_P_VALUE, ACC_ODDS, ACC_INTERCEPT, ACC_R2, ACC_ADJ_R2,
    ACC_COND, ACC_LOGLIK, ACC_INERTIA, ACC_N_ROWS, ACC_N_SKIPPED, ACC_ITER, ACC_N_FEATURES,
    ACC_N_CLASSES, ACC_FITTED, ACC_CENTROID, ACC_CLUSTER_SIZE
} acc_id;

typedef struct acc_def {
    const char *name;
    acc_id id;
    int n_idx;     /* index arguments after m */
    kl_type ret;
} acc_def;

static const acc_def ACCESSORS[] = {
    {"coef", ACC_COEF, 1, KILN_TYPE_DOUBLE},
    {"std_err", ACC_STD_ERR, 1, KILN_TYPE_DOUBLE},
    {"t_stat", ACC_T_STAT, 1, KILN_TYPE_DOUBLE},
    {"z_stat", ACC_T_STAT, 1, KILN_TYPE_DOUBLE},
    {"p_value", ACC_P_VALUE, 1, KILN_TYPE_DOUBLE},
    {"odds_ratio", ACC_ODDS, 1, KILN_TYPE_DOUBLE},
    {"intercept", ACC_INTERCEPT, 0, KILN_TYPE_DOUBLE},
    {"r2", ACC_R2, 0, KILN_TYPE_DOUBLE},
    {"adj_r2", ACC_ADJ_R2, 0, KILN_TYPE_DOUBLE},
    {"condition_no", ACC_COND, 0, KILN_TYPE_DOUBLE},
    {"log_likelihood", ACC_LOGLIK, 0, KILN_TYPE_DOUBLE},
    {"inertia", ACC_INERTIA, 0, KILN_TYPE_DOUBLE},
    {"n_rows", ACC_N_ROWS, 0, KILN_TYPE_BIGINT},
    {"n_skipped", ACC_N_SKIPPED, 0, KILN_TYPE_BIGINT},
    {"iterations", ACC_ITER, 0, KILN_TYPE_BIGINT},
    {"n_features", ACC_N_FEATURES, 0, KILN_TYPE_BIGINT},
    {"n_classes", ACC_N_CLASSES, 0, KILN_TYPE_BIGINT},
    {"is_fitted", ACC_FITTED, 0, KILN_TYPE_BOOLEAN},
    {"centroid", ACC_CENTROID, 2, KILN_TYPE_DOUBLE},
    {"cluster_size", ACC_CLUSTER_SIZE, 1, KILN_TYPE_BIGINT},
};

static const acc_def *acc_find(const char *name) {
    for (size_t i = 0; i < sizeof ACCESSORS / sizeof ACCESSORS[0]; i++)
        if (!strcmp(ACCESSORS[i].name, name)) return &ACCESSORS[i];
    return NULL;
}

static int acc_bind_impl(const char *name, kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                         kl_error *err) {
    const acc_def *a = acc_find(name);
    TRY(need_model(arg_types[0], name, err));
    for (int i = 1; i < n_args; i++) {
        if (arg_types[i] != KILN_TYPE_BIGINT && arg_types[i] != KILN_TYPE_NULL)
            return kl_err(err, KILN_ERR_BINDER, "%s(): argument %d must be an integer, not %s", name, i + 1,
                          fn_type_name(arg_types[i]));
        arg_types[i] = KILN_TYPE_BIGINT;
    }
    ctx->bind_data = (void *)a;
    *ret = a->ret;
    return 0;
}

static int wrong_kind(const char *fn, const kl_model *m, const char *kinds, kl_error *err) {
    return kl_err(err, KILN_ERR_INVALID, "%s() needs a %s model, not %s", fn, kinds, model_kind_name(m->kind));
}

/* [0..d] coefficient-like array of the model for accessor a (NULL: none for this model) */
static int stat_array(const acc_def *a, const kl_model *m, const double **arr, bool *derived, kl_error *err) {
    *derived = false;
    if (m->kind == MODEL_LINREG) {
        switch (a->id) {
        case ACC_COEF: *arr = m->lin.coef; return 0;
        case ACC_STD_ERR: *arr = m->lin.std_err; return 0;
        case ACC_T_STAT: *arr = m->lin.t_stat; return 0;
        case ACC_P_VALUE: *arr = m->lin.p_value; return 0;
        default: return wrong_kind(a->name, m, "logreg", err);
        }
    }
    if (m->kind == MODEL_LOGREG) {
        *arr = a->id == ACC_COEF ? m->log.coef : a->id == ACC_STD_ERR ? m->log.std_err : m->log.coef;
        *derived = a->id == ACC_T_STAT || a->id == ACC_P_VALUE || a->id == ACC_ODDS;
        if ((a->id == ACC_T_STAT || a->id == ACC_P_VALUE) && !m->log.std_err) *arr = NULL;
        if (a->id == ACC_STD_ERR && !m->log.std_err) *arr = NULL;
        return 0;
    }
    return wrong_kind(a->name, m, a->id == ACC_ODDS ? "logreg" : "linreg or logreg", err);
}

static int acc_value(const acc_def *a, const kl_model *m, const int64_t *idx, kl_vec *out, uint32_t i,
                     kl_error *err) {
    bool fitted = model_fitted(m);
    double v = NAN;
    int64_t iv = 0;
    switch (a->id) {
    /* defined for unfitted models too */
    case ACC_N_ROWS: VEC_I64(out)[i] = m->n_rows; return 0;
    case ACC_N_SKIPPED: VEC_I64(out)[i] = m->n_skipped; return 0;
    case ACC_N_FEATURES: VEC_I64(out)[i] = m->d; return 0;
    case ACC_FITTED: VEC_U8(out)[i] = fitted; return 0;
    case ACC_N_CLASSES:
        if (m->kind != MODEL_LOGREG && m->kind != MODEL_SVM) return wrong_kind(a->name, m, "logreg or svm", err);
        VEC_I64(out)[i] = m->n_classes;
        return 0;
    case ACC_COEF:
    case ACC_STD_ERR:
    case ACC_T_STAT:
    case ACC_P_VALUE:
    case ACC_ODDS: {
        const double *arr = NULL;
        bool derived = false;
        TRY(stat_array(a, m, &arr, &derived, err));
        if (idx[0] < 0 || idx[0] > (int64_t)m->d)
            return kl_err(err, KILN_ERR_INVALID, "%s(): feature %lld is out of range (1..%u, or 0 for the intercept)",
                          a->name, (long long)idx[0], m->d);
        if (!fitted || !arr) break;
        if (idx[0] == 0 && !m->intercept) break;
        v = arr[idx[0]];
        if (derived) {
            double se = m->log.std_err ? m->log.std_err[idx[0]] : NAN;
            if (a->id == ACC_ODDS) v = idx[0] == 0 ? NAN : exp(v);
            else if (a->id == ACC_T_STAT) v = v / se;
            else v = 2.0 * ml_norm_sf(fabs(v / se));
        }
        break;
    }
    case ACC_INTERCEPT:
        if (m->kind == MODEL_LINREG) v = fitted && m->intercept ? m->lin.coef[0] : NAN;
        else if (m->kind == MODEL_LOGREG) v = fitted && m->intercept ? m->log.coef[0] : NAN;
        else return wrong_kind(a->name, m, "linreg or logreg", err);
        break;
    case ACC_R2:
    case ACC_ADJ_R2:
    case ACC_COND:
        if (m->kind != MODEL_LINREG) return wrong_kind(a->name, m, "linreg", err);
        if (fitted) v = a->id == ACC_R2 ? m->lin.r2 : a->id == ACC_ADJ_R2 ? m->lin.adj_r2 : m->lin.condition_no;
        break;
    case ACC_LOGLIK:
        if (m->kind != MODEL_LOGREG) return wrong_kind(a->name, m, "logreg", err);
        if (fitted) v = m->log.log_likelihood;
        break;
    case ACC_INERTIA:
        if (m->kind != MODEL_KMEANS) return wrong_kind(a->name, m, "kmeans", err);
        if (fitted) v = m->km.inertia;
        break;
    case ACC_ITER:
        if (m->kind == MODEL_LOGREG) iv = m->log.iterations;
        else if (m->kind == MODEL_KMEANS) iv = m->km.iterations;
        else if (m->kind == MODEL_SVM && !m->svm.rbf) iv = m->svm.iterations;
        else return wrong_kind(a->name, m, "logreg, kmeans or linear svm", err);
        if (!fitted) {
            out->nulls[i] = 1;
            out->has_nulls = true;
        } else {
            VEC_I64(out)[i] = iv;
        }
        return 0;
    case ACC_CENTROID:
    case ACC_CLUSTER_SIZE: {
        if (m->kind != MODEL_KMEANS) return wrong_kind(a->name, m, "kmeans", err);
        if (!fitted) break;
        if (idx[0] < 0 || idx[0] >= (int64_t)m->km.k)
            return kl_err(err, KILN_ERR_INVALID, "%s(): cluster %lld is out of range (0..%u)", a->name,
                          (long long)idx[0], m->km.k - 1);
        if (a->id == ACC_CLUSTER_SIZE) {
            VEC_I64(out)[i] = (int64_t)m->km.sizes[idx[0]];
            return 0;
        }
        if (idx[1] < 1 || idx[1] > (int64_t)m->d)
            return kl_err(err, KILN_ERR_INVALID, "centroid(): feature %lld is out of range (1..%u)", (long long)idx[1], m->d);
        v = m->km.centroids[(size_t)idx[0] * m->d + (size_t)(idx[1] - 1)];
        break;
    }
    default: break;
    }
    if (isnan(v) || (a->ret == KILN_TYPE_BIGINT)) {
        /* NaN (not fitted, aliased, undefined) and integer accessors that got here: NULL */
        out->nulls[i] = 1;
        out->has_nulls = true;
        return 0;
    }
    VEC_F64(out)[i] = v;
    return 0;
}

static int acc_exec(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out, kl_error *err) {
    const acc_def *a = ctx->bind_data;
    for (uint32_t i = 0; i < n; i++) {
        out->nulls[i] = 0;
        bool null = false;
        int64_t idx[2] = {0, 0};
        for (int j = 1; j < n_args; j++) {
            if (args[j]->type == KILN_TYPE_NULL || args[j]->nulls[i]) null = true;
            else idx[j - 1] = VEC_I64(args[j])[i];
        }
        const kl_model *m = NULL;
        if (!null) TRY(row_model(args[0], i, &m, err));
        if (!m) {
            out->nulls[i] = 1;
            out->has_nulls = true;
            continue;
        }
        TRY(acc_value(a, m, idx, out, i, err));
    }
    return 0;
}

#define ACC_BIND(fname)                                                                            \
    static int acc_bind_##fname(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,     \
                                kl_error *err) {                                                   \
        return acc_bind_impl(#fname, ctx, arg_types, n_args, ret, err);                            \
    }
ACC_BIND(coef)
ACC_BIND(std_err)
ACC_BIND(t_stat)
ACC_BIND(z_stat)
ACC_BIND(p_value)
ACC_BIND(odds_ratio)
ACC_BIND(intercept)
ACC_BIND(r2)
ACC_BIND(adj_r2)
ACC_BIND(condition_no)
ACC_BIND(log_likelihood)
ACC_BIND(inertia)
ACC_BIND(n_rows)
ACC_BIND(n_skipped)
ACC_BIND(iterations)
ACC_BIND(n_features)
ACC_BIND(n_classes)
ACC_BIND(is_fitted)
ACC_BIND(centroid)
ACC_BIND(cluster_size)

/* ---- model_json / model_from_json ---------------------------------------------------------- */

static int json_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(n_args);
    TRY(need_model(arg_types[0], "model_json", err));
    *ret = KILN_TYPE_VARCHAR;
    return 0;
}

/* out = the text of v's rows; with `check`, each must be a model (parsed, so a broken one
   fails here, naming the problem); the value keeps the text as it is */
static int copy_model_text(const kl_vec *v, uint32_t n, bool check, kl_vec *out, kl_error *err) {
    for (uint32_t i = 0; i < n; i++) {
        const kl_model *m = NULL;
        if (check) TRY(row_model(v, i, &m, err));
        if (v->type == KILN_TYPE_NULL || v->nulls[i]) {
            out->nulls[i] = 1;
            out->has_nulls = true;
            continue;
        }
        out->nulls[i] = 0;
        kl_str s = VEC_STR(v)[i];
        if (vec_set_string(out, i, s.ptr, s.len)) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    return 0;
}

static int json_exec(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out, kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(n_args);
    return copy_model_text(args[0], n, false, out, err);
}

/* model_from_json(text [, predicts]): the optional constant names the type predict() of the
   model returns ('DOUBLE', 'BIGINT', 'VARCHAR', 'BOOLEAN', 'DATE', 'TIMESTAMP'); without it,
   DOUBLE (see the file comment). */
static int from_json_bind(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, kl_error *err) {
    if (arg_types[0] != KILN_TYPE_VARCHAR && arg_types[0] != KILN_TYPE_NULL && !kl_type_is_model(arg_types[0]))
        return kl_err(err, KILN_ERR_BINDER, "model_from_json(): the argument must be VARCHAR (a model's JSON text), not %s",
                      fn_type_name(arg_types[0]));
    if (arg_types[0] == KILN_TYPE_NULL) arg_types[0] = KILN_TYPE_VARCHAR;
    *ret = kl_type_is_model(arg_types[0]) ? arg_types[0] : KILN_TYPE_MODEL;
    if (n_args > 1) {
        const kl_vec *c = ctx->const_args ? ctx->const_args[1] : NULL;
        static const kl_type types[] = {KILN_TYPE_DOUBLE, KILN_TYPE_BIGINT, KILN_TYPE_VARCHAR,
                                        KILN_TYPE_BOOLEAN, KILN_TYPE_DATE, KILN_TYPE_TIMESTAMP};
        kl_type t = KILN_TYPE_NULL;
        if (c && c->type == KILN_TYPE_VARCHAR && !c->nulls[0])
            for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
                const char *nm = fn_type_name(types[i]);
                if (VEC_STR(c)[0].len == strlen(nm) && !strncasecmp(VEC_STR(c)[0].ptr, nm, strlen(nm))) t = types[i];
            }
        if (t == KILN_TYPE_NULL)
            return kl_err(err, KILN_ERR_BINDER, "model_from_json(): the second argument must be a constant type name "
                                                "that predict() returns: 'DOUBLE', 'BIGINT', 'VARCHAR', 'BOOLEAN', 'DATE' or 'TIMESTAMP'");
        *ret = KL_MODEL_OF(t);
    }
    return 0;
}

static int from_json_exec(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out, kl_error *err) {
    KL_UNUSED(ctx);
    KL_UNUSED(n_args);
    return copy_model_text(args[0], n, true, out, err);
}

/* ---- predict -------------------------------------------------------------------------------- */

typedef enum pred_kind { PRED_VALUE, PRED_PROBA, PRED_LABEL } pred_kind;

static int pred_bind_impl(const char *fn, pred_kind pk, kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret,
                          kl_error *err) {
    TRY(need_model(arg_types[0], fn, err));
    for (int i = 1; i < n_args; i++) {
        kl_type t = arg_types[i];
        if (t != KILN_TYPE_BIGINT && t != KILN_TYPE_DOUBLE && t != KILN_TYPE_BOOLEAN && t != KILN_TYPE_NULL)
            return kl_err(err, KILN_ERR_BINDER, "%s(): feature x%d must be numeric, not %s", fn, i, fn_type_name(t));
        arg_types[i] = KILN_TYPE_DOUBLE;
    }
    ctx->bind_data = (void *)(uintptr_t)pk;
    if (pk == PRED_PROBA) *ret = KILN_TYPE_DOUBLE;
    else if (pk == PRED_LABEL) *ret = KILN_TYPE_VARCHAR;
    else {
        kl_type t = arg_types[0] == KILN_TYPE_NULL ? KILN_TYPE_NULL : kl_model_predicts(arg_types[0]);
        *ret = t == KILN_TYPE_NULL ? KILN_TYPE_DOUBLE : t;
    }
    return 0;
}

static int pred_bind_value(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, kl_error *err) {
    return pred_bind_impl("predict", PRED_VALUE, ctx, arg_types, n_args, ret, err);
}
static int pred_bind_proba(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, kl_error *err) {
    return pred_bind_impl("predict_proba", PRED_PROBA, ctx, arg_types, n_args, ret, err);
}
static int pred_bind_label(kl_fn_ctx *ctx, kl_type *arg_types, int n_args, kl_type *ret, kl_error *err) {
    return pred_bind_impl("predict_label", PRED_LABEL, ctx, arg_types, n_args, ret, err);
}

static int pred_exec(kl_fn_ctx *ctx, kl_vec **args, int n_args, uint32_t n, kl_vec *out, kl_error *err) {
    pred_kind pk = (pred_kind)(uintptr_t)ctx->bind_data;
    const char *fn = pk == PRED_PROBA ? "predict_proba" : pk == PRED_LABEL ? "predict_label" : "predict";
    uint32_t d = (uint32_t)(n_args - 1);
    double row[256], *x = d <= 256 ? row : kl_malloc(d * sizeof *x);
    if (!x) return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    /* class labels go through text (a VARCHAR vector cast to the label type at the end) */
    bool via_text = false;
    kl_vec text;
    int rc = 0;
    if (pk == PRED_VALUE && out->type != KILN_TYPE_DOUBLE && out->type != KILN_TYPE_BIGINT) {
        via_text = true;
        if (vec_init(&text, KILN_TYPE_VARCHAR, n ? n : 1)) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    kl_vec *dst = via_text ? &text : out;
    for (uint32_t i = 0; i < n && !rc; i++) {
        dst->nulls[i] = 0;
        bool null = false;
        for (int j = 1; j < n_args && !null; j++) {
            if (args[j]->type == KILN_TYPE_NULL || args[j]->nulls[i]) null = true;
            else x[j - 1] = VEC_F64(args[j])[i];
        }
        const kl_model *m = NULL;
        if (!null && (rc = row_model(args[0], i, &m, err))) break;
        if (!m || !model_fitted(m)) {
            dst->nulls[i] = 1;
            dst->has_nulls = true;
            continue;
        }
        if (m->d != d) {
            rc = kl_err(err, KILN_ERR_INVALID, "%s(): the model has %u feature%s, %u given", fn, m->d, m->d == 1 ? "" : "s", d);
            break;
        }
        if (pk == PRED_PROBA) {
            if (m->kind != MODEL_LOGREG) {
                rc = wrong_kind(fn, m, "logreg", err);
                break;
            }
            VEC_F64(dst)[i] = ml_logreg_proba(&m->log, x);
            continue;
        }
        if (m->kind == MODEL_LINREG || m->kind == MODEL_KMEANS) {
            if (pk == PRED_LABEL) {
                rc = wrong_kind(fn, m, "logreg or svm", err);
                break;
            }
            double v = model_predict_value(m, x);
            if (out->type == KILN_TYPE_BIGINT) VEC_I64(dst)[i] = (int64_t)v;
            else if (out->type == KILN_TYPE_DOUBLE) VEC_F64(dst)[i] = v;
            else {
                rc = kl_err(err, KILN_ERR_INVALID, "%s(): a %s model does not predict %s", fn, model_kind_name(m->kind),
                            fn_type_name(out->type));
                break;
            }
            continue;
        }
        uint32_t c = model_predict_class(m, x);
        const char *label = c < m->n_classes ? m->classes[c] : NULL;
        if (!label) {
            rc = kl_err(err, KILN_ERR_INVALID, "%s(): the model has no label for class %u", fn, c);
            break;
        }
        if (dst->type == KILN_TYPE_VARCHAR) {
            if (vec_set_string(dst, i, label, strlen(label))) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory");
        } else if (dst->type == KILN_TYPE_DOUBLE || dst->type == KILN_TYPE_BIGINT) {
            /* a model read back from text: its labels must be numbers */
            char *end;
            double v = strtod(label, &end);
            if (!strcmp(label, "true") || !strcmp(label, "false")) v = label[0] == 't', end = (char *)label + strlen(label);
            if (*end != '\0' || end == label) {
                rc = kl_err(err, KILN_ERR_INVALID,
                            "%s(): class label '%.40s' is not a number; predict_label() returns any label as text", fn, label);
                break;
            }
            if (dst->type == KILN_TYPE_BIGINT) VEC_I64(dst)[i] = (int64_t)v;
            else VEC_F64(dst)[i] = v;
        }
    }
    if (via_text) {
        if (!rc) rc = func_cast(&text, n, out, false, err);
        vec_free(&text);
    }
    if (x != row) kl_free(x);
    return rc;
}

/* ---- the table ------------------------------------------------------------------------------ */

#define ACC(name, lo, hi) {#name, lo, hi, acc_bind_##name, acc_exec, NULL, true, false}

const kl_scalar_def fn_model_defs[] = {
    ACC(coef, 2, 2),
    ACC(std_err, 2, 2),
    ACC(t_stat, 2, 2),
    ACC(z_stat, 2, 2),
    ACC(p_value, 2, 2),
    ACC(odds_ratio, 2, 2),
    ACC(intercept, 1, 1),
    ACC(r2, 1, 1),
    ACC(adj_r2, 1, 1),
    ACC(condition_no, 1, 1),
    ACC(log_likelihood, 1, 1),
    ACC(inertia, 1, 1),
    ACC(n_rows, 1, 1),
    ACC(n_skipped, 1, 1),
    ACC(iterations, 1, 1),
    ACC(n_features, 1, 1),
    ACC(n_classes, 1, 1),
    ACC(is_fitted, 1, 1),
    ACC(centroid, 3, 3),
    ACC(cluster_size, 2, 2),
    {"model_json", 1, 1, json_bind, json_exec, NULL, true, false},
    {"model_from_json", 1, 2, from_json_bind, from_json_exec, NULL, true, false},
    {"predict", 2, -1, pred_bind_value, pred_exec, NULL, true, false},
    {"predict_proba", 2, -1, pred_bind_proba, pred_exec, NULL, true, false},
    {"predict_label", 2, -1, pred_bind_label, pred_exec, NULL, true, false},
    {NULL, 0, 0, NULL, NULL, NULL, false, false},
};
