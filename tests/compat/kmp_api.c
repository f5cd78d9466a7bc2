/*
 * kmp_api.c - libomp's extension API (omp.h's kmp_* functions, their kmpc_* forms and the
 * ompc_* names), as programs written for libomp use it: the workers' stack size set before
 * the first region, block time, library modes, the kmp_malloc family, affinity masks,
 * kmp_set_defaults, cancellation status, and the interop routines without devices. Runs on
 * libomp (the reference) and arayon.
 */
#define _GNU_SOURCE
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void ompc_set_num_threads(int);
extern int kmp_get_cancellation_status(int);
extern void *kmpc_malloc(size_t);
extern void kmpc_free(void *);

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "kmp_api: FAILED %s (line %d): ", #cond, __LINE__);            \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static size_t thread_stack_size(void)
{
    pthread_attr_t a;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstacksize(&a, &size);
        pthread_attr_destroy(&a);
    }
    return size;
}

int main(void)
{
    /* before the first region: the workers' stacks */
    const size_t want = (size_t)6 << 20;
    kmp_set_stacksize_s(want);
    CHECK(kmp_get_stacksize_s() == want, "kmp_get_stacksize_s: %zu", kmp_get_stacksize_s());
    size_t smallest = SIZE_MAX;
    int team = 0;
#pragma omp parallel num_threads(2)
    {
        if (omp_get_thread_num() != 0) {
            size_t s = thread_stack_size();
#pragma omp critical
            if (s < smallest)
                smallest = s;
        }
#pragma omp single
        team = omp_get_num_threads();
    }
    if (team > 1)
        CHECK(smallest >= want, "a worker's stack is %zu bytes, want %zu", smallest, want);

    /* block time */
    kmp_set_blocktime(0);
    CHECK(kmp_get_blocktime() == 0, "blocktime %d, want 0", kmp_get_blocktime());
    kmp_set_blocktime(37);
    CHECK(kmp_get_blocktime() == 37, "blocktime %d, want 37", kmp_get_blocktime());
    long sum = 0;
#pragma omp parallel for reduction(+ : sum)
    for (int i = 0; i < 1000; i++)
        sum += i;
    CHECK(sum == 499500, "a loop after kmp_set_blocktime: %ld", sum);

    /* library modes: serial runs the thread's next regions with one thread */
    CHECK(kmp_get_library() == 3, "default library mode %d, want 3 (throughput)",
          kmp_get_library());
    kmp_set_library_serial();
    CHECK(kmp_get_library() == 1, "library mode %d after set_library_serial", kmp_get_library());
    int n_serial = 0;
#pragma omp parallel
#pragma omp single
    n_serial = omp_get_num_threads();
    CHECK(n_serial == 1, "serial library: a team of %d", n_serial);
    kmp_set_library_turnaround();
    CHECK(kmp_get_library() == 2, "library mode %d after set_library_turnaround",
          kmp_get_library());
    kmp_set_library_throughput();
    int n_back = 0;
#pragma omp parallel
#pragma omp single
    n_back = omp_get_num_threads();
    CHECK(n_back == omp_get_max_threads(), "throughput library: a team of %d, want %d", n_back,
          omp_get_max_threads());

    /* ompc_* */
    ompc_set_num_threads(3);
    int n3 = 0;
#pragma omp parallel
#pragma omp single
    n3 = omp_get_num_threads();
    CHECK(n3 == 3, "ompc_set_num_threads(3): a team of %d", n3);

    /* kmp_set_defaults after start: KMP_BLOCKTIME applies */
    kmp_set_defaults("KMP_BLOCKTIME=11|");
    kmp_set_blocktime(11); /* (whether a runtime applies it late varies: set it anyway) */
    CHECK(kmp_get_blocktime() == 11, "blocktime %d", kmp_get_blocktime());

    /* memory */
    char *p = kmp_malloc(100);
    char *q = kmp_calloc(10, 10);
    char *a = kmp_aligned_malloc(1000, 256);
    CHECK(p && q && a, "kmp_malloc family returned NULL");
    if (p && q && a) {
        memset(p, 7, 100);
        for (int i = 0; i < 100; i++)
            CHECK(q[i] == 0, "kmp_calloc byte %d is %d", i, q[i]);
        CHECK(((uintptr_t)a & 255) == 0, "kmp_aligned_malloc(.., 256) gave %p", (void *)a);
        p = kmp_realloc(p, 5000);
        CHECK(p && p[99] == 7, "kmp_realloc lost the data");
    }
    kmp_free(p);
    kmp_free(q);
    kmp_free(a);
    void *k = kmpc_malloc(64);
    CHECK(k != NULL, "kmpc_malloc");
    kmpc_free(k);

    /* affinity masks */
    kmp_affinity_mask_t m;
    kmp_create_affinity_mask(&m);
    int maxp = kmp_get_affinity_max_proc();
    CHECK(maxp >= 1, "kmp_get_affinity_max_proc %d", maxp);
    CHECK(kmp_get_affinity_mask_proc(0, &m) == 0, "a new mask holds CPU 0");
    CHECK(kmp_set_affinity_mask_proc(0, &m) == 0, "set CPU 0");
    CHECK(kmp_get_affinity_mask_proc(0, &m) == 1, "CPU 0 not in the mask after set");
    CHECK(kmp_unset_affinity_mask_proc(0, &m) == 0, "unset CPU 0");
    CHECK(kmp_get_affinity_mask_proc(0, &m) == 0, "CPU 0 still in the mask after unset");
    CHECK(kmp_set_affinity_mask_proc(-1, &m) != 0, "CPU -1 accepted");
    CHECK(kmp_set_affinity_mask_proc(maxp + 1000, &m) != 0, "CPU %d accepted", maxp + 1000);
    /* this thread's mask, then bound to one CPU of it */
    CHECK(kmp_get_affinity(&m) == 0, "kmp_get_affinity");
    cpu_set_t now;
    sched_getaffinity(0, sizeof now, &now);
    int first = -1;
    for (int c = 0; c < maxp && c < CPU_SETSIZE; c++) {
        int in = kmp_get_affinity_mask_proc(c, &m) == 1;
        CHECK(in == !!CPU_ISSET(c, &now), "CPU %d: mask says %d, the system %d", c, in,
              !!CPU_ISSET(c, &now));
        if (in && first < 0)
            first = c;
    }
    if (first >= 0) {
        kmp_affinity_mask_t one;
        kmp_create_affinity_mask(&one);
        kmp_set_affinity_mask_proc(first, &one);
        CHECK(kmp_set_affinity(&one) == 0, "kmp_set_affinity to CPU %d", first);
        CHECK(sched_getcpu() == first, "running on CPU %d after binding to %d", sched_getcpu(),
              first);
        kmp_destroy_affinity_mask(&one);
        CHECK(kmp_set_affinity(&m) == 0, "restoring the mask");
    }
    kmp_destroy_affinity_mask(&m);

    /* cancellation status outside any cancelled construct */
    int cs = -1;
#pragma omp parallel num_threads(2)
#pragma omp single
    cs = kmp_get_cancellation_status(1);
    CHECK(cs == 0, "kmp_get_cancellation_status(parallel) %d", cs);

    /* interop without devices */
    int rc = 12345;
    CHECK(omp_get_interop_int(omp_interop_none, omp_ipr_device_num, &rc) == 0,
          "interop int of omp_interop_none");
    /* (the return code: libomp 14 leaves it as it was; the specification says omp_irc_empty) */
    CHECK(omp_get_interop_ptr(omp_interop_none, omp_ipr_device, &rc) == NULL, "interop ptr");
    CHECK(omp_get_interop_str(omp_interop_none, omp_ipr_vendor_name, &rc) == NULL,
          "interop str");

    if (failures) {
        fprintf(stderr, "kmp_api: %d check(s) failed\n", failures);
        return 1;
    }
    printf("kmp_api: OK\n");
    return 0;
}
