/*
 * kmp_misc.c - the rest of libomp's __kmpc_* entry points that compiled code (clang, icc,
 * Fortran compilers) or a program can call, each a translation onto the layer:
 * split barriers (__kmpc_barrier_master*), the lock entry points (on the omp_*_lock
 * functions), scope and error directives, task ids, old task-part and threadprivate forms,
 * proxy tasks (on detach), num_teams(lb:ub), pause.
 */
#include "kmp_task.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- split barriers ----
 * barrier_master: the primary thread (tid 0) returns 1 once every member has arrived and
 * runs its code while the others wait; __kmpc_end_barrier_master lets them go. Built from
 * two barriers: the first gathers everyone, the second holds the others until the primary
 * joins it in end_barrier_master. barrier_master_nowait: a barrier, then 1 for the primary
 * (nothing to end). */
KMPX_API kmp_int32 __kmpc_barrier_master(ident_t *loc, kmp_int32 gtid);
kmp_int32 __kmpc_barrier_master(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    kmpx_barrier(th);
    if (th->tid == 0)
        return 1;
    kmpx_barrier(th); /* until the primary's __kmpc_end_barrier_master */
    return 0;
}

KMPX_API void __kmpc_end_barrier_master(ident_t *loc, kmp_int32 gtid);
void __kmpc_end_barrier_master(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    if (th->tid == 0)
        kmpx_barrier(th);
}

KMPX_API kmp_int32 __kmpc_barrier_master_nowait(ident_t *loc, kmp_int32 gtid);
kmp_int32 __kmpc_barrier_master_nowait(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    kmpx_barrier(th);
    return th->tid == 0;
}

/* ---- locks: user_lock is the program's omp_lock_t / omp_nest_lock_t ---- */
KMPX_API void omp_init_lock(void *lock);
KMPX_API void omp_init_lock_with_hint(void *lock, int hint);
KMPX_API void omp_destroy_lock(void *lock);
KMPX_API void omp_set_lock(void *lock);
KMPX_API void omp_unset_lock(void *lock);
KMPX_API int omp_test_lock(void *lock);
KMPX_API void omp_init_nest_lock(void *lock);
KMPX_API void omp_init_nest_lock_with_hint(void *lock, int hint);
KMPX_API void omp_destroy_nest_lock(void *lock);
KMPX_API void omp_set_nest_lock(void *lock);
KMPX_API void omp_unset_nest_lock(void *lock);
KMPX_API int omp_test_nest_lock(void *lock);

#define KMPX_LOCK_ENTRY(ret, name, call)                                                     \
    KMPX_API ret __kmpc_##name(ident_t *loc, kmp_int32 gtid, void **user_lock);            \
    ret __kmpc_##name(ident_t *loc, kmp_int32 gtid, void **user_lock)                      \
    {                                                                                      \
        (void)loc, (void)gtid;                                                             \
        return call(user_lock);                                                            \
    }
KMPX_LOCK_ENTRY(void, init_lock, omp_init_lock)
KMPX_LOCK_ENTRY(void, destroy_lock, omp_destroy_lock)
KMPX_LOCK_ENTRY(void, set_lock, omp_set_lock)
KMPX_LOCK_ENTRY(void, unset_lock, omp_unset_lock)
KMPX_LOCK_ENTRY(int, test_lock, omp_test_lock)
KMPX_LOCK_ENTRY(void, init_nest_lock, omp_init_nest_lock)
KMPX_LOCK_ENTRY(void, destroy_nest_lock, omp_destroy_nest_lock)
KMPX_LOCK_ENTRY(void, set_nest_lock, omp_set_nest_lock)
KMPX_LOCK_ENTRY(void, unset_nest_lock, omp_unset_nest_lock)
KMPX_LOCK_ENTRY(int, test_nest_lock, omp_test_nest_lock)

KMPX_API void __kmpc_init_lock_with_hint(ident_t *loc, kmp_int32 gtid, void **user_lock,
                                         uintptr_t hint);
void __kmpc_init_lock_with_hint(ident_t *loc, kmp_int32 gtid, void **user_lock, uintptr_t hint)
{
    (void)loc, (void)gtid;
    omp_init_lock_with_hint(user_lock, (int)hint);
}

KMPX_API void __kmpc_init_nest_lock_with_hint(ident_t *loc, kmp_int32 gtid, void **user_lock,
                                              uintptr_t hint);
void __kmpc_init_nest_lock_with_hint(ident_t *loc, kmp_int32 gtid, void **user_lock,
                                     uintptr_t hint)
{
    (void)loc, (void)gtid;
    omp_init_nest_lock_with_hint(user_lock, (int)hint);
}

/* ---- scope (OpenMP 5.1): the construct's work is the program's; nothing to do here ---- */
KMPX_API void __kmpc_scope(ident_t *loc, kmp_int32 gtid, void *reserved);
void __kmpc_scope(ident_t *loc, kmp_int32 gtid, void *reserved)
{
    (void)loc, (void)gtid, (void)reserved;
}

KMPX_API void __kmpc_end_scope(ident_t *loc, kmp_int32 gtid, void *reserved);
void __kmpc_end_scope(ident_t *loc, kmp_int32 gtid, void *reserved)
{
    (void)loc, (void)gtid, (void)reserved;
}

/* ---- the error directive (OpenMP 5.1): severity 1 warning, 2 fatal (the program ends,
 * as gcc's GOMP_error) ---- */
KMPX_API void __kmpc_error(ident_t *loc, int severity, const char *message);
void __kmpc_error(ident_t *loc, int severity, const char *message)
{
    (void)loc;
    const char *kind = severity == 2 ? "error" : "warning";
    if (message)
        fprintf(stderr, "arayon: %s directive encountered: %s\n", kind, message);
    else
        fprintf(stderr, "arayon: %s directive encountered\n", kind);
    if (severity == 2)
        exit(EXIT_FAILURE);
}

/* ---- task ids: the task's address, unique among tasks alive at once; 0 outside ---- */
KMPX_API kmp_uint64 __kmpc_get_taskid(void);
kmp_uint64 __kmpc_get_taskid(void)
{
    kmpx_thread *th = kmpx_self();
    return th && th->task ? (kmp_uint64)(uintptr_t)th->task : 0;
}

KMPX_API kmp_uint64 __kmpc_get_parent_taskid(void);
kmp_uint64 __kmpc_get_parent_taskid(void)
{
    kmpx_thread *th = kmpx_self();
    return th && th->task && th->task->parent ? (kmp_uint64)(uintptr_t)th->task->parent : 0;
}

/* ---- old forms ---- */

/* The next part of an untied task (icc): queued like any task. */
KMPX_API kmp_int32 __kmpc_omp_task_parts(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt);
kmp_int32 __kmpc_omp_task_parts(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt)
{
    return __kmpc_omp_task(loc, gtid, kt);
}

/* threadprivate without a cache pointer: the same per-thread copies. */
KMPX_API void *__kmpc_threadprivate_cached(ident_t *loc, kmp_int32 gtid, void *data, size_t size,
                                           void ***cache);
KMPX_API void *__kmpc_threadprivate(ident_t *loc, kmp_int32 gtid, void *data, size_t size);
void *__kmpc_threadprivate(ident_t *loc, kmp_int32 gtid, void *data, size_t size)
{
    return __kmpc_threadprivate_cached(loc, gtid, data, size, NULL);
}

/* C++ arrays of threadprivate objects: as __kmpc_threadprivate_register, copies are made
 * bitwise (the registration is accepted, the callbacks are not used). */
KMPX_API void __kmpc_threadprivate_register_vec(ident_t *loc, void *data, void *ctor,
                                                void *cctor, void *dtor, size_t vector_length);
void __kmpc_threadprivate_register_vec(ident_t *loc, void *data, void *ctor, void *cctor,
                                       void *dtor, size_t vector_length)
{
    (void)loc, (void)data, (void)ctor, (void)cctor, (void)dtor, (void)vector_length;
}

/* ---- proxy tasks (an offload plugin's asynchronous work): complete when their body has
 * run and __kmpc_proxy_task_completed* is called, like a detached task whose event that call
 * fulfils (__kmpc_omp_task_alloc makes a task with the proxy flag detachable). ---- */
KMPX_API void omp_fulfill_event(uintptr_t event);
KMPX_API void __kmpc_proxy_task_completed(kmp_int32 gtid, kmp_task_t *ptask);
void __kmpc_proxy_task_completed(kmp_int32 gtid, kmp_task_t *ptask)
{
    (void)gtid;
    if (ptask)
        omp_fulfill_event((uintptr_t)kmpx_td(ptask));
}

KMPX_API void __kmpc_proxy_task_completed_ooo(kmp_task_t *ptask);
void __kmpc_proxy_task_completed_ooo(kmp_task_t *ptask)
{
    if (ptask)
        omp_fulfill_event((uintptr_t)kmpx_td(ptask));
}

/* ---- num_teams(lower:upper) (OpenMP 5.1): the upper bound is what a host league forms ---- */
KMPX_API void __kmpc_push_num_teams(ident_t *loc, kmp_int32 gtid, kmp_int32 num_teams,
                                    kmp_int32 num_threads);
KMPX_API void __kmpc_push_num_teams_51(ident_t *loc, kmp_int32 gtid, kmp_int32 num_teams_lb,
                                       kmp_int32 num_teams_ub, kmp_int32 num_threads);
void __kmpc_push_num_teams_51(ident_t *loc, kmp_int32 gtid, kmp_int32 num_teams_lb,
                              kmp_int32 num_teams_ub, kmp_int32 num_threads)
{
    __kmpc_push_num_teams(loc, gtid, num_teams_ub > 0 ? num_teams_ub : num_teams_lb,
                          num_threads);
}

/* The value pushed by __kmpc_push_num_threads is taken by the next fork, which clears it;
 * nothing is left to pop (libomp's pop does nothing either). */
KMPX_API void __kmpc_pop_num_threads(ident_t *loc, kmp_int32 gtid);
void __kmpc_pop_num_threads(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
}

/* omp_pause_resource's entry: releasing the pool's threads is not supported (-1). */
KMPX_API int omp_pause_resource_all(int kind);
KMPX_API int __kmpc_pause_resource(int level);
int __kmpc_pause_resource(int level) { return omp_pause_resource_all(level); }

/* OMP_TARGET_OFFLOAD as libomptarget asks for it: 1, "default" (no device: the host). */
KMPX_API int __kmpc_get_target_offload(void);
int __kmpc_get_target_offload(void) { return 1; }
