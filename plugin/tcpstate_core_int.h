/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core, private: what the core's files share (sequence
 * arithmetic, the per-segment context, the functions one file calls in
 * another).  Only plugin/tcpstate_{stream,pipeline,step,names,accept,
 * reset,shadow,icmp,verdicts,time_wait,flight,synack,extras,query}.c include
 * it; the glue, the taps and the tests use tcpstate_core.h.  The layers (each file calls only
 * the ones below it) are listed at the top of tcpstate_stream.c.
 */
#ifndef TCPSTATE_CORE_INT_H
#define TCPSTATE_CORE_INT_H

#include "tcpstate_core.h"
#include "tcpstate_model.h"

#define NONE 0xff
#define MSL_NS (120LL * 1000000000LL) /* RFC 9293: MSL is 2 minutes */

/* ---- Sequence arithmetic (modulo 2^32, RFC 9293 section 3.4) ------------- */

static inline int seq_lt(uint32_t a, uint32_t b)  { return (int32_t)(a - b) < 0; }
static inline int seq_geq(uint32_t a, uint32_t b) { return !seq_lt(a, b); }
static inline int seq_gt(uint32_t a, uint32_t b)  { return seq_lt(b, a); }

/* ---- Time: capture clocks may jump anywhere in hostile files ------------- */

/* later - earlier, saturated instead of overflowing. */
static inline int64_t ns_between(int64_t earlier, int64_t later)
{
    if (earlier < 0 && later > INT64_MAX + earlier)
        return INT64_MAX;
    if (earlier > 0 && later < INT64_MIN + earlier)
        return INT64_MIN;
    return later - earlier;
}

/* ---- A connection's rare extras and times (tcpstate_extras.c) ------------ */

/* The extras' block (ts_flight_log), allocated with alloc on first need;
 * NULL when there is no memory. */
ts_flight_log *tsi_extras(ts_conn *c, ts_alloc_fn alloc, void *alloc_ctx);

/* The role whose segment the last accepted ICMP error quoted, or NONE. */
static inline unsigned tsi_icmp_by(const ts_conn *c)
{
    return c->flight && c->flight->icmp_frame ? c->flight->icmp_by : NONE;
}

static inline int64_t tsi_time(const ts_conn *c, unsigned which)
{
    uint32_t v;
    if (c->times_wide)
        return c->t.wide_ns[which];
    v = c->t.t_us[which];
    return v ? c->first_ns + (int64_t)(v - 1) * 1000 : 0;
}

/* Sets time which to ns exactly, moving the times to the wide block
 * (allocated with alloc) when a 32-bit offset cannot hold it. */
void tsi_set_time(ts_conn *c, ts_alloc_fn alloc, void *alloc_ctx, unsigned which, int64_t ns);
/* TS_CT_LAST becomes ns when ns is later (every segment). */
void tsi_note_last_time(ts_conn *c, ts_alloc_fn alloc, void *alloc_ctx, int64_t ns);

/* ---- Connections and segments -------------------------------------------- */

static inline int is_closed_state(unsigned st)
{
    return st == TS_CLOSED || st == TS_TIME_WAIT || st == TS_LISTEN;
}

static inline int role_of(const ts_conn *c, const ts_segment *seg)
{
    return (seg->from_a == c->client_is_a) ? TS_CLIENT : TS_SERVER;
}

static inline int has(const ts_segment *s, uint8_t f) { return (s->flags & f) == f; }

/* s carries again the FIN e has already sent: a FIN occupies the sequence
 * number after the segment's data (RFC 9293 3.4), so the FIN is the same
 * when seq + len is, whether it is resent alone, with all the data it
 * carried first, or with only its unacknowledged tail (3.8.1). */
static inline int repeats_fin(const ts_endpoint *e, const ts_segment *s)
{
    return (s->flags & TS_FIN) && e->fin_seen && s->seq + s->len == e->fin_seq;
}

static inline void set_ep_state(ts_endpoint *e, uint8_t st)
{
    e->state = st;
}

/* ---- Per-segment analysis ------------------------------------------------ */

typedef struct {
    ts_conn *c;
    const ts_segment *seg;
    ts_record *rec;
    int snd, rcv;                 /* roles */
    ts_endpoint *me, *peer;
    uint8_t me_before, peer_before;
    uint8_t bad_synack;           /* a SYN-ACK the client cannot accept */
    uint8_t fin_after;            /* the sender takes the peer's FIN after this segment */
    ts_alloc_fn alloc;            /* the stream's, for the in-flight log */
    void *alloc_ctx;
} step_ctx;

static inline void raise(step_ctx *x, ts_anomaly an)
{
    x->rec->anomalies |= TS_BIT(an);
}

/* ---- Acceptability (tcpstate_accept.c) ----------------------------------- */

typedef enum {
    V_OK,               /* acceptable: the table decides */
    V_OUT_OF_WINDOW,    /* 3.10.7.4 first check failed: dropped, answered by an ACK */
    V_RST_ACCEPT,       /* RST at RCV.NXT, or acknowledging our SYN in SYN-SENT */
    V_RST_CHALLENGE,    /* RST in the window, not at RCV.NXT: challenge ACK (RFC 5961 3.2) */
    V_RST_OUT_OF_WINDOW,/* RST outside the window: dropped silently (3.10.7.4) */
    V_RST_NO_TCB,       /* RST to LISTEN or CLOSED: dropped (3.10.7.1, 3.10.7.2) */
    V_RST_BAD_ACK,      /* SYN-SENT: RST whose ACK does not cover our SYN (3.10.7.3) */
    V_RST_RFC1337,      /* TIME-WAIT seen to ignore RSTs (RFC 1337 fix F1): dropped */
} verdict;

int tsi_flags_invalid(const ts_segment *s);
int tsi_acks_ctl(const step_ctx *x);
ts_event tsi_classify(const step_ctx *x);
int tsi_acks_our_syn(const ts_endpoint *syn_sender, uint32_t ack);
verdict tsi_acceptability(const step_ctx *x);

/* ---- The moves and per-segment bookkeeping (tcpstate_step.c) ------------ */

const ts_cell *tsi_receive(step_ctx *x, ts_event ev);
void tsi_owe_challenge(step_ctx *x, int syn);
uint8_t tsi_sender_next(const step_ctx *x);
void tsi_count_syn(step_ctx *x);
void tsi_note_window(step_ctx *x);
void tsi_remember(step_ctx *x, ts_event cls);
void tsi_fill_states(ts_record *r, const ts_conn *c, int snd, uint8_t me_before,
                     uint8_t peer_before);

/* ---- The pipeline, steps 2-5 (tcpstate_pipeline.c) ----------------------- */

void tsi_conn_step(const ts_stream *s, ts_conn *c, const ts_segment *seg, ts_record *out,
                   int first, ts_anomaly_set extra);

/* ---- RSTs and segments after the end (tcpstate_reset.c) ------------------ */

void tsi_handle_rst(step_ctx *x);
int tsi_handle_after_end(step_ctx *x);

/* ---- One-sided captures (tcpstate_shadow.c) ------------------------------ */

int tsi_proves_unseen_synack(const ts_conn *c, const ts_segment *seg);
void tsi_open_shadow(ts_stream *s, ts_conn *c);
void tsi_step_shadow(const ts_stream *s, ts_conn *c, const ts_segment *seg, ts_record *out);

/* ---- A SYN meets TIME-WAIT (tcpstate_time_wait.c) ------------------------ */

void tsi_inherit_time_wait(ts_conn *c, const ts_conn *prev, const ts_segment *seg);
void tsi_end_inherited_time_wait(ts_stream *s, ts_conn *c);
void tsi_time_wait_answers(const ts_stream *s, step_ctx *x);
int tsi_syn_met_time_wait(const ts_conn *c);

/* ---- ICMP errors (tcpstate_icmp.c) --------------------------------------- */

void tsi_revive_after_icmp(step_ctx *x);

/* ---- In flight (tcpstate_flight.c) ---------------------------------------- */

ts_flight *tsi_flight_add(step_ctx *x, unsigned kind, uint32_t from, int role, unsigned state);
/* A record for the explanation only (TS_FLIGHT_DATA_HELD): kept while the
 * log has room, never at the cost of a proof. */
void tsi_flight_note(step_ctx *x, unsigned kind, uint32_t from, int role);
ts_flight *tsi_flight_find(const ts_conn *c, unsigned kind, int role);
int tsi_flight_missed_rst(const ts_conn *c, uint32_t rst, int role);
void tsi_flight_view(ts_record *v, const ts_conn *c, uint32_t frame);

/* ---- In flight: SYN-ACKs that never reached the client (tcpstate_synack.c) */

void tsi_resent_syn_proves_synack_lost(step_ctx *x);
int tsi_watch_synack_answers(step_ctx *x);
void tsi_synack_not_captured(step_ctx *x);
void tsi_synack_new_iss(step_ctx *x);
void tsi_rst_proves_synack_unheard(step_ctx *x);
int tsi_syn_after_synack_rejection(const ts_conn *c, const ts_segment *seg, int role);
void tsi_carry_rejecting_tcb(ts_conn *prev, ts_conn *c, const ts_segment *seg, int role);

#endif
