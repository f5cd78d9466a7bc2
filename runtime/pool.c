/*
 * pool.c - pool configuration, creation, shutdown, destruction and counters.
 *
 * Lifetime: created with refs = 1 (the owner). Every task handle holds a reference too.
 * arayon_pool_destroy shuts down (joins the workers) and drops the owner's reference; the
 * memory (workers, deques, slabs of cells) is freed when the last reference goes.
 */

#include "internal.h"
#include "fiber.h"
#include "injector.h"
#include "team.h"
#include "trace.h"

#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <time.h>

#define DEFAULT_STACK (8u << 20)
#define MIN_STACK (64u << 10)
#define DEFAULT_SPIN_US 50
#define DEQUE_INITIAL 256

arayon_config_t arayon_config_default(void)
{
    arayon_config_t c;
    memset(&c, 0, sizeof c);
    c.max_pending = ARAYON_DEFAULT_MAX_PENDING;
    c.full_policy = ARAYON_FULL_BLOCK;
    ary_env_admission(&c.max_pending, &c.full_policy);
    return c;
}

arayon_config_t arayon_config_cpu_bound(void)
{
    arayon_config_t c = arayon_config_default();
    c.auto_threads = ARAYON_AUTO_CORES;
    return c;
}

arayon_config_t arayon_config_io_bound(void)
{
    arayon_config_t c = arayon_config_default();
    c.auto_threads = ARAYON_AUTO_TWICE_CORES;
    return c;
}

static int write_stderr(const char *buf, size_t len, void *ctx)
{
    (void)ctx;
    return fwrite(buf, 1, len, stderr) == len ? 0 : -1;
}

/* Frees a pool, also a partially built one (fields not yet made are zero). */
static void pool_free(ary_pool *p)
{
    if (p->workers) {
        for (unsigned i = 0; i < p->nworkers; i++) {
            ary_deque_destroy(&p->workers[i].deque);
            ary_slabs_free(p->workers[i].slabs);
            free(p->workers[i].taken_from);
        }
    }
    ary_slabs_free(p->ext_slabs);
    ary_trace_free(p);
    ary_offw_free(p);
    ary_reactor_free(p);
    ary_fiber_pool_free(p);
    pthread_mutex_destroy(&p->ext_lock);
    pthread_mutex_destroy(&p->shutdown_lock);
    pthread_mutex_destroy(&p->async_lock);
    free(p->workers);
    free(p->inj);
    free(p->bind_status);
    free((void *)p->mem_status);
    ary_placement_free(&p->pl);
    if (p->topo)
        ary_topo_close(p->topo);
    free(p);
}

void ary_pool_unref(ary_pool *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
        pool_free(p);
}

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

static void begin_shutdown(ary_pool *p)
{
    uint32_t running = ARY_POOL_RUNNING;
    atomic_compare_exchange_strong_explicit(&p->state, &running, ARY_POOL_SHUTTING,
                                            memory_order_seq_cst, memory_order_seq_cst);
    ary_timers_close(p); /* timers that have not fired finish as cancelled */
    ary_credit_wake_all(p); /* blocked outside spawners now get ARAYON_ESHUTDOWN */
    ary_wake_all(p);
}

static inline bool has_thread(const ary_worker *w)
{
    return atomic_load_explicit(&w->has_thread, memory_order_acquire) != 0;
}

/* Sets the state to SHUTTING (once) and joins the workers. Caller holds shutdown_lock. */
static void stop_and_join(ary_pool *p)
{
    begin_shutdown(p);
    for (unsigned i = 0; i < p->nthreads; i++)
        if (has_thread(&p->workers[i]))
            pthread_join(p->workers[i].thread, NULL);
    ary_blocking_join(p, 0); /* drained: every blocking task finished */
    atomic_store_explicit(&p->joined, true, memory_order_release);
}

static int start_thread(ary_pool *p, ary_worker *w)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, p->cfg.stack_size);
    ary_pool_ref(p); /* the thread's reference */
    int rc = pthread_create(&w->thread, &attr, ary_worker_main, w);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
        return ARAYON_ESYSTEM;
    }
    atomic_store_explicit(&w->has_thread, 1, memory_order_release);
    return ARAYON_OK;
}

int ary_worker_start(ary_pool *p, ary_worker *w)
{
    if (has_thread(w))
        return ARAYON_OK;
    pthread_mutex_lock(&p->shutdown_lock); /* no thread starts while the pool shuts down */
    int rc = ARAYON_OK;
    if (atomic_load_explicit(&p->state, memory_order_acquire) != ARY_POOL_RUNNING)
        rc = ARAYON_ESHUTDOWN;
    else if (!has_thread(w))
        rc = start_thread(p, w);
    pthread_mutex_unlock(&p->shutdown_lock);
    return rc;
}

/* Waits until a worker announces DRAINED, or the absolute deadline passes. */
static bool wait_drained(ary_pool *p, uint64_t deadline)
{
    for (;;) {
        uint32_t st = atomic_load_explicit(&p->state, memory_order_acquire);
        if (st == ARY_POOL_DRAINED)
            return true;
        if (deadline && aryd_now_ns() >= deadline) /* 0: no deadline */
            return false;
        aryd_futex_wait(&p->state, st, deadline);
    }
}

#define ABORT_MARGIN_NS 100000000ull /* after the deadline: most time to drain the queues */
#define JOIN_GRACE_NS 10000000ull    /* then: time for flagged running tasks to return */

/* The deadline passed: cancel what has not started, flag what runs, let the workers drain
 * the queues (as cancelled; at most ABORT_MARGIN_NS, usually much less), give running tasks
 * JOIN_GRACE_NS to notice, then leave behind any worker still inside a task. Such a worker holds a reference on the pool and frees it when
 * it finally exits. Returns the number of workers left behind. */
static unsigned abort_and_detach(ary_pool *p, uint64_t *cancelled_before)
{
    arayon_stats_t st;
    arayon_pool_stats(p, &st);
    *cancelled_before = st.cancelled;
    ARY_TRACE(p, ARY_EV_CANCEL, ARY_CAN_POOL, 0, 0, 0);
    atomic_store_explicit(&p->aborted, 1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&p->cancel_epoch, 1, memory_order_seq_cst);
    ary_reactor_sweep(p); /* suspended tasks wake with ARAYON_ECANCELED */
    ary_wake_all(p);
    /* Let the workers empty the queues (every task found now finishes as cancelled). */
    uint64_t margin_end = aryd_now_ns() + ABORT_MARGIN_NS;
    while (ary_work_visible(p)) {
        uint64_t step = aryd_now_ns() + 1000000;
        if (wait_drained(p, step < margin_end ? step : margin_end) || step >= margin_end)
            break;
    }
    /* Tasks still running keep the pool from draining by itself: make idle workers exit
     * anyway; the others exit when their task returns and the queues are empty. */
    if (atomic_load_explicit(&p->state, memory_order_acquire) != ARY_POOL_DRAINED) {
        atomic_store_explicit(&p->state, ARY_POOL_DRAINED, memory_order_seq_cst);
        ary_wake_all(p);
    }
    uint64_t until = aryd_now_ns() + JOIN_GRACE_NS;
    unsigned left = 0;
    for (unsigned i = 0; i < p->nthreads; i++) {
        if (!has_thread(&p->workers[i]))
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);        /* pthread_timedjoin_np takes REALTIME */
        uint64_t now = aryd_now_ns();
        uint64_t rt = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
                      (until > now ? until - now : 0);
        ts.tv_sec = (time_t)(rt / 1000000000ull);
        ts.tv_nsec = (long)(rt % 1000000000ull);
        if (pthread_timedjoin_np(p->workers[i].thread, NULL, &ts) != 0) {
            pthread_detach(p->workers[i].thread);
            left++;
        }
    }
    return left;
}

/* After a shutdown deadline, once the workers are joined or left behind inside a task: the
 * caller empties every queue itself, so that what was queued behind a worker that never
 * returns is finished (as cancelled) and counted when the call returns, not when (if ever)
 * that worker returns. A worker still running may take jobs at the same time: each job is
 * taken once (deque steals; the injection queue's consumer flag). Jobs that are not tasks
 * waiting to start (ary_task_drain_cancel: resume entries of started suspendable tasks,
 * timer runners, a layer's jobs) go back to an injection queue, for a worker that returns.
 * Gives up after DRAIN_LIMIT_NS of lost races (a worker holding a queue). */
#define DRAIN_LIMIT_NS 100000000ull

static void drain_queues(ary_pool *p)
{
    ary_task *keep = NULL;
    const uint64_t until = aryd_now_ns() + DRAIN_LIMIT_NS;
    for (;;) {
        bool again = false; /* a race lost: look once more */
        for (unsigned k = 0; k < p->pl.nnodes; k++) {
            ary_injector *q = &p->inj[k];
            if (!atomic_load_explicit(&q->count, memory_order_acquire))
                continue;
            if (!ary_inject_try_consume(q)) {
                again = true;
                continue;
            }
            size_t n = 0;
            for (ary_task *t; (t = ary_inject_pop(q)) != NULL;) {
                n++;
                if (!ary_task_drain_cancel(p, &t->job)) {
                    atomic_store_explicit(&t->next, keep, memory_order_relaxed);
                    keep = t;
                }
            }
            ary_inject_end_consume(q, n);
            if (atomic_load_explicit(&q->count, memory_order_acquire))
                again = true; /* a producer half-way through its push */
        }
        for (unsigned i = 0; i < p->nworkers; i++) {
            for (;;) {
                void *x = ary_deque_steal(&p->workers[i].deque);
                if (x == ARY_STEAL_EMPTY)
                    break;
                if (x == ARY_STEAL_RETRY) {
                    again = true;
                    break;
                }
                ary_task *t = x;
                if (!ary_task_drain_cancel(p, &t->job)) {
                    atomic_store_explicit(&t->next, keep, memory_order_relaxed);
                    keep = t;
                }
            }
        }
        if (!again || aryd_now_ns() >= until)
            break;
        sched_yield();
    }
    while (keep) {
        ary_task *next = atomic_load_explicit(&keep->next, memory_order_relaxed);
        if (ary_inject_push(&p->inj[0], keep) == 0)
            ary_wake_node(p, 0);
        keep = next;
    }
}

static int pool_create(const arayon_config_t *cfg_in, unsigned nspare, unsigned nguests,
                       bool gang_only, bool lazy, arayon_pool_t **out)
{
    if (!out)
        return ARAYON_EINVAL;
    *out = NULL;
    arayon_config_t cfg = cfg_in ? *cfg_in : arayon_config_default();
    if (cfg.num_threads > ARAYON_MAX_THREADS)
        return ARAYON_EINVAL;
    if ((unsigned)cfg.full_policy > ARAYON_FULL_RUN_INLINE || cfg.max_pending > (SIZE_MAX >> 2))
        return ARAYON_EINVAL;
    if ((unsigned)cfg.bind > ARAYON_BIND_LIST ||
        (cfg.bind == ARAYON_BIND_LIST && (!cfg.bind_pus || !cfg.num_bind_pus)))
        return ARAYON_EINVAL;
    if (cfg.stack_size == 0)
        cfg.stack_size = DEFAULT_STACK;
    else if (cfg.stack_size < MIN_STACK)
        return ARAYON_EINVAL;
    if (!cfg.fiber_stack_size)
        cfg.fiber_stack_size = ary_env_fiber_stack();
    if (ary_fiber_check_config(&cfg) != ARAYON_OK)
        return ARAYON_EINVAL;
    unsigned spin_us = cfg.spin_us ? cfg.spin_us : ary_env_spin_us();
    if (!spin_us)
        spin_us = DEFAULT_SPIN_US;
    cfg.spin_us = spin_us;

    ary_pool *p = aligned_alloc(ARY_CACHELINE, round_up(sizeof *p, ARY_CACHELINE));
    if (!p)
        return ARAYON_ENOMEM;
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->ext_lock, NULL);
    pthread_mutex_init(&p->shutdown_lock, NULL);
    pthread_mutex_init(&p->async_lock, NULL);
    int rc = ary_topo_open(&cfg, &p->topo);
    if (rc != ARAYON_OK) {
        pool_free(p);
        return rc;
    }
    /* Automatic thread counts follow the loaded topology (a synthetic 16-core machine gets 16
     * workers with the cpu_bound preset). */
    unsigned n = cfg.num_threads;
    if (!n)
        n = ary_env_num_threads();
    if (!n) {
        unsigned cores = ary_topo_cores(p->topo), pus = ary_topo_pus(p->topo);
        n = cfg.auto_threads == ARAYON_AUTO_CORES       ? cores
            : cfg.auto_threads == ARAYON_AUTO_TWICE_CORES ? 2 * cores
                                                        : pus;
    }
    if (n > ARAYON_MAX_THREADS)
        n = ARAYON_MAX_THREADS;
    if (!n)
        n = 1;
    cfg.num_threads = n;
    const unsigned nstart = lazy ? 0 : n; /* lazy: every thread starts on demand (gangs) */
    if (nspare > ARAYON_MAX_THREADS - n)
        nspare = ARAYON_MAX_THREADS - n;
    n += nspare;
    const unsigned nthreads = n;
    if (nguests > ARAYON_MAX_THREADS - n)
        nguests = ARAYON_MAX_THREADS - n;
    n += nguests; /* worker records: the threads, the spare ones, then the guest slots */
    p->nthreads = nthreads;
    p->nspare = nspare;
    p->gang_only = gang_only;
    rc = ary_topo_place(p->topo, &cfg, n, &p->pl);
    if (rc != ARAYON_OK) {
        pool_free(p);
        return rc;
    }
    unsigned nodes = p->pl.nnodes;
    p->workers = aligned_alloc(ARY_CACHELINE, round_up(n * sizeof(ary_worker), ARY_CACHELINE));
    p->inj = aligned_alloc(ARY_CACHELINE, round_up(nodes * sizeof(ary_injector), ARY_CACHELINE));
    p->bind_status = calloc(n, sizeof *p->bind_status);
    p->mem_status = calloc(n, sizeof *p->mem_status);
    if (!p->workers || !p->inj || !p->bind_status || !p->mem_status) {
        pool_free(p);
        return ARAYON_ENOMEM;
    }
    memset(p->workers, 0, n * sizeof(ary_worker));
    for (unsigned k = 0; k < nodes; k++)
        ary_inject_init(&p->inj[k]);
    p->fiber_stack = ary_fiber_stack_size(&cfg);
    p->cfg = cfg;
    p->cfg.bind_pus = NULL; /* the caller's array is not kept: the placement has the PUs */
    p->cfg.topology = NULL;
    p->spin_ns = spin_us * 1000u;
    p->task_timeout_ns = cfg.task_timeout_ns;
    for (unsigned i = 0; i < n; i++) {
        ary_worker *w = &p->workers[i];
        p->nworkers = i + 1; /* pool_free frees what was made so far */
        w->taken_from = calloc(nodes, sizeof *w->taken_from);
        if (!w->taken_from || ary_deque_init(&w->deque, DEQUE_INITIAL) != 0) {
            pool_free(p);
            return ARAYON_ENOMEM;
        }
        ary_inject_init(&w->inbox);
        w->index = i;
        w->pool = p;
        w->node = p->pl.worker_node[i];
        w->rng = 0x9E3779B97F4A7C15ull * (i + 1) ^ (uint64_t)(uintptr_t)p;
        if (!w->rng)
            w->rng = 1;
        p->bind_status[i] = 1; /* not attempted (yet) */
        /* The deque lives on the worker's node (verified; ENOTSUP on one-node machines). Its
         * cell slabs are placed when the worker allocates them (cell.c). */
        ary_deque_array *a = atomic_load_explicit(&w->deque.array, memory_order_relaxed);
        atomic_init(&p->mem_status[i], 1);
        ary_note_membind(p, i,
                         ary_topo_membind(p->topo, &p->pl, a,
                                          sizeof *a + (size_t)(a->mask + 1) * sizeof(a->slot[0]),
                                          w->node));
    }
    ary_sleep_init(p);
    ary_admit_init(p);
    rc = ary_offw_init(p); /* blocking threads and timers: none started yet */
    if (rc != ARAYON_OK) {
        pool_free(p);
        return rc;
    }
    atomic_init(&p->refs, 1); /* the owner; each thread adds its own (start_thread) */
    atomic_init(&p->aborted, 0);
    p->created_ns = aryd_now_ns();
    atomic_init(&p->state, ARY_POOL_RUNNING);
    atomic_init(&p->closed, 0);
    atomic_init(&p->late_spawning, 0);
    atomic_init(&p->started, 0);

    for (unsigned i = 0; i < nstart; i++) {
        if (start_thread(p, &p->workers[i]) != ARAYON_OK) {
            stop_and_join(p);
            ary_pool_unref(p);
            return ARAYON_ESYSTEM;
        }
    }
    /* Wait until every worker runs and is bound, so that the placement report is complete. */
    for (uint32_t k; (k = atomic_load_explicit(&p->started, memory_order_acquire)) < nstart;)
        aryd_futex_wait(&p->started, k, 0);
    if (ary_env_display())
        arayon_pool_print_topology(p, write_stderr, NULL);
    ary_trace_env_start(p); /* ARAYON_TRACE */
    ary_metrics_env_start(p); /* ARAYON_METRICS */
    if (ary_env_latency()) /* ARAYON_LATENCY */
        arayon_pool_latency_enable(p, true);
    *out = p;
    return ARAYON_OK;
}

int arayon_pool_create(const arayon_config_t *cfg, arayon_pool_t **out)
{
    return pool_create(cfg, 0, 0, false, false, out);
}

int ary_pool_create_ex(const arayon_config_t *cfg, unsigned nspare, unsigned nguests,
                       bool gang_only, ary_pool **out)
{
    return pool_create(cfg, nspare, nguests, gang_only, false, out);
}

int ary_pool_create_lazy(const arayon_config_t *cfg, unsigned nspare, unsigned nguests,
                         ary_pool **out)
{
    return pool_create(cfg, nspare, nguests, true, true, out);
}

unsigned ary_pool_set_thread_stack(ary_pool *p, size_t size)
{
    pthread_mutex_lock(&p->shutdown_lock); /* start_thread reads it under this lock */
    p->cfg.stack_size = size < MIN_STACK ? MIN_STACK : size;
    unsigned started = 0;
    for (unsigned i = 0; i < p->nthreads; i++)
        started += has_thread(&p->workers[i]);
    pthread_mutex_unlock(&p->shutdown_lock);
    return started;
}

/* Late spawns and the close are a Dekker pair (seq_cst both sides): a spawner counts itself
 * in late_spawning, then reads closed; close_queues sets closed, then waits for
 * late_spawning to drop to zero. So either the spawner sees closed (and is refused), or the
 * close waits until its task is queued, and the final drain finds it. */
bool ary_late_spawn_begin(ary_pool *p)
{
    if (!ary_in_blocking_task(p))
        return false;
    atomic_fetch_add_explicit(&p->late_spawning, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&p->closed, memory_order_seq_cst)) {
        ary_late_spawn_end(p);
        return false;
    }
    return true;
}

static void close_queues(ary_pool *p)
{
    atomic_store_explicit(&p->closed, 1, memory_order_seq_cst);
    while (atomic_load_explicit(&p->late_spawning, memory_order_seq_cst))
        aryd_yield();
}

static bool inside_pool(const ary_pool *p)
{
    ary_worker *w = ary_tls_worker;
    return (w && w->pool == p) || ary_in_blocking_task((ary_pool *)p); /* (blocking.c) */
}

int arayon_pool_shutdown_timeout(arayon_pool_t *pool, uint64_t timeout_ns)
{
    if (!pool)
        return ARAYON_EINVAL;
    if (inside_pool(pool))
        return ARAYON_EBUSY;
    uint64_t deadline = aryd_deadline_after(timeout_ns);
    if (!deadline && timeout_ns == 0)
        deadline = aryd_now_ns(); /* no time at all: abort at once if not drained */
    pthread_mutex_lock(&pool->shutdown_lock);
    int rc = ARAYON_OK;
    if (!atomic_load_explicit(&pool->joined, memory_order_acquire)) {
        begin_shutdown(pool);
        if (wait_drained(pool, deadline)) {
            for (unsigned i = 0; i < pool->nthreads; i++)
                if (has_thread(&pool->workers[i]))
                    pthread_join(pool->workers[i].thread, NULL);
            ary_blocking_join(pool, 0);
        } else {
            uint64_t cancelled_before;
            unsigned left = abort_and_detach(pool, &cancelled_before);
            /* From here no spawn is taken: what a task left running spawns is refused
             * (counted as rejected), not queued where nothing would run it (fault 11). */
            close_queues(pool);
            /* Blocking threads: the same grace for their running tasks (queued ones finish
             * as cancelled meanwhile). */
            left += ary_blocking_join(pool, aryd_now_ns() + JOIN_GRACE_NS);
            drain_queues(pool);
            arayon_stats_t st;
            arayon_pool_stats(pool, &st);
            /* Cancelled so far, left running, and still queued (jobs drain_queues could not
             * finish: resume entries of started suspendable tasks, for a worker that returns). */
            atomic_store_explicit(&pool->abandoned,
                                  st.cancelled - cancelled_before + left + st.queued,
                                  memory_order_relaxed);
            rc = ARAYON_ETIMEDOUT;
        }
        atomic_store_explicit(&pool->joined, true, memory_order_release);
    }
    pthread_mutex_unlock(&pool->shutdown_lock);
    return rc;
}

int arayon_pool_shutdown(arayon_pool_t *pool)
{
    if (!pool)
        return ARAYON_EINVAL;
    if (inside_pool(pool))
        return ARAYON_EBUSY;
    pthread_mutex_lock(&pool->shutdown_lock);
    if (!atomic_load_explicit(&pool->joined, memory_order_acquire))
        stop_and_join(pool);
    pthread_mutex_unlock(&pool->shutdown_lock);
    return ARAYON_OK;
}

void arayon_pool_destroy(arayon_pool_t **pp)
{
    if (!pp || !*pp)
        return;
    ary_pool *p = *pp;
    if (inside_pool(p))
        return;
    arayon_pool_shutdown(p);
    ary_trace_env_finish(p); /* ARAYON_TRACE: the workers are joined */
    ary_metrics_env_finish(p); /* ARAYON_METRICS */
    *pp = NULL;
    ary_ext_cache_flush(p);
    ary_pool_unref(p);
}

unsigned arayon_pool_num_threads(const arayon_pool_t *pool)
{
    unsigned n = 0;
    for (unsigned i = 0; pool && i < pool->nthreads; i++)
        n += has_thread(&pool->workers[i]);
    return n;
}

unsigned arayon_pool_num_nodes(const arayon_pool_t *pool) { return pool ? pool->pl.nnodes : 0; }

int arayon_pool_worker_node(const arayon_pool_t *pool, unsigned worker)
{
    if (!pool || worker >= pool->nworkers)
        return ARAYON_EINVAL;
    return (int)pool->pl.worker_node[worker];
}

int arayon_pool_worker_pu(const arayon_pool_t *pool, unsigned worker)
{
    if (!pool || worker >= pool->nworkers)
        return ARAYON_EINVAL;
    return pool->pl.worker_pu[worker];
}

void ary_note_membind(ary_pool *p, unsigned worker, int rc)
{
    if (atomic_load_explicit(&p->mem_status[worker], memory_order_relaxed) != ARAYON_ESYSTEM)
        atomic_store_explicit(&p->mem_status[worker], rc, memory_order_relaxed);
    if (rc == ARAYON_ESYSTEM) {
        static atomic_flag said = ATOMIC_FLAG_INIT;
        if (!atomic_flag_test_and_set(&said)) /* never silently; details in print_topology */
            fprintf(stderr, "arayon: worker %u: memory could not be placed on its NUMA node\n",
                    worker);
    }
}

int arayon_pool_print_topology(const arayon_pool_t *pool, arayon_write_fn write, void *ctx)
{
    if (!pool || !write)
        return ARAYON_EINVAL;
    int rc = ary_topo_print(pool->topo, &pool->pl, pool->bind_status, write, ctx);
    if (rc != ARAYON_OK || pool->pl.nnodes < 2)
        return rc;
    /* Where each worker's deque and cells are (checked with hwloc's page locations). */
    char line[160];
    for (unsigned i = 0; i < pool->nworkers; i++) {
        int m = atomic_load_explicit(&pool->mem_status[i], memory_order_relaxed);
        int k = snprintf(line, sizeof line, "  worker %u memory (deque, cells) on node %u: %s\n", i,
                         pool->pl.worker_node[i],
                         m == ARAYON_OK        ? "placed and verified"
                         : m == ARAYON_ESYSTEM ? "FAILED (pages elsewhere or binding refused)"
                                               : "not placed (not this machine, or not supported)");
        if (write(line, (size_t)k, ctx) != 0)
            return ARAYON_EFAILED;
    }
    return ARAYON_OK;
}

bool arayon_in_worker(void) { return ary_tls_worker != NULL; }

int arayon_worker_index(void)
{
    ary_worker *w = ary_tls_worker;
    return w ? (int)w->index : -1;
}
