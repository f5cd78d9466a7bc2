/*
 * test_topo_pool.c - the topology seen through the public API: pools on a synthetic
 * 2-socket machine and on this machine, worker -> node/PU maps, node metrics, the printed
 * report, automatic thread counts from the pool's topology, and a broken cfg->topology.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include <stdatomic.h>

#include "topo.h" /* only for topo_check.h's placement helpers */
#include "topo_check.h"

static atomic_long ran;

static int count_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
    return 0;
}

static int spawner(void *arg)
{
    arayon_scope_t *s = arg;
    for (int i = 0; i < 50; i++)
        CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
    return 0;
}

static void run_tasks(arayon_pool_t *p)
{
    atomic_store(&ran, 0);
    arayon_scope_t *s;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < 40; i++)
        CHECK_OK(arayon_scope_spawn(s, spawner, s, NULL));
    CHECK_OK(arayon_scope_end(&s));
    CHECK_EQ(atomic_load(&ran), 40 * 50);
}

static char *report(arayon_pool_t *p)
{
    test_text out = {0};
    CHECK_OK(arayon_pool_print_topology(p, test_text_write, &out));
    CHECK(out.p);
    for (unsigned w = 0; w < arayon_pool_num_threads(p); w++) {
        char line[64];
        snprintf(line, sizeof line, "  worker %u: PU %d", w, arayon_pool_worker_pu(p, w));
        CHECK_MSG(strstr(out.p, line), "no line for worker %u in:\n%s", w, out.p);
    }
    return out.p;
}

int main(void)
{
    test_phase("synthetic 2-socket pool");
    arayon_config_t cfg = arayon_config_default();
    cfg.topology = "synthetic:pack:2 numa:1 l3:1 core:4 pu:2";
    cfg.num_threads = 16;
    cfg.bind = ARAYON_BIND_CLOSE;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    CHECK_EQ(arayon_pool_num_threads(p), 16);
    CHECK_EQ(arayon_pool_num_nodes(p), 2);
    for (unsigned w = 0; w < 16; w++) {
        CHECK_EQ(arayon_pool_worker_node(p, w), (int)(w / 8));
        CHECK_EQ(arayon_pool_worker_pu(p, w), (int)w);
    }
    CHECK_RC(arayon_pool_worker_node(p, 16), ARAYON_EINVAL);
    run_tasks(p);
    unsigned total = 0;
    for (unsigned k = 0; k < 2; k++) {
        arayon_node_metrics_t nm;
        CHECK_OK(arayon_pool_node_metrics(p, k, &nm));
        CHECK_EQ(nm.workers, 8);
        CHECK_EQ(nm.os_index, (int)k);
        total += (unsigned)nm.tasks_executed;
    }
    CHECK_EQ(total, 40 + 40 * 50);
    char *txt = report(p);
    CHECK_MSG(strstr(txt, "binding: no (not this system)"), "%s", txt);
    free(txt);
    arayon_pool_destroy(&p);

    test_phase("automatic thread counts follow the pool's topology");
    cfg = arayon_config_cpu_bound();
    cfg.topology = "synthetic:pack:2 numa:1 l3:1 core:4 pu:2";
    CHECK_OK(arayon_pool_create(&cfg, &p));
    CHECK_EQ(arayon_pool_num_threads(p), 8);
    run_tasks(p);
    arayon_pool_destroy(&p);

    test_phase("broken cfg->topology");
    cfg = arayon_config_default();
    cfg.topology = "xml:/nonexistent.xml";
    p = (arayon_pool_t *)&cfg;
    CHECK_RC(arayon_pool_create(&cfg, &p), ARAYON_EINVAL);
    CHECK(p == NULL);
    cfg.topology = "synthetic:pack:two";
    CHECK_RC(arayon_pool_create(&cfg, &p), ARAYON_EINVAL);
    cfg.topology = NULL;
    cfg.bind = ARAYON_BIND_LIST;
    static const unsigned nope[1] = {100000};
    cfg.bind_pus = nope;
    cfg.num_bind_pus = 1;
    CHECK_RC(arayon_pool_create(&cfg, &p), ARAYON_EINVAL);

    if (getenv("HWLOC_XMLFILE") || getenv("HWLOC_SYNTHETIC")) {
        fprintf(stderr, "-- all passed (this machine skipped: HWLOC_* set)\n");
        return 0;
    }
    test_phase("this machine, bound close");
    int allowed = test_affinity(NULL, NULL);
    cfg = arayon_config_default();
    cfg.bind = ARAYON_BIND_CLOSE;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    unsigned n = arayon_pool_num_threads(p);
    if (!getenv("ARAYON_NUM_THREADS"))
        CHECK_EQ(n, allowed);
    for (unsigned w = 0; w < n; w++)
        CHECK(test_cpu_allowed(arayon_pool_worker_pu(p, w)));
    run_tasks(p);
    txt = report(p);
    CHECK_MSG(test_count(txt, "bound: yes") == (int)n, "%s", txt);
    fputs(txt, stderr);
    free(txt);
    arayon_pool_destroy(&p);
    fprintf(stderr, "-- all passed\n");
    return 0;
}
