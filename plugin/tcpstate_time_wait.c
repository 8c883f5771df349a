/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: a SYN meets the old connection's TIME-WAIT (issue 11
 * defect 10, review F4, rfc1337 captures; scenarios 70 and 75 forward).
 *
 * The former server connects back to the former client's port while that
 * client is in TIME-WAIT (reverse), or the client connects again while the
 * server is (forward).  The new connection's server is then the old
 * TIME-WAIT TCB (tsi_inherit_time_wait), and only its answers tell what it
 * did with the SYN:
 *  - an ACK of the old connection: it kept TIME-WAIT (challenge ACK,
 *    RFC 5961 4.2 with RFC 9293 3.10.7.4);
 *  - a SYN-ACK acknowledging the SYN: a listener took it and reopened
 *    (RFC 9293 3.10.7.4 allows a SYN to reopen TIME-WAIT, RFC 6191; Linux
 *    does when a socket listens on that port);
 *  - after the SYN-SENT side answered the challenge with a RST at exactly
 *    RCV.NXT, RFC 9293 3.10.7.4 has TIME-WAIT go CLOSED (and the model
 *    shows that); the same ACK of the old connection sent again proves the
 *    TCB ignored that RST (RFC 1337 fix F1; Linux net.ipv4.tcp_rfc1337=1).
 */
#include "tcpstate_core_int.h"

static ts_conn *previous_conn(const ts_stream *s, const ts_conn *c)
{
    ts_conn *prev;
    for (prev = s->first; prev && prev->next != c; prev = prev->next)
        ;
    return prev;
}

/* The role, in the previous connection, of this connection's server (the
 * endpoints A and B are the stream's, the same in both). */
static int server_role_in(const ts_conn *prev, const ts_conn *c)
{
    int server_is_a = !c->client_is_a;
    return server_is_a == (int)prev->client_is_a ? TS_CLIENT : TS_SERVER;
}

/* A SYN whose receiver is still in TIME-WAIT on this four-tuple meets that
 * TCB (RFC 9293 3.10.7.4), whichever end opened the old connection: a
 * listener takes the SYN only if the TIME-WAIT reopens into it, which its
 * answer shows (a SYN-ACK: reopen_from_time_wait; an ACK of the old
 * connection: it kept TIME-WAIT, Linux with no listener on the port).
 * The new connection's server is that TCB: its TIME-WAIT and sequence
 * numbers carry over (it has sent nothing in the new connection yet). */
void tsi_inherit_time_wait(ts_conn *c, const ts_conn *prev, const ts_segment *seg)
{
    const ts_endpoint *tw;
    ts_endpoint *sv = &c->ep[TS_SERVER];
    int tw_role;
    if (!prev || (seg->flags & (TS_SYN | TS_ACK | TS_RST | TS_FIN)) != TS_SYN)
        return;
    tw_role = !role_of(prev, seg);
    tw = &prev->ep[tw_role];
    if (tw->state != TS_TIME_WAIT)
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

/* The inherited TIME-WAIT left TIME-WAIT (a RST deleted it, or it
 * reopened): the old connection's endpoint is that same TCB, so it ends
 * there too.  (A RST that took it to CLOSED is the connection's accepted
 * RST: rst_frame_seen, and a later answer of that TCB may prove it
 * ignored: time_wait_kept.) */
void tsi_end_inherited_time_wait(ts_stream *s, ts_conn *c)
{
    ts_conn *prev;
    if (!c->tw_inherited || c->ep[TS_SERVER].state == TS_TIME_WAIT)
        return;
    prev = previous_conn(s, c);
    if (prev && prev->ep[c->tw_inherited - 1].state == TS_TIME_WAIT)
        prev->ep[c->tw_inherited - 1].state = TS_CLOSED;
    c->tw_inherited = 0;
}

/* The TIME-WAIT endpoint answers with a SYN-ACK acknowledging the new SYN:
 * it reopened (a listener took the SYN, RFC 6191): it was SYN-RECEIVED
 * when it sent this, and its new connection starts new sequence numbers.
 * The SYN it answers (the client's last) is the one that reopened it:
 * an in-flight record (REOPENED) has hindsight show that SYN taking
 * TIME-WAIT to SYN-RECEIVED. */
static void reopen_from_time_wait(step_ctx *x)
{
    ts_conn *c = x->c;
    const ts_segment *seg = x->seg;
    ts_endpoint *sv = &c->ep[TS_SERVER];
    const ts_endpoint *cl = &c->ep[TS_CLIENT];
    if (!c->tw_inherited || sv->state != TS_TIME_WAIT || x->snd != TS_SERVER ||
        (seg->flags & (TS_SYN | TS_ACK | TS_RST | TS_FIN)) != (TS_SYN | TS_ACK) || !cl->syn_seen ||
        !tsi_acks_our_syn(cl, seg->ack))
        return;
    sv->isn = sv->snd_nxt = sv->max_ack = sv->win = sv->max_win = sv->wnd_edge = 0;
    sv->isn_known = sv->ack_sent = 0;
    sv->wscale = -1;
    sv->state = TS_SYN_RECEIVED;
    sv->passive = 1;                             /* a listener took the SYN */
    tsi_flight_add(x, TS_FLIGHT_REOPENED, cl->syn_last_frame, TS_SERVER, TS_SYN_RECEIVED);
    if (c->challenge_due == TS_SERVER)
        c->challenge_due = NONE;                 /* it answered the SYN, not a challenge */
}

/* The RST that took the inherited TIME-WAIT to CLOSED (RFC 9293 3.10.7.4),
 * or 0: the connection's accepted RST, sent by the client to a server
 * that was in TIME-WAIT without a FIN of its own in this connection (the
 * TIME-WAIT it inherited; its own would follow its FIN). */
static uint32_t time_wait_reset_frame(const ts_conn *c)
{
    if (c->reset_by != TS_CLIENT || c->rst_by != TS_CLIENT || (c->rst_states & 0x0f) != TS_TIME_WAIT ||
        c->ep[TS_SERVER].fin_seen)
        return 0;
    return c->rst_frame_seen;
}

/* After the RST at its RCV.NXT took the inherited TIME-WAIT to CLOSED
 * (RFC 9293 3.10.7.4), the endpoint's first segment is the old
 * connection's ACK again (its SND.NXT and RCV.NXT, no data): only that
 * TIME-WAIT TCB sends it (a CLOSED endpoint answers a SYN with RST-ACK,
 * 3.10.7.1).  It ignored the RST (RFC 1337 fix F1), and it answers the
 * SYN sent since with the challenge ACK it owes (RFC 5961 4.2). */
static uint32_t proves_time_wait_kept(const step_ctx *x)
{
    const ts_conn *c = x->c;
    const ts_segment *seg = x->seg;
    const ts_endpoint *sv = &c->ep[TS_SERVER];
    uint32_t rst = time_wait_reset_frame(c);
    if (!rst || sv->state != TS_CLOSED || x->snd != TS_SERVER || seg->len || sv->last_frame >= rst ||
        (seg->flags & (TS_SYN | TS_ACK | TS_RST | TS_FIN)) != TS_ACK || seg->seq != sv->snd_nxt ||
        seg->ack != sv->max_ack || tsi_flight_find(c, TS_FLIGHT_RST_IGNORED, TS_SERVER))
        return 0;
    return rst;
}

/* In flight: the RST never took effect -- role TIME-WAIT kept its state
 * from the RST to this proof (a record RST_IGNORED, which hindsight shows
 * and ts_conn_time_wait_ignores_rst reads). */
static void time_wait_kept(const ts_stream *s, step_ctx *x)
{
    ts_conn *prev, *c = x->c;
    uint32_t rst = proves_time_wait_kept(x);
    if (!rst)
        return;
    tsi_flight_add(x, TS_FLIGHT_RST_IGNORED, rst, TS_SERVER, TS_TIME_WAIT);
    prev = previous_conn(s, c);
    c->ep[TS_SERVER].state = TS_TIME_WAIT;
    c->reset_by = NONE;                          /* that RST reset nothing */
    if (prev) {
        int role = server_role_in(prev, c);
        c->tw_inherited = (uint8_t)(1 + role);
        if (prev->ep[role].state == TS_CLOSED)
            prev->ep[role].state = TS_TIME_WAIT;
    }
    c->challenge_due = TS_SERVER;
    c->challenge_cause = c->ep[TS_CLIENT].syn_last_frame;
    c->challenge_syn = 1;
}

/* The TIME-WAIT endpoint's answer decides what it did with the SYN (and
 * with the RST that followed): called before each segment is analysed,
 * only while the connection's server is, or was until a RST, the old
 * connection's TIME-WAIT. */
void tsi_time_wait_answers(const ts_stream *s, step_ctx *x)
{
    reopen_from_time_wait(x);
    time_wait_kept(s, x);
}

/* The new connection's SYNs met the old connection's TIME-WAIT, which
 * answered them with challenge ACKs: the SYN was answered, and nothing is
 * open (the connection cannot open while that TIME-WAIT lasts). */
int tsi_syn_met_time_wait(const ts_conn *c)
{
    return c->tw_inherited && c->ep[TS_SERVER].state == TS_TIME_WAIT && !c->established &&
           c->challenge_syn && (c->anomalies & TS_BIT(TS_AN_CHALLENGE_ACK));
}
