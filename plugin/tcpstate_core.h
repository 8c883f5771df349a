/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: a Wireshark-independent model of one TCP connection's life.
 *
 * Plain C99, no Wireshark or GLib header.  The plain types (segment, flags,
 * states, stages, anomalies, outcomes) are in tcpstate_types.h, the Zeek
 * view a connection carries in tcpstate_zeek.h, the explanations in
 * tcpstate_explain.h.  The glue hands in the facts of
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

#include "tcpstate_types.h"
#include "tcpstate_zeek.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Endpoint and connection -------------------------------------------- */

/* Field order: widest first, so that the record has no padding; the yes/no
 * facts are one bit each (they are only ever set to 0 or 1).  Its times
 * (SYN, latest SYN, FIN) are the connection's (ts_conn.t, TS_CT_*). */
typedef struct {
    uint32_t isn;
    uint32_t snd_nxt;     /* highest seq + len (+SYN/FIN) sent so far */
    uint32_t max_ack;     /* highest ack sent */
    uint32_t fin_seq;     /* sequence number of its FIN */
    uint32_t win;         /* last advertised window, bytes (scaled) */
    uint32_t max_win;     /* largest window it advertised */
    uint32_t wnd_edge;    /* right edge of its receive window: max of ack + win */
    uint32_t syn_frame, syn_last_frame, fin_frame, rst_frame;
    /* its previous segment, to recognise an exact duplicate */
    uint32_t last_seq, last_ack, last_len, last_frame;
    uint8_t  last_flags;
    int8_t   wscale;         /* shift it offered in its SYN, or -1 */
    uint8_t  syns_sent;      /* segments with SYN it sent, retransmissions included (saturates) */
    /* 1: its last segment's data began above the highest sequence number
     * it had been seen sending (bytes before it not captured); a whole byte
     * because it fills the byte before the bit-fields, which are full */
    uint8_t  last_after_gap;
    /* a state (< 16) and stages (< 32) fit in bits beside the yes/no facts */
    unsigned state : 4;
    unsigned last_stage : 5;
    unsigned fin_stage : 5;     /* stage given to its FIN (for retransmissions) */
    unsigned fin_ack_stage : 5; /* stage given to the ACK of its FIN */
    unsigned seen : 1;        /* has sent any segment */
    unsigned isn_known : 1;   /* ISN seen (its SYN) or inferred */
    unsigned syn_seen : 1, fin_seen : 1, fin_acked : 1;
    unsigned ack_sent : 1;    /* has sent a segment with ACK: max_ack and wnd_edge hold */
    unsigned fin_rexmit : 1;  /* FIN retransmitted after it was acknowledged */
    unsigned passive : 1;     /* entered SYN-RECEIVED from LISTEN */
    unsigned synack_sent : 1; /* has sent a SYN-ACK */
    /* The client's SYN resent after SYN-ACKs it never got (TS_FLIGHT_SYNACK_LOST),
     * the last of them possibly crossing it: its ACKs since are counted against the
     * SYN-ACKs captured since (tcpstate_synack.c) until one answers none of those. */
    unsigned synack_watch : 1;
    unsigned synacks_owed : 2;  /* SYN-ACKs captured since the resent SYN, not yet answered */
    unsigned fin_held : 1;      /* its FIN waits behind a hole at the peer (TS_FLIGHT_FIN_HELD) */
} ts_endpoint;

/* ---- In flight -------------------------------------------------------------
 * A captured segment has been sent; it is taken as delivered -- its
 * receiver moves -- until the peer's own behaviour proves otherwise (or the
 * capture ends).  A later segment of the supposed receiver can prove that it
 * had not received the segment yet (its ACK does not cover a SYN or FIN that
 * crossed its own), or never did (it resends what an ACK it never got would
 * have covered; it resends its SYN, or answers a SYN-ACK from no TCB, where
 * a SYN-ACK it got would have drawn an ACK; a RST below a FIN shows its
 * RCV.NXT short of it; it goes on
 * sending from a TCB a RST or an ICMP error would have deleted), and a later
 * segment of the supposed sender that it never sent one (a RST: it goes on
 * from the TCB an ABORT deletes).  Each proof is one record: endpoint `role`
 * kept `state` from frame `from` until the proving frame `to`.  One pass
 * corrects the state from `to` on (what is known so far); ts_hindsight
 * reads the same records for the frames in between (the corrected view). */
typedef enum {
    TS_FLIGHT_NONE,
    TS_FLIGHT_CROSSED,     /* `from`, a SYN or FIN, crossed role's own SYN or FIN `to` */
    TS_FLIGHT_ACK_LOST,    /* `from`, a third or final ACK, lost: `to` resends what it covers */
    TS_FLIGHT_FIN_LOST,    /* `from`, a FIN, lost: the RST `to` role accepts lies below it */
    TS_FLIGHT_RST_LOST,    /* `from`, an accepted RST, never taken by role: it sends `to` from its TCB */
    TS_FLIGHT_RST_FORGED,  /* role never sent the RST `from`: it sends `to` from its TCB */
    TS_FLIGHT_ICMP_SOFT,   /* the ICMP error `from` aborted nothing: role resends its SYN at `to` */
    TS_FLIGHT_NO_TCB,      /* `from`, the data, FIN or SYN-ACK a no-TCB RST answers, met no TCB
                            * at role */
    TS_FLIGHT_DELIVERED,   /* a later proof took back an ACK_LOST (role was already `state`)
                            * or a crossing SYNACK_LOST (`from` reached role, still `state`
                            * SYN-SENT, only after its resent SYN; `to` is where it shows
                            * role ESTABLISHED) */
    TS_FLIGHT_NEW_TCB,     /* `from`, a bare SYN on a synchronized connection, came from a new
                            * SYN-SENT TCB of role: its RST `to` answers the challenge ACK */
    TS_FLIGHT_RST_IGNORED, /* `from`, a RST at role's RCV.NXT in TIME-WAIT, ignored (RFC 1337):
                            * role answers `to` from that TIME-WAIT */
    TS_FLIGHT_REOPENED,    /* `from`, a SYN, reopened role's TIME-WAIT: its SYN-ACK `to` answers it */
    TS_FLIGHT_SYNACK_LOST, /* `from`, a SYN-ACK, never reached role (SYN-SENT): it resends its
                            * SYN at `to`, or later answers a SYN-ACK from no TCB */
    TS_FLIGHT_SYNACK_REJECTED, /* `from`, a SYN-ACK, reached role's SYN-SENT TCB, which answered
                            * it with a RST and kept its TCB: it resends its SYN at `to` */
    TS_FLIGHT_NEW_ISS,     /* `from`, a SYN resent, met role's LISTEN (its SYN-RECEIVED TCB had
                            * gone silently): the SYN-ACK `to` carries a new ISS */
    TS_FLIGHT_FIN_HELD,    /* `from`, a FIN, lay beyond role's RCV.NXT: held, not processed, as
                            * role's ACK `to` (below the FIN) shows */
    TS_FLIGHT_DATA_HELD,   /* `from`, data beyond a gap in what its sender was seen sending,
                            * lay beyond role's RCV.NXT: role's next ACK `to` stops below it.
                            * For the explanation only: no state is kept (data moves nobody),
                            * and a full log gives it up first, silently */
} ts_flight_kind;

/* What a RST its receiver went on from its TCB after (TS_FLIGHT_RST_LOST)
 * had met: the proof `to` tells. */
typedef enum {
    TS_RST_LOST,         /* lost on its way: role never saw it */
    TS_RST_BELOW_WINDOW, /* role's own ACK at `to` lies past the RST's seq: not acceptable */
    TS_RST_CHALLENGED    /* in role's window above its RCV.NXT: `to` is its challenge ACK */
} ts_rst_fate;

typedef struct {
    uint32_t from, to;       /* frames: role kept state on [from, to) */
    uint8_t  role, state;
    uint8_t  kind;           /* ts_flight_kind */
    union {
        uint8_t rst_fate;     /* RST_LOST: what became of the RST at role (ts_rst_fate) */
        uint8_t answer_gap;   /* SYNACK_LOST crossing candidate: frames from the resent SYN
                               * `to` to the client's first ACK since (0: none yet, or
                               * too far to hold) */
    };
} ts_flight;

#define TS_FLIGHT_MAX 8      /* more proofs on one connection are not recorded */
/* A connection's times (tsi_time, tsi_set_time): the latest segment, the
 * first SYN-ACK, the handshake's ACK, the final ACK, and each role's first
 * SYN, latest SYN and FIN (TS_CT_SYN + role, ...). */
enum {
    TS_CT_LAST, TS_CT_SYNACK, TS_CT_HS_ACK, TS_CT_FINAL_ACK,
    TS_CT_SYN, TS_CT_SYN_LAST = TS_CT_SYN + 2, TS_CT_FIN = TS_CT_SYN_LAST + 2,
    TS_CT_COUNT = TS_CT_FIN + 2
};

/* The connection's rare extras, allocated on first need: the in-flight
 * proofs, the one-sided account and the last ICMP error.  All are rare, so
 * they share one block (issue 11 "Memory": one pointer a connection). */
typedef struct ts_flight_log {
    /* One-sided capture: the client answered a SYN-ACK that was not
     * captured.  shadow runs the same connection with the server segments
     * the client's acknowledgments prove put back in; it is the right
     * account only if no server segment is ever captured (ts_conn_view).
     * Read through ts_conn_shadow. */
    struct ts_conn *shadow;
    /* ICMP destination unreachable about this connection (ts_stream_icmp):
     * the last accepted one's frame (0: none), the role whose segment it
     * quoted, and that role's state before the abort (icmp_aborted) */
    uint32_t icmp_frame;
    uint8_t  icmp_by, icmp_prev_state;
    ts_flight rec[TS_FLIGHT_MAX];
    uint8_t   n;
} ts_flight_log;

typedef struct ts_conn {
    ts_endpoint ep[2];       /* indexed by TS_CLIENT / TS_SERVER */
    ts_zeek  zeek;           /* Zeek's view of the same packets */
    struct ts_conn *next;    /* a later connection on the same stream */
    void    *user;           /* the glue's own: never read by the core */
    /* what is known so far to have been in flight (ts_flight), and the
     * other rare extras (ts_flight_log), or NULL: allocated on first need
     * through the stream's alloc function */
    struct ts_flight_log *flight;
    int64_t  first_ns;       /* the first segment's time: the base of t */
    /* The times TS_CT_*, as 1 + microseconds after first_ns (0: never set,
     * read as time 0 as an unset 64-bit time was); when one is not a whole
     * number of microseconds after first_ns within 71 minutes, all of them
     * move to a block of TS_CT_COUNT absolute ns times allocated then, its
     * pointer in their place (times_wide).  Read through tsi_time. */
    union {
        uint32_t t_us[TS_CT_COUNT];
        int64_t *wide_ns;
    } t;
    uint32_t challenge_cause;/* frame of the SYN/RST that owes the challenge */
    uint32_t index;          /* connection number within its stream (port reuse) */
    uint32_t first_frame, last_frame, packets;
    uint32_t synack_frame, hs_ack_frame, final_ack_frame;
    ts_anomaly_set anomalies;/* every anomaly raised on the fly */
    uint32_t user_tag;       /* the glue's own: never read by the core */
    uint32_t rst_frame_seen; /* reset_by's accepted RST, or 0 */
    uint8_t  closer;         /* role that sent the first FIN, or 0xff */
    uint8_t  reset_by;       /* role that sent the accepted RST, or 0xff */
    uint8_t  challenge_due;  /* role owing a challenge ACK, or 0xff */
    uint8_t  last_sender;    /* role of the previous segment's sender */
    uint8_t  last_stage;     /* stage of the previous segment */
    /* the states before rst_frame_seen of its sender (high nibble) and its
     * receiver (low), in case their own later segments prove that RST was
     * never sent or never received (ts_flight) */
    uint8_t  rst_states;
    uint8_t  rst_by;         /* the role that sent rst_frame_seen */
    /* 1 + role, in the previous connection, of the TIME-WAIT endpoint this
     * connection's server is (defect 10: a SYN, from either direction,
     * met it), or 0 */
    uint8_t  tw_inherited;
    unsigned client_is_a : 1;    /* endpoint A (first seen) is the client */
    unsigned roles_inferred : 1; /* no initial SYN seen: client guessed */
    unsigned simultaneous_open : 1, simultaneous_close : 1;
    unsigned combined_finack : 1;
    unsigned refused : 1;
    unsigned established : 1;    /* the handshake completed (or was inferred) */
    unsigned tfo : 1;            /* the client's SYN carried Fast Open data */
    unsigned challenge_syn : 1;  /* the challenge answers a SYN (not a RST) */
    unsigned last_payload : 1;   /* previous segment carried data or FIN */
    unsigned icmp_aborted : 1;   /* the last ICMP error (flight->icmp_*) ended the connection */
    unsigned times_wide : 1;     /* the times are in t.wide_ns, not t.t_us */
    /* the accepted RST rst_frame_seen lies in its receiver's window above the
     * RCV.NXT its own ACKs said: taken only because the bytes before it were
     * taken as arrived (tcpstate_reset.c rst_challenged) */
    unsigned rst_above_acked : 1;
    /* bytes of data the client's SYN carried (at most 65535): what a
     * SYN-ACK may leave unacknowledged (RFC 9293 3.10.7.2, RFC 7413) */
    unsigned syn_data : 16;
} ts_conn;

/* The one-sided account (see ts_flight_log.shadow), or NULL. */
static inline struct ts_conn *ts_conn_shadow(const ts_conn *c)
{
    return c->flight ? c->flight->shadow : NULL;
}

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

typedef struct {
    ts_conn    *first, *current;
    ts_alloc_fn alloc;
    void       *alloc_ctx;
} ts_stream;

void ts_stream_init(ts_stream *s, ts_alloc_fn alloc, void *alloc_ctx);

/* Feeds one segment (first pass, in capture order) and fills *out. */
void ts_stream_process(ts_stream *s, const ts_segment *seg, ts_record *out);

/* ---- ICMP errors about a connection -------------------------------------- */

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

/* The in-flight record (TS_FLIGHT_*) that says role kept a state on frame
 * (see ts_flight), or TS_FLIGHT_NONE; *kept: that state. */
int ts_conn_in_flight(const ts_conn *c, uint32_t frame, int role, unsigned *kept);

/* An in-flight record of this kind for role, from frame from up to the
 * proving frame to, exists: 1, else 0. */
int ts_conn_flight_proves(const ts_conn *c, int kind, int role, uint32_t from, uint32_t to);

/* An in-flight record of this kind for role from frame from, whatever
 * proved it: 1, else 0. */
int ts_conn_flight_proved_from(const ts_conn *c, int kind, int role, uint32_t from);

/* An in-flight record of this kind for role, whatever its start, proved
 * at frame to: 1, else 0. */
int ts_conn_flight_proved_at(const ts_conn *c, int kind, int role, uint32_t to);

/* The RST at frame, accepted as far as one pass knew, was proved by
 * role's challenge ACK to have arrived inside its window above its RCV.NXT
 * and not been accepted (TS_FLIGHT_RST_LOST, TS_RST_CHALLENGED): 1, else 0. */
int ts_conn_rst_challenged(const ts_conn *c, int role, uint32_t frame);

/* The connection's server, an old connection's TIME-WAIT a SYN met, was
 * seen to ignore a RST at its RCV.NXT (RFC 1337 fix F1; in flight:
 * TS_FLIGHT_RST_IGNORED): so far, or with the whole capture read. */
int ts_conn_time_wait_ignores_rst(const ts_conn *c);

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

/* ---- Questions the glue and the taps ask (tcpstate_query.c) --------------
 * Callers above the core read a connection only through these (and the
 * functions above), never its fields: the record's layout is the core's. */

uint32_t ts_conn_index(const ts_conn *c);      /* number within its stream (tcpstate.conn) */
uint32_t ts_conn_packets(const ts_conn *c);    /* segments fed to it */
uint32_t ts_conn_last_frame(const ts_conn *c); /* frame of its last segment */
const ts_conn *ts_conn_next(const ts_conn *c); /* a later connection on the stream, or NULL */
int ts_conn_roles_inferred(const ts_conn *c);  /* no initial SYN seen: client guessed */
int ts_conn_client_is_a(const ts_conn *c);     /* endpoint A (first seen) is the client */
const ts_zeek *ts_conn_zeek(const ts_conn *c); /* Zeek's view of the same packets */

/* No server segment was captured and the client acknowledged them: the
 * final account (ts_conn_view) is the one-sided one, its server inferred. */
int ts_conn_one_sided(const ts_conn *c);

/* As known so far (one pass): the state of role and the anomalies raised,
 * from ts_conn_view. */
unsigned ts_conn_state_so_far(const ts_conn *c, int role);
ts_anomaly_set ts_conn_anomalies_so_far(const ts_conn *c);

/* The role that sent the first FIN, when that FIN is at or before frame;
 * -1 otherwise. */
int ts_conn_closer_at(const ts_conn *c, uint32_t frame);

/* Role's initial sequence number, for relative numbers: 1 and *isn when it
 * is known (seen or inferred), 0 otherwise. */
int ts_conn_isn(const ts_conn *c, int role, uint32_t *isn);

/* Handshake and teardown times of the connection as known after the whole
 * capture (ts_conn_view), in ns: 1 and *ns when the capture times them, 0
 * when it cannot (no such pair, simultaneous open, roles inferred, or the
 * server's segments of a one-sided account, which were never captured).
 * syn_synack: the answered SYN to its SYN-ACK; synack_ack: the SYN-ACK to
 * the handshake's ACK; handshake: the answered SYN to that ACK; teardown:
 * the first FIN to the final ACK. */
int ts_conn_time_syn_synack(const ts_conn *c, int64_t *ns);
int ts_conn_time_synack_ack(const ts_conn *c, int64_t *ns);
int ts_conn_time_handshake(const ts_conn *c, int64_t *ns);
int ts_conn_time_teardown(const ts_conn *c, int64_t *ns);

/* The record's stage or its deferred anomalies may still change with later
 * segments (ts_final_stage, ts_deferred_anomalies), or it has a one-sided
 * account (ts_hindsight): a tap that counts it must wait for the end. */
int ts_record_may_change(const ts_record *r);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_CORE_H */
