/* atomic_entry: the __kmpc_atomic_* entry points called directly, as code built by icc or by
 * an older compiler calls them (clang 14 and gcc 12 never emit them: they inline their
 * atomics or call libatomic). The program declares the prototypes itself, from libomp's
 * kmp_atomic.h, and passes a real ident_t and gtid (libomp's locks use the gtid).
 *
 * Part 1, one thread: every entry point the runtime exports (340 with libomp 14) against
 * values computed here: each update, its capture form with flag 0 (the value before) and 1
 * (after), the reversed forms, read/write/swap, the mixed forms (double or double _Complex
 * operand), compare-and-swap, the generic forms with a callback, wrap-around and the
 * signed/unsigned differences (shr, div).
 * Part 2, a team of 4 x OMP_NUM_THREADS threads (at most 16) working on shared objects, with
 * exact results: sums; captures that hand out tickets (the values before, or after, must be
 * a permutation); bitwise or/and/xor/eqv over many bits; products and shifts that return to
 * the start (each thread's pairs cancel); reflections x = r - x and x = r / x done an even
 * number of times; max/min; long double and _Complex sums, products by i, swaps (the
 * values swapped out plus the final one are a permutation) and write/read pairs that must
 * never tear; compare-and-swap counters; the generic entry points (also mixed with the typed
 * ones of the same size on one object); __kmpc_atomic_start/end around a plain update; and
 * objects at misaligned addresses.
 * Exits 0 when every check holds, 1 otherwise. */
#include <omp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the ABI, as a compiler that calls these sees it ---- */

typedef struct ident {
  int32_t reserved_1, flags, reserved_2, reserved_3;
  const char *psource;
} ident_t;

int32_t __kmpc_global_thread_num(ident_t *loc);

typedef float _Complex cmplx4;
typedef double _Complex cmplx8;
typedef long double _Complex cmplx10;

#define P_UPD(NAME, T, RT) void __kmpc_atomic_##NAME(ident_t *, int, T *, RT);
#define P_CPT(NAME, T) T __kmpc_atomic_##NAME(ident_t *, int, T *, T, int);
#define P_OP(TY, OP, T) P_UPD(TY##_##OP, T, T) P_CPT(TY##_##OP##_cpt, T)
#define P_REV(TY, OP, T) P_UPD(TY##_##OP##_rev, T, T) P_CPT(TY##_##OP##_cpt_rev, T)
#define P_RD_WR(TY, T)                                                                             \
  T __kmpc_atomic_##TY##_rd(ident_t *, int, T *);                                                  \
  void __kmpc_atomic_##TY##_wr(ident_t *, int, T *, T);
#define P_SWP(TY, T) T __kmpc_atomic_##TY##_swp(ident_t *, int, T *, T);

#define P_FIXED(TY, T)                                                                             \
  P_OP(TY, add, T) P_OP(TY, sub, T) P_OP(TY, mul, T) P_OP(TY, div, T) P_OP(TY, andb, T)            \
  P_OP(TY, orb, T) P_OP(TY, xor, T) P_OP(TY, shl, T) P_OP(TY, shr, T) P_OP(TY, andl, T)            \
  P_OP(TY, orl, T) P_OP(TY, eqv, T) P_OP(TY, neqv, T) P_OP(TY, max, T) P_OP(TY, min, T)            \
  P_REV(TY, sub, T) P_REV(TY, div, T) P_REV(TY, shl, T) P_REV(TY, shr, T) P_RD_WR(TY, T)           \
  P_SWP(TY, T) P_UPD(TY##_mul_float8, T, double) P_UPD(TY##_div_float8, T, double)
#define P_FIXEDU(TY, T) P_OP(TY, div, T) P_OP(TY, shr, T) P_REV(TY, div, T) P_REV(TY, shr, T)
#define P_FLOAT(TY, T)                                                                             \
  P_OP(TY, add, T) P_OP(TY, sub, T) P_OP(TY, mul, T) P_OP(TY, div, T) P_OP(TY, max, T)             \
  P_OP(TY, min, T) P_REV(TY, sub, T) P_REV(TY, div, T) P_RD_WR(TY, T) P_SWP(TY, T)
#define P_CMPLX(TY, T)                                                                             \
  P_OP(TY, add, T) P_OP(TY, sub, T) P_OP(TY, mul, T) P_OP(TY, div, T) P_REV(TY, sub, T)            \
  P_REV(TY, div, T) P_RD_WR(TY, T) P_SWP(TY, T)

P_FIXED(fixed1, int8_t)
P_FIXED(fixed2, int16_t)
P_FIXED(fixed4, int32_t)
P_FIXED(fixed8, int64_t)
P_FIXEDU(fixed1u, uint8_t)
P_FIXEDU(fixed2u, uint16_t)
P_FIXEDU(fixed4u, uint32_t)
P_FIXEDU(fixed8u, uint64_t)
P_FLOAT(float4, float)
P_FLOAT(float8, double)
P_FLOAT(float10, long double)
P_UPD(float4_add_float8, float, double)
P_UPD(float4_sub_float8, float, double)
P_UPD(float4_mul_float8, float, double)
P_UPD(float4_div_float8, float, double)
P_CMPLX(cmplx8, cmplx8)
P_CMPLX(cmplx10, cmplx10)

/* cmplx4: capture and swap return through an out pointer; read returns the value. */
#define P_CPT4(NAME) void __kmpc_atomic_##NAME(ident_t *, int, cmplx4 *, cmplx4, cmplx4 *, int);
#define P_OP4(OP) P_UPD(cmplx4_##OP, cmplx4, cmplx4) P_CPT4(cmplx4_##OP##_cpt)
#define P_REV4(OP) P_UPD(cmplx4_##OP##_rev, cmplx4, cmplx4) P_CPT4(cmplx4_##OP##_cpt_rev)
P_OP4(add) P_OP4(sub) P_OP4(mul) P_OP4(div) P_REV4(sub) P_REV4(div) P_RD_WR(cmplx4, cmplx4)
void __kmpc_atomic_cmplx4_swp(ident_t *, int, cmplx4 *, cmplx4, cmplx4 *);
P_UPD(cmplx4_add_cmplx8, cmplx4, cmplx8)
P_UPD(cmplx4_sub_cmplx8, cmplx4, cmplx8)
P_UPD(cmplx4_mul_cmplx8, cmplx4, cmplx8)
P_UPD(cmplx4_div_cmplx8, cmplx4, cmplx8)

#define P_CAS(N, T)                                                                                \
  bool __kmpc_atomic_bool_##N##_cas(ident_t *, int, T *, T, T);                                    \
  T __kmpc_atomic_val_##N##_cas(ident_t *, int, T *, T, T);                                       \
  bool __kmpc_atomic_bool_##N##_cas_cpt(ident_t *, int, T *, T, T, T *);                           \
  T __kmpc_atomic_val_##N##_cas_cpt(ident_t *, int, T *, T, T, T *);
P_CAS(1, int8_t)
P_CAS(2, int16_t)
P_CAS(4, int32_t)
P_CAS(8, int64_t)

typedef void (*combine_fn)(void *, void *, void *);
#define P_GEN(N) void __kmpc_atomic_##N(ident_t *, int, void *, void *, combine_fn);
P_GEN(1) P_GEN(2) P_GEN(4) P_GEN(8) P_GEN(10) P_GEN(16) P_GEN(20) P_GEN(32)
void __kmpc_atomic_start(void);
void __kmpc_atomic_end(void);

/* ---- checks ---- */

static ident_t loc = {0, 2, 0, 0, ";atomic_entry.c;main;0;0;;"};
static int failures;

__attribute__((format(printf, 3, 4))) static void fail(int line, const char *what, const char *fmt,
                                                      ...)
{
  int n;
#pragma omp atomic capture
  n = ++failures;
  if (n > 30)
    return;
  va_list ap;
  va_start(ap, fmt);
#pragma omp critical(compat_report)
  {
    fprintf(stderr, "atomic_entry.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

static cmplx4 c4(float re, float im)
{
  cmplx4 z;
  __real__ z = re;
  __imag__ z = im;
  return z;
}
static cmplx8 c8(double re, double im)
{
  cmplx8 z;
  __real__ z = re;
  __imag__ z = im;
  return z;
}
static cmplx10 c10(long double re, long double im)
{
  cmplx10 z;
  __real__ z = re;
  __imag__ z = im;
  return z;
}

/* ---- part 1: every entry point, one thread ---- */

/* x = a; TY_OP(&x, b) must leave r; TY_OP_cpt must return a (flag 0) or r (flag 1) and leave
 * r. The values are printed as long double (exact for every type used here). */
#define SEQ_OP(TY, OP, T, a, b, r)                                                                 \
  do {                                                                                             \
    T x_ = (a), c_;                                                                                \
    __kmpc_atomic_##TY##_##OP(&loc, gtid, &x_, (b));                                               \
    CHECK(x_ == (T)(r), #TY "_" #OP ": %Lg", (long double)x_);                                     \
    x_ = (a);                                                                                      \
    c_ = __kmpc_atomic_##TY##_##OP##_cpt(&loc, gtid, &x_, (b), 0);                                 \
    CHECK(c_ == (T)(a) && x_ == (T)(r), #TY "_" #OP "_cpt(0): %Lg, %Lg", (long double)c_,          \
          (long double)x_);                                                                        \
    x_ = (a);                                                                                      \
    c_ = __kmpc_atomic_##TY##_##OP##_cpt(&loc, gtid, &x_, (b), 1);                                 \
    CHECK(c_ == (T)(r) && x_ == (T)(r), #TY "_" #OP "_cpt(1): %Lg, %Lg", (long double)c_,          \
          (long double)x_);                                                                        \
  } while (0)
/* The reversed forms: x = a; TY_OP_rev(&x, b) computes b OP a. */
#define SEQ_REV(TY, OP, T, a, b, r)                                                                \
  do {                                                                                             \
    T x_ = (a), c_;                                                                                \
    __kmpc_atomic_##TY##_##OP##_rev(&loc, gtid, &x_, (b));                                         \
    CHECK(x_ == (T)(r), #TY "_" #OP "_rev: %Lg", (long double)x_);                                 \
    x_ = (a);                                                                                      \
    c_ = __kmpc_atomic_##TY##_##OP##_cpt_rev(&loc, gtid, &x_, (b), 0);                             \
    CHECK(c_ == (T)(a) && x_ == (T)(r), #TY "_" #OP "_cpt_rev(0): %Lg, %Lg", (long double)c_,      \
          (long double)x_);                                                                        \
    x_ = (a);                                                                                      \
    c_ = __kmpc_atomic_##TY##_##OP##_cpt_rev(&loc, gtid, &x_, (b), 1);                             \
    CHECK(c_ == (T)(r) && x_ == (T)(r), #TY "_" #OP "_cpt_rev(1): %Lg, %Lg", (long double)c_,      \
          (long double)x_);                                                                        \
  } while (0)
#define SEQ_MIX(TY, OP, T, a, b, r)                                                                \
  do {                                                                                             \
    T x_ = (a);                                                                                    \
    __kmpc_atomic_##TY##_##OP(&loc, gtid, &x_, (b));                                               \
    CHECK(x_ == (T)(r), #TY "_" #OP ": %Lg", (long double)x_);                                     \
  } while (0)
#define SEQ_RD_WR_SWP(TY, T, a, b)                                                                 \
  do {                                                                                             \
    T x_ = (a);                                                                                    \
    T r_ = __kmpc_atomic_##TY##_rd(&loc, gtid, &x_);                                               \
    CHECK(r_ == (T)(a), #TY "_rd: %Lg", (long double)r_);                                          \
    __kmpc_atomic_##TY##_wr(&loc, gtid, &x_, (b));                                                 \
    CHECK(x_ == (T)(b), #TY "_wr: %Lg", (long double)x_);                                          \
    r_ = __kmpc_atomic_##TY##_swp(&loc, gtid, &x_, (a));                                           \
    CHECK(r_ == (T)(b) && x_ == (T)(a), #TY "_swp: %Lg, %Lg", (long double)r_, (long double)x_);   \
  } while (0)

/* Signed integers: T's largest value is M. */
#define SEQ_FIXED(TY, T, M)                                                                        \
  do {                                                                                             \
    SEQ_OP(TY, add, T, 5, 3, 8);                                                                   \
    SEQ_OP(TY, add, T, M, 1, -(M)-1); /* wraps */                                                  \
    SEQ_OP(TY, sub, T, 5, 3, 2);                                                                   \
    SEQ_OP(TY, sub, T, -(M)-1, 1, M);                                                              \
    SEQ_OP(TY, mul, T, 5, -3, -15);                                                                \
    SEQ_OP(TY, div, T, -17, 5, -3);                                                                \
    SEQ_OP(TY, andb, T, 12, 10, 8);                                                                \
    SEQ_OP(TY, orb, T, 12, 10, 14);                                                                \
    SEQ_OP(TY, xor, T, 12, 10, 6);                                                                 \
    SEQ_OP(TY, shl, T, 3, 2, 12);                                                                  \
    SEQ_OP(TY, shl, T, 1, (T)(sizeof(T) * 8 - 1), -(M)-1);                                         \
    SEQ_OP(TY, shr, T, -16, 2, -4); /* arithmetic */                                               \
    SEQ_OP(TY, shr, T, M, (T)(sizeof(T) * 8 - 2), 1);                                              \
    SEQ_OP(TY, andl, T, 2, 3, 1);                                                                  \
    SEQ_OP(TY, andl, T, 2, 0, 0);                                                                  \
    SEQ_OP(TY, orl, T, 0, 0, 0);                                                                   \
    SEQ_OP(TY, orl, T, 0, -5, 1);                                                                  \
    SEQ_OP(TY, eqv, T, 12, 10, ~6);                                                                \
    SEQ_OP(TY, neqv, T, 12, 10, 6);                                                                \
    SEQ_OP(TY, max, T, 5, 9, 9);                                                                   \
    SEQ_OP(TY, max, T, 9, -5, 9);                                                                  \
    SEQ_OP(TY, min, T, 5, 9, 5);                                                                   \
    SEQ_OP(TY, min, T, 9, -5, -5);                                                                 \
    SEQ_REV(TY, sub, T, 5, 3, -2);                                                                 \
    SEQ_REV(TY, div, T, 5, -17, -3);                                                               \
    SEQ_REV(TY, shl, T, 2, 3, 12);                                                                 \
    SEQ_REV(TY, shr, T, 2, -16, -4);                                                               \
    SEQ_RD_WR_SWP(TY, T, -7, M);                                                                   \
    SEQ_MIX(TY, mul_float8, T, 5, 2.5, 12);                                                        \
    SEQ_MIX(TY, mul_float8, T, -5, 2.5, -12); /* truncated toward 0 */                             \
    SEQ_MIX(TY, div_float8, T, 25, 2.0, 12);                                                       \
    SEQ_MIX(TY, div_float8, T, 3, 0.25, 12);                                                       \
  } while (0)

/* Unsigned integers: div and shr, where signedness changes the result (M: the largest). */
#define SEQ_FIXEDU(TY, T, M)                                                                       \
  do {                                                                                             \
    SEQ_OP(TY, div, T, 200, 7, 28);                                                                \
    SEQ_OP(TY, div, T, M, 2, (M) / 2);                                                             \
    SEQ_OP(TY, shr, T, 240, 4, 15);                                                                \
    SEQ_OP(TY, shr, T, M, 1, (M) >> 1); /* logical */                                              \
    SEQ_REV(TY, div, T, 7, 200, 28);                                                               \
    SEQ_REV(TY, div, T, 2, M, (M) / 2);                                                            \
    SEQ_REV(TY, shr, T, 4, 240, 15);                                                               \
    SEQ_REV(TY, shr, T, 1, M, (M) >> 1);                                                           \
  } while (0)

#define SEQ_FLOAT(TY, T)                                                                           \
  do {                                                                                             \
    SEQ_OP(TY, add, T, 1.5, 2.25, 3.75);                                                           \
    SEQ_OP(TY, sub, T, 1.5, 2.25, -0.75);                                                          \
    SEQ_OP(TY, mul, T, 1.5, -2.0, -3.0);                                                           \
    SEQ_OP(TY, div, T, 7.0, 2.0, 3.5);                                                             \
    SEQ_OP(TY, max, T, 1.5, 2.5, 2.5);                                                             \
    SEQ_OP(TY, max, T, 2.5, -1.5, 2.5);                                                            \
    SEQ_OP(TY, min, T, 1.5, 2.5, 1.5);                                                             \
    SEQ_OP(TY, min, T, 2.5, -1.5, -1.5);                                                           \
    SEQ_REV(TY, sub, T, 1.5, 2.25, 0.75);                                                          \
    SEQ_REV(TY, div, T, 2.0, 7.0, 3.5);                                                            \
    SEQ_RD_WR_SWP(TY, T, -0.125, 1024.5);                                                          \
  } while (0)

/* Complex: values printed by parts. */
#define CEQ(x, y) (__real__(x) == __real__(y) && __imag__(x) == __imag__(y))
#define CPR(x) (long double)__real__(x), (long double)__imag__(x)
#define SEQ_COP(TY, OP, T, a, b, r)                                                                \
  do {                                                                                             \
    T x_ = (a), c_;                                                                                \
    __kmpc_atomic_##TY##_##OP(&loc, gtid, &x_, (b));                                               \
    CHECK(CEQ(x_, r), #TY "_" #OP ": (%Lg, %Lg)", CPR(x_));                                        \
    x_ = (a);                                                                                      \
    c_ = __kmpc_atomic_##TY##_##OP##_cpt(&loc, gtid, &x_, (b), 0);                                 \
    CHECK(CEQ(c_, a) && CEQ(x_, r), #TY "_" #OP "_cpt(0): (%Lg, %Lg)", CPR(c_));                   \
    x_ = (a);                                                                                      \
    c_ = __kmpc_atomic_##TY##_##OP##_cpt(&loc, gtid, &x_, (b), 1);                                 \
    CHECK(CEQ(c_, r) && CEQ(x_, r), #TY "_" #OP "_cpt(1): (%Lg, %Lg)", CPR(c_));                   \
  } while (0)
/* cmplx4: the captured value comes back through the out pointer. */
#define SEQ_COP4(OP, a, b, r)                                                                      \
  do {                                                                                             \
    cmplx4 x_ = (a), c_ = c4(-99, -99);                                                            \
    __kmpc_atomic_cmplx4_##OP(&loc, gtid, &x_, (b));                                               \
    CHECK(CEQ(x_, r), "cmplx4_" #OP ": (%Lg, %Lg)", CPR(x_));                                      \
    x_ = (a);                                                                                      \
    __kmpc_atomic_cmplx4_##OP##_cpt(&loc, gtid, &x_, (b), &c_, 0);                                 \
    CHECK(CEQ(c_, a) && CEQ(x_, r), "cmplx4_" #OP "_cpt(0): (%Lg, %Lg)", CPR(c_));                 \
    x_ = (a);                                                                                      \
    __kmpc_atomic_cmplx4_##OP##_cpt(&loc, gtid, &x_, (b), &c_, 1);                                 \
    CHECK(CEQ(c_, r) && CEQ(x_, r), "cmplx4_" #OP "_cpt(1): (%Lg, %Lg)", CPR(c_));                 \
  } while (0)
#define SEQ_CRD_WR_SWP(TY, T, a, b)                                                                \
  do {                                                                                             \
    T x_ = (a);                                                                                    \
    T r_ = __kmpc_atomic_##TY##_rd(&loc, gtid, &x_);                                               \
    CHECK(CEQ(r_, a), #TY "_rd: (%Lg, %Lg)", CPR(r_));                                             \
    __kmpc_atomic_##TY##_wr(&loc, gtid, &x_, (b));                                                 \
    CHECK(CEQ(x_, b), #TY "_wr: (%Lg, %Lg)", CPR(x_));                                             \
    r_ = __kmpc_atomic_##TY##_swp(&loc, gtid, &x_, (a));                                           \
    CHECK(CEQ(r_, b) && CEQ(x_, a), #TY "_swp: (%Lg, %Lg)", CPR(r_));                              \
  } while (0)
#define SEQ_CREV(TY, OP, T, a, b, r)                                                               \
  do {                                                                                             \
    T x_ = (a), c_;                                                                                \
    __kmpc_atomic_##TY##_##OP##_rev(&loc, gtid, &x_, (b));                                         \
    CHECK(CEQ(x_, r), #TY "_" #OP "_rev: (%Lg, %Lg)", CPR(x_));                                    \
    x_ = (a);                                                                                      \
    c_ = __kmpc_atomic_##TY##_##OP##_cpt_rev(&loc, gtid, &x_, (b), 0);                             \
    CHECK(CEQ(c_, a) && CEQ(x_, r), #TY "_" #OP "_cpt_rev(0): (%Lg, %Lg)", CPR(c_));               \
    x_ = (a);                                                                                      \
    c_ = __kmpc_atomic_##TY##_##OP##_cpt_rev(&loc, gtid, &x_, (b), 1);                             \
    CHECK(CEQ(c_, r) && CEQ(x_, r), #TY "_" #OP "_cpt_rev(1): (%Lg, %Lg)", CPR(c_));               \
  } while (0)
#define SEQ_CREV4(OP, a, b, r)                                                                     \
  do {                                                                                             \
    cmplx4 x_ = (a), c_ = c4(-99, -99);                                                            \
    __kmpc_atomic_cmplx4_##OP##_rev(&loc, gtid, &x_, (b));                                         \
    CHECK(CEQ(x_, r), "cmplx4_" #OP "_rev: (%Lg, %Lg)", CPR(x_));                                  \
    x_ = (a);                                                                                      \
    __kmpc_atomic_cmplx4_##OP##_cpt_rev(&loc, gtid, &x_, (b), &c_, 0);                             \
    CHECK(CEQ(c_, a) && CEQ(x_, r), "cmplx4_" #OP "_cpt_rev(0): (%Lg, %Lg)", CPR(c_));             \
    x_ = (a);                                                                                      \
    __kmpc_atomic_cmplx4_##OP##_cpt_rev(&loc, gtid, &x_, (b), &c_, 1);                             \
    CHECK(CEQ(c_, r) && CEQ(x_, r), "cmplx4_" #OP "_cpt_rev(1): (%Lg, %Lg)", CPR(c_));             \
  } while (0)
/* (1+2i) + (3+4i) = 4+6i, (1+2i)(3+4i) = -5+10i, (-5+10i)/(3+4i) = 1+2i: exact. */
#define SEQ_CMPLX(TY, T, MK)                                                                       \
  do {                                                                                             \
    SEQ_COP(TY, add, T, MK(1, 2), MK(3, 4), MK(4, 6));                                             \
    SEQ_COP(TY, sub, T, MK(1, 2), MK(3, 4), MK(-2, -2));                                           \
    SEQ_COP(TY, mul, T, MK(1, 2), MK(3, 4), MK(-5, 10));                                           \
    SEQ_COP(TY, div, T, MK(-5, 10), MK(3, 4), MK(1, 2));                                           \
    SEQ_CREV(TY, sub, T, MK(1, 2), MK(3, 4), MK(2, 2));                                            \
    SEQ_CREV(TY, div, T, MK(3, 4), MK(-5, 10), MK(1, 2));                                          \
    SEQ_CRD_WR_SWP(TY, T, MK(1, -2), MK(-0.5, 1024));                                              \
  } while (0)

#define SEQ_CAS(N, T)                                                                              \
  do {                                                                                             \
    T x_ = 1, v_ = -1, r_;                                                                         \
    bool b_ = __kmpc_atomic_bool_##N##_cas(&loc, gtid, &x_, 1, 2);                                 \
    CHECK(b_ && x_ == 2, "bool_" #N "_cas (equal): %d %d", (int)b_, (int)x_);                      \
    b_ = __kmpc_atomic_bool_##N##_cas(&loc, gtid, &x_, 1, 3);                                      \
    CHECK(!b_ && x_ == 2, "bool_" #N "_cas (different): %d %d", (int)b_, (int)x_);                 \
    r_ = __kmpc_atomic_val_##N##_cas(&loc, gtid, &x_, 2, 5);                                       \
    CHECK(r_ == 2 && x_ == 5, "val_" #N "_cas (equal): %d %d", (int)r_, (int)x_);                  \
    r_ = __kmpc_atomic_val_##N##_cas(&loc, gtid, &x_, 2, 7);                                       \
    CHECK(r_ == 5 && x_ == 5, "val_" #N "_cas (different): %d %d", (int)r_, (int)x_);              \
    b_ = __kmpc_atomic_bool_##N##_cas_cpt(&loc, gtid, &x_, 0, 9, &v_);                             \
    CHECK(!b_ && x_ == 5 && v_ == 5, "bool_" #N "_cas_cpt (different): %d %d %d", (int)b_,         \
          (int)x_, (int)v_);                                                                       \
    v_ = -1;                                                                                       \
    b_ = __kmpc_atomic_bool_##N##_cas_cpt(&loc, gtid, &x_, 5, 9, &v_);                             \
    CHECK(b_ && x_ == 9 && v_ == -1, "bool_" #N "_cas_cpt (equal): %d %d %d", (int)b_, (int)x_,    \
          (int)v_);                                                                                \
    r_ = __kmpc_atomic_val_##N##_cas_cpt(&loc, gtid, &x_, 9, 4, &v_);                              \
    CHECK(r_ == 9 && x_ == 4 && v_ == 4, "val_" #N "_cas_cpt (equal): %d %d %d", (int)r_, (int)x_, \
          (int)v_);                                                                                \
    r_ = __kmpc_atomic_val_##N##_cas_cpt(&loc, gtid, &x_, 9, 1, &v_);                              \
    CHECK(r_ == 4 && x_ == 4 && v_ == 4, "val_" #N "_cas_cpt (different): %d %d %d", (int)r_,     \
          (int)x_, (int)v_);                                                                       \
  } while (0)

/* Callbacks of the generic forms: out = a + b (by memcpy: the object may be misaligned, and
 * the runtime may pass it as out and a). */
#define ADD_FN(NAME, T)                                                                            \
  static void NAME(void *out, void *a, void *b)                                                    \
  {                                                                                                \
    T x, y;                                                                                        \
    memcpy(&x, a, sizeof x);                                                                       \
    memcpy(&y, b, sizeof y);                                                                       \
    x += y;                                                                                        \
    memcpy(out, &x, sizeof x);                                                                     \
  }
ADD_FN(add_i8, int8_t)
ADD_FN(add_i16, int16_t)
ADD_FN(add_i32, int32_t)
ADD_FN(add_i64, int64_t)
ADD_FN(add_ld, long double)
ADD_FN(add_c8, cmplx8)
ADD_FN(add_c10, cmplx10)
/* 20 bytes: five ints, each added. */
struct five {
  int32_t v[5];
};
static void add_five(void *out, void *a, void *b)
{
  struct five r;
  for (int i = 0; i < 5; i++)
    r.v[i] = ((struct five *)a)->v[i] + ((struct five *)b)->v[i];
  *(struct five *)out = r;
}

static void part1(void)
{
  int gtid = __kmpc_global_thread_num(&loc);
  SEQ_FIXED(fixed1, int8_t, INT8_MAX);
  SEQ_FIXED(fixed2, int16_t, INT16_MAX);
  SEQ_FIXED(fixed4, int32_t, INT32_MAX);
  SEQ_FIXED(fixed8, int64_t, INT64_MAX);
  SEQ_FIXEDU(fixed1u, uint8_t, UINT8_MAX);
  SEQ_FIXEDU(fixed2u, uint16_t, UINT16_MAX);
  SEQ_FIXEDU(fixed4u, uint32_t, UINT32_MAX);
  SEQ_FIXEDU(fixed8u, uint64_t, UINT64_MAX);
  SEQ_FLOAT(float4, float);
  SEQ_FLOAT(float8, double);
  SEQ_FLOAT(float10, long double);
  /* float10 keeps 64 bits of mantissa: 2^63 + 1 is exact there, not in a double. */
  SEQ_OP(float10, add, long double, 0x1p63L, 1.0L, 0x1p63L + 1.0L);
  SEQ_MIX(float4, add_float8, float, 1.5f, 0.25, 1.75f);
  SEQ_MIX(float4, sub_float8, float, 1.5f, 0.25, 1.25f);
  SEQ_MIX(float4, mul_float8, float, 1.5f, -2.0, -3.0f);
  SEQ_MIX(float4, div_float8, float, 3.0f, 2.0, 1.5f);
  /* the operation is done in double: 1 + (2^-24 + 2^-50) is above the midpoint between 1 and
   * the next float, so it rounds up; in float the operand would round to 2^-24 first and the
   * sum, a tie, to 1 */
  SEQ_MIX(float4, add_float8, float, 1.0f, 0x1p-24 + 0x1p-50, 1.0f + 0x1p-23f);

  SEQ_CMPLX(cmplx8, cmplx8, c8);
  SEQ_CMPLX(cmplx10, cmplx10, c10);
  SEQ_COP4(add, c4(1, 2), c4(3, 4), c4(4, 6));
  SEQ_COP4(sub, c4(1, 2), c4(3, 4), c4(-2, -2));
  SEQ_COP4(mul, c4(1, 2), c4(3, 4), c4(-5, 10));
  SEQ_COP4(div, c4(-5, 10), c4(3, 4), c4(1, 2));
  SEQ_CREV4(sub, c4(1, 2), c4(3, 4), c4(2, 2));
  SEQ_CREV4(div, c4(3, 4), c4(-5, 10), c4(1, 2));
  {
    cmplx4 x = c4(1, -2), r = c4(-99, -99);
    r = __kmpc_atomic_cmplx4_rd(&loc, gtid, &x);
    CHECK(CEQ(r, c4(1, -2)), "cmplx4_rd: (%Lg, %Lg)", CPR(r));
    __kmpc_atomic_cmplx4_wr(&loc, gtid, &x, c4(-0.5f, 1024));
    CHECK(CEQ(x, c4(-0.5f, 1024)), "cmplx4_wr: (%Lg, %Lg)", CPR(x));
    __kmpc_atomic_cmplx4_swp(&loc, gtid, &x, c4(7, 8), &r);
    CHECK(CEQ(r, c4(-0.5f, 1024)) && CEQ(x, c4(7, 8)), "cmplx4_swp: (%Lg, %Lg)", CPR(r));
    x = c4(1, 2);
    __kmpc_atomic_cmplx4_add_cmplx8(&loc, gtid, &x, c8(3, 4));
    CHECK(CEQ(x, c4(4, 6)), "cmplx4_add_cmplx8: (%Lg, %Lg)", CPR(x));
    __kmpc_atomic_cmplx4_sub_cmplx8(&loc, gtid, &x, c8(3, 4));
    CHECK(CEQ(x, c4(1, 2)), "cmplx4_sub_cmplx8: (%Lg, %Lg)", CPR(x));
    __kmpc_atomic_cmplx4_mul_cmplx8(&loc, gtid, &x, c8(3, 4));
    CHECK(CEQ(x, c4(-5, 10)), "cmplx4_mul_cmplx8: (%Lg, %Lg)", CPR(x));
    __kmpc_atomic_cmplx4_div_cmplx8(&loc, gtid, &x, c8(3, 4));
    CHECK(CEQ(x, c4(1, 2)), "cmplx4_div_cmplx8: (%Lg, %Lg)", CPR(x));
  }

  SEQ_CAS(1, int8_t);
  SEQ_CAS(2, int16_t);
  SEQ_CAS(4, int32_t);
  SEQ_CAS(8, int64_t);

  {
    int8_t i8 = 100, d8 = 27;
    __kmpc_atomic_1(&loc, gtid, &i8, &d8, add_i8);
    CHECK(i8 == 127, "__kmpc_atomic_1: %d", i8);
    int16_t i16 = 1000, d16 = -2000;
    __kmpc_atomic_2(&loc, gtid, &i16, &d16, add_i16);
    CHECK(i16 == -1000, "__kmpc_atomic_2: %d", i16);
    int32_t i32 = 3, d32 = 4;
    __kmpc_atomic_4(&loc, gtid, &i32, &d32, add_i32);
    CHECK(i32 == 7, "__kmpc_atomic_4: %d", (int)i32);
    int64_t i64 = INT64_C(1) << 40, d64 = 1;
    __kmpc_atomic_8(&loc, gtid, &i64, &d64, add_i64);
    CHECK(i64 == (INT64_C(1) << 40) + 1, "__kmpc_atomic_8: %lld", (long long)i64);
    long double ld = 0x1p63L, dld = 1;
    __kmpc_atomic_10(&loc, gtid, &ld, &dld, add_ld);
    CHECK(ld == 0x1p63L + 1, "__kmpc_atomic_10: %Lg", ld);
    cmplx8 z8 = c8(1, 2), d8c = c8(3, 4);
    __kmpc_atomic_16(&loc, gtid, &z8, &d8c, add_c8);
    CHECK(CEQ(z8, c8(4, 6)), "__kmpc_atomic_16: (%Lg, %Lg)", CPR(z8));
    struct five f = {{1, 2, 3, 4, 5}}, df = {{10, 20, 30, 40, 50}};
    __kmpc_atomic_20(&loc, gtid, &f, &df, add_five);
    CHECK(f.v[0] == 11 && f.v[4] == 55, "__kmpc_atomic_20: %d %d", (int)f.v[0], (int)f.v[4]);
    cmplx10 z10 = c10(1, 2), d10 = c10(3, 4);
    __kmpc_atomic_32(&loc, gtid, &z10, &d10, add_c10);
    CHECK(CEQ(z10, c10(4, 6)), "__kmpc_atomic_32: (%Lg, %Lg)", CPR(z10));
  }
}

/* ---- part 2: a team on shared objects ---- */

#define ITERS 1000 /* per thread and check */
static int nt;     /* the team asked for */
static int team_size;

/* Runs the body (the macro's argument) on a team of nt threads; tid, team and gtid are
 * defined in it. */
#define TEAM(...)                                                                                  \
  do {                                                                                             \
    _Pragma("omp parallel num_threads(nt)")                                                        \
    {                                                                                              \
      int tid = omp_get_thread_num(), team = omp_get_num_threads();                                \
      int gtid = __kmpc_global_thread_num(&loc);                                                   \
      (void)tid;                                                                                   \
      (void)gtid;                                                                                  \
      if (tid == 0)                                                                                \
        team_size = team;                                                                          \
      __VA_ARGS__                                                                                  \
    }                                                                                              \
  } while (0)
#define SLOT (tid * ITERS + i) /* this thread's i-th value, unique in the team */

static int cmp_ll(const void *a, const void *b)
{
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}
/* v[0..n) must be base, base + step, ... in some order. */
static void check_perm(long long *v, long long n, long long base, long long step,
                       const char *what)
{
  qsort(v, (size_t)n, sizeof *v, cmp_ll);
  for (long long i = 0; i < n; i++)
    if (v[i] != base + i * step) {
      fail(__LINE__, what, "value %lld at rank %lld, expected %lld", v[i], i, base + i * step);
      return;
    }
}
/* The values the max/min checks offer: slot j gives spread(j). */
static int spread(long long j) { return (int)(j * 7919 % 20011); }
static int spread_max(long long n)
{
  int m = 0;
  for (long long j = 0; j < n; j++)
    m = spread(j) > m ? spread(j) : m;
  return m;
}

static int8_t s_i8;
static int16_t s_i16;
static int32_t s_i32, s_i32b;
static int64_t s_i64, s_i64b, s_i64c;
static uint32_t s_u32;
static float s_f4, s_f4b, s_f4c;
static double s_f8, s_f8b, s_f8c, s_f8d;
static long double s_ld, s_ldb, s_ldc, s_ldd;
static cmplx4 s_c4, s_c4b, s_c4c, s_c4d;
static cmplx8 s_c8, s_c8b, s_c8c, s_c8d;
static cmplx10 s_c10, s_c10b, s_c10d;
static struct five s_five;
static long long *tickets, *tickets2; /* one slot per (thread, iteration), plus one */
static struct {
  long long count;
  long double sum;
} plain; /* updated with plain code between __kmpc_atomic_start and _end */
static _Alignas(64) unsigned char mis[64]; /* misaligned objects, all in one cache line */

static void part2_integers(void)
{
  /* sums and tickets */
  s_i8 = 0, s_i16 = 0, s_i32 = 0, s_i64 = 0, s_i64b = 0;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      __kmpc_atomic_fixed1_add(&loc, gtid, &s_i8, 1);
      __kmpc_atomic_fixed2_sub(&loc, gtid, &s_i16, 3);
      __kmpc_atomic_fixed8_add(&loc, gtid, &s_i64, INT64_C(1) << 33);
      tickets[SLOT] = __kmpc_atomic_fixed4_add_cpt(&loc, gtid, &s_i32, 1, 0);
      tickets2[SLOT] = __kmpc_atomic_fixed8_sub_cpt(&loc, gtid, &s_i64b, 2, 1);
    }
  });
  long long n = (long long)team_size * ITERS;
  CHECK(s_i8 == (int8_t)n, "fixed1_add sum %d, expected %d", s_i8, (int8_t)n);
  CHECK(s_i16 == (int16_t)(-3 * n), "fixed2_sub sum %d", s_i16);
  CHECK(s_i64 == n << 33, "fixed8_add sum %lld", (long long)s_i64);
  CHECK(s_i32 == n, "fixed4_add_cpt sum %d", (int)s_i32);
  check_perm(tickets, n, 0, 1, "fixed4_add_cpt(flag 0) tickets");
  check_perm(tickets2, n, -2 * n, 2, "fixed8_sub_cpt(flag 1) tickets");

  /* bitwise: or sets and and clears every bit of a word; xor, eqv (= xor with ~v) and neqv
   * (= xor) of known values do not depend on the order */
  s_i64 = 0, s_i64b = -1, s_i64c = 0, s_i32 = 0, s_i16 = 0, s_i32b = -1;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      int k = SLOT % 64;
      int64_t v = (int64_t)SLOT * 2654435761;
      __kmpc_atomic_fixed8_orb(&loc, gtid, &s_i64, (int64_t)(UINT64_C(1) << k));
      __kmpc_atomic_fixed8_andb(&loc, gtid, &s_i64b, (int64_t) ~(UINT64_C(1) << k));
      __kmpc_atomic_fixed8_xor(&loc, gtid, &s_i64c, v);
      __kmpc_atomic_fixed4_eqv(&loc, gtid, &s_i32, (int32_t)v);
      __kmpc_atomic_fixed2_neqv_cpt(&loc, gtid, &s_i16, (int16_t)v, 1);
      __kmpc_atomic_fixed4_andb_cpt(&loc, gtid, &s_i32b, (int32_t) ~(UINT32_C(1) << (k % 32)), 0);
    }
  });
  n = (long long)team_size * ITERS;
  int64_t xor_all = 0;
  int32_t eqv_all = 0;
  for (long long j = 0; j < n; j++) {
    int64_t v = (int64_t)j * 2654435761;
    xor_all ^= v;
    eqv_all = ~(eqv_all ^ (int32_t)v);
  }
  CHECK(s_i64 == -1, "fixed8_orb: %llx", (unsigned long long)s_i64);
  CHECK(s_i64b == 0, "fixed8_andb: %llx", (unsigned long long)s_i64b);
  CHECK(s_i64c == xor_all, "fixed8_xor: %llx", (unsigned long long)s_i64c);
  CHECK(s_i32 == eqv_all, "fixed4_eqv: %x, expected %x", (unsigned)s_i32, (unsigned)eqv_all);
  CHECK(s_i16 == (int16_t)xor_all, "fixed2_neqv_cpt: %x", (unsigned)(uint16_t)s_i16);
  CHECK(s_i32b == 0, "fixed4_andb_cpt: %x", (unsigned)s_i32b);

  /* products and shifts in pairs that cancel (each thread is at most one step ahead, so the
   * values stay in range and every division is exact); -1 times an even number of times */
  s_i32 = 1 << 8, s_i64 = 1 << 4, s_i16 = 7, s_u32 = 1u << 4, s_i8 = 3;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      __kmpc_atomic_fixed4_mul_float8(&loc, gtid, &s_i32, 2.0);
      __kmpc_atomic_fixed4_div_float8(&loc, gtid, &s_i32, 2.0);
      __kmpc_atomic_fixed8_shl(&loc, gtid, &s_i64, 1);
      __kmpc_atomic_fixed8_shr_cpt(&loc, gtid, &s_i64, 1, 1);
      __kmpc_atomic_fixed4u_div(&loc, gtid, &s_u32, 1);
      __kmpc_atomic_fixed2_mul(&loc, gtid, &s_i16, -1);
      __kmpc_atomic_fixed2_mul_cpt(&loc, gtid, &s_i16, -1, 0);
      __kmpc_atomic_fixed1_div_float8(&loc, gtid, &s_i8, 1.0);
    }
  });
  CHECK(s_i32 == 1 << 8, "fixed4_mul/div_float8 pairs: %d", (int)s_i32);
  CHECK(s_i64 == 1 << 4, "fixed8_shl/shr_cpt pairs: %lld", (long long)s_i64);
  CHECK(s_u32 == 1u << 4, "fixed4u_div by 1: %u", s_u32);
  CHECK(s_i16 == 7, "fixed2_mul by -1, even count: %d", s_i16);
  CHECK(s_i8 == 3, "fixed1_div_float8 by 1: %d", s_i8);

  /* reflections x = r - x and x = r / x: an even number of them leaves x, and every value
   * captured is one of the two states */
  s_i32 = 2, s_i64 = 2;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      __kmpc_atomic_fixed4_sub_rev(&loc, gtid, &s_i32, 10); /* 2 <-> 8 */
      int32_t c = __kmpc_atomic_fixed4_sub_cpt_rev(&loc, gtid, &s_i32, 10, 1);
      if (c != 2 && c != 8)
        fail(__LINE__, "fixed4_sub_cpt_rev", "captured %d", (int)c);
      __kmpc_atomic_fixed8_div_rev(&loc, gtid, &s_i64, 6); /* 2 <-> 3 */
      int64_t d = __kmpc_atomic_fixed8_div_cpt_rev(&loc, gtid, &s_i64, 6, 0);
      if (d != 2 && d != 3)
        fail(__LINE__, "fixed8_div_cpt_rev", "captured %lld", (long long)d);
    }
  });
  CHECK(s_i32 == 2, "fixed4_sub_rev reflections: %d", (int)s_i32);
  CHECK(s_i64 == 2, "fixed8_div_rev reflections: %lld", (long long)s_i64);

  /* max and min */
  s_i16 = INT16_MIN, s_i8 = INT8_MAX, s_i64 = INT64_MAX, s_i32 = INT32_MIN;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      int v = spread(SLOT);
      __kmpc_atomic_fixed2_max(&loc, gtid, &s_i16, (int16_t)v);
      __kmpc_atomic_fixed1_min(&loc, gtid, &s_i8, (int8_t)(v % 200 - 100));
      __kmpc_atomic_fixed8_min_cpt(&loc, gtid, &s_i64, (int64_t)v - 5, 1);
      __kmpc_atomic_fixed4_max_cpt(&loc, gtid, &s_i32, -v, 0);
    }
  });
  n = (long long)team_size * ITERS;
  int vmin8 = 127;
  for (long long j = 0; j < n; j++)
    vmin8 = spread(j) % 200 - 100 < vmin8 ? spread(j) % 200 - 100 : vmin8;
  CHECK(s_i16 == spread_max(n), "fixed2_max: %d, expected %d", s_i16, spread_max(n));
  CHECK(s_i8 == vmin8, "fixed1_min: %d, expected %d", s_i8, vmin8);
  CHECK(s_i64 == -5, "fixed8_min_cpt: %lld", (long long)s_i64); /* spread(0) == 0 */
  CHECK(s_i32 == 0, "fixed4_max_cpt: %d", (int)s_i32);

  /* compare-and-swap counters: read and try; a failed _cpt hands back the current value */
  s_i32 = 0, s_i64 = 0, s_i8 = 0, s_i16 = 0;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      int32_t o = __kmpc_atomic_fixed4_rd(&loc, gtid, &s_i32);
      while (!__kmpc_atomic_bool_4_cas(&loc, gtid, &s_i32, o, o + 1))
        o = __kmpc_atomic_fixed4_rd(&loc, gtid, &s_i32);
      int64_t e = 0, was;
      while ((was = __kmpc_atomic_val_8_cas(&loc, gtid, &s_i64, e, e + 3)) != e)
        e = was;
      int16_t e16 = 0;
      while (!__kmpc_atomic_bool_2_cas_cpt(&loc, gtid, &s_i16, e16, (int16_t)(e16 + 1), &e16))
        ;
      int8_t e8 = 0, v8;
      while (__kmpc_atomic_val_1_cas_cpt(&loc, gtid, &s_i8, e8, (int8_t)(e8 + 1), &v8) != e8)
        e8 = v8;
    }
  });
  n = (long long)team_size * ITERS;
  CHECK(s_i32 == n, "bool_4_cas counter: %d", (int)s_i32);
  CHECK(s_i64 == 3 * n, "val_8_cas counter: %lld", (long long)s_i64);
  CHECK(s_i16 == (int16_t)n, "bool_2_cas_cpt counter: %d", s_i16);
  CHECK(s_i8 == (int8_t)n, "val_1_cas_cpt counter: %d", s_i8);

  /* an 8-byte value written whole and read whole: both halves always agree */
  s_i64 = 0;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      if (tid % 2 == 0) {
        __kmpc_atomic_fixed8_wr(&loc, gtid, &s_i64, (int64_t)SLOT * INT64_C(0x100000001));
      } else {
        int64_t r = __kmpc_atomic_fixed8_rd(&loc, gtid, &s_i64);
        if ((uint32_t)r != (uint32_t)((uint64_t)r >> 32))
          fail(__LINE__, "fixed8_wr/rd", "read a torn value %llx", (unsigned long long)r);
      }
    }
  });
}

static void part2_floats(void)
{
  s_f4 = 0, s_f4b = 0, s_f8 = 0, s_f8b = 2, s_f4c = 2, s_f8c = 1.5, s_f8d = -1e300;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      __kmpc_atomic_float4_add(&loc, gtid, &s_f4, 1.0f);
      __kmpc_atomic_float4_add_float8(&loc, gtid, &s_f4b, 0.25);
      tickets[SLOT] = (long long)__kmpc_atomic_float8_add_cpt(&loc, gtid, &s_f8, 1.0, 0);
      double c = __kmpc_atomic_float8_sub_cpt_rev(&loc, gtid, &s_f8b, 6.0, 1); /* 2 <-> 4 */
      if (c != 2 && c != 4)
        fail(__LINE__, "float8_sub_cpt_rev", "captured %g", c);
      __kmpc_atomic_float4_div_rev(&loc, gtid, &s_f4c, 6.0f); /* 2 <-> 3 */
      __kmpc_atomic_float4_div_rev(&loc, gtid, &s_f4c, 6.0f);
      __kmpc_atomic_float8_mul(&loc, gtid, &s_f8c, -1.0);
      __kmpc_atomic_float8_mul_cpt(&loc, gtid, &s_f8c, -1.0, 1);
      __kmpc_atomic_float8_max(&loc, gtid, &s_f8d, spread(SLOT));
    }
  });
  long long n = (long long)team_size * ITERS;
  CHECK(s_f4 == (float)n, "float4_add sum %g", (double)s_f4);
  CHECK(s_f4b == (float)n * 0.25f, "float4_add_float8 sum %g", (double)s_f4b);
  CHECK(s_f8 == (double)n, "float8_add_cpt sum %g", s_f8);
  check_perm(tickets, n, 0, 1, "float8_add_cpt(flag 0) tickets");
  CHECK(s_f8b == 2, "float8_sub_cpt_rev reflections (an even number): %g", s_f8b);
  CHECK(s_f4c == 2, "float4_div_rev reflections: %g", (double)s_f4c);
  CHECK(s_f8c == 1.5, "float8_mul by -1, even count: %g", s_f8c);
  CHECK(s_f8d == spread_max(n), "float8_max: %g", s_f8d);

  /* long double: a sum beyond a double's mantissa, tickets, reflections, max */
  s_ld = 0x1p60L, s_ldb = 0, s_ldc = 2, s_ldd = -1;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      __kmpc_atomic_float10_add(&loc, gtid, &s_ld, 1.0L);
      tickets[SLOT] = (long long)__kmpc_atomic_float10_add_cpt(&loc, gtid, &s_ldb, 1, 0);
      __kmpc_atomic_float10_sub_rev(&loc, gtid, &s_ldc, 6.0L);        /* 2 <-> 4 */
      __kmpc_atomic_float10_div_cpt_rev(&loc, gtid, &s_ldc, 8.0L, 1); /* 2 <-> 4 */
      __kmpc_atomic_float10_max_cpt(&loc, gtid, &s_ldd, (long double)SLOT, 0);
    }
  });
  n = (long long)team_size * ITERS;
  CHECK(s_ld == 0x1p60L + n, "float10_add sum off by %Lg", s_ld - 0x1p60L - n);
  CHECK(s_ldb == (long double)n, "float10_add_cpt sum %Lg", s_ldb);
  check_perm(tickets, n, 0, 1, "float10_add_cpt(flag 0) tickets");
  CHECK(s_ldc == 2, "float10_sub_rev/div_cpt_rev reflections: %Lg", s_ldc);
  CHECK(s_ldd == (long double)(n - 1), "float10_max_cpt: %Lg", s_ldd);

  /* swaps: the values swapped out, plus the last one in, are those swapped in plus the
   * first; write/read: every value read is one written (k + 0.5 + 2^-20: exact in a long
   * double, never so when torn) */
  s_ld = -1, s_ldb = 0.5L + 0x1p-20L;
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      long double mine = (long double)SLOT;
      tickets[SLOT] = (long long)__kmpc_atomic_float10_swp(&loc, gtid, &s_ld, mine);
      if (tid % 2 == 0) {
        __kmpc_atomic_float10_wr(&loc, gtid, &s_ldb, mine + 0.5L + 0x1p-20L);
      } else {
        long double r = __kmpc_atomic_float10_rd(&loc, gtid, &s_ldb);
        long double k = r - 0.5L - 0x1p-20L;
        if (!(k >= 0 && k < 1e6L && k == (long double)(long long)k))
          fail(__LINE__, "float10_wr/rd", "read a value never written: %La", r);
      }
    }
  });
  n = (long long)team_size * ITERS;
  tickets[n] = (long long)s_ld;
  check_perm(tickets, n + 1, -1, 1, "float10_swp values");
}

static void part2_complex(void)
{
  /* sums (the 16-byte one half through the typed entry point, half through the generic one
   * of its size), tickets on the real part */
  s_c4 = 0, s_c8 = 0, s_c10 = 0, s_c4b = 0, s_c8b = 0;
  TEAM({
    cmplx8 one_two = c8(1, 2);
    for (int i = 0; i < ITERS; i++) {
      __kmpc_atomic_cmplx4_add(&loc, gtid, &s_c4, c4(1, 2));
      if (i % 2)
        __kmpc_atomic_cmplx8_add(&loc, gtid, &s_c8, c8(1, 2));
      else
        __kmpc_atomic_16(&loc, gtid, &s_c8, &one_two, add_c8);
      __kmpc_atomic_cmplx10_sub(&loc, gtid, &s_c10, c10(1, -0.5L));
      cmplx4 old;
      __kmpc_atomic_cmplx4_add_cpt(&loc, gtid, &s_c4b, c4(1, 0), &old, 0);
      tickets[SLOT] = (long long)__real__ old;
      cmplx8 now = __kmpc_atomic_cmplx8_sub_cpt(&loc, gtid, &s_c8b, c8(1, 1), 1);
      tickets2[SLOT] = (long long)__real__ now;
      if (__real__ now != __imag__ now)
        fail(__LINE__, "cmplx8_sub_cpt", "captured (%g, %g)", __real__ now, __imag__ now);
    }
  });
  long long n = (long long)team_size * ITERS;
  CHECK(CEQ(s_c4, c4((float)n, 2.0f * (float)n)), "cmplx4_add sum (%Lg, %Lg)", CPR(s_c4));
  CHECK(CEQ(s_c8, c8((double)n, 2.0 * (double)n)), "cmplx8_add + __kmpc_atomic_16 sum (%Lg, %Lg)",
        CPR(s_c8));
  CHECK(CEQ(s_c10, c10(-(long double)n, 0.5L * n)), "cmplx10_sub sum (%Lg, %Lg)", CPR(s_c10));
  check_perm(tickets, n, 0, 1, "cmplx4_add_cpt(flag 0) tickets");
  check_perm(tickets2, n, -n, 1, "cmplx8_sub_cpt(flag 1) tickets");

  /* products by i, four at a time, return to the start (so do a division and a product by i,
   * which commute); reflections x = r / x, r - x, with one r per object, an even number */
  s_c4 = c4(3, 1), s_c8 = c8(3, 1), s_c10 = c10(3, 1), s_c4b = c4(3, 1);
  s_c10b = c10(1, 1), s_c4c = c4(1, 1), s_c8c = c8(1, 1), s_c8b = c8(3, 1);
  TEAM({
    cmplx4 out;
    for (int i = 0; i < ITERS; i++) {
      for (int k = 0; k < 4; k++) {
        __kmpc_atomic_cmplx4_mul(&loc, gtid, &s_c4, c4(0, 1));
        (void)__kmpc_atomic_cmplx8_mul_cpt(&loc, gtid, &s_c8, c8(0, 1), k % 2);
        __kmpc_atomic_cmplx10_mul(&loc, gtid, &s_c10, c10(0, 1));
        __kmpc_atomic_cmplx4_mul_cmplx8(&loc, gtid, &s_c4b, c8(0, 1));
      }
      __kmpc_atomic_cmplx10_div_rev(&loc, gtid, &s_c10b, c10(2, 0)); /* 1+i <-> 1-i */
      cmplx10 c = __kmpc_atomic_cmplx10_div_cpt_rev(&loc, gtid, &s_c10b, c10(2, 0), 1);
      if (!CEQ(c, c10(1, 1)) && !CEQ(c, c10(1, -1)))
        fail(__LINE__, "cmplx10_div_cpt_rev", "captured (%Lg, %Lg)", CPR(c));
      __kmpc_atomic_cmplx4_sub_rev(&loc, gtid, &s_c4c, c4(4, 4)); /* 1+i <-> 3+3i */
      __kmpc_atomic_cmplx4_sub_cpt_rev(&loc, gtid, &s_c4c, c4(4, 4), &out, 0);
      if (!CEQ(out, c4(1, 1)) && !CEQ(out, c4(3, 3)))
        fail(__LINE__, "cmplx4_sub_cpt_rev", "captured (%Lg, %Lg)", CPR(out));
      __kmpc_atomic_cmplx8_div_rev(&loc, gtid, &s_c8c, c8(2, 0)); /* 1+i <-> 1-i */
      __kmpc_atomic_cmplx8_div_rev(&loc, gtid, &s_c8c, c8(2, 0));
      __kmpc_atomic_cmplx8_div(&loc, gtid, &s_c8b, c8(0, 1)); /* scalings commute */
      __kmpc_atomic_cmplx8_mul(&loc, gtid, &s_c8b, c8(0, 1));
    }
  });
  CHECK(CEQ(s_c4, c4(3, 1)), "cmplx4_mul by i: (%Lg, %Lg)", CPR(s_c4));
  CHECK(CEQ(s_c8, c8(3, 1)), "cmplx8_mul_cpt by i: (%Lg, %Lg)", CPR(s_c8));
  CHECK(CEQ(s_c10, c10(3, 1)), "cmplx10_mul by i: (%Lg, %Lg)", CPR(s_c10));
  CHECK(CEQ(s_c4b, c4(3, 1)), "cmplx4_mul_cmplx8 by i: (%Lg, %Lg)", CPR(s_c4b));
  CHECK(CEQ(s_c10b, c10(1, 1)), "cmplx10_div_rev reflections: (%Lg, %Lg)", CPR(s_c10b));
  CHECK(CEQ(s_c4c, c4(1, 1)), "cmplx4_sub_rev reflections: (%Lg, %Lg)", CPR(s_c4c));
  CHECK(CEQ(s_c8c, c8(1, 1)), "cmplx8_div_rev reflections: (%Lg, %Lg)", CPR(s_c8c));
  CHECK(CEQ(s_c8b, c8(3, 1)), "cmplx8_div and _mul by i: (%Lg, %Lg)", CPR(s_c8b));

  /* swaps (a permutation of what went in, never torn: im == -re) and write/read pairs that
   * must never be read torn (re == im, or re == -im) */
  s_c8 = c8(-1, 1), s_c10d = c10(0.25L, 0.25L), s_c4d = c4(0, 0), s_c8d = c8(0, 0);
  TEAM({
    for (int i = 0; i < ITERS; i++) {
      cmplx8 old = __kmpc_atomic_cmplx8_swp(&loc, gtid, &s_c8, c8(SLOT, -SLOT));
      if (__real__ old != -__imag__ old)
        fail(__LINE__, "cmplx8_swp", "swapped out a torn value (%g, %g)", __real__ old,
             __imag__ old);
      tickets[SLOT] = (long long)__real__ old;
      if (tid % 2 == 0) {
        __kmpc_atomic_cmplx10_wr(&loc, gtid, &s_c10d, c10(SLOT + 0.25L, SLOT + 0.25L));
        __kmpc_atomic_cmplx4_wr(&loc, gtid, &s_c4d, c4((float)SLOT, -(float)SLOT));
        cmplx4 o4;
        __kmpc_atomic_cmplx4_swp(&loc, gtid, &s_c4d, c4((float)SLOT, -(float)SLOT), &o4);
        if (__real__ o4 != -__imag__ o4)
          fail(__LINE__, "cmplx4_swp", "swapped out a torn value (%Lg, %Lg)", CPR(o4));
        __kmpc_atomic_cmplx8_wr(&loc, gtid, &s_c8d, c8(SLOT, SLOT));
      } else {
        cmplx10 r = __kmpc_atomic_cmplx10_rd(&loc, gtid, &s_c10d);
        if (__real__ r != __imag__ r)
          fail(__LINE__, "cmplx10_wr/rd", "read a torn value (%Lg, %Lg)", CPR(r));
        cmplx4 r4 = __kmpc_atomic_cmplx4_rd(&loc, gtid, &s_c4d);
        if (__real__ r4 != -__imag__ r4)
          fail(__LINE__, "cmplx4_wr/rd", "read a torn value (%Lg, %Lg)", CPR(r4));
        cmplx8 r8 = __kmpc_atomic_cmplx8_rd(&loc, gtid, &s_c8d);
        if (__real__ r8 != __imag__ r8)
          fail(__LINE__, "cmplx8_wr/rd", "read a torn value (%Lg, %Lg)", CPR(r8));
      }
    }
  });
  n = (long long)team_size * ITERS;
  tickets[n] = (long long)__real__ s_c8;
  check_perm(tickets, n + 1, -1, 1, "cmplx8_swp values");
}

/* The generic entry points, __kmpc_atomic_start/end, misaligned objects. */
static void part2_generic(void)
{
  s_i8 = 0, s_i16 = 0, s_i32 = 0, s_i64 = 0, s_ld = 0, s_c10 = 0;
  memset(&s_five, 0, sizeof s_five);
  plain.count = 0, plain.sum = 0;
  TEAM({
    int8_t d8 = 1;
    int16_t d16 = -1;
    int32_t d32 = 3;
    int64_t d64 = INT64_C(1) << 40;
    long double dld = 0.5L;
    cmplx10 dc10 = c10(1, 2);
    struct five df = {{1, 2, 3, 4, 5}};
    for (int i = 0; i < ITERS; i++) {
      __kmpc_atomic_1(&loc, gtid, &s_i8, &d8, add_i8);
      __kmpc_atomic_2(&loc, gtid, &s_i16, &d16, add_i16);
      __kmpc_atomic_4(&loc, gtid, &s_i32, &d32, add_i32);
      __kmpc_atomic_8(&loc, gtid, &s_i64, &d64, add_i64);
      if (i % 2) /* the typed and the generic entry point of one size on one object */
        __kmpc_atomic_10(&loc, gtid, &s_ld, &dld, add_ld);
      else
        __kmpc_atomic_float10_add(&loc, gtid, &s_ld, 0.5L);
      __kmpc_atomic_20(&loc, gtid, &s_five, &df, add_five);
      __kmpc_atomic_32(&loc, gtid, &s_c10, &dc10, add_c10);
      __kmpc_atomic_start();
      plain.count++;
      plain.sum += 0.25L;
      __kmpc_atomic_end();
    }
  });
  long long n = (long long)team_size * ITERS;
  CHECK(s_i8 == (int8_t)n, "__kmpc_atomic_1 sum %d", s_i8);
  CHECK(s_i16 == (int16_t)-n, "__kmpc_atomic_2 sum %d", s_i16);
  CHECK(s_i32 == 3 * n, "__kmpc_atomic_4 sum %d", (int)s_i32);
  CHECK(s_i64 == n << 40, "__kmpc_atomic_8 sum %lld", (long long)s_i64);
  CHECK(s_ld == 0.5L * n, "__kmpc_atomic_10 + float10_add sum %Lg", s_ld);
  CHECK(s_five.v[0] == n && s_five.v[4] == 5 * n, "__kmpc_atomic_20 sums %d %d", (int)s_five.v[0],
        (int)s_five.v[4]);
  CHECK(CEQ(s_c10, c10(n, 2.0L * n)), "__kmpc_atomic_32 sum (%Lg, %Lg)", CPR(s_c10));
  CHECK(plain.count == n && plain.sum == 0.25L * n,
        "__kmpc_atomic_start/end around plain code: %lld, %Lg", plain.count, plain.sum);

  /* misaligned objects (inside one cache line, so that the processor's locked instructions
   * stay atomic for libomp) */
  memset(mis, 0, sizeof mis);
  int32_t *m4 = (int32_t *)(void *)(mis + 1);
  int64_t *m8 = (int64_t *)(void *)(mis + 9);
  int16_t *m2 = (int16_t *)(void *)(mis + 19);
  double *mf8 = (double *)(void *)(mis + 25);
  cmplx4 *mc4 = (cmplx4 *)(void *)(mis + 36); /* 4-aligned, a float _Complex's alignment */
  int32_t *mg4 = (int32_t *)(void *)(mis + 45);
  int64_t *mcas = (int64_t *)(void *)(mis + 50);
  TEAM({
    int32_t one = 1;
    for (int i = 0; i < ITERS; i++) {
      __kmpc_atomic_fixed4_add(&loc, gtid, m4, 1);
      tickets[SLOT] = __kmpc_atomic_fixed8_add_cpt(&loc, gtid, m8, 2, 1);
      __kmpc_atomic_fixed2_sub(&loc, gtid, m2, 1);
      __kmpc_atomic_float8_add(&loc, gtid, mf8, 0.5);
      __kmpc_atomic_cmplx4_add(&loc, gtid, mc4, c4(1, -1));
      __kmpc_atomic_4(&loc, gtid, mg4, &one, add_i32);
      int64_t o = __kmpc_atomic_fixed8_rd(&loc, gtid, mcas);
      while (!__kmpc_atomic_bool_8_cas(&loc, gtid, mcas, o, o + 1))
        o = __kmpc_atomic_fixed8_rd(&loc, gtid, mcas);
      int32_t r = __kmpc_atomic_fixed4_rd(&loc, gtid, m4);
      if (r < 1 || r > team * ITERS)
        fail(__LINE__, "misaligned fixed4_rd", "read %d", (int)r);
    }
  });
  n = (long long)team_size * ITERS;
  int32_t v4, vg4;
  int64_t v8, vcas;
  int16_t v2;
  double vf8;
  cmplx4 vc4;
  memcpy(&v4, m4, sizeof v4);
  memcpy(&v8, m8, sizeof v8);
  memcpy(&v2, m2, sizeof v2);
  memcpy(&vf8, mf8, sizeof vf8);
  memcpy(&vc4, mc4, sizeof vc4);
  memcpy(&vg4, mg4, sizeof vg4);
  memcpy(&vcas, mcas, sizeof vcas);
  CHECK(v4 == n, "misaligned fixed4_add sum %d", (int)v4);
  CHECK(v8 == 2 * n, "misaligned fixed8_add_cpt sum %lld", (long long)v8);
  check_perm(tickets, n, 2, 2, "misaligned fixed8_add_cpt(flag 1) tickets");
  CHECK(v2 == (int16_t)-n, "misaligned fixed2_sub sum %d", v2);
  CHECK(vf8 == 0.5 * n, "misaligned float8_add sum %g", vf8);
  CHECK(CEQ(vc4, c4((float)n, -(float)n)), "4-aligned cmplx4_add sum (%Lg, %Lg)", CPR(vc4));
  CHECK(vg4 == n, "misaligned __kmpc_atomic_4 sum %d", (int)vg4);
  CHECK(vcas == n, "misaligned bool_8_cas counter %lld", (long long)vcas);
}

int main(void)
{
  nt = 4 * omp_get_max_threads();
  if (nt > 16)
    nt = 16;
  tickets = calloc((size_t)nt * ITERS + 1, sizeof *tickets);
  tickets2 = calloc((size_t)nt * ITERS + 1, sizeof *tickets2);
  if (!tickets || !tickets2)
    return 1;

  part1();
  part2_integers();
  part2_floats();
  part2_complex();
  part2_generic();

  free(tickets);
  free(tickets2);
  if (failures) {
    fprintf(stderr, "atomic_entry: %d check(s) failed (teams of %d)\n", failures, team_size);
    return 1;
  }
  printf("atomic_entry: all checks passed (teams of %d, %d iterations each)\n", team_size, ITERS);
  return 0;
}
