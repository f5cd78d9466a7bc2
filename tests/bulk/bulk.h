/*
 * bulk.h - helpers shared by the bulk helper tests (tests/bulk/test_*.c).
 *
 * Include after `#define _GNU_SOURCE` and <arayon.h>. Pools, metrics and the quiescence
 * invariants come from tests/rc/rc.h, the assertions from tests/unit/check.h.
 */
#ifndef ARAYON_TEST_BULK_H
#define ARAYON_TEST_BULK_H

#include "../rc/rc.h"

/* Sizes: full in plain and ASan builds, halved under TSan (the slow one). */
#define BULK_SCALE(n) ((n) / (TEST_TSAN ? 2 : 1))

/* The difference of the counters of two snapshots of a quiescent pool, checked: every task
 * spawned in between finished exactly one way and nothing is pending. */
typedef struct bulk_delta {
    uint64_t spawned, completed, failed, cancelled, timed_out, rejected;
} bulk_delta;

static inline bulk_delta bulk_diff(const arayon_metrics_t *a, const arayon_metrics_t *b)
{
    rc_check_quiescent(b);
    bulk_delta d = {b->spawned - a->spawned,     b->completed - a->completed,
                    b->failed - a->failed,       b->cancelled - a->cancelled,
                    b->timed_out - a->timed_out, b->rejected - a->rejected};
    CHECK_EQ(d.spawned, d.completed + d.failed + d.cancelled + d.timed_out);
    return d;
}

#endif
