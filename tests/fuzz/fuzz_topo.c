/*
 * fuzz_topo.c - topology descriptions and PU lists: arayon_config_t.topology (hwloc synthetic
 * descriptions, parsed by hwloc and turned into arayon's table by runtime/topo.c), the
 * placement computed on it for every bind policy and a fuzzed ARAYON_BIND_LIST PU list
 * (runtime/placement.c), its printout, the memory placement plans of the OpenMP allocators
 * (ary_topo_mem_plan), and a pool created with all of it.
 *
 * Input: an 8-byte header, a PU list, then the description.
 *   [0] bits 0-2 the bind policy (0-3 valid; 4-7 give 4, 7, 100 and UINT_MAX), bit 3 pass
 *       the description as it is (else "synthetic:" goes in front), bit 4 create a pool,
 *       bit 5 print its topology, bits 6-7 a memory policy for ary_topo_mem_plan
 *   [1] workers to place (0 is an error to report)
 *   [2] pool threads - 1 (mod 3); bit 7: num_threads 0 (automatic, counted in the
 *       topology, when it has at most 3 PUs; bits 5-6 the arayon_auto_threads_t)
 *   [3] PUs in the list (mod 17)
 *   [4] a CPU for the memory plan (signed), [5] a node mask, [6..7] the area (pages, and the
 *       page size as a shift)
 *   then 2 bytes per PU (little-endian; 0xffff, 0xfffe and 0xfffd stand for UINT_MAX,
 *   INT_MAX + 1 and INT_MAX), then the description (up to a NUL).
 * Placements, plans and pools must come out valid or be refused with an error code.
 *
 * A description of a machine with very many PUs is skipped (more than 4096 by the product of
 * its numbers, a level of more than 512, an OS index above 65535): hwloc builds whatever it
 * is asked for (it inserts the children of a level in quadratic time: 6666 PUs under the
 * machine take more than 5 s; it sizes every cpuset by the largest OS index), and a machine
 * of 10^9 PUs is a test of the allocator and the clock, not of a parser. An "xml:" path is
 * never read.
 */
#include "internal.h"
#include "topo_table.h"

#include <limits.h>

#include "fuzz.h"

#define MAX_LIST 16
#define MAX_SYNTHETIC_PUS 4096u
#define MAX_SYNTHETIC_ARITY 512u
#define MAX_SYNTHETIC_INDEX 65535u

/* Findings not fixed yet (their inputs are in corpus/topo/crash-*) are left out when
 * ARAYON_FUZZ_SKIP_KNOWN is set, so that a long run looks for new ones (docs/fuzzing.md). */
static bool skip_known;

/* ary_topo_place assumes that a last-level cache lies within one NUMA node; with one that
 * spans several ("l3:1 numa:2 pu:2") the steal orders list its workers twice and run past
 * their rows (crash-placement-llc-across-nodes-overflow*). Such machines are skipped. */
static bool llc_across_nodes(const ary_topo *t)
{
    unsigned *node_of = malloc(((size_t)t->nllc + 1) * sizeof *node_of);
    if (!node_of)
        abort();
    for (unsigned c = 0; c < t->nllc; c++)
        node_of[c] = NO_IDX;
    bool across = false;
    for (unsigned i = 0; i < t->npus && !across; i++) {
        unsigned c = t->pu[i].llc;
        if (c == NO_IDX || c >= t->nllc)
            continue;
        if (node_of[c] == NO_IDX)
            node_of[c] = t->pu[i].node;
        across = node_of[c] != t->pu[i].node;
    }
    free(node_of);
    return across;
}

/* hwloc 2.9 leaks the memory levels attached to a synthetic description ("[numa]") when it
 * refuses the description after them (crash-hwloc-synthetic-*-leak). Those blocks are
 * allocated inside libhwloc, whose frames are all LeakSanitizer sees (hwloc has no frame
 * pointers), so the suppression leaves out every leak of a block hwloc allocates. Blocks
 * arayon allocates are still reported, and so is a topology arayon forgets to destroy (its
 * table goes with it). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return getenv("ARAYON_FUZZ_SKIP_KNOWN") ? "leak:libhwloc.so\n" : "";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    skip_known = getenv("ARAYON_FUZZ_SKIP_KNOWN") != NULL;
    unsetenv("HWLOC_SYNTHETIC");
    unsetenv("HWLOC_XMLFILE");
    unsetenv("ARAYON_NUM_THREADS");
    unsetenv("ARAYON_DISPLAY_ENV");
    unsetenv("ARAYON_TRACE");
    unsetenv("ARAYON_METRICS");
    (void)ary_topo_num_cores(); /* the default topology, once */
    return 0;
}

/* An upper bound of the PUs a description asks for: the product of its numbers outside
 * parentheses and brackets (the arities, "pack:2 core:4 pu:2" or "2 4 2", and digits of type
 * names such as l3, which only make the bound larger), saturated. A number inside them above
 * MAX_SYNTHETIC_INDEX (an OS index, "pu:2(indexes=0,99999999)") counts as too big as well:
 * hwloc sizes every cpuset by the largest index (2^31 takes it past 2 GiB). The values of
 * memory= and size= (bytes) are left alone. */
static unsigned long long synthetic_size(const char *s)
{
    const char *start = s;
    unsigned long long prod = 1;
    int depth = 0;
    bool bytes = false; /* in the value of a memory= or size= attribute */
    while (*s) {
        if (*s == '(' || *s == '[')
            depth++;
        else if ((*s == ')' || *s == ']') && depth > 0)
            depth--;
        if (*s == ' ' || *s == ')' || *s == ']') {
            bytes = false;
        } else if (*s == '=') {
            const char *n = s;
            while (n > start && ((n[-1] >= 'a' && n[-1] <= 'z') || (n[-1] >= 'A' && n[-1] <= 'Z')))
                n--;
            bytes = (s - n == 6 && !strncmp(n, "memory", 6)) || (s - n == 4 && !strncmp(n, "size", 4));
        }
        if (*s < '0' || *s > '9') {
            s++;
            continue;
        }
        unsigned long long x = 0;
        while (*s >= '0' && *s <= '9') {
            if (x <= MAX_SYNTHETIC_INDEX)
                x = x * 10 + (unsigned)(*s - '0');
            s++;
        }
        if (depth) {
            if (!bytes && x > MAX_SYNTHETIC_INDEX)
                prod = MAX_SYNTHETIC_PUS + 1;
        } else if (x > MAX_SYNTHETIC_ARITY) {
            prod = MAX_SYNTHETIC_PUS + 1;
        } else if (x > 1) {
            prod = prod > MAX_SYNTHETIC_PUS ? MAX_SYNTHETIC_PUS + 1 : prod * x;
        }
    }
    return prod;
}

static int sink(const char *buf, size_t len, void *ctx)
{
    size_t *total = ctx;
    FZ_CHECK(len == 0 || buf, "printer wrote %zu bytes from NULL", len);
    FZ_CHECK(len == strnlen(buf, len), "printer output holds a NUL");
    *total += len;
    return 0;
}

static void check_placement(const ary_topo *t, const arayon_config_t *cfg, unsigned n,
                            const ary_placement *pl)
{
    FZ_CHECK(pl->nworkers == n, "placement of %u workers for %u", pl->nworkers, n);
    FZ_CHECK(pl->nnodes >= 1 && pl->nnodes <= ary_topo_nnodes(t), "%u nodes, topology %u",
             pl->nnodes, ary_topo_nnodes(t));
    FZ_CHECK(!pl->bind, "a placement on a synthetic machine binds");
    unsigned *seen = calloc(n, sizeof *seen);
    unsigned *per_node = calloc(pl->nnodes, sizeof *per_node);
    if (!seen || !per_node)
        abort();
    for (unsigned w = 0; w < n; w++) {
        FZ_CHECK(pl->worker_node[w] < pl->nnodes, "worker %u on node %u of %u", w,
                 pl->worker_node[w], pl->nnodes);
        per_node[pl->worker_node[w]]++;
        FZ_CHECK(pl->worker_pu[w] >= 0 && ary_topo_cpu_node(t, pl->worker_pu[w]) >= 0,
                 "worker %u on PU %d, not in the topology", w, pl->worker_pu[w]);
        if (cfg->bind == ARAYON_BIND_LIST)
            FZ_CHECK((unsigned)pl->worker_pu[w] == cfg->bind_pus[w % cfg->num_bind_pus],
                     "worker %u on PU %d, the list says %u", w, pl->worker_pu[w],
                     cfg->bind_pus[w % cfg->num_bind_pus]);
        /* the steal order: every other worker exactly once, the node's own first */
        const unsigned *row = pl->steal_order + (size_t)w * (n - 1);
        FZ_CHECK(pl->local_victims[w] <= n - 1, "worker %u: %u local victims of %u", w,
                 pl->local_victims[w], n - 1);
        for (unsigned j = 0; j + 1 < n; j++) {
            unsigned v = row[j];
            FZ_CHECK(v < n && v != w && seen[v] != w + 1, "worker %u: steal order entry %u = %u",
                     w, j, v);
            seen[v] = w + 1;
            FZ_CHECK((j < pl->local_victims[w]) == (pl->worker_node[v] == pl->worker_node[w]),
                     "worker %u: victim %u (node %u) at %u, %u local", w, v, pl->worker_node[v],
                     j, pl->local_victims[w]);
        }
    }
    for (unsigned k = 0; k < pl->nnodes; k++)
        FZ_CHECK(per_node[k] == pl->node_nworkers[k] && per_node[k] > 0,
                 "node %u: %u workers, placement says %u", k, per_node[k], pl->node_nworkers[k]);
    free(seen);
    free(per_node);
}

/* ary_topo_mem_plan (topo.h): the parts of a plan tile the area in order, whole pages but
 * the last, on nodes of the topology; -1 only for a node out of range or more parts than
 * room for them. */
static void check_mem_plan(const ary_topo *t, unsigned policy, int cpu, unsigned mask,
                           size_t len, size_t page)
{
    unsigned all = ary_topo_nnodes(t), nodes[8], nn = 0;
    bool bad_node = false;
    for (unsigned i = 0; i < 8; i++) {
        if (mask & (1u << i)) {
            nodes[nn++] = i;
            bad_node |= i >= all;
        }
    }
    ary_mem_part parts[16];
    int k = ary_topo_mem_plan(t, (ary_mem_policy)policy, nn ? nodes : NULL, nn, cpu, len, page,
                              parts, 16);
    unsigned count = nn ? nn : all;
    if (bad_node) {
        FZ_CHECK(k == -1, "a plan with node >= %u: %d parts", all, k);
        return;
    }
    if (k < 0) {
        FZ_CHECK(policy == ARY_MEM_BLOCKED && count > 16, "plan refused: policy %u, %u nodes",
                 policy, count);
        return;
    }
    FZ_CHECK(k <= 16 && (unsigned)k <= count, "%d parts for %u nodes", k, count);
    if (policy == ARY_MEM_DEFAULT || !len) {
        FZ_CHECK(k == 0, "%d parts for policy %u, len %zu", k, policy, len);
        return;
    }
    size_t off = 0;
    for (int i = 0; i < k; i++) {
        FZ_CHECK(parts[i].off == off && parts[i].len > 0 && parts[i].len <= len - off,
                 "part %d: [%zu, +%zu) after %zu of %zu", i, parts[i].off, parts[i].len, off,
                 len);
        FZ_CHECK(parts[i].node < all, "part %d on node %u of %u", i, parts[i].node, all);
        if (page && i + 1 < k)
            FZ_CHECK(parts[i].len % page == 0, "part %d: %zu bytes, pages of %zu", i,
                     parts[i].len, page);
        off += parts[i].len;
    }
    FZ_CHECK(off == len, "parts cover %zu of %zu bytes", off, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t flags = fz_u8(&in), nworkers = fz_u8(&in), pool_b = fz_u8(&in);
    unsigned npus = fz_u8(&in) % (MAX_LIST + 1);
    int cpu = (int8_t)fz_u8(&in);
    unsigned mask = fz_u8(&in);
    uint8_t area = fz_u8(&in), shift = fz_u8(&in);
    unsigned pus[MAX_LIST];
    for (unsigned i = 0; i < npus; i++) {
        unsigned v = (unsigned)fz_uint(&in, 2);
        pus[i] = v == 0xffff ? UINT_MAX : v == 0xfffe ? (unsigned)INT_MAX + 1u
               : v == 0xfffd ? (unsigned)INT_MAX : v;
    }
    char *desc = fz_rest_str(&in);
    if (synthetic_size(desc) > MAX_SYNTHETIC_PUS) {
        free(desc);
        return 0;
    }
    static const unsigned policies[] = {0, 1, 2, 3, 4, 7, 100, UINT_MAX};
    const char *prefix = flags & 8 ? "" : "synthetic:";
    char *spec = malloc(strlen(prefix) + strlen(desc) + 1);
    if (!spec)
        abort();
    strcpy(spec, prefix);
    strcat(spec, desc);
    if (!strncmp(spec, "xml:", 4)) /* a path to read: not this target's business */
        spec[0] = 'X';

    arayon_config_t cfg = arayon_config_default();
    cfg.topology = spec;
    cfg.bind = (arayon_bind_t)policies[flags & 7];
    cfg.bind_pus = npus ? pus : NULL;
    cfg.num_bind_pus = npus;

    ary_topo *t = NULL;
    int rc = ary_topo_open(&cfg, &t);
    FZ_CHECK(rc == ARAYON_OK || rc == ARAYON_EINVAL || rc == ARAYON_ENOMEM, "topo_open: %d", rc);
    FZ_CHECK((rc == ARAYON_OK) == (t != NULL), "topo_open %d, topology %p", rc, (void *)t);
    int place_rc = ARAYON_EINVAL;
    unsigned pool_threads = 1 + pool_b % 3;
    if (t && skip_known && llc_across_nodes(t)) {
        ary_topo_close(t);
        free(spec);
        free(desc);
        return 0;
    }
    if (t) {
        unsigned np = ary_topo_pus(t), nc = ary_topo_cores(t);
        FZ_CHECK(np >= 1 && nc >= 1 && nc <= np, "%u PUs, %u cores", np, nc);
        FZ_CHECK(!ary_topo_is_this_system(t), "a synthetic machine taken for this one");
        ary_placement pl;
        rc = ary_topo_place(t, &cfg, nworkers, &pl);
        FZ_CHECK(rc == ARAYON_OK || rc == ARAYON_EINVAL || rc == ARAYON_ENOMEM, "place: %d", rc);
        if (rc == ARAYON_OK) {
            check_placement(t, &cfg, nworkers, &pl);
            size_t total = 0;
            rc = ary_topo_print(t, &pl, NULL, sink, &total);
            FZ_CHECK(rc == ARAYON_OK && total > 0, "print: %d, %zu bytes", rc, total);
        } else {
            FZ_CHECK(rc != ARAYON_EINVAL || nworkers == 0 || (unsigned)cfg.bind > 3 ||
                         cfg.bind == ARAYON_BIND_LIST,
                     "place refused %u workers, policy %u", nworkers, (unsigned)cfg.bind);
        }
        ary_placement_free(&pl);
        size_t page = shift ? (size_t)1 << (shift % 24) : 0;
        check_mem_plan(t, flags >> 6, cpu, mask, (size_t)area * (page ? page : 4096) + (shift & 3),
                       page);
        if ((pool_b & 0x80) && np <= 3)
            pool_threads = 0;
        if (pool_threads) {
            rc = ary_topo_place(t, &cfg, pool_threads, &pl);
            place_rc = rc;
            ary_placement_free(&pl);
        }
        ary_topo_close(t);
    }

    if (flags & 16) {
        cfg.num_threads = pool_threads;
        cfg.auto_threads = (arayon_auto_threads_t)((pool_b >> 5) & 3);
        arayon_pool_t *pool = NULL;
        rc = arayon_pool_create(&cfg, &pool);
        FZ_CHECK((rc == ARAYON_OK) == (pool != NULL), "pool_create %d, pool %p", rc,
                 (void *)pool);
        if (pool_threads && cfg.auto_threads <= ARAYON_AUTO_TWICE_CORES) {
            if (place_rc == ARAYON_OK)
                FZ_CHECK(rc == ARAYON_OK || rc == ARAYON_ENOMEM || rc == ARAYON_ESYSTEM,
                         "pool_create %d on a placement that works", rc);
            else
                FZ_CHECK(rc != ARAYON_OK, "pool created where the placement failed (%d)",
                         place_rc);
        }
        if (pool) {
            unsigned nw = arayon_pool_num_threads(pool);
            FZ_CHECK(nw >= 1 && (!pool_threads || nw == pool_threads), "pool of %u threads", nw);
            for (unsigned w = 0; w < nw; w++)
                FZ_CHECK(arayon_pool_worker_node(pool, w) >= 0, "worker %u: node %d", w,
                         arayon_pool_worker_node(pool, w));
            if (flags & 32) {
                size_t total = 0;
                rc = arayon_pool_print_topology(pool, sink, &total);
                FZ_CHECK(rc == ARAYON_OK && total > 0, "print_topology: %d", rc);
            }
            arayon_pool_destroy(&pool);
        }
    }
    free(spec);
    free(desc);
    return 0;
}
