/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: what only the end of the capture can tell: unanswered
 * questions (deferred anomalies), each connection's final account, and
 * the corrected view of a record in hindsight (two passes).
 */
#include "tcpstate_core_int.h"

#include <string.h>

/* ---- Verdicts that need the future ------------------------------------------ */

typedef struct {
    ts_anomaly an;      /* the verdict once the grace period has passed */
    int64_t asked_ns;   /* when the question was asked */
} pending;

/* The FIN's sender sent a RST of its own afterwards (ABORT, or data after
 * CLOSE, RFC 1122 4.2.2.13) and is CLOSED: it waits for no ACK any more,
 * whether or not its peer accepted that RST. */
static int aborted_after_fin(const ts_endpoint *me)
{
    return me->fin_seen && me->rst_frame > me->fin_frame && me->state == TS_CLOSED;
}

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
        if (c->synack_frame || c->refused || c->reset_by != NONE || c->established ||
            tsi_syn_met_time_wait(c))
            return 0;
        p->an = TS_AN_SYN_UNANSWERED;
        p->asked_ns = tsi_time(c, TS_CT_SYN + TS_CLIENT);
        return 1;
    case TS_STAGE_SYNACK:
        if (sv->state != TS_SYN_RECEIVED || c->reset_by != NONE)
            return 0;                            /* the server got its ACK (or data) */
        p->an = TS_AN_SYNACK_UNANSWERED;
        p->asked_ns = tsi_time(c, TS_CT_SYNACK);
        return 1;
    case TS_STAGE_FIN1:
    case TS_STAGE_SIMCLOSE_FIN:
    case TS_STAGE_FIN2:
    case TS_STAGE_FINACK_COMBINED:
        /* a reset answers a FIN, unless it showed the FIN never arrived */
        if (me->fin_acked || ((c->reset_by != NONE || aborted_after_fin(me)) &&
                              !tsi_flight_find(c, TS_FLIGHT_FIN_LOST, -1)))
            return 0;
        p->an = (r->stage == TS_STAGE_FIN2 || r->stage == TS_STAGE_FINACK_COMBINED)
                    ? TS_AN_MISSING_FINAL_ACK : TS_AN_FIN_UNACKED;
        p->asked_ns = tsi_time(c, TS_CT_FIN + (is_client ? TS_CLIENT : TS_SERVER));
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
    if (is_last && !ts_conn_finished(v.conn) && !conn_has_question(v.conn) &&
        !tsi_syn_met_time_wait(v.conn))
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
    if (!ts_conn_finished(c) && n == 0 && !tsi_syn_met_time_wait(c))
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
           tsi_icmp_by(c) == NONE && !c->simultaneous_open && ts_conn_view(c) == c;
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

ts_record ts_hindsight(const ts_record *r, uint32_t frame)
{
    ts_record v = *r;
    const ts_conn *c = r->conn;
    int receiver = (r->rflags & TS_REC_SENDER_CLIENT) ? TS_SERVER : TS_CLIENT;
    if (!c)
        return v;
    v.stage = (uint8_t)ts_final_stage(r);
    tsi_flight_view(&v, c, frame);               /* what was in flight, proved later */
    if (c->refused && receiver == TS_SERVER && v.stage == TS_STAGE_SYN &&
        ts_rec_server_before(r) != TS_TIME_WAIT &&   /* that SYN met a TIME-WAIT TCB */
        (frame < c->ep[TS_SERVER].rst_frame || (c->flight && frame < c->flight->icmp_frame)))
        set_receiver_states(&v, receiver, TS_CLOSED, TS_CLOSED);
    if (ts_conn_view(c) != c)
        one_sided_view(&v, r);
    else if (ts_conn_syn_unheard(c))
        unheard_syn_view(&v, r);
    return v;
}
