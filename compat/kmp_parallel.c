/*
 * kmp_parallel.c - parallel regions: __kmpc_fork_call, hot teams, serialized regions,
 * single, master/masked, the pushed num_threads/proc_bind. The barrier and the join are in
 * kmp_barrier.c.
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

/* ---- teams ---------------------------------------------------------------------------- */

static kmpx_team *team_alloc(kmpx_thread *th)
{
    kmpx_team *t = th->spare_team;
    if (t) {
        th->spare_team = NULL;
        return t;
    }
    if (!(t = kmpx_team_new()))
        kmpx_team_oom(); /* no record, no region: fatal */
    return t;
}

static void team_free(kmpx_thread *th, kmpx_team *t)
{
    if (!th->spare_team)
        th->spare_team = t;
    else
        free(t);
}

/* A team's threads take tasks from the team only: from its members' deques (their peers,
 * member_enter), and there from the team's segment. The primary of a nested team is still a
 * member of the enclosing teams, whose members steal from its deque: before the team starts
 * it seals the deque with the team's members as the tag (runtime/deque.h, "Seals"), so that
 * the tasks queued there before (the enclosing team's) and from then on (this team's) each
 * go to their own team's threads, and its own waits in the team pop this team's tasks only.
 * It unseals when every member has left the team (no thief with the tag is left). Without
 * this a waiting member of one team ran tasks of another: omp_get_thread_num, omp_get_level
 * and gcc's task reduction slots were the wrong team's, and the children of such tasks were
 * counted in the wrong team (docs/stress.md, faults 6, 14 and 15). Deeper than
 * ARY_DEQUE_SEALS such levels of one thread, the deque stays as it is. */
static bool team_seal(kmpx_thread *th, kmpx_team *team)
{
    return th->worker && th->team->level > 0 && ary_deque_seal(&th->worker->deque, team->members);
}

static void team_unseal(kmpx_thread *th, bool sealed)
{
    if (sealed) /* the team's tasks are complete: its segment is empty */
        ary_deque_unseal(&th->worker->deque);
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
    uintptr_t def_alloc;
    ary_worker *const *peers;
    unsigned npeers;
} member_saved;

/* The ICVs the implicit tasks of a region inherit from the forking thread's task. */
typedef struct fork_icv {
    int nthreads_var, run_sched_kind, run_sched_chunk;
    int num_teams, team_num, teams_limit;
    uintptr_t def_alloc; /* def-allocator-var (omp_alloc.c), raw */
} fork_icv;

static fork_icv icv_of(const kmpx_thread *th)
{
    return (fork_icv){th->nthreads_var, th->run_sched_kind, th->run_sched_chunk,
                      th->num_teams,    th->team_num,       th->teams_limit,
                      kmpx_def_alloc_get()};
}

/* `icv`: the forking thread's (nthreads-var and run-sched-var; a runtime-scheduled loop is
 * set up by whichever member comes first). */
static void member_enter(kmpx_thread *th, kmpx_team *team, int tid, kmpx_task *implicit,
                         const fork_icv *icv, member_saved *s)
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
    s->def_alloc = kmpx_def_alloc_get();
    s->peers = NULL;
    s->npeers = 0;
    if (th->worker) { /* a team's threads take tasks from the team only (team_seal) */
        s->peers = th->worker->peers;
        s->npeers = th->worker->npeers;
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
    if (s->def_alloc != icv->def_alloc) /* (a TLS write only when it changes) */
        kmpx_def_alloc_set(icv->def_alloc);
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
    if (kmpx_def_alloc_get() != s->def_alloc)
        kmpx_def_alloc_set(s->def_alloc);
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
    fork_icv icv;    /* the forking thread's ICVs */
    bool hot;        /* a hot team's region: its join is a gather (kmpx_join_gather) */
} fork_ctx;

/* A member's part of a region: member_enter, the body, then member_end (the join). The
 * split region API of old gcc (kmpx_split_begin/_end) runs the primary's body in the
 * program, between the two halves. */
static void member_body(kmpx_thread *th, fork_ctx *c, int tid)
{
    if (c->fn) {
        if (c->prologue)
            c->prologue(th, c->prologue_arg);
        c->fn(c->data);
    } else {
        kmp_int32 gtid = th->gtid, btid = tid;
        kmpx_invoke_microtask(c->microtask, &gtid, &btid, c->argc, c->argv);
    }
}

static void member_end(kmpx_thread *th, fork_ctx *c, kmpx_task *implicit, const member_saved *s)
{
    kmpx_team *team = c->team;
    if (c->hot && team->nthreads > 1 && team->nthreads <= KMPX_BAR_FLAT && !team->tasks)
        kmpx_join_gather(th, team, team->nthreads); /* kmp_barrier.c */
    else
        kmpx_barrier(th); /* the join barrier */
    member_leave(th, implicit, s);
}

static void member_run(kmpx_thread *th, fork_ctx *c, int tid)
{
    member_saved s;
    kmpx_task implicit;
    member_enter(th, c->team, tid, &implicit, &c->icv, &s);
    member_body(th, c, tid);
    member_end(th, c, &implicit, &s);
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

/* The forking thread's ICVs, which the implicit tasks inherit. */
static void fill_icv(kmpx_thread *th, fork_ctx *c) { c->icv = icv_of(th); }

/* ---- hot teams --------------------------------------------------------------------------- *
 *
 * A thread that forks from outside any active region and holds a worker record of its own
 * (the program's initial thread) keeps its team between regions: the workers it reserved
 * stay in it, each waiting for the next region on a flag of its own (hot->slot[member], its
 * own cache line), under the team wait policy (spin, yield, sleep: runtime/team.h). A fork
 * sets up the team record, publishes the region (hot->region) and advances the flags of the
 * members it needs; the join is a gather (kmpx_join_gather, up to KMPX_BAR_FLAT members;
 * a barrier beyond), after which members go back to their flags and mark the region left in
 * their slot, which the next region's first task waits for (kmpx_team_first_task). A larger region reserves more workers; a
 * smaller one leaves the rest waiting. The team goes back to the pool when its thread leaves (kmpx_hot_release).
 * Nested regions and threads without a worker record of their own fork as before: reserve
 * workers, post the region to them, and give them back at the join.
 */
typedef struct kmpx_hot_slot {
    _Alignas(64) _Atomic uint32_t fork; /* advanced by 2 per region posted (bit 0: asleep) */
    uint32_t first;                     /* its value when the worker was posted */
    _Atomic uint32_t left;              /* the last region (its fork value) the member left */
    uint32_t posted;                    /* the last region the primary posted to it */
} kmpx_hot_slot;

#define HOT_INLINE_ARGS 8
typedef struct kmpx_hot {
    /* The region being started, written before the flags: a copy of the fork's context and
     * (up to HOT_INLINE_ARGS) of its arguments, on lines of their own, so that a member
     * starting a region misses on its flag and on these lines only. */
    _Alignas(64) fork_ctx region;
    void *args[HOT_INLINE_ARGS];
    _Alignas(64) kmpx_team *team;
    ary_worker *primary;    /* the forking thread's record (its CPU: ARY_BACKOFF_FOR) */
    _Atomic uint32_t dissolve;
    int nw, cap;            /* workers held (members 1..nw), room for */
    uint32_t gen;           /* the last value written to a flag */

    ary_worker **w;         /* [cap]: w[i - 1] is member i */
    kmpx_hot_slot *slot;    /* [cap + 1], by member */
    ary_latch *gone;        /* counts the members' functions still running */
} kmpx_hot;

static void hot_member_main(void *ctx, unsigned member)
{
    kmpx_hot *hot = ctx;
    kmpx_thread *th = kmpx_self();
    ary_worker *w = th->worker;
    ary_pool *p = w->pool;
    _Atomic uint32_t *flag = &hot->slot[member].fork;
    uint32_t seen = hot->slot[member].first;
    for (;;) {
        uint32_t v = ary_flag_get(flag);
        if (v == seen) {
            ary_backoff b = ARY_BACKOFF_FOR(w, &hot->primary, 1);
            ary_idle_begin(&w->c, aryd_now_ns());
            while ((v = ary_flag_get(flag)) == seen)
                if (!ary_backoff_step(p, &b)) {
                    ary_flag_sleep(p, flag, seen);
                    b = ARY_BACKOFF_FOR(w, &hot->primary, 1);
                }
            ary_idle_end(&w->c, aryd_now_ns());
        }
        seen = v;
        if (atomic_load_explicit(&hot->dissolve, memory_order_acquire))
            return;
        fork_ctx *c = &hot->region;
        /* each region a span of its own in a trace (the gang's span covers the team's life) */
        ARY_TRACE(p, ARY_EV_START, ARY_EVF_GANG, c, (uintptr_t)member_main, member);
        member_run(th, c, (int)member);
        ARY_TRACE(p, ARY_EV_END, ARY_EVF_GANG, c, (uintptr_t)member_main, member);
        /* out of the region: the next region may have tasks (kmpx_team_first_task) */
        atomic_store_explicit(&hot->slot[member].left, v, memory_order_release);
    }
}

/* NULL when out of memory: the region forks as for a thread without a hot team
 * (fork_begin), and the next region tries again. */
static kmpx_hot *hot_new(void)
{
    kmpx_hot *hot = aligned_alloc(64, sizeof *hot);
    int cap = (int)kmpx_pool->nthreads;
    if (!hot)
        return NULL;
    memset(hot, 0, sizeof *hot);
    hot->cap = cap;
    hot->w = calloc((size_t)cap, sizeof *hot->w);
    hot->slot = aligned_alloc(64, (size_t)(cap + 1) * sizeof *hot->slot);
    hot->team = kmpx_team_new();
    hot->gone = ary_latch_new(kmpx_pool);
    if (!hot->w || !hot->slot || !hot->team || !hot->gone) {
        if (hot->gone)
            ary_latch_free(hot->gone);
        free(hot->team);
        free(hot->slot);
        free(hot->w);
        free(hot);
        return NULL;
    }
    hot->team->hot = hot;
    memset(hot->slot, 0, (size_t)(cap + 1) * sizeof *hot->slot);
    return hot;
}

/* Reserves workers until the team has `want` members (or the pool has no more), and posts
 * the member loop to them; they wait for their first region. */
static void hot_grow(kmpx_thread *th, kmpx_hot *hot, int want)
{
    int more = want - 1 - hot->nw;
    if (more > hot->cap - hot->nw)
        more = hot->cap - hot->nw;
    if (more <= 0)
        return;
    unsigned got = ary_gang_reserve(th->worker, (unsigned)more, hot->w + hot->nw);
    ary_latch_add(hot->gone, got);
    for (unsigned k = 0; k < got; k++) {
        int member = hot->nw + 1;
        hot->slot[member].first = hot->gen;
        atomic_store_explicit(&hot->slot[member].fork, hot->gen, memory_order_relaxed);
        hot->team->members[member] = hot->w[hot->nw];
        hot->nw++;
        ary_gang_post(hot->w[member - 1], hot_member_main, hot, (unsigned)member, hot->gone);
    }
}

/* Posts a region to the hot team; the primary's part runs after (fork_team). */
static int fork_hot(kmpx_thread *th, kmpx_hot *hot, fork_ctx *c, int want)
{
    ary_note_cpu(th->worker); /* members waiting for this fork look at it */
    if (want - 1 > hot->nw)
        hot_grow(th, hot, want);
    int n = want - 1 > hot->nw ? hot->nw + 1 : want;
    ary_latch *tasks = NULL; /* nested teams: one count (kmp_barrier.c) */
    if (n > 1 && kmpx_set.max_active_levels > 1 && !(tasks = ary_latch_new(kmpx_pool)))
        n = 1; /* no memory for it: a team of one (the members wait for the next region) */
    kmpx_team *team = hot->team;
    /* Members of earlier regions may still be leaving their joins (kmpx_join_gather: they
     * look for tasks until they see the region ended); the first task of this region waits
     * until they have (kmpx_team_first_task), so none takes a task of a region it is not in. */
    kmpx_team_init(team, th->team, n, th->tid);
    if (team->primary != th)
        team->primary = th;
    if (team->members[0] != th->worker)
        team->members[0] = th->worker;
    c->team = team;
    fill_icv(th, c);
    team->tasks = tasks;
    c->hot = true;
    hot->region = *c;
    if (c->argc <= HOT_INLINE_ARGS && c->argv) {
        for (int i = 0; i < c->argc; i++)
            hot->args[i] = c->argv[i];
        hot->region.argv = hot->args;
    }
    hot->gen += 2;
    for (int i = 1; i < n; i++)
        hot->slot[i].posted = hot->gen;
    for (int i = 1; i < n; i++) /* the exchange publishes the above */
        ary_flag_set(&hot->slot[i].fork, hot->gen);
    return n;
}

/* After the primary's part of a hot team's region (its join included). */
static void fork_hot_end(kmpx_thread *th)
{
    kmpx_team *team = th->hot->team;
    if (team->tasks) { /* the join barrier waited for it: nobody uses it any more */
        ary_latch_free(team->tasks);
        team->tasks = NULL;
    }
}

/* The region's first task is about to be registered. In a hot team, members of the region
 * before may still be in its join, looking for tasks (kmpx_join_gather); wait until each has
 * left (its slot says so), so that none takes this region's tasks: a thread outside the
 * region would run them, and leave their children in a deque this team may not look at.
 * Usually long done; regions without tasks never wait. Several members may wait at once. */
void kmpx_team_first_task(kmpx_thread *th, kmpx_team *team)
{
    kmpx_hot *hot = team->hot;
    if (hot && th->worker) {
        /* Every worker not in this region (posted for an earlier one) must have left the
         * last region it was posted for; those in it left theirs before they came. posted
         * and gen were written by the primary before it posted this region (seen through
         * the flags); the hot team's size does not change while a region runs. */
        for (int i = 1; i <= hot->nw; i++) {
            uint32_t want = hot->slot[i].posted;
            if (want == hot->gen)
                continue;
            _Atomic uint32_t *left = &hot->slot[i].left;
            if (atomic_load_explicit(left, memory_order_acquire) == want)
                continue;
            ary_backoff b = ARY_BACKOFF_FOR(th->worker, &hot->w[i - 1], 1);
            while (atomic_load_explicit(left, memory_order_acquire) != want)
                if (!ary_backoff_step(th->worker->pool, &b))
                    aryd_yield(); /* it is running, not asleep: nothing to sleep on */
        }
    }
    atomic_store_explicit(&team->has_tasks, 1, memory_order_release);
}

void kmpx_hot_release(kmpx_thread *th)
{
    kmpx_hot *hot = th->hot;
    if (!hot)
        return;
    th->hot = NULL;
    atomic_store_explicit(&hot->dissolve, 1, memory_order_release);
    hot->gen += 2;
    for (int i = 1; i <= hot->nw; i++)
        ary_flag_set(&hot->slot[i].fork, hot->gen);
    ary_latch_wait(hot->gone);
    ary_latch_free(hot->gone);
    free(hot->team);
    free(hot->slot);
    free(hot->w);
    free(hot);
}

/* What a fork leaves for after the primary's part of its region. */
typedef struct fork_state {
    int n;             /* the team's size */
    bool hot;          /* a hot team's region (fork_hot) */
    bool took_guest;   /* the thread took a guest slot for this region */
    bool sealed;       /* team_seal */
    kmpx_team *team;
    ary_latch *joined; /* counts the members still in the region */
} fork_state;

/* Starts a region of (up to) the next team size on th and its reserved workers: everything
 * before the primary's part. c: the body (team and icv are filled in here); it must stay
 * valid until the members are done with it (fork_end). */
static void fork_begin(kmpx_thread *th, fork_ctx *c, fork_state *st)
{
    int want = next_team_size(th);
    st->hot = false;
    st->took_guest = false;
    st->sealed = false;
    st->joined = NULL;
    if (want > 1 && th->worker && th->team->active_level == 0 &&
        th->worker->index >= kmpx_pool->nthreads) { /* a guest slot of its own: hot team */
        if (!th->hot && (th->hot = hot_new()) != NULL)
            th->hot->primary = th->worker;
        if (th->hot) {
            st->hot = true;
            st->n = fork_hot(th, th->hot, c, want);
            return;
        }
    }
    if (want > 1 && !th->worker && kmpx_pool && !ary_tls_worker)
        st->took_guest = kmpx_take_guest(th);
    ary_worker *reserved[64];
    ary_worker **res = reserved;
    unsigned got = 0;
    /* The counts first: without memory for them, a team of one (as OpenMP allows). */
    ary_latch *tasks = NULL;
    if (want > 1 && th->worker &&
        (!(st->joined = ary_latch_new(kmpx_pool)) ||
         (kmpx_set.max_active_levels > 1 && !(tasks = ary_latch_new(kmpx_pool))))) {
        if (st->joined)
            ary_latch_free(st->joined);
        st->joined = NULL;
        want = 1;
    }
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
    fill_icv(th, c);
    st->sealed = team_seal(th, team);
    if (n > 1) {
        team->tasks = tasks; /* nested teams: one count (kmp_barrier.c) */
        ary_latch_add(st->joined, got);
        for (unsigned i = 0; i < got; i++)
            ary_gang_post(res[i], member_main, c, i + 1, st->joined);
    } else { /* nobody reserved: no counts */
        if (st->joined)
            ary_latch_free(st->joined);
        if (tasks)
            ary_latch_free(tasks);
        st->joined = NULL;
    }
    if (res != reserved)
        free(res);
    st->team = team;
    st->n = n;
}

/* After the primary's part of the region (its join included). */
static void fork_end(kmpx_thread *th, fork_state *st)
{
    if (st->hot) {
        fork_hot_end(th);
        return;
    }
    kmpx_team *team = st->team;
    if (st->joined) {
        ary_latch_wait(st->joined); /* members are out of the team: it can go */
        ary_latch_free(st->joined);
        if (team->tasks)
            ary_latch_free(team->tasks);
    }
    team_unseal(th, st->sealed);
    team_free(th, team);
    if (st->took_guest) { /* every task of the region is done: the guest deque is empty */
        ary_guest_leave(th->worker);
        th->worker = NULL;
    }
}

/* Runs a region; returns the team's real size. */
static int fork_team(kmpx_thread *th, fork_ctx *c)
{
    fork_state st;
    fork_begin(th, c, &st);
    member_run(th, c, 0);
    fork_end(th, &st);
    return st.n;
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

/* ---- the split region API of gcc <= 4.8 ------------------------------------------------ *
 * GOMP_parallel_start posts fn(data) to the team and returns; the primary then calls
 * fn(data) itself, in the program, and GOMP_parallel_end joins. The region's state lives
 * in a record on the heap (the members read its fork context after start returned), one
 * per open region of the thread, innermost first (a region may start another inside). */
typedef struct kmpx_split {
    fork_ctx c;
    fork_state st;
    member_saved s;
    kmpx_task implicit;
    struct kmpx_split *outer;
    _Alignas(16) unsigned char arg[KMPX_SPLIT_ARG]; /* a copy of the prologue's argument */
} kmpx_split;

static _Thread_local kmpx_split *split_top;

bool kmpx_split_begin(kmpx_thread *th, void (*fn)(void *), void *data, unsigned num_threads,
                      void (*prologue)(kmpx_thread *, void *), const void *arg, size_t arg_size)
{
    kmpx_split *sp = aligned_alloc(64, (sizeof *sp + 63) & ~(size_t)63);
    if (!sp || arg_size > sizeof sp->arg) {
        free(sp);
        return false;
    }
    if (arg_size)
        memcpy(sp->arg, arg, arg_size);
    if (num_threads > 0)
        th->pushed_nthreads = num_threads > INT32_MAX ? INT32_MAX : (int)num_threads;
    sp->c = (fork_ctx){.fn = fn, .data = data, .prologue = prologue,
                       .prologue_arg = arg_size ? sp->arg : NULL};
    fork_begin(th, &sp->c, &sp->st);
    member_enter(th, sp->c.team, 0, &sp->implicit, &sp->c.icv, &sp->s);
    if (prologue)
        prologue(th, sp->c.prologue_arg);
    sp->outer = split_top;
    split_top = sp;
    return true;
}

bool kmpx_split_end(kmpx_thread *th)
{
    kmpx_split *sp = split_top;
    if (!sp)
        return false;
    split_top = sp->outer;
    member_end(th, &sp->c, &sp->implicit, &sp->s);
    fork_end(th, &sp->st);
    free(sp);
    return true;
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
    (void)loc, (void)argc;
    /* args is the microtask's one argument (flang passes its shared-variable block so, with
     * argc 1), or NULL for none: libomp's __kmpc_fork_call(loc, argc, microtask, args). */
    kmpx_thread *th = kmpx_self();
    if (!cond)
        th->pushed_nthreads = 1;
    void *argv[1] = {args};
    fork_microtask(th, (void *)microtask, args ? 1 : 0, argv);
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
    fork_icv icv = icv_of(th); /* the ICVs it keeps; no teams */
    icv.num_teams = icv.team_num = icv.teams_limit = 0;
    bool sealed = team_seal(th, team);
    member_enter(th, team, 0, &implicit, &icv, &s);
    fn(data);
    kmpx_barrier(th); /* its tasks (a team of one: only detached ones can be pending) */
    member_leave(th, &implicit, &s);
    team_unseal(th, sealed);
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
    bool sealed; /* team_seal */
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
    fork_icv icv = icv_of(th);
    f->sealed = team_seal(th, f->team);
    member_enter(th, f->team, 0, &f->implicit, &icv, &f->saved);
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
    team_unseal(th, f->sealed);
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
