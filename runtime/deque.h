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
 *                           with ARY_STEAL_RETRY when it loses a race (ary_deque_steal_as:
 *                           the same within a thief's segment, below.)
 * Every pushed item is returned exactly once, by one pop or one steal.
 *
 * Seals (nested teams: runtime/team.h). The owner may seal its deque for the thieves that
 * steal with a given tag (ary_deque_seal): the items pushed from then on form a segment of
 * their own. A thief that steals with a tag (ary_deque_steal_as) takes the top item only
 * when it lies in its segment: [seal_at[k], seal_at[k+1]) for the seal k with its tag, or
 * below the first seal for a tag no seal names. The owner's pops stop at its last seal, and
 * ary_deque_unseal (the owner again) removes the last seal once its segment is empty. So a
 * thread that is in several nested teams at once keeps each team's items apart in its one
 * deque: an outer team's members take the outer items, the inner team's the inner ones.
 * Ordering: a seal is written before the items pushed after it are published (bottom, with
 * release), so a thief that sees such an item in [top, bottom) also sees the seal. The
 * seals are read under a sequence count (the owner writes them between an odd and an even
 * value), so a thief never combines parts of two seals; without any seal (the common case)
 * a steal reads one more word, on bottom's cache line.
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

#define ARY_DEQUE_SEALS 8 /* nesting depth of sealed segments */

typedef struct ary_deque {
    /* Thieves hammer top; the owner writes bottom: keep them on separate lines. */
    _Alignas(ARY_CACHELINE) _Atomic int64_t top;
    _Alignas(ARY_CACHELINE) _Atomic int64_t bottom;
    _Atomic(ary_deque_array *) array;
    _Atomic uint32_t nseals;   /* owner-written; read by thieves after bottom */
    _Atomic uint32_t seal_seq; /* odd while the owner rewrites the seals */
    char pad_[ARY_CACHELINE - sizeof(int64_t) - sizeof(void *) - 2 * sizeof(uint32_t)];
    _Alignas(ARY_CACHELINE) _Atomic int64_t seal_at[ARY_DEQUE_SEALS]; /* bottom when sealed */
    _Atomic(const void *) seal_tag[ARY_DEQUE_SEALS];
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
    uint32_t ns = atomic_load_explicit(&d->nseals, memory_order_relaxed);
    if (__builtin_expect(ns != 0, 0) &&
        b < atomic_load_explicit(&d->seal_at[ns - 1], memory_order_relaxed))
        return NULL; /* the rest is below the owner's last seal */
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

/* Whether a thief with tag may take the item at index t (seals above): 1 yes, 0 no, -1 the
 * seals changed while it read them (retry). */
static inline int ary_deque_seal_allows(ary_deque *d, int64_t t, const void *tag)
{
    uint32_t seq = atomic_load_explicit(&d->seal_seq, memory_order_acquire);
    if (seq & 1)
        return -1;
    uint32_t ns = atomic_load_explicit(&d->nseals, memory_order_relaxed);
    int64_t lo = 0, hi = INT64_MAX;
    if (ns > ARY_DEQUE_SEALS)
        return -1;
    unsigned k = ns;
    for (unsigned i = ns; i-- > 0;)
        if (atomic_load_explicit(&d->seal_tag[i], memory_order_relaxed) == tag) {
            k = i;
            break;
        }
    if (k == ns) {
        if (ns)
            hi = atomic_load_explicit(&d->seal_at[0], memory_order_relaxed);
    } else {
        lo = atomic_load_explicit(&d->seal_at[k], memory_order_relaxed);
        if (k + 1 < ns)
            hi = atomic_load_explicit(&d->seal_at[k + 1], memory_order_relaxed);
    }
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&d->seal_seq, memory_order_relaxed) != seq)
        return -1;
    return t >= lo && t < hi;
}

/* Any thread. Returns an item, ARY_STEAL_EMPTY, or ARY_STEAL_RETRY (lost a race). With
 * `sealed`, only an item of the segment of the thieves with tag (seals above). */
static inline void *ary_deque_steal_in(ary_deque *d, bool sealed, const void *tag)
{
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_acquire);
    if (t >= b)
        return ARY_STEAL_EMPTY;
    if (sealed && __builtin_expect(atomic_load_explicit(&d->nseals, memory_order_acquire) != 0, 0)) {
        int ok = ary_deque_seal_allows(d, t, tag);
        if (ok <= 0)
            return ok < 0 ? ARY_STEAL_RETRY : ARY_STEAL_EMPTY;
    }
    ary_deque_array *a = atomic_load_explicit(&d->array, memory_order_acquire);
    void *x = atomic_load_explicit(&a->slot[t & a->mask], memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return ARY_STEAL_RETRY;
    return x;
}

/* A thief with tag: from its segment only. */
static inline void *ary_deque_steal_as(ary_deque *d, const void *tag)
{
    return ary_deque_steal_in(d, true, tag);
}

/* Any item, whatever the seals (the pool's drain at a shutdown deadline). */
static inline void *ary_deque_steal(ary_deque *d) { return ary_deque_steal_in(d, false, NULL); }

/* Owner only: sets the number of seals to ns, after writing seal ns - 1 to (at, tag) when
 * the number grows; under the sequence count (odd meanwhile). */
static inline void ary_deque_seals_set(ary_deque *d, uint32_t ns, int64_t at, const void *tag)
{
    uint32_t seq = atomic_load_explicit(&d->seal_seq, memory_order_relaxed);
    atomic_store_explicit(&d->seal_seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    if (ns > atomic_load_explicit(&d->nseals, memory_order_relaxed)) {
        atomic_store_explicit(&d->seal_at[ns - 1], at, memory_order_relaxed);
        atomic_store_explicit(&d->seal_tag[ns - 1], tag, memory_order_relaxed);
    }
    atomic_store_explicit(&d->nseals, ns, memory_order_release);
    atomic_store_explicit(&d->seal_seq, seq + 2, memory_order_release);
}

/* Owner only: seals the deque for tag (above). false when ARY_DEQUE_SEALS are in place. */
static inline bool ary_deque_seal(ary_deque *d, const void *tag)
{
    uint32_t ns = atomic_load_explicit(&d->nseals, memory_order_relaxed);
    if (ns == ARY_DEQUE_SEALS)
        return false;
    ary_deque_seals_set(d, ns + 1, atomic_load_explicit(&d->bottom, memory_order_relaxed), tag);
    return true;
}

/* Owner only: removes the last seal; nothing may be left in its segment. */
static inline void ary_deque_unseal(ary_deque *d)
{
    uint32_t ns = atomic_load_explicit(&d->nseals, memory_order_relaxed);
    if (ns)
        ary_deque_seals_set(d, ns - 1, 0, NULL);
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
