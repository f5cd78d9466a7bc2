/* A suspendable task whose first suspension is arayon_await(t) links itself into the pool's
 * await hash and only then sets f->reg_owner (reactor.c, registration). A thread finishing t
 * in between (ary_reactor_task_done) unlinks the fiber and reads f->reg_owner->rx: NULL, a
 * SIGSEGV. The window is a few instructions; a busy machine (preemption) widens it.
 *
 * Fault 8. Dies with SIGSEGV (usually within seconds); argument: seconds to try (10).
 * Built by `make stress-repros` (tests/stress/CMakeLists.txt); docs/stress.md, "Faults found".
 */
#define _GNU_SOURCE
#include <arayon.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static int gate_body(void *a) { (void)a; return 0; }
static int awaiter(void *a)
{
    arayon_task_t *t = a;
    arayon_await(t, ARAYON_NO_DEADLINE); /* the first suspension of this task */
    return 0;
}
int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10;
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 2;
    arayon_pool_t *pool;
    if (arayon_pool_create(&cfg, &pool)) return 2;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long rounds = 0;
    do {
        arayon_task_t *g, *w[8];
        /* the awaited task runs on a blocking thread, so it finishes while the awaiters start */
        if (arayon_spawn_blocking(pool, gate_body, NULL, &g)) return 3;
        for (int i = 0; i < 8; i++)
            if (arayon_spawn_async(pool, awaiter, g, &w[i])) return 4;
        for (int i = 0; i < 8; i++) {
            arayon_task_wait(w[i]);
            arayon_task_release(w[i]);
        }
        arayon_task_release(g);
        rounds++;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
    printf("%lu rounds, no crash\n", rounds);
    arayon_pool_destroy(&pool);
    return 0;
}
