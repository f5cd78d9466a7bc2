/*
 * topo_none.c - the topology layer (topo.h) without hwloc, for a build with
 * ARAYON_WITH_HWLOC=OFF. Compile this file instead of topo.c, never both.
 *
 * It is topo.c with every hwloc part left out, so that placement, steal orders and printing
 * are the same code in both builds. What is left:
 *   - the topology is always flat: one NUMA node (OS index unknown), each CPU that
 *     sched_getaffinity allows its own core, no cache information;
 *   - ARAYON_BIND_CLOSE / SPREAD / LIST bind with sched_setaffinity (checked with
 *     sched_getaffinity), LIST rejects CPUs the process may not use;
 *   - memory placement is ARAYON_ENOTSUP; so is applying an OpenMP allocator's placement
 *     plan (ary_topo_mem_apply: the plans themselves are computed, for the one node), and
 *     there is no high-bandwidth memory (ary_topo_hbw_nodes is 0);
 *   - cfg->topology "synthetic:..." / "xml:..." cannot be read: the pool gets the flat
 *     topology of this machine, grouped but never bound, and says so once on stderr; any
 *     other string is ARAYON_EINVAL, as with hwloc.
 */
#define ARY_TOPO_NO_HWLOC 1
#include "topo.c"
