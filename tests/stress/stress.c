/*
 * stress.c - randomized stress of arayon's native API, to find rare faults.
 *
 * A run is a sequence of rounds. Each round creates a pool (1-8 workers, a random admission
 * bound and policy, sometimes a default task deadline, small or large fiber stacks, few or
 * many blocking threads, latency recording, a monitor), then several threads outside the pool
 * submit random operations at the same time, and the tasks they start do the same, nested a
 * few levels deep:
 *
 *   spawn      detached tasks (arayon_spawn, arayon_spawn_ex)
 *   handle     tasks with handles, then: wait, wait with a timeout, poll, cancel, keep for
 *              later, give to a suspendable task to await, drop (release unwaited), or keep
 *              to the end of the round
 *   scope      scopes with children of every kind, nested inside tasks, cancelled now and
 *              then (also by their own children), waited in the middle and ended
 *   async      suspendable tasks that sleep, yield and await other tasks
 *   blocking   tasks on the blocking threads
 *   timer      delayed tasks (arayon_spawn_after), cancelled now and then
 *   periodic   periodic tasks (arayon_spawn_every) that stop themselves or are cancelled
 *   timeout    tasks with short deadlines that run (or sleep) past them
 *   held       later actions on kept handles
 *   bulk       arayon_batch_process, arayon_par_map, arayon_batch_process_async
 *   omp        OpenMP regions with tasks (omp_work.c), when built with OpenMP: from outside
 *              threads, plain tasks and blocking tasks (docs/stress.md, "Native tasks and
 *              OpenMP in one program")
 *
 * A round ends in one of several ways: arayon_pool_shutdown, arayon_pool_destroy alone,
 * arayon_pool_shutdown_timeout with a short deadline while long tasks run, a shutdown by one
 * of the outside threads while the others still submit, and (--with stuck) a shutdown
 * deadline while tasks that ignore cancellation hold the workers.
 *
 * Checks, all deterministic (no timing assertion):
 *   - every task body runs at most once (periodic ones: until they stop), and every wait,
 *     await, scope result and bulk status agrees with what the bodies did: OK means it ran
 *     and returned 0, EFAILED that it ran and returned non-zero, ECANCELED that it never ran
 *     (and something was cancelled), ETIMEDOUT that it had a deadline; the handle's result
 *     is the body's return value;
 *   - suspendable tasks stay on their worker across suspensions (unless migratable), with
 *     their errno; blocking tasks run off the workers;
 *   - after the round: the pool's metrics are exact and quiet (nothing pending, queued,
 *     parked or running), spawned == completed + failed + cancelled + timed_out, and they
 *     agree with the program's own tally: tasks spawned (in all and per kind: suspendable,
 *     blocking, timers), spawns refused (rejected), and the outcomes: each task's outcome is
 *     known from its handle, or inferred from its body (ran or not, return value) where no
 *     deadline could apply, and bounded where one could;
 *   - nothing hangs: a watchdog reports a round that makes no progress for --watchdog
 *     seconds with the pool's metrics, each worker's counters, what each outside thread was
 *     doing, and every thread's backtrace (gdb), then aborts with the seed;
 *   - nothing leaks: the sanitizer builds run it under ASan (LeakSanitizer) and TSan.
 *
 * Every decision comes from generators derived from the seed (stress_rng.h): the round's,
 * each outside thread's, each operation's, each task's. `--seed S --round R --rounds 1`
 * replays a round's decisions; the interleaving of threads differs from run to run.
 *
 * Known faults of the runtime each have a flag that keeps the program clear of them
 * (--without <feature>, --known <fault>), so that it goes on finding new ones; the registered
 * tests pass them (tests/stress/CMakeLists.txt).
 *
 * Run with --help for the options; docs/stress.md has the modes, how to replay a failure and
 * the faults found.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "stress_rng.h"
#include "stress_util.h"
#ifdef STRESS_WITH_OMP
#include "omp_work.h"
#endif

#define MAX_OUTSIDE 8
#define MAX_HELD 8
#define OBS_NONE 1 /* rec.observed before any wait saw the outcome (no arayon code is 1) */

/* ---------------------------------------------------------------------------------------
 * Operations and options
 * ------------------------------------------------------------------------------------- */
enum op {
    OP_SPAWN, OP_HANDLE, OP_SCOPE, OP_ASYNC, OP_BLOCKING, OP_TIMER, OP_PERIODIC, OP_TIMEOUT,
    OP_HELD, OP_BULK, OP_OMP, OP_SIBLING, OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
    "spawn", "handle", "scope", "async", "blocking", "timer", "periodic", "timeout",
    "held", "bulk", "omp", "sibling"};
/* Relative weights: outside threads, tasks. */
static const unsigned op_weight[OP_COUNT][2] = {
    {14, 14}, {14, 12}, {9, 8}, {10, 8}, {6, 4}, {4, 3}, {2, 1}, {6, 4},
    {10, 6}, {3, 0}, {3, 2}, {0, 6}};

/* Features that are not operations: --without / --with take these names too. */
enum feature { F_CANCEL, F_SHUTDOWN_TIMEOUT, F_CONCURRENT_SHUTDOWN, F_STUCK, F_MONITOR,
               F_TRACE, F_MIGRATE, F_FIBER_WAIT, F_YIELD_POLL, F_BLOCKING_ASYNC,
               F_OMP_TASKLOOP_REDUCTION, F_OMP_CANCEL_PARALLEL, F_OMP_SECTIONS, F_AWAIT,
               F_BLOCKING_SPAWN, F_DEADLINE_ASYNC, F_COUNT };
static const char *const feature_names[F_COUNT] = {
    "cancel", "shutdown-timeout", "concurrent-shutdown", "stuck", "monitor", "trace", "migrate",
    "fiber-wait", "yield-poll", "blocking-async", "omp-taskloop-reduction", "omp-cancel-parallel",
    "omp-sections", "await", "blocking-spawn", "deadline-async"};

/* Known faults of the runtime whose checks --known relaxes (docs/stress.md, "Faults found"). */
enum known { KN_WORKER_REFUSALS, KN_COUNT };
static const char *const known_names[KN_COUNT] = {"worker-refusals"};

enum end_mode { E_SHUTDOWN, E_DESTROY, E_TIMEOUT, E_CONCURRENT, E_STUCK, E_COUNT };
static const char *const end_names[E_COUNT] = {
    "shutdown", "destroy", "shutdown_timeout", "shutdown from a submitting thread",
    "shutdown_timeout with stuck workers"};

typedef struct opts {
    uint64_t seed;
    bool seed_given;
    uint64_t round0, rounds;
    double seconds;
    unsigned busy;
    unsigned max_workers, max_outside, scale, watchdog, quiet_s;
    bool op_on[OP_COUNT];
    bool feat_on[F_COUNT];
    bool known[KN_COUNT];
    int verbose;
    bool long_mode;
    bool core;
} opts;

static opts O;

/* ---------------------------------------------------------------------------------------
 * Rounds, records, scopes
 * ------------------------------------------------------------------------------------- */
enum kind { K_PLAIN, K_ASYNC, K_BLOCKING, K_AFTER, K_EVERY, K_ITEM, K_ITEM_ASYNC, K_STUCK,
            K_COUNT };
static const char *const kind_names[K_COUNT] = {
    "plain", "suspendable", "blocking", "delayed", "periodic", "bulk item",
    "suspendable bulk item", "stuck"};

enum { RF_DEADLINE = 1u,  /* a deadline can apply (explicit, or the pool's default) */
       RF_SLOW = 2u,      /* runs (or sleeps) slow_ns unless cancelled: a deadline victim */
       RF_PERIODIC = 4u,
       RF_MIGRATE = 8u };

enum { R_NEW = 0, R_RUNNING = 1, R_DONE = 2 };

struct round;
struct scope_ctx;

/* One task of the round, from spawn to the end of the round. */
typedef struct rec {
    struct rec *next;          /* the round's list */
    struct round *rc;
    struct scope_ctx *sc;      /* the scope it was spawned into */
    arayon_task_t *parked;     /* a handle kept to the end of the round */
    _Atomic(arayon_task_t *) await_on; /* suspendable: a handle to await (its reference) */
    struct rec *await_rec;     /* ... and that task's record */
    pthread_t spawner;         /* the thread that made the record (and spawned the task) */
    uint64_t seed;
    uint64_t slow_ns;
    unsigned kind, flags, depth, stop_after;
    _Atomic unsigned runs;
    _Atomic int state;         /* R_* */
    _Atomic int ret;           /* the body's return value */
    _Atomic int observed;      /* the outcome a wait saw, OBS_NONE before */
    _Atomic(const char *) doing; /* what its body is doing now (for the hang report) */
    _Atomic int worker;        /* the worker its body started on, -1 off the workers */
    _Atomic(const char *) fate; /* what became of its handle last (for failure reports) */
} rec;

typedef struct scope_ctx {
    struct scope_ctx *next;    /* the round's list (freed at its end) */
    arayon_scope_t *s;         /* the owner's pointer (scope_end clears it) */
    arayon_scope_t *copy;      /* for its tasks: valid while one of them runs */
    _Atomic uint64_t spawned, ran_ok, ran_fail;
    _Atomic bool deadline;     /* a task of it may have had a deadline */
} scope_ctx;

/* An outside thread of the round. */
typedef struct outside {
    pthread_t thread;
    struct round *rc;
    unsigned index, nops;
    int shutdown_at;           /* op index where it shuts the pool down (E_CONCURRENT), or -1 */
    uint64_t seed;
    _Atomic(const char *) op;  /* operation now running (for the hang report) */
    _Atomic unsigned done;
} outside;

typedef struct round {
    uint64_t index;
    arayon_pool_t *pool;       /* NULL once destroyed */
    arayon_config_t cfg;
    unsigned workers, noutside, maxdepth, end;
    bool latency, monitor, trace, big_fibers, blocking_may_spawn;
    bool deadline_end;         /* the round ends with a shutdown deadline */
    uint64_t shutdown_timeout_ns;
    _Atomic(const char *) phase;
    outside out[MAX_OUTSIDE];
    _Atomic(rec *) all;
    _Atomic(scope_ctx *) scopes;
    _Atomic int64_t budget;    /* spawns left for tasks' own operations */
    /* the tally */
    _Atomic uint64_t spawned, nrecs, kind_spawned[K_COUNT], rej_again, rej_shutdown;
    _Atomic uint64_t rej_by[K_COUNT][2]; /* refusals per kind, [1]: the spawner was a worker */
    _Atomic uint64_t rej_worker_offw_shutdown; /* blocking / timer spawns of tasks: ESHUTDOWN */
    _Atomic uint64_t ops_done, waits_checked;
    _Atomic int any_cancel;    /* a cancel (handle, scope, shutdown deadline) was requested */
    _Atomic int shutdown_begun; /* timers that have not fired then finish as cancelled */
    _Atomic int64_t bodies;    /* task bodies running now */
    _Atomic int shutdown_rc;   /* of the shutdown by an outside thread, 1 = none yet */
    /* stuck tasks (E_STUCK) wait here until the shutdown deadline returned */
    pthread_mutex_t gate_m;
    pthread_cond_t gate_c;
    bool gate_open;
    _Atomic unsigned stuck_started;
    arayon_monitor_t *mon;
    _Atomic uint64_t monitor_calls;
} round;

/* The round in progress and its pool, for the watchdog's report. dump_lock protects
 * dump_pool, which is cleared before the pool is destroyed (the tasks' rc->pool stays set
 * while arayon_pool_destroy waits for them). */
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static round *cur_round;
static arayon_pool_t *dump_pool;

/* Totals of the run. */
static uint64_t total_rounds, total_tasks, total_rejected;
static uint64_t total_outcomes[4]; /* completed, failed, cancelled, timed out */

/* ---------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------- */
static const char *ename(int rc) { return arayon_errname(rc); }

/* Work that the compiler cannot drop. */
static uint64_t compute(uint64_t seed, unsigned n)
{
    uint64_t x = seed | 1;
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

static void push_rec(round *rc, rec *r)
{
    rec *head = atomic_load(&rc->all);
    do
        r->next = head;
    while (!atomic_compare_exchange_weak(&rc->all, &head, r));
    atomic_fetch_add(&rc->nrecs, 1);
}

static void push_scope(round *rc, scope_ctx *sc)
{
    scope_ctx *head = atomic_load(&rc->scopes);
    do
        sc->next = head;
    while (!atomic_compare_exchange_weak(&rc->scopes, &head, sc));
}

static void note_cancel(round *rc) { atomic_store(&rc->any_cancel, 1); }

/* Could something have cancelled r? A cancel of the program, or, for a timer, a shutdown. */
static bool cancel_possible(const rec *r)
{
    return atomic_load(&r->rc->any_cancel) ||
           ((r->kind == K_AFTER || r->kind == K_EVERY) && atomic_load(&r->rc->shutdown_begun));
}

static const char *state_name(int s) { return s == R_NEW ? "never ran" : s == R_RUNNING ? "running" : "ran"; }

/* ---------------------------------------------------------------------------------------
 * Outcomes: what a wait says against what the body did
 * ------------------------------------------------------------------------------------- */
/* o is a final outcome of r (a wait, an await that returned OK or EFAILED, a bulk status).
 * It must agree with the body, and with any outcome seen before. */
static void check_outcome(rec *r, int o, const char *how)
{
    round *rc = r->rc;
    int st = atomic_load_explicit(&r->state, memory_order_acquire);
    int ret = atomic_load(&r->ret);
    unsigned runs = atomic_load(&r->runs);
    bool periodic = r->flags & RF_PERIODIC;
    bool ok;
    switch (o) {
    case ARAYON_OK:
        ok = periodic ? runs >= 1 && st == R_DONE && ret != 0 : st == R_DONE && ret == 0;
        break;
    case ARAYON_EFAILED:
        ok = !periodic && st == R_DONE && ret != 0;
        break;
    case ARAYON_ECANCELED:
        ok = (periodic || runs == 0) && cancel_possible(r);
        break;
    case ARAYON_ETIMEDOUT:
        ok = (r->flags & RF_DEADLINE) != 0;
        break;
    default:
        ok = false;
        break;
    }
    if (!ok)
        st_fail("%s of a %s task (depth %u, flags %#x) gave %s, but its body %s (%u runs, "
                "returned %d)%s", how, kind_names[r->kind], r->depth, r->flags, ename(o),
                state_name(st), runs, ret,
                o == ARAYON_ECANCELED && !cancel_possible(r)
                    ? "; nothing could have cancelled it" : "");
    int none = OBS_NONE;
    if (!atomic_compare_exchange_strong(&r->observed, &none, o) && none != o)
        st_fail("the outcome of a %s task changed: %s first, %s now (%s)", kind_names[r->kind],
                ename(none), ename(o), how);
    atomic_fetch_add(&rc->waits_checked, 1);
}

/* After a wait: the handle's result is the body's last return value (0 if it never ran). */
static void check_result(rec *r, arayon_task_t *h)
{
    int res = -12345;
    int rc = arayon_task_result(h, &res);
    if (rc != ARAYON_OK)
        st_fail("arayon_task_result after the wait of a %s task: %s", kind_names[r->kind],
                ename(rc));
    int want = atomic_load(&r->runs) ? atomic_load(&r->ret) : 0;
    if (res != want)
        st_fail("arayon_task_result of a %s task: %d, but the body returned %d (%u runs)",
                kind_names[r->kind], res, want, atomic_load(&r->runs));
}

static void wait_and_check(rec *r, arayon_task_t *h, const char *how)
{
    int o = arayon_task_wait(h);
    check_outcome(r, o, how);
    check_result(r, h);
}

/* A suspendable task waits with arayon_await instead of arayon_task_wait under
 * --without fiber-wait: a cancelled one's arayon_task_wait helps instead of suspending and
 * deadlocks when the task it waits for is below it on its worker's stack (a known fault,
 * docs/stress.md). Returns false when the wait ended without the outcome (the caller keeps
 * the handle). */
static bool fiber_safe_wait(rec *r, arayon_task_t *h, const char *how)
{
    if (arayon_in_worker() && !O.feat_on[F_AWAIT]) { /* --without await: no wait at all */
        if (arayon_task_poll(h) != ARAYON_OK)
            return false;
        wait_and_check(r, h, how);
        return true;
    }
    if (!arayon_in_worker() || O.feat_on[F_FIBER_WAIT]) {
        wait_and_check(r, h, how);
        return true;
    }
    int o = arayon_await(h, ARAYON_NO_DEADLINE);
    if (arayon_task_poll(h) != ARAYON_OK) {
        if (o != ARAYON_ECANCELED && o != ARAYON_ETIMEDOUT)
            st_fail("arayon_await returned %s, the task is not finished", ename(o));
        return false;
    }
    wait_and_check(r, h, how); /* finished: returns at once */
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Actors: an outside thread or a running task, doing operations
 * ------------------------------------------------------------------------------------- */
enum where { A_OUTSIDE, A_WORKER, A_FIBER, A_BLOCKING };
static const char *const where_names[] = {"outside thread", "task", "suspendable task",
                                          "blocking task"};

typedef struct held {
    rec *r;
    arayon_task_t *h;
} held;

typedef struct actor {
    round *rc;
    st_rng g;
    unsigned depth;  /* 0: an outside thread; a task: its depth */
    unsigned where;  /* enum where */
    bool no_wait;    /* on a blocking thread (a blocking task, or a task it ran at once) */
    rec *self;       /* the running task's record */
    outside *out;    /* the outside thread */
    unsigned nheld;
    held held[MAX_HELD];
} actor;

/* May this actor wait for a task? A blocking task does not: blocking threads are few, and a
 * chain of blocking tasks waiting for blocking tasks queued behind them would deadlock by
 * design, not by fault. */
static bool can_wait(const actor *a) { return !a->no_wait; }

/* Says what the actor is doing now: a task's record or an outside thread's slot, for the
 * hang report. */
static void mark(const actor *a, const char *what)
{
    if (a->self)
        atomic_store_explicit(&a->self->doing, what, memory_order_relaxed);
    else if (a->out)
        atomic_store_explicit(&a->out->op, what, memory_order_relaxed);
}

/* > 0 while this thread runs a blocking task's body: the tasks a full pool makes it run at
 * once (ARAYON_FULL_RUN_INLINE) are on the blocking thread too, and must not wait either. */
static _Thread_local unsigned tls_in_blocking;

/* Waits for h as this actor may (fiber_safe_wait in a suspendable task). False: not done,
 * the caller keeps the handle. */
static bool actor_wait(const actor *a, rec *r, arayon_task_t *h, const char *how)
{
    mark(a, how);
    if (a->where == A_FIBER)
        return fiber_safe_wait(r, h, how);
    wait_and_check(r, h, how);
    return true;
}

static void do_op(actor *a);
static void actor_finish(actor *a);
static int task_body(void *arg);

/* A record for a new task of this actor. l: the operation's generator. */
static rec *rec_new(actor *a, unsigned kind, st_rng *l)
{
    rec *r = calloc(1, sizeof *r);
    if (!r)
        st_fail("out of memory");
    r->rc = a->rc;
    r->kind = kind;
    r->depth = a->depth + 1;
    r->seed = st_next(l);
    r->spawner = pthread_self();
    atomic_init(&r->observed, OBS_NONE);
    atomic_init(&r->worker, -1);
    return r;
}

static void rec_discard(rec *r)
{
    arayon_task_t *h = atomic_exchange(&r->await_on, NULL);
    arayon_task_release(h);
    free(r);
}

/* How a task is spawned. */
typedef struct spawn_req {
    scope_ctx *sc;
    uint64_t timeout_ns; /* 0: the pool's default; UINT64_MAX: none; else a deadline */
    uint64_t delay_ns;   /* timers: delay or period */
    bool handle;
    bool simple_api;     /* arayon_spawn / arayon_spawn_handle / arayon_scope_spawn */
} spawn_req;

/* A refused spawn: counted, and the record is dropped (its body must never run). */
static void tally_refused(round *rc, int err, rec *r, const char *what)
{
    atomic_fetch_add(&rc->rej_by[r->kind][arayon_in_worker()], 1);
    if (err == ARAYON_ESHUTDOWN && arayon_in_worker() &&
        (r->kind == K_BLOCKING || r->kind == K_AFTER || r->kind == K_EVERY))
        atomic_fetch_add(&rc->rej_worker_offw_shutdown, 1);
    if (err == ARAYON_EAGAIN)
        atomic_fetch_add(&rc->rej_again, 1);
    else if (err == ARAYON_ESHUTDOWN)
        atomic_fetch_add(&rc->rej_shutdown, 1);
    else
        st_fail("%s of a %s task: %s (%s)", what, kind_names[r->kind], ename(err),
                arayon_strerror(err));
}

/* Spawns r as q says. Returns the spawn's result; on success r belongs to the round and *h
 * (when q->handle) is its handle; on a refusal r is freed. */
static int spawn_rec(actor *a, rec *r, const spawn_req *q, arayon_task_t **h)
{
    round *rc = a->rc;
    arayon_pool_t *pool = rc->pool;
    bool pool_deadline = rc->cfg.task_timeout_ns != 0;
    arayon_task_t *t = NULL;
    arayon_task_t **out = q->handle ? &t : NULL;
    int err;
    const char *what;
    r->sc = q->sc;
    mark(a, "spawning");
    if (r->kind == K_ASYNC && ((a->no_wait && !O.feat_on[F_BLOCKING_ASYNC]) ||
                               (rc->deadline_end && !O.feat_on[F_DEADLINE_ASYNC]))) {
        r->kind = K_PLAIN; /* --without blocking-async / deadline-async */
        r->flags &= ~RF_MIGRATE;
    }
    /* Whether a deadline applies, before the spawn: the body may run (and read the flags)
     * before the spawn returns. */
    bool simple_kind = r->kind == K_PLAIN || r->kind == K_ASYNC || r->kind == K_STUCK;
    bool pool_default = !simple_kind || q->timeout_ns == 0;
    if (simple_kind && q->timeout_ns && q->timeout_ns != UINT64_MAX)
        r->flags |= RF_DEADLINE;
    else if (pool_default && pool_deadline)
        r->flags |= RF_DEADLINE;
    if (r->kind == K_EVERY)
        r->flags |= RF_PERIODIC;
    bool deadline = r->flags & RF_DEADLINE;
    switch (r->kind) {
    case K_PLAIN:
    case K_ASYNC:
    case K_STUCK: {
        arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
        o.scope = q->sc ? q->sc->copy : NULL;
        o.timeout_ns = q->timeout_ns;
        if (r->kind == K_ASYNC)
            o.flags = ARAYON_TASK_SUSPENDABLE | (r->flags & RF_MIGRATE ? ARAYON_TASK_MIGRATABLE : 0);
        if (q->simple_api && r->kind == K_PLAIN && q->timeout_ns == 0) {
            what = o.scope ? "arayon_scope_spawn" : q->handle ? "arayon_spawn_handle" : "arayon_spawn";
            err = o.scope ? arayon_scope_spawn(o.scope, task_body, r, out)
                  : q->handle ? arayon_spawn_handle(pool, task_body, r, out)
                              : arayon_spawn(pool, task_body, r);
        } else if (q->simple_api && r->kind == K_ASYNC && !o.scope && q->timeout_ns == 0 &&
                   !(r->flags & RF_MIGRATE)) {
            what = "arayon_spawn_async";
            err = arayon_spawn_async(pool, task_body, r, out);
        } else {
            what = "arayon_spawn_ex";
            err = arayon_spawn_ex(pool, task_body, r, &o, out);
        }
        break;
    }
    case K_BLOCKING: {
        arayon_scope_t *s = q->sc ? q->sc->copy : NULL;
        what = s ? "arayon_scope_spawn_blocking" : "arayon_spawn_blocking";
        err = s ? arayon_scope_spawn_blocking(s, task_body, r, out)
                : arayon_spawn_blocking(pool, task_body, r, out);
        break;
    }
    case K_AFTER:
        what = "arayon_spawn_after";
        err = arayon_spawn_after(pool, q->delay_ns, task_body, r, out);
        break;
    case K_EVERY:
        what = "arayon_spawn_every";
        err = arayon_spawn_every(pool, q->delay_ns, task_body, r, out);
        break;
    default:
        st_fail("spawn_rec: kind %u", r->kind);
    }
    if (err != ARAYON_OK) {
        if (t)
            st_fail("%s failed with %s but gave a handle", what, ename(err));
        tally_refused(rc, err, r, what);
        if (atomic_load(&r->runs))
            st_fail("%s refused a %s task (%s), whose body ran", what, kind_names[r->kind],
                    ename(err));
        rec_discard(r);
        return err;
    }
    if (q->handle && !t)
        st_fail("%s succeeded without a handle", what);
    if (q->sc) {
        if (deadline)
            atomic_store(&q->sc->deadline, true);
        atomic_fetch_add(&q->sc->spawned, 1);
    }
    atomic_fetch_add(&rc->spawned, 1);
    atomic_fetch_add(&rc->kind_spawned[r->kind], 1);
    push_rec(rc, r);
    if (h)
        *h = t;
    return ARAYON_OK;
}

/* ---- handles -------------------------------------------------------------------------- */
/* Releases a handle of r, saying why (the failure reports show the last fate). */
static void release_handle(rec *r, arayon_task_t *h, const char *why)
{
    atomic_store_explicit(&r->fate, why, memory_order_relaxed);
    arayon_task_release(h);
}

/* Keeps h to the end of the round, where it is waited for and checked. */
static void park(rec *r, arayon_task_t *h)
{
    if (r->parked) { /* already kept once (a retained second reference) */
        release_handle(r, h, "released: a second reference of a parked handle");
        return;
    }
    atomic_store_explicit(&r->fate, "parked", memory_order_relaxed);
    r->parked = h;
}

static void hold(actor *a, rec *r, arayon_task_t *h)
{
    atomic_store_explicit(&r->fate, "held", memory_order_relaxed);
    if (a->nheld == MAX_HELD) { /* full: the oldest goes to the end of the round */
        park(a->held[0].r, a->held[0].h);
        memmove(&a->held[0], &a->held[1], sizeof(held) * (MAX_HELD - 1));
        a->nheld--;
    }
    a->held[a->nheld++] = (held){r, h};
}

/* Spawns a suspendable task that awaits h (a reference it releases) and then does its own
 * things. */
static void spawn_awaiter(actor *a, rec *target, arayon_task_t *h, st_rng *l);

/* What happens to a fresh handle. */
static void after_spawn(actor *a, rec *r, arayon_task_t *h, st_rng *l)
{
    atomic_store_explicit(&r->fate, "fresh", memory_order_relaxed);
    unsigned p = st_below(l, 100);
    uint64_t wt = st_range(l, 0, 500 * ST_US);
    bool flip = st_pct(l, 50);
    bool periodic = r->flags & RF_PERIODIC;
    if (!can_wait(a) && p < 35)
        p = 35 + p % 30; /* keep, drop or cancel instead */
    if (!O.feat_on[F_CANCEL] && p >= 62 && p < 76)
        p = 40;
    if (periodic && p >= 50 && p < 62)
        p = 80; /* a periodic handle is never dropped: its outcome could not be known */
    if (p < 20) {
        if (actor_wait(a, r, h, "arayon_task_wait"))
            release_handle(r, h, "released after arayon_task_wait");
        else
            park(r, h);
    } else if (p < 35) {
        mark(a, "arayon_task_wait_timeout");
        if (a->where == A_FIBER && !O.feat_on[F_AWAIT])
            wt = 0; /* --without await: a poll */
        int o = arayon_task_wait_timeout(h, wt);
        if (o != ARAYON_ETIMEDOUT) {
            check_outcome(r, o, "arayon_task_wait_timeout");
            check_result(r, h);
            release_handle(r, h, "released after arayon_task_wait_timeout");
        } else if (flip) {
            hold(a, r, h);
        } else if (periodic) {
            park(r, h);
        } else {
            release_handle(r, h, "dropped after arayon_task_wait_timeout");
        }
    } else if (p < 50) {
        hold(a, r, h);
    } else if (p < 62) {
        release_handle(r, h, "dropped"); /* its outcome is inferred at the end */
    } else if (p < 76) {
        note_cancel(a->rc);
        int c = arayon_task_cancel(h);
        if (c != ARAYON_OK)
            st_fail("arayon_task_cancel: %s", ename(c));
        if (flip && can_wait(a)) {
            if (actor_wait(a, r, h, "arayon_task_wait after arayon_task_cancel"))
                release_handle(r, h, "released after cancel and wait");
            else
                park(r, h);
        } else if (periodic) {
            park(r, h);
        } else {
            release_handle(r, h, "dropped after cancel");
        }
    } else if (p < 90) {
        park(r, h);
    } else if (a->where == A_OUTSIDE || (a->where == A_FIBER && O.feat_on[F_YIELD_POLL])) {
        /* poll until done: an outside thread yields its CPU, a suspendable task its worker */
        mark(a, "polling a handle (arayon_task_poll, arayon_yield)");
        while (arayon_task_poll(h) != ARAYON_OK) {
            int y = arayon_yield();
            if (y != ARAYON_OK && y != ARAYON_ECANCELED)
                st_fail("arayon_yield: %s", ename(y));
            if (a->where == A_FIBER && y == ARAYON_ECANCELED)
                break; /* cancelled: stop polling, keep the handle */
        }
        if (arayon_task_poll(h) == ARAYON_OK) {
            wait_and_check(r, h, "arayon_task_wait after arayon_task_poll");
            release_handle(r, h, "released after polling");
        } else {
            park(r, h);
        }
    } else if (can_wait(a) && !periodic && st_pct(l, 50)) {
        spawn_awaiter(a, r, h, l);
    } else {
        park(r, h);
    }
}

/* Later actions on a kept handle (the "held" operation and the end of an actor). */
static void act_on_held(actor *a, unsigned i, unsigned what, uint64_t wt, bool finishing)
{
    /* Out of the list first: the action may add to it (an awaiter's own handle). */
    held x = a->held[i];
    memmove(&a->held[i], &a->held[i + 1], sizeof(held) * (a->nheld - i - 1));
    a->nheld--;
    bool periodic = x.r->flags & RF_PERIODIC;
    bool drop = false;
    switch (what) {
    case 0: /* wait */
        if (!can_wait(a)) {
            park(x.r, x.h);
            break;
        }
        if (actor_wait(a, x.r, x.h, "arayon_task_wait (held)"))
            release_handle(x.r, x.h, "released after arayon_task_wait (held)");
        else
            park(x.r, x.h);
        break;
    case 1: { /* wait with a timeout */
        mark(a, "arayon_task_wait_timeout (held)");
        bool poll_only = !can_wait(a) || (a->where == A_FIBER && !O.feat_on[F_AWAIT]);
        int o = arayon_task_wait_timeout(x.h, poll_only ? 0 : wt);
        if (o != ARAYON_ETIMEDOUT) {
            check_outcome(x.r, o, "arayon_task_wait_timeout (held)");
            check_result(x.r, x.h);
            release_handle(x.r, x.h, "released after arayon_task_wait_timeout (held)");
        } else if (finishing) {
            park(x.r, x.h);
        } else {
            hold(a, x.r, x.h); /* still held */
        }
        break;
    }
    case 2: /* cancel, keep */
        if (!O.feat_on[F_CANCEL]) {
            park(x.r, x.h);
            break;
        }
        note_cancel(a->rc);
        arayon_task_cancel(x.h);
        arayon_task_cancel(x.h); /* idempotent */
        if (finishing)
            park(x.r, x.h);
        else
            hold(a, x.r, x.h);
        break;
    case 3: /* poll; when done, the result */
        if (arayon_task_poll(x.h) == ARAYON_OK) {
            check_outcome(x.r, arayon_task_wait(x.h), "arayon_task_wait after poll (held)");
            check_result(x.r, x.h);
            release_handle(x.r, x.h, "released after polling (held)");
        } else if (finishing) {
            park(x.r, x.h);
        } else {
            int res;
            int rr = arayon_task_result(x.h, &res);
            if (rr != ARAYON_EBUSY && rr != ARAYON_OK)
                st_fail("arayon_task_result of an unfinished task: %s", ename(rr));
            hold(a, x.r, x.h);
        }
        break;
    case 4: /* drop */
        drop = true;
        break;
    case 5: /* to an awaiter */
        if (can_wait(a) && !periodic) {
            st_rng l;
            st_rng_init(&l, st_next(&a->g));
            spawn_awaiter(a, x.r, x.h, &l);
            break;
        }
        park(x.r, x.h);
        break;
    default:
        park(x.r, x.h);
        break;
    }
    if (drop) {
        if (periodic)
            park(x.r, x.h);
        else
            release_handle(x.r, x.h, "dropped (held)");
    }
}

static void actor_finish(actor *a)
{
    while (a->nheld) {
        unsigned what = st_below(&a->g, 7);
        act_on_held(a, 0, what, 0, true);
    }
}

/* ---------------------------------------------------------------------------------------
 * Task bodies
 * ------------------------------------------------------------------------------------- */
static void stuck_wait(round *rc)
{
    atomic_fetch_add(&rc->stuck_started, 1);
    pthread_mutex_lock(&rc->gate_m);
    while (!rc->gate_open)
        pthread_cond_wait(&rc->gate_c, &rc->gate_m);
    pthread_mutex_unlock(&rc->gate_m);
}

static void check_wait_rc(int rc, const char *what, bool may_timeout)
{
    if (rc == ARAYON_OK || rc == ARAYON_ECANCELED || (may_timeout && rc == ARAYON_ETIMEDOUT))
        return;
    st_fail("%s returned %s", what, ename(rc));
}

/* Runs (or sleeps) slow_ns unless cancelled or past its deadline. */
static void slow_body(rec *r)
{
    atomic_store(&r->doing, "running slowly until cancelled or past its deadline");
    uint64_t end = st_now_ns() + r->slow_ns;
    if (r->kind == K_ASYNC) {
        check_wait_rc(arayon_sleep(r->slow_ns), "arayon_sleep in a slow suspendable task", true);
        return;
    }
    unsigned i = 0;
    while (!arayon_cancelled() && st_now_ns() < end) {
        if (r->kind == K_BLOCKING)
            st_sleep_ns(20 * ST_US);
        else
            compute(i, 200);
        if (++i % 64 == 0)
            st_tick();
    }
}

/* The waits of a suspendable task: sleeps, yields, awaits; it stays on its worker (unless
 * migratable), with its errno. */
static void async_waits(actor *a, rec *r)
{
    int worker = arayon_worker_index();
    pthread_t self = pthread_self();
    /* On a fiber (not run at once by an outside thread, where its waits block the thread and
     * may set errno as any library call may): the runtime keeps errno and the thread across
     * its suspensions. */
    bool tied = !(r->flags & RF_MIGRATE) && worker >= 0;
    unsigned n = st_below(&a->g, 4);
    for (unsigned k = 0; k <= n; k++) {
        unsigned what = st_below(&a->g, 4);
        uint64_t d = st_range(&a->g, 0, 300 * ST_US);
        bool bounded = st_pct(&a->g, 40);
        int rc = 0;
        if (tied)
            errno = 1000 + (int)(r->seed % 1000);
        mark(a, what == 0 ? "arayon_sleep" : what == 1 ? "arayon_yield"
                : what == 2 ? "arayon_sleep_until" : "arayon_await");
        switch (what) {
        case 0:
            rc = arayon_sleep(d);
            check_wait_rc(rc, "arayon_sleep", true);
            break;
        case 1:
            rc = arayon_yield();
            check_wait_rc(rc, "arayon_yield", false);
            break;
        case 2:
            rc = arayon_sleep_until(arayon_now_ns() - (d + 1)); /* already passed */
            check_wait_rc(rc, "arayon_sleep_until (past)", true);
            break;
        default: {
            arayon_task_t *h = atomic_exchange(&r->await_on, NULL);
            if (!h) {
                rc = arayon_sleep(d / 4);
                check_wait_rc(rc, "arayon_sleep", true);
                break;
            }
            rc = arayon_await(h, bounded ? arayon_now_ns() + d : ARAYON_NO_DEADLINE);
            if (rc == ARAYON_OK || rc == ARAYON_EFAILED)
                check_outcome(r->await_rec, rc, "arayon_await");
            else if (rc != ARAYON_ECANCELED && rc != ARAYON_ETIMEDOUT)
                st_fail("arayon_await returned %s", ename(rc));
            arayon_task_release(h);
            break;
        }
        }
        if (tied) {
            int e = errno;
            if (e != 1000 + (int)(r->seed % 1000))
                st_fail("a tied suspendable task's errno changed across %s (returned %s): %d "
                        "(%s), expected %d", what == 0 ? "arayon_sleep" : what == 1 ? "arayon_yield"
                        : what == 2 ? "arayon_sleep_until" : "arayon_await", ename(rc), e,
                        strerror(e), 1000 + (int)(r->seed % 1000));
            if (arayon_worker_index() != worker || !pthread_equal(pthread_self(), self))
                st_fail("a tied suspendable task moved from worker %d to worker %d", worker,
                        arayon_worker_index());
        }
        if (rc == ARAYON_ECANCELED)
            break;
    }
}

static unsigned where_of(const rec *r)
{
    switch (r->kind) {
    case K_ASYNC:
    case K_ITEM_ASYNC: return A_FIBER;
    case K_BLOCKING: return A_BLOCKING;
    default: return A_WORKER;
    }
}

static int run_body(rec *r, unsigned run)
{
    round *rc = r->rc;
    actor a;
    memset(&a, 0, sizeof a);
    a.rc = rc;
    a.depth = r->depth;
    a.where = where_of(r);
    a.self = r;
    st_rng_init(&a.g, st_derive(r->seed, run, 0x7A5C));
    a.no_wait = a.where == A_BLOCKING || tls_in_blocking > 0;
    /* where it runs: a blocking task off the workers, the others on one; unless the spawn
     * ran it at once on the spawning thread (a full pool) */
    bool in_worker = arayon_in_worker();
    int wi = arayon_worker_index();
    if (!pthread_equal(pthread_self(), r->spawner) &&
        (a.where == A_BLOCKING ? in_worker : !in_worker || wi < 0 || wi >= (int)rc->workers))
        st_fail("a %s task (a %s) runs with arayon_in_worker() %d, worker index %d (pool of %u)",
                kind_names[r->kind], where_names[a.where], in_worker, wi, rc->workers);
    atomic_store(&r->worker, wi);
    mark(&a, "running");
    if (r->kind == K_STUCK) {
        mark(&a, "stuck: waiting for the end of the shutdown");
        stuck_wait(rc);
        return 0;
    }
    if (r->flags & RF_SLOW) {
        slow_body(r);
        return st_pct(&a.g, 10) ? 7 : 0;
    }
    if (r->flags & RF_PERIODIC) {
        compute(r->seed, st_below(&a.g, 500));
        return run + 1 >= r->stop_after ? (int)run + 100 : 0;
    }
    compute(r->seed, st_below(&a.g, 3000));
    unsigned fail_pct = 8;
    switch (a.where) {
    case A_FIBER:
        async_waits(&a, r);
        break;
    case A_WORKER:
        if (st_pct(&a.g, 10))
            check_wait_rc(arayon_yield(), "arayon_yield in a task", false);
        if (st_pct(&a.g, 3)) /* holds the worker (blocking_waits) */
            check_wait_rc(arayon_sleep(st_range(&a.g, 0, 50 * ST_US)), "arayon_sleep in a task",
                          true);
        break;
    case A_BLOCKING:
        st_sleep_ns(st_range(&a.g, 0, 100 * ST_US));
        break;
    }
    /* its own operations: fewer the deeper it is, and only while the round's budget lasts */
    if (r->depth < rc->maxdepth && (!a.no_wait || rc->blocking_may_spawn)) {
        unsigned n = st_below(&a.g, r->depth == 1 ? 4 : 2);
        for (unsigned k = 0; k < n; k++) {
            if (atomic_fetch_sub(&rc->budget, 1) <= 0)
                break;
            do_op(&a);
        }
    }
    actor_finish(&a);
    /* a suspendable task that never reached its await still owns the reference */
    arayon_task_release(atomic_exchange(&r->await_on, NULL));
    return st_pct(&a.g, fail_pct) ? 1 + (int)st_below(&a.g, 1000) : 0;
}

static int task_body(void *arg)
{
    rec *r = arg;
    round *rc = r->rc;
    unsigned run = atomic_fetch_add(&r->runs, 1);
    if (run && !(r->flags & RF_PERIODIC))
        st_fail("a %s task ran twice (depth %u)", kind_names[r->kind], r->depth);
    atomic_fetch_add(&rc->bodies, 1);
    atomic_store(&r->state, R_RUNNING);
    st_tick();
    /* (only blocking tasks touch the thread-local: a migratable task may change threads) */
    bool blocking = r->kind == K_BLOCKING;
    if (blocking)
        tls_in_blocking++;
    int ret = run_body(r, run);
    if (blocking)
        tls_in_blocking--;
    atomic_store(&r->ret, ret);
    if (r->sc)
        atomic_fetch_add(ret ? &r->sc->ran_fail : &r->sc->ran_ok, 1);
    atomic_store_explicit(&r->state, R_DONE, memory_order_release);
    atomic_fetch_sub(&rc->bodies, 1);
    st_tick();
    return ret;
}

static int item_body(void *item, void *ctx)
{
    (void)ctx;
    return task_body(*(rec **)item);
}

static int map_body(const void *in, void *out, void *ctx)
{
    (void)ctx;
    int r = task_body(*(rec *const *)in);
    *(int *)out = r;
    return r;
}

/* ---------------------------------------------------------------------------------------
 * Operations
 * ------------------------------------------------------------------------------------- */
static unsigned pick_kind(st_rng *l)
{
    unsigned k = st_below(l, 100);
    if (k < 50 || (!O.op_on[OP_ASYNC] && !O.op_on[OP_BLOCKING]))
        return K_PLAIN;
    if (k < 80)
        return O.op_on[OP_ASYNC] ? K_ASYNC : K_PLAIN;
    return O.op_on[OP_BLOCKING] ? K_BLOCKING : K_PLAIN;
}

static void fill_req(spawn_req *q, st_rng *l, bool handle)
{
    memset(q, 0, sizeof *q);
    q->handle = handle;
    q->simple_api = st_pct(l, 50);
    /* no explicit deadline: the pool's default, or none at all */
    q->timeout_ns = st_pct(l, 30) ? UINT64_MAX : 0;
}

static void op_spawn(actor *a, st_rng *l, unsigned kind)
{
    rec *r = rec_new(a, kind, l);
    spawn_req q;
    fill_req(&q, l, false);
    if (kind == K_ASYNC && st_pct(l, 20) && O.feat_on[F_MIGRATE])
        r->flags |= RF_MIGRATE;
    spawn_rec(a, r, &q, NULL);
}

static void op_handle(actor *a, st_rng *l, unsigned kind)
{
    rec *r = rec_new(a, kind, l);
    spawn_req q;
    fill_req(&q, l, true);
    if (kind == K_ASYNC && st_pct(l, 20) && O.feat_on[F_MIGRATE])
        r->flags |= RF_MIGRATE;
    arayon_task_t *h = NULL;
    if (spawn_rec(a, r, &q, &h) == ARAYON_OK)
        after_spawn(a, r, h, l);
}

static void spawn_awaiter(actor *a, rec *target, arayon_task_t *h, st_rng *l)
{
    if (!O.op_on[OP_ASYNC] || !O.feat_on[F_AWAIT]) {
        park(target, h);
        return;
    }
    rec *w = rec_new(a, K_ASYNC, l);
    atomic_store(&w->await_on, h); /* its reference now */
    w->await_rec = target;
    spawn_req q;
    fill_req(&q, l, st_pct(l, 50));
    arayon_task_t *wh = NULL;
    if (spawn_rec(a, w, &q, &wh) == ARAYON_OK && wh)
        after_spawn(a, w, wh, l);
}

/* A suspendable task, often with a target to await. */
static void op_async(actor *a, st_rng *l)
{
    if (st_pct(l, 40) && can_wait(a)) {
        rec *t = rec_new(a, pick_kind(l), l);
        spawn_req q;
        fill_req(&q, l, true);
        arayon_task_t *h = NULL;
        if (spawn_rec(a, t, &q, &h) == ARAYON_OK) {
            spawn_awaiter(a, t, arayon_task_retain(h), l);
            after_spawn(a, t, h, l);
        }
        return;
    }
    if (st_pct(l, 50))
        op_spawn(a, l, K_ASYNC);
    else
        op_handle(a, l, K_ASYNC);
}

/* What a scope's result says about its tasks (counted by their bodies). */
static void check_scope(round *rc, scope_ctx *sc, int res, const char *what)
{
    uint64_t sp = atomic_load(&sc->spawned), ok = atomic_load(&sc->ran_ok),
             fl = atomic_load(&sc->ran_fail);
    if (ok + fl > sp)
        st_fail("%s: %" PRIu64 " tasks ran but %" PRIu64 " were spawned into the scope", what,
                ok + fl, sp);
    uint64_t norun = sp - ok - fl;
    bool good;
    switch (res) {
    case ARAYON_OK: good = fl == 0 && norun == 0; break;
    case ARAYON_EFAILED: good = fl > 0; break;
    case ARAYON_ECANCELED: good = norun > 0 && atomic_load(&rc->any_cancel); break;
    case ARAYON_ETIMEDOUT: good = atomic_load(&sc->deadline); break;
    default: good = false; break;
    }
    if (!good)
        st_fail("%s returned %s, but of the %" PRIu64 " tasks of the scope %" PRIu64
                " ran and returned 0, %" PRIu64 " ran and failed, %" PRIu64 " never ran "
                "(deadlines possible: %d)", what, ename(res), sp, ok, fl, norun,
                (int)atomic_load(&sc->deadline));
}

static void op_scope(actor *a, st_rng *l)
{
    round *rc = a->rc;
    unsigned n = 1 + st_below(l, 8);
    int cancel_at = O.feat_on[F_CANCEL] && st_pct(l, 15) ? (int)st_below(l, n + 1) : -1;
    int wait_at = st_pct(l, 30) ? (int)st_below(l, n) : -1;
    uint64_t seeds[8];
    for (unsigned i = 0; i < 8; i++)
        seeds[i] = st_next(l);
    scope_ctx *sc = calloc(1, sizeof *sc);
    if (!sc)
        st_fail("out of memory");
    int b = arayon_scope_begin(rc->pool, &sc->s);
    if (b != ARAYON_OK) {
        free(sc);
        if (b == ARAYON_ESHUTDOWN)
            return;
        st_fail("arayon_scope_begin: %s", ename(b));
    }
    sc->copy = sc->s;
    push_scope(rc, sc);
    for (unsigned i = 0; i < n; i++) {
        if ((int)i == cancel_at) {
            note_cancel(rc);
            arayon_scope_cancel(sc->s);
        }
        st_rng cl;
        st_rng_init(&cl, seeds[i]);
        unsigned k = st_below(&cl, 100);
        rec *r;
        spawn_req q;
        fill_req(&q, &cl, st_pct(&cl, 30));
        q.sc = sc;
        if (k < 15 && O.op_on[OP_TIMEOUT]) { /* a deadline victim */
            r = rec_new(a, O.op_on[OP_ASYNC] && st_pct(&cl, 40) ? K_ASYNC : K_PLAIN, &cl);
            r->flags |= RF_SLOW;
            r->slow_ns = st_range(&cl, 0, 2 * ST_MS);
            q.timeout_ns = st_range(&cl, 20 * ST_US, 2 * ST_MS);
        } else {
            r = rec_new(a, pick_kind(&cl), &cl);
        }
        arayon_task_t *h = NULL;
        if (spawn_rec(a, r, &q, q.handle ? &h : NULL) == ARAYON_OK && h)
            after_spawn(a, r, h, &cl);
        if ((int)i == wait_at) {
            mark(a, "arayon_scope_wait");
            check_scope(rc, sc, arayon_scope_wait(sc->s), "arayon_scope_wait");
        }
    }
    if (cancel_at == (int)n) {
        note_cancel(rc);
        arayon_scope_cancel(sc->s);
    }
    mark(a, "arayon_scope_end");
    int e = arayon_scope_end(&sc->s);
    if (sc->s)
        st_fail("arayon_scope_end left the scope pointer set");
    check_scope(rc, sc, e, "arayon_scope_end");
}

/* A task spawns into its own scope, or cancels it. */
static void op_sibling(actor *a, st_rng *l)
{
    if (!a->self || !a->self->sc || !can_wait(a))
        return;
    scope_ctx *sc = a->self->sc;
    if (O.feat_on[F_CANCEL] && st_pct(l, 10)) {
        note_cancel(a->rc);
        arayon_scope_cancel(sc->copy);
        return;
    }
    rec *r = rec_new(a, pick_kind(l), l);
    spawn_req q;
    fill_req(&q, l, st_pct(l, 30));
    q.sc = sc;
    arayon_task_t *h = NULL;
    if (spawn_rec(a, r, &q, q.handle ? &h : NULL) == ARAYON_OK && h)
        after_spawn(a, r, h, l);
}

static void op_timer(actor *a, st_rng *l, bool periodic)
{
    rec *r = rec_new(a, periodic ? K_EVERY : K_AFTER, l);
    spawn_req q;
    fill_req(&q, l, periodic || st_pct(l, 60));
    q.delay_ns = periodic ? st_range(l, 20 * ST_US, 1 * ST_MS) : st_range(l, 0, 2 * ST_MS);
    r->stop_after = 1 + st_below(l, 8);
    bool cancel_now = O.feat_on[F_CANCEL] && st_pct(l, 20);
    arayon_task_t *h = NULL;
    if (spawn_rec(a, r, &q, q.handle ? &h : NULL) != ARAYON_OK || !h)
        return;
    if (cancel_now) {
        note_cancel(a->rc);
        arayon_task_cancel(h);
    }
    after_spawn(a, r, h, l);
}

static void op_timeout(actor *a, st_rng *l)
{
    unsigned kind = O.op_on[OP_ASYNC] && st_pct(l, 40) ? K_ASYNC : K_PLAIN;
    rec *r = rec_new(a, kind, l);
    r->flags |= RF_SLOW;
    r->slow_ns = st_range(l, 0, 3 * ST_MS);
    spawn_req q;
    fill_req(&q, l, st_pct(l, 60));
    q.timeout_ns = st_range(l, 10 * ST_US, 2 * ST_MS);
    arayon_task_t *h = NULL;
    if (spawn_rec(a, r, &q, q.handle ? &h : NULL) == ARAYON_OK && h)
        after_spawn(a, r, h, l);
}

static void op_held(actor *a, st_rng *l)
{
    if (!a->nheld)
        return;
    unsigned i = st_below(l, a->nheld);
    act_on_held(a, i, st_below(l, 6), st_range(l, 0, 300 * ST_US), false);
}

/* Bulk helpers, from outside threads only: a cancelled caller makes items that were never
 * spawned report ECANCELED, which the tally could not tell from cancelled tasks. */
static void op_bulk(actor *a, st_rng *l)
{
    round *rc = a->rc;
    unsigned n = 1 + st_below(l, 16);
    unsigned variant = st_below(l, O.op_on[OP_ASYNC] ? 3 : 2);
    if (variant == 2 && rc->deadline_end && !O.feat_on[F_DEADLINE_ASYNC])
        variant = 0;
    size_t maxc = st_below(l, 4);
    rec *items[16];
    int statuses[16], outs[16];
    for (unsigned i = 0; i < n; i++) {
        items[i] = rec_new(a, variant == 2 ? K_ITEM_ASYNC : K_ITEM, l);
        if (rc->cfg.task_timeout_ns)
            items[i]->flags |= RF_DEADLINE;
        statuses[i] = 12345;
    }
    int res;
    const char *what;
    mark(a, "a bulk helper");
    if (variant == 0) {
        what = "arayon_batch_process";
        res = arayon_batch_process(rc->pool, items, n, sizeof items[0], maxc, item_body, NULL,
                                   statuses);
    } else if (variant == 1) {
        what = "arayon_par_map";
        res = arayon_par_map(rc->pool, items, n, sizeof items[0], outs, sizeof outs[0], map_body,
                             NULL, statuses);
    } else {
        what = "arayon_batch_process_async";
        res = arayon_batch_process_async(rc->pool, items, n, sizeof items[0], maxc, item_body,
                                         NULL, statuses);
    }
    if (res == ARAYON_ESHUTDOWN && statuses[0] == 12345) { /* no scope: nothing ran */
        for (unsigned i = 0; i < n; i++) {
            if (atomic_load(&items[i]->runs))
                st_fail("%s refused (ESHUTDOWN) but item %u ran", what, i);
            rec_discard(items[i]);
        }
        return;
    }
    int first = ARAYON_OK;
    for (unsigned i = 0; i < n; i++) {
        int s = statuses[i];
        if (first == ARAYON_OK && s != ARAYON_OK)
            first = s;
        if (s == ARAYON_EAGAIN || s == ARAYON_ESHUTDOWN || s == ARAYON_ENOMEM) {
            tally_refused(rc, s, items[i], what);
            if (atomic_load(&items[i]->runs))
                st_fail("%s: item %u refused (%s) but its body ran", what, i, ename(s));
            rec_discard(items[i]);
            continue;
        }
        atomic_fetch_add(&rc->spawned, 1);
        atomic_fetch_add(&rc->kind_spawned[items[i]->kind], 1);
        push_rec(rc, items[i]);
        check_outcome(items[i], s, what);
        if (variant == 1 && s != ARAYON_ECANCELED && s != ARAYON_ETIMEDOUT &&
            outs[i] != atomic_load(&items[i]->ret))
            st_fail("arayon_par_map: out[%u] = %d, the body returned %d", i, outs[i],
                    atomic_load(&items[i]->ret));
    }
    if (res != first)
        st_fail("%s returned %s, but the first item that did not succeed says %s", what,
                ename(res), ename(first));
}

#ifdef STRESS_WITH_OMP
static void op_omp(actor *a, st_rng *l)
{
    if (a->where == A_FIBER && !a->rc->big_fibers)
        return; /* an OpenMP region needs more stack than a small fiber has */
    ow_limits lim = {.max_team = 4, .max_depth = 1, .scale = 1, .cancel = O.feat_on[F_CANCEL],
                     .taskloop_reduction = O.feat_on[F_OMP_TASKLOOP_REDUCTION],
                     .no_cancel_parallel = !O.feat_on[F_OMP_CANCEL_PARALLEL],
                     .no_sections = !O.feat_on[F_OMP_SECTIONS]};
    uint64_t seed = st_next(l);
    char err[1024];
    mark(a, "an OpenMP episode");
    if (ow_episode(seed, &lim, err, sizeof err) != 0)
        st_fail("OpenMP episode %s in a %s: %s", ow_episode_name(seed, &lim), where_names[a->where],
                err);
}
#endif

static unsigned pick_op(actor *a, uint64_t sel)
{
    unsigned col = a->depth == 0 ? 0 : 1, total = 0;
    unsigned w[OP_COUNT];
    for (unsigned i = 0; i < OP_COUNT; i++) {
        w[i] = O.op_on[i] ? op_weight[i][col] : 0;
        if ((i == OP_SCOPE || i == OP_BULK) && !can_wait(a))
            w[i] = 0;
        if (i == OP_SCOPE && a->where == A_FIBER && !O.feat_on[F_FIBER_WAIT])
            w[i] = 0; /* scope waits of a cancelled suspendable task help (known fault) */
        total += w[i];
    }
    if (!total)
        return OP_COUNT;
    unsigned r = (unsigned)(sel % total);
    for (unsigned i = 0; i < OP_COUNT; i++) {
        if (r < w[i])
            return i;
        r -= w[i];
    }
    return OP_COUNT;
}

/* One operation. It takes exactly two draws from the actor's generator, whatever happens,
 * so that results of the runtime never shift the actor's later decisions. */
static void do_op(actor *a)
{
    uint64_t sel = st_next(&a->g);
    st_rng l;
    st_rng_init(&l, st_next(&a->g));
    unsigned op = pick_op(a, sel);
    if (op == OP_COUNT)
        return;
    if (a->out)
        atomic_store(&a->out->op, op_names[op]);
    switch (op) {
    case OP_SPAWN: op_spawn(a, &l, pick_kind(&l)); break;
    case OP_HANDLE: op_handle(a, &l, pick_kind(&l)); break;
    case OP_SCOPE: op_scope(a, &l); break;
    case OP_ASYNC: op_async(a, &l); break;
    case OP_BLOCKING:
        if (st_pct(&l, 50))
            op_spawn(a, &l, K_BLOCKING);
        else
            op_handle(a, &l, K_BLOCKING);
        break;
    case OP_TIMER: op_timer(a, &l, false); break;
    case OP_PERIODIC: op_timer(a, &l, true); break;
    case OP_TIMEOUT: op_timeout(a, &l); break;
    case OP_HELD: op_held(a, &l); break;
    case OP_BULK: op_bulk(a, &l); break;
#ifdef STRESS_WITH_OMP
    case OP_OMP: op_omp(a, &l); break;
#endif
    case OP_SIBLING: op_sibling(a, &l); break;
    default: break;
    }
    if (a->self)
        mark(a, "running");
    atomic_fetch_add(&a->rc->ops_done, 1);
    st_tick();
}

/* ---------------------------------------------------------------------------------------
 * Outside threads and shutdowns
 * ------------------------------------------------------------------------------------- */
static int shutdown_with_deadline(round *rc, uint64_t timeout_ns)
{
    atomic_store(&rc->shutdown_begun, 1);
    note_cancel(rc); /* a shutdown deadline cancels what has not started */
    int r = arayon_pool_shutdown_timeout(rc->pool, timeout_ns);
    if (r != ARAYON_OK && r != ARAYON_ETIMEDOUT)
        st_fail("arayon_pool_shutdown_timeout(%" PRIu64 " ns): %s", timeout_ns, ename(r));
    return r;
}

static void *outside_main(void *arg)
{
    outside *o = arg;
    round *rc = o->rc;
    actor a;
    memset(&a, 0, sizeof a);
    a.rc = rc;
    a.where = A_OUTSIDE;
    a.out = o;
    st_rng_init(&a.g, o->seed);
    for (unsigned i = 0; i < o->nops; i++) {
        if ((int)i == o->shutdown_at) {
            atomic_store(&o->op, "shutdown");
            atomic_store(&rc->shutdown_begun, 1);
            int r = rc->shutdown_timeout_ns ? shutdown_with_deadline(rc, rc->shutdown_timeout_ns)
                                            : arayon_pool_shutdown(rc->pool);
            if (!rc->shutdown_timeout_ns && r != ARAYON_OK)
                st_fail("arayon_pool_shutdown from an outside thread: %s", ename(r));
            atomic_store(&rc->shutdown_rc, r);
        }
        do_op(&a);
        atomic_fetch_add(&o->done, 1);
    }
    atomic_store(&o->op, "finishing held handles");
    actor_finish(&a);
    atomic_store(&o->op, "done");
    return NULL;
}

/* ---------------------------------------------------------------------------------------
 * The watchdog's and a failure's report
 * ------------------------------------------------------------------------------------- */
static int write_file(const char *buf, size_t len, void *ctx)
{
    return fwrite(buf, 1, len, (FILE *)ctx) == len ? 0 : -1;
}

static void describe_round(FILE *out, const round *rc)
{
    fprintf(out, "round %" PRIu64 ": %u workers, %u outside threads, max_pending %zu (%s%s), "
                 "task_timeout %" PRIu64 " us, fiber stack %zu, blocking threads %u, depth %u, "
                 "latency %d, monitor %d, trace %d; end: %s",
            rc->index, rc->workers, rc->noutside, rc->cfg.max_pending,
            rc->cfg.full_policy == ARAYON_FULL_BLOCK    ? "block"
            : rc->cfg.full_policy == ARAYON_FULL_REJECT ? "reject"
                                                        : "inline",
            rc->cfg.max_pending_wait_ns ? ", wait limit" : "", rc->cfg.task_timeout_ns / 1000,
            rc->cfg.fiber_stack_size, rc->cfg.max_blocking_threads, rc->maxdepth, rc->latency,
            rc->monitor, rc->trace, end_names[rc->end]);
    if (rc->end == E_TIMEOUT || rc->end == E_STUCK ||
        (rc->end == E_CONCURRENT && rc->shutdown_timeout_ns))
        fprintf(out, " (deadline %" PRIu64 " us)", rc->shutdown_timeout_ns / 1000);
    fprintf(out, "\n");
}

static void dump_state(FILE *out)
{
    /* the failing thread may be the one holding the lock: do not wait for it for long */
    bool locked = false;
    for (int i = 0; i < 200 && !locked; i++) {
        locked = pthread_mutex_trylock(&dump_lock) == 0;
        if (!locked)
            st_sleep_ns(10 * ST_MS);
    }
    round *rc = cur_round;
    if (!rc) {
        fprintf(out, "stress: (no round in progress)\n");
        goto out;
    }
    fprintf(out, "stress: ");
    describe_round(out, rc);
    fprintf(out, "stress: phase: %s; %" PRIu64 " operations done, %" PRIu64 " tasks spawned, "
                 "%" PRId64 " task bodies running, %u stuck tasks started\n",
            atomic_load(&rc->phase), atomic_load(&rc->ops_done), atomic_load(&rc->spawned),
            atomic_load(&rc->bodies), atomic_load(&rc->stuck_started));
    for (unsigned i = 0; i < rc->noutside; i++)
        fprintf(out, "  outside thread %u: %u of %u operations done, now: %s\n", i,
                atomic_load(&rc->out[i].done), rc->out[i].nops,
                atomic_load(&rc->out[i].op) ? atomic_load(&rc->out[i].op) : "-");
    unsigned shown = 0, running = 0;
    for (rec *r = atomic_load(&rc->all); r; r = r->next) {
        if (atomic_load(&r->state) != R_RUNNING)
            continue;
        if (running++ == 0)
            fprintf(out, "stress: task bodies running (spawned tasks the program knows of):\n");
        if (shown++ < 40) {
            const char *d = atomic_load(&r->doing);
            fprintf(out, "  %s task, depth %u%s%s, started on worker %d: %s\n",
                    kind_names[r->kind], r->depth, r->flags & RF_MIGRATE ? ", migratable" : "",
                    r->flags & RF_DEADLINE ? ", with a deadline" : "", atomic_load(&r->worker),
                    d ? d : "?");
        }
    }
    if (running > shown)
        fprintf(out, "  ... and %u more\n", running - shown);
    if (dump_pool && locked) {
        fprintf(out, "stress: pool metrics now:\n");
        arayon_pool_metrics_print(dump_pool, write_file, out, ARAYON_METRICS_TEXT);
        fprintf(out, "stress: workers (arayon_pool_worker_metrics: active = not idle; the "
                     "runtime reports nothing finer):\n");
        for (unsigned w = 0; w < rc->workers; w++) {
            arayon_worker_metrics_t wm;
            if (arayon_pool_worker_metrics(dump_pool, w, &wm) != ARAYON_OK)
                continue;
            fprintf(out, "  worker %u: %s, executed %" PRIu64 ", spawned %" PRIu64
                         ", queued in its deque %" PRIu64 ", steals %" PRIu64 ", parks %" PRIu64
                         ", wakeups %" PRIu64 ", run inline %" PRIu64 ", busy %.1f ms\n",
                    w, wm.active ? "active" : "idle", wm.executed, wm.spawned, wm.queued,
                    wm.steals, wm.parks, wm.wakeups, wm.run_inline, (double)wm.busy_ns / 1e6);
        }
    }
out:
    if (locked)
        pthread_mutex_unlock(&dump_lock);
}

/* ---------------------------------------------------------------------------------------
 * A round: its configuration, its run, its end, its checks
 * ------------------------------------------------------------------------------------- */
static void monitor_cb(const arayon_metrics_t *m, void *user)
{
    round *rc = user;
    atomic_fetch_add(&rc->monitor_calls, 1);
    if (m->spawned != m->completed + m->failed + m->cancelled + m->timed_out + m->pending)
        st_fail("monitor snapshot: spawned %" PRIu64 " != completed %" PRIu64 " + failed %" PRIu64
                " + cancelled %" PRIu64 " + timed_out %" PRIu64 " + pending %" PRIu64,
                m->spawned, m->completed, m->failed, m->cancelled, m->timed_out, m->pending);
    if (m->max_pending && m->peak_pending > m->max_pending)
        st_fail("monitor snapshot: peak_pending %" PRIu64 " above max_pending %" PRIu64,
                m->peak_pending, m->max_pending);
}

static int discard_write(const char *buf, size_t len, void *ctx)
{
    (void)buf, (void)len, (void)ctx;
    return 0;
}

static void configure(round *rc, st_rng *g)
{
    arayon_config_t c = arayon_config_default();
    rc->workers = 1 + st_below(g, O.max_workers);
    c.num_threads = rc->workers;
    rc->noutside = 1 + st_below(g, O.max_outside);
    rc->maxdepth = 1 + st_below(g, 3);
    /* how the round ends: every draw is made whether or not it is used */
    unsigned e = st_below(g, 100);
    bool timeout_ok = O.feat_on[F_SHUTDOWN_TIMEOUT], conc_ok = O.feat_on[F_CONCURRENT_SHUTDOWN];
    rc->end = e < 30 ? E_SHUTDOWN : e < 42 ? E_DESTROY : e < 64 ? E_TIMEOUT : e < 88 ? E_CONCURRENT
                                                                                 : E_STUCK;
    if (rc->end == E_STUCK && !O.feat_on[F_STUCK])
        rc->end = E_TIMEOUT;
    if ((rc->end == E_TIMEOUT || rc->end == E_STUCK) && !timeout_ok)
        rc->end = E_SHUTDOWN;
    if (rc->end == E_CONCURRENT && !conc_ok)
        rc->end = E_SHUTDOWN;
    uint64_t deadline = st_range(g, 0, 5 * ST_MS);
    bool conc_deadline = st_pct(g, 50) && timeout_ok;
    rc->shutdown_timeout_ns = rc->end == E_TIMEOUT || rc->end == E_STUCK ? deadline + 1
                              : rc->end == E_CONCURRENT && conc_deadline ? deadline + 1
                                                                         : 0;
    /* admission */
    unsigned mp = st_below(g, 100);
    c.max_pending = mp < 30 ? 0 : mp < 55 ? ARAYON_DEFAULT_MAX_PENDING : 1 + st_below(g, 64);
    unsigned pol = st_below(g, 100);
    c.full_policy = pol < 50 ? ARAYON_FULL_BLOCK : pol < 75 ? ARAYON_FULL_REJECT
                                                            : ARAYON_FULL_RUN_INLINE;
    bool wait_limit = st_pct(g, 50);
    c.max_pending_wait_ns = wait_limit ? st_range(g, 100 * ST_US, 5 * ST_MS) : 0;
    if (rc->end == E_STUCK) /* the stuck tasks must not hold the last places of a small bound */
        c.max_pending = c.max_pending && c.max_pending < 1024 ? 0 : c.max_pending;
    /* blocking tasks spawn only where an outside spawn cannot wait for room forever: they
     * hold their own places while they wait */
    rc->blocking_may_spawn = !(c.max_pending && c.full_policy == ARAYON_FULL_BLOCK &&
                               !c.max_pending_wait_ns);
    rc->deadline_end = rc->shutdown_timeout_ns != 0;
    if (rc->deadline_end && !O.feat_on[F_BLOCKING_SPAWN])
        rc->blocking_may_spawn = false; /* --without blocking-spawn */
    c.task_timeout_ns = st_pct(g, 12) ? st_range(g, 2 * ST_MS, 30 * ST_MS) : 0;
    c.spin_us = st_pct(g, 30) ? (unsigned)st_range(g, 1, 200) : 0;
    unsigned fs = st_below(g, 100);
    c.fiber_stack_size = fs < 20 ? (ST_SANITIZED ? 64 : 16) * 1024 : fs < 40 ? 512 * 1024 : 0;
    rc->big_fibers = c.fiber_stack_size >= 512 * 1024;
    c.max_blocking_threads = st_pct(g, 40) ? 1 + st_below(g, 4) : 0;
    c.blocking_idle_ns = st_pct(g, 40) ? st_range(g, 100 * ST_US, 5 * ST_MS) : 0;
    c.name = "stress";
    rc->latency = st_pct(g, 20);
    rc->monitor = O.feat_on[F_MONITOR] && st_pct(g, 15);
    rc->trace = O.feat_on[F_TRACE] && st_pct(g, 8);
    rc->cfg = c;
}

static void start_round(round *rc, uint64_t index)
{
    memset(rc, 0, sizeof *rc);
    rc->index = index;
    pthread_mutex_init(&rc->gate_m, NULL);
    pthread_cond_init(&rc->gate_c, NULL);
    atomic_init(&rc->shutdown_rc, 1);
    st_rng g;
    st_rng_init(&g, st_derive(O.seed, index, 0));
    configure(rc, &g);
    atomic_store(&rc->budget, (int64_t)(1500 * O.scale * (ST_TSAN ? 1 : 2)));
    for (unsigned i = 0; i < rc->noutside; i++) {
        outside *o = &rc->out[i];
        o->rc = rc;
        o->index = i;
        o->seed = st_derive(O.seed, index, 1 + i);
        o->nops = (unsigned)st_range(&g, 5, (ST_TSAN ? 20 : 50) * O.scale);
        o->shutdown_at = -1;
    }
    if (rc->end == E_CONCURRENT)
        rc->out[0].shutdown_at = (int)st_below(&g, rc->out[0].nops);
    char extra[256] = "";
    size_t k = 0;
    for (unsigned i = 0; i < OP_COUNT; i++)
        if (!O.op_on[i])
            k += (size_t)snprintf(extra + k, sizeof extra - k, "%s%s", k ? "," : " --without ",
                                  op_names[i]);
    for (unsigned i = 0; i < F_COUNT; i++)
        if (!O.feat_on[i] && i != F_STUCK)
            k += (size_t)snprintf(extra + k, sizeof extra - k, "%s%s", k ? "," : " --without ",
                                  feature_names[i]);
    for (unsigned i = 0; i < KN_COUNT; i++)
        if (O.known[i])
            k += (size_t)snprintf(extra + k, sizeof extra - k, " --known %s", known_names[i]);
    st_set_replay("%s --seed %" PRIu64 " --round %" PRIu64 " --rounds 1 --scale %u "
                  "--max-workers %u --max-outside %u%s%s", st.argv0, O.seed, index, O.scale,
                  O.max_workers, O.max_outside, O.feat_on[F_STUCK] ? " --with stuck" : "", extra);
    atomic_store(&rc->phase, "creating the pool");
    int r = arayon_pool_create(&rc->cfg, &rc->pool);
    if (r != ARAYON_OK)
        st_fail("arayon_pool_create: %s", ename(r));
    if (arayon_pool_num_threads(rc->pool) != rc->workers)
        st_fail("the pool has %u threads, %u were asked", arayon_pool_num_threads(rc->pool),
                rc->workers);
    if (rc->latency)
        arayon_pool_latency_enable(rc->pool, true);
    if (rc->monitor && arayon_monitor_start(rc->pool, 1 * ST_MS, monitor_cb, rc, &rc->mon) != ARAYON_OK)
        st_fail("arayon_monitor_start failed");
    if (rc->trace) {
        arayon_trace_opts_t to = arayon_trace_opts_default();
        to.buffer_events = 4096;
        if (arayon_trace_start(rc->pool, &to) != ARAYON_OK)
            st_fail("arayon_trace_start failed");
    }
    pthread_mutex_lock(&dump_lock);
    cur_round = rc;
    dump_pool = rc->pool;
    pthread_mutex_unlock(&dump_lock);
    if (O.verbose) {
        fprintf(stderr, "stress: ");
        describe_round(stderr, rc);
    }
}

/* Waits until every task body has returned and the pool counts nothing pending (tasks left
 * behind by a shutdown deadline finish on their own). Bounded: not getting there is a fault. */
static void wait_quiet(round *rc, arayon_metrics_t *m)
{
    uint64_t limit = (uint64_t)O.quiet_s * ST_SEC * (ST_SANITIZED ? 3 : 1);
    uint64_t t0 = st_now_ns();
    for (;;) {
        arayon_pool_metrics(rc->pool, m);
        if (atomic_load(&rc->bodies) == 0 && m->pending == 0)
            return;
        if (st_now_ns() - t0 > limit)
            st_fail_bt("%" PRIu64 " s after the shutdown returned: %" PRId64 " task bodies still "
                    "running, the pool counts %" PRIu64 " pending (%" PRIu64 " queued, %" PRIu64
                    " parked)%s", limit / ST_SEC, atomic_load(&rc->bodies), m->pending, m->queued,
                    m->parked,
                    rc->end == E_STUCK ? "; tasks queued behind the stuck workers were neither "
                                         "run nor counted as cancelled (issue 16 item 7?)"
                                       : "");
        st_sleep_ns(1 * ST_MS);
    }
}

/* Tasks for the end of the round: long ones that notice a shutdown deadline, or stuck ones
 * that do not, with plain tasks queued behind them. */
static void spawn_enders(round *rc, st_rng *g)
{
    actor a;
    memset(&a, 0, sizeof a);
    a.rc = rc;
    a.where = A_OUTSIDE;
    st_rng_init(&a.g, st_next(g));
    if (rc->end == E_TIMEOUT) {
        unsigned n = 1 + st_below(g, rc->workers + 2);
        for (unsigned i = 0; i < n; i++) {
            unsigned k = st_below(g, 3);
            rec *r = rec_new(&a, k == 0 ? K_PLAIN : k == 1 && O.op_on[OP_ASYNC] ? K_ASYNC
                                          : O.op_on[OP_BLOCKING]              ? K_BLOCKING
                                                                              : K_PLAIN, g);
            r->flags |= RF_SLOW;
            r->slow_ns = st_range(g, 20 * ST_MS, 200 * ST_MS);
            spawn_req q;
            fill_req(&q, g, st_pct(g, 50));
            q.timeout_ns = UINT64_MAX;
            arayon_task_t *h = NULL;
            if (spawn_rec(&a, r, &q, q.handle ? &h : NULL) == ARAYON_OK && h)
                park(r, h);
        }
    } else if (rc->end == E_STUCK) {
        unsigned n = 1 + st_below(g, rc->workers + 1), queued = st_below(g, 20);
        for (unsigned i = 0; i < n + queued; i++) {
            rec *r = rec_new(&a, i < n ? K_STUCK : K_PLAIN, g);
            spawn_req q;
            fill_req(&q, g, true);
            q.timeout_ns = UINT64_MAX;
            q.simple_api = false;
            arayon_task_t *h = NULL;
            if (spawn_rec(&a, r, &q, &h) == ARAYON_OK)
                park(r, h);
        }
    }
}

static void end_round(round *rc)
{
    st_rng g;
    st_rng_init(&g, st_derive(O.seed, rc->index, 0xE2D));
    atomic_store(&rc->phase, "ending");
    int sd = ARAYON_OK;
    if (rc->end == E_SHUTDOWN || rc->end == E_DESTROY)
        atomic_store(&rc->shutdown_begun, 1);
    switch (rc->end) {
    case E_SHUTDOWN:
        atomic_store(&rc->phase, "arayon_pool_shutdown");
        sd = arayon_pool_shutdown(rc->pool);
        if (sd != ARAYON_OK || arayon_pool_shutdown(rc->pool) != ARAYON_OK)
            st_fail("arayon_pool_shutdown: %s (or the second call failed)", ename(sd));
        break;
    case E_TIMEOUT:
    case E_STUCK:
        spawn_enders(rc, &g);
        atomic_store(&rc->phase, "arayon_pool_shutdown_timeout");
        sd = shutdown_with_deadline(rc, rc->shutdown_timeout_ns);
        if (rc->end == E_STUCK) {
            pthread_mutex_lock(&rc->gate_m);
            rc->gate_open = true;
            pthread_cond_broadcast(&rc->gate_c);
            pthread_mutex_unlock(&rc->gate_m);
        }
        break;
    case E_CONCURRENT:
        sd = atomic_load(&rc->shutdown_rc);
        if (sd == 1)
            st_fail("the outside thread never shut the pool down");
        if (arayon_pool_shutdown(rc->pool) != ARAYON_OK)
            st_fail("a second arayon_pool_shutdown failed");
        break;
    default:
        break;
    }
    if (rc->mon && arayon_monitor_stop(&rc->mon) != ARAYON_OK)
        st_fail("arayon_monitor_stop failed");
    if (rc->trace) {
        int t = arayon_trace_stop_write(rc->pool, discard_write, NULL);
        if (t != ARAYON_OK)
            st_fail("arayon_trace_stop_write: %s", ename(t));
    }
    arayon_metrics_t m;
    memset(&m, 0, sizeof m);
    bool have_metrics = rc->end != E_DESTROY;
    if (have_metrics) {
        atomic_store(&rc->phase, "waiting for the pool to be quiet");
        wait_quiet(rc, &m);
    }
    atomic_store(&rc->phase, "checking");
    arayon_pool_t *pool = rc->pool;

    /* every record: final outcome against its body, then the classification */
    uint64_t known[4] = {0, 0, 0, 0}, amb[3] = {0, 0, 0}, nrecs = 0;
    if (!have_metrics) {
        atomic_store(&rc->phase, "arayon_pool_destroy");
        pthread_mutex_lock(&dump_lock);
        dump_pool = NULL;
        pthread_mutex_unlock(&dump_lock);
        arayon_pool_destroy(&pool);
        if (pool)
            st_fail("arayon_pool_destroy left the pointer set");
        if (atomic_load(&rc->bodies))
            st_fail("%" PRId64 " task bodies still running after arayon_pool_destroy",
                    atomic_load(&rc->bodies));
    }
    for (rec *r = atomic_load(&rc->all); r; r = r->next) {
        nrecs++;
        int st = atomic_load(&r->state);
        unsigned runs = atomic_load(&r->runs);
        if (st == R_RUNNING)
            st_fail("a %s task's body is still running at the end of the round", kind_names[r->kind]);
        if (r->parked) {
            /* The metrics count a task finished just before its handle says so (task.c:
             * counted, then DONE set): a quiet pool may still have a handle a moment from
             * DONE. Allowed one second, polled. */
            for (int tries = 0; arayon_task_poll(r->parked) != ARAYON_OK && tries < 1000; tries++) {
                struct timespec ms = {0, 1000000};
                nanosleep(&ms, NULL);
            }
            if (arayon_task_poll(r->parked) != ARAYON_OK)
                st_fail("a %s task is not finished after the shutdown (its body %s)",
                        kind_names[r->kind], state_name(st));
            wait_and_check(r, r->parked, "arayon_task_wait at the end of the round");
            arayon_task_release(r->parked);
            r->parked = NULL;
        }
        arayon_task_release(atomic_exchange(&r->await_on, NULL));
        int o = atomic_load(&r->observed);
        bool deadline = r->flags & RF_DEADLINE;
        if (o != OBS_NONE) {
            known[o == ARAYON_OK ? 0 : o == ARAYON_EFAILED ? 1 : o == ARAYON_ECANCELED ? 2 : 3]++;
        } else if (r->flags & RF_PERIODIC) {
            st_fail("a periodic task's outcome is unknown (its handle was dropped): depth %u, "
                    "%u runs, stops after %u, body %s, returned %d; its handle: %s", r->depth,
                    runs, r->stop_after, state_name(st), atomic_load(&r->ret),
                    atomic_load(&r->fate) ? atomic_load(&r->fate) : "?");
        } else if (runs) {
            int ret = atomic_load(&r->ret);
            if (deadline)
                amb[ret ? 1 : 0]++;
            else
                known[ret ? 1 : 0]++;
        } else {
            bool cancellable = cancel_possible(r);
            if (!cancellable && !deadline)
                st_fail("a %s task never ran, yet nothing could have cancelled it and it had no "
                        "deadline", kind_names[r->kind]);
            if (!deadline)
                known[2]++;
            else if (!cancellable)
                known[3]++;
            else
                amb[2]++;
        }
    }
    if (nrecs != atomic_load(&rc->spawned))
        st_fail("internal: %" PRIu64 " records for %" PRIu64 " spawns", nrecs,
                atomic_load(&rc->spawned));

    if (have_metrics) {
        arayon_pool_metrics(pool, &m);
        uint64_t sp = atomic_load(&rc->spawned);
        uint64_t rej = atomic_load(&rc->rej_again) + atomic_load(&rc->rej_shutdown);
        char why[1024];
        snprintf(why, sizeof why,
                 "metrics: spawned %" PRIu64 " completed %" PRIu64 " failed %" PRIu64
                 " cancelled %" PRIu64 " timed_out %" PRIu64 " pending %" PRIu64 " rejected %" PRIu64
                 " | program: spawned %" PRIu64 " rejected %" PRIu64 " (EAGAIN %" PRIu64
                 ", ESHUTDOWN %" PRIu64 "), known ok/failed/cancelled/timed out %" PRIu64 "/%" PRIu64
                 "/%" PRIu64 "/%" PRIu64 ", undecided (deadline) ok/failed/not run %" PRIu64 "/%" PRIu64
                 "/%" PRIu64, m.spawned, m.completed, m.failed, m.cancelled, m.timed_out, m.pending,
                 m.rejected, sp, rej, atomic_load(&rc->rej_again), atomic_load(&rc->rej_shutdown),
                 known[0], known[1], known[2], known[3], amb[0], amb[1], amb[2]);
        if (m.pending || m.queued || m.parked || m.stacks_in_use || m.blocking_running ||
            m.blocking_queued || m.timers_pending || m.suspended != m.resumed)
            st_fail("the pool is not quiet after the shutdown: pending %" PRIu64 " queued %" PRIu64
                    " parked %" PRIu64 " stacks_in_use %" PRIu64 " blocking_running %" PRIu64
                    " blocking_queued %" PRIu64 " timers_pending %" PRIu64 " suspended %" PRIu64
                    " resumed %" PRIu64, m.pending, m.queued, m.parked, m.stacks_in_use,
                    m.blocking_running, m.blocking_queued, m.timers_pending, m.suspended, m.resumed);
        if (m.spawned != m.completed + m.failed + m.cancelled + m.timed_out)
            st_fail("spawned != completed + failed + cancelled + timed_out: %s", why);
        if (m.spawned != sp)
            st_fail("the pool counts %" PRIu64 " spawned tasks, the program %" PRIu64 ": %s",
                    m.spawned, sp, why);
        if (m.async_spawned != atomic_load(&rc->kind_spawned[K_ASYNC]) +
                                   atomic_load(&rc->kind_spawned[K_ITEM_ASYNC]) ||
            m.blocking_spawned != atomic_load(&rc->kind_spawned[K_BLOCKING]) ||
            m.timers_spawned != atomic_load(&rc->kind_spawned[K_AFTER]) +
                                    atomic_load(&rc->kind_spawned[K_EVERY]))
            st_fail("per kind: the pool counts %" PRIu64 " suspendable, %" PRIu64 " blocking, %" PRIu64
                    " timers; the program %" PRIu64 ", %" PRIu64 ", %" PRIu64, m.async_spawned,
                    m.blocking_spawned, m.timers_spawned,
                    atomic_load(&rc->kind_spawned[K_ASYNC]) + atomic_load(&rc->kind_spawned[K_ITEM_ASYNC]),
                    atomic_load(&rc->kind_spawned[K_BLOCKING]),
                    atomic_load(&rc->kind_spawned[K_AFTER]) + atomic_load(&rc->kind_spawned[K_EVERY]));
        if (O.known[KN_WORKER_REFUSALS]) /* not counted by the runtime: known fault */
            rej -= atomic_load(&rc->rej_worker_offw_shutdown);
        if (m.rejected != rej) {
            char by[512] = "";
            size_t k = 0;
            for (unsigned i = 0; i < K_COUNT; i++)
                for (unsigned w = 0; w < 2; w++)
                    if (atomic_load(&rc->rej_by[i][w]) && k < sizeof by)
                        k += (size_t)snprintf(by + k, sizeof by - k, " %s from %s: %" PRIu64 ";",
                                              kind_names[i], w ? "a worker" : "outside",
                                              atomic_load(&rc->rej_by[i][w]));
            st_fail("the pool counts %" PRIu64 " rejected spawns, the program %" PRIu64
                    " (refused:%s): %s", m.rejected, rej, by, why);
        }
        /* outcomes: exact where known, within the undecided ones otherwise */
        bool in = m.completed >= known[0] && m.completed <= known[0] + amb[0] &&
                  m.failed >= known[1] && m.failed <= known[1] + amb[1] &&
                  m.cancelled >= known[2] && m.cancelled <= known[2] + amb[2];
        if (!in || m.timed_out != known[3] + (known[0] + amb[0] - m.completed) +
                                      (known[1] + amb[1] - m.failed) +
                                      (known[2] + amb[2] - m.cancelled))
            st_fail("the outcomes counted by the pool do not match the tasks: %s", why);
        if (sd == ARAYON_OK && m.abandoned)
            st_fail("a shutdown that finished in time reports %" PRIu64 " abandoned tasks",
                    m.abandoned);
        if (m.abandoned > m.spawned)
            st_fail("abandoned %" PRIu64 " > spawned %" PRIu64, m.abandoned, m.spawned);
        total_outcomes[0] += m.completed;
        total_outcomes[1] += m.failed;
        total_outcomes[2] += m.cancelled;
        total_outcomes[3] += m.timed_out;
        if (O.verbose)
            fprintf(stderr, "stress:   %s; shutdown %s, abandoned %" PRIu64 "\n", why, ename(sd),
                    m.abandoned);
        atomic_store(&rc->phase, "arayon_pool_destroy");
        pthread_mutex_lock(&dump_lock);
        dump_pool = NULL;
        pthread_mutex_unlock(&dump_lock);
        arayon_pool_destroy(&pool);
        if (pool)
            st_fail("arayon_pool_destroy left the pointer set");
    }
    total_tasks += atomic_load(&rc->spawned);
    total_rejected += atomic_load(&rc->rej_again) + atomic_load(&rc->rej_shutdown);
    rc->pool = NULL;
    pthread_mutex_lock(&dump_lock);
    cur_round = NULL;
    pthread_mutex_unlock(&dump_lock);
    for (rec *r = atomic_load(&rc->all), *n; r; r = n) {
        n = r->next;
        free(r);
    }
    for (scope_ctx *s = atomic_load(&rc->scopes), *n; s; s = n) {
        n = s->next;
        free(s);
    }
    pthread_cond_destroy(&rc->gate_c);
    pthread_mutex_destroy(&rc->gate_m);
}

static void run_round(uint64_t index)
{
    static round rc; /* one at a time; large */
    start_round(&rc, index);
    atomic_store(&rc.phase, "outside threads submitting");
    for (unsigned i = 0; i < rc.noutside; i++)
        if (pthread_create(&rc.out[i].thread, NULL, outside_main, &rc.out[i]) != 0)
            st_fail("pthread_create failed");
    for (unsigned i = 0; i < rc.noutside; i++)
        pthread_join(rc.out[i].thread, NULL);
    end_round(&rc);
    total_rounds++;
}

/* ---------------------------------------------------------------------------------------
 * Command line
 * ------------------------------------------------------------------------------------- */
static void usage(FILE *out, const char *argv0)
{
    fprintf(out,
        "usage: %s [options]\n"
        "Randomized stress of arayon's native API: pools of 1-8 workers, several threads\n"
        "submitting random mixes of operations, exact accounting checked after every round.\n"
        "\n"
        "  --seed S          seed of every decision (default: from the clock; printed)\n"
        "  --seconds T       short mode: rounds for about T seconds (default 3)\n"
        "  --minutes M       long mode: rounds for M minutes, larger rounds (--scale 3)\n"
        "  --round R         first round (replay: --seed S --round R --rounds 1)\n"
        "  --rounds N        stop after N rounds (default: when the time is up)\n"
        "  --busy K          start K spinning processes (preemption), killed at the end\n"
        "  --max-workers N   pools of 1..N workers (default 8)\n"
        "  --max-outside N   1..N threads outside the pool submitting (default 4, at most %d)\n"
        "  --scale N         operations per thread and task budget (default 1)\n"
        "  --without LIST    leave out operations or features (comma-separated, below)\n"
        "  --only LIST       only these operations (and the features not left out)\n"
        "  --with LIST       features that are off by default: stuck\n"
        "  --known LIST      relax the checks of known faults of the runtime: worker-refusals\n"
        "  --watchdog S      report a hang after S seconds without progress (default 60, 0 = off)\n"
        "  --quiet-limit S   after a shutdown, how long tasks may take to be counted (default 10)\n"
        "  --no-gdb          no backtraces (gdb) in a hang or crash report\n"
        "  --core            a crash also dumps core (raises the core size limit)\n"
        "  -v, --verbose     a line per round, with its metrics\n"
        "  -h, --help        this text\n"
        "\n"
        "operations: spawn handle scope async blocking timer periodic timeout held bulk omp sibling\n"
        "features:   cancel shutdown-timeout concurrent-shutdown stuck monitor trace migrate\n"
        "            fiber-wait yield-poll blocking-async omp-taskloop-reduction\n"
        "            omp-cancel-parallel omp-sections await blocking-spawn deadline-async\n"
        "  stuck: rounds that end with arayon_pool_shutdown_timeout while tasks that ignore\n"
        "  cancellation hold workers, with tasks queued behind them (issue 16, item 7).\n"
        "  migrate: some suspendable tasks are ARAYON_TASK_MIGRATABLE.\n"
        "  fiber-wait: suspendable tasks wait with arayon_task_wait and own scopes; without it\n"
        "  they use arayon_await and no scopes.\n"
        "  yield-poll: suspendable tasks also wait by polling a handle with arayon_yield.\n"
        "  blocking-async: blocking tasks spawn suspendable tasks too.\n"
        "  await: suspendable tasks wait for tasks (arayon_await, and arayon_task_wait with\n"
        "  fiber-wait); without it they only poll.\n"
        "  blocking-spawn: blocking tasks spawn in rounds that end with a shutdown deadline.\n"
        "  deadline-async: suspendable tasks in rounds that end with a shutdown deadline.\n"
        "  omp-taskloop-reduction, omp-cancel-parallel, omp-sections: OpenMP episodes use\n"
        "  taskloop reductions, \"cancel parallel\", sections.\n"
        "faults (--known): worker-refusals: a task's blocking or timer spawn refused with\n"
        "  ARAYON_ESHUTDOWN is not counted in the metrics' rejected.\n"
        "docs/stress.md describes the faults found so far and the flags that avoid them.\n",
        argv0, MAX_OUTSIDE);
}

static bool set_names(const char *list, bool on, bool ops_only, const char *argv0)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (unsigned i = 0; i < OP_COUNT; i++)
            if (!strcmp(t, op_names[i]))
                O.op_on[i] = on, found = true;
        for (unsigned i = 0; i < F_COUNT && !ops_only; i++)
            if (!strcmp(t, feature_names[i]))
                O.feat_on[i] = on, found = true;
        if (!found) {
            fprintf(stderr, "%s: unknown operation or feature '%s'\n", argv0, t);
            return false;
        }
    }
    return true;
}

static void parse(int argc, char **argv)
{
    O.seconds = 3;
    O.max_workers = 8;
    O.max_outside = 4;
    O.scale = 0;
    O.watchdog = 60;
    O.quiet_s = 10;
    for (unsigned i = 0; i < OP_COUNT; i++)
        O.op_on[i] = true;
    for (unsigned i = 0; i < F_COUNT; i++)
        O.feat_on[i] = i != F_STUCK;
#ifndef STRESS_WITH_OMP
    O.op_on[OP_OMP] = false;
#endif
    double minutes = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x = 0;
#define NEEDS_NUM()                                                                         \
    do {                                                                                    \
        if (!st_parse_u64(v, &x)) {                                                         \
            fprintf(stderr, "%s: %s needs a number\n", argv[0], a);                         \
            exit(2);                                                                        \
        }                                                                                   \
        i++;                                                                                \
    } while (0)
#define NEEDS_ARG()                                                                         \
    do {                                                                                    \
        if (!v) {                                                                           \
            fprintf(stderr, "%s: %s needs an argument\n", argv[0], a);                      \
            exit(2);                                                                        \
        }                                                                                   \
        i++;                                                                                \
    } while (0)
        if (!strcmp(a, "--seed")) {
            NEEDS_NUM();
            O.seed = x;
            O.seed_given = true;
        } else if (!strcmp(a, "--seconds")) {
            NEEDS_NUM();
            O.seconds = (double)x;
        } else if (!strcmp(a, "--minutes")) {
            NEEDS_NUM();
            minutes = (double)x;
        } else if (!strcmp(a, "--round")) {
            NEEDS_NUM();
            O.round0 = x;
        } else if (!strcmp(a, "--rounds")) {
            NEEDS_NUM();
            O.rounds = x;
        } else if (!strcmp(a, "--busy")) {
            NEEDS_NUM();
            O.busy = (unsigned)x;
        } else if (!strcmp(a, "--max-workers")) {
            NEEDS_NUM();
            O.max_workers = x < 1 ? 1 : x > 64 ? 64 : (unsigned)x;
        } else if (!strcmp(a, "--max-outside")) {
            NEEDS_NUM();
            O.max_outside = x < 1 ? 1 : x > MAX_OUTSIDE ? MAX_OUTSIDE : (unsigned)x;
        } else if (!strcmp(a, "--scale")) {
            NEEDS_NUM();
            O.scale = x < 1 ? 1 : (unsigned)x;
        } else if (!strcmp(a, "--watchdog")) {
            NEEDS_NUM();
            O.watchdog = (unsigned)x;
        } else if (!strcmp(a, "--quiet-limit")) {
            NEEDS_NUM();
            O.quiet_s = x < 1 ? 1 : (unsigned)x;
        } else if (!strcmp(a, "--without")) {
            NEEDS_ARG();
            if (!set_names(v, false, false, argv[0]))
                exit(2);
        } else if (!strcmp(a, "--with")) {
            NEEDS_ARG();
            if (!set_names(v, true, false, argv[0]))
                exit(2);
        } else if (!strcmp(a, "--known")) {
            NEEDS_ARG();
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
                 t = strtok_r(NULL, ",", &save)) {
                unsigned k = 0;
                while (k < KN_COUNT && strcmp(t, known_names[k]))
                    k++;
                if (k == KN_COUNT) {
                    fprintf(stderr, "%s: unknown fault name '%s'\n", argv[0], t);
                    exit(2);
                }
                O.known[k] = true;
            }
        } else if (!strcmp(a, "--only")) {
            NEEDS_ARG();
            only = v;
        } else if (!strcmp(a, "--no-gdb")) {
            st_opt_gdb = false;
        } else if (!strcmp(a, "--core")) {
            O.core = true;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            O.verbose++;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, argv[0]);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown option %s\n", argv[0], a);
            usage(stderr, argv[0]);
            exit(2);
        }
#undef NEEDS_NUM
#undef NEEDS_ARG
    }
    if (only) {
        bool keep[OP_COUNT];
        memcpy(keep, O.op_on, sizeof keep);
        for (unsigned i = 0; i < OP_COUNT; i++)
            O.op_on[i] = false;
        if (!set_names(only, true, true, argv[0]))
            exit(2);
        for (unsigned i = 0; i < OP_COUNT; i++)
            O.op_on[i] = O.op_on[i] && keep[i];
    }
#ifndef STRESS_WITH_OMP
    O.op_on[OP_OMP] = false;
#endif
    if (minutes > 0) {
        O.long_mode = true;
        O.seconds = minutes * 60;
        if (!O.scale)
            O.scale = 3;
    }
    if (!O.scale)
        O.scale = 1;
    if (!O.seed_given)
        O.seed = st_random_seed();
}

int main(int argc, char **argv)
{
    parse(argc, argv);
    st_init(argv[0], O.seed);
    if (!ST_SANITIZED) /* (the sanitizers report faults themselves) */
        st_fatal_signals(O.core);
    fprintf(stderr, "stress: arayon %s, seed %" PRIu64 " (replay: %s --seed %" PRIu64 "), %s "
                    "mode, %.0f s, build %s%s\n",
            arayon_version(), O.seed, argv[0], O.seed, O.long_mode ? "long" : "short", O.seconds,
            ST_BUILD_NAME,
#ifdef STRESS_WITH_OMP
            O.op_on[OP_OMP] ? ", with OpenMP regions" : ""
#else
            ""
#endif
    );
    if (O.busy && st_busy_start(O.busy) != 0)
        fprintf(stderr, "stress: could not start the busy processes\n");
#ifdef STRESS_WITH_OMP
    ow_set_tick(st_tick);
#endif
    st_watchdog_start(O.watchdog, dump_state);
    uint64_t t0 = st_now_ns(), budget = (uint64_t)(O.seconds * 1e9), last_note = t0;
    for (uint64_t r = O.round0, n = 0;; r++, n++) {
        if (O.rounds ? n >= O.rounds : n > 0 && st_now_ns() - t0 >= budget)
            break;
        run_round(r);
        if (O.long_mode && st_now_ns() - last_note >= 60 * ST_SEC) {
            last_note = st_now_ns();
            fprintf(stderr, "stress: %.0f min: %" PRIu64 " rounds, %" PRIu64 " tasks\n",
                    (double)(last_note - t0) / 60e9, total_rounds, total_tasks);
        }
    }
    st_watchdog_stop();
    st_busy_stop();
    fprintf(stderr, "stress: OK: %" PRIu64 " rounds, %" PRIu64 " tasks (%" PRIu64 " completed, %" PRIu64
                    " failed, %" PRIu64 " cancelled, %" PRIu64 " timed out), %" PRIu64
                    " spawns refused, %.1f s (seed %" PRIu64 ")\n",
            total_rounds, total_tasks, total_outcomes[0], total_outcomes[1], total_outcomes[2],
            total_outcomes[3], total_rejected, (double)(st_now_ns() - t0) / 1e9, O.seed);
    return 0;
}
