/*
 * test_topo_none.c - the topology layer built without hwloc (runtime/topo_none.c, compiled
 * into this test): a flat one-node topology of the CPUs sched_getaffinity allows, binding
 * with sched_setaffinity, no memory placement, explicit topologies grouped flat and never
 * bound.
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
    int rc, ncpus, cpu;
    char err[256];
} bind_arg;

static void *bind_thread(void *p)
{
    bind_arg *a = p;
    a->rc = ary_topo_bind_self(a->t, a->pl, a->worker, a->err, sizeof a->err);
    a->ncpus = test_affinity(&a->cpu, NULL);
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

int main(void)
{
    int first, last;
    int allowed = test_affinity(&first, &last);

    test_phase("default: flat, this system");
    ary_topo *t = NULL;
    CHECK_OK(ary_topo_open(NULL, &t));
    CHECK(ary_topo_is_this_system(t));
    CHECK_EQ(ary_topo_pus(t), allowed);
    CHECK_EQ(ary_topo_cores(t), allowed);
    CHECK_EQ(ary_topo_num_pus(), allowed);
    CHECK_EQ(ary_topo_num_cores(), allowed);

    test_phase("close binds with sched_setaffinity");
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.bind = ARAYON_BIND_CLOSE;
    unsigned n = (unsigned)allowed + 1;
    ary_placement pl;
    CHECK_OK(ary_topo_place(t, &cfg, n, &pl));
    check_placement(&pl, n);
    CHECK_EQ(pl.nnodes, 1);
    CHECK_EQ(pl.node_os_index[0], -1);
    CHECK(pl.bind);
    CHECK_EQ(pl.worker_pu[0], first);
    CHECK_EQ(pl.worker_pu[n - 1], first); /* wraps around */
    int *status = calloc(n, sizeof *status);
    CHECK(status);
    for (unsigned w = 0; w < n; w++) {
        bind_arg a = run_bound(t, &pl, w);
        CHECK_MSG(a.rc == ARAYON_OK, "worker %u: %s", w, a.err);
        CHECK_EQ(a.ncpus, 1);
        CHECK_EQ(a.cpu, pl.worker_pu[w]);
        status[w] = a.rc;
    }
    char mem[256];
    CHECK_RC(ary_topo_membind(t, &pl, mem, sizeof mem, 0), ARAYON_ENOTSUP);
    CHECK_EQ(ary_topo_current_node(t, &pl), 0);
    test_text out = {0};
    CHECK_OK(ary_topo_print(t, &pl, status, test_text_write, &out));
    CHECK_EQ(test_count(out.p, "bound: yes"), (int)n);
    CHECK(strstr(out.p, "without hwloc") != NULL);
    fputs(out.p, stderr);
    test_text_free(&out);
    free(status);
    ary_placement_free(&pl);

    test_phase("list");
    unsigned list[1] = {(unsigned)last};
    cfg.bind = ARAYON_BIND_LIST;
    cfg.bind_pus = list;
    cfg.num_bind_pus = 1;
    CHECK_OK(ary_topo_place(t, &cfg, 2, &pl));
    CHECK_EQ(pl.worker_pu[1], last);
    bind_arg a = run_bound(t, &pl, 1);
    CHECK_MSG(a.rc == ARAYON_OK, "%s", a.err);
    CHECK_EQ(a.cpu, last);
    ary_placement_free(&pl);
    list[0] = (unsigned)last + 1;
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
    ary_topo_close(t);

    test_phase("explicit topology: flat, never bound");
    memset(&cfg, 0, sizeof cfg);
    cfg.topology = "synthetic:pack:2 core:2 pu:2";
    CHECK_OK(ary_topo_open(&cfg, &t));
    CHECK(!ary_topo_is_this_system(t));
    cfg.bind = ARAYON_BIND_CLOSE;
    CHECK_OK(ary_topo_place(t, &cfg, 2, &pl));
    CHECK(!pl.bind);
    a = run_bound(t, &pl, 0);
    CHECK_OK(a.rc);
    CHECK_EQ(a.ncpus, allowed);
    ary_placement_free(&pl);
    ary_topo_close(t);
    cfg.topology = "bogus";
    CHECK_RC(ary_topo_open(&cfg, &t), ARAYON_EINVAL);
    fprintf(stderr, "-- all passed\n");
    return 0;
}
