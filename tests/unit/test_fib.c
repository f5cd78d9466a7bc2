/*
 * test_fib.c - recursive fib with a spawn and a wait at every level (no cutoff), checked
 * against the serial value, on pools of 1, 2 and 8 workers (8 > the cores of a small CI box,
 * so workers are oversubscribed and block).
 *
 * Variants
 *   scope   every call with n >= 2 begins a scope, spawns both children into it and ends it;
 *           the top call runs on the main thread (an owner outside the pool).
 *   handle  every call spawns both children with handles and waits for each; the top call
 *           is itself spawned with a handle from main.
 *   macro   as scope, with ARAYON_SCOPE ending the scope when the block is left; the top
 *           call runs inside a task spawned into a scope begun by main.
 * The counters are checked too: the number of tasks each variant spawns is computed from
 * the serial recursion.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "check.h"

static arayon_pool_t *g_pool;
static atomic_long g_errors;    /* arayon calls that failed inside tasks */
static atomic_int g_first_error;

static void note_error(int rc)
{
    int zero = 0;
    atomic_compare_exchange_strong(&g_first_error, &zero, rc);
    atomic_fetch_add(&g_errors, 1);
}

static long fib_serial(int n)
{
    long a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        long t = a + b;
        a = b;
        b = t;
    }
    return a;
}

/* Calls of the naive recursion for fib(n): 1 for n < 2, else 1 + calls(n-1) + calls(n-2). */
static long fib_calls(int n)
{
    return n < 2 ? 1 : 1 + fib_calls(n - 1) + fib_calls(n - 2);
}

typedef struct fib_arg {
    int n;
    long r;
} fib_arg;

/* ---------------------------------------------------------------------------------------
 * Variant: one scope per level
 * ------------------------------------------------------------------------------------- */
static int fib_scope(void *p)
{
    fib_arg *a = p;
    if (a->n < 2) {
        a->r = a->n;
        return 0;
    }
    fib_arg x = {a->n - 1, -1}, y = {a->n - 2, -1};
    arayon_scope_t *s = NULL;
    int rc = arayon_scope_begin(g_pool, &s);
    if (rc != ARAYON_OK) {
        note_error(rc);
        return 1;
    }
    if ((rc = arayon_scope_spawn(s, fib_scope, &x, NULL)) != ARAYON_OK)
        note_error(rc);
    if ((rc = arayon_scope_spawn(s, fib_scope, &y, NULL)) != ARAYON_OK)
        note_error(rc);
    rc = arayon_scope_end(&s);
    if (rc != ARAYON_OK)
        note_error(rc);
    if (s != NULL)
        note_error(ARAYON_EINVAL); /* scope_end must clear the pointer */
    a->r = x.r + y.r;
    return rc == ARAYON_OK ? 0 : 1;
}

/* ---------------------------------------------------------------------------------------
 * Variant: a handle per child
 * ------------------------------------------------------------------------------------- */
static int fib_handle(void *p)
{
    fib_arg *a = p;
    if (a->n < 2) {
        a->r = a->n;
        return 0;
    }
    fib_arg x = {a->n - 1, -1}, y = {a->n - 2, -1};
    arayon_task_t *hx = NULL, *hy = NULL;
    int rc;
    if ((rc = arayon_spawn_handle(g_pool, fib_handle, &x, &hx)) != ARAYON_OK) {
        note_error(rc);
        return 1;
    }
    if ((rc = arayon_spawn_handle(g_pool, fib_handle, &y, &hy)) != ARAYON_OK) {
        note_error(rc);
        /* x still points into this frame: it must finish before we return */
        arayon_task_wait(hx);
        arayon_task_release(hx);
        return 1;
    }
    /* Wait for the younger child first: it is the one most likely still queued here. */
    if ((rc = arayon_task_wait(hy)) != ARAYON_OK)
        note_error(rc);
    if ((rc = arayon_task_wait(hx)) != ARAYON_OK)
        note_error(rc);
    arayon_task_release(hx);
    arayon_task_release(hy);
    a->r = x.r + y.r;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Variant: ARAYON_SCOPE
 * ------------------------------------------------------------------------------------- */
static int fib_macro(void *p)
{
    fib_arg *a = p;
    if (a->n < 2) {
        a->r = a->n;
        return 0;
    }
    fib_arg x = {a->n - 1, -1}, y = {a->n - 2, -1};
    {
        ARAYON_SCOPE(s, g_pool);
        if (s == NULL) {
            note_error(ARAYON_ENOMEM);
            return 1;
        }
        int rc;
        if ((rc = arayon_scope_spawn(s, fib_macro, &x, NULL)) != ARAYON_OK)
            note_error(rc);
        if ((rc = arayon_scope_spawn(s, fib_macro, &y, NULL)) != ARAYON_OK)
            note_error(rc);
    } /* the scope ends here: both children are done */
    a->r = x.r + y.r;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Driver
 * ------------------------------------------------------------------------------------- */
enum variant { V_SCOPE, V_HANDLE, V_MACRO };
static const char *const variant_name[] = {"scope", "handle", "macro"};

static void run(enum variant v, unsigned nthreads, int n)
{
    static char phase[80];
    snprintf(phase, sizeof phase, "fib(%d) %s variant, %u worker(s)", n, variant_name[v],
             nthreads);
    test_phase(phase);

    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = nthreads;
    CHECK_OK(arayon_pool_create(&cfg, &g_pool));
    atomic_store(&g_errors, 0);
    atomic_store(&g_first_error, 0);

    const long calls = fib_calls(n);
    long expected_tasks = 0;
    fib_arg top = {n, -1};
    uint64_t t0 = test_now_ns();
    switch (v) {
    case V_SCOPE:
        /* main owns the top scope: every call but the top one is a task */
        CHECK_EQ(fib_scope(&top), 0);
        expected_tasks = calls - 1;
        break;
    case V_HANDLE: {
        arayon_task_t *h = NULL;
        CHECK_OK(arayon_spawn_handle(g_pool, fib_handle, &top, &h));
        CHECK_OK(arayon_task_wait(h));
        int raw = -1;
        CHECK_OK(arayon_task_result(h, &raw));
        CHECK_EQ(raw, 0);
        arayon_task_release(h);
        expected_tasks = calls;
        break;
    }
    case V_MACRO: {
        {
            ARAYON_SCOPE(outer, g_pool);
            CHECK(outer != NULL);
            CHECK_OK(arayon_scope_spawn(outer, fib_macro, &top, NULL));
        }
        expected_tasks = calls;
        break;
    }
    }
    uint64_t t1 = test_now_ns();
    if (atomic_load(&g_errors) != 0) {
        int rc = atomic_load(&g_first_error);
        CHECK_MSG(0, "%ld arayon calls failed inside tasks, first: %s", atomic_load(&g_errors),
                  arayon_errname(rc));
    }
    CHECK_EQ(top.r, fib_serial(n));

    arayon_stats_t st;
    CHECK_OK(arayon_pool_stats(g_pool, &st));
    CHECK_EQ(st.spawned,
             st.completed + st.failed + st.cancelled + st.timed_out + st.pending);
    CHECK_OK(arayon_pool_shutdown(g_pool));
    CHECK_OK(arayon_pool_stats(g_pool, &st));
    CHECK_EQ(st.spawned, expected_tasks);
    CHECK_EQ(st.completed, expected_tasks);
    CHECK_EQ(st.failed, 0);
    CHECK_EQ(st.cancelled, 0);
    CHECK_EQ(st.pending, 0);
    CHECK_EQ(st.rejected, 0);
    CHECK_EQ(st.injected, v == V_SCOPE ? 2 : 1); /* the spawns made by main itself */
    fprintf(stderr, "   %ld tasks in %.1f ms, %llu steals\n", expected_tasks, (t1 - t0) / 1e6,
            (unsigned long long)st.steals);
    arayon_pool_destroy(&g_pool);
    CHECK(g_pool == NULL);
}

int main(void)
{
    test_watchdog(110);
    const int n = TEST_TSAN ? 23 : TEST_ASAN ? 25 : 26;
    static const unsigned sizes[] = {1, 2, 8};
    for (int i = 0; i < 3; i++)
        for (int v = V_SCOPE; v <= V_MACRO; v++)
            run((enum variant)v, sizes[i], n);
    fprintf(stderr, "test_fib: OK\n");
    return 0;
}
