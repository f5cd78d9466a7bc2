/* firstprivate_big: tasks capture large values at creation. A struct with int[256], a 64 KiB
 * struct and a plain array are firstprivate; the creating task overwrites its originals right
 * after each task construct, and each task checks that it sees the values of its creation (and
 * its writes to its copies do not reach the originals). Also the implicit firstprivate of a local of the creating task,
 * shared vs. firstprivate in one task, and firstprivate in tasks created from every thread.
 *
 * Alignment: clang assumes 16-byte alignment for the copy of an array of 16 bytes or more but
 * may place it at offset 40 of a 16-aligned task; the misalignment is counted and reported
 * (COMPAT_VERBOSE=1), not checked (see the end of main). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
    fprintf(stderr, "firstprivate_big.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
struct big {
  int id;
  int a[256];
  double d;
  char name[32];
};

struct huge {
  long id;
  unsigned char bytes[65536];
};

#define NT 200

static int ok_big[NT], ok_huge[NT], ok_arr[NT], ok_implicit[NT];
static int misaligned; /* tasks whose int[300] copy was not 16-byte aligned */

static void note_alignment(const void *p)
{
  volatile uintptr_t addr = (uintptr_t)p; /* volatile: the compiler assumes the alignment */
  if (addr % 16 != 0) {
#pragma omp atomic
    misaligned++;
  }
}

static void fill(struct big *b, int id)
{
  b->id = id;
  for (int k = 0; k < 256; k++)
    b->a[k] = id * 1000 + k;
  b->d = id + 0.5;
  snprintf(b->name, sizeof b->name, "task-%d", id);
}

static int valid(const struct big *b, int id)
{
  char expect[32];
  snprintf(expect, sizeof expect, "task-%d", id);
  if (b->id != id || b->d != id + 0.5 || strcmp(b->name, expect) != 0)
    return 0;
  for (int k = 0; k < 256; k++)
    if (b->a[k] != id * 1000 + k)
      return 0;
  return 1;
}

static void spawn_all(void)
{
  struct big b;
  static struct huge h; /* static storage, firstprivate copies it into each task */
  int arr[300];

  for (int i = 0; i < NT; i++) {
    fill(&b, i);
    h.id = i;
    memset(h.bytes, i & 0xff, sizeof h.bytes);
    for (int k = 0; k < 300; k++)
      arr[k] = i - k;
    int local = i * 3; /* not shared anywhere: implicitly firstprivate in the task */

#pragma omp task firstprivate(b, h, arr)
    {
      ok_big[i] = valid(&b, i);
      int good = h.id == i;
      for (size_t k = 0; k < sizeof h.bytes; k++)
        good &= h.bytes[k] == (unsigned char)(i & 0xff);
      ok_huge[i] = good;
      good = 1;
      for (int k = 0; k < 300; k++)
        good &= arr[k] == i - k;
      ok_arr[i] = good;
      note_alignment(arr);
      ok_implicit[i] = local == i * 3;
      /* The copies are the task's own: changing them is invisible to anyone else. */
      b.id = -1;
      arr[0] = -1;
      local = -1;
    }

    /* Overwrite the originals before the task (probably) ran. */
    fill(&b, -7);
    h.id = -7;
    memset(h.bytes, 0xee, sizeof h.bytes);
    for (int k = 0; k < 300; k++)
      arr[k] = -7;
    local = -7;
  }
#pragma omp taskwait
  CHECK(valid(&b, -7) && arr[0] == -7 && h.id == -7, "a task's write to its copy reached the original");
}

int main(void)
{
  int team = 0;

#pragma omp parallel
#pragma omp single
  {
    team = omp_get_num_threads();
    spawn_all();
  }
  for (int i = 0; i < NT; i++) {
    CHECK(ok_big[i] == 1, "task %d saw a wrong struct big", i);
    CHECK(ok_huge[i] == 1, "task %d saw a wrong 64 KiB struct", i);
    CHECK(ok_arr[i] == 1, "task %d saw a wrong array", i);
    CHECK(ok_implicit[i] == 1, "task %d saw a wrong implicitly firstprivate local", i);
  }

  /* Mixed sharing: total is shared, the struct is copied; every thread creates tasks. */
  long total = 0, expect = 0;
  int nthreads = 1;
#pragma omp parallel shared(total, nthreads)
  {
#pragma omp single
    nthreads = omp_get_num_threads();
    struct big mine;
    int t = omp_get_thread_num();
    for (int r = 0; r < 20; r++) {
      fill(&mine, t * 100 + r);
#pragma omp task firstprivate(mine) shared(total)
      {
        long s = 0;
        for (int k = 0; k < 256; k++)
          s += mine.a[k];
        if (!valid(&mine, mine.id))
          s = -1000000000L;
#pragma omp atomic
        total += s;
      }
      memset(&mine, 0, sizeof mine);
    }
  }
  for (int t = 0; t < nthreads; t++)
    for (int r = 0; r < 20; r++)
      expect += 256L * ((t * 100 + r) * 1000) + 255L * 256 / 2;
  CHECK(total == expect, "sum over the tasks' struct copies = %ld, expected %ld", total, expect);

  /* Reported, not checked: clang 14 places a lone int[300] private at offset 40 of the task
     (the record's own alignment is 4) while assuming 16 for the array; no placement of the
     task satisfies that and 16-aligned privates (placed at 48) at once. Both runtimes align
     the task itself to 16 and run the copies correctly. */
  if (misaligned && getenv("COMPAT_VERBOSE"))
    printf("firstprivate_big: %d of %d int[300] copies not 16-byte aligned\n", misaligned, NT);

  if (failures) {
    fprintf(stderr, "firstprivate_big: %d check(s) failed\n", failures);
    return 1;
  }
  printf("firstprivate_big: %d tasks with struct int[256], 64 KiB struct, int[300] and implicit "
         "firstprivate copies, per-thread struct copies, team of %d (%d misaligned array copies): "
         "ok\n", NT, team, misaligned);
  return 0;
}
