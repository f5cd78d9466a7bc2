/*
 * bulk.c - bulk helpers: parallel_for, batch_process, par_map, stream_process, join_handles.
 *
 * Built on the public API only (scopes, spawn_ex with handles, task waits); nothing here
 * touches the pool's internals.
 *
 * parallel_for: recursive halving. Each split begins a scope, spawns the right half into it,
 * runs the left half on the current thread and ends the scope (which helps inside a worker).
 * A refused spawn (admission control) runs that half here instead, so the loop never fails
 * for lack of room. The first non-zero from fn (or a cancellation) stops new subranges.
 *
 * batch_process / par_map: one task per item, spawned with a handle into a private scope, so
 * the pool's metrics count each item exactly once. With a window (max_concurrent > 0) the
 * caller spawns the first `window` items, and each item, after its fn returned, claims the
 * next index (an atomic counter) and spawns it: at most `window` fns run at once. A chain
 * that stops early (a refused spawn, an item that never ran, the recursion guard below)
 * leaves its slot empty until the round ends; the caller then waits for the scope and
 * starts a new round, until every index is claimed or the caller is cancelled. Without a
 * window the caller spawns every item itself. At the end each handle gives its item's exact
 * outcome (OK, EFAILED, ECANCELED, ETIMEDOUT) and is released.
 *
 * Recursion guard: under ARAYON_FULL_RUN_INLINE (or ARAYON_FULL_BLOCK inside a worker with
 * nothing else to run) a spawn may run the new task on the spawning thread, so item chains
 * could nest one stack frame per item. An item does not feed its successor once
 * BULK_MAX_DEPTH feeding spawns are nested on its thread; the caller's next round takes
 * over. (Counted around the spawn, not the item: suspendable items wait in the middle.)
 *
 * stream_process: a window of max_in_flight slots (one allocation for the whole call), each
 * holding one item pulled from next() and processed by one task spawned with a handle into a
 * private scope (bulk_spawn_task, shared with batch_process, so refusals are handled the same
 * way). The calling thread alone pulls, spawns and delivers: the in-flight slots form a ring
 * in pull order; ordered delivery waits for the oldest (arayon_task_wait helps inside a
 * worker), unordered delivery polls them all and between idle rounds waits on the oldest
 * with the join_handles back-off. A delivered slot is refilled from next().
 */
#define ARAYON_BUILDING 1
#include "arayon.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>

#define BULK_MAX_DEPTH 32
#define BULK_NOT_FED 1 /* status sentinel: index never claimed (not an ARAYON_* code) */

/* ---------------------------------------------------------------------------------------
 * parallel_for
 * ------------------------------------------------------------------------------------- */
typedef struct pf_ctx {
    arayon_pool_t *pool;
    arayon_range_fn fn;
    void *ctx;
    size_t grain;
    atomic_int rc; /* first failure: ARAYON_EFAILED, ARAYON_ECANCELED, ... */
} pf_ctx;

typedef struct pf_part {
    pf_ctx *p;
    size_t lo, hi;
} pf_part;

static void pf_fail(pf_ctx *p, int rc)
{
    int expected = ARAYON_OK;
    atomic_compare_exchange_strong_explicit(&p->rc, &expected, rc, memory_order_acq_rel,
                                            memory_order_relaxed);
}

static bool pf_stopped(pf_ctx *p)
{
    if (atomic_load_explicit(&p->rc, memory_order_acquire) != ARAYON_OK)
        return true;
    if (arayon_cancelled()) {
        pf_fail(p, ARAYON_ECANCELED);
        return true;
    }
    return false;
}

static void pf_range(pf_ctx *p, size_t lo, size_t hi, arayon_scope_t *s);

static int pf_task(void *arg)
{
    pf_part *part = arg;
    pf_range(part->p, part->lo, part->hi, NULL);
    return 0;
}

/* Runs [lo, hi). s, when not NULL, is a scope already begun by the caller for the first
 * split; it is ended here. */
static void pf_range(pf_ctx *p, size_t lo, size_t hi, arayon_scope_t *s)
{
    if (hi - lo > p->grain && !pf_stopped(p)) {
        if (s || arayon_scope_begin(p->pool, &s) == ARAYON_OK) {
            size_t mid = lo + (hi - lo) / 2;
            pf_part right = {p, mid, hi}; /* lives until arayon_scope_end returns */
            if (arayon_scope_spawn(s, pf_task, &right, NULL) != ARAYON_OK)
                pf_range(p, mid, hi, NULL);
            pf_range(p, lo, mid, NULL);
            int rc = arayon_scope_end(&s);
            if (rc != ARAYON_OK) /* a half that never ran (cancelled, timed out) */
                pf_fail(p, rc);
            return;
        }
        /* No scope (out of memory): run the whole range here. */
    }
    if (s) {
        int rc = arayon_scope_end(&s);
        if (rc != ARAYON_OK)
            pf_fail(p, rc);
    }
    if (pf_stopped(p))
        return;
    if (p->fn(p->ctx, lo, hi) != 0)
        pf_fail(p, ARAYON_EFAILED);
}

int arayon_parallel_for(arayon_pool_t *pool, size_t begin, size_t end, size_t grain,
                        arayon_range_fn fn, void *ctx)
{
    if (!pool || !fn || begin > end)
        return ARAYON_EINVAL;
    if (begin == end)
        return ARAYON_OK;
    size_t n = end - begin;
    if (grain == 0) {
        size_t workers = arayon_pool_num_threads(pool);
        grain = n / (8 * (workers ? workers : 1));
        if (grain < 1)
            grain = 1;
    }
    arayon_scope_t *s = NULL;
    int rc = arayon_scope_begin(pool, &s);
    if (rc != ARAYON_OK)
        return rc;
    pf_ctx p = {.pool = pool, .fn = fn, .ctx = ctx, .grain = grain};
    atomic_init(&p.rc, ARAYON_OK);
    pf_range(&p, begin, end, s);
    return atomic_load_explicit(&p.rc, memory_order_acquire);
}

/* ---------------------------------------------------------------------------------------
 * batch_process and par_map
 * ------------------------------------------------------------------------------------- */
typedef struct bulk bulk;

typedef struct bulk_slot {
    bulk *b;
    arayon_task_t *h; /* written by the spawner, read by the caller after the scope wait */
} bulk_slot;

struct bulk {
    arayon_pool_t *pool;
    arayon_scope_t *scope;
    size_t count;
    size_t window; /* 0 = no limit */
    /* batch_process */
    char *items;
    size_t item_size;
    arayon_item_fn item_fn;
    /* par_map */
    const char *in;
    char *out;
    size_t in_size, out_size;
    arayon_map_fn map_fn;
    void *ctx;
    int *st;          /* count statuses */
    bulk_slot *slots; /* count slots */
    unsigned flags;   /* spawn flags of the items (ARAYON_TASK_SUSPENDABLE: the _async forms) */
    atomic_size_t next;
};

static _Thread_local unsigned bulk_depth;

static int bulk_task(void *arg);

/* One item task with a handle, into the helper's private scope. On a refusal (EAGAIN,
 * ENOMEM, ESHUTDOWN) *h is NULL and the error is the item's status: it never ran. */
static int bulk_spawn_task(arayon_pool_t *pool, arayon_scope_t *scope, arayon_fn fn, void *arg,
                           unsigned flags, arayon_task_t **h)
{
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.scope = scope;
    o.flags = flags;
    *h = NULL;
    int rc = arayon_spawn_ex(pool, fn, arg, &o, h);
    if (rc != ARAYON_OK)
        *h = NULL;
    return rc;
}

static void bulk_spawn(bulk *b, size_t i)
{
    arayon_task_t *h = NULL;
    int rc = bulk_spawn_task(b->pool, b->scope, bulk_task, &b->slots[i], b->flags, &h);
    if (rc == ARAYON_OK) {
        b->slots[i].h = h;
    } else {
        b->slots[i].h = NULL;
        b->st[i] = rc;
    }
}

/* In a finished item: start the next one (windowed mode). */
static void bulk_feed(bulk *b)
{
    if (b->window == 0 || bulk_depth > BULK_MAX_DEPTH || arayon_cancelled())
        return;
    size_t j = atomic_fetch_add_explicit(&b->next, 1, memory_order_relaxed);
    if (j < b->count) {
        bulk_depth++; /* counted around the spawn only: an item may suspend (the _async
                         forms), and a thread's count must not include suspended items */
        bulk_spawn(b, j);
        bulk_depth--;
    }
}

static int bulk_task(void *arg)
{
    bulk_slot *slot = arg;
    bulk *b = slot->b;
    size_t i = (size_t)(slot - b->slots);
    int r;
    if (b->item_fn)
        r = b->item_fn(b->items + i * b->item_size, b->ctx);
    else
        r = b->map_fn(b->in + i * b->in_size, b->out + i * b->out_size, b->ctx);
    bulk_feed(b);
    return r;
}

static int bulk_run(bulk *b, int *statuses_or_null)
{
    if (b->count == 0)
        return ARAYON_OK;
    if (b->count > SIZE_MAX / sizeof(bulk_slot))
        return ARAYON_ENOMEM;
    b->slots = calloc(b->count, sizeof *b->slots);
    b->st = statuses_or_null ? statuses_or_null : malloc(b->count * sizeof *b->st);
    if (!b->slots || !b->st) {
        free(b->slots);
        if (!statuses_or_null)
            free(b->st);
        return ARAYON_ENOMEM;
    }
    int rc = arayon_scope_begin(b->pool, &b->scope);
    if (rc != ARAYON_OK) {
        free(b->slots);
        if (!statuses_or_null)
            free(b->st);
        return rc;
    }
    for (size_t i = 0; i < b->count; i++) {
        b->slots[i].b = b;
        b->st[i] = BULK_NOT_FED;
    }
    atomic_init(&b->next, 0);

    for (;;) {
        bool stop = false;
        for (size_t launched = 0; b->window == 0 || launched < b->window; launched++) {
            if (arayon_cancelled()) {
                stop = true;
                break;
            }
            size_t i = atomic_fetch_add_explicit(&b->next, 1, memory_order_relaxed);
            if (i >= b->count)
                break;
            bulk_spawn(b, i);
        }
        (void)arayon_scope_wait(b->scope); /* outcomes come from the handles */
        if (stop || arayon_cancelled() ||
            atomic_load_explicit(&b->next, memory_order_relaxed) >= b->count)
            break;
    }
    (void)arayon_scope_end(&b->scope);

    int first = ARAYON_OK;
    for (size_t i = 0; i < b->count; i++) {
        if (b->slots[i].h) {
            b->st[i] = arayon_task_wait(b->slots[i].h); /* finished: returns at once */
            arayon_task_release(b->slots[i].h);
        } else if (b->st[i] == BULK_NOT_FED) {
            b->st[i] = ARAYON_ECANCELED;
        }
        if (first == ARAYON_OK && b->st[i] != ARAYON_OK)
            first = b->st[i];
    }
    free(b->slots);
    if (!statuses_or_null)
        free(b->st);
    return first;
}

static int batch_process(arayon_pool_t *pool, void *items, size_t count, size_t item_size,
                         size_t max_concurrent, arayon_item_fn fn, void *ctx,
                         int *statuses_or_null, unsigned flags)
{
    if (!pool || !fn || item_size == 0 || (count > 0 && !items))
        return ARAYON_EINVAL;
    if (count > 0 && item_size > SIZE_MAX / count)
        return ARAYON_EINVAL;
    bulk b = {.pool = pool,
              .count = count,
              .window = max_concurrent,
              .items = items,
              .item_size = item_size,
              .item_fn = fn,
              .ctx = ctx,
              .flags = flags};
    return bulk_run(&b, statuses_or_null);
}

int arayon_batch_process(arayon_pool_t *pool, void *items, size_t count, size_t item_size,
                         size_t max_concurrent, arayon_item_fn fn, void *ctx,
                         int *statuses_or_null)
{
    return batch_process(pool, items, count, item_size, max_concurrent, fn, ctx,
                         statuses_or_null, 0);
}

int arayon_batch_process_async(arayon_pool_t *pool, void *items, size_t count, size_t item_size,
                               size_t max_concurrent, arayon_item_fn fn, void *ctx,
                               int *statuses_or_null)
{
    return batch_process(pool, items, count, item_size, max_concurrent, fn, ctx,
                         statuses_or_null, ARAYON_TASK_SUSPENDABLE);
}

int arayon_par_map(arayon_pool_t *pool, const void *in, size_t count, size_t in_size, void *out,
                   size_t out_size, arayon_map_fn fn, void *ctx, int *statuses_or_null)
{
    if (!pool || !fn || in_size == 0 || out_size == 0 || (count > 0 && (!in || !out)))
        return ARAYON_EINVAL;
    if (count > 0 && (in_size > SIZE_MAX / count || out_size > SIZE_MAX / count))
        return ARAYON_EINVAL;
    bulk b = {.pool = pool,
              .count = count,
              .window = 0,
              .in = in,
              .out = out,
              .in_size = in_size,
              .out_size = out_size,
              .map_fn = fn,
              .ctx = ctx};
    return bulk_run(&b, statuses_or_null);
}

/* ---------------------------------------------------------------------------------------
 * stream_process
 * ------------------------------------------------------------------------------------- */
typedef struct stream stream;

typedef struct stream_slot {
    stream *s;
    char *buf;        /* item_size bytes of the window */
    arayon_task_t *h; /* NULL: the spawn was refused, status holds why */
    int status;
} stream_slot;

struct stream {
    arayon_item_fn fn;
    void *ctx;
};

static int stream_task(void *arg)
{
    stream_slot *sl = arg;
    return sl->s->fn(sl->buf, sl->s->ctx);
}

/* Polls without waiting: true when the slot's item has an outcome. */
static bool stream_finished(stream_slot *sl)
{
    return !sl->h || arayon_task_poll(sl->h) == ARAYON_OK;
}

/* Gives the slot's outcome to on_done and frees its handle; returns the status. */
static int stream_deliver(stream_slot *sl, arayon_done_fn on_done, void *ctx)
{
    int st = sl->status;
    if (sl->h) {
        st = arayon_task_wait(sl->h); /* finished (or helps until it is) */
        arayon_task_release(sl->h);
        sl->h = NULL;
    }
    if (on_done)
        on_done(sl->buf, st, ctx);
    return st;
}

/* The back-off of an idle unordered round: as join_handles (below). */
#define JOIN_WAIT_MIN_NS 20000u
#define JOIN_WAIT_MAX_NS 1000000u

static int stream_process(arayon_pool_t *pool, arayon_next_fn next, size_t item_size,
                          size_t max_in_flight, arayon_item_fn fn, arayon_done_fn on_done,
                          bool ordered, void *ctx, unsigned flags)
{
    if (!pool || !next || !fn || item_size == 0 || max_in_flight == 0)
        return ARAYON_EINVAL;
    const size_t align = alignof(max_align_t);
    if (item_size > SIZE_MAX - align)
        return ARAYON_ENOMEM;
    size_t stride = (item_size + align - 1) / align * align;
    size_t w = max_in_flight;
    if (w > SIZE_MAX / stride || w > SIZE_MAX / (sizeof(stream_slot) + sizeof(size_t)))
        return ARAYON_ENOMEM;
    char *bufs = aligned_alloc(align, w * stride);
    stream_slot *slots = malloc(w * sizeof *slots);
    size_t *ring = malloc(w * sizeof *ring); /* in-flight slot indexes, pull order */
    size_t *freel = malloc(w * sizeof *freel); /* free slot indexes (a stack) */
    if (!bufs || !slots || !ring || !freel) {
        free(bufs);
        free(slots);
        free(ring);
        free(freel);
        return ARAYON_ENOMEM;
    }
    stream st = {.fn = fn, .ctx = ctx};
    for (size_t i = 0; i < w; i++) {
        slots[i] = (stream_slot){.s = &st, .buf = bufs + i * stride, .h = NULL, .status = 0};
        freel[i] = w - 1 - i;
    }
    size_t nfree = w, head = 0, nfly = 0;
    arayon_scope_t *scope = NULL;
    int first = arayon_scope_begin(pool, &scope);
    if (first != ARAYON_OK)
        goto out;

    bool more = true, cancelled = false;
    uint64_t wait_ns = JOIN_WAIT_MIN_NS;
#define STREAM_RECORD(rc)                                                                        do {                                                                                             int r_ = (rc);                                                                               if (first == ARAYON_OK && r_ != ARAYON_OK)                                                       first = r_;                                                                          } while (0)
    for (;;) {
        /* Fill the free slots from the source and start them. */
        while (more && nfree > 0) {
            if (arayon_cancelled()) {
                more = false;
                cancelled = true;
                break;
            }
            size_t i = freel[nfree - 1];
            stream_slot *sl = &slots[i];
            if (!next(ctx, sl->buf)) {
                more = false;
                break;
            }
            nfree--;
            sl->status = bulk_spawn_task(pool, scope, stream_task, sl, flags, &sl->h);
            ring[(head + nfly) % w] = i;
            nfly++;
        }
        if (nfly == 0)
            break;
        if (ordered) {
            /* The oldest first; then every one behind it that has finished too. */
            do {
                size_t i = ring[head];
                STREAM_RECORD(stream_deliver(&slots[i], on_done, ctx));
                freel[nfree++] = i;
                head = (head + 1) % w;
                nfly--;
            } while (nfly > 0 && stream_finished(&slots[ring[head]]));
            continue;
        }
        /* Unordered: deliver every finished item, keep the others in pull order. */
        size_t keep = 0;
        for (size_t k = 0; k < nfly; k++) {
            size_t i = ring[(head + k) % w];
            if (stream_finished(&slots[i])) {
                STREAM_RECORD(stream_deliver(&slots[i], on_done, ctx));
                freel[nfree++] = i;
            } else {
                ring[(head + keep) % w] = i;
                keep++;
            }
        }
        bool progress = keep < nfly;
        nfly = keep;
        if (progress) {
            wait_ns = JOIN_WAIT_MIN_NS;
            continue;
        }
        /* Nothing new: wait a little on the oldest (helping, inside a worker). */
        (void)arayon_task_wait_timeout(slots[ring[head]].h, wait_ns);
        if (wait_ns < JOIN_WAIT_MAX_NS)
            wait_ns *= 2;
    }
#undef STREAM_RECORD
    (void)arayon_scope_end(&scope); /* every item was delivered: nothing left to wait for */
    if (first == ARAYON_OK && cancelled)
        first = ARAYON_ECANCELED;
out:
    free(bufs);
    free(slots);
    free(ring);
    free(freel);
    return first;
}

/* ---------------------------------------------------------------------------------------
 * join_handles
 * ------------------------------------------------------------------------------------- */
int arayon_stream_process(arayon_pool_t *pool, arayon_next_fn next, size_t item_size,
                          size_t max_in_flight, arayon_item_fn fn, arayon_done_fn on_done,
                          bool ordered, void *ctx)
{
    return stream_process(pool, next, item_size, max_in_flight, fn, on_done, ordered, ctx, 0);
}

int arayon_stream_process_async(arayon_pool_t *pool, arayon_next_fn next, size_t item_size,
                                size_t max_in_flight, arayon_item_fn fn, arayon_done_fn on_done,
                                bool ordered, void *ctx)
{
    return stream_process(pool, next, item_size, max_in_flight, fn, on_done, ordered, ctx,
                          ARAYON_TASK_SUSPENDABLE);
}

/* Between polling rounds with nothing new the call waits on one unfinished handle: first
 * JOIN_WAIT_MIN_NS, doubling per idle round up to JOIN_WAIT_MAX_NS, back to the minimum after
 * a completion, so completions close together are told apart without spinning. */
int arayon_join_handles(arayon_task_t *const *handles, size_t count, int *statuses,
                        size_t *completion_order_or_null)
{
    if (count == 0)
        return ARAYON_OK;
    if (!handles || !statuses)
        return ARAYON_EINVAL;
    for (size_t i = 0; i < count; i++)
        if (!handles[i])
            return ARAYON_EINVAL;
    if (count > SIZE_MAX / sizeof(size_t))
        return ARAYON_ENOMEM;
    size_t *pend = malloc(count * sizeof *pend); /* unfinished indexes, ascending */
    if (!pend)
        return ARAYON_ENOMEM;
    for (size_t i = 0; i < count; i++)
        pend[i] = i;
    size_t npend = count, ndone = 0;
    int first = ARAYON_OK;

#define JOIN_RECORD(idx, status)                                                             \
    do {                                                                                     \
        statuses[(idx)] = (status);                                                          \
        if (completion_order_or_null)                                                        \
            completion_order_or_null[ndone] = (idx);                                         \
        ndone++;                                                                             \
        if (first == ARAYON_OK && statuses[(idx)] != ARAYON_OK)                              \
            first = statuses[(idx)];                                                         \
    } while (0)

    uint64_t wait_ns = JOIN_WAIT_MIN_NS;
    size_t woke = SIZE_MAX; /* finished during the last wait: after the others of the round */
    while (npend > 0) {
        size_t keep = 0;
        for (size_t k = 0; k < npend; k++) {
            size_t i = pend[k];
            if (i != woke && arayon_task_poll(handles[i]) == ARAYON_OK)
                JOIN_RECORD(i, arayon_task_wait(handles[i]));
            else
                pend[keep++] = i;
        }
        if (woke != SIZE_MAX) {
            JOIN_RECORD(woke, arayon_task_wait(handles[woke]));
            size_t k2 = 0;
            for (size_t k = 0; k < keep; k++)
                if (pend[k] != woke)
                    pend[k2++] = pend[k];
            keep = k2;
            woke = SIZE_MAX;
        }
        bool progress = keep < npend;
        npend = keep;
        if (npend == 0)
            break;
        if (progress) {
            wait_ns = JOIN_WAIT_MIN_NS;
            continue;
        }
        /* Nothing new: wait on the oldest unfinished handle (helping inside a worker). */
        size_t j = pend[0];
        int rc = arayon_task_wait_timeout(handles[j], wait_ns);
        if (rc == ARAYON_EBUSY) { /* the calling task itself: never finishes while we wait */
            JOIN_RECORD(j, ARAYON_EBUSY);
            npend--;
            for (size_t k = 0; k < npend; k++)
                pend[k] = pend[k + 1];
            continue;
        }
        if (arayon_task_poll(handles[j]) == ARAYON_OK)
            woke = j; /* probably the latest: the round lists the others first */
        else if (wait_ns < JOIN_WAIT_MAX_NS)
            wait_ns *= 2;
    }
#undef JOIN_RECORD
    free(pend);
    return first;
}
