/*
 * fiber.h - suspendable tasks: their stacks, their context switch, and their wait state.
 *
 * A suspendable task (ARY_TK_ASYNC) runs on a fiber: a stack of its own from the pool's
 * stack cache (fiber.c) and a saved context. The pieces, one file each:
 *   fiber_x86_64.S, fiber_aarch64.S - the register switch (ary_fiber_jump); fiber.c has the
 *                  ucontext fallback for other machines (or -DARAYON_FIBER_UCONTEXT=ON).
 *   fiber.c      - stacks (slabs, guards, canaries, the overflow message), entering and
 *                  leaving a fiber (with the ASan and TSan fiber annotations).
 *   reactor.c    - what a suspended fiber waits for, per worker: a timer heap, an epoll
 *                  instance with an eventfd, driven by that worker when it is idle; and the
 *                  pool's hash of tasks awaiting other tasks.
 *   async.c      - the task side: spawning, starting, resuming and finishing a suspendable
 *                  task, and the suspension primitives that wait.c calls inside one.
 *
 * The record ary_fiber lives at the top of the fiber's own stack, so a fiber costs no
 * allocation beyond its stack.
 *
 * Switch discipline: a fiber is entered by a call to ary_fiber_enter on some stack (the
 * worker's, or another fiber's that is helping), which saves that caller's context in
 * f->caller; when the fiber suspends or finishes it switches back to exactly that caller,
 * which then completes the suspension (publishes the wait: reactor.c) after the fiber's
 * registers are saved. So no other thread can resume a fiber whose switch is not finished.
 *
 * Ownership: a fiber is tied to its owner worker (f->owner) unless migratable: only that
 * worker resumes it (a resume entry goes to the owner's inbox), because compiled code keeps
 * the address of errno and other thread-locals across calls.
 */
#ifndef ARY_FIBER_H
#define ARY_FIBER_H

#include "internal.h"

/* (ARY_ASAN, ARY_TSAN: internal.h) */

#if defined(ARAYON_FIBER_UCONTEXT) || !(defined(__x86_64__) || defined(__aarch64__))
#define ARY_FIBER_UCONTEXT 1
#include <ucontext.h>
#endif

/* A saved context. The asm switch keeps everything on the stack and only the stack pointer
 * here; the fallback keeps a ucontext_t. */
typedef struct ary_fctx {
    void *sp;
#ifdef ARY_FIBER_UCONTEXT
    ucontext_t uc;
#endif
} ary_fctx;

/* What a fiber asks of its caller when it switches back (ary_fiber->request). */
enum { ARY_FREQ_FINISH = 1, ARY_FREQ_WAIT = 2, ARY_FREQ_YIELD = 3 };

/* Wait kinds (ary_fiber->wait_kind): what a suspended fiber is registered for. */
enum { ARY_FW_SLEEP = 1, ARY_FW_AWAIT = 2, ARY_FW_FD = 3, ARY_FW_SCOPE = 4 };

/* wake_rc of an fd wait whose fd is already watched for another wait (epoll's EEXIST): the
 * primitive then polls the fd between short sleeps. Positive: never an arayon code. */
#define ARY_FD_SHARED 2

typedef struct ary_fiber {
    ary_fctx ctx;             /* the fiber's own saved context while it is not running */
    ary_fctx *caller;         /* the context to return to: set by each ary_fiber_enter */
    ary_task *task;
    ary_task *cur_task;       /* ary_tls_task when it switched out: the task itself, or a
                                 plain task it was running nested (helping) when that one
                                 waited; restored on each entry */
    arayon_fn fn;             /* the task's function and argument (task->fn is reused for
                                 the fiber pointer once it started: internal.h) */
    void *arg;
    ary_worker *owner;        /* the worker it runs on, and resumes on when tied */
    char *stack_lo;           /* lowest usable byte (a canary word; the guard is below) */
    size_t stack_size;        /* usable bytes from stack_lo to this record */
    struct ary_fiber *next_free; /* stack cache lists (fiber.c) */
    int request;              /* ARY_FREQ_*, set by the fiber before it switches back */
    int result;               /* the function's return value (ARY_FREQ_FINISH) */
    int saved_errno;          /* the thread's errno is restored on each resume */

    /* Wait state: reactor.c, under the lock of the worker it is registered with
     * (reg_owner), from registration to the wake. */
    int wait_kind;            /* ARY_FW_* */
    int wake_rc;              /* what the primitive returns: OK, ETIMEDOUT, ECANCELED */
    uint64_t wait_deadline;   /* the primitive's absolute deadline, ARAYON_NO_DEADLINE */
    uint64_t wait_now;        /* the primitive's reading of the clock, 0 = none */
    uint64_t when;            /* heap key: min(wait_deadline, the task's deadline) */
    uint32_t fd_slot;         /* fd waits: slot in the reactor's table, 0 = none */
    int fd;
    int events, revents;
    ary_task *await_on;       /* ARY_FW_AWAIT: the awaited task */
    _Atomic uint32_t scope_park; /* ARY_FW_SCOPE: the park word registered as the scope's
                                    waiter (ARY_PARK_FIBER until the completer claims it) */
    struct ary_fiber *await_next; /* chain of fibers awaiting tasks of one hash bucket */
    struct ary_fiber *wake_next;  /* resumes collected under the lock, posted after it */
    bool await_linked;        /* in the pool's await hash (under its await lock) */
    bool migratable;
    bool registered;          /* in the reactor's structures */
    bool guarded;             /* the page below stack_lo faults (else: a canary there) */

#ifdef ARY_ASAN
    void *asan_fake;                  /* this fiber's fake stack while switched out */
    const void *caller_bottom;        /* the stack it was entered from */
    size_t caller_size;
#endif
#ifdef ARY_TSAN
    void *tsan_fiber, *tsan_caller;
#endif

    /* Read by other workers without this fiber's registration lock: through stale heap
     * entries (reactor.c) and by a canceller. Atomic, and kept when the stack is reused
     * (ary_fiber_new clears the record only up to here). */
    _Atomic uint64_t wait_seq;          /* the current registration's number */
    _Atomic bool in_heap;               /* that registration's heap entry is live */
    _Atomic(ary_worker *) reg_owner;    /* the worker whose reactor holds its registration */
} ary_fiber;

/* The running fiber of this thread, or NULL (plain code). */
extern ARY_TLS ary_fiber *ary_tls_fiber;

/* A migratable fiber that runs other tasks on its stack (a spawn into a full pool runs
 * queued tasks, or its own task inline) stays on its worker until they return: they may
 * suspend it, and the frames below them (theirs, the runtime's) keep that worker's
 * thread-locals (docs/stress.md, fault 13). Returns what ary_fiber_unpin takes. */
static inline ary_fiber *ary_fiber_pin(void)
{
    ary_fiber *f = ary_tls_fiber;
    if (!f || !f->migratable)
        return NULL;
    f->migratable = false;
    return f;
}
static inline void ary_fiber_unpin(ary_fiber *f)
{
    if (f)
        f->migratable = true;
}

/* fiber.c */
/* A fiber for task t, on a stack from w's cache (or a new slab); NULL when no stack can be
 * mapped. */
ARY_HIDDEN ary_fiber *ary_fiber_new(ary_worker *w, ary_task *t, arayon_fn fn, void *arg);
/* Runs f on the calling thread (worker w) until it suspends or finishes; returns its
 * request (ARY_FREQ_*). Sets ary_tls_task and ary_tls_fiber around the run. */
ARY_HIDDEN int ary_fiber_enter(ary_worker *w, ary_fiber *f);
/* Inside f: switches back to its caller with the request; returns when resumed. */
ARY_HIDDEN void ary_fiber_leave(ary_fiber *f, int request);
/* A finished fiber's stack goes back to w's cache (after ary_fiber_enter returned FINISH). */
ARY_HIDDEN void ary_fiber_free(ary_worker *w, ary_fiber *f);
/* Worker exit: its cached stacks go to the pool's list. */
ARY_HIDDEN void ary_fiber_worker_exit(ary_worker *w);
/* Pool memory freed: unmap every slab. */
ARY_HIDDEN void ary_fiber_pool_free(ary_pool *p);
/* The stack size the pool's fibers use (validated config). */
ARY_HIDDEN size_t ary_fiber_stack_size(const arayon_config_t *cfg);
/* Stacks: mapped in all, and held by fibers now (metrics). */
ARY_HIDDEN void ary_fiber_stack_counts(ary_pool *p, uint64_t *total, uint64_t *in_use);

/* reactor.c */
ARY_HIDDEN int ary_reactor_get(ary_pool *p, struct ary_reactor **out); /* made on first use */
ARY_HIDDEN void ary_reactor_free(ary_pool *p);
/* After f switched out with ARY_FREQ_WAIT (its wait_* fields set): registers the wait, or
 * wakes f at once when it is already over. Called by the worker f ran on. */
ARY_HIDDEN void ary_reactor_park(ary_worker *w, ary_fiber *f);
/* Queues f's resume on its owner (or, migratable, on the pool). */
ARY_HIDDEN void ary_fiber_post_resume(ary_pool *p, ary_fiber *f);
/* Wakes the suspended fiber of task t (if it is suspended) with ARAYON_ECANCELED. */
ARY_HIDDEN void ary_reactor_cancel_task(ary_task *t);
/* A scope was cancelled, or the pool aborted: wakes every suspended task now cancelled. */
ARY_HIDDEN void ary_reactor_sweep(ary_pool *p);
/* Task t, which fibers await (ARY_T_FWAIT), finished: wakes them. */
ARY_HIDDEN void ary_reactor_task_done(ary_task *t);
/* A worker about to sleep (ary_park_sleep: ary_park_begin done, the re-checks passed): if
 * its suspended tasks wait for timers or fds, waits for them in its epoll until its earliest
 * deadline, deadline_ns (0 = none), or a claim of its park word; fires what is due.
 * Returns -1 when it did not drive (the caller sleeps as usual), else as ary_park_sleep: 0
 * when deadline_ns passed without a claim, 1 otherwise. */
ARY_HIDDEN int ary_reactor_drive(ary_worker *w, uint64_t deadline_ns);
/* A spinning worker: fires its due timers without blocking. */
ARY_HIDDEN void ary_reactor_poll(ary_worker *w);
/* Interrupts w's wait in its epoll (ary_park_claim of a worker parked as ARY_PARK_DRIVER). */
ARY_HIDDEN void ary_reactor_interrupt(ary_worker *w);

/* async.c: the primitives inside fiber f (wait.c calls them once the quick checks are
 * done): ARAYON_OK, ARAYON_ETIMEDOUT, ARAYON_ECANCELED (or ENOMEM, ESYSTEM). */
ARY_HIDDEN int ary_fiber_sleep_until(ary_fiber *f, uint64_t deadline_ns, uint64_t now);
ARY_HIDDEN int ary_fiber_await(ary_fiber *f, ary_task *t, uint64_t deadline_ns);
ARY_HIDDEN int ary_fiber_wait_fd(ary_fiber *f, int fd, int events, uint64_t deadline_ns,
                                 int *revents);
ARY_HIDDEN int ary_fiber_yield(ary_fiber *f);
/* Suspends f until the scope whose waiter is &f->scope_park is done (the completer claims
 * that park word: ary_reactor_scope_claimed). */
ARY_HIDDEN int ary_fiber_scope_wait(ary_fiber *f);
/* A scope completer claimed a park word of value ARY_PARK_FIBER. */
ARY_HIDDEN void ary_reactor_scope_claimed(_Atomic uint32_t *park);
/* Prepares w's reactor part before f registers as a scope waiter; false: none can be made. */
ARY_HIDDEN bool ary_reactor_prepare(ary_worker *w, ary_fiber *f);
ARY_HIDDEN int ary_fiber_check_config(const arayon_config_t *cfg);
ARY_HIDDEN int ary_stacks_create(ary_pool *p);

#endif
