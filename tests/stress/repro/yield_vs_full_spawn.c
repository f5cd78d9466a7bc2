/* One worker, max_pending 2, ARAYON_FULL_BLOCK. Suspendable task P spawns suspendable task C
 * and polls it with arayon_yield between polls (the documented scheduling point). C spawns a
 * task: the pool is full, so C's worker runs queued jobs until a place frees up, and runs the
 * task itself only "when nothing is queued anywhere". P's resume entry is always queued (P
 * yields again each time it runs), no place ever frees up: livelock.
 *
 * Fault 4. Exit 1 and "P not finished after 3 s" while the fault is there.
 * Built by `make stress-repros` (tests/stress/CMakeLists.txt); docs/stress.md, "Faults found".
 */
#define _GNU_SOURCE
#include <arayon.h>
#include <stdio.h>
static arayon_pool_t *pool;
static int nop(void *a) { (void)a; return 0; }
static int c_body(void *a) { (void)a; return arayon_spawn(pool, nop, NULL); }
static int p_body(void *a)
{
    (void)a;
    arayon_task_t *hc;
    if (arayon_spawn_async(pool, c_body, NULL, &hc)) return 1;
    while (arayon_task_poll(hc) != ARAYON_OK)
        arayon_yield();
    arayon_task_release(hc);
    return 0;
}
int main(void)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    cfg.max_pending = 2;
    cfg.full_policy = ARAYON_FULL_BLOCK;
    if (arayon_pool_create(&cfg, &pool)) return 2;
    arayon_task_t *hp;
    if (arayon_spawn_async(pool, p_body, NULL, &hp)) return 3;
    int rc = arayon_task_wait_timeout(hp, 3000000000ull);
    if (rc == ARAYON_ETIMEDOUT && arayon_task_poll(hp) != ARAYON_OK) {
        arayon_metrics_t m;
        arayon_pool_metrics(pool, &m);
        printf("P not finished after 3 s: pending %llu, suspended %llu, resumed %llu\n",
               (unsigned long long)m.pending, (unsigned long long)m.suspended,
               (unsigned long long)m.resumed);
        return 1;
    }
    printf("P finished: %s\n", arayon_errname(rc));
    arayon_task_release(hp);
    arayon_pool_destroy(&pool);
    return 0;
}
