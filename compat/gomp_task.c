/*
 * gomp_task.c - gcc's tasks: GOMP_task, taskwait (with and without dependences), taskyield,
 * taskgroups, GOMP_taskloop(_ull), and gcc's task reductions (taskgroup task_reduction,
 * in_reduction, taskloop reduction, parallel reduction(task, ...)).
 *
 * A gcc task is a clang-layer task (kmp_task.c) whose routine is gomp_task_entry: the block
 * holds the kmp_task_t, gcc's fn and, aligned as gcc asks, the copy of its data block
 * (copied by cpyfn when gcc gives one, else memcpy). Everything after allocation (queueing
 * under admission control, final/included rules, dependences, detach, cancellation, the
 * counts that taskwait, taskgroups and barriers wait on) is the clang layer's.
 *
 * Dependences arrive as gcc's address array, in one of two formats:
 *   old: [0] = n, [1] = n_out (out/inout first), then n addresses;
 *   new: [0] = 0, [1] = n, [2] = n_out, [3] = n_mutexinoutset, [4] = n_in, then the
 *        addresses in that order, then pointers to depobj objects ({address, kind}) for the
 *        rest of the n entries.
 * They become clang's kmp_depend_info records (matching by address, as both runtimes do).
 *
 * Task reductions. gcc hands the runtime a descriptor (uintptr_t words): [0] the item count,
 * [1] the size of one thread's chunk, [2] the chunk alignment, replaced here by the array of
 * nthreads zeroed chunks, [4] the next descriptor of the same registration (here: then the
 * previous registrations of the group), [5] nonzero on the first descriptor of each
 * registration, [6] the end of the array; per item i, [7+3i] its original address, [8+3i]
 * its offset in a chunk, [9+3i] the team that registered it. The compiler initializes and
 * combines the chunks itself (chunk k belongs to the thread numbered k in that team), so
 * remapping is all the runtime does for a task: original (or an earlier private) address ->
 * this thread's chunk.
 */
#include "gomp.h"
#include "kmp_task.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long gomp_ull;

static void fatal(const char *what)
{
    fprintf(stderr, "arayon: %s\n", what);
    abort();
}

/* ---- the task block ---- */

typedef struct gomp_kt {
    kmp_task_t kt;
    void (*fn)(void *);
    uint32_t arg_off; /* gcc's data copy, from the kmp_task_t */
} gomp_kt;

static kmp_int32 gomp_task_entry(kmp_int32 gtid, kmp_task_t *kt)
{
    (void)gtid;
    gomp_kt *g = (gomp_kt *)kt;
    g->fn((char *)kt + g->arg_off);
    return 0;
}

/* A task of fn on a copy of data; *parg: the copy. NULL when there is no memory for the
 * block: the callers run the task at once instead, undeferred (any task may be), in place
 * (docs/design/openmp-compat.md, "Running out of memory"); a detached one cannot be: fatal. */
static kmp_task_t *gomp_task_new(void (*fn)(void *), void *data,
                                 void (*cpyfn)(void *, void *), long arg_size, long arg_align,
                                 bool final, void *detach, char **parg)
{
    if (arg_align < 1)
        arg_align = 1;
    if (arg_size < 0)
        arg_size = 0;
    if ((size_t)arg_size > UINT32_MAX / 2 || (size_t)arg_align > 4096)
        fatal("GOMP_task: data block too large or alignment too big");
    kmp_task_t *kt = kmpx_task_try_alloc(final ? 0x02 : 0,
                                         sizeof(gomp_kt) + (size_t)arg_align - 1 +
                                             (size_t)arg_size,
                                         gomp_task_entry);
    if (!kt) {
        if (detach)
            kmpx_task_oom("the task");
        return NULL;
    }
    gomp_kt *g = (gomp_kt *)kt;
    uintptr_t a = ((uintptr_t)(g + 1) + (uintptr_t)arg_align - 1) & ~((uintptr_t)arg_align - 1);
    char *arg = (char *)a;
    g->fn = fn;
    g->arg_off = (uint32_t)(arg - (char *)kt);
    if (detach) {
        /* gcc keeps the event in the data block's first word as well */
        void *ev = __kmpc_task_allow_completion_event(NULL, 0, kt);
        *(void **)detach = ev;
        if (data)
            *(void **)data = ev;
    }
    if (cpyfn)
        cpyfn(arg, data);
    else if (arg_size)
        memcpy(arg, data, (size_t)arg_size);
    *parg = arg;
    return kt;
}

/* ---- dependences ---- */

enum { GDEP_IN = 1, GDEP_OUT = 2, GDEP_INOUT = 3, GDEP_MTX = 4, GDEP_INOUTSET = 5 };

static uint8_t kind_flags(uintptr_t kind)
{
    switch (kind) {
    case GDEP_IN:
        return KMPX_DEP_IN;
    case GDEP_MTX:
        return KMPX_DEP_MTX;
    default: /* out, inout; inoutset is ordered like inout (correct, less concurrent) */
        return KMPX_DEP_IN | KMPX_DEP_OUT;
    }
}

typedef struct deps {
    kmp_depend_info *list;
    kmp_int32 n;
    kmp_depend_info small[8];
} deps;

static void deps_convert(void **depend, deps *d)
{
    size_t n, nout, nmtx = 0, normal, base;
    if ((uintptr_t)depend[0]) {
        n = (uintptr_t)depend[0];
        nout = (uintptr_t)depend[1];
        normal = n;
        base = 2;
    } else {
        n = (uintptr_t)depend[1];
        nout = (uintptr_t)depend[2];
        nmtx = (uintptr_t)depend[3];
        normal = nout + nmtx + (uintptr_t)depend[4];
        base = 5;
    }
    if (n > INT32_MAX)
        fatal("a task with more than 2^31 dependences");
    d->list = d->small;
    if (n > sizeof d->small / sizeof d->small[0] && !(d->list = malloc(n * sizeof *d->list)))
        fatal("out of memory for a task's dependences");
    for (size_t i = 0; i < n; i++) {
        kmp_depend_info *e = &d->list[i];
        e->len = 0;
        if (i < normal) {
            e->base_addr = (intptr_t)depend[base + i];
            e->flags = i < nout ? kind_flags(GDEP_INOUT) : i < nout + nmtx ? KMPX_DEP_MTX
                                                                          : KMPX_DEP_IN;
        } else { /* depobj: {address, kind} */
            void **obj = depend[base + i];
            e->base_addr = (intptr_t)obj[0];
            e->flags = kind_flags((uintptr_t)obj[1]);
        }
    }
    d->n = (kmp_int32)n;
}

static void deps_free(deps *d)
{
    if (d->list != d->small)
        free(d->list);
}

/* ---- tasks ---- */

static bool cancelled_here(void)
{
    return ARY_UNLIKELY(kmpx_set.cancellation) && __kmpc_cancellationpoint(NULL, 0, 4);
}

/* An undeferred task (if(0)): runs now, after its dependences; a detached one is not done
 * before its event is fulfilled, and gcc's creator waits for that (running other tasks). */
static void run_undeferred(kmpx_thread *th, kmp_task_t *kt)
{
    kmpx_task *t = kmpx_td(kt);
    bool detached = (t->flags & KMPX_TF_DETACH) != 0;
    if (detached)
        kmpx_task_ref(t);
    kmpx_task_run_undeferred(th, t);
    if (detached) {
        while (atomic_load_explicit(&t->runs, memory_order_acquire) != 0)
            if (!th->worker || !ary_run_one(th->worker))
                sched_yield();
        kmpx_task_unref(t);
    }
}

/* fn on a copy of the data made by gcc's copy function: its own frame, so that the common
 * case (no copy) keeps run_in_place small (these frames nest, one per task run in place). */
static ARY_NOINLINE void run_copied(void (*fn)(void *), void *data,
                                    void (*cpyfn)(void *, void *), long arg_size, long arg_align)
{
    size_t align = arg_align > 0 ? (size_t)arg_align : 1;
    size_t size = arg_size > 0 ? (size_t)arg_size : 0;
    _Alignas(64) char small[256];
    char *buf = size + align <= sizeof small ? small : malloc(size + align);
    if (!buf)
        fatal("out of memory for an undeferred task's data");
    char *arg = (char *)(((uintptr_t)buf + align - 1) & ~(uintptr_t)(align - 1));
    cpyfn(arg, data);
    fn(arg);
    if (buf != small)
        free(buf);
}

/* A task without dependences or detach that runs at once (if(0), included, or the pool is
 * full): on a descriptor in this frame, fn on the caller's data (or on a copy when gcc gives
 * a copy function), as libgomp runs its undeferred tasks; no block, no queueing. These
 * frames nest (a task run in place creates tasks that run in place): keep them small, and
 * see ary_stack_low for when the throttled case queues instead. */
static void run_in_place(kmpx_thread *th, void (*fn)(void *), void *data,
                         void (*cpyfn)(void *, void *), long arg_size, long arg_align, bool final)
{
    kmpx_task *parent = th->task, self;
    kmpx_task_init_implicit(&self, parent, parent->team); /* (kmpx_task_included) */
    self.tg = parent->cur_tg ? parent->cur_tg : parent->tg;
    if (final || (parent->flags & KMPX_TF_FINAL))
        self.flags |= KMPX_TF_FINAL;
    th->task = &self;
    if (!cpyfn)
        fn(data);
    else
        run_copied(fn, data, cpyfn, arg_size, arg_align);
    th->task = parent;
    kmpx_task_end_included(&self);
}

KMPX_API void GOMP_taskwait_depend(void **depend);

/* A taskloop chunk without a block (no memory): at once, in place, on a copy of the data in
 * this frame whose first two words are the chunk's bounds. */
static ARY_NOINLINE void run_chunk_in_place(kmpx_thread *th, void (*fn)(void *), void *data,
                                            void (*cpyfn)(void *, void *), long arg_size,
                                            long arg_align, bool final, uint64_t lo, uint64_t hi)
{
    size_t align = arg_align > 0 ? (size_t)arg_align : 1;
    size_t size = arg_size > 0 ? (size_t)arg_size : 0;
    if (size < 2 * sizeof(uint64_t))
        size = 2 * sizeof(uint64_t);
    _Alignas(64) char small[512];
    char *buf = size + align <= sizeof small ? small : malloc(size + align);
    if (!buf)
        fatal("out of memory for an undeferred task's data");
    char *arg = (char *)(((uintptr_t)buf + align - 1) & ~(uintptr_t)(align - 1));
    if (cpyfn)
        cpyfn(arg, data);
    else
        memcpy(arg, data, arg_size > 0 ? (size_t)arg_size : 0);
    ((uint64_t *)(void *)arg)[0] = lo;
    ((uint64_t *)(void *)arg)[1] = hi;
    run_in_place(th, fn, arg, NULL, 0, 0, final);
    if (buf != small)
        free(buf);
}

/* GOMP_task with dependences or detach: a task block (its own frame: the dependence list
 * stays out of GOMP_task's, which nests when tasks run in place). */
static ARY_NOINLINE void task_with_deps(kmpx_thread *th, void (*fn)(void *), void *data,
                                        void (*cpyfn)(void *, void *), long arg_size,
                                        long arg_align, bool if_clause, unsigned flags,
                                        void **depend, void *detach)
{
    char *arg;
    kmp_task_t *kt = gomp_task_new(fn, data, cpyfn, arg_size, arg_align,
                                   (flags & GOMPX_TASK_FINAL) != 0,
                                   (flags & GOMPX_TASK_DETACH) ? detach : NULL, &arg);
    if (ARY_UNLIKELY(!kt)) { /* no memory (not detached): undeferred, after its dependences */
        if ((flags & GOMPX_TASK_DEPEND) && depend)
            GOMP_taskwait_depend(depend);
        run_in_place(th, fn, data, cpyfn, arg_size, arg_align, (flags & GOMPX_TASK_FINAL) != 0);
        return;
    }
    if (ARY_LIKELY(!(flags & GOMPX_TASK_DEPEND) || !depend)) {
        if (ARY_LIKELY(if_clause))
            __kmpc_omp_task(NULL, 0, kt);
        else
            run_undeferred(th, kt);
        return;
    }
    deps d;
    deps_convert(depend, &d);
    if (if_clause) {
        __kmpc_omp_task_with_deps(NULL, 0, kt, d.n, d.list, 0, NULL);
    } else {
        __kmpc_omp_wait_deps(NULL, 0, d.n, d.list, 0, NULL);
        run_undeferred(th, kt);
    }
    deps_free(&d);
}

KMPX_API void GOMP_task(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *),
                        long arg_size, long arg_align, bool if_clause, unsigned flags,
                        void **depend, int priority, void *detach);
void GOMP_task(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *), long arg_size,
               long arg_align, bool if_clause, unsigned flags, void **depend, int priority,
               void *detach)
{
    (void)priority; /* a hint; all priorities are equal here (kmp_task.c) */
    kmpx_thread *th = kmpx_self();
    if (cancelled_here())
        return;
    bool final = (flags & GOMPX_TASK_FINAL) != 0;
    if (ARY_LIKELY(!(flags & (GOMPX_TASK_DEPEND | GOMPX_TASK_DETACH)))) {
        ary_worker *w = th->worker;
        if (!if_clause || !w || th->team->nthreads == 1 || (th->task->flags & KMPX_TF_FINAL) ||
            ARY_UNLIKELY(kmpx_task_foreign(th))) { /* (kmpx_task_included) */
            run_in_place(th, fn, data, cpyfn, arg_size, arg_align, final);
            return;
        }
        char *arg;
        kmp_task_t *kt;
        bool credit = ary_credit_take(w), low = !credit && ary_stack_low();
        if (ARY_LIKELY(credit) || ARY_UNLIKELY(low)) {
            if (low) /* throttled, but no stack to run it here */
                ary_credit_force(w);
            if (ARY_UNLIKELY(!kmpx_task_countable(th->task) ||
                             !(kt = gomp_task_new(fn, data, cpyfn, arg_size, arg_align, final,
                                                  NULL, &arg)))) {
                if (low) /* out of memory and of stack: nowhere to run it */
                    kmpx_task_oom("the task");
                ary_credit_return(w); /* out of memory: runs here, undeferred */
                run_in_place(th, fn, data, cpyfn, arg_size, arg_align, final);
                return;
            }
            kmpx_task *t = kmpx_td(kt);
            atomic_store_explicit(&t->runs, 1, memory_order_relaxed); /* its one execution */
            kmpx_task_push(th, t);
            return;
        }
        if (kmpx_pool->cfg.full_policy != ARAYON_FULL_BLOCK) { /* throttled: runs here */
            ary_count_inline_start(w);
            run_in_place(th, fn, data, cpyfn, arg_size, arg_align, final);
            ary_count_inline_done(w);
            return;
        }
        /* the blocking policy: __kmpc_omp_task waits for room */
        if (!(kt = gomp_task_new(fn, data, cpyfn, arg_size, arg_align, final, NULL, &arg)))
            run_in_place(th, fn, data, cpyfn, arg_size, arg_align, final); /* no memory */
        else
            __kmpc_omp_task(NULL, 0, kt);
        return;
    }
    task_with_deps(th, fn, data, cpyfn, arg_size, arg_align, if_clause, flags, depend, detach);
}

KMPX_API void GOMP_taskwait(void);
void GOMP_taskwait(void) { __kmpc_omp_taskwait(NULL, 0); }

void GOMP_taskwait_depend(void **depend)
{
    kmpx_self();
    if (!depend)
        return;
    deps d;
    deps_convert(depend, &d);
    __kmpc_omp_wait_deps(NULL, 0, d.n, d.list, 0, NULL);
    deps_free(&d);
}

KMPX_API void GOMP_taskyield(void);
void GOMP_taskyield(void) { __kmpc_omp_taskyield(NULL, 0, 0); }

KMPX_API void GOMP_taskgroup_start(void);
void GOMP_taskgroup_start(void) { __kmpc_taskgroup(NULL, 0); }

KMPX_API void GOMP_taskgroup_end(void);
void GOMP_taskgroup_end(void) { __kmpc_end_taskgroup(NULL, 0); }

/* ---- task reductions ---- */

uintptr_t *gompx_reductions(kmpx_thread *th)
{
    kmpx_taskgroup *g = th->task->cur_tg ? th->task->cur_tg : th->task->tg;
    return g ? g->gred : NULL;
}

/* Allocates the chunks of every descriptor of the registration `data` for nthreads threads
 * of team and chains the registration in front of `older`. */
static void reduction_register(uintptr_t *data, uintptr_t *older, int nthreads, kmpx_team *team)
{
    for (uintptr_t *d = data;;) {
        uintptr_t *next = (uintptr_t *)d[4];
        size_t align = d[2] > sizeof(void *) ? (size_t)d[2] : sizeof(void *);
        if (align & (align - 1))
            fatal("task reduction with an alignment that is not a power of two");
        size_t size = (size_t)d[1] * (size_t)nthreads;
        size_t alloc = (size ? size + align - 1 : align) & ~(align - 1);
        void *p = aligned_alloc(align, alloc);
        if (!p)
            fatal("out of memory for task reduction copies");
        memset(p, 0, alloc);
        d[2] = (uintptr_t)p;
        d[5] = d == data;
        d[6] = (uintptr_t)p + size;
        for (uintptr_t i = 0; i < d[0]; i++)
            d[9 + 3 * i] = (uintptr_t)team;
        if (!next) {
            d[4] = (uintptr_t)older;
            break;
        }
        d = next;
    }
}

KMPX_API void GOMP_taskgroup_reduction_register(uintptr_t *data);
void GOMP_taskgroup_reduction_register(uintptr_t *data)
{
    kmpx_thread *th = kmpx_self();
    kmpx_taskgroup *g = th->task->cur_tg;
    if (!g)
        fatal("GOMP_taskgroup_reduction_register outside a taskgroup");
    reduction_register(data, g->gred, th->team->nthreads, th->team);
    g->gred = data;
}

KMPX_API void GOMP_taskgroup_reduction_unregister(uintptr_t *data);
void GOMP_taskgroup_reduction_unregister(uintptr_t *data)
{
    uintptr_t *d = data;
    do {
        free((void *)d[2]);
        d = (uintptr_t *)d[4];
    } while (d && !d[5]);
}

/* The number of th in team: its tid there (tasks of a team run on its members). */
static uintptr_t member_number(kmpx_thread *th, kmpx_team *team)
{
    if (!team || th->team == team)
        return (uintptr_t)th->tid;
    for (int k = 0; k < team->nthreads; k++)
        if (team->members[k] && team->members[k] == th->worker)
            return (uintptr_t)k;
    fatal("a task with in_reduction ran on a thread outside the team that registered it");
    return 0;
}

KMPX_API void GOMP_task_reduction_remap(size_t cnt, size_t cntorig, void **ptrs);
void GOMP_task_reduction_remap(size_t cnt, size_t cntorig, void **ptrs)
{
    kmpx_thread *th = kmpx_self();
    uintptr_t *chain = gompx_reductions(th);
    for (size_t i = 0; i < cnt; i++) {
        uintptr_t p = (uintptr_t)ptrs[i], *hit = NULL, item = 0;
        for (uintptr_t *d = chain; d && !hit; d = (uintptr_t *)d[4])
            for (uintptr_t j = 0; j < d[0]; j++)
                if (d[7 + 3 * j] == p) {
                    hit = d, item = j;
                    break;
                }
        /* an address inside some thread's chunk: the same item, by its offset */
        for (uintptr_t *d = chain; d && !hit; d = (uintptr_t *)d[4]) {
            if (p < d[2] || p >= d[6] || !d[1])
                continue;
            uintptr_t off = (p - d[2]) % d[1];
            for (uintptr_t j = 0; j < d[0]; j++)
                if (d[8 + 3 * j] == off) {
                    hit = d, item = j;
                    break;
                }
        }
        if (!hit)
            fatal("GOMP_task_reduction_remap: an in_reduction item with no task_reduction "
                  "registered for it");
        uintptr_t id = member_number(th, (kmpx_team *)hit[9 + 3 * item]);
        ptrs[i] = (void *)(hit[2] + id * hit[1] + hit[8 + 3 * item]);
        if (i < cntorig)
            ptrs[cnt + i] = (void *)hit[7 + 3 * item];
    }
}

/* ---- worksharing constructs with task reductions or a shared buffer ----
 *
 * `for`/`sections`/`scope` with reduction(task, ...), and loops with lastprivate(conditional:)
 * or scan (gcc's `mem`: a zeroed team-wide buffer of the size *mem asks for), need a record
 * the first member to arrive makes and the others pick up. Members number these constructs
 * in the order they meet them (like singles); the first to claim number k makes the record
 * and publishes it once every member has picked up number k-1's (so a member running ahead
 * cannot overwrite a record another still has to read). The record lives until every member
 * has released it at the construct's end.
 *
 * Task reductions: each member opens a taskgroup for the construct; the first registers its
 * descriptor (reduction_register: one zeroed chunk per member); the others give their own
 * copy of the descriptor the same array. The construct's barrier waits for the tasks; the
 * compiler's code on member 0 combines the chunks; GOMP_workshare_task_reduction_unregister
 * then ends each member's taskgroup, member 0 frees the array, and all meet at a barrier. */
typedef struct gompx_share {
    uintptr_t *red;          /* the first member's registered descriptor, or NULL */
    void *mem;               /* the shared buffer, or NULL */
    _Atomic uint32_t refs;   /* members that have not released it */
} gompx_share;

static bool share_ready(kmpx_team *team, uint64_t k)
{
    return atomic_load_explicit(&team->share_ready, memory_order_acquire) > k;
}

static void wait_for(bool (*ok)(kmpx_team *, uint64_t), kmpx_team *team, uint64_t k)
{
    for (unsigned spins = 0; !ok(team, k); spins++) {
        if (spins < 256)
            aryd_cpu_relax();
        else
            aryd_yield();
    }
}

static bool all_seen(kmpx_team *team, uint64_t k)
{
    (void)k;
    return atomic_load_explicit(&team->share_seen, memory_order_acquire) ==
           (uint32_t)team->nthreads - 1;
}

/* Gives a member's copy of the descriptors (same shape as the first's) the first's arrays. */
static void reduction_adopt(uintptr_t *mine, const uintptr_t *first, uintptr_t *older)
{
    for (uintptr_t *d = mine; d; first = (const uintptr_t *)first[4]) {
        uintptr_t *next = (uintptr_t *)d[4];
        d[2] = first[2];
        d[5] = first[5];
        d[6] = first[6];
        for (uintptr_t i = 0; i < d[0]; i++)
            d[9 + 3 * i] = first[9 + 3 * i];
        if (!next) {
            d[4] = (uintptr_t)older;
            break;
        }
        d = next;
    }
}

void gompx_ws_begin(kmpx_thread *th, uintptr_t *reductions, void **mem)
{
    if (!reductions && !mem)
        return;
    kmpx_team *team = th->team;
    kmpx_taskgroup *g = NULL;
    if (reductions) {
        __kmpc_taskgroup(NULL, 0);
        g = th->task->cur_tg;
    }
    uint64_t k = th->share_count++, expect = k;
    kmpx_team_mark_used(team, KMPX_WS_USED_SHARE);
    gompx_share *s;
    if (team->nthreads == 1 ||
        atomic_compare_exchange_strong_explicit(&team->share_claimed, &expect, k + 1,
                                                memory_order_acq_rel, memory_order_relaxed)) {
        if (!(s = malloc(sizeof *s)))
            fatal("out of memory for a worksharing construct");
        s->red = reductions;
        s->mem = NULL;
        atomic_init(&s->refs, (uint32_t)team->nthreads);
        if (reductions)
            reduction_register(reductions, g->gred, team->nthreads, team);
        if (mem) {
            size_t size = (size_t)(uintptr_t)*mem;
            if (!(s->mem = calloc(1, size ? size : 1)))
                fatal("out of memory for a worksharing construct's buffer");
        }
        if (team->nthreads > 1) {
            wait_for(all_seen, team, k);
            atomic_store_explicit(&team->share_seen, 0, memory_order_relaxed);
            atomic_store_explicit(&team->share, s, memory_order_relaxed);
            atomic_store_explicit(&team->share_ready, k + 1, memory_order_release);
        }
    } else {
        wait_for(share_ready, team, k);
        s = atomic_load_explicit(&team->share, memory_order_relaxed);
        if (reductions) {
            if (!s->red)
                fatal("worksharing construct: task reductions on some threads only");
            reduction_adopt(reductions, s->red, g->gred);
        }
        atomic_fetch_add_explicit(&team->share_seen, 1, memory_order_acq_rel);
    }
    if (reductions)
        g->gred = reductions;
    if (mem)
        *mem = s->mem;
    th->ws_share = s;
}

void gompx_ws_release(kmpx_thread *th)
{
    gompx_share *s = th->ws_share;
    if (!s)
        return;
    th->ws_share = NULL;
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
        free(s->mem);
        free(s);
    }
}

KMPX_API void GOMP_scope_start(uintptr_t *reductions);
void GOMP_scope_start(uintptr_t *reductions) { gompx_ws_begin(kmpx_self(), reductions, NULL); }

KMPX_API void GOMP_workshare_task_reduction_unregister(bool cancelled);
void GOMP_workshare_task_reduction_unregister(bool cancelled)
{
    kmpx_thread *th = kmpx_self();
    kmpx_taskgroup *g = th->task->cur_tg;
    uintptr_t *data = g ? g->gred : NULL;
    gompx_ws_release(th);
    __kmpc_end_taskgroup(NULL, 0);
    if (th->tid == 0 && data)
        GOMP_taskgroup_reduction_unregister(data);
    if (!cancelled)
        kmpx_barrier(th);
}

/* parallel reduction(task, ...): every implicit task of the region belongs to a group that
 * carries the registration (with no count of its own: the region's end waits for tasks). */
static void red_prologue(kmpx_thread *th, void *arg) { th->task->tg = arg; }

KMPX_API unsigned GOMP_parallel_reductions(void (*fn)(void *), void *data, unsigned num_threads,
                                           unsigned flags);
unsigned GOMP_parallel_reductions(void (*fn)(void *), void *data, unsigned num_threads,
                                  unsigned flags)
{
    (void)flags;
    kmpx_thread *th = kmpx_self();
    int bound = kmpx_team_size_bound(th, num_threads);
    kmpx_taskgroup g;
    memset(&g, 0, sizeof g);
    uintptr_t *rdata = *(uintptr_t **)data;
    /* the team does not exist yet: `bound` chunks, and no team recorded (member_number
     * then takes the running thread's own team, the region's) */
    reduction_register(rdata, NULL, bound, NULL);
    g.gred = rdata;
    int n = kmpx_fork_gomp(th, fn, data, num_threads, red_prologue, &g);
    return (unsigned)n;
}

/* ---- taskloop ---- */

/* The split of n iterations into tasks (gcc's rules): ntasks tasks, the first `big` of
 * them with size+1 iterations and the rest with size; strict grainsize: tasks of exactly g
 * and a shorter last one (size = g, last = the remainder). */
typedef struct split {
    uint64_t ntasks, size, big, last;
} split;

static split taskloop_split(uint64_t n, unsigned flags, unsigned long num_tasks, int nthreads)
{
    split s = {0, 0, 0, 0};
    if (flags & GOMPX_TASK_GRAINSIZE) {
        uint64_t g = num_tasks ? num_tasks : 1;
        if (flags & GOMPX_TASK_STRICT) {
            s.ntasks = n / g + (n % g != 0);
            s.size = g;
            s.last = n - (s.ntasks - 1) * g;
            return s;
        }
        s.ntasks = n / g;
        if (s.ntasks < 1)
            s.ntasks = 1;
    } else {
        s.ntasks = num_tasks ? num_tasks : (uint64_t)(nthreads > 0 ? nthreads : 1);
        if (s.ntasks > n)
            s.ntasks = n;
    }
    s.size = n / s.ntasks;
    s.big = n % s.ntasks;
    s.last = s.size + (s.big == s.ntasks);
    return s;
}

/* Both flavors in 64-bit arithmetic modulo 2^64: uns selects unsigned long long bounds. */
static void taskloop(bool uns, void (*fn)(void *), void *data, void (*cpyfn)(void *, void *),
                     long arg_size, long arg_align, unsigned flags, unsigned long num_tasks,
                     uint64_t start, uint64_t end, uint64_t step)
{
    kmpx_thread *th = kmpx_self();
    bool up = uns ? (flags & GOMPX_TASK_UP) != 0 : (int64_t)step > 0;
    bool empty = uns ? (up ? start >= end : start <= end)
                     : (up ? (int64_t)start >= (int64_t)end : (int64_t)start <= (int64_t)end);
    bool reduction = (flags & (GOMPX_TASK_NOGROUP | GOMPX_TASK_REDUCTION)) == GOMPX_TASK_REDUCTION;
    if (empty || step == 0 || cancelled_here()) {
        if (reduction)
            ((uintptr_t **)data)[2][2] = 0; /* tells the compiler nothing was registered */
        return;
    }
    uint64_t ustep = up ? step : 0 - step;
    uint64_t n = ((up ? end - start : start - end) - 1) / ustep + 1;
    split s = taskloop_split(n, flags, num_tasks, th->team->nthreads);

    if (!(flags & GOMPX_TASK_NOGROUP)) {
        __kmpc_taskgroup(NULL, 0);
        if (flags & GOMPX_TASK_REDUCTION)
            GOMP_taskgroup_reduction_register(((uintptr_t **)data)[2]);
    }
    bool undeferred = !(flags & GOMPX_TASK_IF);
    bool final = (flags & GOMPX_TASK_FINAL) != 0;
    uint64_t lo = start;
    for (uint64_t i = 0; i < s.ntasks; i++) {
        uint64_t iters = (flags & GOMPX_TASK_STRICT) && (flags & GOMPX_TASK_GRAINSIZE)
                             ? (i + 1 == s.ntasks ? s.last : s.size)
                             : s.size + (i < s.big);
        uint64_t hi = lo + iters * step;
        char *arg;
        kmp_task_t *kt = gomp_task_new(fn, data, cpyfn, arg_size, arg_align, final, NULL, &arg);
        if (ARY_UNLIKELY(!kt)) { /* no memory: this chunk runs at once */
            run_chunk_in_place(th, fn, data, cpyfn, arg_size, arg_align, final, lo, hi);
            lo = hi;
            continue;
        }
        ((uint64_t *)(void *)arg)[0] = lo;
        ((uint64_t *)(void *)arg)[1] = hi;
        if (undeferred)
            run_undeferred(th, kt);
        else
            __kmpc_omp_task(NULL, 0, kt);
        lo = hi;
    }
    if (!(flags & GOMPX_TASK_NOGROUP))
        __kmpc_end_taskgroup(NULL, 0);
}

KMPX_API void GOMP_taskloop(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *),
                            long arg_size, long arg_align, unsigned flags,
                            unsigned long num_tasks, int priority, long start, long end,
                            long step);
void GOMP_taskloop(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *), long arg_size,
                   long arg_align, unsigned flags, unsigned long num_tasks, int priority,
                   long start, long end, long step)
{
    (void)priority;
    taskloop(false, fn, data, cpyfn, arg_size, arg_align, flags, num_tasks, (uint64_t)start,
             (uint64_t)end, (uint64_t)step);
}

KMPX_API void GOMP_taskloop_ull(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *),
                                long arg_size, long arg_align, unsigned flags,
                                unsigned long num_tasks, int priority, gomp_ull start,
                                gomp_ull end, gomp_ull step);
void GOMP_taskloop_ull(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *),
                       long arg_size, long arg_align, unsigned flags, unsigned long num_tasks,
                       int priority, gomp_ull start, gomp_ull end, gomp_ull step)
{
    (void)priority;
    taskloop(true, fn, data, cpyfn, arg_size, arg_align, flags, num_tasks, start, end, step);
}

#define KMPX_SYMVER_GOMP_TASK
#include "gomp_symver.h"
