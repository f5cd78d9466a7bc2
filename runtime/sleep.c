/*
 * sleep.c - how idle workers park and how new work wakes them. The protocol, and why it
 * cannot lose a wake-up, is described in sleep.md next to this file; read it first.
 *
 * Summary
 *   - Each worker has a park word: 0 awake, 1 parked. pool->sleepers counts parked workers.
 *   - The one who changes a park word from 1 to 0 (a pusher, a scope completer, shutdown, or
 *     the worker itself when it finds work or times out) decrements sleepers, exactly once.
 *   - Publisher (light side): publish work; compiler barrier; load sleepers; wake one if > 0.
 *   - Sleeper (heavy side): park = 1; sleepers++; membarrier; look for work once more;
 *     then futex-wait while park == 1.
 */
#include "internal.h"
#include "fiber.h" /* ary_reactor_interrupt */
#include "team.h"
#include "trace.h"

#include <limits.h>

void ary_sleep_init(ary_pool *p)
{
    atomic_init(&p->sleepers, 0);
    p->fence_on_push = !aryd_membarrier_init();
    atomic_init(&p->tw_spin_ns, ARY_TW_SPIN_NS);
    atomic_init(&p->tw_block_ns, ARY_TW_BLOCK_NS);
    p->usable_cpus = aryd_usable_cpus();
}

/* Takes a sleeper out of the parked state: 1 -> 0 (or 2 -> 0 for an external waiter).
 * Returns true if this call did it, in which case the sleeper has been woken. */
bool ary_park_claim(ary_pool *p, _Atomic uint32_t *park)
{
    uint32_t v = atomic_load_explicit(park, memory_order_relaxed);
    if (v == ARY_PARK_AWAKE)
        return false;
    v = atomic_exchange_explicit(park, ARY_PARK_AWAKE, memory_order_acq_rel);
    if (v == ARY_PARK_AWAKE)
        return false;
    if (v == ARY_PARK_WORKER || v == ARY_PARK_DRIVER)
        atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_relaxed);
    if (v == ARY_PARK_FIBER) /* a suspended task waiting for a scope */
        ary_reactor_scope_claimed(park);
    else if (v == ARY_PARK_DRIVER) /* a worker waiting in its epoll, not on the futex */
        ary_reactor_interrupt((ary_worker *)((char *)park - offsetof(ary_worker, park)));
    else
        aryd_futex_wake(park, 1);
    return true;
}

/* In a gang-only pool (team.h) a worker that is no gang member takes no jobs: waking it for
 * work would lose the wake-up. Guests (index >= nthreads) take jobs while they wait. */
static inline bool takes_jobs(const ary_pool *p, ary_worker *v)
{
    return !p->gang_only || v->index >= p->nthreads ||
           atomic_load_explicit(&v->gang, memory_order_relaxed) != 0;
}

/* Wakes one parked worker, starting at a rotating position so that the same worker is not
 * always chosen. */
static void wake_any(ary_pool *p)
{
    static _Atomic unsigned rot;
    unsigned n = p->nworkers;
    unsigned start = atomic_fetch_add_explicit(&rot, 1, memory_order_relaxed) % n;
    ary_worker *self = ary_tls_worker;
    for (unsigned i = 0; i < n; i++) {
        ary_worker *v = &p->workers[(start + i) % n];
        if (v == self || !takes_jobs(p, v))
            continue;
        if (ary_park_claim(p, &v->park))
            return;
    }
}

/* Wakes a parked worker of `node`, or, when none of them sleeps, any parked worker (it will
 * look at other nodes only after its own came up empty: worker.c, search). */
void ary_wake_node(ary_pool *p, unsigned node)
{
    if (p->pl.nnodes > 1) {
        ary_worker *self = ary_tls_worker;
        for (unsigned i = 0; i < p->nworkers; i++) {
            ary_worker *v = &p->workers[i];
            if (v->node == node && v != self && takes_jobs(p, v) && ary_park_claim(p, &v->park))
                return;
        }
    }
    wake_any(p);
}

/* Called when sleepers was seen non-zero after work was published: wakes one parked worker,
 * of the caller's node first when the caller is a worker. */
void ary_wake_one_slow(ary_pool *p)
{
    ary_worker *self = ary_tls_worker;
    if (self && self->pool == p && p->pl.nnodes > 1)
        ary_wake_node(p, self->node);
    else
        wake_any(p);
}

void ary_wake_all(ary_pool *p)
{
    for (unsigned i = 0; i < p->nworkers; i++)
        ary_park_claim(p, &p->workers[i].park);
}

/* Both announcements: park word set, counted in sleepers (the seq_cst increment). */
static inline void park_announce(ary_pool *p, ary_worker *w)
{
    ary_credit_flush(w); /* a sleeping worker keeps no admission credits (admit.c) */
    atomic_store_explicit(&w->park, ARY_PARK_WORKER, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->sleepers, 1, memory_order_seq_cst);
}

/* Step 1 of parking: announce. After this, any publisher that does not see us in sleepers
 * published before our barrier, so the re-check in the caller sees its work. */
void ary_park_begin(ary_pool *p, ary_worker *w)
{
    park_announce(p, w);
    if (!p->fence_on_push)
        aryd_membarrier();
    else
        atomic_thread_fence(memory_order_seq_cst);
}

/* The light announcement: a full fence is this side's barrier for the team waits' Dekker
 * pairs (a releaser stores the flag, fences, then looks at park); there is no membarrier,
 * so a push's compiler-only barrier may miss us (sleep.md). */
void ary_park_begin_light(ary_pool *p, ary_worker *w)
{
    park_announce(p, w);
    atomic_thread_fence(memory_order_seq_cst);
}

/* Undo ary_park_begin because the re-check found a reason to stay awake. Returns true if
 * we were still parked (nobody had claimed us). */
bool ary_park_cancel(ary_pool *p, ary_worker *w)
{
    ary_idle_end(&w->c, aryd_now_ns());
    uint32_t one = ARY_PARK_WORKER;
    if (atomic_compare_exchange_strong_explicit(&w->park, &one, ARY_PARK_AWAKE,
                                                memory_order_acq_rel, memory_order_relaxed)) {
        atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_relaxed);
        return true;
    }
    return false;
}

/* A driving worker (reactor.c) stops waiting: as ary_park_cancel for ARY_PARK_DRIVER. */
bool ary_park_cancel_driver(ary_pool *p, ary_worker *w)
{
    ary_idle_end(&w->c, aryd_now_ns());
    uint32_t d = ARY_PARK_DRIVER;
    if (atomic_compare_exchange_strong_explicit(&w->park, &d, ARY_PARK_AWAKE,
                                                memory_order_acq_rel, memory_order_relaxed)) {
        atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_relaxed);
        return true;
    }
    ARY_STAT(&w->c.wakeups, 1); /* claimed: woken through the eventfd */
    return false;
}

/* Step 2: sleep until claimed or until the deadline (0 = none). Returns false on timeout.
 * On return the worker is awake (park == 0) and sleepers no longer counts it. */
bool ary_park_sleep(ary_pool *p, ary_worker *w, uint64_t deadline_ns)
{
    if (ARY_UNLIKELY(atomic_load_explicit(&p->reactor, memory_order_relaxed) != NULL)) {
        /* Suspended tasks wait for timers or fds: this sleep may drive them (reactor.c). */
        int r = ary_reactor_drive(w, deadline_ns);
        if (r >= 0)
            return r != 0;
    }
    ARY_STAT(&w->c.parks, 1);
    ARY_TRACE(p, ARY_EV_PARK, 0, 0, 0, 0);
    ary_idle_begin(&w->c, aryd_now_ns());
    while (atomic_load_explicit(&w->park, memory_order_acquire) == ARY_PARK_WORKER) {
        if (deadline_ns && aryd_now_ns() >= deadline_ns) {
            if (ary_park_cancel(p, w)) {
                ARY_TRACE(p, ARY_EV_WAKE, 1, 0, 0, 0);
                return false; /* (ary_park_cancel ended the idle period) */
            }
            break; /* claimed just now */
        }
        aryd_futex_wait(&w->park, ARY_PARK_WORKER, deadline_ns);
    }
    ARY_TRACE(p, ARY_EV_WAKE, 0, 0, 0, 0);
    ARY_STAT(&w->c.wakeups, 1);
    ary_idle_end(&w->c, aryd_now_ns());
    return true;
}

/* ---- Team waits (team.h; sleep.md, "Team waits") ----------------------------------------- */

void ary_team_wait_set(ary_pool *p, uint64_t spin_ns, uint64_t block_ns)
{
    atomic_store_explicit(&p->tw_spin_ns, spin_ns, memory_order_relaxed);
    atomic_store_explicit(&p->tw_block_ns, block_ns, memory_order_relaxed);
}

void ary_team_wait_get(const ary_pool *p, uint64_t *spin_ns, uint64_t *block_ns)
{
    *spin_ns = atomic_load_explicit(&p->tw_spin_ns, memory_order_relaxed);
    *block_ns = atomic_load_explicit(&p->tw_block_ns, memory_order_relaxed);
}

/* Threads of this pool that may want a CPU now: every started worker and occupied guest,
 * less those asleep (parked in the pool, or asleep in a team wait). A racy estimate, good
 * for a policy decision. */
bool ary_oversubscribed(ary_pool *p)
{
    uint32_t guests = atomic_load_explicit(&p->guests_busy, memory_order_relaxed);
    int64_t awake = (int64_t)atomic_load_explicit(&p->started, memory_order_relaxed) +
                    (guests ? guests : 1) /* else a thread outside the pool runs with it */ -
                    atomic_load_explicit(&p->sleepers, memory_order_relaxed) -
                    atomic_load_explicit(&p->tw_asleep, memory_order_relaxed);
    return awake > (int64_t)p->usable_cpus;
}

/* Whether a thread the waiter waits for last ran on the waiter's CPU (ARY_BACKOFF_FOR). */
static bool colocated(ary_backoff *b)
{
    ary_note_cpu(b->self);
    uint32_t mine = atomic_load_explicit(&b->self->cpu, memory_order_relaxed);
    if (!mine)
        return false;
    for (unsigned i = 0; i < b->npeers; i++) {
        ary_worker *v = b->peers[i];
        if (v && v != b->self && atomic_load_explicit(&v->cpu, memory_order_relaxed) == mine)
            return true;
    }
    return false;
}

/* The waiter shares its CPU with a thread it waits for while other CPUs are free (it is not
 * oversubscribed): the scheduler put both on one CPU and, as they take turns, sees no
 * imbalance to correct (measured: a whole run at 2-4 us per region instead of 0.6).
 * Unless the pool binds its workers (then the placement is the user's), the waiter moves
 * itself to another CPU of its mask and goes on spinning there; at most once per
 * ARY_TW_MOVE_NS per worker. Returns whether it moved. */
static bool separate(ary_pool *p, ary_backoff *b)
{
    if (p->pl.bind)
        return false;
    uint64_t now = aryd_now_ns();
    ary_worker *w = b->self;
    if (w->moved_ns && now - w->moved_ns < ARY_TW_MOVE_NS)
        return false;
    w->moved_ns = now;
    uint32_t mine = atomic_load_explicit(&w->cpu, memory_order_relaxed);
    if (!mine || !aryd_move_off_cpu((int)mine - 1))
        return false;
    ary_note_cpu(w);
    return true;
}

/* The clock is read every ARY_BACKOFF_POLLS polls (ary_backoff_step). Phase 0 pause-spins
 * until spin_ns has passed since the first look (at once when the process is
 * oversubscribed: spinning would take the CPU from a thread this one waits for); phase 1
 * yields until block_ns has passed; then the caller sleeps. */
bool ary_backoff_slow(ary_pool *p, ary_backoff *b)
{
    uint64_t now = aryd_now_ns();
    if (!b->start) {
        b->start = b->last_yield = now;
        b->over = ary_oversubscribed(p);
        if (!b->over && b->self && colocated(b) && !separate(p, b))
            b->over = b->coloc = true;
    }
    uint64_t waited = now - b->start;
    if (b->phase == 0) {
        if (waited < atomic_load_explicit(&p->tw_spin_ns, memory_order_relaxed) && !b->over) {
            /* A yield now and then: the thread this one waits for may have been put on
             * this CPU (the other CPUs busy with other processes); without it, it would
             * wait for the whole spin phase. On an idle CPU a yield returns at once. */
            if (now - b->last_yield >= ARY_TW_YIELD_EVERY_NS) {
                b->last_yield = now;
                aryd_yield();
            } else {
                aryd_cpu_relax();
            }
            return true;
        }
        b->phase = 1;
    }
    uint64_t block = atomic_load_explicit(&p->tw_block_ns, memory_order_relaxed);
    if (block != UINT64_MAX && waited >= block)
        return false;
    /* Sharing a CPU with a thread it waits for while other CPUs are free: sleep at once.
     * That lets the thread run, and a thread woken from a sleep is placed on an idle CPU; a
     * yielding one never moves, and both would go on taking turns on one CPU. */
    if (b->coloc && block != UINT64_MAX)
        return false;
    aryd_yield();
    return true;
}

bool ary_flag_sleep(ary_pool *p, _Atomic uint32_t *flag, uint32_t seen)
{
    uint32_t v = atomic_load_explicit(flag, memory_order_acquire);
    if (v == seen) /* on failure v is the new value */
        atomic_compare_exchange_strong_explicit(flag, &v, seen | ARY_FLAG_SLEEPING,
                                                memory_order_acq_rel, memory_order_acquire);
    if ((v & ~ARY_FLAG_SLEEPING) != seen)
        return true;
    atomic_fetch_add_explicit(&p->tw_asleep, 1, memory_order_relaxed);
    aryd_futex_wait(flag, seen | ARY_FLAG_SLEEPING, 0);
    atomic_fetch_sub_explicit(&p->tw_asleep, 1, memory_order_relaxed);
    v = atomic_load_explicit(flag, memory_order_acquire);
    return (v & ~ARY_FLAG_SLEEPING) != seen;
}

void ary_flag_wake(_Atomic uint32_t *flag) { aryd_futex_wake(flag, INT_MAX); }
