/* A task's arayon_spawn_after (or arayon_spawn_blocking) refused with ARAYON_ESHUTDOWN is not
 * counted in the metrics' rejected (an outside thread's is).
 *
 * Fault 3. Exit 1 while the refusal from a task is not counted.
 * Built by `make stress-repros` (tests/stress/CMakeLists.txt); docs/stress.md, "Faults found".
 */
#define _GNU_SOURCE
#include <arayon.h>
#include <stdio.h>
#include <time.h>
static arayon_pool_t *pool;
static int refused_after;
static int nop(void *a) { (void)a; return 0; }
static int t_body(void *a)
{
    (void)a;
    for (;;) { /* until the shutdown has begun */
        int rc = arayon_spawn_after(pool, 10000000000ull, nop, NULL, NULL);
        if (rc == ARAYON_ESHUTDOWN) { refused_after++; break; }
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    return 0;
}
int main(void)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    if (arayon_pool_create(&cfg, &pool)) return 2;
    arayon_spawn(pool, t_body, NULL);
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
    arayon_pool_shutdown(pool);
    /* and one refused from outside, for comparison */
    int ext = arayon_spawn_after(pool, 1000, nop, NULL, NULL) == ARAYON_ESHUTDOWN;
    arayon_metrics_t m;
    arayon_pool_metrics(pool, &m);
    printf("refused: %d from a task, %d from outside; metrics rejected %llu (expected %d)\n",
           refused_after, ext, (unsigned long long)m.rejected, refused_after + ext);
    arayon_pool_destroy(&pool);
    return m.rejected != (unsigned long long)(refused_after + ext);
}
