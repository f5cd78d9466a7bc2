/*
 * batch.c - the bulk helpers: a parallel loop, a batch of jobs with a concurrency limit
 * (some of which fail), a parallel map, joining handles in completion order, and a stream of
 * items of unknown length processed through a small window, delivered in order.
 *
 *   ./arayon-batch [threads]
 */
#define _POSIX_C_SOURCE 200809L
#include <arayon.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* 1. parallel_for: sum of squares of 0 .. n-1 ------------------------------------------- */
static int sum_squares(void *ctx, size_t lo, size_t hi)
{
    unsigned long long acc = 0;
    for (size_t i = lo; i < hi; i++)
        acc += (unsigned long long)i * i;
    atomic_fetch_add((atomic_ullong *)ctx, acc);
    return 0;
}

/* 2. batch_process: "download" jobs, at most 8 at once; every 10th one fails ----------- */
typedef struct job {
    int id;
    int bytes;
} job;

static int run_job(void *item, void *ctx)
{
    job *j = item;
    atomic_int *in_flight = ctx;
    atomic_fetch_add(in_flight, 1);
    struct timespec ts = {0, 200000}; /* 0.2 ms of "I/O" */
    nanosleep(&ts, NULL);
    j->bytes = j->id * 100;
    atomic_fetch_sub(in_flight, 1);
    return j->id % 10 == 0 ? -1 : 0;
}

/* 3. par_map: Celsius to Fahrenheit ----------------------------------------------------- */
static int to_fahrenheit(const void *in, void *out, void *ctx)
{
    (void)ctx;
    *(double *)out = *(const double *)in * 9.0 / 5.0 + 32.0;
    return 0;
}

/* 4. join_handles: tasks that take different times --------------------------------------- */
static int nap(void *arg)
{
    struct timespec ts = {0, (long)(intptr_t)arg * 1000000L};
    nanosleep(&ts, NULL);
    return 0;
}

/* 5. stream_process: Collatz steps of 1 .. 100000, pulled lazily, 16 in flight ---------- */
typedef struct collatz {
    uint64_t start; /* filled by the source */
    unsigned steps; /* the result, left in the slot by the task */
} collatz;

typedef struct collatz_run {
    uint64_t next, last;           /* the source: next start, last start */
    uint64_t delivered, in_order;  /* on_done: runs on this thread, no atomics needed */
    uint64_t best_start;
    unsigned best_steps;
} collatz_run;

static bool collatz_next(void *ctx, void *item_out)
{
    collatz_run *r = ctx;
    if (r->next > r->last)
        return false; /* exhausted */
    ((collatz *)item_out)->start = r->next++;
    return true;
}

static int collatz_steps(void *item, void *ctx)
{
    (void)ctx;
    collatz *c = item;
    unsigned steps = 0;
    for (uint64_t x = c->start; x != 1; steps++)
        x = x % 2 ? 3 * x + 1 : x / 2;
    c->steps = steps;
    return 0;
}

static void collatz_done(void *item, int status, void *ctx)
{
    collatz *c = item;
    collatz_run *r = ctx;
    r->in_order += c->start == r->delivered + 1; /* ordered: source order */
    r->delivered++;
    if (status == ARAYON_OK && c->steps > r->best_steps) {
        r->best_steps = c->steps;
        r->best_start = c->start;
    }
}

int main(int argc, char **argv)
{
    arayon_config_t cfg = arayon_config_default();
    if (argc > 1)
        cfg.num_threads = (unsigned)atoi(argv[1]);
    arayon_pool_t *pool = NULL;
    int rc = arayon_pool_create(&cfg, &pool);
    if (rc != ARAYON_OK) {
        fprintf(stderr, "pool: %s\n", arayon_strerror(rc));
        return 1;
    }
    int status = 0;

    /* 1 */
    size_t n = 1000000;
    atomic_ullong sum = 0;
    rc = arayon_parallel_for(pool, 0, n, 0, sum_squares, &sum);
    unsigned long long expect = 0;
    for (size_t i = 0; i < n; i++)
        expect += (unsigned long long)i * i;
    printf("parallel_for: sum of squares below %zu = %llu (%s)\n", n,
           (unsigned long long)atomic_load(&sum), atomic_load(&sum) == expect ? "ok" : "WRONG");
    status |= rc != ARAYON_OK || atomic_load(&sum) != expect;

    /* 2 */
    enum { JOBS = 200 };
    job jobs[JOBS];
    int st[JOBS];
    for (int i = 0; i < JOBS; i++)
        jobs[i] = (job){.id = i, .bytes = 0};
    atomic_int in_flight = 0;
    arayon_metrics_t m0, m1;
    arayon_pool_metrics(pool, &m0);
    rc = arayon_batch_process(pool, jobs, JOBS, sizeof jobs[0], 8, run_job, &in_flight, st);
    arayon_pool_metrics(pool, &m1);
    int failed = 0;
    for (int i = 0; i < JOBS; i++)
        failed += st[i] != ARAYON_OK;
    printf("batch_process: %d jobs, %d failed, returned %s; the pool counted %llu more "
           "failed tasks\n",
           JOBS, failed, arayon_errname(rc), (unsigned long long)(m1.failed - m0.failed));
    status |= failed != JOBS / 10 || rc != ARAYON_EFAILED;

    /* 3 */
    double celsius[5] = {-40, 0, 37, 100, 21.5}, fahrenheit[5];
    rc = arayon_par_map(pool, celsius, 5, sizeof(double), fahrenheit, sizeof(double),
                        to_fahrenheit, NULL, NULL);
    printf("par_map:");
    for (int i = 0; i < 5; i++)
        printf(" %.1fC=%.1fF", celsius[i], fahrenheit[i]);
    printf("\n");
    status |= rc != ARAYON_OK;

    /* 4 */
    arayon_task_t *h[4];
    const int ms[4] = {40, 10, 30, 20};
    for (int i = 0; i < 4; i++)
        if (arayon_spawn_handle(pool, nap, (void *)(intptr_t)ms[i], &h[i]) != ARAYON_OK)
            return 1;
    int jst[4];
    size_t order[4];
    rc = arayon_join_handles(h, 4, jst, order);
    printf("join_handles: completion order");
    for (int i = 0; i < 4; i++)
        printf(" #%zu (%d ms)", order[i], ms[order[i]]);
    printf("\n");
    for (int i = 0; i < 4; i++)
        arayon_task_release(h[i]);
    status |= rc != ARAYON_OK;

    /* 5 */
    collatz_run run = {.next = 1, .last = 100000};
    rc = arayon_stream_process(pool, collatz_next, sizeof(collatz), 16, collatz_steps,
                               collatz_done, true, &run);
    printf("stream_process: %llu numbers through a window of 16, %llu delivered in order; "
           "longest: %llu (%u steps)\n",
           (unsigned long long)run.delivered, (unsigned long long)run.in_order,
           (unsigned long long)run.best_start, run.best_steps);
    status |= rc != ARAYON_OK || run.delivered != run.last || run.in_order != run.last ||
              run.best_start != 77031 || run.best_steps != 350;

    arayon_pool_destroy(&pool);
    return status;
}
