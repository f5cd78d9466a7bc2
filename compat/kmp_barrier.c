/*
 * kmp_barrier.c - the team barrier (__kmpc_barrier, GOMP_barrier and every construct's
 * implicit barrier), its split form (reductions), gcc's cancellable form, and the join of a
 * hot team's region (a gather). The waits follow the team wait policy of runtime/team.h.
 */
#include "kmp.h"

/* ---- barrier ------------------------------------------------------------------------- *
 *
 * Episodes. team->bar holds the episode number (high 32 bits) and the arrivals of the
 * current episode (low 32 bits). A member arrives with one fetch_add, which also tells it the
 * episode g. Whoever opens episode g moves the word from (g, n) to (g + 1, 0) with a CAS, so
 * that exactly one thread opens it and a thread looking late at an old episode cannot, then
 * writes g + 1 into every other member's release word (team->counts[tid].release, the
 * member's own cache line), the primary's last: once the primary is released the team
 * record may serve the next region (hot teams), so that store is the opener's last access to
 * the team. A waiter polls its own line only, under the team wait policy (runtime/team.h:
 * spin, yield, then sleep), and sleeps parked the light way: the opener's seq_cst store, a
 * fence and a look at the park word pair with the waiter's announcement (ary_wake_parked).
 * A waiter reads nothing of the team but atomics after it could have been released: what it
 * needs (size, latch mode) it reads before it arrives.
 *
 * Barriers and tasks. An episode ends when every member has arrived and every explicit task
 * of the team has completed; waiting members run the team's tasks. The tasks are counted
 * per member (team->counts[tid]: registered by the member, completed by the member), so a
 * spawn and a completion touch the member's own cache line only. The team is quiet when
 * the sum of completions equals the sum of registrations, read completions first: a task
 * counted as completed was registered before it was published, so its registration is seen
 * by the later reads; a task not completed keeps the sums apart. Only tasks spawned by
 * members exist in the team, and only members run them (they steal from their team only,
 * runtime/team.h), so once all members have arrived nothing can join the count. Until the
 * region's first task (team->has_tasks) nobody looks for tasks or at the counts.
 *
 * Who opens: the last member to arrive, when the team is quiet; otherwise a waiting member
 * that, after running a task, finds all arrived and the team quiet (the member that
 * completes the last task is such a waiter, or arrives after it). A task completed outside
 * the team (a detached task fulfilled elsewhere) wakes every parked worker
 * (kmpx_team_task_done_slow). With nested active teams a thread may run an injected task of
 * a team it is not in (kmp_parallel.c, team_seal, keeps the queued ones apart); then the team
 * counts with one shared latch (team->tasks) and the last member
 * to arrive waits for it and opens.
 */

#define BAR_WORD(g, a) (((uint64_t)(g) << 32) | (uint32_t)(a))
#define BAR_GEN(w) ((uint32_t)((w) >> 32))
#define BAR_ARRIVED(w) ((uint32_t)(w))

enum { BAR_RELEASED, BAR_OPENER, BAR_CANCELLED };

static bool team_quiet(kmpx_team *team, int n)
{
    if (!atomic_load_explicit(&team->has_tasks, memory_order_acquire))
        return true;
    uint64_t done = 0, spawned = 0;
    for (int i = 0; i < n; i++)
        done += atomic_load_explicit(&team->counts[i].done, memory_order_acquire);
    for (int i = 0; i < n; i++)
        spawned += atomic_load_explicit(&team->counts[i].spawned, memory_order_acquire);
    return done == spawned;
}

/* Releases member i into episode v. The worker record is read before the store: after it,
 * the team may be someone else's. */
static inline void release_one(kmpx_team *team, int i, uint32_t v)
{
    ary_worker *w = team->members[i];
    atomic_store_explicit(&team->counts[i].release, v, memory_order_seq_cst);
    if (w)
        ary_wake_parked(w);
}

/* Releasing. Up to KMPX_BAR_FLAT members, the opener of episode g releases every member but
 * itself, the primary last. Larger teams release along a tree of fan-out BAR_FANOUT rooted
 * at the primary (member i's children are FANOUT*i+1 ... FANOUT*i+FANOUT): the opener
 * releases the primary and its own children, and every released member releases its
 * children before it leaves the barrier, so no thread writes more than FANOUT + 1 lines.
 * Stale releases are harmless: member c waits for exactly g + 1, and only its parent (or
 * the opener) writes it while c still waits in episode g, so a late store can neither
 * release c early nor overwrite a newer release (episode g + 1 cannot open before c has
 * been released from g). That also lets the primary go on while the tree is still being
 * walked: what the walkers read of the team (members, the size snapshot) a hot team never
 * rewrites, and the others keep the record until every member has left the region. */
#define BAR_FANOUT 4

static void release_children(kmpx_team *team, int n, uint32_t g, int i)
{
    int first = BAR_FANOUT * i + 1;
    for (int c = first; c < first + BAR_FANOUT && c < n; c++)
        release_one(team, c, g + 1);
}

static void bar_release(kmpx_team *team, int n, uint32_t g, int self)
{
    atomic_store_explicit(&team->cancel_ws, 0, memory_order_relaxed);
    if (n > KMPX_BAR_FLAT) {
        if (self != 0)
            release_one(team, 0, g + 1);
        release_children(team, n, g, self);
        return;
    }
    for (int i = 1; i < n; i++)
        if (i != self)
            release_one(team, i, g + 1);
    if (self != 0)
        release_one(team, 0, g + 1);
}

/* A member released from episode g passes the release on to its children (large teams). */
static inline void bar_released(kmpx_team *team, int n, uint32_t g, int tid)
{
    if (n > KMPX_BAR_FLAT)
        release_children(team, n, g, tid);
}

static inline bool bar_can_open(kmpx_team *team, int n, uint32_t g)
{
    return atomic_load_explicit(&team->bar, memory_order_acquire) == BAR_WORD(g, n) &&
           team_quiet(team, n);
}

static bool bar_try_open(kmpx_team *team, int n, uint32_t g)
{
    if (!bar_can_open(team, n, g))
        return false;
    uint64_t expect = BAR_WORD(g, n);
    return atomic_compare_exchange_strong_explicit(&team->bar, &expect, BAR_WORD(g + 1, 0),
                                                   memory_order_acq_rel, memory_order_relaxed);
}

/* Waits, after arriving at episode g, until released (or, cancellable, until the region is
 * cancelled), running the team's tasks; returns BAR_OPENER when this member opened the
 * episode (it has released nobody yet). latch: the team counts its tasks in a latch, which
 * the last member to arrive waits for; the others never open. */
static int bar_wait(kmpx_thread *th, kmpx_team *team, int n, uint32_t g, bool latch,
                    bool cancellable)
{
    ary_worker *w = th->worker;
    ary_pool *p = w->pool;
    _Atomic uint32_t *rel = &team->counts[th->tid].release;
    ary_worker *const *peers = team->members;
    unsigned npeers = n <= KMPX_BAR_FLAT ? (unsigned)n : 0;
    ary_backoff b = ARY_BACKOFF_FOR(w, peers, npeers);
    for (;;) {
        if (atomic_load_explicit(rel, memory_order_acquire) == g + 1)
            return BAR_RELEASED;
        if (cancellable && atomic_load_explicit(&team->cancel_parallel, memory_order_seq_cst))
            return BAR_CANCELLED;
        if (atomic_load_explicit(&team->has_tasks, memory_order_relaxed)) {
            bool ran = ary_run_one(w);
            if (!latch && bar_try_open(team, n, g))
                return BAR_OPENER;
            if (ran) {
                b = ARY_BACKOFF_FOR(w, peers, npeers);
                continue;
            }
        }
        if (ary_backoff_step(p, &b))
            continue;
        /* Sleep, parked: the opener, a task push, or a cancellation wakes us. */
        ary_park_begin_light(p, w);
        if (atomic_load_explicit(rel, memory_order_seq_cst) == g + 1 ||
            (cancellable && atomic_load_explicit(&team->cancel_parallel, memory_order_seq_cst)) ||
            (atomic_load_explicit(&team->has_tasks, memory_order_seq_cst) &&
             (ary_pool_has_work(p) || (!latch && bar_can_open(team, n, g)))))
            ary_park_cancel(p, w);
        else
            ary_park_sleep(p, w, 0);
        b = ARY_BACKOFF_FOR(w, peers, npeers);
    }
}

/* A team of one waits for its detached tasks (their completions come from anywhere). */
static bool quiet_alone(void *ctx) { return team_quiet(ctx, 1); }

static void barrier_alone(kmpx_thread *th, kmpx_team *team)
{
    atomic_store_explicit(&team->cancel_ws, 0, memory_order_relaxed);
    if (!team_quiet(team, 1))
        ary_wait_until(th->worker, quiet_alone, team);
}

/* Arrives and waits. Returns BAR_OPENER to the member that opened the episode (it must then
 * release the others: bar_release with *gen), BAR_RELEASED to the others, and (cancellable)
 * BAR_CANCELLED to a member that saw the region cancelled while it waited. */
static int bar_arrive(kmpx_thread *th, kmpx_team *team, int n, uint32_t *gen, bool cancellable)
{
    bool latch = team->tasks != NULL;
    ary_note_cpu(th->worker); /* for the waits of those who arrived before */
    uint64_t old = atomic_fetch_add_explicit(&team->bar, 1, memory_order_acq_rel);
    uint32_t g = BAR_GEN(old);
    *gen = g;
    if (BAR_ARRIVED(old) + 1 == (uint32_t)n) { /* the last to arrive */
        if (latch) {
            ary_latch_wait(team->tasks);
            atomic_store_explicit(&team->bar, BAR_WORD(g + 1, 0), memory_order_release);
            return BAR_OPENER;
        }
        if (bar_try_open(team, n, g))
            return BAR_OPENER;
    }
    return bar_wait(th, team, n, g, latch, cancellable);
}

/* After bar_arrive: the opener releases the others, a released member passes it on. */
static void bar_leave(kmpx_team *team, int n, uint32_t g, int tid, int r)
{
    if (r == BAR_OPENER)
        bar_release(team, n, g, tid);
    else if (r == BAR_RELEASED)
        bar_released(team, n, g, tid);
}

void kmpx_barrier(kmpx_thread *th)
{
    kmpx_team *team = th->team;
    int n = team->nthreads;
    if (n == 1) { /* its tasks were included, except detached ones */
        barrier_alone(th, team);
        return;
    }
    uint32_t g;
    int r = bar_arrive(th, team, n, &g, false);
    bar_leave(team, n, g, th->tid, r);
}

bool kmpx_barrier_split(kmpx_thread *th)
{
    kmpx_team *team = th->team;
    int n = team->nthreads;
    if (n == 1) {
        barrier_alone(th, team);
        return true;
    }
    uint32_t g;
    if (bar_arrive(th, team, n, &g, false) != BAR_OPENER) {
        bar_released(team, n, g, th->tid);
        return false;
    }
    th->split_gen = g;
    return true;
}

void kmpx_barrier_release(kmpx_thread *th)
{
    kmpx_team *team = th->team;
    if (team->nthreads > 1)
        bar_release(team, team->nthreads, th->split_gen, th->tid);
}

/* gcc's cancellable barrier. A member counts itself in in_cancel_bar before it looks at the
 * cancel flag (both seq_cst), and the cancelling thread sets the flag before it waits for
 * in_cancel_bar to drop to zero: so either the member sees the flag and does not arrive, or
 * the canceller waits until the member has taken its arrival back (or the episode ended
 * normally). The join barrier therefore never counts an arrival of an abandoned episode. */
bool kmpx_barrier_cancellable(kmpx_thread *th)
{
    kmpx_team *team = th->team;
    int n = team->nthreads;
    if (!kmpx_set.cancellation || n == 1) {
        kmpx_barrier(th);
        return kmpx_set.cancellation &&
               atomic_load_explicit(&team->cancel_parallel, memory_order_acquire);
    }
    atomic_fetch_add_explicit(&team->in_cancel_bar, 1, memory_order_seq_cst);
    bool cancelled = atomic_load_explicit(&team->cancel_parallel, memory_order_seq_cst);
    if (!cancelled) {
        uint32_t g;
        int r = bar_arrive(th, team, n, &g, true);
        /* cancelled while waiting: take the arrival back, unless the episode is ending */
        while (r == BAR_CANCELLED) {
            uint64_t x = atomic_load_explicit(&team->bar, memory_order_acquire);
            if (BAR_GEN(x) != g || BAR_ARRIVED(x) == (uint32_t)n) {
                /* opened already, or all were in before the cancel: it ends normally */
                r = bar_wait(th, team, n, g, team->tasks != NULL, false);
                break;
            }
            if (atomic_compare_exchange_weak_explicit(&team->bar, &x, x - 1, memory_order_acq_rel,
                                                      memory_order_relaxed))
                break;
        }
        bar_leave(team, n, g, th->tid, r);
        cancelled = atomic_load_explicit(&team->cancel_parallel, memory_order_acquire);
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

/* A task of the team completed on a thread outside it (detach fulfilled elsewhere, nested
 * teams): counted on slot 0, and the pool's sleepers are woken to look at the counts again.
 * Not the team's members: once the count is in, the barrier may open and the team record
 * serve the next region, so the team is not read after it (the pool outlives all teams).
 * The fence pairs with a parking waiter's announcement (bar_wait). */
void kmpx_team_task_done_slow(kmpx_team *team)
{
    atomic_fetch_add_explicit(&team->counts[0].done, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    ary_wake_all(kmpx_pool);
}

KMPX_API void __kmpc_barrier(ident_t *loc, kmp_int32 gtid);
void __kmpc_barrier(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_barrier(kmpx_self());
}

/* ---- the join of a hot team's region --------------------------------------------------- */

/* The join of a hot team's region (up to KMPX_BAR_FLAT members, no task latch) is a gather, not a
 * barrier: nobody is released. Every member arrives; each then waits, running the team's
 * tasks, until it sees all arrived and the team quiet (a member that has left may not run
 * tasks created later: the primary's tasks after the others arrived are the common case,
 * `master` + tasks). The primary then ends the episode (bar := (g + 1, 0)) and returns; the
 * others go back to their fork flags. A member that is late to see the end sees the episode
 * number move instead: nothing it reads can make it conclude "done" early, because the
 * primary moves the number only after the condition held. The primary's next fork waits
 * until every member has left (kmpx_hot_slot.left): a late member must not take a task of
 * the next region (its children would go to a deque the next team may not look at). Members that sleep here (light
 * park) count themselves in join_sleepers, which the primary reads after its store (seq_cst
 * both, fences: a Dekker pair); the last member to arrive, and a member that completes the
 * last task, wake the primary if it is parked. Saves the release phase of a barrier: one
 * cache-line transfer fewer per region than a barrier. */
static bool join_done(kmpx_team *team, int n, uint32_t g)
{
    uint64_t w = atomic_load_explicit(&team->bar, memory_order_acquire);
    return BAR_GEN(w) != g || (BAR_ARRIVED(w) == (uint32_t)n && team_quiet(team, n));
}

void kmpx_join_gather(kmpx_thread *th, kmpx_team *team, int n)
{
    ary_worker *w = th->worker;
    ary_pool *p = w->pool;
    bool primary = th->tid == 0;
    ary_worker *pw = team->members[0];
    ary_note_cpu(w);
    uint64_t old = atomic_fetch_add_explicit(&team->bar, 1, memory_order_acq_rel);
    uint32_t g = BAR_GEN(old);
    bool last = BAR_ARRIVED(old) + 1 == (uint32_t)n;
    if (!primary && last)
        ary_wake_parked(pw); /* the primary may be asleep waiting for us */
    ary_worker *const *peers = team->members;
    ary_backoff b = ARY_BACKOFF_FOR(w, peers, (unsigned)n);
    while (!join_done(team, n, g)) {
        if (atomic_load_explicit(&team->has_tasks, memory_order_relaxed)) {
            if (ary_run_one(w)) {
                b = ARY_BACKOFF_FOR(w, peers, (unsigned)n);
                if (!primary && join_done(team, n, g))
                    ary_wake_parked(pw);
                continue;
            }
        }
        if (ary_backoff_step(p, &b))
            continue;
        if (!primary)
            atomic_fetch_add_explicit(&team->join_sleepers, 1, memory_order_seq_cst);
        ary_park_begin_light(p, w);
        if (join_done(team, n, g) || (atomic_load_explicit(&team->has_tasks, memory_order_relaxed) &&
                                      ary_pool_has_work(p)))
            ary_park_cancel(p, w);
        else
            ary_park_sleep(p, w, 0);
        if (!primary)
            atomic_fetch_sub_explicit(&team->join_sleepers, 1, memory_order_relaxed);
        b = ARY_BACKOFF_FOR(w, peers, (unsigned)n);
    }
    if (!primary)
        return; /* nothing of the team is read after this */
    atomic_store_explicit(&team->cancel_ws, 0, memory_order_relaxed);
    atomic_store_explicit(&team->bar, BAR_WORD(g + 1, 0), memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&team->join_sleepers, memory_order_relaxed))
        for (int i = 1; i < n; i++)
            ary_wake_parked(team->members[i]);
}
