/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: the moves of the model and the per-segment bookkeeping
 * that the pipeline (tcpstate_pipeline.c) and the handlers below it
 * (tcpstate_reset.c, tcpstate_icmp.c) all use.  The bottom layer of the
 * per-segment code: it calls nothing in the core's other .c files except
 * tcpstate_accept.c.
 */
#include "tcpstate_core_int.h"

/* ---- Events ----------------------------------------------------------------
 * A segment that passes the acceptability check (below) is one of the
 * first six events of the model (tcpstate_model.h): SYN, SYN-ACK, FIN, FIN
 * acknowledging the receiver's SYN or FIN ("ctl"), ACK doing so, plain ACK
 * or data.  The receiver's move is the table's cell; the sender's is one of
 * the sender rules (sender_next).  Nothing else changes an endpoint's state
 * except the in-flight corrections listed in README's model section. */

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

/* ---- The moves: the model's cell for the receiver, a rule for the sender -- */

/* The receiver's move: the model's cell for the event in its state. */
const ts_cell *tsi_receive(step_ctx *x, ts_event ev)
{
    const ts_cell *cell = ts_model_use(ev, x->peer_before);
    uint8_t next = ts_model_next(cell, x->peer_before, x->peer->passive);
    if (next == TS_SYN_RECEIVED && x->peer_before == TS_LISTEN)
        x->peer->passive = 1;
    set_ep_state(x->peer, next);
    return cell;
}

/* The sender's move (TS_SEND_RULE_LIST): by sending a SYN, SYN-ACK or FIN
 * (its RST: handle_rst); ACKs and data never move their sender. */
uint8_t tsi_sender_next(const step_ctx *x)
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

void tsi_owe_challenge(step_ctx *x, int syn)
{
    x->c->challenge_due = (uint8_t)x->rcv;
    x->c->challenge_cause = x->seg->frame;
    x->c->challenge_syn = (uint8_t)syn;
}

void tsi_count_syn(step_ctx *x)
{
    if ((x->seg->flags & TS_SYN) && !(x->seg->flags & TS_RST) && x->me->syns_sent < 255)
        x->me->syns_sent++;
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

/* The window the sender advertises, and the right edge of its receive
 * window, RCV.NXT + RCV.WND as its ACK says (the largest seen: a receiver
 * should not shrink its window, 3.8.6.2.2).  Every ACK-bearing segment
 * advertises one, a repeated ACK too: a window update is the previous ACK
 * again with a larger window (3.8.6.2.2; 3.10.7.4 fifth check, "the send
 * window should be updated"). */
void tsi_note_window(step_ctx *x)
{
    const ts_segment *s = x->seg;
    ts_endpoint *me = x->me;
    me->win = window_bytes(x->c, me, s);
    if (me->win > me->max_win)
        me->max_win = me->win;
    if (s->flags & TS_ACK) {
        uint32_t edge = s->ack + me->win;
        if (!me->ack_sent || seq_gt(edge, me->wnd_edge))
            me->wnd_edge = edge;
        me->ack_sent = 1;
    }
}

/* Bookkeeping of what each side sent, after the transition. */
void tsi_remember(step_ctx *x, ts_event cls)
{
    const ts_segment *s = x->seg;
    ts_conn *c = x->c;
    ts_endpoint *me = x->me, *peer = x->peer;
    uint32_t end = s->seq + s->len + ((s->flags & TS_SYN) ? 1 : 0) + ((s->flags & TS_FIN) ? 1 : 0);
    tsi_count_syn(x);
    if ((s->flags & TS_SYN) && !(s->flags & TS_RST) && !me->syn_seen) {
        me->syn_seen = me->isn_known = 1;
        me->wscale = s->wscale;
        me->isn = s->seq;
        me->snd_nxt = end;
        me->syn_frame = me->syn_last_frame = s->frame;
        tsi_set_time(c, x->alloc, x->alloc_ctx, TS_CT_SYN + x->snd, s->ts_ns);
        tsi_set_time(c, x->alloc, x->alloc_ctx, TS_CT_SYN_LAST + x->snd, s->ts_ns);
        if (s->flags & TS_ACK) {
            c->synack_frame = s->frame;
            tsi_set_time(c, x->alloc, x->alloc_ctx, TS_CT_SYNACK, s->ts_ns);
        } else if (s->len && s->tfo && x->snd == TS_CLIENT) {
            c->tfo = 1;
        }
        if (!(s->flags & TS_ACK) && x->snd == TS_CLIENT)
            c->syn_data = s->len > 0xffff ? 0xffff : s->len;
    }
    if (has(s, TS_SYN | TS_ACK) && !me->synack_sent) {
        me->synack_sent = 1;
        if (!c->synack_frame) {
            c->synack_frame = s->frame;
            tsi_set_time(c, x->alloc, x->alloc_ctx, TS_CT_SYNACK, s->ts_ns);
        }
    }
    if (!me->isn_known && !(s->flags & TS_RST)) {
        me->isn = s->seq - 1;
        me->isn_known = 1;
        me->snd_nxt = s->seq;
    }
    /* data that begins above everything seen from its sender: the bytes
     * between were not captured (ack_proves_data_held reads it) */
    me->last_after_gap = s->len && !(s->flags & (TS_SYN | TS_RST)) && seq_gt(s->seq, me->snd_nxt);
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
        tsi_set_time(c, x->alloc, x->alloc_ctx, TS_CT_FIN + x->snd, s->ts_ns);
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
        tsi_set_time(c, x->alloc, x->alloc_ctx, TS_CT_HS_ACK, s->ts_ns);
    }
    if (cls == TS_EV_SYNACK && x->peer->state == TS_ESTABLISHED)
        c->established = 1;
    /* Fast Open without a cookie (RFC 7413; taking data without a valid
     * cookie is a server option, Linux tcp_fastopen 0x200):
     * no option on the SYN, but the SYN-ACK acknowledges its data too, so
     * the server took the data and may answer before the third ACK */
    if (cls == TS_EV_SYNACK && x->rcv == TS_CLIENT && peer->syn_seen &&
        seq_gt(s->ack, peer->isn + 1) && tsi_acks_our_syn(peer, s->ack))
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
    tsi_note_window(x);
    me->seen = 1;
}

void tsi_fill_states(ts_record *r, const ts_conn *c, int snd, uint8_t me_before,
                        uint8_t peer_before)
{
    uint8_t cb = snd == TS_CLIENT ? me_before : peer_before;
    uint8_t sb = snd == TS_CLIENT ? peer_before : me_before;
    r->states = (uint8_t)((cb << 4) | c->ep[TS_CLIENT].state);
    r->server_states = (uint8_t)((sb << 4) | c->ep[TS_SERVER].state);
}
