/* which_runtime_c.c: the C half of which_runtime.f90, called through bind(C). Fortran has no
 * dlsym or dladdr, so these two functions answer its questions about the process:
 *   which_object(name, path, path_len)  the file of the shared object that defines the global
 *                                       symbol `name` as the program's references bind to it
 *                                       (dlsym(RTLD_DEFAULT) then dladdr); 1 if found, else 0;
 *   arayon_name(out, out_len)           the result of arayon_omp_runtime_name(), which only
 *                                       arayon's OpenMP layer defines; 1 if found, else 0.
 * Both write into a Fortran CHARACTER buffer: blank-padded, not NUL-terminated. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

int which_object(const char *name, char *path, int path_len);
int arayon_name(char *out, int out_len);

static void to_fortran(char *buf, int buf_len, const char *s)
{
  size_t n = strlen(s);
  if (n > (size_t)buf_len)
    n = (size_t)buf_len;
  memset(buf, ' ', (size_t)buf_len);
  memcpy(buf, s, n);
}

int which_object(const char *name, char *path, int path_len)
{
  to_fortran(path, path_len, "");
  void *p = dlsym(RTLD_DEFAULT, name);
  Dl_info info;
  if (!p || !dladdr(p, &info) || !info.dli_fname)
    return 0;
  to_fortran(path, path_len, info.dli_fname);
  return 1;
}

typedef const char *(*name_fn)(void);

int arayon_name(char *out, int out_len)
{
  to_fortran(out, out_len, "");
  void *p = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name");
  if (!p)
    return 0;
  name_fn fn;
  memcpy(&fn, &p, sizeof fn); /* (an object pointer to a function pointer, as POSIX allows) */
  const char *s = fn();
  to_fortran(out, out_len, s ? s : "(null)");
  return 1;
}
