/*
 * test_alloc_place.c - where the OpenMP allocators' partition trait puts memory
 * (runtime/topo.h: ary_topo_mem_plan, ary_topo_mem_apply, ary_topo_cpu_node, the
 * high-bandwidth memory queries).
 *
 * On synthetic 2- and 4-node machines (hwloc "synthetic:" topologies, which are never this
 * system): the byte ranges each policy binds to each node, for areas of one byte, fewer
 * pages than nodes, a multiple of the node count and not, with all nodes and with an access
 * group (a node list); the interleaved and nearest decisions; argument errors; applying a
 * plan there does nothing (ARAYON_ENOTSUP). On this machine: the plan for the calling
 * thread's CPU, applied to a real mapping that stays usable. Built without hwloc
 * (TEST_NO_HWLOC), synthetic machines cannot be loaded: the flat topology's one-node plans
 * are checked instead.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include <sys/mman.h>

#include "topo.h"
#include "topo_check.h"

#define PAGE ((size_t)4096)

static ary_topo *open_spec(const char *spec)
{
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.topology = spec;
    ary_topo *t = NULL;
    CHECK_OK(ary_topo_open(&cfg, &t));
    CHECK(t != NULL);
    return t;
}

/* plan, and check it against the expected parts {off, len, node, interleave} */
typedef struct {
    size_t off, len;
    unsigned node;
    bool interleave;
} want_part;

static void check_plan(const ary_topo *t, ary_mem_policy pol, const unsigned *nodes,
                       unsigned nn, int cpu, size_t len, const want_part *want, int nwant)
{
    ary_mem_part parts[16];
    memset(parts, 0xa5, sizeof parts);
    int n = ary_topo_mem_plan(t, pol, nodes, nn, cpu, len, PAGE, parts, 16);
    CHECK_MSG(n == nwant, "policy %d, len %zu, cpu %d: %d parts, expected %d", (int)pol, len,
              cpu, n, nwant);
    size_t covered = 0;
    for (int i = 0; i < n; i++) {
        CHECK_MSG(parts[i].off == want[i].off && parts[i].len == want[i].len &&
                      parts[i].node == want[i].node &&
                      parts[i].interleave == want[i].interleave,
                  "policy %d, len %zu, part %d: [%zu, +%zu) node %u%s, expected [%zu, +%zu) "
                  "node %u%s", (int)pol, len, i, parts[i].off, parts[i].len, parts[i].node,
                  parts[i].interleave ? " interleaved" : "", want[i].off, want[i].len,
                  want[i].node, want[i].interleave ? " interleaved" : "");
        /* parts are contiguous, in order, start on page boundaries and cover the area */
        CHECK_EQ(parts[i].off, covered);
        CHECK_EQ(parts[i].off % PAGE, 0);
        covered += parts[i].len;
    }
    if (n > 0)
        CHECK_EQ(covered, len);
}

static void synthetic_two_nodes(void)
{
    test_phase("synthetic 2 nodes");
    ary_topo *t = open_spec("synthetic:pack:2 numa:1 core:2 pu:1");
    CHECK(!ary_topo_is_this_system(t));
    CHECK_EQ(ary_topo_nnodes(t), 2);
    CHECK(!ary_topo_can_membind(t));
    CHECK_EQ(ary_topo_hbw_nodes(t), 0);
    /* PUs 0,1 on node 0; 2,3 on node 1 */
    CHECK_EQ(ary_topo_cpu_node(t, 0), 0);
    CHECK_EQ(ary_topo_cpu_node(t, 1), 0);
    CHECK_EQ(ary_topo_cpu_node(t, 2), 1);
    CHECK_EQ(ary_topo_cpu_node(t, 3), 1);
    CHECK_EQ(ary_topo_cpu_node(t, 4), -1);
    CHECK_EQ(ary_topo_cpu_node(t, -1), -1);

    /* environment: nothing to bind */
    check_plan(t, ARY_MEM_DEFAULT, NULL, 0, 0, 10 * PAGE, NULL, 0);
    /* nearest: the node of the CPU, the whole area; an unknown CPU gets the first node */
    check_plan(t, ARY_MEM_NEAREST, NULL, 0, 3, 10 * PAGE,
               (want_part[]){{0, 10 * PAGE, 1, false}}, 1);
    check_plan(t, ARY_MEM_NEAREST, NULL, 0, 1, 100, (want_part[]){{0, 100, 0, false}}, 1);
    check_plan(t, ARY_MEM_NEAREST, NULL, 0, -1, 100, (want_part[]){{0, 100, 0, false}}, 1);
    /* blocked: half the pages each */
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 10 * PAGE,
               (want_part[]){{0, 5 * PAGE, 0, false}, {5 * PAGE, 5 * PAGE, 1, false}}, 2);
    /* an odd page count: the first block takes the extra page, the last ends at len */
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 3 * PAGE - 10,
               (want_part[]){{0, 2 * PAGE, 0, false}, {2 * PAGE, PAGE - 10, 1, false}}, 2);
    /* one page: one block, on the first node */
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 1, (want_part[]){{0, 1, 0, false}}, 1);
    /* interleaved: the whole area across both nodes */
    check_plan(t, ARY_MEM_INTERLEAVED, NULL, 0, 2, 7 * PAGE,
               (want_part[]){{0, 7 * PAGE, 0, true}}, 1);
    /* an access group of one node (access = thread on node 1) */
    check_plan(t, ARY_MEM_BLOCKED, (unsigned[]){1}, 1, 0, 4 * PAGE,
               (want_part[]){{0, 4 * PAGE, 1, false}}, 1);
    check_plan(t, ARY_MEM_INTERLEAVED, (unsigned[]){1}, 1, 0, 4 * PAGE,
               (want_part[]){{0, 4 * PAGE, 1, false}}, 1);
    /* an empty area: no parts */
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 0, NULL, 0);

    /* errors: a node out of range, an empty node list, no room for the parts, no topology,
     * an unknown policy */
    ary_mem_part parts[4];
    CHECK_EQ(ary_topo_mem_plan(t, ARY_MEM_BLOCKED, (unsigned[]){0, 2}, 2, 0, PAGE, PAGE, parts, 4),
             -1);
    CHECK_EQ(ary_topo_mem_plan(t, ARY_MEM_BLOCKED, (unsigned[]){0}, 0, 0, PAGE, PAGE, parts, 4),
             -1);
    CHECK_EQ(ary_topo_mem_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 10 * PAGE, PAGE, parts, 1), -1);
    CHECK_EQ(ary_topo_mem_plan(NULL, ARY_MEM_NEAREST, NULL, 0, 0, PAGE, PAGE, parts, 4), -1);
    CHECK_EQ(ary_topo_mem_plan(t, (ary_mem_policy)9, NULL, 0, 0, PAGE, PAGE, parts, 4), -1);

    /* applying on a machine that is not this one: nothing is bound */
    int n = ary_topo_mem_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 4 * PAGE, PAGE, parts, 4);
    CHECK_EQ(n, 2);
    void *area = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED);
    CHECK_RC(ary_topo_mem_apply(t, area, 4 * PAGE, parts, (unsigned)n, NULL, 0), ARAYON_ENOTSUP);
    CHECK_RC(ary_topo_mem_bind_hbw(t, area, 4 * PAGE), ARAYON_ENOTSUP);
    /* a part beyond the area, a node out of range, no area */
    ary_mem_part bad = {.off = 3 * PAGE, .len = 2 * PAGE, .node = 0};
    CHECK_RC(ary_topo_mem_apply(t, area, 4 * PAGE, &bad, 1, NULL, 0), ARAYON_EINVAL);
    bad = (ary_mem_part){.off = 0, .len = PAGE, .node = 2};
    CHECK_RC(ary_topo_mem_apply(t, area, 4 * PAGE, &bad, 1, NULL, 0), ARAYON_EINVAL);
    CHECK_RC(ary_topo_mem_apply(t, NULL, 4 * PAGE, parts, 1, NULL, 0), ARAYON_EINVAL);
    CHECK_RC(ary_topo_mem_bind_hbw(t, NULL, PAGE), ARAYON_EINVAL);
    munmap(area, 4 * PAGE);
    ary_topo_close(t);
}

static void synthetic_four_nodes(const char *spec, unsigned pus_per_node)
{
    test_phase(spec);
    ary_topo *t = open_spec(spec);
    CHECK_EQ(ary_topo_nnodes(t), 4);
    for (int cpu = 0; cpu < (int)(4 * pus_per_node); cpu++)
        CHECK_EQ(ary_topo_cpu_node(t, cpu), cpu / (int)pus_per_node);
    /* nearest from a CPU of each node */
    for (unsigned node = 0; node < 4; node++)
        check_plan(t, ARY_MEM_NEAREST, NULL, 0, (int)(node * pus_per_node), 3 * PAGE,
                   (want_part[]){{0, 3 * PAGE, node, false}}, 1);
    /* blocked, 10 pages over 4 nodes: 3 + 3 + 3 + 1 */
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 10 * PAGE,
               (want_part[]){{0, 3 * PAGE, 0, false},
                             {3 * PAGE, 3 * PAGE, 1, false},
                             {6 * PAGE, 3 * PAGE, 2, false},
                             {9 * PAGE, PAGE, 3, false}},
               4);
    /* 8 pages: 2 each */
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 8 * PAGE,
               (want_part[]){{0, 2 * PAGE, 0, false},
                             {2 * PAGE, 2 * PAGE, 1, false},
                             {4 * PAGE, 2 * PAGE, 2, false},
                             {6 * PAGE, 2 * PAGE, 3, false}},
               4);
    /* 6 pages: 2 + 2 + 2, the last node gets none */
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 6 * PAGE,
               (want_part[]){{0, 2 * PAGE, 0, false},
                             {2 * PAGE, 2 * PAGE, 1, false},
                             {4 * PAGE, 2 * PAGE, 2, false}},
               3);
    /* fewer pages than nodes: a page each on the first ones */
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 2 * PAGE + 1,
               (want_part[]){{0, PAGE, 0, false}, {PAGE, PAGE, 1, false}, {2 * PAGE, 1, 2, false}},
               3);
    /* an access group of nodes 1 and 3 (a team on those nodes) */
    check_plan(t, ARY_MEM_BLOCKED, (unsigned[]){1, 3}, 2, 0, 5 * PAGE,
               (want_part[]){{0, 3 * PAGE, 1, false}, {3 * PAGE, 2 * PAGE, 3, false}}, 2);
    check_plan(t, ARY_MEM_INTERLEAVED, (unsigned[]){1, 3}, 2, 0, 5 * PAGE,
               (want_part[]){{0, 5 * PAGE, 1, true}}, 1);
    check_plan(t, ARY_MEM_INTERLEAVED, NULL, 0, 0, 64 * PAGE,
               (want_part[]){{0, 64 * PAGE, 0, true}}, 1);
    /* a large area: block boundaries stay on pages */
    size_t big = ((size_t)1 << 30) + 123;
    size_t pages = big / PAGE + 1, per = (pages + 3) / 4;
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, big,
               (want_part[]){{0, per * PAGE, 0, false},
                             {per * PAGE, per * PAGE, 1, false},
                             {2 * per * PAGE, per * PAGE, 2, false},
                             {3 * per * PAGE, big - 3 * per * PAGE, 3, false}},
               4);
    ary_mem_part parts[4];
    int n = ary_topo_mem_plan(t, ARY_MEM_INTERLEAVED, NULL, 0, 0, 4 * PAGE, PAGE, parts, 4);
    CHECK_EQ(n, 1);
    void *area = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED);
    CHECK_RC(ary_topo_mem_apply(t, area, 4 * PAGE, parts, 1, NULL, 0), ARAYON_ENOTSUP);
    munmap(area, 4 * PAGE);
    ary_topo_close(t);
}

/* Built without hwloc: any topology is the flat one-node one. */
static void flat_plans(const char *spec)
{
    test_phase("flat topology (no hwloc)");
    ary_topo *t = open_spec(spec);
    CHECK_EQ(ary_topo_nnodes(t), 1);
    CHECK(!ary_topo_can_membind(t));
    CHECK_EQ(ary_topo_hbw_nodes(t), 0);
    check_plan(t, ARY_MEM_BLOCKED, NULL, 0, 0, 10 * PAGE,
               (want_part[]){{0, 10 * PAGE, 0, false}}, 1);
    check_plan(t, ARY_MEM_INTERLEAVED, NULL, 0, 0, 10 * PAGE,
               (want_part[]){{0, 10 * PAGE, 0, false}}, 1);
    check_plan(t, ARY_MEM_NEAREST, NULL, 0, -1, 10 * PAGE,
               (want_part[]){{0, 10 * PAGE, 0, false}}, 1);
    ary_topo_close(t);
}

/* This machine: the plan for the calling thread's CPU, applied to a real mapping. */
static void this_machine(void)
{
    test_phase("this machine");
    ary_topo *t = NULL;
    CHECK_OK(ary_topo_open(NULL, &t));
    unsigned nn = ary_topo_nnodes(t);
    CHECK_GE(nn, 1);
    int cpu = sched_getcpu();
    if (cpu >= 0 && ary_topo_is_this_system(t))
        CHECK_MSG(ary_topo_cpu_node(t, cpu) >= 0, "CPU %d has no node", cpu);
    size_t len = 16 * PAGE;
    ary_mem_part parts[64];
    for (int pol = ARY_MEM_NEAREST; pol <= ARY_MEM_INTERLEAVED; pol++) {
        int n = ary_topo_mem_plan(t, (ary_mem_policy)pol, NULL, 0, cpu, len, PAGE, parts, 64);
        CHECK_GE(n, 1);
        unsigned char *area =
            mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(area != MAP_FAILED);
        int rc = ary_topo_mem_apply(t, area, len, parts, (unsigned)n, NULL, 0);
        if (ary_topo_can_membind(t))
            CHECK_MSG(rc == ARAYON_OK || rc == ARAYON_ESYSTEM, "apply: %s", test_rc_name(rc));
        else
            CHECK_RC(rc, ARAYON_ENOTSUP); /* one NUMA node (or no hwloc): ordinary memory */
        for (size_t i = 0; i < len; i += 512)
            area[i] = (unsigned char)i;
        for (size_t i = 0; i < len; i += 512)
            CHECK_EQ(area[i], (unsigned char)i);
        munmap(area, len);
    }
    fprintf(stderr, "   this machine: %u node(s), memory binding %s, %u high-bandwidth node(s)\n",
            nn, ary_topo_can_membind(t) ? "supported" : "not applicable",
            ary_topo_hbw_nodes(t));
    ary_topo_close(t);
}

int main(void)
{
#ifdef TEST_NO_HWLOC
    flat_plans("synthetic:pack:2 numa:1 core:2 pu:1");
    (void)synthetic_two_nodes;
    (void)synthetic_four_nodes;
#else
    synthetic_two_nodes();
    synthetic_four_nodes("synthetic:pack:4 numa:1 core:2 pu:1", 2);
    synthetic_four_nodes("synthetic:pack:2 numa:2 core:2 pu:2", 4);
    (void)flat_plans;
#endif
    this_machine();
    fprintf(stderr, "ok\n");
    return 0;
}
