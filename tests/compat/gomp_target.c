/* gomp_target: `target` constructs on a machine without devices, as gcc 12 builds them
 * (GOMP_target_ext, GOMP_teams4, GOMP_target_data_ext, GOMP_target_update_ext,
 * GOMP_target_enter_exit_data): every runtime runs them on the host (the host fallback).
 *  - a target region maps data in both directions and keeps firstprivate copies private;
 *  - inside it the thread is the initial thread of the device: omp_get_level() is 0, also
 *    when the target region is encountered inside a parallel region;
 *  - target teams distribute parallel for with a reduction, num_teams and thread_limit;
 *  - a teams region inside target runs every team number once;
 *  - target data / enter data / exit data / update with depend, and target nowait + depend
 *    ordered after a task that writes its input.
 * Exits 0 when every check holds. */
#include <omp.h>
#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      failures++;                                                                           \
      fprintf(stderr, "gomp_target.c:%d: check failed (%s): ", __LINE__, #cond);          \
      fprintf(stderr, __VA_ARGS__);                                                         \
      fputc('\n', stderr);                                                                  \
    }                                                                                       \
  } while (0)

#define N 1000

int main(void)
{
  int a[N], fp = 5, lvl = -1;
  for (int i = 0; i < N; i++)
    a[i] = i;

  /* 1. mapping, firstprivate, the device's initial thread */
#pragma omp target map(tofrom : a[0:N], lvl) firstprivate(fp)
  {
    lvl = omp_get_level();
    fp += 100;
    for (int i = 0; i < N; i++)
      a[i] += fp;
  }
  CHECK(fp == 5, "firstprivate fp changed on the host: %d", fp);
  CHECK(lvl == 0, "omp_get_level() in a target region = %d", lvl);
  int bad = 0;
  for (int i = 0; i < N; i++)
    bad += a[i] != i + 105;
  CHECK(bad == 0, "%d elements wrong after the target region", bad);

  /* 2. target teams distribute parallel for reduction */
  long sum = 0;
#pragma omp target teams distribute parallel for reduction(+ : sum) map(to : a[0:N]) \
    num_teams(3) thread_limit(2)
  for (int i = 0; i < N; i++)
    sum += a[i];
  CHECK(sum == (long)N * (N - 1) / 2 + 105L * N, "reduction in target teams: %ld", sum);

  /* 3. teams inside target, encountered inside a parallel region */
  int seen[8] = {0}, nteams = 0, inner_level = -1, outer_level = -1;
#pragma omp parallel num_threads(2) shared(seen, nteams, inner_level, outer_level)
#pragma omp single
  {
    outer_level = omp_get_level();
#pragma omp target map(tofrom : seen, nteams, inner_level)
    {
      inner_level = omp_get_level();
#pragma omp teams num_teams(4) thread_limit(1)
      {
        int t = omp_get_team_num();
        if (t >= 0 && t < 8)
          seen[t]++; /* each team number once: teams write distinct elements */
        if (t == 0)
          nteams = omp_get_num_teams();
      }
    }
  }
  CHECK(outer_level == 1, "omp_get_level() in the single: %d", outer_level);
  CHECK(nteams >= 1 && nteams <= 4, "omp_get_num_teams() = %d", nteams);
  CHECK(inner_level == 0, "omp_get_level() in a target region inside parallel = %d",
        inner_level);
  for (int t = 0; t < 8; t++)
    CHECK(seen[t] == (t < nteams), "team %d ran %d times (%d teams)", t, seen[t], nteams);

  /* 4. data regions, update, enter/exit data, nowait + depend */
  int b[N], ready = 0;
  for (int i = 0; i < N; i++)
    b[i] = 0;
#pragma omp target data map(tofrom : b[0:N])
  {
#pragma omp target
    for (int i = 0; i < N; i++)
      b[i] = 2 * i;
#pragma omp target update from(b[0:N])
  }
  bad = 0;
  for (int i = 0; i < N; i++)
    bad += b[i] != 2 * i;
  CHECK(bad == 0, "%d elements wrong after target data", bad);
#pragma omp target enter data map(to : b[0:N])
#pragma omp parallel num_threads(2) shared(b, ready)
#pragma omp single
  {
#pragma omp task depend(out : b[0]) shared(b, ready)
    {
      for (int i = 0; i < N; i++)
        b[i] += 1;
#pragma omp atomic write
      ready = 1;
    }
#pragma omp target nowait depend(inout : b[0]) map(tofrom : b[0:N], ready)
    {
      int r;
#pragma omp atomic read
      r = ready;
      for (int i = 0; i < N; i++)
        b[i] = r ? b[i] * 10 : -1;
    }
#pragma omp taskwait
  }
#pragma omp target exit data map(from : b[0:N])
  bad = 0;
  for (int i = 0; i < N; i++)
    bad += b[i] != (2 * i + 1) * 10;
  CHECK(bad == 0, "%d elements wrong after target nowait depend (b[1] = %d)", bad, b[1]);

  if (failures) {
    fprintf(stderr, "gomp_target: %d check(s) failed\n", failures);
    return 1;
  }
  printf("gomp_target: target regions, target teams, data regions and target nowait ok\n");
  return 0;
}
