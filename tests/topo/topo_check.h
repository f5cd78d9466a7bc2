/*
 * topo_check.h - assertions and helpers shared by the topology tests (tests/topo).
 *
 * A failed CHECK prints file:line, the expression and the values, then ends the process
 * with exit code 1. Exit code 77 means "skipped" (SKIP_RETURN_CODE). Include after
 * <arayon.h> and "topo.h", and after `#define _GNU_SOURCE`.
 */
#ifndef ARAYON_TOPO_CHECK_H
#define ARAYON_TOPO_CHECK_H

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_SKIP 77

static const char *test_phase_name = "start";

static inline void test_phase(const char *name)
{
    test_phase_name = name;
    fprintf(stderr, "-- %s\n", name);
}

static inline _Noreturn void test_fail_exit(void)
{
    fflush(stdout);
    fflush(stderr);
    _Exit(1);
}

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n", __FILE__, __LINE__,           \
                    test_phase_name, #cond);                                                \
            test_fail_exit();                                                               \
        }                                                                                   \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s: ", __FILE__, __LINE__,           \
                    test_phase_name, #cond);                                                \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fprintf(stderr, "\n");                                                          \
            test_fail_exit();                                                               \
        }                                                                                   \
    } while (0)

#define CHECK_CMP_(a, op, b)                                                                \
    do {                                                                                    \
        long long check_a_ = (long long)(a);                                                \
        long long check_b_ = (long long)(b);                                                \
        if (!(check_a_ op check_b_)) {                                                      \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s %s %s (%lld vs %lld)\n", __FILE__, \
                    __LINE__, test_phase_name, #a, #op, #b, check_a_, check_b_);            \
            test_fail_exit();                                                               \
        }                                                                                   \
    } while (0)
#define CHECK_EQ(a, b) CHECK_CMP_(a, ==, b)
#define CHECK_NE(a, b) CHECK_CMP_(a, !=, b)
#define CHECK_LT(a, b) CHECK_CMP_(a, <, b)
#define CHECK_LE(a, b) CHECK_CMP_(a, <=, b)
#define CHECK_GT(a, b) CHECK_CMP_(a, >, b)
#define CHECK_GE(a, b) CHECK_CMP_(a, >=, b)

/* An arayon return code (the names are spelled out here, so that a test linking only
 * topo_none.c needs nothing else from the library). */
static inline const char *test_rc_name(int rc)
{
    switch (rc) {
    case ARAYON_OK: return "ARAYON_OK";
    case ARAYON_EINVAL: return "ARAYON_EINVAL";
    case ARAYON_ENOMEM: return "ARAYON_ENOMEM";
    case ARAYON_EFAILED: return "ARAYON_EFAILED";
    case ARAYON_ENOTSUP: return "ARAYON_ENOTSUP";
    case ARAYON_ESYSTEM: return "ARAYON_ESYSTEM";
    default: return "other";
    }
}
#define CHECK_RC(call, expected)                                                            \
    do {                                                                                    \
        int check_rc_ = (call);                                                             \
        int check_ex_ = (expected);                                                         \
        if (check_rc_ != check_ex_) {                                                       \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s returned %d (%s), expected %d (%s)\n", \
                    __FILE__, __LINE__, test_phase_name, #call, check_rc_,                  \
                    test_rc_name(check_rc_), check_ex_, test_rc_name(check_ex_));           \
            test_fail_exit();                                                               \
        }                                                                                   \
    } while (0)
#define CHECK_OK(call) CHECK_RC(call, ARAYON_OK)

/* ---------------------------------------------------------------------------------------
 * The calling thread's CPU affinity.
 * ------------------------------------------------------------------------------------- */
/* Number of CPUs in the calling thread's affinity mask; first and last get the lowest
 * and highest. */
static inline int test_affinity(int *first, int *last)
{
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    int n = 0, lo = -1, hi = -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &set)) {
            if (lo < 0)
                lo = c;
            hi = c;
            n++;
        }
    }
    if (first)
        *first = lo;
    if (last)
        *last = hi;
    return n;
}

static inline bool test_cpu_allowed(int cpu)
{
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    return cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set);
}

/* ---------------------------------------------------------------------------------------
 * A text sink for the printers.
 * ------------------------------------------------------------------------------------- */
typedef struct test_text {
    char *p;
    size_t len, cap;
    int calls;
    int fail_after; /* > 0: the write number fail_after returns -1 */
} test_text;

static inline int test_text_write(const char *buf, size_t len, void *ctx)
{
    test_text *t = ctx;
    t->calls++;
    if (t->fail_after > 0 && t->calls >= t->fail_after)
        return -1;
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->len + len + 1)
            cap *= 2;
        char *q = realloc(t->p, cap);
        CHECK(q != NULL);
        t->p = q;
        t->cap = cap;
    }
    memcpy(t->p + t->len, buf, len);
    t->len += len;
    t->p[t->len] = '\0';
    return 0;
}

static inline void test_text_free(test_text *t)
{
    free(t->p);
    memset(t, 0, sizeof *t);
}

static inline int test_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; s && (s = strstr(s, needle)) != NULL; s += strlen(needle))
        n++;
    return n;
}

/* ---------------------------------------------------------------------------------------
 * Invariants of every placement (topo.h).
 * ------------------------------------------------------------------------------------- */
static inline void check_placement(const ary_placement *pl, unsigned n)
{
    CHECK_EQ(pl->nworkers, n);
    CHECK_GE(pl->nnodes, 1);
    CHECK(pl->worker_pu && pl->worker_node && pl->worker_cache && pl->node_os_index &&
          pl->node_nworkers && pl->steal_order && pl->local_victims);
    /* Nodes are dense and their counts add up. */
    unsigned *cnt = calloc(pl->nnodes, sizeof *cnt);
    CHECK(cnt);
    unsigned maxcache = 0;
    for (unsigned w = 0; w < n; w++) {
        CHECK_LT(pl->worker_node[w], pl->nnodes);
        cnt[pl->worker_node[w]]++;
        if (pl->worker_cache[w] > maxcache)
            maxcache = pl->worker_cache[w];
    }
    unsigned total = 0;
    for (unsigned k = 0; k < pl->nnodes; k++) {
        CHECK_GT(cnt[k], 0);
        CHECK_EQ(cnt[k], pl->node_nworkers[k]);
        total += cnt[k];
    }
    CHECK_EQ(total, n);
    free(cnt);
    /* Cache groups are dense and never span nodes. */
    for (unsigned c = 0; c <= maxcache; c++) {
        int node = -1;
        for (unsigned w = 0; w < n; w++) {
            if (pl->worker_cache[w] != c)
                continue;
            if (node < 0)
                node = (int)pl->worker_node[w];
            CHECK_EQ(pl->worker_node[w], node);
        }
        CHECK_MSG(node >= 0, "cache group %u has no worker", c);
    }
    /* Steal orders: every other worker exactly once; same cache, then same node, then the
     * other nodes, each one as a contiguous block. */
    char *seen = malloc(n ? n : 1);
    char *node_done = malloc(pl->nnodes);
    CHECK(seen && node_done);
    for (unsigned w = 0; w < n; w++) {
        const unsigned *row = pl->steal_order + (size_t)w * (n - 1);
        memset(seen, 0, n);
        memset(node_done, 0, pl->nnodes);
        unsigned same_cache = 0, same_node = 0;
        for (unsigned v = 0; v < n; v++) {
            if (v == w)
                continue;
            same_cache += pl->worker_cache[v] == pl->worker_cache[w];
            same_node += pl->worker_node[v] == pl->worker_node[w];
        }
        CHECK_EQ(pl->local_victims[w], same_node);
        for (unsigned i = 0; i + 1 < n; i++) {
            unsigned v = row[i];
            CHECK_LT(v, n);
            CHECK_NE(v, w);
            CHECK_MSG(!seen[v], "worker %u: victim %u twice", w, v);
            seen[v] = 1;
            bool sc = pl->worker_cache[v] == pl->worker_cache[w];
            bool sn = pl->worker_node[v] == pl->worker_node[w];
            if (i < same_cache)
                CHECK_MSG(sc, "worker %u: entry %u (%u) is not in its cache group", w, i, v);
            else if (i < same_node)
                CHECK_MSG(sn && !sc, "worker %u: entry %u (%u) misplaced", w, i, v);
            else
                CHECK_MSG(!sn, "worker %u: entry %u (%u) is on its node", w, i, v);
            if (i >= same_node && (i == same_node || pl->worker_node[row[i - 1]] != pl->worker_node[v])) {
                CHECK_MSG(!node_done[pl->worker_node[v]], "worker %u: node %u split", w,
                          pl->worker_node[v]);
                node_done[pl->worker_node[v]] = 1;
            }
        }
    }
    free(seen);
    free(node_done);
}

/* Position of node b's block in worker w's remote steal order (0 = first remote node). */
static inline int remote_rank(const ary_placement *pl, unsigned w, unsigned node)
{
    unsigned n = pl->nworkers;
    const unsigned *row = pl->steal_order + (size_t)w * (n - 1);
    int rank = -1;
    unsigned last = UINT32_MAX;
    for (unsigned i = pl->local_victims[w]; i + 1 < n; i++) {
        unsigned k = pl->worker_node[row[i]];
        if (k != last) {
            rank++;
            last = k;
        }
        if (k == node)
            return rank;
    }
    return -1;
}

#endif
