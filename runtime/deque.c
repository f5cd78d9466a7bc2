/* deque.c - the slow paths of the Chase-Lev deque (deque.h has the algorithm and its
 * invariants): creation, growth and destruction. */
#include "deque.h"

#include <errno.h>
#include <stdlib.h>

static ary_deque_array *array_new(int64_t capacity)
{
    ary_deque_array *a = malloc(sizeof *a + (size_t)capacity * sizeof(a->slot[0]));
    if (!a)
        return NULL;
    a->mask = capacity - 1;
    a->retired = NULL;
    for (int64_t i = 0; i < capacity; i++)
        atomic_init(&a->slot[i], NULL);
    return a;
}

int ary_deque_init(ary_deque *d, size_t capacity)
{
    int64_t cap = 16;
    while ((size_t)cap < capacity)
        cap <<= 1;
    ary_deque_array *a = array_new(cap);
    if (!a)
        return -ENOMEM;
    atomic_init(&d->top, 0);
    atomic_init(&d->bottom, 0);
    atomic_init(&d->array, a);
    atomic_init(&d->nseals, 0);
    atomic_init(&d->seal_seq, 0);
    for (unsigned i = 0; i < ARY_DEQUE_SEALS; i++) {
        atomic_init(&d->seal_at[i], 0);
        atomic_init(&d->seal_tag[i], NULL);
    }
    return 0;
}

/* Owner only. Copies the live range [top, bottom) into an array twice as large. Thieves may
 * keep reading the old array: it stays allocated (retired list) until ary_deque_destroy. A
 * thief that read a slot of the old array and then wins its CAS on top got the same item it
 * would have read in the new array, since both hold identical values for that index. */
int ary_deque_grow(ary_deque *d)
{
    ary_deque_array *old = atomic_load_explicit(&d->array, memory_order_relaxed);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    ary_deque_array *a = array_new((old->mask + 1) * 2);
    if (!a)
        return -ENOMEM;
    for (int64_t i = t; i < b; i++)
        atomic_store_explicit(&a->slot[i & a->mask],
                              atomic_load_explicit(&old->slot[i & old->mask], memory_order_relaxed),
                              memory_order_relaxed);
    a->retired = old;
    atomic_store_explicit(&d->array, a, memory_order_release);
    return 0;
}

void ary_deque_destroy(ary_deque *d)
{
    ary_deque_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    while (a) {
        ary_deque_array *next = a->retired;
        free(a);
        a = next;
    }
    atomic_store_explicit(&d->array, NULL, memory_order_relaxed);
}
