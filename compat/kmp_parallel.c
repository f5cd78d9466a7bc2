/*
 * kmp_parallel.c - parallel regions and team synchronization: __kmpc_fork_call, serialized
 * regions, the barrier, single, master/masked, the pushed num_threads/proc_bind.
 *
 * A region with n threads is a gang (runtime/team.h): the forking thread is member 0 and
 * n-1 reserved workers are members 1..n-1; each runs the microtask with its own gtid and
 * tid, then the join barrier (which also waits for every explicit task of the team). When
 * fewer workers are free than asked for, the team is smaller: omp_get_num_threads() reports
 * the real size. Nested regions beyond max-active-levels have one thread.
 */
#include "kmp.h"
#include "kmp_task.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*kmpc_micro)(kmp_int32 *gtid, kmp_int32 *tid, ...);

#if defined(__x86_64__)
KMPX_HIDDEN void kmpx_invoke_microtask(void *fn, kmp_int32 *gtid, kmp_int32 *tid, int argc,
                                       void **argv); /* kmp_invoke.S */
#else
KMPX_HIDDEN void kmpx_invoke_microtask(void *fn, kmp_int32 *g, kmp_int32 *t, int argc, void **a);
void kmpx_invoke_microtask(void *fn, kmp_int32 *g, kmp_int32 *t, int argc, void **a)
{
    kmpc_micro f = (kmpc_micro)fn;
    switch (argc) {
    case 0: f(g, t); break;
    case 1: f(g, t, a[0]); break;
    case 2: f(g, t, a[0], a[1]); break;
    case 3: f(g, t, a[0], a[1], a[2]); break;
    case 4: f(g, t, a[0], a[1], a[2], a[3]); break;
    case 5: f(g, t, a[0], a[1], a[2], a[3], a[4]); break;
    case 6: f(g, t, a[0], a[1], a[2], a[3], a[4], a[5]); break;
    case 7: f(g, t, a[0], a[1], a[2], a[3], a[4], a[5], a[6]); break;
    case 8: f(g, t, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]); break;
    default:
        fprintf(stderr, "arayon: parallel region with %d arguments is not supported here\n", argc);
        abort();
    }
}
#endif

/* ---- barrier ------------------------------------------------------------------------- *
 *
 * Barriers and tasks. An episode ends when every member has arrived and every explicit task
 * of the team has completed; waiting members run the team's tasks. The tasks are counted
 * per member (team->counts[tid]: registered by the member, completed by the member), so a
 * spawn and a completion touch the member's own cache line only. The team is quiet when
 * the sum of completions equals the sum of registrations, read completions first: a task
 * counted as completed was registered before it was published, so its registration is seen
 * by the later reads; a task not completed keeps the sums apart. Only tasks spawned by
 * members exist in the team, and only members run them (they steal from their team only,
 * runtime/team.h), so once all members have arrived nothing can join the count.
 *
 * Any waiting member that finds all arrived and the team quiet opens the barrier (one wins
 * the reset of the arrival count), then wakes the others. A member that completes the last
 * task is itself waiting in the barrier, so it is the one that sees the team quiet. With
 * nested active teams a thread may run tasks of a team it is not in; then the team counts
 * with one shared latch (team->tasks) and the last member to arrive waits for it.
 */

typedef struct bar_wait {
    kmpx_team *team;
    uint32_t gen;
} bar_wait;

static bool team_quiet(kmpx_team *team)
{
    int n = team->nthreads;
    uint64_t done = 0, spawned = 0;
    for (int i = 0; i < n; i++)
        done += atomic_load_explicit(&team->counts[i].done, memory_order_acquire);
    for (int i = 0; i < n; i++)
        spawned += atomic_load_explicit(&team->counts[i].spawned, memory_order_acquire);
    return done == spawned;
}

static void bar_open(kmpx_team *team, uint32_t gen, int self)
{
    atomic_store_explicit(&team->cancel_ws, 0, memory_order_relaxed);
    atomic_store_explicit(&team->bar_gen, gen + 1, memory_order_seq_cst);
    for (int i = 0; i < team->nthreads; i++)
        if (i != self && team->members[i])
            ary_wake_worker(team->members[i]);
}

static bool bar_released(void *ctx)
{
    bar_wait *b = ctx;
    kmpx_team *team = b->team;
    if (atomic_load_explicit(&team->bar_gen, memory_order_acquire) != b->gen)
        return true;
    uint32_t n = (uint32_t)team->nthreads;
    if (team->tasks || atomic_load_explicit(&team->bar_arrived, memory_order_acquire) != n ||
        !team_quiet(team))
        return false;
    uint32_t expect = n;
    if (!atomic_compare_exchange_strong_explicit(&team->bar_arrived, &expect, 0,
                                                 memory_order_acq_rel, memory_order_relaxed))
        return false; /* another member is opening it */
    bar_open(team, b->gen, kmpx_tls_self->tid);
    return true;
}

/* Latch mode (nested active teams): the last member to arrive waits for the team's tasks,
 * then opens the episode. */
static void latch_open(kmpx_thread *th, uint32_t gen)
{
    kmpx_team *team = th->team;
    ary_latch_wait(team->tasks);
    atomic_store_explicit(&team->bar_arrived, 0, memory_order_relaxed);
    bar_open(team, gen, th->tid);
}

/* gcc's cancellable barrier. A member counts itself in in_cancel_bar before it looks at the
 * cancel flag (both seq_cst), and the cancelling thread sets the flag before it waits for
 * in_cancel_bar to drop to zero: so either the member sees the flag and does not arrive, or
 * the canceller waits until the member has taken its arrival back (or the episode ended
 * normally). The join barrier therefore never counts an arrival of an abandoned episode. */
static bool cbar_released(void *ctx)
{
    bar_wait *b = ctx;
    if (atomic_load_explicit(&b->team->cancel_parallel, memory_order_seq_cst))
        return true;
    return bar_released(ctx);
}

bool kmpx_barrier_cancellable(kmpx_thread *th)
{
    kmpx_team *team = th->team;
    if (!kmpx_set.cancellation || team->nthreads == 1) {
        kmpx_barrier(th);
        return kmpx_set.cancellation &&
               atomic_load_explicit(&team->cancel_parallel, memory_order_acquire);
    }
    atomic_fetch_add_explicit(&team->in_cancel_bar, 1, memory_order_seq_cst);
    bool cancelled = atomic_load_explicit(&team->cancel_parallel, memory_order_seq_cst);
    if (!cancelled) {
        uint32_t n = (uint32_t)team->nthreads;
        uint32_t gen = atomic_load_explicit(&team->bar_gen, memory_order_relaxed);
        uint32_t arrived =
            atomic_fetch_add_explicit(&team->bar_arrived, 1, memory_order_acq_rel) + 1;
        bar_wait b = {team, gen};
        if (team->tasks && arrived == n)
            latch_open(th, gen);
        else {
            ary_wait_until(th->worker, cbar_released, &b);
        }
        cancelled = atomic_load_explicit(&team->cancel_parallel, memory_order_acquire);
        /* cancelled while waiting: take the arrival back, unless the episode is ending */
        while (cancelled && atomic_load_explicit(&team->bar_gen, memory_order_acquire) == gen) {
            uint32_t x = atomic_load_explicit(&team->bar_arrived, memory_order_acquire);
            if (x == n) { /* all were in before the cancel: the episode ends normally */
                ary_wait_until(th->worker, bar_released, &b);
                break;
            }
            if (x == 0) { /* an opener is resetting it: the episode ends */
                aryd_cpu_relax();
                continue;
            }
            if (atomic_compare_exchange_weak_explicit(&team->bar_arrived, &x, x - 1,
                                                      memory_order_acq_rel,
                                                      memory_order_relaxed))
                break;
        }
    }
    atomic_fetch_sub_explicit(&team->in_cancel_bar, 1, memory_order_seq_cst);
    return cancelled;
}

void kmpx_cancel_parallel_sync(kmpx_thread *th)
{
    kmpx_team *team = th->team;
    atomic_thread_fence(memory_order_seq_cst);
    for (int i = 0; i < team->nthreads; i++)
        if (i != th->tid && team->members[i])
            ary_wake_worker(team->members[i]);
    unsigned spins = 0;
    while (atomic_load_explicit(&team->in_cancel_bar, memory_order_seq_cst) != 0) {
        if (++spins < 256)
            aryd_cpu_relax();
        else
            aryd_yield();
    }
}

/* A team of one waits for its detached tasks (their completions come from anywhere). */
static bool quiet_alone(void *ctx) { return team_quiet(((bar_wait *)ctx)->team); }

void kmpx_barrier(kmpx_thread *th)
{
    kmpx_team *team = th->team;
    int n = team->nthreads;
    if (n == 1) { /* its tasks were included, except detached ones */
        atomic_store_explicit(&team->cancel_ws, 0, memory_order_relaxed);
        if (!team_quiet(team)) {
            bar_wait b = {team, atomic_load_explicit(&team->bar_gen, memory_order_relaxed)};
            ary_wait_until(th->worker, quiet_alone, &b);
        }
        return;
    }
    uint32_t gen = atomic_load_explicit(&team->bar_gen, memory_order_relaxed);
    uint32_t arrived = atomic_fetch_add_explicit(&team->bar_arrived, 1, memory_order_acq_rel) + 1;
    if (team->tasks && arrived == (uint32_t)n) {
        latch_open(th, gen);
        return;
    }
    bar_wait b = {team, gen};
    ary_wait_until(th->worker, bar_released, &b);
}

/* A task of the team completed on a thread outside it (detach fulfilled elsewhere, nested
 * teams): counted on slot 0, and the pool's sleepers are woken to look at the counts again.
 * Not the team's members: once the count is in, the barrier may open and the team record
 * serve the next region, so the team is not read after it (the pool outlives all teams). */
void kmpx_team_task_done_slow(kmpx_team *team)
{
    atomic_fetch_add_explicit(&team->counts[0].done, 1, memory_order_seq_cst);
    ary_wake_all(kmpx_pool);
}

KMPX_API void __kmpc_barrier(ident_t *loc, kmp_int32 gtid);
void __kmpc_barrier(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_barrier(kmpx_self());
}

/* ---- teams ---------------------------------------------------------------------------- */

static kmpx_team *team_alloc(kmpx_thread *th)
{
    kmpx_team *t = th->spare_team;
    if (t) {
        th->spare_team = NULL;
        return t;
    }
    return kmpx_team_new();
}

static void team_free(kmpx_thread *th, kmpx_team *t)
{
    if (!th->spare_team)
        th->spare_team = t;
    else
        free(t);
}

static ary_latch *latch_new(void)
{
    ary_latch *l = ary_latch_new(kmpx_pool);
    if (!l) {
        fputs("arayon: out of memory creating an OpenMP team\n", stderr);
        abort();
    }
    return l;
}

/* What a thread saves when it enters a team and restores when it leaves. */
typedef struct member_saved {
    kmpx_team *team;
    int tid;
    kmpx_task *task;
    uint64_t singles, ws_count, dacr_count, share_count;
    int num_teams, team_num, teams_limit;
    struct gompx_share *ws_share;
    struct kmpx_doacross *dacr;
    struct kmpx_ws_thread loop;
    int nthreads_var;
    int run_sched_kind, run_sched_chunk;
    ary_worker *const *peers;
    unsigned npeers;
} member_saved;

/* `icv` is the forking thread: its task's ICVs are the implicit tasks' (nthreads-var and
 * run-sched-var; a runtime-scheduled loop is set up by whichever member comes first). */
static void member_enter(kmpx_thread *th, kmpx_team *team, int tid, kmpx_task *implicit,
                         const kmpx_thread *icv, member_saved *s)
{
    s->team = th->team;
    s->tid = th->tid;
    s->task = th->task;
    s->singles = th->singles;
    s->ws_count = th->ws_count;
    s->dacr_count = th->dacr_count;
    s->dacr = th->dacr;
    s->share_count = th->share_count;
    s->ws_share = th->ws_share;
    s->num_teams = th->num_teams;
    s->team_num = th->team_num;
    s->teams_limit = th->teams_limit;
    s->loop = th->loop;
    s->nthreads_var = th->nthreads_var;
    s->run_sched_kind = th->run_sched_kind;
    s->run_sched_chunk = th->run_sched_chunk;
    s->peers = NULL;
    s->npeers = 0;
    if (th->worker) {
        s->peers = th->worker->peers;
        s->npeers = th->worker->npeers;
        if (team->nthreads > 1) /* a team's threads take tasks from the team only */
            ary_set_peers(th->worker, team->members, (unsigned)team->nthreads);
    }
    th->team = team;
    th->tid = tid;
    th->singles = 0;
    th->dacr_count = 0;
    th->dacr = NULL;
    th->share_count = 0;
    th->ws_share = NULL;
    th->num_teams = icv->num_teams; /* a region inside a host team belongs to that team */
    th->team_num = icv->team_num;
    th->teams_limit = icv->teams_limit;
    th->nthreads_var = icv->nthreads_var;
    th->run_sched_kind = icv->run_sched_kind;
    th->run_sched_chunk = icv->run_sched_chunk;
    kmpx_loop_thread_reset(th);
    kmpx_task_init_implicit(implicit, s->task, team);
    th->task = implicit;
}

static void member_leave(kmpx_thread *th, kmpx_task *implicit, const member_saved *s)
{
    kmpx_task_fini_implicit(implicit);
    if (th->worker)
        ary_set_peers(th->worker, s->peers, s->npeers);
    th->team = s->team;
    th->tid = s->tid;
    th->task = s->task;
    th->singles = s->singles;
    th->ws_count = s->ws_count;
    th->dacr_count = s->dacr_count;
    th->dacr = s->dacr;
    th->share_count = s->share_count;
    th->ws_share = s->ws_share;
    th->num_teams = s->num_teams;
    th->team_num = s->team_num;
    th->teams_limit = s->teams_limit;
    th->loop = s->loop;
    th->nthreads_var = s->nthreads_var;
    th->run_sched_kind = s->run_sched_kind;
    th->run_sched_chunk = s->run_sched_chunk;
}

/* A region's body: clang's microtask with its arguments, or (gcc) fn(data), which every
 * member may precede with a prologue (a combined `parallel for` sets up its loop there). */
typedef struct fork_ctx {
    kmpx_team *team;
    void *microtask;
    int argc;
    void **argv;
    void (*fn)(void *);
    void *data;
    void (*prologue)(kmpx_thread *th, void *arg);
    void *prologue_arg;
    kmpx_thread icv; /* the forking thread's ICVs (nthreads_var, run_sched_*) */
} fork_ctx;

static void member_run(kmpx_thread *th, fork_ctx *c, int tid)
{
    member_saved s;
    kmpx_task implicit;
    member_enter(th, c->team, tid, &implicit, &c->icv, &s);
    if (c->fn) {
        if (c->prologue)
            c->prologue(th, c->prologue_arg);
        c->fn(c->data);
    } else {
        kmp_int32 gtid = th->gtid, btid = tid;
        kmpx_invoke_microtask(c->microtask, &gtid, &btid, c->argc, c->argv);
    }
    kmpx_barrier(th); /* the join barrier */
    member_leave(th, &implicit, &s);
}

static void member_main(void *ctx, unsigned member) { member_run(kmpx_self(), ctx, (int)member); }

/* The team size for the next region of this thread; consumes the pushed value. */
static int next_team_size(kmpx_thread *th)
{
    int n = kmpx_team_size_bound(th, 0);
    th->pushed_nthreads = 0;
    th->pushed_bind = 0;
    return n;
}

/* Runs a region of (up to) the next team size on th and its reserved workers; returns the
 * team's real size. c: the body (team and icv are filled in here). */
static int fork_team(kmpx_thread *th, fork_ctx *c)
{
    int want = next_team_size(th);
    bool took_guest = false;
    if (want > 1 && !th->worker && kmpx_pool && !ary_tls_worker)
        took_guest = (th->worker = ary_guest_enter(kmpx_pool)) != NULL;
    ary_worker *reserved[64];
    ary_worker **res = reserved;
    unsigned got = 0;
    if (want > 1 && th->worker) {
        if (want - 1 > 64 && !(res = malloc((size_t)(want - 1) * sizeof *res)))
            res = reserved, want = 65;
        got = ary_gang_reserve(th->worker, (unsigned)want - 1, res);
    }
    int n = (int)got + 1;
    kmpx_team *team = team_alloc(th);
    kmpx_team_init(team, th->team, n, th->tid);
    team->primary = th;
    team->members[0] = th->worker;
    for (unsigned i = 0; i < got; i++)
        team->members[i + 1] = res[i];
    c->team = team;
    c->icv.nthreads_var = th->nthreads_var;
    c->icv.run_sched_kind = th->run_sched_kind;
    c->icv.run_sched_chunk = th->run_sched_chunk;
    c->icv.num_teams = th->num_teams;
    c->icv.team_num = th->team_num;
    c->icv.teams_limit = th->teams_limit;
    ary_latch *joined = NULL;
    if (n > 1) {
        if (kmpx_set.max_active_levels > 1) /* nested teams may run each other's tasks */
            team->tasks = latch_new();
        joined = latch_new();
        ary_latch_add(joined, got);
        for (unsigned i = 0; i < got; i++)
            ary_gang_post(res[i], member_main, c, i + 1, joined);
    }
    if (res != reserved)
        free(res);
    member_run(th, c, 0);
    if (joined) {
        ary_latch_wait(joined); /* members are out of the team: it can go */
        ary_latch_free(joined);
        if (team->tasks)
            ary_latch_free(team->tasks);
    }
    team_free(th, team);
    if (took_guest) { /* every task of the region is done: the guest deque is empty */
        ary_guest_leave(th->worker);
        th->worker = NULL;
    }
    return n;
}

static void fork_microtask(kmpx_thread *th, void *microtask, int argc, void **argv)
{
    fork_ctx c = {.microtask = microtask, .argc = argc, .argv = argv};
    fork_team(th, &c);
}

int kmpx_fork_gomp(kmpx_thread *th, void (*fn)(void *), void *data, unsigned num_threads,
                   void (*prologue)(kmpx_thread *, void *), void *prologue_arg)
{
    if (num_threads > 0)
        th->pushed_nthreads = num_threads > INT32_MAX ? INT32_MAX : (int)num_threads;
    fork_ctx c = {.fn = fn, .data = data, .prologue = prologue, .prologue_arg = prologue_arg};
    return fork_team(th, &c);
}

int kmpx_team_size_bound(kmpx_thread *th, unsigned num_threads)
{
    int n = num_threads > 0 ? (num_threads > INT32_MAX ? INT32_MAX : (int)num_threads)
                            : th->pushed_nthreads > 0 ? th->pushed_nthreads : th->nthreads_var;
    if (th->team->active_level >= kmpx_set.max_active_levels)
        n = 1;
    if (n > kmpx_set.thread_limit)
        n = kmpx_set.thread_limit;
    if (th->teams_limit > 0 && n > th->teams_limit)
        n = th->teams_limit;
    return n < 1 ? 1 : n;
}

void **kmpx_collect_args(int argc, va_list *ap, void **small)
{
    void **argv = small;
    if (argc > 16 && !(argv = malloc((size_t)argc * sizeof *argv))) {
        fputs("arayon: out of memory forking a parallel region\n", stderr);
        abort();
    }
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(*ap, void *);
    return argv;
}

KMPX_API void __kmpc_fork_call(ident_t *loc, kmp_int32 argc, kmpc_micro microtask, ...);
void __kmpc_fork_call(ident_t *loc, kmp_int32 argc, kmpc_micro microtask, ...)
{
    (void)loc;
    kmpx_thread *th = kmpx_self();
    void *small[16];
    va_list ap;
    va_start(ap, microtask);
    void **argv = kmpx_collect_args(argc, &ap, small);
    va_end(ap);
    fork_microtask(th, (void *)microtask, argc, argv);
    if (argv != small)
        free(argv);
}

/* Newer clang (OpenMPIRBuilder) passes the if clause to the runtime. */
KMPX_API void __kmpc_fork_call_if(ident_t *loc, kmp_int32 argc, kmpc_micro microtask,
                                  kmp_int32 cond, void *args);
void __kmpc_fork_call_if(ident_t *loc, kmp_int32 argc, kmpc_micro microtask, kmp_int32 cond,
                         void *args)
{
    (void)loc;
    kmpx_thread *th = kmpx_self();
    if (!cond)
        th->pushed_nthreads = 1;
    fork_microtask(th, (void *)microtask, argc, (void **)args);
}

/* A target region's host fallback (gomp_target.c): fn(data) on th as the initial thread of a
 * device of its own, outside any team (level 0, a team of one), whatever th was in. */
void kmpx_run_as_initial(kmpx_thread *th, void (*fn)(void *), void *data)
{
    kmpx_team *team = team_alloc(th);
    kmpx_team_init(team, NULL, 1, 0);
    team->primary = th;
    team->members[0] = th->worker;
    member_saved s;
    kmpx_task implicit;
    kmpx_thread icv; /* the ICVs it keeps; no teams */
    memset(&icv, 0, sizeof icv);
    icv.nthreads_var = th->nthreads_var;
    icv.run_sched_kind = th->run_sched_kind;
    icv.run_sched_chunk = th->run_sched_chunk;
    member_enter(th, team, 0, &implicit, &icv, &s);
    fn(data);
    kmpx_barrier(th); /* its tasks (a team of one: only detached ones can be pending) */
    member_leave(th, &implicit, &s);
    team_free(th, team);
}

KMPX_API void __kmpc_push_num_threads(ident_t *loc, kmp_int32 gtid, kmp_int32 n);
void __kmpc_push_num_threads(ident_t *loc, kmp_int32 gtid, kmp_int32 n)
{
    (void)loc, (void)gtid;
    kmpx_self()->pushed_nthreads = n;
}

KMPX_API void __kmpc_push_proc_bind(ident_t *loc, kmp_int32 gtid, int proc_bind);
void __kmpc_push_proc_bind(ident_t *loc, kmp_int32 gtid, int proc_bind)
{
    (void)loc, (void)gtid;
    kmpx_self()->pushed_bind = proc_bind; /* placement is the pool's: recorded, not applied */
}

/* Serialized regions (if(0), or nested beyond max-active-levels when clang knows it): a
 * team of one, entered and left by the compiler's code around its own call of the body. */
typedef struct serial_frame {
    kmpx_team *team;
    kmpx_task implicit;
    member_saved saved;
} serial_frame;

KMPX_API void __kmpc_serialized_parallel(ident_t *loc, kmp_int32 gtid);
void __kmpc_serialized_parallel(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    th->pushed_nthreads = 0; /* clang pushes before it evaluates the if clause */
    th->pushed_bind = 0;
    serial_frame *f = malloc(sizeof *f);
    if (!f) {
        fputs("arayon: out of memory entering a serialized region\n", stderr);
        abort();
    }
    f->team = team_alloc(th);
    kmpx_team_init(f->team, th->team, 1, th->tid);
    f->team->primary = th;
    f->team->members[0] = th->worker;
    member_enter(th, f->team, 0, &f->implicit, th, &f->saved);
    f->team->serial_frame = f;
}

KMPX_API void __kmpc_end_serialized_parallel(ident_t *loc, kmp_int32 gtid);
void __kmpc_end_serialized_parallel(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    serial_frame *f = th->team->serial_frame;
    if (!f)
        return; /* not in a serialized region */
    kmpx_barrier(th);
    kmpx_team *team = f->team;
    member_leave(th, &f->implicit, &f->saved);
    team_free(th, team);
    free(f);
}

/* ---- single, master, masked ------------------------------------------------------------ */

/* Each member numbers the singles it meets; the first to arrive at number k moves the
 * team's claim count from k to k+1 and runs the body. */
KMPX_API kmp_int32 __kmpc_single(ident_t *loc, kmp_int32 gtid);
kmp_int32 __kmpc_single(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    uint64_t k = th->singles++;
    if (th->team->nthreads == 1)
        return 1;
    uint64_t expect = k;
    return atomic_compare_exchange_strong_explicit(&th->team->single_claimed, &expect, k + 1,
                                                   memory_order_acq_rel, memory_order_relaxed);
}

KMPX_API void __kmpc_end_single(ident_t *loc, kmp_int32 gtid);
void __kmpc_end_single(ident_t *loc, kmp_int32 gtid) { (void)loc, (void)gtid; }

KMPX_API kmp_int32 __kmpc_master(ident_t *loc, kmp_int32 gtid);
kmp_int32 __kmpc_master(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    return kmpx_self()->tid == 0;
}

KMPX_API void __kmpc_end_master(ident_t *loc, kmp_int32 gtid);
void __kmpc_end_master(ident_t *loc, kmp_int32 gtid) { (void)loc, (void)gtid; }

KMPX_API kmp_int32 __kmpc_masked(ident_t *loc, kmp_int32 gtid, kmp_int32 filter);
kmp_int32 __kmpc_masked(ident_t *loc, kmp_int32 gtid, kmp_int32 filter)
{
    (void)loc, (void)gtid;
    return kmpx_self()->tid == filter;
}

KMPX_API void __kmpc_end_masked(ident_t *loc, kmp_int32 gtid);
void __kmpc_end_masked(ident_t *loc, kmp_int32 gtid) { (void)loc, (void)gtid; }
