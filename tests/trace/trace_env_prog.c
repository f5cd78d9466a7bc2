/*
 * trace_env_prog.c - an ordinary arayon program that knows nothing about tracing, run by
 * test_trace_env with ARAYON_TRACE set. It creates two pools of 2 workers: the first runs a
 * recursive fib and is destroyed (its trace is written then); the second runs a flat spawn
 * from main and is still alive when main returns (its trace is written at exit).
 */
#include <arayon.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static arayon_pool_t *g_pool;
static arayon_pool_t *g_kept; /* never destroyed: written at exit */

typedef struct fib_arg {
    int n;
    long r;
} fib_arg;

static void die(const char *what, int rc)
{
    fprintf(stderr, "trace_env_prog: %s: %s\n", what, arayon_strerror(rc));
    exit(1);
}

static int fib_task(void *p)
{
    fib_arg *a = p;
    if (a->n < 2) {
        a->r = a->n;
        return 0;
    }
    fib_arg x = {a->n - 1, 0}, y = {a->n - 2, 0};
    arayon_scope_t *s = NULL;
    int rc = arayon_scope_begin(g_pool, &s);
    if (rc != ARAYON_OK)
        die("scope_begin", rc);
    if ((rc = arayon_scope_spawn(s, fib_task, &x, NULL)) != ARAYON_OK ||
        (rc = arayon_scope_spawn(s, fib_task, &y, NULL)) != ARAYON_OK)
        die("scope_spawn", rc);
    if ((rc = arayon_scope_end(&s)) != ARAYON_OK)
        die("scope_end", rc);
    a->r = x.r + y.r;
    return 0;
}

static int noop(void *arg)
{
    (void)arg;
    return 0;
}

static arayon_pool_t *make_pool(void)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 2;
    arayon_pool_t *p = NULL;
    int rc = arayon_pool_create(&cfg, &p);
    if (rc != ARAYON_OK)
        die("pool_create", rc);
    return p;
}

int main(void)
{
    g_pool = make_pool();
    fib_arg root = {16, 0};
    arayon_task_t *t = NULL;
    int rc = arayon_spawn_handle(g_pool, fib_task, &root, &t);
    if (rc != ARAYON_OK || (rc = arayon_task_wait(t)) != ARAYON_OK)
        die("fib", rc);
    arayon_task_release(t);
    if (root.r != 987)
        die("fib result", ARAYON_EFAILED);
    arayon_pool_destroy(&g_pool);

    g_kept = make_pool();
    arayon_scope_t *s = NULL;
    if ((rc = arayon_scope_begin(g_kept, &s)) != ARAYON_OK)
        die("scope_begin", rc);
    for (int i = 0; i < 1000; i++)
        if ((rc = arayon_scope_spawn(s, noop, NULL, NULL)) != ARAYON_OK)
            die("spawn", rc);
    if ((rc = arayon_scope_end(&s)) != ARAYON_OK)
        die("scope_end", rc);
    printf("trace_env_prog: done (one pool left alive)\n");
    return 0;
}
