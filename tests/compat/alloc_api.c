/* alloc_api: OpenMP memory allocators as a program uses them (OpenMP 5.1 "Memory Management
 * Routines", the allocate clause and directive, uses_allocators).
 *
 * Checked on every runtime (what the specification says and libomp 14 and libgomp 12 both
 * do): the predefined allocators that both serve (default, const, low_lat, cgroup, pteam,
 * thread); the alignment trait and omp_aligned_alloc; pool_size limits with the null_fb,
 * default_mem_fb and allocator_fb fallbacks (the default fallback too), and pool space given
 * back by omp_free and by omp_realloc(p, 0); omp_calloc / omp_aligned_calloc contents;
 * omp_realloc (NULL pointer, growing, shrinking, to another allocator, free_allocator
 * omp_null_allocator, a failed reallocation leaving the block alone); omp_free of blocks of
 * other allocators, with any allocator argument, and of NULL; omp_alloc with
 * omp_null_allocator taking def-allocator-var, which each thread of a parallel region sets
 * for itself; the allocate clause on private and firstprivate variables of parallel regions
 * and tasks; the partition traits (nearest, blocked, interleaved with the access traits) on
 * 1 MiB blocks, from every thread; allocators used from many threads at once.
 * clang only: the allocate directive on a local array, uses_allocators on a target region
 * (run on the host), and clang's own __kmpc_* entries.
 *
 * Checked on arayon only (libomp or libgomp differ, see each): invalid traits give
 * omp_null_allocator (libomp aborts on several); a block of exactly pool_size bytes fits
 * (both count their headers in the pool); the large_cap and high_bw predefined allocators
 * give memory (libomp: NULL); pinned allocators (libgomp 12: omp_null_allocator); the
 * allocate clause with a custom allocator in clang-built code (clang 14 truncates the handle
 * to 32 bits, which breaks libomp's heap-address handles); omp_aligned_alloc with an
 * alignment that is not a power of two gives NULL (both references allocate anyway).
 * The abort_fb fallback is alloc_abort.c; OMP_ALLOCATOR is alloc_env.c. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <omp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

__attribute__((format(printf, 3, 4))) static void fail(int line, const char *what,
                                                      const char *fmt, ...)
{
  int n;
#pragma omp atomic capture
  n = ++failures;
  if (n > 30)
    return;
  va_list ap;
  va_start(ap, fmt);
#pragma omp critical(compat_report)
  {
    fprintf(stderr, "alloc_api.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

static int on_arayon;

static int aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static omp_allocator_handle_t make(omp_memspace_handle_t ms, int n, omp_alloctrait_t *t)
{
  return omp_init_allocator(ms, n, t);
}

/* writes a pattern over n bytes and checks it */
static int fill_check(unsigned char *p, size_t n, unsigned seed)
{
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)(i * 7 + seed);
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(i * 7 + seed))
      return 0;
  return 1;
}

static void predefined(void)
{
  /* every runtime serves these (libomp returns NULL for large_cap and high_bw without
   * memkind, below) */
  const omp_allocator_handle_t all[] = {omp_default_mem_alloc, omp_const_mem_alloc,
                                        omp_low_lat_mem_alloc, omp_cgroup_mem_alloc,
                                        omp_pteam_mem_alloc, omp_thread_mem_alloc};
  for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
    unsigned char *p = omp_alloc(1000, all[i]);
    CHECK(p != NULL, "omp_alloc(1000, predefined %lu)", (unsigned long)all[i]);
    if (p) {
      CHECK(aligned(p, sizeof(void *)), "predefined %lu: %p", (unsigned long)all[i], (void *)p);
      CHECK(fill_check(p, 1000, i), "predefined %lu: contents", (unsigned long)all[i]);
    }
    omp_free(p, all[i]);
  }
  CHECK(omp_alloc(0, omp_default_mem_alloc) == NULL, "omp_alloc of 0 bytes");
  CHECK(omp_calloc(0, 8, omp_default_mem_alloc) == NULL, "omp_calloc of 0 elements");
  omp_free(NULL, omp_default_mem_alloc); /* no operation */
  omp_free(NULL, omp_null_allocator);
  if (on_arayon) {
    /* no large-capacity or high-bandwidth memory here: their default_mem_fb fallback gives
     * ordinary memory (libomp 14 returns NULL) */
    void *p = omp_alloc(100, omp_large_cap_mem_alloc), *q = omp_alloc(100, omp_high_bw_mem_alloc);
    CHECK(p && q, "large_cap %p high_bw %p", p, q);
    omp_free(p, omp_null_allocator);
    omp_free(q, omp_null_allocator);
  }
}

static void alignment(void)
{
  omp_alloctrait_t t64[] = {{omp_atk_alignment, 64}};
  omp_alloctrait_t t4k[] = {{omp_atk_alignment, 4096}};
  omp_allocator_handle_t a64 = make(omp_default_mem_space, 1, t64);
  omp_allocator_handle_t a4k = make(omp_default_mem_space, 1, t4k);
  CHECK(a64 != omp_null_allocator && a4k != omp_null_allocator, "alignment allocators");
  for (int i = 0; i < 50; i++) {
    void *p = omp_alloc(1 + (size_t)i * 37, a64), *q = omp_alloc(1 + (size_t)i * 91, a4k);
    CHECK(p && aligned(p, 64), "alignment 64: %p", p);
    CHECK(q && aligned(q, 4096), "alignment 4096: %p", q);
    /* the larger of the argument and the trait */
    void *r = omp_aligned_alloc(256, 512, a64), *s = omp_aligned_alloc(32, 64, a4k);
    CHECK(r && aligned(r, 256), "omp_aligned_alloc(256) with alignment 64: %p", r);
    CHECK(s && aligned(s, 4096), "omp_aligned_alloc(32) with alignment 4096: %p", s);
    omp_free(p, a64);
    omp_free(q, a4k);
    omp_free(r, a64);
    omp_free(s, a4k);
  }
  void *p = omp_aligned_alloc(128, 128, omp_default_mem_alloc);
  CHECK(p && aligned(p, 128), "omp_aligned_alloc(128, default): %p", p);
  omp_free(p, omp_default_mem_alloc);
  if (on_arayon)
    CHECK(omp_aligned_alloc(24, 48, omp_default_mem_alloc) == NULL,
          "an alignment that is not a power of two gives NULL");
  omp_destroy_allocator(a64);
  omp_destroy_allocator(a4k);
}

static void invalid_traits(void)
{
  /* OpenMP: invalid traits or values make omp_init_allocator return omp_null_allocator.
   * libomp 14 asserts (aborts) on several of these, libgomp 12 accepts some: arayon only. */
  if (!on_arayon)
    return;
  struct {
    omp_alloctrait_key_t key;
    omp_uintptr_t value;
  } bad[] = {
      {omp_atk_alignment, 3},       {omp_atk_alignment, 0},
      {omp_atk_access, omp_atv_contended}, {omp_atk_sync_hint, omp_atv_all},
      {omp_atk_pool_size, 0},       {omp_atk_fallback, 99},
      {omp_atk_fallback, omp_atv_allocator_fb}, /* without fb_data */
      {omp_atk_fb_data, 12345},     {omp_atk_pinned, 7},
      {omp_atk_partition, omp_atv_thread}, {(omp_alloctrait_key_t)99, 1},
  };
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    omp_alloctrait_t t[1] = {{bad[i].key, bad[i].value}};
    omp_allocator_handle_t a = make(omp_default_mem_space, 1, t);
    CHECK(a == omp_null_allocator, "trait %d = %lu accepted", (int)bad[i].key,
          (unsigned long)bad[i].value);
  }
  CHECK(make((omp_memspace_handle_t)7, 0, NULL) == omp_null_allocator, "memory space 7");
  CHECK(make(omp_default_mem_space, -1, NULL) == omp_null_allocator, "ntraits -1");
  CHECK(make(omp_default_mem_space, 1, NULL) == omp_null_allocator, "traits NULL");
  /* omp_atv_default is valid for every trait */
  omp_alloctrait_t d[] = {{omp_atk_alignment, omp_atv_default}, {omp_atk_pool_size, omp_atv_default},
                          {omp_atk_fallback, omp_atv_default}, {omp_atk_access, omp_atv_default}};
  omp_allocator_handle_t a = make(omp_default_mem_space, 4, d);
  CHECK(a != omp_null_allocator, "omp_atv_default values refused");
  omp_destroy_allocator(a);
  omp_destroy_allocator(omp_null_allocator); /* no operation */
}

static void pools(void)
{
  omp_alloctrait_t tn[] = {{omp_atk_pool_size, 4096}, {omp_atk_fallback, omp_atv_null_fb}};
  omp_allocator_handle_t a = make(omp_default_mem_space, 2, tn);
  CHECK(a != omp_null_allocator, "pool allocator");
  void *p = omp_alloc(1000, a);
  CHECK(p != NULL, "1000 of 4096");
  CHECK(omp_alloc(4000, a) == NULL, "4000 more in a pool of 4096 (null_fb)");
  omp_free(p, a);
  p = omp_alloc(3000, a);
  CHECK(p != NULL, "3000 after the first block was freed");
  /* omp_realloc to 0 bytes frees (and gives the pool space back) */
  CHECK(omp_realloc(p, 0, a, a) == NULL, "realloc to 0 bytes returns NULL");
  p = omp_alloc(3000, a);
  CHECK(p != NULL, "3000 after realloc(p, 0)");
  /* a failed reallocation leaves the block as it was */
  memset(p, 0x5a, 3000);
  CHECK(omp_realloc(p, 8000, a, a) == NULL, "realloc beyond the pool (null_fb)");
  int same = 1;
  for (int i = 0; i < 3000; i++)
    same &= ((unsigned char *)p)[i] == 0x5a;
  CHECK(same, "a failed realloc changed the block");
  omp_free(p, a);
  if (on_arayon) {
    /* the pool counts the bytes asked for: exactly pool_size fits (libomp and libgomp count
     * their headers too) */
    p = omp_alloc(4096, a);
    CHECK(p != NULL, "exactly pool_size bytes");
    CHECK(omp_alloc(1, a) == NULL, "one byte more");
    omp_free(p, a);
  }
  /* many small blocks: never more than the pool */
  void *blk[64];
  int n = 0;
  while (n < 64 && (blk[n] = omp_alloc(100, a)) != NULL)
    n++;
  CHECK(n >= 20 && n <= 40, "%d blocks of 100 bytes in a pool of 4096", n);
  while (n > 0)
    omp_free(blk[--n], omp_null_allocator);

  /* default_mem_fb: the allocation comes from omp_default_mem_alloc */
  omp_alloctrait_t td[] = {{omp_atk_pool_size, 1000}, {omp_atk_fallback, omp_atv_default_mem_fb}};
  omp_allocator_handle_t d = make(omp_default_mem_space, 2, td);
  p = omp_alloc(5000, d);
  CHECK(p != NULL, "default_mem_fb");
  if (p)
    CHECK(fill_check(p, 5000, 3), "default_mem_fb block contents");
  omp_free(p, d);
  /* the default fallback is default_mem_fb */
  omp_alloctrait_t t0[] = {{omp_atk_pool_size, 1000}};
  omp_allocator_handle_t d0 = make(omp_default_mem_space, 1, t0);
  p = omp_alloc(5000, d0);
  CHECK(p != NULL, "the default fallback");
  omp_free(p, omp_null_allocator);

  /* allocator_fb: the allocator in fb_data, with its own pool and fallback */
  omp_alloctrait_t tb[] = {{omp_atk_pool_size, 8192}, {omp_atk_fallback, omp_atv_null_fb}};
  omp_allocator_handle_t big = make(omp_default_mem_space, 2, tb);
  omp_alloctrait_t tf[] = {{omp_atk_pool_size, 1000},
                           {omp_atk_fallback, omp_atv_allocator_fb},
                           {omp_atk_fb_data, (omp_uintptr_t)big}};
  omp_allocator_handle_t f = make(omp_default_mem_space, 3, tf);
  CHECK(big != omp_null_allocator && f != omp_null_allocator, "allocator_fb allocators");
  void *q = omp_alloc(500, f);   /* its own pool */
  void *r = omp_alloc(5000, f);  /* from big */
  void *s = omp_alloc(5000, f);  /* big is full too: null_fb */
  CHECK(q && r, "allocator_fb: %p %p", q, r);
  CHECK(s == NULL, "allocator_fb past both pools");
  omp_free(s, f);
  omp_free(r, f); /* a block of big, freed with f's handle */
  s = omp_alloc(5000, f);
  CHECK(s != NULL, "allocator_fb after freeing");
  omp_free(s, omp_null_allocator);
  omp_free(q, omp_null_allocator);
  omp_destroy_allocator(f);
  omp_destroy_allocator(big);
  omp_destroy_allocator(d0);
  omp_destroy_allocator(d);
  omp_destroy_allocator(a);
}

static void calloc_realloc(void)
{
  omp_alloctrait_t t64[] = {{omp_atk_alignment, 64}};
  omp_alloctrait_t t4k[] = {{omp_atk_alignment, 4096}};
  omp_allocator_handle_t a64 = make(omp_default_mem_space, 1, t64);
  omp_allocator_handle_t a4k = make(omp_default_mem_space, 1, t4k);
  for (int round = 0; round < 4; round++) {
    /* dirty the heap first, so that a non-zeroed block would show */
    unsigned char *junk = omp_alloc(8000, a64);
    if (junk)
      memset(junk, 0xff, 8000);
    omp_free(junk, a64);
    unsigned char *c = omp_calloc(1000, 8, a64);
    CHECK(c && aligned(c, 64), "omp_calloc: %p", (void *)c);
    int zero = 1;
    for (int i = 0; c && i < 8000; i++)
      zero &= c[i] == 0;
    CHECK(zero, "omp_calloc contents not zero");
    omp_free(c, a64);
    c = omp_aligned_calloc(256, 100, 10, omp_default_mem_alloc);
    CHECK(c && aligned(c, 256), "omp_aligned_calloc: %p", (void *)c);
    zero = 1;
    for (int i = 0; c && i < 1000; i++)
      zero &= c[i] == 0;
    CHECK(zero, "omp_aligned_calloc contents not zero");
    omp_free(c, omp_null_allocator);
  }
  /* realloc: NULL allocates */
  unsigned char *p = omp_realloc(NULL, 100, a64, omp_null_allocator);
  CHECK(p && aligned(p, 64), "realloc(NULL): %p", (void *)p);
  for (int i = 0; p && i < 100; i++)
    p[i] = (unsigned char)i;
  /* grow, same allocator */
  p = omp_realloc(p, 10000, a64, a64);
  CHECK(p && aligned(p, 64), "realloc grow: %p", (void *)p);
  int ok = 1;
  for (int i = 0; p && i < 100; i++)
    ok &= p[i] == (unsigned char)i;
  CHECK(ok, "realloc grow lost the contents");
  /* to another allocator, free_allocator named */
  p = omp_realloc(p, 50, a4k, a64);
  CHECK(p && aligned(p, 4096), "realloc to another allocator: %p", (void *)p);
  ok = 1;
  for (int i = 0; p && i < 50; i++)
    ok &= p[i] == (unsigned char)i;
  CHECK(ok, "realloc shrink lost the contents");
  /* free_allocator omp_null_allocator: the runtime finds it */
  p = omp_realloc(p, 5000, omp_default_mem_alloc, omp_null_allocator);
  CHECK(p != NULL, "realloc with free_allocator omp_null_allocator");
  ok = 1;
  for (int i = 0; p && i < 50; i++)
    ok &= p[i] == (unsigned char)i;
  CHECK(ok, "realloc lost the contents");
  CHECK(omp_realloc(p, 0, omp_default_mem_alloc, omp_default_mem_alloc) == NULL, "realloc 0");
  omp_destroy_allocator(a64);
  omp_destroy_allocator(a4k);
  if (on_arayon) {
    /* nmemb * size overflows: an allocation that cannot be made */
    omp_alloctrait_t tn[] = {{omp_atk_fallback, omp_atv_null_fb}};
    omp_allocator_handle_t n = make(omp_default_mem_space, 1, tn);
    volatile size_t half = SIZE_MAX / 2; /* (a constant would draw gcc's warning) */
    CHECK(omp_calloc(half, 4, n) == NULL, "omp_calloc overflow");
    omp_destroy_allocator(n);
  }
}

static void foreign_free(void)
{
  omp_alloctrait_t t64[] = {{omp_atk_alignment, 64}};
  omp_alloctrait_t tp[] = {{omp_atk_pool_size, 1 << 20}};
  omp_allocator_handle_t a = make(omp_default_mem_space, 1, t64);
  omp_allocator_handle_t b = make(omp_default_mem_space, 1, tp);
  void *blocks[6] = {omp_alloc(10, a), omp_alloc(20, b), omp_alloc(30, omp_default_mem_alloc),
                     omp_aligned_alloc(512, 40, a), omp_calloc(5, 5, b),
                     omp_alloc(60, omp_thread_mem_alloc)};
  for (int i = 0; i < 6; i++)
    CHECK(blocks[i] != NULL, "block %d", i);
  /* omp_free takes the allocator from the block: any argument, or omp_null_allocator */
  omp_free(blocks[0], omp_null_allocator);
  omp_free(blocks[1], omp_null_allocator);
  omp_free(blocks[2], omp_null_allocator);
  omp_free(blocks[3], omp_null_allocator);
  omp_free(blocks[4], omp_null_allocator);
  omp_free(blocks[5], omp_null_allocator);
  /* b's pool got its bytes back */
  void *all = omp_alloc((1 << 20) - 4096, b);
  CHECK(all != NULL, "b's pool after the frees");
  omp_free(all, omp_null_allocator);
  omp_destroy_allocator(a);
  omp_destroy_allocator(b);
}

static void default_allocator(void)
{
  CHECK(omp_get_default_allocator() == omp_default_mem_alloc, "def-allocator-var is %lu",
        (unsigned long)omp_get_default_allocator());
  omp_alloctrait_t t[] = {{omp_atk_alignment, 1024}};
  omp_allocator_handle_t a = make(omp_default_mem_space, 1, t);
  omp_set_default_allocator(a);
  CHECK(omp_get_default_allocator() == a, "set/get default allocator");
  void *p = omp_alloc(10, omp_null_allocator);
  CHECK(p && aligned(p, 1024), "omp_alloc(omp_null_allocator) uses the default: %p", p);
  omp_free(p, omp_null_allocator);
  omp_set_default_allocator(omp_default_mem_alloc);
  CHECK(omp_get_default_allocator() == omp_default_mem_alloc, "default restored");

  /* each thread its own: an allocator aligned to 128 << tid */
  int nt = omp_get_max_threads();
  omp_allocator_handle_t *mine = calloc((size_t)nt, sizeof *mine);
#pragma omp parallel
  {
    int id = omp_get_thread_num();
    omp_alloctrait_t ta[] = {{omp_atk_alignment, (omp_uintptr_t)128 << (id % 8)}};
    mine[id] = omp_init_allocator(omp_default_mem_space, 1, ta);
    omp_set_default_allocator(mine[id]);
#pragma omp barrier
    CHECK(omp_get_default_allocator() == mine[id], "thread %d: default allocator", id);
    for (int i = 0; i < 100; i++) {
      void *q = omp_alloc(1 + (size_t)i, omp_null_allocator);
      CHECK(q && aligned(q, (size_t)128 << (id % 8)), "thread %d: %p", id, q);
      omp_free(q, omp_null_allocator);
    }
#pragma omp barrier
    omp_set_default_allocator(omp_default_mem_alloc);
  }
  for (int i = 0; i < nt; i++)
    omp_destroy_allocator(mine[i]);
  free(mine);

  /* def-allocator-var is inherited by the implicit tasks of a region (OpenMP 5.x: a data
   * environment ICV); libomp keeps it per thread, so this is checked on arayon only. After
   * the region the primary has its own value back, unchanged by the members' sets. */
  if (on_arayon) {
    omp_set_default_allocator(a);
    int inherited = 0, members = 0;
#pragma omp parallel reduction(+ : inherited, members)
    {
      members++;
      inherited += omp_get_default_allocator() == a;
      omp_set_default_allocator(omp_default_mem_alloc); /* the member's own, for this region */
    }
    CHECK(inherited == members, "%d of %d implicit tasks inherited the default allocator",
          inherited, members);
    CHECK(omp_get_default_allocator() == a, "the primary's default allocator after the region");
    omp_set_default_allocator(omp_default_mem_alloc);
  }
  omp_destroy_allocator(a);
}

static void allocate_clause(void)
{
  omp_alloctrait_t t[] = {{omp_atk_alignment, 64}};
  omp_allocator_handle_t a = make(omp_default_mem_space, 1, t);
  int x = 7, bad = 0;
  double d = 2.5;
  /* predefined allocators: every runtime */
#pragma omp parallel firstprivate(x) private(d) allocate(omp_low_lat_mem_alloc: x, d) reduction(+: bad)
  {
    d = x * 2.0;
    bad += x != 7 || d != 14.0;
  }
  CHECK(bad == 0, "allocate(omp_low_lat_mem_alloc) privates: %d bad", bad);
  /* a custom allocator: clang 14 passes it through a 32-bit int, which breaks libomp's
   * handles (heap addresses); arayon's fit. gcc's GOMP_alloc passes the full handle. */
#ifdef __clang__
  int custom_ok = on_arayon;
#else
  int custom_ok = 1;
#endif
  if (custom_ok) {
    bad = 0;
#pragma omp parallel firstprivate(x) allocate(a: x) reduction(+: bad)
    bad += x != 7 || !aligned(&x, 64);
    CHECK(bad == 0, "allocate(custom: x) on parallel: %d bad", bad);
    bad = 0;
#pragma omp parallel for private(d) allocate(a: d) reduction(+: bad)
    for (int i = 0; i < 100; i++) {
      d = i;
      bad += !aligned(&d, 64) || d != i;
    }
    CHECK(bad == 0, "allocate(custom: d) on parallel for: %d bad", bad);
  }
  /* tasks: the values (clang keeps task privates in the task, gcc allocates them) */
  int sum = 0;
#pragma omp parallel
#pragma omp single
  for (int i = 0; i < 50; i++) {
    int v = i;
#pragma omp task firstprivate(v) allocate(omp_default_mem_alloc: v) shared(sum)
    {
#pragma omp atomic
      sum += v;
    }
  }
  CHECK(sum == 49 * 50 / 2, "tasks with allocate: sum %d", sum);
  omp_destroy_allocator(a);
}

#ifdef __clang__
/* The allocate directive (gcc 12: "sorry, unimplemented") and uses_allocators. */
static void clang_directives(void)
{
  double arr[64];
#pragma omp allocate(arr) allocator(omp_low_lat_mem_alloc)
  for (int i = 0; i < 64; i++)
    arr[i] = i;
  double s = 0;
  for (int i = 0; i < 64; i++)
    s += arr[i];
  CHECK(s == 63 * 64 / 2, "allocate directive: %g", s);
  int x = 3, r = 0;
#pragma omp target uses_allocators(omp_low_lat_mem_alloc) allocate(omp_low_lat_mem_alloc: x) firstprivate(x) map(from: r)
  {
    x++;
    r = x;
  }
  CHECK(r == 4, "uses_allocators target region: %d", r);
}

/* The entries clang emits for uses_allocators with traits (C++ only in clang 14: its C
 * parser rejects "uses_allocators(a(traits))"), called as clang's code calls them. */
extern omp_allocator_handle_t __kmpc_init_allocator(int gtid, omp_memspace_handle_t ms,
                                                    int ntraits, omp_alloctrait_t traits[]);
extern void __kmpc_destroy_allocator(int gtid, omp_allocator_handle_t al);
extern void *__kmpc_alloc(int gtid, size_t sz, omp_allocator_handle_t al);
extern void *__kmpc_calloc(int gtid, size_t nmemb, size_t sz, omp_allocator_handle_t al);
extern void *__kmpc_realloc(int gtid, void *ptr, size_t sz, omp_allocator_handle_t al,
                            omp_allocator_handle_t free_al);
extern void __kmpc_free(int gtid, void *ptr, omp_allocator_handle_t al);
extern omp_allocator_handle_t __kmpc_get_default_allocator(int gtid);
extern void __kmpc_set_default_allocator(int gtid, omp_allocator_handle_t al);
extern int __kmpc_global_thread_num(void *loc);

static void kmpc_entries(void)
{
  int gtid = __kmpc_global_thread_num(NULL);
  omp_alloctrait_t t[] = {{omp_atk_alignment, 128}, {omp_atk_pool_size, 1 << 16}};
  omp_allocator_handle_t a = __kmpc_init_allocator(gtid, omp_default_mem_space, 2, t);
  CHECK(a != omp_null_allocator, "__kmpc_init_allocator");
  void *p = __kmpc_alloc(gtid, 100, a);
  CHECK(p && aligned(p, 128), "__kmpc_alloc: %p", p);
  unsigned char *c = __kmpc_calloc(gtid, 10, 10, a);
  CHECK(c && c[0] == 0 && c[99] == 0, "__kmpc_calloc");
  p = __kmpc_realloc(gtid, p, 1000, a, a);
  CHECK(p && aligned(p, 128), "__kmpc_realloc: %p", p);
  __kmpc_free(gtid, p, a);
  __kmpc_free(gtid, c, a);
  __kmpc_set_default_allocator(gtid, a);
  CHECK(__kmpc_get_default_allocator(gtid) == a, "__kmpc_get_default_allocator");
  __kmpc_set_default_allocator(gtid, omp_default_mem_alloc);
  __kmpc_destroy_allocator(gtid, a);
}
#endif

static void partitions(void)
{
  /* partition and access traits; on one NUMA node the memory is ordinary memory */
  const omp_uintptr_t parts[] = {omp_atv_environment, omp_atv_nearest, omp_atv_blocked,
                                 omp_atv_interleaved};
  const omp_uintptr_t acc[] = {omp_atv_all, omp_atv_cgroup, omp_atv_pteam, omp_atv_thread};
  for (int i = 0; i < 4; i++) {
    for (int j = 0; j < 4; j++) {
      omp_alloctrait_t t[] = {{omp_atk_partition, parts[i]}, {omp_atk_access, acc[j]},
                              {omp_atk_alignment, 64}};
      omp_allocator_handle_t a = make(omp_default_mem_space, 3, t);
      if (on_arayon)
        CHECK(a != omp_null_allocator, "partition %lu access %lu", (unsigned long)parts[i],
              (unsigned long)acc[j]);
      if (a == omp_null_allocator)
        continue;
#pragma omp parallel
      {
        size_t n = (1u << 20) + 17u * (unsigned)omp_get_thread_num();
        unsigned char *p = omp_alloc(n, a);
        CHECK(p && aligned(p, 64), "partition %lu: %p", (unsigned long)parts[i], (void *)p);
        if (p)
          CHECK(fill_check(p, n, (unsigned)omp_get_thread_num()), "partition contents");
        p = omp_realloc(p, n / 2, a, a);
        CHECK(p != NULL, "partition realloc");
        omp_free(p, omp_null_allocator);
      }
      omp_destroy_allocator(a);
    }
  }
  /* high-bandwidth memory: none on most machines (then omp_null_allocator, as OpenMP
   * allows and libomp and libgomp do); if there is some, it is usable */
  omp_allocator_handle_t h = make(omp_high_bw_mem_space, 0, NULL);
  if (h != omp_null_allocator) {
    void *p = omp_alloc(4096, h);
    CHECK(p != NULL, "high-bandwidth allocation");
    omp_free(p, h);
    omp_destroy_allocator(h);
  }
  /* the other memory spaces are memory like the default one */
  const omp_memspace_handle_t ms[] = {omp_default_mem_space, omp_large_cap_mem_space,
                                      omp_const_mem_space, omp_low_lat_mem_space};
  for (int i = 0; i < 4; i++) {
    omp_allocator_handle_t a = make(ms[i], 0, NULL);
    CHECK(a != omp_null_allocator, "memory space %lu", (unsigned long)ms[i]);
    void *p = omp_alloc(100, a);
    if (on_arayon || ms[i] != omp_large_cap_mem_space) /* libomp: NULL without memkind */
      CHECK(p != NULL, "memory space %lu: allocation", (unsigned long)ms[i]);
    omp_free(p, a);
    omp_destroy_allocator(a);
  }
}

static void pinned(void)
{
  /* libgomp 12 refuses pinned=true (omp_null_allocator); libomp accepts and ignores it */
  omp_alloctrait_t t[] = {{omp_atk_pinned, omp_atv_true}, {omp_atk_alignment, 32}};
  omp_allocator_handle_t a = make(omp_default_mem_space, 2, t);
  if (on_arayon)
    CHECK(a != omp_null_allocator, "pinned allocator");
  if (a == omp_null_allocator)
    return;
  /* when pages cannot be locked, default_mem_fb gives ordinary memory: never NULL */
  for (int i = 0; i < 20; i++) {
    unsigned char *p = omp_alloc(1000 + (size_t)i * 5000, a);
    CHECK(p && aligned(p, 32), "pinned allocation: %p", (void *)p);
    if (p)
      CHECK(fill_check(p, 1000 + (size_t)i * 5000, (unsigned)i), "pinned contents");
    omp_free(p, a);
  }
  omp_destroy_allocator(a);
}

/* many threads, one pool: the pool is never overdrawn and every byte comes back */
static void concurrent(void)
{
  omp_alloctrait_t t[] = {{omp_atk_pool_size, 64 * 1024}, {omp_atk_fallback, omp_atv_null_fb},
                          {omp_atk_sync_hint, omp_atv_contended}};
  omp_allocator_handle_t a = make(omp_default_mem_space, 3, t);
  CHECK(a != omp_null_allocator, "concurrent pool");
  long got = 0;
#pragma omp parallel reduction(+: got)
  {
    void *mine[32];
    for (int round = 0; round < 200; round++) {
      int n = 0;
      while (n < 32 && (mine[n] = omp_alloc(1024, a)) != NULL)
        n++;
      got += n;
      while (n > 0)
        omp_free(mine[--n], omp_null_allocator);
    }
  }
  CHECK(got > 0, "no allocation succeeded");
  void *p = omp_alloc(60 * 1024, a);
  CHECK(p != NULL, "pool space did not come back");
  omp_free(p, a);
  omp_destroy_allocator(a);
}

int main(void)
{
  on_arayon = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name") != NULL;
  predefined();
  alignment();
  invalid_traits();
  pools();
  calloc_realloc();
  foreign_free();
  default_allocator();
  allocate_clause();
#ifdef __clang__
  clang_directives();
  kmpc_entries();
#endif
  partitions();
  pinned();
  concurrent();
  if (failures) {
    fprintf(stderr, "alloc_api: %d check(s) failed\n", failures);
    return 1;
  }
  printf("alloc_api: ok (%s)\n", on_arayon ? "arayon" : "reference runtime");
  return 0;
}
