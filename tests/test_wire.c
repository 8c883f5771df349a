/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the wire parser (plugin/tcpstate_wire.c) on byte arrays.
 *
 * Where each expected value comes from:
 *  - RFC 9293 3.1: the fixed header is 20 bytes (ports, sequence and
 *    acknowledgment numbers, data offset, flags, window); the data offset
 *    counts 32-bit words, so it is at least 5; an option is either one
 *    byte (kind 0 End of Option List, kind 1 No-Operation) or kind, length
 *    (counting the kind and length bytes) and data; nothing after End of
 *    Option List is an option.  MSS is kind 2, length 4 (RFC 9293 3.2).
 *  - RFC 7323: Window Scale kind 3 length 3, counted on a SYN only (2.2),
 *    a shift above 14 is used as 14 (2.3, the core's clamp: the parser
 *    reports what was sent); Timestamps kind 8 length 10 (3.2).
 *  - RFC 2018: SACK-permitted kind 4 length 2.
 *  - RFC 7413 4.1.1: Fast Open kind 34, length 2 (cookie request) or 6 to
 *    18 and even (a cookie of 4 to 16 bytes); the experimental form is kind
 *    254 with magic 0xF989 before the cookie; "options with invalid Length
 *    values or without the SYN flag set MUST be ignored".
 *  - RFC 792 / RFC 4443: destination unreachable is ICMP type 3 / ICMPv6
 *    type 1; its codes sorted as tcpstate_types.h's ts_icmp_kind says.
 *
 * Every parse runs on a heap copy of exactly the bytes it is given, so
 * that a read past them is caught by AddressSanitizer (tests/sanitize.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstate_wire.h"

static int failures, checks;

static void check_int(int line, long long got, long long want, const char *what)
{
    ++checks;
    if (got != want) {
        ++failures;
        fprintf(stderr, "FAIL line %d: %s: got %lld, want %lld\n", line, what, got, want);
    }
}
#define CHECK(got, want) check_int(__LINE__, (long long)(got), (long long)(want), #got)

/* A TCP header: ports 40000 -> 80, seq 0x01020304, ack 0x0A0B0C0D, the
 * given flags, window 0xFAF0, data offset doff, then the option bytes. */
static size_t make_header(uint8_t *h, uint8_t flags, unsigned doff, const uint8_t *opt, size_t n)
{
    static const uint8_t fixed[20] = { 0x9C, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04,
                                       0x0A, 0x0B, 0x0C, 0x0D, 0x00, 0x00, 0xFA, 0xF0,
                                       0x00, 0x00, 0x00, 0x00 };
    memcpy(h, fixed, 20);
    h[12] = (uint8_t)(doff << 4);
    h[13] = flags;
    if (n)
        memcpy(h + 20, opt, n);
    return 20 + n;
}

/* A heap copy of exactly the n bytes at p (one byte when n is 0). */
static uint8_t *heap_copy(const uint8_t *p, size_t n)
{
    uint8_t *copy = (uint8_t *)malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, p, n);
    return copy;
}

/* ts_wire_tcp_header on a heap copy of the first cap bytes of h. */
static unsigned parse(const uint8_t *h, size_t cap, ts_segment *seg, ts_wire_options *opt)
{
    uint8_t *copy = heap_copy(h, cap);
    unsigned problems;
    memset(seg, 0, sizeof *seg);
    seg->sport = 7;                 /* sentinel: must stay when unusable */
    problems = ts_wire_tcp_header(copy, cap, seg, opt);
    free(copy);
    return problems;
}

static unsigned parse_options(const uint8_t *o, size_t cap, size_t declared, ts_wire_options *opt)
{
    uint8_t *copy = heap_copy(o, cap);
    unsigned problems = ts_wire_tcp_options(copy, cap, declared, opt);
    free(copy);
    return problems;
}

static void test_fixed_header(void)
{
    uint8_t h[60];
    ts_segment seg;
    size_t n = make_header(h, TS_ACK | TS_PSH, 5, NULL, 0);

    CHECK(parse(h, n, &seg, NULL), 0);
    CHECK(seg.sport, 40000);
    CHECK(seg.dport, 80);
    CHECK(seg.seq, 0x01020304u);
    CHECK(seg.ack, 0x0A0B0C0Du);
    CHECK(seg.flags, TS_ACK | TS_PSH);
    CHECK(seg.win, 0xFAF0);
    CHECK(seg.wscale, -1);          /* no option */
    CHECK(seg.tfo, 0);
    CHECK(seg.hdr_cut, 0);
}

/* A Linux SYN's options: MSS 1460, SACK-permitted, Timestamps, NOP, WS 7. */
static const uint8_t linux_syn[20] = { 2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1,
                                       0, 0, 0, 0, 1, 3, 3, 7 };

static void test_normal_options(void)
{
    uint8_t h[60];
    ts_segment seg;
    ts_wire_options opt;
    size_t n = make_header(h, TS_SYN, 10, linux_syn, sizeof linux_syn);

    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(opt.mss, 1460);
    CHECK(opt.sack_permitted, 1);
    CHECK(opt.has_timestamps, 1);
    CHECK(opt.ts_val, 1);
    CHECK(opt.ts_ecr, 0);
    CHECK(opt.wscale, 7);
    CHECK(opt.tfo, 0);
    CHECK(seg.wscale, 7);           /* a SYN: the shift counts */

    /* The same options on an ACK: reported, but window scale means
     * nothing without SYN (RFC 7323 2.2) */
    n = make_header(h, TS_ACK, 10, linux_syn, sizeof linux_syn);
    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(opt.wscale, 7);
    CHECK(seg.wscale, -1);

    /* A shift above 14 is passed on as sent (RFC 7323 2.3: the user of it
     * takes 14) */
    {
        static const uint8_t ws15[4] = { 1, 3, 3, 15 };
        n = make_header(h, TS_SYN, 6, ws15, sizeof ws15);
        CHECK(parse(h, n, &seg, &opt), 0);
        CHECK(seg.wscale, 15);
    }
    /* Timestamps with both values set (RFC 7323 3.2), padded by NOPs */
    {
        static const uint8_t ts[12] = { 1, 1, 8, 10, 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0x12, 0x34 };
        n = make_header(h, TS_ACK, 8, ts, sizeof ts);
        CHECK(parse(h, n, &seg, &opt), 0);
        CHECK(opt.ts_val, 0xDEADBEEFu);
        CHECK(opt.ts_ecr, 0x1234);
        CHECK(opt.mss, -1);
        CHECK(opt.sack_permitted, 0);
    }
}

static void test_fast_open(void)
{
    uint8_t h[60];
    ts_segment seg;
    ts_wire_options opt;
    size_t n;
    /* kind 34 length 2: a cookie request */
    static const uint8_t request[4] = { 34, 2, 1, 1 };
    /* kind 34 length 10: an 8-byte cookie */
    static const uint8_t cookie[12] = { 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1 };
    /* kind 254, length 4, magic 0xF989: the experimental cookie request */
    static const uint8_t exp_request[4] = { 254, 4, 0xF9, 0x89 };
    /* kind 254, length 12, magic, an 8-byte cookie */
    static const uint8_t exp_cookie[12] = { 254, 12, 0xF9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8 };
    /* kind 254 with another experiment's magic: not Fast Open, not wrong */
    static const uint8_t other_exp[4] = { 254, 4, 0x12, 0x34 };

    n = make_header(h, TS_SYN, 6, request, sizeof request);
    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(opt.tfo, 1);
    CHECK(opt.tfo_cookie_len, 0);
    CHECK(opt.tfo_experimental, 0);
    CHECK(seg.tfo, 1);

    n = make_header(h, TS_SYN, 8, cookie, sizeof cookie);
    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(opt.tfo, 1);
    CHECK(opt.tfo_cookie_len, 8);
    CHECK(seg.tfo, 1);

    /* the server's cookie on its SYN-ACK is a SYN too */
    n = make_header(h, TS_SYN | TS_ACK, 8, cookie, sizeof cookie);
    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(seg.tfo, 1);

    n = make_header(h, TS_SYN, 6, exp_request, sizeof exp_request);
    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(opt.tfo, 1);
    CHECK(opt.tfo_experimental, 1);
    CHECK(opt.tfo_cookie_len, 0);
    CHECK(seg.tfo, 1);

    n = make_header(h, TS_SYN, 8, exp_cookie, sizeof exp_cookie);
    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(opt.tfo_experimental, 1);
    CHECK(opt.tfo_cookie_len, 8);
    CHECK(seg.tfo, 1);

    n = make_header(h, TS_SYN, 6, other_exp, sizeof other_exp);
    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(opt.tfo, 0);
    CHECK(seg.tfo, 0);

    /* without SYN the option MUST be ignored */
    n = make_header(h, TS_ACK, 8, cookie, sizeof cookie);
    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(opt.tfo, 1);
    CHECK(seg.tfo, 0);

    /* invalid lengths MUST be ignored: a 1-byte cookie (length 3), an
     * odd 5-byte one (length 7), an 18-byte one (length 20) */
    {
        static const uint8_t len3[4] = { 34, 3, 9, 0 };
        static const uint8_t len7[8] = { 34, 7, 1, 2, 3, 4, 5, 0 };
        static const uint8_t len20[20] = { 34, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                           13, 14, 15, 16, 17, 18 };
        static const uint8_t exp_len6[8] = { 254, 6, 0xF9, 0x89, 1, 2, 0, 0 };
        n = make_header(h, TS_SYN, 6, len3, sizeof len3);
        CHECK(parse(h, n, &seg, &opt), TS_WIRE_OPT_BAD_LEN);
        CHECK(opt.tfo, 0);
        CHECK(seg.tfo, 0);
        n = make_header(h, TS_SYN, 7, len7, sizeof len7);
        CHECK(parse(h, n, &seg, &opt), TS_WIRE_OPT_BAD_LEN);
        CHECK(seg.tfo, 0);
        n = make_header(h, TS_SYN, 10, len20, sizeof len20);
        CHECK(parse(h, n, &seg, &opt), TS_WIRE_OPT_BAD_LEN);
        CHECK(seg.tfo, 0);
        /* experimental form, 2-byte cookie */
        n = make_header(h, TS_SYN, 7, exp_len6, sizeof exp_len6);
        CHECK(parse(h, n, &seg, &opt), TS_WIRE_OPT_BAD_LEN);
        CHECK(seg.tfo, 0);
    }
}

/* Kind 0 ends the list; kind 1 is one byte; what follows kind 0 is not read. */
static void test_eol_nop(void)
{
    ts_wire_options opt;
    static const uint8_t after_eol[8] = { 2, 4, 0x05, 0xB4, 0, 3, 3, 7 };
    static const uint8_t nops[8] = { 1, 1, 1, 1, 1, 3, 3, 5 };
    static const uint8_t all_eol[4] = { 0, 0, 0, 0 };

    CHECK(parse_options(after_eol, 8, 8, &opt), 0);
    CHECK(opt.mss, 1460);
    CHECK(opt.wscale, -1);          /* behind End of Option List */
    CHECK(parse_options(nops, 8, 8, &opt), 0);
    CHECK(opt.wscale, 5);
    CHECK(parse_options(all_eol, 4, 4, &opt), 0);
    CHECK(opt.mss, -1);
    CHECK(parse_options(nops, 0, 0, &opt), 0);   /* no option space */
}

static void test_bad_lengths(void)
{
    ts_wire_options opt;
    /* length 0 and 1 cannot be (a length counts its kind and length
     * bytes): the walk stops, what came before stands */
    static const uint8_t len0[8] = { 2, 4, 0x05, 0xB4, 3, 0, 3, 7 };
    static const uint8_t len1[4] = { 3, 1, 3, 7 };
    /* Timestamps claims 10 bytes where the header has 4 left */
    static const uint8_t past_end[8] = { 1, 1, 1, 1, 8, 10, 0, 0 };
    /* a kind at the header's last byte, no length byte */
    static const uint8_t no_len[4] = { 1, 1, 1, 2 };
    /* MSS of length 3, Window Scale of length 4, SACK-permitted of length 3,
     * Timestamps of length 8: ignored, the walk goes on by their length */
    static const uint8_t mss3[8] = { 2, 3, 5, 3, 3, 7, 0, 0 };
    static const uint8_t ws4[8] = { 3, 4, 7, 0, 2, 4, 0x05, 0xB4 };
    static const uint8_t sack3[4] = { 4, 3, 0, 0 };
    static const uint8_t ts8[8] = { 8, 8, 1, 2, 3, 4, 5, 6 };

    CHECK(parse_options(len0, 8, 8, &opt), TS_WIRE_OPT_BAD_LEN);
    CHECK(opt.mss, 1460);
    CHECK(opt.wscale, -1);
    CHECK(parse_options(len1, 4, 4, &opt), TS_WIRE_OPT_BAD_LEN);
    CHECK(opt.wscale, -1);
    CHECK(parse_options(past_end, 8, 8, &opt), TS_WIRE_OPT_BAD_LEN);
    CHECK(opt.has_timestamps, 0);
    CHECK(parse_options(no_len, 4, 4, &opt), TS_WIRE_OPT_BAD_LEN);
    CHECK(opt.mss, -1);
    CHECK(parse_options(mss3, 8, 8, &opt), TS_WIRE_OPT_BAD_LEN);
    CHECK(opt.mss, -1);
    CHECK(opt.wscale, 7);           /* the next option is still found */
    CHECK(parse_options(ws4, 8, 8, &opt), TS_WIRE_OPT_BAD_LEN);
    CHECK(opt.wscale, -1);
    CHECK(opt.mss, 1460);
    CHECK(parse_options(sack3, 4, 4, &opt), TS_WIRE_OPT_BAD_LEN);
    CHECK(opt.sack_permitted, 0);
    CHECK(parse_options(ts8, 8, 8, &opt), TS_WIRE_OPT_BAD_LEN);
    CHECK(opt.has_timestamps, 0);
}

/* Options cut by the capture (snap length) rather than malformed. */
static void test_truncated(void)
{
    uint8_t h[60];
    ts_segment seg;
    ts_wire_options opt;
    size_t n = make_header(h, TS_SYN, 10, linux_syn, sizeof linux_syn);

    /* 30 of 40 bytes: MSS and SACK-permitted whole, Timestamps cut */
    CHECK(parse(h, 30, &seg, &opt), TS_WIRE_HEADER_CUT | TS_WIRE_OPT_TRUNCATED);
    CHECK(opt.mss, 1460);
    CHECK(opt.sack_permitted, 1);
    CHECK(opt.has_timestamps, 0);
    CHECK(seg.hdr_cut, 1);
    CHECK(seg.sport, 40000);        /* the fixed header is usable */
    /* cut right after Timestamps' kind: no length byte captured */
    CHECK(parse(h, 27, &seg, &opt), TS_WIRE_HEADER_CUT | TS_WIRE_OPT_TRUNCATED);
    CHECK(opt.sack_permitted, 1);
    /* cut at an option boundary: nothing wrong but the cut */
    CHECK(parse(h, 26, &seg, &opt), TS_WIRE_HEADER_CUT);
    CHECK(opt.sack_permitted, 1);
    /* only the fixed header captured */
    CHECK(parse(h, 20, &seg, &opt), TS_WIRE_HEADER_CUT);
    CHECK(opt.mss, -1);
    CHECK(seg.wscale, -1);
    /* all of it: nothing cut */
    CHECK(parse(h, n, &seg, &opt), 0);
    CHECK(seg.hdr_cut, 0);
    /* bytes beyond the header (payload) are not options */
    {
        uint8_t big[60];
        static const uint8_t ws[4] = { 1, 3, 3, 9 };
        n = make_header(big, TS_SYN, 6, ws, sizeof ws);
        memset(big + n, 2, sizeof big - n);   /* payload that looks like MSS kinds */
        CHECK(parse(big, sizeof big, &seg, &opt), 0);
        CHECK(seg.wscale, 9);
        CHECK(opt.mss, -1);
    }
}

static void test_unusable(void)
{
    uint8_t h[60];
    ts_segment seg;
    ts_wire_options opt;
    unsigned doff;

    make_header(h, TS_SYN, 5, NULL, 0);
    CHECK(parse(h, 19, &seg, &opt), TS_WIRE_SHORT);
    CHECK(seg.sport, 7);            /* untouched */
    CHECK(parse(h, 0, &seg, &opt), TS_WIRE_SHORT);
    for (doff = 0; doff < 5; doff++) {
        h[12] = (uint8_t)(doff << 4);
        CHECK(parse(h, 20, &seg, &opt), TS_WIRE_BAD_OFFSET);
        CHECK(seg.sport, 7);
    }
    /* data offset 15 (60 bytes) with 20 captured: usable, cut */
    h[12] = 15 << 4;
    CHECK(parse(h, 20, &seg, NULL), TS_WIRE_HEADER_CUT);
    CHECK(seg.hdr_cut, 1);
}

/* Every captured length of pseudo-random headers, each on a heap copy of
 * exactly that size: the parser must stay inside (ASan), and terminate. */
static void test_never_out_of_bounds(void)
{
    uint8_t h[64];
    uint32_t x = 12345;
    ts_segment seg;
    ts_wire_options opt;

    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof h; i++) {
            x = x * 1103515245u + 12345u;
            h[i] = (uint8_t)(x >> 16);
        }
        if (round & 1)              /* small kinds and lengths are the tricky ones */
            for (size_t i = 20; i < sizeof h; i++)
                h[i] &= 0x0F;
        for (size_t cap = 0; cap <= sizeof h; cap++)
            (void)parse(h, cap, &seg, &opt);
    }
    CHECK(1, 1);
}

static void test_icmp_kind(void)
{
    CHECK(ts_wire_icmp_kind(0, 3, 3), TS_ICMP_PORT);        /* port unreachable */
    CHECK(ts_wire_icmp_kind(0, 3, 2), TS_ICMP_PORT);        /* protocol unreachable */
    CHECK(ts_wire_icmp_kind(0, 3, 13), TS_ICMP_PROHIBITED); /* administratively prohibited */
    CHECK(ts_wire_icmp_kind(0, 3, 1), TS_ICMP_NO_ROUTE);    /* host unreachable */
    CHECK(ts_wire_icmp_kind(0, 3, 4), -1);                  /* fragmentation needed */
    CHECK(ts_wire_icmp_kind(0, 11, 0), -1);                 /* time exceeded */
    CHECK(ts_wire_icmp_kind(1, 1, 4), TS_ICMP_PORT);
    CHECK(ts_wire_icmp_kind(1, 1, 1), TS_ICMP_PROHIBITED);
    CHECK(ts_wire_icmp_kind(1, 1, 3), TS_ICMP_NO_ROUTE);    /* address unreachable */
    CHECK(ts_wire_icmp_kind(1, 2, 0), -1);                  /* packet too big */
}

/* Without opt, a segment without SYN has its options left unread: they
 * could set nothing (window scale and Fast Open count only on a SYN,
 * RFC 7323 2.2, RFC 7413 4.1.1), so a bad one is not reported either; with
 * opt, or on a SYN, the same bytes are read and reported. */
static void test_options_skipped_without_syn(void)
{
    /* WS 7, then a length byte of 1 (below 2: RFC 9293 3.1 option format) */
    static const uint8_t bad[8] = { 3, 3, 7, 8, 1, 0, 0, 0 };
    uint8_t h[60];
    ts_segment seg;
    ts_wire_options opt;
    size_t n = make_header(h, TS_ACK, 7, bad, sizeof bad);

    CHECK(parse(h, n, &seg, NULL), 0);
    CHECK(seg.wscale, -1);
    CHECK(seg.tfo, 0);
    CHECK(seg.seq, 0x01020304u);
    CHECK(parse(h, n, &seg, &opt), TS_WIRE_OPT_BAD_LEN);
    CHECK(opt.wscale, 7);
    CHECK(seg.wscale, -1);          /* not a SYN */
    make_header(h, TS_SYN, 7, bad, sizeof bad);
    CHECK(parse(h, n, &seg, NULL), TS_WIRE_OPT_BAD_LEN);
    CHECK(seg.wscale, 7);
}

int main(void)
{
    test_fixed_header();
    test_normal_options();
    test_fast_open();
    test_eol_nop();
    test_bad_lengths();
    test_truncated();
    test_unusable();
    test_never_out_of_bounds();
    test_icmp_kind();
    test_options_skipped_without_syn();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
