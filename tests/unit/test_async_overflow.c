/*
 * test_async_overflow.c - a suspendable task that overflows its stack is caught: the process
 * prints a message containing "stack overflow" on stderr and dies (abort or a signal), rather
 * than corrupting memory silently.
 *
 * Each case forks a child that creates a pool and spawns one suspendable task; the parent
 * captures the child's stderr through a pipe, waits for it (killing it after a hang guard),
 * and checks how it ended and what it printed. The cases:
 *
 *   control      the task recurses 16 frames of 1 KiB (well inside 64 KiB): the child exits 0
 *                and prints no overflow message (so the checks below can tell)
 *   at once      the task recurses 1 KiB frames (touching every page, so a guard page cannot
 *                be jumped over) far past the default 64 KiB
 *   resumed      the same after the task suspended and resumed once (arayon_sleep)
 *   256 KiB      fiber_stack_size 256 KiB, recursion well past it
 *
 * Under AddressSanitizer the runtime leaves the fault to ASan's own SEGV handler, which
 * reports "stack-overflow on address ..." (or "SEGV on unknown address"): that report is
 * accepted there. Under ThreadSanitizer the runtime installs no handler either and TSan prints
 * nothing for a fault on a fiber stack: the child dies of a bare SIGSEGV, which is accepted
 * there (the checks that it died, by a signal, and that the control case does not, remain).
 */
#define _GNU_SOURCE
#include <arayon.h>

#include <errno.h>
#include <poll.h>
#include <sys/wait.h>

#include "check.h"

#define MS 1000000ull
#define KIB ((size_t)1024)

/* Each frame holds a 1 KiB volatile array, written at both ends so every page the stack
 * grows through is touched. The arithmetic after the call keeps it from being a tail call. */
static int recurse(int n)
{
    volatile char buf[1024];
    buf[0] = (char)n;
    buf[sizeof buf - 1] = (char)(n >> 1);
    if (n <= 0)
        return buf[0];
    return recurse(n - 1) + buf[0] + buf[sizeof buf - 1];
}

typedef struct child_case {
    const char *name;
    int depth;            /* frames of ~1 KiB */
    int sleep_first;      /* suspend once before recursing */
    size_t fiber_stack;   /* 0 = the default */
    int expect_overflow;
    int park;             /* suspended tasks alive when the overflow happens */
} child_case;

static const child_case *g_case;

static int overflow_task(void *arg)
{
    (void)arg;
    if (g_case->sleep_first && arayon_sleep(1 * MS) != ARAYON_OK)
        return 2;
    return recurse(g_case->depth) == 12345 ? 3 : 0;
}

static int gate_fn(void *arg)
{
    return arayon_wait_fd((int)(intptr_t)arg, POLLIN, ARAYON_NO_DEADLINE, NULL) == ARAYON_OK ? 0
                                                                                             : 1;
}

static arayon_task_t *g_gate;
static int parked_fn(void *arg)
{
    (void)arg;
    return arayon_await(g_gate, ARAYON_NO_DEADLINE) == ARAYON_OK ? 0 : 1;
}

/* The child: returns from the task only when nothing overflowed. */
static _Noreturn void child_main(const child_case *c)
{
    g_case = c;
    unsetenv("ARAYON_FIBER_STACK"); /* the default must be the documented 64 KiB */
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 2;
    cfg.fiber_stack_size = c->fiber_stack;
    arayon_pool_t *p = NULL;
    int rc = arayon_pool_create(&cfg, &p);
    if (rc != ARAYON_OK) {
        fprintf(stderr, "child: arayon_pool_create: %s\n", arayon_errname(rc));
        _exit(10);
    }
    if (c->park > 0) { /* many stacks in use first: the overflowing one is a late one */
        int pfd[2];
        if (pipe(pfd) != 0 ||
            arayon_spawn_async(p, gate_fn, (void *)(intptr_t)pfd[0], &g_gate) != ARAYON_OK)
            _exit(10);
        for (int i = 0; i < c->park; i++)
            if (arayon_spawn_async(p, parked_fn, NULL, NULL) != ARAYON_OK)
                _exit(11);
        arayon_metrics_t m;
        uint64_t t0 = test_now_ns();
        do {
            test_sleep_us(1000);
            if (arayon_pool_metrics(p, &m) != ARAYON_OK || test_now_ns() - t0 > 20000000000ull)
                _exit(10);
        } while (m.parked < (uint64_t)c->park);
    }
    arayon_task_t *h = NULL;
    rc = arayon_spawn_async(p, overflow_task, NULL, &h);
    if (rc != ARAYON_OK) {
        fprintf(stderr, "child: arayon_spawn_async: %s\n", arayon_errname(rc));
        _exit(11);
    }
    rc = arayon_task_wait(h);
    int r = -1;
    arayon_task_result(h, &r);
    arayon_task_release(h);
    arayon_pool_destroy(&p);
    fprintf(stderr, "child: the task returned (outcome %s, value %d)\n", arayon_errname(rc), r);
    fflush(stderr);
    _exit(rc == ARAYON_OK ? 0 : 12);
}

/* Runs the case in a child; returns its wait status and fills out with its stderr. */
static int run_child(const child_case *c, char *out, size_t cap)
{
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK_GE(pid, 0);
    if (pid == 0) {
        close(pfd[0]);
        dup2(pfd[1], 2);
        close(pfd[1]);
        child_main(c);
    }
    close(pfd[1]);
    size_t len = 0;
    uint64_t t0 = test_now_ns();
    bool killed = false;
    for (;;) {
        struct pollfd q = {.fd = pfd[0], .events = POLLIN};
        int n = poll(&q, 1, 200);
        if (n < 0 && errno == EINTR)
            continue;
        CHECK_GE(n, 0);
        if (n > 0) {
            char tmp[4096];
            ssize_t k = read(pfd[0], tmp, sizeof tmp);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break; /* EOF: the child (and every copy of its stderr) is gone */
            size_t room = cap - 1 - len;
            size_t take = (size_t)k < room ? (size_t)k : room;
            memcpy(out + len, tmp, take);
            len += take;
        }
        if (!killed && test_now_ns() - t0 > UINT64_C(40) * 1000000000u) {
            fprintf(stderr, "   child hung: killing it\n");
            kill(pid, SIGKILL);
            killed = true;
        }
    }
    out[len] = '\0';
    close(pfd[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        CHECK_EQ(errno, EINTR);
    CHECK_MSG(!killed, "case '%s': the child hung (stderr: %s)", c->name, out);
    return st;
}

static void describe(int st, char *buf, size_t cap)
{
    if (WIFSIGNALED(st))
        snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WIFEXITED(st))
        snprintf(buf, cap, "exit %d", WEXITSTATUS(st));
    else
        snprintf(buf, cap, "status 0x%x", st);
}

static void run_case(const child_case *c)
{
    test_phase(c->name);
    static char out[65536];
    int st = run_child(c, out, sizeof out);
    char how[128];
    describe(st, how, sizeof how);
    fprintf(stderr, "   child: %s\n", how);
    bool said_overflow = strstr(out, "stack overflow") != NULL;
    if (!c->expect_overflow) {
        CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "control child: %s; stderr:\n%s", how,
                  out);
        CHECK_MSG(!said_overflow, "control child reported an overflow:\n%s", out);
        return;
    }
    CHECK_MSG(!(WIFEXITED(st) && WEXITSTATUS(st) == 0),
              "the overflow went unnoticed: child exited 0; stderr:\n%s", out);
    /* the child failing before the task overflowed is not what is tested here */
    CHECK_MSG(!(WIFEXITED(st) && WEXITSTATUS(st) >= 10 && WEXITSTATUS(st) <= 11),
              "child setup failed: %s; stderr:\n%s", how, out);
    bool ok = said_overflow;
    if (TEST_ASAN && !ok)
        ok = strstr(out, "stack-overflow") != NULL || strstr(out, "SEGV") != NULL;
    if (TEST_TSAN && !ok && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) {
        fprintf(stderr, "   (TSan: a bare SIGSEGV, no message; accepted under TSan)\n");
        ok = true;
    }
    CHECK_MSG(ok, "child %s without saying \"stack overflow\"; its stderr:\n%s", how, out);
    /* show the first line of what it said */
    const char *line = strstr(out, "stack overflow");
    if (!line)
        line = strstr(out, "stack-overflow");
    if (!line)
        line = strstr(out, "SEGV");
    if (!line)
        line = out;
    const char *nl = strchr(line, '\n');
    fprintf(stderr, "   said: %.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line);
}

int main(void)
{
    test_watchdog(110);
    static const child_case cases[] = {
        {"control: 16 KiB of recursion fits", 16, 0, 0, 0, 0},
        {"overflow at once (default 64 KiB stack)", 8192, 0, 0, 1, 0},
        {"overflow after a suspension", 8192, 1, 0, 1, 0},
        {"overflow of a 256 KiB stack", 16384, 0, 256 * KIB, 1, 0},
        /* past the 16384 stacks that get mprotect guards on kernels without
         * MADV_GUARD_INSTALL (fiber.c); TSan cannot hold that many fibers */
        {"overflow with 20000 other tasks suspended", 8192, 0, 0, 1, 20000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (TEST_TSAN && cases[i].park > 8000) {
            fprintf(stderr, "-- %s: skipped under TSan (at most 8128 fibers)\n", cases[i].name);
            continue;
        }
        run_case(&cases[i]);
    }
    puts("test_async_overflow: ok");
    return 0;
}
