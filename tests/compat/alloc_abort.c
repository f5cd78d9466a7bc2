/* alloc_abort: the abort_fb fallback. An allocation that an allocator with abort_fb cannot
 * satisfy (its pool is full) must end the program; this program runs itself for each case
 * and passes when the child ended abnormally before the allocation returned.
 *   direct    an allocator with pool_size 1024 and fallback abort_fb: 512 bytes, then 4096;
 *   chained   allocator_fb to an allocator whose own fallback is abort_fb;
 *   parallel  the failing allocation made by the last thread of a parallel region.
 * Every runtime: the child prints its first allocation, never "returned", and does not exit
 * with status 0 (libomp 14 aborts with an assertion message, libgomp 12 prints "Out of
 * memory" and exits with status 1). arayon: the child dies of SIGABRT, after a message on
 * stderr that names abort_fb. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(const char *what)
{
  omp_alloctrait_t ta[] = {{omp_atk_pool_size, 1024}, {omp_atk_fallback, omp_atv_abort_fb}};
  omp_allocator_handle_t a = omp_init_allocator(omp_default_mem_space, 2, ta);
  if (a == omp_null_allocator) {
    printf("no allocator\n");
    return 0;
  }
  omp_allocator_handle_t use = a;
  if (strcmp(what, "chained") == 0) {
    omp_alloctrait_t tc[] = {{omp_atk_pool_size, 100},
                             {omp_atk_fallback, omp_atv_allocator_fb},
                             {omp_atk_fb_data, (omp_uintptr_t)a}};
    use = omp_init_allocator(omp_default_mem_space, 3, tc);
  }
  void *p = omp_alloc(512, use);
  printf("first %s\n", p ? "ok" : "NULL");
  fflush(stdout);
  void *q = NULL;
  if (strcmp(what, "parallel") == 0) {
#pragma omp parallel
    {
#pragma omp barrier
      if (omp_get_thread_num() == omp_get_num_threads() - 1)
        q = omp_alloc(4096, use);
#pragma omp barrier
    }
  } else {
    q = omp_alloc(4096, use);
  }
  printf("returned %p\n", q);
  fflush(stdout);
  return 0;
}

static int failures;

static void run(const char *self, const char *what, int on_arayon)
{
  int out[2], err[2];
  if (pipe(out) || pipe(err)) {
    perror("pipe");
    exit(2);
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    execl(self, self, "child", what, (char *)NULL);
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  char o[512] = "", e[4096] = "";
  size_t n = 0;
  ssize_t r;
  while (n < sizeof o - 1 && (r = read(out[0], o + n, sizeof o - 1 - n)) > 0)
    n += (size_t)r;
  o[n] = 0;
  n = 0;
  while (n < sizeof e - 1 && (r = read(err[0], e + n, sizeof e - 1 - n)) > 0)
    n += (size_t)r;
  e[n] = 0;
  close(out[0]);
  close(err[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  int ok = strstr(o, "first ok") && !strstr(o, "returned") &&
           !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  if (on_arayon)
    ok = ok && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(e, "abort_fb");
  if (!ok) {
    failures++;
    fprintf(stderr, "alloc_abort: case %s: status %#x (%s %d), stdout '%s', stderr '%s'\n",
            what, st, WIFSIGNALED(st) ? "signal" : "exit",
            WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), o, e);
  } else {
    printf("alloc_abort: case %s: ended by %s %d as expected\n", what,
           WIFSIGNALED(st) ? "signal" : "exit status",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  }
}

int main(int argc, char **argv)
{
  if (argc > 2 && strcmp(argv[1], "child") == 0)
    return child(argv[2]);
  int on_arayon = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name") != NULL;
  const char *self = "/proc/self/exe";
  char path[4096];
  ssize_t n = readlink(self, path, sizeof path - 1);
  if (n > 0) {
    path[n] = 0;
    self = path;
  }
  run(self, "direct", on_arayon);
  run(self, "chained", on_arayon);
  run(self, "parallel", on_arayon);
  if (failures) {
    fprintf(stderr, "alloc_abort: %d case(s) failed\n", failures);
    return 1;
  }
  printf("alloc_abort: ok (%s)\n", on_arayon ? "arayon" : "reference runtime");
  return 0;
}
