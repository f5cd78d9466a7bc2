/*
 * kmp_taskloop.c - __kmpc_taskloop: the compiler hands over one pattern task whose
 * iteration bounds (normalized by clang 14: lb, inclusive ub, stride) sit inside the task;
 * the loop is split into chunk tasks, each a copy of the whole pattern block with its own
 * bounds, passed through the compiler's task_dup (lastprivate, non-trivial firstprivates).
 *
 * Split: schedule 0 (no clause) makes min(trip, 10 x team size) tasks; grainsize g makes
 * max(1, trip / g) tasks; num_tasks n makes min(n, trip). The first trip % tasks chunks get
 * one extra iteration. clang 14 emits the taskgroup itself and passes nogroup = 1.
 */
#include "kmp_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*task_dup_fn)(kmp_task_t *dst, kmp_task_t *src, kmp_int32 lastpriv);

/* No memory for a chunk's block: the chunk runs at once, undeferred (as with if(0); any task
 * may be), on a copy of the pattern in this frame, as gcc's tasks run in place
 * (docs/design/openmp-compat.md, "Running out of memory"). Blocks larger than the frame's
 * buffer cannot: fatal, as for any task block. */
static ARY_NOINLINE void run_chunk_here(kmpx_thread *th, kmp_task_t *task, size_t lb_at,
                                        size_t ub_at, kmp_uint64 lo, kmp_uint64 hi,
                                        task_dup_fn dup, int last)
{
    kmpx_task *pattern = kmpx_td(task);
    _Alignas(64) char buf[1024];
    if (pattern->size > sizeof buf) {
        fputs("arayon: out of memory allocating the task for an OpenMP task\n", stderr);
        abort();
    }
    memcpy(buf, pattern, pattern->size);
    kmpx_task *t = (kmpx_task *)(void *)buf, *parent = th->task;
    kmpx_task_init_implicit(t, parent, parent->team); /* the header only: never freed */
    t->tg = parent->cur_tg ? parent->cur_tg : parent->tg;
    t->flags |= pattern->flags & KMPX_TF_FINAL;
    kmp_task_t *kt = kmpx_kt(t);
    if (task->shareds)
        kt->shareds = (char *)kt + ((char *)task->shareds - (char *)task);
    *(kmp_uint64 *)((char *)kt + lb_at) = lo;
    *(kmp_uint64 *)((char *)kt + ub_at) = hi;
    if (dup)
        dup(kt, task, last);
    th->task = t;
    if (!(ARY_UNLIKELY(kmpx_set.cancellation) && kmpx_task_cancelled(t)))
        kt->routine(th->gtid, kt);
    th->task = parent;
    if (pattern->flags & KMPX_TF_DESTRUCT)
        kt->data1.destructors(th->gtid, kt);
    kmpx_task_end_included(t); /* its children first: they name it as their parent */
}

KMPX_API void __kmpc_taskloop(ident_t *loc, kmp_int32 gtid, kmp_task_t *task, kmp_int32 if_val,
                              kmp_uint64 *lb, kmp_uint64 *ub, kmp_int64 st, kmp_int32 nogroup,
                              kmp_int32 sched, kmp_uint64 grainsize, void *task_dup);
void __kmpc_taskloop(ident_t *loc, kmp_int32 gtid, kmp_task_t *task, kmp_int32 if_val,
                     kmp_uint64 *lb, kmp_uint64 *ub, kmp_int64 st, kmp_int32 nogroup,
                     kmp_int32 sched, kmp_uint64 grainsize, void *task_dup)
{
    kmpx_thread *th = kmpx_self();
    kmpx_task *pattern = kmpx_td(task);
    if (!nogroup)
        __kmpc_taskgroup(loc, gtid);
    kmp_uint64 lower = *lb, upper = *ub;
    kmp_uint64 tc = 0;
    if (st > 0 && upper >= lower)
        tc = (upper - lower) / (kmp_uint64)st + 1;
    else if (st < 0 && lower >= upper)
        tc = (lower - upper) / (kmp_uint64)(-st) + 1;
    if (tc) {
        kmp_uint64 ntasks;
        switch (sched) {
        case 1: ntasks = grainsize ? tc / grainsize : tc; break;
        case 2: ntasks = grainsize < tc ? grainsize : tc; break;
        default: {
            kmp_uint64 cap = 10u * (kmp_uint64)th->team->nthreads;
            ntasks = tc < cap ? tc : cap;
        }
        }
        if (ntasks < 1)
            ntasks = 1;
        kmp_uint64 each = tc / ntasks, extra = tc % ntasks;
        size_t lb_at = (size_t)((char *)lb - (char *)task), ub_at = (size_t)((char *)ub - (char *)task);
        kmp_uint64 cur = lower;
        for (kmp_uint64 i = 0; i < ntasks; i++) {
            kmp_uint64 n = each + (i < extra);
            kmp_uint64 last = cur + (n - 1) * (kmp_uint64)st;
            kmpx_task *t = kmpx_task_try_clone(th, pattern);
            if (ARY_UNLIKELY(!t)) {
                run_chunk_here(th, task, lb_at, ub_at, cur, last, (task_dup_fn)task_dup,
                               i + 1 == ntasks);
                cur = last + (kmp_uint64)st;
                continue;
            }
            kmp_task_t *kt = kmpx_kt(t);
            *(kmp_uint64 *)((char *)kt + lb_at) = cur;
            *(kmp_uint64 *)((char *)kt + ub_at) = last;
            if (task_dup)
                ((task_dup_fn)task_dup)(kt, task, i + 1 == ntasks);
            if (if_val)
                __kmpc_omp_task(loc, gtid, kt);
            else
                kmpx_task_run_undeferred(th, t);
            cur = last + (kmp_uint64)st;
        }
    }
    kmpx_task_unref(pattern); /* never submitted: nothing else holds it */
    if (!nogroup)
        __kmpc_end_taskgroup(loc, gtid);
}

/* Newer clang: the strict modifier (a chunk never exceeds the grainsize). */
KMPX_API void __kmpc_taskloop_5(ident_t *loc, kmp_int32 gtid, kmp_task_t *task, kmp_int32 if_val,
                                kmp_uint64 *lb, kmp_uint64 *ub, kmp_int64 st, kmp_int32 nogroup,
                                kmp_int32 sched, kmp_uint64 grainsize, kmp_int32 modifier,
                                void *task_dup);
void __kmpc_taskloop_5(ident_t *loc, kmp_int32 gtid, kmp_task_t *task, kmp_int32 if_val,
                       kmp_uint64 *lb, kmp_uint64 *ub, kmp_int64 st, kmp_int32 nogroup,
                       kmp_int32 sched, kmp_uint64 grainsize, kmp_int32 modifier, void *task_dup)
{
    (void)modifier;
    __kmpc_taskloop(loc, gtid, task, if_val, lb, ub, st, nogroup, sched, grainsize, task_dup);
}
