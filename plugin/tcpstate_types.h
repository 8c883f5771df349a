/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate types: the bottom layer every other part of the plugin includes.
 *
 * Plain C99 types and constants only -- RFC 9293 states, stages, anomalies,
 * outcomes, the segment a glue hands in, TCP flags, ICMP error facts and
 * sequence-number arithmetic -- so that the core (tcpstate_core.h) and the
 * Zeek view (tcpstate_zeek.h) share them without including each other.
 * The name/label functions declared here are defined in tcpstate_names.c.
 *
 * Include order of the layers (no header includes one above it):
 *   tcpstate_types.h <- tcpstate_zeek.h <- tcpstate_model.h, tcpstate_core.h
 *   <- tcpstate_explain.h <- glue (tcpstate_glue.h, tcpstate_glue_*.c,
 *   packet-tcpstate.c) <- taps
 */
#ifndef TCPSTATE_TYPES_H
#define TCPSTATE_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "tcpstate_text.h"   /* ts_lang and the message ids the tables name */

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

const char *ts_phase_name(unsigned phase);                /* English: the filter value */
const char *ts_phase_label(unsigned phase, ts_lang lang);

/* X(id, catalog id of its label, phase, step) -- the English labels are the
 * filter values of tcpstate.stage and never change with the language; the
 * label in the chosen language is shown in the tree and Info column. */
#define TS_STAGE_LIST(X)                                                              \
    X(TS_STAGE_SYN, TX_STAGE_SYN, TS_PHASE_HANDSHAKE, "1/3")                          \
    X(TS_STAGE_SYNACK, TX_STAGE_SYNACK, TS_PHASE_HANDSHAKE, "2/3")                    \
    X(TS_STAGE_HS_ACK, TX_STAGE_HS_ACK, TS_PHASE_HANDSHAKE, "3/3")                    \
    X(TS_STAGE_SIMOPEN_SYN, TX_STAGE_SIMOPEN_SYN, TS_PHASE_HANDSHAKE, "")             \
    X(TS_STAGE_SIMOPEN_SYNACK, TX_STAGE_SIMOPEN_SYNACK, TS_PHASE_HANDSHAKE, "")       \
    X(TS_STAGE_SIMOPEN_ACK, TX_STAGE_SIMOPEN_ACK, TS_PHASE_HANDSHAKE, "")             \
    X(TS_STAGE_DATA, TX_STAGE_DATA, TS_PHASE_ESTABLISHED, "")                         \
    X(TS_STAGE_CHALLENGE_ACK, TX_STAGE_CHALLENGE_ACK, TS_PHASE_ESTABLISHED, "")       \
    X(TS_STAGE_FIN1, TX_STAGE_FIN1, TS_PHASE_TEARDOWN, "1/4")                         \
    X(TS_STAGE_FIN_ACK1, TX_STAGE_FIN_ACK1, TS_PHASE_TEARDOWN, "2/4")                 \
    X(TS_STAGE_HALF_CLOSE, TX_STAGE_HALF_CLOSE, TS_PHASE_TEARDOWN, "")                \
    X(TS_STAGE_FIN2, TX_STAGE_FIN2, TS_PHASE_TEARDOWN, "3/4")                         \
    X(TS_STAGE_FINACK_COMBINED, TX_STAGE_FINACK_COMBINED, TS_PHASE_TEARDOWN, "2+3/4") \
    X(TS_STAGE_FINAL_ACK, TX_STAGE_FINAL_ACK, TS_PHASE_TEARDOWN, "4/4")               \
    X(TS_STAGE_SIMCLOSE_FIN, TX_STAGE_SIMCLOSE_FIN, TS_PHASE_TEARDOWN, "")            \
    X(TS_STAGE_SIMCLOSE_ACK, TX_STAGE_SIMCLOSE_ACK, TS_PHASE_TEARDOWN, "")            \
    X(TS_STAGE_RST_REFUSED, TX_STAGE_RST_REFUSED, TS_PHASE_RESET, "")                 \
    X(TS_STAGE_RST_ABORT, TX_STAGE_RST_ABORT, TS_PHASE_RESET, "")                     \
    X(TS_STAGE_RST_IGNORED, TX_STAGE_RST_IGNORED, TS_PHASE_RESET, "")                 \
    X(TS_STAGE_AFTER_RESET, TX_STAGE_AFTER_RESET, TS_PHASE_RESET, "")                 \
    X(TS_STAGE_AFTER_CLOSE, TX_STAGE_AFTER_CLOSE, TS_PHASE_CLOSED, "")                \
    X(TS_STAGE_INVALID, TX_STAGE_INVALID, TS_PHASE_ESTABLISHED, "")                   \
    X(TS_STAGE_OUT_OF_WINDOW, TX_STAGE_OUT_OF_WINDOW, TS_PHASE_ESTABLISHED, "")       \
    X(TS_STAGE_ICMP_UNREACH, TX_STAGE_ICMP_UNREACH, TS_PHASE_RESET, "")

typedef enum {
#define TS_X_ENUM(id, text, phase, step) id,
    TS_STAGE_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_STAGE_COUNT
} ts_stage;

const char *ts_stage_label(unsigned stage);    /* English: the filter value */
const char *ts_stage_label_zh(unsigned stage);
const char *ts_stage_label_in(unsigned stage, ts_lang lang);
unsigned    ts_stage_phase(unsigned stage);
const char *ts_stage_step(unsigned stage);     /* "1/3", "2+3/4" or "" */

/* ---- Anomalies ---------------------------------------------------------- */

/* Severities and groups mirror Wireshark's expert levels without its headers. */
typedef enum { TS_SEV_CHAT, TS_SEV_NOTE, TS_SEV_WARN, TS_SEV_ERROR } ts_severity;
typedef enum { TS_GRP_SEQUENCE, TS_GRP_PROTOCOL, TS_GRP_MALFORMED } ts_group;

/* X(id, stable snake_case name, group, severity, catalog id of its summary).  The glue
 * registers expert field tcpstate.anomaly.<name> for each row.  DEFERRED
 * rows (marked in ts_anomaly_is_deferred) need later packets and are only
 * raised once the whole capture has been read. */
#define TS_ANOMALY_LIST(X)                                                                                             \
    X(TS_AN_SYN_UNANSWERED,       "syn_unanswered",       TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_SYN_UNANSWERED)        \
    X(TS_AN_SYNACK_UNANSWERED,    "synack_unanswered",    TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_SYNACK_UNANSWERED)     \
    X(TS_AN_HANDSHAKE_ACK_MISSING,"handshake_ack_missing",TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_HANDSHAKE_ACK_MISSING) \
    X(TS_AN_SYNACK_WRONG_ACK,     "synack_wrong_ack",     TS_GRP_PROTOCOL,  TS_SEV_ERROR, TX_AN_SYNACK_WRONG_ACK)      \
    X(TS_AN_HANDSHAKE_ACK_WRONG,  "handshake_ack_wrong",  TS_GRP_PROTOCOL,  TS_SEV_ERROR, TX_AN_HANDSHAKE_ACK_WRONG)   \
    X(TS_AN_FIN_WRONG_ACK,        "fin_wrong_ack",        TS_GRP_PROTOCOL,  TS_SEV_WARN,  TX_AN_FIN_WRONG_ACK)         \
    X(TS_AN_HALF_OPEN,            "half_open",            TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_HALF_OPEN)             \
    X(TS_AN_FIN_UNACKED,          "fin_unacked",          TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_FIN_UNACKED)           \
    X(TS_AN_MISSING_FINAL_ACK,    "missing_final_ack",    TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_MISSING_FINAL_ACK)     \
    X(TS_AN_DATA_AFTER_FIN,       "data_after_fin",       TS_GRP_PROTOCOL,  TS_SEV_ERROR, TX_AN_DATA_AFTER_FIN)        \
    X(TS_AN_PACKETS_AFTER_RESET,  "packets_after_reset",  TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_PACKETS_AFTER_RESET)   \
    X(TS_AN_PACKETS_AFTER_CLOSE,  "packets_after_close",  TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_PACKETS_AFTER_CLOSE)   \
    X(TS_AN_PORT_REUSE_TIME_WAIT, "port_reuse_in_time_wait", TS_GRP_SEQUENCE, TS_SEV_NOTE, TX_AN_PORT_REUSE_TIME_WAIT) \
    X(TS_AN_CONNECTION_REFUSED,   "connection_refused",   TS_GRP_SEQUENCE,  TS_SEV_NOTE,  TX_AN_CONNECTION_REFUSED)    \
    X(TS_AN_RST_OUT_OF_WINDOW,    "rst_out_of_window",    TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_RST_OUT_OF_WINDOW)     \
    X(TS_AN_DATA_BEFORE_HANDSHAKE,"data_before_handshake",TS_GRP_PROTOCOL,  TS_SEV_WARN,  TX_AN_DATA_BEFORE_HANDSHAKE) \
    X(TS_AN_INVALID_FLAGS,        "invalid_flags",        TS_GRP_MALFORMED, TS_SEV_ERROR, TX_AN_INVALID_FLAGS)         \
    X(TS_AN_MID_STREAM_START,     "mid_stream_start",     TS_GRP_SEQUENCE,  TS_SEV_NOTE,  TX_AN_MID_STREAM_START)      \
    X(TS_AN_OPEN_AT_CAPTURE_END,  "open_at_capture_end",  TS_GRP_SEQUENCE,  TS_SEV_NOTE,  TX_AN_OPEN_AT_CAPTURE_END)   \
    X(TS_AN_CHALLENGE_ACK,        "challenge_ack",        TS_GRP_SEQUENCE,  TS_SEV_NOTE,  TX_AN_CHALLENGE_ACK)         \
    X(TS_AN_ICMP_UNREACHABLE,     "icmp_unreachable",     TS_GRP_SEQUENCE,  TS_SEV_NOTE,  TX_AN_ICMP_UNREACHABLE)      \
    X(TS_AN_OUT_OF_WINDOW,        "out_of_window",        TS_GRP_SEQUENCE,  TS_SEV_WARN,  TX_AN_OUT_OF_WINDOW)         \
    X(TS_AN_IN_FLIGHT_NOT_RECORDED,"in_flight_not_recorded",TS_GRP_SEQUENCE, TS_SEV_NOTE,  TX_AN_IN_FLIGHT_NOT_RECORDED)

typedef enum {
#define TS_X_ENUM(id, name, grp, sev, text) id,
    TS_ANOMALY_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_ANOMALY_COUNT
} ts_anomaly;

typedef uint32_t ts_anomaly_set; /* bit (1u << ts_anomaly) */
#define TS_BIT(an) ((ts_anomaly_set)1u << (an))

const char *ts_anomaly_name(unsigned an);
const char *ts_anomaly_summary(unsigned an);              /* English */
const char *ts_anomaly_summary_in(unsigned an, ts_lang lang);
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

/* ---- Sequence-number arithmetic (modulo 2^32, RFC 9293 3.4) ------------- */

/* a - b as a signed distance: right as long as |a - b| < 2^31. */
static inline int32_t ts_seq_diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }
static inline int ts_seq_lt(uint32_t a, uint32_t b)  { return ts_seq_diff(a, b) < 0; }
static inline int ts_seq_leq(uint32_t a, uint32_t b) { return ts_seq_diff(a, b) <= 0; }
static inline int ts_seq_gt(uint32_t a, uint32_t b)  { return ts_seq_diff(a, b) > 0; }
static inline int ts_seq_geq(uint32_t a, uint32_t b) { return ts_seq_diff(a, b) >= 0; }

/* ---- Roles, languages, allocation ---------------------------------------- */

enum { TS_CLIENT = 0, TS_SERVER = 1 };

/* The language of labels and explanations, ts_lang: in tcpstate_text.h. */

/* Memory for per-connection state; must return zeroed memory that lives as
 * long as the connection (the glue passes wmem_file_scope()). */
typedef void *(*ts_alloc_fn)(void *ctx, size_t size);

/* ---- Outcomes ------------------------------------------------------------ */

/* How a connection ended, for statistics and the conns table. */
#define TS_OUTCOME_LIST(X)                      \
    X(TS_OUT_OPEN, TX_OUT_OPEN)                 \
    X(TS_OUT_HANDSHAKE, TX_OUT_HANDSHAKE)       \
    X(TS_OUT_FOUR_WAY, TX_OUT_FOUR_WAY)         \
    X(TS_OUT_THREE_WAY, TX_OUT_THREE_WAY)       \
    X(TS_OUT_SIMCLOSE, TX_OUT_SIMCLOSE)         \
    X(TS_OUT_HALF_CLOSED, TX_OUT_HALF_CLOSED)   \
    X(TS_OUT_CLOSING, TX_OUT_CLOSING)           \
    X(TS_OUT_REFUSED, TX_OUT_REFUSED)           \
    X(TS_OUT_RESET, TX_OUT_RESET)               \
    X(TS_OUT_NEVER_OPENED, TX_OUT_NEVER_OPENED)

typedef enum {
#define TS_X_ENUM(id, name) id,
    TS_OUTCOME_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_OUTCOME_COUNT
} ts_outcome;

const char *ts_outcome_name(unsigned outcome);           /* English: the filter value */
const char *ts_outcome_label(unsigned outcome, ts_lang lang);

/* ---- ICMP errors about a connection: the facts a glue hands in ---------- */

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

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_TYPES_H */
