/*
 * kmp_doacross.c - loops with cross-iteration dependences (ordered(n) with depend(sink) and
 * depend(source)): __kmpc_doacross_init / _wait / _post / _fini.
 *
 * One flag per iteration of the (collapsed) iteration space says "posted". The first member
 * to reach a doacross loop sets the flags up in the team's ring slot for that loop (members
 * number their doacross loops in the same order, like worksharing constructs); the last to
 * call fini frees them and hands the slot to loop number + 4. A wait spins, then yields, for
 * its flag: the iteration it waits for is being run by another member at that moment (the
 * schedule hands out iterations in order), so the wait is short.
 */
#include "kmp.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXDIMS 8

typedef struct kmpx_doacross {
    int ndims;
    kmp_int64 lo[MAXDIMS], up[MAXDIMS], st[MAXDIMS];
    uint64_t span[MAXDIMS];     /* iterations per step of each dimension (row-major) */
    uint64_t total;
    _Atomic int remaining;      /* members that have not called fini */
    _Atomic uint8_t flags[];
} kmpx_doacross;

#define SETTING_UP ((kmpx_doacross *)1)

static uint64_t trips(kmp_int64 lo, kmp_int64 up, kmp_int64 st)
{
    if (st > 0)
        return up < lo ? 0 : (uint64_t)(up - lo) / (uint64_t)st + 1;
    if (st < 0)
        return lo < up ? 0 : (uint64_t)(lo - up) / (uint64_t)(-st) + 1;
    return 0;
}

static void pause_or_yield(unsigned *spins)
{
    if (++*spins < 200)
        aryd_cpu_relax();
    else
        sched_yield();
}

KMPX_API void __kmpc_doacross_init(ident_t *loc, kmp_int32 gtid, kmp_int32 num_dims,
                                   const kmp_dim *dims);
void __kmpc_doacross_init(ident_t *loc, kmp_int32 gtid, kmp_int32 num_dims, const kmp_dim *dims)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    if (num_dims < 1 || num_dims > MAXDIMS || !dims) {
        fprintf(stderr, "arayon: doacross loop with %d dimensions is not supported (1..%d)\n",
                num_dims, MAXDIMS);
        abort();
    }
    uint64_t k = th->dacr_count++;
    kmpx_team_mark_used(th->team, KMPX_WS_USED_DACR);
    struct kmpx_dacr_slot *slot = &th->team->dacr[k % 4];
    unsigned spins = 0;
    while (atomic_load_explicit(&slot->gen, memory_order_acquire) != k)
        pause_or_yield(&spins); /* loop k - 4 still has members in it */
    for (;;) {
        kmpx_doacross *d = atomic_load_explicit(&slot->loop, memory_order_acquire);
        if (d && d != SETTING_UP) {
            th->dacr = d;
            return;
        }
        kmpx_doacross *none = NULL;
        if (!d && atomic_compare_exchange_strong_explicit(&slot->loop, &none, SETTING_UP,
                                                          memory_order_acq_rel,
                                                          memory_order_relaxed))
            break;
        pause_or_yield(&spins);
    }
    uint64_t total = 1;
    uint64_t t[MAXDIMS];
    for (int i = 0; i < num_dims; i++) {
        t[i] = trips(dims[i].lo, dims[i].up, dims[i].st);
        total = t[i] && total > UINT64_MAX / t[i] ? UINT64_MAX : total * t[i];
    }
    kmpx_doacross *d = total < (1ull << 34) ? calloc(1, sizeof *d + total) : NULL;
    if (!d) {
        fprintf(stderr, "arayon: out of memory for a doacross loop of %llu iterations\n",
                (unsigned long long)total);
        abort();
    }
    d->ndims = num_dims;
    d->total = total;
    uint64_t span = 1;
    for (int i = num_dims - 1; i >= 0; i--) {
        d->lo[i] = dims[i].lo;
        d->up[i] = dims[i].up;
        d->st[i] = dims[i].st;
        d->span[i] = span;
        span *= t[i] ? t[i] : 1;
    }
    atomic_store_explicit(&d->remaining, th->team->nthreads, memory_order_relaxed);
    atomic_store_explicit(&slot->loop, d, memory_order_release);
    th->dacr = d;
}

/* The flag index of iteration vector v, or -1 when v is outside the iteration space. */
static int64_t flag_of(const kmpx_doacross *d, const kmp_int64 *v)
{
    uint64_t idx = 0;
    for (int i = 0; i < d->ndims; i++) {
        kmp_int64 lo = d->lo[i], up = d->up[i], st = d->st[i];
        uint64_t off;
        if (st > 0) {
            if (v[i] < lo || v[i] > up || (uint64_t)(v[i] - lo) % (uint64_t)st)
                return -1;
            off = (uint64_t)(v[i] - lo) / (uint64_t)st;
        } else {
            if (v[i] > lo || v[i] < up || (uint64_t)(lo - v[i]) % (uint64_t)(-st))
                return -1;
            off = (uint64_t)(lo - v[i]) / (uint64_t)(-st);
        }
        idx += off * d->span[i];
    }
    return (int64_t)idx;
}

KMPX_API void __kmpc_doacross_wait(ident_t *loc, kmp_int32 gtid, const kmp_int64 *vec);
void __kmpc_doacross_wait(ident_t *loc, kmp_int32 gtid, const kmp_int64 *vec)
{
    (void)loc, (void)gtid;
    kmpx_doacross *d = kmpx_self()->dacr;
    int64_t i = d ? flag_of(d, vec) : -1;
    if (i < 0)
        return;
    unsigned spins = 0;
    while (!atomic_load_explicit(&d->flags[i], memory_order_acquire))
        pause_or_yield(&spins);
}

KMPX_API void __kmpc_doacross_post(ident_t *loc, kmp_int32 gtid, const kmp_int64 *vec);
void __kmpc_doacross_post(ident_t *loc, kmp_int32 gtid, const kmp_int64 *vec)
{
    (void)loc, (void)gtid;
    kmpx_doacross *d = kmpx_self()->dacr;
    int64_t i = d ? flag_of(d, vec) : -1;
    if (i >= 0)
        atomic_store_explicit(&d->flags[i], 1, memory_order_release);
}

KMPX_API void __kmpc_doacross_fini(ident_t *loc, kmp_int32 gtid);
void __kmpc_doacross_fini(ident_t *loc, kmp_int32 gtid)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    kmpx_doacross *d = th->dacr;
    if (!d)
        return;
    th->dacr = NULL;
    uint64_t k = th->dacr_count - 1;
    struct kmpx_dacr_slot *slot = &th->team->dacr[k % 4];
    if (atomic_fetch_sub_explicit(&d->remaining, 1, memory_order_acq_rel) != 1)
        return;
    free(d);
    atomic_store_explicit(&slot->loop, NULL, memory_order_relaxed);
    atomic_store_explicit(&slot->gen, k + 4, memory_order_release);
}

/* The dimensions of th's doacross loop in progress, 0 if none (gcc's wait is variadic). */
int kmpx_doacross_ndims(kmpx_thread *th) { return th->dacr ? th->dacr->ndims : 0; }
