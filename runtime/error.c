/* error.c - error names and messages, generated from ARAYON_ERRNO_MAP (arayon.h). */
#include "internal.h"

const char *arayon_strerror(int err)
{
    switch (err) {
    case ARAYON_OK: return "success";
#define X(name, val, msg) case ARAYON_##name: return msg;
        ARAYON_ERRNO_MAP(X)
#undef X
    default: return "unknown error";
    }
}

const char *arayon_errname(int err)
{
    switch (err) {
    case ARAYON_OK: return "ARAYON_OK";
#define X(name, val, msg) case ARAYON_##name: return "ARAYON_" #name;
        ARAYON_ERRNO_MAP(X)
#undef X
    default: return "ARAYON_E?";
    }
}

const char *arayon_version(void) { return ARAYON_VERSION_STRING; }
