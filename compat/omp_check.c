/*
 * omp_check.c - never a silent fallthrough. When libarayon-omp.so is preloaded into a
 * program linked against libomp or libgomp, a call to an OpenMP entry point that arayon does
 * not define still binds, to the real runtime underneath, which knows nothing of arayon's
 * teams: wrong answers without a word. So when the layer starts it looks at every object
 * loaded in the process (the program and its libraries, not the OpenMP runtimes
 * themselves), takes their undefined dynamic symbols with an OpenMP name (omp_*, __kmpc_*,
 * GOMP_*, kmp_*, kmpc_*, ompc_*) and checks that this library defines each; for each one it
 * does not, it prints one warning naming the symbol and the object that imports it.
 * `arayon-run --check PROGRAM` makes the same comparison without running the program.
 *
 * The symbol tables are read from the objects' files (the section headers give the size of
 * .dynsym, which the dynamic segment alone does not). Objects opened later with dlopen are
 * not looked at.
 */
#include "kmp.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static bool openmp_name(const char *s)
{
    return !strncmp(s, "omp_", 4) || !strncmp(s, "__kmpc_", 7) || !strncmp(s, "GOMP_", 5) ||
           !strncmp(s, "kmp_", 4) || !strncmp(s, "kmpc_", 5) || !strncmp(s, "ompc_", 5);
}

/* The OpenMP runtimes themselves (and this library): their imports are their business. */
static bool is_runtime(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return !strncmp(base, "libomp.so", 9) || !strncmp(base, "libomp5", 7) ||
           !strncmp(base, "libgomp.so", 10) || !strncmp(base, "libiomp5", 8) ||
           !strncmp(base, "libarayon", 9);
}

typedef struct check_ctx {
    void *self;  /* this library, for dlsym */
    int missing; /* warnings printed */
} check_ctx;

/* Reads the undefined OpenMP symbols of the ELF file at path; warns for each this library
 * lacks. Anything unexpected in the file: nothing to say (the check is best effort). */
static void check_file(check_ctx *c, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(ElfW(Ehdr))) {
        close(fd);
        return;
    }
    size_t size = (size_t)st.st_size;
    const unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)m;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff == 0 ||
        eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shoff > size ||
        (size - eh->e_shoff) / sizeof(ElfW(Shdr)) < eh->e_shnum)
        goto out;
    const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(m + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
            continue;
        const ElfW(Shdr) *strs = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
            strs->sh_offset > size || strs->sh_size > size - strs->sh_offset)
            goto out;
        const ElfW(Sym) *sym = (const ElfW(Sym) *)(m + sh[i].sh_offset);
        size_t n = sh[i].sh_size / sizeof(ElfW(Sym));
        const char *names = (const char *)(m + strs->sh_offset);
        for (size_t k = 1; k < n; k++) {
            if (sym[k].st_shndx != SHN_UNDEF || sym[k].st_name >= strs->sh_size)
                continue;
            const char *name = names + sym[k].st_name;
            if (!memchr(name, '\0', strs->sh_size - sym[k].st_name) || !openmp_name(name))
                continue;
            if (dlsym(c->self, name))
                continue;
            /* Who defines it, then: an OpenMP runtime underneath (the case to report), the
             * program's own code (a function of its own named omp_*: fine), or nobody. */
            Dl_info who;
            void *at = dlsym(RTLD_DEFAULT, name);
            if (!at || !dladdr(at, &who) || !who.dli_fname || !is_runtime(who.dli_fname))
                continue;
            fprintf(stderr,
                    "arayon: warning: %s calls %s, which arayon does not provide; the call goes "
                    "to %s, outside arayon's teams (results may be wrong)\n",
                    path, name, who.dli_fname);
            c->missing++;
        }
    }
out:
    munmap((void *)m, size);
}

static int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    check_ctx *c = arg;
    const char *path = info->dlpi_name;
    char exe[4096];
    if (!path || !*path) { /* the program itself */
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return 0;
        exe[n] = '\0';
        path = exe;
    }
    if (path[0] != '/' || is_runtime(path) || strstr(path, "linux-vdso"))
        return 0;
    check_file(c, path);
    return 0;
}

void kmpx_check_imports(void)
{
    Dl_info me;
    if (!dladdr((void *)kmpx_check_imports, &me) || !me.dli_fname)
        return;
    check_ctx c = {dlopen(me.dli_fname, RTLD_LAZY | RTLD_NOLOAD), 0};
    if (!c.self)
        return;
    dl_iterate_phdr(each_object, &c);
    dlclose(c.self);
}
