/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: RFC 9293 endpoint states for each captured TCP segment.
 *
 * Reading guide.  ts_stream_process() takes one segment through five steps:
 *   1. find its connection (a new one on port reuse),
 *   2. classify it (SYN, SYN-ACK, FIN, ACK, ...; "ctl" = its ACK covers the
 *      receiver's outstanding SYN or FIN for the first time),
 *   3. apply the sender table and the receiver table below (RFC 9293
 *      section 3.3.2 figure 5 and the event processing of section 3.10.7),
 *   4. name its stage from the class and the states before,
 *   5. raise the anomalies that are certain now (the ones that need the
 *      future are evaluated later by ts_deferred_anomalies()).
 * RST acceptability is a separate check returning a verdict (check_rst).
 */
#include "tcpstate_core.h"
#include "tcpstate_model.h"

#include <stdio.h>
#include <string.h>

#define NONE 0xff
#define MSL_NS (120LL * 1000000000LL) /* RFC 9293: MSL is 2 minutes */

/* ---- Names --------------------------------------------------------------- */

static const char *const state_names[] = {
#define TS_X_NAME(id, name) name,
    TS_STATE_LIST(TS_X_NAME)
#undef TS_X_NAME
};

const char *ts_state_name(unsigned state)
{
    return state < TS_STATE_COUNT ? state_names[state] : "?";
}

static const ts_text_id phase_texts[TS_PHASE_COUNT] = {
    [TS_PHASE_HANDSHAKE] = TX_PHASE_HANDSHAKE, [TS_PHASE_ESTABLISHED] = TX_PHASE_ESTABLISHED,
    [TS_PHASE_TEARDOWN] = TX_PHASE_TEARDOWN, [TS_PHASE_CLOSED] = TX_PHASE_CLOSED,
    [TS_PHASE_RESET] = TX_PHASE_RESET,
};

const char *ts_phase_label(unsigned phase, ts_lang lang)
{
    return phase < TS_PHASE_COUNT ? ts_text(phase_texts[phase], lang) : "?";
}

const char *ts_phase_name(unsigned phase) { return ts_phase_label(phase, TS_LANG_EN); }

typedef struct {
    ts_text_id text;
    const char *step;
    uint8_t phase;
} stage_info;

static const stage_info stages[] = {
#define TS_X_STAGE(id, text, phase, step) { text, step, phase },
    TS_STAGE_LIST(TS_X_STAGE)
#undef TS_X_STAGE
};

const char *ts_stage_label_in(unsigned s, ts_lang lang)
{
    return s < TS_STAGE_COUNT ? ts_text(stages[s].text, lang) : "?";
}

const char *ts_stage_label(unsigned s)    { return ts_stage_label_in(s, TS_LANG_EN); }
const char *ts_stage_label_zh(unsigned s) { return ts_stage_label_in(s, TS_LANG_ZH); }
unsigned    ts_stage_phase(unsigned s)    { return s < TS_STAGE_COUNT ? stages[s].phase : 0; }
const char *ts_stage_step(unsigned s)     { return s < TS_STAGE_COUNT ? stages[s].step : ""; }

typedef struct {
    const char *name;
    ts_text_id summary;
    ts_group group;
    ts_severity severity;
} anomaly_info;

static const anomaly_info anomalies[] = {
#define TS_X_AN(id, name, grp, sev, text) { name, text, grp, sev },
    TS_ANOMALY_LIST(TS_X_AN)
#undef TS_X_AN
};

const char *ts_anomaly_name(unsigned a)    { return a < TS_ANOMALY_COUNT ? anomalies[a].name : "?"; }
const char *ts_anomaly_summary_in(unsigned a, ts_lang lang)
{
    return a < TS_ANOMALY_COUNT ? ts_text(anomalies[a].summary, lang) : "?";
}
const char *ts_anomaly_summary(unsigned a) { return ts_anomaly_summary_in(a, TS_LANG_EN); }
ts_group    ts_anomaly_group(unsigned a)   { return a < TS_ANOMALY_COUNT ? anomalies[a].group : TS_GRP_PROTOCOL; }
ts_severity ts_anomaly_severity(unsigned a){ return a < TS_ANOMALY_COUNT ? anomalies[a].severity : TS_SEV_NOTE; }

#define DEFERRED_SET (TS_BIT(TS_AN_SYN_UNANSWERED) | TS_BIT(TS_AN_SYNACK_UNANSWERED) | \
                      TS_BIT(TS_AN_FIN_UNACKED) | TS_BIT(TS_AN_MISSING_FINAL_ACK) |    \
                      TS_BIT(TS_AN_OPEN_AT_CAPTURE_END))

int ts_anomaly_is_deferred(unsigned a)
{
    return a < TS_ANOMALY_COUNT && (DEFERRED_SET & TS_BIT(a)) != 0;
}

static const ts_text_id outcome_texts[] = {
#define TS_X_NAME(id, text) text,
    TS_OUTCOME_LIST(TS_X_NAME)
#undef TS_X_NAME
};

const char *ts_outcome_label(unsigned o, ts_lang lang)
{
    return o < TS_OUTCOME_COUNT ? ts_text(outcome_texts[o], lang) : "?";
}

const char *ts_outcome_name(unsigned o) { return ts_outcome_label(o, TS_LANG_EN); }

/* ---- Sequence arithmetic (modulo 2^32, RFC 9293 section 3.4) ------------- */

static int seq_lt(uint32_t a, uint32_t b)  { return (int32_t)(a - b) < 0; }
static int seq_geq(uint32_t a, uint32_t b) { return !seq_lt(a, b); }
static int seq_gt(uint32_t a, uint32_t b)  { return seq_lt(b, a); }

/* ---- Time: capture clocks may jump anywhere in hostile files ------------- */

/* later - earlier, saturated instead of overflowing. */
static int64_t ns_between(int64_t earlier, int64_t later)
{
    if (earlier < 0 && later > INT64_MAX + earlier)
        return INT64_MAX;
    if (earlier > 0 && later < INT64_MIN + earlier)
        return INT64_MIN;
    return later - earlier;
}

/* ---- Events ----------------------------------------------------------------
 * A segment that passes the acceptability check (below) is one of the
 * first six events of the model (tcpstate_model.h): SYN, SYN-ACK, FIN, FIN
 * acknowledging the receiver's SYN or FIN ("ctl"), ACK doing so, plain ACK
 * or data.  The receiver's move is the table's cell; the sender's is one of
 * the sender rules (sender_next).  Nothing else changes an endpoint's state
 * except the in-flight corrections listed in README's model section. */

/* ---- Allocation and connection set-up ------------------------------------ */

void ts_stream_init(ts_stream *s, ts_alloc_fn alloc, void *alloc_ctx)
{
    memset(s, 0, sizeof *s);
    s->alloc = alloc;
    s->alloc_ctx = alloc_ctx;
}

static int is_closed_state(unsigned st)
{
    return st == TS_CLOSED || st == TS_TIME_WAIT || st == TS_LISTEN;
}

int ts_conn_finished(const ts_conn *c)
{
    /* nothing was ever opened (only invalid probes): nothing is open */
    if (!c->ep[0].syn_seen && !c->ep[1].syn_seen && !c->established &&
        is_closed_state(c->ep[0].state) && is_closed_state(c->ep[1].state))
        return 1;
    if (c->refused || c->reset_by != NONE)
        return is_closed_state(c->ep[0].state) && is_closed_state(c->ep[1].state);
    return (c->ep[0].fin_seen || c->ep[1].fin_seen) &&
           is_closed_state(c->ep[0].state) && is_closed_state(c->ep[1].state);
}

static int in_time_wait(const ts_conn *c, int64_t now_ns)
{
    if (!c || ns_between(c->last_ns, now_ns) >= 2 * MSL_NS)
        return 0;
    return c->ep[0].state == TS_TIME_WAIT || c->ep[1].state == TS_TIME_WAIT;
}

static int role_of(const ts_conn *c, const ts_segment *seg)
{
    return (seg->from_a == c->client_is_a) ? TS_CLIENT : TS_SERVER;
}

/* Roles: the sender of a SYN is the client; the receiver of a SYN-ACK is;
 * otherwise guess the endpoint with the higher (ephemeral) port. */
static int flags_invalid(const ts_segment *s);

static void assign_roles(ts_conn *c, const ts_segment *seg)
{
    int sender_is_client;
    if ((seg->flags & (TS_SYN | TS_ACK)) == TS_SYN || flags_invalid(seg)) {
        sender_is_client = 1;
    } else if ((seg->flags & (TS_SYN | TS_ACK)) == (TS_SYN | TS_ACK)) {
        sender_is_client = 0;
        c->roles_inferred = 1;
    } else {
        sender_is_client = seg->sport > seg->dport || seg->sport == seg->dport;
        c->roles_inferred = 1;
    }
    c->client_is_a = sender_is_client ? seg->from_a : !seg->from_a;
}

/* States before the first segment: what must have been true for it to be sent. */
static void assign_initial_states(ts_conn *c, const ts_segment *seg)
{
    ts_endpoint *cl = &c->ep[TS_CLIENT], *sv = &c->ep[TS_SERVER];
    uint8_t syn_ack = seg->flags & (TS_SYN | TS_ACK);
    if (syn_ack == TS_SYN || flags_invalid(seg)) {   /* an opening, or a probe */
        cl->state = TS_CLOSED;
        sv->state = TS_LISTEN;
    } else if (syn_ack == (TS_SYN | TS_ACK)) {
        cl->state = TS_SYN_SENT;        /* its SYN was not captured */
        sv->state = TS_SYN_RECEIVED;
        sv->passive = 1;
        cl->isn = seg->ack - 1;
        cl->isn_known = cl->syn_seen = 1;
        cl->snd_nxt = seg->ack;
    } else {
        int snd = role_of(c, seg);
        cl->state = sv->state = TS_ESTABLISHED;
        c->established = 1;
        c->ep[snd].isn = seg->seq - 1; /* relative numbers start at 1 */
        c->ep[snd].isn_known = 1;
        c->ep[snd].snd_nxt = seg->seq;
        if (seg->flags & TS_ACK) {
            c->ep[!snd].isn = seg->ack - 1;
            c->ep[!snd].isn_known = 1;
            c->ep[!snd].snd_nxt = seg->ack;
        }
    }
}

static ts_conn *open_conn(ts_stream *s, const ts_segment *seg, const ts_conn *prev)
{
    ts_conn *c = s->alloc(s->alloc_ctx, sizeof *c);
    c->closer = c->reset_by = c->challenge_due = c->last_sender = c->icmp_by = NONE;
    c->index = prev ? prev->index + 1 : 0;
    c->first_frame = seg->frame;
    c->first_ns = seg->ts_ns;
    assign_roles(c, seg);
    assign_initial_states(c, seg);
    ts_zeek_init(&c->zeek);
    ts_zeek_set_alloc(&c->zeek, s->alloc, s->alloc_ctx); /* keeps Zeek's earlier connections */
    if (!s->first)
        s->first = c;
    else
        s->current->next = c;
    s->current = c;
    return c;
}

/* A SYN that cannot belong to the current connection starts the next one. */
static int starts_new_connection(const ts_conn *c, const ts_segment *seg)
{
    const ts_endpoint *snd;
    if ((seg->flags & (TS_SYN | TS_ACK | TS_RST | TS_FIN)) != TS_SYN)
        return 0;
    snd = &c->ep[role_of(c, seg)];
    if (snd->syn_seen && seg->seq == snd->isn)
        return 0; /* a retransmission of this connection's SYN */
    if (ts_conn_finished(c))
        return 1;
    /* a client retrying with a new ISN before anything was established */
    return !c->established && role_of(c, seg) == TS_CLIENT && !c->ep[TS_SERVER].seen;
}

/* ---- Per-segment analysis --------------------------------------------------- */

typedef struct {
    ts_conn *c;
    const ts_segment *seg;
    ts_record *rec;
    int snd, rcv;                 /* roles */
    ts_endpoint *me, *peer;
    uint8_t me_before, peer_before;
    uint8_t bad_synack;           /* a SYN-ACK the client cannot accept */
} step_ctx;

static void raise(step_ctx *x, ts_anomaly an)
{
    x->rec->anomalies |= TS_BIT(an);
}

static int has(const ts_segment *s, uint8_t f) { return (s->flags & f) == f; }

static int flags_invalid(const ts_segment *s)
{
    uint8_t f = s->flags;
    if ((f & TS_SYN) && (f & (TS_FIN | TS_RST)))
        return 1;                               /* SYN+FIN, SYN+RST */
    if (!(f & (TS_SYN | TS_FIN | TS_RST | TS_ACK)))
        return 1;                               /* null scan, PSH/URG only */
    if ((f & TS_FIN) && !(f & TS_ACK))
        return 1;                               /* FIN without ACK, Xmas */
    return 0;
}

/* Does the segment's ACK cover the receiver's SYN or FIN for the first time? */
static int acks_ctl(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    const ts_endpoint *p = x->peer;
    if (!(s->flags & TS_ACK))
        return 0;
    if (p->fin_seen && !p->fin_acked)            /* SEG.ACK > SND.NXT is not acceptable */
        return seq_geq(s->ack, p->fin_seq + 1) && !seq_gt(s->ack, p->snd_nxt);
    if (x->peer_before == TS_SYN_RECEIVED && p->syn_seen)
        return s->ack == p->isn + 1 || (seq_gt(s->ack, p->isn) && !seq_gt(s->ack, p->snd_nxt));
    return 0;
}

static ts_event classify(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    int ctl = acks_ctl(x);
    if (s->flags & TS_SYN)
        return (s->flags & TS_ACK) ? TS_EV_SYNACK : TS_EV_SYN;
    if (s->flags & TS_FIN)
        return ctl ? TS_EV_FIN_ACKS : TS_EV_FIN;
    return ctl ? TS_EV_ACKS : TS_EV_ACK;
}

/* ---- Acceptability (RFC 9293 3.10.7, RFC 5961), before any state change --
 * One function answers "would the receiver accept this segment?" for every
 * segment, the way netfilter's tcp_in_window() does, and returns a verdict;
 * only an acceptable segment reaches the transition table. */

typedef enum {
    V_OK,               /* acceptable: the table decides */
    V_OUT_OF_WINDOW,    /* 3.10.7.4 first check failed: dropped, answered by an ACK */
    V_RST_ACCEPT,       /* RST at RCV.NXT, or acknowledging our SYN in SYN-SENT */
    V_RST_CHALLENGE,    /* RST in the window, not at RCV.NXT: challenge ACK (RFC 5961 3.2) */
    V_RST_OUT_OF_WINDOW,/* RST outside the window: dropped silently (3.10.7.4) */
    V_RST_NO_TCB,       /* RST to LISTEN or CLOSED: dropped (3.10.7.1, 3.10.7.2) */
    V_RST_BAD_ACK,      /* SYN-SENT: RST whose ACK does not cover our SYN (3.10.7.3) */
} verdict;

/* In SYN-SENT an ACK is acceptable when SND.UNA < SEG.ACK =< SND.NXT
 * (3.10.7.3): above ISN + 1 only when the SYN carried data (Fast Open). */
static int acks_our_syn(const ts_endpoint *syn_sender, uint32_t ack)
{
    return seq_gt(ack, syn_sender->isn) && !seq_gt(ack, syn_sender->snd_nxt);
}

static int is_synchronized_or_syn_received(unsigned st)
{
    return st != TS_CLOSED && st != TS_LISTEN && st != TS_SYN_SENT;
}

static verdict check_rst(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    const ts_endpoint *me = x->me, *peer = x->peer;
    uint32_t rcv_nxt, wnd;
    switch (x->peer_before) {
    case TS_LISTEN:
    case TS_CLOSED:
        return V_RST_NO_TCB;
    case TS_SYN_SENT:
        return (has(s, TS_ACK) && acks_our_syn(peer, s->ack)) ? V_RST_ACCEPT : V_RST_BAD_ACK;
    default:
        break;
    }
    if (!me->seen || !me->isn_known)
        return V_RST_ACCEPT;                     /* nothing to check against */
    /* RCV.NXT: everything the sender sent, its FIN included, has arrived.
     * A RST at the FIN's own sequence number is then one below the window:
     * not acceptable by the RFC (Linux accepts it in CLOSE-WAIT, LAST-ACK
     * and CLOSING, tcp_reset_check(); the explanation says so). */
    rcv_nxt = me->snd_nxt;
    wnd = peer->win ? peer->win : 1;
    if (s->seq == rcv_nxt)
        return V_RST_ACCEPT;
    /* RCV.NXT is also what the receiver's own ACKs say (3.3.1): bytes sent
     * after it may still be in flight, or lost, when the RST arrives; and a
     * TIME-WAIT carried into a new connection knows only its old RCV.NXT */
    if (peer->ack_sent && s->seq == peer->max_ack &&
        (x->c->tw_inherited || !seq_gt(peer->max_ack, me->snd_nxt)))   /* never beyond what was sent */
        return V_RST_ACCEPT;
    if (seq_geq(s->seq, rcv_nxt) && seq_lt(s->seq, rcv_nxt + wnd))
        return V_RST_CHALLENGE;
    return V_RST_OUT_OF_WINDOW;
}

/* The sequence check of 3.10.7.4 for segments without RST or SYN.  The
 * receiver's window is what it advertised (its largest right edge, so a
 * window update lost from the capture does not condemn a segment); a
 * segment starting beyond it, or ending more than a whole window below
 * what the receiver has acknowledged, is not acceptable.  Segments just
 * below RCV.NXT are the ordinary retransmissions of data whose ACK was
 * lost: the RFC drops them too, they change no state, and they are not
 * flagged (netfilter's tolerance).  A zero-window probe sits at the edge. */
static int seq_in_window(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    const ts_endpoint *peer = x->peer;
    uint32_t end = s->seq + s->len + ((s->flags & TS_FIN) ? 1 : 0);
    uint32_t back = peer->max_win > 65535 ? peer->max_win : 65535;
    if (!peer->ack_sent || !x->me->isn_known)
        return 1;                                /* nothing to check against */
    if (seq_gt(s->seq, peer->wnd_edge))
        return 0;
    return !seq_lt(end, peer->max_ack - back);
}

static verdict acceptability(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    if (s->flags & TS_RST)
        return check_rst(x);
    if (s->flags & TS_SYN)
        return V_OK;                             /* SYNs: RFC 5961 4.2 whatever their seq */
    if (is_synchronized_or_syn_received(x->peer_before) && !seq_in_window(x))
        return V_OUT_OF_WINDOW;
    return V_OK;
}

/* ---- The moves: the model's cell for the receiver, a rule for the sender -- */

static void set_state(ts_endpoint *e, uint8_t st)
{
    e->state = st;
}

/* The receiver's move: the model's cell for the event in its state. */
static const ts_cell *receive(step_ctx *x, ts_event ev)
{
    const ts_cell *cell = ts_model_use(ev, x->peer_before);
    uint8_t next = ts_model_next(cell, x->peer_before, x->peer->passive);
    if (next == TS_SYN_RECEIVED && x->peer_before == TS_LISTEN)
        x->peer->passive = 1;
    set_state(x->peer, next);
    return cell;
}

/* The sender's move (TS_SEND_RULE_LIST): by sending a SYN, SYN-ACK or FIN
 * (its RST: handle_rst); ACKs and data never move their sender. */
static uint8_t sender_next(const step_ctx *x)
{
    uint8_t f = x->seg->flags, st = x->me_before;
    if ((f & (TS_SYN | TS_ACK)) == TS_SYN) {
        ts_model_rule_use(TS_SR_SYN);
        return (st == TS_CLOSED || st == TS_LISTEN || st == TS_TIME_WAIT) ? TS_SYN_SENT : st;
    }
    if (f & TS_SYN) {
        ts_model_rule_use(TS_SR_SYNACK);
        return (st == TS_CLOSED || st == TS_LISTEN || st == TS_SYN_SENT) ? TS_SYN_RECEIVED : st;
    }
    if (f & TS_FIN) {
        ts_model_rule_use(TS_SR_FIN);
        if (st == TS_SYN_RECEIVED || st == TS_ESTABLISHED)
            return TS_FIN_WAIT_1;
        return st == TS_CLOSE_WAIT ? TS_LAST_ACK : st;
    }
    ts_model_rule_use(TS_SR_OTHER);
    return st;
}

static void owe_challenge(step_ctx *x, int syn)
{
    x->c->challenge_due = (uint8_t)x->rcv;
    x->c->challenge_cause = x->seg->frame;
    x->c->challenge_syn = (uint8_t)syn;
}

static uint32_t us_between(int64_t from_ns, int64_t to_ns)
{
    int64_t d = ns_between(from_ns, to_ns) / 1000;
    if (d < 0)
        return 0;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void set_time(step_ctx *x, int64_t from_ns, uint32_t related)
{
    x->rec->related_frame = related;
    if (from_ns) {
        x->rec->delta_us = us_between(from_ns, x->seg->ts_ns);
        x->rec->rflags |= TS_REC_TIME_VALID;
    }
}

/* Not half-open (RFC 9293 3.5.2: one side lost the connection unknown to
 * the other) when the RST's sender had closed and its peer had
 * acknowledged that FIN: both knew the connection was ending, and data
 * after a CLOSE is answered by RST (RFC 1122 4.2.2.13). */
static int closing_known(const step_ctx *x)
{
    return x->me->fin_seen && x->me->fin_acked;
}

static ts_event rst_event(verdict v)
{
    if (v == V_RST_ACCEPT)
        return TS_EV_RST_ACCEPTED;
    return v == V_RST_CHALLENGE ? TS_EV_RST_IN_WINDOW : TS_EV_RST_DROPPED;
}

/* In flight: a RST accepted at what its receiver acknowledged, below the
 * sender's own FIN, shows the receiver's RCV.NXT had not passed that FIN
 * when the RST arrived: the FIN never reached it (lost after the capture
 * point).  The receiver is still in its state before the FIN (CLOSE-WAIT
 * only came from it), and the FIN stays unacknowledged. */
static void rst_proves_fin_lost(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_endpoint *me = x->me, *peer = x->peer;
    ts_conn *c = x->c;
    if (!me->fin_seen || me->fin_acked || x->peer_before != TS_CLOSE_WAIT || !peer->ack_sent ||
        s->seq != peer->max_ack || !seq_lt(s->seq, me->fin_seq + 1) || s->seq == me->snd_nxt)
        return;
    c->undelivered[2].from = me->fin_frame;
    c->undelivered[2].to = s->frame;
    c->undelivered[2].role = (uint8_t)x->rcv;
    c->undelivered[2].state = TS_ESTABLISHED;
    x->peer_before = TS_ESTABLISHED;
    set_state(peer, TS_ESTABLISHED);
}

static void handle_rst(step_ctx *x)
{
    ts_conn *c = x->c;
    verdict v = acceptability(x);
    const ts_cell *cell;
    if (!x->me->rst_frame)
        x->me->rst_frame = x->seg->frame;
    if (v != V_RST_ACCEPT) {
        cell = receive(x, rst_event(v));
        x->rec->stage = TS_STAGE_RST_IGNORED;
        if (v == V_RST_OUT_OF_WINDOW)
            raise(x, TS_AN_RST_OUT_OF_WINDOW);
        if (cell->action == TS_ACT_CHALLENGE)
            owe_challenge(x, 0);
        if (ts_conn_finished(c))
            x->rec->stage = TS_STAGE_AFTER_CLOSE;
        return;
    }
    ts_model_rule_use(TS_SR_RST);
    rst_proves_fin_lost(x);
    c->rst_by_state = x->me->state;   /* in case its own later segments prove it was not its RST */
    c->rst_frame_seen = x->seg->frame;
    if (x->peer_before == TS_SYN_SENT && !x->me->syn_seen) {
        x->rec->stage = TS_STAGE_RST_REFUSED;    /* SYN answered by RST: no listener */
        c->refused = 1;
        x->me_before = TS_CLOSED;                /* no TCB: nothing was listening */
        raise(x, TS_AN_CONNECTION_REFUSED);
        /* the SYN it answers, but no handshake or teardown time: neither happened */
        x->rec->related_frame = x->peer->syn_last_frame;
        x->me->state = TS_CLOSED;
    } else {
        x->rec->stage = TS_STAGE_RST_ABORT;
        x->rec->related_frame = 0;
        /* A RST without ACK right after the peer's data is a stack with no
         * connection answering it (RFC 9293 3.10.7.1): half-open. */
        if (!has(x->seg, TS_ACK) && c->established && !ts_conn_finished(c) &&
            c->last_sender == x->rcv && c->last_payload && !closing_known(x)) {
            raise(x, TS_AN_HALF_OPEN);
            /* the RST's form (3.10.7.1) is a stack with no TCB answering:
             * its sender was already CLOSED, when the data came too */
            x->me_before = TS_CLOSED;
            c->no_tcb_frame = c->last_frame;
        }
        /* The SYN's sender answers the challenge with RST: it really had
         * lost the connection its peer still held (RFC 5961 4.2). */
        /* (Not a TIME-WAIT's challenge: both ends had closed that connection.) */
        if (c->last_stage == TS_STAGE_CHALLENGE_ACK && c->challenge_syn && c->last_sender == x->rcv &&
            x->peer_before != TS_TIME_WAIT)
            raise(x, TS_AN_HALF_OPEN);
        /* RFC 9293 3.10.7.3: SYN-SENT answers an unacceptable ACK (a
         * SYN-ACK, or a TIME-WAIT's ACK of an old connection) with RST and
         * keeps its TCB; a RST of its own is an abort. */
        if (!(x->me_before == TS_SYN_SENT && c->last_sender == x->rcv &&
              (c->last_stage == TS_STAGE_SYNACK || c->last_stage == TS_STAGE_CHALLENGE_ACK)))
            x->me->state = TS_CLOSED;
    }
    c->reset_by = (uint8_t)x->snd;
    receive(x, TS_EV_RST_ACCEPTED);
}

/* Segments of a connection that is over (or was reset) change nothing. */
static int after_end(step_ctx *x);

static int handle_after_end(step_ctx *x)
{
    ts_event ev = (x->seg->flags & TS_RST) ? TS_EV_RST_DROPPED : classify(x);
    if (!after_end(x))
        return 0;
    /* A CLOSED receiver has no TCB: its cell (3.10.7.1) moves nobody. */
    if (x->peer_before == TS_CLOSED) {
        ts_model_rule_use(TS_SR_OTHER);
        receive(x, ev);
    }
    return 1;
}

/* In flight, the other way round: the endpoint a RST came from goes on
 * sending from the same TCB (its sequence space, its acknowledgment), which
 * a TCP that sent a RST no longer has (3.10.4 ABORT deletes the TCB; a RST
 * answering a segment comes from no TCB at all, 3.10.7.1).  So it did not
 * send that RST: a middlebox forged it in its name (e.g. a firewall's
 * "reject with tcp reset").  Its state is restored; its peer, which
 * accepted the RST, is CLOSED while it still sends: half-open (3.5.2). */
static int proves_rst_forged(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *me = x->me;
    if (c->reset_by != x->snd || c->refused || c->forged_rst_frame || !c->rst_frame_seen ||
        me->state != TS_CLOSED || (s->flags & (TS_RST | TS_SYN)) || !has(s, TS_ACK) ||
        !me->ack_sent || !seq_gt(s->seq, me->isn) || seq_gt(s->seq, me->snd_nxt) ||
        seq_lt(s->ack, me->max_ack) || seq_gt(s->ack, x->peer->snd_nxt) ||
        c->rst_by_state < TS_ESTABLISHED)
        return 0;
    c->forged_rst_frame = c->rst_frame_seen;
    c->forged_rst_state = c->rst_by_state;
    c->no_tcb_frame = 0;                         /* its data had met a live TCB after all */
    x->me_before = c->rst_by_state;
    set_state(me, c->rst_by_state);
    c->reset_by = (uint8_t)x->rcv;               /* only its peer was reset */
    raise(x, TS_AN_HALF_OPEN);
    return 1;
}

static int after_end(step_ctx *x)
{
    ts_conn *c = x->c;
    int reset = c->reset_by != NONE && !c->refused;
    /* the peer of an endpoint that survived a forged RST: reset, with no TCB */
    if (proves_rst_forged(x) ||
        (c->forged_rst_frame && x->peer->state == TS_CLOSED && !has(x->seg, TS_RST))) {
        x->rec->stage = TS_STAGE_AFTER_RESET;
        raise(x, TS_AN_PACKETS_AFTER_RESET);
        return 1;
    }
    if (!ts_conn_finished(c) || (!reset && !(c->ep[0].fin_seen || c->ep[1].fin_seen)))
        return 0;
    if (reset) {
        if (has(x->seg, TS_RST)) {
            x->rec->stage = TS_STAGE_AFTER_RESET;
            if (c->last_sender == x->rcv && c->last_payload && !has(x->seg, TS_ACK))
                raise(x, TS_AN_HALF_OPEN);
            return 1;
        }
        x->rec->stage = TS_STAGE_AFTER_RESET;
        if (x->snd != c->reset_by) {
            raise(x, TS_AN_PACKETS_AFTER_RESET);
            raise(x, TS_AN_HALF_OPEN);           /* it never learnt of the RST */
        }
        return 1;
    }
    /* Retransmitted FIN and its re-ACK are part of the teardown, not strays. */
    if ((x->seg->flags & TS_FIN) && x->me->fin_seen && x->seg->seq == x->me->fin_seq)
        return 0;
    if (x->peer->fin_rexmit && !(x->seg->flags & (TS_FIN | TS_SYN)) && x->seg->len == 0)
        return 0;
    if (has(x->seg, TS_RST)) {
        if (x->peer_before == TS_TIME_WAIT)
            return 0;                            /* RST in TIME-WAIT: handled as a reset */
        x->rec->stage = TS_STAGE_AFTER_CLOSE;
        return 1;
    }
    x->rec->stage = TS_STAGE_AFTER_CLOSE;
    raise(x, TS_AN_PACKETS_AFTER_CLOSE);
    return 1;
}

/* A segment that shows its sender had not yet received what we assumed:
 * crossing SYNs (simultaneous open) or crossing FINs (simultaneous close). */
static void correct_crossing(step_ctx *x, ts_event cls)
{
    ts_conn *c = x->c;
    if (cls == TS_EV_SYN && x->me_before == TS_SYN_RECEIVED && x->peer_before == TS_SYN_SENT &&
        !x->me->syn_seen) {
        x->me_before = TS_CLOSED;                /* it never listened: it was opening too */
        x->me->passive = 0;
        c->simultaneous_open = 1;
        c->crossed_frame = x->peer->syn_frame;
        c->crossed_state = TS_CLOSED;
    }
    if (cls == TS_EV_SYNACK && c->simultaneous_open && x->me_before == TS_ESTABLISHED &&
        !x->me->synack_sent)
        x->me_before = TS_SYN_RECEIVED;          /* its SYN-ACK crossed the peer's */
    if (cls == TS_EV_FIN && x->me_before == TS_CLOSE_WAIT && x->peer_before == TS_FIN_WAIT_1 &&
        !x->me->fin_seen) {
        x->me_before = TS_ESTABLISHED;           /* its FIN left before ours arrived */
        c->simultaneous_close = 1;
        c->crossed_frame = x->peer->fin_frame;
        c->crossed_state = TS_ESTABLISHED;
    }
}

static void check_handshake(step_ctx *x, ts_event *cls)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *cl = &c->ep[TS_CLIENT];
    /* acceptable: SND.UNA < SEG.ACK =< SND.NXT (3.10.7.3); above ISN + 1 only with Fast Open data */
    if (*cls == TS_EV_SYNACK && cl->syn_seen && x->rcv == TS_CLIENT && !acks_our_syn(cl, s->ack)) {
        raise(x, TS_AN_SYNACK_WRONG_ACK);
        x->bad_synack = 1;                       /* unacceptable: the client answers RST */
        return;
    }
    if (x->peer_before != TS_SYN_RECEIVED || (s->flags & TS_SYN))
        return;
    if (x->snd == TS_CLIENT && seq_gt(s->seq, cl->snd_nxt) && has(s, TS_ACK)) {
        raise(x, TS_AN_HANDSHAKE_ACK_MISSING);   /* bytes before this one were never seen */
        *cls = (s->flags & TS_FIN) ? TS_EV_FIN : TS_EV_ACK;
        return;
    }
    if (has(s, TS_ACK) && *cls != TS_EV_ACKS && *cls != TS_EV_FIN_ACKS && x->peer->syn_seen)
        raise(x, TS_AN_HANDSHAKE_ACK_WRONG);
}

static void check_data(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    if (s->len && x->me->fin_seen && seq_gt(s->seq + s->len, x->me->fin_seq) &&
        seq_geq(s->seq, x->me->fin_seq))
        raise(x, TS_AN_DATA_AFTER_FIN);
    if (s->len && !c->established && !(s->flags & TS_SYN) && x->snd == TS_CLIENT &&
        x->me_before == TS_SYN_SENT)
        raise(x, TS_AN_DATA_BEFORE_HANDSHAKE);
    if (s->len && x->snd == TS_SERVER && x->me_before == TS_SYN_RECEIVED && !c->tfo &&
        !(s->flags & TS_SYN))
        raise(x, TS_AN_HANDSHAKE_ACK_MISSING);   /* a server sends data only once established */
    if (has(s, TS_ACK) && x->peer->fin_seen && seq_gt(s->ack, x->peer->fin_seq + 1) &&
        seq_gt(s->ack, x->peer->snd_nxt))
        raise(x, TS_AN_FIN_WRONG_ACK);           /* beyond the FIN and beyond anything sent */
}

/* Stage of a segment that changes or may change state. */
static uint8_t name_stage(step_ctx *x, ts_event cls)
{
    ts_conn *c = x->c;
    uint8_t pb = x->peer_before, mb = x->me_before;
    switch (cls) {
    case TS_EV_SYN:
        return pb == TS_SYN_SENT || c->simultaneous_open ? TS_STAGE_SIMOPEN_SYN : TS_STAGE_SYN;
    case TS_EV_SYNACK:
        return c->simultaneous_open ? TS_STAGE_SIMOPEN_SYNACK : TS_STAGE_SYNACK;
    case TS_EV_ACKS:
        if (pb == TS_SYN_RECEIVED)
            return c->simultaneous_open ? TS_STAGE_SIMOPEN_ACK : TS_STAGE_HS_ACK;
        if (pb == TS_FIN_WAIT_1)
            return TS_STAGE_FIN_ACK1;
        if (pb == TS_CLOSING)
            return TS_STAGE_SIMCLOSE_ACK;
        if (pb == TS_LAST_ACK)
            return c->simultaneous_close ? TS_STAGE_SIMCLOSE_ACK : TS_STAGE_FINAL_ACK;
        return TS_STAGE_DATA;
    case TS_EV_FIN:
    case TS_EV_FIN_ACKS:
        if (pb == TS_FIN_WAIT_1 && cls == TS_EV_FIN)
            return TS_STAGE_SIMCLOSE_FIN;
        if (pb == TS_FIN_WAIT_1)
            return TS_STAGE_FINACK_COMBINED;
        if (pb == TS_FIN_WAIT_2 || pb == TS_CLOSING || mb == TS_CLOSE_WAIT)
            return TS_STAGE_FIN2;
        return TS_STAGE_FIN1;
    case TS_EV_ACK:
    default:
        if (c->challenge_due == x->snd && !x->seg->len)
            return TS_STAGE_CHALLENGE_ACK;
        if (x->me->last_stage == TS_STAGE_SIMOPEN_SYNACK && !x->seg->len)
            return TS_STAGE_SIMOPEN_ACK;         /* Linux acknowledges the crossing SYN-ACK */
        if ((x->rec->anomalies & TS_BIT(TS_AN_FIN_WRONG_ACK)) && pb == TS_FIN_WAIT_1)
            return TS_STAGE_FIN_ACK1;            /* meant for the FIN, but not acceptable */
        if (x->rec->anomalies & TS_BIT(TS_AN_HANDSHAKE_ACK_WRONG))
            return TS_STAGE_HS_ACK;              /* meant as the third ACK, but not acceptable */
        if (x->peer->fin_seen != x->me->fin_seen)
            return TS_STAGE_HALF_CLOSE;
        return TS_STAGE_DATA;
    }
}

/* Links to the frame a segment answers, and the handshake/teardown times. */
static void link_related(step_ctx *x, ts_event cls)
{
    ts_conn *c = x->c;
    ts_endpoint *cl = &c->ep[TS_CLIENT];
    switch (x->rec->stage) {
    case TS_STAGE_SYNACK:
    case TS_STAGE_SIMOPEN_SYNACK:
        set_time(x, x->peer->syn_last_ns, x->peer->syn_last_frame);
        break;
    case TS_STAGE_HS_ACK:
    case TS_STAGE_SIMOPEN_ACK:
        set_time(x, c->synack_ns, c->synack_frame);
        break;
    case TS_STAGE_FIN_ACK1:
    case TS_STAGE_FINACK_COMBINED:
    case TS_STAGE_SIMCLOSE_ACK:
        x->rec->related_frame = x->peer->fin_frame;
        break;
    case TS_STAGE_FINAL_ACK:
        set_time(x, c->ep[c->closer == NONE ? x->snd : c->closer].fin_ns, x->peer->fin_frame);
        break;
    case TS_STAGE_FIN2:
    case TS_STAGE_SIMCLOSE_FIN:
        x->rec->related_frame = x->peer->fin_frame;
        break;
    case TS_STAGE_CHALLENGE_ACK:
        x->rec->related_frame = c->challenge_cause;
        break;
    default:
        break;
    }
    (void)cls;
    (void)cl;
}

/* The last ACK of a simultaneous close, or a final ACK, closes the teardown timer. */
static void note_teardown_time(step_ctx *x)
{
    ts_conn *c = x->c;
    if (x->rec->stage == TS_STAGE_SIMCLOSE_ACK && c->closer != NONE &&
        is_closed_state(c->ep[0].state) && is_closed_state(c->ep[1].state))
        set_time(x, c->ep[c->closer].fin_ns, x->peer->fin_frame);
    if (x->rec->rflags & TS_REC_TIME_VALID) {
        if (x->rec->stage == TS_STAGE_FINAL_ACK || x->rec->stage == TS_STAGE_SIMCLOSE_ACK) {
            c->final_ack_frame = x->seg->frame;
            c->final_ack_ns = x->seg->ts_ns;
        }
    }
}

/* Retransmitted SYN, SYN-ACK, FIN or final ACK: same stage, no new step. */
static int is_retransmission(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_endpoint *me = x->me, *peer = x->peer;
    int synack = has(s, TS_SYN | TS_ACK);
    if ((s->flags & TS_SYN) && me->syn_seen && s->seq == me->isn && me->state != TS_CLOSED &&
        (synack ? me->synack_sent : !me->synack_sent)) {
        x->rec->stage = (s->flags & TS_ACK)
            ? (x->c->simultaneous_open ? TS_STAGE_SIMOPEN_SYNACK : TS_STAGE_SYNACK)
            : (x->c->simultaneous_open ? TS_STAGE_SIMOPEN_SYN : TS_STAGE_SYN);
        x->rec->related_frame = (s->flags & TS_ACK) ? x->c->synack_frame : me->syn_frame;
        if (!(s->flags & TS_ACK)) {
            me->syn_last_frame = s->frame;
            me->syn_last_ns = s->ts_ns;
        }
        x->rec->rflags |= TS_REC_RETRANS;
        return 1;
    }
    if ((s->flags & TS_FIN) && me->fin_seen && s->seq == me->fin_seq && !acks_ctl(x)) {
        x->rec->stage = me->fin_stage;
        x->rec->related_frame = me->fin_frame;
        x->rec->rflags |= TS_REC_RETRANS;
        if (me->fin_acked)
            me->fin_rexmit = 1;
        return 1;
    }
    if (!(s->flags & (TS_SYN | TS_FIN | TS_RST)) && !s->len && peer->fin_acked && peer->fin_rexmit &&
        s->ack == peer->fin_seq + 1) {
        x->rec->stage = peer->fin_ack_stage;
        x->rec->related_frame = peer->fin_frame;
        x->rec->rflags |= TS_REC_RETRANS;
        peer->fin_rexmit = 0;
        return 1;
    }
    return 0;
}

/* In flight: the ACK that the capture shows covering a SYN-ACK or FIN was
 * lost after the capture point when that SYN-ACK or FIN is sent again with
 * nothing else from its sender in between.  A SYN-ACK is retransmitted only
 * in SYN-RECEIVED, a FIN only until it is acknowledged (RFC 9293 3.8.1;
 * a CLOSED endpoint has no TCB and sends nothing): the sender is still in
 * the state before that ACK.  Which slot: 0 the third ACK, 1 the final ACK. */
static void mark_undelivered(step_ctx *x, int slot, uint32_t ack_frame, uint8_t state)
{
    ts_conn *c = x->c;
    /* the earlier proof was this sender's previous segment: one lost stretch */
    if (!(c->undelivered[slot].from && c->undelivered[slot].to == x->me->last_frame))
        c->undelivered[slot].from = ack_frame;
    c->undelivered[slot].to = x->seg->frame;
    c->undelivered[slot].role = (uint8_t)x->snd;
    c->undelivered[slot].state = state;
    x->me_before = state;
    set_state(x->me, state);
}

/* A SYN-ACK answers every SYN that reaches SYN-RECEIVED (RFC 9293 3.10.7.4
 * fourth check; Linux resends it for a duplicate SYN): while the client has
 * sent more SYNs than the server SYN-ACKs before this one, this one may
 * answer a SYN, sent before the third ACK arrived, and proves nothing. */
static int synack_answers_no_syn(const step_ctx *x)
{
    return x->peer->syns_sent <= x->me->syns_sent;
}

static void count_syn(step_ctx *x)
{
    if ((x->seg->flags & TS_SYN) && !(x->seg->flags & TS_RST) && x->me->syns_sent < 255)
        x->me->syns_sent++;
}

static void retransmission_proves_ack_lost(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *me = x->me;
    if (has(s, TS_SYN | TS_ACK) && me->state == TS_ESTABLISHED && !c->simultaneous_open &&
        x->snd == TS_SERVER && c->hs_ack_frame && me->last_frame < c->hs_ack_frame &&
        synack_answers_no_syn(x))
        mark_undelivered(x, 0, c->hs_ack_frame, TS_SYN_RECEIVED);
    if ((s->flags & TS_FIN) && !(s->flags & TS_SYN) && me->state == TS_CLOSED && me->fin_acked &&
        c->reset_by == NONE && !c->simultaneous_close && c->final_ack_frame &&
        me->last_frame < c->final_ack_frame) {
        me->fin_acked = me->fin_rexmit = 0;      /* the FIN is outstanding again */
        mark_undelivered(x, 1, c->final_ack_frame, TS_LAST_ACK);
    }
}

/* A retransmission moves nobody by being sent again; its receiver's cell
 * applies as to any segment (a repeated SYN, SYN-ACK or FIN is answered). */
static int handle_retransmission(step_ctx *x)
{
    ts_event ev = classify(x);
    if (!is_retransmission(x))
        return 0;
    retransmission_proves_ack_lost(x);
    count_syn(x);
    ts_model_rule_use(TS_SR_OTHER);
    receive(x, ev);
    return 1;
}

/* The window in bytes (RFC 7323 section 2): never scaled on a SYN, scaled
 * by the sender's shift when both SYNs offered the option; when the SYNs
 * were not seen the shift is unknown, so take the largest (14) rather than
 * call a RST out of window that may be in it. */
static uint32_t window_bytes(const ts_conn *c, const ts_endpoint *me, const ts_segment *s)
{
    const ts_endpoint *cl = &c->ep[TS_CLIENT], *sv = &c->ep[TS_SERVER];
    if (s->flags & TS_SYN)
        return s->win;
    if (!cl->syn_seen || !sv->syn_seen || c->roles_inferred)
        return s->win << 14;
    if (cl->wscale >= 0 && sv->wscale >= 0)
        return s->win << (me->wscale > 14 ? 14 : me->wscale);
    return s->win;
}

/* Bookkeeping of what each side sent, after the transition. */
static void remember(step_ctx *x, ts_event cls)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *me = x->me, *peer = x->peer;
    uint32_t end = s->seq + s->len + ((s->flags & TS_SYN) ? 1 : 0) + ((s->flags & TS_FIN) ? 1 : 0);
    count_syn(x);
    if ((s->flags & TS_SYN) && !(s->flags & TS_RST) && !me->syn_seen) {
        me->syn_seen = me->isn_known = 1;
        me->wscale = s->wscale;
        me->isn = s->seq;
        me->snd_nxt = end;
        me->syn_frame = me->syn_last_frame = s->frame;
        me->syn_ns = me->syn_last_ns = s->ts_ns;
        if (s->flags & TS_ACK) {
            c->synack_frame = s->frame;
            c->synack_ns = s->ts_ns;
        } else if (s->len && s->tfo && x->snd == TS_CLIENT) {
            c->tfo = 1;
        }
    }
    if (has(s, TS_SYN | TS_ACK) && !me->synack_sent) {
        me->synack_sent = 1;
        if (!c->synack_frame) {
            c->synack_frame = s->frame;
            c->synack_ns = s->ts_ns;
        }
    }
    if (!me->isn_known && !(s->flags & TS_RST)) {
        me->isn = s->seq - 1;
        me->isn_known = 1;
        me->snd_nxt = s->seq;
    }
    /* a SYN with a new ISN on a synchronized connection (a rebooted host, or
     * an injected SYN) opens another sequence space: the old one stays */
    if (!(s->flags & TS_RST) && seq_gt(end, me->snd_nxt) &&
        !((s->flags & TS_SYN) && s->seq != me->isn))
        me->snd_nxt = end;
    if ((s->flags & TS_FIN) && !(s->flags & (TS_SYN | TS_RST)) && !me->fin_seen &&
        !(x->rec->anomalies & TS_BIT(TS_AN_INVALID_FLAGS))) {
        me->fin_seen = 1;
        me->fin_seq = s->seq + s->len;
        me->fin_frame = s->frame;
        me->fin_ns = s->ts_ns;
        me->fin_stage = x->rec->stage;
        if (c->closer == NONE)
            c->closer = (uint8_t)x->snd;
    }
    if ((cls == TS_EV_ACKS || cls == TS_EV_FIN_ACKS) && peer->fin_seen && !peer->fin_acked) {
        peer->fin_acked = 1;
        peer->fin_ack_stage = x->rec->stage;
        if (x->rec->stage == TS_STAGE_FINACK_COMBINED)
            c->combined_finack = 1;
    }
    if ((cls == TS_EV_ACKS || cls == TS_EV_FIN_ACKS) && x->peer_before == TS_SYN_RECEIVED) {
        c->established = 1;
        c->hs_ack_frame = s->frame;
        c->hs_ack_ns = s->ts_ns;
    }
    if (cls == TS_EV_SYNACK && x->peer->state == TS_ESTABLISHED)
        c->established = 1;
    /* Fast Open without a cookie (RFC 7413; taking data without a valid
     * cookie is a server option, Linux tcp_fastopen 0x200):
     * no option on the SYN, but the SYN-ACK acknowledges its data too, so
     * the server took the data and may answer before the third ACK */
    if (cls == TS_EV_SYNACK && x->rcv == TS_CLIENT && peer->syn_seen &&
        seq_gt(s->ack, peer->isn + 1) && acks_our_syn(peer, s->ack))
        c->tfo = 1;
    if (s->flags & TS_ACK) {
        if (!me->ack_sent || seq_gt(s->ack, me->max_ack))
            me->max_ack = s->ack;            /* ack_sent itself is set below */
        if (!peer->isn_known) {
            peer->isn = s->ack - 1;
            peer->isn_known = 1;
            peer->snd_nxt = s->ack;
        }
    }
    me->win = window_bytes(c, me, s);
    if (me->win > me->max_win)
        me->max_win = me->win;
    if (s->flags & TS_ACK) {
        uint32_t edge = s->ack + me->win;
        if (!me->ack_sent || seq_gt(edge, me->wnd_edge))
            me->wnd_edge = edge;
        me->ack_sent = 1;
    }
    me->seen = 1;
}

/* Both moves for an acceptable segment; returns the receiver's cell. */
static const ts_cell *transition(step_ctx *x, ts_event cls)
{
    uint8_t me_new = sender_next(x);
    const ts_cell *cell = receive(x, cls);
    /* In-flight corrections (not in the table): a later segment proved that
     * the sender had not yet received what the capture order suggests.
     * Crossing SYN: the sender opened, then takes the peer's SYN already in flight. */
    if (cls == TS_EV_SYN && x->c->simultaneous_open && x->peer_before == TS_SYN_SENT)
        me_new = TS_SYN_RECEIVED;
    /* Crossing FIN: the sender's FIN-WAIT-1 meets the peer's FIN in flight. */
    if (cls == TS_EV_FIN && x->c->simultaneous_close && x->me_before == TS_ESTABLISHED)
        me_new = TS_CLOSING;
    /* Crossing SYN-ACK: the sender already holds the peer's SYN-ACK. */
    if (cls == TS_EV_SYNACK && x->c->simultaneous_open && x->me->state == TS_ESTABLISHED)
        me_new = TS_ESTABLISHED;
    set_state(x->me, me_new);
    return cell;
}

static void fill_states(ts_record *r, const ts_conn *c, int snd, uint8_t me_before,
                        uint8_t peer_before)
{
    uint8_t cb = snd == TS_CLIENT ? me_before : peer_before;
    uint8_t sb = snd == TS_CLIENT ? peer_before : me_before;
    r->states = (uint8_t)((cb << 4) | c->ep[TS_CLIENT].state);
    r->server_states = (uint8_t)((sb << 4) | c->ep[TS_SERVER].state);
}

/* An exact copy of the sender's previous segment (captured twice, or
 * repeated at once): the same stage, no new step, nothing changes. */
static int handle_duplicate(step_ctx *x)
{
    const ts_segment *s = x->seg;
    const ts_endpoint *me = x->me;
    /* SYNs and FINs have their own retransmission handling */
    /* (every segment after a reset is a packet after reset, repeated or not) */
    if ((s->flags & (TS_SYN | TS_FIN)) || x->c->last_sender != x->snd ||
        me->last_stage == TS_STAGE_AFTER_RESET ||
        !me->last_frame || s->seq != me->last_seq || s->ack != me->last_ack ||
        s->len != me->last_len || s->flags != me->last_flags)
        return 0;
    x->rec->stage = me->last_stage;
    x->rec->related_frame = me->last_frame;
    if (me->last_stage != TS_STAGE_DATA && me->last_stage != TS_STAGE_HALF_CLOSE)
        x->rec->rflags |= TS_REC_RETRANS;        /* duplicate ACKs of data are just that */
    return 1;
}

static void analyse(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    const ts_cell *cell;
    ts_event cls;
    if (handle_duplicate(x))
        return;
    if (flags_invalid(s)) {
        raise(x, TS_AN_INVALID_FLAGS);
        x->rec->stage = TS_STAGE_INVALID;
        /* Linux answers any SYN on a synchronized connection, even SYN+FIN,
         * with a challenge ACK (RFC 5961 4.2) */
        if ((s->flags & TS_SYN) && c->established && x->peer_before >= TS_ESTABLISHED)
            owe_challenge(x, 1);
        return;
    }
    if (handle_after_end(x))
        return;
    if (s->flags & TS_RST) {
        handle_rst(x);
        return;
    }
    if (acceptability(x) == V_OUT_OF_WINDOW) {
        /* 3.10.7.4: dropped, the receiver answers <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>;
         * nothing changes and nothing is learnt from it (not even that its
         * sender moved: nothing proves it is the endpoint we follow) */
        receive(x, TS_EV_OUT_OF_WINDOW);
        x->rec->stage = TS_STAGE_OUT_OF_WINDOW;
        raise(x, TS_AN_OUT_OF_WINDOW);
        return;
    }
    if (handle_retransmission(x))
        return;
    cls = classify(x);
    check_handshake(x, &cls);
    correct_crossing(x, cls);
    check_data(x);
    /* The handshake ACK was never seen but the connection plainly works:
     * the server took that unseen ACK before this segment. */
    if (x->rec->anomalies & TS_BIT(TS_AN_HANDSHAKE_ACK_MISSING)) {
        if (x->me_before == TS_SYN_RECEIVED)
            x->me_before = x->me->state = TS_ESTABLISHED;
        if (x->peer_before == TS_SYN_RECEIVED)
            x->peer_before = x->peer->state = TS_ESTABLISHED;
        c->established = 1;
    }
    x->rec->stage = name_stage(x, cls);
    if (x->bad_synack) {
        /* 3.10.7.3: an unacceptable SYN-ACK changes nothing and teaches us
         * nothing: the server's real SYN-ACK may follow with another ISN */
        receive(x, TS_EV_BAD_ACK);
        x->rec->related_frame = x->peer->syn_last_frame;
        x->me->win = x->seg->win;                /* SYN windows are never scaled */
        return;
    }
    if (x->rec->anomalies & (TS_BIT(TS_AN_HANDSHAKE_ACK_WRONG) | TS_BIT(TS_AN_FIN_WRONG_ACK)))
        cell = receive(x, TS_EV_BAD_ACK);      /* 3.10.7.4 fifth check: nobody moves */
    else
        cell = transition(x, cls);
    if (x->rec->stage == TS_STAGE_CHALLENGE_ACK)
        raise(x, TS_AN_CHALLENGE_ACK);
    if (c->challenge_due == x->snd)
        c->challenge_due = NONE;                 /* owed only by its very next segment */
    if (cell->action == TS_ACT_CHALLENGE ||
        (cell->next == TS_NEXT_REOPEN && x->peer->state == x->peer_before))
        owe_challenge(x, 1);                     /* RFC 5961 4.2 */
    link_related(x, cls);
    remember(x, cls);
    note_teardown_time(x);
}

/* A retransmission of the SYN (or SYN-ACK) an ICMP error was taken to have
 * aborted: its sender still held the connection, the error was only a soft
 * one (Linux keeps an ICMP that arrives while connect() holds the socket). */
static void revive_after_icmp(ts_conn *c, const ts_segment *seg, int snd)
{
    ts_endpoint *me = &c->ep[snd];
    if (!c->icmp_aborted || c->icmp_by != snd || !(seg->flags & TS_SYN) ||
        (seg->flags & TS_RST) || !me->syn_seen || seg->seq != me->isn)
        return;
    me->state = c->icmp_prev_state;
    c->icmp_aborted = 0;
    c->refused = 0;
    c->icmp_revived_frame = seg->frame;
}

/* Steps 2-5 for one connection.  extra: anomalies the stream already found
 * (port reuse). */
static void conn_step(ts_conn *c, const ts_segment *seg, ts_record *out, int first,
                      ts_anomaly_set extra)
{
    step_ctx x;
    memset(out, 0, sizeof *out);
    out->anomalies = extra;
    out->conn = c;
    out->seg_flags = seg->flags;
    out->seg_bits = (uint8_t)((seg->from_a ? TS_SEGBIT_FROM_A : 0) | (seg->tfo ? TS_SEGBIT_TFO : 0));
    memset(&x, 0, sizeof x);
    x.c = c;
    x.seg = seg;
    x.rec = out;
    x.snd = role_of(c, seg);
    x.rcv = !x.snd;
    x.me = &c->ep[x.snd];
    x.peer = &c->ep[x.rcv];
    revive_after_icmp(c, seg, x.snd);
    x.me_before = x.me->state;
    x.peer_before = x.peer->state;
    if (first && c->roles_inferred && !(seg->flags & TS_SYN && !(seg->flags & TS_ACK)))
        out->anomalies |= TS_BIT(TS_AN_MID_STREAM_START);
    if (first && (seg->flags & (TS_SYN | TS_ACK)) == TS_SYN && seg->len && seg->tfo)
        c->tfo = 1;

    analyse(&x);
    if (!(seg->flags & TS_RST) || !x.me->seen)
        x.me->seen = 1;

    fill_states(out, c, x.snd, x.me_before, x.peer_before);
    if (x.snd == TS_CLIENT)
        out->rflags |= TS_REC_SENDER_CLIENT;
    if (c->roles_inferred)
        out->rflags |= TS_REC_INFERRED;
    c->anomalies |= out->anomalies;
    c->last_stage = out->stage;
    x.me->last_stage = out->stage;
    x.me->last_seq = seg->seq;
    x.me->last_ack = seg->ack;
    x.me->last_len = seg->len;
    x.me->last_flags = seg->flags;
    x.me->last_frame = seg->frame;
    c->last_sender = (uint8_t)x.snd;
    c->last_payload = seg->len > 0 || (seg->flags & TS_FIN);
    c->last_frame = seg->frame;
    if (seg->ts_ns > c->last_ns)
        c->last_ns = seg->ts_ns;
    c->packets++;
    ts_zeek_segment(&c->zeek, seg);
    out->zeek_state = (uint8_t)ts_zeek_conn_state(&c->zeek);
    out->zeek_hist_len = c->zeek.hist_len;
}

/* ---- One-sided captures ------------------------------------------------------
 * Only the client's segments were captured.  A client in SYN-SENT that
 * acknowledges the server's ISN + 1 must have received a SYN-ACK.  Reading
 * in capture order, the core cannot tell a missing capture direction from a
 * client sending too early with the SYN-ACK still to come
 * (crafted_data_before_handshake), so it keeps both accounts: the
 * connection as captured, and a shadow copy fed the same segments plus the
 * server segments that each client acknowledgment proves, put in just
 * before it (the latest moment they can have been sent).  Once the capture
 * has been read, the shadow is the right account if no server segment ever
 * appeared (ts_conn_view); ts_hindsight then shows its stages and states. */

static int proves_unseen_synack(const ts_conn *c, const ts_segment *seg)
{
    const ts_endpoint *cl = &c->ep[TS_CLIENT];
    return !c->shadow && !c->roles_inferred && !c->ep[TS_SERVER].seen && cl->syn_seen &&
           cl->state == TS_SYN_SENT && role_of(c, seg) == TS_CLIENT &&
           (seg->flags & (TS_SYN | TS_RST | TS_ACK)) == TS_ACK && !flags_invalid(seg);
}

static void open_shadow(ts_stream *s, ts_conn *c)
{
    ts_conn *sh = s->alloc(s->alloc_ctx, sizeof *sh);
    *sh = *c;                                    /* the state before the proving segment */
    sh->zeek.more = NULL;                        /* Zeek's extras: its own copy */
    ts_zeek_copy(&sh->zeek, &c->zeek);
    sh->next = NULL;
    sh->shadow = NULL;
    c->shadow = sh;
}

/* The next uncaptured server segment that the client's segment
 * acknowledges: the SYN-ACK (ISN = ack - 1) for a client still in
 * SYN-SENT; later the bytes up to its ack; or, when the client has sent
 * its FIN and acks exactly one sequence number more, the server's FIN,
 * preceded by its ACK of the client's FIN (the textbook four-way close:
 * nothing says they were one segment).  Data is taken to ack the client's
 * bytes but not its FIN, which nothing proves the server had then. */
static int unseen_server_segment(const ts_conn *sh, const ts_segment *seg, ts_segment *u)
{
    const ts_endpoint *cl = &sh->ep[TS_CLIENT], *sv = &sh->ep[TS_SERVER];
    int closing = cl->state == TS_FIN_WAIT_1 || cl->state == TS_FIN_WAIT_2;
    if ((seg->flags & (TS_ACK | TS_RST)) != TS_ACK || role_of(sh, seg) != TS_CLIENT)
        return 0;
    memset(u, 0, sizeof *u);
    u->frame = seg->frame;
    u->ts_ns = seg->ts_ns;
    u->from_a = !seg->from_a;
    u->win = seg->win;
    u->wscale = -1;
    u->sport = seg->dport;
    u->dport = seg->sport;
    u->flags = TS_ACK;
    u->seq = sv->snd_nxt;
    u->ack = cl->fin_seen ? cl->fin_seq : cl->snd_nxt;
    if (cl->state == TS_SYN_SENT) {
        u->flags = TS_SYN | TS_ACK;
        u->seq = seg->ack - 1;
        u->ack = cl->snd_nxt;
        return 1;
    }
    if (!sv->syn_seen || !seq_gt(seg->ack, sv->snd_nxt))
        return 0;
    if (seg->ack - sv->snd_nxt != 1 || sv->fin_seen || !closing) {
        u->len = seg->ack - sv->snd_nxt;         /* data */
        return 1;
    }
    u->ack = cl->snd_nxt;                        /* acks the client's FIN */
    if (cl->state == TS_FIN_WAIT_2)
        u->flags |= TS_FIN;
    return 1;
}

/* Feeds the shadow and keeps its account of the segment in out->alt_*. */
static void step_shadow(ts_conn *c, const ts_segment *seg, ts_record *out)
{
    ts_conn *sh = c->shadow;
    ts_segment u;
    ts_record alt;
    for (int i = 0; i < 3 && unseen_server_segment(sh, seg, &u); i++)
        conn_step(sh, &u, &alt, 0, 0);           /* each one moves a state or the server's seq */
    conn_step(sh, seg, &alt, 0, 0);
    out->alt_stage = alt.stage;
    out->alt_states = alt.states;
    out->alt_server_states = alt.server_states;
    out->rflags |= TS_REC_ALT;
    /* what was captured, not what was put in */
    sh->first_frame = c->first_frame;
    sh->last_frame = c->last_frame;
    sh->first_ns = c->first_ns;
    sh->last_ns = c->last_ns;
    sh->packets = c->packets;
    ts_zeek_copy(&sh->zeek, &c->zeek);
    sh->user = c->user;
    sh->user_tag = c->user_tag;
}

const ts_conn *ts_conn_view(const ts_conn *c)
{
    return (c && c->shadow && !c->ep[TS_SERVER].seen) ? c->shadow : c;
}

/* A SYN whose receiver is still in TIME-WAIT on this four-tuple meets that
 * TCB (RFC 9293 3.10.7.4), not a listener, when the receiver had opened the
 * old connection actively: nothing listens on its port to take the SYN.
 * RFC 1122 4.2.2.13 and RFC 6191 let a TCP reopen from TIME-WAIT; a stack
 * reopens into a listener (Linux does so only when a socket listens on that
 * port), otherwise RFC 9293 3.10.7.4 with RFC 5961 4.2 applies: a challenge
 * ACK of the old connection.  The new
 * connection's server is that TCB: its TIME-WAIT and sequence numbers
 * carry over (it has sent nothing in the new connection yet). */
static void inherit_time_wait(ts_conn *c, const ts_conn *prev, const ts_segment *seg)
{
    const ts_endpoint *tw;
    ts_endpoint *sv = &c->ep[TS_SERVER];
    int tw_role;
    if (!prev || (seg->flags & (TS_SYN | TS_ACK | TS_RST | TS_FIN)) != TS_SYN)
        return;
    tw_role = !role_of(prev, seg);
    tw = &prev->ep[tw_role];
    if (tw->state != TS_TIME_WAIT || tw->passive)
        return;
    sv->state = TS_TIME_WAIT;
    sv->isn = tw->isn;
    sv->isn_known = tw->isn_known;
    sv->snd_nxt = tw->snd_nxt;
    sv->max_ack = tw->max_ack;
    sv->ack_sent = tw->ack_sent;
    sv->win = tw->win;
    sv->max_win = tw->max_win;
    sv->wnd_edge = tw->wnd_edge;
    sv->wscale = tw->wscale;
    c->tw_inherited = (uint8_t)(1 + tw_role);
}

/* The inherited TIME-WAIT left TIME-WAIT (a RST deleted it): the old
 * connection's endpoint is that same TCB, so it ends there too. */
static void end_inherited_time_wait(ts_stream *s, ts_conn *c)
{
    ts_conn *prev;
    if (!c->tw_inherited || c->ep[TS_SERVER].state == TS_TIME_WAIT)
        return;
    for (prev = s->first; prev && prev->next != c; prev = prev->next)
        ;
    if (prev && prev->ep[c->tw_inherited - 1].state == TS_TIME_WAIT)
        prev->ep[c->tw_inherited - 1].state = TS_CLOSED;
    c->tw_inherited = 0;
}

void ts_stream_process(ts_stream *s, const ts_segment *seg, ts_record *out)
{
    ts_conn *c = s->current;
    int first = 0;
    ts_anomaly_set extra = 0;
    if (!c || starts_new_connection(c, seg)) {
        ts_conn *prev = c;
        int tw = in_time_wait(c, seg->ts_ns);
        if (tw)
            extra = TS_BIT(TS_AN_PORT_REUSE_TIME_WAIT);
        c = open_conn(s, seg, c);
        if (tw)
            inherit_time_wait(c, prev, seg);
        first = 1;
    }
    if (proves_unseen_synack(c, seg))
        open_shadow(s, c);
    conn_step(c, seg, out, first, extra);
    end_inherited_time_wait(s, c);
    if (c->shadow && !c->ep[TS_SERVER].seen)
        step_shadow(c, seg, out);
}

/* ---- ICMP errors ---------------------------------------------------------------- */

/* RFC 5927 4.1: only an ICMP quoting a sequence number its sender has in
 * flight, SND.UNA =< seq =< SND.NXT, is about this connection (as Linux
 * checks); SND.UNA is the peer's highest ACK, or the ISN. */
static int icmp_in_flight(const ts_conn *c, int by, uint32_t seq)
{
    const ts_endpoint *me = &c->ep[by], *peer = &c->ep[!by];
    uint32_t una = me->isn;
    if (!me->seen || !me->isn_known || is_closed_state(me->state))
        return 0;
    if (peer->seen && seq_gt(peer->max_ack, una) && !seq_gt(peer->max_ack, me->snd_nxt))
        una = peer->max_ack;
    return seq_geq(seq, una) && !seq_gt(seq, me->snd_nxt);
}

int ts_stream_icmp(ts_stream *s, const ts_icmp *icmp, ts_record *out)
{
    ts_conn *c = s->current;
    ts_endpoint *me, *peer;
    const ts_cell *cell;
    uint8_t me_before, peer_before, next;
    int by;
    memset(out, 0, sizeof *out);
    if (!c || !icmp || icmp->kind >= TS_ICMP_KIND_COUNT)
        return 0;
    by = icmp->from_a == c->client_is_a ? TS_CLIENT : TS_SERVER;
    me = &c->ep[by];
    peer = &c->ep[!by];
    if (!icmp_in_flight(c, by, icmp->seq))
        return 0;
    me_before = me->state;
    peer_before = peer->state;
    c->icmp_frame = icmp->frame;
    c->icmp_by = (uint8_t)by;
    cell = ts_model_use(icmp->kind == TS_ICMP_NO_ROUTE ? TS_EV_ICMP_SOFT : TS_EV_ICMP_HARD, me_before);
    next = ts_model_next(cell, me_before, me->passive);
    c->icmp_aborted = next != me_before;
    if (c->icmp_aborted) {
        c->icmp_prev_state = me_before;
        set_state(me, next);
        if (!peer->seen)                         /* the segment never reached its TCP */
            peer_before = peer->state = TS_CLOSED;
        if (by == TS_CLIENT && me_before == TS_SYN_SENT)
            c->refused = 1;                      /* the SYN was answered: no */
    }
    out->conn = c;
    out->stage = TS_STAGE_ICMP_UNREACH;
    out->anomalies = TS_BIT(TS_AN_ICMP_UNREACHABLE);
    out->rflags = (uint8_t)(TS_REC_ICMP | (by == TS_SERVER ? TS_REC_SENDER_CLIENT : 0) |
                            (c->roles_inferred ? TS_REC_INFERRED : 0));
    out->seg_bits = icmp->from_a ? 0 : TS_SEGBIT_FROM_A;   /* it travels toward the sender */
    if (me->syn_seen && icmp->seq == me->isn)
        out->related_frame = me->syn_last_frame;
    fill_states(out, c, !by, peer_before, me_before);
    /* Zeek does not see ICMP errors in a TCP connection: its verdict as of
     * this frame is the one the last segment left. */
    out->zeek_state = (uint8_t)ts_zeek_conn_state(&c->zeek);
    out->zeek_hist_len = c->zeek.hist_len;
    c->anomalies |= out->anomalies;
    return 1;
}

/* ---- Verdicts that need the future ------------------------------------------ */

typedef struct {
    ts_anomaly an;      /* the verdict once the grace period has passed */
    int64_t asked_ns;   /* when the question was asked */
} pending;

/* The open question a record asks, if it is still unanswered. */
static int record_question(const ts_record *r, pending *p)
{
    const ts_conn *c = r->conn;
    const ts_endpoint *cl = &c->ep[TS_CLIENT], *sv = &c->ep[TS_SERVER];
    int is_client = (r->rflags & TS_REC_SENDER_CLIENT) != 0;
    const ts_endpoint *me = is_client ? cl : sv;
    if (r->rflags & TS_REC_RETRANS)
        return 0;
    switch (r->stage) {
    case TS_STAGE_SYN:
        if (c->synack_frame || c->refused || c->reset_by != NONE || c->established)
            return 0;
        p->an = TS_AN_SYN_UNANSWERED;
        p->asked_ns = cl->syn_ns;
        return 1;
    case TS_STAGE_SYNACK:
        if (sv->state != TS_SYN_RECEIVED || c->reset_by != NONE)
            return 0;                            /* the server got its ACK (or data) */
        p->an = TS_AN_SYNACK_UNANSWERED;
        p->asked_ns = c->synack_ns;
        return 1;
    case TS_STAGE_FIN1:
    case TS_STAGE_SIMCLOSE_FIN:
    case TS_STAGE_FIN2:
    case TS_STAGE_FINACK_COMBINED:
        /* a reset answers a FIN, unless it showed the FIN never arrived */
        if (me->fin_acked || (c->reset_by != NONE && !c->undelivered[2].from))
            return 0;
        p->an = (r->stage == TS_STAGE_FIN2 || r->stage == TS_STAGE_FINACK_COMBINED)
                    ? TS_AN_MISSING_FINAL_ACK : TS_AN_FIN_UNACKED;
        p->asked_ns = me->fin_ns;
        return 1;
    default:
        return 0;
    }
}

static ts_anomaly_set pending_verdict(const pending *p, int64_t end_ns, int64_t grace_ns)
{
    if (ns_between(p->asked_ns, end_ns) >= grace_ns)
        return TS_BIT(p->an);
    return TS_BIT(TS_AN_OPEN_AT_CAPTURE_END);
}

static int conn_has_question(const ts_conn *c);

/* The record in the connection's final account: the one-sided shadow's
 * stage, on the shadow, when ts_conn_view picks it. */
static ts_record final_account(const ts_record *r)
{
    ts_record v = *r;
    const ts_conn *view = ts_conn_view(r->conn);
    if (view != r->conn) {
        v.conn = (ts_conn *)view;
        if (r->rflags & TS_REC_ALT) {
            v.stage = r->alt_stage;
            v.states = r->alt_states;
            v.server_states = r->alt_server_states;
        }
    }
    return v;
}

ts_anomaly_set ts_deferred_anomalies(const ts_record *r, int64_t capture_end_ns,
                                     int64_t grace_ns, int is_last)
{
    pending p;
    ts_anomaly_set set = 0;
    ts_record v;
    if (!r || !r->conn)
        return 0;
    v = final_account(r);
    if (record_question(&v, &p))
        set |= pending_verdict(&p, capture_end_ns, grace_ns);
    if (is_last && !ts_conn_finished(v.conn) && !conn_has_question(v.conn))
        set |= TS_BIT(TS_AN_OPEN_AT_CAPTURE_END);
    return set;
}

/* The connection's unanswered questions (its SYN, SYN-ACK, FINs): asks
 * record_question() about the record each of them would have. */
static int conn_questions(const ts_conn *c, pending qs[4])
{
    int n = 0;
    ts_record r;
    memset(&r, 0, sizeof r);
    r.conn = (ts_conn *)c;
    if (c->ep[TS_CLIENT].syn_seen && !c->roles_inferred) {
        r.stage = TS_STAGE_SYN;
        r.rflags = TS_REC_SENDER_CLIENT;
        n += record_question(&r, &qs[n]);
    }
    if (c->synack_frame) {
        r.stage = TS_STAGE_SYNACK;
        r.rflags = 0;
        n += record_question(&r, &qs[n]);
    }
    for (int role = 0; role < 2; role++) {
        if (!c->ep[role].fin_seen)
            continue;
        r.stage = c->ep[role].fin_stage;
        r.rflags = role == TS_CLIENT ? TS_REC_SENDER_CLIENT : 0;
        n += record_question(&r, &qs[n]);
    }
    return n;
}

static int conn_has_question(const ts_conn *c)
{
    pending qs[4];
    return conn_questions(c, qs) > 0;
}

/* Anomalies that only the uncaptured direction made the captured one raise. */
#define ONE_SIDED_EXPLAINED TS_BIT(TS_AN_DATA_BEFORE_HANDSHAKE)

ts_anomaly_set ts_conn_final_anomalies(const ts_conn *conn, int64_t capture_end_ns,
                                       int64_t grace_ns)
{
    const ts_conn *c = ts_conn_view(conn);
    ts_anomaly_set set = c->anomalies;
    pending qs[4];
    int n = conn_questions(c, qs);
    for (int i = 0; i < n; i++)
        set |= pending_verdict(&qs[i], capture_end_ns, grace_ns);
    if (!ts_conn_finished(c) && n == 0)
        set |= TS_BIT(TS_AN_OPEN_AT_CAPTURE_END);
    return set;
}

ts_outcome ts_conn_outcome(const ts_conn *conn)
{
    const ts_conn *c = ts_conn_view(conn);
    const ts_endpoint *a = &c->ep[0], *b = &c->ep[1];
    if (c->refused)
        return TS_OUT_REFUSED;
    if (c->reset_by != NONE && ts_conn_finished(c))
        return TS_OUT_RESET;
    /* only invalid probes (SYN+FIN, Xmas, a lone FIN): no SYN was ever
     * valid, no FIN closed anything; "closed" would claim a teardown */
    if (ts_conn_finished(c) && !c->established && !a->syn_seen && !b->syn_seen &&
        !a->fin_seen && !b->fin_seen)
        return TS_OUT_NEVER_OPENED;
    if (ts_conn_finished(c)) {
        if (c->simultaneous_close)
            return TS_OUT_SIMCLOSE;
        return c->combined_finack ? TS_OUT_THREE_WAY : TS_OUT_FOUR_WAY;
    }
    if (!c->established)
        return TS_OUT_HANDSHAKE;
    if (a->fin_seen || b->fin_seen) {
        if ((a->fin_seen && !a->fin_acked) || (b->fin_seen && !b->fin_acked) ||
            (a->fin_seen && b->fin_seen))
            return TS_OUT_CLOSING;
        return TS_OUT_HALF_CLOSED;
    }
    return TS_OUT_OPEN;
}

unsigned ts_final_stage(const ts_record *r)
{
    if (r->conn && r->conn->simultaneous_open && r->stage == TS_STAGE_SYN)
        return TS_STAGE_SIMOPEN_SYN;
    if (r->conn && r->conn->simultaneous_close && r->stage == TS_STAGE_FIN1)
        return TS_STAGE_SIMCLOSE_FIN;
    return r->stage;
}

static void set_receiver_states(ts_record *v, int receiver, uint8_t before, uint8_t after)
{
    uint8_t packed = (uint8_t)((before << 4) | after);
    if (receiver == TS_CLIENT)
        v->states = packed;
    else
        v->server_states = packed;
}

/* A one-sided connection: the shadow's stages and states, said to be inferred. */
static void one_sided_view(ts_record *v, const ts_record *r)
{
    if (!(r->rflags & TS_REC_ALT))
        return;                                  /* before the proof: as captured */
    v->stage = r->alt_stage;
    v->states = r->alt_states;
    v->server_states = r->alt_server_states;
    v->anomalies &= ~ONE_SIDED_EXPLAINED;
    v->rflags = (uint8_t)((v->rflags & ~TS_REC_ALT) | TS_REC_INFERRED | TS_REC_ONE_SIDED);
}

int ts_conn_syn_unheard(const ts_conn *c)
{
    const ts_endpoint *cl = &c->ep[TS_CLIENT], *sv = &c->ep[TS_SERVER];
    return cl->syn_seen && !sv->seen && sv->state == TS_SYN_RECEIVED && !c->roles_inferred &&
           !c->synack_frame && !c->refused && c->reset_by == NONE && !c->established &&
           !c->icmp_frame && !c->simultaneous_open && ts_conn_view(c) == c;
}

unsigned ts_conn_final_state(const ts_conn *c, int role)
{
    const ts_conn *v = ts_conn_view(c);
    if (role == TS_SERVER && ts_conn_syn_unheard(c))
        return TS_LISTEN;
    return v->ep[role == TS_SERVER ? TS_SERVER : TS_CLIENT].state;
}

/* A SYN nothing shows arrived: the server stays LISTEN on it (and on its
 * retransmissions); the capture proves only that the client sent it. */
static void unheard_syn_view(ts_record *v, const ts_record *r)
{
    if (!(r->rflags & TS_REC_SENDER_CLIENT) || ts_rec_server_after(r) != TS_SYN_RECEIVED)
        return;
    set_receiver_states(v, TS_SERVER, TS_LISTEN, TS_LISTEN);
    v->rflags |= TS_REC_SYN_UNHEARD;
}

int ts_conn_undelivered(const ts_conn *c, uint32_t frame, int receiver, unsigned *kept)
{
    for (int i = 0; i < 3; i++)
        if (c->undelivered[i].from && frame >= c->undelivered[i].from &&
            frame < c->undelivered[i].to && receiver == c->undelivered[i].role) {
            if (kept)
                *kept = c->undelivered[i].state;
            return i + 1;
        }
    return 0;
}

/* The proving RST of a lost FIN: its receiver's state before it. */
static void lost_fin_rst_view(ts_record *v, const ts_conn *c, uint32_t frame, int receiver)
{
    if (c->undelivered[2].from && frame == c->undelivered[2].to && receiver == c->undelivered[2].role) {
        unsigned after = receiver == TS_CLIENT ? ts_rec_client_after(v) : ts_rec_server_after(v);
        set_receiver_states(v, receiver, c->undelivered[2].state, (uint8_t)after);
    }
}

ts_record ts_hindsight(const ts_record *r, uint32_t frame)
{
    ts_record v = *r;
    const ts_conn *c = r->conn;
    int receiver = (r->rflags & TS_REC_SENDER_CLIENT) ? TS_SERVER : TS_CLIENT;
    if (!c)
        return v;
    v.stage = (uint8_t)ts_final_stage(r);
    if (c->crossed_frame && frame == c->crossed_frame)
        set_receiver_states(&v, receiver, c->crossed_state, c->crossed_state);
    for (int role = 0; role < 2; role++) {       /* whichever way the segment went */
        unsigned kept;
        if (ts_conn_undelivered(c, frame, role, &kept))
            set_receiver_states(&v, role, (uint8_t)kept, (uint8_t)kept);
    }
    lost_fin_rst_view(&v, c, frame, receiver);
    if (c->forged_rst_frame && frame == c->forged_rst_frame) {
        int sender = !receiver;                  /* it did not send this RST */
        set_receiver_states(&v, sender, c->forged_rst_state, c->forged_rst_state);
        v.anomalies &= ~TS_BIT(TS_AN_HALF_OPEN);
    }
    if (c->no_tcb_frame && frame == c->no_tcb_frame)
        set_receiver_states(&v, receiver, TS_CLOSED, TS_CLOSED);  /* half-open: no TCB */
    if (c->refused && receiver == TS_SERVER && v.stage == TS_STAGE_SYN &&
        ts_rec_server_before(r) != TS_TIME_WAIT &&   /* that SYN met a TIME-WAIT TCB */
        (frame < c->ep[TS_SERVER].rst_frame || frame < c->icmp_frame))
        set_receiver_states(&v, receiver, TS_CLOSED, TS_CLOSED);
    if ((r->rflags & TS_REC_ICMP) && c->icmp_revived_frame > frame) {
        unsigned st = receiver == TS_CLIENT ? ts_rec_client_before(r) : ts_rec_server_before(r);
        set_receiver_states(&v, receiver, (uint8_t)st, (uint8_t)st);   /* only a soft error */
    }
    if (ts_conn_view(c) != c)
        one_sided_view(&v, r);
    else if (ts_conn_syn_unheard(c))
        unheard_syn_view(&v, r);
    return v;
}
