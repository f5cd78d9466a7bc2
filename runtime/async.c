/*
 * async.c - suspendable tasks (ARY_TK_ASYNC): starting, resuming and finishing them, and the
 * suspension primitives that wait.c calls when the caller runs on a fiber.
 *
 * Life of a suspendable task:
 *   queued     - a job like any other (ary_exec_async), stealable, holding its admission
 *                credit. Plain tasks' paths do not know about this kind: the spawn goes
 *                through ary_spawn_async, a separate instantiation of the spawn path.
 *   started    - the worker that takes it checks cancellation and deadline (as for any
 *                task), takes a stack (fiber.c), stores the fiber in task->fiber (fn is kept
 *                in the fiber) and switches in. From then on task->job.exec is exec_resume,
 *                so the task record itself is the resume entry.
 *   suspended  - the fiber switched back with ARY_FREQ_WAIT; the worker registers the wait
 *                in the reactor (reactor.c) and goes on with other work. The task holds its
 *                credit and its stack, and counts as pending.
 *   resumed    - the waker pushed the record to the owner worker's inbox (or, migratable,
 *                the pool's injection queue); the owner switches back in.
 *   finished   - the fiber's function returned: the worker, back on its own stack, frees the
 *                stack and finishes the task as any task with a handle or deadline.
 */
#include "fiber.h"
#include "injector.h"
#include "trace.h"

#include <errno.h>
#include <poll.h>

#define SHARED_FD_POLL_NS 1000000u /* an fd shared by two waits is polled this often */

/* Runs f on w until it suspends or finishes, and completes what it asked for. */
static void run_fiber(ary_worker *w, ary_fiber *f)
{
    int req = ary_fiber_enter(w, f);
    if (req == ARY_FREQ_WAIT) {
        ary_count(&w->c.suspends, 1);
        ary_reactor_park(w, f);
        return;
    }
    if (req == ARY_FREQ_YIELD) {
        ary_count(&w->c.suspends, 1);
        f->wake_rc = ARAYON_OK;
        ary_fiber_post_resume(w->pool, f);
        return;
    }
    ary_task *t = f->task;
    int r = f->result;
    ary_fiber_free(w, f);
    int outcome = ary_task_past_deadline(t) ? ARAYON_ETIMEDOUT
                  : r != 0                  ? ARAYON_EFAILED
                                            : ARAYON_OK;
    ARY_TRACE(w->pool, ARY_EV_END, ARY_EVF_TASK, t, 0, (uint32_t)-outcome);
    ary_task_finish(t, w->pool, w, outcome, r);
}

static void exec_resume(ary_job *j, ary_worker *w)
{
    ary_fiber *f = ((ary_task *)j)->fiber;
    if (ARY_UNLIKELY(!f->migratable && f->owner != w)) { /* never expected: keep it tied */
        ary_fiber_post_resume(w->pool, f);
        return;
    }
    ary_count(&w->c.resumes, 1);
    run_fiber(w, f);
}

void ary_exec_async(ary_job *j, ary_worker *w)
{
    ary_task *t = (ary_task *)j;
    ary_pool *p = w->pool;
    if (ARY_UNLIKELY(w->index >= p->nthreads)) {
        /* A guest (team.h: an outside thread lent to the pool while it waits) leaves again;
         * a task suspended on it would have nobody to resume it or fire its timers. Back
         * to the node's injection queue, for a worker. */
        if (ary_inject_push(&p->inj[w->node], t) == 0)
            ary_wake_node(p, w->node);
        return;
    }
    ARY_TRACE(p, ARY_EV_START, ARY_EVF_TASK, t, 0, 0);
    uint32_t st = atomic_fetch_or_explicit(&t->state, ARY_T_RUNNING, memory_order_acq_rel);
    int outcome = ARAYON_OK;
    if ((st & ARY_T_CANCEL) || ary_task_cancelled(t))
        outcome = ARAYON_ECANCELED;
    else if (ary_task_past_deadline(t))
        outcome = ARAYON_ETIMEDOUT;
    ary_fiber *f = NULL;
    if (outcome == ARAYON_OK) {
        struct ary_reactor *r;
        if (ary_reactor_get(p, &r) == ARAYON_OK)
            f = ary_fiber_new(w, t, t->fn, t->arg);
        if (!f) { /* no stack: the task cannot run */
            ARY_TRACE(p, ARY_EV_END, ARY_EVF_TASK, t, 0, (uint32_t)-ARAYON_EFAILED);
            ary_task_finish(t, p, w, ARAYON_EFAILED, ARAYON_ENOMEM);
            return;
        }
    }
    if (!f) {
        ARY_TRACE(p, ARY_EV_END, ARY_EVF_TASK, t, 0, (uint32_t)-outcome);
        ary_task_finish(t, p, w, outcome, 0);
        return;
    }
    f->migratable = (t->flags & ARY_TK_MIGRATE) != 0;
    t->fiber = f; /* fn lives on in the fiber */
    t->job.exec = exec_resume;
    run_fiber(w, f);
}

/* ---- the primitives inside a fiber (wait.c) --------------------------------------------- */

/* now: a recent reading of the clock (the registration checks the deadlines against it), or
 * 0 to have the registration read it. */
static int suspend(ary_fiber *f, int kind, uint64_t deadline, uint64_t now)
{
    f->wait_kind = kind;
    f->wait_deadline = deadline;
    f->wait_now = now;
    ary_fiber_leave(f, ARY_FREQ_WAIT);
    f->wait_kind = 0;
    return f->wake_rc;
}

int ary_fiber_sleep_until(ary_fiber *f, uint64_t deadline_ns, uint64_t now)
{
    return suspend(f, ARY_FW_SLEEP, deadline_ns, now);
}

int ary_fiber_await(ary_fiber *f, ary_task *t, uint64_t deadline_ns)
{
    f->await_on = t;
    int rc = suspend(f, ARY_FW_AWAIT, deadline_ns, 0);
    f->await_on = NULL;
    return rc;
}

int ary_fiber_wait_fd(ary_fiber *f, int fd, int events, uint64_t deadline_ns, int *revents)
{
    for (;;) {
        f->fd = fd;
        f->events = events;
        int rc = suspend(f, ARY_FW_FD, deadline_ns, 0);
        f->fd = -1;
        if (rc != ARY_FD_SHARED) {
            *revents = rc == ARAYON_OK ? f->revents : 0;
            return rc;
        }
        /* Another wait holds the fd's registration: look, then sleep a little. */
        struct pollfd pfd = {.fd = fd, .events = (short)events, .revents = 0};
        if (poll(&pfd, 1, 0) > 0) {
            *revents = pfd.revents;
            return ARAYON_OK;
        }
        uint64_t now = aryd_now_ns();
        uint64_t until = deadline_ns - now > SHARED_FD_POLL_NS ? now + SHARED_FD_POLL_NS
                                                                : deadline_ns;
        rc = suspend(f, ARY_FW_SLEEP, until, now);
        if (rc != ARAYON_OK)
            return rc;
        if (aryd_now_ns() >= deadline_ns) {
            pfd.revents = 0;
            if (poll(&pfd, 1, 0) > 0) {
                *revents = pfd.revents;
                return ARAYON_OK;
            }
            return ARAYON_ETIMEDOUT;
        }
    }
}

int ary_fiber_scope_wait(ary_fiber *f)
{
    return suspend(f, ARY_FW_SCOPE, ARAYON_NO_DEADLINE, 0);
}

int ary_fiber_yield(ary_fiber *f)
{
    ary_fiber_leave(f, ARY_FREQ_YIELD);
    return f->wake_rc;
}
