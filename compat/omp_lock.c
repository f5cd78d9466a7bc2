/*
 * omp_lock.c - the omp_*_lock API for both compilers' lock objects.
 *
 * Sizes: gcc's omp_lock_t is 4 bytes and omp_nest_lock_t 16; clang's are 8 and 8. So a
 * simple lock is the layer's 4-byte futex word (kmpx_lock_*), and a nest lock uses 8 bytes:
 *   owner - futex word: 0 free, else (gtid + 1), with KMPX_NEST_WAITERS set when a thread
 *           may sleep on it;
 *   count - nesting depth, touched only by the owner.
 * Misuse (unsetting a free lock, or a nest lock owned by another thread) is ignored.
 */
#include "kmp.h"
#include "kmp_abi.h"

#define KMPX_NEST_WAITERS 0x80000000u
#define KMPX_NEST_SPIN 128

typedef struct kmpx_nest_lock {
    _Atomic uint32_t owner;
    uint32_t count;
} kmpx_nest_lock;

_Static_assert(sizeof(kmpx_nest_lock) == 8, "a nest lock must fit clang's omp_nest_lock_t");

static inline _Atomic uint32_t *simple_word(void *lock) { return (_Atomic uint32_t *)lock; }

void omp_init_lock(void *lock)
{
    atomic_store_explicit(simple_word(lock), 0, memory_order_relaxed);
}

void omp_init_lock_with_hint(void *lock, int hint)
{
    (void)hint;
    omp_init_lock(lock);
}

void omp_destroy_lock(void *lock) { (void)lock; }

void omp_set_lock(void *lock) { kmpx_lock_acquire(simple_word(lock)); }

void omp_unset_lock(void *lock)
{
    _Atomic uint32_t *w = simple_word(lock);
    if (atomic_load_explicit(w, memory_order_relaxed) != 0)
        kmpx_lock_release(w);
}

int omp_test_lock(void *lock) { return kmpx_lock_try(simple_word(lock)) ? 1 : 0; }

static inline uint32_t nest_me(void) { return (uint32_t)kmpx_self()->gtid + 1; }

void omp_init_nest_lock(void *lock)
{
    kmpx_nest_lock *l = lock;
    atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
    l->count = 0;
}

void omp_init_nest_lock_with_hint(void *lock, int hint)
{
    (void)hint;
    omp_init_nest_lock(lock);
}

void omp_destroy_nest_lock(void *lock) { (void)lock; }

void omp_set_nest_lock(void *lock)
{
    kmpx_nest_lock *l = lock;
    uint32_t me = nest_me();
    uint32_t v = atomic_load_explicit(&l->owner, memory_order_relaxed);
    if ((v & ~KMPX_NEST_WAITERS) == me) {
        l->count++;
        return;
    }
    for (int i = 0; i < KMPX_NEST_SPIN; i++) {
        if (v == 0 && atomic_compare_exchange_weak_explicit(&l->owner, &v, me,
                                                            memory_order_acquire,
                                                            memory_order_relaxed))
            goto owned;
        aryd_cpu_relax();
        v = atomic_load_explicit(&l->owner, memory_order_relaxed);
    }
    for (;;) {
        v = atomic_load_explicit(&l->owner, memory_order_relaxed);
        if (v == 0) {
            /* others may sleep: keep the flag so our unset wakes one of them */
            if (atomic_compare_exchange_weak_explicit(&l->owner, &v, me | KMPX_NEST_WAITERS,
                                                      memory_order_acquire,
                                                      memory_order_relaxed))
                goto owned;
            continue;
        }
        if (!(v & KMPX_NEST_WAITERS) &&
            !atomic_compare_exchange_weak_explicit(&l->owner, &v, v | KMPX_NEST_WAITERS,
                                                   memory_order_relaxed,
                                                   memory_order_relaxed))
            continue;
        aryd_futex_wait(&l->owner, v | KMPX_NEST_WAITERS, 0);
    }
owned:
    l->count = 1;
}

void omp_unset_nest_lock(void *lock)
{
    kmpx_nest_lock *l = lock;
    uint32_t v = atomic_load_explicit(&l->owner, memory_order_relaxed);
    if (v == 0 || (v & ~KMPX_NEST_WAITERS) != nest_me() || l->count == 0)
        return;
    if (--l->count > 0)
        return;
    if (atomic_exchange_explicit(&l->owner, 0, memory_order_release) & KMPX_NEST_WAITERS)
        aryd_futex_wake(&l->owner, 1);
}

int omp_test_nest_lock(void *lock)
{
    kmpx_nest_lock *l = lock;
    uint32_t me = nest_me();
    uint32_t v = atomic_load_explicit(&l->owner, memory_order_relaxed);
    if ((v & ~KMPX_NEST_WAITERS) == me)
        return (int)++l->count;
    v = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->owner, &v, me, memory_order_acquire,
                                                 memory_order_relaxed))
        return 0;
    l->count = 1;
    return 1;
}

#define KMPX_SYMVER_OMP_LOCK
#include "gomp_symver.h"
