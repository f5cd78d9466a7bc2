/*
 * kmp_task.c - explicit tasks: __kmpc_omp_task_alloc / _task / _begin_if0 / _complete_if0,
 * taskwait, taskyield, taskgroup. The counting scheme is in kmp_task.h.
 *
 * When a task runs at once ("included"): its creator is final, the team has one thread (a
 * serialized region: as in libomp), or the thread has no worker record (no guest slot was
 * free) and so cannot queue work that it would then help with. Otherwise it becomes an
 * arayon task on the creating thread's deque, under the pool's admission control (throttling:
 * kmp_runtime.c sets the bound and the policy), and a spawn that fails runs it here.
 */
#include "kmp_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SMALL 256u     /* task blocks up to this size are cached per thread */
#define CACHE_MAX 1024u      /* ... at most this many */

static inline size_t round_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

_Noreturn void kmpx_task_oom(const char *what)
{
    fprintf(stderr, "arayon: out of memory allocating %s for an OpenMP task\n", what);
    abort();
}
#define oom kmpx_task_oom

/* NULL without a pool (it failed to start): then every task is included and nothing waits. */
static ary_latch *latch_new(void)
{
    if (!kmpx_pool)
        return NULL;
    ary_latch *l = ary_latch_new(kmpx_pool);
    if (!l)
        oom("a counter");
    return l;
}

/* Task blocks. Small blocks are cached per thread; a block always returns to the cache of
 * the thread that allocated it: its own frees go to its list, other threads push onto its
 * remote_free stack (lock-free: pushes by CAS, the owner takes the whole stack at once, so
 * no pop ever races another pop). So a producer whose tasks run elsewhere gets its blocks
 * back without malloc, and memory stays bounded by each thread's peak of live tasks.
 * kmpx_thread records are never freed (kmp_runtime.c), so a late free always has a home. */
static kmpx_task *block_try_alloc(kmpx_thread *th, size_t size)
{
    if (size <= BLOCK_SMALL) {
        kmpx_task *t = th->free_tasks;
        if (!t && atomic_load_explicit(&th->remote_free, memory_order_relaxed)) {
            t = atomic_exchange_explicit(&th->remote_free, NULL, memory_order_acquire);
            th->nfree_tasks = 0; /* (the count bounds local frees only) */
        }
        if (t) {
            th->free_tasks = *(void **)t;
            if (th->nfree_tasks)
                th->nfree_tasks--;
        } else if (!(t = aligned_alloc(64, BLOCK_SMALL))) {
            return NULL;
        }
        t->block_size = BLOCK_SMALL;
        t->owner = th;
        return t;
    }
    kmpx_task *t = aligned_alloc(64, round_up(size, 64));
    if (!t)
        return NULL;
    t->block_size = 0;
    t->owner = NULL;
    return t;
}

/* Out of memory for a block: clang's __kmpc_omp_task_alloc must return one, so that is
 * fatal there (docs/design/openmp-compat.md, "Running out of memory"); gcc's tasks and
 * taskloop chunks run at once instead (kmpx_task_try_alloc, kmpx_task_try_clone). */
static kmpx_task *block_alloc(kmpx_thread *th, size_t size)
{
    kmpx_task *t = block_try_alloc(th, size);
    if (!t)
        oom("the task");
    return t;
}

static void block_free(kmpx_task *t)
{
    kmpx_thread *owner = t->owner;
    if (t->block_size != BLOCK_SMALL) {
        free(t);
        return;
    }
    if (owner == kmpx_tls_self) {
        if (owner->nfree_tasks >= CACHE_MAX) {
            free(t);
            return;
        }
        *(void **)t = owner->free_tasks;
        owner->free_tasks = t;
        owner->nfree_tasks++;
        return;
    }
    void *head = atomic_load_explicit(&owner->remote_free, memory_order_relaxed);
    do
        *(void **)t = head;
    while (!atomic_compare_exchange_weak_explicit(&owner->remote_free, &head, t,
                                                  memory_order_release, memory_order_relaxed));
}

void kmpx_task_release_cache(kmpx_thread *th)
{
    void *lists[2] = {th->free_tasks, atomic_exchange(&th->remote_free, NULL)};
    for (int k = 0; k < 2; k++) {
        for (void *b = lists[k], *next; b; b = next) {
            next = *(void **)b;
            free(b);
        }
    }
    th->free_tasks = NULL;
    th->nfree_tasks = 0;
}

void kmpx_task_init_implicit(kmpx_task *t, kmpx_task *parent, kmpx_team *team)
{
    memset(t, 0, sizeof *t);
    t->parent = parent;
    t->team = team;
    t->flags = KMPX_TF_IMPLICIT;
    atomic_store_explicit(&t->refs, 1, memory_order_relaxed);
}

/* After the region's barrier: every child has completed. */
void kmpx_task_fini_implicit(kmpx_task *t)
{
    kmpx_deps_free_table(t);
    if (t->children)
        ary_latch_free(t->children);
    t->children = NULL;
}

int kmpx_task_in_final(kmpx_thread *th) { return (th->task->flags & KMPX_TF_FINAL) != 0; }

/* Gives back the unused part of the children reserve (kmp_task.h). The owner neither waits
 * nor is done yet, so this cannot be the step to zero that anyone is watching for. */
static void children_unreserve(kmpx_task *t)
{
    if (t->child_reserve) {
        atomic_fetch_sub_explicit(&t->children->pending, t->child_reserve, memory_order_relaxed);
        t->child_reserve = 0;
    }
}

void kmpx_task_unref(kmpx_task *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (t->flags & KMPX_TF_IMPLICIT)
        return;
    if (t->children)
        ary_latch_free(t->children);
    if (t->dnode)
        kmpx_deps_free_node(t);
    block_free(t);
}
#define task_unref kmpx_task_unref

/* The task's last execution returned. Order matters: see kmp_task.h. The descriptor itself
 * lives on while children are not complete (its children latch, owner-done protocol). */
static void task_complete(kmpx_thread *th, kmpx_task *t)
{
    kmp_task_t *kt = kmpx_kt(t);
    if (t->flags & KMPX_TF_DESTRUCT)
        kt->data1.destructors(th->gtid, kt);
    kmpx_task *parent = t->parent;
    ary_latch *group = t->tg ? t->tg->count : NULL;
    kmpx_team *team = t->team;
    bool counted = (t->flags & KMPX_TF_SUBMITTED) != 0;
    if (t->dtable)
        kmpx_deps_free_table(t);
    if (t->dnode)
        kmpx_deps_release(t);
    if (t->children)
        children_unreserve(t);
    if (!t->children || ary_latch_owner_done(t->children))
        task_unref(t);
    if (!counted)
        return;
    if (ary_latch_release(parent->children))
        task_unref(parent);
    if (group)
        ary_latch_done(group);
    kmpx_team_task_done(th, team);
}

static void task_run(kmpx_thread *th, kmpx_task *t)
{
    kmpx_task *saved = th->task;
    th->task = t;
    kmp_task_t *kt = kmpx_kt(t);
    if (!(ARY_UNLIKELY(kmpx_set.cancellation) && kmpx_task_cancelled(t)))
        kt->routine(th->gtid, kt);
    th->task = saved;
    if (atomic_fetch_sub_explicit(&t->runs, 1, memory_order_acq_rel) == 1)
        task_complete(th, t);
}

static int task_trampoline(void *arg)
{
    task_run(kmpx_self(), arg);
    return 0;
}

/* A task queued as its own job (ary_push_job): runs on worker w. */
static void task_exec(ary_job *j, ary_worker *w)
{
    task_run(kmpx_self(), (kmpx_task *)j);
    ary_job_finished(w);
}

/* A task block set up for the compiler; NULL when no memory (with may_fail), else fatal. */
static kmp_task_t *task_alloc(kmp_int32 flags, size_t sizeof_kmp_task_t, size_t sizeof_shareds,
                              kmp_int32 (*routine)(kmp_int32, kmp_task_t *), bool may_fail)
{
    kmpx_thread *th = kmpx_self();
    if (sizeof_kmp_task_t < sizeof(kmp_task_t))
        sizeof_kmp_task_t = sizeof(kmp_task_t);
    size_t shareds_at = KMPX_TASK_HDR + round_up(sizeof_kmp_task_t, sizeof(void *));
    kmpx_task *t = may_fail ? block_try_alloc(th, shareds_at + sizeof_shareds)
                            : block_alloc(th, shareds_at + sizeof_shareds);
    if (!t)
        return NULL;
    t->size = (uint32_t)(shareds_at + sizeof_shareds);
    t->dnode = NULL;
    t->dtable = NULL;
    kmpx_task *parent = th->task;
    t->parent = parent;
    t->team = parent->team; /* (not th->team: see kmpx_task_included) */
    t->tg = parent->cur_tg ? parent->cur_tg : parent->tg;
    t->cur_tg = NULL;
    t->children = NULL;
    t->child_reserve = 0;
    atomic_store_explicit(&t->refs, 1, memory_order_relaxed);
    atomic_store_explicit(&t->runs, 0, memory_order_relaxed);
    atomic_store_explicit(&t->event, 0, memory_order_relaxed);
    t->flags = 0;
    if ((flags & 0x02) || (parent->flags & KMPX_TF_FINAL))
        t->flags |= KMPX_TF_FINAL;
    if (flags & 0x08)
        t->flags |= KMPX_TF_DESTRUCT;
    kmp_task_t *kt = kmpx_kt(t);
    kt->shareds = sizeof_shareds ? (char *)t + shareds_at : NULL;
    if (flags & 0x40)
        t->flags |= KMPX_TF_DETACH;
    if (flags & 0x10) { /* proxy: complete once __kmpc_proxy_task_completed* says so too */
        t->flags |= KMPX_TF_DETACH;
        atomic_store_explicit(&t->event, 1, memory_order_relaxed);
        atomic_store_explicit(&t->runs, 1, memory_order_relaxed);
    }
    kt->routine = routine;
    kt->part_id = 0;
    return kt;
}

KMPX_API kmp_task_t *__kmpc_omp_task_alloc(ident_t *loc, kmp_int32 gtid, kmp_int32 flags,
                                           size_t sizeof_kmp_task_t, size_t sizeof_shareds,
                                           kmp_int32 (*routine)(kmp_int32, kmp_task_t *));
kmp_task_t *__kmpc_omp_task_alloc(ident_t *loc, kmp_int32 gtid, kmp_int32 flags,
                                  size_t sizeof_kmp_task_t, size_t sizeof_shareds,
                                  kmp_int32 (*routine)(kmp_int32, kmp_task_t *))
{
    (void)loc, (void)gtid;
    return task_alloc(flags, sizeof_kmp_task_t, sizeof_shareds, routine, false);
}

kmp_task_t *kmpx_task_try_alloc(kmp_int32 flags, size_t sizeof_kmp_task_t,
                                kmp_int32 (*routine)(kmp_int32, kmp_task_t *))
{
    return task_alloc(flags, sizeof_kmp_task_t, 0, routine, true);
}

/* The task of a `target ... nowait` region (clang): on the host device it is an ordinary
 * task (the region runs on the host, as libomp's host fallback does); device_id is accepted
 * and not used (omp_get_num_devices() is 0). */
KMPX_API kmp_task_t *__kmpc_omp_target_task_alloc(ident_t *loc, kmp_int32 gtid, kmp_int32 flags,
                                                  size_t sizeof_kmp_task_t, size_t sizeof_shareds,
                                                  kmp_int32 (*routine)(kmp_int32, kmp_task_t *),
                                                  kmp_int64 device_id);
kmp_task_t *__kmpc_omp_target_task_alloc(ident_t *loc, kmp_int32 gtid, kmp_int32 flags,
                                         size_t sizeof_kmp_task_t, size_t sizeof_shareds,
                                         kmp_int32 (*routine)(kmp_int32, kmp_task_t *),
                                         kmp_int64 device_id)
{
    (void)device_id;
    return __kmpc_omp_task_alloc(loc, gtid, flags, sizeof_kmp_task_t, sizeof_shareds, routine);
}

/* Whether a child of parent can be counted: the parent's children counter is made at its
 * first child, and without memory for it the child cannot be waited for. The callers then
 * run the child at once, undeferred (any task may be), or, for a detached child, which
 * completes later and must be counted, end the program (kmpx_task_oom; the fallbacks are in
 * docs/design/openmp-compat.md, "Running out of memory"). */
bool kmpx_task_countable_slow(kmpx_task *parent)
{
    if (!kmpx_pool)
        return true;
    return (parent->children = ary_latch_new(kmpx_pool)) != NULL;
}

/* Counts a task in its parent, group and team when it is first submitted. */
void kmpx_task_register(kmpx_task *t)
{
    if (!kmpx_pool)
        return;
    t->flags |= KMPX_TF_SUBMITTED;
    kmpx_task *parent = t->parent;
    if (!parent->children)
        parent->children = latch_new();
    if (!parent->child_reserve) {
        ary_latch_add(parent->children, KMPX_CHILD_BATCH);
        parent->child_reserve = KMPX_CHILD_BATCH;
    }
    parent->child_reserve--;
    if (t->tg && t->tg->count)
        ary_latch_add(t->tg->count, 1);
    kmpx_team_task_added(kmpx_tls_self, t->team);
}

/* A detached task is never included when it can be queued: it is not complete when its
 * body returns, so it must be counted like any deferred task (the thread meets it again at
 * its next task scheduling point).
 *
 * A task belongs to the team of the task that created it (t->team = parent->team), which is
 * not always the creating thread's team: with nested active teams a thread waiting in its
 * team runs tasks of another (kmpx_task_foreign). The children such a task creates are
 * included: queued, they would sit in this thread's deque, where their team's members do not
 * look, and the thread may leave its team (back to waiting for a post) before it runs them;
 * counted in this thread's team instead (as they were), its barrier could have opened
 * already and the team be gone when they completed (docs/stress.md, faults 14 and 15). */
bool kmpx_task_included(kmpx_thread *th, kmpx_task *t)
{
    if (!th->worker)
        return true;
    return (th->team->nthreads == 1 || (t->parent->flags & KMPX_TF_FINAL) ||
            t->team != th->team) &&
           !(t->flags & KMPX_TF_DETACH);
}

/* Queues a registered task whose run was counted (or runs it here if that fails). A thread
 * outside the task's team (one that fulfilled a detached predecessor, say) queues it through
 * the injection queue, which the team's members look at: a deque of its own would not be. */
void kmpx_task_submit(kmpx_thread *th, kmpx_task *t)
{
    int rc = th->team == t->team && th->worker
                 ? ary_spawn(kmpx_pool, NULL, task_trampoline, t, NULL, 0, -1)
                 : ary_spawn_injected(kmpx_pool, task_trampoline, t);
    if (rc != ARAYON_OK)
        task_run(th, t);
}

void kmpx_task_push(kmpx_thread *th, kmpx_task *t)
{
    kmpx_task_register(t);
    t->job.exec = task_exec;
    if (!ary_push_job(th->worker, &t->job))
        task_run(th, t);
}

/* The end of a task run in place on a descriptor of the caller's (gomp_task.c): its
 * children finish first (the descriptor goes away with the caller's frame; a child's last
 * access to its parent is the release of this latch, which the wait outlasts). */
void kmpx_task_end_included(kmpx_task *t)
{
    if (t->children) {
        children_unreserve(t);
        ary_latch_wait(t->children);
    }
    kmpx_task_fini_implicit(t);
}

kmp_int32 __kmpc_omp_task(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    kmpx_task *t = kmpx_td(kt);
    /* Before its first submission only this thread has seen the task: no locked add then
     * (an untied task's later parts may race the part that is still returning). */
    if (ARY_LIKELY(!(t->flags & KMPX_TF_SUBMITTED)))
        atomic_store_explicit(&t->runs, atomic_load_explicit(&t->runs, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&t->runs, 1, memory_order_relaxed);
    if (kmpx_task_included(th, t)) {
        task_run(th, t);
        return 0;
    }
    if (t->flags & KMPX_TF_SUBMITTED) { /* an untied task queues its next part */
        kmpx_task_submit(th, t);
        return 0;
    }
    if (ARY_UNLIKELY(!kmpx_task_countable(t->parent))) { /* out of memory: undeferred */
        if (t->flags & KMPX_TF_DETACH)
            oom("a counter");
        task_run(th, t);
        return 0;
    }
    if (ARY_UNLIKELY(t->team != th->team)) {
        /* A detached child of another team's task (kmpx_task_included): counted in its
         * team, its body runs here and now; it completes at its fulfil. */
        kmpx_task_register(t);
        task_run(th, t);
        return 0;
    }
    /* Admission first: when the pool is full and its policy is not to block, the task runs
     * here and now, unregistered, like an included one (libomp's throttling). */
    ary_worker *w = th->worker;
    if (ARY_LIKELY(ary_credit_take(w))) {
        kmpx_task_push(th, t);
        return 0;
    }
    if (ARY_UNLIKELY(ary_stack_low())) { /* throttled, but no stack to run it here */
        ary_credit_force(w);
        kmpx_task_push(th, t);
        return 0;
    }
    if (kmpx_pool->cfg.full_policy != ARAYON_FULL_BLOCK) {
        /* A detached task is not complete when its body returns: counted like a queued one,
         * so that taskwait, the taskgroup and the barrier wait for its fulfil. */
        if (t->flags & KMPX_TF_DETACH)
            kmpx_task_register(t);
        ary_count_inline_start(w);
        task_run(th, t);
        ary_count_inline_done(w);
        return 0;
    }
    kmpx_task_register(t);
    kmpx_task_submit(th, t); /* blocks (running queued tasks) until there is room */
    return 0;
}

KMPX_API void __kmpc_omp_task_begin_if0(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt);
void __kmpc_omp_task_begin_if0(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    kmpx_task *t = kmpx_td(kt);
    atomic_fetch_add_explicit(&t->runs, 1, memory_order_relaxed);
    th->task = t;
}

KMPX_API void __kmpc_omp_task_complete_if0(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt);
void __kmpc_omp_task_complete_if0(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    kmpx_task *t = kmpx_td(kt);
    th->task = t->parent;
    if (atomic_load_explicit(&t->runs, memory_order_acquire) > 1 &&
        !(t->flags & KMPX_TF_SUBMITTED))
        kmpx_task_register(t); /* detached, event not fulfilled yet: waits count it from now */
    if (atomic_fetch_sub_explicit(&t->runs, 1, memory_order_acq_rel) == 1)
        task_complete(th, t);
}

/* The task's end is also its event: a detached task completes when both its body has
 * returned and omp_fulfill_event was called, in either order (one more count in runs). */
KMPX_API void *__kmpc_task_allow_completion_event(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt);
void *__kmpc_task_allow_completion_event(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt)
{
    (void)loc, (void)gtid;
    kmpx_task *t = kmpx_td(kt);
    t->flags |= KMPX_TF_DETACH;
    atomic_store_explicit(&t->event, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->runs, 1, memory_order_relaxed);
    return t;
}

KMPX_API void omp_fulfill_event(uintptr_t event);
void omp_fulfill_event(uintptr_t event)
{
    kmpx_task *t = (kmpx_task *)event;
    if (!t)
        return;
    if (!atomic_exchange_explicit(&t->event, 0, memory_order_acq_rel)) {
        fputs("arayon: omp_fulfill_event called twice for the same event; ignored\n", stderr);
        return;
    }
    if (atomic_fetch_sub_explicit(&t->runs, 1, memory_order_acq_rel) == 1)
        task_complete(kmpx_self(), t);
}

/* A new task like `pattern` (taskloop): the compiler's part of the block copied, the
 * runtime's header fresh, shareds pointing into the copy. */
kmpx_task *kmpx_task_try_clone(kmpx_thread *th, kmpx_task *pattern)
{
    kmpx_task *t = block_try_alloc(th, pattern->size);
    if (!t)
        return NULL;
    uint32_t block_size = t->block_size;
    kmpx_thread *owner = t->owner;
    memcpy(t, pattern, pattern->size);
    t->block_size = block_size;
    t->owner = owner;
    t->children = NULL;
    t->child_reserve = 0;
    t->cur_tg = NULL;
    t->dnode = NULL;
    t->dtable = NULL;
    t->flags &= ~KMPX_TF_SUBMITTED;
    t->tg = th->task->cur_tg ? th->task->cur_tg : th->task->tg;
    atomic_store_explicit(&t->refs, 1, memory_order_relaxed);
    atomic_store_explicit(&t->runs, 0, memory_order_relaxed);
    kmp_task_t *kt = kmpx_kt(t), *pkt = kmpx_kt(pattern);
    if (pkt->shareds)
        kt->shareds = (char *)kt + ((char *)pkt->shareds - (char *)pkt);
    return t;
}

/* Runs a task whose execution is counted in runs, here and now (the fallbacks of
 * kmp_depend.c and gomp_task.c when memory runs out). */
void kmpx_task_run_here(kmpx_thread *th, kmpx_task *t) { task_run(th, t); }

/* Runs a task that was never submitted, here and now (taskloop with if(0)). */
void kmpx_task_run_undeferred(kmpx_thread *th, kmpx_task *t)
{
    atomic_fetch_add_explicit(&t->runs, 1, memory_order_relaxed);
    task_run(th, t);
}

KMPX_API kmp_int32 __kmpc_omp_taskwait(ident_t *loc, kmp_int32 gtid);
kmp_int32 __kmpc_omp_taskwait(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_task *t = kmpx_self()->task;
    if (t->children) {
        children_unreserve(t);
        ary_latch_wait(t->children);
    }
    return 0;
}

KMPX_API kmp_int32 __kmpc_omp_taskyield(ident_t *loc, kmp_int32 gtid, int end_part);
/* A task scheduling point: runs one other task on top of this one, nested yields capped
 * by the runtime (ary_yield_run; deeper, it runs nothing, as libgomp's taskyield always). */
kmp_int32 __kmpc_omp_taskyield(ident_t *loc, kmp_int32 gtid, int end_part)
{
    (void)loc, (void)gtid, (void)end_part;
    kmpx_thread *th = kmpx_self();
    if (th->worker)
        ary_yield_run(th->worker);
    return 0;
}

void __kmpc_taskgroup(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_task *t = kmpx_self()->task;
    kmpx_taskgroup *g = malloc(sizeof *g);
    if (!g)
        oom("a taskgroup");
    g->count = latch_new();
    g->outer = t->cur_tg;
    g->enclosing = t->cur_tg ? t->cur_tg : t->tg;
    g->red = NULL;
    g->gred = g->enclosing ? g->enclosing->gred : NULL;
    atomic_store_explicit(&g->cancelled, 0, memory_order_relaxed);
    t->cur_tg = g;
}

void __kmpc_end_taskgroup(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_task *t = kmpx_self()->task;
    kmpx_taskgroup *g = t->cur_tg;
    if (!g)
        return; /* unbalanced call: nothing to end */
    if (g->count) {
        ary_latch_wait(g->count);
        ary_latch_free(g->count);
    }
    t->cur_tg = g->outer;
    if (g->red)
        kmpx_taskred_finish(g);
    free(g);
}

#define KMPX_SYMVER_KMP_TASK
#include "gomp_symver.h"
