/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Zeek-compatible connection verdicts: conn_state and history, computed
 * from the same segment facts as the RFC 9293 model but following Zeek's
 * own rules (TCP_Endpoint states, history letters, conn_state mapping).
 * Plain C99, no Wireshark or GLib header.
 */
#ifndef TCPSTATE_ZEEK_H
#define TCPSTATE_ZEEK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ts_segment_s; /* see tcpstate_core.h: ts_segment */

#define TS_ZEEK_HISTORY_MAX 63

/* Zeek's conn_state values, in the order of its documentation. */
#define TS_ZEEK_STATE_LIST(X)                                                                   \
    X(TS_ZK_S0,     "S0",     "Connection attempt seen, no reply")                              \
    X(TS_ZK_S1,     "S1",     "Connection established, not terminated")                        \
    X(TS_ZK_SF,     "SF",     "Normal establishment and termination")                          \
    X(TS_ZK_REJ,    "REJ",    "Connection attempt rejected")                                   \
    X(TS_ZK_S2,     "S2",     "Established, close attempt by originator seen (no reply)")       \
    X(TS_ZK_S3,     "S3",     "Established, close attempt by responder seen (no reply)")        \
    X(TS_ZK_RSTO,   "RSTO",   "Established, originator aborted (sent a RST)")                   \
    X(TS_ZK_RSTR,   "RSTR",   "Responder sent a RST")                                           \
    X(TS_ZK_RSTOS0, "RSTOS0", "Originator sent a SYN followed by a RST, no SYN-ACK seen")       \
    X(TS_ZK_RSTRH,  "RSTRH",  "Responder sent a SYN-ACK followed by a RST, no SYN seen")        \
    X(TS_ZK_SH,     "SH",     "Originator sent a SYN followed by a FIN, no SYN-ACK seen")       \
    X(TS_ZK_SHR,    "SHR",    "Responder sent a SYN-ACK followed by a FIN, no SYN seen")        \
    X(TS_ZK_OTH,    "OTH",    "No SYN seen, just midstream traffic")

typedef enum {
#define TS_X_ENUM(id, name, desc) id,
    TS_ZEEK_STATE_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_ZK_COUNT
} ts_zeek_state;

const char *ts_zeek_state_name(unsigned st);
const char *ts_zeek_state_desc(unsigned st);

/* Per-connection Zeek bookkeeping.  Internals are private to tcpstate_zeek.c. */
typedef struct {
    uint8_t  ep_state[2];     /* Zeek TCP_Endpoint state, [0] = originator */
    uint8_t  orig_is_a;       /* endpoint A (first seen) is Zeek's originator */
    uint8_t  started;
    uint8_t  hist_len;
    char     history[TS_ZEEK_HISTORY_MAX + 1];
    uint32_t once_mask;       /* letters already recorded once per direction */
    uint32_t counts[2][8];    /* repetition counters for threshold letters */
    uint32_t last_seq[2][8];  /* last sequence number per repeatable letter */
    uint32_t isn[2];
    uint32_t max_seq[2];      /* highest seq + len seen per direction */
    uint32_t max_ack[2];
    uint8_t  isn_known[2];
    uint8_t  seen[2];
} ts_zeek;

void ts_zeek_init(ts_zeek *z);
/* Feeds one segment (struct ts_segment from tcpstate_core.h). */
void ts_zeek_segment(ts_zeek *z, const struct ts_segment_s *seg);
ts_zeek_state ts_zeek_conn_state(const ts_zeek *z);
/* History string as of now; NUL-terminated, length in hist_len. */
static inline const char *ts_zeek_history(const ts_zeek *z) { return z->history; }

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_ZEEK_H */
