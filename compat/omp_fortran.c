/*
 * omp_fortran.c - the OpenMP API as Fortran programs call it: gfortran (and libomp's own
 * Fortran module) turn `omp_get_thread_num()` into a call to omp_get_thread_num_ with every
 * argument passed by reference, CHARACTER arguments followed by their lengths (size_t, after
 * all other arguments, not NUL-terminated, padded with blanks on output), LOGICAL as an
 * integer of its kind, and `_8_` forms for -fdefault-integer-8 (8-byte INTEGER/LOGICAL
 * arguments). Each entry translates onto the C API (omp_api.c, omp_lock.c, omp_alloc.c).
 *
 * Locks: the Fortran lock variable is the lock. gfortran's omp_lock_kind is 4 and
 * omp_nest_lock_kind 8 (libomp's module: 8 and 8); the layer's simple lock is a 4-byte word
 * and its nest lock 8 bytes (omp_lock.c), so both fit in place, with either module.
 *
 * Symbol versions: each name is exported under libomp's VERSION (its default) and under the
 * node where libgomp first exported it (gomp_symver.h, KMPX_SYMVER_OMP_FORTRAN); the lock
 * routines also under OMP_1.0, as libgomp keeps them for programs built before OpenMP 3.0.
 */
#include "kmp.h"
#include "kmp_abi.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The C API (defined in omp_api.c, omp_lock.c, omp_alloc.c, kmp_task.c). */
KMPX_API int omp_get_thread_num(void);
KMPX_API int omp_get_num_threads(void);
KMPX_API int omp_get_max_threads(void);
KMPX_API int omp_get_num_procs(void);
KMPX_API int omp_in_parallel(void);
KMPX_API int omp_get_dynamic(void);
KMPX_API void omp_set_dynamic(int);
KMPX_API int omp_get_nested(void);
KMPX_API void omp_set_nested(int);
KMPX_API void omp_set_num_threads(int);
KMPX_API double omp_get_wtime(void);
KMPX_API double omp_get_wtick(void);
KMPX_API void omp_set_schedule(int, int);
KMPX_API void omp_get_schedule(int *, int *);
KMPX_API int omp_get_thread_limit(void);
KMPX_API int omp_get_supported_active_levels(void);
KMPX_API void omp_set_max_active_levels(int);
KMPX_API int omp_get_max_active_levels(void);
KMPX_API int omp_get_level(void);
KMPX_API int omp_get_ancestor_thread_num(int);
KMPX_API int omp_get_team_size(int);
KMPX_API int omp_get_active_level(void);
KMPX_API int omp_in_final(void);
KMPX_API int omp_get_cancellation(void);
KMPX_API int omp_get_proc_bind(void);
KMPX_API int omp_get_num_places(void);
KMPX_API int omp_get_place_num_procs(int);
KMPX_API void omp_get_place_proc_ids(int, int *);
KMPX_API int omp_get_place_num(void);
KMPX_API int omp_get_partition_num_places(void);
KMPX_API void omp_get_partition_place_nums(int *);
KMPX_API void omp_set_affinity_format(const char *);
KMPX_API size_t omp_get_affinity_format(char *, size_t);
KMPX_API void omp_display_affinity(const char *);
KMPX_API size_t omp_capture_affinity(char *, size_t, const char *);
KMPX_API void omp_set_default_device(int);
KMPX_API int omp_get_default_device(void);
KMPX_API int omp_get_num_devices(void);
KMPX_API int omp_get_device_num(void);
KMPX_API int omp_get_num_teams(void);
KMPX_API int omp_get_team_num(void);
KMPX_API int omp_is_initial_device(void);
KMPX_API int omp_get_initial_device(void);
KMPX_API int omp_get_max_task_priority(void);
KMPX_API void omp_set_num_teams(int);
KMPX_API int omp_get_max_teams(void);
KMPX_API void omp_set_teams_thread_limit(int);
KMPX_API int omp_get_teams_thread_limit(void);
KMPX_API void omp_display_env(int);
KMPX_API int omp_pause_resource(int, int);
KMPX_API int omp_pause_resource_all(int);
KMPX_API int omp_control_tool(int, int, void *);
KMPX_API void omp_fulfill_event(uintptr_t);
KMPX_API uintptr_t omp_init_allocator(uintptr_t, int, const void *);
KMPX_API void omp_destroy_allocator(uintptr_t);
KMPX_API void omp_set_default_allocator(uintptr_t);
KMPX_API uintptr_t omp_get_default_allocator(void);
KMPX_API void omp_init_lock(void *);
KMPX_API void omp_init_lock_with_hint(void *, int);
KMPX_API void omp_destroy_lock(void *);
KMPX_API void omp_set_lock(void *);
KMPX_API void omp_unset_lock(void *);
KMPX_API int omp_test_lock(void *);
KMPX_API void omp_init_nest_lock(void *);
KMPX_API void omp_init_nest_lock_with_hint(void *, int);
KMPX_API void omp_destroy_nest_lock(void *);
KMPX_API void omp_set_nest_lock(void *);
KMPX_API void omp_unset_nest_lock(void *);
KMPX_API int omp_test_nest_lock(void *);

/* An INTEGER(8) argument where the C API takes an int: saturated to int's range. */
static inline int narrow(int64_t v)
{
    return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}

/* ---- queries without arguments: INTEGER(4) or LOGICAL(4) results ---- */
#define KMPX_F_QUERY(name)                                                                   \
    KMPX_API int32_t name##_(void);                                                        \
    int32_t name##_(void) { return (int32_t)name(); }
KMPX_F_QUERY(omp_get_thread_num)
KMPX_F_QUERY(omp_get_num_threads)
KMPX_F_QUERY(omp_get_max_threads)
KMPX_F_QUERY(omp_get_num_procs)
KMPX_F_QUERY(omp_in_parallel)
KMPX_F_QUERY(omp_get_dynamic)
KMPX_F_QUERY(omp_get_nested)
KMPX_F_QUERY(omp_get_thread_limit)
KMPX_F_QUERY(omp_get_supported_active_levels)
KMPX_F_QUERY(omp_get_max_active_levels)
KMPX_F_QUERY(omp_get_level)
KMPX_F_QUERY(omp_get_active_level)
KMPX_F_QUERY(omp_in_final)
KMPX_F_QUERY(omp_get_cancellation)
KMPX_F_QUERY(omp_get_proc_bind)
KMPX_F_QUERY(omp_get_num_places)
KMPX_F_QUERY(omp_get_place_num)
KMPX_F_QUERY(omp_get_partition_num_places)
KMPX_F_QUERY(omp_get_default_device)
KMPX_F_QUERY(omp_get_num_devices)
KMPX_F_QUERY(omp_get_device_num)
KMPX_F_QUERY(omp_get_num_teams)
KMPX_F_QUERY(omp_get_team_num)
KMPX_F_QUERY(omp_is_initial_device)
KMPX_F_QUERY(omp_get_initial_device)
KMPX_F_QUERY(omp_get_max_task_priority)
KMPX_F_QUERY(omp_get_max_teams)
KMPX_F_QUERY(omp_get_teams_thread_limit)

KMPX_API double omp_get_wtime_(void);
double omp_get_wtime_(void) { return omp_get_wtime(); }
KMPX_API double omp_get_wtick_(void);
double omp_get_wtick_(void) { return omp_get_wtick(); }

/* ---- setters taking one INTEGER or LOGICAL, in kinds 4 and 8 ---- */
#define KMPX_F_SET(name)                                                                     \
    KMPX_API void name##_(const int32_t *v);                                               \
    void name##_(const int32_t *v) { name(*v); }                                           \
    KMPX_API void name##_8_(const int64_t *v);                                             \
    void name##_8_(const int64_t *v) { name(narrow(*v)); }
/* a LOGICAL(8) is true when non-zero, whatever its high half holds */
#define KMPX_F_SET_LOGICAL(name)                                                             \
    KMPX_API void name##_(const int32_t *v);                                               \
    void name##_(const int32_t *v) { name(*v != 0); }                                      \
    KMPX_API void name##_8_(const int64_t *v);                                             \
    void name##_8_(const int64_t *v) { name(*v != 0); }
KMPX_F_SET(omp_set_num_threads)
KMPX_F_SET_LOGICAL(omp_set_dynamic)
KMPX_F_SET_LOGICAL(omp_set_nested)
KMPX_F_SET(omp_set_max_active_levels)
KMPX_F_SET(omp_set_default_device)
KMPX_F_SET(omp_set_num_teams)
KMPX_F_SET(omp_set_teams_thread_limit)
KMPX_F_SET_LOGICAL(omp_display_env)

/* ---- queries taking one INTEGER ---- */
#define KMPX_F_QUERY1(name)                                                                  \
    KMPX_API int32_t name##_(const int32_t *v);                                            \
    int32_t name##_(const int32_t *v) { return (int32_t)name(*v); }                        \
    KMPX_API int32_t name##_8_(const int64_t *v);                                          \
    int32_t name##_8_(const int64_t *v) { return (int32_t)name(narrow(*v)); }
KMPX_F_QUERY1(omp_get_ancestor_thread_num)
KMPX_F_QUERY1(omp_get_team_size)
KMPX_F_QUERY1(omp_get_place_num_procs)

/* ---- schedules ---- */
KMPX_API void omp_set_schedule_(const int32_t *kind, const int32_t *chunk);
void omp_set_schedule_(const int32_t *kind, const int32_t *chunk) { omp_set_schedule(*kind, *chunk); }
KMPX_API void omp_set_schedule_8_(const int32_t *kind, const int64_t *chunk);
void omp_set_schedule_8_(const int32_t *kind, const int64_t *chunk)
{
    omp_set_schedule(*kind, narrow(*chunk));
}
KMPX_API void omp_get_schedule_(int32_t *kind, int32_t *chunk);
void omp_get_schedule_(int32_t *kind, int32_t *chunk)
{
    int k, c;
    omp_get_schedule(&k, &c);
    *kind = k;
    *chunk = c;
}
KMPX_API void omp_get_schedule_8_(int32_t *kind, int64_t *chunk);
void omp_get_schedule_8_(int32_t *kind, int64_t *chunk)
{
    int k, c;
    omp_get_schedule(&k, &c);
    *kind = k;
    *chunk = c;
}

/* ---- places: arrays of the argument's kind, as many elements as the C call fills ---- */
KMPX_API void omp_get_place_proc_ids_(const int32_t *place, int32_t *ids);
void omp_get_place_proc_ids_(const int32_t *place, int32_t *ids)
{
    omp_get_place_proc_ids(*place, ids); /* int is INTEGER(4) */
}
KMPX_API void omp_get_place_proc_ids_8_(const int64_t *place, int64_t *ids);
void omp_get_place_proc_ids_8_(const int64_t *place, int64_t *ids)
{
    int n = omp_get_place_num_procs(narrow(*place));
    if (n <= 0)
        return;
    int *tmp = malloc((size_t)n * sizeof *tmp);
    if (!tmp)
        return; /* (out of memory: the array is left as it was) */
    omp_get_place_proc_ids(narrow(*place), tmp);
    for (int i = 0; i < n; i++)
        ids[i] = tmp[i];
    free(tmp);
}
KMPX_API void omp_get_partition_place_nums_(int32_t *nums);
void omp_get_partition_place_nums_(int32_t *nums) { omp_get_partition_place_nums(nums); }
KMPX_API void omp_get_partition_place_nums_8_(int64_t *nums);
void omp_get_partition_place_nums_8_(int64_t *nums)
{
    int n = omp_get_partition_num_places();
    if (n <= 0)
        return;
    int *tmp = malloc((size_t)n * sizeof *tmp);
    if (!tmp)
        return;
    omp_get_partition_place_nums(tmp);
    for (int i = 0; i < n; i++)
        nums[i] = tmp[i];
    free(tmp);
}

/* ---- CHARACTER arguments ---- */

/* A NUL-terminated copy of a Fortran string, trailing blanks kept (they are part of an
 * affinity format); in small when it fits. NULL when out of memory. */
static char *c_string(const char *s, size_t len, char *small, size_t small_size)
{
    char *c = len < small_size ? small : malloc(len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

/* Copies a C result into a Fortran buffer, blank-padded. */
static void f_string(char *buffer, size_t buffer_len, const char *s, size_t n)
{
    if (n > buffer_len)
        n = buffer_len;
    memcpy(buffer, s, n);
    memset(buffer + n, ' ', buffer_len - n);
}

KMPX_API void omp_set_affinity_format_(const char *format, size_t format_len);
void omp_set_affinity_format_(const char *format, size_t format_len)
{
    char small[256], *f = c_string(format, format_len, small, sizeof small);
    if (f)
        omp_set_affinity_format(f);
    if (f != small)
        free(f);
}

KMPX_API int32_t omp_get_affinity_format_(char *buffer, size_t buffer_len);
int32_t omp_get_affinity_format_(char *buffer, size_t buffer_len)
{
    size_t n = omp_get_affinity_format(NULL, 0);
    char small[256], *tmp = n < sizeof small ? small : malloc(n + 1);
    if (!tmp)
        return (int32_t)n;
    omp_get_affinity_format(tmp, n + 1);
    f_string(buffer, buffer_len, tmp, n);
    if (tmp != small)
        free(tmp);
    return (int32_t)n;
}

KMPX_API void omp_display_affinity_(const char *format, size_t format_len);
void omp_display_affinity_(const char *format, size_t format_len)
{
    char small[256], *f = c_string(format, format_len, small, sizeof small);
    if (f)
        omp_display_affinity(format_len ? f : NULL); /* an empty format: the default */
    if (f != small)
        free(f);
}

KMPX_API int32_t omp_capture_affinity_(char *buffer, const char *format, size_t buffer_len,
                                       size_t format_len);
int32_t omp_capture_affinity_(char *buffer, const char *format, size_t buffer_len,
                              size_t format_len)
{
    char fsmall[256], *f = c_string(format, format_len, fsmall, sizeof fsmall);
    if (!f)
        return 0;
    const char *fmt = format_len ? f : NULL;
    size_t n = omp_capture_affinity(NULL, 0, fmt);
    char small[256], *tmp = n < sizeof small ? small : malloc(n + 1);
    if (tmp) {
        omp_capture_affinity(tmp, n + 1, fmt);
        f_string(buffer, buffer_len, tmp, n);
        if (tmp != small)
            free(tmp);
    }
    if (f != fsmall)
        free(f);
    return (int32_t)n;
}

/* ---- resources, tools, events ---- */
KMPX_API int32_t omp_pause_resource_(const int32_t *kind, const int32_t *device);
int32_t omp_pause_resource_(const int32_t *kind, const int32_t *device)
{
    return omp_pause_resource(*kind, *device);
}
KMPX_API int32_t omp_pause_resource_all_(const int32_t *kind);
int32_t omp_pause_resource_all_(const int32_t *kind) { return omp_pause_resource_all(*kind); }

/* libomp's module: omp_control_tool(command, modifier) with arg absent (NULL). */
KMPX_API int32_t omp_control_tool_(const int32_t *command, const int32_t *modifier);
int32_t omp_control_tool_(const int32_t *command, const int32_t *modifier)
{
    return omp_control_tool(*command, *modifier, NULL);
}

/* gfortran passes the event handle by value (VALUE attribute in omp_lib). */
KMPX_API void omp_fulfill_event_(uintptr_t event);
void omp_fulfill_event_(uintptr_t event) { omp_fulfill_event(event); }

/* ---- allocators: handles are INTEGER(c_intptr_t); a trait is TYPE(omp_alloctrait), an
 * INTEGER(c_int) key and an INTEGER(c_intptr_t) value, laid out as the C struct ---- */
KMPX_API uintptr_t omp_init_allocator_(const uintptr_t *memspace, const int32_t *ntraits,
                                       const void *traits);
uintptr_t omp_init_allocator_(const uintptr_t *memspace, const int32_t *ntraits,
                              const void *traits)
{
    return omp_init_allocator(*memspace, *ntraits, traits);
}
KMPX_API uintptr_t omp_init_allocator_8_(const uintptr_t *memspace, const int64_t *ntraits,
                                         const void *traits);
uintptr_t omp_init_allocator_8_(const uintptr_t *memspace, const int64_t *ntraits,
                                const void *traits)
{
    if (*ntraits < 0 || *ntraits > INT_MAX)
        return 0; /* omp_null_allocator */
    return omp_init_allocator(*memspace, (int)*ntraits, traits);
}
KMPX_API void omp_destroy_allocator_(const uintptr_t *allocator);
void omp_destroy_allocator_(const uintptr_t *allocator) { omp_destroy_allocator(*allocator); }
KMPX_API void omp_set_default_allocator_(const uintptr_t *allocator);
void omp_set_default_allocator_(const uintptr_t *allocator)
{
    omp_set_default_allocator(*allocator);
}
KMPX_API uintptr_t omp_get_default_allocator_(void);
uintptr_t omp_get_default_allocator_(void) { return omp_get_default_allocator(); }

/* ---- locks (see the top: the Fortran variable is the lock) ---- */
#define KMPX_F_LOCK(ret, name)                                                               \
    KMPX_API ret name##_(void *lock);                                                      \
    ret name##_(void *lock) { return (ret)name(lock); }
KMPX_F_LOCK(void, omp_init_lock)
KMPX_F_LOCK(void, omp_destroy_lock)
KMPX_F_LOCK(void, omp_set_lock)
KMPX_F_LOCK(void, omp_unset_lock)
KMPX_F_LOCK(int32_t, omp_test_lock)
KMPX_F_LOCK(void, omp_init_nest_lock)
KMPX_F_LOCK(void, omp_destroy_nest_lock)
KMPX_F_LOCK(void, omp_set_nest_lock)
KMPX_F_LOCK(void, omp_unset_nest_lock)
KMPX_F_LOCK(int32_t, omp_test_nest_lock)

/* libomp's module (the hint kind is omp_sync_hint_kind, INTEGER(4) there) */
KMPX_API void omp_init_lock_with_hint_(void *lock, const int32_t *hint);
void omp_init_lock_with_hint_(void *lock, const int32_t *hint)
{
    omp_init_lock_with_hint(lock, *hint);
}
KMPX_API void omp_init_nest_lock_with_hint_(void *lock, const int32_t *hint);
void omp_init_nest_lock_with_hint_(void *lock, const int32_t *hint)
{
    omp_init_nest_lock_with_hint(lock, *hint);
}

#define KMPX_SYMVER_OMP_FORTRAN
#include "gomp_symver.h"
