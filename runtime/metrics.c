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
#include "blocking.h"
#include "fiber.h" /* ary_fiber_stack_counts */
#include "injector.h"
#include "strbuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stddef.h>
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

/* Busy time and worker counts cover records a thread runs on: a worker thread, or a guest
 * slot while occupied (team pools, team.h); spare records without a thread and free guest
 * slots only keep the counts of their past. */
static bool worker_live(const ary_pool *p, unsigned i)
{
    const ary_worker *w = &p->workers[i];
    return i < p->nthreads ? atomic_load_explicit(&w->has_thread, memory_order_relaxed) != 0
                           : atomic_load_explicit(&w->guest_busy, memory_order_relaxed) != 0;
}

/* ---- latency histograms --------------------------------------------------------------- */

static inline unsigned lat_bucket(uint64_t ns)
{
    unsigned k = ns < 2 ? 0 : 63u - (unsigned)__builtin_clzll(ns);
    return k < ARAYON_LATENCY_BUCKETS ? k : ARAYON_LATENCY_BUCKETS - 1;
}

void ary_lat_record(ary_hist *h, uint64_t ns)
{
    ary_count(&h->bucket[lat_bucket(ns)], 1);
    ary_count(&h->sum_ns, ns);
    ary_count(&h->count, 1); /* last: a reader that sees the count sees its bucket */
}

static void lat_add(arayon_histogram_t *out, ary_hist *h)
{
    out->count += atomic_load_explicit(&h->count, memory_order_acquire);
    out->sum_ns += atomic_load_explicit(&h->sum_ns, memory_order_relaxed);
    for (unsigned k = 0; k < ARAYON_LATENCY_BUCKETS; k++)
        out->bucket[k] += atomic_load_explicit(&h->bucket[k], memory_order_relaxed);
}

int arayon_pool_latency_enable(arayon_pool_t *pool, bool on)
{
    if (!pool)
        return ARAYON_EINVAL;
    if (on)
        atomic_fetch_or_explicit(&pool->tracing, ARY_GATE_LATENCY, memory_order_seq_cst);
    else
        atomic_fetch_and_explicit(&pool->tracing, ~(uint32_t)ARY_GATE_LATENCY,
                                  memory_order_seq_cst);
    return ARAYON_OK;
}

uint64_t arayon_latency_quantile(const arayon_histogram_t *h, double q)
{
    if (!h || !(q >= 0.0 && q <= 1.0))
        return 0;
    uint64_t total = 0;
    for (unsigned k = 0; k < ARAYON_LATENCY_BUCKETS; k++)
        total += h->bucket[k];
    if (!total)
        return 0;
    double want = q * (double)total;
    uint64_t seen = 0;
    for (unsigned k = 0; k < ARAYON_LATENCY_BUCKETS; k++) {
        seen += h->bucket[k];
        if (h->bucket[k] && (double)seen >= want)
            return (uint64_t)2 << k; /* the bucket's upper bound */
    }
    return (uint64_t)2 << (ARAYON_LATENCY_BUCKETS - 1);
}

int arayon_pool_metrics(const arayon_pool_t *pool, arayon_metrics_t *out)
{
    if (!pool || !out)
        return ARAYON_EINVAL;
    ary_pool *p = (ary_pool *)pool;
    memset(out, 0, sizeof *out);
    uint64_t now = aryd_now_ns();
    uint64_t uptime = now > p->created_ns ? now - p->created_ns : 0;
    uint64_t finished = 0, inline_running = 0, inline_done = 0;
    unsigned live = 0;
    /* Tasks finished off the workers (blocking threads, timers cancelled before they fired):
     * outcome, then finished, before any spawn counter is read (blocking.c counts them in
     * that order, after their spawn). */
    const ary_offw *o = p->offw;
    out->failed = atomic_load_explicit(&o->failed, memory_order_seq_cst);
    out->cancelled = atomic_load_explicit(&o->cancelled, memory_order_seq_cst);
    out->timed_out = atomic_load_explicit(&o->timed_out, memory_order_seq_cst);
    finished = atomic_load_explicit(&o->finished, memory_order_seq_cst);
    /* Queued tasks a shutdown deadline finished as cancelled off the workers (pool.c). */
    uint64_t drained = atomic_load_explicit(&p->drain_cancelled, memory_order_seq_cst);
    out->cancelled += drained;
    finished += drained;
    for (unsigned i = 0; i < p->nworkers; i++) {
        ary_worker *w = &p->workers[i];
        ary_counters *c = &w->c;
        bool is_live = worker_live(p, i);
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
        uint64_t idone = LD(c->inline_done), istart = LD(c->run_inline);
        inline_done += idone; /* summed first: a migratable task started inline on one worker */
        out->run_inline += istart; /* may finish on another */
        out->blocking_waits += LD(c->blocking_waits);
        out->async_spawned += LD(c->async_spawned);
        uint64_t res = LD(c->resumes); /* resumes before suspends: parked never negative */
        out->resumed += res;
        out->suspended += LD(c->suspends);
        out->queued += deque_size(&w->deque);
        lat_add(&out->latency.wait, &w->lat_wait);
        lat_add(&out->latency.run, &w->lat_run);
        if (!is_live) /* (worker_live) */
            continue;
        live++;
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
    /* run_inline so far counts the workers' inline starts only (outside threads' inline
     * runs are spawned and finished at once, xin below) */
    inline_running = out->run_inline > inline_done ? out->run_inline - inline_done : 0;
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
    ary_offw_stats x;
    ary_offw_stats_read(p, &x);
    out->queued += x.blocking_queued;
    out->blocking_spawned = x.blocking_spawned;
    out->blocking_running = x.blocking_running;
    out->blocking_queued = x.blocking_queued;
    out->blocking_threads = x.blocking_threads;
    out->blocking_threads_peak = x.blocking_threads_peak;
    out->timers_spawned = x.timers_spawned;
    out->timers_pending = x.timers_pending;
    out->timers_fired = x.timers_fired;
    out->async_spawned += LD(p->ext_async_spawned);
    out->parked = out->suspended > out->resumed ? out->suspended - out->resumed : 0;
    ary_fiber_stack_counts(p, &out->stacks_cached, &out->stacks_in_use);
    out->stacks_cached = out->stacks_cached > out->stacks_in_use
                             ? out->stacks_cached - out->stacks_in_use
                             : 0;
    out->peak_pending = (uint64_t)atomic_load_explicit(&p->peak_out, memory_order_relaxed);
    out->max_pending = p->cfg.max_pending;
    uint64_t bad = out->failed + out->cancelled + out->timed_out;
    out->completed = finished > bad ? finished - bad : 0;
    /* Pending = admitted tasks not finished + tasks running inline because the pool was full
     * (those hold no admission credit: the spec's slack of one per worker). The counters are
     * read one after another while tasks come and go, so the admitted part can overshoot by
     * tasks that finished and were replaced meanwhile; admitted tasks never exceed the bound
     * (admit.c), so the bound caps that reading, and the spawns counted beyond it are left to
     * the next snapshot: spawned == completed + failed + cancelled + timed_out + pending holds
     * in every snapshot. peak_pending covers admitted tasks only. */
    uint64_t admitted = out->spawned > finished + inline_running
                            ? out->spawned - finished - inline_running
                            : 0;
    if (out->max_pending && admitted > out->max_pending) {
        out->spawned -= admitted - out->max_pending;
        admitted = out->max_pending;
    }
    out->pending = admitted + inline_running;
    if (out->spawned < finished + out->pending) /* counters read mid-update */
        out->spawned = finished + out->pending;
    if (out->max_pending && out->peak_pending > out->max_pending)
        out->peak_pending = out->max_pending;
    if (out->peak_pending < admitted)
        out->peak_pending = admitted;
    out->num_threads = live;
    out->uptime_ns = uptime;
    out->abandoned = atomic_load_explicit(&p->abandoned, memory_order_relaxed);
    if (atomic_load_explicit(&p->state, memory_order_acquire) == ARY_POOL_DRAINED &&
        atomic_load_explicit(&p->joined, memory_order_acquire))
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
            out->tasks_executed += LD(w->c.finished);
            out->local_steals += LD(w->c.local_steals);
            out->remote_steals += LD(w->c.remote_steals);
            if (!worker_live(p, i))
                continue;
            out->workers++;
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

/* One table drives the three formats: JSON/text name, Prometheus name, kind, help, value. */
typedef struct field {
    const char *name;
    const char *prom;  /* Prometheus metric name; counters end in _total */
    bool counter;      /* cumulative (Prometheus counter); otherwise a gauge */
    bool seconds;      /* value in ns, exposed to Prometheus in seconds */
    const char *help;
    uint64_t value;
} field;

static size_t fields_of(const arayon_metrics_t *m, field *f)
{
    size_t n = 0;
#define G(nm, pr, v, h) f[n++] = (field){nm, pr, false, false, h, (uint64_t)(v)}
#define C(nm, pr, v, h) f[n++] = (field){nm, pr, true, false, h, (uint64_t)(v)}
    G("num_threads", "arayon_workers", m->num_threads, "worker threads");
    G("active", "arayon_workers_active", m->active, "workers running a task now");
    G("queued", "arayon_tasks_queued", m->queued, "tasks waiting in queues");
    G("pending", "arayon_tasks_pending", m->pending, "tasks spawned and not finished");
    G("peak_pending", "arayon_tasks_pending_peak", m->peak_pending,
      "highest pending seen (upper bound)");
    G("max_pending", "arayon_tasks_pending_max", m->max_pending, "bound on pending tasks, 0 = none");
    C("spawned", "arayon_tasks_spawned_total", m->spawned, "tasks accepted by spawn calls");
    C("completed", "arayon_tasks_completed_total", m->completed, "tasks that ran and returned 0");
    C("failed", "arayon_tasks_failed_total", m->failed, "tasks that ran and returned non-zero");
    C("cancelled", "arayon_tasks_cancelled_total", m->cancelled, "tasks cancelled before they ran");
    C("timed_out", "arayon_tasks_timed_out_total", m->timed_out, "tasks whose deadline passed");
    C("rejected", "arayon_tasks_rejected_total", m->rejected, "spawn calls refused");
    C("run_inline", "arayon_tasks_run_inline_total", m->run_inline,
      "tasks run on the spawning thread (pool full)");
    C("steals", "arayon_steals_total", m->steals, "tasks stolen from another worker");
    C("steal_attempts", "arayon_steal_attempts_total", m->steal_attempts, "deques probed by thieves");
    C("injected", "arayon_tasks_injected_total", m->injected, "tasks spawned from outside the pool");
    C("parks", "arayon_parks_total", m->parks, "times a worker went to sleep");
    C("wakeups", "arayon_wakeups_total", m->wakeups, "times a sleeping worker was woken");
    f[n++] = (field){"busy_ns", "arayon_busy_seconds_total", true, true,
                     "worker time not idle, summed over workers", m->busy_ns};
    f[n++] = (field){"uptime_ns", "arayon_uptime_seconds", false, true,
                     "time since the pool was created", m->uptime_ns};
    C("abandoned", "arayon_tasks_abandoned_total", m->abandoned,
      "tasks cancelled or left running by a shutdown deadline");
    C("blocking_spawned", "arayon_blocking_spawned_total", m->blocking_spawned,
      "blocking tasks accepted (also in spawned)");
    G("blocking_running", "arayon_blocking_running", m->blocking_running,
      "blocking tasks running now");
    G("blocking_queued", "arayon_blocking_queued", m->blocking_queued,
      "blocking tasks waiting for a blocking thread");
    G("blocking_threads", "arayon_blocking_threads", m->blocking_threads,
      "blocking threads alive");
    G("blocking_threads_peak", "arayon_blocking_threads_peak", m->blocking_threads_peak,
      "most blocking threads alive at once");
    C("timers_spawned", "arayon_timers_spawned_total", m->timers_spawned,
      "delayed and periodic tasks accepted");
    G("timers_pending", "arayon_timers_pending", m->timers_pending,
      "timers waiting for their deadline");
    C("blocking_waits", "arayon_blocking_waits_total", m->blocking_waits,
      "sleeps and fd waits that held a worker thread");
    C("timers_fired", "arayon_timers_fired_total", m->timers_fired,
      "timer deadlines reached (runs of delayed and periodic tasks)");
    C("async_spawned", "arayon_async_spawned_total", m->async_spawned,
      "suspendable tasks accepted (also in spawned)");
    C("suspended", "arayon_suspensions_total", m->suspended,
      "times a suspendable task gave its worker back to wait");
    C("resumed", "arayon_resumptions_total", m->resumed, "suspended tasks run again");
    G("parked", "arayon_tasks_parked", m->parked, "suspendable tasks suspended now");
    G("stacks_in_use", "arayon_fiber_stacks_in_use", m->stacks_in_use,
      "stacks held by started suspendable tasks");
    G("stacks_cached", "arayon_fiber_stacks_cached", m->stacks_cached,
      "stacks kept for reuse");
#undef G
#undef C
    return n;
}

/* A duration for people: 850ns, 12.3us, 4.56ms, 1.20s. */
static void sb_dur(ary_sbuf *o, double ns)
{
    if (ns < 1e3)
        ary_sb_printf(o, "%.0fns", ns);
    else if (ns < 1e6)
        ary_sb_printf(o, "%.1fus", ns * 1e-3);
    else if (ns < 1e9)
        ary_sb_printf(o, "%.2fms", ns * 1e-6);
    else
        ary_sb_printf(o, "%.2fs", ns * 1e-9);
}

static void latency_text(ary_sbuf *o, const char *what, const arayon_histogram_t *h)
{
    ary_sb_printf(o, "  %-12s %12" PRIu64 "  mean ", what, h->count);
    sb_dur(o, h->count ? (double)h->sum_ns / (double)h->count : 0.0);
    static const double qs[] = {0.5, 0.9, 0.99};
    static const char *qn[] = {"p50", "p90", "p99"};
    for (int i = 0; i < 3; i++) {
        ary_sb_printf(o, "  %s <= ", qn[i]);
        sb_dur(o, (double)arayon_latency_quantile(h, qs[i]));
    }
    ary_sb_printf(o, "\n    buckets:");
    for (unsigned k = 0; k < ARAYON_LATENCY_BUCKETS; k++) {
        if (!h->bucket[k])
            continue;
        ary_sb_printf(o, " <");
        sb_dur(o, (double)((uint64_t)2 << k));
        ary_sb_printf(o, ":%" PRIu64, h->bucket[k]);
    }
    ary_sb_printf(o, "\n");
}

static void latency_json(ary_sbuf *o, const char *what, const arayon_histogram_t *h)
{
    ary_sb_printf(o, "\"%s\": {\"count\": %" PRIu64 ", \"sum_ns\": %" PRIu64 ", \"p50_ns\": %" PRIu64
                     ", \"p90_ns\": %" PRIu64 ", \"p99_ns\": %" PRIu64 ", \"buckets\": [",
                  what, h->count, h->sum_ns, arayon_latency_quantile(h, 0.5),
                  arayon_latency_quantile(h, 0.9), arayon_latency_quantile(h, 0.99));
    for (unsigned k = 0; k < ARAYON_LATENCY_BUCKETS; k++)
        ary_sb_printf(o, "%s%" PRIu64, k ? ", " : "", h->bucket[k]);
    ary_sb_printf(o, "]}");
}

/* A Prometheus histogram: cumulative buckets with upper bounds in seconds. */
static void latency_prom(ary_sbuf *o, const char *name, const char *help,
                         const arayon_histogram_t *h)
{
    ary_sb_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (unsigned k = 0; k < ARAYON_LATENCY_BUCKETS - 1; k++) {
        cum += h->bucket[k];
        ary_sb_printf(o, "%s_bucket{le=\"%.9g\"} %" PRIu64 "\n", name,
                      (double)((uint64_t)2 << k) * 1e-9, cum);
    }
    cum += h->bucket[ARAYON_LATENCY_BUCKETS - 1];
    ary_sb_printf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %.9f\n%s_count %" PRIu64 "\n", name,
                  cum, name, (double)h->sum_ns * 1e-9, name, h->count);
}

static bool has_latency(const arayon_metrics_t *m)
{
    return m->latency.wait.count || m->latency.run.count;
}

/* Renders m, then (when given) one row per worker and one per NUMA node, and the latency
 * histograms when any were recorded. */
static void render(ary_sbuf *o, const arayon_metrics_t *m, const arayon_node_metrics_t *nodes,
                   unsigned nnodes, const arayon_worker_metrics_t *workers, unsigned nworkers,
                   arayon_metrics_format_t format)
{
    field f[48];
    size_t n = fields_of(m, f);
    double up = m->uptime_ns ? (double)m->uptime_ns : 1.0;
    switch (format) {
    case ARAYON_METRICS_TEXT:
        ary_sb_printf(o, "arayon: %" PRIu64 " tasks (%" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
               " cancelled, %" PRIu64 " timed out, %" PRIu64 " pending), %" PRIu64
               " rejected, %" PRIu64 " run inline; %u workers, utilization %.1f%%, success "
               "rate %.1f%%, queue pressure %.1f%%\n",
            m->spawned, m->completed, m->failed, m->cancelled, m->timed_out, m->pending,
            m->rejected, m->run_inline, m->num_threads, 100.0 * arayon_metrics_utilization(m),
            100.0 * arayon_metrics_success_rate(m), 100.0 * arayon_metrics_queue_pressure(m));
        for (size_t i = 0; i < n; i++)
            ary_sb_printf(o, "  %-21s %20" PRIu64 "  %s\n", f[i].name, f[i].value, f[i].help);
        if (nworkers)
            ary_sb_printf(o, "  %-6s %12s %12s %10s %12s %10s %8s %10s %11s %6s\n", "worker",
                          "executed", "spawned", "steals", "attempts", "injected", "parks",
                          "run_inline", "busy_ms", "util%");
        for (unsigned k = 0; k < nworkers; k++) {
            const arayon_worker_metrics_t *w = &workers[k];
            ary_sb_printf(o, "  %-6u %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %12" PRIu64
                             " %10" PRIu64 " %8" PRIu64 " %10" PRIu64 " %11.1f %6.1f\n",
                          w->index, w->executed, w->spawned, w->steals, w->steal_attempts,
                          w->injected_taken, w->parks, w->run_inline, (double)w->busy_ns * 1e-6,
                          w->busy_ns >= m->uptime_ns ? 100.0 : 100.0 * (double)w->busy_ns / up);
        }
        if (has_latency(m)) {
            ary_sb_printf(o, "  latency      %12s\n", "tasks");
            latency_text(o, "queue wait", &m->latency.wait);
            latency_text(o, "run time", &m->latency.run);
        }
        if (nnodes)
            ary_sb_printf(o, "  %-6s %7s %14s %12s %13s %16s %14s\n", "node", "workers", "executed",
                "local_steal", "remote_steal", "run_elsewhere", "busy_ms");
        for (unsigned k = 0; k < nnodes; k++)
            ary_sb_printf(o, "  %-6u %7u %14" PRIu64 " %12" PRIu64 " %13" PRIu64 " %16" PRIu64 " %14.1f\n",
                nodes[k].node, nodes[k].workers, nodes[k].tasks_executed, nodes[k].local_steals,
                nodes[k].remote_steals, nodes[k].spawned_here_run_elsewhere,
                (double)nodes[k].busy_ns * 1e-6);
        break;
    case ARAYON_METRICS_JSON:
        ary_sb_printf(o, "{");
        for (size_t i = 0; i < n; i++)
            ary_sb_printf(o, "%s\"%s\": %" PRIu64, i ? ", " : "", f[i].name, f[i].value);
        ary_sb_printf(o, ", \"utilization\": %.6f, \"success_rate\": %.6f, \"queue_pressure\": %.6f",
            arayon_metrics_utilization(m), arayon_metrics_success_rate(m),
            arayon_metrics_queue_pressure(m));
        ary_sb_printf(o, ", \"latency\": {");
        latency_json(o, "wait", &m->latency.wait);
        ary_sb_printf(o, ", ");
        latency_json(o, "run", &m->latency.run);
        ary_sb_printf(o, "}");
        if (nworkers) {
            ary_sb_printf(o, ", \"workers\": [");
            for (unsigned k = 0; k < nworkers; k++) {
                const arayon_worker_metrics_t *w = &workers[k];
                ary_sb_printf(o, "%s{\"worker\": %u, \"executed\": %" PRIu64 ", \"spawned\": %" PRIu64
                                 ", \"steals\": %" PRIu64 ", \"steal_attempts\": %" PRIu64
                                 ", \"injected_taken\": %" PRIu64 ", \"parks\": %" PRIu64
                                 ", \"wakeups\": %" PRIu64 ", \"run_inline\": %" PRIu64
                                 ", \"rejected\": %" PRIu64 ", \"queued\": %" PRIu64
                                 ", \"busy_ns\": %" PRIu64 ", \"active\": %s}",
                              k ? ", " : "", w->index, w->executed, w->spawned, w->steals,
                              w->steal_attempts, w->injected_taken, w->parks, w->wakeups,
                              w->run_inline, w->rejected, w->queued, w->busy_ns,
                              w->active ? "true" : "false");
            }
            ary_sb_printf(o, "]");
        }
        if (nnodes) {
            ary_sb_printf(o, ", \"nodes\": [");
            for (unsigned k = 0; k < nnodes; k++)
                ary_sb_printf(o, "%s{\"node\": %u, \"os_index\": %d, \"workers\": %u, \"tasks_executed\": %" PRIu64
                       ", \"local_steals\": %" PRIu64 ", \"remote_steals\": %" PRIu64
                       ", \"spawned_here_run_elsewhere\": %" PRIu64 ", \"busy_ns\": %" PRIu64 "}",
                    k ? ", " : "", nodes[k].node, nodes[k].os_index, nodes[k].workers,
                    nodes[k].tasks_executed, nodes[k].local_steals, nodes[k].remote_steals,
                    nodes[k].spawned_here_run_elsewhere, nodes[k].busy_ns);
            ary_sb_printf(o, "]");
        }
        ary_sb_printf(o, "}\n");
        break;
    case ARAYON_METRICS_PROMETHEUS:
        for (size_t i = 0; i < n; i++) {
            ary_sb_printf(o, "# HELP %s %s\n# TYPE %s %s\n", f[i].prom, f[i].help, f[i].prom,
                f[i].counter ? "counter" : "gauge");
            if (f[i].seconds)
                ary_sb_printf(o, "%s %.9f\n", f[i].prom, (double)f[i].value * 1e-9);
            else
                ary_sb_printf(o, "%s %" PRIu64 "\n", f[i].prom, f[i].value);
        }
        if (has_latency(m)) {
            latency_prom(o, "arayon_task_wait_seconds", "time from spawn to start (latency recording)",
                         &m->latency.wait);
            latency_prom(o, "arayon_task_run_seconds", "time from start to end (latency recording)",
                         &m->latency.run);
        }
        if (nworkers) {
            static const struct {
                const char *name, *help;
                size_t off;
                bool seconds;
            } wf[] = {
                {"arayon_worker_tasks_executed_total", "tasks finished on the worker",
                 offsetof(arayon_worker_metrics_t, executed), false},
                {"arayon_worker_tasks_spawned_total", "tasks spawned by tasks on the worker",
                 offsetof(arayon_worker_metrics_t, spawned), false},
                {"arayon_worker_steals_total", "tasks the worker stole",
                 offsetof(arayon_worker_metrics_t, steals), false},
                {"arayon_worker_parks_total", "times the worker went to sleep",
                 offsetof(arayon_worker_metrics_t, parks), false},
                {"arayon_worker_run_inline_total", "tasks run on the worker because the pool was full",
                 offsetof(arayon_worker_metrics_t, run_inline), false},
                {"arayon_worker_busy_seconds_total", "time the worker was not idle",
                 offsetof(arayon_worker_metrics_t, busy_ns), true},
            };
            for (size_t i = 0; i < sizeof wf / sizeof wf[0]; i++) {
                ary_sb_printf(o, "# HELP %s %s\n# TYPE %s counter\n", wf[i].name, wf[i].help, wf[i].name);
                for (unsigned k = 0; k < nworkers; k++) {
                    uint64_t v;
                    memcpy(&v, (const char *)&workers[k] + wf[i].off, sizeof v);
                    if (wf[i].seconds)
                        ary_sb_printf(o, "%s{worker=\"%u\"} %.9f\n", wf[i].name, workers[k].index,
                                      (double)v * 1e-9);
                    else
                        ary_sb_printf(o, "%s{worker=\"%u\"} %" PRIu64 "\n", wf[i].name,
                                      workers[k].index, v);
                }
            }
        }
        if (nnodes) {
            static const struct {
                const char *name, *help;
                size_t off;
                bool seconds;
            } nf[] = {
                {"arayon_node_tasks_executed_total", "tasks finished by the node's workers",
                 offsetof(arayon_node_metrics_t, tasks_executed), false},
                {"arayon_node_local_steals_total", "steals from workers of the same node",
                 offsetof(arayon_node_metrics_t, local_steals), false},
                {"arayon_node_remote_steals_total", "steals from workers of other nodes",
                 offsetof(arayon_node_metrics_t, remote_steals), false},
                {"arayon_node_run_elsewhere_total", "tasks queued here, run by another node",
                 offsetof(arayon_node_metrics_t, spawned_here_run_elsewhere), false},
                {"arayon_node_busy_seconds_total", "busy time of the node's workers",
                 offsetof(arayon_node_metrics_t, busy_ns), true},
            };
            for (size_t i = 0; i < sizeof nf / sizeof nf[0]; i++) {
                ary_sb_printf(o, "# HELP %s %s\n# TYPE %s counter\n", nf[i].name, nf[i].help, nf[i].name);
                for (unsigned k = 0; k < nnodes; k++) {
                    uint64_t v;
                    memcpy(&v, (const char *)&nodes[k] + nf[i].off, sizeof v);
                    if (nf[i].seconds)
                        ary_sb_printf(o, "%s{node=\"%u\"} %.9f\n", nf[i].name, k, (double)v * 1e-9);
                    else
                        ary_sb_printf(o, "%s{node=\"%u\"} %" PRIu64 "\n", nf[i].name, k, v);
                }
            }
        }
        break;
    }
}

static int emit(ary_sbuf *o, arayon_write_fn write, void *ctx)
{
    int rc = ary_sb_flush(o, write, ctx);
    ary_sb_free(o);
    return rc;
}

int arayon_metrics_print(const arayon_metrics_t *m, arayon_write_fn write, void *ctx,
                         arayon_metrics_format_t format)
{
    if (!m || !write || (unsigned)format > ARAYON_METRICS_PROMETHEUS)
        return ARAYON_EINVAL;
    ary_sbuf o = {0};
    render(&o, m, NULL, 0, NULL, 0, format);
    return emit(&o, write, ctx);
}

int arayon_pool_metrics_print(const arayon_pool_t *pool, arayon_write_fn write, void *ctx,
                              arayon_metrics_format_t format)
{
    if (!pool || !write || (unsigned)format > ARAYON_METRICS_PROMETHEUS)
        return ARAYON_EINVAL;
    arayon_metrics_t m;
    arayon_pool_metrics(pool, &m);
    unsigned nn = pool->pl.nnodes;
    arayon_node_metrics_t *nodes = calloc(nn, sizeof *nodes);
    if (!nodes)
        return ARAYON_ENOMEM;
    for (unsigned k = 0; k < nn; k++)
        arayon_pool_node_metrics(pool, k, &nodes[k]);
    /* the workers that run or ran: records never started (spare ones) are left out */
    arayon_worker_metrics_t *ws = calloc(pool->nworkers ? pool->nworkers : 1, sizeof *ws);
    if (!ws) {
        free(nodes);
        return ARAYON_ENOMEM;
    }
    unsigned nw = 0;
    for (unsigned i = 0; i < pool->nworkers; i++) {
        arayon_worker_metrics_t *w = &ws[nw];
        arayon_pool_worker_metrics(pool, i, w);
        if (worker_live(pool, i) || w->executed || w->spawned)
            nw++;
    }
    ary_sbuf o = {0};
    render(&o, &m, nodes, nn, ws, nw, format);
    free(nodes);
    free(ws);
    return emit(&o, write, ctx);
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

/* ---- ARAYON_METRICS -------------------------------------------------------------------- *
 * Pools created while ARAYON_METRICS is set are listed (with a reference each); a pool's
 * report is written to stderr when it is destroyed (after its workers are joined), or at
 * process exit for the pools still alive then. */

typedef struct env_entry {
    struct env_entry *next;
    ary_pool *pool;
    arayon_metrics_format_t format;
} env_entry;

static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static env_entry *env_list;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static int write_stderr(const char *buf, size_t len, void *ctx)
{
    (void)ctx;
    return fwrite(buf, 1, len, stderr) == len ? 0 : -1;
}

static void env_report(env_entry *e)
{
    if (e->format == ARAYON_METRICS_TEXT)
        fprintf(stderr, "arayon: metrics of pool \"%s\" (ARAYON_METRICS):\n",
                e->pool->cfg.name ? e->pool->cfg.name : "arayon");
    arayon_pool_metrics_print(e->pool, write_stderr, NULL, e->format);
    fflush(stderr);
    ary_pool_unref(e->pool);
    free(e);
}

static void env_at_exit(void)
{
    for (;;) {
        pthread_mutex_lock(&env_lock);
        env_entry *e = env_list;
        if (e)
            env_list = e->next;
        pthread_mutex_unlock(&env_lock);
        if (!e)
            return;
        env_report(e);
    }
}

static void env_register_exit(void) { atexit(env_at_exit); }

void ary_metrics_env_start(ary_pool *p)
{
    int format = ary_env_metrics();
    if (format < 0)
        return;
    env_entry *e = malloc(sizeof *e);
    if (!e) {
        fputs("arayon: ARAYON_METRICS: out of memory, no report\n", stderr);
        return;
    }
    e->pool = p;
    e->format = (arayon_metrics_format_t)format;
    ary_pool_ref(p); /* the list's */
    pthread_once(&env_once, env_register_exit);
    pthread_mutex_lock(&env_lock);
    e->next = env_list;
    env_list = e;
    pthread_mutex_unlock(&env_lock);
}

void ary_metrics_env_finish(ary_pool *p)
{
    env_entry *e = NULL;
    pthread_mutex_lock(&env_lock);
    for (env_entry **q = &env_list; *q; q = &(*q)->next) {
        if ((*q)->pool == p) {
            e = *q;
            *q = e->next;
            break;
        }
    }
    pthread_mutex_unlock(&env_lock);
    if (e)
        env_report(e);
}
