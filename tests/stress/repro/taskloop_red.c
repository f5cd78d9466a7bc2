/* Threads of the program, each forking its own team, each runs a taskloop with a reduction;
 * on arayon the sums come out short now and then (contributions lost), while every
 * iteration ran exactly once.
 *
 * Fault 6. Run with OMP_NUM_THREADS=1 (gcc build: the GOMP entry points); exit 1
 * when a sum came out short. Arguments: team size (2), threads forking (2).
 * Built by `make stress-repros` (tests/stress/CMakeLists.txt); docs/stress.md, "Faults found".
 */
#define _GNU_SOURCE
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
static _Atomic int bad, runs;
static int NT = 2, ROOTS = 2;
static void *root(void *arg)
{
    (void)arg;
    for (int r = 0; r < 1000; r++) {
        long long s = 0;
        unsigned n = 2644;
        unsigned char *mark = calloc(n, 1);
        #pragma omp parallel num_threads(NT) shared(s, mark)
        #pragma omp single
        {
            #pragma omp taskloop grainsize(27) reduction(+ : s)
            for (unsigned i = 0; i < n; i++) {
                s += i;
                mark[i]++;
            }
        }
        int marks_ok = 1;
        for (unsigned i = 0; i < n; i++)
            marks_ok &= mark[i] == 1;
        free(mark);
        runs++;
        if (s != (long long)n * (n - 1) / 2 && atomic_fetch_add(&bad, 1) == 0)
            printf("sum %lld, expected %lld (team %d; every iteration ran once: %d)\n", s,
                   (long long)n * (n - 1) / 2, NT, marks_ok);
    }
    return NULL;
}
int main(int argc, char **argv)
{
    if (argc > 1) NT = atoi(argv[1]);
    if (argc > 2) ROOTS = atoi(argv[2]);
    pthread_t t[16];
    for (int i = 0; i < ROOTS; i++)
        pthread_create(&t[i], NULL, root, NULL);
    for (int i = 0; i < ROOTS; i++)
        pthread_join(t[i], NULL);
    printf("%d of %d taskloop reductions wrong (teams of %d, %d threads forking)\n",
           atomic_load(&bad), atomic_load(&runs), NT, ROOTS);
    return bad != 0;
}
