/*
 * model.c — MODEL values: JSON text <-> kl_model, the per-thread parse cache, prediction
 * (see model.h for the format and the API).
 *
 * Writing is one function per kind after the common head; reading walks the parsed JSON
 * tree (ml/json.h) with small typed getters that name the key and the expected form in
 * their error ("invalid model: \"coef\" must be an array of 3 numbers"). Values that JSON
 * cannot hold (NaN, infinities: an aliased coefficient, an undefined statistic) are written
 * as null and read back as NaN.
 *
 * Cache: per thread (a pthread key whose destructor frees it), MODEL_CACHE_SLOTS entries
 * indexed by XXH3 of the bytes; a slot keeps a copy of the bytes and the parsed model, and
 * a different model hashing to the same slot replaces it. Bounds: at most MODEL_CACHE_SLOTS
 * parsed models per thread.
 */
#include "ml/model.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <xxhash.h>

#include "ml/json.h"

const char *model_kind_name(model_kind kind) {
    switch (kind) {
    case MODEL_LINREG: return "linreg";
    case MODEL_LOGREG: return "logreg";
    case MODEL_SVM: return "svm";
    case MODEL_KMEANS: return "kmeans";
    }
    return "?";
}

bool model_fitted(const kl_model *m) {
    switch (m->kind) {
    case MODEL_LINREG: return m->lin.fitted;
    case MODEL_LOGREG: return m->log.fitted;
    case MODEL_SVM: return m->svm.fitted;
    case MODEL_KMEANS: return m->km.fitted;
    }
    return false;
}

const char *model_reason(const kl_model *m) {
    switch (m->kind) {
    case MODEL_LINREG: return m->lin.reason;
    case MODEL_LOGREG: return m->log.reason;
    case MODEL_SVM: return m->svm.reason;
    case MODEL_KMEANS: return m->km.reason;
    }
    return "";
}

void model_free(kl_model *m) {
    if (!m) return;
    for (uint32_t i = 0; m->classes && i < m->n_classes; i++) kl_free(m->classes[i]);
    kl_free(m->classes);
    ml_linreg_fit_free(&m->lin);
    ml_logreg_fit_free(&m->log);
    ml_svm_fit_free(&m->svm);
    ml_kmeans_fit_free(&m->km);
    memset(m, 0, sizeof *m);
}

/* the types a model can predict */
static const kl_type PREDICT_TYPES[] = {KILN_TYPE_BOOLEAN, KILN_TYPE_BIGINT, KILN_TYPE_DOUBLE,
                                        KILN_TYPE_VARCHAR, KILN_TYPE_DATE, KILN_TYPE_TIMESTAMP};

static const char *type_name(kl_type t) { return kiln_type_name(t); }

static bool type_from_name(const char *s, kl_type *t) {
    for (size_t i = 0; i < sizeof PREDICT_TYPES / sizeof PREDICT_TYPES[0]; i++)
        if (strcasecmp(s, type_name(PREDICT_TYPES[i])) == 0) return *t = PREDICT_TYPES[i], true;
    return false;
}

/* ---- writing ------------------------------------------------------------------------------- */

static int put_num(kl_buf *b, const char *key, double v) {
    TRY(json_put_key(b, key, false));
    return json_put_double(b, v);
}

static int put_int(kl_buf *b, const char *key, int64_t v) {
    TRY(json_put_key(b, key, false));
    return kl_buf_printf(b, "%lld", (long long)v);
}

static int put_bool(kl_buf *b, const char *key, bool v) {
    TRY(json_put_key(b, key, false));
    return kl_buf_puts(b, v ? "true" : "false");
}

/* a[first .. first + n) */
static int put_array(kl_buf *b, const char *key, const double *a, size_t n) {
    if (key) TRY(json_put_key(b, key, false));
    TRY(kl_buf_putc(b, '['));
    for (size_t i = 0; i < n; i++) {
        if (i) TRY(kl_buf_putc(b, ','));
        TRY(json_put_double(b, a[i]));
    }
    return kl_buf_putc(b, ']');
}

/* rows x cols row-major as an array of arrays */
static int put_matrix(kl_buf *b, const char *key, const double *a, size_t rows, size_t cols) {
    TRY(json_put_key(b, key, false));
    TRY(kl_buf_putc(b, '['));
    for (size_t i = 0; i < rows; i++) {
        if (i) TRY(kl_buf_putc(b, ','));
        TRY(put_array(b, NULL, a + i * cols, cols));
    }
    return kl_buf_putc(b, ']');
}

static int put_label(kl_buf *b, kl_type t, const char *text) {
    if (t == KILN_TYPE_BIGINT || t == KILN_TYPE_DOUBLE) {
        char *end;
        double v = strtod(text, &end);
        if (*end == '\0' && isfinite(v)) return kl_buf_puts(b, text);
    }
    if (t == KILN_TYPE_BOOLEAN && (!strcmp(text, "true") || !strcmp(text, "false"))) return kl_buf_puts(b, text);
    return kl_buf_put_json_str(b, text, strlen(text));
}

/* coefficient-like statistics: features under `key`, the intercept under `ikey` */
static int put_stat(kl_buf *b, const kl_model *m, const char *key, const char *ikey, const double *a) {
    if (m->intercept) TRY(put_num(b, ikey, a[0]));
    return put_array(b, key, a + 1, m->d);
}

static int write_params(kl_buf *b, const kl_model *m) {
    TRY(json_put_key(b, "params", false));
    TRY(kl_buf_putc(b, '{'));
    switch (m->kind) {
    case MODEL_LINREG:
        TRY(json_put_key(b, "intercept", true));
        TRY(kl_buf_puts(b, m->intercept ? "true" : "false"));
        break;
    case MODEL_LOGREG:
        TRY(json_put_key(b, "intercept", true));
        TRY(kl_buf_puts(b, m->intercept ? "true" : "false"));
        if (m->c > 0) TRY(put_num(b, "c", m->c));
        else TRY(kl_buf_puts(b, ",\"c\":null"));
        TRY(put_int(b, "max_iter", m->max_iter));
        TRY(put_num(b, "tol", m->tol));
        break;
    case MODEL_SVM:
        TRY(json_put_key(b, "kernel", true));
        TRY(kl_buf_puts(b, m->rbf ? "\"rbf\"" : "\"linear\""));
        TRY(put_num(b, "c", m->c));
        if (m->rbf) {
            if (m->gamma > 0) TRY(put_num(b, "gamma", m->gamma));
            else TRY(kl_buf_puts(b, ",\"gamma\":\"scale\""));
        }
        TRY(put_num(b, "tol", m->tol));
        TRY(put_int(b, "max_iter", m->max_iter));
        break;
    case MODEL_KMEANS:
        TRY(json_put_key(b, "k", true));
        TRY(kl_buf_printf(b, "%u", m->k));
        TRY(put_int(b, "n_init", m->n_init));
        TRY(put_int(b, "max_iter", m->max_iter));
        TRY(put_num(b, "tol", m->tol));
        TRY(put_int(b, "seed", (int64_t)m->seed));
        break;
    }
    return kl_buf_putc(b, '}');
}

static int write_classes(kl_buf *b, const kl_model *m) {
    TRY(json_put_key(b, "classes", false));
    TRY(kl_buf_putc(b, '['));
    for (uint32_t i = 0; i < m->n_classes; i++) {
        if (i) TRY(kl_buf_putc(b, ','));
        TRY(put_label(b, m->predicts, m->classes[i]));
    }
    return kl_buf_putc(b, ']');
}

static int write_linreg(kl_buf *b, const kl_model *m) {
    const ml_linreg_fit *f = &m->lin;
    TRY(put_stat(b, m, "coef", "intercept", f->coef));
    TRY(put_stat(b, m, "std_err", "intercept_std_err", f->std_err));
    TRY(put_stat(b, m, "t_stats", "intercept_t_stat", f->t_stat));
    TRY(put_stat(b, m, "p_values", "intercept_p_value", f->p_value));
    TRY(put_num(b, "r2", f->r2));
    TRY(put_num(b, "adj_r2", f->adj_r2));
    TRY(put_num(b, "condition_no", f->condition_no));
    TRY(put_num(b, "df", f->df));
    return put_int(b, "rank", f->rank);
}

static int write_logreg(kl_buf *b, const kl_model *m) {
    const ml_logreg_fit *f = &m->log;
    uint32_t d = m->d;
    TRY(write_classes(b, m));
    TRY(put_stat(b, m, "coef", "intercept", f->coef));
    double *tmp = kl_malloc((d + 1) * 3 * sizeof(double));
    if (!tmp) return KILN_ERR_MEMORY;
    double *z = tmp, *p = tmp + d + 1, *odds = p + d + 1;
    for (uint32_t j = 0; j <= d; j++) {
        double se = f->std_err ? f->std_err[j] : NAN;
        z[j] = f->coef[j] / se;
        p[j] = isnan(z[j]) ? NAN : 2.0 * ml_norm_sf(fabs(z[j]));
        odds[j] = exp(f->coef[j]);
    }
    int rc = 0;
    if (f->std_err) rc = put_stat(b, m, "std_err", "intercept_std_err", f->std_err);
    if (!rc && f->std_err) rc = put_stat(b, m, "z_stats", "intercept_z_stat", z);
    if (!rc && f->std_err) rc = put_stat(b, m, "p_values", "intercept_p_value", p);
    if (!rc) rc = put_array(b, "odds_ratios", odds + 1, d);
    kl_free(tmp);
    TRY(rc);
    TRY(put_num(b, "log_likelihood", f->log_likelihood));
    TRY(put_int(b, "iterations", f->iterations));
    return put_bool(b, "converged", f->converged);
}

static int write_svm(kl_buf *b, const kl_model *m) {
    const ml_svm_fit *f = &m->svm;
    TRY(write_classes(b, m));
    if (!f->rbf) {
        TRY(put_matrix(b, "weights", f->w, f->n_w, f->d));
        TRY(put_array(b, "bias", f->b, f->n_w));
        return put_int(b, "iterations", f->iterations);
    }
    TRY(put_num(b, "gamma_value", f->gamma));
    TRY(json_put_key(b, "n_support", false));
    TRY(kl_buf_putc(b, '['));
    for (uint32_t i = 0; i < f->n_classes; i++) TRY(kl_buf_printf(b, i ? ",%u" : "%u", f->n_sv_class[i]));
    TRY(kl_buf_putc(b, ']'));
    TRY(put_matrix(b, "support_vectors", f->sv, f->n_sv, f->d));
    TRY(put_matrix(b, "dual_coef", f->sv_coef, f->n_classes - 1, f->n_sv));
    return put_array(b, "rho", f->rho, (size_t)f->n_classes * (f->n_classes - 1) / 2);
}

static int write_kmeans(kl_buf *b, const kl_model *m) {
    const ml_kmeans_fit *f = &m->km;
    TRY(put_matrix(b, "centroids", f->centroids, f->k, f->d));
    TRY(json_put_key(b, "cluster_sizes", false));
    TRY(kl_buf_putc(b, '['));
    for (uint32_t i = 0; i < f->k; i++) TRY(kl_buf_printf(b, i ? ",%llu" : "%llu", (unsigned long long)f->sizes[i]));
    TRY(kl_buf_putc(b, ']'));
    TRY(put_num(b, "inertia", f->inertia));
    return put_int(b, "iterations", f->iterations);
}

int model_to_json(const kl_model *m, kl_buf *out) {
    bool fitted = model_fitted(m);
    TRY(kl_buf_puts(out, "{\"model\":"));
    TRY(kl_buf_put_json_str(out, model_kind_name(m->kind), strlen(model_kind_name(m->kind))));
    TRY(put_bool(out, "fitted", fitted));
    const char *why = model_reason(m);
    if (*why) {
        TRY(json_put_key(out, fitted ? "warning" : "reason", false));
        TRY(kl_buf_put_json_str(out, why, strlen(why)));
    }
    TRY(put_int(out, "features", m->d));
    TRY(put_int(out, "n_rows", m->n_rows));
    TRY(put_int(out, "n_skipped", m->n_skipped));
    TRY(json_put_key(out, "predicts", false));
    TRY(kl_buf_put_json_str(out, type_name(m->predicts), strlen(type_name(m->predicts))));
    TRY(write_params(out, m));
    if (fitted) {
        switch (m->kind) {
        case MODEL_LINREG: TRY(write_linreg(out, m)); break;
        case MODEL_LOGREG: TRY(write_logreg(out, m)); break;
        case MODEL_SVM: TRY(write_svm(out, m)); break;
        case MODEL_KMEANS: TRY(write_kmeans(out, m)); break;
        }
    } else if (m->kind == MODEL_LOGREG || m->kind == MODEL_SVM) {
        TRY(write_classes(out, m));
    }
    return kl_buf_putc(out, '}');
}

/* ---- reading ------------------------------------------------------------------------------- */

typedef struct reader {
    const json_value *obj;
    kl_error *err;
    uint8_t *used; /* per member of obj: read by a getter */
} reader;

static int bad(reader *r, const char *key, const char *what) {
    return kl_err(r->err, KILN_ERR_CONVERSION, "invalid model: \"%s\" %s", key, what);
}

static const json_value *member(reader *r, const char *key) {
    for (uint32_t i = 0; i < r->obj->n; i++)
        if (strcmp(r->obj->keys[i], key) == 0) {
            r->used[i] = 1;
            return r->obj->items[i];
        }
    return NULL;
}

static int get_num(reader *r, const char *key, bool required, double *out) {
    const json_value *v = member(r, key);
    if (!v) {
        *out = NAN;
        return required ? bad(r, key, "is missing") : 0;
    }
    if (v->kind == JSON_NULL) return *out = NAN, 0;
    if (v->kind != JSON_NUMBER) return bad(r, key, "must be a number");
    *out = v->num;
    return 0;
}

static int get_uint(reader *r, const char *key, uint64_t max, uint64_t *out) {
    const json_value *v = member(r, key);
    if (!v) return bad(r, key, "is missing");
    if (v->kind != JSON_NUMBER || !v->is_int || v->i64 < 0 || (uint64_t)v->i64 > max)
        return bad(r, key, "must be a non-negative integer");
    *out = (uint64_t)v->i64;
    return 0;
}

static int get_bool(reader *r, const char *key, bool *out) {
    const json_value *v = member(r, key);
    if (!v) return bad(r, key, "is missing");
    if (v->kind != JSON_TRUE && v->kind != JSON_FALSE) return bad(r, key, "must be true or false");
    *out = v->kind == JSON_TRUE;
    return 0;
}

static int fill_array(reader *r, const char *key, const json_value *v, size_t n, double *out) {
    if (!v || v->kind != JSON_ARRAY || v->n != n) {
        char what[80];
        snprintf(what, sizeof what, "must be an array of %zu number%s", n, n == 1 ? "" : "s");
        return bad(r, key, what);
    }
    for (size_t i = 0; i < n; i++) {
        const json_value *x = v->items[i];
        if (x->kind == JSON_NULL) out[i] = NAN;
        else if (x->kind == JSON_NUMBER) out[i] = x->num;
        else return bad(r, key, "must hold numbers");
    }
    return 0;
}

/* *out = kl_malloc'ed n numbers (n may be 0) */
static int get_array(reader *r, const char *key, size_t n, double **out) {
    *out = kl_malloc((n ? n : 1) * sizeof(double));
    if (!*out) return kl_err(r->err, KILN_ERR_MEMORY, "out of memory");
    return fill_array(r, key, member(r, key), n, *out);
}

static int get_matrix(reader *r, const char *key, size_t rows, size_t cols, double **out) {
    *out = kl_malloc((rows * cols > 0 ? rows * cols : 1) * sizeof(double));
    if (!*out) return kl_err(r->err, KILN_ERR_MEMORY, "out of memory");
    const json_value *v = member(r, key);
    if (!v || v->kind != JSON_ARRAY || v->n != rows) {
        char what[80];
        snprintf(what, sizeof what, "must be an array of %zu arrays", rows);
        return bad(r, key, what);
    }
    for (size_t i = 0; i < rows; i++) TRY(fill_array(r, key, v->items[i], cols, *out + i * cols));
    return 0;
}

/* [intercept, features...] from "ikey" and "key" */
static int get_stat(reader *r, const kl_model *m, const char *key, const char *ikey, double **out) {
    *out = kl_malloc((m->d + 1) * sizeof(double));
    if (!*out) return kl_err(r->err, KILN_ERR_MEMORY, "out of memory");
    (*out)[0] = NAN;
    if (m->intercept) TRY(get_num(r, ikey, true, *out));
    return fill_array(r, key, member(r, key), m->d, *out + 1);
}

static int get_classes(reader *r, kl_model *m) {
    const json_value *v = member(r, "classes");
    if (!v || v->kind != JSON_ARRAY) return bad(r, "classes", "must be an array");
    m->classes = kl_calloc(v->n ? v->n : 1, sizeof *m->classes);
    if (!m->classes) return kl_err(r->err, KILN_ERR_MEMORY, "out of memory");
    m->n_classes = v->n;
    for (uint32_t i = 0; i < v->n; i++) {
        const json_value *x = v->items[i];
        char tmp[48];
        const char *s;
        switch (x->kind) {
        case JSON_STRING: s = x->str; break;
        case JSON_TRUE: s = "true"; break;
        case JSON_FALSE: s = "false"; break;
        case JSON_NUMBER:
            if (x->is_int) snprintf(tmp, sizeof tmp, "%lld", (long long)x->i64);
            else snprintf(tmp, sizeof tmp, "%.17g", x->num);
            s = tmp;
            break;
        default: return bad(r, "classes", "must hold label values");
        }
        if (!(m->classes[i] = kl_strdup(s))) return kl_err(r->err, KILN_ERR_MEMORY, "out of memory");
    }
    return 0;
}

static int read_params(reader *top, kl_model *m) {
    const json_value *pv = member(top, "params");
    if (!pv || pv->kind != JSON_OBJECT) return bad(top, "params", "must be an object");
    uint8_t used[32] = {0};
    if (pv->n > 32) return bad(top, "params", "has unknown keys");
    reader r = {pv, top->err, used};
    uint64_t u;
    switch (m->kind) {
    case MODEL_LINREG: TRY(get_bool(&r, "intercept", &m->intercept)); break;
    case MODEL_LOGREG:
        TRY(get_bool(&r, "intercept", &m->intercept));
        TRY(get_num(&r, "c", true, &m->c));
        if (isnan(m->c)) m->c = 0;
        TRY(get_uint(&r, "max_iter", UINT32_MAX, &u));
        m->max_iter = (uint32_t)u;
        TRY(get_num(&r, "tol", true, &m->tol));
        break;
    case MODEL_SVM: {
        const json_value *k = member(&r, "kernel");
        if (!k || k->kind != JSON_STRING || (strcmp(k->str, "linear") && strcmp(k->str, "rbf")))
            return bad(&r, "kernel", "must be \"linear\" or \"rbf\"");
        m->rbf = k->str[0] == 'r';
        TRY(get_num(&r, "c", true, &m->c));
        if (m->rbf) {
            const json_value *g = member(&r, "gamma");
            if (g && g->kind == JSON_STRING && !strcmp(g->str, "scale")) m->gamma = 0;
            else if (g && g->kind == JSON_NUMBER) m->gamma = g->num;
            else return bad(&r, "gamma", "must be \"scale\" or a number");
        }
        TRY(get_num(&r, "tol", true, &m->tol));
        TRY(get_uint(&r, "max_iter", UINT32_MAX, &u));
        m->max_iter = (uint32_t)u;
        break;
    }
    case MODEL_KMEANS:
        TRY(get_uint(&r, "k", UINT32_MAX, &u));
        m->k = (uint32_t)u;
        TRY(get_uint(&r, "n_init", UINT32_MAX, &u));
        m->n_init = (uint32_t)u;
        TRY(get_uint(&r, "max_iter", UINT32_MAX, &u));
        m->max_iter = (uint32_t)u;
        TRY(get_num(&r, "tol", true, &m->tol));
        TRY(get_uint(&r, "seed", INT64_MAX, &m->seed));
        break;
    }
    for (uint32_t i = 0; i < pv->n; i++)
        if (!used[i]) return kl_err(top->err, KILN_ERR_CONVERSION, "invalid model: unknown parameter \"%s\"", pv->keys[i]);
    return 0;
}

static int read_linreg(reader *r, kl_model *m) {
    ml_linreg_fit *f = &m->lin;
    f->d = m->d;
    f->intercept = m->intercept;
    TRY(get_stat(r, m, "coef", "intercept", &f->coef));
    TRY(get_stat(r, m, "std_err", "intercept_std_err", &f->std_err));
    TRY(get_stat(r, m, "t_stats", "intercept_t_stat", &f->t_stat));
    TRY(get_stat(r, m, "p_values", "intercept_p_value", &f->p_value));
    TRY(get_num(r, "r2", true, &f->r2));
    TRY(get_num(r, "adj_r2", true, &f->adj_r2));
    TRY(get_num(r, "condition_no", true, &f->condition_no));
    TRY(get_num(r, "df", true, &f->df));
    uint64_t u;
    TRY(get_uint(r, "rank", m->d + 1u, &u));
    f->rank = (uint32_t)u;
    return 0;
}

static int read_logreg(reader *r, kl_model *m) {
    ml_logreg_fit *f = &m->log;
    f->d = m->d;
    TRY(get_stat(r, m, "coef", "intercept", &f->coef));
    if (!m->intercept) f->coef[0] = 0;
    if (member(r, "std_err")) {
        TRY(get_stat(r, m, "std_err", "intercept_std_err", &f->std_err));
        double *tmp;
        TRY(get_stat(r, m, "z_stats", "intercept_z_stat", &tmp)); /* derived: checked, not kept */
        kl_free(tmp);
        TRY(get_stat(r, m, "p_values", "intercept_p_value", &tmp));
        kl_free(tmp);
    }
    double *odds;
    int rc = get_array(r, "odds_ratios", m->d, &odds);
    kl_free(odds);
    TRY(rc);
    TRY(get_num(r, "log_likelihood", true, &f->log_likelihood));
    uint64_t u;
    TRY(get_uint(r, "iterations", UINT32_MAX, &u));
    f->iterations = (uint32_t)u;
    return get_bool(r, "converged", &f->converged);
}

static int read_svm(reader *r, kl_model *m) {
    ml_svm_fit *f = &m->svm;
    f->d = m->d;
    f->rbf = m->rbf;
    f->n_classes = m->n_classes;
    if (m->n_classes < 2) return bad(r, "classes", "must hold at least 2 labels");
    if (!m->rbf) {
        f->n_w = m->n_classes == 2 ? 1 : m->n_classes;
        TRY(get_matrix(r, "weights", f->n_w, f->d, &f->w));
        TRY(get_array(r, "bias", f->n_w, &f->b));
        uint64_t u;
        TRY(get_uint(r, "iterations", UINT32_MAX, &u));
        f->iterations = (uint32_t)u;
        return 0;
    }
    TRY(get_num(r, "gamma_value", true, &f->gamma));
    const json_value *ns = member(r, "n_support");
    if (!ns || ns->kind != JSON_ARRAY || ns->n != m->n_classes) return bad(r, "n_support", "must have one count per class");
    f->n_sv_class = kl_malloc(m->n_classes * sizeof *f->n_sv_class);
    if (!f->n_sv_class) return kl_err(r->err, KILN_ERR_MEMORY, "out of memory");
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->n_classes; i++) {
        const json_value *x = ns->items[i];
        if (x->kind != JSON_NUMBER || !x->is_int || x->i64 < 0 || x->i64 > UINT32_MAX)
            return bad(r, "n_support", "must hold counts");
        f->n_sv_class[i] = (uint32_t)x->i64;
        total += (uint64_t)x->i64;
    }
    if (total > UINT32_MAX) return bad(r, "n_support", "is too large");
    f->n_sv = (uint32_t)total;
    TRY(get_matrix(r, "support_vectors", f->n_sv, f->d, &f->sv));
    TRY(get_matrix(r, "dual_coef", m->n_classes - 1, f->n_sv, &f->sv_coef));
    return get_array(r, "rho", (size_t)m->n_classes * (m->n_classes - 1) / 2, &f->rho);
}

static int read_kmeans(reader *r, kl_model *m) {
    ml_kmeans_fit *f = &m->km;
    f->d = m->d;
    f->k = m->k;
    TRY(get_matrix(r, "centroids", f->k, f->d, &f->centroids));
    const json_value *s = member(r, "cluster_sizes");
    if (!s || s->kind != JSON_ARRAY || s->n != f->k) return bad(r, "cluster_sizes", "must have one count per cluster");
    f->sizes = kl_malloc((f->k ? f->k : 1) * sizeof *f->sizes);
    if (!f->sizes) return kl_err(r->err, KILN_ERR_MEMORY, "out of memory");
    for (uint32_t i = 0; i < f->k; i++) {
        const json_value *x = s->items[i];
        if (x->kind != JSON_NUMBER || !x->is_int || x->i64 < 0) return bad(r, "cluster_sizes", "must hold counts");
        f->sizes[i] = (uint64_t)x->i64;
    }
    TRY(get_num(r, "inertia", true, &f->inertia));
    uint64_t u;
    TRY(get_uint(r, "iterations", UINT32_MAX, &u));
    f->iterations = (uint32_t)u;
    return 0;
}

static int read_model(reader *r, kl_model *m) {
    const json_value *kind = member(r, "model");
    if (!kind || kind->kind != JSON_STRING) return bad(r, "model", "must name the model kind");
    for (model_kind k = MODEL_LINREG; k <= MODEL_KMEANS; k++)
        if (!strcmp(kind->str, model_kind_name(k))) m->kind = k;
    if (!m->kind) return bad(r, "model", "must be linreg, logreg, svm or kmeans");
    bool fitted;
    TRY(get_bool(r, "fitted", &fitted));
    uint64_t u;
    TRY(get_uint(r, "features", 1u << 20, &u));
    m->d = (uint32_t)u;
    TRY(get_uint(r, "n_rows", INT64_MAX, &u));
    m->n_rows = (int64_t)u;
    TRY(get_uint(r, "n_skipped", INT64_MAX, &u));
    m->n_skipped = (int64_t)u;
    const json_value *pt = member(r, "predicts");
    if (!pt || pt->kind != JSON_STRING || !type_from_name(pt->str, &m->predicts))
        return bad(r, "predicts", "must name a type (BIGINT, DOUBLE, VARCHAR, BOOLEAN, DATE, TIMESTAMP)");
    TRY(read_params(r, m));
    const json_value *why = member(r, fitted ? "warning" : "reason");
    if (why && why->kind != JSON_STRING) return bad(r, fitted ? "warning" : "reason", "must be a string");
    char *reason = NULL;
    switch (m->kind) {
    case MODEL_LINREG: reason = m->lin.reason; break;
    case MODEL_LOGREG: reason = m->log.reason; break;
    case MODEL_SVM: reason = m->svm.reason; break;
    case MODEL_KMEANS: reason = m->km.reason; break;
    }
    if (why) snprintf(reason, ML_REASON_LEN, "%s", why->str);
    if (m->kind == MODEL_LOGREG || m->kind == MODEL_SVM) TRY(get_classes(r, m));
    if (fitted) {
        switch (m->kind) {
        case MODEL_LINREG: TRY(read_linreg(r, m)); m->lin.fitted = true; break;
        case MODEL_LOGREG: TRY(read_logreg(r, m)); m->log.fitted = true; break;
        case MODEL_SVM: TRY(read_svm(r, m)); m->svm.fitted = true; break;
        case MODEL_KMEANS: TRY(read_kmeans(r, m)); m->km.fitted = true; break;
        }
    }
    for (uint32_t i = 0; i < r->obj->n; i++)
        if (!r->used[i]) return kl_err(r->err, KILN_ERR_CONVERSION, "invalid model: unknown key \"%s\"", r->obj->keys[i]);
    return 0;
}

int model_parse(const char *text, size_t len, kl_model *m, kl_error *err) {
    memset(m, 0, sizeof *m);
    kl_arena a;
    kl_arena_init(&a, 4096);
    json_value *root;
    int rc = json_parse(text, len, &a, &root, err);
    if (!rc && root->kind != JSON_OBJECT) rc = kl_err(err, KILN_ERR_CONVERSION, "invalid model: not a JSON object");
    if (!rc) {
        uint8_t *used = kl_calloc(root->n ? root->n : 1, 1);
        if (!used) rc = kl_err(err, KILN_ERR_MEMORY, "out of memory");
        else {
            reader r = {root, err, used};
            rc = read_model(&r, m);
            kl_free(used);
        }
    }
    kl_arena_free(&a);
    return rc;
}

/* ---- prediction ------------------------------------------------------------------------------ */

double model_predict_value(const kl_model *m, const double *row) {
    switch (m->kind) {
    case MODEL_LINREG: return ml_linreg_predict(&m->lin, row);
    case MODEL_LOGREG: return ml_logreg_proba(&m->log, row);
    case MODEL_SVM: return (double)ml_svm_predict(&m->svm, row);
    case MODEL_KMEANS: return (double)ml_kmeans_predict(&m->km, row);
    }
    return NAN;
}

uint32_t model_predict_class(const kl_model *m, const double *row) {
    switch (m->kind) {
    case MODEL_LOGREG: return ml_logreg_proba(&m->log, row) > 0.5 ? 1u : 0u;
    case MODEL_SVM: return ml_svm_predict(&m->svm, row);
    case MODEL_KMEANS: return ml_kmeans_predict(&m->km, row);
    default: return 0;
    }
}

/* ---- the per-thread cache ------------------------------------------------------------------ */

#define MODEL_CACHE_SLOTS 1024u

typedef struct cache_slot {
    char *text;
    size_t len;
    uint64_t hash;
    kl_model model;
} cache_slot;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_destroy(void *p) {
    cache_slot *slots = p;
    for (uint32_t i = 0; i < MODEL_CACHE_SLOTS; i++) {
        kl_free(slots[i].text);
        model_free(&slots[i].model);
    }
    kl_free(slots);
}

static void cache_init(void) { (void)pthread_key_create(&cache_key, cache_destroy); }

void model_cache_clear(void) {
    pthread_once(&cache_once, cache_init);
    cache_slot *slots = pthread_getspecific(cache_key);
    if (!slots) return;
    (void)pthread_setspecific(cache_key, NULL);
    cache_destroy(slots);
}

int model_cache_get(const char *text, size_t len, const kl_model **m, kl_error *err) {
    pthread_once(&cache_once, cache_init);
    cache_slot *slots = pthread_getspecific(cache_key);
    if (!slots) {
        slots = kl_calloc(MODEL_CACHE_SLOTS, sizeof *slots);
        if (!slots || pthread_setspecific(cache_key, slots) != 0) {
            kl_free(slots);
            return kl_err(err, KILN_ERR_MEMORY, "out of memory");
        }
    }
    uint64_t h = XXH3_64bits(text, len);
    cache_slot *s = &slots[h & (MODEL_CACHE_SLOTS - 1)];
    if (s->text && s->hash == h && s->len == len && memcmp(s->text, text, len) == 0) {
        *m = &s->model;
        return 0;
    }
    kl_free(s->text);
    s->text = NULL;
    model_free(&s->model);
    int rc = model_parse(text, len, &s->model, err);
    if (rc) {
        model_free(&s->model);
        return rc;
    }
    if (!(s->text = kl_malloc(len ? len : 1))) {
        model_free(&s->model);
        return kl_err(err, KILN_ERR_MEMORY, "out of memory");
    }
    memcpy(s->text, text, len);
    s->len = len;
    s->hash = h;
    *m = &s->model;
    return 0;
}
