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

/* One endpoint as Zeek's TCP_Endpoint sees it.  Private to tcpstate_zeek.c.
 * Sequence fields are absolute (start, last, ack) or relative to start
 * (the others), kept modulo 2^32. */
typedef struct {
    uint32_t start, last, ack;     /* Zeek's start_seq, last_seq, ack_seq */
    uint32_t last_syn, last_fin, last_rst; /* relative seq of the last S/H, F, R */
    uint32_t fin_end;              /* relative seq one past its FIN (FIN_seq) */
    uint32_t n_chk, n_rxmit, n_win0, n_gap; /* counters for C, T, W, G */
    uint32_t reassem;              /* relative seq: data delivered (or given up) below */
    uint32_t blk_lo, blk_hi;       /* one data block buffered above a hole */
    uint8_t  state, prev_state;    /* TS_ZEP_* (Zeek's EndpointState) */
    uint8_t  fin_seen, has_blk;
} ts_zeek_endpoint;

/* flags bit: the history was rewritten from "H" to "^h" (see below). */
#define TS_ZEEK_LATE_FLIP 0x08u

/* Per-connection Zeek bookkeeping.  Internals are private to tcpstate_zeek.c;
 * the core reads only hist_len and history. */
typedef struct {
    ts_zeek_endpoint ep[2];   /* [0] = endpoint A (first seen), [1] = B */
    uint32_t hist_seen;       /* Zeek's once-per-direction letter mask */
    uint8_t  orig_is_a;       /* endpoint A is Zeek's originator (now) */
    uint8_t  started;
    uint8_t  hist_len;
    uint8_t  flags;           /* TS_ZF_* in tcpstate_zeek.c, and TS_ZEEK_LATE_FLIP */
    char     history[TS_ZEEK_HISTORY_MAX + 1];
} ts_zeek;

void ts_zeek_init(ts_zeek *z);
/* Feeds one segment (struct ts_segment from tcpstate_core.h). */
void ts_zeek_segment(ts_zeek *z, const struct ts_segment_s *seg);
ts_zeek_state ts_zeek_conn_state(const ts_zeek *z);
/* History string as of now; NUL-terminated, length in hist_len. */
static inline const char *ts_zeek_history(const ts_zeek *z) { return z->history; }

/* Length of the history to show for a packet whose recorded hist_len was
 * rec_len.  Letters are only ever appended, with one exception that Zeek
 * itself makes: a connection whose history is exactly "H" (it began with a
 * SYN-ACK) is flipped when the first pure ACK or data packet arrives, and
 * "H" becomes "^h" (TCP_Endpoint::CheckHistory).  Packets recorded before
 * that flip have rec_len 1; they are shown as "^h", the same SYN-ACK read
 * with the final roles, instead of the bare "^". */
static inline unsigned ts_zeek_history_len_at(const ts_zeek *z, unsigned rec_len)
{
    return (rec_len == 1 && (z->flags & TS_ZEEK_LATE_FLIP) && z->hist_len >= 2) ? 2u : rec_len;
}

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_ZEEK_H */
