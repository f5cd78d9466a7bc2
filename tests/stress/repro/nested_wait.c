/* A suspendable task past its deadline waits (arayon_task_wait) for its child, which its
 * worker is running below it: the wait helps instead of suspending, and never returns.
 *
 * Fault 1. Exit 1 and "NOT FINISHED (deadlock)" while the fault is there.
 * Built by `make stress-repros` (tests/stress/CMakeLists.txt); docs/stress.md, "Faults found".
 */
#define _GNU_SOURCE
#include <arayon.h>
#include <stdio.h>
#include <time.h>
static arayon_pool_t *pool;
static int d_body(void *a) { (void)a; struct timespec ts = {0, 20000000}; nanosleep(&ts, NULL); return 0; }
static int c_body(void *a)
{
    (void)a;
    arayon_task_t *d;
    if (arayon_spawn_blocking(pool, d_body, NULL, &d)) return 1;
    arayon_task_wait(d); /* helps for 20 ms: the worker resumes F meanwhile, on top of C */
    arayon_task_release(d);
    return 0;
}
static int f_body(void *a)
{
    (void)a;
    arayon_task_t *c;
    if (arayon_spawn_handle(pool, c_body, NULL, &c)) return 1;
    int s = arayon_sleep(2000000); /* suspends; its own deadline (1 ms) wakes it */
    fprintf(stderr, "F: sleep -> %s; waiting for its child\n", arayon_errname(s));
    int w = arayon_task_wait(c);
    fprintf(stderr, "F: wait -> %s\n", arayon_errname(w));
    arayon_task_release(c);
    return 0;
}
int main(void)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    if (arayon_pool_create(&cfg, &pool)) return 2;
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.flags = ARAYON_TASK_SUSPENDABLE;
    o.timeout_ns = 1000000;
    arayon_task_t *f;
    if (arayon_spawn_ex(pool, f_body, NULL, &o, &f)) return 3;
    int rc = arayon_task_wait_timeout(f, 5000000000ull);
    printf("F: %s after 5 s\n", rc == ARAYON_ETIMEDOUT && arayon_task_poll(f) != ARAYON_OK ? "NOT FINISHED (deadlock)" : arayon_errname(rc));
    if (arayon_task_poll(f) != ARAYON_OK) return 1; /* (the pool cannot be shut down now) */
    arayon_task_release(f);
    arayon_pool_destroy(&pool);
    return 0;
}
