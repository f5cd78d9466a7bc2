/*
 * omp_env.c - the OpenMP and arayon variables that configure the compatibility layer, parsed
 * once when the layer starts. The reading itself goes through the runtime's env.c (the only
 * file that calls getenv); a bad value gets one warning naming the variable and the default
 * kept. docs/ENVIRONMENT.md documents every variable.
 */
#include "kmp.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

kmpx_settings kmpx_set;

static void warn(const char *name, const char *v, const char *expected, const char *dflt)
{
    fprintf(stderr, "arayon: ignoring %s=%s (expected %s); using %s\n", name, v, expected, dflt);
}

/* GOMP_SPINCOUNT (libgomp): how many times an idle thread polls before it sleeps: a
 * number with an optional k, M, G or T suffix, or infinite/infinity. Mapped onto the
 * runtime's spin time at 100 polls per microsecond (about what a libgomp poll costs here);
 * infinite is one second. It overrides OMP_WAIT_POLICY's spin time, as in libgomp. */
static void parse_gomp_spincount(kmpx_settings *s, arayon_config_t *cfg)
{
    const char *v = ary_env_str("GOMP_SPINCOUNT");
    if (!v)
        return;
    if (!strcasecmp(v, "infinite") || !strcasecmp(v, "infinity")) {
        cfg->spin_us = 1000000;
        s->tw_block_ns = UINT64_MAX;
        s->tw_spin_ns = UINT64_MAX;
        s->tw_from = "GOMP_SPINCOUNT";
        return;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned long long mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1000ull; end++; break;
    case 'm': case 'M': mul = 1000000ull; end++; break;
    case 'g': case 'G': mul = 1000000000ull; end++; break;
    case 't': case 'T': mul = 1000000000000ull; end++; break;
    default: break;
    }
    while (*end == ' ')
        end++;
    if (end == v || *end || errno || v[0] == '-') {
        warn("GOMP_SPINCOUNT", v, "a count (with k, M, G or T) or infinite", "the runtime's spin time");
        return;
    }
    unsigned long long us = n > ULLONG_MAX / mul ? ULLONG_MAX : n * mul / 100;
    cfg->spin_us = us < 1 ? 1 : us > 1000000 ? 1000000 : (unsigned)us;
    /* team waits: the same polls, at 10 ns each */
    unsigned long long polls = n > ULLONG_MAX / mul ? ULLONG_MAX : n * mul;
    s->tw_block_ns = polls > UINT64_MAX / 10 ? UINT64_MAX : polls * 10;
    s->tw_spin_ns = s->tw_block_ns;
    s->tw_from = "GOMP_SPINCOUNT";
}

/* KMP_BLOCKTIME (libomp): how long a waiting thread spins (yielding when the process is
 * oversubscribed) before it sleeps: milliseconds, or a number with us, ms or s, or
 * infinite. */
static void parse_kmp_blocktime(kmpx_settings *s)
{
    const char *v = ary_env_str("KMP_BLOCKTIME");
    if (!v)
        return;
    if (!strcasecmp(v, "infinite") || !strcasecmp(v, "infinity")) {
        s->tw_block_ns = s->tw_spin_ns = UINT64_MAX;
        s->tw_from = "KMP_BLOCKTIME";
        return;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned long long unit = 1000000ull; /* ms */
    if (!strcasecmp(end, "us"))
        unit = 1000ull, end += 2;
    else if (!strcasecmp(end, "ms"))
        end += 2;
    else if (!strcasecmp(end, "s"))
        unit = 1000000000ull, end += 1;
    if (end == v || *end || errno || v[0] == '-') {
        warn("KMP_BLOCKTIME", v, "milliseconds, a number with us, ms or s, or infinite",
             "the runtime's block time");
        return;
    }
    s->tw_block_ns = n > UINT64_MAX / unit ? UINT64_MAX : n * unit;
    s->tw_spin_ns = s->tw_block_ns;
    s->tw_from = "KMP_BLOCKTIME";
}

/* GOMP_CPU_AFFINITY (libgomp): the CPUs to bind threads to, in order: "0 3 1-2 4-15:2"
 * (items separated by blanks or commas; a-b ranges with an optional :stride). Worker i runs
 * on the i-th CPU of the list (wrapping). CPUs the machine does not have are dropped with
 * a warning. Ignored when OMP_PLACES is set or OMP_PROC_BIND=false, as in libgomp. */
#define GOMP_AFFINITY_MAX 4096
static unsigned gomp_cpus[GOMP_AFFINITY_MAX];

/* How many of a, a + stride, ... (up to b) are limit or more; no overflow. */
static unsigned long long past_limit(unsigned long a, unsigned long b, unsigned long stride,
                                     unsigned long limit)
{
    if (b < limit)
        return 0;
    unsigned long first;
    if (a >= limit) {
        first = a;
    } else {
        unsigned long k = (limit - a) / stride + ((limit - a) % stride != 0); /* steps to limit */
        if (k > (b - a) / stride)
            return 0;
        first = a + k * stride;
    }
    return (unsigned long long)((b - first) / stride) + 1;
}

static void parse_gomp_cpu_affinity(arayon_config_t *cfg)
{
    const char *v = ary_env_str("GOMP_CPU_AFFINITY");
    if (!v)
        return;
    /* the machine's CPUs, not this thread's mask: when the program is also linked against
     * libgomp (arayon preloaded), libgomp's start-up has bound this thread already */
    long ncpus = sysconf(_SC_NPROCESSORS_CONF);
    unsigned long limit = ncpus > 0 && ncpus < CPU_SETSIZE ? (unsigned long)ncpus : CPU_SETSIZE;
    unsigned n = 0;
    unsigned long long dropped = 0;
    const char *p = v;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        char *end;
        unsigned long a, b, stride = 1;
        if (*p < '0' || *p > '9')
            goto bad;
        errno = 0;
        a = strtoul(p, &end, 10);
        b = a;
        if (*end == '-') {
            p = end + 1;
            if (*p < '0' || *p > '9')
                goto bad;
            b = strtoul(p, &end, 10);
            if (*end == ':') {
                p = end + 1;
                if (*p < '0' || *p > '9')
                    goto bad;
                stride = strtoul(p, &end, 10);
            }
        }
        if (errno == ERANGE || b < a || stride == 0 ||
            (*end && *end != ' ' && *end != '\t' && *end != ','))
            goto bad;
        /* The CPUs this machine has, in steps of stride (never past limit, so no overflow and
         * no walk over a huge range); the rest are counted, not visited. */
        unsigned long top = b < limit ? b : limit - 1;
        unsigned long c = a;
        for (; c <= top && a < limit && n < GOMP_AFFINITY_MAX; c += stride)
            gomp_cpus[n++] = (unsigned)c;
        dropped += past_limit(a, b, stride, limit);
        p = end;
    }
    if (dropped)
        fprintf(stderr, "arayon: GOMP_CPU_AFFINITY=%s: %llu CPU(s) this machine does not have "
                        "left out\n", v, dropped);
    if (!n) {
        warn("GOMP_CPU_AFFINITY", v, "a list of CPUs of this machine", "no binding");
        return;
    }
    cfg->bind = ARAYON_BIND_LIST;
    cfg->bind_pus = gomp_cpus;
    cfg->num_bind_pus = n;
    return;
bad:
    warn("GOMP_CPU_AFFINITY", v, "CPU numbers and ranges such as \"0 3 1-2 4-15:2\"", "no binding");
}

/* OMP_NUM_THREADS is a list (one value per nesting level); the first value sizes teams. */
static void parse_num_threads(kmpx_settings *s)
{
    const char *v = ary_env_str("OMP_NUM_THREADS");
    if (!v)
        return;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || x < 1 || x > ARAYON_MAX_THREADS || (*end && *end != ',')) {
        char d[32];
        snprintf(d, sizeof d, "%d", s->nthreads);
        warn("OMP_NUM_THREADS", v, "a positive integer, or a comma-separated list of them", d);
        return;
    }
    s->nthreads = (int)x;
}

/* OMP_SCHEDULE: [monotonic:|nonmonotonic:]kind[,chunk]. */
static void parse_schedule(kmpx_settings *s)
{
    const char *v = ary_env_str("OMP_SCHEDULE");
    if (!v)
        return;
    const char *p = v;
    const char *colon = strchr(p, ':');
    if (colon) {
        size_t m = (size_t)(colon - p);
        if (!((m == 9 && !strncasecmp(p, "monotonic", 9)) ||
              (m == 12 && !strncasecmp(p, "nonmonotonic", 12)))) {
            warn("OMP_SCHEDULE", v, "static, dynamic, guided or auto, optionally 'monotonic:' or "
                 "'nonmonotonic:' before and ',chunk' after", "static");
            return;
        }
        p = colon + 1;
    }
    while (isspace((unsigned char)*p))
        p++;
    static const struct { const char *name; int kind; } kinds[] = {
        {"static", KMPX_SCHED_STATIC}, {"dynamic", KMPX_SCHED_DYNAMIC},
        {"guided", KMPX_SCHED_GUIDED}, {"auto", KMPX_SCHED_AUTO}};
    int kind = 0;
    size_t len = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t l = strlen(kinds[i].name);
        if (!strncasecmp(p, kinds[i].name, l) && (p[l] == 0 || p[l] == ',' || isspace((unsigned char)p[l]))) {
            kind = kinds[i].kind;
            len = l;
        }
    }
    long chunk = 0;
    bool ok = kind != 0;
    if (ok) {
        p += len;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == ',') {
            char *end;
            errno = 0;
            chunk = strtol(p + 1, &end, 10);
            ok = !errno && end != p + 1 && chunk >= 1 && chunk <= INT_MAX;
            while (ok && isspace((unsigned char)*end))
                end++;
            ok = ok && *end == 0;
        } else {
            ok = *p == 0;
        }
    }
    if (!ok) {
        warn("OMP_SCHEDULE", v, "static, dynamic, guided or auto, optionally ',chunk'", "static");
        return;
    }
    s->run_sched_kind = kind;
    s->run_sched_chunk = (int)chunk;
}

/* OMP_PROC_BIND: true/false/primary/master/close/spread, or a list (first item used). */
static void parse_proc_bind(kmpx_settings *s, arayon_config_t *cfg)
{
    const char *v = ary_env_str("OMP_PROC_BIND");
    if (!v)
        return;
    char first[16];
    size_t n = strcspn(v, ",");
    if (n >= sizeof first)
        n = sizeof first - 1;
    memcpy(first, v, n);
    first[n] = 0;
    /* omp_proc_bind_t: 0 false, 1 true, 2 primary, 3 close, 4 spread */
    if (!strcasecmp(first, "false")) {
        s->proc_bind = 0;
        s->bind_off = true;
    } else if (!strcasecmp(first, "true") || !strcasecmp(first, "close")) {
        s->proc_bind = !strcasecmp(first, "true") ? 1 : 3;
        cfg->bind = ARAYON_BIND_CLOSE;
    } else if (!strcasecmp(first, "spread")) {
        s->proc_bind = 4;
        cfg->bind = ARAYON_BIND_SPREAD;
    } else if (!strcasecmp(first, "primary") || !strcasecmp(first, "master")) {
        s->proc_bind = 2;
        cfg->bind = ARAYON_BIND_CLOSE;
    } else {
        warn("OMP_PROC_BIND", v, "true, false, primary, master, close or spread", "false");
    }
}

/* OMP_STACKSIZE: size[B|K|M|G], K when no unit. */
static void parse_stacksize(kmpx_settings *s)
{
    size_t n = 0;
    int rc = ary_env_size("OMP_STACKSIZE", 1024, &n); /* (runtime/env.c) */
    if (rc == 0)
        return;
    if (rc < 0) {
        warn("OMP_STACKSIZE", ary_env_str("OMP_STACKSIZE"), "a size such as 4M, 512K or 65536B",
             "the runtime's default (8M)");
        return;
    }
    s->stacksize = n;
    if (s->stacksize < (64u << 10))
        s->stacksize = 64u << 10; /* the runtime's minimum */
}

/* Whether the runtime took ARAYON_MAX_PENDING / ARAYON_FULL_POLICY (runtime/env.c parses
 * them and warns about bad values; a bad one leaves the layer's own default in force). */
static bool valid_max_pending(const char *v)
{
    if (!v)
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    return !errno && end != v && !*end && x <= (SIZE_MAX >> 2);
}

static bool valid_policy(const char *v)
{
    return v && (!strcmp(v, "block") || !strcmp(v, "reject") || !strcmp(v, "inline") ||
                 !strcmp(v, "run_inline"));
}

void kmpx_settings_load(kmpx_settings *s, arayon_config_t *cfg)
{
    memset(s, 0, sizeof *s);
    s->nthreads = (int)ary_topo_num_cores();
    if (s->nthreads < 1)
        s->nthreads = 1;
    s->max_active_levels = 1;
    s->thread_limit = INT_MAX;
    s->run_sched_kind = KMPX_SCHED_STATIC;
    s->throttle = true;
    long x;
    bool b;

    parse_num_threads(s);
    if (ary_env_bool("OMP_NESTED", false, &b) == 1)
        s->max_active_levels = b ? 255 : 1;
    if (ary_env_long("OMP_MAX_ACTIVE_LEVELS", 0, 255, s->max_active_levels, &x) == 1)
        s->max_active_levels = (int)x;
    if (ary_env_long("OMP_THREAD_LIMIT", 1, INT_MAX, INT_MAX, &x) == 1)
        s->thread_limit = (int)x;
    if (ary_env_bool("OMP_DYNAMIC", false, &b) == 1)
        s->dynamic = b;
    if (ary_env_bool("OMP_CANCELLATION", false, &b) == 1)
        s->cancellation = b;
    if (ary_env_long("OMP_MAX_TASK_PRIORITY", 0, INT_MAX, 0, &x) == 1)
        s->max_task_priority = (int)x;
    parse_schedule(s);
    parse_proc_bind(s, cfg);
    parse_stacksize(s);
    if (s->stacksize)
        cfg->stack_size = s->stacksize;

    const char *v = ary_env_str("OMP_DISPLAY_ENV");
    if (v) {
        if (!strcasecmp(v, "true") || !strcasecmp(v, "verbose") || !strcmp(v, "1"))
            s->display_env = true;
        else if (strcasecmp(v, "false") && strcmp(v, "0"))
            warn("OMP_DISPLAY_ENV", v, "true, false or verbose", "false");
    }
    /* OMP_WAIT_POLICY: how long an idle thread spins before it sleeps. */
    v = ary_env_str("OMP_WAIT_POLICY");
    if (v) {
        if (!strcasecmp(v, "active")) {
            cfg->spin_us = 2000;
            s->tw_spin_ns = s->tw_block_ns = UINT64_MAX; /* never sleeps in a team wait */
            s->tw_from = "OMP_WAIT_POLICY";
        } else if (!strcasecmp(v, "passive")) {
            cfg->spin_us = 1;
            s->tw_spin_ns = s->tw_block_ns = 0; /* sleeps at once */
            s->tw_from = "OMP_WAIT_POLICY";
        } else
            warn("OMP_WAIT_POLICY", v, "active or passive", "the runtime's spin time");
    }
    /* OMP_PLACES: the binding follows the topology placement (cores and threads both place
     * one worker per PU in order; sockets spreads them). Other forms are not supported. */
    v = ary_env_str("OMP_PLACES");
    if (v) {
        if (!strcasecmp(v, "cores") || !strcasecmp(v, "threads")) {
            if (cfg->bind == ARAYON_BIND_NONE && !s->bind_off)
                cfg->bind = ARAYON_BIND_CLOSE;
        } else if (!strcasecmp(v, "sockets") || !strcasecmp(v, "numa_domains")) {
            if (cfg->bind == ARAYON_BIND_NONE && !s->bind_off)
                cfg->bind = ARAYON_BIND_SPREAD;
        } else {
            warn("OMP_PLACES", v, "threads, cores, sockets or numa_domains", "no places");
        }
    }
    /* OMP_NUM_TEAMS, OMP_TEAMS_THREAD_LIMIT (OpenMP 5.1): host teams defaults */
    long lv;
    if (ary_env_long("OMP_NUM_TEAMS", 1, INT32_MAX, 0, &lv) == 1)
        s->num_teams = (int)lv;
    if (ary_env_long("OMP_TEAMS_THREAD_LIMIT", 1, INT32_MAX, 0, &lv) == 1)
        s->teams_thread_limit = (int)lv;
    parse_gomp_spincount(s, cfg);
    parse_kmp_blocktime(s); /* wins over GOMP_SPINCOUNT for team waits */
    if (!ary_env_str("OMP_PLACES") && !s->bind_off)
        parse_gomp_cpu_affinity(cfg);
    if (ary_env_bool("KMP_ENABLE_TASK_THROTTLING", true, &b) == 1)
        s->throttle = b;
    /* Admission: ARAYON_MAX_PENDING / ARAYON_FULL_POLICY are read by arayon_config_default
     * (runtime/env.c). Without them, throttling works as in libomp: a thread whose team has
     * 256 tasks per thread queued runs the next task itself. */
    if (!valid_max_pending(ary_env_str("ARAYON_MAX_PENDING"))) { /* unset or bad (warned) */
        if (s->throttle) {
            cfg->max_pending = 256u * (unsigned)s->nthreads;
            if (!valid_policy(ary_env_str("ARAYON_FULL_POLICY")))
                cfg->full_policy = ARAYON_FULL_RUN_INLINE;
        } else {
            cfg->max_pending = 0;
        }
    }
    s->affinity_format = ary_env_str("OMP_AFFINITY_FORMAT");
}

void kmpx_display_env(const kmpx_settings *s, int nthreads)
{
    static const char *sched[] = {"?", "static", "dynamic", "guided", "auto"};
    static const char *bind[] = {"false", "true", "primary", "close", "spread"};
    char chunk[24] = "";
    if (s->run_sched_chunk)
        snprintf(chunk, sizeof chunk, ",%d", s->run_sched_chunk);
    uint64_t spin = s->tw_from ? s->tw_spin_ns : ARY_TW_SPIN_NS;
    uint64_t block = s->tw_from ? s->tw_block_ns : ARY_TW_BLOCK_NS;
    char tw[160];
    if (block == UINT64_MAX)
        snprintf(tw, sizeof tw, "spin, never sleep (%s)", s->tw_from ? s->tw_from : "default");
    else
        snprintf(tw, sizeof tw, "spin %llu us, yield, sleep after %llu us (%s)",
                 (unsigned long long)((spin < block ? spin : block) / 1000),
                 (unsigned long long)(block / 1000), s->tw_from ? s->tw_from : "default");
    fprintf(stderr,
            "\nOPENMP DISPLAY ENVIRONMENT BEGIN\n"
            "  _OPENMP = '201811'\n"
            "  [host] OMP_NUM_THREADS = '%d'\n"
            "  [host] OMP_DYNAMIC = '%s'\n"
            "  [host] OMP_SCHEDULE = '%s%s'\n"
            "  [host] OMP_PROC_BIND = '%s'\n"
            "  [host] OMP_MAX_ACTIVE_LEVELS = '%d'\n"
            "  [host] OMP_THREAD_LIMIT = '%d'\n"
            "  [host] OMP_CANCELLATION = '%s'\n"
            "  [host] OMP_MAX_TASK_PRIORITY = '%d'\n"
            "  [host] OMP_STACKSIZE = '%zuK'\n"
            "  [host] OMP_ALLOCATOR = '%s'\n"
            "  [host] OMP_WAIT_POLICY = '%s'\n"
            "  [host] KMP_ENABLE_TASK_THROTTLING = '%s'\n"
            "  [host] ARAYON team wait = '%s'\n"
            "  [host] ARAYON runtime = 'arayon %s'\n"
            "OPENMP DISPLAY ENVIRONMENT END\n",
            nthreads, s->dynamic ? "TRUE" : "FALSE", sched[s->run_sched_kind], chunk,
            bind[s->proc_bind],
            s->max_active_levels, s->thread_limit, s->cancellation ? "TRUE" : "FALSE",
            s->max_task_priority, (s->stacksize ? s->stacksize : (size_t)8 << 20) / 1024,
            ary_env_str("OMP_ALLOCATOR") ? ary_env_str("OMP_ALLOCATOR") : "omp_default_mem_alloc",
            block == UINT64_MAX ? "ACTIVE" : "PASSIVE", s->throttle ? "TRUE" : "FALSE", tw,
            arayon_version());
}

/* ---- OMP_ALLOCATOR (OpenMP 5.1, 6.21): the initial def-allocator-var ----
 * Either a predefined allocator ("omp_high_bw_mem_alloc"), or a predefined memory space
 * optionally followed by a colon and trait=value pairs separated by commas:
 *   omp_large_cap_mem_space:alignment=16,pinned=true
 *   omp_high_bw_mem_space:pool_size=1048576,fallback=allocator_fb,fb_data=omp_low_lat_mem_alloc
 * Trait and value names are the omp_atk_ / omp_atv_ names without (or with) their prefix;
 * alignment and pool_size are positive integers, fb_data a predefined allocator. Whether
 * the values make a valid allocator is omp_init_allocator's to say (compat/omp_alloc.c
 * warns when it does not). The values are the omp.h ones, which clang's and gcc's agree on. */
struct env_name {
    const char *name;
    uintptr_t value;
};

static const struct env_name env_allocators[] = {
    {"omp_default_mem_alloc", 1}, {"omp_large_cap_mem_alloc", 2}, {"omp_const_mem_alloc", 3},
    {"omp_high_bw_mem_alloc", 4}, {"omp_low_lat_mem_alloc", 5}, {"omp_cgroup_mem_alloc", 6},
    {"omp_pteam_mem_alloc", 7},   {"omp_thread_mem_alloc", 8},  {NULL, 0}};
static const struct env_name env_memspaces[] = {
    {"omp_default_mem_space", 0}, {"omp_large_cap_mem_space", 1}, {"omp_const_mem_space", 2},
    {"omp_high_bw_mem_space", 3}, {"omp_low_lat_mem_space", 4},   {NULL, 0}};
static const struct env_name env_trait_keys[] = {
    {"sync_hint", 1}, {"alignment", 2}, {"access", 3}, {"pool_size", 4},
    {"fallback", 5},  {"fb_data", 6},   {"pinned", 7}, {"partition", 8}, {NULL, 0}};
static const struct env_name env_trait_values[] = {
    {"false", 0},          {"true", 1},         {"contended", 3},     {"uncontended", 4},
    {"serialized", 5},     {"sequential", 5},   {"private", 6},       {"all", 7},
    {"thread", 8},         {"pteam", 9},        {"cgroup", 10},       {"default_mem_fb", 11},
    {"null_fb", 12},       {"abort_fb", 13},    {"allocator_fb", 14}, {"environment", 15},
    {"nearest", 16},       {"blocked", 17},     {"interleaved", 18},  {NULL, 0}};

/* Looks [s, s+n) up in a table, with an optional prefix ("omp_atk_", "omp_atv_"). */
static bool env_lookup(const struct env_name *tab, const char *prefix, const char *s, size_t n,
                       uintptr_t *out)
{
    size_t pl = prefix ? strlen(prefix) : 0;
    if (pl && n > pl && !strncmp(s, prefix, pl)) {
        s += pl;
        n -= pl;
    }
    for (const struct env_name *e = tab; e->name; e++) {
        if (strlen(e->name) == n && !strncmp(e->name, s, n)) {
            *out = e->value;
            return true;
        }
    }
    return false;
}

/* [s, e) without blanks at either end. */
static void env_trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

int kmpx_env_allocator_parse(kmpx_env_allocator *out)
{
    const char *v = ary_env_str("OMP_ALLOCATOR");
    if (!v || !out)
        return 0;
    memset(out, 0, sizeof *out);
    const char *s = v, *end = v + strlen(v);
    const char *colon = memchr(v, ':', (size_t)(end - v));
    const char *name_end = colon ? colon : end;
    env_trim(&s, &name_end);
    size_t n = (size_t)(name_end - s);
    if (!colon && env_lookup(env_allocators, NULL, s, n, &out->predefined))
        return 1;
    if (!env_lookup(env_memspaces, NULL, s, n, &out->memspace))
        goto bad;
    if (!colon)
        return 1;
    /* trait=value pairs */
    for (const char *p = colon + 1; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *pe = comma ? comma : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        if (!eq || out->ntraits >= KMPX_ENV_ALLOC_TRAITS)
            goto bad;
        const char *ks = p, *ke = eq, *vs = eq + 1, *ve = pe;
        env_trim(&ks, &ke);
        env_trim(&vs, &ve);
        uintptr_t key, val;
        if (!env_lookup(env_trait_keys, "omp_atk_", ks, (size_t)(ke - ks), &key) || vs == ve)
            goto bad;
        if (key == 2 || key == 4) { /* alignment, pool_size: a positive integer */
            char num[32];
            size_t vl = (size_t)(ve - vs);
            if (vl >= sizeof num)
                goto bad;
            memcpy(num, vs, vl);
            num[vl] = 0;
            char *ep;
            errno = 0;
            unsigned long long x = strtoull(num, &ep, 10);
            if (errno || *ep || num[0] == '-' || x == 0 || x > UINTPTR_MAX)
                goto bad;
            val = (uintptr_t)x;
        } else if (key == 6) { /* fb_data: a predefined allocator */
            if (!env_lookup(env_allocators, NULL, vs, (size_t)(ve - vs), &val))
                goto bad;
        } else if (!env_lookup(env_trait_values, "omp_atv_", vs, (size_t)(ve - vs), &val)) {
            goto bad;
        }
        out->traits[out->ntraits].key = (int)key;
        out->traits[out->ntraits].value = val;
        out->ntraits++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 1;
bad:
    warn("OMP_ALLOCATOR", v,
         "a predefined allocator, or a predefined memory space optionally followed by "
         ":trait=value,...", "omp_default_mem_alloc");
    return -1;
}
