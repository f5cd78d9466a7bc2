/*
 * test_enomem.c - allocation failure: every failure surfaces as ARAYON_ENOMEM, nothing
 * crashes, nothing is half-created, and the pool stays usable afterwards.
 *
 * The program interposes malloc and aligned_alloc (an executable's definitions win over
 * libc's for libarayon.so too) and fails the N-th call on demand.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void *__libc_malloc(size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_long fail_countdown = -1; /* >0: calls until failure; 0: fail now; -1: off */
static atomic_long failures;

static int should_fail(void)
{
    long c = atomic_load(&fail_countdown);
    while (c >= 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1))
            break;
    }
    if (c == 0) {
        atomic_fetch_add(&failures, 1);
        return 1;
    }
    return 0;
}

void *malloc(size_t n) { return should_fail() ? NULL : __libc_malloc(n); }
void *aligned_alloc(size_t a, size_t n) { return should_fail() ? NULL : __libc_memalign(a, n); }

#define CHECK(c)                                                                             \
    do {                                                                                     \
        if (!(c)) {                                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);            \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

static atomic_int gate, ran;
static int blocked(void *arg)
{
    (void)arg;
    while (!atomic_load(&gate))
        sched_yield();
    atomic_fetch_add(&ran, 1);
    return 0;
}
static int quick(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
    return 0;
}

int main(void)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 2;

    /* 1. Pool creation failing at each of its first allocations. */
    int enomem = 0, ok = 0;
    for (long k = 0; k < 12; k++) {
        arayon_pool_t *p = (arayon_pool_t *)&cfg; /* must be overwritten */
        atomic_store(&fail_countdown, k);
        int rc = arayon_pool_create(&cfg, &p);
        atomic_store(&fail_countdown, -1);
        if (rc == ARAYON_ENOMEM) {
            CHECK(p == NULL);
            enomem++;
        } else {
            CHECK(rc == ARAYON_OK && p != NULL);
            ok++;
            arayon_pool_destroy(&p);
        }
    }
    CHECK(enomem >= 2); /* pool struct and worker array at least */
    printf("pool_create: %d of 12 failure points returned ARAYON_ENOMEM, %d succeeded\n", enomem,
           ok);

    /* 2. Spawning from outside until the allocator fails. */
    arayon_pool_t *pool;
    CHECK(arayon_pool_create(&cfg, &pool) == ARAYON_OK);
    arayon_scope_t *s;
    CHECK(arayon_scope_begin(pool, &s) == ARAYON_OK);
    atomic_store(&fail_countdown, 0); /* every allocation fails from now on */
    int spawned = 0, rc = ARAYON_OK;
    for (int i = 0; i < 100000 && rc == ARAYON_OK; i++) {
        rc = arayon_scope_spawn(s, blocked, NULL, NULL);
        if (rc == ARAYON_OK)
            spawned++;
    }
    atomic_store(&fail_countdown, -1);
    CHECK(rc == ARAYON_ENOMEM);
    CHECK(spawned > 0); /* the first slab's cells were already there */
    arayon_task_t *h = NULL;
    atomic_store(&fail_countdown, 0);
    CHECK(arayon_spawn_handle(pool, quick, NULL, &h) == ARAYON_ENOMEM);
    CHECK(h == NULL);
    atomic_store(&fail_countdown, -1);
    atomic_store(&gate, 1);
    CHECK(arayon_scope_end(&s) == ARAYON_OK);
    CHECK(atomic_load(&ran) == spawned);

    /* 3. The pool is still fully usable. */
    CHECK(arayon_spawn_handle(pool, quick, NULL, &h) == ARAYON_OK);
    CHECK(arayon_task_wait(h) == ARAYON_OK);
    arayon_task_release(h);
    CHECK(arayon_pool_shutdown(pool) == ARAYON_OK);
    arayon_stats_t st;
    CHECK(arayon_pool_stats(pool, &st) == ARAYON_OK);
    CHECK(st.spawned == (uint64_t)spawned + 1);
    CHECK(st.completed == st.spawned && st.pending == 0);
    arayon_pool_destroy(&pool);
    printf("spawn: %d tasks accepted before ARAYON_ENOMEM; all ran; counters add up; %ld "
           "injected failures\n", spawned, atomic_load(&failures));
    return 0;
}
