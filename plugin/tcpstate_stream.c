/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: RFC 9293 endpoint states for each captured TCP segment.
 *
 * Reading guide.  ts_stream_process() (here, the top of the core) takes one
 * segment through five steps:
 *   1. find its connection (a new one on port reuse; this file),
 *   2. classify it (SYN, SYN-ACK, FIN, ACK, ...; "ctl" = its ACK covers the
 *      receiver's outstanding SYN or FIN for the first time),
 *   3. apply the sender table and the receiver table (RFC 9293
 *      section 3.3.2 figure 5 and the event processing of section 3.10.7),
 *   4. name its stage from the class and the states before,
 *   5. raise the anomalies that are certain now (the ones that need the
 *      future are evaluated later by ts_deferred_anomalies()).
 * Steps 2-5 are the pipeline (tcpstate_pipeline.c).
 *
 * The core's files in layers, each calling only the ones below it:
 * tcpstate_stream.c (this file: connections of a stream, the entry) >
 * tcpstate_shadow.c (one-sided captures) > tcpstate_pipeline.c (steps 2-5) >
 * tcpstate_reset.c (RSTs, and segments after the end), tcpstate_icmp.c
 * (ICMP errors) > tcpstate_step.c (the moves and per-segment bookkeeping
 * every handler uses), tcpstate_synack.c (SYN-ACKs that never reached the
 * client) > tcpstate_time_wait.c (a SYN meeting TIME-WAIT) >
 * tcpstate_flight.c (in flight), tcpstate_accept.c (event class and
 * acceptability verdict), tcpstate_names.c (names and labels),
 * tcpstate_extras.c (a connection's rare extras and its times);
 * tcpstate_verdicts.c (end-of-capture verdicts and hindsight) beside them.
 * tcpstate_core_int.h holds what they share; tcpstate_core.h is the public
 * types and API.
 */
#include "tcpstate_core_int.h"

#include <string.h>

/* ---- Allocation and connection set-up ------------------------------------ */

void ts_stream_init(ts_stream *s, ts_alloc_fn alloc, void *alloc_ctx)
{
    memset(s, 0, sizeof *s);
    s->alloc = alloc;
    s->alloc_ctx = alloc_ctx;
}

static int in_time_wait(const ts_conn *c, int64_t now_ns)
{
    if (!c || ns_between(tsi_time(c, TS_CT_LAST), now_ns) >= 2 * MSL_NS)
        return 0;
    return c->ep[0].state == TS_TIME_WAIT || c->ep[1].state == TS_TIME_WAIT;
}

/* Roles: the sender of a SYN is the client; the receiver of a SYN-ACK is;
 * otherwise guess the endpoint with the higher (ephemeral) port. */
static void assign_roles(ts_conn *c, const ts_segment *seg)
{
    int sender_is_client;
    if ((seg->flags & (TS_SYN | TS_ACK)) == TS_SYN || tsi_flags_invalid(seg)) {
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
    if (syn_ack == TS_SYN || tsi_flags_invalid(seg)) {   /* an opening, or a probe */
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
    c->closer = c->reset_by = c->challenge_due = c->last_sender = NONE;
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
    /* the SYN-SENT TCB that rejected a SYN-ACK with a RST, resending its
     * SYN: the server took the RST, the handshake starts again */
    if (tsi_syn_after_synack_rejection(c, seg, role_of(c, seg)))
        return 1;
    if (snd->syn_seen && seg->seq == snd->isn)
        return 0; /* a retransmission of this connection's SYN */
    if (ts_conn_finished(c))
        return 1;
    /* the SYN of a new TCB that reset its peer's old connection (3.5.2
     * figure 11; ts_flight NEW_TCB), sent again: the next connection */
    if (c->reset_by == role_of(c, seg) && tsi_flight_find(c, TS_FLIGHT_NEW_TCB, role_of(c, seg)))
        return 1;
    /* a client retrying with a new ISN before anything was established */
    return !c->established && role_of(c, seg) == TS_CLIENT && !c->ep[TS_SERVER].seen;
}

/* The new connection's client is the SYN-SENT TCB that reset the old
 * connection (ts_flight NEW_TCB): it leaves the old connection, and its SYN
 * sent again moves nothing. */
static void carry_new_tcb(ts_conn *c, ts_conn *prev, const ts_segment *seg)
{
    int role;
    if (!prev || !prev->flight)
        return;
    role = role_of(prev, seg);
    if (prev->ep[role].state != TS_SYN_SENT || !tsi_flight_find(prev, TS_FLIGHT_NEW_TCB, role) ||
        role_of(c, seg) != TS_CLIENT)
        return;
    prev->ep[role].state = TS_CLOSED;
    c->ep[TS_CLIENT].state = TS_SYN_SENT;
}

/* ---- The entry: one segment of the stream -------------------------------- */

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
            tsi_inherit_time_wait(c, prev, seg);
        carry_new_tcb(c, prev, seg);
        if (prev)
            tsi_carry_rejecting_tcb(prev, c, seg, role_of(prev, seg));
        first = 1;
    }
    if (tsi_proves_unseen_synack(c, seg))
        tsi_open_shadow(s, c);
    tsi_conn_step(s, c, seg, out, first, extra);
    tsi_end_inherited_time_wait(s, c);
    if (ts_conn_shadow(c) && !c->ep[TS_SERVER].seen)
        tsi_step_shadow(s, c, seg, out);
}
