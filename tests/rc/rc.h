/*
 * rc.h - small helpers shared by the resource-control tests (tests/rc/test_*.c).
 *
 * Include after `#define _GNU_SOURCE` and <arayon.h>. The assertions (CHECK*, gates, the
 * watchdog, WAIT_UNTIL_GE) come from tests/unit/check.h.
 */
#ifndef ARAYON_TEST_RC_H
#define ARAYON_TEST_RC_H

#include "../unit/check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>

/* A pool with n workers and the given admission settings; everything else from the default
 * preset (so the environment can not change what a test asks for, the fields are set). */
static inline arayon_pool_t *rc_pool(unsigned n, size_t max_pending, arayon_full_policy_t policy)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    cfg.max_pending = max_pending;
    cfg.full_policy = policy;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    CHECK(p != NULL);
    CHECK_EQ(arayon_pool_num_threads(p), n);
    return p;
}

static inline arayon_metrics_t rc_metrics(const arayon_pool_t *p)
{
    arayon_metrics_t m;
    CHECK_OK(arayon_pool_metrics(p, &m));
    return m;
}

/* The invariants of a quiescent pool (after the waits covering every task, or after
 * shutdown): every spawned task finished exactly one way, nothing pending or queued. */
static inline void rc_check_quiescent(const arayon_metrics_t *m)
{
    CHECK_EQ(m->pending, 0);
    CHECK_EQ(m->queued, 0);
    CHECK_EQ(m->spawned, m->completed + m->failed + m->cancelled + m->timed_out);
    CHECK_LE(m->busy_ns, m->uptime_ns * m->num_threads);
    CHECK_GE(m->steal_attempts, m->steals);
    if (m->max_pending)
        CHECK_LE(m->peak_pending, m->max_pending);
}

/* Task checks: a failed check inside a task is counted, and the test fails on it later
 * (CHECK from a worker would work too, but this keeps the message next to the phase). */
static atomic_long rc_task_errors;
#define TASK_CHECK(cond)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: [%s] task check failed: %s\n", __FILE__, __LINE__,      \
                    atomic_load(&test_phase_name), #cond);                                  \
            atomic_fetch_add(&rc_task_errors, 1);                                           \
        }                                                                                   \
    } while (0)
#define CHECK_NO_TASK_ERRORS() CHECK_EQ(atomic_load(&rc_task_errors), 0)

/* Records the highest value seen. */
static inline void rc_atomic_max(atomic_llong *m, long long v)
{
    long long cur = atomic_load(m);
    while (v > cur && !atomic_compare_exchange_weak(m, &cur, v))
        ;
}

/* A growable text buffer for arayon_write_fn. */
typedef struct rc_buf {
    char *data;
    size_t len, cap;
    unsigned calls;
} rc_buf;

static inline int rc_buf_write(const char *buf, size_t len, void *ctx)
{
    rc_buf *b = ctx;
    b->calls++;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        CHECK(d != NULL);
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, buf, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

static inline void rc_buf_reset(rc_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Threads of this process now (Linux /proc), or -1 when it cannot be read. */
static inline int rc_thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

#endif
