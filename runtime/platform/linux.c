/* linux.c - Linux implementation of platform.h. */

#include "platform.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint64_t aryd_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t aryd_deadline_after(uint64_t ns)
{
    if (!ns)
        return 0;
    uint64_t now = aryd_now_ns();
    return ns > UINT64_MAX - now ? 0 : now + ns;
}

bool aryd_futex_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline_ns)
{
    struct timespec ts, *tsp = NULL;
    int op = FUTEX_WAIT_PRIVATE;
    if (deadline_ns) {
        /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. */
        ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
        ts.tv_nsec = (long)(deadline_ns % 1000000000u);
        tsp = &ts;
        op = FUTEX_WAIT_BITSET_PRIVATE;
    }
    long r = syscall(SYS_futex, (uint32_t *)word, op, expected, tsp, NULL, FUTEX_BITSET_MATCH_ANY);
    return !(r == -1 && errno == ETIMEDOUT);
}

void aryd_futex_wake(_Atomic uint32_t *word, int n)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static int membarrier_state; /* 0 unknown, 1 available, -1 not available; set under once */
static pthread_once_t membarrier_once = PTHREAD_ONCE_INIT;

static void membarrier_probe(void)
{
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0);
    if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) == 0 &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0)
        membarrier_state = 1;
    else
        membarrier_state = -1;
}

bool aryd_membarrier_init(void)
{
    pthread_once(&membarrier_once, membarrier_probe);
    return membarrier_state == 1;
}

void aryd_membarrier(void)
{
    atomic_thread_fence(memory_order_seq_cst);
    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0);
    atomic_thread_fence(memory_order_seq_cst);
}

void aryd_yield(void) { sched_yield(); }

int aryd_current_cpu(void) { return sched_getcpu(); }

bool aryd_move_off_cpu(int cpu)
{
    cpu_set_t mask, other;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof mask, &mask) != 0 ||
        !CPU_ISSET(cpu, &mask) || CPU_COUNT(&mask) < 2)
        return false;
    other = mask;
    CPU_CLR(cpu, &other);
    if (sched_setaffinity(0, sizeof other, &other) != 0)
        return false;
    (void)sched_setaffinity(0, sizeof mask, &mask);
    return true;
}

unsigned aryd_allowed_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return (unsigned)n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

/* Reads up to two integers from a small file; "max" reads as -1. Returns how many. */
static int read_two(const char *path, long long *a, long long *b)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char buf[128];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    char *s = buf, *end;
    long long v[2];
    int n = 0;
    while (n < 2) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        if (!strncmp(s, "max", 3)) {
            v[n++] = -1;
            s += 3;
            continue;
        }
        v[n] = strtoll(s, &end, 10);
        if (end == s)
            break;
        n++;
        s = end;
    }
    if (n > 0)
        *a = v[0];
    if (n > 1)
        *b = v[1];
    return n;
}

/* The quota of the cgroup this process is in (its own directory, not the hierarchy above:
 * that is where container runtimes put the limit). */
static unsigned cgroup_quota_cpus(void)
{
    long long quota = -1, period = 0;
    if (read_two("/sys/fs/cgroup/cpu.max", &quota, &period) == 2 && quota > 0 && period > 0)
        return (unsigned)((quota + period - 1) / period);
    long long q1 = -1, p1 = 0, dummy;
    if (read_two("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", &q1, &dummy) >= 1 &&
        read_two("/sys/fs/cgroup/cpu/cpu.cfs_period_us", &p1, &dummy) >= 1 && q1 > 0 && p1 > 0)
        return (unsigned)((q1 + p1 - 1) / p1);
    return 0;
}

unsigned aryd_usable_cpus(void)
{
    unsigned n = aryd_allowed_cpus(), q = cgroup_quota_cpus();
    if (q && q < n)
        n = q;
    return n ? n : 1u;
}

bool aryd_stack_bounds(uintptr_t *lo, size_t *size)
{
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return false;
    void *addr = NULL;
    size_t sz = 0;
    int rc = pthread_attr_getstack(&a, &addr, &sz);
    pthread_attr_destroy(&a);
    if (rc != 0 || !addr || !sz)
        return false;
    *lo = (uintptr_t)addr;
    *size = sz;
    return true;
}
