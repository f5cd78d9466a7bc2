/*
 * gomp_split.c - the region API of gcc <= 4.8, as binaries built by those compilers call it
 * (still run in the wild): GOMP_parallel_start(fn, data, n); fn(data); GOMP_parallel_end(),
 * where the encountering thread runs its own part between the two calls, and the combined
 * forms GOMP_parallel_loop_{static,dynamic,guided,runtime}_start and
 * GOMP_parallel_sections_start, whose loop or sections every member (the primary included)
 * finds set up. The calls are written out here as those compilers emitted them. Runs on
 * libgomp (the reference) and arayon.
 */
#include <omp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern void GOMP_parallel_start(void (*fn)(void *), void *data, unsigned num_threads);
extern void GOMP_parallel_end(void);
extern void GOMP_parallel_loop_static_start(void (*)(void *), void *, unsigned, long, long,
                                            long, long);
extern void GOMP_parallel_loop_dynamic_start(void (*)(void *), void *, unsigned, long, long,
                                             long, long);
extern void GOMP_parallel_loop_guided_start(void (*)(void *), void *, unsigned, long, long,
                                            long, long);
extern void GOMP_parallel_loop_runtime_start(void (*)(void *), void *, unsigned, long, long,
                                             long);
extern void GOMP_parallel_sections_start(void (*)(void *), void *, unsigned, unsigned);
extern bool GOMP_loop_static_next(long *, long *);
extern bool GOMP_loop_dynamic_next(long *, long *);
extern bool GOMP_loop_guided_next(long *, long *);
extern bool GOMP_loop_runtime_next(long *, long *);
extern void GOMP_loop_end_nowait(void);
extern void GOMP_loop_end(void);
extern unsigned GOMP_sections_next(void);
extern void GOMP_sections_end_nowait(void);
extern void GOMP_barrier(void);

#define N 1000

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "gomp_split: FAILED %s (line %d): ", #cond, __LINE__);         \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

struct region {
    atomic_int members, sum_ids, in_parallel, nested_members;
    int team_size;
    bool nested;
};

static void inner(void *arg)
{
    struct region *r = arg;
    atomic_fetch_add(&r->nested_members, 1);
}

static void body(void *arg)
{
    struct region *r = arg;
    atomic_fetch_add(&r->members, 1);
    atomic_fetch_add(&r->sum_ids, omp_get_thread_num() + 1);
    atomic_fetch_add(&r->in_parallel, omp_in_parallel() ? 1 : 0);
    if (omp_get_thread_num() == 0)
        r->team_size = omp_get_num_threads();
    GOMP_barrier();
    if (r->nested && omp_get_thread_num() == 0) { /* a split region inside a split region */
        GOMP_parallel_start(inner, r, 2);
        inner(r);
        GOMP_parallel_end();
    }
}

static int runs[N];

struct loop {
    bool (*next)(long *, long *);
};

static void loop_body(void *arg)
{
    const struct loop *l = arg;
    long s, e;
    if (l->next(&s, &e)) {
        do {
            for (long i = s; i < e; i++)
                atomic_fetch_add((atomic_int *)&runs[i], 1);
        } while (l->next(&s, &e));
    }
    GOMP_loop_end_nowait();
}

static atomic_int section_runs[3];

static void sections_body(void *arg)
{
    (void)arg;
    for (unsigned i = GOMP_sections_next(); i != 0; i = GOMP_sections_next())
        atomic_fetch_add(&section_runs[i - 1], 1);
    GOMP_sections_end_nowait();
}

static void check_loop(const char *what)
{
    for (int i = 0; i < N; i++)
        if (runs[i] != 1) {
            CHECK(runs[i] == 1, "%s: iteration %d ran %d times", what, i, runs[i]);
            break;
        }
    memset(runs, 0, sizeof runs);
}

int main(void)
{
    int max = omp_get_max_threads();
    for (int round = 0; round < 20; round++) {
        struct region r;
        memset(&r, 0, sizeof r);
        GOMP_parallel_start(body, &r, 0);
        body(&r); /* the primary's part */
        GOMP_parallel_end();
        int n = r.team_size;
        CHECK(n == max, "a team of %d, want %d", n, max);
        CHECK(atomic_load(&r.members) == n, "%d members ran for a team of %d",
              atomic_load(&r.members), n);
        CHECK(atomic_load(&r.sum_ids) == n * (n + 1) / 2, "thread numbers sum to %d",
              atomic_load(&r.sum_ids));
        CHECK(atomic_load(&r.in_parallel) == (n > 1 ? n : 0), "in_parallel %d",
              atomic_load(&r.in_parallel));
    }
    /* num_threads, and a nested split region (one thread, or two with nesting on) */
    struct region r2;
    memset(&r2, 0, sizeof r2);
    r2.nested = true;
    GOMP_parallel_start(body, &r2, 2);
    body(&r2);
    GOMP_parallel_end();
    CHECK(r2.team_size == 2, "num_threads(2): a team of %d", r2.team_size);
    int nm = atomic_load(&r2.nested_members);
    CHECK(nm == (omp_get_max_active_levels() > 1 ? 2 : 1), "the nested region had %d members",
          nm);
    CHECK(!omp_in_parallel(), "still in a parallel region after GOMP_parallel_end");

    struct loop ls = {GOMP_loop_static_next}, ld = {GOMP_loop_dynamic_next},
                lg = {GOMP_loop_guided_next}, lr = {GOMP_loop_runtime_next};
    GOMP_parallel_loop_static_start(loop_body, &ls, 0, 0, N, 1, 0);
    loop_body(&ls);
    GOMP_parallel_end();
    check_loop("static");
    GOMP_parallel_loop_static_start(loop_body, &ls, 0, 0, N, 1, 7);
    loop_body(&ls);
    GOMP_parallel_end();
    check_loop("static, 7");
    GOMP_parallel_loop_dynamic_start(loop_body, &ld, 0, 0, N, 1, 4);
    loop_body(&ld);
    GOMP_parallel_end();
    check_loop("dynamic, 4");
    GOMP_parallel_loop_guided_start(loop_body, &lg, 3, 0, N, 1, 2);
    loop_body(&lg);
    GOMP_parallel_end();
    check_loop("guided, 2");
    GOMP_parallel_loop_runtime_start(loop_body, &lr, 0, 0, N, 1);
    loop_body(&lr);
    GOMP_parallel_end();
    check_loop("runtime");

    GOMP_parallel_sections_start(sections_body, NULL, 0, 3);
    sections_body(NULL);
    GOMP_parallel_end();
    for (int i = 0; i < 3; i++)
        CHECK(atomic_load(&section_runs[i]) == 1, "section %d ran %d times", i + 1,
              atomic_load(&section_runs[i]));

    if (failures) {
        fprintf(stderr, "gomp_split: %d check(s) failed\n", failures);
        return 1;
    }
    printf("gomp_split: OK (teams of %d)\n", max);
    return 0;
}
