/*
 * fuzz_env.c - the native runtime's environment (runtime/env.c): ARAYON_* variables, the
 * hwloc variables env.c passes on, and the typed readers (ary_env_long, ary_env_size,
 * ary_env_bool) the OpenMP layer builds on, each with several ranges and units.
 *
 * Each input is a list of "NAME=value" records (fuzz.h), set with setenv. Then every entry
 * point of env.c runs and its result is checked against docs/ENVIRONMENT.md; and when the
 * last byte of the input is odd, a pool is created from arayon_config_default() with that
 * environment (one or two workers: num_threads is set when ARAYON_NUM_THREADS asks for more)
 * and destroyed, so that the values reach pool.c, metrics.c and the fiber stacks as a
 * program's would. ARAYON_TRACE is unset around the pool: its value is a path to write.
 */
#include "internal.h"

#include <limits.h>

#include "fuzz.h"

static const char *const vars[] = {
    "ARAYON_NUM_THREADS",  "ARAYON_SPIN_US",     "ARAYON_MAX_PENDING",
    "ARAYON_FULL_POLICY",  "ARAYON_FIBER_STACK", "ARAYON_LATENCY",
    "ARAYON_DISPLAY_ENV",  "ARAYON_METRICS",     "ARAYON_TRACE",
    "ARAYON_TRACE_EVENTS", "ARAYON_TRACE_OVERFLOW", "HWLOC_SYNTHETIC",
    "HWLOC_XMLFILE",       "HWLOC_THISSYSTEM",   "ARAYON_FUZZ_LONG",
    "ARAYON_FUZZ_SIZE",    "ARAYON_FUZZ_BOOL",
};
#define NVARS (sizeof vars / sizeof vars[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_unset_all(vars, NVARS);
    (void)ary_topo_num_cores(); /* the default topology, loaded once from a clean environment */
    return 0;
}

/* The generic readers on every variable of the table, with ranges and units of all kinds. */
static void run_readers(void)
{
    static const struct {
        long lo, hi;
    } ranges[] = {{0, 255}, {1, INT_MAX}, {LONG_MIN, LONG_MAX}, {-5, 5}, {7, 7}};
    static const unsigned long long units[] = {1, 1024, 1ull << 20};
    for (unsigned v = 0; v < NVARS; v++) {
        const char *raw = ary_env_str(vars[v]);
        const char *env = getenv(vars[v]);
        FZ_CHECK(raw == (env && *env ? env : NULL), "ary_env_str(%s)", vars[v]);
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
            long x = 12345;
            int rc = ary_env_long(vars[v], ranges[r].lo, ranges[r].hi, 0, &x);
            FZ_CHECK(rc >= -1 && rc <= 1, "ary_env_long rc %d", rc);
            FZ_CHECK(rc != 0 || !raw, "ary_env_long: unset, but %s is set", vars[v]);
            if (rc == 1)
                FZ_CHECK(x >= ranges[r].lo && x <= ranges[r].hi, "%s: %ld outside %ld..%ld",
                         vars[v], x, ranges[r].lo, ranges[r].hi);
            else
                FZ_CHECK(x == 12345, "ary_env_long wrote *out and returned %d", rc);
        }
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
            size_t sz = 12345;
            int rc = ary_env_size(vars[v], units[u], &sz);
            FZ_CHECK(rc >= -1 && rc <= 1, "ary_env_size rc %d", rc);
            if (rc == 1)
                FZ_CHECK(sz >= 1 && sz <= (1ull << 40), "%s: size %zu", vars[v], sz);
            else
                FZ_CHECK(sz == 12345, "ary_env_size wrote *out and returned %d", rc);
        }
        bool b = false;
        int rc = ary_env_bool(vars[v], false, &b);
        FZ_CHECK(rc >= -1 && rc <= 1, "ary_env_bool rc %d", rc);
    }
}

/* The named variables' readers, checked against their documented ranges. */
static void run_named(void)
{
    unsigned nt = ary_env_num_threads();
    FZ_CHECK(nt <= ARAYON_MAX_THREADS, "ARAYON_NUM_THREADS gave %u", nt);
    unsigned spin = ary_env_spin_us();
    FZ_CHECK(spin <= 1000000, "ARAYON_SPIN_US gave %u", spin);
    size_t max_pending = 7;
    arayon_full_policy_t policy = ARAYON_FULL_BLOCK;
    ary_env_admission(&max_pending, &policy);
    FZ_CHECK(max_pending <= (SIZE_MAX >> 2), "ARAYON_MAX_PENDING gave %zu", max_pending);
    FZ_CHECK((unsigned)policy <= ARAYON_FULL_RUN_INLINE, "ARAYON_FULL_POLICY gave %d",
             (int)policy);
    (void)ary_env_display();
    const char *syn, *xml;
    bool thissystem;
    ary_env_hwloc(&syn, &xml, &thissystem);
    size_t events = 262144;
    arayon_trace_overflow_t overflow = ARAYON_TRACE_DROP_OLDEST;
    const char *path = ary_env_trace(&events, &overflow);
    FZ_CHECK(!path || *path, "ARAYON_TRACE: an empty path");
    FZ_CHECK(events >= 16 && events <= ARAYON_TRACE_MAX_EVENTS, "ARAYON_TRACE_EVENTS gave %zu",
             events);
    FZ_CHECK(overflow == ARAYON_TRACE_DROP_OLDEST || overflow == ARAYON_TRACE_STOP,
             "ARAYON_TRACE_OVERFLOW gave %d", (int)overflow);
    int m = ary_env_metrics();
    FZ_CHECK(m == -1 || m == ARAYON_METRICS_TEXT || m == ARAYON_METRICS_JSON ||
                 m == ARAYON_METRICS_PROMETHEUS, "ARAYON_METRICS gave %d", m);
    (void)ary_env_latency();
    size_t fs = ary_env_fiber_stack();
    FZ_CHECK(fs == 0 || (fs >= (16u << 10) && fs <= (256u << 20)), "ARAYON_FIBER_STACK gave %zu",
             fs);
}

static void run_pool(void)
{
    char *trace = NULL;
    const char *t = getenv("ARAYON_TRACE");
    if (t) {
        trace = strdup(t);
        unsetenv("ARAYON_TRACE");
    }
    arayon_config_t cfg = arayon_config_default();
    FZ_CHECK(cfg.max_pending <= (SIZE_MAX >> 2), "config max_pending %zu", cfg.max_pending);
    unsigned nt = ary_env_num_threads();
    if (nt == 0 || nt > 2)
        cfg.num_threads = 2;
    arayon_pool_t *pool = NULL;
    int rc = arayon_pool_create(&cfg, &pool);
    FZ_CHECK((rc == ARAYON_OK) == (pool != NULL), "pool_create %d, pool %p", rc, (void *)pool);
    if (pool)
        arayon_pool_destroy(&pool);
    if (trace) {
        setenv("ARAYON_TRACE", trace, 1);
        free(trace);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_record rec[FZ_MAX_RECORDS];
    unsigned n = fz_parse_records(data, size, vars, NVARS, rec);
    for (unsigned i = 0; i < n; i++)
        setenv(vars[rec[i].var], rec[i].value, 1);
    run_readers();
    run_named();
    if (size && (data[size - 1] & 1))
        run_pool();
    fz_unset_all(vars, NVARS);
    fz_free_records(rec, n);
    return 0;
}
