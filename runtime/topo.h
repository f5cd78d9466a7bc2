/*
 * topo.h - the topology layer's interface (ary_topo_ prefix). Only topo.c includes
 * <hwloc.h>; topo_none.c implements the same interface without hwloc (ARAYON_WITH_HWLOC=OFF).
 *
 * A pool opens a topology (this machine restricted to the CPUs the process may use, or a
 * synthetic/XML machine for tests and what-if runs), computes a placement for its workers
 * (PU, NUMA node and last-level-cache group of each, and each worker's steal order), binds
 * each worker from its own thread, and places per-worker memory on the worker's node.
 */
#ifndef ARY_TOPO_H
#define ARY_TOPO_H

#include <stdbool.h>
#include <stddef.h>

#include "arayon.h"

typedef struct ary_topo ary_topo; /* opaque; one per pool */

/* The workers' placement, computed once at pool creation. Arrays are owned by the struct
 * (freed by ary_placement_free). Node and cache indexes are dense: 0 .. nnodes-1. */
typedef struct ary_placement {
    unsigned nworkers;
    unsigned nnodes;             /* NUMA nodes that have workers (>= 1) */
    int *worker_pu;              /* OS PU index per worker; -1 when unknown */
    unsigned *worker_node;       /* node index per worker */
    unsigned *worker_cache;      /* last-level-cache group per worker (dense, global) */
    int *node_os_index;          /* hwloc OS index per node; -1 when unknown */
    unsigned *node_nworkers;     /* workers per node */
    /* Steal order: row w (nworkers - 1 entries) lists the other workers, same cache group
     * first, then the rest of the same node, then other nodes (nearest first when hwloc
     * knows distances, else by node index starting after w's node). */
    unsigned *steal_order;
    unsigned *local_victims;     /* per worker: how many entries of its row share its node */
    bool bind;                   /* workers are to be bound (a real machine and a policy) */
    arayon_bind_t policy;        /* the policy it was computed for (ary_topo_print) */
    /* ary_topo_current_node's table: node index per OS CPU 0 .. ncpus-1 (a CPU whose node has
     * no workers maps to the nearest node that has some). NULL (ncpus 0) when the topology is
     * not this system. */
    unsigned ncpus;
    unsigned *cpu_node;
} ary_placement;

/* Opens the topology the config asks for (cfg->topology, else this machine; hwloc itself
 * honours HWLOC_XMLFILE / HWLOC_SYNTHETIC). A machine restricted to the process's allowed
 * CPUs when it is this system. Never fails for lack of a topology: on any hwloc error it
 * returns a flat one-node topology (from sched_getaffinity) and says so once on stderr.
 * Returns ARAYON_OK, ARAYON_ENOMEM, or ARAYON_EINVAL (malformed cfg->topology). */
int ary_topo_open(const arayon_config_t *cfg, ary_topo **out);
void ary_topo_close(ary_topo *t);

/* Usable PUs and cores of the topology (for automatic thread counts). */
unsigned ary_topo_pus(const ary_topo *t);
unsigned ary_topo_cores(const ary_topo *t);
/* Whether the topology is this machine (binding and memory placement possible). */
bool ary_topo_is_this_system(const ary_topo *t);

/* Computes where nworkers workers go under cfg->bind (NONE places them as CLOSE would, without
 * binding). EINVAL for a bad ARAYON_BIND_LIST (empty, or a PU not in the topology), an unknown
 * policy or nworkers == 0; ENOMEM. On error *out is left empty (ary_placement_free is safe). */
int ary_topo_place(const ary_topo *t, const arayon_config_t *cfg, unsigned nworkers,
                   ary_placement *out);
void ary_placement_free(ary_placement *pl);

/* From worker `worker`'s own thread: binds it as planned and checks that the binding took
 * effect. Returns ARAYON_OK (bound and verified, or nothing to do), ARAYON_ESYSTEM (binding
 * failed or did not take: the reason is written to err, up to errlen bytes). */
int ary_topo_bind_self(const ary_topo *t, const ary_placement *pl, unsigned worker, char *err,
                       size_t errlen);

/* Binds [addr, addr+len) to the memory of node index `node` (pages already there migrate) and
 * checks where its pages are. To check, it touches every page of the area (rewrites one byte
 * per page with its own value): call it before other threads use the area.
 * Returns ARAYON_OK (placed and verified), ARAYON_ENOTSUP (not this system, one node, or
 * hwloc cannot tell), ARAYON_ESYSTEM (placement failed or pages elsewhere), ARAYON_EINVAL
 * (NULL or empty area, node >= pl->nnodes). */
int ary_topo_membind(const ary_topo *t, const ary_placement *pl, void *addr, size_t len,
                     unsigned node);

/* The node index (in pl) of the CPU the calling thread runs on now; 0 when unknown. Cheap:
 * sched_getcpu and a table lookup. */
unsigned ary_topo_current_node(const ary_topo *t, const ary_placement *pl);

/* Writes a human-readable description: the machine (packages, nodes, caches, cores, PUs, or
 * the synthetic description), then per worker: PU, node, cache group, bound yes/no/failed, and
 * the steal order. bind_status (may be NULL) gives per worker ARAYON_OK / ARAYON_ESYSTEM /
 * 1 (not attempted). Returns ARAYON_OK, ARAYON_EFAILED (write returned non-zero), ARAYON_EINVAL
 * (no topology, placement or write function) or ARAYON_ENOMEM. */
int ary_topo_print(const ary_topo *t, const ary_placement *pl, const int *bind_status,
                   arayon_write_fn write, void *ctx);

/* ---------------------------------------------------------------------------------------
 * Memory placement for OpenMP allocators (compat/omp_alloc.c: the partition trait and the
 * high-bandwidth memory space). Deciding which bytes of an area go to which node
 * (ary_topo_mem_plan, pure arithmetic on the topology's tables, any topology) is separate
 * from applying the decision (ary_topo_mem_apply: hwloc, this system only), so that the
 * decisions can be checked on synthetic multi-node machines.
 *
 * Nodes are the topology's node ordinals: 0 .. ary_topo_nnodes(t)-1, the NUMA nodes that
 * hold PUs, in topology order (a flat topology has one).
 * ------------------------------------------------------------------------------------- */
typedef enum ary_mem_policy {
    ARY_MEM_DEFAULT = 0,     /* the system's policy (first touch): nothing to bind */
    ARY_MEM_NEAREST = 1,     /* the whole area on the node of the given CPU */
    ARY_MEM_BLOCKED = 2,     /* contiguous blocks of whole pages, block i on nodes[i] */
    ARY_MEM_INTERLEAVED = 3, /* page by page, round robin across the nodes */
} ary_mem_policy;

/* One decision: bytes [off, off + len) of the area are bound to `node`, or, when interleave
 * is set, interleaved page by page across all the nodes the plan was made for (node is then
 * the first of them). */
typedef struct ary_mem_part {
    size_t off, len;
    unsigned node;
    bool interleave;
} ary_mem_part;

unsigned ary_topo_nnodes(const ary_topo *t);
/* The node ordinal of OS CPU `cpu`, or -1 when the topology does not have it. */
int ary_topo_cpu_node(const ary_topo *t, int cpu);
/* Whether ary_topo_mem_apply can bind memory: this system, more than one NUMA node, and
 * hwloc supports area binding here. */
bool ary_topo_can_membind(const ary_topo *t);

/* Decides where the pages of an area of len bytes go (the area starts on a page boundary):
 *   DEFAULT     no part (returns 0);
 *   NEAREST     one part, the whole area, on the node of `cpu` (nodes[0] when the
 *               topology does not know that CPU, e.g. cpu = -1);
 *   BLOCKED     the area's pages split into nnodes contiguous blocks of equal page counts
 *               (the last one shorter; blocks that would be empty are left out), block i
 *               on nodes[i];
 *   INTERLEAVED one part, the whole area, interleaved across the nodes (or, when there is
 *               a single node, bound to it).
 * nodes/nnodes: the nodes to use (an allocator's access group), each < ary_topo_nnodes(t);
 * NULL/0: every node of the topology. page: the page size (0: the system's).
 * Writes at most max(nnodes, 1) parts (the topology's node count when nodes is NULL) and
 * returns how many, or -1 for an invalid argument (no topology, a node out of range, more
 * parts than maxparts, an unknown policy). No system call except sysconf. */
int ary_topo_mem_plan(const ary_topo *t, ary_mem_policy policy, const unsigned *nodes,
                      unsigned nnodes, int cpu, size_t len, size_t page, ary_mem_part *parts,
                      unsigned maxparts);

/* Applies a plan of ary_topo_mem_plan (the same nodes/nnodes) to the page-aligned area
 * [addr, addr + len): hwloc_set_area_membind with HWLOC_MEMBIND_BIND for the bound parts and
 * HWLOC_MEMBIND_INTERLEAVE for the interleaved one. Call it before the pages are touched.
 * Returns ARAYON_OK, ARAYON_ENOTSUP (nothing to do here: not this system, one NUMA node,
 * no hwloc or no area binding; the memory stays under the system's policy), ARAYON_ESYSTEM
 * (hwloc refused; the pages bound so far stay bound), ARAYON_EINVAL. */
int ary_topo_mem_apply(const ary_topo *t, void *addr, size_t len, const ary_mem_part *parts,
                       unsigned nparts, const unsigned *nodes, unsigned nnodes);

/* High-bandwidth memory: the NUMA nodes hwloc reports as such (subtype "HBM" or "MCDRAM",
 * usually memory-only nodes). ary_topo_hbw_nodes: how many (0 on most machines, always
 * without hwloc or on a topology that is not this system). ary_topo_mem_bind_hbw binds the
 * page-aligned area [addr, addr + len) to them (ARAYON_OK, ARAYON_ENOTSUP when there are
 * none, ARAYON_ESYSTEM, ARAYON_EINVAL). */
unsigned ary_topo_hbw_nodes(const ary_topo *t);
int ary_topo_mem_bind_hbw(const ary_topo *t, void *addr, size_t len);

#endif
