/* mixed_abi.h: what the two halves of mixed_abi (mixed_abi.c, built by clang -fopenmp, and
 * mixed_abi_gcc.c, built by gcc -fopenmp) call in each other. Only plain C types cross: the
 * locks are 16-byte, 8-aligned buffers that each side casts to its own omp_lock_t /
 * omp_nest_lock_t (gcc's are 4 and 16 bytes, clang's 8 and 8), so both compilers' views fit. */
#ifndef MIXED_ABI_H
#define MIXED_ABI_H

typedef struct {
  _Alignas(8) unsigned char bytes[16];
} mixed_lock;

/* clang side (mixed_abi.c) */
void mixed_fail(int line, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define MIXED_CHECK(cond, ...) ((cond) ? (void)0 : mixed_fail(__LINE__, __FILE__, __VA_ARGS__))
/* orphaned constructs compiled by clang, called from inside a gcc parallel region */
long clang_orphan_for(int n);                  /* for schedule(dynamic) reduction(+), returns sum */
void clang_tasks(long *cells, int n);           /* tasks filling cells[0..n), no wait */
long clang_single_broadcast(long v);            /* single copyprivate: every thread gets v */
void clang_locked_add(mixed_lock *lk, long *c, long v); /* omp_set_lock ... */
void clang_nest_locked_add(mixed_lock *nlk, long *c, long v); /* re-enters the nest lock */
void clang_critical_add(long *c, long v);       /* critical(mixed_clang) */

/* gcc side (mixed_abi_gcc.c) */
long gcc_orphan_for(int n);                    /* for schedule(guided) reduction(+), returns sum */
void gcc_tasks(long *cells, int n);             /* tasks filling cells[0..n), no wait */
void gcc_tasks_taskwait(long *cells, int n);    /* the same, then taskwait (nested tasks too) */
long gcc_single_broadcast(long v);              /* single copyprivate */
void gcc_locked_add(mixed_lock *lk, long *c, long v);
void gcc_nest_locked_add(mixed_lock *nlk, long *c, long v); /* re-enters the nest lock */
void gcc_critical_add(long *c, long v);         /* critical (unnamed, GOMP_critical_start) */
void gcc_barrier(void);
int gcc_sections(int *ran);                     /* 4 sections, nowait; returns the count this
                                                   thread ran */
/* a gcc parallel region whose threads each call body(arg) */
void gcc_parallel(void (*body)(void *), void *arg);
/* a gcc taskgroup around body(arg) */
void gcc_taskgroup(void (*body)(void *), void *arg);
void gcc_init_locks(mixed_lock *lk, mixed_lock *nlk);
void gcc_destroy_locks(mixed_lock *lk, mixed_lock *nlk);

#endif
