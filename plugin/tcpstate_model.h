/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate model: the one table of what a TCP endpoint does when a segment
 * (or an ICMP error about one of its own) arrives.
 *
 * Rows are events, columns the receiving endpoint's RFC 9293 state; every
 * cell holds the next state, the action the receiver owes (challenge ACK,
 * RST, ...) and the RFC reference it comes from.  A cell no segment can
 * reach carries the reason instead of being silently untested.  The
 * sender's own moves are a handful of rules (ts_model_sender_next).
 *
 * The table is read by the core (tcpstate_step.c and tcpstate_pipeline.c), by the program that
 * writes plugin/TRANSITIONS.md, and by the cell-coverage test, which reads
 * the per-cell use counters kept here.
 */
#ifndef TCPSTATE_MODEL_H
#define TCPSTATE_MODEL_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(id, name): what arrived at the receiver, after acceptability. */
#define TS_EVENT_LIST(X)                                                     \
    X(TS_EV_SYN,           "SYN")                                            \
    X(TS_EV_SYNACK,        "SYN-ACK")                                        \
    X(TS_EV_FIN,           "FIN")                                            \
    X(TS_EV_FIN_ACKS,      "FIN acknowledging our SYN or FIN")               \
    X(TS_EV_ACKS,          "ACK acknowledging our SYN or FIN")               \
    X(TS_EV_ACK,           "plain ACK or data")                              \
    X(TS_EV_RST_ACCEPTED,  "RST accepted")                                   \
    X(TS_EV_RST_IN_WINDOW, "RST in window, not at RCV.NXT")                  \
    X(TS_EV_RST_DROPPED,   "RST not accepted")                               \
    X(TS_EV_ICMP_HARD,     "ICMP hard error")                                \
    X(TS_EV_ICMP_SOFT,     "ICMP soft error")                                \
    X(TS_EV_OUT_OF_WINDOW, "unacceptable segment (sequence)")                \
    X(TS_EV_BAD_ACK,       "unacceptable segment (acknowledgment)")

typedef enum {
#define TS_X_ENUM(id, name) id,
    TS_EVENT_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_EV_COUNT
} ts_event;

/* X(id, name): what the receiver does besides changing state. */
#define TS_ACTION_LIST(X)                                                    \
    X(TS_ACT_NONE,      "-")                                                 \
    X(TS_ACT_ACK,       "answers with an ACK")                               \
    X(TS_ACT_SYNACK,    "answers with a SYN-ACK")                            \
    X(TS_ACT_RST,       "answers with a RST")                                \
    X(TS_ACT_CHALLENGE, "owes a challenge ACK")                              \
    X(TS_ACT_DROP,      "drops it silently")                                 \
    X(TS_ACT_REFUSED,   "reports connection refused")                        \
    X(TS_ACT_RESET,     "reports connection reset")                          \
    X(TS_ACT_ABORT,     "gives up, reports the error")                       \
    X(TS_ACT_DELETE,    "deletes the connection")

typedef enum {
#define TS_X_ENUM(id, name) id,
    TS_ACTION_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_ACT_COUNT
} ts_action;

/* Special next states. */
#define TS_NEXT_KEEP      0xff  /* unchanged */
#define TS_NEXT_BACK      0xfe  /* LISTEN if opened passively, else CLOSED (3.10.7.4) */
#define TS_NEXT_REOPEN    0xfd  /* SYN-RECEIVED if opened passively (a listener takes the
                                 * SYN, RFC 1122 4.2.2.13), else unchanged, challenge ACK */

typedef struct {
    uint8_t next;             /* a ts_state, TS_NEXT_KEEP, TS_NEXT_BACK or TS_NEXT_REOPEN */
    uint8_t action;           /* ts_action */
    const char *ref;          /* RFC reference */
    const char *unreachable;  /* NULL, or why no segment reaches this cell */
} ts_cell;

const char *ts_event_name(unsigned ev);
const char *ts_action_name(unsigned act);

/* The cell as written in the table (no counting, no mutation). */
const ts_cell *ts_model_cell(unsigned ev, unsigned state);

/* The cell the core applies, counted.  Built with -DTS_MUTATE_CELL=n (the
 * mutation check), the n-th state-changing cell's next state is replaced. */
const ts_cell *ts_model_use(unsigned ev, unsigned state);

/* The receiver's state after the cell: passive tells TS_NEXT_BACK and
 * TS_NEXT_REOPEN apart. */
uint8_t ts_model_next(const ts_cell *cell, uint8_t state, int passive);

/* Cell numbering for the mutation check: reachable cells whose next state
 * differs from the state they are in, counted row by row. */
unsigned ts_model_state_changing_cells(void);

/* How often each cell was used since the start of the process. */
unsigned long ts_model_hits(unsigned ev, unsigned state);

/* Writes "<tag> <event> <state> <count>" for every used cell (the
 * coverage test merges these from every test program). */
void ts_model_write_hits(FILE *f, const char *tag);

/* ---- The sender's own moves ---------------------------------------------- */

/* X(id, description, RFC reference) */
#define TS_SEND_RULE_LIST(X)                                                                        \
    X(TS_SR_SYN,      "sends a SYN from CLOSED, LISTEN or TIME-WAIT: SYN-SENT",                     \
      "RFC 9293 3.10.1 (OPEN), RFC 6191 (reuse from TIME-WAIT)")                                    \
    X(TS_SR_SYNACK,   "sends a SYN-ACK from CLOSED, LISTEN or SYN-SENT: SYN-RECEIVED",              \
      "RFC 9293 3.10.7.2, 3.10.7.3 (its SYN's arrival not captured)")                               \
    X(TS_SR_FIN,      "sends a FIN from SYN-RECEIVED or ESTABLISHED: FIN-WAIT-1; from CLOSE-WAIT: LAST-ACK", \
      "RFC 9293 3.10.4 (CLOSE)")                                                                     \
    X(TS_SR_RST,      "sends a RST of its own (in its sequence space), accepted or not: CLOSED (ABORT, or no TCB); " \
                      "LISTEN stays; SYN-SENT or SYN-RECEIVED answering an unacceptable ACK keeps its TCB", \
      "RFC 9293 3.10.5 (ABORT), 3.10.7.1, 3.10.7.2, 3.10.7.3, 3.10.7.4 fifth check; RFC 1122 4.2.2.13") \
    X(TS_SR_OTHER,    "anything else (ACKs, data, retransmissions): no move",                       \
      "RFC 9293 3.3.2: an endpoint moves when it receives what it acknowledges")

typedef enum {
#define TS_X_ENUM(id, text, ref) id,
    TS_SEND_RULE_LIST(TS_X_ENUM)
#undef TS_X_ENUM
    TS_SR_COUNT
} ts_send_rule;

const char *ts_send_rule_text(unsigned rule);
void        ts_model_rule_use(unsigned rule);          /* counted like the cells */
unsigned long ts_model_rule_hits(unsigned rule);
const char *ts_send_rule_ref(unsigned rule);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_MODEL_H */
