/*
 * deep_tasks.c - an unbalanced tree search with deep chains, at a small thread stack
 * (OMP_STACKSIZE=2M on every route).
 *
 * CHAINS chains of DEPTH levels each hang off one task-creating thread; every chain node
 * creates WIDTH leaf tasks and the next node as tasks, then waits for them (taskwait). The
 * pending-task bound is soon reached, so most tasks run at once on the creating thread
 * (throttling), and a thread that waits in one chain may pick up work of another chain. A
 * runtime that nests such waits and in-place tasks without bound overflows a 2 MiB stack
 * (issue 16 item 6: a gcc-built tree search crashed with 5,389 nested in-place frames); libgomp
 * and libomp run it at that stack size.
 *
 * Checks: every node is visited exactly once (a per-depth count), the sum of a value
 * computed in the leaves, and, in the second part, the same with firstprivate data large
 * enough to be copied into each task (gcc's copy-function path), and final tasks below a
 * depth (included tasks, which always run in place: the last quarter of each chain).
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef DEPTH
#define DEPTH 2000
#endif
#define WIDTH 8
#ifndef CHAINS
#define CHAINS 32
#endif

static long visits[DEPTH + 2];
static long leaf_sum;
static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "deep_tasks: FAILED %s: ", #cond);                             \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static void leaf(int d, int i)
{
#pragma omp atomic
    visits[d]++;
#pragma omp atomic
    leaf_sum += (long)d * WIDTH + i;
}

static void chain(int d)
{
#pragma omp atomic
    visits[d]++;
    if (d >= DEPTH)
        return;
    for (int i = 0; i < WIDTH; i++) {
#pragma omp task firstprivate(d, i)
        leaf(d + 1, i);
    }
#pragma omp task firstprivate(d)
    chain(d + 1);
#pragma omp taskwait
}

/* The same shape, half as deep, with 96 bytes of firstprivate data per task (copied by
 * gcc's copy function), final in the last quarter (included tasks: always in place). */
typedef struct {
    long v[12];
} payload;

static void chain_data(int d, payload p)
{
    enum { DDEPTH = DEPTH / 2 };
    long s = 0;
    for (int k = 0; k < 12; k++)
        s += p.v[k];
    CHECK(s == 12L * d, "payload at depth %d sums to %ld", d, s);
#pragma omp atomic
    visits[d]++;
    if (d >= DDEPTH)
        return;
    payload q;
    for (int k = 0; k < 12; k++)
        q.v[k] = d + 1;
    for (int i = 0; i < WIDTH; i++) {
#pragma omp task firstprivate(d, i, q) final(d > DDEPTH - DDEPTH / 4)
        {
            long t = 0;
            for (int k = 0; k < 12; k++)
                t += q.v[k];
            CHECK(t == 12L * (d + 1), "leaf payload at depth %d sums to %ld", d + 1, t);
            leaf(d + 1, i);
        }
    }
#pragma omp task firstprivate(d, q) final(d > DDEPTH - DDEPTH / 4)
    chain_data(d + 1, q);
#pragma omp taskwait
}

static void check_counts(const char *part, int depth)
{
    CHECK(visits[0] == CHAINS, "%s: depth 0 visited %ld times, want %d", part, visits[0],
          CHAINS);
    for (int d = 1; d <= depth; d++)
        if (visits[d] != (long)CHAINS * (WIDTH + 1)) {
            CHECK(visits[d] == (long)CHAINS * (WIDTH + 1), "%s: depth %d visited %ld times",
                  part, d, visits[d]);
            break;
        }
    long want = 0;
    for (int d = 0; d < depth; d++)
        for (int i = 0; i < WIDTH; i++)
            want += (long)(d + 1) * WIDTH + i;
    want *= CHAINS;
    CHECK(leaf_sum == want, "%s: leaf sum %ld, want %ld", part, leaf_sum, want);
}

int main(void)
{
#pragma omp parallel
#pragma omp single
    for (int c = 0; c < CHAINS; c++) {
#pragma omp task
        chain(0);
    }
    check_counts("chains", DEPTH);

    for (int d = 0; d <= DEPTH + 1; d++)
        visits[d] = 0;
    leaf_sum = 0;
#pragma omp parallel
#pragma omp single
    for (int c = 0; c < CHAINS; c++) {
#pragma omp task
        {
            payload p0 = {{0}};
            chain_data(0, p0);
        }
    }
    check_counts("chains with data", DEPTH / 2);

    if (failures) {
        fprintf(stderr, "deep_tasks: %d check(s) failed (%d threads)\n", failures,
                omp_get_max_threads());
        return 1;
    }
    printf("deep_tasks: %d chains of %d levels, twice, at %d threads: OK\n", CHAINS, DEPTH,
           omp_get_max_threads());
    return 0;
}
