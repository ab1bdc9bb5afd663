/*
 * pass.c — the deterministic multi-threaded row pass of the Newton cores (pass.h).
 */
#include "ml/pass.h"

int ml_pass_threads(int threads, size_t n) {
    size_t nblocks = (n + ML_BLOCK_ROWS - 1) / ML_BLOCK_ROWS;
    int nth = threads < 1 ? 1 : KL_MIN(threads, ML_PASS_MAX_THREADS);
    if ((size_t)nth > nblocks) nth = nblocks ? (int)nblocks : 1;
    return nth;
}

size_t ml_pass_doubles(int nth, size_t slot_len, size_t scratch_len) {
    size_t nslots = (size_t)nth * ML_PASS_SLOTS_PER_THREAD;
    if (slot_len > SIZE_MAX / 8 / nslots || scratch_len > SIZE_MAX / 8 / (size_t)nth)
        return SIZE_MAX;
    return nslots * slot_len + (size_t)nth * scratch_len;
}

void ml_pass_init(ml_pass *ps, size_t n, int nth, size_t slot_len, size_t scratch_len,
                  double *mem) {
    memset(ps, 0, sizeof *ps);
    ps->nblocks = (n + ML_BLOCK_ROWS - 1) / ML_BLOCK_ROWS;
    ps->nth = nth;
    ps->nslots = (uint32_t)nth * ML_PASS_SLOTS_PER_THREAD;
    ps->slot_cap = slot_len;
    ps->slots = mem;
    double *scr = mem + ps->nslots * slot_len;
    for (int t = 0; t < nth; t++) ps->wk[t] = (ml_pass_worker){ps, scr + (size_t)t * scratch_len};
    pthread_mutex_init(&ps->mu, NULL);
    pthread_cond_init(&ps->cv, NULL);
}

void ml_pass_destroy(ml_pass *ps) {
    pthread_mutex_destroy(&ps->mu);
    pthread_cond_destroy(&ps->cv);
}

static void ml_fold(double *restrict tot, const double *restrict part, size_t len) {
    for (size_t k = 0; k < len; k++) tot[k] += part[k];
}

static void *ml_pass_work(void *arg) {
    ml_pass_worker *wk = arg;
    ml_pass *ps = wk->ps;
    pthread_mutex_lock(&ps->mu);
    for (;;) {
        size_t b = ps->next;
        if (b >= ps->nblocks) break;
        ps->next++;
        while (b >= ps->folded + ps->nslots) pthread_cond_wait(&ps->cv, &ps->mu);
        pthread_mutex_unlock(&ps->mu);
        double *slot = ps->slots + (b % ps->nslots) * ps->slot_cap;
        memset(slot, 0, ps->slot_len * sizeof(double));
        ps->block(ps->arg, b, slot, wk->scratch);
        pthread_mutex_lock(&ps->mu);
        ps->ready[b % ps->nslots] = b;
        bool moved = false;
        while (ps->folded < ps->nblocks) { /* fold every partial that is next in order */
            size_t f = ps->folded, sl = f % ps->nslots;
            if (ps->ready[sl] != f) break;
            ml_fold(ps->tot, ps->slots + sl * ps->slot_cap, ps->slot_len);
            ps->ready[sl] = SIZE_MAX;
            ps->folded++;
            moved = true;
        }
        if (moved) pthread_cond_broadcast(&ps->cv);
    }
    pthread_mutex_unlock(&ps->mu);
    return NULL;
}

void ml_pass_run(ml_pass *ps, ml_block_fn fn, const void *arg, size_t slot_len, double *tot) {
    ps->block = fn;
    ps->arg = arg;
    ps->slot_len = KL_MIN(slot_len, ps->slot_cap);
    ps->tot = tot;
    ps->next = ps->folded = 0;
    memset(tot, 0, ps->slot_len * sizeof(double));
    for (uint32_t s = 0; s < ps->nslots; s++) ps->ready[s] = SIZE_MAX;
    pthread_t tids[ML_PASS_MAX_THREADS];
    bool started[ML_PASS_MAX_THREADS] = {false};
    for (int t = 1; t < ps->nth; t++) /* a thread that does not start leaves its blocks to others */
        started[t] = pthread_create(&tids[t], NULL, ml_pass_work, &ps->wk[t]) == 0;
    ml_pass_work(&ps->wk[0]);
    for (int t = 1; t < ps->nth; t++)
        if (started[t]) pthread_join(tids[t], NULL);
}

void ml_cholesky_solve(const double *l, uint32_t m, double *b) {
    for (uint32_t i = 0; i < m; i++) {
        double v = b[i];
        for (uint32_t k = 0; k < i; k++) v -= l[(size_t)i * m + k] * b[k];
        b[i] = v / l[(size_t)i * m + i];
    }
    for (uint32_t i = m; i-- > 0;) {
        double v = b[i];
        for (uint32_t k = i + 1; k < m; k++) v -= l[(size_t)k * m + i] * b[k];
        b[i] = v / l[(size_t)i * m + i];
    }
}
