/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the Zeek-compatible conn_state and history (tcpstate_zeek.c).
 *
 * Every expected value below was worked out by hand from Zeek's rules as
 * listed at the top of plugin/tcpstate_zeek.c; the comment next to each
 * check names the rule (A1..F) that gives it.  Conventions:
 *   - endpoint A sends the first packet of each scenario (the core's "A");
 *     A's ISN is 1000 and B's is 5000 unless said otherwise;
 *   - ports are A 40000 and B 12345 (neither a likely server port) unless
 *     a scenario needs rule A1;
 *   - windows are 1000 unless said otherwise.
 * Standalone: cc -std=c99 -Wall -Wextra -Iplugin tests/test_zeek.c
 *             plugin/tcpstate_zeek.c && ./a.out
 */
#include <stdio.h>
#include <string.h>

#include "tcpstate_core.h"
#include "tcpstate_zeek.h"

#define SYN TS_SYN
#define ACK TS_ACK
#define FIN TS_FIN
#define RST TS_RST
#define PSH TS_PSH

static int failures, checks;
static const char *scenario;
static ts_zeek Z;
static uint16_t port_a, port_b;
static uint32_t frame;
static uint32_t encap_now;   /* seg.encap of the next segments */

/* Zeroed memory for the Zeek connections a split keeps (ts_zeek_prev) and
 * the extras (ts_zeek.more): a fixed pool of blocks big enough for either,
 * reused from the start by each scenario. */
typedef union {
    ts_zeek z;
    char    bytes[512];
} kept_block;
static kept_block kept[16];
static unsigned n_kept;

static void *kept_alloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size > sizeof(kept_block) || n_kept == sizeof kept / sizeof kept[0])
        return NULL;
    memset(&kept[n_kept], 0, sizeof kept[0]);
    return &kept[n_kept++];
}

static void begin(const char *name, uint16_t pa, uint16_t pb)
{
    scenario = name;
    port_a = pa;
    port_b = pb;
    frame = 0;
    n_kept = 0;
    ts_zeek_init(&Z);
    ts_zeek_set_alloc(&Z, kept_alloc, NULL);
}

static void send_full(int from_a, unsigned flags, uint32_t seq, uint32_t ack,
                      uint32_t len, uint32_t win, int bad)
{
    ts_segment s;
    memset(&s, 0, sizeof s);
    s.frame = ++frame;
    s.ts_ns = (int64_t)frame * 1000000;
    s.from_a = (uint8_t)from_a;
    s.flags = (uint8_t)flags;
    s.seq = seq;
    s.ack = ack;
    s.len = len;
    s.win = win;
    s.bad_checksum = (uint8_t)bad;
    s.sport = from_a ? port_a : port_b;
    s.dport = from_a ? port_b : port_a;
    s.encap = encap_now;
    ts_zeek_segment(&Z, &s);
}

/* A(...) / B(...): a segment from A / from B. */
#define A(fl, seq, ack, len) send_full(1, (fl), (seq), (ack), (len), 1000, 0)
#define B(fl, seq, ack, len) send_full(0, (fl), (seq), (ack), (len), 1000, 0)
#define AW(fl, seq, ack, len, w) send_full(1, (fl), (seq), (ack), (len), (w), 0)
#define BW(fl, seq, ack, len, w) send_full(0, (fl), (seq), (ack), (len), (w), 0)
#define A_BAD(fl, seq, ack, len) send_full(1, (fl), (seq), (ack), (len), 1000, 1)
#define B_BAD(fl, seq, ack, len) send_full(0, (fl), (seq), (ack), (len), 1000, 1)

static void expect_at(int line, const char *hist, ts_zeek_state st)
{
    ts_zeek_state got = ts_zeek_conn_state(&Z);
    ++checks;
    if (strcmp(ts_zeek_history(&Z), hist) != 0 || got != st ||
        strlen(ts_zeek_history(&Z)) != Z.hist_len) {
        ++failures;
        fprintf(stderr, "FAIL line %d [%s] after frame %u: expected %s \"%s\", got %s \"%s\" (len %u)\n",
                line, scenario, (unsigned)frame, ts_zeek_state_name(st), hist,
                ts_zeek_state_name(got), ts_zeek_history(&Z), (unsigned)Z.hist_len);
    }
}
#define EXPECT(hist, st) expect_at(__LINE__, (hist), (st))

static void expect_true_at(int line, int cond, const char *what)
{
    ++checks;
    if (!cond) {
        ++failures;
        fprintf(stderr, "FAIL line %d [%s]: %s\n", line, scenario, what);
    }
}
#define EXPECT_TRUE(c) expect_true_at(__LINE__, (c), #c)

/* The normal three-way handshake used by many scenarios. */
static void handshake(void)
{
    A(SYN, 1000, 0, 0);          /* D2 'S'; B1 A -> SYN_SENT */
    B(SYN | ACK, 5000, 1001, 0); /* D2 'h'; B1 B ESTABLISHED, A SYN_SENT -> ESTABLISHED */
    A(ACK, 1001, 5001, 0);       /* D3 'A' */
}

/* ===================================================================== */
/* conn_state values                                                      */
/* ===================================================================== */

static void test_s0(void)
{
    begin("S0: SYN never answered", 40000, 12345);
    A(SYN, 1000, 0, 0);
    EXPECT("S", TS_ZK_S0);  /* D2 first SYN of A: 'S'.  B1: A SYN_SENT; F: o SYN_SENT, r INACTIVE -> S0 */
    A(SYN, 1000, 0, 0);
    EXPECT("S", TS_ZK_S0);  /* retransmission: C2 keeps start (same seq), relative seq 0 == last SYN's 0 -> D2 adds nothing */
    A(SYN, 7000, 0, 0);
    /* new ISN: C2 restarts the numbering at 7000, so relative seq is 0
     * again -> D2 nothing.  (Zeek's IsReuse, and the core, would start a
     * new connection here; this checks ts_zeek alone.) */
    EXPECT("S", TS_ZK_S0);
}

static void test_first_packet_from_b(void)
{
    /* On port reuse the core starts a new connection whose first packet
     * may come from the stream's endpoint B. */
    begin("originator is B when B sends the first packet", 40000, 12345);
    B(SYN, 5000, 0, 0);
    EXPECT("S", TS_ZK_S0);        /* A1: the first packet's sender (B) is the originator -> 'S' upper case */
    A(SYN | ACK, 1000, 5001, 0);
    EXPECT("Sh", TS_ZK_S1);       /* A is the responder -> 'h'; B1 both ESTABLISHED */
    A(RST, 1001, 0, 0);
    EXPECT("Shr", TS_ZK_RSTR);    /* responder's RST -> RSTR */
}

static void test_s1_sf(void)
{
    begin("S1 then S2 then SF: full connection", 40000, 12345);
    A(SYN, 1000, 0, 0);
    EXPECT("S", TS_ZK_S0);
    B(SYN | ACK, 5000, 1001, 0);
    EXPECT("Sh", TS_ZK_S1);        /* D2 'h' (responder, lower case); B1: SYN-ACK from the responder moves A SYN_SENT -> ESTABLISHED, B -> ESTABLISHED; F: both ESTABLISHED -> S1 */
    A(ACK, 1001, 5001, 0);
    EXPECT("ShA", TS_ZK_S1);       /* D3 pure ACK -> 'A' */
    A(ACK | PSH, 1001, 5001, 10);
    EXPECT("ShAD", TS_ZK_S1);      /* D3 payload -> 'D' */
    B(ACK, 5001, 1011, 0);
    EXPECT("ShADa", TS_ZK_S1);     /* D3 'a'; E: ack 1011 = relative 11 = A's delivered edge, no gap */
    B(ACK | PSH, 5001, 1011, 20);
    EXPECT("ShADad", TS_ZK_S1);    /* D3 'd' */
    A(ACK, 1011, 5021, 0);
    EXPECT("ShADad", TS_ZK_S1);    /* D3: 'A' already recorded for A -> nothing */
    A(FIN | ACK, 1011, 5021, 0);
    EXPECT("ShADadF", TS_ZK_S2);   /* D2 'F'; B3 A ESTABLISHED -> CLOSED; F: o CLOSED, r ESTABLISHED -> S2 */
    B(FIN | ACK, 5021, 1012, 0);
    EXPECT("ShADadFf", TS_ZK_SF);  /* D2 'f'; B3 B -> CLOSED; F: both CLOSED -> SF.  E: ack 1012 is past A's FIN, capped to relative 11, no gap */
    A(ACK, 1012, 5022, 0);
    EXPECT("ShADadFf", TS_ZK_SF);  /* final ACK: 'A' already seen; E: capped at B's FIN, no gap */
}

static void test_rej(void)
{
    begin("REJ: SYN answered by RST", 40000, 12345);
    A(SYN, 1000, 0, 0);
    B(RST | ACK, 0, 1001, 0);
    EXPECT("Sr", TS_ZK_REJ);   /* D2 'r'; B1 B INACTIVE + RST -> RESET; F: r RESET and o SYN_SENT -> REJ */
    A(SYN, 3000, 0, 0);
    /* G3 IsReuse: B's RST closed B (did_close), so any SYN starts a new Zeek
     * connection: index 1, history "S", S0; the first one is kept whole. */
    EXPECT("S", TS_ZK_S0);
    EXPECT_TRUE(ts_zeek_index(&Z) == 1 && Z.split_reason == TS_ZSPLIT_REUSE);
    EXPECT_TRUE(ts_zeek_prev(&Z) && strcmp(ts_zeek_history(ts_zeek_prev(&Z)), "Sr") == 0 &&
                ts_zeek_conn_state(ts_zeek_prev(&Z)) == TS_ZK_REJ);

    begin("REJ: both reset, no bytes either way", 40000, 12345);
    A(SYN, 1000, 0, 0);
    B(RST | ACK, 0, 1001, 0);
    A(RST, 1001, 0, 0);
    /* D2 'R'.  B2: A SYN_SENT -> RESET.  F: r RESET, o RESET; sizes (C5):
     * A: last 1001 (end of SYN), ack 1000 -> 1 - SYN octet = 0;
     * B: start 0-1, last 0 -> 1 - 1 = 0.  Both 0 -> REJ. */
    EXPECT("SrR", TS_ZK_REJ);
}

static void test_rstr_both_reset_with_data(void)
{
    begin("RSTO then RSTR: both reset after data", 40000, 12345);
    handshake();
    A(ACK | PSH, 1001, 5001, 10);
    B(ACK, 5001, 1011, 0);
    A(RST, 1011, 0, 0);
    EXPECT("ShADaR", TS_ZK_RSTO);  /* D2 'R'; B3 A -> RESET; F: o RESET, r ESTABLISHED (not inactive) -> RSTO */
    B(RST, 5001, 0, 0);
    /* D2 'r'; B3 B -> RESET.  F: r RESET, o RESET but A's size is
     * max(last 1011, ack 1011) - 1000 - 1 = 10 != 0, so not REJ; o not
     * inactive -> RSTR. */
    EXPECT("ShADaRr", TS_ZK_RSTR);
}

static void test_s2_s3_rsto_rstr(void)
{
    begin("S2: originator closed, no answer", 40000, 12345);
    handshake();
    A(FIN | ACK, 1001, 5001, 0);
    EXPECT("ShAF", TS_ZK_S2);  /* B3 A -> CLOSED; F: o CLOSED, r ESTABLISHED -> S2 */

    begin("S3: responder closed, no answer", 40000, 12345);
    handshake();
    B(FIN | ACK, 5001, 1001, 0);
    EXPECT("ShAf", TS_ZK_S3);  /* B3 B -> CLOSED; F: r CLOSED, o ESTABLISHED (not inactive) -> S3 */

    begin("RSTO: originator aborts", 40000, 12345);
    handshake();
    A(RST | ACK, 1001, 5001, 0);
    EXPECT("ShAR", TS_ZK_RSTO);  /* B3 A -> RESET; F: o RESET, r ESTABLISHED -> RSTO */

    begin("RSTR: responder aborts", 40000, 12345);
    handshake();
    B(RST | ACK, 5001, 1001, 0);
    EXPECT("ShAr", TS_ZK_RSTR);  /* B3 B -> RESET; F: r RESET, o ESTABLISHED: not SYN_SENT, not RESET, not inactive -> RSTR */
}

static void test_rstos0(void)
{
    begin("RSTOS0: SYN then RST from the originator", 40000, 12345);
    A(SYN, 1000, 0, 0);
    A(RST, 1001, 0, 0);
    EXPECT("SR", TS_ZK_RSTOS0);  /* B2 A -> RESET; F: o RESET, r INACTIVE, "SR" matches ^?S[^HAFGIQ]*R.* -> RSTOS0 */

    begin("RSTOS0: lower-case letters between S and R are allowed", 40000, 12345);
    A(SYN, 1000, 0, 0);
    B(ACK, 4999, 1001, 0);
    EXPECT("Sa", TS_ZK_S0);      /* B1: responder's empty packet while A is SYN_SENT leaves B INACTIVE -> still S0 */
    A(RST, 1001, 0, 0);
    EXPECT("SaR", TS_ZK_RSTOS0); /* F: r INACTIVE; 'a' is not in [HAFGIQ] -> RSTOS0 */

    begin("OTH: originator RST, history not S...R", 40000, 12345);
    A(SYN, 1000, 0, 0);
    A(ACK, 1001, 5001, 0);       /* D3 'A'; B2 A stays SYN_SENT; C3 starts B's numbering at 5000 */
    A(RST, 1001, 0, 0);
    EXPECT("SAR", TS_ZK_OTH);    /* F: o RESET, r INACTIVE, "SAR" has 'A' before R -> no match -> OTH */

    begin("OTH: midstream data then RST", 40000, 12345);
    A(ACK | PSH, 1000, 5000, 10);
    A(RST, 1010, 0, 0);
    EXPECT("DR", TS_ZK_OTH);     /* B1 A PARTIAL, B3 -> RESET; F: r INACTIVE, no leading S -> OTH */
}

static void test_rstrh(void)
{
    /* A is the server (port 80): rule A1 flips at creation. */
    begin("RSTRH: responder's SYN-ACK then RST, no SYN", 80, 40000);
    A(SYN | ACK, 5000, 1001, 0);
    /* A1: SYN-ACK from likely port 80 to 40000 -> flip, history "^", A is
     * responder.  D2 'h'.  B1: responder SYN -> A ESTABLISHED, B stays
     * INACTIVE.  F: o INACTIVE, r ESTABLISHED -> no rule -> OTH. */
    EXPECT("^h", TS_ZK_OTH);
    A(RST, 5001, 0, 0);
    EXPECT("^hr", TS_ZK_RSTRH);  /* B3 A -> RESET; F: r RESET, o INACTIVE (not SYN_SENT, not RESET) -> RSTRH */
}

static void test_sh_shr(void)
{
    begin("SH: SYN then FIN, no reply", 40000, 12345);
    A(SYN, 1000, 0, 0);
    A(FIN, 1001, 0, 0);
    EXPECT("SF", TS_ZK_SH);   /* B2 A SYN_SENT -> CLOSED; F: o CLOSED, r INACTIVE -> SH */

    begin("SHR: SYN-ACK then FIN from the responder", 80, 40000);
    A(SYN | ACK, 5000, 1001, 0);
    A(FIN | ACK, 5001, 1001, 0);
    EXPECT("^hf", TS_ZK_SHR); /* A1 flip; B3 A ESTABLISHED -> CLOSED; F: r CLOSED, o INACTIVE -> SHR */
}

static void test_oth(void)
{
    begin("OTH: midstream, both sides", 40000, 12345);
    A(ACK | PSH, 1000, 5000, 10);
    EXPECT("D", TS_ZK_OTH);   /* A1 no flip (no likely port); B1 A -> PARTIAL; F: o PARTIAL -> OTH */
    B(ACK, 5000, 1010, 0);
    EXPECT("Da", TS_ZK_OTH);  /* B1: ACK but A is PARTIAL (not ESTABLISHED) -> B PARTIAL; F -> OTH */
}

static void test_fin_then_rst_is_sf(void)
{
    begin("SF: FIN then RST from one side, FIN from the other", 40000, 12345);
    handshake();
    A(FIN | ACK, 1001, 5001, 0);
    EXPECT("ShAF", TS_ZK_S2);
    A(RST, 1002, 0, 0);
    EXPECT("ShAFR", TS_ZK_RSTO);   /* B4: A CLOSED, RST, peer not CLOSED -> A RESET (prev CLOSED); F -> RSTO */
    B(FIN | ACK, 5001, 1002, 0);
    EXPECT("ShAFRf", TS_ZK_SF);    /* B3: B -> CLOSED and A (RESET, prev CLOSED) back to CLOSED; F: both CLOSED -> SF */

    begin("SF: RST after both FINs changes nothing", 40000, 12345);
    handshake();
    A(FIN | ACK, 1001, 5001, 0);
    B(FIN | ACK, 5001, 1002, 0);
    A(RST, 1002, 0, 0);
    EXPECT("ShAFfR", TS_ZK_SF);    /* D2 'R' still recorded; B4: peer CLOSED -> A stays CLOSED -> SF */
}

/* ===================================================================== */
/* history letters and their repetition rules                             */
/* ===================================================================== */

static void test_letter_c(void)
{
    int k;
    begin("c/C: bad checksums, logarithmic, packet ignored", 40000, 12345);
    handshake();
    B_BAD(FIN | ACK, 5001, 1001, 0);
    EXPECT("ShAc", TS_ZK_S1);      /* D4: 1st bad checksum from B -> 'c'; the FIN is ignored, no 'f', B stays ESTABLISHED */
    for (k = 2; k <= 9; ++k)
        B_BAD(ACK, 5001, 1001, 0);
    EXPECT("ShAc", TS_ZK_S1);      /* D5: counts 2..9 add nothing */
    B_BAD(ACK, 5001, 1001, 0);
    EXPECT("ShAcc", TS_ZK_S1);     /* D5: 10th -> 'c' again */
    A_BAD(ACK, 1001, 5001, 0);
    EXPECT("ShAccC", TS_ZK_S1);    /* D5: A's own counter: its 1st -> 'C' */
}

static void test_letter_t(void)
{
    int k;
    begin("t/T: retransmitted payload, logarithmic", 40000, 12345);
    handshake();
    A(ACK | PSH, 1001, 5001, 10);
    EXPECT("ShAD", TS_ZK_S1);
    A(ACK | PSH, 1001, 5001, 10);
    EXPECT("ShADT", TS_ZK_S1);     /* C4: end 1011 does not pass last 1011 and len > 0 -> 1st retransmission -> 'T' */
    A(ACK, 1011, 5001, 0);
    EXPECT("ShADT", TS_ZK_S1);     /* C4: no payload -> not a retransmission */
    for (k = 2; k <= 9; ++k)
        A(ACK | PSH, 1001, 5001, 10);
    EXPECT("ShADT", TS_ZK_S1);
    A(ACK | PSH, 1005, 5001, 6);
    EXPECT("ShADTT", TS_ZK_S1);    /* 10th (a partial overlap ending at 1011 also counts) -> 'T' */
    for (k = 11; k <= 99; ++k)
        A(ACK | PSH, 1001, 5001, 10);
    EXPECT("ShADTT", TS_ZK_S1);
    A(ACK | PSH, 1001, 5001, 10);
    EXPECT("ShADTTT", TS_ZK_S1);   /* 100th -> 'T' */
    B(ACK | PSH, 5001, 1011, 10);
    B(ACK | PSH, 5001, 1011, 10);
    EXPECT("ShADTTTdt", TS_ZK_S1); /* B's own counter: 'd' then its 1st retransmission 't' */

    begin("T: a SYN carrying data counts as retransmitted (as Zeek's code reads)", 40000, 12345);
    A(SYN, 1000, 0, 10);
    /* C2 sets A's last to the end of this very SYN (1011); C4 then sees
     * no advance with payload -> DidRxmit -> 'T' after 'S'. */
    EXPECT("ST", TS_ZK_S0);
}

static void test_letter_w(void)
{
    int k;
    begin("w/W: zero windows, logarithmic, not after peer's FIN", 40000, 12345);
    handshake();
    BW(ACK, 5001, 1001, 0, 0);
    EXPECT("ShAaw", TS_ZK_S1);     /* D3 'a' then D5 1st zero window -> 'w' (D6 order) */
    BW(RST, 5001, 0, 0, 0);
    /* D5: a zero window on a RST is not counted -> only 'r'; B3 B -> RESET;
     * F: r RESET, o ESTABLISHED -> RSTR. */
    EXPECT("ShAawr", TS_ZK_RSTR);

    begin("w: the 10th zero window, and none after the peer's FIN", 40000, 12345);
    handshake();
    for (k = 1; k <= 9; ++k)
        BW(ACK, 5001, 1001, 0, 0);
    EXPECT("ShAaw", TS_ZK_S1);     /* counts 1..9: only the 1st adds 'w' */
    BW(ACK, 5001, 1001, 0, 0);
    EXPECT("ShAaww", TS_ZK_S1);    /* 10th -> 'w' */
    A(FIN | ACK, 1001, 5001, 0);
    for (k = 11; k <= 100; ++k)
        BW(ACK, 5001, 1002, 0, 0);
    EXPECT("ShAawwF", TS_ZK_S2);   /* D5: peer A is CLOSED, so these 90 are not counted and no 100th 'w' */
    AW(ACK, 1002, 5001, 0, 0);
    EXPECT("ShAawwFW", TS_ZK_S2);  /* A's zero window after its own FIN still counts (peer B not CLOSED) */
}

static void test_letter_g(void)
{
    int k;
    uint32_t seq;
    begin("g/G: content gaps seen through acks, logarithmic", 40000, 12345);
    handshake();
    A(ACK | PSH, 1001, 5001, 10);       /* delivered up to relative 11 */
    /* A's segment 1011..1021 is not in the capture */
    B(ACK, 5001, 1021, 0);
    EXPECT("ShADaG", TS_ZK_S1);         /* E: ack relative 21 > delivered 11, both ESTABLISHED -> 1st gap in A's stream -> 'G' after 'a' (D6) */
    A(ACK | PSH, 1031, 5001, 10);       /* 1021..1031 missing: buffered above a hole */
    B(ACK, 5001, 1041, 0);
    EXPECT("ShADaG", TS_ZK_S1);         /* E: one hole below the buffered block -> 2nd gap, no letter */
    seq = 1041;
    for (k = 3; k <= 10; ++k) {         /* gaps 3..10: skip 10 bytes, send 10, ack them */
        A(ACK | PSH, seq + 10, 5001, 10);
        B(ACK, 5001, seq + 20, 0);
        seq += 20;
    }
    EXPECT("ShADaGG", TS_ZK_S1);        /* D5: the 10th gap -> 'G' */
    B(ACK | PSH, 5001, seq, 10);        /* B's 5001..5011 */
    A(ACK, seq, 5031, 0);               /* acks 20 bytes of B never seen after 5011 */
    EXPECT("ShADaGGdg", TS_ZK_S1);      /* gap in the responder's stream -> 'g' */

    begin("g: no gap when the hole is filled before the ack", 40000, 12345);
    handshake();
    A(ACK | PSH, 1011, 5001, 10);       /* arrives first: above the hole 1001..1011 */
    A(ACK | PSH, 1001, 5001, 10);       /* fills the hole: C4 end 1011 < last 1021 -> 'T' (out of order counts as retransmission) */
    B(ACK, 5001, 1021, 0);
    EXPECT("ShADTa", TS_ZK_S1);         /* E: delivered up to 21 already -> no gap */

    begin("g: not for a partial connection", 40000, 12345);
    A(ACK | PSH, 1000, 5000, 10);
    B(ACK, 5000, 2000, 0);
    EXPECT("Da", TS_ZK_OTH);            /* E: both PARTIAL, not ESTABLISHED -> no 'G' */

    begin("g: data missing before the responder's FIN", 40000, 12345);
    handshake();
    B(ACK | PSH, 5001, 1001, 10);       /* 5001..5011 */
    /* 5011..5021 not captured */
    B(FIN | ACK, 5021, 1001, 0);
    A(ACK, 1001, 5022, 0);
    /* E: ack relative 22 is past B's FIN (ends at 22) -> capped to 21;
     * delivered 11 < 21, B CLOSED from ESTABLISHED and A ESTABLISHED ->
     * gap -> 'g'. */
    EXPECT("ShAdfg", TS_ZK_S3);
}

static void test_letters_i_q(void)
{
    begin("i/I: FIN+RST once per direction", 40000, 12345);
    handshake();
    A(FIN | RST | ACK, 1001, 5001, 0);
    /* D1 FIN and RST -> 'I'.  C4: a FIN right after the SYN (last 1001 ==
     * start + 1) moves last to 1002.  B3: FIN with RST does not close; RST
     * -> RESET.  F: o RESET, r ESTABLISHED -> RSTO. */
    EXPECT("ShAI", TS_ZK_RSTO);
    A(FIN | RST | ACK, 1001, 5001, 0);
    EXPECT("ShAI", TS_ZK_RSTO);     /* D1 once per direction */
    B(FIN | RST, 5001, 0, 0);
    /* D1 'i'; B3 B -> RESET.  F: r RESET, o RESET; sizes (C5):
     * A: max(last 1002, ack 1001) - 1000 = 2, minus SYN = 1, minus FIN = 0;
     * B: max(last 5002, ack 5001) - 5000 = 2 -> 1 -> 0 likewise.
     * Both 0 -> REJ, although the handshake completed. */
    EXPECT("ShAIi", TS_ZK_REJ);

    begin("q/Q: SYN+FIN and SYN+RST", 40000, 12345);
    A(SYN | FIN, 1000, 0, 0);
    EXPECT("Q", TS_ZK_SH);          /* D1 SYN+FIN -> 'Q'; B1 SYN -> SYN_SENT then FIN -> CLOSED; F: o CLOSED, r INACTIVE -> SH */
    B(SYN | RST | ACK, 5000, 1001, 0);
    /* Not a reuse (G3: a SYN-ACK while the originator is active).  D1
     * SYN+RST -> 'q'.  B1: responder SYN, A not SYN_SENT -> B ESTABLISHED,
     * then RST -> RESET.  F: r RESET, o CLOSED (not SYN_SENT, not RESET,
     * not inactive) -> RSTR. */
    EXPECT("Qq", TS_ZK_RSTR);
    B(SYN | RST | ACK, 5000, 1001, 0);
    EXPECT("Qq", TS_ZK_RSTR);       /* D1 once per direction */
}

static void test_once_letters(void)
{
    begin("a, d once per direction; empty packet adds nothing", 40000, 12345);
    handshake();
    A(ACK | PSH, 1001, 5001, 10);
    A(ACK | PSH, 1011, 5001, 10);
    B(ACK | PSH, 5001, 1021, 10);
    B(ACK | PSH, 5011, 1021, 10);
    B(ACK, 5021, 1021, 0);
    A(ACK, 1021, 5021, 0);
    EXPECT("ShADda", TS_ZK_S1);    /* D3: 'D' and 'd' once, B's first pure ACK 'a' */
    A(0, 1021, 0, 0);
    EXPECT("ShADda", TS_ZK_S1);    /* D3: no flag, no payload -> nothing */
}

static void test_repeat_s_f_r_h(void)
{
    begin("S repeats with a new relative seq (after RST)", 40000, 12345);
    handshake();
    A(RST, 1001, 0, 0);
    A(SYN | ACK, 9000, 5001, 0);
    /* G3: a SYN-ACK while the originator is active is no reuse (a pure SYN
     * would be: A closed).  C2: A is RESET and was ESTABLISHED before -> no
     * restart; relative 8000 != last SYN's 0 -> D2 adds 'H' (S and H share
     * one kind).  B5: no state change. */
    EXPECT("ShARH", TS_ZK_RSTO);

    begin("F repeats only at a new end seq", 40000, 12345);
    handshake();
    A(FIN | ACK, 1001, 5001, 0);
    A(FIN | ACK, 1001, 5001, 0);
    EXPECT("ShAF", TS_ZK_S2);      /* D2: same end (relative 1) -> nothing */
    A(FIN | ACK, 1001, 5001, 5);
    EXPECT("ShAFF", TS_ZK_S2);     /* D2: end = 1 + 5 = 6 != 1 -> 'F' again (not 'D': FIN packet) */

    begin("R repeats only at a new seq", 40000, 12345);
    handshake();
    A(RST, 1001, 0, 0);
    A(RST, 1001, 0, 0);
    EXPECT("ShAR", TS_ZK_RSTO);    /* D2: same relative seq 1 -> nothing */
    A(RST, 2001, 0, 0);
    EXPECT("ShARR", TS_ZK_RSTO);   /* D2: relative 1001 != 1 -> 'R' */

    begin("H does not repeat for a retransmitted SYN-ACK", 40000, 12345);
    A(SYN, 1000, 0, 0);
    B(SYN | ACK, 5000, 1001, 0);
    B(SYN | ACK, 5000, 1001, 0);
    EXPECT("Sh", TS_ZK_S1);        /* C2: B ESTABLISHED + SYN restarts at 5000 -> relative 0 == last -> D2 nothing */
    B(SYN | ACK, 6000, 1001, 0);
    EXPECT("Sh", TS_ZK_S1);        /* new ISN: restart again -> relative 0 -> nothing */
}

/* ===================================================================== */
/* roles and flips                                                        */
/* ===================================================================== */

static void test_flip_at_creation(void)
{
    begin("^ at creation: data from a server port", 80, 40000);
    A(ACK | PSH, 5001, 1001, 100);
    /* A1: not a SYN, source 80 likely, destination not -> flip: "^";
     * A is the responder -> 'd'.  B1 A PARTIAL; F -> OTH. */
    EXPECT("^d", TS_ZK_OTH);

    begin("^ at creation: both ports likely, lower source port", 80, 443);
    A(ACK | PSH, 5001, 1001, 100);
    EXPECT("^d", TS_ZK_OTH);       /* A1: both likely, not SYN, 80 < 443 -> flip */

    begin("no flip: both ports likely, higher source port", 443, 80);
    A(ACK | PSH, 5001, 1001, 100);
    EXPECT("D", TS_ZK_OTH);        /* A1: 443 > 80 -> no flip, A originator */

    begin("no flip: SYN-ACK with both ports likely", 443, 80);
    A(SYN | ACK, 5000, 1001, 0);
    EXPECT("H", TS_ZK_OTH);        /* A1: both likely and a SYN-ACK -> no flip; B1 orig SYN+ACK -> SYN_ACK_SENT; F -> OTH */

    begin("no flip: a pure SYN from a server port", 80, 40000);
    A(SYN, 1000, 0, 0);
    EXPECT("S", TS_ZK_S0);         /* A1 only considers packets that are not a pure SYN */
}

static void test_late_flip(void)
{
    begin("^h: SYN-ACK first, then an ACK (late flip)", 40000, 12345);
    A(SYN | ACK, 5000, 1001, 0);
    EXPECT("H", TS_ZK_OTH);        /* A1 no flip; D2 'H'; B1 A SYN_ACK_SENT; F: o SYN_ACK_SENT, r INACTIVE -> OTH */
    EXPECT_TRUE(ts_zeek_history_len_at(&Z, 1) == 1); /* no flip yet */
    B(ACK, 1001, 5001, 0);
    /* A2: history is exactly "H" and an 'A' is coming -> flip, history
     * replaced by "^h"; B is now the originator -> 'A'.  B1 (with the
     * direction as it arrived, responder): ACK, peer A SYN_ACK_SENT (not
     * ESTABLISHED) -> B PARTIAL.  F: o PARTIAL, r SYN_ACK_SENT -> OTH. */
    EXPECT("^hA", TS_ZK_OTH);
    EXPECT_TRUE(ts_zeek_history_len_at(&Z, 1) == 2); /* the first packet is shown as "^h" */
    EXPECT_TRUE(ts_zeek_history_len_at(&Z, 3) == 3);
    B(ACK | PSH, 1001, 5001, 10);
    A(ACK | PSH, 5001, 1011, 10);
    EXPECT("^hADd", TS_ZK_OTH);
    A(FIN | ACK, 5011, 1011, 0);
    EXPECT("^hADdf", TS_ZK_SHR);   /* B2 A SYN_ACK_SENT -> CLOSED; F: r CLOSED, o PARTIAL (inactive) -> SHR */
    B(FIN | ACK, 1011, 5012, 0);
    EXPECT("^hADdfF", TS_ZK_SF);   /* B3 B PARTIAL -> CLOSED; F: both CLOSED -> SF */

    begin("^h: late flip by data from the SYN-ACK sender", 40000, 12345);
    A(SYN | ACK, 5000, 1001, 0);
    A(ACK | PSH, 5001, 1001, 10);
    /* A2 fires for 'D' from A too; after the flip A is the responder ->
     * 'd'.  B2: A stays SYN_ACK_SENT.  F: o INACTIVE, r SYN_ACK_SENT -> OTH. */
    EXPECT("^hd", TS_ZK_OTH);

    begin("^h quirk: the letter mask is not flipped (A4)", 40000, 12345);
    A(SYN | ACK, 5000, 1001, 0);
    B(ACK, 1001, 5001, 0);
    A(SYN | ACK, 5000, 1001, 0);
    /* A's 'H' set the originator's SYN bit; A is now the responder, whose
     * SYN bit is still clear -> 'h' is added although it repeats. */
    EXPECT("^hAh", TS_ZK_OTH);

    begin("missed SYN with a server port: ^h then ACK establishes", 80, 40000);
    A(SYN | ACK, 5000, 1001, 0);
    B(ACK, 1001, 5001, 0);
    /* A1 flip at creation, so history is "^h", not "H": A2 does not fire.
     * B1: ACK while peer A is ESTABLISHED -> B ESTABLISHED -> S1. */
    EXPECT("^hA", TS_ZK_S1);
    EXPECT_TRUE(ts_zeek_history_len_at(&Z, 1) == 1); /* no rewrite happened */
}

static void test_syn_synack_reversal(void)
{
    begin("^ after SYN/SYN-ACK reversal", 40000, 12345);
    A(SYN | ACK, 5000, 1001, 0);
    B(SYN, 1000, 0, 0);
    /* D2: B is still the responder -> 's'.  A3: responder's pure SYN while
     * A is SYN_ACK_SENT -> flip, '^' appended; A -> ESTABLISHED, B ->
     * ESTABLISHED.  F: both ESTABLISHED -> S1. */
    EXPECT("Hs^", TS_ZK_S1);
    B(ACK, 1001, 5001, 0);
    EXPECT("Hs^A", TS_ZK_S1);      /* B is now the originator -> upper-case 'A' */
}

static void test_eccentric_ack_and_partial_syn(void)
{
    begin("responder ACKs the SYN before its SYN-ACK", 40000, 12345);
    A(SYN, 1000, 0, 0);
    B(ACK, 4999, 1001, 0);
    EXPECT("Sa", TS_ZK_S0);        /* B1: responder's empty packet while A SYN_SENT -> B stays INACTIVE -> S0 */
    B(SYN | ACK, 5000, 1001, 0);
    EXPECT("Sah", TS_ZK_S1);       /* B1: SYN-ACK -> both ESTABLISHED */

    begin("SYN after partial start", 40000, 12345);
    A(ACK | PSH, 1001, 5001, 10);
    EXPECT("D", TS_ZK_OTH);
    A(SYN, 1000, 0, 0);
    /* G3: seq == A's start (1001 - 1, C2) -> no reuse (any other seq would
     * be).  B3: PARTIAL, peer INACTIVE, SYN without ACK -> SYN_SENT; F -> S0 */
    EXPECT("DS", TS_ZK_S0);
}

static void test_names_and_size(void)
{
    begin("names", 1, 2);
    EXPECT_TRUE(strcmp(ts_zeek_state_name(TS_ZK_RSTOS0), "RSTOS0") == 0);
    EXPECT_TRUE(strcmp(ts_zeek_state_name(TS_ZK_OTH), "OTH") == 0);
    EXPECT_TRUE(strcmp(ts_zeek_state_name(TS_ZK_COUNT), "?") == 0);
    EXPECT_TRUE(strncmp(ts_zeek_state_desc(TS_ZK_S0), "Connection attempt", 18) == 0);
    EXPECT_TRUE(sizeof(ts_zeek) < 400); /* one per tcpstate connection */
    ts_zeek_init(&Z);
    EXPECT("", TS_ZK_OTH);         /* nothing seen: both INACTIVE -> OTH */
}

static void test_letter_x(void)
{
    int k;
    begin("X: tunnel encapsulation changes more than 5 times", 40000, 12345);
    encap_now = 7;
    handshake();                   /* the connection starts inside tunnel 7 */
    EXPECT("ShA", TS_ZK_S1);
    for (k = 0; k < 5; ++k) {      /* changes 1..5: counted (tunnel_changes < 5) */
        encap_now = (k % 2) ? 7u : 8u;
        B(ACK, 5001, 1001, 0);
    }
    EXPECT("ShAa", TS_ZK_S1);      /* no X yet (Connection::CheckEncapsulation) */
    encap_now = 9;                 /* change 6: over Tunnel::max_changes_per_connection */
    A(ACK, 1001, 5001, 0);
    EXPECT("ShAaX", TS_ZK_S1);     /* 'X' upper case, before the packet's own letters */
    encap_now = 0;                 /* change 7 (tunnel left): X only once */
    A(ACK | PSH, 1001, 5001, 10);
    EXPECT("ShAaXD", TS_ZK_S1);
    encap_now = 0;

    begin("no X: the same tunnel throughout", 40000, 12345);
    encap_now = 7;
    handshake();
    for (k = 0; k < 10; ++k)
        B(ACK, 5001, 1001, 0);
    EXPECT("ShAa", TS_ZK_S1);
    encap_now = 0;
}

static void test_cut_header(void)
{
    ts_segment s;
    begin("cut header: skipped entirely", 40000, 12345);
    A(SYN, 1000, 0, 0);
    memset(&s, 0, sizeof s);
    s.frame = ++frame;
    s.ts_ns = (int64_t)frame * 1000000;
    s.flags = SYN | ACK;
    s.seq = 5000;
    s.ack = 1001;
    s.win = 1000;
    s.sport = port_b;
    s.dport = port_a;
    s.hdr_cut = 1;
    ts_zeek_segment(&Z, &s);
    EXPECT("S", TS_ZK_S0);         /* no 'h', no state, no count */
    EXPECT_TRUE(Z.ep[1].pkts == 0 && Z.ep[0].pkts == 1);
    s.hdr_cut = 0;
    s.frame = ++frame;
    ts_zeek_segment(&Z, &s);
    EXPECT("Sh", TS_ZK_S1);        /* the same SYN-ACK whole: used */
}

/* ---- Zeek's connection boundaries (rule G, plugin/ZEEK.md) ---------- */

#define SEC INT64_C(1000000000)
#define MS INT64_C(1000000)

/* A segment at an explicit time (ns). */
static void send_at(int from_a, unsigned flags, uint32_t seq, uint32_t ack, uint32_t len,
                    int64_t ts)
{
    ts_segment s;
    memset(&s, 0, sizeof s);
    s.frame = ++frame;
    s.ts_ns = ts;
    s.from_a = (uint8_t)from_a;
    s.flags = (uint8_t)flags;
    s.seq = seq;
    s.ack = ack;
    s.len = len;
    s.win = 1000;
    s.sport = from_a ? port_a : port_b;
    s.dport = from_a ? port_b : port_a;
    ts_zeek_segment(&Z, &s);
}

static void expect_part_at(int line, uint32_t index, unsigned why)
{
    ++checks;
    if (ts_zeek_index(&Z) != index || Z.split_reason != why) {
        ++failures;
        fprintf(stderr, "FAIL line %d [%s]: zeek conn %u (%s), expected %u (%s)\n", line,
                scenario, (unsigned)ts_zeek_index(&Z), ts_zeek_split_name(Z.split_reason),
                (unsigned)index, ts_zeek_split_name(why));
    }
}
#define EXPECT_PART(i, why) expect_part_at(__LINE__, (i), (why))

static void test_boundaries(void)
{
    ts_zeek_config cfg;

    begin("attempt timer: fires at exactly SYN + 5 s", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, 0);
    send_at(1, SYN, 1000, 0, 0, 5 * SEC - 1);  /* before the timer: same connection */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    /* no split yet: number 0, first frame 0 (the connection's), no extras */
    EXPECT_TRUE(ts_zeek_first_frame(&Z) == 0 && Z.more == NULL && !ts_zeek_prev(&Z));
    send_at(1, SYN, 1000, 0, 0, 5 * SEC);      /* timer at 5 s <= 5 s fires first (DoAdvance) */
    EXPECT_PART(1, TS_ZSPLIT_ATTEMPT);
    EXPECT("S", TS_ZK_S0);
    EXPECT_TRUE(ts_zeek_prev(&Z) && ts_zeek_prev(&Z)->ep[0].pkts == 2 && ts_zeek_first_frame(&Z) == 3);

    begin("attempt timer: an answered SYN stays", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, 0);
    send_at(0, SYN | ACK, 5000, 1001, 0, 1 * SEC);
    send_at(1, ACK, 1001, 5001, 0, 10 * SEC); /* the responder is active: AttemptTimer keeps it */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    EXPECT("ShA", TS_ZK_S1);

    begin("close delay: 5 s after the RST", 40000, 12345);
    handshake();                               /* at 1..3 ms */
    send_at(1, RST, 1001, 0, 0, 1 * SEC);
    send_at(0, ACK, 5001, 1001, 0, 6 * SEC - 1);
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    EXPECT("ShARa", TS_ZK_RSTO);
    send_at(0, ACK, 5001, 1001, 0, 6 * SEC);   /* ConnDeleteTimer at 1 + 5 s */
    EXPECT_PART(1, TS_ZSPLIT_CLOSE);
    EXPECT("A", TS_ZK_OTH);                    /* B is this connection's originator, PARTIAL */

    begin("inactivity: 5 min once established, 1 min in the handshake", 40000, 12345);
    handshake();
    send_at(1, ACK, 1001, 5001, 0, 300 * SEC);  /* 3 ms + 300 s not reached yet */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    send_at(1, ACK, 1001, 5001, 0, 600 * SEC);
    EXPECT_PART(1, TS_ZSPLIT_INACTIVITY);

    begin("expire: a side closed then reset, idle past the linger", 40000, 12345);
    handshake();
    send_at(1, FIN | ACK, 1001, 5001, 0, 1 * SEC);
    send_at(1, RST, 1002, 0, 0, 1 * SEC + 1);  /* RESET after CLOSED: no ConnectionClosed */
    EXPECT("ShAFR", TS_ZK_RSTO);
    send_at(0, ACK, 5001, 1002, 0, 6 * SEC);   /* the timer due at 5.001 s fires with t = 6 s: 1 s + 5 s not < 6 s; re-armed at 12 s */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    send_at(0, ACK, 5001, 1002, 0, 13 * SEC);  /* due timers fire with t = 13 s: idle since 6 s > 5 s -> removed */
    EXPECT_PART(1, TS_ZSPLIT_EXPIRE);

    begin("preferences: no attempt timer, handshake inactivity 60 s", 40000, 12345);
    cfg = *ts_zeek_get_config();
    cfg.attempt_delay = 0;
    ts_zeek_configure(&cfg);
    send_at(1, SYN, 1000, 0, 0, 0);
    send_at(1, SYN, 1000, 0, 0, 59 * SEC);
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    send_at(1, SYN, 1000, 0, 0, 119 * SEC);
    EXPECT_PART(1, TS_ZSPLIT_INACTIVITY);
    ts_zeek_configure(NULL);
    EXPECT_TRUE(ts_zeek_get_config()->attempt_delay == 5 * SEC);

    begin("times at the ends of int64: no overflow, no split", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, INT64_MAX - 1);
    send_at(0, SYN | ACK, 5000, 1001, 0, INT64_MAX);
    send_at(1, ACK, 1001, 5001, 0, INT64_MAX);
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    EXPECT("ShA", TS_ZK_S1);
    begin("times at the ends of int64: from the minimum", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, INT64_MIN);
    send_at(1, SYN, 1000, 0, 0, INT64_MAX);
    EXPECT_PART(1, TS_ZSPLIT_ATTEMPT);
}

static void test_log_counts(void)
{
    ts_zeek_log lg;
    begin("conn.log counts: sizes, packets, IP bytes, missed bytes", 40000, 12345);
    handshake();
    A(ACK | PSH, 1001, 5001, 100);
    B(ACK, 5001, 1101, 0);
    B(ACK | PSH, 5201, 1101, 50);              /* 200 bytes of B never seen */
    A(ACK, 1101, 5251, 0);                     /* acks them: a gap of 200 */
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.orig_bytes == 100 && lg.resp_bytes == 250);
    EXPECT_TRUE(lg.missed_bytes == 200);       /* TCP_Reassembler::Gap -> content_gap */
    EXPECT_TRUE(lg.orig_pkts == 4 && lg.resp_pkts == 3 && lg.orig_is_a);
    EXPECT_TRUE(lg.duration_ns == 6 * 1000000 && lg.conn_state == TS_ZK_S1);
}

static void test_history_cap(void)
{
    int k;
    begin("history capped, append-only", 40000, 12345);
    handshake();
    for (k = 0; k < 100; ++k)
        A(RST, 2000u + (uint32_t)k, 0, 0); /* D2: every new seq adds 'R' */
    EXPECT_TRUE(Z.hist_len == TS_ZEEK_HISTORY_MAX);
    EXPECT_TRUE(strncmp(ts_zeek_history(&Z), "ShARRR", 6) == 0);
}

/* Review D3: Zeek's clock moves only at packets, and a due ExpireTimer
 * decides with that packet's time and re-arms at it + tcp_session_timer. */
static void test_expire_at_packet_time(void)
{
    ts_zeek_log lg;
    begin("expire: the first timer fires at the next packet's time", 40000, 12345);
    handshake();                                /* 1..3 ms; constructor timer due 5.001 s */
    send_at(1, FIN | ACK, 1001, 5001, 0, 10 * MS);   /* ConnectionClosed: timer at 6.01 s */
    send_at(1, RST, 1002, 0, 0, 20 * MS);       /* RESET after CLOSED, no new close */
    send_at(0, ACK | PSH, 5001, 1002, 50, 5500 * MS);
    /* due 5.001 <= 5.5: fires with t = 5.5; 0.02 + 5 < 5.5, A closed and
     * reset -> removed; the packet starts the next connection */
    EXPECT_PART(1, TS_ZSPLIT_EXPIRE);
    EXPECT("D", TS_ZK_OTH);
    ts_zeek_log_of(ts_zeek_prev(&Z), &lg);
    EXPECT_TRUE(lg.duration_ns == 19 * MS && lg.conn_state == TS_ZK_RSTO); /* 1 ms .. 20 ms */

    begin("expire: fired, not idle long enough, re-armed at the packet + 6 s", 40000, 12345);
    handshake();
    send_at(1, FIN | ACK, 1001, 5001, 0, 1 * SEC);   /* timer at 7 s */
    send_at(1, RST, 1002, 0, 0, 1 * SEC + 10 * MS);
    send_at(0, ACK, 5001, 1002, 0, 5500 * MS);  /* 5.001 due: 1.01 + 5 > 5.5, kept, next at 11.5 s */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    send_at(0, ACK, 5001, 1002, 0, 6900 * MS);  /* nothing due (7 s, 11.5 s) */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    send_at(0, ACK, 5001, 1002, 0, 11 * SEC);   /* 7 s due: t = 11, last 6.9 + 5 > 11: kept */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    send_at(0, ACK, 5001, 1002, 0, 11600 * MS); /* 11.5 s due: 11 + 5 > 11.6: kept */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    send_at(0, ACK, 5001, 1002, 0, 17 * SEC);   /* 17 s (11 + 6) due: 11.6 + 5 < 17 -> removed */
    EXPECT_PART(1, TS_ZSPLIT_EXPIRE);
}

/* Review D5: Zeek reads times with microsecond precision. */
static void test_microsecond_clock(void)
{
    ts_zeek_log lg;
    begin("times truncated to microseconds: 500 ns apart is 0", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, 1000);
    send_at(0, RST | ACK, 0, 1001, 0, 1500);
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.ts_ns == 1000 && lg.duration_ns == 0);
    begin("times truncated to microseconds: 200 ns across a microsecond", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, SEC + 900);
    send_at(0, RST | ACK, 0, 1001, 0, SEC + 1100);
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.ts_ns == SEC && lg.duration_ns == 1000);
    begin("times truncated to microseconds: negative times go down", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, -1);
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.ts_ns == -1000);
}

/* Review D2: several holes in flight, and the bound of the block list. */
static void test_several_holes(void)
{
    ts_zeek_log lg;
    unsigned k;
    begin("content gaps: three holes acked at once", 40000, 12345);
    handshake();
    for (k = 0; k < 8; k++)                     /* 500-byte segments at rel 1, 501, ... */
        if (k == 0 || k == 2 || k == 4 || k == 7)
            B(ACK | PSH, 5001 + 500 * k, 1001, 500);
    A(ACK, 1001, 5001 + 4000, 0);
    /* holes 501-1000, 1501-2000, 2501-3500: one 'g' (scaled: 1st of 3) */
    EXPECT("ShAdg", TS_ZK_S1);
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.missed_bytes == 2000 && ts_zeek_gap_count(&Z, 1) == 3);

    begin("content gaps: blocks out of order merge; past the bound the highest is given up", 40000, 12345);
    handshake();
    /* relative seq (B's start 5000): delivered below 1 */
    B(ACK | PSH, 5001 + 300, 1001, 100);        /* [301,401) */
    B(ACK | PSH, 5001 + 100, 1001, 100);        /* [101,201) below it */
    B(ACK | PSH, 5001 + 200, 1001, 50);         /* [201,251): touches [101,201) -> [101,251) */
    B(ACK | PSH, 5001 + 500, 1001, 100);        /* [501,601): third block */
    B(ACK | PSH, 5001 + 700, 1001, 100);        /* [701,801): list full, above all: given up */
    B(ACK | PSH, 5001 + 450, 1001, 10);         /* [451,461): full, below [501,601): that one gives way */
    EXPECT_TRUE(ts_zeek_held_blocks(&Z, 1) == TS_ZEEK_BLOCKS);
    A(ACK, 1001, 5001 + 800, 0);
    /* holes 1-101, 251-301, 401-451, then 461-801 (the given-up blocks
     * count as missing, as if never seen) */
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.missed_bytes == 100 + 50 + 50 + 340 && ts_zeek_gap_count(&Z, 1) == 4);
}

/* ---- the compact record (issue 11 "Memory") ---------------------------------
 * ts_zeek keeps times other than start_ns as 32-bit microsecond offsets
 * from it, timers as their base time, IP byte counts' low 32 bits, and
 * moves what does not fit (exactly) to the extras ts_zeek.more.  Each
 * boundary is tested on both sides, and the values Zeek would log must be
 * exact on both: these are the same expectations the plain int64/uint64
 * record met, reasoned from Zeek's conn.log fields (duration = last_time -
 * start_time; orig_ip_bytes/resp_ip_bytes = sums of IP total lengths). */

#define US INT64_C(1000)
#define T0 (INT64_C(1700000000) * SEC + 123456 * US) /* a realistic epoch time */
#define LIMIT_US INT64_C(4294967296)                /* 2^32 us = 71 min 34.967296 s */

static void send_ip(int from_a, unsigned flags, uint32_t seq, uint32_t ack, uint32_t len,
                    int64_t ts, uint32_t ip_len, int bad)
{
    ts_segment s;
    memset(&s, 0, sizeof s);
    s.frame = ++frame;
    s.ts_ns = ts;
    s.from_a = (uint8_t)from_a;
    s.flags = (uint8_t)flags;
    s.seq = seq;
    s.ack = ack;
    s.len = len;
    s.win = 1000;
    s.ip_len = ip_len;
    s.bad_checksum = (uint8_t)bad;
    s.sport = from_a ? port_a : port_b;
    s.dport = from_a ? port_b : port_a;
    ts_zeek_segment(&Z, &s);
}

/* Handshake at t0, then A's keep-alive ACKs every 4 minutes (under Zeek's
 * 5-minute tcp_inactivity_timeout, so Zeek keeps the connection) up to
 * before `until`. */
static void long_connection(int64_t t0, int64_t until)
{
    int64_t t;
    send_at(1, SYN, 1000, 0, 0, t0);
    send_at(0, SYN | ACK, 5000, 1001, 0, t0 + 1 * MS);
    send_at(1, ACK, 1001, 5001, 0, t0 + 2 * MS);
    for (t = t0 + 240 * SEC; t < until; t += 240 * SEC)
        send_at(1, ACK, 1001, 5001, 0, t);
}

static int64_t duration_now(void)
{
    ts_zeek_log lg;
    ts_zeek_log_of(&Z, &lg);
    return lg.duration_ns;
}

static void test_compact_times(void)
{
    ts_zeek_log lg;

    begin("times: 2^32 - 1 us after the start inline, 2^32 us in the extras, both exact", 40000, 12345);
    long_connection(T0, T0 + (LIMIT_US - 1) * US);
    send_at(1, ACK, 1001, 5001, 0, T0 + (LIMIT_US - 1) * US); /* 214.967295 s after the last */
    EXPECT_TRUE(Z.more == NULL);
    EXPECT_TRUE(duration_now() == (LIMIT_US - 1) * US);
    send_at(1, ACK, 1001, 5001, 0, T0 + LIMIT_US * US);
    EXPECT_TRUE(Z.more != NULL);
    EXPECT_TRUE(duration_now() == LIMIT_US * US);
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    EXPECT("ShA", TS_ZK_S1);

    begin("times: 25 days (past 2^31 ms) of keep-alives, to the microsecond", 40000, 12345);
    /* the first packet's 999 ns below the microsecond are dropped (zeek_clock) */
    long_connection(T0 + 999, T0 + 25 * 86400 * SEC);
    send_at(1, ACK, 1001, 5001, 0, T0 + 25 * 86400 * SEC + 1 * US + 999);
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.ts_ns == T0 && lg.duration_ns == 25 * 86400 * SEC + 1 * US);
    EXPECT_TRUE(Z.ep[0].pkts == 2 + 25 * 360);  /* SYN, ACK, 8999 keep-alives, the last */

    begin("times: the delete timer of a long connection, at its deadline minus 1 us", 40000, 12345);
    long_connection(T0, T0 + LIMIT_US * US + 60 * SEC);
    EXPECT_TRUE(Z.more != NULL);                /* the times are in the extras */
    send_at(1, FIN | ACK, 1001, 5001, 0, T0 + LIMIT_US * US + 100 * SEC);
    send_at(0, FIN | ACK, 5001, 1002, 0, T0 + LIMIT_US * US + 101 * SEC);
    send_at(1, ACK, 1002, 5002, 0, T0 + LIMIT_US * US + 102 * SEC);
    /* both closed at 101 s: ConnDeleteTimer at last_time (101 s) + 5 s;
     * last_time stays once both have closed (Zeek's SetLastTime is skipped) */
    send_at(1, ACK, 1002, 5002, 0, T0 + LIMIT_US * US + 106 * SEC - 1 * US);
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    EXPECT("ShAFf", TS_ZK_SF);
    begin("times: the delete timer of a long connection, at its deadline", 40000, 12345);
    long_connection(T0, T0 + LIMIT_US * US + 60 * SEC);
    send_at(1, FIN | ACK, 1001, 5001, 0, T0 + LIMIT_US * US + 100 * SEC);
    send_at(0, FIN | ACK, 5001, 1002, 0, T0 + LIMIT_US * US + 101 * SEC);
    send_at(1, ACK, 1002, 5002, 0, T0 + LIMIT_US * US + 102 * SEC);
    send_at(1, ACK, 1002, 5002, 0, T0 + LIMIT_US * US + 106 * SEC); /* due <= now: fires first */
    EXPECT_PART(1, TS_ZSPLIT_CLOSE);
    ts_zeek_log_of(ts_zeek_prev(&Z), &lg);
    EXPECT_TRUE(lg.conn_state == TS_ZK_SF && lg.duration_ns == LIMIT_US * US + 101 * SEC);

    /* An attempt timer moved to the extras: A's SYN at T0 arms AttemptTimer
     * (due T0 + 5 s); its retransmission carries an earlier time (T0 - 1 us,
     * the same seq: not a reuse), which the inline offsets cannot hold, so
     * every time, the timer's base included, moves to the extras.  A SYN
     * 1 us before the deadline stays; one at it is a new Zeek connection
     * (rule G: due timers fire first). */
    begin("times: an attempt timer kept in the extras, 1 us before its deadline", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, T0);
    send_at(1, SYN, 1000, 0, 0, T0 - 1 * US);
    EXPECT_TRUE(Z.more != NULL);
    send_at(1, SYN, 1000, 0, 0, T0 + 5 * SEC - 1 * US);
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    EXPECT("S", TS_ZK_S0);
    begin("times: an attempt timer kept in the extras, at its deadline", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, T0);
    send_at(1, SYN, 1000, 0, 0, T0 - 1 * US);
    send_at(1, SYN, 1000, 0, 0, T0 + 5 * SEC);
    EXPECT_PART(1, TS_ZSPLIT_ATTEMPT);
    EXPECT("S", TS_ZK_S0);

    /* The first expire timer's delay is tcp_SYN_timeout (5 s, the adapter's
     * constructor); once re-armed it is tcp_session_timer (6 s).  Only
     * skipped packets (ACKs with bad checksums; a SYN would be a reuse for
     * a connection whose originator has no start): nobody is ever active, last_time
     * stays at the start (0), so a due ExpireTimer removes the connection
     * as soon as 0 + tcp_connection_linger (5 s) < t. */
    begin("expire: re-armed first timer 6 s after its base, 1 s before", 40000, 12345);
    send_ip(1, ACK, 1001, 5001, 0, 0, 60, 1);
    send_ip(1, ACK, 1001, 5001, 0, 5 * SEC, 60, 1);     /* due 5 s: fires, 0 + 5 < 5 false; re-armed, due 11 s */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    send_ip(1, ACK, 1001, 5001, 0, 10500 * MS, 60, 1);  /* nothing due (5 s + 5 s would be) */
    EXPECT_PART(0, TS_ZSPLIT_NONE);
    send_ip(1, ACK, 1001, 5001, 0, 11 * SEC, 60, 1);    /* due 11 s: fires, 0 + 5 < 11: removed */
    EXPECT_PART(1, TS_ZSPLIT_EXPIRE);

    begin("times: a clock going back before the start, exact in the extras", 40000, 12345);
    send_at(1, SYN, 1000, 0, 0, T0);
    EXPECT_TRUE(Z.more == NULL);
    send_at(0, SYN | ACK, 5000, 1001, 0, T0 - 1 * US);
    EXPECT_TRUE(Z.more != NULL && duration_now() == -1 * US);
    EXPECT("Sh", TS_ZK_S1);

    begin("times: without an allocator, a time past 2^32 us is held at the last one", 40000, 12345);
    ts_zeek_set_alloc(&Z, NULL, NULL);
    long_connection(T0, T0 + LIMIT_US * US);
    send_at(1, ACK, 1001, 5001, 0, T0 + (LIMIT_US - 1) * US);
    EXPECT_TRUE(duration_now() == (LIMIT_US - 1) * US);       /* still exact */
    send_at(1, ACK, 1001, 5001, 0, T0 + LIMIT_US * US + 7 * US);
    EXPECT_TRUE(Z.more == NULL && duration_now() == (LIMIT_US - 1) * US); /* held */
}

/* IP byte counts past 4 GiB: the low 32 bits inline, the carries in the
 * extras.  65537 full-size IPv4 packets (total length 65535) from A are
 * exactly 2^32 - 1 bytes ((2^16 - 1)(2^16 + 1)); one more 40-byte ACK
 * crosses 2^32.  Zeek's orig_ip_bytes is the plain sum (ConnSize). */
static void test_ip_bytes_past_4gib(void)
{
    ts_zeek_log lg;
    ts_zeek copy;
    uint32_t k, seq = 1001;

    begin("ip bytes: 2^32 - 1 inline, 2^32 + 39 with the carry in the extras", 40000, 12345);
    handshake();                                 /* ip_len 0: only the bulk counts */
    for (k = 0; k < 65537u; k++, seq += 65495u)
        send_ip(1, ACK, seq, 5001, 65495, 10 * SEC + (int64_t)k * 100 * US, 65535, 0);
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.orig_ip_bytes == UINT64_C(4294967295) && lg.resp_ip_bytes == 0);
    EXPECT_TRUE(Z.more == NULL && lg.orig_pkts == 65539u);
    send_ip(0, ACK, 5001, seq, 0, 20 * SEC, 40, 0);   /* B's ACK: the responder's count */
    send_ip(1, ACK, seq, 5001, 0, 20 * SEC, 40, 0);   /* A's ACK crosses 2^32 */
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.orig_ip_bytes == UINT64_C(4294967335) && lg.resp_ip_bytes == 40);
    EXPECT_TRUE(Z.more != NULL);

    /* a copy (the core's one-sided shadow) has the same counts, with its
     * own extras; without memory for them it holds 2^32 - 1 */
    ts_zeek_init(&copy);
    ts_zeek_copy(&copy, &Z);
    ts_zeek_log_of(&copy, &lg);
    EXPECT_TRUE(lg.orig_ip_bytes == UINT64_C(4294967335) && copy.more && copy.more != Z.more);
    ts_zeek_init(&copy);
    n_kept = sizeof kept / sizeof kept[0];       /* the pool is exhausted */
    ts_zeek_copy(&copy, &Z);
    ts_zeek_log_of(&copy, &lg);
    EXPECT_TRUE(lg.orig_ip_bytes == UINT64_C(4294967295) && copy.more == NULL);
}

/* Zeek's 64-bit relative sequence space [TCP_Endpoint.h: UpdateLastSeq,
 * UpdateAckSeq (a forward move to a lower 32-bit number is a wrap), Size
 * (max(last, ack) in 64 bits - start, minus SYN and FIN);
 * TCPSessionAdapter.cc: get_relative_seq, update_ack_seq]. */
static void test_sequence_wraps(void)
{
    ts_zeek_log lg;
    const uint32_t GIB = UINT32_C(1) << 30;

    begin("wraps: 2^32 + 100 bytes from A, last_seq wraps once", 40000, 12345);
    handshake();                                /* A's start 1000 */
    A(ACK | PSH, 1001, 5001, GIB);              /* C4: last 1001 + 2^30 */
    B(ACK, 5001, 1001 + GIB, 0);                /* rel ack 2^30 + 1: taken */
    A(ACK | PSH, 1001 + GIB, 5001, GIB);
    A(ACK | PSH, 1001 + 2 * GIB, 5001, GIB);
    B(ACK, 5001, 1001 + 3 * GIB, 0);            /* 3 GiB + 1 ahead of the start, no wrap
                                                 * counted: underflow, not taken */
    A(ACK | PSH, 1001 + 3 * GIB, 5001, GIB);    /* ends at 1001 (mod 2^32), a lower
                                                 * number: seq_wraps 1 */
    B(ACK, 5001, 1001, 0);                      /* against ack 1001 + 2^30 it is behind:
                                                 * rel 1, not taken (no ack wrap) */
    A(ACK | PSH, 1001, 5001, 100);              /* last 1101 */
    A(FIN | ACK, 1101, 5001, 0);                /* last 1102, FIN_cnt 1 */
    ts_zeek_log_of(&Z, &lg);
    /* last 2^32 + 1102 > ack 1001 + 2^30: 2^32 + 102 - SYN - FIN */
    EXPECT_TRUE(lg.orig_bytes == (UINT64_C(1) << 32) + 100u);
    EXPECT_TRUE(lg.resp_bytes == 0);

    begin("wraps: ack_seq wraps, then an ack past 2 GiB is taken", 40000, 12345);
    A(SYN, 0xA0000000u, 0, 0);                  /* start 0xA0000000: 2^32 is 1.5 GiB away */
    B(SYN | ACK, 5000, 0xA0000001u, 0);
    A(ACK, 0xA0000001u, 5001, 0);
    /* A's data is not in the capture; B's acks show it */
    B(ACK, 5001, 0xE0000001u, 0);               /* rel 1 GiB + 1: taken */
    B(ACK, 5001, 0x30000001u, 0);               /* 1.25 GiB ahead of the last ack but a
                                                 * lower number: get_relative_seq counts a
                                                 * wrap, so rel 2.25 GiB + 1 is no
                                                 * underflow: taken; ack_wraps 1 */
    B(ACK, 5001, 0x40000001u, 0);               /* a higher number: the stored wrap makes
                                                 * it rel 2.5 GiB + 1, taken */
    ts_zeek_log_of(&Z, &lg);
    /* ack 2^32 + 0x40000001 - 0xA0000000 = 0xA0000001, minus the SYN */
    EXPECT_TRUE(lg.orig_bytes == UINT64_C(0xA0000000));
    /* every ack reveals a hole in A's stream (both ESTABLISHED): gaps of
     * 0x40000000, 0x50000000 and 0x10000000 bytes [TCP_Reassembler::AckReceived] */
    EXPECT_TRUE(lg.missed_bytes == UINT64_C(0xA0000000));
    EXPECT("ShAaG", TS_ZK_S1);                  /* B's first pure ACK 'a' (D3), then the first gap 'G' (D6); the 2nd and 3rd add none */

    begin("wraps: an old segment from before the wrap lies before it", 40000, 12345);
    handshake();                                /* A's start 1000 */
    A(ACK | PSH, 1001, 5001, GIB);              /* delivered: reassem 2^30 + 1 */
    A(ACK | PSH, 1001 + GIB, 5001, GIB);        /* delivered: reassem 2^31 + 1 */
    A(ACK | PSH, 1001 + 2 * GIB, 5001, GIB);    /* rel 2^31 + 1: underflow, not delivered */
    A(ACK | PSH, 1001 + 3 * GIB, 5001, GIB - 2000); /* underflow; last 2^32 - 999 */
    A(ACK | PSH, 0xFFFFFC19u, 5001, 3000);      /* underflow; ends at 2001, a lower
                                                 * number: seq_wraps 1 */
    A(ACK | PSH, 1001 + 3 * GIB, 5001, 10);     /* resent: behind last 2001 but a higher
                                                 * number, so one wrap less: 0 wraps, rel
                                                 * 3 GiB + 1 is an underflow, not delivered */
    B(ACK, 5001, 1000 + (UINT32_C(1) << 31) - 8, 0); /* rel 2^31 - 8: taken, no gap */
    B(ACK, 5001, 0x10u, 0);                     /* ahead, a lower number: ack wraps, rel
                                                 * 2^32 - 984: taken */
    ts_zeek_log_of(&Z, &lg);
    /* one hole from the delivered 2^31 + 1 to 2^32 - 984 (the resent 10
     * bytes were not delivered above it) */
    EXPECT_TRUE(lg.missed_bytes == (UINT64_C(1) << 32) - 984u - ((UINT64_C(1) << 31) + 1u));
    /* last 2^32 + 2001 > ack 2^32 + 16: 2^32 + 1001 - SYN */
    EXPECT_TRUE(lg.orig_bytes == (UINT64_C(1) << 32) + 1000u);

    /* The reassembly compares 32-bit relative numbers (ZEEK.md "Very long
     * connections"): a segment crossing 4 GiB from the start is not kept
     * above a hole; Zeek's 64-bit blocks would count 50 bytes fewer here. */
    begin("wraps: a segment across 4 GiB from the start is not kept", 40000, 12345);
    A(SYN, 0xA0000000u, 0, 0);
    B(SYN | ACK, 5000, 0xA0000001u, 0);
    A(ACK, 0xA0000001u, 5001, 0);
    A(ACK | PSH, 0xA0000001u, 5001, GIB);       /* rel 1: delivered */
    B(ACK, 5001, 0xE0000001u, 0);
    A(ACK | PSH, 0xE0000001u, 5001, GIB);       /* ends at a lower number: seq_wraps 1 */
    B(ACK, 5001, 0x20000001u, 0);               /* ack_wraps 1 */
    A(ACK | PSH, 0x20000001u, 5001, GIB);       /* delivered up to rel 3 GiB + 1 */
    B(ACK, 5001, 0x60000001u, 0);
    A(ACK | PSH, 0x9FFFFF9Cu, 5001, 200);       /* rel 4 GiB - 100 .. 4 GiB + 100,
                                                 * above a hole: not kept */
    B(ACK, 5001, 0x9FFFFFCEu, 0);               /* rel 4 GiB - 50: the hole and the 50
                                                 * bytes of the segment below it */
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.missed_bytes == (UINT64_C(1) << 32) - 50u - (3u * (UINT64_C(1) << 30) + 1u));

    begin("wraps: must not -- an ack past 2 GiB with no wrap counted", 40000, 12345);
    handshake();                                /* A's start 1000 */
    B(ACK, 5001, 1001 + GIB, 0);                /* taken: rel 2^30 + 1 */
    B(ACK, 5001, 1001 + 2 * GIB + GIB / 2, 0);  /* rel 2.5 GiB + 1, a higher number: underflow */
    ts_zeek_log_of(&Z, &lg);
    EXPECT_TRUE(lg.orig_bytes == GIB);          /* 2^30 + 1 - SYN: the second is not counted */
    EXPECT_TRUE(lg.missed_bytes == GIB);        /* one gap: the second ack is not taken */
}

/* The allocator is process-wide: a record set with an older, different
 * pair stops allocating (as without an allocator) and never gets memory
 * of the newer owner; setting the same pair again keeps its generation. */
static unsigned other_calls;
static void *other_alloc(void *ctx, size_t size)
{
    (void)ctx;
    other_calls++;
    return kept_alloc(NULL, size);
}

static void test_allocator_generations(void)
{
    static ts_zeek y;
    static int other_ctx;
    unsigned k;

    begin("allocator: a record of an older pair stops allocating", 40000, 12345);
    handshake();
    ts_zeek_init(&y);
    ts_zeek_set_alloc(&y, other_alloc, &other_ctx);   /* a new pair */
    other_calls = 0;
    for (k = 0; k < 20; ++k)
        A(RST, 2000u + k, 0, 0);                     /* 'R' each: past 15 letters */
    EXPECT_TRUE(Z.hist_len == TS_ZEEK_HISTORY_INLINE && Z.more == NULL && other_calls == 0);

    begin("allocator: the same pair set again keeps allocating for both", 40000, 12345);
    ts_zeek_init(&y);
    ts_zeek_set_alloc(&y, kept_alloc, NULL);         /* the pair begin() set */
    handshake();
    for (k = 0; k < 20; ++k)
        A(RST, 2000u + k, 0, 0);
    EXPECT_TRUE(Z.hist_len == 3 + 20 && Z.more != NULL);
}

int main(void)
{
    test_s0();
    test_s1_sf();
    test_first_packet_from_b();
    test_rej();
    test_rstr_both_reset_with_data();
    test_s2_s3_rsto_rstr();
    test_rstos0();
    test_rstrh();
    test_sh_shr();
    test_oth();
    test_fin_then_rst_is_sf();
    test_letter_c();
    test_letter_t();
    test_letter_w();
    test_letter_g();
    test_letters_i_q();
    test_once_letters();
    test_repeat_s_f_r_h();
    test_flip_at_creation();
    test_late_flip();
    test_syn_synack_reversal();
    test_eccentric_ack_and_partial_syn();
    test_names_and_size();
    test_history_cap();
    test_letter_x();
    test_cut_header();
    test_boundaries();
    test_log_counts();
    test_expire_at_packet_time();
    test_microsecond_clock();
    test_several_holes();
    test_compact_times();
    test_ip_bytes_past_4gib();
    test_sequence_wraps();
    test_allocator_generations();

    printf("test_zeek: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
