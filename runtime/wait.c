/*
 * wait.c - waiting for time, other tasks and file descriptors (arayon_sleep*, arayon_await*,
 * arayon_wait_fd*, arayon_yield).
 *
 * Inside a suspendable task (ary_tls_fiber set) each call does its quick checks here and
 * then suspends the task (async.c, reactor.c). Otherwise these are the waits of a task that
 * holds its thread: outside a pool they block the thread; inside a plain task, await helps
 * (the runtime's helping wait) and sleep / wait_fd block the worker (counted in
 * blocking_waits). A blocked waiting task still answers to its cancellation and its own
 * deadline: the waits are cut into slices of at most SLICE_NS, after each of which the task's
 * state is looked at.
 *
 * Out of memory: when a suspendable task's wait cannot be registered (ARAYON_ENOMEM from the
 * reactor: its timer heap, fd table or the worker's part could not grow), the task polls
 * instead (fiber_poll): it looks, yields its worker (the other tasks tied to it, the awaited
 * one or the other end of its fd maybe, go on), naps at most POLL_NAP_NS, and looks again,
 * until what it waits for happens, its deadline, or its cancellation. The next wait tries to
 * suspend again. Holding the thread in a blocking wait instead could wait for a task that
 * only this thread can resume.
 */
#include "fiber.h"
#include "team.h" /* ary_yield_run */

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <time.h>

#define SLICE_NS 1000000u /* 1 ms: how late a cancellation may be noticed */
#define POLL_NAP_NS 50000u /* out of memory: the longest nap between two looks (fiber_poll) */

uint64_t arayon_now_ns(void) { return aryd_now_ns(); }

/* The absolute deadline ns from now (ARAYON_NO_DEADLINE when that overflows). */
static uint64_t deadline_in(uint64_t ns)
{
    uint64_t now = aryd_now_ns();
    return now + ns < now ? ARAYON_NO_DEADLINE : now + ns;
}

/* The calling task's verdict: ECANCELED if cancelled, ETIMEDOUT if its own deadline passed,
 * else OK. Outside a task: OK. */
static int caller_state(uint64_t now)
{
    ary_task *t = ary_tls_task;
    if (!t)
        return ARAYON_OK;
    if (ary_task_cancelled(t))
        return ARAYON_ECANCELED;
    if ((t->flags & ARY_TK_DEADLINE) && now >= t->deadline_ns)
        return ARAYON_ETIMEDOUT;
    return ARAYON_OK;
}

/* The end of the next slice of a wait until deadline: the deadline itself outside a task,
 * else at most SLICE_NS away and not after the task's own deadline. */
static uint64_t slice_end(uint64_t now, uint64_t deadline)
{
    ary_task *t = ary_tls_task;
    if (!t)
        return deadline;
    uint64_t end = now + SLICE_NS < now ? UINT64_MAX : now + SLICE_NS;
    if ((t->flags & ARY_TK_DEADLINE) && t->deadline_ns < end)
        end = t->deadline_ns;
    return end < deadline ? end : deadline;
}

static void count_blocking_wait(void)
{
    ary_worker *w = ary_tls_worker;
    if (w && ary_tls_task)
        ary_count(&w->c.blocking_waits, 1);
}

/* A suspendable task whose wait could not be registered (out of memory, above): polls until
 * ready(ctx) (ARAYON_OK), deadline_ns (ARAYON_ETIMEDOUT), or its own cancellation or
 * deadline (caller_state). */
static int fiber_poll(bool (*ready)(void *), void *ctx, uint64_t deadline_ns)
{
    count_blocking_wait();
    for (;;) {
        if (ready && ready(ctx))
            return ARAYON_OK;
        uint64_t now = aryd_now_ns();
        int st = caller_state(now);
        if (st != ARAYON_OK)
            return st;
        if (now >= deadline_ns)
            return ARAYON_ETIMEDOUT;
        ary_fiber_yield(ary_tls_fiber);
        now = aryd_now_ns();
        uint64_t nap = deadline_ns - now < POLL_NAP_NS ? deadline_ns - now : POLL_NAP_NS;
        if (now < deadline_ns) {
            struct timespec ts = {0, (long)nap};
            nanosleep(&ts, NULL);
        }
    }
}

/* now: the caller's reading of the clock (one read per sleep on the suspending path). */
static int sleep_until(uint64_t deadline_ns, uint64_t now)
{
    int st = caller_state(now);
    if (st != ARAYON_OK)
        return st;
    if (now >= deadline_ns)
        return ARAYON_OK;
    if (ary_tls_fiber) { /* a suspendable task: suspends (async.c) */
        int rc = ary_fiber_sleep_until(ary_tls_fiber, deadline_ns, now);
        if (rc != ARAYON_ENOMEM)
            return rc;
        rc = fiber_poll(NULL, NULL, deadline_ns); /* out of memory (above) */
        return rc == ARAYON_ETIMEDOUT && aryd_now_ns() >= deadline_ns ? ARAYON_OK : rc;
    }
    count_blocking_wait();
    for (;;) {
        uint64_t end = slice_end(now, deadline_ns);
        if (end == UINT64_MAX) { /* no deadline, outside a task: forever, a day at a time */
            end = now + 86400ull * 1000000000ull;
        }
        struct timespec ts = {(time_t)(end / 1000000000u), (long)(end % 1000000000u)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        now = aryd_now_ns();
        if ((st = caller_state(now)) != ARAYON_OK)
            return st;
        if (now >= deadline_ns)
            return ARAYON_OK;
    }
}

int arayon_sleep_until(uint64_t deadline_ns) { return sleep_until(deadline_ns, aryd_now_ns()); }

int arayon_sleep(uint64_t ns)
{
    uint64_t now = aryd_now_ns();
    return sleep_until(now + ns < now ? ARAYON_NO_DEADLINE : now + ns, now);
}

static bool task_finished(void *t) { return arayon_task_poll(t) == ARAYON_OK; }

int arayon_await(arayon_task_t *t, uint64_t deadline_ns)
{
    if (!t)
        return ARAYON_EINVAL;
    if (t == ary_tls_task)
        return ARAYON_EBUSY;
    for (;;) {
        uint64_t now = aryd_now_ns();
        int st = caller_state(now);
        if (st != ARAYON_OK)
            return st;
        if (arayon_task_poll(t) == ARAYON_OK)
            return arayon_task_wait(t); /* its outcome */
        if (now >= deadline_ns)
            return ARAYON_ETIMEDOUT;
        ary_fiber *f = ary_tls_fiber;
        if (f && ary_task_pool(t) == f->owner->pool) { /* suspends until t is done */
            int rc = ary_fiber_await(f, t, deadline_ns);
            if (rc == ARAYON_ENOMEM) /* out of memory (above) */
                rc = fiber_poll(task_finished, t, deadline_ns);
            return rc == ARAYON_OK ? arayon_task_wait(t) : rc;
        }
        uint64_t end = slice_end(now, deadline_ns);
        if (end == UINT64_MAX) /* outside a task, no deadline: a plain wait */
            return arayon_task_wait(t);
        int rc = arayon_task_wait_timeout(t, end - now);
        if (rc != ARAYON_ETIMEDOUT || arayon_task_poll(t) == ARAYON_OK)
            return arayon_task_wait(t);
    }
}

int arayon_await_for(arayon_task_t *t, uint64_t timeout_ns)
{
    return arayon_await(t, deadline_in(timeout_ns));
}

struct fd_look {
    struct pollfd p;
    bool failed;
};

static bool fd_ready(void *ctx)
{
    struct fd_look *x = ctx;
    x->p.revents = 0;
    int n = poll(&x->p, 1, 0);
    x->failed = n < 0 && errno != EINTR;
    return n > 0 || x->failed;
}

int arayon_wait_fd(int fd, int events, uint64_t deadline_ns, int *revents_or_null)
{
    if (fd < 0 || events == 0 || (events & ~0xffff))
        return ARAYON_EINVAL;
    if (revents_or_null)
        *revents_or_null = 0;
    uint64_t now = aryd_now_ns();
    int st = caller_state(now);
    if (st != ARAYON_OK)
        return st;
    if (ary_tls_fiber) { /* a suspendable task: ready now, else suspends (async.c) */
        struct pollfd p = {.fd = fd, .events = (short)events, .revents = 0};
        int n = poll(&p, 1, 0);
        if (n < 0 && errno != EINTR)
            return ARAYON_ESYSTEM;
        if (n > 0) {
            if (revents_or_null)
                *revents_or_null = p.revents;
            return ARAYON_OK;
        }
        if (now >= deadline_ns)
            return ARAYON_ETIMEDOUT;
        int rev = 0;
        int rc = ary_fiber_wait_fd(ary_tls_fiber, fd, events, deadline_ns, &rev);
        if (rc == ARAYON_ENOMEM) { /* out of memory (above) */
            struct fd_look look = {{.fd = fd, .events = (short)events, .revents = 0}, false};
            rc = fiber_poll(fd_ready, &look, deadline_ns);
            if (look.failed)
                return ARAYON_ESYSTEM;
            rev = look.p.revents;
        }
        if (revents_or_null)
            *revents_or_null = rev;
        return rc;
    }
    bool counted = false;
    for (;;) {
        uint64_t end = slice_end(now, deadline_ns);
        int ms;
        if (end == UINT64_MAX)
            ms = -1;
        else { /* poll's timeout is in ms: round up, so a slice never ends early */
            uint64_t left = end > now ? end - now : 0;
            uint64_t m = (left + 999999u) / 1000000u;
            ms = m > 86400000u ? 86400000 : (int)m;
        }
        struct pollfd p = {.fd = fd, .events = (short)events, .revents = 0};
        int n = poll(&p, 1, ms);
        if (n < 0 && errno != EINTR)
            return ARAYON_ESYSTEM;
        if (n > 0) {
            if (revents_or_null)
                *revents_or_null = p.revents;
            return ARAYON_OK;
        }
        if (!counted && ms != 0) {
            count_blocking_wait();
            counted = true;
        }
        now = aryd_now_ns();
        if ((st = caller_state(now)) != ARAYON_OK)
            return st;
        if (now >= deadline_ns)
            return ARAYON_ETIMEDOUT;
    }
}

int arayon_wait_fd_for(int fd, int events, uint64_t timeout_ns, int *revents_or_null)
{
    return arayon_wait_fd(fd, events, deadline_in(timeout_ns), revents_or_null);
}

int arayon_yield(void)
{
    ary_worker *w = ary_tls_worker;
    ary_fiber *f = ary_tls_fiber;
    if (f) { /* to the back of the worker's resume queue */
        if (caller_state(aryd_now_ns()) == ARAYON_ECANCELED)
            return ARAYON_ECANCELED;
        ary_fiber_yield(f);
        /* (no thread-local read after the switch: a migratable task may be elsewhere) */
        return ary_task_cancelled(f->cur_task) ? ARAYON_ECANCELED : ARAYON_OK;
    } else if (w)
        ary_yield_run(w);
    else
        sched_yield();
    return caller_state(aryd_now_ns()) == ARAYON_ECANCELED ? ARAYON_ECANCELED : ARAYON_OK;
}
