/* gomp_tasks: tasking in libgomp's ABI (built by gcc only; the entry each part reaches is named
 * in its comment). Orders are checked with flags that tasks set, never timing.
 * - dependences with iterators (depend(iterator(k = 0:N), out: a[k]), and a strided one);
 * - depobj: omp_depend_t objects made with depobj, used in depend(depobj: ...), updated to
 *   another kind and destroyed;
 * - mutexinoutset: tasks on the same address never overlap, come after the earlier writer and
 *   before the later reader (gcc 12 has no inoutset: "invalid depend kind");
 * - taskwait depend (GOMP_taskwait_depend) and an undeferred task with dependences wait for
 *   their predecessors;
 * - taskloop (GOMP_taskloop, GOMP_taskloop_ull): grainsize, grainsize(strict:), num_tasks,
 *   num_tasks(strict:) (each task's chunk is recovered from a firstprivate, and the chunk sizes
 *   checked against what the clause allows), nogroup with a taskwait, lastprivate, reduction,
 *   in_reduction inside a taskgroup's task_reduction, unsigned long long bounds above 2^63 up
 *   and down, negative steps, collapse(2), if(0), final, priority, untied, several threads each
 *   running their own taskloop;
 * - task priority: every prioritized task runs;
 * - task reductions: reduction(task, ...) on parallel (GOMP_parallel_reductions), on parallel
 *   for, on sections (GOMP_sections2_start) and on scope (GOMP_scope_start), all with
 *   GOMP_task_reduction_remap and GOMP_workshare_task_reduction_unregister / taskgroup
 *   reduction unregister; taskgroup task_reduction with several variables and operators;
 * - detach: an event fulfilled by a plain pthread after the body has ended (waited for by
 *   taskwait and by a taskgroup), by the task itself, and a detached undeferred task (if(0));
 * - final tasks (their descendants are included: they run at once, omp_in_final() is 1),
 *   mergeable and untied tasks. */
#define _GNU_SOURCE
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
    fprintf(stderr, "gomp_tasks.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

static int load(const int *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static void spin(int n)
{
  for (volatile int s = 0; s < n; s++)
    ;
}

static void sleep_us(long us)
{
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static int team;

/* ---- dependences with iterators ----------------------------------------------------------- */

#define NI 32
static int ia[NI], seen_first[NI], seen_second[NI];

static void depend_iterators(void)
{
  memset(ia, 0, sizeof ia);
  memset(seen_first, 0, sizeof seen_first);
  memset(seen_second, 0, sizeof seen_second);
#pragma omp parallel
#pragma omp single
  {
#pragma omp task depend(iterator(k = 0 : NI), out : ia[k])
    {
      spin(20000);
      for (int k = 0; k < NI; k++)
        store(&ia[k], k + 1);
    }
    for (int j = 0; j < NI; j++) {
#pragma omp task depend(in : ia[j]) firstprivate(j)
      {
        CHECK(load(&ia[j]) == j + 1, "reader %d ran before the iterator writer (%d)", j,
              load(&ia[j]));
        store(&seen_first[j], 1);
      }
    }
    /* even elements only: waits for their readers, not for the odd ones' */
#pragma omp task depend(iterator(k = 0 : NI : 2), inout : ia[k])
    {
      for (int k = 0; k < NI; k += 2) {
        CHECK(load(&seen_first[k]) == 1, "strided iterator writer ran before reader %d", k);
        store(&ia[k], 10 * (k + 1));
      }
    }
    for (int j = 0; j < NI; j++) {
#pragma omp task depend(in : ia[j]) firstprivate(j)
      {
        int want = j % 2 ? j + 1 : 10 * (j + 1);
        CHECK(load(&ia[j]) == want, "second reader %d read %d, expected %d", j, load(&ia[j]),
              want);
        store(&seen_second[j], 1);
      }
    }
#pragma omp taskwait
    for (int j = 0; j < NI; j++)
      CHECK(seen_first[j] && seen_second[j], "after taskwait, reader %d had not run (%d %d)", j,
            seen_first[j], seen_second[j]);
  }
}

/* ---- depobj -------------------------------------------------------------------------------- */

static void depobjs(void)
{
  int x = 0, readers = 0, final_seen = -1;
  omp_depend_t wr, rd;
#pragma omp depobj(wr) depend(inout : x)
#pragma omp depobj(rd) depend(in : x)
#pragma omp parallel shared(x, readers, final_seen)
#pragma omp single
  {
#pragma omp task depend(depobj : wr) shared(x)
    {
      spin(20000);
      store(&x, 1);
    }
    for (int k = 0; k < 6; k++) {
#pragma omp task depend(depobj : rd) shared(x, readers)
      {
        CHECK(load(&x) == 1, "a depend(depobj: in) task ran before the depobj(inout) writer");
#pragma omp atomic
        readers++;
      }
    }
#pragma omp depobj(rd) update(inout)
#pragma omp task depend(depobj : rd) shared(x, readers)
    {
      int r;
#pragma omp atomic read
      r = readers;
      CHECK(r == 6, "the depobj updated to inout ran after %d of 6 readers", r);
      store(&x, 2);
    }
#pragma omp task depend(in : x) shared(x, final_seen)
    final_seen = load(&x);
#pragma omp taskwait
  }
#pragma omp depobj(wr) destroy
#pragma omp depobj(rd) destroy
  CHECK(final_seen == 2 && readers == 6, "depobj chain: the last reader saw %d, %d readers ran",
        final_seen, readers);
}

/* ---- mutexinoutset --------------------------------------------------------------------------- */

static void mutexinoutsets(void)
{
  for (int rep = 0; rep < 20; rep++) {
    long m = -1;
    int inflight = 0, overlap = 0, prepared = 0, after = -1;
#pragma omp parallel shared(m, inflight, overlap, prepared, after)
#pragma omp single
    {
#pragma omp task depend(out : m) shared(m, prepared)
      {
        spin(5000);
        m = 0;
        store(&prepared, 1);
      }
      for (int k = 1; k <= 16; k++) {
#pragma omp task depend(mutexinoutset : m) firstprivate(k) shared(m, inflight, overlap, prepared)
        {
          int n;
#pragma omp atomic capture
          n = ++inflight;
          if (n != 1) {
#pragma omp atomic
            overlap++;
          }
          CHECK(load(&prepared) == 1, "a mutexinoutset task ran before the earlier out task");
          long v = m;
          spin(500);
          m = v + k;
#pragma omp atomic
          inflight--;
        }
      }
#pragma omp task depend(in : m) shared(m, after)
      after = (int)m;
#pragma omp taskwait
    }
    CHECK(overlap == 0, "rep %d: mutexinoutset tasks overlapped %d times", rep, overlap);
    CHECK(after == 136 && m == 136, "rep %d: the reader after the mutexinoutset tasks saw %d "
          "(final %ld), expected 136", rep, after, m);
  }
}

/* ---- taskwait depend, undeferred tasks with dependences --------------------------------------- */

static void taskwait_depend(void)
{
  for (int rep = 0; rep < 30; rep++) {
    int p = 0, q = 0, r = 0, seen = -1;
#pragma omp parallel shared(p, q, r, seen)
#pragma omp single
    {
#pragma omp task depend(out : p) shared(p)
      {
        spin(3000 * (rep % 4));
        store(&p, 5);
      }
#pragma omp task depend(out : q) shared(q)
      store(&q, 6);
#pragma omp taskwait depend(in : p)
      CHECK(load(&p) == 5, "rep %d: taskwait depend(in: p) returned before p's writer ended", rep);
#pragma omp task depend(inout : r) shared(r)
      {
        spin(3000 * (rep % 3));
        store(&r, 7);
      }
#pragma omp taskwait depend(out : r)
      CHECK(load(&r) == 7, "rep %d: taskwait depend(out: r) returned before r's writer ended", rep);
#pragma omp task depend(inout : p) shared(p)
      {
        spin(2000 * (rep % 5));
        store(&p, 50);
      }
#pragma omp task if (0) depend(in : p) shared(p, seen)
      seen = load(&p);
      CHECK(seen == 50, "rep %d: an if(0) task with depend(in: p) read %d, expected 50", rep, seen);
#pragma omp taskwait
      CHECK(load(&q) == 6, "rep %d: after taskwait, q = %d", rep, load(&q));
    }
  }
}

/* ---- taskloop ------------------------------------------------------------------------------- */

#define NL 1000
static int lhits[NL], lowner[NL];

static void lreset(void)
{
  memset(lhits, 0, sizeof lhits);
  memset(lowner, -1, sizeof lowner);
}

static void lvisit(long idx, long first)
{
  if (idx < 0 || idx >= NL)
    return;
#pragma omp atomic
  lhits[idx]++;
  lowner[idx] = (int)first;
}

/* Every iteration once; returns the number of chunks and their smallest and largest sizes
 * (the chunk of iteration k is the contiguous run with the same lowner). */
static int lcheck(const char *what, long n, int *minsz, int *maxsz, int *lastsz)
{
  int bad = 0, chunks = 0, cur = 0;
  *minsz = 1 << 30;
  *maxsz = 0;
  *lastsz = 0;
  for (long k = 0; k < NL; k++)
    bad += k < n ? lhits[k] != 1 : lhits[k] != 0;
  CHECK(bad == 0, "%s: %d iterations not run exactly once", what, bad);
  for (long k = 0; k < n; k++) {
    if (k == 0 || lowner[k] != lowner[k - 1]) {
      if (k > 0) {
        *minsz = cur < *minsz ? cur : *minsz;
        *maxsz = cur > *maxsz ? cur : *maxsz;
      }
      CHECK(lowner[k] == k, "%s: iteration %ld starts a chunk that began at %d", what, k,
            lowner[k]);
      chunks++;
      cur = 0;
    }
    cur++;
  }
  if (n > 0) {
    *minsz = cur < *minsz ? cur : *minsz;
    *maxsz = cur > *maxsz ? cur : *maxsz;
    *lastsz = cur;
  }
  return chunks;
}

#define TASKLOOP_CHUNKS(CLAUSES, N)                                                                \
  do {                                                                                             \
    lreset();                                                                                      \
    long first = -1;                                                                               \
    _Pragma("omp parallel") _Pragma("omp single") {                                                \
      PRAGMA(omp taskloop CLAUSES firstprivate(first))                                             \
      for (long i = 0; i < (N); i++) {                                                             \
        if (first < 0)                                                                             \
          first = i;                                                                               \
        lvisit(i, first);                                                                          \
      }                                                                                            \
    }                                                                                              \
  } while (0)
#define STR(...) #__VA_ARGS__
#define PRAGMA(...) _Pragma(STR(__VA_ARGS__))

static void taskloops(void)
{
  int mn, mx, last, chunks;
  char what[120];
  static const long sizes[] = {1000, 999, 7, 1, 0};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    long n = sizes[s];
    /* grainsize(g): chunks of g to 2g-1 iterations (n < g: one chunk) */
    TASKLOOP_CHUNKS(grainsize(10), n);
    snprintf(what, sizeof what, "taskloop grainsize(10), %ld iterations", n);
    chunks = lcheck(what, n, &mn, &mx, &last);
    if (n > 0)
      CHECK(mn >= (n < 10 ? n : 10) && mx < 20, "%s: chunk sizes %d..%d", what, mn, mx);
    /* grainsize(strict: g): exactly g, the last one at most g */
    TASKLOOP_CHUNKS(grainsize(strict : 7), n);
    snprintf(what, sizeof what, "taskloop grainsize(strict: 7), %ld iterations", n);
    chunks = lcheck(what, n, &mn, &mx, &last);
    if (n > 0)
      CHECK(chunks == (n + 6) / 7 && mx <= 7 && last == (n % 7 ? n % 7 : 7),
            "%s: %d chunks of %d..%d, the last %d", what, chunks, mn, mx, last);
    /* num_tasks(k): min(k, n) tasks */
    TASKLOOP_CHUNKS(num_tasks(9), n);
    snprintf(what, sizeof what, "taskloop num_tasks(9), %ld iterations", n);
    chunks = lcheck(what, n, &mn, &mx, &last);
    CHECK(chunks == (n < 9 ? n : 9), "%s: %d chunks", what, chunks);
    TASKLOOP_CHUNKS(num_tasks(strict : 4), n);
    snprintf(what, sizeof what, "taskloop num_tasks(strict: 4), %ld iterations", n);
    chunks = lcheck(what, n, &mn, &mx, &last);
    CHECK(chunks == (n < 4 ? n : 4), "%s: %d chunks", what, chunks);
    /* no clause, if(0), final, priority, untied, mergeable: every iteration once */
    TASKLOOP_CHUNKS(, n);
    snprintf(what, sizeof what, "taskloop, %ld iterations", n);
    lcheck(what, n, &mn, &mx, &last);
    TASKLOOP_CHUNKS(if (0) grainsize(3), n);
    snprintf(what, sizeof what, "taskloop if(0), %ld iterations", n);
    lcheck(what, n, &mn, &mx, &last);
    TASKLOOP_CHUNKS(final(1) num_tasks(5), n);
    snprintf(what, sizeof what, "taskloop final(1), %ld iterations", n);
    lcheck(what, n, &mn, &mx, &last);
    TASKLOOP_CHUNKS(priority(3) untied mergeable grainsize(50), n);
    snprintf(what, sizeof what, "taskloop priority(3) untied mergeable, %ld iterations", n);
    lcheck(what, n, &mn, &mx, &last);
  }

  /* nogroup: the tasks are children of the encountering task; taskwait waits for them */
  {
    int hits = 0, done = -1;
#pragma omp parallel shared(hits, done)
#pragma omp single
    {
#pragma omp taskloop nogroup grainsize(16) shared(hits)
      for (int i = 0; i < 500; i++) {
        spin(100);
#pragma omp atomic
        hits++;
      }
#pragma omp taskwait
#pragma omp atomic read
      done = hits;
    }
    CHECK(done == 500, "taskloop nogroup then taskwait: %d of 500 iterations done", done);
  }

  /* lastprivate, negative steps, unsigned long long bounds, collapse(2) */
  {
    long lastv = -1;
    int hits_neg[200] = {0};
#pragma omp parallel
#pragma omp single
#pragma omp taskloop lastprivate(lastv) grainsize(13)
    for (long i = 500; i > -500; i -= 7) {
#pragma omp atomic
      hits_neg[(500 - i) / 7]++;
      lastv = i;
    }
    long want = 500;
    while (want - 7 > -500)
      want -= 7;
    int bad = 0, trips = (int)((500 - want) / 7) + 1;
    for (int k = 0; k < 200; k++)
      bad += hits_neg[k] != (k < trips);
    CHECK(bad == 0, "taskloop counting down by 7: %d iterations wrong", bad);
    CHECK(lastv == want, "taskloop lastprivate: %ld, expected %ld", lastv, want);

    const unsigned long long base = 0x8000000000000000ULL - 300;
    int uh[700] = {0}, dh[700] = {0};
    unsigned long long ulast = 0;
#pragma omp parallel
#pragma omp single
    {
#pragma omp taskloop num_tasks(6) lastprivate(ulast)
      for (unsigned long long i = base; i < base + 600; i += 3) {
#pragma omp atomic
        uh[(i - base) / 3]++;
        ulast = i;
      }
#pragma omp taskloop grainsize(20)
      for (unsigned long long i = base + 600; i > base; i -= 2) {
#pragma omp atomic
        dh[(base + 600 - i) / 2]++;
      }
    }
    bad = 0;
    for (int k = 0; k < 700; k++)
      bad += uh[k] != (k < 200);
    CHECK(bad == 0 && ulast == base + 597, "taskloop over unsigned long long above 2^63 (up by "
          "3): %d iterations wrong, lastprivate %llu", bad, ulast - base);
    bad = 0;
    for (int k = 0; k < 700; k++)
      bad += dh[k] != (k < 300);
    CHECK(bad == 0, "taskloop over unsigned long long (down by 2): %d iterations wrong", bad);

    int grid[30][20];
    memset(grid, 0, sizeof grid);
#pragma omp parallel
#pragma omp single
#pragma omp taskloop collapse(2) grainsize(7)
    for (int i = 0; i < 30; i++)
      for (long j = 19; j >= 0; j--) {
#pragma omp atomic
        grid[i][j]++;
      }
    bad = 0;
    for (int i = 0; i < 30; i++)
      for (int j = 0; j < 20; j++)
        bad += grid[i][j] != 1;
    CHECK(bad == 0, "taskloop collapse(2): %d cells not visited once", bad);
  }

  /* reduction and in_reduction */
  for (int rep = 0; rep < 10; rep++) {
    long s = 3, t = 0, u = 0;
    long mxv = 0;
#pragma omp parallel shared(s, t, u, mxv)
#pragma omp single
    {
#pragma omp taskloop reduction(+ : s) reduction(max : mxv) grainsize(25)
      for (int i = 0; i < 1000; i++) {
        s += i;
        if ((i * 31) % 997 > mxv)
          mxv = (i * 31) % 997;
      }
#pragma omp taskgroup task_reduction(+ : t)
      {
#pragma omp task in_reduction(+ : t)
        t += 1000;
#pragma omp taskloop in_reduction(+ : t) num_tasks(7)
        for (int i = 0; i < 300; i++)
          t += i;
#pragma omp taskloop reduction(+ : u)
        for (int i = 0; i < 0; i++) /* no iteration: u stays 0 */
          u += i;
      }
    }
    long smax = 0;
    for (int i = 0; i < 1000; i++)
      smax = (i * 31) % 997 > smax ? (i * 31) % 997 : smax;
    CHECK(s == 3 + 999L * 1000 / 2 && mxv == smax, "rep %d: taskloop reduction(+, max): %ld, %ld",
          rep, s, mxv);
    CHECK(t == 1000 + 299L * 300 / 2, "rep %d: taskloop in_reduction: %ld, expected %ld", rep, t,
          1000 + 299L * 300 / 2);
    CHECK(u == 0, "rep %d: a taskloop reduction without iterations gave %ld", rep, u);
  }

  /* every thread runs its own taskloop at once */
  {
    long sums[64] = {0};
#pragma omp parallel shared(sums)
    {
      int me = omp_get_thread_num();
      if (me < 64) {
#pragma omp taskloop grainsize(8) shared(sums)
        for (int i = 0; i < 400; i++) {
#pragma omp atomic
          sums[me] += i + me;
        }
        long v;
#pragma omp atomic read
        v = sums[me];
        CHECK(v == 399L * 400 / 2 + 400L * me, "thread %d: its taskloop summed %ld", me, v);
      }
    }
  }
}

/* ---- priority -------------------------------------------------------------------------------- */

static void priorities(void)
{
  static int done[600];
  memset(done, 0, sizeof done);
#pragma omp parallel
#pragma omp single
  {
    for (int i = 0; i < 600; i++) {
#pragma omp task priority(i % 10) firstprivate(i)
      {
        spin(i % 7 * 100);
        done[i] = i + 1;
      }
    }
  }
  int bad = 0;
  for (int i = 0; i < 600; i++)
    bad += done[i] != i + 1;
  CHECK(bad == 0, "prioritized tasks: %d did not run", bad);
}

/* ---- task reductions on worksharing constructs and parallel ------------------------------------ */

static void task_reductions(void)
{
  for (int rep = 0; rep < 20; rep++) {
    /* parallel reduction(task, ...): GOMP_parallel_reductions */
    long a = 10, b = 1;
#pragma omp parallel reduction(task, + : a) reduction(task, * : b)
    {
#pragma omp task in_reduction(+ : a) in_reduction(* : b)
      {
        a += 5;
        b *= 2;
      }
      a += 1;
    }
    CHECK(a == 10 + 6L * team && b == 1L << team, "rep %d: parallel reduction(task): %ld and %ld, "
          "expected %ld and %ld", rep, a, b, 10 + 6L * team, 1L << team);

    /* parallel for reduction(task, ...) */
    long c = 0;
#pragma omp parallel for reduction(task, + : c) schedule(dynamic, 4)
    for (int i = 0; i < 200; i++) {
#pragma omp task in_reduction(+ : c) firstprivate(i)
      c += i;
      c += 1;
    }
    CHECK(c == 199L * 200 / 2 + 200, "rep %d: parallel for reduction(task): %ld", rep, c);

    /* sections reduction(task, ...): GOMP_sections2_start */
    long d = 0;
#pragma omp parallel shared(d)
    {
#pragma omp sections reduction(task, + : d)
      {
#pragma omp section
        {
#pragma omp task in_reduction(+ : d)
          d += 100;
          d += 1;
        }
#pragma omp section
        {
#pragma omp task in_reduction(+ : d)
          d += 200;
        }
#pragma omp section
        d += 3;
      }
    }
    CHECK(d == 304, "rep %d: sections reduction(task): %ld, expected 304", rep, d);

    /* scope reduction(task, ...): GOMP_scope_start */
    long e = 0;
#pragma omp parallel shared(e)
    {
#pragma omp scope reduction(task, + : e)
      {
#pragma omp task in_reduction(+ : e)
        e += 7;
        e += 1;
      }
    }
    CHECK(e == 8L * team, "rep %d: scope reduction(task): %ld, expected %ld", rep, e, 8L * team);

    /* taskgroup task_reduction with several variables and operators */
    long f = 0, g = 1, h = -1;
#pragma omp parallel shared(f, g, h)
#pragma omp single
#pragma omp taskgroup task_reduction(+ : f) task_reduction(* : g) task_reduction(max : h)
    {
      for (int k = 0; k < 40; k++) {
#pragma omp task in_reduction(+ : f) in_reduction(* : g) in_reduction(max : h) firstprivate(k)
        {
          f += k;
          if (k % 8 == 0)
            g *= 3;
          if ((k * 17) % 41 > h)
            h = (k * 17) % 41;
#pragma omp task in_reduction(+ : f) firstprivate(k)
          f += 1000;
        }
      }
    }
    long hmax = -1;
    for (int k = 0; k < 40; k++)
      hmax = (k * 17) % 41 > hmax ? (k * 17) % 41 : hmax;
    CHECK(f == 39L * 40 / 2 + 40000 && g == 243 && h == hmax,
          "rep %d: taskgroup task_reduction(+, *, max): %ld %ld %ld", rep, f, g, h);
  }
}

/* ---- detach ------------------------------------------------------------------------------------ */

#define NQ 64
static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  omp_event_handle_t q[NQ];
  int *flag[NQ];
  unsigned head, tail;
  int stop;
} svc = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, {0}, 0, 0, 0};

static void svc_post(omp_event_handle_t ev, int *flag)
{
  pthread_mutex_lock(&svc.mu);
  if (svc.tail - svc.head >= NQ) {
    fputs("gomp_tasks.c: fulfil queue full\n", stderr);
    abort();
  }
  svc.flag[svc.tail % NQ] = flag;
  svc.q[svc.tail++ % NQ] = ev;
  pthread_cond_signal(&svc.cv);
  pthread_mutex_unlock(&svc.mu);
}

static void *svc_main(void *arg)
{
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&svc.mu);
    while (svc.head == svc.tail && !svc.stop)
      pthread_cond_wait(&svc.cv, &svc.mu);
    if (svc.head == svc.tail) {
      pthread_mutex_unlock(&svc.mu);
      return NULL;
    }
    omp_event_handle_t ev = svc.q[svc.head % NQ];
    int *flag = svc.flag[svc.head++ % NQ];
    pthread_mutex_unlock(&svc.mu);
    sleep_us(300);
    store(flag, 1);
    omp_fulfill_event(ev);
  }
}

static void detaches(void)
{
  pthread_t th;
  if (pthread_create(&th, NULL, svc_main, NULL) != 0) {
    fputs("gomp_tasks.c: cannot start the fulfilling thread\n", stderr);
    exit(1);
  }
  static int fl[3][16], body[3][16];
  memset(fl, 0, sizeof fl);
  memset(body, 0, sizeof body);
#pragma omp parallel
#pragma omp single
  {
    /* fulfilled by the pthread after the body ended; taskwait waits for the fulfil */
    for (int i = 0; i < 16; i++) {
      omp_event_handle_t ev;
#pragma omp task detach(ev) firstprivate(i)
      {
        svc_post(ev, &fl[0][i]);
        store(&body[0][i], 1);
      }
    }
#pragma omp taskwait
    for (int i = 0; i < 16; i++)
      CHECK(load(&fl[0][i]) && load(&body[0][i]), "after taskwait, detached task %d: fulfilled "
            "%d, body ended %d", i, load(&fl[0][i]), load(&body[0][i]));

    /* the same under a taskgroup, the detached tasks being grandchildren */
#pragma omp taskgroup
    {
#pragma omp task
      for (int i = 0; i < 16; i++) {
        omp_event_handle_t ev;
#pragma omp task detach(ev) firstprivate(i)
        {
          svc_post(ev, &fl[1][i]);
          store(&body[1][i], 1);
        }
      }
    }
    for (int i = 0; i < 16; i++)
      CHECK(load(&fl[1][i]) && load(&body[1][i]), "after a taskgroup, detached task %d: "
            "fulfilled %d, body ended %d", i, load(&fl[1][i]), load(&body[1][i]));

    /* fulfilled by the task itself; a dependent task waits for the end of its body */
    int x = 0;
    for (int i = 0; i < 16; i++) {
      omp_event_handle_t ev;
#pragma omp task detach(ev) depend(inout : x) firstprivate(i) shared(x)
      {
        omp_fulfill_event(ev);
        spin(1000);
        x++;
      }
    }
    int xs = -1;
#pragma omp task depend(in : x) shared(x, xs)
    xs = x;
#pragma omp taskwait
    CHECK(xs == 16, "self-fulfilled detached chain: the reader saw %d, expected 16", xs);

    /* undeferred (if(0)) detached tasks: complete once the pthread fulfils them */
    for (int i = 0; i < 8; i++) {
      omp_event_handle_t ev;
#pragma omp task detach(ev) if (0) firstprivate(i)
      {
        svc_post(ev, &fl[2][i]);
        store(&body[2][i], 1);
      }
    }
#pragma omp taskwait
    for (int i = 0; i < 8; i++)
      CHECK(load(&fl[2][i]) && load(&body[2][i]), "after taskwait, undeferred detached task %d: "
            "fulfilled %d, body ended %d", i, load(&fl[2][i]), load(&body[2][i]));
  }
  pthread_mutex_lock(&svc.mu);
  svc.stop = 1;
  pthread_cond_signal(&svc.cv);
  pthread_mutex_unlock(&svc.mu);
  pthread_join(th, NULL);
}

/* ---- final, mergeable, untied --------------------------------------------------------------- */

static void finals(void)
{
  int bad_final = 0, bad_included = 0, ran = 0;
#pragma omp parallel shared(bad_final, bad_included, ran)
#pragma omp single
  {
    for (int k = 0; k < 20; k++) {
#pragma omp task final(k % 2 == 0) firstprivate(k) shared(bad_final, bad_included, ran)
      {
        int in_final = omp_in_final();
        if (in_final != (k % 2 == 0)) {
#pragma omp atomic
          bad_final++;
        }
        if (in_final) {
          /* descendants of a final task are included: they run here, at once */
          int child_ran = 0;
#pragma omp task shared(child_ran, bad_final)
          {
            if (!omp_in_final()) {
#pragma omp atomic
              bad_final++;
            }
            child_ran = 1;
          }
          if (!child_ran) {
#pragma omp atomic
            bad_included++;
          }
        }
#pragma omp task mergeable shared(ran)
        {
#pragma omp atomic
          ran++;
        }
#pragma omp task untied shared(ran)
        {
#pragma omp taskyield
#pragma omp atomic
          ran++;
        }
      }
    }
  }
  CHECK(bad_final == 0, "omp_in_final() wrong in %d tasks", bad_final);
  CHECK(bad_included == 0, "%d tasks created in a final task had not run when their construct "
        "ended", bad_included);
  CHECK(ran == 40, "%d of 40 mergeable / untied tasks ran", ran);
}

int main(void)
{
#pragma omp parallel
#pragma omp single
  team = omp_get_num_threads();

  depend_iterators();
  depobjs();
  mutexinoutsets();
  taskwait_depend();
  taskloops();
  priorities();
  task_reductions();
  detaches();
  finals();

  if (failures) {
    fprintf(stderr, "gomp_tasks: %d check(s) failed\n", failures);
    return 1;
  }
  printf("gomp_tasks: depend iterators, depobj, mutexinoutset, taskwait depend, taskloop variants, "
         "priority, task reductions, detach, final/mergeable/untied; team of %d: ok\n", team);
  return 0;
}
