/*
 * stress_util.h - what the stress drivers share: the clock, the progress watchdog, the
 * failure report (seed and replay command first), busy background processes and backtraces
 * of every thread through gdb.
 *
 * Include once per program, in its driver (it has static state), after `#define _GNU_SOURCE`.
 *
 *   st_init(argv0, seed)       records what a failure report needs; call first.
 *   st_set_replay(fmt, ...)    the command line that replays the current round.
 *   st_tick()                  "something happened": every task and operation calls it.
 *   st_watchdog_start(s, dump) a thread that reports a hang when st_tick() was not called for
 *                              s seconds: the message, dump() (the program's state), the
 *                              backtraces of all threads (gdb, unless st_opt_gdb is false),
 *                              then abort() with the seed.
 *   st_fail(fmt, ...)          a failed check: the same report (without gdb), then abort();
 *                              st_fail_bt(fmt, ...) adds the backtraces (a wait that never
 *                              ended).
 *   st_busy_start(k)           k child processes that spin until the program ends or dies
 *                              (PR_SET_PDEATHSIG), to force preemption of the workers.
 */
#ifndef STRESS_UTIL_H
#define STRESS_UTIL_H

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress_rng.h"

/* ---- sanitizers ----------------------------------------------------------------------- */
#if defined(__SANITIZE_THREAD__)
#define ST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ST_ASAN 1
#endif
#endif
#ifndef ST_TSAN
#define ST_TSAN 0
#endif
#ifndef ST_ASAN
#define ST_ASAN 0
#endif
#define ST_SANITIZED (ST_TSAN || ST_ASAN)
#define ST_BUILD_NAME (ST_TSAN ? "tsan" : ST_ASAN ? "asan" : "plain")

/* ---- clock ---------------------------------------------------------------------------- */
#define ST_US UINT64_C(1000)
#define ST_MS UINT64_C(1000000)
#define ST_SEC UINT64_C(1000000000)

static inline uint64_t st_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * ST_SEC + (uint64_t)ts.tv_nsec;
}

static inline void st_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / ST_SEC), (long)(ns % ST_SEC)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- state ---------------------------------------------------------------------------- */
typedef void (*st_dump_fn)(FILE *out);

static struct {
    const char *argv0;
    uint64_t seed;
    char replay[1024];
    pthread_mutex_t replay_lock;
    _Atomic uint64_t progress;
    _Atomic int failing;       /* a report is being written: other failures wait */
    unsigned stall_s;
    st_dump_fn dump;
    pthread_t wd;
    bool wd_running;
    _Atomic int wd_stop;
    pid_t busy[256];
    unsigned nbusy;
    _Atomic bool want_bt;      /* the failure is a wait that never ended: add backtraces */
} st = {.replay_lock = PTHREAD_MUTEX_INITIALIZER};

/* Backtraces of every thread when a hang is reported (--no-gdb turns them off). */
static bool st_opt_gdb = true;

/* What a fatal signal's handler needs, prepared beforehand (it may only make
 * async-signal-safe calls): the report's text, gdb's path and arguments. */
static struct {
    char head[1400];
    size_t head_len;
    char gdb[512];
    char pid[32];
} st_crash;

static inline void st_tick(void) { atomic_fetch_add_explicit(&st.progress, 1, memory_order_relaxed); }

static void st_init(const char *argv0, uint64_t seed)
{
    st.argv0 = argv0;
    st.seed = seed;
    /* Let gdb, started by the watchdog, attach to this process (Yama ptrace scope 1). */
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
}

static void st_set_replay(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void st_set_replay(const char *fmt, ...)
{
    pthread_mutex_lock(&st.replay_lock);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st.replay, sizeof st.replay, fmt, ap);
    va_end(ap);
    /* the crash report, ready for a signal handler (a torn copy is possible, harmless) */
    int n = snprintf(st_crash.head, sizeof st_crash.head,
                     "stress: seed %" PRIu64 " (build %s)\nstress: replay: %s\n", st.seed,
                     ST_BUILD_NAME, st.replay);
    st_crash.head_len = n < 0 ? 0 : (size_t)n < sizeof st_crash.head ? (size_t)n
                                                                      : sizeof st_crash.head - 1;
    pthread_mutex_unlock(&st.replay_lock);
}

/* ---- busy processes ------------------------------------------------------------------- */
static void st_busy_stop(void)
{
    for (unsigned i = 0; i < st.nbusy; i++)
        kill(st.busy[i], SIGKILL);
    for (unsigned i = 0; i < st.nbusy; i++)
        waitpid(st.busy[i], NULL, 0);
    st.nbusy = 0;
}

/* Call before any thread is started (fork). */
static int st_busy_start(unsigned k)
{
    pid_t parent = getpid();
    if (k > sizeof st.busy / sizeof st.busy[0])
        k = sizeof st.busy / sizeof st.busy[0];
    for (unsigned i = 0; i < k; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            if (getppid() != parent)
                _exit(0);
            volatile uint64_t x = 0;
            for (;;)
                x++;
        }
        st.busy[st.nbusy++] = pid;
    }
    atexit(st_busy_stop);
    return 0;
}

/* ---- reports -------------------------------------------------------------------------- */
static void st_report_head(const char *what)
{
    pthread_mutex_lock(&st.replay_lock);
    fprintf(stderr,
            "\nstress: %s\nstress: seed %" PRIu64 " (build %s)\nstress: replay: %s\n", what,
            st.seed, ST_BUILD_NAME, st.replay[0] ? st.replay : "(no round started)");
    pthread_mutex_unlock(&st.replay_lock);
}

/* All threads' backtraces, from gdb attached to this process. */
static void st_gdb_backtraces(void)
{
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    fflush(stderr);
    pid_t c = fork();
    if (c < 0)
        return;
    if (c == 0) {
        dup2(2, 1);
        execlp("gdb", "gdb", "-q", "-n", "-batch", "-p", pid, "-ex", "set pagination off",
               "-ex", "info threads", "-ex", "thread apply all bt 40", (char *)NULL);
        fprintf(stderr, "stress: (no gdb: %s)\n", strerror(errno));
        _exit(127);
    }
    uint64_t until = st_now_ns() + 180 * ST_SEC;
    for (;;) {
        pid_t r = waitpid(c, NULL, WNOHANG);
        if (r == c || (r < 0 && errno != EINTR))
            return;
        if (st_now_ns() > until) {
            kill(c, SIGKILL);
            waitpid(c, NULL, 0);
            return;
        }
        st_sleep_ns(20 * ST_MS);
    }
}

static _Noreturn void st_die(void)
{
    fprintf(stderr, "stress: seed %" PRIu64 "\n", st.seed);
    fflush(stdout);
    fflush(stderr);
    st_busy_stop();
    abort();
}

/* Only the first failing thread reports; the others wait for the abort. */
static bool st_claim_report(void)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&st.failing, &expected, 1))
        return true;
    for (;;)
        pause();
}

static _Noreturn void st_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void st_fail(const char *fmt, ...)
{
    st_claim_report();
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    st_report_head("FAILED");
    fprintf(stderr, "stress: %s\n", msg);
    if (st.dump)
        st.dump(stderr);
    if (atomic_load(&st.want_bt) && st_opt_gdb) {
        fprintf(stderr, "stress: backtraces of all threads (gdb):\n");
        st_gdb_backtraces();
    }
    st_die();
}

/* st_fail for a wait that never ended: the report has every thread's backtrace too. */
#define st_fail_bt(...) (atomic_store(&st.want_bt, true), st_fail(__VA_ARGS__))

/* ---- fatal signals --------------------------------------------------------------------- */
static void st_write_str(const char *s) { (void)!write(2, s, strlen(s)); }

/* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT from anywhere (a worker, a task): the seed and the
 * replay command, the backtraces (gdb attached to this process), then the signal's default
 * action (a core dump where they are enabled: --core). Only async-signal-safe calls. The
 * runtime's own SIGSEGV handler (suspendable tasks' stack guards) passes other faults on to
 * this one. */
static void st_fatal_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    static _Atomic int once;
    if (atomic_exchange(&once, 1) == 0 && atomic_load(&st.failing) == 0) {
        st_write_str("\nstress: FATAL: ");
        st_write_str(sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGILL
                     ? "SIGILL" : sig == SIGFPE ? "SIGFPE" : "SIGABRT");
        char addr[40] = " at address 0x";
        uintptr_t a = (uintptr_t)si->si_addr;
        char hex[17];
        int k = 16;
        hex[k] = 0;
        do {
            hex[--k] = "0123456789abcdef"[a & 15];
            a >>= 4;
        } while (a && k);
        strcat(addr, hex + k);
        if (sig != SIGABRT)
            st_write_str(addr);
        st_write_str("\n");
        (void)!write(2, st_crash.head, st_crash.head_len);
        if (st_opt_gdb && st_crash.gdb[0]) {
            st_write_str("stress: backtraces of all threads (gdb):\n");
            pid_t c = fork();
            if (c == 0) {
                dup2(2, 1);
                char *const argv[] = {st_crash.gdb, "-q", "-n", "-batch", "-p", st_crash.pid,
                                      "-ex", "set pagination off", "-ex", "info threads",
                                      "-ex", "thread apply all bt 40", NULL};
                char *const envp[] = {NULL};
                execve(st_crash.gdb, argv, envp);
                _exit(127);
            }
            if (c > 0)
                while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
                    ;
        }
        for (unsigned i = 0; i < st.nbusy; i++)
            kill(st.busy[i], SIGKILL);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Installs the handler (before any pool exists, so that the runtime chains to it) and, with
 * core, raises the core size limit to the hard one. */
static void st_fatal_signals(bool core)
{
    snprintf(st_crash.pid, sizeof st_crash.pid, "%d", (int)getpid());
    /* gdb's path, looked up in PATH now (execve in the handler does no lookup) */
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && n < sizeof st_crash.gdb - 5) {
            memcpy(st_crash.gdb, p, n);
            memcpy(st_crash.gdb + n, "/gdb", 5);
            if (access(st_crash.gdb, X_OK) == 0)
                break;
        }
        st_crash.gdb[0] = 0;
        p += n + (e != NULL);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = st_fatal_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    if (core) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_CORE, &rl) == 0) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_CORE, &rl);
        }
    }
}

/* ---- watchdog ------------------------------------------------------------------------- */
static void *st_watchdog_main(void *arg)
{
    (void)arg;
    uint64_t last = atomic_load(&st.progress);
    uint64_t since = st_now_ns();
    while (!atomic_load(&st.wd_stop)) {
        st_sleep_ns(100 * ST_MS);
        uint64_t now = st_now_ns(), p = atomic_load(&st.progress);
        if (p != last) {
            last = p;
            since = now;
            continue;
        }
        if (now - since < (uint64_t)st.stall_s * ST_SEC || atomic_load(&st.failing))
            continue;
        st_claim_report();
        char what[128];
        snprintf(what, sizeof what, "HANG: no progress for %u s", st.stall_s);
        st_report_head(what);
        if (st.dump)
            st.dump(stderr);
        if (st_opt_gdb) {
            fprintf(stderr, "stress: backtraces of all threads (gdb):\n");
            st_gdb_backtraces();
        }
        st_die();
    }
    return NULL;
}

static void st_watchdog_start(unsigned stall_s, st_dump_fn dump)
{
    st.stall_s = stall_s;
    st.dump = dump;
    if (stall_s && pthread_create(&st.wd, NULL, st_watchdog_main, NULL) == 0)
        st.wd_running = true;
}

static void st_watchdog_stop(void)
{
    if (!st.wd_running)
        return;
    atomic_store(&st.wd_stop, 1);
    pthread_join(st.wd, NULL);
    st.wd_running = false;
}

/* ---- command line --------------------------------------------------------------------- */
/* Parses an unsigned decimal (or 0x hex) number; false on garbage or overflow. */
static bool st_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* A seed from the clock and the pid, for runs without --seed. */
static uint64_t st_random_seed(void)
{
    uint64_t x = st_now_ns() ^ ((uint64_t)getpid() << 32);
    return st_splitmix(&x) % 1000000000000ull; /* short enough to type */
}

#endif
