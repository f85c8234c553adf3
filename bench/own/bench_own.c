/*
 * bench/own/bench_own.c — the own.h containers on four workloads, and the same workloads
 * with plain C arrays (malloc/realloc/free from glibc). bench_own.rs does them with Rust's
 * std; run.sh runs all three side by side.
 *
 *     bench_own WORKLOAD IMPL [SCALE]     WORKLOAD: vec_push | push_str | extend | clone
 *                                         IMPL:     stackheap | plain
 *
 * Prints one line, "ns_per_op checksum". Only the workload is timed (CLOCK_MONOTONIC),
 * including the drop (free) of what it built; the checksum is folded over the result afterwards
 * and must equal the other implementations' (so nothing is optimised away and all three did
 * the same work). The plain C peer grows its arrays as Rust does (doubling, first capacity
 * 4 elements or 8 bytes), so the difference is the allocator and the code, not the policy.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stackheap/own.h>

#define VEC_PUSH_N 10000000     /* i32 pushed into one new vec */
#define PIECES_N 10000000       /* short pieces appended to one new string */
#define EXTEND_N 10000          /* extends of one vec by a 1000-element slice */
#define SLICE_LEN 1000
#define CLONE_N 1000            /* clones of a 1 MiB vec */
#define CLONE_LEN (1 << 18)     /* 2^18 i32 = 1 MiB */

/* Rust's pieces are &str, which carry their length: the fair C peer is a view, sh_str. */
static const sh_str views[8] = {{"a", 1}, {"bc", 2}, {"def", 3}, {"ghij", 4},
                                {"hello", 5}, {", ", 2}, {"world!", 6}, {"stack", 5}};

/* Keeps the compiler from dropping work whose result is only in memory. */
#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The checksums, the same arithmetic as bench_own.rs: FNV-1a over the bytes, and a sum. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

static uint64_t sum_i32(const int32_t *p, size_t n) {
    uint64_t s = n;
    for (size_t i = 0; i < n; i++) s = s * 31 + (uint64_t)(uint32_t)p[i];
    return s;
}

/* ---- plain C: a growable array by hand ------------------------------------------------ */

typedef struct plain {
    void *ptr;
    size_t len, cap;
} plain;

static void plain_reserve(plain *v, size_t esize, size_t additional) {
    if (v->cap - v->len >= additional) return;
    size_t want = v->len + additional, cap = v->cap * 2;
    size_t min = esize == 1 ? 8 : 4;
    if (cap < want) cap = want;
    if (cap < min) cap = min;
    void *p = realloc(v->ptr, cap * esize);
    if (!p) abort();
    v->ptr = p;
    v->cap = cap;
}

/* ---- the workloads: each returns its checksum and adds its time to *ns ------------------- */

static uint64_t vec_push(int sh, size_t n, double *ns) {
    uint64_t sum;
    double t0 = now_ns();
    if (sh) {
        sh_vec_i32 v = sh_vec_new(sh_vec_i32);
        for (size_t i = 0; i < n; i++) sh_vec_push(&v, (int32_t)i);
        KEEP(v.ptr);
        *ns = now_ns() - t0;
        sum = sum_i32(v.ptr, v.len);
        t0 = now_ns();   /* the drop is timed too */
        sh_vec_i32_drop(&v);
        *ns += now_ns() - t0;
    } else {
        plain v = {0};
        for (size_t i = 0; i < n; i++) {
            if (v.len == v.cap) plain_reserve(&v, sizeof(int32_t), 1);
            ((int32_t *)v.ptr)[v.len++] = (int32_t)i;
        }
        KEEP(v.ptr);
        *ns = now_ns() - t0;
        sum = sum_i32(v.ptr, v.len);
        t0 = now_ns();   /* the drop is timed too */
        free(v.ptr);
        *ns += now_ns() - t0;
    }
    return sum;
}

static uint64_t push_str(int sh, size_t n, double *ns) {
    uint64_t sum;
    double t0 = now_ns();
    if (sh) {
        sh_string s = sh_string_new();
        for (size_t i = 0; i < n; i++) sh_string_push_view(&s, views[(i * 5 + (i >> 3)) & 7]);
        KEEP(s.ptr);
        *ns = now_ns() - t0;
        sum = fnv(0xcbf29ce484222325u, s.ptr, s.len) ^ s.len;
        t0 = now_ns();   /* the drop is timed too */
        sh_string_drop(&s);
        *ns += now_ns() - t0;
    } else {
        plain s = {0};
        for (size_t i = 0; i < n; i++) {
            const char *p = views[(i * 5 + (i >> 3)) & 7].ptr;
            size_t k = views[(i * 5 + (i >> 3)) & 7].len;
            plain_reserve(&s, 1, k);
            memcpy((char *)s.ptr + s.len, p, k);
            s.len += k;
        }
        KEEP(s.ptr);
        *ns = now_ns() - t0;
        sum = fnv(0xcbf29ce484222325u, s.ptr, s.len) ^ s.len;
        t0 = now_ns();   /* the drop is timed too */
        free(s.ptr);
        *ns += now_ns() - t0;
    }
    return sum;
}

/* Rust's extend_from_slice: sh_vec_extend (amortized growth, then one copy). */
static uint64_t extend(int sh, size_t n, double *ns) {
    int32_t slice[SLICE_LEN];
    for (int i = 0; i < SLICE_LEN; i++) slice[i] = i * 7 - 300;
    KEEP(slice);
    uint64_t sum;
    double t0 = now_ns();
    if (sh) {
        sh_vec_i32 v = sh_vec_new(sh_vec_i32);
        for (size_t i = 0; i < n; i++) sh_vec_extend(&v, slice, SLICE_LEN);
        KEEP(v.ptr);
        *ns = now_ns() - t0;
        sum = sum_i32(v.ptr, v.len);
        t0 = now_ns();   /* the drop is timed too */
        sh_vec_i32_drop(&v);
        *ns += now_ns() - t0;
    } else {
        plain v = {0};
        for (size_t i = 0; i < n; i++) {
            plain_reserve(&v, sizeof(int32_t), SLICE_LEN);
            memcpy((int32_t *)v.ptr + v.len, slice, sizeof slice);
            v.len += SLICE_LEN;
        }
        KEEP(v.ptr);
        *ns = now_ns() - t0;
        sum = sum_i32(v.ptr, v.len);
        t0 = now_ns();   /* the drop is timed too */
        free(v.ptr);
        *ns += now_ns() - t0;
    }
    return sum;
}

static uint64_t clone_vec(int sh, size_t n, double *ns) {
    int32_t *src = malloc(CLONE_LEN * sizeof(int32_t));
    if (!src) abort();
    for (int i = 0; i < CLONE_LEN; i++) src[i] = i ^ 0x5a5a;
    uint64_t sum = 0;
    if (sh) {
        sh_vec_i32 v = sh_vec_new(sh_vec_i32);
        sh_vec_reserve_exact(&v, CLONE_LEN);
        memcpy(v.ptr, src, CLONE_LEN * sizeof(int32_t));
        v.len = CLONE_LEN;
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            sh_vec_i32 c = sh_vec_clone(&v);
            KEEP(c.ptr);
            sum = sum * 31 + (uint64_t)(uint32_t)c.ptr[(i * 7919) % CLONE_LEN];
            sh_vec_i32_drop(&c);
        }
        *ns = now_ns() - t0;
        sh_vec_i32_drop(&v);
    } else {
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            int32_t *c = malloc(CLONE_LEN * sizeof(int32_t));
            if (!c) abort();
            memcpy(c, src, CLONE_LEN * sizeof(int32_t));
            KEEP(c);
            sum = sum * 31 + (uint64_t)(uint32_t)c[(i * 7919) % CLONE_LEN];
            free(c);
        }
        *ns = now_ns() - t0;
    }
    free(src);
    return sum;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fputs("usage: bench_own vec_push|push_str|extend|clone stackheap|plain [SCALE]\n", stderr);
        return 2;
    }
    double scale = argc > 3 ? atof(argv[3]) : 1.0;
    int sh = strcmp(argv[2], "stackheap") == 0;
    if (!sh && strcmp(argv[2], "plain") != 0) {
        fprintf(stderr, "bench_own: unknown implementation %s\n", argv[2]);
        return 2;
    }
    static const struct {
        const char *name;
        uint64_t (*run)(int sh, size_t n, double *ns);
        double n;
    } workloads[] = {{"vec_push", vec_push, VEC_PUSH_N},
                     {"push_str", push_str, PIECES_N},
                     {"extend", extend, EXTEND_N},
                     {"clone", clone_vec, CLONE_N}};
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
        if (strcmp(argv[1], workloads[i].name) != 0) continue;
        size_t ops = (size_t)(workloads[i].n * scale);
        double ns = 0;
        uint64_t sum = workloads[i].run(sh, ops, &ns);
        printf("%.3f %016llx\n", ns / (double)ops, (unsigned long long)sum);
        return 0;
    }
    fprintf(stderr, "bench_own: unknown workload %s\n", argv[1]);
    return 2;
}
