/*
 * ml.c — small helpers shared by the fitting cores (ml.h).
 */
#include "ml/ml.h"

#include <stdarg.h>
#include <stdio.h>

int ml_not_fitted(bool *fitted, char *reason, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, ML_REASON_LEN, fmt, ap);
    va_end(ap);
    *fitted = false;
    return 0;
}
