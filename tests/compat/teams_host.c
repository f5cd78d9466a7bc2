/*
 * teams_host.c - device constructs run on the host device (no offload device here): target
 * teams, distribute, distribute parallel for with every schedule, dist_schedule, the data
 * sharing clauses of teams, and target nowait with dependences and tasks.
 *
 * What is checked holds for any number of teams the runtime forms (libomp may form fewer
 * than num_teams asks for, arayon forms as many): every iteration runs exactly once; the
 * iterations of a distribute are split among the teams that exist, as contiguous blocks
 * (dist_schedule(static) or none) or round-robin chunks (dist_schedule(static, c)); inside
 * a team, omp_get_team_num() names the team and a parallel region's threads see it too;
 * shared variables are one object for the whole league, private and reduction ones are per
 * team.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 1000

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "teams_host: FAILED %s (line %d): ", #cond, __LINE__);         \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static int team_of[N], runs[N], thr_of[N];

static void reset(void)
{
    for (int i = 0; i < N; i++) {
        team_of[i] = -1;
        runs[i] = 0;
        thr_of[i] = -1;
    }
}

static void check_once(const char *what)
{
    for (int i = 0; i < N; i++)
        if (runs[i] != 1) {
            CHECK(runs[i] == 1, "%s: iteration %d ran %d times", what, i, runs[i]);
            return;
        }
}

/* Contiguous blocks, in team order, every existing team with one (N >= nteams). */
static void check_blocks(const char *what, int nteams)
{
    CHECK(nteams >= 1, "%s: %d teams", what, nteams);
    CHECK(team_of[0] == 0, "%s: iteration 0 ran in team %d", what, team_of[0]);
    CHECK(team_of[N - 1] == nteams - 1, "%s: the last iteration ran in team %d of %d", what,
          team_of[N - 1], nteams);
    for (int i = 1; i < N; i++)
        if (team_of[i] != team_of[i - 1] && team_of[i] != team_of[i - 1] + 1) {
            CHECK(0, "%s: iteration %d in team %d after team %d", what, i, team_of[i],
                  team_of[i - 1]);
            return;
        }
}

int main(void)
{
    /* 1. target teams distribute */
    int nt = 0;
    reset();
#pragma omp target teams distribute num_teams(4) map(tofrom: team_of, runs, nt)
    for (int i = 0; i < N; i++) {
        team_of[i] = omp_get_team_num();
#pragma omp atomic
        runs[i]++;
        if (i == 0)
            nt = omp_get_num_teams();
    }
    CHECK(nt >= 1 && nt <= 4, "distribute: %d teams for num_teams(4)", nt);
    check_once("distribute");
    check_blocks("distribute", nt);

    /* 2. target teams distribute parallel for: each team's block among its threads */
    int nt2 = 0;
    reset();
#pragma omp target teams distribute parallel for num_teams(2) thread_limit(2)                 \
    map(tofrom: team_of, runs, thr_of, nt2)
    for (int i = 0; i < N; i++) {
        team_of[i] = omp_get_team_num();
        thr_of[i] = omp_get_thread_num();
#pragma omp atomic
        runs[i]++;
        if (i == 0)
            nt2 = omp_get_num_teams();
        CHECK(omp_get_num_threads() <= 2, "thread_limit(2): %d threads", omp_get_num_threads());
    }
    check_once("distribute parallel for");
    check_blocks("distribute parallel for", nt2);

    /* 3. dist_schedule(static, 10): chunk k of 10 iterations runs in team k % nteams */
    int nt3 = 0;
    reset();
#pragma omp target teams distribute dist_schedule(static, 10) num_teams(3)                    \
    map(tofrom: team_of, runs, nt3)
    for (int i = 0; i < N; i++) {
        team_of[i] = omp_get_team_num();
#pragma omp atomic
        runs[i]++;
        if (i == 0)
            nt3 = omp_get_num_teams();
    }
    check_once("dist_schedule(static, 10)");
    for (int i = 0; i < N; i++)
        if (team_of[i] != (i / 10) % nt3) {
            CHECK(0, "dist_schedule(static, 10): iteration %d in team %d of %d", i, team_of[i],
                  nt3);
            break;
        }

    /* 4. inner schedules and clauses of distribute parallel for */
    long s_static = 0, s_dyn = 0, s_guided = 0, s_both = 0, s_priv = 0;
    int last = -1;
    long priv = -7;
#pragma omp target teams distribute parallel for schedule(static, 3) reduction(+: s_static)  \
    map(tofrom: s_static)
    for (int i = 0; i < N; i++)
        s_static += i;
#pragma omp target teams distribute parallel for schedule(dynamic, 7) reduction(+: s_dyn)    \
    map(tofrom: s_dyn)
    for (int i = 0; i < N; i++)
        s_dyn += i;
#pragma omp target teams distribute parallel for schedule(guided) reduction(+: s_guided)     \
    map(tofrom: s_guided)
    for (int i = 0; i < N; i++)
        s_guided += i;
#pragma omp target teams distribute parallel for dist_schedule(static, 16) schedule(static, 3) \
    reduction(+: s_both) map(tofrom: s_both)
    for (int i = 0; i < N; i++)
        s_both += i;
#pragma omp target teams distribute parallel for private(priv) reduction(+: s_priv)          \
    map(tofrom: s_priv)
    for (int i = 0; i < N; i++) {
        priv = i;
        s_priv += priv;
    }
#pragma omp target teams distribute parallel for lastprivate(last) map(tofrom: last)
    for (int i = 0; i < N; i++)
        last = i;
    const long want = (long)N * (N - 1) / 2;
    CHECK(s_static == want, "schedule(static, 3): %ld", s_static);
    CHECK(s_dyn == want, "schedule(dynamic, 7): %ld", s_dyn);
    CHECK(s_guided == want, "schedule(guided): %ld", s_guided);
    CHECK(s_both == want, "dist_schedule + schedule: %ld", s_both);
    CHECK(s_priv == want, "private: %ld", s_priv);
    CHECK(priv == -7, "private: the original became %ld", priv);
    CHECK(last == N - 1, "lastprivate: %d", last);
    long s_collapse = 0;
#pragma omp target teams distribute parallel for collapse(2) reduction(+: s_collapse)        \
    map(tofrom: s_collapse)
    for (int i = 0; i < 33; i++)
        for (int j = 0; j < 31; j++)
            s_collapse += i * 31 + j;
    CHECK(s_collapse == (33L * 31) * (33 * 31 - 1) / 2, "collapse(2): %ld", s_collapse);

    /* 5. teams data sharing: shared is one object, a reduction combines one value per team,
     *    a private variable is the team's own, default(none) with explicit clauses */
    int shared_num = 0, red = 0, seen_teams = 0, priv_ok = 1;
    int team_flags[64];
    memset(team_flags, 0, sizeof team_flags);
#pragma omp target teams num_teams(3) default(none) shared(shared_num, team_flags)             \
    reduction(+: red) map(tofrom: shared_num, team_flags, red)
    {
        int t = omp_get_team_num();
        if (t == 0)
            shared_num = omp_get_num_teams();
        if (t < 64)
            team_flags[t] = 1;
        red += t + 1;
    }
    for (int t = 0; t < 64; t++)
        seen_teams += team_flags[t];
    CHECK(shared_num >= 1 && seen_teams == shared_num, "teams: %d teams seen, %d reported",
          seen_teams, shared_num);
    CHECK(red == shared_num * (shared_num + 1) / 2, "teams reduction: %d for %d teams", red,
          shared_num);
    int mine = 100;
#pragma omp target teams num_teams(2) private(mine) map(tofrom: priv_ok)
    {
        mine = omp_get_team_num();
#pragma omp parallel num_threads(2)
        {
            if (omp_get_team_num() != mine) {
#pragma omp atomic write
                priv_ok = 0;
            }
        }
    }
    CHECK(priv_ok, "a parallel region inside team t does not see omp_get_team_num() == t");
    CHECK(mine == 100, "private(mine): the original became %d", mine);

    /* 6. target nowait with dependences, among tasks */
    int a = 0, b = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
    {
#pragma omp target nowait map(tofrom: a) depend(out: a)
        a = 1;
#pragma omp task depend(inout: a)
        a += 1;
#pragma omp target nowait map(tofrom: a, b) depend(in: a) depend(out: b)
        b = a * 10;
#pragma omp task depend(in: b)
        b += 1;
#pragma omp taskwait
    }
    CHECK(a == 2 && b == 21, "target nowait: a=%d b=%d (want 2 and 21)", a, b);

    if (failures) {
        fprintf(stderr, "teams_host: %d check(s) failed\n", failures);
        return 1;
    }
    printf("teams_host: OK (%d, %d, %d teams)\n", nt, nt2, nt3);
    return 0;
}
