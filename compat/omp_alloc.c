/*
 * omp_alloc.c - OpenMP memory management: allocators, memory spaces and their traits
 * (omp_init_allocator, omp_alloc and friends, the allocate clause's __kmpc_* entries).
 */
#include "kmp.h"
#include "kmp_abi.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KMPX_DEFAULT_MEM_ALLOC ((uintptr_t)1) /* omp_default_mem_alloc */

/* ---- memory: every allocator is malloc; handles are accepted and ignored ---- */

static _Thread_local uintptr_t def_allocator; /* 0: omp_default_mem_alloc */

void *omp_alloc(size_t size, uintptr_t allocator)
{
    (void)allocator;
    return size ? malloc(size) : NULL;
}

void *omp_aligned_alloc(size_t align, size_t size, uintptr_t allocator)
{
    (void)allocator;
    if (size == 0 || (align & (align - 1)) != 0)
        return NULL;
    if (align < sizeof(void *))
        align = sizeof(void *);
    void *p;
    return posix_memalign(&p, align, size) == 0 ? p : NULL;
}

void *omp_calloc(size_t nmemb, size_t size, uintptr_t allocator)
{
    (void)allocator;
    return nmemb && size ? calloc(nmemb, size) : NULL;
}

void *omp_aligned_calloc(size_t align, size_t nmemb, size_t size, uintptr_t allocator)
{
    size_t total;
    if (__builtin_mul_overflow(nmemb, size, &total))
        return NULL;
    void *p = omp_aligned_alloc(align, total, allocator);
    if (p)
        memset(p, 0, total);
    return p;
}

void *omp_realloc(void *ptr, size_t size, uintptr_t allocator, uintptr_t free_allocator)
{
    (void)allocator;
    (void)free_allocator;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

void omp_free(void *ptr, uintptr_t allocator)
{
    (void)allocator;
    free(ptr);
}

uintptr_t omp_init_allocator(uintptr_t memspace, int ntraits, const void *traits)
{
    (void)memspace;
    (void)ntraits;
    (void)traits;
    return KMPX_DEFAULT_MEM_ALLOC;
}

void omp_destroy_allocator(uintptr_t allocator) { (void)allocator; }

void omp_set_default_allocator(uintptr_t allocator) { def_allocator = allocator; }

uintptr_t omp_get_default_allocator(void)
{
    return def_allocator ? def_allocator : KMPX_DEFAULT_MEM_ALLOC;
}

#define KMPX_SYMVER_OMP_ALLOC
#include "gomp_symver.h"
