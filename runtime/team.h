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
 * put the task on a deque of its own: nobody of the task's gang steals from it). */
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
