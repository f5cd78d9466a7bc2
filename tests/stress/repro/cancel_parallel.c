/* "cancel parallel" as clang 14 compiles it: one thread of each region cancels it, the others
 * reach a cancellation point. Built with clang and run with OMP_CANCELLATION=true it hung on
 * arayon (fault 9, fixed by 2706c6d: __kmpc_cancel_barrier was a full barrier) and hangs on
 * libomp 14 too; built with gcc it finishes on libgomp and on arayon.
 * Built by `make stress-repros` (tests/stress/CMakeLists.txt); docs/stress.md, "Faults found".
 */
#define _GNU_SOURCE
#include <omp.h>
#include <stdio.h>
static int total;
static void root(void)
{
    for (int r = 0; r < 2000; r++) {
        #pragma omp parallel num_threads(4)
        {
            if (omp_get_thread_num() == (r & 3)) {
                #pragma omp cancel parallel
            }
            #pragma omp cancellation point parallel
            #pragma omp atomic
            total++;
        }
    }
}
int main(void)
{
    root();
    printf("done (%d)\n", total);
    return 0;
}
