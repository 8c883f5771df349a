/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: captures of one direction only (the shadow connection).
 */
#include "tcpstate_core_int.h"

#include <string.h>

/* ---- One-sided captures ------------------------------------------------------
 * Only the client's segments were captured.  A client in SYN-SENT that
 * acknowledges the server's ISN + 1 must have received a SYN-ACK.  Reading
 * in capture order, the core cannot tell a missing capture direction from a
 * client sending too early with the SYN-ACK still to come
 * (crafted_data_before_handshake), so it keeps both accounts: the
 * connection as captured, and a shadow copy fed the same segments plus the
 * server segments that each client acknowledgment proves, put in just
 * before it (the latest moment they can have been sent).  Once the capture
 * has been read, the shadow is the right account if no server segment ever
 * appeared (ts_conn_view); ts_hindsight then shows its stages and states.
 *
 * Why this is not one more in-flight record (ts_flight): a record says "this
 * endpoint kept this state over these frames", a correction of one endpoint
 * between two known frames.  Here the uncertainty is about the whole
 * capture (is a direction missing, or did the client send too early?) and
 * the account that answers it differs in everything from the proof to the
 * end: the server's states, every stage, the sequence numbers the checks
 * use, the deferred verdicts.  Only a second run of the pipeline on the
 * inferred segments gives that; until the pipeline can replay a connection
 * from its records, the shadow is that second run. */

int tsi_proves_unseen_synack(const ts_conn *c, const ts_segment *seg)
{
    const ts_endpoint *cl = &c->ep[TS_CLIENT];
    return !ts_conn_shadow(c) && !c->roles_inferred && !c->ep[TS_SERVER].seen && cl->syn_seen &&
           cl->state == TS_SYN_SENT && role_of(c, seg) == TS_CLIENT &&
           (seg->flags & (TS_SYN | TS_RST | TS_ACK)) == TS_ACK && !tsi_flags_invalid(seg);
}

void tsi_open_shadow(ts_stream *s, ts_conn *c)
{
    ts_conn *sh;
    /* the shadow hangs from the rare extras' block (ts_flight_log) */
    if (!c->flight && !(c->flight = s->alloc(s->alloc_ctx, sizeof *c->flight)))
        return;                                  /* no memory: no one-sided account */
    sh = s->alloc(s->alloc_ctx, sizeof *sh);
    *sh = *c;                                    /* the state before the proving segment */
    sh->zeek.more = NULL;                        /* Zeek's extras: its own copy */
    ts_zeek_copy(&sh->zeek, &c->zeek);
    sh->next = NULL;
    if (c->times_wide) {                         /* times in a block: its own copy */
        int64_t *wide = s->alloc(s->alloc_ctx, TS_CT_COUNT * sizeof *wide);
        if (wide) {
            for (unsigned i = 0; i < TS_CT_COUNT; i++)
                wide[i] = c->t.wide_ns[i];
            sh->t.wide_ns = wide;
        }
    }
    sh->flight = s->alloc(s->alloc_ctx, sizeof *sh->flight); /* in-flight records: its own copy */
    if (sh->flight) {
        *sh->flight = *c->flight;
        sh->flight->shadow = NULL;
    }
    c->flight->shadow = sh;
}

/* The next uncaptured server segment that the client's segment
 * acknowledges: the SYN-ACK (ISN = ack - 1) for a client still in
 * SYN-SENT; later the bytes up to its ack; or, when the client has sent
 * its FIN and acks exactly one sequence number more, the server's FIN,
 * preceded by its ACK of the client's FIN (the textbook four-way close:
 * nothing says they were one segment).  Data is taken to ack the client's
 * bytes but not its FIN, which nothing proves the server had then. */
static int unseen_server_segment(const ts_conn *sh, const ts_segment *seg, ts_segment *u)
{
    const ts_endpoint *cl = &sh->ep[TS_CLIENT], *sv = &sh->ep[TS_SERVER];
    int closing = cl->state == TS_FIN_WAIT_1 || cl->state == TS_FIN_WAIT_2;
    if ((seg->flags & (TS_ACK | TS_RST)) != TS_ACK || role_of(sh, seg) != TS_CLIENT)
        return 0;
    memset(u, 0, sizeof *u);
    u->frame = seg->frame;
    u->ts_ns = seg->ts_ns;
    u->from_a = !seg->from_a;
    u->win = seg->win;
    u->wscale = -1;
    u->sport = seg->dport;
    u->dport = seg->sport;
    u->flags = TS_ACK;
    u->seq = sv->snd_nxt;
    u->ack = cl->fin_seen ? cl->fin_seq : cl->snd_nxt;
    if (cl->state == TS_SYN_SENT) {
        u->flags = TS_SYN | TS_ACK;
        u->seq = seg->ack - 1;
        u->ack = cl->snd_nxt;
        return 1;
    }
    if (!sv->syn_seen || !seq_gt(seg->ack, sv->snd_nxt))
        return 0;
    if (seg->ack - sv->snd_nxt != 1 || sv->fin_seen || !closing) {
        u->len = seg->ack - sv->snd_nxt;         /* data */
        return 1;
    }
    u->ack = cl->snd_nxt;                        /* acks the client's FIN */
    if (cl->state == TS_FIN_WAIT_2)
        u->flags |= TS_FIN;
    return 1;
}

/* Feeds the shadow and keeps its account of the segment in out->alt_*. */
void tsi_step_shadow(const ts_stream *s, ts_conn *c, const ts_segment *seg, ts_record *out)
{
    ts_conn *sh = ts_conn_shadow(c);
    ts_segment u;
    ts_record alt;
    for (int i = 0; i < 3 && unseen_server_segment(sh, seg, &u); i++)
        tsi_conn_step(s, sh, &u, &alt, 0, 0);           /* each one moves a state or the server's seq */
    tsi_conn_step(s, sh, seg, &alt, 0, 0);
    out->alt_stage = alt.stage;
    out->alt_states = alt.states;
    out->alt_server_states = alt.server_states;
    out->rflags |= TS_REC_ALT;
    /* what was captured, not what was put in */
    sh->first_frame = c->first_frame;
    sh->last_frame = c->last_frame;
    sh->first_ns = c->first_ns;
    tsi_set_time(sh, s->alloc, s->alloc_ctx, TS_CT_LAST, tsi_time(c, TS_CT_LAST));
    sh->packets = c->packets;
    ts_zeek_copy(&sh->zeek, &c->zeek);
    sh->user = c->user;
    sh->user_tag = c->user_tag;
}

const ts_conn *ts_conn_view(const ts_conn *c)
{
    return (c && ts_conn_shadow(c) && !c->ep[TS_SERVER].seen) ? ts_conn_shadow(c) : c;
}
