/*
 * async.c - suspendable tasks: many waiting tasks on two workers.
 *
 *   arayon-async [connections] [round-trips]
 *
 * 1. 10,000 requests that each wait 100 us on a timer, 100 in flight at a time
 *    (arayon_batch_process_async), against the same requests as plain tasks that block their
 *    worker while they wait (1,000 of them, to keep the wait short).
 * 2. An echo service over socket pairs: every connection has a server task that echoes what
 *    it reads and a client task that sends a message and waits for the echo, all of them
 *    suspendable, so thousands of connections that mostly wait share two workers.
 */
#include <arayon.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define US 1000ull
#define MS 1000000ull

static int check(int rc, const char *what)
{
    if (rc != ARAYON_OK) {
        fprintf(stderr, "arayon-async: %s: %s\n", what, arayon_strerror(rc));
        exit(1);
    }
    return rc;
}

/* ---- 1. requests that wait on a timer ---- */

static int request(void *item, void *ctx)
{
    (void)item, (void)ctx;
    return arayon_sleep(100 * US); /* suspends a suspendable task; blocks a plain one */
}

static double run_requests(arayon_pool_t *pool, size_t n, bool suspendable)
{
    char *items = calloc(n, 1);
    int *st = calloc(n, sizeof *st);
    if (!items || !st)
        exit(1);
    uint64_t t0 = arayon_now_ns();
    int rc = suspendable ? arayon_batch_process_async(pool, items, n, 1, 100, request, NULL, st)
                         : arayon_batch_process(pool, items, n, 1, 100, request, NULL, st);
    check(rc, "batch");
    double ms = (double)(arayon_now_ns() - t0) / 1e6;
    free(items);
    free(st);
    return ms;
}

/* ---- 2. echo over socket pairs ---- */

typedef struct conn {
    int fd[2]; /* [0] the client's end, [1] the server's */
    int rounds;
    int done_rounds;
} conn;

/* Reads exactly len bytes, suspending while nothing is there. */
static int read_full(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t k = read(fd, buf + got, len - got);
        if (k > 0) {
            got += (size_t)k;
        } else if (k == 0) {
            return ARAYON_EFAILED; /* the peer closed */
        } else if (errno == EAGAIN) {
            int rc = arayon_wait_fd_for(fd, POLLIN, 5000 * MS, NULL);
            if (rc != ARAYON_OK)
                return rc;
        } else {
            return ARAYON_ESYSTEM;
        }
    }
    return ARAYON_OK;
}

static int server(void *arg)
{
    conn *c = arg;
    char buf[32];
    for (int i = 0; i < c->rounds; i++) {
        if (read_full(c->fd[1], buf, sizeof buf) != ARAYON_OK)
            return 1;
        if (write(c->fd[1], buf, sizeof buf) != (ssize_t)sizeof buf)
            return 1;
    }
    return 0;
}

static int client(void *arg)
{
    conn *c = arg;
    char msg[32], back[32];
    for (int i = 0; i < c->rounds; i++) {
        snprintf(msg, sizeof msg, "request %d of %p", i, (void *)c);
        if (write(c->fd[0], msg, sizeof msg) != (ssize_t)sizeof msg)
            return 1;
        if (read_full(c->fd[0], back, sizeof back) != ARAYON_OK || memcmp(msg, back, sizeof msg))
            return 1;
        c->done_rounds++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int nconn = argc > 1 ? atoi(argv[1]) : 2000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (nconn < 1 || rounds < 1) {
        fprintf(stderr, "usage: arayon-async [connections >= 1] [round-trips >= 1]\n");
        return 2;
    }
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 2;
    cfg.max_pending = 0; /* every connection's two tasks wait at once */
    arayon_pool_t *pool = NULL;
    check(arayon_pool_create(&cfg, &pool), "pool");

    double a = run_requests(pool, 10000, true);
    double b = run_requests(pool, 1000, false);
    printf("10,000 requests x 100 us, 100 in flight, 2 workers: suspendable %.1f ms (ideal 10 ms)\n", a);
    printf(" 1,000 requests x 100 us as plain tasks (blocking):  %.1f ms, so %.0f ms for 10,000\n",
           b, b * 10);

    conn *cs = calloc((size_t)nconn, sizeof *cs);
    arayon_task_t **hs = calloc(2 * (size_t)nconn, sizeof *hs);
    if (!cs || !hs)
        return 1;
    int made = 0;
    for (; made < nconn; made++) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, cs[made].fd) != 0) {
            fprintf(stderr, "arayon-async: %d connections (socketpair: %s)\n", made,
                    strerror(errno));
            break;
        }
        cs[made].rounds = rounds;
    }
    uint64_t t0 = arayon_now_ns();
    for (int i = 0; i < made; i++) {
        check(arayon_spawn_async(pool, server, &cs[i], &hs[2 * i]), "spawn server");
        check(arayon_spawn_async(pool, client, &cs[i], &hs[2 * i + 1]), "spawn client");
    }
    int failed = 0;
    long trips = 0;
    for (int i = 0; i < 2 * made; i++) {
        failed += arayon_task_wait(hs[i]) != ARAYON_OK;
        arayon_task_release(hs[i]);
    }
    double s = (double)(arayon_now_ns() - t0) / 1e9;
    for (int i = 0; i < made; i++) {
        trips += cs[i].done_rounds;
        close(cs[i].fd[0]);
        close(cs[i].fd[1]);
    }
    arayon_metrics_t m;
    arayon_pool_metrics(pool, &m);
    printf("echo: %d connections x %d round trips on 2 workers: %ld round trips in %.3f s "
           "(%.0f/s), %d tasks failed\n",
           made, rounds, trips, s, (double)trips / s, failed);
    printf("metrics: %llu suspendable tasks, %llu suspensions, %llu resumed, %llu stacks "
           "cached, %llu blocking waits (the plain requests)\n",
           (unsigned long long)m.async_spawned, (unsigned long long)m.suspended,
           (unsigned long long)m.resumed, (unsigned long long)m.stacks_cached,
           (unsigned long long)m.blocking_waits);
    free(cs);
    free(hs);
    arayon_pool_destroy(&pool);
    return failed ? 1 : 0;
}
