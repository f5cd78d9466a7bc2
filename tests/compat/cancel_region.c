/*
 * cancel_region.c - `cancel parallel` in many regions in a row (OMP_CANCELLATION=true): the
 * primary cancels at once; the other members may or may not see the cancel at their
 * cancellation point, and those that do not run to the end of the region. Every region must
 * end (a cancel barrier of the canceller must not pair with the join of a member that never
 * saw the cancel: that hung clang-built programs on arayon), every member that passed its
 * cancellation point without a cancel does its work, and the next region starts normally.
 * Also: a barrier between the cancel and the region's end, and cancel inside a loop.
 * libomp 14 hangs in the first part itself (a clang-built program on the reference route),
 * so there the first part runs only on arayon; gcc's programs run it on libgomp too.
 */
#include <dlfcn.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "cancel_region: FAILED %s (line %d): ", #cond, __LINE__);      \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

int main(void)
{
    if (!omp_get_cancellation()) {
        printf("cancel_region: OMP_CANCELLATION is not true; nothing to check\n");
        return 0;
    }
    atomic_long passed = 0, worked = 0;
    int regions = 5000;
#if defined(__clang__)
    if (!dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name")) {
        printf("cancel_region: on libomp the first part hangs (libomp 14); skipped there\n");
        regions = 0;
    }
#endif
    for (int r = 0; r < regions; r++) {
#pragma omp parallel
        {
            if (omp_get_thread_num() == 0) {
#pragma omp cancel parallel
            }
#pragma omp cancellation point parallel
            atomic_fetch_add(&passed, 1);
            atomic_fetch_add(&worked, 1);
        }
    }
    CHECK(atomic_load(&passed) == atomic_load(&worked), "%ld passed, %ld worked",
          atomic_load(&passed), atomic_load(&worked));

    /* a barrier after the cancellation point (a cancellation point itself) */
    for (int r = 0; r < 2000; r++) {
        int team = 0;
#pragma omp parallel
        {
            if (omp_get_thread_num() == 0 && (r & 1)) {
#pragma omp cancel parallel
            }
#pragma omp barrier
#pragma omp single nowait
            team = omp_get_num_threads();
        }
        CHECK(r & 1 || team == omp_get_max_threads(), "region %d: team %d", r, team);
    }

    /* cancel for inside a loop, then the region goes on */
    long sum = 0;
    for (int r = 0; r < 500; r++) {
#pragma omp parallel reduction(+ : sum)
        {
#pragma omp for
            for (int i = 0; i < 100; i++) {
                if (i == 50) {
#pragma omp cancel for
                }
            }
            sum += 1;
        }
    }
    CHECK(sum == 500L * omp_get_max_threads(), "after cancel for: %ld", sum);

    /* a normal region after all that */
    int n = 0;
#pragma omp parallel reduction(+ : n)
    n += 1;
    CHECK(n == omp_get_max_threads(), "a plain region: %d members", n);
    if (failures) {
        fprintf(stderr, "cancel_region: %d check(s) failed\n", failures);
        return 1;
    }
    printf("cancel_region: OK\n");
    return 0;
}
