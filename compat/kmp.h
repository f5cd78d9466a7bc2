/*
 * kmp.h - internal state of the OpenMP compatibility layer (kmpx_ prefix; nothing here is
 * exported). The layer is translation only: OpenMP teams are arayon gangs (runtime/team.h),
 * OpenMP tasks are arayon tasks, and waits go through the runtime's helping waits.
 *
 * Objects
 *   kmpx_thread - one per OS thread that ever called into the layer (thread-local). Holds
 *                 the gtid, the team it is a member of and its tid there, the current task,
 *                 its worksharing construct counters and the one-shot pushed num_threads.
 *   kmpx_team   - one per parallel region (also per serialized region: a team of 1). Holds
 *                 the size, the barrier, the worksharing ring, the cancel flags and the
 *                 count of the team's explicit tasks not finished (a barrier waits for it).
 *   kmpx_task   - compat/kmp_task.c: the descriptor in front of every kmp_task_t.
 *
 * Worksharing constructs (single, loops, sections) are numbered per thread in the order the
 * thread meets them; all threads of a team meet them in the same order, so the number names
 * the construct. Dynamic loops use a ring of KMPX_WS_RING shared slots (compat/kmp_loop.c).
 */
#ifndef KMPX_KMP_H
#define KMPX_KMP_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h" /* runtime: ARY_TLS, ary_worker, ... */
#include "team.h"     /* runtime: gangs, latches, helping waits */

#define KMPX_API __attribute__((visibility("default")))
#define KMPX_HIDDEN __attribute__((visibility("hidden")))

typedef int32_t kmp_int32;
typedef uint32_t kmp_uint32;
typedef int64_t kmp_int64;
typedef uint64_t kmp_uint64;

/* The compiler's source-location record (only flags matter, and only 0x10). */
typedef struct ident {
    kmp_int32 reserved_1;
    kmp_int32 flags;
    kmp_int32 reserved_2;
    kmp_int32 reserved_3;
    const char *psource;
} ident_t;

typedef kmp_int32 kmp_critical_name[8];

/* One dimension of a doacross loop (__kmpc_doacross_init). */
typedef struct kmp_dim {
    kmp_int64 lo, up, st;
} kmp_dim;

typedef struct kmpx_team kmpx_team;
typedef struct kmpx_task kmpx_task;
typedef struct kmpx_thread kmpx_thread;

/* Schedule kinds of run-sched-var (omp_sched_t values). */
enum { KMPX_SCHED_STATIC = 1, KMPX_SCHED_DYNAMIC = 2, KMPX_SCHED_GUIDED = 3, KMPX_SCHED_AUTO = 4 };

/* Global settings (ICV defaults), read once from the environment (compat/omp_env.c). */
typedef struct kmpx_settings {
    int nthreads;            /* nthreads-var: default team size (OMP_NUM_THREADS first item) */
    int max_active_levels;   /* OMP_MAX_ACTIVE_LEVELS / OMP_NESTED, default 1 */
    int thread_limit;        /* OMP_THREAD_LIMIT */
    bool dynamic;            /* OMP_DYNAMIC */
    bool cancellation;       /* OMP_CANCELLATION */
    int max_task_priority;   /* OMP_MAX_TASK_PRIORITY */
    int run_sched_kind;      /* OMP_SCHEDULE kind (KMPX_SCHED_*), default static */
    int run_sched_chunk;     /* 0 = default */
    int proc_bind;           /* omp_proc_bind_t */
    bool throttle;           /* KMP_ENABLE_TASK_THROTTLING (default on) */
    bool bind_off;           /* OMP_PROC_BIND=false: OMP_PLACES does not bind either */
    bool display_env;        /* OMP_DISPLAY_ENV */
    size_t stacksize;        /* OMP_STACKSIZE, 0 = runtime default */
    const char *affinity_format; /* OMP_AFFINITY_FORMAT, NULL = the default */
    int num_teams;           /* OMP_NUM_TEAMS / omp_set_num_teams, 0 = unset */
    int teams_thread_limit;  /* OMP_TEAMS_THREAD_LIMIT / omp_set_teams_thread_limit */
    /* Team wait policy (runtime/team.h): OMP_WAIT_POLICY, then GOMP_SPINCOUNT, then
     * KMP_BLOCKTIME, each overriding the one before; tw_from names the last one set, NULL:
     * the runtime's defaults. */
    uint64_t tw_spin_ns, tw_block_ns;
    const char *tw_from;
} kmpx_settings;

KMPX_HIDDEN extern kmpx_settings kmpx_set;

#define KMPX_WS_RING 8

/* Per member of a team, a cache line of its own: its task counts, and what the barrier
 * (kmp_barrier.c) tells it: the episode it was last released into, polled by the member
 * alone; and the reduction data it published (__kmpc_reduce). */
struct kmpx_tcount {
    _Alignas(64) _Atomic uint64_t spawned;
    _Atomic uint64_t done;
    _Atomic uint32_t release;
    void *_Atomic red_data;
};

#include "kmp_loop.h" /* struct kmpx_ws (shared loop slot), struct kmpx_ws_thread */

struct kmpx_team {
    int nthreads;
    int level;                  /* nesting depth of parallel regions, this one included */
    int active_level;           /* ... of those with more than one thread */
    kmpx_team *parent;          /* the team of the thread that forked this one */
    int parent_tid;             /* that thread's tid in the parent team */
    kmpx_thread *primary;
    void *serial_frame;         /* serialized regions: what to restore at their end */

    ary_worker **members;       /* per tid: the worker (or guest) it runs on, for wakes */
    /* Set when a member first registers an explicit task in the region: barriers then look
     * for tasks and at the task counts (read-mostly: written once per region). */
    _Atomic uint32_t has_tasks;
    struct kmpx_hot *hot;       /* the hot team whose record this is, or NULL */
    /* What the region used that the next fork must reset (kmpx_team_mark_used). */
    _Atomic uint32_t ws_dirty;

    /* Barrier (compat/kmp_barrier.c): episode number << 32 | arrivals. The episode number
     * keeps counting across the regions a team record serves. */
    _Alignas(64) _Atomic uint64_t bar;
    _Atomic uint32_t join_sleepers; /* members parked in a hot team's join (kmp_barrier.c) */

    /* single: the number of single constructs claimed so far. */
    _Alignas(64) _Atomic uint64_t single_claimed;
    /* copyprivate: the pointer published by the thread that ran the single. */
    void *_Atomic copy_data;

    /* The team's explicit tasks, for barriers (kmp_barrier.c, "Barriers and tasks"): per
     * member, tasks it registered and tasks it completed; or, with nested active teams
     * (where an injected task may run on another team's thread), one shared latch. */
    struct kmpx_tcount *counts;
    ary_latch *tasks;

    /* Cancellation (OMP_CANCELLATION=true only). */
    _Atomic uint32_t cancel_parallel;
    _Atomic uint32_t cancel_ws;  /* loop or sections: cleared when a barrier opens */
    _Atomic uint32_t in_cancel_bar; /* members inside a gcc cancellable barrier */

    /* gcc worksharing constructs with task reductions or a shared buffer (gomp_task.c):
     * constructs claimed and published, members that read the latest one, and it. */
    _Alignas(64) _Atomic uint64_t share_claimed;
    _Atomic uint64_t share_ready;
    _Atomic uint32_t share_seen;
    struct gompx_share *_Atomic share;

    /* Doacross loops in progress (kmp_doacross.c): a ring like the worksharing one. */
    struct kmpx_dacr_slot {
        _Alignas(64) _Atomic uint64_t gen;       /* the construct number the slot is for */
        struct kmpx_doacross *_Atomic loop;      /* NULL until its first thread sets it up */
    } dacr[4];

    /* Worksharing ring for dynamic/guided/ordered loops (compat/kmp_loop.c). */
    struct kmpx_ws ws[KMPX_WS_RING];
};

struct kmpx_thread {
    int gtid;
    int tid;                    /* in team */
    kmpx_team *team;            /* never NULL after kmpx_self(): the thread's root team */
    kmpx_task *task;            /* current OpenMP task (implicit or explicit) */
    ary_worker *worker;         /* the arayon worker or guest slot this thread runs on, or NULL */
    int pushed_nthreads;        /* one-shot num_threads for the next fork, 0 = none */
    int pushed_bind;
    int nthreads_var;           /* nthreads-var of this thread (omp_set_num_threads) */
    int run_sched_kind, run_sched_chunk; /* run-sched-var (omp_set_schedule) */
    uint64_t singles;           /* single constructs met in the current team */
    uint64_t ws_count;          /* loop constructs met in the current team (kmp_loop.c) */
    struct kmpx_ws_thread loop; /* this thread's current loop (kmp_loop.c) */
    void *free_tasks;           /* cached task blocks (kmp_task.c) */
    unsigned nfree_tasks;
    _Alignas(64) void *_Atomic remote_free; /* blocks of this thread freed by others */
    kmpx_team *spare_team;      /* a team record kept for the next fork (kmp_parallel.c) */
    struct kmpx_tpmap *tpmap;   /* threadprivate copies (kmp_threadprivate.c) */
    uint64_t dacr_count;        /* doacross loops met in the current team (kmp_doacross.c) */
    struct kmpx_doacross *dacr; /* ... and the one in progress */
    int num_teams, team_num;    /* host teams (kmp_teams.c): 0 / 0 outside a teams region */
    int teams_limit;            /* ... and its thread limit, 0 = none */
    uint64_t share_count;       /* gcc shared constructs met in the current team (gomp_task.c) */
    struct gompx_share *ws_share; /* ... and the one in progress */
    int pushed_num_teams, pushed_teams_threads;
    struct kmpx_hot *hot;       /* the hot team this thread forks with (kmp_parallel.c) */
    uint32_t split_gen;         /* the barrier episode this thread opened and has not released */
    bool red_opener;            /* ... for a reduction (__kmpc_reduce / __kmpc_end_reduce) */
};

/* The calling thread's state; registers the thread (and initializes the layer) on first use. */
KMPX_HIDDEN kmpx_thread *kmpx_self_slow(void);
extern ARY_TLS kmpx_thread *kmpx_tls_self;
static inline kmpx_thread *kmpx_self(void)
{
    kmpx_thread *th = kmpx_tls_self;
    return ARY_LIKELY(th != NULL) ? th : kmpx_self_slow();
}

/* The pool every team and task runs on (created on first use). */
KMPX_HIDDEN extern ary_pool *kmpx_pool;

/* Team barrier: every member arrives; the episode ends when all have arrived and every
 * explicit task of the team has finished. Waiting members run tasks. */
KMPX_HIDDEN void kmpx_barrier(kmpx_thread *th);

/* gcc's cancellable barrier (GOMP_barrier_cancel and the *_end_cancel ends): once the
 * region is cancelled it returns true at once, without the others (they all go to the
 * region's end, whose join barrier is the one they meet). kmpx_cancel_parallel_sync: the
 * cancelling thread, before it goes to the join barrier, waits until no member is still
 * counted as arrived in a cancellable barrier. Both in kmp_barrier.c. */
KMPX_HIDDEN bool kmpx_barrier_cancellable(kmpx_thread *th);
/* A split barrier: every member arrives; exactly one (the opener, once all have arrived and
 * the team's tasks are done) returns true without releasing the others, does what must
 * happen while they wait, then calls kmpx_barrier_release; the others return false once
 * released. */
KMPX_HIDDEN bool kmpx_barrier_split(kmpx_thread *th);
KMPX_HIDDEN void kmpx_barrier_release(kmpx_thread *th);
/* Teams up to this size release from the opener and join by a gather (kmp_barrier.c);
 * larger ones release along a tree. */
#define KMPX_BAR_FLAT 8
/* The join of a hot team's region of 2..KMPX_BAR_FLAT members without a task latch. */
KMPX_HIDDEN void kmpx_join_gather(kmpx_thread *th, kmpx_team *team, int n);
/* A thread leaves the layer: its hot team (if any) goes back to the pool. */
KMPX_HIDDEN void kmpx_hot_release(kmpx_thread *th);
KMPX_HIDDEN void kmpx_cancel_parallel_sync(kmpx_thread *th);

/* Marks a part of the team record that the next fork must reset (kmpx_team_init). */
enum { KMPX_WS_USED_RING = 1, KMPX_WS_USED_DACR = 2, KMPX_WS_USED_SHARE = 4 };
static inline void kmpx_team_mark_used(kmpx_team *team, uint32_t what)
{
    if (ARY_UNLIKELY(!(atomic_load_explicit(&team->ws_dirty, memory_order_relaxed) & what)))
        atomic_fetch_or_explicit(&team->ws_dirty, what, memory_order_relaxed);
}

/* kmp_runtime.c: a team record with room for any team size; setting one up for a region. */
KMPX_HIDDEN kmpx_team *kmpx_team_new(void);
KMPX_HIDDEN void kmpx_team_init(kmpx_team *team, kmpx_team *parent, int nthreads, int parent_tid);

/* An explicit task of `team` was registered by th (a member) / completed by th (any
 * thread): the counts a barrier waits on (kmp_barrier.c). The completion is the last
 * access to the team. */
/* kmp_parallel.c: before the region's first task is registered (sets has_tasks). */
KMPX_HIDDEN void kmpx_team_first_task(kmpx_thread *th, kmpx_team *team);

static inline void kmpx_team_task_added(kmpx_thread *th, kmpx_team *team)
{
    if (ARY_UNLIKELY(!atomic_load_explicit(&team->has_tasks, memory_order_relaxed)))
        kmpx_team_first_task(th, team);
    if (team->tasks)
        ary_latch_add(team->tasks, 1);
    else
        atomic_fetch_add_explicit(&team->counts[th->team == team ? th->tid : 0].spawned, 1,
                                  memory_order_release);
}
KMPX_HIDDEN void kmpx_team_task_done_slow(kmpx_team *team);
static inline void kmpx_team_task_done(kmpx_thread *th, kmpx_team *team)
{
    if (team->tasks)
        ary_latch_done(team->tasks);
    else if (ARY_LIKELY(th->team == team))
        atomic_fetch_add_explicit(&team->counts[th->tid].done, 1, memory_order_release);
    else
        kmpx_team_task_done_slow(team);
}

/* gcc's regions (kmp_parallel.c): a team of num_threads (0: the nthreads-var ICV) runs
 * fn(data), each member after prologue(th, prologue_arg) if given; returns the team's size.
 * kmpx_team_size_bound: an upper bound of that size, consuming nothing. */
KMPX_HIDDEN int kmpx_fork_gomp(kmpx_thread *th, void (*fn)(void *), void *data,
                               unsigned num_threads, void (*prologue)(kmpx_thread *, void *),
                               void *prologue_arg);
/* The split region API of gcc <= 4.8 (kmp_parallel.c): begin posts fn(data) to a new team and
 * enters it as its primary (after the prologue, with a copy of its argument of up to
 * KMPX_SPLIT_ARG bytes), returning to the program, which runs fn(data) itself; end joins and
 * leaves the innermost such region of the thread. false: out of memory (begin), or no region
 * open (end). */
#define KMPX_SPLIT_ARG 64
KMPX_HIDDEN bool kmpx_split_begin(kmpx_thread *th, void (*fn)(void *), void *data,
                                  unsigned num_threads, void (*prologue)(kmpx_thread *, void *),
                                  const void *arg, size_t arg_size);
KMPX_HIDDEN bool kmpx_split_end(kmpx_thread *th);
KMPX_HIDDEN int kmpx_team_size_bound(kmpx_thread *th, unsigned num_threads);
/* kmp_parallel.c: fn(data) as the initial thread of a device (gcc's target fallback). */
KMPX_HIDDEN void kmpx_run_as_initial(kmpx_thread *th, void (*fn)(void *), void *data);
/* kmp_teams.c: a host teams construct (both ABIs). */
KMPX_HIDDEN void kmpx_run_league(kmpx_thread *th, int nteams, int limit,
                                 void (*body)(kmpx_thread *th, void *arg), void *arg);

/* gcc's loops on the dispatch machinery (kmp_loop.c): init with inclusive 64-bit bounds and
 * a clang schedule code, next chunk (inclusive bounds), leave the current loop (a no-op
 * when the last next already left it). */
KMPX_HIDDEN void kmpx_dispatch_init64(bool uns, kmp_int32 sched, uint64_t lb, uint64_t ub,
                                      int64_t st, int64_t chunk, bool empty);
KMPX_HIDDEN bool kmpx_dispatch_next64(uint64_t *plb, uint64_t *pub);
KMPX_HIDDEN void kmpx_loop_end(kmpx_thread *th);
/* kmp_doacross.c: dimensions of th's doacross loop in progress, 0 if none. */
KMPX_HIDDEN int kmpx_doacross_ndims(kmpx_thread *th);

/* Resets the per-team worksharing counters of a thread joining a team. */
KMPX_HIDDEN void kmpx_loop_thread_reset(kmpx_thread *th);
/* Initializes the loop ring of a new team. */
KMPX_HIDDEN void kmpx_loop_team_init(kmpx_team *team);

/* Locks used for critical sections (a 32-bit futex word; 0 free). */
KMPX_HIDDEN void kmpx_lock_acquire(_Atomic uint32_t *word);
KMPX_HIDDEN void kmpx_lock_release(_Atomic uint32_t *word);
KMPX_HIDDEN bool kmpx_lock_try(_Atomic uint32_t *word);

/* The pointer-sized arguments of a fork (__kmpc_fork_call, __kmpc_fork_teams), copied out
 * of the caller's va_list into `small` or, beyond 16, a malloc'ed array (free it when it is
 * not `small`). */
KMPX_HIDDEN void **kmpx_collect_args(int argc, va_list *ap, void **small);

/* compat/omp_env.c */
KMPX_HIDDEN void kmpx_settings_load(kmpx_settings *s, arayon_config_t *cfg);
KMPX_HIDDEN void kmpx_display_env(const kmpx_settings *s, int nthreads);
/* compat/kmp_ext.c: applies what kmp_set_stacksize / kmp_set_blocktime asked for before the
 * layer started (the environment wins), and notes that it has started. */
KMPX_HIDDEN void kmpx_ext_apply(kmpx_settings *s, arayon_config_t *cfg);
/* compat/omp_check.c: warns about each OpenMP symbol the process's objects import and this
 * library does not define (they bind to the runtime underneath when preloaded). */
KMPX_HIDDEN void kmpx_check_imports(void);
/* kmp_runtime.c: takes a guest slot of the pool for th (false: none free), its steals
 * limited to itself until it enters a team. */
KMPX_HIDDEN bool kmpx_take_guest(kmpx_thread *th);

/* OpenMP allocators (compat/omp_alloc.c). kmpx_alloctrait is omp_alloctrait_t of both
 * compilers' omp.h: an enum key (int) and a uintptr_t value, 16 bytes. */
typedef struct kmpx_alloctrait {
    int key;
    uintptr_t value;
} kmpx_alloctrait;
/* OMP_ALLOCATOR, parsed by compat/omp_env.c when compat/omp_alloc.c first needs the initial
 * def-allocator-var: a predefined allocator (predefined != 0), or a memory space with up to
 * KMPX_ENV_ALLOC_TRAITS traits (predefined == 0). Returns 1 (set and well-formed: *out
 * written), 0 (unset) or -1 (malformed: one warning on stderr, the default stays). */
#define KMPX_ENV_ALLOC_TRAITS 16
typedef struct kmpx_env_allocator {
    uintptr_t predefined;
    uintptr_t memspace;
    int ntraits;
    kmpx_alloctrait traits[KMPX_ENV_ALLOC_TRAITS];
} kmpx_env_allocator;
KMPX_HIDDEN int kmpx_env_allocator_parse(kmpx_env_allocator *out);
/* The thread's def-allocator-var, raw (0: the initial value), for the implicit tasks of a
 * region to inherit (compat/omp_alloc.c). */
KMPX_HIDDEN uintptr_t kmpx_def_alloc_get(void);
KMPX_HIDDEN void kmpx_def_alloc_set(uintptr_t raw);

#endif
