/*
 * kmeans.c — the k-means core behind the SQL kmeans aggregate (ml.h): scikit-learn's
 * KMeans(algorithm="lloyd") on dense row-major doubles, n_init seeded k-means++ starts, the
 * run with the lowest inertia kept.
 *
 * API: ml_kmeans (fit) -> ml_kmeans_predict (any number of rows) -> ml_kmeans_fit_free.
 *
 * Checks, in this order: options (k, n_init, max_iter >= 1, finite tol >= 0, else
 * KILN_ERR_INVALID); then the data, which gives fitted = false with a reason: no rows, no
 * features, fewer rows than k, a non-finite value, values so large that a sum of n squared
 * distances could overflow (max x^2 > DBL_MAX / (4 d n)), fewer than k distinct rows (a hash
 * set of row indexes filled until k distinct rows are seen; -0.0 equals 0.0).
 *
 * Distances. With mu the column means of x, c' = c - mu and b_c = |c'|^2 / 2 + mu.c',
 *     |x - c|^2 = |x - mu|^2 + 2 (b_c - x.c')
 * so the nearest centre is the argmin of b_c - x.c' (ties: lowest index). Centres are stored
 * feature-major in lane groups of 8 (kmeans_set_lane) and x.c' is computed for tiles of rows
 * against one group at a time (kmeans_dots) in GCC vector extensions: SSE2 at -O2, and an
 * AVX2 copy chosen at run time on x86-64 (define KMEANS_NO_AVX2 to leave it out). Every lane
 * does the same operations in the same order in both (no FMA: -std=c17 does not contract),
 * so they give the same bits. Lane sets of at most 4 lanes (k <= 4; k-means++ with k <= 7)
 * take a direct path instead: one row at a time, its scores in registers, labelled and added
 * to its cluster's sum in the same pass (kmeans_score4: the same operations, the same bits;
 * loops unrolled for d <= 8; an AVX2 copy). Shifting by mu keeps the rounding error near
 * eps |x| |c - mu| instead of eps |x|^2 (data far from the origin). Inertias are exact sums
 * of (x_j - c_j)^2.
 *
 * Algorithm, per run r (its PRNG: xoshiro256** seeded by splitmix64 from
 * kl_hash_combine(seed, r)):
 * - k-means++ (greedy): the first centre is a uniform row; each further centre draws
 *   L = 2 + floor(ln k) candidates with probability D^2 / sum D^2 (D = distance to the
 *   nearest chosen centre; D^2 from the identity above, as scikit-learn does, clipped at 0)
 *   and keeps the candidate giving the lowest sum of D^2. One parallel pass per centre
 *   folds the previously chosen centre into D^2 (`closest`) and sums min(D^2, D^2 to
 *   candidate l) per block for every candidate; a draw walks the block sums to its block,
 *   then that block's rows (recomputing the pending centre's D^2 with the same kernel). For
 *   n <= KM_PREFIX_ROWS the pass also keeps each candidate's running block sums, and a draw
 *   binary-searches them for the same row (the walk is the fallback).
 * - Lloyd: a pass labels every row with its nearest centre and sums the rows per cluster;
 *   the new centres are the means. Converged when no label changed ("strict") or when the
 *   total squared centre shift is <= tol * (mean over features of the variance of x);
 *   otherwise (and at max_iter) a last pass relabels the rows with the final centres.
 * - An empty cluster takes the row farthest from its assigned centre among clusters that
 *   keep at least one row (ties: lowest row); the row's values leave its old cluster's sum
 *   (its label is corrected by the next pass). Empty clusters are served in index order;
 *   if no row qualifies, the centre stays where it was. (scikit-learn also moves the
 *   farthest rows, without the at-least-one-row rule.)
 * - The run's inertia: sum of |x - centre of its final label|^2 with the final centres. A
 *   pass adds it up only when the previous pass changed <= n / 1024 labels (it is then
 *   likely the last); a strict convergence without it, or after a relocation, adds a
 *   labels-fixed pass. The lowest inertia wins (ties: the first run).
 *
 * Determinism: a pass is split into units (k-means++: blocks of ML_BLOCK_ROWS rows; the
 * others: chunks of whole blocks, sized from n, k and d only) that threads claim from an
 * atomic counter; each unit writes its own partial results (sums in row order), which the
 * calling thread adds in unit order. Results are bit-identical for any `threads`.
 * Threads: min(threads, blocks) - 1 workers are created once per ml_kmeans call and woken
 * for each pass (mutex + condition variables); the calling thread works too.
 *
 * Bounds: x is never copied. Memory: labels (4n bytes), D^2 and |x - mu|^2 (16n), running
 * k-means++ sums (8 L n when n <= KM_PREFIX_ROWS), chunk
 * partials (k d + k doubles each, at most max(KM_MIN_CHUNKS, KM_PARTIAL_BUDGET bytes)
 * chunks), L doubles per block, O(k d) of centres, a distinct-row set of < 4k + 16 row
 * indexes (k <= n). Work: a k-means++ pass is n (L + 1) d multiply-adds, a Lloyd pass
 * n k d; each relocation adds a serial pass over x.
 */
#include "ml/ml.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#define KM_PARTIAL_BUDGET ((size_t)32 << 20) /* bytes of per-chunk partial sums */
#define KM_MIN_CHUNKS 8u                     /* chunks allowed whatever the budget says */
#define KM_TILE 256u                         /* rows scored against one centre group */
#define KM_MAX_LANES 32u                     /* k-means++ pass: pending centre + candidates */
#define KM_KPP_TILE 64u                      /* rows per k-means++ distance call */
#define KM_MAX_THREADS 256
#define KM_PREFIX_ROWS 65536u                /* up to this n, k-means++ keeps running sums */

/* Two doubles (one SSE2 register); km_v2u is the unaligned, aliasing view used to load and
   store them. */
typedef double km_v2 __attribute__((vector_size(16)));
typedef double km_v2u __attribute__((vector_size(16), aligned(8), may_alias));
#define km_load(p) (*(const km_v2u *)(const void *)(p))
#define km_store(p, v) (*(km_v2u *)(void *)(p) = (v))

/* ---- PRNG: splitmix64 seeding xoshiro256** ------------------------------------------- */

typedef struct km_rng {
    uint64_t s[4];
} km_rng;

static uint64_t kmeans_splitmix(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t kmeans_rotl(uint64_t v, int s) { return (v << s) | (v >> (64 - s)); }

static void kmeans_rng_seed(km_rng *r, uint64_t seed, uint32_t run) {
    uint64_t sm = kl_hash_combine(seed, run);
    for (int i = 0; i < 4; i++) r->s[i] = kmeans_splitmix(&sm);
}

static uint64_t kmeans_rng_next(km_rng *r) {
    uint64_t *s = r->s;
    uint64_t out = kmeans_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = kmeans_rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1). */
static double kmeans_rng_unit(km_rng *r) { return (double)(kmeans_rng_next(r) >> 11) * 0x1p-53; }

/* Uniform in [0, n). */
static size_t kmeans_rng_below(km_rng *r, size_t n) {
    size_t i = (size_t)(kmeans_rng_unit(r) * (double)n);
    return i < n ? i : n - 1;
}

/* ---- context and worker threads ------------------------------------------------------ */

typedef struct km_ctx km_ctx;
typedef void (*km_task)(km_ctx *c, size_t unit);

typedef void (*km_dots_fn)(const double *restrict x, size_t rows, uint32_t d,
                           const double *restrict ct, const double *restrict cb, uint32_t n_lanes,
                           double *restrict out, size_t ostride);
typedef void (*km_add_rows_fn)(double *restrict sums, const uint32_t *restrict lab,
                               const double *restrict x, size_t rows, uint32_t d);

struct km_ctx {
    km_dots_fn dots; /* kernels: SSE2 or AVX2 */
    km_add_rows_fn add_rows;
    km_task lloyd4, kpp4; /* direct paths for <= 4 lanes */
    const double *x;
    size_t n;
    uint32_t d, k;
    size_t n_blocks, n_chunks, chunk_rows;
    size_t stride; /* doubles per chunk in part_sums */

    /* current pass */
    km_task task;
    size_t n_units;
    atomic_size_t next;

    /* per-chunk partials */
    double *part_sums;      /* n_chunks x stride: cluster sums, or stats mean[d], m2[d] */
    uint64_t *part_counts;  /* n_chunks x kstride */
    void *sums_mem, *counts_mem; /* their allocations (the arrays start at 64-byte lines) */
    size_t kstride;         /* k rounded up to 8: chunks never share a cache line */
    double *part_inertia;   /* n_chunks */
    uint64_t *part_changes; /* n_chunks: labels changed; stats: first bad row + 1 */

    /* k-means++ */
    double *closest; /* n: squared distance to the nearest chosen centre */
    double *xnorm;   /* n: |x - mu|^2 (filled by the first k-means++ pass) */
    double *kpp_ct;  /* lane set (d x 32): [pending centre,] candidates */
    double *kpp_ct1; /* lane set (d x 4): the pending centre alone (draws) */
    double kpp_cb[KM_MAX_LANES], kpp_cb1[4];
    double *kpp_bsum; /* n_blocks x n_trials */
    double *kpp_pre;  /* n_trials x n running block sums (draws), or NULL (n > KM_PREFIX_ROWS) */
    uint32_t n_trials, kpp_lanes;
    bool kpp_first, kpp_pending, have_xnorm;

    /* Lloyd */
    uint32_t *labels; /* n */
    double *ct;       /* per group of 8 centres: d x 8 (or d x 4 for a last small group) */
    double *cb;       /* n_groups x 8 */
    uint32_t n_groups;
    const double *cen; /* k x d: centres of this pass */
    const double *mu;  /* d */
    bool want_sums, want_inertia, fixed_labels;

    /* workers */
    pthread_mutex_t mu_lock;
    pthread_cond_t go, done;
    unsigned gen;
    int pending, n_workers;
    bool quit, sync_ok;
    pthread_t *tids;
};

static void kmeans_drain(km_ctx *c) {
    for (;;) {
        size_t u = atomic_fetch_add_explicit(&c->next, 1, memory_order_relaxed);
        if (u >= c->n_units) break;
        c->task(c, u);
    }
}

static void *kmeans_worker(void *arg) {
    km_ctx *c = arg;
    unsigned seen = 0;
    pthread_mutex_lock(&c->mu_lock);
    for (;;) {
        while (c->gen == seen && !c->quit) pthread_cond_wait(&c->go, &c->mu_lock);
        if (c->quit) break;
        seen = c->gen;
        pthread_mutex_unlock(&c->mu_lock);
        kmeans_drain(c);
        pthread_mutex_lock(&c->mu_lock);
        if (--c->pending == 0) pthread_cond_signal(&c->done);
    }
    pthread_mutex_unlock(&c->mu_lock);
    return NULL;
}

/* Run task over units 0..n_units-1 on the calling thread and the workers. */
static void kmeans_run(km_ctx *c, km_task task, size_t n_units) {
    c->task = task;
    c->n_units = n_units;
    atomic_store_explicit(&c->next, 0, memory_order_relaxed);
    if (c->n_workers == 0 || n_units < 2) {
        kmeans_drain(c);
        return;
    }
    pthread_mutex_lock(&c->mu_lock);
    c->pending = c->n_workers;
    c->gen++;
    pthread_cond_broadcast(&c->go);
    pthread_mutex_unlock(&c->mu_lock);
    kmeans_drain(c);
    pthread_mutex_lock(&c->mu_lock);
    while (c->pending > 0) pthread_cond_wait(&c->done, &c->mu_lock);
    pthread_mutex_unlock(&c->mu_lock);
}

/* Start up to want - 1 workers (fewer if pthread_create fails: the caller drains the rest). */
static int kmeans_pool_start(km_ctx *c, int want, kl_error *err) {
    if (want <= 1) return 0;
    c->tids = kl_malloc((size_t)want * sizeof(pthread_t));
    if (!c->tids) return kl_err(err, KILN_ERR_MEMORY, "kmeans: out of memory (threads)");
    if (pthread_mutex_init(&c->mu_lock, NULL) != 0) return 0;
    if (pthread_cond_init(&c->go, NULL) != 0) {
        pthread_mutex_destroy(&c->mu_lock);
        return 0;
    }
    if (pthread_cond_init(&c->done, NULL) != 0) {
        pthread_cond_destroy(&c->go);
        pthread_mutex_destroy(&c->mu_lock);
        return 0;
    }
    c->sync_ok = true;
    for (int i = 0; i < want - 1; i++) {
        if (pthread_create(&c->tids[i], NULL, kmeans_worker, c) != 0) break;
        c->n_workers++;
    }
    return 0;
}

static void kmeans_pool_stop(km_ctx *c) {
    if (c->sync_ok) {
        pthread_mutex_lock(&c->mu_lock);
        c->quit = true;
        pthread_cond_broadcast(&c->go);
        pthread_mutex_unlock(&c->mu_lock);
        for (int i = 0; i < c->n_workers; i++) pthread_join(c->tids[i], NULL);
        pthread_cond_destroy(&c->done);
        pthread_cond_destroy(&c->go);
        pthread_mutex_destroy(&c->mu_lock);
    }
    kl_free(c->tids);
}

/* ---- distance kernels ---------------------------------------------------------------- */

/* Exact |a - b|^2 (a fixed order of operations for a given d). */
static inline double kmeans_sqdist(const double *a, const double *b, uint32_t d) {
    km_v2 a0 = {0, 0}, a1 = {0, 0};
    uint32_t j = 0;
    for (; j + 4 <= d; j += 4) {
        km_v2 t0 = km_load(a + j) - km_load(b + j), t1 = km_load(a + j + 2) - km_load(b + j + 2);
        a0 += t0 * t0;
        a1 += t1 * t1;
    }
    double s = (a0[0] + a1[0]) + (a0[1] + a1[1]);
    for (; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

/* Lane sets. Centres c (shifted to c' = c - mu) are stored feature-major in groups of 8
   lanes (a last group of at most 4 lanes is 4 wide): lane l is group l / 8, at
   ct[(l / 8) * 8 * d + j * group_width + l % 8], with cb[l] = |c'|^2 / 2 + mu.c'. For a row
   x, cb[l] - x.c' = (|x - c|^2 - |x - mu|^2) / 2 (see the header). */
static inline uint32_t kmeans_group_width(uint32_t n_lanes, uint32_t lane) {
    return n_lanes - lane / 8 * 8 > 4 ? 8 : 4;
}

/* Lanes to fill (real and padding) for a set of n_lanes >= 1 lanes. */
static inline uint32_t kmeans_padded_lanes(uint32_t n_lanes) {
    uint32_t last = (n_lanes - 1) / 8 * 8;
    return last + kmeans_group_width(n_lanes, last);
}

/* Put row (NULL: a padding lane, zeros) into lane `lane` of a set of n_lanes lanes. */
static void kmeans_set_lane(double *ct, double *cb, uint32_t n_lanes, uint32_t lane,
                            const double *row, const double *mu, uint32_t d) {
    uint32_t gw = kmeans_group_width(n_lanes, lane);
    double *p = ct + (size_t)(lane / 8) * 8 * d + lane % 8;
    double sq = 0, dot = 0;
    for (uint32_t j = 0; j < d; j++) {
        double v = row ? row[j] - mu[j] : 0;
        p[(size_t)j * gw] = v;
        sq += v * v;
        dot += mu[j] * v;
    }
    cb[lane] = 0.5 * sq + dot;
}

/* out[r * ostride + l] = cb[l] - x_r . c'_l for rows x[0..rows) and every lane of one group
   (width 8 or 4; rows two at a time). Lane l's operations depend neither on the group width
   nor on the vector width, so every kernel variant gives the same bits. */
static inline __attribute__((always_inline)) void
kmeans_dots_group(const double *restrict x, size_t rows, uint32_t d, const double *restrict ct,
                  const double *restrict cb, uint32_t gw, double *restrict out, size_t ostride) {
    km_v2 b0 = km_load(cb), b1 = km_load(cb + 2), b2 = b0, b3 = b0;
    if (gw == 8) b2 = km_load(cb + 4), b3 = km_load(cb + 6);
    for (size_t r = 0; r < rows; r += 2) {
        const double *x0 = x + r * d, *x1 = r + 1 < rows ? x0 + d : x0;
        km_v2 p0 = {0, 0}, p1 = p0, p2 = p0, p3 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0;
        const double *p = ct;
        for (uint32_t j = 0; j < d; j++, p += gw) {
            km_v2 s = {x0[j], x0[j]}, t = {x1[j], x1[j]};
            km_v2 c0v = km_load(p), c1v = km_load(p + 2);
            p0 += s * c0v;
            p1 += s * c1v;
            q0 += t * c0v;
            q1 += t * c1v;
            if (gw == 8) {
                km_v2 c2v = km_load(p + 4), c3v = km_load(p + 6);
                p2 += s * c2v;
                p3 += s * c3v;
                q2 += t * c2v;
                q3 += t * c3v;
            }
        }
        double *o = out + r * ostride;
        km_store(o, b0 - p0);
        km_store(o + 2, b1 - p1);
        if (gw == 8) km_store(o + 4, b2 - p2), km_store(o + 6, b3 - p3);
        if (r + 1 < rows) {
            o += ostride;
            km_store(o, b0 - q0);
            km_store(o + 2, b1 - q1);
            if (gw == 8) km_store(o + 4, b2 - q2), km_store(o + 6, b3 - q3);
        }
    }
}

/* kmeans_dots_group over every group of a set of n_lanes lanes. */
static void kmeans_dots(const double *restrict x, size_t rows, uint32_t d,
                        const double *restrict ct, const double *restrict cb, uint32_t n_lanes,
                        double *restrict out, size_t ostride) {
    for (uint32_t c0 = 0; c0 < n_lanes; c0 += 8) {
        const double *g = ct + (size_t)c0 * d;
        if (kmeans_group_width(n_lanes, c0) == 8)
            kmeans_dots_group(x, rows, d, g, cb + c0, 8, out + c0, ostride);
        else
            kmeans_dots_group(x, rows, d, g, cb + c0, 4, out + c0, ostride);
    }
}

/* Bitwise select: lanes of a where mask m is set, else lanes of b. */
typedef long long km_v2i __attribute__((vector_size(16)));
#define KM_SEL(m, a, b) ((km_v2)((((km_v2i)(a)) & (m)) | (((km_v2i)(b)) & ~(m))))

/* Lane permutations (GCC and clang spell them differently). */
#ifdef __clang__
#define KM_SHUFFLE2(v, a, b) __builtin_shufflevector(v, v, a, b)
#else
#define KM_SHUFFLE2(v, a, b) __builtin_shuffle(v, (km_v2i){a, b})
#endif

/* Score v of centre ix replaces the row's best if strictly lower (no branch). */
static inline void kmeans_keep(double v, double ix, double *bestv, uint32_t *besti) {
    double cur = *bestv;
    bool better = v < cur;
    *bestv = better ? v : cur;
    *besti = better ? (uint32_t)ix : *besti;
}

/* Fold the scores v (2 lanes, centre indexes in iv as doubles) into (bv, bi): strictly
   lower only, so that ties keep the earlier (lower) index. */
#define KM_FOLD(v, iv)                                                                             \
    do {                                                                                           \
        km_v2i m_ = (v) < bv;                                                                      \
        bv = KM_SEL(m_, v, bv);                                                                    \
        bi = KM_SEL(m_, iv, bi);                                                                   \
    } while (0)

/* Best (score, index) of the two lanes of (bv, bi) merged into row r's running best. */
static inline void kmeans_take(km_v2 v, km_v2 iv, double *bestv, uint32_t *besti) {
    km_v2 w = KM_SHUFFLE2(v, 1, 0), iw = KM_SHUFFLE2(iv, 1, 0);
    km_v2i m = (w < v) | ((w == v) & (iw < iv));
    v = KM_SEL(m, w, v);
    iv = KM_SEL(m, iw, iv);
    kmeans_keep(v[0], iv[0], bestv, besti);
}

/* Fold the values of one group (width 8 or 4, first centre c0) for rows 0..rows-1 of buf
   (8 values per row) into the rows' running best: strictly lower only, ties to the lowest
   index. */
static void kmeans_argmin(const double *restrict buf, size_t rows, uint32_t gw, uint32_t c0,
                          double *restrict bestv, uint32_t *restrict besti) {
    double f = c0;
    km_v2 i0 = {f, f + 1}, i1 = {f + 2, f + 3}, i2 = {f + 4, f + 5}, i3 = {f + 6, f + 7};
    for (size_t r = 0; r < rows; r++, buf += 8) {
        km_v2 bv = km_load(buf), bi = i0;
        KM_FOLD(km_load(buf + 2), i1);
        if (gw == 8) {
            KM_FOLD(km_load(buf + 4), i2);
            KM_FOLD(km_load(buf + 6), i3);
        }
        kmeans_take(bv, bi, bestv + r, besti + r);
    }
}

/* sums[lab[r]] += x_r for rows x[0..rows) (element by element: the order of additions into
   each sum is the row order whatever the vector width). */
static void kmeans_add_rows(double *restrict sums, const uint32_t *restrict lab,
                            const double *restrict x, size_t rows, uint32_t d) {
    for (size_t r = 0; r < rows; r++) {
        double *restrict s = sums + (size_t)lab[r] * d;
        const double *restrict xi = x + r * d;
        uint32_t j = 0;
        for (; j + 2 <= d; j += 2) km_store(s + j, km_load(s + j) + km_load(xi + j));
        for (; j < d; j++) s[j] += xi[j];
    }
}

/* Direct path for lane sets of at most 4 lanes (one group of width 4): the values
   cb[l] - x.c'_l of one row into out[0..4), kept in registers once inlined. The operations
   of kmeans_dots_group lane by lane, so the same bits. On 4-double vectors: two SSE2
   operations each, or one in the AVX2 copies of the callers (KM_DIRECT). */
#if defined(__GNUC__) && !defined(__clang__)
#define KM_UNROLL _Pragma("GCC unroll 8")
#else
#define KM_UNROLL
#endif
typedef double km_v4g __attribute__((vector_size(32)));
typedef double km_v4gu __attribute__((vector_size(32), aligned(8), may_alias));
static inline __attribute__((always_inline)) void
kmeans_score4(const double *restrict xi, uint32_t d, const double *restrict ct,
              const double *restrict cb, double *restrict out) {
    km_v4g p = {0, 0, 0, 0};
    KM_UNROLL
    for (uint32_t j = 0; j < d; j++, ct += 4) {
        km_v4g s = {xi[j], xi[j], xi[j], xi[j]};
        p += s * *(const km_v4gu *)(const void *)ct;
    }
    *(km_v4gu *)(void *)out = *(const km_v4gu *)(const void *)cb - p;
}

/* Define task `name` calling body(c, unit, d) with d a constant for d <= 8 (loops over
   features unrolled), and on x86-64 an AVX2 copy name##_avx2. */
#define KM_BY_D(body, c, u)                                                                        \
    switch ((c)->d) {                                                                              \
    case 1: body(c, u, 1); break;                                                                  \
    case 2: body(c, u, 2); break;                                                                  \
    case 3: body(c, u, 3); break;                                                                  \
    case 4: body(c, u, 4); break;                                                                  \
    case 5: body(c, u, 5); break;                                                                  \
    case 6: body(c, u, 6); break;                                                                  \
    case 7: body(c, u, 7); break;                                                                  \
    case 8: body(c, u, 8); break;                                                                  \
    default: body(c, u, (c)->d); break;                                                            \
    }
#if defined(__x86_64__) && defined(__GNUC__) && !defined(KMEANS_NO_AVX2)
#define KM_DIRECT(name, body)                                                                      \
    static void name(km_ctx *c, size_t u) { KM_BY_D(body, c, u) }                                  \
    static __attribute__((target("avx2"))) void name##_avx2(km_ctx *c, size_t u) {                 \
        KM_BY_D(body, c, u)                                                                        \
    }
#else
#define KM_DIRECT(name, body)                                                                      \
    static void name(km_ctx *c, size_t u) { KM_BY_D(body, c, u) }
#endif

/* ---- AVX2 variants (x86-64) ---------------------------------------------------------
 * The same lane-wise operations on 4-double vectors, chosen at run time when the CPU has
 * AVX2 (define KMEANS_NO_AVX2 to leave them out). No FMA: results are bit-identical to the
 * kernels above. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(KMEANS_NO_AVX2)
#define KM_AVX2 1
typedef double km_v4 __attribute__((vector_size(32)));
typedef double km_v4u __attribute__((vector_size(32), aligned(8), may_alias));
#define km_load4(p) (*(const km_v4u *)(const void *)(p))
#define km_store4(p, v) (*(km_v4u *)(void *)(p) = (v))

static inline __attribute__((always_inline, target("avx2"))) void
kmeans_dots_group_avx2(const double *restrict x, size_t rows, uint32_t d, const double *restrict ct,
                       const double *restrict cb, uint32_t gw, double *restrict out,
                       size_t ostride) {
    km_v4 b0 = km_load4(cb), b1 = gw == 8 ? (km_v4)km_load4(cb + 4) : b0;
    for (size_t r = 0; r < rows; r += 4) {
        const double *x0 = x + r * d;
        const double *x1 = r + 1 < rows ? x0 + d : x0, *x2 = r + 2 < rows ? x0 + 2 * d : x0;
        const double *x3 = r + 3 < rows ? x0 + 3 * d : x0;
        km_v4 a0 = {0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
        const double *p = ct;
        for (uint32_t j = 0; j < d; j++, p += gw) {
            km_v4 cv = km_load4(p);
            km_v4 s0 = {x0[j], x0[j], x0[j], x0[j]}, s1 = {x1[j], x1[j], x1[j], x1[j]};
            km_v4 s2 = {x2[j], x2[j], x2[j], x2[j]}, s3 = {x3[j], x3[j], x3[j], x3[j]};
            a0 += s0 * cv;
            a1 += s1 * cv;
            a2 += s2 * cv;
            a3 += s3 * cv;
            if (gw == 8) {
                km_v4 cw = km_load4(p + 4);
                e0 += s0 * cw;
                e1 += s1 * cw;
                e2 += s2 * cw;
                e3 += s3 * cw;
            }
        }
        km_v4 acc[4] = {a0, a1, a2, a3}, ecc[4] = {e0, e1, e2, e3};
        for (int q = 0; q < 4 && r + (size_t)q < rows; q++) {
            double *o = out + (r + (size_t)q) * ostride;
            km_store4(o, b0 - acc[q]);
            if (gw == 8) km_store4(o + 4, b1 - ecc[q]);
        }
    }
}

static __attribute__((target("avx2"))) void kmeans_dots_avx2(const double *restrict x, size_t rows,
                                                             uint32_t d, const double *restrict ct,
                                                             const double *restrict cb,
                                                             uint32_t n_lanes, double *restrict out,
                                                             size_t ostride) {
    for (uint32_t c0 = 0; c0 < n_lanes; c0 += 8) {
        const double *g = ct + (size_t)c0 * d;
        if (kmeans_group_width(n_lanes, c0) == 8)
            kmeans_dots_group_avx2(x, rows, d, g, cb + c0, 8, out + c0, ostride);
        else
            kmeans_dots_group_avx2(x, rows, d, g, cb + c0, 4, out + c0, ostride);
    }
}

static __attribute__((target("avx2"))) void kmeans_add_rows_avx2(double *restrict sums,
                                                                 const uint32_t *restrict lab,
                                                                 const double *restrict x,
                                                                 size_t rows, uint32_t d) {
    for (size_t r = 0; r < rows; r++) {
        double *restrict s = sums + (size_t)lab[r] * d;
        const double *restrict xi = x + r * d;
        uint32_t j = 0;
        for (; j + 4 <= d; j += 4) km_store4(s + j, km_load4(s + j) + km_load4(xi + j));
        for (; j + 2 <= d; j += 2) km_store(s + j, km_load(s + j) + km_load(xi + j));
        for (; j < d; j++) s[j] += xi[j];
    }
}

#endif

/* ---- pass tasks ---------------------------------------------------------------------- */

static inline size_t kmeans_chunk_end(const km_ctx *c, size_t ch) {
    size_t end = (ch + 1) * c->chunk_rows;
    return end < c->n ? end : c->n;
}

/* Column means and sums of squared deviations of a chunk (Welford, row by row), the largest
   squared value in part_inertia, and the first row holding a non-finite value, + 1, in
   part_changes (0: none). */
static void kmeans_task_stats(km_ctx *c, size_t ch) {
    uint32_t d = c->d;
    double *restrict mean = c->part_sums + ch * c->stride, *restrict m2 = mean + d;
    size_t r0 = ch * c->chunk_rows, r1 = kmeans_chunk_end(c, ch);
    for (uint32_t j = 0; j < d; j++) mean[j] = m2[j] = 0;
    uint64_t bad = 0;
    km_v2 vmax = {0, 0};
    for (size_t i = r0; i < r1; i++) {
        const double *restrict xi = c->x + i * d;
        double inv = 1.0 / (double)(i - r0 + 1);
        km_v2 vinv = {inv, inv}, vcheck = {0, 0};
        uint32_t j = 0;
        for (; j + 2 <= d; j += 2) {
            km_v2 v = km_load(xi + j), delta = v - km_load(mean + j);
            km_v2 mn = km_load(mean + j) + delta * vinv, sq = v * v;
            km_store(mean + j, mn);
            km_store(m2 + j, km_load(m2 + j) + delta * (v - mn));
            vcheck += v * 0.0; /* NaN iff some value is not finite */
            vmax = KM_SEL(sq > vmax, sq, vmax);
        }
        double check = vcheck[0] + vcheck[1];
        for (; j < d; j++) {
            double delta = xi[j] - mean[j];
            mean[j] += delta * inv;
            m2[j] += delta * (xi[j] - mean[j]);
            check += xi[j] * 0.0;
            if (xi[j] * xi[j] > vmax[0]) vmax[0] = xi[j] * xi[j];
        }
        if (check != check) {
            bad = i + 1;
            break;
        }
    }
    c->part_changes[ch] = bad;
    c->part_inertia[ch] = vmax[0] > vmax[1] ? vmax[0] : vmax[1];
}

/* D^2 from |x - mu|^2 and a lane value cb - x.c' (rounding can make it negative: 0). */
static inline double kmeans_d2(double xn, double dot) {
    double v = xn + 2 * dot;
    return v > 0 ? v : 0;
}

/* kmeans_task_kpp for at most 4 lanes (one group of width 4): row by row, scores and block
   sums in registers; the same values, in the same order. off: 1 if lane 0 is the pending
   centre. */
static inline __attribute__((always_inline)) void
kmeans_kpp4_rows(km_ctx *c, size_t b, uint32_t d, uint32_t off) {
    uint32_t nt = c->n_trials;
    size_t r0 = b * ML_BLOCK_ROWS, r1 = KL_MIN(c->n, r0 + ML_BLOCK_ROWS), n = c->n;
    double *restrict closest = c->closest, *restrict xnorm = c->xnorm, *restrict pre = c->kpp_pre;
    const double *restrict x = c->x, *restrict ct = c->kpp_ct, *restrict cb = c->kpp_cb;
    double acc[4] = {0, 0, 0, 0}, sv[4];
    for (size_t i = r0; i < r1; i++) {
        const double *restrict xi = x + i * d;
        double xn = xnorm[i], v = closest[i];
        kmeans_score4(xi, d, ct, cb, sv);
        if (off) {
            double p = kmeans_d2(xn, sv[0]);
            v = p < v ? p : v;
        }
        closest[i] = v;
        for (uint32_t l = 0; l + off < 4; l++) {
            if (l >= nt) break;
            double m = kmeans_d2(xn, sv[off + l]);
            acc[l] += m < v ? m : v;
            if (pre) pre[l * n + i] = acc[l];
        }
    }
    memcpy(c->kpp_bsum + b * nt, acc, nt * sizeof(double));
}

static inline __attribute__((always_inline)) void kmeans_kpp4_body(km_ctx *c, size_t b,
                                                                   uint32_t d) {
    if (!c->kpp_first) {
        if (c->kpp_pending)
            kmeans_kpp4_rows(c, b, d, 1);
        else
            kmeans_kpp4_rows(c, b, d, 0);
        return;
    }
    size_t r0 = b * ML_BLOCK_ROWS, r1 = KL_MIN(c->n, r0 + ML_BLOCK_ROWS);
    double *restrict closest = c->closest, *restrict xnorm = c->xnorm, *restrict pre = c->kpp_pre;
    const double *restrict x = c->x, *restrict ct = c->kpp_ct, *restrict cb = c->kpp_cb;
    double acc = 0, sv[4];
    for (size_t i = r0; i < r1; i++) {
        const double *restrict xi = x + i * d;
        double xn;
        if (!c->have_xnorm)
            xnorm[i] = xn = kmeans_sqdist(xi, c->mu, d);
        else
            xn = xnorm[i];
        kmeans_score4(xi, d, ct, cb, sv);
        double v = kmeans_d2(xn, sv[0]);
        closest[i] = v;
        acc += v;
        if (pre) pre[i] = acc;
    }
    memcpy(c->kpp_bsum + b * c->n_trials, &acc, sizeof(double));
}

KM_DIRECT(kmeans_task_kpp4, kmeans_kpp4_body)

/* k-means++ pass over one block: fold the pending centre (lane 0) into closest[], then sum
   min(closest, candidate D^2) per candidate in row order. The first pass of a fit also
   stores |x - mu|^2; a run's first pass only stores the D^2 to its first centre. */
static void kmeans_task_kpp(km_ctx *c, size_t b) {
    if (c->kpp_lanes <= 4) {
        c->kpp4(c, b);
        return;
    }
    uint32_t d = c->d, nt = c->n_trials, nl = c->kpp_lanes;
    size_t r0 = b * ML_BLOCK_ROWS, r1 = KL_MIN(c->n, r0 + ML_BLOCK_ROWS);
    double *restrict bs = c->kpp_bsum + b * nt;
    double *restrict closest = c->closest, *restrict xnorm = c->xnorm;
    double dv[KM_KPP_TILE * KM_MAX_LANES];
    uint32_t off = c->kpp_pending ? 1 : 0;
    double acc[KM_MAX_LANES] = {0}; /* not in bs: neighbouring blocks share its lines */
    double *restrict pre = c->kpp_pre;
    size_t n = c->n;
    for (size_t t0 = r0; t0 < r1; t0 += KM_KPP_TILE) {
        size_t rows = KL_MIN((size_t)KM_KPP_TILE, r1 - t0);
        const double *xt = c->x + t0 * d;
        if (!c->have_xnorm)
            for (size_t r = 0; r < rows; r++) xnorm[t0 + r] = kmeans_sqdist(xt + r * d, c->mu, d);
        c->dots(xt, rows, d, c->kpp_ct, c->kpp_cb, nl, dv, KM_MAX_LANES);
        const double *restrict dr = dv;
        if (c->kpp_first) {
            for (size_t r = 0; r < rows; r++, dr += KM_MAX_LANES) {
                double v = kmeans_d2(xnorm[t0 + r], dr[0]);
                closest[t0 + r] = v;
                acc[0] += v;
                if (pre) pre[t0 + r] = acc[0];
            }
            continue;
        }
        for (size_t r = 0; r < rows; r++, dr += KM_MAX_LANES) {
            double xn = xnorm[t0 + r], v = closest[t0 + r];
            if (off) {
                double p = kmeans_d2(xn, dr[0]);
                if (p < v) v = p;
            }
            closest[t0 + r] = v;
            for (uint32_t l = 0; l < nt; l++) {
                double m = kmeans_d2(xn, dr[off + l]);
                acc[l] += m < v ? m : v;
                if (pre) pre[l * n + t0 + r] = acc[l];
            }
        }
    }
    memcpy(bs, acc, nt * sizeof(double));
}

/* Lloyd pass over one chunk: labels (unless fixed), per-cluster counts, sums (if wanted),
   exact inertia against the pass's centres, and the number of changed labels. */
static void kmeans_task_lloyd(km_ctx *c, size_t ch) {
    uint32_t d = c->d, k = c->k;
    double *restrict sums = c->part_sums + ch * c->stride;
    uint64_t *restrict counts = c->part_counts + ch * c->kstride;
    uint32_t *restrict labels = c->labels;
    const double *cen = c->cen;
    size_t r0 = ch * c->chunk_rows, r1 = kmeans_chunk_end(c, ch);
    if (c->want_sums) memset(sums, 0, (size_t)k * d * sizeof(double));
    memset(counts, 0, (size_t)k * sizeof(uint64_t));
    double inertia = 0;
    uint64_t changes = 0;
    double bestv[KM_TILE], buf[KM_TILE * 8];
    uint32_t besti[KM_TILE];
    for (size_t t0 = r0; t0 < r1; t0 += KM_TILE) {
        size_t rows = KL_MIN((size_t)KM_TILE, r1 - t0);
        const double *xt = c->x + t0 * d;
        if (!c->fixed_labels) {
            for (size_t r = 0; r < rows; r++) bestv[r] = INFINITY, besti[r] = 0;
            for (uint32_t c0 = 0; c0 < k; c0 += 8) {
                uint32_t nl = KL_MIN(k - c0, 8u);
                c->dots(xt, rows, d, c->ct + (size_t)c0 * d, c->cb + c0, nl, buf, 8);
                kmeans_argmin(buf, rows, kmeans_group_width(nl, 0), c0, bestv, besti);
            }
        }
        for (size_t r = 0; r < rows; r++) {
            size_t i = t0 + r;
            const double *restrict xi = xt + r * d;
            uint32_t l;
            if (c->fixed_labels) {
                l = labels[i];
            } else {
                l = besti[r];
                changes += labels[i] != l;
                labels[i] = l;
            }
            counts[l]++;
            if (c->want_inertia) inertia += kmeans_sqdist(xi, cen + (size_t)l * d, d);
        }
        if (c->want_sums) c->add_rows(sums, labels + t0, xt, rows, d);
    }
    c->part_inertia[ch] = inertia;
    c->part_changes[ch] = changes;
}

/* kmeans_task_lloyd for k <= 4 (one group of width 4), row by row: the scores stay in
   registers and each row is added to its cluster's sum as soon as it is labelled (row order,
   element by element: the same sums). Padding lanes score +inf and are never taken. */
static inline __attribute__((always_inline)) void kmeans_lloyd4_body(km_ctx *c, size_t ch,
                                                                     uint32_t d) {
    uint32_t k = c->k;
    double *restrict sums = c->part_sums + ch * c->stride;
    uint64_t *restrict counts = c->part_counts + ch * c->kstride;
    uint32_t *restrict labels = c->labels;
    const double *restrict cen = c->cen, *restrict ct = c->ct, *restrict cb = c->cb;
    const double *restrict x = c->x;
    size_t r0 = ch * c->chunk_rows, r1 = kmeans_chunk_end(c, ch);
    bool want_sums = c->want_sums, want_inertia = c->want_inertia, fixed = c->fixed_labels;
    if (want_sums) memset(sums, 0, (size_t)k * d * sizeof(double));
    uint64_t cnt[4] = {0, 0, 0, 0};
    double inertia = 0;
    uint64_t changes = 0;
    for (size_t i = r0; i < r1; i++) {
        const double *restrict xi = x + i * d;
        uint32_t l;
        if (fixed) {
            l = labels[i];
        } else {
            double sv[4];
            kmeans_score4(xi, d, ct, cb, sv);
            /* the lowest score, ties to the lowest index (no branch) */
            uint32_t m01 = sv[1] < sv[0], m23 = sv[3] < sv[2];
            double v01 = sv[1] < sv[0] ? sv[1] : sv[0], v23 = sv[3] < sv[2] ? sv[3] : sv[2];
            uint32_t m = v23 < v01;
            l = m01 + ((2 + m23 - m01) & (0u - m));
            changes += labels[i] != l;
            labels[i] = l;
        }
        cnt[l]++;
        if (want_inertia) inertia += kmeans_sqdist(xi, cen + (size_t)l * d, d);
        if (want_sums) {
            double *restrict s = sums + (size_t)l * d;
            uint32_t j = 0;
            for (; j + 2 <= d; j += 2) km_store(s + j, km_load(s + j) + km_load(xi + j));
            for (; j < d; j++) s[j] += xi[j];
        }
    }
    for (uint32_t l = 0; l < k; l++) counts[l] = cnt[l];
    c->part_inertia[ch] = inertia;
    c->part_changes[ch] = changes;
}

KM_DIRECT(kmeans_task_lloyd4, kmeans_lloyd4_body)

/* ---- fit steps ----------------------------------------------------------------------- */

/* Column means, mean per-feature variance, largest squared value, first non-finite row (n
   if none). */
static void kmeans_stats(km_ctx *c, double *mu, double *mean_var, double *max_sq, size_t *bad_row) {
    uint32_t d = c->d;
    kmeans_run(c, kmeans_task_stats, c->n_chunks);
    *bad_row = c->n;
    *max_sq = 0;
    for (size_t ch = 0; ch < c->n_chunks; ch++) {
        if (c->part_changes[ch]) {
            *bad_row = c->part_changes[ch] - 1;
            return;
        }
        if (c->part_inertia[ch] > *max_sq) *max_sq = c->part_inertia[ch];
    }
    double *m2 = mu + d; /* scratch: the caller gives 2d doubles */
    double cnt = 0;
    for (size_t ch = 0; ch < c->n_chunks; ch++) {
        const double *cm = c->part_sums + ch * c->stride, *cq = cm + d;
        double nb = (double)(kmeans_chunk_end(c, ch) - ch * c->chunk_rows), nt = cnt + nb;
        for (uint32_t j = 0; j < d; j++) {
            if (ch == 0) {
                mu[j] = cm[j];
                m2[j] = cq[j];
                continue;
            }
            double delta = cm[j] - mu[j];
            mu[j] += delta * (nb / nt);
            m2[j] += cq[j] + delta * delta * (cnt * nb / nt);
        }
        cnt = nt;
    }
    double v = 0;
    for (uint32_t j = 0; j < d; j++) v += m2[j] / cnt;
    *mean_var = v / d;
}

static uint64_t kmeans_row_hash(const double *row, uint32_t d) {
    uint64_t h = 0x6a09e667f3bcc909ULL;
    for (uint32_t j = 0; j < d; j++) {
        double v = row[j] + 0.0; /* -0.0 -> 0.0 */
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        h = kl_hash_combine(h, bits);
    }
    return h;
}

static bool kmeans_row_equal(const double *a, const double *b, uint32_t d) {
    for (uint32_t j = 0; j < d; j++)
        if (a[j] != b[j]) return false;
    return true;
}

/* Number of distinct rows, counted up to k (k <= n). Returns SIZE_MAX when out of memory. */
static size_t kmeans_distinct(const double *x, size_t n, uint32_t d, uint32_t k) {
    size_t cap = 16;
    while (cap < 2 * (size_t)k) cap <<= 1;
    size_t *slots = kl_malloc(cap * sizeof(size_t));
    if (!slots) return SIZE_MAX;
    for (size_t s = 0; s < cap; s++) slots[s] = SIZE_MAX;
    size_t found = 0;
    for (size_t i = 0; i < n && found < k; i++) {
        const double *row = x + i * d;
        size_t s = (size_t)kmeans_row_hash(row, d) & (cap - 1);
        while (slots[s] != SIZE_MAX && !kmeans_row_equal(x + slots[s] * d, row, d))
            s = (s + 1) & (cap - 1);
        if (slots[s] == SIZE_MAX) {
            slots[s] = i;
            found++;
        }
    }
    kl_free(slots);
    return found;
}

/* Sum of the k-means++ block sums of column col, in block order. */
static double kmeans_kpp_total(const km_ctx *c, uint32_t col) {
    double s = 0;
    for (size_t b = 0; b < c->n_blocks; b++) s += c->kpp_bsum[b * c->n_trials + col];
    return s;
}

/* The row whose cumulative D^2 first exceeds r (D^2 with the pending centre folded in);
   col is the column of kpp_bsum that holds these D^2 block sums. */
static size_t kmeans_kpp_draw(km_ctx *c, km_rng *rng, double r, uint32_t col) {
    size_t nb = c->n_blocks, b = 0, last = SIZE_MAX;
    double acc = 0;
    for (; b < nb; b++) {
        double s = c->kpp_bsum[b * c->n_trials + col];
        if (s > 0) last = b;
        if (acc + s > r) break;
        acc += s;
    }
    if (b == nb) {
        if (last == SIZE_MAX) return kmeans_rng_below(rng, c->n); /* every D^2 is 0 */
        b = last;
        r = INFINITY; /* take the block's last row with a positive D^2 */
    }
    double t = r - acc, s = 0, dv[4];
    size_t r0 = b * ML_BLOCK_ROWS, r1 = KL_MIN(c->n, r0 + ML_BLOCK_ROWS), pick = SIZE_MAX;
    if (c->kpp_pre) {
        /* the running sums of the walk below, kept by the pass: its first row with s > t
           (t >= 0 and the sums do not decrease, so that row has D^2 > 0) */
        const double *pre = c->kpp_pre + (size_t)col * c->n;
        if (pre[r1 - 1] > t) {
            size_t lo = r0, hi = r1 - 1;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (pre[mid] > t)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            return lo;
        }
    }
    for (size_t i = r0; i < r1; i++) {
        double v = c->closest[i];
        if (c->kpp_pending) {
            c->dots(c->x + i * c->d, 1, c->d, c->kpp_ct1, c->kpp_cb1, 1, dv, 4);
            double p = kmeans_d2(c->xnorm[i], dv[0]);
            if (p < v) v = p;
        }
        if (v > 0) pick = i;
        s += v;
        if (s > t && v > 0) return i;
    }
    return pick != SIZE_MAX ? pick : kmeans_rng_below(rng, c->n);
}

/* Greedy k-means++: k centres into cen (k x d). */
static void kmeans_plusplus(km_ctx *c, km_rng *rng, double *cen) {
    uint32_t d = c->d, k = c->k, nt = c->n_trials;
    memcpy(cen, c->x + kmeans_rng_below(rng, c->n) * d, d * sizeof(double));
    if (k == 1) return;
    c->kpp_first = true;
    c->kpp_pending = false;
    c->kpp_lanes = 1;
    for (uint32_t l = 0; l < 4; l++)
        kmeans_set_lane(c->kpp_ct, c->kpp_cb, 1, l, l ? NULL : cen, c->mu, d);
    kmeans_run(c, kmeans_task_kpp, c->n_blocks);
    c->kpp_first = false;
    c->have_xnorm = true;
    uint32_t col = 0;
    double pot = kmeans_kpp_total(c, 0);
    size_t cand[KM_MAX_LANES];
    for (uint32_t ci = 1; ci < k; ci++) {
        for (uint32_t l = 0; l < nt; l++)
            cand[l] = kmeans_kpp_draw(c, rng, kmeans_rng_unit(rng) * pot, col);
        uint32_t off = c->kpp_pending ? 1 : 0, nl = off + nt;
        c->kpp_lanes = nl;
        for (uint32_t l = 0; l < kmeans_padded_lanes(nl); l++) {
            const double *row = NULL;
            if (l < off)
                row = cen + (size_t)(ci - 1) * d;
            else if (l < nl)
                row = c->x + cand[l - off] * d;
            kmeans_set_lane(c->kpp_ct, c->kpp_cb, nl, l, row, c->mu, d);
        }
        kmeans_run(c, kmeans_task_kpp, c->n_blocks);
        uint32_t best = 0;
        double best_pot = kmeans_kpp_total(c, 0);
        for (uint32_t l = 1; l < nt; l++) {
            double p = kmeans_kpp_total(c, l);
            if (p < best_pot) best_pot = p, best = l;
        }
        memcpy(cen + (size_t)ci * d, c->x + cand[best] * d, d * sizeof(double));
        c->kpp_pending = true;
        for (uint32_t l = 0; l < 4; l++)
            kmeans_set_lane(c->kpp_ct1, c->kpp_cb1, 1, l, l ? NULL : cen + (size_t)ci * d, c->mu,
                            d);
        col = best;
        pot = best_pot;
    }
}

/* Feature-major centred centres and offsets for the Lloyd scores (see the header). */
static void kmeans_prepare(km_ctx *c, const double *cen) {
    uint32_t d = c->d, k = c->k, padded = kmeans_padded_lanes(k);
    for (uint32_t l = 0; l < padded; l++)
        kmeans_set_lane(c->ct, c->cb, k, l, l < k ? cen + (size_t)l * d : NULL, c->mu, d);
    for (uint32_t l = k; l < c->n_groups * 8; l++) c->cb[l] = INFINITY; /* never nearest */
}

/* Run a Lloyd pass over all chunks and add the partials in chunk order: counts always,
   sums when tot_sums is not NULL, inertia when inertia is not NULL; labels are kept when
   fixed. */
static void kmeans_lloyd_pass(km_ctx *c, const double *cen, bool fixed, double *tot_sums,
                              uint64_t *tot_counts, double *inertia, uint64_t *changes) {
    uint32_t k = c->k, d = c->d;
    size_t kd = (size_t)k * d;
    bool sums = tot_sums != NULL;
    if (!fixed) kmeans_prepare(c, cen);
    c->cen = cen;
    c->want_sums = sums;
    c->want_inertia = inertia != NULL;
    c->fixed_labels = fixed;
    kmeans_run(c, k <= 4 ? c->lloyd4 : kmeans_task_lloyd, c->n_chunks);
    if (sums) memset(tot_sums, 0, kd * sizeof(double));
    memset(tot_counts, 0, k * sizeof(uint64_t));
    double in = 0;
    uint64_t ch_tot = 0;
    for (size_t ch = 0; ch < c->n_chunks; ch++) {
        if (sums) {
            const double *s = c->part_sums + ch * c->stride;
            for (size_t q = 0; q < kd; q++) tot_sums[q] += s[q];
        }
        const uint64_t *cn = c->part_counts + ch * c->kstride;
        for (uint32_t l = 0; l < k; l++) tot_counts[l] += cn[l];
        in += c->part_inertia[ch];
        ch_tot += c->part_changes[ch];
    }
    if (inertia) *inertia = in;
    if (changes) *changes = ch_tot;
}

/* Give every empty cluster the farthest row of a cluster that keeps a row (see header).
   Returns true if some cluster was given a row. */
static bool kmeans_relocate(km_ctx *c, const double *cen_old, double *sums, uint64_t *cnt,
                            size_t *moved) {
    uint32_t d = c->d, k = c->k, n_moved = 0;
    for (uint32_t e = 0; e < k; e++) {
        if (cnt[e]) continue;
        size_t pick = SIZE_MAX;
        double far = 0;
        for (size_t i = 0; i < c->n; i++) {
            uint32_t l = c->labels[i];
            if (cnt[l] < 2) continue;
            double v = kmeans_sqdist(c->x + i * d, cen_old + (size_t)l * d, d);
            if (!(v > far)) continue;
            bool used = false;
            for (uint32_t m = 0; m < n_moved && !used; m++) used = moved[m] == i;
            if (!used) far = v, pick = i;
        }
        if (pick == SIZE_MAX) continue;
        const double *xp = c->x + pick * d;
        uint32_t a = c->labels[pick];
        for (uint32_t j = 0; j < d; j++) {
            sums[(size_t)a * d + j] -= xp[j];
            sums[(size_t)e * d + j] = xp[j];
        }
        cnt[a]--;
        cnt[e] = 1;
        moved[n_moved++] = pick;
    }
    return n_moved > 0;
}

typedef struct km_run_bufs {
    double *cen, *cen_new, *sums;
    uint64_t *counts, *adj;
    size_t *moved;
} km_run_bufs;

/* Lloyd iterations from the centres in bf->cen; on return bf->cen holds the final centres
   and bf->counts the sizes of the final labels. A pass computes the exact inertia only when
   the previous pass changed few labels (it is then likely the last one); a strict
   convergence on a pass without it (or with centres moved by a relocation) adds a
   labels-fixed pass. Either way the inertia is the same sum, in the same order. */
static void kmeans_lloyd(km_ctx *c, km_run_bufs *bf, uint32_t max_iter, double tol_abs,
                         double *inertia, uint32_t *iterations) {
    uint32_t d = c->d, k = c->k;
    size_t kd = (size_t)k * d;
    for (size_t i = 0; i < c->n; i++) c->labels[i] = UINT32_MAX;
    bool strict = false, moved_centres = false, have_in = false;
    uint32_t it = 0;
    uint64_t changes = c->n;
    double in = 0;
    while (it < max_iter) {
        have_in = changes <= c->n / 1024;
        kmeans_lloyd_pass(c, bf->cen, false, bf->sums, bf->counts, have_in ? &in : NULL, &changes);
        it++;
        memcpy(bf->adj, bf->counts, k * sizeof(uint64_t));
        bool relocated = false;
        for (uint32_t l = 0; l < k; l++)
            if (!bf->adj[l]) {
                relocated = kmeans_relocate(c, bf->cen, bf->sums, bf->adj, bf->moved);
                break;
            }
        for (uint32_t l = 0; l < k; l++) {
            double *dst = bf->cen_new + (size_t)l * d;
            if (!bf->adj[l]) {
                memcpy(dst, bf->cen + (size_t)l * d, d * sizeof(double));
                continue;
            }
            double cnt = (double)bf->adj[l];
            for (uint32_t j = 0; j < d; j++) dst[j] = bf->sums[(size_t)l * d + j] / cnt;
        }
        double shift = 0;
        for (size_t q = 0; q < kd; q++) {
            double t = bf->cen_new[q] - bf->cen[q];
            shift += t * t;
        }
        double *tmp = bf->cen;
        bf->cen = bf->cen_new;
        bf->cen_new = tmp;
        if (changes == 0) {
            strict = true;
            moved_centres =
                relocated || !have_in || memcmp(bf->cen, bf->cen_new, kd * sizeof(double)) != 0;
            break;
        }
        if (shift <= tol_abs) break;
    }
    if (!strict)
        kmeans_lloyd_pass(c, bf->cen, false, NULL, bf->counts, &in, NULL);
    else if (moved_centres)
        kmeans_lloyd_pass(c, bf->cen, true, NULL, bf->counts, &in, NULL);
    *inertia = in;
    *iterations = it;
}

/* ---- public API ---------------------------------------------------------------------- */

/* size bytes starting at a 64-byte boundary (*mem: the pointer to free), or NULL. */
static void *kmeans_alloc_lines(size_t size, void **mem) {
    *mem = kl_malloc(size + 64);
    return *mem ? (void *)(((uintptr_t)*mem + 63) & ~(uintptr_t)63) : NULL;
}

static void kmeans_ctx_free(km_ctx *c) {
    kl_free(c->sums_mem);
    kl_free(c->counts_mem);
    kl_free(c->part_inertia);
    kl_free(c->part_changes);
    kl_free(c->closest);
    kl_free(c->xnorm);
    kl_free(c->kpp_ct);
    kl_free(c->kpp_ct1);
    kl_free(c->kpp_bsum);
    kl_free(c->kpp_pre);
    kl_free(c->labels);
    kl_free(c->ct);
    kl_free(c->cb);
}

#define kmeans_not_fitted(fit, ...) ml_not_fitted(&(fit)->fitted, (fit)->reason, __VA_ARGS__)

int ml_kmeans(const double *x, size_t n, uint32_t d, const ml_kmeans_opts *o, ml_kmeans_fit *fit,
              kl_error *err) {
    if (fit) memset(fit, 0, sizeof *fit);
    if (!o || !fit) return kl_err(err, KILN_ERR_INVALID, "kmeans: missing options or result");
    FAIL_IF(o->k == 0, err, KILN_ERR_INVALID, "kmeans: k must be >= 1");
    FAIL_IF(o->n_init == 0, err, KILN_ERR_INVALID, "kmeans: n_init must be >= 1");
    FAIL_IF(o->max_iter == 0, err, KILN_ERR_INVALID, "kmeans: max_iter must be >= 1");
    FAIL_IF(!(o->tol >= 0) || isinf(o->tol), err, KILN_ERR_INVALID,
            "kmeans: tol must be a finite number >= 0");
    uint32_t k = o->k;
    fit->k = k;
    fit->d = d;
    if (n == 0) return kmeans_not_fitted(fit, "no rows for k = %u", k);
    if (d == 0) return kmeans_not_fitted(fit, "no features for k = %u", k);
    if (n < k) return kmeans_not_fitted(fit, "%zu rows for k = %u", n, k);
    FAIL_IF((size_t)k * d > SIZE_MAX / 64 || n > SIZE_MAX / d / 16, err, KILN_ERR_MEMORY,
            "kmeans: out of memory (%zu x %u values, k = %u)", n, d, k);

    km_ctx c;
    memset(&c, 0, sizeof c);
    c.dots = kmeans_dots;
    c.add_rows = kmeans_add_rows;
    c.lloyd4 = kmeans_task_lloyd4;
    c.kpp4 = kmeans_task_kpp4;
#ifdef KM_AVX2
    if (__builtin_cpu_supports("avx2")) {
        c.dots = kmeans_dots_avx2;
        c.add_rows = kmeans_add_rows_avx2;
        c.lloyd4 = kmeans_task_lloyd4_avx2;
        c.kpp4 = kmeans_task_kpp4_avx2;
    }
#endif
    c.x = x;
    c.n = n;
    c.d = d;
    c.k = k;
    c.n_trials = 2 + (uint32_t)log((double)k);
    if (c.n_trials > KM_MAX_LANES - 4) c.n_trials = KM_MAX_LANES - 4;
    c.n_blocks = (n + ML_BLOCK_ROWS - 1) / ML_BLOCK_ROWS;
    size_t kd = (size_t)k * d;
    c.stride = (KL_MAX(kd, 2 * (size_t)d) + 7) & ~(size_t)7; /* whole cache lines */
    size_t per_chunk = (c.stride + k + 2) * sizeof(double);
    size_t max_chunks = KL_MAX((size_t)KM_MIN_CHUNKS, KM_PARTIAL_BUDGET / per_chunk);
    size_t n_chunks = KL_MIN(c.n_blocks, max_chunks);
    size_t bpc = (c.n_blocks + n_chunks - 1) / n_chunks;
    c.chunk_rows = bpc * ML_BLOCK_ROWS;
    c.n_chunks = (c.n_blocks + bpc - 1) / bpc;
    c.n_groups = (k + 7) / 8;
    size_t ct_lanes = (size_t)c.n_groups * 8;

    km_run_bufs bf = {0};
    double *mu = NULL, *best_cen = NULL;
    int rc = 0;
    c.kstride = ((size_t)k + 7) & ~(size_t)7;
    c.part_sums = kmeans_alloc_lines(c.n_chunks * c.stride * sizeof(double), &c.sums_mem);
    c.part_counts = kmeans_alloc_lines(c.n_chunks * c.kstride * sizeof(uint64_t), &c.counts_mem);
    c.part_inertia = kl_malloc(c.n_chunks * sizeof(double));
    c.part_changes = kl_malloc(c.n_chunks * sizeof(uint64_t));
    mu = kl_malloc(2 * (size_t)d * sizeof(double));
    if (!c.part_sums || !c.part_counts || !c.part_inertia || !c.part_changes || !mu) goto oom;

    int threads = o->threads < 1 ? 1 : KL_MIN(o->threads, KM_MAX_THREADS);
    if ((size_t)threads > c.n_blocks) threads = (int)c.n_blocks;
    if ((rc = kmeans_pool_start(&c, threads, err))) goto done;

    double mean_var = 0, max_sq = 0;
    size_t bad_row;
    kmeans_stats(&c, mu, &mean_var, &max_sq, &bad_row);
    if (bad_row < n) {
        kmeans_not_fitted(fit, "row %zu has a value that is not finite", bad_row + 1);
        goto done;
    }
    /* every squared distance between rows or centres is <= 4 d max_sq: keep n of them
       finite */
    if (!(max_sq <= DBL_MAX / (4.0 * d * (double)n)) || !isfinite(mean_var)) {
        kmeans_not_fitted(fit, "values too large for k-means (squared distances overflow)");
        goto done;
    }
    size_t distinct = kmeans_distinct(x, n, d, k);
    if (distinct == SIZE_MAX) goto oom;
    if (distinct < k) {
        kmeans_not_fitted(fit, "%zu distinct rows for k = %u", distinct, k);
        goto done;
    }
    c.mu = mu;

    c.closest = kl_malloc(n * sizeof(double));
    c.kpp_ct = kl_malloc((size_t)d * KM_MAX_LANES * sizeof(double));
    c.kpp_ct1 = kl_malloc((size_t)d * 4 * sizeof(double));
    c.xnorm = kl_malloc(n * sizeof(double));
    c.kpp_bsum = kl_malloc(c.n_blocks * c.n_trials * sizeof(double));
    if (n <= KM_PREFIX_ROWS) {
        c.kpp_pre = kl_malloc(n * c.n_trials * sizeof(double));
        if (!c.kpp_pre) goto oom;
    }
    c.labels = kl_malloc(n * sizeof(uint32_t));
    c.ct = kl_malloc(ct_lanes * d * sizeof(double));
    c.cb = kl_malloc(ct_lanes * sizeof(double));
    bf.cen = kl_malloc(kd * sizeof(double));
    bf.cen_new = kl_malloc(kd * sizeof(double));
    bf.sums = kl_malloc(kd * sizeof(double));
    bf.counts = kl_malloc(k * sizeof(uint64_t));
    bf.adj = kl_malloc(k * sizeof(uint64_t));
    bf.moved = kl_malloc(k * sizeof(size_t));
    best_cen = kl_malloc(kd * sizeof(double));
    fit->sizes = kl_malloc(k * sizeof(uint64_t));
    if (!c.closest || !c.xnorm || !c.kpp_ct || !c.kpp_ct1 || !c.kpp_bsum || !c.labels || !c.ct ||
        !c.cb || !bf.cen || !bf.cen_new || !bf.sums || !bf.counts || !bf.adj || !bf.moved ||
        !best_cen || !fit->sizes)
        goto oom;

    double tol_abs = o->tol * mean_var, best = INFINITY;
    for (uint32_t r = 0; r < o->n_init; r++) {
        km_rng rng;
        kmeans_rng_seed(&rng, o->seed, r);
        kmeans_plusplus(&c, &rng, bf.cen);
        double inertia;
        uint32_t iters;
        kmeans_lloyd(&c, &bf, o->max_iter, tol_abs, &inertia, &iters);
        if (r == 0 || inertia < best) {
            best = inertia;
            memcpy(best_cen, bf.cen, kd * sizeof(double));
            memcpy(fit->sizes, bf.counts, k * sizeof(uint64_t));
            fit->iterations = iters;
        }
    }
    fit->centroids = best_cen;
    best_cen = NULL;
    fit->inertia = best;
    fit->fitted = true;
    goto done;

oom:
    rc = kl_err(err, KILN_ERR_MEMORY, "kmeans: out of memory (%zu rows x %u features, k = %u)", n,
                d, k);
done:
    kmeans_pool_stop(&c);
    kmeans_ctx_free(&c);
    kl_free(mu);
    kl_free(best_cen);
    kl_free(bf.cen);
    kl_free(bf.cen_new);
    kl_free(bf.sums);
    kl_free(bf.counts);
    kl_free(bf.adj);
    kl_free(bf.moved);
    if (rc || !fit->fitted) {
        kl_free(fit->sizes);
        fit->sizes = NULL;
        fit->iterations = 0;
    }
    return rc;
}

uint32_t ml_kmeans_predict(const ml_kmeans_fit *fit, const double *row) {
    if (!fit || !fit->fitted || !fit->centroids || fit->k == 0) return 0;
    uint32_t best = 0, d = fit->d;
    double bv = INFINITY;
    for (uint32_t c = 0; c < fit->k; c++) {
        double v = kmeans_sqdist(row, fit->centroids + (size_t)c * d, d);
        if (v < bv) bv = v, best = c;
    }
    return best;
}

void ml_kmeans_fit_free(ml_kmeans_fit *fit) {
    if (!fit) return;
    kl_free(fit->centroids);
    kl_free(fit->sizes);
    memset(fit, 0, sizeof *fit);
}
