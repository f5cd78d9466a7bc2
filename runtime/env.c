/*
 * env.c - the only file that reads the environment. Each variable is parsed here, once per
 * call, into a plain value; the rest of the runtime reads configuration structs, never
 * getenv. docs/ENVIRONMENT.md documents every variable.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
