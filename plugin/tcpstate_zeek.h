/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Zeek-compatible connection verdicts: conn_state and history, computed
 * from the same segment facts as the RFC 9293 model but following Zeek's
 * own rules (TCP_Endpoint states, history letters, conn_state mapping).
 * Plain C99, no Wireshark or GLib header.
 */
#ifndef TCPSTATE_ZEEK_H
#define TCPSTATE_ZEEK_H

#include <stddef.h>
#include <stdint.h>

#include "tcpstate_types.h"   /* ts_lang: tcpstate_text.h, through it */

#ifdef __cplusplus
extern "C" {
#endif

#define TS_ZEEK_HISTORY_MAX 63
/* Letters kept inside ts_zeek; a longer history moves to ts_zeek.more. */
#define TS_ZEEK_HISTORY_INLINE 15
/* Out-of-order data blocks kept per endpoint (Zeek keeps them all; see
 * "Content gaps" in tcpstate_zeek.c for what happens past this bound). */
#define TS_ZEEK_BLOCKS 3

/* Zeek's conn_state values, in the order of its documentation. */
#define TS_ZEEK_STATE_LIST(X)               \
    X(TS_ZK_S0,     "S0",     TX_ZK_S0)     \
    X(TS_ZK_S1,     "S1",     TX_ZK_S1)     \
    X(TS_ZK_SF,     "SF",     TX_ZK_SF)     \
    X(TS_ZK_REJ,    "REJ",    TX_ZK_REJ)    \
    X(TS_ZK_S2,     "S2",     TX_ZK_S2)     \
    X(TS_ZK_S3,     "S3",     TX_ZK_S3)     \
    X(TS_ZK_RSTO,   "RSTO",   TX_ZK_RSTO)   \
    X(TS_ZK_RSTR,   "RSTR",   TX_ZK_RSTR)   \
    X(TS_ZK_RSTOS0, "RSTOS0", TX_ZK_RSTOS0) \
    X(TS_ZK_RSTRH,  "RSTRH",  TX_ZK_RSTRH)  \
    X(TS_ZK_SH,     "SH",     TX_ZK_SH)     \
    X(TS_ZK_SHR,    "SHR",    TX_ZK_SHR)    \
    X(TS_ZK_OTH,    "OTH",    TX_ZK_OTH)

typedef enum {
#define TS_X_ENUM(id, name, text) id,
    TS_ZEEK_STATE_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_ZK_COUNT
} ts_zeek_state;

const char *ts_zeek_state_name(unsigned st);
const char *ts_zeek_state_desc(unsigned st);                  /* English */
const char *ts_zeek_state_desc_in(unsigned st, ts_lang lang);

/* One endpoint as Zeek's TCP_Endpoint sees it.  Private to tcpstate_zeek.c.
 * Sequence fields are absolute (start, last, ack) or relative to start
 * (the others), kept modulo 2^32. */
typedef struct {
    uint32_t start, last, ack;     /* Zeek's start_seq, last_seq, ack_seq */
    uint32_t last_syn, last_fin, last_rst; /* relative seq of the last S/H, F, R */
    uint32_t fin_end;              /* relative seq one past its FIN (FIN_seq) */
    uint32_t n_rxmit;              /* counter for T (C, W, G: ts_zeek.more) */
    uint32_t reassem;              /* relative seq: data delivered (or given up) below;
                                    * data above holes and gaps: ts_zeek.more */
    uint32_t pkts;                 /* packets Zeek's ConnSize counted from it */
    uint32_t ip_bytes_lo;          /* their IP total lengths, low 32 bits (the high
                                    * ones, past 4 GiB: ts_zeek.more) */
    uint8_t  state, prev_state;    /* TS_ZEP_* (Zeek's EndpointState) */
    uint8_t  fin_seen;
    uint8_t  did_close;            /* Zeek's did_close: ConnectionClosed ran for it */
} ts_zeek_endpoint;

/* What most connections never need, allocated on first need (content
 * holes, bad checksums, zero windows, a history longer than
 * TS_ZEEK_HISTORY_INLINE letters): private to tcpstate_zeek.c.  A
 * connection of one SYN has none. */
struct ts_zeek_more_s;

/* flags bit: the history was rewritten from "H" to "^h" (see below). */
#define TS_ZEEK_LATE_FLIP 0x08u

/* ---- Zeek's connection boundaries ------------------------------------------
 * Zeek ends a connection (and the next packet of the four-tuple starts a new
 * one) by timers and by its reuse rule; the RFC view of tcpstate keeps its
 * own boundaries.  Why a Zeek connection began (ts_zeek.split_reason): */
#define TS_ZEEK_SPLIT_LIST(X)                                   \
    X(TS_ZSPLIT_NONE,       "",           TX_NONE)              \
    X(TS_ZSPLIT_ATTEMPT,    "attempt",    TX_ZSPLIT_ATTEMPT)    \
    X(TS_ZSPLIT_CLOSE,      "close",      TX_ZSPLIT_CLOSE)      \
    X(TS_ZSPLIT_REUSE,      "reuse",      TX_ZSPLIT_REUSE)      \
    X(TS_ZSPLIT_INACTIVITY, "inactivity", TX_ZSPLIT_INACTIVITY) \
    X(TS_ZSPLIT_EXPIRE,     "expire",     TX_ZSPLIT_EXPIRE)

typedef enum {
#define TS_X_ENUM(id, name, text) id,
    TS_ZEEK_SPLIT_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_ZSPLIT_COUNT
} ts_zeek_split;

const char *ts_zeek_split_name(unsigned why);
const char *ts_zeek_split_desc(unsigned why);                 /* English */
const char *ts_zeek_split_desc_in(unsigned why, ts_lang lang);

/* Zeek's timer values (script constants in init-bare.zeek), in ns.  A zero
 * disables the timer as in Zeek (close_delay 0: deleted at the close). */
typedef struct {
    int64_t attempt_delay;         /* tcp_attempt_delay, 5 s */
    int64_t close_delay;           /* tcp_close_delay, 5 s */
    int64_t inactivity;            /* tcp_inactivity_timeout, 5 min */
    int64_t handshake_inactivity;  /* udp_inactivity_timeout, 1 min: what Zeek's TCP
                                    * analyzer sets until the handshake is over */
    int64_t syn_timeout;           /* tcp_SYN_timeout, 5 s: first expire timer */
    int64_t session_timer;         /* tcp_session_timer, 6 s: expire timer period */
    int64_t linger;                /* tcp_connection_linger, 5 s */
    unsigned max_encap_changes;    /* Tunnel::max_changes_per_connection, 5 */
} ts_zeek_config;

/* Process-wide; NULL restores Zeek's defaults. */
void ts_zeek_configure(const ts_zeek_config *cfg);
const ts_zeek_config *ts_zeek_get_config(void);

typedef ts_alloc_fn ts_zeek_alloc_fn;

/* Per-connection Zeek bookkeeping.  Internals are private to tcpstate_zeek.c;
 * the core reads only hist_len and history, the glue start_ns,
 * split_reason and started (and the functions below).
 *
 * Field order: widest first, so that the record has no padding.  What it
 * does not hold, and why (issue 11 "Memory", issue 14):
 *  - the allocator: process-wide (ts_zeek_set_alloc), alloc_gen says
 *    whether this record may use it;
 *  - the previous Zeek connection of a split, its number and first frame
 *    (ts_zeek_index, ts_zeek_first_frame), data above holes, the rare
 *    letters' counters, a history past TS_ZEEK_HISTORY_INLINE letters, the
 *    high halves of byte counts past 4 GiB, and times that are not a whole
 *    number of microseconds within 71 minutes after start_ns: in the block
 *    `more`, allocated on first need;
 *  - absolute times other than start_ns: offsets from it in microseconds
 *    (ts_zeek_time_at reads them back), the timers as their base time (the
 *    delay is the configuration's, a constant, see ts_zeek_config). */
enum {
    TS_ZT_LAST,      /* last_time: Zeek's Conn()->LastTime */
    TS_ZT_NET,       /* network time: the latest packet time seen */
    TS_ZT_ATTEMPT,   /* base of the attempt timer (due + tcp_attempt_delay) */
    TS_ZT_EXPIRE0,   /* bases of the two expire timers (due + tcp_SYN_timeout */
    TS_ZT_EXPIRE1,   /*   for the first one, else + tcp_session_timer) */
    TS_ZT_COUNT,
    /* base of the delete timer (due + tcp_close_delay): the first expire
     * timer's place, as arming it cancels the expire timers and none is
     * armed again while it is pending (see connection_closed) */
    TS_ZT_DELETE = TS_ZT_EXPIRE0
};

typedef struct ts_zeek_s {
    ts_zeek_endpoint ep[2];   /* [0] = endpoint A (first seen), [1] = B */
    int64_t  start_ns;        /* start_time (the first packet's, to the microsecond) */
    struct ts_zeek_more_s *more; /* NULL until needed; owned by this ts_zeek */
    uint32_t t_us[TS_ZT_COUNT]; /* times after start_ns, us (see TS_ZT_*); in
                               * more instead when flags has TS_ZF_WIDE_TIMES */
    uint32_t encap;           /* the encapsulation of its packets (seg->encap) */
    uint16_t hist_seen;       /* Zeek's once-per-direction letter mask */
    uint16_t alloc_gen;       /* the process-wide allocator it may use, or 0 */
    uint8_t  encap_changes;   /* tunnel_changes */
    /* small fields, as bits: 23 of them fill the rest of this word */
    unsigned orig_is_a : 1;   /* endpoint A is Zeek's originator (now) */
    unsigned started : 1;
    unsigned hist_len : 6;    /* <= TS_ZEEK_HISTORY_MAX (63) */
    unsigned flags : 5;       /* TS_ZF_* in tcpstate_zeek.c, and TS_ZEEK_LATE_FLIP */
    unsigned split_reason : 3;/* ts_zeek_split: why it began (NONE for index 0) */
    unsigned timers : 5;      /* ZT_* in tcpstate_zeek.c: which timers are pending */
    unsigned inactivity : 2;  /* ZI_* in tcpstate_zeek.c: which inactivity timeout runs */
    char     history[TS_ZEEK_HISTORY_INLINE + 1]; /* while hist_len fits; then more */
} ts_zeek;

void ts_zeek_init(ts_zeek *z);
/* Lets a split keep the previous Zeek connection (ts_zeek_prev), and the
 * rarely needed extras (ts_zeek.more) be allocated; without it a history
 * stops at TS_ZEEK_HISTORY_INLINE letters, no data above a hole is kept,
 * byte counts stop at 4 GiB - 1 and times at 71 minutes after the start.
 *
 * The allocator is process-wide, not kept in every record (16 bytes per
 * connection): the latest (alloc, ctx) pair set serves every ts_zeek set
 * with that same pair.  A ts_zeek set with an earlier, different pair gets
 * nothing more from any allocator (as if it had none), never memory of
 * another owner.  One pair at a time is what the glue (one per process)
 * and the tests (one per stream, streams one after another) use. */
void ts_zeek_set_alloc(ts_zeek *z, ts_zeek_alloc_fn alloc, void *ctx);
/* The previous Zeek connection of the same tcpstate connection, kept whole
 * (final values) when an allocator was set; NULL for index 0. */
const ts_zeek *ts_zeek_prev(const ts_zeek *z);
/* Zeek's connection boundaries within one tcpstate connection: this Zeek
 * connection's number (tcpstate.zeek.conn: 0, +1 at each split) and the
 * frame that began it (0 for number 0: the tcpstate connection's first).
 * Kept with the extras, which a split allocates (without memory the
 * number stays 0). */
uint32_t ts_zeek_index(const ts_zeek *z);
uint32_t ts_zeek_first_frame(const ts_zeek *z);
/* One of the times TS_ZT_* (absolute, ns). */
int64_t ts_zeek_time_at(const ts_zeek *z, unsigned which);
/* dst = src, the extras copied into dst's own (a ts_zeek owns its extras,
 * so a plain struct copy that both go on feeding would share them). */
void ts_zeek_copy(ts_zeek *dst, const ts_zeek *src);
/* The Zeek connection a frame of this tcpstate connection belongs to: z
 * itself or one of its prev; z when frame is not older than z's start. */
const ts_zeek *ts_zeek_at_frame(const ts_zeek *z, uint32_t frame);
/* What Zeek would log for it (conn.log).  Sizes are TCP_Endpoint::Size(). */
typedef struct {
    int64_t  ts_ns, duration_ns;
    uint64_t orig_bytes, resp_bytes, missed_bytes;
    uint64_t orig_ip_bytes, resp_ip_bytes;
    uint32_t orig_pkts, resp_pkts;
    uint8_t  orig_is_a;
    uint8_t  conn_state;      /* ts_zeek_state */
} ts_zeek_log;
void ts_zeek_log_of(const ts_zeek *z, ts_zeek_log *out);
/* Feeds one segment. */
void ts_zeek_segment(ts_zeek *z, const ts_segment *seg);
ts_zeek_state ts_zeek_conn_state(const ts_zeek *z);
/* History string as of now; NUL-terminated, length in hist_len. */
const char *ts_zeek_history(const ts_zeek *z);
/* Endpoint i's (0: A, 1: B) content gaps so far (what letter G counts), and
 * the data blocks it holds above holes now (at most TS_ZEEK_BLOCKS). */
uint32_t ts_zeek_gap_count(const ts_zeek *z, unsigned i);
unsigned ts_zeek_held_blocks(const ts_zeek *z, unsigned i);

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
