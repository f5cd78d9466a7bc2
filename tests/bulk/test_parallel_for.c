/*
 * test_parallel_for.c - arayon_parallel_for: a sum over many indexes against the closed form,
 * every index covered exactly once, grain 0 and explicit grains (and their leaf sizes), the
 * empty range, nested loops inside tasks, a 1-worker pool, failure, bad input.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "bulk.h"

typedef struct sum_ctx {
    atomic_ullong sum;
    atomic_ullong calls;
    atomic_llong max_len;
    size_t fail_at; /* a chunk containing this index fails; SIZE_MAX = never */
} sum_ctx;

static int sum_fn(void *c, size_t lo, size_t hi)
{
    sum_ctx *s = c;
    TASK_CHECK(lo < hi);
    unsigned long long acc = 0;
    for (size_t i = lo; i < hi; i++)
        acc += i;
    atomic_fetch_add(&s->sum, acc);
    atomic_fetch_add(&s->calls, 1);
    rc_atomic_max(&s->max_len, (long long)(hi - lo));
    return s->fail_at >= lo && s->fail_at < hi ? 5 : 0;
}

static void run_sum(arayon_pool_t *p, size_t begin, size_t end, size_t grain)
{
    sum_ctx s = {.fail_at = SIZE_MAX};
    CHECK_OK(arayon_parallel_for(p, begin, end, grain, sum_fn, &s));
    unsigned long long n = end - begin, loop = 0;
    for (size_t i = begin; i < end; i++)
        loop += i; /* wraps like the chunks' sums */
    CHECK(atomic_load(&s.sum) == loop);
    if (end < (UINT64_C(1) << 31)) { /* the closed form, exact without overflow */
        unsigned long long expect = n * (begin + end - 1) / 2;
        CHECK_EQ(atomic_load(&s.sum), expect);
    }
    if (grain)
        CHECK_LE(atomic_load(&s.max_len), grain);
    fprintf(stderr, "   [%zu, %zu) grain %zu: %llu calls, longest %llu\n", begin, end, grain,
            (unsigned long long)atomic_load(&s.calls), (unsigned long long)atomic_load(&s.max_len));
}

/* every index exactly once */
typedef struct cover_ctx {
    atomic_uchar *seen;
    size_t base;
} cover_ctx;

static int cover_fn(void *c, size_t lo, size_t hi)
{
    cover_ctx *cc = c;
    for (size_t i = lo; i < hi; i++)
        atomic_fetch_add(&cc->seen[i - cc->base], 1);
    return 0;
}

static void run_cover(arayon_pool_t *p, size_t base, size_t n, size_t grain)
{
    atomic_uchar *seen = calloc(n, sizeof *seen);
    CHECK(seen != NULL);
    cover_ctx cc = {seen, base};
    CHECK_OK(arayon_parallel_for(p, base, base + n, grain, cover_fn, &cc));
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(atomic_load(&seen[i]), 1);
    free(seen);
}

/* nested: each outer chunk runs an inner parallel_for */
typedef struct nest_ctx {
    arayon_pool_t *p;
    atomic_ullong sum;
    size_t inner_n;
} nest_ctx;

static int nest_inner(void *c, size_t lo, size_t hi)
{
    nest_ctx *nc = c;
    unsigned long long acc = 0;
    for (size_t i = lo; i < hi; i++)
        acc += i;
    atomic_fetch_add(&nc->sum, acc);
    return 0;
}

static int nest_outer(void *c, size_t lo, size_t hi)
{
    nest_ctx *nc = c;
    for (size_t i = lo; i < hi; i++) {
        int rc = arayon_parallel_for(nc->p, 0, nc->inner_n, 0, nest_inner, nc);
        TASK_CHECK(rc == ARAYON_OK);
    }
    return 0;
}

static void run_nested(arayon_pool_t *p, size_t outer, size_t inner)
{
    nest_ctx nc = {.p = p, .inner_n = inner};
    CHECK_OK(arayon_parallel_for(p, 0, outer, 1, nest_outer, &nc));
    unsigned long long per = (unsigned long long)inner * (inner - 1) / 2;
    CHECK_EQ(atomic_load(&nc.sum), per * outer);
}

typedef struct task_arg {
    arayon_pool_t *p;
    size_t n;
} task_arg;

static int pf_in_task(void *a)
{
    task_arg *ta = a;
    sum_ctx s = {.fail_at = SIZE_MAX};
    TASK_CHECK(arayon_parallel_for(ta->p, 0, ta->n, 0, sum_fn, &s) == ARAYON_OK);
    TASK_CHECK(atomic_load(&s.sum) == (unsigned long long)ta->n * (ta->n - 1) / 2);
    sum_ctx s2 = {.fail_at = SIZE_MAX};
    TASK_CHECK(arayon_parallel_for(ta->p, 0, ta->n, 7, sum_fn, &s2) == ARAYON_OK);
    TASK_CHECK(atomic_load(&s2.sum) == (unsigned long long)ta->n * (ta->n - 1) / 2);
    TASK_CHECK(atomic_load(&s2.max_len) <= 7);
    return 0;
}

static void run_in_task(arayon_pool_t *p, size_t n)
{
    task_arg ta = {p, n};
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(p, pf_in_task, &ta, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_NO_TASK_ERRORS();
}

static int never_fn(void *c, size_t lo, size_t hi)
{
    (void)c;
    (void)lo;
    (void)hi;
    CHECK(!"fn called");
    return 0;
}

static void check_quiescent(arayon_pool_t *p)
{
    arayon_metrics_t m = rc_metrics(p);
    rc_check_quiescent(&m);
}

int main(void)
{
    test_watchdog(280);
    arayon_pool_t *p = rc_pool(4, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);

    test_phase("sum over 10M indexes, grain 0");
    size_t big = BULK_SCALE(10000000);
    run_sum(p, 0, big, 0);
    test_phase("explicit grains");
    run_sum(p, 0, big, 4096);
    run_sum(p, 12345, 12345 + BULK_SCALE(100000), 1);
    run_sum(p, 3, 4, 0);
    run_sum(p, 0, 1000, 1000000); /* one chunk */
    run_sum(p, SIZE_MAX - 1000, SIZE_MAX, 10);
    check_quiescent(p);

    test_phase("every index once");
    run_cover(p, 0, BULK_SCALE(200000), 0);
    run_cover(p, 1000, 4097, 3);
    run_cover(p, 0, 1, 0);

    test_phase("empty range");
    CHECK_OK(arayon_parallel_for(p, 10, 10, 0, never_fn, NULL));
    CHECK_OK(arayon_parallel_for(p, 0, 0, 5, never_fn, NULL));

    test_phase("nested");
    run_nested(p, 64, BULK_SCALE(20000));
    test_phase("inside a task");
    run_in_task(p, BULK_SCALE(1000000));
    check_quiescent(p);

    test_phase("failure");
    {
        sum_ctx s = {.fail_at = 777};
        CHECK_RC(arayon_parallel_for(p, 0, BULK_SCALE(100000), 100, sum_fn, &s), ARAYON_EFAILED);
        sum_ctx s2 = {.fail_at = 0};
        CHECK_RC(arayon_parallel_for(p, 0, 1, 0, sum_fn, &s2), ARAYON_EFAILED);
        check_quiescent(p);
    }

    test_phase("bad input");
    CHECK_RC(arayon_parallel_for(NULL, 0, 10, 0, never_fn, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_parallel_for(p, 0, 10, 0, NULL, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_parallel_for(p, 10, 5, 0, never_fn, NULL), ARAYON_EINVAL);
    arayon_pool_destroy(&p);

    test_phase("1-worker pool: outside, inside a task, nested");
    p = rc_pool(1, ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);
    run_sum(p, 0, BULK_SCALE(1000000), 0);
    run_in_task(p, BULK_SCALE(100000));
    run_nested(p, 8, 1000);
    check_quiescent(p);
    arayon_pool_destroy(&p);

    test_phase("admission: REJECT with max_pending 2 (refused halves run in place)");
    p = rc_pool(2, 2, ARAYON_FULL_REJECT);
    run_sum(p, 0, BULK_SCALE(1000000), 100);
    run_cover(p, 0, 10000, 1);
    check_quiescent(p);
    arayon_pool_destroy(&p);

    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_bulk_parallel_for: OK\n");
    return 0;
}
