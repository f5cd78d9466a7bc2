/*
 * test_team.c - the runtime's team primitives (runtime/team.h) on their own: guest slots,
 * gangs (reservation, spare records started on demand, posting, joining), gang-only pools,
 * peer-restricted stealing, latches (including the owner-done protocol) and helping waits.
 *
 *   1. Guests: a thread enters a guest slot, spawns into its own deque, waits helping, and
 *      leaves (running what is left); a second entry by the same thread is refused; more
 *      threads than slots get NULL; slots are reused after leaving.
 *   2. Gangs: a guest reserves more members than threads were started (spare records get
 *      their thread), posts a member function to each, runs member 0 itself, and joins on a
 *      latch; every member index runs exactly once, on distinct workers; repeated many times
 *      with a barrier built from ary_wait_until / ary_wake_worker inside the members.
 *   3. Gang-only pools and peers: tasks spawned by a gang member run only on the gang's
 *      members (never on a worker outside the gang); with no gang, tasks run on the guest.
 *   4. Latches: the owner-done protocol (exactly one of owner_done/release returns true, in
 *      both orders, and under concurrent releases).
 */
#define _GNU_SOURCE
#include "internal.h"
#include "team.h"

#include "check.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- 1. guests ------------------------------------------------------------------------ */

static _Atomic int ran_on_guest, ran_total;
static _Atomic(ary_worker *) the_guest;

static int note_worker(void *arg)
{
    (void)arg;
    if (ary_tls_worker == atomic_load(&the_guest))
        atomic_fetch_add(&ran_on_guest, 1);
    atomic_fetch_add(&ran_total, 1);
    return 0;
}

typedef struct slot_try {
    ary_pool *p;
    test_gate *go, *done;
    _Atomic int *got;
} slot_try;

static void *try_slot(void *arg)
{
    slot_try *t = arg;
    ary_worker *w = ary_guest_enter(t->p);
    if (w)
        atomic_fetch_add(t->got, 1);
    gate_wait(t->go); /* hold the slot until every thread has tried */
    if (w)
        ary_guest_leave(w);
    return NULL;
}

/* A suspendable task never starts on a guest (a guest leaves again: the task would have
 * nobody to resume it); a guest that takes one hands it back for a worker. */
static _Atomic int async_on_guest, async_done;
static int async_sleeper(void *arg)
{
    (void)arg;
    if (ary_tls_worker == atomic_load(&the_guest))
        atomic_fetch_add(&async_on_guest, 1);
    CHECK_OK(arayon_sleep(1000000));
    if (ary_tls_worker == atomic_load(&the_guest))
        atomic_fetch_add(&async_on_guest, 1);
    atomic_fetch_add(&async_done, 1);
    return 0;
}

static void test_guest_async(void)
{
    test_phase("guests and suspendable tasks");
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    cfg.max_pending = 0;
    ary_pool *p;
    CHECK_OK(ary_pool_create_ex(&cfg, 0, 1, false, &p));
    ary_worker *g = ary_guest_enter(p);
    CHECK(g != NULL);
    atomic_store(&the_guest, g);
    arayon_task_t *h[20];
    for (int i = 0; i < 20; i++)
        CHECK_OK(arayon_spawn_async(p, async_sleeper, NULL, &h[i])); /* into the guest's deque */
    for (int i = 0; i < 20; i++) { /* the guest helps while it waits */
        CHECK_OK(arayon_task_wait(h[i]));
        arayon_task_release(h[i]);
    }
    CHECK_EQ(atomic_load(&async_done), 20);
    CHECK_EQ(atomic_load(&async_on_guest), 0);
    ary_guest_leave(g);
    atomic_store(&the_guest, NULL);
    arayon_metrics_t m;
    CHECK_OK(arayon_pool_metrics(p, &m));
    CHECK_EQ(m.async_spawned, 20u);
    CHECK_EQ(m.resumed, m.suspended);
    CHECK_EQ(m.parked, 0u);
    arayon_pool_destroy(&p);
}

static void test_guests(void)
{
    test_phase("guests");
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    cfg.max_pending = 0;
    ary_pool *p;
    CHECK_OK(ary_pool_create_ex(&cfg, 2, 3, true, &p));
    CHECK_EQ(arayon_pool_num_threads(p), 1u); /* spare records have no thread yet */

    ary_worker *g = ary_guest_enter(p);
    CHECK(g != NULL);
    CHECK(g->index >= p->nthreads);
    CHECK(ary_guest_enter(p) == NULL); /* already a guest */
    atomic_store(&the_guest, g);

    /* No gang: the pool's only worker takes no job, so the guest runs all of them (while it
     * waits on the scope, and when it leaves). */
    arayon_scope_t *s;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < 1000; i++)
        CHECK_OK(arayon_scope_spawn(s, note_worker, NULL, NULL));
    CHECK_OK(arayon_scope_end(&s));
    CHECK_EQ(atomic_load(&ran_total), 1000);
    CHECK_EQ(atomic_load(&ran_on_guest), 1000);

    /* Leaving runs what is still queued. */
    for (int i = 0; i < 100; i++)
        CHECK_OK(arayon_spawn(p, note_worker, NULL));
    ary_guest_leave(g);
    CHECK_EQ(atomic_load(&ran_total), 1100);
    CHECK_EQ(atomic_load(&ran_on_guest), 1100);
    CHECK(ary_tls_worker == NULL);

    /* Three slots: of five threads that try at once, three get one. */
    test_gate go;
    gate_init(&go);
    _Atomic int got = 0;
    pthread_t th[5];
    slot_try t = {p, &go, NULL, &got};
    for (int i = 0; i < 5; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, try_slot, &t), 0);
    WAIT_UNTIL_GE(&got, 3);
    test_sleep_us(20000);
    CHECK_EQ(atomic_load(&got), 3);
    gate_open(&go);
    for (int i = 0; i < 5; i++)
        pthread_join(th[i], NULL);
    gate_destroy(&go);

    /* Slots are free again. */
    g = ary_guest_enter(p);
    CHECK(g != NULL);
    ary_guest_leave(g);
    arayon_pool_destroy(&p);
}

/* ---- 2. gangs ------------------------------------------------------------------------- */

#define MAXG 8

typedef struct gang {
    ary_worker *members[MAXG];
    unsigned n;
    _Atomic unsigned ran[MAXG];
    _Atomic(ary_worker *) ran_on[MAXG];
    /* a barrier: arrivals and a generation */
    _Atomic unsigned arrived;
    _Atomic unsigned gen;
    _Atomic uint64_t sum;
} gang;

typedef struct bar_ctx {
    gang *g;
    unsigned gen;
} bar_ctx;

static bool bar_open(void *ctx)
{
    bar_ctx *b = ctx;
    return atomic_load(&b->g->gen) != b->gen;
}

static void gang_barrier(gang *g)
{
    unsigned gen = atomic_load(&g->gen);
    if (atomic_fetch_add(&g->arrived, 1) + 1 == g->n) {
        atomic_store(&g->arrived, 0);
        atomic_store_explicit(&g->gen, gen + 1, memory_order_seq_cst);
        for (unsigned i = 0; i < g->n; i++)
            if (g->members[i] != ary_tls_worker)
                ary_wake_worker(g->members[i]);
        return;
    }
    bar_ctx b = {g, gen};
    ary_wait_until(ary_tls_worker, bar_open, &b);
}

static void member(void *ctx, unsigned m)
{
    gang *g = ctx;
    atomic_fetch_add(&g->ran[m], 1);
    atomic_store(&g->ran_on[m], ary_tls_worker);
    for (int phase = 0; phase < 3; phase++) {
        atomic_fetch_add(&g->sum, (uint64_t)(m + 1));
        gang_barrier(g);
        /* after each barrier every member's contribution of this phase is in */
        CHECK_GE(atomic_load(&g->sum), (uint64_t)(phase + 1) * g->n * (g->n + 1) / 2);
        gang_barrier(g);
    }
}

static void test_gangs(void)
{
    test_phase("gangs");
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    ary_pool *p;
    CHECK_OK(ary_pool_create_ex(&cfg, 4, 2, true, &p));
    ary_worker *self = ary_guest_enter(p);
    CHECK(self != NULL);
    for (int round = 0; round < 300 / TEST_SCALE_DOWN; round++) {
        gang g;
        memset(&g, 0, sizeof g);
        unsigned want = 1 + (unsigned)(round % 5); /* up to 5 of 1 started + 4 spare */
        ary_worker *res[MAXG];
        unsigned got = ary_gang_reserve(self, want, res);
        CHECK_EQ(got, want);
        g.n = got + 1;
        g.members[0] = self;
        for (unsigned i = 0; i < got; i++) {
            CHECK(res[i] != self);
            CHECK(res[i]->index < p->nthreads);
            g.members[i + 1] = res[i];
        }
        ary_set_peers(self, g.members, g.n);
        ary_latch *joined = ary_latch_new(p);
        CHECK(joined != NULL);
        ary_latch_add(joined, got);
        for (unsigned i = 0; i < got; i++)
            ary_gang_post(res[i], member, &g, i + 1, joined);
        member(&g, 0);
        ary_latch_wait(joined);
        ary_latch_free(joined);
        ary_set_peers(self, NULL, 0);
        for (unsigned m = 0; m < g.n; m++) {
            CHECK_EQ(atomic_load(&g.ran[m]), 1u);
            CHECK(atomic_load(&g.ran_on[m]) == g.members[m]);
        }
        CHECK_EQ(atomic_load(&g.sum), 3ull * g.n * (g.n + 1) / 2);
    }
    /* The spare records got threads (5 members needed 4 workers: 1 started + 3 spare). */
    CHECK_GE(arayon_pool_num_threads(p), 4u);
    /* Everything is free again: a full reservation succeeds, then is given back. */
    ary_worker *res[MAXG];
    unsigned got = ary_gang_reserve(self, MAXG, res);
    CHECK_EQ(got, p->nthreads);
    for (unsigned i = 0; i < got; i++)
        atomic_store(&res[i]->gang, 0);
    ary_guest_leave(self);
    arayon_pool_destroy(&p);
}

/* ---- 3. peers: a gang's tasks run on the gang only ------------------------------------ */

typedef struct peer_ctx {
    ary_worker *members[2];
    _Atomic int outside;
    _Atomic int count;
} peer_ctx;

static int peer_task(void *arg)
{
    peer_ctx *c = arg;
    ary_worker *w = ary_tls_worker;
    if (w != c->members[0] && w != c->members[1])
        atomic_fetch_add(&c->outside, 1);
    for (volatile int k = 0; k < 200; k++)
        ;
    atomic_fetch_add(&c->count, 1);
    return 0;
}

static bool count_done(void *arg) { return atomic_load(&((peer_ctx *)arg)->count) == 20000 / TEST_SCALE_DOWN; }

static void peer_member(void *ctx, unsigned m)
{
    peer_ctx *c = ctx;
    (void)m;
    ary_set_peers(ary_tls_worker, c->members, 2);
    ary_wait_until(ary_tls_worker, count_done, c); /* runs the gang's tasks meanwhile */
    ary_set_peers(ary_tls_worker, NULL, 0);
    /* The other member may have parked before the last task finished here: whoever sees the
     * condition become true wakes the waiters (the ary_wait_until contract). */
    ary_wake_worker(c->members[0]);
}

static void test_peers(void)
{
    test_phase("peers");
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 3;
    cfg.max_pending = 0;
    ary_pool *p;
    CHECK_OK(ary_pool_create_ex(&cfg, 0, 1, true, &p));
    ary_worker *self = ary_guest_enter(p);
    CHECK(self != NULL);
    peer_ctx c;
    memset(&c, 0, sizeof c);
    ary_worker *res[1];
    CHECK_EQ(ary_gang_reserve(self, 1, res), 1u);
    c.members[0] = self;
    c.members[1] = res[0];
    ary_set_peers(self, c.members, 2);
    ary_latch *joined = ary_latch_new(p);
    ary_latch_add(joined, 1);
    ary_gang_post(res[0], peer_member, &c, 1, joined);
    const int n = 20000 / TEST_SCALE_DOWN;
    for (int i = 0; i < n; i++)
        CHECK_OK(arayon_spawn(p, peer_task, &c));
    ary_wait_until(self, count_done, &c);
    /* the member sees the count reach n too (it may be parked: wake it to look) */
    ary_wake_worker(res[0]);
    ary_latch_wait(joined);
    ary_latch_free(joined);
    ary_set_peers(self, NULL, 0);
    CHECK_EQ(atomic_load(&c.count), n);
    CHECK_EQ(atomic_load(&c.outside), 0); /* two workers outside the gang took nothing */
    ary_guest_leave(self);
    arayon_pool_destroy(&p);
}

/* ---- 4. latches: owner-done protocol --------------------------------------------------- */

typedef struct rel_ctx {
    ary_latch *l;
    int n;
    _Atomic int trues;
} rel_ctx;

static void *releaser(void *arg)
{
    rel_ctx *c = arg;
    for (int i = 0; i < c->n; i++)
        if (ary_latch_release(c->l))
            atomic_fetch_add(&c->trues, 1);
    return NULL;
}

static void test_latches(void)
{
    test_phase("latches");
    arayon_pool_t *p;
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 2;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    /* owner done first, then the count reaches zero */
    ary_latch *l = ary_latch_new(p);
    ary_latch_add(l, 2);
    CHECK(!ary_latch_owner_done(l));
    CHECK(!ary_latch_release(l));
    CHECK(ary_latch_release(l));
    ary_latch_free(l);
    /* count zero first, then the owner */
    l = ary_latch_new(p);
    ary_latch_add(l, 1);
    CHECK(!ary_latch_release(l));
    CHECK(ary_latch_zero(l));
    CHECK(ary_latch_owner_done(l));
    ary_latch_free(l);
    /* concurrent releases racing the owner: exactly one true overall */
    for (int round = 0; round < 200 / TEST_SCALE_DOWN; round++) {
        l = ary_latch_new(p);
        rel_ctx c = {l, 500, 0};
        ary_latch_add(l, 1000);
        pthread_t a, b;
        CHECK_EQ(pthread_create(&a, NULL, releaser, &c), 0);
        CHECK_EQ(pthread_create(&b, NULL, releaser, &c), 0);
        if (round & 1)
            test_sleep_us(10);
        int owner = ary_latch_owner_done(l);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        CHECK_EQ(owner + atomic_load(&c.trues), 1);
        ary_latch_free(l);
    }
    arayon_pool_destroy(&p);
}

int main(void)
{
    test_watchdog(120);
    test_guests();
    test_guest_async();
    test_gangs();
    test_peers();
    test_latches();
    printf("test_team: guests, guests and suspendable tasks, gangs, peers, latches: ok\n");
    return 0;
}
