/*
 * trace.h - the event recorder (trace.c): what the runtime records at its event sites, and
 * the one branch each site pays when tracing is off.
 *
 * Cost when off. Every event site is
 *
 *     if (ARY_UNLIKELY(ary_tracing(p))) ary_trace_rec(p, ...);
 *
 * a relaxed load of pool->tracing (a read-mostly line) and a branch the predictor always
 * gets right; the arguments are evaluated inside the branch only, and the recorder is out of
 * line. Task start and end cost nothing at all: a spawn made while tracing gives its task the
 * traced exec function (task.c), so the untraced exec functions carry no event site.
 *
 * Buffers. One ring per worker record (written by the thread that runs on the record only:
 * no lock, no atomic read-modify-write, no allocation) and one ring for threads outside the
 * pool, under a mutex (rare: spawns from outside, scopes of outside threads, cancels). All
 * of them are allocated by arayon_trace_start. When a ring is full it either overwrites its
 * oldest event or refuses the new one (the overflow policy); either way the event is counted
 * as dropped.
 *
 * Stopping (the recorder's Dekker pairing, as sleep.md's for parking). A recorder marks its
 * ring busy, then (light barrier: compiler fence, or a full fence without membarrier)
 * re-reads pool->tracing and records only if it is still on, then clears busy (release).
 * The stopper clears pool->tracing, runs the heavy barrier (membarrier, or a fence) and waits
 * until no ring is busy; a recorder it did not see busy sees tracing off. Afterwards the rings
 * are read by the stopper alone. The outside ring is stopped by taking its mutex once.
 *
 * Identities. A task is named by its record's address: the address is reused only after the
 * task's end was recorded (the end is recorded before the record is freed), so at export a
 * start is linked to the latest spawn of the same address before it. The exporter gives each
 * spawn/run pair a number of its own (the "id" in the JSON).
 */
#ifndef ARY_TRACE_H
#define ARY_TRACE_H

#include "internal.h"

/* Event kinds. */
enum {
    ARY_EV_SPAWN = 1,   /* id task, x fn, f ARY_EVF_* class | RUN_INLINE | OUTSIDE */
    ARY_EV_START,       /* id task (or gang ctx), x fn (gang), a member (gang) */
    ARY_EV_END,         /* as START, a = -outcome */
    ARY_EV_STEAL,       /* id job, a victim worker, f 1 = victim on another node */
    ARY_EV_TAKE,        /* jobs taken from an injection queue: a count, x node */
    ARY_EV_PARK,
    ARY_EV_WAKE,        /* f 1 = the park timed out (not woken) */
    ARY_EV_THROTTLE,    /* f ARY_THR_*; a = -error for REJECTED */
    ARY_EV_SCOPE_BEGIN, /* id scope */
    ARY_EV_SCOPE_END,   /* id scope, a = -first error */
    ARY_EV_CANCEL,      /* id task or scope, f ARY_CAN_* */
    ARY_EV_COUNTER,     /* id pending, x queued (sampled by the recorder) */
};

/* Span classes of SPAWN / START / END (low 3 bits of f) and spawn details. */
enum {
    ARY_EVF_TASK = 0,       /* a native task (id = its record) */
    ARY_EVF_JOB = 1,        /* a layer's job queued with ary_push_job (id = the wrapper cell) */
    ARY_EVF_GANG = 2,       /* a gang member function (id = its ctx, a = member) */
    ARY_EVF_INLINE_JOB = 3, /* a layer's job run inline because the pool was full (id 0) */
    ARY_EVF_CLASS = 7,
    ARY_EVF_RUN_INLINE = 8, /* spawn: run on the spawning thread (pool full) */
    ARY_EVF_OUTSIDE = 16,   /* spawn: from a thread outside the pool (injection queue) */
};

enum { ARY_THR_BLOCKED = 0, ARY_THR_REJECTED = 1, ARY_THR_INLINE = 2 };
enum { ARY_CAN_TASK = 0, ARY_CAN_SCOPE = 1, ARY_CAN_POOL = 2 };

/* ary_tracing(p), the check of every event site, is in internal.h (ary_spawn uses it). */

/* Records one event on the calling thread's ring (its worker record's, or the outside ring).
 * Does nothing when tracing is off by the time it looks. */
ARY_HIDDEN ARY_NOINLINE void ary_trace_rec(ary_pool *p, unsigned kind, unsigned f, uint64_t id,
                                           uint64_t x, uint32_t a);

#define ARY_TRACE(p, kind, f, id, x, a)                                                      \
    do {                                                                                     \
        if (ARY_UNLIKELY(ary_tracing(p)))                                                    \
            ary_trace_rec((p), (kind), (f), (uint64_t)(uintptr_t)(id), (uint64_t)(x),         \
                          (uint32_t)(a));                                                    \
    } while (0)

/* team.h, ary_push_job while tracing: returns a task cell of w that runs j between a start
 * and an end event (and records the spawn), or j itself when no cell could be had. */
ARY_HIDDEN ary_job *ary_trace_wrap_job(ary_worker *w, ary_job *j);
/* Undoes ary_trace_wrap_job when the push failed. */
ARY_HIDDEN void ary_trace_unwrap_job(ary_worker *w, ary_job *wrapped, ary_job *j);

/* pool.c: ARAYON_TRACE. env_start at the end of pool creation; env_finish when the pool is
 * destroyed (its workers joined): writes the file if the environment's trace still runs.
 * ary_trace_free releases the recorder's memory with the pool's. */
ARY_HIDDEN void ary_trace_env_start(ary_pool *p);
ARY_HIDDEN void ary_trace_env_finish(ary_pool *p);
ARY_HIDDEN void ary_trace_free(ary_pool *p);

#endif
