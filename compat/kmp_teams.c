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

struct micro_call {
    kmpc_micro fn;
    int argc;
    void **argv;
};

static void run_micro(kmpx_thread *th, void *arg)
{
    struct micro_call *c = arg;
    kmp_int32 gtid = th->gtid, tid = 0;
    kmpx_invoke_microtask((void *)c->fn, &gtid, &tid, c->argc, c->argv);
}

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
    int nteams = th->pushed_num_teams, limit = th->pushed_teams_threads;
    th->pushed_num_teams = th->pushed_teams_threads = 0;
    struct micro_call c = {microtask, argc, argv};
    kmpx_run_league(th, nteams, limit, run_micro, &c);
    if (argv != small)
        free(argv);
}

/* A league: nteams teams (0: nteams-var, else 1) run one after another on th, each team's
 * initial thread with its thread limit at `limit` (0: teams-thread-limit-var, else none),
 * which also caps nthreads-var; omp_get_team_num() and omp_get_num_teams() answer, in the team and in the
 * parallel regions it forks (their members inherit them, kmp_parallel.c). */
void kmpx_run_league(kmpx_thread *th, int nteams, int limit,
                     void (*body)(kmpx_thread *th, void *arg), void *arg)
{
    if (nteams <= 0)
        nteams = kmpx_set.num_teams > 0 ? kmpx_set.num_teams : 1;
    if (limit <= 0)
        limit = kmpx_set.teams_thread_limit;
    int saved_num = th->num_teams, saved_team = th->team_num, saved_nthreads = th->nthreads_var;
    int saved_limit = th->teams_limit;
    for (int t = 0; t < nteams; t++) {
        th->num_teams = nteams;
        th->team_num = t;
        if (limit > 0) { /* the team's regions: at most limit threads (nthreads-var stays) */
            if (th->nthreads_var > limit)
                th->nthreads_var = limit;
            th->teams_limit = limit;
        }
        body(th, arg);
    }
    th->num_teams = saved_num;
    th->team_num = saved_team;
    th->nthreads_var = saved_nthreads;
    th->teams_limit = saved_limit;
}

KMPX_API kmp_int32 __kmpc_omp_reg_task_with_affinity(ident_t *loc, kmp_int32 gtid, void *task,
                                                     kmp_int32 naffins, void *affin_list);
kmp_int32 __kmpc_omp_reg_task_with_affinity(ident_t *loc, kmp_int32 gtid, void *task,
                                            kmp_int32 naffins, void *affin_list)
{
    (void)loc, (void)gtid, (void)task, (void)naffins, (void)affin_list;
    return 0;
}
