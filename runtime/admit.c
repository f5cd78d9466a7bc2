/*
 * admit.c - admission control (max_pending) by credits.
 *
 * A pool owns credit_total credits: max_pending, or a huge number when unbounded (the same
 * code runs either way, so there is no branch on "bounded?" in the hot path). A spawn
 * consumes one credit before the task record is allocated; the task returns it when it
 * finishes. So at every moment
 *
 *     pending + credits cached by workers + free credits (pool->credits) == credit_total
 *
 * and pending can never exceed max_pending: the bound is hard, whatever the interleaving.
 *
 * Why credits and not a pending counter: a single shared counter touched by every spawn
 * and every completion is what made a proposed global cap in libomp 36x slower on 96
 * threads (llvm-project issue 82274). Here a worker takes credit_batch credits at once
 * (one atomic CAS per batch), spends them locally, and returns finished tasks' credits into
 * its own cache, flushing a batch to the pool only when the cache is over credit_batch.
 * In steady state a spawn and a completion each cost a local decrement or increment.
 *
 * The price of caching: up to credit_batch credits per worker may sit unused in a cache
 * while the pool looks full to others. credit_batch is max_pending / (8 x workers running), capped
 * at 256, so caches hold at most 1/8 of the bound. A bound below 64 per worker is kept
 * exactly, without caches (credit_batch 0: every spawn and completion uses pool->credits;
 * small bounds serialize the spawners anyway). Cached credits go back when a worker parks
 * (ary_park_begin) and at every completion while a spawner is blocked (credit_waiters > 0),
 * so a blocked spawner is never stuck behind an idle cache; an idle pool holds no cached
 * credit once its workers sleep.
 *
 * Threads outside the pool take single credits from pool->credits (no cache: nothing would
 * return an idle thread's credits). When they must wait (ARAYON_FULL_BLOCK) they sleep on credit_seq, a futex word bumped by every
 * flush that sees credit_waiters > 0 (Dekker: waiters++ then re-try; flush adds credits then
 * reads waiters; both seq_cst).
 *
 * peak_out records the highest credit_total - pool->credits seen at a refill or an outside
 * take: the peak of admitted tasks plus cached credits (exact when there are no caches),
 * never above max_pending.
 */
#include "internal.h"

#include <limits.h>

#define UNBOUNDED_CREDITS (INT64_MAX / 4)
#define MAX_BATCH 256
#define EXACT_BELOW 64 /* per worker: bounds smaller than this are kept without caches */

void ary_admit_init(ary_pool *p)
{
    size_t maxp = p->cfg.max_pending;
    p->credit_total = maxp ? (int64_t)maxp : UNBOUNDED_CREDITS;
    /* Sized by the records expected to run at once: spare records of a team pool (team.h)
     * mostly stay without a thread. */
    unsigned nrun = p->nworkers - p->nspare;
    int64_t batch = maxp ? (int64_t)(maxp / (8u * nrun)) : MAX_BATCH;
    if (batch > MAX_BATCH)
        batch = MAX_BATCH;
    if (maxp && maxp < EXACT_BELOW * nrun)
        batch = 0; /* small bound: no caches, every spawn and completion uses pool->credits */
    p->credit_batch = batch;
    /* A blocked outside spawner sleeps until this many credits are free: 1/4 of the bound,
     * at most 65536, at least 1 (never above the bound, so the last completion always wakes).
     * Large runs keep the wake-ups few; 3/4 of the bound stays queued for the workers. */
    int64_t wake_at = p->credit_total / 4;
    p->credit_wake_at = wake_at > 65536 ? 65536 : wake_at < 1 ? 1 : wake_at;
    atomic_init(&p->credit_sleepers, 0);
    atomic_init(&p->credits, p->credit_total);
    atomic_init(&p->peak_out, 0);
    atomic_init(&p->credit_waiters, 0);
    atomic_init(&p->credit_seq, 0);
}

static inline void note_peak(ary_pool *p, int64_t free_after)
{
    int64_t out = p->credit_total - free_after;
    int64_t peak = atomic_load_explicit(&p->peak_out, memory_order_relaxed);
    while (out > peak && !atomic_compare_exchange_weak_explicit(&p->peak_out, &peak, out,
                                                                 memory_order_relaxed,
                                                                 memory_order_relaxed))
        ;
}

/* Takes up to credit_batch credits for w, spends one. False when the pool is full. */
bool ary_credit_refill(ary_worker *w)
{
    ary_pool *p = w->pool;
    int64_t c = atomic_load_explicit(&p->credits, memory_order_relaxed);
    int64_t k;
    do {
        if (c <= 0)
            return false;
        k = c < p->credit_batch ? c : p->credit_batch;
        if (k < 1)
            k = 1;
    } while (!atomic_compare_exchange_weak_explicit(&p->credits, &c, c - k, memory_order_acq_rel,
                                                    memory_order_relaxed));
    note_peak(p, c - k);
    w->credits = k - 1;
    return true;
}

void ary_credit_force(ary_worker *w) { ary_credit_force_ext(w->pool); }

void ary_credit_force_ext(ary_pool *p)
{
    int64_t before = atomic_fetch_sub_explicit(&p->credits, 1, memory_order_acq_rel);
    note_peak(p, before - 1);
}

void ary_credit_wake_all(ary_pool *p)
{
    atomic_fetch_add_explicit(&p->credit_seq, 1, memory_order_seq_cst);
    aryd_futex_wake(&p->credit_seq, INT_MAX);
}

/* Returns k credits. Sleeping outside spawners are woken by the return that brings the free
 * credits up to credit_wake_at (hysteresis: a blocked producer resumes with room for a run of
 * spawns instead of trading single credits with the workers, one wake-up per run). */
static inline void give(ary_pool *p, int64_t k)
{
    int64_t before = atomic_fetch_add_explicit(&p->credits, k, memory_order_seq_cst);
    /* The waker takes the sleepers count to 0, so the crossings that follow while they wake
     * up do not wake them again. */
    if (ARY_UNLIKELY(before < p->credit_wake_at && before + k >= p->credit_wake_at) &&
        atomic_load_explicit(&p->credit_sleepers, memory_order_seq_cst) != 0 &&
        atomic_exchange_explicit(&p->credit_sleepers, 0, memory_order_seq_cst) != 0)
        ary_credit_wake_all(p);
}

/* Returns all of w's cached credits to the pool. */
void ary_credit_flush(ary_worker *w)
{
    int64_t k = w->credits;
    if (k <= 0)
        return;
    w->credits = 0;
    give(w->pool, k);
}

/* Outside the pool: one credit at a time from pool->credits. Outside threads keep no cache:
 * an idle thread's cache could hold credits that nobody else can use. */
bool ary_credit_take_ext(ary_pool *p)
{
    int64_t c = atomic_load_explicit(&p->credits, memory_order_relaxed);
    do {
        if (c <= 0)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&p->credits, &c, c - 1, memory_order_acq_rel,
                                                    memory_order_relaxed));
    note_peak(p, c - 1);
    return true;
}

void ary_credit_give_ext(ary_pool *p, int64_t k) { give(p, k); }

/* Outside the pool, ARAYON_FULL_BLOCK: waits until a credit is taken (ARAYON_OK), the wait
 * limit passes (ARAYON_EAGAIN) or the pool shuts down (ARAYON_ESHUTDOWN). */
int ary_credit_wait_ext(ary_pool *p)
{
    uint64_t deadline = aryd_deadline_after(p->cfg.max_pending_wait_ns);
    int rc = ARAYON_OK;
    /* waiters > 0 makes every completion return its credit at once (ary_credit_return). */
    atomic_fetch_add_explicit(&p->credit_waiters, 1, memory_order_seq_cst);
    /* A credit often comes back within microseconds: look for one briefly. Not longer: on a
     * machine with as many workers as cores, a spinning producer takes CPU from them. */
    uint64_t spin_until = aryd_now_ns() + (p->spin_ns < 5000 ? p->spin_ns : 5000);
    do {
        for (int i = 0; i < 64; i++)
            aryd_cpu_relax();
        if (ary_credit_take_ext(p))
            goto out;
    } while (aryd_now_ns() < spin_until);
    /* Sleep until credit_wake_at credits are free (give() wakes us), or the deadline.
     * Dekker with give(): sleepers++ then re-read credits; give adds, then reads sleepers. */
    for (;;) {
        uint32_t seq = atomic_load_explicit(&p->credit_seq, memory_order_seq_cst);
        if (ary_credit_take_ext(p))
            break;
        if (atomic_load_explicit(&p->state, memory_order_acquire) != ARY_POOL_RUNNING) {
            rc = ARAYON_ESHUTDOWN;
            break;
        }
        if (deadline && aryd_now_ns() >= deadline) {
            rc = ARAYON_EAGAIN;
            break;
        }
        atomic_fetch_add_explicit(&p->credit_sleepers, 1, memory_order_seq_cst);
        /* Re-check at least every 10 ms: spawners inside the pool may keep the free credits
         * between 1 and credit_wake_at, where no return crosses the threshold. */
        uint64_t until = aryd_now_ns() + 10000000u;
        if (deadline && deadline < until)
            until = deadline;
        if (atomic_load_explicit(&p->credits, memory_order_seq_cst) < p->credit_wake_at)
            aryd_futex_wait(&p->credit_seq, seq, until);
        /* Leave the count unless a waker already cleared it (it is a hint: a sleeper that
         * misses a wake-up still re-checks within 10 ms). */
        uint32_t n = atomic_load_explicit(&p->credit_sleepers, memory_order_relaxed);
        while (n && !atomic_compare_exchange_weak_explicit(&p->credit_sleepers, &n, n - 1,
                                                           memory_order_seq_cst,
                                                           memory_order_relaxed))
            ;
    }
out:
    atomic_fetch_sub_explicit(&p->credit_waiters, 1, memory_order_relaxed);
    return rc;
}
