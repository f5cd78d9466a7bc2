/*
 * test_topo_real.c - the topology of this machine: restricted to the CPUs the process may
 * use, binding from threads we create (checked with sched_getaffinity and sched_getcpu),
 * memory placement, the current node, and the printed report.
 *
 * Usage: test_topo_real [one-pu]. With "one-pu" (run under `taskset -c 0`) the process must
 * see exactly one PU.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "topo.h"
#include "topo_check.h"

extern unsigned ary_topo_num_pus(void);
extern unsigned ary_topo_num_cores(void);

typedef struct bind_arg {
    const ary_topo *t;
    const ary_placement *pl;
    unsigned worker;
    int rc;
    char err[256];
    int ncpus, cpu, running_on;
} bind_arg;

static void *bind_thread(void *p)
{
    bind_arg *a = p;
    strcpy(a->err, "untouched");
    a->rc = ary_topo_bind_self(a->t, a->pl, a->worker, a->err, sizeof a->err);
    a->ncpus = test_affinity(&a->cpu, NULL);
    a->running_on = sched_getcpu();
    return NULL;
}

static bind_arg run_bound(const ary_topo *t, const ary_placement *pl, unsigned w)
{
    bind_arg a = {.t = t, .pl = pl, .worker = w};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, bind_thread, &a), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    return a;
}

/* Places n workers with policy b and binds each from a thread of its own. */
static void check_policy(const ary_topo *t, arayon_bind_t b, unsigned n, const unsigned *list,
                         unsigned nlist)
{
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.bind = b;
    cfg.bind_pus = list;
    cfg.num_bind_pus = nlist;
    ary_placement pl;
    CHECK_OK(ary_topo_place(t, &cfg, n, &pl));
    check_placement(&pl, n);
    CHECK_EQ(pl.bind, b != ARAYON_BIND_NONE);
    CHECK(pl.cpu_node != NULL);
    int *status = calloc(n, sizeof *status);
    CHECK(status);
    int all = test_affinity(NULL, NULL);
    for (unsigned w = 0; w < n; w++) {
        CHECK_MSG(test_cpu_allowed(pl.worker_pu[w]), "worker %u on PU %d, not allowed", w,
                  pl.worker_pu[w]);
        CHECK_LT((unsigned)pl.worker_pu[w], pl.ncpus);
        CHECK_EQ(pl.cpu_node[pl.worker_pu[w]], pl.worker_node[w]);
        bind_arg a = run_bound(t, &pl, w);
        CHECK_MSG(a.rc == ARAYON_OK, "worker %u: %s", w, a.err);
        CHECK_MSG(a.err[0] == '\0', "worker %u: error text '%s' on success", w, a.err);
        if (b == ARAYON_BIND_NONE) {
            CHECK_EQ(a.ncpus, all); /* not bound */
        } else {
            CHECK_EQ(a.ncpus, 1);
            CHECK_EQ(a.cpu, pl.worker_pu[w]);
            CHECK_EQ(a.running_on, pl.worker_pu[w]);
        }
        status[w] = a.rc;
    }
    /* The report has every worker, bound or not. */
    test_text out = {0};
    CHECK_OK(ary_topo_print(t, &pl, status, test_text_write, &out));
    char line[64];
    for (unsigned w = 0; w < n; w++) {
        snprintf(line, sizeof line, "  worker %u: PU %d", w, pl.worker_pu[w]);
        CHECK_MSG(strstr(out.p, line), "no line for worker %u in:\n%s", w, out.p);
    }
    CHECK(strstr(out.p, "this system") != NULL);
    CHECK_EQ(test_count(out.p, "bound: yes"), b == ARAYON_BIND_NONE ? 0 : (int)n);
    if (b == ARAYON_BIND_CLOSE && n <= 4)
        fputs(out.p, stderr);
    test_text_free(&out);
    free(status);
    ary_placement_free(&pl);
}

int main(int argc, char **argv)
{
    bool one_pu = argc > 1 && !strcmp(argv[1], "one-pu");
    if (getenv("HWLOC_XMLFILE") || getenv("HWLOC_SYNTHETIC") || getenv("HWLOC_FSROOT")) {
        fprintf(stderr, "HWLOC_XMLFILE/HWLOC_SYNTHETIC/HWLOC_FSROOT set: not this machine\n");
        return TEST_SKIP;
    }
    int first, last;
    int allowed = test_affinity(&first, &last);

    test_phase("open");
    ary_topo *t = NULL;
    CHECK_OK(ary_topo_open(NULL, &t));
    CHECK(ary_topo_is_this_system(t));
    unsigned pus = ary_topo_pus(t), cores = ary_topo_cores(t);
    fprintf(stderr, "   %u PUs, %u cores, %d CPUs allowed\n", pus, cores, allowed);
    CHECK_EQ(pus, allowed);
    CHECK_GE(cores, 1);
    CHECK_LE(cores, pus);
    CHECK_EQ(ary_topo_num_pus(), pus);
    CHECK_EQ(ary_topo_num_cores(), cores);
    if (one_pu) {
        CHECK_EQ(allowed, 1);
        CHECK_EQ(pus, 1);
        CHECK_EQ(cores, 1);
    }
    /* The default topology is shared: opening again gives the same machine. */
    ary_topo *t2 = NULL;
    CHECK_OK(ary_topo_open(NULL, &t2));
    CHECK_EQ(ary_topo_pus(t2), pus);
    ary_topo_close(t2);

    test_phase("close");
    check_policy(t, ARAYON_BIND_CLOSE, pus, NULL, 0);
    check_policy(t, ARAYON_BIND_CLOSE, pus + 1, NULL, 0); /* wraps around */
    test_phase("spread");
    check_policy(t, ARAYON_BIND_SPREAD, pus, NULL, 0);
    test_phase("none");
    check_policy(t, ARAYON_BIND_NONE, pus, NULL, 0);
    test_phase("list");
    unsigned list[2] = {(unsigned)last, (unsigned)first};
    check_policy(t, ARAYON_BIND_LIST, 3, list, 2);
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.bind = ARAYON_BIND_LIST;
    unsigned not_allowed = (unsigned)last + 1;
    for (int c = 0; c < last; c++)
        if (!test_cpu_allowed(c)) {
            not_allowed = (unsigned)c;
            break;
        }
    cfg.bind_pus = &not_allowed;
    cfg.num_bind_pus = 1;
    ary_placement pl;
    CHECK_RC(ary_topo_place(t, &cfg, 2, &pl), ARAYON_EINVAL);

    test_phase("binding failures are reported");
    {
        /* A placement made by hand: PU 4000 does not exist, worker 1 has none. */
        int pus_bad[2] = {4000, -1};
        unsigned zero[2] = {0, 0};
        ary_placement fake;
        memset(&fake, 0, sizeof fake);
        fake.nworkers = 2;
        fake.nnodes = 1;
        fake.worker_pu = pus_bad;
        fake.worker_node = zero;
        fake.bind = true;
        fake.policy = ARAYON_BIND_LIST;
        for (unsigned w = 0; w < 2; w++) {
            bind_arg b = run_bound(t, &fake, w);
            CHECK_RC(b.rc, ARAYON_ESYSTEM);
            fprintf(stderr, "   worker %u: %s\n", w, b.err);
            CHECK(strstr(b.err, w == 0 ? "4000" : "no PU") != NULL);
            CHECK_EQ(b.ncpus, test_affinity(NULL, NULL)); /* left as it was */
        }
    }
    test_phase("membind");
    cfg.bind = ARAYON_BIND_CLOSE;
    CHECK_OK(ary_topo_place(t, &cfg, pus, &pl));
    size_t len = 1 << 20;
    long page = sysconf(_SC_PAGESIZE);
    char *mem = aligned_alloc((size_t)page, len);
    CHECK(mem);
    memset(mem, 7, len);
    for (unsigned k = 0; k < pl.nnodes; k++) {
        int rc = ary_topo_membind(t, &pl, mem, len, k);
        fprintf(stderr, "   membind node %u: %s\n", k, test_rc_name(rc));
        if (pl.nnodes == 1)
            CHECK_RC(rc, ARAYON_ENOTSUP); /* one node here: nothing to place */
        else
            CHECK(rc == ARAYON_OK || rc == ARAYON_ENOTSUP);
        /* An unaligned piece inside the area, too. */
        rc = ary_topo_membind(t, &pl, mem + 100, 5000, k);
        CHECK(rc == ARAYON_OK || rc == ARAYON_ENOTSUP);
    }
    for (size_t i = 0; i < len; i += 4096)
        CHECK_EQ(mem[i], 7); /* the touch kept the contents */
    CHECK_RC(ary_topo_membind(t, &pl, mem, len, pl.nnodes), ARAYON_EINVAL);
    CHECK_RC(ary_topo_membind(t, &pl, mem, 0, 0), ARAYON_EINVAL);
    free(mem);

    test_phase("current node");
    for (int i = 0; i < 100; i++)
        CHECK_LT(ary_topo_current_node(t, &pl), pl.nnodes);
    ary_placement_free(&pl);

    ary_topo_close(t);
    CHECK_EQ(ary_topo_num_pus(), pus); /* the process-wide default outlives the pools */
    CHECK_OK(ary_topo_open(NULL, &t));
    CHECK_EQ(ary_topo_pus(t), pus);
    ary_topo_close(t);
    fprintf(stderr, "-- all passed\n");
    return 0;
}
