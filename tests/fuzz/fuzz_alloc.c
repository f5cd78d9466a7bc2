/*
 * fuzz_alloc.c - OpenMP allocator traits (compat/omp_alloc.c): omp_init_allocator with
 * fuzzed memory spaces, trait keys and values, then a fuzzed sequence of omp_alloc,
 * omp_aligned_alloc, omp_calloc, omp_aligned_calloc, omp_realloc, omp_free,
 * omp_set_default_allocator and omp_destroy_allocator calls on those allocators, the
 * predefined ones and handles that name nothing.
 *
 * Input: a list of operations, one byte each followed by its operands.
 *   op % 10: 0 alloc, 1 aligned_alloc, 2 calloc, 3 aligned_calloc, 4 realloc, 5 free,
 *            6 set_default_allocator, 7 destroy_allocator, 8 init_allocator, 9 alloc from
 *            omp_null_allocator (the default allocator)
 *   a handle: 1 byte (0-3 this input's allocators, 4-12 the predefined 0-8, 13-15 LLVM's
 *            100-102, 16 9, 17 1023, 18 1024, other: 8 raw bytes)
 *   a size:   1 byte kind (0 tiny, 1 up to 64 KiB, 2 whole pages, 3 up to 1 MiB, 4 zero,
 *            5 SIZE_MAX - k) and 1-2 bytes
 *   init:     memory space (1 byte: 0-4, 100-102, 5, 99, 103 or 8 raw bytes), a trait count
 *            (1 byte; 255 -1, 254 three traits at NULL), then per trait a key byte (mod 12:
 *            1-8 the omp_atk_ keys, 0, 9, -1, INT_MAX) and a value byte (0-19 as is, 20
 *            omp_atv_default, 21-63 powers of two, 64-72 predefined handles, 73-76 this
 *            input's allocators, 77 SIZE_MAX, other: 8 raw bytes).
 * The input starts with an init (the first operation need not say so).
 *
 * Checked: every block is aligned as asked and as the allocator's alignment trait says,
 * writable to its size, zeroed by calloc, keeps its contents through realloc and is not
 * overlapped by another live block; a handle that was destroyed or never made gives NULL; an
 * allocator with a pool_size and the null_fb fallback never holds more than its pool. The
 * abort_fb fallback aborts the process by design, so an allocation that could reach it when
 * it fails is skipped (a model of each allocator's traits decides).
 */
#include "kmp.h"
#include "kmp_abi.h"

#include <limits.h>

#include "fuzz.h"

enum {
    ATK_SYNC_HINT = 1, ATK_ALIGNMENT = 2, ATK_ACCESS = 3, ATK_POOL_SIZE = 4,
    ATK_FALLBACK = 5, ATK_FB_DATA = 6, ATK_PINNED = 7, ATK_PARTITION = 8
};
enum {
    ATV_FALSE = 0, ATV_TRUE = 1, ATV_DEFAULT_MEM_FB = 11, ATV_NULL_FB = 12, ATV_ABORT_FB = 13,
    ATV_ALLOCATOR_FB = 14
};
#define ATV_DEFAULT ((uintptr_t)-1)
#define MAX_ALLOCS 4
#define MAX_BLOCKS 32
#define MAX_TRAITS 20
#define SAFE_SIZE ((size_t)16 << 20)  /* a predefined allocator never fails below this */
#define LIVE_BUDGET ((size_t)64 << 20) /* bytes of live blocks per input */

/* What the traits of an allocator made by this input say (valid only when init succeeded:
 * then every trait was valid, and the last one of each key is in force). */
typedef struct model {
    uintptr_t handle;
    bool live;
    uintptr_t memspace, fb_data;
    size_t alignment, pool_size;
    int fallback;
    bool pinned;
} model;

typedef struct block {
    unsigned char *p;
    size_t size;
    int served_by; /* index of the allocator that surely made it (null_fb), or -1 */
    unsigned char fill;
} block;

static model al[MAX_ALLOCS];
static unsigned nal;
static block blk[MAX_BLOCKS];
static unsigned nblk;
static size_t live_bytes;
static uintptr_t default_handle; /* what omp_set_default_allocator took; 0 = the initial one */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    unsetenv("OMP_ALLOCATOR");
    setenv("OMP_NUM_THREADS", "2", 1);
    (void)omp_get_max_threads(); /* the layer's pool: partition traits place on its topology */
    unsetenv("OMP_NUM_THREADS");
    (void)omp_get_default_allocator(); /* OMP_ALLOCATOR (unset), once */
    return 0;
}

static bool is_predefined(uintptr_t h) { return (h >= 1 && h <= 8) || (h >= 100 && h <= 102); }

/* The live allocator of this input that h names, or -1. */
static int model_of(uintptr_t h)
{
    for (unsigned i = 0; i < nal; i++)
        if (al[i].live && al[i].handle == h)
            return (int)i;
    return -1;
}

/* The allocator omp_null_allocator stands for: the default one while it lives, else
 * omp_default_mem_alloc (OMP_ALLOCATOR is unset). */
static uintptr_t default_effective(void)
{
    if (default_handle && (is_predefined(default_handle) || model_of(default_handle) >= 0))
        return default_handle;
    return 1;
}

static uintptr_t pick_handle(fz_in *in)
{
    uint8_t b = fz_u8(in);
    if (b < 4)
        return b < nal ? al[b].handle : 0;
    if (b < 13)
        return b - 4u;
    if (b < 16)
        return 100u + (b - 13u);
    if (b == 16)
        return 9;
    if (b == 17)
        return 1023;
    if (b == 18)
        return 1024;
    return (uintptr_t)fz_uint(in, 8);
}

static size_t pick_size(fz_in *in)
{
    uint8_t k = fz_u8(in) % 6;
    switch (k) {
    case 0: return fz_u8(in);
    case 1: return (size_t)fz_uint(in, 2);
    case 2: return 4096u * (size_t)(fz_u8(in) % 64);
    case 3: return (size_t)fz_uint(in, 2) << 4;
    case 4: return 0;
    default: return SIZE_MAX - fz_u8(in) % 64; /* fails in every allocator before malloc */
    }
}

/* Whether an allocation of size with allocator index/handle could end in abort_fb. */
static bool may_abort(uintptr_t h, size_t size)
{
    for (int depth = 0; depth < 20; depth++) {
        if (!h || is_predefined(h))
            return false; /* predefined: their fallbacks end in default memory or NULL */
        int i = model_of(h);
        if (i < 0)
            return false; /* names nothing (any more): NULL */
        const model *m = &al[i];
        bool can_fail = m->pool_size != SIZE_MAX || m->pinned || size > SAFE_SIZE;
        if (!can_fail)
            return false;
        if (m->fallback == ATV_ABORT_FB)
            return true;
        if (m->fallback != ATV_ALLOCATOR_FB)
            return false;
        h = m->fb_data;
    }
    return false;
}

/* Whether an allocator of this input has an alignment above 1 MiB: each of its blocks (and
 * of its fallbacks', which inherit the alignment) is a malloc of size + alignment, cheap
 * natively, seconds under ASan for 1 GiB. Allocations that may use one are skipped. */
static bool big_alignment(void)
{
    for (unsigned i = 0; i < nal; i++)
        if (al[i].alignment > ((size_t)1 << 20))
            return true;
    return false;
}

static uintptr_t pick_value(fz_in *in)
{
    uint8_t b = fz_u8(in);
    if (b < 20)
        return b;
    if (b == 20)
        return ATV_DEFAULT;
    if (b < 64)
        return (uintptr_t)1 << (b - 21);
    if (b < 73)
        return b - 64u;
    if (b < 77)
        return b - 73u < nal ? al[b - 73u].handle : 0;
    if (b == 77)
        return SIZE_MAX;
    return (uintptr_t)fz_uint(in, 8);
}

static void op_init(fz_in *in)
{
    static const uintptr_t spaces[] = {0, 1, 2, 3, 4, 100, 101, 102, 5, 99, 103};
    uint8_t s = fz_u8(in);
    uintptr_t ms = s % 12 < 11 ? spaces[s % 12] : (uintptr_t)fz_uint(in, 8);
    uint8_t c = fz_u8(in);
    int ntraits = c == 255 ? -1 : c == 254 ? 3 : c % (MAX_TRAITS + 1);
    kmpx_alloctrait tr[MAX_TRAITS];
    static const int keys[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, INT_MAX};
    for (int i = 0; i < ntraits && c != 254; i++) {
        tr[i].key = keys[fz_u8(in) % 12];
        tr[i].value = pick_value(in);
    }
    uintptr_t h = omp_init_allocator(ms, ntraits, c == 254 ? NULL : tr);
    if (ntraits < 0 || c == 254)
        FZ_CHECK(h == 0, "init_allocator(%d traits%s) made %#lx", ntraits,
                 c == 254 ? " at NULL" : "", (unsigned long)h);
    if (!h)
        return;
    FZ_CHECK(h >= 1024 && model_of(h) < 0 && !is_predefined(h),
             "init_allocator returned %#lx, a handle in use", (unsigned long)h);
    FZ_CHECK(ms <= 4 || (ms >= 100 && ms <= 102), "init_allocator made memory space %#lx",
             (unsigned long)ms);
    model m = {.handle = h, .live = true, .memspace = ms, .alignment = 1,
               .pool_size = SIZE_MAX, .fallback = ATV_DEFAULT_MEM_FB};
    for (int i = 0; i < ntraits; i++) {
        uintptr_t v = tr[i].value;
        bool d = v == ATV_DEFAULT;
        switch (tr[i].key) {
        case ATK_ALIGNMENT: m.alignment = d ? 1 : v; break;
        case ATK_POOL_SIZE: m.pool_size = d ? SIZE_MAX : v; break;
        case ATK_FALLBACK: m.fallback = d ? ATV_DEFAULT_MEM_FB : (int)v; break;
        case ATK_FB_DATA: m.fb_data = d ? 0 : v; break;
        case ATK_PINNED: m.pinned = !d && v == ATV_TRUE; break;
        case ATK_SYNC_HINT: case ATK_ACCESS: case ATK_PARTITION: break;
        default: FZ_CHECK(0, "init_allocator accepted trait key %d", tr[i].key);
        }
    }
    FZ_CHECK(m.alignment && !(m.alignment & (m.alignment - 1)), "alignment %zu accepted",
             m.alignment);
    FZ_CHECK(m.pool_size > 0, "pool_size 0 accepted");
    FZ_CHECK(m.fallback != ATV_ALLOCATOR_FB || m.fb_data, "allocator_fb without fb_data");
    if (nal < MAX_ALLOCS) {
        al[nal++] = m;
    } else {
        omp_destroy_allocator(h); /* no room to track it */
        FZ_CHECK(omp_alloc(8, h) == NULL, "allocator %#lx works after its destroy",
                 (unsigned long)h);
    }
}

/* The first byte of [p, p+n) that is not `byte`, or SIZE_MAX. Looks at the first and last
 * 256 bytes and one byte per 4 KiB between them: enough to see a block that another one
 * overlaps or that realloc did not copy, at a cost that keeps the target fast (every compare
 * here is instrumented). */
static size_t span_differs(const unsigned char *p, size_t n, unsigned char byte)
{
    size_t k = 0;
    while (k < n) {
        if (p[k] != byte)
            return k;
        if (k < 256 || n - k <= 256)
            k++;
        else
            k = n - k > 256 + 4096 ? k + 4096 : n - 256;
    }
    return SIZE_MAX;
}

/* A new block from op: checks, fills, records (or frees when there is no room). */
static void got_block(void *p, size_t size, size_t align, uintptr_t h, bool zero)
{
    int i = h ? model_of(h) : -1;
    if (h && !is_predefined(h) && i < 0)
        FZ_CHECK(p == NULL, "allocator %#lx names nothing, yet gave %p", (unsigned long)h, p);
    if (i >= 0 && al[i].fallback == ATV_NULL_FB && size > al[i].pool_size)
        FZ_CHECK(p == NULL, "%zu bytes from a pool of %zu with null_fb", size, al[i].pool_size);
    if (!p)
        return;
    size_t want = align;
    if (i >= 0 && al[i].alignment > want)
        want = al[i].alignment;
    FZ_CHECK(((uintptr_t)p & (want - 1)) == 0, "%p is not aligned to %zu", p, want);
    unsigned char *c = p;
    if (zero) {
        size_t k = span_differs(c, size, 0);
        FZ_CHECK(k == SIZE_MAX, "calloc'ed byte %zu of %zu is %#x", k, size, c[k]);
    }
    unsigned char fill = (unsigned char)(0x11 * (nblk + 1));
    memset(c, fill, size);
    if (nblk == MAX_BLOCKS || live_bytes + size > LIVE_BUDGET) {
        omp_free(p, h);
        return;
    }
    blk[nblk++] = (block){c, size, i >= 0 && al[i].fallback == ATV_NULL_FB ? i : -1, fill};
    live_bytes += size;
    if (i >= 0 && al[i].fallback == ATV_NULL_FB && al[i].pool_size != SIZE_MAX) {
        size_t sum = 0;
        for (unsigned k = 0; k < nblk; k++)
            if (blk[k].served_by == i)
                sum += blk[k].size;
        FZ_CHECK(sum <= al[i].pool_size, "allocator %d holds %zu bytes, pool_size %zu", i, sum,
                 al[i].pool_size);
    }
}

/* The block's bytes are still the ones written into it. */
static void check_block(const block *b)
{
    size_t k = span_differs(b->p, b->size, b->fill);
    FZ_CHECK(k == SIZE_MAX, "byte %zu of a %zu-byte block changed: %#x, wrote %#x", k, b->size,
             b->p[k], b->fill);
}

static void drop_block(unsigned k)
{
    live_bytes -= blk[k].size;
    blk[k] = blk[--nblk];
}

static void op_alloc(fz_in *in, int kind)
{
    uintptr_t h = kind == 9 ? 0 : pick_handle(in);
    size_t align = 1, nmemb = 1;
    if (kind == 1 || kind == 3) {
        uint8_t a = fz_u8(in);
        align = a == 255 ? 3 : a == 254 ? 0 : (size_t)1 << (a % 24);
    }
    if (kind == 2 || kind == 3)
        nmemb = fz_u8(in) % 8 == 7 ? SIZE_MAX / 2 : (size_t)fz_u8(in) + 1;
    size_t size = pick_size(in), total;
    bool over = __builtin_mul_overflow(nmemb, size, &total);
    if (over)
        total = SIZE_MAX;
    else if (total > SAFE_SIZE && total <= SIZE_MAX - 64)
        return; /* neither a size to use nor one every allocator refuses before malloc */
    uintptr_t eff = h ? h : default_effective();
    if (may_abort(eff, total) || (!is_predefined(eff) && big_alignment()))
        return;
    void *p;
    switch (kind) {
    case 1: p = omp_aligned_alloc(align, size, h); break;
    case 2: p = omp_calloc(nmemb, size, h); break;
    case 3: p = omp_aligned_calloc(align, nmemb, size, h); break;
    default: p = omp_alloc(size, h); break;
    }
    bool pow2 = align && !(align & (align - 1));
    if (!total || !pow2 || total > SIZE_MAX - 64)
        FZ_CHECK(p == NULL, "size %zu x %zu, alignment %zu gave %p", nmemb, size, align, p);
    got_block(p, total, pow2 ? align : 1, eff, kind >= 2 && kind <= 3);
}

/* Whether any allocator this input made (live or not) aborts when an allocation of size
 * fails and could fail: a block's own allocator (what realloc with omp_null_allocator
 * allocates from) may be any allocator of its requester's fallback chain. */
static bool any_may_abort(size_t size)
{
    for (unsigned i = 0; i < nal; i++)
        if (al[i].fallback == ATV_ABORT_FB &&
            (al[i].pool_size != SIZE_MAX || al[i].pinned || size > SAFE_SIZE))
            return true;
    return false;
}

static void op_realloc(fz_in *in)
{
    uint8_t which = fz_u8(in);
    uintptr_t h = pick_handle(in);
    size_t size = pick_size(in);
    if (size > SAFE_SIZE && size <= SIZE_MAX - 64)
        return;
    block *b = nblk ? &blk[which % nblk] : NULL;
    uintptr_t eff = h ? h : default_effective();
    if (size && (b && !h ? any_may_abort(size) : may_abort(eff, size)))
        return;
    if (size && (b && !h ? true : !is_predefined(eff)) && big_alignment())
        return;
    void *p = omp_realloc(b ? b->p : NULL, size, h, 0);
    if (!b) { /* omp_alloc */
        if (!size)
            FZ_CHECK(p == NULL, "realloc(NULL, 0) gave %p", p);
        got_block(p, size, 1, eff, false);
        return;
    }
    unsigned k = (unsigned)(b - blk);
    if (!size) {
        FZ_CHECK(p == NULL, "realloc to 0 bytes gave %p", p);
        drop_block(k); /* freed */
        return;
    }
    if (size > SIZE_MAX - 64)
        FZ_CHECK(p == NULL, "realloc to %zu bytes gave %p", size, p);
    if (!p) {
        check_block(b); /* the old block stays */
        return;
    }
    unsigned char *c = p;
    size_t keep = b->size < size ? b->size : size;
    size_t j = span_differs(c, keep, b->fill);
    FZ_CHECK(j == SIZE_MAX, "realloc lost byte %zu of %zu", j, keep);
    int served = h ? -1 : b->served_by;
    drop_block(k);
    got_block(p, size, 1, h, false);
    if (served >= 0 && nblk && blk[nblk - 1].p == c)
        blk[nblk - 1].served_by = served;
}

static void op_free(fz_in *in)
{
    uint8_t which = fz_u8(in);
    uintptr_t h = pick_handle(in);
    if (!nblk) {
        omp_free(NULL, h);
        return;
    }
    unsigned k = which % nblk;
    check_block(&blk[k]);
    omp_free(blk[k].p, h);
    drop_block(k);
}

static void op_destroy(fz_in *in)
{
    uintptr_t h = pick_handle(in);
    omp_destroy_allocator(h);
    int i = model_of(h);
    if (i >= 0) {
        al[i].live = false;
        FZ_CHECK(omp_alloc(16, h) == NULL, "allocator %#lx works after its destroy",
                 (unsigned long)h);
    }
    if (is_predefined(h)) {
        void *p = omp_alloc(16, h);
        FZ_CHECK(p != NULL, "predefined allocator %lu stopped working after a destroy",
                 (unsigned long)h);
        omp_free(p, h);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    nal = nblk = 0;
    live_bytes = 0;
    default_handle = 0;
    op_init(&in);
    for (int ops = 0; in.n && ops < 64; ops++) {
        int op = fz_u8(&in) % 10;
        switch (op) {
        case 4: op_realloc(&in); break;
        case 5: op_free(&in); break;
        case 6: {
            uintptr_t h = pick_handle(&in);
            omp_set_default_allocator(h);
            if (!h || is_predefined(h) || model_of(h) >= 0)
                default_handle = h; /* else ignored: it names no allocator */
            FZ_CHECK(omp_get_default_allocator() == (default_handle ? default_handle : 1),
                     "default allocator %#lx, set %#lx",
                     (unsigned long)omp_get_default_allocator(), (unsigned long)h);
            break;
        }
        case 7: op_destroy(&in); break;
        case 8: op_init(&in); break;
        default: op_alloc(&in, op); break;
        }
    }
    /* every block checked and freed, every allocator destroyed: the next input starts
     * from the same state */
    for (unsigned k = 0; k < nblk; k++) {
        check_block(&blk[k]);
        omp_free(blk[k].p, 0);
    }
    for (unsigned i = 0; i < nal; i++)
        if (al[i].live)
            omp_destroy_allocator(al[i].handle);
    omp_set_default_allocator(0);
    return 0;
}
