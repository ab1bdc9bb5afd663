/*
 * csv_bench.c — CSV parse throughput driver for bench/csv_throughput.sh.
 *
 *   csv_bench FILE WORKERS COLS [RUNS]
 *
 * WORKERS = 0: csv_next (the sequential path); N >= 1: N threads, each with a csv_worker.
 * COLS = "all" or a comma list of 0-based column indices to convert (projection).
 * Prints, for the best of RUNS: seconds, rows, MB/s total and MB/s per worker thread.
 * Build: cc -O2 -I include -I src bench/csv_bench.c BUILD/libkiln.a -lz -lzstd -lxxhash -lpthread -lm
 */
#include "io/csv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static kl_csv *g_rd;
static kl_type g_types[1024];
static uint32_t g_nc;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { uint64_t rows; int rc; } wres;

#ifndef SEQ_ONLY
static void *worker(void *arg) {
    wres *res = arg;
    kl_error err = {0};
    kl_csv_worker *w = NULL;
    if (csv_worker_new(g_rd, &w, &err)) {
        fprintf(stderr, "worker: %s\n", err.message);
        res->rc = 1;
        return NULL;
    }
    kl_chunk ch;
    chunk_init(&ch, g_types, g_nc, KL_CHUNK_ROWS);
    for (;;) {
        uint64_t mi;
        uint32_t ci;
        if (csv_worker_next(w, &ch, &mi, &ci, &err)) {
            fprintf(stderr, "worker: %s\n", err.message);
            res->rc = 1;
            break;
        }
        if (ch.n_rows == 0) break;
        res->rows += ch.n_rows;
    }
    chunk_free(&ch);
    csv_worker_free(w);
    return NULL;
}

#endif
int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: csv_bench FILE WORKERS COLS [RUNS]\n");
        return 2;
    }
    const char *path = argv[1];
    int workers = atoi(argv[2]);
    const char *cols = argv[3];
    int runs = argc > 4 ? atoi(argv[4]) : 3;
    struct stat sb;
    if (stat(path, &sb)) {
        perror(path);
        return 1;
    }
    double best = 1e30;
    uint64_t rows_seen = 0;
    for (int run = 0; run < runs; run++) {
        kl_error err = {0};
        double t0 = now();
        if (csv_open(path, NULL, &g_rd, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        g_nc = csv_column_count(g_rd);
        bool needed[1024];
        for (uint32_t c = 0; c < g_nc; c++) {
            g_types[c] = csv_column_type(g_rd, c);
            needed[c] = strcmp(cols, "all") == 0;
        }
        if (strcmp(cols, "all") != 0) {
            char *dup = strdup(cols), *save = NULL;
            for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
                if ((uint32_t)atoi(t) < g_nc) needed[atoi(t)] = true;
            free(dup);
        }
        csv_set_projection(g_rd, needed);
        uint64_t rows = 0;
        if (workers == 0) {
            kl_chunk ch;
            chunk_init(&ch, g_types, g_nc, KL_CHUNK_ROWS);
            for (;;) {
                if (csv_next(g_rd, &ch, &err)) {
                    fprintf(stderr, "%s\n", err.message);
                    return 1;
                }
                if (ch.n_rows == 0) break;
                rows += ch.n_rows;
            }
            chunk_free(&ch);
        }
#ifndef SEQ_ONLY
        else {
            pthread_t th[64];
            wres res[64];
            memset(res, 0, sizeof res);
            for (int i = 0; i < workers && i < 64; i++) pthread_create(&th[i], NULL, worker, &res[i]);
            for (int i = 0; i < workers && i < 64; i++) {
                pthread_join(th[i], NULL);
                if (res[i].rc) return 1;
                rows += res[i].rows;
            }
        }
#endif
        csv_close(g_rd);
        double t = now() - t0;
        if (t < best) best = t;
        rows_seen = rows;
    }
    double mb = (double)sb.st_size / 1e6;
    int per = workers == 0 ? 1 : workers;
    printf("seconds=%.3f rows=%llu MBps=%.1f MBps_per_core=%.1f\n", best,
           (unsigned long long)rows_seen, mb / best, mb / best / per);
    return 0;
}
