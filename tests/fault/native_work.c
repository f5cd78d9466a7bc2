/*
 * native_work.c - native workloads for the allocation-failure sweep (sweep.h):
 *
 *   native_work <part> [sweep options]
 *
 * Parts (each creates a pool of 2 workers before failures are armed, then runs armed):
 *   async     suspendable tasks (arayon_spawn_async): sleep, yield, await another task, wait
 *             on a pipe, a scope inside the task; handles
 *   blocking  blocking tasks (arayon_spawn_blocking, arayon_scope_spawn_blocking) that spawn
 *             and wait for plain tasks
 *   timers    delayed and periodic tasks (arayon_spawn_after, arayon_spawn_every), one
 *             cancelled before its deadline
 *   bulk      arayon_parallel_for, batch_process, par_map, stream_process, their _async
 *             forms, join_handles
 *
 * Every call must return ARAYON_OK or a documented error (ARAYON_ENOMEM; ARAYON_ESYSTEM where
 * a thread could not be started), and only once an allocation failed; a task's outcome must
 * match what its function did (ARAYON_OK: it ran to its end; ARAYON_EFAILED without running:
 * a suspendable task with no stack). After the run (failures disarmed) the pool is shut down
 * and its counters must add up: spawned == completed + failed + cancelled + timed_out +
 * pending, pending == 0, and spawned == the spawns that returned ARAYON_OK (parts whose
 * spawns are all counted here).
 */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include <arayon.h>

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define US 1000ull
#define MS 1000000ull

static arayon_pool_t *pool;
static atomic_int bad;
static atomic_long spawned_ok; /* spawns that returned ARAYON_OK (counted parts) */
static bool count_spawns;      /* this part's spawns all go through spawned() */

#define FAIL(...)                                                                            \
    do {                                                                                     \
        if (atomic_fetch_add(&bad, 1) < 5) {                                                 \
            fprintf(stderr, "fault: native_work.c:%d: ", __LINE__);                          \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
        }                                                                                    \
    } while (0)

/* rc is ARAYON_OK, or one of the allowed errors once an allocation failed. */
static bool allowed(int rc, bool esystem)
{
    if (rc == ARAYON_OK)
        return true;
    if (fault_injected() == 0)
        return false;
    return rc == ARAYON_ENOMEM || (esystem && rc == ARAYON_ESYSTEM);
}

#define EXPECT(rc, esystem, what)                                                            \
    do {                                                                                     \
        int r_ = (rc);                                                                       \
        if (!allowed(r_, esystem))                                                           \
            FAIL("%s: %s", what, arayon_errname(r_));                                        \
    } while (0)

/* A spawn's result: OK with a handle, or an allowed error without one. */
static bool spawned(int rc, arayon_task_t *h, bool esystem, const char *what)
{
    if (rc == ARAYON_OK) {
        if (!h)
            FAIL("%s: ARAYON_OK without a handle", what);
        atomic_fetch_add(&spawned_ok, 1);
        return h != NULL;
    }
    if (h)
        FAIL("%s: %s with a handle", what, arayon_errname(rc));
    if (!allowed(rc, esystem))
        FAIL("%s: %s", what, arayon_errname(rc));
    return false;
}

/* A task's record: what its function did. */
typedef struct job {
    atomic_int started, finished;
    arayon_task_t *h;
    int fd[2];
    struct job *await;
} job;

/* The outcome of j's task agrees with what its function did. */
static void check_outcome(job *j, const char *what)
{
    int rc = arayon_task_wait(j->h), result = 0;
    arayon_task_result(j->h, &result);
    bool ran = atomic_load(&j->started) != 0, done = atomic_load(&j->finished) != 0;
    if (rc == ARAYON_OK ? !(ran && done)
        : rc == ARAYON_EFAILED ? ran || result != ARAYON_ENOMEM || !fault_injected()
                               : true)
        FAIL("%s: outcome %s (result %d), function started %d finished %d", what,
             arayon_errname(rc), result, ran, done);
    arayon_task_release(j->h);
    j->h = NULL;
}

static int quick(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
    return 0;
}

static int setup(void)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 2;
    cfg.name = "fault";
    return arayon_pool_create(&cfg, &pool);
}

/* After the run: shut down, then the counters. */
static int check(void)
{
    if (arayon_pool_shutdown(pool) != ARAYON_OK) {
        fprintf(stderr, "fault: shutdown failed\n");
        return 1;
    }
    arayon_metrics_t m;
    arayon_pool_metrics(pool, &m);
    int rc = 0;
    if (m.spawned != m.completed + m.failed + m.cancelled + m.timed_out + m.pending ||
        m.pending != 0) {
        fprintf(stderr,
                "fault: counters: spawned %llu, completed %llu, failed %llu, cancelled %llu, "
                "timed out %llu, pending %llu\n",
                (unsigned long long)m.spawned, (unsigned long long)m.completed,
                (unsigned long long)m.failed, (unsigned long long)m.cancelled,
                (unsigned long long)m.timed_out, (unsigned long long)m.pending);
        rc = 1;
    }
    if (count_spawns && m.spawned != (uint64_t)atomic_load(&spawned_ok)) {
        fprintf(stderr, "fault: %llu tasks counted as spawned, %ld spawns returned ARAYON_OK\n",
                (unsigned long long)m.spawned, atomic_load(&spawned_ok));
        rc = 1;
    }
    arayon_pool_destroy(&pool);
    return rc || atomic_load(&bad);
}

/* ---- async ----------------------------------------------------------------------------- */

#define NASYNC 8

static int async_body(void *arg)
{
    job *j = arg;
    atomic_store(&j->started, 1);
    EXPECT(arayon_sleep(50 * US), false, "arayon_sleep in a suspendable task");
    int rc = arayon_yield();
    if (rc != ARAYON_OK)
        FAIL("arayon_yield: %s", arayon_errname(rc));
    if (j->await && j->await->h) {
        rc = arayon_await(j->await->h, arayon_now_ns() + 5000 * MS);
        /* the awaited task's own outcome, or the wait's error */
        if (rc != ARAYON_OK && rc != ARAYON_EFAILED)
            EXPECT(rc, false, "arayon_await");
    }
    int rev = 0;
    rc = arayon_wait_fd(j->fd[0], POLLIN, arayon_now_ns() + 5000 * MS, &rev);
    EXPECT(rc, false, "arayon_wait_fd");
    if (rc == ARAYON_OK && !(rev & POLLIN))
        FAIL("arayon_wait_fd: OK without POLLIN (%d)", rev);
    arayon_scope_t *s;
    rc = arayon_scope_begin(pool, &s);
    EXPECT(rc, false, "arayon_scope_begin in a suspendable task");
    if (rc == ARAYON_OK) {
        atomic_int n = 0;
        int ok = 0;
        for (int i = 0; i < 4; i++) {
            int r = arayon_scope_spawn(s, quick, &n, NULL);
            if (r == ARAYON_OK)
                ok++, atomic_fetch_add(&spawned_ok, 1);
            EXPECT(r, false, "arayon_scope_spawn in a suspendable task");
        }
        rc = arayon_scope_end(&s);
        EXPECT(rc, false, "arayon_scope_end in a suspendable task");
        if (rc == ARAYON_OK && atomic_load(&n) != ok)
            FAIL("scope in a suspendable task: %d of %d tasks ran", atomic_load(&n), ok);
    }
    atomic_store(&j->finished, 1);
    return 0;
}

static int part_async(void)
{
    count_spawns = true;
    static job jobs[NASYNC];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < NASYNC; i++) {
        job *j = &jobs[i];
        if (pipe(j->fd) != 0) {
            fprintf(stderr, "fault: pipe\n");
            return 1;
        }
        j->await = i ? &jobs[i - 1] : NULL;
        arayon_task_t *h = NULL;
        int rc = arayon_spawn_async(pool, async_body, j, &h);
        if (spawned(rc, h, false, "arayon_spawn_async"))
            j->h = h;
    }
    /* a migratable one, through arayon_spawn_ex */
    static job mj;
    memset(&mj, 0, sizeof mj);
    mj.fd[0] = mj.fd[1] = -1;
    if (pipe(mj.fd) == 0) {
        arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
        o.flags = ARAYON_TASK_SUSPENDABLE | ARAYON_TASK_MIGRATABLE;
        arayon_task_t *h = NULL;
        int rc = arayon_spawn_ex(pool, async_body, &mj, &o, &h);
        if (spawned(rc, h, false, "arayon_spawn_ex (suspendable, migratable)"))
            mj.h = h;
    }
    /* the pipes become readable once the tasks had time to suspend on them (their fd
     * registrations) */
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    for (int i = 0; i < NASYNC; i++)
        if (write(jobs[i].fd[1], "x", 1) != 1)
            FAIL("write to a pipe");
    if (mj.fd[1] >= 0 && write(mj.fd[1], "x", 1) != 1)
        FAIL("write to a pipe");
    /* awaiting needs the handles alive until every awaiter is done: wait in reverse */
    for (int i = NASYNC; i-- > 0;)
        if (jobs[i].h)
            check_outcome(&jobs[i], "suspendable task");
    if (mj.h)
        check_outcome(&mj, "migratable suspendable task");
    for (int i = 0; i < NASYNC; i++)
        close(jobs[i].fd[0]), close(jobs[i].fd[1]);
    if (mj.fd[0] >= 0)
        close(mj.fd[0]), close(mj.fd[1]);
    return atomic_load(&bad);
}

/* ---- blocking ---------------------------------------------------------------------------- */

static int blocking_body(void *arg)
{
    job *j = arg;
    atomic_store(&j->started, 1);
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
    atomic_int n = 0;
    arayon_task_t *h = NULL;
    int rc = arayon_spawn_handle(pool, quick, &n, &h);
    if (spawned(rc, h, false, "arayon_spawn_handle in a blocking task")) {
        if (arayon_task_wait(h) != ARAYON_OK || atomic_load(&n) != 1)
            FAIL("a plain task spawned by a blocking task did not run");
        arayon_task_release(h);
    }
    atomic_store(&j->finished, 1);
    return 0;
}

static int part_blocking(void)
{
    count_spawns = true;
    static job jobs[8];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 6; i++) {
        arayon_task_t *h = NULL;
        int rc = arayon_spawn_blocking(pool, blocking_body, &jobs[i], &h);
        if (spawned(rc, h, true, "arayon_spawn_blocking"))
            jobs[i].h = h;
    }
    arayon_scope_t *s;
    int rc = arayon_scope_begin(pool, &s);
    EXPECT(rc, false, "arayon_scope_begin");
    if (rc == ARAYON_OK) {
        for (int i = 6; i < 8; i++) {
            arayon_task_t *h = NULL;
            rc = arayon_scope_spawn_blocking(s, blocking_body, &jobs[i], &h);
            if (spawned(rc, h, true, "arayon_scope_spawn_blocking"))
                jobs[i].h = h;
        }
        EXPECT(arayon_scope_end(&s), false, "arayon_scope_end");
    }
    for (int i = 0; i < 8; i++)
        if (jobs[i].h)
            check_outcome(&jobs[i], "blocking task");
    return atomic_load(&bad);
}

/* ---- timers ------------------------------------------------------------------------------ */

static int timer_body(void *arg)
{
    job *j = arg;
    atomic_store(&j->started, 1);
    atomic_store(&j->finished, 1);
    return 0;
}

static int tick(void *arg)
{
    job *j = arg;
    atomic_store(&j->started, 1);
    if (atomic_fetch_add(&j->finished, 1) + 1 >= 3)
        return 1; /* stops the periodic task (outcome ARAYON_OK) */
    return 0;
}

static int part_timers(void)
{
    count_spawns = true;
    static job jobs[6];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 4; i++) {
        arayon_task_t *h = NULL;
        int rc = arayon_spawn_after(pool, (uint64_t)(i + 1) * 100 * US, timer_body, &jobs[i], &h);
        if (spawned(rc, h, true, "arayon_spawn_after"))
            jobs[i].h = h;
    }
    arayon_task_t *every = NULL, *far = NULL;
    int rc = arayon_spawn_every(pool, 200 * US, tick, &jobs[4], &every);
    spawned(rc, every, true, "arayon_spawn_every");
    rc = arayon_spawn_after(pool, 10000 * MS, timer_body, &jobs[5], &far);
    if (spawned(rc, far, true, "arayon_spawn_after (10 s)")) {
        arayon_task_cancel(far);
        rc = arayon_task_wait(far);
        if (rc != ARAYON_ECANCELED || atomic_load(&jobs[5].started))
            FAIL("a timer cancelled before its deadline: %s, ran %d", arayon_errname(rc),
                 atomic_load(&jobs[5].started));
        arayon_task_release(far);
    }
    for (int i = 0; i < 4; i++)
        if (jobs[i].h)
            check_outcome(&jobs[i], "delayed task");
    if (every) {
        rc = arayon_task_wait(every);
        int result = 0;
        arayon_task_result(every, &result);
        if (rc != ARAYON_OK || result != 1 || atomic_load(&jobs[4].finished) != 3)
            FAIL("periodic task: %s (result %d) after %d runs", arayon_errname(rc), result,
                 atomic_load(&jobs[4].finished));
        arayon_task_release(every);
    }
    return atomic_load(&bad);
}

/* ---- bulk ---------------------------------------------------------------------------------- */

#define NITEMS 64

static atomic_long range_sum;
static int range_fn(void *ctx, size_t lo, size_t hi)
{
    (void)ctx;
    long s = 0;
    for (size_t i = lo; i < hi; i++)
        s += (long)i;
    atomic_fetch_add(&range_sum, s);
    return 0;
}

static int item_fn(void *item, void *ctx)
{
    (void)ctx;
    atomic_fetch_add((atomic_int *)item, 1);
    return 0;
}

static int item_sleep_fn(void *item, void *ctx)
{
    (void)ctx;
    int rc = arayon_sleep(20 * US);
    if (rc != ARAYON_OK && rc != ARAYON_ENOMEM)
        FAIL("arayon_sleep in an async item: %s", arayon_errname(rc));
    atomic_fetch_add((atomic_int *)item, 1);
    return 0;
}

static int map_fn(const void *in, void *out, void *ctx)
{
    (void)ctx;
    *(long *)out = *(const long *)in * 2;
    return 0;
}

typedef struct stream_ctx {
    int next, delivered, ran;
    long order_ok;
} stream_ctx;

static bool stream_next(void *ctx, void *item)
{
    stream_ctx *c = ctx;
    if (c->next >= NITEMS)
        return false;
    *(int *)item = c->next++;
    return true;
}

static int stream_fn(void *item, void *ctx)
{
    (void)ctx;
    *(int *)item += 1000; /* the slot comes back with the result */
    return 0;
}

static void stream_done(void *item, int status, void *ctx)
{
    stream_ctx *c = ctx;
    int v = *(int *)item;
    if (status == ARAYON_OK) {
        if (v < 1000)
            FAIL("stream item delivered OK without having run (%d)", v);
        c->ran++;
        if (v - 1000 != c->delivered)
            c->order_ok = 0; /* ordered: source order */
    } else if (!allowed(status, false) && status != ARAYON_EFAILED) {
        FAIL("stream item status %s", arayon_errname(status));
    } else if (status == ARAYON_EFAILED && !fault_injected()) {
        FAIL("stream item EFAILED without an injected failure");
    }
    c->delivered++;
}

/* statuses[i] agrees with item i having run (n[i] == 1) or not (a spawn error, or an async
 * item without a stack: EFAILED). */
static void check_items(const atomic_int *n, const int *st, int count, bool async, int rc,
                        const char *what)
{
    EXPECT(rc == ARAYON_EFAILED && async ? ARAYON_ENOMEM : rc, false, what);
    for (int i = 0; i < count; i++) {
        int ran = atomic_load(&n[i]);
        bool ok = st[i] == ARAYON_OK ? ran == 1
                  : st[i] == ARAYON_ENOMEM ? ran == 0 && fault_injected()
                  : st[i] == ARAYON_EFAILED ? async && ran == 0 && fault_injected()
                                              : false;
        if (!ok) {
            FAIL("%s: item %d status %s, ran %d times", what, i, arayon_errname(st[i]), ran);
            return;
        }
    }
}

static int part_bulk(void)
{
    count_spawns = false; /* the helpers spawn by themselves */
    /* parallel_for: the range is covered exactly once unless nothing ran */
    atomic_store(&range_sum, 0);
    int rc = arayon_parallel_for(pool, 0, 10000, 100, range_fn, NULL);
    EXPECT(rc, false, "arayon_parallel_for");
    if (rc == ARAYON_OK && atomic_load(&range_sum) != 10000L * 9999 / 2)
        FAIL("arayon_parallel_for: sum %ld", atomic_load(&range_sum));

    static atomic_int n[NITEMS];
    static int st[NITEMS];
    memset(n, 0, sizeof n);
    for (int i = 0; i < NITEMS; i++)
        st[i] = -100;
    rc = arayon_batch_process(pool, n, NITEMS, sizeof n[0], 8, item_fn, NULL, st);
    if (rc != ARAYON_ENOMEM || st[0] != -100)
        check_items(n, st, NITEMS, false, rc, "arayon_batch_process");

    static long in[NITEMS], out[NITEMS];
    for (int i = 0; i < NITEMS; i++)
        in[i] = i, out[i] = -1, st[i] = -100;
    rc = arayon_par_map(pool, in, NITEMS, sizeof in[0], out, sizeof out[0], map_fn, NULL, st);
    EXPECT(rc, false, "arayon_par_map");
    for (int i = 0; i < NITEMS && (rc != ARAYON_ENOMEM || st[0] != -100); i++)
        if (st[i] == ARAYON_OK ? out[i] != 2 * i : !(st[i] == ARAYON_ENOMEM && out[i] == -1))
            FAIL("arayon_par_map: item %d status %s out %ld", i, arayon_errname(st[i]), out[i]);

    stream_ctx sc = {0, 0, 0, 1};
    rc = arayon_stream_process(pool, stream_next, sizeof(int), 8, stream_fn, stream_done, true,
                               &sc);
    EXPECT(rc, false, "arayon_stream_process");
    if (rc == ARAYON_OK && (sc.delivered != NITEMS || sc.ran != NITEMS || !sc.order_ok))
        FAIL("arayon_stream_process: %d delivered, %d ran, order %ld", sc.delivered, sc.ran,
             sc.order_ok);
    if (sc.delivered != sc.next)
        FAIL("arayon_stream_process: %d pulled, %d delivered", sc.next, sc.delivered);

    memset(n, 0, sizeof n);
    for (int i = 0; i < NITEMS; i++)
        st[i] = -100;
    rc = arayon_batch_process_async(pool, n, NITEMS, sizeof n[0], 16, item_sleep_fn, NULL, st);
    if (rc != ARAYON_ENOMEM || st[0] != -100)
        check_items(n, st, NITEMS, true, rc, "arayon_batch_process_async");

    stream_ctx sa = {0, 0, 0, 1};
    rc = arayon_stream_process_async(pool, stream_next, sizeof(int), 8, stream_fn, stream_done,
                                     false, &sa);
    if (rc != ARAYON_EFAILED)
        EXPECT(rc, false, "arayon_stream_process_async");
    if (sa.delivered != sa.next)
        FAIL("arayon_stream_process_async: %d pulled, %d delivered", sa.next, sa.delivered);

    /* join_handles */
    arayon_task_t *hs[8];
    atomic_int jn[8];
    int jst[8];
    size_t order[8];
    int nh = 0;
    for (int i = 0; i < 8; i++) {
        atomic_store(&jn[i], 0);
        arayon_task_t *h = NULL;
        rc = arayon_spawn_handle(pool, quick, &jn[i], &h);
        if (spawned(rc, h, false, "arayon_spawn_handle"))
            hs[nh++] = h;
    }
    rc = arayon_join_handles(hs, (size_t)nh, jst, order);
    EXPECT(rc, false, "arayon_join_handles");
    if (rc == ARAYON_OK)
        for (int i = 0; i < nh; i++)
            if (jst[i] != ARAYON_OK)
                FAIL("arayon_join_handles: status %s", arayon_errname(jst[i]));
    for (int i = 0; i < nh; i++) {
        arayon_task_wait(hs[i]);
        arayon_task_release(hs[i]);
    }
    return atomic_load(&bad);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(void);
    } parts[] = {{"async", part_async},
                 {"blocking", part_blocking},
                 {"timers", part_timers},
                 {"bulk", part_bulk}};
    if (argc < 2) {
        fprintf(stderr, "usage: %s async|blocking|timers|bulk [sweep options]\n", argv[0]);
        return 2;
    }
    setenv("ARAYON_METRICS", "json", 1); /* the report at destroy: the parent checks it too */
    for (unsigned i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!strcmp(argv[1], parts[i].name)) {
            char name[64];
            snprintf(name, sizeof name, "native-%s", parts[i].name);
            fault_workload w = {name, setup, parts[i].run, check};
            argv[1] = argv[0];
            return fault_main(argc - 1, argv + 1, &w);
        }
    }
    fprintf(stderr, "%s: unknown part %s\n", argv[0], argv[1]);
    return 2;
}
