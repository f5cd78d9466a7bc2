/*
 * cell.c - the task and scope allocator: 64-byte cells carved from slabs.
 *
 * Steady state needs no malloc: a worker allocates from and frees to its private list
 * (inline in internal.h). When a worker's list runs dry it refills a batch from the pool's
 * stash, and only when the stash is empty too it allocates a new slab. A worker whose list
 * grows beyond ARY_FREE_HIGH (tasks spawned on one worker and finished on another) moves half
 * of it to the stash. Threads that are not workers allocate from the stash under ext_lock.
 * Slabs are freed only with the pool's memory (ary_slabs_free).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_CELLS 64 /* 4 KiB slabs; the first cell links the slab list */
#define REFILL_BATCH 64

/* Returns a slab's cells 1..SLAB_CELLS-1 as a list; cell 0 links to *slabs. */
static ary_cell *slab_new(void **slabs, size_t *count)
{
    ary_cell *slab = aligned_alloc(sizeof(ary_cell), SLAB_CELLS * sizeof(ary_cell));
    if (!slab)
        return NULL;
    slab[0].next = *slabs;
    *slabs = slab;
    for (int i = 1; i < SLAB_CELLS - 1; i++)
        slab[i].next = &slab[i + 1];
    slab[SLAB_CELLS - 1].next = NULL;
    *count = SLAB_CELLS - 1;
    return &slab[1];
}

void ary_slabs_free(void *slabs)
{
    ary_cell *s = slabs;
    while (s) {
        ary_cell *next = s->next;
        free(s);
        s = next;
    }
}

ary_cell *ary_cell_alloc_slow(ary_worker *w)
{
    ary_pool *p = w->pool;
    {
        pthread_mutex_lock(&p->ext_lock);
        size_t n = 0;
        while (p->stash && n < REFILL_BATCH) {
            ary_cell *c = p->stash;
            p->stash = c->next;
            c->next = w->free_cells;
            w->free_cells = c;
            n++;
        }
        p->nstash -= n;
        pthread_mutex_unlock(&p->ext_lock);
        w->nfree += n;
    }
    if (!w->free_cells) {
        size_t n;
        ary_cell *list = slab_new(&w->slabs, &n);
        if (!list)
            return NULL;
        w->free_cells = list;
        w->nfree = n;
    }
    ary_cell *c = w->free_cells;
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
        last = last->next;
    w->free_cells = last->next;
    w->nfree = keep;
    pthread_mutex_lock(&p->ext_lock);
    last->next = p->stash;
    p->stash = first;
    p->nstash += n;
    pthread_mutex_unlock(&p->ext_lock);
}

/* Caller holds ext_lock. */
ary_cell *ary_cell_alloc_ext(ary_pool *p)
{
    if (!p->stash) {
        size_t n;
        ary_cell *list = slab_new(&p->ext_slabs, &n);
        if (!list)
            return NULL;
        p->stash = list;
        p->nstash = n;
    }
    ary_cell *c = p->stash;
    p->stash = c->next;
    p->nstash--;
    return c;
}

void ary_cell_free_ext(ary_pool *p, ary_cell *c)
{
    pthread_mutex_lock(&p->ext_lock);
    c->next = p->stash;
    p->stash = c;
    p->nstash++;
    pthread_mutex_unlock(&p->ext_lock);
}
