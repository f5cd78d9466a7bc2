/*
 * placement.c - where workers go (CLOSE, SPREAD, LIST, NONE), their steal orders, the
 * CPU -> node lookup for outside spawns, and the human-readable printout. Works on the
 * topology table (topo_table.h) only: no hwloc here, so it is the same code with and
 * without hwloc.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "internal.h"
#include "strbuf.h"
#include "topo_table.h"

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * Placement
 * ------------------------------------------------------------------------------------- */
/* Spread order of the PUs: round-robin over domains (NUMA nodes, interleaved across packages;
 * packages when there is a single node), each domain giving the first PU of each of its
 * cores before any second PU. */
static int spread_order(const ary_topo *t, unsigned *ord)
{
    unsigned n = t->npus, nd;
    unsigned *dom = malloc(((size_t)n + t->nnodes + 1) * sizeof *dom); /* domain per PU */
    if (!dom)
        return ARAYON_ENOMEM;
    unsigned *node_dom = dom + n;
    if (t->nnodes > 1) {
        /* Node order (rank within its package, package, index): with 2 packages of 2
         * nodes, 0 2 1 3, so that two workers land on different packages. */
        nd = t->nnodes;
        unsigned pos = 0;
        for (unsigned rank = 0; pos < nd && rank < nd; rank++) {
            for (unsigned g = 0; g < t->npkgs; g++) {
                unsigned r = 0;
                for (unsigned k = 0; k < nd; k++) {
                    if (t->node[k].pkg != g)
                        continue;
                    if (r++ == rank)
                        node_dom[k] = pos++;
                }
            }
        }
        for (unsigned i = 0; i < n; i++)
            dom[i] = node_dom[t->pu[i].node];
    } else if (t->npkgs > 1) {
        nd = t->npkgs;
        for (unsigned i = 0; i < n; i++)
            dom[i] = t->pu[i].pkg;
    } else {
        nd = 1;
        for (unsigned i = 0; i < n; i++)
            dom[i] = 0;
    }
    /* start[d]: where domain d's list begins; count[d]: its size. */
    unsigned *start = calloc((size_t)nd * 2, sizeof *start);
    unsigned *count = start ? start + nd : NULL;
    unsigned *list = malloc((size_t)n * sizeof *list);
    if (!start || !list) {
        free(dom);
        free(start);
        free(list);
        return ARAYON_ENOMEM;
    }
    /* Each domain's PUs: first PUs of cores (in close order), then second PUs, ... */
    unsigned max_smt = 0;
    for (unsigned i = 0; i < n; i++) {
        if (t->pu[i].smt > max_smt)
            max_smt = t->pu[i].smt;
        count[dom[i]]++;
    }
    for (unsigned d = 0, acc = 0; d < nd; d++) {
        start[d] = acc;
        acc += count[d];
        count[d] = 0;
    }
    for (unsigned s = 0; s <= max_smt; s++)
        for (unsigned i = 0; i < n; i++)
            if (t->pu[i].smt == s)
                list[start[dom[i]] + count[dom[i]]++] = i;
    /* Round-robin over the domains until every PU is taken. */
    unsigned *taken = calloc(nd, sizeof *taken);
    if (!taken) {
        free(dom);
        free(start);
        free(list);
        return ARAYON_ENOMEM;
    }
    for (unsigned k = 0; k < n;)
        for (unsigned d = 0; d < nd && k < n; d++)
            if (taken[d] < count[d])
                ord[k++] = list[start[d] + taken[d]++];
    free(taken);
    free(dom);
    free(start);
    free(list);
    return ARAYON_OK;
}

void ary_placement_free(ary_placement *pl)
{
    if (!pl)
        return;
    free(pl->worker_pu);
    free(pl->worker_node);
    free(pl->worker_cache);
    free(pl->node_os_index);
    free(pl->node_nworkers);
    free(pl->steal_order);
    free(pl->local_victims);
    free(pl->cpu_node);
    memset(pl, 0, sizeof *pl);
}

/* Latency between topology nodes a and b; 0 when unknown. */
static uint64_t node_dist(const ary_topo *t, unsigned a, unsigned b)
{
    return t->dist ? t->dist[(size_t)a * t->nnodes + b] : 0;
}

int ary_topo_place(const ary_topo *t, const arayon_config_t *cfg, unsigned nworkers,
                   ary_placement *out)
{
    if (!out)
        return ARAYON_EINVAL;
    memset(out, 0, sizeof *out);
    arayon_bind_t policy = cfg ? cfg->bind : ARAYON_BIND_NONE;
    if (!t || !t->npus || nworkers == 0 || (unsigned)policy > ARAYON_BIND_LIST)
        return ARAYON_EINVAL;
    if (policy == ARAYON_BIND_LIST && (!cfg->bind_pus || !cfg->num_bind_pus))
        return ARAYON_EINVAL;

    unsigned n = nworkers, T = t->nnodes;
    int rc = ARAYON_ENOMEM;
    unsigned *pick = malloc((size_t)n * sizeof *pick);       /* index in t->pu per worker */
    unsigned *ord = malloc((size_t)t->npus * sizeof *ord);
    unsigned *topo_to_pl = malloc((size_t)T * sizeof *topo_to_pl);
    unsigned *pl_to_topo = malloc((size_t)T * sizeof *pl_to_topo);
    unsigned *llc_cache = malloc(((size_t)t->nllc + 1) * T * sizeof *llc_cache);
    /* Members of each node and cache group, in worker order, and each worker's rank there. */
    unsigned *node_start = NULL, *node_mem = NULL, *cache_start = NULL, *cache_mem = NULL;
    unsigned *rank_node = NULL, *rank_cache = NULL, *rorder = NULL;
    if (!pick || !ord || !topo_to_pl || !pl_to_topo || !llc_cache)
        goto fail;

    /* 1. A PU per worker. */
    switch (policy) {
    case ARAYON_BIND_NONE:
    case ARAYON_BIND_CLOSE:
        for (unsigned i = 0; i < n; i++)
            pick[i] = i % t->npus;
        break;
    case ARAYON_BIND_SPREAD:
        if ((rc = spread_order(t, ord)) != ARAYON_OK)
            goto fail;
        rc = ARAYON_ENOMEM;
        for (unsigned i = 0; i < n; i++)
            pick[i] = ord[i % t->npus];
        break;
    case ARAYON_BIND_LIST:
        for (unsigned i = 0; i < n; i++) {
            unsigned os = cfg->bind_pus[i % cfg->num_bind_pus];
            if (os > (unsigned)t->max_os || t->os_to_pu[os] < 0) {
                rc = ARAYON_EINVAL;
                goto fail;
            }
            pick[i] = (unsigned)t->os_to_pu[os];
        }
        break;
    }

    out->nworkers = n;
    out->policy = policy;
    out->bind = policy != ARAYON_BIND_NONE && t->thissystem;
    out->worker_pu = malloc((size_t)n * sizeof *out->worker_pu);
    out->worker_node = malloc((size_t)n * sizeof *out->worker_node);
    out->worker_cache = malloc((size_t)n * sizeof *out->worker_cache);
    out->local_victims = malloc((size_t)n * sizeof *out->local_victims);
    /* At least one element, so that a one-worker pool's row pointer is never NULL + 0. */
    out->steal_order = malloc(((size_t)n * (n - 1) + 1) * sizeof *out->steal_order);
    if (!out->worker_pu || !out->worker_node || !out->worker_cache || !out->local_victims ||
        !out->steal_order)
        goto fail;

    /* 2. Nodes: dense over the nodes that have workers, in topology order. */
    for (unsigned d = 0; d < T; d++)
        topo_to_pl[d] = NO_IDX;
    for (unsigned i = 0; i < n; i++)
        topo_to_pl[t->pu[pick[i]].node] = 1; /* has workers; numbered below */
    unsigned nn = 0;
    for (unsigned d = 0; d < T; d++)
        if (topo_to_pl[d] != NO_IDX) {
            pl_to_topo[nn] = d;
            topo_to_pl[d] = nn++;
        }
    out->nnodes = nn;
    out->node_os_index = malloc((size_t)nn * sizeof *out->node_os_index);
    out->node_nworkers = calloc(nn, sizeof *out->node_nworkers);
    if (!out->node_os_index || !out->node_nworkers)
        goto fail;
    for (unsigned k = 0; k < nn; k++)
        out->node_os_index[k] = t->node[pl_to_topo[k]].os;

    /* 3. Cache groups: a last-level cache and a node together (a cache may span several
     * nodes: Xeons with sub-NUMA clustering show one L3 above 2-4 nodes; a group that left
     * its node would list its workers twice in step 6 and overrun the rows), or the node
     * when there are no caches; numbered in order of first appearance. */
    for (size_t c = 0; c < ((size_t)t->nllc + 1) * T; c++)
        llc_cache[c] = NO_IDX;
    unsigned ncache = 0;
    for (unsigned i = 0; i < n; i++) {
        const topo_pu *p = &t->pu[pick[i]];
        out->worker_pu[i] = p->os;
        out->worker_node[i] = topo_to_pl[p->node];
        out->node_nworkers[out->worker_node[i]]++;
        unsigned key = (p->llc != NO_IDX ? p->llc : t->nllc) * T + p->node;
        if (llc_cache[key] == NO_IDX)
            llc_cache[key] = ncache++;
        out->worker_cache[i] = llc_cache[key];
    }

    /* 4. Member lists. */
    node_start = calloc((size_t)nn + 1, sizeof *node_start);
    cache_start = calloc((size_t)ncache + 1, sizeof *cache_start);
    node_mem = malloc((size_t)n * sizeof *node_mem);
    cache_mem = malloc((size_t)n * sizeof *cache_mem);
    rank_node = malloc((size_t)n * sizeof *rank_node);
    rank_cache = malloc((size_t)n * sizeof *rank_cache);
    rorder = malloc(((size_t)nn * nn + 1) * sizeof *rorder);
    if (!node_start || !cache_start || !node_mem || !cache_mem || !rank_node || !rank_cache ||
        !rorder)
        goto fail;
    for (unsigned i = 0; i < n; i++) {
        node_start[out->worker_node[i] + 1]++;
        cache_start[out->worker_cache[i] + 1]++;
    }
    for (unsigned k = 0; k < nn; k++)
        node_start[k + 1] += node_start[k];
    for (unsigned c = 0; c < ncache; c++)
        cache_start[c + 1] += cache_start[c];
    {
        unsigned *nf = calloc((size_t)nn + ncache + 1, sizeof *nf), *cf = nf ? nf + nn : NULL;
        if (!nf)
            goto fail;
        for (unsigned i = 0; i < n; i++) {
            unsigned k = out->worker_node[i], c = out->worker_cache[i];
            rank_node[i] = nf[k]++;
            node_mem[node_start[k] + rank_node[i]] = i;
            rank_cache[i] = cf[c]++;
            cache_mem[cache_start[c] + rank_cache[i]] = i;
        }
        free(nf);
    }

    /* 5. Remote node order per node: nearest first (latency), ties and unknown distances
     * by index starting after the node. Insertion sort: nodes are few. */
    for (unsigned a = 0; a < nn; a++) {
        unsigned *r = rorder + (size_t)a * nn, m = 0;
        for (unsigned j = 1; j < nn; j++) {
            unsigned b = (a + j) % nn;
            uint64_t db = node_dist(t, pl_to_topo[a], pl_to_topo[b]);
            unsigned pos = m;
            while (pos > 0 && node_dist(t, pl_to_topo[a], pl_to_topo[r[pos - 1]]) > db) {
                r[pos] = r[pos - 1];
                pos--;
            }
            r[pos] = b;
            m++;
        }
    }

    /* 6. Steal orders: same cache group (cyclically after w), rest of the node, then each
     * remote node in order (its members rotated by w's rank so that a node's workers do not
     * all start with the same victim). */
    for (unsigned w = 0; w < n; w++) {
        unsigned *row = out->steal_order + (size_t)w * (n - 1), pos = 0;
        unsigned c = out->worker_cache[w], k = out->worker_node[w];
        unsigned cs = cache_start[c], cn = cache_start[c + 1] - cs;
        for (unsigned j = 1; j < cn; j++)
            row[pos++] = cache_mem[cs + (rank_cache[w] + j) % cn];
        unsigned ns = node_start[k], nk = node_start[k + 1] - ns;
        for (unsigned j = 1; j < nk; j++) {
            unsigned v = node_mem[ns + (rank_node[w] + j) % nk];
            if (out->worker_cache[v] != c)
                row[pos++] = v;
        }
        out->local_victims[w] = pos;
        for (unsigned j = 0; j + 1 < nn; j++) {
            unsigned b = rorder[(size_t)k * nn + j];
            unsigned bs = node_start[b], nb = node_start[b + 1] - bs;
            for (unsigned x = 0; x < nb; x++)
                row[pos++] = node_mem[bs + (rank_node[w] + x) % nb];
        }
    }

    /* 7. ary_topo_current_node's table (real CPUs only). */
    if (t->thissystem) {
        unsigned ncpus = (unsigned)t->max_os + 1;
        out->cpu_node = calloc(ncpus, sizeof *out->cpu_node);
        if (!out->cpu_node)
            goto fail;
        out->ncpus = ncpus;
        for (unsigned i = 0; i < t->npus; i++) {
            unsigned d = t->pu[i].node, best = topo_to_pl[d];
            if (best == NO_IDX) { /* no workers there: the nearest node that has some */
                uint64_t bd = UINT64_MAX;
                for (unsigned j = 1; j < T; j++) {
                    unsigned e = (d + j) % T;
                    if (topo_to_pl[e] == NO_IDX)
                        continue;
                    uint64_t de = node_dist(t, d, e);
                    if (best == NO_IDX || de < bd) {
                        best = topo_to_pl[e];
                        bd = de;
                    }
                }
            }
            out->cpu_node[t->pu[i].os] = best == NO_IDX ? 0 : best;
        }
    }
    rc = ARAYON_OK;
fail:
    free(pick);
    free(ord);
    free(topo_to_pl);
    free(pl_to_topo);
    free(llc_cache);
    free(node_start);
    free(node_mem);
    free(cache_start);
    free(cache_mem);
    free(rank_node);
    free(rank_cache);
    free(rorder);
    if (rc != ARAYON_OK)
        ary_placement_free(out);
    return rc;
}

unsigned ary_topo_current_node(const ary_topo *t, const ary_placement *pl)
{
    (void)t;
    if (!pl || !pl->cpu_node || pl->nnodes <= 1)
        return 0;
    int cpu = sched_getcpu();
    if (cpu < 0 || (unsigned)cpu >= pl->ncpus)
        return 0;
    return pl->cpu_node[cpu];
}


/* ---------------------------------------------------------------------------------------
 * Printing
 * ------------------------------------------------------------------------------------- */
/* Appends a list of numbers with runs of 3 or more as ranges: "1-3,8,10-12". */
static void sb_list(ary_sbuf *b, const unsigned *v, unsigned n)
{
    for (unsigned i = 0; i < n;) {
        unsigned j = i;
        while (j + 1 < n && v[j + 1] == v[j] + 1)
            j++;
        const char *sep = i ? "," : "";
        if (j - i >= 2)
            ary_sb_printf(b, "%s%u-%u", sep, v[i], v[j]);
        else if (j == i + 1)
            ary_sb_printf(b, "%s%u,%u", sep, v[i], v[j]);
        else
            ary_sb_printf(b, "%s%u", sep, v[i]);
        i = j + 1;
    }
}

static const char *policy_name(arayon_bind_t p)
{
    switch (p) {
    case ARAYON_BIND_NONE: return "none";
    case ARAYON_BIND_CLOSE: return "close";
    case ARAYON_BIND_SPREAD: return "spread";
    case ARAYON_BIND_LIST: return "list";
    }
    return "?";
}

static void sb_size(ary_sbuf *b, uint64_t bytes)
{
    if (bytes >= (UINT64_C(1) << 30) && bytes % (UINT64_C(1) << 30) == 0)
        ary_sb_printf(b, "%llu GiB", (unsigned long long)(bytes >> 30));
    else if (bytes >= (UINT64_C(1) << 20))
        ary_sb_printf(b, "%llu MiB", (unsigned long long)(bytes >> 20));
    else
        ary_sb_printf(b, "%llu KiB", (unsigned long long)(bytes >> 10));
}

int ary_topo_print(const ary_topo *t, const ary_placement *pl, const int *bind_status,
                   arayon_write_fn write, void *ctx)
{
    if (!t || !pl || !write)
        return ARAYON_EINVAL;
    ary_sbuf b = {0};
    unsigned *tmp = malloc(((size_t)t->npus + pl->nworkers + 1) * sizeof *tmp);
    int rc = ARAYON_OK;
    if (!tmp) {
        rc = ARAYON_ENOMEM;
        goto out;
    }

    /* The machine. */
    ary_sb_printf(&b, "arayon topology: %s\n", t->source ? t->source : "?");
    ary_sb_printf(&b, "  machine: %u package%s, %u NUMA node%s", t->npkgs, t->npkgs == 1 ? "" : "s",
              t->nnodes, t->nnodes == 1 ? "" : "s");
    if (t->mem_nodes > t->nnodes)
        ary_sb_printf(&b, " (+%u without CPUs)", t->mem_nodes - t->nnodes);
    if (t->nllc) {
        ary_sb_printf(&b, ", %u L%u cache%s", t->nllc, t->llc_level, t->nllc == 1 ? "" : "s");
        if (t->llc_size) {
            ary_sb_printf(&b, " (");
            sb_size(&b, t->llc_size);
            ary_sb_printf(&b, ")");
        }
    } else {
        ary_sb_printf(&b, ", no cache information");
    }
    ary_sb_printf(&b, ", %u core%s, %u PU%s%s\n", t->ncores, t->ncores == 1 ? "" : "s", t->npus,
              t->npus == 1 ? "" : "s", t->dist ? ", NUMA distances known" : "");
    for (unsigned d = 0; d < t->nnodes; d++) {
        unsigned m = 0;
        for (unsigned i = 0; i < t->npus; i++)
            if (t->pu[i].node == d)
                tmp[m++] = (unsigned)t->pu[i].os;
        if (t->node[d].os >= 0)
            ary_sb_printf(&b, "  NUMA node P#%d", t->node[d].os);
        else
            ary_sb_printf(&b, "  NUMA node (OS index unknown)");
        ary_sb_printf(&b, ": %u PU%s (", m, m == 1 ? "" : "s");
        sb_list(&b, tmp, m);
        ary_sb_printf(&b, ")");
        if (t->node[d].mem) {
            ary_sb_printf(&b, ", ");
            sb_size(&b, t->node[d].mem);
        }
        if (t->dist) {
            ary_sb_printf(&b, ", distances");
            for (unsigned e = 0; e < t->nnodes; e++)
                ary_sb_printf(&b, " %llu", (unsigned long long)node_dist(t, d, e));
        }
        ary_sb_printf(&b, "\n");
    }
    ary_sb_printf(&b, "  binding: %s\n",
              pl->bind                           ? "yes"
              : pl->policy == ARAYON_BIND_NONE   ? "no (policy none)"
              : !t->thissystem                   ? "no (not this system)"
                                                 : "no");
    ary_sb_printf(&b, "  memory placement: %s\n",
              t->membind          ? "per node (verified per allocation)"
              : !t->thissystem    ? "no (not this system)"
              : t->mem_nodes <= 1 ? "no (one NUMA node)"
                                  : "no (not supported)");
    if ((rc = ary_sb_flush(&b, write, ctx)) != ARAYON_OK)
        goto out;

    /* The workers. */
    ary_sb_printf(&b, "placement: %u worker%s on %u node%s, policy %s\n", pl->nworkers,
              pl->nworkers == 1 ? "" : "s", pl->nnodes, pl->nnodes == 1 ? "" : "s",
              policy_name(pl->policy));
    for (unsigned w = 0; w < pl->nworkers; w++) {
        unsigned k = pl->worker_node[w];
        int pu = pl->worker_pu[w];
        const char *bound;
        char other[32];
        if (!pl->bind)
            bound = "no";
        else if (!bind_status)
            bound = "pending";
        else if (bind_status[w] == ARAYON_OK)
            bound = "yes";
        else if (bind_status[w] == ARAYON_ESYSTEM)
            bound = "FAILED";
        else if (bind_status[w] == 1)
            bound = "not attempted";
        else {
            snprintf(other, sizeof other, "error %d", bind_status[w]);
            bound = other;
        }
        ary_sb_printf(&b, "  worker %u: PU %d", w, pu);
        if (pu >= 0 && pu <= t->max_os && t->os_to_pu[pu] >= 0) {
            const topo_pu *p = &t->pu[t->os_to_pu[pu]];
            ary_sb_printf(&b, " (core %u)", p->core);
        }
        ary_sb_printf(&b, ", node %u", k);
        if (pl->node_os_index[k] >= 0)
            ary_sb_printf(&b, " (P#%d)", pl->node_os_index[k]);
        ary_sb_printf(&b, ", cache group %u, bound: %s\n", pl->worker_cache[w], bound);
        /* Its steal order, grouped: same cache, same node, then each other node. */
        unsigned nrow = pl->nworkers - 1, lv = pl->local_victims[w];
        const unsigned *row = pl->steal_order + (size_t)w * nrow;
        unsigned i = 0, m = 0;
        const char *sep = "";
        ary_sb_printf(&b, "      steal: ");
        if (!nrow)
            ary_sb_printf(&b, "(alone)");
        while (i < lv && pl->worker_cache[row[i]] == pl->worker_cache[w])
            tmp[m++] = row[i++];
        if (m) { /* without caches the group is the node */
            ary_sb_printf(&b, "%s: ", t->nllc ? "same cache" : "same node");
            sb_list(&b, tmp, m);
            sep = "; ";
        }
        m = 0;
        while (i < lv)
            tmp[m++] = row[i++];
        if (m) {
            ary_sb_printf(&b, "%ssame node: ", sep);
            sb_list(&b, tmp, m);
            sep = "; ";
        }
        while (i < nrow) {
            unsigned nodeb = pl->worker_node[row[i]];
            m = 0;
            while (i < nrow && pl->worker_node[row[i]] == nodeb)
                tmp[m++] = row[i++];
            ary_sb_printf(&b, "%snode %u: ", sep, nodeb);
            sb_list(&b, tmp, m);
            sep = "; ";
        }
        ary_sb_printf(&b, "\n");
        if ((rc = ary_sb_flush(&b, write, ctx)) != ARAYON_OK)
            goto out;
    }
out:
    free(tmp);
    ary_sb_free(&b);
    return rc;
}
