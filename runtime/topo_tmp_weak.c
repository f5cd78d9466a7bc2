/* TEMPORARY (integration scaffold, removed when topo.c implements topo.h): weak, flat
 * one-node versions of the topo.h functions so that the tree builds meanwhile. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define WEAK __attribute__((weak))

struct ary_topo { int unused; };

WEAK int ary_topo_open(const arayon_config_t *cfg, ary_topo **out)
{
    (void)cfg;
    *out = calloc(1, sizeof **out);
    return *out ? ARAYON_OK : ARAYON_ENOMEM;
}
WEAK void ary_topo_close(ary_topo *t) { free(t); }
WEAK unsigned ary_topo_pus(const ary_topo *t) { (void)t; return aryd_allowed_cpus(); }
WEAK unsigned ary_topo_cores(const ary_topo *t) { (void)t; return aryd_allowed_cpus(); }
WEAK bool ary_topo_is_this_system(const ary_topo *t) { (void)t; return true; }

WEAK int ary_topo_place(const ary_topo *t, const arayon_config_t *cfg, unsigned n, ary_placement *pl)
{
    (void)t, (void)cfg;
    memset(pl, 0, sizeof *pl);
    pl->nworkers = n;
    pl->nnodes = 1;
    pl->worker_pu = calloc(n, sizeof(int));
    pl->worker_node = calloc(n, sizeof(unsigned));
    pl->worker_cache = calloc(n, sizeof(unsigned));
    pl->node_os_index = calloc(1, sizeof(int));
    pl->node_nworkers = calloc(1, sizeof(unsigned));
    pl->steal_order = calloc(n * (n ? n - 1 : 0) + 1, sizeof(unsigned));
    pl->local_victims = calloc(n, sizeof(unsigned));
    if (!pl->worker_pu || !pl->worker_node || !pl->worker_cache || !pl->node_os_index ||
        !pl->node_nworkers || !pl->steal_order || !pl->local_victims)
        return ARAYON_ENOMEM;
    pl->node_nworkers[0] = n;
    for (unsigned w = 0; w < n; w++) {
        pl->worker_pu[w] = -1;
        pl->local_victims[w] = n - 1;
        unsigned k = 0;
        for (unsigned v = 0; v < n; v++)
            if (v != w)
                pl->steal_order[(size_t)w * (n - 1) + k++] = v;
    }
    return ARAYON_OK;
}
WEAK void ary_placement_free(ary_placement *pl)
{
    free(pl->worker_pu);
    free(pl->worker_node);
    free(pl->worker_cache);
    free(pl->node_os_index);
    free(pl->node_nworkers);
    free(pl->steal_order);
    free(pl->local_victims);
    memset(pl, 0, sizeof *pl);
}
WEAK int ary_topo_bind_self(const ary_topo *t, const ary_placement *pl, unsigned w, char *e, size_t n)
{
    (void)t, (void)pl, (void)w, (void)e, (void)n;
    return ARAYON_OK;
}
WEAK int ary_topo_membind(const ary_topo *t, const ary_placement *pl, void *a, size_t l, unsigned node)
{
    (void)t, (void)pl, (void)a, (void)l, (void)node;
    return ARAYON_ENOTSUP;
}
WEAK unsigned ary_topo_current_node(const ary_topo *t, const ary_placement *pl)
{
    (void)t, (void)pl;
    return 0;
}
WEAK int ary_topo_print(const ary_topo *t, const ary_placement *pl, const int *bs, arayon_write_fn wr,
                        void *ctx)
{
    (void)t, (void)pl, (void)bs;
    static const char msg[] = "arayon: topology: flat (scaffold)\n";
    return wr(msg, sizeof msg - 1, ctx) ? ARAYON_EFAILED : ARAYON_OK;
}
