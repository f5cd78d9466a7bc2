/*
 * kmp_task.h - OpenMP tasks on arayon tasks (compat/kmp_task.c).
 *
 * Every kmp_task_t the compiler sees sits inside a block that starts with a kmpx_task:
 *   [kmpx_task][kmp_task_t + the compiler's privates][shareds]
 * A submitted task is one arayon task (fn = the layer's trampoline, arg = the kmpx_task),
 * spawned detached: the layer keeps its own counts, because OpenMP waits differ from a
 * scope's (taskwait waits for children only, a taskgroup for all descendants, a barrier
 * for every task of the team):
 *   - the parent's `children` latch   (taskwait),
 *   - the taskgroup's latch            (end of taskgroup),
 *   - the team's `tasks` latch         (barriers).
 * Completion releases them in that order; the team latch is the last access, because the
 * barrier it ends may free the team and the implicit tasks on the members' stacks.
 *
 * A descriptor lives until its execution is over and every child has completed: the
 * children latch's owner-done protocol decides who drops the last reference (`refs` also
 * counts references held by a parent's dependence table).
 *
 * The parent adds to its children latch KMPX_CHILD_BATCH at a time (child_reserve holds the
 * part not used yet), so a producer of many children touches the count its children's
 * completions decrement once per batch; the reserve is given back before the parent waits
 * on the latch or finishes, so the count is exact whenever anyone looks at zero.
 */
#define KMPX_CHILD_BATCH 32
#ifndef KMPX_KMP_TASK_H
#define KMPX_KMP_TASK_H

#include "kmp.h"

#include <stddef.h>

typedef struct kmp_task {
    void *shareds;
    kmp_int32 (*routine)(kmp_int32 gtid, struct kmp_task *task);
    kmp_int32 part_id;
    union {
        kmp_int32 (*destructors)(kmp_int32, struct kmp_task *);
        void *p;
    } data1;
    union {
        kmp_int32 priority;
        void *p;
    } data2;
} kmp_task_t;

/* clang's dependence record (an array of them per task). */
typedef struct kmp_depend_info {
    intptr_t base_addr;
    size_t len;
    uint8_t flags; /* KMPX_DEP_* */
} kmp_depend_info;
enum { KMPX_DEP_IN = 1, KMPX_DEP_OUT = 2, KMPX_DEP_MTX = 4 };

KMPX_API kmp_int32 __kmpc_omp_task_with_deps(ident_t *loc, kmp_int32 gtid, void *new_task,
                                             kmp_int32 ndeps, kmp_depend_info *dep_list,
                                             kmp_int32 ndeps_noalias,
                                             kmp_depend_info *noalias_dep_list);
KMPX_API void __kmpc_omp_wait_deps(ident_t *loc, kmp_int32 gtid, kmp_int32 ndeps,
                                   kmp_depend_info *dep_list, kmp_int32 ndeps_noalias,
                                   kmp_depend_info *noalias_dep_list);

typedef struct kmpx_taskgroup {
    ary_latch *count;              /* tasks of the group (and their descendants) not complete */
    struct kmpx_taskgroup *outer;  /* the group this one's task had open before */
    struct kmpx_taskgroup *enclosing; /* the group the opening task belongs to (cancellation) */
    _Atomic uint32_t cancelled;
    struct kmpx_taskred *red;      /* task reductions registered on the group (kmp_taskred.c) */
    uintptr_t *gred;               /* gcc's reduction descriptors visible in the group
                                      (gomp_task.c): its own, then the enclosing groups' */
} kmpx_taskgroup;

enum {
    KMPX_TF_FINAL = 1u << 0,       /* final: the tasks it creates are included */
    KMPX_TF_IMPLICIT = 1u << 1,    /* an implicit task (on a stack, never freed) */
    KMPX_TF_SUBMITTED = 1u << 2,   /* counted in its parent, group and team */
    KMPX_TF_DESTRUCT = 1u << 3,    /* call data1.destructors at completion */
    KMPX_TF_DETACH = 1u << 4,      /* completes when its event is also fulfilled */
};

struct kmpx_task {
    ary_job job;                   /* first: queued on a deque as itself (runtime/team.h) */
    kmpx_task *parent;
    kmpx_team *team;
    kmpx_taskgroup *tg;            /* the group this task is counted in, or NULL */
    kmpx_taskgroup *cur_tg;        /* innermost group this task opened (its new children join) */
    ary_latch *children;           /* made at the first child */
    _Atomic uint32_t refs;
    _Atomic int32_t runs;          /* executions queued or running (untied tasks re-queue) */
    _Atomic uint32_t event;        /* detach: 1 while the completion event is not fulfilled */
    uint32_t flags;
    uint32_t block_size;           /* 0: not from the thread caches */
    kmpx_thread *owner;            /* cached blocks: the thread whose cache they return to */
    uint32_t size;                 /* bytes of the whole block (taskloop copies it) */
    struct kmpx_dnode *dnode;      /* dependences: this task's node (kmp_depend.c) */
    struct kmpx_dtable *dtable;    /* dependences of this task's children, by address */
    /* Written by the task's own thread at each child: kept off the cache line of `children`,
     * which the children's completions read on other threads (checked below). */
    uint32_t child_reserve;        /* counts added to `children` ahead of children */
};
_Static_assert(offsetof(struct kmpx_task, child_reserve) / 64 !=
                   offsetof(struct kmpx_task, children) / 64,
               "child_reserve shares a cache line with children");

#define KMPX_TASK_HDR ((sizeof(kmpx_task) + 15u) & ~(size_t)15u)
static inline kmp_task_t *kmpx_kt(kmpx_task *t) { return (kmp_task_t *)((char *)t + KMPX_TASK_HDR); }
static inline kmpx_task *kmpx_td(kmp_task_t *kt) { return (kmpx_task *)((char *)kt - KMPX_TASK_HDR); }

KMPX_API kmp_int32 __kmpc_omp_task(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt);
KMPX_API void __kmpc_taskgroup(ident_t *loc, kmp_int32 gtid);
KMPX_API void __kmpc_end_taskgroup(ident_t *loc, kmp_int32 gtid);
KMPX_API kmp_task_t *__kmpc_omp_task_alloc(ident_t *loc, kmp_int32 gtid, kmp_int32 flags,
                                           size_t sizeof_kmp_task_t, size_t sizeof_shareds,
                                           kmp_int32 (*routine)(kmp_int32, kmp_task_t *));
KMPX_API void *__kmpc_task_allow_completion_event(ident_t *loc, kmp_int32 gtid, kmp_task_t *kt);
KMPX_API kmp_int32 __kmpc_omp_taskwait(ident_t *loc, kmp_int32 gtid);
KMPX_API kmp_int32 __kmpc_omp_taskyield(ident_t *loc, kmp_int32 gtid, int end_part);

/* kmp_task.c, for kmp_depend.c and kmp_taskloop.c */
/* A copy of the pattern as a new task, NULL when no memory for it. */
KMPX_HIDDEN kmpx_task *kmpx_task_try_clone(kmpx_thread *th, kmpx_task *pattern);
/* __kmpc_omp_task_alloc without shareds that returns NULL when no memory (gomp_task.c). */
KMPX_HIDDEN kmp_task_t *kmpx_task_try_alloc(kmp_int32 flags, size_t sizeof_kmp_task_t,
                                            kmp_int32 (*routine)(kmp_int32, kmp_task_t *));
/* Makes parent's children counter if needed; false when there is no memory for it (the
 * child must then run at once, undeferred; a detached one cannot: kmpx_task_oom). */
KMPX_HIDDEN bool kmpx_task_countable_slow(kmpx_task *parent);
/* kmp_runtime.c: "arayon: out of memory creating an OpenMP team", then abort() (kmpx_team_new
 * returns NULL when out of memory; kmp.h is shared, so this lives here). */
KMPX_HIDDEN _Noreturn void kmpx_team_oom(void);
/* "arayon: out of memory allocating <what> for an OpenMP task", then abort(). */
KMPX_HIDDEN _Noreturn void kmpx_task_oom(const char *what);
/* Runs t, whose execution is counted in runs, here and now. */
KMPX_HIDDEN void kmpx_task_run_here(kmpx_thread *th, kmpx_task *t);
KMPX_HIDDEN void kmpx_task_run_undeferred(kmpx_thread *th, kmpx_task *t);
KMPX_HIDDEN void kmpx_task_register(kmpx_task *t);
KMPX_HIDDEN bool kmpx_task_included(kmpx_thread *th, kmpx_task *t);
/* Is th running a task of a team it is not in (a waiting member of nested active teams)? */
static inline bool kmpx_task_foreign(const kmpx_thread *th) { return th->task->team != th->team; }
KMPX_HIDDEN void kmpx_task_submit(kmpx_thread *th, kmpx_task *t);
/* A task whose admission credit th took and whose run is counted (runs): registered and
 * queued on th's deque. */
KMPX_HIDDEN void kmpx_task_push(kmpx_thread *th, kmpx_task *t);
KMPX_HIDDEN void kmpx_task_end_included(kmpx_task *t);
KMPX_HIDDEN void kmpx_task_unref(kmpx_task *t);
static inline bool kmpx_task_countable(kmpx_task *parent)
{
    return ARY_LIKELY(parent->children != NULL) || kmpx_task_countable_slow(parent);
}
static inline void kmpx_task_ref(kmpx_task *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}
/* kmp_depend.c */
KMPX_HIDDEN void kmpx_deps_release(kmpx_task *t);   /* t completed: ready its successors */
KMPX_HIDDEN void kmpx_deps_free_table(kmpx_task *t);/* t's children are all created */
KMPX_HIDDEN void kmpx_deps_free_node(kmpx_task *t);
/* kmp_cancel.c: is this task's group (or an enclosing one) or its team cancelled? */
KMPX_HIDDEN bool kmpx_task_cancelled(kmpx_task *t);
/* kmp_taskred.c: combines and frees the group's task reductions at its end */
KMPX_HIDDEN void kmpx_taskred_finish(kmpx_taskgroup *g);

KMPX_HIDDEN void kmpx_task_init_implicit(kmpx_task *t, kmpx_task *parent, kmpx_team *team);
KMPX_HIDDEN void kmpx_task_fini_implicit(kmpx_task *t);
KMPX_HIDDEN void kmpx_task_release_cache(kmpx_thread *th);
KMPX_HIDDEN int kmpx_task_in_final(kmpx_thread *th);

#endif
