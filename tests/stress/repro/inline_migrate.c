/* A migratable suspendable task run inline (full pool, ARAYON_FULL_RUN_INLINE) by a task on
 * one worker, finishing on the other worker: the metrics keep counting it as pending.
 *
 * Fault 2. Exit 1 when a round finished on another worker left the metrics wrong.
 * Built by `make stress-repros` (tests/stress/CMakeLists.txt); docs/stress.md, "Faults found".
 */
#define _GNU_SOURCE
#include <arayon.h>
#include <stdio.h>
#include <time.h>
static arayon_pool_t *pool;
static int where_started = -1, where_ended = -1;
static int m_body(void *a)
{
    (void)a;
    where_started = arayon_worker_index();
    arayon_sleep(1000000); /* suspends; resumes wherever a worker is free */
    where_ended = arayon_worker_index();
    return 0;
}
static int p_body(void *a)
{
    (void)a;
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.flags = ARAYON_TASK_SUSPENDABLE | ARAYON_TASK_MIGRATABLE;
    arayon_spawn_ex(pool, m_body, NULL, &o, NULL); /* the pool is full: runs here, inline */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do /* keep this worker busy while M's sleep ends */
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 20000000L);
    return 0;
}
int main(void)
{
    int bad = 0, crossed = 0;
    for (int round = 0; round < 50; round++) {
        arayon_config_t cfg = arayon_config_default();
        cfg.num_threads = 2;
        cfg.max_pending = 1;
        cfg.full_policy = ARAYON_FULL_RUN_INLINE;
        if (arayon_pool_create(&cfg, &pool)) return 2;
        where_started = where_ended = -1;
        arayon_spawn(pool, p_body, NULL);
        arayon_pool_shutdown(pool);
        arayon_metrics_t m;
        arayon_pool_metrics(pool, &m);
        crossed += where_started != where_ended;
        if (m.pending || m.spawned != 2) {
            bad++;
            if (bad == 1)
                printf("round %d: M started on worker %d, finished on %d; metrics after shutdown: "
                       "spawned %llu, completed %llu, pending %llu, run_inline %llu\n", round,
                       where_started, where_ended, (unsigned long long)m.spawned,
                       (unsigned long long)m.completed, (unsigned long long)m.pending,
                       (unsigned long long)m.run_inline);
        }
        arayon_pool_destroy(&pool);
    }
    printf("%d of 50 rounds finished M on another worker; %d rounds with wrong metrics\n", crossed, bad);
    return bad != 0;
}
