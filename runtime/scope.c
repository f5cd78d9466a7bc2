/*
 * scope.c - scopes (task groups): begin, spawn into, wait, cancel, end.
 *
 * A scope counts its unfinished tasks in `pending`. Its owner (the thread or task that
 * began it) is the only one that waits for it; while waiting inside a worker it runs other
 * jobs, and when there are none it parks with its park word registered in the scope, so the
 * task that takes the count to zero wakes exactly it. The registration protocol (the WAITING
 * bit and the wake_done hand-shake) is described in sleep.md, "Waiting for a scope".
 *
 * Cancellation is a flag per scope (and per handle task). "Is this task cancelled?" walks
 * scope -> task that began it -> that task's scope -> ... The walk stops early at a scope
 * whose seen_epoch equals the pool's cancel_epoch: every cancel sets its flag first and then
 * bumps the epoch, so a scope found clean at epoch e is still clean while the epoch is e.
 */
#include "internal.h"
#include "fiber.h" /* ary_reactor_sweep */
#include "team.h"
#include "trace.h"

static ARY_TLS char ary_tls_marker; /* its address identifies a thread that owns scopes */

static inline const void *owner_token(void)
{
    ary_task *t = ary_tls_task;
    return t ? (const void *)t : (const void *)&ary_tls_marker;
}

/* Walks from task t (which may be NULL) outwards. Returns true if a cancel flag is set, or
 * the pool was aborted by a shutdown deadline (checked at the outermost level). */
static bool chain_cancelled(ary_pool *p, ary_task *t, ary_scope *s, uint32_t epoch)
{
    for (;;) {
        if (t && (atomic_load_explicit(&t->state, memory_order_acquire) & ARY_T_CANCEL))
            return true;
        if (!s)
            return atomic_load_explicit(&p->aborted, memory_order_acquire);
        if (atomic_load_explicit(&s->cancelled, memory_order_acquire))
            return true;
        if (atomic_load_explicit(&s->seen_epoch, memory_order_relaxed) == epoch)
            return false;
        t = s->parent_task;
        s = t ? t->scope : NULL;
    }
}

bool ary_scope_cancelled_slow(ary_scope *s, uint32_t epoch)
{
    if (atomic_load_explicit(&s->cancelled, memory_order_acquire))
        return true;
    ary_task *t = s->parent_task;
    if (chain_cancelled(s->pool, t, t ? t->scope : NULL, epoch))
        return true;
    atomic_store_explicit(&s->seen_epoch, epoch, memory_order_relaxed);
    return false;
}

bool ary_task_cancelled(ary_task *t)
{
    if (atomic_load_explicit(&t->state, memory_order_acquire) & ARY_T_CANCEL)
        return true;
    ary_pool *p = ary_task_pool(t);
    return t->scope ? ary_scope_cancelled(t->scope, p)
                    : atomic_load_explicit(&p->aborted, memory_order_acquire);
}

/* Begins a scope (arayon_scope_begin without the trace event: latches use it too). */
static inline __attribute__((always_inline)) int scope_begin(arayon_pool_t *pool, arayon_scope_t **out)
{
    if (!out)
        return ARAYON_EINVAL;
    *out = NULL;
    if (!pool)
        return ARAYON_EINVAL;
    ary_worker *w = ary_tls_worker;
    ary_cell *c;
    ary_task *parent = NULL;
    if (w && w->pool == pool) {
        c = ary_cell_alloc(w);
        parent = ary_tls_task;
    } else {
        if (ary_in_blocking_task(pool)) /* (blocking.c) nests in it as in a worker's task */
            parent = ary_tls_task;
        else if (atomic_load_explicit(&pool->state, memory_order_acquire) != ARY_POOL_RUNNING)
            return ARAYON_ESHUTDOWN;
        c = ary_cell_alloc_ext(pool);
    }
    if (!c)
        return ARAYON_ENOMEM;
    ary_scope *s = &c->scope;
    atomic_store_explicit(&s->pending, 0, memory_order_relaxed);
    atomic_store_explicit(&s->first_error, ARAYON_OK, memory_order_relaxed);
    atomic_store_explicit(&s->waiter, NULL, memory_order_relaxed);
    atomic_store_explicit(&s->wake_done, 0, memory_order_relaxed);
    s->pool = pool;
    s->parent_task = parent;
    s->owner = owner_token();
    s->next = NULL;
    /* Inherit the cancellation state of the enclosing task and scope. */
    uint32_t e = atomic_load_explicit(&pool->cancel_epoch, memory_order_acquire);
    bool cancelled = parent && chain_cancelled(pool, parent, parent->scope, e);
    atomic_store_explicit(&s->cancelled, cancelled, memory_order_relaxed);
    atomic_store_explicit(&s->seen_epoch, e, memory_order_relaxed);
    *out = s;
    return ARAYON_OK;
}

int arayon_scope_begin(arayon_pool_t *pool, arayon_scope_t **out)
{
    int rc = scope_begin(pool, out);
    if (rc == ARAYON_OK)
        ARY_TRACE(pool, ARY_EV_SCOPE_BEGIN, 0, *out, 0, 0);
    return rc;
}

arayon_scope_t *arayon__scope_begin_or_null(arayon_pool_t *pool)
{
    arayon_scope_t *s = NULL;
    (void)arayon_scope_begin(pool, &s);
    return s;
}

int arayon_scope_spawn(arayon_scope_t *s, arayon_fn fn, void *arg, arayon_task_t **out_or_null)
{
    if (out_or_null)
        *out_or_null = NULL;
    if (!s || !fn)
        return ARAYON_EINVAL;
    return ary_spawn(s->pool, s, fn, arg, out_or_null, s->pool->task_timeout_ns, -1);
}

int arayon_scope_cancel(arayon_scope_t *s)
{
    if (!s)
        return ARAYON_EINVAL;
    atomic_store_explicit(&s->cancelled, 1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&s->pool->cancel_epoch, 1, memory_order_seq_cst);
    ary_reactor_sweep(s->pool); /* its suspended tasks wake with ARAYON_ECANCELED */
    ARY_TRACE(s->pool, ARY_EV_CANCEL, ARY_CAN_SCOPE, s, 0, 0);
    return ARAYON_OK;
}

/* Completer side of the waiter protocol: called by the task whose fetch_sub saw the count
 * go from 1 to 0 with WAITING set. The wake_done store is the last access to s. */
void ary_scope_wake_waiter(ary_scope *s)
{
    _Atomic uint32_t *park = atomic_load_explicit(&s->waiter, memory_order_acquire);
    ary_park_claim(s->pool, park);
    atomic_store_explicit(&s->wake_done, 1, memory_order_release);
}

/* Registers park as the waiter. Returns false if the count is already zero (then nothing is
 * registered). */
static bool waiter_register(ary_scope *s, _Atomic uint32_t *park)
{
    atomic_store_explicit(&s->waiter, park, memory_order_relaxed);
    atomic_store_explicit(&s->wake_done, 0, memory_order_relaxed);
    uint64_t old = atomic_fetch_or_explicit(&s->pending, ARY_SCOPE_WAITING, memory_order_acq_rel);
    if ((old & ARY_SCOPE_COUNT) == 0) {
        atomic_fetch_and_explicit(&s->pending, ~ARY_SCOPE_WAITING, memory_order_relaxed);
        return false;
    }
    return true;
}

/* Clears the registration; if a completer already saw it, waits until that completer is
 * done with the scope. */
static void waiter_unregister(ary_scope *s)
{
    uint64_t old = atomic_fetch_and_explicit(&s->pending, ~ARY_SCOPE_WAITING, memory_order_acq_rel);
    if ((old & ARY_SCOPE_COUNT) == 0) {
        unsigned spins = 0;
        while (!atomic_load_explicit(&s->wake_done, memory_order_acquire)) {
            if (++spins < 1000)
                aryd_cpu_relax();
            else
                aryd_yield();
        }
    }
}

static bool scope_done(void *ctx)
{
    ary_scope *s = ctx;
    return (atomic_load_explicit(&s->pending, memory_order_acquire) & ARY_SCOPE_COUNT) == 0;
}

static void park_for_scope(ary_worker *w, void *ctx, uint64_t deadline_ns)
{
    ary_scope *s = ctx;
    ary_pool *p = w->pool;
    (void)deadline_ns;
    ary_park_begin(p, w);
    if (!waiter_register(s, &w->park)) {
        ary_park_cancel(p, w);
        return;
    }
    if (ary_work_visible(p))
        ary_park_cancel(p, w);
    else
        ary_park_sleep(p, w, 0);
    waiter_unregister(s);
}

/* A suspendable task suspends until the scope is done instead of running other tasks on its
 * stack: its fiber's own park word (value ARY_PARK_FIBER) is the registered waiter, and the
 * completer's claim of it resumes the task (reactor.c). Returns false when it must help
 * after all (no reactor part for this worker, or its wait was cut by its own cancellation:
 * a scope wait does not end on that). */
static bool wait_pending_suspended(ary_scope *s, ary_worker *w, ary_fiber *f)
{
    if (!ary_reactor_prepare(w, f))
        return false;
    while (!scope_done(s)) {
        atomic_store_explicit(&f->scope_park, ARY_PARK_FIBER, memory_order_relaxed);
        if (!waiter_register(s, &f->scope_park))
            break;
        int rc = ary_fiber_scope_wait(f);
        waiter_unregister(s); /* (waits for a completer that saw it: wake_done) */
        if (rc != ARAYON_OK)
            return scope_done(s);
    }
    return true;
}

static void wait_pending(ary_scope *s)
{
    if (scope_done(s))
        return;
    ary_worker *w = ary_tls_worker;
    if (w && w->pool == s->pool) {
        ary_fiber *f = ary_tls_fiber;
        if (f) {
            if (wait_pending_suspended(s, w, f))
                return;
            /* Not suspended after all (no reactor part, or its own cancellation cut the
             * wait): never help on a fiber, whose worker may hold a task of the scope below
             * it on its stack (task.c, wait_task); yield until the scope is done. */
            while (!scope_done(s))
                ary_fiber_yield(f);
            return;
        }
        ary_help_until(w, scope_done, s, 0, park_for_scope);
        return;
    }
    /* Outside the pool: block on a park word of our own (value 2, not a worker sleeper). */
    _Atomic uint32_t park;
    while (!scope_done(s)) {
        atomic_store_explicit(&park, ARY_PARK_EXTERNAL, memory_order_relaxed);
        if (!waiter_register(s, &park))
            break;
        while (atomic_load_explicit(&park, memory_order_acquire) == ARY_PARK_EXTERNAL)
            aryd_futex_wait(&park, ARY_PARK_EXTERNAL, 0);
        waiter_unregister(s);
    }
}

int arayon_scope_wait(arayon_scope_t *s)
{
    if (!s || s->owner != owner_token())
        return ARAYON_EINVAL;
    wait_pending(s);
    return atomic_load_explicit(&s->first_error, memory_order_acquire);
}

int arayon_scope_end(arayon_scope_t **sp)
{
    if (!sp || !*sp)
        return ARAYON_EINVAL;
    ary_scope *s = *sp;
    if (s->owner != owner_token())
        return ARAYON_EINVAL;
    wait_pending(s);
    int err = atomic_load_explicit(&s->first_error, memory_order_acquire);
    ARY_TRACE(s->pool, ARY_EV_SCOPE_END, 0, s, 0,
              -atomic_load_explicit(&s->first_error, memory_order_relaxed));
    ary_cell_release(s->pool, (ary_cell *)s);
    *sp = NULL;
    return err;
}

void arayon_scope_end_cleanup(arayon_scope_t **sp)
{
    if (sp && *sp)
        (void)arayon_scope_end(sp);
}

/* Latches (team.h): scopes used as counters with one waiter, without the owner check
 * (a latch may be waited for by whichever thread runs its owner's continuation). */
ary_latch *ary_latch_new(ary_pool *p)
{
    ary_scope *s = NULL;
    if (scope_begin(p, &s) != ARAYON_OK)
        return NULL;
    s->parent_task = NULL; /* not part of any cancellation chain */
    atomic_store_explicit(&s->cancelled, 0, memory_order_relaxed);
    return s;
}

void ary_latch_free(ary_latch *l) { ary_cell_release(l->pool, (ary_cell *)l); }

void ary_latch_wait(ary_latch *l) { wait_pending(l); }
