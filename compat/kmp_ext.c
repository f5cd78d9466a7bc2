/*
 * kmp_ext.c - libomp's extension API (kmp_* and kmpc_* in libomp's omp.h, their Fortran
 * forms kmp_*_, and the ompc_* aliases of the OpenMP API), translated onto the layer:
 *
 *   stack size     kmp_set_stacksize[_s] before the layer starts sets the workers' stack
 *                  (OMP_STACKSIZE, if set, wins, as in libomp); later (clang-built code
 *                  starts the layer at main's entry), the threads not started yet get it:
 *                  the pool starts each thread the first time a team needs it, so a call
 *                  before the first parallel region applies to all; after, the call says
 *                  once on stderr that started threads keep their stacks.
 *   block time     kmp_set_blocktime: how long a waiting thread of a team spins and yields
 *                  before it sleeps (KMP_BLOCKTIME), for the whole pool (libomp keeps one per
 *                  thread); applied at once.
 *   library mode   serial: the calling thread's next regions have one thread;
 *                  turnaround: waits never sleep; throughput (the default): the configured
 *                  block time.
 *   defaults       kmp_set_defaults("NAME=VALUE|NAME=VALUE|"): before the layer starts,
 *                  defaults that the environment overrides; later, the variables an API
 *                  call can apply (OMP_NUM_THREADS, OMP_DYNAMIC, OMP_MAX_ACTIVE_LEVELS,
 *                  OMP_NESTED, KMP_BLOCKTIME, KMP_LIBRARY) are applied and any other is
 *                  reported as read at start-up only.
 *   memory         kmp_malloc and friends are the C library's (kmp_free takes any of them).
 *   affinity       masks are CPU sets (cpu_set_t of the machine's CPU count); set/get act on
 *                  the calling thread, as in libomp.
 *   interop        there are no devices: every omp_interop_t is omp_interop_none, which has
 *                  no properties (omp_irc_empty); names and descriptions are answered.
 */
#include "kmp.h"
#include "team.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The C API used below (omp_api.c, kmp_cancel.c). */
KMPX_API void omp_set_num_threads(int);
KMPX_API void omp_set_dynamic(int);
KMPX_API void omp_set_nested(int);
KMPX_API void omp_set_max_active_levels(int);
KMPX_API void omp_set_schedule(int, int);
KMPX_API int omp_get_ancestor_thread_num(int);
KMPX_API int omp_get_team_size(int);
KMPX_API void omp_set_affinity_format(const char *);
KMPX_API size_t omp_get_affinity_format(char *, size_t);
KMPX_API void omp_display_affinity(const char *);
KMPX_API size_t omp_capture_affinity(char *, size_t, const char *);
KMPX_API kmp_int32 __kmpc_cancellationpoint(ident_t *loc, kmp_int32 gtid, kmp_int32 kind);

enum { LIB_SERIAL = 1, LIB_TURNAROUND = 2, LIB_THROUGHPUT = 3 };

static _Atomic int warnings_on = 1;
static _Atomic int library_mode = LIB_THROUGHPUT;
/* Requests made before the layer started, applied by kmpx_ext_apply (layer start). */
static size_t early_stacksize;
static int early_blocktime = -1; /* ms, INT_MAX = infinite; -1: none */
static _Atomic int layer_started;

static void warn_once(_Atomic int *said, const char *msg)
{
    if (atomic_load_explicit(&warnings_on, memory_order_relaxed) &&
        !atomic_exchange_explicit(said, 1, memory_order_relaxed))
        fprintf(stderr, "arayon: %s\n", msg);
}

static uint64_t blocktime_ns(int ms)
{
    return ms == INT_MAX ? UINT64_MAX : (uint64_t)(ms < 0 ? 0 : ms) * 1000000u;
}

/* Called by the layer's start (kmp_runtime.c) with the settings read from the environment. */
void kmpx_ext_apply(kmpx_settings *s, arayon_config_t *cfg)
{
    if (early_stacksize && !s->stacksize) { /* OMP_STACKSIZE / KMP_STACKSIZE win */
        s->stacksize = early_stacksize;
        cfg->stack_size = early_stacksize;
    }
    if (early_blocktime >= 0 && !s->tw_from) {
        s->tw_spin_ns = s->tw_block_ns = blocktime_ns(early_blocktime);
        s->tw_from = "kmp_set_blocktime";
    }
    atomic_store_explicit(&layer_started, 1, memory_order_release);
}

static bool started(void) { return atomic_load_explicit(&layer_started, memory_order_acquire); }

/* ---- stack size ---- */

static _Atomic size_t stack_now; /* the size set last, once the layer runs */

KMPX_API void kmp_set_stacksize_s(size_t size);
void kmp_set_stacksize_s(size_t size)
{
    static _Atomic int said;
    if (size == 0)
        return;
    if (size < (64u << 10))
        size = 64u << 10; /* the runtime's minimum */
    if (!started()) {
        early_stacksize = size;
        return;
    }
    if (!kmpx_pool)
        return;
    atomic_store_explicit(&stack_now, size, memory_order_relaxed);
    if (ary_pool_set_thread_stack(kmpx_pool, size) > 0) /* threads start on demand */
        warn_once(&said, "kmp_set_stacksize called after OpenMP threads started: only threads "
                         "started from now on get the new size (set OMP_STACKSIZE, or call it "
                         "before the first parallel region)");
}

KMPX_API size_t kmp_get_stacksize_s(void);
size_t kmp_get_stacksize_s(void)
{
    size_t now = atomic_load_explicit(&stack_now, memory_order_relaxed);
    if (now)
        return now;
    if (!started())
        return early_stacksize ? early_stacksize : (size_t)8 << 20;
    return kmpx_set.stacksize ? kmpx_set.stacksize : (size_t)8 << 20;
}

KMPX_API void kmp_set_stacksize(int size);
void kmp_set_stacksize(int size)
{
    if (size > 0)
        kmp_set_stacksize_s((size_t)size);
}

KMPX_API int kmp_get_stacksize(void);
int kmp_get_stacksize(void)
{
    size_t s = kmp_get_stacksize_s();
    return s > INT_MAX ? INT_MAX : (int)s;
}

/* ---- block time and library mode ---- */

KMPX_API void kmp_set_blocktime(int msec);
void kmp_set_blocktime(int msec)
{
    if (msec < 0)
        msec = 0;
    if (!started()) {
        early_blocktime = msec;
        return;
    }
    if (kmpx_pool)
        ary_team_wait_set(kmpx_pool, blocktime_ns(msec), blocktime_ns(msec));
}

KMPX_API int kmp_get_blocktime(void);
int kmp_get_blocktime(void)
{
    uint64_t spin, block;
    if (!started() || !kmpx_pool)
        return early_blocktime >= 0 ? early_blocktime : (int)(ARY_TW_BLOCK_NS / 1000000u);
    ary_team_wait_get(kmpx_pool, &spin, &block);
    if (block == UINT64_MAX)
        return INT_MAX;
    return block / 1000000u > INT_MAX ? INT_MAX : (int)(block / 1000000u);
}

KMPX_API void kmp_set_library(int mode);
void kmp_set_library(int mode)
{
    static _Atomic int said;
    if (mode < LIB_SERIAL || mode > LIB_THROUGHPUT) {
        warn_once(&said, "kmp_set_library: unknown mode (1 serial, 2 turnaround, 3 throughput); "
                         "ignored");
        return;
    }
    kmpx_thread *th = kmpx_self();
    int old = atomic_exchange_explicit(&library_mode, mode, memory_order_relaxed);
    th->nthreads_var = mode == LIB_SERIAL ? 1 : kmpx_set.nthreads;
    if (!kmpx_pool)
        return;
    if (mode == LIB_TURNAROUND) {
        ary_team_wait_set(kmpx_pool, UINT64_MAX, UINT64_MAX); /* waits never sleep */
    } else if (old == LIB_TURNAROUND) { /* back to the configured policy */
        uint64_t spin = kmpx_set.tw_from ? kmpx_set.tw_spin_ns : ARY_TW_SPIN_NS;
        uint64_t block = kmpx_set.tw_from ? kmpx_set.tw_block_ns : ARY_TW_BLOCK_NS;
        ary_team_wait_set(kmpx_pool, spin, block);
    }
}

KMPX_API int kmp_get_library(void);
int kmp_get_library(void) { return atomic_load_explicit(&library_mode, memory_order_relaxed); }

KMPX_API void kmp_set_library_serial(void);
void kmp_set_library_serial(void) { kmp_set_library(LIB_SERIAL); }
KMPX_API void kmp_set_library_turnaround(void);
void kmp_set_library_turnaround(void) { kmp_set_library(LIB_TURNAROUND); }
KMPX_API void kmp_set_library_throughput(void);
void kmp_set_library_throughput(void) { kmp_set_library(LIB_THROUGHPUT); }

/* Dispatch buffers (KMP_DISP_NUM_BUFFERS): a tuning knob of libomp's loops; arayon's loop
 * ring has a fixed size (KMPX_WS_RING), so there is nothing to set. */
KMPX_API void kmp_set_disp_num_buffers(int n);
void kmp_set_disp_num_buffers(int n) { (void)n; }

KMPX_API void kmp_set_warnings_on(void);
void kmp_set_warnings_on(void) { atomic_store_explicit(&warnings_on, 1, memory_order_relaxed); }
KMPX_API void kmp_set_warnings_off(void);
void kmp_set_warnings_off(void) { atomic_store_explicit(&warnings_on, 0, memory_order_relaxed); }

/* ---- kmp_set_defaults ---- */

static bool apply_now(const char *name, const char *value)
{
    char *end;
    long v = strtol(value, &end, 10);
    bool num = end != value && *end == '\0';
    bool yes = !strcasecmp(value, "true") || !strcmp(value, "1");
    if (!strcmp(name, "OMP_NUM_THREADS") && num && v > 0 && v <= INT_MAX)
        omp_set_num_threads((int)v);
    else if (!strcmp(name, "OMP_DYNAMIC"))
        omp_set_dynamic(yes);
    else if (!strcmp(name, "OMP_NESTED"))
        omp_set_nested(yes);
    else if (!strcmp(name, "OMP_MAX_ACTIVE_LEVELS") && num && v >= 0 && v <= INT_MAX)
        omp_set_max_active_levels((int)v);
    else if (!strcmp(name, "KMP_BLOCKTIME") && num && v >= 0 && v <= INT_MAX)
        kmp_set_blocktime((int)v);
    else if (!strcmp(name, "KMP_BLOCKTIME") && !strcasecmp(value, "infinite"))
        kmp_set_blocktime(INT_MAX);
    else if (!strcmp(name, "KMP_LIBRARY"))
        kmp_set_library(!strcmp(value, "serial")       ? LIB_SERIAL
                        : !strcmp(value, "turnaround") ? LIB_TURNAROUND
                        : !strcmp(value, "throughput") ? LIB_THROUGHPUT
                                                       : 0);
    else
        return false;
    return true;
}

KMPX_API void kmp_set_defaults(char const *str);
void kmp_set_defaults(char const *str)
{
    if (!str)
        return;
    char *copy = strdup(str);
    if (!copy)
        return;
    bool early = !started();
    char *save = NULL;
    for (char *item = strtok_r(copy, "|", &save); item; item = strtok_r(NULL, "|", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || eq == item)
            continue; /* empty entries are allowed (libomp's format) */
        *eq = '\0';
        const char *name = item, *value = eq + 1;
        if (early)
            setenv(name, value, 0); /* a default: the environment, if set, wins */
        else if (!apply_now(name, value) && atomic_load_explicit(&warnings_on,
                                                                 memory_order_relaxed))
            fprintf(stderr, "arayon: kmp_set_defaults: %s is read when the OpenMP layer "
                            "starts, which it has; ignored\n", name);
    }
    free(copy);
}

/* ---- memory ---- */

KMPX_API void *kmp_malloc(size_t size);
void *kmp_malloc(size_t size) { return malloc(size); }
KMPX_API void *kmp_calloc(size_t nelem, size_t elsize);
void *kmp_calloc(size_t nelem, size_t elsize) { return calloc(nelem, elsize); }
KMPX_API void *kmp_realloc(void *ptr, size_t size);
void *kmp_realloc(void *ptr, size_t size) { return realloc(ptr, size); }
KMPX_API void kmp_free(void *ptr);
void kmp_free(void *ptr) { free(ptr); }
KMPX_API void *kmp_aligned_malloc(size_t size, size_t alignment);
void *kmp_aligned_malloc(size_t size, size_t alignment)
{
    if (alignment < sizeof(void *))
        alignment = sizeof(void *);
    if (alignment & (alignment - 1))
        return NULL; /* not a power of two */
    void *p = NULL;
    return posix_memalign(&p, alignment, size ? size : 1) == 0 ? p : NULL;
}

/* ---- affinity masks ---- */

static int max_proc(void)
{
    long n = sysconf(_SC_NPROCESSORS_CONF);
    return n < 1 ? 1 : n > CPU_SETSIZE * 64 ? CPU_SETSIZE * 64 : (int)n;
}

static size_t mask_bytes(void) { return CPU_ALLOC_SIZE(max_proc()); }

/* The process's CPUs when the library was loaded: kmp_set_thread_affinity_mask_initial. */
static cpu_set_t *initial_mask;
__attribute__((constructor)) static void capture_initial_mask(void)
{
    cpu_set_t *m = CPU_ALLOC(max_proc());
    if (m && sched_getaffinity(0, mask_bytes(), m) == 0)
        initial_mask = m;
    else
        CPU_FREE(m);
}

KMPX_API int kmp_get_affinity_max_proc(void);
int kmp_get_affinity_max_proc(void) { return max_proc(); }

KMPX_API void kmp_create_affinity_mask(void **mask);
void kmp_create_affinity_mask(void **mask)
{
    if (!mask)
        return;
    cpu_set_t *m = CPU_ALLOC(max_proc());
    if (m)
        CPU_ZERO_S(mask_bytes(), m);
    *mask = m;
}

KMPX_API void kmp_destroy_affinity_mask(void **mask);
void kmp_destroy_affinity_mask(void **mask)
{
    if (!mask || !*mask)
        return;
    CPU_FREE((cpu_set_t *)*mask);
    *mask = NULL;
}

/* -1: no mask or a CPU number out of range (as libomp). */
static cpu_set_t *mask_for(int proc, void **mask)
{
    if (!mask || !*mask || proc < 0 || proc >= max_proc())
        return NULL;
    return *mask;
}

KMPX_API int kmp_set_affinity_mask_proc(int proc, void **mask);
int kmp_set_affinity_mask_proc(int proc, void **mask)
{
    cpu_set_t *m = mask_for(proc, mask);
    if (!m)
        return -1;
    CPU_SET_S((size_t)proc, mask_bytes(), m);
    return 0;
}

KMPX_API int kmp_unset_affinity_mask_proc(int proc, void **mask);
int kmp_unset_affinity_mask_proc(int proc, void **mask)
{
    cpu_set_t *m = mask_for(proc, mask);
    if (!m)
        return -1;
    CPU_CLR_S((size_t)proc, mask_bytes(), m);
    return 0;
}

KMPX_API int kmp_get_affinity_mask_proc(int proc, void **mask);
int kmp_get_affinity_mask_proc(int proc, void **mask)
{
    cpu_set_t *m = mask_for(proc, mask);
    if (!m)
        return -1;
    return CPU_ISSET_S((size_t)proc, mask_bytes(), m) ? 1 : 0;
}

/* Binds the calling thread: 0, or the error number (EINVAL for an empty mask). */
KMPX_API int kmp_set_affinity(void **mask);
int kmp_set_affinity(void **mask)
{
    if (!mask || !*mask)
        return -1;
    return sched_setaffinity(0, mask_bytes(), *mask) == 0 ? 0 : errno;
}

KMPX_API int kmp_get_affinity(void **mask);
int kmp_get_affinity(void **mask)
{
    if (!mask || !*mask)
        return -1;
    return sched_getaffinity(0, mask_bytes(), *mask) == 0 ? 0 : errno;
}

KMPX_API int kmp_set_thread_affinity_mask_initial(void);
int kmp_set_thread_affinity_mask_initial(void)
{
    if (!initial_mask)
        return -1;
    return sched_setaffinity(0, mask_bytes(), initial_mask) == 0 ? 0 : -1;
}

/* ---- threads and cancellation ---- */

KMPX_API int kmp_get_num_known_threads(void);
int kmp_get_num_known_threads(void)
{
    (void)kmpx_self();
    return kmpx_pool ? (int)arayon_pool_num_threads(kmpx_pool) + 1 : 1;
}

/* kind: 1 parallel, 2 loop, 3 sections, 4 taskgroup; 1 when that construct is cancelled. */
KMPX_API int kmp_get_cancellation_status(int kind);
int kmp_get_cancellation_status(int kind)
{
    if (kind < 1 || kind > 4)
        return 0;
    return __kmpc_cancellationpoint(NULL, 0, kind) != 0;
}

/* libomp's largest predefined allocator handle, exported as a constant. */
KMPX_API const uintptr_t kmp_max_mem_alloc;
const uintptr_t kmp_max_mem_alloc = 0x400;

/* ---- kmpc_* (what libomp's omp.h maps some kmp_* calls to) ---- */
KMPX_API void *kmpc_malloc(size_t size);
void *kmpc_malloc(size_t size) { return kmp_malloc(size); }
KMPX_API void *kmpc_aligned_malloc(size_t size, size_t alignment);
void *kmpc_aligned_malloc(size_t size, size_t alignment) { return kmp_aligned_malloc(size, alignment); }
KMPX_API void *kmpc_calloc(size_t nelem, size_t elsize);
void *kmpc_calloc(size_t nelem, size_t elsize) { return kmp_calloc(nelem, elsize); }
KMPX_API void *kmpc_realloc(void *ptr, size_t size);
void *kmpc_realloc(void *ptr, size_t size) { return kmp_realloc(ptr, size); }
KMPX_API void kmpc_free(void *ptr);
void kmpc_free(void *ptr) { kmp_free(ptr); }
KMPX_API void kmpc_set_blocktime(int msec);
void kmpc_set_blocktime(int msec) { kmp_set_blocktime(msec); }
KMPX_API void kmpc_set_stacksize(int size);
void kmpc_set_stacksize(int size) { kmp_set_stacksize(size); }
KMPX_API void kmpc_set_stacksize_s(size_t size);
void kmpc_set_stacksize_s(size_t size) { kmp_set_stacksize_s(size); }
KMPX_API void kmpc_set_library(int mode);
void kmpc_set_library(int mode) { kmp_set_library(mode); }
KMPX_API void kmpc_set_defaults(char const *str);
void kmpc_set_defaults(char const *str) { kmp_set_defaults(str); }
KMPX_API void kmpc_set_disp_num_buffers(int n);
void kmpc_set_disp_num_buffers(int n) { kmp_set_disp_num_buffers(n); }
KMPX_API int kmpc_set_affinity_mask_proc(int proc, void **mask);
int kmpc_set_affinity_mask_proc(int proc, void **mask) { return kmp_set_affinity_mask_proc(proc, mask); }
KMPX_API int kmpc_unset_affinity_mask_proc(int proc, void **mask);
int kmpc_unset_affinity_mask_proc(int proc, void **mask) { return kmp_unset_affinity_mask_proc(proc, mask); }
KMPX_API int kmpc_get_affinity_mask_proc(int proc, void **mask);
int kmpc_get_affinity_mask_proc(int proc, void **mask) { return kmp_get_affinity_mask_proc(proc, mask); }

/* ---- ompc_* (libomp's names for some omp_* entries) ---- */
KMPX_API void ompc_set_num_threads(int n);
void ompc_set_num_threads(int n) { omp_set_num_threads(n); }
KMPX_API void ompc_set_dynamic(int flag);
void ompc_set_dynamic(int flag) { omp_set_dynamic(flag); }
KMPX_API void ompc_set_nested(int flag);
void ompc_set_nested(int flag) { omp_set_nested(flag); }
KMPX_API void ompc_set_max_active_levels(int n);
void ompc_set_max_active_levels(int n) { omp_set_max_active_levels(n); }
KMPX_API void ompc_set_schedule(int kind, int chunk);
void ompc_set_schedule(int kind, int chunk) { omp_set_schedule(kind, chunk); }
KMPX_API int ompc_get_ancestor_thread_num(int level);
int ompc_get_ancestor_thread_num(int level) { return omp_get_ancestor_thread_num(level); }
KMPX_API int ompc_get_team_size(int level);
int ompc_get_team_size(int level) { return omp_get_team_size(level); }
/* (ompc_*_affinity_format, ompc_display_affinity, ompc_capture_affinity: omp_api.c) */

/* ---- interop (OpenMP 5.1) without devices: only omp_interop_none exists ---- */
enum { IRC_EMPTY = -1, IRC_OUT_OF_RANGE = -2 };
static const char *const ipr_names[] = {"fr_id",  "fr_name",  "vendor",         "vendor_name",
                                        "device_num", "platform", "device", "device_context",
                                        "targetsync"};
static const char *const ipr_types[] = {"omp_interop_fr_t", "const char *", "int",
                                        "const char *",     "int",          "intptr_t",
                                        "void *",           "void *",       "void *"};

static int ipr_index(int property) { return property >= -9 && property <= -1 ? -property - 1 : -1; }

static void set_rc(int *rc, int property)
{
    if (rc)
        *rc = ipr_index(property) < 0 ? IRC_OUT_OF_RANGE : IRC_EMPTY;
}

KMPX_API int omp_get_num_interop_properties(const void *interop);
int omp_get_num_interop_properties(const void *interop)
{
    (void)interop;
    return 0; /* no implementation-defined properties */
}

KMPX_API intptr_t omp_get_interop_int(const void *interop, int property, int *rc);
intptr_t omp_get_interop_int(const void *interop, int property, int *rc)
{
    (void)interop;
    set_rc(rc, property);
    return 0;
}

KMPX_API void *omp_get_interop_ptr(const void *interop, int property, int *rc);
void *omp_get_interop_ptr(const void *interop, int property, int *rc)
{
    (void)interop;
    set_rc(rc, property);
    return NULL;
}

KMPX_API const char *omp_get_interop_str(const void *interop, int property, int *rc);
const char *omp_get_interop_str(const void *interop, int property, int *rc)
{
    (void)interop;
    set_rc(rc, property);
    return NULL;
}

KMPX_API const char *omp_get_interop_name(const void *interop, int property);
const char *omp_get_interop_name(const void *interop, int property)
{
    (void)interop;
    int i = ipr_index(property);
    return i < 0 ? NULL : ipr_names[i];
}

KMPX_API const char *omp_get_interop_type_desc(const void *interop, int property);
const char *omp_get_interop_type_desc(const void *interop, int property)
{
    (void)interop;
    int i = ipr_index(property);
    return i < 0 ? NULL : ipr_types[i];
}

KMPX_API const char *omp_get_interop_rc_desc(const void *interop, int rc);
const char *omp_get_interop_rc_desc(const void *interop, int rc)
{
    (void)interop;
    switch (rc) {
    case 1: return "no value";
    case 0: return "success";
    case -1: return "the interop object is empty (there are no devices)";
    case -2: return "property out of range";
    case -3: return "the property is an int";
    case -4: return "the property is a pointer";
    case -5: return "the property is a string";
    default: return "other error";
    }
}

/* ---- Fortran forms (libomp's module: arguments by reference) ---- */
KMPX_API void kmp_set_stacksize_(const int32_t *size);
void kmp_set_stacksize_(const int32_t *size) { kmp_set_stacksize(*size); }
KMPX_API void kmp_set_stacksize_s_(const size_t *size);
void kmp_set_stacksize_s_(const size_t *size) { kmp_set_stacksize_s(*size); }
KMPX_API int32_t kmp_get_stacksize_(void);
int32_t kmp_get_stacksize_(void) { return kmp_get_stacksize(); }
KMPX_API size_t kmp_get_stacksize_s_(void);
size_t kmp_get_stacksize_s_(void) { return kmp_get_stacksize_s(); }
KMPX_API void kmp_set_blocktime_(const int32_t *msec);
void kmp_set_blocktime_(const int32_t *msec) { kmp_set_blocktime(*msec); }
KMPX_API int32_t kmp_get_blocktime_(void);
int32_t kmp_get_blocktime_(void) { return kmp_get_blocktime(); }
KMPX_API void kmp_set_library_(const int32_t *mode);
void kmp_set_library_(const int32_t *mode) { kmp_set_library(*mode); }
KMPX_API int32_t kmp_get_library_(void);
int32_t kmp_get_library_(void) { return kmp_get_library(); }
KMPX_API void kmp_set_library_serial_(void);
void kmp_set_library_serial_(void) { kmp_set_library_serial(); }
KMPX_API void kmp_set_library_turnaround_(void);
void kmp_set_library_turnaround_(void) { kmp_set_library_turnaround(); }
KMPX_API void kmp_set_library_throughput_(void);
void kmp_set_library_throughput_(void) { kmp_set_library_throughput(); }
KMPX_API void kmp_set_disp_num_buffers_(const int32_t *n);
void kmp_set_disp_num_buffers_(const int32_t *n) { kmp_set_disp_num_buffers(*n); }
KMPX_API void kmp_set_warnings_on_(void);
void kmp_set_warnings_on_(void) { kmp_set_warnings_on(); }
KMPX_API void kmp_set_warnings_off_(void);
void kmp_set_warnings_off_(void) { kmp_set_warnings_off(); }
KMPX_API void kmp_set_defaults_(const char *str, size_t len);
void kmp_set_defaults_(const char *str, size_t len)
{
    char *c = malloc(len + 1);
    if (!c)
        return;
    memcpy(c, str, len);
    while (len && c[len - 1] == ' ') /* Fortran's blank padding */
        len--;
    c[len] = '\0';
    kmp_set_defaults(c);
    free(c);
}
KMPX_API void *kmp_malloc_(const size_t *size);
void *kmp_malloc_(const size_t *size) { return kmp_malloc(*size); }
KMPX_API void *kmp_aligned_malloc_(const size_t *size, const size_t *alignment);
void *kmp_aligned_malloc_(const size_t *size, const size_t *alignment)
{
    return kmp_aligned_malloc(*size, *alignment);
}
KMPX_API void *kmp_calloc_(const size_t *nelem, const size_t *elsize);
void *kmp_calloc_(const size_t *nelem, const size_t *elsize) { return kmp_calloc(*nelem, *elsize); }
KMPX_API void *kmp_realloc_(void **ptr, const size_t *size);
void *kmp_realloc_(void **ptr, const size_t *size) { return kmp_realloc(*ptr, *size); }
KMPX_API void kmp_free_(void **ptr);
void kmp_free_(void **ptr) { kmp_free(*ptr); }
KMPX_API int32_t kmp_get_affinity_max_proc_(void);
int32_t kmp_get_affinity_max_proc_(void) { return kmp_get_affinity_max_proc(); }
KMPX_API void kmp_create_affinity_mask_(void **mask);
void kmp_create_affinity_mask_(void **mask) { kmp_create_affinity_mask(mask); }
KMPX_API void kmp_destroy_affinity_mask_(void **mask);
void kmp_destroy_affinity_mask_(void **mask) { kmp_destroy_affinity_mask(mask); }
KMPX_API int32_t kmp_set_affinity_mask_proc_(const int32_t *proc, void **mask);
int32_t kmp_set_affinity_mask_proc_(const int32_t *proc, void **mask)
{
    return kmp_set_affinity_mask_proc(*proc, mask);
}
KMPX_API int32_t kmp_unset_affinity_mask_proc_(const int32_t *proc, void **mask);
int32_t kmp_unset_affinity_mask_proc_(const int32_t *proc, void **mask)
{
    return kmp_unset_affinity_mask_proc(*proc, mask);
}
KMPX_API int32_t kmp_get_affinity_mask_proc_(const int32_t *proc, void **mask);
int32_t kmp_get_affinity_mask_proc_(const int32_t *proc, void **mask)
{
    return kmp_get_affinity_mask_proc(*proc, mask);
}
KMPX_API int32_t kmp_set_affinity_(void **mask);
int32_t kmp_set_affinity_(void **mask) { return kmp_set_affinity(mask); }
KMPX_API int32_t kmp_get_affinity_(void **mask);
int32_t kmp_get_affinity_(void **mask) { return kmp_get_affinity(mask); }
KMPX_API int32_t kmp_get_num_known_threads_(void);
int32_t kmp_get_num_known_threads_(void) { return kmp_get_num_known_threads(); }
KMPX_API int32_t kmp_get_cancellation_status_(const int32_t *kind);
int32_t kmp_get_cancellation_status_(const int32_t *kind) { return kmp_get_cancellation_status(*kind); }
/* libomp exports the interop routines under Fortran names too, with the C signatures
 * (arguments by value): the same functions. */
#define KMPX_F_ALIAS(ret, name, args)                                                        \
    KMPX_API ret name##_ args __attribute__((alias(#name)))
KMPX_F_ALIAS(int, omp_get_num_interop_properties, (const void *));
KMPX_F_ALIAS(intptr_t, omp_get_interop_int, (const void *, int, int *));
KMPX_F_ALIAS(void *, omp_get_interop_ptr, (const void *, int, int *));
KMPX_F_ALIAS(const char *, omp_get_interop_str, (const void *, int, int *));
KMPX_F_ALIAS(const char *, omp_get_interop_name, (const void *, int));
KMPX_F_ALIAS(const char *, omp_get_interop_type_desc, (const void *, int));
KMPX_F_ALIAS(const char *, omp_get_interop_rc_desc, (const void *, int));
