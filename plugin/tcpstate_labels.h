/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate labels: the tree's and the Info column's labels made once.
 *
 * Most of what the glue writes on a packet's tree is picked from a small
 * finite set: a stage, two endpoints' before/after states, a Zeek state, a
 * connection's outcome.  Formatting those with printf on every packet was
 * most of the rendering's own cost (issue 14).  ts_labels_init() makes,
 * once, from the message catalog's formats (tcpstate_text.def) and in both
 * languages, every piece those labels are made of; a packet's label is then
 * a few copies of known length.  The texts are exactly what the catalog's
 * formats give with snprintf (tests/test_labels.c checks every
 * combination; tests/render-check.py checks the tree against its fields).
 *
 * Plain C99, no Wireshark, no GLib: above the core, the catalog and the
 * Zeek names, below the glue.
 */
#ifndef TCPSTATE_LABELS_H
#define TCPSTATE_LABELS_H

#include <stddef.h>

#include "tcpstate_text.h"
#include "tcpstate_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Makes every piece (idempotent; the glue calls it at registration).
 * Returns 0 when a format of the catalog is not one it can split (then
 * every function below answers "not made", and the glue formats as
 * before). */
int ts_labels_init(void);

/* "Client: SYN-SENT -> ESTABLISHED" (role TS_CLIENT/TS_SERVER), or NULL
 * for a state out of range. */
const char *ts_label_endpoint(ts_lang lang, unsigned role, unsigned before, unsigned after);

/* "[Handshake 1/3: SYN]", or NULL for a stage out of range. */
const char *ts_label_info(ts_lang lang, unsigned stage, size_t *len);

/* The tree's header: title, then TX_TREE_HEADER_FMT with the stage and
 * both endpoints' before/after states.  Writes it NUL-terminated into buf
 * and returns its length; (size_t)-1 when a value is out of range or it
 * does not fit in cap. */
size_t ts_label_header(char *buf, size_t cap, ts_lang lang, unsigned stage,
                       unsigned client_before, unsigned client_after,
                       unsigned server_before, unsigned server_after);

/* TX_ZEEK_LINE_FMT: "Zeek: conn_state SF (...), history " then the
 * history's hist_len bytes, or TX_EMPTY when there are none. */
size_t ts_label_zeek(char *buf, size_t cap, ts_lang lang, unsigned zeek_state,
                     const char *hist, size_t hist_len);

/* TX_CONN_FINAL_FMT (final) or TX_CONN_SO_FAR_FMT, then the anomalies'
 * names joined by TX_LIST_SEP, or TX_NONE_WORD. */
size_t ts_label_conn(char *buf, size_t cap, ts_lang lang, int final, unsigned outcome,
                     unsigned client, unsigned server, unsigned zeek_state,
                     ts_anomaly_set anomalies);

/* TX_LABEL_TEXT_FMT with TX_LBL_EXPLANATION: "Explanation: " then the
 * len bytes at line (the explanation's first line; no NUL among them). */
size_t ts_label_explanation(char *buf, size_t cap, ts_lang lang, const char *line, size_t len);

/* TX_LABEL_VALUE_FMT: "Stage: Handshake 1/3: SYN" from the name and the
 * value as given (NUL-terminated). */
size_t ts_label_value(char *buf, size_t cap, ts_lang lang, const char *name, const char *value);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_LABELS_H */
