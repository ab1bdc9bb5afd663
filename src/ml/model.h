/*
 * model.h — MODEL values: a fitted model (or the reason it could not be fitted) as one SQL
 * value. The value's bytes are its JSON text (the canonical form written by model_to_json),
 * so MODEL columns are stored, copied, written to CSV/JSON and read back like strings;
 * model_parse turns the text into a kl_model for the accessors and predict().
 *
 * API: fill a kl_model (the aggregates do, from a fit) -> model_to_json -> (stored) ->
 * model_parse / model_cache_get -> model_predict / fields -> model_free.
 *
 * JSON (one object): "model" (linreg, logreg, svm, kmeans), "fitted", "reason" (unfitted)
 * or "warning", "features", "n_rows", "n_skipped", "params" {...}, "predicts" (the SQL type
 * predict() returns), then the fitted values of the kind: per-feature arrays ("coef",
 * "std_err", ...) with the intercept's values under their own keys, "classes" (label values
 * in class-index order), "centroids", "support_vectors", ... model_from_json accepts what
 * model_to_json writes (keys in any order; unknown keys are an error, so a typo in a
 * hand-edited model is not silently dropped).
 */
#ifndef KL_ML_MODEL_H
#define KL_ML_MODEL_H

#include "ml/ml.h"

typedef enum model_kind { MODEL_LINREG = 1, MODEL_LOGREG, MODEL_SVM, MODEL_KMEANS } model_kind;

typedef struct kl_model {
    model_kind kind;
    uint32_t d;            /* features */
    int64_t n_rows;        /* rows used for the fit */
    int64_t n_skipped;     /* rows skipped for a NULL in y or any x */
    kl_type predicts;      /* what predict() returns (class labels: their type) */
    /* class labels (logreg, svm): n_classes values as text (their cast to VARCHAR) in class
       index order (sorted as SQL sorts the label values) */
    uint32_t n_classes;
    char **classes;
    /* parameters */
    bool intercept;        /* linreg, logreg */
    double c;              /* logreg (<= 0: none), svm */
    uint32_t max_iter;     /* logreg, svm, kmeans */
    double tol;            /* logreg, svm, kmeans */
    bool rbf;              /* svm kernel */
    double gamma;          /* svm rbf parameter as given (<= 0: 'scale') */
    uint32_t k, n_init;    /* kmeans */
    uint64_t seed;         /* kmeans */
    /* the fit of the kind */
    ml_linreg_fit lin;
    ml_logreg_fit log;
    ml_svm_fit svm;
    ml_kmeans_fit km;
} kl_model;

const char *model_kind_name(model_kind kind);
bool model_fitted(const kl_model *m);
/** Why it is not fitted, or a warning ("" when none). */
const char *model_reason(const kl_model *m);

/** Append the canonical JSON text of m to out. */
int model_to_json(const kl_model *m, kl_buf *out);
/** Parse JSON text into *m (zeroed first; model_free it even on failure). KILN_ERR_CONVERSION
    "invalid model: ..." on text that is not a model. */
int model_parse(const char *text, size_t len, kl_model *m, kl_error *err);
void model_free(kl_model *m);

/**
 * The parsed model of a MODEL value's bytes, from a per-thread cache (direct-mapped by a
 * hash of the bytes; entries are compared byte for byte): predict() over a join reads the
 * same few models again and again. The model stays valid until the next call on the same
 * thread. KILN_ERR_CONVERSION / KILN_ERR_MEMORY as model_parse.
 */
int model_cache_get(const char *text, size_t len, const kl_model **m, kl_error *err);
/** Free the calling thread's cache (other threads' caches go when their thread ends). */
void model_cache_clear(void);

/**
 * predict() of a fitted model for one row of d features: the regression value (linreg),
 * P(y = 1) (logreg, as predict_proba), or the class / cluster index (svm, kmeans).
 */
double model_predict_value(const kl_model *m, const double *row);
/** Class index (logreg: 1 when P(y = 1) > 0.5, svm: its vote) or cluster index (kmeans). */
uint32_t model_predict_class(const kl_model *m, const double *row);

#endif /* KL_ML_MODEL_H */
