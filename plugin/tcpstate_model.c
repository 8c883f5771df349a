/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate model: the receiver table and the sender rules (see
 * tcpstate_model.h).  Section numbers are RFC 9293's unless another RFC is
 * named; "3.10.7.4 first/second/fourth/fifth/eighth" are the numbered checks
 * of its "Otherwise" part (sequence number, RST, SYN, ACK, FIN).
 */
#include "tcpstate_model.h"

#include "tcpstate_types.h"

#define KEEP TS_NEXT_KEEP
#define BACK TS_NEXT_BACK
#define REOPEN TS_NEXT_REOPEN

#define C(next, act, ref)      { next, TS_ACT_##act, ref, NULL }
#define U(next, act, ref, why) { next, TS_ACT_##act, ref, why }

/* Reasons shared by several unreachable cells. */
#define NO_TCB_FIRST "a segment to a CLOSED or LISTEN endpoint of a connection that ended is " \
                     "labelled After reset/After close before the table"
#define NO_ICMP_CLOSED "ts_stream_icmp takes an ICMP error only about a segment in flight " \
                       "(RFC 5927 4.1: SND.UNA =< SEG.SEQ < SND.NXT); a CLOSED or LISTEN endpoint " \
                       "has no TCB, a TIME-WAIT one has everything acknowledged (SND.UNA = SND.NXT)"
#define SYN_SENT_ACKED "SYN-SENT has no FIN (CLOSE there deletes the TCB, 3.10.4); an ACK of its SYN " \
                       "comes in a SYN-ACK (that row), and one without SYN is the plain-ACK row's " \
                       "cell, dropped the same way"
#define RST_NO_TCB "a RST to CLOSED or LISTEN is never accepted (3.10.7.1, 3.10.7.2)"
#define NO_FIN_BAD_ACK "in a synchronized state the core calls an ACK unacceptable only beyond a FIN " \
                       "it saw (fin_wrong_ack): elsewhere an ACK above SND.NXT is likelier bytes the " \
                       "capture missed; this endpoint has sent no FIN"
#define NOT_SYNCED "the sequence check of 3.10.7.4 applies from SYN-RECEIVED on"

static const ts_cell table[TS_EV_COUNT][TS_STATE_COUNT] = {
    [TS_EV_SYN] = {
        [TS_CLOSED]       = C(KEEP, RST,  "3.10.7.1: no TCB, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"),
        [TS_LISTEN]       = C(TS_SYN_RECEIVED, SYNACK, "3.10.7.2 third check (SYN)"),
        [TS_SYN_SENT]     = C(TS_SYN_RECEIVED, SYNACK, "3.10.7.3 fourth check: simultaneous open (3.5 figure 8)"),
        [TS_SYN_RECEIVED] = C(KEEP, SYNACK, "3.10.7.4 first check: the repeated SYN is below RCV.NXT; the SYN-ACK is resent"),
        [TS_ESTABLISHED]  = C(KEEP, CHALLENGE, "RFC 5961 4.2 (3.10.7.4 fourth check)"),
        [TS_FIN_WAIT_1]   = C(KEEP, CHALLENGE, "RFC 5961 4.2 (3.10.7.4 fourth check)"),
        [TS_FIN_WAIT_2]   = C(KEEP, CHALLENGE, "RFC 5961 4.2 (3.10.7.4 fourth check)"),
        [TS_CLOSE_WAIT]   = C(KEEP, CHALLENGE, "RFC 5961 4.2 (3.10.7.4 fourth check)"),
        [TS_CLOSING]      = C(KEEP, CHALLENGE, "RFC 5961 4.2 (3.10.7.4 fourth check)"),
        [TS_LAST_ACK]     = C(KEEP, CHALLENGE, "RFC 5961 4.2 (3.10.7.4 fourth check)"),
        [TS_TIME_WAIT]    = C(REOPEN, SYNACK, "RFC 1122 4.2.2.13, RFC 6191: a TCP may reopen from TIME-WAIT "
                              "(Linux: only if a listener takes the SYN); until its answer shows that (a SYN-ACK "
                              "of the new SYN, tcpstate_time_wait.c) the TIME-WAIT TCB that received the SYN, "
                              "in either direction, keeps it: RFC 5961 4.2 (3.10.7.4 fourth check), a challenge "
                              "ACK of the old connection"),
    },
    [TS_EV_SYNACK] = {
        [TS_CLOSED]       = C(KEEP, RST,  "3.10.7.1: no TCB, <SEQ=SEG.ACK><CTL=RST>"),
        [TS_LISTEN]       = U(KEEP, RST,  "3.10.7.2 second check: an ACK to a listener, <SEQ=SEG.ACK><CTL=RST>",
                              "only the server listens, and it sends the SYN-ACKs: the client would have to answer "
                              "a server's SYN, which makes the server SYN-SENT, not LISTEN"),
        [TS_SYN_SENT]     = C(TS_ESTABLISHED, ACK, "3.10.7.3 fourth check: our SYN acknowledged"),
        [TS_SYN_RECEIVED] = C(TS_ESTABLISHED, ACK, "3.10.7.4 fifth check; simultaneous open (3.5 figure 8)"),
        [TS_ESTABLISHED]  = C(KEEP, ACK,  "3.10.7.4 first check: old duplicate, re-acknowledged"),
        [TS_FIN_WAIT_1]   = C(KEEP, ACK,  "3.10.7.4 first check: old duplicate, re-acknowledged"),
        [TS_FIN_WAIT_2]   = C(KEEP, ACK,  "3.10.7.4 first check: old duplicate, re-acknowledged"),
        [TS_CLOSE_WAIT]   = C(KEEP, ACK,  "3.10.7.4 first check: old duplicate, re-acknowledged"),
        [TS_CLOSING]      = C(KEEP, ACK,  "3.10.7.4 first check: old duplicate, re-acknowledged"),
        [TS_LAST_ACK]     = C(KEEP, ACK,  "3.10.7.4 first check: old duplicate, re-acknowledged"),
        [TS_TIME_WAIT]    = C(KEEP, ACK,  "3.10.7.4 first check: old duplicate, re-acknowledged"),
    },
    [TS_EV_FIN] = {
        [TS_CLOSED]       = C(KEEP, RST,  "3.10.7.1: no TCB"),
        [TS_LISTEN]       = C(KEEP, RST,  "3.10.7.2 second check: ACK-bearing segment to a listener"),
        [TS_SYN_SENT]     = C(KEEP, DROP, "3.10.7.3 fifth check: neither SYN nor RST, dropped"),
        [TS_SYN_RECEIVED] = C(KEEP, NONE, "3.10.7.4 fifth check: the ACK must cover our SYN first"),
        [TS_ESTABLISHED]  = C(TS_CLOSE_WAIT, ACK, "3.10.7.4 eighth check (FIN)"),
        [TS_FIN_WAIT_1]   = C(TS_CLOSING, ACK, "3.10.7.4 eighth check: FINs crossed (3.6 figure 13)"),
        [TS_FIN_WAIT_2]   = C(TS_TIME_WAIT, ACK, "3.10.7.4 eighth check"),
        [TS_CLOSE_WAIT]   = C(KEEP, ACK,  "3.10.7.4 eighth check: remain (a repeated FIN)"),
        [TS_CLOSING]      = C(KEEP, ACK,  "3.10.7.4 eighth check: remain"),
        [TS_LAST_ACK]     = C(KEEP, ACK,  "3.10.7.4 eighth check: remain"),
        [TS_TIME_WAIT]    = C(KEEP, ACK,  "3.10.7.4 eighth check: remain, restart the 2 MSL timeout"),
    },
    [TS_EV_FIN_ACKS] = {
        [TS_CLOSED]       = C(KEEP, RST,  "3.10.7.1: no TCB (a reset endpoint's FIN acknowledged late)"),
        [TS_LISTEN]       = U(KEEP, RST,  "3.10.7.2 second check", "a listener has no FIN outstanding, and its SYN is "
                              "acknowledged only while it is SYN-RECEIVED"),
        [TS_SYN_SENT]     = U(KEEP, DROP, "3.10.7.3 fifth check", SYN_SENT_ACKED),
        [TS_SYN_RECEIVED] = C(TS_CLOSE_WAIT, ACK, "3.10.7.4 fifth check (ESTABLISHED), then eighth (CLOSE-WAIT)"),
        [TS_ESTABLISHED]  = U(TS_CLOSE_WAIT, ACK, "3.10.7.4 eighth check", "an ESTABLISHED endpoint has no SYN or FIN outstanding to be acknowledged"),
        [TS_FIN_WAIT_1]   = C(TS_TIME_WAIT, ACK, "3.10.7.4 fifth check (FIN-WAIT-2), then eighth (TIME-WAIT)"),
        [TS_FIN_WAIT_2]   = U(TS_TIME_WAIT, ACK, "3.10.7.4 eighth check", "FIN-WAIT-2 means its FIN is already acknowledged"),
        [TS_CLOSE_WAIT]   = U(KEEP, ACK, "3.10.7.4 eighth check", "a CLOSE-WAIT endpoint has no SYN or FIN outstanding"),
        [TS_CLOSING]      = C(TS_TIME_WAIT, ACK, "3.10.7.4 fifth check (CLOSING: our FIN acknowledged)"),
        [TS_LAST_ACK]     = C(TS_CLOSED, DELETE, "3.10.7.4 fifth check (LAST-ACK: our FIN acknowledged)"),
        [TS_TIME_WAIT]    = U(KEEP, ACK, "3.10.7.4 eighth check", "TIME-WAIT means its FIN is already acknowledged"),
    },
    [TS_EV_ACKS] = {
        [TS_CLOSED]       = C(KEEP, RST,  "3.10.7.1: no TCB (a reset endpoint's FIN acknowledged late)"),
        [TS_LISTEN]       = U(KEEP, RST,  "3.10.7.2 second check", "a listener has nothing outstanding"),
        [TS_SYN_SENT]     = U(KEEP, DROP, "3.10.7.3 fifth check", SYN_SENT_ACKED),
        [TS_SYN_RECEIVED] = C(TS_ESTABLISHED, NONE, "3.10.7.4 fifth check (SYN-RECEIVED)"),
        [TS_ESTABLISHED]  = U(KEEP, NONE, "3.10.7.4 fifth check", "an ESTABLISHED endpoint has no SYN or FIN outstanding"),
        [TS_FIN_WAIT_1]   = C(TS_FIN_WAIT_2, NONE, "3.10.7.4 fifth check (FIN-WAIT-1)"),
        [TS_FIN_WAIT_2]   = U(KEEP, NONE, "3.10.7.4 fifth check", "FIN-WAIT-2 means its FIN is already acknowledged"),
        [TS_CLOSE_WAIT]   = U(KEEP, NONE, "3.10.7.4 fifth check", "a CLOSE-WAIT endpoint has no SYN or FIN outstanding"),
        [TS_CLOSING]      = C(TS_TIME_WAIT, NONE, "3.10.7.4 fifth check (CLOSING)"),
        [TS_LAST_ACK]     = C(TS_CLOSED, DELETE, "3.10.7.4 fifth check (LAST-ACK)"),
        [TS_TIME_WAIT]    = U(KEEP, NONE, "3.10.7.4 fifth check", "TIME-WAIT means its FIN is already acknowledged"),
    },
    [TS_EV_ACK] = {
        [TS_CLOSED]       = C(KEEP, RST,  "3.10.7.1: no TCB, <SEQ=SEG.ACK><CTL=RST>"),
        [TS_LISTEN]       = C(KEEP, RST,  "3.10.7.2 second check: <SEQ=SEG.ACK><CTL=RST>"),
        [TS_SYN_SENT]     = C(KEEP, DROP, "3.10.7.3 fifth check: neither SYN nor RST, dropped"),
        [TS_SYN_RECEIVED] = C(KEEP, NONE, "3.10.7.4 fifth check: our SYN not yet acknowledged"),
        [TS_ESTABLISHED]  = C(KEEP, NONE, "3.10.7.4 fifth to seventh checks"),
        [TS_FIN_WAIT_1]   = C(KEEP, NONE, "3.10.7.4 fifth to seventh checks"),
        [TS_FIN_WAIT_2]   = C(KEEP, NONE, "3.10.7.4 fifth to seventh checks"),
        [TS_CLOSE_WAIT]   = C(KEEP, NONE, "3.10.7.4 fifth check"),
        [TS_CLOSING]      = C(KEEP, NONE, "3.10.7.4 fifth check: our FIN not yet acknowledged"),
        [TS_LAST_ACK]     = C(KEEP, NONE, "3.10.7.4 fifth check: our FIN not yet acknowledged"),
        [TS_TIME_WAIT]    = C(KEEP, NONE, "3.10.7.4 fifth check"),
    },
    [TS_EV_RST_ACCEPTED] = {
        [TS_CLOSED]       = U(KEEP, DROP, "3.10.7.1", RST_NO_TCB),
        [TS_LISTEN]       = U(KEEP, DROP, "3.10.7.2 first check", RST_NO_TCB),
        [TS_SYN_SENT]     = C(TS_CLOSED, REFUSED, "3.10.7.3 second check: the ACK covers our SYN"),
        [TS_SYN_RECEIVED] = C(BACK, NONE, "3.10.7.4 second check: passive OPEN returns to LISTEN, else refused"),
        [TS_ESTABLISHED]  = C(TS_CLOSED, RESET, "3.10.7.4 second check (RFC 5961 3.2: RST at RCV.NXT)"),
        [TS_FIN_WAIT_1]   = C(TS_CLOSED, RESET, "3.10.7.4 second check (RFC 5961 3.2: RST at RCV.NXT)"),
        [TS_FIN_WAIT_2]   = C(TS_CLOSED, RESET, "3.10.7.4 second check (RFC 5961 3.2: RST at RCV.NXT)"),
        [TS_CLOSE_WAIT]   = C(TS_CLOSED, RESET, "3.10.7.4 second check (RFC 5961 3.2: RST at RCV.NXT)"),
        [TS_CLOSING]      = C(TS_CLOSED, DELETE, "3.10.7.4 second check"),
        [TS_LAST_ACK]     = C(TS_CLOSED, DELETE, "3.10.7.4 second check"),
        [TS_TIME_WAIT]    = C(TS_CLOSED, DELETE, "3.10.7.4 second check (RFC 1337 describes the hazard)"),
    },
    [TS_EV_RST_IN_WINDOW] = {
        [TS_CLOSED]       = U(KEEP, DROP, "3.10.7.1", RST_NO_TCB),
        [TS_LISTEN]       = U(KEEP, DROP, "3.10.7.2", RST_NO_TCB),
        [TS_SYN_SENT]     = U(KEEP, DROP, "3.10.7.3", "SYN-SENT judges a RST by its ACK, not its window"),
        [TS_SYN_RECEIVED] = C(KEEP, CHALLENGE, "RFC 5961 3.2 (3.10.7.4 second check)"),
        [TS_ESTABLISHED]  = C(KEEP, CHALLENGE, "RFC 5961 3.2 (3.10.7.4 second check)"),
        [TS_FIN_WAIT_1]   = C(KEEP, CHALLENGE, "RFC 5961 3.2 (3.10.7.4 second check)"),
        [TS_FIN_WAIT_2]   = C(KEEP, CHALLENGE, "RFC 5961 3.2 (3.10.7.4 second check)"),
        [TS_CLOSE_WAIT]   = C(KEEP, CHALLENGE, "RFC 5961 3.2 (3.10.7.4 second check)"),
        [TS_CLOSING]      = C(KEEP, CHALLENGE, "RFC 5961 3.2 (3.10.7.4 second check)"),
        [TS_LAST_ACK]     = C(KEEP, CHALLENGE, "RFC 5961 3.2 (3.10.7.4 second check)"),
        [TS_TIME_WAIT]    = C(KEEP, CHALLENGE, "RFC 5961 3.2 (3.10.7.4 second check)"),
    },
    [TS_EV_RST_DROPPED] = {
        [TS_CLOSED]       = C(KEEP, DROP, "3.10.7.1: an incoming RST is discarded"),
        [TS_LISTEN]       = C(KEEP, DROP, "3.10.7.2 first check: an incoming RST is ignored"),
        [TS_SYN_SENT]     = C(KEEP, DROP, "3.10.7.3 second check: no acceptable ACK, dropped"),
        [TS_SYN_RECEIVED] = C(KEEP, DROP, "3.10.7.4 first check: RST out of window, dropped"),
        [TS_ESTABLISHED]  = C(KEEP, DROP, "3.10.7.4 first check: RST out of window, dropped (RFC 5961 3.2)"),
        [TS_FIN_WAIT_1]   = C(KEEP, DROP, "3.10.7.4 first check: RST out of window, dropped (RFC 5961 3.2)"),
        [TS_FIN_WAIT_2]   = C(KEEP, DROP, "3.10.7.4 first check: RST out of window, dropped (RFC 5961 3.2)"),
        [TS_CLOSE_WAIT]   = C(KEEP, DROP, "3.10.7.4 first check: RST out of window, dropped (RFC 5961 3.2)"),
        [TS_CLOSING]      = C(KEEP, DROP, "3.10.7.4 first check: RST out of window, dropped (RFC 5961 3.2)"),
        [TS_LAST_ACK]     = C(KEEP, DROP, "3.10.7.4 first check: RST out of window, dropped (RFC 5961 3.2)"),
        [TS_TIME_WAIT]    = C(KEEP, DROP, "3.10.7.4 first check: RST out of window, dropped (RFC 5961 3.2)"),
    },
    [TS_EV_ICMP_HARD] = {
        [TS_CLOSED]       = U(KEEP, NONE, "RFC 5927 4.1", NO_ICMP_CLOSED),
        [TS_LISTEN]       = U(KEEP, NONE, "RFC 5927 4.1", NO_ICMP_CLOSED),
        [TS_SYN_SENT]     = C(TS_CLOSED, ABORT, "RFC 1122 4.2.3.9: hard error, abort"),
        [TS_SYN_RECEIVED] = C(BACK, ABORT, "RFC 1122 4.2.3.9: hard error; the half-open connection is dropped"),
        [TS_ESTABLISHED]  = C(KEEP, NONE, "RFC 5461 4: synchronized connections keep retransmitting"),
        [TS_FIN_WAIT_1]   = C(KEEP, NONE, "RFC 5461 4: synchronized connections keep retransmitting"),
        [TS_FIN_WAIT_2]   = C(KEEP, NONE, "RFC 5461 4: synchronized connections keep retransmitting"),
        [TS_CLOSE_WAIT]   = C(KEEP, NONE, "RFC 5461 4: synchronized connections keep retransmitting"),
        [TS_CLOSING]      = C(KEEP, NONE, "RFC 5461 4: synchronized connections keep retransmitting"),
        [TS_LAST_ACK]     = C(KEEP, NONE, "RFC 5461 4: synchronized connections keep retransmitting"),
        [TS_TIME_WAIT]    = U(KEEP, NONE, "RFC 5927 4.1", NO_ICMP_CLOSED),
    },
    [TS_EV_ICMP_SOFT] = {
        [TS_CLOSED]       = U(KEEP, NONE, "RFC 5927 4.1", NO_ICMP_CLOSED),
        [TS_LISTEN]       = U(KEEP, NONE, "RFC 5927 4.1", NO_ICMP_CLOSED),
        [TS_SYN_SENT]     = C(TS_CLOSED, ABORT, "RFC 5461 4.1: connection attempts give up on soft errors too (Linux, BSDs)"),
        [TS_SYN_RECEIVED] = C(KEEP, NONE, "RFC 1122 4.2.3.9: soft error, keep retransmitting"),
        [TS_ESTABLISHED]  = C(KEEP, NONE, "RFC 1122 4.2.3.9: soft error, keep retransmitting"),
        [TS_FIN_WAIT_1]   = C(KEEP, NONE, "RFC 1122 4.2.3.9: soft error, keep retransmitting"),
        [TS_FIN_WAIT_2]   = C(KEEP, NONE, "RFC 1122 4.2.3.9: soft error, keep retransmitting"),
        [TS_CLOSE_WAIT]   = C(KEEP, NONE, "RFC 1122 4.2.3.9: soft error, keep retransmitting"),
        [TS_CLOSING]      = C(KEEP, NONE, "RFC 1122 4.2.3.9: soft error, keep retransmitting"),
        [TS_LAST_ACK]     = C(KEEP, NONE, "RFC 1122 4.2.3.9: soft error, keep retransmitting"),
        [TS_TIME_WAIT]    = U(KEEP, NONE, "RFC 5927 4.1", NO_ICMP_CLOSED),
    },
    [TS_EV_OUT_OF_WINDOW] = {
        [TS_CLOSED]       = U(KEEP, RST,  "3.10.7.1", NOT_SYNCED),
        [TS_LISTEN]       = U(KEEP, RST,  "3.10.7.2", NOT_SYNCED),
        [TS_SYN_SENT]     = U(KEEP, DROP, "3.10.7.3", NOT_SYNCED),
        [TS_SYN_RECEIVED] = C(KEEP, ACK,  "3.10.7.4 first check: not acceptable, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"),
        [TS_ESTABLISHED]  = C(KEEP, ACK,  "3.10.7.4 first check: not acceptable, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"),
        [TS_FIN_WAIT_1]   = C(KEEP, ACK,  "3.10.7.4 first check: not acceptable, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"),
        [TS_FIN_WAIT_2]   = C(KEEP, ACK,  "3.10.7.4 first check: not acceptable, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"),
        [TS_CLOSE_WAIT]   = C(KEEP, ACK,  "3.10.7.4 first check: not acceptable, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"),
        [TS_CLOSING]      = C(KEEP, ACK,  "3.10.7.4 first check: not acceptable, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"),
        [TS_LAST_ACK]     = C(KEEP, ACK,  "3.10.7.4 first check: not acceptable, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"),
        [TS_TIME_WAIT]    = C(KEEP, ACK,  "3.10.7.4 first check: not acceptable, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"),
    },
    [TS_EV_BAD_ACK] = {
        [TS_CLOSED]       = U(KEEP, RST,  "3.10.7.1", "acknowledgments are judged only against a connection"),
        [TS_LISTEN]       = U(KEEP, RST,  "3.10.7.2", "acknowledgments are judged only against a connection"),
        [TS_SYN_SENT]     = C(KEEP, RST,  "3.10.7.3 first check: SEG.ACK =< ISS or > SND.NXT, <SEQ=SEG.ACK><CTL=RST>"),
        [TS_SYN_RECEIVED] = C(KEEP, RST,  "3.10.7.4 fifth check: unacceptable ACK, <SEQ=SEG.ACK><CTL=RST>"),
        [TS_ESTABLISHED]  = U(KEEP, ACK,  "3.10.7.4 fifth check: SEG.ACK > SND.NXT, ACK and drop", NO_FIN_BAD_ACK),
        [TS_FIN_WAIT_1]   = C(KEEP, ACK,  "3.10.7.4 fifth check: SEG.ACK > SND.NXT, ACK and drop"),
        [TS_FIN_WAIT_2]   = C(KEEP, ACK,  "3.10.7.4 fifth check: SEG.ACK > SND.NXT, ACK and drop"),
        [TS_CLOSE_WAIT]   = U(KEEP, ACK,  "3.10.7.4 fifth check: SEG.ACK > SND.NXT, ACK and drop", NO_FIN_BAD_ACK),
        [TS_CLOSING]      = C(KEEP, ACK,  "3.10.7.4 fifth check: SEG.ACK > SND.NXT, ACK and drop"),
        [TS_LAST_ACK]     = C(KEEP, ACK,  "3.10.7.4 fifth check: SEG.ACK > SND.NXT, ACK and drop"),
        [TS_TIME_WAIT]    = C(KEEP, ACK,  "3.10.7.4 fifth check: SEG.ACK > SND.NXT, ACK and drop"),
    },
};

static const char *const event_names[] = {
#define TS_X_NAME(id, name) name,
    TS_EVENT_LIST(TS_X_NAME)
#undef TS_X_NAME
};

static const char *const action_names[] = {
#define TS_X_NAME(id, name) name,
    TS_ACTION_LIST(TS_X_NAME)
#undef TS_X_NAME
};

static const struct { const char *text, *ref; } send_rules[] = {
#define TS_X_RULE(id, text, ref) { text, ref },
    TS_SEND_RULE_LIST(TS_X_RULE)
#undef TS_X_RULE
};

const char *ts_event_name(unsigned ev)    { return ev < TS_EV_COUNT ? event_names[ev] : "?"; }
const char *ts_action_name(unsigned act)  { return act < TS_ACT_COUNT ? action_names[act] : "?"; }
const char *ts_send_rule_text(unsigned r) { return r < TS_SR_COUNT ? send_rules[r].text : "?"; }
const char *ts_send_rule_ref(unsigned r)  { return r < TS_SR_COUNT ? send_rules[r].ref : "?"; }

const ts_cell *ts_model_cell(unsigned ev, unsigned state)
{
    if (ev >= TS_EV_COUNT || state >= TS_STATE_COUNT)
        return &table[TS_EV_ACK][TS_ESTABLISHED];   /* a harmless KEEP cell */
    return &table[ev][state];
}

/* A cell the mutation check changes: it moves the state, and some segment
 * can reach it (a cell marked unreachable cannot be noticed by a test). */
static int changes_state(const ts_cell *c, unsigned state)
{
    return c->next != KEEP && c->next != state && !c->unreachable;
}

unsigned ts_model_state_changing_cells(void)
{
    unsigned n = 0;
    for (unsigned ev = 0; ev < TS_EV_COUNT; ev++)
        for (unsigned st = 0; st < TS_STATE_COUNT; st++)
            n += changes_state(&table[ev][st], st);
    return n;
}

/* Plain counters: one increment per segment, read only by the tests.
 * (Wireshark dissects on one thread; a torn count would only blur a
 * test statistic, never a result.) */
static unsigned long hits[TS_EV_COUNT][TS_STATE_COUNT];

#ifdef TS_MUTATE_CELL
/* The mutation check: the TS_MUTATE_CELL-th state-changing cell (from 0,
 * row by row) keeps its state instead of moving.  Some test must notice. */
static ts_cell mutated;

static const ts_cell *mutate(unsigned ev, unsigned state, const ts_cell *c)
{
    unsigned n = 0;
    for (unsigned e = 0; e < TS_EV_COUNT; e++)
        for (unsigned s = 0; s < TS_STATE_COUNT; s++) {
            if (!changes_state(&table[e][s], s))
                continue;
            if (n++ == (unsigned)(TS_MUTATE_CELL) && e == ev && s == state) {
                mutated = *c;
                mutated.next = KEEP;
                return &mutated;
            }
        }
    return c;
}
#endif

const ts_cell *ts_model_use(unsigned ev, unsigned state)
{
    const ts_cell *c = ts_model_cell(ev, state);
    if (ev < TS_EV_COUNT && state < TS_STATE_COUNT)
        hits[ev][state]++;
#ifdef TS_MUTATE_CELL
    c = mutate(ev, state, c);
#endif
    return c;
}

uint8_t ts_model_next(const ts_cell *cell, uint8_t state, int passive)
{
    if (cell->next == KEEP)
        return state;
    if (cell->next == BACK)
        return passive ? TS_LISTEN : TS_CLOSED;
    if (cell->next == REOPEN)
        return passive ? TS_SYN_RECEIVED : state;
    return cell->next;
}

static unsigned long rule_hits[TS_SR_COUNT];

void ts_model_rule_use(unsigned rule)
{
    if (rule < TS_SR_COUNT)
        rule_hits[rule]++;
}

unsigned long ts_model_rule_hits(unsigned rule)
{
    return rule < TS_SR_COUNT ? rule_hits[rule] : 0;
}

unsigned long ts_model_hits(unsigned ev, unsigned state)
{
    return (ev < TS_EV_COUNT && state < TS_STATE_COUNT) ? hits[ev][state] : 0;
}

void ts_model_write_hits(FILE *f, const char *tag)
{
    for (unsigned ev = 0; ev < TS_EV_COUNT; ev++)
        for (unsigned st = 0; st < TS_STATE_COUNT; st++)
            if (hits[ev][st])
                fprintf(f, "%s %u %u %lu\n", tag, ev, st, hits[ev][st]);
    for (unsigned r = 0; r < TS_SR_COUNT; r++)
        if (rule_hits[r])
            fprintf(f, "%s rule %u %lu\n", tag, r, rule_hits[r]);
}
