/*
 * kmp_abi.h - prototypes of the exported entry points defined in kmp_loop.c, omp_lock.c and
 * omp_api.c. The types are the ABI's (enums passed as int, allocator handles as uintptr_t,
 * lock objects as void *: gcc's and clang's omp.h disagree on the lock types, so omp.h is
 * never included here). Include after kmp.h.
 */
#ifndef KMPX_KMP_ABI_H
#define KMPX_KMP_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Loops (kmp_loop.c) */
KMPX_API void __kmpc_for_static_init_4(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,
                                       kmp_int32 *plast, kmp_int32 *plb, kmp_int32 *pub,
                                       kmp_int32 *pst, kmp_int32 incr, kmp_int32 chunk);
KMPX_API void __kmpc_for_static_init_4u(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,
                                        kmp_int32 *plast, kmp_uint32 *plb, kmp_uint32 *pub,
                                        kmp_int32 *pst, kmp_int32 incr, kmp_int32 chunk);
KMPX_API void __kmpc_for_static_init_8(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,
                                       kmp_int32 *plast, kmp_int64 *plb, kmp_int64 *pub,
                                       kmp_int64 *pst, kmp_int64 incr, kmp_int64 chunk);
KMPX_API void __kmpc_for_static_init_8u(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,
                                        kmp_int32 *plast, kmp_uint64 *plb, kmp_uint64 *pub,
                                        kmp_int64 *pst, kmp_int64 incr, kmp_int64 chunk);
KMPX_API void __kmpc_for_static_fini(ident_t *loc, kmp_int32 gtid);

KMPX_API void __kmpc_dispatch_init_4(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,
                                     kmp_int32 lb, kmp_int32 ub, kmp_int32 st, kmp_int32 chunk);
KMPX_API void __kmpc_dispatch_init_4u(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,
                                      kmp_uint32 lb, kmp_uint32 ub, kmp_int32 st,
                                      kmp_int32 chunk);
KMPX_API void __kmpc_dispatch_init_8(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,
                                     kmp_int64 lb, kmp_int64 ub, kmp_int64 st, kmp_int64 chunk);
KMPX_API void __kmpc_dispatch_init_8u(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,
                                      kmp_uint64 lb, kmp_uint64 ub, kmp_int64 st,
                                      kmp_int64 chunk);
KMPX_API int __kmpc_dispatch_next_4(ident_t *loc, kmp_int32 gtid, kmp_int32 *plast,
                                    kmp_int32 *plb, kmp_int32 *pub, kmp_int32 *pst);
KMPX_API int __kmpc_dispatch_next_4u(ident_t *loc, kmp_int32 gtid, kmp_int32 *plast,
                                     kmp_uint32 *plb, kmp_uint32 *pub, kmp_int32 *pst);
KMPX_API int __kmpc_dispatch_next_8(ident_t *loc, kmp_int32 gtid, kmp_int32 *plast,
                                    kmp_int64 *plb, kmp_int64 *pub, kmp_int64 *pst);
KMPX_API int __kmpc_dispatch_next_8u(ident_t *loc, kmp_int32 gtid, kmp_int32 *plast,
                                     kmp_uint64 *plb, kmp_uint64 *pub, kmp_int64 *pst);
KMPX_API void __kmpc_dispatch_fini_4(ident_t *loc, kmp_int32 gtid);
KMPX_API void __kmpc_dispatch_fini_4u(ident_t *loc, kmp_int32 gtid);
KMPX_API void __kmpc_dispatch_fini_8(ident_t *loc, kmp_int32 gtid);
KMPX_API void __kmpc_dispatch_fini_8u(ident_t *loc, kmp_int32 gtid);

KMPX_API void __kmpc_ordered(ident_t *loc, kmp_int32 gtid);
KMPX_API void __kmpc_end_ordered(ident_t *loc, kmp_int32 gtid);

/* Reductions, copyprivate, critical, flush (kmp_loop.c) */
KMPX_API kmp_int32 __kmpc_reduce_nowait(ident_t *loc, kmp_int32 gtid, kmp_int32 num_vars,
                                        size_t reduce_size, void *reduce_data,
                                        void (*reduce_func)(void *lhs, void *rhs),
                                        kmp_critical_name *lck);
KMPX_API void __kmpc_end_reduce_nowait(ident_t *loc, kmp_int32 gtid, kmp_critical_name *lck);
KMPX_API kmp_int32 __kmpc_reduce(ident_t *loc, kmp_int32 gtid, kmp_int32 num_vars,
                                 size_t reduce_size, void *reduce_data,
                                 void (*reduce_func)(void *lhs, void *rhs),
                                 kmp_critical_name *lck);
KMPX_API void __kmpc_end_reduce(ident_t *loc, kmp_int32 gtid, kmp_critical_name *lck);
KMPX_API void __kmpc_copyprivate(ident_t *loc, kmp_int32 gtid, size_t cpy_size, void *cpy_data,
                                 void (*cpy_func)(void *dst, void *src), kmp_int32 didit);
KMPX_API void __kmpc_critical(ident_t *loc, kmp_int32 gtid, kmp_critical_name *crit);
KMPX_API void __kmpc_critical_with_hint(ident_t *loc, kmp_int32 gtid, kmp_critical_name *crit,
                                        uint32_t hint);
KMPX_API void __kmpc_end_critical(ident_t *loc, kmp_int32 gtid, kmp_critical_name *crit);
KMPX_API void __kmpc_flush(ident_t *loc);

/* Locks (omp_lock.c): lock is gcc's omp_lock_t (4 bytes) or clang's (8); nest locks are
 * gcc's omp_nest_lock_t (16) or clang's (8); only the first 8 bytes are used. */
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

/* Queries and ICVs (omp_api.c) */
KMPX_API int omp_get_thread_num(void);
KMPX_API int omp_get_num_threads(void);
KMPX_API int omp_get_max_threads(void);
KMPX_API void omp_set_num_threads(int n);
KMPX_API int omp_in_parallel(void);
KMPX_API int omp_get_level(void);
KMPX_API int omp_get_active_level(void);
KMPX_API int omp_get_ancestor_thread_num(int level);
KMPX_API int omp_get_team_size(int level);
KMPX_API int omp_in_final(void);
KMPX_API int omp_get_num_procs(void);
KMPX_API double omp_get_wtime(void);
KMPX_API double omp_get_wtick(void);
KMPX_API void omp_set_dynamic(int flag);
KMPX_API int omp_get_dynamic(void);
KMPX_API void omp_set_nested(int flag);
KMPX_API int omp_get_nested(void);
KMPX_API void omp_set_schedule(int kind, int chunk);
KMPX_API void omp_get_schedule(int *kind, int *chunk);
KMPX_API int omp_get_thread_limit(void);
KMPX_API void omp_set_max_active_levels(int n);
KMPX_API int omp_get_max_active_levels(void);
KMPX_API int omp_get_supported_active_levels(void);
KMPX_API int omp_get_cancellation(void);
KMPX_API int omp_get_proc_bind(void);
KMPX_API int omp_get_num_places(void);
KMPX_API int omp_get_place_num_procs(int place);
KMPX_API void omp_get_place_proc_ids(int place, int *ids);
KMPX_API int omp_get_place_num(void);
KMPX_API int omp_get_partition_num_places(void);
KMPX_API void omp_get_partition_place_nums(int *places);
KMPX_API int omp_get_max_task_priority(void);
KMPX_API int omp_get_num_devices(void);
KMPX_API void omp_set_default_device(int device);
KMPX_API int omp_get_default_device(void);
KMPX_API int omp_get_initial_device(void);
KMPX_API int omp_is_initial_device(void);
KMPX_API int omp_get_device_num(void);
KMPX_API int omp_get_num_teams(void);
KMPX_API int omp_get_team_num(void);
KMPX_API void omp_set_num_teams(int n);
KMPX_API int omp_get_max_teams(void);
KMPX_API void omp_set_teams_thread_limit(int n);
KMPX_API int omp_get_teams_thread_limit(void);
KMPX_API void omp_display_env(int verbose);
KMPX_API void *omp_target_alloc(size_t size, int device);
KMPX_API void omp_target_free(void *ptr, int device);
KMPX_API int omp_target_is_present(const void *ptr, int device);
KMPX_API int omp_target_memcpy(void *dst, const void *src, size_t length, size_t dst_offset,
                               size_t src_offset, int dst_device, int src_device);
KMPX_API int omp_target_memcpy_rect(void *dst, const void *src, size_t element_size,
                                    int num_dims, const size_t *volume,
                                    const size_t *dst_offsets, const size_t *src_offsets,
                                    const size_t *dst_dimensions,
                                    const size_t *src_dimensions, int dst_device,
                                    int src_device);
KMPX_API int omp_target_associate_ptr(const void *host_ptr, const void *device_ptr,
                                      size_t size, size_t device_offset, int device);
KMPX_API int omp_target_disassociate_ptr(const void *ptr, int device);
KMPX_API int omp_pause_resource(int kind, int device);
KMPX_API int omp_pause_resource_all(int kind);
KMPX_API int omp_control_tool(int command, int modifier, void *arg);

KMPX_API void *omp_alloc(size_t size, uintptr_t allocator);
KMPX_API void *omp_aligned_alloc(size_t align, size_t size, uintptr_t allocator);
KMPX_API void *omp_calloc(size_t nmemb, size_t size, uintptr_t allocator);
KMPX_API void *omp_aligned_calloc(size_t align, size_t nmemb, size_t size, uintptr_t allocator);
KMPX_API void *omp_realloc(void *ptr, size_t size, uintptr_t allocator, uintptr_t free_allocator);
KMPX_API void omp_free(void *ptr, uintptr_t allocator);
KMPX_API uintptr_t omp_init_allocator(uintptr_t memspace, int ntraits, const void *traits);
KMPX_API void omp_destroy_allocator(uintptr_t allocator);
KMPX_API void omp_set_default_allocator(uintptr_t allocator);
KMPX_API uintptr_t omp_get_default_allocator(void);

KMPX_API void omp_set_affinity_format(const char *format);
KMPX_API size_t omp_get_affinity_format(char *buffer, size_t size);
KMPX_API void omp_display_affinity(const char *format);
KMPX_API size_t omp_capture_affinity(char *buffer, size_t size, const char *format);
KMPX_API void ompc_set_affinity_format(const char *format);
KMPX_API size_t ompc_get_affinity_format(char *buffer, size_t size);
KMPX_API void ompc_display_affinity(const char *format);
KMPX_API size_t ompc_capture_affinity(char *buffer, size_t size, const char *format);

KMPX_API kmp_int32 __kmpc_bound_thread_num(ident_t *loc);
KMPX_API kmp_int32 __kmpc_bound_num_threads(ident_t *loc);
KMPX_API kmp_int32 __kmpc_in_parallel(ident_t *loc);

/* Provided by compat/kmp_task.c: nonzero when the thread's current task is final. */
KMPX_HIDDEN int kmpx_task_in_final(kmpx_thread *th);

#endif
