/*
 * dist_entry.c - libomp's distribute entry points called directly, as code generated for
 * `distribute parallel for` by other compilers (and clang for some targets) calls them:
 * __kmpc_dist_for_static_init_{4,4u,8,8u} (the team's block, then this thread's part),
 * __kmpc_team_static_init_{4,8} (dist_schedule(static, chunk) chunks among the teams) and
 * __kmpc_dist_dispatch_init_4 (the team's block, dispatched among its threads). Inside a
 * host teams construct with a parallel region in each team; every iteration must run
 * exactly once, in the team whose block holds it, and exactly one thread must be told it
 * has the last iteration. Runs on libomp (the reference) and arayon.
 */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ident ident_t;
extern int32_t __kmpc_global_thread_num(ident_t *);
extern void __kmpc_for_static_fini(ident_t *, int32_t);
extern void __kmpc_dist_for_static_init_4(ident_t *, int32_t, int32_t, int32_t *, int32_t *,
                                          int32_t *, int32_t *, int32_t *, int32_t, int32_t);
extern void __kmpc_dist_for_static_init_4u(ident_t *, int32_t, int32_t, int32_t *, uint32_t *,
                                           uint32_t *, uint32_t *, int32_t *, int32_t, int32_t);
extern void __kmpc_dist_for_static_init_8(ident_t *, int32_t, int32_t, int32_t *, int64_t *,
                                          int64_t *, int64_t *, int64_t *, int64_t, int64_t);
extern void __kmpc_dist_for_static_init_8u(ident_t *, int32_t, int32_t, int32_t *, uint64_t *,
                                           uint64_t *, uint64_t *, int64_t *, int64_t, int64_t);
extern void __kmpc_team_static_init_4(ident_t *, int32_t, int32_t *, int32_t *, int32_t *,
                                      int32_t *, int32_t, int32_t);
extern void __kmpc_team_static_init_8(ident_t *, int32_t, int32_t *, int64_t *, int64_t *,
                                      int64_t *, int64_t, int64_t);
extern void __kmpc_dist_dispatch_init_4(ident_t *, int32_t, int32_t, int32_t *, int32_t, int32_t,
                                        int32_t, int32_t);
extern int __kmpc_dispatch_next_4(ident_t *, int32_t, int32_t *, int32_t *, int32_t *,
                                  int32_t *);

enum { SCHED_STATIC_CHUNKED = 33, SCHED_STATIC = 34, SCHED_DYNAMIC = 35 };

#define N 997 /* not a multiple of the teams or threads */

static int runs[N], team_of[N], lasts, failures, nteams_seen;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "dist_entry: FAILED %s (line %d): ", #cond, __LINE__);         \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static void reset(void)
{
    for (int i = 0; i < N; i++)
        runs[i] = 0, team_of[i] = -1;
    lasts = 0;
}

static void hit(long i, int last)
{
#pragma omp atomic
    runs[i]++;
    team_of[i] = omp_get_team_num();
    if (last) {
#pragma omp atomic
        lasts++;
    }
}

/* blocks: the teams hold contiguous blocks in team order (distribute's default). */
static void check(const char *what, int blocks)
{
    for (int i = 0; i < N; i++)
        if (runs[i] != 1) {
            CHECK(runs[i] == 1, "%s: iteration %d ran %d times", what, i, runs[i]);
            return;
        }
    CHECK(lasts == 1, "%s: %d threads were told they had the last iteration", what, lasts);
    if (blocks) {
        CHECK(team_of[0] == 0 && team_of[N - 1] == nteams_seen - 1,
              "%s: first/last iteration in teams %d/%d of %d", what, team_of[0],
              team_of[N - 1], nteams_seen);
        for (int i = 1; i < N; i++)
            if (team_of[i] != team_of[i - 1] && team_of[i] != team_of[i - 1] + 1) {
                CHECK(0, "%s: iteration %d in team %d after %d", what, i, team_of[i],
                      team_of[i - 1]);
                return;
            }
    }
}

#define DIST_STATIC(FN, T, ST, SCHED, CHUNK)                                               \
    do {                                                                                   \
        reset();                                                                           \
        _Pragma("omp teams num_teams(3)")                                                  \
        {                                                                                  \
            if (omp_get_team_num() == 0)                                                   \
                nteams_seen = omp_get_num_teams();                                         \
            _Pragma("omp parallel num_threads(2)")                                         \
            {                                                                              \
                int32_t gtid = __kmpc_global_thread_num(NULL), last = 0;                   \
                T lb = 0, ub = N - 1, ubd = 0;                                             \
                ST st = 1;                                                                 \
                FN(NULL, gtid, SCHED, &last, &lb, &ub, &ubd, &st, 1, CHUNK);               \
                if (SCHED == SCHED_STATIC) {                                               \
                    for (T i = lb; i <= ub && i <= ubd; i++)                               \
                        hit((long)i, last && i == ub);                                     \
                } else {                                                                   \
                    int told = 0;                                                          \
                    for (; lb <= ubd; lb += (T)st, ub += (T)st)                            \
                        for (T i = lb; i <= ub && i <= ubd; i++) {                         \
                            hit((long)i, last && !told && i == N - 1);                     \
                            told |= i == N - 1;                                            \
                        }                                                                  \
                }                                                                          \
                __kmpc_for_static_fini(NULL, gtid);                                        \
            }                                                                              \
        }                                                                                  \
        check(#FN " " #SCHED, 1);                                                          \
    } while (0)

int main(void)
{
    DIST_STATIC(__kmpc_dist_for_static_init_4, int32_t, int32_t, SCHED_STATIC, 0);
    DIST_STATIC(__kmpc_dist_for_static_init_4u, uint32_t, int32_t, SCHED_STATIC, 0);
    DIST_STATIC(__kmpc_dist_for_static_init_8, int64_t, int64_t, SCHED_STATIC, 0);
    DIST_STATIC(__kmpc_dist_for_static_init_8u, uint64_t, int64_t, SCHED_STATIC, 0);
    DIST_STATIC(__kmpc_dist_for_static_init_4, int32_t, int32_t, SCHED_STATIC_CHUNKED, 5);

    /* dist_schedule(static, 7): chunk k runs in team k % nteams */
    reset();
#pragma omp teams num_teams(3)
    {
        int32_t gtid = __kmpc_global_thread_num(NULL), last = 0;
        int32_t lb = 0, ub = N - 1, st = 1;
        __kmpc_team_static_init_4(NULL, gtid, &last, &lb, &ub, &st, 1, 7);
        for (; lb <= N - 1; lb += st, ub += st)
            for (int32_t i = lb; i <= ub && i <= N - 1; i++)
                hit(i, last && i == N - 1);
    }
    check("__kmpc_team_static_init_4", 0);
    for (int i = 0; i < N; i++)
        if (team_of[i] != (i / 7) % nteams_seen) {
            CHECK(0, "team_static_init_4: iteration %d in team %d of %d", i, team_of[i],
                  nteams_seen);
            break;
        }
    reset();
#pragma omp teams num_teams(3)
    {
        int32_t gtid = __kmpc_global_thread_num(NULL), last = 0;
        int64_t lb = 0, ub = N - 1, st = 1;
        __kmpc_team_static_init_8(NULL, gtid, &last, &lb, &ub, &st, 1, 7);
        for (; lb <= N - 1; lb += st, ub += st)
            for (int64_t i = lb; i <= ub && i <= N - 1; i++)
                hit((long)i, last && i == N - 1);
    }
    check("__kmpc_team_static_init_8", 0);

    /* the team's block, dispatched dynamically among its threads */
    reset();
#pragma omp teams num_teams(3)
#pragma omp parallel num_threads(2)
    {
        int32_t gtid = __kmpc_global_thread_num(NULL), team_last = 0, last = 0;
        int32_t lb, ub, st;
        __kmpc_dist_dispatch_init_4(NULL, gtid, SCHED_DYNAMIC, &team_last, 0, N - 1, 1, 3);
        while (__kmpc_dispatch_next_4(NULL, gtid, &last, &lb, &ub, &st))
            for (int32_t i = lb; i <= ub; i++)
                hit(i, team_last && i == N - 1);
    }
    check("__kmpc_dist_dispatch_init_4", 1);

    if (failures) {
        fprintf(stderr, "dist_entry: %d check(s) failed\n", failures);
        return 1;
    }
    printf("dist_entry: OK (%d teams)\n", nteams_seen);
    return 0;
}
