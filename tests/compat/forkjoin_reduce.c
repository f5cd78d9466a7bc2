/* forkjoin_reduce: reductions neither lose nor double-count a contribution (issue 15).
 * 1. Every operator C allows (+ - * & | ^ && || min max) on every arithmetic type (char,
 *    signed char, short, int, long, long long and their unsigned variants; float and double
 *    with + - * && || min max; _Complex double with + - *), each in four constructs:
 *    parallel reduction (every thread contributes the iterations i = tid, tid + n, ...),
 *    for reduction inside a region, parallel for reduction, and for reduction nowait followed
 *    by a barrier (after which every thread reads the result). The originals start from
 *    non-neutral values and the expected results are the serial ones, computed the same way in
 *    the same type: the values are small integers (integer-valued floats), so that every result
 *    is exact in any order of combination; && and || are checked both ways (true and false).
 *    Repeated with a shift of the values, so that the extreme element of min and max, the
 *    single false of && and the single true of || fall to different threads.
 * 2. Several variables in one clause (+ on int, double, long long, unsigned char) and nine
 *    clauses on one construct.
 * 3. A reduction per region in a loop of many regions with team sizes varying between
 *    regions, and, in one region, many loop reductions in a row (blocking and nowait) into
 *    the same variables.
 * _Complex double needs libatomic with clang (its atomic reduction path). */
#define FJ_NAME "forkjoin_reduce"
#include "forkjoin.h"
#include <complex.h>

#define N 600
#define PRAGMA(x) _Pragma(#x)

/* values by operator: T the type, S 1 if it is signed, i the iteration, r the repetition's
 * shift */
#define V_ADD(T, S, i, r)                                                                             \
  (sizeof(T) < sizeof(int) ? (T)(((i) + (r)) % 7 == 0) : (T)(((i)*13 + (r)) % 1000 + 1))
#define V_MUL(T, S, i, r)                                                                             \
  (((i) + (r)) % 101 == 5 ? (T)2 : ((S) && ((i) + (r)) % 151 == 7) ? (T)-1 : (T)1)
#define V_AND(T, S, i, r) (((i) + (r)) % 50 == 0 ? (T)~(T)(1u << ((i) / 50 % 5)) : (T)~(T)0)
#define V_OR(T, S, i, r) (((i) + (r)) % 50 == 3 ? (T)(1u << ((i) / 50 % 5)) : (T)0)
#define V_XOR(T, S, i, r) ((T)((unsigned)((i)*37 + (r)) & 0x7fu))
#define V_TRUE(T, S, i, r) ((T)(1 + (i) % 3))
#define V_ONE_FALSE(T, S, i, r) ((T)((i) == ((r)*7 + 11) % N ? 0 : 1 + (i) % 2))
#define V_ONE_TRUE(T, S, i, r) ((T)((i) == ((r)*13 + 5) % N ? 2 : 0))
#define V_FALSE(T, S, i, r) ((T)0)
#define V_MINMAX(T, S, i, r) ((T)((((i) + (r)) * 37) % 101 + ((S) ? -50 : 3)))

/* updates by operator */
#define U_ADD(x, v) ((x) += (v))
#define U_SUB(x, v) ((x) -= (v))
#define U_MUL(x, v) ((x) *= (v))
#define U_AND(x, v) ((x) &= (v))
#define U_OR(x, v) ((x) |= (v))
#define U_XOR(x, v) ((x) ^= (v))
#define U_LAND(x, v) ((x) = (x) && (v))
#define U_LOR(x, v) ((x) = (x) || (v))
#define U_MIN(x, v) ((x) = (v) < (x) ? (v) : (x))
#define U_MAX(x, v) ((x) = (v) > (x) ? (v) : (x))

static int combos, regions_run;
/* 1 (teams of up to 4 threads): every pair in all four constructs; 0 (larger teams, whose
 * regions cost more): every pair in one of them, the four taking turns along the pairs and the
 * repetitions. */
static int all_constructs = 1;

static void report(const char *what, const char *tname, const char *op, int rep, int nowait_bad,
                   long double got, long double expect)
{
  CHECK(got == expect && nowait_bad == 0,
        "%s reduction(%s) on %s, repetition %d: got %.21Lg, expected %.21Lg%s", what, op, tname,
        rep, got, expect, nowait_bad ? " (seen by some thread after the barrier)" : "");
}

/* One type, one operator, four constructs (or one of them, sel_). */
#define DEF_RED(T, S, TN, OPN, OP, INIT, VAL, UPD)                                                 \
  static void red_##TN##_##OPN(int rep)                                                            \
  {                                                                                                \
    T expect = (INIT), x;                                                                          \
    int sel_ = all_constructs ? -1 : (combos + rep) % 4; /* -1: all four */                        \
    for (int i = 0; i < N; i++)                                                                    \
      UPD(expect, VAL(T, S, i, rep));                                                              \
    if (sel_ < 0 || sel_ == 0) {                                                                   \
      /* parallel reduction: every thread takes its share of the iterations */                     \
      x = (INIT);                                                                                  \
      PRAGMA(omp parallel reduction(OP : x))                                                       \
      {                                                                                            \
        int t_ = omp_get_thread_num(), n_ = omp_get_num_threads();                                 \
        for (int i = t_; i < N; i += n_)                                                           \
          UPD(x, VAL(T, S, i, rep));                                                               \
      }                                                                                            \
      if (x != expect)                                                                             \
        report("parallel", #T, #OP, rep, 0, (long double)x, (long double)expect);                  \
      regions_run++;                                                                               \
    }                                                                                              \
    if (sel_ < 0 || sel_ == 1) {                                                                   \
      /* for reduction inside a region */                                                          \
      x = (INIT);                                                                                  \
      PRAGMA(omp parallel)                                                                         \
      {                                                                                            \
        fj_jitter((unsigned)rep, (unsigned)omp_get_thread_num());                                  \
        PRAGMA(omp for reduction(OP : x) schedule(static))                                         \
        for (int i = 0; i < N; i++)                                                                \
          UPD(x, VAL(T, S, i, rep));                                                               \
      }                                                                                            \
      if (x != expect)                                                                             \
        report("for", #T, #OP, rep, 0, (long double)x, (long double)expect);                       \
      regions_run++;                                                                               \
    }                                                                                              \
    if (sel_ < 0 || sel_ == 2) {                                                                   \
      /* parallel for reduction */                                                                 \
      x = (INIT);                                                                                  \
      PRAGMA(omp parallel for reduction(OP : x) schedule(dynamic, 16))                             \
      for (int i = 0; i < N; i++)                                                                  \
        UPD(x, VAL(T, S, i, rep));                                                                 \
      if (x != expect)                                                                             \
        report("parallel for", #T, #OP, rep, 0, (long double)x, (long double)expect);              \
      regions_run++;                                                                               \
    }                                                                                              \
    if (sel_ < 0 || sel_ == 3) {                                                                   \
      /* for reduction nowait, then a barrier, after which everybody reads the result */           \
      x = (INIT);                                                                                  \
      int bad_ = 0;                                                                                \
      PRAGMA(omp parallel shared(x, bad_))                                                         \
      {                                                                                            \
        PRAGMA(omp for reduction(OP : x) schedule(guided) nowait)                                  \
        for (int i = 0; i < N; i++)                                                                \
          UPD(x, VAL(T, S, i, rep));                                                               \
        fj_jitter((unsigned)rep + 1000, (unsigned)omp_get_thread_num());                           \
        PRAGMA(omp barrier)                                                                        \
        if (x != expect) {                                                                         \
          PRAGMA(omp atomic)                                                                       \
          bad_++;                                                                                  \
        }                                                                                          \
      }                                                                                            \
      if (x != expect || bad_)                                                                     \
        report("for nowait + barrier", #T, #OP, rep, bad_, (long double)x, (long double)expect);   \
      regions_run++;                                                                               \
    }                                                                                              \
    combos++;                                                                                      \
  }

/* All operators of an integer type. */
#define DEF_INT(T, S, TN)                                                                             \
  DEF_RED(T, S, TN, add, +, (T)5, V_ADD, U_ADD)                                                       \
  DEF_RED(T, S, TN, sub, -, (T)100, V_ADD, U_SUB)                                                     \
  DEF_RED(T, S, TN, mul, *, (T)((S) ? -1 : 3), V_MUL, U_MUL)                                 \
  DEF_RED(T, S, TN, band, &, (T)~(T)0x40, V_AND, U_AND)                                               \
  DEF_RED(T, S, TN, bor, |, (T)0x20, V_OR, U_OR)                                                      \
  DEF_RED(T, S, TN, bxor, ^, (T)0x11, V_XOR, U_XOR)                                                   \
  DEF_RED(T, S, TN, landt, &&, (T)1, V_TRUE, U_LAND)                                                  \
  DEF_RED(T, S, TN, landf, &&, (T)1, V_ONE_FALSE, U_LAND)                                             \
  DEF_RED(T, S, TN, lort, ||, (T)0, V_ONE_TRUE, U_LOR)                                                \
  DEF_RED(T, S, TN, lorf, ||, (T)0, V_FALSE, U_LOR)                                                   \
  DEF_RED(T, S, TN, min, min, (T)(V_MINMAX(T, S, 0, 0) + 100), V_MINMAX, U_MIN)                          \
  DEF_RED(T, S, TN, max, max, (T)((S) ? -50 : 3), V_MINMAX, U_MAX)                           \
  static void red_##TN(int rep)                                                                    \
  {                                                                                                \
    red_##TN##_add(rep);                                                                           \
    red_##TN##_sub(rep);                                                                           \
    red_##TN##_mul(rep);                                                                           \
    red_##TN##_band(rep);                                                                          \
    red_##TN##_bor(rep);                                                                           \
    red_##TN##_bxor(rep);                                                                          \
    red_##TN##_landt(rep);                                                                         \
    red_##TN##_landf(rep);                                                                         \
    red_##TN##_lort(rep);                                                                          \
    red_##TN##_lorf(rep);                                                                          \
    red_##TN##_min(rep);                                                                           \
    red_##TN##_max(rep);                                                                           \
  }

/* All operators of a floating type. */
#define DEF_FLT(T, TN) DEF_FLT_(T, 1, TN)
#define DEF_FLT_(T, S, TN)                                                                             \
  DEF_RED(T, S, TN, add, +, (T)5, V_ADD, U_ADD)                                                       \
  DEF_RED(T, S, TN, sub, -, (T)100, V_ADD, U_SUB)                                                     \
  DEF_RED(T, S, TN, mul, *, (T)-1, V_MUL, U_MUL)                                                      \
  DEF_RED(T, S, TN, landt, &&, (T)1, V_TRUE, U_LAND)                                                  \
  DEF_RED(T, S, TN, landf, &&, (T)1, V_ONE_FALSE, U_LAND)                                             \
  DEF_RED(T, S, TN, lort, ||, (T)0, V_ONE_TRUE, U_LOR)                                                \
  DEF_RED(T, S, TN, lorf, ||, (T)0, V_FALSE, U_LOR)                                                   \
  DEF_RED(T, S, TN, min, min, (T)60, V_MINMAX, U_MIN)                                                 \
  DEF_RED(T, S, TN, max, max, (T)-60, V_MINMAX, U_MAX)                                                \
  static void red_##TN(int rep)                                                                    \
  {                                                                                                \
    red_##TN##_add(rep);                                                                           \
    red_##TN##_sub(rep);                                                                           \
    red_##TN##_mul(rep);                                                                           \
    red_##TN##_landt(rep);                                                                         \
    red_##TN##_landf(rep);                                                                         \
    red_##TN##_lort(rep);                                                                          \
    red_##TN##_lorf(rep);                                                                          \
    red_##TN##_min(rep);                                                                           \
    red_##TN##_max(rep);                                                                           \
  }

DEF_INT(char, 1, char)
DEF_INT(signed char, 1, schar)
DEF_INT(unsigned char, 0, uchar)
DEF_INT(short, 1, short)
DEF_INT(unsigned short, 0, ushort)
DEF_INT(int, 1, int)
DEF_INT(unsigned, 0, uint)
DEF_INT(long, 1, long)
DEF_INT(unsigned long, 0, ulong)
DEF_INT(long long, 1, llong)
DEF_INT(unsigned long long, 0, ullong)
DEF_FLT(float, float)
DEF_FLT(double, double)

/* _Complex double: + - * (the only operators C allows on it). */
static _Complex double cval(int i, int r)
{
  return (double)((i * 7 + r) % 50) + (double)((i + r) % 3) * I;
}
static _Complex double cmulval(int i, int r)
{
  /* a few factors of i, 2 and -1: an exact product */
  int k = (i + r) % 97;
  return k == 3 ? I : k == 40 ? 2.0 : k == 77 ? -1.0 : 1.0;
}

static void report_c(const char *what, const char *op, int rep, int bad, _Complex double got,
                     _Complex double expect)
{
  CHECK(got == expect && bad == 0,
        "%s reduction(%s) on _Complex double, repetition %d: got (%g, %g), expected (%g, %g)%s",
        what, op, rep, creal(got), cimag(got), creal(expect), cimag(expect),
        bad ? " (seen by some thread after the barrier)" : "");
}

static void red_complex(int rep)
{
  _Complex double esum = 1.0 - 2.0 * I, ediff = 3.0 * I, eprod = 2.0;
  for (int i = 0; i < N; i++) {
    esum += cval(i, rep);
    ediff -= cval(i, rep);
    eprod *= cmulval(i, rep);
  }
  _Complex double s = 1.0 - 2.0 * I, d = 3.0 * I, p = 2.0;
#pragma omp parallel reduction(+: s) reduction(-: d) reduction(*: p)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    for (int i = t; i < N; i += n) {
      s += cval(i, rep);
      d -= cval(i, rep);
      p *= cmulval(i, rep);
    }
  }
  if (s != esum)
    report_c("parallel", "+", rep, 0, s, esum);
  if (d != ediff)
    report_c("parallel", "-", rep, 0, d, ediff);
  if (p != eprod)
    report_c("parallel", "*", rep, 0, p, eprod);

  s = 1.0 - 2.0 * I, d = 3.0 * I, p = 2.0;
#pragma omp parallel for reduction(+: s) reduction(-: d) reduction(*: p) schedule(dynamic, 8)
  for (int i = 0; i < N; i++) {
    s += cval(i, rep);
    d -= cval(i, rep);
    p *= cmulval(i, rep);
  }
  if (s != esum)
    report_c("parallel for", "+", rep, 0, s, esum);
  if (d != ediff)
    report_c("parallel for", "-", rep, 0, d, ediff);
  if (p != eprod)
    report_c("parallel for", "*", rep, 0, p, eprod);

  s = 1.0 - 2.0 * I;
  int bad = 0;
#pragma omp parallel shared(s, bad)
  {
#pragma omp for reduction(+: s) nowait
    for (int i = 0; i < N; i++)
      s += cval(i, rep);
#pragma omp barrier
    if (s != esum) {
#pragma omp atomic
      bad++;
    }
  }
  if (s != esum || bad)
    report_c("for nowait + barrier", "+", rep, bad, s, esum);
  combos += 3;
  regions_run += 3;
}

/* 2. Several variables in one clause, many clauses on one construct. */
static void multi(int rep)
{
  int a = 1, ea = 1;
  double b = 0.5, eb = 0.5;
  long long c = -7, ec = -7;
  unsigned char d = 9, ed = 9;
  for (int i = 0; i < N; i++) {
    ea += i % 11;
    eb += (i + rep) % 13;
    ec += (long long)i * 100003;
    ed += (unsigned char)(i % 5 == 0);
  }
#pragma omp parallel for reduction(+: a, b, c, d) schedule(static, 7)
  for (int i = 0; i < N; i++) {
    a += i % 11;
    b += (i + rep) % 13;
    c += (long long)i * 100003;
    d += (unsigned char)(i % 5 == 0);
  }
  CHECK(a == ea && b == eb && c == ec && d == ed, "reduction(+: a, b, c, d), repetition %d: got "
        "%d %g %lld %d, expected %d %g %lld %d", rep, a, b, c, d, ea, eb, ec, ed);

  long s = 0, es = 0;
  double p = 1, ep = 1;
  int mx = -1000, emx = -1000, mn = 1000, emn = 1000, land = 1, eland = 1, lor = 0, elor = 0;
  unsigned band = ~0u, eband = ~0u, bor = 0, ebor = 0, bx = 0, ebx = 0;
  for (int i = 0; i < N; i++) {
    int v = ((i + rep) * 53) % 211 - 100;
    es += v;
    ep *= (i + rep) % 150 == 0 ? 2.0 : 1.0;
    emx = v > emx ? v : emx;
    emn = v < emn ? v : emn;
    eland = eland && v != 1000;
    elor = elor || v == 100;
    eband &= ~(1u << (i % 29));
    ebor |= 1u << (i % 31);
    ebx ^= (unsigned)i * 2654435761u;
  }
#pragma omp parallel for reduction(+: s) reduction(*: p) reduction(max: mx) reduction(min: mn)  \
    reduction(&&: land) reduction(||: lor) reduction(&: band) reduction(|: bor) reduction(^: bx) \
    schedule(guided, 3)
  for (int i = 0; i < N; i++) {
    int v = ((i + rep) * 53) % 211 - 100;
    s += v;
    p *= (i + rep) % 150 == 0 ? 2.0 : 1.0;
    mx = v > mx ? v : mx;
    mn = v < mn ? v : mn;
    land = land && v != 1000;
    lor = lor || v == 100;
    band &= ~(1u << (i % 29));
    bor |= 1u << (i % 31);
    bx ^= (unsigned)i * 2654435761u;
  }
  CHECK(s == es && p == ep && mx == emx && mn == emn && land == eland && lor == elor &&
        band == eband && bor == ebor && bx == ebx,
        "nine reduction clauses, repetition %d: got %ld %g %d %d %d %d %#x %#x %#x, expected %ld "
        "%g %d %d %d %d %#x %#x %#x", rep, s, p, mx, mn, land, lor, band, bor, bx, es, ep, emx,
        emn, eland, elor, eband, ebor, ebx);
  regions_run += 2;
}

/* 3. Reductions in a loop of many regions, and many loop reductions in one region. */
static void many_regions(int regions)
{
  static const int sizes[] = {4, 1, 3, 2, 0, 5, 2, 7, 0, 3};
  int bad = 0;
  for (int r = 0; r < regions; r++) {
    int k = sizes[r % 10] ? sizes[r % 10] : fj_threads;
    long sum = r, esum = r + (long)N * (N - 1) / 2 + (long)r * N;
    int cnt = 0, team = 0;
#pragma omp parallel for num_threads(k) reduction(+: sum, cnt) lastprivate(team)
    for (int i = 0; i < N; i++) {
      sum += i + r;
      cnt++;
      team = omp_get_num_threads();
    }
    if (sum != esum || cnt != N || team != k) {
      if (bad++ < 5)
        CHECK(0, "region %d: parallel for num_threads(%d) reduction: sum %ld (expected %ld), "
              "count %d (expected %d), team of %d", r, k, sum, esum, cnt, N, team);
    }
  }
  regions_run += regions;

  long total = 0;
  int rounds = regions / 2, seen_bad = 0;
  double dsum = 0;
#pragma omp parallel shared(total, dsum, seen_bad)
  {
    int t = omp_get_thread_num();
    for (int r = 0; r < rounds; r++) {
#pragma omp single
      {
        total = r;
        dsum = -r;
      }
      fj_jitter((unsigned)r, (unsigned)t + 77);
#pragma omp for reduction(+: total) schedule(dynamic, 5)
      for (int i = 0; i < 100; i++)
        total += i;
      /* the loop's barrier: the result is complete */
      if (total != r + 4950) {
#pragma omp atomic
        seen_bad++;
      }
#pragma omp for reduction(+: dsum) nowait
      for (int i = 0; i < 100; i++)
        dsum += 0.5 * i;
#pragma omp barrier
      if (dsum != -r + 2475.0) {
#pragma omp atomic
        seen_bad++;
      }
      /* nobody resets them before everyone has read them */
#pragma omp barrier
    }
  }
  CHECK(seen_bad == 0, "%d times a thread read a wrong result of a loop reduction in a row of %d "
        "(blocking and nowait)", seen_bad, rounds);
}

int main(void)
{
  fj_start();
  int reps = (int)fj_count(8, 1, 3);
  all_constructs = fj_threads <= 4;
  fj_part = "1. every operator on every type";
  for (int rep = 0; rep < reps; rep++) {
    red_char(rep);
    red_schar(rep);
    red_uchar(rep);
    red_short(rep);
    red_ushort(rep);
    red_int(rep);
    red_uint(rep);
    red_long(rep);
    red_ulong(rep);
    red_llong(rep);
    red_ullong(rep);
    red_float(rep);
    red_double(rep);
    red_complex(rep);
    fj_part = "2. several variables, several clauses";
    multi(rep);
    fj_part = "1. every operator on every type";
  }
  int regions = (int)fj_count(1000, 30, 200);
  fj_part = "3. reductions in many regions, loop reductions in a row";
  many_regions(regions);
  char summary[200];
  snprintf(summary, sizeof summary, "%d type-operator pairs in %s (%d repetitions), "
           "multi-variable clauses, %d regions with reductions; %d regions in all", combos / reps,
           all_constructs ? "all 4 constructs" : "one of the 4 constructs each, in turn", reps,
           regions, regions_run);
  return fj_finish(summary);
}
