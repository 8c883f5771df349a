/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: RSTs (accepted or not, refused, half-open, forged in a
 * peer's name) and the segments that arrive after a connection ended.
 */
#include "tcpstate_core_int.h"

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
    if (!me->fin_seen || me->fin_acked || x->peer_before != TS_CLOSE_WAIT || !peer->ack_sent ||
        s->seq != peer->max_ack || !seq_lt(s->seq, me->fin_seq + 1) || s->seq == me->snd_nxt)
        return;
    tsi_flight_add(x, TS_FLIGHT_FIN_LOST, me->fin_frame, x->rcv, TS_ESTABLISHED);
    x->peer_before = TS_ESTABLISHED;
    set_ep_state(peer, TS_ESTABLISHED);
}

/* In flight, the other way: a RST without ACK at exactly the SEG.ACK of the
 * peer's FIN just before it, from an endpoint the model moved FIN-WAIT-2 ->
 * TIME-WAIT on that FIN.  That is the reply of an endpoint with no TCB
 * (3.10.7.1: "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"); a FIN-WAIT-2
 * TCB acknowledges the FIN and enters TIME-WAIT (3.10.7.4 eighth check),
 * and a TIME-WAIT one acknowledges what it receives.  So its TCB was gone
 * before the FIN arrived: deleted silently in FIN-WAIT-2, where RFC 9293
 * has no timer but Linux drops an orphaned socket after tcp_fin_timeout
 * (spec_54; the client of spec_48, which dies silently, is the same
 * proof on data).  Its FIN had been acknowledged: both ends knew the
 * connection was closing, so not half-open (3.5.2; see closing_known).
 * Same record (NO_TCB) as the half-open RST's: one pass shows the sender
 * CLOSED from this RST on, two passes from the FIN.  Not when the FIN
 * carried data: a live FIN-WAIT-2 TCB whose user has closed answers new
 * data with a RST (3.6.1, from RFC 1122 4.2.2.13; Linux sends it at
 * SEG.ACK too), so that RST proves no missing TCB. */
static void rst_proves_tcb_expired(step_ctx *x)
{
    const ts_segment *s = x->seg;
    const ts_conn *c = x->c;
    const ts_endpoint *me = x->me, *peer = x->peer;
    if (has(s, TS_ACK) || x->me_before != TS_TIME_WAIT || !me->fin_acked || c->last_sender != x->rcv ||
        c->last_stage != TS_STAGE_FIN2 || !peer->fin_seen || peer->fin_frame != c->last_frame ||
        peer->last_len != 0 || s->seq != peer->last_ack)
        return;
    tsi_flight_add(x, TS_FLIGHT_NO_TCB, c->last_frame, x->snd, TS_CLOSED);
    x->me_before = TS_CLOSED;
}

/* ---- The RST's sender: its own move -------------------------------------- */

/* SYN-SENT or SYN-RECEIVED answering the peer's unacceptable ACK (a
 * SYN-ACK, or an old connection's ACK, in SYN-SENT: 3.10.7.3; a third ACK
 * that does not cover our SYN: 3.10.7.4 fifth check) with
 * <SEQ=SEG.ACK><CTL=RST>: it keeps its TCB and waits on. */
static int rejects_unacceptable_ack(const step_ctx *x)
{
    const ts_conn *c = x->c;
    if (c->last_sender != x->rcv)
        return 0;
    if (x->me_before == TS_SYN_SENT)
        return c->last_stage == TS_STAGE_SYNACK || c->last_stage == TS_STAGE_CHALLENGE_ACK;
    return x->me_before == TS_SYN_RECEIVED && c->last_stage == TS_STAGE_HS_ACK;
}

/* The sender's move by sending a RST (TS_SR_RST), whatever its receiver
 * makes of it: a TCP sends one when it aborts (3.10.5 ABORT deletes the
 * TCB; RFC 1122 4.2.2.13, data after CLOSE) or from no TCB at all
 * (3.10.7.1), so it is CLOSED after it.  A listener answering an ACK
 * stays LISTEN (3.10.7.2), and the rejection of an unacceptable ACK keeps
 * its TCB. */
static uint8_t rst_sender_next(const step_ctx *x)
{
    ts_model_rule_use(TS_SR_RST);
    if (x->me_before == TS_LISTEN || rejects_unacceptable_ack(x))
        return x->me_before;
    return TS_CLOSED;
}

/* Is a RST that its receiver does not accept its supposed sender's own?
 * A TCP puts its SND.NXT in a RST it sends to abort (3.10.5), or the
 * SEG.ACK of the segment it answers (3.10.7.1, RFC 1122 4.2.2.13): a
 * sequence number it has used, ISS .. SND.NXT.  A RST elsewhere in
 * sequence space (a blind injection, RFC 5961 3; an old duplicate) was not
 * sent from that TCB, which lives on. */
static int rst_in_senders_space(const step_ctx *x)
{
    const ts_endpoint *me = x->me;
    if (!me->isn_known)
        return 1;
    return !seq_lt(x->seg->seq, me->isn) && !seq_gt(x->seg->seq, me->snd_nxt);
}

/* A RST its receiver does not accept: the receiver's cell (dropped, or a
 * challenge ACK owed), and the sender's own move all the same. */
static void rst_not_accepted(step_ctx *x, verdict v)
{
    /* a TIME-WAIT TCB judges the RST itself (3.10.7.4): not "after close" */
    int over = ts_conn_finished(x->c) && x->peer_before != TS_TIME_WAIT;
    const ts_cell *cell = tsi_receive(x, rst_event(v));
    if (rst_in_senders_space(x))
        set_ep_state(x->me, rst_sender_next(x));
    x->rec->stage = over ? TS_STAGE_AFTER_CLOSE : TS_STAGE_RST_IGNORED;
    if (v == V_RST_OUT_OF_WINDOW)
        raise(x, TS_AN_RST_OUT_OF_WINDOW);
    if (cell->action == TS_ACT_CHALLENGE)
        tsi_owe_challenge(x, 0);
}

/* The states before an accepted RST of its sender and its receiver, in
 * case their own later segments prove that it was never sent or never
 * received (rst_missed). */
static void remember_rst(step_ctx *x)
{
    ts_conn *c = x->c;
    const ts_endpoint *rcv = x->peer;
    c->rst_frame_seen = x->seg->frame;
    c->rst_by = (uint8_t)x->snd;
    c->rst_states = (uint8_t)((x->me->state << 4) | (x->peer_before & 0x0f));
    c->rst_above_acked = rcv->ack_sent && seq_gt(x->seg->seq, rcv->max_ack) &&
                         seq_lt(x->seg->seq, rcv->max_ack + (rcv->win ? rcv->win : 1));
}

/* In flight, taken back: a resent FIN was taken as proof that the final ACK
 * before it was lost (ACK_LOST), and the sender went back to LAST-ACK.  A
 * RST without ACK at exactly the peer's last ACK, from that sender, is the
 * answer of an endpoint with no TCB (3.10.7.1: <SEQ=SEG.ACK><CTL=RST>; a
 * LAST-ACK endpoint takes an ACK of its FIN silently, 3.10.7.4): it was
 * CLOSED before that ACK came, so the first final ACK had arrived after
 * all, after the FIN was resent (they crossed).  From the resent FIN on,
 * the sender was CLOSED. */
static void rst_proves_ack_delivered(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_flight *f = tsi_flight_find(x->c, TS_FLIGHT_ACK_LOST, x->snd);
    if (!f || f->state != TS_LAST_ACK || has(s, TS_ACK) || x->me_before != TS_CLOSED ||
        x->c->last_sender != x->rcv || s->seq != x->peer->last_ack)
        return;
    f->kind = TS_FLIGHT_DELIVERED;
    f->from = f->to;
    f->to = s->frame;
    f->state = TS_CLOSED;
}

/* In flight, the other way round: the SYN was its sender's own.  A bare
 * SYN on a synchronized connection may be injected (RFC 5961 4), so the
 * sender is left in its state until it answers the challenge ACK with
 * <SEQ=SEG.ACK><CTL=RST>: the reply of SYN-SENT to an unacceptable ACK
 * (3.10.7.3), which keeps its TCB; an endpoint that still held the old
 * connection would take that ACK as a duplicate.  Its old TCB was gone
 * (a reboot, 3.5.2 figure 11) and the SYN came from a new one, SYN-SENT
 * since the SYN (3.10.1 OPEN). */
static void rst_proves_new_tcb(step_ctx *x)
{
    const ts_segment *s = x->seg;
    if (has(s, TS_ACK) || s->seq != x->peer->last_ack || x->me_before < TS_ESTABLISHED ||
        (x->me->last_flags & (TS_SYN | TS_ACK | TS_RST | TS_FIN)) != TS_SYN ||
        x->me->last_frame != x->c->challenge_cause)
        return;
    tsi_flight_add(x, TS_FLIGHT_NEW_TCB, x->c->challenge_cause, x->snd, TS_SYN_SENT);
    x->me_before = TS_SYN_SENT;
    set_ep_state(x->me, TS_SYN_SENT);
}

/* The receiver's own segment already proved that the accepted RST still in
 * force passed it by -- it missed that RST (lost), or never sent the one
 * forged in its name -- and was flagged half-open there (rst_missed): a
 * RST now is the recovery 3.5.2 describes, not a second half-open
 * connection (spec_49, spec_76).  Once both ends went on (the RST reset
 * nobody, reset_by cleared), a later no-TCB RST is news again. */
static int half_open_said(const step_ctx *x)
{
    const ts_conn *c = x->c;
    return c->reset_by != NONE && tsi_flight_missed_rst(c, c->rst_frame_seen, x->rcv);
}

/* The server this connection inherited in TIME-WAIT refuses the SYN with
 * RST,ACK.  A TIME-WAIT TCB never does that: it answers a SYN with a
 * challenge ACK (3.10.7.4 fourth check, RFC 5961 4.2) or reopens (RFC
 * 6191).  So the SYN met no TCB, the TIME-WAIT was already gone (expired:
 * Linux keeps it 60 s, 2 MSL may be more): a NO_TCB record has hindsight
 * show the server CLOSED from that SYN on, and the old connection's
 * TIME-WAIT ends as CLOSED (tsi_end_inherited_time_wait). */
static void refused_time_wait_was_gone(step_ctx *x)
{
    if (!x->c->tw_inherited || x->snd != TS_SERVER || x->me->state != TS_TIME_WAIT)
        return;
    tsi_flight_add(x, TS_FLIGHT_NO_TCB, x->peer->syn_last_frame, TS_SERVER, TS_CLOSED);
}

void tsi_handle_rst(step_ctx *x)
{
    ts_conn *c = x->c;
    verdict v = tsi_acceptability(x);
    int said;
    if (!x->me->rst_frame)
        x->me->rst_frame = x->seg->frame;
    if (v != V_RST_ACCEPT) {
        rst_not_accepted(x, v);
        return;
    }
    said = half_open_said(x);
    rst_proves_fin_lost(x);
    rst_proves_ack_delivered(x);
    rst_proves_tcb_expired(x);
    tsi_rst_proves_synack_unheard(x);
    remember_rst(x);
    if (x->peer_before == TS_SYN_SENT && !x->me->syn_seen) {
        x->rec->stage = TS_STAGE_RST_REFUSED;    /* SYN answered by RST: no listener */
        refused_time_wait_was_gone(x);
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
        /* (Said once: not again when the receiver was already flagged for
         * the reset still in force; see half_open_said.) */
        if (!has(x->seg, TS_ACK) && c->established && !ts_conn_finished(c) &&
            c->last_sender == x->rcv && c->last_payload && !closing_known(x) && !said) {
            raise(x, TS_AN_HALF_OPEN);
            /* the RST's form (3.10.7.1) is a stack with no TCB answering:
             * its sender was already CLOSED, when the data came too */
            x->me_before = TS_CLOSED;
            tsi_flight_add(x, TS_FLIGHT_NO_TCB, c->last_frame, x->snd, TS_CLOSED);
        }
        /* The SYN's sender answers the challenge with RST: it really had
         * lost the connection its peer still held (RFC 5961 4.2). */
        /* (Not a TIME-WAIT's challenge: both ends had closed that connection.) */
        if (c->last_stage == TS_STAGE_CHALLENGE_ACK && c->challenge_syn && c->last_sender == x->rcv &&
            x->peer_before != TS_TIME_WAIT) {
            raise(x, TS_AN_HALF_OPEN);
            rst_proves_new_tcb(x);
        }
        set_ep_state(x->me, rst_sender_next(x));
    }
    c->reset_by = (uint8_t)x->snd;
    tsi_receive(x, TS_EV_RST_ACCEPTED);
}

/* Segments of a connection that is over (or was reset) change nothing. */
static int after_end(step_ctx *x);

int tsi_handle_after_end(step_ctx *x)
{
    ts_event ev = (x->seg->flags & TS_RST) ? TS_EV_RST_DROPPED : tsi_classify(x);
    if (!after_end(x))
        return 0;
    /* An endpoint that missed the RST (ts_flight) still has its TCB: it
     * moves by sending, as any sender (3.10.4), and goes on in its own
     * sequence space. */
    if (x->me->state != TS_CLOSED && !(x->seg->flags & (TS_RST | TS_SYN)) &&
        tsi_flight_missed_rst(x->c, x->c->rst_frame_seen, x->snd)) {
        set_ep_state(x->me, tsi_sender_next(x));
        tsi_remember(x, ev);
    } else if (x->peer_before == TS_CLOSED) {
        ts_model_rule_use(TS_SR_OTHER);
    }
    /* A CLOSED receiver has no TCB: its cell (3.10.7.1) moves nobody. */
    if (x->peer_before == TS_CLOSED)
        tsi_receive(x, ev);
    return 1;
}

/* The receiver's answer to an accepted RST that lay in its window above
 * the RCV.NXT its own ACKs said (c->rst_above_acked): the RST was taken
 * because everything its sender sent was taken as arrived, but some of it
 * had not.  Its next segment, straight after the RST, a bare ACK from its
 * TCB at <SEQ=SND.NXT><ACK=RCV.NXT> with that same RCV.NXT, is the
 * challenge ACK RFC 5961 3.2 (RFC 9293 3.10.7.4 first check) prescribes
 * for an in-window RST not exactly at RCV.NXT: the RST arrived and was not
 * accepted (spec_85: data lost after the capture point, then an abort at
 * the sender's SND.NXT). */
static int rst_challenged(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    const ts_conn *c = x->c;
    return c->rst_above_acked && c->last_frame == c->rst_frame_seen && !s->len &&
           (s->flags & (TS_SYN | TS_FIN | TS_RST | TS_ACK)) == TS_ACK &&
           s->seq == x->me->snd_nxt && s->ack == x->me->max_ack;
}

/* What the receiver's segment, sent from its TCB after an accepted RST,
 * proves became of that RST (ts_rst_fate). */
static uint8_t rst_fate_at_proof(const step_ctx *x)
{
    if (seq_gt(x->seg->ack, x->me->max_ack))
        return TS_RST_BELOW_WINDOW;              /* its RCV.NXT was past the RST */
    return rst_challenged(x) ? TS_RST_CHALLENGED : TS_RST_LOST;
}

/* In flight, after a RST: an endpoint the accepted RST left CLOSED goes on
 * sending from the same TCB (its sequence space, its acknowledgment), which
 * no TCP has after sending a RST (3.10.4 ABORT deletes the TCB; a RST
 * answering a segment comes from no TCB at all, 3.10.7.1) or after taking
 * one (3.10.7.4: enter CLOSED, delete the TCB).  So the RST did not happen
 * to it: its receiver never got it (lost after the capture point) or did
 * not accept it; its sender never sent it (a middlebox forged it in its
 * name, e.g. a firewall's "reject with tcp reset").  Its state is restored
 * (ts_flight).  Returns 1 while its peer is still taken to be reset: the
 * connection is half-open (3.5.2); 2 when the peer too has shown it missed
 * the RST: it reset nobody, and the segment is an ordinary one; 3 when
 * the segment is the challenge ACK that shows the RST arrived and was not
 * accepted (rst_challenged), half-open all the same. */
static int rst_missed(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *me = x->me;
    int sent_it = c->rst_by == x->snd;
    unsigned before = sent_it ? (unsigned)(c->rst_states >> 4) : (unsigned)(c->rst_states & 0x0f);
    ts_flight *f;
    if (c->reset_by == NONE || c->refused || !c->rst_frame_seen || me->state != TS_CLOSED ||
        (s->flags & (TS_RST | TS_SYN)) || !has(s, TS_ACK) ||
        !me->ack_sent || !seq_gt(s->seq, me->isn) || seq_gt(s->seq, me->snd_nxt) ||
        seq_lt(s->ack, me->max_ack) || seq_gt(s->ack, x->peer->snd_nxt) ||
        before < TS_ESTABLISHED || tsi_flight_missed_rst(c, c->rst_frame_seen, x->snd))
        return 0;
    f = tsi_flight_add(x, sent_it ? TS_FLIGHT_RST_FORGED : TS_FLIGHT_RST_LOST, c->rst_frame_seen,
                       x->snd, before);
    if (f && !sent_it)
        f->rst_fate = rst_fate_at_proof(x);
    if (sent_it) {
        /* the data its RST seemed to answer had met a live TCB after all */
        ts_flight *no_tcb = tsi_flight_find(c, TS_FLIGHT_NO_TCB, x->snd);
        if (no_tcb)
            no_tcb->kind = TS_FLIGHT_NONE;
    }
    x->me_before = (uint8_t)before;
    set_ep_state(me, (uint8_t)before);
    if (tsi_flight_missed_rst(c, c->rst_frame_seen, x->rcv)) {
        c->reset_by = NONE;                      /* neither end was reset */
        return 2;
    }
    if (sent_it)
        c->reset_by = (uint8_t)x->rcv;           /* only its peer was reset */
    raise(x, TS_AN_HALF_OPEN);
    return f && f->rst_fate == TS_RST_CHALLENGED ? 3 : 1;
}

static int after_end(step_ctx *x)
{
    ts_conn *c = x->c;
    int reset = c->reset_by != NONE && !c->refused;
    int missed = rst_missed(x);
    if (missed == 2)
        return 0;
    /* its challenge ACK: the protocol's answer to that RST, not a stray */
    if (missed == 3) {
        x->rec->stage = TS_STAGE_CHALLENGE_ACK;
        x->rec->related_frame = c->rst_frame_seen;
        raise(x, TS_AN_CHALLENGE_ACK);
        return 1;
    }
    /* the peer of an endpoint that missed the RST: reset, with no TCB */
    if (missed ||
        (tsi_flight_missed_rst(c, c->rst_frame_seen, -1) && x->peer->state == TS_CLOSED &&
         !has(x->seg, TS_RST))) {
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
    if (repeats_fin(x->me, x->seg))
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
