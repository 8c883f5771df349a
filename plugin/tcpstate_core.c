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

#include <stdio.h>
#include <string.h>

#define NONE 0xff
#define KEEP 0xff            /* table cell: state unchanged */
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

static const char *const phase_names[] = {
    "handshake", "established", "teardown", "closed", "reset"
};

const char *ts_phase_name(unsigned phase)
{
    return phase < TS_PHASE_COUNT ? phase_names[phase] : "?";
}

typedef struct {
    const char *en, *zh, *step;
    uint8_t phase;
} stage_info;

static const stage_info stages[] = {
#define TS_X_STAGE(id, en, zh, phase, step) { en, zh, step, phase },
    TS_STAGE_LIST(TS_X_STAGE)
#undef TS_X_STAGE
};

const char *ts_stage_label(unsigned s)    { return s < TS_STAGE_COUNT ? stages[s].en : "?"; }
const char *ts_stage_label_zh(unsigned s) { return s < TS_STAGE_COUNT ? stages[s].zh : "?"; }
unsigned    ts_stage_phase(unsigned s)    { return s < TS_STAGE_COUNT ? stages[s].phase : 0; }
const char *ts_stage_step(unsigned s)     { return s < TS_STAGE_COUNT ? stages[s].step : ""; }

typedef struct {
    const char *name, *summary;
    ts_group group;
    ts_severity severity;
} anomaly_info;

static const anomaly_info anomalies[] = {
#define TS_X_AN(id, name, grp, sev, summary) { name, summary, grp, sev },
    TS_ANOMALY_LIST(TS_X_AN)
#undef TS_X_AN
};

const char *ts_anomaly_name(unsigned a)    { return a < TS_ANOMALY_COUNT ? anomalies[a].name : "?"; }
const char *ts_anomaly_summary(unsigned a) { return a < TS_ANOMALY_COUNT ? anomalies[a].summary : "?"; }
ts_group    ts_anomaly_group(unsigned a)   { return a < TS_ANOMALY_COUNT ? anomalies[a].group : TS_GRP_PROTOCOL; }
ts_severity ts_anomaly_severity(unsigned a){ return a < TS_ANOMALY_COUNT ? anomalies[a].severity : TS_SEV_NOTE; }

#define DEFERRED_SET (TS_BIT(TS_AN_SYN_UNANSWERED) | TS_BIT(TS_AN_SYNACK_UNANSWERED) | \
                      TS_BIT(TS_AN_FIN_UNACKED) | TS_BIT(TS_AN_MISSING_FINAL_ACK) |    \
                      TS_BIT(TS_AN_OPEN_AT_CAPTURE_END))

int ts_anomaly_is_deferred(unsigned a)
{
    return a < TS_ANOMALY_COUNT && (DEFERRED_SET & TS_BIT(a)) != 0;
}

static const char *const outcome_names[] = {
#define TS_X_NAME(id, name) name,
    TS_OUTCOME_LIST(TS_X_NAME)
#undef TS_X_NAME
};

const char *ts_outcome_name(unsigned o)
{
    return o < TS_OUTCOME_COUNT ? outcome_names[o] : "?";
}

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

/* ---- Packet classes -------------------------------------------------------- */

typedef enum {
    CLS_SYN,     /* SYN without ACK */
    CLS_SYNACK,  /* SYN with ACK */
    CLS_FIN,     /* FIN whose ACK covers nothing new of the receiver's */
    CLS_FIN_CTL, /* FIN whose ACK also covers the receiver's SYN or FIN */
    CLS_ACK,     /* ACK, maybe data, covering nothing new of the receiver's */
    CLS_ACK_CTL, /* ACK covering the receiver's SYN or FIN for the first time */
    CLS_COUNT
} pkt_class;

/*
 * Sender table: the state an endpoint enters by *sending* a segment of the
 * class, from the state it was in (RFC 9293 figure 5, "snd" events).
 * Rows are classes, columns are the sender's state before.
 */
static const uint8_t send_next[CLS_COUNT][TS_STATE_COUNT] = {
    [CLS_SYN] = {
        [TS_CLOSED]       = TS_SYN_SENT,     /* active OPEN: snd SYN */
        [TS_LISTEN]       = TS_SYN_SENT,     /* SEND on a listening socket: snd SYN */
        [TS_SYN_SENT]     = KEEP,            /* retransmitted SYN */
        [TS_SYN_RECEIVED] = KEEP,            /* retransmission (crossing SYNs handled before) */
        [TS_ESTABLISHED]  = KEEP,            /* a SYN on a live connection: maybe its sender
                                              * rebooted, maybe injected; the challenge ACK
                                              * and what follows tell (RFC 5961 4.2) */
        [TS_FIN_WAIT_1]   = KEEP,            /* same */
        [TS_FIN_WAIT_2]   = KEEP,            /* same */
        [TS_CLOSE_WAIT]   = KEEP,            /* same */
        [TS_CLOSING]      = KEEP,            /* same */
        [TS_LAST_ACK]     = KEEP,            /* same */
        [TS_TIME_WAIT]    = TS_SYN_SENT,     /* reuse of a TIME-WAIT four-tuple */
    },
    [CLS_SYNACK] = {
        [TS_CLOSED]       = TS_SYN_RECEIVED, /* answer to a SYN we did not see */
        [TS_LISTEN]       = TS_SYN_RECEIVED, /* rcv SYN, snd SYN,ACK */
        [TS_SYN_SENT]     = TS_SYN_RECEIVED, /* simultaneous open: rcv SYN, snd SYN,ACK */
        [TS_SYN_RECEIVED] = KEEP,            /* SYN-ACK retransmitted */
        [TS_ESTABLISHED]  = KEEP,            /* late retransmission: no change */
        [TS_FIN_WAIT_1]   = KEEP,            /* no change */
        [TS_FIN_WAIT_2]   = KEEP,            /* no change */
        [TS_CLOSE_WAIT]   = KEEP,            /* no change */
        [TS_CLOSING]      = KEEP,            /* no change */
        [TS_LAST_ACK]     = KEEP,            /* no change */
        [TS_TIME_WAIT]    = KEEP,            /* no change */
    },
    [CLS_FIN] = {
        [TS_CLOSED]       = KEEP,            /* stray FIN from a closed endpoint */
        [TS_LISTEN]       = KEEP,            /* not possible: no connection */
        [TS_SYN_SENT]     = KEEP,            /* CLOSE in SYN-SENT deletes the TCB, sends nothing */
        [TS_SYN_RECEIVED] = TS_FIN_WAIT_1,   /* CLOSE: snd FIN */
        [TS_ESTABLISHED]  = TS_FIN_WAIT_1,   /* CLOSE: snd FIN (active close) */
        [TS_FIN_WAIT_1]   = KEEP,            /* retransmitted FIN */
        [TS_FIN_WAIT_2]   = KEEP,            /* retransmitted FIN */
        [TS_CLOSE_WAIT]   = TS_LAST_ACK,     /* CLOSE: snd FIN (passive close) */
        [TS_CLOSING]      = KEEP,            /* retransmitted FIN */
        [TS_LAST_ACK]     = KEEP,            /* retransmitted FIN */
        [TS_TIME_WAIT]    = KEEP,            /* retransmitted FIN */
    },
    [CLS_FIN_CTL] = {
        [TS_CLOSED]       = KEEP,            /* stray FIN */
        [TS_LISTEN]       = KEEP,            /* not possible */
        [TS_SYN_SENT]     = KEEP,            /* not possible: nothing to acknowledge */
        [TS_SYN_RECEIVED] = TS_FIN_WAIT_1,   /* CLOSE: snd FIN */
        [TS_ESTABLISHED]  = TS_FIN_WAIT_1,   /* CLOSE: snd FIN */
        [TS_FIN_WAIT_1]   = KEEP,            /* retransmitted FIN */
        [TS_FIN_WAIT_2]   = KEEP,            /* retransmitted FIN */
        [TS_CLOSE_WAIT]   = TS_LAST_ACK,     /* CLOSE: snd FIN, also acking the peer's FIN */
        [TS_CLOSING]      = KEEP,            /* retransmitted FIN */
        [TS_LAST_ACK]     = KEEP,            /* retransmitted FIN */
        [TS_TIME_WAIT]    = KEEP,            /* retransmitted FIN */
    },
    /* ACKs never change their sender's state: the sender moved when it
     * received what it acknowledges. */
    [CLS_ACK]     = { KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP },
    [CLS_ACK_CTL] = { KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP },
};

/*
 * Receiver table: the state an endpoint enters on *receiving* a segment of
 * the class (RFC 9293 section 3.10.7, "rcv" events).  Acknowledgment
 * validity is checked before the table (wrong ACKs are classified CLS_ACK or
 * rejected), so "ctl" cells only see acceptable ACKs.
 */
static const uint8_t recv_next[CLS_COUNT][TS_STATE_COUNT] = {
    [CLS_SYN] = {
        [TS_CLOSED]       = KEEP,            /* no listener: answered by RST (3.10.7.1) */
        [TS_LISTEN]       = TS_SYN_RECEIVED, /* rcv SYN, snd SYN,ACK (3.10.7.2) */
        [TS_SYN_SENT]     = TS_SYN_RECEIVED, /* simultaneous open (3.10.7.3) */
        [TS_SYN_RECEIVED] = KEEP,            /* duplicate SYN */
        [TS_ESTABLISHED]  = KEEP,            /* RFC 5961 4.2: challenge ACK, no change */
        [TS_FIN_WAIT_1]   = KEEP,            /* challenge ACK */
        [TS_FIN_WAIT_2]   = KEEP,            /* challenge ACK */
        [TS_CLOSE_WAIT]   = KEEP,            /* challenge ACK */
        [TS_CLOSING]      = KEEP,            /* challenge ACK */
        [TS_LAST_ACK]     = KEEP,            /* challenge ACK */
        [TS_TIME_WAIT]    = TS_SYN_RECEIVED, /* SYN in TIME-WAIT may open anew (RFC 6191) */
    },
    [CLS_SYNACK] = {
        [TS_CLOSED]       = KEEP,            /* answered by RST */
        [TS_LISTEN]       = KEEP,            /* ACK to a listener: RST */
        [TS_SYN_SENT]     = TS_ESTABLISHED,  /* rcv SYN,ACK acking our SYN: snd ACK */
        [TS_SYN_RECEIVED] = TS_ESTABLISHED,  /* simultaneous open: our SYN acknowledged */
        [TS_ESTABLISHED]  = KEEP,            /* duplicate: re-ACK */
        [TS_FIN_WAIT_1]   = KEEP,            /* duplicate */
        [TS_FIN_WAIT_2]   = KEEP,            /* duplicate */
        [TS_CLOSE_WAIT]   = KEEP,            /* duplicate */
        [TS_CLOSING]      = KEEP,            /* duplicate */
        [TS_LAST_ACK]     = KEEP,            /* duplicate */
        [TS_TIME_WAIT]    = KEEP,            /* duplicate */
    },
    [CLS_FIN] = {
        [TS_CLOSED]       = KEEP,            /* answered by RST */
        [TS_LISTEN]       = KEEP,            /* dropped */
        [TS_SYN_SENT]     = KEEP,            /* dropped: no SYN */
        [TS_SYN_RECEIVED] = KEEP,            /* FIN not acking our SYN: not acceptable */
        [TS_ESTABLISHED]  = TS_CLOSE_WAIT,   /* rcv FIN, snd ACK (passive close) */
        [TS_FIN_WAIT_1]   = TS_CLOSING,      /* FIN crossed ours: simultaneous close */
        [TS_FIN_WAIT_2]   = TS_TIME_WAIT,    /* rcv FIN, snd ACK */
        [TS_CLOSE_WAIT]   = KEEP,            /* retransmitted FIN */
        [TS_CLOSING]      = KEEP,            /* retransmitted FIN */
        [TS_LAST_ACK]     = KEEP,            /* retransmitted FIN */
        [TS_TIME_WAIT]    = KEEP,            /* retransmitted FIN: re-ACK, restart 2 MSL */
    },
    [CLS_FIN_CTL] = {
        [TS_CLOSED]       = KEEP,            /* answered by RST */
        [TS_LISTEN]       = KEEP,            /* dropped */
        [TS_SYN_SENT]     = KEEP,            /* dropped: no SYN */
        [TS_SYN_RECEIVED] = TS_CLOSE_WAIT,   /* ACK of our SYN, then FIN */
        [TS_ESTABLISHED]  = TS_CLOSE_WAIT,   /* rcv FIN */
        [TS_FIN_WAIT_1]   = TS_TIME_WAIT,    /* FIN + ACK of our FIN: straight to TIME-WAIT */
        [TS_FIN_WAIT_2]   = TS_TIME_WAIT,    /* rcv FIN */
        [TS_CLOSE_WAIT]   = KEEP,            /* retransmitted FIN */
        [TS_CLOSING]      = TS_TIME_WAIT,    /* ACK of our FIN */
        [TS_LAST_ACK]     = TS_CLOSED,       /* ACK of our FIN */
        [TS_TIME_WAIT]    = KEEP,            /* retransmitted FIN */
    },
    [CLS_ACK] = { KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP, KEEP },
    [CLS_ACK_CTL] = {
        [TS_CLOSED]       = KEEP,            /* answered by RST */
        [TS_LISTEN]       = KEEP,            /* answered by RST */
        [TS_SYN_SENT]     = KEEP,            /* no SYN: dropped */
        [TS_SYN_RECEIVED] = TS_ESTABLISHED,  /* third handshake segment */
        [TS_ESTABLISHED]  = KEEP,            /* nothing outstanding */
        [TS_FIN_WAIT_1]   = TS_FIN_WAIT_2,   /* our FIN acknowledged */
        [TS_FIN_WAIT_2]   = KEEP,            /* already acknowledged */
        [TS_CLOSE_WAIT]   = KEEP,            /* nothing outstanding */
        [TS_CLOSING]      = TS_TIME_WAIT,    /* our FIN acknowledged */
        [TS_LAST_ACK]     = TS_CLOSED,       /* final ACK: delete the TCB */
        [TS_TIME_WAIT]    = KEEP,            /* re-ACK of a retransmitted FIN */
    },
};

static uint8_t apply(uint8_t cell, uint8_t state)
{
    return cell == KEEP ? state : cell;
}

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

static pkt_class classify(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    int ctl = acks_ctl(x);
    if (s->flags & TS_SYN)
        return (s->flags & TS_ACK) ? CLS_SYNACK : CLS_SYN;
    if (s->flags & TS_FIN)
        return ctl ? CLS_FIN_CTL : CLS_FIN;
    return ctl ? CLS_ACK_CTL : CLS_ACK;
}

/* ---- RST acceptability (RFC 9293 3.10.7.3/3.10.7.4, RFC 5961 section 3) -- */

typedef enum { RST_ACCEPT, RST_CHALLENGE, RST_OUT_OF_WINDOW, RST_IGNORED } rst_verdict;

static rst_verdict check_rst(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    const ts_endpoint *me = x->me, *peer = x->peer;
    uint32_t rcv_nxt, wnd;
    switch (x->peer_before) {
    case TS_LISTEN:
        return RST_IGNORED;                      /* RST to a listener is dropped */
    case TS_CLOSED:
        return RST_IGNORED;
    case TS_SYN_SENT:                            /* must acknowledge our SYN */
        return (has(s, TS_ACK) && s->ack == peer->snd_nxt) ? RST_ACCEPT : RST_IGNORED;
    default:
        break;
    }
    if (!me->seen || !me->isn_known)
        return RST_ACCEPT;                       /* nothing to check against */
    rcv_nxt = me->snd_nxt;
    wnd = peer->win ? peer->win : 1;
    if (s->seq == rcv_nxt || (me->fin_seen && s->seq == me->fin_seq))
        return RST_ACCEPT;
    if (seq_geq(s->seq, rcv_nxt) && seq_lt(s->seq, rcv_nxt + wnd))
        return RST_CHALLENGE;
    return RST_OUT_OF_WINDOW;
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

static void handle_rst(step_ctx *x)
{
    ts_conn *c = x->c;
    rst_verdict v = check_rst(x);
    x->me->rst_seen = 1;
    if (!x->me->rst_frame)
        x->me->rst_frame = x->seg->frame;
    if (v == RST_OUT_OF_WINDOW || v == RST_CHALLENGE || v == RST_IGNORED) {
        x->rec->stage = TS_STAGE_RST_IGNORED;
        if (v == RST_OUT_OF_WINDOW)
            raise(x, TS_AN_RST_OUT_OF_WINDOW);
        if (v == RST_CHALLENGE) {
            c->challenge_due = (uint8_t)x->rcv;
            c->challenge_cause = x->seg->frame;
            c->challenge_syn = 0;
        }
        if (ts_conn_finished(c))
            x->rec->stage = TS_STAGE_AFTER_CLOSE;
        return;
    }
    if (x->peer_before == TS_SYN_SENT && !x->me->syn_seen) {
        x->rec->stage = TS_STAGE_RST_REFUSED;    /* SYN answered by RST: no listener */
        c->refused = 1;
        x->me_before = TS_CLOSED;                /* no TCB: nothing was listening */
        raise(x, TS_AN_CONNECTION_REFUSED);
        set_time(x, x->peer->syn_last_ns, x->peer->syn_last_frame);
        x->me->state = TS_CLOSED;
    } else {
        x->rec->stage = TS_STAGE_RST_ABORT;
        x->rec->related_frame = 0;
        /* A RST without ACK right after the peer's data is a stack with no
         * connection answering it (RFC 9293 3.10.7.1): half-open. */
        if (!has(x->seg, TS_ACK) && c->established && !ts_conn_finished(c) &&
            c->last_sender == x->rcv && c->last_payload)
            raise(x, TS_AN_HALF_OPEN);
        /* The SYN's sender answers the challenge with RST: it really had
         * lost the connection its peer still held (RFC 5961 4.2). */
        if (c->last_stage == TS_STAGE_CHALLENGE_ACK && c->challenge_syn && c->last_sender == x->rcv)
            raise(x, TS_AN_HALF_OPEN);
        /* RFC 9293 3.10.7.3: SYN-SENT answers an unacceptable SYN-ACK with
         * RST and stays; a RST of its own is an abort. */
        if (!(x->me_before == TS_SYN_SENT && c->last_sender == x->rcv &&
              c->last_stage == TS_STAGE_SYNACK))
            x->me->state = TS_CLOSED;
    }
    c->reset_by = (uint8_t)x->snd;
    /* RFC 9293 3.10.7.4: SYN-RECEIVED from a passive open returns to LISTEN. */
    x->peer->state = (x->peer_before == TS_SYN_RECEIVED && x->peer->passive) ? TS_LISTEN : TS_CLOSED;
}

/* Segments of a connection that is over (or was reset) change nothing. */
static int handle_after_end(step_ctx *x)
{
    ts_conn *c = x->c;
    int reset = c->reset_by != NONE && !c->refused;
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
static void correct_crossing(step_ctx *x, pkt_class cls)
{
    ts_conn *c = x->c;
    if (cls == CLS_SYN && x->me_before == TS_SYN_RECEIVED && x->peer_before == TS_SYN_SENT &&
        !x->me->syn_seen) {
        x->me_before = TS_CLOSED;                /* it never listened: it was opening too */
        x->me->passive = 0;
        c->simultaneous_open = 1;
        c->crossed_frame = x->peer->syn_frame;
        c->crossed_state = TS_CLOSED;
    }
    if (cls == CLS_SYNACK && c->simultaneous_open && x->me_before == TS_ESTABLISHED &&
        !x->me->synack_sent)
        x->me_before = TS_SYN_RECEIVED;          /* its SYN-ACK crossed the peer's */
    if (cls == CLS_FIN && x->me_before == TS_CLOSE_WAIT && x->peer_before == TS_FIN_WAIT_1 &&
        !x->me->fin_seen) {
        x->me_before = TS_ESTABLISHED;           /* its FIN left before ours arrived */
        c->simultaneous_close = 1;
        c->crossed_frame = x->peer->fin_frame;
        c->crossed_state = TS_ESTABLISHED;
    }
}

static void check_handshake(step_ctx *x, pkt_class *cls)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *cl = &c->ep[TS_CLIENT];
    /* acceptable: SND.UNA < SEG.ACK =< SND.NXT (3.10.7.3); above ISN + 1 only with Fast Open data */
    if (*cls == CLS_SYNACK && cl->syn_seen && x->rcv == TS_CLIENT &&
        !(seq_gt(s->ack, cl->isn) && !seq_gt(s->ack, cl->snd_nxt))) {
        raise(x, TS_AN_SYNACK_WRONG_ACK);
        x->bad_synack = 1;                       /* unacceptable: the client answers RST */
        return;
    }
    if (x->peer_before != TS_SYN_RECEIVED || (s->flags & TS_SYN))
        return;
    if (x->snd == TS_CLIENT && seq_gt(s->seq, cl->snd_nxt) && has(s, TS_ACK)) {
        raise(x, TS_AN_HANDSHAKE_ACK_MISSING);   /* bytes before this one were never seen */
        *cls = (s->flags & TS_FIN) ? CLS_FIN : CLS_ACK;
        return;
    }
    if (has(s, TS_ACK) && *cls != CLS_ACK_CTL && *cls != CLS_FIN_CTL && x->peer->syn_seen)
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
    if (s->len && (s->flags & TS_SYN) && !s->tfo)
        raise(x, TS_AN_DATA_BEFORE_HANDSHAKE);
    if (s->len && x->snd == TS_SERVER && x->me_before == TS_SYN_RECEIVED && !c->tfo &&
        !(s->flags & TS_SYN))
        raise(x, TS_AN_HANDSHAKE_ACK_MISSING);   /* a server sends data only once established */
    if (has(s, TS_ACK) && x->peer->fin_seen && seq_gt(s->ack, x->peer->fin_seq + 1) &&
        seq_gt(s->ack, x->peer->snd_nxt))
        raise(x, TS_AN_FIN_WRONG_ACK);           /* beyond the FIN and beyond anything sent */
}

/* Stage of a segment that changes or may change state. */
static uint8_t name_stage(step_ctx *x, pkt_class cls)
{
    ts_conn *c = x->c;
    uint8_t pb = x->peer_before, mb = x->me_before;
    switch (cls) {
    case CLS_SYN:
        return pb == TS_SYN_SENT || c->simultaneous_open ? TS_STAGE_SIMOPEN_SYN : TS_STAGE_SYN;
    case CLS_SYNACK:
        return c->simultaneous_open ? TS_STAGE_SIMOPEN_SYNACK : TS_STAGE_SYNACK;
    case CLS_ACK_CTL:
        if (pb == TS_SYN_RECEIVED)
            return c->simultaneous_open ? TS_STAGE_SIMOPEN_ACK : TS_STAGE_HS_ACK;
        if (pb == TS_FIN_WAIT_1)
            return TS_STAGE_FIN_ACK1;
        if (pb == TS_CLOSING)
            return TS_STAGE_SIMCLOSE_ACK;
        if (pb == TS_LAST_ACK)
            return c->simultaneous_close ? TS_STAGE_SIMCLOSE_ACK : TS_STAGE_FINAL_ACK;
        return TS_STAGE_DATA;
    case CLS_FIN:
    case CLS_FIN_CTL:
        if (pb == TS_FIN_WAIT_1 && cls == CLS_FIN)
            return TS_STAGE_SIMCLOSE_FIN;
        if (pb == TS_FIN_WAIT_1)
            return TS_STAGE_FINACK_COMBINED;
        if (pb == TS_FIN_WAIT_2 || pb == TS_CLOSING || mb == TS_CLOSE_WAIT)
            return TS_STAGE_FIN2;
        return TS_STAGE_FIN1;
    case CLS_ACK:
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
static void link_related(step_ctx *x, pkt_class cls)
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
static int handle_retransmission(step_ctx *x)
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
static void remember(step_ctx *x, pkt_class cls)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *me = x->me, *peer = x->peer;
    uint32_t end = s->seq + s->len + ((s->flags & TS_SYN) ? 1 : 0) + ((s->flags & TS_FIN) ? 1 : 0);
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
    if ((cls == CLS_ACK_CTL || cls == CLS_FIN_CTL) && peer->fin_seen && !peer->fin_acked) {
        peer->fin_acked = 1;
        peer->fin_ack_frame = s->frame;
        peer->fin_ack_stage = x->rec->stage;
        if (x->rec->stage == TS_STAGE_FINACK_COMBINED)
            c->combined_finack = 1;
    }
    if ((cls == CLS_ACK_CTL || cls == CLS_FIN_CTL) && x->peer_before == TS_SYN_RECEIVED) {
        c->established = 1;
        c->hs_ack_frame = s->frame;
        c->hs_ack_ns = s->ts_ns;
    }
    if (cls == CLS_SYNACK && x->peer->state == TS_ESTABLISHED)
        c->established = 1;
    if (s->flags & TS_ACK) {
        if (!me->seen || seq_gt(s->ack, me->max_ack))
            me->max_ack = s->ack;
        if (!peer->isn_known) {
            peer->isn = s->ack - 1;
            peer->isn_known = 1;
            peer->snd_nxt = s->ack;
        }
    }
    me->win = window_bytes(c, me, s);
    me->seen = 1;
}

static void set_state(ts_endpoint *e, uint8_t st)
{
    if (e->state != st) {
        e->prev_state = e->state;
        e->state = st;
    }
}

static void transition(step_ctx *x, pkt_class cls)
{
    uint8_t me_new = apply(send_next[cls][x->me_before], x->me_before);
    uint8_t peer_new = apply(recv_next[cls][x->peer_before], x->peer_before);
    /* Crossing SYN: the sender opened, then takes the peer's SYN already in flight. */
    if (cls == CLS_SYN && x->c->simultaneous_open && x->peer_before == TS_SYN_SENT)
        me_new = TS_SYN_RECEIVED;
    /* Crossing FIN: the sender's FIN-WAIT-1 meets the peer's FIN in flight. */
    if (cls == CLS_FIN && x->c->simultaneous_close && x->me_before == TS_ESTABLISHED)
        me_new = TS_CLOSING;
    /* Crossing SYN-ACK: the sender already holds the peer's SYN-ACK. */
    if (cls == CLS_SYNACK && x->c->simultaneous_open && x->me->state == TS_ESTABLISHED)
        me_new = TS_ESTABLISHED;
    if (peer_new == TS_SYN_RECEIVED && x->peer_before == TS_LISTEN)
        x->peer->passive = 1;
    set_state(x->me, me_new);
    set_state(x->peer, peer_new);
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
    if ((s->flags & (TS_SYN | TS_FIN)) || x->c->last_sender != x->snd ||
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
    pkt_class cls;
    if (handle_duplicate(x))
        return;
    if (flags_invalid(s)) {
        raise(x, TS_AN_INVALID_FLAGS);
        x->rec->stage = TS_STAGE_INVALID;
        /* Linux answers any SYN on a synchronized connection, even SYN+FIN,
         * with a challenge ACK (RFC 5961 4.2) */
        if ((s->flags & TS_SYN) && c->established && x->peer_before >= TS_ESTABLISHED) {
            c->challenge_due = (uint8_t)x->rcv;
            c->challenge_cause = s->frame;
            c->challenge_syn = 1;
        }
        return;
    }
    if (handle_after_end(x))
        return;
    if (s->flags & TS_RST) {
        handle_rst(x);
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
        x->rec->related_frame = x->peer->syn_last_frame;
        x->me->win = x->seg->win;                /* SYN windows are never scaled */
        return;
    }
    transition(x, cls);
    if (x->rec->stage == TS_STAGE_CHALLENGE_ACK)
        raise(x, TS_AN_CHALLENGE_ACK);
    if (c->challenge_due == x->snd)
        c->challenge_due = NONE;                 /* owed only by its very next segment */
    if (cls == CLS_SYN && c->established && x->peer_before >= TS_ESTABLISHED &&
        x->peer_before != TS_TIME_WAIT) {
        c->challenge_due = (uint8_t)x->rcv;      /* RFC 5961 4.2 */
        c->challenge_cause = s->frame;
        c->challenge_syn = 1;
    }
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
    sh->zeek = c->zeek;
    sh->user = c->user;
    sh->user_tag = c->user_tag;
}

const ts_conn *ts_conn_view(const ts_conn *c)
{
    return (c && c->shadow && !c->ep[TS_SERVER].seen) ? c->shadow : c;
}

void ts_stream_process(ts_stream *s, const ts_segment *seg, ts_record *out)
{
    ts_conn *c = s->current;
    int first = 0;
    ts_anomaly_set extra = 0;
    if (!c || starts_new_connection(c, seg)) {
        if (in_time_wait(c, seg->ts_ns))
            extra = TS_BIT(TS_AN_PORT_REUSE_TIME_WAIT);
        c = open_conn(s, seg, c);
        first = 1;
    }
    if (proves_unseen_synack(c, seg))
        open_shadow(s, c);
    conn_step(c, seg, out, first, extra);
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

/* What the quoted segment's sender does (see ts_stream_icmp): returns
 * whether it aborts.  An opening sender gives up; a SYN-RECEIVED one drops
 * the half-open connection unless the error is a soft one; synchronized
 * states keep retransmitting (RFC 1122 4.2.3.9, RFC 5461 section 4). */
static int icmp_aborts(uint8_t state, unsigned kind)
{
    return state == TS_SYN_SENT || (state == TS_SYN_RECEIVED && kind != TS_ICMP_NO_ROUTE);
}

int ts_stream_icmp(ts_stream *s, const ts_icmp *icmp, ts_record *out)
{
    ts_conn *c = s->current;
    ts_endpoint *me, *peer;
    uint8_t me_before, peer_before;
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
    c->icmp_kind = icmp->kind;
    c->icmp_aborted = (uint8_t)icmp_aborts(me_before, icmp->kind);
    if (c->icmp_aborted) {
        c->icmp_prev_state = me_before;
        set_state(me, (me_before == TS_SYN_RECEIVED && me->passive) ? TS_LISTEN : TS_CLOSED);
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
        if (me->fin_acked || c->reset_by != NONE)
            return 0;
        p->an = (r->stage == TS_STAGE_FIN2 || r->stage == TS_STAGE_FINACK_COMBINED)
                    ? TS_AN_MISSING_FINAL_ACK : TS_AN_FIN_UNACKED;
        p->asked_ns = me->fin_ns;
        return 1;
    default:
        return 0;
    }
}

static ts_anomaly_set verdict(const pending *p, int64_t end_ns, int64_t grace_ns)
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
        set |= verdict(&p, capture_end_ns, grace_ns);
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
        set |= verdict(&qs[i], capture_end_ns, grace_ns);
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
    if (c->refused && receiver == TS_SERVER && v.stage == TS_STAGE_SYN &&
        (frame < c->ep[TS_SERVER].rst_frame || frame < c->icmp_frame))
        set_receiver_states(&v, receiver, TS_CLOSED, TS_CLOSED);
    if ((r->rflags & TS_REC_ICMP) && c->icmp_revived_frame > frame) {
        unsigned st = receiver == TS_CLIENT ? ts_rec_client_before(r) : ts_rec_server_before(r);
        set_receiver_states(&v, receiver, (uint8_t)st, (uint8_t)st);   /* only a soft error */
    }
    if (ts_conn_view(c) != c)
        one_sided_view(&v, r);
    return v;
}
