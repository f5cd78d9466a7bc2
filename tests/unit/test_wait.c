/*
 * test_wait.c - the waiting calls (arayon_now_ns, arayon_sleep*, arayon_await*,
 * arayon_wait_fd*, arayon_yield) from outside the pool and from plain tasks: what they
 * return, lower bounds on how long they wait (never upper bounds on a shared machine, except
 * the generous ones that only a hang would break), cancellation and task timeouts reaching a
 * waiting task, the blocking_waits metric, and bad input.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include <poll.h>

#include "check.h"

#define MS 1000000ull

static arayon_pool_t *pool;

static arayon_pool_t *make_pool(unsigned n)
{
    arayon_config_t c = arayon_config_default();
    c.num_threads = n;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&c, &p));
    return p;
}

/* Outside the pool. */
static void test_outside(void)
{
    uint64_t a = arayon_now_ns(), b = arayon_now_ns();
    CHECK_LE(a, b);
    uint64_t t0 = arayon_now_ns();
    CHECK_OK(arayon_sleep(2 * MS));
    CHECK_GE(arayon_now_ns() - t0, 2 * MS);
    CHECK_OK(arayon_sleep_until(t0)); /* past: at once */
    CHECK_OK(arayon_sleep(0));
    t0 = arayon_now_ns();
    CHECK_OK(arayon_sleep_until(t0 + 3 * MS));
    CHECK_GE(arayon_now_ns(), t0 + 3 * MS);
    CHECK_OK(arayon_yield());
}

/* A task that sleeps and reports what its sleep returned. */
typedef struct sleeper {
    uint64_t ns;
    _Atomic int rc;
    _Atomic int started;
    uint64_t slept;
} sleeper;

static int sleep_task(void *arg)
{
    sleeper *s = arg;
    atomic_store(&s->started, 1);
    uint64_t t0 = arayon_now_ns();
    atomic_store(&s->rc, arayon_sleep(s->ns));
    s->slept = arayon_now_ns() - t0;
    return 0;
}

static void test_sleep_in_task(void)
{
    arayon_metrics_t m0, m1;
    CHECK_OK(arayon_pool_metrics(pool, &m0));
    sleeper s = {.ns = 3 * MS, .rc = -100};
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_handle(pool, sleep_task, &s, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&s.rc), ARAYON_OK);
    CHECK_GE(s.slept, 3 * MS);
    CHECK_OK(arayon_pool_metrics(pool, &m1));
    CHECK_EQ(m1.blocking_waits, m0.blocking_waits + 1);
}

/* A sleeping task that is cancelled wakes with ARAYON_ECANCELED long before its 60 s. */
static void test_sleep_cancelled(void)
{
    sleeper s = {.ns = 60000 * MS, .rc = -100};
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_handle(pool, sleep_task, &s, &h));
    while (!atomic_load(&s.started))
        sched_yield();
    uint64_t t0 = arayon_now_ns();
    CHECK_OK(arayon_task_cancel(h));
    arayon_task_wait(h);
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&s.rc), ARAYON_ECANCELED);
    CHECK_LT(arayon_now_ns() - t0, 30000 * MS); /* only a hang breaks this */
}

/* A task with a 5 ms timeout sleeping 60 s: its sleep ends with ARAYON_ETIMEDOUT. */
static void test_sleep_task_timeout(void)
{
    sleeper s = {.ns = 60000 * MS, .rc = -100};
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.timeout_ns = 5 * MS;
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_ex(pool, sleep_task, &s, &o, &h));
    int outcome = arayon_task_wait(h);
    arayon_task_release(h);
    CHECK(outcome == ARAYON_ETIMEDOUT || outcome == ARAYON_OK || outcome == ARAYON_ECANCELED);
    if (atomic_load(&s.started)) {
        CHECK_EQ(atomic_load(&s.rc), ARAYON_ETIMEDOUT);
        CHECK_LT(s.slept, 30000 * MS);
    }
}

static int fail_task(void *arg)
{
    arayon_sleep(*(uint64_t *)arg);
    return 7;
}

static int ok_task(void *arg)
{
    (void)arg;
    return 0;
}

/* await from outside and from a task: outcomes, timeouts, bad input. */
typedef struct awaiter {
    arayon_task_t *target;
    uint64_t timeout;
    _Atomic int rc;
} awaiter;

static int await_task(void *arg)
{
    awaiter *a = arg;
    atomic_store(&a->rc, arayon_await_for(a->target, a->timeout));
    return 0;
}

static int await_self(void *arg)
{
    (void)arg;
    /* the running task's own handle is not reachable here; await NULL instead */
    return arayon_await(NULL, ARAYON_NO_DEADLINE) == ARAYON_EINVAL ? 0 : 1;
}

static void test_await(void)
{
    uint64_t d = 2 * MS;
    arayon_task_t *f;
    CHECK_OK(arayon_spawn_handle(pool, fail_task, &d, &f));
    CHECK_EQ(arayon_await(f, ARAYON_NO_DEADLINE), ARAYON_EFAILED);
    CHECK_EQ(arayon_await_for(f, 0), ARAYON_EFAILED); /* finished: its outcome again */
    arayon_task_release(f);

    uint64_t longer = 200 * MS;
    arayon_task_t *slow;
    CHECK_OK(arayon_spawn_handle(pool, fail_task, &longer, &slow));
    uint64_t t0 = arayon_now_ns();
    CHECK_EQ(arayon_await_for(slow, 2 * MS), ARAYON_ETIMEDOUT);
    CHECK_GE(arayon_now_ns() - t0, 2 * MS);

    /* from a task: a timeout, then the outcome */
    awaiter a = {.target = slow, .timeout = 1 * MS, .rc = -100};
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_handle(pool, await_task, &a, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    int r = atomic_load(&a.rc);
    CHECK(r == ARAYON_ETIMEDOUT || r == ARAYON_EFAILED);
    a.timeout = 60000 * MS;
    a.rc = -100;
    CHECK_OK(arayon_spawn_handle(pool, await_task, &a, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&a.rc), ARAYON_EFAILED);
    arayon_task_release(slow);

    arayon_task_t *ok;
    CHECK_OK(arayon_spawn_handle(pool, ok_task, NULL, &ok));
    CHECK_OK(arayon_await(ok, ARAYON_NO_DEADLINE));
    arayon_task_release(ok);

    CHECK_RC(arayon_await(NULL, ARAYON_NO_DEADLINE), ARAYON_EINVAL);
    CHECK_RC(arayon_await_for(NULL, MS), ARAYON_EINVAL);
    arayon_task_t *s;
    CHECK_OK(arayon_spawn_handle(pool, await_self, NULL, &s));
    CHECK_OK(arayon_task_wait(s));
    arayon_task_release(s);
}

/* wait_fd on a pipe: readable after another thread writes, a timeout before. */
typedef struct fd_waiter {
    int fd;
    uint64_t timeout;
    _Atomic int rc;
    int revents;
} fd_waiter;

static int fd_task(void *arg)
{
    fd_waiter *f = arg;
    atomic_store(&f->rc, arayon_wait_fd_for(f->fd, POLLIN, f->timeout, &f->revents));
    return 0;
}

static void *writer(void *arg)
{
    int fd = *(int *)arg;
    struct timespec ts = {0, 3 * 1000000};
    nanosleep(&ts, NULL);
    char c = 'x';
    CHECK_EQ(write(fd, &c, 1), 1);
    return NULL;
}

static void test_wait_fd(void)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    int rev = -1;
    uint64_t t0 = arayon_now_ns();
    CHECK_EQ(arayon_wait_fd_for(p[0], POLLIN, 2 * MS, &rev), ARAYON_ETIMEDOUT);
    CHECK_GE(arayon_now_ns() - t0, 2 * MS);
    CHECK_EQ(rev, 0);
    CHECK_EQ(arayon_wait_fd(p[1], POLLOUT, ARAYON_NO_DEADLINE, &rev), ARAYON_OK);
    CHECK(rev & POLLOUT);

    /* a task waits; a plain thread writes 3 ms later */
    fd_waiter f = {.fd = p[0], .timeout = 60000 * MS, .rc = -100};
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_handle(pool, fd_task, &f, &h));
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, writer, &p[1]), 0);
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    pthread_join(t, NULL);
    CHECK_EQ(atomic_load(&f.rc), ARAYON_OK);
    CHECK(f.revents & POLLIN);

    CHECK_RC(arayon_wait_fd(-1, POLLIN, ARAYON_NO_DEADLINE, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_wait_fd(p[0], 0, ARAYON_NO_DEADLINE, NULL), ARAYON_EINVAL);
    close(p[0]);
    close(p[1]);
}

/* yield inside tasks: a task that yields while others are queued lets them run. */
static _Atomic int yielded_ran;

static int small_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&yielded_ran, 1);
    return 0;
}

static int yielding_task(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++)
        arayon_spawn(pool, small_task, NULL);
    for (int i = 0; i < 40; i++)
        if (arayon_yield() != ARAYON_OK)
            return 1;
    return 0;
}

static void test_yield(void)
{
    atomic_store(&yielded_ran, 0);
    arayon_task_t *h;
    CHECK_OK(arayon_spawn_handle(pool, yielding_task, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    /* everything spawned ran, whoever ran it */
    while (atomic_load(&yielded_ran) < 20)
        sched_yield();
    CHECK_EQ(atomic_load(&yielded_ran), 20);
}

int main(void)
{
    test_outside();
    pool = make_pool(2);
    test_sleep_in_task();
    test_sleep_cancelled();
    test_sleep_task_timeout();
    test_await();
    test_wait_fd();
    test_yield();
    arayon_pool_destroy(&pool);
    puts("test_wait: ok");
    return 0;
}
