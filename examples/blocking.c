/*
 * blocking.c - blocking tasks next to compute: 200 "downloads" that each wait 5 ms (as a
 * network or disk call would) run on the pool's blocking threads, and hand what they fetched
 * to compute tasks on the workers, while a parallel loop keeps the workers busy. A sleeping
 * download never holds a worker.
 *
 *   ./arayon-blocking [threads]
 */
#define _POSIX_C_SOURCE 200809L
#include <arayon.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { DOWNLOADS = 200 };

typedef struct download {
    arayon_pool_t *pool;
    int id;
    unsigned bytes;     /* "fetched" by the blocking task */
    unsigned long hash; /* computed by a compute task */
} download;

/* Compute: hash what was fetched (runs on a worker). */
static int parse(void *arg)
{
    download *d = arg;
    unsigned long h = 5381;
    for (unsigned i = 0; i < d->bytes; i++)
        h = h * 33 + (unsigned char)(d->id + i);
    d->hash = h;
    return 0;
}

/* Blocking: wait for the "network", then hand the data to the workers and wait for it. */
static int fetch(void *arg)
{
    download *d = arg;
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
    d->bytes = 1000u + (unsigned)d->id;
    arayon_task_t *h = NULL;
    if (arayon_spawn_handle(d->pool, parse, d, &h) != ARAYON_OK)
        return 1;
    int rc = arayon_task_wait(h);
    arayon_task_release(h);
    return rc == ARAYON_OK ? 0 : 1;
}

static int count_primes(void *ctx, size_t lo, size_t hi)
{
    unsigned long n = 0;
    for (size_t x = lo < 2 ? 2 : lo; x < hi; x++) {
        int prime = 1;
        for (size_t k = 2; k * k <= x && prime; k++)
            prime = x % k != 0;
        n += (unsigned long)prime;
    }
    atomic_fetch_add((atomic_ulong *)ctx, n);
    return 0;
}

int main(int argc, char **argv)
{
    arayon_config_t cfg = arayon_config_default();
    if (argc > 1)
        cfg.num_threads = (unsigned)atoi(argv[1]);
    cfg.max_blocking_threads = 32; /* at most 32 downloads wait at once */
    arayon_pool_t *pool = NULL;
    int rc = arayon_pool_create(&cfg, &pool);
    if (rc != ARAYON_OK) {
        fprintf(stderr, "pool: %s\n", arayon_strerror(rc));
        return 1;
    }

    static download d[DOWNLOADS];
    arayon_scope_t *s = NULL;
    if (arayon_scope_begin(pool, &s) != ARAYON_OK)
        return 1;
    for (int i = 0; i < DOWNLOADS; i++) {
        d[i] = (download){.pool = pool, .id = i};
        if (arayon_scope_spawn_blocking(s, fetch, &d[i], NULL) != ARAYON_OK)
            return 1;
    }
    /* Meanwhile, compute on the workers. */
    atomic_ulong primes = 0;
    rc = arayon_parallel_for(pool, 0, 200000, 0, count_primes, &primes);
    printf("primes below 200000: %lu (%s)\n", (unsigned long)atomic_load(&primes),
           rc == ARAYON_OK ? "ok" : arayon_errname(rc));
    int status = rc != ARAYON_OK || atomic_load(&primes) != 17984;

    rc = arayon_scope_end(&s);
    int fetched = 0;
    for (int i = 0; i < DOWNLOADS; i++)
        fetched += d[i].bytes == 1000u + (unsigned)i && d[i].hash != 0;
    printf("downloads: %d of %d fetched and parsed (%s)\n", fetched, DOWNLOADS,
           arayon_errname(rc));
    status |= rc != ARAYON_OK || fetched != DOWNLOADS;

    arayon_metrics_t m;
    arayon_pool_metrics(pool, &m);
    printf("blocking tasks: %llu, at most %llu blocking threads; %llu tasks in all, %llu "
           "completed\n",
           (unsigned long long)m.blocking_spawned, (unsigned long long)m.blocking_threads_peak,
           (unsigned long long)m.spawned, (unsigned long long)m.completed);
    status |= m.blocking_spawned != DOWNLOADS || m.blocking_threads_peak > 32;
    arayon_pool_destroy(&pool);
    return status;
}
