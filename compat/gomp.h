/*
 * gomp.h - the gcc ABI (GOMP_*) of the OpenMP layer: translations onto the same teams,
 * loops and tasks that serve clang's __kmpc_* entry points (kmp.h). Nothing here holds state
 * of its own except what gcc's calling convention needs (the gcc task trampoline, the
 * descriptors of gcc's task reductions).
 *
 * Files: gomp_parallel.c (regions, barriers, single, critical, atomic, cancellation, teams),
 * gomp_loop.c (loops, ordered, sections, doacross), gomp_task.c (tasks, dependences,
 * taskloop, task reductions). Symbol versions: exports.map (GOMP_* nodes) and
 * gomp_symver.h (the omp_* names gcc binaries ask for under OMP_* versions).
 */
#ifndef KMPX_GOMP_H
#define KMPX_GOMP_H

#include "kmp.h"

#include <stdbool.h>
#include <stdint.h>

/* gcc's flag bits (GOMP_task, GOMP_taskloop) */
enum {
    GOMPX_TASK_UNTIED = 1u << 0,
    GOMPX_TASK_FINAL = 1u << 1,
    GOMPX_TASK_MERGEABLE = 1u << 2,
    GOMPX_TASK_DEPEND = 1u << 3,
    GOMPX_TASK_PRIORITY = 1u << 4,
    GOMPX_TASK_UP = 1u << 8,
    GOMPX_TASK_GRAINSIZE = 1u << 9,
    GOMPX_TASK_IF = 1u << 10,
    GOMPX_TASK_NOGROUP = 1u << 11,
    GOMPX_TASK_REDUCTION = 1u << 12,
    GOMPX_TASK_DETACH = 1u << 13,
    GOMPX_TASK_STRICT = 1u << 14,
};

/* gcc's cancel `which` bits */
enum { GOMPX_CANCEL_PARALLEL = 1, GOMPX_CANCEL_LOOP = 2, GOMPX_CANCEL_FOR = 2,
       GOMPX_CANCEL_SECTIONS = 4, GOMPX_CANCEL_TASKGROUP = 8 };

/* Both ABIs' entry points that the gcc side calls directly. */
KMPX_API kmp_int32 __kmpc_cancel(ident_t *loc, kmp_int32 gtid, kmp_int32 kind);
KMPX_API kmp_int32 __kmpc_cancellationpoint(ident_t *loc, kmp_int32 gtid, kmp_int32 kind);
KMPX_API kmp_int32 __kmpc_cancel_barrier(ident_t *loc, kmp_int32 gtid);
KMPX_API kmp_int32 __kmpc_single(ident_t *loc, kmp_int32 gtid);

/* The task-reduction descriptors registered on th's current task's group (gomp_task.c). */
KMPX_HIDDEN uintptr_t *gompx_reductions(kmpx_thread *th);
/* A worksharing construct with task reductions and/or a team-shared buffer (*mem: its size
 * in, the buffer out): set up at its start by every member, released at its end
 * (gomp_task.c). Both do nothing for a construct with neither. */
KMPX_HIDDEN void gompx_ws_begin(kmpx_thread *th, uintptr_t *reductions, void **mem);
KMPX_HIDDEN void gompx_ws_release(kmpx_thread *th);

#endif
