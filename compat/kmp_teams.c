/*
 * kmp_teams.c - the host `teams` construct: __kmpc_push_num_teams, __kmpc_fork_teams, and
 * the task-affinity hint __kmpc_omp_reg_task_with_affinity (accepted, not used).
 *
 * A league of teams runs its teams one after another on the encountering thread: teams may
 * not synchronize with each other, so running them in sequence is one of the executions the
 * OpenMP rules allow, and each team's initial thread still forks its own parallel regions
 * (of up to thread_limit threads) on the pool.
 */
#include "kmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

KMPX_HIDDEN void kmpx_invoke_microtask(void *fn, kmp_int32 *gtid, kmp_int32 *tid, int argc,
                                       void **argv);

KMPX_API void __kmpc_push_num_teams(ident_t *loc, kmp_int32 gtid, kmp_int32 num_teams,
                                    kmp_int32 num_threads);
void __kmpc_push_num_teams(ident_t *loc, kmp_int32 gtid, kmp_int32 num_teams, kmp_int32 num_threads)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    th->pushed_num_teams = num_teams;
    th->pushed_teams_threads = num_threads;
}

typedef void (*kmpc_micro)(kmp_int32 *, kmp_int32 *, ...);

KMPX_API void __kmpc_fork_teams(ident_t *loc, kmp_int32 argc, kmpc_micro microtask, ...);
void __kmpc_fork_teams(ident_t *loc, kmp_int32 argc, kmpc_micro microtask, ...)
{
    (void)loc;
    kmpx_thread *th = kmpx_self();
    void *small[16];
    va_list ap;
    va_start(ap, microtask);
    void **argv = kmpx_collect_args(argc, &ap, small);
    va_end(ap);
    int nteams = th->pushed_num_teams > 0   ? th->pushed_num_teams
                 : kmpx_set.num_teams > 0 ? kmpx_set.num_teams
                                          : 1;
    int limit = th->pushed_teams_threads > 0 ? th->pushed_teams_threads
                                             : kmpx_set.teams_thread_limit;
    th->pushed_num_teams = th->pushed_teams_threads = 0;
    int saved_num = th->num_teams, saved_team = th->team_num, saved_nthreads = th->nthreads_var;
    for (int t = 0; t < nteams; t++) {
        th->num_teams = nteams;
        th->team_num = t;
        if (limit > 0)
            th->nthreads_var = limit;
        kmp_int32 gtid = th->gtid, tid = 0;
        kmpx_invoke_microtask((void *)microtask, &gtid, &tid, argc, argv);
    }
    th->num_teams = saved_num;
    th->team_num = saved_team;
    th->nthreads_var = saved_nthreads;
    if (argv != small)
        free(argv);
}

KMPX_API kmp_int32 __kmpc_omp_reg_task_with_affinity(ident_t *loc, kmp_int32 gtid, void *task,
                                                     kmp_int32 naffins, void *affin_list);
kmp_int32 __kmpc_omp_reg_task_with_affinity(ident_t *loc, kmp_int32 gtid, void *task,
                                            kmp_int32 naffins, void *affin_list)
{
    (void)loc, (void)gtid, (void)task, (void)naffins, (void)affin_list;
    return 0;
}
