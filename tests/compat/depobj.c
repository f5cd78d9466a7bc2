/*
 * depobj.c - dependence objects (OpenMP 5.0): `depobj(o) depend(...)` initializes one,
 * `depend(depobj: o)` uses it on a task, `depobj(o) update(kind)` changes its kind,
 * `depobj(o) destroy` ends it (clang allocates the object's dependence record with
 * __kmpc_alloc and frees it with __kmpc_free; gcc keeps it inline).
 *
 * Checks, with the orderings the dependence kinds imply (a task that must wait sleeps
 * first, so a missing edge shows as a wrong value):
 *   - out then in through depobjs: the reader sees the writer's value;
 *   - update(in) turns a writer object into a reader: two readers run concurrently
 *     (both may run at once: checked only as "both ran, after the writer");
 *   - update(inout) back, then a chain of inout tasks through one object is serialized;
 *   - destroy, then init again on the same object with another variable;
 *   - depobj objects in an array, used by many tasks (a 2-D wavefront).
 */
#define _DEFAULT_SOURCE /* usleep */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "depobj: FAILED %s (line %d): ", #cond, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

#define W 6

int main(void)
{
    int x = 0, y = 0, r1 = -1, r2 = -1, chain = 0;
    omp_depend_t ox, oy;
#pragma omp depobj(ox) depend(out: x)
#pragma omp depobj(oy) depend(in: x)

#pragma omp parallel num_threads(4)
#pragma omp single
    {
#pragma omp task depend(depobj: ox)
        {
            usleep(20000);
            x = 42;
        }
#pragma omp task depend(depobj: oy)
        r1 = x;
#pragma omp taskwait
        CHECK(r1 == 42, "the reader ran before the writer: read %d", r1);

        /* ox becomes a reader: two readers after a writer */
#pragma omp depobj(ox) update(in)
#pragma omp task depend(out: x)
        {
            usleep(20000);
            x = 7;
        }
#pragma omp task depend(depobj: ox)
        r1 = x;
#pragma omp task depend(depobj: oy)
        r2 = x;
#pragma omp taskwait
        CHECK(r1 == 7 && r2 == 7, "readers after update(in) read %d and %d", r1, r2);

        /* back to inout: a serialized chain */
#pragma omp depobj(ox) update(inout)
        for (int i = 0; i < 20; i++) {
#pragma omp task depend(depobj: ox) firstprivate(i)
            {
                if (i % 5 == 0)
                    usleep(2000);
                CHECK(chain == i, "inout chain: task %d saw %d", i, chain);
                chain = i + 1;
            }
        }
#pragma omp taskwait
        CHECK(chain == 20, "inout chain ended at %d", chain);
    }
#pragma omp depobj(ox) destroy
#pragma omp depobj(oy) destroy

    /* the same object, initialized again on another variable */
#pragma omp depobj(ox) depend(inout: y)
#pragma omp parallel num_threads(2)
#pragma omp single
    {
        for (int i = 0; i < 10; i++) {
#pragma omp task depend(depobj: ox)
            {
                int v = y;
                usleep(500);
                y = v + 1;
            }
        }
    }
    CHECK(y == 10, "inout on a re-initialized object: %d", y);
#pragma omp depobj(ox) destroy

    /* a wavefront: cell (i, j) after (i-1, j) and (i, j-1), through an array of objects */
    int grid[W][W] = {{0}};
    omp_depend_t cell_out[W][W], cell_in[W][W];
    for (int i = 0; i < W; i++)
        for (int j = 0; j < W; j++) {
#pragma omp depobj(cell_out[i][j]) depend(out: grid[i][j])
#pragma omp depobj(cell_in[i][j]) depend(in: grid[i][j])
        }
#pragma omp parallel num_threads(4)
#pragma omp single
    for (int i = 0; i < W; i++)
        for (int j = 0; j < W; j++) {
            omp_depend_t me = cell_out[i][j]; /* copies of the handles */
            omp_depend_t up = cell_in[i > 0 ? i - 1 : i][j];
            omp_depend_t left = cell_in[i][j > 0 ? j - 1 : j];
            (void)me, (void)up, (void)left; /* (gcc 12 does not see their use in the clause) */
            if (i > 0 && j > 0) {
#pragma omp task depend(depobj: me, up, left) firstprivate(i, j)
                grid[i][j] = (grid[i - 1][j] > grid[i][j - 1] ? grid[i - 1][j] : grid[i][j - 1]) + 1;
            } else if (i > 0) {
#pragma omp task depend(depobj: me, up) firstprivate(i, j)
                grid[i][j] = grid[i - 1][j] + 1;
            } else if (j > 0) {
#pragma omp task depend(depobj: me, left) firstprivate(i, j)
                grid[i][j] = grid[i][j - 1] + 1;
            } else {
#pragma omp task depend(depobj: me)
                grid[0][0] = 1;
            }
        }
    for (int i = 0; i < W; i++)
        for (int j = 0; j < W; j++)
            CHECK(grid[i][j] == i + j + 1, "wavefront cell (%d, %d) = %d", i, j, grid[i][j]);
    for (int i = 0; i < W; i++)
        for (int j = 0; j < W; j++) {
#pragma omp depobj(cell_out[i][j]) destroy
#pragma omp depobj(cell_in[i][j]) destroy
        }

    if (failures) {
        fprintf(stderr, "depobj: %d check(s) failed\n", failures);
        return 1;
    }
    printf("depobj: OK\n");
    return 0;
}
