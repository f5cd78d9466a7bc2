/*
 * test_join.c - arayon_join_handles: every outcome (OK, EFAILED, ECANCELED, ETIMEDOUT), the
 * handles stay held, completion order (a deterministic case on a 1-worker pool, and tasks
 * released in a forced order through gates), a handle of the calling task, bad input.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "bulk.h"

static int ret_arg(void *a)
{
    return (int)(intptr_t)a;
}

static int sleepy(void *a)
{
    (void)a;
    test_sleep_us(2000);
    return 0;
}

static void check_quiescent(arayon_pool_t *p)
{
    arayon_metrics_t m = rc_metrics(p);
    rc_check_quiescent(&m);
}

static bool is_permutation(const size_t *order, size_t n)
{
    bool seen[64] = {0};
    if (n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (order[i] >= n || seen[order[i]])
            return false;
        seen[order[i]] = true;
    }
    return true;
}

/* ---- every outcome ------------------------------------------------------------------- */
static void run_outcomes(arayon_pool_t *p)
{
    enum { N = 8 };
    arayon_task_t *h[N] = {0};
    int expect[N];
    arayon_scope_t *cs = NULL;
    CHECK_OK(arayon_scope_begin(p, &cs));
    CHECK_OK(arayon_scope_cancel(cs));
    for (int i = 0; i < N; i++) {
        switch (i % 4) {
        case 0:
            CHECK_OK(arayon_spawn_handle(p, ret_arg, (void *)(intptr_t)0, &h[i]));
            expect[i] = ARAYON_OK;
            break;
        case 1:
            CHECK_OK(arayon_spawn_handle(p, ret_arg, (void *)(intptr_t)3, &h[i]));
            expect[i] = ARAYON_EFAILED;
            break;
        case 2:
            CHECK_OK(arayon_scope_spawn(cs, ret_arg, (void *)(intptr_t)0, &h[i]));
            expect[i] = ARAYON_ECANCELED;
            break;
        default: {
            arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
            o.timeout_ns = 1; /* passes before it starts, or while it sleeps */
            CHECK_OK(arayon_spawn_ex(p, sleepy, NULL, &o, &h[i]));
            expect[i] = ARAYON_ETIMEDOUT;
        }
        }
    }
    int st[N];
    size_t order[N];
    int rc = arayon_join_handles(h, N, st, order);
    CHECK(rc == ARAYON_EFAILED || rc == ARAYON_ECANCELED || rc == ARAYON_ETIMEDOUT);
    CHECK(is_permutation(order, N));
    /* the first failure in completion order */
    for (int k = 0; k < N; k++)
        if (st[order[k]] != ARAYON_OK) {
            CHECK_RC(rc, st[order[k]]);
            break;
        }
    for (int i = 0; i < N; i++) {
        CHECK_RC(st[i], expect[i]);
        CHECK_OK(arayon_task_poll(h[i])); /* still held: valid */
    }
    /* again, without completion order: all finished already */
    int st2[N];
    CHECK_RC(arayon_join_handles(h, N, st2, NULL), ARAYON_EFAILED); /* index order: h[1] */
    for (int i = 0; i < N; i++)
        CHECK_RC(st2[i], expect[i]);
    for (int i = 0; i < N; i++)
        arayon_task_release(h[i]);
    CHECK_RC(arayon_scope_end(&cs), ARAYON_ECANCELED);
    check_quiescent(p);
}

/* ---- deterministic order: 1 worker, the last task can only run when the join helps ---- */
enum { DN = 6 };
typedef struct det_arg {
    arayon_pool_t *p;
    arayon_task_t *h[DN];
} det_arg;

static int det_task(void *a)
{
    det_arg *d = a;
    /* h[1..] finished before this task started; h[0] is queued behind it on the only worker */
    TASK_CHECK(arayon_spawn_handle(d->p, ret_arg, (void *)(intptr_t)0, &d->h[0]) == ARAYON_OK);
    TASK_CHECK(arayon_task_poll(d->h[0]) == ARAYON_ETIMEDOUT);
    int st[DN];
    size_t order[DN];
    int rc = arayon_join_handles(d->h, DN, st, order);
    TASK_CHECK(rc == ARAYON_EFAILED); /* h[2] fails */
    TASK_CHECK(is_permutation(order, DN));
    TASK_CHECK(order[DN - 1] == 0); /* observed last though it has the lowest index */
    for (int i = 0; i < DN; i++)
        TASK_CHECK(st[i] == (i == 2 ? ARAYON_EFAILED : ARAYON_OK));
    return 0;
}

static void run_deterministic_order(void)
{
    arayon_pool_t *p = rc_pool(1, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    det_arg d = {.p = p};
    for (int i = 1; i < DN; i++) {
        CHECK_OK(arayon_spawn_handle(p, ret_arg, (void *)(intptr_t)(i == 2), &d.h[i]));
        (void)arayon_task_wait(d.h[i]);
    }
    arayon_task_t *t = NULL;
    CHECK_OK(arayon_spawn_handle(p, det_task, &d, &t));
    CHECK_OK(arayon_task_wait(t));
    arayon_task_release(t);
    for (int i = 0; i < DN; i++)
        arayon_task_release(d.h[i]);
    CHECK_NO_TASK_ERRORS();
    check_quiescent(p);
    arayon_pool_destroy(&p);
}

/* ---- forced order through gates, joined from an outside thread ----------------------- */
enum { GN = 6 };
static test_gate gates[GN];

static int gated(void *a)
{
    intptr_t i = (intptr_t)a;
    gate_wait(&gates[i]);
    return i % 3 == 1 ? 1 : 0;
}

typedef struct opener_arg {
    arayon_task_t **h;
    const size_t *perm;
} opener_arg;

static void *opener(void *a)
{
    opener_arg *o = a;
    for (int k = 0; k < GN; k++) {
        size_t i = o->perm[k];
        gate_open(&gates[i]);
        uint64_t t0 = test_now_ns();
        while (arayon_task_poll(o->h[i]) != ARAYON_OK) {
            test_sleep_us(50);
            CHECK(test_now_ns() - t0 < TEST_HANG_NS);
        }
        test_sleep_us(2000); /* gives the join a chance to tell this one from the next */
    }
    return NULL;
}

static void run_gated_order(void)
{
    arayon_pool_t *p = rc_pool(GN + 1, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    static const size_t perm[GN] = {5, 2, 0, 4, 1, 3};
    arayon_task_t *h[GN];
    for (int i = 0; i < GN; i++) {
        gate_init(&gates[i]);
        CHECK_OK(arayon_spawn_handle(p, gated, (void *)(intptr_t)i, &h[i]));
    }
    pthread_t th;
    opener_arg oa = {h, perm};
    CHECK_EQ(pthread_create(&th, NULL, opener, &oa), 0);
    int st[GN];
    size_t order[GN];
    int rc = arayon_join_handles(h, GN, st, order);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_RC(rc, ARAYON_EFAILED);
    CHECK(is_permutation(order, GN));
    for (int i = 0; i < GN; i++)
        CHECK_RC(st[i], i % 3 == 1 ? ARAYON_EFAILED : ARAYON_OK);
    /* Completions that fall between two polling rounds are listed in index order, so the
     * exact order depends on timing: reported, not asserted. */
    int same = 1;
    for (int k = 0; k < GN; k++)
        same &= order[k] == perm[k];
    fprintf(stderr, "   forced order %s: %zu %zu %zu %zu %zu %zu\n", same ? "observed" : "merged",
            order[0], order[1], order[2], order[3], order[4], order[5]);
    for (int i = 0; i < GN; i++) {
        arayon_task_release(h[i]);
        gate_destroy(&gates[i]);
    }
    check_quiescent(p);
    arayon_pool_destroy(&p);
}

/* ---- a handle of the calling task ---------------------------------------------------- */
typedef struct self_arg {
    test_gate go;
    arayon_task_t *h[2]; /* [0] = the task itself, set before go opens */
} self_arg;

static int self_task(void *a)
{
    self_arg *s = a;
    gate_wait(&s->go);
    int st[2];
    size_t order[2];
    int rc = arayon_join_handles(s->h, 2, st, order);
    TASK_CHECK(rc == ARAYON_EBUSY);
    TASK_CHECK(st[0] == ARAYON_EBUSY);
    TASK_CHECK(st[1] == ARAYON_OK);
    TASK_CHECK(is_permutation(order, 2));
    return 0;
}

static void run_self(arayon_pool_t *p)
{
    self_arg s;
    gate_init(&s.go);
    CHECK_OK(arayon_spawn_handle(p, ret_arg, (void *)(intptr_t)0, &s.h[1]));
    CHECK_OK(arayon_spawn_handle(p, self_task, &s, &s.h[0]));
    gate_open(&s.go);
    CHECK_OK(arayon_task_wait(s.h[0]));
    arayon_task_release(s.h[0]);
    arayon_task_release(s.h[1]);
    gate_destroy(&s.go);
    CHECK_NO_TASK_ERRORS();
    check_quiescent(p);
}

/* ---- many handles, from inside a task ------------------------------------------------- */
typedef struct many_arg {
    arayon_pool_t *p;
    size_t n;
} many_arg;

static int many_task(void *a)
{
    many_arg *m = a;
    arayon_task_t **h = calloc(m->n, sizeof *h);
    int *st = calloc(m->n, sizeof *st);
    size_t *order = calloc(m->n, sizeof *order);
    char *seen = calloc(m->n, 1);
    TASK_CHECK(h && st && order && seen);
    for (size_t i = 0; i < m->n; i++)
        TASK_CHECK(arayon_spawn_handle(m->p, ret_arg, (void *)(intptr_t)(i % 5 == 0), &h[i]) ==
                   ARAYON_OK);
    TASK_CHECK(arayon_join_handles(h, m->n, st, order) == ARAYON_EFAILED);
    for (size_t i = 0; i < m->n; i++) {
        TASK_CHECK(st[i] == (i % 5 == 0 ? ARAYON_EFAILED : ARAYON_OK));
        TASK_CHECK(order[i] < m->n && !seen[order[i]]);
        if (order[i] < m->n)
            seen[order[i]] = 1;
        arayon_task_release(h[i]);
    }
    free(h);
    free(st);
    free(order);
    free(seen);
    return 0;
}

static void run_many(arayon_pool_t *p, size_t n)
{
    many_arg m = {p, n};
    arayon_task_t *t = NULL;
    CHECK_OK(arayon_spawn_handle(p, many_task, &m, &t));
    CHECK_OK(arayon_task_wait(t));
    arayon_task_release(t);
    CHECK_NO_TASK_ERRORS();
    check_quiescent(p);
}

static void run_bad_input(arayon_pool_t *p)
{
    arayon_task_t *h[2] = {NULL, NULL};
    int st[2];
    size_t order[2];
    CHECK_OK(arayon_spawn_handle(p, ret_arg, NULL, &h[0]));
    CHECK_RC(arayon_join_handles(NULL, 2, st, order), ARAYON_EINVAL);
    CHECK_RC(arayon_join_handles(h, 1, NULL, order), ARAYON_EINVAL);
    CHECK_RC(arayon_join_handles(h, 2, st, order), ARAYON_EINVAL); /* h[1] is NULL */
    CHECK_OK(arayon_join_handles(NULL, 0, NULL, NULL));
    CHECK_OK(arayon_join_handles(h, 1, st, NULL));
    CHECK_RC(st[0], ARAYON_OK);
    arayon_task_release(h[0]);
}

int main(void)
{
    test_watchdog(280);
    arayon_pool_t *p = rc_pool(4, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    test_phase("every outcome");
    run_outcomes(p);
    test_phase("a handle of the calling task");
    run_self(p);
    test_phase("many handles from inside a task");
    run_many(p, BULK_SCALE(5000));
    test_phase("bad input");
    run_bad_input(p);
    arayon_pool_destroy(&p);

    test_phase("completion order: 1 worker, joined from inside a task");
    run_deterministic_order();
    test_phase("completion order: forced through gates");
    run_gated_order();

    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_bulk_join: OK\n");
    return 0;
}
