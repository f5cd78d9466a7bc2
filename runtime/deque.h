/*
 * deque.h - the Chase-Lev work-stealing deque, one per worker.
 *
 * Algorithm: D. Chase and Y. Lev, "Dynamic circular work-stealing deque" (SPAA 2005), with
 * the C11 memory orders of N. M. Le, A. Pop, A. Cohen and F. Zappa Nardelli, "Correct and
 * efficient work-stealing for weak memory models" (PPoPP 2013), figure 1.
 *
 * Contract (the names say who may call what):
 *   ary_deque_push_owner  - only the owning worker; pushes at the bottom.
 *   ary_deque_pop_owner   - only the owning worker; pops at the bottom (LIFO).
 *   ary_deque_steal       - any thread; takes from the top (FIFO). May fail spuriously
 *                           with ARY_STEAL_RETRY when it loses a race.
 * Every pushed item is returned exactly once, by one pop or one steal.
 *
 * Invariants
 *   - top only grows (CAS by thieves, and by the owner for the last element).
 *   - bottom is written only by the owner.
 *   - items live in slots [top, bottom) of the current array. The array is only replaced by
 *     the owner (growth); old arrays are kept on a retired list until the deque is destroyed,
 *     because a thief may still read a slot of an old array. Slot contents are identical in
 *     the old and the new array for every index in [top, bottom) at the time of the copy, so
 *     such a read returns the right item.
 *
 * Memory orders, in the order of Le et al.:
 *   push:  the slot store is relaxed; bottom is published with a release store, so a thief
 *          that reads the new bottom with acquire also sees the slot and the task it points to.
 *          (The paper uses a release fence plus a relaxed store; a release store is the same
 *          guarantee for this access and is understood by ThreadSanitizer.)
 *   pop:   bottom-1 is stored, then a seq_cst fence orders that store before the load of top
 *          (store-load ordering: a thief must see the reservation, or we must see its CAS).
 *   steal: top is loaded (acquire), a seq_cst fence, then bottom (acquire); the CAS on top is
 *          seq_cst and decides races with other thieves and with the owner's last-element pop.
 */
#ifndef ARY_DEQUE_H
#define ARY_DEQUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARY_CACHELINE 64

typedef struct ary_deque_array {
    int64_t mask;                       /* capacity - 1; capacity is a power of two */
    struct ary_deque_array *retired;    /* older arrays, freed with the deque */
    _Atomic(void *) slot[];             /* capacity slots */
} ary_deque_array;

typedef struct ary_deque {
    /* Thieves hammer top; the owner writes bottom: keep them on separate lines. */
    _Alignas(ARY_CACHELINE) _Atomic int64_t top;
    _Alignas(ARY_CACHELINE) _Atomic int64_t bottom;
    _Atomic(ary_deque_array *) array;
    char pad_[ARY_CACHELINE - sizeof(int64_t) - sizeof(void *)];
} ary_deque;

#define ARY_STEAL_EMPTY ((void *)0)
#define ARY_STEAL_RETRY ((void *)1)

/* Initial capacity is rounded up to a power of two (minimum 16). 0 or -ENOMEM. */
int ary_deque_init(ary_deque *d, size_t capacity);
/* Frees the array and every retired array. Items still inside are not touched. */
void ary_deque_destroy(ary_deque *d);
/* Owner only; slow path of push when the array is full: doubles it. 0 or -ENOMEM. */
int ary_deque_grow(ary_deque *d);

/* Owner only. Returns 0, or -ENOMEM when growth failed (the item is not pushed). */
static inline int ary_deque_push_owner(ary_deque *d, void *item)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    ary_deque_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    if (__builtin_expect(b - t > a->mask, 0)) {
        if (ary_deque_grow(d) != 0)
            return -1;
        a = atomic_load_explicit(&d->array, memory_order_relaxed);
    }
    atomic_store_explicit(&a->slot[b & a->mask], item, memory_order_relaxed);
    atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
    return 0;
}

/* Owner only. Returns the most recently pushed item, or NULL when empty. */
static inline void *ary_deque_pop_owner(ary_deque *d)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed) - 1;
    ary_deque_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    atomic_store_explicit(&d->bottom, b, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    if (t > b) { /* empty: undo the reservation */
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
        return NULL;
    }
    void *x = atomic_load_explicit(&a->slot[b & a->mask], memory_order_relaxed);
    if (t == b) { /* last element: race the thieves for it */
        if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                     memory_order_relaxed))
            x = NULL;
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
    }
    return x;
}

/* Any thread. Returns an item, ARY_STEAL_EMPTY, or ARY_STEAL_RETRY (lost a race). */
static inline void *ary_deque_steal(ary_deque *d)
{
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_acquire);
    if (t >= b)
        return ARY_STEAL_EMPTY;
    ary_deque_array *a = atomic_load_explicit(&d->array, memory_order_acquire);
    void *x = atomic_load_explicit(&a->slot[t & a->mask], memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return ARY_STEAL_RETRY;
    return x;
}

/* Owner only: how many pushes fit before the array must grow. */
static inline size_t ary_deque_room_owner(ary_deque *d)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    ary_deque_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    int64_t room = a->mask + 1 - (b - t);
    return room > 0 ? (size_t)room : 0;
}

/* Any thread; a hint only (may be stale by the time it returns). */
static inline bool ary_deque_looks_empty(ary_deque *d)
{
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    return b <= t;
}

#endif
