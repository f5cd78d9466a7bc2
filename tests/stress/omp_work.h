/*
 * omp_work.h - random OpenMP episodes that check their own results exactly (omp_work.c,
 * compiled with -fopenmp). Used by stress_omp (OpenMP alone) and by stress when it is built
 * with OpenMP (regions started from inside native tasks).
 */
#ifndef STRESS_OMP_WORK_H
#define STRESS_OMP_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ow_limits {
    unsigned max_team;  /* largest num_threads clause (more than the cores: oversubscription) */
    unsigned max_depth; /* episodes nested in tasks and regions, 0 = none */
    unsigned scale;     /* work per episode, 1 = the short mode's */
    bool cancel;        /* use the cancel constructs (checked exactly when cancellation is off) */
    bool taskloop_reduction; /* taskloops with a reduction clause (docs/stress.md, fault 6) */
    unsigned only;      /* episodes to choose from (bit i: ow_kind_name(i)), 0 = all */
    bool no_cancel_parallel; /* no "cancel parallel" (libomp 14 hangs on clang's code for
                                it; arayon did too: docs/stress.md, fault 9) */
    bool no_sections;   /* no sections construct (a TSan report with clang: docs/stress.md) */
} ow_limits;

/* Runs the episode that seed chooses, with its parameters. Returns 0 when every check
 * passed; otherwise non-zero with the first failed check in err (file:line, what, values).
 * Any thread may call it, also several at once. */
int ow_episode(uint64_t seed, const ow_limits *lim, char *err, size_t errlen);

/* The name of the episode seed chooses among those lim allows (for reports). */
const char *ow_episode_name(uint64_t seed, const ow_limits *lim);

/* The episode kinds: name of kind i, NULL past the last one. */
const char *ow_kind_name(unsigned i);

/* Called now and then while episodes run (the driver's progress tick). */
void ow_set_tick(void (*tick)(void));

#endif
