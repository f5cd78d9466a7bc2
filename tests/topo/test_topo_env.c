/*
 * test_topo_env.c - the default topology follows hwloc's own environment variables, which
 * CTest sets for each mode (they must be set before the first open, hence one process each):
 *
 *   xml-missing    HWLOC_XMLFILE=/nonexistent.xml: hwloc cannot load it (and would quietly
 *                  use this machine): a flat one-node topology, said once on stderr
 *   synthetic-bad  HWLOC_SYNTHETIC=<malformed>: the same
 *   synthetic      HWLOC_SYNTHETIC="pack:2 numa:1 core:3 pu:2": that machine, not this
 *                  system (no binding), and the process-wide counts follow it
 *
 * In every mode an explicit cfg->topology still wins over the environment.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "topo.h"
#include "topo_check.h"

extern unsigned ary_topo_num_pus(void);
extern unsigned ary_topo_num_cores(void);

static int saved_fd = -1;
static char cap_path[] = "/tmp/arayon-topo-stderr-XXXXXX";

static void capture_stderr(void)
{
    fflush(stderr);
    int fd = mkstemp(cap_path);
    CHECK(fd >= 0);
    saved_fd = dup(2);
    CHECK(saved_fd >= 0);
    CHECK(dup2(fd, 2) == 2);
    close(fd);
}

/* Restores stderr and returns what was written to it (malloc'd). */
static char *release_stderr(void)
{
    fflush(stderr);
    CHECK(dup2(saved_fd, 2) == 2);
    close(saved_fd);
    FILE *f = fopen(cap_path, "r");
    CHECK(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(cap_path);
    char *s = strdup(buf);
    CHECK(s);
    fprintf(stderr, "   captured stderr:\n%s", s);
    return s;
}

static void check_flat(const char *var)
{
    int allowed = test_affinity(NULL, NULL);
    capture_stderr();
    ary_topo *t = NULL, *t2 = NULL;
    int rc = ary_topo_open(NULL, &t);
    int rc2 = ary_topo_open(NULL, &t2); /* the message comes once */
    unsigned num_pus = ary_topo_num_pus();
    char *err = release_stderr();
    CHECK_OK(rc);
    CHECK_OK(rc2);
    CHECK_EQ(test_count(err, "arayon: "), 1);
    CHECK_MSG(strstr(err, var) && strstr(err, "flat topology"), "message: %s", err);
    free(err);

    CHECK(ary_topo_is_this_system(t)); /* built from sched_getaffinity */
    CHECK_EQ(ary_topo_pus(t), allowed);
    CHECK_EQ(ary_topo_cores(t), allowed);
    CHECK_EQ(num_pus, allowed);
    CHECK_EQ(ary_topo_num_cores(), allowed);

    /* The pool still works: one node of unknown OS index, and CLOSE binds. */
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.bind = ARAYON_BIND_CLOSE;
    ary_placement pl;
    CHECK_OK(ary_topo_place(t, &cfg, (unsigned)allowed + 1, &pl));
    check_placement(&pl, (unsigned)allowed + 1);
    CHECK_EQ(pl.nnodes, 1);
    CHECK_EQ(pl.node_os_index[0], -1);
    CHECK(pl.bind);
    CHECK_EQ(ary_topo_current_node(t, &pl), 0);
    char mem[64];
    CHECK_RC(ary_topo_membind(t, &pl, mem, sizeof mem, 0), ARAYON_ENOTSUP);
    test_text out = {0};
    CHECK_OK(ary_topo_print(t, &pl, NULL, test_text_write, &out));
    CHECK_MSG(strstr(out.p, "flat: ") && strstr(out.p, "  worker 0: PU"), "%s", out.p);
    test_text_free(&out);
    ary_placement_free(&pl);
    ary_topo_close(t);
    ary_topo_close(t2);
}

static void check_synthetic_env(void)
{
    capture_stderr();
    ary_topo *t = NULL;
    int rc = ary_topo_open(NULL, &t);
    char *err = release_stderr();
    CHECK_OK(rc);
    CHECK_EQ(test_count(err, "arayon: "), 0);
    free(err);
    CHECK(!ary_topo_is_this_system(t));
    CHECK_EQ(ary_topo_pus(t), 12);
    CHECK_EQ(ary_topo_cores(t), 6);
    CHECK_EQ(ary_topo_num_pus(), 12);
    CHECK_EQ(ary_topo_num_cores(), 6);
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.bind = ARAYON_BIND_CLOSE;
    ary_placement pl;
    CHECK_OK(ary_topo_place(t, &cfg, 12, &pl));
    check_placement(&pl, 12);
    CHECK_EQ(pl.nnodes, 2);
    CHECK(!pl.bind);
    test_text out = {0};
    CHECK_OK(ary_topo_print(t, &pl, NULL, test_text_write, &out));
    CHECK_MSG(strstr(out.p, "HWLOC_SYNTHETIC"), "%s", out.p);
    test_text_free(&out);
    ary_placement_free(&pl);
    ary_topo_close(t);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "xml-missing")) {
        test_phase("HWLOC_XMLFILE missing");
        CHECK(getenv("HWLOC_XMLFILE"));
        check_flat("HWLOC_XMLFILE");
    } else if (!strcmp(mode, "synthetic-bad")) {
        test_phase("HWLOC_SYNTHETIC malformed");
        CHECK(getenv("HWLOC_SYNTHETIC"));
        check_flat("HWLOC_SYNTHETIC");
    } else if (!strcmp(mode, "synthetic")) {
        test_phase("HWLOC_SYNTHETIC");
        CHECK(getenv("HWLOC_SYNTHETIC"));
        check_synthetic_env();
    } else {
        fprintf(stderr, "usage: %s xml-missing|synthetic-bad|synthetic\n", argv[0]);
        return 2;
    }
    test_phase("explicit topology wins over the environment");
    arayon_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.topology = "synthetic:numa:2 core:2 pu:1";
    ary_topo *t = NULL;
    CHECK_OK(ary_topo_open(&cfg, &t));
    CHECK_EQ(ary_topo_pus(t), 4);
    ary_topo_close(t);
    cfg.topology = "xml:/nonexistent.xml";
    CHECK_RC(ary_topo_open(&cfg, &t), ARAYON_EINVAL);
    fprintf(stderr, "-- all passed\n");
    return 0;
}
