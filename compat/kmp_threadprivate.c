/*
 * kmp_threadprivate.c - threadprivate variables without native TLS (clang
 * -fnoopenmp-use-tls): __kmpc_threadprivate_cached returns the calling thread's copy of a
 * variable, made on first use from the value the original had when any thread first asked
 * for the variable (before anyone could write through this call: every access goes through
 * it), i.e. its initializer. The initial thread (gtid 0) uses the original itself. Copies live as long as the thread's record (kmpx_thread
 * records are kept for the next thread after a thread exits, with their copies: threads of
 * a team are persistent, so a copy persists across regions, as the OpenMP rules ask).
 */
#include "kmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

/* Initial values, one per variable, taken at its first use by any thread. */
typedef struct tp_init {
    struct tp_init *next;
    void *orig;
    size_t size;
    unsigned char bytes[];
} tp_init;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static tp_init *inits;

static void oom(void);

static const void *initial_value(void *data, size_t size)
{
    pthread_mutex_lock(&init_lock);
    tp_init *i = inits;
    while (i && i->orig != data)
        i = i->next;
    if (!i) {
        if (!(i = malloc(sizeof *i + size)))
            oom();
        i->orig = data;
        i->size = size;
        memcpy(i->bytes, data, size);
        i->next = inits;
        inits = i;
    }
    pthread_mutex_unlock(&init_lock);
    return i->bytes;
}

typedef struct tp_entry {
    void *orig;
    void *copy;
} tp_entry;

struct kmpx_tpmap {
    size_t cap, n; /* cap a power of two; open addressing */
    tp_entry *e;
};

static void oom(void)
{
    fputs("arayon: out of memory for a threadprivate copy\n", stderr);
    abort();
}

static size_t slot(void *p, size_t cap) { return ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 7 & (cap - 1); }

static void map_grow(struct kmpx_tpmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    tp_entry *e = calloc(cap, sizeof *e);
    if (!e)
        oom();
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->e[i].orig)
            continue;
        size_t k = slot(m->e[i].orig, cap);
        while (e[k].orig)
            k = (k + 1) & (cap - 1);
        e[k] = m->e[i];
    }
    free(m->e);
    m->e = e;
    m->cap = cap;
}

KMPX_API void *__kmpc_threadprivate_cached(ident_t *loc, kmp_int32 gtid, void *data, size_t size,
                                           void ***cache);
void *__kmpc_threadprivate_cached(ident_t *loc, kmp_int32 gtid, void *data, size_t size,
                                  void ***cache)
{
    (void)loc, (void)gtid, (void)cache;
    kmpx_thread *th = kmpx_self();
    struct kmpx_tpmap *m = th->tpmap;
    if (!m && !(m = th->tpmap = calloc(1, sizeof *m)))
        oom();
    if (m->cap) {
        for (size_t k = slot(data, m->cap); m->e[k].orig; k = (k + 1) & (m->cap - 1))
            if (m->e[k].orig == data)
                return m->e[k].copy;
    }
    if (2 * (m->n + 1) > m->cap)
        map_grow(m);
    const void *init = initial_value(data, size); /* (the initial thread: taken now) */
    void *copy = data;
    if (th->gtid != 0) {
        if (!(copy = aligned_alloc(64, (size + 63) & ~(size_t)63)))
            oom();
        memcpy(copy, init, size);
    }
    size_t k = slot(data, m->cap);
    while (m->e[k].orig)
        k = (k + 1) & (m->cap - 1);
    m->e[k].orig = data;
    m->e[k].copy = copy;
    m->n++;
    return copy;
}

/* C++ constructors and destructors of threadprivate objects: copies are made bitwise here
 * (registration accepted, callbacks not used). */
KMPX_API void __kmpc_threadprivate_register(ident_t *loc, void *data, void *ctor, void *cctor,
                                            void *dtor);
void __kmpc_threadprivate_register(ident_t *loc, void *data, void *ctor, void *cctor, void *dtor)
{
    (void)loc, (void)data, (void)ctor, (void)cctor, (void)dtor;
}
