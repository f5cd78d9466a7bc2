/*
 * kmp_depend.c - task dependences: __kmpc_omp_task_with_deps, __kmpc_omp_wait_deps.
 *
 * Edges exist between siblings only, so each task keeps, for its children, a table from
 * address to the last writer and the readers since (kmpx_dtable). Only the task itself
 * creates children, so its table is touched by one thread at a time; the table holds a
 * reference on every task it names and is freed when the owner has created all its
 * children (its completion, or the end of an implicit task).
 *
 * A task with dependences has a node (kmpx_dnode): npred counts its predecessors not yet
 * complete plus one held while the edges are being added; the thread that takes it to zero
 * queues the task. A predecessor's successor list is guarded by its lock together with its
 * `done` flag, so an edge is added only to a predecessor that will still release it.
 * `taskwait depend` and undeferred tasks use a node on the waiting thread's stack with
 * `waiter` set: the releaser wakes that worker instead of queueing a task (it reads the
 * node's fields before the decrement that may let the waiter return).
 *
 * Matching is by start address, as in both OpenMP runtimes; mutexinoutset is ordered like
 * inout (mutual exclusion holds; the tasks of a run of mutexinoutset lose their freedom to
 * run in any order, not their correctness).
 *
 * Out of memory (docs/design/openmp-compat.md, "Running out of memory"): an edge that cannot
 * be stored is waited for instead (the creating thread helps until that predecessor is done:
 * edge); a task whose own dependences cannot all be recorded (no node, no table, no record)
 * would be invisible to its later siblings, so it runs at once, undeferred, once its
 * predecessors are done, before the creating thread goes on. A table that cannot grow keeps
 * its buckets. Waiting is safe while no detached task was ever recorded among the siblings:
 * predecessors are earlier siblings, which complete without anything the creating thread does
 * later; a detached one completes only at its fulfil, which may be this thread's next step.
 * So with a detached sibling recorded (kmpx_dtable.had_detached), and for a detached task
 * itself (it must be recorded: it completes later), running out of memory here is fatal.
 */
#include "kmp_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DEP_IN = KMPX_DEP_IN, DEP_OUT = KMPX_DEP_OUT, DEP_MTX = KMPX_DEP_MTX };

KMPX_API void __kmpc_omp_wait_deps(ident_t *loc, kmp_int32 gtid, kmp_int32 ndeps,
                                   kmp_depend_info *dep_list, kmp_int32 ndeps_noalias,
                                   kmp_depend_info *noalias_dep_list);

typedef struct kmpx_dnode {
    _Atomic uint32_t lock;
    bool done;
    _Atomic int32_t npred;
    struct kmpx_dnode **succ;
    uint32_t nsucc, cap;
    kmpx_task *task;            /* NULL for a waiter */
    ary_worker *waiter;
} kmpx_dnode;

typedef struct dep_rec {
    intptr_t addr;
    kmpx_task *writer;
    kmpx_task **readers;
    uint32_t nreaders, cap;
    struct dep_rec *next;
} dep_rec;

typedef struct kmpx_dtable {
    uint32_t nbuckets, n;
    dep_rec **buckets;
    bool had_detached; /* a detached task was recorded: the fallbacks may not wait (below) */
} kmpx_dtable;

static _Noreturn void oom(void)
{
    fputs("arayon: out of memory recording OpenMP task dependences\n", stderr);
    abort();
}

static inline uint32_t hash_addr(intptr_t a, uint32_t nbuckets)
{
    uint64_t x = (uint64_t)a * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 40) & (nbuckets - 1);
}

static bool table_grow(kmpx_dtable *t)
{
    uint32_t nb = t->nbuckets ? t->nbuckets * 2 : 64;
    dep_rec **b = calloc(nb, sizeof *b);
    if (!b)
        return false;
    for (uint32_t i = 0; i < t->nbuckets; i++) {
        for (dep_rec *r = t->buckets[i], *next; r; r = next) {
            next = r->next;
            uint32_t h = hash_addr(r->addr, nb);
            r->next = b[h];
            b[h] = r;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
    return true;
}

/* The record of addr; with insert, made when missing. NULL: none, or no memory to make it. */
static dep_rec *table_find(kmpx_dtable *t, intptr_t addr, bool insert)
{
    if (t->nbuckets) {
        for (dep_rec *r = t->buckets[hash_addr(addr, t->nbuckets)]; r; r = r->next)
            if (r->addr == addr)
                return r;
    }
    if (!insert)
        return NULL;
    if (t->n >= t->nbuckets && !table_grow(t) && !t->nbuckets)
        return NULL; /* (a table that cannot grow keeps its buckets: longer chains) */
    dep_rec *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->addr = addr;
    uint32_t h = hash_addr(addr, t->nbuckets);
    r->next = t->buckets[h];
    t->buckets[h] = r;
    t->n++;
    return r;
}

void kmpx_deps_free_table(kmpx_task *owner)
{
    kmpx_dtable *t = owner->dtable;
    if (!t)
        return;
    owner->dtable = NULL;
    for (uint32_t i = 0; i < t->nbuckets; i++) {
        for (dep_rec *r = t->buckets[i], *next; r; r = next) {
            next = r->next;
            if (r->writer)
                kmpx_task_unref(r->writer);
            for (uint32_t k = 0; k < r->nreaders; k++)
                kmpx_task_unref(r->readers[k]);
            free(r->readers);
            free(r);
        }
    }
    free(t->buckets);
    free(t);
}

void kmpx_deps_free_node(kmpx_task *t)
{
    kmpx_dnode *d = t->dnode;
    free(d->succ);
    free(d);
    t->dnode = NULL;
}

/* succ waits for pred unless pred has completed already; false when no memory for the edge
 * (pred not done). */
static bool add_edge(kmpx_task *pred, kmpx_dnode *succ)
{
    kmpx_dnode *p = pred->dnode;
    bool ok = true;
    kmpx_lock_acquire(&p->lock);
    if (!p->done) {
        if (p->nsucc == p->cap) {
            uint32_t cap = p->cap ? p->cap * 2 : 4;
            kmpx_dnode **q = realloc(p->succ, cap * sizeof *q);
            if (q) {
                p->succ = q;
                p->cap = cap;
            } else {
                ok = false;
            }
        }
        if (ok) {
            p->succ[p->nsucc++] = succ;
            atomic_fetch_add_explicit(&succ->npred, 1, memory_order_relaxed);
        }
    }
    kmpx_lock_release(&p->lock);
    return ok;
}

/* Helps (runs other tasks) until done(ctx), for the fallbacks' waits, which nobody signals. */
static void help_until(bool (*done)(void *), void *ctx)
{
    ary_worker *w = kmpx_self()->worker;
    while (!done(ctx))
        if (!w || !ary_run_one(w))
            aryd_yield();
}

static bool node_done(void *ctx)
{
    kmpx_dnode *p = ctx;
    kmpx_lock_acquire(&p->lock);
    bool done = p->done;
    kmpx_lock_release(&p->lock);
    return done;
}

/* An edge, or (no memory for it) the wait for pred it stands for: a waiter node waits for
 * its predecessors anyway; the node of a task may wait unless a detached sibling was
 * recorded (above). The caller's table holds a reference on pred, which keeps its node alive
 * meanwhile. */
static void edge(const kmpx_dtable *tbl, kmpx_task *pred, kmpx_dnode *succ)
{
    if (ARY_LIKELY(add_edge(pred, succ)))
        return;
    if (succ->task && tbl->had_detached)
        oom();
    help_until(node_done, pred->dnode);
}

static void node_ready(kmpx_dnode *d)
{
    kmpx_task *task = d->task;
    ary_worker *waiter = d->waiter;
    if (atomic_fetch_sub_explicit(&d->npred, 1, memory_order_acq_rel) != 1)
        return;
    if (task)
        kmpx_task_submit(kmpx_self(), task);
    else
        ary_wake_worker(waiter);
}

void kmpx_deps_release(kmpx_task *t)
{
    kmpx_dnode *d = t->dnode;
    kmpx_lock_acquire(&d->lock);
    d->done = true;
    kmpx_dnode **succ = d->succ;
    uint32_t n = d->nsucc;
    d->succ = NULL;
    d->nsucc = d->cap = 0;
    kmpx_lock_release(&d->lock);
    for (uint32_t i = 0; i < n; i++)
        node_ready(succ[i]);
    free(succ);
}

/* Adds the edges for one dependence of node d; with `record`, d's task becomes the address's
 * writer or one of its readers. False when it could not be recorded (no memory). */
static bool depend_one(kmpx_dtable *tbl, kmpx_dnode *d, intptr_t addr, uint8_t flags, bool record)
{
    dep_rec *r = table_find(tbl, addr, record);
    if (!r)
        return !record;
    kmpx_task *self = d->task;
    if (flags & (DEP_OUT | DEP_MTX)) {
        if (r->nreaders) {
            for (uint32_t k = 0; k < r->nreaders; k++) {
                edge(tbl, r->readers[k], d);
                if (record)
                    kmpx_task_unref(r->readers[k]);
            }
            if (record)
                r->nreaders = 0;
        } else if (r->writer) {
            edge(tbl, r->writer, d);
        }
        if (record) {
            if (r->writer)
                kmpx_task_unref(r->writer);
            kmpx_task_ref(self);
            r->writer = self;
        }
    } else {
        if (r->writer)
            edge(tbl, r->writer, d);
        if (record) {
            if (r->nreaders == r->cap) {
                uint32_t cap = r->cap ? r->cap * 2 : 4;
                kmpx_task **q = realloc(r->readers, cap * sizeof *q);
                if (!q)
                    return false;
                r->readers = q;
                r->cap = cap;
            }
            kmpx_task_ref(self);
            r->readers[r->nreaders++] = self;
        }
    }
    return true;
}

/* Both lists, each address once with the strongest kind (out/mtx over in). False when some
 * dependence could not be recorded (every edge is in place or was waited for anyway). */
static bool depend_all(kmpx_dtable *tbl, kmpx_dnode *d, kmp_int32 n1, kmp_depend_info *l1,
                       kmp_int32 n2, kmp_depend_info *l2, bool record)
{
    bool recorded = true;
    kmp_int32 n = n1 + n2;
    for (kmp_int32 i = 0; i < n; i++) {
        kmp_depend_info *e = i < n1 ? &l1[i] : &l2[i - n1];
        uint8_t flags = e->flags;
        bool dup = false;
        for (kmp_int32 j = 0; j < n && !dup; j++) {
            kmp_depend_info *o = j < n1 ? &l1[j] : &l2[j - n1];
            if (j == i || o->base_addr != e->base_addr)
                continue;
            if (j < i)
                dup = true; /* handled at its first occurrence */
            else
                flags |= o->flags;
        }
        if (!dup && (flags & (DEP_IN | DEP_OUT | DEP_MTX)))
            recorded &= depend_one(tbl, d, e->base_addr, flags, record);
    }
    return recorded;
}

static bool held_only(void *ctx)
{
    return atomic_load_explicit(&((kmpx_dnode *)ctx)->npred, memory_order_acquire) == 1;
}

KMPX_API kmp_int32 __kmpc_omp_task_with_deps(ident_t *loc, kmp_int32 gtid, void *new_task,
                                             kmp_int32 ndeps, kmp_depend_info *dep_list,
                                             kmp_int32 ndeps_noalias,
                                             kmp_depend_info *noalias_dep_list);
kmp_int32 __kmpc_omp_task_with_deps(ident_t *loc, kmp_int32 gtid, void *new_task,
                                    kmp_int32 ndeps, kmp_depend_info *dep_list,
                                    kmp_int32 ndeps_noalias, kmp_depend_info *noalias_dep_list)
{
    kmpx_thread *th = kmpx_self();
    kmpx_task *t = kmpx_td(new_task);
    if (ndeps + ndeps_noalias <= 0 || t->dnode) /* (t->dnode: an untied task's next part) */
        return __kmpc_omp_task(loc, gtid, new_task);
    /* An included task may run at once when no sibling was deferred with dependences (its
     * earlier siblings were included, so complete). Otherwise a sibling may still be pending
     * (a detached one, whose event a later task may fulfil): then it is deferred like any
     * task with dependences, if this thread can queue it. */
    if (kmpx_task_included(th, t) && (!t->parent->dtable || !th->worker))
        return __kmpc_omp_task(loc, gtid, new_task);
    kmpx_task *parent = t->parent;
    kmpx_dnode *d = calloc(1, sizeof *d);
    if (d && !parent->dtable)
        parent->dtable = calloc(1, sizeof *parent->dtable);
    if (ARY_UNLIKELY(!d || !parent->dtable || !kmpx_task_countable(parent))) {
        /* Out of memory: undeferred, after its predecessors (none without a table). */
        free(d);
        if ((t->flags & KMPX_TF_DETACH) || (parent->dtable && parent->dtable->had_detached))
            oom();
        __kmpc_omp_wait_deps(loc, gtid, ndeps, dep_list, ndeps_noalias, noalias_dep_list);
        kmpx_task_run_undeferred(th, t);
        return 0;
    }
    kmpx_task_register(t);
    atomic_fetch_add_explicit(&t->runs, 1, memory_order_relaxed);
    d->task = t;
    atomic_store_explicit(&d->npred, 1, memory_order_relaxed);
    t->dnode = d;
    if (t->flags & KMPX_TF_DETACH)
        parent->dtable->had_detached = true;
    if (ARY_LIKELY(depend_all(parent->dtable, d, ndeps, dep_list, ndeps_noalias,
                              noalias_dep_list, true))) {
        node_ready(d);
        return 0;
    }
    /* Not all recorded (no memory): later siblings would not wait for t, so t runs now, once
     * its predecessors are done (then only the hold of 1 is left: nobody else decrements). */
    if (parent->dtable->had_detached)
        oom();
    help_until(held_only, d);
    atomic_store_explicit(&d->npred, 0, memory_order_relaxed);
    kmpx_task_run_here(th, t);
    return 0;
}

typedef struct waiter_ctx {
    kmpx_dnode *node;
} waiter_ctx;

static bool preds_done(void *ctx)
{
    return atomic_load_explicit(&((kmpx_dnode *)ctx)->npred, memory_order_acquire) == 0;
}

KMPX_API void __kmpc_omp_wait_deps(ident_t *loc, kmp_int32 gtid, kmp_int32 ndeps,
                                   kmp_depend_info *dep_list, kmp_int32 ndeps_noalias,
                                   kmp_depend_info *noalias_dep_list);
void __kmpc_omp_wait_deps(ident_t *loc, kmp_int32 gtid, kmp_int32 ndeps, kmp_depend_info *dep_list,
                          kmp_int32 ndeps_noalias, kmp_depend_info *noalias_dep_list)
{
    (void)loc, (void)gtid;
    kmpx_thread *th = kmpx_self();
    kmpx_task *parent = th->task;
    if (!parent->dtable || !th->worker)
        return; /* no sibling was deferred with dependences */
    kmpx_dnode d;
    memset(&d, 0, sizeof d);
    d.waiter = th->worker;
    atomic_store_explicit(&d.npred, 1, memory_order_relaxed);
    depend_all(parent->dtable, &d, ndeps, dep_list, ndeps_noalias, noalias_dep_list, false);
    if (atomic_fetch_sub_explicit(&d.npred, 1, memory_order_acq_rel) == 1)
        return;
    ary_wait_until(th->worker, preds_done, &d);
}

/* Newer clang's taskwait with dependences. */
KMPX_API void __kmpc_omp_taskwait_deps_51(ident_t *loc, kmp_int32 gtid, kmp_int32 ndeps,
                                          kmp_depend_info *dep_list, kmp_int32 ndeps_noalias,
                                          kmp_depend_info *noalias_dep_list, kmp_int32 has_no_wait);
void __kmpc_omp_taskwait_deps_51(ident_t *loc, kmp_int32 gtid, kmp_int32 ndeps,
                                 kmp_depend_info *dep_list, kmp_int32 ndeps_noalias,
                                 kmp_depend_info *noalias_dep_list, kmp_int32 has_no_wait)
{
    (void)has_no_wait;
    __kmpc_omp_wait_deps(loc, gtid, ndeps, dep_list, ndeps_noalias, noalias_dep_list);
}
