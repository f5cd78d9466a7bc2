/*
 * blocking.h - tasks that do not run as ordinary jobs of the workers:
 *   blocking tasks (blocking.c) - run on an elastic set of threads of their own, so that a
 *                                 task that sleeps or waits for I/O never holds a worker;
 *   timers (timer.c)            - delayed and periodic tasks, kept in one heap per pool and
 *                                 handed to the workers by one timer thread when due.
 *
 * Both are ordinary task records (cells, flags ARY_TK_BLOCKING / ARY_TK_TIMER) with the usual
 * state word, handle reference count, scope and deadline, and both are accounted like any
 * task: a spawn takes an admission credit and is counted in the spawner's `spawned` counter
 * (a worker's, or ext_spawned for threads outside the pool, blocking threads included), and
 * the finish returns the credit and is counted once. A task that finishes on a worker is
 * counted on that worker; one that finishes elsewhere (on a blocking thread, or a timer
 * cancelled before it fired) in the pool-level counters below, which the metrics and
 * ary_pool_quiescent add to the workers' counters.
 *
 * Lock order: blocking lock and timer lock are never held together, and neither is held
 * while a task's function runs; ext_lock (cell.c) may be taken under either.
 */
#ifndef ARY_BLOCKING_H
#define ARY_BLOCKING_H

#include "internal.h"

#define ARY_BLOCKING_DEFAULT_THREADS 64u
#define ARY_BLOCKING_DEFAULT_IDLE_NS (UINT64_C(5) * 1000000000u)

typedef struct ary_timers ary_timers; /* timer.c */

/* One blocking thread. Joinable while the pool lives; detached when a shutdown deadline
 * leaves it behind (it then frees its record itself). */
typedef struct ary_bthread {
    pthread_t thread;
    ary_pool *pool;
    struct ary_bthread *next;
    bool detached;
} ary_bthread;

typedef struct ary_offw {
    /* Tasks finished off the workers: written with seq_cst read-modify-writes (any thread),
     * outcome first, then finished (metrics.c reads in the opposite order). */
    _Alignas(ARY_CACHELINE) _Atomic uint64_t finished;
    _Atomic uint64_t failed, cancelled, timed_out;

    /* Blocking threads and their queue, under lock. The counts are atomics only so that the
     * metrics can read them without the lock. */
    _Alignas(ARY_CACHELINE) pthread_mutex_t lock;
    pthread_cond_t work;       /* idle blocking threads wait here (CLOCK_MONOTONIC) */
    pthread_cond_t gone;       /* the shutdown waits here for the last thread to exit */
    ary_task *head, *tail;     /* queued blocking tasks, FIFO, linked through task->next */
    _Atomic uint64_t nqueued;
    _Atomic uint32_t nthreads; /* alive (or being started) */
    uint32_t nidle;            /* waiting on `work` */
    _Atomic uint64_t running;  /* running a task now */
    _Atomic uint64_t threads_peak;
    _Atomic uint64_t spawned;  /* blocking tasks accepted (also counted as spawned) */
    uint32_t max_threads;
    uint64_t idle_ns;
    bool closing;              /* shutdown: threads exit once the queue is empty */
    ary_bthread *live, *exited; /* exited: joinable, not joined yet */

    _Atomic(ary_timers *) timers; /* timer.c; NULL until the first timer is spawned */
    pthread_mutex_t timers_once;  /* makes the timer state once; guards timers_closed */
    bool timers_closed;           /* the shutdown began: timer state made later is closed */
} ary_offw;

static inline bool ary_offw_past_deadline(const ary_task *t)
{
    return (t->flags & ARY_TK_DEADLINE) && aryd_now_ns() >= t->deadline_ns;
}

/* Runs fn(arg) as task t: arayon_cancelled() and the scopes begun inside see t. */
static inline int ary_offw_run_body(ary_task *t, arayon_fn fn, void *arg)
{
    ary_task *prev = ary_tls_task;
    ary_tls_task = t;
    int r = fn(arg);
    ary_tls_task = prev;
    return r;
}

/* The start of a run of t: marks it running (the state word decides the race with a
 * cancel, as in task.c) and returns ARAYON_OK, or the outcome when it must not run:
 * ECANCELED (its flag, its scope chain, or the pool's abort) or ETIMEDOUT. */
static inline int ary_offw_start(ary_task *t, ary_pool *p)
{
    uint32_t st = atomic_fetch_or_explicit(&t->state, ARY_T_RUNNING, memory_order_acq_rel);
    if ((st & ARY_T_CANCEL) || (t->scope ? ary_scope_cancelled(t->scope, p)
                                         : atomic_load_explicit(&p->aborted, memory_order_relaxed)))
        return ARAYON_ECANCELED;
    if (ary_offw_past_deadline(t))
        return ARAYON_ETIMEDOUT;
    return ARAYON_OK;
}

/* blocking.c: shared by blocking.c and timer.c */

/* Admission of one task by the calling thread (w: its worker in p, or NULL). Returns
 * ARAYON_OK with a credit held, ARY_ADMIT_INLINE when the policy says to run the task on the
 * calling thread (never for delayed tasks), or the error (EAGAIN, ESHUTDOWN), counted as a
 * rejection. */
#define ARY_ADMIT_INLINE 1
ARY_HIDDEN int ary_offw_admit(ary_pool *p, ary_worker *w, bool delayed);
/* Gives back a credit taken by ary_offw_admit and not used. */
ARY_HIDDEN void ary_offw_unadmit(ary_pool *p, ary_worker *w);
/* Fills the common fields of a task record of one of these kinds. */
ARY_HIDDEN void ary_offw_task_init(ary_task *t, ary_pool *p, ary_scope *s, arayon_fn fn,
                                   void *arg, uint32_t flags, bool handle, uint64_t timeout_ns);
/* Counts a spawn that was admitted (the task is about to be published). */
ARY_HIDDEN void ary_offw_count_spawn(ary_pool *p, ary_worker *w);
/* Undoes ary_offw_count_spawn for a spawn refused after it (shutdown, no thread): the
 * caller then frees the cell, gives back the credit and the scope count. */
ARY_HIDDEN void ary_offw_count_refused(ary_pool *p, ary_worker *w);
/* Finishes task t with outcome and the raw result r: returns its credit (unless it ran
 * inline), counts it (on w when not NULL, else in the pool-level counters), then completes
 * its handle and its scope exactly as task.c does. The last access to t when it has no
 * handle. */
ARY_HIDDEN void ary_offw_finish(ary_task *t, ary_pool *p, ary_worker *w, int outcome, int r);

/* timer.c */
ARY_HIDDEN void ary_timers_free(ary_timers *tm);

/* The metrics' view (metrics.c). */
typedef struct ary_offw_stats {
    uint64_t blocking_spawned, blocking_running, blocking_queued, blocking_threads,
        blocking_threads_peak;
    uint64_t timers_spawned, timers_pending, timers_fired;
} ary_offw_stats;
ARY_HIDDEN void ary_offw_stats_read(ary_pool *p, ary_offw_stats *out);
ARY_HIDDEN void ary_timers_stats_read(ary_timers *tm, ary_offw_stats *out);

#endif
