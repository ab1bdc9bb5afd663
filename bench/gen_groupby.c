/* gen_groupby.c — generate the db-benchmark (h2oai) group-by table as CSV.
 *
 * Usage: gen_groupby N K out.csv [seed]
 *
 * Columns and distributions follow groupby-datagen.R:
 *   id1 = sprintf("id%03d", sample(K))       id4 = sample(K)      (int)
 *   id2 = sprintf("id%03d", sample(K))       id5 = sample(K)      (int)
 *   id3 = sprintf("id%010d", sample(N/K))    id6 = sample(N/K)    (int)
 *   v1  = sample(5)  (int 1..5)              v2  = sample(15) (int 1..15)
 *   v3  = round(runif(0, 100), 6)            (double, printed without trailing zeros)
 * A fixed seed (default 108) gives the same file on every machine (xoshiro256** PRNG; the values
 * are not R's, the distributions are).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s[4];

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(void) {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void seed(uint64_t x) {
    for (int i = 0; i < 4; i++) { /* splitmix64 */
        uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        s[i] = z ^ (z >> 31);
    }
}

/* uniform integer in 1..n (n >= 1), Lemire's multiply-shift (bias negligible for n << 2^64) */
static uint64_t sample(uint64_t n) { return (uint64_t)(((unsigned __int128)next() * n) >> 64) + 1; }

static char *put_uint(char *p, uint64_t v) {
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

static char *put_padded(char *p, uint64_t v, int width) {
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n < width) tmp[n++] = '0';
    while (n) *p++ = tmp[--n];
    return p;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s N K out.csv [seed]\n", argv[0]);
        return 2;
    }
    uint64_t N = strtoull(argv[1], NULL, 10);
    uint64_t K = strtoull(argv[2], NULL, 10);
    uint64_t sd = argc > 4 ? strtoull(argv[4], NULL, 10) : 108;
    if (N == 0 || K == 0) {
        fprintf(stderr, "gen_groupby: N and K must be positive\n");
        return 2;
    }
    uint64_t NK = N / K ? N / K : 1;
    FILE *f = strcmp(argv[3], "-") ? fopen(argv[3], "wb") : stdout;
    if (!f) {
        perror(argv[3]);
        return 1;
    }
    seed(sd);
    size_t cap = 1 << 20;
    char *buf = malloc(cap + 256);
    if (!buf) return 1;
    char *p = buf;
    p += sprintf(p, "id1,id2,id3,id4,id5,id6,v1,v2,v3\n");
    for (uint64_t r = 0; r < N; r++) {
        memcpy(p, "id", 2), p += 2, p = put_padded(p, sample(K), 3), *p++ = ',';
        memcpy(p, "id", 2), p += 2, p = put_padded(p, sample(K), 3), *p++ = ',';
        memcpy(p, "id", 2), p += 2, p = put_padded(p, sample(NK), 10), *p++ = ',';
        p = put_uint(p, sample(K)), *p++ = ',';
        p = put_uint(p, sample(K)), *p++ = ',';
        p = put_uint(p, sample(NK)), *p++ = ',';
        p = put_uint(p, sample(5)), *p++ = ',';
        p = put_uint(p, sample(15)), *p++ = ',';
        /* v3 = round(runif(0,100), 6): an integer number of millionths in [0, 1e8] */
        double u = (double)(next() >> 11) * 0x1.0p-53 * 100.0;
        uint64_t micro = (uint64_t)(u * 1e6 + 0.5);
        p = put_uint(p, micro / 1000000);
        uint64_t frac = micro % 1000000;
        if (frac) {
            int digits = 6;
            while (frac % 10 == 0) frac /= 10, digits--;
            *p++ = '.';
            p = put_padded(p, frac, digits);
        }
        *p++ = '\n';
        if ((size_t)(p - buf) >= cap) {
            if (fwrite(buf, 1, (size_t)(p - buf), f) != (size_t)(p - buf)) { perror("write"); return 1; }
            p = buf;
        }
    }
    if (fwrite(buf, 1, (size_t)(p - buf), f) != (size_t)(p - buf)) { perror("write"); return 1; }
    free(buf);
    if (f != stdout && fclose(f) != 0) { perror("close"); return 1; }
    return 0;
}
