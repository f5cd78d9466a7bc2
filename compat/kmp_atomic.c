/*
 * kmp_atomic.c - the __kmpc_atomic_* entry points (libomp's atomic ABI).
 *
 * Compilers that do not inline an `omp atomic` (icc, older compilers, some Fortran front
 * ends) call one of these: __kmpc_atomic_<type>_<op>[_rev][_cpt] and friends. clang 14 and
 * gcc 12 never do (they inline, or call libatomic / GOMP_atomic_start), so this file serves
 * binaries built by other compilers; the set is the one Debian's libomp 14 exports (340
 * symbols, tests/abi/exports.sh compares).
 *
 * Signatures (from libomp's kmp_atomic.h; facts, not code), T the type, op the operation:
 *   update   void __kmpc_atomic_T_op(ident_t *, int gtid, T *lhs, T rhs): *lhs = *lhs op rhs
 *   reverse  void __kmpc_atomic_T_op_rev(ident_t *, int, T *lhs, T rhs): *lhs = rhs op *lhs
 *   capture  T __kmpc_atomic_T_op_cpt(ident_t *, int, T *lhs, T rhs, int flag), and
 *            _cpt_rev: return the new value if flag != 0, the old one if 0
 *   read     T __kmpc_atomic_T_rd(ident_t *, int, T *loc)
 *   write    void __kmpc_atomic_T_wr(ident_t *, int, T *lhs, T rhs)
 *   swap     T __kmpc_atomic_T_swp(ident_t *, int, T *lhs, T rhs): returns the old value
 *   mixed    void __kmpc_atomic_T_op_float8(..., T *lhs, double rhs): computed in double;
 *            void __kmpc_atomic_cmplx4_op_cmplx8(..., float _Complex *lhs, double _Complex rhs)
 *   generic  void __kmpc_atomic_N(ident_t *, int, void *lhs, void *rhs,
 *                                 void (*f)(void *out, void *a, void *b)):
 *            f stores a op b into out; the runtime calls f(&new, &old, rhs) around a
 *            compare-and-swap, or f(lhs, lhs, rhs) under a lock
 *   compare  bool __kmpc_atomic_bool_N_cas(ident_t *, int, T *x, T e, T d):
 *                 x == e ? (x = d, true) : false
 *            T __kmpc_atomic_val_N_cas(...): the same, returns the old x
 *            bool __kmpc_atomic_bool_N_cas_cpt(..., T *x, T e, T d, T *pv): on failure,
 *                 *pv = the old x
 *            T __kmpc_atomic_val_N_cas_cpt(..., T *pv): *pv = the new x, returns the old
 *   the one exception: cmplx4 capture and swap return through an out pointer,
 *            void  __kmpc_atomic_cmplx4_op_cpt(..., T *lhs, T rhs, T *out, int flag)
 *            void  __kmpc_atomic_cmplx4_swp(..., T *lhs, T rhs, T *out)
 *            (cmplx4_rd returns its value on Linux; libomp's out-pointer form is Windows only).
 * Types: fixed1/2/4/8 are int8/16/32/64 (fixedNu the unsigned ones, for div and shr only),
 * float4/8/10 are float, double, long double, cmplx4/8/10 their _Complex types (libomp uses
 * the C99 _Complex types on Linux, so they pass and return by the C ABI: cmplx10 in memory
 * and on the x87 stack). Operations: add sub mul div, andb orb xor (bitwise), andl orl
 * (logical), eqv (~(a ^ b)) neqv (a ^ b), shl shr (shr is arithmetic for signed types),
 * max min (the store happens only when rhs is greater / smaller).
 * id_ref and gtid are ignored (never dereferenced): compilers pass anything there.
 *
 * How each access is made atomic:
 *   - native: objects of 1, 2, 4 and 8 bytes (the fixed, float4/8 and cmplx4 types) at an
 *     address aligned to their size take the processor's atomics: fetch-and-op for the integer
 *     add/sub/and/or/xor family, a compare-and-swap loop on the object's bits for the rest,
 *     atomic loads, stores and exchanges for rd/wr/swp;
 *   - locked: long double, double _Complex and long double _Complex (16 and 32 bytes; no
 *     reliable lock-free access for them without cmpxchg16b and libatomic), and native-size
 *     objects at misaligned addresses, take one of KMPX_STRIPES futex locks, chosen by a hash
 *     of the object's address, and work on the object with plain memory accesses under it.
 * Invariant: the path is a function of the type's size and the address alone, so every
 * entry point that touches one object (update, capture, read, write, swap, compare) takes the
 * same path, and they exclude each other. (A locked object is atomic only with respect to
 * these entry points, not to a compiler's inline atomics on it: the same holds for libomp,
 * whose locks for these types are its own.)
 * The generic __kmpc_atomic_10/16/20/32 take the object's striped lock too, so they exclude
 * the typed locked entry points on the same object (libomp pairs _10 with float10, _16 with
 * cmplx8 and _20 with cmplx10 through shared per-size locks). __kmpc_atomic_start/end (what a
 * compiler brackets any other atomic construct with) is one global lock of its own.
 * Not here: the _Quad forms (float16, cmplx16, and the _fp mixed forms with a _Quad operand)
 * and the _a16 forms, which libomp has only when built with a quad type (KMP_HAVE_QUAD: by icc
 * or gcc; clang has none) or for IA-32: Debian's libomp (clang-built, x86_64) exports none of
 * them, so no program that runs on it calls them.
 * Memory order: on the native path every read-modify-write, load, store and exchange is
 * sequentially consistent (libomp's are locked instructions, full barriers); on the locked
 * path the lock orders the accesses (acquire, release).
 */
#include "kmp.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- the locks ---- */

#define KMPX_STRIPES 64 /* a power of two */

/* One futex word per cache line (compat/kmp_loop.c: kmpx_lock_acquire). */
static struct {
    _Alignas(ARY_CACHELINE) _Atomic uint32_t word;
} stripes[KMPX_STRIPES];

/* The lock of the object at p: hashes its 16-byte granule (one long double or double
 * _Complex), so neighbouring objects spread over the table. Every entry point passes the
 * object's start address, so one object always maps to one lock. */
static inline _Atomic uint32_t *stripe(const void *p)
{
    uint64_t g = (uint64_t)(uintptr_t)p >> 4;
    return &stripes[(g * UINT64_C(0x9E3779B97F4A7C15)) >> 58 & (KMPX_STRIPES - 1)].word;
}

/* __kmpc_atomic_start/end. */
static _Atomic uint32_t global_lock;

/* Native accesses go through these so that reading a float's bits as an integer does not
 * break aliasing rules. */
typedef uint8_t kmpx_u8 __attribute__((may_alias));
typedef uint16_t kmpx_u16 __attribute__((may_alias));
typedef uint32_t kmpx_u32 __attribute__((may_alias));
typedef uint64_t kmpx_u64 __attribute__((may_alias));

#define KMPX_ALIGNED(p, n) (((uintptr_t)(p) & ((n)-1)) == 0)

/*
 * The access macros. They work on the names of the generated functions' bodies:
 *   lhs  the object (T *),  rhs  the operand,  o  the value before,  n  the value after.
 * S names the access path of T: u8, u16, u32, u64 (native when aligned, locked otherwise) or
 * lk (always locked). COND decides whether the store happens at all (max/min, compare);
 * when it is false, n = o and nothing is written.
 */

#define KMPX_RMW_LOCKED(T, COND, EXPR)                                                        \
    do {                                                                                      \
        _Atomic uint32_t *l_ = stripe(lhs);                                                   \
        kmpx_lock_acquire(l_);                                                                \
        memcpy(&o, lhs, sizeof(T));                                                           \
        if (COND) {                                                                           \
            n = (EXPR);                                                                       \
            memcpy(lhs, &n, sizeof(T));                                                       \
        } else {                                                                              \
            n = o;                                                                            \
        }                                                                                     \
        kmpx_lock_release(l_);                                                                \
    } while (0)

/* A compare-and-swap loop on the object's bits (so NaNs and -0.0 compare as bits). */
#define KMPX_RMW_NATIVE(U, T, COND, EXPR)                                                     \
    do {                                                                                      \
        _Static_assert(sizeof(T) == sizeof(U), "a native access covers the whole object");    \
        if (!KMPX_ALIGNED(lhs, sizeof(U))) {                                                  \
            KMPX_RMW_LOCKED(T, COND, EXPR);                                                   \
            break;                                                                            \
        }                                                                                     \
        U *p_ = (U *)(void *)lhs;                                                             \
        U ob_ = __atomic_load_n(p_, __ATOMIC_ACQUIRE), nb_;                                   \
        for (;;) {                                                                            \
            memcpy(&o, &ob_, sizeof(T));                                                      \
            if (!(COND)) {                                                                    \
                n = o;                                                                        \
                break;                                                                        \
            }                                                                                 \
            n = (EXPR);                                                                       \
            memcpy(&nb_, &n, sizeof(T));                                                      \
            if (__atomic_compare_exchange_n(p_, &ob_, nb_, true, __ATOMIC_SEQ_CST,            \
                                            __ATOMIC_ACQUIRE))                                \
                break;                                                                        \
        }                                                                                     \
    } while (0)

#define KMPX_RMW_u8(T, COND, EXPR) KMPX_RMW_NATIVE(kmpx_u8, T, COND, EXPR)
#define KMPX_RMW_u16(T, COND, EXPR) KMPX_RMW_NATIVE(kmpx_u16, T, COND, EXPR)
#define KMPX_RMW_u32(T, COND, EXPR) KMPX_RMW_NATIVE(kmpx_u32, T, COND, EXPR)
#define KMPX_RMW_u64(T, COND, EXPR) KMPX_RMW_NATIVE(kmpx_u64, T, COND, EXPR)
#define KMPX_RMW_lk(T, COND, EXPR) KMPX_RMW_LOCKED(T, COND, EXPR)

/* Integer fetch-and-op (FN: __atomic_fetch_add ...) with operand ARG; EXPR computes n from o
 * afterwards for the capture forms. */
#define KMPX_FETCH_NATIVE(U, T, FN, ARG, EXPR)                                                \
    do {                                                                                      \
        _Static_assert(sizeof(T) == sizeof(U), "a native access covers the whole object");    \
        if (!KMPX_ALIGNED(lhs, sizeof(U))) {                                                  \
            KMPX_RMW_LOCKED(T, 1, EXPR);                                                      \
            break;                                                                            \
        }                                                                                     \
        U ob_ = FN((U *)(void *)lhs, (U)(ARG), __ATOMIC_SEQ_CST);                             \
        memcpy(&o, &ob_, sizeof(T));                                                          \
        n = (EXPR);                                                                           \
    } while (0)

#define KMPX_FETCH_u8(T, FN, ARG, EXPR) KMPX_FETCH_NATIVE(kmpx_u8, T, FN, ARG, EXPR)
#define KMPX_FETCH_u16(T, FN, ARG, EXPR) KMPX_FETCH_NATIVE(kmpx_u16, T, FN, ARG, EXPR)
#define KMPX_FETCH_u32(T, FN, ARG, EXPR) KMPX_FETCH_NATIVE(kmpx_u32, T, FN, ARG, EXPR)
#define KMPX_FETCH_u64(T, FN, ARG, EXPR) KMPX_FETCH_NATIVE(kmpx_u64, T, FN, ARG, EXPR)

/* Read: o = *lhs. */
#define KMPX_LOAD_LOCKED(T)                                                                   \
    do {                                                                                      \
        _Atomic uint32_t *l_ = stripe(lhs);                                                   \
        kmpx_lock_acquire(l_);                                                                \
        memcpy(&o, lhs, sizeof(T));                                                           \
        kmpx_lock_release(l_);                                                                \
    } while (0)
#define KMPX_LOAD_NATIVE(U, T)                                                                \
    do {                                                                                      \
        if (!KMPX_ALIGNED(lhs, sizeof(U))) {                                                  \
            KMPX_LOAD_LOCKED(T);                                                              \
            break;                                                                            \
        }                                                                                     \
        U ob_ = __atomic_load_n((U *)(void *)lhs, __ATOMIC_SEQ_CST);                          \
        memcpy(&o, &ob_, sizeof(T));                                                          \
    } while (0)
#define KMPX_LOAD_u8(T) KMPX_LOAD_NATIVE(kmpx_u8, T)
#define KMPX_LOAD_u16(T) KMPX_LOAD_NATIVE(kmpx_u16, T)
#define KMPX_LOAD_u32(T) KMPX_LOAD_NATIVE(kmpx_u32, T)
#define KMPX_LOAD_u64(T) KMPX_LOAD_NATIVE(kmpx_u64, T)
#define KMPX_LOAD_lk(T) KMPX_LOAD_LOCKED(T)

/* Write: *lhs = rhs. */
#define KMPX_STORE_LOCKED(T)                                                                  \
    do {                                                                                      \
        _Atomic uint32_t *l_ = stripe(lhs);                                                   \
        kmpx_lock_acquire(l_);                                                                \
        memcpy(lhs, &rhs, sizeof(T));                                                         \
        kmpx_lock_release(l_);                                                                \
    } while (0)
#define KMPX_STORE_NATIVE(U, T)                                                               \
    do {                                                                                      \
        if (!KMPX_ALIGNED(lhs, sizeof(U))) {                                                  \
            KMPX_STORE_LOCKED(T);                                                             \
            break;                                                                            \
        }                                                                                     \
        U nb_;                                                                                \
        memcpy(&nb_, &rhs, sizeof(T));                                                        \
        __atomic_store_n((U *)(void *)lhs, nb_, __ATOMIC_SEQ_CST);                            \
    } while (0)
#define KMPX_STORE_u8(T) KMPX_STORE_NATIVE(kmpx_u8, T)
#define KMPX_STORE_u16(T) KMPX_STORE_NATIVE(kmpx_u16, T)
#define KMPX_STORE_u32(T) KMPX_STORE_NATIVE(kmpx_u32, T)
#define KMPX_STORE_u64(T) KMPX_STORE_NATIVE(kmpx_u64, T)
#define KMPX_STORE_lk(T) KMPX_STORE_LOCKED(T)

/* Swap: o = *lhs, *lhs = rhs. */
#define KMPX_XCHG_LOCKED(T)                                                                   \
    do {                                                                                      \
        _Atomic uint32_t *l_ = stripe(lhs);                                                   \
        kmpx_lock_acquire(l_);                                                                \
        memcpy(&o, lhs, sizeof(T));                                                           \
        memcpy(lhs, &rhs, sizeof(T));                                                         \
        kmpx_lock_release(l_);                                                                \
    } while (0)
#define KMPX_XCHG_NATIVE(U, T)                                                                \
    do {                                                                                      \
        if (!KMPX_ALIGNED(lhs, sizeof(U))) {                                                  \
            KMPX_XCHG_LOCKED(T);                                                              \
            break;                                                                            \
        }                                                                                     \
        U nb_;                                                                                \
        memcpy(&nb_, &rhs, sizeof(T));                                                        \
        U ob_ = __atomic_exchange_n((U *)(void *)lhs, nb_, __ATOMIC_SEQ_CST);                 \
        memcpy(&o, &ob_, sizeof(T));                                                          \
    } while (0)
#define KMPX_XCHG_u8(T) KMPX_XCHG_NATIVE(kmpx_u8, T)
#define KMPX_XCHG_u16(T) KMPX_XCHG_NATIVE(kmpx_u16, T)
#define KMPX_XCHG_u32(T) KMPX_XCHG_NATIVE(kmpx_u32, T)
#define KMPX_XCHG_u64(T) KMPX_XCHG_NATIVE(kmpx_u64, T)
#define KMPX_XCHG_lk(T) KMPX_XCHG_LOCKED(T)

/* ---- the function generators ---- */

/* Declares (for -Wmissing-prototypes and visibility) and opens __kmpc_atomic_<NAME>. */
#define KMPX_ATOMIC_FN(RT, NAME, ...)                                                         \
    KMPX_API RT __kmpc_atomic_##NAME(__VA_ARGS__);                                            \
    RT __kmpc_atomic_##NAME(__VA_ARGS__)

/* The capture entry point of an operation: returns the value (RET) or stores it through
 * `out` (OUT: cmplx4). */
#define KMPX_CPT_RET(TY, OP, T, RT, BODY)                                                     \
    KMPX_ATOMIC_FN(T, TY##_##OP, ident_t *id_ref, int gtid, T *lhs, RT rhs, int flag)         \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o, n;                                                                               \
        BODY;                                                                                 \
        return flag ? n : o;                                                                  \
    }
#define KMPX_CPT_OUT(TY, OP, T, RT, BODY)                                                     \
    KMPX_ATOMIC_FN(void, TY##_##OP, ident_t *id_ref, int gtid, T *lhs, RT rhs, T *out,        \
                   int flag)                                                                  \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o, n;                                                                               \
        BODY;                                                                                 \
        *out = flag ? n : o;                                                                  \
    }

/* The update entry point of an operation. */
#define KMPX_UPD(TY, OP, T, RT, BODY)                                                         \
    KMPX_ATOMIC_FN(void, TY##_##OP, ident_t *id_ref, int gtid, T *lhs, RT rhs)                \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o, n;                                                                               \
        BODY;                                                                                 \
        (void)o;                                                                              \
        (void)n;                                                                              \
    }

/* An operation done by compare-and-swap (or the lock): TY_OP and TY_OP_cpt. CPT is RET or
 * OUT. */
#define KMPX_OP(TY, OP, T, S, CPT, COND, EXPR)                                                \
    KMPX_UPD(TY, OP, T, T, KMPX_RMW_##S(T, COND, EXPR))                                       \
    KMPX_CPT_##CPT(TY, OP##_cpt, T, T, KMPX_RMW_##S(T, COND, EXPR))

/* The reversed form of an operation: TY_OP_rev and TY_OP_cpt_rev. */
#define KMPX_REV(TY, OP, T, S, CPT, EXPR)                                                     \
    KMPX_UPD(TY, OP##_rev, T, T, KMPX_RMW_##S(T, 1, EXPR))                                    \
    KMPX_CPT_##CPT(TY, OP##_cpt_rev, T, T, KMPX_RMW_##S(T, 1, EXPR))

/* An integer operation the processor does as one instruction (lock xadd, lock and, ...). */
#define KMPX_FOP(TY, OP, T, S, FN, ARG, EXPR)                                                 \
    KMPX_UPD(TY, OP, T, T, KMPX_FETCH_##S(T, FN, ARG, EXPR))                                  \
    KMPX_CPT_RET(TY, OP##_cpt, T, T, KMPX_FETCH_##S(T, FN, ARG, EXPR))

/* Mixed types: the operand is wider (double, double _Complex); the operation is done in the
 * operand's type W and the result converted back to T. Update only. */
#define KMPX_MIX(TY, OP, T, S, W, SYM)                                                        \
    KMPX_UPD(TY, OP, T, W, KMPX_RMW_##S(T, 1, (T)((W)o SYM rhs)))

/* rd, wr, swp. */
#define KMPX_RD(TY, T, S)                                                                     \
    KMPX_ATOMIC_FN(T, TY##_rd, ident_t *id_ref, int gtid, T *lhs)                             \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o;                                                                                  \
        KMPX_LOAD_##S(T);                                                                     \
        return o;                                                                             \
    }
#define KMPX_WR(TY, T, S)                                                                     \
    KMPX_ATOMIC_FN(void, TY##_wr, ident_t *id_ref, int gtid, T *lhs, T rhs)                   \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        KMPX_STORE_##S(T);                                                                    \
    }
#define KMPX_SWP_RET(TY, T, S)                                                                \
    KMPX_ATOMIC_FN(T, TY##_swp, ident_t *id_ref, int gtid, T *lhs, T rhs)                     \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o;                                                                                  \
        KMPX_XCHG_##S(T);                                                                     \
        return o;                                                                             \
    }
#define KMPX_SWP_OUT(TY, T, S)                                                                \
    KMPX_ATOMIC_FN(void, TY##_swp, ident_t *id_ref, int gtid, T *lhs, T rhs, T *out)          \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o;                                                                                  \
        KMPX_XCHG_##S(T);                                                                     \
        *out = o;                                                                             \
    }
#define KMPX_RD_WR_SWP(TY, T, S, CPT) KMPX_RD(TY, T, S) KMPX_WR(TY, T, S) KMPX_SWP_##CPT(TY, T, S)

/* ---- the expressions ---- */

/* Integer arithmetic that wraps: done in the unsigned type W (uint32_t for 1, 2 and 4 bytes,
 * uint64_t for 8), which gives the bits of libomp's (int-promoted) result without signed
 * overflow. */
#define KMPX_WRAP(T, W, a, SYM, b) ((T)((W)(a)SYM(W)(b)))
/* Shifts: counts are masked to the promoted width, as the x86 shift instructions do (a count
 * beyond it is undefined in C). A left shift is done unsigned (a negative value's left shift
 * is undefined in C); a right shift of a signed type is arithmetic. */
#define KMPX_SHL(T, W, M, a, b) ((T)((W)(a) << ((b) & (M))))
#define KMPX_SHR(T, M, a, b) ((T)((a) >> ((b) & (M))))

/* ---- the integer types ---- */

/*
 * FIXED: TY (fixed1...), T (int8_t...), S (access path), W (wrap type), M (shift mask).
 * Operations (libomp's set): add sub mul div andb orb xor shl shr andl orl eqv neqv max
 * min (with _cpt), sub div shl shr reversed (_rev, _cpt_rev), rd wr swp, mul and div by a
 * double (_float8).
 */
#define KMPX_FIXED(TY, T, S, W, M)                                                            \
    KMPX_FOP(TY, add, T, S, __atomic_fetch_add, rhs, KMPX_WRAP(T, W, o, +, rhs))              \
    KMPX_FOP(TY, sub, T, S, __atomic_fetch_sub, rhs, KMPX_WRAP(T, W, o, -, rhs))              \
    KMPX_OP(TY, mul, T, S, RET, 1, KMPX_WRAP(T, W, o, *, rhs))                                \
    KMPX_OP(TY, div, T, S, RET, 1, (T)(o / rhs))                                              \
    KMPX_FOP(TY, andb, T, S, __atomic_fetch_and, rhs, (T)(o & rhs))                           \
    KMPX_FOP(TY, orb, T, S, __atomic_fetch_or, rhs, (T)(o | rhs))                             \
    KMPX_FOP(TY, xor, T, S, __atomic_fetch_xor, rhs, (T)(o ^ rhs))                            \
    KMPX_OP(TY, shl, T, S, RET, 1, KMPX_SHL(T, W, M, o, rhs))                                 \
    KMPX_OP(TY, shr, T, S, RET, 1, KMPX_SHR(T, M, o, rhs))                                    \
    KMPX_OP(TY, andl, T, S, RET, 1, (T)(o && rhs))                                            \
    KMPX_OP(TY, orl, T, S, RET, 1, (T)(o || rhs))                                             \
    KMPX_FOP(TY, eqv, T, S, __atomic_fetch_xor, ~rhs, (T)~(o ^ rhs))                          \
    KMPX_FOP(TY, neqv, T, S, __atomic_fetch_xor, rhs, (T)(o ^ rhs))                           \
    KMPX_OP(TY, max, T, S, RET, o < rhs, rhs)                                                 \
    KMPX_OP(TY, min, T, S, RET, o > rhs, rhs)                                                 \
    KMPX_REV(TY, sub, T, S, RET, KMPX_WRAP(T, W, rhs, -, o))                                  \
    KMPX_REV(TY, div, T, S, RET, (T)(rhs / o))                                                \
    KMPX_REV(TY, shl, T, S, RET, KMPX_SHL(T, W, M, rhs, o))                                   \
    KMPX_REV(TY, shr, T, S, RET, KMPX_SHR(T, M, rhs, o))                                      \
    KMPX_RD_WR_SWP(TY, T, S, RET)                                                             \
    KMPX_MIX(TY, mul_float8, T, S, double, *)                                                 \
    KMPX_MIX(TY, div_float8, T, S, double, /)

/* FIXEDU: the unsigned types, for the operations whose result depends on signedness. */
#define KMPX_FIXEDU(TY, T, S, M)                                                              \
    KMPX_OP(TY, div, T, S, RET, 1, (T)(o / rhs))                                              \
    KMPX_OP(TY, shr, T, S, RET, 1, KMPX_SHR(T, M, o, rhs))                                    \
    KMPX_REV(TY, div, T, S, RET, (T)(rhs / o))                                                \
    KMPX_REV(TY, shr, T, S, RET, KMPX_SHR(T, M, rhs, o))

KMPX_FIXED(fixed1, int8_t, u8, uint32_t, 31)
KMPX_FIXED(fixed2, int16_t, u16, uint32_t, 31)
KMPX_FIXED(fixed4, int32_t, u32, uint32_t, 31)
KMPX_FIXED(fixed8, int64_t, u64, uint64_t, 63)
KMPX_FIXEDU(fixed1u, uint8_t, u8, 31)
KMPX_FIXEDU(fixed2u, uint16_t, u16, 31)
KMPX_FIXEDU(fixed4u, uint32_t, u32, 31)
KMPX_FIXEDU(fixed8u, uint64_t, u64, 63)

/* ---- floating point ---- */

/* add sub mul div max min (with _cpt), sub div reversed, rd wr swp. */
#define KMPX_FLOAT(TY, T, S)                                                                  \
    KMPX_OP(TY, add, T, S, RET, 1, o + rhs)                                                   \
    KMPX_OP(TY, sub, T, S, RET, 1, o - rhs)                                                   \
    KMPX_OP(TY, mul, T, S, RET, 1, o * rhs)                                                   \
    KMPX_OP(TY, div, T, S, RET, 1, o / rhs)                                                   \
    KMPX_OP(TY, max, T, S, RET, o < rhs, rhs)                                                 \
    KMPX_OP(TY, min, T, S, RET, o > rhs, rhs)                                                 \
    KMPX_REV(TY, sub, T, S, RET, rhs - o)                                                     \
    KMPX_REV(TY, div, T, S, RET, rhs / o)                                                     \
    KMPX_RD_WR_SWP(TY, T, S, RET)

KMPX_FLOAT(float4, float, u32)
KMPX_FLOAT(float8, double, u64)
KMPX_FLOAT(float10, long double, lk)
KMPX_MIX(float4, add_float8, float, u32, double, +)
KMPX_MIX(float4, sub_float8, float, u32, double, -)
KMPX_MIX(float4, mul_float8, float, u32, double, *)
KMPX_MIX(float4, div_float8, float, u32, double, /)

/* ---- complex ---- */

/* add sub mul div (with _cpt), sub div reversed, rd wr swp; CPT is OUT for cmplx4. */
#define KMPX_CMPLX(TY, T, S, CPT)                                                             \
    KMPX_OP(TY, add, T, S, CPT, 1, o + rhs)                                                   \
    KMPX_OP(TY, sub, T, S, CPT, 1, o - rhs)                                                   \
    KMPX_OP(TY, mul, T, S, CPT, 1, o * rhs)                                                   \
    KMPX_OP(TY, div, T, S, CPT, 1, o / rhs)                                                   \
    KMPX_REV(TY, sub, T, S, CPT, rhs - o)                                                     \
    KMPX_REV(TY, div, T, S, CPT, rhs / o)                                                     \
    KMPX_RD_WR_SWP(TY, T, S, CPT)

KMPX_CMPLX(cmplx4, float _Complex, u64, OUT)
KMPX_CMPLX(cmplx8, double _Complex, lk, RET)
KMPX_CMPLX(cmplx10, long double _Complex, lk, RET)
KMPX_MIX(cmplx4, add_cmplx8, float _Complex, u64, double _Complex, +)
KMPX_MIX(cmplx4, sub_cmplx8, float _Complex, u64, double _Complex, -)
KMPX_MIX(cmplx4, mul_cmplx8, float _Complex, u64, double _Complex, *)
KMPX_MIX(cmplx4, div_cmplx8, float _Complex, u64, double _Complex, /)

/* ---- compare (OpenMP 5.1 `atomic compare`) ---- */

/* x == e ? x = d : nothing; o is the old x. Done by the same compare-and-swap loop (or lock)
 * as the other operations, so it is atomic with them on the same object. */
#define KMPX_CAS(N, T, S)                                                                     \
    KMPX_ATOMIC_FN(bool, bool_##N##_cas, ident_t *id_ref, int gtid, T *lhs, T e, T d)         \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o, n;                                                                               \
        KMPX_RMW_##S(T, o == e, d);                                                           \
        (void)n;                                                                              \
        return o == e;                                                                        \
    }                                                                                         \
    KMPX_ATOMIC_FN(T, val_##N##_cas, ident_t *id_ref, int gtid, T *lhs, T e, T d)             \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o, n;                                                                               \
        KMPX_RMW_##S(T, o == e, d);                                                           \
        (void)n;                                                                              \
        return o;                                                                             \
    }                                                                                         \
    KMPX_ATOMIC_FN(bool, bool_##N##_cas_cpt, ident_t *id_ref, int gtid, T *lhs, T e, T d,     \
                   T *pv)                                                                     \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o, n;                                                                               \
        KMPX_RMW_##S(T, o == e, d);                                                           \
        (void)n;                                                                              \
        if (o == e)                                                                           \
            return true;                                                                      \
        *pv = o;                                                                              \
        return false;                                                                         \
    }                                                                                         \
    KMPX_ATOMIC_FN(T, val_##N##_cas_cpt, ident_t *id_ref, int gtid, T *lhs, T e, T d, T *pv)  \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        T o, n;                                                                               \
        KMPX_RMW_##S(T, o == e, d);                                                           \
        *pv = n;                                                                              \
        return o;                                                                             \
    }

KMPX_CAS(1, int8_t, u8)
KMPX_CAS(2, int16_t, u16)
KMPX_CAS(4, int32_t, u32)
KMPX_CAS(8, int64_t, u64)

/* ---- generic: the compiler passes the operation as f(out, a, b) ---- */

typedef void (*kmpx_atomic_fn)(void *, void *, void *);

static void generic_locked(void *lhs, void *rhs, kmpx_atomic_fn f)
{
    _Atomic uint32_t *l = stripe(lhs);
    kmpx_lock_acquire(l);
    f(lhs, lhs, rhs);
    kmpx_lock_release(l);
}

/* Sizes with native atomics: f computes the new bits from a private copy of the old ones,
 * and a compare-and-swap installs them; misaligned objects take the lock. */
#define KMPX_GENERIC_NATIVE(N, U)                                                             \
    KMPX_ATOMIC_FN(void, N, ident_t *id_ref, int gtid, void *lhs, void *rhs, kmpx_atomic_fn f) \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        if (!KMPX_ALIGNED(lhs, sizeof(U))) {                                                  \
            generic_locked(lhs, rhs, f);                                                      \
            return;                                                                           \
        }                                                                                     \
        U *p = lhs;                                                                           \
        U o = __atomic_load_n(p, __ATOMIC_ACQUIRE), n;                                        \
        do                                                                                    \
            f(&n, &o, rhs);                                                                   \
        while (!__atomic_compare_exchange_n(p, &o, n, true, __ATOMIC_SEQ_CST,                 \
                                            __ATOMIC_ACQUIRE));                               \
    }
/* Larger sizes: under the object's lock, shared with the typed entry points of that size. */
#define KMPX_GENERIC_LOCKED(N)                                                                \
    KMPX_ATOMIC_FN(void, N, ident_t *id_ref, int gtid, void *lhs, void *rhs, kmpx_atomic_fn f) \
    {                                                                                         \
        (void)id_ref;                                                                         \
        (void)gtid;                                                                           \
        generic_locked(lhs, rhs, f);                                                          \
    }

KMPX_GENERIC_NATIVE(1, kmpx_u8)
KMPX_GENERIC_NATIVE(2, kmpx_u16)
KMPX_GENERIC_NATIVE(4, kmpx_u32)
KMPX_GENERIC_NATIVE(8, kmpx_u64)
KMPX_GENERIC_LOCKED(10)
KMPX_GENERIC_LOCKED(16)
KMPX_GENERIC_LOCKED(20)
KMPX_GENERIC_LOCKED(32)

/* ---- start/end: a compiler's own atomic sequence under one global lock ---- */

KMPX_API void __kmpc_atomic_start(void);
void __kmpc_atomic_start(void) { kmpx_lock_acquire(&global_lock); }

KMPX_API void __kmpc_atomic_end(void);
void __kmpc_atomic_end(void) { kmpx_lock_release(&global_lock); }
