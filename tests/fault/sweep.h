/*
 * sweep.h - the allocation-failure sweep (sweep.c): runs a workload in forked children with
 * the k-th allocation failing (or every one from the k-th on), for k = 0, 1, 2, ... until a
 * run reaches no injected failure, and checks how each child ended.
 *
 * The harness interposes malloc, calloc, realloc, aligned_alloc, posix_memalign, memalign
 * and anonymous mmap (the stacks of suspendable tasks) in the executable, so the runtime's
 * calls (libarayon.so, libarayon-omp.so) and libc's internal ones (strdup, pthread_create's
 * thread-local blocks) go through it.
 *
 * A child passes when it exits 0 (its workload returned 0: results right, every task
 * accounted for) and printed no "arayon:" line that is not a documented fallback, or when it
 * ended by SIGABRT right after one documented fatal message (docs/design/openmp-compat.md,
 * "Running out of memory"; both lists are in sweep.c). Anything else fails the sweep: another
 * signal, another exit status, an undocumented message, a hang (a timeout per child).
 *
 * Each failed allocation is recorded (its backtrace, in memory shared with the parent); the
 * parent names the site (the innermost frame in an arayon library, file:line through
 * addr2line when it is installed) and prints the sites reached with what each led to.
 *
 * This header is plain C (no OpenMP): OpenMP workloads include it and are compiled with
 * clang or gcc -fopenmp, sweep.c with the project's compiler.
 */
#ifndef ARAYON_FAULT_SWEEP_H
#define ARAYON_FAULT_SWEEP_H

typedef struct fault_workload {
    const char *name;
    /* In the child before failures are armed (warm-up: starts the runtime); may be NULL.
     * Returns 0 when all went well. */
    int (*setup)(void);
    /* In the child, armed: the workload. Returns 0 when its results are right (every task
     * ran or is accounted for), anything else after printing why on stderr. */
    int (*run)(void);
    /* In the child after failures are disarmed: the counters (metrics) add up. May be NULL.
     * Returns 0 when they do. */
    int (*check)(void);
} fault_workload;

/* Parses the options (--help lists them), runs the sweep, prints a summary and the
 * allocation sites reached; returns the process exit status (0: every child passed). */
int fault_main(int argc, char **argv, const fault_workload *w);

/* Failures injected so far in this child (0 in the parent). Workloads use it to tell a
 * fallback they must accept (fewer threads, a task run at once) from a real bug. */
long fault_injected(void);

/* Arms or disarms injection in the child (the harness arms around run(); a workload may
 * disarm for a section it must not disturb, like the check of its own results). */
void fault_pause(int paused);

#endif
