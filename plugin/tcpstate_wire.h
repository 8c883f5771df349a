/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate wire parsing: a TCP header's fields and options from its bytes
 * (RFC 9293 3.1), and how an ICMP destination unreachable sorts, for the
 * Wireshark glue and the tshark-less replay driver (tests/ts_replay.c)
 * alike.  Plain C99 on byte arrays: no Wireshark, no GLib; it never reads
 * past the byte counts it is given.  Unit-tested by tests/test_wire.c.
 */
#ifndef TCPSTATE_WIRE_H
#define TCPSTATE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "tcpstate_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Big-endian (network order) numbers. */
static inline uint16_t ts_wire_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t ts_wire_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What the parser found wrong: bits of the value ts_wire_tcp_header and
 * ts_wire_tcp_options return (0: nothing). */
enum {
    TS_WIRE_SHORT         = 1u << 0, /* under 20 bytes: no fixed header */
    TS_WIRE_BAD_OFFSET    = 1u << 1, /* data offset below 5 (RFC 9293 3.1) */
    TS_WIRE_HEADER_CUT    = 1u << 2, /* data offset * 4 runs past the captured bytes */
    TS_WIRE_OPT_TRUNCATED = 1u << 3, /* an option runs past the captured bytes */
    TS_WIRE_OPT_BAD_LEN   = 1u << 4  /* an option's length below 2, past the
                                        header's end, or not its kind's */
};
/* The header cannot be used at all: no segment to feed. */
#define TS_WIRE_UNUSABLE (TS_WIRE_SHORT | TS_WIRE_BAD_OFFSET)

/* The options of one header.  An option with a length its kind does not
 * allow is ignored (RFC 7413 4.1.1 says so of Fast Open) and reported. */
typedef struct {
    int32_t  mss;              /* kind 2 (RFC 9293 3.2), or -1 */
    int8_t   wscale;           /* kind 3 shift as sent (RFC 7323 2.2), or -1;
                                  the core clamps it to 14 (RFC 7323 2.3) */
    uint8_t  sack_permitted;   /* kind 4 (RFC 2018) */
    uint8_t  has_timestamps;   /* kind 8 (RFC 7323 3.2) */
    uint32_t ts_val, ts_ecr;
    uint8_t  tfo;              /* Fast Open (RFC 7413 4.1.1): kind 34, or the
                                  experimental kind 254 with magic 0xF989 */
    uint8_t  tfo_experimental; /* it was the kind 254 form */
    uint8_t  tfo_cookie_len;   /* 0: a cookie request */
} ts_wire_options;

/* Walks the option bytes at o: cap of them captured, declared the option
 * space the data offset gives (cap <= declared).  Kind 0 ends the list,
 * kind 1 is one byte of padding; an option whose length is below 2 or runs
 * past the bytes ends the walk (what follows cannot be found).  Returns the
 * problems (TS_WIRE_OPT_*). */
unsigned ts_wire_tcp_options(const uint8_t *o, size_t cap, size_t declared, ts_wire_options *opt);

/* Ports, numbers, flags, window and options of the TCP header whose first
 * cap captured bytes are at h.  Unless the result has a TS_WIRE_UNUSABLE
 * bit, seg's sport, dport, seq, ack, flags, win, wscale, tfo and hdr_cut
 * are set (the rest of seg is left alone); options are read as far as they
 * were captured, and window scale and Fast Open count only on a SYN
 * (RFC 7323 2.2, RFC 7413 4.1.1).  opt, if not NULL, receives every option
 * found; when it is NULL, the options of a segment without SYN are not
 * read (they would set nothing) and their TS_WIRE_OPT_* problems are not
 * reported.  Returns the problems (TS_WIRE_*). */
unsigned ts_wire_tcp_header(const uint8_t *h, size_t cap, ts_segment *seg, ts_wire_options *opt);

/* How an ICMP message sorts for the core (ts_icmp_kind): a destination
 * unreachable (ICMP type 3, RFC 792; ICMPv6 type 1, RFC 4443) by its code,
 * or -1 for any other message and for "fragmentation needed" (code 4),
 * which is path MTU discovery (RFC 1191), not a verdict on the connection. */
int ts_wire_icmp_kind(int v6, uint8_t type, uint8_t code);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_WIRE_H */
