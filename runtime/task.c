/*
 * task.c - spawning, running and finishing tasks; task handles.
 *
 * Every spawned task is accounted exactly once: its exec function runs exactly once (the
 * deque and the injection queue hand each job out once), and it ends by counting the task
 * as finished on the executing worker, with its outcome (ok, failed, cancelled).
 *
 * Two exec functions:
 *   exec_plain - detached and scoped tasks without a handle or deadline. Touches only the
 *                task record, the scope's counter and the worker's private counters.
 *   exec_full  - tasks with a handle (a state word that waiters and cancel look at, and a
 *                reference count: one for the execution, one per handle) and/or a deadline.
 */
#include "internal.h"
#include "injector.h"
#include "team.h"
#include "trace.h"
#include "fiber.h" /* ary_reactor_task_done */

#include <limits.h>

/* Outcome codes stored in the state word. */
static inline uint32_t outcome_bits(int outcome)
{
    switch (outcome) {
    case ARAYON_OK: return 0;
    case ARAYON_EFAILED: return 1;
    case ARAYON_ECANCELED: return 2;
    default: return 3; /* ARAYON_ETIMEDOUT */
    }
}
static inline int outcome_of(uint32_t st)
{
    static const int out[4] = {ARAYON_OK, ARAYON_EFAILED, ARAYON_ECANCELED, ARAYON_ETIMEDOUT};
    return out[(st >> ARY_T_OUT_SHIFT) & 3u];
}

/* Counted after the task's body (so after every spawn it made: quiescence relies on it)
 * and before its waiters are released (so counters read after a wait include it). */
static inline void count_finished(ary_worker *w, int outcome)
{
    if (ARY_UNLIKELY(outcome != ARAYON_OK))
        ary_count(outcome == ARAYON_EFAILED      ? &w->c.failed
                  : outcome == ARAYON_ECANCELED ? &w->c.cancelled
                                                : &w->c.timed_out,
                  1);
    ary_count(&w->c.finished, 1);
}

static inline int run_body(ary_task *t)
{
    ary_task *prev = ary_tls_task;
    ary_tls_task = t;
    int r = t->fn(t->arg);
    ary_tls_task = prev;
    return r;
}

#define ARY_ALWAYS_INLINE inline __attribute__((always_inline))

/* Latency recording on a traced run: trace_spawn left the spawn time in deadline_ns of a
 * task without a deadline (which does not use the field); a task run inline had no wait. */
static inline uint64_t latency_start(ary_worker *w, const ary_task *t, uint32_t flags)
{
    return ary_lat_start(w, flags & (ARY_TK_DEADLINE | ARY_TK_INLINE) ? 0 : t->deadline_ns);
}

/* Detached and scoped tasks without handle or deadline: the fast path. traced: the task was
 * spawned while tracing or recording latencies (trace_spawn gave it exec_plain_traced): its
 * start and end are recorded, the end before the record is freed and the task counted. */
static ARY_ALWAYS_INLINE void exec_plain_impl(ary_job *j, ary_worker *w, const bool traced)
{
    ary_task *t = (ary_task *)j;
    ary_scope *s = t->scope;
    int outcome = ARAYON_OK;
    uint64_t t0 = 0;
    if (traced) {
        ary_trace_rec(w->pool, ARY_EV_START, ARY_EVF_TASK, (uintptr_t)t, 0, 0);
        t0 = latency_start(w, t, 0);
    }
    if (ARY_UNLIKELY(s ? ary_scope_cancelled(s, w->pool)
                       : atomic_load_explicit(&w->pool->aborted, memory_order_relaxed)))
        outcome = ARAYON_ECANCELED;
    else if (run_body(t) != 0)
        outcome = ARAYON_EFAILED;
    if (traced) {
        ary_lat_end(w, t0);
        ary_trace_rec(w->pool, ARY_EV_END, ARY_EVF_TASK, (uintptr_t)t, 0, (uint32_t)-outcome);
    }
    ary_cell_free(w, (ary_cell *)t);
    ary_credit_return(w); /* before it counts as finished: a spawn that sees pending 0 has room */
    count_finished(w, outcome);
    if (s)
        ary_scope_task_done(s, outcome);
}

static void exec_plain(ary_job *j, ary_worker *w) { exec_plain_impl(j, w, false); }
static void exec_plain_traced(ary_job *j, ary_worker *w) { exec_plain_impl(j, w, true); }

static void task_unref(ary_task *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
        ary_pool *p = ary_task_pool(t);
        ary_cell_release(p, (ary_cell *)t);
        ary_pool_unref(p);
    }
}

static inline bool past_deadline(const ary_task *t)
{
    return (t->flags & ARY_TK_DEADLINE) && aryd_now_ns() >= t->deadline_ns;
}

/* Counters of tasks run inline by threads outside the pool (no worker): the outcome first,
 * then the task itself (it counts as spawned and finished at once; metrics.c reads in the
 * opposite order). */
void ary_count_finished_ext(ary_pool *p, int outcome)
{
    if (outcome != ARAYON_OK)
        atomic_fetch_add_explicit(outcome == ARAYON_EFAILED      ? &p->ext_inline_failed
                                  : outcome == ARAYON_ECANCELED ? &p->ext_inline_cancelled
                                                                : &p->ext_inline_timed_out,
                                  1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->ext_run_inline, 1, memory_order_release);
}

/* The last step of a finished task, once it is counted: a task without a handle is freed;
 * a handle task gets its result and outcome, its waiters are woken (threads on the state
 * word, suspended tasks through the reactor) and the execution's reference is dropped; then
 * the scope learns of it. w: the calling worker of p, or NULL. */
static ARY_ALWAYS_INLINE void task_release(ary_task *t, ary_pool *p, ary_worker *w,
                                           const uint32_t flags, int outcome, int r)
{
    ary_scope *s = t->scope;
    if (!(flags & ARY_TK_HANDLE)) {
        if (w)
            ary_cell_free(w, (ary_cell *)t);
        else
            ary_cell_free_ext(p, (ary_cell *)t);
        if (s)
            ary_scope_task_done(s, outcome);
        return;
    }
    t->result = r;
    uint32_t st = atomic_fetch_or_explicit(
        &t->state, ARY_T_DONE | outcome_bits(outcome) << ARY_T_OUT_SHIFT, memory_order_acq_rel);
    if (st & ARY_T_WAITERS)
        aryd_futex_wake(&t->state, INT_MAX);
    if (ARY_UNLIKELY(st & ARY_T_FWAIT)) /* suspended tasks await this one (reactor.c) */
        ary_reactor_task_done(t);
    if (s)
        ary_scope_task_done(s, outcome);
    task_unref(t);
}

/* The end of a task of the full kind (run_full_impl, and suspendable tasks: async.c). */
static ARY_ALWAYS_INLINE void task_finish(ary_task *t, ary_pool *p, ary_worker *w,
                                          const uint32_t flags, int outcome, int r)
{
    if (w) {
        if (flags & ARY_TK_INLINE)
            ary_count(&w->c.inline_done, 1); /* before finished: metrics.c reads the other way */
        if (!(flags & ARY_TK_INLINE))
            ary_credit_return(w);
        count_finished(w, outcome);
    } else {
        ary_count_finished_ext(p, outcome);
    }
    task_release(t, p, w, flags, outcome, r);
}

void ary_task_finish(ary_task *t, ary_pool *p, ary_worker *w, int outcome, int r)
{
    task_finish(t, p, w, t->flags, outcome, r);
}

void ary_task_release_done(ary_task *t, ary_pool *p, ary_worker *w, int outcome, int r)
{
    task_release(t, p, w, t->flags, outcome, r);
}

bool ary_task_past_deadline(const ary_task *t) { return past_deadline(t); }

/* Tasks with a handle, a deadline, or run inline; w is NULL when a thread outside the pool
 * runs the task inline. The state word decides the race between cancel and start: RUNNING
 * is set with an atomic OR, and a CANCEL seen in the old value means the task never runs.
 * traced: as exec_plain_impl. */
static ARY_ALWAYS_INLINE void run_full_impl(ary_task *t, ary_pool *p, ary_worker *w,
                                            const bool traced)
{
    ary_scope *s = t->scope;
    const uint32_t flags = t->flags;
    const unsigned evf = ARY_EVF_TASK | (flags & ARY_TK_INLINE ? ARY_EVF_RUN_INLINE : 0);
    int outcome = ARAYON_OK, r = 0;
    uint64_t t0 = 0;
    if (traced) {
        ary_trace_rec(p, ARY_EV_START, evf, (uintptr_t)t, 0, 0);
        t0 = latency_start(w, t, flags);
    }
    uint32_t st = atomic_fetch_or_explicit(&t->state, ARY_T_RUNNING, memory_order_acq_rel);
    if ((st & ARY_T_CANCEL) || (s ? ary_scope_cancelled(s, p)
                                   : atomic_load_explicit(&p->aborted, memory_order_relaxed)))
        outcome = ARAYON_ECANCELED;
    else if (past_deadline(t))
        outcome = ARAYON_ETIMEDOUT;
    else {
        r = run_body(t);
        if (past_deadline(t))
            outcome = ARAYON_ETIMEDOUT; /* whatever it returned */
        else if (r != 0)
            outcome = ARAYON_EFAILED;
    }
    if (traced) {
        ary_lat_end(w, t0);
        ary_trace_rec(p, ARY_EV_END, evf, (uintptr_t)t, 0, (uint32_t)-outcome);
    }
    task_finish(t, p, w, flags, outcome, r);
}

static void run_full(ary_task *t, ary_pool *p, ary_worker *w) { run_full_impl(t, p, w, false); }
static ARY_NOINLINE void run_full_traced(ary_task *t, ary_pool *p, ary_worker *w)
{
    run_full_impl(t, p, w, true);
}
static void exec_full(ary_job *j, ary_worker *w) { run_full((ary_task *)j, w->pool, w); }
static void exec_full_traced(ary_job *j, ary_worker *w) { run_full_traced((ary_task *)j, w->pool, w); }

bool ary_task_drain_cancel(ary_pool *p, ary_job *j)
{
    ary_task *t = (ary_task *)j;
    const bool plain = j->exec == exec_plain || j->exec == exec_plain_traced;
    /* A suspendable task that has not started still has ary_exec_async (a started one's
     * record is its resume entry: exec_resume). */
    if (!plain && j->exec != exec_full && j->exec != exec_full_traced &&
        j->exec != ary_exec_async)
        return false;
    if (!plain)
        atomic_fetch_or_explicit(&t->state, ARY_T_RUNNING, memory_order_acq_rel);
    /* Queued tasks are never inline ones (those run at their spawn): each holds a credit. */
    ary_credit_give_ext(p, 1);
    atomic_fetch_add_explicit(&p->drain_cancelled, 1, memory_order_release);
    task_release(t, p, NULL, t->flags, ARAYON_ECANCELED, 0);
    return true;
}

/* A spawn while tracing or recording latencies: records it, stamps the spawn time (a task
 * without a deadline), and gives the task the traced exec function, so that the untraced
 * ones need no event site. f: ARY_EVF_OUTSIDE or 0. */
static ARY_NOINLINE void trace_spawn(ary_pool *p, ary_task *t, unsigned f)
{
    ary_trace_rec(p, ARY_EV_SPAWN, ARY_EVF_TASK | f, (uintptr_t)t, (uintptr_t)t->fn, 0);
    if (!(t->flags & ARY_TK_DEADLINE))
        t->deadline_ns = ary_lat_stamp(p);
    if (t->job.exec == exec_plain)
        t->job.exec = exec_plain_traced;
    else if (t->job.exec == exec_full)
        t->job.exec = exec_full_traced; /* (suspendable tasks keep theirs) */
}

/* Fills a task record. The plain path writes only fn, arg, scope, state and flags. */
static inline void task_init(ary_task *t, ary_pool *p, ary_scope *s, arayon_fn fn, void *arg,
                             bool handle, uint64_t timeout_ns, const uint32_t tk)
{
    t->fn = fn;
    t->arg = arg;
    t->scope = s;
    atomic_store_explicit(&t->state, 0, memory_order_relaxed);
    if (ARY_LIKELY(!handle && !timeout_ns && !tk)) {
        t->job.exec = exec_plain;
        t->flags = 0;
        return;
    }
    t->job.exec = tk ? ary_exec_async : exec_full;
    t->flags = tk;
    t->deadline_ns = aryd_deadline_after(timeout_ns);
    if (t->deadline_ns) /* 0: too far to ever pass */
        t->flags |= ARY_TK_DEADLINE;
    if (handle) {
        t->flags |= ARY_TK_HANDLE;
        atomic_store_explicit(&t->refs, 2, memory_order_relaxed);
        t->result = 0;
        ary_pool_ref(p);
    }
}

/* Spawn from a thread that is not one of p's workers: through the injection queue.
 *
 * Shutdown race: the spawn is counted in ext_spawned (seq_cst) before the state is read
 * (seq_cst); shutdown stores the state before any worker tests quiescence. So either this
 * thread sees SHUTTING and rejects (counting the task rejected, then waking a worker to
 * re-test quiescence), or the quiescence test sees the spawn and waits for the task. */
/* The pool is full and the policy says run it here; w is NULL outside the pool. The task
 * holds no credit (ARY_TK_INLINE) and is never queued. */
static int run_inline(ary_pool *p, ary_worker *w, ary_scope *s, arayon_fn fn, void *arg,
                      ary_task **handle, uint64_t timeout_ns, uint32_t tk)
{
    ary_cell *c = w ? ary_cell_alloc(w) : ary_cell_alloc_ext(p);
    if (!c)
        return ARAYON_ENOMEM;
    ary_task *t = &c->task;
    task_init(t, p, s, fn, arg, handle != NULL, timeout_ns, tk);
    t->job.exec = exec_full;
    t->flags |= ARY_TK_INLINE;
    if (s)
        atomic_fetch_add_explicit(&s->pending, 1, memory_order_relaxed);
    if (w) {
        ary_count(&w->c.spawned, 1);
        ary_count(&w->c.run_inline, 1);
    }
    if (handle)
        *handle = t;
    if (tk && w && w->index < p->nthreads) { /* suspendable: on a fiber entered from here
                                                 (async.c); a guest runs it as a plain task */
        ary_exec_async(&t->job, w);
        return ARAYON_OK;
    }
    if (ARY_UNLIKELY(ary_tracing(p))) {
        ary_trace_rec(p, ARY_EV_THROTTLE, ARY_THR_INLINE, 0, 0, 0);
        ary_trace_rec(p, ARY_EV_SPAWN, ARY_EVF_TASK | ARY_EVF_RUN_INLINE | (w ? 0 : ARY_EVF_OUTSIDE),
                      (uintptr_t)t, (uintptr_t)fn, 0);
        run_full_traced(t, p, w);
    } else {
        run_full(t, p, w);
    }
    return ARAYON_OK;
}

/* Pushes t onto node's injection queue; wakes a sleeper on the queue's empty -> non-empty
 * transition (sleep.md, "External spawns"). The push's count increment is the publication. */
static void inject(ary_pool *p, unsigned node, ary_task *t)
{
    if (ary_inject_push(&p->inj[node], t) == 0 &&
        atomic_load_explicit(&p->sleepers, memory_order_seq_cst))
        ary_wake_node(p, node); /* a sleeper of that node first */
}

/* (Inlined into ary_spawn, as before tracing added a second caller.) */
static ARY_ALWAYS_INLINE int spawn_external(ary_pool *p, ary_scope *s, arayon_fn fn, void *arg,
                                            ary_task **handle, uint64_t timeout_ns, int node,
                                            const uint32_t tk, const bool forced)
{
    if (forced)
        ary_credit_force_ext(p);
    else if (ARY_UNLIKELY(!ary_credit_take_ext(p))) {
        int rc = ARAYON_EAGAIN;
        if (p->cfg.full_policy == ARAYON_FULL_RUN_INLINE)
            return run_inline(p, NULL, s, fn, arg, handle, timeout_ns, tk);
        if (p->cfg.full_policy == ARAYON_FULL_BLOCK) {
            ARY_TRACE(p, ARY_EV_THROTTLE, ARY_THR_BLOCKED, 0, 0, 0);
            rc = ary_credit_wait_ext(p);
        }
        if (rc != ARAYON_OK) {
            atomic_fetch_add_explicit(&p->ext_admit_rejected, 1, memory_order_relaxed);
            ARY_TRACE(p, ARY_EV_THROTTLE, ARY_THR_REJECTED, 0, 0, -rc);
            return rc;
        }
    }
    ary_cell *c = ary_cell_alloc_ext(p);
    if (!c) {
        ary_credit_give_ext(p, 1);
        return ARAYON_ENOMEM;
    }
    ary_task *t = &c->task;
    task_init(t, p, s, fn, arg, handle != NULL, timeout_ns, tk);
    if (s)
        atomic_fetch_add_explicit(&s->pending, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->ext_spawned, 1, memory_order_seq_cst);
    bool late = false;
    if (ARY_UNLIKELY(atomic_load_explicit(&p->state, memory_order_seq_cst) != ARY_POOL_RUNNING) &&
        !(late = ary_late_spawn_begin(p))) { /* blocking tasks may spawn, as workers' may */
        if (s) /* the caller owns the scope and is not waiting on it: cannot reach zero wrongly */
            atomic_fetch_sub_explicit(&s->pending, 1, memory_order_relaxed);
        if (handle)
            atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
        ary_cell_free_ext(p, c);
        ary_credit_give_ext(p, 1);
        atomic_fetch_add_explicit(&p->ext_rejected, 1, memory_order_seq_cst);
        ary_wake_all(p);
        return ARAYON_ESHUTDOWN;
    }
    if (handle)
        *handle = t;
    if (ARY_UNLIKELY(ary_tracing(p)))
        trace_spawn(p, t, ARY_EVF_OUTSIDE);
    /* Outside spawns go to the node of the spawning thread, or the one the caller chose. */
    unsigned target = node >= 0            ? (unsigned)node
                      : p->pl.nnodes == 1 ? 0
                                          : ary_topo_current_node(p->topo, &p->pl);
    inject(p, target, t);
    if (ARY_UNLIKELY(late))
        ary_late_spawn_end(p);
    return ARAYON_OK;
}

static inline int spawn_admitted(ary_pool *p, ary_worker *w, ary_scope *s, arayon_fn fn,
                                 void *arg, ary_task **handle, uint64_t timeout_ns, int node,
                                 bool traced, const uint32_t tk);

/* A worker's spawn found the pool full. A worker never blocks its thread: under
 * ARAYON_FULL_BLOCK it runs queued tasks (each returns a credit) until it can take one, and
 * when nothing is queued anywhere it runs the new task itself. */
/* A blocked spawn (ARAYON_FULL_BLOCK) on a worker runs at most this many queued jobs while
 * it waits for room, then runs its task inline (always bounded: inline tasks hold no credit). */
#define FULL_MAX_JOBS 256u

/* A worker's spawn refused for want of room (ARAYON_FULL_REJECT, or the wait limit). */
static int full_rejected(ary_pool *p, ary_worker *w)
{
    ary_count(&w->c.rejected, 1);
    ARY_TRACE(p, ARY_EV_THROTTLE, ARY_THR_REJECTED, 0, 0, -ARAYON_EAGAIN);
    return ARAYON_EAGAIN;
}

static int spawn_full_pinned(ary_pool *p, ary_worker *w, ary_scope *s, arayon_fn fn,
                             void *arg, ary_task **handle, uint64_t timeout_ns, int node,
                             uint32_t tk)
{
    switch (p->cfg.full_policy) {
    case ARAYON_FULL_REJECT:
        return full_rejected(p, w);
    case ARAYON_FULL_RUN_INLINE:
        return run_inline(p, w, s, fn, arg, handle, timeout_ns, tk);
    default:
        break;
    }
    ARY_TRACE(p, ARY_EV_THROTTLE, ARY_THR_BLOCKED, 0, 0, 0);
    uint64_t deadline = aryd_deadline_after(p->cfg.max_pending_wait_ns);
    for (unsigned ran = 0;; ran++) {
        ary_job *j = ary_deque_pop_owner(&w->deque);
        if (!j)
            j = ary_find_work(w);
        /* Nothing queued, or many jobs run and still no room: the task runs here. (The jobs
         * may never free a place: a suspendable task that yields while it polls for the
         * task running this spawn is queued again each time it runs: livelock.) */
        if (!j || ran >= FULL_MAX_JOBS) {
            if (j) /* (run, not put back: a tied task's resume entry must not move) */
                j->exec(j, w);
            return run_inline(p, w, s, fn, arg, handle, timeout_ns, tk);
        }
        j->exec(j, w);
        if (ary_credit_take(w))
            return spawn_admitted(p, w, s, fn, arg, handle, timeout_ns, node, ary_tracing(p), tk);
        if (deadline && aryd_now_ns() >= deadline)
            return full_rejected(p, w);
    }
}

/* A suspendable task's spawn into a full pool under ARAYON_FULL_BLOCK. Its stack may be
 * small (fiber_stack_size), and the queued tasks may spawn into the full pool in turn: it
 * does not run them on its stack (that overflowed 16 KiB fibers: docs/stress.md, fault 17)
 * but yields, so that its worker runs them on its own, until it can take a credit. As in
 * spawn_full_pinned: with nothing visible to run, or after FULL_MAX_JOBS turns without room,
 * the task runs here. After a yield the fiber may be on another worker (migratable). */
static int spawn_full_fiber(ary_pool *p, ary_fiber *f, ary_scope *s, arayon_fn fn, void *arg,
                            ary_task **handle, uint64_t timeout_ns, int node, uint32_t tk)
{
    ARY_TRACE(p, ARY_EV_THROTTLE, ARY_THR_BLOCKED, 0, 0, 0);
    uint64_t deadline = aryd_deadline_after(p->cfg.max_pending_wait_ns);
    for (unsigned turn = 0;; turn++) {
        if (turn >= FULL_MAX_JOBS || !ary_work_visible(p)) {
            ary_fiber *pinned = ary_fiber_pin(); /* (the task runs on this stack) */
            int rc = run_inline(p, ary_tls_worker, s, fn, arg, handle, timeout_ns, tk);
            ary_fiber_unpin(pinned);
            return rc;
        }
        (void)ary_fiber_yield(f);
        ary_worker *w = ary_tls_worker;
        if (ary_credit_take(w))
            return spawn_admitted(p, w, s, fn, arg, handle, timeout_ns, node, ary_tracing(p), tk);
        if (deadline && aryd_now_ns() >= deadline)
            return full_rejected(p, w);
    }
}

/* (ary_fiber_pin: the jobs and the inline task run on the caller's stack) */
static ARY_NOINLINE int spawn_full(ary_pool *p, ary_worker *w, ary_scope *s, arayon_fn fn,
                                   void *arg, ary_task **handle, uint64_t timeout_ns, int node,
                                   uint32_t tk)
{
    ary_fiber *f = ary_tls_fiber;
    if (f && p->cfg.full_policy == ARAYON_FULL_BLOCK)
        return spawn_full_fiber(p, f, s, fn, arg, handle, timeout_ns, node, tk);
    ary_fiber *pinned = ary_fiber_pin();
    int rc = spawn_full_pinned(p, w, s, fn, arg, handle, timeout_ns, node, tk);
    ary_fiber_unpin(pinned);
    return rc;
}

/* traced: the recorder was on when ary_spawn looked; spawn_external looks again itself
 * (outside spawns are not the hot path). */
static ARY_ALWAYS_INLINE int spawn_core(ary_pool *p, ary_scope *s, arayon_fn fn, void *arg,
                                        ary_task **handle, uint64_t timeout_ns, int node,
                                        const bool traced, const uint32_t tk)
{
    ary_worker *w = ary_tls_worker;
    if (ARY_UNLIKELY(!w || w->pool != p))
        return spawn_external(p, s, fn, arg, handle, timeout_ns, node, tk, false);
    if (ARY_UNLIKELY(!ary_credit_take(w)))
        return spawn_full(p, w, s, fn, arg, handle, timeout_ns, node, tk);
    return spawn_admitted(p, w, s, fn, arg, handle, timeout_ns, node, traced, tk);
}

static ARY_NOINLINE int spawn_traced(ary_pool *p, ary_scope *s, arayon_fn fn, void *arg,
                                     ary_task **handle, uint64_t timeout_ns, int node)
{
    return spawn_core(p, s, fn, arg, handle, timeout_ns, node, true, 0);
}

/* One check at the entry; the traced spawn is a copy of its own (spawn_traced), so the
 * untraced path carries no other event site. */
int ary_spawn(ary_pool *p, ary_scope *s, arayon_fn fn, void *arg, ary_task **handle,
              uint64_t timeout_ns, int node)
{
    if (ARY_UNLIKELY(ary_tracing(p)))
        return spawn_traced(p, s, fn, arg, handle, timeout_ns, node);
    return spawn_core(p, s, fn, arg, handle, timeout_ns, node, false, 0);
}

/* Suspendable tasks: the same paths with tk folded in (not the plain tasks' copy). */
int ary_spawn_async(ary_pool *p, ary_scope *s, arayon_fn fn, void *arg, ary_task **handle,
                    uint64_t timeout_ns, int node, uint32_t tk)
{
    int rc = ary_tracing(p) ? spawn_core(p, s, fn, arg, handle, timeout_ns, node, true, tk)
                            : spawn_core(p, s, fn, arg, handle, timeout_ns, node, false, tk);
    if (rc == ARAYON_OK) { /* (a metric only: counting after the spawn is enough) */
        ary_worker *w = ary_tls_worker;
        if (w && w->pool == p)
            ary_count(&w->c.async_spawned, 1);
        else
            atomic_fetch_add_explicit(&p->ext_async_spawned, 1, memory_order_relaxed);
    }
    return rc;
}

/* A worker's spawn that holds a credit. With a hint for another node the task goes to that
 * node's injection queue instead of this worker's deque. traced: record the spawn and give
 * the task the traced exec function (trace_spawn). */
static inline int spawn_admitted(ary_pool *p, ary_worker *w, ary_scope *s, arayon_fn fn,
                                 void *arg, ary_task **handle, uint64_t timeout_ns, int node,
                                 bool traced, const uint32_t tk)
{
    ary_cell *c = ary_cell_alloc(w);
    if (ARY_UNLIKELY(!c)) {
        w->credits++;
        return ARAYON_ENOMEM;
    }
    ary_task *t = &c->task;
    task_init(t, p, s, fn, arg, handle != NULL, timeout_ns, tk);
    if (s)
        atomic_fetch_add_explicit(&s->pending, 1, memory_order_relaxed);
    /* Counted before it is published: see ary_pool_quiescent. */
    ary_count(&w->c.spawned, 1);
    if (traced)
        trace_spawn(p, t, 0);
    if (ARY_UNLIKELY(node >= 0 && (unsigned)node != w->node)) {
        if (handle)
            *handle = t;
        inject(p, (unsigned)node, t);
        return ARAYON_OK;
    }
    if (ARY_UNLIKELY(ary_deque_push_owner(&w->deque, &t->job) != 0)) {
        /* The deque could not grow. Nothing was published: undo. The scope count cannot
         * reach zero here, since the caller is its owner or one of its running tasks. */
        atomic_store_explicit(&w->c.spawned,
                              atomic_load_explicit(&w->c.spawned, memory_order_relaxed) - 1,
                              memory_order_release);
        if (s)
            atomic_fetch_sub_explicit(&s->pending, 1, memory_order_relaxed);
        if (handle)
            atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
        ary_cell_free(w, c);
        w->credits++;
        return ARAYON_ENOMEM;
    }
    if (handle)
        *handle = t;
    ary_notify_work(p);
    return ARAYON_OK;
}

int ary_spawn_credited(ary_pool *p, ary_worker *w, arayon_fn fn, void *arg)
{
    if (ARY_UNLIKELY(ary_tracing(p)))
        return spawn_admitted(p, w, NULL, fn, arg, NULL, 0, -1, true, 0);
    return spawn_admitted(p, w, NULL, fn, arg, NULL, 0, -1, false, 0);
}

int ary_spawn_injected(ary_pool *p, arayon_fn fn, void *arg)
{
    return spawn_external(p, NULL, fn, arg, NULL, 0, -1, 0, true);
}

/* ------------------------------------------------------------------------------------ */

int arayon_spawn_ex(arayon_pool_t *pool, arayon_fn fn, void *arg, const arayon_spawn_opts_t *opts,
                    arayon_task_t **out_or_null)
{
    if (out_or_null)
        *out_or_null = NULL;
    if (!pool || !fn)
        return ARAYON_EINVAL;
    arayon_scope_t *s = NULL;
    uint64_t timeout = pool->task_timeout_ns;
    int node = -1;
    if (opts) {
        if ((opts->flags & ~(ARAYON_TASK_SUSPENDABLE | ARAYON_TASK_MIGRATABLE)) ||
            (opts->flags & (ARAYON_TASK_SUSPENDABLE | ARAYON_TASK_MIGRATABLE)) ==
                ARAYON_TASK_MIGRATABLE ||
            opts->numa_node < -1 ||
            (opts->numa_node >= 0 && (unsigned)opts->numa_node >= pool->pl.nnodes))
            return ARAYON_EINVAL;
        node = opts->numa_node;
        s = opts->scope;
        if (s && s->pool != pool)
            return ARAYON_EINVAL;
        if (opts->timeout_ns == UINT64_MAX)
            timeout = 0;
        else if (opts->timeout_ns)
            timeout = opts->timeout_ns;
    }
    if (opts && (opts->flags & ARAYON_TASK_SUSPENDABLE))
        return ary_spawn_async(pool, s, fn, arg, out_or_null, timeout, node,
                               ARY_TK_ASYNC | (opts->flags & ARAYON_TASK_MIGRATABLE ? ARY_TK_MIGRATE : 0));
    return ary_spawn(pool, s, fn, arg, out_or_null, timeout, node);
}

int arayon_spawn_async(arayon_pool_t *pool, arayon_fn fn, void *arg, arayon_task_t **out_or_null)
{
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.flags = ARAYON_TASK_SUSPENDABLE;
    return arayon_spawn_ex(pool, fn, arg, &o, out_or_null);
}

int arayon_spawn(arayon_pool_t *pool, arayon_fn fn, void *arg)
{
    if (!pool || !fn)
        return ARAYON_EINVAL;
    return ary_spawn(pool, NULL, fn, arg, NULL, pool->task_timeout_ns, -1);
}

int arayon_spawn_handle(arayon_pool_t *pool, arayon_fn fn, void *arg, arayon_task_t **out)
{
    if (!out)
        return ARAYON_EINVAL;
    return arayon_spawn_ex(pool, fn, arg, NULL, out);
}

static bool task_done(void *ctx)
{
    ary_task *t = ctx;
    return atomic_load_explicit(&t->state, memory_order_acquire) & ARY_T_DONE;
}

/* A worker waiting on a handle parks with a deadline that doubles from 50 us to 2 ms: it
 * wakes for new work (it is counted as a sleeper) or when the deadline passes, and then
 * re-checks the task (sleep.md explains why this wait is not targeted). Since it wakes by
 * itself within 2 ms, it parks the light way (no membarrier): a push that races the park
 * and misses it delays that work by the rest of the deadline at most (sleep.md, "Timed
 * parks"). */
static void park_for_task(ary_worker *w, void *ctx, uint64_t deadline_ns)
{
    ary_pool *p = w->pool;
    static ARY_TLS uint64_t backoff_ns;
    ary_park_begin_light(p, w);
    if (task_done(ctx) || ary_work_visible(p)) {
        ary_park_cancel(p, w);
        backoff_ns = 0;
        return;
    }
    backoff_ns = backoff_ns ? (backoff_ns < 2000000 ? backoff_ns * 2 : backoff_ns) : 50000;
    uint64_t until = aryd_now_ns() + backoff_ns;
    if (deadline_ns && deadline_ns < until)
        until = deadline_ns;
    if (ary_park_sleep(p, w, until))
        backoff_ns = 0;
}

static int wait_task(ary_task *t, uint64_t deadline_ns)
{
    if (t == ary_tls_task)
        return ARAYON_EBUSY;
    uint32_t st = atomic_load_explicit(&t->state, memory_order_acquire);
    if (st & ARY_T_DONE)
        return outcome_of(st);
    ary_worker *w = ary_tls_worker;
    if (w && w->pool == ary_task_pool(t)) {
        ary_fiber *f = ary_tls_fiber;
        if (f) { /* a suspendable task suspends instead of running others on its stack */
            int rc = ary_fiber_await(f, t, deadline_ns ? deadline_ns : ARAYON_NO_DEADLINE);
            if (rc == ARAYON_OK)
                return outcome_of(atomic_load_explicit(&t->state, memory_order_acquire));
            if (rc == ARAYON_ETIMEDOUT && deadline_ns && aryd_now_ns() >= deadline_ns)
                return ARAYON_ETIMEDOUT;
            /* Its own cancellation or deadline woke it (each await then returns at once):
             * this wait ignores those, but must not help either: the awaited task may be
             * below this fiber on the worker's stack (the worker resumed this task while
             * helping in that one's wait), and would never return. It yields its worker
             * until t is done. */
            while (!task_done(t)) {
                if (deadline_ns && aryd_now_ns() >= deadline_ns)
                    return ARAYON_ETIMEDOUT;
                ary_fiber_yield(f);
            }
            return outcome_of(atomic_load_explicit(&t->state, memory_order_acquire));
        }
        if (!ary_help_until(w, task_done, t, deadline_ns, park_for_task))
            return ARAYON_ETIMEDOUT;
        return outcome_of(atomic_load_explicit(&t->state, memory_order_acquire));
    }
    /* Outside the pool (or a worker of another pool): block on the state word. */
    for (;;) {
        st = atomic_load_explicit(&t->state, memory_order_acquire);
        if (st & ARY_T_DONE)
            return outcome_of(st);
        if (!(st & ARY_T_WAITERS)) {
            if (!atomic_compare_exchange_weak_explicit(&t->state, &st, st | ARY_T_WAITERS,
                                                       memory_order_acq_rel,
                                                       memory_order_acquire))
                continue;
            st |= ARY_T_WAITERS;
        }
        if (deadline_ns && aryd_now_ns() >= deadline_ns)
            return ARAYON_ETIMEDOUT;
        aryd_futex_wait(&t->state, st, deadline_ns);
    }
}

int arayon_task_wait(arayon_task_t *t)
{
    if (!t)
        return ARAYON_EINVAL;
    return wait_task(t, 0);
}

int arayon_task_wait_timeout(arayon_task_t *t, uint64_t timeout_ns)
{
    if (!t)
        return ARAYON_EINVAL;
    uint32_t st = atomic_load_explicit(&t->state, memory_order_acquire);
    if (st & ARY_T_DONE)
        return outcome_of(st);
    if (timeout_ns == 0)
        return ARAYON_ETIMEDOUT;
    return wait_task(t, aryd_deadline_after(timeout_ns));
}

int arayon_task_poll(arayon_task_t *t)
{
    if (!t)
        return ARAYON_EINVAL;
    return task_done(t) ? ARAYON_OK : ARAYON_ETIMEDOUT;
}

int arayon_task_result(arayon_task_t *t, int *out)
{
    if (!t || !out)
        return ARAYON_EINVAL;
    if (!task_done(t))
        return ARAYON_EBUSY;
    *out = t->result;
    return ARAYON_OK;
}

int arayon_task_cancel(arayon_task_t *t)
{
    if (!t)
        return ARAYON_EINVAL;
    uint32_t st = atomic_fetch_or_explicit(&t->state, ARY_T_CANCEL, memory_order_seq_cst);
    if (!(st & ARY_T_DONE)) { /* scopes begun inside the task re-check their chain */
        atomic_fetch_add_explicit(&ary_task_pool(t)->cancel_epoch, 1, memory_order_seq_cst);
        if (t->flags & ARY_TK_TIMER) /* still waiting for its deadline: finishes now */
            ary_timer_cancel(t);
        else if (t->flags & ARY_TK_ASYNC) /* suspended: wakes with ARAYON_ECANCELED */
            ary_reactor_cancel_task(t);
    }
    ARY_TRACE(ary_task_pool(t), ARY_EV_CANCEL, ARY_CAN_TASK, t, 0, 0);
    return ARAYON_OK;
}

arayon_task_t *arayon_task_retain(arayon_task_t *t)
{
    if (t)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void arayon_task_release(arayon_task_t *t)
{
    if (t)
        task_unref(t);
}

bool arayon_cancelled(void)
{
    ary_task *t = ary_tls_task;
    return t && (ary_task_cancelled(t) || past_deadline(t));
}
