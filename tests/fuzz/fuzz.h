/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz share: the entry points libFuzzer calls,
 * a reader that takes typed values off the front of an input, the "NAME=value" records the
 * environment targets read, and the check that turns a broken promise of a parser into a
 * crash that libFuzzer records. docs/fuzzing.md says how to run the targets.
 */
#ifndef ARY_FUZZ_H
#define ARY_FUZZ_H

#include <sanitizer/common_interface_defs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed check is a finding like a sanitizer report: the summary line names it (it goes
 * where the sanitizers report, which -close_fd_mask=2 keeps open), abort() gives libFuzzer
 * the stack and the input. */
#define FZ_CHECK(cond, ...)                                                                 \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            char fz_msg_[512];                                                              \
            int fz_n_ = snprintf(fz_msg_, sizeof fz_msg_, "arayon-fuzz: %s:%d: check failed: " \
                                 "%s: ", __FILE__, __LINE__, #cond);                        \
            if (fz_n_ > 0 && (size_t)fz_n_ < sizeof fz_msg_)                                \
                snprintf(fz_msg_ + fz_n_, sizeof fz_msg_ - (size_t)fz_n_, __VA_ARGS__);     \
            __sanitizer_report_error_summary(fz_msg_);                                      \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* ---- typed values off the front of an input; zeros once it is used up ---- */
typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline uint8_t fz_u8(fz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint64_t fz_uint(fz_in *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)fz_u8(in) << (8 * i);
    return v;
}

/* The rest of the input as a C string (up to the first NUL: environment values and the
 * strings the runtime is given cannot hold one). Free it. */
static inline char *fz_rest_str(fz_in *in)
{
    size_t n = 0;
    while (n < in->n && in->p[n])
        n++;
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, in->p, n);
    s[n] = '\0';
    in->p += in->n;
    in->n = 0;
    return s;
}

/* ---- environment records ----
 * An input of the environment targets is a list of lines. A line "NAME=value" whose NAME is
 * one of the target's variables sets that variable to value; any other line picks the
 * variable by its first byte (modulo the table size) and the rest of the line is the value.
 * So the corpus stays readable while mutations that break a name still set some variable.
 * A value cannot hold a newline or a NUL (it ends at either). At most FZ_MAX_RECORDS lines
 * count; a later line for the same variable wins, as a second setenv would. */
#define FZ_MAX_RECORDS 16

typedef struct fz_record {
    unsigned var;  /* index in the target's table */
    char *value;   /* malloc'ed */
} fz_record;

static inline unsigned fz_parse_records(const uint8_t *data, size_t size,
                                        const char *const *names, unsigned nnames,
                                        fz_record *out)
{
    unsigned k = 0;
    size_t i = 0;
    while (i < size && k < FZ_MAX_RECORDS) {
        size_t e = i;
        while (e < size && data[e] != '\n')
            e++;
        const uint8_t *line = data + i;
        size_t len = e - i;
        i = e + 1;
        if (!len)
            continue;
        const uint8_t *eq = memchr(line, '=', len);
        unsigned var = nnames;
        size_t vstart = 1;
        if (eq) {
            size_t nl = (size_t)(eq - line);
            for (unsigned v = 0; v < nnames; v++) {
                if (strlen(names[v]) == nl && !memcmp(names[v], line, nl)) {
                    var = v;
                    vstart = nl + 1;
                    break;
                }
            }
        }
        if (var == nnames)
            var = line[0] % nnames;
        size_t vl = 0;
        while (vstart + vl < len && line[vstart + vl])
            vl++;
        char *v = malloc(vl + 1);
        if (!v)
            abort();
        memcpy(v, line + vstart, vl);
        v[vl] = '\0';
        out[k].var = var;
        out[k].value = v;
        k++;
    }
    return k;
}

static inline void fz_free_records(fz_record *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(r[i].value);
}

/* Clears every variable of the table (the environment the fuzzer was started in must not
 * leak into the runs: each input sets what it wants, and nothing else is set). */
static inline void fz_unset_all(const char *const *names, unsigned nnames)
{
    for (unsigned v = 0; v < nnames; v++)
        unsetenv(names[v]);
}

#endif
