/*
 * trace_impl.h - the recorder's state, shared by trace.c (recording, start/stop,
 * ARAYON_TRACE) and trace_json.c (the Chrome trace-event exporter). Private to those two.
 */
#ifndef ARY_TRACE_IMPL_H
#define ARY_TRACE_IMPL_H

#include "internal.h"
#include "trace.h"

#define DEFAULT_EVENTS ((size_t)1 << 18)
#define MIN_EVENTS ((size_t)16)
#define DEFAULT_INTERVAL_NS 1000000u
#define MIN_INTERVAL_NS 1000u
#define FLUSH_BYTES ((size_t)1 << 20)
#define OUTSIDE_TID 10000u /* JSON tid of outside thread k: OUTSIDE_TID + k (workers: 1 + index) */

typedef struct ary_tev {
    uint64_t ts; /* aryd_now_ns */
    uint64_t id;
    uint64_t x;
    uint32_t a;
    uint16_t thr; /* outside ring: the recording thread's number */
    uint8_t kind;
    uint8_t f;
} ary_tev;
_Static_assert(sizeof(ary_tev) == 32, "events are 32 bytes");

/* One ring. Worker rings: written by the thread on the record only (busy: trace.h); the
 * outside ring: under ext_lock. */
typedef struct ary_tslot {
    _Alignas(ARY_CACHELINE) _Atomic uint32_t busy;
    _Atomic uint64_t dropped;
    uint64_t head; /* events ever put; the ring holds the last min(head, mask + 1) */
    uint64_t mask;
    uint64_t next_sample;
    ary_tev *ev;
} ary_tslot;

struct ary_trace {
    ary_pool *pool;
    unsigned nslots;     /* worker records; slots[nslots] is the outside ring */
    ary_tslot *slots;
    pthread_mutex_t ext_lock;
    bool stop_when_full; /* options of the running trace */
    uint64_t sample_ns;
    uint64_t t0;
    uint64_t last_dropped;
    /* ARAYON_TRACE: the file, whether the running trace is the environment's, the list. */
    char *env_path;
    bool env_active;
    bool env_listed;
    struct ary_trace *env_next;
};
typedef struct ary_trace ary_trace;

/* Events dropped so far by the running (or last) trace. */
static inline uint64_t dropped_now(ary_trace *tr)
{
    uint64_t d = 0;
    for (unsigned i = 0; i <= tr->nslots; i++)
        d += atomic_load_explicit(&tr->slots[i].dropped, memory_order_relaxed);
    return d;
}

/* trace_json.c: writes the stopped trace tr of p as Chrome trace-event JSON. */
ARY_HIDDEN int ary_trace_export_json(ary_pool *p, ary_trace *tr, uint64_t t_stop,
                                     arayon_write_fn write, void *ctx);

#endif
