/*
 * trace.c - the event recorder and its Chrome trace-event JSON exporter (see trace.h for the
 * recording protocol and what it costs; arayon.h, "Tracing", for the API).
 *
 * Recording: ary_trace_rec appends a 32-byte event to the calling thread's ring. Nothing is
 * interpreted while recording; the exporter does all the work after the stop:
 *
 *   1. collect every ring (oldest event first) into one array; a worker's events go to the
 *      track (JSON tid) of its record, an outside thread's to a track of its own;
 *   2. link runs to spawns: the events naming a task (spawn and start) are sorted by
 *      (address, time); in each address a start takes the spawn just before it. Each spawn,
 *      and each start without a spawn, gets a number: the "id" in the JSON;
 *   3. walk each track in time order with a stack of open spans (task runs, scopes, parks):
 *      an end closes the matching open span (the ones above it, which cannot happen unless
 *      events were lost, are closed with it), an end whose start was dropped is skipped, and
 *      spans still open at the end are closed at the stop time as unfinished. So the spans of
 *      a track always nest, whatever was dropped.
 *
 * The ARAYON_TRACE environment variable: pools created while it is set start a trace at
 * creation and stay on a list (holding a reference on the pool) until their file is written,
 * by arayon_pool_destroy or at process exit, whichever comes first.
 */
#include "internal.h"
#include "strbuf.h"
#include "trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        if (atomic_load_explicit(&p->tracing, memory_order_acquire)) {
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
    if (atomic_load_explicit(&p->tracing, memory_order_relaxed))
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
    inner->exec(inner, w);
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

static uint64_t dropped_now(ary_trace *tr)
{
    uint64_t d = 0;
    for (unsigned i = 0; i <= tr->nslots; i++)
        d += atomic_load_explicit(&tr->slots[i].dropped, memory_order_relaxed);
    return d;
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
    if (atomic_load_explicit(&p->tracing, memory_order_relaxed)) {
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
            atomic_store_explicit(&p->tracing, 1, memory_order_seq_cst);
        }
    }
    pthread_mutex_unlock(&ctl_lock);
    return rc;
}

/* Turns recording off and waits until no recorder is inside a ring (trace.h, "Stopping").
 * Afterwards the rings are the caller's. Caller holds ctl_lock. */
static void quiesce(ary_pool *p, ary_trace *tr)
{
    atomic_store_explicit(&p->tracing, 0, memory_order_seq_cst);
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

static int export_json(ary_pool *p, ary_trace *tr, uint64_t t_stop, arayon_write_fn write,
                       void *ctx);

/* Stops the running trace and, when write is not NULL, exports it. Caller holds ctl_lock
 * and has checked that a trace runs. */
static int stop_locked(ary_pool *p, ary_trace *tr, arayon_write_fn write, void *ctx)
{
    quiesce(p, tr);
    uint64_t t_stop = aryd_now_ns();
    int rc = write ? export_json(p, tr, t_stop, write, ctx) : ARAYON_OK;
    tr->last_dropped = dropped_now(tr);
    free_rings(tr);
    tr->env_active = false;
    return rc;
}

static ary_trace *running_trace(ary_pool *p)
{
    if (!atomic_load_explicit(&p->tracing, memory_order_relaxed))
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
        d = atomic_load_explicit(&p->tracing, memory_order_relaxed) ? dropped_now(tr)
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

/* ---- export ---------------------------------------------------------------------------- */

typedef struct xev {
    uint64_t ts, id, x;
    uint32_t a;
    uint32_t tid;  /* JSON track */
    uint64_t num;  /* task number (the JSON id), 0 none */
    size_t peer;   /* start <-> spawn link: index + 1, 0 none */
    uint8_t kind, f;
} xev;

typedef struct mkey { /* for linking: events naming a task, by (address, time) */
    uint64_t id, ts;
    size_t i;
    unsigned rank;
} mkey;

static int cmp_mkey(const void *a, const void *b)
{
    const mkey *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The JSON writer: events separated by ",\n", flushed to write every FLUSH_BYTES. */
typedef struct jw {
    ary_sbuf sb;
    arayon_write_fn write;
    void *ctx;
    int rc;
    bool first;
    uint64_t t0;
    long pid;
} jw;

static void jw_flush(jw *o, bool force)
{
    if (o->rc == ARAYON_OK && (force || o->sb.len >= FLUSH_BYTES))
        o->rc = ary_sb_flush(&o->sb, o->write, o->ctx);
    if (o->rc != ARAYON_OK)
        o->sb.len = 0; /* keep the memory bounded: nothing more is written */
}

/* A UTF-8 sequence at q: its length, or 0 when invalid. */
static size_t utf8_len(const unsigned char *q)
{
    unsigned c = q[0];
    size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    for (size_t k = 1; k < n; k++)
        if ((q[k] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && q[1] < 0xA0) || (c == 0xED && q[1] >= 0xA0) || (c == 0xF0 && q[1] < 0x90) ||
        (c == 0xF4 && q[1] >= 0x90))
        return 0;
    return n;
}

/* s as a JSON string: quotes, backslashes and control characters escaped, invalid UTF-8
 * replaced by U+FFFD. */
static void json_str(ary_sbuf *b, const char *s)
{
    ary_sb_printf(b, "\"");
    const unsigned char *q = (const unsigned char *)s;
    while (*q) {
        const unsigned char *run = q;
        while (*q >= 0x20 && *q < 0x7F && *q != '"' && *q != '\\')
            q++;
        if (q > run)
            ary_sb_printf(b, "%.*s", (int)(q - run), (const char *)run);
        if (!*q)
            break;
        if (*q == '"' || *q == '\\') {
            ary_sb_printf(b, "\\%c", *q);
            q++;
        } else if (*q < 0x80) {
            ary_sb_printf(b, "\\u%04x", *q);
            q++;
        } else {
            size_t n = utf8_len(q);
            if (n) {
                ary_sb_printf(b, "%.*s", (int)n, (const char *)q);
                q += n;
            } else {
                ary_sb_printf(b, "\\ufffd");
                q++;
            }
        }
    }
    ary_sb_printf(b, "\"");
}

/* Starts an event object: {"name":..,"cat":..,"ph":..,"ts":..,"pid":..,"tid":.. (the caller
 * adds the rest and the closing brace). Names and categories are the exporter's constants. */
static void ev_begin(jw *o, const char *name, const char *cat, const char *ph, uint64_t ts,
                     uint32_t tid)
{
    uint64_t rel = ts > o->t0 ? ts - o->t0 : 0;
    ary_sb_printf(&o->sb, "%s{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"%s\",\"ts\":%" PRIu64 ".%03u,\"pid\":%ld,\"tid\":%u",
                  o->first ? "" : ",\n", name, cat, ph, rel / 1000, (unsigned)(rel % 1000), o->pid, tid);
    o->first = false;
}

static void ev_end(jw *o)
{
    ary_sb_printf(&o->sb, "}");
    jw_flush(o, false);
}

static void put_dur(jw *o, uint64_t from, uint64_t to)
{
    uint64_t d = to > from ? to - from : 0;
    ary_sb_printf(&o->sb, ",\"dur\":%" PRIu64 ".%03u", d / 1000, (unsigned)(d % 1000));
}

static const char *outcome_name(int rc)
{
    switch (rc) {
    case ARAYON_OK: return "ok";
    case ARAYON_EFAILED: return "failed";
    case ARAYON_ECANCELED: return "cancelled";
    case ARAYON_ETIMEDOUT: return "timed out";
    default: return arayon_errname(rc);
    }
}

static void instant(jw *o, const char *name, const char *cat, uint64_t ts, uint32_t tid)
{
    ev_begin(o, name, cat, "i", ts, tid);
    ary_sb_printf(&o->sb, ",\"s\":\"t\"");
}

typedef struct xstate {
    xev *v;
    size_t *stack;
    size_t depth;
    uint64_t num;        /* last task number given */
    uint64_t unfinished; /* spans closed at the stop time */
    uint64_t orphans;    /* ends whose start was dropped */
    uint64_t t_stop;
} xstate;

/* Closes the open span v[i] at `end` (complete event "X"); how: 0 normal (end event e),
 * 1 still open at the stop, 2 closed with an enclosing span. */
static void close_span(jw *o, xstate *st, size_t i, const xev *e, uint64_t end, int how)
{
    xev *b = &st->v[i];
    unsigned cls = b->f & ARY_EVF_CLASS;
    if (b->kind == ARY_EV_SCOPE_BEGIN) {
        ev_begin(o, "scope", "scope", "X", b->ts, b->tid);
        put_dur(o, b->ts, end);
        ary_sb_printf(&o->sb, ",\"args\":{\"scope\":\"0x%" PRIx64 "\"", b->id);
        if (how == 0)
            ary_sb_printf(&o->sb, ",\"result\":\"%s\"", outcome_name(-(int)e->a));
    } else if (b->kind == ARY_EV_PARK) {
        ev_begin(o, "parked", "sched", "X", b->ts, b->tid);
        put_dur(o, b->ts, end);
        ary_sb_printf(&o->sb, ",\"args\":{\"timed_out\":%s", how == 0 && e->f ? "true" : "false");
    } else if (cls == ARY_EVF_GANG) {
        ev_begin(o, "gang member", "gang", "X", b->ts, b->tid);
        put_dur(o, b->ts, end);
        ary_sb_printf(&o->sb, ",\"args\":{\"id\":%" PRIu64 ",\"member\":%u,\"fn\":\"0x%" PRIx64 "\"",
                      b->num, b->a, b->x);
    } else {
        ev_begin(o, "task", "task", "X", b->ts, b->tid);
        put_dur(o, b->ts, end);
        ary_sb_printf(&o->sb, ",\"args\":{\"id\":%" PRIu64, b->num);
        if (how == 0)
            ary_sb_printf(&o->sb, ",\"outcome\":\"%s\"", outcome_name(-(int)e->a));
        const xev *sp = b->peer ? &st->v[b->peer - 1] : NULL;
        if (sp && (sp->f & ARY_EVF_CLASS) == ARY_EVF_TASK)
            ary_sb_printf(&o->sb, ",\"fn\":\"0x%" PRIx64 "\"", sp->x);
        if (cls == ARY_EVF_JOB)
            ary_sb_printf(&o->sb, ",\"job\":true");
        if (cls == ARY_EVF_INLINE_JOB || (b->f & ARY_EVF_RUN_INLINE))
            ary_sb_printf(&o->sb, ",\"run_inline\":true");
        if (sp && sp->tid != b->tid)
            ary_sb_printf(&o->sb, ",\"spawned_on\":%u", sp->tid);
    }
    if (how == 1)
        ary_sb_printf(&o->sb, ",\"unfinished\":true");
    else if (how == 2)
        ary_sb_printf(&o->sb, ",\"unterminated\":true");
    ary_sb_printf(&o->sb, "}");
    ev_end(o);
    if (how)
        st->unfinished++;
}

/* Does the open span b match the end event e? */
static bool matches(const xev *b, const xev *e)
{
    switch (e->kind) {
    case ARY_EV_SCOPE_END:
        return b->kind == ARY_EV_SCOPE_BEGIN && b->id == e->id;
    case ARY_EV_WAKE:
        return b->kind == ARY_EV_PARK;
    default: /* END */
        return b->kind == ARY_EV_START && (b->f & ARY_EVF_CLASS) == (e->f & ARY_EVF_CLASS) &&
               b->id == e->id;
    }
}

/* An end event: closes its span (and any left open above it); an end without its start
 * (dropped) is counted and skipped. Inline jobs (id 0) close only the innermost span. */
static void close_match(jw *o, xstate *st, const xev *e)
{
    size_t d = st->depth;
    bool innermost_only = e->kind == ARY_EV_END && (e->f & ARY_EVF_CLASS) == ARY_EVF_INLINE_JOB;
    while (d > 0 && !matches(&st->v[st->stack[d - 1]], e)) {
        if (innermost_only) {
            d = 0;
            break;
        }
        d--;
    }
    if (d == 0) {
        st->orphans++;
        return;
    }
    while (st->depth > d)
        close_span(o, st, st->stack[--st->depth], e, e->ts, 2);
    close_span(o, st, st->stack[--st->depth], e, e->ts, 0);
}

static const char *throttle_name(unsigned f)
{
    return f == ARY_THR_BLOCKED    ? "throttle: blocked"
           : f == ARY_THR_REJECTED ? "throttle: rejected"
                                   : "throttle: run inline";
}

static void counters(jw *o, uint64_t ts, uint64_t pending, uint64_t queued)
{
    uint64_t rel = ts > o->t0 ? ts - o->t0 : 0;
    ary_sb_printf(&o->sb, "%s{\"name\":\"queued tasks\",\"ph\":\"C\",\"ts\":%" PRIu64 ".%03u,\"pid\":%ld,\"args\":{\"queued\":%" PRIu64 "}}",
                  o->first ? "" : ",\n", rel / 1000, (unsigned)(rel % 1000), o->pid, queued);
    ary_sb_printf(&o->sb, ",\n{\"name\":\"pending tasks\",\"ph\":\"C\",\"ts\":%" PRIu64 ".%03u,\"pid\":%ld,\"args\":{\"pending\":%" PRIu64 "}}",
                  rel / 1000, (unsigned)(rel % 1000), o->pid, pending);
    o->first = false;
    jw_flush(o, false);
}

static void one_event(jw *o, xstate *st, size_t i)
{
    xev *e = &st->v[i];
    const xev *peer = e->peer ? &st->v[e->peer - 1] : NULL;
    switch (e->kind) {
    case ARY_EV_SPAWN:
        ev_begin(o, "spawn", "spawn", "X", e->ts, e->tid);
        ary_sb_printf(&o->sb, ",\"dur\":0.000,\"args\":{\"id\":%" PRIu64, e->num);
        if ((e->f & ARY_EVF_CLASS) == ARY_EVF_TASK)
            ary_sb_printf(&o->sb, ",\"fn\":\"0x%" PRIx64 "\"", e->x);
        if (e->f & ARY_EVF_RUN_INLINE)
            ary_sb_printf(&o->sb, ",\"run_inline\":true");
        if (e->f & ARY_EVF_OUTSIDE)
            ary_sb_printf(&o->sb, ",\"injected\":true");
        ary_sb_printf(&o->sb, "}");
        ev_end(o);
        if (peer && peer->tid != e->tid) { /* flow to a run on another track */
            ev_begin(o, "spawn", "flow", "s", e->ts, e->tid);
            ary_sb_printf(&o->sb, ",\"id\":%" PRIu64, e->num);
            ev_end(o);
        }
        break;
    case ARY_EV_START:
        if (!e->num)
            e->num = ++st->num;
        if (peer && peer->tid != e->tid) {
            ev_begin(o, "spawn", "flow", "f", e->ts, e->tid);
            ary_sb_printf(&o->sb, ",\"bp\":\"e\",\"id\":%" PRIu64, e->num);
            ev_end(o);
        }
        st->stack[st->depth++] = i;
        break;
    case ARY_EV_SCOPE_BEGIN:
        st->stack[st->depth++] = i;
        break;
    case ARY_EV_PARK:
        instant(o, "park", "sched", e->ts, e->tid);
        ev_end(o);
        st->stack[st->depth++] = i;
        break;
    case ARY_EV_WAKE:
        close_match(o, st, e);
        instant(o, "wake", "sched", e->ts, e->tid);
        ary_sb_printf(&o->sb, ",\"args\":{\"timed_out\":%s}", e->f ? "true" : "false");
        ev_end(o);
        break;
    case ARY_EV_END:
    case ARY_EV_SCOPE_END:
        close_match(o, st, e);
        if (e->kind == ARY_EV_END && -(int)e->a == ARAYON_ETIMEDOUT) {
            instant(o, "timeout", "task", e->ts, e->tid);
            ev_end(o);
        }
        break;
    case ARY_EV_STEAL:
        instant(o, "steal", "sched", e->ts, e->tid);
        ary_sb_printf(&o->sb, ",\"args\":{\"victim\":%u,\"remote\":%s}}", e->a,
                      e->f ? "true" : "false");
        jw_flush(o, false);
        break;
    case ARY_EV_TAKE:
        instant(o, "take injected", "sched", e->ts, e->tid);
        ary_sb_printf(&o->sb, ",\"args\":{\"tasks\":%u,\"node\":%" PRIu64 "}}", e->a, e->x);
        jw_flush(o, false);
        break;
    case ARY_EV_THROTTLE:
        instant(o, throttle_name(e->f), "throttle", e->ts, e->tid);
        if (e->f == ARY_THR_REJECTED)
            ary_sb_printf(&o->sb, ",\"args\":{\"error\":\"%s\"}", arayon_errname(-(int)e->a));
        ev_end(o);
        break;
    case ARY_EV_CANCEL:
        instant(o,
                e->f == ARY_CAN_TASK    ? "cancel task"
                : e->f == ARY_CAN_SCOPE ? "cancel scope"
                                        : "shutdown deadline: cancel all",
                "cancel", e->ts, e->tid);
        if (e->f != ARY_CAN_POOL)
            ary_sb_printf(&o->sb, ",\"args\":{\"target\":\"0x%" PRIx64 "\"}", e->id);
        ev_end(o);
        break;
    case ARY_EV_COUNTER:
        counters(o, e->ts, e->id, e->x);
        break;
    default:
        break;
    }
}

static void thread_meta(jw *o, uint32_t tid, const char *name)
{
    ary_sb_printf(&o->sb, "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%ld,\"tid\":%u,\"args\":{\"name\":",
                  o->first ? "" : ",\n", o->pid, tid);
    json_str(&o->sb, name);
    ary_sb_printf(&o->sb, "}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%ld,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
                  o->pid, tid, tid);
    o->first = false;
    jw_flush(o, false);
}

static void worker_name(const ary_pool *p, unsigned i, char *buf, size_t len)
{
    int pu = p->pl.worker_pu[i];
    char pus[24] = "?";
    if (pu >= 0)
        snprintf(pus, sizeof pus, "%d", pu);
    if (i < p->nthreads)
        snprintf(buf, len, "worker %u (PU %s, node %u)", i, pus, p->pl.worker_node[i]);
    else
        snprintf(buf, len, "guest %u (node %u)", i - p->nthreads, p->pl.worker_node[i]);
}

static int export_json(ary_pool *p, ary_trace *tr, uint64_t t_stop, arayon_write_fn write,
                       void *ctx)
{
    /* 1. Collect. */
    size_t n = 0;
    for (unsigned k = 0; k <= tr->nslots; k++) {
        ary_tslot *s = &tr->slots[k];
        n += s->head > s->mask ? s->mask + 1 : s->head;
    }
    xev *v = malloc((n ? n : 1) * sizeof *v);
    mkey *m = malloc((n ? n : 1) * sizeof *m);
    uint64_t *order = malloc((n ? n : 1) * sizeof *order);
    size_t *stack = malloc((n ? n : 1) * sizeof *stack);
    int rc = ARAYON_OK;
    if (!v || !m || !order || !stack) {
        rc = ARAYON_ENOMEM;
        goto out;
    }
    size_t j = 0;
    for (unsigned k = 0; k <= tr->nslots; k++) {
        ary_tslot *s = &tr->slots[k];
        uint64_t from = s->head > s->mask ? s->head - (s->mask + 1) : 0;
        for (uint64_t h = from; h < s->head; h++) {
            const ary_tev *e = &s->ev[h & s->mask];
            uint32_t tid = e->kind == ARY_EV_COUNTER ? 0 /* process-wide */
                           : k < tr->nslots          ? k + 1
                                                     : OUTSIDE_TID + e->thr;
            v[j] = (xev){e->ts, e->id, e->x, e->a, tid, 0, 0, e->kind, e->f};
            j++;
        }
    }
    /* 2. Link each start to the spawn of the same address just before it. */
    xstate st = {v, stack, 0, 0, 0, 0, t_stop};
    size_t nm = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned cls = v[i].f & ARY_EVF_CLASS;
        if ((v[i].kind == ARY_EV_SPAWN || v[i].kind == ARY_EV_START) && v[i].id &&
            (cls == ARY_EVF_TASK || cls == ARY_EVF_JOB))
            m[nm++] = (mkey){v[i].id, v[i].ts, i, v[i].kind == ARY_EV_SPAWN ? 0u : 1u};
    }
    qsort(m, nm, sizeof *m, cmp_mkey);
    size_t pending = SIZE_MAX;
    for (size_t k = 0; k < nm; k++) {
        if (k > 0 && m[k].id != m[k - 1].id)
            pending = SIZE_MAX;
        xev *e = &v[m[k].i];
        if (e->kind == ARY_EV_SPAWN) {
            pending = m[k].i;
        } else if (pending != SIZE_MAX) {
            e->peer = pending + 1;
            v[pending].peer = m[k].i + 1;
            pending = SIZE_MAX;
        }
    }
    /* Numbers in time order: spawns, and starts without a spawn; a start takes its spawn's. */
    size_t nn = 0;
    for (size_t k = 0; k < nm; k++) {
        const xev *e = &v[m[k].i];
        if (e->kind == ARY_EV_SPAWN || !e->peer)
            m[nn++] = (mkey){0, e->ts, m[k].i, 0};
    }
    qsort(m, nn, sizeof *m, cmp_mkey);
    for (size_t k = 0; k < nn; k++) {
        xev *e = &v[m[k].i];
        e->num = ++st.num;
        if (e->kind == ARY_EV_SPAWN && e->peer)
            v[e->peer - 1].num = e->num;
    }
    /* 3. Tracks in tid order, each in recording (= time) order. */
    for (size_t i = 0; i < n; i++)
        order[i] = (uint64_t)v[i].tid << 40 | i;
    qsort(order, n, sizeof *order, cmp_u64);

    jw o = {{0}, write, ctx, ARAYON_OK, true, tr->t0, (long)getpid()};
    ary_sb_printf(&o.sb, "{\"traceEvents\":[\n");
    ary_sb_printf(&o.sb, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%ld,\"tid\":0,\"args\":{\"name\":", o.pid);
    {
        char pname[160];
        snprintf(pname, sizeof pname, "arayon pool%s%s", p->cfg.name ? " " : "",
                 p->cfg.name ? p->cfg.name : "");
        json_str(&o.sb, pname);
    }
    ary_sb_printf(&o.sb, "}}");
    o.first = false;
    char name[96];
    for (unsigned i = 0; i < tr->nslots; i++) { /* workers with a thread, or with events */
        ary_tslot *s = &tr->slots[i];
        if (atomic_load_explicit(&p->workers[i].has_thread, memory_order_acquire) || s->head) {
            worker_name(p, i, name, sizeof name);
            thread_meta(&o, i + 1, name);
        }
    }
    uint32_t last_tid = 0;
    for (size_t k = 0; k < n && o.rc == ARAYON_OK; k++) {
        size_t i = (size_t)(order[k] & ((UINT64_C(1) << 40) - 1));
        uint32_t tid = v[i].tid;
        if (tid != last_tid) {
            while (st.depth) /* the previous track: spans still open at the stop */
                close_span(&o, &st, st.stack[--st.depth], NULL, t_stop, 1);
            if (tid >= OUTSIDE_TID) {
                snprintf(name, sizeof name, "outside thread %u", tid - OUTSIDE_TID);
                thread_meta(&o, tid, name);
            }
            last_tid = tid;
        }
        one_event(&o, &st, i);
    }
    while (st.depth)
        close_span(&o, &st, st.stack[--st.depth], NULL, t_stop, 1);
    arayon_metrics_t mt;
    arayon_pool_metrics(p, &mt);
    counters(&o, t_stop, mt.pending, mt.queued);
    uint64_t dur = t_stop - tr->t0;
    ary_sb_printf(&o.sb, "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"producer\":\"arayon %s\",\"pool\":",
                  arayon_version());
    json_str(&o.sb, p->cfg.name ? p->cfg.name : "");
    ary_sb_printf(&o.sb, ",\"workers\":%u,\"buffer_events\":%" PRIu64 ",\"overflow\":\"%s\",\"events\":%zu,\"dropped\":%" PRIu64
                  ",\"unfinished_spans\":%" PRIu64 ",\"ends_without_start\":%" PRIu64 ",\"duration_us\":%" PRIu64 ".%03u"
                  ",\"metrics_at_stop\":{\"spawned\":%" PRIu64 ",\"completed\":%" PRIu64 ",\"failed\":%" PRIu64
                  ",\"cancelled\":%" PRIu64 ",\"timed_out\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"run_inline\":%" PRIu64
                  ",\"steals\":%" PRIu64 ",\"parks\":%" PRIu64 "}}}\n",
                  arayon_pool_num_threads(p), tr->slots[0].mask + 1, tr->stop_when_full ? "stop" : "drop_oldest", n,
                  dropped_now(tr), st.unfinished, st.orphans, dur / 1000, (unsigned)(dur % 1000),
                  mt.spawned, mt.completed, mt.failed, mt.cancelled, mt.timed_out, mt.rejected,
                  mt.run_inline, mt.steals, mt.parks);
    jw_flush(&o, true);
    rc = o.rc;
    ary_sb_free(&o.sb);
out:
    free(v);
    free(m);
    free(order);
    free(stack);
    return rc;
}
