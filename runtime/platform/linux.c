/* linux.c - Linux implementation of platform.h. */

#include "platform.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
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
