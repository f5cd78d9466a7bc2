/*
 * reactor.c - what suspended tasks wait for, and who wakes them.
 *
 * Per worker (struct ary_wreactor, made when the worker first suspends a task), under the
 * worker's own lock: a binary min-heap with an entry for every wait of its suspended tasks
 * (keyed by the wait's deadline), their fd slots, one epoll instance for their fd waits, and
 * an eventfd to interrupt that epoll. Per pool (struct ary_reactor, made with the first
 * suspendable task), under the await lock: the hash of tasks awaiting other tasks. A wait is
 * registered once, in the worker its task ran on (fiber->reg_owner), and woken exactly once
 * (the first of: its event, its deadline, a cancellation), by whoever holds that worker's
 * lock then, which removes every registration of the fiber before it queues the resume.
 * Lock order: a worker's lock, then the await lock.
 *
 * Why per worker: a suspended task is tied to the worker it ran on, which is the only one
 * that can resume it (fiber.h). Its waits are registered by that worker (right after the task
 * switched out), and that worker drives them itself: when it has nothing to run it waits in
 * epoll_pwait2 on its own epoll until its own earliest deadline (ary_reactor_drive, from
 * ary_park_sleep), with a timer slack of 1 ns (the default 50 us slack made every 100 us
 * sleep 60 us late: shared/docs/suspendable-tasks.md section 1d). So a timer or an fd event
 * resumes its task on the thread that is woken for it, with no hand-off to another thread
 * (~10 us each on this VM, section 1e), and nobody has to elect a driver. A worker that
 * drives stays counted as a sleeper, with the park word ARY_PARK_DRIVER: the sleep protocol
 * (sleep.md) wakes it through its eventfd instead of its futex when work arrives. A spinning
 * worker fires its due timers without blocking (ary_reactor_poll). The price: a worker busy
 * with a long plain task fires nothing meanwhile; its tied tasks could not run elsewhere
 * anyway. Migratable tasks register with the worker they last ran on, like the others. And
 * workers do not contend for one lock: a worker's lock is taken by others only to cancel or
 * to wake an awaiting task.
 *
 * Stale fd events: an epoll event names a slot of the fd table and the slot's generation,
 * never a fiber pointer, so an event fetched before a wake-by-deadline removed the
 * registration is recognized and dropped.
 */
#include "fiber.h"
#include "injector.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define AWAIT_BUCKETS 1024u
#define EVENTS_PER_POLL 128
#define WAKE_AHEAD_NS 25000u /* less than the spin before a worker parks (50 us) */
#define EVFD_TOKEN UINT64_MAX

typedef struct fd_slot {
    ary_fiber *f;     /* NULL: free */
    uint32_t gen;
    uint32_t next_free;
} fd_slot;

struct ary_reactor {
    pthread_mutex_t await_lock;
    ary_fiber *await[AWAIT_BUCKETS]; /* chains through fiber->await_next */
    _Atomic uint64_t nparked;     /* registered fibers (each has a heap entry) */
};

/* A timer heap entry: see "a worker's timer heap" below. */
typedef struct tnode {
    uint64_t when;
    uint64_t seq; /* the registration's number (unique in the pool: wreactor.seq) */
    ary_fiber *f;
} tnode;

/* One worker's waits (under its lock, except as noted). */
struct ary_wreactor {
    pthread_mutex_t lock;
    tnode *heap;
    size_t n, cap;
    size_t live;                  /* entries of waits still registered */
    fd_slot *slots;               /* slot 0 unused: fd_slot 0 means "none" */
    uint32_t nslots, slots_cap, free_slot;
    uint32_t *fd_active;          /* by fd: the slot of the wait registered for it, 0 none */
    size_t fd_cap;
    uint64_t seq;                 /* registration numbers: k * ARAYON_MAX_THREADS + worker
                                     index, never 0, never reused whatever happens to the
                                     fiber records */
    unsigned index;
    int epfd, evfd;
    _Atomic uint64_t nwaits;      /* its timers in the heap + its fd registrations */
    _Atomic uint64_t next_when;   /* heap minimum, ARAYON_NO_DEADLINE when empty */
};

int ary_reactor_get(ary_pool *p, struct ary_reactor **out)
{
    struct ary_reactor *r = atomic_load_explicit(&p->reactor, memory_order_acquire);
    if (ARY_LIKELY(r)) {
        *out = r;
        return ARAYON_OK;
    }
    pthread_mutex_lock(&p->async_lock);
    r = atomic_load_explicit(&p->reactor, memory_order_relaxed);
    int rc = ARAYON_OK;
    if (!r) {
        rc = atomic_load_explicit(&p->stacks, memory_order_relaxed) ? ARAYON_OK
                                                                     : ary_stacks_create(p);
        if (rc == ARAYON_OK && !(r = calloc(1, sizeof *r)))
            rc = ARAYON_ENOMEM;
        if (r) {
            pthread_mutex_init(&r->await_lock, NULL);
            atomic_store_explicit(&p->reactor, r, memory_order_release);
        }
    }
    pthread_mutex_unlock(&p->async_lock);
    *out = r;
    return rc;
}

/* w's own part, made by w itself at its first suspension (others reach it through fibers
 * registered after it was published). NULL when it cannot be made, with *err ARAYON_ENOMEM
 * (no memory for it) or ARAYON_ESYSTEM (epoll or the eventfd): the wait then returns that
 * error, and the next suspension on w tries again. */
static struct ary_wreactor *wreactor_of(ary_worker *w, int *err)
{
    struct ary_wreactor *wr = atomic_load_explicit(&w->rx, memory_order_relaxed);
    if (ARY_LIKELY(wr))
        return wr;
    *err = ARAYON_ENOMEM;
    wr = calloc(1, sizeof *wr);
    if (!wr)
        return NULL;
    *err = ARAYON_ESYSTEM;
    wr->epfd = epoll_create1(EPOLL_CLOEXEC);
    wr->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EVFD_TOKEN};
    if (wr->epfd < 0 || wr->evfd < 0 || epoll_ctl(wr->epfd, EPOLL_CTL_ADD, wr->evfd, &ev)) {
        if (wr->epfd >= 0)
            close(wr->epfd);
        if (wr->evfd >= 0)
            close(wr->evfd);
        free(wr);
        return NULL;
    }
    atomic_init(&wr->next_when, ARAYON_NO_DEADLINE);
    /* Held for a heap push or pop: spinning a little beats sleeping on the futex. */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&wr->lock, &a);
    pthread_mutexattr_destroy(&a);
    wr->nslots = 1;
    wr->index = w->index;
    atomic_store_explicit(&w->rx, wr, memory_order_release);
    return wr;
}

void ary_reactor_free(ary_pool *p)
{
    for (unsigned i = 0; p->workers && i < p->nworkers; i++) {
        struct ary_wreactor *wr = atomic_load_explicit(&p->workers[i].rx, memory_order_relaxed);
        if (wr) {
            close(wr->epfd);
            close(wr->evfd);
            free(wr->heap);
            free(wr->slots);
            free(wr->fd_active);
            pthread_mutex_destroy(&wr->lock);
            free(wr);
            p->workers[i].rx = NULL;
        }
    }
    struct ary_reactor *r = atomic_load_explicit(&p->reactor, memory_order_relaxed);
    if (!r)
        return;
    pthread_mutex_destroy(&r->await_lock);
    free(r);
    p->reactor = NULL;
}

void ary_reactor_interrupt(ary_worker *w)
{
    struct ary_wreactor *wr = atomic_load_explicit(&w->rx, memory_order_acquire);
    if (wr) { /* (no "already armed" flag: clearing one races with the drain) */
        uint64_t one = 1;
        (void)!write(wr->evfd, &one, sizeof one);
    }
}

/* ---- a worker's timer heap (under the lock) ------------------------------------------
 *
 * Every registered wait has one entry in its worker's heap, keyed by its deadline
 * (ARAYON_NO_DEADLINE for waits without one: they never expire but the heaps are then the
 * registry that cancellation sweeps walk). Entries carry the deadline and the registration's
 * sequence number (pool-wide, so an entry left behind never matches a later registration of
 * a reused stack), so ordering them never touches a fiber; a wait that ends otherwise (an
 * event, a cancellation) only marks its fiber (in_heap = false), and its entry is dropped
 * when it reaches the top or when stale entries outnumber live ones (compaction). */

static inline bool node_live(const tnode *x)
{
    return atomic_load_explicit(&x->f->in_heap, memory_order_relaxed) &&
           atomic_load_explicit(&x->f->wait_seq, memory_order_relaxed) == x->seq;
}

static void sift_up(struct ary_wreactor *r, size_t i)
{
    tnode x = r->heap[i];
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (r->heap[up].when <= x.when)
            break;
        r->heap[i] = r->heap[up];
        i = up;
    }
    r->heap[i] = x;
}

static void sift_down(struct ary_wreactor *r, size_t i)
{
    tnode x = r->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= r->n)
            break;
        if (c + 1 < r->n && r->heap[c + 1].when < r->heap[c].when)
            c++;
        if (r->heap[c].when >= x.when)
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    r->heap[i] = x;
}

static void heap_pop(struct ary_wreactor *r)
{
    if (--r->n)
        r->heap[0] = r->heap[r->n], sift_down(r, 0);
}

/* Drops stale entries at the top, then publishes the minimum (driving reads it unlocked). */
static void publish_min(struct ary_wreactor *r)
{
    while (r->n && !node_live(&r->heap[0]))
        heap_pop(r);
    atomic_store_explicit(&r->next_when, r->n ? r->heap[0].when : ARAYON_NO_DEADLINE,
                          memory_order_release);
}

static bool heap_push(struct ary_wreactor *r, ary_fiber *f, uint64_t seq)
{
    if (r->n == r->cap && r->n > 2 * r->live) { /* mostly stale: compact instead of growing */
        size_t k = 0;
        for (size_t i = 0; i < r->n; i++)
            if (node_live(&r->heap[i]))
                r->heap[k++] = r->heap[i];
        r->n = k;
        for (size_t i = k / 2; i-- > 0;)
            sift_down(r, i);
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        tnode *h = realloc(r->heap, cap * sizeof *h);
        if (!h)
            return false;
        r->heap = h;
        r->cap = cap;
    }
    atomic_store_explicit(&f->wait_seq, seq, memory_order_relaxed);
    r->heap[r->n++] = (tnode){f->when, seq, f};
    atomic_store_explicit(&f->in_heap, true, memory_order_relaxed);
    r->live++;
    if (f->when != ARAYON_NO_DEADLINE)
        atomic_fetch_add_explicit(&r->nwaits, 1, memory_order_relaxed);
    sift_up(r, r->n - 1);
    publish_min(r);
    return true;
}

/* The wait of f ends some other way than its deadline: its entry becomes stale. */
static void heap_forget(struct ary_wreactor *r, ary_fiber *f)
{
    atomic_store_explicit(&f->in_heap, false, memory_order_relaxed);
    r->live--;
    if (f->when != ARAYON_NO_DEADLINE)
        atomic_fetch_sub_explicit(&r->nwaits, 1, memory_order_relaxed);
}

/* ---- registrations (under the lock) -------------------------------------------------- */

static inline unsigned bucket_of(const ary_task *t)
{
    return (unsigned)(((uintptr_t)t >> 6) % AWAIT_BUCKETS);
}

static uint32_t slot_alloc(struct ary_wreactor *r, ary_fiber *f)
{
    uint32_t s = r->free_slot;
    if (s) {
        r->free_slot = r->slots[s].next_free;
    } else {
        if (r->nslots >= r->slots_cap) {
            uint32_t cap = r->slots_cap ? r->slots_cap * 2 : 256;
            fd_slot *n = realloc(r->slots, cap * sizeof *n);
            if (!n)
                return 0;
            memset(n + r->slots_cap, 0, (cap - r->slots_cap) * sizeof *n);
            r->slots = n;
            r->slots_cap = cap;
        }
        s = r->nslots++;
    }
    r->slots[s].f = f;
    r->slots[s].gen++;
    return s;
}

static void slot_free(struct ary_wreactor *r, uint32_t s)
{
    r->slots[s].f = NULL;
    r->slots[s].next_free = r->free_slot;
    r->free_slot = s;
}

static inline uint64_t slot_token(struct ary_wreactor *r, uint32_t s)
{
    return (uint64_t)r->slots[s].gen << 32 | s;
}

/* Removes every registration of f (registered in wr, whose lock is held); the wait is over. */
static void unregister(struct ary_reactor *r, struct ary_wreactor *wr, ary_fiber *f)
{
    if (atomic_load_explicit(&f->in_heap, memory_order_relaxed))
        heap_forget(wr, f);
    if (f->fd_slot) { /* (stays in the epoll: register_fd) */
        wr->fd_active[f->fd] = 0;
        slot_free(wr, f->fd_slot);
        f->fd_slot = 0;
        atomic_fetch_sub_explicit(&wr->nwaits, 1, memory_order_relaxed);
    }
    if (f->wait_kind == ARY_FW_AWAIT && f->await_on) {
        pthread_mutex_lock(&r->await_lock);
        if (f->await_linked) { /* (task_done may have unlinked it already) */
            ary_fiber **pp = &r->await[bucket_of(f->await_on)];
            while (*pp && *pp != f)
                pp = &(*pp)->await_next;
            if (*pp)
                *pp = f->await_next;
            f->await_next = NULL;
            f->await_linked = false;
        }
        pthread_mutex_unlock(&r->await_lock);
    }
    if (f->registered) {
        f->registered = false;
        atomic_fetch_and_explicit(&f->task->state, ~(uint32_t)ARY_T_PARKED, memory_order_relaxed);
        atomic_fetch_sub_explicit(&r->nparked, 1, memory_order_relaxed);
    }
}

/* Ends f's wait with rc; the resume is queued after the lock is released (post_all). */
static void wake(struct ary_reactor *r, struct ary_wreactor *wr, ary_fiber *f, int rc,
                 ary_fiber **list)
{
    unregister(r, wr, f);
    f->wake_rc = rc;
    f->wake_next = *list;
    *list = f;
}

void ary_fiber_post_resume(ary_pool *p, ary_fiber *f)
{
    ary_task *t = f->task;
    ary_worker *o = f->owner;
    if (f->migratable) {
        if (ary_inject_push(&p->inj[o->node], t) == 0 &&
            atomic_load_explicit(&p->sleepers, memory_order_seq_cst))
            ary_wake_node(p, o->node);
        return;
    }
    ary_inject_push(&o->inbox, t);
    if (o != ary_tls_worker) {
        /* Pairs with the owner's park_begin + re-check of its inbox (sleep.md). */
        atomic_thread_fence(memory_order_seq_cst);
        ary_park_claim(p, &o->park);
    }
}

static void post_all(ary_pool *p, ary_fiber *list)
{
    while (list) {
        ary_fiber *next = list->wake_next;
        ary_fiber_post_resume(p, list);
        list = next;
    }
}

/* What an expired wait returns: the task's own deadline first, then the primitive's. */
static int expiry_rc(const ary_fiber *f, uint64_t now)
{
    const ary_task *t = f->task;
    if ((t->flags & ARY_TK_DEADLINE) && now >= t->deadline_ns)
        return ARAYON_ETIMEDOUT;
    return f->wait_kind == ARY_FW_SLEEP ? ARAYON_OK : ARAYON_ETIMEDOUT;
}

/* Registers an fd wait: ARAYON_OK; READY_NOW when the fd is ready as far as poll(2) is
 * concerned (a file epoll cannot watch, a closed fd: revents set); ARY_FD_SHARED when
 * another wait of this worker's tasks is registered for the fd; or an error.
 *
 * An fd stays in the worker's epoll after its wait ends (one-shot: disarmed once it fired)
 * and the next wait for it re-arms it with EPOLL_CTL_MOD: one system call per wait instead of
 * an ADD and a DEL (measured here: 3.3 us instead of 9 us from a write to the wake-up). An
 * event of an ended wait carries a stale token and is dropped. A closed fd leaves the epoll by
 * itself; a new file under the same number is not registered (MOD: ENOENT), so it is added. */
#define READY_NOW 1
static int register_fd(struct ary_wreactor *wr, ary_fiber *f)
{
    size_t fd = (size_t)f->fd;
    if (fd < wr->fd_cap && wr->fd_active[fd])
        return ARY_FD_SHARED;
    if (fd >= wr->fd_cap) {
        size_t cap = wr->fd_cap ? wr->fd_cap : 64;
        while (cap <= fd)
            cap *= 2;
        uint32_t *a = realloc(wr->fd_active, cap * sizeof *a);
        if (!a)
            return ARAYON_ENOMEM;
        memset(a + wr->fd_cap, 0, (cap - wr->fd_cap) * sizeof *a);
        wr->fd_active = a;
        wr->fd_cap = cap;
    }
    uint32_t s = slot_alloc(wr, f);
    if (!s)
        return ARAYON_ENOMEM;
    struct epoll_event ev = {.events = (uint32_t)f->events | EPOLLONESHOT,
                             .data.u64 = slot_token(wr, s)};
    int rc = epoll_ctl(wr->epfd, EPOLL_CTL_MOD, f->fd, &ev);
    if (rc != 0 && errno == ENOENT)
        rc = epoll_ctl(wr->epfd, EPOLL_CTL_ADD, f->fd, &ev);
    if (rc == 0) {
        f->fd_slot = s;
        wr->fd_active[fd] = s;
        atomic_fetch_add_explicit(&wr->nwaits, 1, memory_order_relaxed);
        return ARAYON_OK;
    }
    int e = errno;
    slot_free(wr, s);
    if (e == EPERM) { /* regular files and directories: always ready, as poll says */
        f->revents = f->events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
        return READY_NOW;
    }
    if (e == EBADF) {
        f->revents = POLLNVAL;
        return READY_NOW;
    }
    return ARAYON_ESYSTEM;
}

void ary_reactor_park(ary_worker *w, ary_fiber *f)
{
    ary_pool *p = w->pool;
    struct ary_reactor *r = atomic_load_explicit(&p->reactor, memory_order_acquire);
    int err = ARAYON_OK;
    struct ary_wreactor *wr = wreactor_of(w, &err);
    ary_task *t = f->task;
    uint64_t now = f->wait_now ? f->wait_now : aryd_now_ns();
    int rc = ARAYON_OK;
    bool done = true;
    f->revents = 0;
    if (!wr) {
        f->wake_rc = err; /* no memory, epoll or eventfd for this worker's part */
        ary_fiber_post_resume(p, f);
        return;
    }
    pthread_mutex_lock(&wr->lock);
    /* (Cancellation is looked at once the wait is published, below.) */
    if ((t->flags & ARY_TK_DEADLINE) && now >= t->deadline_ns) {
        rc = ARAYON_ETIMEDOUT;
    } else if (f->wait_kind == ARY_FW_SCOPE &&
               atomic_load_explicit(&f->scope_park, memory_order_acquire) != ARY_PARK_FIBER) {
        rc = ARAYON_OK; /* the scope's completer claimed it already (it found us not yet
                           registered: ary_reactor_scope_claimed, under this lock) */
    } else if (now >= f->wait_deadline) {
        rc = f->wait_kind == ARY_FW_SLEEP ? ARAYON_OK : ARAYON_ETIMEDOUT;
        if (f->wait_kind == ARY_FW_AWAIT && arayon_task_poll(f->await_on) == ARAYON_OK)
            rc = ARAYON_OK;
    } else {
        done = false;
        f->when = f->wait_deadline;
        if ((t->flags & ARY_TK_DEADLINE) && t->deadline_ns < f->when)
            f->when = t->deadline_ns;
        if (f->wait_kind == ARY_FW_FD) {
            int frc = register_fd(wr, f);
            if (frc != ARAYON_OK) {
                rc = frc == READY_NOW ? ARAYON_OK : frc;
                done = true;
            }
        }
        if (!done && !heap_push(wr, f, (wr->seq += ARAYON_MAX_THREADS) + wr->index + 1)) {
            unregister(r, wr, f);
            rc = ARAYON_ENOMEM;
            done = true;
        }
        if (!done && f->wait_kind == ARY_FW_AWAIT) {
            /* The FWAIT bit and the link under the await lock: a task that finishes after
             * the bit is set takes that lock after the link (ary_reactor_task_done), and
             * then reads reg_owner to find this worker's lock: so reg_owner is set before
             * the link (it was set after, and a finisher in between read NULL, or a
             * migratable task's previous worker, and crashed or lost the wake). */
            atomic_store_explicit(&f->reg_owner, w, memory_order_relaxed);
            pthread_mutex_lock(&r->await_lock);
            if (atomic_fetch_or_explicit(&f->await_on->state, ARY_T_FWAIT, memory_order_acq_rel) &
                ARY_T_DONE) {
                rc = ARAYON_OK;
                done = true;
            } else {
                unsigned b = bucket_of(f->await_on);
                f->await_next = r->await[b];
                r->await[b] = f;
                f->await_linked = true;
            }
            pthread_mutex_unlock(&r->await_lock);
            if (done)
                unregister(r, wr, f);
        }
        if (!done) {
            f->registered = true;
            atomic_store_explicit(&f->reg_owner, w, memory_order_relaxed);
            /* Published, then cancellation looked at again: a canceller sets its flag and
             * then looks for PARKED (the task's handle) or nparked (a sweep), so one of the
             * two sees the other. PARKED also publishes task->fiber and reg_owner. */
            atomic_fetch_or_explicit(&t->state, ARY_T_PARKED, memory_order_seq_cst);
            atomic_fetch_add_explicit(&r->nparked, 1, memory_order_seq_cst);
            atomic_thread_fence(memory_order_seq_cst);
            if (ary_task_cancelled(t)) {
                ary_fiber *list = NULL;
                wake(r, wr, f, ARAYON_ECANCELED, &list);
                done = true;
                rc = ARAYON_ECANCELED;
            }
        }
    }
    pthread_mutex_unlock(&wr->lock);
    if (done) {
        f->wake_rc = rc;
        ary_fiber_post_resume(p, f);
    }
}

bool ary_reactor_prepare(ary_worker *w, ary_fiber *f)
{
    int err;
    if (!wreactor_of(w, &err))
        return false;
    atomic_store_explicit(&f->reg_owner, w, memory_order_release);
    return true;
}

void ary_reactor_scope_claimed(_Atomic uint32_t *park)
{
    ary_fiber *f = (ary_fiber *)((char *)park - offsetof(ary_fiber, scope_park));
    /* The fiber set reg_owner to its worker before it registered the park word, and a task
     * waiting for a scope is tied to that worker until the scope is done (it cannot resume
     * elsewhere before this wake). Under that worker's lock: either the fiber is registered
     * for the scope (wake it), or its registration has not looked yet and will find the park
     * word claimed. */
    ary_worker *o = atomic_load_explicit(&f->reg_owner, memory_order_acquire);
    struct ary_wreactor *wr = atomic_load_explicit(&o->rx, memory_order_acquire);
    ary_pool *p = o->pool;
    struct ary_reactor *r = atomic_load_explicit(&p->reactor, memory_order_acquire);
    ary_fiber *list = NULL;
    pthread_mutex_lock(&wr->lock);
    if (f->registered && f->wait_kind == ARY_FW_SCOPE)
        wake(r, wr, f, ARAYON_OK, &list);
    pthread_mutex_unlock(&wr->lock);
    post_all(p, list);
}

void ary_reactor_cancel_task(ary_task *t)
{
    ary_pool *p = ary_task_pool(t);
    struct ary_reactor *r = atomic_load_explicit(&p->reactor, memory_order_acquire);
    if (!r)
        return;
    /* PARKED is set and cleared under the lock of the worker the task is registered with;
     * find that worker through the fiber, then check again under its lock (a migratable
     * task may have moved meanwhile: then look again). */
    while (atomic_load_explicit(&t->state, memory_order_seq_cst) & ARY_T_PARKED) {
        ary_fiber *f = t->fiber;
        ary_worker *o = atomic_load_explicit(&f->reg_owner, memory_order_relaxed);
        struct ary_wreactor *wr = o ? atomic_load_explicit(&o->rx, memory_order_acquire) : NULL;
        if (!wr)
            return;
        ary_fiber *list = NULL;
        bool moved = false;
        pthread_mutex_lock(&wr->lock);
        if (atomic_load_explicit(&t->state, memory_order_relaxed) & ARY_T_PARKED) {
            if (atomic_load_explicit(&f->reg_owner, memory_order_relaxed) == o)
                wake(r, wr, f, ARAYON_ECANCELED, &list);
            else
                moved = true;
        }
        pthread_mutex_unlock(&wr->lock);
        post_all(p, list);
        if (!moved)
            return;
    }
}

void ary_reactor_sweep(ary_pool *p)
{
    struct ary_reactor *r = atomic_load_explicit(&p->reactor, memory_order_acquire);
    if (!r || !atomic_load_explicit(&r->nparked, memory_order_seq_cst)) /* (see park) */
        return;
    for (unsigned i = 0; i < p->nworkers; i++) { /* every registered wait has a heap entry */
        struct ary_wreactor *wr = atomic_load_explicit(&p->workers[i].rx, memory_order_acquire);
        if (!wr)
            continue;
        ary_fiber *list = NULL;
        pthread_mutex_lock(&wr->lock);
        for (size_t k = 0; k < wr->n; k++) { /* (wake leaves the array as it is) */
            ary_fiber *f = wr->heap[k].f;
            if (node_live(&wr->heap[k]) && ary_task_cancelled(f->task))
                wake(r, wr, f, ARAYON_ECANCELED, &list);
        }
        pthread_mutex_unlock(&wr->lock);
        post_all(p, list);
    }
}

#define DONE_BATCH 64

void ary_reactor_task_done(ary_task *t)
{
    ary_pool *p = ary_task_pool(t);
    struct ary_reactor *r = atomic_load_explicit(&p->reactor, memory_order_acquire);
    if (!r)
        return;
    /* Unlink the awaiters under the await lock, then wake each under its worker's lock (the
     * lock order is worker, then await). An awaiter woken meanwhile by its deadline is no
     * longer registered for t and is left alone. */
    for (;;) {
        ary_fiber *batch[DONE_BATCH];
        unsigned n = 0;
        pthread_mutex_lock(&r->await_lock);
        ary_fiber **pp = &r->await[bucket_of(t)];
        while (*pp && n < DONE_BATCH) {
            ary_fiber *f = *pp;
            if (f->await_on == t) {
                *pp = f->await_next;
                f->await_next = NULL;
                f->await_linked = false;
                batch[n++] = f;
            } else {
                pp = &f->await_next;
            }
        }
        pthread_mutex_unlock(&r->await_lock);
        for (unsigned i = 0; i < n; i++) {
            ary_fiber *f = batch[i], *list = NULL;
            ary_worker *o = atomic_load_explicit(&f->reg_owner, memory_order_relaxed);
            struct ary_wreactor *wr = atomic_load_explicit(&o->rx, memory_order_acquire);
            pthread_mutex_lock(&wr->lock);
            if (f->registered && atomic_load_explicit(&f->reg_owner, memory_order_relaxed) == o &&
                f->wait_kind == ARY_FW_AWAIT && f->await_on == t)
                wake(r, wr, f, ARAYON_OK, &list);
            pthread_mutex_unlock(&wr->lock);
            post_all(p, list);
        }
        if (n < DONE_BATCH)
            return;
    }
}

/* Fires what is due on one worker: the fd events in ev[0..n) and the expired deadlines. */
static void process(struct ary_reactor *r, struct ary_wreactor *wr, struct epoll_event *ev,
                    int n, uint64_t now, ary_fiber **list)
{
    for (int i = 0; i < n; i++) {
        uint64_t tok = ev[i].data.u64;
        if (tok == EVFD_TOKEN) {
            uint64_t v;
            while (read(wr->evfd, &v, sizeof v) > 0)
                ;
            continue;
        }
        uint32_t s = (uint32_t)tok;
        if (s < wr->nslots && wr->slots[s].f && slot_token(wr, s) == tok) {
            ary_fiber *f = wr->slots[s].f;
            f->revents = (int)(ev[i].events & 0xffff);
            wake(r, wr, f, ARAYON_OK, list);
        }
    }
    while (wr->n && wr->heap[0].when <= now) {
        tnode top = wr->heap[0];
        heap_pop(wr);
        if (node_live(&top))
            wake(r, wr, top.f, expiry_rc(top.f, now), list);
    }
    publish_min(wr);
}

void ary_reactor_poll(ary_worker *w)
{
    struct ary_wreactor *wr = atomic_load_explicit(&w->rx, memory_order_relaxed);
    if (!wr)
        return;
    uint64_t now = aryd_now_ns();
    if (atomic_load_explicit(&wr->next_when, memory_order_acquire) > now)
        return;
    ary_pool *p = w->pool;
    struct ary_reactor *r = atomic_load_explicit(&p->reactor, memory_order_acquire);
    ary_fiber *list = NULL;
    pthread_mutex_lock(&wr->lock);
    process(r, wr, NULL, 0, now, &list);
    pthread_mutex_unlock(&wr->lock);
    post_all(p, list);
}

int ary_reactor_drive(ary_worker *w, uint64_t deadline_ns)
{
    struct ary_wreactor *wr = atomic_load_explicit(&w->rx, memory_order_relaxed);
    if (!wr || !atomic_load_explicit(&wr->nwaits, memory_order_acquire))
        return -1;
    ary_pool *p = w->pool;
    struct ary_reactor *r = atomic_load_explicit(&p->reactor, memory_order_acquire);
    if (ARY_UNLIKELY(!w->slack_set)) {
        prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
        w->slack_set = true;
    }
    /* Still parked (nobody claimed us since ary_park_begin): wait in epoll, counted as a
     * sleeper whose wake-up is the eventfd. Otherwise only look. Only this worker adds to
     * its heap, so the minimum read here can only move later while we wait. */
    uint32_t one = ARY_PARK_WORKER;
    bool parked = atomic_compare_exchange_strong_explicit(&w->park, &one, ARY_PARK_DRIVER,
                                                          memory_order_acq_rel,
                                                          memory_order_relaxed);
    uint64_t until = atomic_load_explicit(&wr->next_when, memory_order_acquire);
    if (deadline_ns && deadline_ns < until)
        until = deadline_ns;
    struct epoll_event ev[EVENTS_PER_POLL];
    int n;
    bool claimed = !parked;
    if (parked) {
        ARY_STAT(&w->c.parks, 1);
        uint64_t now = aryd_now_ns();
        ary_idle_begin(&w->c, now);
        struct timespec ts = {0, 0}, *tp = NULL;
        if (until != ARAYON_NO_DEADLINE) {
            /* Wake WAKE_AHEAD_NS early: the worker then spins (worker.c, spin_for_work) and
             * fires the timer on time; epoll_pwait2 itself wakes 10-30 us late here. */
            uint64_t left = until > now + WAKE_AHEAD_NS ? until - now - WAKE_AHEAD_NS : 0;
            ts.tv_sec = (time_t)(left / 1000000000u);
            ts.tv_nsec = (long)(left % 1000000000u);
            tp = &ts;
        }
        n = epoll_pwait2(wr->epfd, ev, EVENTS_PER_POLL, tp, NULL);
        if (n < 0 && errno == ENOSYS) { /* kernels before 5.11: ms resolution, rounded up */
            int ms = -1;
            if (tp) {
                uint64_t m = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + 999999u) /
                             1000000u;
                ms = m > INT_MAX ? INT_MAX : (int)m;
            }
            n = epoll_wait(wr->epfd, ev, EVENTS_PER_POLL, ms);
        }
        claimed = !ary_park_cancel_driver(p, w);
    } else {
        n = epoll_wait(wr->epfd, ev, EVENTS_PER_POLL, 0);
    }
    if (n < 0)
        n = 0;
    ary_fiber *list = NULL;
    pthread_mutex_lock(&wr->lock);
    process(r, wr, ev, n, aryd_now_ns(), &list);
    pthread_mutex_unlock(&wr->lock);
    bool busy = list != NULL;
    post_all(p, list);
    return claimed || busy || !deadline_ns || aryd_now_ns() < deadline_ns;
}
