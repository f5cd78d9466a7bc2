/*
 * sweep.c - the allocation-failure sweep harness (sweep.h says what it does and checks).
 *
 * Parent: for each k, a child with failures armed at the k-th allocation (mode "once") or at
 * every allocation from the k-th on (mode "from"); its stdout and stderr go to a memfd the
 * parent reads when it ended. The failed calls' backtraces come back through a shared
 * mapping. Nothing here allocates while armed: backtrace() is warmed up in the parent (its
 * first call loads libgcc_s), and the recording writes into the shared mapping only.
 */
#define _GNU_SOURCE
#include "sweep.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the messages a child may print ----------------------------------------------------
 * docs/design/openmp-compat.md, "Running out of memory", lists the same. A fatal message is
 * followed by abort(); a fallback message by a correct run. Matched as prefixes of a line. */
static const char *const fatal_messages[] = {
    "arayon: out of memory allocating the task for an OpenMP task",
    "arayon: out of memory allocating a counter for an OpenMP task",
    "arayon: out of memory allocating a taskgroup for an OpenMP task",
    "arayon: out of memory recording OpenMP task dependences",
    "arayon: out of memory for a task's dependences",
    "arayon: out of memory for an undeferred task's data",
    "arayon: out of memory creating an OpenMP team",
    "arayon: out of memory registering an OpenMP thread",
    "arayon: out of memory entering a serialized region",
    "arayon: out of memory forking a parallel region",
    "arayon: out of memory for a task reduction",
    "arayon: out of memory for task reduction copies",
    "arayon: out of memory for a threadprivate copy",
    "arayon: out of memory for a doacross loop",
    "arayon: out of memory for a worksharing construct",
    "arayon: out of memory for a target region's firstprivate copies",
    "arayon: out of memory starting an OpenMP parallel region (GOMP_parallel_start)",
    "arayon: out of memory starting an OpenMP parallel loop",
    "arayon: out of memory starting OpenMP parallel sections",
    "arayon: out of memory for a compiler-made OpenMP allocation",
    NULL,
};
static const char *const fallback_messages[] = {
    "arayon: the OpenMP layer could not start its pool",
    "arayon: ARAYON_METRICS: out of memory, no report",
    NULL,
};

/* ---- injection (child side) ------------------------------------------------------------ */

#define REC_MAX 4     /* failed calls whose backtrace is kept, per child */
#define REC_FRAMES 48

enum { MODE_ONCE = 0, MODE_FROM = 1 };
static const char *const kind_names[] = {"malloc", "calloc", "realloc", "aligned_alloc",
                                         "posix_memalign", "memalign", "mmap"};
enum { K_MALLOC, K_CALLOC, K_REALLOC, K_ALIGNED, K_POSIX, K_MEMALIGN, K_MMAP };

typedef struct fault_rec {
    int kind;
    size_t size;
    int nframes;
    void *frames[REC_FRAMES];
} fault_rec;

typedef struct fault_shared {
    _Atomic long calls;   /* allocation calls seen while armed */
    _Atomic long nfail;   /* failures injected */
    _Atomic long first;   /* the index of the first failed call (spared calls move it on) */
    fault_rec rec[REC_MAX];
} fault_shared;

static fault_shared *shm;      /* MAP_SHARED: written by the child, read by the parent */
static _Atomic int armed;      /* child only */
static _Atomic long arm_k;
static int arm_mode;
static int verbose;
static _Thread_local int in_inject;

/* Libraries whose own allocations are never failed (--spare; libhwloc by default: hwloc
 * 2.9 asserts or crashes when an allocation of its own fails while it loads a topology,
 * which nothing in arayon can prevent; the calls arayon makes into it are still failed
 * when hwloc reports them: hwloc_bitmap_alloc, ...). Address ranges of their mappings, and of
 * libc's (an allocation by libc on behalf of a spared library, strdup say, is spared too). */
#define MAX_RANGES 32
typedef struct range {
    uintptr_t lo, hi;
    bool libc;
} range;
static range ranges[MAX_RANGES];
static int nranges;
static const char *spare_libs[8] = {"libhwloc.so"};
static int nspare = 1;

static int range_of(uintptr_t a)
{
    for (int i = 0; i < nranges; i++)
        if (a >= ranges[i].lo && a < ranges[i].hi)
            return i;
    return -1;
}

/* Whether the allocation whose backtrace is f[0..n) comes from a spared library. */
static bool spared(void *const *f, int n)
{
    for (int i = 2; i < n; i++) {
        int r = range_of((uintptr_t)f[i]);
        if (r < 0)
            return false;
        if (!ranges[r].libc)
            return true;
    }
    return false;
}

static int collect_range(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size, (void)ctx;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    bool libc = strstr(name, "/libc.so") != NULL;
    bool spare = false;
    for (int i = 0; i < nspare; i++)
        spare |= strstr(name, spare_libs[i]) != NULL;
    if (!libc && !spare)
        return 0;
    for (int i = 0; i < info->dlpi_phnum && nranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        ranges[nranges++] = (range){lo, lo + ph->p_memsz, libc};
    }
    return 0;
}

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

long fault_injected(void) { return shm ? atomic_load(&shm->nfail) : 0; }

void fault_pause(int paused) { atomic_store(&armed, !paused); }

/* Whether this call fails; records it when it does. */
static __attribute__((noinline)) bool inject(int kind, size_t size)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed) || in_inject)
        return false;
    long n = atomic_fetch_add(&shm->calls, 1), k = atomic_load(&arm_k);
    if (arm_mode == MODE_ONCE ? n != k : n < k)
        return false;
    in_inject = 1;
    void *frames[REC_FRAMES];
    int nframes = backtrace(frames, REC_FRAMES);
    if (spared(frames, nframes)) { /* mode once: the next call fails instead */
        if (arm_mode == MODE_ONCE)
            atomic_compare_exchange_strong(&arm_k, &k, k + 1);
        in_inject = 0;
        return false;
    }
    long f = atomic_fetch_add(&shm->nfail, 1);
    if (f == 0)
        atomic_store(&shm->first, n);
    if (f < REC_MAX) {
        fault_rec *r = &shm->rec[f];
        r->kind = kind;
        r->size = size;
        r->nframes = nframes;
        memcpy(r->frames, frames, sizeof frames);
        if (verbose) {
            char line[96];
            int len = snprintf(line, sizeof line, "fault: injected %s(%zu) failure #%ld:\n",
                               kind_names[kind], size, f + 1);
            (void)!write(2, line, (size_t)len);
            backtrace_symbols_fd(r->frames, r->nframes, 2);
        }
    }
    in_inject = 0;
    errno = ENOMEM; /* as the real allocators do (glibc asserts it after a failed TLS block) */
    return true;
}

__attribute__((noinline)) void *malloc(size_t n)
{
    return inject(K_MALLOC, n) ? NULL : __libc_malloc(n);
}

__attribute__((noinline)) void *calloc(size_t a, size_t b)
{
    return inject(K_CALLOC, a * b) ? NULL : __libc_calloc(a, b);
}

__attribute__((noinline)) void *realloc(void *p, size_t n)
{
    /* realloc(p, 0) frees: not an allocation */
    return n && inject(K_REALLOC, n) ? NULL : __libc_realloc(p, n);
}

__attribute__((noinline)) void *aligned_alloc(size_t a, size_t n)
{
    return inject(K_ALIGNED, n) ? NULL : __libc_memalign(a, n);
}

__attribute__((noinline)) void *memalign(size_t a, size_t n)
{
    return inject(K_MEMALIGN, n) ? NULL : __libc_memalign(a, n);
}

__attribute__((noinline)) int posix_memalign(void **out, size_t a, size_t n)
{
    if (a < sizeof(void *) || (a & (a - 1)))
        return EINVAL;
    if (inject(K_POSIX, n))
        return ENOMEM;
    void *p = __libc_memalign(a, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

/* Anonymous mappings only (the stacks of suspendable tasks, omp_alloc's chunks); the loader
 * and libc map through their internal entry, which this does not see. */
__attribute__((noinline)) void *mmap(void *addr, size_t len, int prot, int flags, int fd,
                                     off_t off)
{
    if ((flags & MAP_ANONYMOUS) && inject(K_MMAP, len))
        return MAP_FAILED;
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return r == -1 ? MAP_FAILED : (void *)r;
}

/* ---- outcomes -------------------------------------------------------------------------- */

enum { OUT_OK, OUT_FALLBACK, OUT_FATAL, OUT_FAIL, OUT_N };
static const char *const out_names[] = {"ok", "fallback", "fatal", "FAILED"};

/* The innermost frame in an arayon library (the allocation site), the frame that called the
 * allocator when it is not that one (libc's strdup, hwloc), and the outermost frame of the
 * run of arayon frames from the site (the entry point the program called). */
typedef struct frame_ref {
    char lib[256];
    uintptr_t off;
} frame_ref;

typedef struct site {
    frame_ref at, entry;
    char via[128]; /* the allocator's caller when outside arayon, or "" */
    int kind;
    long count[2][OUT_N]; /* runs whose first failure was here, by mode and outcome */
    long reached;         /* runs that failed here at all */
    long first_k[2];
    char msg[160]; /* the documented message of a run (mode once) that failed here only */
    char fn[128], file[160], entry_fn[128];
} site;

#define MAX_SITES 1024
static site sites[MAX_SITES];
static int nsites;

/* Copies src into dst[len], cut when longer. */
static void scopy(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n >= len)
        n = len - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static bool is_arayon(const char *lib) { return strstr(base_name(lib), "libarayon") != NULL; }

static bool frame_of(void *addr, frame_ref *out, const char **sym)
{
    Dl_info di;
    if (!dladdr(addr, &di) || !di.dli_fname) {
        out->lib[0] = 0;
        out->off = (uintptr_t)addr;
        *sym = NULL;
        return false;
    }
    scopy(out->lib, sizeof out->lib, di.dli_fname);
    out->off = (uintptr_t)addr - (uintptr_t)di.dli_fbase;
    *sym = di.dli_sname;
    return true;
}

static site *site_of(const fault_rec *r)
{
    int first = 2; /* [0] inject, [1] the interposed function */
    if (r->nframes <= first)
        return NULL;
    frame_ref at = {{0}, 0}, entry = {{0}, 0}, caller;
    const char *sym = NULL;
    char via[128] = "";
    frame_of(r->frames[first], &caller, &sym);
    int i = first;
    for (; i < r->nframes; i++) {
        frame_ref fr;
        const char *s;
        if (frame_of(r->frames[i], &fr, &s) && is_arayon(fr.lib)) {
            at = fr;
            break;
        }
    }
    if (i == r->nframes) { /* outside arayon: the workload's own, or libc's for itself */
        at = caller;
        entry = caller;
    } else {
        if (i != first)
            snprintf(via, sizeof via, "%s:%s", caller.lib[0] ? base_name(caller.lib) : "?",
                     sym ? sym : "?");
        entry = at;
        for (int j = i + 1; j < r->nframes; j++) {
            frame_ref fr;
            const char *s;
            if (!frame_of(r->frames[j], &fr, &s) || !is_arayon(fr.lib))
                break;
            entry = fr;
        }
    }
    for (int s = 0; s < nsites; s++)
        if (sites[s].at.off == at.off && !strcmp(sites[s].at.lib, at.lib) &&
            sites[s].entry.off == entry.off && !strcmp(sites[s].entry.lib, entry.lib))
            return &sites[s];
    if (nsites == MAX_SITES)
        return NULL;
    site *x = &sites[nsites++];
    memset(x, 0, sizeof *x);
    x->at = at;
    x->entry = entry;
    scopy(x->via, sizeof x->via, via);
    x->kind = r->kind;
    x->first_k[0] = x->first_k[1] = -1;
    return x;
}

/* file:line and function of each site through addr2line (one call per library). */
static void symbolize(void)
{
    for (int s = 0; s < nsites; s++) {
        for (int which = 0; which < 2; which++) {
            frame_ref *fr = which ? &sites[s].entry : &sites[s].at;
            char *fn = which ? sites[s].entry_fn : sites[s].fn;
            size_t fnlen = which ? sizeof sites[s].entry_fn : sizeof sites[s].fn;
            if (fn[0])
                continue;
            if (snprintf(fn, fnlen, "%s+0x%lx", fr->lib[0] ? base_name(fr->lib) : "?",
                         (unsigned long)fr->off) < 0) /* (a long name is cut: fine) */
                fn[0] = '\0';
            if (!fr->lib[0])
                continue;
            char cmd[600];
            snprintf(cmd, sizeof cmd, "addr2line -f -e '%s' 0x%lx 2>/dev/null", fr->lib,
                     (unsigned long)(fr->off ? fr->off - 1 : 0));
            FILE *p = popen(cmd, "r");
            if (!p)
                continue;
            char l1[256] = "", l2[512] = "";
            if (fgets(l1, sizeof l1, p) && fgets(l2, sizeof l2, p)) {
                l1[strcspn(l1, "\n")] = 0;
                l2[strcspn(l2, "\n")] = 0;
                if (l1[0] && strcmp(l1, "??"))
                    scopy(fn, fnlen, l1);
                if (!which && l2[0] && strncmp(l2, "??", 2)) {
                    char *b = strrchr(l2, '/');
                    scopy(sites[s].file, sizeof sites[s].file, b ? b + 1 : l2);
                    char *d = strstr(sites[s].file, " (discriminator");
                    if (d)
                        *d = 0;
                }
            }
            pclose(p);
        }
    }
}

/* ---- one child ------------------------------------------------------------------------- */

typedef struct opts {
    int modes;        /* bit 0: once, bit 1: from */
    long start, stride, max_k;
    double timeout_s;
    bool arm_setup;
    int details;      /* failed children printed in full */
} opts;

static int memfd;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A crash in a child: where it happened, then the signal's default action. */
static void crash_handler(int sig)
{
    void *f[48];
    int n = backtrace(f, 48);
    char line[64];
    int len = snprintf(line, sizeof line, "fault: signal %d in the child at:\n", sig);
    (void)!write(2, line, (size_t)len);
    backtrace_symbols_fd(f, n, 2);
    signal(sig, SIG_DFL);
    raise(sig);
}

static __attribute__((noreturn)) void child(const fault_workload *w, const opts *o, int mode,
                                            long k)
{
    prctl(PR_SET_DUMPABLE, 0); /* aborts are expected: no core files */
    dup2(memfd, 1);
    dup2(memfd, 2);
    setvbuf(stdout, NULL, _IONBF, 0);
    static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    for (unsigned i = 0; i < 4; i++)
        signal(crash_signals[i], crash_handler);
    arm_k = k;
    arm_mode = mode;
    if (o->arm_setup)
        atomic_store(&armed, 1);
    if (w->setup && w->setup() != 0) {
        atomic_store(&armed, 0);
        if (!o->arm_setup || !fault_injected()) {
            fputs("fault: setup failed without an injected failure\n", stderr);
            _exit(4);
        }
        fprintf(stderr, "fault: setup reported failure after %ld injected failure(s)\n",
                fault_injected());
        _exit(0);
    }
    atomic_store(&armed, 1);
    int rc = w->run();
    atomic_store(&armed, 0);
    if (rc != 0) {
        fprintf(stderr, "fault: workload %s: wrong results (%d) after %ld injected failure(s)\n",
                w->name, rc, fault_injected());
        _exit(2);
    }
    if (w->check && w->check() != 0) {
        fprintf(stderr, "fault: workload %s: counters do not add up\n", w->name);
        _exit(3);
    }
    exit(0); /* (atexit handlers run: the runtime's reports, still checked) */
}

static bool has_prefix(const char *line, const char *const *list, const char **which)
{
    for (int i = 0; list[i]; i++)
        if (!strncmp(line, list[i], strlen(list[i]))) {
            *which = list[i];
            return true;
        }
    return false;
}

typedef struct result {
    int out;
    char why[200];
    const char *msg; /* the documented message seen */
} result;

/* ARAYON_METRICS=json: the report the runtime prints at exit (one line per pool). Returns
 * false, with why, when its counters do not add up or tasks are still pending. */
static bool report_ok(const char *line, char *why, size_t len)
{
    static const char *const keys[] = {"spawned", "completed", "failed", "cancelled",
                                       "timed_out", "pending"};
    unsigned long long v[6];
    for (int i = 0; i < 6; i++) {
        char key[32];
        snprintf(key, sizeof key, "\"%s\": ", keys[i]);
        const char *at = strstr(line, key);
        if (!at) {
            snprintf(why, len, "metrics report without \"%s\"", keys[i]);
            return false;
        }
        v[i] = strtoull(at + strlen(key), NULL, 10);
    }
    if (v[0] != v[1] + v[2] + v[3] + v[4] + v[5] || v[5] != 0) {
        snprintf(why, len,
                 "metrics at exit: spawned %llu != completed %llu + failed %llu + cancelled "
                 "%llu + timed_out %llu + pending %llu (pending must be 0)",
                 v[0], v[1], v[2], v[3], v[4], v[5]);
        return false;
    }
    return true;
}

static result classify(int status, bool hung, const char *text)
{
    result r = {OUT_OK, "", NULL};
    int nfatal = 0, nfallback = 0;
    const char *bad = NULL;
    char report_why[200] = "";
    for (const char *l = text; *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        char line[4096];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), l);
        const char *m;
        if (!strncmp(line, "{\"num_threads\": ", 16) && !report_why[0])
            report_ok(line, report_why, sizeof report_why);
        if (!strncmp(line, "arayon:", 7)) {
            if (has_prefix(line, fatal_messages, &m)) {
                nfatal++;
                r.msg = m;
            } else if (has_prefix(line, fallback_messages, &m)) {
                nfallback++;
                if (!r.msg)
                    r.msg = m;
            } else if (!bad) {
                bad = l;
            }
        }
        l = e ? e + 1 : l + len;
    }
    if (hung) {
        r.out = OUT_FAIL;
        snprintf(r.why, sizeof r.why, "hung (killed after the timeout)");
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && nfatal && !bad) {
        r.out = OUT_FATAL;
    } else if (WIFSIGNALED(status)) {
        r.out = OUT_FAIL;
        snprintf(r.why, sizeof r.why, "killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)),
                 WTERMSIG(status) == SIGABRT ? (nfatal ? ", more than one fatal message"
                                                       : " without a documented message")
                                             : "");
    } else if (WEXITSTATUS(status) != 0) {
        r.out = OUT_FAIL;
        snprintf(r.why, sizeof r.why, "exit status %d", WEXITSTATUS(status));
    } else if (report_why[0]) {
        r.out = OUT_FAIL;
        scopy(r.why, sizeof r.why, report_why);
    } else if (bad) {
        r.out = OUT_FAIL;
        const char *e = strchr(bad, '\n');
        snprintf(r.why, sizeof r.why, "undocumented message: %.*s",
                 (int)(e ? e - bad : (long)strlen(bad)), bad);
    } else if (nfatal) {
        r.out = OUT_FAIL;
        snprintf(r.why, sizeof r.why, "a fatal message, yet the run went on and exited 0");
    } else if (nfallback) {
        r.out = OUT_FALLBACK;
    }
    return r;
}

static char *read_memfd(void)
{
    off_t len = lseek(memfd, 0, SEEK_END);
    if (len < 0)
        len = 0;
    char *buf = malloc((size_t)len + 1);
    if (!buf)
        return NULL;
    ssize_t got = pread(memfd, buf, (size_t)len, 0);
    buf[got > 0 ? got : 0] = 0;
    return buf;
}

static void print_tail(const char *text, int lines)
{
    const char *p = text + strlen(text);
    int n = 0;
    while (p > text && n <= lines)
        if (*--p == '\n')
            n++;
    if (p != text)
        p++;
    fprintf(stderr, "    | %s", p);
    if (!*p || p[strlen(p) - 1] != '\n')
        fputc('\n', stderr);
}

static const char *site_name(const site *s, char *buf, size_t len)
{
    if (snprintf(buf, len, "%s%s%s%s%s", s->file[0] ? s->file : s->fn, s->file[0] ? " " : "",
                 s->file[0] ? s->fn : "", s->via[0] ? " via " : "", s->via) < 0)
        buf[0] = '\0'; /* (cut when long: fine for a report) */
    return buf;
}

/* Runs one child; returns its outcome, and records the sites it failed at. */
static int run_one(const fault_workload *w, const opts *o, int mode, long k, long *nfail,
                   long *calls, long *first_call, int *failures_printed)
{
    memset(shm, 0, sizeof *shm);
    if (ftruncate(memfd, 0) != 0 || lseek(memfd, 0, SEEK_SET) != 0) {
        perror("fault: memfd");
        exit(1);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fault: fork");
        exit(1);
    }
    if (pid == 0)
        child(w, o, mode, k);
    int status = 0;
    bool hung = false;
    double until = now_s() + o->timeout_s;
    long nap = 20000;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            perror("fault: waitpid");
            exit(1);
        }
        if (now_s() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            hung = true;
            break;
        }
        struct timespec ts = {0, nap};
        nanosleep(&ts, NULL);
        if (nap < 2000000)
            nap *= 2;
    }
    char *text = read_memfd();
    result res = classify(status, hung, text ? text : "");
    *nfail = atomic_load(&shm->nfail);
    *calls = atomic_load(&shm->calls);
    *first_call = atomic_load(&shm->first);
    int nrec = *nfail < REC_MAX ? (int)*nfail : REC_MAX;
    site *first = NULL;
    for (int i = 0; i < nrec; i++) {
        site *s = site_of(&shm->rec[i]);
        if (!s)
            continue;
        if (!first)
            first = s;
        /* the first failure decides what happened; later ones (mode from) are reached */
        s->reached++;
        if (i == 0)
            s->count[mode][res.out]++;
        if (s->first_k[mode] < 0)
            s->first_k[mode] = k;
        if (i == 0 && mode == MODE_ONCE && res.msg && !s->msg[0])
            scopy(s->msg, sizeof s->msg, res.msg);
    }
    if (res.out == OUT_FAIL && *failures_printed < o->details) {
        ++*failures_printed;
        char nb[400] = "(no failure injected)";
        if (first) {
            symbolize();
            site_name(first, nb, sizeof nb);
        }
        fprintf(stderr, "FAILED: %s, mode %s, k = %ld: %s; first failed allocation: %s (%s)\n",
                w->name, mode ? "from" : "once", k, res.why, nb,
                first ? kind_names[first->kind] : "-");
        if (text)
            print_tail(text, 25);
    }
    free(text);
    return res.out;
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--mode once|from|both] [--start K] [--stride N] [--max-k K]\n"
            "          [--timeout SECONDS] [--arm-setup] [--details N] [--verbose] [--plain]\n"
            "          [--spare LIB|none]\n"
            "Runs the workload in forked children with the k-th allocation failing (once), or\n"
            "every allocation from the k-th on (from), for k = start, start + stride, ...\n"
            "until a child reaches no injected failure. --plain: run the workload once, here,\n"
            "without injecting anything. --spare: never fail the allocations of a library\n"
            "(a substring of its path; default libhwloc.so, whose own out-of-memory paths\n"
            "crash; none: fail them too).\n",
            prog);
}

int fault_main(int argc, char **argv, const fault_workload *w)
{
    opts o = {3, 0, 1, 100000, 20.0, false, 5};
    bool plain = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--mode") && v) {
            o.modes = !strcmp(v, "once") ? 1 : !strcmp(v, "from") ? 2 : 3;
            i++;
        } else if (!strcmp(a, "--start") && v) {
            o.start = atol(v), i++;
        } else if (!strcmp(a, "--stride") && v) {
            o.stride = atol(v) > 0 ? atol(v) : 1, i++;
        } else if (!strcmp(a, "--max-k") && v) {
            o.max_k = atol(v), i++;
        } else if (!strcmp(a, "--timeout") && v) {
            o.timeout_s = atof(v), i++;
        } else if (!strcmp(a, "--details") && v) {
            o.details = atoi(v), i++;
        } else if (!strcmp(a, "--arm-setup")) {
            o.arm_setup = true;
        } else if (!strcmp(a, "--verbose")) {
            verbose = 1;
        } else if (!strcmp(a, "--plain")) {
            plain = true;
        } else if (!strcmp(a, "--spare") && v) {
            if (!strcmp(v, "none"))
                nspare = 0;
            else if (nspare < 8)
                spare_libs[nspare++] = v;
            i++;
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    if (plain) { /* the workload once, here, nothing injected: is it right at all? */
        int rc = (w->setup && w->setup()) || w->run() || (w->check && w->check());
        printf("%s: %s (plain run, no failure injected)\n", w->name, rc ? "FAILED" : "passed");
        return rc;
    }
    void *warm[4];
    backtrace(warm, 4); /* loads libgcc_s now, not in a child while allocations fail */
    dl_iterate_phdr(collect_range, NULL);
    shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memfd = (int)syscall(SYS_memfd_create, "fault-child", 0);
    if (shm == MAP_FAILED || memfd < 0) {
        perror("fault: setup");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    double t0 = now_s();
    int failed = 0, printed = 0;
    for (int mode = 0; mode < 2; mode++) {
        if (!(o.modes & (1 << mode)))
            continue;
        long n[OUT_N] = {0}, runs = 0, k = o.start, last_calls = 0;
        bool capped = true;
        for (long next; k <= o.max_k; k = next) {
            long nfail, calls, first;
            int out = run_one(w, &o, mode, k, &nfail, &calls, &first, &printed);
            /* calls before `first` were spared: the runs in between would fail it again */
            next = k + o.stride > first + 1 ? k + o.stride : first + 1;
            n[out]++;
            runs++;
            last_calls = calls;
            if (verbose)
                printf("%s k=%ld: %s (%ld injected, %ld calls)\n", mode ? "from" : "once", k,
                       out_names[out], nfail, calls);
            if (nfail == 0) { /* the whole workload ran before the k-th allocation */
                capped = false;
                break;
            }
        }
        failed += (int)n[OUT_FAIL];
        printf("%s, mode %s (the k-th allocation fails%s): k = %ld..%ld by %ld, %ld runs: "
               "%ld ok, %ld ok with a fallback message, %ld documented fatal, %ld FAILED%s "
               "(%ld allocations in the last run)\n",
               w->name, mode ? "from" : "once", mode ? ", and every one after it" : "", o.start,
               k, o.stride, runs, n[OUT_OK], n[OUT_FALLBACK], n[OUT_FATAL], n[OUT_FAIL],
               capped ? "; STOPPED at --max-k with failures still reached" : "", last_calls);
        if (capped)
            failed++;
    }
    symbolize();
    printf("%s: %d allocation sites reached (site <- entry point: outcomes of the runs whose "
           "first failure was there)\n", w->name, nsites);
    for (int s = 0; s < nsites; s++) {
        site *x = &sites[s];
        char nb[400];
        printf("  %-14s %s <- %s:", kind_names[x->kind], site_name(x, nb, sizeof nb),
               x->entry_fn);
        long any = 0;
        for (int m = 0; m < 2; m++) {
            long n = 0;
            for (int i = 0; i < OUT_N; i++)
                n += x->count[m][i];
            if (!n)
                continue;
            printf("%s %s:", any ? ";" : "", m ? "from" : "once");
            for (int i = 0, first = 1; i < OUT_N; i++)
                if (x->count[m][i]) {
                    printf("%s %ld %s", first ? "" : ",", x->count[m][i], out_names[i]);
                    first = 0;
                }
            any += n;
        }
        if (!any)
            printf(" reached %ld times, only after an earlier failure", x->reached);
        if (x->msg[0])
            printf(" [\"%s\"]", x->msg);
        printf("\n");
    }
    printf("%s: %s in %.1f s\n", w->name, failed ? "FAILED" : "passed", now_s() - t0);
    return failed ? 1 : 0;
}
