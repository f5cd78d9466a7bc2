/*
 * test_batch.c - arayon_batch_process: the concurrency window, per-item statuses, the
 * metrics (one task per item), failures, batches from several threads, calls from inside a
 * task (including a 1-worker pool), admission control and bad input.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "bulk.h"

typedef struct item {
    size_t index;
    atomic_int runs;
} item;

typedef struct batch_ctx {
    atomic_llong live, max_live;
    atomic_llong total;
    size_t fail_every; /* items with index % fail_every == 0 fail; 0 = none */
    unsigned spin;     /* a little work per item */
    unsigned sleep_us; /* and a nap */
} batch_ctx;

static unsigned g_sleep_us; /* run_batch's items nap this long */

static int item_fn(void *p, void *c)
{
    item *it = p;
    batch_ctx *ctx = c;
    long long now = atomic_fetch_add(&ctx->live, 1) + 1;
    rc_atomic_max(&ctx->max_live, now);
    atomic_fetch_add(&it->runs, 1);
    atomic_fetch_add(&ctx->total, 1);
    volatile unsigned x = 0;
    for (unsigned k = 0; k < ctx->spin; k++)
        x += k;
    if (ctx->sleep_us)
        test_sleep_us(ctx->sleep_us); /* long enough for the window to fill up */
    else if ((it->index & 7) == 0)
        sched_yield(); /* let the others overlap with this one */
    atomic_fetch_sub(&ctx->live, 1);
    return ctx->fail_every && it->index % ctx->fail_every == 0 ? 1 : 0;
}

static item *make_items(size_t n)
{
    item *v = calloc(n ? n : 1, sizeof *v);
    CHECK(v != NULL);
    for (size_t i = 0; i < n; i++) {
        v[i].index = i;
        atomic_init(&v[i].runs, 0);
    }
    return v;
}

/* Runs one batch from the calling thread and checks everything about it. */
static void run_batch(arayon_pool_t *p, size_t n, size_t window, size_t fail_every)
{
    item *v = make_items(n);
    int *st = malloc((n ? n : 1) * sizeof *st);
    CHECK(st != NULL);
    for (size_t i = 0; i < n; i++)
        st[i] = 12345;
    batch_ctx ctx = {.fail_every = fail_every, .spin = 200, .sleep_us = g_sleep_us};
    arayon_metrics_t m0 = rc_metrics(p);
    int rc = arayon_batch_process(p, v, n, sizeof *v, window, item_fn, &ctx, st);
    arayon_metrics_t m1 = rc_metrics(p);
    bulk_delta d = bulk_diff(&m0, &m1);

    size_t expect_fail = 0;
    for (size_t i = 0; i < n; i++) {
        bool fails = fail_every && i % fail_every == 0;
        expect_fail += fails;
        CHECK_EQ(atomic_load(&v[i].runs), 1);
        CHECK_RC(st[i], fails ? ARAYON_EFAILED : ARAYON_OK);
    }
    CHECK_RC(rc, expect_fail ? ARAYON_EFAILED : ARAYON_OK);
    CHECK_EQ(atomic_load(&ctx.total), n);
    CHECK_EQ(atomic_load(&ctx.live), 0);
    if (window)
        CHECK_LE(atomic_load(&ctx.max_live), window);
    CHECK_EQ(d.spawned, n);
    CHECK_EQ(d.failed, expect_fail);
    CHECK_EQ(d.completed, n - expect_fail);
    CHECK_EQ(d.cancelled, 0);
    CHECK_EQ(d.timed_out, 0);
    fprintf(stderr, "   %zu items, window %zu: max live %lld, %zu failed\n", n, window,
            atomic_load(&ctx.max_live), expect_fail);
    free(st);
    free(v);
}

/* ---- batches from three outside threads at once -------------------------------------- */
typedef struct thr_arg {
    arayon_pool_t *p;
    size_t n, window;
} thr_arg;

static void *batch_thread(void *a)
{
    thr_arg *t = a;
    item *v = make_items(t->n);
    int *st = malloc(t->n * sizeof *st);
    CHECK(st != NULL);
    batch_ctx ctx = {.fail_every = 10, .spin = 100};
    int rc = arayon_batch_process(t->p, v, t->n, sizeof *v, t->window, item_fn, &ctx, st);
    CHECK_RC(rc, ARAYON_EFAILED); /* item 0 fails */
    for (size_t i = 0; i < t->n; i++) {
        CHECK_EQ(atomic_load(&v[i].runs), 1);
        CHECK_RC(st[i], i % 10 == 0 ? ARAYON_EFAILED : ARAYON_OK);
    }
    CHECK_LE(atomic_load(&ctx.max_live), t->window);
    free(st);
    free(v);
    return NULL;
}

/* ---- from inside a task -------------------------------------------------------------- */
typedef struct inner_arg {
    arayon_pool_t *p;
    size_t n, window;
} inner_arg;

static int inner_batch_task(void *a)
{
    inner_arg *ia = a;
    item *v = make_items(ia->n);
    int *st = malloc(ia->n * sizeof *st);
    TASK_CHECK(st != NULL);
    batch_ctx ctx = {.fail_every = 0, .spin = 50};
    int rc = arayon_batch_process(ia->p, v, ia->n, sizeof *v, ia->window, item_fn, &ctx, st);
    TASK_CHECK(rc == ARAYON_OK);
    for (size_t i = 0; i < ia->n; i++) {
        TASK_CHECK(atomic_load(&v[i].runs) == 1);
        TASK_CHECK(st[i] == ARAYON_OK);
    }
    if (ia->window)
        TASK_CHECK(atomic_load(&ctx.max_live) <= (long long)ia->window);
    /* NULL statuses is allowed */
    rc = arayon_batch_process(ia->p, v, ia->n, sizeof *v, ia->window, item_fn, &ctx, NULL);
    TASK_CHECK(rc == ARAYON_OK);
    free(st);
    free(v);
    return 0;
}

static void run_inside_task(arayon_pool_t *p, size_t n, size_t window)
{
    inner_arg ia = {p, n, window};
    arayon_metrics_t m0 = rc_metrics(p);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(p, inner_batch_task, &ia, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    arayon_metrics_t m1 = rc_metrics(p);
    bulk_delta d = bulk_diff(&m0, &m1);
    CHECK_EQ(d.spawned, 2 * n + 1);
    CHECK_EQ(d.completed, 2 * n + 1);
    CHECK_NO_TASK_ERRORS();
}

/* ---- admission control: ARAYON_FULL_REJECT ------------------------------------------- */
static void run_reject(void)
{
    arayon_pool_t *p = rc_pool(2, 4, ARAYON_FULL_REJECT);
    size_t n = BULK_SCALE(2000);
    for (int pass = 0; pass < 2; pass++) {
        size_t window = pass ? 3 : 0;
        item *v = make_items(n);
        int *st = malloc(n * sizeof *st);
        CHECK(st != NULL);
        batch_ctx ctx = {.spin = 100};
        arayon_metrics_t m0 = rc_metrics(p);
        int rc = arayon_batch_process(p, v, n, sizeof *v, window, item_fn, &ctx, st);
        arayon_metrics_t m1 = rc_metrics(p);
        bulk_delta d = bulk_diff(&m0, &m1);
        size_t ok = 0, again = 0, first_bad = n;
        for (size_t i = 0; i < n; i++) {
            CHECK(st[i] == ARAYON_OK || st[i] == ARAYON_EAGAIN);
            CHECK_EQ(atomic_load(&v[i].runs), st[i] == ARAYON_OK ? 1 : 0);
            ok += st[i] == ARAYON_OK;
            again += st[i] == ARAYON_EAGAIN;
            if (st[i] != ARAYON_OK && first_bad == n)
                first_bad = i;
        }
        CHECK_RC(rc, first_bad == n ? ARAYON_OK : st[first_bad]);
        CHECK_EQ(d.spawned, ok);   /* a refused item was never spawned */
        CHECK_EQ(d.completed, ok);
        CHECK_EQ(d.rejected, again);
        fprintf(stderr, "   reject, window %zu: %zu ran, %zu refused\n", window, ok, again);
        free(st);
        free(v);
    }
    arayon_pool_destroy(&p);
}

/* ---- bad input ------------------------------------------------------------------------ */
static int never_fn(void *item, void *ctx)
{
    (void)item;
    (void)ctx;
    CHECK(!"fn called on bad input");
    return 0;
}

static void run_bad_input(arayon_pool_t *p)
{
    item v[4];
    int st[4];
    arayon_metrics_t m0 = rc_metrics(p);
    CHECK_RC(arayon_batch_process(NULL, v, 4, sizeof v[0], 0, never_fn, NULL, st), ARAYON_EINVAL);
    CHECK_RC(arayon_batch_process(p, v, 4, sizeof v[0], 0, NULL, NULL, st), ARAYON_EINVAL);
    CHECK_RC(arayon_batch_process(p, NULL, 4, sizeof v[0], 0, never_fn, NULL, st), ARAYON_EINVAL);
    CHECK_RC(arayon_batch_process(p, v, 4, 0, 0, never_fn, NULL, st), ARAYON_EINVAL);
    CHECK_RC(arayon_batch_process(p, v, SIZE_MAX, 2, 0, never_fn, NULL, st), ARAYON_EINVAL);
    /* count 0: nothing to do, NULL items allowed */
    CHECK_OK(arayon_batch_process(p, NULL, 0, 1, 0, never_fn, NULL, NULL));
    CHECK_OK(arayon_batch_process(p, v, 0, sizeof v[0], 5, never_fn, NULL, st));
    arayon_metrics_t m1 = rc_metrics(p);
    CHECK_EQ(m1.spawned, m0.spawned);
}

int main(void)
{
    test_watchdog(280);
    arayon_pool_t *p = rc_pool(4, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);

    test_phase("10,000 items, 100 in flight");
    run_batch(p, BULK_SCALE(10000), 100, 0);
    test_phase("50,000 items, 500 in flight");
    run_batch(p, BULK_SCALE(50000), 500, 0);
    test_phase("1,000 items, 10% fail");
    {
        arayon_metrics_t m0 = rc_metrics(p);
        run_batch(p, 1000, 50, 10);
        arayon_metrics_t m1 = rc_metrics(p);
        CHECK_EQ(m1.failed - m0.failed, 100);
        CHECK_EQ(m1.completed - m0.completed, 900);
        arayon_metrics_t d = m1;
        d.completed = m1.completed - m0.completed;
        d.failed = m1.failed - m0.failed;
        d.cancelled = m1.cancelled - m0.cancelled;
        d.timed_out = m1.timed_out - m0.timed_out;
        double rate = arayon_metrics_success_rate(&d);
        CHECK_MSG(rate > 0.8999 && rate < 0.9001, "success rate %f", rate);
    }
    test_phase("no window, window 1, window larger than the batch");
    run_batch(p, BULK_SCALE(5000), 0, 7);
    run_batch(p, 300, 1, 0);
    run_batch(p, 50, 1000, 3);
    run_batch(p, 1, 1, 0);

    test_phase("three batches from three outside threads");
    {
        pthread_t th[3];
        thr_arg a[3] = {{p, BULK_SCALE(6000), 10}, {p, BULK_SCALE(4000), 100}, {p, 3000, 1}};
        arayon_metrics_t m0 = rc_metrics(p);
        for (int i = 0; i < 3; i++)
            CHECK_EQ(pthread_create(&th[i], NULL, batch_thread, &a[i]), 0);
        for (int i = 0; i < 3; i++)
            CHECK_EQ(pthread_join(th[i], NULL), 0);
        arayon_metrics_t m1 = rc_metrics(p);
        bulk_delta d = bulk_diff(&m0, &m1);
        size_t total = a[0].n + a[1].n + a[2].n;
        size_t fails = (a[0].n + 9) / 10 + (a[1].n + 9) / 10 + (a[2].n + 9) / 10;
        CHECK_EQ(d.spawned, total);
        CHECK_EQ(d.failed, fails);
    }

    test_phase("from inside a task, 4 workers");
    run_inside_task(p, BULK_SCALE(4000), 8);
    run_inside_task(p, BULK_SCALE(4000), 0);

    test_phase("bad input");
    run_bad_input(p);
    arayon_pool_destroy(&p);

    test_phase("1-worker pool, from inside a task");
    p = rc_pool(1, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    run_inside_task(p, 2000, 4);
    run_inside_task(p, 2000, 1);
    run_inside_task(p, 2000, 0);
    run_batch(p, 1000, 4, 5);
    arayon_pool_destroy(&p);

    test_phase("1-worker pool, max_pending 8, inside a task (BLOCK, RUN_INLINE)");
    p = rc_pool(1, 8, ARAYON_FULL_BLOCK);
    run_inside_task(p, 2000, 0);
    run_inside_task(p, 2000, 16);
    arayon_pool_destroy(&p);
    p = rc_pool(2, 8, ARAYON_FULL_RUN_INLINE);
    run_inside_task(p, 2000, 0);
    run_inside_task(p, 2000, 4);
    run_batch(p, 2000, 0, 0);
    arayon_pool_destroy(&p);

    test_phase("8 workers, windows smaller than the pool");
    p = rc_pool(8, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    g_sleep_us = 50;
    run_batch(p, BULK_SCALE(2000), 3, 0);
    run_batch(p, BULK_SCALE(2000), 5, 4);
    run_batch(p, 500, 1, 0);
    g_sleep_us = 0;
    arayon_pool_destroy(&p);

    test_phase("ARAYON_FULL_REJECT");
    run_reject();

    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_bulk_batch: OK\n");
    return 0;
}
