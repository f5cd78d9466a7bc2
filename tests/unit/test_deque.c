/*
 * test_deque.c - the Chase-Lev deque (runtime/deque.h) on its own.
 *
 *   1. Single-threaded behaviour: empty deque, LIFO pops, FIFO steals, growth from the
 *      minimum capacity, and a long random mix of push/pop/steal compared step by step with
 *      a plain array model.
 *   2. One owner thread pushing and popping (bursts of random length, some large enough to
 *      make the array grow while thieves read it) against 1, 2 and 3 thief threads. Every
 *      item is a pointer to its own counter; whoever takes an item increments the counter,
 *      so "every pushed item is returned exactly once" becomes "every counter is 1". A fresh
 *      deque with the minimum capacity is used every round so growth keeps happening.
 *   3. Seals (nested teams): single-threaded, which segment each thief and the owner may
 *      take from, through two nested seals and back; then an owner that pushes outer items,
 *      seals, pushes inner ones (growing the array), and unseals, against an outer thief and
 *      an inner thief: each item is taken once and only by its own side.
 */
#define _GNU_SOURCE
#define CHECK_NO_ARAYON
#include "deque.h"

#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * UINT64_C(2685821657736338717);
}

/* ---------------------------------------------------------------------------------------
 * Single-threaded behaviour
 * ------------------------------------------------------------------------------------- */
/* Items are addresses inside this array: never NULL, never ARY_STEAL_RETRY. */
static char g_items[4096];
#define ITEM(i) ((void *)&g_items[(i)])
#define INDEX(p) ((long)((char *)(p) - g_items))

static void test_empty(void)
{
    test_phase("empty deque");
    ary_deque d;
    CHECK_EQ(ary_deque_init(&d, 0), 0);
    CHECK(ary_deque_looks_empty(&d));
    CHECK(ary_deque_pop_owner(&d) == NULL);
    CHECK(ary_deque_steal(&d) == ARY_STEAL_EMPTY);
    /* Emptiness is stable: popping an empty deque must not corrupt it. */
    for (int i = 0; i < 5; i++)
        CHECK(ary_deque_pop_owner(&d) == NULL);
    CHECK_EQ(ary_deque_push_owner(&d, ITEM(7)), 0);
    CHECK(!ary_deque_looks_empty(&d));
    CHECK(ary_deque_pop_owner(&d) == ITEM(7));
    CHECK(ary_deque_pop_owner(&d) == NULL);
    CHECK(ary_deque_steal(&d) == ARY_STEAL_EMPTY);
    CHECK_EQ(ary_deque_push_owner(&d, ITEM(8)), 0);
    CHECK(ary_deque_steal(&d) == ITEM(8));
    CHECK(ary_deque_steal(&d) == ARY_STEAL_EMPTY);
    CHECK(ary_deque_pop_owner(&d) == NULL);
    CHECK(ary_deque_looks_empty(&d));
    ary_deque_destroy(&d);
    /* Destroying a deque that still holds items is allowed (items are not touched). */
    CHECK_EQ(ary_deque_init(&d, 1000), 0);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(ary_deque_push_owner(&d, ITEM(i)), 0);
    ary_deque_destroy(&d);
}

static void test_lifo_fifo(void)
{
    enum { N = 1000 }; /* far beyond the initial 16 slots: several growths */
    ary_deque d;

    test_phase("LIFO pops with growth");
    CHECK_EQ(ary_deque_init(&d, 1), 0);
    for (int i = 0; i < N; i++)
        CHECK_EQ(ary_deque_push_owner(&d, ITEM(i)), 0);
    for (int i = N - 1; i >= 0; i--) {
        void *x = ary_deque_pop_owner(&d);
        CHECK_EQ(INDEX(x), i);
    }
    CHECK(ary_deque_pop_owner(&d) == NULL);
    CHECK(ary_deque_steal(&d) == ARY_STEAL_EMPTY);

    test_phase("FIFO steals with growth");
    for (int i = 0; i < N; i++)
        CHECK_EQ(ary_deque_push_owner(&d, ITEM(i)), 0);
    for (int i = 0; i < N; i++) {
        void *x = ary_deque_steal(&d);
        CHECK_EQ(INDEX(x), i); /* no contention: a steal cannot lose a race */
    }
    CHECK(ary_deque_steal(&d) == ARY_STEAL_EMPTY);
    CHECK(ary_deque_pop_owner(&d) == NULL);

    test_phase("steal from the top, pop from the bottom");
    for (int i = 0; i < 40; i++)
        CHECK_EQ(ary_deque_push_owner(&d, ITEM(i)), 0);
    for (int k = 0; k < 20; k++) {
        CHECK_EQ(INDEX(ary_deque_steal(&d)), k);
        CHECK_EQ(INDEX(ary_deque_pop_owner(&d)), 39 - k);
    }
    CHECK(ary_deque_pop_owner(&d) == NULL);
    ary_deque_destroy(&d);
}

/* A random mix of operations against a model: the deque must behave exactly like an array
 * with a moving window [lo, hi), pops at hi, steals at lo. */
static void test_model(void)
{
    test_phase("random single-threaded mix against a model");
    enum { OPS = 200000, CAP = 4096 };
    static long model[1 << 20];
    long lo = 0, hi = 0;
    long next = 0;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    ary_deque d;
    CHECK_EQ(ary_deque_init(&d, 0), 0);
    for (long op = 0; op < OPS; op++) {
        uint64_t r = rng_next(&seed) % 100;
        /* push-biased while small, pop/steal-biased while large, so the size wanders */
        long size = hi - lo;
        unsigned push_pct = size < 50 ? 60 : size > 3000 ? 30 : 45;
        if (r < push_pct) {
            CHECK_LT(hi, (long)(sizeof model / sizeof model[0]));
            long v = next++ % CAP;
            model[hi++] = v;
            CHECK_EQ(ary_deque_push_owner(&d, ITEM(v)), 0);
        } else if (r < push_pct + (100 - push_pct) / 2) {
            void *x = ary_deque_pop_owner(&d);
            if (lo == hi) {
                CHECK(x == NULL);
            } else {
                CHECK(x != NULL);
                CHECK_EQ(INDEX(x), model[--hi]);
            }
        } else {
            void *x = ary_deque_steal(&d);
            if (lo == hi) {
                CHECK(x == ARY_STEAL_EMPTY);
            } else {
                CHECK(x != ARY_STEAL_EMPTY && x != ARY_STEAL_RETRY);
                CHECK_EQ(INDEX(x), model[lo++]);
            }
        }
        CHECK_EQ(ary_deque_looks_empty(&d), lo == hi);
    }
    ary_deque_destroy(&d);
}

/* ---------------------------------------------------------------------------------------
 * Owner against concurrent thieves
 * ------------------------------------------------------------------------------------- */
typedef struct shared {
    ary_deque deque;
    _Atomic unsigned char *taken; /* one counter per item */
    long nitems;
    atomic_int started;    /* thieves running this round */
    atomic_int round_done; /* owner finished the round and emptied the deque */
    atomic_long stolen;    /* items taken by thieves this round */
    atomic_long retries;
} shared;

static void take(shared *sh, void *x)
{
    _Atomic unsigned char *c = x;
    long i = (long)(c - sh->taken);
    CHECK_MSG(i >= 0 && i < sh->nitems, "deque returned a pointer that was never pushed: %p", x);
    unsigned prev = atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
    CHECK_MSG(prev == 0, "item %ld returned %u times", i, prev + 1);
}

static void *thief_main(void *arg)
{
    shared *sh = arg;
    long mine = 0, retries = 0, empties = 0;
    atomic_fetch_add(&sh->started, 1);
    for (;;) {
        /* Read the flag before trying: once the owner has emptied the deque and said so,
         * a steal that still finds nothing means the round is over. */
        bool done = atomic_load_explicit(&sh->round_done, memory_order_acquire);
        void *x = ary_deque_steal(&sh->deque);
        if (x == ARY_STEAL_RETRY) {
            retries++;
            continue;
        }
        if (x != ARY_STEAL_EMPTY) {
            take(sh, x);
            mine++;
            continue;
        }
        if (done)
            break;
        if ((++empties & 63) == 0)
            sched_yield();
    }
    atomic_fetch_add(&sh->stolen, mine);
    atomic_fetch_add(&sh->retries, retries);
    return NULL;
}

/* One round: a fresh deque of the minimum capacity, `nitems` items. */
static void run_round(shared *sh, int nthieves, uint64_t *seed, long *popped_total,
                      long *stolen_total)
{
    CHECK_EQ(ary_deque_init(&sh->deque, 0), 0);
    for (long i = 0; i < sh->nitems; i++)
        atomic_store_explicit(&sh->taken[i], 0, memory_order_relaxed);
    atomic_store(&sh->round_done, 0);
    atomic_store(&sh->stolen, 0);
    atomic_store(&sh->started, 0);

    pthread_t th[3];
    for (int t = 0; t < nthieves; t++)
        CHECK_EQ(pthread_create(&th[t], NULL, thief_main, sh), 0);
    WAIT_UNTIL_GE(&sh->started, nthieves);

    long pushed = 0, popped = 0;
    while (pushed < sh->nitems) {
        uint64_t r = rng_next(seed);
        /* Mostly short bursts; one in 32 is long enough to force growth mid-round. */
        long burst = (r & 31) == 0 ? 200 + (long)((r >> 8) % 800) : 1 + (long)((r >> 8) % 24);
        if (burst > sh->nitems - pushed)
            burst = sh->nitems - pushed;
        for (long k = 0; k < burst; k++)
            CHECK_EQ(ary_deque_push_owner(&sh->deque, &sh->taken[pushed++]), 0);
        /* Pop some of them back: none, a few, or more than were just pushed (the owner
         * pops a bit less than it pushes, so the thieves find work). */
        long npop = (long)((r >> 40) % (uint64_t)(burst + 2));
        for (long k = 0; k < npop; k++) {
            void *x = ary_deque_pop_owner(&sh->deque);
            if (!x)
                break; /* empty, or a thief won the last item */
            take(sh, x);
            popped++;
        }
        /* Now and then let the thieves work on a full deque for a while (they share the
         * CPUs with the owner): wait until they emptied it or a few yields passed. */
        if (((r >> 16) & 63) == 0)
            for (int k = 0; k < 20 && !ary_deque_looks_empty(&sh->deque); k++)
                sched_yield();
    }
    /* Drain: after this nothing is left for the thieves. */
    for (void *x; (x = ary_deque_pop_owner(&sh->deque)) != NULL;) {
        take(sh, x);
        popped++;
    }
    CHECK(ary_deque_looks_empty(&sh->deque));
    atomic_store_explicit(&sh->round_done, 1, memory_order_release);
    for (int t = 0; t < nthieves; t++)
        CHECK_EQ(pthread_join(th[t], NULL), 0);

    long stolen = atomic_load(&sh->stolen);
    CHECK_EQ(popped + stolen, sh->nitems);
    for (long i = 0; i < sh->nitems; i++) {
        unsigned c = atomic_load_explicit(&sh->taken[i], memory_order_relaxed);
        CHECK_MSG(c == 1, "item %ld of %ld taken %u times (popped %ld, stolen %ld)", i,
                  sh->nitems, c, popped, stolen);
    }
    CHECK(ary_deque_pop_owner(&sh->deque) == NULL);
    CHECK(ary_deque_steal(&sh->deque) == ARY_STEAL_EMPTY);
    ary_deque_destroy(&sh->deque);
    *popped_total += popped;
    *stolen_total += stolen;
}

static void test_concurrent(int nthieves, long total_items)
{
    static char phase[64];
    snprintf(phase, sizeof phase, "owner vs %d thieves, %ld items", nthieves, total_items);
    test_phase(phase);

    enum { PER_ROUND = 1 << 15 };
    shared *sh = aligned_alloc(ARY_CACHELINE, sizeof *sh);
    CHECK(sh != NULL);
    sh->nitems = PER_ROUND;
    sh->taken = calloc(PER_ROUND, sizeof *sh->taken);
    CHECK(sh->taken != NULL);
    atomic_init(&sh->round_done, 0);
    atomic_init(&sh->started, 0);
    atomic_init(&sh->stolen, 0);
    atomic_init(&sh->retries, 0);

    uint64_t seed = 0x2545F4914F6CDD1Du + (uint64_t)nthieves;
    long popped = 0, stolen = 0;
    long rounds = total_items / PER_ROUND;
    if (rounds < 1)
        rounds = 1;
    for (long r = 0; r < rounds; r++)
        run_round(sh, nthieves, &seed, &popped, &stolen);

    CHECK_EQ(popped + stolen, rounds * PER_ROUND);
    fprintf(stderr, "   %ld rounds: %ld popped by the owner, %ld stolen, %ld lost races\n",
            rounds, popped, stolen, (long)atomic_load(&sh->retries));
    free(sh->taken);
    free(sh);
}

static void test_seals(void)
{
    test_phase("seals, single-threaded");
    ary_deque d;
    int tag_a, tag_b; /* two nested teams; NULL: the outermost */
    CHECK_EQ(ary_deque_init(&d, 0), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(ary_deque_push_owner(&d, ITEM(i)), 0); /* outer: 0 1 2 */
    CHECK(ary_deque_seal(&d, &tag_a));
    for (int i = 10; i < 13; i++)
        CHECK_EQ(ary_deque_push_owner(&d, ITEM(i)), 0); /* a: 10 11 12 */
    CHECK(ary_deque_steal_as(&d, &tag_a) == ARY_STEAL_EMPTY); /* the outer items are on top */
    CHECK(ary_deque_steal_as(&d, NULL) == ITEM(0));
    CHECK(ary_deque_pop_owner(&d) == ITEM(12));
    CHECK(ary_deque_seal(&d, &tag_b));
    CHECK_EQ(ary_deque_push_owner(&d, ITEM(20)), 0); /* b: 20 */
    CHECK(ary_deque_steal_as(&d, &tag_b) == ARY_STEAL_EMPTY);
    CHECK(ary_deque_steal_as(&d, NULL) == ITEM(1));
    CHECK(ary_deque_steal_as(&d, NULL) == ITEM(2));
    CHECK(ary_deque_steal_as(&d, NULL) == ARY_STEAL_EMPTY); /* 10 is a's */
    CHECK(ary_deque_steal_as(&d, &tag_b) == ARY_STEAL_EMPTY);
    CHECK(ary_deque_steal_as(&d, &tag_a) == ITEM(10));
    CHECK(ary_deque_pop_owner(&d) == ITEM(20));
    CHECK(ary_deque_pop_owner(&d) == NULL); /* 11 is below the last seal */
    CHECK(ary_deque_steal_as(&d, &tag_b) == ARY_STEAL_EMPTY);
    ary_deque_unseal(&d);
    CHECK(ary_deque_pop_owner(&d) == ITEM(11));
    CHECK(ary_deque_pop_owner(&d) == NULL);
    ary_deque_unseal(&d);
    CHECK_EQ(ary_deque_push_owner(&d, ITEM(3)), 0);
    CHECK(ary_deque_steal_as(&d, &tag_a) == ITEM(3)); /* no seals: any thief */
    /* Full: a seal more is refused, the others stay. */
    int tags[ARY_DEQUE_SEALS + 1];
    for (int i = 0; i < ARY_DEQUE_SEALS; i++)
        CHECK(ary_deque_seal(&d, &tags[i]));
    CHECK(!ary_deque_seal(&d, &tags[ARY_DEQUE_SEALS]));
    for (int i = 0; i < ARY_DEQUE_SEALS; i++)
        ary_deque_unseal(&d);
    ary_deque_unseal(&d); /* none left: nothing happens */
    CHECK_EQ(ary_deque_push_owner(&d, ITEM(4)), 0);
    CHECK(ary_deque_pop_owner(&d) == ITEM(4));
    ary_deque_destroy(&d);
}

/* The concurrent seals test: items 0..n/2 are outer, the rest inner. */
typedef struct {
    ary_deque deque;
    _Atomic unsigned char *taken;
    long n;
    const void *tag; /* the inner team's */
    atomic_int phase; /* 0 running, 1 the inner team is over, 2 all done */
    atomic_int sealed; /* the inner team exists from here on (its thieves start) */
    atomic_long wrong;
} seal_shared;

typedef struct {
    seal_shared *sh;
    bool inner;
    long got;
} seal_thief;

static void *seal_thief_main(void *arg)
{
    seal_thief *me = arg;
    seal_shared *sh = me->sh;
    while (me->inner && !atomic_load_explicit(&sh->sealed, memory_order_acquire))
        sched_yield();
    for (;;) {
        int phase = atomic_load_explicit(&sh->phase, memory_order_acquire);
        void *x = ary_deque_steal_as(&sh->deque, me->inner ? sh->tag : NULL);
        if (x == ARY_STEAL_RETRY)
            continue;
        if (x != ARY_STEAL_EMPTY) {
            long i = (long)((_Atomic unsigned char *)x - sh->taken);
            if ((i >= sh->n / 2) != me->inner)
                atomic_fetch_add(&sh->wrong, 1);
            atomic_fetch_add_explicit((_Atomic unsigned char *)x, 1, memory_order_relaxed);
            me->got++;
            continue;
        }
        if (phase == 2 || (me->inner && phase == 1))
            break;
        sched_yield();
    }
    return NULL;
}

static void test_seals_concurrent(void)
{
    test_phase("seals, owner vs an outer and an inner thief");
    enum { N = 4096, ROUNDS = 40 };
    seal_shared *sh = aligned_alloc(ARY_CACHELINE, sizeof *sh);
    CHECK(sh != NULL);
    sh->taken = calloc(N, 1);
    CHECK(sh->taken != NULL);
    sh->n = N;
    static int inner_tag;
    sh->tag = &inner_tag;
    long outer_thief = 0, inner_thief = 0, popped = 0;
    for (int r = 0; r < ROUNDS; r++) {
        CHECK_EQ(ary_deque_init(&sh->deque, 0), 0);
        memset((void *)sh->taken, 0, N);
        atomic_init(&sh->phase, 0);
        atomic_init(&sh->wrong, 0);
        atomic_init(&sh->sealed, 0);
        seal_thief th[2] = {{sh, false, 0}, {sh, true, 0}};
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            CHECK_EQ(pthread_create(&t[k], NULL, seal_thief_main, &th[k]), 0);
        for (long i = 0; i < N / 2; i++)
            CHECK_EQ(ary_deque_push_owner(&sh->deque, (void *)&sh->taken[i]), 0);
        CHECK(ary_deque_seal(&sh->deque, sh->tag));
        atomic_store_explicit(&sh->sealed, 1, memory_order_release);
        for (long i = N / 2; i < N; i++) {
            CHECK_EQ(ary_deque_push_owner(&sh->deque, (void *)&sh->taken[i]), 0);
            if ((i & 7) == 0) { /* the owner pops some of its own */
                void *x = ary_deque_pop_owner(&sh->deque);
                if (x) {
                    CHECK((_Atomic unsigned char *)x - sh->taken >= N / 2);
                    atomic_fetch_add((_Atomic unsigned char *)x, 1);
                    popped++;
                }
            }
        }
        for (void *x; (x = ary_deque_pop_owner(&sh->deque)) != NULL;) {
            CHECK((_Atomic unsigned char *)x - sh->taken >= N / 2);
            atomic_fetch_add((_Atomic unsigned char *)x, 1);
            popped++;
        }
        /* The inner segment is empty only once the inner thief's last steal is over: wait
         * for every inner item to be counted (the inner team's end), then unseal. */
        for (;;) {
            long done = 0;
            for (long i = N / 2; i < N; i++)
                done += atomic_load_explicit(&sh->taken[i], memory_order_relaxed) != 0;
            if (done == N / 2)
                break;
            sched_yield();
        }
        /* The inner team ends (its thieves leave), then the owner unseals. */
        atomic_store_explicit(&sh->phase, 1, memory_order_release);
        CHECK_EQ(pthread_join(t[1], NULL), 0);
        ary_deque_unseal(&sh->deque);
        for (void *x; (x = ary_deque_pop_owner(&sh->deque)) != NULL;) {
            CHECK((_Atomic unsigned char *)x - sh->taken < N / 2);
            atomic_fetch_add((_Atomic unsigned char *)x, 1);
            popped++;
        }
        atomic_store_explicit(&sh->phase, 2, memory_order_release);
        CHECK_EQ(pthread_join(t[0], NULL), 0);
        CHECK_EQ(atomic_load(&sh->wrong), 0);
        for (long i = 0; i < N; i++)
            CHECK_MSG(sh->taken[i] == 1, "round %d: item %ld taken %u times", r, i,
                      (unsigned)sh->taken[i]);
        outer_thief += th[0].got;
        inner_thief += th[1].got;
        ary_deque_destroy(&sh->deque);
    }
    fprintf(stderr, "   %d rounds: %ld taken by the outer thief, %ld by the inner one, %ld popped\n",
            ROUNDS, outer_thief, inner_thief, popped);
    free((void *)sh->taken);
    free(sh);
}

int main(void)
{
    test_watchdog(110);
    test_empty();
    test_lifo_fifo();
    test_model();
    /* About 4 M items in total without sanitizers. */
    long base = (5L << 18) / (TEST_TSAN ? 2 : 1);
    test_concurrent(1, base);
    test_concurrent(2, base);
    test_concurrent(3, base + base / 4);
    test_seals();
    test_seals_concurrent();
    fprintf(stderr, "test_deque: OK\n");
    return 0;
}
