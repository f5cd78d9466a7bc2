/*
 * test_stream.c - arayon_stream_process: every item processed and delivered exactly once
 * (in source order when ordered), on the slot fn worked on, on the calling thread; the
 * window bound; the metrics (one task per item); failures; memory bounded by the window
 * (a long stream); calls from inside a task on a 1-worker pool; cancellation of the calling
 * task mid-stream; admission control refusals; bad input.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include <sys/resource.h>

#include "bulk.h"

typedef struct sitem {
    uint64_t seq;
    uint64_t result; /* written by fn */
    unsigned char pad[240]; /* 256 bytes in all: the memory test's item size */
} sitem;

typedef struct sctx {
    /* source */
    uint64_t n, pulled;
    uint64_t in_window, max_in_window; /* pulled, not yet delivered (caller thread only) */
    pthread_t caller;
    /* fn */
    atomic_llong live, max_live;
    atomic_int *processed; /* per seq, or NULL */
    atomic_ullong fn_calls;
    uint64_t fail_every; /* seq % fail_every == 0 fails; 0 = none */
    /* on_done */
    int *done;           /* per seq, or NULL */
    int *status;         /* per seq, or NULL */
    uint64_t delivered, next_in_order, out_of_order, bad_result, wrong_thread, failed_seen;
    uint64_t seq_sum;
    bool ordered;
    /* cancellation */
    uint64_t cancel_at; /* UINT64_MAX = never */
    arayon_task_t *cancel_task;
    atomic_int cancelled;
    uint64_t pulled_after_cancel;
} sctx;

static bool s_next(void *c, void *out)
{
    sctx *x = c;
    if (!pthread_equal(pthread_self(), x->caller))
        x->wrong_thread++;
    if (x->pulled >= x->n)
        return false;
    if (atomic_load(&x->cancelled))
        x->pulled_after_cancel++;
    sitem *it = out;
    it->seq = x->pulled++;
    it->result = 0;
    if (++x->in_window > x->max_in_window)
        x->max_in_window = x->in_window;
    return true;
}

static int s_fn(void *p, void *c)
{
    sitem *it = p;
    sctx *x = c;
    long long now = atomic_fetch_add(&x->live, 1) + 1;
    rc_atomic_max(&x->max_live, now);
    atomic_fetch_add(&x->fn_calls, 1);
    if (x->processed)
        atomic_fetch_add(&x->processed[it->seq], 1);
    it->result = it->seq * 3 + 1;
    if ((it->seq & 15) == 0)
        sched_yield(); /* let completions overtake each other */
    if (it->seq == x->cancel_at) {
        TASK_CHECK(arayon_task_cancel(x->cancel_task) == ARAYON_OK);
        atomic_store(&x->cancelled, 1);
    }
    atomic_fetch_sub(&x->live, 1);
    return x->fail_every && it->seq % x->fail_every == 0 ? 1 : 0;
}

static void s_done(void *p, int status, void *c)
{
    sitem *it = p;
    sctx *x = c;
    if (!pthread_equal(pthread_self(), x->caller))
        x->wrong_thread++;
    if (status == ARAYON_OK || status == ARAYON_EFAILED) {
        if (it->result != it->seq * 3 + 1)
            x->bad_result++;
    }
    if (x->ordered) {
        if (it->seq != x->next_in_order)
            x->out_of_order++;
        x->next_in_order = it->seq + 1;
    }
    if (x->done)
        x->done[it->seq]++;
    if (x->status)
        x->status[it->seq] = status;
    x->failed_seen += status == ARAYON_EFAILED;
    x->seq_sum += it->seq;
    x->delivered++;
    x->in_window--;
}

static void sctx_init(sctx *x, uint64_t n, bool per_item)
{
    memset(x, 0, sizeof *x);
    x->n = n;
    x->caller = pthread_self();
    x->cancel_at = UINT64_MAX;
    if (per_item) {
        x->processed = calloc(n, sizeof *x->processed);
        x->done = calloc(n, sizeof *x->done);
        x->status = calloc(n, sizeof *x->status);
        CHECK(x->processed && x->done && x->status);
    }
}

static void sctx_free(sctx *x)
{
    free(x->processed);
    free(x->done);
    free(x->status);
}

/* One stream from the calling thread, checked in full. */
static void run_stream(arayon_pool_t *p, uint64_t n, size_t window, bool ordered,
                       uint64_t fail_every)
{
    sctx x;
    sctx_init(&x, n, true);
    x.ordered = ordered;
    x.fail_every = fail_every;
    arayon_metrics_t m0 = rc_metrics(p);
    int rc = arayon_stream_process(p, s_next, sizeof(sitem), window, s_fn, s_done, ordered, &x);
    arayon_metrics_t m1 = rc_metrics(p);
    bulk_delta d = bulk_diff(&m0, &m1);
    uint64_t expect_fail = 0, first_bad = n;
    for (uint64_t i = 0; i < n; i++) {
        bool fails = fail_every && i % fail_every == 0;
        expect_fail += fails;
        CHECK_EQ(atomic_load(&x.processed[i]), 1);
        CHECK_EQ(x.done[i], 1);
        CHECK_RC(x.status[i], fails ? ARAYON_EFAILED : ARAYON_OK);
        if (fails && first_bad == n)
            first_bad = i;
    }
    CHECK_RC(rc, expect_fail ? ARAYON_EFAILED : ARAYON_OK);
    CHECK_EQ(x.pulled, n);
    CHECK_EQ(x.delivered, n);
    CHECK_EQ(x.seq_sum, n * (n - 1) / 2);
    CHECK_EQ(x.bad_result, 0);
    CHECK_EQ(x.wrong_thread, 0);
    CHECK_EQ(x.failed_seen, expect_fail);
    if (ordered)
        CHECK_EQ(x.out_of_order, 0);
    CHECK_EQ(atomic_load(&x.live), 0);
    CHECK_LE(atomic_load(&x.max_live), (long long)window);
    CHECK_LE(x.max_in_window, window);
    CHECK_EQ(x.in_window, 0);
    CHECK_EQ(d.spawned, n);
    CHECK_EQ(d.completed + d.failed + d.cancelled + d.timed_out, n);
    CHECK_EQ(d.failed, expect_fail);
    CHECK_EQ(d.completed, n - expect_fail);
    CHECK_EQ(d.cancelled, 0);
    CHECK_EQ(d.timed_out, 0);
    CHECK_EQ(d.rejected, 0);
    fprintf(stderr, "   %llu items, window %zu, %s: max in flight %llu, max running %lld, "
            "%llu failed\n",
            (unsigned long long)n, window, ordered ? "ordered" : "unordered",
            (unsigned long long)x.max_in_window, atomic_load(&x.max_live),
            (unsigned long long)expect_fail);
    sctx_free(&x);
}

/* ---- memory: a long stream costs the window only -------------------------------------- */
static long max_rss_kib(void)
{
    struct rusage ru;
    CHECK_EQ(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss; /* KiB on Linux */
}

static void run_memory(arayon_pool_t *p)
{
    /* Max RSS growth is a bound, not a timing: per-item storage would be 256 MB here (64 MB
     * under the sanitizers' shorter stream), the window is 8 KiB. The runtime recycles its
     * task records, so even ASan's quarantine of freed blocks does not grow with the stream. */
    uint64_t n = (TEST_ASAN || TEST_TSAN) ? 250000 : 1000000;
    for (int pass = 0; pass < 2; pass++) { /* pass 0 warms the pool and the allocator up */
        uint64_t len = pass ? n : 20000;
        bool ordered = pass == 0;
        sctx x;
        sctx_init(&x, len, false);
        x.ordered = ordered;
        long before = max_rss_kib();
        arayon_metrics_t m0 = rc_metrics(p);
        int rc = arayon_stream_process(p, s_next, sizeof(sitem), 32, s_fn, s_done, ordered, &x);
        arayon_metrics_t m1 = rc_metrics(p);
        long after = max_rss_kib();
        bulk_delta d = bulk_diff(&m0, &m1);
        CHECK_RC(rc, ARAYON_OK);
        CHECK_EQ(x.delivered, len);
        CHECK_EQ(atomic_load(&x.fn_calls), len);
        CHECK_EQ(x.seq_sum, len * (len - 1) / 2);
        CHECK_EQ(x.bad_result, 0);
        CHECK_EQ(x.out_of_order, 0);
        CHECK_LE(atomic_load(&x.max_live), 32);
        CHECK_LE(x.max_in_window, 32);
        CHECK_EQ(d.spawned, len);
        CHECK_EQ(d.completed, len);
        if (pass) {
            fprintf(stderr, "   %llu items of %zu bytes, window 32: max RSS %ld -> %ld KiB\n",
                    (unsigned long long)len, sizeof(sitem), before, after);
            CHECK_LT(after - before, 16 * 1024);
        }
    }
}

/* ---- from inside a task (a 1-worker pool: the caller must help) ----------------------- */
typedef struct inner_arg {
    arayon_pool_t *p;
    uint64_t n;
    size_t window;
} inner_arg;

static int inner_task(void *a)
{
    inner_arg *ia = a;
    for (int ordered = 0; ordered < 2; ordered++) {
        sctx x;
        sctx_init(&x, ia->n, true);
        x.ordered = ordered;
        int rc = arayon_stream_process(ia->p, s_next, sizeof(sitem), ia->window, s_fn, s_done,
                                       ordered, &x);
        TASK_CHECK(rc == ARAYON_OK);
        TASK_CHECK(x.delivered == ia->n);
        TASK_CHECK(x.out_of_order == 0);
        TASK_CHECK(x.bad_result == 0);
        TASK_CHECK(x.wrong_thread == 0);
        TASK_CHECK(atomic_load(&x.max_live) <= (long long)ia->window);
        TASK_CHECK(x.max_in_window <= ia->window);
        for (uint64_t i = 0; i < ia->n; i++)
            TASK_CHECK(atomic_load(&x.processed[i]) == 1 && x.done[i] == 1);
        sctx_free(&x);
    }
    /* on_done NULL is allowed */
    sctx x;
    sctx_init(&x, ia->n, false);
    TASK_CHECK(arayon_stream_process(ia->p, s_next, sizeof(sitem), ia->window, s_fn, NULL, true,
                                     &x) == ARAYON_OK);
    TASK_CHECK(atomic_load(&x.fn_calls) == ia->n);
    return 0;
}

static void run_inside_task(arayon_pool_t *p, uint64_t n, size_t window)
{
    inner_arg ia = {p, n, window};
    arayon_metrics_t m0 = rc_metrics(p);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(p, inner_task, &ia, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    arayon_metrics_t m1 = rc_metrics(p);
    bulk_delta d = bulk_diff(&m0, &m1);
    CHECK_EQ(d.spawned, 3 * n + 1);
    CHECK_EQ(d.completed, 3 * n + 1);
    CHECK_NO_TASK_ERRORS();
}

/* ---- cancellation of the calling task mid-stream ------------------------------------- */
typedef struct cancel_arg {
    arayon_pool_t *p;
    sctx *x;
    size_t window;
    int rc;
    test_gate go;
} cancel_arg;

static int cancel_caller(void *a)
{
    cancel_arg *ca = a;
    gate_wait(&ca->go);
    ca->x->caller = pthread_self();
    ca->rc = arayon_stream_process(ca->p, s_next, sizeof(sitem), ca->window, s_fn, s_done,
                                   ca->x->ordered, ca->x);
    return 0;
}

static void run_cancel(arayon_pool_t *p, size_t window, bool ordered)
{
    uint64_t n = 1000000, at = 500;
    sctx x;
    sctx_init(&x, n, false);
    x.ordered = ordered;
    x.cancel_at = at;
    x.done = calloc(n, sizeof *x.done); /* only the first few thousand are touched */
    CHECK(x.done != NULL);
    cancel_arg ca = {.p = p, .x = &x, .window = window, .rc = 12345};
    gate_init(&ca.go);
    arayon_metrics_t m0 = rc_metrics(p);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(p, cancel_caller, &ca, &h));
    x.cancel_task = h; /* published to the items by the gate */
    gate_open(&ca.go);
    int wrc = arayon_task_wait(h);
    CHECK(wrc == ARAYON_OK || wrc == ARAYON_ECANCELED); /* it ran, but was cancelled */
    arayon_task_release(h);
    gate_destroy(&ca.go);
    arayon_metrics_t m1 = rc_metrics(p);
    bulk_delta d = bulk_diff(&m0, &m1);
    CHECK_RC(ca.rc, ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&x.cancelled), 1);
    CHECK_GT(x.pulled, at);
    CHECK_LT(x.pulled, n);                /* it stopped pulling */
    CHECK_LE(x.pulled_after_cancel, 1);   /* at most one pull raced with the cancel */
    /* Ordered delivery keeps the caller at most a window ahead of item `at` (which cancels
     * before it is delivered). Unordered, later items may complete and free slots while item
     * `at` is delayed (preempted), so only the stop after the cancel is bounded. */
    if (ordered)
        CHECK_LE(x.pulled, at + 1 + window + 1);
    CHECK_EQ(x.delivered, x.pulled);      /* every item in flight was delivered */
    CHECK_LE(x.max_in_window, window);
    for (uint64_t i = 0; i < x.pulled; i++)
        CHECK_EQ(x.done[i], 1);
    CHECK_EQ(x.wrong_thread, 0);
    CHECK_EQ(x.bad_result, 0);
    if (ordered)
        CHECK_EQ(x.out_of_order, 0);
    CHECK_EQ(d.spawned, x.pulled + 1);
    CHECK_EQ(d.failed, 0);
    fprintf(stderr, "   window %zu, %s: pulled %llu, ran %llu, %llu cancelled in flight\n",
            window, ordered ? "ordered" : "unordered", (unsigned long long)x.pulled,
            (unsigned long long)atomic_load(&x.fn_calls), (unsigned long long)d.cancelled);
    CHECK_NO_TASK_ERRORS();
    sctx_free(&x);
}

/* ---- admission control: refusals are delivered as the item's status ------------------ */
static void run_reject(void)
{
    arayon_pool_t *p = rc_pool(2, 4, ARAYON_FULL_REJECT);
    uint64_t n = BULK_SCALE(2000);
    for (int ordered = 0; ordered < 2; ordered++) {
        sctx x;
        sctx_init(&x, n, true);
        x.ordered = ordered;
        arayon_metrics_t m0 = rc_metrics(p);
        int rc = arayon_stream_process(p, s_next, sizeof(sitem), 16, s_fn, s_done, ordered, &x);
        arayon_metrics_t m1 = rc_metrics(p);
        bulk_delta d = bulk_diff(&m0, &m1);
        uint64_t ok = 0, again = 0;
        for (uint64_t i = 0; i < n; i++) {
            CHECK(x.status[i] == ARAYON_OK || x.status[i] == ARAYON_EAGAIN);
            CHECK_EQ(x.done[i], 1);
            CHECK_EQ(atomic_load(&x.processed[i]), x.status[i] == ARAYON_OK ? 1 : 0);
            ok += x.status[i] == ARAYON_OK;
            again += x.status[i] == ARAYON_EAGAIN;
        }
        CHECK_RC(rc, again ? ARAYON_EAGAIN : ARAYON_OK);
        if (ordered)
            CHECK_EQ(x.out_of_order, 0);
        CHECK_EQ(d.spawned, ok);
        CHECK_EQ(d.completed, ok);
        CHECK_EQ(d.rejected, again);
        fprintf(stderr, "   reject, %s: %llu ran, %llu refused\n",
                ordered ? "ordered" : "unordered", (unsigned long long)ok,
                (unsigned long long)again);
        sctx_free(&x);
    }
    arayon_pool_destroy(&p);
}

/* ---- bad input ------------------------------------------------------------------------ */
static atomic_int bad_calls;
static bool bad_next(void *c, void *o)
{
    (void)c, (void)o;
    atomic_fetch_add(&bad_calls, 1);
    return false;
}
static int bad_fn(void *i, void *c)
{
    (void)i, (void)c;
    atomic_fetch_add(&bad_calls, 1);
    return 0;
}
static void bad_done(void *i, int s, void *c)
{
    (void)i, (void)s, (void)c;
    atomic_fetch_add(&bad_calls, 1);
}

static void run_bad_input(arayon_pool_t *p)
{
    CHECK_RC(arayon_stream_process(NULL, bad_next, 8, 4, bad_fn, bad_done, true, NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_stream_process(p, NULL, 8, 4, bad_fn, bad_done, true, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_stream_process(p, bad_next, 8, 4, NULL, bad_done, true, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_stream_process(p, bad_next, 0, 4, bad_fn, bad_done, false, NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_stream_process(p, bad_next, 8, 0, bad_fn, bad_done, false, NULL),
             ARAYON_EINVAL);
    CHECK_EQ(atomic_load(&bad_calls), 0);
    /* an empty source: next called once, nothing else */
    arayon_metrics_t m0 = rc_metrics(p);
    CHECK_OK(arayon_stream_process(p, bad_next, 8, 4, bad_fn, bad_done, true, NULL));
    arayon_metrics_t m1 = rc_metrics(p);
    CHECK_EQ(atomic_load(&bad_calls), 1);
    CHECK_EQ(bulk_diff(&m0, &m1).spawned, 0);
}

int main(void)
{
    test_watchdog(280);
    arayon_pool_t *p = rc_pool(4, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    uint64_t n = BULK_SCALE(20000);
    test_phase("20,000 items, window 64, ordered");
    run_stream(p, n, 64, true, 0);
    test_phase("20,000 items, window 64, unordered");
    run_stream(p, n, 64, false, 0);
    test_phase("window 1, ordered and unordered");
    run_stream(p, 2000, 1, true, 0);
    run_stream(p, 2000, 1, false, 0);
    test_phase("1,000 items, 10% failing");
    run_stream(p, 1000, 16, true, 10);
    run_stream(p, 1000, 16, false, 10);
    test_phase("a long stream costs the window only");
    run_memory(p);
    test_phase("cancel the calling task mid-stream");
    run_cancel(p, 8, true);
    run_cancel(p, 8, false);
    run_cancel(p, 64, false);
    test_phase("bad input");
    run_bad_input(p);
    arayon_pool_destroy(&p);

    test_phase("from inside a task on a 1-worker pool");
    p = rc_pool(1, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    run_inside_task(p, BULK_SCALE(2000), 8);
    arayon_pool_destroy(&p);
    test_phase("from inside a task on a 4-worker pool");
    p = rc_pool(4, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    run_inside_task(p, BULK_SCALE(4000), 32);
    arayon_pool_destroy(&p);

    test_phase("admission control refusals");
    run_reject();
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_stream: all passed\n");
    return 0;
}
