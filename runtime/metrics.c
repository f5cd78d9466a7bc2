/*
 * metrics.c - snapshots of the pool's counters, their renderer (text, JSON, Prometheus), and
 * the monitor thread.
 *
 * Counting is always on and costs no shared write per task: each worker has single-writer
 * counters on its own cache lines (internal.h, ary_counters); a snapshot sums them. Busy
 * time is derived from idle periods, which are timed only at their edges (no clock read per
 * task).
 */
#include "internal.h"
#include "injector.h"

#include <inttypes.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LD(x) atomic_load_explicit(&(x), memory_order_acquire)

static uint64_t worker_idle_ns(const ary_counters *c, uint64_t now)
{
    uint64_t idle = LD(c->idle_ns);
    uint64_t since = atomic_load_explicit(&c->idle_since, memory_order_relaxed);
    if (since && since < now)
        idle += now - since;
    return idle;
}

static uint64_t deque_size(ary_deque *d)
{
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    return b > t ? (uint64_t)(b - t) : 0;
}

int arayon_pool_metrics(const arayon_pool_t *pool, arayon_metrics_t *out)
{
    if (!pool || !out)
        return ARAYON_EINVAL;
    ary_pool *p = (ary_pool *)pool;
    memset(out, 0, sizeof *out);
    uint64_t now = aryd_now_ns();
    uint64_t uptime = now > p->created_ns ? now - p->created_ns : 0;
    uint64_t finished = 0;
    for (unsigned i = 0; i < p->nworkers; i++) {
        ary_worker *w = &p->workers[i];
        ary_counters *c = &w->c;
        /* A task counts its outcome, then finished, and its spawn before both: read in the
         * opposite order so that no difference below can go negative. */
        out->failed += LD(c->failed);
        out->cancelled += LD(c->cancelled);
        out->timed_out += LD(c->timed_out);
        finished += LD(c->finished);
        out->spawned += LD(c->spawned);
        out->steals += LD(c->steals);
        out->steal_attempts += LD(c->steal_attempts);
        out->parks += LD(c->parks);
        out->wakeups += LD(c->wakeups);
        out->rejected += LD(c->rejected);
        out->run_inline += LD(c->run_inline);
        out->queued += deque_size(&w->deque);
        uint64_t idle = worker_idle_ns(c, now);
        out->busy_ns += uptime > idle ? uptime - idle : 0;
        if (!atomic_load_explicit(&c->idle_since, memory_order_relaxed))
            out->active++;
    }
    /* Tasks run inline by outside threads: spawned and finished at once (task.c counts the
     * outcome first, then the task). */
    uint64_t xin = LD(p->ext_run_inline);
    out->failed += atomic_load_explicit(&p->ext_inline_failed, memory_order_relaxed);
    out->cancelled += atomic_load_explicit(&p->ext_inline_cancelled, memory_order_relaxed);
    out->timed_out += atomic_load_explicit(&p->ext_inline_timed_out, memory_order_relaxed);
    out->run_inline += xin;
    out->spawned += xin;
    finished += xin;
    uint64_t ext = LD(p->ext_spawned);
    uint64_t rej = LD(p->ext_rejected);
    if (rej > ext)
        rej = ext;
    out->spawned += ext - rej;
    out->injected = ext - rej;
    out->rejected += rej + atomic_load_explicit(&p->ext_admit_rejected, memory_order_relaxed);
    for (unsigned k = 0; k < p->pl.nnodes; k++)
        out->queued += atomic_load_explicit(&p->inj[k].count, memory_order_relaxed);
    out->peak_pending = (uint64_t)atomic_load_explicit(&p->peak_out, memory_order_relaxed);
    out->max_pending = p->cfg.max_pending;
    uint64_t bad = out->failed + out->cancelled + out->timed_out;
    out->completed = finished > bad ? finished - bad : 0;
    out->pending = out->spawned > finished ? out->spawned - finished : 0;
    if (out->peak_pending < out->pending)
        out->peak_pending = out->pending;
    out->num_threads = p->nworkers;
    out->uptime_ns = uptime;
    out->abandoned = atomic_load_explicit(&p->abandoned, memory_order_relaxed);
    if (atomic_load_explicit(&p->state, memory_order_acquire) == ARY_POOL_DRAINED && p->joined)
        out->active = 0;
    return ARAYON_OK;
}

int arayon_pool_stats(const arayon_pool_t *pool, arayon_stats_t *out)
{
    return arayon_pool_metrics(pool, out);
}

int arayon_pool_worker_metrics(const arayon_pool_t *pool, unsigned worker,
                               arayon_worker_metrics_t *out)
{
    if (!pool || !out || worker >= pool->nworkers)
        return ARAYON_EINVAL;
    ary_worker *w = &pool->workers[worker];
    ary_counters *c = &w->c;
    uint64_t now = aryd_now_ns();
    uint64_t uptime = now > pool->created_ns ? now - pool->created_ns : 0;
    memset(out, 0, sizeof *out);
    out->index = worker;
    out->executed = LD(c->finished);
    out->spawned = LD(c->spawned);
    out->steals = LD(c->steals);
    out->steal_attempts = LD(c->steal_attempts);
    out->injected_taken = LD(c->injected_taken);
    out->parks = LD(c->parks);
    out->wakeups = LD(c->wakeups);
    out->run_inline = LD(c->run_inline);
    out->rejected = LD(c->rejected);
    out->queued = deque_size(&w->deque);
    uint64_t idle = worker_idle_ns(c, now);
    out->busy_ns = uptime > idle ? uptime - idle : 0;
    out->active = !atomic_load_explicit(&c->idle_since, memory_order_relaxed);
    return ARAYON_OK;
}

int arayon_pool_node_metrics(const arayon_pool_t *pool, unsigned node, arayon_node_metrics_t *out)
{
    if (!pool || !out || node >= pool->pl.nnodes)
        return ARAYON_EINVAL;
    const ary_pool *p = pool;
    uint64_t now = aryd_now_ns();
    uint64_t uptime = now > p->created_ns ? now - p->created_ns : 0;
    memset(out, 0, sizeof *out);
    out->node = node;
    out->os_index = p->pl.node_os_index[node];
    for (unsigned i = 0; i < p->nworkers; i++) {
        ary_worker *w = &p->workers[i];
        if (w->node == node) {
            out->workers++;
            out->tasks_executed += LD(w->c.finished);
            out->local_steals += LD(w->c.local_steals);
            out->remote_steals += LD(w->c.remote_steals);
            uint64_t idle = worker_idle_ns(&w->c, now);
            out->busy_ns += uptime > idle ? uptime - idle : 0;
        } else {
            out->spawned_here_run_elsewhere += LD(w->taken_from[node]);
        }
    }
    return ARAYON_OK;
}

double arayon_metrics_utilization(const arayon_metrics_t *m)
{
    if (!m || !m->uptime_ns || !m->num_threads)
        return 0.0;
    double u = (double)m->busy_ns / ((double)m->uptime_ns * m->num_threads);
    return u > 1.0 ? 1.0 : u;
}

double arayon_metrics_queue_pressure(const arayon_metrics_t *m)
{
    if (!m || !m->max_pending)
        return 0.0;
    return (double)m->pending / (double)m->max_pending;
}

double arayon_metrics_success_rate(const arayon_metrics_t *m)
{
    if (!m)
        return 0.0;
    uint64_t fin = m->completed + m->failed + m->cancelled + m->timed_out;
    return fin ? (double)m->completed / (double)fin : 1.0;
}

/* ---- rendering -------------------------------------------------------------------------- */

/* One table drives all three formats: name, help, Prometheus type, value. */
typedef struct field {
    const char *name;
    const char *help;
    bool counter; /* cumulative (Prometheus counter, *_total); otherwise a gauge */
    uint64_t value;
} field;

static size_t fields_of(const arayon_metrics_t *m, field *f)
{
    size_t n = 0;
#define F(nm, c, v, h) f[n++] = (field){nm, h, c, (uint64_t)(v)}
    F("num_threads", false, m->num_threads, "worker threads");
    F("active", false, m->active, "workers running a task now");
    F("queued", false, m->queued, "tasks waiting in queues");
    F("pending", false, m->pending, "tasks spawned and not finished");
    F("peak_pending", false, m->peak_pending, "highest pending seen (upper bound)");
    F("max_pending", false, m->max_pending, "bound on pending tasks, 0 = none");
    F("spawned", true, m->spawned, "tasks accepted by spawn calls");
    F("completed", true, m->completed, "tasks that ran and returned 0");
    F("failed", true, m->failed, "tasks that ran and returned non-zero");
    F("cancelled", true, m->cancelled, "tasks cancelled before they ran");
    F("timed_out", true, m->timed_out, "tasks whose deadline passed");
    F("rejected", true, m->rejected, "spawn calls refused");
    F("run_inline", true, m->run_inline, "tasks run on the spawning thread (pool full)");
    F("steals", true, m->steals, "tasks stolen from another worker");
    F("steal_attempts", true, m->steal_attempts, "deques probed by thieves");
    F("injected", true, m->injected, "tasks spawned from outside the pool");
    F("parks", true, m->parks, "times a worker went to sleep");
    F("wakeups", true, m->wakeups, "times a sleeping worker was woken");
    F("busy_ns", true, m->busy_ns, "worker time not idle, summed over workers");
    F("uptime_ns", false, m->uptime_ns, "time since the pool was created");
    F("abandoned", true, m->abandoned, "tasks cancelled or left running by a shutdown deadline");
#undef F
    return n;
}

typedef struct out_buf {
    char buf[8192];
    size_t len;
} out_buf;

static void put(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_buf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->len = o->len + (size_t)k < sizeof o->buf ? o->len + (size_t)k : sizeof o->buf - 1;
}

int arayon_metrics_print(const arayon_metrics_t *m, arayon_write_fn write, void *ctx,
                         arayon_metrics_format_t format)
{
    if (!m || !write || (unsigned)format > ARAYON_METRICS_PROMETHEUS)
        return ARAYON_EINVAL;
    field f[32];
    size_t n = fields_of(m, f);
    out_buf *o = malloc(sizeof *o);
    if (!o)
        return ARAYON_ENOMEM;
    o->len = 0;
    switch (format) {
    case ARAYON_METRICS_TEXT:
        put(o, "arayon: %" PRIu64 " tasks (%" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
               " cancelled, %" PRIu64 " timed out, %" PRIu64 " pending), %" PRIu64
               " rejected, %" PRIu64 " run inline; %u workers, utilization %.1f%%, success "
               "rate %.1f%%, queue pressure %.1f%%\n",
            m->spawned, m->completed, m->failed, m->cancelled, m->timed_out, m->pending,
            m->rejected, m->run_inline, m->num_threads, 100.0 * arayon_metrics_utilization(m),
            100.0 * arayon_metrics_success_rate(m), 100.0 * arayon_metrics_queue_pressure(m));
        for (size_t i = 0; i < n; i++)
            put(o, "  %-15s %20" PRIu64 "  %s\n", f[i].name, f[i].value, f[i].help);
        break;
    case ARAYON_METRICS_JSON:
        put(o, "{");
        for (size_t i = 0; i < n; i++)
            put(o, "%s\"%s\": %" PRIu64, i ? ", " : "", f[i].name, f[i].value);
        put(o, ", \"utilization\": %.6f, \"success_rate\": %.6f, \"queue_pressure\": %.6f}\n",
            arayon_metrics_utilization(m), arayon_metrics_success_rate(m),
            arayon_metrics_queue_pressure(m));
        break;
    case ARAYON_METRICS_PROMETHEUS:
        for (size_t i = 0; i < n; i++) {
            /* Prometheus names: arayon_tasks_<x>_total for task counters, seconds for time. */
            const char *nm = f[i].name;
            bool ns = strstr(nm, "_ns") != NULL;
            bool task = !ns && strcmp(nm, "num_threads") && strcmp(nm, "active") &&
                        strncmp(nm, "steal", 5) && strcmp(nm, "parks") && strcmp(nm, "wakeups");
            char name[64];
            if (ns)
                snprintf(name, sizeof name, "arayon_%.*s_seconds%s", (int)(strlen(nm) - 3), nm,
                         f[i].counter ? "_total" : "");
            else if (!strcmp(nm, "num_threads"))
                snprintf(name, sizeof name, "arayon_workers");
            else if (!strcmp(nm, "active"))
                snprintf(name, sizeof name, "arayon_workers_active");
            else
                snprintf(name, sizeof name, "arayon_%s%s%s", task ? "tasks_" : "", nm,
                         f[i].counter ? "_total" : "");
            put(o, "# HELP %s %s\n# TYPE %s %s\n", name, f[i].help, name,
                f[i].counter ? "counter" : "gauge");
            if (ns)
                put(o, "%s %.9f\n", name, (double)f[i].value * 1e-9);
            else
                put(o, "%s %" PRIu64 "\n", name, f[i].value);
        }
        break;
    }
    int rc = write(o->buf, o->len, ctx) == 0 ? ARAYON_OK : ARAYON_EFAILED;
    free(o);
    return rc;
}

/* ---- monitor ------------------------------------------------------------------------- */

struct arayon_monitor {
    ary_pool *pool;
    uint64_t period_ns;
    arayon_monitor_fn cb;
    void *user;
    pthread_t thread;
    _Atomic uint32_t stop;
};

static ARY_TLS arayon_monitor_t *tls_monitor; /* set on the monitor's own thread */

static void *monitor_main(void *arg)
{
    arayon_monitor_t *m = arg;
    tls_monitor = m;
    uint64_t next = aryd_now_ns() + m->period_ns;
    while (!atomic_load_explicit(&m->stop, memory_order_acquire)) {
        if (aryd_now_ns() < next) {
            aryd_futex_wait(&m->stop, 0, next);
            continue;
        }
        arayon_metrics_t snap;
        arayon_pool_metrics(m->pool, &snap);
        if (atomic_load_explicit(&m->stop, memory_order_acquire))
            break;
        m->cb(&snap, m->user);
        next += m->period_ns;
        uint64_t now = aryd_now_ns();
        if (next < now) /* a slow callback: skip the missed ticks */
            next = now + m->period_ns;
    }
    return NULL;
}

int arayon_monitor_start(arayon_pool_t *pool, uint64_t period_ns, arayon_monitor_fn cb, void *user,
                         arayon_monitor_t **out)
{
    if (out)
        *out = NULL;
    if (!pool || !cb || !out || period_ns < 1000000)
        return ARAYON_EINVAL;
    arayon_monitor_t *m = calloc(1, sizeof *m);
    if (!m)
        return ARAYON_ENOMEM;
    m->pool = pool;
    m->period_ns = period_ns;
    m->cb = cb;
    m->user = user;
    atomic_init(&m->stop, 0);
    ary_pool_ref(pool);
    if (pthread_create(&m->thread, NULL, monitor_main, m) != 0) {
        ary_pool_unref(pool);
        free(m);
        return ARAYON_ESYSTEM;
    }
    *out = m;
    return ARAYON_OK;
}

int arayon_monitor_stop(arayon_monitor_t **mp)
{
    if (!mp || !*mp)
        return ARAYON_EINVAL;
    arayon_monitor_t *m = *mp;
    if (tls_monitor == m)
        return ARAYON_EBUSY;
    atomic_store_explicit(&m->stop, 1, memory_order_release);
    aryd_futex_wake(&m->stop, 1);
    pthread_join(m->thread, NULL);
    ary_pool_unref(m->pool);
    free(m);
    *mp = NULL;
    return ARAYON_OK;
}
