/*
 * kmp_cancel.c - cancellation: __kmpc_cancel, __kmpc_cancellationpoint, __kmpc_cancel_barrier.
 * Off unless OMP_CANCELLATION=true (then every entry returns 0 and does nothing), as in both
 * OpenMP runtimes.
 *
 * Kinds (clang): 1 parallel, 2 loop, 3 sections, 4 taskgroup. A cancelled parallel or
 * taskgroup also discards its tasks that have not started (kmp_task.c checks before running
 * the body). The loop/sections request lives until the barrier that ends the construct:
 * kmpx_barrier clears it when it opens (kmp_barrier.c).
 */
#include "kmp_task.h"

enum { CANCEL_PARALLEL = 1, CANCEL_LOOP = 2, CANCEL_SECTIONS = 3, CANCEL_TASKGROUP = 4 };

static kmpx_taskgroup *innermost_group(kmpx_task *t) { return t->cur_tg ? t->cur_tg : t->tg; }

static bool group_chain_cancelled(kmpx_taskgroup *g)
{
    for (; g; g = g->enclosing)
        if (atomic_load_explicit(&g->cancelled, memory_order_acquire))
            return true;
    return false;
}

bool kmpx_task_cancelled(kmpx_task *t)
{
    return atomic_load_explicit(&t->team->cancel_parallel, memory_order_acquire) ||
           group_chain_cancelled(t->tg);
}

KMPX_API kmp_int32 __kmpc_cancel(ident_t *loc, kmp_int32 gtid, kmp_int32 kind);
kmp_int32 __kmpc_cancel(ident_t *loc, kmp_int32 gtid, kmp_int32 kind)
{
    (void)loc, (void)gtid;
    if (!kmpx_set.cancellation)
        return 0;
    kmpx_thread *th = kmpx_self();
    switch (kind) {
    case CANCEL_PARALLEL:
        atomic_store_explicit(&th->team->cancel_parallel, 1, memory_order_seq_cst);
        /* members waiting in a cancel barrier take their arrival back (kmp_barrier.c) */
        kmpx_cancel_parallel_sync(th);
        return 1;
    case CANCEL_LOOP:
    case CANCEL_SECTIONS:
        atomic_store_explicit(&th->team->cancel_ws, 1, memory_order_release);
        return 1;
    case CANCEL_TASKGROUP: {
        kmpx_taskgroup *g = innermost_group(th->task);
        if (!g)
            return 0;
        atomic_store_explicit(&g->cancelled, 1, memory_order_release);
        return 1;
    }
    default:
        return 0;
    }
}

KMPX_API kmp_int32 __kmpc_cancellationpoint(ident_t *loc, kmp_int32 gtid, kmp_int32 kind);
kmp_int32 __kmpc_cancellationpoint(ident_t *loc, kmp_int32 gtid, kmp_int32 kind)
{
    (void)loc, (void)gtid;
    if (!kmpx_set.cancellation)
        return 0;
    kmpx_thread *th = kmpx_self();
    bool par = atomic_load_explicit(&th->team->cancel_parallel, memory_order_acquire);
    switch (kind) {
    case CANCEL_PARALLEL:
        return par;
    case CANCEL_LOOP:
    case CANCEL_SECTIONS:
        return par || atomic_load_explicit(&th->team->cancel_ws, memory_order_acquire);
    case CANCEL_TASKGROUP:
        return par || group_chain_cancelled(innermost_group(th->task));
    default:
        return 0;
    }
}

/* A barrier that reports whether the parallel region was cancelled (then every thread goes
 * to the end of the region, whose join counts every member). */
KMPX_API kmp_int32 __kmpc_cancel_barrier(ident_t *loc, kmp_int32 gtid);
kmp_int32 __kmpc_cancel_barrier(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    /* Cancellable: a member that never sees the cancel goes straight to the join, so a
     * cancelled region's barrier must not wait for it (it would pair with the join). */
    return kmpx_barrier_cancellable(kmpx_self());
}
