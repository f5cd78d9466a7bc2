/* strbuf.h - a growable text buffer for the printers (metrics.c, placement.c). */
#ifndef ARY_STRBUF_H
#define ARY_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "arayon.h"

typedef struct ary_sbuf {
    char *p;
    size_t len, cap;
    bool oom; /* an allocation failed: later appends are ignored, flush says ENOMEM */
} ary_sbuf;

/* Appends formatted text, growing the buffer. */
void ary_sb_printf(ary_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the text to write and empties the buffer (keeps its memory). ARAYON_OK, ENOMEM (an
 * append failed) or EFAILED (write returned non-zero). */
int ary_sb_flush(ary_sbuf *b, arayon_write_fn write, void *ctx);
void ary_sb_free(ary_sbuf *b);

#endif
