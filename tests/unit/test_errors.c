/*
 * test_errors.c - every documented error path and the small query functions.
 *
 *   - NULL pool / fn / out / handle / scope for each function: ARAYON_EINVAL (or the
 *     documented no-op / 0), and nothing is spawned by a refused call;
 *   - pool_create: num_threads > ARAYON_MAX_THREADS, stack_size below 64 KiB (EINVAL),
 *     exactly 64 KiB (accepted), a stack no system can map (fails cleanly);
 *   - arayon_strerror / arayon_errname for every code of ARAYON_ERRNO_MAP (text as in the
 *     map, all distinct), for ARAYON_OK and for unknown codes;
 *   - arayon_cancelled / arayon_in_worker / arayon_worker_index outside and inside tasks;
 *   - arayon_pool_num_threads and stats.num_threads match the configuration;
 *   - the config presets, ARAYON_NUM_THREADS, the pool name used for thread names;
 *   - ARAYON_SCOPE with a pool on which the begin fails.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "check.h"

#include <sched.h>
#include <sys/wait.h>

static atomic_long g_count;

static int count_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_count, 1);
    return 0;
}

static arayon_pool_t *make_pool(unsigned n)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    CHECK(p != NULL);
    return p;
}

/* ---------------------------------------------------------------------------------------
 * Error strings
 * ------------------------------------------------------------------------------------- */
typedef struct code_info {
    int code;
    const char *name;
    const char *msg;
} code_info;

static const code_info k_codes[] = {
#define X(name, val, msg) {val, "ARAYON_" #name, msg},
    ARAYON_ERRNO_MAP(X)
#undef X
};
#define NCODES ((int)(sizeof k_codes / sizeof k_codes[0]))

static void test_strerror(void)
{
    test_phase("arayon_strerror / arayon_errname");
    CHECK_GE(NCODES, 10); /* the list only grows */
    for (int i = 0; i < NCODES; i++) {
        const char *m = arayon_strerror(k_codes[i].code);
        CHECK(m != NULL);
        CHECK_STREQ(m, k_codes[i].msg);
        CHECK_STREQ(arayon_errname(k_codes[i].code), k_codes[i].name);
        CHECK_LT(k_codes[i].code, 0);
        for (int j = 0; j < i; j++) {
            CHECK_NE(k_codes[i].code, k_codes[j].code);
            CHECK(strcmp(m, arayon_strerror(k_codes[j].code)) != 0);
            CHECK(strcmp(arayon_errname(k_codes[i].code), arayon_errname(k_codes[j].code)) != 0);
        }
    }
    CHECK_EQ(ARAYON_OK, 0);

    /* ARAYON_OK is a known code: some text, but not one of the errors'. */
    const char *ok = arayon_strerror(ARAYON_OK);
    CHECK(ok != NULL);
    CHECK(arayon_errname(ARAYON_OK) != NULL);
    for (int i = 0; i < NCODES; i++) {
        CHECK(strcmp(ok, k_codes[i].msg) != 0);
        CHECK(strcmp(arayon_errname(ARAYON_OK), k_codes[i].name) != 0);
    }

    /* Unknown codes. */
    static const int unknown[] = {1, 42, -11, -100, 12345, -2147483647 - 1, 2147483647};
    for (int i = 0; i < (int)(sizeof unknown / sizeof unknown[0]); i++) {
        CHECK_STREQ(arayon_strerror(unknown[i]), "unknown error");
        const char *n = arayon_errname(unknown[i]);
        CHECK(n != NULL);
        for (int j = 0; j < NCODES; j++)
            CHECK(strcmp(n, k_codes[j].name) != 0);
    }
}

/* ---------------------------------------------------------------------------------------
 * NULL arguments
 * ------------------------------------------------------------------------------------- */
static void test_null_arguments(void)
{
    test_phase("NULL arguments");
    arayon_pool_t *p = make_pool(2);
    atomic_store(&g_count, 0);

    /* pools */
    CHECK_RC(arayon_pool_create(NULL, NULL), ARAYON_EINVAL);
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    CHECK_RC(arayon_pool_create(&cfg, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_pool_shutdown(NULL), ARAYON_EINVAL);
    CHECK_EQ(arayon_pool_num_threads(NULL), 0);
    arayon_stats_t st;
    CHECK_RC(arayon_pool_stats(NULL, &st), ARAYON_EINVAL);
    CHECK_RC(arayon_pool_stats(p, NULL), ARAYON_EINVAL);

    /* spawning */
    CHECK_RC(arayon_spawn(NULL, count_task, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_spawn(p, NULL, NULL), ARAYON_EINVAL);
    arayon_task_t *h = NULL;
    CHECK_RC(arayon_spawn_handle(NULL, count_task, NULL, &h), ARAYON_EINVAL);
    CHECK_RC(arayon_spawn_handle(p, NULL, NULL, &h), ARAYON_EINVAL);
    CHECK_RC(arayon_spawn_handle(p, count_task, NULL, NULL), ARAYON_EINVAL);

    /* handles */
    CHECK_RC(arayon_task_wait(NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_task_wait_timeout(NULL, 0), ARAYON_EINVAL);
    CHECK_RC(arayon_task_wait_timeout(NULL, 1000000), ARAYON_EINVAL);
    CHECK_RC(arayon_task_cancel(NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_task_poll(NULL), ARAYON_EINVAL);
    int raw = 0;
    CHECK_RC(arayon_task_result(NULL, &raw), ARAYON_EINVAL);
    arayon_task_release(NULL); /* no-op */
    CHECK_OK(arayon_spawn_handle(p, count_task, NULL, &h));
    CHECK(h != NULL);
    CHECK_OK(arayon_task_wait(h));
    CHECK_RC(arayon_task_result(h, NULL), ARAYON_EINVAL);
    arayon_task_release(h);

    /* scopes */
    arayon_scope_t *s = NULL;
    CHECK_RC(arayon_scope_begin(NULL, &s), ARAYON_EINVAL);
    CHECK_RC(arayon_scope_begin(p, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_scope_spawn(NULL, count_task, NULL, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_scope_spawn(NULL, count_task, NULL, &h), ARAYON_EINVAL);
    CHECK_RC(arayon_scope_wait(NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_scope_cancel(NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_scope_end(NULL), ARAYON_EINVAL);
    arayon_scope_t *null_scope = NULL;
    CHECK_RC(arayon_scope_end(&null_scope), ARAYON_EINVAL);
    arayon_scope_end_cleanup(&null_scope); /* what ARAYON_SCOPE does with a failed begin */
    CHECK_OK(arayon_scope_begin(p, &s));
    CHECK_RC(arayon_scope_spawn(s, NULL, NULL, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_scope_spawn(s, NULL, NULL, &h), ARAYON_EINVAL);
    CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
    CHECK_OK(arayon_scope_end(&s));
    CHECK(s == NULL);

    /* ARAYON_SCOPE on a NULL pool: the scope is NULL, spawns into it are refused. */
    {
        ARAYON_SCOPE(bad, NULL);
        CHECK(bad == NULL);
        CHECK_RC(arayon_scope_spawn(bad, count_task, NULL, NULL), ARAYON_EINVAL);
    }

    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_OK(arayon_pool_stats(p, &st));
    /* Only the two valid spawns were accepted, and only they ran. */
    CHECK_EQ(atomic_load(&g_count), 2);
    CHECK_EQ(st.spawned, 2);
    CHECK_EQ(st.completed, 2);
    CHECK_EQ(st.pending, 0);
    arayon_pool_destroy(&p);
}

/* ---------------------------------------------------------------------------------------
 * Pool configuration errors
 * ------------------------------------------------------------------------------------- */
static void test_config_errors(void)
{
    test_phase("pool_create configuration errors");
    arayon_config_t cfg = arayon_config_default();
    arayon_pool_t *p = NULL;

    cfg.num_threads = ARAYON_MAX_THREADS + 1;
    CHECK_RC(arayon_pool_create(&cfg, &p), ARAYON_EINVAL);
    cfg.num_threads = 0xFFFFFFFFu;
    CHECK_RC(arayon_pool_create(&cfg, &p), ARAYON_EINVAL);

    cfg = arayon_config_default();
    cfg.num_threads = 1;
    cfg.stack_size = 64 * 1024 - 1;
    CHECK_RC(arayon_pool_create(&cfg, &p), ARAYON_EINVAL);
    cfg.stack_size = 1;
    CHECK_RC(arayon_pool_create(&cfg, &p), ARAYON_EINVAL);
    cfg.stack_size = 4096;
    CHECK_RC(arayon_pool_create(&cfg, &p), ARAYON_EINVAL);

    test_phase("pool with the minimum stack size");
    /* Sanitizers need more stack than a plain build: only the plain build uses 64 KiB. */
    cfg.stack_size = (TEST_ASAN || TEST_TSAN) ? 1024 * 1024 : 64 * 1024;
    cfg.num_threads = 2;
    p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    CHECK(p != NULL);
    atomic_store(&g_count, 0);
    for (int i = 0; i < 100; i++)
        CHECK_OK(arayon_spawn(p, count_task, NULL));
    arayon_pool_destroy(&p);
    CHECK_EQ(atomic_load(&g_count), 100);

    test_phase("a stack no system can map");
    if (sizeof(size_t) >= 8) {
        cfg.stack_size = (size_t)1 << (sizeof(size_t) >= 8 ? 50 : 0); /* 1 PiB */
        cfg.num_threads = 2;
        p = NULL;
        int rc = arayon_pool_create(&cfg, &p);
        CHECK_MSG(rc == ARAYON_ESYSTEM || rc == ARAYON_ENOMEM,
                  "pool_create with a 1 PiB stack returned %s", arayon_errname(rc));
        if (rc == ARAYON_OK)
            arayon_pool_destroy(&p);
    }
}

/* ---------------------------------------------------------------------------------------
 * Queries inside and outside tasks
 * ------------------------------------------------------------------------------------- */
typedef struct query_result {
    bool in_worker;
    int index;
    bool cancelled;
} query_result;

static int query_task(void *arg)
{
    query_result *q = arg;
    q->in_worker = arayon_in_worker();
    q->index = arayon_worker_index();
    q->cancelled = arayon_cancelled();
    return 0;
}

/* A meeting point for tasks (mutex + condition variable, 10 s limit). */
static struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int parties, arrived;
} g_meet = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
static atomic_int g_meet_timeouts;

static int meeting_query_task(void *arg)
{
    query_task(arg);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&g_meet.m);
    if (++g_meet.arrived == g_meet.parties)
        pthread_cond_broadcast(&g_meet.c);
    while (g_meet.arrived < g_meet.parties)
        if (pthread_cond_timedwait(&g_meet.c, &g_meet.m, &until) != 0) {
            atomic_fetch_add(&g_meet_timeouts, 1);
            break;
        }
    pthread_mutex_unlock(&g_meet.m);
    return 0;
}

static void *outside_queries(void *arg)
{
    query_result *q = arg;
    q->in_worker = arayon_in_worker();
    q->index = arayon_worker_index();
    q->cancelled = arayon_cancelled();
    return NULL;
}

static void test_queries(void)
{
    test_phase("in_worker / worker_index / cancelled outside tasks");
    CHECK(!arayon_in_worker());
    CHECK_EQ(arayon_worker_index(), -1);
    CHECK(!arayon_cancelled());

    enum { N = 3, TASKS = 300 };
    arayon_pool_t *p = make_pool(N);
    /* Still outside, with a pool running. */
    CHECK(!arayon_in_worker());
    CHECK_EQ(arayon_worker_index(), -1);
    CHECK(!arayon_cancelled());
    query_result oq = {true, 7, true};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, outside_queries, &oq), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK(!oq.in_worker);
    CHECK_EQ(oq.index, -1);
    CHECK(!oq.cancelled);

    test_phase("in_worker / worker_index / cancelled inside tasks");
    static query_result q[TASKS];
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < TASKS; i++) {
        q[i] = (query_result){false, -2, true};
        CHECK_OK(arayon_scope_spawn(s, query_task, &q[i], NULL));
    }
    CHECK_OK(arayon_scope_end(&s));
    for (int i = 0; i < TASKS; i++) {
        CHECK(q[i].in_worker);
        CHECK_GE(q[i].index, 0);
        CHECK_LT(q[i].index, N);
        CHECK(!q[i].cancelled);
    }
    /* N tasks that wait for each other run on N different workers at once: their indices
     * are exactly 0 .. N-1. */
    test_phase("worker_index covers 0 .. num_threads-1");
    static query_result qb[N];
    g_meet.parties = N;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < N; i++) {
        qb[i] = (query_result){false, -2, true};
        CHECK_OK(arayon_scope_spawn(s, meeting_query_task, &qb[i], NULL));
    }
    CHECK_OK(arayon_scope_end(&s));
    CHECK_EQ(atomic_load(&g_meet_timeouts), 0);
    bool seen[N] = {false};
    for (int i = 0; i < N; i++) {
        CHECK(qb[i].in_worker);
        CHECK_GE(qb[i].index, 0);
        CHECK_LT(qb[i].index, N);
        CHECK_MSG(!seen[qb[i].index], "two tasks waiting for each other on worker %d",
                  qb[i].index);
        seen[qb[i].index] = true;
    }

    CHECK_EQ(arayon_pool_num_threads(p), N);
    arayon_stats_t st;
    CHECK_OK(arayon_pool_stats(p, &st));
    CHECK_EQ(st.num_threads, N);
    arayon_pool_destroy(&p);
    /* Nothing leaked into the main thread. */
    CHECK(!arayon_in_worker());
    CHECK_EQ(arayon_worker_index(), -1);
}

/* ---------------------------------------------------------------------------------------
 * Thread counts, presets, environment, names
 * ------------------------------------------------------------------------------------- */
static void test_num_threads(void)
{
    test_phase("pool_num_threads matches the configuration");
    static const unsigned counts[] = {1, 2, 3, 5, 8};
    for (int i = 0; i < 5; i++) {
        arayon_pool_t *p = make_pool(counts[i]);
        CHECK_EQ(arayon_pool_num_threads(p), counts[i]);
        arayon_stats_t st;
        CHECK_OK(arayon_pool_stats(p, &st));
        CHECK_EQ(st.num_threads, counts[i]);
        arayon_pool_destroy(&p);
    }
}

static unsigned usable_pus(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    return (unsigned)CPU_COUNT(&set);
}

static unsigned preset_pool_threads(arayon_config_t cfg)
{
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    unsigned n = arayon_pool_num_threads(p);
    atomic_store(&g_count, 0);
    CHECK_OK(arayon_spawn(p, count_task, NULL));
    arayon_pool_destroy(&p);
    CHECK_EQ(atomic_load(&g_count), 1);
    return n;
}

static void test_presets(void)
{
    test_phase("config presets");
    const bool env_set = getenv("ARAYON_NUM_THREADS") != NULL;
    arayon_config_t d = arayon_config_default();
    arayon_config_t c = arayon_config_cpu_bound();
    arayon_config_t io = arayon_config_io_bound();
    /* the default is "automatic" */
    CHECK_EQ(d.num_threads, 0);
    CHECK(d.stack_size == 0 || d.stack_size == 8u * 1024 * 1024);
    CHECK_LE(c.num_threads, ARAYON_MAX_THREADS);
    CHECK_LE(io.num_threads, ARAYON_MAX_THREADS);
    CHECK(c.stack_size == 0 || c.stack_size >= 64u * 1024);
    CHECK(io.stack_size == 0 || io.stack_size >= 64u * 1024);

    unsigned nd = preset_pool_threads(d);
    unsigned nc = preset_pool_threads(c);
    unsigned nio = preset_pool_threads(io);
    fprintf(stderr, "   default %u, cpu_bound %u, io_bound %u workers; %u usable PUs\n", nd, nc,
            nio, usable_pus());
    CHECK_GE(nd, 1);
    CHECK_GE(nc, 1);
    CHECK_GE(nio, 1);
    if (!env_set) {
        unsigned pus = usable_pus();
        if (pus > 0)
            CHECK_EQ(nd, pus); /* ARAYON_AUTO_PUS: one worker per usable PU */
        CHECK_LE(nc, nd);       /* one per core: never more than the PUs */
        CHECK_EQ(nio, 2 * nc);  /* two per core */
    }
}

/* ARAYON_NUM_THREADS, in a child process so that whatever the runtime caches about the
 * environment starts fresh. Returns the child's exit status (0 = passed). */
static int env_child(void)
{
    setenv("ARAYON_NUM_THREADS", "3", 1);
    arayon_pool_t *p = NULL;
    if (arayon_pool_create(NULL, &p) != ARAYON_OK)
        return 2;
    unsigned n = arayon_pool_num_threads(p);
    arayon_pool_destroy(&p);
    if (n != 3) {
        fprintf(stderr, "ARAYON_NUM_THREADS=3 gave a pool of %u workers\n", n);
        return 3;
    }
    /* an explicit count wins over the environment */
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 2;
    if (arayon_pool_create(&cfg, &p) != ARAYON_OK)
        return 4;
    n = arayon_pool_num_threads(p);
    arayon_pool_destroy(&p);
    if (n != 2) {
        fprintf(stderr, "num_threads=2 with ARAYON_NUM_THREADS=3 gave %u workers\n", n);
        return 5;
    }
    return 0;
}

static void test_env(void)
{
    test_phase("ARAYON_NUM_THREADS (child process)");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(env_child());
    int status = 0;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
}

static char g_thread_name[32];

static int name_task(void *arg)
{
    (void)arg;
    pthread_getname_np(pthread_self(), g_thread_name, sizeof g_thread_name);
    return 0;
}

static void test_pool_name(void)
{
    test_phase("pool name used for thread names");
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    cfg.name = "tpool";
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(p, name_task, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    arayon_pool_destroy(&p);
    CHECK_MSG(strstr(g_thread_name, "tpool") != NULL, "worker thread name is \"%s\"",
              g_thread_name);
}

int main(void)
{
    test_watchdog(110);
    test_env(); /* first: fork before this process has any thread */
    test_strerror();
    test_null_arguments();
    test_config_errors();
    test_queries();
    test_num_threads();
    test_presets();
    test_pool_name();
    CHECK_STREQ(arayon_version(), ARAYON_VERSION_STRING);
    fprintf(stderr, "test_errors: OK\n");
    return 0;
}
