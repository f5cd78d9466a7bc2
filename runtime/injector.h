/*
 * injector.h - the injection queue: tasks spawned by threads that are not workers of the
 * pool. Many producers, and one consumer at a time (a worker that won the consumer flag).
 *
 * Algorithm: D. Vyukov's intrusive multi-producer single-consumer queue (non-blocking
 * producers: one exchange and one store; the consumer never blocks them). Nodes are task
 * records linked through task->next; a stub node keeps the queue non-empty structurally.
 *
 * Invariants
 *   - head is the last node pushed (producers exchange it); tail is the next node to pop
 *     (consumer only).
 *   - A producer between its exchange and its link store makes the chain look cut: the
 *     consumer then returns NULL although a node exists. `count` (incremented before the
 *     exchange, decremented by the consumer) tells the rest of the runtime that work exists,
 *     so nobody parks on that transient state; the consumer simply tries again later.
 *   - count's 0 -> 1 transitions are the only pushes that must wake a sleeping worker: see
 *     sleep.md, "External spawns".
 */
#ifndef ARY_INJECTOR_H
#define ARY_INJECTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

/* Producer side; any thread. Returns the count before this push. */
static inline size_t ary_inject_push(ary_injector *q, ary_task *t)
{
    size_t before = atomic_fetch_add_explicit(&q->count, 1, memory_order_seq_cst);
    atomic_store_explicit(&t->next, NULL, memory_order_relaxed);
    ary_task *prev = atomic_exchange_explicit(&q->head, t, memory_order_acq_rel);
    atomic_store_explicit(&prev->next, t, memory_order_release);
    return before;
}

/* Consumer side: only the holder of the consumer flag. Returns NULL when empty or when a
 * producer is half-way through a push. */
static inline ary_task *ary_inject_pop(ary_injector *q)
{
    ary_task *tail = q->tail;
    ary_task *next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (tail == &q->stub) {
        if (!next)
            return NULL;
        q->tail = next;
        tail = next;
        next = atomic_load_explicit(&next->next, memory_order_acquire);
    }
    if (next) {
        q->tail = next;
        return tail;
    }
    if (tail != atomic_load_explicit(&q->head, memory_order_acquire))
        return NULL; /* a producer is linking a node after tail */
    /* tail is the last node: put the stub behind it so that tail can be handed out. */
    atomic_store_explicit(&q->stub.next, NULL, memory_order_relaxed);
    ary_task *prev = atomic_exchange_explicit(&q->head, &q->stub, memory_order_acq_rel);
    atomic_store_explicit(&prev->next, &q->stub, memory_order_release);
    next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (next) {
        q->tail = next;
        return tail;
    }
    return NULL;
}

static inline bool ary_inject_try_consume(ary_injector *q)
{
    return !atomic_load_explicit(&q->consumer, memory_order_relaxed) &&
           !atomic_exchange_explicit(&q->consumer, 1, memory_order_acquire);
}

static inline void ary_inject_end_consume(ary_injector *q, size_t taken)
{
    if (taken)
        atomic_fetch_sub_explicit(&q->count, taken, memory_order_relaxed);
    atomic_store_explicit(&q->consumer, 0, memory_order_release);
}

static inline void ary_inject_init(ary_injector *q)
{
    atomic_init(&q->stub.next, NULL);
    atomic_init(&q->head, &q->stub);
    q->tail = &q->stub;
    atomic_init(&q->count, 0);
    atomic_init(&q->consumer, 0);
}

#endif
