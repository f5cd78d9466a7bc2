/*
 * team.c - guests, gangs and helping waits (team.h). The worker side of gangs (running a
 * posted member function, gang-only idling) is in worker.c; the wake rules in sleep.c.
 */
#include "internal.h"
#include "team.h"

ary_worker *ary_guest_enter(ary_pool *p)
{
    if (ary_tls_worker)
        return NULL; /* already a worker or a guest (of this or another pool) */
    if (atomic_load_explicit(&p->state, memory_order_acquire) != ARY_POOL_RUNNING)
        return NULL;
    for (unsigned i = p->nthreads; i < p->nworkers; i++) {
        ary_worker *w = &p->workers[i];
        uint32_t free_ = 0;
        if (atomic_load_explicit(&w->guest_busy, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong_explicit(&w->guest_busy, &free_, 1,
                                                    memory_order_acquire, memory_order_relaxed)) {
            ary_tls_worker = w;
            ary_stack_guard_init(); /* once per thread */
            atomic_fetch_add_explicit(&p->guests_busy, 1, memory_order_relaxed);
            return w;
        }
    }
    return NULL;
}

/* The guest runs what is left in its deque (nobody else may be relied on to: in a gang-only
 * pool only gang members steal), returns its admission credits, and frees the slot. */
void ary_guest_leave(ary_worker *w)
{
    ary_job *j;
    while ((j = ary_deque_pop_owner(&w->deque)) != NULL)
        j->exec(j, w);
    ary_credit_flush(w);
    ary_idle_end(&w->c, aryd_now_ns());
    ary_tls_worker = NULL;
    ary_set_peers(w, NULL, 0); /* whatever the guest restricted its steals to */
    atomic_fetch_sub_explicit(&w->pool->guests_busy, 1, memory_order_relaxed);
    atomic_store_explicit(&w->guest_busy, 0, memory_order_release);
}

/* Reserves up to `want` thread records (never guests), nearest to self first (its steal
 * order: same node, then by distance): first those with a running thread, then spare
 * records, whose thread starts now. */
unsigned ary_gang_reserve(ary_worker *self, unsigned want, ary_worker **out)
{
    ary_pool *p = self->pool;
    const unsigned *row = p->pl.steal_order + (size_t)self->index * (p->nworkers - 1);
    unsigned got = 0;
    for (int pass = 0; pass < 2 && got < want; pass++) {
        for (unsigned k = 0; k + 1 < p->nworkers && got < want; k++) {
            ary_worker *v = &p->workers[row[k]];
            if (v->index >= p->nthreads ||
                (atomic_load_explicit(&v->has_thread, memory_order_acquire) != 0) != (pass == 0))
                continue;
            uint32_t free_ = 0;
            if (atomic_load_explicit(&v->gang, memory_order_relaxed) != 0 ||
                !atomic_compare_exchange_strong_explicit(&v->gang, &free_, 1, memory_order_acquire,
                                                         memory_order_relaxed))
                continue;
            if (pass == 1 && ary_worker_start(p, v) != ARAYON_OK) {
                atomic_store_explicit(&v->gang, 0, memory_order_release);
                return got; /* no more threads can be made */
            }
            out[got++] = v;
        }
    }
    return got;
}

/* Posts the member function to a reserved worker and wakes it if it sleeps. The seq_cst
 * store pairs with the worker's re-check after ary_park_begin (worker.c): either it sees
 * the post, or this thread sees it parked and claims it. */
void ary_gang_post(ary_worker *w, ary_gang_fn fn, void *ctx, unsigned member, ary_latch *done)
{
    w->gang_fn = fn;
    w->gang_ctx = ctx;
    w->gang_member = member;
    w->gang_done = done;
    atomic_store_explicit(&w->gang, 2, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    ary_park_claim(w->pool, &w->park);
}

typedef struct wait_ctx {
    ary_done_fn done;
    void *ctx;
} wait_ctx;

static bool wait_done(void *c)
{
    wait_ctx *x = c;
    return x->done(x->ctx);
}

static void wait_park(ary_worker *w, void *c, uint64_t deadline_ns)
{
    ary_pool *p = w->pool;
    (void)deadline_ns;
    ary_park_begin(p, w);
    if (wait_done(c) || ary_work_visible(p)) {
        ary_park_cancel(p, w);
        return;
    }
    ary_park_sleep(p, w, 0);
}

void ary_wait_until(ary_worker *w, ary_done_fn done, void *ctx)
{
    wait_ctx x = {done, ctx};
    ary_help_until(w, wait_done, &x, 0, wait_park);
}

void ary_wake_worker(ary_worker *w)
{
    atomic_thread_fence(memory_order_seq_cst);
    ary_park_claim(w->pool, &w->park);
}
