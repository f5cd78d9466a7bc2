/*
 * fuzz_omp_env.c - the OpenMP layer's environment (compat/omp_env.c, and what reads its
 * results): OMP_*, KMP_*, GOMP_* and the ARAYON_* variables the layer looks at.
 *
 * Each input is a list of "NAME=value" records (fuzz.h). They are set with setenv, then:
 *   - kmpx_settings_load() into a local settings struct and a config from
 *     arayon_config_default() (the layer's start-up parse, re-runnable: it clears what it
 *     fills), and the documented ranges of every field are checked;
 *   - kmpx_display_env() when OMP_DISPLAY_ENV asked for it;
 *   - kmpx_env_allocator_parse() (OMP_ALLOCATOR); a memory space with traits goes on to
 *     omp_init_allocator, a few omp_alloc/omp_free calls and omp_destroy_allocator;
 *   - OMP_AFFINITY_FORMAT: omp_capture_affinity() with the format, into buffers of several
 *     sizes, and the omp_set_affinity_format / omp_get_affinity_format round trip;
 * and every variable is unset again.
 *
 * The layer itself (its pool, kmpx_set) is started once, in LLVMFuzzerInitialize, from a
 * clean environment: a fuzzed OMP_NUM_THREADS must not decide how many threads the process
 * starts.
 */
#include "kmp.h"
#include "kmp_abi.h"

#include <limits.h>

#include "fuzz.h"

static const char *const vars[] = {
    "OMP_NUM_THREADS",     "OMP_SCHEDULE",        "OMP_PROC_BIND",
    "OMP_PLACES",          "OMP_STACKSIZE",       "OMP_WAIT_POLICY",
    "OMP_MAX_ACTIVE_LEVELS", "OMP_THREAD_LIMIT",  "OMP_DYNAMIC",
    "OMP_NESTED",          "OMP_CANCELLATION",    "OMP_MAX_TASK_PRIORITY",
    "OMP_DISPLAY_ENV",     "OMP_AFFINITY_FORMAT", "OMP_ALLOCATOR",
    "OMP_NUM_TEAMS",       "OMP_TEAMS_THREAD_LIMIT", "OMP_DISPLAY_AFFINITY",
    "OMP_DEFAULT_DEVICE",  "OMP_TOOL",            "KMP_BLOCKTIME",
    "KMP_ENABLE_TASK_THROTTLING", "KMP_AFFINITY", "KMP_STACKSIZE",
    "GOMP_SPINCOUNT",      "GOMP_CPU_AFFINITY",   "GOMP_STACKSIZE",
    "ARAYON_MAX_PENDING",  "ARAYON_FULL_POLICY",  "ARAYON_SPIN_US",
};
#define NVARS (sizeof vars / sizeof vars[0])

enum { ATK_ALIGNMENT = 2, ATK_FALLBACK = 5, ATV_ABORT_FB = 13 };
#define MAX_USED_ALIGNMENT ((uintptr_t)1 << 20)

/* Inputs of findings not fixed yet (their files are in corpus/omp_env/crash-*), skipped when
 * ARAYON_FUZZ_SKIP_KNOWN is set so that a long run looks for new ones (docs/fuzzing.md). */
static bool skip_known;

static bool has_long_number(const char *v, size_t digits)
{
    size_t run = 0;
    for (; *v; v++) {
        run = *v >= '0' && *v <= '9' ? run + 1 : 0;
        if (run > digits)
            return true;
    }
    return false;
}

static bool known_finding(const fz_record *rec, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const char *name = vars[rec[i].var], *v = rec[i].value;
        /* GOMP_CPU_AFFINITY: a range walks every number in it (crash-gomp-cpu-affinity-*) */
        if (!strcmp(name, "GOMP_CPU_AFFINITY") && has_long_number(v, 5))
            return true;
        /* OMP_AFFINITY_FORMAT: a field width pads byte by byte, without a bound
         * (crash-affinity-format-width-hang) */
        if (!strcmp(name, "OMP_AFFINITY_FORMAT") && has_long_number(v, 6))
            return true;
    }
    return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    skip_known = getenv("ARAYON_FUZZ_SKIP_KNOWN") != NULL;
    fz_unset_all(vars, NVARS);
    setenv("OMP_NUM_THREADS", "2", 1);
    (void)omp_get_max_threads(); /* starts the layer: kmpx_set and its pool */
    unsetenv("OMP_NUM_THREADS");
    return 0;
}

static void check_settings(const kmpx_settings *s, const arayon_config_t *cfg)
{
    FZ_CHECK(s->nthreads >= 1 && s->nthreads <= (int)ARAYON_MAX_THREADS, "nthreads %d",
             s->nthreads);
    FZ_CHECK(s->max_active_levels >= 0 && s->max_active_levels <= 255, "max_active_levels %d",
             s->max_active_levels);
    FZ_CHECK(s->thread_limit >= 1, "thread_limit %d", s->thread_limit);
    FZ_CHECK(s->max_task_priority >= 0, "max_task_priority %d", s->max_task_priority);
    FZ_CHECK(s->run_sched_kind >= KMPX_SCHED_STATIC && s->run_sched_kind <= KMPX_SCHED_AUTO,
             "run_sched_kind %d", s->run_sched_kind);
    FZ_CHECK(s->run_sched_chunk >= 0, "run_sched_chunk %d", s->run_sched_chunk);
    FZ_CHECK(s->proc_bind >= 0 && s->proc_bind <= 4, "proc_bind %d", s->proc_bind);
    FZ_CHECK(s->stacksize == 0 || (s->stacksize >= (64u << 10) && s->stacksize <= (1ull << 40)),
             "stacksize %zu", s->stacksize);
    FZ_CHECK(s->num_teams >= 0 && s->teams_thread_limit >= 0, "num_teams %d, limit %d",
             s->num_teams, s->teams_thread_limit);
    FZ_CHECK(!s->tw_from || s->tw_spin_ns <= s->tw_block_ns || s->tw_block_ns == 0,
             "team wait spin %llu > block %llu", (unsigned long long)s->tw_spin_ns,
             (unsigned long long)s->tw_block_ns);
    FZ_CHECK((unsigned)cfg->bind <= ARAYON_BIND_LIST, "bind %d", (int)cfg->bind);
    FZ_CHECK(cfg->spin_us <= 1000000, "spin_us %u", cfg->spin_us);
    FZ_CHECK(cfg->max_pending <= (SIZE_MAX >> 2), "max_pending %zu", cfg->max_pending);
    FZ_CHECK((unsigned)cfg->full_policy <= ARAYON_FULL_RUN_INLINE, "full_policy %d",
             (int)cfg->full_policy);
    FZ_CHECK(cfg->stack_size == 0 || cfg->stack_size >= (64u << 10), "stack_size %zu",
             cfg->stack_size);
    if (cfg->bind == ARAYON_BIND_LIST) {
        FZ_CHECK(cfg->bind_pus && cfg->num_bind_pus >= 1 && cfg->num_bind_pus <= 4096,
                 "bind list of %u PUs", cfg->num_bind_pus);
        for (unsigned i = 0; i < cfg->num_bind_pus; i++)
            FZ_CHECK(cfg->bind_pus[i] < CPU_SETSIZE, "bind_pus[%u] = %u", i, cfg->bind_pus[i]);
    }
}

/* OMP_ALLOCATOR: the parse, then the allocator it describes. */
static void run_allocator(void)
{
    kmpx_env_allocator e;
    int rc = kmpx_env_allocator_parse(&e);
    FZ_CHECK(rc >= -1 && rc <= 1, "kmpx_env_allocator_parse returned %d", rc);
    if (rc != 1)
        return;
    FZ_CHECK(e.ntraits >= 0 && e.ntraits <= KMPX_ENV_ALLOC_TRAITS, "ntraits %d", e.ntraits);
    if (e.predefined) {
        FZ_CHECK(e.predefined >= 1 && e.predefined <= 8, "predefined %lu",
                 (unsigned long)e.predefined);
        FZ_CHECK(e.ntraits == 0, "predefined allocator with %d traits", e.ntraits);
        void *p = omp_alloc(64, e.predefined);
        omp_free(p, e.predefined);
        return;
    }
    FZ_CHECK(e.memspace <= 4, "memspace %lu", (unsigned long)e.memspace);
    uintptr_t h = omp_init_allocator(e.memspace, e.ntraits, e.traits);
    if (!h)
        return;
    /* abort_fb aborts the process when an allocation fails: that is its job, not a finding,
     * so such an allocator is made and destroyed but not used. */
    bool aborts = false;
    uintptr_t alignment = 1;
    for (int i = 0; i < e.ntraits; i++) {
        if (e.traits[i].key == ATK_FALLBACK)
            aborts = e.traits[i].value == ATV_ABORT_FB;
        if (e.traits[i].key == ATK_ALIGNMENT)
            alignment = e.traits[i].value;
    }
    /* Every block of an allocator costs its alignment in address space (malloc of size +
     * alignment): 1 GiB blocks are cheap natively but take seconds under ASan, which
     * poisons all of it. Such an allocator is made and destroyed but not used. */
    if (!aborts && alignment <= MAX_USED_ALIGNMENT) {
        static const size_t sizes[] = {1, 64, 4096, 100000};
        void *p[4];
        for (int i = 0; i < 4; i++) {
            p[i] = omp_alloc(sizes[i], h);
            if (p[i])
                memset(p[i], 0xa5, sizes[i]);
        }
        for (int i = 0; i < 4; i++)
            omp_free(p[i], h);
    }
    omp_destroy_allocator(h);
}

/* OMP_AFFINITY_FORMAT: expanding it, and the set/get round trip. */
static void run_affinity_format(const char *fmt)
{
    static const size_t sizes[] = {0, 1, 2, 16, 4096};
    char *buf = malloc(4096);
    if (!buf)
        abort();
    size_t full = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        memset(buf, 0x5a, 4096);
        size_t n = omp_capture_affinity(sizes[i] ? buf : NULL, sizes[i], fmt);
        if (i == 0)
            full = n;
        FZ_CHECK(n == full, "capture length %zu, then %zu", full, n);
        if (sizes[i]) {
            size_t l = strnlen(buf, sizes[i]);
            FZ_CHECK(l < sizes[i] && l == (n < sizes[i] ? n : sizes[i] - 1),
                     "capture into %zu bytes: length %zu, string %zu", sizes[i], n, l);
        }
    }
    omp_set_affinity_format(fmt);
    size_t len = omp_get_affinity_format(buf, 4096);
    FZ_CHECK(len == strlen(fmt), "get_affinity_format: %zu, set %zu", len, strlen(fmt));
    FZ_CHECK(!strncmp(buf, fmt, 4095), "get_affinity_format differs from what was set");
    omp_set_affinity_format(NULL);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_record rec[FZ_MAX_RECORDS];
    unsigned n = fz_parse_records(data, size, vars, NVARS, rec);
    if (skip_known && known_finding(rec, n)) {
        fz_free_records(rec, n);
        return 0;
    }
    for (unsigned i = 0; i < n; i++)
        setenv(vars[rec[i].var], rec[i].value, 1);

    arayon_config_t cfg = arayon_config_default();
    kmpx_settings s;
    kmpx_settings_load(&s, &cfg);
    check_settings(&s, &cfg);
    if (s.display_env)
        kmpx_display_env(&s, s.nthreads);
    run_allocator();
    if (s.affinity_format)
        run_affinity_format(s.affinity_format);

    fz_unset_all(vars, NVARS);
    fz_free_records(rec, n);
    return 0;
}
