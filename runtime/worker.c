/*
 * worker.c - the worker loop: where a worker looks for work, how it runs it, how it helps
 * while waiting, and when it parks or exits.
 *
 * Search order (ary_find_work): own deque (bottom, LIFO), the injection queue (spawns from
 * outside the pool, taken in batches), then the other workers' deques (top, FIFO), starting
 * at a random victim. The victim order is produced by steal_work() alone, so the topology
 * issue can make it hierarchical (same cache, same NUMA node first) in one place.
 */

#include "internal.h"
#include "fiber.h"
#include "injector.h"
#include "team.h"
#include "trace.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

ARY_TLS ary_worker *ary_tls_worker;
ARY_TLS ary_task *ary_tls_task;
ARY_TLS uintptr_t ary_tls_stack_low;

#define STACK_LOW_MIN (64u * 1024u)

void ary_stack_guard_init(void)
{
    if (ary_tls_stack_low)
        return;
    uintptr_t lo;
    size_t size;
    if (!aryd_stack_bounds(&lo, &size))
        return;
    size_t reserve = size / 4 > STACK_LOW_MIN ? size / 4 : STACK_LOW_MIN;
    if (reserve < size)
        ary_tls_stack_low = lo + reserve;
}

static inline uint64_t rng_next(ary_worker *w)
{
    uint64_t x = w->rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    w->rng = x;
    return x;
}

#define INJECT_BATCH 32
#define REMOTE_AFTER 3           /* local searches that must fail before a worker looks remote */
#define REMOTE_INTERVAL_NS 50000 /* then at most one remote look per interval */

/* Takes work from node `node`'s injection queue, if no other worker is consuming it. From the
 * worker's own node it takes a batch: returns the first task and pushes the rest onto this
 * worker's deque (never growing it), where other workers can steal them. From another node
 * it takes one task only, so that work placed on a node mostly runs there. External pushes
 * wake a sleeper only on the queue's empty -> non-empty transition (sleep.md), so
 * ary_find_work passes the wake-up on. */
static ary_job *take_injected(ary_worker *w, unsigned node)
{
    ary_pool *p = w->pool;
    ary_injector *q = &p->inj[node];
    size_t avail = atomic_load_explicit(&q->count, memory_order_relaxed);
    if (!avail || !ary_inject_try_consume(q))
        return NULL;
    size_t take = 1;
    if (node == w->node) {
        size_t room = ary_deque_room_owner(&w->deque);
        take = avail / p->pl.node_nworkers[node] + 1;
        if (take > INJECT_BATCH)
            take = INJECT_BATCH;
        if (take > room + 1)
            take = room + 1;
    }
    ary_task *first = ary_inject_pop(q);
    size_t n = first ? 1 : 0;
    while (first && n < take) {
        ary_task *t = ary_inject_pop(q);
        if (!t)
            break;
        ary_deque_push_owner(&w->deque, &t->job); /* cannot fail: room was checked */
        n++;
    }
    ary_inject_end_consume(q, n);
    if (!first)
        return NULL;
    ARY_STAT(&w->c.injected_taken, n);
    if (node != w->node)
        ARY_STAT(&w->taken_from[node], n);
    ARY_TRACE(p, ARY_EV_TAKE, 0, 0, node, n);
    return &first->job;
}

/* Steals from the victims row[from .. to) of this worker's steal order, starting at a random
 * one; a second pass only if a steal lost a race (ARY_STEAL_RETRY: work certainly existed). */
static ary_job *steal_range(ary_worker *w, const unsigned *row, unsigned from, unsigned to)
{
    ary_pool *p = w->pool;
    unsigned n = to - from;
    if (!n)
        return NULL;
    unsigned start = (unsigned)(rng_next(w) % n);
    uint64_t attempts = 0;
    void *found = NULL;
    for (int round = 0; round < 4 && !found; round++) {
        bool retry = false;
        for (unsigned i = 0; i < n; i++) {
            unsigned k = start + i;
            if (k >= n)
                k -= n;
            ary_worker *v = &p->workers[row[from + k]];
            attempts++;
            void *x = ary_deque_steal_as(&v->deque, w->peers);
            if (x == ARY_STEAL_RETRY) {
                retry = true;
                continue;
            }
            if (x) {
                ARY_STAT(&w->c.steals, 1);
                if (v->node == w->node) {
                    ARY_STAT(&w->c.local_steals, 1);
                } else {
                    ARY_STAT(&w->c.remote_steals, 1);
                    ARY_STAT(&w->taken_from[v->node], 1);
                }
                ARY_TRACE(p, ARY_EV_STEAL, v->node != w->node, x, 0, v->index);
                found = x;
                break;
            }
        }
        if (!retry)
            break;
    }
    ARY_STAT(&w->c.steal_attempts, attempts);
    return found;
}

/* Search order after the worker's own deque (placement: topo.h): its node's injection queue,
 * its same-node victims (same cache group first in the steal order), and, only after
 * REMOTE_AFTER local searches in a row came up empty and at most once per
 * REMOTE_INTERVAL_NS, the other nodes' queues (one task at a time) and victims, nearest
 * first. So work placed on a node mostly runs there while that node's workers keep up, and
 * an idle remote worker still helps a node that falls behind. On a one-node machine every
 * victim is local. */
/* A gang member steals from its gang's members only (team.h), at a random start. */
static ary_job *search_peers(ary_worker *w)
{
    ary_job *j = take_injected(w, w->node);
    if (j)
        return j;
    unsigned n = w->npeers;
    unsigned start = (unsigned)(rng_next(w) % n);
    uint64_t attempts = 0;
    for (int round = 0; round < 4; round++) {
        bool retry = false;
        for (unsigned i = 0; i < n; i++) {
            unsigned k = start + i;
            if (k >= n)
                k -= n;
            ary_worker *v = w->peers[k];
            if (v == w || !v)
                continue;
            attempts++;
            void *x = ary_deque_steal_as(&v->deque, w->peers);
            if (x == ARY_STEAL_RETRY) {
                retry = true;
                continue;
            }
            if (x) {
                ARY_STAT(&w->c.steals, 1);
                ARY_STAT(v->node == w->node ? &w->c.local_steals : &w->c.remote_steals, 1);
                ARY_STAT(&w->c.steal_attempts, attempts);
                ARY_TRACE(w->pool, ARY_EV_STEAL, v->node != w->node, x, 0, v->index);
                return x;
            }
        }
        if (!retry)
            break;
    }
    ARY_STAT(&w->c.steal_attempts, attempts);
    return NULL;
}

static ary_job *search(ary_worker *w)
{
    ary_pool *p = w->pool;
    if (ARY_UNLIKELY(w->npeers))
        return search_peers(w);
    const unsigned *row = p->pl.steal_order + (size_t)w->index * (p->nworkers - 1);
    unsigned local = p->pl.local_victims[w->index];
    ary_job *j = take_injected(w, w->node);
    if (!j)
        j = steal_range(w, row, 0, local);
    if (j || p->pl.nnodes == 1) {
        w->local_fail = 0;
        return j;
    }
    if (++w->local_fail < REMOTE_AFTER)
        return NULL;
    uint64_t now = aryd_now_ns();
    if (now < w->next_remote_ns)
        return NULL;
    w->next_remote_ns = now + REMOTE_INTERVAL_NS;
    for (unsigned k = 1; k < p->pl.nnodes && !j; k++)
        j = take_injected(w, (w->node + k) % p->pl.nnodes);
    if (!j)
        j = steal_range(w, row, local, p->nworkers - 1);
    return j;
}

/* Resume entries of this worker's suspended tasks (fiber.h), oldest first. */
static ARY_NOINLINE ary_job *take_inbox(ary_worker *w)
{
    ary_injector *q = &w->inbox;
    if (!ary_inject_try_consume(q))
        return NULL;
    ary_task *t = ary_inject_pop(q);
    ary_inject_end_consume(q, t ? 1 : 0);
    return t ? &t->job : NULL;
}

/* Work found elsewhere than in our own deque. If workers sleep and more work is visible, pass
 * the wake-up on: one wake-up per found job keeps as many workers awake as there are jobs to
 * take (a push wakes one sleeper; the worker that takes its job wakes the next one if work
 * remains, for instance the rest of an injected batch). Resume entries of suspended tasks
 * alternate with the other sources (injection queue, steals) so that neither starves the
 * other: a task that yields in a loop lets injected and stolen work run. */
ary_job *ary_find_work(ary_worker *w)
{
    bool inbox_later = false;
    if (ARY_UNLIKELY(atomic_load_explicit(&w->rx, memory_order_relaxed) != NULL))
        ary_reactor_poll(w); /* this worker's suspended tasks whose deadline passed */
    if (ARY_UNLIKELY(atomic_load_explicit(&w->inbox.count, memory_order_relaxed))) {
        w->inbox_turn = !w->inbox_turn;
        if (w->inbox_turn) {
            ary_job *r = take_inbox(w);
            if (r)
                return r;
        } else {
            inbox_later = true;
        }
    }
    ary_job *j = search(w);
    if (ARY_UNLIKELY(inbox_later) && !j)
        return take_inbox(w);
    if (j && ARY_UNLIKELY(atomic_load_explicit(&w->pool->sleepers, memory_order_relaxed) != 0) &&
        ary_work_visible(w->pool))
        ary_wake_one_slow(w->pool);
    return j;
}

bool ary_work_visible(ary_pool *p)
{
    ary_worker *self = ary_tls_worker; /* a parking worker: its own resume entries too */
    if (self && self->pool == p) {
        if (atomic_load_explicit(&self->inbox.count, memory_order_relaxed))
            return true;
    } else { /* a thread outside (a shutdown after its deadline): every worker's inbox */
        for (unsigned i = 0; i < p->nworkers; i++)
            if (atomic_load_explicit(&p->workers[i].inbox.count, memory_order_relaxed))
                return true;
    }
    for (unsigned k = 0; k < p->pl.nnodes; k++)
        if (atomic_load_explicit(&p->inj[k].count, memory_order_relaxed))
            return true;
    for (unsigned i = 0; i < p->nworkers; i++)
        if (!ary_deque_looks_empty(&p->workers[i].deque))
            return true;
    return false;
}

/* True when every task ever spawned has finished. Reads every finished counter first, then
 * the rejected count, then every spawned counter: a finished task's spawn was counted before
 * it was published, so it is visible here once its finish is; an unfinished task is counted
 * in spawned and not in finished; a rejected outside spawn is counted in spawned before it
 * is counted rejected, so reading rejected first can only make the answer "not yet" (and the
 * rejecting thread then wakes a worker to look again). Only meaningful once the state is
 * SHUTTING (spawn_external's Dekker pairing with the state store). */
bool ary_pool_quiescent(ary_pool *p)
{
    uint64_t fin = ary_offw_finished(p), sp = 0; /* blocking tasks and timers (blocking.c) */
    for (unsigned i = 0; i < p->nworkers; i++)
        fin += atomic_load_explicit(&p->workers[i].c.finished, memory_order_acquire);
    fin += atomic_load_explicit(&p->ext_rejected, memory_order_seq_cst);
    for (unsigned i = 0; i < p->nworkers; i++)
        sp += atomic_load_explicit(&p->workers[i].c.spawned, memory_order_acquire);
    sp += atomic_load_explicit(&p->ext_spawned, memory_order_seq_cst);
    return fin == sp;
}

static inline ary_job *next_job(ary_worker *w)
{
    ary_job *j = ary_deque_pop_owner(&w->deque);
    return j ? j : ary_find_work(w);
}

/* A helping wait's next job: while the stack runs low, only from the own deque. */
static inline ary_job *next_help_job(ary_worker *w)
{
    ary_job *j = ary_deque_pop_owner(&w->deque);
    return j || ary_stack_low() ? j : ary_find_work(w);
}

/* Looks for work for up to spin_ns, with exponential back-off on the pause instruction. */
/* The worker stays idle (for the metrics) from here until it finds a job; a caller that
 * gets NULL parks or exits and ends the idle period itself (ary_park_sleep, worker exit). */
static ary_job *spin_for_work(ary_worker *w, ary_done_fn done, void *ctx)
{
    ary_pool *p = w->pool;
    uint64_t now = aryd_now_ns(), until = now + p->spin_ns;
    unsigned pause = 1;
    ary_idle_begin(&w->c, now);
    for (;;) {
        for (unsigned i = 0; i < pause; i++)
            aryd_cpu_relax();
        if (pause < 64)
            pause <<= 1;
        ary_job *j = next_job(w);
        if (j) {
            ary_idle_end(&w->c, aryd_now_ns());
            return j;
        }
        now = aryd_now_ns();
        if ((done && done(ctx)) || now >= until) {
            if (done)
                ary_idle_end(&w->c, now);
            return NULL;
        }
        if (!done && (atomic_load_explicit(&p->state, memory_order_relaxed) != ARY_POOL_RUNNING ||
                      atomic_load_explicit(&w->gang, memory_order_relaxed) == 2))
            return NULL;
    }
}

static inline bool gang_posted(ary_worker *w)
{
    return atomic_load_explicit(&w->gang, memory_order_acquire) == 2;
}

/* A worker of a gang-only pool that is not a gang member: waits for a post without taking
 * any job (so that a gang's jobs run on its members only). While the pool shuts down it
 * behaves like any worker, so that the pool drains. */
static bool gang_only_idle(ary_worker *w)
{
    ary_pool *p = w->pool;
    uint64_t now = aryd_now_ns(), until = now + p->spin_ns;
    unsigned pause = 1;
    ary_idle_begin(&w->c, now);
    while (!gang_posted(w) &&
           atomic_load_explicit(&p->state, memory_order_relaxed) == ARY_POOL_RUNNING) {
        for (unsigned i = 0; i < pause; i++)
            aryd_cpu_relax();
        if (pause < 64)
            pause <<= 1;
        if (aryd_now_ns() >= until) {
            ary_park_begin(p, w);
            if (gang_posted(w) ||
                atomic_load_explicit(&p->state, memory_order_seq_cst) != ARY_POOL_RUNNING) {
                ary_park_cancel(p, w);
                break;
            }
            ary_park_sleep(p, w, 0);
            break;
        }
    }
    ary_idle_end(&w->c, aryd_now_ns());
    return true;
}

/* Runs a posted gang member function, then frees the worker for the next gang. The done
 * latch is read before: once the worker is free its fields may be rewritten, and the latch
 * may be gone after the count reaches zero (ary_latch_done is the last access). */
void ary_gang_run_posted(ary_worker *w)
{
    void (*fn)(void *, unsigned) = w->gang_fn;
    void *ctx = w->gang_ctx;
    unsigned member = w->gang_member;
    ary_latch *done = w->gang_done;
    ARY_TRACE(w->pool, ARY_EV_START, ARY_EVF_GANG, ctx, (uintptr_t)fn, member);
    fn(ctx, member);
    ARY_TRACE(w->pool, ARY_EV_END, ARY_EVF_GANG, ctx, (uintptr_t)fn, member);
    atomic_store_explicit(&w->gang, 0, memory_order_release);
    ary_latch_done(done);
}

/* A yield runs one other task on top of the yielding one; those may yield in turn, so
 * yields nest at most ARY_YIELD_DEPTH deep per thread (thousands of yielding tasks would
 * otherwise stack up on one thread's stack); deeper, a yield runs nothing. */
#define ARY_YIELD_DEPTH 8
static ARY_TLS unsigned yield_depth;

bool ary_yield_run(ary_worker *w)
{
    if (ary_tls_fiber) { /* a suspendable context (also OpenMP's taskyield there): suspends */
        ary_fiber_yield(ary_tls_fiber);
        return true;
    }
    if (yield_depth >= ARY_YIELD_DEPTH)
        return false;
    yield_depth++;
    bool ran = ary_run_one(w);
    yield_depth--;
    return ran;
}

bool ary_run_one(ary_worker *w)
{
    ary_job *j = ary_deque_pop_owner(&w->deque);
    if (!j)
        j = ary_find_work(w);
    if (!j)
        return false;
    j->exec(j, w);
    return true;
}

/* Nothing to do. Returns false when the worker must exit (the pool is drained). */
static bool worker_idle(ary_worker *w)
{
    ary_pool *p = w->pool;
    uint32_t st = atomic_load_explicit(&p->state, memory_order_acquire);
    if (st == ARY_POOL_RUNNING) {
        ary_job *j = spin_for_work(w, NULL, NULL);
        if (j) {
            j->exec(j, w);
            return true;
        }
        st = atomic_load_explicit(&p->state, memory_order_acquire);
    }
    if (st == ARY_POOL_DRAINED) /* (the abort's sweep posts resume entries before DRAINED) */
        return atomic_load_explicit(&w->inbox.count, memory_order_acquire) != 0;
    if (st == ARY_POOL_SHUTTING && ary_pool_quiescent(p)) {
        atomic_store_explicit(&p->state, ARY_POOL_DRAINED, memory_order_seq_cst);
        aryd_futex_wake(&p->state, INT_MAX); /* a shutdown with a deadline waits on it */
        ary_wake_all(p);
        return false;
    }
    ary_park_begin(p, w);
    /* A shutting pool: a task that finishes off the workers (blocking.c) after the test
     * above wakes everyone after its count; test again now that we are seen as parked. */
    if (ary_work_visible(p) || atomic_load_explicit(&p->state, memory_order_seq_cst) != st ||
        gang_posted(w) || (st == ARY_POOL_SHUTTING && ary_pool_quiescent(p))) {
        ary_park_cancel(p, w);
        return true;
    }
    ary_park_sleep(p, w, 0);
    return true;
}

void *ary_worker_main(void *arg)
{
    ary_worker *w = arg;
    ary_pool *p = w->pool;
    char name[16];
    snprintf(name, sizeof name, "%.8s-%u", p->cfg.name ? p->cfg.name : "arayon", w->index);
    pthread_setname_np(pthread_self(), name);
    if (p->pl.bind) {
        char err[200] = "";
        int rc = ary_topo_bind_self(p->topo, &p->pl, w->index, err, sizeof err);
        p->bind_status[w->index] = rc;
        if (rc != ARAYON_OK) /* never silently: also in arayon_pool_print_topology */
            fprintf(stderr, "arayon: worker %u: binding to PU %d failed: %s\n", w->index,
                    p->pl.worker_pu[w->index], err[0] ? err : arayon_strerror(rc));
    }
    ary_tls_worker = w;
    ary_stack_guard_init();
    /* Announce that this worker is placed (arayon_pool_create waits for all of them). */
    atomic_fetch_add_explicit(&p->started, 1, memory_order_release);
    aryd_futex_wake(&p->started, 1);
    for (;;) {
        if (ARY_UNLIKELY(gang_posted(w))) {
            ary_gang_run_posted(w);
            continue;
        }
        if (ARY_UNLIKELY(p->gang_only) &&
            atomic_load_explicit(&p->state, memory_order_relaxed) == ARY_POOL_RUNNING) {
            gang_only_idle(w);
            continue;
        }
        ary_job *j = next_job(w);
        if (j) {
            j->exec(j, w);
            continue;
        }
        if (!worker_idle(w))
            break;
    }
    ary_credit_flush(w);
    ary_idle_end(&w->c, aryd_now_ns());
    ary_fiber_worker_exit(w);
    ary_tls_worker = NULL;
    ary_pool_unref(p); /* the pool may be freed here (a worker left behind by a timed-out
                          shutdown, finishing after the pool was destroyed) */
    return NULL;
}

bool ary_help_until(ary_worker *w, ary_done_fn done, void *ctx, uint64_t deadline_ns,
                    ary_park_fn park)
{
    while (!done(ctx)) {
        ary_job *j = next_help_job(w);
        if (!j && !ary_stack_low())
            j = spin_for_work(w, done, ctx);
        if (j) {
            j->exec(j, w);
            continue;
        }
        if (done(ctx))
            return true;
        if (deadline_ns && aryd_now_ns() >= deadline_ns)
            return false;
        park(w, ctx, deadline_ns);
    }
    return true;
}
