/*
 * bench_async.c - suspendable tasks (issue 9): what a task that waits on a stack of its own
 * costs, next to what a program would do without them. Eight figures (bench/README.md,
 * docs/benchmarks.md), each in a pool of its own:
 *
 *   switch     round trip of arayon_yield in a suspendable task on a 1-worker pool (one task
 *              yielding to itself through the worker, and two tasks taking turns), vs glibc
 *              swapcontext (main -> context -> main, implemented here) and vs a mutex + condvar
 *              ping-pong between two threads.
 *   spawn      spawn + run + finish of an empty task, spawned from a task into a scope on a
 *              1-worker pool: suspendable vs plain (the same arayon_spawn_ex, only the flag
 *              differs).
 *   sleep100us 10,000 tasks each sleeping 100 us, 100 in flight, on 2 workers (ideal 10 ms):
 *              arayon_batch_process_async, and a hand-written chain (each task spawns the next
 *              from inside itself); the same with plain tasks (arayon_sleep blocks the worker),
 *              capped at 1,000 tasks and extrapolated.
 *   sleep1ms   100,000 tasks each sleeping 1 ms, 10,000 in flight (ideal 10 ms): total time
 *              (first run with cold stacks, then warm runs) and the worker time per
 *              sleep + resume (busy_ns of the metrics / tasks).
 *   parked     100,000 suspendable tasks parked in arayon_await on a gate task: VmRSS,
 *              VmPTE and the number of mappings (/proc/self/maps lines) before and after.
 *   wake       wake-up latency p50/p99: arayon_sleep(100 us) lateness (10,000 samples), and an
 *              fd made readable by another thread (write -> arayon_wait_fd returns); next to a
 *              thread's clock_nanosleep and a thread blocked in poll(2).
 *   echo       N connections over 127.0.0.1 TCP (socketpairs with --unix), a suspendable
 *              client task and a suspendable server task per connection, R round trips of a
 *              32-byte message each (arayon_wait_fd + read/write); vs one thread's epoll loop
 *              serving the same connections.
 *   fib        fib(30) with plain tasks (scope per call, as bench_arayon's fib): the spawn path
 *              must not change with the feature.
 *
 * Output: for each figure a few '#' lines saying what was measured, then one summary line
 *
 *   ASYNC fig=<name> key=value ...
 *
 * (bench/run --async takes medians of these over several processes), and at the end the
 * issue's targets as PASS/MISS lines. Performance is printed, never asserted: the process
 * exits 1 only when a result is wrong (ERROR line: a task failed, an arayon call failed, an
 * echo came back different), and 3 when a figure hangs (HANG line with the pool's counters,
 * from a watchdog thread; --timeout).
 */
#define _GNU_SOURCE
#include "arayon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------------------- */
enum {
    FIG_SWITCH = 1 << 0,
    FIG_SPAWN = 1 << 1,
    FIG_SLEEP100 = 1 << 2,
    FIG_SLEEP1MS = 1 << 3,
    FIG_PARKED = 1 << 4,
    FIG_WAKE = 1 << 5,
    FIG_ECHO = 1 << 6,
    FIG_FIB = 1 << 7,
    FIG_ALL = (1 << 8) - 1,
};
static const char *const fig_names[] = {"switch", "spawn", "sleep100us", "sleep1ms",
                                        "parked", "wake",  "echo",       "fib"};
#define NFIGS 8

static struct {
    int quick;
    unsigned threads; /* workers of every figure but switch and spawn (1 worker) */
    int reps;         /* 0: each figure's default */
    unsigned figs;
    long conns;       /* echo: connections */
    long rounds;      /* echo: round trips per connection */
    int unix_pairs;   /* echo: socketpairs instead of TCP */
    long parked;      /* parked: tasks */
    int fib_n;
    long timeout_s;   /* per figure, before the watchdog calls it a hang */
} opt = {0, 2, 0, FIG_ALL, -1, -1, 0, -1, -1, -1};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_async [--quick] [--threads T] [--reps R] [--only LIST] [--conns N]\n"
            "                   [--rounds R] [--unix] [--parked N] [--fib N] [--timeout S]\n"
            "  --quick       smoke run, a second or two: small sizes, 1-2 repetitions\n"
            "  --threads T   workers of the figures other than switch and spawn (1 worker);\n"
            "                default 2\n"
            "  --reps R      repetitions of each measurement (medians are printed); default\n"
            "                per figure (5 for the short ones, 3 for sleep1ms and echo)\n"
            "  --only LIST   comma-separated subset of switch,spawn,sleep100us,sleep1ms,\n"
            "                parked,wake,echo,fib (default all)\n"
            "  --conns N     echo: connections (default 10000; 200 with --quick); capped by\n"
            "                RLIMIT_NOFILE (raised to its hard limit first): 2 fds each\n"
            "  --rounds R    echo: round trips per connection (default 10; 3 with --quick)\n"
            "  --unix        echo over AF_UNIX socketpairs instead of 127.0.0.1 TCP\n"
            "  --parked N    parked: suspendable tasks parked at once (default 100000;\n"
            "                5000 with --quick)\n"
            "  --fib N       fib argument (default 30; 22 with --quick)\n"
            "  --timeout S   seconds one figure may take before it counts as hung (exit 3);\n"
            "                default 180 (60 with --quick)\n");
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "bench_async: %s needs a number in %ld..%ld\n", what, lo, hi);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) {
            opt.quick = 1;
        } else if (!strcmp(a, "--unix")) {
            opt.unix_pairs = 1;
        } else if (!strcmp(a, "--threads")) {
            opt.threads = (unsigned)parse_long(v, 1, ARAYON_MAX_THREADS, a), i++;
        } else if (!strcmp(a, "--reps")) {
            opt.reps = (int)parse_long(v, 1, 1000, a), i++;
        } else if (!strcmp(a, "--conns")) {
            opt.conns = parse_long(v, 1, 1000000, a), i++;
        } else if (!strcmp(a, "--rounds")) {
            opt.rounds = parse_long(v, 1, 1000000, a), i++;
        } else if (!strcmp(a, "--parked")) {
            opt.parked = parse_long(v, 1, 10000000, a), i++;
        } else if (!strcmp(a, "--fib")) {
            opt.fib_n = (int)parse_long(v, 2, 40, a), i++;
        } else if (!strcmp(a, "--timeout")) {
            opt.timeout_s = parse_long(v, 1, 86400, a), i++;
        } else if (!strcmp(a, "--only")) {
            if (!v) {
                fprintf(stderr, "bench_async: --only needs a list\n");
                exit(2);
            }
            opt.figs = 0;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
                 t = strtok_r(NULL, ",", &save)) {
                int k;
                for (k = 0; k < NFIGS && strcmp(t, fig_names[k]); k++)
                    ;
                if (k == NFIGS) {
                    fprintf(stderr, "bench_async: unknown figure '%s' in --only\n", t);
                    exit(2);
                }
                opt.figs |= 1u << k;
            }
            i++;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "bench_async: unknown option %s\n", a);
            usage(stderr);
            exit(2);
        }
    }
    if (opt.conns < 0)
        opt.conns = opt.quick ? 200 : 10000;
    if (opt.rounds < 0)
        opt.rounds = opt.quick ? 3 : 10;
    if (opt.parked < 0)
        opt.parked = opt.quick ? 5000 : 100000;
    if (opt.fib_n < 0)
        opt.fib_n = opt.quick ? 22 : 30;
    if (opt.timeout_s < 0)
        opt.timeout_s = opt.quick ? 60 : 180;
}

/* Repetitions: the figure's default, or --reps; 1 with --quick unless --reps says more. */
static int reps_or(int dflt, int quick_dflt)
{
    if (opt.reps > 0)
        return opt.reps;
    return opt.quick ? quick_dflt : dflt;
}

/* ---------------------------------------------------------------------------------------
 * Small helpers: clock, statistics, errors, /proc
 * ------------------------------------------------------------------------------------- */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n-1] (sorts v). */
static double median(double *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Quantile q of v[0..n-1], which must be sorted (nearest rank). */
static double quantile(const double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)(q * (double)n);
    if (k >= n)
        k = n - 1;
    return v[k];
}

static const char *g_fig = "setup"; /* the figure running (for ERROR and HANG lines) */

static void die(const char *fmt, ...)
{
    va_list ap;
    printf("ERROR fig=%s ", g_fig);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    exit(1);
}

static void check(int rc, const char *what)
{
    if (rc != ARAYON_OK)
        die("%s failed: %s (%s)", what, arayon_errname(rc), arayon_strerror(rc));
}

/* Failures inside tasks: counted, the first one kept, reported after the measurement. */
static atomic_long g_task_errs;
static atomic_int g_task_err_rc;
static _Atomic(const char *) g_task_err_what;

static void task_err(int rc, const char *what)
{
    int zero = 0;
    if (atomic_compare_exchange_strong(&g_task_err_rc, &zero, rc ? rc : ARAYON_ESYSTEM))
        atomic_store(&g_task_err_what, what);
    atomic_fetch_add(&g_task_errs, 1);
}

static void check_task_errs(void)
{
    long n = atomic_exchange(&g_task_errs, 0);
    int rc = atomic_exchange(&g_task_err_rc, 0);
    if (n != 0) {
        const char *what = atomic_load(&g_task_err_what);
        die("%ld failures inside tasks; the first: %s returned %s (%s)", n,
            what ? what : "?", arayon_errname(rc), arayon_strerror(rc));
    }
}

/* A line of /proc/self/status, e.g. "VmRSS:", in KiB; -1 when missing. */
static long proc_status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, key, kl)) {
            v = strtol(line + kl, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* Mappings of the process: lines of /proc/self/maps. */
static long proc_maps_count(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char buf[65536];
    long n = 0;
    size_t r;
    if (!f)
        return -1;
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < r; i++)
            n += buf[i] == '\n';
    }
    fclose(f);
    return n;
}

/* ---------------------------------------------------------------------------------------
 * Pools, metrics and the watchdog
 * ------------------------------------------------------------------------------------- */
static _Atomic(arayon_pool_t *) g_cur_pool; /* the pool of the running figure, for HANG */
static atomic_uint_fast64_t g_deadline;     /* watchdog deadline of the running figure, 0 off */

static arayon_pool_t *pool_new(unsigned workers, const char *name)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = workers;
    cfg.name = name;
    arayon_pool_t *p = NULL;
    check(arayon_pool_create(&cfg, &p), "arayon_pool_create");
    atomic_store(&g_cur_pool, p);
    return p;
}

static void pool_free(arayon_pool_t **p)
{
    atomic_store(&g_cur_pool, NULL);
    check(arayon_pool_shutdown(*p), "arayon_pool_shutdown");
    arayon_pool_destroy(p);
}

static arayon_metrics_t metrics(arayon_pool_t *p)
{
    arayon_metrics_t m;
    memset(&m, 0, sizeof m);
    check(arayon_pool_metrics(p, &m), "arayon_pool_metrics");
    return m;
}

static void print_counters(const char *prefix, const arayon_metrics_t *m)
{
    printf("%s pending=%llu queued=%llu active=%llu async_spawned=%llu suspended=%llu "
           "resumed=%llu parked=%llu stacks_in_use=%llu stacks_cached=%llu timers_pending=%llu "
           "blocking_waits=%llu completed=%llu failed=%llu cancelled=%llu\n",
           prefix, (unsigned long long)m->pending, (unsigned long long)m->queued,
           (unsigned long long)m->active, (unsigned long long)m->async_spawned,
           (unsigned long long)m->suspended, (unsigned long long)m->resumed,
           (unsigned long long)m->parked, (unsigned long long)m->stacks_in_use,
           (unsigned long long)m->stacks_cached, (unsigned long long)m->timers_pending,
           (unsigned long long)m->blocking_waits, (unsigned long long)m->completed,
           (unsigned long long)m->failed, (unsigned long long)m->cancelled);
}

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        sleep_ns(100000000u);
        uint64_t d = atomic_load(&g_deadline);
        if (d == 0 || now_ns() < d)
            continue;
        printf("HANG fig=%s: not finished after %ld s\n", g_fig, opt.timeout_s);
        arayon_pool_t *p = atomic_load(&g_cur_pool);
        if (p) {
            arayon_metrics_t m;
            memset(&m, 0, sizeof m);
            if (arayon_pool_metrics(p, &m) == ARAYON_OK)
                print_counters("HANG counters:", &m);
        }
        fflush(stdout);
        _exit(3);
    }
    return NULL;
}

static void fig_begin(const char *name)
{
    g_fig = name;
    atomic_store(&g_deadline, now_ns() + (uint64_t)opt.timeout_s * 1000000000u);
    printf("\n");
}

static void fig_end(void)
{
    atomic_store(&g_deadline, 0);
    fflush(stdout);
}

/* Spawns a suspendable task into scope s (handle in *h when h is not NULL). */
static int spawn_async_in(arayon_pool_t *p, arayon_scope_t *s, arayon_fn fn, void *arg,
                          arayon_task_t **h)
{
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.scope = s;
    o.flags = ARAYON_TASK_SUSPENDABLE;
    return arayon_spawn_ex(p, fn, arg, &o, h);
}

/* Waits (polling the metrics, up to the watchdog) until at least `want` tasks are parked. */
static arayon_metrics_t wait_parked(arayon_pool_t *p, uint64_t want)
{
    arayon_metrics_t m = metrics(p);
    while (m.parked < want) {
        sleep_ns(200000);
        m = metrics(p);
    }
    return m;
}

/* Figures kept for the targets at the end (negative: not measured). */
static struct {
    double spawn_plain_ns, spawn_async_ns, sleep100_batch_x, sleep100_chain_x, sleep1ms_busy_ns,
        sleep1ms_wall_ns, parked_mib, parked_n, vma_growth, fib_ns;
    long parked_vma_before, parked_vma_after;
} tgt = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};

/* ---------------------------------------------------------------------------------------
 * 1. switch: arayon_yield vs swapcontext vs mutex + condvar
 * ------------------------------------------------------------------------------------- */
typedef struct yield_arg {
    long iters;
    double ns; /* per yield, timed inside the task */
} yield_arg;

static int yield_task(void *p)
{
    yield_arg *a = (yield_arg *)p;
    for (int i = 0; i < 1000; i++) { /* warm-up */
        int rc = arayon_yield();
        if (rc != ARAYON_OK) {
            task_err(rc, "arayon_yield");
            return 1;
        }
    }
    uint64_t t0 = now_ns();
    for (long i = 0; i < a->iters; i++) {
        int rc = arayon_yield();
        if (rc != ARAYON_OK) {
            task_err(rc, "arayon_yield");
            return 1;
        }
    }
    a->ns = (double)(now_ns() - t0) / (double)a->iters;
    return 0;
}

/* Two tasks yielding in turn on one worker: every yield switches to the other task. */
static double yield_pair(arayon_pool_t *p, long iters)
{
    yield_arg a = {iters, 0}, b = {iters, 0};
    arayon_scope_t *s;
    check(arayon_scope_begin(p, &s), "arayon_scope_begin");
    uint64_t t0 = now_ns();
    check(spawn_async_in(p, s, yield_task, &a, NULL), "arayon_spawn_ex (suspendable)");
    check(spawn_async_in(p, s, yield_task, &b, NULL), "arayon_spawn_ex (suspendable)");
    check(arayon_scope_end(&s), "arayon_scope_end");
    /* 2 * (iters + 1000 warm-up) yields in all; the warm-up ones are in the time too. */
    return (double)(now_ns() - t0) / (2.0 * (double)(iters + 1000));
}

static ucontext_t uc_main, uc_co;
static void uc_body(void)
{
    for (;;)
        swapcontext(&uc_co, &uc_main);
}

/* Round trip main -> context -> main (two swapcontext calls), ns. */
static double ucontext_rt(long iters)
{
    static char *stack;
    if (!stack) {
        stack = malloc(64 * 1024);
        if (!stack)
            die("malloc of a 64 KiB stack failed");
        if (getcontext(&uc_co) != 0)
            die("getcontext failed: %s", strerror(errno));
        uc_co.uc_stack.ss_sp = stack;
        uc_co.uc_stack.ss_size = 64 * 1024;
        uc_co.uc_link = &uc_main;
        makecontext(&uc_co, uc_body, 0);
        swapcontext(&uc_main, &uc_co); /* first entry */
    }
    uint64_t t0 = now_ns();
    for (long i = 0; i < iters; i++)
        swapcontext(&uc_main, &uc_co);
    return (double)(now_ns() - t0) / (double)iters;
}

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv[2];
    int turn; /* 1: the partner's turn, 0: main's */
    long iters;
} pp = {PTHREAD_MUTEX_INITIALIZER, {PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER}, 0, 0};

static void *pp_partner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pp.mu);
    for (long i = 0; i < pp.iters; i++) {
        while (pp.turn != 1)
            pthread_cond_wait(&pp.cv[1], &pp.mu);
        pp.turn = 0;
        pthread_cond_signal(&pp.cv[0]);
    }
    pthread_mutex_unlock(&pp.mu);
    return NULL;
}

/* Round trip main -> partner thread -> main through a mutex and two condvars, ns. */
static double condvar_rt(long iters)
{
    pthread_t t;
    pp.iters = iters;
    pp.turn = 0;
    if (pthread_create(&t, NULL, pp_partner, NULL) != 0)
        die("pthread_create failed");
    sleep_ns(1000000); /* let the partner start and block */
    uint64_t t0 = now_ns();
    pthread_mutex_lock(&pp.mu);
    for (long i = 0; i < iters; i++) {
        pp.turn = 1;
        pthread_cond_signal(&pp.cv[1]);
        while (pp.turn != 0)
            pthread_cond_wait(&pp.cv[0], &pp.mu);
    }
    pthread_mutex_unlock(&pp.mu);
    double ns = (double)(now_ns() - t0) / (double)iters;
    pthread_join(t, NULL);
    return ns;
}

static void fig_switch(void)
{
    fig_begin("switch");
    int reps = reps_or(5, 2);
    long yi = opt.quick ? 100000 : 1000000, ui = opt.quick ? 20000 : 200000,
         ci = opt.quick ? 2000 : 10000;
    printf("# 1. switch: round trip of a suspendable task calling arayon_yield in a loop on a "
           "1-worker pool\n#    (task -> worker -> task; %ld yields timed inside the task), two "
           "such tasks taking turns\n#    (per yield), glibc swapcontext main -> context -> "
           "main (%ld), and a mutex + condvar\n#    ping-pong between two threads (%ld round "
           "trips); median of %d\n",
           yi, ui, ci, reps);
    arayon_pool_t *p = pool_new(1, "async-switch");
    double y[64], y2[64], u[64], c[64];
    if (reps > 64)
        reps = 64;
    arayon_metrics_t m0 = metrics(p);
    for (int r = 0; r < reps; r++) {
        yield_arg a = {yi, 0};
        arayon_task_t *h = NULL;
        check(arayon_spawn_async(p, yield_task, &a, &h), "arayon_spawn_async");
        check(arayon_task_wait(h), "arayon_task_wait (yield task)");
        arayon_task_release(h);
        check_task_errs();
        y[r] = a.ns;
    }
    arayon_metrics_t m1 = metrics(p);
    for (int r = 0; r < reps; r++) {
        y2[r] = yield_pair(p, yi / 2);
        check_task_errs();
    }
    pool_free(&p);
    for (int r = 0; r < reps; r++) {
        u[r] = ucontext_rt(ui);
        c[r] = condvar_rt(ci);
    }
    double yield_ns = median(y, reps), yield2_ns = median(y2, reps), uc = median(u, reps),
           cv = median(c, reps);
    double susp = (double)(m1.suspended - m0.suspended) / ((double)reps * (double)(yi + 1000));
    printf("# suspensions counted per arayon_yield: %.2f (1.00: every yield gave the worker "
           "back)\n",
           susp);
    printf("ASYNC fig=switch workers=1 yield_ns=%.1f yield_pair_ns=%.1f ucontext_ns=%.1f "
           "condvar_ns=%.0f ucontext_x=%.1f condvar_x=%.0f suspended_per_yield=%.2f\n",
           yield_ns, yield2_ns, uc, cv, uc / yield_ns, cv / yield_ns, susp);
    fig_end();
}

/* ---------------------------------------------------------------------------------------
 * 2. spawn: a suspendable task that returns at once vs a plain task
 * ------------------------------------------------------------------------------------- */
typedef struct spawn_arg {
    arayon_pool_t *pool;
    long n;
    unsigned flags;
    double ns;
} spawn_arg;

static int empty_task(void *p)
{
    (void)p;
    __asm__ volatile("" ::: "memory");
    return 0;
}

/* The producer (a plain task): a scope, n spawns with the flags, the scope's end. */
static int spawn_producer(void *p)
{
    spawn_arg *a = (spawn_arg *)p;
    arayon_scope_t *s;
    int rc = arayon_scope_begin(a->pool, &s);
    if (rc != ARAYON_OK) {
        task_err(rc, "arayon_scope_begin");
        return 1;
    }
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.scope = s;
    o.flags = a->flags;
    uint64_t t0 = now_ns();
    for (long i = 0; i < a->n; i++) {
        rc = arayon_spawn_ex(a->pool, empty_task, NULL, &o, NULL);
        if (rc != ARAYON_OK) {
            task_err(rc, "arayon_spawn_ex");
            break;
        }
    }
    rc = arayon_scope_end(&s);
    a->ns = (double)(now_ns() - t0) / (double)a->n;
    if (rc != ARAYON_OK) {
        task_err(rc, "arayon_scope_end");
        return 1;
    }
    return 0;
}

static double spawn_run(arayon_pool_t *p, long n, unsigned flags)
{
    spawn_arg a = {p, n, flags, 0};
    arayon_task_t *h = NULL;
    check(arayon_spawn_handle(p, spawn_producer, &a, &h), "arayon_spawn_handle");
    check(arayon_task_wait(h), "arayon_task_wait (producer)");
    arayon_task_release(h);
    check_task_errs();
    return a.ns;
}

static void fig_spawn(void)
{
    fig_begin("spawn");
    int reps = reps_or(5, 2);
    long n = opt.quick ? 20000 : 200000;
    printf("# 2. spawn: spawn + run + finish of an empty task, %ld spawned by a task into a "
           "scope (arayon_spawn_ex)\n#    and waited for by the scope's end, 1 worker; plain "
           "vs ARAYON_TASK_SUSPENDABLE (warm stack cache),\n#    alternating, median of %d\n",
           n, reps);
    if (reps > 64)
        reps = 64;
    arayon_pool_t *p = pool_new(1, "async-spawn");
    spawn_run(p, n / 10, 0); /* warm-up: task records, and the stack cache */
    spawn_run(p, n / 10, ARAYON_TASK_SUSPENDABLE);
    arayon_metrics_t m0 = metrics(p);
    double pl[64], as[64];
    for (int r = 0; r < reps; r++) { /* alternating, and which goes first too */
        if (r % 2 == 0)
            pl[r] = spawn_run(p, n, 0);
        as[r] = spawn_run(p, n, ARAYON_TASK_SUSPENDABLE);
        if (r % 2 == 1)
            pl[r] = spawn_run(p, n, 0);
    }
    arayon_metrics_t m1 = metrics(p);
    pool_free(&p);
    double plain = median(pl, reps), async = median(as, reps);
    uint64_t want = (uint64_t)n * (uint64_t)reps;
    if (m1.async_spawned - m0.async_spawned != want)
        printf("# WARN async_spawned grew by %llu, expected %llu\n",
               (unsigned long long)(m1.async_spawned - m0.async_spawned),
               (unsigned long long)want);
    printf("# stacks after the runs: %llu in use, %llu cached\n",
           (unsigned long long)m1.stacks_in_use, (unsigned long long)m1.stacks_cached);
    printf("ASYNC fig=spawn workers=1 n=%ld plain_ns=%.1f async_ns=%.1f async_x=%.2f "
           "async_extra_ns=%.1f\n",
           n, plain, async, async / plain, async - plain);
    tgt.spawn_plain_ns = plain;
    tgt.spawn_async_ns = async;
    fig_end();
}

/* ---------------------------------------------------------------------------------------
 * 3 and 4. Many sleeping tasks, a bounded number in flight
 * ------------------------------------------------------------------------------------- */
typedef struct sleep_ctx {
    uint64_t ns;
    atomic_long done;
} sleep_ctx;

static int sleep_item(void *item, void *ctx)
{
    (void)item;
    sleep_ctx *c = (sleep_ctx *)ctx;
    int rc = arayon_sleep(c->ns);
    if (rc != ARAYON_OK) {
        task_err(rc, "arayon_sleep");
        return 1;
    }
    atomic_fetch_add_explicit(&c->done, 1, memory_order_relaxed);
    return 0;
}

/* n items through arayon_batch_process(_async), at most inflight at once; wall ms. */
static double batch_sleep(arayon_pool_t *p, long n, long inflight, uint64_t ns, int async,
                          long *items, int *statuses)
{
    sleep_ctx c = {ns, 0};
    uint64_t t0 = now_ns();
    int rc = async ? arayon_batch_process_async(p, items, (size_t)n, sizeof items[0],
                                                (size_t)inflight, sleep_item, &c, statuses)
                   : arayon_batch_process(p, items, (size_t)n, sizeof items[0],
                                          (size_t)inflight, sleep_item, &c, statuses);
    double ms = (double)(now_ns() - t0) / 1e6;
    check_task_errs();
    if (rc != ARAYON_OK) {
        long bad = 0, first = -1;
        for (long i = 0; i < n; i++)
            if (statuses[i] != ARAYON_OK && bad++ == 0)
                first = i;
        die("%s returned %s: %ld of %ld items did not succeed (item %ld: %s)",
            async ? "arayon_batch_process_async" : "arayon_batch_process", arayon_errname(rc),
            bad, n, first, first >= 0 ? arayon_errname(statuses[first]) : "-");
    }
    if (atomic_load(&c.done) != n)
        die("%ld of %ld sleeps done", (long)atomic_load(&c.done), n);
    return ms;
}

/* The hand-written version: a plain driver task spawns `inflight` suspendable tasks; each
 * sleeps, then spawns the next one (from inside itself) while there are more to run. */
typedef struct chain {
    arayon_pool_t *pool;
    arayon_scope_t *scope;
    long n, inflight;
    uint64_t ns;
    atomic_long next, done;
} chain;

static int chain_task(void *p)
{
    chain *c = (chain *)p;
    int rc = arayon_sleep(c->ns);
    if (rc != ARAYON_OK) {
        task_err(rc, "arayon_sleep");
        return 1;
    }
    atomic_fetch_add_explicit(&c->done, 1, memory_order_relaxed);
    if (atomic_fetch_add(&c->next, 1) < c->n) {
        rc = spawn_async_in(c->pool, c->scope, chain_task, c, NULL);
        if (rc != ARAYON_OK) {
            task_err(rc, "arayon_spawn_ex (suspendable, from a suspendable task)");
            return 1;
        }
    }
    return 0;
}

static int chain_driver(void *p)
{
    chain *c = (chain *)p;
    for (long k = 0; k < c->inflight; k++) {
        if (atomic_fetch_add(&c->next, 1) >= c->n)
            break;
        int rc = spawn_async_in(c->pool, c->scope, chain_task, c, NULL);
        if (rc != ARAYON_OK) {
            task_err(rc, "arayon_spawn_ex (suspendable, from a plain task)");
            return 1;
        }
    }
    return 0;
}

static double chain_sleep(arayon_pool_t *p, long n, long inflight, uint64_t ns)
{
    chain c;
    memset(&c, 0, sizeof c);
    c.pool = p;
    c.n = n;
    c.inflight = inflight;
    c.ns = ns;
    atomic_init(&c.next, 0);
    atomic_init(&c.done, 0);
    uint64_t t0 = now_ns();
    check(arayon_scope_begin(p, &c.scope), "arayon_scope_begin");
    check(arayon_scope_spawn(c.scope, chain_driver, &c, NULL), "arayon_scope_spawn");
    check(arayon_scope_end(&c.scope), "arayon_scope_end");
    double ms = (double)(now_ns() - t0) / 1e6;
    check_task_errs();
    if (atomic_load(&c.done) != n)
        die("chain: %ld of %ld sleeps done", (long)atomic_load(&c.done), n);
    return ms;
}

static void fig_sleep100(void)
{
    fig_begin("sleep100us");
    const long n = 10000, inflight = 100;
    const uint64_t ns = 100000;
    long nb = opt.quick ? 200 : 1000; /* blocking baseline: capped, extrapolated */
    int reps = reps_or(5, 1);
    double ideal = (double)n / (double)inflight * (double)ns / 1e6;
    printf("# 3. %ld tasks each sleeping 100 us (arayon_sleep), %ld in flight, %u workers: "
           "total vs the ideal %.1f ms;\n#    batch = arayon_batch_process_async from main, "
           "chain = a plain driver task spawns %ld suspendable\n#    tasks and each spawns the "
           "next when it wakes; median of %d. blocking = plain tasks\n#    "
           "(arayon_batch_process: arayon_sleep blocks the worker), only %ld tasks, one run, "
           "time x %ld\n#    reported as the extrapolated time for %ld\n",
           n, inflight, opt.threads, ideal, inflight, reps, nb, n / nb, n);
    if (reps > 64)
        reps = 64;
    long *items = calloc((size_t)n, sizeof *items);
    int *st = calloc((size_t)n, sizeof *st);
    if (!items || !st)
        die("out of memory");
    arayon_pool_t *p = pool_new(opt.threads, "async-sleep");
    batch_sleep(p, n / 10, inflight, ns, 1, items, st); /* warm-up: stacks, timer heap */
    chain_sleep(p, n / 10, inflight, ns);
    arayon_metrics_t m0 = metrics(p);
    double b[64], c[64];
    for (int r = 0; r < reps; r++) {
        b[r] = batch_sleep(p, n, inflight, ns, 1, items, st);
        c[r] = chain_sleep(p, n, inflight, ns);
    }
    arayon_metrics_t m1 = metrics(p);
    double susp = (double)(m1.suspended - m0.suspended) / (2.0 * (double)n * reps);
    arayon_metrics_t mb0 = metrics(p);
    double blk = batch_sleep(p, nb, inflight, ns, 0, items, st);
    arayon_metrics_t mb1 = metrics(p);
    pool_free(&p);
    free(items);
    free(st);
    double bm = median(b, reps), cm = median(c, reps), bx = blk * (double)n / (double)nb;
    printf("# suspensions per suspendable task: %.2f; blocking_waits of the blocking run: %llu "
           "(of %ld tasks)\n",
           susp, (unsigned long long)(mb1.blocking_waits - mb0.blocking_waits), nb);
    printf("ASYNC fig=sleep100us n=%ld inflight=%ld workers=%u ideal_ms=%.1f batch_ms=%.2f "
           "batch_x=%.2f chain_ms=%.2f chain_x=%.2f blocking_n=%ld blocking_ms=%.1f "
           "blocking_extrap_ms=%.0f blocking_x=%.1f\n",
           n, inflight, opt.threads, ideal, bm, bm / ideal, cm, cm / ideal, nb, blk, bx,
           bx / ideal);
    tgt.sleep100_batch_x = bm / ideal;
    tgt.sleep100_chain_x = cm / ideal;
    fig_end();
}

static void fig_sleep1ms(void)
{
    fig_begin("sleep1ms");
    long n = opt.quick ? 10000 : 100000, inflight = opt.quick ? 1000 : 10000;
    const uint64_t ns = 1000000;
    int reps = reps_or(3, 1);
    double ideal = (double)n / (double)inflight * (double)ns / 1e6;
    printf("# 4. %ld tasks each sleeping 1 ms, %ld in flight (arayon_batch_process_async from "
           "main), %u workers;\n#    ideal %.1f ms. cold = the first run in a new pool (every "
           "stack touched for the first time),\n#    warm = median of %d more. Worker time per "
           "sleep + resume: busy_ns (metrics) / tasks;\n#    wall bound = elapsed x workers / "
           "tasks; cpu = process CPU time / tasks (all three: the warm batch runs);\n#    "
           "chain = the hand-written chain of figure 3 at these sizes, alternating with them\n",
           n, inflight, opt.threads, ideal, reps);
    if (reps > 64)
        reps = 64;
    long *items = calloc((size_t)n, sizeof *items);
    int *st = calloc((size_t)n, sizeof *st);
    if (!items || !st)
        die("out of memory");
    arayon_pool_t *p = pool_new(opt.threads, "async-sleep1ms");
    double cold = batch_sleep(p, n, inflight, ns, 1, items, st);
    arayon_metrics_t mc = metrics(p);
    double w[64], busy[64], wall[64], cpu[64], ch[64];
    for (int r = 0; r < reps; r++) {
        ch[r] = chain_sleep(p, n, inflight, ns);
        arayon_metrics_t a = metrics(p);
        double c0 = cpu_ns();
        w[r] = batch_sleep(p, n, inflight, ns, 1, items, st);
        double c1 = cpu_ns();
        arayon_metrics_t b = metrics(p);
        busy[r] = (double)(b.busy_ns - a.busy_ns) / (double)n;
        wall[r] = w[r] * 1e6 * opt.threads / (double)n;
        cpu[r] = (c1 - c0) / (double)n;
    }
    pool_free(&p);
    free(items);
    free(st);
    double wm = median(w, reps), bm = median(busy, reps), wb = median(wall, reps),
           cm = median(cpu, reps), chm = median(ch, reps);
    printf("# after the cold run: %llu stacks cached, %llu in use\n",
           (unsigned long long)mc.stacks_cached, (unsigned long long)mc.stacks_in_use);
    printf("ASYNC fig=sleep1ms n=%ld inflight=%ld workers=%u ideal_ms=%.1f cold_ms=%.1f "
           "cold_x=%.2f warm_ms=%.1f warm_x=%.2f busy_ns_per_op=%.0f wall_ns_per_op=%.0f "
           "cpu_ns_per_op=%.0f chain_ms=%.1f chain_x=%.2f\n",
           n, inflight, opt.threads, ideal, cold, cold / ideal, wm, wm / ideal, bm, wb, cm, chm,
           chm / ideal);
    tgt.sleep1ms_busy_ns = bm;
    tgt.sleep1ms_wall_ns = wb;
    fig_end();
}

/* ---------------------------------------------------------------------------------------
 * 5. parked: RSS and mappings of N suspendable tasks awaiting one gate task
 * ------------------------------------------------------------------------------------- */
static int g_gate_fd = -1;
static arayon_task_t *g_gate;
static atomic_long g_parked_done;

static int gate_task(void *p)
{
    (void)p;
    int rev = 0;
    int rc = arayon_wait_fd(g_gate_fd, POLLIN, ARAYON_NO_DEADLINE, &rev);
    if (rc != ARAYON_OK) {
        task_err(rc, "arayon_wait_fd (gate)");
        return 1;
    }
    return 0;
}

static int parked_task(void *p)
{
    (void)p;
    int rc = arayon_await(g_gate, ARAYON_NO_DEADLINE);
    if (rc != ARAYON_OK) {
        task_err(rc, "arayon_await (gate)");
        return 1;
    }
    atomic_fetch_add_explicit(&g_parked_done, 1, memory_order_relaxed);
    return 0;
}

static void fig_parked(void)
{
    fig_begin("parked");
    long n = opt.parked;
    printf("# 5. %ld suspendable tasks parked in arayon_await on one gate task (itself parked "
           "in arayon_wait_fd\n#    on a pipe), %u workers, default %s stacks: VmRSS, VmPTE and "
           "/proc/self/maps lines before\n#    the spawns and once all are parked; then the "
           "gate opens and all resume and finish (one run)\n",
           n, opt.threads, "64 KiB");
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe failed: %s", strerror(errno));
    g_gate_fd = fds[0];
    atomic_store(&g_parked_done, 0);
    arayon_pool_t *p = pool_new(opt.threads, "async-parked");
    check(arayon_spawn_async(p, gate_task, NULL, &g_gate), "arayon_spawn_async (gate)");
    arayon_metrics_t m0 = wait_parked(p, 1);
    long rss0 = proc_status_kib("VmRSS:"), pte0 = proc_status_kib("VmPTE:");
    long vma0 = proc_maps_count();
    arayon_scope_t *s;
    check(arayon_scope_begin(p, &s), "arayon_scope_begin");
    uint64_t t0 = now_ns();
    long spawned = 0;
    int spawn_rc = ARAYON_OK;
    for (; spawned < n; spawned++) {
        spawn_rc = spawn_async_in(p, s, parked_task, NULL, NULL);
        if (spawn_rc != ARAYON_OK)
            break;
    }
    if (spawn_rc != ARAYON_OK)
        printf("# WARN spawn %ld of %ld failed: %s (%s); measuring the %ld spawned\n",
               spawned + 1, n, arayon_errname(spawn_rc), arayon_strerror(spawn_rc), spawned);
    /* All parked, or some finished early (a failure: their await returned an error). */
    arayon_metrics_t m1 = metrics(p);
    while (m1.parked < (uint64_t)spawned + 1 && atomic_load(&g_task_errs) == 0 &&
           m1.failed == m0.failed) {
        sleep_ns(500000);
        m1 = metrics(p);
    }
    double park_ms = (double)(now_ns() - t0) / 1e6;
    long rss1 = proc_status_kib("VmRSS:"), pte1 = proc_status_kib("VmPTE:");
    long vma1 = proc_maps_count();
    print_counters("# counters with all parked:", &m1);
    uint64_t t1 = now_ns();
    if (write(fds[1], "x", 1) != 1)
        die("write to the gate pipe failed: %s", strerror(errno));
    int rc = arayon_scope_end(&s);
    double wake_ms = (double)(now_ns() - t1) / 1e6;
    check_task_errs();
    check(rc, "arayon_scope_end (parked tasks)");
    check(arayon_task_wait(g_gate), "arayon_task_wait (gate)");
    arayon_task_release(g_gate);
    g_gate = NULL;
    if (atomic_load(&g_parked_done) != spawned)
        die("%ld of %ld parked tasks finished", (long)atomic_load(&g_parked_done), spawned);
    arayon_metrics_t m2 = metrics(p);
    pool_free(&p);
    close(fds[0]);
    close(fds[1]);
    g_gate_fd = -1;
    double kib = spawned ? (double)(rss1 - rss0) / (double)spawned : 0;
    printf("# after they finished: %llu stacks cached, %llu in use\n",
           (unsigned long long)m2.stacks_cached, (unsigned long long)m2.stacks_in_use);
    printf("ASYNC fig=parked n=%ld workers=%u rss_before_kib=%ld rss_after_kib=%ld "
           "rss_delta_mib=%.1f kib_per_task=%.2f pte_delta_kib=%ld vma_before=%ld vma_after=%ld "
           "stacks_in_use=%llu spawn_park_ms=%.0f wake_all_ms=%.1f resume_ns_per_task=%.0f\n",
           spawned, opt.threads, rss0, rss1, (double)(rss1 - rss0) / 1024.0, kib, pte1 - pte0,
           vma0, vma1, (unsigned long long)m1.stacks_in_use, park_ms, wake_ms,
           spawned ? wake_ms * 1e6 / (double)spawned : 0.0);
    tgt.parked_mib = (double)(rss1 - rss0) / 1024.0;
    tgt.parked_n = (double)spawned;
    tgt.parked_vma_before = vma0;
    tgt.parked_vma_after = vma1;
    fig_end();
}

/* ---------------------------------------------------------------------------------------
 * 6. wake: timer lateness, fd wake-up from another thread
 * ------------------------------------------------------------------------------------- */
typedef struct lat_arg {
    long n;
    double *v; /* ns */
    int rfd;
    atomic_long consumed;
} lat_arg;

static int timer_lat_task(void *p)
{
    lat_arg *a = (lat_arg *)p;
    for (long i = 0; i < a->n; i++) {
        uint64_t d = arayon_now_ns() + 100000;
        int rc = arayon_sleep_until(d);
        uint64_t t = arayon_now_ns();
        if (rc != ARAYON_OK) {
            task_err(rc, "arayon_sleep_until");
            return 1;
        }
        a->v[i] = (double)(t - d);
    }
    return 0;
}

/* Reads one 8-byte stamp (the writer's clock just before its write); 1 when one was read. */
static int read_stamp(int fd, uint64_t *stamp)
{
    ssize_t r = read(fd, stamp, sizeof *stamp);
    if (r == (ssize_t)sizeof *stamp)
        return 1;
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return -1;
}

static int fd_lat_task(void *p)
{
    lat_arg *a = (lat_arg *)p;
    for (long i = 0; i < a->n;) {
        int rev = 0;
        int rc = arayon_wait_fd(a->rfd, POLLIN, ARAYON_NO_DEADLINE, &rev);
        uint64_t t = now_ns();
        if (rc != ARAYON_OK) {
            task_err(rc, "arayon_wait_fd");
            return 1;
        }
        uint64_t stamp;
        int got = read_stamp(a->rfd, &stamp);
        if (got < 0) {
            task_err(ARAYON_ESYSTEM, "read of the pipe");
            return 1;
        }
        if (got == 0)
            continue; /* woken without data: wait again */
        a->v[i] = (double)(t - stamp);
        atomic_store(&a->consumed, ++i);
    }
    return 0;
}

/* A plain thread blocked in poll(2) on the pipe: the OS's own wake-up, for reference. */
static void *poll_lat_thread(void *p)
{
    lat_arg *a = (lat_arg *)p;
    for (long i = 0; i < a->n;) {
        struct pollfd pf = {a->rfd, POLLIN, 0};
        if (poll(&pf, 1, -1) < 0 && errno != EINTR)
            break;
        uint64_t t = now_ns();
        uint64_t stamp;
        int got = read_stamp(a->rfd, &stamp);
        if (got < 0)
            break;
        if (got == 0)
            continue;
        a->v[i] = (double)(t - stamp);
        atomic_store(&a->consumed, ++i);
    }
    return NULL;
}

/* The writer: waits until the reader took the previous stamp, lets it park again (gap), then
 * writes the clock. Runs on the calling thread. */
static void lat_writer(lat_arg *a, int wfd, uint64_t gap_ns)
{
    for (long i = 0; i < a->n; i++) {
        while (atomic_load(&a->consumed) < i)
            sleep_ns(20000);
        sleep_ns(gap_ns);
        uint64_t stamp = now_ns();
        if (write(wfd, &stamp, sizeof stamp) != (ssize_t)sizeof stamp)
            die("write to the pipe failed: %s", strerror(errno));
    }
    while (atomic_load(&a->consumed) < a->n)
        sleep_ns(20000);
}

static void print_lat(const char *what, double *v, long n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    printf("#   %-44s p50 %7.1f us  p90 %7.1f  p99 %7.1f  max %8.1f  (%ld samples)\n", what,
           quantile(v, (size_t)n, 0.5) / 1e3, quantile(v, (size_t)n, 0.9) / 1e3,
           quantile(v, (size_t)n, 0.99) / 1e3, v[n - 1] / 1e3, n);
}

static void fig_wake(void)
{
    fig_begin("wake");
    long nt = opt.quick ? 500 : 10000, nn = opt.quick ? 100 : 1000,
         nf = opt.quick ? 300 : 5000, np = opt.quick ? 200 : 2000;
    const uint64_t gap = 200000; /* > the workers' spin time (50 us): they are parked */
    printf("# 6. wake-up latency, %u workers otherwise idle. timer: a suspendable task "
           "sleeps 100 us\n#    (arayon_sleep_until) %ld times, lateness = resume - deadline; "
           "nanosleep: a plain thread's\n#    clock_nanosleep(100 us), default timer slack. "
           "fd: another thread writes its clock into a pipe\n#    200 us after the previous "
           "read, a suspendable task in arayon_wait_fd reads it: write -> resume;\n#    poll: "
           "the same with a plain thread blocked in poll(2)\n",
           opt.threads, nt);
    double *vt = calloc((size_t)nt, sizeof *vt), *vn = calloc((size_t)nn, sizeof *vn),
           *vf = calloc((size_t)nf, sizeof *vf), *vp = calloc((size_t)np, sizeof *vp);
    if (!vt || !vn || !vf || !vp)
        die("out of memory");
    arayon_pool_t *p = pool_new(opt.threads, "async-wake");

    lat_arg ta = {nt, vt, -1, 0};
    arayon_task_t *h = NULL;
    check(arayon_spawn_async(p, timer_lat_task, &ta, &h), "arayon_spawn_async");
    check(arayon_task_wait(h), "arayon_task_wait (timer task)");
    arayon_task_release(h);
    check_task_errs();

    for (long i = 0; i < nn; i++) {
        uint64_t d = now_ns() + 100000;
        struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        vn[i] = (double)(now_ns() - d);
    }

    int fds[2];
    if (pipe2(fds, O_NONBLOCK) != 0)
        die("pipe2 failed: %s", strerror(errno));
    lat_arg fa = {nf, vf, fds[0], 0};
    check(arayon_spawn_async(p, fd_lat_task, &fa, &h), "arayon_spawn_async");
    lat_writer(&fa, fds[1], gap);
    check(arayon_task_wait(h), "arayon_task_wait (fd task)");
    arayon_task_release(h);
    check_task_errs();
    pool_free(&p);

    lat_arg pa = {np, vp, fds[0], 0};
    pthread_t t;
    if (pthread_create(&t, NULL, poll_lat_thread, &pa) != 0)
        die("pthread_create failed");
    lat_writer(&pa, fds[1], gap);
    pthread_join(t, NULL);
    close(fds[0]);
    close(fds[1]);

    print_lat("timer: arayon_sleep_until(+100 us) lateness", vt, nt);
    print_lat("nanosleep: clock_nanosleep lateness", vn, nn);
    print_lat("fd: write -> arayon_wait_fd resumes", vf, nf);
    print_lat("poll: write -> poll(2) returns", vp, np);
    double t50 = quantile(vt, (size_t)nt, 0.5), n50 = quantile(vn, (size_t)nn, 0.5),
           f50 = quantile(vf, (size_t)nf, 0.5), p50 = quantile(vp, (size_t)np, 0.5);
    printf("ASYNC fig=wake workers=%u timer_n=%ld timer_p50_us=%.1f timer_p99_us=%.1f "
           "nanosleep_p50_us=%.1f nanosleep_p99_us=%.1f fd_n=%ld fd_p50_us=%.1f fd_p99_us=%.1f "
           "poll_p50_us=%.1f poll_p99_us=%.1f timer_vs_nanosleep_x=%.2f fd_vs_poll_x=%.2f\n",
           opt.threads, nt, t50 / 1e3, quantile(vt, (size_t)nt, 0.99) / 1e3, n50 / 1e3,
           quantile(vn, (size_t)nn, 0.99) / 1e3, nf, f50 / 1e3,
           quantile(vf, (size_t)nf, 0.99) / 1e3, p50 / 1e3, quantile(vp, (size_t)np, 0.99) / 1e3,
           t50 / n50, f50 / p50);
    free(vt);
    free(vn);
    free(vf);
    free(vp);
    fig_end();
}

/* ---------------------------------------------------------------------------------------
 * 7. echo: N connections, a suspendable client and server task each
 * ------------------------------------------------------------------------------------- */
#define ECHO_MSG 32

typedef struct echo_conn {
    int cfd, sfd;
    long id;
    /* epoll baseline state */
    long round;
    unsigned cgot, sgot;
    char cbuf[ECHO_MSG], sbuf[ECHO_MSG];
} echo_conn;

static long g_echo_rounds;

static void echo_fill(char *m, long id, long round)
{
    for (int i = 0; i < ECHO_MSG; i++)
        m[i] = (char)('a' + (id * 7 + round * 13 + i) % 26);
}

/* Writes all n bytes, suspending in arayon_wait_fd(POLLOUT) when the socket is full. */
static int write_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w > 0) {
            b += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN) {
            int rc = arayon_wait_fd(fd, POLLOUT, ARAYON_NO_DEADLINE, NULL);
            if (rc != ARAYON_OK)
                return rc;
        } else {
            return ARAYON_ESYSTEM;
        }
    }
    return ARAYON_OK;
}

/* Reads exactly n bytes: arayon_wait_fd(POLLIN), then read, until all came. */
static int read_all(int fd, char *b, size_t n)
{
    while (n > 0) {
        int rev = 0;
        int rc = arayon_wait_fd(fd, POLLIN, ARAYON_NO_DEADLINE, &rev);
        if (rc != ARAYON_OK)
            return rc;
        for (;;) {
            ssize_t r = read(fd, b, n);
            if (r > 0) {
                b += r;
                n -= (size_t)r;
                if (n == 0)
                    break;
            } else if (r < 0 && errno == EINTR) {
                continue;
            } else if (r < 0 && errno == EAGAIN) {
                break; /* wait again */
            } else {
                return ARAYON_ESYSTEM; /* EOF or an error */
            }
        }
    }
    return ARAYON_OK;
}

static int echo_client(void *p)
{
    echo_conn *c = (echo_conn *)p;
    char msg[ECHO_MSG], back[ECHO_MSG];
    for (long r = 0; r < g_echo_rounds; r++) {
        echo_fill(msg, c->id, r);
        int rc = write_all(c->cfd, msg, sizeof msg);
        if (rc != ARAYON_OK) {
            task_err(rc, "client write");
            return 1;
        }
        rc = read_all(c->cfd, back, sizeof back);
        if (rc != ARAYON_OK) {
            task_err(rc, "client arayon_wait_fd + read");
            return 1;
        }
        if (memcmp(msg, back, sizeof msg) != 0) {
            task_err(ARAYON_EFAILED, "echo compare (the echo differs from the message)");
            return 1;
        }
    }
    return 0;
}

static int echo_server(void *p)
{
    echo_conn *c = (echo_conn *)p;
    char buf[ECHO_MSG];
    for (long r = 0; r < g_echo_rounds; r++) {
        int rc = read_all(c->sfd, buf, sizeof buf);
        if (rc != ARAYON_OK) {
            task_err(rc, "server arayon_wait_fd + read");
            return 1;
        }
        rc = write_all(c->sfd, buf, sizeof buf);
        if (rc != ARAYON_OK) {
            task_err(rc, "server write");
            return 1;
        }
    }
    return 0;
}

static double echo_arayon(arayon_pool_t *p, echo_conn *cs, long n)
{
    arayon_scope_t *s;
    uint64_t t0 = now_ns();
    check(arayon_scope_begin(p, &s), "arayon_scope_begin");
    for (long i = 0; i < n; i++) {
        check(spawn_async_in(p, s, echo_server, &cs[i], NULL), "arayon_spawn_ex (server)");
        check(spawn_async_in(p, s, echo_client, &cs[i], NULL), "arayon_spawn_ex (client)");
    }
    int rc = arayon_scope_end(&s);
    double ms = (double)(now_ns() - t0) / 1e6;
    check_task_errs();
    check(rc, "arayon_scope_end (echo tasks)");
    return ms;
}

/* One thread, one epoll instance (level-triggered), both ends of every connection. */
static double echo_epoll(echo_conn *cs, long n)
{
    int ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1 failed: %s", strerror(errno));
    for (long i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i * 2};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].cfd, &ev) != 0)
            die("epoll_ctl failed: %s", strerror(errno));
        ev.data.u64 = (uint64_t)i * 2 + 1;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].sfd, &ev) != 0)
            die("epoll_ctl failed: %s", strerror(errno));
        cs[i].round = 0;
        cs[i].cgot = cs[i].sgot = 0;
    }
    uint64_t t0 = now_ns();
    char msg[ECHO_MSG];
    for (long i = 0; i < n; i++) {
        echo_fill(msg, cs[i].id, 0);
        if (write(cs[i].cfd, msg, sizeof msg) != (ssize_t)sizeof msg)
            die("epoll baseline: short write");
    }
    long done = 0;
    struct epoll_event evs[256];
    while (done < n) {
        int k = epoll_wait(ep, evs, 256, -1);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait failed: %s", strerror(errno));
        }
        for (int e = 0; e < k; e++) {
            echo_conn *c = &cs[evs[e].data.u64 / 2];
            int server = (int)(evs[e].data.u64 & 1);
            int fd = server ? c->sfd : c->cfd;
            char *buf = server ? c->sbuf : c->cbuf;
            unsigned *got = server ? &c->sgot : &c->cgot;
            ssize_t r = read(fd, buf + *got, ECHO_MSG - *got);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0)
                die("epoll baseline: read failed (%s)", r == 0 ? "EOF" : strerror(errno));
            *got += (unsigned)r;
            if (*got < ECHO_MSG)
                continue;
            *got = 0;
            if (server) {
                if (write(fd, buf, ECHO_MSG) != ECHO_MSG)
                    die("epoll baseline: short write");
                continue;
            }
            echo_fill(msg, c->id, c->round);
            if (memcmp(msg, buf, ECHO_MSG) != 0)
                die("epoll baseline: the echo differs from the message");
            if (++c->round < g_echo_rounds) {
                echo_fill(msg, c->id, c->round);
                if (write(fd, msg, ECHO_MSG) != ECHO_MSG)
                    die("epoll baseline: short write");
            } else {
                done++;
            }
        }
    }
    double ms = (double)(now_ns() - t0) / 1e6;
    close(ep);
    return ms;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Opens up to n connections (TCP on 127.0.0.1, or socketpairs); returns how many. */
static long echo_open(echo_conn *cs, long n, int use_unix, char *why, size_t why_len)
{
    int lfd = -1;
    struct sockaddr_in addr;
    socklen_t alen = sizeof addr;
    why[0] = 0;
    if (!use_unix) {
        memset(&addr, 0, sizeof addr);
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        lfd = socket(AF_INET, SOCK_STREAM, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
            listen(lfd, SOMAXCONN) != 0 ||
            getsockname(lfd, (struct sockaddr *)&addr, &alen) != 0) {
            snprintf(why, why_len, "tcp listen failed: %s", strerror(errno));
            if (lfd >= 0)
                close(lfd);
            return -1;
        }
    }
    long i;
    for (i = 0; i < n; i++) {
        int c = -1, s = -1;
        if (use_unix) {
            int sv[2];
            if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
                snprintf(why, why_len, "socketpair %ld failed: %s", i, strerror(errno));
                break;
            }
            c = sv[0];
            s = sv[1];
        } else {
            c = socket(AF_INET, SOCK_STREAM, 0);
            if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) {
                snprintf(why, why_len, "tcp connection %ld failed: %s", i, strerror(errno));
                if (c >= 0)
                    close(c);
                break;
            }
            s = accept(lfd, NULL, NULL);
            if (s < 0) {
                snprintf(why, why_len, "accept %ld failed: %s", i, strerror(errno));
                close(c);
                break;
            }
            int one = 1;
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        if (set_nonblock(c) != 0 || set_nonblock(s) != 0)
            die("fcntl O_NONBLOCK failed: %s", strerror(errno));
        cs[i].cfd = c;
        cs[i].sfd = s;
        cs[i].id = i;
    }
    if (lfd >= 0)
        close(lfd);
    return i;
}

static void fig_echo(void)
{
    fig_begin("echo");
    int reps = reps_or(3, 1);
    long want = opt.conns;
    g_echo_rounds = opt.rounds;
    struct rlimit rl;
    char note[512] = "";
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    long limit = rl.rlim_cur == RLIM_INFINITY ? 1L << 30 : (long)rl.rlim_cur;
    long n = want;
    if (2 * n + 64 > limit) {
        n = (limit - 64) / 2;
        snprintf(note, sizeof note,
                 "capped at %ld connections by RLIMIT_NOFILE = %ld (hard limit; 2 fds each)", n,
                 limit);
    }
    echo_conn *cs = calloc((size_t)n, sizeof *cs);
    if (!cs)
        die("out of memory");
    char why[256];
    int use_unix = opt.unix_pairs;
    long got = echo_open(cs, n, use_unix, why, sizeof why);
    if (got < n && !use_unix) {
        printf("# tcp: %s; %ld connections open\n", why, got < 0 ? 0 : got);
        if (got < n / 2) { /* fall back to socketpairs */
            for (long i = 0; i < got; i++) {
                close(cs[i].cfd);
                close(cs[i].sfd);
            }
            use_unix = 1;
            got = echo_open(cs, n, 1, why, sizeof why);
        }
    }
    if (got <= 0)
        die("no connection could be opened: %s", why);
    if (got < n) {
        snprintf(note + strlen(note), sizeof note - strlen(note), "%sonly %ld opened: %s",
                 note[0] ? "; " : "", got, why);
        n = got;
    }
    const char *transport = use_unix ? "unix" : "tcp";
    printf("# 7. echo: %ld connections over %s, %u workers; per connection a suspendable "
           "server task and a\n#    suspendable client task, %ld round trips of a %d-byte "
           "message each (write, arayon_wait_fd +\n#    read); vs one thread's epoll loop "
           "(level-triggered) serving both ends of the same connections;\n#    "
           "RLIMIT_NOFILE %ld; alternating, median of %d%s%s\n",
           n, use_unix ? "AF_UNIX socketpairs" : "127.0.0.1 TCP (TCP_NODELAY)", opt.threads,
           g_echo_rounds, ECHO_MSG, limit, reps, note[0] ? "; " : "", note);
    if (reps > 64)
        reps = 64;
    arayon_pool_t *p = pool_new(opt.threads, "async-echo");
    double a[64], e[64];
    arayon_metrics_t m0 = metrics(p);
    for (int r = 0; r < reps; r++) {
        a[r] = echo_arayon(p, cs, n);
        e[r] = echo_epoll(cs, n);
    }
    arayon_metrics_t m1 = metrics(p);
    pool_free(&p);
    for (long i = 0; i < n; i++) {
        close(cs[i].cfd);
        close(cs[i].sfd);
    }
    free(cs);
    double am = median(a, reps), em = median(e, reps);
    double rt = (double)n * (double)g_echo_rounds;
    printf("# suspensions per round trip (client + server): %.2f\n",
           (double)(m1.suspended - m0.suspended) / (rt * reps));
    printf("ASYNC fig=echo transport=%s conns=%ld rounds=%ld msg_bytes=%d workers=%u "
           "nofile=%ld ms=%.1f rt_per_s=%.0f epoll_ms=%.1f epoll_rt_per_s=%.0f x_epoll=%.2f%s\n",
           transport, n, g_echo_rounds, ECHO_MSG, opt.threads, limit, am, rt / am * 1e3, em,
           rt / em * 1e3, em / am, n < want ? " capped=1" : "");
    fig_end();
}

/* ---------------------------------------------------------------------------------------
 * 8. fib with plain tasks (bench_arayon's fib)
 * ------------------------------------------------------------------------------------- */
typedef struct fib_arg {
    int n;
    uint64_t r;
} fib_arg;

static arayon_pool_t *g_fib_pool;

static int fib_task(void *p)
{
    fib_arg *a = (fib_arg *)p;
    if (a->n < 2) {
        a->r = (uint64_t)a->n;
        return 0;
    }
    fib_arg x = {a->n - 1, 0};
    fib_arg y = {a->n - 2, 0};
    arayon_scope_t *s;
    int rc = arayon_scope_begin(g_fib_pool, &s);
    if (rc != ARAYON_OK) {
        task_err(rc, "arayon_scope_begin");
        return 1;
    }
    rc = arayon_scope_spawn(s, fib_task, &x, NULL);
    if (rc != ARAYON_OK)
        task_err(rc, "arayon_scope_spawn");
    rc = arayon_scope_spawn(s, fib_task, &y, NULL);
    if (rc != ARAYON_OK)
        task_err(rc, "arayon_scope_spawn");
    rc = arayon_scope_end(&s);
    if (rc != ARAYON_OK) {
        task_err(rc, "arayon_scope_end");
        return 1;
    }
    a->r = x.r + y.r;
    return 0;
}

static uint64_t fib_ref(int n)
{
    uint64_t a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static double fib_run(int n)
{
    fib_arg top = {n, 0};
    arayon_task_t *h = NULL;
    uint64_t t0 = now_ns();
    check(arayon_spawn_handle(g_fib_pool, fib_task, &top, &h), "arayon_spawn_handle");
    check(arayon_task_wait(h), "arayon_task_wait (fib)");
    double ns = (double)(now_ns() - t0);
    arayon_task_release(h);
    check_task_errs();
    if (top.r != fib_ref(n))
        die("fib(%d) = %llu, expected %llu", n, (unsigned long long)top.r,
            (unsigned long long)fib_ref(n));
    return ns;
}

static void fig_fib(void)
{
    fig_begin("fib");
    int reps = reps_or(5, 2), n = opt.fib_n;
    double calls = 2.0 * (double)fib_ref(n + 1) - 1.0;
    printf("# 8. fib(%d) with plain tasks, %u workers (as bench_arayon --bench fib: a scope per "
           "call, both\n#    children spawned into it); ns per task = time / %.0f calls; median "
           "of %d\n",
           n, opt.threads, calls, reps);
    if (reps > 64)
        reps = 64;
    g_fib_pool = pool_new(opt.threads, "async-fib");
    fib_run(n < 20 ? n : 20);
    double v[64], best = 0;
    for (int r = 0; r < reps; r++) {
        v[r] = fib_run(n) / calls;
        if (r == 0 || v[r] < best)
            best = v[r];
    }
    pool_free(&g_fib_pool);
    double med = median(v, reps);
    printf("ASYNC fig=fib n=%d workers=%u tasks=%.0f ns_per_task=%.2f best_ns_per_task=%.2f "
           "ms=%.1f\n",
           n, opt.threads, calls, med, best, med * calls / 1e6);
    tgt.fib_ns = med;
    fig_end();
}

/* ---------------------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------------------- */
static void target(const char *what, double v, double limit, const char *fmt_v)
{
    char buf[64];
    if (v < 0) {
        printf("  n/a   %s: not measured\n", what);
        return;
    }
    snprintf(buf, sizeof buf, fmt_v, v);
    printf("  %-5s %s: %s\n", v <= limit ? "PASS" : "MISS", what, buf);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t wd;
    if (pthread_create(&wd, NULL, watchdog, NULL) != 0) {
        fprintf(stderr, "bench_async: pthread_create failed\n");
        return 1;
    }
    pthread_detach(wd);
    uint64_t t0 = now_ns();
    printf("# bench_async: suspendable tasks, arayon %s; %u workers (1 for switch and spawn), "
           "default fiber stack; %s\n",
           arayon_version(), opt.threads, opt.quick ? "--quick (sizes reduced)" : "full sizes");
    int nfig = 0;
    if (opt.figs & FIG_SWITCH)
        fig_switch(), nfig++;
    if (opt.figs & FIG_SPAWN)
        fig_spawn(), nfig++;
    if (opt.figs & FIG_SLEEP100)
        fig_sleep100(), nfig++;
    if (opt.figs & FIG_SLEEP1MS)
        fig_sleep1ms(), nfig++;
    if (opt.figs & FIG_PARKED)
        fig_parked(), nfig++;
    if (opt.figs & FIG_WAKE)
        fig_wake(), nfig++;
    if (opt.figs & FIG_ECHO)
        fig_echo(), nfig++;
    if (opt.figs & FIG_FIB)
        fig_fib(), nfig++;
    g_fig = "summary";

    printf("\ntargets (docs: suspendable-tasks.md section 3; printed, never asserted)%s\n\n",
           opt.quick ? " - --quick sizes: indicative only" : "");
    target("suspendable spawn + run <= 100 ns (warm stack cache, 1 worker)",
           tgt.spawn_async_ns, 100, "%.1f ns");
    if (tgt.spawn_plain_ns >= 0)
        printf("  info  plain spawn + run for comparison: %.1f ns\n", tgt.spawn_plain_ns);
    target("10,000 x 100 us sleeps, 100 in flight, batch_process_async <= 1.2x ideal",
           tgt.sleep100_batch_x, 1.2, "%.2fx");
    target("the same, hand-written chain of spawns <= 1.2x ideal", tgt.sleep100_chain_x, 1.2,
           "%.2fx");
    target("1 ms sleeps, worker time per sleep + resume (busy_ns) <= 500 ns",
           tgt.sleep1ms_busy_ns, 500, "%.0f ns");
    if (tgt.parked_n > 0) {
        /* 450 MiB for 100,000: scale the target to the count measured. */
        double lim = 450.0 * tgt.parked_n / 100000.0;
        char what[128];
        snprintf(what, sizeof what, "RSS of %.0f parked tasks <= %.0f MiB", tgt.parked_n, lim);
        target(what, tgt.parked_mib, lim, "%.1f MiB");
        long grow = tgt.parked_vma_after - tgt.parked_vma_before;
        printf("  %-5s mappings do not grow per stack: %ld -> %ld (+%ld for %.0f tasks)\n",
               grow < tgt.parked_n / 100 ? "PASS" : "MISS", tgt.parked_vma_before,
               tgt.parked_vma_after, grow, tgt.parked_n);
    } else {
        printf("  n/a   parked tasks RSS and mappings: not measured\n");
    }
    if (tgt.fib_ns >= 0)
        printf("  info  fib(%d) plain tasks %.2f ns/task: compare with bench_arayon --bench fib "
               "--fib %d --threads %u on the same build, and with the figure before issue 9\n",
               opt.fib_n, tgt.fib_ns, opt.fib_n, opt.threads);
    printf("\nASYNC fig=done figures=%d seconds=%.1f\n", nfig, (double)(now_ns() - t0) / 1e9);
    return 0;
}
