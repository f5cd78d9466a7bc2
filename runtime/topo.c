/*
 * topo.c - the topology layer (topo.h): the only file that includes <hwloc.h>.
 *
 * Structure
 *   An ary_topo is a flat table of the machine's usable PUs in "close" order (node by node,
 *   and inside a node in hwloc's logical order, so that the PUs of a core and then the cores
 *   of a cache are adjacent), each with its core, NUMA node, last-level cache and package,
 *   plus the nodes (OS index, memory, NUMA distances when hwloc has them): topo_table.h.
 *   Everything after ary_topo_open works on that table (placement.c: placement, steal
 *   orders, printing). hwloc itself is used again only to bind threads and memory (read-only calls, safe from any thread once
 *   the topology is loaded, restricted and refreshed).
 *
 *   Sources: this machine (hwloc, restricted to the CPUs the process may use: cgroups, which
 *   hwloc already leaves out, and the inherited CPU binding, e.g. `taskset`), a synthetic or
 *   XML machine (cfg->topology, or hwloc's own HWLOC_SYNTHETIC / HWLOC_XMLFILE: never
 *   restricted, never bound), or, when hwloc cannot give a topology, a flat one-node table of
 *   the CPUs sched_getaffinity allows (said once on stderr).
 *
 *   The default topology (cfg->topology == NULL) is loaded once per process and shared by
 *   every pool and by ary_topo_num_pus/cores; explicit ones belong to their pool.
 *
 * Without hwloc
 *   topo_none.c defines ARY_TOPO_NO_HWLOC and includes this file: the same code minus hwloc,
 *   so the topology is always the flat one and binding uses sched_setaffinity.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "internal.h"
#include "topo.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ARY_TOPO_NO_HWLOC
#include <hwloc.h>
#if HWLOC_API_VERSION < 0x00020000
#error "arayon needs hwloc 2.x or 3.x"
#endif
/* hwloc 3.0 renamed the distance kinds (same value). */
#if HWLOC_API_VERSION >= 0x00030000
#define ARY_HWLOC_LATENCY HWLOC_DISTANCES_KIND_VALUE_LATENCY
#else
#define ARY_HWLOC_LATENCY HWLOC_DISTANCES_KIND_MEANS_LATENCY
#endif
#endif

#include "topo_table.h"


/* ---------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------- */
static const char *errno_text(int e, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(e, buf, n);
#else
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "error %d", e);
    return buf;
#endif
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* The flat topology's fallback notice: once per process. */
static atomic_flag flat_said = ATOMIC_FLAG_INIT;

static void say_flat(const char *why, unsigned ncpus)
{
    if (!atomic_flag_test_and_set(&flat_said))
        fprintf(stderr, "arayon: %s; using a flat topology (one NUMA node, %u CPU%s)\n", why,
                ncpus, ncpus == 1 ? "" : "s");
}

/* The CPUs this thread may run on (sched_getaffinity, any number of CPUs): a sorted list of
 * OS indexes. Falls back to 0 .. online-1 when the call fails. */
static int allowed_cpus(int **out, unsigned *n)
{
    *out = NULL;
    *n = 0;
    for (int ncpu = 1024; ncpu <= (1 << 20); ncpu *= 2) {
        cpu_set_t *set = CPU_ALLOC(ncpu);
        if (!set)
            return ARAYON_ENOMEM;
        size_t size = CPU_ALLOC_SIZE(ncpu);
        if (sched_getaffinity(0, size, set) == 0) {
            int cnt = CPU_COUNT_S(size, set);
            int *l = malloc((size_t)(cnt > 0 ? cnt : 1) * sizeof *l);
            if (!l) {
                CPU_FREE(set);
                return ARAYON_ENOMEM;
            }
            unsigned k = 0;
            for (int c = 0; c < ncpu && k < (unsigned)cnt; c++)
                if (CPU_ISSET_S((size_t)c, size, set))
                    l[k++] = c;
            CPU_FREE(set);
            if (k) {
                *out = l;
                *n = k;
                return ARAYON_OK;
            }
            free(l);
            break;
        }
        CPU_FREE(set);
        if (errno != EINVAL)
            break;
    }
    long on = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned cnt = on > 0 ? (unsigned)on : 1u;
    int *l = malloc(cnt * sizeof *l);
    if (!l)
        return ARAYON_ENOMEM;
    for (unsigned c = 0; c < cnt; c++)
        l[c] = (int)c;
    *out = l;
    *n = cnt;
    return ARAYON_OK;
}

/* ---------------------------------------------------------------------------------------
 * Building and freeing topologies
 * ------------------------------------------------------------------------------------- */
static void topo_clear(ary_topo *t)
{
#ifndef ARY_TOPO_NO_HWLOC
    if (t->h)
        hwloc_topology_destroy(t->h);
    t->h = NULL;
#endif
    free(t->pu);
    free(t->node);
    free(t->dist);
    free(t->os_to_pu);
    free(t->source);
    t->pu = NULL;
    t->node = NULL;
    t->dist = NULL;
    t->os_to_pu = NULL;
    t->source = NULL;
    t->npus = t->ncores = t->nnodes = t->npkgs = t->nllc = 0;
}

static void topo_free(ary_topo *t)
{
    if (!t)
        return;
    topo_clear(t);
    free(t);
}

/* Fills os_to_pu, max_os and the per-node PU counts once pu[] and node[] are set. */
static int topo_index(ary_topo *t)
{
    int max = 0;
    for (unsigned i = 0; i < t->npus; i++)
        if (t->pu[i].os > max)
            max = t->pu[i].os;
    t->max_os = max;
    t->os_to_pu = malloc(((size_t)max + 1) * sizeof *t->os_to_pu);
    if (!t->os_to_pu)
        return ARAYON_ENOMEM;
    for (int c = 0; c <= max; c++)
        t->os_to_pu[c] = -1;
    for (unsigned k = 0; k < t->nnodes; k++)
        t->node[k].npus = 0;
    for (unsigned i = 0; i < t->npus; i++) {
        t->os_to_pu[t->pu[i].os] = (int)i;
        t->node[t->pu[i].node].npus++;
    }
    return ARAYON_OK;
}

/* A flat topology: each allowed CPU its own core, one node, no caches. */
static int topo_flat(ary_topo *t, const char *source)
{
    int *cpus;
    unsigned n;
    int rc = allowed_cpus(&cpus, &n);
    if (rc != ARAYON_OK)
        return rc;
    t->pu = calloc(n, sizeof *t->pu);
    t->node = calloc(1, sizeof *t->node);
    t->source = dup_printf("%s", source);
    if (!t->pu || !t->node || !t->source) {
        free(cpus);
        return ARAYON_ENOMEM;
    }
    for (unsigned i = 0; i < n; i++)
        t->pu[i] = (topo_pu){.os = cpus[i], .core = i, .smt = 0, .node = 0, .llc = NO_IDX,
                             .pkg = 0};
    free(cpus);
    t->npus = t->ncores = n;
    t->nnodes = 1;
    t->npkgs = 1;
    t->nllc = 0;
    t->mem_nodes = 1;
    t->node[0] = (topo_node){.os = -1, .pkg = 0};
    t->flat = true;
    t->thissystem = true;
    t->membind = false;
    return topo_index(t);
}

#ifndef ARY_TOPO_NO_HWLOC
/* ---------------------------------------------------------------------------------------
 * hwloc
 * ------------------------------------------------------------------------------------- */
/* Restricts a topology of this system to the CPUs the process is bound to (hwloc already
 * left out the ones cgroups forbid). */
static int restrict_to_binding(hwloc_topology_t h)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return ARAYON_ENOMEM;
    int rc = ARAYON_OK;
    if (hwloc_get_cpubind(h, set, HWLOC_CPUBIND_PROCESS) == 0 ||
        hwloc_get_cpubind(h, set, HWLOC_CPUBIND_THREAD) == 0) {
        hwloc_const_cpuset_t all = hwloc_topology_get_topology_cpuset(h);
        hwloc_bitmap_and(set, set, all);
        if (!hwloc_bitmap_iszero(set) && !hwloc_bitmap_isequal(set, all) &&
            hwloc_topology_restrict(h, set, 0) != 0)
            rc = errno == ENOMEM ? ARAYON_ENOMEM : ARY_FALLBACK;
    }
    hwloc_bitmap_free(set);
    return rc;
}

/* Index of obj in arr[0..n), or -1. From the end: PUs come in close order, so their core or
 * cache is almost always the last one seen. */
static int find_obj(hwloc_obj_t *arr, unsigned n, hwloc_obj_t obj)
{
    for (unsigned i = n; i-- > 0;)
        if (arr[i] == obj)
            return (int)i;
    return -1;
}

/* Builds the PU and node tables from a loaded hwloc topology. */
static int topo_tables(ary_topo *t, hwloc_topology_t h)
{
    int npu = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PU);
    int nnuma = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);
    if (npu <= 0)
        return ARY_FALLBACK;
    if (nnuma < 0)
        nnuma = 0;
    unsigned n = (unsigned)npu;
    int rc = ARAYON_ENOMEM;
    hwloc_obj_t *home = calloc(n, sizeof *home);              /* NUMA node of each PU */
    hwloc_obj_t *nodes = calloc((size_t)nnuma + 1, sizeof *nodes); /* by node ordinal */
    hwloc_obj_t *cores = calloc(n, sizeof *cores);
    hwloc_obj_t *llcs = calloc(n, sizeof *llcs);
    hwloc_obj_t *pkgs = calloc(n, sizeof *pkgs);
    unsigned *core_pus = calloc(n, sizeof *core_pus);
    t->pu = calloc(n, sizeof *t->pu);
    t->node = calloc((size_t)nnuma + 1, sizeof *t->node);
    if (!home || !nodes || !cores || !llcs || !pkgs || !core_pus || !t->pu || !t->node)
        goto out;

    /* Home node of each PU: the smallest NUMA node containing it (memory-only nodes such as
     * HBM or CXL span more CPUs than the DRAM node next to them). */
    for (unsigned i = 0; i < n; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(h, HWLOC_OBJ_PU, i);
        if (!pu || pu->os_index > (unsigned)INT_MAX) {
            rc = ARY_FALLBACK; /* a PU without an OS index cannot be bound or listed */
            goto out;
        }
        int best_w = INT_MAX;
        for (int j = 0; j < nnuma; j++) {
            hwloc_obj_t o = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)j);
            if (!o || !o->cpuset || !hwloc_bitmap_isset(o->cpuset, pu->os_index))
                continue;
            int w = hwloc_bitmap_weight(o->cpuset);
            if (w >= 0 && w < best_w) {
                best_w = w;
                home[i] = o;
            }
        }
    }
    /* Node ordinals: the NUMA nodes that are home to PUs, in hwloc's logical order (NULL
     * stands for "no NUMA node", which hwloc 2.x never reports, as one more node). */
    unsigned nn = 0;
    for (int j = 0; j <= nnuma; j++) {
        hwloc_obj_t o = j < nnuma ? hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)j) : NULL;
        for (unsigned i = 0; i < n; i++) {
            if (home[i] == o) {
                nodes[nn++] = o;
                break;
            }
        }
    }
    /* PUs in close order: node by node, then hwloc's logical order. */
    unsigned k = 0, ncores = 0, nllc = 0, npkgs = 0;
    for (unsigned d = 0; d < nn; d++) {
        for (unsigned i = 0; i < n; i++) {
            if (home[i] != nodes[d])
                continue;
            hwloc_obj_t pu = hwloc_get_obj_by_type(h, HWLOC_OBJ_PU, i);
            topo_pu *p = &t->pu[k++];
            p->os = (int)pu->os_index;
            p->node = d;
            hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_CORE, pu);
            int c = core ? find_obj(cores, ncores, core) : -1;
            if (c < 0) {
                c = (int)ncores;
                cores[ncores++] = core; /* NULL: the PU is its own core */
            }
            p->core = (unsigned)c;
            p->smt = core_pus[c]++;
            hwloc_obj_t llc = NULL;
            for (hwloc_obj_t o = pu->parent; o; o = o->parent)
                if (hwloc_obj_type_is_dcache(o->type))
                    llc = o; /* keep the outermost */
            if (llc) {
                int l = find_obj(llcs, nllc, llc);
                if (l < 0) {
                    l = (int)nllc;
                    llcs[nllc++] = llc;
                    if (!t->llc_level) {
                        t->llc_level = llc->attr ? llc->attr->cache.depth : 0;
                        t->llc_size = llc->attr ? llc->attr->cache.size : 0;
                    }
                }
                p->llc = (unsigned)l;
            } else {
                p->llc = NO_IDX;
            }
            hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_PACKAGE, pu);
            int g = pkg ? find_obj(pkgs, npkgs, pkg) : 0;
            if (pkg && g < 0) {
                g = (int)npkgs;
                pkgs[npkgs++] = pkg;
            }
            p->pkg = (unsigned)g;
        }
    }
    t->npus = n;
    t->ncores = ncores;
    t->nnodes = nn;
    t->npkgs = npkgs ? npkgs : 1;
    t->nllc = nllc;
    t->mem_nodes = nnuma > 0 ? (unsigned)nnuma : 1;
    for (unsigned d = 0; d < nn; d++) {
        t->node[d].os = nodes[d] && nodes[d]->os_index <= (unsigned)INT_MAX
                            ? (int)nodes[d]->os_index
                            : -1;
        t->node[d].mem = nodes[d] && nodes[d]->attr ? nodes[d]->attr->numanode.local_memory : 0;
        t->node[d].pkg = 0;
        for (unsigned i = 0; i < n; i++) {
            if (t->pu[i].node == d) {
                t->node[d].pkg = t->pu[i].pkg;
                break;
            }
        }
    }

    /* NUMA latencies between the nodes that hold PUs, when hwloc knows them. */
    if (nn > 1) {
        struct hwloc_distances_s *dist = NULL;
        unsigned nr = 1;
        if (hwloc_distances_get_by_type(h, HWLOC_OBJ_NUMANODE, &nr, &dist, ARY_HWLOC_LATENCY, 0) ==
                0 &&
            nr >= 1 && dist) {
            uint64_t *m = malloc((size_t)nn * nn * sizeof *m);
            bool ok = m != NULL;
            for (unsigned a = 0; ok && a < nn; a++) {
                int ia = nodes[a] ? hwloc_distances_obj_index(dist, nodes[a]) : -1;
                for (unsigned b = 0; ok && b < nn; b++) {
                    int ib = nodes[b] ? hwloc_distances_obj_index(dist, nodes[b]) : -1;
                    if (ia < 0 || ib < 0)
                        ok = false;
                    else
                        m[a * nn + b] = dist->values[(unsigned)ia * dist->nbobjs + (unsigned)ib];
                }
            }
            if (ok)
                t->dist = m;
            else
                free(m);
            hwloc_distances_release(h, dist);
        }
    }
    rc = topo_index(t);
out:
    free(home);
    free(nodes);
    free(cores);
    free(llcs);
    free(pkgs);
    free(core_pus);
    return rc;
}

/* Loads a topology with hwloc into t. ARAYON_OK, ARAYON_ENOMEM, ARAYON_EINVAL (explicit
 * source malformed), or ARY_FALLBACK with the reason in why. */
static int load_hwloc(ary_topo *t, int src, const char *arg, char *why, size_t whylen)
{
    unsigned rt = hwloc_get_api_version();
    if ((rt >> 16) != ((unsigned)HWLOC_API_VERSION >> 16)) {
        snprintf(why, whylen, "the hwloc library (API %u.%u) does not match the %u.x arayon was "
                 "built with", rt >> 16, (rt >> 8) & 0xffu, (unsigned)HWLOC_API_VERSION >> 16);
        return ARY_FALLBACK;
    }
    char eb[128];
    hwloc_topology_t h;
    /* hwloc_topology_init fails only when an allocation does (and an interposed malloc may
     * not even set errno): out of memory, so that the next pool tries again. */
    if (hwloc_topology_init(&h) != 0)
        return ARAYON_ENOMEM;
    t->h = h;
    /* Instruction caches and I/O objects play no part in placement. */
    (void)hwloc_topology_set_icache_types_filter(h, HWLOC_TYPE_FILTER_KEEP_NONE);
    if (src != SRC_DEFAULT) {
        errno = 0;
        int r = src == SRC_SYNTHETIC ? hwloc_topology_set_synthetic(h, arg)
                                     : hwloc_topology_set_xml(h, arg);
        if (r != 0)
            return errno == ENOMEM ? ARAYON_ENOMEM : ARAYON_EINVAL;
    }
    errno = 0;
    if (hwloc_topology_load(h) != 0) {
        if (errno == ENOMEM)
            return ARAYON_ENOMEM;
        if (src != SRC_DEFAULT)
            return ARAYON_EINVAL;
        snprintf(why, whylen, "hwloc_topology_load failed: %s", errno_text(errno, eb, sizeof eb));
        return ARY_FALLBACK;
    }
    t->thissystem = src == SRC_DEFAULT && hwloc_topology_is_thissystem(h);
    /* hwloc itself reads HWLOC_SYNTHETIC and HWLOC_XMLFILE; when it cannot use them it says
     * so and quietly discovers this machine instead. The caller asked for another machine:
     * do not pretend this one is it. (This file reads these variables only to notice that;
     * HWLOC_THISSYSTEM=1 asks hwloc to treat an XML file as this machine.) */
    const char *env_syn = NULL, *env_xml = NULL;
    bool env_this = false;
    ary_env_hwloc(&env_syn, &env_xml, &env_this);
    if (src != SRC_DEFAULT)
        env_syn = env_xml = NULL;
    bool env_asked = (env_syn && *env_syn) || (env_xml && *env_xml);
    if (env_asked && t->thissystem && !env_this) {
        if (env_syn && *env_syn)
            snprintf(why, whylen, "hwloc could not load HWLOC_SYNTHETIC=\"%s\"", env_syn);
        else
            snprintf(why, whylen, "hwloc could not load HWLOC_XMLFILE=%s", env_xml);
        return ARY_FALLBACK;
    }
    if (t->thissystem) {
        int r = restrict_to_binding(h);
        if (r != ARAYON_OK) {
            if (r == ARY_FALLBACK)
                snprintf(why, whylen, "hwloc could not restrict the topology to the process's "
                         "CPUs: %s", errno_text(errno, eb, sizeof eb));
            return r;
        }
    }
    int r = topo_tables(t, h);
    if (r == ARY_FALLBACK)
        snprintf(why, whylen, "hwloc found no usable PU (or a PU without OS index)");
    if (r != ARAYON_OK)
        return r;
#if HWLOC_API_VERSION >= 0x00020500
    /* From here on several threads use the topology at once (binding calls only read it). */
    (void)hwloc_topology_refresh(h);
#endif
    const struct hwloc_topology_support *sup = hwloc_topology_get_support(h);
    t->membind = t->thissystem && t->mem_nodes > 1 && sup && sup->membind &&
                 sup->membind->set_area_membind && sup->membind->get_area_memlocation &&
                 sup->membind->bind_membind;
    unsigned maj = rt >> 16, min = (rt >> 8) & 0xffu;
    if (src == SRC_SYNTHETIC)
        t->source = dup_printf("synthetic: %s", arg);
    else if (src == SRC_XML)
        t->source = dup_printf("xml: %s", arg);
    else if (!t->thissystem && env_asked) /* hwloc tries HWLOC_SYNTHETIC, then the file */
        t->source = dup_printf("from the environment: %s%s%s%s%s (hwloc API %u.%u)",
                               env_syn && *env_syn ? "HWLOC_SYNTHETIC=" : "",
                               env_syn && *env_syn ? env_syn : "",
                               env_syn && *env_syn && env_xml && *env_xml ? ", " : "",
                               env_xml && *env_xml ? "HWLOC_XMLFILE=" : "",
                               env_xml && *env_xml ? env_xml : "", maj, min);
    else if (!t->thissystem)
        t->source = dup_printf("not this system (hwloc API %u.%u)", maj, min);
    else
        t->source = dup_printf("this system (hwloc API %u.%u), restricted to the process's CPUs",
                               maj, min);
    return t->source ? ARAYON_OK : ARAYON_ENOMEM;
}
#endif /* !ARY_TOPO_NO_HWLOC */

/* ---------------------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------------------- */
/* Loads the default topology (src SRC_DEFAULT) or an explicit one. */
static int topo_load(int src, const char *arg, ary_topo **out)
{
    *out = NULL;
    ary_topo *t = calloc(1, sizeof *t);
    if (!t)
        return ARAYON_ENOMEM;
    char why[512] = "";
    bool notice = true;
#ifndef ARY_TOPO_NO_HWLOC
    int rc = load_hwloc(t, src, arg, why, sizeof why);
    if (rc == ARAYON_OK) {
        *out = t;
        return ARAYON_OK;
    }
    if (rc != ARY_FALLBACK) {
        topo_free(t);
        return rc;
    }
    topo_clear(t);
    t->llc_level = 0;
    t->llc_size = 0;
#else
    if (src == SRC_DEFAULT) {
        snprintf(why, sizeof why, "flat (built without hwloc): the CPUs of sched_getaffinity");
        notice = false;
    } else {
        snprintf(why, sizeof why, "built without hwloc: ignoring topology \"%s:%s\"",
                 src == SRC_SYNTHETIC ? "synthetic" : "xml", arg);
    }
#endif
    char source[600];
    snprintf(source, sizeof source, "%s%s", notice ? "flat: " : "", why);
    int r = topo_flat(t, source);
    if (r != ARAYON_OK) {
        topo_free(t);
        return r;
    }
    if (src != SRC_DEFAULT)
        t->thissystem = false; /* another machine was asked for: group, never bind */
    if (notice)
        say_flat(why, t->npus);
    *out = t;
    return ARAYON_OK;
}

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static ary_topo *default_topo; /* loaded once, kept for the life of the process */

static int topo_default(ary_topo **out)
{
    pthread_mutex_lock(&default_lock);
    int rc = ARAYON_OK;
    if (!default_topo) {
        ary_topo *t;
        rc = topo_load(SRC_DEFAULT, NULL, &t);
        if (rc == ARAYON_OK) {
            t->shared = true;
            default_topo = t;
        }
    }
    *out = default_topo;
    pthread_mutex_unlock(&default_lock);
    return rc;
}

int ary_topo_open(const arayon_config_t *cfg, ary_topo **out)
{
    if (!out)
        return ARAYON_EINVAL;
    *out = NULL;
    const char *spec = cfg ? cfg->topology : NULL;
    if (!spec)
        return topo_default(out);
    static const char syn[] = "synthetic:", xml[] = "xml:";
    int src;
    const char *arg;
    if (!strncmp(spec, syn, sizeof syn - 1)) {
        src = SRC_SYNTHETIC;
        arg = spec + sizeof syn - 1;
    } else if (!strncmp(spec, xml, sizeof xml - 1)) {
        src = SRC_XML;
        arg = spec + sizeof xml - 1;
    } else {
        return ARAYON_EINVAL;
    }
    while (*arg == ' ')
        arg++;
    if (!*arg)
        return ARAYON_EINVAL;
    return topo_load(src, arg, out);
}

void ary_topo_close(ary_topo *t)
{
    if (t && !t->shared)
        topo_free(t);
}

unsigned ary_topo_pus(const ary_topo *t) { return t ? t->npus : ary_topo_num_pus(); }
unsigned ary_topo_cores(const ary_topo *t) { return t ? t->ncores : ary_topo_num_cores(); }
bool ary_topo_is_this_system(const ary_topo *t) { return t && t->thissystem; }

/* Process-wide counts (automatic thread counts): the default topology's. */
unsigned ary_topo_num_pus(void)
{
    ary_topo *t;
    if (topo_default(&t) == ARAYON_OK && t && t->npus)
        return t->npus;
    int *cpus;
    unsigned n;
    if (allowed_cpus(&cpus, &n) == ARAYON_OK) {
        free(cpus);
        return n;
    }
    return 1;
}

unsigned ary_topo_num_cores(void)
{
    ary_topo *t;
    if (topo_default(&t) == ARAYON_OK && t && t->ncores)
        return t->ncores;
    return ary_topo_num_pus();
}

/* ---------------------------------------------------------------------------------------
 * Binding
 * ------------------------------------------------------------------------------------- */
/* Without hwloc: sched_setaffinity on the calling thread, checked with sched_getaffinity
 * (with a mask as large as the kernel's: it refuses smaller ones). */
static int bind_sched(int pu, char *err, size_t errlen)
{
    char eb[128];
    int rc = ARAYON_ESYSTEM;
    for (int ncpu = pu + 1 > 1024 ? pu + 1 : 1024; ncpu <= (1 << 22); ncpu *= 2) {
        cpu_set_t *want = CPU_ALLOC(ncpu), *got = CPU_ALLOC(ncpu);
        size_t size = CPU_ALLOC_SIZE(ncpu);
        bool retry = false;
        if (!want || !got) {
            set_err(err, errlen, "binding to CPU %d: out of memory", pu);
        } else {
            CPU_ZERO_S(size, want);
            CPU_SET_S((size_t)pu, size, want);
            if (sched_setaffinity(0, size, want) != 0) {
                set_err(err, errlen, "sched_setaffinity(CPU %d) failed: %s", pu,
                        errno_text(errno, eb, sizeof eb));
            } else if (sched_getaffinity(0, size, got) != 0) {
                retry = errno == EINVAL;
                set_err(err, errlen, "sched_getaffinity failed: %s",
                        errno_text(errno, eb, sizeof eb));
            } else if (!CPU_EQUAL_S(size, want, got)) {
                set_err(err, errlen, "binding to CPU %d did not take effect (%d CPUs allowed)",
                        pu, CPU_COUNT_S(size, got));
            } else {
                rc = ARAYON_OK;
            }
        }
        if (want)
            CPU_FREE(want);
        if (got)
            CPU_FREE(got);
        if (!retry)
            break;
    }
    if (rc == ARAYON_OK && err && errlen)
        err[0] = '\0';
    return rc;
}

#ifndef ARY_TOPO_NO_HWLOC
static int bind_hwloc(const ary_topo *t, int pu, char *err, size_t errlen)
{
    char eb[128];
    hwloc_bitmap_t want = hwloc_bitmap_alloc(), got = hwloc_bitmap_alloc();
    int rc = ARAYON_ESYSTEM;
    if (!want || !got) {
        set_err(err, errlen, "binding to PU %d: out of memory", pu);
        goto out;
    }
    hwloc_bitmap_only(want, (unsigned)pu);
    if (hwloc_set_cpubind(t->h, want, HWLOC_CPUBIND_THREAD) != 0) {
        set_err(err, errlen, "hwloc_set_cpubind(PU %d) failed: %s", pu,
                errno_text(errno, eb, sizeof eb));
    } else if (hwloc_get_cpubind(t->h, got, HWLOC_CPUBIND_THREAD) != 0) {
        set_err(err, errlen, "hwloc_get_cpubind failed: %s", errno_text(errno, eb, sizeof eb));
    } else if (!hwloc_bitmap_isequal(want, got)) {
        char s[96];
        hwloc_bitmap_list_snprintf(s, sizeof s, got);
        set_err(err, errlen, "binding to PU %d did not take effect: the thread is on PUs %s", pu,
                s);
    } else {
        rc = ARAYON_OK;
    }
out:
    hwloc_bitmap_free(want);
    hwloc_bitmap_free(got);
    return rc;
}
#endif

int ary_topo_bind_self(const ary_topo *t, const ary_placement *pl, unsigned worker, char *err,
                       size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!t || !pl || worker >= pl->nworkers) {
        set_err(err, errlen, "no such worker");
        return ARAYON_EINVAL;
    }
    if (!pl->bind || !t->thissystem)
        return ARAYON_OK;
    int pu = pl->worker_pu[worker];
    if (pu < 0) {
        set_err(err, errlen, "worker %u has no PU to be bound to", worker);
        return ARAYON_ESYSTEM;
    }
#ifndef ARY_TOPO_NO_HWLOC
    if (t->h)
        return bind_hwloc(t, pu, err, errlen);
#endif
    return bind_sched(pu, err, errlen);
}

int ary_topo_membind(const ary_topo *t, const ary_placement *pl, void *addr, size_t len,
                     unsigned node)
{
    if (!t || !pl || !addr || !len || node >= pl->nnodes)
        return ARAYON_EINVAL;
    if (!t->thissystem || !t->membind || pl->node_os_index[node] < 0)
        return ARAYON_ENOTSUP;
#ifndef ARY_TOPO_NO_HWLOC
    hwloc_bitmap_t want = hwloc_bitmap_alloc(), got = hwloc_bitmap_alloc();
    int rc = ARAYON_ESYSTEM;
    if (!want || !got)
        goto out;
    hwloc_bitmap_only(want, (unsigned)pl->node_os_index[node]);
    if (hwloc_set_area_membind(t->h, addr, len, want, HWLOC_MEMBIND_BIND,
                               HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_MIGRATE) != 0) {
        rc = errno == ENOSYS ? ARAYON_ENOTSUP : ARAYON_ESYSTEM;
        goto out;
    }
    /* Pages not yet touched have no location: touch one byte per page, inside the area. */
    long ps = sysconf(_SC_PAGESIZE);
    uintptr_t page = ps > 0 ? (uintptr_t)ps : 4096u;
    volatile unsigned char *b = addr, *end = (unsigned char *)addr + len;
    while (b < end) {
        *b = *b;
        uintptr_t next = ((uintptr_t)b & ~(page - 1)) + page;
        b = (volatile unsigned char *)next;
    }
    if (hwloc_get_area_memlocation(t->h, addr, len, got, HWLOC_MEMBIND_BYNODESET) != 0)
        rc = errno == ENOSYS ? ARAYON_ENOTSUP : ARAYON_ESYSTEM;
    else if (hwloc_bitmap_iszero(got))
        rc = ARAYON_ENOTSUP; /* hwloc cannot tell */
    else
        rc = hwloc_bitmap_isincluded(got, want) ? ARAYON_OK : ARAYON_ESYSTEM;
out:
    hwloc_bitmap_free(want);
    hwloc_bitmap_free(got);
    return rc;
#else
    return ARAYON_ENOTSUP;
#endif
}

/* ---------------------------------------------------------------------------------------
 * Memory placement for OpenMP allocators (topo.h: ary_topo_mem_plan and what follows)
 * ------------------------------------------------------------------------------------- */
unsigned ary_topo_nnodes(const ary_topo *t) { return t && t->nnodes ? t->nnodes : 1; }

int ary_topo_cpu_node(const ary_topo *t, int cpu)
{
    if (!t || cpu < 0 || cpu > t->max_os || !t->os_to_pu)
        return -1;
    int i = t->os_to_pu[cpu];
    return i < 0 ? -1 : (int)t->pu[i].node;
}

bool ary_topo_can_membind(const ary_topo *t)
{
#ifndef ARY_TOPO_NO_HWLOC
    return t && t->thissystem && t->membind && t->h;
#else
    (void)t;
    return false;
#endif
}

int ary_topo_mem_plan(const ary_topo *t, ary_mem_policy policy, const unsigned *nodes,
                      unsigned nnodes, int cpu, size_t len, size_t page, ary_mem_part *parts,
                      unsigned maxparts)
{
    if (!t || (len && !parts))
        return -1;
    unsigned all = ary_topo_nnodes(t);
    if (!nodes)
        nnodes = all;
    if (nnodes == 0)
        return -1;
    for (unsigned i = 0; nodes && i < nnodes; i++)
        if (nodes[i] >= all)
            return -1;
    if (!page) {
        long ps = sysconf(_SC_PAGESIZE);
        page = ps > 0 ? (size_t)ps : 4096u;
    }
#define NODE_AT(i) (nodes ? nodes[i] : (unsigned)(i))
    switch (policy) {
    case ARY_MEM_DEFAULT:
        return 0;
    case ARY_MEM_NEAREST: {
        if (!len)
            return 0;
        if (maxparts < 1)
            return -1;
        int n = ary_topo_cpu_node(t, cpu);
        parts[0] = (ary_mem_part){.off = 0, .len = len,
                                  .node = n >= 0 ? (unsigned)n : NODE_AT(0), .interleave = false};
        return 1;
    }
    case ARY_MEM_INTERLEAVED:
        if (!len)
            return 0;
        if (maxparts < 1)
            return -1;
        parts[0] = (ary_mem_part){.off = 0, .len = len, .node = NODE_AT(0),
                                  .interleave = nnodes > 1};
        return 1;
    case ARY_MEM_BLOCKED: {
        /* Whole pages per block: ceil(pages / nnodes) each, so that the blocks are as equal
         * as pages allow and only the last ones are shorter (or absent, for an area of fewer
         * pages than nodes). The last block ends at len, not at a page boundary. */
        size_t pages = len / page + (len % page != 0);
        size_t per = pages / nnodes + (pages % nnodes != 0);
        unsigned k = 0;
        for (unsigned i = 0; i < nnodes && per; i++) {
            size_t first = (size_t)i * per;
            if (first >= pages)
                break;
            size_t off = first * page;
            size_t end = (first + per) * page;
            if (end > len || first + per > pages)
                end = len;
            if (k >= maxparts)
                return -1;
            parts[k++] = (ary_mem_part){.off = off, .len = end - off, .node = NODE_AT(i),
                                        .interleave = false};
        }
        return (int)k;
    }
    }
#undef NODE_AT
    return -1;
}

#ifndef ARY_TOPO_NO_HWLOC
/* Adds the OS index of topology node `node` to set; false when it has none. */
static bool node_os_set(const ary_topo *t, unsigned node, hwloc_bitmap_t set)
{
    if (node >= t->nnodes || t->node[node].os < 0)
        return false;
    return hwloc_bitmap_set(set, (unsigned)t->node[node].os) == 0;
}

static bool is_hbw_node(hwloc_obj_t o)
{
    return o && o->subtype && (!strcmp(o->subtype, "HBM") || !strcmp(o->subtype, "MCDRAM"));
}
#endif

int ary_topo_mem_apply(const ary_topo *t, void *addr, size_t len, const ary_mem_part *parts,
                       unsigned nparts, const unsigned *nodes, unsigned nnodes)
{
    if (!t || !addr || !len || (nparts && !parts))
        return ARAYON_EINVAL;
    for (unsigned i = 0; i < nparts; i++)
        if (parts[i].off > len || parts[i].len > len - parts[i].off ||
            parts[i].node >= ary_topo_nnodes(t))
            return ARAYON_EINVAL;
    if (!nparts)
        return ARAYON_OK;
    if (!ary_topo_can_membind(t))
        return ARAYON_ENOTSUP;
#ifndef ARY_TOPO_NO_HWLOC
    long ps = sysconf(_SC_PAGESIZE);
    uintptr_t page = ps > 0 ? (uintptr_t)ps : 4096u;
    if ((uintptr_t)addr & (page - 1))
        return ARAYON_EINVAL;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return ARAYON_ENOMEM;
    int rc = ARAYON_OK;
    for (unsigned i = 0; i < nparts && rc == ARAYON_OK; i++) {
        const ary_mem_part *p = &parts[i];
        hwloc_bitmap_zero(set);
        bool ok = true;
        if (p->interleave) {
            unsigned n = nodes ? nnodes : t->nnodes;
            for (unsigned k = 0; k < n && ok; k++)
                ok = node_os_set(t, nodes ? nodes[k] : k, set);
        } else {
            ok = node_os_set(t, p->node, set);
        }
        if (!ok) {
            rc = ARAYON_ENOTSUP; /* a node without an OS index cannot be named to the kernel */
            break;
        }
        /* Parts start on page boundaries (the plan's blocks are whole pages); the last one
         * may end inside a page, which the kernel rounds up. */
        if (hwloc_set_area_membind(t->h, (char *)addr + p->off, p->len, set,
                                   p->interleave ? HWLOC_MEMBIND_INTERLEAVE : HWLOC_MEMBIND_BIND,
                                   HWLOC_MEMBIND_BYNODESET) != 0)
            rc = errno == ENOSYS ? ARAYON_ENOTSUP : ARAYON_ESYSTEM;
    }
    hwloc_bitmap_free(set);
    return rc;
#else
    (void)nodes;
    (void)nnodes;
    return ARAYON_ENOTSUP;
#endif
}

unsigned ary_topo_hbw_nodes(const ary_topo *t)
{
#ifndef ARY_TOPO_NO_HWLOC
    if (!t || !t->h || !t->thissystem)
        return 0;
    unsigned n = 0;
    int nn = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < nn; i++)
        n += is_hbw_node(hwloc_get_obj_by_type(t->h, HWLOC_OBJ_NUMANODE, (unsigned)i));
    return n;
#else
    (void)t;
    return 0;
#endif
}

int ary_topo_mem_bind_hbw(const ary_topo *t, void *addr, size_t len)
{
    if (!t || !addr || !len)
        return ARAYON_EINVAL;
#ifndef ARY_TOPO_NO_HWLOC
    if (!t->h || !t->thissystem)
        return ARAYON_ENOTSUP;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return ARAYON_ENOMEM;
    int nn = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < nn; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(t->h, HWLOC_OBJ_NUMANODE, (unsigned)i);
        if (is_hbw_node(o))
            hwloc_bitmap_set(set, o->os_index);
    }
    int rc = ARAYON_ENOTSUP;
    if (!hwloc_bitmap_iszero(set))
        rc = hwloc_set_area_membind(t->h, addr, len, set, HWLOC_MEMBIND_BIND,
                                    HWLOC_MEMBIND_BYNODESET) == 0
                 ? ARAYON_OK
                 : errno == ENOSYS ? ARAYON_ENOTSUP : ARAYON_ESYSTEM;
    hwloc_bitmap_free(set);
    return rc;
#else
    return ARAYON_ENOTSUP;
#endif
}
