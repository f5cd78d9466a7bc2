/*
 * blocking.c - blocking tasks: arayon_spawn_blocking and arayon_scope_spawn_blocking, the
 * elastic set of blocking threads that runs them, and the accounting shared with timer.c
 * (blocking.h).
 *
 * Threads. A pool starts with no blocking thread. A spawn queues the task (FIFO, under the
 * blocking lock), signals an idle thread if there is one, and starts a new thread when the
 * queue holds more tasks than there are idle threads and fewer than max_threads exist. A
 * thread runs queued tasks until the queue is empty, then waits for idle_ns and exits if
 * nothing came. Because the thread count is checked under the same lock as the push, a
 * queued task always has a thread that will take it.
 *
 * Threads are joinable. One that exits because it was idle puts its record on the `exited`
 * list, and the next spawn that starts a thread (or the shutdown) joins it, so no thread is
 * ever leaked and none is joined while it could still take work.
 *
 * Shutdown (pool.c): the workers drain first, and draining waits for blocking tasks too,
 * since they are counted like any task (ary_pool_quiescent); a blocking task may spawn
 * while the pool shuts down, as a worker's task may (ary_in_blocking_task). Then
 * ary_blocking_join tells the threads to exit and joins them. After a shutdown deadline it
 * waits at most until a second deadline and leaves the threads still inside a task behind,
 * detached: each holds a reference on the pool, as workers left behind do.
 *
 * A task that finishes here is counted in the pool-level counters (ary_offw_finish). While
 * the pool shuts down such a finish may be the one that makes the pool quiescent, while
 * every worker sleeps: it wakes them all, so that one of them sees it (worker_idle re-checks
 * quiescence after announcing that it parks, the Dekker pairing of sleep.md).
 */
#include "blocking.h"
#include "fiber.h" /* ary_fiber_pin */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------
 * Accounting shared with timer.c
 * ------------------------------------------------------------------------------------- */


/* A worker found the pool full under ARAYON_FULL_BLOCK. A worker never blocks its thread:
 * it runs queued jobs (each returns a credit) until it can take a credit. Returns ARAYON_OK
 * with a credit, 1 when nothing is queued anywhere, ARAYON_EAGAIN when the wait limit
 * passed. */
static int worker_wait_credit(ary_pool *p, ary_worker *w)
{
    uint64_t deadline = aryd_deadline_after(p->cfg.max_pending_wait_ns);
    for (;;) {
        ary_job *j = ary_deque_pop_owner(&w->deque);
        if (!j)
            j = ary_find_work(w);
        if (!j)
            return 1;
        j->exec(j, w);
        if (ary_credit_take(w))
            return ARAYON_OK;
        if (deadline && aryd_now_ns() >= deadline)
            return ARAYON_EAGAIN;
    }
}

int ary_offw_admit(ary_pool *p, ary_worker *w, bool delayed)
{
    if (ARY_LIKELY(w ? ary_credit_take(w) : ary_credit_take_ext(p)))
        return ARAYON_OK;
    int rc = ARAYON_EAGAIN;
    switch (p->cfg.full_policy) {
    case ARAYON_FULL_RUN_INLINE:
        if (!delayed)
            return ARY_ADMIT_INLINE;
        break; /* a delayed task cannot run now: refused */
    case ARAYON_FULL_BLOCK:
        rc = w ? worker_wait_credit(p, w) : ary_credit_wait_ext(p);
        if (rc == ARAYON_OK)
            return ARAYON_OK;
        if (rc == 1) { /* nothing to run: a worker runs the new task itself, as spawns do */
            if (!delayed)
                return ARY_ADMIT_INLINE;
            rc = ARAYON_EAGAIN;
        }
        break;
    default:
        break;
    }
    if (w)
        ary_count(&w->c.rejected, 1);
    else
        atomic_fetch_add_explicit(&p->ext_admit_rejected, 1, memory_order_relaxed);
    return rc;
}

void ary_offw_unadmit(ary_pool *p, ary_worker *w)
{
    if (w)
        w->credits++;
    else
        ary_credit_give_ext(p, 1);
}

void ary_offw_task_init(ary_task *t, ary_pool *p, ary_scope *s, arayon_fn fn, void *arg,
                        uint32_t flags, bool handle, uint64_t timeout_ns)
{
    t->job.exec = NULL; /* never queued as a job of the workers */
    t->fn = fn;
    t->arg = arg;
    t->scope = s;
    atomic_store_explicit(&t->next, NULL, memory_order_relaxed);
    atomic_store_explicit(&t->state, 0, memory_order_relaxed);
    t->result = 0;
    t->deadline_ns = UINT64_MAX;
    if (timeout_ns) {
        uint64_t d = aryd_deadline_after(timeout_ns);
        if (d) { /* 0: too far to ever pass */
            t->deadline_ns = d;
            flags |= ARY_TK_DEADLINE;
        }
    }
    if (handle) {
        flags |= ARY_TK_HANDLE;
        atomic_store_explicit(&t->refs, 2, memory_order_relaxed);
        ary_pool_ref(p);
    }
    t->flags = flags;
}

void ary_offw_count_spawn(ary_pool *p, ary_worker *w)
{
    if (w)
        ary_count(&w->c.spawned, 1);
    else
        atomic_fetch_add_explicit(&p->ext_spawned, 1, memory_order_seq_cst);
}

void ary_offw_count_refused(ary_pool *p, ary_worker *w)
{
    if (w) { /* not a spawn after all, but a refused call: counted as such (as outside) */
        atomic_store_explicit(&w->c.spawned,
                              atomic_load_explicit(&w->c.spawned, memory_order_relaxed) - 1,
                              memory_order_release);
        ary_count(&w->c.rejected, 1);
        return;
    }
    /* As spawn_external: rejected after it was counted; a worker may have seen the spawn in
     * a quiescence test, so wake them to test again. */
    atomic_fetch_add_explicit(&p->ext_rejected, 1, memory_order_seq_cst);
    ary_wake_all(p);
}


static inline void count_on(ary_counters *c, int outcome)
{
    if (outcome != ARAYON_OK)
        ary_count(outcome == ARAYON_EFAILED      ? &c->failed
                  : outcome == ARAYON_ECANCELED ? &c->cancelled
                                                : &c->timed_out,
                  1);
    ary_count(&c->finished, 1);
}

/* Off the workers. The pool may become quiescent with this count while its workers sleep
 * in a shutdown: wake them to test again (the fence pairs with the one in ary_park_begin,
 * after which worker_idle re-checks quiescence). */
static void count_off(ary_pool *p, int outcome)
{
    ary_offw *o = p->offw;
    if (outcome != ARAYON_OK)
        atomic_fetch_add_explicit(outcome == ARAYON_EFAILED      ? &o->failed
                                  : outcome == ARAYON_ECANCELED ? &o->cancelled
                                                                : &o->timed_out,
                                  1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&o->finished, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&p->state, memory_order_relaxed) != ARY_POOL_RUNNING)
        ary_wake_all(p);
}

void ary_offw_finish(ary_task *t, ary_pool *p, ary_worker *w, int outcome, int r)
{
    const uint32_t flags = t->flags;
    if (flags & ARY_TK_INLINE) {
        if (w) {
            ary_count(&w->c.inline_done, 1); /* before finished: metrics.c reads the other way */
            count_on(&w->c, outcome);
        } else {
            ary_count_finished_ext(p, outcome);
        }
    } else if (w) {
        ary_credit_return(w);
        count_on(&w->c, outcome);
    } else {
        ary_credit_give_ext(p, 1); /* before it counts as finished, as on a worker */
        count_off(p, outcome);
    }
    ary_task_release_done(t, p, w, outcome, r);
}

uint64_t ary_offw_finished(ary_pool *p)
{
    return atomic_load_explicit(&p->offw->finished, memory_order_seq_cst);
}

/* ---------------------------------------------------------------------------------------
 * Blocking threads
 * ------------------------------------------------------------------------------------- */

/* Runs blocking task t on the calling thread (w: its worker when it runs inline on one).
 * On a blocking thread (running: the pool's count, which counted it) it stops counting as
 * running before it counts as finished, so a snapshot taken after a wait sees neither. */
static void blocking_run(ary_task *t, ary_pool *p, ary_worker *w, _Atomic uint64_t *running)
{
    int outcome = ary_offw_start(t, p), r = 0;
    if (outcome == ARAYON_OK) {
        r = ary_offw_run_body(t, t->fn, t->arg);
        if (ary_offw_past_deadline(t))
            outcome = ARAYON_ETIMEDOUT; /* whatever it returned */
        else if (r != 0)
            outcome = ARAYON_EFAILED;
    }
    if (running)
        atomic_fetch_sub_explicit(running, 1, memory_order_relaxed);
    ary_offw_finish(t, p, w, outcome, r);
}

static void timespec_at(struct timespec *ts, uint64_t ns)
{
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

static void *blocking_main(void *arg)
{
    ary_bthread *me = arg;
    ary_pool *p = me->pool;
    ary_offw *b = p->offw;
    char name[16];
    snprintf(name, sizeof name, "%.8s-blk", p->cfg.name ? p->cfg.name : "arayon");
    pthread_setname_np(pthread_self(), name);

    pthread_mutex_lock(&b->lock);
    uint64_t idle_since = 0;
    for (;;) {
        ary_task *t = b->head;
        if (t) {
            b->head = atomic_load_explicit(&t->next, memory_order_relaxed);
            if (!b->head)
                b->tail = NULL;
            atomic_fetch_sub_explicit(&b->nqueued, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&b->running, 1, memory_order_relaxed);
            pthread_mutex_unlock(&b->lock);
            blocking_run(t, p, NULL, &b->running);
            pthread_mutex_lock(&b->lock);
            idle_since = 0;
            continue;
        }
        if (b->closing)
            break;
        uint64_t now = aryd_now_ns();
        if (!idle_since)
            idle_since = now;
        else if (now - idle_since >= b->idle_ns)
            break; /* idle for idle_ns: exit (the queue is empty, checked above) */
        b->nidle++;
        if (b->idle_ns > UINT64_MAX - idle_since) { /* never idle long enough to exit */
            pthread_cond_wait(&b->work, &b->lock);
        } else {
            struct timespec ts;
            timespec_at(&ts, idle_since + b->idle_ns);
            pthread_cond_timedwait(&b->work, &b->lock, &ts);
        }
        b->nidle--;
    }
    /* Leave: off the live list; onto the exited list to be joined, unless detached. */
    for (ary_bthread **pp = &b->live; *pp; pp = &(*pp)->next) {
        if (*pp == me) {
            *pp = me->next;
            break;
        }
    }
    if (me->detached) {
        free(me);
    } else {
        me->next = b->exited;
        b->exited = me;
    }
    if (atomic_fetch_sub_explicit(&b->nthreads, 1, memory_order_relaxed) == 1)
        pthread_cond_broadcast(&b->gone);
    pthread_mutex_unlock(&b->lock);
    ary_pool_unref(p); /* this thread's reference; the pool may be freed here */
    return NULL;
}

/* Joins the threads that exited. Caller does not hold the lock. */
static void reap(ary_offw *b)
{
    pthread_mutex_lock(&b->lock);
    ary_bthread *x = b->exited;
    b->exited = NULL;
    pthread_mutex_unlock(&b->lock);
    while (x) {
        ary_bthread *next = x->next;
        pthread_join(x->thread, NULL);
        free(x);
        x = next;
    }
}

/* Starts a thread for which nthreads was already counted. Caller does not hold the lock. */
static int start_thread(ary_pool *p, ary_offw *b)
{
    ary_bthread *th = calloc(1, sizeof *th);
    if (!th)
        return ARAYON_ENOMEM;
    th->pool = p;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, p->cfg.stack_size);
    ary_pool_ref(p); /* the thread's reference */
    pthread_mutex_lock(&b->lock); /* on the live list before it can leave it */
    int rc = pthread_create(&th->thread, &attr, blocking_main, th);
    if (rc == 0) {
        th->next = b->live;
        b->live = th;
    }
    pthread_mutex_unlock(&b->lock);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
        free(th);
        return ARAYON_ESYSTEM;
    }
    return ARAYON_OK;
}

/* Queues t and makes sure a thread will run it. On failure t is not queued. */
static int enqueue(ary_pool *p, ary_task *t)
{
    ary_offw *b = p->offw;
    pthread_mutex_lock(&b->lock);
    if (b->closing) {
        pthread_mutex_unlock(&b->lock);
        return ARAYON_ESHUTDOWN;
    }
    atomic_store_explicit(&t->next, NULL, memory_order_relaxed);
    if (b->tail)
        atomic_store_explicit(&b->tail->next, t, memory_order_relaxed);
    else
        b->head = t;
    b->tail = t;
    uint64_t queued = atomic_fetch_add_explicit(&b->nqueued, 1, memory_order_relaxed) + 1;
    if (b->nidle)
        pthread_cond_signal(&b->work);
    uint32_t n = atomic_load_explicit(&b->nthreads, memory_order_relaxed);
    bool start = queued > b->nidle && n < b->max_threads;
    if (start) {
        atomic_store_explicit(&b->nthreads, n + 1, memory_order_relaxed);
        if (n + 1 > atomic_load_explicit(&b->threads_peak, memory_order_relaxed))
            atomic_store_explicit(&b->threads_peak, n + 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&b->lock);
    if (!start)
        return ARAYON_OK;
    reap(b);
    int rc = start_thread(p, b);
    if (rc == ARAYON_OK)
        return ARAYON_OK;
    /* No new thread. Fine while another one exists; with none, t would never run: take it
     * back out (no thread can have taken it). */
    pthread_mutex_lock(&b->lock);
    bool none = atomic_fetch_sub_explicit(&b->nthreads, 1, memory_order_relaxed) == 1;
    if (none) {
        ary_task *prev = NULL;
        for (ary_task *x = b->head; x; prev = x, x = atomic_load_explicit(&x->next, memory_order_relaxed)) {
            if (x != t)
                continue;
            ary_task *next = atomic_load_explicit(&x->next, memory_order_relaxed);
            if (prev)
                atomic_store_explicit(&prev->next, next, memory_order_relaxed);
            else
                b->head = next;
            if (b->tail == x)
                b->tail = prev;
            atomic_fetch_sub_explicit(&b->nqueued, 1, memory_order_relaxed);
            break;
        }
        pthread_cond_broadcast(&b->gone);
    }
    pthread_mutex_unlock(&b->lock);
    return none ? rc : ARAYON_OK;
}

/* The pool is full and the policy says run it here (w: the caller's worker, or NULL). The
 * task holds no credit and never waits for a blocking thread. */
static int run_inline(ary_pool *p, ary_worker *w, ary_scope *s, arayon_fn fn, void *arg,
                      ary_task **handle)
{
    ary_cell *c = w ? ary_cell_alloc(w) : ary_cell_alloc_ext(p);
    if (!c)
        return ARAYON_ENOMEM;
    ary_task *t = &c->task;
    ary_offw_task_init(t, p, s, fn, arg, ARY_TK_BLOCKING | ARY_TK_INLINE, handle != NULL,
                       p->task_timeout_ns);
    if (s)
        atomic_fetch_add_explicit(&s->pending, 1, memory_order_relaxed);
    if (w) {
        ary_count(&w->c.spawned, 1);
        ary_count(&w->c.run_inline, 1);
    }
    atomic_fetch_add_explicit(&p->offw->spawned, 1, memory_order_relaxed);
    if (handle)
        *handle = t;
    blocking_run(t, p, w, NULL);
    return ARAYON_OK;
}

static int spawn_blocking(ary_pool *p, ary_scope *s, arayon_fn fn, void *arg, ary_task **handle)
{
    ary_worker *w = ary_tls_worker;
    if (w && w->pool != p)
        w = NULL;
    ary_fiber *pinned = ary_fiber_pin(); /* jobs, or the task, may run on this stack */
    int rc = ary_offw_admit(p, w, false);
    if (rc == ARY_ADMIT_INLINE) {
        rc = run_inline(p, w, s, fn, arg, handle);
        ary_fiber_unpin(pinned);
        return rc;
    }
    ary_fiber_unpin(pinned);
    if (rc != ARAYON_OK)
        return rc;
    ary_cell *c = w ? ary_cell_alloc(w) : ary_cell_alloc_ext(p);
    if (!c) {
        ary_offw_unadmit(p, w);
        return ARAYON_ENOMEM;
    }
    ary_task *t = &c->task;
    ary_offw_task_init(t, p, s, fn, arg, ARY_TK_BLOCKING, handle != NULL, p->task_timeout_ns);
    if (s)
        atomic_fetch_add_explicit(&s->pending, 1, memory_order_relaxed);
    ary_offw_count_spawn(p, w);
    /* From outside the pool, as spawn_external: counted, then the state read (seq_cst both),
     * so a shutdown's quiescence test either sees this spawn or this thread sees the
     * shutdown. A blocking task of the pool may still spawn, as a worker's task may. */
    rc = ARAYON_OK;
    bool late = false;
    if (!w && atomic_load_explicit(&p->state, memory_order_seq_cst) != ARY_POOL_RUNNING &&
        !(late = ary_late_spawn_begin(p)))
        rc = ARAYON_ESHUTDOWN;
    if (rc == ARAYON_OK) {
        if (handle)
            *handle = t; /* before the task can run and finish */
        atomic_fetch_add_explicit(&p->offw->spawned, 1, memory_order_relaxed);
        rc = enqueue(p, t);
        if (late)
            ary_late_spawn_end(p);
        if (rc == ARAYON_OK)
            return ARAYON_OK;
        atomic_fetch_sub_explicit(&p->offw->spawned, 1, memory_order_relaxed);
        if (handle)
            *handle = NULL;
    }
    /* Refused after it was counted: undo everything (the scope count cannot reach zero here:
     * the caller is its owner or one of its running tasks). */
    if (s)
        atomic_fetch_sub_explicit(&s->pending, 1, memory_order_relaxed);
    if (handle)
        atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
    if (w)
        ary_cell_free(w, c);
    else
        ary_cell_free_ext(p, c);
    ary_offw_unadmit(p, w);
    ary_offw_count_refused(p, w);
    return rc;
}

int arayon_spawn_blocking(arayon_pool_t *pool, arayon_fn fn, void *arg,
                          arayon_task_t **out_or_null)
{
    if (out_or_null)
        *out_or_null = NULL;
    if (!pool || !fn)
        return ARAYON_EINVAL;
    return spawn_blocking(pool, NULL, fn, arg, out_or_null);
}

int arayon_scope_spawn_blocking(arayon_scope_t *s, arayon_fn fn, void *arg,
                                arayon_task_t **out_or_null)
{
    if (out_or_null)
        *out_or_null = NULL;
    if (!s || !fn)
        return ARAYON_EINVAL;
    return spawn_blocking(s->pool, s, fn, arg, out_or_null);
}

/* ---------------------------------------------------------------------------------------
 * Pool lifecycle (pool.c)
 * ------------------------------------------------------------------------------------- */

int ary_offw_init(ary_pool *p)
{
    if (p->cfg.max_blocking_threads > ARAYON_MAX_THREADS)
        return ARAYON_EINVAL;
    ary_offw *b = aligned_alloc(ARY_CACHELINE, (sizeof *b + ARY_CACHELINE - 1) /
                                                   ARY_CACHELINE * ARY_CACHELINE);
    if (!b)
        return ARAYON_ENOMEM;
    memset(b, 0, sizeof *b);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->work, &ca);
    pthread_cond_init(&b->gone, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&b->timers_once, NULL);
    b->max_threads = p->cfg.max_blocking_threads ? p->cfg.max_blocking_threads
                                                 : ARY_BLOCKING_DEFAULT_THREADS;
    b->idle_ns = p->cfg.blocking_idle_ns ? p->cfg.blocking_idle_ns : ARY_BLOCKING_DEFAULT_IDLE_NS;
    p->cfg.max_blocking_threads = b->max_threads; /* the values in force */
    p->cfg.blocking_idle_ns = b->idle_ns;
    p->offw = b;
    return ARAYON_OK;
}

void ary_offw_free(ary_pool *p)
{
    ary_offw *b = p->offw;
    if (!b)
        return;
    reap(b); /* threads that exited since the shutdown joined the others: none normally */
    ary_timers *tm = atomic_load_explicit(&b->timers, memory_order_acquire);
    if (tm)
        ary_timers_free(tm);
    pthread_mutex_destroy(&b->timers_once);
    pthread_cond_destroy(&b->gone);
    pthread_cond_destroy(&b->work);
    pthread_mutex_destroy(&b->lock);
    free(b);
    p->offw = NULL;
}

unsigned ary_blocking_join(ary_pool *p, uint64_t deadline_ns)
{
    ary_offw *b = p->offw;
    if (!b)
        return 0;
    pthread_mutex_lock(&b->lock);
    b->closing = true;
    pthread_cond_broadcast(&b->work);
    while (atomic_load_explicit(&b->nthreads, memory_order_relaxed) > 0) {
        if (!deadline_ns) {
            pthread_cond_wait(&b->gone, &b->lock);
            continue;
        }
        struct timespec ts;
        timespec_at(&ts, deadline_ns);
        if (pthread_cond_timedwait(&b->gone, &b->lock, &ts) == ETIMEDOUT &&
            aryd_now_ns() >= deadline_ns)
            break;
    }
    /* Past the deadline: the threads still inside a task are left behind. */
    unsigned left = (unsigned)atomic_load_explicit(&b->running, memory_order_relaxed);
    for (ary_bthread *x = b->live; x; x = x->next) {
        x->detached = true;
        pthread_detach(x->thread);
    }
    pthread_mutex_unlock(&b->lock);
    reap(b);
    return left;
}

void ary_offw_stats_read(ary_pool *p, ary_offw_stats *out)
{
    ary_offw *b = p->offw;
    memset(out, 0, sizeof *out);
    out->blocking_spawned = atomic_load_explicit(&b->spawned, memory_order_relaxed);
    out->blocking_running = atomic_load_explicit(&b->running, memory_order_relaxed);
    out->blocking_queued = atomic_load_explicit(&b->nqueued, memory_order_relaxed);
    out->blocking_threads = atomic_load_explicit(&b->nthreads, memory_order_relaxed);
    out->blocking_threads_peak = atomic_load_explicit(&b->threads_peak, memory_order_relaxed);
    ary_timers *tm = atomic_load_explicit(&b->timers, memory_order_acquire);
    if (tm)
        ary_timers_stats_read(tm, out);
}
