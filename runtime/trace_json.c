/*
 * trace_json.c - exports a stopped trace (trace.c) as Chrome trace-event JSON, which opens in
 * Perfetto and chrome://tracing:
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
 */
#include "internal.h"
#include "strbuf.h"
#include "trace_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int ary_trace_export_json(ary_pool *p, ary_trace *tr, uint64_t t_stop, arayon_write_fn write,
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
