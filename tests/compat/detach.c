/* detach: tasks with detach(event), which complete only when their body has returned AND
 * omp_fulfill_event(event) was called, in either order. The fulfilling side is
 * (a) another task, later: producer tasks with depend(out) post a request and end, a completer
 *     task fills the data and fulfils; consumers with depend(in) on the producer's data must
 *     start only after the fulfil (they check the completer's flag);
 * (b) a separate pthread (an "I/O service" fed through a mutex/condvar queue) after a delay:
 *     taskwait, the end of a taskgroup (the detached tasks are grandchildren there), an explicit
 *     barrier and the region's end barrier must all wait until every body has ended and every
 *     event was fulfilled (the bodies sleep after posting, so both orders happen); a task with
 *     depend(in) on a detached task's depend(out) sees the service's flag set;
 * (c) the task itself, before its body ends: the wait and a dependent task still see the rest
 *     of the body done.
 * Every event is fulfilled exactly once. The flags are read with atomics, never timing.
 *
 * On libgomp 12 (the reference of gcc builds) the barrier part of (b) is left out: a barrier
 * (explicit or the region's end) never ends when a detached task's body has returned and a
 * thread outside the team fulfils its event afterwards (omp_fulfill_event wakes the team but no
 * thread sees the task count reach 0: a lost wake-up in libgomp, with 1, 2 and 4 threads; the
 * taskwait and taskgroup parts, and a fulfil from a team thread, work). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <omp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

__attribute__((format(printf, 3, 4))) static void fail(int line, const char *what, const char *fmt, ...)
{
  int n;
#pragma omp atomic capture
  n = ++failures;
  if (n > 20)
    return;
  va_list ap;
  va_start(ap, fmt);
#pragma omp critical(compat_report)
  {
    fprintf(stderr, "detach.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

static void sleep_us(long us)
{
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static int load(const int *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

/* ---- the I/O service: a plain pthread that completes requests and fulfils their events ---- */

typedef struct request {
  omp_event_handle_t ev;
  int value;    /* answer: value * value in *result */
  int *result;
  int *done;    /* set just before the event is fulfilled */
  long delay_us;
} request;

#define QCAP 1024
static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  request q[QCAP];
  unsigned head, tail;
  int stop;
} io = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {{0}}, 0, 0, 0};
static long io_fulfilled;

static void io_post(omp_event_handle_t ev, int value, int *result, int *done, long delay_us)
{
  pthread_mutex_lock(&io.mu);
  if (io.tail - io.head >= QCAP) {
    fputs("detach.c: request queue full\n", stderr);
    abort();
  }
  io.q[io.tail++ % QCAP] = (request){ev, value, result, done, delay_us};
  pthread_cond_signal(&io.cv);
  pthread_mutex_unlock(&io.mu);
}

static void *io_main(void *arg)
{
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&io.mu);
    while (io.head == io.tail && !io.stop)
      pthread_cond_wait(&io.cv, &io.mu);
    if (io.head == io.tail) {
      pthread_mutex_unlock(&io.mu);
      return NULL;
    }
    request r = io.q[io.head++ % QCAP];
    pthread_mutex_unlock(&io.mu);
    if (r.delay_us)
      sleep_us(r.delay_us);
    *r.result = r.value * r.value;
    store(r.done, 1);
    __atomic_fetch_add(&io_fulfilled, 1, __ATOMIC_RELAXED);
    omp_fulfill_event(r.ev);
  }
}

/* ---- (a) fulfilled by another task ------------------------------------------------------ */

#define NA 64
static int posted_a[NA], data_a[NA], filled_a[NA], consumed_a[NA];

static void from_task(void)
{
  static omp_event_handle_t evs[NA];
#pragma omp single
  {
    for (int i = 0; i < NA; i++) {
      omp_event_handle_t ev;
#pragma omp task detach(ev) depend(out: data_a[i]) firstprivate(i)
      posted_a[i] = i + 1; /* "start the operation"; data_a[i] arrives at the fulfil */
      evs[i] = ev;
#pragma omp task depend(in: data_a[i]) firstprivate(i)
      {
        CHECK(load(&filled_a[i]) == 1, "consumer %d started before its producer's event was "
              "fulfilled", i);
        CHECK(posted_a[i] == i + 1, "consumer %d: the producer's body had not run", i);
        CHECK(data_a[i] == 3 * i + 7, "consumer %d read %d, expected %d", i, data_a[i], 3 * i + 7);
        store(&consumed_a[i], 1);
      }
    }
#pragma omp task shared(evs) /* the completer: fulfils every event, later */
    {
      sleep_us(2000);
      for (int i = 0; i < NA; i++) {
        data_a[i] = 3 * i + 7;
        store(&filled_a[i], 1);
        omp_fulfill_event(evs[i]);
      }
    }
#pragma omp taskwait
    for (int i = 0; i < NA; i++)
      CHECK(load(&consumed_a[i]) == 1, "after taskwait, consumer %d had not run", i);
  }
}

/* ---- (b) fulfilled by the I/O pthread after a delay -------------------------------------- */

#define NB 48
typedef struct slot {
  int result, done, body_end;
} slot;
static slot sb[NB];

/* A detached task: posts a request, then (for some) goes on working for a while, so the
 * fulfil comes before or after the body's end. */
static void post_and_work(slot *s, int value, long delay_us, long work_us)
{
  omp_event_handle_t ev = (omp_event_handle_t)0; /* (set by the construct) */
#pragma omp task detach(ev) firstprivate(s, value, delay_us, work_us)
  {
    io_post(ev, value, &s->result, &s->done, delay_us);
    if (work_us)
      sleep_us(work_us);
    store(&s->body_end, 1);
  }
}

static void reset(slot *s, int n)
{
  for (int i = 0; i < n; i++)
    s[i] = (slot){-1, 0, 0};
}

static void check_slots(const slot *s, int n, int base, const char *wait)
{
  for (int i = 0; i < n; i++) {
    CHECK(load(&s[i].done) == 1, "after %s, request %d was not fulfilled yet", wait, i);
    CHECK(load(&s[i].body_end) == 1, "after %s, the body of detached task %d had not ended", wait, i);
    if (load(&s[i].done))
      CHECK(s[i].result == (base + i) * (base + i), "request %d: result %d, expected %d", i,
            s[i].result, (base + i) * (base + i));
  }
}

static int dep_x, dep_seen_done;

static void pthread_taskwait(void)
{
#pragma omp single
  {
    for (int i = 0; i < NB; i++)
      post_and_work(&sb[i], i, 100 + (i % 4) * 100, (i % 3) * 150);
#pragma omp taskwait
    check_slots(sb, NB, 0, "taskwait");
  }
}

/* taskgroup: the detached tasks are grandchildren of the group's task */
static void pthread_taskgroup(void)
{
#pragma omp single
  {
#pragma omp taskgroup
    {
      for (int k = 0; k < 4; k++) {
#pragma omp task firstprivate(k)
        for (int i = k; i < NB; i += 4)
          post_and_work(&sb[i], 100 + i, 100 + (i % 4) * 100, (i % 3) * 150);
      }
    }
    check_slots(sb, NB, 100, "the end of a taskgroup");
  }
}

/* explicit barrier, then the region's end barrier (the caller checks after it): every
 * thread posts its share */
static slot sb2[NB];
static void pthread_barrier(void)
{
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    for (int i = t; i < NB; i += n)
      post_and_work(&sb[i], 200 + i, 100 + (i % 4) * 100, (i % 3) * 150);
#pragma omp barrier
    if (t == n - 1)
      check_slots(sb, NB, 200, "a barrier");
    for (int i = t; i < NB; i += n)
      post_and_work(&sb2[i], 300 + i, 100 + (i % 4) * 100, (i % 3) * 150);
  }
}

/* a dependent task starts only after the fulfil */
static slot sd;
static void pthread_depend(void)
{
#pragma omp single
  {
    omp_event_handle_t ev;
#pragma omp task detach(ev) depend(out: dep_x)
    {
      dep_x = 41;
      io_post(ev, 9, &sd.result, &sd.done, 3000);
      store(&sd.body_end, 1);
    }
#pragma omp task depend(in: dep_x)
    {
      dep_seen_done = load(&sd.done);
      CHECK(dep_seen_done == 1, "a task depending on a detached task started before the event "
            "was fulfilled");
      CHECK(dep_x == 41, "dependent task read %d", dep_x);
      if (load(&sd.done))
        CHECK(sd.result == 81, "request result %d, expected 81", sd.result);
    }
#pragma omp taskwait
    CHECK(dep_seen_done == 1, "after taskwait, the dependent task %s",
          dep_seen_done < 0 ? "had not run" : "had run before the fulfil");
  }
}

static int solo, on_libgomp;
static void region(void (*body)(void));

/* the barrier part of (b) runs (see the top of the file) */
static int with_barrier_part(void) { return !solo && !on_libgomp; }

static void from_pthread(void)
{
  reset(sb, NB);
  region(pthread_taskwait);
  reset(sb, NB);
  region(pthread_taskgroup);
  /* (libomp's barrier outside any region does not wait for tasks; libgomp's lost wake-up) */
  if (with_barrier_part()) {
    reset(sb, NB);
    reset(sb2, NB);
    region(pthread_barrier);
    check_slots(sb2, NB, 300, "the end of a parallel region");
  }
}

static void from_pthread_depend(void)
{
  reset(&sd, 1);
  dep_x = 0;
  dep_seen_done = -1;
  region(pthread_depend);
}

/* ---- (c) fulfilled by the task itself, before its body ends ------------------------------- */

#define NC 200
static int val_c[NC], end_c[NC], seen_c[NC];

static void self_depend(void)
{
#pragma omp single
  {
    for (int i = 0; i < NC; i++) {
      omp_event_handle_t ev;
#pragma omp task detach(ev) depend(out: val_c[i]) firstprivate(i)
      {
        omp_fulfill_event(ev);
        if (i % 10 == 0)
          sleep_us(300);
        val_c[i] = 5 * i;
        store(&end_c[i], 1);
      }
#pragma omp task depend(in: val_c[i]) firstprivate(i)
      {
        CHECK(load(&end_c[i]) == 1, "task %d depending on a self-fulfilled detached task started "
              "before that task's body ended", i);
        CHECK(val_c[i] == 5 * i, "dependent %d read %d", i, val_c[i]);
        store(&seen_c[i], 1);
      }
    }
#pragma omp taskwait
    for (int i = 0; i < NC; i++) {
      CHECK(load(&end_c[i]) == 1, "after taskwait, self-fulfilled task %d had not ended", i);
      CHECK(load(&seen_c[i]) == 1, "after taskwait, dependent %d had not run", i);
    }
  }
}

/* the same under a taskgroup, no dependences */
static int end_g[NC];
static void self_taskgroup(void)
{
#pragma omp single
  {
#pragma omp taskgroup
    for (int i = 0; i < NC; i++) {
      omp_event_handle_t ev;
#pragma omp task detach(ev) firstprivate(i)
      {
        omp_fulfill_event(ev);
        if (i % 25 == 0)
          sleep_us(500);
        store(&end_g[i], 1);
      }
    }
    for (int i = 0; i < NC; i++)
      CHECK(load(&end_g[i]) == 1, "after a taskgroup, self-fulfilled task %d had not ended", i);
  }
}

static int want(int argc, char **argv, const char *part)
{
  if (argc < 2)
    return 1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], part) == 0)
      return 1;
  return 0;
}

/* Arguments: the parts to run, among "task" (a), "pthread" (b: the waits), "pthread-depend" (b: the
 * dependent task) and "self" (c); all by default. */
/* A parallel region running body, or with one thread just body (orphaned constructs bind to
 * the initial task): libomp 14 fails an assertion (kmp_runtime.cpp:2375 or :1124) at the end
 * of a serialized parallel region in which a task was detached, so with one thread the
 * reference could not run the regions at all. (Then the barrier part is left out: libomp's
 * barrier outside any region does not wait for tasks.) Built by gcc, the program always runs
 * real regions (of one thread too): libgomp runs a task outside any region undeferred and
 * blocks its creator until the event is fulfilled, which in (a) only a later task does. */
static void region(void (*body)(void))
{
  if (solo) {
    body();
    return;
  }
#pragma omp parallel
  body();
}

int main(int argc, char **argv)
{
  pthread_t io_thread;
  if (pthread_create(&io_thread, NULL, io_main, NULL) != 0) {
    fputs("detach.c: cannot start the I/O thread\n", stderr);
    return 1;
  }
  int team = 0;
#pragma omp parallel
#pragma omp single
  team = omp_get_num_threads();

#ifdef __clang__
  solo = team == 1;
#endif
  {
    /* libgomp itself in charge (not arayon's layer, not libomp's GOMP_* entries) */
    void *p = dlsym(RTLD_DEFAULT, "omp_fulfill_event");
    Dl_info info;
    if (!dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name") && p && dladdr(p, &info) &&
        info.dli_fname && strstr(info.dli_fname, "libgomp"))
      on_libgomp = 1;
  }
  if (want(argc, argv, "task"))
    region(from_task);
  if (want(argc, argv, "pthread"))
    from_pthread();
  if (want(argc, argv, "pthread-depend"))
    from_pthread_depend();
  if (want(argc, argv, "self")) {
    region(self_depend);
    region(self_taskgroup);
  }

  pthread_mutex_lock(&io.mu);
  io.stop = 1;
  pthread_cond_signal(&io.cv);
  pthread_mutex_unlock(&io.mu);
  pthread_join(io_thread, NULL);
  long expect_io = (want(argc, argv, "pthread") ? (with_barrier_part() ? 4L : 2L) * NB : 0) +
                   want(argc, argv, "pthread-depend");
  CHECK(io_fulfilled == expect_io, "the I/O thread fulfilled %ld events, expected %ld",
        io_fulfilled, expect_io);

  if (failures) {
    fprintf(stderr, "detach: %d check(s) failed\n", failures);
    return 1;
  }
  printf("detach: events fulfilled by a task: %d, by a pthread: %ld, before the body ended: %d; "
         "team of %d%s: ok\n", want(argc, argv, "task") ? NA : 0, io_fulfilled,
         want(argc, argv, "self") ? 2 * NC : 0, team,
         on_libgomp && !solo && want(argc, argv, "pthread")
             ? " (libgomp: the pthread-fulfilled barrier part left out)" : "");
  return 0;
}
