/* depend: task dependences between sibling tasks. A diamond (out a -> in a/out b, in a/out c ->
 * in b,c) must run in order (sequence numbers), 300 times; a chain of 300 inout tasks appends
 * to a log in creation order; readers between two writers all see the first writer's value and
 * finish before the second writer starts; mutexinoutset tasks never overlap and a later in task
 * sees all of them; identical array sections as dependences; an if(0) task with a dependence
 * waits for its predecessor; taskwait depend(in: x) waits for the writer of x; a depend
 * iterator makes one task wait for 16 producers. Orders are checked with counters, never
 * timing. */
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
    fprintf(stderr, "depend.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
static int seq;

static int next_seq(void)
{
  int s;
#pragma omp atomic capture
  s = ++seq;
  return s;
}

static void spin(int n)
{
  for (volatile int s = 0; s < n; s++)
    ;
}

int main(void)
{
  int team = 0;
#pragma omp parallel
#pragma omp single
  {
    team = omp_get_num_threads();

    /* 1. Diamonds. */
    for (int rep = 0; rep < 300; rep++) {
      int a = 0, b = 0, c = 0, sa = 0, sb = 0, sc = 0, sd = 0, d_saw = 0;
#pragma omp task depend(out : a) shared(a, sa)
      {
        spin(200);
        a = 1;
        sa = next_seq();
      }
#pragma omp task depend(in : a) depend(out : b) shared(a, b, sb)
      {
        b = a + 1;
        sb = next_seq();
      }
#pragma omp task depend(in : a) depend(out : c) shared(a, c, sc)
      {
        spin(100);
        c = a + 2;
        sc = next_seq();
      }
#pragma omp task depend(in : b, c) shared(b, c, sd, d_saw)
      {
        d_saw = b * 10 + c;
        sd = next_seq();
      }
#pragma omp taskwait
      CHECK(sa < sb && sa < sc && sb < sd && sc < sd && d_saw == 23,
            "diamond %d: sequence a %d b %d c %d d %d, d saw %d (expected 23)", rep, sa, sb, sc, sd,
            d_saw);
    }

    /* 2. A chain of inout tasks. */
    int x = 0, log[300], pos = 0;
    for (int i = 0; i < 300; i++) {
#pragma omp task depend(inout : x) shared(x, log, pos) firstprivate(i)
      {
        if (i % 17 == 0)
          spin(500);
        log[pos++] = i; /* plain: the chain serializes it */
        x++;
      }
    }
#pragma omp taskwait
    int chain_bad = 0;
    for (int i = 0; i < 300; i++)
      chain_bad += log[i] != i;
    CHECK(pos == 300 && x == 300 && chain_bad == 0, "inout chain: %d entries, x %d, %d out of order",
          pos, x, chain_bad);

    /* 3. Writer, 8 readers, writer. */
    int v = 0, readers_done = 0, readers_ok = 0, w2_saw = -1;
#pragma omp task depend(out : v) shared(v)
    {
      spin(300);
      v = 11;
    }
    for (int r = 0; r < 8; r++) {
#pragma omp task depend(in : v) shared(v, readers_done, readers_ok)
      {
        spin(100);
        if (v == 11) {
#pragma omp atomic
          readers_ok++;
        }
#pragma omp atomic
        readers_done++;
      }
    }
#pragma omp task depend(out : v) shared(v, readers_done, w2_saw)
    {
#pragma omp atomic read
      w2_saw = readers_done;
      v = 22;
    }
#pragma omp taskwait
    CHECK(readers_ok == 8, "%d of 8 readers saw the first writer's value", readers_ok);
    CHECK(w2_saw == 8 && v == 22, "the second writer started after %d of 8 readers", w2_saw);

    /* 4. mutexinoutset: mutually exclusive, unordered; a later 'in' sees them all. */
    int m = 0, inside = 0, overlap = 0, m_saw = -1;
    for (int k = 0; k < 60; k++) {
#pragma omp task depend(mutexinoutset : m) shared(m, inside, overlap)
      {
        int now;
#pragma omp atomic capture
        now = ++inside;
        if (now != 1) {
#pragma omp atomic
          overlap++;
        }
        int old = m;
        spin(50);
        m = old + 1;
#pragma omp atomic
        inside--;
      }
    }
#pragma omp task depend(in : m) shared(m, m_saw)
    m_saw = m;
#pragma omp taskwait
    CHECK(overlap == 0, "mutexinoutset tasks overlapped %d times", overlap);
    CHECK(m == 60 && m_saw == 60, "mutexinoutset: m = %d, the following in task saw %d (expected 60)",
          m, m_saw);

    /* 5. Array sections (identical sections). */
    int arr[16] = {0}, sec_saw = -1;
#pragma omp task depend(out : arr[0 : 8]) shared(arr)
    {
      spin(300);
      for (int k = 0; k < 8; k++)
        arr[k] = k + 1;
    }
#pragma omp task depend(inout : arr[0 : 8]) shared(arr)
    for (int k = 0; k < 8; k++)
      arr[k] *= 2;
#pragma omp task depend(in : arr[0 : 8]) shared(arr, sec_saw)
    {
      int s = 0;
      for (int k = 0; k < 8; k++)
        s += arr[k];
      sec_saw = s;
    }
#pragma omp taskwait
    CHECK(sec_saw == 72, "array-section chain: sum %d, expected 72", sec_saw);

    /* 6. An undeferred task with a dependence waits for its predecessor. */
    int u = 0, u_saw = -1;
#pragma omp task depend(out : u) shared(u)
    {
      spin(2000);
      u = 5;
    }
#pragma omp task if(0) depend(in : u) shared(u, u_saw)
    u_saw = u;
    CHECK(u_saw == 5, "if(0) task with depend(in) saw %d, expected 5", u_saw);

    /* 7. taskwait depend(in: y) waits for the writer of y. */
    int y = 0;
#pragma omp task depend(out : y) shared(y)
    {
      spin(2000);
      y = 9;
    }
#pragma omp taskwait depend(in : y)
    CHECK(y == 9, "after taskwait depend(in: y), y = %d, expected 9", y);

    /* 8. An iterator: one task depends on 16 producers. */
    int prod[16] = {0}, total = -1;
    for (int k = 0; k < 16; k++) {
#pragma omp task depend(out : prod[k]) shared(prod) firstprivate(k)
      {
        spin(100 * k);
        prod[k] = k + 1;
      }
    }
#pragma omp task depend(iterator(it = 0 : 16), in : prod[it]) shared(prod, total)
    {
      int s = 0;
      for (int k = 0; k < 16; k++)
        s += prod[k];
      total = s;
    }
#pragma omp taskwait
    CHECK(total == 136, "iterator dependence: the consumer summed %d, expected 136", total);
  }

  if (failures) {
    fprintf(stderr, "depend: %d check(s) failed\n", failures);
    return 1;
  }
  printf("depend: 300 diamonds, 300-task inout chain, writer/readers/writer, mutexinoutset, array "
         "sections, if(0) with depend, taskwait depend, depend iterator, team of %d: ok\n", team);
  return 0;
}
