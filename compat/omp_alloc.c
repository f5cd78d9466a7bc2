/*
 * omp_alloc.c - OpenMP memory management (OpenMP 5.1/5.2 "Memory Management Routines"):
 * allocators, memory spaces and their traits; omp_init_allocator and omp_alloc and friends;
 * the def-allocator-var ICV (OMP_ALLOCATOR, parsed by omp_env.c); the __kmpc_* entries that
 * clang emits for the allocate clause/directive and uses_allocators. gcc's GOMP_alloc /
 * GOMP_free (gomp_parallel.c) call omp_aligned_alloc / omp_free, so both ABIs share this
 * machinery. NUMA placement (the partition trait, high-bandwidth memory) goes through the
 * topology layer (runtime/topo.h: ary_topo_mem_plan / ary_topo_mem_apply): hwloc stays in
 * runtime/topo.c.
 *
 * Handles
 *   0 is omp_null_allocator; 1..8 the predefined allocators of omp.h (both compilers pass
 *   them as these small integers), 100..102 LLVM's target allocators (host memory here: the
 *   host is the only device). A handle of 1024 or more (libomp's kmp_max_mem_alloc) is the
 *   address of an allocator record made by omp_init_allocator. Records live in chunks that
 *   are never freed, so that a handle can be checked (is it a record address, and is the
 *   record live?) without reading memory that is not ours.
 *
 * Blocks
 *   Every block starts with a 48-byte header (kmpx_blk) just before the pointer the user
 *   gets: the memory to give back, the size asked for, the allocator that made the block and
 *   a check word (a constant xor the header's address). omp_free and omp_realloc find the
 *   allocator there, whatever allocator argument they get (omp_null_allocator included); a
 *   pointer whose check word is wrong (not a block of ours, or freed already) is reported
 *   and the process aborts, instead of corrupting the heap.
 *   Two kinds of memory back a block:
 *     heap   malloc/calloc of header + alignment slack + size (the common case);
 *     pages  an anonymous mapping of whole pages, when the pages matter: pinned allocators
 *            (mlock), a partition trait other than environment (NUMA binding through
 *            ary_topo_mem_apply), high-bandwidth memory (ary_topo_mem_bind_hbw). A mapping
 *            is never shared by two blocks, so binding or unlocking one never touches
 *            another's pages.
 *
 * Pool accounting (pool_size)
 *   `used` counts the bytes asked for (not headers or padding) of the allocator's live
 *   blocks; an allocation that would take it past pool_size fails (a CAS loop, so two
 *   threads never both squeeze in) and the fallback trait decides: default_mem_fb (as if
 *   omp_default_mem_alloc had been asked; that allocator's own fallback is null_fb),
 *   null_fb (NULL), abort_fb (a message on stderr, then abort()), allocator_fb (the
 *   allocator in fb_data, and its fallbacks in turn, up to KMPX_FB_DEPTH allocators).
 *   libomp and libgomp count their headers too, so an allocation of exactly pool_size bytes
 *   succeeds here and fails there.
 *
 * Thread safety
 *   Allocation and freeing take no lock: pool accounting and reference counts are atomics.
 *   A custom allocator's record holds one reference for its handle (dropped by
 *   omp_destroy_allocator) and one per live block (dropped by omp_free), so blocks that
 *   outlive their allocator's handle can still be freed; the record is reused only after
 *   both are gone. Making and destroying allocators takes reg_lock (the free list and the
 *   chunk table, which readers scan without a lock: chunks are published with release
 *   stores and never move).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getcpu */
#endif
#include "kmp.h"
#include "kmp_abi.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- omp.h values (clang 14's and gcc 12's headers agree) ---- */
enum {
    ATK_SYNC_HINT = 1, ATK_ALIGNMENT = 2, ATK_ACCESS = 3, ATK_POOL_SIZE = 4,
    ATK_FALLBACK = 5, ATK_FB_DATA = 6, ATK_PINNED = 7, ATK_PARTITION = 8
};
enum {
    ATV_FALSE = 0, ATV_TRUE = 1, ATV_CONTENDED = 3, ATV_UNCONTENDED = 4, ATV_SERIALIZED = 5,
    ATV_PRIVATE = 6, ATV_ALL = 7, ATV_THREAD = 8, ATV_PTEAM = 9, ATV_CGROUP = 10,
    ATV_DEFAULT_MEM_FB = 11, ATV_NULL_FB = 12, ATV_ABORT_FB = 13, ATV_ALLOCATOR_FB = 14,
    ATV_ENVIRONMENT = 15, ATV_NEAREST = 16, ATV_BLOCKED = 17, ATV_INTERLEAVED = 18
};
#define ATV_DEFAULT ((uintptr_t)-1) /* omp_atv_default: the trait's default value */
enum { MS_DEFAULT = 0, MS_LARGE_CAP = 1, MS_CONST = 2, MS_HIGH_BW = 3, MS_LOW_LAT = 4 };
/* LLVM's target memory spaces and allocators (clang's omp.h): host, shared, device. */
#define LLVM_TARGET_FIRST 100
#define LLVM_TARGET_LAST 102
#define NPREDEF 9          /* handles 0..8 */
#define PREDEF_LIMIT 1024  /* handles below are never record addresses (kmp_max_mem_alloc) */
#define KMPX_FB_DEPTH 16   /* allocator_fb chains longer than this (or cycles) give NULL */

/* ---- the data objects libomp exports (nm -D libomp.so.5: 8-byte objects in .rodata) ---- */
KMPX_API extern const uintptr_t omp_null_allocator, omp_default_mem_alloc,
    omp_large_cap_mem_alloc, omp_const_mem_alloc, omp_high_bw_mem_alloc, omp_low_lat_mem_alloc,
    omp_cgroup_mem_alloc, omp_pteam_mem_alloc, omp_thread_mem_alloc;
KMPX_API extern const uintptr_t omp_default_mem_space, omp_large_cap_mem_space,
    omp_const_mem_space, omp_high_bw_mem_space, omp_low_lat_mem_space;
const uintptr_t omp_null_allocator = 0;
const uintptr_t omp_default_mem_alloc = 1;
const uintptr_t omp_large_cap_mem_alloc = 2;
const uintptr_t omp_const_mem_alloc = 3;
const uintptr_t omp_high_bw_mem_alloc = 4;
const uintptr_t omp_low_lat_mem_alloc = 5;
const uintptr_t omp_cgroup_mem_alloc = 6;
const uintptr_t omp_pteam_mem_alloc = 7;
const uintptr_t omp_thread_mem_alloc = 8;
const uintptr_t omp_default_mem_space = MS_DEFAULT;
const uintptr_t omp_large_cap_mem_space = MS_LARGE_CAP;
const uintptr_t omp_const_mem_space = MS_CONST;
const uintptr_t omp_high_bw_mem_space = MS_HIGH_BW;
const uintptr_t omp_low_lat_mem_space = MS_LOW_LAT;

/* ---- allocators ---- */
typedef struct kmpx_alloc {
    /* Custom allocators: 1 for the handle while it is live, plus 1 per live block; the
     * record is back on the free list when it drops to 0. Unused for predefined ones. */
    _Alignas(64) _Atomic uint64_t refs;
    _Atomic uint32_t live;       /* 1 between omp_init_allocator and omp_destroy_allocator */
    _Atomic size_t used;         /* bytes of live blocks counted against pool_size */
    uintptr_t handle;            /* the value omp_init_allocator returned (or 1..8) */
    uintptr_t memspace;
    size_t alignment;            /* a power of two, >= 1 */
    size_t pool_size;            /* SIZE_MAX: no limit */
    uintptr_t fb_data;           /* allocator_fb: the handle to fall back to */
    int sync_hint, access, fallback, partition;
    bool pinned;
    bool custom;
    const ary_topo *topo;        /* for partition != environment and high-bandwidth memory */
    struct kmpx_alloc *next_free; /* under reg_lock */
} kmpx_alloc;

#define PREDEF(h, ms, acc, fb)                                                              \
    {.handle = (h), .memspace = (ms), .alignment = 1, .pool_size = SIZE_MAX,             \
     .sync_hint = ATV_CONTENDED, .access = (acc), .fallback = (fb),                       \
     .partition = ATV_ENVIRONMENT}
/* The predefined allocators (OpenMP 5.1 table 2.10): their memory spaces, and access for the
 * cgroup/pteam/thread ones; every trait else at its default, the fallback default_mem_fb,
 * except for omp_default_mem_alloc itself, whose fallback is null_fb. Index 0 is unused. */
static kmpx_alloc predef[NPREDEF] = {
    PREDEF(0, MS_DEFAULT, ATV_ALL, ATV_NULL_FB),
    PREDEF(1, MS_DEFAULT, ATV_ALL, ATV_NULL_FB),
    PREDEF(2, MS_LARGE_CAP, ATV_ALL, ATV_DEFAULT_MEM_FB),
    PREDEF(3, MS_CONST, ATV_ALL, ATV_DEFAULT_MEM_FB),
    PREDEF(4, MS_HIGH_BW, ATV_ALL, ATV_DEFAULT_MEM_FB),
    PREDEF(5, MS_LOW_LAT, ATV_ALL, ATV_DEFAULT_MEM_FB),
    PREDEF(6, MS_DEFAULT, ATV_CGROUP, ATV_DEFAULT_MEM_FB),
    PREDEF(7, MS_DEFAULT, ATV_PTEAM, ATV_DEFAULT_MEM_FB),
    PREDEF(8, MS_DEFAULT, ATV_THREAD, ATV_DEFAULT_MEM_FB),
};
#define DEFAULT_ALLOC (&predef[1])

/* Records of custom allocators: chunks of REC_PER_CHUNK, never freed (see the top). */
#define REC_PER_CHUNK 64
#define MAX_CHUNKS 1024
static kmpx_alloc *_Atomic rec_chunks[MAX_CHUNKS];
static _Atomic unsigned rec_nchunks;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static kmpx_alloc *rec_free; /* under reg_lock */

/* The record at address h, live or not; NULL when h is not a record address. */
static kmpx_alloc *record_at(uintptr_t h)
{
    unsigned n = atomic_load_explicit(&rec_nchunks, memory_order_acquire);
    for (unsigned i = 0; i < n; i++) {
        kmpx_alloc *c = atomic_load_explicit(&rec_chunks[i], memory_order_acquire);
        uintptr_t lo = (uintptr_t)c, hi = (uintptr_t)(c + REC_PER_CHUNK);
        if (h >= lo && h < hi && (h - lo) % sizeof *c == 0)
            return (kmpx_alloc *)h;
    }
    return NULL;
}

/* The allocator a non-null handle names, or NULL when it names none (never a predefined
 * handle out of range, never a destroyed allocator). */
static kmpx_alloc *resolve(uintptr_t h)
{
    if (h > 0 && h < NPREDEF)
        return &predef[h];
    if (h >= LLVM_TARGET_FIRST && h <= LLVM_TARGET_LAST)
        return DEFAULT_ALLOC; /* host memory: the only device is the host */
    if (h < PREDEF_LIMIT)
        return NULL;
    kmpx_alloc *a = record_at(h);
    return a && atomic_load_explicit(&a->live, memory_order_acquire) ? a : NULL;
}

/* A zeroed chunk of records. On x86-64 it comes from the low 2 GiB (MAP_32BIT) when it can:
 * clang 14 passes the allocator of an allocate clause through a 32-bit int (it truncates
 * the handle and sign-extends it back: `trunc i64 to i32; sext`), which ruins any handle
 * above 2^31 - libomp's handles are heap addresses, and such a program crashes on libomp.
 * Handles below 2^31 survive the round trip. */
static kmpx_alloc *chunk_new(void)
{
    size_t len = REC_PER_CHUNK * sizeof(kmpx_alloc);
#if defined(__x86_64__) && defined(MAP_32BIT)
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                   -1, 0);
    if (p != MAP_FAILED)
        return p; /* zero-filled, page-aligned */
#endif
    kmpx_alloc *c = aligned_alloc(64, len);
    if (c)
        memset(c, 0, len);
    return c;
}

static kmpx_alloc *record_new(void)
{
    pthread_mutex_lock(&reg_lock);
    kmpx_alloc *a = rec_free;
    if (a) {
        rec_free = a->next_free;
    } else {
        unsigned n = atomic_load_explicit(&rec_nchunks, memory_order_relaxed);
        kmpx_alloc *c = n < MAX_CHUNKS ? chunk_new() : NULL;
        if (c) {
            for (unsigned i = REC_PER_CHUNK; i-- > 1;) {
                c[i].next_free = rec_free;
                rec_free = &c[i];
            }
            a = &c[0];
            atomic_store_explicit(&rec_chunks[n], c, memory_order_release);
            atomic_store_explicit(&rec_nchunks, n + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&reg_lock);
    return a;
}

static void record_unref(kmpx_alloc *a)
{
    if (atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_lock(&reg_lock);
    a->next_free = rec_free;
    rec_free = a;
    pthread_mutex_unlock(&reg_lock);
}

/* ---- topology (memory placement) ---- */
/* The topology the layer's pool placed its workers on (starting the layer if need be), or,
 * without a pool, the process's default topology. */
static const ary_topo *alloc_topo(void)
{
    (void)kmpx_self();
    if (kmpx_pool)
        return kmpx_pool->topo;
    ary_topo *t = NULL;
    return ary_topo_open(NULL, &t) == ARAYON_OK ? t : NULL;
}

static _Atomic int hbw_state; /* 0 unknown, 1 none, 2 present */

static bool have_hbw(void)
{
    int s = atomic_load_explicit(&hbw_state, memory_order_acquire);
    if (!s) {
        const ary_topo *t = alloc_topo();
        s = t && ary_topo_hbw_nodes(t) > 0 ? 2 : 1;
        atomic_store_explicit(&hbw_state, s, memory_order_release);
    }
    return s == 2;
}

/* The allocator's access group as topology nodes (ascending, deduplicated), for blocked and
 * interleaved placement: access=thread: the calling thread's node; pteam: the nodes of the
 * PUs the current team's workers are placed on, and the caller's; all and cgroup: every
 * node (returns 0: no list). */
static unsigned access_nodes(const kmpx_alloc *a, int cpu, unsigned *nodes, unsigned cap)
{
    const ary_topo *t = a->topo;
    unsigned all = ary_topo_nnodes(t);
    if (all <= 1 || (a->access != ATV_THREAD && a->access != ATV_PTEAM))
        return 0;
    bool seen[256] = {false};
    if (all > 256 || cap < all)
        return 0;
    int here = ary_topo_cpu_node(t, cpu);
    if (here >= 0)
        seen[here] = true;
    if (a->access == ATV_PTEAM && kmpx_pool) {
        kmpx_thread *th = kmpx_self();
        kmpx_team *team = th->team;
        const ary_placement *pl = &kmpx_pool->pl;
        for (int i = 0; team && team->members && i < team->nthreads; i++) {
            ary_worker *w = team->members[i];
            if (w && w->index < pl->nworkers && pl->worker_pu[w->index] >= 0) {
                int n = ary_topo_cpu_node(t, pl->worker_pu[w->index]);
                if (n >= 0)
                    seen[n] = true;
            }
        }
    }
    unsigned k = 0;
    for (unsigned i = 0; i < all; i++)
        if (seen[i])
            nodes[k++] = i;
    return k;
}

/* ---- blocks ---- */
typedef struct kmpx_blk {
    void *base;       /* the malloc'ed memory, or the start of the mapping */
    size_t span;      /* the mapping's length; 0 for heap memory */
    size_t size;      /* bytes asked for: realloc copies up to it, the pool counts it */
    kmpx_alloc *al;   /* the allocator that made the block (holding a reference if custom) */
    uint32_t flags;
    uint32_t reserved;
    uintptr_t check;  /* BLK_MAGIC ^ (uintptr_t)&check while the block is live */
} kmpx_blk;
_Static_assert(sizeof(kmpx_blk) == 48, "the block header keeps 16-byte alignment");
enum { BLK_MAPPED = 1, BLK_LOCKED = 2, BLK_POOLED = 4 };
#define BLK_MAGIC ((uintptr_t)0x6172796e6f6d7041ull) /* "ApmonYra" */
#define MIN_ALIGN ((size_t)16)                        /* what malloc gives on x86-64/aarch64 */

static size_t page_size(void)
{
    static _Atomic size_t ps;
    size_t p = atomic_load_explicit(&ps, memory_order_relaxed);
    if (!p) {
        long v = sysconf(_SC_PAGESIZE);
        p = v > 0 ? (size_t)v : 4096u;
        atomic_store_explicit(&ps, p, memory_order_relaxed);
    }
    return p;
}

static bool pool_take(kmpx_alloc *a, size_t size)
{
    size_t cur = atomic_load_explicit(&a->used, memory_order_relaxed);
    do {
        if (size > a->pool_size - cur)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&a->used, &cur, cur + size,
                                                    memory_order_relaxed, memory_order_relaxed));
    return true;
}

static void pool_give(kmpx_alloc *a, size_t size)
{
    atomic_fetch_sub_explicit(&a->used, size, memory_order_relaxed);
}

/* Whether the allocator's blocks need pages of their own (see the top). */
static bool wants_pages(const kmpx_alloc *a)
{
    return a->pinned || a->partition != ATV_ENVIRONMENT || a->memspace == MS_HIGH_BW;
}

/* Places a fresh mapping as the allocator asks. false: it cannot be done (the caller gives
 * the mapping back and the allocation fails over). On a machine with one NUMA node (or no
 * hwloc) the plan is made and applying it is a no-op (ARAYON_ENOTSUP). */
static bool place_pages(const kmpx_alloc *a, void *base, size_t len)
{
    if (a->memspace == MS_HIGH_BW) /* only reached with HBW nodes present (have_hbw) */
        return ary_topo_mem_bind_hbw(a->topo, base, len) == ARAYON_OK;
    if (a->partition == ATV_ENVIRONMENT || !a->topo)
        return true;
    static const ary_mem_policy policy[] = {[ATV_NEAREST - ATV_ENVIRONMENT] = ARY_MEM_NEAREST,
                                            [ATV_BLOCKED - ATV_ENVIRONMENT] = ARY_MEM_BLOCKED,
                                            [ATV_INTERLEAVED - ATV_ENVIRONMENT] =
                                                ARY_MEM_INTERLEAVED};
    unsigned nodes[256];
    ary_mem_part parts[256];
    int cpu = sched_getcpu();
    unsigned nn = access_nodes(a, cpu, nodes, 256);
    int np = ary_topo_mem_plan(a->topo, policy[a->partition - ATV_ENVIRONMENT], nn ? nodes : NULL,
                               nn, cpu, len, page_size(), parts, 256);
    if (np < 0)
        return true; /* more nodes than we plan for: the system's policy */
    int rc = ary_topo_mem_apply(a->topo, base, len, parts, (unsigned)np, nn ? nodes : NULL, nn);
    /* ENOTSUP: nothing to bind on this machine; the memory is ordinary memory. A refusal
     * (ESYSTEM) leaves the pages under the system's policy as well: placement is a
     * performance hint, unlike pinning. */
    (void)rc;
    return true;
}

/* One attempt with allocator a, no fallback: NULL when the pool is full or memory is not
 * there. align: a power of two >= MIN_ALIGN. */
static void *try_alloc(kmpx_alloc *a, size_t align, size_t size, bool zero)
{
    if (a->memspace == MS_HIGH_BW && !have_hbw())
        return NULL; /* no high-bandwidth memory here: the fallback decides */
    if (size > SIZE_MAX - sizeof(kmpx_blk) - align)
        return NULL;
    bool pooled = a->pool_size != SIZE_MAX;
    if (pooled && !pool_take(a, size))
        return NULL;
    size_t need = sizeof(kmpx_blk) + (align > MIN_ALIGN ? align - 1 : 0) + size;
    void *base;
    size_t span = 0;
    uint32_t flags = pooled ? BLK_POOLED : 0;
    if (wants_pages(a)) {
        size_t ps = page_size();
        if (need > SIZE_MAX - ps)
            goto fail;
        span = (need + ps - 1) & ~(ps - 1);
        base = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED)
            goto fail;
        flags |= BLK_MAPPED;
        if (!place_pages(a, base, span)) {
            munmap(base, span);
            goto fail;
        }
        /* pinned: lock the pages; when mlock fails (RLIMIT_MEMLOCK, no privilege) the
         * allocation fails and the fallback decides (default_mem_fb: unpinned memory). */
        if (a->pinned) {
            if (mlock(base, span) != 0) {
                munmap(base, span);
                goto fail;
            }
            flags |= BLK_LOCKED;
        }
        /* a fresh anonymous mapping is zero already */
    } else {
        base = zero ? calloc(1, need) : malloc(need);
        if (!base)
            goto fail;
    }
    uintptr_t u = ((uintptr_t)base + sizeof(kmpx_blk) + align - 1) & ~(uintptr_t)(align - 1);
    kmpx_blk *b = (kmpx_blk *)u - 1;
    b->base = base;
    b->span = span;
    b->size = size;
    b->al = a;
    b->flags = flags;
    b->reserved = 0;
    b->check = BLK_MAGIC ^ (uintptr_t)&b->check;
    if (a->custom)
        atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
    return (void *)u;
fail:
    if (pooled)
        pool_give(a, size);
    return NULL;
}

static _Noreturn void abort_fb(const kmpx_alloc *a, size_t size)
{
    fprintf(stderr,
            "arayon: OpenMP allocator %#lx could not allocate %zu bytes (pool_size %s%zu, "
            "%zu bytes in use) and its fallback trait is abort_fb: aborting\n",
            (unsigned long)a->handle, size, a->pool_size == SIZE_MAX ? "unlimited " : "",
            a->pool_size == SIZE_MAX ? (size_t)0 : a->pool_size,
            atomic_load_explicit(&a->used, memory_order_relaxed));
    fflush(stderr);
    abort();
}

/* An allocation with allocator a and its fallbacks. */
static void *alloc_with(kmpx_alloc *a, size_t align, size_t size, bool zero)
{
    for (int depth = 0; a && depth < KMPX_FB_DEPTH; depth++) {
        if (a->alignment > align)
            align = a->alignment;
        void *p = try_alloc(a, align, size, zero);
        if (p)
            return p;
        switch (a->fallback) {
        case ATV_DEFAULT_MEM_FB:
            a = a == DEFAULT_ALLOC ? NULL : DEFAULT_ALLOC;
            break;
        case ATV_ABORT_FB:
            abort_fb(a, size);
        case ATV_ALLOCATOR_FB:
            a = resolve(a->fb_data);
            break;
        default: /* null_fb */
            return NULL;
        }
    }
    return NULL;
}

/* ---- def-allocator-var ---- */
/* Per thread, as in libomp (the specification makes it a data-environment ICV, which new
 * implicit tasks inherit from the task that creates them; here each thread starts from the
 * initial value). 0: not set, the initial value (OMP_ALLOCATOR) applies. */
static ARY_TLS uintptr_t def_alloc;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static uintptr_t env_alloc = 1; /* written once under env_once */

static void env_init(void)
{
    kmpx_env_allocator e;
    if (kmpx_env_allocator_parse(&e) != 1)
        return;
    if (e.predefined) {
        env_alloc = e.predefined;
        return;
    }
    uintptr_t h = omp_init_allocator(e.memspace, e.ntraits, e.traits);
    if (h)
        env_alloc = h;
    else
        fprintf(stderr, "arayon: OMP_ALLOCATOR=%s: no such allocator can be made here (invalid "
                        "trait values, or a memory space this machine lacks); using "
                        "omp_default_mem_alloc\n", ary_env_str("OMP_ALLOCATOR"));
}

static uintptr_t initial_default(void)
{
    pthread_once(&env_once, env_init);
    return env_alloc;
}

static kmpx_alloc *resolve_default(void)
{
    kmpx_alloc *a = resolve(def_alloc ? def_alloc : initial_default());
    return a ? a : DEFAULT_ALLOC; /* a destroyed default allocator: default memory */
}

/* ---- the API ---- */
static bool pow2(size_t x) { return x && !(x & (x - 1)); }

static void *alloc_api(size_t align, size_t size, uintptr_t allocator, bool zero)
{
    if (!size || !pow2(align))
        return NULL;
    kmpx_alloc *a = allocator ? resolve(allocator) : resolve_default();
    if (!a)
        return NULL; /* not an allocator (or a destroyed one) */
    return alloc_with(a, align < MIN_ALIGN ? MIN_ALIGN : align, size, zero);
}

void *omp_alloc(size_t size, uintptr_t allocator) { return alloc_api(1, size, allocator, false); }

void *omp_aligned_alloc(size_t align, size_t size, uintptr_t allocator)
{
    return alloc_api(align, size, allocator, false);
}

void *omp_calloc(size_t nmemb, size_t size, uintptr_t allocator)
{
    return omp_aligned_calloc(1, nmemb, size, allocator);
}

void *omp_aligned_calloc(size_t align, size_t nmemb, size_t size, uintptr_t allocator)
{
    size_t total;
    if (!nmemb || !size || !pow2(align))
        return NULL;
    if (__builtin_mul_overflow(nmemb, size, &total)) {
        /* a request no memory can satisfy: the allocator's fallback decides (SIZE_MAX
         * fails in every allocator) */
        total = SIZE_MAX;
    }
    return alloc_api(align, total, allocator, true);
}

/* The header of a block of ours; reports and aborts otherwise. */
static kmpx_blk *block_of(void *ptr, const char *who)
{
    kmpx_blk *b = (kmpx_blk *)ptr - 1;
    if (b->check != (BLK_MAGIC ^ (uintptr_t)&b->check)) {
        fprintf(stderr, "arayon: %s(%p): not memory of an OpenMP allocator (or freed "
                        "already): aborting\n", who, ptr);
        fflush(stderr);
        abort();
    }
    return b;
}

static void block_free(kmpx_blk *b)
{
    /* everything needed after the memory is gone is read first */
    void *base = b->base;
    size_t span = b->span, size = b->size;
    kmpx_alloc *a = b->al;
    uint32_t flags = b->flags;
    b->check = 0;
    if (flags & BLK_POOLED)
        pool_give(a, size);
    if (flags & BLK_MAPPED) {
        if (flags & BLK_LOCKED)
            munlock(base, span);
        munmap(base, span);
    } else {
        free(base);
    }
    if (a->custom)
        record_unref(a);
}

void omp_free(void *ptr, uintptr_t allocator)
{
    (void)allocator; /* the block's header names its allocator */
    if (ptr)
        block_free(block_of(ptr, "omp_free"));
}

/* OpenMP 5.1: size 0 frees ptr and returns NULL; ptr NULL allocates; otherwise the new
 * block comes from allocator (omp_null_allocator: the allocator of ptr; free_allocator
 * names it, or the header does) and ptr is freed only when that succeeded. */
void *omp_realloc(void *ptr, size_t size, uintptr_t allocator, uintptr_t free_allocator)
{
    (void)free_allocator; /* the block's header names its allocator */
    if (!ptr)
        return size ? omp_alloc(size, allocator) : NULL;
    kmpx_blk *old = block_of(ptr, "omp_realloc");
    if (!size) {
        block_free(old);
        return NULL;
    }
    kmpx_alloc *a;
    if (allocator)
        a = resolve(allocator);
    else
        a = old->al->custom && !atomic_load_explicit(&old->al->live, memory_order_acquire)
                ? NULL /* its allocator was destroyed: nothing to allocate from */
                : old->al;
    if (!a)
        return NULL;
    void *p = alloc_with(a, MIN_ALIGN, size, false);
    if (!p)
        return NULL;
    memcpy(p, ptr, old->size < size ? old->size : size);
    block_free(old);
    return p;
}

uintptr_t omp_init_allocator(uintptr_t memspace, int ntraits, const void *traits)
{
    if (ntraits < 0 || (ntraits > 0 && !traits))
        return 0;
    if (memspace > MS_LOW_LAT && (memspace < LLVM_TARGET_FIRST || memspace > LLVM_TARGET_LAST))
        return 0;
    kmpx_alloc t = {.memspace = memspace >= LLVM_TARGET_FIRST ? MS_DEFAULT : memspace,
                    .alignment = 1, .pool_size = SIZE_MAX, .sync_hint = ATV_CONTENDED,
                    .access = ATV_ALL, .fallback = ATV_DEFAULT_MEM_FB,
                    .partition = ATV_ENVIRONMENT, .custom = true};
    const kmpx_alloctrait *tr = traits;
    for (int i = 0; i < ntraits; i++) {
        uintptr_t v = tr[i].value;
        bool dflt = v == ATV_DEFAULT;
        switch (tr[i].key) {
        case ATK_SYNC_HINT:
            if (dflt)
                v = ATV_CONTENDED;
            else if (v != ATV_CONTENDED && v != ATV_UNCONTENDED && v != ATV_SERIALIZED &&
                     v != ATV_PRIVATE)
                return 0;
            t.sync_hint = (int)v;
            break;
        case ATK_ALIGNMENT:
            if (dflt)
                v = 1;
            else if (!pow2(v) || v > ((size_t)1 << 30))
                return 0;
            t.alignment = v;
            break;
        case ATK_ACCESS:
            if (dflt)
                v = ATV_ALL;
            else if (v != ATV_ALL && v != ATV_CGROUP && v != ATV_PTEAM && v != ATV_THREAD)
                return 0;
            t.access = (int)v;
            break;
        case ATK_POOL_SIZE:
            if (dflt)
                v = SIZE_MAX;
            else if (v == 0)
                return 0; /* a positive integer (table 2.9) */
            t.pool_size = v;
            break;
        case ATK_FALLBACK:
            if (dflt)
                v = ATV_DEFAULT_MEM_FB;
            else if (v != ATV_DEFAULT_MEM_FB && v != ATV_NULL_FB && v != ATV_ABORT_FB &&
                     v != ATV_ALLOCATOR_FB)
                return 0;
            t.fallback = (int)v;
            break;
        case ATK_FB_DATA:
            if (dflt)
                v = 0;
            else if (!resolve(v))
                return 0; /* must name an allocator that exists */
            t.fb_data = v;
            break;
        case ATK_PINNED:
            if (dflt)
                v = ATV_FALSE;
            else if (v != ATV_FALSE && v != ATV_TRUE)
                return 0;
            t.pinned = v == ATV_TRUE;
            break;
        case ATK_PARTITION:
            if (dflt)
                v = ATV_ENVIRONMENT;
            else if (v != ATV_ENVIRONMENT && v != ATV_NEAREST && v != ATV_BLOCKED &&
                     v != ATV_INTERLEAVED)
                return 0;
            t.partition = (int)v;
            break;
        default:
            return 0; /* not a trait */
        }
    }
    if (t.fallback == ATV_ALLOCATOR_FB && !t.fb_data)
        return 0; /* allocator_fb needs fb_data */
    /* High-bandwidth memory: when the machine has none (hwloc reports no HBM/MCDRAM node),
     * OpenMP lets the request fail; libomp (and libgomp) return omp_null_allocator for it,
     * and so does this. Large-capacity, constant and low-latency memory are ordinary memory
     * here (as in libomp without memkind: the machine has nothing better to offer). */
    if (t.memspace == MS_HIGH_BW && !have_hbw())
        return 0;
    if (t.partition != ATV_ENVIRONMENT || t.memspace == MS_HIGH_BW)
        t.topo = alloc_topo();
    kmpx_alloc *a = record_new();
    if (!a)
        return 0;
    /* reset in place: the atomics of a reused record keep their (zero) state */
    atomic_store_explicit(&a->refs, 1, memory_order_relaxed);
    atomic_store_explicit(&a->used, 0, memory_order_relaxed);
    a->handle = (uintptr_t)a;
    a->memspace = t.memspace;
    a->alignment = t.alignment;
    a->pool_size = t.pool_size;
    a->fb_data = t.fb_data;
    a->sync_hint = t.sync_hint;
    a->access = t.access;
    a->fallback = t.fallback;
    a->partition = t.partition;
    a->pinned = t.pinned;
    a->custom = true;
    a->topo = t.topo;
    a->next_free = NULL;
    atomic_store_explicit(&a->live, 1, memory_order_release);
    return (uintptr_t)a;
}

void omp_destroy_allocator(uintptr_t allocator)
{
    if (allocator < PREDEF_LIMIT)
        return; /* predefined allocators cannot be destroyed */
    kmpx_alloc *a = record_at(allocator);
    uint32_t one = 1;
    if (a && atomic_compare_exchange_strong_explicit(&a->live, &one, 0, memory_order_acq_rel,
                                                     memory_order_relaxed))
        record_unref(a); /* the handle's reference; live blocks keep the record */
}

void omp_set_default_allocator(uintptr_t allocator)
{
    if (!allocator)
        def_alloc = 0; /* back to the initial value, as libomp and libgomp do */
    else if (resolve(allocator))
        def_alloc = allocator;
}

uintptr_t omp_get_default_allocator(void) { return def_alloc ? def_alloc : initial_default(); }

/* def-allocator-var as the implicit tasks of a region inherit it (kmp_parallel.c): the
 * thread's raw value, 0 meaning the initial one (OMP_ALLOCATOR). */
uintptr_t kmpx_def_alloc_get(void) { return def_alloc; }
void kmpx_def_alloc_set(uintptr_t raw) { def_alloc = raw; }

/* ---- clang's entry points (allocate clause and directive, uses_allocators) ----
 * Signatures as libomp's kmp.h declares them; the gtid is not needed. */
KMPX_API void *__kmpc_alloc(int gtid, size_t sz, uintptr_t al);
KMPX_API void *__kmpc_aligned_alloc(int gtid, size_t align, size_t sz, uintptr_t al);
KMPX_API void *__kmpc_calloc(int gtid, size_t nmemb, size_t sz, uintptr_t al);
KMPX_API void *__kmpc_realloc(int gtid, void *ptr, size_t sz, uintptr_t al, uintptr_t free_al);
KMPX_API void __kmpc_free(int gtid, void *ptr, uintptr_t al);
KMPX_API uintptr_t __kmpc_init_allocator(int gtid, uintptr_t memspace, int ntraits,
                                         const void *traits);
KMPX_API void __kmpc_destroy_allocator(int gtid, uintptr_t al);
KMPX_API void __kmpc_set_default_allocator(int gtid, uintptr_t al);
KMPX_API uintptr_t __kmpc_get_default_allocator(int gtid);

/* The storage clang makes for allocate clauses and directives and for depobj records: its
 * code uses it without a check, so no memory (after the allocator's fallbacks) ends the
 * program with a message rather than a crash at a NULL. */
static void *compiler_made(void *p, size_t sz, const char *entry)
{
    if (!p && sz) {
        fprintf(stderr, "arayon: out of memory for a compiler-made OpenMP allocation (%s, %zu "
                        "bytes)\n", entry, sz);
        abort();
    }
    return p;
}

void *__kmpc_alloc(int gtid, size_t sz, uintptr_t al)
{
    (void)gtid;
    return compiler_made(omp_alloc(sz, al), sz, "__kmpc_alloc");
}

void *__kmpc_aligned_alloc(int gtid, size_t align, size_t sz, uintptr_t al)
{
    (void)gtid;
    return compiler_made(omp_aligned_alloc(align, sz, al), sz, "__kmpc_aligned_alloc");
}

void *__kmpc_calloc(int gtid, size_t nmemb, size_t sz, uintptr_t al)
{
    (void)gtid;
    return omp_calloc(nmemb, sz, al);
}

void *__kmpc_realloc(int gtid, void *ptr, size_t sz, uintptr_t al, uintptr_t free_al)
{
    (void)gtid;
    return omp_realloc(ptr, sz, al, free_al);
}

void __kmpc_free(int gtid, void *ptr, uintptr_t al)
{
    (void)gtid;
    omp_free(ptr, al);
}

uintptr_t __kmpc_init_allocator(int gtid, uintptr_t memspace, int ntraits, const void *traits)
{
    (void)gtid;
    return omp_init_allocator(memspace, ntraits, traits);
}

void __kmpc_destroy_allocator(int gtid, uintptr_t al)
{
    (void)gtid;
    omp_destroy_allocator(al);
}

void __kmpc_set_default_allocator(int gtid, uintptr_t al)
{
    (void)gtid;
    omp_set_default_allocator(al);
}

uintptr_t __kmpc_get_default_allocator(int gtid)
{
    (void)gtid;
    return omp_get_default_allocator();
}

#define KMPX_SYMVER_OMP_ALLOC
#include "gomp_symver.h"
