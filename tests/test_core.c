/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the core state machine, no Wireshark.  One scenario per
 * path; every step states the stage and both endpoints' states before and
 * after, read off RFC 9293 figure 5 and section 3.10.7 (cited per step
 * where the reason is not the plain textbook ladder).
 *
 * Numbers: client ISN 1000, server ISN 5000 unless a scenario says
 * otherwise; every segment is 1 ms after the previous one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstate_core.h"
#include "tcpstate_explain.h"
#include "tcpstate_model.h"

static int failures;

/* The core never frees what it asks for; the blocks stay listed here (so
 * they remain reachable for LeakSanitizer) and die with the process. */
static void  **kept;
static size_t  nkept, kept_cap;

static void *test_alloc(void *ctx, size_t size)
{
    void *p = calloc(1, size);
    (void)ctx;
    if (p && nkept == kept_cap) {
        size_t cap = kept_cap ? 2 * kept_cap : 256;
        void **grown = realloc(kept, cap * sizeof *kept);
        if (!grown) {
            free(p);
            return NULL;
        }
        kept = grown;
        kept_cap = cap;
    }
    if (p)
        kept[nkept++] = p;
    return p;
}

#define ANY 0xffffffffu /* step.anomalies: not checked (a step that only leads somewhere) */

typedef struct {
    char who;                 /* 'C' client or 'S' server */
    const char *flags;        /* letters: S A F R P U, or "" for none */
    uint32_t seq, ack, len;
    const char *stage;        /* expected tcpstate.stage, NULL: not checked */
    const char *cb, *ca, *sb, *sa; /* client/server state before/after, NULL: not checked */
    ts_anomaly_set anomalies; /* exact set raised on the fly */
    int64_t gap_ms;           /* time since previous segment; 0 means 1 ms */
} step;

typedef struct {
    ts_stream stream;
    ts_record rec[64];
    ts_segment seg[64];
    int n;
    int64_t now_ns;
    char first_sender;
    uint16_t cport, sport;
} run;

static uint8_t parse_flags(const char *f)
{
    uint8_t v = 0;
    for (; *f; f++) {
        switch (*f) {
        case 'S': v |= TS_SYN; break;
        case 'A': v |= TS_ACK; break;
        case 'F': v |= TS_FIN; break;
        case 'R': v |= TS_RST; break;
        case 'P': v |= TS_PSH; break;
        case 'U': v |= TS_URG; break;
        case 'E': v |= TS_ECE; break;
        case 'W': v |= TS_CWR; break;
        case 'T': break;                 /* not a flag: Fast Open option (feed) */
        default: break;
        }
    }
    return v;
}

static void run_init(run *r)
{
    memset(r, 0, sizeof *r);
    ts_stream_init(&r->stream, test_alloc, NULL);
    r->now_ns = 1000000000LL;
    r->cport = 40000;
    r->sport = 80;
}

static void check_str(const char *name, int i, const char *what, const char *want, const char *got)
{
    if (want && strcmp(want, got) != 0) {
        printf("FAIL %s step %d: %s: want \"%s\", got \"%s\"\n", name, i + 1, what, want, got);
        failures++;
    }
}

static void feed(run *r, const char *name, const step *st)
{
    ts_segment *s = &r->seg[r->n];
    ts_record *rec = &r->rec[r->n];
    if (!r->first_sender)
        r->first_sender = st->who;
    memset(s, 0, sizeof *s);
    r->now_ns += (st->gap_ms ? st->gap_ms : 1) * 1000000LL;
    s->frame = (uint32_t)r->n + 1;
    s->ts_ns = r->now_ns;
    s->from_a = st->who == r->first_sender;
    s->flags = parse_flags(st->flags);
    s->tfo = strchr(st->flags, 'T') != NULL; /* 'T': the SYN carries a Fast Open option */
    s->seq = st->seq;
    s->ack = st->ack;
    s->len = st->len;
    s->win = 65535;
    s->sport = st->who == 'C' ? r->cport : r->sport;
    s->dport = st->who == 'C' ? r->sport : r->cport;
    ts_stream_process(&r->stream, s, rec);
    check_str(name, r->n, "stage", st->stage, ts_stage_label(rec->stage));
    check_str(name, r->n, "client before", st->cb, ts_state_name(ts_rec_client_before(rec)));
    check_str(name, r->n, "client after", st->ca, ts_state_name(ts_rec_client_after(rec)));
    check_str(name, r->n, "server before", st->sb, ts_state_name(ts_rec_server_before(rec)));
    check_str(name, r->n, "server after", st->sa, ts_state_name(ts_rec_server_after(rec)));
    if (st->anomalies != ANY && rec->anomalies != st->anomalies) {
        printf("FAIL %s step %d: anomalies want 0x%x got 0x%x\n", name, r->n + 1,
               (unsigned)st->anomalies, (unsigned)rec->anomalies);
        failures++;
    }
    r->n++;
}

#define RUN(r, name, steps)                                                  \
    do {                                                                     \
        for (size_t i_ = 0; i_ < sizeof(steps) / sizeof(steps[0]); i_++)     \
            feed((r), (name), &(steps)[i_]);                                 \
    } while (0)

static void expect(int cond, const char *name, const char *what)
{
    if (!cond) {
        printf("FAIL %s: %s\n", name, what);
        failures++;
    }
}

#define B(a) TS_BIT(TS_AN_##a)

/* The textbook handshake, shared by most scenarios: ISNs 1000 and 5000. */
#define HANDSHAKE                                                                                 \
    /* CLOSED -> SYN-SENT on active OPEN; LISTEN -> SYN-RECEIVED on rcv SYN (3.10.7.2) */         \
    { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 }, \
    /* ack 1001 = 1000 + 1 acknowledges the SYN: SYN-SENT -> ESTABLISHED (3.10.7.3) */           \
    { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 }, \
    /* ack 5001 acknowledges the server's SYN: SYN-RECEIVED -> ESTABLISHED (3.10.7.4) */         \
    { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 }

static void test_client_closes_first(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "PA", 1001, 5001, 100, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'S', "A", 5001, 1101, 0, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        /* CLOSE: ESTABLISHED -> FIN-WAIT-1; receiver ESTABLISHED -> CLOSE-WAIT */
        { 'C', "FA", 1101, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        /* ack 1102 = FIN seq 1101 + 1: FIN-WAIT-1 -> FIN-WAIT-2 */
        { 'S', "A", 5001, 1102, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        /* CLOSE in CLOSE-WAIT: -> LAST-ACK; FIN-WAIT-2 rcv FIN -> TIME-WAIT */
        { 'S', "FA", 5001, 1102, 0, "Teardown 3/4: FIN", "FIN-WAIT-2", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK", 0, 0 },
        /* ack 5002 = 5001 + 1: LAST-ACK -> CLOSED */
        { 'C', "A", 1102, 5002, 0, "Teardown 4/4: final ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "client_closes_first", steps);
    expect(r.rec[6].related_frame == 6, "client_closes_first", "ACK of FIN links the FIN");
    expect(r.rec[8].related_frame == 8, "client_closes_first", "final ACK links the second FIN");
    expect(r.rec[1].related_frame == 1, "client_closes_first", "SYN-ACK links the SYN");
    expect(r.rec[2].related_frame == 2, "client_closes_first", "ACK links the SYN-ACK");
    expect((r.rec[8].rflags & TS_REC_TIME_VALID) && r.rec[8].delta_us == 3000,
           "client_closes_first", "teardown time = first FIN to final ACK = 3 ms");
    expect(r.rec[1].delta_us == 1000, "client_closes_first", "SYN to SYN-ACK = 1 ms");
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_FOUR_WAY, "client_closes_first", "outcome four-way");
    expect(r.rec[0].conn->closer == TS_CLIENT, "client_closes_first", "client is the initiator");
    expect(ts_conn_final_anomalies(r.rec[0].conn, r.now_ns + 10000000000LL, 2000000000LL) == 0,
           "client_closes_first", "no anomaly at all on a clean connection");
    for (int i = 0; i < r.n; i++)
        expect(ts_deferred_anomalies(&r.rec[i], r.now_ns, 2000000000LL, i == r.n - 1) == 0,
               "client_closes_first", "no deferred anomaly");
}

static void test_server_closes_first(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'S', "FA", 5001, 1001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "CLOSE-WAIT", "ESTABLISHED", "FIN-WAIT-1", 0, 0 },
        { 'C', "A", 1001, 5002, 0, "Teardown 2/4: ACK of FIN", "CLOSE-WAIT", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-2", 0, 0 },
        { 'C', "FA", 1001, 5002, 0, "Teardown 3/4: FIN", "CLOSE-WAIT", "LAST-ACK", "FIN-WAIT-2", "TIME-WAIT", 0, 0 },
        { 'S', "A", 5002, 1002, 0, "Teardown 4/4: final ACK", "LAST-ACK", "CLOSED", "TIME-WAIT", "TIME-WAIT", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "server_closes_first", steps);
    expect(r.rec[0].conn->closer == TS_SERVER, "server_closes_first", "server is the initiator");
}

static void test_fin_ack_close(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        /* FIN + ACK of the first FIN: FIN-WAIT-1 rcv FIN with our FIN acked -> TIME-WAIT
         * directly (3.10.7.4 eighth step, FIN-WAIT-1 case) */
        { 'S', "FA", 5001, 1002, 0, "Teardown 2+3/4: FIN-ACK", "FIN-WAIT-1", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK", 0, 0 },
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "fin_ack_close", steps);
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_THREE_WAY, "fin_ack_close", "outcome three-way");
}

static void test_refused(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        /* 3.10.7.1: no TCB, so the server was CLOSED and answers <SEQ=0><ACK=1001><CTL=RST,ACK>;
         * SYN-SENT accepts a RST that acknowledges its SYN (3.10.7.3) and goes CLOSED */
        { 'S', "RA", 0, 1001, 0, "Reset: connection refused", "SYN-SENT", "CLOSED", "CLOSED", "CLOSED", B(CONNECTION_REFUSED), 0 },
    };
    run_init(&r);
    RUN(&r, "refused", steps);
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_REFUSED, "refused", "outcome refused");
    expect(r.rec[1].related_frame == 1, "refused", "RST links the SYN");
    {
        /* with hindsight no listener existed: the server stayed CLOSED (3.10.7.1) */
        ts_record v = ts_hindsight(&r.rec[0], 1);
        expect(ts_rec_server_before(&v) == TS_CLOSED && ts_rec_server_after(&v) == TS_CLOSED &&
               ts_rec_client_after(&v) == TS_SYN_SENT, "refused", "hindsight: server CLOSED on the SYN");
    }
    expect(ts_deferred_anomalies(&r.rec[0], r.now_ns + 10000000000LL, 2000000000LL, 0) == 0,
           "refused", "an answered SYN is not syn_unanswered");
}

static void test_refused_rst_without_ack_is_ignored(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        /* 3.10.7.3: in SYN-SENT a RST without an acceptable ACK is dropped */
        { 'S', "R", 0, 0, 0, "Reset: not accepted", "SYN-SENT", "SYN-SENT", NULL, NULL, 0, 0 },
    };
    run_init(&r);
    RUN(&r, "refused_rst_without_ack", steps);
}

static void test_abort(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "PA", 1001, 5001, 10, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        /* ABORT (SO_LINGER 0): <SEQ=SND.NXT><CTL=RST>; seq 1011 = rcv_nxt, accepted */
        { 'C', "RA", 1011, 5001, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "abort", steps);
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_RESET, "abort", "outcome reset");
}

static void test_simultaneous_open(void)
{
    run r;
    static const step steps[] = {
        /* one pass cannot know yet that the server also opens */
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        /* a plain SYN from the peer: it never received ours, it was opening too (CLOSED ->
         * SYN-SENT); each side then takes the other's SYN in SYN-SENT -> SYN-RECEIVED (3.10.7.3) */
        { 'S', "S", 5000, 0, 0, "Simultaneous open: SYN", "SYN-SENT", "SYN-RECEIVED", "CLOSED", "SYN-RECEIVED", 0, 0 },
        /* SYN-ACK acking 5001: the server's SYN is acknowledged: SYN-RECEIVED -> ESTABLISHED */
        { 'C', "SA", 1000, 5001, 0, "Simultaneous open: SYN-ACK", "SYN-RECEIVED", "SYN-RECEIVED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        /* the server's first SYN-ACK: one is formed on entering SYN-RECEIVED (3.10.7.3,
         * figure 8), so it left before step 3 arrived (crossing): its sender was still
         * SYN-RECEIVED, and takes step 3 after sending, folded into this frame as a
         * crossing FIN is: SYN-RECEIVED -> ESTABLISHED */
        { 'S', "SA", 5000, 1001, 0, "Simultaneous open: SYN-ACK", "SYN-RECEIVED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        /* Linux acknowledges the crossing SYN-ACK once more: still part of the opening */
        { 'C', "A", 1001, 5001, 0, "Simultaneous open: ACK", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'C', "PA", 1001, 5001, 10, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "simultaneous_open", steps);
    expect(ts_final_stage(&r.rec[0]) == TS_STAGE_SIMOPEN_SYN, "simultaneous_open",
           "with hindsight the first SYN is a simultaneous-open SYN");
    {
        /* with hindsight the server was CLOSED while the first SYN was in flight, matching
         * the "server before CLOSED" of its own SYN (step 2) */
        ts_record v = ts_hindsight(&r.rec[0], 1);
        expect(v.stage == TS_STAGE_SIMOPEN_SYN && ts_rec_server_before(&v) == TS_CLOSED &&
               ts_rec_server_after(&v) == TS_CLOSED && ts_rec_client_after(&v) == TS_SYN_SENT,
               "simultaneous_open", "hindsight states of the first SYN");
        v = ts_hindsight(&r.rec[1], 2);
        expect(v.states == r.rec[1].states && v.server_states == r.rec[1].server_states,
               "simultaneous_open", "hindsight leaves other records alone");
    }
    expect(r.rec[0].conn->established, "simultaneous_open", "established");
    {
        /* with hindsight step 3 was in flight to the server until its own SYN-ACK left */
        ts_record v = ts_hindsight(&r.rec[2], 3);
        expect(ts_rec_server_before(&v) == TS_SYN_RECEIVED && ts_rec_server_after(&v) == TS_SYN_RECEIVED &&
               ts_conn_in_flight(r.rec[0].conn, 3, TS_SERVER, NULL) == TS_FLIGHT_CROSSED,
               "simultaneous_open", "hindsight: the client's SYN-ACK crossed the server's");
    }
}

static void test_simultaneous_close(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        /* its ack 1001 does not cover the client's FIN: the server closed before the FIN
         * arrived (ESTABLISHED -> FIN-WAIT-1), then both get the other's FIN in FIN-WAIT-1
         * without their own acked -> CLOSING (3.10.7.4 eighth step) */
        { 'S', "FA", 5001, 1001, 0, "Simultaneous close: FIN", "FIN-WAIT-1", "CLOSING", "ESTABLISHED", "CLOSING", 0, 0 },
        /* CLOSING + ACK of our FIN -> TIME-WAIT */
        { 'C', "A", 1002, 5002, 0, "Simultaneous close: ACK", "CLOSING", "CLOSING", "CLOSING", "TIME-WAIT", 0, 0 },
        { 'S', "A", 5002, 1002, 0, "Simultaneous close: ACK", "CLOSING", "TIME-WAIT", "TIME-WAIT", "TIME-WAIT", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "simultaneous_close", steps);
    expect(ts_final_stage(&r.rec[3]) == TS_STAGE_SIMCLOSE_FIN, "simultaneous_close", "first FIN relabelled");
    {
        /* the server's FIN (step 5) left from ESTABLISHED: the client's FIN was still in flight */
        ts_record v = ts_hindsight(&r.rec[3], 4);
        expect(ts_rec_server_before(&v) == TS_ESTABLISHED && ts_rec_server_after(&v) == TS_ESTABLISHED &&
               ts_rec_client_after(&v) == TS_FIN_WAIT_1, "simultaneous_close", "hindsight states of the first FIN");
    }
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_SIMCLOSE, "simultaneous_close", "outcome");
    expect((r.rec[6].rflags & TS_REC_TIME_VALID) && r.rec[6].delta_us == 3000,
           "simultaneous_close", "teardown time on the last ACK");
}

static void test_half_close(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, "FIN-WAIT-1", NULL, "CLOSE-WAIT", 0, 0 },
        { 'S', "A", 5001, 1002, 0, "Teardown 2/4: ACK of FIN", NULL, "FIN-WAIT-2", NULL, "CLOSE-WAIT", 0, 0 },
        /* CLOSE-WAIT may still send (3.10.7.4: data in CLOSE-WAIT is normal) */
        { 'S', "PA", 5001, 1002, 500, "Half-close: data transfer", "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        { 'C', "A", 1002, 5501, 0, "Half-close: data transfer", "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        { 'S', "FA", 5501, 1002, 0, "Teardown 3/4: FIN", "FIN-WAIT-2", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK", 0, 0 },
        { 'C', "A", 1002, 5502, 0, "Teardown 4/4: final ACK", NULL, "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "half_close", steps);
    expect(ts_conn_final_anomalies(r.rec[0].conn, r.now_ns + 10000000000LL, 2000000000LL) == 0,
           "half_close", "a normal half-close raises nothing");
}

static void test_fin_with_data(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        /* FIN after 100 bytes: the FIN's own number is 1101, so its ACK is 1102 */
        { 'C', "FPA", 1001, 5001, 100, "Teardown 1/4: FIN", NULL, "FIN-WAIT-1", NULL, "CLOSE-WAIT", 0, 0 },
        { 'S', "A", 5001, 1102, 0, "Teardown 2/4: ACK of FIN", NULL, "FIN-WAIT-2", NULL, NULL, 0, 0 },
    };
    run_init(&r);
    RUN(&r, "fin_with_data", steps);
}

/* spec_74 (fin_data_lost): a FIN that carries data and is sent again.  The
 * FIN occupies the sequence number after the data (RFC 9293 3.4), so the
 * FIN is the same one when seq + len is: the server's FIN with 200 bytes
 * (seq 5001, FIN at 5201) resent whole after the RTO is a retransmission
 * (3.8.1), "Teardown 1/4: FIN" again with the flag (the README's rule for a
 * retransmitted FIN, with or without data), and so is the FIN resent alone
 * at 5201.  The receiver, CLOSE-WAIT after the first copy, answers it and
 * stays (3.10.7.4 eighth check: CLOSE-WAIT remains).  In LAST-ACK, the
 * passive closer's FIN with data resent after the captured final ACK
 * proves that ACK lost (only LAST-ACK resends it, 3.8.1): server LAST-ACK
 * again, as spec_11_final_ack_lost without data -- not a packet after
 * close.  Must not: the first FIN, whose data repeat the seq and length of
 * the data segment before it, is new (3.10.4 CLOSE), no retransmission. */
static void test_fin_data_retransmission(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "PA", 1001, 5001, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "A", 5001, 1101, 0, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 5001, 1101, 200, "Teardown 1/4: FIN", "ESTABLISHED", "CLOSE-WAIT", "ESTABLISHED", "FIN-WAIT-1", 0, 0 },
        { 'S', "FA", 5001, 1101, 200, "Teardown 1/4: FIN", "CLOSE-WAIT", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-1", 0, 210 },
        { 'S', "FA", 5201, 1101, 0, "Teardown 1/4: FIN", "CLOSE-WAIT", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-1", 0, 400 },
        { 'C', "A", 1101, 5202, 0, "Teardown 2/4: ACK of FIN", NULL, "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-2", 0, 0 },
    };
    static const step last_ack[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "A", 5001, 1002, 0, "Teardown 2/4: ACK of FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 5001, 1002, 200, "Teardown 3/4: FIN", NULL, "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK", 0, 0 },
        { 'C', "A", 1002, 5202, 0, "Teardown 4/4: final ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
        { 'S', "FA", 5001, 1002, 200, "Teardown 3/4: FIN", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", 0, 200 },
        { 'C', "A", 1002, 5202, 0, "Teardown 4/4: final ACK", NULL, "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
    };
    static const step first_fin[] = {
        HANDSHAKE,
        { 'S', "PA", 5001, 1001, 200, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 5001, 1001, 200, "Teardown 1/4: FIN", "ESTABLISHED", "CLOSE-WAIT", "ESTABLISHED", "FIN-WAIT-1", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "fin_data_retransmission", steps);
    expect(!(r.rec[5].rflags & TS_REC_RETRANS), "fin_data_retransmission", "the first FIN is new");
    expect((r.rec[6].rflags & TS_REC_RETRANS) && r.rec[6].related_frame == 6, "fin_data_retransmission",
           "the FIN resent with its data is a retransmission of frame 6");
    expect(r.rec[7].rflags & TS_REC_RETRANS, "fin_data_retransmission", "the FIN resent alone too");
    run_init(&r);
    RUN(&r, "fin_data_retransmission_last_ack", last_ack);
    expect((r.rec[7].rflags & TS_REC_RETRANS) &&
           ts_conn_in_flight(r.rec[0].conn, 7, TS_SERVER, NULL) == TS_FLIGHT_ACK_LOST,
           "fin_data_retransmission_last_ack", "the resent FIN with data proves the final ACK lost");
    run_init(&r);
    RUN(&r, "fin_data_first_fin", first_fin);
    expect(!(r.rec[4].rflags & TS_REC_RETRANS), "fin_data_first_fin",
           "a first FIN repeating the data's seq and length is new");
}

/* Issue 11 defect 11: a SYN-ACK sent again after the captured third ACK
 * proves that ACK never reached the server (only SYN-RECEIVED retransmits
 * a SYN-ACK, RFC 9293 3.8.1); the client's answer to it is the ACK that
 * completes the server's handshake (3.10.7.4 fifth check). */
static void test_lost_third_ack(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 1000 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, NULL, "SYN-RECEIVED", "SYN-RECEIVED", 0, 2000 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", NULL, NULL, "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'C', "PA", 1001, 5001, 10, "Data transfer", NULL, NULL, "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    ts_record v;
    run_init(&r);
    RUN(&r, "lost_third_ack", steps);
    /* both lost ACKs and the SYN-ACK between them: the server in SYN-RECEIVED */
    for (int i = 2; i < 6; i++) {
        v = ts_hindsight(&r.rec[i], (uint32_t)i + 1);
        expect(ts_rec_server_before(&v) == TS_SYN_RECEIVED && ts_rec_server_after(&v) == TS_SYN_RECEIVED,
               "lost_third_ack", "hindsight: the server stayed SYN-RECEIVED until the last ACK");
    }
    v = ts_hindsight(&r.rec[6], 7);
    expect(ts_rec_server_after(&v) == TS_ESTABLISHED, "lost_third_ack",
           "hindsight: the ACK that arrived establishes the server");
    expect(ts_conn_final_state(r.rec[0].conn, TS_SERVER) == TS_ESTABLISHED, "lost_third_ack",
           "final state ESTABLISHED");
}

/* Must not fire: once the server has sent data after the third ACK it is
 * ESTABLISHED, and a SYN-ACK repeated later (a duplicate on the path)
 * proves nothing about that ACK. */
static void test_synack_repeat_after_data(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", NULL, NULL, "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'S', "PA", 5001, 1001, 10, "Data transfer", NULL, NULL, "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'S', "SA", 5000, 1001, 0, NULL, NULL, NULL, "ESTABLISHED", "ESTABLISHED", ANY, 0 },
    };
    ts_record v;
    run_init(&r);
    RUN(&r, "synack_repeat_after_data", steps);
    v = ts_hindsight(&r.rec[2], 3);
    expect(ts_rec_server_after(&v) == TS_ESTABLISHED, "synack_repeat_after_data",
           "hindsight: the third ACK arrived");
}

/* Issue 11 defect 9: cookie-less Fast Open.  Data on a SYN is legal TCP
 * (RFC 9293 3.10.7.2: text on a SYN is queued), so no data_before_handshake;
 * the SYN-ACK acknowledging ISN + 1 + 100 shows the server took it (RFC 7413
 * 4.2.2), so the server's answer before the third ACK is Fast Open too: the
 * server stays SYN-RECEIVED until the client's ACK, which is Handshake 3/3. */
static void test_fast_open_without_cookie(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 100, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'S', "SA", 5000, 1101, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'S', "PA", 5001, 1101, 50, "Data transfer", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1101, 5051, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
    };
    /* must not: the SYN-ACK acknowledges only the SYN (data not taken), so
     * server data before the third ACK still means that ACK was not seen */
    static const step not_taken[] = {
        { 'C', "S", 1000, 0, 100, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "PA", 5001, 1001, 50, NULL, NULL, NULL, "ESTABLISHED", "ESTABLISHED", B(HANDSHAKE_ACK_MISSING), 0 },
    };
    run_init(&r);
    RUN(&r, "fast_open_without_cookie", steps);
    expect(r.rec[0].conn->tfo, "fast_open_without_cookie", "the SYN-ACK proves Fast Open");
    run_init(&r);
    RUN(&r, "fast_open_data_not_taken", not_taken);
    expect(!r.rec[0].conn->tfo, "fast_open_data_not_taken", "no Fast Open");
}

static void test_retransmissions(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", 0, 1000 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, "ESTABLISHED", NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, NULL, NULL, NULL, 0, 1000 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", NULL, NULL, NULL, "ESTABLISHED", 0, 0 },
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", 0, 200 },
        { 'S', "FA", 5001, 1002, 0, "Teardown 2+3/4: FIN-ACK", NULL, "TIME-WAIT", NULL, "LAST-ACK", 0, 0 },
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", NULL, NULL, NULL, "CLOSED", 0, 0 },
        /* the final ACK was lost beyond the capture point: LAST-ACK retransmits its FIN
         * (only an endpoint whose FIN is unacknowledged does, RFC 9293 3.8.1), so the
         * server is LAST-ACK again; TIME-WAIT acknowledges it again (3.10.7.4 eighth
         * check), and that ACK is the one that closes the server (fifth check, LAST-ACK) */
        { 'S', "FA", 5001, 1002, 0, "Teardown 2+3/4: FIN-ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", 0, 200 },
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
    };
    /* the last ACK repeats the lost one on the wire but is a step: the server's move */
    static const int retrans[] = { 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0 };
    ts_record v;
    run_init(&r);
    RUN(&r, "retransmissions", steps);
    for (int i = 0; i < r.n; i++)
        expect(((r.rec[i].rflags & TS_REC_RETRANS) != 0) == retrans[i], "retransmissions",
               "retransmission flag on exactly the repeated segments");
    v = ts_hindsight(&r.rec[8], 9);
    expect(ts_rec_server_before(&v) == TS_LAST_ACK && ts_rec_server_after(&v) == TS_LAST_ACK,
           "retransmissions", "hindsight: the lost final ACK left the server LAST-ACK");
    v = ts_hindsight(&r.rec[4], 5);
    expect(ts_rec_server_after(&v) == TS_ESTABLISHED,
           "retransmissions", "a SYN-ACK repeated before the third ACK proves nothing lost");
    expect(r.rec[2].related_frame == 2, "retransmissions", "SYN-ACK links the SYN it answers (the retransmission)");
    expect(ts_deferred_anomalies(&r.rec[0], r.now_ns + 10000000000LL, 2000000000LL, 0) == 0,
           "retransmissions", "a retransmitted SYN that is answered is not syn_unanswered");
    expect(ts_conn_final_anomalies(r.rec[0].conn, r.now_ns + 10000000000LL, 2000000000LL) == 0,
           "retransmissions", "no anomaly");
}

static void test_rst_windows(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        /* blind reset: seq far outside [rcv_nxt, rcv_nxt + window): dropped (RFC 5961 3.2) */
        { 'S', "R", 900000, 0, 0, "Reset: not accepted", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", B(RST_OUT_OF_WINDOW), 0 },
        { 'C', "PA", 1001, 5001, 10, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        /* in window but not exactly rcv_nxt (5001): challenge ACK (RFC 5961 3.2) */
        { 'S', "R", 5101, 0, 0, "Reset: not accepted", NULL, "ESTABLISHED", NULL, "ESTABLISHED", 0, 0 },
        { 'C', "A", 1011, 5001, 0, "Challenge ACK", NULL, "ESTABLISHED", NULL, "ESTABLISHED", B(CHALLENGE_ACK), 0 },
        /* exact: accepted */
        { 'S', "R", 5001, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "rst_windows", steps);
}

static void test_window_scale(void)
{
    run r;
    ts_segment s;
    ts_record rec;
    /* both SYNs offer shift 7 (RFC 7323): the server's window field 512 means 65536
     * bytes, so a RST 60000 above rcv_nxt is inside the window (challenge ACK due),
     * not out of it as the raw 512 would suggest */
    static const struct { int client; uint8_t flags; uint32_t seq, ack, win; } segs[] = {
        { 1, TS_SYN, 1000, 0, 64240 },
        { 0, TS_SYN | TS_ACK, 5000, 1001, 65160 },
        { 1, TS_ACK, 1001, 5001, 502 },
        { 0, TS_ACK, 5001, 1001, 512 },
        { 1, TS_RST, 1001 + 60000, 0, 0 },
    };
    run_init(&r);
    for (unsigned i = 0; i < sizeof segs / sizeof segs[0]; i++) {
        memset(&s, 0, sizeof s);
        s.frame = i + 1; s.ts_ns = (int64_t)(i + 1) * 1000000; s.from_a = (uint8_t)segs[i].client;
        s.flags = segs[i].flags; s.seq = segs[i].seq; s.ack = segs[i].ack; s.win = segs[i].win;
        s.wscale = (segs[i].flags & TS_SYN) ? 7 : -1;
        s.sport = segs[i].client ? 40000 : 80; s.dport = segs[i].client ? 80 : 40000;
        ts_stream_process(&r.stream, &s, &rec);
    }
    expect(rec.stage == TS_STAGE_RST_IGNORED && rec.anomalies == 0, "window_scale",
           "in the scaled window: challenge, not out of window");
    expect(rec.conn->challenge_due == TS_SERVER, "window_scale", "the server owes a challenge ACK");
}

static void view_is(const run *r, const char *name, int i, const char *stage,
                    const char *cb, const char *ca, const char *sb, const char *sa);

static void test_syn_on_established_and_half_open(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        /* a SYN with a new ISN (77000) on the live connection: the client may have rebooted,
         * or the SYN may be injected; RFC 5961 4.2: the receiver changes nothing */
        { 'C', "S", 77000, 0, 0, "Handshake 1/3: SYN", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        /* RFC 5961 4.2: the server answers with an ACK of its current rcv_nxt (1001) */
        { 'S', "A", 5001, 1001, 0, "Challenge ACK", NULL, NULL, "ESTABLISHED", "ESTABLISHED", B(CHALLENGE_ACK), 0 },
        /* a rebooted client lost the old TCB; its SYN came from a new one in SYN-SENT
         * (3.10.1 OPEN), which answers the unacceptable ACK with <SEQ=SEG.ACK><CTL=RST>
         * and keeps its TCB (3.10.7.3; RFC 9293 3.5.2 figure 11).  That RST is exactly
         * rcv_nxt, so the server resets: the half-open connection is proven.  (Until
         * this RST the SYN may have been injected, RFC 5961 4: one pass shows the
         * client ESTABLISHED on the SYN and the challenge ACK, hindsight SYN-SENT.) */
        { 'C', "R", 1001, 0, 0, "Reset: abort", "SYN-SENT", "SYN-SENT", "ESTABLISHED", "CLOSED", B(HALF_OPEN), 0 },
        /* its SYN retransmission then opens the new connection, from that SYN-SENT TCB */
        { 'C', "S", 77000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 1000 },
    };
    run_init(&r);
    RUN(&r, "syn_on_established", steps);
    expect(ts_conn_in_flight(r.rec[0].conn, 4, TS_CLIENT, NULL) == TS_FLIGHT_NEW_TCB, "syn_on_established",
           "the RST proves the SYN came from a new SYN-SENT TCB");
    /* review 6 finding 3: figure 5 has no ESTABLISHED -> SYN-SENT edge.  The
     * SYN came from a new TCB made by OPEN from CLOSED (3.10.1): hindsight
     * shows CLOSED -> SYN-SENT.  (Must not: a reopened TIME-WAIT keeps its
     * real TIME-WAIT -> SYN-RECEIVED edge, syn_to_time_wait_server_side; an
     * injected SYN shows no new TCB at all, injected_syn.) */
    view_is(&r, "syn_on_established", 3, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "ESTABLISHED",
            "ESTABLISHED");
    view_is(&r, "syn_on_established", 4, "Challenge ACK", "SYN-SENT", "SYN-SENT", "ESTABLISHED", "ESTABLISHED");
    expect(r.rec[6].conn != r.rec[0].conn, "syn_on_established", "the SYN sent again opens the next connection");
    expect(ts_conn_final_state(r.rec[0].conn, TS_CLIENT) == TS_CLOSED, "syn_on_established",
           "the new TCB left the old connection with its SYN");
}

/* Must not: a SYN injected on a live connection (RFC 5961 4) and a RST that
 * is not at the challenge ACK's ack: the client goes on from its old TCB,
 * nothing shows a new one, and it is never shown SYN-SENT. */
static void test_injected_syn_keeps_sender(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "S", 77000, 0, 0, "Handshake 1/3: SYN", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'S', "A", 5001, 1001, 0, "Challenge ACK", NULL, NULL, "ESTABLISHED", "ESTABLISHED", B(CHALLENGE_ACK), 0 },
        /* in the window, not at RCV.NXT: not accepted (RFC 5961 3.2) */
        { 'C', "R", 1501, 0, 0, "Reset: not accepted", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "injected_syn", steps);
    expect(ts_conn_in_flight(r.rec[0].conn, 4, TS_CLIENT, NULL) == TS_FLIGHT_NONE, "injected_syn",
           "no new TCB");
    view_is(&r, "injected_syn", 3, "Handshake 1/3: SYN", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED",
            "ESTABLISHED");
}

static void test_half_open_rst_reply(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        /* the server lost the connection unseen; the client's data reaches a host with no
         * TCB, which answers <SEQ=SEG.ACK><CTL=RST> without ACK (3.10.7.1) */
        { 'C', "PA", 1001, 5001, 10, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        /* issue 11 defect 5: that form proves the server had no TCB: it was CLOSED
         * before the RST (and, with hindsight, when the data came) */
        { 'S', "R", 5001, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "CLOSED", "CLOSED", B(HALF_OPEN), 0 },
    };
    ts_record v;
    run_init(&r);
    RUN(&r, "half_open_rst_reply", steps);
    v = ts_hindsight(&r.rec[3], 4);
    expect(ts_rec_server_before(&v) == TS_CLOSED && ts_rec_server_after(&v) == TS_CLOSED,
           "half_open_rst_reply", "hindsight: the data met a CLOSED server");
    v = ts_hindsight(&r.rec[2], 3);
    expect(ts_rec_server_after(&v) == TS_ESTABLISHED, "half_open_rst_reply",
           "hindsight: the handshake ACK still met the live server");
}

static void test_packets_after_reset(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'S', "RA", 5001, 1001, 0, "Reset: abort", NULL, "CLOSED", NULL, "CLOSED", 0, 0 },
        /* the client never got the RST: it keeps sending from its TCB, which
         * proves it (a CLOSED endpoint sends only RSTs, 3.10.7.1): it is
         * ESTABLISHED from the proof on (RST_LOST) */
        { 'C', "PA", 1001, 5001, 10, "After reset", "ESTABLISHED", "ESTABLISHED", "CLOSED", "CLOSED",
          B(PACKETS_AFTER_RESET) | B(HALF_OPEN), 0 },
        /* the server's no-TCB answer <SEQ=SEG.ACK><CTL=RST> at the client's
         * RCV.NXT: accepted, the client's abort; half-open was said on the proof */
        { 'S', "R", 5001, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "CLOSED", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "packets_after_reset", steps);
}

static void test_after_close_and_time_wait(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 5001, 1002, 0, "Teardown 2+3/4: FIN-ACK", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", NULL, "TIME-WAIT", NULL, "CLOSED", 0, 0 },
        { 'C', "PA", 1002, 5002, 10, "After close", "TIME-WAIT", "TIME-WAIT", "CLOSED", "CLOSED", B(PACKETS_AFTER_CLOSE), 3000 },
        /* a new SYN on the same four-tuple while the client is in TIME-WAIT */
        { 'C', "S", 90000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", B(PORT_REUSE_TIME_WAIT), 0 },
    };
    run_init(&r);
    RUN(&r, "after_close", steps);
    expect(r.rec[7].conn != r.rec[6].conn && r.rec[7].conn->index == 1, "after_close",
           "the new SYN starts connection 1 of the stream");
}

static void test_reuse_after_time_wait_expired(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 5001, 1002, 0, "Teardown 2+3/4: FIN-ACK", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", NULL, NULL, NULL, NULL, 0, 0 },
        /* 2 MSL = 240 s later TIME-WAIT is over: reuse is normal */
        { 'C', "S", 90000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 241000 },
    };
    run_init(&r);
    RUN(&r, "reuse_after_2msl", steps);
}

static void test_duplicates(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 5001, 1002, 0, "Teardown 2+3/4: FIN-ACK", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", NULL, "TIME-WAIT", NULL, "CLOSED", 0, 0 },
        /* the same final ACK captured twice: a copy, not a stray packet after close */
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", "TIME-WAIT", "TIME-WAIT", "CLOSED", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "duplicates", steps);
    expect((r.rec[3].rflags & TS_REC_RETRANS) && (r.rec[7].rflags & TS_REC_RETRANS),
           "duplicates", "copies are marked as repeats");
    expect(r.rec[7].related_frame == 7, "duplicates", "the copy links its original");
}

static void test_invalid_probe_is_not_open(void)
{
    run r;
    static const step steps[] = {
        { 'C', "FPU", 1000, 0, 0, "Invalid flags", "CLOSED", "CLOSED", "LISTEN", "LISTEN", B(INVALID_FLAGS), 0 },
    };
    run_init(&r);
    RUN(&r, "invalid_probe", steps);
    /* an Xmas probe opens nothing: no open_at_capture_end, no inferred roles */
    expect(ts_deferred_anomalies(&r.rec[0], r.now_ns + 10000000000LL, 2000000000LL, 1) == 0,
           "invalid_probe", "nothing open at capture end");
    expect(!(r.rec[0].rflags & TS_REC_INFERRED), "invalid_probe", "the prober is the client");
    /* nothing was opened, so nothing was closed: not "four-way close" */
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_NEVER_OPENED, "invalid_probe",
           "outcome never opened");
}

static void test_mid_stream(void)
{
    run r;
    static const step steps[] = {
        /* first packet from the high port: it is guessed to be the client */
        { 'C', "PA", 7001, 9001, 100, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", B(MID_STREAM_START), 0 },
        { 'S', "A", 9001, 7101, 0, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 9001, 7101, 0, "Teardown 1/4: FIN", NULL, "CLOSE-WAIT", NULL, "FIN-WAIT-1", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "mid_stream", steps);
    expect(r.rec[0].rflags & TS_REC_INFERRED, "mid_stream", "roles inferred");
    expect(r.rec[0].rflags & TS_REC_SENDER_CLIENT, "mid_stream", "high port is client");
}

static void test_synack_first(void)
{
    run r;
    static const step steps[] = {
        /* the SYN was not captured: the SYN-ACK's receiver is the client */
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", B(MID_STREAM_START), 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", NULL, "ESTABLISHED", NULL, "ESTABLISHED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "synack_first", steps);
    expect(r.rec[0].rflags & TS_REC_INFERRED, "synack_first", "roles inferred");
    expect(!(r.rec[0].rflags & TS_REC_SENDER_CLIENT), "synack_first", "SYN-ACK sent by server");
}

static void test_invalid_flags(void)
{
    run r;
    static const step steps[] = {
        { 'C', "SF", 1000, 0, 0, "Invalid flags", "CLOSED", "CLOSED", "LISTEN", "LISTEN", B(INVALID_FLAGS), 0 },
    };
    static const step null_scan[] = {
        HANDSHAKE,
        { 'C', "", 1001, 0, 0, "Invalid flags", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", B(INVALID_FLAGS), 0 },
        { 'C', "F", 1001, 0, 0, "Invalid flags", NULL, "ESTABLISHED", NULL, "ESTABLISHED", B(INVALID_FLAGS), 0 },
        { 'C', "FPU", 1001, 0, 0, "Invalid flags", NULL, NULL, NULL, NULL, B(INVALID_FLAGS), 0 },
        { 'C', "SR", 1001, 0, 0, "Invalid flags", NULL, NULL, NULL, NULL, B(INVALID_FLAGS), 0 },
    };
    run_init(&r);
    RUN(&r, "invalid_flags", steps);
    /* a SYN+FIN is not a valid SYN (RFC 9293 3.10.7.2 drops it): never opened */
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_NEVER_OPENED, "invalid_flags",
           "outcome never opened");
    run_init(&r);
    RUN(&r, "invalid_flags_established", null_scan);
}

static void test_wrong_acks(void)
{
    run r;
    static const step synack_wrong[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        /* ack 1005 != 1000 + 1: unacceptable, SYN-SENT stays and answers RST (3.10.7.3) */
        { 'S', "SA", 5000, 1005, 0, NULL, "SYN-SENT", "SYN-SENT", NULL, NULL, B(SYNACK_WRONG_ACK), 0 },
        /* <SEQ=1005><CTL=RST>: the server expects 1001; 1005 is in its window but not
         * exact, so RFC 9293 3.10.7.4 (RFC 5961 3.2) has it send a challenge ACK, not reset */
        { 'C', "R", 1005, 0, 0, "Reset: not accepted", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        /* the client's SYN retransmission: same ISN, same connection */
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", 0, 1000 },
        /* a RST of the client's own (not answering a SYN-ACK) is an abort: SYN-SENT ->
         * CLOSED; at exactly rcv_nxt 1001 the server accepts it and, having come from a
         * passive open, returns to LISTEN (3.10.7.4) */
        { 'C', "R", 1001, 0, 0, "Reset: abort", "SYN-SENT", "CLOSED", "SYN-RECEIVED", "LISTEN", 0, 0 },
    };
    static const step hs_ack_wrong[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, NULL, NULL, NULL, 0, 0 },
        /* ack 5007 != 5000 + 1: SYN-RECEIVED stays and must answer RST (3.10.7.4) */
        { 'C', "A", 1001, 5007, 0, "Handshake 3/3: ACK", NULL, NULL, "SYN-RECEIVED", "SYN-RECEIVED", B(HANDSHAKE_ACK_WRONG), 0 },
    };
    static const step fin_wrong[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        /* ack 1004 is beyond FIN + 1 = 1002: acknowledges bytes never sent, so it is not
         * acceptable (3.10.7.4: SEG.ACK > SND.NXT) and FIN-WAIT-1 stays */
        { 'S', "A", 5001, 1004, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-1", NULL, NULL, B(FIN_WRONG_ACK), 0 },
    };
    run_init(&r);
    RUN(&r, "synack_wrong_ack", synack_wrong);
    run_init(&r);
    RUN(&r, "handshake_ack_wrong", hs_ack_wrong);
    run_init(&r);
    RUN(&r, "fin_wrong_ack", fin_wrong);
}

static void test_handshake_ack_missing(void)
{
    run r;
    static const step missing[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        /* 100 bytes (1001..1100) and the third ACK were never seen: the server took that
         * unseen ACK first, so this is data on an established connection */
        { 'C', "PA", 1101, 5001, 50, "Data transfer", NULL, "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", B(HANDSHAKE_ACK_MISSING), 0 },
    };
    static const step with_data[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        /* the third segment may carry data: normal */
        { 'C', "PA", 1001, 5001, 50, "Handshake 3/3: ACK", NULL, "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "handshake_ack_missing", missing);
    run_init(&r);
    RUN(&r, "handshake_ack_with_data", with_data);
}

static void test_data_checks(void)
{
    run r;
    static const step after_fin[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "A", 5001, 1002, 0, "Teardown 2/4: ACK of FIN", NULL, NULL, NULL, NULL, 0, 0 },
        /* seq 1002 is beyond the FIN (1001): a FIN ends the stream */
        { 'C', "PA", 1002, 5001, 10, NULL, NULL, NULL, NULL, NULL, B(DATA_AFTER_FIN), 0 },
    };
    static const step before_hs[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "PA", 1001, 0, 20, NULL, "SYN-SENT", "SYN-SENT", NULL, NULL, B(DATA_BEFORE_HANDSHAKE), 0 },
    };
    run_init(&r);
    RUN(&r, "data_after_fin", after_fin);
    run_init(&r);
    RUN(&r, "data_before_handshake", before_hs);
}

static void test_tfo(void)
{
    run r;
    ts_segment s;
    ts_record rec;
    run_init(&r);
    memset(&s, 0, sizeof s);
    s.frame = 1; s.ts_ns = 1; s.from_a = 1; s.flags = TS_SYN; s.seq = 1000; s.len = 30; s.tfo = 1;
    s.sport = 40000; s.dport = 80; s.win = 65535;
    ts_stream_process(&r.stream, &s, &rec);
    expect(rec.stage == TS_STAGE_SYN && rec.anomalies == 0, "tfo", "SYN with Fast Open data is normal");
    s.frame = 2; s.from_a = 0; s.flags = TS_SYN | TS_ACK; s.seq = 5000; s.ack = 1031; s.len = 0; s.tfo = 0;
    ts_stream_process(&r.stream, &s, &rec);
    expect(rec.stage == TS_STAGE_SYNACK && rec.anomalies == 0, "tfo", "SYN-ACK acking SYN + data");
    s.frame = 3; s.flags = TS_ACK | TS_PSH; s.seq = 5001; s.ack = 1031; s.len = 100;
    ts_stream_process(&r.stream, &s, &rec);
    expect(rec.anomalies == 0, "tfo", "server may answer Fast Open data before the third ACK");
}

static void test_deferred(void)
{
    run r;
    const int64_t grace = 2000000000LL;
    static const step syn_only[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 1000 },
    };
    static const step synack_only[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
    };
    static const step final_missing[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "A", 5001, 1002, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 5001, 1002, 0, "Teardown 3/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 5001, 1002, 0, "Teardown 3/4: FIN", NULL, NULL, NULL, NULL, 0, 400 },
    };
    static const step fin_unacked[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
    };
    ts_anomaly_set a;

    run_init(&r);
    RUN(&r, "syn_unanswered", syn_only);
    /* one ms after the retransmission: the answer may still come */
    a = ts_deferred_anomalies(&r.rec[0], r.now_ns + 1000000, grace, 0);
    expect(a == B(OPEN_AT_CAPTURE_END), "syn_unanswered", "young SYN at capture end");
    a = ts_deferred_anomalies(&r.rec[0], r.now_ns + 3 * grace, grace, 0);
    expect(a == B(SYN_UNANSWERED), "syn_unanswered", "old SYN never answered");
    a = ts_deferred_anomalies(&r.rec[1], r.now_ns + 3 * grace, grace, 1);
    expect(a == 0, "syn_unanswered", "the retransmission carries no second verdict");
    a = ts_conn_final_anomalies(r.rec[0].conn, r.now_ns + 3 * grace, grace);
    expect(a == B(SYN_UNANSWERED), "syn_unanswered", "connection verdict");

    run_init(&r);
    RUN(&r, "synack_unanswered", synack_only);
    a = ts_deferred_anomalies(&r.rec[1], r.now_ns + 3 * grace, grace, 1);
    expect(a == B(SYNACK_UNANSWERED), "synack_unanswered", "SYN-ACK never acknowledged");
    a = ts_deferred_anomalies(&r.rec[0], r.now_ns + 3 * grace, grace, 0);
    expect(a == 0, "synack_unanswered", "the SYN was answered");

    run_init(&r);
    RUN(&r, "missing_final_ack", final_missing);
    a = ts_deferred_anomalies(&r.rec[5], r.now_ns + 3 * grace, grace, 0);
    expect(a == B(MISSING_FINAL_ACK), "missing_final_ack", "second FIN never acknowledged");
    a = ts_deferred_anomalies(&r.rec[3], r.now_ns + 3 * grace, grace, 0);
    expect(a == 0, "missing_final_ack", "the first FIN was acknowledged");
    a = ts_deferred_anomalies(&r.rec[6], r.now_ns + 3 * grace, grace, 1);
    expect(a == 0, "missing_final_ack", "retransmitted FIN carries no second verdict, no open_at_end");

    run_init(&r);
    RUN(&r, "fin_unacked", fin_unacked);
    a = ts_deferred_anomalies(&r.rec[3], r.now_ns + 3 * grace, grace, 1);
    expect(a == B(FIN_UNACKED), "fin_unacked", "first FIN never acknowledged");
    a = ts_deferred_anomalies(&r.rec[3], r.now_ns + 1000, grace, 1);
    expect(a == B(OPEN_AT_CAPTURE_END), "fin_unacked", "FIN in the capture's last moment");

    run_init(&r);
    {
        static const step open_conn[] = { HANDSHAKE };
        RUN(&r, "open_at_end", open_conn);
    }
    a = ts_deferred_anomalies(&r.rec[2], r.now_ns + 3 * grace, grace, 1);
    expect(a == B(OPEN_AT_CAPTURE_END), "open_at_end", "established at capture end");
    a = ts_deferred_anomalies(&r.rec[1], r.now_ns + 3 * grace, grace, 0);
    expect(a == 0, "open_at_end", "only the last packet carries it");
}

static void test_sequence_wrap(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 0xFFFFFF00u, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 0xFFFFFFF0u, 0xFFFFFF01u, 0, "Handshake 2/3: SYN-ACK", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "A", 0xFFFFFF01u, 0xFFFFFFF1u, 0, "Handshake 3/3: ACK", NULL, NULL, NULL, "ESTABLISHED", 0, 0 },
        { 'S', "PA", 0xFFFFFFF1u, 0xFFFFFF01u, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        /* 0xFFFFFFF1 + 100 wraps to 0x55 */
        { 'C', "A", 0xFFFFFF01u, 0x55u, 0, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "FA", 0x55u, 0xFFFFFF01u, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "FA", 0xFFFFFF01u, 0x56u, 0, "Teardown 2+3/4: FIN-ACK", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "A", 0x56u, 0xFFFFFF02u, 0, "Teardown 4/4: final ACK", NULL, NULL, NULL, NULL, 0, 0 },
    };
    run_init(&r);
    RUN(&r, "sequence_wrap", steps);
    expect(ts_conn_final_anomalies(r.rec[0].conn, r.now_ns + 10000000000LL, 2000000000LL) == 0,
           "sequence_wrap", "wrapping raises nothing");
}

/* ---- One-sided capture: only the client's segments were captured ---------- */

/* Checks the hindsight view of record i: stage and the four states. */
static void view_is(const run *r, const char *name, int i, const char *stage,
                    const char *cb, const char *ca, const char *sb, const char *sa)
{
    ts_record v = ts_hindsight(&r->rec[i], (uint32_t)i + 1);
    check_str(name, i, "view stage", stage, ts_stage_label(v.stage));
    check_str(name, i, "view client before", cb, ts_state_name(ts_rec_client_before(&v)));
    check_str(name, i, "view client after", ca, ts_state_name(ts_rec_client_after(&v)));
    check_str(name, i, "view server before", sb, ts_state_name(ts_rec_server_before(&v)));
    check_str(name, i, "view server after", sa, ts_state_name(ts_rec_server_after(&v)));
}

/* Issue 11 defect 4: a SYN never answered (no SYN-ACK, RST or ICMP) proves
 * only that the client sent it; a LISTEN server that received it would have
 * answered (RFC 9293 3.10.7.2), so with hindsight it stays LISTEN.  An
 * answered SYN did arrive: SYN-RECEIVED stands. */
static void test_final_state_unheard_syn(void)
{
    run r;
    static const step syn_only[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, ANY, 1000 },
    };
    static const step answered[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, ANY, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, NULL, NULL, NULL, ANY, 0 },
    };
    const char *n = "final_state_unheard_syn";
    ts_record v;

    run_init(&r);
    RUN(&r, n, syn_only);
    expect(ts_conn_final_state(r.rec[0].conn, TS_SERVER) == TS_LISTEN, n, "server final LISTEN");
    expect(ts_conn_final_state(r.rec[0].conn, TS_CLIENT) == TS_SYN_SENT, n, "client final SYN-SENT");
    view_is(&r, n, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "LISTEN");
    view_is(&r, n, 1, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "LISTEN", "LISTEN");
    v = ts_hindsight(&r.rec[0], 1);
    expect((v.rflags & TS_REC_SYN_UNHEARD) != 0, n, "view marks the unheard SYN");

    n = "final_state_answered_syn";
    run_init(&r);
    RUN(&r, n, answered);
    expect(ts_conn_final_state(r.rec[0].conn, TS_SERVER) == TS_SYN_RECEIVED, n,
           "an answered SYN arrived: server SYN-RECEIVED");
    view_is(&r, n, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED");
    v = ts_hindsight(&r.rec[0], 1);
    expect((v.rflags & TS_REC_SYN_UNHEARD) == 0, n, "no unheard mark on an answered SYN");
}

/* The cell [FIN][SYN-RECEIVED] (RFC 9293 3.10.7.4 fifth check: a
 * SYN-RECEIVED endpoint acts on a segment only once its ACK covers the SYN
 * it sent): a broken or crafted client sends data with FIN while still
 * SYN-SENT (3.10.2 queues a SEND until ESTABLISHED; 3.10.4 CLOSE in
 * SYN-SENT sends nothing), no server segment captured.  Its ack covers no
 * SYN the capture showed and, carrying data and FIN, it is no answer to an
 * uncaptured SYN-ACK (tsi_synack_not_captured wants a bare ACK): nobody
 * moves, data_before_handshake.  Must-not: the bare ACK at the client's
 * SND.NXT is such an answer (test_one_sided). */
static void test_fin_to_syn_received(void);

/* spec_89 (synack_not_captured: client_close with its SYN-ACK cut out, as
 * a capture point that drops one packet): a SYN-SENT endpoint sends
 * nothing but SYN or RST, except the bare <SEQ=SND.NXT><ACK=RCV.NXT>
 * <CTL=ACK> answering an acceptable SYN-ACK as it enters ESTABLISHED (RFC
 * 9293 3.10.7.3 fourth check).  So the client's bare ACK at ISN + 1, the
 * server unseen so far, proves the uncaptured SYN-ACK arrived: client
 * ESTABLISHED before it (the edge lies between the frames), server
 * SYN-RECEIVED with ISN = ack - 1, and this ACK acknowledges its SYN:
 * "Handshake 3/3: ACK", server -> ESTABLISHED (3.10.7.4 fifth check).  The
 * rest is an ordinary connection (one pass and two passes alike).
 * Must-nots: the same ACK not at the client's SND.NXT (no such answer:
 * the client is not moved by it), and after a captured server segment (its SYN-ACK would
 * have been seen: the rule is only for one the capture lacks). */
static void test_synack_not_captured(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'C', "PA", 1001, 5001, 100, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'S', "A", 5001, 1101, 0, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'C', "FA", 1101, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        { 'S', "A", 5001, 1102, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        { 'S', "FA", 5001, 1102, 0, "Teardown 3/4: FIN", "FIN-WAIT-2", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK", 0, 0 },
        { 'C', "A", 1102, 5002, 0, "Teardown 4/4: final ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
    };
    static const step off_seq[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1002, 5001, 0, NULL, "SYN-SENT", "SYN-SENT", NULL, NULL, ANY, 0 },
    };
    static const step server_seen[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'S', "RA", 0, 1001, 0, "Reset: connection refused", NULL, "CLOSED", NULL, "CLOSED", ANY, 0 },
        { 'C', "A", 1001, 5001, 0, NULL, NULL, "CLOSED", NULL, "CLOSED", ANY, 0 },
    };
    run_init(&r);
    RUN(&r, "synack_not_captured", steps);
    for (int i = 0; i < r.n; i++) {
        ts_record v = ts_hindsight(&r.rec[i], (uint32_t)i + 1);
        expect(v.stage == r.rec[i].stage && v.states == r.rec[i].states &&
               v.server_states == r.rec[i].server_states,
               "synack_not_captured", "two passes show what one pass did");
    }
    run_init(&r);
    RUN(&r, "synack_not_captured_not_off_seq", off_seq);
    run_init(&r);
    RUN(&r, "synack_not_captured_not_server_seen", server_seen);
}

static void test_fin_to_syn_received(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'C', "FPA", 1001, 5001, 100, NULL, "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED",
          B(DATA_BEFORE_HANDSHAKE), 0 },
    };
    run_init(&r);
    RUN(&r, "fin_to_syn_received", steps);
}

static void test_one_sided(void)
{
    run r;
    const int64_t grace = 2000000000LL;
    /* The first pass cannot know the server's segments are missing, but
     * the client's bare ACK at ISN + 1 proves the SYN-ACK arrived (a
     * SYN-SENT endpoint sends no other ACK, RFC 9293 3.10.7.3): from it on
     * the states follow the client (captures/one_sided.pcap, one pass);
     * the server's FIN that frame 6 acknowledges is not known yet. */
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'C', "PA", 1001, 5001, 100, "Data transfer", "ESTABLISHED", "ESTABLISHED", NULL, NULL, 0, 0 },
        { 'C', "A", 1101, 5201, 0, "Data transfer", "ESTABLISHED", "ESTABLISHED", NULL, NULL, 0, 0 },
        { 'C', "FA", 1101, 5201, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        { 'C', "A", 1102, 5202, 0, "Half-close: data transfer", "FIN-WAIT-1", "FIN-WAIT-1", NULL, NULL, 0, 0 },
    };
    const char *n = "one_sided";
    run_init(&r);
    RUN(&r, n, steps);
    expect(ts_conn_view(r.rec[0].conn) != r.rec[0].conn, n, "no server segment: the one-sided account");
    /* With the whole capture read, no server segment ever came: */
    /* 1 the SYN itself is as captured, and not inferred */
    view_is(&r, n, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED");
    expect(!(ts_hindsight(&r.rec[0], 1).rflags & TS_REC_INFERRED), n, "SYN not inferred");
    /* 2 ack 5001 = server ISN + 1: the client had the SYN-ACK, so it is
     * ESTABLISHED and this is the third handshake segment (3.10.7.4:
     * SYN-RECEIVED -> ESTABLISHED) */
    view_is(&r, n, 1, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED");
    /* 3 data after the handshake: not data_before_handshake */
    view_is(&r, n, 2, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED");
    expect(ts_hindsight(&r.rec[2], 3).anomalies == 0, n, "view: no data_before_handshake");
    /* 4 acks 200 uncaptured server bytes: no state change */
    view_is(&r, n, 3, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED");
    /* 5 CLOSE: FIN-WAIT-1; the server CLOSE-WAIT */
    view_is(&r, n, 4, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT");
    /* 6 ack 5202 = the server's FIN (5201) + 1: the server acked our FIN and
     * sent its own from CLOSE-WAIT (LAST-ACK); the client got both
     * (FIN-WAIT-2, then TIME-WAIT) before this final ACK: LAST-ACK -> CLOSED */
    view_is(&r, n, 5, "Teardown 4/4: final ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "CLOSED");
    for (int i = 1; i < r.n; i++) {
        ts_record v = ts_hindsight(&r.rec[i], (uint32_t)i + 1);
        expect((v.rflags & (TS_REC_INFERRED | TS_REC_ONE_SIDED)) == (TS_REC_INFERRED | TS_REC_ONE_SIDED),
               n, "states after the proof are said to be inferred");
    }
    /* the SYN was answered, the FIN acknowledged, the connection closed */
    for (int i = 0; i < r.n; i++)
        expect(ts_deferred_anomalies(&r.rec[i], r.now_ns + 10 * grace, grace, i == r.n - 1) == 0,
               n, "no deferred verdict");
    expect(ts_conn_final_anomalies(r.rec[0].conn, r.now_ns + 10 * grace, grace) == 0, n,
           "no anomaly for the connection");
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_FOUR_WAY, n, "outcome four-way close");
    expect(ts_conn_view(r.rec[0].conn)->packets == 6, n, "the account counts captured packets only");
    /* the one pass stays as it was: the stored records are unchanged (frame
     * 6 still a half-close there, the final ACK only in the view) */
    expect(r.rec[5].stage == TS_STAGE_HALF_CLOSE, n, "one pass keeps its evidence");
}

/* crafted_data_before_handshake: the same start, but the SYN-ACK does come:
 * the captured account stands, in one pass and two. */
static void test_data_before_synack_stands(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "PA", 1001, 5001, 100, "Data transfer", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", B(DATA_BEFORE_HANDSHAKE), 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
    };
    const char *n = "data_before_synack";
    run_init(&r);
    RUN(&r, n, steps);
    expect(ts_conn_view(r.rec[0].conn) == r.rec[0].conn, n, "a server segment was captured");
    view_is(&r, n, 1, "Data transfer", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED");
    expect(ts_hindsight(&r.rec[1], 2).anomalies == B(DATA_BEFORE_HANDSHAKE), n, "still too early");
    expect(!(ts_hindsight(&r.rec[1], 2).rflags & TS_REC_ONE_SIDED), n, "not one-sided");
}

/* ---- ICMP destination unreachable ------------------------------------------ */

/* An ICMP error quoting a segment sent by 'who' at seq; fills record n like
 * a segment, checks the return value, and the record's states if asked. */
static void feed_icmp(run *r, const char *name, char who, uint32_t seq, ts_icmp_kind kind,
                      int want_ret, const char *cb, const char *ca, const char *sb, const char *sa)
{
    ts_icmp ic;
    ts_record *rec = &r->rec[r->n];
    ts_segment *s = &r->seg[r->n];
    int got;
    r->now_ns += 1000000LL;
    memset(&ic, 0, sizeof ic);
    ic.frame = (uint32_t)r->n + 1;
    ic.ts_ns = r->now_ns;
    ic.from_a = who == r->first_sender;
    ic.kind = (uint8_t)kind;
    ic.seq = seq;
    memset(s, 0, sizeof *s);                     /* what a glue would rebuild for ts_explain */
    s->frame = ic.frame;
    s->from_a = !ic.from_a;
    s->seq = seq;
    got = ts_stream_icmp(&r->stream, &ic, rec);
    if (got != want_ret) {
        printf("FAIL %s step %d: ts_stream_icmp returned %d, want %d\n", name, r->n + 1, got, want_ret);
        failures++;
    }
    if (got) {
        check_str(name, r->n, "stage", "ICMP: destination unreachable", ts_stage_label(rec->stage));
        check_str(name, r->n, "client before", cb, ts_state_name(ts_rec_client_before(rec)));
        check_str(name, r->n, "client after", ca, ts_state_name(ts_rec_client_after(rec)));
        check_str(name, r->n, "server before", sb, ts_state_name(ts_rec_server_before(rec)));
        check_str(name, r->n, "server after", sa, ts_state_name(ts_rec_server_after(rec)));
        expect(rec->anomalies == B(ICMP_UNREACHABLE), name, "ICMP record raises icmp_unreachable");
        expect(rec->rflags & TS_REC_ICMP, name, "ICMP record flagged");
    }
    r->n++;
}

static void test_icmp_refuses_syn(void)
{
    run r;
    const int64_t grace = 2000000000LL;
    const char *n = "icmp_refuses_syn";
    static const step syn[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
    };
    char buf[1024];
    run_init(&r);
    RUN(&r, n, syn);
    /* a quote of a sequence number the client never had in flight (stale or
     * forged, RFC 5927 4.1): not about this connection */
    feed_icmp(&r, n, 'C', 777, TS_ICMP_PORT, 0, NULL, NULL, NULL, NULL);
    /* port unreachable quoting the SYN (seq = ISN): a hard error, the client
     * aborts (RFC 1122 4.2.3.9): SYN-SENT -> CLOSED; the SYN never reached the
     * server's TCP, which has no connection: CLOSED throughout */
    feed_icmp(&r, n, 'C', 1000, TS_ICMP_PORT, 1, "SYN-SENT", "CLOSED", "CLOSED", "CLOSED");
    expect(r.rec[2].related_frame == 1, n, "ICMP links the SYN it quotes");
    expect(!(r.rec[2].rflags & TS_REC_SENDER_CLIENT), n, "the ICMP comes from the server's side");
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_REFUSED, n, "outcome refused");
    expect(ts_conn_finished(r.rec[0].conn), n, "nothing left open");
    /* answered: no syn_unanswered, no open_at_capture_end */
    expect(ts_deferred_anomalies(&r.rec[0], r.now_ns + 10 * grace, grace, 1) == 0, n,
           "the SYN was answered (by ICMP)");
    expect(ts_conn_final_anomalies(r.rec[0].conn, r.now_ns + 10 * grace, grace) == B(ICMP_UNREACHABLE),
           n, "connection anomalies: icmp_unreachable only");
    {
        ts_record v = ts_hindsight(&r.rec[0], 1);
        expect(ts_rec_server_before(&v) == TS_CLOSED && ts_rec_server_after(&v) == TS_CLOSED, n,
               "hindsight: the server's TCP never saw the SYN");
    }
    ts_explain(&r.rec[2], &r.seg[2], TS_LANG_EN, 0, buf, sizeof buf);
    expect(strstr(buf, "1000 (relative 0)") && strstr(buf, "gives up"), n, "explanation: quote and abort");
    /* a second ICMP for the same SYN: the client has no connection any more */
    feed_icmp(&r, n, 'C', 1000, TS_ICMP_PORT, 0, NULL, NULL, NULL, NULL);
    /* the application tries again: a new ISN is a new connection */
    {
        static const step again[] = {
            { 'C', "S", 3000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        };
        RUN(&r, n, again);
        expect(r.rec[4].conn != r.rec[0].conn, n, "new ISN after the abort: next connection");
    }
}

/* captures/icmp_quoted.pcap: the first ICMP reaches Linux while connect()
 * holds the socket, so it is only a soft error and the SYN is retransmitted
 * 1 s later; the second ICMP ends the attempt. */
static void test_icmp_soft_then_hard(void)
{
    run r;
    const int64_t grace = 2000000000LL;
    const char *n = "icmp_soft_then_hard";
    static const step syn[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
    };
    static const step retrans[] = {
        /* same ISN: the client still held the connection, SYN-SENT; the
         * server's TCP still has none */
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "CLOSED", "CLOSED", 0, 1000 },
    };
    ts_record v;
    run_init(&r);
    RUN(&r, n, syn);
    feed_icmp(&r, n, 'C', 1000, TS_ICMP_PORT, 1, "SYN-SENT", "CLOSED", "CLOSED", "CLOSED");
    RUN(&r, n, retrans);
    expect(r.rec[2].rflags & TS_REC_RETRANS, n, "the SYN again is a retransmission");
    expect(r.rec[2].conn == r.rec[0].conn, n, "same connection");
    feed_icmp(&r, n, 'C', 1000, TS_ICMP_PORT, 1, "SYN-SENT", "CLOSED", "CLOSED", "CLOSED");
    /* hindsight: the first ICMP changed nothing (soft), the second aborted */
    v = ts_hindsight(&r.rec[1], 2);
    expect(ts_rec_client_before(&v) == TS_SYN_SENT && ts_rec_client_after(&v) == TS_SYN_SENT, n,
           "hindsight: first ICMP was a soft error");
    v = ts_hindsight(&r.rec[3], 4);
    expect(ts_rec_client_after(&v) == TS_CLOSED, n, "hindsight: second ICMP aborted");
    for (int i = 0; i < r.n; i++)
        expect(!(ts_deferred_anomalies(&r.rec[i], r.now_ns + 10 * grace, grace, i == 2) &
                 (B(SYN_UNANSWERED) | B(OPEN_AT_CAPTURE_END))), n, "answered and over");
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_REFUSED, n, "outcome refused");
}

static void test_icmp_other_states(void)
{
    run r;
    const char *n = "icmp_other_states";
    static const step hs[] = { HANDSHAKE,
        { 'C', "PA", 1001, 5001, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
    };
    static const step half[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
    };
    /* synchronized: a soft error whatever the code (RFC 1122 4.2.3.9; Linux
     * only reports it), so nothing changes; the data at 1001 is in flight */
    run_init(&r);
    RUN(&r, n, hs);
    feed_icmp(&r, n, 'C', 1001, TS_ICMP_PORT, 1, "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED");
    /* Zeek ignores ICMP inside a TCP connection: the verdict stays the one
     * the last segment left (S1 here, history unchanged), not S0/empty */
    expect(r.rec[r.n - 1].zeek_state == r.rec[r.n - 2].zeek_state &&
           r.rec[r.n - 1].zeek_state != 0 &&
           r.rec[r.n - 1].zeek_hist_len == r.rec[r.n - 2].zeek_hist_len &&
           r.rec[r.n - 1].zeek_hist_len > 0, n, "ICMP record keeps the Zeek verdict");
    /* seq 1101 = SND.NXT is still acceptable (=<), 1102 is not */
    feed_icmp(&r, n, 'C', 1102, TS_ICMP_NO_ROUTE, 0, NULL, NULL, NULL, NULL);
    feed_icmp(&r, n, 'C', 1101, TS_ICMP_NO_ROUTE, 1, "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED");
    expect(!r.rec[0].conn->refused, n, "not refused");

    /* the server's SYN-ACK quoted (the client is gone; the model had it
     * delivered, so the client shows ESTABLISHED): SYN-RECEIVED from a
     * passive open drops the half-open connection on a hard error (LISTEN) */
    run_init(&r);
    RUN(&r, n, half);
    feed_icmp(&r, n, 'S', 5000, TS_ICMP_PROHIBITED, 1, "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "LISTEN");
    /* ... and keeps it on a soft one (host unreachable) */
    run_init(&r);
    RUN(&r, n, half);
    feed_icmp(&r, n, 'S', 5000, TS_ICMP_NO_ROUTE, 1, "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED");
    /* a SYN-SENT client aborts even on a soft error (RFC 5461 4.1: Linux, BSD) */
    run_init(&r);
    {
        static const step syn[] = { { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 } };
        RUN(&r, n, syn);
    }
    feed_icmp(&r, n, 'C', 1000, TS_ICMP_NO_ROUTE, 1, "SYN-SENT", "CLOSED", "CLOSED", "CLOSED");
    /* unknown kind: ignored */
    feed_icmp(&r, n, 'C', 1000, TS_ICMP_KIND_COUNT, 0, NULL, NULL, NULL, NULL);
}

static void test_tables(void)
{
    /* every name comes from one table; spot-check a few and the counts */
    expect(strcmp(ts_state_name(TS_TIME_WAIT), "TIME-WAIT") == 0, "tables", "state name");
    expect(strcmp(ts_anomaly_name(TS_AN_SYN_UNANSWERED), "syn_unanswered") == 0, "tables", "anomaly name");
    expect(strcmp(ts_stage_step(TS_STAGE_FINACK_COMBINED), "2+3/4") == 0, "tables", "step");
    expect(ts_stage_phase(TS_STAGE_RST_ABORT) == TS_PHASE_RESET, "tables", "phase");
    expect(strcmp(ts_state_name(99), "?") == 0, "tables", "out of range state");
    for (unsigned i = 0; i < TS_ANOMALY_COUNT; i++)
        for (unsigned j = i + 1; j < TS_ANOMALY_COUNT; j++)
            expect(strcmp(ts_anomaly_name(i), ts_anomaly_name(j)) != 0, "tables", "anomaly names unique");
    for (unsigned i = 0; i < TS_STAGE_COUNT; i++)
        for (unsigned j = i + 1; j < TS_STAGE_COUNT; j++)
            expect(strcmp(ts_stage_label(i), ts_stage_label(j)) != 0, "tables", "stage labels unique");
    expect(sizeof(ts_record) <= 32, "tables", "per-frame record stays compact");
}


/* Defect 1 (issue 11): the first check of RFC 9293 3.10.7.4 applies to every
 * segment.  After the handshake the server's window is [1001, 1001 + 65535):
 * its SYN-ACK acknowledged 1001 and advertised 65535 (no window scaling in
 * these scenarios: shift 0 on both SYNs). */
static void test_out_of_window(void)
{
    run r;
    static const step fin_far[] = {
        HANDSHAKE,
        /* FIN at 1001 + 100000, beyond 1001 + 65535: not acceptable, so the server drops
         * it without looking at the FIN bit and answers with an ACK; nobody moves */
        { 'C', "FA", 101001, 5001, 0, "Out of window", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", B(OUT_OF_WINDOW), 0 },
        /* that ACK: <SEQ=5001><ACK=1001>, an ordinary segment */
        { 'S', "A", 5001, 1001, 0, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        /* the real FIN at RCV.NXT 1001 is acceptable and starts the teardown */
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
    };
    static const step data_far_below[] = {
        HANDSHAKE,
        /* 10 bytes ending 200000 below RCV.NXT, more than any window behind: a stale
         * segment, not a retransmission; the server (the receiver) changes nothing */
        { 'C', "PA", 1001 - 200000, 5001, 10, "Out of window", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", B(OUT_OF_WINDOW), 0 },
        /* an ACK of a server FIN, but far out of the client's window: the ACK field is
         * not even looked at (3.10.7.4 checks the sequence number first) */
        { 'S', "FA", 5001, 1001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "CLOSE-WAIT", "ESTABLISHED", "FIN-WAIT-1", 0, 0 },
        { 'C', "A", 1001 + 900000, 5002, 0, "Out of window", "CLOSE-WAIT", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-1", B(OUT_OF_WINDOW), 0 },
    };
    static const step in_window[] = {
        HANDSHAKE,
        /* the last byte of the window (1001 + 65535 - 1) is acceptable */
        { 'C', "PA", 1001 + 65534, 5001, 1, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        /* a retransmission wholly below RCV.NXT: the RFC drops it with an ACK too, but it
         * is the ordinary repeat of data whose ACK was lost, not an anomaly */
        { 'C', "PA", 1001, 5001, 10, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "A", 5001, 1011, 0, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "PA", 1001, 5001, 10, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
    };
    run_init(&r);
    RUN(&r, "out_of_window_fin", fin_far);
    run_init(&r);
    RUN(&r, "out_of_window_below", data_far_below);
    run_init(&r);
    RUN(&r, "in_window", in_window);
}

/* Defect 2: in SYN-SENT a RST is acceptable when its ACK acknowledges the
 * SYN, SND.UNA < SEG.ACK =< SND.NXT (3.10.7.3).  A Fast Open SYN carrying
 * 100 bytes has SND.UNA = 1000 and SND.NXT = 1101. */
static void test_syn_sent_rst_ack_range(void)
{
    run r;
    static const step syn_only_acked[] = {
        { 'C', "ST", 1000, 0, 100, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        /* ack 1001 covers the SYN but not the data: 1000 < 1001 =< 1101, acceptable;
         * no listener (3.10.7.1): refused */
        { 'S', "RA", 0, 1001, 0, "Reset: connection refused", "SYN-SENT", "CLOSED", "CLOSED", "CLOSED", B(CONNECTION_REFUSED), 0 },
    };
    static const step all_acked[] = {
        { 'C', "ST", 1000, 0, 100, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        /* ack 1101 = SND.NXT: acceptable too */
        { 'S', "RA", 0, 1101, 0, "Reset: connection refused", "SYN-SENT", "CLOSED", "CLOSED", "CLOSED", B(CONNECTION_REFUSED), 0 },
    };
    static const step beyond[] = {
        { 'C', "ST", 1000, 0, 100, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        /* ack 1102 > SND.NXT: acknowledges something never sent; dropped */
        { 'S', "RA", 0, 1102, 0, "Reset: not accepted", "SYN-SENT", "SYN-SENT", NULL, NULL, 0, 0 },
        /* ack 1000 = SND.UNA, not above it: dropped */
        { 'S', "RA", 0, 1000, 0, "Reset: not accepted", "SYN-SENT", "SYN-SENT", NULL, NULL, 0, 0 },
    };
    run_init(&r);
    RUN(&r, "syn_sent_rst_syn_only", syn_only_acked);
    /* Defect 7: a refusal is neither a handshake nor a teardown: no time */
    expect(!(r.rec[1].rflags & TS_REC_TIME_VALID), "refused_no_time",
           "no handshake/teardown time on a refusal");
    expect(r.rec[1].related_frame == 1, "refused_no_time", "the refusal still links its SYN");
    run_init(&r);
    RUN(&r, "syn_sent_rst_all", all_acked);
    expect(!(r.rec[1].rflags & TS_REC_TIME_VALID), "refused_no_time", "no time on this refusal either");
    run_init(&r);
    RUN(&r, "syn_sent_rst_beyond", beyond);
}

/* Defect 3: a RST whose seq is the sender's FIN sequence number.  Once the
 * receiver has the FIN, RCV.NXT = FIN + 1 and that RST lies one below the
 * window: not acceptable (3.10.7.4), whatever Linux does. */
static void test_rst_at_fin_seq(void)
{
    run r;
    static const step close_wait[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        { 'S', "A", 5001, 1002, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        /* seq 1001 = the FIN's; the server's RCV.NXT is 1002: outside, dropped.  Its
         * sender aborted all the same: FIN-WAIT-2 -> CLOSED (3.10.5) */
        { 'C', "R", 1001, 0, 0, "Reset: not accepted", "FIN-WAIT-2", "CLOSED", "CLOSE-WAIT", "CLOSE-WAIT", B(RST_OUT_OF_WINDOW), 0 },
        /* seq 1002 = RCV.NXT: accepted, the server CLOSED too */
        { 'C', "R", 1002, 0, 0, "Reset: abort", "CLOSED", "CLOSED", "CLOSE-WAIT", "CLOSED", 0, 0 },
    };
    static const step fin_not_yet_seen[] = {
        HANDSHAKE,
        /* without a FIN, seq 1001 is RCV.NXT itself: accepted */
        { 'C', "R", 1001, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "rst_at_fin_seq", close_wait);
    run_init(&r);
    RUN(&r, "rst_at_rcv_nxt", fin_not_yet_seen);
}

/* Cell coverage (tests/cell-coverage.sh): which model cells these tests use. */
static void write_cell_hits(void)
{
    const char *path = getenv("TS_CELL_HITS");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        ts_model_write_hits(f, "test_core");
        fclose(f);
    }
}

/* ---- Cells of the model (tcpstate_model.c) -------------------------------
 * Scenarios that reach the cells the captures do not: each key step names
 * the cell it exercises, [event][receiver state], and its expectation is
 * the cell's RFC rule.  Steps that only lead there check nothing (NULL,
 * ANY).  ISNs 1000 and 5000, windows 65535, no scaling. */

#define LEAD(who, fl, seq, ack) { who, fl, seq, ack, 0, NULL, NULL, NULL, NULL, NULL, ANY, 0 }

/* RFC 5961 4.2: a SYN on a synchronized connection changes nothing and the
 * receiver owes a challenge ACK, in every synchronized state. */
static void test_cells_syn_on_closing_states(void)
{
    run r;
    static const step fw1_cw_fw2[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        /* [SYN][FIN-WAIT-1]: the server (CLOSE-WAIT, no move by sending) sends a SYN */
        { 'S', "S", 90000, 0, 0, NULL, "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        { 'C', "A", 1002, 5001, 0, "Challenge ACK", "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", B(CHALLENGE_ACK), 0 },
        /* [SYN][CLOSE-WAIT] */
        { 'C', "S", 77000, 0, 0, NULL, "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        LEAD('S', "A", 5001, 1002),
        /* [SYN][FIN-WAIT-2] */
        { 'S', "S", 90000, 0, 0, NULL, "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        { 'C', "A", 1002, 5001, 0, "Challenge ACK", NULL, "FIN-WAIT-2", NULL, "CLOSE-WAIT", B(CHALLENGE_ACK), 0 },
        LEAD('S', "FA", 5001, 1002),
        /* [SYN][LAST-ACK]: the client reuses the four-tuple from TIME-WAIT (sender rule:
         * SYN-SENT) while the server still waits for its final ACK: challenge ACK */
        { 'C', "S", 77000, 0, 0, NULL, "TIME-WAIT", "SYN-SENT", "LAST-ACK", "LAST-ACK", ANY, 0 },
    };
    static const step closing[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "FA", 5001, 1001),             /* crossing FINs: both CLOSING */
        /* [SYN][CLOSING] */
        { 'C', "S", 77000, 0, 0, NULL, "CLOSING", "CLOSING", "CLOSING", "CLOSING", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "cells_syn_fw1_cw_fw2", fw1_cw_fw2);
    expect(r.rec[r.n - 1].conn->challenge_due == TS_SERVER, "cells_syn_last_ack", "LAST-ACK owes a challenge ACK");
    run_init(&r);
    RUN(&r, "cells_syn_closing", closing);
    expect(r.rec[r.n - 1].conn->challenge_due == TS_SERVER, "cells_syn_closing", "CLOSING owes a challenge ACK");
}

/* A SYN-ACK repeated late is an old duplicate (3.10.7.4 first check): the
 * client re-acknowledges it and nobody moves, whatever the client's state. */
static void test_cells_late_synack(void)
{
    run r;
    static const step client_closes[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        /* [SYN-ACK][FIN-WAIT-1] */
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        LEAD('S', "A", 5001, 1002),
        /* [SYN-ACK][FIN-WAIT-2] */
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        LEAD('S', "FA", 5001, 1002),
        /* [SYN-ACK][TIME-WAIT] */
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", 0, 0 },
    };
    static const step server_closes[] = {
        HANDSHAKE,
        LEAD('S', "FA", 5001, 1001),
        /* [SYN-ACK][CLOSE-WAIT] */
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "CLOSE-WAIT", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-1", 0, 0 },
        LEAD('C', "FA", 1001, 5002),
        /* [SYN-ACK][LAST-ACK] */
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "LAST-ACK", "LAST-ACK", "TIME-WAIT", "TIME-WAIT", 0, 0 },
    };
    static const step crossing[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "FA", 5001, 1001),
        /* [SYN-ACK][CLOSING] */
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "CLOSING", "CLOSING", "CLOSING", "CLOSING", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "cells_synack_client_closes", client_closes);
    run_init(&r);
    RUN(&r, "cells_synack_server_closes", server_closes);
    run_init(&r);
    RUN(&r, "cells_synack_crossing", crossing);
}

/* FINs and ACKs in the closing states (3.10.7.4 fifth and eighth checks). */
static void test_cells_fin_and_ack(void)
{
    run r;
    static const step fin_acks_syn[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        /* [FIN acknowledging our SYN][SYN-RECEIVED]: the FIN's ACK completes the
         * handshake (fifth check: ESTABLISHED), its FIN then closes (eighth: CLOSE-WAIT) */
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "SYN-RECEIVED", "CLOSE-WAIT", 0, 0 },
    };
    static const step crossing[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "FA", 5001, 1001),
        /* [ACK][CLOSING]: a window update that does not cover the server's FIN */
        { 'C', "A", 1002, 5001, 0, NULL, "CLOSING", "CLOSING", "CLOSING", "CLOSING", 0, 0 },
        /* [FIN][CLOSING]: the client's FIN again with its old ACK: remain */
        { 'C', "FA", 1001, 5001, 0, NULL, "CLOSING", "CLOSING", "CLOSING", "CLOSING", 0, 0 },
        /* [FIN acknowledging our FIN][CLOSING]: now it covers the server's FIN (5002):
         * CLOSING -> TIME-WAIT */
        { 'C', "FA", 1001, 5002, 0, NULL, "CLOSING", "CLOSING", "CLOSING", "TIME-WAIT", ANY, 0 },
    };
    static const step last_ack[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "A", 5001, 1002),
        LEAD('S', "FA", 5001, 1002),
        /* [ACK][LAST-ACK]: an ACK not covering the server's FIN: LAST-ACK waits on */
        { 'C', "A", 1002, 5001, 0, NULL, "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", 0, 0 },
        /* [FIN][LAST-ACK]: the client's FIN again, old ACK: remain */
        { 'C', "FA", 1001, 5001, 0, NULL, "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", ANY, 0 },
        /* [ACK][TIME-WAIT]: the server's duplicate ACK reaches the TIME-WAIT client */
        { 'S', "A", 5002, 1002, 0, NULL, "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", ANY, 0 },
        /* [FIN acknowledging our FIN][LAST-ACK]: the client's FIN with ACK 5002 is the
         * final acknowledgment: LAST-ACK -> CLOSED */
        { 'C', "FA", 1001, 5002, 0, NULL, "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "CLOSED", ANY, 0 },
    };
    static const step fin_to_syn_sent[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        /* [FIN][SYN-SENT]: a FIN without SYN reaches SYN-SENT: dropped (3.10.7.3 fifth
         * check); its sender, SYN-RECEIVED, moves to FIN-WAIT-1 by sending it (CLOSE) */
        { 'S', "FA", 5001, 1001, 0, NULL, "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "FIN-WAIT-1", ANY, 0 },
    };
    static const step after_refusal[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "RA", 0, 1001, 0, "Reset: connection refused", NULL, "CLOSED", NULL, "CLOSED", B(CONNECTION_REFUSED), 0 },
        /* [SYN-ACK][CLOSED] and [FIN][CLOSED]: the client has no TCB: no move, it would
         * answer with a RST (3.10.7.1) */
        { 'S', "SA", 5000, 1001, 0, NULL, "CLOSED", "CLOSED", NULL, NULL, ANY, 0 },
        { 'S', "FA", 5001, 1001, 0, NULL, "CLOSED", "CLOSED", NULL, NULL, ANY, 0 },
    };
    run_init(&r);
    RUN(&r, "cells_fin_acks_syn", fin_acks_syn);
    run_init(&r);
    RUN(&r, "cells_closing", crossing);
    run_init(&r);
    RUN(&r, "cells_last_ack", last_ack);
    run_init(&r);
    RUN(&r, "cells_fin_to_syn_sent", fin_to_syn_sent);
    run_init(&r);
    RUN(&r, "cells_after_refusal", after_refusal);
}

/* RSTs in the closing states: at RCV.NXT accepted (CLOSED), in the window
 * a challenge ACK, outside it dropped (3.10.7.4 first and second checks,
 * RFC 5961 3.2). */
static void test_cells_rst(void)
{
    run r;
    static const step fw1[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        /* [RST in window][FIN-WAIT-1] */
        { 'S', "R", 5011, 0, 0, "Reset: not accepted", "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        LEAD('C', "A", 1002, 5001),
        /* [RST not accepted][FIN-WAIT-1] */
        { 'S', "R", 900000, 0, 0, "Reset: not accepted", "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", B(RST_OUT_OF_WINDOW), 0 },
        /* [RST in window][CLOSE-WAIT] */
        { 'C', "R", 1012, 0, 0, "Reset: not accepted", "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        LEAD('S', "A", 5001, 1002),
        /* [RST in window][FIN-WAIT-2], [RST not accepted][FIN-WAIT-2] */
        { 'S', "R", 5011, 0, 0, "Reset: not accepted", "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        LEAD('C', "A", 1002, 5001),
        { 'S', "R", 900000, 0, 0, "Reset: not accepted", "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", B(RST_OUT_OF_WINDOW), 0 },
        LEAD('S', "FA", 5001, 1002),
        /* [RST in window][LAST-ACK]: the client, TIME-WAIT, sends it */
        { 'C', "R", 1012, 0, 0, "Reset: not accepted", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", 0, 0 },
        LEAD('S', "A", 5002, 1002),
        /* [RST in window][TIME-WAIT] */
        { 'S', "R", 5012, 0, 0, "Reset: not accepted", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", 0, 0 },
        LEAD('C', "A", 1002, 5002),              /* final ACK: the server CLOSED */
    };
    static const step fw1_accepted[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        /* [RST accepted][FIN-WAIT-1]: seq 5001 = RCV.NXT (an ABORT: RST-ACK) */
        { 'S', "RA", 5001, 1002, 0, "Reset: abort", "FIN-WAIT-1", "CLOSED", "CLOSE-WAIT", "CLOSED", ANY, 0 },
    };
    static const step closing[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "FA", 5001, 1001),
        /* [RST in window][CLOSING] */
        { 'C', "R", 1012, 0, 0, "Reset: not accepted", "CLOSING", "CLOSING", "CLOSING", "CLOSING", 0, 0 },
        LEAD('S', "A", 5002, 1001),
        /* [RST accepted][CLOSING]: seq 1002 = the server's RCV.NXT after the FIN */
        { 'C', "R", 1002, 0, 0, "Reset: abort", "CLOSING", "CLOSED", "CLOSING", "CLOSED", ANY, 0 },
    };
    static const step last_ack[] = {
        HANDSHAKE,
        LEAD('S', "FA", 5001, 1001),
        LEAD('C', "A", 1001, 5002),
        LEAD('C', "FA", 1001, 5002),              /* the client, CLOSE-WAIT -> LAST-ACK */
        /* [RST accepted][LAST-ACK]: seq 5002 = the client's RCV.NXT */
        { 'S', "R", 5002, 0, 0, "Reset: abort", "LAST-ACK", "CLOSED", NULL, "CLOSED", ANY, 0 },
    };
    run_init(&r);
    RUN(&r, "cells_rst_fw1", fw1);
    run_init(&r);
    RUN(&r, "cells_rst_fw1_accepted", fw1_accepted);
    run_init(&r);
    RUN(&r, "cells_rst_closing", closing);
    run_init(&r);
    RUN(&r, "cells_rst_last_ack", last_ack);
}

/* Segments outside the receiver's window in every state from SYN-RECEIVED
 * on (3.10.7.4 first check): dropped, answered by an ACK, nobody moves. */
static void test_cells_out_of_window(void)
{
    run r;
    static const step syn_received[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        /* [unacceptable][SYN-RECEIVED] */
        { 'C', "A", 901001, 5001, 0, "Out of window", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", B(OUT_OF_WINDOW), 0 },
    };
    static const step closing_states[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        /* [unacceptable][CLOSE-WAIT] */
        { 'C', "PA", 901002, 5001, 10, "Out of window", "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", B(OUT_OF_WINDOW), 0 },
        LEAD('S', "A", 5001, 1002),
        /* [unacceptable][FIN-WAIT-2] */
        { 'S', "PA", 905001, 1002, 10, "Out of window", "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", B(OUT_OF_WINDOW), 0 },
        LEAD('S', "FA", 5001, 1002),
        /* [unacceptable][LAST-ACK] and [unacceptable][TIME-WAIT] */
        { 'C', "A", 901002, 5002, 0, "Out of window", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", B(OUT_OF_WINDOW), 0 },
        { 'S', "A", 905002, 1002, 0, "Out of window", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", B(OUT_OF_WINDOW), 0 },
    };
    static const step closing[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "FA", 5001, 1001),
        /* [unacceptable][CLOSING] */
        { 'C', "A", 901002, 5002, 0, "Out of window", "CLOSING", "CLOSING", "CLOSING", "CLOSING", B(OUT_OF_WINDOW), 0 },
    };
    run_init(&r);
    RUN(&r, "cells_oow_syn_received", syn_received);
    run_init(&r);
    RUN(&r, "cells_oow_closing_states", closing_states);
    run_init(&r);
    RUN(&r, "cells_oow_closing", closing);
}

/* An ACK of sequence space never sent, after a FIN (3.10.7.4 fifth check:
 * SEG.ACK > SND.NXT): ACK and drop, nobody moves. */
static void test_cells_bad_ack(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "A", 5001, 1002),
        /* [unacceptable ACK][FIN-WAIT-2]: ack 1010 is beyond the FIN (1002) */
        { 'S', "A", 5001, 1010, 0, NULL, "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", B(FIN_WRONG_ACK), 0 },
        LEAD('S', "FA", 5001, 1002),
        /* [unacceptable ACK][LAST-ACK]: ack 5010 beyond the server's FIN (5002) */
        { 'C', "A", 1002, 5010, 0, NULL, "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", B(FIN_WRONG_ACK), 0 },
        /* [unacceptable ACK][TIME-WAIT] */
        { 'S', "A", 5002, 1010, 0, NULL, "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", B(FIN_WRONG_ACK), 0 },
    };
    static const step closing[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "FA", 5001, 1001),
        /* [unacceptable ACK][CLOSING] */
        { 'C', "A", 1002, 5010, 0, NULL, "CLOSING", "CLOSING", "CLOSING", "CLOSING", B(FIN_WRONG_ACK), 0 },
    };
    run_init(&r);
    RUN(&r, "cells_bad_ack", steps);
    run_init(&r);
    RUN(&r, "cells_bad_ack_closing", closing);
}

/* ICMP errors about a segment of a synchronized endpoint change nothing
 * (RFC 1122 4.2.3.9 soft errors; RFC 5461 4: stacks do not abort a
 * synchronized connection on hard ones either). */
static void test_cells_icmp_closing_states(void)
{
    run r;
    static const step to_fw1[] = { HANDSHAKE, LEAD('C', "FA", 1001, 5001) };
    static const step to_fw2[] = { LEAD('S', "A", 5001, 1002) };
    static const step to_last_ack[] = { LEAD('S', "FA", 5001, 1002) };
    static const step to_closing[] = { HANDSHAKE, LEAD('C', "FA", 1001, 5001), LEAD('S', "FA", 5001, 1001) };
    run_init(&r);
    RUN(&r, "cells_icmp", to_fw1);
    /* [ICMP hard][FIN-WAIT-1], [ICMP soft][FIN-WAIT-1]: the client's FIN 1001 in flight */
    feed_icmp(&r, "cells_icmp_fw1", 'C', 1001, TS_ICMP_PORT, 1, "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT");
    feed_icmp(&r, "cells_icmp_fw1", 'C', 1001, TS_ICMP_NO_ROUTE, 1, "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT");
    /* [ICMP hard][CLOSE-WAIT], [ICMP soft][CLOSE-WAIT]: the server's 5001 */
    feed_icmp(&r, "cells_icmp_cw", 'S', 5001, TS_ICMP_PROHIBITED, 1, "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT");
    feed_icmp(&r, "cells_icmp_cw", 'S', 5001, TS_ICMP_NO_ROUTE, 1, "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT");
    RUN(&r, "cells_icmp", to_fw2);
    /* [ICMP][FIN-WAIT-2]: SND.UNA = SND.NXT = 1002 */
    feed_icmp(&r, "cells_icmp_fw2", 'C', 1002, TS_ICMP_PORT, 1, "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT");
    feed_icmp(&r, "cells_icmp_fw2", 'C', 1002, TS_ICMP_NO_ROUTE, 1, "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT");
    RUN(&r, "cells_icmp", to_last_ack);
    /* [ICMP][LAST-ACK]: the server's FIN 5001 in flight */
    feed_icmp(&r, "cells_icmp_last_ack", 'S', 5001, TS_ICMP_PORT, 1, "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK");
    feed_icmp(&r, "cells_icmp_last_ack", 'S', 5001, TS_ICMP_NO_ROUTE, 1, "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK");
    run_init(&r);
    RUN(&r, "cells_icmp_closing", to_closing);
    /* [ICMP][CLOSING]: the client's FIN 1001, which the server has not acknowledged */
    feed_icmp(&r, "cells_icmp_closing", 'C', 1001, TS_ICMP_PORT, 1, "CLOSING", "CLOSING", "CLOSING", "CLOSING");
    feed_icmp(&r, "cells_icmp_closing", 'C', 1001, TS_ICMP_NO_ROUTE, 1, "CLOSING", "CLOSING", "CLOSING", "CLOSING");
}

/* A listener again: a hard ICMP error about its SYN-ACK dropped the
 * half-open connection (SYN-RECEIVED -> LISTEN).  What the client sends
 * then reaches a listener: ACKs and FINs are answered by RST (3.10.7.2
 * second check), a RST is ignored (first check); nobody moves. */
static void test_cells_listener_again(void)
{
    run r;
    static const step open[] = {
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
    };
    static const step to_listener[] = {
        /* [ACK][LISTEN], [FIN][LISTEN], [RST not accepted][LISTEN] */
        { 'C', "A", 1001, 5001, 0, NULL, "ESTABLISHED", "ESTABLISHED", "LISTEN", "LISTEN", ANY, 0 },
        { 'C', "FA", 1001, 5001, 0, NULL, "ESTABLISHED", "FIN-WAIT-1", "LISTEN", "LISTEN", ANY, 0 },
        { 'C', "R", 1002, 0, 0, "Reset: not accepted", NULL, NULL, "LISTEN", "LISTEN", ANY, 0 },
    };
    run_init(&r);
    RUN(&r, "cells_listener_again", open);
    feed_icmp(&r, "cells_listener_again", 'S', 5000, TS_ICMP_PORT, 1, "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "LISTEN");
    RUN(&r, "cells_listener_again", to_listener);
}

/* After a reset the client, CLOSED, still has its FIN unacknowledged: the
 * server's late ACK and FIN of it meet no TCB (3.10.7.1): no move.  The
 * server sends them from its TCB, so it never took the client's RST
 * (RST_LOST): it is CLOSE-WAIT again, and moves by its FIN (3.10.4). */
static void test_cells_closed_with_fin_outstanding(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        /* the client aborts after its FIN: <SEQ=SND.NXT><CTL=RST> (3.10.4), at the
         * server's RCV.NXT: both CLOSED.  (Not the server's own RST: a server that
         * went on sending after it would prove it never sent it, see middlebox_rst.) */
        { 'C', "R", 1002, 0, 0, "Reset: abort", "FIN-WAIT-1", "CLOSED", "CLOSE-WAIT", "CLOSED", ANY, 0 },
        /* [ACK acknowledging our FIN][CLOSED], [FIN acknowledging our FIN][CLOSED] */
        { 'S', "A", 5001, 1002, 0, "After reset", "CLOSED", "CLOSED", "CLOSE-WAIT", "CLOSE-WAIT", ANY, 0 },
    };
    static const step fin[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        { 'C', "R", 1002, 0, 0, "Reset: abort", "FIN-WAIT-1", "CLOSED", "CLOSE-WAIT", "CLOSED", ANY, 0 },
        /* its first acknowledgment of the client's FIN comes with its own FIN */
        { 'S', "FA", 5001, 1002, 0, "After reset", "CLOSED", "CLOSED", "CLOSE-WAIT", "LAST-ACK", ANY, 0 },
    };
    run_init(&r);
    RUN(&r, "cells_closed_fin_outstanding", steps);
    run_init(&r);
    RUN(&r, "cells_closed_fin_outstanding_fin", fin);
}

/* RFC 6191 / RFC 1122 4.2.2.13: a SYN whose sequence number is above what
 * a TIME-WAIT endpoint last received may reopen the connection, but only a
 * listener takes it: the TIME-WAIT endpoint that opened the connection
 * passively (the server) goes to SYN-RECEIVED; one that opened actively
 * (the client, on an ephemeral port nothing listens on) keeps its
 * TIME-WAIT and answers with a challenge ACK of the old connection (RFC
 * 5961 4.2, 3.10.7.4 fourth check; issue 11 defect 10).  The SYN's sender,
 * still LAST-ACK, does not move by sending it (sender rules). */
static void test_cells_syn_to_time_wait(void)
{
    run r;
    static const step active[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "A", 5001, 1002),
        LEAD('S', "FA", 5001, 1002),
        /* [SYN][TIME-WAIT], opened actively: no reopen */
        { 'S', "S", 90000, 0, 0, NULL, "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "LAST-ACK", ANY, 0 },
    };
    static const step passive[] = {
        HANDSHAKE,
        LEAD('S', "FA", 5001, 1001),
        LEAD('C', "A", 1001, 5002),
        LEAD('C', "FA", 1001, 5002),
        /* [SYN][TIME-WAIT], opened passively: the listener takes it */
        { 'C', "S", 90000, 0, 0, NULL, "LAST-ACK", NULL, "TIME-WAIT", "SYN-RECEIVED", ANY, 0 },
    };
    run_init(&r);
    RUN(&r, "cells_syn_to_time_wait_active", active);
    expect(r.rec[r.n - 1].conn->challenge_due == TS_CLIENT, "cells_syn_to_time_wait_active",
           "the TIME-WAIT client owes a challenge ACK");
    run_init(&r);
    RUN(&r, "cells_syn_to_time_wait_passive", passive);
}

/* Issue 11 defect 10: the former server connects back to the former
 * client's port while that client is in TIME-WAIT (syn_to_time_wait.pcap).
 * The SYN meets the TIME-WAIT TCB (no listener): it stays TIME-WAIT and
 * answers with an ACK of the old connection (challenge ACK, RFC 5961 4.2);
 * the SYN-SENT side finds that ACK unacceptable and answers RST at SEG.ACK
 * (3.10.7.3), keeping its own TCB; the RST's seq is exactly TIME-WAIT's
 * RCV.NXT, so it is accepted and deletes the TIME-WAIT (3.10.7.4 second
 * check); the SYN sent again finds no TCB and is refused (3.10.7.1). */
/* [RST not accepted][SYN-RECEIVED]: a RST far outside the window of a
 * server in SYN-RECEIVED is dropped (3.10.7.4 first check), nobody moves;
 * the must-not of the RCV.NXT rule: it is neither the client's SND.NXT nor
 * what the server acknowledged. */
static void test_rst_out_of_window_syn_received(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "R", 1001 + 300000, 0, 0, "Reset: not accepted", "ESTABLISHED", NULL, "SYN-RECEIVED", "SYN-RECEIVED",
          B(RST_OUT_OF_WINDOW), 0 },
    };
    run_init(&r);
    RUN(&r, "rst_out_of_window_syn_received", steps);
}

/* Issue 11 defect 8: a RST in the server's name (no ACK, seq = the client's
 * RCV.NXT, so the client accepts it: 3.10.7.4), after which the server
 * sends and retransmits data from the same TCB (seq = its SND.NXT, ack =
 * what it acknowledged before).  A TCP that sent a RST has no TCB (3.10.4,
 * 3.10.7.1): the server never sent it, it stays ESTABLISHED; the client is
 * CLOSED while the server still sends: half-open (3.5.2), packets after
 * reset on every one. */
static void test_forged_rst(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "PA", 1001, 5001, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "R", 5001, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", NULL, NULL, ANY, 0 },
        { 'S', "PA", 5001, 1001, 300, "After reset", "CLOSED", "CLOSED", "ESTABLISHED", "ESTABLISHED",
          B(PACKETS_AFTER_RESET) | B(HALF_OPEN), 0 },
        { 'S', "PA", 5001, 1001, 300, "After reset", "CLOSED", "CLOSED", "ESTABLISHED", "ESTABLISHED",
          B(PACKETS_AFTER_RESET), 200 },
    };
    /* must not: the client, which the capture shows taking a real RST, sends
     * again from its TCB: that proves the client never took it (the mirror,
     * RST_LOST: client ESTABLISHED again), not that the server never sent
     * it -- the server stays CLOSED, the RST stands (crafted_packets_after_reset) */
    static const step real_rst[] = {
        HANDSHAKE,
        { 'S', "R", 5001, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
        { 'C', "PA", 1001, 5001, 10, "After reset", "ESTABLISHED", "ESTABLISHED", "CLOSED", "CLOSED",
          B(PACKETS_AFTER_RESET) | B(HALF_OPEN), 0 },
    };
    ts_record v;
    run_init(&r);
    RUN(&r, "forged_rst", steps);
    v = ts_hindsight(&r.rec[4], 5);
    expect(ts_rec_server_before(&v) == TS_ESTABLISHED && ts_rec_server_after(&v) == TS_ESTABLISHED &&
           !(v.anomalies & B(HALF_OPEN)), "forged_rst", "hindsight: the server never sent the RST");
    v = ts_hindsight(&r.rec[3], 4);
    expect(ts_rec_server_after(&v) == TS_ESTABLISHED, "forged_rst", "hindsight: the data met a live server");
    run_init(&r);
    RUN(&r, "forged_rst_not_real", real_rst);
    expect(ts_conn_in_flight(r.rec[0].conn, 4, TS_SERVER, NULL) != TS_FLIGHT_RST_FORGED,
           "forged_rst_not_real", "a real RST stands");
}

/* The cells [ACK acknowledging our SYN or FIN][SYN-SENT] are marked
 * unreachable: a SYN-SENT endpoint has no FIN (CLOSE in SYN-SENT deletes
 * the TCB, RFC 9293 3.10.4), and its SYN is acknowledged by a SYN-ACK.  On
 * the wire an ACK without SYN can carry ack = ISN + 1 all the same (a
 * SYN-RECEIVED peer answering an unacceptable segment, 3.10.7.4 first
 * check); 3.10.7.3 drops it (acceptable ACK, neither SYN nor RST: fifth
 * check), which is the plain-ACK row's SYN-SENT cell: the client stays
 * SYN-SENT, and the SYN-ACK that follows still opens it.  (cell coverage
 * checks the row: the marked cells stay unreached.)  Must not: that ACK
 * completes nothing -- the server's third-ACK wait is untouched. */
static void test_bare_ack_of_syn_to_syn_sent(void)
{
    run r;
    static const step steps[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'S', "A", 5001, 1001, 0, NULL, "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", ANY, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", ANY, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", ANY, 0 },
    };
    run_init(&r);
    RUN(&r, "bare_ack_of_syn_to_syn_sent", steps);
}

/* spec_76 (router_rst): after the forged RST of test_forged_rst, the
 * client's stack, which has no TCB, answers the server's data with
 * <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.1), seq 1001 = the server's
 * RCV.NXT: accepted, server ESTABLISHED -> CLOSED (3.10.7.4 second check),
 * "Reset: abort".  The half-open condition (3.5.2) was reported on the
 * server's data, which proved it never sent the RST; this RST is the
 * recovery 3.5.2 describes, and raises nothing again (as spec_49's, where
 * the receiver missed a real RST).  Must not: the same data and RST
 * without any earlier RST -- the data is the first sign that the client
 * lost the connection, and the RST's form says so: half_open there. */
static void test_forged_rst_recovery(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "PA", 1001, 5001, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "R", 5001, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", NULL, NULL, ANY, 0 },
        { 'S', "PA", 5001, 1001, 300, "After reset", "CLOSED", "CLOSED", "ESTABLISHED", "ESTABLISHED",
          B(PACKETS_AFTER_RESET) | B(HALF_OPEN), 350 },
        { 'C', "R", 1001, 0, 0, "Reset: abort", "CLOSED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
    };
    static const step first_sign[] = {
        HANDSHAKE,
        { 'S', "PA", 5001, 1001, 300, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "R", 1001, 0, 0, "Reset: abort", "CLOSED", "CLOSED", "ESTABLISHED", "CLOSED", B(HALF_OPEN), 0 },
    };
    /* must not either: a RST that reset nobody (test_rst_old_ack: both ends
     * went on from their TCBs) ends that episode; the client's later bare
     * RST at the server's data is a new half-open connection (its client
     * lost the connection, 3.5.2): half_open, and the client was CLOSED
     * when the data came (3.10.7.1's form) */
    static const step later[] = {
        HANDSHAKE,
        { 'C', "PA", 1001, 5001, 100, NULL, NULL, NULL, NULL, NULL, ANY, 0 },
        { 'S', "PA", 5001, 1101, 100, NULL, NULL, NULL, NULL, NULL, ANY, 0 },
        LEAD('C', "A", 1101, 5101),
        { 'S', "PA", 5101, 1101, 100, NULL, NULL, NULL, NULL, NULL, ANY, 0 },
        LEAD('S', "R", 5101, 0),
        LEAD('C', "A", 1101, 5201),
        { 'C', "PA", 1101, 5201, 100, NULL, NULL, NULL, NULL, NULL, ANY, 0 },
        { 'S', "A", 5201, 1201, 0, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'S', "PA", 5201, 1201, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "R", 1201, 0, 0, "Reset: abort", "CLOSED", "CLOSED", "ESTABLISHED", "CLOSED", B(HALF_OPEN), 0 },
    };
    ts_record v;
    run_init(&r);
    RUN(&r, "forged_rst_recovery", steps);
    v = ts_hindsight(&r.rec[6], 7);
    expect(!(v.anomalies & B(HALF_OPEN)) && ts_rec_server_after(&v) == TS_CLOSED, "forged_rst_recovery",
           "hindsight: the recovery RST, no second half_open");
    run_init(&r);
    RUN(&r, "forged_rst_recovery_not", first_sign);
    run_init(&r);
    RUN(&r, "forged_rst_recovery_not_after_nobody", later);
}

/* spec_54 (fin_timeout): the server closes first, the client acknowledges
 * its FIN (server FIN-WAIT-2), and much later the client's FIN draws a RST
 * without ACK at exactly that FIN's ack.  Only an endpoint without a TCB
 * answers so (RFC 9293 3.10.7.1, <SEQ=SEG.ACK><CTL=RST>); a FIN-WAIT-2 TCB
 * acknowledges the FIN and enters TIME-WAIT (3.10.7.4 eighth check).  So
 * the server's TCB was gone before the FIN (Linux's tcp_fin_timeout drops
 * an orphaned FIN-WAIT-2 socket; RFC 9293 has no such timer): the NO_TCB
 * record, as for spec_48's silent client.  One pass: the FIN is taken as
 * the RFC says (FIN-WAIT-2 -> TIME-WAIT: nothing shows otherwise yet), the
 * RST proves the server CLOSED before it; two passes: CLOSED on the FIN
 * too.  The RST is acceptable to the LAST-ACK client (seq = its RCV.NXT):
 * CLOSED (3.10.7.4 second check).  Not half-open: the server's FIN was
 * acknowledged, both ends knew the connection was closing (3.5.2).
 * Must not: the same FIN answered by a RST-ACK (not the no-TCB form for a
 * segment with ACK), or by a bare RST at another seq (not SEG.ACK): no
 * record, the FIN took the server to TIME-WAIT as the RFC says.  Nor when
 * the FIN carries data: a live FIN-WAIT-2 TCB whose user has closed answers
 * new data with a RST (3.6.1, RFC 1122 4.2.2.13), at the same seq. */
static void test_fin_wait_2_expired(void)
{
    run r;
    ts_record v;
    static const step steps[] = {
        HANDSHAKE,
        { 'S', "FA", 5001, 1001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "CLOSE-WAIT", "ESTABLISHED", "FIN-WAIT-1", 0, 0 },
        { 'C', "A", 1001, 5002, 0, "Teardown 2/4: ACK of FIN", "CLOSE-WAIT", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-2", 0, 0 },
        { 'C', "FA", 1001, 5002, 0, "Teardown 3/4: FIN", "CLOSE-WAIT", "LAST-ACK", "FIN-WAIT-2", "TIME-WAIT", 0, 2500 },
        { 'S', "R", 5002, 0, 0, "Reset: abort", "LAST-ACK", "CLOSED", "CLOSED", "CLOSED", 0, 0 },
    };
    static const step rst_ack[] = {
        HANDSHAKE,
        LEAD('S', "FA", 5001, 1001),
        LEAD('C', "A", 1001, 5002),
        { 'C', "FA", 1001, 5002, 0, "Teardown 3/4: FIN", NULL, NULL, "FIN-WAIT-2", "TIME-WAIT", 0, 2500 },
        { 'S', "RA", 5002, 1002, 0, NULL, NULL, NULL, "TIME-WAIT", NULL, ANY, 0 },
    };
    static const step other_seq[] = {
        HANDSHAKE,
        LEAD('S', "FA", 5001, 1001),
        LEAD('C', "A", 1001, 5002),
        { 'C', "FA", 1001, 5002, 0, "Teardown 3/4: FIN", NULL, NULL, "FIN-WAIT-2", "TIME-WAIT", 0, 2500 },
        { 'S', "R", 5001, 0, 0, NULL, NULL, NULL, "TIME-WAIT", NULL, ANY, 0 },
    };
    static const step fin_with_data[] = {
        HANDSHAKE,
        LEAD('S', "FA", 5001, 1001),
        LEAD('C', "A", 1001, 5002),
        { 'C', "FPA", 1001, 5002, 100, NULL, NULL, NULL, "FIN-WAIT-2", NULL, ANY, 0 },
        { 'S', "R", 5002, 0, 0, NULL, NULL, NULL, NULL, "CLOSED", ANY, 0 },
    };
    run_init(&r);
    RUN(&r, "fin_wait_2_expired", steps);
    v = ts_hindsight(&r.rec[5], 6);
    expect(ts_rec_server_before(&v) == TS_CLOSED && ts_rec_server_after(&v) == TS_CLOSED &&
           ts_rec_client_after(&v) == TS_LAST_ACK, "fin_wait_2_expired",
           "hindsight: the FIN met no TCB at the server");
    v = ts_hindsight(&r.rec[4], 5);
    expect(ts_rec_server_after(&v) == TS_FIN_WAIT_2, "fin_wait_2_expired",
           "hindsight: the ACK of the server's FIN did arrive (FIN-WAIT-2)");
    expect(ts_conn_in_flight(r.rec[0].conn, 6, TS_SERVER, NULL) == TS_FLIGHT_NO_TCB, "fin_wait_2_expired",
           "the record says so");
    run_init(&r);
    RUN(&r, "fin_wait_2_expired_not_rst_ack", rst_ack);
    expect(ts_conn_in_flight(r.rec[0].conn, 6, TS_SERVER, NULL) == TS_FLIGHT_NONE,
           "fin_wait_2_expired_not_rst_ack", "a RST-ACK is not the no-TCB reply to a FIN");
    run_init(&r);
    RUN(&r, "fin_wait_2_expired_not_other_seq", other_seq);
    expect(ts_conn_in_flight(r.rec[0].conn, 6, TS_SERVER, NULL) == TS_FLIGHT_NONE,
           "fin_wait_2_expired_not_other_seq", "a RST not at SEG.ACK is not the no-TCB reply");
    run_init(&r);
    RUN(&r, "fin_wait_2_expired_not_fin_with_data", fin_with_data);
    expect(ts_conn_in_flight(r.rec[0].conn, 6, TS_SERVER, NULL) == TS_FLIGHT_NONE,
           "fin_wait_2_expired_not_fin_with_data", "a RST to a FIN with data may come from a live TCB (3.6.1)");
    v = ts_hindsight(&r.rec[5], 6);
    expect(ts_rec_server_before(&v) == TS_FIN_WAIT_2, "fin_wait_2_expired_not_fin_with_data",
           "hindsight: the FIN with data reached a live FIN-WAIT-2 TCB");
}

/* Defect 3, lost FIN: the server's data after the client's FIN still
 * acknowledges below it, and the client's RST at exactly that ack (the
 * server's RCV.NXT, 3.10.7.4) is accepted: the FIN never arrived.  The
 * server was ESTABLISHED all along (hindsight; on the RST in both passes)
 * and the FIN is unacknowledged.  Must not: a RST at the FIN's successor
 * (the FIN arrived) leaves CLOSE-WAIT. */
static void test_rst_proves_fin_lost(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        { 'S', "PA", 5001, 1001, 10, NULL, NULL, NULL, NULL, NULL, 0, 200 },
        { 'C', "RA", 1001, 5011, 0, "Reset: abort", "FIN-WAIT-1", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
    };
    static const step fin_arrived[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "PA", 5001, 1002, 10, NULL, NULL, NULL, NULL, NULL, ANY, 0 },
        { 'C', "R", 1002, 0, 0, "Reset: abort", NULL, NULL, "CLOSE-WAIT", "CLOSED", ANY, 0 },
    };
    ts_record v;
    run_init(&r);
    RUN(&r, "rst_proves_fin_lost", steps);
    v = ts_hindsight(&r.rec[3], 4);
    expect(ts_rec_server_after(&v) == TS_ESTABLISHED, "rst_proves_fin_lost", "hindsight: the FIN never arrived");
    v = ts_hindsight(&r.rec[4], 5);
    expect(ts_rec_server_after(&v) == TS_ESTABLISHED, "rst_proves_fin_lost", "hindsight: data from ESTABLISHED");
    expect(ts_deferred_anomalies(&r.rec[3], r.now_ns + 10000000000LL, 2000000000LL, 0) == B(FIN_UNACKED),
           "rst_proves_fin_lost", "the FIN is unacknowledged");
    run_init(&r);
    RUN(&r, "rst_after_fin_arrived", fin_arrived);
    expect(ts_conn_in_flight(r.rec[0].conn, 4, TS_SERVER, NULL) != TS_FLIGHT_FIN_LOST,
           "rst_after_fin_arrived", "the FIN arrived");
}

/* In flight, the mirror of defect 8 (spec_49 rst_lost_downstream): the
 * server's RST-ACK at the client's RCV.NXT is accepted as far as one pass
 * knows; then the client sends data from its TCB (its seq, its ack), which
 * no endpoint has after taking a RST (3.10.7.4: CLOSED, TCB deleted): the
 * RST never reached it.  Client ESTABLISHED again (one pass from the proof,
 * two passes from the RST); the server, which did send it, stays CLOSED:
 * half-open, said once, on the proof (3.5.2).  The server's no-TCB reply
 * (3.10.7.1, <SEQ=SEG.ACK><CTL=RST>) at the client's RCV.NXT then really
 * resets the client: "Reset: abort", no anomaly again. */
static void test_rst_lost(void)
{
    run r;
    ts_record v;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "PA", 1001, 5001, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "PA", 5001, 1101, 200, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "A", 1101, 5201, 0, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "RA", 5201, 1101, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
        { 'C', "PA", 1101, 5201, 100, "After reset", "ESTABLISHED", "ESTABLISHED", "CLOSED", "CLOSED",
          B(PACKETS_AFTER_RESET) | B(HALF_OPEN), 380 },
        { 'S', "R", 5201, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "CLOSED", "CLOSED", 0, 0 },
    };
    /* must not: the RST's receiver answers nothing but a RST of its own (no
     * live TCB shown): the RST stands for both (spec_48's shape) */
    static const step stands[] = {
        HANDSHAKE,
        { 'S', "RA", 5001, 1001, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
        { 'C', "R", 1001, 0, 0, NULL, NULL, "CLOSED", NULL, "CLOSED", ANY, 0 },
    };
    run_init(&r);
    RUN(&r, "rst_lost", steps);
    v = ts_hindsight(&r.rec[6], 7);
    expect(ts_rec_client_before(&v) == TS_ESTABLISHED && ts_rec_client_after(&v) == TS_ESTABLISHED &&
           ts_rec_server_after(&v) == TS_CLOSED && v.stage == TS_STAGE_RST_ABORT,
           "rst_lost", "hindsight: the RST never reached the client; the server did abort");
    expect(ts_conn_in_flight(r.rec[0].conn, 7, TS_CLIENT, NULL) == TS_FLIGHT_RST_LOST, "rst_lost",
           "the record says so");
    v = ts_hindsight(&r.rec[7], 8);
    expect(v.stage == TS_STAGE_AFTER_RESET && (v.anomalies & B(HALF_OPEN)), "rst_lost",
           "hindsight: the data still met a server without TCB");
    run_init(&r);
    RUN(&r, "rst_lost_not", stands);
    expect(ts_conn_in_flight(r.rec[0].conn, 4, TS_CLIENT, NULL) == TS_FLIGHT_NONE &&
           ts_conn_in_flight(r.rec[0].conn, 4, TS_SERVER, NULL) == TS_FLIGHT_NONE,
           "rst_lost_not", "no segment from a live TCB: nothing in flight");
}

/* spec_85 (abort_beyond_rcv_nxt) in short: the server's 100 bytes at 5001
 * never reach the client (lost after the capture point), whose own data
 * still acknowledges 5001: its RCV.NXT.  The server then aborts with a
 * RST-ACK at its SND.NXT 5101 (3.10.5 ABORT, <SEQ=SND.NXT>).  One pass
 * takes the RST (everything a sender sent is taken as arrived until a
 * later segment proves otherwise; the capture cannot tell at the RST
 * whether the data crossed the client's ACK).  The client's next segment,
 * straight after the RST, is a bare ACK from its TCB at <SEQ=SND.NXT>
 * <ACK=RCV.NXT> with the same RCV.NXT 5001: the challenge ACK RFC 5961 3.2
 * (RFC 9293 3.10.7.4 first check) prescribes for a RST inside the window
 * (5001 < 5101 < 5001 + 65535) but not at RCV.NXT.  So the RST arrived and
 * was not accepted: "Challenge ACK", challenge_ack, and half-open (the
 * server did abort, 3.5.2), not "After reset"; two passes show the RST
 * "Reset: not accepted" with the client ESTABLISHED throughout.  The
 * server's no-TCB reply at 5001 (3.10.7.1) then resets the client.
 * Must-nots: the same ACK after a RST at exactly the client's acknowledged
 * RCV.NXT (it would have been accepted: lost, test_rst_lost's story), and
 * data instead of a bare ACK after the in-window RST (no challenge ACK:
 * the RST's fate stays "lost"). */
static void test_rst_challenged(void)
{
    run r;
    ts_record v;
#define RST_CHALLENGED_START                                                                           \
    HANDSHAKE,                                                                                        \
    { 'C', "PA", 1001, 5001, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },                    \
    { 'S', "PA", 5001, 1101, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },                    \
    { 'C', "PA", 1101, 5001, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 }
    static const step steps[] = {
        RST_CHALLENGED_START,
        { 'S', "RA", 5101, 1201, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
        { 'C', "A", 1201, 5001, 0, "Challenge ACK", "ESTABLISHED", "ESTABLISHED", "CLOSED", "CLOSED",
          B(CHALLENGE_ACK) | B(HALF_OPEN), 0 },
        { 'S', "R", 5001, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "CLOSED", "CLOSED", 0, 0 },
    };
    static const step exact[] = {
        RST_CHALLENGED_START,
        { 'S', "RA", 5001, 1201, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
        { 'C', "A", 1201, 5001, 0, "After reset", "ESTABLISHED", "ESTABLISHED", "CLOSED", "CLOSED",
          B(PACKETS_AFTER_RESET) | B(HALF_OPEN), 0 },
    };
    static const step data[] = {
        RST_CHALLENGED_START,
        { 'S', "RA", 5101, 1201, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
        { 'C', "PA", 1201, 5001, 100, "After reset", "ESTABLISHED", "ESTABLISHED", "CLOSED", "CLOSED",
          B(PACKETS_AFTER_RESET) | B(HALF_OPEN), 0 },
    };
#undef RST_CHALLENGED_START
    run_init(&r);
    RUN(&r, "rst_challenged", steps);
    v = ts_hindsight(&r.rec[6], 7);
    expect(v.stage == TS_STAGE_RST_IGNORED && ts_rec_client_before(&v) == TS_ESTABLISHED &&
           ts_rec_client_after(&v) == TS_ESTABLISHED && ts_rec_server_after(&v) == TS_CLOSED &&
           !(v.anomalies & (B(HALF_OPEN) | B(RST_OUT_OF_WINDOW))),
           "rst_challenged", "hindsight: the RST arrived inside the window and was not accepted");
    v = ts_hindsight(&r.rec[7], 8);
    expect(v.stage == TS_STAGE_CHALLENGE_ACK && v.anomalies == (B(CHALLENGE_ACK) | B(HALF_OPEN)),
           "rst_challenged", "hindsight: the challenge ACK, to a server that did abort");
    expect(ts_conn_in_flight(r.rec[0].conn, 7, TS_CLIENT, NULL) == TS_FLIGHT_RST_LOST,
           "rst_challenged", "the record says the client missed the RST's effect");
    run_init(&r);
    RUN(&r, "rst_challenged_not_exact", exact);
    v = ts_hindsight(&r.rec[6], 7);
    expect(v.stage == TS_STAGE_RST_ABORT, "rst_challenged_not_exact",
           "hindsight: a RST at RCV.NXT would have been taken: lost, still shown as sent");
    run_init(&r);
    RUN(&r, "rst_challenged_not_data", data);
    v = ts_hindsight(&r.rec[6], 7);
    expect(v.stage == TS_STAGE_RST_ABORT, "rst_challenged_not_data",
           "hindsight: data proves no challenge ACK");
}

/* Review F3 (spec_10_rst_old_ack): a RST in the server's name at the
 * client's last ACK (101) while the server's next 100 bytes have already
 * reached the client (its RCV.NXT is 201).  One pass accepts it (the rule
 * spec_48 needs: RCV.NXT is what the receiver's ACKs say).  Then the client
 * acknowledges 201 from its TCB (it missed the RST: RST_LOST, its ack past
 * the RST's seq: below its window) and the server answers the client's
 * next data from its own TCB (it never sent the RST: RST_FORGED).  Both
 * ends went on: the RST reset nobody.  One pass: the proofs' corrections
 * from the second proof on, "Data transfer" and a normal close; two passes:
 * the RST "Reset: not accepted" with rst_out_of_window (3.10.7.4 first
 * check, RFC 5961 3.2), everybody ESTABLISHED, the segments between plain
 * data again. */
static void test_rst_old_ack(void)
{
    run r;
    ts_record v;
    static const step steps[] = {
        HANDSHAKE,
        { 'C', "PA", 1001, 5001, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "PA", 5001, 1101, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'C', "A", 1101, 5101, 0, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "PA", 5101, 1101, 100, "Data transfer", NULL, NULL, NULL, NULL, 0, 0 },
        { 'S', "R", 5101, 0, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "ESTABLISHED", "CLOSED", 0, 0 },
        { 'C', "A", 1101, 5201, 0, "After reset", "ESTABLISHED", "ESTABLISHED", "CLOSED", "CLOSED",
          B(PACKETS_AFTER_RESET) | B(HALF_OPEN), 0 },
        { 'C', "PA", 1101, 5201, 100, "After reset", "ESTABLISHED", "ESTABLISHED", "CLOSED", "CLOSED",
          B(PACKETS_AFTER_RESET), 0 },
        { 'S', "A", 5201, 1201, 0, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'C', "FA", 1201, 5201, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        { 'S', "A", 5201, 1202, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        { 'S', "FA", 5201, 1202, 0, "Teardown 3/4: FIN", "FIN-WAIT-2", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK", 0, 0 },
        { 'C', "A", 1202, 5202, 0, "Teardown 4/4: final ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "rst_old_ack", steps);
    v = ts_hindsight(&r.rec[7], 8);
    expect(v.stage == TS_STAGE_RST_IGNORED && v.anomalies == B(RST_OUT_OF_WINDOW) &&
           v.states == ((TS_ESTABLISHED << 4) | TS_ESTABLISHED) &&
           v.server_states == ((TS_ESTABLISHED << 4) | TS_ESTABLISHED),
           "rst_old_ack", "hindsight: the RST reset nobody, below the client's window");
    for (int i = 8; i <= 9; i++) {
        v = ts_hindsight(&r.rec[i], (uint32_t)i + 1);
        expect(v.stage == TS_STAGE_DATA && v.anomalies == 0 &&
               v.server_states == ((TS_ESTABLISHED << 4) | TS_ESTABLISHED),
               "rst_old_ack", "hindsight: ordinary data between the RST and the proofs");
    }
    expect(ts_conn_outcome(r.rec[0].conn) == TS_OUT_FOUR_WAY, "rst_old_ack", "a normal close");
}

/* Review F2 (spec_11_fin_ack_crossed): the server resends its FIN after the
 * captured final ACK (one pass: the final ACK lost, server back in
 * LAST-ACK), the client acknowledges it again from TIME-WAIT (3.10.7.4),
 * and the server answers that ACK with a RST without ACK at its ack: the
 * form of an endpoint without TCB (3.10.7.1), which a LAST-ACK endpoint is
 * not (an ACK of its FIN closes it silently).  So the first final ACK did
 * arrive, after the resent FIN left (they crossed).  Two passes fold the
 * crossing as crossing FINs are folded: the server LAST-ACK on the first
 * final ACK (still in flight), LAST-ACK -> CLOSED on the resent FIN (sent
 * from LAST-ACK, then the ACK taken; a CLOSED TCP sends no FIN, 3.10.7.1),
 * CLOSED on the second ACK.  (Until session 7 the view had the server
 * CLOSED at the first ACK and CLOSED -> CLOSED on the resent FIN:
 * tests/continuity.py's sender check, spec_53.)  Must not: without the
 * RST, the resent FIN still proves the final ACK lost
 * (spec_11_final_ack_lost). */
static void test_fin_ack_crossed(void)
{
    run r;
    ts_record v;
    static const step steps[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "A", 5001, 1002),
        LEAD('S', "FA", 5001, 1002),
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", "TIME-WAIT", "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
        { 'S', "FA", 5001, 1002, 0, "Teardown 3/4: FIN", NULL, "TIME-WAIT", "LAST-ACK", "LAST-ACK", 0, 200 },
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", NULL, "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
        { 'S', "R", 5002, 0, 0, "Reset: abort", "TIME-WAIT", "CLOSED", "CLOSED", "CLOSED", 0, 0 },
    };
    static const step lost[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "A", 5001, 1002),
        LEAD('S', "FA", 5001, 1002),
        LEAD('C', "A", 1002, 5002),
        { 'S', "FA", 5001, 1002, 0, "Teardown 3/4: FIN", NULL, NULL, "LAST-ACK", "LAST-ACK", 0, 200 },
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", NULL, NULL, "LAST-ACK", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "fin_ack_crossed", steps);
    v = ts_hindsight(&r.rec[6], 7);
    expect(v.server_states == ((TS_LAST_ACK << 4) | TS_LAST_ACK),
           "fin_ack_crossed", "hindsight: the first final ACK still in flight");
    v = ts_hindsight(&r.rec[7], 8);
    expect(v.server_states == ((TS_LAST_ACK << 4) | TS_CLOSED), "fin_ack_crossed",
           "hindsight: the resent FIN sent from LAST-ACK, then the crossing ACK taken");
    v = ts_hindsight(&r.rec[8], 9);
    expect(v.server_states == ((TS_CLOSED << 4) | TS_CLOSED), "fin_ack_crossed",
           "hindsight: the second final ACK meets a CLOSED server");
    expect(ts_conn_in_flight(r.rec[0].conn, 7, TS_SERVER, NULL) == TS_FLIGHT_DELIVERED, "fin_ack_crossed",
           "the final ACK is no longer taken as lost: delivered after the resent FIN");
    run_init(&r);
    RUN(&r, "fin_ack_lost", lost);
    expect(ts_conn_in_flight(r.rec[0].conn, 7, TS_SERVER, NULL) == TS_FLIGHT_ACK_LOST, "fin_ack_lost",
           "without the RST the resent FIN proves the final ACK lost");
}

/* Both passes' client states of record i (frame i + 1), packed as before << 4 | after. */
static unsigned client_view(const run *r, int i)
{
    ts_record v = ts_hindsight(&r->rec[i], (uint32_t)i + 1);
    return v.states;
}

#define CS(b, a) ((TS_##b << 4) | TS_##a)

/* A SYN-ACK lost before the client (spec_60, spec_79): a SYN-SENT endpoint
 * that receives an acceptable SYN-ACK enters ESTABLISHED and answers with an
 * ACK (RFC 9293 3.10.7.3); only SYN-SENT resends its SYN (3.8.1).  The client
 * resending its SYN a second after the captured SYN-ACK, with no ACK of its
 * own, never got it: one pass corrects from the resent SYN on (SYN-SENT),
 * two passes show the SYN-ACK's frame SYN-SENT -> SYN-SENT too.  Must not:
 * the same resent SYN followed at once by the client's ACK, with no SYN-ACK
 * captured after it: that ACK answers the SYN-ACK before the resent SYN,
 * which crossed it and arrived (each SYN-ACK that arrives draws one ACK,
 * 3.10.7.3 / 3.10.7.4 first check); the resent SYN's sender is still shown
 * SYN-SENT there, as only SYN-SENT resends a SYN (3.8.1). */
static void test_synack_lost_resent_syn(void)
{
    run r;
    static const step lost[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        /* one pass: taken as delivered until something proves otherwise */
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        /* the proof: the client is SYN-SENT from here on; the server, SYN-RECEIVED, answers it */
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", 0, 1000 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'C', "PA", 1001, 5001, 10, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    static const step crossed[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        /* one pass knows only that the client had no SYN-ACK when it sent this */
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        /* no SYN-ACK since the resent SYN: this ACK answers frame 2, which arrived */
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'C', "PA", 1001, 5001, 10, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "synack_lost", lost);
    expect(client_view(&r, 1) == CS(SYN_SENT, SYN_SENT), "synack_lost",
           "hindsight: the lost SYN-ACK left the client SYN-SENT");
    expect(client_view(&r, 2) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 3) == CS(SYN_SENT, ESTABLISHED),
           "synack_lost", "hindsight: the resent SYN from SYN-SENT, the next SYN-ACK arrives");
    expect(ts_conn_in_flight(r.rec[0].conn, 2, TS_CLIENT, NULL) == TS_FLIGHT_SYNACK_LOST &&
           ts_conn_in_flight(r.rec[0].conn, 4, TS_CLIENT, NULL) == TS_FLIGHT_NONE,
           "synack_lost", "the first SYN-ACK is recorded lost, the second not");
    expect(r.rec[0].conn->established, "synack_lost", "established by the third ACK");
    run_init(&r);
    RUN(&r, "synack_crossed_resent_syn", crossed);
    expect(client_view(&r, 1) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 2) == CS(SYN_SENT, SYN_SENT) &&
           client_view(&r, 3) == CS(SYN_SENT, ESTABLISHED),
           "synack_crossed_resent_syn", "hindsight: the SYN-ACK arrived after the resent SYN left");
    expect(ts_conn_in_flight(r.rec[0].conn, 2, TS_CLIENT, NULL) == TS_FLIGHT_DELIVERED,
           "synack_crossed_resent_syn", "the SYN-ACK is not recorded lost: delivered, late");
}

/* spec_60's order: SYN-ACK lost, the server's timer resends it (3) as the
 * client resends its SYN (4), crossing; the client ACKs 3 (5); the server,
 * still SYN-RECEIVED when 4 reached it, answers 4 with a SYN-ACK (6, RFC 9293
 * 3.10.7.4 first check; Linux resends the SYN-ACK), which the ESTABLISHED
 * client ACKs again (7).  6 answers a SYN captured after the server's
 * previous segment: it proves nothing about 5 (review F1), although the
 * server has sent as many SYN-ACKs as the client SYNs.  7 is no handshake
 * step: "Data transfer".  Must not (spec_79's order): with the duplicate
 * SYN answered before the client's ACK (S SA SA S SA A A), two ACKs answer
 * two SYN-ACKs after the first was lost: the second ACK, an exact copy of
 * the first, proves the SYN-ACK before the resent SYN arrived (not a copy:
 * "Data transfer"); with only one ACK, that SYN-ACK was lost too. */
static void test_synack_lost_crossing_resends(void)
{
    run r;
    static const step router[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 0 },
        LEAD('S', "SA", 5000, 1001),
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 1000 },
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    static const step answered_first[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", NULL, "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 1000 },
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'C', "A", 1001, 5001, 0, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "synack_lost_router", router);
    expect(client_view(&r, 1) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 2) == CS(SYN_SENT, SYN_SENT) &&
           client_view(&r, 3) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 4) == CS(SYN_SENT, ESTABLISHED),
           "synack_lost_router", "hindsight: 2 lost, 3 crossed 4 and arrived, 5 answers it");
    expect(ts_conn_in_flight(r.rec[0].conn, 5, TS_SERVER, NULL) == TS_FLIGHT_NONE, "synack_lost_router",
           "the SYN-ACK answering the duplicate SYN proves no third ACK lost");
    run_init(&r);
    RUN(&r, "synack_lost_answered_first", answered_first);
    expect(client_view(&r, 1) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 2) == CS(SYN_SENT, SYN_SENT) &&
           client_view(&r, 3) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 4) == CS(SYN_SENT, SYN_SENT) &&
           client_view(&r, 5) == CS(SYN_SENT, ESTABLISHED) && client_view(&r, 6) == CS(ESTABLISHED, ESTABLISHED),
           "synack_lost_answered_first", "hindsight: the second ACK proves 3 arrived, answered by 6");
    /* the same without the last ACK */
    run_init(&r);
    for (size_t i = 0; i + 1 < sizeof answered_first / sizeof answered_first[0]; i++)
        feed(&r, "synack_lost_one_ack", &answered_first[i]);
    expect(client_view(&r, 2) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 3) == CS(SYN_SENT, SYN_SENT),
           "synack_lost_one_ack", "hindsight: one ACK for one SYN-ACK: 3 was lost too");
}

/* Review 6 finding 1 (/tmp/rev6/s1_crossing_data.pcap): the SYN-ACK (2)
 * crosses the resent SYN (3) and the client's first segment after it is its
 * request (4), carrying the ACK (the pure ACK delayed behind the pending
 * write, or lost before the capture point).  A segment whose ACK covers the
 * server's SYN comes only from a synchronized TCB: SYN-SENT sends an ACK only
 * on an acceptable SYN-ACK (RFC 9293 3.10.7.3) and queues data sent before
 * (3.10.4).  No SYN-ACK was captured after the resend, so 2 is the one that
 * arrived: the client is ESTABLISHED at 4, no data_before_handshake, and two
 * passes record nothing lost.  Must not: with a SYN-ACK captured after the
 * resend (4), the request answers that one; 2 stays lost in hindsight. */
static void test_synack_crossed_answered_by_data(void)
{
    run r;
    static const step crossed[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        LEAD('C', "S", 1000, 0),
        { 'C', "PA", 1001, 5001, 18, NULL, NULL, "ESTABLISHED", NULL, "ESTABLISHED", 0, 0 },
        { 'S', "A", 5001, 1019, 0, NULL, "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    static const step later[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        { 'C', "PA", 1001, 5001, 18, NULL, "ESTABLISHED", "ESTABLISHED", NULL, "ESTABLISHED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "synack_crossed_answered_by_data", crossed);
    expect(ts_conn_in_flight(r.rec[0].conn, 2, TS_CLIENT, NULL) != TS_FLIGHT_SYNACK_LOST &&
           client_view(&r, 1) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 2) == CS(SYN_SENT, SYN_SENT) &&
           client_view(&r, 3) == CS(SYN_SENT, ESTABLISHED),
           "synack_crossed_answered_by_data", "hindsight: the crossing SYN-ACK arrived, after the resend");
    run_init(&r);
    RUN(&r, "synack_later_answered_by_data", later);
    expect(ts_conn_in_flight(r.rec[0].conn, 2, TS_CLIENT, NULL) == TS_FLIGHT_SYNACK_LOST &&
           client_view(&r, 1) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 3) == CS(SYN_SENT, ESTABLISHED),
           "synack_later_answered_by_data", "hindsight: 2 lost, the later SYN-ACK answered");
}

/* Review 6 finding 8 (/tmp/rev6/f8_saturate.pcap): S, SA (lost), S, then
 * four SYN-ACKs (Linux tcp_synack_retries resends up to 5) and four ACKs,
 * one per later SYN-ACK.  The count of SYN-ACKs owed an answer is two bits:
 * on a fourth, the watch gives up rather than let the fourth ACK "prove"
 * the SYN-ACK before the resend delivered.  Must produce: no DELIVERED,
 * the resent SYN (3) SYN-SENT in hindsight (only SYN-SENT resends a SYN,
 * RFC 9293 3.8.1).  Must not count: a keepalive (seq = SND.NXT-1, RFC 1122
 * 4.2.3.6) is no answer to a SYN-ACK, whose ACK carries seq = SND.NXT
 * (3.10.7.3): S, SA, S, SA, keepalive, A: the A answers the later SYN-ACK,
 * the keepalive ends the count, so 2 stays lost. */
static void test_synack_watch_limits(void)
{
    run r;
    static const step saturate[] = {
        LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001), LEAD('S', "SA", 5000, 1001), LEAD('S', "SA", 5000, 1001),
        LEAD('S', "SA", 5000, 1001),
        LEAD('C', "A", 1001, 5001), LEAD('C', "A", 1001, 5001), LEAD('C', "A", 1001, 5001),
        LEAD('C', "A", 1001, 5001),
    };
    static const step keepalive[] = {
        LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001), LEAD('C', "A", 1000, 5001), LEAD('C', "A", 1001, 5001),
    };
    run_init(&r);
    RUN(&r, "synack_watch_saturates", saturate);
    expect(ts_conn_in_flight(r.rec[0].conn, 2, TS_CLIENT, NULL) == TS_FLIGHT_SYNACK_LOST &&
           client_view(&r, 2) == CS(SYN_SENT, SYN_SENT), "synack_watch_saturates",
           "hindsight: no DELIVERED proof, the resent SYN from SYN-SENT");
    run_init(&r);
    RUN(&r, "synack_watch_keepalive", keepalive);
    expect(ts_conn_in_flight(r.rec[0].conn, 2, TS_CLIENT, NULL) == TS_FLIGHT_SYNACK_LOST &&
           client_view(&r, 2) == CS(SYN_SENT, SYN_SENT), "synack_watch_keepalive",
           "a keepalive answers no SYN-ACK: 2 stays lost");
}

/* Review 6 finding 5 (/tmp/rev6/s2_two_in_flight.pcap): with an RTT above
 * the SYN timer, three SYN-ACKs are in flight and three ACKs answer them
 * (S SA S SA S SA A A A).  Whatever the records say about which SYN-ACK
 * arrived when, only SYN-SENT resends a SYN (RFC 9293 3.8.1): in hindsight
 * the client is SYN-SENT -> SYN-SENT at both resent SYNs (3 and 5), never
 * ESTABLISHED.  Must not: its ACKs keep the client ESTABLISHED: the first
 * (7) is the "snd ACK" of figure 5's SYN-SENT -> ESTABLISHED edge (the
 * crossing SYN-ACK 4, proved delivered, is held in flight until its
 * answer), the next (8) is sent from ESTABLISHED (3.10.7.4 first check). */
static void test_synack_resent_syn_view(void)
{
    run r;
    static const step steps[] = {
        LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001), LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001),
        LEAD('C', "A", 1001, 5001), LEAD('C', "A", 1001, 5001), LEAD('C', "A", 1001, 5001),
    };
    run_init(&r);
    RUN(&r, "synack_resent_syn_view", steps);
    expect(client_view(&r, 2) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 4) == CS(SYN_SENT, SYN_SENT),
           "synack_resent_syn_view", "hindsight: every resent SYN from SYN-SENT");
    expect(client_view(&r, 6) == CS(SYN_SENT, ESTABLISHED) && client_view(&r, 7) == CS(ESTABLISHED, ESTABLISHED),
           "synack_resent_syn_view", "hindsight: the first ACK answers the first SYN-ACK to arrive");
}

/* Hindsight continuity of the client: what frame i leaves it in is what
 * frame i+1 starts from (no captured segment of the client's own comes in
 * between; a SYN-ACK's arrival is folded into a frame, never shown between
 * two).  Returns the first frame (1-based) that breaks it, 0 if none. */
static int client_gap(const run *r)
{
    for (int i = 0; i + 1 < r->n; i++)
        if ((client_view(r, i) & 0xf) != client_view(r, i + 1) >> 4)
            return i + 1;
    return 0;
}

/* consistency6 kind A: a SYN-ACK that crosses the client's resent SYN.
 * Only SYN-SENT resends a SYN (RFC 9293 3.8.1, 3.10.7.3), so the resent
 * SYN, captured after the SYN-ACK, proves it had not reached the client
 * yet; the client's later ACK that answers no SYN-ACK captured since the
 * resend shows it arrived after all.  Hindsight holds it in flight, as
 * crossing FINs are: client SYN-SENT -> SYN-SENT at the SYN-ACK and at the
 * resent SYN, SYN-SENT -> ESTABLISHED at the ACK that answers it (figure
 * 5: rcv SYN,ACK / snd ACK).  Never ESTABLISHED -> SYN-SENT between two
 * frames, which figure 5 has no edge for.  The three orders of the
 * captures: synack_lost_router (S SA SA S A SA A: 2 lost, 3 crosses 4),
 * tfo_synack_lost (Fast Open SYN with data, SYN-ACK lost, the server's
 * data from SYN-RECEIVED, SA crossing S, SA, A, A: the first ACK answers
 * the crossing SYN-ACK, which left the server before the later one), and
 * crafted_zeek_synack_before_syn (the crossing SYN-ACK stamped before any
 * SYN: SA S A).  One pass keeps what it showed (the SYN-ACK taken as
 * delivered until the resent SYN proves otherwise).  Must not: a SYN-ACK
 * captured after the resent SYN (S SA S SA A) is the one that arrives, at
 * its own frame; a SYN-ACK answered before any resend (S SA A) moves the
 * client at its own frame; no record in either. */
static void test_synack_crossing_continuity(void)
{
    run r;
    static const step router[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "ESTABLISHED", "ESTABLISHED", NULL, NULL, ANY, 1000 },
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", NULL, NULL, ANY, 0 },
        { 'C', "A", 1001, 5001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", NULL, "ESTABLISHED", ANY, 0 },
        LEAD('S', "SA", 5000, 1001),
        LEAD('C', "A", 1001, 5001),
        LEAD('C', "PA", 1001, 5001),
    };
    static const step tfo[] = {
        { 'C', "ST", 1000, 0, 100, NULL, "CLOSED", "SYN-SENT", NULL, "SYN-RECEIVED", ANY, 0 },
        LEAD('S', "SA", 5000, 1101),
        { 'S', "PA", 5001, 1101, 200, NULL, NULL, NULL, NULL, NULL, ANY, 0 },
        { 'S', "SA", 5000, 1101, 0, NULL, NULL, NULL, NULL, NULL, ANY, 1000 },
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", NULL, NULL, ANY, 0 },
        LEAD('S', "SA", 5000, 1101),
        { 'C', "A", 1101, 5001, 0, NULL, NULL, "ESTABLISHED", NULL, "ESTABLISHED", ANY, 0 },
        LEAD('C', "A", 1101, 5001),
    };
    static const step before_syn[] = {
        LEAD('S', "SA", 5000, 1001),
        LEAD('C', "S", 1000, 0),
        { 'C', "A", 1001, 5001, 0, NULL, NULL, "ESTABLISHED", NULL, "ESTABLISHED", ANY, 0 },
        LEAD('C', "PA", 1001, 5001),
    };
    static const step after_resend[] = {
        LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001),
        { 'C', "S", 1000, 0, 0, NULL, NULL, NULL, NULL, NULL, ANY, 1000 },
        LEAD('S', "SA", 5000, 1001), LEAD('C', "A", 1001, 5001),
    };
    static const step answered[] = {
        LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "A", 1001, 5001),
    };
    const char *n = "synack_crossing_router";
    run_init(&r);
    RUN(&r, n, router);
    expect(client_view(&r, 2) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 3) == CS(SYN_SENT, SYN_SENT) &&
           client_view(&r, 4) == CS(SYN_SENT, ESTABLISHED), n, "hindsight: 3 in flight past 4, answered by 5");
    expect(!client_gap(&r), n, "hindsight: client continuous");
    n = "synack_crossing_tfo";
    run_init(&r);
    RUN(&r, n, tfo);
    expect(client_view(&r, 3) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 4) == CS(SYN_SENT, SYN_SENT) &&
           client_view(&r, 5) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 6) == CS(SYN_SENT, ESTABLISHED) &&
           client_view(&r, 7) == CS(ESTABLISHED, ESTABLISHED),
           n, "hindsight: 4 in flight past 5 and 6, answered by 7");
    expect(!client_gap(&r), n, "hindsight: client continuous");
    n = "synack_crossing_before_syn";
    run_init(&r);
    RUN(&r, n, before_syn);
    expect(client_view(&r, 0) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 1) == CS(SYN_SENT, SYN_SENT) &&
           client_view(&r, 2) == CS(SYN_SENT, ESTABLISHED), n, "hindsight: 1 in flight past 2, answered by 3");
    expect(!client_gap(&r), n, "hindsight: client continuous");
    n = "synack_crossing_after_resend";
    run_init(&r);
    RUN(&r, n, after_resend);
    expect(client_view(&r, 3) == CS(SYN_SENT, ESTABLISHED) && client_view(&r, 4) == CS(ESTABLISHED, ESTABLISHED) &&
           ts_conn_in_flight(r.rec[0].conn, 4, TS_CLIENT, NULL) == TS_FLIGHT_NONE,
           n, "hindsight: the SYN-ACK after the resend arrives at its own frame");
    expect(!client_gap(&r), n, "hindsight: client continuous");
    n = "synack_crossing_answered";
    run_init(&r);
    RUN(&r, n, answered);
    expect(client_view(&r, 1) == CS(SYN_SENT, ESTABLISHED) && client_view(&r, 2) == CS(ESTABLISHED, ESTABLISHED) &&
           !r.rec[0].conn->flight, n, "hindsight: answered before any resend: delivered at its frame, no record");
}

/* Review 6 finding 7 (/tmp/rev6/f7_full_log.pcap): eight SYN-ACKs each
 * followed by a resent SYN with no ACK (Linux tcp_syn_retries allows six
 * resends; the count here only has to pass the log's 8 records).  Every
 * SYN-ACK before a resend was lost (3.10.7.3: one that arrived is ACKed;
 * 3.8.1: only SYN-SENT resends): one lost range, extended at each resend,
 * plus the open crossing candidate -- not one record per resend, which
 * would fill the log that one pass reads (RST episodes).  Must still hold:
 * every SYN-ACK before the last resend is shown lost, and the handshake
 * completes from the SYN-ACK after it. */
static void test_synack_lost_merged(void)
{
    run r;
    step steps[20];
    int n = 0;
    steps[n++] = (step)LEAD('C', "S", 1000, 0);
    for (int i = 0; i < 8; i++) {
        steps[n++] = (step)LEAD('S', "SA", 5000, 1001);
        steps[n++] = (step)LEAD('C', "S", 1000, 0);
    }
    steps[n++] = (step)LEAD('S', "SA", 5000, 1001);
    steps[n++] = (step){ 'C', "A", 1001, 5001, 0, NULL, "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 };
    run_init(&r);
    for (int i = 0; i < n; i++)
        feed(&r, "synack_lost_merged", &steps[i]);
    expect(r.rec[0].conn->flight && r.rec[0].conn->flight->n <= 2, "synack_lost_merged",
           "one lost range and one candidate, not one record per resend");
    expect(ts_conn_in_flight(r.rec[0].conn, 2, TS_CLIENT, NULL) == TS_FLIGHT_SYNACK_LOST &&
           ts_conn_in_flight(r.rec[0].conn, 14, TS_CLIENT, NULL) == TS_FLIGHT_SYNACK_LOST &&
           client_view(&r, 15) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 16) == CS(SYN_SENT, SYN_SENT) &&
           client_view(&r, 17) == CS(SYN_SENT, ESTABLISHED),
           "synack_lost_merged", "hindsight: every SYN-ACK before the last resend lost");
    expect(r.rec[0].conn->established, "synack_lost_merged", "established by the ACK");
}

/* spec_66: the first SYN-ACK dropped at the client, whose application closes
 * in SYN-SENT (RFC 9293 3.10.4: the TCB is deleted, nothing is sent); the
 * resent SYN-ACK meets no TCB and draws <SEQ=SEG.ACK><CTL=RST> (3.10.7.1).
 * An ESTABLISHED or SYN-SENT client would have answered an acceptable
 * SYN-ACK with an ACK (3.10.7.4 first check, 3.10.7.3).  The RST takes the
 * passive server back to LISTEN (3.10.7.4 second check); no anomaly.  Two
 * passes: 2 SYN-SENT -> SYN-SENT, 3 CLOSED -> CLOSED.  Must not: a RST with
 * ACK at SND.NXT is an ABORT from a TCB (3.10.5), not a no-TCB reply: the
 * SYN-ACK stays delivered. */
static void test_synack_unheard_rst(void)
{
    run r;
    static const step steps[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        { 'S', "SA", 5000, 1001, 0, "Handshake 2/3: SYN-ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 1000 },
        { 'C', "R", 1001, 0, 0, "Reset: abort", "CLOSED", "CLOSED", "SYN-RECEIVED", "LISTEN", 0, 0 },
    };
    static const step abort_from_tcb[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        { 'C', "RA", 1001, 5001, 0, "Reset: abort", "ESTABLISHED", "CLOSED", "SYN-RECEIVED", "LISTEN", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "synack_unheard_rst", steps);
    expect(client_view(&r, 1) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 2) == CS(CLOSED, CLOSED) &&
           client_view(&r, 3) == CS(CLOSED, CLOSED), "synack_unheard_rst",
           "hindsight: 2 lost, 3 met no TCB");
    expect(!r.rec[0].conn->established, "synack_unheard_rst", "the handshake never completed");
    run_init(&r);
    RUN(&r, "synack_abort_rst", abort_from_tcb);
    expect(client_view(&r, 1) == CS(SYN_SENT, ESTABLISHED), "synack_abort_rst",
           "hindsight: the SYN-ACK arrived");
}

/* Review 6 finding 9, the other order and a must-not: the server's SYN-ACK
 * is captured first (3), so the client's own first SYN-ACK (4), formed on
 * entering SYN-RECEIVED (3.10.7.3), crossed it: the client SYN-RECEIVED ->
 * ESTABLISHED there, 3 in flight to it (two passes).  Must not: the
 * server's SYN-ACK resent a second later (5) by an endpoint already
 * ESTABLISHED is a retransmission (3.8.1), no crossing: its sender stays
 * ESTABLISHED and no record covers it. */
static void test_simultaneous_open_synack_resent(void)
{
    run r;
    static const step steps[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "S", 5000, 0),
        LEAD('S', "SA", 5000, 1001),
        { 'C', "SA", 1000, 5001, 0, "Simultaneous open: SYN-ACK", "SYN-RECEIVED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'S', "SA", 5000, 1001, 0, "Simultaneous open: SYN-ACK", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 1000 },
    };
    const char *n = "simultaneous_open_synack_resent";
    run_init(&r);
    RUN(&r, n, steps);
    expect(ts_conn_in_flight(r.rec[0].conn, 3, TS_CLIENT, NULL) == TS_FLIGHT_CROSSED &&
           client_view(&r, 2) == CS(SYN_RECEIVED, SYN_RECEIVED), n,
           "hindsight: the server's SYN-ACK in flight to the client until its own left");
    expect(ts_conn_in_flight(r.rec[0].conn, 5, TS_SERVER, NULL) == TS_FLIGHT_NONE &&
           ts_conn_in_flight(r.rec[0].conn, 5, TS_CLIENT, NULL) == TS_FLIGHT_NONE, n,
           "the resent SYN-ACK is no crossing");
}

/* A FIN resent by an endpoint the model has in FIN-WAIT-2 (real capture
 * spec_90_fin_ack_lost_client): only FIN-WAIT-1, CLOSING and LAST-ACK
 * resend a FIN, whose ACK has not arrived (RFC 9293 3.8.1), so the ACK
 * that took it to FIN-WAIT-2 was lost after the capture point: one pass
 * corrects from the resent FIN (FIN-WAIT-1 -> FIN-WAIT-1), two passes
 * show the ACK's frame FIN-WAIT-1 -> FIN-WAIT-1 too; the re-ACK then moves
 * it to FIN-WAIT-2.  The server's data before the ACK (it did not
 * acknowledge the FIN) is not said to be lost.  Must not: a FIN resent
 * after the client acknowledged the server's later segment (which also
 * acknowledged the FIN: it arrived; a spurious retransmission), no record,
 * the client stays FIN-WAIT-2. */
static void test_fin_ack_lost_fin_wait_2(void)
{
    run r;
    char buf[1024];
    static const step lost[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "PA", 5001, 1001),             /* sent before the FIN arrived: ack 1001 */
        { 'S', "A", 5011, 1002, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
        { 'C', "FA", 1001, 5001, 0, "Teardown 1/4: FIN", "FIN-WAIT-1", "FIN-WAIT-1", "CLOSE-WAIT", "CLOSE-WAIT", 0, 300 },
        { 'S', "A", 5011, 1002, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
    };
    static const step spurious[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "A", 5001, 1002),
        LEAD('S', "PA", 5001, 1002),
        LEAD('C', "A", 1002, 5011),
        { 'C', "FA", 1001, 5011, 0, "Teardown 1/4: FIN", "FIN-WAIT-2", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 300 },
    };
    const char *n = "fin_ack_lost_fin_wait_2";
    run_init(&r);
    RUN(&r, n, lost);
    expect(client_view(&r, 5) == CS(FIN_WAIT_1, FIN_WAIT_1) && client_view(&r, 4) == CS(FIN_WAIT_1, FIN_WAIT_1) &&
           ts_conn_in_flight(r.rec[0].conn, 6, TS_CLIENT, NULL) == TS_FLIGHT_ACK_LOST &&
           client_view(&r, 7) == CS(FIN_WAIT_1, FIN_WAIT_2),
           n, "hindsight: the ACK of the FIN never arrived");
    {
        ts_record v = ts_hindsight(&r.rec[5], 6);
        ts_explain(&v, &r.seg[5], TS_LANG_EN, 0, buf, sizeof buf);
        expect(strstr(buf, "lost after the capture point") != NULL, n, "the ACK: said lost");
        v = ts_hindsight(&r.rec[4], 5);
        ts_explain(&v, &r.seg[4], TS_LANG_EN, 0, buf, sizeof buf);
        expect(strstr(buf, "lost after the capture point") == NULL, n,
               "the data before the ACK acknowledged no FIN: not said lost");
    }
    n = "fin_resent_spurious";
    run_init(&r);
    RUN(&r, n, spurious);
    expect(!r.rec[0].conn->flight, n, "no record");
}

/* Review 6 finding 7 (rest): the in-flight log holds 8 records
 * (TS_FLIGHT_MAX); a proof beyond them was dropped silently, and one pass,
 * which reads back the proof of the RST still in force, then refused the
 * client's later segments their TCB (review 6 f7_full_log).  Each episode
 * here is test_rst_old_ack's: a RST accepted at the client's RCV.NXT
 * (3.10.7.4), then the client's data from its TCB (it missed the RST:
 * RST_LOST) and the server's ACK from its own (it never sent it:
 * RST_FORGED), 2 records.  Four episodes fill the log exactly: no
 * in_flight_not_recorded anywhere (must-not).  The fifth episode's proofs
 * push out the oldest records: in_flight_not_recorded on both, and one
 * pass goes on exactly as in the earlier episodes (the server's ACK is
 * ordinary data, ESTABLISHED; the client's data is not refused); two
 * passes undo every episode still kept (RST not accepted), the first one
 * no longer. */
static void test_flight_log_full(void)
{
    run r;
    step steps[64];
    int n = 0, proof[5] = { 0 };
    uint32_t c = 1001, sv = 5001;
    steps[n++] = (step)LEAD('C', "S", 1000, 0);
    steps[n++] = (step)LEAD('S', "SA", 5000, 1001);
    steps[n++] = (step)LEAD('C', "A", 1001, 5001);
    for (int e = 0; e < 5; e++) {
        steps[n++] = (step)LEAD('S', "R", sv, 0);
        proof[e] = n;                            /* index of the client's data: RST_LOST */
        steps[n++] = (step)LEAD('C', "PA", c, sv);
        steps[n - 1].len = 100;
        c += 100;
        steps[n++] = (step)LEAD('S', "A", sv, c);
    }
    run_init(&r);
    for (int i = 0; i < n; i++)
        feed(&r, "flight_log_full", &steps[i]);
    for (int i = 0; i < proof[4]; i++)
        expect(!(r.rec[i].anomalies & B(IN_FLIGHT_NOT_RECORDED)), "flight_log_full",
               "8 records fit: nothing said before the ninth");
    expect(r.rec[0].conn->flight && r.rec[0].conn->flight->n == TS_FLIGHT_MAX, "flight_log_full",
           "the log stays at 8 records");
    expect((r.rec[proof[4]].anomalies & B(IN_FLIGHT_NOT_RECORDED)) &&
           (r.rec[proof[4] + 1].anomalies & B(IN_FLIGHT_NOT_RECORDED)) &&
           ts_rec_client_after(&r.rec[proof[4]]) == TS_ESTABLISHED, "flight_log_full",
           "the ninth and tenth proofs push out the oldest, said on their frames");
    expect(r.rec[proof[4] + 1].stage == r.rec[proof[3] + 1].stage &&
           r.rec[proof[4] + 1].server_states == r.rec[proof[3] + 1].server_states &&
           r.rec[proof[4] + 1].server_states == ((TS_ESTABLISHED << 4) | TS_ESTABLISHED),
           "flight_log_full", "one pass: the fifth episode ends as the fourth");
    expect(ts_hindsight(&r.rec[proof[4] - 1], (uint32_t)proof[4]).stage == TS_STAGE_RST_IGNORED &&
           ts_hindsight(&r.rec[proof[1] - 1], (uint32_t)proof[1]).stage == TS_STAGE_RST_IGNORED &&
           ts_hindsight(&r.rec[proof[0] - 1], (uint32_t)proof[0]).stage == TS_STAGE_RST_ABORT,
           "flight_log_full", "two passes: every episode kept is undone, the dropped one is not");
}

/* Review 6 finding 6: a Linux SYN-SENT client rejects a SYN-ACK whose
 * acknowledgment is acceptable but whose timestamp echo is not (PAWS,
 * RFC 7323 5.3; RFC 9293 3.10.7.3 does the same for an unacceptable ACK):
 * it answers <SEQ=SEG.ACK><CTL=RST>, discards the segment, keeps its TCB
 * and resends its SYN, same ISN, at the next RTO.  At the RST one pass can
 * only take it for the no-TCB reply (3.10.7.1, same form): client CLOSED,
 * server back to LISTEN (3.10.7.4 second check).  The resent SYN with the
 * same ISN proves the SYN-SENT TCB lived (a new TCB picks a new ISN, 3.4.1;
 * only SYN-SENT resends a SYN, 3.8.1): one pass shows it SYN-SENT ->
 * SYN-SENT as the first SYN of a new handshake (the server took the RST:
 * LISTEN -> SYN-RECEIVED), no "After reset", no anomaly; two passes show
 * the client SYN-SENT on the SYN-ACK and the RST.  Must not: a SYN with a
 * new ISN is a new TCB (the old one met the SYN-ACK without a TCB): the
 * NO_TCB record stays, and the new SYN starts from CLOSED. */
static void test_synack_rejected_rst(void)
{
    run r;
    static const step same_isn[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        { 'C', "R", 1001, 0, 0, "Reset: abort", "CLOSED", "CLOSED", "SYN-RECEIVED", "LISTEN", 0, 0 },
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 1000 },
        { 'S', "SA", 7000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1001, 7001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'C', "PA", 1001, 7001, 10, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    static const step new_isn[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        LEAD('C', "R", 1001, 0),
        { 'C', "S", 3000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "LISTEN", "SYN-RECEIVED", 0, 1000 },
    };
    const char *n = "synack_rejected_rst";
    char buf[1024];
    run_init(&r);
    RUN(&r, n, same_isn);
    expect(client_view(&r, 1) == CS(SYN_SENT, SYN_SENT) && client_view(&r, 2) == CS(SYN_SENT, SYN_SENT),
           n, "hindsight: the SYN-SENT TCB rejected the SYN-ACK and sent the RST");
    expect(ts_conn_in_flight(r.rec[0].conn, 2, TS_CLIENT, NULL) == TS_FLIGHT_SYNACK_REJECTED &&
           ts_conn_in_flight(r.rec[0].conn, 3, TS_CLIENT, NULL) == TS_FLIGHT_SYNACK_REJECTED,
           n, "the no-TCB record is taken back");
    expect(r.rec[3].conn != r.rec[0].conn && r.rec[3].conn->established, n,
           "the resent SYN starts the handshake again, and it completes");
    {
        ts_record v = ts_hindsight(&r.rec[2], 3);
        ts_explain(&v, &r.seg[2], TS_LANG_EN, 0, buf, sizeof buf);
        expect(strstr(buf, "same initial sequence number") && !strstr(buf, "aborts"), n,
               "two passes: the RST rejects the SYN-ACK, no abort");
    }
    n = "synack_unheard_new_isn";
    run_init(&r);
    RUN(&r, n, new_isn);
    expect(client_view(&r, 1) == CS(CLOSED, CLOSED) && client_view(&r, 2) == CS(CLOSED, CLOSED) &&
           ts_conn_in_flight(r.rec[0].conn, 2, TS_CLIENT, NULL) == TS_FLIGHT_NO_TCB,
           n, "a new ISN is a new TCB: the SYN-ACK met none");
}

static void test_syn_to_time_wait_reverse(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        LEAD('C', "FA", 1001, 5001),
        LEAD('S', "A", 5001, 1002),
        LEAD('S', "FA", 5001, 1002),
        { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", NULL, "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 },
        /* connection 1: its client is the old server, its server the TIME-WAIT old client */
        { 'S', "S", 90000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(PORT_REUSE_TIME_WAIT), 1000 },
        { 'C', "A", 1002, 5002, 0, "Challenge ACK", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(CHALLENGE_ACK), 0 },
        { 'S', "R", 5002, 0, 0, "Reset: abort", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "CLOSED", 0, 0 },
        { 'S', "S", 90000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "CLOSED", "CLOSED", 0, 1000 },
        { 'C', "RA", 0, 90001, 0, "Reset: connection refused", "SYN-SENT", "CLOSED", "CLOSED", "CLOSED", B(CONNECTION_REFUSED), 0 },
    };
    /* must not: the SYN meets the server's TIME-WAIT (the server closed
     * first) in the forward direction, and a listener takes it: the SYN-ACK
     * acknowledging the new SYN shows the TIME-WAIT reopened (RFC 1122
     * 4.2.2.13, RFC 9293 3.10.7.4 fourth check with RFC 6191): a new
     * handshake, no challenge.  At the SYN one pass cannot know yet
     * (TIME-WAIT stays); from the SYN-ACK on it can, and hindsight shows the
     * SYN taking TIME-WAIT to SYN-RECEIVED. */
    static const step server_tw[] = {
        HANDSHAKE,
        LEAD('S', "FA", 5001, 1001),
        LEAD('C', "A", 1001, 5002),
        LEAD('C', "FA", 1001, 5002),
        { 'S', "A", 5002, 1002, 0, "Teardown 4/4: final ACK", NULL, "CLOSED", NULL, "TIME-WAIT", 0, 0 },
        { 'C', "S", 90000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(PORT_REUSE_TIME_WAIT), 1000 },
        { 'S', "SA", 70000, 90001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 90001, 70001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "syn_to_time_wait_reverse", steps);
    expect(ts_conn_final_state(r.rec[0].conn, TS_CLIENT) == TS_CLOSED, "syn_to_time_wait_reverse",
           "the RST deleted the old connection's TIME-WAIT too");
    expect(r.rec[7].conn != r.rec[0].conn && r.rec[7].conn->refused, "syn_to_time_wait_reverse",
           "the new connection is refused");
    run_init(&r);
    RUN(&r, "syn_to_time_wait_server_side", server_tw);
    view_is(&r, "syn_to_time_wait_server_side", 7, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "TIME-WAIT",
            "SYN-RECEIVED");
    expect(ts_conn_final_state(r.rec[0].conn, TS_SERVER) == TS_CLOSED, "syn_to_time_wait_server_side",
           "the old connection's TIME-WAIT TCB went on into the new connection");
    expect(!(r.rec[0].conn->next->anomalies & B(CHALLENGE_ACK)), "syn_to_time_wait_server_side",
           "no challenge ACK");
}

/* Defect 12: data after the client acknowledged the server's FIN (HTTP
 * keep-alive racing a close) answered by a bare RST (RFC 1122 4.2.2.13:
 * data after CLOSE is answered by RST).  Both sides knew the connection
 * was closing, so it is not half-open (RFC 9293 3.5.2), and the server
 * still had its TCB: FIN-WAIT-2 -> CLOSED. */
static void test_keepalive_race_not_half_open(void)
{
    run r;
    static const step steps[] = {
        HANDSHAKE,
        { 'S', "FA", 5001, 1001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "CLOSE-WAIT", "ESTABLISHED", "FIN-WAIT-1", 0, 0 },
        { 'C', "A", 1001, 5002, 0, "Teardown 2/4: ACK of FIN", "CLOSE-WAIT", "CLOSE-WAIT", "FIN-WAIT-1", "FIN-WAIT-2", 0, 0 },
        { 'C', "PA", 1001, 5002, 10, "Half-close: data transfer", "CLOSE-WAIT", "CLOSE-WAIT", "FIN-WAIT-2", "FIN-WAIT-2", 0, 0 },
        /* <SEQ=5002><CTL=RST> = the client's RCV.NXT: accepted */
        { 'S', "R", 5002, 0, 0, "Reset: abort", "CLOSE-WAIT", "CLOSED", "FIN-WAIT-2", "CLOSED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "keepalive_race", steps);
}

/* ---- Issue 11 session 5: the RST's sender, the window, TIME-WAIT -------- */

#define GRACE_NS 2000000000LL

/* The sender of a RST is CLOSED by its own move whether or not its
 * receiver accepts the RST: a TCP sends a RST when it aborts (3.10.5 ABORT
 * deletes the TCB; RFC 1122 4.2.2.13, data after CLOSE) or from no TCB
 * (3.10.7.1).  fin_data_cross_close.pcap (spec_47): FIN+data from both
 * sides cross; each side answers the other's data-after-close with a bare
 * RST at SEG.ACK (1001 / 5001), which is below the peer's RCV.NXT once the
 * peer has the FIN: not acceptable there (3.10.7.4 first check, RFC 5961
 * 3.2), yet its sender is gone. */
static void test_rst_sender_closes(void)
{
    run r;
    static const step cross[] = {
        HANDSHAKE,
        { 'C', "FA", 1001, 5001, 100, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        /* ack 1001 does not cover the client's FIN: it crossed it (simultaneous close) */
        { 'S', "FA", 5001, 1001, 100, "Simultaneous close: FIN", "FIN-WAIT-1", "CLOSING", "ESTABLISHED", "CLOSING", 0, 0 },
        /* the server took the client's FIN after sending its own: RCV.NXT 1102, so seq 1001
         * (its own last ack, sent before the FIN arrived) is below the window: dropped.
         * The client aborted: CLOSING -> CLOSED */
        { 'C', "R", 1001, 0, 0, "Reset: not accepted", "CLOSING", "CLOSED", "CLOSING", "CLOSING", B(RST_OUT_OF_WINDOW), 0 },
        /* the server aborts too; the client has no TCB left (3.10.7.1: discarded), so no
         * window to be outside of: no anomaly */
        { 'S', "R", 5001, 0, 0, "Reset: not accepted", "CLOSED", "CLOSED", "CLOSING", "CLOSED", 0, 0 },
    };
    /* must not: SYN-SENT rejecting an unacceptable SYN-ACK with <SEQ=SEG.ACK><CTL=RST>
     * keeps its TCB (3.10.7.3) whatever the server makes of that RST */
    static const step reject_synack[] = {
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", NULL, NULL, NULL, NULL, 0, 0 },
        /* ack 1000 = ISS: not above it, unacceptable */
        { 'S', "SA", 5000, 1000, 0, NULL, "SYN-SENT", "SYN-SENT", NULL, NULL, ANY, 0 },
        { 'C', "R", 1000, 0, 0, "Reset: not accepted", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", ANY, 0 },
    };
    /* must not: a blind RST, nowhere in its supposed sender's sequence space
     * (ISS .. SND.NXT), was not sent from that TCB: the sender stays */
    static const step blind[] = {
        HANDSHAKE,
        { 'C', "R", 1001 + 5000000, 0, 0, "Reset: not accepted", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", B(RST_OUT_OF_WINDOW), 0 },
        { 'C', "PA", 1001, 5001, 10, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, "rst_sender_closes", cross);
    expect(ts_conn_finished(r.rec[0].conn), "rst_sender_closes", "both ends CLOSED: finished");
    for (int i = 3; i <= 4; i++)
        expect(ts_deferred_anomalies(&r.rec[i], r.now_ns + 10 * GRACE_NS, GRACE_NS, 0) == 0,
               "rst_sender_closes", "each FIN's sender aborted: no fin_unacked");
    expect(ts_deferred_anomalies(&r.rec[6], r.now_ns, GRACE_NS, 1) == 0, "rst_sender_closes",
           "nothing open at the end");
    run_init(&r);
    RUN(&r, "rst_reject_synack", reject_synack);
    run_init(&r);
    RUN(&r, "rst_blind_sender_stays", blind);
}

/* One segment with an explicit window (no scaling: both SYNs carry shift 0). */
static const ts_record *feed_win(run *r, int client, uint8_t flags, uint32_t seq, uint32_t ack,
                                 uint32_t len, uint32_t win)
{
    ts_segment *s = &r->seg[r->n];
    ts_record *rec = &r->rec[r->n];
    memset(s, 0, sizeof *s);
    r->now_ns += 1000000LL;
    s->frame = (uint32_t)r->n + 1;
    s->ts_ns = r->now_ns;
    s->from_a = (uint8_t)client;
    s->flags = flags;
    s->seq = seq;
    s->ack = ack;
    s->len = len;
    s->win = win;
    s->sport = client ? 40000 : 80;
    s->dport = client ? 80 : 40000;
    ts_stream_process(&r->stream, s, rec);
    r->n++;
    return rec;
}

static void expect_data(const ts_record *rec, const char *name, const char *what)
{
    expect(rec->stage == TS_STAGE_DATA && rec->anomalies == 0 &&
           ts_rec_client_after(rec) == TS_ESTABLISHED && ts_rec_server_after(rec) == TS_ESTABLISHED,
           name, what);
}

/* RFC 9293 3.10.7.4 acceptability, by SEG.LEN and RCV.WND: a zero-length
 * segment is acceptable at RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND, or, with
 * RCV.WND = 0, only at SEG.SEQ = RCV.NXT; a segment with data needs a
 * window and its first or last byte inside it.  With RCV.WND = 0 nothing
 * with data is acceptable, but the ACK, URG and RST of a probe are still
 * processed (3.8.6.1 requires the sender to probe).  zero_window.pcap
 * (spec_43): the receiver advertises window 0, the sender probes at
 * RCV.NXT - 1 (Linux) or with one new byte at RCV.NXT (3.8.6.1), the
 * receiver repeats its ACK and then updates the window with the same ACK;
 * the data that follows lies in the updated window. */
static void test_zero_window(void)
{
    const char *name = "zero_window";
    run r;
    const ts_record *rec;
    run_init(&r);
    feed_win(&r, 1, TS_SYN, 1000, 0, 0, 65535);
    feed_win(&r, 0, TS_SYN | TS_ACK, 5000, 1001, 0, 2000);   /* right edge 1001 + 2000 */
    feed_win(&r, 1, TS_ACK, 1001, 5001, 0, 65535);
    expect_data(feed_win(&r, 1, TS_ACK | TS_PSH, 1001, 5001, 1000, 65535), name, "data 1001-2000");
    expect_data(feed_win(&r, 1, TS_ACK | TS_PSH, 2001, 5001, 1000, 65535), name, "data up to the edge");
    expect_data(feed_win(&r, 0, TS_ACK, 5001, 3001, 0, 0), name, "window 0 (3.8.6.1)");
    /* probes: RCV.NXT - 1 (not acceptable by design, answered by an ACK) and one new
     * byte at RCV.NXT: required by 3.8.6.1, not out_of_window */
    expect_data(feed_win(&r, 1, TS_ACK, 3000, 5001, 0, 65535), name, "probe at RCV.NXT - 1");
    expect_data(feed_win(&r, 0, TS_ACK, 5001, 3001, 0, 0), name, "the ACK answering the probe");
    expect_data(feed_win(&r, 1, TS_ACK, 3001, 5001, 1, 65535), name, "probe with one new byte");
    expect_data(feed_win(&r, 0, TS_ACK, 5001, 3001, 0, 0), name, "the byte not taken");
    /* the window update: the same ACK again, window 2000: right edge 5001 */
    expect_data(feed_win(&r, 0, TS_ACK, 5001, 3001, 0, 2000), name, "window update");
    expect_data(feed_win(&r, 1, TS_ACK | TS_PSH, 3001, 5001, 1000, 65535), name, "data at RCV.NXT");
    expect_data(feed_win(&r, 1, TS_ACK | TS_PSH, 4001, 5001, 1000, 65535), name,
                "data in the updated window (spec_43 frame 21)");
    /* must not: beyond the updated edge, 5001 + 2000 away: out of window */
    rec = feed_win(&r, 1, TS_ACK | TS_PSH, 9001, 5001, 1000, 65535);
    expect(rec->stage == TS_STAGE_OUT_OF_WINDOW && rec->anomalies == B(OUT_OF_WINDOW), name,
           "beyond the advertised window: out_of_window");
    /* must not: a copy of that unacceptable segment teaches no window either */
    rec = feed_win(&r, 1, TS_ACK | TS_PSH, 9001, 5001, 1000, 65535);
    rec = feed_win(&r, 1, TS_ACK | TS_PSH, 12001, 5001, 1000, 65535);
    expect(rec->stage == TS_STAGE_OUT_OF_WINDOW, name, "still out of window after a repeated one");
}

/* The old connection: client-first close, the client (port 40000) ends in
 * TIME-WAIT with RCV.NXT 5002, SND.NXT 1002.  Then the former server
 * connects back from port 80 to the TIME-WAIT endpoint (issue 11 defect 10):
 * connection 1's client is 'S', its server 'C'. */
#define OLD_CONN_CLIENT_IN_TIME_WAIT                                                                  \
    HANDSHAKE,                                                                                        \
    LEAD('C', "FA", 1001, 5001),                                                                      \
    LEAD('S', "A", 5001, 1002),                                                                       \
    LEAD('S', "FA", 5001, 1002),                                                                      \
    { 'C', "A", 1002, 5002, 0, "Teardown 4/4: final ACK", NULL, "TIME-WAIT", "LAST-ACK", "CLOSED", 0, 0 }, \
    { 'S', "S", 90000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(PORT_REUSE_TIME_WAIT), 1000 }

/* rfc1337_time_wait.pcap (spec_40): the TIME-WAIT endpoint answers the SYN
 * with an ACK of the old connection (challenge ACK, RFC 5961 4.2); the
 * SYN-SENT side answers RST <SEQ=SEG.ACK> (3.10.7.3), exactly RCV.NXT.
 * RFC 9293 3.10.7.4 has TIME-WAIT accept it and go CLOSED, and one pass
 * shows that; a stack following RFC 1337 (fix F1; Linux tcp_rfc1337=1)
 * ignores it.  The capture decides: the SYN sent again is answered by the
 * same ACK of the old connection, which only the TIME-WAIT TCB can send
 * (a CLOSED endpoint answers a SYN with RST-ACK, 3.10.7.1).  From then on
 * that endpoint is known to ignore RSTs in TIME-WAIT; with hindsight the
 * first RST was not accepted either, and the SYN in between met TIME-WAIT. */
static void test_time_wait_ignores_rst(void)
{
    const char *name = "time_wait_ignores_rst";
    run r;
    ts_record v;
    static const step steps[] = {
        OLD_CONN_CLIENT_IN_TIME_WAIT,
        { 'C', "A", 1002, 5002, 0, "Challenge ACK", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(CHALLENGE_ACK), 0 },
        { 'S', "R", 5002, 0, 0, "Reset: abort", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "CLOSED", 0, 0 },
        { 'S', "S", 90000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "CLOSED", "CLOSED", 0, 1000 },
        /* the proof: the old connection's ACK again, seq 1002 ack 5002 */
        { 'C', "A", 1002, 5002, 0, "Challenge ACK", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(CHALLENGE_ACK), 0 },
        /* the same RST: this endpoint ignores RSTs in TIME-WAIT (RFC 1337) */
        { 'S', "R", 5002, 0, 0, "Reset: not accepted", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", 0, 0 },
        { 'S', "S", 90000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(PORT_REUSE_TIME_WAIT), 2000 },
        { 'C', "A", 1002, 5002, 0, "Challenge ACK", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(CHALLENGE_ACK), 0 },
        { 'S', "R", 5002, 0, 0, "Reset: not accepted", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", 0, 0 },
    };
    run_init(&r);
    RUN(&r, name, steps);
    v = ts_hindsight(&r.rec[9], 10);
    expect(v.stage == TS_STAGE_RST_IGNORED && ts_rec_server_before(&v) == TS_TIME_WAIT &&
           ts_rec_server_after(&v) == TS_TIME_WAIT && v.anomalies == 0, name,
           "hindsight: the first RST was not accepted either");
    v = ts_hindsight(&r.rec[10], 11);
    expect(ts_rec_server_before(&v) == TS_TIME_WAIT && ts_rec_server_after(&v) == TS_TIME_WAIT &&
           (v.anomalies & B(PORT_REUSE_TIME_WAIT)), name, "hindsight: the SYN sent again met TIME-WAIT");
    v = ts_hindsight(&r.rec[11], 12);
    expect(ts_rec_server_before(&v) == TS_TIME_WAIT, name, "the proof itself is unchanged");
    /* every SYN drew an answer (the challenge ACK), and nothing is open: the
     * new connection cannot open while the TIME-WAIT lasts */
    expect(ts_deferred_anomalies(&r.rec[7], r.now_ns + 10 * GRACE_NS, GRACE_NS, 0) == 0, name,
           "a SYN answered by a challenge ACK is not syn_unanswered");
    expect(ts_deferred_anomalies(&r.rec[r.n - 1], r.now_ns + 10 * GRACE_NS, GRACE_NS, 1) == 0, name,
           "no open_at_capture_end");
    expect(ts_conn_final_state(r.rec[0].conn, TS_CLIENT) == TS_TIME_WAIT, name,
           "the old connection's client is still in TIME-WAIT");
}

/* The old connection closed server first: the server holds the
 * four-tuple in TIME-WAIT, and the client's new SYN arrives in the
 * forward direction (spec_70, spec_75). */
#define OLD_CONN_SERVER_IN_TIME_WAIT                                                                  \
    HANDSHAKE,                                                                                        \
    LEAD('S', "FA", 5001, 1001),                                                                      \
    LEAD('C', "A", 1001, 5002),                                                                       \
    LEAD('C', "FA", 1001, 5002),                                                                      \
    { 'S', "A", 5002, 1002, 0, "Teardown 4/4: final ACK", NULL, "CLOSED", NULL, "TIME-WAIT", 0, 0 }, \
    /* the SYN meets the server's TIME-WAIT TCB (3.10.7.4): it stays until its answer tells */       \
    { 'C', "S", 90000, 0, 0, "Handshake 1/3: SYN", "CLOSED", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(PORT_REUSE_TIME_WAIT), 1000 }

/* spec_70: no listener takes the SYN, so the TIME-WAIT TCB answers it
 * with an ACK of the old connection (RFC 9293 3.10.7.4 fourth check, RFC
 * 5961 4.2: challenge ACK).  The SYN-SENT client finds that ACK
 * unacceptable and answers <SEQ=SEG.ACK><CTL=RST>, keeping its TCB
 * (3.10.7.3); the RST is exactly the server's RCV.NXT, which TIME-WAIT
 * accepts: CLOSED (3.10.7.4 second check).  The SYN again finds no TCB and
 * no listener: RST-ACK, refused (3.10.7.1). */
static void test_syn_to_server_time_wait(void)
{
    const char *name = "syn_to_server_time_wait";
    run r;
    ts_record v;
    static const step steps[] = {
        OLD_CONN_SERVER_IN_TIME_WAIT,
        { 'S', "A", 5002, 1002, 0, "Challenge ACK", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(CHALLENGE_ACK), 0 },
        { 'C', "R", 1002, 0, 0, "Reset: abort", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "CLOSED", 0, 0 },
        { 'C', "S", 90000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "CLOSED", "CLOSED", 0, 10 },
        { 'S', "RA", 0, 90001, 0, "Reset: connection refused", "SYN-SENT", "CLOSED", "CLOSED", "CLOSED", B(CONNECTION_REFUSED), 0 },
    };
    run_init(&r);
    RUN(&r, name, steps);
    expect(ts_conn_final_state(r.rec[0].conn, TS_SERVER) == TS_CLOSED, name,
           "the RST deleted the old connection's TIME-WAIT too");
    expect(r.rec[10].conn == r.rec[7].conn && r.rec[10].conn->refused, name,
           "the SYN sent again belongs to the same, refused, connection");
    /* must not (review 6 finding 4): the challenge ACK shows the first SYN
     * met the TIME-WAIT TCB; no NO_TCB record, hindsight keeps TIME-WAIT */
    v = ts_hindsight(&r.rec[7], 8);
    expect(ts_rec_server_before(&v) == TS_TIME_WAIT && ts_rec_server_after(&v) == TS_TIME_WAIT &&
           ts_conn_in_flight(r.rec[7].conn, 8, TS_SERVER, NULL) == TS_FLIGHT_NONE, name,
           "hindsight: the first SYN met TIME-WAIT");
    /* must not: nothing shows that TIME-WAIT ignored the RST */
    expect(!ts_conn_time_wait_ignores_rst(r.rec[7].conn) &&
           ts_conn_in_flight(r.rec[7].conn, 10, TS_SERVER, NULL) == TS_FLIGHT_NONE, name,
           "the RST was accepted: no RST_IGNORED record");
}

/* Review 6 finding 4: the server's TIME-WAIT had already expired (Linux
 * keeps it 60 s, the model 2 MSL) and no listener is on the port: the
 * host answers the SYN with RST,ACK <SEQ=0><ACK=SEG.SEQ+1> (3.10.7.1).  A
 * TIME-WAIT TCB never answers a SYN with RST (it sends a challenge ACK,
 * 3.10.7.4 fourth check, RFC 5961 4.2, or reopens, RFC 6191), so that RST
 * proves the SYN met no TCB: hindsight shows the server CLOSED -> CLOSED at
 * the SYN, and CLOSED before the RST, consistent frame to frame.  (Must
 * not: in syn_to_server_time_wait the TIME-WAIT answers the first SYN with
 * a challenge ACK, so that SYN met TIME-WAIT and keeps it in hindsight.) */
static void test_syn_to_server_time_wait_refused(void)
{
    const char *name = "syn_to_server_time_wait_refused";
    run r;
    ts_record v;
    static const step steps[] = {
        OLD_CONN_SERVER_IN_TIME_WAIT,
        { 'S', "RA", 0, 90001, 0, "Reset: connection refused", "SYN-SENT", "CLOSED", "CLOSED", "CLOSED", B(CONNECTION_REFUSED), 0 },
    };
    run_init(&r);
    RUN(&r, name, steps);
    v = ts_hindsight(&r.rec[7], 8);
    expect(ts_rec_server_before(&v) == TS_CLOSED && ts_rec_server_after(&v) == TS_CLOSED, name,
           "hindsight: the SYN met no TCB");
    expect(ts_conn_in_flight(r.rec[7].conn, 8, TS_SERVER, NULL) == TS_FLIGHT_NO_TCB, name,
           "a NO_TCB record covers the SYN");
    v = ts_hindsight(&r.rec[8], 9);
    expect(ts_rec_server_before(&v) == TS_CLOSED, name, "hindsight: CLOSED before the RST too");
    expect(ts_rec_server_before(&r.rec[8]) == TS_CLOSED, name, "one pass: CLOSED before the RST");
    expect(ts_conn_final_state(r.rec[0].conn, TS_SERVER) == TS_CLOSED, name,
           "the old connection's TIME-WAIT was gone");
}

/* spec_75: as above with a server following RFC 1337 (fix F1; Linux
 * tcp_rfc1337=1): the SYN sent again draws the same ACK of the old
 * connection, which only the TIME-WAIT TCB sends (a CLOSED endpoint
 * answers a SYN with RST-ACK, 3.10.7.1): the first RST was ignored. */
static void test_server_time_wait_ignores_rst(void)
{
    const char *name = "server_time_wait_ignores_rst";
    run r;
    ts_record v;
    static const step steps[] = {
        OLD_CONN_SERVER_IN_TIME_WAIT,
        { 'S', "A", 5002, 1002, 0, "Challenge ACK", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(CHALLENGE_ACK), 0 },
        { 'C', "R", 1002, 0, 0, "Reset: abort", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "CLOSED", 0, 0 },
        { 'C', "S", 90000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "CLOSED", "CLOSED", 0, 1000 },
        /* the proof */
        { 'S', "A", 5002, 1002, 0, "Challenge ACK", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", B(CHALLENGE_ACK), 0 },
        { 'C', "R", 1002, 0, 0, "Reset: not accepted", "SYN-SENT", "SYN-SENT", "TIME-WAIT", "TIME-WAIT", 0, 0 },
    };
    run_init(&r);
    RUN(&r, name, steps);
    v = ts_hindsight(&r.rec[9], 10);
    expect(v.stage == TS_STAGE_RST_IGNORED && ts_rec_server_before(&v) == TS_TIME_WAIT &&
           ts_rec_server_after(&v) == TS_TIME_WAIT, name, "hindsight: the first RST was not accepted either");
    v = ts_hindsight(&r.rec[10], 11);
    expect(ts_rec_server_before(&v) == TS_TIME_WAIT && (v.anomalies & B(PORT_REUSE_TIME_WAIT)), name,
           "hindsight: the SYN sent again met TIME-WAIT");
    expect(ts_conn_final_state(r.rec[0].conn, TS_SERVER) == TS_TIME_WAIT, name,
           "the old connection's server is still in TIME-WAIT");
    /* one in-flight record: the server kept TIME-WAIT from the RST (frame
     * 10) to the proving ACK (frame 12) */
    for (uint32_t fr = 10; fr <= 12; fr++) {
        unsigned kept = 0;
        int kind = ts_conn_in_flight(r.rec[7].conn, fr, TS_SERVER, &kept);
        expect(fr < 12 ? kind == TS_FLIGHT_RST_IGNORED && kept == TS_TIME_WAIT : kind == TS_FLIGHT_NONE,
               name, "RST_IGNORED covers the RST up to the proof");
    }
    expect(ts_conn_time_wait_ignores_rst(r.rec[7].conn), name, "the server ignores RSTs in TIME-WAIT");
}

/* Review F4: the TIME-WAIT endpoint has a listener on its port and reopens
 * (RFC 9293 3.10.7.4 allows a SYN to reopen a connection in TIME-WAIT,
 * RFC 6191; Linux does when a socket listens there): its answer is a
 * SYN-ACK acknowledging the new SYN, not an ACK of the old connection.
 * The answer decides: it took the SYN (TIME-WAIT -> SYN-RECEIVED, shown on
 * the SYN with hindsight, and on the SYN-ACK as the state it was sent
 * from), and the third ACK completes a new handshake.  The old
 * connection's TIME-WAIT is over: its TCB became the new one. */
/* A SYN-ACK with a new ISS (spec_94, tcp_synack_retries=0): a SYN-RECEIVED
 * TCB answers a repeated SYN from its own ISS (RFC 9293 3.10.7.4), so a
 * SYN-ACK from another ISS, after the client resent its SYN, comes from a
 * TCB made from LISTEN by that SYN (3.10.7.2): the third ACK of the new ISS
 * completes the handshake (no handshake_ack_wrong), and two passes show the
 * server LISTEN -> SYN-RECEIVED on the resent SYN.  Must not: the same new
 * ISS with no SYN resent since the server's SYN-ACK answers no new SYN (the
 * client took the first SYN-ACK): the old TCB still stands and the ACK of
 * the new ISS is wrong for it. */
static void test_synack_new_iss(void)
{
    run r;
    ts_record v;
    static const step renewed[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        { 'C', "S", 1000, 0, 0, "Handshake 1/3: SYN", "SYN-SENT", "SYN-SENT", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'S', "SA", 9000, 1001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'C', "A", 1001, 9001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
    };
    static const step unasked[] = {
        LEAD('C', "S", 1000, 0),
        LEAD('S', "SA", 5000, 1001),
        { 'S', "SA", 9000, 1001, 0, NULL, NULL, NULL, "SYN-RECEIVED", "SYN-RECEIVED", ANY, 0 },
        { 'C', "A", 1001, 9001, 0, NULL, NULL, NULL, "SYN-RECEIVED", "SYN-RECEIVED", ANY, 0 },
    };
    const char *n = "synack_new_iss";
    char buf[2048];
    run_init(&r);
    RUN(&r, n, renewed);
    expect(!(r.rec[4].anomalies & TS_BIT(TS_AN_HANDSHAKE_ACK_WRONG)), n, "the ACK of the new ISS is right");
    expect(ts_conn_in_flight(r.rec[0].conn, 3, TS_SERVER, NULL) == TS_FLIGHT_NEW_ISS, n,
           "the new ISS is an in-flight record from the resent SYN");
    v = ts_hindsight(&r.rec[2], 3);
    expect(ts_rec_server_before(&v) == TS_LISTEN && ts_rec_server_after(&v) == TS_SYN_RECEIVED, n,
           "hindsight: the resent SYN met LISTEN");
    ts_explain(&v, &r.seg[2], TS_LANG_EN, 0, buf, sizeof buf);
    expect(strstr(buf, "met LISTEN") != NULL, n, "two passes say why the SYN met LISTEN");
    v = ts_hindsight(&r.rec[3], 4);
    ts_explain(&v, &r.seg[3], TS_LANG_EN, 0, buf, sizeof buf);
    expect(strstr(buf, "this one is new") != NULL, n, "the SYN-ACK says its ISS is new");
    v = ts_hindsight(&r.rec[1], 2);
    expect(ts_rec_server_before(&v) == TS_SYN_RECEIVED, n, "the first SYN-ACK came from SYN-RECEIVED");

    n = "synack_new_iss_unasked";
    run_init(&r);
    RUN(&r, n, unasked);
    expect(ts_conn_in_flight(r.rec[0].conn, 2, TS_SERVER, NULL) != TS_FLIGHT_NEW_ISS, n,
           "no resent SYN: no new TCB");
    expect((r.rec[3].anomalies & TS_BIT(TS_AN_HANDSHAKE_ACK_WRONG)) != 0, n,
           "the old TCB's ISS stands: the ACK of the other ISS is wrong");
}

/* A FIN held in flight by its receiver's ACKs (spec_98, client-side
 * capture, the server's segments delayed): a TCP acknowledges its RCV.NXT
 * (RFC 9293 3.10.7.4 seventh check), one past a FIN it took (eighth), so
 * the server's ACK and data at ack = the FIN's seq left before the FIN
 * arrived: the server stays ESTABLISHED on the FIN and takes it after its
 * last such segment (one pass: from the first of them on).  Must not: the
 * same segments acknowledging the FIN (the server took it). */
static void test_ack_holds_fin(void)
{
    run r;
    ts_record v;
    static const step held[] = {
        LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "A", 1001, 5001),
        { 'C', "PA", 1001, 5001, 100, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'C', "FA", 1101, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        { 'S', "A", 5001, 1101, 0, "Half-close: data transfer", "FIN-WAIT-1", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        { 'S', "PA", 5001, 1101, 100, "Half-close: data transfer", "FIN-WAIT-1", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        { 'S', "A", 5101, 1102, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
    };
    static const step taken[] = {
        LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "A", 1001, 5001),
        LEAD('C', "PA", 1001, 5001),
        { 'C', "FA", 1001, 5001, 0, NULL, NULL, NULL, "ESTABLISHED", "CLOSE-WAIT", ANY, 0 },
        { 'S', "A", 5001, 1002, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
    };
    const char *n = "ack_holds_fin";
    char buf[2048];
    run_init(&r);
    RUN(&r, n, held);
    v = ts_hindsight(&r.rec[4], 5);
    expect(ts_rec_server_before(&v) == TS_ESTABLISHED && ts_rec_server_after(&v) == TS_ESTABLISHED, n,
           "hindsight: the FIN had not arrived");
    ts_explain(&v, &r.seg[4], TS_LANG_EN, 0, buf, sizeof buf);
    expect(strstr(buf, "had not received this FIN yet") != NULL, n, "two passes say the FIN was in flight");
    v = ts_hindsight(&r.rec[5], 6);
    expect(ts_rec_server_before(&v) == TS_ESTABLISHED && ts_rec_server_after(&v) == TS_ESTABLISHED, n,
           "hindsight: the first ACK left before the FIN arrived");
    v = ts_hindsight(&r.rec[6], 7);
    expect(ts_rec_server_before(&v) == TS_ESTABLISHED && ts_rec_server_after(&v) == TS_CLOSE_WAIT, n,
           "hindsight: the FIN arrives after the last such segment");
    ts_explain(&v, &r.seg[6], TS_LANG_EN, 0, buf, sizeof buf);
    expect(strstr(buf, "arrives right after it") != NULL, n, "the fold frame says why");

    n = "ack_holds_fin_taken";
    run_init(&r);
    RUN(&r, n, taken);
    expect(ts_conn_in_flight(r.rec[0].conn, 5, TS_SERVER, NULL) == TS_FLIGHT_NONE, n,
           "an ACK past the FIN holds nothing in flight");
}

/* A FIN held behind a hole (spec_92/93/97/102): only the segment that
 * begins at RCV.NXT is processed, one beyond it "SHOULD be held" (RFC 9293
 * 3.10.7.4), its FIN too.  The receiver's ACK below the FIN segment's first
 * byte shows the FIN not taken: it stays ESTABLISHED (two passes: from the
 * FIN on).  The FIN is taken when RCV.NXT reaches it: (a) on the resent
 * data + FIN that begins at RCV.NXT, (c) on resent data alone that reaches
 * the FIN, (b) before the receiver's own ACK past the FIN when the filling
 * segments were not captured; (d) a FIN resent beyond RCV.NXT is held
 * again.  The receiver's own FIN while the peer's is held: both were sent
 * before either was taken, a simultaneous close (3.6 figure 13), the
 * receiver ESTABLISHED -> FIN-WAIT-1 (the held FIN is not taken with it).
 * Must not: an ACK at the FIN segment's first byte (the FIN and its data
 * in flight, spec_45) holds nothing. */
static void test_fin_held(void)
{
    run r;
    ts_record v;
#define HOLE LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "A", 1001, 5001), \
    { 'C', "PA", 1101, 5001, 100, NULL, NULL, NULL, NULL, NULL, ANY, 0 }, \
    { 'C', "FA", 1201, 5001, 0, "Teardown 1/4: FIN", "ESTABLISHED", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 }, \
    { 'S', "A", 5001, 1001, 0, "Half-close: data transfer", "FIN-WAIT-1", "FIN-WAIT-1", "ESTABLISHED", "ESTABLISHED", 0, 0 }
    static const step by_fin[] = { HOLE,
        { 'C', "PFA", 1001, 5001, 200, "Teardown 1/4: FIN", "FIN-WAIT-1", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", 0, 0 },
        { 'S', "A", 5001, 1202, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
    };
    static const step by_data[] = { HOLE,
        { 'C', "PA", 1001, 5001, 200, NULL, "FIN-WAIT-1", "FIN-WAIT-1", "ESTABLISHED", "CLOSE-WAIT", ANY, 0 },
        { 'S', "A", 5001, 1202, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
    };
    static const step by_ack[] = { HOLE,
        { 'S', "A", 5001, 1202, 0, "Teardown 2/4: ACK of FIN", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSE-WAIT", 0, 0 },
    };
    static const step fin_again[] = { HOLE,
        { 'C', "FA", 1201, 5001, 0, NULL, NULL, NULL, "ESTABLISHED", "ESTABLISHED", ANY, 0 },
        { 'S', "A", 5001, 1001, 0, NULL, NULL, NULL, "ESTABLISHED", "ESTABLISHED", ANY, 0 },
    };
    static const step own_fin[] = { HOLE,
        { 'S', "FA", 5001, 1001, 0, "Simultaneous close: FIN", "FIN-WAIT-1", "CLOSING", "ESTABLISHED", "FIN-WAIT-1", 0, 0 },
        { 'C', "A", 1202, 5002, 0, "Simultaneous close: ACK", "CLOSING", "CLOSING", "FIN-WAIT-1", "FIN-WAIT-2", ANY, 0 },
    };
    static const step in_flight[] = {
        LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "A", 1001, 5001),
        { 'C', "PFA", 1001, 5001, 100, NULL, NULL, NULL, "ESTABLISHED", "CLOSE-WAIT", ANY, 0 },
        { 'S', "A", 5001, 1001, 0, NULL, NULL, NULL, NULL, NULL, ANY, 0 },
    };
#undef HOLE
    const char *n = "fin_held";
    run_init(&r);
    RUN(&r, n, by_fin);
    v = ts_hindsight(&r.rec[4], 5);
    expect(ts_rec_server_before(&v) == TS_ESTABLISHED && ts_rec_server_after(&v) == TS_ESTABLISHED, n,
           "hindsight: the FIN behind the hole was not taken");
    expect(ts_conn_in_flight(r.rec[0].conn, 5, TS_SERVER, NULL) == TS_FLIGHT_FIN_HELD, n,
           "the hold is an in-flight record from the FIN");
    {
        char buf[2048];
        ts_explain(&v, &r.seg[4], TS_LANG_EN, 0, buf, sizeof buf);
        expect(strstr(buf, "held, not processed") != NULL, n, "two passes say the FIN was held");
        v = ts_hindsight(&r.rec[5], 6);
        ts_explain(&v, &r.seg[5], TS_LANG_EN, 0, buf, sizeof buf);
        expect(strstr(buf, "has not taken the FIN") != NULL, n, "the proving ACK says why");
    }
    n = "fin_held_by_data";
    run_init(&r);
    RUN(&r, n, by_data);
    n = "fin_held_by_ack";
    run_init(&r);
    RUN(&r, n, by_ack);
    n = "fin_held_again";
    run_init(&r);
    RUN(&r, n, fin_again);
    n = "fin_held_own_fin";
    run_init(&r);
    RUN(&r, n, own_fin);
    expect(r.rec[0].conn->simultaneous_close, n, "both FINs were sent before either was taken");
    n = "fin_in_flight_not_held";
    run_init(&r);
    RUN(&r, n, in_flight);
    expect(ts_conn_in_flight(r.rec[0].conn, 4, TS_SERVER, NULL) != TS_FLIGHT_FIN_HELD, n,
           "an ACK at the FIN segment's first byte holds nothing");
}

/* Data beyond a gap in the capture, and the receiver's next ACK stopping
 * below it: the bytes before had not reached the receiver, which holds the
 * data (RFC 9293 3.10.7.4).  The record is for the explanation only: no
 * state is kept, and a full log gives it up silently for a real proof. */
static int explains(const run *r, int i, const char *want)
{
    char buf[2048];
    ts_record v = ts_hindsight(&r->rec[i], (uint32_t)i + 1);
    ts_explain(&v, &r->seg[i], TS_LANG_EN, 0, buf, sizeof buf);
    return strstr(buf, want) != NULL;
}

/* The steps leave data frame `data` without a hold (must-nots). */
static void expect_no_hold(const char *n, const step *steps, size_t count, uint32_t data,
                           const char *why)
{
    run r;
    run_init(&r);
    for (size_t i = 0; i < count; i++)
        feed(&r, n, &steps[i]);
    expect(!ts_conn_flight_proved_from(r.rec[0].conn, TS_FLIGHT_DATA_HELD, TS_SERVER, data), n, why);
}

static void test_data_held(void)
{
    run r;
#define HS LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "A", 1001, 5001)
#define CALM "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED"
    static const step held[] = { HS,
        { 'C', "PA", 1101, 5001, 100, "Data transfer", CALM, 0, 0 },     /* 1001-1100 not captured */
        { 'S', "A", 5001, 1001, 0, "Data transfer", CALM, 0, 0 },        /* its next ACK: 1001 */
        { 'S', "PA", 5001, 1001, 10, NULL, CALM, ANY, 0 },               /* again: no second proof */
    };
    static const step crossing[] = { HS,          /* no gap: the ACK may have crossed the data */
        { 'C', "PA", 1001, 5001, 100, "Data transfer", CALM, 0, 0 },
        { 'C', "PA", 1101, 5001, 100, "Data transfer", CALM, 0, 0 },
        { 'S', "A", 5001, 1001, 0, "Data transfer", CALM, 0, 0 },
    };
    static const step covered[] = { HS,           /* the gap's bytes reached it uncaptured */
        { 'C', "PA", 1101, 5001, 100, "Data transfer", CALM, 0, 0 },
        { 'S', "A", 5001, 1201, 0, "Data transfer", CALM, 0, 0 },
    };
    static const step stale[] = { HS,             /* an ACK older than one it already sent */
        { 'S', "A", 5001, 1001, 0, NULL, CALM, 0, 0 },
        { 'C', "PA", 1001, 5001, 100, NULL, CALM, 0, 0 },
        { 'S', "A", 5001, 1101, 0, NULL, CALM, 0, 0 },
        { 'C', "PA", 1301, 5001, 100, NULL, CALM, 0, 0 },               /* 1101-1300 not captured */
        { 'S', "A", 5001, 1001, 0, NULL, CALM, ANY, 0 },                 /* below its own 1101 */
    };
    const char *n = "data_held";
    const ts_conn *c;

    run_init(&r);
    RUN(&r, n, held);
    c = r.rec[0].conn;
    expect(ts_conn_flight_proves(c, TS_FLIGHT_DATA_HELD, TS_SERVER, 4, 5), n,
           "the server's ACK 5 proves data 4 held");
    expect(!ts_conn_flight_proved_at(c, TS_FLIGHT_DATA_HELD, TS_SERVER, 6), n,
           "a repeated ACK proves nothing new");
    expect(ts_conn_in_flight(c, 4, TS_SERVER, NULL) == TS_FLIGHT_NONE, n,
           "no state is kept: data moves nobody");
    expect(explains(&r, 3, "had not reached the server") && !explains(&r, 3, "acknowledges them"), n,
           "the data is explained as held, with no claim of an ACK at its end");
    expect(explains(&r, 4, "duplicate ACK") && !explains(&r, 5, "duplicate ACK"), n,
           "the proving ACK, and only it, says it stops below the data");

    n = "data_held_crossing";
    run_init(&r);
    RUN(&r, n, crossing);
    expect(!ts_conn_flight_proved_from(r.rec[0].conn, TS_FLIGHT_DATA_HELD, TS_SERVER, 5), n,
           "without a gap in the capture an ACK below the data proves no hold");
    expect(explains(&r, 4, "acknowledges them") && !explains(&r, 4, "had not reached"), n,
           "the data keeps the plain sentence");

    expect_no_hold("data_held_covered", covered, sizeof covered / sizeof covered[0], 4,
                   "an ACK past the data proves the gap filled");
    expect_no_hold("data_held_stale", stale, sizeof stale / sizeof stale[0], 7,
                   "an ACK below one the receiver already sent is an old one");
#undef CALM
#undef HS
}

/* Holds fill the log; they give way to a real proof without a word. */
static void test_data_held_log_full(void)
{
    const char *n = "data_held_log_full";
    run r;
    step st[3 + 2 * (TS_FLIGHT_MAX + 1) + 2];
    int k = 0;
    uint32_t seq = 1001;
    const step hs[] = { LEAD('C', "S", 1000, 0), LEAD('S', "SA", 5000, 1001), LEAD('C', "A", 1001, 5001) };
    for (; k < 3; k++)
        st[k] = hs[k];
    for (int h = 0; h <= TS_FLIGHT_MAX; h++) {
        seq += 100;                                      /* 100 bytes never captured */
        st[k++] = (step){ 'C', "PA", seq, 5001, 100, NULL, NULL, NULL, NULL, NULL, 0, 0 };
        st[k++] = (step){ 'S', "A", 5001, 1001, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 };
        seq += 100;
    }
    seq += 100;
    st[k++] = (step){ 'C', "FA", seq, 5001, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 };
    st[k++] = (step){ 'S', "A", 5001, 1001, 0, NULL, NULL, NULL, "ESTABLISHED", "ESTABLISHED", 0, 0 };
    run_init(&r);
    for (int i = 0; i < k; i++)
        feed(&r, n, &st[i]);
    expect(ts_conn_flight_proved_from(r.rec[0].conn, TS_FLIGHT_DATA_HELD, TS_SERVER, 4) == 0, n,
           "the oldest hold gave way");
    expect(!ts_conn_flight_proved_from(r.rec[0].conn, TS_FLIGHT_DATA_HELD, TS_SERVER, (uint32_t)k - 3), n,
           "a hold finding the log full is not kept");
    expect(ts_conn_in_flight(r.rec[0].conn, (uint32_t)k - 1, TS_SERVER, NULL) == TS_FLIGHT_FIN_HELD, n,
           "the FIN's hold is recorded");
}

static void test_time_wait_reopens(void)
{
    const char *name = "time_wait_reopens";
    run r;
    ts_record v;
    static const step steps[] = {
        OLD_CONN_CLIENT_IN_TIME_WAIT,
        { 'C', "SA", 70000, 90001, 0, "Handshake 2/3: SYN-ACK", "SYN-SENT", "ESTABLISHED", "SYN-RECEIVED", "SYN-RECEIVED", 0, 0 },
        { 'S', "A", 90001, 70001, 0, "Handshake 3/3: ACK", "ESTABLISHED", "ESTABLISHED", "SYN-RECEIVED", "ESTABLISHED", 0, 0 },
        { 'S', "PA", 90001, 70001, 10, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
        { 'C', "A", 70001, 90011, 0, "Data transfer", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", 0, 0 },
    };
    run_init(&r);
    RUN(&r, name, steps);
    v = ts_hindsight(&r.rec[7], 8);
    expect(ts_rec_server_before(&v) == TS_TIME_WAIT && ts_rec_server_after(&v) == TS_SYN_RECEIVED, name,
           "hindsight: the SYN reopened the TIME-WAIT endpoint");
    expect(ts_deferred_anomalies(&r.rec[7], r.now_ns + 10 * GRACE_NS, GRACE_NS, 0) == 0, name,
           "the SYN was answered");
    expect(ts_conn_final_state(r.rec[0].conn, TS_CLIENT) == TS_CLOSED, name,
           "the old connection's TIME-WAIT ended with the reopen");
    expect(r.rec[8].conn->established, name, "the new connection is established");
    expect(ts_conn_in_flight(r.rec[7].conn, 8, TS_SERVER, NULL) == TS_FLIGHT_REOPENED, name,
           "the SYN's reopening is an in-flight record");
    expect(!ts_conn_time_wait_ignores_rst(r.rec[7].conn), name, "no RST was ignored");
}

int main(void)
{
    test_tables();
    test_client_closes_first();
    test_server_closes_first();
    test_fin_ack_close();
    test_refused();
    test_refused_rst_without_ack_is_ignored();
    test_abort();
    test_simultaneous_open();
    test_simultaneous_open_synack_resent();
    test_simultaneous_close();
    test_synack_lost_resent_syn();
    test_synack_lost_crossing_resends();
    test_synack_unheard_rst();
    test_synack_rejected_rst();
    test_synack_new_iss();
    test_ack_holds_fin();
    test_fin_held();
    test_data_held();
    test_data_held_log_full();
    test_flight_log_full();
    test_fin_ack_lost_fin_wait_2();
    test_synack_crossed_answered_by_data();
    test_synack_watch_limits();
    test_synack_resent_syn_view();
    test_synack_crossing_continuity();
    test_synack_lost_merged();
    test_half_close();
    test_fin_with_data();
    test_fin_data_retransmission();
    test_retransmissions();
    test_lost_third_ack();
    test_fast_open_without_cookie();
    test_syn_to_time_wait_reverse();
    test_syn_to_server_time_wait();
    test_syn_to_server_time_wait_refused();
    test_server_time_wait_ignores_rst();
    test_forged_rst();
    test_forged_rst_recovery();
    test_bare_ack_of_syn_to_syn_sent();
    test_fin_wait_2_expired();
    test_rst_proves_fin_lost();
    test_rst_lost();
    test_rst_challenged();
    test_rst_old_ack();
    test_fin_ack_crossed();
    test_rst_out_of_window_syn_received();
    test_synack_repeat_after_data();
    test_rst_windows();
    test_syn_on_established_and_half_open();
    test_injected_syn_keeps_sender();
    test_window_scale();
    test_half_open_rst_reply();
    test_packets_after_reset();
    test_after_close_and_time_wait();
    test_reuse_after_time_wait_expired();
    test_mid_stream();
    test_duplicates();
    test_invalid_probe_is_not_open();
    test_synack_first();
    test_invalid_flags();
    test_wrong_acks();
    test_handshake_ack_missing();
    test_data_checks();
    test_tfo();
    test_deferred();
    test_final_state_unheard_syn();
    test_sequence_wrap();
    test_one_sided();
    test_fin_to_syn_received();
    test_synack_not_captured();
    test_data_before_synack_stands();
    test_icmp_refuses_syn();
    test_icmp_soft_then_hard();
    test_icmp_other_states();
    test_out_of_window();
    test_syn_sent_rst_ack_range();
    test_rst_at_fin_seq();
    test_cells_syn_on_closing_states();
    test_cells_late_synack();
    test_cells_fin_and_ack();
    test_cells_rst();
    test_cells_out_of_window();
    test_cells_bad_ack();
    test_cells_icmp_closing_states();
    test_cells_listener_again();
    test_cells_closed_with_fin_outstanding();
    test_cells_syn_to_time_wait();
    test_keepalive_race_not_half_open();
    test_rst_sender_closes();
    test_zero_window();
    test_time_wait_ignores_rst();
    test_time_wait_reopens();
    write_cell_hits();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("all core tests passed\n");
    return 0;
}
