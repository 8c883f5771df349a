/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate queries: what the glue and the taps ask about a connection or a
 * record, answered from the core's own bookkeeping so that no caller above
 * the core reads ts_conn / ts_endpoint fields or recomputes times and
 * finality itself.  Plain C99, declared in tcpstate_core.h ("Questions").
 */
#include "tcpstate_core_int.h"

uint32_t ts_conn_index(const ts_conn *c)        { return c->index; }
uint32_t ts_conn_packets(const ts_conn *c)      { return c->packets; }
uint32_t ts_conn_last_frame(const ts_conn *c)   { return c->last_frame; }
const ts_conn *ts_conn_next(const ts_conn *c)   { return c->next; }
int ts_conn_roles_inferred(const ts_conn *c)    { return c->roles_inferred != 0; }
int ts_conn_client_is_a(const ts_conn *c)       { return c->client_is_a != 0; }
const ts_zeek *ts_conn_zeek(const ts_conn *c)   { return &c->zeek; }

int ts_conn_one_sided(const ts_conn *c)
{
    return ts_conn_view(c) != c;
}

unsigned ts_conn_state_so_far(const ts_conn *c, int role)
{
    return ts_conn_view(c)->ep[role].state;
}

ts_anomaly_set ts_conn_anomalies_so_far(const ts_conn *c)
{
    return ts_conn_view(c)->anomalies;
}

int ts_conn_closer_at(const ts_conn *c, uint32_t frame)
{
    const ts_endpoint *e;
    if (c->closer > TS_SERVER)
        return -1;
    e = &c->ep[c->closer];
    return e->fin_frame && frame >= e->fin_frame ? c->closer : -1;
}

int ts_conn_isn(const ts_conn *c, int role, uint32_t *isn)
{
    const ts_endpoint *e = &c->ep[role];
    if (!e->isn_known)
        return 0;
    *isn = e->isn;
    return 1;
}

/* ---- Times ----------------------------------------------------------------
 * Each reads the final account v = ts_conn_view(c).  In a one-sided account
 * (v != c) every server segment was put in by the core at the time of the
 * client segment that proved it: no time may rest on one.  The client's SYN,
 * handshake ACK, FIN and final ACK were captured. */

/* The client SYN a SYN-ACK answered: its latest SYN, unless that came after
 * the SYN-ACK (then the first one).  A simultaneous open has no such pair
 * (each side's SYN-ACK answers the other's SYN): its handshake is not timed. */
static int answered_syn_time(const ts_conn *v, int64_t *ns)
{
    const ts_endpoint *cl = &v->ep[TS_CLIENT];
    if (v->roles_inferred || v->simultaneous_open || !cl->syn_seen || !cl->syn_frame)
        return 0;
    *ns = (v->synack_frame && tsi_time(v, TS_CT_SYN_LAST + TS_CLIENT) > tsi_time(v, TS_CT_SYNACK))
              ? tsi_time(v, TS_CT_SYN + TS_CLIENT) : tsi_time(v, TS_CT_SYN_LAST + TS_CLIENT);
    return 1;
}

int ts_conn_time_syn_synack(const ts_conn *c, int64_t *ns)
{
    const ts_conn *v = ts_conn_view(c);
    int64_t syn;
    if (v != c || !v->synack_frame || !answered_syn_time(v, &syn) || tsi_time(v, TS_CT_SYNACK) < syn)
        return 0;
    *ns = tsi_time(v, TS_CT_SYNACK) - syn;
    return 1;
}

int ts_conn_time_synack_ack(const ts_conn *c, int64_t *ns)
{
    const ts_conn *v = ts_conn_view(c);
    if (v != c || v->simultaneous_open || !v->synack_frame || !v->hs_ack_frame ||
        tsi_time(v, TS_CT_HS_ACK) < tsi_time(v, TS_CT_SYNACK))
        return 0;
    *ns = tsi_time(v, TS_CT_HS_ACK) - tsi_time(v, TS_CT_SYNACK);
    return 1;
}

int ts_conn_time_handshake(const ts_conn *c, int64_t *ns)
{
    const ts_conn *v = ts_conn_view(c);
    int64_t syn;
    if (!v->established || !v->hs_ack_frame || !answered_syn_time(v, &syn) || tsi_time(v, TS_CT_HS_ACK) < syn)
        return 0;
    *ns = tsi_time(v, TS_CT_HS_ACK) - syn;
    return 1;
}

int ts_conn_time_teardown(const ts_conn *c, int64_t *ns)
{
    const ts_conn *v = ts_conn_view(c);
    const ts_endpoint *closer;
    if (!v->final_ack_frame || v->closer > TS_SERVER || (v != c && v->closer != TS_CLIENT))
        return 0;
    closer = &v->ep[v->closer];
    if (!closer->fin_frame || tsi_time(v, TS_CT_FINAL_ACK) < tsi_time(v, TS_CT_FIN + v->closer))
        return 0;
    *ns = tsi_time(v, TS_CT_FINAL_ACK) - tsi_time(v, TS_CT_FIN + v->closer);
    return 1;
}

/* ---- Records --------------------------------------------------------------- */

int ts_record_may_change(const ts_record *r)
{
    if (r->rflags & TS_REC_ALT)
        return 1;
    switch (r->stage) {
    case TS_STAGE_SYN:
    case TS_STAGE_SYNACK:
    case TS_STAGE_FIN1:
    case TS_STAGE_SIMCLOSE_FIN:
    case TS_STAGE_FIN2:
    case TS_STAGE_FINACK_COMBINED:
        return 1;
    default:
        return 0;
    }
}
