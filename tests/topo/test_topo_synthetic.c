/*
 * test_topo_synthetic.c - placement on synthetic machines (hwloc "synthetic:" topologies):
 * 2-socket, 4-node and 8-node machines, every policy with fewer, as many and more workers
 * than PUs; node and cache groups, steal orders, local victim counts; NUMA distances from an
 * XML file; no binding and no memory placement on a machine that is not this one; errors.
 */
#define _GNU_SOURCE
#include <arayon.h>
#include <hwloc.h>

#include "topo.h"
#include "topo_check.h"

static ary_topo *open_topo(const char *spec)
{
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.topology = spec;
    ary_topo *t = NULL;
    CHECK_OK(ary_topo_open(&cfg, &t));
    CHECK(t != NULL);
    CHECK(!ary_topo_is_this_system(t));
    return t;
}

static int place(const ary_topo *t, arayon_bind_t bind, unsigned n, const unsigned *list,
                 unsigned nlist, ary_placement *pl)
{
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.bind = bind;
    cfg.bind_pus = list;
    cfg.num_bind_pus = nlist;
    int rc = ary_topo_place(t, &cfg, n, pl);
    if (rc == ARAYON_OK) {
        check_placement(pl, n);
        CHECK(!pl->bind); /* never on a synthetic machine */
        CHECK_EQ(pl->policy, bind);
    }
    return rc;
}

/* Prints the placement and checks that every worker has its line. */
static void check_print(const ary_topo *t, const ary_placement *pl, const char *must)
{
    test_text out = {0};
    CHECK_OK(ary_topo_print(t, pl, NULL, test_text_write, &out));
    CHECK(out.p != NULL);
    char line[64];
    for (unsigned w = 0; w < pl->nworkers; w++) {
        snprintf(line, sizeof line, "  worker %u: PU %d", w, pl->worker_pu[w]);
        CHECK_MSG(strstr(out.p, line), "no line for worker %u in:\n%s", w, out.p);
    }
    CHECK_MSG(strstr(out.p, must), "'%s' not in:\n%s", must, out.p);
    CHECK(strstr(out.p, "binding: no (") != NULL);
    test_text_free(&out);
    /* A writer that fails makes the printer fail. */
    test_text bad = {.fail_after = 2};
    CHECK_RC(ary_topo_print(t, pl, NULL, test_text_write, &bad), ARAYON_EFAILED);
    test_text_free(&bad);
}

static void *bind_thread(void *arg)
{
    void **a = arg;
    const ary_topo *t = a[0];
    const ary_placement *pl = a[1];
    int before = test_affinity(NULL, NULL);
    char err[128] = "x";
    for (unsigned w = 0; w < pl->nworkers; w++) {
        CHECK_OK(ary_topo_bind_self(t, pl, w, err, sizeof err));
        CHECK_EQ(err[0], '\0');
    }
    CHECK_RC(ary_topo_bind_self(t, pl, pl->nworkers, err, sizeof err), ARAYON_EINVAL);
    CHECK_EQ(test_affinity(NULL, NULL), before); /* nothing was bound */
    return NULL;
}

/* Not this system: binding is skipped (from a thread of our own), memory is not placed, and
 * the current node is 0. */
static void check_not_this_system(const ary_topo *t, const ary_placement *pl)
{
    pthread_t th;
    const void *args[2] = {t, pl};
    CHECK_EQ(pthread_create(&th, NULL, bind_thread, (void *)args), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    size_t len = 1 << 16;
    void *mem = aligned_alloc(4096, len);
    CHECK(mem);
    memset(mem, 1, len);
    CHECK_RC(ary_topo_membind(t, pl, mem, len, 0), ARAYON_ENOTSUP);
    CHECK_RC(ary_topo_membind(t, pl, mem, len, pl->nnodes), ARAYON_EINVAL);
    CHECK_RC(ary_topo_membind(t, pl, NULL, len, 0), ARAYON_EINVAL);
    free(mem);
    CHECK_EQ(ary_topo_current_node(t, pl), 0);
    CHECK(pl->cpu_node == NULL);
}

/* "pack:2 numa:1 l3:1 core:4 pu:2": 2 sockets, one node and one L3 each, 2-way SMT.
 * OS PUs: package 0 = 0-7, package 1 = 8-15; core c = PUs 2c, 2c+1. */
static void test_two_sockets(void)
{
    test_phase("2 sockets");
    ary_topo *t = open_topo("synthetic:pack:2 numa:1 l3:1 core:4 pu:2");
    CHECK_EQ(ary_topo_pus(t), 16);
    CHECK_EQ(ary_topo_cores(t), 8);
    ary_placement pl;

    /* CLOSE, fewer workers than PUs: fills core 0, core 1, ... of node 0. */
    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 4, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 1);
    for (unsigned w = 0; w < 4; w++) {
        CHECK_EQ(pl.worker_pu[w], w);
        CHECK_EQ(pl.worker_node[w], 0);
        CHECK_EQ(pl.worker_cache[w], 0);
        CHECK_EQ(pl.local_victims[w], 3);
    }
    CHECK_EQ(pl.node_os_index[0], 0);
    check_not_this_system(t, &pl);
    ary_placement_free(&pl);

    /* CLOSE, one worker per PU: 8 per node, the steal order local first. */
    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 16, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 2);
    CHECK_EQ(pl.node_nworkers[0], 8);
    CHECK_EQ(pl.node_nworkers[1], 8);
    CHECK_EQ(pl.node_os_index[0], 0);
    CHECK_EQ(pl.node_os_index[1], 1);
    for (unsigned w = 0; w < 16; w++) {
        CHECK_EQ(pl.worker_pu[w], w);
        CHECK_EQ(pl.worker_node[w], w / 8);
        CHECK_EQ(pl.worker_cache[w], w / 8);
        CHECK_EQ(pl.local_victims[w], 7);
    }
    /* Worker 0: 1..7 (its L3 and node, cyclically after itself), then node 1. */
    for (unsigned i = 0; i < 15; i++)
        CHECK_EQ(pl.steal_order[i], i + 1);
    /* Worker 9: 10..15, 8, then node 0's workers rotated by its rank in node 1 (1). */
    const unsigned *row9 = pl.steal_order + 9 * 15;
    static const unsigned want9[15] = {10, 11, 12, 13, 14, 15, 8, 1, 2, 3, 4, 5, 6, 7, 0};
    for (unsigned i = 0; i < 15; i++)
        CHECK_EQ(row9[i], want9[i]);
    check_print(t, &pl, "synthetic: pack:2 numa:1 l3:1 core:4 pu:2");
    check_not_this_system(t, &pl);
    ary_placement_free(&pl);

    /* NONE places as CLOSE does (and never binds). */
    CHECK_OK(place(t, ARAYON_BIND_NONE, 16, NULL, 0, &pl));
    for (unsigned w = 0; w < 16; w++)
        CHECK_EQ(pl.worker_pu[w], w);
    CHECK_EQ(pl.nnodes, 2);
    ary_placement_free(&pl);

    /* CLOSE, more workers than PUs: wraps around to PU 0. */
    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 20, NULL, 0, &pl));
    for (unsigned w = 0; w < 20; w++) {
        CHECK_EQ(pl.worker_pu[w], w % 16);
        CHECK_EQ(pl.worker_node[w], (w % 16) / 8);
    }
    CHECK_EQ(pl.node_nworkers[0], 12);
    CHECK_EQ(pl.node_nworkers[1], 8);
    CHECK_EQ(pl.local_victims[0], 11);
    CHECK_EQ(pl.local_victims[8], 7);
    ary_placement_free(&pl);

    /* SPREAD: alternate sockets, first PU of distinct cores before any second PU. */
    static const int spread16[16] = {0, 8, 2, 10, 4, 12, 6, 14, 1, 9, 3, 11, 5, 13, 7, 15};
    CHECK_OK(place(t, ARAYON_BIND_SPREAD, 2, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 2);
    CHECK_EQ(pl.worker_pu[0], 0);
    CHECK_EQ(pl.worker_pu[1], 8);
    CHECK_EQ(pl.worker_node[0], 0);
    CHECK_EQ(pl.worker_node[1], 1);
    CHECK_EQ(pl.local_victims[0], 0);
    CHECK_EQ(pl.steal_order[0], 1);
    ary_placement_free(&pl);
    for (unsigned n = 3; n <= 17; n += 7) {
        CHECK_OK(place(t, ARAYON_BIND_SPREAD, n, NULL, 0, &pl));
        for (unsigned w = 0; w < n; w++) {
            CHECK_EQ(pl.worker_pu[w], spread16[w % 16]);
            CHECK_EQ(pl.worker_node[w], (unsigned)spread16[w % 16] / 8);
        }
        ary_placement_free(&pl);
    }

    /* LIST: OS PU numbers, reused round-robin; nodes numbered in topology order. */
    static const unsigned list[2] = {15, 3};
    CHECK_OK(place(t, ARAYON_BIND_LIST, 3, list, 2, &pl));
    CHECK_EQ(pl.worker_pu[0], 15);
    CHECK_EQ(pl.worker_pu[1], 3);
    CHECK_EQ(pl.worker_pu[2], 15);
    CHECK_EQ(pl.nnodes, 2);
    CHECK_EQ(pl.worker_node[0], 1);
    CHECK_EQ(pl.worker_node[1], 0);
    CHECK_EQ(pl.worker_node[2], 1);
    CHECK_EQ(pl.local_victims[0], 1);
    CHECK_EQ(pl.local_victims[1], 0);
    ary_placement_free(&pl);
    static const unsigned bad[2] = {3, 16};
    CHECK_RC(place(t, ARAYON_BIND_LIST, 4, bad, 2, &pl), ARAYON_EINVAL);
    CHECK(pl.worker_pu == NULL && pl.steal_order == NULL); /* left empty */
    ary_placement_free(&pl);
    CHECK_RC(place(t, ARAYON_BIND_LIST, 4, list, 0, &pl), ARAYON_EINVAL);
    CHECK_RC(place(t, ARAYON_BIND_LIST, 4, NULL, 2, &pl), ARAYON_EINVAL);
    CHECK_RC(place(t, (arayon_bind_t)7, 4, NULL, 0, &pl), ARAYON_EINVAL);
    CHECK_RC(place(t, ARAYON_BIND_CLOSE, 0, NULL, 0, &pl), ARAYON_EINVAL);

    /* One worker: an empty steal order. */
    CHECK_OK(place(t, ARAYON_BIND_SPREAD, 1, NULL, 0, &pl));
    CHECK_EQ(pl.local_victims[0], 0);
    CHECK_EQ(pl.nnodes, 1);
    check_print(t, &pl, "(alone)");
    ary_placement_free(&pl);
    ary_topo_close(t);
}

/* "pack:2 numa:2 core:4 pu:1": 4 nodes, two per socket, 4 cores each, no caches.
 * Node k holds PUs 4k .. 4k+3. */
static void test_four_nodes(void)
{
    test_phase("4 nodes");
    ary_topo *t = open_topo("synthetic:pack:2 numa:2 core:4 pu:1");
    CHECK_EQ(ary_topo_pus(t), 16);
    CHECK_EQ(ary_topo_cores(t), 16);
    ary_placement pl;

    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 16, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 4);
    for (unsigned w = 0; w < 16; w++) {
        CHECK_EQ(pl.worker_node[w], w / 4);
        CHECK_EQ(pl.worker_cache[w], w / 4); /* no caches: the node is the group */
        CHECK_EQ(pl.local_victims[w], 3);
    }
    for (unsigned k = 0; k < 4; k++)
        CHECK_EQ(pl.node_os_index[k], k);
    /* No distances: other nodes by index, starting after the worker's own. */
    for (unsigned w = 0; w < 16; w++)
        for (unsigned j = 1; j < 4; j++)
            CHECK_EQ(remote_rank(&pl, w, (w / 4 + j) % 4), (int)j - 1);
    check_print(t, &pl, "4 NUMA nodes");
    ary_placement_free(&pl);

    /* SPREAD over 4 nodes interleaves the sockets: nodes 0, 2, 1, 3. */
    CHECK_OK(place(t, ARAYON_BIND_SPREAD, 2, NULL, 0, &pl));
    CHECK_EQ(pl.worker_pu[0], 0);
    CHECK_EQ(pl.worker_pu[1], 8);
    CHECK_EQ(pl.nnodes, 2);
    CHECK_EQ(pl.node_os_index[0], 0);
    CHECK_EQ(pl.node_os_index[1], 2);
    ary_placement_free(&pl);
    CHECK_OK(place(t, ARAYON_BIND_SPREAD, 8, NULL, 0, &pl));
    static const int pus8[8] = {0, 8, 4, 12, 1, 9, 5, 13};
    for (unsigned w = 0; w < 8; w++) {
        CHECK_EQ(pl.worker_pu[w], pus8[w]);
        CHECK_EQ(pl.node_os_index[pl.worker_node[w]], pus8[w] / 4);
    }
    CHECK_EQ(pl.nnodes, 4);
    for (unsigned k = 0; k < 4; k++)
        CHECK_EQ(pl.node_nworkers[k], 2);
    ary_placement_free(&pl);

    /* Fewer workers than a node: one node only. */
    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 3, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 1);
    ary_placement_free(&pl);
    /* 5 workers: 4 on node 0, 1 on node 1. */
    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 5, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 2);
    CHECK_EQ(pl.local_victims[0], 3);
    CHECK_EQ(pl.local_victims[4], 0);
    ary_placement_free(&pl);
    /* More workers than PUs. */
    CHECK_OK(place(t, ARAYON_BIND_SPREAD, 40, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 4);
    for (unsigned k = 0; k < 4; k++)
        CHECK_EQ(pl.node_nworkers[k], 10);
    ary_placement_free(&pl);
    ary_topo_close(t);
}

/* "numa:8 core:2 pu:2": 8 nodes of 2 cores x 2 PUs; no packages, no caches. */
static void test_eight_nodes(void)
{
    test_phase("8 nodes");
    ary_topo *t = open_topo("synthetic:numa:8 core:2 pu:2");
    CHECK_EQ(ary_topo_pus(t), 32);
    CHECK_EQ(ary_topo_cores(t), 16);
    ary_placement pl;
    for (unsigned n = 1; n <= 70; n += (n < 34 ? 1 : 9)) {
        for (int b = ARAYON_BIND_NONE; b <= ARAYON_BIND_SPREAD; b++) {
            CHECK_OK(place(t, (arayon_bind_t)b, n, NULL, 0, &pl));
            ary_placement_free(&pl);
        }
    }
    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 32, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 8);
    for (unsigned w = 0; w < 32; w++) {
        CHECK_EQ(pl.worker_node[w], w / 4);
        CHECK_EQ(pl.local_victims[w], 3);
        for (unsigned j = 1; j < 8; j++)
            CHECK_EQ(remote_rank(&pl, w, (w / 4 + j) % 8), (int)j - 1);
    }
    ary_placement_free(&pl);
    /* SPREAD: one worker per node, the first PU of each; then the second core of each. */
    CHECK_OK(place(t, ARAYON_BIND_SPREAD, 16, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 8);
    for (unsigned w = 0; w < 16; w++) {
        CHECK_EQ(pl.worker_pu[w], (int)((w % 8) * 4 + (w / 8) * 2));
        CHECK_EQ(pl.worker_node[w], w % 8);
    }
    for (unsigned w = 0; w < 16; w++)
        CHECK_EQ(pl.local_victims[w], 1);
    /* Worker 0 steals from worker 8 (its node) first. */
    CHECK_EQ(pl.steal_order[0], 8);
    check_print(t, &pl, "8 NUMA nodes");
    ary_placement_free(&pl);
    ary_topo_close(t);
}

/* "pack:2 l3:2 core:2 pu:2": one node, 2 packages, 4 L3 groups. */
static void test_caches_one_node(void)
{
    test_phase("one node, 4 caches");
    ary_topo *t = open_topo("synthetic:pack:2 l3:2 core:2 pu:2");
    CHECK_EQ(ary_topo_pus(t), 16);
    CHECK_EQ(ary_topo_cores(t), 8);
    ary_placement pl;
    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 16, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 1);
    for (unsigned w = 0; w < 16; w++) {
        CHECK_EQ(pl.worker_cache[w], w / 4);
        CHECK_EQ(pl.local_victims[w], 15);
    }
    /* Worker 5: its L3 (6, 7, 4), then the rest of the node from 8 on. */
    const unsigned *row = pl.steal_order + 5 * 15;
    CHECK_EQ(row[0], 6);
    CHECK_EQ(row[1], 7);
    CHECK_EQ(row[2], 4);
    CHECK_EQ(row[3], 8);
    check_print(t, &pl, "4 L3 caches");
    ary_placement_free(&pl);
    /* SPREAD with one node goes round the packages. */
    CHECK_OK(place(t, ARAYON_BIND_SPREAD, 4, NULL, 0, &pl));
    CHECK_EQ(pl.worker_pu[0], 0);
    CHECK_EQ(pl.worker_pu[1], 8);
    CHECK_EQ(pl.worker_pu[2], 2);
    CHECK_EQ(pl.worker_pu[3], 10);
    ary_placement_free(&pl);
    ary_topo_close(t);
}

/* A last-level cache above several nodes (Xeons with sub-NUMA clustering: one L3 per
 * package over 2-4 NUMA nodes). Every worker's steal order lists every other worker exactly
 * once, its own node's first (the cache group is a cache within a node; as the cache alone it
 * listed the other node's workers twice and wrote past the rows: a heap overflow). */
static void test_cache_across_nodes(void)
{
    test_phase("one L3 above 2 nodes (sub-NUMA clustering)");
    static const char *const machines[] = {"synthetic:l3:1 numa:2 pu:2",
                                           "synthetic:pack:2 l3:1 numa:2 core:2 pu:2",
                                           "synthetic:pack:1 l3:1 numa:4 core:2 pu:1"};
    for (unsigned m = 0; m < sizeof machines / sizeof machines[0]; m++) {
        ary_topo *t = open_topo(machines[m]);
        unsigned n = ary_topo_pus(t);
        for (unsigned nw = 2; nw <= n; nw++) {
            ary_placement pl;
            CHECK_OK(place(t, ARAYON_BIND_CLOSE, nw, NULL, 0, &pl));
            for (unsigned w = 0; w < nw; w++) {
                const unsigned *row = pl.steal_order + (size_t)w * (nw - 1);
                unsigned seen[64] = {0};
                for (unsigned j = 0; j + 1 < nw; j++) {
                    CHECK(row[j] < nw && row[j] != w);
                    seen[row[j]]++;
                    /* local victims first: exactly those on w's node */
                    CHECK_EQ(j < pl.local_victims[w],
                             pl.worker_node[row[j]] == pl.worker_node[w]);
                }
                for (unsigned v = 0; v < nw; v++)
                    CHECK_EQ(seen[v], v == w ? 0u : 1u);
                CHECK_EQ(pl.local_victims[w], pl.node_nworkers[pl.worker_node[w]] - 1);
            }
            ary_placement_free(&pl);
        }
        ary_topo_close(t);
    }
}

/* NUMA distances (from an XML file, since synthetic machines have none): the steal order
 * visits remote nodes nearest first. */
static void test_distances(void)
{
    test_phase("distances (xml)");
#if HWLOC_API_VERSION >= 0x00020500
    hwloc_topology_t h;
    CHECK_EQ(hwloc_topology_init(&h), 0);
    CHECK_EQ(hwloc_topology_set_synthetic(h, "numa:4 core:2 pu:1"), 0);
    CHECK_EQ(hwloc_topology_load(h), 0);
    hwloc_obj_t objs[4];
    for (unsigned i = 0; i < 4; i++)
        objs[i] = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, i);
    hwloc_uint64_t lat[16] = {10, 40, 20, 30, /**/ 40, 10, 30, 20,
                              20, 30, 10, 40, /**/ 30, 20, 40, 10};
#if HWLOC_API_VERSION >= 0x00030000
    unsigned long kind = HWLOC_DISTANCES_KIND_FROM_USER | HWLOC_DISTANCES_KIND_VALUE_LATENCY;
#else
    unsigned long kind = HWLOC_DISTANCES_KIND_FROM_USER | HWLOC_DISTANCES_KIND_MEANS_LATENCY;
#endif
    hwloc_distances_add_handle_t dh = hwloc_distances_add_create(h, "NUMALatency", kind, 0);
    CHECK(dh != NULL);
    CHECK_EQ(hwloc_distances_add_values(h, dh, 4, objs, lat, 0), 0);
    CHECK_EQ(hwloc_distances_add_commit(h, dh, 0), 0);
    char path[] = "/tmp/arayon-topo-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ(hwloc_topology_export_xml(h, path, 0), 0);
    hwloc_topology_destroy(h);

    char spec[64];
    snprintf(spec, sizeof spec, "xml:%s", path);
    ary_topo *t = open_topo(spec);
    unlink(path);
    CHECK_EQ(ary_topo_pus(t), 8);
    ary_placement pl;
    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 8, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 4);
    /* From node 0: node 2 (20), node 3 (30), node 1 (40). */
    static const int want[4][4] = {{-1, 2, 0, 1}, {2, -1, 1, 0}, {0, 1, -1, 2}, {1, 0, 2, -1}};
    for (unsigned w = 0; w < 8; w++)
        for (unsigned k = 0; k < 4; k++)
            CHECK_EQ(remote_rank(&pl, w, k), want[w / 2][k]);
    CHECK_EQ(pl.local_victims[0], 1);
    CHECK_EQ(pl.steal_order[0], 1);
    CHECK_EQ(pl.steal_order[1], 4);
    check_print(t, &pl, "NUMA distances known");
    check_not_this_system(t, &pl);
    ary_placement_free(&pl);
    /* Only two nodes used: 0 and 1 (os 0, 1) */
    CHECK_OK(place(t, ARAYON_BIND_CLOSE, 4, NULL, 0, &pl));
    CHECK_EQ(pl.nnodes, 2);
    ary_placement_free(&pl);
    ary_topo_close(t);
#else
    fprintf(stderr, "   (hwloc < 2.5: no distances API to build the file; skipped)\n");
#endif
}

static void test_errors(void)
{
    test_phase("errors");
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    ary_topo *t = (ary_topo *)&cfg;
    static const char *bad[] = {"synthetic:garbage here", "synthetic:", "synthetic:  ",
                                "xml:/nonexistent.xml", "xml:", "bogus", "", "pack:2 pu:2"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.topology = bad[i];
        CHECK_RC(ary_topo_open(&cfg, &t), ARAYON_EINVAL);
        CHECK(t == NULL);
        t = (ary_topo *)&cfg;
    }
    CHECK_RC(ary_topo_open(&cfg, NULL), ARAYON_EINVAL);
    ary_placement pl;
    CHECK_RC(ary_topo_place(NULL, &cfg, 2, &pl), ARAYON_EINVAL);
    CHECK_RC(ary_topo_print(NULL, &pl, NULL, test_text_write, NULL), ARAYON_EINVAL);
    ary_topo_close(NULL);
    ary_placement_free(NULL);
}

int main(void)
{
    test_two_sockets();
    test_four_nodes();
    test_eight_nodes();
    test_caches_one_node();
    test_cache_across_nodes();
    test_distances();
    test_errors();
    fprintf(stderr, "-- all passed\n");
    return 0;
}
