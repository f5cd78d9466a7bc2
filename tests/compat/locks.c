/* locks: omp_lock_t and omp_nest_lock_t. Plain counters protected by a lock (from implicit and
 * explicit tasks) and by an array of locks (a histogram) must add up exactly; omp_test_lock
 * fails while another thread holds the lock and succeeds once it is free; a nest lock is
 * re-entrant for its owner, omp_test_nest_lock returns the new nesting count (and 0 for other
 * threads while held); locks made with omp_init_lock_with_hint / omp_init_nest_lock_with_hint
 * and critical with a hint work the same; a lock can be destroyed and initialized again.
 *
 * libgomp 12 does not export omp_init_lock_with_hint / omp_init_nest_lock_with_hint (its omp.h
 * declares them), so a gcc-built program could not link against it: they are weak references
 * here. When they are absent the hinted-lock part is left out, which is allowed only when the
 * process does not run on arayon (arayon_omp_runtime_name absent): arayon's layer exports them
 * to both ABIs, and on its routes they must be there and work. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#pragma weak omp_init_lock_with_hint
#pragma weak omp_init_nest_lock_with_hint

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
    fprintf(stderr, "locks.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
static void spin(int n)
{
  for (volatile int s = 0; s < n; s++)
    ;
}

static omp_nest_lock_t nlock;
static long nested_counter;

static void recursive_update(int depth)
{
  omp_set_nest_lock(&nlock);
  long v = nested_counter;
  spin(3);
  nested_counter = v + 1;
  if (depth > 0)
    recursive_update(depth - 1);
  omp_unset_nest_lock(&nlock);
}

int main(void)
{
  omp_lock_t lock;
  omp_init_lock(&lock);
  long counter = 0;
  const int per_thread = 3000;
  int team = 0;

  /* 1. A plain counter under a lock, from every implicit task and from explicit tasks. */
#pragma omp parallel shared(counter, team)
  {
#pragma omp single
    team = omp_get_num_threads();
    for (int k = 0; k < per_thread; k++) {
      omp_set_lock(&lock);
      long v = counter;
      spin(5);
      counter = v + 1;
      omp_unset_lock(&lock);
    }
#pragma omp single
    for (int k = 0; k < 500; k++) {
#pragma omp task shared(counter, lock)
      {
        omp_set_lock(&lock);
        counter += 2;
        omp_unset_lock(&lock);
      }
    }
  }
  CHECK(counter == (long)team * per_thread + 1000, "lock-protected counter %ld, expected %ld",
        counter, (long)team * per_thread + 1000);

  /* 2. A histogram with one lock per bucket. */
  enum { B = 16, N = 20000 };
  omp_lock_t bucket_lock[B];
  long hist[B] = {0}, expect[B] = {0};
  for (int b = 0; b < B; b++)
    omp_init_lock(&bucket_lock[b]);
  for (int i = 0; i < N; i++)
    expect[(i * 2654435761u) % B] += i % 7;
#pragma omp parallel for schedule(dynamic, 64)
  for (int i = 0; i < N; i++) {
    int b = (int)((i * 2654435761u) % B);
    omp_set_lock(&bucket_lock[b]);
    hist[b] += i % 7;
    omp_unset_lock(&bucket_lock[b]);
  }
  for (int b = 0; b < B; b++) {
    CHECK(hist[b] == expect[b], "bucket %d: %ld, expected %ld", b, hist[b], expect[b]);
    omp_destroy_lock(&bucket_lock[b]);
  }

  /* 3. omp_test_lock against a holder, phases separated by barriers. */
  int test_while_held = 0, test_after = -1, holders = 0;
#pragma omp parallel shared(test_while_held, test_after, holders)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    if (t == 0)
      omp_set_lock(&lock);
#pragma omp barrier
    if (t != 0 && omp_test_lock(&lock)) {
#pragma omp atomic
      test_while_held++;
      omp_unset_lock(&lock);
    }
#pragma omp barrier
    if (t == 0)
      omp_unset_lock(&lock);
#pragma omp barrier
    if (t == (n > 1 ? 1 : 0)) {
      test_after = omp_test_lock(&lock);
      if (test_after)
        omp_unset_lock(&lock);
    }
#pragma omp barrier
    /* everyone tries once: a try fails only while another holds it, so one succeeds */
    if (omp_test_lock(&lock)) {
#pragma omp atomic
      holders++;
      spin(100);
      omp_unset_lock(&lock);
    }
  }
  CHECK(test_while_held == 0, "omp_test_lock succeeded %d times while another thread held the lock",
        test_while_held);
  CHECK(test_after == 1, "omp_test_lock on a free lock returned %d", test_after);
  CHECK(holders >= 1, "no thread got the free lock with omp_test_lock");
  omp_destroy_lock(&lock);

  /* 4. Nest locks. */
  omp_init_nest_lock(&nlock);
  int count_after_sets = -1, other_test = 0, other_after = -1;
#pragma omp parallel shared(count_after_sets, other_test, other_after)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    if (t == 0) {
      omp_set_nest_lock(&nlock);
      omp_set_nest_lock(&nlock);
      omp_set_nest_lock(&nlock);
      count_after_sets = omp_test_nest_lock(&nlock); /* 4th level */
    }
#pragma omp barrier
    if (t != 0) {
      int r = omp_test_nest_lock(&nlock);
      if (r) {
#pragma omp atomic
        other_test++;
        omp_unset_nest_lock(&nlock);
      }
    }
#pragma omp barrier
    if (t == 0)
      for (int k = 0; k < 4; k++)
        omp_unset_nest_lock(&nlock);
#pragma omp barrier
    if (t == (n > 1 ? 1 : 0)) {
      other_after = omp_test_nest_lock(&nlock);
      if (other_after > 0)
        omp_unset_nest_lock(&nlock);
    }
#pragma omp barrier
    for (int k = 0; k < 300; k++)
      recursive_update(3); /* 4 increments, re-entering the lock 4 deep */
  }
  CHECK(count_after_sets == 4, "omp_test_nest_lock by the owner after 3 sets returned %d, expected 4",
        count_after_sets);
  CHECK(other_test == 0, "omp_test_nest_lock succeeded %d times for non-owners", other_test);
  CHECK(other_after == 1, "omp_test_nest_lock on a free nest lock returned %d, expected 1",
        other_after);
  long expect_nested = 300L * 4 * team;
  CHECK(nested_counter == expect_nested, "nest-lock counter %ld, expected %ld", nested_counter,
        expect_nested);
  omp_destroy_nest_lock(&nlock);

  /* 5. Hinted locks, hinted critical, re-initialization. */
  omp_lock_t hl;
  omp_nest_lock_t hnl;
  int on_arayon = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name") != NULL;
  int hinted = omp_init_lock_with_hint && omp_init_nest_lock_with_hint;
  CHECK(hinted || !on_arayon, "omp_init_lock_with_hint (%s) or omp_init_nest_lock_with_hint (%s) "
        "missing on arayon", omp_init_lock_with_hint ? "present" : "absent",
        omp_init_nest_lock_with_hint ? "present" : "absent");
  if (hinted) {
    omp_init_lock_with_hint(&hl, omp_sync_hint_contended);
    omp_init_nest_lock_with_hint(&hnl, omp_sync_hint_uncontended);
  } else { /* the runtime lacks them (libgomp 12): the same checks with plain locks */
    omp_init_lock(&hl);
    omp_init_nest_lock(&hnl);
  }
  long h1 = 0, h2 = 0, h3 = 0;
#pragma omp parallel shared(h1, h2, h3)
  {
    for (int k = 0; k < 1000; k++) {
      omp_set_lock(&hl);
      h1++;
      omp_unset_lock(&hl);
      omp_set_nest_lock(&hnl);
      omp_set_nest_lock(&hnl);
      h2++;
      omp_unset_nest_lock(&hnl);
      omp_unset_nest_lock(&hnl);
#pragma omp critical(hinted) hint(omp_sync_hint_contended)
      h3++;
    }
  }
  CHECK(h1 == 1000L * team && h2 == 1000L * team && h3 == 1000L * team,
        "hinted lock / nest lock / critical counters %ld / %ld / %ld, expected %ld each", h1, h2, h3,
        1000L * team);
  omp_destroy_lock(&hl);
  omp_destroy_nest_lock(&hnl);
  omp_init_lock(&hl);
  CHECK(omp_test_lock(&hl) == 1, "a re-initialized lock is not free");
  omp_unset_lock(&hl);
  omp_destroy_lock(&hl);

  if (failures) {
    fprintf(stderr, "locks: %d check(s) failed\n", failures);
    return 1;
  }
  printf("locks: lock-protected counter and histogram, test_lock against a holder, nest lock "
         "counts and re-entry, %s and critical, team of %d: ok\n",
         hinted ? "hinted locks" : "plain locks (the runtime has no omp_init_*lock_with_hint)",
         team);
  return 0;
}
