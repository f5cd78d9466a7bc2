/* mixed_sync: a "real program" that mixes every kind of synchronization in one parallel
 * region over 100,000 ints, each result compared with a serial computation:
 *   1. single copyprivate: one thread picks the parameters (seed, bins), all get them;
 *   2. a worksharing loop generates the data;
 *   3. a histogram three ways: per-thread counts merged in a critical section, atomic
 *      increments in a dynamic loop, and one omp_lock_t per bin in a guided loop;
 *   4. an exclusive prefix sum of the data: per-thread block sums, a barrier, a single that
 *      scans the block sums, a barrier, then each thread finishes its block;
 *   5. a bucket sort: bucket offsets from the histogram, elements scattered to their bucket
 *      with atomic capture cursors, each bucket sorted by a task (taskgroup in a single);
 *   6. a task-based mergesort of the data in 8 chunks: a dynamic loop whose iterations each
 *      open a taskgroup around a recursive mergesort (tasks + taskwait), then a single
 *      merges the chunks with tasks;
 *   7. the two sorted arrays must equal qsort's; reductions (+, max, min) over the sorted
 *      data and a critical "top 10" must match.
 * Explicit barriers separate the phases. */
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    fprintf(stderr, "mixed_sync.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

#define N 100000
#define RANGE (1 << 20)
#define MAXBINS 256
#define NCHUNK 8
#define CUTOFF 2048
#define MAXT 64

static int data[N], sorted_ms[N], tmp_ms[N], sorted_bk[N], expect_sorted[N];
static long prefix[N];
static long hist_crit[MAXBINS], hist_atomic[MAXBINS], hist_lock[MAXBINS];
static omp_lock_t bin_lock[MAXBINS];
static long block_sum[MAXT + 1], block_off[MAXT + 1];
static long bucket_start[MAXBINS + 1], cursor[MAXBINS];
static int top[10], ntop;

static unsigned hash(unsigned seed, unsigned i)
{
  unsigned x = seed ^ (i * 0x9E3779B1u);
  x ^= x >> 16;
  x *= 0x85EBCA6Bu;
  x ^= x >> 13;
  x *= 0xC2B2AE35u;
  x ^= x >> 16;
  return x;
}

static int cmp_int(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void merge(const int *a, int na, const int *b, int nb, int *out)
{
  int i = 0, j = 0, k = 0;
  while (i < na && j < nb)
    out[k++] = a[i] <= b[j] ? a[i++] : b[j++];
  while (i < na)
    out[k++] = a[i++];
  while (j < nb)
    out[k++] = b[j++];
}

/* Sorts a[0..n) using tmp[0..n); recursion as tasks above the cutoff. */
static void mergesort_tasks(int *a, int *tmp, int n)
{
  if (n <= CUTOFF) {
    qsort(a, (size_t)n, sizeof *a, cmp_int);
    return;
  }
  int h = n / 2;
#pragma omp task firstprivate(a, tmp, h)
  mergesort_tasks(a, tmp, h);
#pragma omp task firstprivate(a, tmp, h, n)
  mergesort_tasks(a + h, tmp + h, n - h);
#pragma omp taskwait
  merge(a, h, a + h, n - h, tmp);
  memcpy(a, tmp, (size_t)n * sizeof *a);
}

static void top_insert(int v)
{
  /* keeps the 10 largest, descending */
  if (ntop == 10 && v <= top[9])
    return;
  int k = ntop < 10 ? ntop++ : 9;
  while (k > 0 && top[k - 1] < v) {
    top[k] = top[k - 1];
    k--;
  }
  top[k] = v;
}

int main(void)
{
  for (int b = 0; b < MAXBINS; b++)
    omp_init_lock(&bin_lock[b]);

  unsigned seed = 0;
  int nbins = 0, team = 0;
  long sum = 0;
  int maxv = -1, minv = RANGE;
  static int chunk_lo[NCHUNK + 1];

#pragma omp parallel shared(team, sum, maxv, minv)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    unsigned my_seed;
    int my_bins;

    /* 1. parameters */
#pragma omp single copyprivate(my_seed, my_bins)
    {
      team = nt;
      my_seed = 0xC0FFEEu;
      my_bins = MAXBINS;
    }
    CHECK(my_seed == 0xC0FFEEu && my_bins == MAXBINS, "thread %d got seed %#x, %d bins by "
          "copyprivate", t, my_seed, my_bins);
#pragma omp master
    {
      seed = my_seed;
      nbins = my_bins;
    }

    /* 2. data */
#pragma omp for schedule(static)
    for (int i = 0; i < N; i++)
      data[i] = (int)(hash(my_seed, (unsigned)i) % RANGE);

    /* 3. histograms (the bin of v is v / (RANGE / bins)) */
    long local[MAXBINS] = {0};
    int shift = 20 - 8; /* RANGE / MAXBINS = 4096 */
#pragma omp for schedule(static) nowait
    for (int i = 0; i < N; i++)
      local[data[i] >> shift]++;
#pragma omp critical(hist)
    for (int b = 0; b < my_bins; b++)
      hist_crit[b] += local[b];
#pragma omp for schedule(dynamic, 997) nowait
    for (int i = 0; i < N; i++) {
#pragma omp atomic
      hist_atomic[data[i] >> shift]++;
    }
#pragma omp for schedule(guided, 64)
    for (int i = 0; i < N; i++) {
      int b = data[i] >> shift;
      omp_set_lock(&bin_lock[b]);
      hist_lock[b]++;
      omp_unset_lock(&bin_lock[b]);
    }
    /* (the loop's barrier: all three are complete) */

    /* 4. exclusive prefix sum: blocks by thread number */
    if (nt <= MAXT) {
      long lo = (long)N * t / nt, hi = (long)N * (t + 1) / nt;
      long s = 0;
      for (long i = lo; i < hi; i++)
        s += data[i];
      block_sum[t] = s;
#pragma omp barrier
#pragma omp single
      {
        long acc = 0;
        for (int u = 0; u < nt; u++) {
          block_off[u] = acc;
          acc += block_sum[u];
        }
        block_off[nt] = acc;
      }
      long acc = block_off[t];
      for (long i = lo; i < hi; i++) {
        prefix[i] = acc;
        acc += data[i];
      }
    }

    /* 5. bucket sort */
#pragma omp single
    {
      long acc = 0;
      for (int b = 0; b < my_bins; b++) {
        bucket_start[b] = acc;
        cursor[b] = acc;
        acc += hist_lock[b];
      }
      bucket_start[my_bins] = acc;
    }
#pragma omp for schedule(dynamic, 1024)
    for (int i = 0; i < N; i++) {
      int b = data[i] >> shift;
      long pos;
#pragma omp atomic capture
      pos = cursor[b]++;
      sorted_bk[pos] = data[i];
    }
#pragma omp single
#pragma omp taskgroup
    for (int b = 0; b < my_bins; b++) {
#pragma omp task firstprivate(b)
      qsort(sorted_bk + bucket_start[b], (size_t)(bucket_start[b + 1] - bucket_start[b]),
            sizeof(int), cmp_int);
    }
    /* (the single's barrier: the buckets are sorted) */

    /* 6. mergesort: chunks under taskgroups inside a dynamic loop, then a merge */
#pragma omp single
    for (int c = 0; c <= NCHUNK; c++)
      chunk_lo[c] = (int)((long)N * c / NCHUNK);
#pragma omp for schedule(dynamic, 1)
    for (int c = 0; c < NCHUNK; c++) {
      int lo = chunk_lo[c], n = chunk_lo[c + 1] - lo;
      memcpy(sorted_ms + lo, data + lo, (size_t)n * sizeof(int));
#pragma omp taskgroup
      {
#pragma omp task firstprivate(lo, n)
        mergesort_tasks(sorted_ms + lo, tmp_ms + lo, n);
      }
      CHECK(n == 0 || sorted_ms[lo] <= sorted_ms[lo + n - 1], "chunk %d not sorted after its "
            "taskgroup", c);
    }
#pragma omp single
    {
      /* merge pairs of runs, with tasks, until one run is left */
      for (int width = 1; width < NCHUNK; width *= 2) {
#pragma omp taskgroup
        for (int c = 0; c + width < NCHUNK; c += 2 * width) {
          int lo = chunk_lo[c], mid = chunk_lo[c + width];
          int hi = chunk_lo[c + 2 * width < NCHUNK ? c + 2 * width : NCHUNK];
#pragma omp task firstprivate(lo, mid, hi)
          {
            merge(sorted_ms + lo, mid - lo, sorted_ms + mid, hi - mid, tmp_ms + lo);
            memcpy(sorted_ms + lo, tmp_ms + lo, (size_t)(hi - lo) * sizeof(int));
          }
        }
      }
    }

    /* 7. reductions and a critical top 10 over the sorted data */
#pragma omp for reduction(+: sum) reduction(max: maxv) reduction(min: minv)
    for (int i = 0; i < N; i++) {
      sum += sorted_ms[i];
      if (sorted_ms[i] > maxv)
        maxv = sorted_ms[i];
      if (sorted_ms[i] < minv)
        minv = sorted_ms[i];
    }
    int mytop[10], nmy = 0;
#pragma omp for schedule(static) nowait
    for (int i = 0; i < N; i++) {
      int v = data[i];
      if (nmy < 10 || v > mytop[nmy - 1]) { /* local top 10, descending */
        int k = nmy < 10 ? nmy++ : 9;
        while (k > 0 && mytop[k - 1] < v) {
          mytop[k] = mytop[k - 1];
          k--;
        }
        mytop[k] = v;
      }
    }
#pragma omp critical(top)
    for (int k = 0; k < nmy; k++)
      top_insert(mytop[k]);
  }

  /* serial reference */
  CHECK(seed == 0xC0FFEEu && nbins == MAXBINS, "master saw seed %#x, %d bins", seed, nbins);
  long ehist[MAXBINS] = {0};
  long esum = 0;
  for (int i = 0; i < N; i++) {
    CHECK(data[i] == (int)(hash(0xC0FFEEu, (unsigned)i) % RANGE), "data[%d] = %d", i, data[i]);
    ehist[data[i] >> 12]++;
    CHECK(prefix[i] == esum, "prefix[%d] = %ld, expected %ld", i, prefix[i], esum);
    esum += data[i];
  }
  for (int b = 0; b < MAXBINS; b++) {
    CHECK(hist_crit[b] == ehist[b], "critical histogram bin %d: %ld, expected %ld", b,
          hist_crit[b], ehist[b]);
    CHECK(hist_atomic[b] == ehist[b], "atomic histogram bin %d: %ld, expected %ld", b,
          hist_atomic[b], ehist[b]);
    CHECK(hist_lock[b] == ehist[b], "locked histogram bin %d: %ld, expected %ld", b, hist_lock[b],
          ehist[b]);
    CHECK(cursor[b] == bucket_start[b + 1], "bucket %d filled to %ld, ends at %ld", b, cursor[b],
          bucket_start[b + 1]);
  }
  memcpy(expect_sorted, data, sizeof data);
  qsort(expect_sorted, N, sizeof(int), cmp_int);
  int bad_ms = 0, bad_bk = 0;
  for (int i = 0; i < N; i++) {
    bad_ms += sorted_ms[i] != expect_sorted[i];
    bad_bk += sorted_bk[i] != expect_sorted[i];
  }
  CHECK(bad_ms == 0, "mergesort: %d of %d elements differ from qsort's", bad_ms, N);
  CHECK(bad_bk == 0, "bucket sort: %d of %d elements differ from qsort's", bad_bk, N);
  CHECK(sum == esum, "sum reduction %ld, expected %ld", sum, esum);
  CHECK(maxv == expect_sorted[N - 1] && minv == expect_sorted[0], "max/min reduction %d/%d, "
        "expected %d/%d", maxv, minv, expect_sorted[N - 1], expect_sorted[0]);
  CHECK(ntop == 10, "top list has %d entries", ntop);
  for (int k = 0; k < ntop; k++)
    CHECK(top[k] == expect_sorted[N - 1 - k], "top[%d] = %d, expected %d", k, top[k],
          expect_sorted[N - 1 - k]);

  for (int b = 0; b < MAXBINS; b++)
    omp_destroy_lock(&bin_lock[b]);
  if (failures) {
    fprintf(stderr, "mixed_sync: %d check(s) failed\n", failures);
    return 1;
  }
  printf("mixed_sync: %d ints: histograms (critical, atomic, locks), prefix sum, bucket sort, "
         "mergesort, reductions, top 10; team of %d: ok\n", N, team);
  return 0;
}
