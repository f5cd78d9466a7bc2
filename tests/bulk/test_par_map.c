/*
 * test_par_map.c - arayon_par_map: results element by element, failures in statuses and the
 * metrics, different element sizes, from inside a task, and bad input.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "bulk.h"

typedef struct pair {
    int64_t a, b;
} pair;

static int square_fn(const void *in, void *out, void *ctx)
{
    (void)ctx;
    int64_t x = *(const int32_t *)in;
    *(int64_t *)out = x * x;
    return 0;
}

/* fails on multiples of *(int *)ctx, and writes nothing then */
static int pair_fn(const void *in, void *out, void *ctx)
{
    int every = *(int *)ctx;
    const pair *p = in;
    if (p->a % every == 0)
        return -1;
    *(int64_t *)out = p->a + p->b;
    return 0;
}

static void run_squares(arayon_pool_t *p, size_t n)
{
    int32_t *in = malloc(n * sizeof *in);
    int64_t *out = malloc(n * sizeof *out);
    int *st = malloc(n * sizeof *st);
    CHECK(in && out && st);
    for (size_t i = 0; i < n; i++) {
        in[i] = (int32_t)i - (int32_t)(n / 2);
        out[i] = -1;
    }
    arayon_metrics_t m0 = rc_metrics(p);
    CHECK_OK(arayon_par_map(p, in, n, sizeof *in, out, sizeof *out, square_fn, NULL, st));
    arayon_metrics_t m1 = rc_metrics(p);
    bulk_delta d = bulk_diff(&m0, &m1);
    for (size_t i = 0; i < n; i++) {
        int64_t x = in[i];
        CHECK_EQ(out[i], x * x);
        CHECK_RC(st[i], ARAYON_OK);
    }
    CHECK_EQ(d.spawned, n);
    CHECK_EQ(d.completed, n);
    /* NULL statuses */
    memset(out, 0, n * sizeof *out);
    CHECK_OK(arayon_par_map(p, in, n, sizeof *in, out, sizeof *out, square_fn, NULL, NULL));
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(out[i], (int64_t)in[i] * in[i]);
    free(in);
    free(out);
    free(st);
}

static void run_failures(arayon_pool_t *p, size_t n, int every)
{
    pair *in = malloc(n * sizeof *in);
    int64_t *out = malloc(n * sizeof *out);
    int *st = malloc(n * sizeof *st);
    CHECK(in && out && st);
    for (size_t i = 0; i < n; i++) {
        in[i].a = (int64_t)i + 1;
        in[i].b = 1000 * (int64_t)i;
        out[i] = -7;
    }
    arayon_metrics_t m0 = rc_metrics(p);
    int rc = arayon_par_map(p, in, n, sizeof *in, out, sizeof *out, pair_fn, &every, st);
    arayon_metrics_t m1 = rc_metrics(p);
    bulk_delta d = bulk_diff(&m0, &m1);
    size_t fails = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i].a % every == 0) {
            fails++;
            CHECK_RC(st[i], ARAYON_EFAILED);
            CHECK_EQ(out[i], -7);
        } else {
            CHECK_RC(st[i], ARAYON_OK);
            CHECK_EQ(out[i], in[i].a + in[i].b);
        }
    }
    CHECK_RC(rc, fails ? ARAYON_EFAILED : ARAYON_OK);
    CHECK_EQ(d.spawned, n);
    CHECK_EQ(d.failed, fails);
    CHECK_EQ(d.completed, n - fails);
    free(in);
    free(out);
    free(st);
}

typedef struct inner_arg {
    arayon_pool_t *p;
    size_t n;
} inner_arg;

static int inner_task(void *a)
{
    inner_arg *ia = a;
    int32_t *in = malloc(ia->n * sizeof *in);
    int64_t *out = malloc(ia->n * sizeof *out);
    TASK_CHECK(in && out);
    for (size_t i = 0; i < ia->n; i++)
        in[i] = (int32_t)i;
    int rc = arayon_par_map(ia->p, in, ia->n, sizeof *in, out, sizeof *out, square_fn, NULL, NULL);
    TASK_CHECK(rc == ARAYON_OK);
    for (size_t i = 0; i < ia->n; i++)
        TASK_CHECK(out[i] == (int64_t)i * (int64_t)i);
    free(in);
    free(out);
    return 0;
}

static void run_inside(arayon_pool_t *p, size_t n)
{
    inner_arg ia = {p, n};
    arayon_metrics_t m0 = rc_metrics(p);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(p, inner_task, &ia, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    arayon_metrics_t m1 = rc_metrics(p);
    bulk_delta d = bulk_diff(&m0, &m1);
    CHECK_EQ(d.spawned, n + 1);
    CHECK_EQ(d.completed, n + 1);
    CHECK_NO_TASK_ERRORS();
}

static int never_fn(const void *in, void *out, void *ctx)
{
    (void)in;
    (void)out;
    (void)ctx;
    CHECK(!"fn called on bad input");
    return 0;
}

static void run_bad_input(arayon_pool_t *p)
{
    int in[4] = {1, 2, 3, 4}, out[4], st[4];
    arayon_metrics_t m0 = rc_metrics(p);
    CHECK_RC(arayon_par_map(NULL, in, 4, sizeof(int), out, sizeof(int), never_fn, NULL, st),
             ARAYON_EINVAL);
    CHECK_RC(arayon_par_map(p, in, 4, sizeof(int), out, sizeof(int), NULL, NULL, st),
             ARAYON_EINVAL);
    CHECK_RC(arayon_par_map(p, NULL, 4, sizeof(int), out, sizeof(int), never_fn, NULL, st),
             ARAYON_EINVAL);
    CHECK_RC(arayon_par_map(p, in, 4, sizeof(int), NULL, sizeof(int), never_fn, NULL, st),
             ARAYON_EINVAL);
    CHECK_RC(arayon_par_map(p, in, 4, 0, out, sizeof(int), never_fn, NULL, st), ARAYON_EINVAL);
    CHECK_RC(arayon_par_map(p, in, 4, sizeof(int), out, 0, never_fn, NULL, st), ARAYON_EINVAL);
    CHECK_RC(arayon_par_map(p, in, SIZE_MAX, 4, out, 4, never_fn, NULL, st), ARAYON_EINVAL);
    CHECK_OK(arayon_par_map(p, NULL, 0, 1, NULL, 1, never_fn, NULL, NULL));
    arayon_metrics_t m1 = rc_metrics(p);
    CHECK_EQ(m1.spawned, m0.spawned);
}

int main(void)
{
    test_watchdog(280);
    arayon_pool_t *p = rc_pool(4, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    test_phase("squares, element-wise");
    run_squares(p, BULK_SCALE(20000));
    run_squares(p, 1);
    test_phase("failures: statuses, outputs untouched, metrics");
    run_failures(p, 1000, 10);
    run_failures(p, BULK_SCALE(5000), 3);
    test_phase("inside a task");
    run_inside(p, BULK_SCALE(4000));
    test_phase("bad input");
    run_bad_input(p);
    arayon_pool_destroy(&p);

    test_phase("1-worker pool, inside a task, max_pending 4");
    p = rc_pool(1, 4, ARAYON_FULL_BLOCK);
    run_inside(p, 1000);
    run_squares(p, 1000);
    arayon_pool_destroy(&p);

    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_bulk_par_map: OK\n");
    return 0;
}
