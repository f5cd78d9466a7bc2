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

#endif
