/* reductions: reduction clauses against serial results. +, *, max, min, &&, ||, &, |, ^ on int,
 * long long, unsigned and double (values chosen so that double sums and products are exact in
 * any order); several variables in one clause and several clauses on one construct; on
 * parallel for, on for inside parallel (blocking, and nowait followed by a barrier), on parallel
 * alone (every thread contributes), with non-neutral initial values of the originals; an array
 * section reduction; a user-defined reduction (declare reduction). Repeated so that the runtime's
 * reduction method (atomic, critical or tree) is exercised many times. */
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
    fprintf(stderr, "reductions.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define N 5000

static int a[N];
static double x[N], y[N];

struct minmax {
  int lo, hi;
};
static struct minmax mm_merge(struct minmax p, struct minmax q)
{
  struct minmax r = {p.lo < q.lo ? p.lo : q.lo, p.hi > q.hi ? p.hi : q.hi};
  return r;
}
#pragma omp declare reduction(mm : struct minmax : omp_out = mm_merge(omp_out, omp_in))            \
    initializer(omp_priv = (struct minmax){1 << 30, -(1 << 30)})

int main(void)
{
  for (int i = 0; i < N; i++) {
    a[i] = (i * 7919) % 2001 - 1000;
    x[i] = ((i * 31) % 64) * 0.25;         /* multiples of 1/4: exact sums */
    y[i] = (i % 97 == 0) ? 2.0 : (i % 89 == 0 ? 0.5 : 1.0); /* exact products */
  }

  /* Serial answers. */
  long long ssum = 0;
  double sdsum = 0, sprod = 1;
  int smax = -1000000, smin = 1000000, sand = 1, sor = 0;
  unsigned sband = ~0u, sbor = 0, sbxor = 0;
  double sdmax = -1e300, sdmin = 1e300;
  for (int i = 0; i < N; i++) {
    ssum += a[i];
    sdsum += x[i];
    sprod *= y[i];
    if (a[i] > smax)
      smax = a[i];
    if (a[i] < smin)
      smin = a[i];
    sand = sand && (a[i] != 12345);
    sor = sor || (a[i] == smax);
    sband &= (unsigned)a[i] | 0x10u;
    sbor |= (unsigned)(i & 0x3ff);
    sbxor ^= (unsigned)a[i];
    if (x[i] - a[i] > sdmax)
      sdmax = x[i] - a[i];
    if (x[i] - a[i] < sdmin)
      sdmin = x[i] - a[i];
  }

  int team = 0;
  for (int rep = 0; rep < 30; rep++) {
    /* parallel for with many clauses. */
    long long sum = 100; /* original values take part */
    double dsum = 0.5, prod = 3.0;
    int mx = -2000000, mn = 2000000, land = 1, lor = 0;
    unsigned band = ~0u, bor = 0, bxor = 0;
    double dmax = -1e300, dmin = 1e300;
#pragma omp parallel for reduction(+ : sum, dsum) reduction(* : prod) reduction(max : mx, dmax)    \
    reduction(min : mn, dmin) reduction(&& : land) reduction(|| : lor) reduction(& : band)         \
    reduction(| : bor) reduction(^ : bxor) schedule(dynamic, 64)
    for (int i = 0; i < N; i++) {
      sum += a[i];
      dsum += x[i];
      prod *= y[i];
      if (a[i] > mx)
        mx = a[i];
      if (a[i] < mn)
        mn = a[i];
      land = land && (a[i] != 12345);
      lor = lor || (a[i] == smax);
      band &= (unsigned)a[i] | 0x10u;
      bor |= (unsigned)(i & 0x3ff);
      bxor ^= (unsigned)a[i];
      double d = x[i] - a[i];
      if (d > dmax)
        dmax = d;
      if (d < dmin)
        dmin = d;
    }
    CHECK(sum == ssum + 100, "rep %d: + on long long: %lld, expected %lld", rep, sum, ssum + 100);
    CHECK(dsum == sdsum + 0.5, "rep %d: + on double: %.17g, expected %.17g", rep, dsum, sdsum + 0.5);
    CHECK(prod == sprod * 3.0, "rep %d: * on double: %.17g, expected %.17g", rep, prod, sprod * 3.0);
    CHECK(mx == smax && mn == smin, "rep %d: max/min on int: %d/%d, expected %d/%d", rep, mx, mn, smax,
          smin);
    CHECK(dmax == sdmax && dmin == sdmin, "rep %d: max/min on double: %g/%g, expected %g/%g", rep,
          dmax, dmin, sdmax, sdmin);
    CHECK(land == sand && lor == sor, "rep %d: &&/||: %d/%d, expected %d/%d", rep, land, lor, sand,
          sor);
    CHECK(band == sband && bor == sbor && bxor == sbxor,
          "rep %d: &/|/^: %x/%x/%x, expected %x/%x/%x", rep, band, bor, bxor, sband, sbor, sbxor);

    /* for inside parallel: blocking, then nowait + barrier; and a parallel-level reduction. */
    int isum = 0, isum2 = 0, threads = 0, tidsum = 0;
    double d2 = 0;
#pragma omp parallel reduction(+ : threads, tidsum)
    {
      threads += 1;
      tidsum += omp_get_thread_num();
#pragma omp for reduction(+ : isum) schedule(static)
      for (int i = 0; i < N; i++)
        isum += a[i];
      /* the blocking for's reduction is complete here, for every thread */
      CHECK(isum == (int)ssum, "rep %d: for reduction seen as %d by thread %d, expected %lld", rep,
            isum, omp_get_thread_num(), ssum);
#pragma omp for reduction(+ : isum2, d2) nowait schedule(guided)
      for (int i = 0; i < N; i++) {
        isum2 += a[i];
        d2 += x[i];
      }
#pragma omp barrier
      CHECK(isum2 == (int)ssum && d2 == sdsum,
            "rep %d: nowait reduction after the barrier: %d / %g, expected %lld / %g", rep, isum2, d2,
            ssum, sdsum);
#pragma omp single
      team = omp_get_num_threads();
    }
    CHECK(threads == team && tidsum == team * (team - 1) / 2,
          "rep %d: parallel reduction counted %d threads (tid sum %d), team of %d", rep, threads,
          tidsum, team);
  }

  /* Array section and user-defined reductions. */
  long long hist[8] = {1, 1, 1, 1, 1, 1, 1, 1}, shist[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  for (int i = 0; i < N; i++)
    shist[(a[i] + 1000) % 8] += a[i];
  struct minmax m = {1 << 30, -(1 << 30)};
#pragma omp parallel for reduction(+ : hist[0 : 8]) reduction(mm : m)
  for (int i = 0; i < N; i++) {
    hist[(a[i] + 1000) % 8] += a[i];
    struct minmax one = {a[i], a[i]};
    m = mm_merge(m, one);
  }
  for (int k = 0; k < 8; k++)
    CHECK(hist[k] == shist[k], "array section reduction: bucket %d = %lld, expected %lld", k,
          hist[k], shist[k]);
  CHECK(m.lo == smin && m.hi == smax, "declare reduction: [%d, %d], expected [%d, %d]", m.lo, m.hi,
        smin, smax);

  if (failures) {
    fprintf(stderr, "reductions: %d check(s) failed\n", failures);
    return 1;
  }
  printf("reductions: 12 reduction variables on parallel for, for (blocking and nowait), parallel, "
         "array section, declare reduction, 30 rounds, team of %d: ok\n", team);
  return 0;
}
