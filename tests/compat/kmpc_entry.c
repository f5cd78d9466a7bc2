/*
 * kmpc_entry.c - libomp entry points that compiled code of other compilers (icc, Fortran
 * compilers, older clang) and libraries call directly, declared here as such code does:
 * split barriers (__kmpc_barrier_master / _end_barrier_master / _barrier_master_nowait),
 * the __kmpc_*_lock forms, __kmpc_scope, task ids, __kmpc_threadprivate, proxy tasks
 * (__kmpc_proxy_task_completed_ooo) and __kmpc_pop_num_threads (a no-op: the fork pops). Each is checked for what
 * OpenMP promises; runs on libomp (the reference) and arayon.
 */
#define _DEFAULT_SOURCE /* usleep */
#include <omp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

typedef struct ident ident_t;
typedef struct kmp_task {
    void *shareds;
    int32_t (*routine)(int32_t, struct kmp_task *);
    int32_t part_id;
} kmp_task_t;

extern int32_t __kmpc_global_thread_num(ident_t *);
extern int32_t __kmpc_barrier_master(ident_t *, int32_t);
extern void __kmpc_end_barrier_master(ident_t *, int32_t);
extern int32_t __kmpc_barrier_master_nowait(ident_t *, int32_t);
extern void __kmpc_init_lock(ident_t *, int32_t, void **);
extern void __kmpc_set_lock(ident_t *, int32_t, void **);
extern void __kmpc_unset_lock(ident_t *, int32_t, void **);
extern int __kmpc_test_lock(ident_t *, int32_t, void **);
extern void __kmpc_destroy_lock(ident_t *, int32_t, void **);
extern void __kmpc_init_nest_lock(ident_t *, int32_t, void **);
extern void __kmpc_set_nest_lock(ident_t *, int32_t, void **);
extern void __kmpc_unset_nest_lock(ident_t *, int32_t, void **);
extern int __kmpc_test_nest_lock(ident_t *, int32_t, void **);
extern void __kmpc_destroy_nest_lock(ident_t *, int32_t, void **);
extern void __kmpc_scope(ident_t *, int32_t, void *);
extern void __kmpc_end_scope(ident_t *, int32_t, void *);
extern uint64_t __kmpc_get_taskid(void);
extern uint64_t __kmpc_get_parent_taskid(void);
extern void *__kmpc_threadprivate(ident_t *, int32_t, void *, size_t);
extern void __kmpc_push_num_threads(ident_t *, int32_t, int32_t);
extern void __kmpc_pop_num_threads(ident_t *, int32_t);
extern kmp_task_t *__kmpc_omp_task_alloc(ident_t *, int32_t, int32_t, size_t, size_t,
                                         int32_t (*)(int32_t, kmp_task_t *));
extern int32_t __kmpc_omp_task(ident_t *, int32_t, kmp_task_t *);
extern int32_t __kmpc_omp_taskwait(ident_t *, int32_t);
extern void __kmpc_proxy_task_completed_ooo(kmp_task_t *);
/* libomp 15+ (flang emits it for `parallel if`); libomp 14 lacks it: weak, checked if there */
extern void __kmpc_fork_call_if(ident_t *, int32_t, void (*)(int32_t *, int32_t *, ...),
                                int32_t, void *) __attribute__((weak));

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "kmpc_entry: FAILED %s (line %d): ", #cond, __LINE__);         \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static atomic_int arrived, in_master, after_master, bad_order;
static int counter, nest_depth_ok = 1;
static int tp_var = 5;

static atomic_int proxy_ran, proxy_done_flag;

/* A microtask with one argument: the block of shared variables (as flang passes it). */
struct if_block {
    atomic_int members;
    int nthreads;
};
static void if_micro(int32_t *gtid, int32_t *tid, ...)
{
    (void)gtid;
    va_list ap;
    va_start(ap, tid);
    struct if_block *b = va_arg(ap, struct if_block *);
    va_end(ap);
    atomic_fetch_add(&b->members, 1);
    if (*tid == 0)
        b->nthreads = omp_get_num_threads();
}
static int32_t proxy_body(int32_t gtid, kmp_task_t *t)
{
    (void)gtid, (void)t;
    atomic_store(&proxy_ran, 1);
    return 0;
}

int main(void)
{
    /* split barrier: the primary runs its part after everyone arrived, before anyone left */
    for (int round = 0; round < 50; round++) {
        atomic_store(&arrived, 0);
        atomic_store(&in_master, 0);
        atomic_store(&after_master, 0);
#pragma omp parallel
        {
            int32_t gtid = __kmpc_global_thread_num(NULL);
            int n = omp_get_num_threads();
            atomic_fetch_add(&arrived, 1);
            if (__kmpc_barrier_master(NULL, gtid)) {
                CHECK(omp_get_thread_num() == 0, "barrier_master returned 1 to thread %d",
                      omp_get_thread_num());
                if (atomic_load(&arrived) != n || atomic_load(&after_master) != 0)
                    atomic_fetch_add(&bad_order, 1);
                usleep(200);
                atomic_store(&in_master, 1);
                __kmpc_end_barrier_master(NULL, gtid);
            } else if (!atomic_load(&in_master)) {
                atomic_fetch_add(&bad_order, 1); /* left before the primary's part ended */
            }
            atomic_fetch_add(&after_master, 1);
            /* nowait form: 1 to the primary only, after everyone arrived */
            int r = __kmpc_barrier_master_nowait(NULL, gtid);
            CHECK(r == (omp_get_thread_num() == 0), "barrier_master_nowait: %d on thread %d", r,
                  omp_get_thread_num());
            if (r && atomic_load(&after_master) != n)
                atomic_fetch_add(&bad_order, 1);
        }
    }
    CHECK(atomic_load(&bad_order) == 0, "split barriers out of order %d times",
          atomic_load(&bad_order));

    /* locks through the __kmpc forms */
    omp_lock_t lk;
    omp_nest_lock_t nlk;
    int32_t g0 = __kmpc_global_thread_num(NULL);
    __kmpc_init_lock(NULL, g0, (void **)&lk);
    __kmpc_init_nest_lock(NULL, g0, (void **)&nlk);
#pragma omp parallel
    {
        int32_t gtid = __kmpc_global_thread_num(NULL);
        for (int i = 0; i < 1000; i++) {
            if (i & 1) {
                __kmpc_set_lock(NULL, gtid, (void **)&lk);
            } else {
                while (!__kmpc_test_lock(NULL, gtid, (void **)&lk))
                    ;
            }
            counter++;
            __kmpc_unset_lock(NULL, gtid, (void **)&lk);
            __kmpc_set_nest_lock(NULL, gtid, (void **)&nlk);
            int depth = __kmpc_test_nest_lock(NULL, gtid, (void **)&nlk);
            if (depth != 2)
                nest_depth_ok = 0;
            __kmpc_unset_nest_lock(NULL, gtid, (void **)&nlk);
            __kmpc_unset_nest_lock(NULL, gtid, (void **)&nlk);
        }
    }
    __kmpc_destroy_lock(NULL, g0, (void **)&lk);
    __kmpc_destroy_nest_lock(NULL, g0, (void **)&nlk);
    CHECK(counter == 1000 * omp_get_max_threads(), "lock-protected counter %d", counter);
    CHECK(nest_depth_ok, "a nested lock taken again did not report depth 2");

    /* scope, task ids, threadprivate copies */
    uint64_t outer_id = 0, child_parent = 1, child_id = 0;
    int tp_ok = 1;
#pragma omp parallel
    {
        int32_t gtid = __kmpc_global_thread_num(NULL);
        __kmpc_scope(NULL, gtid, NULL);
        __kmpc_end_scope(NULL, gtid, NULL);
        int *mine = __kmpc_threadprivate(NULL, gtid, &tp_var, sizeof tp_var);
        if (*mine != 5)
            tp_ok = 0;
        *mine = 100 + omp_get_thread_num();
#pragma omp barrier
        if (*(int *)__kmpc_threadprivate(NULL, gtid, &tp_var, sizeof tp_var) !=
            100 + omp_get_thread_num())
            tp_ok = 0;
#pragma omp single
        {
            outer_id = __kmpc_get_taskid();
#pragma omp task shared(child_parent, child_id)
            {
                child_parent = __kmpc_get_parent_taskid();
                child_id = __kmpc_get_taskid();
            }
#pragma omp taskwait
        }
    }
    CHECK(tp_ok, "__kmpc_threadprivate did not give each thread its own copy");
    if (outer_id != UINT64_MAX) { /* libomp builds without task ids answer ~0 */
        CHECK(outer_id != 0 && child_id != 0 && child_id != outer_id,
              "task ids: outer %llu child %llu", (unsigned long long)outer_id,
              (unsigned long long)child_id);
        CHECK(child_parent == outer_id, "a task's parent id %llu is not its creator's %llu",
              (unsigned long long)child_parent, (unsigned long long)outer_id);
    }

    /* __kmpc_pop_num_threads: the pushed value is taken by the next fork (which pops it
     * itself, as in libomp); the fork after that has the default team again */
    int team = 0, team2 = 0;
    __kmpc_push_num_threads(NULL, g0, 1);
    __kmpc_pop_num_threads(NULL, g0);
#pragma omp parallel
#pragma omp single
    team = omp_get_num_threads();
#pragma omp parallel
#pragma omp single
    team2 = omp_get_num_threads();
    CHECK(team == 1, "the fork after push(1) and pop: a team of %d", team);
    CHECK(team2 == omp_get_max_threads(), "the fork after that: a team of %d, want %d", team2,
          omp_get_max_threads());

    /* a proxy task: taskwait returns only once its completion is reported */
#pragma omp parallel num_threads(2)
#pragma omp single
    {
        int32_t gtid = __kmpc_global_thread_num(NULL);
        kmp_task_t *t = __kmpc_omp_task_alloc(NULL, gtid, 0x1 | 0x10, sizeof(kmp_task_t), 0,
                                              proxy_body);
#pragma omp task firstprivate(t)
        {
            while (!atomic_load(&proxy_ran))
                usleep(100);
            usleep(5000);
            atomic_store(&proxy_done_flag, 1);
            __kmpc_proxy_task_completed_ooo(t);
        }
        __kmpc_omp_task(NULL, gtid, t);
        __kmpc_omp_taskwait(NULL, gtid);
        CHECK(atomic_load(&proxy_ran) && atomic_load(&proxy_done_flag),
              "taskwait returned before the proxy task was reported complete");
    }

    /* __kmpc_fork_call_if: the last argument is the microtask's one argument */
    if (__kmpc_fork_call_if) {
        for (int cond = 0; cond <= 1; cond++) {
            struct if_block b = {0, 0};
            __kmpc_fork_call_if(NULL, 1, if_micro, cond, &b);
            int want = cond ? omp_get_max_threads() : 1;
            CHECK(b.nthreads == want && atomic_load(&b.members) == want,
                  "fork_call_if(cond %d): %d members, a team of %d, want %d", cond,
                  atomic_load(&b.members), b.nthreads, want);
        }
    }

    if (failures) {
        fprintf(stderr, "kmpc_entry: %d check(s) failed\n", failures);
        return 1;
    }
    printf("kmpc_entry: OK\n");
    return 0;
}
