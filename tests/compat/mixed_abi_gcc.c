/* mixed_abi_gcc.c: the half of mixed_abi built by gcc -fopenmp (GOMP_* entry points); see
 * mixed_abi.c. Every function here is called from inside a region or task that clang-compiled
 * code created, or creates a region or taskgroup that clang-compiled code runs in. */
#include <omp.h>
#include "mixed_abi.h"

long gcc_orphan_for(int n)
{
  static long sum; /* shared by the team: reset by a single, read after the loop's barrier */
#pragma omp single
  sum = 0;
#pragma omp for schedule(guided) reduction(+ : sum)
  for (int i = 0; i < n; i++)
    sum += i;
  long r = sum;
#pragma omp barrier
  return r; /* (the barrier: no thread resets sum in a next call before all have read it) */
}

void gcc_tasks(long *cells, int n)
{
  for (int i = 0; i < n; i++) {
#pragma omp task firstprivate(i)
    {
      for (volatile int s = 0; s < 200; s++)
        ;
      __atomic_store_n(&cells[i], (long)i * 3 + 1, __ATOMIC_RELEASE);
    }
  }
}

void gcc_tasks_taskwait(long *cells, int n)
{
  for (int i = 0; i < n; i++) {
#pragma omp task firstprivate(i)
    {
#pragma omp task firstprivate(i)
      __atomic_store_n(&cells[i], (long)i * 5 + 2, __ATOMIC_RELEASE);
#pragma omp taskwait
      MIXED_CHECK(__atomic_load_n(&cells[i], __ATOMIC_ACQUIRE) == (long)i * 5 + 2,
                  "gcc task %d: after its taskwait, its child had not run", i);
    }
  }
#pragma omp taskwait
}

long gcc_single_broadcast(long v)
{
  long x = -1;
#pragma omp single copyprivate(x)
  x = v;
  return x;
}

void gcc_locked_add(mixed_lock *lk, long *c, long v)
{
  omp_set_lock((omp_lock_t *)lk->bytes);
  long old = *c;
  for (volatile int s = 0; s < 20; s++)
    ;
  *c = old + v;
  omp_unset_lock((omp_lock_t *)lk->bytes);
}

void gcc_nest_locked_add(mixed_lock *nlk, long *c, long v)
{
  omp_nest_lock_t *l = (omp_nest_lock_t *)nlk->bytes;
  omp_set_nest_lock(l);
  omp_set_nest_lock(l);
  long old = *c;
  *c = old + v;
  omp_unset_nest_lock(l);
  omp_unset_nest_lock(l);
}

void gcc_critical_add(long *c, long v)
{
#pragma omp critical
  {
    long old = *c;
    for (volatile int s = 0; s < 20; s++)
      ;
    *c = old + v;
  }
}

void gcc_barrier(void)
{
#pragma omp barrier
}

int gcc_sections(int *ran)
{
  int mine = 0;
#pragma omp sections nowait
  {
#pragma omp section
    {
      __atomic_fetch_add(&ran[0], 1, __ATOMIC_RELAXED);
      mine++;
    }
#pragma omp section
    {
      __atomic_fetch_add(&ran[1], 1, __ATOMIC_RELAXED);
      mine++;
    }
#pragma omp section
    {
      __atomic_fetch_add(&ran[2], 1, __ATOMIC_RELAXED);
      mine++;
    }
#pragma omp section
    {
      __atomic_fetch_add(&ran[3], 1, __ATOMIC_RELAXED);
      mine++;
    }
  }
  return mine;
}

void gcc_parallel(void (*body)(void *), void *arg)
{
#pragma omp parallel
  body(arg);
}

void gcc_taskgroup(void (*body)(void *), void *arg)
{
#pragma omp taskgroup
  body(arg);
}

void gcc_init_locks(mixed_lock *lk, mixed_lock *nlk)
{
  omp_init_lock((omp_lock_t *)lk->bytes);
  omp_init_nest_lock((omp_nest_lock_t *)nlk->bytes);
}

void gcc_destroy_locks(mixed_lock *lk, mixed_lock *nlk)
{
  omp_destroy_lock((omp_lock_t *)lk->bytes);
  omp_destroy_nest_lock((omp_nest_lock_t *)nlk->bytes);
}
