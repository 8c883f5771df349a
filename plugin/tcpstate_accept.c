/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: what a receiver makes of a segment before any state
 * changes: its event (classify) and whether it is acceptable at all
 * (acceptability, check_rst: RFC 9293 3.10.7, RFC 5961).
 */
#include "tcpstate_core_int.h"

int tsi_flags_invalid(const ts_segment *s)
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
int tsi_acks_ctl(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    const ts_endpoint *p = x->peer;
    if (!(s->flags & TS_ACK))
        return 0;
    if (p->fin_seen && !p->fin_acked)            /* SEG.ACK > SND.NXT is not acceptable */
        return seq_geq(s->ack, p->fin_seq + 1) && !seq_gt(s->ack, p->snd_nxt);
    /* (a SYN-ACK the capture missed counts: tsi_synack_not_captured) */
    if (x->peer_before == TS_SYN_RECEIVED && (p->syn_seen || p->synack_sent))
        return s->ack == p->isn + 1 || (seq_gt(s->ack, p->isn) && !seq_gt(s->ack, p->snd_nxt));
    return 0;
}

ts_event tsi_classify(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    int ctl = tsi_acks_ctl(x);
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

/* (the verdicts: tcpstate_core_int.h) */

/* In SYN-SENT an ACK is acceptable when SND.UNA < SEG.ACK =< SND.NXT
 * (3.10.7.3): above ISN + 1 only when the SYN carried data (Fast Open). */
int tsi_acks_our_syn(const ts_endpoint *syn_sender, uint32_t ack)
{
    return seq_gt(ack, syn_sender->isn) && !seq_gt(ack, syn_sender->snd_nxt);
}

static int is_synchronized_or_syn_received(unsigned st)
{
    return st != TS_CLOSED && st != TS_LISTEN && st != TS_SYN_SENT;
}

/* The receiver's last ACK went out with its FIN, which crossed the
 * sender's FIN (simultaneous close): it took that FIN afterwards (it is
 * CLOSING), so its RCV.NXT is past the FIN, above that ACK.  (The
 * sender's RST at that ACK is then below the window: spec_47.) */
static int ack_before_crossing_fin(const step_ctx *x)
{
    return x->c->simultaneous_close && x->peer_before == TS_CLOSING && x->me->fin_seen &&
           seq_lt(x->peer->max_ack, x->me->fin_seq + 1);
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
        return (has(s, TS_ACK) && tsi_acks_our_syn(peer, s->ack)) ? V_RST_ACCEPT : V_RST_BAD_ACK;
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
    if (peer->ack_sent && s->seq == peer->max_ack && !ack_before_crossing_fin(x) &&
        (x->c->tw_inherited || !seq_gt(peer->max_ack, me->snd_nxt)))   /* never beyond what was sent */
        return V_RST_ACCEPT;
    if (seq_geq(s->seq, rcv_nxt) && seq_lt(s->seq, rcv_nxt + wnd))
        return V_RST_CHALLENGE;
    return V_RST_OUT_OF_WINDOW;
}

/* The sequence check of 3.10.7.4 for segments without RST or SYN.  The
 * RFC's four cases: SEG.LEN = 0 is acceptable at RCV.NXT =< SEG.SEQ <
 * RCV.NXT + RCV.WND, or with RCV.WND = 0 only at SEG.SEQ = RCV.NXT; with
 * data, RCV.WND = 0 accepts nothing, otherwise the first or the last byte
 * must lie in the window.  Even an unacceptable segment has its ACK, URG
 * and RST processed when RCV.WND = 0 (zero-window probes, 3.8.6.1), and
 * the receiver answers it with an ACK: it changes no state either way.
 * What this check flags ("out of window", defect 1) is a segment from
 * elsewhere in sequence space, not those the RFC drops by design:
 *  - beyond the window: starting past the right edge the receiver
 *    advertised, RCV.NXT + RCV.WND from its ACKs (the largest seen, so a
 *    window update lost from the capture does not condemn a segment; a
 *    repeated ACK that only opens the window counts, handle_duplicate);
 *    a zero-window probe with one new byte starts at that edge, not past;
 *  - below it: ending more than a whole window below what the receiver has
 *    acknowledged.  Segments just below RCV.NXT are retransmissions whose
 *    ACK was lost, keepalives and zero-window probes at RCV.NXT - 1: the
 *    RFC drops them with an ACK, and they are not flagged (netfilter's
 *    tolerance). */
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

/* RFC 9293 3.10.7.4 has TIME-WAIT accept a RST at RCV.NXT and go CLOSED;
 * RFC 1337 (fix F1) has it ignore RSTs, as Linux does with
 * net.ipv4.tcp_rfc1337=1.  The model follows the RFC until the capture
 * shows this endpoint ignored one (tcpstate_time_wait.c): from then on its
 * RSTs at RCV.NXT are not accepted either. */
static verdict time_wait_policy(const step_ctx *x, verdict v)
{
    if (v == V_RST_ACCEPT && x->peer_before == TS_TIME_WAIT && ts_conn_time_wait_ignores_rst(x->c))
        return V_RST_RFC1337;
    return v;
}

verdict tsi_acceptability(const step_ctx *x)
{
    const ts_segment *s = x->seg;
    if (s->flags & TS_RST)
        return time_wait_policy(x, check_rst(x));
    if (s->flags & TS_SYN)
        return V_OK;                             /* SYNs: RFC 5961 4.2 whatever their seq */
    if (is_synchronized_or_syn_received(x->peer_before) && !seq_in_window(x))
        return V_OUT_OF_WINDOW;
    return V_OK;
}
