/*
 * test_teamwait.c - the team wait machinery of runtime/team.h and sleep.c on its own: the
 * wait policy (ary_backoff_step: spin, yield, sleep; oversubscription), flags with a sleeper
 * bit (ary_flag_set / ary_flag_sleep), and the light park paired with ary_wake_parked.
 *
 *   1. Policy: block time 0 says "sleep" at the first look at the clock; a finite block time
 *      says it once that time has passed and not before, after a spin phase; UINT64_MAX
 *      never does; an oversubscribed pool skips the spin phase.
 *   2. Oversubscription: more awake threads than usable CPUs is reported, fewer is not;
 *      aryd_usable_cpus is within 1 .. aryd_allowed_cpus.
 *   3. Flags: two threads ping-pong 20,000 times through two flags, with a policy that
 *      sleeps at once (every wait goes through the futex) and with the default one; a lost
 *      wake-up hangs (CTest's timeout). The sleeper bit never leaks into the values read.
 *   4. Light park: a guest parks the light way and re-checks a word; another thread stores
 *      the word (seq_cst) and calls ary_wake_parked; 20,000 rounds, none lost.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "team.h"

#include "check.h"

#include <pthread.h>
#include <stdatomic.h>

static ary_pool *make_pool(unsigned threads, unsigned guests)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = threads;
    ary_pool *p = NULL;
    CHECK_EQ(ary_pool_create_ex(&cfg, 0, guests, true, &p), ARAYON_OK);
    return p;
}

/* ---- 1. policy -------------------------------------------------------------------------- */

/* Steps until the policy says "sleep" or `limit_ns` passes; returns the time taken, or 0
 * when it never said so. */
static uint64_t steps_until_sleep(ary_pool *p, uint64_t limit_ns, ary_backoff *out)
{
    ary_backoff b = ARY_BACKOFF_INIT;
    uint64_t t0 = aryd_now_ns();
    for (;;) {
        if (!ary_backoff_step(p, &b)) {
            *out = b;
            return aryd_now_ns() - t0 + 1;
        }
        if (aryd_now_ns() - t0 > limit_ns) {
            *out = b;
            return 0;
        }
    }
}

static void test_policy(void)
{
    ary_pool *p = make_pool(1, 1);
    p->usable_cpus = 1024; /* never oversubscribed here */
    ary_backoff b;

    ary_team_wait_set(p, 0, 0);
    uint64_t t = steps_until_sleep(p, 1000000000ull, &b);
    CHECK(t > 0);
    CHECK(b.polls <= ARY_BACKOFF_POLLS); /* at the first look at the clock */

    ary_team_wait_set(p, 1000000, 3000000); /* spin 1 ms, yield until 3 ms */
    t = steps_until_sleep(p, 1000000000ull, &b);
    CHECK(t >= 3000000);
    CHECK_EQ(b.phase, 1);

    ary_team_wait_set(p, UINT64_MAX, UINT64_MAX);
    t = steps_until_sleep(p, 20000000ull, &b);
    CHECK_EQ(t, 0);
    CHECK_EQ(b.phase, 0); /* still spinning */

    /* oversubscribed: no spin phase, yields at once */
    p->usable_cpus = 0;
    ary_team_wait_set(p, 1000000000ull, UINT64_MAX);
    b = ARY_BACKOFF_INIT;
    for (unsigned i = 0; i < 4 * ARY_BACKOFF_POLLS; i++)
        CHECK(ary_backoff_step(p, &b));
    CHECK(b.over);
    CHECK_EQ(b.phase, 1);
    arayon_pool_destroy(&p);
}

/* ---- 2. oversubscription ------------------------------------------------------------------ */

static void test_oversubscribed(void)
{
    unsigned u = aryd_usable_cpus(), a = aryd_allowed_cpus();
    CHECK(u >= 1);
    CHECK(u <= a);
    ary_pool *p = make_pool(3, 1);
    p->usable_cpus = 64;
    CHECK(!ary_oversubscribed(p));
    p->usable_cpus = 1; /* 3 started workers (parked or not) and the caller */
    /* parked workers do not count: wait until all three are parked, then they are 0 awake
     * and the caller is 1, which fits */
    for (int i = 0; i < 2000 && atomic_load(&p->sleepers) < 3; i++)
        usleep(1000);
    if (atomic_load(&p->sleepers) == 3)
        CHECK(!ary_oversubscribed(p));
    ary_worker *g = ary_guest_enter(p);
    CHECK(g != NULL);
    atomic_fetch_sub(&p->sleepers, 2); /* pretend two of them woke up */
    CHECK(ary_oversubscribed(p));      /* 2 awake workers + the guest > 1 CPU */
    atomic_fetch_add(&p->sleepers, 2);
    ary_guest_leave(g);
    arayon_pool_destroy(&p);
}

/* ---- 3. flags ------------------------------------------------------------------------------ */

#define ROUNDS 20000

typedef struct pingpong {
    ary_pool *p;
    _Alignas(64) _Atomic uint32_t ping;
    _Alignas(64) _Atomic uint32_t pong;
    _Atomic int bad;
} pingpong;

static uint32_t flag_wait(ary_pool *p, _Atomic uint32_t *f, uint32_t seen)
{
    ary_backoff b = ARY_BACKOFF_INIT;
    uint32_t v;
    while ((v = ary_flag_get(f)) == seen)
        if (!ary_backoff_step(p, &b)) {
            ary_flag_sleep(p, f, seen);
            b = ARY_BACKOFF_INIT;
        }
    return v;
}

static void *ponger(void *arg)
{
    pingpong *x = arg;
    uint32_t seen = 0;
    for (uint32_t i = 1; i <= ROUNDS; i++) {
        seen = flag_wait(x->p, &x->ping, seen);
        if (seen != 2 * i || (seen & ARY_FLAG_SLEEPING))
            atomic_store(&x->bad, 1);
        ary_flag_set(&x->pong, 2 * i);
    }
    return NULL;
}

static void run_pingpong(ary_pool *p)
{
    pingpong x = {.p = p};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, ponger, &x), 0);
    uint32_t seen = 0;
    for (uint32_t i = 1; i <= ROUNDS; i++) {
        ary_flag_set(&x.ping, 2 * i);
        seen = flag_wait(p, &x.pong, seen);
        CHECK_EQ(seen, 2 * i);
    }
    pthread_join(t, NULL);
    CHECK_EQ(atomic_load(&x.bad), 0);
    CHECK_EQ(atomic_load(&p->tw_asleep), 0);
}

static void test_flags(void)
{
    ary_pool *p = make_pool(1, 1);
    ary_team_wait_set(p, 0, 0); /* every wait sleeps */
    run_pingpong(p);
    ary_team_wait_set(p, ARY_TW_SPIN_NS, ARY_TW_BLOCK_NS);
    run_pingpong(p);
    /* a sleep on a value that already changed returns at once, saying so */
    _Atomic uint32_t f = 4;
    CHECK(ary_flag_sleep(p, &f, 2));
    CHECK_EQ(atomic_load(&f), 4);
    arayon_pool_destroy(&p);
}

/* ---- 4. light park ------------------------------------------------------------------------- */

typedef struct parker {
    ary_pool *p;
    _Atomic(ary_worker *) guest;
    _Alignas(64) _Atomic uint32_t word;
    _Alignas(64) _Atomic uint32_t ack;
} parker;

static void *park_side(void *arg)
{
    parker *x = arg;
    ary_worker *w = ary_guest_enter(x->p);
    CHECK(w != NULL);
    atomic_store(&x->guest, w);
    for (uint32_t i = 1; i <= ROUNDS; i++) {
        while (atomic_load_explicit(&x->word, memory_order_acquire) != i) {
            ary_park_begin_light(x->p, w);
            if (atomic_load_explicit(&x->word, memory_order_seq_cst) == i)
                ary_park_cancel(x->p, w);
            else
                ary_park_sleep(x->p, w, 0);
        }
        atomic_store_explicit(&x->ack, i, memory_order_release);
    }
    ary_guest_leave(w);
    return NULL;
}

static void test_light_park(void)
{
    ary_pool *p = make_pool(1, 1);
    parker x = {.p = p};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, park_side, &x), 0);
    ary_worker *w;
    while (!(w = atomic_load(&x.guest)))
        aryd_yield();
    for (uint32_t i = 1; i <= ROUNDS; i++) {
        atomic_store_explicit(&x.word, i, memory_order_seq_cst);
        ary_wake_parked(w);
        while (atomic_load_explicit(&x.ack, memory_order_acquire) != i)
            aryd_cpu_relax();
    }
    pthread_join(t, NULL);
    CHECK_EQ(atomic_load(&p->sleepers) <= 1, 1); /* only the pool's own worker may be parked */
    arayon_pool_destroy(&p);
}

int main(void)
{
    test_watchdog(120);
    test_policy();
    test_oversubscribed();
    test_flags();
    test_light_park();
    printf("test_teamwait: policy, oversubscription, flags, light park: ok\n");
    return 0;
}
