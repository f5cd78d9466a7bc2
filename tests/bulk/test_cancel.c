/*
 * test_cancel.c - cancellation of the enclosing scope (or task) in the middle of
 * arayon_batch_process, arayon_par_map and arayon_parallel_for: no item starts after the
 * cancellation beyond the ones already in flight, the items that did not run are reported
 * ARAYON_ECANCELED, and the metrics account for every spawned item.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "bulk.h"

typedef struct citem {
    size_t index;
    atomic_int ran;
} citem;

typedef struct cctx {
    arayon_scope_t *outer;      /* cancelled by item `cancel_at` */
    arayon_task_t *outer_task;  /* or this task, when set */
    size_t cancel_at;
    atomic_int cancelled;       /* set after the cancel call returned */
    atomic_int entered_after;   /* items whose fn began after that */
    atomic_llong live, max_live;
} cctx;

static cctx C;

static int citem_fn(void *p, void *c)
{
    citem *it = p;
    cctx *cx = c;
    long long now = atomic_fetch_add(&cx->live, 1) + 1;
    rc_atomic_max(&cx->max_live, now);
    if (atomic_load(&cx->cancelled))
        atomic_fetch_add(&cx->entered_after, 1);
    atomic_fetch_add(&it->ran, 1);
    if (it->index == cx->cancel_at) {
        if (cx->outer_task)
            TASK_CHECK(arayon_task_cancel(cx->outer_task) == ARAYON_OK);
        else
            TASK_CHECK(arayon_scope_cancel(cx->outer) == ARAYON_OK);
        atomic_store(&cx->cancelled, 1);
        TASK_CHECK(arayon_cancelled());
    }
    atomic_fetch_sub(&cx->live, 1);
    return 0;
}

typedef struct run_arg {
    arayon_pool_t *p;
    citem *items;
    size_t n, window;
    int *st;
    int rc;
    test_gate go;
} run_arg;

static int batch_task(void *a)
{
    run_arg *r = a;
    gate_wait(&r->go);
    r->rc = arayon_batch_process(r->p, r->items, r->n, sizeof *r->items, r->window, citem_fn, &C,
                                 r->st);
    return 0;
}

static void check_batch(run_arg *r, arayon_metrics_t *m0, arayon_metrics_t *m1)
{
    bulk_delta d = bulk_diff(m0, m1);
    size_t ran = 0, canc = 0;
    for (size_t i = 0; i < r->n; i++) {
        int k = atomic_load(&r->items[i].ran);
        CHECK_LE(k, 1);
        if (k) {
            ran++;
            CHECK_RC(r->st[i], ARAYON_OK);
        } else {
            canc++;
            CHECK_RC(r->st[i], ARAYON_ECANCELED);
        }
    }
    CHECK_RC(r->rc, ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&C.cancelled), 1);
    if (r->window)
        CHECK_GE(ran, C.cancel_at + 1 > r->window ? C.cancel_at + 1 - r->window : 1);
    else
        CHECK_GE(ran, 1);
    CHECK_LT(ran, r->n);
    /* only items already in flight when the cancel happened may begin afterwards */
    if (r->window)
        CHECK_LE(atomic_load(&C.entered_after), r->window - 1);
    /* every item spawned is one task: the ones that ran completed, the others (spawned into
     * the cancelled scope) were cancelled; items never fed are not counted */
    CHECK_EQ(d.completed, ran + 1); /* + the task that called batch_process */
    CHECK_LE(d.cancelled, canc);
    CHECK_EQ(d.failed, 0);
    fprintf(stderr, "   %zu ran, %zu cancelled (%llu spawned then cancelled), %d began after\n",
            ran, canc, (unsigned long long)d.cancelled, atomic_load(&C.entered_after));
}

static void run_scope_cancel(arayon_pool_t *p, size_t n, size_t window, size_t cancel_at,
                             bool cancel_task)
{
    CHECK_LT(cancel_at, n);
    memset(&C, 0, sizeof C);
    C.cancel_at = cancel_at;
    citem *items = calloc(n, sizeof *items);
    int *st = malloc(n * sizeof *st);
    CHECK(items && st);
    for (size_t i = 0; i < n; i++)
        items[i].index = i;
    run_arg r = {.p = p, .items = items, .n = n, .window = window, .st = st, .rc = 12345};
    arayon_metrics_t m0 = rc_metrics(p);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(p, &s));
    C.outer = s;
    arayon_task_t *h = NULL;
    gate_init(&r.go);
    CHECK_OK(arayon_scope_spawn(s, batch_task, &r, &h));
    if (cancel_task)
        C.outer_task = h; /* published to the items by the gate */
    gate_open(&r.go);
    int erc = arayon_scope_end(&s);
    CHECK(erc == ARAYON_OK || erc == ARAYON_ECANCELED);
    CHECK_OK(arayon_task_wait(h)); /* batch_task itself ran to its end and returned 0 */
    arayon_task_release(h);
    gate_destroy(&r.go);
    arayon_metrics_t m1 = rc_metrics(p);
    check_batch(&r, &m0, &m1);
    CHECK_NO_TASK_ERRORS();
    free(items);
    free(st);
}

int main(void)
{
    test_watchdog(280);
    arayon_pool_t *p = rc_pool(4, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    test_phase("cancel the enclosing scope mid-batch, window 4");
    run_scope_cancel(p, 1000, 4, 100, false);
    test_phase("cancel the enclosing scope mid-batch, window 1");
    run_scope_cancel(p, 1000, 1, 10, false);
    test_phase("cancel the enclosing scope mid-batch, window 64");
    run_scope_cancel(p, BULK_SCALE(5000), 64, BULK_SCALE(500), false);
    test_phase("cancel the calling task mid-batch, window 4");
    run_scope_cancel(p, 1000, 4, 100, true);
    test_phase("cancel the enclosing scope mid-batch, no window");
    run_scope_cancel(p, BULK_SCALE(5000), 0, BULK_SCALE(500), false);
    arayon_pool_destroy(&p);

    test_phase("1 worker: cancel the enclosing scope mid-batch");
    p = rc_pool(1, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    run_scope_cancel(p, 500, 8, 50, false);
    run_scope_cancel(p, 500, 1, 50, false);
    run_scope_cancel(p, 500, 0, 50, false);
    run_scope_cancel(p, 500, 3, 50, true);
    arayon_pool_destroy(&p);

    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_bulk_cancel: OK\n");
    return 0;
}
