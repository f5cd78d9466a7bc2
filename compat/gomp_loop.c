/*
 * gomp_loop.c - gcc's worksharing loops (GOMP_loop_*, GOMP_loop_ull_*, the combined
 * GOMP_parallel_loop_*), ordered, sections and doacross loops, on the dispatch machinery of
 * kmp_loop.c and kmp_doacross.c.
 *
 * gcc passes the user's bounds, half-open: [start, end) with step incr (negative for a
 * down-counting loop; for the ull variants the direction is the `up` argument and incr is
 * the step modulo 2^64), and takes chunks back as [*istart, *iend). The dispatch machinery
 * works on inclusive bounds: here the last iteration is start + (n - 1) * incr, and a chunk
 * [a, b] goes back as [a, b + incr). Every schedule maps to the clang schedule code with
 * the same meaning (static with chunk 0 is the block split; auto is guided), so one `next`
 * serves every kind: the kind is fixed when the loop is set up.
 *
 * Sections are a dynamic loop over 1..count with chunk 1 (section numbers are 1-based; 0
 * means none left). A combined `parallel for` or `parallel sections` sets the loop up in
 * every member before the body runs, whose first call is the `next` one.
 */
#include "gomp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

KMPX_API void __kmpc_barrier(ident_t *loc, kmp_int32 gtid);
KMPX_API void __kmpc_ordered(ident_t *loc, kmp_int32 gtid);
KMPX_API void __kmpc_end_ordered(ident_t *loc, kmp_int32 gtid);
KMPX_API void __kmpc_doacross_init(ident_t *loc, kmp_int32 gtid, kmp_int32 num_dims,
                                   const kmp_dim *dims);
KMPX_API void __kmpc_doacross_wait(ident_t *loc, kmp_int32 gtid, const kmp_int64 *vec);
KMPX_API void __kmpc_doacross_post(ident_t *loc, kmp_int32 gtid, const kmp_int64 *vec);
KMPX_API void __kmpc_doacross_fini(ident_t *loc, kmp_int32 gtid);

typedef unsigned long long gomp_ull;

/* clang schedule codes (kmp_loop.c decodes them); + ORDERED for an ordered loop */
enum { S_STATIC_CHUNKED = 33, S_STATIC = 34, S_DYNAMIC = 35, S_GUIDED = 36, S_RUNTIME = 37,
       S_AUTO = 38, S_ORDERED = 32 };

/* gcc's generic schedule argument (GOMP_loop_start & co.): GFS_* plus a monotonic bit */
static kmp_int32 sched_of_gfs(long sched, long chunk)
{
    switch (sched & 0x7fffffffL) {
    case 0: return S_RUNTIME;
    case 1: return chunk > 0 ? S_STATIC_CHUNKED : S_STATIC;
    case 2: return S_DYNAMIC;
    case 3: return S_GUIDED;
    default: return S_AUTO;
    }
}

/* static with a chunk is the chunked kind (static with chunk 0: the block split) */
static kmp_int32 with_chunk(kmp_int32 sched, long chunk)
{
    if (chunk > 0 && (sched == S_STATIC || sched == S_ORDERED + S_STATIC))
        return sched - 1;
    return sched;
}

static int64_t chunk_ull(gomp_ull c) { return c > (gomp_ull)INT64_MAX ? INT64_MAX : (int64_t)c; }

/* Sets up a loop of long bounds [start, end) by incr for the calling thread. */
static void init_l(kmp_int32 sched, long start, long end, long incr, long chunk)
{
    bool empty = incr > 0 ? start >= end : incr < 0 ? start <= end : true;
    uint64_t ub = 0;
    if (!empty) {
        uint64_t span = incr > 0 ? (uint64_t)end - (uint64_t)start : (uint64_t)start - (uint64_t)end;
        uint64_t step = incr > 0 ? (uint64_t)incr : 0 - (uint64_t)incr;
        ub = (uint64_t)start + ((span - 1) / step) * (uint64_t)incr;
    }
    kmpx_dispatch_init64(false, sched, (uint64_t)start, ub, incr, chunk, empty);
}

static void init_ull(kmp_int32 sched, bool up, gomp_ull start, gomp_ull end, gomp_ull incr,
                     gomp_ull chunk)
{
    bool empty = up ? start >= end : start <= end;
    uint64_t step = up ? incr : 0 - incr;
    if (step == 0)
        empty = true;
    uint64_t ub = 0;
    if (!empty)
        ub = start + ((up ? end - start : start - end) - 1) / step * incr;
    kmpx_dispatch_init64(true, sched, start, ub, (int64_t)incr, chunk_ull(chunk), empty);
}

static bool next_l(long *istart, long *iend)
{
    uint64_t a, b;
    if (!kmpx_dispatch_next64(&a, &b))
        return false;
    *istart = (long)a;
    *iend = (long)(b + (uint64_t)kmpx_tls_self->loop.st);
    return true;
}

static bool next_ull(gomp_ull *istart, gomp_ull *iend)
{
    uint64_t a, b;
    if (!kmpx_dispatch_next64(&a, &b))
        return false;
    *istart = a;
    *iend = b + (uint64_t)kmpx_tls_self->loop.st;
    return true;
}

/* ---- long loops ---- */

#define GOMPX_LOOP_L(NAME, SCHED)                                                            \
    KMPX_API bool GOMP_loop_##NAME##_start(long start, long end, long incr, long chunk,      \
                                           long *istart, long *iend);                        \
    bool GOMP_loop_##NAME##_start(long start, long end, long incr, long chunk, long *istart, \
                                  long *iend)                                                \
    {                                                                                        \
        kmpx_self();                                                                         \
        init_l(with_chunk(SCHED, chunk), start, end, incr, chunk);                                                                                         \
        return next_l(istart, iend);                                                         \
    }                                                                                        \
    KMPX_API bool GOMP_loop_##NAME##_next(long *istart, long *iend);                         \
    bool GOMP_loop_##NAME##_next(long *istart, long *iend) { return next_l(istart, iend); }

#define GOMPX_LOOP_L_RUNTIME(NAME, SCHED)                                                    \
    KMPX_API bool GOMP_loop_##NAME##_start(long start, long end, long incr, long *istart,    \
                                           long *iend);                                      \
    bool GOMP_loop_##NAME##_start(long start, long end, long incr, long *istart, long *iend) \
    {                                                                                        \
        kmpx_self();                                                                         \
        init_l(SCHED, start, end, incr, 0);                                                  \
        return next_l(istart, iend);                                                         \
    }                                                                                        \
    KMPX_API bool GOMP_loop_##NAME##_next(long *istart, long *iend);                         \
    bool GOMP_loop_##NAME##_next(long *istart, long *iend) { return next_l(istart, iend); }

GOMPX_LOOP_L(static, S_STATIC)
GOMPX_LOOP_L(dynamic, S_DYNAMIC)
GOMPX_LOOP_L(guided, S_GUIDED)
GOMPX_LOOP_L(nonmonotonic_dynamic, S_DYNAMIC)
GOMPX_LOOP_L(nonmonotonic_guided, S_GUIDED)
GOMPX_LOOP_L_RUNTIME(runtime, S_RUNTIME)
GOMPX_LOOP_L_RUNTIME(nonmonotonic_runtime, S_RUNTIME)
GOMPX_LOOP_L_RUNTIME(maybe_nonmonotonic_runtime, S_RUNTIME)
GOMPX_LOOP_L(ordered_static, S_ORDERED + S_STATIC)
GOMPX_LOOP_L(ordered_dynamic, S_ORDERED + S_DYNAMIC)
GOMPX_LOOP_L(ordered_guided, S_ORDERED + S_GUIDED)
GOMPX_LOOP_L_RUNTIME(ordered_runtime, S_ORDERED + S_RUNTIME)

static void unsupported(const char *what)
{
    fprintf(stderr, "arayon: %s is not supported by this OpenMP runtime\n", what);
    abort();
}

/* gcc 9+: any schedule, with task reductions (`reduction(task, ...)`) and a team-shared
 * buffer (`lastprivate(conditional:)`, scan), both set up by gompx_ws_begin. With istart
 * NULL only the construct is set up (the compiler schedules statically itself). */
static bool loop_start_generic(bool ordered, long start, long end, long incr, long sched,
                               long chunk, long *istart, long *iend, uintptr_t *reductions,
                               void **mem)
{
    gompx_ws_begin(kmpx_self(), reductions, mem);
    init_l(sched_of_gfs(sched, chunk) + (ordered ? S_ORDERED : 0), start, end, incr, chunk);
    return istart ? next_l(istart, iend) : true;
}

KMPX_API bool GOMP_loop_start(long start, long end, long incr, long sched, long chunk,
                              long *istart, long *iend, uintptr_t *reductions, void **mem);
bool GOMP_loop_start(long start, long end, long incr, long sched, long chunk, long *istart,
                     long *iend, uintptr_t *reductions, void **mem)
{
    return loop_start_generic(false, start, end, incr, sched, chunk, istart, iend, reductions,
                              mem);
}

KMPX_API bool GOMP_loop_ordered_start(long start, long end, long incr, long sched, long chunk,
                                      long *istart, long *iend, uintptr_t *reductions,
                                      void **mem);
bool GOMP_loop_ordered_start(long start, long end, long incr, long sched, long chunk,
                             long *istart, long *iend, uintptr_t *reductions, void **mem)
{
    return loop_start_generic(true, start, end, incr, sched, chunk, istart, iend, reductions,
                              mem);
}

/* ---- unsigned long long loops ---- */

#define GOMPX_LOOP_ULL(NAME, SCHED)                                                          \
    KMPX_API bool GOMP_loop_ull_##NAME##_start(bool up, gomp_ull start, gomp_ull end,        \
                                               gomp_ull incr, gomp_ull chunk,                \
                                               gomp_ull *istart, gomp_ull *iend);            \
    bool GOMP_loop_ull_##NAME##_start(bool up, gomp_ull start, gomp_ull end, gomp_ull incr,  \
                                      gomp_ull chunk, gomp_ull *istart, gomp_ull *iend)      \
    {                                                                                        \
        kmpx_self();                                                                         \
        init_ull(with_chunk(SCHED, chunk_ull(chunk)), up, start, end, incr, chunk);        \
                                                                                                                                                       \
        return next_ull(istart, iend);                                                       \
    }                                                                                        \
    KMPX_API bool GOMP_loop_ull_##NAME##_next(gomp_ull *istart, gomp_ull *iend);             \
    bool GOMP_loop_ull_##NAME##_next(gomp_ull *istart, gomp_ull *iend)                       \
    {                                                                                        \
        return next_ull(istart, iend);                                                       \
    }

#define GOMPX_LOOP_ULL_RUNTIME(NAME, SCHED)                                                  \
    KMPX_API bool GOMP_loop_ull_##NAME##_start(bool up, gomp_ull start, gomp_ull end,        \
                                               gomp_ull incr, gomp_ull *istart,              \
                                               gomp_ull *iend);                              \
    bool GOMP_loop_ull_##NAME##_start(bool up, gomp_ull start, gomp_ull end, gomp_ull incr,  \
                                      gomp_ull *istart, gomp_ull *iend)                      \
    {                                                                                        \
        kmpx_self();                                                                         \
        init_ull(SCHED, up, start, end, incr, 0);                                            \
        return next_ull(istart, iend);                                                       \
    }                                                                                        \
    KMPX_API bool GOMP_loop_ull_##NAME##_next(gomp_ull *istart, gomp_ull *iend);             \
    bool GOMP_loop_ull_##NAME##_next(gomp_ull *istart, gomp_ull *iend)                       \
    {                                                                                        \
        return next_ull(istart, iend);                                                       \
    }

GOMPX_LOOP_ULL(static, S_STATIC)
GOMPX_LOOP_ULL(dynamic, S_DYNAMIC)
GOMPX_LOOP_ULL(guided, S_GUIDED)
GOMPX_LOOP_ULL(nonmonotonic_dynamic, S_DYNAMIC)
GOMPX_LOOP_ULL(nonmonotonic_guided, S_GUIDED)
GOMPX_LOOP_ULL_RUNTIME(runtime, S_RUNTIME)
GOMPX_LOOP_ULL_RUNTIME(nonmonotonic_runtime, S_RUNTIME)
GOMPX_LOOP_ULL_RUNTIME(maybe_nonmonotonic_runtime, S_RUNTIME)
GOMPX_LOOP_ULL(ordered_static, S_ORDERED + S_STATIC)
GOMPX_LOOP_ULL(ordered_dynamic, S_ORDERED + S_DYNAMIC)
GOMPX_LOOP_ULL(ordered_guided, S_ORDERED + S_GUIDED)
GOMPX_LOOP_ULL_RUNTIME(ordered_runtime, S_ORDERED + S_RUNTIME)

static bool loop_ull_start_generic(bool ordered, bool up, gomp_ull start, gomp_ull end,
                                   gomp_ull incr, long sched, gomp_ull chunk, gomp_ull *istart,
                                   gomp_ull *iend, uintptr_t *reductions, void **mem)
{
    gompx_ws_begin(kmpx_self(), reductions, mem);
    init_ull(sched_of_gfs(sched, (long)chunk_ull(chunk)) + (ordered ? S_ORDERED : 0), up, start,
             end, incr, chunk);
    return istart ? next_ull(istart, iend) : true;
}

KMPX_API bool GOMP_loop_ull_start(bool up, gomp_ull start, gomp_ull end, gomp_ull incr,
                                  long sched, gomp_ull chunk, gomp_ull *istart, gomp_ull *iend,
                                  uintptr_t *reductions, void **mem);
bool GOMP_loop_ull_start(bool up, gomp_ull start, gomp_ull end, gomp_ull incr, long sched,
                         gomp_ull chunk, gomp_ull *istart, gomp_ull *iend,
                         uintptr_t *reductions, void **mem)
{
    return loop_ull_start_generic(false, up, start, end, incr, sched, chunk, istart, iend,
                                  reductions, mem);
}

KMPX_API bool GOMP_loop_ull_ordered_start(bool up, gomp_ull start, gomp_ull end, gomp_ull incr,
                                          long sched, gomp_ull chunk, gomp_ull *istart,
                                          gomp_ull *iend, uintptr_t *reductions, void **mem);
bool GOMP_loop_ull_ordered_start(bool up, gomp_ull start, gomp_ull end, gomp_ull incr,
                                 long sched, gomp_ull chunk, gomp_ull *istart, gomp_ull *iend,
                                 uintptr_t *reductions, void **mem)
{
    return loop_ull_start_generic(true, up, start, end, incr, sched, chunk, istart, iend,
                                  reductions, mem);
}

/* ---- the end of a loop ---- */

/* A doacross loop ends with the loop (gcc emits no fini of its own); for any other loop
 * th->dacr is NULL and the fini does nothing. */
static kmpx_thread *loop_finish(void)
{
    kmpx_thread *th = kmpx_self();
    kmpx_loop_end(th);
    __kmpc_doacross_fini(NULL, 0);
    gompx_ws_release(th);
    return th;
}

KMPX_API void GOMP_loop_end(void);
void GOMP_loop_end(void) { kmpx_barrier(loop_finish()); }

KMPX_API void GOMP_loop_end_nowait(void);
void GOMP_loop_end_nowait(void) { loop_finish(); }

KMPX_API bool GOMP_loop_end_cancel(void);
bool GOMP_loop_end_cancel(void)
{
    return kmpx_barrier_cancellable(loop_finish());
}

/* ---- ordered ---- */

KMPX_API void GOMP_ordered_start(void);
void GOMP_ordered_start(void) { __kmpc_ordered(NULL, 0); }

KMPX_API void GOMP_ordered_end(void);
void GOMP_ordered_end(void) { __kmpc_end_ordered(NULL, 0); }

/* ---- combined parallel loops ---- */

typedef struct loop_args {
    kmp_int32 sched;
    long start, end, incr, chunk;
} loop_args;

static void loop_prologue(kmpx_thread *th, void *arg)
{
    (void)th;
    const loop_args *a = arg;
    init_l(a->sched, a->start, a->end, a->incr, a->chunk);
}

static void parallel_loop(void (*fn)(void *), void *data, unsigned num_threads, kmp_int32 sched,
                          long start, long end, long incr, long chunk)
{
    loop_args a = {sched, start, end, incr, chunk};
    kmpx_fork_gomp(kmpx_self(), fn, data, num_threads, loop_prologue, &a);
}

/* gcc <= 4.8: the combined loop posted with the split region API (GOMP_parallel_start). */
static void parallel_loop_start(void (*fn)(void *), void *data, unsigned num_threads,
                                kmp_int32 sched, long start, long end, long incr, long chunk)
{
    loop_args a = {sched, start, end, incr, chunk};
    if (!kmpx_split_begin(kmpx_self(), fn, data, num_threads, loop_prologue, &a, sizeof a)) {
        fputs("arayon: out of memory starting an OpenMP parallel loop\n", stderr);
        abort();
    }
}

#define GOMPX_PARALLEL_LOOP_START(NAME, SCHED)                                               \
    KMPX_API void GOMP_parallel_loop_##NAME##_start(void (*fn)(void *), void *data,          \
                                                    unsigned num_threads, long start,        \
                                                    long end, long incr, long chunk);        \
    void GOMP_parallel_loop_##NAME##_start(void (*fn)(void *), void *data,                   \
                                           unsigned num_threads, long start, long end,       \
                                           long incr, long chunk)                            \
    {                                                                                        \
        parallel_loop_start(fn, data, num_threads, with_chunk(SCHED, chunk), start, end,     \
                            incr, chunk);                                                    \
    }
GOMPX_PARALLEL_LOOP_START(static, S_STATIC)
GOMPX_PARALLEL_LOOP_START(dynamic, S_DYNAMIC)
GOMPX_PARALLEL_LOOP_START(guided, S_GUIDED)

KMPX_API void GOMP_parallel_loop_runtime_start(void (*fn)(void *), void *data,
                                               unsigned num_threads, long start, long end,
                                               long incr);
void GOMP_parallel_loop_runtime_start(void (*fn)(void *), void *data, unsigned num_threads,
                                      long start, long end, long incr)
{
    parallel_loop_start(fn, data, num_threads, S_RUNTIME, start, end, incr, 0);
}

#define GOMPX_PARALLEL_LOOP(NAME, SCHED)                                                     \
    KMPX_API void GOMP_parallel_loop_##NAME(void (*fn)(void *), void *data,                  \
                                            unsigned num_threads, long start, long end,      \
                                            long incr, long chunk, unsigned flags);          \
    void GOMP_parallel_loop_##NAME(void (*fn)(void *), void *data, unsigned num_threads,     \
                                   long start, long end, long incr, long chunk,              \
                                   unsigned flags)                                           \
    {                                                                                        \
        (void)flags; /* proc_bind: placement is the pool's */                                \
        parallel_loop(fn, data, num_threads,                                                 \
                      with_chunk(SCHED, chunk), start, end, incr, chunk);                   \
                                                                                                                                                  \
    }

#define GOMPX_PARALLEL_LOOP_RUNTIME(NAME)                                                    \
    KMPX_API void GOMP_parallel_loop_##NAME(void (*fn)(void *), void *data,                  \
                                            unsigned num_threads, long start, long end,      \
                                            long incr, unsigned flags);                      \
    void GOMP_parallel_loop_##NAME(void (*fn)(void *), void *data, unsigned num_threads,     \
                                   long start, long end, long incr, unsigned flags)          \
    {                                                                                        \
        (void)flags;                                                                         \
        parallel_loop(fn, data, num_threads, S_RUNTIME, start, end, incr, 0);                \
    }

GOMPX_PARALLEL_LOOP(static, S_STATIC)
GOMPX_PARALLEL_LOOP(dynamic, S_DYNAMIC)
GOMPX_PARALLEL_LOOP(guided, S_GUIDED)
GOMPX_PARALLEL_LOOP(nonmonotonic_dynamic, S_DYNAMIC)
GOMPX_PARALLEL_LOOP(nonmonotonic_guided, S_GUIDED)
GOMPX_PARALLEL_LOOP_RUNTIME(runtime)
GOMPX_PARALLEL_LOOP_RUNTIME(nonmonotonic_runtime)
GOMPX_PARALLEL_LOOP_RUNTIME(maybe_nonmonotonic_runtime)

/* ---- sections ---- */

/* One section at a time: a chunk holds one section, except alone (a team of one takes
 * the whole range at once), so the rest of a chunk is kept for the next call. */
static unsigned next_section(void)
{
    struct kmpx_ws_thread *L = &kmpx_tls_self->loop;
    if (L->sect_next < L->sect_end)
        return (unsigned)L->sect_next++;
    uint64_t a, b;
    if (!kmpx_dispatch_next64(&a, &b))
        return 0;
    L->sect_next = a + 1;
    L->sect_end = b + 1;
    return (unsigned)a;
}

static void sections_init(unsigned count)
{
    kmpx_dispatch_init64(false, S_DYNAMIC, 1, count, 1, 1, count == 0);
    kmpx_tls_self->loop.sect_next = kmpx_tls_self->loop.sect_end = 0;
}

KMPX_API unsigned GOMP_sections_start(unsigned count);
unsigned GOMP_sections_start(unsigned count)
{
    kmpx_self();
    sections_init(count);
    return next_section();
}

/* gcc 9+: with task reductions or a shared buffer. */
KMPX_API unsigned GOMP_sections2_start(unsigned count, uintptr_t *reductions, void **mem);
unsigned GOMP_sections2_start(unsigned count, uintptr_t *reductions, void **mem)
{
    gompx_ws_begin(kmpx_self(), reductions, mem);
    return GOMP_sections_start(count);
}

KMPX_API unsigned GOMP_sections_next(void);
unsigned GOMP_sections_next(void) { return next_section(); }

/* Sections end as loops do. */
KMPX_API void GOMP_sections_end(void) __attribute__((alias("GOMP_loop_end")));
KMPX_API void GOMP_sections_end_nowait(void) __attribute__((alias("GOMP_loop_end_nowait")));
KMPX_API bool GOMP_sections_end_cancel(void) __attribute__((alias("GOMP_loop_end_cancel")));

static void sections_prologue(kmpx_thread *th, void *arg)
{
    (void)th;
    sections_init(*(const unsigned *)arg);
}

KMPX_API void GOMP_parallel_sections(void (*fn)(void *), void *data, unsigned num_threads,
                                     unsigned count, unsigned flags);
void GOMP_parallel_sections(void (*fn)(void *), void *data, unsigned num_threads,
                            unsigned count, unsigned flags)
{
    (void)flags;
    kmpx_fork_gomp(kmpx_self(), fn, data, num_threads, sections_prologue, &count);
}

KMPX_API void GOMP_parallel_sections_start(void (*fn)(void *), void *data,
                                           unsigned num_threads, unsigned count);
void GOMP_parallel_sections_start(void (*fn)(void *), void *data, unsigned num_threads,
                                  unsigned count)
{
    if (!kmpx_split_begin(kmpx_self(), fn, data, num_threads, sections_prologue, &count,
                          sizeof count)) {
        fputs("arayon: out of memory starting OpenMP parallel sections\n", stderr);
        abort();
    }
}

/* ---- doacross loops ---- */

/* counts[i]: the iterations of dimension i, numbered 0..counts[i]-1 in post and wait; the
 * loop itself runs over the first dimension. */
static void doacross_init(unsigned ncounts, const uint64_t *counts)
{
    kmp_dim dims[8];
    if (ncounts < 1 || ncounts > 8)
        unsupported("a doacross loop with more than 8 dimensions");
    for (unsigned i = 0; i < ncounts; i++) {
        dims[i].lo = 0;
        dims[i].up = (kmp_int64)counts[i] - 1;
        dims[i].st = 1;
    }
    __kmpc_doacross_init(NULL, 0, (kmp_int32)ncounts, dims);
}

static bool doacross_start_l(unsigned ncounts, long *counts, kmp_int32 sched, long chunk,
                             long *istart, long *iend)
{
    kmpx_self();
    uint64_t c[8];
    for (unsigned i = 0; i < ncounts && i < 8; i++)
        c[i] = counts[i] > 0 ? (uint64_t)counts[i] : 0;
    doacross_init(ncounts, c);
    init_l(sched, 0, counts[0], 1, chunk);
    return istart ? next_l(istart, iend) : true;
}

#define GOMPX_DOACROSS_L(NAME, SCHED)                                                        \
    KMPX_API bool GOMP_loop_doacross_##NAME##_start(unsigned ncounts, long *counts,          \
                                                    long chunk, long *istart, long *iend);   \
    bool GOMP_loop_doacross_##NAME##_start(unsigned ncounts, long *counts, long chunk,       \
                                           long *istart, long *iend)                         \
    {                                                                                        \
        return doacross_start_l(ncounts, counts,                                             \
                                with_chunk(SCHED, chunk), chunk, istart, iend);                \
                                                                                                                                     \
    }

GOMPX_DOACROSS_L(static, S_STATIC)
GOMPX_DOACROSS_L(dynamic, S_DYNAMIC)
GOMPX_DOACROSS_L(guided, S_GUIDED)

KMPX_API bool GOMP_loop_doacross_runtime_start(unsigned ncounts, long *counts, long *istart,
                                               long *iend);
bool GOMP_loop_doacross_runtime_start(unsigned ncounts, long *counts, long *istart, long *iend)
{
    return doacross_start_l(ncounts, counts, S_RUNTIME, 0, istart, iend);
}

KMPX_API bool GOMP_loop_doacross_start(unsigned ncounts, long *counts, long sched, long chunk,
                                       long *istart, long *iend, uintptr_t *reductions,
                                       void **mem);
bool GOMP_loop_doacross_start(unsigned ncounts, long *counts, long sched, long chunk,
                              long *istart, long *iend, uintptr_t *reductions, void **mem)
{
    gompx_ws_begin(kmpx_self(), reductions, mem);
    return doacross_start_l(ncounts, counts, sched_of_gfs(sched, chunk), chunk, istart, iend);
}

static bool doacross_start_ull(unsigned ncounts, gomp_ull *counts, kmp_int32 sched,
                               gomp_ull chunk, gomp_ull *istart, gomp_ull *iend)
{
    kmpx_self();
    uint64_t c[8];
    for (unsigned i = 0; i < ncounts && i < 8; i++)
        c[i] = counts[i] > (gomp_ull)INT64_MAX ? (uint64_t)INT64_MAX : counts[i];
    doacross_init(ncounts, c);
    init_ull(sched, true, 0, counts[0], 1, chunk);
    return istart ? next_ull(istart, iend) : true;
}

#define GOMPX_DOACROSS_ULL(NAME, SCHED)                                                      \
    KMPX_API bool GOMP_loop_ull_doacross_##NAME##_start(unsigned ncounts, gomp_ull *counts,  \
                                                        gomp_ull chunk, gomp_ull *istart,    \
                                                        gomp_ull *iend);                     \
    bool GOMP_loop_ull_doacross_##NAME##_start(unsigned ncounts, gomp_ull *counts,           \
                                               gomp_ull chunk, gomp_ull *istart,             \
                                               gomp_ull *iend)                               \
    {                                                                                        \
        return doacross_start_ull(ncounts, counts,                                           \
                                  with_chunk(SCHED, chunk_ull(chunk)), chunk, istart, iend);  \
                                                                                                                                   \
    }

GOMPX_DOACROSS_ULL(static, S_STATIC)
GOMPX_DOACROSS_ULL(dynamic, S_DYNAMIC)
GOMPX_DOACROSS_ULL(guided, S_GUIDED)

KMPX_API bool GOMP_loop_ull_doacross_runtime_start(unsigned ncounts, gomp_ull *counts,
                                                   gomp_ull *istart, gomp_ull *iend);
bool GOMP_loop_ull_doacross_runtime_start(unsigned ncounts, gomp_ull *counts, gomp_ull *istart,
                                          gomp_ull *iend)
{
    return doacross_start_ull(ncounts, counts, S_RUNTIME, 0, istart, iend);
}

KMPX_API bool GOMP_loop_ull_doacross_start(unsigned ncounts, gomp_ull *counts, long sched,
                                           gomp_ull chunk, gomp_ull *istart, gomp_ull *iend,
                                           uintptr_t *reductions, void **mem);
bool GOMP_loop_ull_doacross_start(unsigned ncounts, gomp_ull *counts, long sched,
                                  gomp_ull chunk, gomp_ull *istart, gomp_ull *iend,
                                  uintptr_t *reductions, void **mem)
{
    gompx_ws_begin(kmpx_self(), reductions, mem);
    return doacross_start_ull(ncounts, counts, sched_of_gfs(sched, (long)chunk_ull(chunk)),
                              chunk, istart, iend);
}

KMPX_API void GOMP_doacross_post(long *counts);
void GOMP_doacross_post(long *counts) { __kmpc_doacross_post(NULL, 0, (const kmp_int64 *)counts); }

KMPX_API void GOMP_doacross_wait(long first, ...);
void GOMP_doacross_wait(long first, ...)
{
    int n = kmpx_doacross_ndims(kmpx_self());
    if (n < 1)
        return;
    kmp_int64 v[8];
    v[0] = first;
    va_list ap;
    va_start(ap, first);
    for (int i = 1; i < n; i++)
        v[i] = va_arg(ap, long);
    va_end(ap);
    __kmpc_doacross_wait(NULL, 0, v);
}

KMPX_API void GOMP_doacross_ull_post(gomp_ull *counts);
void GOMP_doacross_ull_post(gomp_ull *counts)
{
    __kmpc_doacross_post(NULL, 0, (const kmp_int64 *)counts);
}

KMPX_API void GOMP_doacross_ull_wait(gomp_ull first, ...);
void GOMP_doacross_ull_wait(gomp_ull first, ...)
{
    int n = kmpx_doacross_ndims(kmpx_self());
    if (n < 1)
        return;
    kmp_int64 v[8];
    v[0] = (kmp_int64)first;
    va_list ap;
    va_start(ap, first);
    for (int i = 1; i < n; i++)
        v[i] = (kmp_int64)va_arg(ap, gomp_ull);
    va_end(ap);
    __kmpc_doacross_wait(NULL, 0, v);
}

#define KMPX_SYMVER_GOMP_LOOP
#include "gomp_symver.h"
