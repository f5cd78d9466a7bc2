/*
 * gomp_parallel.c - gcc's regions and synchronization: GOMP_parallel, barriers, single
 * (with copyprivate), critical, atomic, cancellation, host teams, the `error` directive and
 * gcc's allocator calls. Teams are the clang layer's (kmp_parallel.c): a gcc region is the
 * same gang running fn(data) instead of a microtask, so gcc and clang code can meet in one
 * region (a gcc-built function called from a clang-built region sees the same team).
 */
#include "gomp.h"
#include "kmp_abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

KMPX_API void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads,
                            unsigned flags);
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags)
{
    (void)flags; /* proc_bind (flags & 7): placement is the pool's */
    kmpx_fork_gomp(kmpx_self(), fn, data, num_threads, NULL, NULL);
}

/* The split region API of gcc <= 4.8: start posts the region and returns, the program then
 * runs fn(data) as the primary, end joins (kmp_parallel.c, kmpx_split_begin). */
KMPX_API void GOMP_parallel_start(void (*fn)(void *), void *data, unsigned num_threads);
void GOMP_parallel_start(void (*fn)(void *), void *data, unsigned num_threads)
{
    if (!kmpx_split_begin(kmpx_self(), fn, data, num_threads, NULL, NULL, 0)) {
        fputs("arayon: out of memory starting an OpenMP parallel region "
              "(GOMP_parallel_start)\n", stderr);
        abort();
    }
}

KMPX_API void GOMP_parallel_end(void);
void GOMP_parallel_end(void)
{
    if (!kmpx_split_end(kmpx_self()))
        fputs("arayon: GOMP_parallel_end without GOMP_parallel_start; ignored\n", stderr);
}

KMPX_API void GOMP_barrier(void);
void GOMP_barrier(void) { kmpx_barrier(kmpx_self()); }

KMPX_API bool GOMP_barrier_cancel(void);
bool GOMP_barrier_cancel(void) { return kmpx_barrier_cancellable(kmpx_self()); }

KMPX_API bool GOMP_single_start(void);
bool GOMP_single_start(void) { return __kmpc_single(NULL, 0) != 0; }

/* single copyprivate: the thread that runs the body gets NULL, fills its data and calls
 * copy_end, which publishes it and waits at a barrier; the others wait at that barrier and
 * get the data; the compiler's GOMP_barrier after the copies keeps the data alive. */
KMPX_API void *GOMP_single_copy_start(void);
void *GOMP_single_copy_start(void)
{
    kmpx_thread *th = kmpx_self();
    if (__kmpc_single(NULL, 0))
        return NULL;
    kmpx_barrier(th);
    return atomic_load_explicit(&th->team->copy_data, memory_order_acquire);
}

KMPX_API void GOMP_single_copy_end(void *data);
void GOMP_single_copy_end(void *data)
{
    kmpx_thread *th = kmpx_self();
    atomic_store_explicit(&th->team->copy_data, data, memory_order_release);
    kmpx_barrier(th);
}

/* ---- critical and atomic ---- */

static _Atomic uint32_t unnamed_critical;

KMPX_API void GOMP_critical_start(void);
void GOMP_critical_start(void) { kmpx_lock_acquire(&unnamed_critical); }

KMPX_API void GOMP_critical_end(void);
void GOMP_critical_end(void) { kmpx_lock_release(&unnamed_critical); }

/* A named critical's name is an 8-byte zero-initialized common symbol that the runtime owns:
 * its first 4 bytes are the lock word. */
KMPX_API void GOMP_critical_name_start(void **pptr);
void GOMP_critical_name_start(void **pptr) { kmpx_lock_acquire((_Atomic uint32_t *)(void *)pptr); }

KMPX_API void GOMP_critical_name_end(void **pptr);
void GOMP_critical_name_end(void **pptr) { kmpx_lock_release((_Atomic uint32_t *)(void *)pptr); }

/* Atomics the target cannot do inline (long double, _Complex, several reduction combines). */
/* gcc's atomics without a native instruction take the lock of __kmpc_atomic_start
 * (kmp_atomic.c), as in libomp: gcc-built and icc-built code updating one object exclude
 * each other. */
KMPX_API void __kmpc_atomic_start(void);
KMPX_API void __kmpc_atomic_end(void);
KMPX_API void GOMP_atomic_start(void);
void GOMP_atomic_start(void) { __kmpc_atomic_start(); }

KMPX_API void GOMP_atomic_end(void);
void GOMP_atomic_end(void) { __kmpc_atomic_end(); }

/* ---- cancellation ---- */

/* gcc's `which` bit -> clang's construct kind */
static kmp_int32 cancel_kind(int which)
{
    switch (which) {
    case GOMPX_CANCEL_PARALLEL: return 1;
    case GOMPX_CANCEL_LOOP: return 2;
    case GOMPX_CANCEL_SECTIONS: return 3;
    case GOMPX_CANCEL_TASKGROUP: return 4;
    default: return 0;
    }
}

KMPX_API bool GOMP_cancellation_point(int which);
bool GOMP_cancellation_point(int which)
{
    return __kmpc_cancellationpoint(NULL, 0, cancel_kind(which)) != 0;
}

/* `cancel ... if(expr)` with expr false is a cancellation point. */
KMPX_API bool GOMP_cancel(int which, bool do_cancel);
bool GOMP_cancel(int which, bool do_cancel)
{
    if (!do_cancel)
        return GOMP_cancellation_point(which);
    /* (a parallel cancel also waits for members in cancel barriers: __kmpc_cancel) */
    return __kmpc_cancel(NULL, 0, cancel_kind(which)) != 0;
}

/* ---- host teams ---- */

/* As in kmp_teams.c (kmpx_run_league): the league's teams run one after another on this
 * thread (teams may not synchronize with each other). */
struct gomp_call {
    void (*fn)(void *);
    void *data;
};

static void run_gomp(kmpx_thread *th, void *arg)
{
    (void)th;
    struct gomp_call *c = arg;
    c->fn(c->data);
}

KMPX_API void GOMP_teams_reg(void (*fn)(void *), void *data, unsigned num_teams,
                             unsigned thread_limit, unsigned flags);
void GOMP_teams_reg(void (*fn)(void *), void *data, unsigned num_teams, unsigned thread_limit,
                    unsigned flags)
{
    (void)flags;
    struct gomp_call c = {fn, data};
    kmpx_run_league(kmpx_self(), num_teams > INT32_MAX ? INT32_MAX : (int)num_teams,
                    thread_limit > INT32_MAX ? INT32_MAX : (int)thread_limit, run_gomp, &c);
}

/* ---- the error directive (OpenMP 5.1) ---- */

static void report(const char *kind, const char *msg, size_t len)
{
    if (!msg)
        fprintf(stderr, "arayon: %s directive encountered\n", kind);
    else if (len == (size_t)-1)
        fprintf(stderr, "arayon: %s directive encountered: %s\n", kind, msg);
    else
        fprintf(stderr, "arayon: %s directive encountered: %.*s\n", kind, (int)len, msg);
}

KMPX_API void GOMP_warning(const char *msg, size_t len);
void GOMP_warning(const char *msg, size_t len) { report("warning", msg, len); }

KMPX_API void GOMP_error(const char *msg, size_t len);
void GOMP_error(const char *msg, size_t len)
{
    report("error", msg, len);
    exit(EXIT_FAILURE);
}

/* ---- gcc's allocate clause / directive ---- */

KMPX_API void *GOMP_alloc(size_t alignment, size_t size, uintptr_t allocator);
void *GOMP_alloc(size_t alignment, size_t size, uintptr_t allocator)
{
    /* The allocate clause's storage: gcc's code uses it without a check, so no memory (after
     * the allocator's fallback) ends the program, as in libgomp. */
    void *p = omp_aligned_alloc(alignment, size, allocator);
    if (!p && size) {
        fprintf(stderr, "arayon: out of memory allocating %zu bytes for an allocate clause\n",
                size);
        exit(EXIT_FAILURE);
    }
    return p;
}

KMPX_API void GOMP_free(void *ptr, uintptr_t allocator);
void GOMP_free(void *ptr, uintptr_t allocator) { omp_free(ptr, allocator); }

#define KMPX_SYMVER_GOMP_PARALLEL
#include "gomp_symver.h"
