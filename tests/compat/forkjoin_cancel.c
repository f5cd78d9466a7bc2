/* forkjoin_cancel: cancelled regions and loops, and the regions after them (issue 15; run with
 * OMP_CANCELLATION=true; without it nothing is cancelled and that is what gets checked). Each
 * round:
 * 1. a region in which one thread (a different one each round, after a perturbation) runs
 *    cancel parallel while the others reach a barrier: nobody runs the code after the cancel or
 *    after the barrier (the cancelling thread never arrives, so the barrier cannot complete
 *    normally: the others must leave it as a cancellation point);
 * 2. a region with a loop (static, 2 and, every other round, dynamic, 2) cancelled in one
 *    iteration: no iteration runs twice, the cancelling iteration runs once and stops at the
 *    cancel, and every thread then goes on with the region after the loop (only the loop was
 *    cancelled): a barrier episode and a count of the threads that got there. The dynamic
 *    loops run in gcc builds, and in clang builds only on the arayon routes (forkjoin.h:
 *    fj_all_checks), since libomp 14 mishandles them;
 * 3. a normal region right after (the one a runtime that left cancelled state or threads behind
 *    would get wrong): its team size, barrier episodes and a reduction. */
#define FJ_NAME "forkjoin_cancel"
#include "forkjoin.h"

#define CN 400
static int slot[2][FJ_MAXT];

/* A few barrier episodes; returns the number of wrong slots seen by this thread. */
static int episodes(int base, int count)
{
  int t = omp_get_thread_num(), n = omp_get_num_threads(), bad = 0;
  for (int e = 0; e < count; e++) {
    fj_jitter((unsigned)(base + e), (unsigned)t);
    slot[e & 1][t] = base + e + 1;
#pragma omp barrier
    for (int u = 0; u < n && !bad; u++)
      if (slot[e & 1][u] != base + e + 1)
        bad = 1;
  }
  return bad;
}

/* 2. A loop cancelled in one iteration, then the rest of its region; returns 1 on an error. */
static int iters[CN];

static int cancel_loop(int r, int dynamic)
{
  const int on = omp_get_cancellation();
  for (int i = 0; i < CN; i++)
    iters[i] = 0;
  int cancel_at = (r * 37) % CN, went_on = 0, after_loop = 0, ep_bad = 0, team = 0;
#pragma omp parallel shared(went_on, after_loop, ep_bad, team)
  {
    int t = omp_get_thread_num();
    if (dynamic) {
#pragma omp for schedule(dynamic, 2)
      for (int i = 0; i < CN; i++) {
#pragma omp atomic
        iters[i]++;
        if (i == cancel_at) {
#pragma omp cancel for
#pragma omp atomic
          went_on++;
        }
        if (i % 16 == 0)
          fj_jitter((unsigned)r, (unsigned)i);
#pragma omp cancellation point for
      }
    } else {
#pragma omp for schedule(static, 2)
      for (int i = 0; i < CN; i++) {
#pragma omp atomic
        iters[i]++;
        if (i == cancel_at) {
#pragma omp cancel for
#pragma omp atomic
          went_on++;
        }
        if (i % 16 == 0)
          fj_jitter((unsigned)r, (unsigned)i);
#pragma omp cancellation point for
      }
    }
    /* the loop was cancelled, not the region */
#pragma omp atomic
    after_loop++;
    if (t == 0)
      team = omp_get_num_threads();
    if (episodes(r * 1000, 2)) {
#pragma omp atomic
      ep_bad++;
    }
  }
  int twice = 0, ran = 0;
  for (int i = 0; i < CN; i++) {
    if (iters[i] > 1)
      twice++;
    ran += iters[i] > 0;
  }
  if (twice || iters[cancel_at] != 1 || (on ? went_on != 0 : went_on != 1 || ran != CN) ||
      after_loop != team || ep_bad) {
    CHECK(0, "round %d: cancel for (schedule %s) in iteration %d: %d iterations ran twice, %d "
          "ran, the cancelling one ran %d times and went on %d times, %d of %d threads got past "
          "the loop, %d saw a barrier let them through early", r, dynamic ? "dynamic" : "static",
          cancel_at, twice, ran, iters[cancel_at], went_on, after_loop, team, ep_bad);
    return 1;
  }
  return 0;
}

int main(void)
{
  fj_start();
  const int on = omp_get_cancellation();
  int rounds = (int)fj_count(1200, 20, 300);
  /* cancelled loops of a dynamic schedule: libomp 14 mishandles them (a later loop starts out
     cancelled, loops hang, or an assertion in kmp_dispatch.cpp aborts: pr->steal_flag ==
     THIEF), so they run only where fj_all_checks says */
  const int dynamic = fj_all_checks;
  int bad_rounds = 0;
  for (int r = 0; r < rounds && bad_rounds < 5; r++) {
    int bad = 0;
    /* 1. cancel parallel */
    fj_part = "1. cancel parallel";
    int after_cancel = 0, after_barrier = 0, team = 0, canceller = -1;
#pragma omp parallel shared(after_cancel, after_barrier, team, canceller)
    {
      int t = omp_get_thread_num(), n = omp_get_num_threads();
      fj_jitter((unsigned)r, (unsigned)t);
      if (t == r % n) {
        team = n;
        canceller = t;
#pragma omp cancel parallel
#pragma omp atomic
        after_cancel++;
      }
      fj_jitter((unsigned)r + 100, (unsigned)t);
#pragma omp barrier
#pragma omp atomic
      after_barrier++;
    }
    if (on ? after_cancel != 0 || after_barrier != 0
           : after_cancel != 1 || after_barrier != team) {
      CHECK(0, "round %d: cancel parallel by thread %d of %d: %d ran on after the cancel, %d "
            "passed the barrier (cancellation %s)", r, canceller, team, after_cancel,
            after_barrier, on ? "on: expected 0 and 0" : "off: expected 1 and the team");
      bad = 1;
    }

    /* 2. cancel for */
    fj_part = "2. cancel for";
    if (cancel_loop(r, dynamic && r % 2))
      bad = 1;

    /* 3. a normal region */
    fj_part = "3. a normal region after the cancelled ones";
    long sum = 0;
    int team3 = 0, ep3 = 0;
#pragma omp parallel reduction(+: sum) shared(team3, ep3)
    {
      if (omp_get_thread_num() == 0)
        team3 = omp_get_num_threads();
      if (episodes(r * 1000 + 500, 3)) {
#pragma omp atomic
        ep3++;
      }
      sum += omp_get_thread_num() + 1;
    }
    if (team3 != fj_threads || sum != (long)team3 * (team3 + 1) / 2 || ep3) {
      CHECK(0, "round %d: the region after the cancelled ones: team of %d (expected %d), "
            "reduction %ld (expected %ld), %d threads passed a barrier early", r, team3,
            fj_threads, sum, (long)team3 * (team3 + 1) / 2, ep3);
      bad = 1;
    }
    bad_rounds += bad;
  }
  char summary[200];
  snprintf(summary, sizeof summary, "%d rounds of cancel parallel, cancel for (static%s) and a "
           "normal region after them (cancellation %s)", rounds, dynamic ? " and dynamic" : "",
           on ? "on" : "off");
  return fj_finish(summary);
}
