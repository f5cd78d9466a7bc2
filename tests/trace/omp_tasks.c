/*
 * omp_tasks.c - an OpenMP program (tasks in a parallel region) run on libarayon-omp with
 * ARAYON_TRACE set by test_trace_env: the OpenMP layer's pool is traced like any pool.
 */
#include <omp.h>
#include <stdio.h>

static long fib(int n)
{
    if (n < 2)
        return n;
    long x, y;
#pragma omp task shared(x)
    x = fib(n - 1);
#pragma omp task shared(y)
    y = fib(n - 2);
#pragma omp taskwait
    return x + y;
}

int main(void)
{
    long r = 0;
#pragma omp parallel
#pragma omp single
    r = fib(15);
    if (r != 610) {
        fprintf(stderr, "omp_tasks: fib(15) = %ld\n", r);
        return 1;
    }
    printf("omp_tasks: ok\n");
    return 0;
}
