/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: in flight (ts_flight, tcpstate_core.h).  The records of
 * what later segments proved about earlier ones -- not yet delivered, never
 * delivered, never sent -- written by the per-segment pipeline when the
 * proof arrives, and read the same way by one pass (what is known so far:
 * the pipeline has already corrected the states from the proof on) and by
 * two passes (ts_hindsight: the frames in between too).
 */
#include "tcpstate_core_int.h"

#include <string.h>

/* The connection's log, in its rare extras allocated on first need
 * (tcpstate_extras.c): most connections never prove anything was in
 * flight, and pay only the pointer. */
static ts_flight_log *flight_log(step_ctx *x)
{
    return tsi_extras(x->c, x->alloc, x->alloc_ctx);
}

/* A full log gives up its oldest record for the new proof: one pass reads
 * back only recent proofs (the RST still in force, a TIME-WAIT's ignored
 * RST, a new TCB's SYN, the open crossing SYN-ACK), and a proof it cannot
 * read back makes it repeat a verdict or refuse a segment its TCB sent
 * (review 6 finding 7).  Two passes then no longer correct the oldest
 * proof's frames: said on this frame (in_flight_not_recorded). */
static void make_room(step_ctx *x, ts_flight_log *log)
{
    int drop = 0, note = 0;
    for (int i = 0; i < log->n && !note; i++) {
        if (log->rec[i].kind == TS_FLIGHT_DATA_HELD)
            drop = i, note = 1;                  /* an explanation's note goes first */
    }
    memmove(&log->rec[drop], &log->rec[drop + 1], (size_t)(log->n - drop - 1) * sizeof log->rec[0]);
    log->n--;
    if (!note)
        raise(x, TS_AN_IN_FLIGHT_NOT_RECORDED);
}

ts_flight *tsi_flight_add(step_ctx *x, unsigned kind, uint32_t from, int role, unsigned state)
{
    ts_flight_log *log = flight_log(x);
    ts_flight *f;
    if (!log)
        return NULL;                             /* the one-pass correction still holds */
    if (log->n == TS_FLIGHT_MAX)
        make_room(x, log);
    f = &log->rec[log->n++];
    f->from = from;
    f->to = x->seg->frame;
    f->role = (uint8_t)role;
    f->state = (uint8_t)state;
    f->kind = (uint8_t)kind;
    f->rst_fate = TS_RST_LOST;
    return f;
}

void tsi_flight_note(step_ctx *x, unsigned kind, uint32_t from, int role)
{
    const ts_flight_log *log = x->c->flight;
    if (log && log->n == TS_FLIGHT_MAX)
        return;
    tsi_flight_add(x, kind, from, role, x->c->ep[role].state);
}

/* The latest record of kind about role (any role: -1), or NULL. */
ts_flight *tsi_flight_find(const ts_conn *c, unsigned kind, int role)
{
    if (!c->flight)
        return NULL;
    for (int i = c->flight->n; i-- > 0;) {
        ts_flight *f = &c->flight->rec[i];
        if (f->kind == kind && (role < 0 || f->role == role))
            return f;
    }
    return NULL;
}

/* role has already been shown to have missed the RST of frame rst (lost,
 * ignored, or never sent by it). */
int tsi_flight_missed_rst(const ts_conn *c, uint32_t rst, int role)
{
    if (!c->flight || !rst)
        return 0;
    for (int i = 0; i < c->flight->n; i++) {
        const ts_flight *f = &c->flight->rec[i];
        if ((f->kind == TS_FLIGHT_RST_LOST || f->kind == TS_FLIGHT_RST_FORGED) && f->from == rst &&
            (role < 0 || f->role == role))
            return 1;
    }
    return 0;
}

/* The inherited TIME-WAIT was seen to ignore a RST at its RCV.NXT (RFC
 * 1337; the record of tcpstate_time_wait.c): its later RSTs at RCV.NXT
 * are not accepted either. */
int ts_conn_time_wait_ignores_rst(const ts_conn *c)
{
    return tsi_flight_find(c, TS_FLIGHT_RST_IGNORED, TS_SERVER) != NULL;
}

int ts_conn_in_flight(const ts_conn *c, uint32_t frame, int role, unsigned *kept)
{
    if (!c || !c->flight)
        return TS_FLIGHT_NONE;
    for (int i = c->flight->n; i-- > 0;) {
        const ts_flight *f = &c->flight->rec[i];
        if (f->kind != TS_FLIGHT_NONE && f->kind != TS_FLIGHT_DATA_HELD && f->role == role &&
            frame >= f->from && frame < f->to) {
            if (kept)
                *kept = f->state;
            return f->kind;
        }
    }
    return TS_FLIGHT_NONE;
}

/* The first in-flight record of this kind for role whose start is from
 * and whose proving frame is to (0: any), or NULL. */
static const ts_flight *flight_record(const ts_conn *c, int kind, int role,
                                      uint32_t from, uint32_t to)
{
    if (!c || !c->flight)
        return NULL;
    for (int i = 0; i < c->flight->n; i++) {
        const ts_flight *f = &c->flight->rec[i];
        if (f->kind == kind && f->role == role && (!from || f->from == from) &&
            (!to || f->to == to))
            return f;
    }
    return NULL;
}

int ts_conn_flight_proves(const ts_conn *c, int kind, int role, uint32_t from, uint32_t to)
{
    return from && to && flight_record(c, kind, role, from, to) != NULL;
}

int ts_conn_flight_proved_from(const ts_conn *c, int kind, int role, uint32_t from)
{
    return from && flight_record(c, kind, role, from, 0) != NULL;
}

int ts_conn_rst_challenged(const ts_conn *c, int role, uint32_t frame)
{
    const ts_flight *f = frame ? flight_record(c, TS_FLIGHT_RST_LOST, role, frame, 0) : NULL;
    return f && f->rst_fate == TS_RST_CHALLENGED;
}

int ts_conn_flight_proved_at(const ts_conn *c, int kind, int role, uint32_t to)
{
    return to && flight_record(c, kind, role, 0, to) != NULL;
}

static void set_role_states(ts_record *v, int role, unsigned before, unsigned after)
{
    uint8_t packed = (uint8_t)((before << 4) | after);
    if (role == TS_CLIENT)
        v->states = packed;
    else
        v->server_states = packed;
}

static unsigned role_before(const ts_record *v, int role)
{
    return role == TS_CLIENT ? ts_rec_client_before(v) : ts_rec_server_before(v);
}

static unsigned role_after(const ts_record *v, int role)
{
    return role == TS_CLIENT ? ts_rec_client_after(v) : ts_rec_server_after(v);
}

/* Both ends of a RST went on from their TCBs: it reset nobody.  The RST
 * itself was not accepted (below the window when its receiver's own ACK
 * shows RCV.NXT past it: RFC 9293 3.10.7.4 first check); the segments in
 * between, shown "After reset" as far as one pass knew, were ordinary. */
static void reset_undone_view(ts_record *v, const ts_flight *lost, const ts_flight *forged,
                              uint32_t frame)
{
    uint32_t until = lost->to > forged->to ? lost->to : forged->to;
    if (frame == lost->from) {
        v->stage = TS_STAGE_RST_IGNORED;
        v->anomalies &= ~TS_BIT(TS_AN_HALF_OPEN);
        if (lost->rst_fate == TS_RST_BELOW_WINDOW)
            v->anomalies |= TS_BIT(TS_AN_RST_OUT_OF_WINDOW);
    } else if (frame > lost->from && frame < until && v->stage == TS_STAGE_AFTER_RESET &&
               !(v->seg_flags & (TS_SYN | TS_FIN | TS_RST))) {
        v->stage = TS_STAGE_DATA;
        v->anomalies &= ~(TS_BIT(TS_AN_HALF_OPEN) | TS_BIT(TS_AN_PACKETS_AFTER_RESET));
    }
}

/* A RST its receiver answered with a challenge ACK (tcpstate_reset.c
 * rst_challenged): it arrived inside the window but not at RCV.NXT, and
 * was not accepted (RFC 9293 3.10.7.4 first check, RFC 5961 3.2).  Its
 * sender aborted all the same (3.10.5): the connection is half-open from
 * the challenge ACK on, where one pass says so. */
static void rst_challenged_view(ts_record *v)
{
    v->stage = TS_STAGE_RST_IGNORED;
    v->anomalies &= ~TS_BIT(TS_AN_HALF_OPEN);
}

static int moved_at_from(const ts_flight *f)
{
    return f->kind == TS_FLIGHT_NEW_TCB || f->kind == TS_FLIGHT_REOPENED ||
           f->kind == TS_FLIGHT_NEW_ISS;
}

/* The state the SYN `from` moved its sender's role out of.  A new TCB
 * was made by OPEN from CLOSED (RFC 9293 3.10.1): the old one was gone
 * (an abort whose RST was lost, a reboot), so the one-pass "before"
 * (the old connection's state) is no edge of figure 5.  A reopened
 * TIME-WAIT really moved TIME-WAIT -> SYN-RECEIVED (RFC 6191).  A SYN
 * answered with a new ISS met LISTEN: the SYN-RECEIVED TCB before had
 * gone. */
static unsigned moved_from_state(const ts_record *v, const ts_flight *f)
{
    if (f->kind == TS_FLIGHT_NEW_TCB)
        return TS_CLOSED;
    return f->kind == TS_FLIGHT_NEW_ISS ? TS_LISTEN : role_before(v, f->role);
}

/* A TIME-WAIT that ignored the RST `from` (RFC 1337): that RST was not
 * accepted, and the client's SYNs until the proof met TIME-WAIT. */
static void time_wait_kept_view(ts_record *v, const ts_flight *f, uint32_t frame)
{
    if (frame == f->from)
        v->stage = TS_STAGE_RST_IGNORED;
    else if (v->stage == TS_STAGE_SYN && (v->rflags & TS_REC_SENDER_CLIENT))
        v->anomalies |= TS_BIT(TS_AN_PORT_REUSE_TIME_WAIT);
}

/* Only SYN-SENT resends a SYN (RFC 9293 3.8.1): whatever record of a
 * resent-SYN handshake covers it (a crossing SYN-ACK proved delivered
 * arrived after it was sent), the client's bare SYN leaves it SYN-SENT. */
static void resent_syn_view(ts_record *v, const ts_flight *f)
{
    if (f->role == TS_CLIENT && (f->kind == TS_FLIGHT_SYNACK_LOST || f->kind == TS_FLIGHT_DELIVERED) &&
        (v->rflags & TS_REC_SENDER_CLIENT) && (v->seg_flags & (TS_SYN | TS_ACK | TS_RST)) == TS_SYN &&
        role_after(v, TS_CLIENT) == TS_ESTABLISHED)
        set_role_states(v, TS_CLIENT, TS_SYN_SENT, TS_SYN_SENT);
}

/* The record of kind about the same RST (frame rst), or NULL. */
static const ts_flight *same_rst(const ts_conn *c, unsigned kind, uint32_t rst)
{
    for (int i = 0; i < c->flight->n; i++) {
        const ts_flight *f = &c->flight->rec[i];
        if (f->kind == kind && f->from == rst)
            return f;
    }
    return NULL;
}

void tsi_flight_view(ts_record *v, const ts_conn *c, uint32_t frame)
{
    if (!c->flight)
        return;
    for (int i = 0; i < c->flight->n; i++) {
        const ts_flight *f = &c->flight->rec[i];
        if (f->kind == TS_FLIGHT_NONE || f->kind == TS_FLIGHT_DATA_HELD)
            continue;
        /* the segment that moved role into state: the SYN of a new TCB
         * (its sender, 3.10.1 OPEN), the SYN that reopened a TIME-WAIT */
        if (moved_at_from(f) && frame == f->from)
            set_role_states(v, f->role, moved_from_state(v, f), f->state);
        else if (frame >= f->from && frame < f->to)
            set_role_states(v, f->role, f->state, f->state);
        if (f->kind == TS_FLIGHT_RST_IGNORED && frame >= f->from && frame < f->to)
            time_wait_kept_view(v, f, frame);
        /* the proving RST of a lost FIN: its receiver's state before it */
        if (f->kind == TS_FLIGHT_FIN_LOST && frame == f->to)
            set_role_states(v, f->role, f->state, role_after(v, f->role));
        /* the SYN-ACK after the lost ones (or the resent SYN): its receiver's
         * state before it; the answer to a crossing SYN-ACK held in flight
         * (tcpstate_synack.c crossing_delivered): SYN-SENT before it; the
         * FIN resent before a crossing final ACK arrived
         * (rst_proves_ack_delivered): LAST-ACK before it */
        if ((f->kind == TS_FLIGHT_SYNACK_LOST ||
             (f->kind == TS_FLIGHT_DELIVERED && (f->state == TS_SYN_SENT || f->state == TS_LAST_ACK))) &&
            frame == f->to)
            set_role_states(v, f->role, f->state, role_after(v, f->role));
        /* a RST its supposed sender never sent answered nothing: not half-open */
        if (f->kind == TS_FLIGHT_RST_FORGED && frame == f->from)
            v->anomalies &= ~TS_BIT(TS_AN_HALF_OPEN);
        resent_syn_view(v, f);
        /* each RST that reset nobody (several episodes on one connection),
         * or that its receiver answered with a challenge ACK */
        if (f->kind == TS_FLIGHT_RST_FORGED && same_rst(c, TS_FLIGHT_RST_LOST, f->from))
            reset_undone_view(v, same_rst(c, TS_FLIGHT_RST_LOST, f->from), f, frame);
        else if (f->kind == TS_FLIGHT_RST_LOST && f->rst_fate == TS_RST_CHALLENGED && frame == f->from &&
                 !same_rst(c, TS_FLIGHT_RST_FORGED, f->from))
            rst_challenged_view(v);
    }
}
