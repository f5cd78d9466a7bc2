/*
 * gomp_target.c - gcc's device constructs on a machine without devices: `target` regions run
 * on the host (the host fallback every OpenMP runtime has), data mapping is the identity,
 * and `teams` inside a target region runs its teams one after another.
 *
 * A target region runs synchronously on the encountering thread, as the initial thread of a
 * device of its own (outside any team: omp_get_level() is 0 inside, and a `parallel` in it
 * gets a team of its own). `nowait` is allowed to run it at once; `depend` waits for the
 * region's dependences first. firstprivate items (map kind GOMP_MAP_FIRSTPRIVATE) get a
 * copy, so that the region's changes stay inside it; the thread_limit argument caps the
 * region's teams.
 */
#include "gomp.h"
#include "kmp_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

KMPX_API void GOMP_taskwait_depend(void **depend);

enum {
    GOMPX_MAP_FIRSTPRIVATE = 12,      /* map kind (low 8 bits; log2 alignment above) */
    GOMPX_TARGET_ARG_SUBSEQUENT = 1 << 7,
    GOMPX_TARGET_ARG_ID_MASK = 0xff << 8,
    GOMPX_TARGET_ARG_THREAD_LIMIT = 2 << 8,
    GOMPX_TARGET_ARG_VALUE_SHIFT = 16,
};

typedef struct target_call {
    void (*fn)(void *);
    void **hostaddrs;
    int thread_limit;
} target_call;

static void target_body(void *arg)
{
    target_call *c = arg;
    kmpx_thread *th = kmpx_tls_self;
    int saved = th->teams_limit;
    if (c->thread_limit > 0)
        th->teams_limit = c->thread_limit;
    c->fn(c->hostaddrs);
    th->teams_limit = saved;
}

static void run_target(void (*fn)(void *), size_t mapnum, void **hostaddrs, size_t *sizes,
                       unsigned short *kinds, void **args)
{
    kmpx_thread *th = kmpx_self();
    /* firstprivate copies, each aligned as its kind says */
    size_t total = 0;
    for (size_t i = 0; kinds && i < mapnum; i++)
        if ((kinds[i] & 0xff) == GOMPX_MAP_FIRSTPRIVATE)
            total += sizes[i] + ((size_t)1 << (kinds[i] >> 8));
    char *buf = NULL, *at = NULL;
    if (total) {
        if (!(buf = malloc(total))) {
            fputs("arayon: out of memory for a target region's firstprivate copies\n", stderr);
            abort();
        }
        at = buf;
        for (size_t i = 0; i < mapnum; i++) {
            if ((kinds[i] & 0xff) != GOMPX_MAP_FIRSTPRIVATE)
                continue;
            uintptr_t align = (uintptr_t)1 << (kinds[i] >> 8);
            at = (char *)(((uintptr_t)at + align - 1) & ~(align - 1));
            memcpy(at, hostaddrs[i], sizes[i]);
            hostaddrs[i] = at;
            at += sizes[i];
        }
    }
    target_call c = {fn, hostaddrs, 0};
    for (; args && *args; args++) {
        intptr_t id = (intptr_t)*args, val;
        if (id & GOMPX_TARGET_ARG_SUBSEQUENT)
            val = (intptr_t)*++args;
        else
            val = id >> GOMPX_TARGET_ARG_VALUE_SHIFT;
        if ((id & GOMPX_TARGET_ARG_ID_MASK) == GOMPX_TARGET_ARG_THREAD_LIMIT && val > 0)
            c.thread_limit = val > INT32_MAX ? INT32_MAX : (int)val;
    }
    kmpx_run_as_initial(th, target_body, &c);
    free(buf);
}

KMPX_API void GOMP_target_ext(int device, void (*fn)(void *), size_t mapnum, void **hostaddrs,
                              size_t *sizes, unsigned short *kinds, unsigned int flags,
                              void **depend, void **args);
void GOMP_target_ext(int device, void (*fn)(void *), size_t mapnum, void **hostaddrs,
                     size_t *sizes, unsigned short *kinds, unsigned int flags, void **depend,
                     void **args)
{
    (void)device, (void)flags; /* nowait: running it now is one of the allowed schedules */
    if (depend)
        GOMP_taskwait_depend(depend);
    run_target(fn, mapnum, hostaddrs, sizes, kinds, args);
}

/* gcc 4.9 - 5: no firstprivate kinds, no arguments. */
KMPX_API void GOMP_target(int device, void (*fn)(void *), const void *unused, size_t mapnum,
                          void **hostaddrs, size_t *sizes, unsigned char *kinds);
void GOMP_target(int device, void (*fn)(void *), const void *unused, size_t mapnum,
                 void **hostaddrs, size_t *sizes, unsigned char *kinds)
{
    (void)device, (void)unused, (void)sizes, (void)kinds;
    run_target(fn, mapnum, hostaddrs, NULL, NULL, NULL);
}

/* Data mapping on the host is the identity: nothing to do, except waiting for dependences. */
KMPX_API void GOMP_target_data(int device, const void *unused, size_t mapnum, void **hostaddrs,
                               size_t *sizes, unsigned char *kinds);
void GOMP_target_data(int device, const void *unused, size_t mapnum, void **hostaddrs,
                      size_t *sizes, unsigned char *kinds)
{
    (void)device, (void)unused, (void)mapnum, (void)hostaddrs, (void)sizes, (void)kinds;
    kmpx_self();
}

KMPX_API void GOMP_target_data_ext(int device, size_t mapnum, void **hostaddrs, size_t *sizes,
                                   unsigned short *kinds);
void GOMP_target_data_ext(int device, size_t mapnum, void **hostaddrs, size_t *sizes,
                          unsigned short *kinds)
{
    (void)device, (void)mapnum, (void)hostaddrs, (void)sizes, (void)kinds;
    kmpx_self();
}

KMPX_API void GOMP_target_end_data(void);
void GOMP_target_end_data(void) {}

KMPX_API void GOMP_target_update(int device, const void *unused, size_t mapnum,
                                 void **hostaddrs, size_t *sizes, unsigned char *kinds);
void GOMP_target_update(int device, const void *unused, size_t mapnum, void **hostaddrs,
                        size_t *sizes, unsigned char *kinds)
{
    (void)device, (void)unused, (void)mapnum, (void)hostaddrs, (void)sizes, (void)kinds;
}

KMPX_API void GOMP_target_update_ext(int device, size_t mapnum, void **hostaddrs,
                                     size_t *sizes, unsigned short *kinds, unsigned int flags,
                                     void **depend);
void GOMP_target_update_ext(int device, size_t mapnum, void **hostaddrs, size_t *sizes,
                            unsigned short *kinds, unsigned int flags, void **depend)
{
    (void)device, (void)mapnum, (void)hostaddrs, (void)sizes, (void)kinds, (void)flags;
    if (depend)
        GOMP_taskwait_depend(depend);
}

KMPX_API void GOMP_target_enter_exit_data(int device, size_t mapnum, void **hostaddrs,
                                          size_t *sizes, unsigned short *kinds,
                                          unsigned int flags, void **depend);
void GOMP_target_enter_exit_data(int device, size_t mapnum, void **hostaddrs, size_t *sizes,
                                 unsigned short *kinds, unsigned int flags, void **depend)
{
    (void)device, (void)mapnum, (void)hostaddrs, (void)sizes, (void)kinds, (void)flags;
    if (depend)
        GOMP_taskwait_depend(depend);
}

/* `teams` inside a target region (gcc 4.9 - 11): only the thread limit matters on the host. */
KMPX_API void GOMP_teams(unsigned int num_teams, unsigned int thread_limit);
void GOMP_teams(unsigned int num_teams, unsigned int thread_limit)
{
    (void)num_teams;
    kmpx_thread *th = kmpx_self();
    if (thread_limit > 0)
        th->teams_limit = thread_limit > INT32_MAX ? INT32_MAX : (int)thread_limit;
}

/* gcc 12: `while (GOMP_teams4(lo, hi, limit, first)) body;` runs the body once per team,
 * one team after another (first is true on the first call). */
KMPX_API bool GOMP_teams4(unsigned int num_teams_low, unsigned int num_teams_high,
                          unsigned int thread_limit, bool first);
bool GOMP_teams4(unsigned int num_teams_low, unsigned int num_teams_high,
                 unsigned int thread_limit, bool first)
{
    (void)num_teams_high;
    kmpx_thread *th = kmpx_self();
    if (first) {
        th->num_teams = num_teams_low > 0 ? (num_teams_low > INT32_MAX ? INT32_MAX
                                                                        : (int)num_teams_low)
                                          : 1;
        th->team_num = 0;
        if (thread_limit > 0) {
            th->teams_limit = thread_limit > INT32_MAX ? INT32_MAX : (int)thread_limit;
            if (th->nthreads_var > th->teams_limit)
                th->nthreads_var = th->teams_limit;
        }
        return true;
    }
    if (th->team_num + 1 < th->num_teams) {
        th->team_num++;
        return true;
    }
    th->num_teams = th->team_num = 0; /* (the target region restores the rest) */
    return false;
}

/* Offload images (a program built with an offload compiler registers its device code at
 * start): there is no device to load them on; the host versions of the regions run. */
KMPX_API void GOMP_offload_register_ver(unsigned version, const void *host_table,
                                        int target_type, const void *target_data);
void GOMP_offload_register_ver(unsigned version, const void *host_table, int target_type,
                               const void *target_data)
{
    (void)version, (void)host_table, (void)target_type, (void)target_data;
}

KMPX_API void GOMP_offload_unregister_ver(unsigned version, const void *host_table,
                                          int target_type, const void *target_data);
void GOMP_offload_unregister_ver(unsigned version, const void *host_table, int target_type,
                                 const void *target_data)
{
    (void)version, (void)host_table, (void)target_type, (void)target_data;
}

KMPX_API void GOMP_offload_register(const void *host_table, int target_type,
                                    const void *target_data);
void GOMP_offload_register(const void *host_table, int target_type, const void *target_data)
{
    (void)host_table, (void)target_type, (void)target_data;
}

KMPX_API void GOMP_offload_unregister(const void *host_table, int target_type,
                                      const void *target_data);
void GOMP_offload_unregister(const void *host_table, int target_type, const void *target_data)
{
    (void)host_table, (void)target_type, (void)target_data;
}

#define KMPX_SYMVER_GOMP_TARGET
#include "gomp_symver.h"
