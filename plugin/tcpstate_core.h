/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: a Wireshark-independent model of one TCP connection's life.
 *
 * Plain C99, no Wireshark or GLib header.  The glue hands in the facts of
 * each segment (direction, flags, seq, ack, length, window, time) and gets a
 * compact per-frame record back; everything users see (stage labels, RFC 9293
 * state names, anomaly names, explanations) is derived from that record, the
 * connection and the segment by the functions declared here.
 *
 * Model.  Each endpoint is a Zeek-style record (state, previous state, ISN,
 * highest sequence sent, FIN sequence, last window).  A captured segment is
 * taken to have left its sender and reached its receiver: the sender makes
 * its "send" transition and the receiver its "receive" transition of
 * RFC 9293 section 3.3.2 (figure 5).  Where a later segment proves that a
 * segment was still in flight when the peer sent (crossing SYNs or FINs), the
 * sender's "before" state is taken from what it had actually seen.
 */
#ifndef TCPSTATE_CORE_H
#define TCPSTATE_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "tcpstate_zeek.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- RFC 9293 endpoint states ------------------------------------------ */

#define TS_STATE_LIST(X)                                                     \
    X(TS_CLOSED,       "CLOSED")                                             \
    X(TS_LISTEN,       "LISTEN")                                             \
    X(TS_SYN_SENT,     "SYN-SENT")                                           \
    X(TS_SYN_RECEIVED, "SYN-RECEIVED")                                       \
    X(TS_ESTABLISHED,  "ESTABLISHED")                                        \
    X(TS_FIN_WAIT_1,   "FIN-WAIT-1")                                         \
    X(TS_FIN_WAIT_2,   "FIN-WAIT-2")                                         \
    X(TS_CLOSE_WAIT,   "CLOSE-WAIT")                                         \
    X(TS_CLOSING,      "CLOSING")                                            \
    X(TS_LAST_ACK,     "LAST-ACK")                                           \
    X(TS_TIME_WAIT,    "TIME-WAIT")

typedef enum {
#define TS_X_ENUM(id, name) id,
    TS_STATE_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_STATE_COUNT
} ts_state;

const char *ts_state_name(unsigned state);

/* ---- Stages: the label of a segment's place in the connection's life ---- */

typedef enum {
    TS_PHASE_HANDSHAKE,
    TS_PHASE_ESTABLISHED,
    TS_PHASE_TEARDOWN,
    TS_PHASE_CLOSED,
    TS_PHASE_RESET,
    TS_PHASE_COUNT
} ts_phase;

const char *ts_phase_name(unsigned phase);

/* X(id, English label, Simplified Chinese label, phase, step) -- the labels
 * are the filter values of tcpstate.stage and never change with language;
 * the Chinese label is shown in the tree and Info column when chosen. */
#define TS_STAGE_LIST(X)                                                                          \
    X(TS_STAGE_SYN,            "Handshake 1/3: SYN",            "三次握手第1步：SYN",          TS_PHASE_HANDSHAKE,   "1/3") \
    X(TS_STAGE_SYNACK,         "Handshake 2/3: SYN-ACK",        "三次握手第2步：SYN-ACK",      TS_PHASE_HANDSHAKE,   "2/3") \
    X(TS_STAGE_HS_ACK,         "Handshake 3/3: ACK",            "三次握手第3步：ACK",          TS_PHASE_HANDSHAKE,   "3/3") \
    X(TS_STAGE_SIMOPEN_SYN,    "Simultaneous open: SYN",        "同时打开：SYN",                TS_PHASE_HANDSHAKE,   "")    \
    X(TS_STAGE_SIMOPEN_SYNACK, "Simultaneous open: SYN-ACK",    "同时打开：SYN-ACK",            TS_PHASE_HANDSHAKE,   "")    \
    X(TS_STAGE_SIMOPEN_ACK,    "Simultaneous open: ACK",        "同时打开：ACK",                TS_PHASE_HANDSHAKE,   "")    \
    X(TS_STAGE_DATA,           "Data transfer",                 "数据传输",                    TS_PHASE_ESTABLISHED, "")    \
    X(TS_STAGE_CHALLENGE_ACK,  "Challenge ACK",                 "挑战确认",                     TS_PHASE_ESTABLISHED, "")    \
    X(TS_STAGE_FIN1,           "Teardown 1/4: FIN",             "四次挥手第1步：FIN",          TS_PHASE_TEARDOWN,    "1/4") \
    X(TS_STAGE_FIN_ACK1,       "Teardown 2/4: ACK of FIN",      "四次挥手第2步：对FIN的确认",     TS_PHASE_TEARDOWN,    "2/4") \
    X(TS_STAGE_HALF_CLOSE,     "Half-close: data transfer",     "半关闭：数据传输",             TS_PHASE_TEARDOWN,    "")    \
    X(TS_STAGE_FIN2,           "Teardown 3/4: FIN",             "四次挥手第3步：FIN",          TS_PHASE_TEARDOWN,    "3/4") \
    X(TS_STAGE_FINACK_COMBINED,"Teardown 2+3/4: FIN-ACK",       "四次挥手第2+3步：FIN-ACK",    TS_PHASE_TEARDOWN,    "2+3/4") \
    X(TS_STAGE_FINAL_ACK,      "Teardown 4/4: final ACK",       "四次挥手第4步：最终确认",    TS_PHASE_TEARDOWN,    "4/4") \
    X(TS_STAGE_SIMCLOSE_FIN,   "Simultaneous close: FIN",       "同时关闭：FIN",                TS_PHASE_TEARDOWN,    "")    \
    X(TS_STAGE_SIMCLOSE_ACK,   "Simultaneous close: ACK",       "同时关闭：ACK",                TS_PHASE_TEARDOWN,    "")    \
    X(TS_STAGE_RST_REFUSED,    "Reset: connection refused",     "复位：连接被拒绝",             TS_PHASE_RESET,       "")    \
    X(TS_STAGE_RST_ABORT,      "Reset: abort",                  "复位：连接中止",               TS_PHASE_RESET,       "")    \
    X(TS_STAGE_RST_IGNORED,    "Reset: not accepted",           "复位：未被接受",               TS_PHASE_RESET,       "")    \
    X(TS_STAGE_AFTER_RESET,    "After reset",                   "复位之后",                    TS_PHASE_RESET,       "")    \
    X(TS_STAGE_AFTER_CLOSE,    "After close",                   "关闭之后",                    TS_PHASE_CLOSED,      "")    \
    X(TS_STAGE_INVALID,        "Invalid flags",                 "非法标志组合",                TS_PHASE_ESTABLISHED, "")    \
    X(TS_STAGE_OUT_OF_WINDOW,  "Out of window",                 "窗口外报文段",                TS_PHASE_ESTABLISHED, "")    \
    X(TS_STAGE_ICMP_UNREACH,   "ICMP: destination unreachable", "ICMP：目标不可达",             TS_PHASE_RESET,       "")

typedef enum {
#define TS_X_ENUM(id, en, zh, phase, step) id,
    TS_STAGE_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_STAGE_COUNT
} ts_stage;

const char *ts_stage_label(unsigned stage);    /* English: the filter value */
const char *ts_stage_label_zh(unsigned stage);
unsigned    ts_stage_phase(unsigned stage);
const char *ts_stage_step(unsigned stage);     /* "1/3", "2+3/4" or "" */

/* ---- Anomalies ---------------------------------------------------------- */

/* Severities and groups mirror Wireshark's expert levels without its headers. */
typedef enum { TS_SEV_CHAT, TS_SEV_NOTE, TS_SEV_WARN, TS_SEV_ERROR } ts_severity;
typedef enum { TS_GRP_SEQUENCE, TS_GRP_PROTOCOL, TS_GRP_MALFORMED } ts_group;

/* X(id, stable snake_case name, group, severity, summary).  The glue
 * registers expert field tcpstate.anomaly.<name> for each row.  DEFERRED
 * rows (marked in ts_anomaly_is_deferred) need later packets and are only
 * raised once the whole capture has been read. */
#define TS_ANOMALY_LIST(X) \
    X(TS_AN_SYN_UNANSWERED,       "syn_unanswered",       TS_GRP_SEQUENCE,  TS_SEV_WARN,  "SYN never answered by SYN-ACK or RST: half-open attempt, host down or port filtered") \
    X(TS_AN_SYNACK_UNANSWERED,    "synack_unanswered",    TS_GRP_SEQUENCE,  TS_SEV_WARN,  "SYN-ACK never acknowledged: server left in SYN-RECEIVED (half-open; SYN flood symptom or lost ACK)") \
    X(TS_AN_HANDSHAKE_ACK_MISSING,"handshake_ack_missing",TS_GRP_SEQUENCE,  TS_SEV_WARN,  "Data flows but the handshake's third ACK was never seen (capture loss or asymmetric path)") \
    X(TS_AN_SYNACK_WRONG_ACK,     "synack_wrong_ack",     TS_GRP_PROTOCOL,  TS_SEV_ERROR, "SYN-ACK does not acknowledge client ISN + 1: stale or spoofed SYN-ACK, or middlebox rewriting") \
    X(TS_AN_HANDSHAKE_ACK_WRONG,  "handshake_ack_wrong",  TS_GRP_PROTOCOL,  TS_SEV_ERROR, "Third handshake ACK does not acknowledge server ISN + 1: the server must answer with RST") \
    X(TS_AN_FIN_WRONG_ACK,        "fin_wrong_ack",        TS_GRP_PROTOCOL,  TS_SEV_WARN,  "Acknowledges beyond the peer's FIN: sequence space that was never sent") \
    X(TS_AN_HALF_OPEN,            "half_open",            TS_GRP_SEQUENCE,  TS_SEV_WARN,  "Half-open connection: one side lost the connection while its peer still sends") \
    X(TS_AN_FIN_UNACKED,          "fin_unacked",          TS_GRP_SEQUENCE,  TS_SEV_WARN,  "FIN never acknowledged: peer gone, path broken, or ACK lost in capture") \
    X(TS_AN_MISSING_FINAL_ACK,    "missing_final_ack",    TS_GRP_SEQUENCE,  TS_SEV_WARN,  "Second FIN never acknowledged: final ACK missing, LAST-ACK side keeps retransmitting") \
    X(TS_AN_DATA_AFTER_FIN,       "data_after_fin",       TS_GRP_PROTOCOL,  TS_SEV_ERROR, "New data sent after the sender's own FIN: a FIN ends the sender's byte stream") \
    X(TS_AN_PACKETS_AFTER_RESET,  "packets_after_reset",  TS_GRP_SEQUENCE,  TS_SEV_WARN,  "Segment after the connection was reset: the RST was lost or ignored") \
    X(TS_AN_PACKETS_AFTER_CLOSE,  "packets_after_close",  TS_GRP_SEQUENCE,  TS_SEV_WARN,  "Segment after the connection was fully closed: stray or late packet") \
    X(TS_AN_PORT_REUSE_TIME_WAIT, "port_reuse_in_time_wait", TS_GRP_SEQUENCE, TS_SEV_NOTE, "New SYN on the same four-tuple while an endpoint is still in TIME-WAIT") \
    X(TS_AN_CONNECTION_REFUSED,   "connection_refused",   TS_GRP_SEQUENCE,  TS_SEV_NOTE,  "SYN answered by RST: nothing listens on the port, or a firewall rejects it") \
    X(TS_AN_RST_OUT_OF_WINDOW,    "rst_out_of_window",    TS_GRP_SEQUENCE,  TS_SEV_WARN,  "RST sequence number outside the receiver's window: not accepted (blind reset attempt or stale RST)") \
    X(TS_AN_DATA_BEFORE_HANDSHAKE,"data_before_handshake",TS_GRP_PROTOCOL,  TS_SEV_WARN,  "Data sent before the handshake completed (not TCP Fast Open)") \
    X(TS_AN_INVALID_FLAGS,        "invalid_flags",        TS_GRP_MALFORMED, TS_SEV_ERROR, "Invalid flag combination (SYN+FIN, SYN+RST, no flags, FIN without ACK, Xmas): scan or broken stack") \
    X(TS_AN_MID_STREAM_START,     "mid_stream_start",     TS_GRP_SEQUENCE,  TS_SEV_NOTE,  "Capture starts mid-connection: handshake not seen, roles and states inferred") \
    X(TS_AN_OPEN_AT_CAPTURE_END,  "open_at_capture_end",  TS_GRP_SEQUENCE,  TS_SEV_NOTE,  "Connection still open, or an answer still possible, when the capture ended") \
    X(TS_AN_CHALLENGE_ACK,        "challenge_ack",        TS_GRP_SEQUENCE,  TS_SEV_NOTE,  "RFC 5961 challenge ACK: reply to an in-window RST or SYN on a synchronized connection") \
    X(TS_AN_ICMP_UNREACHABLE,     "icmp_unreachable",     TS_GRP_SEQUENCE,  TS_SEV_NOTE,  "Segment answered by ICMP destination unreachable: port closed or rejected by a firewall, or no route to the host") \
    X(TS_AN_OUT_OF_WINDOW,        "out_of_window",        TS_GRP_SEQUENCE,  TS_SEV_WARN,  "Segment outside the receiver's window (RFC 9293 3.10.7.4): not acceptable, dropped and answered by an ACK (stale, forged, or numbers rewritten)")

typedef enum {
#define TS_X_ENUM(id, name, grp, sev, summary) id,
    TS_ANOMALY_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_ANOMALY_COUNT
} ts_anomaly;

typedef uint32_t ts_anomaly_set; /* bit (1u << ts_anomaly) */
#define TS_BIT(an) ((ts_anomaly_set)1u << (an))

const char *ts_anomaly_name(unsigned an);
const char *ts_anomaly_summary(unsigned an);
ts_group    ts_anomaly_group(unsigned an);
ts_severity ts_anomaly_severity(unsigned an);
int         ts_anomaly_is_deferred(unsigned an);

/* ---- Input: one segment ------------------------------------------------- */

enum { TS_FIN = 0x01, TS_SYN = 0x02, TS_RST = 0x04, TS_PSH = 0x08,
       TS_ACK = 0x10, TS_URG = 0x20, TS_ECE = 0x40, TS_CWR = 0x80 };

typedef struct ts_segment_s {
    uint32_t frame;     /* frame number, for links between related frames */
    int64_t  ts_ns;     /* capture time, nanoseconds */
    uint8_t  from_a;    /* 1: sent by endpoint A (source of the stream's first segment) */
    uint8_t  flags;     /* TS_FIN ... TS_CWR */
    uint8_t  tfo;       /* 1: SYN carries a TCP Fast Open option */
    uint8_t  bad_checksum; /* 1: checksum verified and wrong (Zeek 'c') */
    uint8_t  payload_truncated; /* 1: the frame was captured shorter than sent */
    uint32_t seq, ack;  /* raw (absolute) numbers */
    uint32_t len;       /* payload bytes */
    uint32_t win;       /* window field as sent (unscaled) */
    int8_t   wscale;    /* window scale option's shift on a SYN, or -1 */
    uint16_t sport, dport;
    /* Read by the Zeek view only (tcpstate_zeek.c); 0 when unknown. */
    uint32_t ip_len;    /* IP total length (IPv6: payload length + 40), for *_ip_bytes */
    uint32_t encap;     /* identity of the tunnel encapsulation, 0: none (Zeek's 'X') */
    uint8_t  hdr_cut;   /* the TCP header (data offset * 4) runs past the captured bytes */
} ts_segment;

/* ---- Endpoint and connection -------------------------------------------- */

enum { TS_CLIENT = 0, TS_SERVER = 1 };

typedef struct {
    uint8_t  state;
    uint8_t  seen;        /* has sent any segment */
    uint8_t  isn_known;   /* ISN seen (its SYN) or inferred */
    uint8_t  syn_seen, fin_seen, fin_acked;
    uint8_t  ack_sent;       /* has sent a segment with ACK: max_ack and wnd_edge hold */
    uint8_t  fin_stage;      /* stage given to its FIN (for retransmissions) */
    uint8_t  fin_ack_stage;  /* stage given to the ACK of its FIN */
    uint8_t  fin_rexmit;     /* FIN retransmitted after it was acknowledged */
    uint8_t  passive;        /* entered SYN-RECEIVED from LISTEN */
    uint8_t  synack_sent;    /* has sent a SYN-ACK */
    uint32_t isn;
    uint32_t snd_nxt;     /* highest seq + len (+SYN/FIN) sent so far */
    uint32_t max_ack;     /* highest ack sent */
    uint32_t fin_seq;     /* sequence number of its FIN */
    uint32_t win;         /* last advertised window, bytes (scaled) */
    uint32_t max_win;     /* largest window it advertised */
    uint32_t wnd_edge;    /* right edge of its receive window: max of ack + win */
    int8_t   wscale;      /* shift it offered in its SYN, or -1 */
    uint32_t syn_frame, syn_last_frame, fin_frame, rst_frame;
    /* its previous segment, to recognise an exact duplicate */
    uint32_t last_seq, last_ack, last_len, last_frame;
    uint8_t  last_flags, last_stage;
    int64_t  syn_ns, syn_last_ns, fin_ns;
} ts_endpoint;

/* How a connection ended, for statistics and the conns table. */
#define TS_OUTCOME_LIST(X)                              \
    X(TS_OUT_OPEN,        "open")                       \
    X(TS_OUT_HANDSHAKE,   "handshake incomplete")       \
    X(TS_OUT_FOUR_WAY,    "four-way close")             \
    X(TS_OUT_THREE_WAY,   "three-packet close (FIN-ACK)") \
    X(TS_OUT_SIMCLOSE,    "simultaneous close")         \
    X(TS_OUT_HALF_CLOSED, "half-closed")                \
    X(TS_OUT_CLOSING,     "closing")                    \
    X(TS_OUT_REFUSED,     "refused")                    \
    X(TS_OUT_RESET,       "reset")                      \
    X(TS_OUT_NEVER_OPENED,"never opened")

typedef enum {
#define TS_X_ENUM(id, name) id,
    TS_OUTCOME_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_OUTCOME_COUNT
} ts_outcome;

const char *ts_outcome_name(unsigned outcome);

typedef struct ts_conn {
    ts_endpoint ep[2];       /* indexed by TS_CLIENT / TS_SERVER */
    uint8_t  client_is_a;    /* endpoint A (first seen) is the client */
    uint8_t  roles_inferred; /* no initial SYN seen: client guessed */
    uint8_t  closer;         /* role that sent the first FIN, or 0xff */
    uint8_t  simultaneous_open, simultaneous_close;
    uint8_t  combined_finack;
    uint8_t  reset_by;       /* role that sent the accepted RST, or 0xff */
    uint8_t  refused;
    uint8_t  established;    /* the handshake completed (or was inferred) */
    uint8_t  tfo;            /* the client's SYN carried Fast Open data */
    uint8_t  challenge_due;  /* role owing a challenge ACK, or 0xff */
    uint8_t  challenge_syn;  /* the challenge answers a SYN (not a RST) */
    uint8_t  last_sender;    /* role of the previous segment's sender */
    uint8_t  last_payload;   /* previous segment carried data or FIN */
    uint8_t  last_stage;     /* stage of the previous segment */
    uint32_t challenge_cause;/* frame of the SYN/RST that owes the challenge */
    uint32_t crossed_frame;  /* first SYN/FIN that crossed the peer's, or 0 */
    uint32_t no_tcb_frame;   /* the segment a half-open RST proves met no TCB, or 0 */
    uint8_t  crossed_state;  /* its receiver's real state while it was in flight */
    /* Undelivered: the handshake's third ACK [0] or the final ACK [1] the
     * capture shows, which a later retransmission of the SYN-ACK or FIN it
     * covers proved was lost after the capture point: from frame `from`
     * until the proving retransmission `to`, endpoint `role` stayed in
     * `state` (read by ts_hindsight). */
    struct { uint32_t from, to; uint8_t role, state; } undelivered[2];
    /* 1 + role, in the previous connection, of the TIME-WAIT endpoint this
     * connection's server is (a SYN from the reverse direction met it), or 0 */
    uint8_t  tw_inherited;
    uint32_t index;          /* connection number within its stream (port reuse) */
    uint32_t first_frame, last_frame, packets;
    uint32_t synack_frame, hs_ack_frame, final_ack_frame;
    int64_t  first_ns, last_ns, synack_ns, hs_ack_ns, final_ack_ns;
    ts_anomaly_set anomalies;        /* every anomaly raised on the fly */
    ts_zeek  zeek;                   /* Zeek's view of the same packets */
    /* One-sided capture: the client answered a SYN-ACK that was not
     * captured.  shadow runs the same connection with the server segments
     * the client's acknowledgments prove put back in; it is the right
     * account only if no server segment is ever captured (ts_conn_view). */
    struct ts_conn *shadow;
    /* ICMP destination unreachable about this connection (ts_stream_icmp) */
    uint32_t icmp_frame;             /* last accepted one, or 0 */
    uint32_t icmp_revived_frame;     /* last segment that showed an ICMP abort had not happened */
    uint8_t  icmp_by;                /* role whose segment it quoted, or 0xff */
    uint8_t  icmp_aborted;           /* the last one ended the connection */
    uint8_t  icmp_prev_state;        /* icmp_by's state before that abort */
    struct ts_conn *next;            /* a later connection on the same stream */
    void    *user;                   /* the glue's own: never read by the core */
    uint32_t user_tag;               /* the glue's own: never read by the core */
} ts_conn;

/* ---- Output: the compact per-frame record ------------------------------- */

enum {
    TS_REC_RETRANS      = 0x01, /* repeats a SYN/SYN-ACK/FIN/ACK already seen */
    TS_REC_SENDER_CLIENT= 0x02, /* sent by the client */
    TS_REC_INFERRED     = 0x04, /* roles or states inferred (no SYN seen) */
    TS_REC_TIME_VALID   = 0x08, /* delta_us holds a handshake/teardown time */
    TS_REC_ALT          = 0x10, /* alt_* hold the one-sided account (read by ts_hindsight) */
    TS_REC_ONE_SIDED    = 0x20, /* set by ts_hindsight only: states inferred from the
                                 * client's acknowledgments of uncaptured server segments */
    TS_REC_ICMP         = 0x40, /* the record of an ICMP error (ts_stream_icmp), not of a segment */
    TS_REC_SYN_UNHEARD  = 0x80, /* set by ts_hindsight only: a SYN nothing shows arrived
                                 * (never answered), the server kept its state */
};

typedef struct {
    ts_conn *conn;           /* connection (epoch) the segment belongs to */
    uint32_t related_frame;  /* the frame this one answers, or 0 */
    uint32_t delta_us;       /* SYN->SYN-ACK, SYN-ACK->ACK, first FIN->final ACK */
    ts_anomaly_set anomalies;/* raised on the fly (first pass) */
    uint8_t  stage;
    uint8_t  states;         /* client before (hi nibble) / after (lo) */
    uint8_t  server_states;  /* server before (hi nibble) / after (lo) */
    uint8_t  rflags;         /* TS_REC_* */
    uint8_t  zeek_state;     /* ts_zeek_state as of this segment */
    uint8_t  zeek_hist_len;  /* history as of this segment = prefix of conn's */
    uint8_t  seg_flags;      /* the segment's TS_FIN..TS_CWR flags */
    uint8_t  seg_bits;       /* TS_SEGBIT_*: the rest of what a renderer needs */
    uint8_t  alt_stage;      /* TS_REC_ALT: stage and states of the one-sided account */
    uint8_t  alt_states, alt_server_states;
} ts_record;

/* seg_bits: with seg_flags these let a glue keep only seq, ack and len per
 * segment and rebuild the ts_segment that ts_explain reads (they fill the
 * record's alignment padding, so they cost nothing). */
enum {
    TS_SEGBIT_FROM_A = 0x01,    /* seg->from_a */
    TS_SEGBIT_TFO    = 0x02,    /* seg->tfo */
};

static inline unsigned ts_rec_client_before(const ts_record *r) { return r->states >> 4; }
static inline unsigned ts_rec_client_after(const ts_record *r)  { return r->states & 0x0f; }
static inline unsigned ts_rec_server_before(const ts_record *r) { return r->server_states >> 4; }
static inline unsigned ts_rec_server_after(const ts_record *r)  { return r->server_states & 0x0f; }

/* ---- Stream: all connections seen on one four-tuple ----------------------
 * The glue keeps one ts_stream per four-tuple, across Wireshark's tcp.stream
 * numbers: the core decides where a connection ends and the next begins. */

typedef void *(*ts_alloc_fn)(void *ctx, size_t size); /* must return zeroed memory */

typedef struct {
    ts_conn    *first, *current;
    ts_alloc_fn alloc;
    void       *alloc_ctx;
} ts_stream;

void ts_stream_init(ts_stream *s, ts_alloc_fn alloc, void *alloc_ctx);

/* Feeds one segment (first pass, in capture order) and fills *out. */
void ts_stream_process(ts_stream *s, const ts_segment *seg, ts_record *out);

/* ---- ICMP errors about a connection -------------------------------------- */

/* How a destination-unreachable sorts (ICMP type 3, ICMPv6 type 1). */
typedef enum {
    TS_ICMP_PORT,       /* ICMP code 2 protocol, 3 port; ICMPv6 code 4 port: the
                         * destination host itself says no (RFC 1122 4.2.3.9: hard error) */
    TS_ICMP_PROHIBITED, /* ICMP codes 9, 10, 13 administratively prohibited; ICMPv6
                         * codes 1 admin-prohibited, 5 policy, 6 reject route: a filter */
    TS_ICMP_NO_ROUTE,   /* every other code but fragmentation needed (ICMP 4, which is
                         * path MTU discovery, not an error): net/host unreachable,
                         * ICMPv6 0, 2, 3 (RFC 1122 4.2.3.9: soft error) */
    TS_ICMP_KIND_COUNT
} ts_icmp_kind;

typedef struct {
    uint32_t frame;     /* the ICMP packet's frame number */
    int64_t  ts_ns;     /* its capture time */
    uint8_t  from_a;    /* 1: the quoted TCP segment was sent by endpoint A */
    uint8_t  kind;      /* ts_icmp_kind */
    uint32_t seq;       /* the quoted segment's sequence number (raw) */
} ts_icmp;

/* An ICMP/ICMPv6 destination unreachable quoting a segment of this stream
 * (first pass, in capture order, like ts_stream_process).  Returns 1 and
 * fills *out, the record of the ICMP frame (stage "ICMP: destination
 * unreachable", anomaly icmp_unreachable, TS_REC_ICMP; its sender is the
 * side the ICMP came from, the peer of the quoted segment's sender), when
 * the quoted seq is one its sender has in flight (SND.UNA =< seq =< SND.NXT,
 * the check of RFC 5927 4.1).  Returns 0, *out zeroed, otherwise: no
 * connection, stale or forged quote.  Effect: a SYN-SENT sender aborts
 * (CLOSED; RFC 1122 4.2.3.9 for hard errors, RFC 5461 4.1 for the soft
 * ones, as Linux and the BSDs do) and its SYN counts as answered, refused;
 * a SYN-RECEIVED sender drops the half-open connection on a hard or
 * prohibited error (LISTEN); synchronized states do not change (soft
 * error: the stack keeps retransmitting).  The quoted segment never reached
 * the peer's TCP: an unseen peer is CLOSED.  If the sender later
 * retransmits the same SYN, the abort had not happened (Linux keeps an ICMP
 * that arrives while connect() holds the socket as a soft error): the
 * sender is SYN-SENT again, and ts_hindsight shows that ICMP changing nothing. */
int ts_stream_icmp(ts_stream *s, const ts_icmp *icmp, ts_record *out);

/* ---- Later knowledge ---------------------------------------------------- */

/* The connection as known after the whole capture: its one-sided account
 * (see ts_conn.shadow) when no server segment was ever captured and the
 * client acknowledged the uncaptured SYN-ACK, else the connection itself.
 * Final states, outcome and final anomalies should be read from it. */
const ts_conn *ts_conn_view(const ts_conn *c);

/* Anomalies that need the future, evaluated for one record once the
 * capture has been read to capture_end_ns.  grace_ns: how long an answer
 * may take; a question younger than that at the end of the capture yields
 * open_at_capture_end instead of a verdict.  is_last: the record is its
 * connection's last segment. */
ts_anomaly_set ts_deferred_anomalies(const ts_record *r, int64_t capture_end_ns,
                                     int64_t grace_ns, int is_last);

/* All anomalies of a connection once the capture is complete. */
ts_anomaly_set ts_conn_final_anomalies(const ts_conn *c, int64_t capture_end_ns,
                                       int64_t grace_ns);
ts_outcome ts_conn_outcome(const ts_conn *c);

/* The stage as known after the whole capture: the first SYN of a
 * simultaneous open, and the first FIN of a simultaneous close, are
 * relabelled once the crossing SYN or FIN has been seen. */
unsigned ts_final_stage(const ts_record *r);

/* The record as known after the whole capture (second pass, GUI): the
 * stage of ts_final_stage, and the receiver's states on a segment that a
 * later segment proved had not yet arrived (the first SYN of a simultaneous
 * open, the first FIN of a simultaneous close) or that met no listener (the
 * SYNs of a refused connection: the server was CLOSED, not LISTEN; the SYNs
 * before an ICMP unreachable, which never reached the server's TCP).  In a
 * one-sided connection (ts_conn_view) the stage and states of the one-sided
 * account, TS_REC_INFERRED | TS_REC_ONE_SIDED, and anomalies without those
 * only the missing direction caused (data_before_handshake): a glue shows
 * view.anomalies | ts_deferred_anomalies().  On an ICMP record that a later
 * retransmission proved a soft error, the sender's state unchanged.
 * A SYN never answered (ts_conn_syn_unheard): the server LISTEN before and
 * after, TS_REC_SYN_UNHEARD set for the explanation.
 * frame: the record's own frame number. */
ts_record ts_hindsight(const ts_record *r, uint32_t frame);

/* A segment the capture shows but its receiver never got: frame lies
 * between the third ACK (or final ACK) and the SYN-ACK (or FIN) that
 * receiver retransmitted next, proving it still waited for that ACK
 * (ts_conn.undelivered).  *kept: the receiver's state all along. */
int ts_conn_undelivered(const ts_conn *c, uint32_t frame, int receiver, unsigned *kept);

/* The client's SYN was never answered (no SYN-ACK, RST, ICMP or any server
 * segment, no one-sided proof): nothing in the capture shows it reached the
 * server's TCP (RFC 9293 3.10.7.2: a LISTEN endpoint answers a SYN), so
 * with hindsight the server never left LISTEN. */
int ts_conn_syn_unheard(const ts_conn *c);

/* An endpoint's state once the capture has been read (role TS_CLIENT or
 * TS_SERVER), from ts_conn_view: LISTEN, not SYN-RECEIVED, for the server
 * of a connection whose SYN nothing shows arrived (ts_conn_syn_unheard).
 * Taps and whole-connection fields read final states only through this. */
unsigned ts_conn_final_state(const ts_conn *c, int role);

/* Connection finished: reset, refused, or both sides CLOSED/TIME-WAIT. */
int ts_conn_finished(const ts_conn *c);

/* ---- Explanations ------------------------------------------------------- */

typedef enum { TS_LANG_EN = 0, TS_LANG_ZH = 1 } ts_lang;

/* Writes one or two sentences about the segment: what it does, the
 * transitions on each side and the seq/ack arithmetic (relative and raw).
 * Returns the number of bytes written (always NUL-terminated). */
size_t ts_explain(const ts_record *r, const ts_segment *seg, ts_lang lang,
                  int analogy, char *buf, size_t bufsize);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_CORE_H */
