/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: the per-segment pipeline, steps 2-5 of the reading guide
 * in tcpstate_stream.c (classify, apply the tables, name the stage, raise
 * the anomalies that are certain now).  Above the handlers it calls
 * (tcpstate_reset.c, tcpstate_icmp.c, tcpstate_flight.c) and the moves
 * (tcpstate_step.c); below tcpstate_shadow.c and tcpstate_stream.c.
 * Acceptability is a separate check returning a verdict (tcpstate_accept.c).
 */
#include "tcpstate_core_int.h"

#include <string.h>

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

/* In flight: a segment that shows its sender had not yet received what we
 * assumed: crossing SYNs (simultaneous open) or crossing FINs (simultaneous
 * close).  A SYN without ACK is sent only from CLOSED (an active OPEN): its
 * sender never listened and had not received the peer's SYN; a FIN whose ACK
 * does not cover the peer's FIN was sent before that FIN arrived (every
 * segment of a synchronized state carries ACK = RCV.NXT, 3.10.7.4). */
static void correct_crossing(step_ctx *x, ts_event cls)
{
    ts_conn *c = x->c;
    if (cls == TS_EV_SYN && x->me_before == TS_SYN_RECEIVED && x->peer_before == TS_SYN_SENT &&
        !x->me->syn_seen) {
        x->me_before = TS_CLOSED;                /* it never listened: it was opening too */
        x->me->passive = 0;
        c->simultaneous_open = 1;
        tsi_flight_add(x, TS_FLIGHT_CROSSED, x->peer->syn_frame, x->snd, TS_CLOSED);
    }
    if (cls == TS_EV_FIN && x->me_before == TS_CLOSE_WAIT && x->peer_before == TS_FIN_WAIT_1 &&
        !x->me->fin_seen) {
        x->me_before = TS_ESTABLISHED;           /* its FIN left before ours arrived */
        c->simultaneous_close = 1;
        tsi_flight_add(x, TS_FLIGHT_CROSSED, x->peer->fin_frame, x->snd, TS_ESTABLISHED);
    }
    /* A first SYN-ACK is formed on entering SYN-RECEIVED (3.10.7.3; figure
     * 8): one from an endpoint the peer's SYN-ACK took to ESTABLISHED left
     * before that SYN-ACK arrived, which it takes after sending (transition) */
    if (cls == TS_EV_SYNACK && c->simultaneous_open && x->me_before == TS_ESTABLISHED &&
        !x->me->synack_sent && x->peer->synack_sent && c->synack_frame) {
        x->me_before = TS_SYN_RECEIVED;
        tsi_flight_add(x, TS_FLIGHT_CROSSED, c->synack_frame, x->snd, TS_SYN_RECEIVED);
    }
}

/* A FIN's eighth check (RFC 9293 3.10.7.4) moves its receiver from `before`
 * to this state (TS_CLOSED: no such move). */
static unsigned after_fin(unsigned before)
{
    switch (before) {
    case TS_ESTABLISHED: return TS_CLOSE_WAIT;
    case TS_FIN_WAIT_1:  return TS_CLOSING;
    case TS_FIN_WAIT_2:  return TS_TIME_WAIT;
    default:             return TS_CLOSED;
    }
}

/* ... and the state it left for `after` (TS_CLOSED: none). */
static unsigned before_fin(unsigned after)
{
    switch (after) {
    case TS_CLOSE_WAIT: return TS_ESTABLISHED;
    case TS_CLOSING:    return TS_FIN_WAIT_1;
    case TS_TIME_WAIT:  return TS_FIN_WAIT_2;
    default:            return TS_CLOSED;
    }
}

/* The segment is an ACK (no SYN, no RST) that stops below the first byte
 * of the peer's last segment and is not older than the latest ACK of its
 * own sender (x->me): that sender's RCV.NXT when it left lay short of the
 * peer's segment (RFC 9293 3.10.7.4: a TCP acknowledges its RCV.NXT),
 * which both rules below start from. */
static int ack_stops_below_peers_last(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    return (s->flags & (TS_SYN | TS_RST | TS_ACK)) == TS_ACK && seq_lt(s->ack, x->peer->last_seq) &&
           !(x->me->ack_sent && seq_lt(s->ack, x->me->max_ack));
}

/* Held: only the segment that begins at RCV.NXT is processed; one beyond
 * it "SHOULD be held" (RFC 9293 3.10.7.4), its FIN too.  An ACK of the
 * FIN's receiver below the first byte of the FIN's segment shows its
 * RCV.NXT short of that segment: a hole before it (bytes lost after the
 * capture point, or before it), or bytes still in flight -- either way the
 * FIN was not processed when the ACK left.  The receiver goes back to its
 * state before that FIN, and two passes show it there from the FIN on
 * (TS_FLIGHT_FIN_HELD).  (An ACK at the FIN segment's first byte is the
 * in-flight fold below, or a crossing FIN.)  Only while the FIN's segment
 * is its sender's last one (where that segment began is not kept), and
 * not for an ACK older than the receiver's latest. */
static void ack_proves_fin_held(step_ctx *x)
{
    ts_endpoint *me = x->me, *closer = x->peer;
    unsigned back = before_fin(x->me_before);
    if (back == TS_CLOSED || !closer->fin_seen || closer->fin_held || closer->fin_acked ||
        x->c->reset_by != NONE || !(closer->last_flags & TS_FIN) ||
        closer->last_frame != closer->fin_frame || !ack_stops_below_peers_last(x))
        return;
    closer->fin_held = 1;
    tsi_flight_add(x, TS_FLIGHT_FIN_HELD, closer->fin_frame, x->snd, back);
    x->me_before = back;
    set_ep_state(me, back);
}

/* The receiver's first ACK after data that came beyond a gap in the
 * capture stops below that data: the missing bytes had not reached it
 * either, so it holds the data (RFC 9293 3.10.7.4: a segment beyond
 * RCV.NXT "SHOULD be held") and acknowledges it only once they arrive.
 * Without the gap in the capture an ACK below the data is as likely to
 * have crossed it.  Only the explanation reads the record: nobody moves. */
static void ack_proves_data_held(step_ctx *x)
{
    const ts_endpoint *sender = x->peer;
    if (!sender->last_after_gap || (sender->last_flags & (TS_SYN | TS_RST | TS_FIN)) ||
        x->me->last_frame > sender->last_frame || !ack_stops_below_peers_last(x))
        return;
    tsi_flight_note(x, TS_FLIGHT_DATA_HELD, sender->last_frame, x->snd);
}

/* The receiver of a held FIN sends its own: both FINs were sent before
 * either was taken, a simultaneous close (RFC 9293 3.6 figure 13), though
 * the held one is taken only when the hole before it fills. */
static void own_fin_while_held(step_ctx *x)
{
    if ((x->seg->flags & (TS_SYN | TS_RST | TS_FIN)) == TS_FIN && x->peer->fin_held &&
        x->me_before == TS_ESTABLISHED && !x->me->fin_seen)
        x->c->simultaneous_close = 1;
}

/* The endpoint whose FIN is held, or NULL. */
static ts_endpoint *held_fin_sender(ts_conn *c)
{
    if (c->ep[TS_CLIENT].fin_held)
        return &c->ep[TS_CLIENT];
    return c->ep[TS_SERVER].fin_held ? &c->ep[TS_SERVER] : NULL;
}

/* A held FIN is processed when its receiver's RCV.NXT reaches it.  Here:
 * the receiver's own ACK past the FIN -- segments not captured filled the
 * hole, and it took the FIN before this ACK. */
static void release_held_fin_by_ack(step_ctx *x)
{
    ts_endpoint *closer = held_fin_sender(x->c);
    unsigned took;
    if (closer != x->peer || (x->seg->flags & (TS_RST | TS_ACK)) != TS_ACK ||
        !seq_gt(x->seg->ack, closer->fin_seq))
        return;
    closer->fin_held = 0;
    took = after_fin(x->me_before);
    if (took != TS_CLOSED) {
        x->me_before = took;
        set_ep_state(x->me, took);
    }
}

/* ... or a segment of its sender that begins at or below the receiver's
 * highest ACK and reaches the FIN: the retransmission that fills the hole
 * (the FIN on it moved the receiver through the table; without it, the
 * FIN waiting behind the hole is taken now).  A segment that does not fill
 * the hole leaves the FIN held: a FIN resent beyond RCV.NXT moves nobody.
 * After the receiver's cell. */
static void release_held_fin_by_fill(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_endpoint *rcv = x->peer;
    unsigned took;
    if (held_fin_sender(x->c) != x->me || (s->flags & TS_RST))
        return;
    if (!rcv->ack_sent || seq_gt(s->seq, rcv->max_ack) || seq_lt(s->seq + s->len, x->me->fin_seq)) {
        if (s->flags & TS_FIN)
            set_ep_state(rcv, x->peer_before);
        return;
    }
    x->me->fin_held = 0;
    took = after_fin(x->peer_before);
    if (!(s->flags & TS_FIN) && took != TS_CLOSED)
        set_ep_state(rcv, took);
}

/* In flight: an ACK whose acknowledgment stops at the peer's FIN (covers
 * the bytes before it, not the FIN) left its sender before that FIN
 * arrived: a TCP acknowledges its RCV.NXT (RFC 9293 3.10.7.4 seventh
 * check), one past the FIN once it took it (eighth check).  Its sender,
 * CLOSE-WAIT from the FIN on in capture order, was still ESTABLISHED and
 * takes the FIN after this segment (the fold of a crossing).  One pass
 * corrects from here; two passes show it ESTABLISHED from the FIN on
 * (TS_FLIGHT_CROSSED, stretched to its last such segment). */
static void ack_proves_fin_in_flight(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_flight *f;
    if (x->me_before != TS_CLOSE_WAIT || x->peer_before != TS_FIN_WAIT_1 || x->me->fin_seen ||
        !x->peer->fin_seen || x->peer->fin_acked || x->c->reset_by != NONE ||
        (s->flags & (TS_SYN | TS_RST | TS_FIN | TS_ACK)) != TS_ACK || s->ack != x->peer->fin_seq)
        return;
    f = tsi_flight_find(x->c, TS_FLIGHT_CROSSED, x->snd);
    if (f && f->from == x->peer->fin_frame && f->state == TS_ESTABLISHED && f->to == x->me->last_frame)
        f->to = s->frame;
    else
        tsi_flight_add(x, TS_FLIGHT_CROSSED, x->peer->fin_frame, x->snd, TS_ESTABLISHED);
    x->me_before = TS_ESTABLISHED;
    x->fin_after = 1;
}

static void check_handshake(step_ctx *x, ts_event *cls)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *cl = &c->ep[TS_CLIENT];
    /* acceptable: SND.UNA < SEG.ACK =< SND.NXT (3.10.7.3); above ISN + 1 only with Fast Open data */
    if (*cls == TS_EV_SYNACK && cl->syn_seen && x->rcv == TS_CLIENT && !tsi_acks_our_syn(cl, s->ack)) {
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
            return c->simultaneous_close ? TS_STAGE_SIMCLOSE_ACK : TS_STAGE_FIN_ACK1;
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
        set_time(x, tsi_time(c, TS_CT_SYN_LAST + x->rcv), x->peer->syn_last_frame);
        break;
    case TS_STAGE_HS_ACK:
    case TS_STAGE_SIMOPEN_ACK:
        set_time(x, tsi_time(c, TS_CT_SYNACK), c->synack_frame);
        break;
    case TS_STAGE_FIN_ACK1:
    case TS_STAGE_FINACK_COMBINED:
    case TS_STAGE_SIMCLOSE_ACK:
        x->rec->related_frame = x->peer->fin_frame;
        break;
    case TS_STAGE_FINAL_ACK:
        set_time(x, tsi_time(c, TS_CT_FIN + (c->closer == NONE ? x->snd : c->closer)), x->peer->fin_frame);
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
        set_time(x, tsi_time(c, TS_CT_FIN + c->closer), x->peer->fin_frame);
    if (x->rec->rflags & TS_REC_TIME_VALID) {
        if (x->rec->stage == TS_STAGE_FINAL_ACK || x->rec->stage == TS_STAGE_SIMCLOSE_ACK) {
            c->final_ack_frame = x->seg->frame;
            tsi_set_time(c, x->alloc, x->alloc_ctx, TS_CT_FINAL_ACK, x->seg->ts_ns);
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
            tsi_set_time(x->c, x->alloc, x->alloc_ctx, TS_CT_SYN_LAST + x->snd, s->ts_ns);
        }
        x->rec->rflags |= TS_REC_RETRANS;
        return 1;
    }
    if (repeats_fin(me, s) && !tsi_acks_ctl(x)) {
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
 * the state before that ACK: SYN-RECEIVED (third ACK) or LAST-ACK (final). */
static void mark_undelivered(step_ctx *x, uint32_t ack_frame, uint8_t state)
{
    ts_flight *f = tsi_flight_find(x->c, TS_FLIGHT_ACK_LOST, x->snd);
    /* the earlier proof was this sender's previous segment: one lost stretch */
    if (f && f->state == state && f->to == x->me->last_frame)
        f->to = x->seg->frame;
    else
        tsi_flight_add(x, TS_FLIGHT_ACK_LOST, ack_frame, x->snd, state);
    x->me_before = state;
    set_ep_state(x->me, state);
}

/* A SYN-ACK answers every SYN that reaches SYN-RECEIVED (RFC 9293 3.10.7.4
 * fourth check; Linux resends it for a duplicate SYN): while the client has
 * sent more SYNs than the server SYN-ACKs before this one, or has sent a SYN
 * since the server's previous segment (the server's own timer may have
 * resent a SYN-ACK too, so counts alone do not tell), this one may answer a
 * SYN, sent before the third ACK arrived, and proves nothing. */
static int synack_answers_no_syn(const step_ctx *x)
{
    return x->peer->syns_sent <= x->me->syns_sent && x->peer->syn_last_frame < x->me->last_frame;
}

/* The same for the closer's FIN: only an endpoint whose FIN is not
 * acknowledged resends it (FIN-WAIT-1, CLOSING, LAST-ACK; 3.8.1), so a FIN
 * resent from FIN-WAIT-2 shows the ACK that took it there was lost after
 * the capture point.  Only when its last segment was that FIN (sent or
 * resent): an ACK of its own since would show the peer's segments
 * arrived. */
static int resent_fin_proves_fin_ack_lost(const step_ctx *x)
{
    const ts_endpoint *me = x->me;
    return (x->seg->flags & (TS_FIN | TS_SYN | TS_RST)) == TS_FIN && me->state == TS_FIN_WAIT_2 &&
           me->fin_acked && x->c->reset_by == NONE && !x->c->simultaneous_close &&
           (me->last_flags & TS_FIN) && me->last_seq + me->last_len == me->fin_seq;
}

static void retransmission_proves_ack_lost(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *me = x->me;
    if (has(s, TS_SYN | TS_ACK) && me->state == TS_ESTABLISHED && !c->simultaneous_open &&
        x->snd == TS_SERVER && c->hs_ack_frame && me->last_frame < c->hs_ack_frame &&
        synack_answers_no_syn(x))
        mark_undelivered(x, c->hs_ack_frame, TS_SYN_RECEIVED);
    if ((s->flags & TS_FIN) && !(s->flags & TS_SYN) && me->state == TS_CLOSED && me->fin_acked &&
        c->reset_by == NONE && !c->simultaneous_close && c->final_ack_frame &&
        me->last_frame < c->final_ack_frame) {
        me->fin_acked = me->fin_rexmit = 0;      /* the FIN is outstanding again */
        mark_undelivered(x, c->final_ack_frame, TS_LAST_ACK);
    }
    if (resent_fin_proves_fin_ack_lost(x)) {
        me->fin_acked = me->fin_rexmit = 0;
        /* FIN-WAIT-1 on every frame after the FIN: before its ACK it was,
         * and that ACK (and whatever came with it) never arrived */
        mark_undelivered(x, me->fin_frame + 1, TS_FIN_WAIT_1);
    }
}

/* A retransmission moves nobody by being sent again; its receiver's cell
 * applies as to any segment (a repeated SYN, SYN-ACK or FIN is answered). */
static int handle_retransmission(step_ctx *x)
{
    ts_event ev = tsi_classify(x);
    const ts_cell *cell;
    if (!is_retransmission(x))
        return 0;
    retransmission_proves_ack_lost(x);
    if ((x->seg->flags & (TS_SYN | TS_ACK)) == TS_SYN)
        tsi_resent_syn_proves_synack_lost(x);
    tsi_count_syn(x);
    ts_model_rule_use(TS_SR_OTHER);
    cell = tsi_receive(x, ev);
    release_held_fin_by_fill(x);
    /* the SYN sent again to the old connection's TIME-WAIT, which keeps it:
     * the port is reused again and the challenge ACK owed again (RFC 5961 4.2) */
    if (cell->next == TS_NEXT_REOPEN && x->peer->state == x->peer_before && x->c->tw_inherited) {
        raise(x, TS_AN_PORT_REUSE_TIME_WAIT);
        tsi_owe_challenge(x, 1);
    }
    return 1;
}

/* Both moves for an acceptable segment; returns the receiver's cell. */
static const ts_cell *transition(step_ctx *x, ts_event cls)
{
    uint8_t me_new = tsi_sender_next(x);
    const ts_cell *cell = tsi_receive(x, cls);
    /* In-flight corrections (not in the table): a later segment proved that
     * the sender had not yet received what the capture order suggests.
     * Crossing SYN: the sender opened, then takes the peer's SYN already in flight. */
    if (cls == TS_EV_SYN && x->c->simultaneous_open && x->peer_before == TS_SYN_SENT)
        me_new = TS_SYN_RECEIVED;
    /* Crossing FIN: the sender's FIN-WAIT-1 meets the peer's FIN in flight. */
    if (cls == TS_EV_FIN && x->c->simultaneous_close && x->me_before == TS_ESTABLISHED &&
        !x->peer->fin_held)
        me_new = TS_CLOSING;
    /* An ACK that stops at the peer's FIN: the FIN arrives after it. */
    if (x->fin_after)
        me_new = TS_CLOSE_WAIT;
    /* Crossing SYN-ACK: the sender already holds the peer's SYN-ACK. */
    if (cls == TS_EV_SYNACK && x->c->simultaneous_open && x->me->state == TS_ESTABLISHED)
        me_new = TS_ESTABLISHED;
    set_ep_state(x->me, me_new);
    return cell;
}

/* The stages of segments that taught nothing (not acceptable, or after
 * the end): a copy of one teaches nothing either. */
static int taught_nothing(uint8_t stage)
{
    return stage == TS_STAGE_OUT_OF_WINDOW || stage == TS_STAGE_INVALID ||
           stage == TS_STAGE_AFTER_RESET || stage == TS_STAGE_AFTER_CLOSE ||
           stage == TS_STAGE_RST_IGNORED || stage == TS_STAGE_RST_ABORT ||
           stage == TS_STAGE_RST_REFUSED;
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
    if (!taught_nothing(me->last_stage))
        tsi_note_window(x);                          /* a window update repeats the last ACK */
    return 1;
}

static void analyse(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    const ts_cell *cell;
    ts_event cls;
    /* an ACK proving a crossing SYN-ACK delivered answers it: not a copy */
    int answers = c->ep[TS_CLIENT].synack_watch && tsi_watch_synack_answers(x);
    if (!answers && handle_duplicate(x))
        return;
    if (tsi_flags_invalid(s)) {
        raise(x, TS_AN_INVALID_FLAGS);
        x->rec->stage = TS_STAGE_INVALID;
        /* Linux answers any SYN on a synchronized connection, even SYN+FIN,
         * with a challenge ACK (RFC 5961 4.2) */
        if ((s->flags & TS_SYN) && c->established && x->peer_before >= TS_ESTABLISHED)
            tsi_owe_challenge(x, 1);
        return;
    }
    if (tsi_handle_after_end(x))
        return;
    if (s->flags & TS_RST) {
        tsi_handle_rst(x);
        return;
    }
    if (tsi_acceptability(x) == V_OUT_OF_WINDOW) {
        /* 3.10.7.4: dropped, the receiver answers <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>;
         * nothing changes and nothing is learnt from it (not even that its
         * sender moved: nothing proves it is the endpoint we follow) */
        tsi_receive(x, TS_EV_OUT_OF_WINDOW);
        x->rec->stage = TS_STAGE_OUT_OF_WINDOW;
        raise(x, TS_AN_OUT_OF_WINDOW);
        return;
    }
    if (handle_retransmission(x))
        return;
    tsi_synack_not_captured(x);
    tsi_synack_new_iss(x);
    cls = tsi_classify(x);
    check_handshake(x, &cls);
    release_held_fin_by_ack(x);
    ack_proves_fin_held(x);
    ack_proves_data_held(x);
    own_fin_while_held(x);
    correct_crossing(x, cls);
    ack_proves_fin_in_flight(x);
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
        tsi_receive(x, TS_EV_BAD_ACK);
        x->rec->related_frame = x->peer->syn_last_frame;
        x->me->win = x->seg->win;                /* SYN windows are never scaled */
        return;
    }
    if (x->rec->anomalies & (TS_BIT(TS_AN_HANDSHAKE_ACK_WRONG) | TS_BIT(TS_AN_FIN_WRONG_ACK)))
        cell = tsi_receive(x, TS_EV_BAD_ACK);      /* 3.10.7.4 fifth check: nobody moves */
    else
        cell = transition(x, cls);
    release_held_fin_by_fill(x);
    if (x->rec->stage == TS_STAGE_CHALLENGE_ACK)
        raise(x, TS_AN_CHALLENGE_ACK);
    if (c->challenge_due == x->snd)
        c->challenge_due = NONE;                 /* owed only by its very next segment */
    if (cell->action == TS_ACT_CHALLENGE ||
        (cell->next == TS_NEXT_REOPEN && x->peer->state == x->peer_before))
        tsi_owe_challenge(x, 1);                     /* RFC 5961 4.2 */
    link_related(x, cls);
    tsi_remember(x, cls);
    note_teardown_time(x);
}

/* Steps 2-5 for one connection.  extra: anomalies the stream already found
 * (port reuse). */
void tsi_conn_step(const ts_stream *s, ts_conn *c, const ts_segment *seg, ts_record *out,
                   int first, ts_anomaly_set extra)
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
    x.alloc = s->alloc;
    x.alloc_ctx = s->alloc_ctx;
    /* only while the server is (or was until a client's RST) an old TIME-WAIT */
    if (c->tw_inherited || c->reset_by == TS_CLIENT)
        tsi_time_wait_answers(s, &x);
    tsi_revive_after_icmp(&x);
    x.me_before = x.me->state;
    x.peer_before = x.peer->state;
    if (first && c->roles_inferred && !(seg->flags & TS_SYN && !(seg->flags & TS_ACK)))
        out->anomalies |= TS_BIT(TS_AN_MID_STREAM_START);
    if (first && (seg->flags & (TS_SYN | TS_ACK)) == TS_SYN && seg->len && seg->tfo)
        c->tfo = 1;

    analyse(&x);
    if (!(seg->flags & TS_RST) || !x.me->seen)
        x.me->seen = 1;

    tsi_fill_states(out, c, x.snd, x.me_before, x.peer_before);
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
    tsi_note_last_time(c, x.alloc, x.alloc_ctx, seg->ts_ns);
    c->packets++;
    ts_zeek_segment(&c->zeek, seg);
    out->zeek_state = (uint8_t)ts_zeek_conn_state(&c->zeek);
    out->zeek_hist_len = c->zeek.hist_len;
}
