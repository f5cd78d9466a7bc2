/*
 * check.h - the assertions and small helpers shared by the unit tests.
 *
 * Every CHECK is a real assertion: on failure it prints file:line, the expression and the
 * values, then ends the process with exit code 1 (from any thread, including pool workers).
 * Exit code 77 means "skipped" (SKIP_RETURN_CODE in CMakeLists.txt).
 *
 * Include after <arayon.h> (or define CHECK_NO_ARAYON first, as test_deque.c does) and after
 * `#define _GNU_SOURCE`.
 */
#ifndef ARAYON_TEST_CHECK_H
#define ARAYON_TEST_CHECK_H

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TEST_SKIP 77

/* ---------------------------------------------------------------------------------------
 * Sanitizer builds: tests scale their sizes down with TEST_SCALE_DOWN.
 * ------------------------------------------------------------------------------------- */
#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifndef TEST_TSAN
#define TEST_TSAN 0
#endif
#ifndef TEST_ASAN
#define TEST_ASAN 0
#endif
/* Divide iteration counts by this under sanitizers (TSan is the slow one). */
#define TEST_SCALE_DOWN (TEST_TSAN ? 2 : 1)

/* ---------------------------------------------------------------------------------------
 * Phase tracking and a watchdog, so that a hang reports where it hung.
 * ------------------------------------------------------------------------------------- */
static _Atomic(const char *) test_phase_name = "start";

static inline void test_phase(const char *name)
{
    atomic_store(&test_phase_name, name);
    fprintf(stderr, "-- %s\n", name);
}

static inline void test_watchdog_fired(int sig)
{
    (void)sig;
    static const char msg[] = "WATCHDOG: test did not finish in time; phase: ";
    const char *p = atomic_load(&test_phase_name);
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, p, strlen(p)) < 0 || write(2, "\n", 1) < 0)
        _exit(1);
    _exit(1);
}

/* Ends the process with a message if it is still running after `seconds` (a hang is a
 * failure, reported before CTest's TIMEOUT kills it without a word). */
static inline void test_watchdog(unsigned seconds)
{
    signal(SIGALRM, test_watchdog_fired);
    alarm(seconds);
}

/* ---------------------------------------------------------------------------------------
 * Assertions
 * ------------------------------------------------------------------------------------- */
static inline _Noreturn void test_fail_exit(void)
{
    fflush(stdout);
    fflush(stderr);
    _Exit(1);
}

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n", __FILE__, __LINE__,           \
                    atomic_load(&test_phase_name), #cond);                                  \
            test_fail_exit();                                                               \
        }                                                                                   \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s: ", __FILE__, __LINE__,           \
                    atomic_load(&test_phase_name), #cond);                                  \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fprintf(stderr, "\n");                                                          \
            test_fail_exit();                                                               \
        }                                                                                   \
    } while (0)

/* Integer comparison (any integer type up to 64 bits, signed or unsigned). */
#define CHECK_CMP_(a, op, b)                                                                \
    do {                                                                                    \
        long long check_a_ = (long long)(a);                                                \
        long long check_b_ = (long long)(b);                                                \
        if (!(check_a_ op check_b_)) {                                                      \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s %s %s (%lld vs %lld)\n", __FILE__, \
                    __LINE__, atomic_load(&test_phase_name), #a, #op, #b, check_a_, check_b_); \
            test_fail_exit();                                                               \
        }                                                                                   \
    } while (0)
#define CHECK_EQ(a, b) CHECK_CMP_(a, ==, b)
#define CHECK_NE(a, b) CHECK_CMP_(a, !=, b)
#define CHECK_LT(a, b) CHECK_CMP_(a, <, b)
#define CHECK_LE(a, b) CHECK_CMP_(a, <=, b)
#define CHECK_GT(a, b) CHECK_CMP_(a, >, b)
#define CHECK_GE(a, b) CHECK_CMP_(a, >=, b)

#define CHECK_STREQ(a, b)                                                                   \
    do {                                                                                    \
        const char *check_sa_ = (a), *check_sb_ = (b);                                      \
        if (!check_sa_ || !check_sb_ || strcmp(check_sa_, check_sb_) != 0) {                \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s == %s (\"%s\" vs \"%s\")\n",      \
                    __FILE__, __LINE__, atomic_load(&test_phase_name), #a, #b,              \
                    check_sa_ ? check_sa_ : "(null)", check_sb_ ? check_sb_ : "(null)");    \
            test_fail_exit();                                                               \
        }                                                                                   \
    } while (0)

#ifndef CHECK_NO_ARAYON
/* An arayon call's return code; prints the symbolic names on mismatch. */
#define CHECK_RC(call, expected)                                                            \
    do {                                                                                    \
        int check_rc_ = (call);                                                             \
        int check_ex_ = (expected);                                                         \
        if (check_rc_ != check_ex_) {                                                       \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s returned %d (%s), expected %d (%s)\n", \
                    __FILE__, __LINE__, atomic_load(&test_phase_name), #call, check_rc_,    \
                    arayon_errname(check_rc_), check_ex_, arayon_errname(check_ex_));       \
            test_fail_exit();                                                               \
        }                                                                                   \
    } while (0)
#define CHECK_OK(call) CHECK_RC(call, ARAYON_OK)
#endif

/* ---------------------------------------------------------------------------------------
 * Time and waiting (never used to decide pass/fail except as a hang guard)
 * ------------------------------------------------------------------------------------- */
static inline uint64_t test_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void test_sleep_us(unsigned us)
{
    struct timespec ts = {us / 1000000u, (long)(us % 1000000u) * 1000};
    nanosleep(&ts, NULL);
}

/* How long a waiting loop keeps going before it calls the wait a hang. */
#define TEST_HANG_NS (UINT64_C(30) * 1000000000u)

/* Waits until *v >= target; a hang guard fails the test after TEST_HANG_NS. */
#define WAIT_UNTIL_GE(v, target)                                                            \
    do {                                                                                    \
        uint64_t wait_t0_ = test_now_ns();                                                  \
        long long wait_target_ = (long long)(target);                                       \
        unsigned wait_spins_ = 0;                                                           \
        while ((long long)atomic_load(v) < wait_target_) {                                  \
            if (++wait_spins_ < 100)                                                        \
                sched_yield();                                                              \
            else                                                                            \
                test_sleep_us(100);                                                         \
            CHECK_MSG(test_now_ns() - wait_t0_ < TEST_HANG_NS, "waited too long for %s >= %lld " \
                      "(now %lld)", #v, wait_target_, (long long)atomic_load(v));           \
        }                                                                                   \
    } while (0)

/* ---------------------------------------------------------------------------------------
 * Gates: a one-shot barrier that the test opens (mutex + condition variable).
 * ------------------------------------------------------------------------------------- */
typedef struct test_gate {
    pthread_mutex_t m;
    pthread_cond_t c;
    int open;
} test_gate;

static inline void gate_init(test_gate *g)
{
    pthread_mutex_init(&g->m, NULL);
    pthread_cond_init(&g->c, NULL);
    g->open = 0;
}

static inline void gate_destroy(test_gate *g)
{
    pthread_cond_destroy(&g->c);
    pthread_mutex_destroy(&g->m);
}

static inline void gate_open(test_gate *g)
{
    pthread_mutex_lock(&g->m);
    g->open = 1;
    pthread_cond_broadcast(&g->c);
    pthread_mutex_unlock(&g->m);
}

static inline void gate_wait(test_gate *g)
{
    pthread_mutex_lock(&g->m);
    while (!g->open)
        pthread_cond_wait(&g->c, &g->m);
    pthread_mutex_unlock(&g->m);
}

static inline int gate_is_open(test_gate *g)
{
    pthread_mutex_lock(&g->m);
    int o = g->open;
    pthread_mutex_unlock(&g->m);
    return o;
}

#endif
