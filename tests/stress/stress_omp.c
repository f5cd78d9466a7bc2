/*
 * stress_omp.c - randomized stress of arayon's OpenMP layer (libarayon-omp.so).
 *
 * Several threads of the program (the initial one and up to --threads - 1 pthreads, each an
 * OpenMP root) run random OpenMP episodes at the same time (omp_work.c): parallel regions of
 * 1 to more-than-cores threads, nested regions, explicit tasks of every kind, taskgroups,
 * taskwait, dependences, cancellation, loops with every schedule, reductions with every
 * operator, single/master/critical/barrier, sections, ordered, locks, taskloop, and episodes
 * nested inside tasks and regions. Each episode checks its own results exactly.
 *
 * A run is a process. The program supervises its runs: for each it picks OpenMP and arayon
 * settings from the seed (OMP_CANCELLATION, OMP_MAX_ACTIVE_LEVELS, OMP_WAIT_POLICY,
 * KMP_BLOCKTIME, OMP_NUM_THREADS, ARAYON_MAX_PENDING / ARAYON_FULL_POLICY; a variable already
 * set in the environment is left as it is), starts itself as a child with
 * ARAYON_METRICS=json, and when the child has finished checks the layer pool's accounting from
 * that report: spawned = completed + failed + cancelled + timed_out, nothing pending, nothing
 * failed or timed out (OpenMP tasks have neither), nothing cancelled unless cancellation was
 * on. The child has the watchdog: without progress for --watchdog seconds it prints what each
 * thread was doing and every thread's backtrace (gdb), then aborts.
 *
 * Run with --help for the options; docs/stress.md describes how to replay a failure.
 */
#define _GNU_SOURCE
#include "omp_work.h"
#include "stress_rng.h"
#include "stress_util.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <omp.h>
#include <strings.h>

#define MAX_THREADS 8

typedef struct opts {
    uint64_t seed;
    bool seed_given;
    uint64_t run0;       /* first run index */
    uint64_t runs;       /* runs to do, 0 = as many as the time allows */
    uint64_t round0;     /* first round inside a run */
    uint64_t rounds;     /* rounds per run, 0 = as many as the run's time allows */
    double seconds;      /* time budget of the whole program */
    double run_seconds;  /* time budget of one run (child process) */
    unsigned busy;
    unsigned threads;    /* most threads running episodes at once */
    unsigned max_team;
    unsigned depth;
    unsigned scale;
    bool cancel;
    bool taskloop_reduction;
    bool no_block;
    bool no_cancel_parallel;
    bool no_sections;
    unsigned only;
    bool supervise;
    bool fixed_env;
    bool core;
    unsigned watchdog;
    int verbose;
} opts;

static opts O;

/* ---------------------------------------------------------------------------------------
 * The child: rounds of threads running episodes
 * ------------------------------------------------------------------------------------- */
typedef struct worker {
    pthread_t thread;
    unsigned index;
    uint64_t seed;
    unsigned episodes;
    ow_limits lim;
    _Atomic(const char *) current; /* episode now running (for the hang report) */
    _Atomic uint64_t current_seed;
    _Atomic unsigned done;
} worker;

static worker W[MAX_THREADS];
static _Atomic unsigned nworkers;
static _Atomic uint64_t cur_round;
static _Atomic uint64_t total_episodes;

static void dump_state(FILE *out)
{
    fprintf(out, "stress_omp: round %" PRIu64 ", %u threads; max-active-levels %d, cancellation "
                 "%d, runtime %s\n",
            atomic_load(&cur_round), atomic_load(&nworkers), omp_get_max_active_levels(),
            omp_get_cancellation(),
            dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name") ? "arayon" : "not arayon");
    for (unsigned i = 0; i < atomic_load(&nworkers); i++) {
        const char *c = atomic_load(&W[i].current);
        fprintf(out, "  thread %u: %u of %u episodes done; %s%s (episode seed %" PRIu64 ")\n", i,
                atomic_load(&W[i].done), W[i].episodes, c ? "in episode " : "idle",
                c ? c : "", atomic_load(&W[i].current_seed));
    }
    fprintf(out, "  (the OpenMP layer's workers are not visible from the program: see "
                 "docs/stress.md, \"What a hang report shows\")\n");
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    st_rng g;
    st_rng_init(&g, w->seed);
    char err[1024];
    for (unsigned e = 0; e < w->episodes; e++) {
        uint64_t s = st_next(&g);
        atomic_store(&w->current_seed, s);
        atomic_store(&w->current, ow_episode_name(s, &w->lim));
        if (ow_episode(s, &w->lim, err, sizeof err) != 0)
            st_fail("thread %u, episode %u (%s): %s", w->index, e, ow_episode_name(s, &w->lim),
                    err);
        atomic_store(&w->current, NULL);
        atomic_fetch_add(&w->done, 1);
        atomic_fetch_add(&total_episodes, 1);
        st_tick();
    }
    return NULL;
}

/* The options that change decisions, for the replay lines. */
static char replay_flags[512];

static void run_round(uint64_t run, uint64_t round)
{
    st_rng g;
    st_rng_init(&g, st_derive(O.seed, run, round));
    unsigned nt = 1 + st_below(&g, O.threads);
    unsigned levels = 1 + st_below(&g, 3);
    atomic_store(&cur_round, round);
    st_set_replay("%s --seed %" PRIu64 " --run %" PRIu64 " --round %" PRIu64 " --rounds 1 "
                  "--runs 1%s", st.argv0, O.seed, run, round, replay_flags);
    /* Set while no other thread runs OpenMP code (an ICV that may be per device). */
    omp_set_max_active_levels((int)levels);
    for (unsigned i = 0; i < nt; i++) {
        worker *w = &W[i];
        w->index = i;
        w->seed = st_next(&g);
        w->episodes = (unsigned)st_range(&g, 3, 3 + 12 * O.scale);
        w->lim.max_team = O.max_team;
        w->lim.max_depth = O.depth;
        w->lim.scale = O.scale;
        w->lim.cancel = O.cancel;
        w->lim.taskloop_reduction = O.taskloop_reduction;
        w->lim.only = O.only;
        w->lim.no_cancel_parallel = O.no_cancel_parallel;
        w->lim.no_sections = O.no_sections;
        atomic_store(&w->current, NULL);
        atomic_store(&w->done, 0);
    }
    atomic_store(&nworkers, nt);
    if (O.verbose)
        fprintf(stderr, "stress_omp: run %" PRIu64 " round %" PRIu64 ": %u threads, "
                        "max-active-levels %u\n", run, round, nt, levels);
    for (unsigned i = 1; i < nt; i++)
        if (pthread_create(&W[i].thread, NULL, worker_main, &W[i]) != 0)
            st_fail("pthread_create failed");
    worker_main(&W[0]); /* the initial thread takes part */
    for (unsigned i = 1; i < nt; i++)
        pthread_join(W[i].thread, NULL);
}

static int child_main(uint64_t run)
{
    if (!ST_SANITIZED) /* (the sanitizers report faults themselves) */
        st_fatal_signals(O.core);
    bool on_arayon = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name") != NULL;
    if (!on_arayon)
        fprintf(stderr, "stress_omp: note: not running on arayon's OpenMP layer\n");
    ow_set_tick(st_tick);
    st_watchdog_start(O.watchdog, dump_state);
    uint64_t t0 = st_now_ns();
    uint64_t budget = (uint64_t)(O.run_seconds * 1e9);
    uint64_t r = O.round0, done = 0;
    for (;; r++, done++) {
        if (O.rounds ? done >= O.rounds : done > 0 && st_now_ns() - t0 >= budget)
            break;
        run_round(run, r);
    }
    st_watchdog_stop();
    fprintf(stderr, "stress_omp: run %" PRIu64 ": %" PRIu64 " rounds, %" PRIu64 " episodes, all "
                    "checks passed (cancellation %s)\n",
            run, done, atomic_load(&total_episodes), omp_get_cancellation() ? "on" : "off");
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * The supervisor: one child process per run, its settings, its metrics report
 * ------------------------------------------------------------------------------------- */
/* The variables a run picked (unset again after it). */
static const char *picked[16];
static unsigned npicked;

/* name=value for the run, unless the caller's environment sets name (that value stays) or
 * --fixed-env; value NULL leaves it unset. Appends what is in force to desc. */
static void env_pick(char *desc, size_t n, const char *name, const char *value)
{
    size_t k = strlen(desc);
    const char *given = getenv(name);
    if (given) {
        snprintf(desc + k, n - k, " %s=%s (given)", name, given);
        return;
    }
    if (O.fixed_env || !value)
        return;
    setenv(name, value, 1);
    picked[npicked++] = name;
    snprintf(desc + k, n - k, " %s=%s", name, value);
}

/* An OpenMP boolean as the layer reads it (true, 1, yes, on; any case). */
static bool env_true(const char *name)
{
    const char *v = getenv(name);
    return v && (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") ||
                 !strcasecmp(v, "on"));
}

static bool json_u64(const char *json, const char *key, uint64_t *out)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    if (!p)
        return false;
    *out = strtoull(p + strlen(pat), NULL, 10);
    return true;
}

/* Checks one metrics report of the layer's pool; returns a complaint or NULL. */
static const char *check_report(const char *json, bool cancellation, char *why, size_t n)
{
    uint64_t sp, co, fa, ca, to, pe, rj;
    if (!json_u64(json, "spawned", &sp) || !json_u64(json, "completed", &co) ||
        !json_u64(json, "failed", &fa) || !json_u64(json, "cancelled", &ca) ||
        !json_u64(json, "timed_out", &to) || !json_u64(json, "pending", &pe) ||
        !json_u64(json, "rejected", &rj))
        return "the metrics report lacks a counter";
    snprintf(why, n, "spawned %" PRIu64 ", completed %" PRIu64 ", failed %" PRIu64
             ", cancelled %" PRIu64 ", timed_out %" PRIu64 ", pending %" PRIu64
             ", rejected %" PRIu64, sp, co, fa, ca, to, pe, rj);
    if (sp != co + fa + ca + to + pe)
        return "spawned != completed + failed + cancelled + timed_out + pending";
    if (pe != 0)
        return "tasks still pending at exit";
    if (fa != 0 || to != 0)
        return "OpenMP tasks counted as failed or timed out";
    if (ca != 0 && !cancellation)
        return "tasks cancelled without OMP_CANCELLATION";
    if (rj != 0)
        return "OpenMP tasks rejected (they cannot be refused)";
    return NULL;
}

static int supervise_run(const char *self, char **argv, uint64_t run, double seconds)
{
    st_rng g;
    st_rng_init(&g, st_derive(O.seed, run, 0xE57));
    char desc[1024] = "";
    static const char *policies[] = {"block", "inline"};
    static const char *waits[] = {NULL, "active", "passive"};
    char buf[6][32];
    /* Every draw is made whether or not it is used, so runs replay alike. */
    unsigned cancel = st_below(&g, 2), levels = 1 + st_below(&g, 3), wait = st_below(&g, 3),
             block = st_below(&g, 3), nthreads = st_below(&g, 5), pend = st_below(&g, 4),
             pol = st_below(&g, 2), pendn = 1 + st_below(&g, 64);
    env_pick(desc, sizeof desc, "OMP_CANCELLATION", O.cancel && cancel ? "true" : "false");
    snprintf(buf[0], sizeof buf[0], "%u", levels);
    env_pick(desc, sizeof desc, "OMP_MAX_ACTIVE_LEVELS", buf[0]);
    env_pick(desc, sizeof desc, "OMP_WAIT_POLICY", waits[wait]);
    env_pick(desc, sizeof desc, "KMP_BLOCKTIME", block == 0 ? "0" : NULL);
    snprintf(buf[1], sizeof buf[1], "%u", nthreads);
    env_pick(desc, sizeof desc, "OMP_NUM_THREADS", nthreads ? buf[1] : NULL);
    snprintf(buf[2], sizeof buf[2], "%u", pendn);
    env_pick(desc, sizeof desc, "ARAYON_MAX_PENDING", pend == 0 ? buf[2] : NULL);
    env_pick(desc, sizeof desc, "ARAYON_FULL_POLICY",
             pend == 0 ? policies[O.no_block ? 1 : pol] : NULL);
    setenv("ARAYON_METRICS", "json", 1);
    setenv("STRESS_OMP_CHILD", "1", 1);
    snprintf(buf[3], sizeof buf[3], "%" PRIu64, run);
    setenv("STRESS_OMP_RUN", buf[3], 1);
    snprintf(buf[4], sizeof buf[4], "%.3f", seconds);
    setenv("STRESS_OMP_RUN_SECONDS", buf[4], 1);
    fprintf(stderr, "stress_omp: run %" PRIu64 ":%s\n", run, desc[0] ? desc : " (environment as given)");

    int pfd[2];
    if (pipe(pfd) != 0)
        st_fail("pipe: %s", strerror(errno));
    pid_t c = fork();
    if (c < 0)
        st_fail("fork: %s", strerror(errno));
    if (c == 0) {
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execv(self, argv);
        fprintf(stderr, "stress_omp: cannot run %s: %s\n", self, strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    /* Forward the child's stderr, keeping the metrics report (one JSON object per line). */
    FILE *in = fdopen(pfd[0], "r");
    char *line = NULL, *report = NULL;
    size_t cap = 0;
    unsigned reports = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) > 0) {
        if (line[0] == '{') {
            free(report);
            report = strdup(line);
            reports++;
            continue;
        }
        fwrite(line, 1, (size_t)len, stderr);
    }
    free(line);
    fclose(in);
    int status = 0;
    while (waitpid(c, &status, 0) < 0 && errno == EINTR)
        ;
    unsetenv("STRESS_OMP_CHILD");
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        if (WIFSIGNALED(status))
            fprintf(stderr, "stress_omp: run %" PRIu64 " died with signal %d (%s)\n", run,
                    WTERMSIG(status), strsignal(WTERMSIG(status)));
        else
            fprintf(stderr, "stress_omp: run %" PRIu64 " failed (exit %d)\n", run,
                    WEXITSTATUS(status));
        fprintf(stderr, "stress_omp: replay: %s --seed %" PRIu64 " --run %" PRIu64
                        " --runs 1%s\n", st.argv0, O.seed, run, replay_flags);
        free(report);
        return 1;
    }
    int rc = 0;
    char why[512] = "";
    if (!report) {
        fprintf(stderr, "stress_omp: run %" PRIu64 ": no metrics report from the child "
                        "(is it running on arayon?)\n", run);
        rc = 1;
    } else {
        bool cancellation = env_true("OMP_CANCELLATION");
        const char *bad = check_report(report, cancellation, why, sizeof why);
        if (bad || reports != 1) {
            fprintf(stderr, "stress_omp: FAILED: run %" PRIu64 ": %s (%u reports)\n  %s\n"
                            "stress_omp: replay: %s --seed %" PRIu64 " --run %" PRIu64 " --runs 1%s\n",
                    run, bad ? bad : "more than one pool report", reports, why, st.argv0,
                    O.seed, run, replay_flags);
            rc = 1;
        } else if (O.verbose) {
            fprintf(stderr, "stress_omp: run %" PRIu64 " metrics: %s\n", run, why);
        }
    }
    free(report);
    /* the caller's environment again for the next run's picks */
    for (unsigned i = 0; i < npicked; i++)
        unsetenv(picked[i]);
    npicked = 0;
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * Command line
 * ------------------------------------------------------------------------------------- */
static void usage(FILE *out, const char *argv0)
{
    fprintf(out,
        "usage: %s [options]\n"
        "Randomized stress of arayon's OpenMP layer: threads running random OpenMP episodes\n"
        "(regions, nesting, tasks, taskgroups, dependences, cancellation, loops of every\n"
        "schedule, reductions, single/critical/barrier, ...) that check their own results.\n"
        "\n"
        "  --seed S        seed of every decision (default: from the clock; printed)\n"
        "  --seconds T     time budget of the short mode (default 4)\n"
        "  --minutes M     long mode: run for M minutes (runs of --run-seconds each)\n"
        "  --run-seconds T length of one run, a process with its own settings (default:\n"
        "                  the budget, at most 30 in long mode)\n"
        "  --run R         first run index (replay: --seed S --run R --runs 1)\n"
        "  --runs N        number of runs (default: as many as the budget allows)\n"
        "  --round K       first round inside a run (replay of one round)\n"
        "  --rounds N      rounds per run (default: as many as the run's time allows)\n"
        "  --busy K        start K spinning processes (preemption), killed at the end\n"
        "  --threads N     most threads running episodes at once (1..%d, default 4)\n"
        "  --max-team N    largest num_threads clause (default: 2 x cores + 3, at most 64)\n"
        "  --depth D       episodes nested in tasks and regions (default 2)\n"
        "  --scale N       work per episode (default 1, long mode 3)\n"
        "  --no-cancel     never use the cancel constructs\n"
        "  --no-taskloop-reduction  no taskloop with a reduction clause (fault 6:\n"
        "                  docs/stress.md)\n"
        "  --no-block      runs with ARAYON_MAX_PENDING use ARAYON_FULL_POLICY=inline only\n"
        "                  (fault 7: docs/stress.md)\n"
        "  --no-cancel-parallel  no \"cancel parallel\" (fault 9, fixed; libomp 14 hangs\n"
        "                  on clang's code for it: docs/stress.md)\n"
        "  --no-sections   no sections construct (fault 10, a TSan report: docs/stress.md)\n"
        "  --only LIST     only these episodes: team loop reduce tasks fib taskgroup depend\n"
        "                  cancel nested taskloop misc recursive\n"
        "  --fixed-env     do not pick OMP_* / ARAYON_* settings per run\n"
        "  --no-supervise  run the rounds in this process, without the metrics check\n"
        "  --watchdog S    report a hang after S seconds without progress (default 60, 0 = off)\n"
        "  --no-gdb        no backtraces in a hang or crash report\n"
        "  --core          a crash also dumps core (raises the core size limit)\n"
        "  -v, --verbose   a line per round\n"
        "  -h, --help      this text\n",
        argv0, MAX_THREADS);
}

static void parse(int argc, char **argv)
{
    O.seconds = 4;
    O.threads = 4;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    O.max_team = (unsigned)(cpus > 0 ? 2 * cpus + 3 : 7);
    O.depth = 2;
    O.scale = 0;
    O.cancel = true;
    O.taskloop_reduction = true;
    O.supervise = true;
    O.watchdog = 60;
    double minutes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x = 0;
#define NEEDS_NUM()                                                                         \
    do {                                                                                    \
        if (!st_parse_u64(v, &x)) {                                                         \
            fprintf(stderr, "%s: %s needs a number\n", argv[0], a);                         \
            exit(2);                                                                        \
        }                                                                                   \
        i++;                                                                                \
    } while (0)
        if (!strcmp(a, "--seed")) {
            NEEDS_NUM();
            O.seed = x;
            O.seed_given = true;
        } else if (!strcmp(a, "--seconds")) {
            NEEDS_NUM();
            O.seconds = (double)x;
        } else if (!strcmp(a, "--minutes")) {
            NEEDS_NUM();
            minutes = (double)x;
        } else if (!strcmp(a, "--run-seconds")) {
            NEEDS_NUM();
            O.run_seconds = (double)x;
        } else if (!strcmp(a, "--run")) {
            NEEDS_NUM();
            O.run0 = x;
        } else if (!strcmp(a, "--runs")) {
            NEEDS_NUM();
            O.runs = x;
        } else if (!strcmp(a, "--round")) {
            NEEDS_NUM();
            O.round0 = x;
        } else if (!strcmp(a, "--rounds")) {
            NEEDS_NUM();
            O.rounds = x;
        } else if (!strcmp(a, "--busy")) {
            NEEDS_NUM();
            O.busy = (unsigned)x;
        } else if (!strcmp(a, "--threads")) {
            NEEDS_NUM();
            O.threads = x < 1 ? 1 : x > MAX_THREADS ? MAX_THREADS : (unsigned)x;
        } else if (!strcmp(a, "--max-team")) {
            NEEDS_NUM();
            O.max_team = x < 1 ? 1 : x > 64 ? 64 : (unsigned)x;
        } else if (!strcmp(a, "--depth")) {
            NEEDS_NUM();
            O.depth = (unsigned)x;
        } else if (!strcmp(a, "--scale")) {
            NEEDS_NUM();
            O.scale = x < 1 ? 1 : (unsigned)x;
        } else if (!strcmp(a, "--watchdog")) {
            NEEDS_NUM();
            O.watchdog = (unsigned)x;
        } else if (!strcmp(a, "--no-cancel")) {
            O.cancel = false;
        } else if (!strcmp(a, "--no-taskloop-reduction")) {
            O.taskloop_reduction = false;
        } else if (!strcmp(a, "--no-block")) {
            O.no_block = true;
        } else if (!strcmp(a, "--no-cancel-parallel")) {
            O.no_cancel_parallel = true;
        } else if (!strcmp(a, "--no-sections")) {
            O.no_sections = true;
        } else if (!strcmp(a, "--only")) {
            if (!v) {
                fprintf(stderr, "%s: --only needs a list of episodes\n", argv[0]);
                exit(2);
            }
            i++;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
                 t = strtok_r(NULL, ",", &save)) {
                unsigned k = 0;
                while (ow_kind_name(k) && strcmp(ow_kind_name(k), t))
                    k++;
                if (!ow_kind_name(k)) {
                    fprintf(stderr, "%s: unknown episode '%s'\n", argv[0], t);
                    exit(2);
                }
                O.only |= 1u << k;
            }
        } else if (!strcmp(a, "--fixed-env")) {
            O.fixed_env = true;
        } else if (!strcmp(a, "--no-supervise")) {
            O.supervise = false;
        } else if (!strcmp(a, "--no-gdb")) {
            st_opt_gdb = false;
        } else if (!strcmp(a, "--core")) {
            O.core = true;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            O.verbose++;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, argv[0]);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown option %s\n", argv[0], a);
            usage(stderr, argv[0]);
            exit(2);
        }
#undef NEEDS_NUM
    }
    if (minutes > 0) {
        O.seconds = minutes * 60;
        if (!O.scale)
            O.scale = 3;
        if (!O.run_seconds)
            O.run_seconds = 30;
    }
    if (!O.scale)
        O.scale = 1;
    if (!O.run_seconds || O.run_seconds > O.seconds)
        O.run_seconds = O.seconds;
    if (!O.seed_given)
        O.seed = st_random_seed();
    size_t k = (size_t)snprintf(replay_flags, sizeof replay_flags,
                                " --threads %u --max-team %u --depth %u --scale %u%s%s%s",
                                O.threads, O.max_team, O.depth, O.scale,
                                O.cancel ? "" : " --no-cancel",
                                O.taskloop_reduction ? "" : " --no-taskloop-reduction",
                                O.no_block ? " --no-block" : "");
    if (O.no_cancel_parallel)
        k += (size_t)snprintf(replay_flags + k, sizeof replay_flags - k, " --no-cancel-parallel");
    if (O.no_sections)
        k += (size_t)snprintf(replay_flags + k, sizeof replay_flags - k, " --no-sections");
    if (O.fixed_env)
        k += (size_t)snprintf(replay_flags + k, sizeof replay_flags - k, " --fixed-env");
    for (unsigned i = 0, first = 1; O.only && ow_kind_name(i) && k < sizeof replay_flags; i++)
        if (O.only >> i & 1u) {
            k += (size_t)snprintf(replay_flags + k, sizeof replay_flags - k, "%s%s",
                                  first ? " --only " : ",", ow_kind_name(i));
            first = 0;
        }
}

int main(int argc, char **argv)
{
    parse(argc, argv);
    st_init(argv[0], O.seed);
    const char *child = getenv("STRESS_OMP_CHILD");
    if (child && !strcmp(child, "1")) {
        uint64_t run = 0;
        st_parse_u64(getenv("STRESS_OMP_RUN"), &run);
        const char *rs = getenv("STRESS_OMP_RUN_SECONDS");
        if (rs)
            O.run_seconds = atof(rs);
        return child_main(run);
    }
    fprintf(stderr, "stress_omp: seed %" PRIu64 " (replay: %s --seed %" PRIu64 "), %.0f s, "
                    "%u threads, teams up to %u, build %s\n",
            O.seed, argv[0], O.seed, O.seconds, O.threads, O.max_team, ST_BUILD_NAME);
    if (O.busy && st_busy_start(O.busy) != 0)
        fprintf(stderr, "stress_omp: could not start the busy processes\n");
    if (!O.supervise) {
        int rc = child_main(O.run0);
        st_busy_stop();
        return rc;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "stress_omp: cannot find my own executable\n");
        return 1;
    }
    self[n] = 0;
    uint64_t t0 = st_now_ns(), budget = (uint64_t)(O.seconds * 1e9);
    uint64_t run = O.run0, done = 0;
    int rc = 0;
    for (;; run++, done++) {
        uint64_t now = st_now_ns() - t0;
        if (O.runs ? done >= O.runs : done > 0 && now >= budget)
            break;
        double left = O.runs ? O.run_seconds : (double)(budget - (now < budget ? now : budget)) / 1e9;
        double secs = left < O.run_seconds ? left : O.run_seconds;
        if (secs < 1)
            secs = 1;
        if (supervise_run(self, argv, run, secs) != 0) {
            rc = 1;
            break;
        }
    }
    st_busy_stop();
    if (rc == 0)
        fprintf(stderr, "stress_omp: OK: %" PRIu64 " runs in %.1f s (seed %" PRIu64 ")\n", done,
                (double)(st_now_ns() - t0) / 1e9, O.seed);
    else
        fprintf(stderr, "stress_omp: FAILED (seed %" PRIu64 ")\n", O.seed);
    return rc;
}
