/* strbuf.c - see strbuf.h. */
#include "internal.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ary_sb_printf(ary_sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

int ary_sb_flush(ary_sbuf *b, arayon_write_fn write, void *ctx)
{
    if (b->oom)
        return ARAYON_ENOMEM;
    if (b->len && write(b->p, b->len, ctx) != 0)
        return ARAYON_EFAILED;
    b->len = 0;
    return ARAYON_OK;
}

void ary_sb_free(ary_sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
