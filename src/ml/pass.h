/*
 * pass.h — what the Newton cores (logreg.c, svm.c) share: a deterministic multi-threaded
 * pass over the rows (ml_pass) and the vector helpers of their row kernels.
 *
 * ml_pass: the rows are split into blocks of ML_BLOCK_ROWS; workers (the caller plus up to
 * nth - 1 pthreads started for the pass) claim blocks in order, a block function computes
 * the block's partial sums into a zeroed slot of a ring (2 slots per worker), and finished
 * partials are added to the totals strictly in block order (whoever finishes the block that
 * is next in order folds all consecutive ready ones; a worker whose block would overrun the
 * ring waits for a free slot). The totals are therefore bit-identical for any thread count.
 * The caller provides the memory (ml_pass_doubles), so a pass allocates nothing; a thread
 * that cannot be started leaves its blocks to the others.
 *
 * Usage: nth = ml_pass_threads(threads, n); mem = ml_pass_doubles(nth, slot_len, scratch_len)
 * doubles; ml_pass_init; any number of ml_pass_run (each with its own block function and a
 * slot length up to the one given to init); ml_pass_destroy.
 *
 * Row kernels: a row is used augmented, a = (1, x_1..x_d), packed into a buffer of dp
 * columns (d + 1 rounded up to a multiple of 4, zero padded); rows are accumulated in groups
 * of 4 with GCC vector extensions (element-wise arithmetic, no FMA contraction: GCC's ISO C
 * mode, the STDC pragma below for clang), so the AVX2 and baseline compilations of a kernel
 * (ML_BLOCK_VARIANTS) round alike.
 */
#ifndef KL_ML_PASS_H
#define KL_ML_PASS_H

#include <pthread.h>

#include "ml/ml.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF /* GCC does not contract in ISO C mode (-std=c17) */
#endif

#define ML_PASS_MAX_THREADS 64
#define ML_PASS_SLOTS_PER_THREAD 2

/* Partial sums of block b (rows [b * ML_BLOCK_ROWS, min(n, (b + 1) * ML_BLOCK_ROWS))) into
   slot (slot_len doubles, zeroed), with the worker's scratch (scratch_len doubles). */
typedef void (*ml_block_fn)(const void *arg, size_t b, double *slot, double *scratch);

typedef struct ml_pass ml_pass;

typedef struct ml_pass_worker {
    ml_pass *ps;
    double *scratch;
} ml_pass_worker;

struct ml_pass {
    size_t nblocks;
    int nth;
    uint32_t nslots;
    size_t slot_cap;      /* doubles per slot */
    double *slots;        /* nslots * slot_cap */
    ml_pass_worker wk[ML_PASS_MAX_THREADS];
    /* the current run */
    ml_block_fn block;
    const void *arg;
    size_t slot_len;
    double *tot;
    size_t ready[ML_PASS_MAX_THREADS * ML_PASS_SLOTS_PER_THREAD]; /* block in a slot, or SIZE_MAX */
    size_t next, folded;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/** Workers for n rows with up to `threads` threads: in [1, ML_PASS_MAX_THREADS], no more
    than the blocks. */
int ml_pass_threads(int threads, size_t n);
/** Doubles of memory ml_pass_init needs, or SIZE_MAX on overflow. */
size_t ml_pass_doubles(int nth, size_t slot_len, size_t scratch_len);
void ml_pass_init(ml_pass *ps, size_t n, int nth, size_t slot_len, size_t scratch_len,
                  double *mem);
/** One pass: tot (slot_len doubles) = the sum over blocks, in block order, of fn's partials. */
void ml_pass_run(ml_pass *ps, ml_block_fn fn, const void *arg, size_t slot_len, double *tot);
void ml_pass_destroy(ml_pass *ps);

/** Solve L L^T x = b in place: l is the m x m row-major lower Cholesky factor, b has m
    entries. */
void ml_cholesky_solve(const double *l, uint32_t m, double *b);

/* ---- row kernels ------------------------------------------------------------------------ */

/* Four doubles at any 8-byte aligned address (GCC vector extension; element-wise arithmetic,
   scalar operands broadcast). Used through ML_LD / ML_ST only, never passed by value. */
typedef double ml_v4 __attribute__((vector_size(32), aligned(8), may_alias));
#define ML_LD(p) (*(const ml_v4 *)(const void *)(p))
#define ML_ST(p) (*(ml_v4 *)(void *)(p))

/** The packed width of an augmented row of d features. */
static inline uint32_t ml_packed_width(uint32_t d) { return (d + 4u) & ~3u; }

/* beta[0] + x . beta[1..d] for one row read in place (not from its packed copy, whose
   mixed-width stores would stall the loads): four interleaved sums over whole groups of 4
   features, a fixed combination of them, then the remaining features in order. */
static inline __attribute__((always_inline)) double ml_dot(const double *x, const double *beta,
                                                           uint32_t d) {
    ml_v4 acc = {0.0, 0.0, 0.0, 0.0};
    uint32_t k = 0;
    for (; k + 4 <= d; k += 4) acc += ML_LD(x + k) * ML_LD(beta + 1 + k);
    double z = beta[0] + ((acc[0] + acc[1]) + (acc[2] + acc[3]));
    for (; k < d; k++) z += x[k] * beta[1 + k];
    return z;
}

/* A group of 4 augmented rows a[q] and the rows times their Hessian weight wa[q], in a
   worker's scratch of 8 * dp doubles (ML_GROUP_SCRATCH). */
#define ML_GROUP_SCRATCH(dp) (8 * (size_t)(dp))
typedef struct ml_group {
    double *a[4], *wa[4];
} ml_group;

static inline ml_group ml_group_of(double *scr, uint32_t dp) {
    ml_group g;
    for (int q = 0; q < 4; q++) {
        g.a[q] = scr + (size_t)q * dp;
        g.wa[q] = scr + (size_t)(4 + q) * dp;
    }
    return g;
}

/* Row q of the group = (1, x_1..x_d); columns d + 1.. keep their zeros. */
static inline __attribute__((always_inline)) void ml_group_set(ml_group *g, int q,
                                                               const double *x, uint32_t d) {
    g->a[q][0] = 1.0;
    memcpy(g->a[q] + 1, x, d * sizeof(double));
}

/* Rows q.. of the group become exact zeros (the padding of a block's last group). */
static inline void ml_group_pad(ml_group *g, int q, uint32_t dp) {
    for (; q < 4; q++) memset(g->a[q], 0, dp * sizeof(double));
}

/* gs += sum_q r[q] a[q]; upper triangle of h (row-major dp x dp) += sum_q w[q] a[q] a[q]^T,
   as h[j][k] += (w0 a0j a0k + w1 a1j a1k) + (w2 a2j a2k + w3 a3j a3k) over vectors of 4
   columns (entries left of a row's diagonal within its 4-column group are computed and
   ignored). dd = d + 1 rows of h are updated. */
static inline __attribute__((always_inline)) void ml_group_add(const ml_group *g,
                                                               const double r[4],
                                                               const double w[4], uint32_t dd,
                                                               uint32_t dp, double *gs,
                                                               double *h) {
    double *const *a = g->a, *const *wa = g->wa;
    for (int q = 0; q < 4; q++)
        for (uint32_t k = 0; k < dp; k += 4) ML_ST(wa[q] + k) = w[q] * ML_LD(a[q] + k);
    for (uint32_t k = 0; k < dp; k += 4)
        ML_ST(gs + k) += (r[0] * ML_LD(a[0] + k) + r[1] * ML_LD(a[1] + k)) +
                         (r[2] * ML_LD(a[2] + k) + r[3] * ML_LD(a[3] + k));
    for (uint32_t j = 0; j < dd; j += 2) { /* rows j, j + 1 share their loads of a */
        const double s0 = wa[0][j], s1 = wa[1][j], s2 = wa[2][j], s3 = wa[3][j];
        const double u0 = wa[0][j + 1], u1 = wa[1][j + 1], u2 = wa[2][j + 1], u3 = wa[3][j + 1];
        double *hr = h + (size_t)j * dp, *hu = hr + dp;
        for (uint32_t k = j & ~3u; k < dp; k += 4) {
            const ml_v4 a0 = ML_LD(a[0] + k), a1 = ML_LD(a[1] + k), a2 = ML_LD(a[2] + k),
                        a3 = ML_LD(a[3] + k);
            ML_ST(hr + k) += (s0 * a0 + s1 * a1) + (s2 * a2 + s3 * a3);
            ML_ST(hu + k) += (u0 * a0 + u1 * a1) + (u2 * a2 + u3 * a3);
        }
    }
}

/* name_base and (on x86) name_avx2: block functions that run body (an always_inline
   function of the ml_block_fn signature) compiled for the baseline and for AVX2; name_pick()
   returns the one the CPU runs (__builtin_cpu_supports, not an ifunc: sanitizer runtimes
   cannot run resolvers). */
#if defined(__x86_64__) || defined(__i386__)
#define ML_BLOCK_VARIANTS(name, body)                                                              \
    static void name##_base(const void *arg, size_t b, double *slot, double *scr) {               \
        body(arg, b, slot, scr);                                                                   \
    }                                                                                              \
    __attribute__((target("avx2"))) static void name##_avx2(const void *arg, size_t b,            \
                                                            double *slot, double *scr) {          \
        body(arg, b, slot, scr);                                                                   \
    }                                                                                              \
    static ml_block_fn name##_pick(void) {                                                         \
        __builtin_cpu_init();                                                                      \
        return __builtin_cpu_supports("avx2") ? name##_avx2 : name##_base;                         \
    }
#else
#define ML_BLOCK_VARIANTS(name, body)                                                              \
    static void name##_base(const void *arg, size_t b, double *slot, double *scr) {               \
        body(arg, b, slot, scr);                                                                   \
    }                                                                                              \
    static ml_block_fn name##_pick(void) { return name##_base; }
#endif

#endif /* KL_ML_PASS_H */
