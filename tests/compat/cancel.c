/* cancel: cancellation (run with OMP_CANCELLATION=true; without it, every construct must run to
 * completion instead, and that is what gets checked). Only outcomes the spec guarantees are
 * checked, never timing:
 * - cancel taskgroup from an undeferred task: the rest of the cancelling task does not run, and
 *   tasks of that taskgroup that pass a cancellation point afterwards do not continue (whether
 *   they were already running, waiting for a flag set after the cancel, or created later);
 * - cancel parallel: the rest of the cancelling thread's region and everything after a barrier
 *   (a cancellation point the cancelling thread never reaches) are skipped by every thread;
 * - cancel for (schedule(static)): the thread that cancels in iteration 0 runs none of its other
 *   iterations; cancel sections: the rest of the cancelling section does not run. */
#include <string.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int failures;

__attribute__((format(printf, 3, 4))) static void fail(int line, const char *what, const char *fmt, ...)
{
  int n;
#pragma omp atomic capture
  n = ++failures;
  if (n > 20)
    return;
  va_list ap;
  va_start(ap, fmt);
#pragma omp critical(compat_report)
  {
    fprintf(stderr, "cancel.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
static void spin(int n)
{
  for (volatile int s = 0; s < n; s++)
    ;
}

int main(void)
{
  const char *env = getenv("OMP_CANCELLATION");
  int on = omp_get_cancellation();
  int env_on = env && (strcmp(env, "true") == 0 || strcmp(env, "TRUE") == 0 || strcmp(env, "1") == 0);
  CHECK(on == env_on, "omp_get_cancellation() = %d with OMP_CANCELLATION=%s", on, env ? env : "(unset)");
  int team = 0, running_checked = 0;

  /* 1. cancel taskgroup. */
  for (int rep = 0; rep < 20; rep++) {
    int after_cancel = 0, later_passed = 0, running_passed = 0, cancelled = 0, waited_out = 0;
#pragma omp parallel shared(after_cancel, later_passed, running_passed, cancelled, waited_out,     \
                            team, running_checked)
#pragma omp single
    {
      team = omp_get_num_threads();
#pragma omp taskgroup
      {
        /* Tasks that may already be running when the cancel happens: on another thread than
           the generator's, they wait for the flag the generator sets after the cancel, then
           reach a cancellation point. (On the generator's thread, or if the wait times out,
           they do not check: the generator cannot set the flag while they run there.) */
        int gen = omp_get_thread_num();
        for (int k = 0; k < 4; k++) {
#pragma omp task shared(running_passed, cancelled, waited_out, running_checked) firstprivate(gen)
          {
            double give_up = omp_get_wtime() + 2.0;
            int c;
            do {
#pragma omp atomic read seq_cst
              c = cancelled;
            } while (!c && omp_get_thread_num() != gen && omp_get_wtime() < give_up);
            if (!c) {
#pragma omp atomic
              waited_out++;
            } else {
#pragma omp atomic
              running_checked++;
#pragma omp cancellation point taskgroup
#pragma omp atomic
              running_passed++;
            }
          }
        }
#pragma omp task if(0) shared(after_cancel)
        {
#pragma omp cancel taskgroup
          after_cancel = 1;
        }
#pragma omp atomic write seq_cst
        cancelled = 1;
        /* Tasks created after the cancel. */
        for (int k = 0; k < 50; k++) {
#pragma omp task shared(later_passed)
          {
#pragma omp cancellation point taskgroup
#pragma omp atomic
            later_passed++;
          }
        }
      }
    }
    if (on) {
      CHECK(after_cancel == 0, "rep %d: the cancelling task went on after cancel taskgroup", rep);
      CHECK(later_passed == 0, "rep %d: %d tasks created after the cancel went past a cancellation "
            "point", rep, later_passed);
      CHECK(running_passed == 0, "rep %d: %d tasks went past a cancellation point after the cancel",
            rep, running_passed);
    } else {
      CHECK(after_cancel == 1 && later_passed == 50 && running_passed + waited_out == 4,
            "rep %d, cancellation off: after_cancel %d, later %d of 50, running %d + %d of 4", rep,
            after_cancel, later_passed, running_passed, waited_out);
    }
  }

  /* 2. cancel parallel. */
  for (int rep = 0; rep < 50; rep++) {
    int after_cancel = 0, after_barrier = 0, n = 0;
#pragma omp parallel shared(after_cancel, after_barrier, n)
    {
      if (omp_get_thread_num() == 0) {
        n = omp_get_num_threads();
#pragma omp cancel parallel
        after_cancel = 1;
      }
      spin(100);
#pragma omp barrier
#pragma omp atomic
      after_barrier++;
    }
    if (on)
      CHECK(after_cancel == 0 && after_barrier == 0,
            "rep %d: after cancel parallel, the canceller went on (%d), %d threads passed the barrier",
            rep, after_cancel, after_barrier);
    else
      CHECK(after_cancel == 1 && after_barrier == n, "rep %d, cancellation off: %d / %d of %d", rep,
            after_cancel, after_barrier, n);
  }

  /* 3. cancel for. */
  for (int rep = 0; rep < 50; rep++) {
    int t0_after = 0, iter0_after = 0, total = 0;
#pragma omp parallel for schedule(static) shared(t0_after, iter0_after, total)
    for (int i = 0; i < 1000; i++) {
      if (i == 0) {
#pragma omp cancel for
        iter0_after = 1;
      } else if (omp_get_thread_num() == 0) {
#pragma omp atomic
        t0_after++;
      }
#pragma omp atomic
      total++;
#pragma omp cancellation point for
    }
    if (on)
      CHECK(iter0_after == 0 && t0_after == 0,
            "rep %d: after cancel for in iteration 0, it went on (%d) and thread 0 ran %d more "
            "iterations", rep, iter0_after, t0_after);
    else
      CHECK(iter0_after == 1 && total == 1000, "rep %d, cancellation off: %d / %d of 1000", rep,
            iter0_after, total);
  }

  /* 4. cancel sections. */
  int sec_after = 0, sec_ran = 0;
#pragma omp parallel sections shared(sec_after, sec_ran)
  {
#pragma omp section
    {
#pragma omp atomic
      sec_ran++;
#pragma omp cancel sections
      sec_after = 1;
    }
#pragma omp section
    {
#pragma omp atomic
      sec_ran++;
    }
  }
  if (on)
    CHECK(sec_after == 0, "the cancelling section went on after cancel sections");
  else
    CHECK(sec_after == 1 && sec_ran == 2, "cancellation off: sections ran %d, after %d", sec_ran,
          sec_after);

  if (failures) {
    fprintf(stderr, "cancel: %d check(s) failed\n", failures);
    return 1;
  }
  printf("cancel: taskgroup (%d running tasks reached a cancellation point after the cancel), "
         "parallel, for and sections cancellation (%s), team of %d: ok\n", running_checked,
         on ? "active" : "disabled, everything ran", team);
  return 0;
}
