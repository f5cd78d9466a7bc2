/*
 * internal.h - the runtime's internal types (ary_ prefix). Nothing here is public.
 *
 * Objects
 *   arayon_pool   - the workers, the injection queue for spawns from outside, the sleep
 *                   state, the shared cell stash and the pool-level counters.
 *   ary_worker    - one per thread: its Chase-Lev deque, its park word, its private free
 *                   list of cells and its single-writer counters.
 *   arayon_task   - one task record (a "cell" of 64 bytes). Its first member is an ary_job,
 *                   so the deques hold ary_job pointers and a worker runs any job through
 *                   job->exec. Plain tasks, tasks with handles and (later) resumed
 *                   suspendable tasks differ only in their exec function: the worker loop
 *                   has no branch per kind, and the plain spawn path touches no extra field.
 *   arayon_scope  - a task group (also one cell): a pending counter that the waiter sleeps on.
 *
 * Cells: tasks and scopes are carved from 64-byte cells in slabs; each worker keeps a
 * private free list, overflowing into (and refilling from) the pool's stash. Slabs are freed
 * only when the pool's memory is freed, so no task or scope memory is ever returned to
 * malloc while the pool lives; a recycled cell may be read by a late thread only through
 * atomics (see scope.c, "the waiter protocol").
 *
 * Lifetime of the pool's memory: reference counted (pool->refs): one reference for the
 * owner (dropped by arayon_pool_destroy after the workers are joined) and one per live task
 * handle, so a handle stays valid after the pool is destroyed.
 */
#ifndef ARY_INTERNAL_H
#define ARY_INTERNAL_H

#define ARAYON_BUILDING 1
#include "arayon.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deque.h"

/* Sanitizers that need to be told things: stack switches (fiber.c), free cells (below). */
#if defined(__SANITIZE_ADDRESS__)
#define ARY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARY_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define ARY_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ARY_TSAN 1
#endif
#endif
#ifdef ARY_ASAN
#include <sanitizer/asan_interface.h>
#endif
#include "platform/platform.h"
#include "topo.h"

#define ARY_LIKELY(x) __builtin_expect(!!(x), 1)
#define ARY_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ARY_HIDDEN __attribute__((visibility("hidden")))
#define ARY_NOINLINE __attribute__((noinline))

typedef struct arayon_pool ary_pool;
typedef struct arayon_task ary_task;
typedef struct arayon_scope ary_scope;
typedef struct ary_worker ary_worker;
typedef struct ary_job ary_job;

/* A unit of work in a deque or the injection queue. exec runs it on worker w and disposes
 * of it (every job is executed exactly once). */
typedef void (*ary_exec_fn)(ary_job *job, ary_worker *w);
typedef bool (*ary_done_fn)(void *ctx);
struct ary_job {
    ary_exec_fn exec;
};

/* Task state word (tasks with handles; plain tasks never look at it). */
enum {
    ARY_T_RUNNING = 1u << 0, /* execution started (or skipped because cancelled) */
    ARY_T_DONE = 1u << 1,    /* finished; outcome bits valid */
    ARY_T_CANCEL = 1u << 2,  /* cancellation requested */
    ARY_T_WAITERS = 1u << 3, /* a thread sleeps on this word: wake it on DONE */
    ARY_T_OUT_SHIFT = 4,     /* 2 bits: 0 ok, 1 failed, 2 cancelled, 3 timed out */
    ARY_T_FWAIT = 1u << 6,   /* suspended tasks await it: tell the reactor on DONE */
    ARY_T_PARKED = 1u << 7,  /* suspendable task registered in the reactor (its lock) */
};

/* Task kinds (task->flags), fixed at spawn. */
enum {
    ARY_TK_HANDLE = 1u << 0,   /* has a handle: state word and reference count in use */
    ARY_TK_DEADLINE = 1u << 1, /* deadline is set */
    ARY_TK_INLINE = 1u << 2,   /* run on the spawning thread: holds no admission credit */
    ARY_TK_ASYNC = 1u << 3,    /* suspendable: runs on a fiber (fiber.h) */
    ARY_TK_MIGRATE = 1u << 4,  /* suspendable and may resume on another worker */
    /* Tasks that are not jobs of the workers (blocking.h): */
    ARY_TK_BLOCKING = 1u << 8, /* runs on a blocking thread (blocking.c) */
    ARY_TK_TIMER = 1u << 9,    /* delayed or periodic: arg is its timer entry (timer.c) */
    ARY_TK_PERIODIC = 1u << 10,
};

struct arayon_task {
    ary_job job;               /* must be first */
    union {
        arayon_fn fn;
        struct ary_fiber *fiber; /* ARY_TK_ASYNC once started: its fiber, which keeps fn */
    };
    void *arg;
    ary_scope *scope;          /* NULL for detached tasks */
    _Atomic(ary_task *) next;  /* injection queue link (a resume entry: the inbox link) */
    uint64_t deadline_ns;      /* ARY_TK_DEADLINE: absolute monotonic deadline */
    _Atomic uint32_t state;    /* ARY_T_*: cancel flag for all, the rest for handle tasks */
    _Atomic uint32_t refs;     /* handle tasks: 1 for the execution + 1 per handle */
    int result;                /* raw return value of fn */
    uint32_t flags;            /* ARY_TK_* */
};

/* Scope pending word: bits 0..61 count tasks not finished; bit 63 says the owner registered
 * itself as a sleeping waiter (see scope.c); bit 62 is used by latches only (team.h: the
 * owner is done, and whoever sees the count reach zero after that cleans up). */
#define ARY_SCOPE_WAITING (UINT64_C(1) << 63)
#define ARY_LATCH_OWNER_DONE (UINT64_C(1) << 62)
#define ARY_SCOPE_COUNT (ARY_LATCH_OWNER_DONE - 1)

struct arayon_scope {
    _Atomic uint64_t pending;
    _Atomic int first_error;
    _Atomic uint32_t cancelled;
    _Atomic(_Atomic uint32_t *) waiter; /* the sleeping owner's park word */
    _Atomic uint32_t wake_done;         /* completer's hand-shake: it no longer touches us */
    _Atomic uint32_t seen_epoch;        /* pool cancel epoch at the last clean chain check */
    ary_pool *pool;
    ary_task *parent_task;              /* task that began the scope; NULL outside tasks */
    const void *owner;                  /* task pointer, or the owning thread's marker */
    ary_scope *next;                    /* free list */
};

/* A cell is the unit of the allocator: big enough for a task or a scope. Cells come in
 * slabs of ARY_SLAB_BYTES, aligned to their size; the first cell of a slab is its header,
 * which names the pool, so any cell finds its pool by masking its address (ary_cell_pool). */
#define ARY_SLAB_BYTES 4096u
typedef union ary_cell {
    union ary_cell *next;
    struct arayon_task task;
    struct arayon_scope scope;
    struct {
        union ary_cell *next_slab;
        ary_pool *pool;
    } slab;
    struct { /* the first cell of a batch of free cells in the pool's stash (cell.c) */
        union ary_cell *next;
        union ary_cell *next_batch;
        size_t n;
    } batch;
    char bytes[64];
} ary_cell;
_Static_assert(sizeof(ary_cell) == 64, "cells are one cache line");

/* Free cells are poisoned for AddressSanitizer, so that a task or scope used after its free
 * (a late count-down of a latch, say) is reported where it happens, not when the free list
 * it corrupted is next used. The allocator reaches the links of free cells only through
 * ary_cell_next / ary_cell_set_next, and unpoisons a cell as it hands it out. */
#ifdef ARY_ASAN
#define ary_cell_poison(c) ASAN_POISON_MEMORY_REGION((c), sizeof(ary_cell))
#define ary_cell_unpoison(c) ASAN_UNPOISON_MEMORY_REGION((c), sizeof(ary_cell))
#else
#define ary_cell_poison(c) ((void)(c))
#define ary_cell_unpoison(c) ((void)(c))
#endif
static inline ary_cell *ary_cell_next(ary_cell *c)
{
    ary_cell_unpoison(c);
    ary_cell *n = c->next;
    ary_cell_poison(c);
    return n;
}
static inline void ary_cell_set_next(ary_cell *c, ary_cell *n)
{
    ary_cell_unpoison(c);
    c->next = n;
    ary_cell_poison(c);
}

static inline ary_pool *ary_cell_pool(const void *cell)
{
    const ary_cell *hdr = (const ary_cell *)((uintptr_t)cell & ~(uintptr_t)(ARY_SLAB_BYTES - 1));
    return hdr->slab.pool;
}
#define ary_task_pool(t) ary_cell_pool(t)

/* Per-worker counters: single writer (the worker), read by anyone. Written with relaxed
 * load + release store (no read-modify-write), read with acquire. */
typedef struct ary_counters {
    _Atomic uint64_t spawned;   /* tasks spawned by tasks running on this worker */
    _Atomic uint64_t finished;  /* tasks this worker finished, any outcome */
    _Atomic uint64_t failed;
    _Atomic uint64_t cancelled;
    _Atomic uint64_t timed_out;
    _Atomic uint64_t steals;
    _Atomic uint64_t steal_attempts;
    _Atomic uint64_t injected_taken;
    _Atomic uint64_t parks;
    _Atomic uint64_t wakeups;
    _Atomic uint64_t rejected;
    _Atomic uint64_t run_inline;
    _Atomic uint64_t inline_done; /* run-inline tasks finished (pending counts admitted ones) */
    _Atomic uint64_t local_steals;  /* victim on this worker's node */
    _Atomic uint64_t remote_steals; /* victim on another node */
    _Atomic uint64_t idle_ns;     /* closed idle periods */
    _Atomic uint64_t idle_since;  /* start of the current idle period, 0 when busy */
    _Atomic uint64_t blocking_waits; /* sleeps / fd waits that held this worker (wait.c) */
    _Atomic uint64_t suspends;       /* suspendable tasks switched out to wait (async.c) */
    _Atomic uint64_t resumes;        /* ... and switched back in */
    _Atomic uint64_t async_spawned;  /* suspendable tasks spawned by this worker's tasks */
} ary_counters;

static inline void ary_count(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_release);
}

/* Latency histograms of one worker (metrics.c), written by its own thread only (ary_count). */
typedef struct ary_hist {
    _Atomic uint64_t count, sum_ns;
    _Atomic uint64_t bucket[ARAYON_LATENCY_BUCKETS];
} ary_hist;

/* Bits of pool->tracing: what a traced spawn and a traced run record (trace.h). */
enum { ARY_GATE_TRACE = 1u, ARY_GATE_LATENCY = 2u };

/* Records one duration in h (its owner thread only). */
ARY_HIDDEN void ary_lat_record(ary_hist *h, uint64_t ns);

/* Counters that only feed the metrics (not the accounting of tasks, which is always on).
 * A build with -DARAYON_METRICS=OFF compiles them out, to measure what they cost. */
#ifndef ARAYON_NO_METRICS
#define ARY_STAT(c, n) ary_count((c), (n))
#else
#define ARY_STAT(c, n) ((void)(c), (void)(n))
#endif

/* Idle periods (no task found, spinning or parked) are timed at their edges only, so busy
 * time costs nothing per task. */
static inline void ary_idle_begin(ary_counters *c, uint64_t now)
{
#ifndef ARAYON_NO_METRICS
    if (!atomic_load_explicit(&c->idle_since, memory_order_relaxed))
        atomic_store_explicit(&c->idle_since, now, memory_order_relaxed);
#else
    (void)c, (void)now;
#endif
}
static inline void ary_idle_end(ary_counters *c, uint64_t now)
{
#ifndef ARAYON_NO_METRICS
    uint64_t since = atomic_load_explicit(&c->idle_since, memory_order_relaxed);
    if (since) {
        ary_count(&c->idle_ns, now - since);
        atomic_store_explicit(&c->idle_since, 0, memory_order_relaxed);
    }
#else
    (void)c, (void)now;
#endif
}

/* Injection queue (injector.h). Producers touch the first line, the consumer the second. */
typedef struct ary_injector {
    _Alignas(ARY_CACHELINE) _Atomic(ary_task *) head;
    _Atomic size_t count;
    _Alignas(ARY_CACHELINE) ary_task *tail;
    _Atomic int consumer;
    ary_task stub;
} ary_injector;

struct ary_worker {
    ary_deque deque;                               /* cache-line aligned inside */
    _Alignas(ARY_CACHELINE) _Atomic uint32_t park; /* 0 awake, 1 parked (counted in sleepers) */
    /* Below: touched by the owning thread only (and counters read by others). */
    _Alignas(ARY_CACHELINE) ary_cell *free_cells;
    _Atomic uint32_t cpu;                          /* CPU + 1 it last ran on, 0 unknown:
                                                      written by its thread in team waits
                                                      (team.h), read by teammates */
    uint64_t moved_ns;                             /* when a team wait last moved it off a
                                                      CPU it shared (sleep.c, separate) */
    size_t nfree;
    int64_t credits;                               /* admission credits cached (admit.c) */
    void *slabs;                                   /* slabs this worker allocated */
    uint64_t rng;
    unsigned index;
    unsigned node;                                 /* NUMA node index (placement) */
    unsigned local_fail;                           /* local searches in a row that failed */
    uint64_t next_remote_ns;                       /* earliest next look at other nodes */
    _Atomic uint64_t *taken_from;                  /* per node: jobs taken from that node's
                                                      queues while this worker is elsewhere */
    ary_pool *pool;
    pthread_t thread;
    /* Gangs (team.c): 0 free, 1 reserved, 2 a member function is posted. */
    _Atomic uint32_t gang;
    _Atomic uint32_t has_thread;                   /* a thread runs this record */
    ary_worker *const *peers;                      /* set: steal only from these (team.h) */
    unsigned npeers;
    _Atomic uint32_t guest_busy;                   /* guest slots: occupied */
    void (*gang_fn)(void *ctx, unsigned member);
    void *gang_ctx;
    unsigned gang_member;
    struct arayon_scope *gang_done;
    ary_counters c;
    ary_hist lat_wait, lat_run; /* latency recording (ARY_GATE_LATENCY) */
    /* Suspendable tasks (fiber.h): stacks cached by this worker, the alternate signal stack
     * of the overflow message, and the inbox of resume entries of its tied fibers (MPSC:
     * wakers push, this worker alone pops). */
    struct ary_fiber *fcache;
    unsigned nfcache;
    struct ary_wreactor *_Atomic rx;                /* its suspended tasks' timers and fds */
    bool slack_set;
    bool inbox_turn;                               /* worker.c: ary_find_work's alternation */
    void *altstack;
    ary_injector inbox;
};

/* Park word values. The thread that changes a non-zero park word to 0 is the one that
 * wakes the sleeper (and, for value 1, decrements pool->sleepers). */
enum { ARY_PARK_AWAKE = 0, ARY_PARK_WORKER = 1, ARY_PARK_EXTERNAL = 2, ARY_PARK_DRIVER = 3,
       ARY_PARK_FIBER = 4 };
/* ARY_PARK_FIBER: a suspended task waiting for a scope (scope.c); claiming it resumes that
 * task (reactor.c, ary_reactor_scope_claimed). */
/* ARY_PARK_DRIVER: a parked worker that waits in its own epoll (reactor.c), counted in
 * sleepers like 1; whoever claims it writes that worker's eventfd instead of the futex.
 * Only ever set by a worker on its own park word. */

enum { ARY_POOL_RUNNING = 0, ARY_POOL_SHUTTING = 1, ARY_POOL_DRAINED = 2 };


struct arayon_pool {
    /* Read-mostly. */
    unsigned nworkers;        /* worker records: nthreads threads, then the guest slots */
    unsigned nthreads;        /* records for threads; those past the started ones get their
                                 thread when a gang first needs them (team.c) */
    unsigned nspare;          /* ... how many records those are */
    bool gang_only;           /* workers run jobs only as gang members (team.h) */
    ary_worker *workers;
    ary_placement pl;         /* where each worker is, and its steal order */
    ary_topo *topo;
    int *bind_status;         /* per worker: ARAYON_OK, ARAYON_ESYSTEM, or 1 = not bound;
                                 written by the worker before it counts itself in started */
    _Atomic uint32_t started; /* workers that are running (and bound) */
    _Atomic int *mem_status;  /* per worker: result of placing its deque and cell slabs on its
                                 node (ary_topo_membind): the last failure, else the last result */
    bool fence_on_push;     /* no membarrier: pushes pay a full fence instead */
    /* ARY_GATE_*: the event recorder and/or latency recording is on (trace.h: one relaxed
     * load per site covers both) */
    _Atomic uint32_t tracing;
    _Atomic(struct ary_trace *) trace; /* the recorder's state, made by the first trace start */
    unsigned spin_ns;
    _Atomic uint32_t aborted; /* shutdown deadline passed: tasks not started are cancelled */
    uint64_t created_ns;
    uint64_t task_timeout_ns;
    int64_t credit_total;   /* max_pending, or a huge number when unbounded */
    int64_t credit_batch;   /* credits a worker takes at once and may keep cached; 0 = none */
    arayon_config_t cfg;

    /* Admission credits (admit.c): free credits, the peak outstanding, blocked spawners. */
    _Alignas(ARY_CACHELINE) _Atomic int64_t credits;
    _Atomic int64_t peak_out;
    _Alignas(ARY_CACHELINE) _Atomic uint32_t credit_waiters;  /* spinning or sleeping */
    _Atomic uint32_t credit_sleepers;                         /* asleep on credit_seq */
    _Atomic uint32_t credit_seq;
    int64_t credit_wake_at;
    _Atomic uint64_t ext_run_inline;
    _Atomic uint64_t ext_admit_rejected;
    _Atomic uint64_t ext_inline_failed, ext_inline_cancelled, ext_inline_timed_out;

    /* Team waits (sleep.c, sleep.md "Team waits"): the wait policy, the CPUs the process
     * can use, threads asleep in team waits and guests occupied (for oversubscription). */
    _Atomic uint64_t tw_spin_ns;  /* pause-spin this long before yielding */
    _Atomic uint64_t tw_block_ns; /* spin + yield this long before sleeping; UINT64_MAX:
                                     never (both changed at run time: kmp_set_blocktime) */
    unsigned usable_cpus;
    _Alignas(ARY_CACHELINE) _Atomic uint32_t tw_asleep;
    _Atomic uint32_t guests_busy;

    /* Sleep state (sleep.c). */
    _Alignas(ARY_CACHELINE) _Atomic uint32_t sleepers;

    /* Cancellation epoch: bumped by every cancel (scope.c). */
    _Alignas(ARY_CACHELINE) _Atomic uint32_t cancel_epoch;

    ary_injector *inj;        /* one injection queue per NUMA node (placement.nnodes) */

    /* Spawns from outside the pool: counted before the state is checked (see
     * spawn_external); a rejected one is counted in both. */
    _Alignas(ARY_CACHELINE) _Atomic uint64_t ext_spawned;
    _Atomic uint64_t ext_rejected;
    _Atomic uint32_t state;   /* ARY_POOL_*; a futex word: DRAINED is announced with a wake */
    _Atomic uint32_t closed;        /* no spawn at all from now on (ary_late_spawn_begin) */
    _Atomic uint32_t late_spawning; /* late spawns between their begin and end */

    /* The cell stash shared by all threads, under ext_lock. */
    _Alignas(ARY_CACHELINE) pthread_mutex_t ext_lock;
    ary_cell *stash;          /* single free cells (threads outside the pool) */
    size_t nstash;
    ary_cell *batches;        /* batches of free cells, moved whole between workers */
    void *ext_slabs;

    /* Shutdown and lifetime. refs: the owner, each live handle, each running worker thread,
     * each thread-local cache bound to the pool. */
    pthread_mutex_t shutdown_lock;
    _Atomic bool joined;      /* workers joined (or left behind) */
    _Atomic uint64_t abandoned;
    _Atomic uint64_t drain_cancelled; /* queued tasks the shutdown caller finished as cancelled
                                         (pool.c, drain_queues): counted cancelled and
                                         finished at once */
    _Atomic uint32_t refs;

    struct ary_offw *offw;    /* blocking threads, timers, their counters (blocking.h) */

    /* Suspendable tasks (fiber.h): made with the first one. */
    _Atomic(struct ary_reactor *) reactor;
    _Atomic(struct ary_stacks *) stacks;    /* published before reactor */
    pthread_mutex_t async_lock;               /* makes both (not shutdown_lock: a worker may
                                                 start the first one during a shutdown) */
    size_t fiber_stack;       /* usable bytes per fiber stack */
    _Atomic uint64_t ext_async_spawned;
};

/* Is tracing on? A relaxed load of pool->tracing. On x86-64 it is written as one compare
 * with memory and one jump (asm goto), because compilers do not fold an atomic load into
 * the compare and pay a third instruction per site (measured: 2 instead of 3 instructions
 * per site; a fib task passes 2 sites). The compare reads the word once, as a relaxed load
 * would; the traced path is marked cold. -DARAYON_NO_TRACE compiles every site out (the
 * recorder then never records), only to measure what the sites cost. */
static inline bool ary_tracing(const ary_pool *p)
{
#if defined(ARAYON_NO_TRACE)
    (void)p;
    return false;
#elif defined(__x86_64__) && defined(__GNUC__)
    __asm__ goto("cmpl $0, %c1(%0)\n\tjne %l[on]"
                 : /* no outputs */
                 : "r"(p), "i"(offsetof(struct arayon_pool, tracing))
                 : "cc"
                 : on);
    return false;
on:
#if !defined(__clang__)
    __attribute__((cold)); /* (clang takes the hint from ARY_UNLIKELY at the site) */
#endif
    return true;
#else
    return atomic_load_explicit(&((ary_pool *)p)->tracing, memory_order_relaxed) != 0;
#endif
}

/* Is latency recording on? (Read on the traced paths only.) */
static inline bool ary_latency_on(const ary_pool *p)
{
    return (atomic_load_explicit(&((ary_pool *)p)->tracing, memory_order_relaxed) &
            ARY_GATE_LATENCY) != 0;
}

/* Latency recording on the traced paths (task.c, trace.c's job wrapper). At a spawn: the
 * time to stamp the task with (0: not recording). At the start of a run on w: the queue
 * wait since spawn_ns (0: not stamped) is recorded; returns the start time (0: not
 * recording). At the end: the run time since that start. */
static inline uint64_t ary_lat_stamp(const ary_pool *p)
{
    return ary_latency_on(p) ? aryd_now_ns() : 0;
}

static inline uint64_t ary_lat_start(ary_worker *w, uint64_t spawn_ns)
{
    if (!w || !ary_latency_on(w->pool))
        return 0;
    uint64_t now = aryd_now_ns();
    if (spawn_ns && now >= spawn_ns)
        ary_lat_record(&w->lat_wait, now - spawn_ns);
    return now;
}

static inline void ary_lat_end(ary_worker *w, uint64_t t0)
{
    if (t0)
        ary_lat_record(&w->lat_run, aryd_now_ns() - t0);
}

/* Thread-local state. initial-exec: no __tls_get_addr call on the hot path. */
#define ARY_TLS __thread __attribute__((tls_model("initial-exec")))
extern ARY_TLS ary_worker *ary_tls_worker;
extern ARY_TLS ary_task *ary_tls_task;
/* Stack guard (worker.c): the address below which this thread's stack counts as running low
 * (a quarter of it left, at least 64 KiB), or 0 (unknown, or on a fiber's stack: never low).
 * Set when a thread becomes a worker or a guest. While it is low, helping waits run only
 * the thread's own deque (its own descendants, so nesting stays bounded by the depth of the
 * task tree rather than growing with every stolen subtree), and the OpenMP layer queues a
 * task that throttling would have run in place. */
extern ARY_TLS uintptr_t ary_tls_stack_low;
ARY_HIDDEN void ary_stack_guard_init(void);
static inline bool ary_stack_low(void)
{
    return ARY_UNLIKELY((uintptr_t)__builtin_frame_address(0) < ary_tls_stack_low);
}

/* cell.c */
ARY_HIDDEN ary_cell *ary_cell_alloc_slow(ary_worker *w);
ARY_HIDDEN ary_cell *ary_cell_alloc_ext(ary_pool *p);
ARY_HIDDEN void ary_cell_free_slow(ary_worker *w);
ARY_HIDDEN void ary_cell_free_ext(ary_pool *p, ary_cell *c);
ARY_HIDDEN void ary_ext_cache_flush(ary_pool *p);
ARY_HIDDEN void ary_ext_cache_bind(ary_pool *p);

/* The thread-local cache of a thread outside the pool (cell.c): cells of one pool, which it
 * holds a reference on. */
typedef struct ary_ext_cache {
    ary_pool *pool;
    union ary_cell *cells;
    unsigned n;
} ary_ext_cache;
extern ARY_TLS ary_ext_cache ary_tls_ext;
ARY_HIDDEN void ary_slabs_free(void *slabs);

static inline ary_cell *ary_cell_alloc(ary_worker *w)
{
    ary_cell *c = w->free_cells;
    if (ARY_UNLIKELY(!c))
        return ary_cell_alloc_slow(w);
    ary_cell_unpoison(c);
    w->free_cells = c->next;
    w->nfree--;
    return c;
}

#define ARY_FREE_HIGH 1024 /* a worker keeps at most this many free cells */

static inline void ary_cell_free(ary_worker *w, ary_cell *c)
{
    c->next = w->free_cells;
    ary_cell_poison(c);
    w->free_cells = c;
    if (ARY_UNLIKELY(++w->nfree > ARY_FREE_HIGH))
        ary_cell_free_slow(w);
}

/* Frees a cell from any thread: to the calling worker's list when it belongs to p. */
static inline void ary_cell_release(ary_pool *p, ary_cell *c)
{
    ary_worker *w = ary_tls_worker;
    if (w && w->pool == p)
        ary_cell_free(w, c);
    else
        ary_cell_free_ext(p, c);
}

/* sleep.c */
ARY_HIDDEN void ary_sleep_init(ary_pool *p);
ARY_HIDDEN void ary_wake_one_slow(ary_pool *p);
ARY_HIDDEN void ary_wake_node(ary_pool *p, unsigned node);
ARY_HIDDEN void ary_wake_all(ary_pool *p);
ARY_HIDDEN bool ary_park_claim(ary_pool *p, _Atomic uint32_t *park);
ARY_HIDDEN void ary_park_begin(ary_pool *p, ary_worker *w);
/* ary_park_begin without the heavy barrier, for waits whose end is signalled to this
 * worker directly (team waits: sleep.md, "Team waits"): pushes may not see it. */
ARY_HIDDEN void ary_park_begin_light(ary_pool *p, ary_worker *w);
ARY_HIDDEN bool ary_park_cancel(ary_pool *p, ary_worker *w);
ARY_HIDDEN bool ary_park_sleep(ary_pool *p, ary_worker *w, uint64_t deadline_ns);
ARY_HIDDEN bool ary_park_cancel_driver(ary_pool *p, ary_worker *w);

/* After publishing work that a sleeping worker could take: the light side of the sleep
 * protocol (sleep.md). A compiler barrier (or a fence without membarrier) and one load. */
static inline void ary_notify_work(ary_pool *p)
{
    if (ARY_UNLIKELY(p->fence_on_push))
        atomic_thread_fence(memory_order_seq_cst);
    else
        atomic_signal_fence(memory_order_seq_cst);
    if (ARY_UNLIKELY(atomic_load_explicit(&p->sleepers, memory_order_relaxed) != 0))
        ary_wake_one_slow(p);
}

static inline void ary_pool_ref(ary_pool *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}
ARY_HIDDEN void ary_pool_unref(ary_pool *p);

/* admit.c: admission control by credits (see the comment at the top of admit.c). */
ARY_HIDDEN void ary_admit_init(ary_pool *p);
ARY_HIDDEN bool ary_credit_refill(ary_worker *w);
ARY_HIDDEN void ary_credit_flush(ary_worker *w);
ARY_HIDDEN bool ary_credit_take_ext(ary_pool *p);
/* A credit taken past the bound (the pool's free count goes below 0 until completions return
 * it): the OpenMP layer's spawns on a thread whose stack runs low, which must not run their
 * task in place (ary_stack_low). */
ARY_HIDDEN void ary_credit_force(ary_worker *w);
ARY_HIDDEN void ary_credit_force_ext(ary_pool *p); /* the same outside the pool */
ARY_HIDDEN void ary_credit_give_ext(ary_pool *p, int64_t k);
ARY_HIDDEN int ary_credit_wait_ext(ary_pool *p);
ARY_HIDDEN void ary_credit_wake_all(ary_pool *p);

/* Worker: one credit for one spawn, from the local cache when possible. */
static inline bool ary_credit_take(ary_worker *w)
{
    if (ARY_LIKELY(w->credits > 0)) {
        w->credits--;
        return true;
    }
    return ary_credit_refill(w);
}

/* Worker: a task finished; its credit goes to this worker's cache, and back to the pool when
 * the cache is over its batch or a spawner is blocked waiting for room. */
static inline void ary_credit_return(ary_worker *w)
{
    ary_pool *p = w->pool;
    if (ARY_UNLIKELY(++w->credits > p->credit_batch ||
                     atomic_load_explicit(&p->credit_waiters, memory_order_relaxed)))
        ary_credit_flush(w);
}

/* pool.c: records the result of placing a worker's memory on its node (sticky failure). */
ARY_HIDDEN void ary_note_membind(ary_pool *p, unsigned worker, int rc);
/* pool.c: gives record w a thread (spare records of team pools); ARAYON_OK if it has one. */
ARY_HIDDEN int ary_worker_start(ary_pool *p, ary_worker *w);

/* worker.c */
ARY_HIDDEN void *ary_worker_main(void *arg);
ARY_HIDDEN ary_job *ary_find_work(ary_worker *w);
ARY_HIDDEN bool ary_work_visible(ary_pool *p);
ARY_HIDDEN bool ary_pool_quiescent(ary_pool *p);

/* Runs jobs on w until done(ctx) is true. When no work turns up for spin_ns it calls
 * park(w, ctx, deadline_ns), which sleeps until something may have changed. Returns false
 * if the absolute deadline (0 = none) passed first. */
typedef void (*ary_park_fn)(ary_worker *w, void *ctx, uint64_t deadline_ns);
ARY_HIDDEN bool ary_help_until(ary_worker *w, ary_done_fn done, void *ctx, uint64_t deadline_ns,
                               ary_park_fn park);

/* task.c */
/* A task run inline by a thread outside the pool finished: counted as spawned and finished at
 * once (the outcome first, then the task; metrics.c reads in the opposite order). */
ARY_HIDDEN void ary_count_finished_ext(ary_pool *p, int outcome);
/* timeout_ns: relative deadline, 0 = none. node: NUMA node index to queue the task on,
 * -1 = where the spawner runs. */
ARY_HIDDEN int ary_spawn(ary_pool *p, ary_scope *s, arayon_fn fn, void *arg, ary_task **handle,
                         uint64_t timeout_ns, int node);
/* The same for a suspendable task: tk is ARY_TK_ASYNC, with ARY_TK_MIGRATE or not. */
ARY_HIDDEN int ary_spawn_async(ary_pool *p, ary_scope *s, arayon_fn fn, void *arg,
                               ary_task **handle, uint64_t timeout_ns, int node, uint32_t tk);
/* Finishes a task of the full kind (handle, deadline, inline or suspendable) that has its
 * RUNNING bit: counts it, records its result, releases waiters, scope and reference. */
ARY_HIDDEN void ary_task_finish(ary_task *t, ary_pool *p, ary_worker *w, int outcome, int r);
/* A job taken off a queue by a thread outside the pool after a shutdown deadline (pool.c):
 * a task that has not started finishes as cancelled (counted in drain_cancelled, its credit
 * returned) and true is returned; any other job (a resume entry of a started suspendable
 * task, a timer runner) is left alone and false is returned. */
ARY_HIDDEN bool ary_task_drain_cancel(ary_pool *p, ary_job *j);
/* Its last step only, once it is counted (blocking.c, timer.c count their own way). */
ARY_HIDDEN void ary_task_release_done(ary_task *t, ary_pool *p, ary_worker *w, int outcome,
                                      int r); /* w: the calling worker of p, or NULL */
ARY_HIDDEN bool ary_task_past_deadline(const ary_task *t);
/* async.c: the exec function of a suspendable task that has not started; running one on the
 * spawning worker (run-inline policy). */
ARY_HIDDEN void ary_exec_async(ary_job *j, ary_worker *w);

/* scope.c */
ARY_HIDDEN void ary_scope_wake_waiter(ary_scope *s);
ARY_HIDDEN bool ary_scope_cancelled_slow(ary_scope *s, uint32_t epoch);
ARY_HIDDEN bool ary_task_cancelled(ary_task *t);

/* A task of scope s finished with outcome (ARAYON_OK or an error). The last one to finish
 * wakes the owner if it registered as a sleeping waiter (sleep.md, "Waiting for a scope");
 * otherwise this is the last access to s. */
static inline void ary_scope_task_done(ary_scope *s, int outcome)
{
    if (ARY_UNLIKELY(outcome != ARAYON_OK)) {
        int zero = 0;
        atomic_compare_exchange_strong_explicit(&s->first_error, &zero, outcome,
                                                memory_order_relaxed, memory_order_relaxed);
    }
    uint64_t old = atomic_fetch_sub_explicit(&s->pending, 1, memory_order_acq_rel);
    if (ARY_UNLIKELY(old == (ARY_SCOPE_WAITING | 1)))
        ary_scope_wake_waiter(s);
}

/* Is s, or a scope or task it is nested in, cancelled? Fast path: nothing was cancelled in
 * the pool since s was last found clean (pool->cancel_epoch unchanged). */
static inline bool ary_scope_cancelled(ary_scope *s, ary_pool *p)
{
    if (atomic_load_explicit(&s->cancelled, memory_order_relaxed))
        return true;
    uint32_t e = atomic_load_explicit(&p->cancel_epoch, memory_order_acquire);
    if (ARY_LIKELY(atomic_load_explicit(&s->seen_epoch, memory_order_relaxed) == e))
        return false;
    return ary_scope_cancelled_slow(s, e);
}

/* blocking.c, timer.c (blocking.h): blocking tasks and timers, the pool's side. */
ARY_HIDDEN int ary_offw_init(ary_pool *p);           /* pool creation; EINVAL, ENOMEM */
ARY_HIDDEN void ary_offw_free(ary_pool *p);          /* with the pool's memory */
ARY_HIDDEN void ary_timers_close(ary_pool *p);       /* shutdown begins: cancel unfired timers */
/* After the workers are joined: stops the blocking threads and joins them, waiting at most
 * until deadline_ns (0 = no limit); returns the tasks left running on threads left behind. */
ARY_HIDDEN unsigned ary_blocking_join(ary_pool *p, uint64_t deadline_ns);
ARY_HIDDEN uint64_t ary_offw_finished(ary_pool *p);  /* finished off the workers */
ARY_HIDDEN void ary_timer_cancel(ary_task *t);       /* arayon_task_cancel of a timer */

/* The calling thread runs a blocking task of p: like a worker's task, it may still spawn
 * while p shuts down (its own unfinished task keeps the pool from draining). */
static inline bool ary_in_blocking_task(ary_pool *p)
{
    ary_task *t = ary_tls_task;
    return t && (t->flags & (ARY_TK_BLOCKING | ARY_TK_INLINE)) == ARY_TK_BLOCKING &&
           ary_task_pool(t) == p;
}

/* A spawn from outside the workers while p is not RUNNING (pool.c): refused (false), unless
 * it comes from a blocking task of p, which may spawn as a worker's task may, and p has not
 * closed its queues for good (the final drain of arayon_pool_shutdown_timeout: a task queued
 * after it would never run nor be counted). When true, the caller queues its task and then
 * calls ary_late_spawn_end. */
ARY_HIDDEN bool ary_late_spawn_begin(ary_pool *p);
static inline void ary_late_spawn_end(ary_pool *p)
{
    atomic_fetch_sub_explicit(&p->late_spawning, 1, memory_order_release);
}

/* topo.c (the only file that includes hwloc.h) */
ARY_HIDDEN unsigned ary_topo_num_cores(void);
ARY_HIDDEN unsigned ary_topo_num_pus(void);

/* env.c (the only file that reads the environment) */
ARY_HIDDEN unsigned ary_env_num_threads(void);
ARY_HIDDEN unsigned ary_env_spin_us(void);
ARY_HIDDEN void ary_env_admission(size_t *max_pending, arayon_full_policy_t *policy);
ARY_HIDDEN bool ary_env_display(void);
ARY_HIDDEN void ary_env_hwloc(const char **synthetic, const char **xmlfile, bool *thissystem);
ARY_HIDDEN const char *ary_env_str(const char *name);
ARY_HIDDEN const char *ary_env_trace(size_t *buffer_events, arayon_trace_overflow_t *overflow);
ARY_HIDDEN int ary_env_long(const char *name, long lo, long hi, long dflt, long *out);
ARY_HIDDEN int ary_env_size(const char *name, unsigned long long unit, size_t *out);
ARY_HIDDEN int ary_env_bool(const char *name, bool dflt, bool *out);
ARY_HIDDEN int ary_env_metrics(void);
ARY_HIDDEN bool ary_env_latency(void);
ARY_HIDDEN size_t ary_env_fiber_stack(void);

/* metrics.c: ARAYON_METRICS, a report when the pool is destroyed or the process exits. */
ARY_HIDDEN void ary_metrics_env_start(ary_pool *p);
ARY_HIDDEN void ary_metrics_env_finish(ary_pool *p);

#endif
