/*
 * trace.c - the event recorder (see trace.h for the recording protocol and what it costs;
 * arayon.h, "Tracing", for the API); the JSON exporter is trace_json.c.
 *
 * Recording: ary_trace_rec appends a 32-byte event to the calling thread's ring. Nothing is
 * interpreted while recording; the exporter (trace_json.c) does all the work after the stop.
 *
 * The ARAYON_TRACE environment variable: pools created while it is set start a trace at
 * creation and stay on a list (holding a reference on the pool) until their file is written,
 * by arayon_pool_destroy or at process exit, whichever comes first.
 */
#include "internal.h"
#include "strbuf.h"
#include "trace.h"
#include "trace_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Start, stop and dropped are serialized by one lock for all pools (they are rare). */
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;

static ARY_TLS uint32_t tls_thread_no;
static _Atomic uint32_t next_thread_no;

static uint16_t outside_thread_no(void)
{
    if (!tls_thread_no)
        tls_thread_no = atomic_fetch_add_explicit(&next_thread_no, 1, memory_order_relaxed) + 1;
    return tls_thread_no > UINT16_MAX ? UINT16_MAX : (uint16_t)tls_thread_no;
}

/* ---- recording ------------------------------------------------------------------------ */

static inline void put(ary_trace *tr, ary_tslot *s, uint64_t now, unsigned kind, unsigned f,
                       uint64_t id, uint64_t x, uint32_t a, uint16_t thr)
{
    uint64_t h = s->head;
    if (ARY_UNLIKELY(h > s->mask)) {
        ary_count(&s->dropped, 1);
        if (tr->stop_when_full)
            return;
    }
    ary_tev *e = &s->ev[h & s->mask];
    e->ts = now;
    e->id = id;
    e->x = x;
    e->a = a;
    e->thr = thr;
    e->kind = (uint8_t)kind;
    e->f = (uint8_t)f;
    s->head = h + 1;
}

static ARY_NOINLINE void sample(ary_pool *p, ary_trace *tr, ary_tslot *s, uint64_t now)
{
    arayon_metrics_t m;
    arayon_pool_metrics(p, &m);
    put(tr, s, now, ARY_EV_COUNTER, 0, m.pending, m.queued, 0, 0);
}

void ary_trace_rec(ary_pool *p, unsigned kind, unsigned f, uint64_t id, uint64_t x, uint32_t a)
{
    ary_trace *tr = atomic_load_explicit(&p->trace, memory_order_acquire);
    if (!tr)
        return;
    ary_worker *w = ary_tls_worker;
    if (w && w->pool == p) {
        ary_tslot *s = &tr->slots[w->index];
        atomic_store_explicit(&s->busy, 1, memory_order_relaxed);
        if (p->fence_on_push) /* light side of the stop barrier (trace.h) */
            atomic_thread_fence(memory_order_seq_cst);
        else
            atomic_signal_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&p->tracing, memory_order_acquire) & ARY_GATE_TRACE) {
            uint64_t now = aryd_now_ns();
            put(tr, s, now, kind, f, id, x, a, 0);
            if (now >= s->next_sample) {
                s->next_sample = now + tr->sample_ns;
                sample(p, tr, s, now);
            }
        }
        atomic_store_explicit(&s->busy, 0, memory_order_release);
        return;
    }
    uint16_t thr = outside_thread_no();
    pthread_mutex_lock(&tr->ext_lock);
    if (atomic_load_explicit(&p->tracing, memory_order_relaxed) & ARY_GATE_TRACE)
        put(tr, &tr->slots[tr->nslots], aryd_now_ns(), kind, f, id, x, a, thr);
    pthread_mutex_unlock(&tr->ext_lock);
}

/* A layer's job (team.h) runs inside a wrapper cell, so that its run is recorded without an
 * event site in the layer: start, the job, end, then the cell is freed. */
static void exec_wrapped(ary_job *j, ary_worker *w)
{
    ary_task *t = (ary_task *)j;
    ary_job *inner = t->arg;
    ary_pool *p = w->pool;
    ary_trace_rec(p, ARY_EV_START, ARY_EVF_JOB, (uintptr_t)t, 0, 0);
    uint64_t t0 = ary_lat_start(w, t->deadline_ns); /* the wrapper holds the spawn time */
    inner->exec(inner, w);
    ary_lat_end(w, t0);
    ary_trace_rec(p, ARY_EV_END, ARY_EVF_JOB, (uintptr_t)t, 0, 0);
    ary_cell_free(w, (ary_cell *)t);
}

ary_job *ary_trace_wrap_job(ary_worker *w, ary_job *j)
{
    ary_cell *c = ary_cell_alloc(w);
    if (!c)
        return j;
    ary_task *t = &c->task;
    t->job.exec = exec_wrapped;
    t->arg = j;
    t->deadline_ns = ary_lat_stamp(w->pool);
    ary_trace_rec(w->pool, ARY_EV_SPAWN, ARY_EVF_JOB, (uintptr_t)t, 0, 0);
    return &t->job;
}

void ary_trace_unwrap_job(ary_worker *w, ary_job *wrapped, ary_job *j)
{
    if (wrapped != j)
        ary_cell_free(w, (ary_cell *)wrapped);
}

/* ---- start and stop -------------------------------------------------------------------- */

arayon_trace_opts_t arayon_trace_opts_default(void)
{
    arayon_trace_opts_t o;
    memset(&o, 0, sizeof o);
    o.buffer_events = DEFAULT_EVENTS;
    o.overflow = ARAYON_TRACE_DROP_OLDEST;
    o.counter_interval_ns = DEFAULT_INTERVAL_NS;
    return o;
}

static uint64_t ring_size(size_t events)
{
    if (!events)
        events = DEFAULT_EVENTS;
    if (events < MIN_EVENTS)
        events = MIN_EVENTS;
    uint64_t n = 1;
    while (n < events)
        n <<= 1;
    return n;
}

static void free_rings(ary_trace *tr)
{
    for (unsigned i = 0; i <= tr->nslots; i++) {
        free(tr->slots[i].ev);
        tr->slots[i].ev = NULL;
    }
}

/* The recorder's state of p, made on first use (caller holds ctl_lock). */
static ary_trace *trace_state(ary_pool *p)
{
    ary_trace *tr = atomic_load_explicit(&p->trace, memory_order_acquire);
    if (tr)
        return tr;
    tr = calloc(1, sizeof *tr);
    if (!tr)
        return NULL;
    tr->nslots = p->nworkers;
    tr->slots = aligned_alloc(ARY_CACHELINE, (tr->nslots + 1) * sizeof(ary_tslot));
    if (!tr->slots) {
        free(tr);
        return NULL;
    }
    memset(tr->slots, 0, (tr->nslots + 1) * sizeof(ary_tslot));
    pthread_mutex_init(&tr->ext_lock, NULL);
    tr->pool = p;
    atomic_store_explicit(&p->trace, tr, memory_order_release);
    return tr;
}

int arayon_trace_start(arayon_pool_t *pool, const arayon_trace_opts_t *opts)
{
    arayon_trace_opts_t o = opts ? *opts : arayon_trace_opts_default();
    if (!pool || (unsigned)o.overflow > ARAYON_TRACE_STOP ||
        o.buffer_events > ARAYON_TRACE_MAX_EVENTS || o.flags != 0)
        return ARAYON_EINVAL;
    ary_pool *p = pool;
    pthread_mutex_lock(&ctl_lock);
    int rc = ARAYON_OK;
    ary_trace *tr;
    if (atomic_load_explicit(&p->tracing, memory_order_relaxed) & ARY_GATE_TRACE) {
        rc = ARAYON_EBUSY;
    } else if (!(tr = trace_state(p))) {
        rc = ARAYON_ENOMEM;
    } else {
        uint64_t n = ring_size(o.buffer_events);
        for (unsigned i = 0; i <= tr->nslots && rc == ARAYON_OK; i++) {
            ary_tslot *s = &tr->slots[i];
            s->ev = malloc(n * sizeof(ary_tev)); /* pages are touched as the ring fills */
            if (!s->ev)
                rc = ARAYON_ENOMEM;
            s->mask = n - 1;
            s->head = 0;
            s->next_sample = 0;
            atomic_store_explicit(&s->dropped, 0, memory_order_relaxed);
        }
        if (rc != ARAYON_OK) {
            free_rings(tr);
        } else {
            tr->stop_when_full = o.overflow == ARAYON_TRACE_STOP;
            tr->sample_ns = o.counter_interval_ns ? o.counter_interval_ns : DEFAULT_INTERVAL_NS;
            if (tr->sample_ns < MIN_INTERVAL_NS)
                tr->sample_ns = MIN_INTERVAL_NS;
            tr->env_active = false;
            tr->t0 = aryd_now_ns();
            ary_tslot *ext = &tr->slots[tr->nslots];
            sample(p, tr, ext, tr->t0); /* the counters at the start */
            /* Publishes the rings: recorders read them after an acquire load of tracing. */
            atomic_fetch_or_explicit(&p->tracing, ARY_GATE_TRACE, memory_order_seq_cst);
        }
    }
    pthread_mutex_unlock(&ctl_lock);
    return rc;
}

/* Turns recording off and waits until no recorder is inside a ring (trace.h, "Stopping").
 * Afterwards the rings are the caller's. Caller holds ctl_lock. */
static void quiesce(ary_pool *p, ary_trace *tr)
{
    atomic_fetch_and_explicit(&p->tracing, ~(uint32_t)ARY_GATE_TRACE, memory_order_seq_cst);
    if (p->fence_on_push)
        atomic_thread_fence(memory_order_seq_cst);
    else
        aryd_membarrier();
    for (unsigned i = 0; i < tr->nslots; i++) {
        unsigned spins = 0;
        while (atomic_load_explicit(&tr->slots[i].busy, memory_order_acquire)) {
            if (++spins < 1000)
                aryd_cpu_relax();
            else
                aryd_yield();
        }
    }
    pthread_mutex_lock(&tr->ext_lock); /* an outside recorder inside it finishes first */
    pthread_mutex_unlock(&tr->ext_lock);
}

/* Stops the running trace and, when write is not NULL, exports it. Caller holds ctl_lock
 * and has checked that a trace runs. */
static int stop_locked(ary_pool *p, ary_trace *tr, arayon_write_fn write, void *ctx)
{
    quiesce(p, tr);
    uint64_t t_stop = aryd_now_ns();
    int rc = write ? ary_trace_export_json(p, tr, t_stop, write, ctx) : ARAYON_OK;
    tr->last_dropped = dropped_now(tr);
    free_rings(tr);
    tr->env_active = false;
    return rc;
}

static ary_trace *running_trace(ary_pool *p)
{
    if (!(atomic_load_explicit(&p->tracing, memory_order_relaxed) & ARY_GATE_TRACE))
        return NULL;
    return atomic_load_explicit(&p->trace, memory_order_acquire);
}

int arayon_trace_stop_write(arayon_pool_t *pool, arayon_write_fn write, void *ctx)
{
    if (!pool || !write)
        return ARAYON_EINVAL;
    pthread_mutex_lock(&ctl_lock);
    ary_trace *tr = running_trace(pool);
    int rc = tr ? stop_locked(pool, tr, write, ctx) : ARAYON_EINVAL;
    pthread_mutex_unlock(&ctl_lock);
    return rc;
}

static int write_file(const char *buf, size_t len, void *ctx)
{
    return fwrite(buf, 1, len, (FILE *)ctx) == len ? 0 : -1;
}

/* Stops p's running trace into the file at path. Caller holds ctl_lock, a trace runs. */
static int stop_to_file(ary_pool *p, ary_trace *tr, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        stop_locked(p, tr, NULL, NULL);
        return ARAYON_ESYSTEM;
    }
    int rc = stop_locked(p, tr, write_file, f);
    if (rc == ARAYON_EFAILED)
        rc = ARAYON_ESYSTEM;
    if (fclose(f) != 0 && rc == ARAYON_OK)
        rc = ARAYON_ESYSTEM;
    return rc;
}

int arayon_trace_stop(arayon_pool_t *pool, const char *path)
{
    if (!pool || !path)
        return ARAYON_EINVAL;
    pthread_mutex_lock(&ctl_lock);
    ary_trace *tr = running_trace(pool);
    int rc = tr ? stop_to_file(pool, tr, path) : ARAYON_EINVAL;
    pthread_mutex_unlock(&ctl_lock);
    return rc;
}

uint64_t arayon_trace_dropped(const arayon_pool_t *pool)
{
    if (!pool)
        return 0;
    ary_pool *p = (ary_pool *)pool;
    pthread_mutex_lock(&ctl_lock);
    ary_trace *tr = atomic_load_explicit(&p->trace, memory_order_acquire);
    uint64_t d = 0;
    if (tr)
        d = (atomic_load_explicit(&p->tracing, memory_order_relaxed) & ARY_GATE_TRACE)
                ? dropped_now(tr)
                : tr->last_dropped;
    pthread_mutex_unlock(&ctl_lock);
    return d;
}

void ary_trace_free(ary_pool *p)
{
    ary_trace *tr = atomic_load_explicit(&p->trace, memory_order_acquire);
    if (!tr)
        return;
    free_rings(tr);
    free(tr->slots);
    free(tr->env_path);
    pthread_mutex_destroy(&tr->ext_lock);
    free(tr);
    atomic_store_explicit(&p->trace, NULL, memory_order_relaxed);
}

/* ---- ARAYON_TRACE ---------------------------------------------------------------------- */

static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER; /* the list; never held with
                                                                ctl_lock */
static ary_trace *env_list;
static _Atomic unsigned env_pools;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

/* path for the first pool; for the n-th, ".n" before the extension (trace.json ->
 * trace.2.json), or at the end when the name has none. */
static char *numbered_path(const char *path, unsigned n)
{
    size_t len = strlen(path);
    char *out = malloc(len + 16);
    if (!out)
        return NULL;
    if (n <= 1) {
        memcpy(out, path, len + 1);
        return out;
    }
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t at = dot && (!slash || dot > slash + 1) ? (size_t)(dot - path) : len;
    snprintf(out, len + 16, "%.*s.%u%s", (int)at, path, n, path + at);
    return out;
}

/* Writes the environment's trace of p if it still runs; reports a failure on stderr. */
static void env_write(ary_pool *p, ary_trace *tr)
{
    pthread_mutex_lock(&ctl_lock);
    if (tr->env_active && running_trace(p) == tr) {
        int rc = stop_to_file(p, tr, tr->env_path);
        if (rc != ARAYON_OK)
            fprintf(stderr, "arayon: ARAYON_TRACE: could not write %s: %s\n", tr->env_path,
                    arayon_strerror(rc));
    }
    pthread_mutex_unlock(&ctl_lock);
}

static void env_at_exit(void)
{
    for (;;) {
        pthread_mutex_lock(&env_lock);
        ary_trace *tr = env_list;
        if (tr) {
            env_list = tr->env_next;
            tr->env_listed = false;
        }
        pthread_mutex_unlock(&env_lock);
        if (!tr)
            return;
        ary_pool *p = tr->pool;
        env_write(p, tr);
        ary_pool_unref(p);
    }
}

static void env_register_exit(void) { atexit(env_at_exit); }

void ary_trace_env_start(ary_pool *p)
{
    arayon_trace_opts_t o = arayon_trace_opts_default();
    const char *path = ary_env_trace(&o.buffer_events, &o.overflow);
    if (!path)
        return;
    unsigned n = atomic_fetch_add_explicit(&env_pools, 1, memory_order_relaxed) + 1;
    char *file = numbered_path(path, n);
    int rc = file ? arayon_trace_start(p, &o) : ARAYON_ENOMEM;
    if (rc != ARAYON_OK) {
        fprintf(stderr, "arayon: ARAYON_TRACE: pool not traced: %s\n", arayon_strerror(rc));
        free(file);
        return;
    }
    pthread_once(&env_once, env_register_exit);
    ary_trace *tr = atomic_load_explicit(&p->trace, memory_order_acquire);
    pthread_mutex_lock(&ctl_lock);
    free(tr->env_path);
    tr->env_path = file;
    tr->env_active = true;
    pthread_mutex_unlock(&ctl_lock);
    ary_pool_ref(p); /* the list's */
    pthread_mutex_lock(&env_lock);
    tr->env_next = env_list;
    env_list = tr;
    tr->env_listed = true;
    pthread_mutex_unlock(&env_lock);
}

void ary_trace_env_finish(ary_pool *p)
{
    ary_trace *tr = atomic_load_explicit(&p->trace, memory_order_acquire);
    if (!tr)
        return;
    bool mine = false;
    pthread_mutex_lock(&env_lock);
    if (tr->env_listed) {
        for (ary_trace **q = &env_list; *q; q = &(*q)->env_next) {
            if (*q == tr) {
                *q = tr->env_next;
                break;
            }
        }
        tr->env_listed = false;
        mine = true;
    }
    pthread_mutex_unlock(&env_lock);
    if (!mine)
        return;
    env_write(p, tr);
    ary_pool_unref(p); /* the list's reference: the owner still holds one */
}

