/*
 * test_async.c - suspendable tasks (arayon_spawn_async, ARAYON_TASK_SUSPENDABLE /
 * ARAYON_TASK_MIGRATABLE): programs a user could write, checked through the public API only.
 *
 *   basic         spawn_async runs fn(arg) on a worker; handle outcome and return value;
 *                 detached; spawn_ex with the flag; spawned from a plain task
 *   sleep         a sleep takes at least what was asked; the worker runs other work
 *                 meanwhile (1 worker: 200 x 20 ms sleeps overlap; a plain task runs while
 *                 an async task sleeps); past deadlines return at once
 *   await         outcomes OK / EFAILED / ECANCELED / ETIMEDOUT of the awaited task, a
 *                 deadline that passes (the awaited task goes on), itself (EBUSY), NULL
 *   wait_fd       pipe (writer task, writer thread), POLLOUT, timeout, POLLHUP, two tasks on
 *                 one fd, a regular file (same answer as in a plain task), AF_UNIX
 *                 socketpair ping-pong and a real 127.0.0.1 TCP connection, all on 1 worker
 *   yield         tasks yielding on 1 worker all progress and interleave; a yielding task
 *                 lets a plain task run; a cancelled yielder gets ECANCELED
 *   cancel        handle, scope, task timeout, each waking a suspended sleep / await / fd
 *                 wait long before it would end
 *   shutdown      graceful shutdown waits for sleepers (and what they spawn); a shutdown
 *                 deadline wakes long sleepers with ECANCELED; spawns after: ESHUTDOWN; the
 *                 pool's first suspendable task starting only after shutdown began
 *   parked        100,000 tasks awaiting one gate task (metrics parked reaches them all),
 *                 20,000 sleeping until one common deadline
 *   max_pending   suspended tasks hold their admission credit (FULL_REJECT -> EAGAIN); a
 *                 suspendable task run inline by a full pool (RUN_INLINE, BLOCK in a worker)
 *   tied          errno and pthread_self() survive suspensions on a loaded 2-worker pool;
 *                 MIGRATABLE tasks run and finish, and leave other tasks' errno alone
 *   bad input     NULL pool / fn, unknown flags, MIGRATABLE alone, fiber_stack_size bounds
 *   metrics       async_spawned, suspended, resumed, parked, stacks_in_use, blocking_waits
 *   nested        a tree of suspendable tasks awaiting their children (depth 3); parents
 *                 using arayon_task_wait; a suspendable task owning a scope of plain (and
 *                 suspendable) children
 *   bulk          arayon_batch_process_async / arayon_stream_process_async (ordered and not),
 *                 from outside and from inside a suspendable task, and their EINVAL cases
 *
 * Every pool ends with a check that it is quiescent: pending == parked == stacks_in_use == 0,
 * resumed == suspended, spawned == completed + failed + cancelled + timed_out.
 *
 * Timing: only lower bounds (a sleep lasts at least what was asked) and generous upper bounds
 * that only a hang or a serialised worker would break.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "check.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* A bound that only a hang breaks. */
#define HANG_NS (30 * SEC)

#if TEST_ASAN || TEST_TSAN
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* ---------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------- */
static arayon_pool_t *make_pool_ex(unsigned n, size_t max_pending, arayon_full_policy_t pol)
{
    arayon_config_t c = arayon_config_default();
    c.num_threads = n;
    c.max_pending = max_pending;
    c.full_policy = pol;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&c, &p));
    CHECK(p != NULL);
    return p;
}

static arayon_pool_t *make_pool(unsigned n)
{
    return make_pool_ex(n, 0, ARAYON_FULL_BLOCK);
}

static arayon_metrics_t metrics(arayon_pool_t *p)
{
    arayon_metrics_t m;
    CHECK_OK(arayon_pool_metrics(p, &m));
    CHECK_LE(m.resumed, m.suspended); /* in every snapshot */
    return m;
}

/* Polls a metric until `expr` (over the snapshot m) holds; fails after HANG_NS. */
#define WAIT_METRIC(pool, m, expr)                                                          \
    do {                                                                                    \
        uint64_t wm_t0_ = test_now_ns();                                                    \
        for (;;) {                                                                          \
            m = metrics(pool);                                                              \
            if (expr)                                                                       \
                break;                                                                      \
            CHECK_MSG(test_now_ns() - wm_t0_ < HANG_NS,                                     \
                      "waited too long for %s (parked %llu, pending %llu, stacks %llu)",    \
                      #expr, (unsigned long long)m.parked, (unsigned long long)m.pending,   \
                      (unsigned long long)m.stacks_in_use);                                 \
            test_sleep_us(200);                                                             \
        }                                                                                   \
    } while (0)

/* After shutdown: nothing pending, parked or holding a stack; every suspension resumed; the
 * accounting invariant. */
static void check_quiescent(arayon_pool_t *p)
{
    arayon_metrics_t m = metrics(p);
    CHECK_EQ(m.pending, 0);
    CHECK_EQ(m.parked, 0);
    CHECK_EQ(m.stacks_in_use, 0);
    CHECK_EQ(m.resumed, m.suspended);
    CHECK_EQ(m.spawned, m.completed + m.failed + m.cancelled + m.timed_out);
    CHECK_LE(m.async_spawned, m.spawned);
}

static void finish_pool(arayon_pool_t **p)
{
    CHECK_OK(arayon_pool_shutdown(*p));
    check_quiescent(*p);
    arayon_pool_destroy(p);
    CHECK(*p == NULL);
}

static int wait_release(arayon_task_t *h)
{
    int rc = arayon_task_wait(h);
    arayon_task_release(h);
    return rc;
}

static int spawn_async_ex(arayon_pool_t *p, arayon_fn fn, void *arg, arayon_scope_t *s,
                          uint64_t timeout_ns, unsigned flags, arayon_task_t **out)
{
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.scope = s;
    o.timeout_ns = timeout_ns;
    o.flags = flags;
    return arayon_spawn_ex(p, fn, arg, &o, out);
}

static int ok_fn(void *arg)
{
    (void)arg;
    return 0;
}

static _Atomic int g_count;

static int count_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_count, 1);
    return 0;
}

/* A suspendable task that waits until a byte can be read from fd (no deadline) and leaves
 * it there: a gate that stays open once written. Returns what the wait returned. */
static int fd_gate_fn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    int rc = arayon_wait_fd(fd, POLLIN, ARAYON_NO_DEADLINE, NULL);
    return rc == ARAYON_OK ? 0 : 100 - rc;
}

static void write_byte(int fd)
{
    char c = 'g';
    CHECK_EQ(write(fd, &c, 1), 1);
}

/* ---------------------------------------------------------------------------------------
 * basic
 * ------------------------------------------------------------------------------------- */
typedef struct basic_arg {
    int ret;
    _Atomic int ran;
    _Atomic int in_worker;
    _Atomic int worker;
    _Atomic int cancelled;
} basic_arg;

static int basic_fn(void *arg)
{
    basic_arg *a = arg;
    atomic_fetch_add(&a->ran, 1);
    atomic_store(&a->in_worker, arayon_in_worker());
    atomic_store(&a->worker, arayon_worker_index());
    atomic_store(&a->cancelled, arayon_cancelled());
    return a->ret;
}

static arayon_pool_t *g_spawner_pool;

/* A plain task that spawns a suspendable one and awaits it. */
static int plain_spawner_fn(void *arg)
{
    basic_arg *a = arg;
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_async(g_spawner_pool, basic_fn, a, &h));
    CHECK(h != NULL);
    CHECK_RC(arayon_await(h, ARAYON_NO_DEADLINE), ARAYON_EFAILED);
    int r = 0;
    CHECK_OK(arayon_task_result(h, &r));
    CHECK_EQ(r, 9);
    arayon_task_release(h);
    return 0;
}

static void test_basic(void)
{
    test_phase("basic");
    arayon_pool_t *p = make_pool(2);
    arayon_metrics_t m0 = metrics(p);
    CHECK_EQ(m0.async_spawned, 0);

    /* success, result 0 */
    basic_arg a = {.ret = 0, .worker = -2};
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_async(p, basic_fn, &a, &h));
    CHECK(h != NULL);
    CHECK_OK(arayon_task_wait(h));
    CHECK_OK(arayon_task_poll(h));
    int r = -1;
    CHECK_OK(arayon_task_result(h, &r));
    CHECK_EQ(r, 0);
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&a.ran), 1);
    CHECK_EQ(atomic_load(&a.in_worker), 1);
    CHECK_GE(atomic_load(&a.worker), 0);
    CHECK_LT(atomic_load(&a.worker), 2);
    CHECK_EQ(atomic_load(&a.cancelled), 0);

    /* failure: EFAILED, the raw value through arayon_task_result */
    basic_arg b = {.ret = 42};
    CHECK_OK(arayon_spawn_async(p, basic_fn, &b, &h));
    CHECK_RC(arayon_task_wait(h), ARAYON_EFAILED);
    CHECK_OK(arayon_task_result(h, &r));
    CHECK_EQ(r, 42);
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&b.ran), 1);

    /* detached */
    atomic_store(&g_count, 0);
    CHECK_OK(arayon_spawn_async(p, count_fn, NULL, NULL));
    WAIT_UNTIL_GE(&g_count, 1);

    /* arayon_spawn_ex with the flag */
    basic_arg c = {.ret = 0};
    CHECK_OK(spawn_async_ex(p, basic_fn, &c, NULL, 0, ARAYON_TASK_SUSPENDABLE, &h));
    CHECK_OK(wait_release(h));
    CHECK_EQ(atomic_load(&c.ran), 1);

    /* from a plain task */
    g_spawner_pool = p;
    basic_arg d = {.ret = 9};
    CHECK_OK(arayon_spawn_handle(p, plain_spawner_fn, &d, &h));
    CHECK_OK(wait_release(h));
    CHECK_EQ(atomic_load(&d.ran), 1);

    arayon_metrics_t m1;
    WAIT_METRIC(p, m1, m1.async_spawned == 5 && m1.pending == 0);
    CHECK_EQ(m1.failed, m0.failed + 2); /* b (42) and d (9) */
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * sleep
 * ------------------------------------------------------------------------------------- */
typedef struct sleeper {
    uint64_t ns;
    _Atomic int started;
    _Atomic int rc;
    _Atomic int done;
    _Atomic int cancelled_after; /* arayon_cancelled() after the sleep */
    _Atomic int rc_again;        /* a second sleep after the first was interrupted */
    _Atomic uint64_t slept;
} sleeper;

static int sleeper_fn(void *arg)
{
    sleeper *s = arg;
    atomic_store(&s->started, 1);
    uint64_t t0 = arayon_now_ns();
    int rc = arayon_sleep(s->ns);
    atomic_store(&s->slept, arayon_now_ns() - t0);
    atomic_store(&s->rc, rc);
    atomic_store(&s->cancelled_after, arayon_cancelled());
    if (rc != ARAYON_OK)
        atomic_store(&s->rc_again, arayon_sleep(s->ns));
    atomic_store(&s->done, 1);
    return 0;
}

enum { OVERLAP_TASKS = 200 };
static sleeper g_sleepers[OVERLAP_TASKS];

static int past_deadline_fn(void *arg)
{
    (void)arg;
    uint64_t now = arayon_now_ns();
    CHECK_RC(arayon_sleep_until(now - 1), ARAYON_OK);
    CHECK_RC(arayon_sleep_until(0), ARAYON_OK);
    CHECK_RC(arayon_sleep(0), ARAYON_OK);
    CHECK_LT(arayon_now_ns() - now, HANG_NS);
    /* a short one, with its lower bound, via the absolute form */
    uint64_t t0 = arayon_now_ns();
    CHECK_RC(arayon_sleep_until(t0 + 2 * MS), ARAYON_OK);
    CHECK_GE(arayon_now_ns(), t0 + 2 * MS);
    return 0;
}

static void test_sleep(void)
{
    test_phase("sleep: 200 x 20 ms on one worker");
    arayon_pool_t *p = make_pool(1);
    arayon_metrics_t m0 = metrics(p);
    arayon_task_t *h[OVERLAP_TASKS];
    uint64_t t0 = arayon_now_ns();
    for (int i = 0; i < OVERLAP_TASKS; i++) {
        g_sleepers[i] = (sleeper){.ns = 20 * MS, .rc = -100};
        CHECK_OK(arayon_spawn_async(p, sleeper_fn, &g_sleepers[i], &h[i]));
    }
    for (int i = 0; i < OVERLAP_TASKS; i++)
        CHECK_OK(wait_release(h[i]));
    uint64_t total = arayon_now_ns() - t0;
    for (int i = 0; i < OVERLAP_TASKS; i++) {
        CHECK_EQ(atomic_load(&g_sleepers[i].rc), ARAYON_OK);
        CHECK_GE(atomic_load(&g_sleepers[i].slept), 20 * MS);
    }
    /* serialised, they would take 4 s; overlapped, about 20 ms */
    CHECK_MSG(total < 2 * SEC, "200 x 20 ms sleeps on one worker took %.0f ms", total / 1e6);
    arayon_metrics_t m1 = metrics(p);
    CHECK_EQ(m1.blocking_waits, m0.blocking_waits);
    CHECK_GE(m1.suspended - m0.suspended, OVERLAP_TASKS);

    test_phase("sleep: a plain task runs while the only worker's async task sleeps");
    sleeper s = {.ns = 60000 * MS, .rc = -100};
    arayon_task_t *sh;
    CHECK_OK(arayon_spawn_async(p, sleeper_fn, &s, &sh));
    arayon_metrics_t m;
    WAIT_METRIC(p, m, m.parked >= 1);
    CHECK_EQ(atomic_load(&s.started), 1);
    arayon_task_t *ph;
    CHECK_OK(arayon_spawn_handle(p, ok_fn, NULL, &ph));
    CHECK_RC(arayon_task_wait_timeout(ph, 10 * SEC), ARAYON_OK);
    arayon_task_release(ph);
    CHECK_EQ(atomic_load(&s.done), 0); /* still asleep */
    CHECK_OK(arayon_task_cancel(sh));
    CHECK_OK(wait_release(sh));
    CHECK_EQ(atomic_load(&s.rc), ARAYON_ECANCELED);

    test_phase("sleep: past deadlines return at once");
    CHECK_OK(arayon_spawn_async(p, past_deadline_fn, NULL, &sh));
    CHECK_OK(wait_release(sh));
    m1 = metrics(p);
    CHECK_EQ(m1.blocking_waits, m0.blocking_waits);
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * await
 * ------------------------------------------------------------------------------------- */
typedef struct awaiter {
    arayon_task_t *target;
    uint64_t timeout;     /* await_for duration; ARAYON_NO_DEADLINE: arayon_await */
    _Atomic int rc;
    _Atomic int target_poll; /* arayon_task_poll(target) right after the await */
    _Atomic uint64_t waited;
    _Atomic int done;
} awaiter;

static int awaiter_fn(void *arg)
{
    awaiter *a = arg;
    uint64_t t0 = arayon_now_ns();
    int rc = a->timeout == ARAYON_NO_DEADLINE ? arayon_await(a->target, ARAYON_NO_DEADLINE)
                                              : arayon_await_for(a->target, a->timeout);
    atomic_store(&a->waited, arayon_now_ns() - t0);
    atomic_store(&a->target_poll, arayon_task_poll(a->target));
    atomic_store(&a->rc, rc);
    atomic_store(&a->done, 1);
    return 0;
}

/* Spawns a suspendable awaiter of target and returns what its await returned. */
static int await_in_task(arayon_pool_t *p, awaiter *a, arayon_task_t *target, uint64_t timeout)
{
    a->target = target;
    a->timeout = timeout;
    atomic_store(&a->rc, -100);
    atomic_store(&a->done, 0);
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_async(p, awaiter_fn, a, &h));
    CHECK_OK(wait_release(h));
    CHECK_EQ(atomic_load(&a->done), 1);
    return atomic_load(&a->rc);
}

static int ret7_fn(void *arg)
{
    (void)arg;
    return 7;
}

static int async_sleep_ret3_fn(void *arg)
{
    (void)arg;
    CHECK_OK(arayon_sleep(20 * MS));
    return 3;
}

/* Awaits its own handle, published by the spawner after spawn_async returned. */
static _Atomic(arayon_task_t *) g_self;
static int await_self_fn(void *arg)
{
    (void)arg;
    uint64_t t0 = arayon_now_ns();
    while (!atomic_load(&g_self)) {
        CHECK_OK(arayon_sleep(100 * 1000));
        CHECK_LT(arayon_now_ns() - t0, HANG_NS);
    }
    arayon_task_t *me = atomic_load(&g_self);
    CHECK_RC(arayon_await(me, ARAYON_NO_DEADLINE), ARAYON_EBUSY);
    CHECK_RC(arayon_await_for(me, 1 * MS), ARAYON_EBUSY);
    CHECK_RC(arayon_await(NULL, ARAYON_NO_DEADLINE), ARAYON_EINVAL);
    CHECK_RC(arayon_await_for(NULL, 1 * MS), ARAYON_EINVAL);
    return 0;
}

static void test_await(void)
{
    test_phase("await: outcomes");
    arayon_pool_t *p = make_pool(2);
    awaiter a;
    arayon_task_t *t;

    CHECK_OK(arayon_spawn_handle(p, ok_fn, NULL, &t));
    CHECK_RC(await_in_task(p, &a, t, ARAYON_NO_DEADLINE), ARAYON_OK);
    CHECK_RC(await_in_task(p, &a, t, 0), ARAYON_OK); /* finished: its outcome at once */
    arayon_task_release(t);

    CHECK_OK(arayon_spawn_handle(p, ret7_fn, NULL, &t));
    CHECK_RC(await_in_task(p, &a, t, ARAYON_NO_DEADLINE), ARAYON_EFAILED);
    arayon_task_release(t);

    /* a suspendable target that sleeps, then returns 3 */
    CHECK_OK(arayon_spawn_async(p, async_sleep_ret3_fn, NULL, &t));
    CHECK_RC(await_in_task(p, &a, t, 10 * SEC), ARAYON_EFAILED);
    int r = 0;
    CHECK_OK(arayon_task_result(t, &r));
    CHECK_EQ(r, 3);
    arayon_task_release(t);

    /* a target that never ran: spawned into a cancelled scope */
    arayon_scope_t *s;
    CHECK_OK(arayon_scope_begin(p, &s));
    CHECK_OK(arayon_scope_cancel(s));
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.scope = s;
    atomic_store(&g_count, 0);
    CHECK_OK(arayon_spawn_ex(p, count_fn, NULL, &o, &t));
    CHECK_RC(await_in_task(p, &a, t, ARAYON_NO_DEADLINE), ARAYON_ECANCELED);
    arayon_task_release(t);
    CHECK_RC(arayon_scope_end(&s), ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&g_count), 0);

    /* a target whose own deadline passed before it started: outcome ETIMEDOUT */
    CHECK_OK(spawn_async_ex(p, count_fn, NULL, NULL, 1, ARAYON_TASK_SUSPENDABLE, &t));
    test_sleep_us(2000);
    int out = await_in_task(p, &a, t, ARAYON_NO_DEADLINE);
    CHECK(out == ARAYON_ETIMEDOUT || out == ARAYON_OK); /* OK only if it started within 1 ns */
    CHECK_RC(arayon_task_wait(t), out);
    arayon_task_release(t);

    test_phase("await: a deadline that passes; the awaited task goes on");
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    arayon_task_t *gate;
    CHECK_OK(arayon_spawn_async(p, fd_gate_fn, (void *)(intptr_t)pfd[0], &gate));
    CHECK_RC(await_in_task(p, &a, gate, 5 * MS), ARAYON_ETIMEDOUT);
    CHECK_GE(atomic_load(&a.waited), 5 * MS);
    CHECK_RC(atomic_load(&a.target_poll), ARAYON_ETIMEDOUT); /* not finished */
    CHECK_RC(arayon_task_poll(gate), ARAYON_ETIMEDOUT);
    /* an awaiter with no deadline, released by the gate opening */
    awaiter b = {.target = gate, .timeout = ARAYON_NO_DEADLINE, .rc = -100};
    arayon_task_t *bh;
    CHECK_OK(arayon_spawn_async(p, awaiter_fn, &b, &bh));
    arayon_metrics_t m;
    WAIT_METRIC(p, m, m.parked >= 2);
    test_sleep_us(2000);
    CHECK_EQ(atomic_load(&b.done), 0);
    write_byte(pfd[1]);
    CHECK_OK(wait_release(bh));
    CHECK_RC(atomic_load(&b.rc), ARAYON_OK);
    CHECK_OK(atomic_load(&b.target_poll));
    CHECK_OK(wait_release(gate));
    close(pfd[0]);
    close(pfd[1]);

    test_phase("await: itself (EBUSY) and NULL (EINVAL)");
    atomic_store(&g_self, NULL);
    arayon_task_t *self;
    CHECK_OK(arayon_spawn_async(p, await_self_fn, NULL, &self));
    atomic_store(&g_self, self);
    CHECK_OK(wait_release(self));
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * wait_fd
 * ------------------------------------------------------------------------------------- */
typedef struct fd_waiter {
    int fd;
    int events;
    uint64_t timeout; /* duration; ARAYON_NO_DEADLINE: none */
    int do_read;      /* read one byte after a successful wait */
    _Atomic int started;
    _Atomic int rc;
    _Atomic int revents;
    _Atomic int got;  /* the byte read, or -1 */
    _Atomic uint64_t waited;
    _Atomic int done;
} fd_waiter;

static void fd_waiter_init(fd_waiter *f, int fd, int events, uint64_t timeout, int do_read)
{
    memset(f, 0, sizeof *f);
    f->fd = fd;
    f->events = events;
    f->timeout = timeout;
    f->do_read = do_read;
    atomic_store(&f->rc, -100);
    atomic_store(&f->revents, -1);
    atomic_store(&f->got, -1);
}

static int fd_waiter_fn(void *arg)
{
    fd_waiter *f = arg;
    atomic_store(&f->started, 1);
    int rev = -1;
    uint64_t t0 = arayon_now_ns();
    int rc = f->timeout == ARAYON_NO_DEADLINE
                 ? arayon_wait_fd(f->fd, f->events, ARAYON_NO_DEADLINE, &rev)
                 : arayon_wait_fd_for(f->fd, f->events, f->timeout, &rev);
    atomic_store(&f->waited, arayon_now_ns() - t0);
    atomic_store(&f->revents, rev);
    if (rc == ARAYON_OK && f->do_read) {
        unsigned char c;
        if (read(f->fd, &c, 1) == 1)
            atomic_store(&f->got, c);
    }
    atomic_store(&f->rc, rc);
    atomic_store(&f->done, 1);
    return 0;
}

typedef struct delayed_write {
    int fd;
    uint64_t delay;
    char byte;
} delayed_write;

/* A suspendable writer: sleeps, then writes one byte. */
static int delayed_write_fn(void *arg)
{
    delayed_write *d = arg;
    CHECK_OK(arayon_sleep(d->delay));
    CHECK_EQ(write(d->fd, &d->byte, 1), 1);
    return 0;
}

static void *delayed_write_thread(void *arg)
{
    delayed_write *d = arg;
    test_sleep_us((unsigned)(d->delay / 1000));
    CHECK_EQ(write(d->fd, &d->byte, 1), 1);
    return NULL;
}

static int run_fd_waiter(arayon_pool_t *p, fd_waiter *f, bool async)
{
    arayon_task_t *h;
    if (async)
        CHECK_OK(arayon_spawn_async(p, fd_waiter_fn, f, &h));
    else
        CHECK_OK(arayon_spawn_handle(p, fd_waiter_fn, f, &h));
    CHECK_OK(wait_release(h));
    CHECK_EQ(atomic_load(&f->done), 1);
    return atomic_load(&f->rc);
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    CHECK_GE(fl, 0);
    CHECK_EQ(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* Reads exactly n bytes from a non-blocking fd, suspending while there is nothing. */
static void read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, (char *)buf + got, n - got);
        if (k > 0) {
            got += (size_t)k;
            continue;
        }
        CHECK_MSG(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "read: %zd, %s", k,
                  k < 0 ? strerror(errno) : "EOF");
        int rev = 0;
        CHECK_RC(arayon_wait_fd_for(fd, POLLIN, 10 * SEC, &rev), ARAYON_OK);
        CHECK(rev & (POLLIN | POLLHUP));
    }
}

static void write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t k = write(fd, (const char *)buf + put, n - put);
        if (k > 0) {
            put += (size_t)k;
            continue;
        }
        CHECK_MSG(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "write: %s",
                  strerror(errno));
        CHECK_RC(arayon_wait_fd_for(fd, POLLOUT, 10 * SEC, NULL), ARAYON_OK);
    }
}

enum { PING_ROUNDS = 100 };

/* Ping-pong over a connected stream socket: the pinger sends i and expects i + 1000 back. */
static int pinger_fn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    for (uint32_t i = 0; i < PING_ROUNDS; i++) {
        write_full(fd, &i, sizeof i);
        uint32_t back = 0;
        read_full(fd, &back, sizeof back);
        CHECK_EQ(back, i + 1000);
    }
    return 0;
}

static int ponger_fn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    for (uint32_t i = 0; i < PING_ROUNDS; i++) {
        uint32_t v = 0;
        read_full(fd, &v, sizeof v);
        CHECK_EQ(v, i);
        v += 1000;
        write_full(fd, &v, sizeof v);
    }
    return 0;
}

/* TCP on 127.0.0.1: a suspendable server accepts and runs the ponger; a suspendable client
 * connects (non-blocking connect: POLLOUT) and runs the pinger. */
static int tcp_server_fn(void *arg)
{
    int ls = (int)(intptr_t)arg;
    int rev = 0;
    CHECK_RC(arayon_wait_fd_for(ls, POLLIN, 10 * SEC, &rev), ARAYON_OK);
    CHECK(rev & POLLIN);
    int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    CHECK_MSG(c >= 0, "accept4: %s", strerror(errno));
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ponger_fn((void *)(intptr_t)c);
    close(c);
    return 0;
}

static _Atomic int g_tcp_port;
static int tcp_client_fn(void *arg)
{
    (void)arg;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK_MSG(s >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atomic_load(&g_tcp_port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(s, (struct sockaddr *)&sa, sizeof sa);
    if (rc != 0) {
        CHECK_MSG(errno == EINPROGRESS, "connect: %s", strerror(errno));
        int rev = 0;
        CHECK_RC(arayon_wait_fd_for(s, POLLOUT, 10 * SEC, &rev), ARAYON_OK);
        CHECK(rev & POLLOUT);
        int err = -1;
        socklen_t len = sizeof err;
        CHECK_EQ(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len), 0);
        CHECK_MSG(err == 0, "connect (async): %s", strerror(err));
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pinger_fn((void *)(intptr_t)s);
    close(s);
    return 0;
}

static int bad_fd_args_fn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    CHECK_RC(arayon_wait_fd(-1, POLLIN, ARAYON_NO_DEADLINE, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_wait_fd_for(-1, POLLIN, MS, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_wait_fd(fd, 0, ARAYON_NO_DEADLINE, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_wait_fd_for(fd, 0, MS, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_wait_fd(fd, 0x10000 | POLLIN, ARAYON_NO_DEADLINE, NULL), ARAYON_EINVAL);
    return 0;
}

static void test_wait_fd(void)
{
    /* one worker: nothing here can progress unless the waits give the worker back */
    arayon_pool_t *p = make_pool(1);
    arayon_metrics_t m0 = metrics(p);
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    fd_waiter f;

    test_phase("wait_fd: pipe, a suspendable writer task");
    fd_waiter_init(&f, pfd[0], POLLIN, 60000 * MS, 1);
    delayed_write dw = {.fd = pfd[1], .delay = 3 * MS, .byte = 'a'};
    arayon_task_t *rh, *wh;
    CHECK_OK(arayon_spawn_async(p, fd_waiter_fn, &f, &rh));
    CHECK_OK(arayon_spawn_async(p, delayed_write_fn, &dw, &wh));
    CHECK_OK(wait_release(wh));
    CHECK_OK(wait_release(rh));
    CHECK_RC(atomic_load(&f.rc), ARAYON_OK);
    CHECK(atomic_load(&f.revents) & POLLIN);
    CHECK_EQ(atomic_load(&f.got), 'a');

    test_phase("wait_fd: pipe, a writer thread");
    fd_waiter_init(&f, pfd[0], POLLIN, ARAYON_NO_DEADLINE, 1);
    dw = (delayed_write){.fd = pfd[1], .delay = 3 * MS, .byte = 'b'};
    CHECK_OK(arayon_spawn_async(p, fd_waiter_fn, &f, &rh));
    arayon_metrics_t m;
    WAIT_METRIC(p, m, m.parked >= 1);
    pthread_t thr;
    CHECK_EQ(pthread_create(&thr, NULL, delayed_write_thread, &dw), 0);
    CHECK_OK(wait_release(rh));
    pthread_join(thr, NULL);
    CHECK_RC(atomic_load(&f.rc), ARAYON_OK);
    CHECK(atomic_load(&f.revents) & POLLIN);
    CHECK_EQ(atomic_load(&f.got), 'b');

    test_phase("wait_fd: POLLOUT on a writable end is ready at once");
    fd_waiter_init(&f, pfd[1], POLLOUT, 60000 * MS, 0);
    CHECK_RC(run_fd_waiter(p, &f, true), ARAYON_OK);
    CHECK(atomic_load(&f.revents) & POLLOUT);
    CHECK_LT(atomic_load(&f.waited), HANG_NS);

    test_phase("wait_fd: timeout with nothing written");
    fd_waiter_init(&f, pfd[0], POLLIN, 5 * MS, 0);
    CHECK_RC(run_fd_waiter(p, &f, true), ARAYON_ETIMEDOUT);
    CHECK_GE(atomic_load(&f.waited), 5 * MS);
    CHECK_EQ(atomic_load(&f.revents), 0);

    test_phase("wait_fd: two tasks waiting on the same fd");
    fd_waiter f2;
    fd_waiter_init(&f, pfd[0], POLLIN, 60000 * MS, 0);
    fd_waiter_init(&f2, pfd[0], POLLIN, 60000 * MS, 0);
    arayon_task_t *h2;
    CHECK_OK(arayon_spawn_async(p, fd_waiter_fn, &f, &rh));
    CHECK_OK(arayon_spawn_async(p, fd_waiter_fn, &f2, &h2));
    WAIT_METRIC(p, m, m.parked >= 2);
    write_byte(pfd[1]); /* both see it readable (nobody reads it) */
    CHECK_OK(wait_release(rh));
    CHECK_OK(wait_release(h2));
    CHECK_RC(atomic_load(&f.rc), ARAYON_OK);
    CHECK_RC(atomic_load(&f2.rc), ARAYON_OK);
    CHECK(atomic_load(&f.revents) & POLLIN);
    CHECK(atomic_load(&f2.revents) & POLLIN);
    char c;
    CHECK_EQ(read(pfd[0], &c, 1), 1);

    test_phase("wait_fd: the same fd again after a wait on it");
    fd_waiter_init(&f, pfd[0], POLLIN, 5 * MS, 0);
    CHECK_RC(run_fd_waiter(p, &f, true), ARAYON_ETIMEDOUT);
    fd_waiter_init(&f, pfd[0], POLLIN, 60000 * MS, 1);
    dw = (delayed_write){.fd = pfd[1], .delay = 2 * MS, .byte = 'c'};
    CHECK_OK(arayon_spawn_async(p, fd_waiter_fn, &f, &rh));
    CHECK_OK(arayon_spawn_async(p, delayed_write_fn, &dw, &wh));
    CHECK_OK(wait_release(wh));
    CHECK_OK(wait_release(rh));
    CHECK_RC(atomic_load(&f.rc), ARAYON_OK);
    CHECK_EQ(atomic_load(&f.got), 'c');

    test_phase("wait_fd: bad input");
    arayon_task_t *bh;
    CHECK_OK(arayon_spawn_async(p, bad_fd_args_fn, (void *)(intptr_t)pfd[0], &bh));
    CHECK_OK(wait_release(bh));

    test_phase("wait_fd: POLLHUP when the write end is closed");
    close(pfd[1]);
    fd_waiter_init(&f, pfd[0], POLLIN, 60000 * MS, 0);
    CHECK_RC(run_fd_waiter(p, &f, true), ARAYON_OK);
    CHECK(atomic_load(&f.revents) & POLLHUP);
    close(pfd[0]);

    test_phase("wait_fd: a regular file gives what it gives in a plain task");
    {
        FILE *tf = tmpfile();
        CHECK(tf != NULL);
        int fd = fileno(tf);
        fd_waiter_init(&f, fd, POLLIN, 10 * SEC, 0);
        int plain_rc = run_fd_waiter(p, &f, false);
        int plain_rev = atomic_load(&f.revents);
        CHECK_RC(plain_rc, ARAYON_OK); /* poll(2): regular files are always ready */
        CHECK(plain_rev & POLLIN);
        fd_waiter_init(&f, fd, POLLIN, 10 * SEC, 0);
        CHECK_RC(run_fd_waiter(p, &f, true), plain_rc);
        CHECK_EQ(atomic_load(&f.revents), plain_rev);
        fclose(tf);
    }

    test_phase("wait_fd: socketpair(AF_UNIX) ping-pong between two suspendable tasks");
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    set_nonblock(sv[0]);
    set_nonblock(sv[1]);
    CHECK_OK(arayon_spawn_async(p, ponger_fn, (void *)(intptr_t)sv[1], &h2));
    CHECK_OK(arayon_spawn_async(p, pinger_fn, (void *)(intptr_t)sv[0], &rh));
    CHECK_OK(wait_release(rh));
    CHECK_OK(wait_release(h2));
    close(sv[0]);
    close(sv[1]);

    test_phase("wait_fd: TCP on 127.0.0.1");
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 4) != 0) {
        fprintf(stderr, "   (no 127.0.0.1 socket here: %s; TCP part skipped)\n", strerror(errno));
    } else {
        socklen_t len = sizeof sa;
        CHECK_EQ(getsockname(ls, (struct sockaddr *)&sa, &len), 0);
        atomic_store(&g_tcp_port, ntohs(sa.sin_port));
        CHECK_OK(arayon_spawn_async(p, tcp_server_fn, (void *)(intptr_t)ls, &h2));
        CHECK_OK(arayon_spawn_async(p, tcp_client_fn, NULL, &rh));
        CHECK_OK(wait_release(rh));
        CHECK_OK(wait_release(h2));
    }
    if (ls >= 0)
        close(ls);

    /* every wait above was in a suspendable task except the one plain regular-file wait
     * (ready at once: a plain task may or may not count it) */
    arayon_metrics_t m1 = metrics(p);
    CHECK_LE(m1.blocking_waits, m0.blocking_waits + 1);
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * yield
 * ------------------------------------------------------------------------------------- */
enum { YIELDERS = 8, YIELD_ITERS = 50 };
static _Atomic int g_y_started;
static _Atomic int g_y_n;
static int g_y_log[YIELDERS * YIELD_ITERS];

static int yielder_fn(void *arg)
{
    int id = (int)(intptr_t)arg;
    atomic_fetch_add(&g_y_started, 1);
    uint64_t t0 = arayon_now_ns();
    /* every task must get to start while the others yield */
    while (atomic_load(&g_y_started) < YIELDERS) {
        CHECK_RC(arayon_yield(), ARAYON_OK);
        CHECK_MSG(arayon_now_ns() - t0 < HANG_NS, "yielders never all started (%d)",
                  atomic_load(&g_y_started));
    }
    for (int i = 0; i < YIELD_ITERS; i++) {
        int k = atomic_fetch_add(&g_y_n, 1);
        g_y_log[k] = id;
        CHECK_RC(arayon_yield(), ARAYON_OK);
    }
    return 0;
}

static _Atomic int g_flag;
static _Atomic int g_spinner_started;

static int flag_setter_fn(void *arg)
{
    (void)arg;
    atomic_store(&g_flag, 1);
    return 0;
}

/* Yields until a plain task spawned after it sets the flag. */
static int spinner_fn(void *arg)
{
    (void)arg;
    atomic_store(&g_spinner_started, 1);
    uint64_t t0 = arayon_now_ns();
    while (!atomic_load(&g_flag)) {
        CHECK_RC(arayon_yield(), ARAYON_OK);
        CHECK_MSG(arayon_now_ns() - t0 < HANG_NS, "a yielding task never let the plain one run");
    }
    return 0;
}

static _Atomic int g_yield_rc;
static int yield_until_cancelled_fn(void *arg)
{
    (void)arg;
    atomic_store(&g_spinner_started, 1);
    uint64_t t0 = arayon_now_ns();
    int rc;
    while ((rc = arayon_yield()) == ARAYON_OK)
        CHECK_MSG(arayon_now_ns() - t0 < HANG_NS, "yield never reported the cancellation");
    atomic_store(&g_yield_rc, rc);
    return 0;
}

static void test_yield(void)
{
    test_phase("yield: 8 tasks on one worker interleave");
    arayon_pool_t *p = make_pool(1);
    atomic_store(&g_y_started, 0);
    atomic_store(&g_y_n, 0);
    arayon_task_t *h[YIELDERS];
    for (int i = 0; i < YIELDERS; i++)
        CHECK_OK(arayon_spawn_async(p, yielder_fn, (void *)(intptr_t)i, &h[i]));
    for (int i = 0; i < YIELDERS; i++)
        CHECK_OK(wait_release(h[i]));
    CHECK_EQ(atomic_load(&g_y_n), YIELDERS * YIELD_ITERS);
    int per[YIELDERS] = {0}, switches = 0;
    for (int k = 0; k < YIELDERS * YIELD_ITERS; k++) {
        CHECK_GE(g_y_log[k], 0);
        CHECK_LT(g_y_log[k], YIELDERS);
        per[g_y_log[k]]++;
        if (k > 0 && g_y_log[k] != g_y_log[k - 1])
            switches++;
    }
    for (int i = 0; i < YIELDERS; i++)
        CHECK_EQ(per[i], YIELD_ITERS);
    /* run to completion one after the other would switch YIELDERS - 1 times; a round robin
     * through the resume queue switches at almost every entry */
    CHECK_MSG(switches >= YIELDERS * YIELD_ITERS / 2, "only %d switches in %d entries", switches,
              YIELDERS * YIELD_ITERS);

    test_phase("yield: a yielding task lets a plain task run on its worker");
    atomic_store(&g_flag, 0);
    atomic_store(&g_spinner_started, 0);
    arayon_task_t *sh, *ph;
    CHECK_OK(arayon_spawn_async(p, spinner_fn, NULL, &sh));
    WAIT_UNTIL_GE(&g_spinner_started, 1);
    CHECK_OK(arayon_spawn_handle(p, flag_setter_fn, NULL, &ph));
    CHECK_OK(wait_release(sh));
    CHECK_OK(wait_release(ph));

    test_phase("yield: cancelled");
    atomic_store(&g_spinner_started, 0);
    atomic_store(&g_yield_rc, -100);
    CHECK_OK(arayon_spawn_async(p, yield_until_cancelled_fn, NULL, &sh));
    WAIT_UNTIL_GE(&g_spinner_started, 1);
    CHECK_OK(arayon_task_cancel(sh));
    CHECK_OK(wait_release(sh));
    CHECK_RC(atomic_load(&g_yield_rc), ARAYON_ECANCELED);
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * cancellation and task timeouts reaching a suspended task
 * ------------------------------------------------------------------------------------- */
enum { SCOPE_SLEEPERS = 10 };

static void test_cancel(void)
{
    arayon_pool_t *p = make_pool(2);
    arayon_metrics_t m;

    test_phase("cancel: a sleeping task via its handle");
    sleeper s = {.ns = 60000 * MS, .rc = -100};
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_async(p, sleeper_fn, &s, &h));
    WAIT_METRIC(p, m, m.parked >= 1);
    uint64_t t0 = arayon_now_ns();
    CHECK_OK(arayon_task_cancel(h));
    CHECK_OK(arayon_task_wait(h)); /* it started, then returned 0: OK */
    uint64_t took = arayon_now_ns() - t0;
    arayon_task_release(h);
    CHECK_RC(atomic_load(&s.rc), ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&s.cancelled_after), 1);
    CHECK_RC(atomic_load(&s.rc_again), ARAYON_ECANCELED); /* and every later wait */
    CHECK_MSG(took < 10 * SEC, "cancel took %.0f ms to wake a sleeper", took / 1e6);
    CHECK_LT(atomic_load(&s.slept), 10 * SEC);

    test_phase("cancel: a task awaiting another");
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    arayon_task_t *gate;
    CHECK_OK(arayon_spawn_async(p, fd_gate_fn, (void *)(intptr_t)pfd[0], &gate));
    awaiter a = {.target = gate, .timeout = ARAYON_NO_DEADLINE, .rc = -100};
    CHECK_OK(arayon_spawn_async(p, awaiter_fn, &a, &h));
    WAIT_METRIC(p, m, m.parked >= 2);
    CHECK_OK(arayon_task_cancel(h));
    CHECK_OK(wait_release(h));
    CHECK_RC(atomic_load(&a.rc), ARAYON_ECANCELED);
    CHECK_RC(atomic_load(&a.target_poll), ARAYON_ETIMEDOUT); /* the gate goes on */

    test_phase("cancel: a task waiting for an fd");
    fd_waiter f;
    fd_waiter_init(&f, pfd[0], POLLIN, ARAYON_NO_DEADLINE, 0);
    CHECK_OK(arayon_spawn_async(p, fd_waiter_fn, &f, &h));
    WAIT_METRIC(p, m, m.parked >= 2);
    CHECK_OK(arayon_task_cancel(h));
    CHECK_OK(wait_release(h));
    CHECK_RC(atomic_load(&f.rc), ARAYON_ECANCELED);
    write_byte(pfd[1]);
    CHECK_OK(wait_release(gate));
    close(pfd[0]);
    close(pfd[1]);

    test_phase("cancel: a scope of sleeping tasks");
    arayon_scope_t *sc;
    CHECK_OK(arayon_scope_begin(p, &sc));
    static sleeper ss[SCOPE_SLEEPERS];
    for (int i = 0; i < SCOPE_SLEEPERS; i++) {
        ss[i] = (sleeper){.ns = 60000 * MS, .rc = -100};
        CHECK_OK(spawn_async_ex(p, sleeper_fn, &ss[i], sc, 0, ARAYON_TASK_SUSPENDABLE, NULL));
    }
    WAIT_METRIC(p, m, m.parked >= SCOPE_SLEEPERS);
    t0 = arayon_now_ns();
    CHECK_OK(arayon_scope_cancel(sc));
    int end_rc = arayon_scope_end(&sc);
    took = arayon_now_ns() - t0;
    CHECK(sc == NULL);
    /* every task started and returned 0: OK (ECANCELED accepted as the scope's verdict) */
    CHECK(end_rc == ARAYON_OK || end_rc == ARAYON_ECANCELED);
    CHECK_MSG(took < 10 * SEC, "scope cancel took %.0f ms", took / 1e6);
    for (int i = 0; i < SCOPE_SLEEPERS; i++) {
        CHECK_EQ(atomic_load(&ss[i].done), 1);
        CHECK_RC(atomic_load(&ss[i].rc), ARAYON_ECANCELED);
    }

    test_phase("cancel: task timeout while asleep");
    s = (sleeper){.ns = 60000 * MS, .rc = -100};
    t0 = arayon_now_ns();
    CHECK_OK(spawn_async_ex(p, sleeper_fn, &s, NULL, 30 * MS, ARAYON_TASK_SUSPENDABLE, &h));
    int out = arayon_task_wait(h);
    took = arayon_now_ns() - t0;
    arayon_task_release(h);
    CHECK_RC(out, ARAYON_ETIMEDOUT);
    if (atomic_load(&s.started)) {
        CHECK_RC(atomic_load(&s.rc), ARAYON_ETIMEDOUT);
        CHECK_EQ(atomic_load(&s.cancelled_after), 1);
    }
    CHECK_GE(took, 30 * MS);
    CHECK_MSG(took < 10 * SEC, "a 30 ms task timeout ended a sleep after %.0f ms", took / 1e6);

    test_phase("cancel: task timeout while awaiting and while waiting for an fd");
    CHECK_EQ(pipe(pfd), 0);
    CHECK_OK(arayon_spawn_async(p, fd_gate_fn, (void *)(intptr_t)pfd[0], &gate));
    a = (awaiter){.target = gate, .timeout = ARAYON_NO_DEADLINE, .rc = -100};
    CHECK_OK(spawn_async_ex(p, awaiter_fn, &a, NULL, 20 * MS, ARAYON_TASK_SUSPENDABLE, &h));
    CHECK_RC(wait_release(h), ARAYON_ETIMEDOUT);
    if (atomic_load(&a.done))
        CHECK_RC(atomic_load(&a.rc), ARAYON_ETIMEDOUT);
    fd_waiter_init(&f, pfd[0], POLLIN, ARAYON_NO_DEADLINE, 0);
    CHECK_OK(spawn_async_ex(p, fd_waiter_fn, &f, NULL, 20 * MS, ARAYON_TASK_SUSPENDABLE, &h));
    CHECK_RC(wait_release(h), ARAYON_ETIMEDOUT);
    if (atomic_load(&f.started))
        CHECK_RC(atomic_load(&f.rc), ARAYON_ETIMEDOUT);
    write_byte(pfd[1]);
    CHECK_OK(wait_release(gate));
    close(pfd[0]);
    close(pfd[1]);

    test_phase("cancel: a suspendable task in a cancelled scope never runs");
    CHECK_OK(arayon_scope_begin(p, &sc));
    CHECK_OK(arayon_scope_cancel(sc));
    atomic_store(&g_count, 0);
    CHECK_OK(spawn_async_ex(p, count_fn, NULL, sc, 0, ARAYON_TASK_SUSPENDABLE, &h));
    CHECK_RC(wait_release(h), ARAYON_ECANCELED);
    CHECK_RC(arayon_scope_end(&sc), ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&g_count), 0);

    m = metrics(p);
    CHECK_EQ(m.blocking_waits, 0);
    finish_pool(&p);

    test_phase("cancel: the pool's task_timeout_ns applies to suspendable tasks");
    arayon_config_t c = arayon_config_default();
    c.num_threads = 1;
    c.task_timeout_ns = 20 * MS;
    CHECK_OK(arayon_pool_create(&c, &p));
    s = (sleeper){.ns = 60000 * MS, .rc = -100};
    CHECK_OK(arayon_spawn_async(p, sleeper_fn, &s, &h));
    CHECK_RC(wait_release(h), ARAYON_ETIMEDOUT);
    if (atomic_load(&s.started))
        CHECK_RC(atomic_load(&s.rc), ARAYON_ETIMEDOUT);
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * shutdown
 * ------------------------------------------------------------------------------------- */
enum { SHUT_SLEEPERS = 50, SHUT_LONG = 20 };
static arayon_pool_t *g_shut_pool;
static _Atomic int g_shut_done, g_shut_child_done, g_shut_bad;

static int shut_child_fn(void *arg)
{
    (void)arg;
    if (arayon_sleep(10 * MS) != ARAYON_OK)
        atomic_fetch_add(&g_shut_bad, 1);
    atomic_fetch_add(&g_shut_child_done, 1);
    return 0;
}

/* Sleeps 50 ms, then spawns a suspendable child (allowed while the pool shuts down). */
static int shut_sleeper_fn(void *arg)
{
    (void)arg;
    if (arayon_sleep(50 * MS) != ARAYON_OK)
        atomic_fetch_add(&g_shut_bad, 1);
    if (arayon_spawn_async(g_shut_pool, shut_child_fn, NULL, NULL) != ARAYON_OK)
        atomic_fetch_add(&g_shut_bad, 1);
    atomic_fetch_add(&g_shut_done, 1);
    return 0;
}

/* Holds the only worker until released. */
static _Atomic int g_hold_release;
static int hold_fn(void *arg)
{
    (void)arg;
    uint64_t t0 = arayon_now_ns();
    while (!atomic_load(&g_hold_release)) {
        test_sleep_us(100);
        CHECK_LT(arayon_now_ns() - t0, HANG_NS);
    }
    return 0;
}

typedef struct shut_arg {
    arayon_pool_t *p;
    _Atomic int done;
    _Atomic int rc;
} shut_arg;

static void *shut_thread(void *arg)
{
    shut_arg *s = arg;
    atomic_store(&s->rc, arayon_pool_shutdown(s->p));
    atomic_store(&s->done, 1);
    return NULL;
}

/* The pool's first suspendable task starts only once shutdown has begun: shutdown must still
 * run it and return. */
static void test_shutdown_first_async(void)
{
    test_phase("shutdown: the first suspendable task starts after shutdown began");
    arayon_pool_t *p = make_pool(1);
    atomic_store(&g_hold_release, 0);
    atomic_store(&g_count, 0);
    CHECK_OK(arayon_spawn(p, hold_fn, NULL));
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_async(p, count_fn, NULL, &h)); /* queued behind hold_fn */
    shut_arg sa = {.p = p, .rc = -100};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, shut_thread, &sa), 0);
    uint64_t t0 = arayon_now_ns();
    while (arayon_spawn(p, ok_fn, NULL) != ARAYON_ESHUTDOWN) { /* shutdown has begun */
        test_sleep_us(100);
        CHECK_LT(arayon_now_ns() - t0, HANG_NS);
    }
    atomic_store(&g_hold_release, 1);
    t0 = arayon_now_ns();
    while (!atomic_load(&sa.done)) {
        test_sleep_us(1000);
        CHECK_MSG(arayon_now_ns() - t0 < 10 * SEC,
                  "arayon_pool_shutdown has not returned 10 s after the worker was released "
                  "(the suspendable task ran: %d)", atomic_load(&g_count));
    }
    pthread_join(th, NULL);
    CHECK_OK(atomic_load(&sa.rc));
    CHECK_EQ(atomic_load(&g_count), 1);
    CHECK_OK(wait_release(h));
    check_quiescent(p);
    arayon_pool_destroy(&p);
}

static void test_shutdown(void)
{
    test_phase("shutdown: graceful shutdown waits for sleepers");
    arayon_pool_t *p = make_pool(2);
    g_shut_pool = p;
    atomic_store(&g_shut_done, 0);
    atomic_store(&g_shut_child_done, 0);
    atomic_store(&g_shut_bad, 0);
    for (int i = 0; i < SHUT_SLEEPERS; i++)
        CHECK_OK(arayon_spawn_async(p, shut_sleeper_fn, NULL, NULL));
    arayon_metrics_t m;
    WAIT_METRIC(p, m, m.parked >= 1);
    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_EQ(atomic_load(&g_shut_done), SHUT_SLEEPERS);
    CHECK_EQ(atomic_load(&g_shut_child_done), SHUT_SLEEPERS);
    CHECK_EQ(atomic_load(&g_shut_bad), 0);
    check_quiescent(p);
    m = metrics(p);
    CHECK_EQ(m.async_spawned, 2 * SHUT_SLEEPERS);
    CHECK_EQ(m.completed, 2 * SHUT_SLEEPERS);
    /* spawns after shutdown */
    arayon_task_t *h = NULL;
    CHECK_RC(arayon_spawn_async(p, ok_fn, NULL, &h), ARAYON_ESHUTDOWN);
    CHECK_RC(spawn_async_ex(p, ok_fn, NULL, NULL, 0, ARAYON_TASK_SUSPENDABLE, NULL),
             ARAYON_ESHUTDOWN);
    arayon_pool_destroy(&p);

    test_phase("shutdown: a deadline wakes long sleepers with ECANCELED");
    p = make_pool(2);
    static sleeper ls[SHUT_LONG];
    for (int i = 0; i < SHUT_LONG; i++) {
        ls[i] = (sleeper){.ns = 60000 * MS, .rc = -100};
        CHECK_OK(arayon_spawn_async(p, sleeper_fn, &ls[i], NULL));
    }
    WAIT_METRIC(p, m, m.parked >= SHUT_LONG);
    uint64_t t0 = arayon_now_ns();
    int rc = arayon_pool_shutdown_timeout(p, 50 * MS);
    uint64_t took = arayon_now_ns() - t0;
    CHECK_RC(rc, ARAYON_ETIMEDOUT);
    CHECK_GE(took, 50 * MS);
    CHECK_MSG(took < 10 * SEC, "shutdown with a 50 ms deadline took %.0f ms", took / 1e6);
    for (int i = 0; i < SHUT_LONG; i++) {
        WAIT_UNTIL_GE(&ls[i].done, 1);
        CHECK_RC(atomic_load(&ls[i].rc), ARAYON_ECANCELED);
        CHECK_RC(atomic_load(&ls[i].rc_again), ARAYON_ECANCELED);
        CHECK_LT(atomic_load(&ls[i].slept), 10 * SEC);
    }
    m = metrics(p);
    CHECK_LE(m.abandoned, SHUT_LONG);
    arayon_pool_destroy(&p);
}

/* ---------------------------------------------------------------------------------------
 * Many parked tasks
 * ------------------------------------------------------------------------------------- */
#if TEST_TSAN
/* ThreadSanitizer models each fiber as a thread (__tsan_create_fiber) and dies beyond 8128
 * of them alive at once ("Thread limit (8128 threads) exceeded"). */
enum { PARKED_N = 4000, SLEEPERS_N = 2000 };
#elif SANITIZED
enum { PARKED_N = 20000, SLEEPERS_N = 5000 };
#else
enum { PARKED_N = 100000, SLEEPERS_N = 20000 };
#endif
static _Atomic(arayon_task_t *) g_gate;
static _Atomic int g_parked_ok, g_parked_bad;

static int gate_awaiter_fn(void *arg)
{
    (void)arg;
    if (arayon_await(atomic_load(&g_gate), ARAYON_NO_DEADLINE) == ARAYON_OK)
        atomic_fetch_add(&g_parked_ok, 1);
    else
        atomic_fetch_add(&g_parked_bad, 1);
    return 0;
}

static uint64_t g_common_deadline;
static int deadline_sleeper_fn(void *arg)
{
    (void)arg;
    if (arayon_sleep_until(g_common_deadline) == ARAYON_OK &&
        arayon_now_ns() >= g_common_deadline)
        atomic_fetch_add(&g_parked_ok, 1);
    else
        atomic_fetch_add(&g_parked_bad, 1);
    return 0;
}

static void test_many_parked(void)
{
    test_phase("parked: many tasks awaiting one gate");
    arayon_pool_t *p = make_pool(2);
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    arayon_task_t *gate;
    CHECK_OK(arayon_spawn_async(p, fd_gate_fn, (void *)(intptr_t)pfd[0], &gate));
    atomic_store(&g_gate, gate);
    atomic_store(&g_parked_ok, 0);
    atomic_store(&g_parked_bad, 0);
    arayon_scope_t *s;
    CHECK_OK(arayon_scope_begin(p, &s));
    uint64_t t0 = arayon_now_ns();
    for (int i = 0; i < PARKED_N; i++) {
        int rc = spawn_async_ex(p, gate_awaiter_fn, NULL, s, 0, ARAYON_TASK_SUSPENDABLE, NULL);
        CHECK_MSG(rc == ARAYON_OK, "spawn %d of %d: %s", i, PARKED_N, arayon_errname(rc));
    }
    arayon_metrics_t m;
    WAIT_METRIC(p, m, m.parked >= (uint64_t)PARKED_N + 1 || atomic_load(&g_parked_bad) > 0);
    CHECK_EQ(atomic_load(&g_parked_bad), 0);
    CHECK_EQ(atomic_load(&g_parked_ok), 0);
    CHECK_EQ(m.parked, (uint64_t)PARKED_N + 1);
    CHECK_GE(m.stacks_in_use, (uint64_t)PARKED_N + 1);
    CHECK_GE(m.pending, (uint64_t)PARKED_N + 1);
    fprintf(stderr, "   %d parked after %.0f ms (%llu stacks in use)\n", PARKED_N,
            (arayon_now_ns() - t0) / 1e6, (unsigned long long)m.stacks_in_use);
    write_byte(pfd[1]);
    CHECK_OK(arayon_scope_end(&s));
    CHECK_OK(wait_release(gate));
    CHECK_EQ(atomic_load(&g_parked_ok), PARKED_N);
    CHECK_EQ(atomic_load(&g_parked_bad), 0);
    WAIT_METRIC(p, m, m.parked == 0 && m.stacks_in_use == 0 && m.pending == 0);
    fprintf(stderr, "   all done after %.0f ms (%llu stacks cached)\n",
            (arayon_now_ns() - t0) / 1e6, (unsigned long long)m.stacks_cached);
    close(pfd[0]);
    close(pfd[1]);

    test_phase("parked: many tasks sleeping until one deadline");
    atomic_store(&g_parked_ok, 0);
    CHECK_OK(arayon_scope_begin(p, &s));
    g_common_deadline = arayon_now_ns() + 300 * MS;
    for (int i = 0; i < SLEEPERS_N; i++)
        CHECK_OK(spawn_async_ex(p, deadline_sleeper_fn, NULL, s, 0, ARAYON_TASK_SUSPENDABLE, NULL));
    CHECK_OK(arayon_scope_end(&s));
    CHECK_GE(arayon_now_ns(), g_common_deadline);
    CHECK_EQ(atomic_load(&g_parked_ok), SLEEPERS_N);
    CHECK_EQ(atomic_load(&g_parked_bad), 0);
    m = metrics(p);
    CHECK_EQ(m.async_spawned, (uint64_t)PARKED_N + 1 + SLEEPERS_N);
    CHECK_EQ(m.blocking_waits, 0);
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * max_pending counts suspended tasks
 * ------------------------------------------------------------------------------------- */
static void test_max_pending(void)
{
    test_phase("max_pending: suspended tasks hold their credit");
    enum { BOUND = 8 };
    arayon_pool_t *p = make_pool_ex(2, BOUND, ARAYON_FULL_REJECT);
    static sleeper s[BOUND];
    arayon_task_t *h[BOUND];
    for (int i = 0; i < BOUND; i++) {
        s[i] = (sleeper){.ns = 60000 * MS, .rc = -100};
        CHECK_OK(arayon_spawn_async(p, sleeper_fn, &s[i], &h[i]));
    }
    arayon_metrics_t m;
    WAIT_METRIC(p, m, m.parked >= BOUND);
    CHECK_EQ(m.pending, BOUND);
    uint64_t rejected0 = m.rejected;
    arayon_task_t *x = NULL;
    atomic_store(&g_count, 0);
    CHECK_RC(arayon_spawn_async(p, count_fn, NULL, &x), ARAYON_EAGAIN);
    CHECK_RC(arayon_spawn_async(p, count_fn, NULL, NULL), ARAYON_EAGAIN);
    CHECK_RC(arayon_spawn(p, count_fn, NULL), ARAYON_EAGAIN);
    m = metrics(p);
    CHECK_EQ(m.rejected, rejected0 + 3);
    CHECK_EQ(m.pending, BOUND);
    for (int i = 0; i < BOUND; i++) {
        CHECK_OK(arayon_task_cancel(h[i]));
        CHECK_OK(wait_release(h[i]));
        CHECK_RC(atomic_load(&s[i].rc), ARAYON_ECANCELED);
    }
    WAIT_METRIC(p, m, m.pending == 0);
    CHECK_OK(arayon_spawn_async(p, count_fn, NULL, &x));
    CHECK_OK(wait_release(x));
    CHECK_EQ(atomic_load(&g_count), 1);
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * A full pool: a suspendable task run inline (ARAYON_FULL_RUN_INLINE, or ARAYON_FULL_BLOCK
 * inside a worker with nothing else queued) still runs, and can wait.
 * ------------------------------------------------------------------------------------- */
static arayon_pool_t *g_inline_pool;
static _Atomic int g_inline_ran, g_inline_rc;

static int inline_child_fn(void *arg)
{
    (void)arg;
    atomic_store(&g_inline_ran, 1);
    atomic_store(&g_inline_rc, arayon_sleep(1 * MS));
    return 0;
}

static int inline_parent_fn(void *arg)
{
    (void)arg;
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_async(g_inline_pool, inline_child_fn, NULL, &h));
    CHECK_OK(arayon_await(h, ARAYON_NO_DEADLINE));
    arayon_task_release(h);
    CHECK_OK(arayon_sleep(1 * MS));
    return 0;
}

static void test_inline(void)
{
    for (int pol = 0; pol < 2; pol++) {
        arayon_full_policy_t fp = pol ? ARAYON_FULL_RUN_INLINE : ARAYON_FULL_BLOCK;
        for (int async_parent = 0; async_parent < 2; async_parent++) {
            static const char *const names[2][2] = {
                {"full pool: BLOCK, a plain parent", "full pool: BLOCK, a suspendable parent"},
                {"full pool: RUN_INLINE, a plain parent",
                 "full pool: RUN_INLINE, a suspendable parent"}};
            test_phase(names[pol][async_parent]);
            /* one worker, room for 2: a parked gate and the parent */
            arayon_pool_t *p = make_pool_ex(1, 2, fp);
            g_inline_pool = p;
            int pfd[2];
            CHECK_EQ(pipe(pfd), 0);
            arayon_task_t *g, *h;
            CHECK_OK(arayon_spawn_async(p, fd_gate_fn, (void *)(intptr_t)pfd[0], &g));
            arayon_metrics_t m;
            WAIT_METRIC(p, m, m.parked >= 1);
            atomic_store(&g_inline_ran, 0);
            atomic_store(&g_inline_rc, -100);
            if (async_parent)
                CHECK_OK(arayon_spawn_async(p, inline_parent_fn, NULL, &h));
            else
                CHECK_OK(arayon_spawn_handle(p, inline_parent_fn, NULL, &h));
            CHECK_OK(wait_release(h));
            CHECK_EQ(atomic_load(&g_inline_ran), 1);
            CHECK_RC(atomic_load(&g_inline_rc), ARAYON_OK);
            m = metrics(p);
            CHECK_GE(m.run_inline, 1);
            write_byte(pfd[1]);
            CHECK_OK(wait_release(g));
            close(pfd[0]);
            close(pfd[1]);
            finish_pool(&p);
        }
    }
}

/* ---------------------------------------------------------------------------------------
 * Tied tasks: errno and the thread survive suspensions; MIGRATABLE
 * ------------------------------------------------------------------------------------- */
enum { TIED_TASKS = 200, TIED_LOAD = 400 };
static arayon_pool_t *g_tied_pool;
static _Atomic int g_tied_done;

static int busy_fn(void *arg)
{
    (void)arg;
    uint64_t t0 = arayon_now_ns();
    while (arayon_now_ns() - t0 < 200 * 1000) /* 200 us of work */
        ;
    return 0;
}

/* pthread_self() is declared const: an optimizing compiler may call it once per function
 * and reuse the value after a suspension, which would make the check below vacuous. Through
 * a volatile pointer it is called each time. */
static pthread_t (*volatile g_self_fn)(void) = pthread_self;

static int tied_fn(void *arg)
{
    int id = (int)(intptr_t)arg;
    pthread_t me = g_self_fn();
    int widx = arayon_worker_index();
    CHECK_GE(widx, 0);
    arayon_task_t *ok = NULL;
    CHECK_OK(arayon_spawn_handle(g_tied_pool, busy_fn, NULL, &ok));
    for (int round = 0; round < 4; round++) {
        errno = 1234 + id;
        int rc;
        switch (round) {
        case 0: rc = arayon_sleep((uint64_t)(id % 3) * MS + 100 * 1000); break;
        case 1: rc = arayon_yield(); break;
        case 2: rc = arayon_await(ok, ARAYON_NO_DEADLINE); break;
        default: rc = arayon_sleep_until(arayon_now_ns() + 500 * 1000); break;
        }
        int e = errno;
        CHECK_RC(rc, ARAYON_OK);
        CHECK_MSG(e == 1234 + id, "task %d round %d: errno %d, expected %d", id, round, e,
                  1234 + id);
        CHECK_MSG(pthread_equal(me, g_self_fn()), "task %d round %d resumed on another thread",
                  id, round);
        CHECK_EQ(arayon_worker_index(), widx);
        /* more load while others are suspended */
        CHECK_OK(arayon_spawn(g_tied_pool, busy_fn, NULL));
    }
    arayon_task_release(ok);
    atomic_fetch_add(&g_tied_done, 1);
    return 0;
}

static _Atomic int g_migr_done;
static int migratable_fn(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        CHECK_RC(arayon_sleep(100 * 1000), ARAYON_OK);
        CHECK_RC(arayon_yield(), ARAYON_OK);
    }
    CHECK_GE(arayon_worker_index(), 0);
    atomic_fetch_add(&g_migr_done, 1);
    return 0;
}

/* A migratable task may lose its own errno across a wait (documented), but the runtime must
 * not write into the errno of the worker it left: a plain task running there meanwhile would
 * see its errno change under it. The migratable tasks touch no thread-local state themselves
 * (as the header asks: an optimizing compiler keeps errno's address across the wait), and the
 * plain tasks each use their own errno value and make no call that sets errno. */
enum { MIGR_YIELDERS = 16, MIGR_SPINNERS = 40 };
static _Atomic int g_migr_stop, g_migr_moves, g_errno_clobbered;

static int migr_yielder_fn(void *arg)
{
    (void)arg;
    int last = arayon_worker_index();
    while (!atomic_load(&g_migr_stop)) {
        int rc = arayon_yield();
        CHECK_RC(rc, ARAYON_OK);
        int now = arayon_worker_index();
        CHECK_GE(now, 0);
        if (now != last)
            atomic_fetch_add(&g_migr_moves, 1);
        last = now;
    }
    return 0;
}

static int errno_watch_fn(void *arg)
{
    int mine = 1000 + (int)(intptr_t)arg; /* no other task uses this value */
    errno = mine;
    uint64_t t0 = arayon_now_ns();
    while (arayon_now_ns() - t0 < 5 * MS)
        if (errno != mine) {
            atomic_fetch_add(&g_errno_clobbered, 1);
            errno = mine;
        }
    return 0;
}

static void test_migratable_errno(void)
{
    test_phase("migratable: other tasks' errno is left alone");
    arayon_pool_t *p = make_pool(2);
    atomic_store(&g_errno_clobbered, 0);
    atomic_store(&g_migr_moves, 0);
    /* a few rounds: the window in which a stale write can be seen is short */
    for (int round = 0; round < 3 && atomic_load(&g_errno_clobbered) == 0; round++) {
        atomic_store(&g_migr_stop, 0);
        arayon_task_t *y[MIGR_YIELDERS], *w[MIGR_SPINNERS];
        for (int i = 0; i < MIGR_YIELDERS; i++)
            CHECK_OK(spawn_async_ex(p, migr_yielder_fn, NULL, NULL, 0,
                                    ARAYON_TASK_SUSPENDABLE | ARAYON_TASK_MIGRATABLE, &y[i]));
        for (int i = 0; i < MIGR_SPINNERS; i++)
            CHECK_OK(arayon_spawn_handle(p, errno_watch_fn, (void *)(intptr_t)i, &w[i]));
        for (int i = 0; i < MIGR_SPINNERS; i++)
            CHECK_OK(wait_release(w[i]));
        atomic_store(&g_migr_stop, 1);
        for (int i = 0; i < MIGR_YIELDERS; i++)
            CHECK_OK(wait_release(y[i]));
    }
    fprintf(stderr, "   %d moves between workers\n", atomic_load(&g_migr_moves));
    CHECK_MSG(atomic_load(&g_errno_clobbered) == 0,
              "%d plain tasks saw their errno overwritten while migratable tasks moved between "
              "workers (%d moves)", atomic_load(&g_errno_clobbered), atomic_load(&g_migr_moves));
    finish_pool(&p);
}

static void test_tied(void)
{
    test_phase("tied: errno and pthread_self across suspensions, 2 loaded workers");
    arayon_pool_t *p = make_pool(2);
    g_tied_pool = p;
    atomic_store(&g_tied_done, 0);
    arayon_scope_t *s;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < TIED_LOAD; i++)
        CHECK_OK(arayon_scope_spawn(s, busy_fn, NULL, NULL));
    for (int i = 0; i < TIED_TASKS; i++)
        CHECK_OK(spawn_async_ex(p, tied_fn, (void *)(intptr_t)i, s, 0, ARAYON_TASK_SUSPENDABLE,
                                NULL));
    CHECK_OK(arayon_scope_end(&s));
    CHECK_EQ(atomic_load(&g_tied_done), TIED_TASKS);

    test_phase("tied: MIGRATABLE tasks are accepted and finish");
    atomic_store(&g_migr_done, 0);
    arayon_task_t *h[20];
    for (int i = 0; i < 20; i++)
        CHECK_OK(spawn_async_ex(p, migratable_fn, NULL, NULL, 0,
                                ARAYON_TASK_SUSPENDABLE | ARAYON_TASK_MIGRATABLE, &h[i]));
    for (int i = 0; i < 20; i++)
        CHECK_OK(wait_release(h[i]));
    CHECK_EQ(atomic_load(&g_migr_done), 20);
    arayon_metrics_t m = metrics(p);
    CHECK_EQ(m.async_spawned, TIED_TASKS + 20);
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * Bad input
 * ------------------------------------------------------------------------------------- */
static void test_bad_input(void)
{
    test_phase("bad input");
    arayon_pool_t *p = make_pool(1);
    arayon_task_t *h = NULL;
    CHECK_RC(arayon_spawn_async(NULL, ok_fn, NULL, &h), ARAYON_EINVAL);
    CHECK_RC(arayon_spawn_async(NULL, ok_fn, NULL, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_spawn_async(p, NULL, NULL, &h), ARAYON_EINVAL);
    CHECK_RC(arayon_spawn_async(p, NULL, NULL, NULL), ARAYON_EINVAL);
    static const unsigned bad_flags[] = {
        ARAYON_TASK_MIGRATABLE, 0x4u, 0x8u, 0x80000000u,
        ARAYON_TASK_SUSPENDABLE | 0x4u, ARAYON_TASK_SUSPENDABLE | ARAYON_TASK_MIGRATABLE | 0x100u,
    };
    atomic_store(&g_count, 0);
    for (size_t i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++) {
        CHECK_RC(spawn_async_ex(p, count_fn, NULL, NULL, 0, bad_flags[i], &h), ARAYON_EINVAL);
        CHECK_RC(spawn_async_ex(p, count_fn, NULL, NULL, 0, bad_flags[i], NULL), ARAYON_EINVAL);
    }
    /* nothing was spawned, nothing ran */
    arayon_metrics_t m = metrics(p);
    CHECK_EQ(m.spawned, 0);
    CHECK_EQ(m.async_spawned, 0);
    /* the valid combinations */
    CHECK_OK(spawn_async_ex(p, count_fn, NULL, NULL, 0, 0, &h));
    CHECK_OK(wait_release(h));
    CHECK_OK(spawn_async_ex(p, count_fn, NULL, NULL, 0, ARAYON_TASK_SUSPENDABLE, &h));
    CHECK_OK(wait_release(h));
    CHECK_OK(spawn_async_ex(p, count_fn, NULL, NULL, 0,
                            ARAYON_TASK_SUSPENDABLE | ARAYON_TASK_MIGRATABLE, &h));
    CHECK_OK(wait_release(h));
    CHECK_EQ(atomic_load(&g_count), 3);
    finish_pool(&p);

    /* fiber_stack_size: 16 KiB .. 256 MiB, 0 = default */
    arayon_config_t c = arayon_config_default();
    c.num_threads = 1;
    static const size_t bad_sizes[] = {1, 4096, 16 * 1024 - 1, (size_t)256 * 1024 * 1024 + 1,
                                       SIZE_MAX};
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        c.fiber_stack_size = bad_sizes[i];
        p = NULL;
        CHECK_RC(arayon_pool_create(&c, &p), ARAYON_EINVAL);
        CHECK(p == NULL);
    }
    static const size_t good_sizes[] = {0, 16 * 1024, 64 * 1024, 1024 * 1024,
                                        (size_t)256 * 1024 * 1024};
    for (size_t i = 0; i < sizeof good_sizes / sizeof good_sizes[0]; i++) {
        c.fiber_stack_size = good_sizes[i];
        p = NULL;
        CHECK_OK(arayon_pool_create(&c, &p));
        if (good_sizes[i] >= 64 * 1024) { /* room for a sleep even under sanitizers */
            CHECK_OK(spawn_async_ex(p, past_deadline_fn, NULL, NULL, 0, ARAYON_TASK_SUSPENDABLE,
                                    &h));
            CHECK_OK(wait_release(h));
        }
        finish_pool(&p);
    }
}

/* ---------------------------------------------------------------------------------------
 * Metrics
 * ------------------------------------------------------------------------------------- */
enum { METRIC_TASKS = 50 };

static int two_sleeps_fn(void *arg)
{
    (void)arg;
    CHECK_OK(arayon_sleep(1 * MS));
    CHECK_OK(arayon_sleep(1 * MS));
    return 0;
}

static int plain_sleep_fn(void *arg)
{
    (void)arg;
    return arayon_sleep(1 * MS) == ARAYON_OK ? 0 : 1;
}

static void test_metrics(void)
{
    test_phase("metrics: counters of suspendable tasks");
    arayon_pool_t *p = make_pool(2);
    arayon_metrics_t m = metrics(p);
    CHECK_EQ(m.async_spawned, 0);
    CHECK_EQ(m.suspended, 0);
    CHECK_EQ(m.resumed, 0);
    CHECK_EQ(m.parked, 0);
    CHECK_EQ(m.stacks_in_use, 0);
    arayon_task_t *h[METRIC_TASKS];
    for (int i = 0; i < METRIC_TASKS; i++)
        CHECK_OK(arayon_spawn_async(p, two_sleeps_fn, NULL, &h[i]));
    for (int i = 0; i < METRIC_TASKS; i++)
        CHECK_OK(wait_release(h[i]));
    WAIT_METRIC(p, m, m.stacks_in_use == 0 && m.parked == 0 && m.pending == 0);
    CHECK_EQ(m.async_spawned, METRIC_TASKS);
    CHECK_EQ(m.spawned, METRIC_TASKS);
    CHECK_EQ(m.completed, METRIC_TASKS);
    CHECK_GE(m.suspended, 2 * METRIC_TASKS); /* each 1 ms sleep gave its worker back */
    CHECK_EQ(m.resumed, m.suspended);
    CHECK_EQ(m.blocking_waits, 0);

    test_phase("metrics: parked and stacks_in_use while tasks wait");
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    arayon_task_t *g[10];
    for (int i = 0; i < 10; i++)
        CHECK_OK(arayon_spawn_async(p, fd_gate_fn, (void *)(intptr_t)pfd[0], &g[i]));
    WAIT_METRIC(p, m, m.parked == 10);
    CHECK_EQ(m.stacks_in_use, 10);
    CHECK_EQ(m.pending, 10);
    CHECK_LE(m.resumed, m.suspended);
    write_byte(pfd[1]);
    for (int i = 0; i < 10; i++)
        CHECK_OK(wait_release(g[i]));
    WAIT_METRIC(p, m, m.stacks_in_use == 0 && m.parked == 0 && m.pending == 0);
    CHECK_EQ(m.resumed, m.suspended);
    CHECK_EQ(m.async_spawned, METRIC_TASKS + 10);
    close(pfd[0]);
    close(pfd[1]);

    test_phase("metrics: a plain task's sleep is a blocking wait");
    uint64_t bw = m.blocking_waits, as = m.async_spawned, su = m.suspended;
    arayon_task_t *ph;
    CHECK_OK(arayon_spawn_handle(p, plain_sleep_fn, NULL, &ph));
    CHECK_OK(wait_release(ph));
    m = metrics(p);
    CHECK_EQ(m.blocking_waits, bw + 1);
    CHECK_EQ(m.async_spawned, as);
    CHECK_EQ(m.suspended, su);
    finish_pool(&p);
}

/* ---------------------------------------------------------------------------------------
 * Nested: a tree of suspendable tasks; a suspendable scope owner
 * ------------------------------------------------------------------------------------- */
enum { TREE_FANOUT = 3, TREE_DEPTH = 3, TREE_NODES = 1 + 3 + 9 + 27 };
static arayon_pool_t *g_tree_pool;
static _Atomic int g_tree_subtree[TREE_NODES];

/* Node i (heap order) spawns its children 3i+1 .. 3i+3 and awaits them; its subtree size
 * goes to g_tree_subtree[i]. */
static int tree_fn(void *arg)
{
    int i = (int)(intptr_t)arg;
    pthread_t me = g_self_fn();
    int first = TREE_FANOUT * i + 1;
    if (first >= TREE_NODES) {
        CHECK_OK(arayon_sleep(1 * MS));
        CHECK(pthread_equal(me, g_self_fn()));
        atomic_store(&g_tree_subtree[i], 1);
        return 0;
    }
    arayon_task_t *h[TREE_FANOUT];
    for (int k = 0; k < TREE_FANOUT; k++)
        CHECK_OK(arayon_spawn_async(g_tree_pool, tree_fn, (void *)(intptr_t)(first + k), &h[k]));
    int sum = 1;
    for (int k = 0; k < TREE_FANOUT; k++) {
        CHECK_RC(arayon_await(h[k], ARAYON_NO_DEADLINE), ARAYON_OK);
        CHECK(pthread_equal(me, g_self_fn()));
        sum += atomic_load(&g_tree_subtree[first + k]);
        arayon_task_release(h[k]);
    }
    atomic_store(&g_tree_subtree[i], sum);
    return 0;
}

static arayon_pool_t *g_owner_pool;
static _Atomic int g_owner_children;

static int plain_child_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_owner_children, 1);
    return 0;
}

/* A plain child that uses 24 KiB of stack: fine on any worker's stack (64 KiB minimum). */
static int plain_big_child_fn(void *arg)
{
    (void)arg;
    volatile char buf[24 * 1024];
    for (size_t i = 0; i < sizeof buf; i += 512)
        buf[i] = (char)i;
    atomic_fetch_add(&g_owner_children, 1);
    return buf[512] == (char)512 ? 0 : 1;
}

static int async_child_fn(void *arg)
{
    (void)arg;
    CHECK_OK(arayon_sleep(1 * MS));
    atomic_fetch_add(&g_owner_children, 1);
    return 0;
}

static int scope_owner_fn(void *arg)
{
    arayon_fn plain = arg ? plain_big_child_fn : plain_child_fn;
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_owner_pool, &s));
    for (int i = 0; i < 25; i++)
        CHECK_OK(arayon_scope_spawn(s, plain, NULL, NULL));
    CHECK_OK(arayon_sleep(1 * MS)); /* suspended while owning a scope */
    for (int i = 0; i < 25; i++)
        CHECK_OK(arayon_scope_spawn(s, plain, NULL, NULL));
    for (int i = 0; i < 10; i++)
        CHECK_OK(spawn_async_ex(g_owner_pool, async_child_fn, NULL, s, 0, ARAYON_TASK_SUSPENDABLE,
                                NULL));
    CHECK_OK(arayon_scope_end(&s));
    CHECK(s == NULL);
    CHECK_EQ(atomic_load(&g_owner_children), 60);
    return 0;
}

/* A suspendable parent that waits for a sleeping suspendable child with arayon_task_wait
 * (the plain wait, not arayon_await). */
static _Atomic int g_tw_done;
static int tw_child_fn(void *arg)
{
    (void)arg;
    return arayon_sleep(1 * MS) == ARAYON_OK ? 0 : 1;
}

static int tw_parent_fn(void *arg)
{
    (void)arg;
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_async(g_tree_pool, tw_child_fn, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    atomic_fetch_add(&g_tw_done, 1);
    return 0;
}

static arayon_pool_t *pool_of_small;

/* A suspendable task with a small stack waits for a scope of plain tasks that each use more
 * stack than it has: the wait suspends it (the children run on the worker's own stack), where
 * helping would run them on the 16 KiB stack and overflow it. */
static int deep_plain_child(void *arg)
{
    volatile char buf[32 * 1024];
    for (size_t i = 0; i < sizeof buf; i += 512)
        buf[i] = (char)i;
    atomic_fetch_add((_Atomic int *)arg, 1);
    return 0;
}

static int small_stack_scope_owner(void *arg)
{
    _Atomic int *ran = arg;
    arayon_scope_t *sc;
    CHECK_OK(arayon_scope_begin(pool_of_small, &sc));
    for (int i = 0; i < 50; i++)
        CHECK_OK(arayon_scope_spawn(sc, deep_plain_child, ran, NULL));
    CHECK_OK(arayon_scope_wait(sc)); /* suspends */
    for (int i = 0; i < 50; i++)
        CHECK_OK(arayon_scope_spawn(sc, deep_plain_child, ran, NULL));
    return arayon_scope_end(&sc); /* suspends again */
}

static void test_scope_wait_suspends(void)
{
    test_phase("nested: a scope wait suspends a 16 KiB-stack task; its 32 KiB children run");
    for (unsigned n = 1; n <= 2; n++) {
        arayon_config_t c = arayon_config_default();
        c.num_threads = n;
        c.fiber_stack_size = 16 * 1024;
        CHECK_OK(arayon_pool_create(&c, &pool_of_small));
        _Atomic int ran = 0;
        arayon_task_t *h[4];
        for (int i = 0; i < 4; i++)
            CHECK_OK(arayon_spawn_async(pool_of_small, small_stack_scope_owner, &ran, &h[i]));
        for (int i = 0; i < 4; i++) {
            CHECK_OK(arayon_task_wait(h[i]));
            arayon_task_release(h[i]);
        }
        CHECK_EQ(atomic_load(&ran), 400);
        arayon_metrics_t m;
        CHECK_OK(arayon_pool_metrics(pool_of_small, &m));
        CHECK_EQ(m.parked, 0u);
        CHECK_EQ(m.resumed, m.suspended);
        arayon_pool_destroy(&pool_of_small);
    }
}

static void test_nested(void)
{
    for (unsigned workers = 1; workers <= 2; workers++) {
        test_phase(workers == 1 ? "nested: a tree of suspendable tasks, 1 worker"
                                : "nested: a tree of suspendable tasks, 2 workers");
        arayon_pool_t *p = make_pool(workers);
        g_tree_pool = p;
        for (int i = 0; i < TREE_NODES; i++)
            atomic_store(&g_tree_subtree[i], 0);
        arayon_task_t *root;
        CHECK_OK(arayon_spawn_async(p, tree_fn, (void *)(intptr_t)0, &root));
        CHECK_OK(wait_release(root));
        CHECK_EQ(atomic_load(&g_tree_subtree[0]), TREE_NODES);
        arayon_metrics_t m;
        WAIT_METRIC(p, m, m.pending == 0);
        CHECK_EQ(m.async_spawned, TREE_NODES);

        test_phase(workers == 1 ? "nested: 200 parents arayon_task_wait a sleeping child, 1 worker"
                                : "nested: 200 parents arayon_task_wait a sleeping child, 2 workers");
        atomic_store(&g_tw_done, 0);
        arayon_task_t *tw[200];
        for (int i = 0; i < 200; i++)
            CHECK_OK(arayon_spawn_async(p, tw_parent_fn, NULL, &tw[i]));
        for (int i = 0; i < 200; i++)
            CHECK_OK(wait_release(tw[i]));
        CHECK_EQ(atomic_load(&g_tw_done), 200);

        test_phase(workers == 1 ? "nested: a suspendable task owns a scope, 1 worker"
                                : "nested: a suspendable task owns a scope, 2 workers");
        g_owner_pool = p;
        for (intptr_t big = 0; big <= 1; big++) {
            atomic_store(&g_owner_children, 0);
            arayon_task_t *h;
            CHECK_OK(arayon_spawn_async(p, scope_owner_fn, (void *)big, &h));
            CHECK_OK(wait_release(h));
            CHECK_EQ(atomic_load(&g_owner_children), 60);
        }
        finish_pool(&p);
    }
}

/* ---------------------------------------------------------------------------------------
 * Bulk: batch_process_async, stream_process_async
 * ------------------------------------------------------------------------------------- */
enum { BULK_N = 2000, BULK_WINDOW = 100 };

typedef struct bulk_ctx {
    _Atomic int in_flight;
    _Atomic int max_in_flight;
    _Atomic int calls;
    _Atomic int bad;
} bulk_ctx;

static void bulk_enter(bulk_ctx *c)
{
    int now = atomic_fetch_add(&c->in_flight, 1) + 1;
    int mx = atomic_load(&c->max_in_flight);
    while (now > mx && !atomic_compare_exchange_weak(&c->max_in_flight, &mx, now))
        ;
}

typedef struct bulk_item {
    int index;
    _Atomic int runs;
    int out;
} bulk_item;

static int bulk_item_fn(void *item, void *ctx)
{
    bulk_item *it = item;
    bulk_ctx *c = ctx;
    bulk_enter(c);
    atomic_fetch_add(&c->calls, 1);
    atomic_fetch_add(&it->runs, 1);
    if (arayon_sleep(1 * MS) != ARAYON_OK)
        atomic_fetch_add(&c->bad, 1);
    it->out = it->index * 2;
    atomic_fetch_sub(&c->in_flight, 1);
    return 0;
}

/* Fails on items whose index is 7 mod 10. */
static int bulk_fail_fn(void *item, void *ctx)
{
    (void)ctx;
    bulk_item *it = item;
    CHECK_OK(arayon_sleep(100 * 1000));
    return it->index % 10 == 7 ? 1 : 0;
}

static bulk_item g_items[BULK_N];
static int g_statuses[BULK_N];

typedef struct stream_ctx {
    bulk_ctx b;
    int next;     /* next index to pull (caller's thread only) */
    int limit;
    int delivered;
    int expect;   /* ordered: the next index expected */
    bool ordered;
    unsigned char seen[BULK_N];
    int bad_status;
} stream_ctx;

static bool stream_next(void *ctx, void *slot)
{
    stream_ctx *c = ctx;
    if (c->next >= c->limit)
        return false;
    int *v = slot;
    v[0] = c->next++;
    v[1] = -1;
    return true;
}

static int stream_fn(void *slot, void *ctx)
{
    stream_ctx *c = ctx;
    int *v = slot;
    bulk_enter(&c->b);
    atomic_fetch_add(&c->b.calls, 1);
    if (arayon_sleep(1 * MS) != ARAYON_OK)
        atomic_fetch_add(&c->b.bad, 1);
    v[1] = v[0] * 3;
    atomic_fetch_sub(&c->b.in_flight, 1);
    return 0;
}

static void stream_done(void *slot, int status, void *ctx)
{
    stream_ctx *c = ctx;
    int *v = slot;
    if (status != ARAYON_OK)
        c->bad_status++;
    CHECK_GE(v[0], 0);
    CHECK_LT(v[0], c->limit);
    CHECK_EQ(v[1], v[0] * 3);
    CHECK_EQ(c->seen[v[0]], 0);
    c->seen[v[0]] = 1;
    if (c->ordered) {
        CHECK_EQ(v[0], c->expect);
        c->expect++;
    }
    c->delivered++;
}

static stream_ctx g_sc;

static void run_stream(arayon_pool_t *p, int n, size_t window, bool ordered)
{
    memset(&g_sc, 0, sizeof g_sc);
    g_sc.limit = n;
    g_sc.ordered = ordered;
    CHECK_OK(arayon_stream_process_async(p, stream_next, 2 * sizeof(int), window, stream_fn,
                                         stream_done, ordered, &g_sc));
    CHECK_EQ(g_sc.delivered, n);
    CHECK_EQ(g_sc.bad_status, 0);
    CHECK_EQ(atomic_load(&g_sc.b.calls), n);
    CHECK_EQ(atomic_load(&g_sc.b.bad), 0);
    CHECK_LE(atomic_load(&g_sc.b.max_in_flight), (int)window);
}

static arayon_pool_t *g_bulk_pool;

/* A suspendable task that runs a stream and a batch itself. */
static int bulk_inside_fn(void *arg)
{
    (void)arg;
    run_stream(g_bulk_pool, 200, 20, true);
    bulk_ctx c;
    memset(&c, 0, sizeof c);
    static bulk_item items[200];
    for (int i = 0; i < 200; i++)
        items[i] = (bulk_item){.index = i};
    CHECK_OK(arayon_batch_process_async(g_bulk_pool, items, 200, sizeof items[0], 20,
                                        bulk_item_fn, &c, NULL));
    CHECK_EQ(atomic_load(&c.calls), 200);
    CHECK_LE(atomic_load(&c.max_in_flight), 20);
    return 0;
}

static int never_fn(void *item, void *ctx)
{
    (void)item;
    (void)ctx;
    CHECK_MSG(0, "an item ran although the call was invalid");
    return 0;
}

static bool never_next(void *ctx, void *slot)
{
    (void)ctx;
    (void)slot;
    CHECK_MSG(0, "next() was called although the call was invalid");
    return false;
}

static void test_bulk(void)
{
    test_phase("bulk: batch_process_async, 2000 x 1 ms, window 100, 2 workers");
    arayon_pool_t *p = make_pool(2);
    g_bulk_pool = p;
    bulk_ctx c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < BULK_N; i++) {
        g_items[i] = (bulk_item){.index = i, .out = -1};
        g_statuses[i] = -100;
    }
    arayon_metrics_t m0 = metrics(p);
    uint64_t t0 = arayon_now_ns();
    CHECK_OK(arayon_batch_process_async(p, g_items, BULK_N, sizeof g_items[0], BULK_WINDOW,
                                        bulk_item_fn, &c, g_statuses));
    uint64_t took = arayon_now_ns() - t0;
    for (int i = 0; i < BULK_N; i++) {
        CHECK_RC(g_statuses[i], ARAYON_OK);
        CHECK_EQ(atomic_load(&g_items[i].runs), 1);
        CHECK_EQ(g_items[i].out, 2 * i);
    }
    CHECK_EQ(atomic_load(&c.calls), BULK_N);
    CHECK_EQ(atomic_load(&c.bad), 0);
    CHECK_LE(atomic_load(&c.max_in_flight), BULK_WINDOW);
    /* items blocking their worker could never be more than 2 at once */
    CHECK_MSG(atomic_load(&c.max_in_flight) > 2, "at most %d items in flight",
              atomic_load(&c.max_in_flight));
    CHECK_MSG(took < 10 * SEC, "2000 x 1 ms in windows of 100 took %.0f ms", took / 1e6);
    arayon_metrics_t m1 = metrics(p);
    CHECK_EQ(m1.async_spawned - m0.async_spawned, BULK_N);
    CHECK_EQ(m1.blocking_waits, m0.blocking_waits);
    fprintf(stderr, "   batch: %.0f ms, up to %d in flight\n", took / 1e6,
            atomic_load(&c.max_in_flight));

    test_phase("bulk: batch_process_async, failing items and no window");
    for (int i = 0; i < 100; i++) {
        g_items[i] = (bulk_item){.index = i};
        g_statuses[i] = -100;
    }
    CHECK_RC(arayon_batch_process_async(p, g_items, 100, sizeof g_items[0], 0, bulk_fail_fn,
                                        NULL, g_statuses),
             ARAYON_EFAILED);
    for (int i = 0; i < 100; i++)
        CHECK_RC(g_statuses[i], i % 10 == 7 ? ARAYON_EFAILED : ARAYON_OK);
    CHECK_OK(arayon_batch_process_async(p, NULL, 0, 1, 0, never_fn, NULL, NULL));

    for (int ordered = 1; ordered >= 0; ordered--) {
        test_phase(ordered ? "bulk: stream_process_async ordered, 2000 x 1 ms, window 100"
                           : "bulk: stream_process_async unordered, 2000 x 1 ms, window 100");
        t0 = arayon_now_ns();
        run_stream(p, BULK_N, BULK_WINDOW, ordered);
        took = arayon_now_ns() - t0;
        CHECK_MSG(atomic_load(&g_sc.b.max_in_flight) > 2, "at most %d items in flight",
                  atomic_load(&g_sc.b.max_in_flight));
        CHECK_MSG(took < 10 * SEC, "stream of 2000 x 1 ms took %.0f ms", took / 1e6);
        fprintf(stderr, "   stream: %.0f ms, up to %d in flight\n", took / 1e6,
                atomic_load(&g_sc.b.max_in_flight));
    }

    test_phase("bulk: EINVAL");
    CHECK_RC(arayon_batch_process_async(NULL, g_items, 10, sizeof g_items[0], 0, never_fn, NULL,
                                        NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_batch_process_async(p, g_items, 10, sizeof g_items[0], 0, NULL, NULL, NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_batch_process_async(p, NULL, 10, sizeof g_items[0], 0, never_fn, NULL, NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_batch_process_async(p, g_items, 10, 0, 0, never_fn, NULL, NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_stream_process_async(NULL, never_next, 8, 4, never_fn, NULL, true, NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_stream_process_async(p, NULL, 8, 4, never_fn, NULL, true, NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_stream_process_async(p, never_next, 8, 4, NULL, NULL, false, NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_stream_process_async(p, never_next, 0, 4, never_fn, NULL, false, NULL),
             ARAYON_EINVAL);
    CHECK_RC(arayon_stream_process_async(p, never_next, 8, 0, never_fn, NULL, true, NULL),
             ARAYON_EINVAL);
    finish_pool(&p);

    test_phase("bulk: from inside a suspendable task on one worker");
    p = make_pool(1);
    g_bulk_pool = p;
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_async(p, bulk_inside_fn, NULL, &h));
    CHECK_OK(wait_release(h));
    finish_pool(&p);
}

int main(void)
{
    test_watchdog(110);
    uint64_t t0 = arayon_now_ns();
    test_basic();
    test_bad_input();
    test_sleep();
    test_await();
    test_wait_fd();
    test_yield();
    test_cancel();
    test_shutdown();
    test_max_pending();
    test_inline();
    test_tied();
    test_metrics();
    test_nested();
    test_scope_wait_suspends();
    test_many_parked();
    test_bulk();
    /* last: these found runtime bugs (a failure here leaves the others above reported) */
    test_migratable_errno();
    test_shutdown_first_async();
    printf("test_async: ok (%.1f s)\n", (arayon_now_ns() - t0) / 1e9);
    return 0;
}
