/*
 * nested_task_binding.c - the tasks of a nested region belong to that region, whoever runs
 * them (run with OMP_MAX_ACTIVE_LEVELS=2 or more).
 *
 * An outer team of two: thread 1 goes straight to the outer barrier, where it waits and may
 * run tasks; thread 0 starts inner regions of two threads, each with a single thread creating
 * tasks that create tasks of their own (deferred, each one waiting a little). The inner
 * region's closing barrier is a task scheduling point at which every task bound to the
 * region, descendants included, must be complete: after each inner region the count must be
 * whole, and each task's descendants must see their parent's team number unchanged
 * (omp_get_level, omp_get_num_threads of their binding team). A runtime that lets the waiting
 * outer thread run inner tasks and then counts their children in the outer team ends the
 * inner region early (and frees it under running tasks).
 *
 * A second part does the same with taskgroups and taskwait inside the inner tasks, and a third
 * with the roles mixed: both outer threads start inner regions.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "nested_task_binding: FAILED %s (line %d): ", #cond, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            _Pragma("omp atomic") failures++;                                              \
        }                                                                                  \
    } while (0)

static void pause_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

enum { PARENTS = 24, CHILDREN = 6, REPS = 30 };

/* One inner region: PARENTS tasks, each creating CHILDREN tasks. Returns the count seen
 * right after the region. */
static int inner_region(int level, int with_waits, int *bad_level)
{
    atomic_int count = 0;
#pragma omp parallel num_threads(2) shared(count)
    {
#pragma omp single
        for (int i = 0; i < PARENTS; i++) {
#pragma omp task shared(count)
            {
                if (omp_get_level() != level + 1) {
#pragma omp atomic
                    (*bad_level)++;
                }
                if (with_waits) {
#pragma omp taskgroup
                    {
                        for (int j = 0; j < CHILDREN; j++) {
#pragma omp task shared(count)
                            {
                                pause_us(20);
                                atomic_fetch_add(&count, 1);
                            }
                        }
                    }
                } else {
                    for (int j = 0; j < CHILDREN; j++) {
#pragma omp task shared(count)
                        {
                            if (omp_get_level() != level + 1) {
#pragma omp atomic
                                (*bad_level)++;
                            }
                            pause_us(20);
                            atomic_fetch_add(&count, 1);
                        }
                    }
                }
            }
        }
    } /* every task of the region, descendants included, is complete here */
    return atomic_load(&count);
}

int main(void)
{
    if (omp_get_max_active_levels() < 2) {
        fprintf(stderr, "nested_task_binding: needs OMP_MAX_ACTIVE_LEVELS=2 or more (is %d)\n",
                omp_get_max_active_levels());
        return 2;
    }
    int bad_level = 0;
    /* 1 and 2: thread 0 nests, thread 1 waits in the outer barrier */
    for (int with_waits = 0; with_waits < 2; with_waits++) {
#pragma omp parallel num_threads(2) shared(bad_level)
        {
            if (omp_get_thread_num() == 0) {
                for (int r = 0; r < REPS; r++) {
                    int got = inner_region(1, with_waits, &bad_level);
                    CHECK(got == PARENTS * CHILDREN,
                          "part %d, rep %d: %d of %d tasks complete at the end of the inner "
                          "region", with_waits + 1, r, got, PARENTS * CHILDREN);
                }
            }
        }
    }
    /* 3: both outer threads nest at once */
#pragma omp parallel num_threads(2) shared(bad_level)
    {
        for (int r = 0; r < REPS / 2; r++) {
            int got = inner_region(1, r & 1, &bad_level);
            CHECK(got == PARENTS * CHILDREN,
                  "part 3, thread %d, rep %d: %d of %d tasks complete at the end of the inner "
                  "region", omp_get_thread_num(), r, got, PARENTS * CHILDREN);
        }
    }
    CHECK(bad_level == 0, "%d tasks saw a nesting level other than their region's", bad_level);
    if (failures) {
        fprintf(stderr, "nested_task_binding: %d failures\n", failures);
        return 1;
    }
    printf("nested_task_binding: ok\n");
    return 0;
}
