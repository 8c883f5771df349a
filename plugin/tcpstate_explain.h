/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate explanations: the plain-words account of one segment, in English
 * or Simplified Chinese, read off the core's record and connection.
 * Plain C99 (tcpstate_explain.c); above the core, below the glue.
 */
#ifndef TCPSTATE_EXPLAIN_H
#define TCPSTATE_EXPLAIN_H

#include <stddef.h>

#include "tcpstate_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes one or two sentences about the segment: what it does, the
 * transitions on each side and the seq/ack arithmetic (relative and raw).
 * Returns the number of bytes written (always NUL-terminated). */
size_t ts_explain(const ts_record *r, const ts_segment *seg, ts_lang lang,
                  int analogy, char *buf, size_t bufsize);

/* Whether {name} (len bytes, without the braces) is a field the templates
 * of the message catalog may use: for the catalog's test. */
int ts_explain_knows_field(const char *name, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_EXPLAIN_H */
