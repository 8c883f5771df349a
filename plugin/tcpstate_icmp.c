/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: ICMP errors about a connection (RFC 5927), and the
 * retransmission that shows one was only a soft error.
 */
#include "tcpstate_core_int.h"

#include <string.h>

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
    ts_flight_log *extras;
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
    extras = tsi_extras(c, s->alloc, s->alloc_ctx);  /* ICMP errors are rare: kept there */
    if (!extras)
        return 0;                                /* no memory: as if not about this connection */
    me_before = me->state;
    peer_before = peer->state;
    extras->icmp_frame = icmp->frame;
    extras->icmp_by = (uint8_t)by;
    cell = ts_model_use(icmp->kind == TS_ICMP_NO_ROUTE ? TS_EV_ICMP_SOFT : TS_EV_ICMP_HARD, me_before);
    next = ts_model_next(cell, me_before, me->passive);
    c->icmp_aborted = next != me_before;
    if (c->icmp_aborted) {
        extras->icmp_prev_state = me_before;
        set_ep_state(me, next);
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
    tsi_fill_states(out, c, !by, peer_before, me_before);
    /* Zeek does not see ICMP errors in a TCP connection: its verdict as of
     * this frame is the one the last segment left. */
    out->zeek_state = (uint8_t)ts_zeek_conn_state(&c->zeek);
    out->zeek_hist_len = c->zeek.hist_len;
    c->anomalies |= out->anomalies;
    return 1;
}

/* In flight: a retransmission of the SYN (or SYN-ACK) an ICMP error was
 * taken to have aborted: its sender still held the connection, the error was
 * only a soft one (Linux keeps an ICMP that arrives while connect() holds the
 * socket).  From the ICMP error on, it kept its state (ts_flight). */
void tsi_revive_after_icmp(step_ctx *x)
{
    ts_conn *c = x->c;
    const ts_segment *seg = x->seg;
    ts_endpoint *me = x->me;
    if (!c->icmp_aborted || tsi_icmp_by(c) != (unsigned)x->snd || !(seg->flags & TS_SYN) ||
        (seg->flags & TS_RST) || !me->syn_seen || seg->seq != me->isn)
        return;
    me->state = c->flight->icmp_prev_state;
    c->icmp_aborted = 0;
    c->refused = 0;
    tsi_flight_add(x, TS_FLIGHT_ICMP_SOFT, c->flight->icmp_frame, x->snd, c->flight->icmp_prev_state);
}
