/*
 * topo.c - the only file that includes <hwloc.h>. For now it only counts cores and PUs in
 * the CPUs this process may use; placement and NUMA awareness come with the topology issue.
 */
#include "internal.h"

#include <hwloc.h>
#include <pthread.h>

#if HWLOC_API_VERSION < 0x00020000
#error "arayon needs hwloc 2.x or 3.x"
#endif

static pthread_once_t topo_once = PTHREAD_ONCE_INIT;
static unsigned n_cores, n_pus;

static void topo_probe(void)
{
    n_pus = aryd_allowed_cpus();
    n_cores = 0;
    /* Built against 2.x: a 3.x library at run time is fine only if the ABI major matches. */
    unsigned rt = hwloc_get_api_version();
    if ((rt >> 16) != (HWLOC_API_VERSION >> 16))
        return;
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return;
    if (hwloc_topology_load(topo) == 0) {
        hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
        hwloc_bitmap_t mine = hwloc_bitmap_alloc();
        if (mine && hwloc_get_cpubind(topo, mine, HWLOC_CPUBIND_PROCESS) == 0)
            hwloc_bitmap_and(mine, mine, allowed);
        else if (mine)
            hwloc_bitmap_copy(mine, allowed);
        if (mine) {
            int pus = hwloc_get_nbobjs_inside_cpuset_by_type(topo, mine, HWLOC_OBJ_PU);
            int cores = hwloc_get_nbobjs_inside_cpuset_by_type(topo, mine, HWLOC_OBJ_CORE);
            if (pus > 0)
                n_pus = (unsigned)pus;
            if (cores > 0)
                n_cores = (unsigned)cores;
            hwloc_bitmap_free(mine);
        }
    }
    hwloc_topology_destroy(topo);
}

unsigned ary_topo_num_pus(void)
{
    pthread_once(&topo_once, topo_probe);
    return n_pus ? n_pus : 1;
}

unsigned ary_topo_num_cores(void)
{
    pthread_once(&topo_once, topo_probe);
    return n_cores ? n_cores : ary_topo_num_pus();
}
