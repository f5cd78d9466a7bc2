/* arayon_pool_shutdown_timeout: a blocking task spawns a suspendable task after the deadline,
 * when the workers have exited (blocking tasks may spawn during a shutdown). The caller's
 * final drain (drain_queues, issue 16 item 7's fix) should finish it as cancelled, but keeps
 * suspendable tasks that have not started: `!t->fiber` is never true for them, since fiber
 * shares its storage with fn. The task stays queued for a worker that never comes.
 *
 * Fault 5. Exit 1 and "NOT FINISHED 2 s later" while the fault is there.
 * Built by `make stress-repros` (tests/stress/CMakeLists.txt); docs/stress.md, "Faults found".
 */
#define _GNU_SOURCE
#include <arayon.h>
#include <stdio.h>
#include <time.h>
static arayon_pool_t *pool;
static arayon_task_t *late;
static int late_rc = 99;
static int nop(void *a) { (void)a; return 0; }
static int b_body(void *a)
{
    (void)a;
    while (!arayon_cancelled()) { /* until the shutdown deadline has passed */
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    struct timespec ts = {0, 3000000}; /* the idle workers exit meanwhile */
    nanosleep(&ts, NULL);
    late_rc = arayon_spawn_async(pool, nop, NULL, &late);
    return 0;
}
int main(void)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    if (arayon_pool_create(&cfg, &pool)) return 2;
    arayon_spawn_blocking(pool, b_body, NULL, NULL);
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    int rc = arayon_pool_shutdown_timeout(pool, 1000000);
    printf("shutdown_timeout: %s; the blocking task's late spawn: %s\n", arayon_errname(rc),
           arayon_errname(late_rc));
    if (late_rc != ARAYON_OK)
        return 0;
    int w = arayon_task_wait_timeout(late, 2000000000ull);
    arayon_metrics_t m;
    arayon_pool_metrics(pool, &m);
    bool stuck = w == ARAYON_ETIMEDOUT && arayon_task_poll(late) != ARAYON_OK;
    printf("the late suspendable task: %s; metrics: pending %llu, queued %llu\n",
           stuck ? "NOT FINISHED 2 s later" : arayon_errname(w), (unsigned long long)m.pending,
           (unsigned long long)m.queued);
    if (stuck)
        return 1;
    arayon_task_release(late);
    arayon_pool_destroy(&pool);
    return 0;
}
