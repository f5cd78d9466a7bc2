/*
 * kmp_taskred.c - task reductions (taskgroup task_reduction + task in_reduction, and
 * taskloop reduction): __kmpc_taskred_init, __kmpc_task_reduction_init (the older form),
 * __kmpc_task_reduction_get_th_data. Each item gets one private copy per worker record of
 * the pool (indexed by the executing thread's worker, so any thread that runs a task of the
 * group has its own copy, whatever team it belongs to) plus one for threads without one; the
 * end of the taskgroup combines them into the original and finalizes them.
 */
#include "kmp_task.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kmp_taskred_input {
    void *reduce_shar;
    void *reduce_orig;
    size_t reduce_size;
    void *reduce_init;
    void *reduce_fini;
    void *reduce_comb;
    kmp_uint32 flags;
} kmp_taskred_input_t;

typedef struct kmp_task_red_input { /* clang < 9: no reduce_orig */
    void *reduce_shar;
    size_t reduce_size;
    void *reduce_init;
    void *reduce_fini;
    void *reduce_comb;
    kmp_uint32 flags;
} kmp_task_red_input_t;

typedef struct red_item {
    void *shar, *orig;
    size_t size;    /* rounded up to 64 bytes: copies on separate cache lines */
    void *init, *fini, *comb;
    bool init_has_orig;
    char *priv;     /* nslots x size */
} red_item;

typedef struct kmpx_taskred {
    struct kmpx_taskred *next; /* another registration on the same group */
    int n;
    unsigned nslots;
    red_item item[];
} kmpx_taskred;

static unsigned slot_of(kmpx_thread *th, unsigned nslots)
{
    return th->worker && th->worker->index + 1 < nslots ? th->worker->index : nslots - 1;
}

static kmpx_taskred *red_new(int n)
{
    kmpx_taskred *r = calloc(1, sizeof *r + (size_t)n * sizeof(red_item));
    if (!r) {
        fputs("arayon: out of memory for a task reduction\n", stderr);
        abort();
    }
    r->n = n;
    r->nslots = (kmpx_pool ? kmpx_pool->nworkers : 0) + 1;
    return r;
}

static void item_setup(kmpx_taskred *r, red_item *it)
{
    it->size = (it->size + 63) & ~(size_t)63;
    if (!it->size)
        it->size = 64;
    it->priv = aligned_alloc(64, it->size * r->nslots);
    if (!it->priv) {
        fputs("arayon: out of memory for a task reduction\n", stderr);
        abort();
    }
    for (unsigned s = 0; s < r->nslots; s++) {
        char *p = it->priv + (size_t)s * it->size;
        if (!it->init)
            memset(p, 0, it->size);
        else if (it->init_has_orig)
            ((void (*)(void *, void *))it->init)(p, it->orig);
        else
            ((void (*)(void *))it->init)(p);
    }
}

static void *attach(kmpx_taskred *r)
{
    kmpx_thread *th = kmpx_self();
    kmpx_taskgroup *g = th->task->cur_tg;
    if (!g) { /* no taskgroup open: nothing would ever combine the copies */
        free(r);
        return NULL;
    }
    for (int i = 0; i < r->n; i++)
        item_setup(r, &r->item[i]);
    r->next = g->red;
    g->red = r;
    return g;
}

KMPX_API void *__kmpc_taskred_init(int gtid, int num, void *data);
void *__kmpc_taskred_init(int gtid, int num, void *data)
{
    (void)gtid;
    if (num <= 0 || !data)
        return NULL;
    kmp_taskred_input_t *in = data;
    kmpx_taskred *r = red_new(num);
    for (int i = 0; i < num; i++) {
        red_item *it = &r->item[i];
        it->shar = in[i].reduce_shar;
        it->orig = in[i].reduce_orig ? in[i].reduce_orig : in[i].reduce_shar;
        it->size = in[i].reduce_size;
        it->init = in[i].reduce_init;
        it->fini = in[i].reduce_fini;
        it->comb = in[i].reduce_comb;
        it->init_has_orig = true;
    }
    return attach(r);
}

KMPX_API void *__kmpc_task_reduction_init(int gtid, int num, void *data);
void *__kmpc_task_reduction_init(int gtid, int num, void *data)
{
    (void)gtid;
    if (num <= 0 || !data)
        return NULL;
    kmp_task_red_input_t *in = data;
    kmpx_taskred *r = red_new(num);
    for (int i = 0; i < num; i++) {
        red_item *it = &r->item[i];
        it->shar = it->orig = in[i].reduce_shar;
        it->size = in[i].reduce_size;
        it->init = in[i].reduce_init;
        it->fini = in[i].reduce_fini;
        it->comb = in[i].reduce_comb;
        it->init_has_orig = false;
    }
    return attach(r);
}

static void *lookup(kmpx_taskred *r, kmpx_thread *th, void *d, bool *found)
{
    *found = false;
    unsigned slot_thread = slot_of(th, r->nslots);
    for (int i = 0; i < r->n; i++) {
        red_item *it = &r->item[i];
        if (d == it->shar || d == it->orig) {
            *found = true;
            return it->priv + (size_t)(slot_thread < r->nslots ? slot_thread : r->nslots - 1) * it->size;
        }
        if ((char *)d >= it->priv && (char *)d < it->priv + it->size * r->nslots) {
            /* Another thread's copy (a parent passing its own to a child): this thread
             * works on its own, as in libomp, or two threads would update one copy. */
            *found = true;
            return it->priv + (size_t)slot_thread * it->size;
        }
    }
    return NULL;
}

KMPX_API void *__kmpc_task_reduction_get_th_data(int gtid, void *tg, void *d);
void *__kmpc_task_reduction_get_th_data(int gtid, void *tg, void *d)
{
    (void)gtid;
    kmpx_thread *th = kmpx_self();
    kmpx_taskgroup *g = tg;
    if (!g) /* search the groups the current task is in, innermost first */
        g = th->task->cur_tg ? th->task->cur_tg : th->task->tg;
    for (; g; g = g->enclosing) {
        for (kmpx_taskred *r = g->red; r; r = r->next) {
            bool found;
            void *p = lookup(r, th, d, &found);
            if (found)
                return p;
        }
        if (tg)
            break;
    }
    return d; /* not a reduction item: the original */
}

void kmpx_taskred_finish(kmpx_taskgroup *g)
{
    kmpx_taskred *r = g->red, *next;
    g->red = NULL;
    for (; r; r = next) {
        next = r->next;
        for (int i = 0; i < r->n; i++) {
            red_item *it = &r->item[i];
            for (unsigned s = 0; s < r->nslots; s++) {
                char *p = it->priv + (size_t)s * it->size;
                ((void (*)(void *, void *))it->comb)(it->shar, p);
                if (it->fini)
                    ((void (*)(void *))it->fini)(p);
            }
            free(it->priv);
        }
        free(r);
    }
}

/* reduction(task, op: x) on a parallel or worksharing construct: each thread's task
 * reductions combine into its own private copy of x (which the construct's ordinary
 * reduction then combines into x), through a taskgroup the thread opens here and closes in
 * the fini call. */
KMPX_API void *__kmpc_taskred_modifier_init(ident_t *loc, int gtid, int is_ws, int num, void *data);
void *__kmpc_taskred_modifier_init(ident_t *loc, int gtid, int is_ws, int num, void *data)
{
    (void)is_ws;
    __kmpc_taskgroup(loc, gtid);
    return __kmpc_taskred_init(gtid, num, data);
}

KMPX_API void *__kmpc_task_reduction_modifier_init(ident_t *loc, int gtid, int is_ws, int num,
                                                   void *data);
void *__kmpc_task_reduction_modifier_init(ident_t *loc, int gtid, int is_ws, int num, void *data)
{
    (void)is_ws;
    __kmpc_taskgroup(loc, gtid);
    return __kmpc_task_reduction_init(gtid, num, data);
}

KMPX_API void __kmpc_task_reduction_modifier_fini(ident_t *loc, int gtid, int is_ws);
void __kmpc_task_reduction_modifier_fini(ident_t *loc, int gtid, int is_ws)
{
    (void)is_ws;
    __kmpc_end_taskgroup(loc, gtid);
}
