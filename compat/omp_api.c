/*
 * omp_api.c - the omp_* query and ICV API, host only, plus the clang-emitted __kmpc query
 * entries. Thread and team values come from kmpx_self(); global ICVs live in kmpx_set
 * (mutable ones are read and written with relaxed atomics).
 */
#include "kmp.h"
#include "kmp_abi.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KMPX_SUPPORTED_ACTIVE_LEVELS INT_MAX

/* The settings are read when the layer starts: settings() starts it first. */
static inline kmpx_settings *settings(void)
{
    (void)kmpx_self();
    return &kmpx_set;
}
#define ICV_GET(field) __atomic_load_n(&settings()->field, __ATOMIC_RELAXED)
#define ICV_SET(field, v) __atomic_store_n(&settings()->field, (v), __ATOMIC_RELAXED)

/* ---- threads and teams ---- */

int omp_get_thread_num(void) { return kmpx_self()->tid; }

int omp_get_num_threads(void) { return kmpx_self()->team->nthreads; }

int omp_get_max_threads(void)
{
    kmpx_thread *th = kmpx_self();
    int n = th->nthreads_var > 0 ? th->nthreads_var : settings()->nthreads;
    return n > 0 ? n : 1;
}

void omp_set_num_threads(int n) { kmpx_self()->nthreads_var = n > 0 ? n : 1; }

int omp_in_parallel(void) { return kmpx_self()->team->active_level > 0; }

int omp_get_level(void) { return kmpx_self()->team->level; }

int omp_get_active_level(void) { return kmpx_self()->team->active_level; }

/* The team at nesting level `level` among the thread's ancestors, and the tid there of the
 * thread (or its ancestor); NULL if out of range. Level 0 is the initial thread's team. */
static kmpx_team *team_at_level(int level, int *tid)
{
    kmpx_thread *th = kmpx_self();
    kmpx_team *t = th->team;
    int id = th->tid;
    if (level < 0 || level > t->level)
        return NULL;
    while (t && t->level > level) {
        id = t->parent_tid;
        t = t->parent;
    }
    if (!t || t->level != level)
        return NULL;
    *tid = id;
    return t;
}

int omp_get_ancestor_thread_num(int level)
{
    int tid;
    return team_at_level(level, &tid) ? tid : -1;
}

int omp_get_team_size(int level)
{
    int tid;
    kmpx_team *t = team_at_level(level, &tid);
    return t ? t->nthreads : -1;
}

int omp_in_final(void) { return kmpx_task_in_final(kmpx_self()) != 0; }

int omp_get_num_procs(void) { return (int)ary_topo_num_pus(); }

double omp_get_wtime(void) { return (double)aryd_now_ns() * 1e-9; }

double omp_get_wtick(void) { return 1e-9; }

kmp_int32 __kmpc_bound_thread_num(ident_t *loc)
{
    (void)loc;
    return kmpx_self()->tid;
}

kmp_int32 __kmpc_bound_num_threads(ident_t *loc)
{
    (void)loc;
    return kmpx_self()->team->nthreads;
}

kmp_int32 __kmpc_in_parallel(ident_t *loc)
{
    (void)loc;
    return kmpx_self()->team->active_level > 0;
}

/* ---- ICVs ---- */

void omp_set_dynamic(int flag) { ICV_SET(dynamic, flag != 0); }

int omp_get_dynamic(void) { return ICV_GET(dynamic); }

void omp_set_nested(int flag)
{
    ICV_SET(max_active_levels, flag ? KMPX_SUPPORTED_ACTIVE_LEVELS : 1);
}

int omp_get_nested(void) { return ICV_GET(max_active_levels) > 1; }

void omp_set_max_active_levels(int n)
{
    if (n < 0)
        return;
    ICV_SET(max_active_levels, n < KMPX_SUPPORTED_ACTIVE_LEVELS ? n : KMPX_SUPPORTED_ACTIVE_LEVELS);
}

int omp_get_max_active_levels(void) { return ICV_GET(max_active_levels); }

int omp_get_supported_active_levels(void) { return KMPX_SUPPORTED_ACTIVE_LEVELS; }

/* kind: omp_sched_t, possibly with omp_sched_monotonic (bit 31), which is kept for
 * omp_get_schedule and ignored by the loops. */
void omp_set_schedule(int kind, int chunk)
{
    int base = kind & INT_MAX;
    if (base < KMPX_SCHED_STATIC || base > KMPX_SCHED_AUTO)
        return;
    kmpx_thread *th = kmpx_self();
    th->run_sched_kind = kind;
    th->run_sched_chunk = chunk > 0 ? chunk : 0;
}

void omp_get_schedule(int *kind, int *chunk)
{
    kmpx_thread *th = kmpx_self();
    int k = th->run_sched_kind, c = th->run_sched_chunk;
    if (k == 0) {
        k = settings()->run_sched_kind;
        c = settings()->run_sched_chunk;
    }
    if ((k & INT_MAX) == 0)
        k = KMPX_SCHED_STATIC;
    if (c <= 0 && (k & INT_MAX) != KMPX_SCHED_STATIC)
        c = 1;
    *kind = k;
    *chunk = c > 0 ? c : 0;
}

int omp_get_thread_limit(void)
{
    int n = settings()->thread_limit, t = kmpx_self()->teams_limit;
    if (n <= 0)
        n = INT_MAX;
    return t > 0 && t < n ? t : n;
}

int omp_get_cancellation(void) { return settings()->cancellation; }

int omp_get_proc_bind(void) { return settings()->proc_bind; }

int omp_get_max_task_priority(void) { return settings()->max_task_priority; }

/* ---- places: none are defined ---- */

int omp_get_num_places(void) { return 0; }

int omp_get_place_num_procs(int place)
{
    (void)place;
    return 0;
}

void omp_get_place_proc_ids(int place, int *ids)
{
    (void)place;
    (void)ids;
}

int omp_get_place_num(void) { return -1; }

int omp_get_partition_num_places(void) { return 0; }

void omp_get_partition_place_nums(int *places) { (void)places; }

/* ---- devices and teams: the host only ---- */

int omp_get_num_devices(void) { return 0; }

void omp_set_default_device(int device) { (void)device; }

int omp_get_default_device(void) { return 0; }

int omp_get_initial_device(void) { return 0; }

int omp_is_initial_device(void) { return 1; }

int omp_get_device_num(void) { return omp_get_initial_device(); }

int omp_get_num_teams(void)
{
    int n = kmpx_self()->num_teams;
    return n > 0 ? n : 1;
}

int omp_get_team_num(void) { return kmpx_self()->team_num; }

/* nteams-var and teams-thread-limit-var (OpenMP 5.1; OMP_NUM_TEAMS, OMP_TEAMS_THREAD_LIMIT):
 * the defaults of a host teams construct without num_teams / thread_limit. 0 = unset. */
void omp_set_num_teams(int n)
{
    kmpx_self();
    if (n > 0)
        kmpx_set.num_teams = n;
}

int omp_get_max_teams(void)
{
    kmpx_self();
    return kmpx_set.num_teams > 0 ? kmpx_set.num_teams : 1;
}

void omp_set_teams_thread_limit(int n)
{
    kmpx_self();
    if (n > 0)
        kmpx_set.teams_thread_limit = n;
}

int omp_get_teams_thread_limit(void)
{
    kmpx_self();
    return kmpx_set.teams_thread_limit;
}

void omp_display_env(int verbose)
{
    (void)verbose;
    kmpx_self();
    kmpx_display_env(&kmpx_set, kmpx_set.nthreads);
}

/* Device memory routines: the host is the only device (device number 0 = the initial
 * device), so host memory is device memory and copies are memcpy. */
static bool host_device(int dev) { return dev == omp_get_initial_device(); }

void *omp_target_alloc(size_t size, int device)
{
    return host_device(device) && size ? malloc(size) : NULL;
}

void omp_target_free(void *ptr, int device)
{
    if (host_device(device))
        free(ptr);
}

int omp_target_is_present(const void *ptr, int device)
{
    (void)ptr;
    return host_device(device);
}

int omp_target_memcpy(void *dst, const void *src, size_t length, size_t dst_offset,
                      size_t src_offset, int dst_device, int src_device)
{
    if (!dst || !src || !host_device(dst_device) || !host_device(src_device))
        return EINVAL;
    memcpy((char *)dst + dst_offset, (const char *)src + src_offset, length);
    return 0;
}

static void copy_rect(char *dst, const char *src, size_t esize, int ndims, const size_t *volume,
                      const size_t *doff, const size_t *soff, const size_t *ddim,
                      const size_t *sdim)
{
    /* bytes per step of the outermost dimension in each array */
    size_t dstride = esize, sstride = esize;
    for (int i = 1; i < ndims; i++) {
        dstride *= ddim[i];
        sstride *= sdim[i];
    }
    if (ndims == 1) {
        memcpy(dst + doff[0] * esize, src + soff[0] * esize, volume[0] * esize);
        return;
    }
    for (size_t k = 0; k < volume[0]; k++)
        copy_rect(dst + (doff[0] + k) * dstride, src + (soff[0] + k) * sstride, esize,
                  ndims - 1, volume + 1, doff + 1, soff + 1, ddim + 1, sdim + 1);
}

int omp_target_memcpy_rect(void *dst, const void *src, size_t element_size, int num_dims,
                           const size_t *volume, const size_t *dst_offsets,
                           const size_t *src_offsets, const size_t *dst_dimensions,
                           const size_t *src_dimensions, int dst_device, int src_device)
{
    if (!dst && !src)
        return INT_MAX; /* the number of dimensions supported */
    if (!dst || !src || num_dims < 1 || !volume || !dst_offsets || !src_offsets ||
        !dst_dimensions || !src_dimensions || !host_device(dst_device) ||
        !host_device(src_device))
        return EINVAL;
    copy_rect(dst, src, element_size, num_dims, volume, dst_offsets, src_offsets,
              dst_dimensions, src_dimensions);
    return 0;
}

/* Association needs a device other than the host. */
int omp_target_associate_ptr(const void *host_ptr, const void *device_ptr, size_t size,
                             size_t device_offset, int device)
{
    (void)host_ptr, (void)device_ptr, (void)size, (void)device_offset, (void)device;
    return EINVAL;
}

int omp_target_disassociate_ptr(const void *ptr, int device)
{
    (void)ptr, (void)device;
    return EINVAL;
}

int omp_pause_resource(int kind, int device)
{
    (void)kind;
    (void)device;
    return -1;
}

int omp_pause_resource_all(int kind)
{
    (void)kind;
    return -1;
}

int omp_control_tool(int command, int modifier, void *arg)
{
    (void)command;
    (void)modifier;
    (void)arg;
    return -2; /* omp_control_tool_notool */
}

/* ---- affinity format (OpenMP 5.0 "%[0][.][width]field", short or {long} names) ---- */

#define AFFINITY_MAX_WIDTH 4096 /* a field width beyond this is taken as this */

#define KMPX_AFFINITY_DEFAULT "OMP: pid %P tid %i thread %n bound to OS proc set {%A}"

static _Atomic uint32_t affinity_lock;
static char *affinity_fmt; /* NULL: OMP_AFFINITY_FORMAT or the default */

typedef struct strbuf_s {
    char *p;
    size_t len, cap;
} strbuf_s;

static void sb_put(strbuf_s *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(strbuf_s *b, const char *s) { sb_put(b, s, strlen(s)); }

/* The copy of the current format, to free. */
static char *affinity_format_dup(void)
{
    kmpx_lock_acquire(&affinity_lock);
    const char *f = affinity_fmt;
    if (!f) {
        f = settings()->affinity_format; /* OMP_AFFINITY_FORMAT (omp_env.c) */
        if (!f)
            f = KMPX_AFFINITY_DEFAULT;
    }
    char *copy = strdup(f);
    kmpx_lock_release(&affinity_lock);
    return copy;
}

static void cpu_list(strbuf_s *b)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        sb_str(b, "undefined");
        return;
    }
    bool first = true;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        int e = c;
        while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, &set))
            e++;
        char tmp[32];
        int n = e > c ? snprintf(tmp, sizeof tmp, "%s%d-%d", first ? "" : ",", c, e)
                      : snprintf(tmp, sizeof tmp, "%s%d", first ? "" : ",", c);
        sb_put(b, tmp, (size_t)n);
        first = false;
        c = e;
    }
}

static const struct {
    char c;
    const char *name;
} affinity_fields[] = {
    {'t', "team_num"},      {'T', "num_teams"},        {'L', "nesting_level"},
    {'n', "thread_num"},    {'N', "num_threads"},      {'a', "ancestor_tnum"},
    {'H', "host"},          {'P', "process_id"},       {'i', "native_thread_id"},
    {'A', "thread_affinity"},
};

/* Expands one field into v (unpadded). */
static void affinity_field(strbuf_s *v, char c)
{
    kmpx_thread *th = kmpx_self();
    char tmp[256];
    switch (c) {
    case 't':
        sb_str(v, "0");
        return;
    case 'T':
        sb_str(v, "1");
        return;
    case 'L':
        snprintf(tmp, sizeof tmp, "%d", th->team->level);
        break;
    case 'n':
        snprintf(tmp, sizeof tmp, "%d", th->tid);
        break;
    case 'N':
        snprintf(tmp, sizeof tmp, "%d", th->team->nthreads);
        break;
    case 'a':
        snprintf(tmp, sizeof tmp, "%d", omp_get_ancestor_thread_num(th->team->level - 1));
        break;
    case 'H':
        if (gethostname(tmp, sizeof tmp) != 0)
            strcpy(tmp, "undefined");
        tmp[sizeof tmp - 1] = '\0';
        break;
    case 'P':
        snprintf(tmp, sizeof tmp, "%ld", (long)getpid());
        break;
    case 'i':
        snprintf(tmp, sizeof tmp, "%ld", (long)syscall(SYS_gettid));
        break;
    case 'A':
        cpu_list(v);
        return;
    default:
        strcpy(tmp, "undefined");
        break;
    }
    sb_str(v, tmp);
}

static void affinity_expand(strbuf_s *out, const char *f)
{
    sb_put(out, "", 0);
    while (*f) {
        if (*f != '%') {
            const char *s = f;
            while (*f && *f != '%')
                f++;
            sb_put(out, s, (size_t)(f - s));
            continue;
        }
        const char *start = f++;
        if (*f == '%') {
            sb_put(out, "%", 1);
            f++;
            continue;
        }
        bool zero = false, right = false;
        if (*f == '0') {
            zero = true;
            f++;
        }
        if (*f == '.') {
            right = true;
            f++;
        }
        size_t width = 0; /* capped: a field is never padded past AFFINITY_MAX_WIDTH */
        while (*f >= '0' && *f <= '9') {
            width = width * 10 + (size_t)(*f++ - '0');
            if (width > AFFINITY_MAX_WIDTH)
                width = AFFINITY_MAX_WIDTH;
        }
        char c = 0;
        if (*f == '{') {
            const char *name = ++f;
            while (*f && *f != '}')
                f++;
            size_t n = (size_t)(f - name);
            if (*f == '}')
                f++;
            for (size_t i = 0; i < sizeof affinity_fields / sizeof affinity_fields[0]; i++)
                if (strlen(affinity_fields[i].name) == n &&
                    memcmp(affinity_fields[i].name, name, n) == 0)
                    c = affinity_fields[i].c;
        } else if (*f) {
            c = *f++;
        }
        if (c == 0) {
            sb_put(out, start, (size_t)(f - start));
            continue;
        }
        strbuf_s v = {0};
        affinity_field(&v, c);
        size_t len = v.p ? v.len : 0, pad = width > len ? width - len : 0;
        if (!right)
            sb_put(out, v.p ? v.p : "", len);
        static const char zeros[64] = "0000000000000000000000000000000000000000000000000000000000000000";
        static const char blanks[64] = "                                                                ";
        for (size_t i = 0; i < pad; i += 64) /* in pieces of up to 64 */
            sb_put(out, right && zero ? zeros : blanks, pad - i < 64 ? pad - i : 64);
        if (right)
            sb_put(out, v.p ? v.p : "", len);
        free(v.p);
    }
}

void omp_set_affinity_format(const char *format)
{
    char *copy = format ? strdup(format) : NULL;
    kmpx_lock_acquire(&affinity_lock);
    char *old = affinity_fmt;
    affinity_fmt = copy;
    kmpx_lock_release(&affinity_lock);
    free(old);
}

size_t omp_get_affinity_format(char *buffer, size_t size)
{
    char *f = affinity_format_dup();
    size_t len = f ? strlen(f) : 0;
    if (buffer && size) {
        size_t n = len < size ? len : size - 1;
        if (f)
            memcpy(buffer, f, n);
        buffer[n] = '\0';
    }
    free(f);
    return len;
}

size_t omp_capture_affinity(char *buffer, size_t size, const char *format)
{
    char *own = NULL;
    if (!format || !*format)
        format = own = affinity_format_dup();
    strbuf_s out = {0};
    if (format)
        affinity_expand(&out, format);
    size_t len = out.p ? out.len : 0;
    if (buffer && size) {
        size_t n = len < size ? len : size - 1;
        if (out.p)
            memcpy(buffer, out.p, n);
        buffer[n] = '\0';
    }
    free(out.p);
    free(own);
    return len;
}

void omp_display_affinity(const char *format)
{
    char *own = NULL;
    if (!format || !*format)
        format = own = affinity_format_dup();
    strbuf_s out = {0};
    if (format)
        affinity_expand(&out, format);
    fprintf(stdout, "%s\n", out.p ? out.p : "");
    free(out.p);
    free(own);
}

void ompc_set_affinity_format(const char *format) { omp_set_affinity_format(format); }

size_t ompc_get_affinity_format(char *buffer, size_t size)
{
    return omp_get_affinity_format(buffer, size);
}

void ompc_display_affinity(const char *format) { omp_display_affinity(format); }

size_t ompc_capture_affinity(char *buffer, size_t size, const char *format)
{
    return omp_capture_affinity(buffer, size, format);
}

#define KMPX_SYMVER_OMP_API
#include "gomp_symver.h"
