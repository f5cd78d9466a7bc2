/* which_runtime: reports which OpenMP runtime this process really uses. With no argument it
 * succeeds only when the arayon layer is in charge: arayon_omp_runtime_name() exists and returns
 * "arayon", and the compiler's fork entry (__kmpc_fork_call built by clang, GOMP_parallel built
 * by gcc), omp_get_num_threads and omp_get_thread_num resolve into the same shared object as it.
 * With the argument "expect-libomp" (clang builds) or "expect-libgomp" (gcc builds) it succeeds
 * only when arayon_omp_runtime_name is absent and the fork entry and omp_get_num_threads come
 * from that library. Either way a parallel region must run and report consistent thread
 * numbers. With "threads=N" (for the launcher's tests), omp_get_max_threads() must be N and the
 * region must have N threads. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
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
    fprintf(stderr, "which_runtime.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
typedef const char *(*name_fn)(void);

/* The entry point this compiler's parallel regions call, and the runtime it targets. */
#ifdef __clang__
#define FORK_ENTRY "__kmpc_fork_call"
#define REFERENCE "libomp"
#else
#define FORK_ENTRY "GOMP_parallel"
#define REFERENCE "libgomp"
#endif

/* The shared object that defines the global symbol `sym` (as the program's references bind). */
static const char *object_of(const char *sym, void **addr)
{
  void *p = dlsym(RTLD_DEFAULT, sym);
  if (addr)
    *addr = p;
  Dl_info info;
  if (!p || !dladdr(p, &info) || !info.dli_fname)
    return NULL;
  return info.dli_fname;
}

static const char *base(const char *path)
{
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

int main(int argc, char **argv)
{
  int expect_libomp = 0, expect_threads = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "expect-" REFERENCE) == 0)
      expect_libomp = 1;
    else if (strncmp(argv[i], "threads=", 8) == 0)
      expect_threads = atoi(argv[i] + 8);
    else {
      fprintf(stderr, "which_runtime: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  int max_threads = omp_get_max_threads();

  int n = 0, sum = 0;
#pragma omp parallel shared(n, sum)
  {
#pragma omp atomic
    sum += omp_get_thread_num();
#pragma omp master
    n = omp_get_num_threads();
  }
  CHECK(n >= 1 && sum == n * (n - 1) / 2, "a region of %d threads summed thread numbers to %d", n,
        sum);
  if (expect_threads) {
    CHECK(max_threads == expect_threads, "omp_get_max_threads() = %d, expected %d", max_threads,
          expect_threads);
    CHECK(n == expect_threads, "the region had %d threads, expected %d", n, expect_threads);
  }

  void *fn = NULL;
  const char *owner = object_of("arayon_omp_runtime_name", &fn);
  const char *fork_owner = object_of(FORK_ENTRY, NULL);
  const char *api_owner = object_of("omp_get_num_threads", NULL);
  const char *tid_owner = object_of("omp_get_thread_num", NULL);
  CHECK(fork_owner && api_owner && tid_owner, FORK_ENTRY ", omp_get_num_threads or "
        "omp_get_thread_num not found in any loaded object");
  if (!fork_owner || !api_owner || !tid_owner)
    return 1;

  if (expect_libomp) {
    CHECK(fn == NULL, "arayon_omp_runtime_name is present (in %s) in the " REFERENCE
          " reference run", owner ? owner : "?");
    CHECK(strncmp(base(fork_owner), REFERENCE ".", sizeof REFERENCE) == 0,
          FORK_ENTRY " comes from %s, not " REFERENCE, fork_owner);
    CHECK(strcmp(fork_owner, api_owner) == 0, FORK_ENTRY " from %s, omp_get_num_threads from %s",
          fork_owner, api_owner);
    CHECK(strcmp(fork_owner, tid_owner) == 0, FORK_ENTRY " from %s, omp_get_thread_num from %s",
          fork_owner, tid_owner);
    if (failures)
      return 1;
    printf("which_runtime: " REFERENCE " (%s), team of %d, max threads %d: ok\n", fork_owner, n,
           max_threads);
    return 0;
  }

  CHECK(fn != NULL, "arayon_omp_runtime_name not found: this process runs on %s", fork_owner);
  if (!fn)
    return 1;
  const char *name = ((name_fn)fn)();
  CHECK(name && strcmp(name, "arayon") == 0, "arayon_omp_runtime_name() returned \"%s\"",
        name ? name : "(null)");
  CHECK(owner && strcmp(fork_owner, owner) == 0,
        FORK_ENTRY " resolves to %s, arayon_omp_runtime_name to %s", fork_owner,
        owner ? owner : "?");
  CHECK(owner && strcmp(api_owner, owner) == 0,
        "omp_get_num_threads resolves to %s, arayon_omp_runtime_name to %s", api_owner,
        owner ? owner : "?");
  CHECK(owner && strcmp(tid_owner, owner) == 0,
        "omp_get_thread_num resolves to %s, arayon_omp_runtime_name to %s", tid_owner,
        owner ? owner : "?");
  if (failures)
    return 1;
  printf("which_runtime: %s (%s), team of %d, max threads %d: ok\n", name, owner, n,
         max_threads);
  return 0;
}
