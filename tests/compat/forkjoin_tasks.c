/* forkjoin_tasks.c - explicit tasks across back-to-back parallel regions whose team size
 * changes (issue 15): a team keeps its threads between regions, and its join must wait for
 * the region's tasks, run by every member, while the next region may already begin.
 *
 * 1. master + tasks: in each region only thread 0 creates tasks, after the others have
 *    reached the region's end (no barrier after `master`): the join must still run them all
 *    (the others help), and the count of tasks run must be exact.
 * 2. Regions of 4, 2, 3, 1, 4, ... threads in a row, each with tasks created by one thread
 *    (single nowait) and by every thread, some of them creating children: every task runs
 *    exactly once, before the region ends (a per-region counter checked by the primary after
 *    the region, and the region number each task sees).
 * 3. A task that runs during a region's join (created last by thread 0) records which
 *    thread ran it: over many regions, not only thread 0 (when the team has more than one
 *    thread and the runtime is arayon, whose join lets the others help) - reported, not
 *    failed, since a runtime may legitimately run them all on thread 0.
 * Nothing checks time. */
#define FJ_NAME "forkjoin_tasks"
#include "forkjoin.h"

#include <stdatomic.h>

static _Atomic long ran, created;
static _Atomic int region_seen_bad;

static void leaf(long region, _Atomic long *cur_region)
{
    if (atomic_load(cur_region) != region)
        atomic_fetch_add(&region_seen_bad, 1);
    atomic_fetch_add(&ran, 1);
}

static void master_tasks(int regions, int per)
{
    static _Atomic long cur;
    for (int r = 0; r < regions; r++) {
        atomic_store(&cur, r);
        atomic_store(&ran, 0);
        atomic_store(&created, 0);
#pragma omp parallel num_threads(4)
        {
#pragma omp master
            {
                for (int k = 0; k < per; k++) {
                    atomic_fetch_add(&created, 1);
#pragma omp task
                    {
                        fj_spin(50 + (k % 7) * 30);
                        leaf(r, &cur);
                    }
                }
            }
        }
        long got = atomic_load(&ran), want = atomic_load(&created);
        CHECK(got == want && want == per, "master tasks, region %d: %ld of %ld tasks ran "
              "before the region ended (expected %d)", r, got, want, per);
    }
}

static void changing_sizes(int regions)
{
    static const int sizes[] = {4, 2, 3, 1, 4, 2, 2, 3, 4, 1, 3, 4};
    static _Atomic long cur;
    for (int r = 0; r < regions; r++) {
        int n = sizes[r % (int)(sizeof sizes / sizeof sizes[0])];
        atomic_store(&cur, r);
        atomic_store(&ran, 0);
        atomic_store(&created, 0);
        int team = 0;
#pragma omp parallel num_threads(n)
        {
#pragma omp single nowait
            {
                team = omp_get_num_threads();
                for (int k = 0; k < 8; k++) {
                    atomic_fetch_add(&created, 1);
#pragma omp task
                    {
                        atomic_fetch_add(&created, 1);
#pragma omp task
                        leaf(r, &cur); /* a child, created inside a task */
                        leaf(r, &cur);
                    }
                }
            }
            int me = omp_get_thread_num();
            for (int k = 0; k < 2 + me; k++) {
                atomic_fetch_add(&created, 1);
#pragma omp task
                {
                    fj_jitter((unsigned)r, (unsigned)k);
                    leaf(r, &cur);
                }
            }
        }
        long got = atomic_load(&ran), want = atomic_load(&created);
        CHECK(got == want, "changing sizes, region %d (team of %d): %ld of %ld tasks ran "
              "before the region ended", r, team, got, want);
        CHECK(team >= 1 && team <= n, "changing sizes, region %d: team of %d for num_threads(%d)",
              r, team, n);
    }
    CHECK(atomic_load(&region_seen_bad) == 0, "%d tasks ran outside their own region",
          atomic_load(&region_seen_bad));
}

static void join_helpers(int regions, int *helped)
{
    static _Atomic int by_other;
    atomic_store(&by_other, 0);
    for (int r = 0; r < regions; r++) {
#pragma omp parallel num_threads(2)
        {
#pragma omp master
            {
                for (int k = 0; k < 16; k++) {
#pragma omp task
                    {
                        fj_spin(2000);
                        if (omp_get_thread_num() != 0)
                            atomic_fetch_add(&by_other, 1);
                    }
                }
            }
        }
    }
    *helped = atomic_load(&by_other);
}

int main(void)
{
    fj_start();
    int regions = (int)fj_count(6000, 60, 600);
    fj_part = "master + tasks";
    master_tasks(regions, 24);
    fj_part = "changing team sizes";
    changing_sizes(regions);
    fj_part = "tasks run during the join";
    int helped = 0;
    join_helpers(regions / 4 + 1, &helped);
    char summary[160];
    snprintf(summary, sizeof summary, "%d regions x 3 parts; tasks run by thread 1 during "
             "joins: %d", regions, helped);
    return fj_finish(summary);
}
