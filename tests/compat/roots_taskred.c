/*
 * roots_taskred.c - threads of the program, each forking teams of its own side by side, each
 * running taskloops with a reduction. A task of one team must run only on that team's
 * threads: gcc's code finds the running thread's reduction copy by omp_get_thread_num(), so a
 * thread outside the team (here: the primary of another team, waiting at level 0 for its own
 * members to leave) that took the task added into another thread's copy, and the sums came
 * out short now and then while every iteration ran once. Checks every sum and that every
 * iteration ran exactly once, with 3 forking threads and teams of 2.
 */
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define ROOTS 3
#define ROUNDS 600
#define N 2644

static atomic_int wrong_sums, wrong_marks;

static void *root(void *arg)
{
    (void)arg;
    unsigned char *mark = malloc(N);
    if (!mark)
        return NULL;
    for (int r = 0; r < ROUNDS; r++) {
        long long s = 0;
        for (int i = 0; i < N; i++)
            mark[i] = 0;
#pragma omp parallel num_threads(2) shared(s, mark)
#pragma omp single
        {
#pragma omp taskloop grainsize(27) reduction(+ : s)
            for (int i = 0; i < N; i++) {
                s += i;
                mark[i]++;
            }
        }
        for (int i = 0; i < N; i++)
            if (mark[i] != 1) {
                atomic_fetch_add(&wrong_marks, 1);
                break;
            }
        if (s != (long long)N * (N - 1) / 2 && atomic_fetch_add(&wrong_sums, 1) == 0)
            fprintf(stderr, "roots_taskred: a sum of %lld, want %lld\n", s,
                    (long long)N * (N - 1) / 2);
    }
    free(mark);
    return NULL;
}

int main(void)
{
    pthread_t t[ROOTS];
    for (int i = 0; i < ROOTS; i++)
        if (pthread_create(&t[i], NULL, root, NULL) != 0) {
            fprintf(stderr, "roots_taskred: pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < ROOTS; i++)
        pthread_join(t[i], NULL);
    if (atomic_load(&wrong_sums) || atomic_load(&wrong_marks)) {
        fprintf(stderr, "roots_taskred: FAILED: %d wrong sums, %d rounds with an iteration not "
                        "run exactly once (of %d)\n",
                atomic_load(&wrong_sums), atomic_load(&wrong_marks), ROOTS * ROUNDS);
        return 1;
    }
    printf("roots_taskred: OK (%d threads forking, %d rounds each)\n", ROOTS, ROUNDS);
    return 0;
}
