/*
 * bench_topo.c - what topology awareness does to stealing and time: the same work on a
 * machine with NUMA nodes and on the same machine flattened to one node.
 *
 * Workloads (the same work in every configuration: two binary trees of tasks, scopes at
 * every level, leaves of ~1 us of arithmetic):
 *   balanced     one tree per node: tree k spawned with numa_node = k % nodes (from a task
 *                inside the pool), so each node starts with its own half
 *   unbalanced   both trees spawned with numa_node = 0: all the work starts on node 0 and
 *                reaches the other node's workers only by stealing
 *
 * Machines (each "aware" one next to its flattened twin, same worker count):
 *   synthetic    "synthetic:pack:2 numa:1 core:2 pu:1": 4 workers on 2 nodes (not bound:
 *                a synthetic machine is never bound, so this runs on any box)
 *   synthetic flat  "synthetic:numa:1 core:4 pu:1": the same 4 workers on one node, so every
 *                steal is "local" and the steal order has no node preference, the hints
 *                have one node to go to and no worker waits before stealing "remotely"
 *   real         this machine as hwloc sees it (default topology, default worker count)
 *   real flat    "synthetic:numa:1 core:<T> pu:1" with T = the real pool's worker count
 *
 * Every repetition creates a fresh pool per configuration (creation and an unmeasured
 * warm-up tree are outside the timing) and runs the configurations in rotating order, so
 * load on the machine hits them alike. Reported: the median (and minimum) wall time of the
 * spawn/wait region, and the medians of the node metrics deltas over it: local and remote
 * steals, tasks run off the node they were queued on (spawned_here_run_elsewhere), and
 * node 0's share of the executed tasks. Nothing is asserted: the process exits 1 only when
 * a result is wrong (a leaf count, a task that failed) or a pool cannot be created.
 *
 *   bench_topo [--reps R] [--depth D] [--leaf-iters N] [--machines synthetic,real] [--samples]
 */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function" /* the other benchmarks' helpers */
#endif
#include "bench_common.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <arayon.h>

#include <stdatomic.h>

#define TOPO_ROOTS 2      /* trees per run: one per node of the synthetic machine */
#define TOPO_MAX_NODES 64 /* node metrics kept per pool */

static unsigned long leaf_iters = 1000; /* ~1 us: dependent multiply-add steps */
static arayon_pool_t *cur_pool;
static atomic_long leaves_done;
static _Atomic uint64_t leaf_sink;

#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint64_t leaf_work(unsigned long iters)
{
    uint64_t x = iters | 1;
    for (unsigned long i = 0; i < iters; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

static int tree(void *arg)
{
    intptr_t depth = (intptr_t)arg;
    if (depth == 0) {
        atomic_fetch_add_explicit(&leaf_sink, leaf_work(leaf_iters) & 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&leaves_done, 1, memory_order_relaxed);
        return 0;
    }
    arayon_scope_t *s;
    if (arayon_scope_begin(cur_pool, &s) != ARAYON_OK)
        return 1;
    int rc = arayon_scope_spawn(s, tree, (void *)(depth - 1), NULL);
    int rc2 = arayon_scope_spawn(s, tree, (void *)(depth - 1), NULL);
    int rc3 = arayon_scope_end(&s);
    return rc || rc2 || rc3;
}

typedef struct run_arg {
    int depth;
    int balanced; /* 1: tree k hinted to node k % nodes; 0: every tree to node 0 */
} run_arg;

/* The producer: a task inside the pool (itself spawned with a hint for node 0). */
static int producer(void *arg)
{
    const run_arg *ra = arg;
    unsigned nodes = arayon_pool_num_nodes(cur_pool);
    arayon_scope_t *s;
    if (arayon_scope_begin(cur_pool, &s) != ARAYON_OK)
        return 1;
    int bad = 0;
    for (unsigned k = 0; k < TOPO_ROOTS; k++) {
        arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
        o.scope = s;
        o.numa_node = ra->balanced ? (int)(k % nodes) : 0;
        bad |= arayon_spawn_ex(cur_pool, tree, (void *)(intptr_t)ra->depth, &o, NULL) != 0;
    }
    bad |= arayon_scope_end(&s) != ARAYON_OK;
    return bad;
}

/* ---------------------------------------------------------------------------------------
 * Configurations and measurements.
 * ------------------------------------------------------------------------------------- */
typedef struct machine {
    const char *key;      /* RESULT config= */
    const char *label;    /* table */
    char topology[96];    /* "" = this machine */
    unsigned threads;     /* 0 = the pool's default */
    int flat_of;          /* index of the aware twin, -1 for an aware machine */
} machine;

typedef struct meas {
    double wall_ns[BENCH_MAX_REPS], cpu_ns[BENCH_MAX_REPS], sys_ns[BENCH_MAX_REPS];
    double local[BENCH_MAX_REPS], remote[BENCH_MAX_REPS], elsewhere[BENCH_MAX_REPS];
    double node0_share[BENCH_MAX_REPS];
    int n;
    unsigned nodes, threads;
} meas;

static int create_pool(const machine *m, arayon_pool_t **p)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.topology = m->topology[0] ? m->topology : NULL;
    cfg.num_threads = m->threads;
    int rc = arayon_pool_create(&cfg, p);
    if (rc != ARAYON_OK)
        printf("ERROR runtime=arayon bench=topo config=%s pool creation failed: %s\n", m->key,
               arayon_strerror(rc));
    return rc;
}

typedef struct totals {
    uint64_t local, remote, elsewhere, executed, node0;
} totals;

static void node_totals(arayon_pool_t *p, totals *t)
{
    memset(t, 0, sizeof *t);
    unsigned nn = arayon_pool_num_nodes(p);
    for (unsigned k = 0; k < nn && k < TOPO_MAX_NODES; k++) {
        arayon_node_metrics_t nm;
        if (arayon_pool_node_metrics(p, k, &nm) != ARAYON_OK)
            continue;
        t->local += nm.local_steals;
        t->remote += nm.remote_steals;
        t->elsewhere += nm.spawned_here_run_elsewhere;
        t->executed += nm.tasks_executed;
        if (k == 0)
            t->node0 = nm.tasks_executed;
    }
}

/* One spawn/wait region: the producer and its trees. Returns 0, or 1 for a wrong result. */
static int run_once(arayon_pool_t *p, int depth, int balanced, const char *key)
{
    run_arg ra = {depth, balanced};
    atomic_store(&leaves_done, 0);
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.numa_node = 0;
    arayon_task_t *t;
    int rc = arayon_spawn_ex(p, producer, &ra, &o, &t);
    if (rc == ARAYON_OK) {
        rc = arayon_task_wait(t);
        arayon_task_release(t);
    }
    long want = (long)TOPO_ROOTS << depth;
    if (rc != ARAYON_OK || atomic_load(&leaves_done) != want) {
        printf("ERROR runtime=arayon bench=topo config=%s depth=%d: %s, %ld leaves of %ld\n", key,
               depth, arayon_strerror(rc), atomic_load(&leaves_done), want);
        return 1;
    }
    return 0;
}

static int measure(const machine *m, int depth, int balanced, meas *out)
{
    arayon_pool_t *p = NULL;
    if (create_pool(m, &p) != ARAYON_OK)
        return 1;
    cur_pool = p;
    out->nodes = arayon_pool_num_nodes(p);
    out->threads = arayon_pool_num_threads(p);
    int bad = run_once(p, depth > 8 ? 8 : depth, balanced, m->key); /* warm-up */
    totals a, b;
    node_totals(p, &a);
    bench_clock c = bench_clock_start();
    bad |= run_once(p, depth, balanced, m->key);
    bench_sample s = bench_clock_stop(c);
    node_totals(p, &b);
    arayon_pool_destroy(&p);
    cur_pool = NULL;
    int i = out->n++;
    out->wall_ns[i] = s.wall_ns;
    out->cpu_ns[i] = s.cpu_ns;
    out->sys_ns[i] = s.sys_ns;
    out->local[i] = (double)(b.local - a.local);
    out->remote[i] = (double)(b.remote - a.remote);
    out->elsewhere[i] = (double)(b.elsewhere - a.elsewhere);
    uint64_t ex = b.executed - a.executed;
    out->node0_share[i] = ex ? (double)(b.node0 - a.node0) / (double)ex : 0.0;
    if (bench_print_samples)
        printf("SAMPLE runtime=arayon bench=topo_%s config=%s rep=%d total_ms=%.4f "
               "local_steals=%.0f remote_steals=%.0f run_elsewhere=%.0f node0_share=%.3f\n",
               balanced ? "balanced" : "unbalanced", m->key, i + 1, s.wall_ns / 1e6,
               out->local[i], out->remote[i], out->elsewhere[i], out->node0_share[i]);
    return bad;
}

static double med_of(const double *v, int n)
{
    double tmp[BENCH_MAX_REPS];
    memcpy(tmp, v, (size_t)n * sizeof v[0]);
    return bench_median(tmp, n);
}

static double min_of(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

static void usage(const char *prog, FILE *f)
{
    fprintf(f,
            "usage: %s [--reps R] [--depth D] [--leaf-iters N] [--machines LIST] [--samples]\n"
            "  --reps R        repetitions, each with fresh pools; medians reported (default 9)\n"
            "  --depth D       depth of each of the 2 binary trees: 2 x 2^D leaves (default 15)\n"
            "  --leaf-iters N  multiply-add steps per leaf, ~1 ns each (default 1000)\n"
            "  --machines LIST synthetic,real (default both); each with its flattened twin\n"
            "  --samples       also print every repetition (SAMPLE lines)\n",
            prog);
}

int main(int argc, char **argv)
{
    int reps = 9, depth = 15, want_syn = 1, want_real = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(argv[0], stdout);
            return 0;
        } else if (!strcmp(a, "--samples")) {
            bench_print_samples = 1;
        } else if (i + 1 < argc && !strcmp(a, "--reps") &&
                   bench_parse_long(argv[i + 1], 1, BENCH_MAX_REPS, &v) == 0) {
            reps = (int)v;
            i++;
        } else if (i + 1 < argc && !strcmp(a, "--depth") &&
                   bench_parse_long(argv[i + 1], 1, 24, &v) == 0) {
            depth = (int)v;
            i++;
        } else if (i + 1 < argc && !strcmp(a, "--leaf-iters") &&
                   bench_parse_long(argv[i + 1], 0, 100000000L, &v) == 0) {
            leaf_iters = (unsigned long)v;
            i++;
        } else if (i + 1 < argc && !strcmp(a, "--machines")) {
            const char *l = argv[++i];
            want_syn = strstr(l, "synthetic") != NULL;
            want_real = strstr(l, "real") != NULL;
            if (!want_syn && !want_real) {
                fprintf(stderr, "%s: --machines: synthetic and/or real\n", argv[0]);
                return 2;
            }
        } else {
            fprintf(stderr, "%s: bad option %s\n", argv[0], a);
            usage(argv[0], stderr);
            return 2;
        }
    }

    /* The leaf's cost, alone, in a loop (for scale). */
    {
        double t[5];
        for (int i = 0; i < 5; i++) {
            double t0 = bench_now_ns();
            for (int j = 0; j < 1000; j++)
                atomic_fetch_add_explicit(&leaf_sink, leaf_work(leaf_iters) & 1,
                                          memory_order_relaxed);
            t[i] = (bench_now_ns() - t0) / 1000.0;
        }
        printf("NOTE runtime=arayon bench=topo leaf_ns=%.0f (leaf-iters %lu, median of 5 x 1000)\n",
               bench_median(t, 5), leaf_iters);
    }

    machine ms[4];
    int nm = 0;
    if (want_syn) {
        ms[nm] = (machine){"synthetic", "synthetic 2 nodes", "synthetic:pack:2 numa:1 core:2 pu:1",
                           0, -1};
        nm++;
        ms[nm] = (machine){"synthetic_flat", "  flattened (1 node)", "synthetic:numa:1 core:4 pu:1",
                           0, nm - 1};
        nm++;
    }
    if (want_real) {
        /* The real pool's size, for its flattened twin. */
        machine real = {"real", "this machine", "", 0, -1};
        arayon_pool_t *p = NULL;
        if (create_pool(&real, &p) != ARAYON_OK)
            return 1;
        unsigned t = arayon_pool_num_threads(p);
        unsigned nodes = arayon_pool_num_nodes(p);
        arayon_pool_destroy(&p);
        ms[nm] = real;
        nm++;
        ms[nm] = (machine){"real_flat", "  flattened (1 node)", "", t, nm - 1};
        snprintf(ms[nm].topology, sizeof ms[nm].topology, "synthetic:numa:1 core:%u pu:1", t);
        nm++;
        printf("NOTE runtime=arayon bench=topo this machine: %u node(s), %u workers%s\n", nodes, t,
               nodes == 1 ? " (one node: \"real\" and \"real flat\" differ only by hwloc's view)"
                          : "");
    }

    static meas res[4][2]; /* [machine][balanced] */
    int bad = 0;
    for (int r = 0; r < reps; r++)
        for (int j = 0; j < nm; j++) {
            int mi = (j + r) % nm; /* rotating order */
            for (int bal = 1; bal >= 0; bal--)
                bad |= measure(&ms[mi], depth, bal, &res[mi][bal]);
        }
    if (bad)
        return 1;

    /* RESULT lines: bench_common.h's fields, then the topology figures (medians). */
    double tasks = (double)TOPO_ROOTS * (double)((2L << depth) - 1) + 1;
    long rss = bench_maxrss_kb();
    for (int mi = 0; mi < nm; mi++)
        for (int bal = 1; bal >= 0; bal--) {
            meas *x = &res[mi][bal];
            double wall = med_of(x->wall_ns, x->n);
            printf("RESULT runtime=arayon bench=%s n=%d threads=%u tasks=%.0f reps=%d "
                   "ns_per_task=%.2f total_ms=%.4f min_ms=%.4f cpu_ms=%.2f sys_ms=%.2f "
                   "maxrss_kb=%ld config=%s nodes=%u local_steals=%.0f remote_steals=%.0f "
                   "run_elsewhere=%.0f node0_share=%.3f\n",
                   bal ? "topo_balanced" : "topo_unbalanced", depth, x->threads, tasks, x->n,
                   wall / tasks, wall / 1e6, min_of(x->wall_ns, x->n) / 1e6,
                   med_of(x->cpu_ns, x->n) / 1e6, med_of(x->sys_ns, x->n) / 1e6, rss, ms[mi].key,
                   x->nodes, med_of(x->local, x->n), med_of(x->remote, x->n),
                   med_of(x->elsewhere, x->n), med_of(x->node0_share, x->n));
        }
    fflush(stdout);

    /* The table. */
    printf("\ntopology awareness: 2 binary trees of depth %d (%.0f tasks, leaves of %lu steps), "
           "median of %d runs, fresh pools\n",
           depth, tasks, leaf_iters, reps);
    printf("balanced = tree k spawned on node k; unbalanced = both trees spawned on node 0\n");
    printf("x flat = time / the flattened twin's (>1: topology awareness costs time); "
           "remote%% = remote / all steals;\n");
    printf("off-node = tasks run by another node than the one they were queued on; node0 = "
           "node 0's share of the tasks\n\n");
    printf("%-11s %-21s %5s %4s %9s %9s %7s %8s %8s %8s %8s %6s\n", "workload", "machine", "nodes",
           "thr", "ms (med)", "ms (min)", "x flat", "local", "remote", "remote%", "off-node",
           "node0");
    for (int bal = 1; bal >= 0; bal--)
        for (int mi = 0; mi < nm; mi++) {
            meas *x = &res[mi][bal];
            double ms_med = med_of(x->wall_ns, x->n) / 1e6;
            char ratio[16] = "-";
            if (ms[mi].flat_of >= 0) {
                /* flat rows: the aware twin's ratio is printed on the aware row */
            } else if (mi + 1 < nm && ms[mi + 1].flat_of == mi) {
                double flat = med_of(res[mi + 1][bal].wall_ns, res[mi + 1][bal].n) / 1e6;
                snprintf(ratio, sizeof ratio, "%.2f", flat > 0 ? ms_med / flat : 0.0);
            }
            double l = med_of(x->local, x->n), rm = med_of(x->remote, x->n);
            double all_l = 0, all_r = 0;
            for (int i = 0; i < x->n; i++) {
                all_l += x->local[i];
                all_r += x->remote[i];
            }
            char rpct[16];
            snprintf(rpct, sizeof rpct, "%.0f%%", all_l + all_r > 0 ? 100 * all_r / (all_l + all_r) : 0);
            printf("%-11s %-21s %5u %4u %9.2f %9.2f %7s %8.0f %8.0f %8s %8.0f %5.0f%%\n",
                   bal ? "balanced" : "unbalanced", ms[mi].label, x->nodes, x->threads, ms_med,
                   min_of(x->wall_ns, x->n) / 1e6, ratio, l, rm, rpct,
                   med_of(x->elsewhere, x->n), 100 * med_of(x->node0_share, x->n));
        }
    printf("\n(local, remote, off-node: medians per run; remote%%: over all runs. On a one-node "
           "machine every steal is local.)\n");
    return 0;
}
