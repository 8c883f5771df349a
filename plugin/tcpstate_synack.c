/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: in flight, SYN-ACKs that never reached the client
 * (TS_FLIGHT_SYNACK_LOST in ts_flight).  A captured SYN-ACK is taken as
 * delivered -- the client SYN-SENT -> ESTABLISHED -- until the client's own
 * segments prove it was not:
 *
 * - it sends its SYN again: a SYN-SENT endpoint that receives an acceptable
 *   SYN-ACK enters ESTABLISHED and answers with an ACK (RFC 9293 3.10.7.3),
 *   and only SYN-SENT resends a SYN (3.8.1);
 * - it answers a SYN-ACK with a bare RST at SEG.ACK: the reply of an
 *   endpoint with no TCB (3.10.7.1); a SYN-SENT one would ACK an acceptable
 *   SYN-ACK, an ESTABLISHED one would ACK it too (3.10.7.4 first check).  Its
 *   TCB went with no segment (3.10.4: CLOSE in SYN-SENT deletes the TCB).
 *
 * The last SYN-ACK captured before a resent SYN may have crossed it and
 * arrived after all.  Each SYN-ACK that arrives draws an ACK (3.10.7.3 in
 * SYN-SENT; 3.10.7.4 first check once ESTABLISHED), so a client ACK that
 * answers none of the SYN-ACKs captured after the resent SYN answers that
 * crossing one: it was delivered.  "One ACK per SYN-ACK" is a heuristic,
 * not a proof: Linux rate-limits the ACKs of out-of-window segments
 * (tcp_invalid_ratelimit, 500 ms), and with an RTT above the SYN timer
 * several SYN-ACKs may be in flight at once; so the explanation says what
 * the capture shows, and the view never shows the client ESTABLISHED at a
 * SYN it resends (only SYN-SENT resends a SYN, 3.8.1).  That ACK is then
 * an answer, not a copy of the previous one.
 *
 * Called only for SYNs, RSTs, and while a client is watched (one bit):
 * nothing here runs on an ordinary segment.  Below tcpstate_pipeline.c and
 * tcpstate_reset.c, beside tcpstate_flight.c.
 */
#include "tcpstate_core_int.h"

static int last_was_synack(const ts_endpoint *e)
{
    return (e->last_flags & (TS_SYN | TS_ACK)) == (TS_SYN | TS_ACK);
}

/* The SYN-ACKs from `first` up to `upto` never reached the client: one
 * record, or the open one of an earlier resend extended (its crossing
 * candidate was not delivered either). */
static void record_lost(step_ctx *x, uint32_t first, uint32_t upto)
{
    ts_flight *open = x->c->ep[TS_CLIENT].synack_watch
        ? tsi_flight_find(x->c, TS_FLIGHT_SYNACK_LOST, TS_CLIENT) : NULL;
    ts_flight *f;
    if (open) {
        open->to = upto;
        return;
    }
    if (first >= upto)
        return;
    f = tsi_flight_add(x, TS_FLIGHT_SYNACK_LOST, first, TS_CLIENT, TS_SYN_SENT);
    if (f)
        f->to = upto;
}

/* Another resend while a crossing SYN-ACK is watched: that one was lost
 * too.  Extend the lost record just before it instead of adding one per
 * resend (a lossy handshake must not fill the 8-record log, which one pass
 * reads), and reuse the open record for the new crossing candidate. */
static int merge_lost(step_ctx *x, uint32_t crossing)
{
    ts_conn *c = x->c;
    ts_endpoint *cl = x->me;
    ts_flight *open = cl->synack_watch ? tsi_flight_find(c, TS_FLIGHT_SYNACK_LOST, TS_CLIENT) : NULL;
    ts_flight *prev = open && open > c->flight->rec ? open - 1 : NULL;
    if (!prev || prev->kind != TS_FLIGHT_SYNACK_LOST || prev->role != TS_CLIENT || prev->to != open->from)
        return 0;
    prev->to = crossing;
    open->answer_gap = 0;                        /* counted from this resend on */
    if (crossing == x->seg->frame) {
        open->kind = TS_FLIGHT_NONE;             /* no candidate left */
        cl->synack_watch = 0;
    } else {
        open->from = crossing;
        open->to = x->seg->frame;
        cl->synacks_owed = 0;
    }
    x->me_before = TS_SYN_SENT;
    set_ep_state(cl, TS_SYN_SENT);
    c->established = 0;
    return 1;
}

/* The client resends its SYN (a retransmission, same ISN) after a SYN-ACK
 * the model took as delivered and with no ACK of its own since: every
 * SYN-ACK before it was lost, except perhaps the server's segment just
 * before it, a SYN-ACK that may be crossing it (kept open, watched). */
void tsi_resent_syn_proves_synack_lost(step_ctx *x)
{
    ts_conn *c = x->c;
    ts_endpoint *cl = x->me, *sv = x->peer;
    uint32_t crossing;
    ts_flight *f;
    if (x->snd != TS_CLIENT || (x->seg->flags & TS_ACK) || c->simultaneous_open || cl->ack_sent ||
        !sv->synack_sent || cl->state != TS_ESTABLISHED || sv->state != TS_SYN_RECEIVED ||
        !c->synack_frame)
        return;
    crossing = last_was_synack(sv) ? sv->last_frame : x->seg->frame;
    if (merge_lost(x, crossing))
        return;
    record_lost(x, c->synack_frame, crossing);
    cl->synack_watch = 0;
    if (crossing != x->seg->frame) {
        f = tsi_flight_add(x, TS_FLIGHT_SYNACK_LOST, crossing, TS_CLIENT, TS_SYN_SENT);
        cl->synack_watch = f != NULL;
        cl->synacks_owed = 0;
    }
    x->me_before = TS_SYN_SENT;
    set_ep_state(cl, TS_SYN_SENT);
    c->established = 0;                          /* nothing completed the handshake yet */
}

/* A client ACK answering none of the SYN-ACKs captured since its resent
 * SYN answers the one that crossed it: the open record becomes "delivered",
 * but only after the resent SYN left (only SYN-SENT resends a SYN, 3.8.1).
 * So the crossing SYN-ACK was in flight from its own frame: the client
 * stays SYN-SENT there and at the resent SYN, and moves SYN-SENT ->
 * ESTABLISHED (3.10.7.3 fourth check) at its answer: this ACK when no
 * SYN-ACK was captured since the resend; else the client's first ACK since
 * the resend (the crossing SYN-ACK left the server before the later ones,
 * so on one path it arrived first and drew the first ACK; answer_gap holds
 * that frame, or, too far to hold, the record ends just after the resent
 * SYN, as one pass showed).  The fold of crossing FINs, applied to the
 * handshake: no frame shows ESTABLISHED -> SYN-SENT. */
static void crossing_delivered(step_ctx *x, int still_syn_sent)
{
    ts_flight *f = tsi_flight_find(x->c, TS_FLIGHT_SYNACK_LOST, TS_CLIENT);
    if (f) {
        f->kind = TS_FLIGHT_DELIVERED;
        f->to = still_syn_sent ? x->seg->frame : f->answer_gap ? f->to + f->answer_gap : f->to + 1;
        f->state = TS_SYN_SENT;
    }
    x->me_before = TS_ESTABLISHED;
    set_ep_state(x->me, TS_ESTABLISHED);
}

/* A client segment whose ACK covers the server's SYN comes from a
 * synchronized TCB: SYN-SENT sends an ACK only on an acceptable SYN-ACK
 * (RFC 9293 3.10.7.3) and queues data sent before (3.10.4).  So whatever it
 * carries (pure ACK, data, FIN, keepalive) some SYN-ACK reached the client. */
static int acks_server_syn(const ts_segment *s, const ts_endpoint *sv)
{
    return has(s, TS_ACK) && sv->isn_known && seq_geq(s->ack, sv->isn + 1);
}

/* The ACK a SYN-ACK draws: pure, at the client's SND.NXT (ISN+1, or past
 * its Fast Open data), acknowledging exactly the server's SYN.  A keepalive
 * (SND.NXT-1) or data is no such answer. */
static int answers_one_synack(const ts_segment *s, const ts_endpoint *cl, const ts_endpoint *sv)
{
    return !(s->flags & (TS_FIN | TS_RST)) && !s->len && s->seq == cl->snd_nxt && s->ack == sv->isn + 1;
}

/* The client's first ACK since its resent SYN: if the crossing SYN-ACK is
 * proved delivered later, this is its answer (crossing_delivered). */
static void note_first_answer(step_ctx *x)
{
    ts_flight *f = tsi_flight_find(x->c, TS_FLIGHT_SYNACK_LOST, TS_CLIENT);
    uint32_t gap = f ? x->seg->frame - f->to : 0;
    if (f && !f->answer_gap && gap > 0 && gap <= UINT8_MAX)
        f->answer_gap = (uint8_t)gap;
}

/* While the client is watched: count the server's SYN-ACKs and the
 * client's answers to them.  Returns 1 when this segment is the ACK that
 * proves the crossing SYN-ACK delivered.  "One ACK per SYN-ACK" is a
 * heuristic, not a proof: Linux rate-limits the ACKs of duplicate SYN-ACKs
 * (tcp_invalid_ratelimit, 500 ms); so the watch ends, proving nothing more,
 * once the count saturates. */
int tsi_watch_synack_answers(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_endpoint *cl = &x->c->ep[TS_CLIENT];
    const ts_endpoint *sv = &x->c->ep[TS_SERVER];
    if (x->snd == TS_SERVER) {
        if (has(s, TS_SYN | TS_ACK)) {
            if (cl->synacks_owed == 3)
                cl->synack_watch = 0;            /* too many to count: give up the proof */
            else
                cl->synacks_owed++;
        }
        return 0;
    }
    if (s->flags & TS_SYN)
        return 0;                                /* a resend again: tsi_resent_syn_... */
    if (!acks_server_syn(s, sv)) {
        cl->synack_watch = 0;                    /* proves nothing about the SYN-ACKs */
        return 0;
    }
    if (cl->synacks_owed && answers_one_synack(s, cl, sv)) {
        note_first_answer(x);
        cl->synacks_owed--;
        return 0;
    }
    cl->synack_watch = 0;
    /* an extra answer, or a synchronized client still SYN-SENT here (no
     * SYN-ACK since the resend moved it): the crossing SYN-ACK arrived */
    if (!cl->synacks_owed && (answers_one_synack(s, cl, sv) || cl->state == TS_SYN_SENT)) {
        crossing_delivered(x, cl->state == TS_SYN_SENT);
        return answers_one_synack(s, cl, sv);
    }
    if (cl->state == TS_SYN_SENT) {              /* some later SYN-ACK arrived, whichever */
        x->me_before = TS_ESTABLISHED;
        set_ep_state(cl, TS_ESTABLISHED);
    }
    return 0;
}

/* An accepted bare RST from the client at the SEG.ACK of the SYN-ACK just
 * captured, from a client that never sent an ACK: it had no TCB when that
 * SYN-ACK came (3.10.7.1), and was SYN-SENT, never reached, before. */
void tsi_rst_proves_synack_unheard(step_ctx *x)
{
    ts_conn *c = x->c;
    ts_endpoint *cl = x->me, *sv = x->peer;
    if (x->snd != TS_CLIENT || has(x->seg, TS_ACK) || c->simultaneous_open || cl->ack_sent ||
        c->last_sender != TS_SERVER || !last_was_synack(sv) || x->seg->seq != sv->last_ack ||
        !tsi_acks_our_syn(cl, sv->last_ack) || !c->synack_frame)
        return;
    record_lost(x, c->synack_frame, sv->last_frame);
    tsi_flight_add(x, TS_FLIGHT_NO_TCB, sv->last_frame, TS_CLIENT, TS_CLOSED);
    cl->synack_watch = 0;
    x->me_before = TS_CLOSED;
    set_ep_state(cl, TS_CLOSED);
    c->established = 0;
}

/* The no-TCB record of tsi_rst_proves_synack_unheard, when the RST that
 * proved it is the one still in force on this unfinished handshake. */
static ts_flight *synack_unheard_record(const ts_conn *c)
{
    ts_flight *f = tsi_flight_find(c, TS_FLIGHT_NO_TCB, TS_CLIENT);
    if (!f || c->established || c->reset_by != TS_CLIENT || c->rst_by != TS_CLIENT ||
        f->to != c->rst_frame_seen)
        return NULL;
    return f;
}

/* Taken back: the client that answered a SYN-ACK with a bare RST at its
 * SEG.ACK sends its SYN again with the same ISN.  A new TCB would choose a
 * new ISN (RFC 9293 3.4.1); only SYN-SENT resends a SYN (3.8.1).  So the
 * RST came from the SYN-SENT TCB, which rejected that SYN-ACK and kept its
 * TCB (3.10.7.3: "If the ACK bit is set ... unacceptable ... send a reset
 * ... discard the segment and return"; Linux also rejects this way a
 * SYN-ACK failing its timestamp check, RFC 7323 5.3).  The server did take
 * the RST (back to LISTEN, 3.10.7.4 second check): the resent SYN starts a
 * new handshake with it. */
int tsi_syn_after_synack_rejection(const ts_conn *c, const ts_segment *seg, int role)
{
    const ts_endpoint *cl = &c->ep[TS_CLIENT];
    return role == TS_CLIENT && (seg->flags & (TS_SYN | TS_ACK | TS_RST | TS_FIN)) == TS_SYN &&
           cl->syn_seen && seg->seq == cl->isn && synack_unheard_record(c) != NULL;
}

/* The old handshake's record becomes "rejected": the client SYN-SENT from
 * that SYN-ACK to this resent SYN (two passes), and the SYN-SENT TCB
 * leaves the old handshake for the new one (as a new TCB's does,
 * tcpstate_stream.c carry_new_tcb). */
void tsi_carry_rejecting_tcb(ts_conn *prev, ts_conn *c, const ts_segment *seg, int role)
{
    ts_flight *f = synack_unheard_record(prev);
    if (!f || !tsi_syn_after_synack_rejection(prev, seg, role))
        return;
    f->kind = TS_FLIGHT_SYNACK_REJECTED;
    f->state = TS_SYN_SENT;
    f->to = seg->frame;
    c->ep[TS_CLIENT].state = TS_SYN_SENT;
}

/* A SYN-ACK the capture missed (a capture point drops packets too): an
 * endpoint in SYN-SENT sends nothing but SYN or RST (3.10.7.3) -- except,
 * once an acceptable SYN-ACK arrived, exactly <SEQ=SND.NXT><ACK=RCV.NXT>
 * <CTL=ACK> and ESTABLISHED (3.10.7.3 fourth check).  So a bare ACK at its
 * SND.NXT from a SYN-SENT endpoint whose peer sent no SYN the capture saw
 * proves the peer's SYN-ACK arrived before it: the sender is ESTABLISHED
 * (the SYN-ACK's edge lies between the frames), and its peer, which took
 * the SYN (it answered), SYN-RECEIVED with ISN SEG.ACK - 1; this ACK then
 * acknowledges its SYN (3.10.7.4 fifth check): the third ACK.  Data from
 * SYN-SENT stays data before the handshake (3.10.2 queues a SEND until
 * ESTABLISHED: a stack that sends it is broken, and the capture shows
 * nothing else of an answer). */
void tsi_synack_not_captured(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_endpoint *me = x->me, *peer = x->peer;
    if (x->me_before != TS_SYN_SENT || !me->syn_seen || x->c->roles_inferred || peer->syn_seen ||
        peer->seen || (s->flags & (TS_SYN | TS_RST | TS_FIN | TS_ACK)) != TS_ACK || s->len ||
        s->seq != me->snd_nxt ||
        (x->peer_before != TS_SYN_RECEIVED && x->peer_before != TS_LISTEN))
        return;
    x->me_before = TS_ESTABLISHED;
    set_ep_state(me, TS_ESTABLISHED);
    x->peer_before = TS_SYN_RECEIVED;
    set_ep_state(peer, TS_SYN_RECEIVED);
    peer->isn = s->ack - 1;
    peer->isn_known = 1;
    peer->snd_nxt = s->ack;
    peer->synack_sent = 1;
}

/* A SYN-ACK from another ISS than the one the server's SYN-RECEIVED TCB
 * chose: that TCB answers a repeated SYN from its own ISS (RFC 9293
 * 3.10.7.4), so only a TCB made from LISTEN by the client's SYN resent
 * since its last segment sends it (3.10.7.2: "ISS should be selected").
 * The first TCB had gone silently before that SYN (Linux drops a request
 * whose SYN-ACK retries ran out; 3.8.3 R2 gives up the same way).  The new
 * ISS replaces the old, so the third ACK that follows is checked against
 * it, and two passes show the server LISTEN before that SYN
 * (TS_FLIGHT_NEW_ISS).  The SYN-ACK must acknowledge the client's SYN, or
 * it is no answer to it (3.10.7.3).  The client is still SYN-SENT here
 * (acceptability sends a SYN-ACK to a synchronized client elsewhere), so
 * it has resent its SYN since the server's last SYN-ACK
 * (tsi_resent_syn_proves_synack_lost). */
void tsi_synack_new_iss(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *me = x->me, *cl = x->peer;
    if (x->snd != TS_SERVER || (s->flags & (TS_SYN | TS_ACK | TS_RST | TS_FIN)) != (TS_SYN | TS_ACK) ||
        x->me_before != TS_SYN_RECEIVED || c->established || c->simultaneous_open ||
        !me->syn_seen || s->seq == me->isn || !cl->syn_seen ||
        !ts_seq_gt(s->ack, cl->isn) || ts_seq_gt(s->ack, cl->snd_nxt))
        return;
    tsi_flight_add(x, TS_FLIGHT_NEW_ISS, cl->syn_last_frame, TS_SERVER, TS_SYN_RECEIVED);
    me->isn = s->seq;
    me->snd_nxt = s->seq + 1u + s->len;
    c->synack_frame = s->frame;
    tsi_set_time(c, x->alloc, x->alloc_ctx, TS_CT_SYNACK, s->ts_ns);
}
