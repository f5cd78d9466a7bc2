/*
 * fiber.c - the stacks of suspendable tasks and the switch in and out of them.
 *
 * Stacks. Each is `size` usable bytes (ary_fiber_stack_size: 64 KiB by default) above a
 * guard page, with the ary_fiber record at its top. They are reserved 16 at a time in
 * slabs (one mmap, MAP_NORESERVE, no transparent huge pages), so a stack costs only the
 * pages its task touched: about 4 KiB for a shallow task. Guards, in order of preference:
 *   - MADV_GUARD_INSTALL (Linux 6.13+): a faulting marker that splits no mapping, so 100,000
 *     stacks do not run into vm.max_map_count;
 *   - mprotect(PROT_NONE): splits the slab's mapping (2 VMAs per stack), so only as many
 *     stacks get one as vm.max_map_count allows with room to spare (process-wide: about
 *     28,000 with the default 65,530);
 *   - none: a canary word at the bottom of the stack, checked at every switch out, is then
 *     the only check. (Guarded stacks get no canary: their bottom page is never touched, so
 *     it costs no memory; a shallow parked task is one resident page.)
 * A write into a guard page faults; the SIGSEGV handler installed with the first slab (not
 * under ASan/TSan, which report it themselves) recognizes a fault in the running fiber's
 * guard and prints a clear message before aborting, on the worker's alternate signal stack.
 * Other faults go to the handler that was installed before.
 *
 * Caching. A finished fiber's stack goes to its worker's cache (LIFO, so the next task
 * reuses warm pages); beyond CACHE_HIGH a worker moves half of its cache to the pool's list,
 * and when the pool then holds more than TRIM_SLACK free stacks beyond those in use, their
 * pages below the top STACK_KEEP bytes go back to the kernel (MADV_DONTNEED), so that a
 * burst of 100,000 tasks does not keep 100,000 touched stacks resident. Slabs are
 * unmapped with the pool's memory.
 *
 * Switching (ary_fiber_enter / ary_fiber_leave): see fiber.h for the discipline. The
 * sanitizers are told about each switch: ASan's start/finish_switch_fiber with the target
 * stack's bounds (a fiber's last switch passes no fake-stack slot, so ASan frees it) and
 * TSan's per-fiber contexts.
 */
#include "fiber.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef ARY_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef ARY_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define STACKS_PER_SLAB 16u
#define MAP_COUNT_SPARE 8192u  /* mappings left to the rest of the process */
#define CACHE_HIGH 256u        /* stacks a worker keeps */
#define STACK_KEEP 8192u       /* bytes at the top of a stack kept resident in the pool list */
#define TRIM_SLACK 4096u       /* free stacks beyond those in use before the pool trims */
#define CANARY UINT64_C(0xa7a10f1b5eedc0de)
#define CANARY_WORDS 16u /* the bottom 128 bytes of an unguarded stack */
#define DEFAULT_STACK (64u * 1024u)
#define MIN_STACK (16u * 1024u)
#define MAX_STACK (256u * 1024u * 1024u)

ARY_TLS ary_fiber *ary_tls_fiber;

struct ary_stacks {
    pthread_mutex_t lock;
    size_t size;       /* usable bytes per stack (page multiple) */
    size_t guard;      /* one page */
    void **slabs;      /* mapped slabs, each STACKS_PER_SLAB * (guard + size) bytes */
    size_t nslabs, cap;
    ary_fiber *free;   /* stacks returned by workers over their cache limit, or exiting */
    size_t nfree;
    int guard_mode;    /* 0 MADV_GUARD_INSTALL, 1 mprotect, 2 none (canary only) */
    _Atomic uint64_t total, in_use;
};

static size_t page_size(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    return ps > 0 ? (size_t)ps : 4096u;
}

size_t ary_fiber_stack_size(const arayon_config_t *cfg)
{
    size_t s = cfg->fiber_stack_size ? cfg->fiber_stack_size : DEFAULT_STACK;
    size_t ps = page_size();
    return (s + ps - 1) / ps * ps;
}

int ary_fiber_check_config(const arayon_config_t *cfg)
{
    size_t s = cfg->fiber_stack_size;
    return s == 0 || (s >= MIN_STACK && s <= MAX_STACK) ? ARAYON_OK : ARAYON_EINVAL;
}

int ary_stacks_create(ary_pool *p)
{
    struct ary_stacks *st = calloc(1, sizeof *st);
    if (!st)
        return ARAYON_ENOMEM;
    pthread_mutex_init(&st->lock, NULL);
    st->size = p->fiber_stack;
    st->guard = page_size();
    atomic_store_explicit(&p->stacks, st, memory_order_release);
    return ARAYON_OK;
}

void ary_fiber_pool_free(ary_pool *p)
{
    struct ary_stacks *st = atomic_load_explicit(&p->stacks, memory_order_relaxed);
    if (!st)
        return;
    size_t len = STACKS_PER_SLAB * (st->guard + st->size);
    for (size_t i = 0; i < st->nslabs; i++)
        munmap(st->slabs[i], len);
    free(st->slabs);
    pthread_mutex_destroy(&st->lock);
    free(st);
    atomic_store_explicit(&p->stacks, NULL, memory_order_relaxed);
}

void ary_fiber_stack_counts(ary_pool *p, uint64_t *total, uint64_t *in_use)
{
    struct ary_stacks *st = atomic_load_explicit(&p->stacks, memory_order_acquire);
    *total = st ? atomic_load_explicit(&st->total, memory_order_relaxed) : 0;
    *in_use = st ? atomic_load_explicit(&st->in_use, memory_order_relaxed) : 0;
}

/* ---- the overflow check --------------------------------------------------------------- */

static struct sigaction old_segv;
static pthread_once_t segv_once = PTHREAD_ONCE_INIT;

static void overflow_message(const ary_fiber *f)
{
    char msg[256];
    int n = snprintf(msg, sizeof msg,
                     "arayon: stack overflow in a suspendable task (function %p, stack of %zu "
                     "bytes): raise arayon_config_t.fiber_stack_size or ARAYON_FIBER_STACK\n",
                     (void *)(uintptr_t)f->fn, f->stack_size);
    if (n > 0)
        (void)!write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
    ary_fiber *f = ary_tls_fiber;
    char *a = si->si_addr;
    size_t guard = 65536; /* the guard page, and a frame that jumped a little past it */
    if (f && a < f->stack_lo + 64 && a + guard >= f->stack_lo) {
        overflow_message(f);
        abort();
    }
    /* Not ours: what was installed before. */
    if (old_segv.sa_flags & SA_SIGINFO) {
        if (old_segv.sa_sigaction) {
            old_segv.sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old_segv.sa_handler == SIG_IGN) {
        return;
    } else if (old_segv.sa_handler != SIG_DFL) {
        old_segv.sa_handler(sig);
        return;
    }
    signal(SIGSEGV, SIG_DFL); /* the fault repeats and the default action happens */
}

static void install_segv(void)
{
#if !defined(ARY_ASAN) /* (ASan reports a stack overflow itself; TSan does not) */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
#else
    (void)segv_handler;
#endif
}

/* The alternate signal stack the overflow handler runs on (each worker that runs fibers). */
static void altstack_setup(ary_worker *w)
{
#if !defined(ARY_ASAN)
    size_t len = 64 * 1024;
    void *mem = malloc(len);
    if (!mem)
        return;
    stack_t ss = {.ss_sp = mem, .ss_size = len, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        free(mem);
        return;
    }
    w->altstack = mem;
#else
    (void)w;
#endif
}

/* Hands the list head..last (n stacks) to the pool's list. */
static void give_to_pool(struct ary_stacks *st, ary_fiber *head, ary_fiber *last, size_t n)
{
    pthread_mutex_lock(&st->lock);
    last->next_free = st->free;
    st->free = head;
    st->nfree += n;
    pthread_mutex_unlock(&st->lock);
}

void ary_fiber_worker_exit(ary_worker *w)
{
    if (w->altstack) {
        stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
        sigaltstack(&ss, NULL);
        free(w->altstack);
        w->altstack = NULL;
    }
    struct ary_stacks *st = atomic_load_explicit(&w->pool->stacks, memory_order_acquire);
    if (!st || !w->fcache)
        return;
    ary_fiber *last = w->fcache;
    while (last->next_free)
        last = last->next_free;
    give_to_pool(st, w->fcache, last, w->nfcache);
    w->fcache = NULL;
    w->nfcache = 0;
}

/* ---- stacks ----------------------------------------------------------------------------- */

/* The record of the stack whose usable part starts at lo. */
static inline ary_fiber *record_of(struct ary_stacks *st, char *lo)
{
    uintptr_t top = (uintptr_t)lo + st->size - sizeof(ary_fiber);
    return (ary_fiber *)(top & ~(uintptr_t)63);
}

/* mprotect guards cost 2 mappings each: the process may have (max_map_count - spare) / 2. */
static unsigned mprotect_limit;
static _Atomic unsigned mprotect_used;
static pthread_once_t mprotect_once = PTHREAD_ONCE_INIT;

static void read_map_count(void)
{
    unsigned long max = 65530;
    FILE *fp = fopen("/proc/sys/vm/max_map_count", "r");
    if (fp) {
        if (fscanf(fp, "%lu", &max) != 1)
            max = 65530;
        fclose(fp);
    }
    mprotect_limit = max > MAP_COUNT_SPARE ? (unsigned)((max - MAP_COUNT_SPARE) / 2) : 0;
}

/* Returns whether the page at g now faults. */
static bool guard_stack(struct ary_stacks *st, char *g)
{
    if (st->guard_mode == 0) {
        if (madvise(g, st->guard, MADV_GUARD_INSTALL) == 0)
            return true;
        st->guard_mode = 1; /* the kernel does not have it */
    }
    if (st->guard_mode == 1) {
        pthread_once(&mprotect_once, read_map_count);
        if (atomic_fetch_add_explicit(&mprotect_used, 1, memory_order_relaxed) < mprotect_limit &&
            mprotect(g, st->guard, PROT_NONE) == 0)
            return true;
        atomic_fetch_sub_explicit(&mprotect_used, 1, memory_order_relaxed);
        st->guard_mode = 2;
        fprintf(stderr, "arayon: %u suspendable-task stacks have guard pages; further ones "
                        "rely on a canary check only, which misses an overflow that skips it "
                        "(this kernel lacks MADV_GUARD_INSTALL, and more mprotect guards would "
                        "exhaust vm.max_map_count: raise it to guard more)\n",
                mprotect_limit);
    }
    return false;
}

/* Maps a slab; its stacks go to the pool's list (under st->lock). */
static bool add_slab(struct ary_stacks *st)
{
    if (st->nslabs == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        void **s = realloc(st->slabs, cap * sizeof *s);
        if (!s)
            return false;
        st->slabs = s;
        st->cap = cap;
    }
    size_t stride = st->guard + st->size, len = STACKS_PER_SLAB * stride;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return false;
#ifdef MADV_NOHUGEPAGE
    madvise(m, len, MADV_NOHUGEPAGE);
#endif
    st->slabs[st->nslabs++] = m;
    for (unsigned i = STACKS_PER_SLAB; i-- > 0;) {
        char *g = m + (size_t)i * stride;
        bool guarded = guard_stack(st, g);
        ary_fiber *f = record_of(st, g + st->guard);
        f->stack_lo = g + st->guard;
        f->guarded = guarded;
        f->next_free = st->free;
        st->free = f;
        st->nfree++;
    }
    atomic_fetch_add_explicit(&st->total, STACKS_PER_SLAB, memory_order_relaxed);
    return true;
}

/* Refills w's empty cache with up to 32 stacks from the pool's list (mapping a slab when
 * it is empty). */
static bool refill(ary_worker *w, struct ary_stacks *st)
{
    pthread_once(&segv_once, install_segv);
    pthread_mutex_lock(&st->lock);
    if (!st->free && !add_slab(st)) {
        pthread_mutex_unlock(&st->lock);
        return false;
    }
    for (unsigned k = 0; k < 32 && st->free; k++) {
        ary_fiber *f = st->free;
        st->free = f->next_free;
        st->nfree--;
        f->next_free = w->fcache;
        w->fcache = f;
        w->nfcache++;
    }
    pthread_mutex_unlock(&st->lock);
    return true;
}

static void prepare(ary_fiber *f);

ary_fiber *ary_fiber_new(ary_worker *w, ary_task *t, arayon_fn fn, void *arg)
{
    struct ary_stacks *st = atomic_load_explicit(&w->pool->stacks, memory_order_acquire);
    if (!w->fcache && !refill(w, st))
        return NULL;
    if (ARY_UNLIKELY(!w->altstack))
        altstack_setup(w);
    ary_fiber *f = w->fcache;
    w->fcache = f->next_free;
    w->nfcache--;
    atomic_fetch_add_explicit(&st->in_use, 1, memory_order_relaxed);
    char *lo = f->stack_lo;
    bool guarded = f->guarded;
#ifdef ARY_ASAN
    __asan_unpoison_memory_region(lo, (size_t)((char *)f - lo));
#endif
    memset(f, 0, offsetof(ary_fiber, wait_seq)); /* (the atomics after it: fiber.h) */
    atomic_store_explicit(&f->in_heap, false, memory_order_relaxed);
    atomic_store_explicit(&f->reg_owner, NULL, memory_order_relaxed);
    f->stack_lo = lo;
    f->guarded = guarded;
    f->stack_size = (size_t)((char *)f - lo);
    f->task = t;
    f->cur_task = t;
    f->fn = fn;
    f->arg = arg;
    f->owner = w;
    f->fd = -1;
    if (!guarded) /* (a guarded stack's bottom page stays untouched: not resident) */
        for (unsigned i = 0; i < CANARY_WORDS; i++)
            ((uint64_t *)lo)[i] = CANARY ^ i;
#ifdef ARY_TSAN
    f->tsan_fiber = __tsan_create_fiber(0);
#endif
    prepare(f);
    return f;
}

void ary_fiber_free(ary_worker *w, ary_fiber *f)
{
#ifdef ARY_TSAN
    __tsan_destroy_fiber(f->tsan_fiber);
#endif
    struct ary_stacks *st = atomic_load_explicit(&w->pool->stacks, memory_order_acquire);
    atomic_fetch_sub_explicit(&st->in_use, 1, memory_order_relaxed);
    f->next_free = w->fcache;
    w->fcache = f;
    if (++w->nfcache <= CACHE_HIGH)
        return;
    /* Over the limit: the older half (the tail) goes to the pool. Its pages go back to the
     * kernel only when the pool holds far more free stacks than tasks use (a burst is over):
     * while tasks keep starting, trimming would cost a TLB shootdown per stack and the pages
     * would be faulted in again at once. */
    ary_fiber *keep = w->fcache;
    for (unsigned i = 1; i < CACHE_HIGH / 2; i++)
        keep = keep->next_free;
    ary_fiber *give = keep->next_free, *last = give;
    keep->next_free = NULL;
    size_t n = w->nfcache - CACHE_HIGH / 2;
    w->nfcache = CACHE_HIGH / 2;
    pthread_mutex_lock(&st->lock);
    bool trim = st->nfree + n > atomic_load_explicit(&st->in_use, memory_order_relaxed) + TRIM_SLACK;
    pthread_mutex_unlock(&st->lock);
    for (ary_fiber *g = give;; g = g->next_free) {
        size_t below = (size_t)((char *)g - g->stack_lo);
        if (trim && below > STACK_KEEP) {
            size_t ps = st->guard, len = (below - STACK_KEEP) / ps * ps;
            if (len)
                madvise(g->stack_lo, len, MADV_DONTNEED);
        }
        last = g;
        if (!g->next_free)
            break;
    }
    give_to_pool(st, give, last, n);
}

/* ---- the switch ---------------------------------------------------------------------- */

static void check_canary(ary_fiber *f)
{
    if (ARY_LIKELY(f->guarded))
        return;
    const volatile uint64_t *c = (const volatile uint64_t *)f->stack_lo;
    for (unsigned i = 0; i < CANARY_WORDS; i++) {
        if (ARY_UNLIKELY(c[i] != (CANARY ^ i))) {
            overflow_message(f);
            abort();
        }
    }
}

static void fiber_main(void);

#ifndef ARY_FIBER_UCONTEXT
void ary_fiber_jump(void **save_sp, void *to_sp); /* fiber_<arch>.S */

static inline void jump(ary_fctx *from, ary_fctx *to) { ary_fiber_jump(&from->sp, to->sp); }

static void prepare(ary_fiber *f)
{
    uintptr_t top = (uintptr_t)f & ~(uintptr_t)15;
#if defined(__x86_64__)
    /* rbp rbx r12-r15 (popped first: r15), the entry, a zero return address */
    void **sp = (void **)(top - 8 * sizeof(void *));
    for (int i = 0; i < 6; i++)
        sp[i] = NULL;
    sp[6] = (void *)(uintptr_t)fiber_main;
    sp[7] = NULL;
#else /* __aarch64__: x19-x28, x29, x30, d8-d15 */
    void **sp = (void **)(top - 160);
    for (int i = 0; i < 20; i++)
        sp[i] = NULL;
    sp[11] = (void *)(uintptr_t)fiber_main; /* x30 */
#endif
    f->ctx.sp = sp;
}
#else
static inline void jump(ary_fctx *from, ary_fctx *to) { swapcontext(&from->uc, &to->uc); }

static void prepare(ary_fiber *f)
{
    getcontext(&f->ctx.uc);
    f->ctx.uc.uc_stack.ss_sp = f->stack_lo;
    f->ctx.uc.uc_stack.ss_size = (size_t)((char *)f - f->stack_lo) & ~(size_t)15;
    f->ctx.uc.uc_link = NULL;
    makecontext(&f->ctx.uc, fiber_main, 0);
}
#endif

int ary_fiber_enter(ary_worker *w, ary_fiber *f)
{
    ary_fctx self;
    ary_task *prev_task = ary_tls_task;
    ary_fiber *prev_fiber = ary_tls_fiber;
    f->caller = &self;
    f->owner = w;
    ary_tls_task = f->cur_task;
    ary_tls_fiber = f;
    uintptr_t prev_low = ary_tls_stack_low;
    ary_tls_stack_low = 0; /* the guard knows the thread's stack only */
#ifdef ARY_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, f->stack_lo, f->stack_size);
#endif
#ifdef ARY_TSAN
    f->tsan_caller = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(f->tsan_fiber, 0);
#endif
    jump(&self, &f->ctx);
#ifdef ARY_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    ary_tls_task = prev_task;
    ary_tls_fiber = prev_fiber;
    ary_tls_stack_low = prev_low;
    return f->request;
}

/* errno through functions of their own: __errno_location() is `const`, so within one
 * function the compiler computes errno's address once and keeps it across the switch, and a
 * task resumed on another thread (migratable) would write the first thread's errno. */
static ARY_NOINLINE __attribute__((noclone)) int errno_get(void)
{
    __asm__ volatile("" ::: "memory");
    return errno;
}
static ARY_NOINLINE __attribute__((noclone)) void errno_set(int e)
{
    __asm__ volatile("" ::: "memory");
    errno = e;
}

void ary_fiber_leave(ary_fiber *f, int request)
{
    f->request = request;
    f->cur_task = ary_tls_task;
    check_canary(f);
    int e = errno_get();
#ifdef ARY_ASAN
    __sanitizer_start_switch_fiber(request == ARY_FREQ_FINISH ? NULL : &f->asan_fake,
                                   f->caller_bottom, f->caller_size);
#endif
#ifdef ARY_TSAN
    __tsan_switch_to_fiber(f->tsan_caller, 0);
#endif
    jump(&f->ctx, f->caller);
#ifdef ARY_ASAN
    __sanitizer_finish_switch_fiber(f->asan_fake, &f->caller_bottom, &f->caller_size);
#endif
    errno_set(e); /* this thread's errno: other tasks ran on it meanwhile */
}

static void fiber_main(void)
{
    ary_fiber *f = ary_tls_fiber;
#ifdef ARY_ASAN
    __sanitizer_finish_switch_fiber(NULL, &f->caller_bottom, &f->caller_size);
#endif
    f->result = f->fn(f->arg);
    ary_fiber_leave(f, ARY_FREQ_FINISH);
    abort(); /* a finished fiber is never resumed */
}
