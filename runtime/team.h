/*
 * team.h - internal primitives for layers that run "teams" of threads on a pool (the
 * OpenMP compatibility layer in compat/ is the user). Nothing here knows about OpenMP.
 *
 * Guests. A pool may be created with guest slots: worker records (deque, park word, cells,
 * counters) without a thread of their own. A thread outside the pool occupies one with
 * ary_guest_enter and from then on spawns into its own deque and helps while it waits,
 * like a worker; other workers steal from it. It must leave (ary_guest_leave) before the
 * pool is shut down.
 *
 * Gangs. ary_gang_reserve takes up to `want` workers that no other gang holds; the caller
 * posts one member function to each (ary_gang_post); a reserved worker runs its member
 * function at the top of its loop (never nested inside another wait) and counts itself
 * done on the gang's latch afterwards. A pool created with gang_only has workers that run
 * jobs only while they are gang members: between gangs they wait for a post and steal
 * nothing, so the jobs of a gang run on the gang's threads alone.
 *
 * Latches. A counter with one waiter at a time (a scope cell underneath, with its waiter
 * protocol: runtime/sleep.md, "Waiting for a scope"). ary_latch_done is the last access of
 * the thread that takes the count to zero.
 *
 * Helping waits. ary_wait_until(w, done, ctx) runs jobs until done(ctx) holds and parks
 * when there are none; whoever makes done true calls ary_wake_worker for each worker that
 * may be waiting (a seq_cst store of the condition, then the wake: the waiter re-checks the
 * condition after announcing itself parked, so the wake cannot be lost).
 */
#ifndef ARY_TEAM_H
#define ARY_TEAM_H

#include "internal.h"
#include "trace.h"

/* Pools for teams: cfg's threads start at once (at least one: a pool drains through a
 * worker); nspare more worker records get a thread when a gang first reserves them; nguests
 * guest slots follow. */
ARY_HIDDEN int ary_pool_create_ex(const arayon_config_t *cfg, unsigned nspare, unsigned nguests,
                                  bool gang_only, ary_pool **out);
/* A gang-only pool whose threads all start on demand, the first time a gang reserves their
 * record (none at creation: nothing runs in such a pool but gangs). */
ARY_HIDDEN int ary_pool_create_lazy(const arayon_config_t *cfg, unsigned nspare, unsigned nguests,
                                    ary_pool **out);
/* The stack size of the threads that start from now on; returns how many have started. */
ARY_HIDDEN unsigned ary_pool_set_thread_stack(ary_pool *p, size_t size);

ARY_HIDDEN ary_worker *ary_guest_enter(ary_pool *p);
ARY_HIDDEN void ary_guest_leave(ary_worker *w);

typedef struct arayon_scope ary_latch;
ARY_HIDDEN ary_latch *ary_latch_new(ary_pool *p);
ARY_HIDDEN void ary_latch_free(ary_latch *l);
static inline void ary_latch_add(ary_latch *l, uint64_t n)
{
    atomic_fetch_add_explicit(&l->pending, n, memory_order_relaxed);
}
static inline void ary_latch_done(ary_latch *l) { ary_scope_task_done(l, ARAYON_OK); }
static inline bool ary_latch_zero(ary_latch *l)
{
    return (atomic_load_explicit(&l->pending, memory_order_acquire) & ARY_SCOPE_COUNT) == 0;
}
/* For latches whose owner may finish before the count drops to zero (an OpenMP task and its
 * children): the owner calls ary_latch_owner_done once, when it will add and wait no more,
 * and the others count down with ary_latch_release. Exactly one of these calls returns
 * true: the one after which the owner is done and the count is zero. */
static inline bool ary_latch_owner_done(ary_latch *l)
{
    uint64_t old = atomic_fetch_or_explicit(&l->pending, ARY_LATCH_OWNER_DONE, memory_order_acq_rel);
    return (old & ARY_SCOPE_COUNT) == 0;
}
static inline bool ary_latch_release(ary_latch *l)
{
    uint64_t old = atomic_fetch_sub_explicit(&l->pending, 1, memory_order_acq_rel);
    if (ARY_UNLIKELY(old == (ARY_SCOPE_WAITING | 1)))
        ary_scope_wake_waiter(l); /* (never with OWNER_DONE: a done owner does not wait) */
    return old == (ARY_LATCH_OWNER_DONE | 1);
}

/* Waits (helping inside the pool, blocking outside) until the count is zero. */
ARY_HIDDEN void ary_latch_wait(ary_latch *l);

typedef void (*ary_gang_fn)(void *ctx, unsigned member);
ARY_HIDDEN unsigned ary_gang_reserve(ary_worker *self, unsigned want, ary_worker **out);
ARY_HIDDEN void ary_gang_post(ary_worker *w, ary_gang_fn fn, void *ctx, unsigned member,
                              ary_latch *done);
/* Restricts where w (the caller's own record) steals: only from peers[0..n) (a gang's
 * members, as OpenMP threads take tasks from their team only); n = 0 lifts it. */
static inline void ary_set_peers(ary_worker *w, ary_worker *const *peers, unsigned n)
{
    w->peers = peers;
    w->npeers = n;
}

/* worker.c: runs a posted member function; called from the worker loop. */
ARY_HIDDEN void ary_gang_run_posted(ary_worker *w);

ARY_HIDDEN void ary_wait_until(ary_worker *w, ary_done_fn done, void *ctx);
ARY_HIDDEN void ary_wake_worker(ary_worker *w);

/* ---- Team waits: the wait policy (sleep.c; sleep.md, "Team waits") -------------------------
 *
 * A thread that waits in a team (a barrier, a hot team's wait for the next region) polls a
 * flag of its own: it pause-spins for the pool's tw_spin_ns, then yields until tw_block_ns
 * has passed since the wait began, then sleeps; the spin phase yields every 20 us too (the
 * thread waited for may share this CPU). While the process is oversubscribed (more
 * awake threads of the pool than usable CPUs: affinity mask and cgroup quota) it does not
 * spin: it yields at once, so the thread it waits for can run. No system call is made
 * until the yield phase; sleeping and waking are targeted (no membarrier).
 *
 *     ary_backoff b = ARY_BACKOFF_INIT;
 *     while (!condition())
 *         if (!ary_backoff_step(p, &b)) { sleep until woken; b = ARY_BACKOFF_INIT; }
 */
#define ARY_TW_SPIN_NS 200000u   /* default spin phase: 200 us */
#define ARY_TW_BLOCK_NS 2000000u /* default: sleep after 2 ms of spinning and yielding */
#define ARY_BACKOFF_POLLS 16u     /* polls between clock reads in the spin phase */
#define ARY_TW_YIELD_EVERY_NS 20000u /* the spin phase yields this often */
#define ARY_TW_MOVE_NS 1000000u      /* a worker moves off a shared CPU at most this often */

typedef struct ary_backoff {
    uint64_t start; /* first clock reading, 0 before it */
    uint64_t last_yield;
    uint32_t polls;
    uint8_t phase;  /* 0 spinning, 1 yielding */
    bool over;      /* oversubscribed, or sharing a CPU with a thread it waits for */
    bool coloc;     /* ... the latter */
    /* Optional: the waiter's record and those of the threads it waits for. */
    ary_worker *self;
    ary_worker *const *peers;
    unsigned npeers;
} ary_backoff;
#define ARY_BACKOFF_INIT ((ary_backoff){0, 0, 0, 0, false, false, NULL, NULL, 0})
/* A wait for some of peers[0..n) (self among them or not). When the wait first reads the
 * clock it records self's CPU and looks at theirs: if one of them last ran on this CPU, it
 * moves itself to another CPU of its mask (sleep.c, separate); if it cannot (bound workers,
 * or moved less than 1 ms ago) it does not spin: it sleeps at once, so the thread it waits
 * for can run. */
#define ARY_BACKOFF_FOR(self_, peers_, n_)                                                   \
    ((ary_backoff){0, 0, 0, 0, false, false, (self_), (peers_), (n_)})

/* Records the CPU the calling thread (running as w) is on, for teammates' waits. */
static inline void ary_note_cpu(ary_worker *w)
{
    int cpu = aryd_current_cpu();
    uint32_t v = cpu >= 0 ? (uint32_t)cpu + 1 : 0;
    if (atomic_load_explicit(&w->cpu, memory_order_relaxed) != v)
        atomic_store_explicit(&w->cpu, v, memory_order_relaxed);
}

/* Sets the pool's team wait policy: spin_ns of pause-spinning, block_ns in all before a
 * waiter sleeps (UINT64_MAX: never; 0: at once). */
ARY_HIDDEN void ary_team_wait_set(ary_pool *p, uint64_t spin_ns, uint64_t block_ns);
/* The current values (they may change while waits run: each wait step reads them). */
ARY_HIDDEN void ary_team_wait_get(const ary_pool *p, uint64_t *spin_ns, uint64_t *block_ns);
ARY_HIDDEN bool ary_oversubscribed(ary_pool *p);
ARY_HIDDEN bool ary_backoff_slow(ary_pool *p, ary_backoff *b);
/* One step of a wait whose condition was just found false: a pause, or now and then a look
 * at the clock and the policy. Returns false when the waiter should sleep now. */
static inline bool ary_backoff_step(ary_pool *p, ary_backoff *b)
{
    if (ARY_LIKELY(b->phase == 0 && (++b->polls % ARY_BACKOFF_POLLS) != 0)) {
        aryd_cpu_relax();
        return true;
    }
    return ary_backoff_slow(p, b);
}

/* Flags with a sleeper bit: a 32-bit word whose values the setter advances by 2 (bit 0 is
 * ARY_FLAG_SLEEPING). ary_flag_sleep: sleeps while the value (without the bit) is `seen`;
 * returns whether it changed. ary_flag_set: stores v (bit 0 clear) and wakes sleepers. The
 * bit is set with a CAS and read back by the setter's exchange: a sleeper is never missed. */
#define ARY_FLAG_SLEEPING 1u
ARY_HIDDEN bool ary_flag_sleep(ary_pool *p, _Atomic uint32_t *flag, uint32_t seen);
ARY_HIDDEN void ary_flag_wake(_Atomic uint32_t *flag);
static inline void ary_flag_set(_Atomic uint32_t *flag, uint32_t v)
{
    if (atomic_exchange_explicit(flag, v, memory_order_acq_rel) & ARY_FLAG_SLEEPING)
        ary_flag_wake(flag);
}
static inline uint32_t ary_flag_get(_Atomic uint32_t *flag)
{
    return atomic_load_explicit(flag, memory_order_acquire) & ~ARY_FLAG_SLEEPING;
}

/* Wakes w if it is parked (a team wait's release: the caller stored what w waits for with
 * a seq_cst store; this fence and the look at the park word pair with
 * ary_park_begin_light). */
static inline void ary_wake_parked(ary_worker *w)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (ARY_UNLIKELY(atomic_load_explicit(&w->park, memory_order_relaxed) != ARY_PARK_AWAKE))
        ary_park_claim(w->pool, &w->park);
}

/* Jobs queued anywhere in the pool (a cheap look, may be stale). */
static inline bool ary_pool_has_work(ary_pool *p) { return ary_work_visible(p); }

/* A task the caller ran itself because the pool was full (it took no credit): counted as
 * spawned and run inline before it runs, and as finished after. */
static inline void ary_count_inline_start(ary_worker *w)
{
    ary_count(&w->c.spawned, 1);
    ary_count(&w->c.run_inline, 1);
    if (ARY_UNLIKELY(ary_tracing(w->pool))) {
        ary_trace_rec(w->pool, ARY_EV_THROTTLE, ARY_THR_INLINE, 0, 0, 0);
        ary_trace_rec(w->pool, ARY_EV_START, ARY_EVF_INLINE_JOB, 0, 0, 0);
    }
}
static inline void ary_count_inline_done(ary_worker *w)
{
    ARY_TRACE(w->pool, ARY_EV_END, ARY_EVF_INLINE_JOB, 0, 0, 0);
    ary_count(&w->c.inline_done, 1);
    ary_count(&w->c.finished, 1);
}
/* Spawns onto w's deque with a credit the caller took (ary_credit_take). */
ARY_HIDDEN int ary_spawn_credited(ary_pool *p, ary_worker *w, arayon_fn fn, void *arg);

/* Spawns through the pool's injection queue, whoever the caller is (a thread that must not
 * put the task on a deque of its own: nobody of the task's gang steals from it). For a task
 * the layer admitted before (a dependent task its predecessor's completion releases, the
 * next part of an untied task): its credit is taken past the bound, whatever the pool's
 * policy when full, since the caller may neither wait for room (ARAYON_FULL_BLOCK would
 * park a thread that other tasks wait for: docs/stress.md, fault 7) nor run it here. */
ARY_HIDDEN int ary_spawn_injected(ary_pool *p, arayon_fn fn, void *arg);

/* A job of the caller's own (a layer's task record that starts with an ary_job), pushed onto
 * w's deque with a credit the caller took: no task cell is allocated. Its exec function must
 * end with ary_job_finished(w) on the worker that ran it. Returns false (nothing pushed, the
 * credit given back) if the deque cannot grow. The same job may be pushed again while it
 * runs (it is executed once per push). */
static inline bool ary_push_job(ary_worker *w, ary_job *j)
{
    ary_job *q = j; /* while tracing: a wrapper that records the job's run (trace.h) */
    if (ARY_UNLIKELY(ary_tracing(w->pool)))
        q = ary_trace_wrap_job(w, j);
    ary_count(&w->c.spawned, 1); /* counted before it is published: ary_pool_quiescent */
    if (ARY_UNLIKELY(ary_deque_push_owner(&w->deque, q) != 0)) {
        atomic_store_explicit(&w->c.spawned, atomic_load_explicit(&w->c.spawned, memory_order_relaxed) - 1,
                              memory_order_release);
        w->credits++;
        ary_trace_unwrap_job(w, q, j);
        return false;
    }
    ary_notify_work(w->pool);
    return true;
}
static inline void ary_job_finished(ary_worker *w)
{
    ary_credit_return(w); /* before it counts as finished, as task.c does */
    ary_count(&w->c.finished, 1);
}

/* Runs one job if one is found (a task scheduling point). */
ARY_HIDDEN bool ary_run_one(ary_worker *w);
/* The same for a yield (arayon_yield, OpenMP taskyield): nested yields are capped per thread
 * (worker.c); returns whether a job ran. */
ARY_HIDDEN bool ary_yield_run(ary_worker *w);

#endif
