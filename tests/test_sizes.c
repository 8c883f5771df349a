/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory per connection (issue 14, issue 11 "Memory"): the records' sizes
 * stay under their ceilings, and what a connection allocates besides its
 * fixed record is allocated only when it is needed.
 *
 * sizeof is fixed by the compiler and the ABI, so these are exact checks.
 * The ceilings are today's layout on x86-64 (the target of the benchmark);
 * lower them when a field goes, never raise them without saying why.  The
 * issue's budget is 512 bytes per connection, extras included: ts_conn is
 * still above it (see tests/README.md, "Memory").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstate_core.h"

static int failures, checks;

static void expect(int ok, const char *what)
{
    ++checks;
    if (!ok) {
        ++failures;
        fprintf(stderr, "FAIL: %s\n", what);
    }
}

static void expect_size(const char *name, size_t got, size_t ceiling)
{
    char msg[160];
    printf("sizeof(%s) = %zu (ceiling %zu)\n", name, got, ceiling);
    snprintf(msg, sizeof msg, "sizeof(%s) = %zu, over its ceiling %zu", name, got, ceiling);
    expect(got <= ceiling, msg);
}

/* ---- a counting allocator -------------------------------------------------- */

static void  *blocks[64];
static size_t sizes[64];
static size_t nblocks;

static void *count_alloc(void *ctx, size_t size)
{
    void *p;
    (void)ctx;
    if (nblocks == sizeof blocks / sizeof blocks[0])
        return NULL;
    p = calloc(1, size);
    if (p) {
        blocks[nblocks] = p;
        sizes[nblocks++] = size;
    }
    return p;
}

static void free_blocks(void)
{
    while (nblocks)
        free(blocks[--nblocks]);
}

static ts_segment seg(uint32_t frame, int from_a, uint8_t flags, uint32_t seq, uint32_t ack,
                      uint32_t len)
{
    ts_segment s;
    memset(&s, 0, sizeof s);
    s.frame = frame;
    s.ts_ns = 1000000000LL + (int64_t)frame * 1000;
    s.from_a = (uint8_t)from_a;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.len = len;
    s.win = 64240;
    s.wscale = -1;
    s.sport = from_a ? 40000 : 80;
    s.dport = from_a ? 80 : 40000;
    return s;
}

/* A SYN flood's connection is one SYN: the fixed record and nothing else. */
static void test_one_syn_costs_one_record(void)
{
    ts_stream st;
    ts_record r;
    ts_segment s = seg(1, 1, TS_SYN, 1000, 0, 0);

    ts_stream_init(&st, count_alloc, NULL);
    ts_stream_process(&st, &s, &r);
    expect(nblocks == 1 && sizes[0] == sizeof(ts_conn),
           "a connection of one SYN allocates exactly one ts_conn");
    free_blocks();
}

/* A clean connection (handshake, data both ways, four-way close) needs no
 * extras either: its Zeek history "ShADadFf" fits inline. */
static void test_clean_connection_no_extras(void)
{
    ts_stream st;
    ts_record r;
    ts_segment ss[] = {
        seg(1, 1, TS_SYN, 1000, 0, 0),
        seg(2, 0, TS_SYN | TS_ACK, 5000, 1001, 0),
        seg(3, 1, TS_ACK, 1001, 5001, 0),
        seg(4, 1, TS_ACK | TS_PSH, 1001, 5001, 100),
        seg(5, 0, TS_ACK, 5001, 1101, 0),
        seg(6, 0, TS_ACK | TS_PSH, 5001, 1101, 200),
        seg(7, 1, TS_ACK, 1101, 5201, 0),
        seg(8, 1, TS_FIN | TS_ACK, 1101, 5201, 0),
        seg(9, 0, TS_ACK, 5201, 1102, 0),
        seg(10, 0, TS_FIN | TS_ACK, 5201, 1102, 0),
        seg(11, 1, TS_ACK, 1102, 5202, 0),
    };
    ts_stream_init(&st, count_alloc, NULL);
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++)
        ts_stream_process(&st, &ss[i], &r);
    expect(nblocks == 1, "a clean four-way connection allocates only its ts_conn");
    expect(strcmp(ts_zeek_history(ts_conn_zeek(r.conn)), "ShADadFf") == 0,
           "its Zeek history is read back whole");
    free_blocks();
}

/* Data above a hole is what the Zeek extras are for: allocated then, once. */
static void test_hole_allocates_extras_once(void)
{
    ts_stream st;
    ts_record r;
    ts_segment ss[] = {
        seg(1, 1, TS_SYN, 1000, 0, 0),
        seg(2, 0, TS_SYN | TS_ACK, 5000, 1001, 0),
        seg(3, 1, TS_ACK, 1001, 5001, 0),
        seg(4, 1, TS_ACK | TS_PSH, 1201, 5001, 100),  /* 1001-1200 not captured */
        seg(5, 1, TS_ACK | TS_PSH, 1401, 5001, 100),  /* a second hole */
    };
    ts_stream_init(&st, count_alloc, NULL);
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++)
        ts_stream_process(&st, &ss[i], &r);
    expect(nblocks == 2 && sizes[0] == sizeof(ts_conn) && sizes[1] < sizeof(ts_conn),
           "data above holes allocates the Zeek extras once, smaller than a ts_conn");
    free_blocks();
}

int main(void)
{
    /* ceilings of the fixed records (x86-64 LP64) */
    /* 568 before issue 11's in-flight records (undelivered[3], the forged
     * RST's frame and state, the inherited TIME-WAIT): +48 bytes.  They
     * record rare events and belong in a block allocated on first need,
     * as the Zeek extras are; until then the ceiling says what it is. */
    expect_size("ts_conn", sizeof(ts_conn), 616);
    expect_size("ts_endpoint", sizeof(ts_endpoint), 96);
    /* ts_zeek was 240: the allocator is process-wide (-16), the previous
     * Zeek connection of a split lives in the extras (-8), times are 32-bit
     * us offsets from start_ns and timers their base time, the delete
     * timer's in the first expire timer's place (-36), the IP byte counts'
     * high halves live in the extras (-8 in the endpoints), the small
     * fields are bit-fields (-4), a split's number and first frame live in
     * the extras with its prev (-8); no padding is left. */
    expect_size("ts_zeek", sizeof(ts_zeek), 160);
    expect_size("ts_zeek_endpoint", sizeof(ts_zeek_endpoint), 48);
    expect_size("ts_record", sizeof(ts_record), 32);   /* kept once per packet */

    test_one_syn_costs_one_record();
    test_clean_connection_no_extras();
    test_hole_allocates_extras_once();

    printf("test_sizes: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
