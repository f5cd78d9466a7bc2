/*
 * platform.h - the OS layer (aryd_ prefix): futexes, the asymmetric memory barrier, clocks,
 * threads. Linux only for now; everything OS-specific stays behind these functions.
 */
#ifndef ARYD_PLATFORM_H
#define ARYD_PLATFORM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in nanoseconds. */
uint64_t aryd_now_ns(void);

/* The absolute deadline ns nanoseconds from now; 0 (no deadline) when ns is 0 or the sum
 * would overflow (a deadline that far is never reached). */
uint64_t aryd_deadline_after(uint64_t ns);

/* Blocks while *word == expected, until woken, or until the absolute monotonic deadline
 * (0 = no deadline). Returns false on timeout, true otherwise (woken, value changed, or a
 * spurious wake-up: callers always re-check their condition). */
bool aryd_futex_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline_ns);
/* Wakes up to n threads blocked on word. */
void aryd_futex_wake(_Atomic uint32_t *word, int n);

/* The heavy side of an asymmetric Dekker barrier (see runtime/sleep.md): when it returns,
 * every other thread of the process has executed a full memory barrier, so a store that a
 * thread made before its (compiler-only) light barrier is visible to us, and our stores
 * made before this call are visible to it after its light barrier.
 * Uses membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED); aryd_membarrier_init() returns false
 * when the kernel (or valgrind) lacks it, and callers then use a full fence on the light side. */
bool aryd_membarrier_init(void);
void aryd_membarrier(void);

static inline void aryd_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

void aryd_yield(void);

/* The CPU the calling thread runs on now (sched_getcpu: glibc reads it from rseq), or -1. */
int aryd_current_cpu(void);

/* Moves the calling thread off `cpu` to another CPU of its affinity mask, and gives it its
 * mask back (the scheduler does not move it back without a reason). Returns false, and does
 * nothing, when the mask has no other CPU. */
bool aryd_move_off_cpu(int cpu);

/* Number of CPUs this process may run on (sched_getaffinity), at least 1. */
unsigned aryd_allowed_cpus(void);

/* The CPUs this process can actually use at once: aryd_allowed_cpus(), lowered by a cgroup
 * CPU quota (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us, rounded up):
 * a container limited to 1.5 CPUs on a 64-CPU host gets 2. At least 1. */
unsigned aryd_usable_cpus(void);

/* The calling thread's stack: its lowest address and its size (the main thread's as its
 * rlimit allows it to grow). false when the system does not say. */
bool aryd_stack_bounds(uintptr_t *lo, size_t *size);

#endif
