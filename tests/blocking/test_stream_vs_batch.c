/*
 * test_stream_vs_batch.c - memory of the same 20,000 items processed with
 * arayon_batch_process and with arayon_stream_process.
 *
 * Each item carries a 1 KiB payload that the test allocates itself and counts (live items
 * and their peak): a batch needs every item in memory before the call, a stream allocates an
 * item when the source produces it and frees it when it is delivered, so at most its window
 * is alive. The pool's peak_pending is reported too: a stream never has more than its window
 * pending (plus the admission credits cached by the workers: admit.c). Counts, not RSS or
 * time. Every item's result is checked; the figures are printed (a small benchmark).
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "blk.h"

enum { N = 20000, PAYLOAD = 1024, WINDOW = 64, BATCH_WINDOW = 64 };

static atomic_long live, peak_live, allocs;

static unsigned char *payload_new(uint64_t seed)
{
    unsigned char *b = malloc(PAYLOAD);
    CHECK(b != NULL);
    for (int k = 0; k < PAYLOAD; k++)
        b[k] = (unsigned char)(seed * 31 + (uint64_t)k);
    long now = atomic_fetch_add(&live, 1) + 1;
    long m = atomic_load(&peak_live);
    while (now > m && !atomic_compare_exchange_weak(&peak_live, &m, now))
        ;
    atomic_fetch_add(&allocs, 1);
    return b;
}

static void payload_free(unsigned char *b)
{
    free(b);
    atomic_fetch_sub(&live, 1);
}

static uint64_t checksum(const unsigned char *b)
{
    uint64_t h = 1469598103934665603ull;
    for (int k = 0; k < PAYLOAD; k++)
        h = (h ^ b[k]) * 1099511628211ull;
    return h;
}

static uint64_t expect_sum(uint64_t seed)
{
    unsigned char b[PAYLOAD];
    for (int k = 0; k < PAYLOAD; k++)
        b[k] = (unsigned char)(seed * 31 + (uint64_t)k);
    return checksum(b);
}

typedef struct item {
    uint64_t seed;
    unsigned char *payload;
    uint64_t sum; /* the result */
} item;

static int item_fn(void *p, void *ctx)
{
    (void)ctx;
    item *it = p;
    it->sum = checksum(it->payload);
    return 0;
}

/* ---- batch ------------------------------------------------------------------------------- */

typedef struct figures {
    long peak_live;
    uint64_t peak_pending, spawned;
} figures;

static figures run_batch(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2, .max_pending = ARAYON_DEFAULT_MAX_PENDING});
    atomic_store(&live, 0);
    atomic_store(&peak_live, 0);
    item *items = calloc(N, sizeof *items);
    int *st = calloc(N, sizeof *st);
    CHECK(items && st);
    for (size_t i = 0; i < N; i++) {
        items[i].seed = i;
        items[i].payload = payload_new(i);
    }
    CHECK_OK(arayon_batch_process(p, items, N, sizeof *items, BATCH_WINDOW, item_fn, NULL, st));
    for (size_t i = 0; i < N; i++) {
        CHECK_OK(st[i]);
        CHECK_EQ(items[i].sum, expect_sum(i));
        payload_free(items[i].payload);
    }
    CHECK_EQ(atomic_load(&live), 0);
    arayon_metrics_t m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, N);
    CHECK_EQ(m.completed, N);
    figures f = {atomic_load(&peak_live), m.peak_pending, m.spawned};
    free(items);
    free(st);
    arayon_pool_destroy(&p);
    return f;
}

/* ---- stream ------------------------------------------------------------------------------ */

typedef struct src {
    uint64_t next, delivered, bad;
} src;

static bool src_next(void *ctx, void *out)
{
    src *s = ctx;
    if (s->next >= N)
        return false;
    item *it = out;
    it->seed = s->next++;
    it->payload = payload_new(it->seed);
    it->sum = 0;
    return true;
}

static void src_done(void *p, int status, void *ctx)
{
    src *s = ctx;
    item *it = p;
    s->bad += status != ARAYON_OK || it->seed != s->delivered ||
              it->sum != expect_sum(it->seed);
    s->delivered++;
    payload_free(it->payload);
}

static figures run_stream(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2, .max_pending = ARAYON_DEFAULT_MAX_PENDING});
    atomic_store(&live, 0);
    atomic_store(&peak_live, 0);
    src s = {0};
    CHECK_OK(arayon_stream_process(p, src_next, sizeof(item), WINDOW, item_fn, src_done, true, &s));
    CHECK_EQ(s.delivered, N);
    CHECK_EQ(s.bad, 0);
    CHECK_EQ(atomic_load(&live), 0);
    arayon_metrics_t m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, N);
    CHECK_EQ(m.completed, N);
    figures f = {atomic_load(&peak_live), m.peak_pending, m.spawned};
    arayon_pool_destroy(&p);
    return f;
}

int main(void)
{
    test_watchdog(280);
    test_phase("20,000 items batched");
    figures b = run_batch();
    test_phase("20,000 items streamed");
    figures s = run_stream();
    fprintf(stderr,
            "   %d items of %d bytes:\n"
            "     batch_process (%d in flight):  peak %6ld items alive (%8.1f KiB), peak pending %llu\n"
            "     stream_process (window %d):    peak %6ld items alive (%8.1f KiB), peak pending %llu\n",
            N, PAYLOAD, BATCH_WINDOW, b.peak_live, b.peak_live * (PAYLOAD / 1024.0),
            (unsigned long long)b.peak_pending, WINDOW, s.peak_live,
            s.peak_live * (PAYLOAD / 1024.0), (unsigned long long)s.peak_pending);
    CHECK_EQ(b.peak_live, N);        /* a batch holds every item */
    CHECK_LE(s.peak_live, WINDOW);   /* a stream holds its window */
    CHECK_LT(s.peak_live * 100, b.peak_live);
    /* Pending tasks: the window, plus at most one batch of cached credits per worker
     * (262144 / (8 x 2 workers) -> capped at 256). */
    CHECK_LE(s.peak_pending, WINDOW + 2 * (256 + 1));
    CHECK_EQ(b.spawned, s.spawned);
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_stream_vs_batch: all passed\n");
    return 0;
}
