/* alloc_env: OMP_ALLOCATOR, the initial value of def-allocator-var. The program runs itself
 * once per value (the variable is read when the runtime starts) and checks what each run
 * reports: omp_get_default_allocator() in the initial thread and in every thread of a
 * region, and what omp_alloc(..., omp_null_allocator) gives.
 *
 * Every runtime: OMP_ALLOCATOR=omp_default_mem_alloc gives omp_default_mem_alloc; a bogus
 * value gets a warning on stderr and omp_default_mem_alloc; every thread starts from the
 * same value; allocations with omp_null_allocator work.
 * The references differ (libomp 14 warns and keeps omp_default_mem_alloc for every other
 * predefined allocator but takes the memory-space form; libgomp 12 takes every predefined
 * allocator but rejects the memory-space form), so the rest is checked on arayon only:
 * predefined allocators (names with blanks around them too), the OpenMP 5.1 form
 * "memspace:trait=value,..." (alignment, pool_size, fallback with and without the omp_atv_
 * prefix, pinned, partition, access), values that make no valid allocator (a warning and
 * omp_default_mem_alloc), and malformed ones. arayon's own warnings are told apart from
 * libgomp's by their "arayon:" prefix: a gcc-built program with arayon preloaded still loads
 * libgomp, whose start-up reads (and may complain about) OMP_ALLOCATOR too. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the child: one report line on stdout ---- */
static int child(void)
{
  omp_allocator_handle_t d = omp_get_default_allocator();
  int same = 1;
#pragma omp parallel reduction(&& : same)
  same = omp_get_default_allocator() == d;
  void *p = omp_alloc(100, omp_null_allocator);
  void *big = omp_alloc(1 << 16, omp_null_allocator);
  printf("default=%lu same=%d alloc=%d align64=%d big=%d\n",
         d <= 8 ? (unsigned long)d : 999ul, same, p != NULL,
         p != NULL && ((uintptr_t)p & 63) == 0, big != NULL);
  omp_free(p, omp_null_allocator);
  omp_free(big, omp_null_allocator);
  return 0;
}

/* ---- the parent ---- */
struct report {
  int ok;                   /* the child exited 0 and printed its line */
  unsigned long def;        /* 999: a custom allocator */
  int same, alloc, align64, big;
  char err[2048];           /* its stderr */
};

static int failures;
#define CHECK(cond, ...)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "alloc_env.c:%d: check failed (%s): ", __LINE__, #cond);             \
      fprintf(stderr, __VA_ARGS__);                                                        \
      fputc('\n', stderr);                                                                 \
      failures++;                                                                          \
    }                                                                                      \
  } while (0)

static size_t slurp(int fd, char *buf, size_t cap)
{
  size_t n = 0;
  ssize_t r;
  while ((r = read(fd, buf + n, cap - 1 - n)) > 0 && n + (size_t)r < cap - 1)
    n += (size_t)r;
  if (r > 0)
    n += (size_t)r;
  buf[n] = 0;
  char drain[256];
  while (read(fd, drain, sizeof drain) > 0)
    ;
  return n;
}

static struct report run(const char *self, const char *value)
{
  struct report rep;
  memset(&rep, 0, sizeof rep);
  int out[2], err[2];
  if (pipe(out) || pipe(err)) {
    perror("pipe");
    exit(2);
  }
  setenv("OMP_ALLOCATOR", value, 1);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    execl(self, self, "child", (char *)NULL);
    _exit(127);
  }
  unsetenv("OMP_ALLOCATOR");
  close(out[1]);
  close(err[1]);
  char line[512];
  slurp(out[0], line, sizeof line);
  slurp(err[0], rep.err, sizeof rep.err);
  close(out[0]);
  close(err[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  rep.ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
           sscanf(line, "default=%lu same=%d alloc=%d align64=%d big=%d", &rep.def, &rep.same,
                  &rep.alloc, &rep.align64, &rep.big) == 5;
  if (!rep.ok)
    fprintf(stderr, "alloc_env: OMP_ALLOCATOR='%s': the child failed (status %#x), said '%s' "
                    "and on stderr:\n%s\n", value, st, line, rep.err);
  return rep;
}

int main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  /* dlsym does not start the runtime: this process never does (it only forks children) */
  int on_arayon = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name") != NULL;
  const char *self = "/proc/self/exe";
  char path[4096];
  ssize_t n = readlink(self, path, sizeof path - 1);
  if (n > 0) {
    path[n] = 0;
    self = path;
  }

  /* every runtime */
  struct report r = run(self, "omp_default_mem_alloc");
  CHECK(r.ok && r.def == 1 && r.same && r.alloc, "omp_default_mem_alloc: default %lu", r.def);
  r = run(self, "bogus");
  CHECK(r.ok && r.def == 1 && r.same && r.alloc && r.err[0], "bogus: default %lu, stderr '%s'",
        r.def, r.err);
  r = run(self, "omp_cgroup_mem_alloc");
  CHECK(r.ok && r.same && r.alloc, "omp_cgroup_mem_alloc");
  if (on_arayon)
    CHECK(r.def == 6 && !strstr(r.err, "arayon"), "omp_cgroup_mem_alloc: default %lu, stderr '%s'", r.def, r.err);
  else
    CHECK(r.def == 6 || r.def == 1, "omp_cgroup_mem_alloc: default %lu", r.def);
  if (!on_arayon)
    goto done;

  /* arayon */
  r = run(self, " omp_thread_mem_alloc ");
  CHECK(r.ok && r.def == 8 && r.same && r.alloc, "' omp_thread_mem_alloc ': %lu", r.def);
  r = run(self, "omp_high_bw_mem_alloc");
  CHECK(r.ok && r.def == 4 && r.alloc, "omp_high_bw_mem_alloc: %lu, alloc %d", r.def, r.alloc);
  r = run(self, "omp_default_mem_space");
  CHECK(r.ok && r.def == 999 && r.same && r.alloc && r.big, "omp_default_mem_space: %lu",
        r.def);
  r = run(self, "omp_default_mem_space:alignment=64,pool_size=4096,fallback=null_fb");
  CHECK(r.ok && r.def == 999 && r.same && r.alloc && r.align64 && !r.big && !strstr(r.err, "arayon"),
        "alignment=64,pool_size=4096,fallback=null_fb: default %lu alloc %d align64 %d big %d "
        "stderr '%s'", r.def, r.alloc, r.align64, r.big, r.err);
  r = run(self, "omp_large_cap_mem_space: pool_size=1000 , fallback=omp_atv_default_mem_fb");
  CHECK(r.ok && r.def == 999 && r.alloc && r.big, "pool_size=1000, default_mem_fb: %lu big %d",
        r.def, r.big);
  r = run(self, "omp_low_lat_mem_space:pinned=true,partition=interleaved,access=pteam,"
                "sync_hint=uncontended,alignment=64");
  CHECK(r.ok && r.def == 999 && r.alloc && r.align64 && r.big, "pinned, interleaved: %lu",
        r.def);
  r = run(self, "omp_default_mem_space:pool_size=100,fallback=allocator_fb,"
                "fb_data=omp_low_lat_mem_alloc");
  CHECK(r.ok && r.def == 999 && r.alloc && r.big, "allocator_fb: %lu", r.def);
  /* well-formed, but no valid allocator: a warning, and the default stays */
  r = run(self, "omp_default_mem_space:alignment=3");
  CHECK(r.ok && r.def == 1 && r.alloc && strstr(r.err, "OMP_ALLOCATOR"),
        "alignment=3: %lu, stderr '%s'", r.def, r.err);
  r = run(self, "omp_high_bw_mem_space:pool_size=1048576,fallback=allocator_fb,"
                "fb_data=omp_low_lat_mem_alloc");
  CHECK(r.ok && r.alloc && (r.def == 999 || (r.def == 1 && strstr(r.err, "OMP_ALLOCATOR"))),
        "high_bw memory space: %lu, stderr '%s'", r.def, r.err);
  /* malformed */
  const char *bad[] = {"omp_default_mem_space:bogus=1", "omp_default_mem_space:alignment",
                       "omp_default_mem_space:alignment=-8", "omp_default_mem_space:pinned=maybe",
                       "omp_default_mem_alloc:alignment=64", "omp_nowhere_mem_space:alignment=64",
                       "omp_default_mem_space:fb_data=omp_default_mem_space", "7"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    r = run(self, bad[i]);
    CHECK(r.ok && r.def == 1 && r.alloc && strstr(r.err, "ignoring OMP_ALLOCATOR"),
          "'%s': %lu, stderr '%s'", bad[i], r.def, r.err);
  }
done:
  if (failures) {
    fprintf(stderr, "alloc_env: %d check(s) failed\n", failures);
    return 1;
  }
  printf("alloc_env: ok (%s)\n", on_arayon ? "arayon" : "reference runtime");
  return 0;
}
