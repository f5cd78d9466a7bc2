/*
 * topo_table.h - the topology as a plain table (private to topo.c, which builds it from
 * hwloc, and placement.c, which computes placements, steal orders and the printout from it
 * without hwloc).
 */
#ifndef ARY_TOPO_TABLE_H
#define ARY_TOPO_TABLE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "topo.h"

#define NO_IDX UINT_MAX

/* Where a topology comes from. */
enum { SRC_DEFAULT = 0, SRC_SYNTHETIC = 1, SRC_XML = 2 };
#define ARY_FALLBACK 1 /* internal return value: use the flat topology */

typedef struct topo_pu {
    int os;        /* OS index */
    unsigned core; /* core ordinal (a PU without a core is its own core) */
    unsigned smt;  /* rank among its core's PUs */
    unsigned node; /* topology node ordinal */
    unsigned llc;  /* last-level cache ordinal, NO_IDX when the topology has no cache */
    unsigned pkg;  /* package ordinal (0 when there are no packages) */
} topo_pu;

typedef struct topo_node {
    int os;        /* OS index, -1 unknown */
    unsigned pkg;  /* package of its first PU */
    unsigned npus;
    uint64_t mem;  /* local memory in bytes, 0 unknown */
} topo_node;

struct ary_topo {
    unsigned npus, ncores, nnodes, npkgs, nllc;
    topo_pu *pu;        /* npus, in close order */
    topo_node *node;    /* nnodes: the NUMA nodes that hold PUs, in topology order */
    uint64_t *dist;     /* nnodes x nnodes latencies; NULL when unknown */
    int *os_to_pu;      /* max_os + 1: index in pu[] of each OS PU, -1 when not usable */
    int max_os;
    unsigned mem_nodes; /* NUMA nodes in the topology, with or without CPUs */
    unsigned llc_level; /* 3 for an L3, 0 without caches */
    uint64_t llc_size;
    bool thissystem;    /* real CPUs: binding possible */
    bool flat;          /* hwloc gave nothing: one node from sched_getaffinity */
    bool shared;        /* the process-wide default: ary_topo_close keeps it */
    bool membind;       /* memory binding and page location supported */
    char *source;       /* what was loaded, for ary_topo_print */
    void *h;            /* the hwloc_topology_t (topo.c only); NULL for a flat topology */
};

#endif
