/*
 * cancel_taskred.c - `cancel taskgroup` among tasks with task reductions (gcc; run with
 * OMP_CANCELLATION=true). Once a taskgroup is cancelled, the tasks of that group that have not
 * started, and the ones created in it from then on, are discarded; tasks already running
 * finish. Checked where the order is certain (the cancelling task is waited for before the
 * later tasks are created):
 *   1. taskgroup task_reduction: an in_reduction task cancels; 40 in_reduction tasks created
 *      after it in the group never run, and the reduction holds the cancelling task's part;
 *   2. the same inside each iteration of a `for reduction(task, +: x)` loop (each iteration's
 *      own taskgroup), the loop's reduction intact;
 *   3. the cancelling task creates more tasks after its cancel: none runs;
 *   4. an in_reduction task of the `for reduction(task, ...)` loop, in a function of its own,
 *      cancels the loop's taskgroup (the innermost one of the task): later in_reduction tasks
 *      of that loop created by the same thread are discarded.
 * Each part checks the numbers of runs and the reduction's value.
 */
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "cancel_taskred: FAILED %s (line %d): ", #cond, __LINE__);     \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static atomic_int later_runs, child_runs, orphan_later;

static void cancelling(int *x)
{
#pragma omp task in_reduction(+ : x[0])
    {
        x[0] += 5;
#pragma omp cancel taskgroup
    }
}

static void later(int *x)
{
#pragma omp task in_reduction(+ : x[0])
    {
        atomic_fetch_add(&orphan_later, 1);
        x[0] += 1000;
    }
}

int main(void)
{
    if (!omp_get_cancellation()) {
        printf("cancel_taskred: OMP_CANCELLATION is not true; nothing to check\n");
        return 0;
    }
    /* 1 */
    int r = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
#pragma omp taskgroup task_reduction(+ : r)
    {
#pragma omp task in_reduction(+ : r)
        {
            r += 3;
#pragma omp cancel taskgroup
        }
#pragma omp taskwait
        for (int k = 0; k < 40; k++) {
#pragma omp task in_reduction(+ : r)
            {
                atomic_fetch_add(&later_runs, 1);
                r += 100;
            }
        }
    }
    CHECK(atomic_load(&later_runs) == 0, "part 1: %d tasks of the cancelled group ran",
          atomic_load(&later_runs));
    CHECK(r == 3, "part 1: reduction %d, want 3", r);

    /* 2 */
    int x = 0;
    atomic_store(&later_runs, 0);
#pragma omp parallel num_threads(2)
#pragma omp for reduction(task, + : x)
    for (int i = 0; i < 8; i++) {
#pragma omp taskgroup
        {
#pragma omp task in_reduction(+ : x)
            {
                x += 1;
#pragma omp cancel taskgroup
            }
#pragma omp taskwait
            for (int k = 0; k < 10; k++) {
#pragma omp task in_reduction(+ : x)
                {
                    atomic_fetch_add(&later_runs, 1);
                    x += 100;
                }
            }
        }
    }
    CHECK(atomic_load(&later_runs) == 0, "part 2: %d tasks of cancelled groups ran",
          atomic_load(&later_runs));
    CHECK(x == 8, "part 2: reduction %d, want 8", x);

    /* 3 */
    int y = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
#pragma omp taskgroup task_reduction(+ : y)
    {
#pragma omp task in_reduction(+ : y)
        {
            y += 1;
#pragma omp cancel taskgroup
            for (int k = 0; k < 20; k++) {
#pragma omp task in_reduction(+ : y)
                {
                    atomic_fetch_add(&child_runs, 1);
                    y += 100;
                }
            }
        }
    }
    CHECK(atomic_load(&child_runs) == 0, "part 3: %d tasks created after the cancel ran",
          atomic_load(&child_runs));
    CHECK(y == 1, "part 3: reduction %d, want 1", y);

    /* 4 */
    int z = 0;
#pragma omp parallel num_threads(2)
#pragma omp for reduction(task, + : z)
    for (int i = 0; i < 2; i++) {
        if (i == 0) {
            cancelling(&z);
#pragma omp taskwait
            for (int k = 0; k < 30; k++)
                later(&z);
        }
    }
    CHECK(atomic_load(&orphan_later) == 0,
          "part 4: %d tasks of the loop's cancelled taskgroup ran", atomic_load(&orphan_later));
    CHECK(z == 5, "part 4: reduction %d, want 5", z);

    if (failures) {
        fprintf(stderr, "cancel_taskred: %d check(s) failed\n", failures);
        return 1;
    }
    printf("cancel_taskred: OK\n");
    return 0;
}
