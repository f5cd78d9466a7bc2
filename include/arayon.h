/*
 * arayon.h - the native arayon task runtime API.
 *
 * Conventions
 *   - Every function that can fail returns int: ARAYON_OK (0) or a negative ARAYON_E* code
 *     from the single list below; arayon_strerror() turns any of them into text.
 *   - Handles are opaque. Functions that free a handle take its address and set it to NULL.
 *   - "Context" in each comment says who may call the function:
 *       any thread      - a worker, a task, or a thread that is not part of any pool;
 *       outside tasks   - a thread that is not currently running a task of this pool;
 *       owner           - the thread or task that created the object.
 *     A call from the wrong context returns ARAYON_EINVAL (or ARAYON_EBUSY when the call
 *     would deadlock); it never aborts.
 *
 * Thread safety: all functions are thread-safe unless the context line says otherwise.
 */
#ifndef ARAYON_H
#define ARAYON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arayon/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ARAYON_BUILDING) && defined(__GNUC__)
#define ARAYON_API __attribute__((visibility("default")))
#else
#define ARAYON_API
#endif

/* ---------------------------------------------------------------------------------------
 * Errors: one list, X-macro generated, so codes and messages never drift apart.
 * ------------------------------------------------------------------------------------- */
#define ARAYON_ERRNO_MAP(X)                                                                  \
    X(EINVAL, -1, "invalid argument or call from the wrong context")                        \
    X(ENOMEM, -2, "out of memory")                                                          \
    X(EAGAIN, -3, "rejected by admission control: too many pending tasks")                  \
    X(ECANCELED, -4, "task was cancelled before it ran")                                    \
    X(ETIMEDOUT, -5, "timed out")                                                           \
    X(ESHUTDOWN, -6, "pool is shutting down or shut down")                                  \
    X(EFAILED, -7, "task reported failure (non-zero return)")                               \
    X(EBUSY, -8, "resource busy: the call would deadlock or the object is in use")          \
    X(ENOTSUP, -9, "operation not supported on this platform or build")                     \
    X(ESYSTEM, -10, "operating system call failed")

enum {
    ARAYON_OK = 0,
#define ARAYON_X_ENUM(name, val, msg) ARAYON_##name = (val),
    ARAYON_ERRNO_MAP(ARAYON_X_ENUM)
#undef ARAYON_X_ENUM
};

/* Context: any thread. Never returns NULL; unknown codes give "unknown error". */
ARAYON_API const char *arayon_strerror(int err);
/* Context: any thread. The symbolic name, e.g. "ARAYON_EINVAL". */
ARAYON_API const char *arayon_errname(int err);

/* ---------------------------------------------------------------------------------------
 * Handles and task functions
 * ------------------------------------------------------------------------------------- */
typedef struct arayon_pool arayon_pool_t;   /* opaque: a set of worker threads */
typedef struct arayon_scope arayon_scope_t; /* opaque: a task group; ends by waiting */
typedef struct arayon_task arayon_task_t;   /* opaque, reference-counted task handle */

/* A task body. Return 0 for success; any other value marks the task failed
 * (waits then report ARAYON_EFAILED; arayon_task_result() gives the raw value). */
typedef int (*arayon_fn)(void *arg);

/* Output sink of the printers (metrics, topology): returns 0 to go on, non-zero to stop (the
 * printer then returns ARAYON_EFAILED). The library never writes to a stream of its own. */
typedef int (*arayon_write_fn)(const char *buf, size_t len, void *ctx);

/* ---------------------------------------------------------------------------------------
 * Pool configuration
 * ------------------------------------------------------------------------------------- */
#define ARAYON_MAX_THREADS 4096u

/* What a spawn does when max_pending tasks are already pending (admission control). */
typedef enum arayon_full_policy {
    /* Wait for room. Outside the pool the thread blocks (at most max_pending_wait_ns when
     * that is not 0, then ARAYON_EAGAIN). A worker never blocks: it runs other queued tasks
     * until room appears, and when there are none it runs the new task itself at once, so
     * nested spawning cannot deadlock. */
    ARAYON_FULL_BLOCK = 0,
    /* Return ARAYON_EAGAIN at once; nothing is allocated and the task never runs. */
    ARAYON_FULL_REJECT = 1,
    /* Run the task immediately on the spawning thread, as libomp's throttling does. */
    ARAYON_FULL_RUN_INLINE = 2,
} arayon_full_policy_t;

/* Worker placement (topology layer, hwloc). */
typedef enum arayon_bind {
    ARAYON_BIND_NONE = 0,   /* no binding (default); workers are still grouped by NUMA node */
    ARAYON_BIND_CLOSE = 1,  /* fill a core's PUs, then its neighbours, then the next node */
    ARAYON_BIND_SPREAD = 2, /* round-robin across NUMA nodes (packages when one node each) */
    ARAYON_BIND_LIST = 3,   /* worker i on OS PU bind_pus[i % num_bind_pus] */
} arayon_bind_t;

/* What num_threads = 0 means (the presets set it). */
typedef enum arayon_auto_threads {
    ARAYON_AUTO_PUS = 0,          /* one worker per usable PU (hardware thread): default */
    ARAYON_AUTO_CORES = 1,        /* one per core: arayon_config_cpu_bound() */
    ARAYON_AUTO_TWICE_CORES = 2,  /* two per core: arayon_config_io_bound() */
} arayon_auto_threads_t;

/* Default bound on pending tasks in every preset (about 20 MiB of task records). */
#define ARAYON_DEFAULT_MAX_PENDING ((size_t)262144)

typedef struct arayon_config {
    unsigned num_threads; /* workers; 0 = automatic: ARAYON_NUM_THREADS, else auto_threads */
    arayon_auto_threads_t auto_threads; /* counted in the pool's topology at creation */
    size_t stack_size;    /* worker stack in bytes; 0 = 8 MiB. Minimum 64 KiB. */
    unsigned spin_us;     /* how long an idle worker looks for work before it parks;
                             0 = default (50 us); ARAYON_SPIN_US overrides the default */
    const char *name;     /* optional pool name used for thread names; may be NULL */
    uint64_t task_timeout_ns; /* default deadline of every task, from its spawn; 0 = none.
                                 arayon_spawn_opts_t.timeout_ns overrides it per task. */
    size_t max_pending;       /* bound on pending tasks (spawned, not finished); 0 = no bound.
                                 Default ARAYON_DEFAULT_MAX_PENDING (ARAYON_MAX_PENDING).
                                 Workers cache admission credits (runtime/admit.c): with a
                                 bound of 64 per worker or more, up to 1/8 of it may be
                                 held by busy workers; smaller bounds are exact. */
    arayon_full_policy_t full_policy; /* when the bound is reached; default ARAYON_FULL_BLOCK */
    uint64_t max_pending_wait_ns;     /* ARAYON_FULL_BLOCK: longest wait for room, 0 = forever */
    arayon_bind_t bind;               /* worker placement; default ARAYON_BIND_NONE */
    const unsigned *bind_pus;         /* ARAYON_BIND_LIST: OS PU numbers (copied at create) */
    unsigned num_bind_pus;
    const char *topology;             /* NULL: this machine (hwloc also honours HWLOC_XMLFILE
                                         and HWLOC_SYNTHETIC). "synthetic:<description>", e.g.
                                         "synthetic:pack:2 numa:1 core:4 pu:2", or
                                         "xml:<path>": a machine that is not this one (threads
                                         are then grouped by it but never bound). */
    unsigned max_blocking_threads;    /* most threads running blocking tasks at once
                                         (arayon_spawn_blocking); 0 = default 64; at most
                                         ARAYON_MAX_THREADS. They start when needed. */
    uint64_t blocking_idle_ns;        /* a blocking thread with nothing to run for this long
                                         exits; 0 = default 5 s */
    size_t fiber_stack_size;          /* stack of each suspendable task (arayon_spawn_async),
                                         reserved, committed as it is touched; 0 = default
                                         64 KiB (ARAYON_FIBER_STACK); 16 KiB .. 256 MiB */
    /* Later releases add fields here. Always start from one of the arayon_config_* functions
     * so new fields get their defaults. */
} arayon_config_t;

/* Context: any thread. Defaults: automatic thread count, 8 MiB stacks. */
ARAYON_API arayon_config_t arayon_config_default(void);
/* Context: any thread. One worker per physical core (counted when the pool is created, in
 * its topology). */
ARAYON_API arayon_config_t arayon_config_cpu_bound(void);
/* Context: any thread. Two workers per physical core (tasks that block now and then). */
ARAYON_API arayon_config_t arayon_config_io_bound(void);

/* ---------------------------------------------------------------------------------------
 * Pools
 * ------------------------------------------------------------------------------------- */
/* Creates a pool and starts its workers (each bound as cfg->bind says, before this returns).
 * cfg may be NULL (= arayon_config_default()). Errors: EINVAL (out NULL, num_threads >
 * ARAYON_MAX_THREADS, stack_size < 64 KiB, full_policy or bind out of range, max_pending >
 * 2^62 - 1, ARAYON_BIND_LIST without PUs or with a PU not in the topology, a malformed
 * cfg->topology, max_blocking_threads > ARAYON_MAX_THREADS), ENOMEM, ESYSTEM (a thread
 * could not be started; nothing is leaked).
 * Context: any thread. */
ARAYON_API int arayon_pool_create(const arayon_config_t *cfg, arayon_pool_t **out);

/* Stops accepting tasks from outside the pool, runs every task already spawned (tasks that
 * are running may still spawn, so that they can finish their work), then joins the workers.
 * Blocking tasks count as tasks here (their threads are joined too); timers that have not
 * fired are cancelled at once (arayon_spawn_after). Idempotent: a second call returns
 * ARAYON_OK at once.
 * Errors: EINVAL (NULL pool), EBUSY (called from inside one of the pool's tasks: it
 * would wait for itself). Context: outside tasks of this pool. */
ARAYON_API int arayon_pool_shutdown(arayon_pool_t *pool);

/* As arayon_pool_shutdown, but when timeout_ns passes first it cancels every task that has
 * not started (they finish as ARAYON_ECANCELED, never run), makes arayon_cancelled() true in
 * running ones, lets the workers drain the queues (as cancelled: at most 100 ms), gives the
 * running tasks 10 ms to return, takes whatever is still queued off the queues itself
 * (behind a worker that does not return: those tasks finish as cancelled, and are counted,
 * before the call returns), and returns ARAYON_ETIMEDOUT. A worker stuck in a task that
 * never returns is left behind: it finishes on its own and the pool's memory is reclaimed
 * when it does. The metrics field `abandoned` counts the tasks cancelled this way plus the
 * tasks left running (suspended tasks tied to such a worker stay pending: they resume only
 * if it returns). ARAYON_OK when everything finished in time. Errors: EINVAL, EBUSY (from inside
 * the pool). Context: outside tasks. */
ARAYON_API int arayon_pool_shutdown_timeout(arayon_pool_t *pool, uint64_t timeout_ns);

/* Shuts the pool down if needed, then frees it and sets *pool = NULL. Task handles that are
 * still held stay valid (they keep the pool's memory alive until released). NULL or
 * *pool == NULL is a no-op; a call from inside one of the pool's tasks does nothing.
 * Context: outside tasks of this pool. */
ARAYON_API void arayon_pool_destroy(arayon_pool_t **pool);

/* Context: any thread. 0 for a NULL pool. */
ARAYON_API unsigned arayon_pool_num_threads(const arayon_pool_t *pool);

/* NUMA nodes the pool's workers are grouped in (1 without topology). 0 for NULL. */
ARAYON_API unsigned arayon_pool_num_nodes(const arayon_pool_t *pool);
/* The node index of a worker, or ARAYON_EINVAL. */
ARAYON_API int arayon_pool_worker_node(const arayon_pool_t *pool, unsigned worker);
/* The OS PU a worker is bound to (or placed on, when not bound), -1 when unknown, or
 * ARAYON_EINVAL. */
ARAYON_API int arayon_pool_worker_pu(const arayon_pool_t *pool, unsigned worker);

/* Writes the resolved topology, the worker -> PU -> node map, each worker's steal order and
 * whether binding and memory placement took effect. ARAYON_DISPLAY_ENV=1 prints the same to
 * stderr when a pool is created. Errors: EINVAL, EFAILED (write returned non-zero). */
ARAYON_API int arayon_pool_print_topology(const arayon_pool_t *pool, arayon_write_fn write,
                                          void *ctx);

/* ---------------------------------------------------------------------------------------
 * Metrics
 * ------------------------------------------------------------------------------------- */
/* A snapshot of the pool's counters, cheap to take (no stop-the-world: per-worker counters
 * summed on read). Each counter is exact once the pool is quiescent; while tasks run it is a
 * recent value. Invariant: spawned == completed + failed + cancelled + timed_out + pending
 * (rejected spawns were never spawned). A task is counted before its waiters are released,
 * so the sum holds for a snapshot taken after the waits that cover all tasks, or after
 * shutdown, with pending == 0. */
/* Latency histograms (log2 buckets): bucket 0 counts durations below 2 ns, bucket k >= 1
 * those in [2^k, 2^(k+1)) ns; the last bucket also holds everything longer. */
#define ARAYON_LATENCY_BUCKETS 40
typedef struct arayon_histogram {
    uint64_t count;                          /* durations recorded */
    uint64_t sum_ns;                         /* their sum */
    uint64_t bucket[ARAYON_LATENCY_BUCKETS];
} arayon_histogram_t;

typedef struct arayon_latency {
    arayon_histogram_t wait; /* spawn -> start: time in queues (and waiting for admission) */
    arayon_histogram_t run;  /* start -> end: time running the task's function */
} arayon_latency_t;

typedef struct arayon_metrics {
    unsigned num_threads;
    uint64_t active;         /* workers running a task now (not idle) */
    uint64_t queued;         /* tasks waiting in deques and the injection queue (and
                                blocking tasks waiting for a blocking thread) */
    uint64_t pending;        /* spawned and not finished: queued, running or waiting */
    uint64_t peak_pending;   /* highest pending seen: an upper bound (it includes admission
                                credits cached by workers), never above max_pending */
    uint64_t max_pending;    /* the bound; 0 = unbounded */
    uint64_t spawned;        /* tasks accepted by spawn calls (including run inline) */
    uint64_t completed;      /* ran and returned 0 */
    uint64_t failed;         /* ran and returned non-zero */
    uint64_t cancelled;      /* finished as ARAYON_ECANCELED without running */
    uint64_t timed_out;      /* finished as ARAYON_ETIMEDOUT: deadline passed */
    uint64_t rejected;       /* spawn calls refused (shutdown, admission): never spawned */
    uint64_t run_inline;     /* run on the spawning thread because the pool was full */
    uint64_t steals;         /* tasks taken from another worker's deque */
    uint64_t steal_attempts; /* deques probed by thieves */
    uint64_t injected;       /* tasks spawned from outside the pool */
    uint64_t parks;          /* times a worker went to sleep */
    uint64_t wakeups;        /* times a sleeping worker was woken */
    uint64_t busy_ns;        /* sum over workers of time not idle (running or helping) */
    uint64_t uptime_ns;      /* since the pool was created */
    uint64_t abandoned;      /* cancelled or left running by a shutdown deadline */
    /* Blocking tasks and timers (arayon_spawn_blocking, arayon_spawn_after/every). They are
     * tasks like the others: also counted in spawned, pending, completed, failed, ... above;
     * blocking tasks waiting for a thread are also in queued. */
    uint64_t blocking_spawned;      /* blocking tasks accepted (including run inline) */
    uint64_t blocking_running;      /* blocking tasks running on a blocking thread now */
    uint64_t blocking_queued;       /* blocking tasks waiting for a blocking thread */
    uint64_t blocking_threads;      /* blocking threads alive now */
    uint64_t blocking_threads_peak; /* most blocking threads alive at once so far */
    uint64_t timers_spawned;        /* delayed and periodic tasks accepted */
    uint64_t timers_pending;        /* timers waiting for their next deadline */
    uint64_t timers_fired;          /* deadlines reached (each run of a periodic task) */
    uint64_t blocking_waits;        /* arayon_sleep / arayon_wait_fd calls that held a worker's
                                       thread (a plain task waiting: see "Waiting" below) */
    /* Suspendable tasks (arayon_spawn_async): also counted in spawned, pending, ... above. */
    uint64_t async_spawned;         /* suspendable tasks accepted */
    uint64_t suspended;             /* suspensions so far (a sleep, await, fd wait or yield
                                       that gave the worker back) */
    uint64_t resumed;               /* suspended tasks run again */
    uint64_t parked;                /* suspended now: waiting for a timer, fd, task, or
                                       queued to resume */
    uint64_t stacks_in_use;         /* stacks held by started, unfinished suspendable tasks */
    uint64_t stacks_cached;         /* stacks kept for reuse (reserved, mostly not resident) */
    /* Task latencies, recorded only while arayon_pool_latency_enable (or ARAYON_LATENCY=1)
     * has it on: all zero otherwise. */
    arayon_latency_t latency;
} arayon_metrics_t;

/* Context: any thread, including a monitor callback. Errors: EINVAL. */
ARAYON_API int arayon_pool_metrics(const arayon_pool_t *pool, arayon_metrics_t *out);

/* Turns latency recording on or off for the tasks spawned from now on. While it is on, each
 * task's queue wait (spawn to start; tasks run inline have none) and run time (start to end)
 * go into the histograms of arayon_metrics_t.latency. It costs three clock reads per task
 * (about 60 ns here); off, it costs nothing (the spawn path's one tracing branch covers it).
 * ARAYON_LATENCY=1 turns it on for every pool at creation. Errors: EINVAL (NULL).
 * Context: any thread. */
ARAYON_API int arayon_pool_latency_enable(arayon_pool_t *pool, bool on);

/* The smallest bucket bound b (in ns, a power of two) with at least q (0..1) of the counted
 * tasks at or below it: an upper bound of the q-quantile within a factor of 2. 0 when
 * nothing was counted or q is out of range. */
ARAYON_API uint64_t arayon_latency_quantile(const arayon_histogram_t *h, double q);

/* The same snapshot under its first name. */
typedef arayon_metrics_t arayon_stats_t;
ARAYON_API int arayon_pool_stats(const arayon_pool_t *pool, arayon_stats_t *out);

/* Per NUMA node (topology layer). Steals are local when thief and victim share the node. */
typedef struct arayon_node_metrics {
    unsigned node;                 /* index 0 .. arayon_pool_num_nodes() - 1 */
    int os_index;                  /* hwloc's OS index of the node, -1 unknown */
    unsigned workers;              /* workers placed on this node */
    uint64_t tasks_executed;       /* finished by this node's workers */
    uint64_t local_steals;         /* this node's workers stealing from the same node */
    uint64_t remote_steals;        /* this node's workers stealing from other nodes */
    uint64_t spawned_here_run_elsewhere; /* queued on this node, taken by another node's worker */
    uint64_t busy_ns;
} arayon_node_metrics_t;

/* Errors: EINVAL (NULL, node out of range). Context: any thread. */
ARAYON_API int arayon_pool_node_metrics(const arayon_pool_t *pool, unsigned node,
                                        arayon_node_metrics_t *out);

/* One worker's share, for profiling. */
typedef struct arayon_worker_metrics {
    unsigned index;
    bool active;             /* running a task now */
    uint64_t executed;       /* tasks finished on this worker, any outcome */
    uint64_t spawned;        /* spawned by tasks running on this worker */
    uint64_t steals, steal_attempts, injected_taken, parks, wakeups, run_inline, rejected;
    uint64_t queued;         /* tasks in this worker's deque now */
    uint64_t busy_ns;
} arayon_worker_metrics_t;

/* Errors: EINVAL (NULL, worker >= num_threads). Context: any thread. */
ARAYON_API int arayon_pool_worker_metrics(const arayon_pool_t *pool, unsigned worker,
                                          arayon_worker_metrics_t *out);

/* busy time over thread time since the pool started, in [0, 1] */
ARAYON_API double arayon_metrics_utilization(const arayon_metrics_t *m);
/* pending / max_pending, 0 when unbounded */
ARAYON_API double arayon_metrics_queue_pressure(const arayon_metrics_t *m);
/* completed / finished (completed + failed + cancelled + timed_out), 1 when none finished */
ARAYON_API double arayon_metrics_success_rate(const arayon_metrics_t *m);

typedef enum arayon_metrics_format {
    ARAYON_METRICS_TEXT = 0,       /* a short summary line, then one line per counter */
    ARAYON_METRICS_JSON = 1,       /* one JSON object */
    ARAYON_METRICS_PROMETHEUS = 2, /* Prometheus text exposition, counters as *_total */
} arayon_metrics_format_t;
/* Renders m. The library never writes to a stream of its own. Errors: EINVAL (NULL m or
 * write, unknown format), EFAILED (write returned non-zero). Context: any thread. */
ARAYON_API int arayon_metrics_print(const arayon_metrics_t *m, arayon_write_fn write, void *ctx,
                                    arayon_metrics_format_t format);

/* Takes a snapshot of the pool and renders it like arayon_metrics_print, followed by the
 * per-NUMA-node figures (arayon_node_metrics_t): a table in TEXT, a "nodes" array in JSON,
 * series labelled {node="k"} in PROMETHEUS. Errors as arayon_metrics_print. */
ARAYON_API int arayon_pool_metrics_print(const arayon_pool_t *pool, arayon_write_fn write,
                                         void *ctx, arayon_metrics_format_t format);

/* ---------------------------------------------------------------------------------------
 * Monitoring: a callback with a fresh snapshot every period, from a thread of its own.
 * ------------------------------------------------------------------------------------- */
typedef struct arayon_monitor arayon_monitor_t;
typedef void (*arayon_monitor_fn)(const arayon_metrics_t *m, void *user);

/* Starts calling cb every period_ns (at least 1 ms). The monitor keeps the pool's memory
 * alive, so a pool destroyed first is reported as stopped. Errors: EINVAL, ENOMEM, ESYSTEM.
 * Context: any thread. */
ARAYON_API int arayon_monitor_start(arayon_pool_t *pool, uint64_t period_ns, arayon_monitor_fn cb,
                                    void *user, arayon_monitor_t **out);
/* Stops it: returns after the last callback returned; none comes after. Sets *mon = NULL.
 * Errors: EINVAL (NULL), EBUSY (called from the monitor's own callback). */
ARAYON_API int arayon_monitor_stop(arayon_monitor_t **mon);

/* ---------------------------------------------------------------------------------------
 * Tracing: a timeline of the pool's events, written as Chrome trace-event JSON (open it in
 * https://ui.perfetto.dev or chrome://tracing).
 *
 * While a trace runs, the pool records task spawns, task runs (start, end, outcome), steals
 * (thief, victim, same or other NUMA node), parks and wake-ups, throttling (a spawn blocked,
 * rejected or run inline because max_pending tasks were pending), scope begin and end,
 * cancellations and timeouts, into a fixed-size buffer per worker (no lock, no allocation
 * while recording) and one shared buffer for threads outside the pool. Recording costs one
 * well-predicted branch per event site while no trace runs.
 *
 * The file has one track per worker, named "worker N (PU p, node k)", and one per outside
 * thread that recorded; task spans ("task", args id/outcome/fn) nest on their track (a task
 * that waits runs other tasks inside its span); a spawn is a zero-length "spawn" slice with
 * the same id as the task's span, and a flow arrow joins the two when the task ran on another
 * track (stolen, or spawned from outside); counters "queued tasks" and "pending tasks" are
 * sampled by the recording workers (every counter_interval_ns) and at start and stop. The
 * environment variable ARAYON_TRACE=path.json traces every pool of an unmodified program
 * (docs/ENVIRONMENT.md).
 * ------------------------------------------------------------------------------------- */
/* What a full buffer does. */
typedef enum arayon_trace_overflow {
    ARAYON_TRACE_DROP_OLDEST = 0, /* overwrite the oldest event: the trace keeps the latest */
    ARAYON_TRACE_STOP = 1,        /* refuse new events: the buffer keeps the first ones */
} arayon_trace_overflow_t;

typedef struct arayon_trace_opts {
    size_t buffer_events;         /* events per buffer (one per worker, one for outside
                                     threads), 32 bytes each; rounded up to a power of two,
                                     at least 16, at most ARAYON_TRACE_MAX_EVENTS.
                                     0 = the default, 262144 (8 MiB per buffer) */
    arayon_trace_overflow_t overflow; /* default ARAYON_TRACE_DROP_OLDEST; dropped events are
                                     counted either way (arayon_trace_dropped) */
    uint64_t counter_interval_ns; /* a worker that records samples the counters at most this
                                     often; 0 = the default, 1 ms; at least 1 us */
    unsigned flags;               /* reserved, 0 */
} arayon_trace_opts_t;
#define ARAYON_TRACE_MAX_EVENTS ((size_t)1 << 26)

/* The defaults above. Context: any thread. */
ARAYON_API arayon_trace_opts_t arayon_trace_opts_default(void);

/* Starts recording (opts NULL = the defaults); the buffers are allocated here. Errors:
 * EINVAL (NULL pool, overflow out of range, buffer_events above ARAYON_TRACE_MAX_EVENTS,
 * flags != 0), EBUSY (a trace already runs on this pool, also one started by ARAYON_TRACE),
 * ENOMEM (nothing started). Context: any thread. */
ARAYON_API int arayon_trace_start(arayon_pool_t *pool, const arayon_trace_opts_t *opts);

/* Stops recording and writes the trace to the file at path (created or truncated). Tasks
 * still running are closed at the stop time (args "unfinished": true). The recording ends
 * and its buffers are freed whatever the result. Errors: EINVAL (NULL pool or path, no trace
 * running), ESYSTEM (the file could not be opened, written or closed: a partial file may be
 * left), ENOMEM. Context: any thread, also a task of the pool (its own task shows as
 * unfinished). */
ARAYON_API int arayon_trace_stop(arayon_pool_t *pool, const char *path);

/* As arayon_trace_stop, but hands the JSON to write in pieces (arayon_write_fn). Errors:
 * EINVAL (NULL pool or write, no trace running), EFAILED (write returned non-zero: nothing
 * more is written), ENOMEM. Context: any thread. */
ARAYON_API int arayon_trace_stop_write(arayon_pool_t *pool, arayon_write_fn write, void *ctx);

/* Events dropped so far by the running trace (overwritten or refused by full buffers), or by
 * the last one stopped when none runs; 0 for NULL or a pool never traced. The written file
 * has the same count in otherData.dropped. Context: any thread. */
ARAYON_API uint64_t arayon_trace_dropped(const arayon_pool_t *pool);

/* ---------------------------------------------------------------------------------------
 * Spawning
 * ------------------------------------------------------------------------------------- */
/* Detached task: the fastest path. The task is accounted in the pool counters only.
 * Errors: EINVAL (NULL pool or fn), ENOMEM, ESHUTDOWN (shutdown begun and the caller is
 * not one of the pool's tasks). Context: any thread. */
ARAYON_API int arayon_spawn(arayon_pool_t *pool, arayon_fn fn, void *arg);

/* Per-task options for arayon_spawn_ex. Start from ARAYON_SPAWN_OPTS_INIT. */
typedef struct arayon_spawn_opts {
    arayon_scope_t *scope; /* spawn into this scope (NULL: detached); must belong to the pool */
    uint64_t timeout_ns;   /* deadline from now; 0 = the pool's task_timeout_ns.
                              UINT64_MAX = no deadline even if the pool has a default. */
    int numa_node;         /* placement hint, -1 = anywhere (used by the topology layer) */
    unsigned flags;        /* ARAYON_TASK_* bits, 0 = a plain task */
} arayon_spawn_opts_t;

/* Spawn flags (arayon_spawn_opts_t.flags). */
/* The task is suspendable: it runs on a stack of its own (fiber_stack_size), so
 * arayon_sleep, arayon_await, arayon_wait_fd and arayon_yield suspend it and give its worker
 * back instead of blocking it ("Waiting" below). */
#define ARAYON_TASK_SUSPENDABLE 0x1u
/* With ARAYON_TASK_SUSPENDABLE: the task may resume on another worker than the one it
 * suspended on. Off by default because compilers keep the address of errno and other
 * thread-locals across calls: a migrated task would use the first thread's. Only for tasks
 * that touch no thread-local state across a wait. */
#define ARAYON_TASK_MIGRATABLE 0x2u
#define ARAYON_SPAWN_OPTS_INIT {NULL, 0, -1, 0}

/* The general spawn; the other spawn functions are thin wrappers of it. opts may be NULL
 * (= ARAYON_SPAWN_OPTS_INIT); out_or_null receives a handle when not NULL.
 * Deadlines: a task whose deadline passes before it starts never runs and finishes as
 * ARAYON_ETIMEDOUT. A running task past its deadline sees arayon_cancelled() == true and,
 * when it returns, finishes as ARAYON_ETIMEDOUT whatever it returned: C cannot preempt a
 * function, so a task that never checks runs to its end. Deadlines are checked when a task is
 * taken to run and when it returns, without a timer per task.
 * Errors: EINVAL (NULL pool or fn, a scope of another pool, unknown flags or MIGRATABLE
 * without SUSPENDABLE), ENOMEM (also: no stack could be mapped for a suspendable task; it
 * then finishes as ARAYON_EFAILED if it was already queued), ESHUTDOWN.
 * Context: any thread. */
ARAYON_API int arayon_spawn_ex(arayon_pool_t *pool, arayon_fn fn, void *arg,
                               const arayon_spawn_opts_t *opts, arayon_task_t **out_or_null);

/* A suspendable task (ARAYON_TASK_SUSPENDABLE): as arayon_spawn_ex with that flag, a handle
 * in *out_or_null when not NULL. Before it starts it is queued and stolen like any task; once
 * it has started it runs on the worker where it started (unless ARAYON_TASK_MIGRATABLE).
 * Context: any thread. */
ARAYON_API int arayon_spawn_async(arayon_pool_t *pool, arayon_fn fn, void *arg,
                                  arayon_task_t **out_or_null);

/* Task with a handle in *out (reference count 1, owned by the caller: release it).
 * Errors as arayon_spawn, plus EINVAL for out == NULL. Context: any thread. */
ARAYON_API int arayon_spawn_handle(arayon_pool_t *pool, arayon_fn fn, void *arg,
                                   arayon_task_t **out);

/* Waits for the task to finish and returns its outcome: ARAYON_OK, ARAYON_EFAILED,
 * ARAYON_ECANCELED or ARAYON_ETIMEDOUT (the task's own deadline passed). Inside a worker it runs other tasks while it waits, so it never
 * deadlocks; outside it blocks the thread. EINVAL for NULL; EBUSY when a task waits
 * for itself. Context: any thread. */
ARAYON_API int arayon_task_wait(arayon_task_t *t);

/* As arayon_task_wait, but gives up after timeout_ns (0 = just poll) with ARAYON_ETIMEDOUT.
 * It never cancels the task. (ARAYON_ETIMEDOUT is also the outcome of a task whose own
 * deadline passed; arayon_task_poll tells the two apart.) Context: any thread. */
ARAYON_API int arayon_task_wait_timeout(arayon_task_t *t, uint64_t timeout_ns);

/* ---------------------------------------------------------------------------------------
 * Waiting: time, other tasks, file descriptors (runtime/wait.c).
 *
 * All deadlines are absolute CLOCK_MONOTONIC times in ns (arayon_now_ns); the _for forms
 * take a duration. Each call returns ARAYON_OK when what it waited for happened,
 * ARAYON_ETIMEDOUT when the deadline came first, or ARAYON_ECANCELED when the calling task
 * was cancelled meanwhile (its handle, its scope, a shutdown deadline); a calling task
 * whose own deadline (a task timeout) comes first gets ARAYON_ETIMEDOUT then.
 *
 * In a suspendable task (arayon_spawn_async) they suspend it: its worker runs other tasks,
 * and the task resumes on that worker when the timer, the fd or the awaited task is ready, or
 * at once when it is cancelled or its own deadline passes. Timers have nanosecond resolution
 * (an idle worker waits for the earliest one in epoll_pwait2; a 100 us sleep is typically
 * 5-20 us late on an idle machine). A suspended task is pending: it holds its admission
 * credit (max_pending counts it) and its stack until it finishes; a shutdown deadline wakes
 * it with ARAYON_ECANCELED. FP environment changes (fesetround) do not cross a suspension.
 * When memory runs out for a wait's registration (the worker's timer heap or fd table cannot
 * grow), the task polls instead of suspending: it yields its worker between looks, sleeping
 * at most 50 us each time, until what it waits for happens (blocking_waits counts it); the
 * call's result is the same.
 *
 * Outside any task they block the calling thread. In a plain task they hold the worker's
 * thread: arayon_await helps (runs other tasks while it waits, as arayon_task_wait does),
 * arayon_sleep and arayon_wait_fd block it and are counted in the blocking_waits metric (a
 * sign the task should be suspendable); they check the calling task's cancellation and
 * deadline at least every millisecond.
 * ------------------------------------------------------------------------------------- */

#define ARAYON_NO_DEADLINE UINT64_MAX

/* CLOCK_MONOTONIC in ns: the clock of every deadline. */
ARAYON_API uint64_t arayon_now_ns(void);

/* Sleeps until deadline_ns (at once when it has passed). */
ARAYON_API int arayon_sleep_until(uint64_t deadline_ns);
ARAYON_API int arayon_sleep(uint64_t ns);

/* Waits for t to finish: returns its outcome (ARAYON_OK, ARAYON_EFAILED, ARAYON_ECANCELED,
 * ARAYON_ETIMEDOUT), or ARAYON_ETIMEDOUT / ARAYON_ECANCELED as above (t goes on then).
 * EINVAL for NULL, EBUSY for a task awaiting itself. */
ARAYON_API int arayon_await(arayon_task_t *t, uint64_t deadline_ns);
ARAYON_API int arayon_await_for(arayon_task_t *t, uint64_t timeout_ns);

/* Waits until fd is ready for events (poll(2) bits: POLLIN, POLLOUT, ...); *revents_or_null
 * gets poll's revents (POLLERR, POLLHUP and POLLNVAL included). EINVAL for fd < 0 or events
 * 0; ESYSTEM when poll fails. */
ARAYON_API int arayon_wait_fd(int fd, int events, uint64_t deadline_ns, int *revents_or_null);
ARAYON_API int arayon_wait_fd_for(int fd, int events, uint64_t timeout_ns,
                                  int *revents_or_null);

/* A scheduling point: a suspendable task goes to the back of its worker's resume queue and
 * lets other work run; in a plain task on a worker, runs one other task if one is queued
 * (nested at most a few deep); outside, yields the thread. Returns ARAYON_OK, or ARAYON_ECANCELED when the
 * calling task is cancelled. */
ARAYON_API int arayon_yield(void);

/* Requests cancellation. Idempotent. A task that has not started never runs and finishes
 * as ARAYON_ECANCELED; a running task sees arayon_cancelled() == true; a finished task is
 * unchanged. Returns ARAYON_OK, or EINVAL for NULL. Context: any thread. */
ARAYON_API int arayon_task_cancel(arayon_task_t *t);

/* ARAYON_OK if finished, ETIMEDOUT if not yet (non-blocking). Context: any thread. */
ARAYON_API int arayon_task_poll(arayon_task_t *t);

/* After completion: the value the task's function returned (0 when cancelled).
 * Errors: EINVAL (NULL handle or out), EBUSY (not finished yet). Context: any thread. */
ARAYON_API int arayon_task_result(arayon_task_t *t, int *out);

/* Takes another reference; each must be released. Context: any thread. */
ARAYON_API arayon_task_t *arayon_task_retain(arayon_task_t *t);

/* Drops one reference. Never cancels: a running or queued task still runs. NULL is a
 * no-op. Context: any thread. */
ARAYON_API void arayon_task_release(arayon_task_t *t);

/* ---------------------------------------------------------------------------------------
 * Scopes (task groups)
 * ------------------------------------------------------------------------------------- */
/* Begins a scope owned by the calling thread or task. Scopes begun inside a task nest in
 * that task's scope for cancellation. Errors: EINVAL, ENOMEM, ESHUTDOWN (from outside the
 * pool after shutdown began). Context: any thread. */
ARAYON_API int arayon_scope_begin(arayon_pool_t *pool, arayon_scope_t **out);

/* Spawns into the scope; the scope waits for this task. out_or_null receives a handle when
 * not NULL. Tasks of the scope may spawn into it too. When the scope is already cancelled the
 * spawn succeeds and the task finishes as ARAYON_ECANCELED without running.
 * Errors: EINVAL, ENOMEM, ESHUTDOWN (shutdown begun and the caller is not a task).
 * Context: any thread that can reach the scope (its owner, or one of its tasks). */
ARAYON_API int arayon_scope_spawn(arayon_scope_t *s, arayon_fn fn, void *arg,
                                  arayon_task_t **out_or_null);

/* Waits for every task spawned into the scope so far, and the ones they spawn into it.
 * Returns ARAYON_OK, or the first failure (ARAYON_EFAILED or ARAYON_ECANCELED) among
 * them. The scope stays usable. Errors: EINVAL (NULL, or not the owner).
 * Context: owner. Inside a worker it runs other tasks while it waits. */
ARAYON_API int arayon_scope_wait(arayon_scope_t *s);

/* Cancels the scope: its queued tasks never run (ECANCELED), running ones see
 * arayon_cancelled() == true, later spawns into it finish as cancelled, and scopes begun
 * inside its tasks are cancelled too, recursively. Idempotent. Context: any thread. */
ARAYON_API int arayon_scope_cancel(arayon_scope_t *s);

/* Waits (as arayon_scope_wait), frees the scope and sets *s = NULL. Returns the first
 * failure, or ARAYON_OK. Errors: EINVAL (NULL, or not the owner: the scope is untouched).
 * Context: owner. */
ARAYON_API int arayon_scope_end(arayon_scope_t **s);

/* Helper for ARAYON_SCOPE. */
ARAYON_API void arayon_scope_end_cleanup(arayon_scope_t **s);

/* ARAYON_SCOPE(name, pool) declares `arayon_scope_t *name` that is begun here and ended
 * automatically (waiting for its tasks) when the enclosing block is left. If the begin
 * fails, name is NULL and spawns into it return ARAYON_EINVAL. Needs gcc or clang. */
#if defined(__GNUC__) || defined(__clang__)
#define ARAYON_SCOPE(name, pool)                                                             \
    arayon_scope_t *name __attribute__((cleanup(arayon_scope_end_cleanup))) =               \
        arayon__scope_begin_or_null(pool)
ARAYON_API arayon_scope_t *arayon__scope_begin_or_null(arayon_pool_t *pool);
#endif

/* ---------------------------------------------------------------------------------------
 * Queries from inside tasks
 * ------------------------------------------------------------------------------------- */
/* Inside a task: true when the task, its scope, or an enclosing scope was cancelled.
 * Outside tasks: false. Context: any thread. */
ARAYON_API bool arayon_cancelled(void);

/* True when the calling thread is a worker of some pool. */
ARAYON_API bool arayon_in_worker(void);

/* The worker index (0 .. num_threads-1) of the calling thread, or -1 outside workers. */
ARAYON_API int arayon_worker_index(void);

/* Library version string, e.g. "0.1.0". */
ARAYON_API const char *arayon_version(void);

/* ---------------------------------------------------------------------------------------
 * Bulk helpers (runtime/bulk.c): loops and batches built on scopes and handles.
 *
 * Each returns ARAYON_OK or the first failure. Per-item outcomes (batch_process, par_map,
 * join_handles) go to statuses[i]: ARAYON_OK, ARAYON_EFAILED (fn returned non-zero),
 * ARAYON_ECANCELED (cancelled, or never started because the caller was cancelled) or
 * ARAYON_ETIMEDOUT (the task's deadline passed); for batch_process and par_map also the
 * spawn error of an item whose spawn was refused (ARAYON_EAGAIN under ARAYON_FULL_REJECT,
 * ARAYON_ENOMEM, ARAYON_ESHUTDOWN): that item never ran and was never counted as spawned.
 * "The first failure" of batch_process and par_map is the status of the lowest-index item
 * that did not succeed. Bad arguments give ARAYON_EINVAL and run nothing.
 * Context of all of them: any thread (inside a task they help run tasks while they wait).
 * ------------------------------------------------------------------------------------- */
typedef int (*arayon_range_fn)(void *ctx, size_t lo, size_t hi);
typedef int (*arayon_item_fn)(void *item, void *ctx);
typedef int (*arayon_map_fn)(const void *in, void *out, void *ctx);

/* Calls fn(ctx, lo, hi) on disjoint subranges covering [begin, end), split by recursive
 * halving in scopes down to `grain` indexes (0 = automatic: range / (8 * workers), at least
 * 1). Empty range: ARAYON_OK without calling fn. Once fn returned non-zero no new subrange
 * is started and the call returns ARAYON_EFAILED; when the calling task is cancelled no new
 * subrange is started and it returns ARAYON_ECANCELED. When a spawn is refused the subrange
 * runs on the spawning thread. Errors: EINVAL (NULL pool or fn, begin > end), ENOMEM or
 * ESHUTDOWN (the first scope could not be begun: nothing ran). */
ARAYON_API int arayon_parallel_for(arayon_pool_t *pool, size_t begin, size_t end, size_t grain,
                                   arayon_range_fn fn, void *ctx);

/* Runs fn(items + i * item_size, ctx) for every i < count, each item as one task of the
 * pool (one spawn in the metrics: completed, failed, cancelled or timed out), with at most
 * max_concurrent of them running at once (0 = no limit beyond the pool's own): a finished
 * item spawns the next one. When the calling task (or its scope) is cancelled, no new item
 * is started; items not started are reported ARAYON_ECANCELED. statuses_or_null, when not
 * NULL, has count entries. Holds one task handle per item until it returns (64 bytes each).
 * Errors: EINVAL (NULL pool or fn, NULL items with count > 0, item_size 0), ENOMEM, ESHUTDOWN
 * (no scope could be begun: nothing ran). */
ARAYON_API int arayon_batch_process(arayon_pool_t *pool, void *items, size_t count,
                                    size_t item_size, size_t max_concurrent, arayon_item_fn fn,
                                    void *ctx, int *statuses_or_null);

/* Runs fn(in + i * in_size, out + i * out_size, ctx) for every i < count, each as one task
 * (as arayon_batch_process with no concurrency limit). Errors: EINVAL (NULL pool or fn, NULL
 * in or out with count > 0, in_size or out_size 0), ENOMEM, ESHUTDOWN. */
ARAYON_API int arayon_par_map(arayon_pool_t *pool, const void *in, size_t count, size_t in_size,
                              void *out, size_t out_size, arayon_map_fn fn, void *ctx,
                              int *statuses_or_null);

/* Streams items from a source of unknown length through the pool, with memory for a window
 * of max_in_flight items only (one allocation per call, none per item). The calling thread
 * calls next(ctx, slot) to fill a free slot of item_size bytes (next returns false when the
 * source is exhausted; it is only ever called by the calling thread), then runs
 * fn(slot, ctx) as one task of the pool (counted in the metrics like batch_process's items),
 * at most max_in_flight at once. Once an item finished, on_done(slot, status, ctx) is called
 * exactly once for it, on the calling thread, with the same slot fn worked on (so fn can leave
 * its result there) and the item's status (as batch_process's statuses, including the spawn
 * error of an item whose spawn was refused: it never ran); the slot is then reused. With
 * ordered true the items are delivered in source order, otherwise in completion order (as
 * observed by polling). on_done may be NULL. When the calling task (or its scope) is
 * cancelled no new item is pulled; the items in flight finish and are delivered. Returns
 * ARAYON_OK or the first failure in delivery order; ARAYON_ECANCELED when a cancellation
 * stopped the pulling and no item failed. Slots are aligned for any type. Errors: EINVAL
 * (NULL pool, next or fn, item_size 0, max_in_flight 0), ENOMEM, ESHUTDOWN (no scope could
 * be begun): nothing is called then. Context: any thread (inside a task it helps run tasks
 * while it waits, so it also works on a 1-worker pool). */
typedef bool (*arayon_next_fn)(void *ctx, void *item_out);
typedef void (*arayon_done_fn)(void *item, int status, void *ctx);
ARAYON_API int arayon_stream_process(arayon_pool_t *pool, arayon_next_fn next, size_t item_size,
                                     size_t max_in_flight, arayon_item_fn fn,
                                     arayon_done_fn on_done, bool ordered, void *ctx);

/* The same with every item a suspendable task (arayon_spawn_async), for items that wait on
 * timers, sockets or other tasks: max_concurrent / max_in_flight items are in flight at
 * once, suspended while they wait, on however few workers the pool has. */
ARAYON_API int arayon_batch_process_async(arayon_pool_t *pool, void *items, size_t count,
                                          size_t item_size, size_t max_concurrent,
                                          arayon_item_fn fn, void *ctx, int *statuses_or_null);
ARAYON_API int arayon_stream_process_async(arayon_pool_t *pool, arayon_next_fn next,
                                           size_t item_size, size_t max_in_flight,
                                           arayon_item_fn fn, arayon_done_fn on_done,
                                           bool ordered, void *ctx);

/* Waits for every handle (it does not release them) and fills statuses[i] with the outcome of
 * handles[i] (as arayon_task_wait). When completion_order_or_null is not NULL it receives the
 * count indexes in the order the completions were observed: the handles are polled, and
 * between rounds the call waits (helping, inside a worker) on one unfinished handle, so
 * tasks that finish in the same round are listed in index order. Returns ARAYON_OK or the
 * first failure in completion order. A handle of the calling task itself is not waited for:
 * its status is ARAYON_EBUSY (listed when that is found out). Errors: EINVAL (NULL handles
 * or statuses, or a NULL handle, with count > 0), ENOMEM: nothing is waited for then. */
ARAYON_API int arayon_join_handles(arayon_task_t *const *handles, size_t count, int *statuses,
                                   size_t *completion_order_or_null);

/* ---------------------------------------------------------------------------------------
 * Blocking tasks and timers (runtime/blocking.c, runtime/timer.c)
 *
 * Both are tasks of the pool like the others: a spawn takes one admission credit (max_pending
 * counts them; the pool's full_policy applies), they count in the metrics (spawned,
 * completed, failed, cancelled, timed_out, pending) and in counters of their own
 * (blocking_*, timers_*), a handle works as for arayon_spawn_handle (wait, poll, cancel,
 * result, release), and the pool's task_timeout_ns applies. Inside fn, arayon_cancelled()
 * reports cancellation and the deadline as in any task. arayon_pool_shutdown waits for
 * blocking tasks; a blocking task may still spawn (tasks, blocking tasks) while the pool shuts
 * down, as a worker's task may. Timers that have not fired when shutdown begins finish as
 * ARAYON_ECANCELED without running, so a shutdown never waits for a far deadline.
 * ------------------------------------------------------------------------------------- */

/* Runs fn(arg) on one of the pool's blocking threads instead of a worker, for work that
 * sleeps or waits (files, sockets, locks): the workers keep running compute tasks meanwhile.
 * Blocking threads are started when tasks wait for one, at most max_blocking_threads of them
 * (arayon_config_t; default 64); tasks beyond that wait in a FIFO queue (metrics
 * blocking_queued); a thread idle for blocking_idle_ns (default 5 s) exits. fn runs outside
 * the workers: arayon_in_worker() is false there, and its spawns and waits are those of a
 * thread outside the pool (a wait blocks the thread). A cancelled task (its handle, its
 * scope, or a shutdown deadline) that has not started finishes as ARAYON_ECANCELED without
 * running. When the pool is full: ARAYON_FULL_REJECT refuses (ARAYON_EAGAIN);
 * ARAYON_FULL_BLOCK waits for room as arayon_spawn does (a worker runs other tasks meanwhile
 * and runs fn itself when none is queued); ARAYON_FULL_RUN_INLINE runs fn at once on the
 * calling thread. out_or_null receives a handle (release it) when not NULL; it is set to
 * NULL on error. Errors: EINVAL (NULL pool or fn), EAGAIN (admission), ENOMEM, ESHUTDOWN
 * (shutdown begun and the caller is not one of the pool's tasks), ESYSTEM (no blocking
 * thread exists and none could be started). Context: any thread. */
ARAYON_API int arayon_spawn_blocking(arayon_pool_t *pool, arayon_fn fn, void *arg,
                                     arayon_task_t **out_or_null);

/* As arayon_spawn_blocking, into scope s (the scope waits for it; cancelling the scope
 * cancels it as any task of the scope). Errors: EINVAL (NULL s or fn), then as
 * arayon_spawn_blocking. Context: any thread that can reach the scope. */
ARAYON_API int arayon_scope_spawn_blocking(arayon_scope_t *s, arayon_fn fn, void *arg,
                                           arayon_task_t **out_or_null);

/* Runs fn(arg) as a task of the pool (on a worker) once delay_ns have passed (0: as soon as
 * the timer thread sees it). Never earlier: fn starts at or after the deadline, usually
 * within tens of microseconds of it when a worker is free; delayed tasks that become due
 * together start in deadline order (equal deadlines in spawn order). All timers of a pool
 * live in one heap served by one timer thread (started at the first timer), not a thread or
 * a system timer each. The task counts as pending, and holds its admission credit, from the
 * spawn until it finishes. fn's non-zero return makes the outcome ARAYON_EFAILED. Cancelling
 * the handle before the deadline finishes the task at once as ARAYON_ECANCELED (fn never
 * runs) and frees its place; after the deadline it is cancelled as a queued task is. The
 * pool's task_timeout_ns counts from the deadline. When the pool is full: ARAYON_FULL_REJECT
 * and ARAYON_FULL_RUN_INLINE refuse with ARAYON_EAGAIN (a delayed task cannot run now);
 * ARAYON_FULL_BLOCK waits for room as arayon_spawn does, except that a worker with nothing
 * else to run gets ARAYON_EAGAIN. out_or_null as for arayon_spawn_blocking.
 * Errors: EINVAL (NULL pool or fn), EAGAIN, ENOMEM, ESHUTDOWN (shutdown begun: no timer is
 * accepted any more, also from tasks), ESYSTEM (the timer thread could not be started).
 * Context: any thread. */
ARAYON_API int arayon_spawn_after(arayon_pool_t *pool, uint64_t delay_ns, arayon_fn fn, void *arg,
                                  arayon_task_t **out_or_null);

/* Runs fn(arg) every period_ns, first after period_ns, as one task (one spawn, one
 * admission credit, one outcome) whose runs happen on the workers, one at a time. The next
 * deadline is the previous one plus period_ns; ticks missed while fn ran late are skipped,
 * never run in a burst. The task stops when fn returns non-zero (outcome ARAYON_OK;
 * arayon_task_result gives the value), when it is cancelled (ARAYON_ECANCELED; a run in
 * progress finishes first, and no run starts after), when a run passes the pool's
 * task_timeout_ns (ARAYON_ETIMEDOUT), or at shutdown (ARAYON_ECANCELED). Admission, spawn
 * errors and timing as arayon_spawn_after; period_ns 0 is EINVAL. Context: any thread. */
ARAYON_API int arayon_spawn_every(arayon_pool_t *pool, uint64_t period_ns, arayon_fn fn, void *arg,
                                  arayon_task_t **out_or_null);

#ifdef __cplusplus
}
#endif
#endif /* ARAYON_H */
