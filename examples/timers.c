/*
 * timers.c - delayed and periodic tasks: three reminders spawned out of order run in
 * deadline order, a heartbeat every 5 ms stops itself after 5 beats, a watchdog timer is
 * cancelled because the work it guards finished in time, and a far-future timer is cancelled
 * by the pool's shutdown instead of being waited for.
 *
 *   ./arayon-timers [threads]
 */
#define _POSIX_C_SOURCE 200809L
#include <arayon.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MS 1000000ull

static atomic_int order; /* which reminder ran n-th */

static int remind(void *arg)
{
    const char *what = arg;
    printf("  reminder %d: %s\n", atomic_fetch_add(&order, 1) + 1, what);
    return 0;
}

static atomic_int beats;
static int heartbeat(void *arg)
{
    (void)arg;
    int n = atomic_fetch_add(&beats, 1) + 1;
    printf("  beat %d\n", n);
    return n == 5; /* non-zero: stop */
}

static atomic_int watchdog_fired;
static int watchdog(void *arg)
{
    (void)arg;
    atomic_store(&watchdog_fired, 1);
    return 0;
}

static int never(void *arg)
{
    (void)arg;
    printf("  (this never prints)\n");
    return 0;
}

int main(int argc, char **argv)
{
    arayon_config_t cfg = arayon_config_default();
    if (argc > 1)
        cfg.num_threads = (unsigned)atoi(argv[1]);
    arayon_pool_t *pool = NULL;
    int rc = arayon_pool_create(&cfg, &pool);
    if (rc != ARAYON_OK) {
        fprintf(stderr, "pool: %s\n", arayon_strerror(rc));
        return 1;
    }
    int status = 0;

    /* 1. Reminders, spawned out of order. */
    printf("reminders:\n");
    arayon_task_t *r[3];
    arayon_spawn_after(pool, 30 * MS, remind, "third (30 ms)", &r[2]);
    arayon_spawn_after(pool, 10 * MS, remind, "first (10 ms)", &r[0]);
    arayon_spawn_after(pool, 20 * MS, remind, "second (20 ms)", &r[1]);
    for (int i = 0; i < 3; i++) {
        status |= arayon_task_wait(r[i]) != ARAYON_OK;
        arayon_task_release(r[i]);
    }

    /* 2. A heartbeat that stops itself. */
    printf("heartbeat:\n");
    arayon_task_t *hb = NULL;
    arayon_spawn_every(pool, 5 * MS, heartbeat, NULL, &hb);
    rc = arayon_task_wait(hb); /* ARAYON_OK: it stopped by returning non-zero */
    int last = 0;
    arayon_task_result(hb, &last);
    arayon_task_release(hb);
    printf("  stopped after %d beats (%s, returned %d)\n", atomic_load(&beats),
           arayon_errname(rc), last);
    status |= rc != ARAYON_OK || atomic_load(&beats) != 5;

    /* 3. A watchdog for work that finishes in time: cancelled, it never fires. */
    arayon_task_t *wd = NULL;
    arayon_spawn_after(pool, 1000 * MS, watchdog, NULL, &wd);
    /* ... the guarded work would run here ... */
    arayon_task_cancel(wd);
    rc = arayon_task_wait(wd);
    arayon_task_release(wd);
    printf("watchdog: %s, fired: %d\n", arayon_errname(rc), atomic_load(&watchdog_fired));
    status |= rc != ARAYON_ECANCELED || atomic_load(&watchdog_fired);

    /* 4. A timer an hour away: the shutdown cancels it instead of waiting. */
    arayon_task_t *far = NULL;
    arayon_spawn_after(pool, 3600ull * 1000 * MS, never, NULL, &far);
    arayon_metrics_t m;
    arayon_pool_metrics(pool, &m);
    printf("before shutdown: %llu timer(s) pending, %llu fired so far\n",
           (unsigned long long)m.timers_pending, (unsigned long long)m.timers_fired);
    arayon_pool_shutdown(pool);
    rc = arayon_task_wait(far);
    arayon_task_release(far);
    printf("after shutdown: the far timer finished as %s\n", arayon_errname(rc));
    status |= rc != ARAYON_ECANCELED || atomic_load(&order) != 3;

    arayon_pool_destroy(&pool);
    return status;
}
