/*
 * env.c - the only file that reads the environment. Each variable is parsed here, once per
 * call, into a plain value; the rest of the runtime reads configuration structs, never
 * getenv. docs/ENVIRONMENT.md documents every variable.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parses an unsigned decimal in [lo, hi]; returns 0 (unset) when absent or malformed and
 * says so once on stderr when malformed. */
static unsigned env_unsigned(const char *name, unsigned long lo, unsigned long hi)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno || *end || x < lo || x > hi) {
        fprintf(stderr, "arayon: ignoring %s=%s (expected an integer in %lu..%lu)\n", name, v, lo,
                hi);
        return 0;
    }
    return (unsigned)x;
}

unsigned ary_env_num_threads(void)
{
    return env_unsigned("ARAYON_NUM_THREADS", 1, ARAYON_MAX_THREADS);
}

unsigned ary_env_spin_us(void) { return env_unsigned("ARAYON_SPIN_US", 1, 1000000); }

/* ARAYON_MAX_PENDING (a count, 0 = unbounded) and ARAYON_FULL_POLICY (block, reject,
 * inline): defaults for arayon_config_default(). */
void ary_env_admission(size_t *max_pending, arayon_full_policy_t *policy)
{
    const char *v = getenv("ARAYON_MAX_PENDING");
    if (v && *v) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || *end || x > (SIZE_MAX >> 2))
            fprintf(stderr, "arayon: ignoring ARAYON_MAX_PENDING=%s (expected a count, 0 = no bound)\n", v);
        else
            *max_pending = (size_t)x;
    }
    v = getenv("ARAYON_FULL_POLICY");
    if (v && *v) {
        if (!strcmp(v, "block"))
            *policy = ARAYON_FULL_BLOCK;
        else if (!strcmp(v, "reject"))
            *policy = ARAYON_FULL_REJECT;
        else if (!strcmp(v, "inline") || !strcmp(v, "run_inline"))
            *policy = ARAYON_FULL_RUN_INLINE;
        else
            fprintf(stderr, "arayon: ignoring ARAYON_FULL_POLICY=%s (block, reject or inline)\n", v);
    }
}

/* ARAYON_DISPLAY_ENV=1|true|verbose: print the topology and placement at pool creation. */
bool ary_env_display(void)
{
    const char *v = getenv("ARAYON_DISPLAY_ENV");
    return v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "verbose"));
}

/* hwloc's own variables, which hwloc reads itself: topo.c looks at them only to notice that
 * hwloc ignored a value it could not use (and fell back to this machine). */
void ary_env_hwloc(const char **synthetic, const char **xmlfile, bool *thissystem)
{
    *synthetic = getenv("HWLOC_SYNTHETIC");
    *xmlfile = getenv("HWLOC_XMLFILE");
    const char *t = getenv("HWLOC_THISSYSTEM");
    *thissystem = t && !strcmp(t, "1");
}

/* Typed readers for the layers built on the runtime (compat/env.c parses the OpenMP
 * variables with them, so that this file stays the only one that calls getenv). */

/* The raw value, or NULL when unset or empty. */
const char *ary_env_str(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* 1: set and valid (*out written); 0: unset; -1: malformed or out of range (one warning on
 * stderr naming the variable and the default that stays in force). */
int ary_env_long(const char *name, long lo, long hi, long dflt, long *out)
{
    const char *v = ary_env_str(name);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "arayon: ignoring %s=%s (expected an integer in %ld..%ld); using %ld\n",
                name, v, lo, hi, dflt);
        return -1;
    }
    *out = x;
    return 1;
}

/* true/false, 1/0, yes/no, on/off (any case). Same return convention as ary_env_long. */
int ary_env_bool(const char *name, bool dflt, bool *out)
{
    const char *v = ary_env_str(name);
    if (!v)
        return 0;
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) {
        *out = true;
        return 1;
    }
    if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) {
        *out = false;
        return 1;
    }
    fprintf(stderr, "arayon: ignoring %s=%s (expected true or false); using %s\n", name, v,
            dflt ? "true" : "false");
    return -1;
}

/* ARAYON_TRACE=path: every pool created while it is set records a trace from its creation
 * and writes it to path when it is destroyed or the process exits (trace.c). Returns the
 * path, or NULL when unset. ARAYON_TRACE_EVENTS (events per buffer) and
 * ARAYON_TRACE_OVERFLOW (drop, stop) refine it; malformed values are ignored with a warning
 * and leave *buffer_events / *overflow as they were. */
const char *ary_env_trace(size_t *buffer_events, arayon_trace_overflow_t *overflow)
{
    const char *path = ary_env_str("ARAYON_TRACE");
    if (!path)
        return NULL;
    long n;
    if (ary_env_long("ARAYON_TRACE_EVENTS", 16, (long)ARAYON_TRACE_MAX_EVENTS, 262144, &n) == 1)
        *buffer_events = (size_t)n;
    const char *v = ary_env_str("ARAYON_TRACE_OVERFLOW");
    if (v) {
        if (!strcasecmp(v, "drop") || !strcasecmp(v, "drop_oldest"))
            *overflow = ARAYON_TRACE_DROP_OLDEST;
        else if (!strcasecmp(v, "stop"))
            *overflow = ARAYON_TRACE_STOP;
        else
            fprintf(stderr, "arayon: ignoring ARAYON_TRACE_OVERFLOW=%s (drop or stop); using drop\n",
                    v);
    }
    return path;
}

/* ARAYON_METRICS=1|true|text|json|prom|prometheus: a metrics report of every pool on stderr
 * when it is destroyed or the process exits. Returns the arayon_metrics_format_t, or -1 when
 * unset, off (0/false/off/no) or malformed (one warning). */
int ary_env_metrics(void)
{
    const char *v = ary_env_str("ARAYON_METRICS");
    if (!v || !strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
        !strcasecmp(v, "no"))
        return -1;
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
        !strcasecmp(v, "yes") || !strcasecmp(v, "text"))
        return ARAYON_METRICS_TEXT;
    if (!strcasecmp(v, "json"))
        return ARAYON_METRICS_JSON;
    if (!strcasecmp(v, "prom") || !strcasecmp(v, "prometheus"))
        return ARAYON_METRICS_PROMETHEUS;
    fprintf(stderr, "arayon: ignoring ARAYON_METRICS=%s (expected 1, text, json or prom); no "
                    "report\n", v);
    return -1;
}

/* ARAYON_LATENCY=1: every pool records task latencies from its creation (metrics.c). */
bool ary_env_latency(void)
{
    bool on = false;
    return ary_env_bool("ARAYON_LATENCY", false, &on) == 1 && on;
}

/* A size: digits, optional blanks, an optional unit B, K, M or G (any case; powers of 1024),
 * `unit` bytes when there is none. 1 and *out set; 0 when unset; -1 when malformed, zero or
 * above 1 TiB (the caller warns: it knows the range and the default). */
int ary_env_size(const char *name, unsigned long long unit, size_t *out)
{
    const char *v = ary_env_str(name);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10), mul = unit;
    while (*end == ' ' || *end == '\t')
        end++;
    switch (*end) {
    case 0: break;
    case 'b': case 'B': mul = 1; end++; break;
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    default: return -1;
    }
    if (errno || end == v + strspn(v, " \t") || *end || v[strspn(v, " \t")] == '-' || x == 0 ||
        x > (1ull << 40) / mul)
        return -1;
    *out = (size_t)(x * mul);
    return 1;
}

/* ARAYON_FIBER_STACK=<bytes>[K|M|G]: the stack of suspendable tasks when the pool's config
 * does not set one (16K .. 256M). Returns 0 (the default) when unset or bad (one warning). */
size_t ary_env_fiber_stack(void)
{
    size_t n = 0;
    int rc = ary_env_size("ARAYON_FIBER_STACK", 1, &n);
    if (rc == 1 && n >= (16u << 10) && n <= (256u << 20))
        return n;
    if (rc != 0)
        fprintf(stderr, "arayon: ignoring ARAYON_FIBER_STACK=%s (expected a size from 16K to "
                        "256M, e.g. 128K); using 64K\n", ary_env_str("ARAYON_FIBER_STACK"));
    return 0;
}
