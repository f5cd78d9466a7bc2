/*
 * kmp_runtime.c - starting the layer, and the per-thread state.
 *
 * The layer starts on the first call from any thread (pthread_once): it reads the
 * environment (omp_env.c) and creates the pool every team runs on: nthreads-var - 1 worker
 * threads (the thread that forks is the team's thread 0) and KMPX_GUESTS guest slots for
 * the threads that fork (runtime/team.h). The pool is gang-only: a worker runs jobs only
 * while it is a member of a team, so the tasks of a team run on the team's threads.
 *
 * Every thread that calls in gets a kmpx_thread (thread-local), a gtid (0 for the first,
 * then 1, 2, ... in order of first call), a root team of one thread (level 0) and an
 * implicit task. A thread that is not a worker takes a guest slot if one is free; without
 * one, its teams have one thread and its tasks run at once.
 */
#include "kmp.h"
#include "kmp_task.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KMPX_GUESTS 4    /* threads that fork teams at the same time (guest slots) */
#define KMPX_MAX_TEAM 64 /* team size available without OMP_NUM_THREADS saying more */

ARY_TLS kmpx_thread *kmpx_tls_self;
ary_pool *kmpx_pool;

static pthread_once_t layer_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static _Atomic int next_gtid;
static pthread_mutex_t retired_lock = PTHREAD_MUTEX_INITIALIZER;
static struct thread_block *retired; /* records of exited threads, linked by spare_team */

/* A thread's state and its initial (implicit) task. */
typedef struct thread_block {
    kmpx_thread th;
    kmpx_task root_task;
} thread_block;

/* A guest slot for th (team.h). Outside any team the thread may run tasks only from its own
 * deque: a helping wait at level 0 (the wait for a region's members to leave, a serial
 * region's taskwait) must not take another team's task, which would run with this thread's
 * team numbers (omp_get_thread_num indexes gcc's task reduction copies: sums came out short
 * when threads of the program forked teams side by side). Its peers are itself; member_enter
 * and member_leave swap the team's in and out. */
bool kmpx_take_guest(kmpx_thread *th)
{
    th->worker = ary_guest_enter(kmpx_pool);
    if (!th->worker)
        return false;
    ary_set_peers(th->worker, &th->worker, 1);
    return true;
}

static void thread_exit(void *arg)
{
    thread_block *b = arg;
    kmpx_thread *th = &b->th;
    kmpx_hot_release(th);
    if (th->worker && th->worker->index >= th->worker->pool->nthreads)
        ary_guest_leave(th->worker);
    kmpx_tls_self = NULL;
    kmpx_task_release_cache(th);
    free(th->spare_team);
    free(th->team); /* the root team (the thread left every other) */
    /* Not freed: task blocks this thread allocated may still come back to it (kmp_task.c).
     * The record goes to the next thread that registers. */
    pthread_mutex_lock(&retired_lock);
    th->spare_team = (kmpx_team *)retired;
    retired = b;
    pthread_mutex_unlock(&retired_lock);
}

static void layer_init(void)
{
    arayon_config_t cfg = arayon_config_default();
    kmpx_settings_load(&kmpx_set, &cfg);
    kmpx_ext_apply(&kmpx_set, &cfg); /* kmp_set_stacksize / kmp_set_blocktime made earlier */
    cfg.name = "omp";
    /* Threads for nthreads-var at once; records for larger teams (num_threads clauses,
     * omp_set_num_threads) up to KMPX_MAX_TEAM or the thread limit, started on demand. */
    unsigned start = kmpx_set.nthreads > 1 ? (unsigned)kmpx_set.nthreads - 1 : 1;
    unsigned most = kmpx_set.nthreads > KMPX_MAX_TEAM ? (unsigned)kmpx_set.nthreads : KMPX_MAX_TEAM;
    if ((unsigned)kmpx_set.thread_limit < most)
        most = (unsigned)kmpx_set.thread_limit;
    unsigned spare = most > start + 1 ? most - 1 - start : 0;
    cfg.num_threads = start;
    /* Every worker thread starts when a team first needs it (so kmp_set_stacksize and the
     * like, called before the first region, still apply to all of them). */
    int rc = ary_pool_create_lazy(&cfg, spare, KMPX_GUESTS, &kmpx_pool);
    if (rc != ARAYON_OK) {
        fprintf(stderr, "arayon: the OpenMP layer could not start its pool (%s); "
                        "parallel regions run with one thread\n", arayon_strerror(rc));
        kmpx_pool = NULL;
    }
    if (kmpx_pool && kmpx_set.tw_from)
        ary_team_wait_set(kmpx_pool, kmpx_set.tw_spin_ns, kmpx_set.tw_block_ns);
    pthread_key_create(&thread_key, thread_exit);
    kmpx_check_imports(); /* OpenMP calls that would bypass arayon: said once, here */
    if (kmpx_set.display_env)
        kmpx_display_env(&kmpx_set, kmpx_set.nthreads);
    /* ARAYON_METRICS: the runtime reports every pool at exit, this one included. */
}

static void dacr_init(kmpx_team *team);

static size_t up64(size_t n) { return (n + 63) & ~(size_t)63; }

/* NULL when out of memory: the callers fall back or end the program (kmpx_team_oom;
 * docs/design/openmp-compat.md, "Running out of memory"). */
kmpx_team *kmpx_team_new(void)
{
    size_t cap = kmpx_pool ? kmpx_pool->nworkers + 1 : 1;
    size_t at_members = up64(sizeof(kmpx_team));
    size_t at_counts = at_members + up64(cap * sizeof(ary_worker *));
    kmpx_team *t = aligned_alloc(64, at_counts + cap * sizeof(struct kmpx_tcount));
    if (!t)
        return NULL;
    memset(t, 0, at_counts + cap * sizeof(struct kmpx_tcount));
    t->members = (ary_worker **)((char *)t + at_members);
    t->counts = (struct kmpx_tcount *)((char *)t + at_counts);
    t->nthreads = 0; /* kmpx_team_init sets everything that depends on the size */
    dacr_init(t);
    kmpx_loop_team_init(t);
    return t;
}

_Noreturn void kmpx_team_oom(void)
{
    fputs("arayon: out of memory creating an OpenMP team\n", stderr);
    abort();
}

/* Resets an atomic only if it holds something else: a fork rewrites nothing that the last
 * region left as it should be, so lines the members read stay shared in their caches. */
#define RESET(field, v)                                                                      \
    do {                                                                                     \
        if (atomic_load_explicit(&(field), memory_order_relaxed) != (v))                     \
            atomic_store_explicit(&(field), (v), memory_order_relaxed);                      \
    } while (0)

static void dacr_init(kmpx_team *team)
{
    for (unsigned i = 0; i < 4; i++) {
        atomic_store_explicit(&team->dacr[i].gen, i, memory_order_relaxed);
        atomic_store_explicit(&team->dacr[i].loop, NULL, memory_order_relaxed);
    }
}

/* Sets up a team record: size, level, barrier, task counts, ring. A fork of the same team
 * record (hot teams, kmp_parallel.c) costs what the last region used: the task counts are
 * reset only if it had tasks (only then are they non-zero), the worksharing ring, the
 * doacross slots and gcc's shared constructs only if it used them (team->ws_dirty). */
void kmpx_team_init(kmpx_team *team, kmpx_team *parent, int nthreads, int parent_tid)
{
    int old_n = team->nthreads;
    if (atomic_load_explicit(&team->has_tasks, memory_order_relaxed)) {
        for (int i = 0; i < old_n; i++) {
            atomic_store_explicit(&team->counts[i].spawned, 0, memory_order_relaxed);
            atomic_store_explicit(&team->counts[i].done, 0, memory_order_relaxed);
        }
        atomic_store_explicit(&team->has_tasks, 0, memory_order_relaxed);
    }
    /* plain fields the members read: written only when they change (hot teams) */
    int level = parent ? parent->level + 1 : 0;
    int active_level = parent ? parent->active_level + (nthreads > 1) : 0;
    if (team->nthreads != nthreads)
        team->nthreads = nthreads;
    if (team->parent != parent)
        team->parent = parent;
    if (team->parent_tid != parent_tid)
        team->parent_tid = parent_tid;
    if (team->level != level)
        team->level = level;
    if (team->active_level != active_level)
        team->active_level = active_level;
    /* team->bar is not reset: its episode number keeps counting (kmp_parallel.c) */
    RESET(team->single_claimed, 0);
    RESET(team->copy_data, NULL);
    RESET(team->cancel_parallel, 0);
    RESET(team->cancel_ws, 0);
    RESET(team->in_cancel_bar, 0);
    uint32_t dirty = atomic_load_explicit(&team->ws_dirty, memory_order_relaxed);
    if ((dirty & KMPX_WS_USED_SHARE) || old_n != nthreads) {
        atomic_store_explicit(&team->share_claimed, 0, memory_order_relaxed);
        atomic_store_explicit(&team->share_ready, 0, memory_order_relaxed);
        atomic_store_explicit(&team->share_seen, (uint32_t)nthreads - 1, memory_order_relaxed);
        atomic_store_explicit(&team->share, NULL, memory_order_relaxed);
    }
    if (team->tasks)
        team->tasks = NULL;
    if (team->serial_frame)
        team->serial_frame = NULL;
    if (dirty & KMPX_WS_USED_DACR)
        dacr_init(team);
    if (dirty & KMPX_WS_USED_RING)
        kmpx_loop_team_init(team);
    if (dirty)
        atomic_store_explicit(&team->ws_dirty, 0, memory_order_relaxed);
}

kmpx_thread *kmpx_self_slow(void)
{
    pthread_once(&layer_once, layer_init);
    pthread_mutex_lock(&retired_lock);
    thread_block *b = retired;
    if (b)
        retired = (thread_block *)b->th.spare_team;
    pthread_mutex_unlock(&retired_lock);
    void *remote = NULL;
    struct kmpx_tpmap *tpmap = NULL;
    if (b) {
        remote = atomic_exchange(&b->th.remote_free, NULL);
        tpmap = b->th.tpmap;
    }
    else if (!(b = aligned_alloc(64, up64(sizeof *b)))) {
        fputs("arayon: out of memory registering an OpenMP thread\n", stderr);
        abort();
    }
    memset(b, 0, sizeof *b);
    atomic_store(&b->th.remote_free, remote);
    b->th.tpmap = tpmap; /* threadprivate copies stay with the record */
    kmpx_thread *th = &b->th;
    th->gtid = atomic_fetch_add_explicit(&next_gtid, 1, memory_order_relaxed);
    th->nthreads_var = kmpx_set.nthreads;
    th->run_sched_kind = kmpx_set.run_sched_kind;
    th->run_sched_chunk = kmpx_set.run_sched_chunk;
    kmpx_team *root = kmpx_team_new();
    if (!root)
        kmpx_team_oom();
    kmpx_team_init(root, NULL, 1, 0);
    th->team = root;
    th->tid = 0;
    kmpx_task_init_implicit(&b->root_task, NULL, th->team);
    th->task = &b->root_task;
    /* The first thread keeps a guest slot; others take one for each region they fork with
     * more than one thread (kmp_parallel.c), so threads that only ask questions hold none. */
    if (kmpx_pool) {
        ary_worker *w = ary_tls_worker;
        if (w && w->pool == kmpx_pool)
            th->worker = w;
        else if (!w && th->gtid == 0)
            kmpx_take_guest(th);
    }
    root->members[0] = th->worker;
    root->primary = th;
    kmpx_loop_thread_reset(th);
    kmpx_tls_self = th;
    pthread_setspecific(thread_key, b);
    return th;
}

/* The runtime's name as a program can check it (dlsym), to be sure it runs on arayon. */
KMPX_API const char *arayon_omp_runtime_name(void);
const char *arayon_omp_runtime_name(void) { return "arayon"; }

KMPX_API kmp_int32 __kmpc_global_thread_num(ident_t *loc);
kmp_int32 __kmpc_global_thread_num(ident_t *loc)
{
    (void)loc;
    return kmpx_self()->gtid;
}

KMPX_API kmp_int32 __kmpc_global_num_threads(ident_t *loc);
kmp_int32 __kmpc_global_num_threads(ident_t *loc)
{
    (void)loc;
    return atomic_load_explicit(&next_gtid, memory_order_relaxed);
}

KMPX_API void __kmpc_begin(ident_t *loc, kmp_int32 flags);
void __kmpc_begin(ident_t *loc, kmp_int32 flags)
{
    (void)loc, (void)flags;
    (void)kmpx_self();
}

KMPX_API void __kmpc_end(ident_t *loc);
void __kmpc_end(ident_t *loc) { (void)loc; }

KMPX_API kmp_int32 __kmpc_ok_to_fork(ident_t *loc);
kmp_int32 __kmpc_ok_to_fork(ident_t *loc)
{
    (void)loc;
    return 1;
}
