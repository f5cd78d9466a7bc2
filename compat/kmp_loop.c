/*
 * kmp_loop.c - loop worksharing (static and dispatch), ordered, reductions, copyprivate,
 * critical sections and the layer's futex lock.
 *
 * Iteration spaces. Every loop is reduced to the index space 0 .. tc-1: iteration k is
 * lb + k * st, computed in the loop's own type. Bounds travel as uint64_t holding the value
 * sign- or zero-extended from its type; sums and products wrap modulo 2^64 and the
 * wrappers truncate to the type, which equals computing in the type itself. Only the
 * comparisons and the trip count need the type (ty_*).
 *
 * Dispatch loops in a team of n > 1 share a slot of the team's ring (kmp_loop.h). A thread
 * counts a construct as finished when its dispatch_next returns 0 (clang emits no fini for
 * unordered loops), or, if it left the loop early (cancellation), at its next dispatch init.
 * All threads meet the same dispatch loops in the same order (clang skips dispatch init
 * only for zero-trip loops, which are zero-trip for every thread), so th->ws_count names
 * the construct.
 *
 * Ordered: the slot's ord_next is the index of the iteration whose turn it is. Each
 * iteration passes the token exactly once, either at __kmpc_end_ordered or, if it ran no
 * ordered region, at the dispatch_fini that clang emits after every iteration of an
 * ordered loop (or, failing that, at the thread's next dispatch_next). Chunks are handed
 * out in increasing index order per thread, so the holder of ord_next always progresses.
 */
#include "kmp.h"
#include "kmp_abi.h"

#include <limits.h>
#include <string.h>

#define KMPX_SCHED_MODIFIERS 0x60000000
#define KMPX_SPIN 256
#define KMPX_YIELDS 16
#define KMPX_LOCK_SPIN 128

/* ---- the loop's type ---- */

enum { TY_I32, TY_U32, TY_I64, TY_U64 };

static inline bool ty_signed(int ty) { return ty == TY_I32 || ty == TY_I64; }

static inline uint64_t ty_mask(int ty)
{
    return (ty == TY_I32 || ty == TY_U32) ? UINT32_MAX : UINT64_MAX;
}

/* v truncated to the loop's type and widened again. */
static inline uint64_t ty_norm(int ty, uint64_t v)
{
    switch (ty) {
    case TY_I32:
        return (uint64_t)(int64_t)(int32_t)v;
    case TY_U32:
        return (uint32_t)v;
    default:
        return v;
    }
}

/* a < b in the loop's type (a and b widened from it). */
static inline bool ty_lt(int ty, uint64_t a, uint64_t b)
{
    return ty_signed(ty) ? (int64_t)a < (int64_t)b : a < b;
}

/* lb > ub (st > 0) or lb < ub (st <= 0): no iteration (libomp's test). */
static inline bool zero_trip(int ty, uint64_t lb, uint64_t ub, int64_t st)
{
    return st > 0 ? ty_lt(ty, ub, lb) : ty_lt(ty, lb, ub);
}

/* Trip count of a non-empty loop, in the loop's type as libomp computes it. A step of 0
 * counts as 1. Wraps to 0 for the full range of the type: flang gives an empty unsigned
 * 32-bit loop as 0 .. 0xFFFFFFFF and relies on that (empty_loop). */
static uint64_t trip_count(int ty, uint64_t lb, uint64_t ub, int64_t st)
{
    uint64_t span = (st > 0 ? ub - lb : lb - ub) & ty_mask(ty);
    uint64_t step = st > 0 ? (uint64_t)st : 0 - (uint64_t)st;
    return (step <= 1 ? span + 1 : span / step + 1) & ty_mask(ty);
}

/* No iteration: the bounds are the wrong way round, or the trip count wraps to 0. */
static inline bool empty_loop(int ty, uint64_t lb, uint64_t ub, int64_t st)
{
    return zero_trip(ty, lb, ub, st) || trip_count(ty, lb, ub, st) == 0;
}

static inline uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* ---- waiting on a slot ---- */

/* Waits until *p != v (ge false) or *p >= v (ge true): spins, yields, then sleeps on the
 * slot's eventcount. Notifiers change the watched word, then call ws_notify. */
static bool ws_ready(_Atomic uint64_t *p, uint64_t v, bool ge)
{
    uint64_t x = atomic_load_explicit(p, memory_order_acquire);
    return ge ? x >= v : x != v;
}

static void ws_wait(struct kmpx_ws *ws, _Atomic uint64_t *p, uint64_t v, bool ge)
{
    kmpx_thread *th = kmpx_tls_self;
    if (th && th->worker) { /* the team wait policy (runtime/team.h) */
        kmpx_team *team = th->team;
        unsigned n = team->nthreads <= KMPX_BAR_FLAT ? (unsigned)team->nthreads : 0;
        ary_backoff b = ARY_BACKOFF_FOR(th->worker, team->members, n);
        while (!ws_ready(p, v, ge))
            if (!ary_backoff_step(th->worker->pool, &b))
                break;
    } else {
        for (int i = 0; i < KMPX_SPIN; i++) {
            if (ws_ready(p, v, ge))
                return;
            aryd_cpu_relax();
        }
        for (int i = 0; i < KMPX_YIELDS; i++) {
            if (ws_ready(p, v, ge))
                return;
            aryd_yield();
        }
    }
    for (;;) {
        /* seq_cst RMW then re-check: pairs with the fence in ws_notify, so either the
         * notifier sees bit 0 or we see its store. */
        uint32_t e = atomic_fetch_or(&ws->wake, 1u) | 1u;
        if (ws_ready(p, v, ge))
            return;
        aryd_futex_wait(&ws->wake, e, 0);
    }
}

static void ws_notify(struct kmpx_ws *ws)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&ws->wake, memory_order_relaxed) & 1u) {
        atomic_fetch_add(&ws->wake, 1u); /* clears bit 0: the value changes for sleepers */
        aryd_futex_wake(&ws->wake, INT_MAX);
    }
}

/* ---- team and thread state ---- */

void kmpx_loop_team_init(kmpx_team *team)
{
    for (uint64_t i = 0; i < KMPX_WS_RING; i++) {
        struct kmpx_ws *ws = &team->ws[i];
        ws->tc = 0;
        ws->chunk = 1;
        ws->kind = KMPX_LOOP_DYNAMIC;
        ws->ordered = false;
        ws->cas_only = false;
        atomic_init(&ws->done, 0);
        atomic_init(&ws->wake, 0);
        atomic_init(&ws->next, 0);
        atomic_init(&ws->ord_next, 0);
        atomic_init(&ws->seq, (i << 2) | KMPX_WS_FREE);
    }
}

void kmpx_loop_thread_reset(kmpx_thread *th)
{
    th->ws_count = 0;
    memset(&th->loop, 0, sizeof th->loop);
}

/* ---- static loops ---- */

enum { ST_BLOCK, ST_CHUNKED, ST_BALANCED_CHUNKED };

/* distribute (91: dist_schedule(static, chunk); 92: dist_schedule(static) or none): the
 * iterations are split among the teams of the enclosing league, not among the threads of a
 * team; the caller is a team's initial thread. */
static inline bool is_distribute(kmp_int32 sched)
{
    int s = sched & ~KMPX_SCHED_MODIFIERS;
    return s == 91 || s == 92;
}

static int static_kind(kmp_int32 sched)
{
    switch (sched & ~KMPX_SCHED_MODIFIERS) {
    case 33: /* static, chunk */
    case 65: /* ordered static, chunk */
    case 91: /* distribute static, chunk */
        return ST_CHUNKED;
    case 45: /* static balanced chunked (simd) */
        return ST_BALANCED_CHUNKED;
    default: /* 34 static, 66, 92; anything else gets the block split */
        return ST_BLOCK;
    }
}

/* libomp's results, bit for bit: on a zero-trip loop the bounds stay and *pst = incr; in a
 * team of 1 the whole range with *plast = 1; otherwise see each case. A thread without
 * iterations gets lb = ub +- 1 (lb past ub). */
static void static_init(int ty, kmp_int32 sched, kmp_int32 *plast, uint64_t *plb,
                        uint64_t *pub, int64_t *pst, int64_t incr, int64_t chunk)
{
    kmpx_thread *th = kmpx_self();
    uint64_t lb = *plb, ub = *pub, uincr = (uint64_t)incr;
    int32_t last = 0;

    if (empty_loop(ty, lb, ub, incr)) {
        if (plast)
            *plast = 0;
        *pst = incr;
        return;
    }
    uint64_t nth = (uint64_t)th->team->nthreads, tid = (uint64_t)th->tid;
    if (is_distribute(sched)) { /* among the teams of the league (kmp_teams.c) */
        nth = th->num_teams > 0 ? (uint64_t)th->num_teams : 1;
        tid = (uint64_t)th->team_num;
    }
    if (nth <= 1) {
        if (plast)
            *plast = 1;
        *pst = (int64_t)(incr > 0 ? ub - lb + 1 : 0 - (lb - ub + 1));
        return;
    }
    uint64_t tc = trip_count(ty, lb, ub, incr);
    uint64_t empty_lb = ub + (incr > 0 ? 1 : UINT64_MAX);

    switch (static_kind(sched)) {
    case ST_BLOCK:
        if (tc < nth) {
            if (tid < tc)
                ub = lb = lb + tid * uincr;
            else
                lb = empty_lb;
            last = tid == tc - 1;
        } else {
            /* the first tc % nth threads take one iteration more */
            uint64_t small = tc / nth, extras = tc % nth;
            lb += uincr * (tid * small + (tid < extras ? tid : extras));
            ub = lb + small * uincr - (tid < extras ? 0 : uincr);
            last = tid == nth - 1;
        }
        *pst = (int64_t)tc;
        break;
    case ST_CHUNKED: {
        uint64_t c = chunk < 1 ? 1 : (uint64_t)chunk > tc ? tc : (uint64_t)chunk;
        uint64_t nchunks = tc / c + (tc % c != 0);
        uint64_t span = c * uincr;
        if (nchunks < nth) {
            *pst = (int64_t)(span * nchunks);
            if (tid < nchunks) {
                lb += span * tid;
                ub = lb + span - uincr;
            } else {
                lb = empty_lb;
            }
        } else {
            *pst = (int64_t)(span * nth);
            lb += span * tid;
            ub = lb + span - uincr;
        }
        last = tid == (nchunks - 1) % nth;
        break;
    }
    case ST_BALANCED_CHUNKED: {
        /* one chunk per thread: ceil(tc / nth) rounded up to a multiple of chunk; *pst is
         * left alone (as libomp does) */
        uint64_t c = chunk < 1 ? 1 : (uint64_t)chunk;
        uint64_t per = tc / nth + (tc % nth != 0);
        per = sat_mul((per / c + (per % c != 0)), c);
        uint64_t old_ub = ub, span = per * uincr;
        lb += span * tid;
        ub = ty_norm(ty, lb + span - uincr);
        if (incr > 0 ? ty_lt(ty, old_ub, ub) : ty_lt(ty, ub, old_ub))
            ub = old_ub;
        last = tid == (tc - 1) / per;
        break;
    }
    }
    *plb = lb;
    *pub = ub;
    if (plast)
        *plast = last;
}

#define KMPX_STATIC_INIT(SFX, T, ST, TY)                                                     \
    void __kmpc_for_static_init_##SFX(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,       \
                                      kmp_int32 *plast, T *plb, T *pub, ST *pst, ST incr,  \
                                      ST chunk)                                            \
    {                                                                                      \
        (void)loc;                                                                         \
        (void)gtid;                                                                        \
        uint64_t lb = (uint64_t)*plb, ub = (uint64_t)*pub;                                 \
        int64_t st = *pst;                                                                 \
        static_init(TY, sched, plast, &lb, &ub, &st, incr, chunk);                         \
        *plb = (T)lb;                                                                      \
        *pub = (T)ub;                                                                      \
        *pst = (ST)st;                                                                     \
    }

KMPX_STATIC_INIT(4, kmp_int32, kmp_int32, TY_I32)
KMPX_STATIC_INIT(4u, kmp_uint32, kmp_int32, TY_U32)
KMPX_STATIC_INIT(8, kmp_int64, kmp_int64, TY_I64)
KMPX_STATIC_INIT(8u, kmp_uint64, kmp_int64, TY_U64)

/* ---- distribute with a loop inside (distribute parallel for: __kmpc_dist_*), and
 * dist_schedule(static, chunk) loops of their own (__kmpc_team_static_init_*) ---- */

/* The block of [*plb, *pub] of this thread's team in the enclosing league: the first
 * tc % nteams teams take one iteration more (as the distribute of static_init). false when
 * the team has no iteration (then *plb is past *pub). *team_last: the team has the last
 * iteration. Not a zero-trip loop. */
static bool team_block(kmpx_thread *th, int ty, uint64_t *plb, uint64_t *pub, int64_t incr,
                       int32_t *team_last)
{
    uint64_t nt = th->num_teams > 0 ? (uint64_t)th->num_teams : 1, t = (uint64_t)th->team_num;
    uint64_t lb = *plb, ub = *pub, uincr = (uint64_t)incr;
    *team_last = 1;
    if (nt <= 1)
        return true;
    uint64_t tc = trip_count(ty, lb, ub, incr);
    if (tc < nt) {
        *team_last = t == tc - 1;
        if (t >= tc) {
            *plb = ub + (incr > 0 ? 1 : UINT64_MAX);
            return false;
        }
        *plb = *pub = lb + t * uincr;
        return true;
    }
    uint64_t small = tc / nt, extras = tc % nt;
    lb += uincr * (t * small + (t < extras ? t : extras));
    *plb = lb;
    *pub = lb + small * uincr - (t < extras ? 0 : uincr);
    *team_last = t == nt - 1;
    return true;
}

/* distribute parallel for, static schedules: the team's block, then this thread's part of
 * it by sched among the threads of the team; *pubd: the team's upper bound. */
static void dist_static_init(int ty, kmp_int32 sched, kmp_int32 *plast, uint64_t *plb,
                             uint64_t *pub, uint64_t *pubd, int64_t *pst, int64_t incr,
                             int64_t chunk)
{
    kmpx_thread *th = kmpx_self();
    if (empty_loop(ty, *plb, *pub, incr)) {
        if (plast)
            *plast = 0;
        *pubd = *pub;
        *pst = incr;
        return;
    }
    int32_t team_last;
    bool any = team_block(th, ty, plb, pub, incr, &team_last);
    *pubd = *pub;
    if (!any) {
        if (plast)
            *plast = 0;
        *pst = incr;
        return;
    }
    kmp_int32 last = 0;
    static_init(ty, sched, &last, plb, pub, pst, incr, chunk);
    if (plast)
        *plast = last && team_last;
}

#define KMPX_DIST_INIT(SFX, T, ST, TY)                                                       \
    KMPX_API void __kmpc_dist_for_static_init_##SFX(ident_t *loc, kmp_int32 gtid,           \
                                                    kmp_int32 sched, kmp_int32 *plast,      \
                                                    T *plb, T *pub, T *pubd, ST *pst,       \
                                                    ST incr, ST chunk);                     \
    void __kmpc_dist_for_static_init_##SFX(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,  \
                                           kmp_int32 *plast, T *plb, T *pub, T *pubd,      \
                                           ST *pst, ST incr, ST chunk)                     \
    {                                                                                      \
        (void)loc;                                                                         \
        (void)gtid;                                                                        \
        uint64_t lb = (uint64_t)*plb, ub = (uint64_t)*pub, ubd;                            \
        int64_t st = *pst;                                                                 \
        dist_static_init(TY, sched, plast, &lb, &ub, &ubd, &st, incr, chunk);              \
        *plb = (T)lb;                                                                      \
        *pub = (T)ub;                                                                      \
        *pubd = (T)ubd;                                                                    \
        *pst = (ST)st;                                                                     \
    }                                                                                      \
    KMPX_API void __kmpc_team_static_init_##SFX(ident_t *loc, kmp_int32 gtid,              \
                                                kmp_int32 *plast, T *plb, T *pub, ST *pst, \
                                                ST incr, ST chunk);                         \
    void __kmpc_team_static_init_##SFX(ident_t *loc, kmp_int32 gtid, kmp_int32 *plast,     \
                                       T *plb, T *pub, ST *pst, ST incr, ST chunk)         \
    {                                                                                      \
        (void)loc;                                                                         \
        (void)gtid;                                                                        \
        uint64_t lb = (uint64_t)*plb, ub = (uint64_t)*pub;                                 \
        int64_t st = *pst;                                                                 \
        static_init(TY, 91, plast, &lb, &ub, &st, incr, chunk); /* chunks among teams */   \
        *plb = (T)lb;                                                                      \
        *pub = (T)ub;                                                                      \
        *pst = (ST)st;                                                                     \
    }

KMPX_DIST_INIT(4, kmp_int32, kmp_int32, TY_I32)
KMPX_DIST_INIT(4u, kmp_uint32, kmp_int32, TY_U32)
KMPX_DIST_INIT(8, kmp_int64, kmp_int64, TY_I64)
KMPX_DIST_INIT(8u, kmp_uint64, kmp_int64, TY_U64)

void __kmpc_for_static_fini(ident_t *loc, kmp_int32 gtid)
{
    (void)loc;
    (void)gtid;
}

/* ---- dispatch loops ---- */

static void decode_runtime(kmpx_thread *th, int *kind, uint64_t *chunk)
{
    int k = th->run_sched_kind, c = th->run_sched_chunk;
    if (k == 0) {
        k = kmpx_set.run_sched_kind;
        c = kmpx_set.run_sched_chunk;
    }
    switch (k & INT_MAX) { /* drop omp_sched_monotonic */
    case KMPX_SCHED_DYNAMIC:
        *kind = KMPX_LOOP_DYNAMIC;
        break;
    case KMPX_SCHED_GUIDED:
    case KMPX_SCHED_AUTO:
        *kind = KMPX_LOOP_GUIDED;
        break;
    default:
        *kind = c > 0 ? KMPX_LOOP_CHUNKED : KMPX_LOOP_STATIC;
        break;
    }
    *chunk = c > 0 ? (uint64_t)c : 1;
}

static void decode_sched(kmpx_thread *th, kmp_int32 sched, int64_t chunk, int *kind,
                         bool *ordered, uint64_t *pchunk)
{
    int s = sched & ~KMPX_SCHED_MODIFIERS;
    *ordered = s > 64 && s < 72;
    if (*ordered)
        s -= 32;
    *pchunk = chunk > 0 ? (uint64_t)chunk : 1;
    switch (s) {
    case 33: /* static, chunk */
    case 91:
        *kind = chunk > 0 ? KMPX_LOOP_CHUNKED : KMPX_LOOP_STATIC;
        break;
    case 34: /* static */
    case 40: /* static greedy */
    case 41: /* static balanced */
    case 45: /* static balanced chunked */
    case 92:
        *kind = KMPX_LOOP_STATIC;
        break;
    case 36: /* guided */
    case 38: /* auto */
    case 39: /* trapezoidal */
    case 42: /* guided iterative */
    case 43: /* guided analytical */
    case 46: /* guided simd */
        *kind = KMPX_LOOP_GUIDED;
        break;
    case 37: /* runtime */
    case 47: /* runtime simd */
        decode_runtime(th, kind, pchunk);
        break;
    default: /* 35 dynamic, 44 static steal, unknown kinds */
        *kind = KMPX_LOOP_DYNAMIC;
        break;
    }
}

/* The thread is done with its current dispatch loop; the last member frees the slot. */
static void loop_leave(kmpx_thread *th)
{
    struct kmpx_ws_thread *L = &th->loop;
    struct kmpx_ws *ws = L->ws;
    L->active = false;
    L->ws = NULL;
    if (!ws)
        return;
    uint32_t n = atomic_fetch_add_explicit(&ws->done, 1, memory_order_acq_rel) + 1;
    if (n == (uint32_t)th->team->nthreads) {
        atomic_store_explicit(&ws->next, 0, memory_order_relaxed);
        atomic_store_explicit(&ws->ord_next, 0, memory_order_relaxed);
        atomic_store_explicit(&ws->done, 0, memory_order_relaxed);
        atomic_store_explicit(&ws->seq, ((L->construct + KMPX_WS_RING) << 2) | KMPX_WS_FREE,
                              memory_order_release);
        ws_notify(ws);
    }
}

static void dispatch_init(int ty, kmp_int32 sched, uint64_t lb, uint64_t ub, int64_t st,
                          int64_t chunk)
{
    kmpx_thread *th = kmpx_self();
    struct kmpx_ws_thread *L = &th->loop;
    if (L->ws)
        loop_leave(th); /* the previous loop was left early */

    int kind;
    bool ordered;
    uint64_t c;
    decode_sched(th, sched, chunk, &kind, &ordered, &c);
    uint64_t tc = zero_trip(ty, lb, ub, st) ? 0 : trip_count(ty, lb, ub, st); /* 0: empty */

    L->construct = th->ws_count++;
    L->lb = lb;
    L->st = st;
    L->pos = 0;
    L->active = true;
    L->ord_iter = 1; /* nothing pending until the first chunk */
    L->ord_last = 0;
    L->ord_passed = false;

    kmpx_team *team = th->team;
    if (team->nthreads <= 1) {
        L->alone = true;
        L->ws = NULL;
        L->kind = kind;
        L->ordered = ordered;
        L->tc = tc;
        L->chunk = c;
        return;
    }
    L->alone = false;

    kmpx_team_mark_used(team, KMPX_WS_USED_RING);
    struct kmpx_ws *ws = &team->ws[L->construct % KMPX_WS_RING];
    uint64_t want = L->construct << 2;
    for (;;) {
        uint64_t s = atomic_load_explicit(&ws->seq, memory_order_acquire);
        if (s == (want | KMPX_WS_LIVE))
            break;
        if (s == (want | KMPX_WS_FREE)) {
            if (!atomic_compare_exchange_strong_explicit(&ws->seq, &s, want | KMPX_WS_INIT,
                                                         memory_order_acquire,
                                                         memory_order_relaxed))
                continue; /* s may already be LIVE: look again rather than wait on it */
            uint64_t nth = (uint64_t)team->nthreads;
            ws->tc = tc;
            ws->chunk = c;
            ws->kind = kind;
            ws->ordered = ordered;
            /* dynamic: each member overshoots next by at most one chunk */
            ws->cas_only = sat_add(tc, sat_mul(nth + 1, c)) == UINT64_MAX;
            atomic_store_explicit(&ws->seq, want | KMPX_WS_LIVE, memory_order_release);
            ws_notify(ws);
            break;
        }
        /* s is the older construct of this slot (still running) or ours being set up */
        ws_wait(ws, &ws->seq, s, false);
    }
    L->ws = ws;
    L->kind = ws->kind;
    L->ordered = ws->ordered;
    L->tc = ws->tc;
    L->chunk = ws->chunk;
    if (L->kind == KMPX_LOOP_CHUNKED)
        L->pos = sat_mul((uint64_t)th->tid, L->chunk);
}

/* Takes the thread's next chunk [*pa, *pb] in index space. */
static bool grab(kmpx_thread *th, uint64_t *pa, uint64_t *pb)
{
    struct kmpx_ws_thread *L = &th->loop;
    uint64_t tc = L->tc, a, n;
    if (tc == 0)
        return false;
    if (L->alone) {
        if (L->pos)
            return false;
        L->pos = 1;
        *pa = 0;
        *pb = tc - 1;
        return true;
    }
    uint64_t nth = (uint64_t)th->team->nthreads, tid = (uint64_t)th->tid;
    struct kmpx_ws *ws = L->ws;
    switch (L->kind) {
    case KMPX_LOOP_STATIC: {
        if (L->pos)
            return false;
        L->pos = 1;
        uint64_t small = tc / nth, extras = tc % nth;
        n = small + (tid < extras);
        if (n == 0)
            return false;
        a = tid * small + (tid < extras ? tid : extras);
        break;
    }
    case KMPX_LOOP_CHUNKED:
        a = L->pos;
        if (a >= tc)
            return false;
        n = L->chunk < tc - a ? L->chunk : tc - a;
        L->pos = sat_add(a, sat_mul(nth, L->chunk));
        break;
    case KMPX_LOOP_GUIDED:
        a = atomic_load_explicit(&ws->next, memory_order_relaxed);
        do {
            if (a >= tc)
                return false;
            uint64_t rem = tc - a;
            n = rem / (2 * nth);
            if (n < L->chunk)
                n = L->chunk;
            if (n > rem)
                n = rem;
        } while (!atomic_compare_exchange_weak_explicit(&ws->next, &a, a + n,
                                                        memory_order_relaxed,
                                                        memory_order_relaxed));
        break;
    default: /* DYNAMIC */
        if (ws->cas_only) {
            a = atomic_load_explicit(&ws->next, memory_order_relaxed);
            do {
                if (a >= tc)
                    return false;
                n = L->chunk < tc - a ? L->chunk : tc - a;
            } while (!atomic_compare_exchange_weak_explicit(&ws->next, &a, a + n,
                                                            memory_order_relaxed,
                                                            memory_order_relaxed));
        } else {
            a = atomic_fetch_add_explicit(&ws->next, L->chunk, memory_order_relaxed);
            if (a >= tc)
                return false;
            n = L->chunk < tc - a ? L->chunk : tc - a;
        }
        break;
    }
    *pa = a;
    *pb = a + n - 1;
    return true;
}

static void ord_wait_turn(struct kmpx_ws *ws, uint64_t iter)
{
    if (atomic_load_explicit(&ws->ord_next, memory_order_acquire) < iter)
        ws_wait(ws, &ws->ord_next, iter, true);
}

static void ord_pass(struct kmpx_ws *ws, uint64_t iter)
{
    atomic_store_explicit(&ws->ord_next, iter + 1, memory_order_release);
    ws_notify(ws);
}

/* Ends the current iteration of an ordered loop: passes the token if its ordered region
 * did not. */
static void ord_end_iter(struct kmpx_ws_thread *L)
{
    if (!L->ord_passed) {
        ord_wait_turn(L->ws, L->ord_iter);
        ord_pass(L->ws, L->ord_iter);
    }
    L->ord_iter++;
    L->ord_passed = false;
}

static int dispatch_next(kmp_int32 *plast, uint64_t *plb, uint64_t *pub, int64_t *pst)
{
    kmpx_thread *th = kmpx_self();
    struct kmpx_ws_thread *L = &th->loop;
    if (!L->active)
        return 0;
    if (L->ordered && L->ws) {
        while (L->ord_iter <= L->ord_last)
            ord_end_iter(L);
    }
    uint64_t a, b;
    if (!grab(th, &a, &b)) {
        loop_leave(th);
        return 0;
    }
    L->ord_iter = a;
    L->ord_last = b;
    L->ord_passed = false;
    uint64_t ust = (uint64_t)L->st;
    *plb = L->lb + a * ust;
    *pub = L->lb + b * ust;
    *pst = L->st;
    if (plast)
        *plast = b == L->tc - 1;
    return 1;
}

static void dispatch_fini(void)
{
    kmpx_thread *th = kmpx_self();
    struct kmpx_ws_thread *L = &th->loop;
    if (L->ws && L->ordered && L->ord_iter <= L->ord_last)
        ord_end_iter(L);
}

/* gcc's loops (gomp_loop.c): 64-bit bounds, inclusive as here. */
void kmpx_dispatch_init64(bool uns, kmp_int32 sched, uint64_t lb, uint64_t ub, int64_t st,
                          int64_t chunk, bool empty)
{
    if (empty) /* any zero-trip bounds: the loop's own may sit at the type's limits */
        dispatch_init(TY_I64, sched, 1, 0, 1, chunk);
    else
        dispatch_init(uns ? TY_U64 : TY_I64, sched, lb, ub, st, chunk);
}

bool kmpx_dispatch_next64(uint64_t *plb, uint64_t *pub)
{
    int64_t st;
    return dispatch_next(NULL, plb, pub, &st) != 0;
}

void kmpx_loop_end(kmpx_thread *th)
{
    if (th->loop.ws || th->loop.active)
        loop_leave(th);
}

#define KMPX_DISPATCH(SFX, T, ST, TY)                                                        \
    void __kmpc_dispatch_init_##SFX(ident_t *loc, kmp_int32 gtid, kmp_int32 sched, T lb,   \
                                    T ub, ST st, ST chunk)                                 \
    {                                                                                      \
        (void)loc;                                                                         \
        (void)gtid;                                                                        \
        dispatch_init(TY, sched, (uint64_t)lb, (uint64_t)ub, st, chunk);                   \
    }                                                                                      \
    int __kmpc_dispatch_next_##SFX(ident_t *loc, kmp_int32 gtid, kmp_int32 *plast, T *plb, \
                                   T *pub, ST *pst)                                        \
    {                                                                                      \
        (void)loc;                                                                         \
        (void)gtid;                                                                        \
        uint64_t lb, ub;                                                                   \
        int64_t st;                                                                        \
        if (!dispatch_next(plast, &lb, &ub, &st))                                          \
            return 0;                                                                      \
        *plb = (T)lb;                                                                      \
        *pub = (T)ub;                                                                      \
        if (pst)                                                                           \
            *pst = (ST)st;                                                                 \
        return 1;                                                                          \
    }                                                                                      \
    void __kmpc_dispatch_fini_##SFX(ident_t *loc, kmp_int32 gtid)                          \
    {                                                                                      \
        (void)loc;                                                                         \
        (void)gtid;                                                                        \
        dispatch_fini();                                                                   \
    }

KMPX_DISPATCH(4, kmp_int32, kmp_int32, TY_I32)
KMPX_DISPATCH(4u, kmp_uint32, kmp_int32, TY_U32)
KMPX_DISPATCH(8, kmp_int64, kmp_int64, TY_I64)
KMPX_DISPATCH(8u, kmp_uint64, kmp_int64, TY_U64)

/* distribute parallel for with a dynamic schedule: the team's block, dispatched among the
 * threads of the team. *plast: the team has the last iteration. */
#define KMPX_DIST_DISPATCH(SFX, T, ST, TY)                                                   \
    KMPX_API void __kmpc_dist_dispatch_init_##SFX(ident_t *loc, kmp_int32 gtid,             \
                                                  kmp_int32 sched, kmp_int32 *plast, T lb,  \
                                                  T ub, ST st, ST chunk);                   \
    void __kmpc_dist_dispatch_init_##SFX(ident_t *loc, kmp_int32 gtid, kmp_int32 sched,    \
                                         kmp_int32 *plast, T lb, T ub, ST st, ST chunk)    \
    {                                                                                      \
        (void)loc;                                                                         \
        (void)gtid;                                                                        \
        uint64_t l = (uint64_t)lb, u = (uint64_t)ub;                                       \
        int32_t team_last = 0;                                                             \
        if (!empty_loop(TY, l, u, st))                                                     \
            (void)team_block(kmpx_self(), TY, &l, &u, st, &team_last);                     \
        if (plast)                                                                         \
            *plast = team_last;                                                            \
        dispatch_init(TY, sched, l, u, st, chunk);                                         \
    }

KMPX_DIST_DISPATCH(4, kmp_int32, kmp_int32, TY_I32)
KMPX_DIST_DISPATCH(4u, kmp_uint32, kmp_int32, TY_U32)
KMPX_DIST_DISPATCH(8, kmp_int64, kmp_int64, TY_I64)
KMPX_DIST_DISPATCH(8u, kmp_uint64, kmp_int64, TY_U64)

/* ---- ordered ---- */

void __kmpc_ordered(ident_t *loc, kmp_int32 gtid)
{
    (void)loc;
    (void)gtid;
    kmpx_thread *th = kmpx_self();
    struct kmpx_ws_thread *L = &th->loop;
    if (!L->ws || !L->ordered)
        return;
    if (L->ord_passed) {
        /* a second ordered region with no fini in between: the next iteration's */
        if (L->ord_iter >= L->ord_last)
            return;
        L->ord_iter++;
        L->ord_passed = false;
    }
    ord_wait_turn(L->ws, L->ord_iter);
}

void __kmpc_end_ordered(ident_t *loc, kmp_int32 gtid)
{
    (void)loc;
    (void)gtid;
    kmpx_thread *th = kmpx_self();
    struct kmpx_ws_thread *L = &th->loop;
    if (!L->ws || !L->ordered || L->ord_passed)
        return;
    ord_pass(L->ws, L->ord_iter);
    L->ord_passed = true;
}

/* ---- locks ---- */

/* Word: 0 free, 1 locked, 2 locked and someone may sleep on it. */
void kmpx_lock_acquire(_Atomic uint32_t *word)
{
    uint32_t c = 0;
    if (ARY_LIKELY(atomic_compare_exchange_strong_explicit(word, &c, 1, memory_order_acquire,
                                                           memory_order_relaxed)))
        return;
    for (int i = 0; i < KMPX_LOCK_SPIN && c != 2; i++) {
        aryd_cpu_relax();
        c = atomic_load_explicit(word, memory_order_relaxed);
        if (c == 0 && atomic_compare_exchange_weak_explicit(word, &c, 1, memory_order_acquire,
                                                            memory_order_relaxed))
            return;
    }
    /* From here on the word is taken as 2: we cannot know whether others sleep. */
    if (c != 2)
        c = atomic_exchange_explicit(word, 2, memory_order_acquire);
    while (c != 0) {
        aryd_futex_wait(word, 2, 0);
        c = atomic_exchange_explicit(word, 2, memory_order_acquire);
    }
}

void kmpx_lock_release(_Atomic uint32_t *word)
{
    if (atomic_exchange_explicit(word, 0, memory_order_release) == 2)
        aryd_futex_wake(word, 1);
}

bool kmpx_lock_try(_Atomic uint32_t *word)
{
    uint32_t c = 0;
    return atomic_compare_exchange_strong_explicit(word, &c, 1, memory_order_acquire,
                                                   memory_order_relaxed);
}

/* The compiler's zero-initialized 32-byte name holds the lock word in its first 4 bytes. */
static inline _Atomic uint32_t *crit_word(kmp_critical_name *crit)
{
    return (_Atomic uint32_t *)(void *)crit;
}

void __kmpc_critical(ident_t *loc, kmp_int32 gtid, kmp_critical_name *crit)
{
    (void)loc;
    (void)gtid;
    kmpx_lock_acquire(crit_word(crit));
}

void __kmpc_critical_with_hint(ident_t *loc, kmp_int32 gtid, kmp_critical_name *crit,
                               uint32_t hint)
{
    (void)loc;
    (void)gtid;
    (void)hint;
    kmpx_lock_acquire(crit_word(crit));
}

void __kmpc_end_critical(ident_t *loc, kmp_int32 gtid, kmp_critical_name *crit)
{
    (void)loc;
    (void)gtid;
    kmpx_lock_release(crit_word(crit));
}

void __kmpc_flush(ident_t *loc)
{
    (void)loc;
    atomic_thread_fence(memory_order_seq_cst);
}

/* ---- reductions and copyprivate ---- */

/* Three methods.
 * - Atomic (the nowait form in teams of up to KMPX_ATOMIC_REDUCE_MAX, when clang allows it):
 *   return 2, clang's code does the rest.
 * - Combined in a barrier (the blocking form, which is the construct's barrier anyway, and
 *   the nowait form in larger teams: reduce_combined): each member publishes its list and
 *   arrives at a split barrier (kmp_barrier.c); the member that opens it (all arrived, the
 *   team's tasks done) combines every other list into its own with reduce_func and returns
 *   1: it alone combines into the originals; its end_reduce releases the others, which
 *   return 0 once released (clang calls no end for 0). One barrier, no lock.
 * - Critical (the rest, and a team of 1): every thread returns 1 holding lck and combines
 *   its privates into the originals; end_reduce releases it. A team of 1 takes no lock
 *   (end_reduce then takes none either: the team size cannot change in between). */
#define KMPX_IDENT_ATOMIC_REDUCE 0x10
#define KMPX_ATOMIC_REDUCE_MAX 8

static kmp_int32 reduce_begin(kmp_critical_name *lck)
{
    kmpx_thread *th = kmpx_self();
    if (th->team->nthreads > 1)
        kmpx_lock_acquire(crit_word(lck));
    return 1;
}

static kmpx_thread *reduce_end(kmp_critical_name *lck)
{
    kmpx_thread *th = kmpx_self();
    if (th->team->nthreads > 1)
        kmpx_lock_release(crit_word(lck));
    return th;
}

/* The combined method: publish the list, arrive at a split barrier; the opener combines
 * every other list into its own and returns 1 (its end releases the others), the others
 * return 0 once released. */
static kmp_int32 reduce_combined(kmpx_thread *th, void *reduce_data,
                                 void (*reduce_func)(void *lhs, void *rhs))
{
    kmpx_team *team = th->team;
    int n = team->nthreads;
    atomic_store_explicit(&team->counts[th->tid].red_data, reduce_data, memory_order_relaxed);
    if (!kmpx_barrier_split(th))
        return 0; /* released: the opener has combined our list */
    /* the arrivals (acq_rel) published every list */
    for (int i = 0; i < n; i++)
        if (i != th->tid)
            reduce_func(reduce_data,
                        atomic_load_explicit(&team->counts[i].red_data, memory_order_relaxed));
    th->red_opener = true;
    return 1;
}

kmp_int32 __kmpc_reduce_nowait(ident_t *loc, kmp_int32 gtid, kmp_int32 num_vars,
                               size_t reduce_size, void *reduce_data,
                               void (*reduce_func)(void *lhs, void *rhs),
                               kmp_critical_name *lck)
{
    (void)gtid;
    (void)num_vars;
    (void)reduce_size;
    (void)reduce_data;
    (void)reduce_func;
    kmpx_thread *th = kmpx_self();
    int n = th->team->nthreads;
    /* Small teams, when the compiler allows it (ATOMIC_REDUCE on loc): the atomic method.
     * Every thread combines its privates with atomic updates (clang puts the types it
     * cannot update atomically in a critical section of its own) and calls no end: no lock
     * is held, nothing waits. Larger teams would contend on the variables' lines. */
    if (n > 1 && n <= KMPX_ATOMIC_REDUCE_MAX && loc && (loc->flags & KMPX_IDENT_ATOMIC_REDUCE))
        return 2;
    /* Larger teams: combined in a split barrier, as the blocking form (one barrier, whose
     * release goes along a tree, instead of n lock hand-offs in a row). */
    if (n > KMPX_ATOMIC_REDUCE_MAX && reduce_func && reduce_data)
        return reduce_combined(th, reduce_data, reduce_func);
    return reduce_begin(lck);
}

void __kmpc_end_reduce_nowait(ident_t *loc, kmp_int32 gtid, kmp_critical_name *lck)
{
    (void)loc;
    (void)gtid;
    kmpx_thread *th = kmpx_self();
    if (th->red_opener) {
        th->red_opener = false;
        kmpx_barrier_release(th);
        return;
    }
    reduce_end(lck);
}

kmp_int32 __kmpc_reduce(ident_t *loc, kmp_int32 gtid, kmp_int32 num_vars, size_t reduce_size,
                        void *reduce_data, void (*reduce_func)(void *lhs, void *rhs),
                        kmp_critical_name *lck)
{
    (void)loc;
    (void)gtid;
    (void)num_vars;
    (void)reduce_size;
    kmpx_thread *th = kmpx_self();
    if (th->team->nthreads == 1 || !reduce_func || !reduce_data)
        return reduce_begin(lck);
    return reduce_combined(th, reduce_data, reduce_func);
}

/* The blocking form is also the construct's barrier (clang emits no other). */
void __kmpc_end_reduce(ident_t *loc, kmp_int32 gtid, kmp_critical_name *lck)
{
    (void)loc;
    (void)gtid;
    kmpx_thread *th = kmpx_self();
    if (th->red_opener) {
        th->red_opener = false;
        kmpx_barrier_release(th);
        return;
    }
    kmpx_barrier(reduce_end(lck));
}

/* The first barrier publishes the source; the second keeps it alive until every copy is
 * made (the single's own barrier is not emitted with copyprivate). */
void __kmpc_copyprivate(ident_t *loc, kmp_int32 gtid, size_t cpy_size, void *cpy_data,
                        void (*cpy_func)(void *dst, void *src), kmp_int32 didit)
{
    (void)loc;
    (void)gtid;
    (void)cpy_size;
    kmpx_thread *th = kmpx_self();
    kmpx_team *team = th->team;
    if (didit)
        atomic_store_explicit(&team->copy_data, cpy_data, memory_order_release);
    kmpx_barrier(th);
    if (!didit && team->nthreads > 1)
        cpy_func(cpy_data, atomic_load_explicit(&team->copy_data, memory_order_acquire));
    kmpx_barrier(th);
}
