/*
 * cell.c - the task and scope allocator: 64-byte cells carved from slabs.
 *
 * Steady state needs no malloc: a worker allocates from and frees to its private list
 * (inline in internal.h). A worker whose list grows beyond ARY_FREE_HIGH (tasks spawned on one
 * worker and finished on another) moves half of it to the pool as one batch; a worker whose
 * list runs dry takes a whole batch back (one pointer move under the lock: the cells of a
 * batch were last touched by another core, so walking them would miss the cache on each),
 * else single cells from the stash, and only when both are empty it allocates a new slab.
 * Threads that are not workers allocate through a small thread-local cache refilled from the
 * stash (below).
 * Slabs are freed only with the pool's memory (ary_slabs_free).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_CELLS (ARY_SLAB_BYTES / sizeof(ary_cell)) /* the first cell is the header */
#define REFILL_BATCH 64

/* Slabs are allocated SLABS_PER_CHUNK at a time: glibc gives every 4 KiB-aligned 4 KiB block
 * a page of its own bookkeeping, which would double the memory of each pending task. */
#define SLABS_PER_CHUNK 16u

/* Returns the cells of a new chunk of slabs as a list. Cell 0 of each slab is its header and
 * names the pool; the first slab's header also links the chunk into *slabs. */
static ary_cell *slab_new(ary_pool *p, void **slabs, size_t *count)
{
    ary_cell *chunk = aligned_alloc(ARY_SLAB_BYTES, (size_t)ARY_SLAB_BYTES * SLABS_PER_CHUNK);
    if (!chunk)
        return NULL;
    ary_cell *head = NULL;
    size_t n = 0;
    for (unsigned k = SLABS_PER_CHUNK; k-- > 0;) {
        ary_cell *slab = chunk + (size_t)k * SLAB_CELLS;
        slab[0].slab.next_slab = NULL;
        slab[0].slab.pool = p;
        for (size_t i = SLAB_CELLS - 1; i >= 1; i--) {
            slab[i].next = head;
            ary_cell_poison(&slab[i]);
            head = &slab[i];
            n++;
        }
    }
    chunk[0].slab.next_slab = *slabs;
    *slabs = chunk;
    *count = n;
    return head;
}

void ary_slabs_free(void *slabs)
{
    ary_cell *s = slabs;
    while (s) {
        ary_cell *next = s->slab.next_slab;
        free(s);
        s = next;
    }
}

ary_cell *ary_cell_alloc_slow(ary_worker *w)
{
    ary_pool *p = w->pool;
    {
        pthread_mutex_lock(&p->ext_lock);
        ary_cell *b = p->batches;
        if (b) {
            ary_cell_unpoison(b); /* (handed out) */
            p->batches = b->batch.next_batch;
            pthread_mutex_unlock(&p->ext_lock);
            w->free_cells = b->next;
            w->nfree = b->batch.n - 1;
            return b;
        }
        size_t n = 0;
        while (p->stash && n < REFILL_BATCH) {
            ary_cell *c = p->stash;
            p->stash = ary_cell_next(c);
            ary_cell_set_next(c, w->free_cells);
            w->free_cells = c;
            n++;
        }
        p->nstash -= n;
        pthread_mutex_unlock(&p->ext_lock);
        w->nfree += n;
    }
    if (!w->free_cells) {
        size_t n;
        ary_cell *list = slab_new(p, &w->slabs, &n);
        if (list && p->pl.nnodes > 1) /* the worker's cells live on its node (checked) */
            ary_note_membind(p, w->index,
                             ary_topo_membind(p->topo, &p->pl, (void *)((uintptr_t)list & ~(uintptr_t)(ARY_SLAB_BYTES - 1)),
                                              (size_t)ARY_SLAB_BYTES * SLABS_PER_CHUNK, w->node));
        if (!list)
            return NULL;
        w->free_cells = list;
        w->nfree = n;
    }
    ary_cell *c = w->free_cells;
    ary_cell_unpoison(c);
    w->free_cells = c->next;
    w->nfree--;
    return c;
}

void ary_cell_free_slow(ary_worker *w)
{
    ary_pool *p = w->pool;
    size_t keep = ARY_FREE_HIGH / 2, n = w->nfree - keep;
    ary_cell *first = w->free_cells, *last = first;
    for (size_t i = 1; i < n; i++)
        last = ary_cell_next(last);
    w->free_cells = ary_cell_next(last);
    w->nfree = keep;
    ary_cell_set_next(last, NULL);
    pthread_mutex_lock(&p->ext_lock);
    ary_cell_unpoison(first);
    first->batch.n = n;
    first->batch.next_batch = p->batches;
    ary_cell_poison(first); /* (before the unlock: then it is another thread's) */
    p->batches = first;
    pthread_mutex_unlock(&p->ext_lock);
}

/* Threads that are not workers keep a small cache of one pool's cells in thread-local
 * storage, so an outside producer takes ext_lock once per
 * CACHE_BATCH spawns. The cache holds a reference on its pool; it is flushed when the thread
 * uses another pool, when the thread exits (a pthread key destructor), and by
 * arayon_pool_destroy for the calling thread. */
#define CACHE_BATCH 32
#define CACHE_MAX 64

typedef ary_ext_cache ext_cache;
ARY_TLS ary_ext_cache ary_tls_ext;
#define tls_cache ary_tls_ext
static pthread_key_t cache_key;
static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;

static void cache_flush(ext_cache *k)
{
    ary_pool *p = k->pool;
    if (!p)
        return;
    if (k->cells) {
        ary_cell *last = k->cells;
        ary_cell *next;
        while ((next = ary_cell_next(last)) != NULL)
            last = next;
        pthread_mutex_lock(&p->ext_lock);
        ary_cell_set_next(last, p->stash);
        p->stash = k->cells;
        p->nstash += k->n;
        pthread_mutex_unlock(&p->ext_lock);
    }
    k->pool = NULL;
    k->cells = NULL;
    k->n = 0;
    ary_pool_unref(p);
}

static void cache_thread_exit(void *arg)
{
    (void)arg;
    cache_flush(&tls_cache);
}

static void cache_key_create(void) { pthread_key_create(&cache_key, cache_thread_exit); }

void ary_ext_cache_flush(ary_pool *p)
{
    if (tls_cache.pool == p)
        cache_flush(&tls_cache);
}

void ary_ext_cache_bind(ary_pool *p)
{
    ext_cache *k = &tls_cache;
    if (k->pool == p)
        return;
    cache_flush(k);
    pthread_once(&cache_key_once, cache_key_create);
    pthread_setspecific(cache_key, k); /* arms the destructor */
    ary_pool_ref(p);
    k->pool = p;
}

ary_cell *ary_cell_alloc_ext(ary_pool *p)
{
    ext_cache *k = &tls_cache;
    if (ARY_LIKELY(k->pool == p && k->cells)) {
        ary_cell *c = k->cells;
        ary_cell_unpoison(c);
        k->cells = c->next;
        k->n--;
        return c;
    }
    ary_ext_cache_bind(p);
    pthread_mutex_lock(&p->ext_lock);
    if (!p->stash && p->batches) { /* cells the workers freed in batches (a producer outside
                                      the pool whose tasks finish on the workers) */
        ary_cell *b = p->batches;
        ary_cell_unpoison(b);
        p->batches = b->batch.next_batch;
        p->stash = b;
        p->nstash = b->batch.n;
        ary_cell_poison(b);
    }
    if (!p->stash) {
        size_t n;
        ary_cell *list = slab_new(p, &p->ext_slabs, &n);
        if (!list) {
            pthread_mutex_unlock(&p->ext_lock);
            return NULL;
        }
        p->stash = list;
        p->nstash = n;
    }
    /* Take one for the caller and up to CACHE_BATCH more for the cache. */
    ary_cell *c = p->stash;
    ary_cell_unpoison(c);
    p->stash = c->next;
    p->nstash--;
    while (p->stash && k->n < CACHE_BATCH) {
        ary_cell *x = p->stash;
        p->stash = ary_cell_next(x);
        ary_cell_set_next(x, k->cells);
        k->cells = x;
        k->n++;
        p->nstash--;
    }
    pthread_mutex_unlock(&p->ext_lock);
    return c;
}

void ary_cell_free_ext(ary_pool *p, ary_cell *c)
{
    ext_cache *k = &tls_cache;
    if (k->pool == p && k->n < CACHE_MAX) {
        c->next = k->cells;
        ary_cell_poison(c);
        k->cells = c;
        k->n++;
        return;
    }
    pthread_mutex_lock(&p->ext_lock);
    c->next = p->stash;
    ary_cell_poison(c);
    p->stash = c;
    p->nstash++;
    pthread_mutex_unlock(&p->ext_lock);
}
