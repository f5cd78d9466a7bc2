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
