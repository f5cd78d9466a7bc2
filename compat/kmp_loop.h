/*
 * kmp_loop.h - loop worksharing state (compat/kmp_loop.c). Included by kmp.h before the team
 * and thread structs, so it depends on nothing of theirs.
 *
 * A dispatch loop (dynamic, guided, runtime, auto, or any ordered loop) in a team of more
 * than one thread uses one slot of the team's ring, team->ws[construct % KMPX_WS_RING],
 * where construct is the thread's th->ws_count at dispatch init. A slot is reused by
 * construct + KMPX_WS_RING only after every member has finished construct (its
 * dispatch_next returned 0). Static loops (for_static_init) need no shared state.
 */
#ifndef KMPX_KMP_LOOP_H
#define KMPX_KMP_LOOP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Loop kinds after decoding the sched argument. */
enum {
    KMPX_LOOP_STATIC = 1,  /* one balanced block per thread */
    KMPX_LOOP_CHUNKED = 2, /* static chunks, round robin by tid */
    KMPX_LOOP_DYNAMIC = 3,
    KMPX_LOOP_GUIDED = 4,
};

/* Slot states (low 2 bits of kmpx_ws.seq). */
enum { KMPX_WS_FREE = 0, KMPX_WS_INIT = 1, KMPX_WS_LIVE = 2 };

struct kmpx_ws {
    /* (construct << 2) | state. FREE: the slot waits for that construct's first thread;
     * INIT: that thread is filling the parameters; LIVE: the parameters are valid until
     * done reaches nthreads, whose last thread resets next/ord_next/done and then stores
     * ((construct + KMPX_WS_RING) << 2) | FREE. */
    _Alignas(64) _Atomic uint64_t seq;
    /* Parameters of the live construct, written by its first thread (all threads agree on
     * the bounds, but the run-sched ICV is per thread: the first thread's choice wins). */
    uint64_t tc;                /* trip count, in iterations */
    uint64_t chunk;             /* >= 1 for CHUNKED/DYNAMIC/GUIDED */
    int kind;                   /* KMPX_LOOP_* */
    bool ordered;
    bool cas_only;              /* dynamic: fetch_add on next could wrap; use CAS */
    _Atomic uint32_t done;      /* members whose dispatch_next returned 0 */
    /* Eventcount for sleepers on seq or ord_next: bit 0 = someone may sleep, the rest
     * changes on every notify that saw bit 0. */
    _Atomic uint32_t wake;

    /* Next unassigned iteration (DYNAMIC/GUIDED); may overshoot tc. */
    _Alignas(64) _Atomic uint64_t next;

    /* ordered: the iteration whose ordered region (or skip) is next. */
    _Alignas(64) _Atomic uint64_t ord_next;
};

struct kmpx_ws_thread {
    struct kmpx_ws *ws;         /* the slot of the loop in progress, NULL if none */
    uint64_t construct;
    int kind;                   /* KMPX_LOOP_*, copied from the slot (or own, alone) */
    bool ordered;
    bool alone;                 /* team of 1: no slot; the whole range in one chunk */
    bool active;                /* between dispatch init and next returning 0 */
    uint64_t lb;                /* bounds in the loop's own type, widened */
    int64_t st;
    uint64_t tc;
    uint64_t chunk;
    uint64_t pos;               /* STATIC: 0/1 block handed out; CHUNKED: next own index */
    /* ordered: the iteration being executed, the last of the current chunk, and whether the
     * current iteration already passed the token (ran its ordered region). */
    uint64_t ord_iter;
    uint64_t ord_last;
    bool ord_passed;
    /* gcc sections (gomp_loop.c): the rest of the current chunk, [sect_next, sect_end) */
    uint64_t sect_next, sect_end;
};

#endif
