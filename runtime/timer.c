/*
 * timer.c - delayed and periodic tasks: arayon_spawn_after and arayon_spawn_every.
 *
 * One timer state per pool, made at the first timer: a binary min-heap of pending timers
 * ordered by (deadline, spawn sequence), under one lock, and one timer thread that sleeps
 * on a condition variable until the earliest deadline. A spawn signals that thread only when
 * the new timer is earlier than the deadline it sleeps until, so a burst of timers costs
 * one heap insertion each and a handful of wake-ups, not a syscall or a thread per timer.
 *
 * A timer is two cells: the task record (flags ARY_TK_TIMER, with the usual state word,
 * handle and reference count; task->arg points to the second cell) and an ary_timer entry
 * with the user's function, argument, next deadline, period and heap position.
 *
 * Firing. When deadlines pass, the timer thread moves the due entries, in heap order, to the
 * `ready` FIFO and queues one runner job per entry on the workers' injection queues. A runner
 * takes the oldest ready entry, whichever runner it is, so due timers start in deadline order
 * (ties in spawn order) even when several fire at once and a worker runs the runners of a
 * batch in another order. A periodic task whose function returned 0 is put back in the heap
 * at its next deadline (missed ticks are skipped, never run in a burst); any other end
 * finishes the task on the worker.
 *
 * Cancellation. arayon_task_cancel calls ary_timer_cancel: a timer still in the heap is
 * removed and finishes at once as ARAYON_ECANCELED on the canceller's thread; one that fired
 * sees the flag when its runner starts it, and a periodic one is not put back. The task's
 * arg pointer is cleared under the lock before its entry is freed, so the canceller never
 * reads a freed entry.
 *
 * Admission. A timer takes its admission credit when it is spawned and holds it until it
 * finishes, so delayed tasks count toward max_pending (and in `pending`) while they wait.
 *
 * Shutdown. ary_timers_close (from the pool's begin_shutdown) marks the state closed,
 * finishes every timer still in the heap as ARAYON_ECANCELED, and joins the timer thread;
 * from then on spawns are refused (ARAYON_ESHUTDOWN) and periodic tasks are not put back.
 * Timers that had fired run (their runners are queued): the workers drain them.
 */
#include "blocking.h"
#include "fiber.h" /* ary_fiber_pin */
#include "injector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#define NOT_IN_HEAP UINT32_MAX
#define FIRE_BATCH 256        /* due entries moved to the ready list per round */
#define HEAP_INITIAL 64

typedef struct ary_timer {
    ary_task *task;
    struct ary_timer *next_ready; /* ready list; also the shutdown's list */
    arayon_fn fn;
    void *arg;
    uint64_t when;   /* next deadline (absolute, monotonic) */
    uint64_t period; /* 0: delayed task, runs once */
    uint32_t index;  /* position in the heap, NOT_IN_HEAP when not there */
} ary_timer;
_Static_assert(sizeof(ary_timer) <= sizeof(ary_cell), "a timer entry is one cell");

typedef struct heap_node {
    uint64_t when;
    uint64_t seq;
    ary_timer *e;
} heap_node;

struct ary_timers {
    pthread_mutex_t lock;
    pthread_cond_t cond;      /* the timer thread sleeps here (CLOCK_MONOTONIC) */
    heap_node *heap;
    size_t n, cap;
    ary_timer *ready_head, *ready_tail; /* fired, not started: one runner queued for each */
    size_t need_runners;      /* ready entries whose runner is not queued yet */
    uint64_t seq;
    uint64_t sleep_until;     /* what the sleeping timer thread waits for; 0 = no deadline */
    bool sleeping;
    bool started;
    bool closed;
    unsigned next_node;       /* timer thread only: injection queue for the next runner */
    pthread_t thread;
    ary_pool *pool;
    _Atomic uint64_t spawned, pending, fired;
};

/* ---- heap (under tm->lock) -------------------------------------------------------------- */

static inline bool earlier(const heap_node *a, const heap_node *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static inline void heap_put(ary_timers *tm, size_t i, heap_node x)
{
    tm->heap[i] = x;
    x.e->index = (uint32_t)i;
}

static void sift_up(ary_timers *tm, size_t i)
{
    heap_node x = tm->heap[i];
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!earlier(&x, &tm->heap[up]))
            break;
        heap_put(tm, i, tm->heap[up]);
        i = up;
    }
    heap_put(tm, i, x);
}

static void sift_down(ary_timers *tm, size_t i)
{
    heap_node x = tm->heap[i];
    size_t n = tm->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && earlier(&tm->heap[c + 1], &tm->heap[c]))
            c++;
        if (!earlier(&tm->heap[c], &x))
            break;
        heap_put(tm, i, tm->heap[c]);
        i = c;
    }
    heap_put(tm, i, x);
}

static int heap_push(ary_timers *tm, ary_timer *e)
{
    if (tm->n == tm->cap) {
        size_t cap = tm->cap ? tm->cap * 2 : HEAP_INITIAL;
        if (cap >= NOT_IN_HEAP)
            return ARAYON_ENOMEM;
        heap_node *h = realloc(tm->heap, cap * sizeof *h);
        if (!h)
            return ARAYON_ENOMEM;
        tm->heap = h;
        tm->cap = cap;
    }
    tm->heap[tm->n] = (heap_node){e->when, tm->seq++, e};
    tm->n++;
    sift_up(tm, tm->n - 1);
    atomic_store_explicit(&tm->pending, tm->n, memory_order_relaxed);
    return ARAYON_OK;
}

static void heap_remove(ary_timers *tm, size_t i)
{
    ary_timer *e = tm->heap[i].e;
    tm->n--;
    if (i != tm->n) {
        heap_put(tm, i, tm->heap[tm->n]);
        if (i > 0 && earlier(&tm->heap[i], &tm->heap[(i - 1) / 2]))
            sift_up(tm, i);
        else
            sift_down(tm, i);
    }
    e->index = NOT_IN_HEAP;
    atomic_store_explicit(&tm->pending, tm->n, memory_order_relaxed);
}

/* A new deadline is in the heap: wake the timer thread if it sleeps until a later one. */
static void poke(ary_timers *tm, uint64_t when)
{
    if (tm->sleeping && (tm->sleep_until == 0 || when < tm->sleep_until)) {
        tm->sleep_until = when;
        pthread_cond_signal(&tm->cond);
    }
}

/* ---- running timers (workers) ------------------------------------------------------------ */

/* Finishes a timer that is not in the heap (any thread; w: the caller's worker or NULL). */
static void timer_finish(ary_timers *tm, ary_timer *e, ary_pool *p, ary_worker *w, int outcome,
                         int r)
{
    ary_task *t = e->task;
    pthread_mutex_lock(&tm->lock);
    t->arg = NULL; /* ary_timer_cancel no longer looks at e */
    pthread_mutex_unlock(&tm->lock);
    ary_cell_release(p, (ary_cell *)e);
    ary_offw_finish(t, p, w, outcome, r);
}

/* The next deadline of a periodic entry after a run that ended at now: the first tick after
 * now (ticks missed meanwhile are skipped). */
static uint64_t next_tick(const ary_timer *e, uint64_t now)
{
    uint64_t next;
    if (__builtin_add_overflow(e->when, e->period, &next))
        return UINT64_MAX;
    if (next > now)
        return next;
    uint64_t ticks = (now - e->when) / e->period + 1, step;
    if (__builtin_mul_overflow(ticks, e->period, &step) ||
        __builtin_add_overflow(e->when, step, &next))
        return UINT64_MAX;
    return next;
}

static void run_timer(ary_timers *tm, ary_timer *e, ary_pool *p, ary_worker *w)
{
    ary_task *t = e->task;
    const bool periodic = e->period != 0;
    int outcome = ary_offw_start(t, p), r = 0;
    if (outcome == ARAYON_OK) {
        r = ary_offw_run_body(t, e->fn, e->arg);
        if (ary_offw_past_deadline(t))
            outcome = ARAYON_ETIMEDOUT; /* whatever it returned */
        else if (r != 0 && !periodic)
            outcome = ARAYON_EFAILED;   /* (a periodic task stops on non-zero: ARAYON_OK) */
    }
    if (periodic && outcome == ARAYON_OK && r == 0) {
        pthread_mutex_lock(&tm->lock);
        if (!tm->closed &&
            !(atomic_load_explicit(&t->state, memory_order_acquire) & ARY_T_CANCEL) &&
            !atomic_load_explicit(&p->aborted, memory_order_relaxed)) {
            e->when = next_tick(e, aryd_now_ns());
            if (heap_push(tm, e) == ARAYON_OK) {
                poke(tm, e->when);
                pthread_mutex_unlock(&tm->lock);
                return; /* still pending, with its credit */
            }
        }
        pthread_mutex_unlock(&tm->lock);
        outcome = ARAYON_ECANCELED; /* cancelled, or shut down, between two runs */
    }
    timer_finish(tm, e, p, w, outcome, r);
}

/* A runner: not a task (never counted); starts the oldest ready timer. */
static void exec_runner(ary_job *j, ary_worker *w)
{
    ary_pool *p = w->pool;
    ary_timers *tm = atomic_load_explicit(&p->offw->timers, memory_order_acquire);
    ary_cell_free(w, (ary_cell *)j);
    pthread_mutex_lock(&tm->lock);
    ary_timer *e = tm->ready_head; /* never NULL: one runner per ready entry */
    tm->ready_head = e->next_ready;
    if (!tm->ready_head)
        tm->ready_tail = NULL;
    pthread_mutex_unlock(&tm->lock);
    run_timer(tm, e, p, w);
}

/* Queues up to m runners on the injection queues (round robin over the NUMA nodes). Returns
 * how many it queued (fewer only when out of memory). Caller does not hold the lock; only
 * one thread dispatches at a time (the timer thread, or the shutdown after joining it). */
static size_t dispatch(ary_timers *tm, size_t m)
{
    ary_pool *p = tm->pool;
    for (size_t i = 0; i < m; i++) {
        ary_cell *c = ary_cell_alloc_ext(p);
        if (!c)
            return i;
        ary_task *r = &c->task;
        r->job.exec = exec_runner;
        r->flags = 0;
        unsigned node = tm->next_node++ % p->pl.nnodes;
        if (ary_inject_push(&p->inj[node], r) == 0 &&
            atomic_load_explicit(&p->sleepers, memory_order_seq_cst))
            ary_wake_node(p, node);
    }
    return m;
}

static void timespec_at(struct timespec *ts, uint64_t ns)
{
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

static void *timer_main(void *arg)
{
    ary_timers *tm = arg;
    ary_pool *p = tm->pool;
    char name[16];
    snprintf(name, sizeof name, "%.8s-tmr", p->cfg.name ? p->cfg.name : "arayon");
    pthread_setname_np(pthread_self(), name);
#if defined(__linux__) && defined(PR_SET_TIMERSLACK)
    /* The default slack (50 us) would make every wake-up that late. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
    pthread_mutex_lock(&tm->lock);
    while (!tm->closed) {
        uint64_t now = aryd_now_ns();
        size_t k = 0;
        while (tm->n && tm->heap[0].when <= now && k < FIRE_BATCH) {
            ary_timer *e = tm->heap[0].e;
            heap_remove(tm, 0);
            ary_task *t = e->task;
            if (t->flags & ARY_TK_DEADLINE) /* the pool's task timeout counts from each firing */
                t->deadline_ns = p->task_timeout_ns > UINT64_MAX - now ? UINT64_MAX
                                                                      : now + p->task_timeout_ns;
            e->next_ready = NULL;
            if (tm->ready_tail)
                tm->ready_tail->next_ready = e;
            else
                tm->ready_head = e;
            tm->ready_tail = e;
            k++;
        }
        if (k) {
            atomic_fetch_add_explicit(&tm->fired, k, memory_order_relaxed);
            tm->need_runners += k;
        }
        if (tm->need_runners) {
            size_t m = tm->need_runners;
            tm->need_runners = 0;
            pthread_mutex_unlock(&tm->lock);
            size_t done = dispatch(tm, m);
            pthread_mutex_lock(&tm->lock);
            if (done < m) { /* out of memory: try again in a millisecond */
                tm->need_runners += m - done;
                struct timespec ts;
                timespec_at(&ts, aryd_now_ns() + 1000000u);
                pthread_cond_timedwait(&tm->cond, &tm->lock, &ts);
            }
            continue;
        }
        tm->sleeping = true;
        tm->sleep_until = tm->n ? tm->heap[0].when : 0;
        if (tm->sleep_until) {
            struct timespec ts;
            timespec_at(&ts, tm->sleep_until);
            pthread_cond_timedwait(&tm->cond, &tm->lock, &ts);
        } else {
            pthread_cond_wait(&tm->cond, &tm->lock);
        }
        tm->sleeping = false;
    }
    pthread_mutex_unlock(&tm->lock);
    return NULL;
}

/* ---- the timer state ----------------------------------------------------------------------- */

static ary_timers *timers_new(ary_pool *p)
{
    ary_timers *tm = calloc(1, sizeof *tm);
    if (!tm)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&tm->lock, NULL);
    pthread_cond_init(&tm->cond, &ca);
    pthread_condattr_destroy(&ca);
    tm->pool = p;
    return tm;
}

void ary_timers_free(ary_timers *tm)
{
    pthread_cond_destroy(&tm->cond);
    pthread_mutex_destroy(&tm->lock);
    free(tm->heap);
    free(tm);
}

static ary_timers *timers_get(ary_pool *p)
{
    ary_offw *b = p->offw;
    ary_timers *tm = atomic_load_explicit(&b->timers, memory_order_acquire);
    if (tm)
        return tm;
    pthread_mutex_lock(&b->timers_once);
    tm = atomic_load_explicit(&b->timers, memory_order_relaxed);
    if (!tm && (tm = timers_new(p)) != NULL) {
        tm->closed = b->timers_closed; /* made after the shutdown began: closed at once */
        atomic_store_explicit(&b->timers, tm, memory_order_release);
    }
    pthread_mutex_unlock(&b->timers_once);
    return tm;
}

void ary_timers_close(ary_pool *p)
{
    ary_offw *b = p->offw;
    if (!b)
        return;
    pthread_mutex_lock(&b->timers_once);
    b->timers_closed = true;
    ary_timers *tm = atomic_load_explicit(&b->timers, memory_order_relaxed);
    pthread_mutex_unlock(&b->timers_once);
    if (!tm)
        return;
    pthread_mutex_lock(&tm->lock);
    if (tm->closed && !tm->started) {
        pthread_mutex_unlock(&tm->lock);
        return;
    }
    tm->closed = true;
    /* Take every timer out of the heap; they finish below, outside the lock. */
    ary_timer *cancel = NULL;
    while (tm->n) {
        ary_timer *e = tm->heap[tm->n - 1].e;
        heap_remove(tm, tm->n - 1);
        e->task->arg = NULL;
        e->next_ready = cancel;
        cancel = e;
    }
    bool started = tm->started;
    tm->started = false; /* joined below: a second close does not join again */
    pthread_cond_signal(&tm->cond);
    pthread_mutex_unlock(&tm->lock);
    if (started)
        pthread_join(tm->thread, NULL);
    /* Runners the timer thread could not queue (out of memory): queue them now. */
    pthread_mutex_lock(&tm->lock);
    size_t m = tm->need_runners;
    tm->need_runners = 0;
    pthread_mutex_unlock(&tm->lock);
    while (m) {
        size_t done = dispatch(tm, m);
        m -= done;
        if (m)
            aryd_yield();
    }
    while (cancel) {
        ary_timer *next = cancel->next_ready;
        ary_task *t = cancel->task;
        ary_cell_release(p, (ary_cell *)cancel);
        ary_offw_finish(t, p, NULL, ARAYON_ECANCELED, 0);
        cancel = next;
    }
}

void ary_timer_cancel(ary_task *t)
{
    ary_pool *p = ary_task_pool(t);
    ary_timers *tm = atomic_load_explicit(&p->offw->timers, memory_order_acquire);
    if (!tm)
        return;
    pthread_mutex_lock(&tm->lock);
    ary_timer *e = t->arg;
    if (!e || e->index == NOT_IN_HEAP) { /* fired (its runner sees the flag) or finished */
        pthread_mutex_unlock(&tm->lock);
        return;
    }
    heap_remove(tm, e->index);
    t->arg = NULL;
    pthread_mutex_unlock(&tm->lock);
    ary_cell_release(p, (ary_cell *)e);
    ary_offw_finish(t, p, NULL, ARAYON_ECANCELED, 0);
}

void ary_timers_stats_read(ary_timers *tm, ary_offw_stats *out)
{
    out->timers_spawned = atomic_load_explicit(&tm->spawned, memory_order_relaxed);
    out->timers_pending = atomic_load_explicit(&tm->pending, memory_order_relaxed);
    out->timers_fired = atomic_load_explicit(&tm->fired, memory_order_relaxed);
}

/* ---- spawning -------------------------------------------------------------------------------- */

/* Puts e in the heap, starting the timer thread on first use. */
static int insert(ary_timers *tm, ary_timer *e)
{
    pthread_mutex_lock(&tm->lock);
    int rc = ARAYON_OK;
    if (tm->closed) {
        rc = ARAYON_ESHUTDOWN;
    } else if (!tm->started) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256u << 10);
        if (pthread_create(&tm->thread, &attr, timer_main, tm) == 0)
            tm->started = true;
        else
            rc = ARAYON_ESYSTEM;
        pthread_attr_destroy(&attr);
    }
    if (rc == ARAYON_OK)
        rc = heap_push(tm, e);
    if (rc == ARAYON_OK) {
        atomic_fetch_add_explicit(&tm->spawned, 1, memory_order_relaxed);
        poke(tm, e->when);
    }
    pthread_mutex_unlock(&tm->lock);
    return rc;
}

static int spawn_timer(ary_pool *p, uint64_t delay_ns, uint64_t period_ns, arayon_fn fn,
                       void *arg, ary_task **handle)
{
    ary_worker *w = ary_tls_worker;
    if (w && w->pool != p)
        w = NULL;
    ary_timers *tm = timers_get(p);
    if (!tm)
        return ARAYON_ENOMEM;
    ary_fiber *pinned = ary_fiber_pin(); /* a blocked admission runs jobs on this stack */
    int rc = ary_offw_admit(p, w, true);
    ary_fiber_unpin(pinned);
    if (rc != ARAYON_OK)
        return rc; /* (never ARY_ADMIT_INLINE for a delayed task) */
    ary_cell *ct = w ? ary_cell_alloc(w) : ary_cell_alloc_ext(p);
    ary_cell *ce = !ct ? NULL : w ? ary_cell_alloc(w) : ary_cell_alloc_ext(p);
    if (!ce) {
        if (ct)
            ary_cell_release(p, ct);
        ary_offw_unadmit(p, w);
        return ARAYON_ENOMEM;
    }
    ary_task *t = &ct->task;
    ary_timer *e = (ary_timer *)(void *)ce;
    ary_offw_task_init(t, p, NULL, fn, e, ARY_TK_TIMER | (period_ns ? ARY_TK_PERIODIC : 0),
                       handle != NULL, 0);
    if (p->task_timeout_ns)
        t->flags |= ARY_TK_DEADLINE; /* deadline_ns is set at each firing */
    e->task = t;
    e->next_ready = NULL;
    e->fn = fn;
    e->arg = arg;
    e->period = period_ns;
    e->index = NOT_IN_HEAP;
    uint64_t now = aryd_now_ns();
    e->when = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
    ary_offw_count_spawn(p, w);
    rc = ARAYON_OK;
    bool late = false;
    if (!w && atomic_load_explicit(&p->state, memory_order_seq_cst) != ARY_POOL_RUNNING &&
        !(late = ary_late_spawn_begin(p)))
        rc = ARAYON_ESHUTDOWN; /* as spawn_external */
    if (rc == ARAYON_OK) {
        if (handle)
            *handle = t; /* before it can fire */
        rc = insert(tm, e);
        if (late)
            ary_late_spawn_end(p);
        if (rc == ARAYON_OK)
            return ARAYON_OK;
        if (handle)
            *handle = NULL;
    }
    if (handle)
        atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
    ary_cell_release(p, ce);
    ary_cell_release(p, ct);
    ary_offw_unadmit(p, w);
    ary_offw_count_refused(p, w);
    return rc;
}

int arayon_spawn_after(arayon_pool_t *pool, uint64_t delay_ns, arayon_fn fn, void *arg,
                       arayon_task_t **out_or_null)
{
    if (out_or_null)
        *out_or_null = NULL;
    if (!pool || !fn)
        return ARAYON_EINVAL;
    return spawn_timer(pool, delay_ns, 0, fn, arg, out_or_null);
}

int arayon_spawn_every(arayon_pool_t *pool, uint64_t period_ns, arayon_fn fn, void *arg,
                       arayon_task_t **out_or_null)
{
    if (out_or_null)
        *out_or_null = NULL;
    if (!pool || !fn || period_ns == 0)
        return ARAYON_EINVAL;
    return spawn_timer(pool, period_ns, period_ns, fn, arg, out_or_null);
}
