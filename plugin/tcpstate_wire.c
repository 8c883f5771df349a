/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate wire parsing (tcpstate_wire.h): plain C99, no Wireshark.
 */
#include "tcpstate_wire.h"

#include <string.h>

enum {
    OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WSCALE = 3, OPT_SACK_PERMITTED = 4,
    OPT_TIMESTAMPS = 8, OPT_FAST_OPEN = 34, OPT_EXPERIMENT = 254
};
/* RFC 7413 4.1.1: the experimental form's magic number (RFC 6994 ExID). */
#define TFO_MAGIC 0xF989u

/* A Fast Open cookie is absent (a request) or 4 to 16 bytes, an even
 * number (RFC 7413 4.1.1). */
static int
tfo_cookie_len_ok(size_t n)
{
    return n == 0 || (n >= 4 && n <= 16 && n % 2 == 0);
}

/* One option of length len (>= 2, all captured) at p.  Returns 0 or
 * TS_WIRE_OPT_BAD_LEN when the length is not the kind's. */
static unsigned
read_option(const uint8_t *p, size_t len, ts_wire_options *opt)
{
    switch (p[0]) {
    case OPT_MSS:
        if (len != 4)
            return TS_WIRE_OPT_BAD_LEN;
        opt->mss = ts_wire_be16(p + 2);
        return 0;
    case OPT_WSCALE:
        if (len != 3)
            return TS_WIRE_OPT_BAD_LEN;
        opt->wscale = (int8_t)p[2];
        return 0;
    case OPT_SACK_PERMITTED:
        if (len != 2)
            return TS_WIRE_OPT_BAD_LEN;
        opt->sack_permitted = 1;
        return 0;
    case OPT_TIMESTAMPS:
        if (len != 10)
            return TS_WIRE_OPT_BAD_LEN;
        opt->has_timestamps = 1;
        opt->ts_val = ts_wire_be32(p + 2);
        opt->ts_ecr = ts_wire_be32(p + 6);
        return 0;
    case OPT_FAST_OPEN:
        if (!tfo_cookie_len_ok(len - 2))
            return TS_WIRE_OPT_BAD_LEN;
        opt->tfo = 1;
        opt->tfo_experimental = 0;
        opt->tfo_cookie_len = (uint8_t)(len - 2);
        return 0;
    case OPT_EXPERIMENT:
        /* kind 254 is shared by experiments (RFC 6994): only the Fast Open
         * magic is ours; another experiment's option is not an error */
        if (len < 4 || ts_wire_be16(p + 2) != TFO_MAGIC)
            return 0;
        if (!tfo_cookie_len_ok(len - 4))
            return TS_WIRE_OPT_BAD_LEN;
        opt->tfo = 1;
        opt->tfo_experimental = 1;
        opt->tfo_cookie_len = (uint8_t)(len - 4);
        return 0;
    }
    return 0;                       /* a kind the core does not use */
}

unsigned
ts_wire_tcp_options(const uint8_t *o, size_t cap, size_t declared, ts_wire_options *opt)
{
    unsigned problems = 0;
    size_t i = 0, len;

    memset(opt, 0, sizeof *opt);
    opt->mss = -1;
    opt->wscale = -1;
    if (cap > declared)
        cap = declared;
    while (i < cap) {
        if (o[i] == OPT_EOL)
            break;
        if (o[i] == OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= cap) {         /* no room for the length byte */
            problems |= cap < declared ? TS_WIRE_OPT_TRUNCATED : TS_WIRE_OPT_BAD_LEN;
            break;
        }
        len = o[i + 1];
        if (len < 2 || i + len > declared) {
            problems |= TS_WIRE_OPT_BAD_LEN;
            break;
        }
        if (i + len > cap) {
            problems |= TS_WIRE_OPT_TRUNCATED;
            break;
        }
        problems |= read_option(o + i, len, opt);
        i += len;
    }
    return problems;
}

unsigned
ts_wire_tcp_header(const uint8_t *h, size_t cap, ts_segment *seg, ts_wire_options *opt)
{
    ts_wire_options local;
    unsigned problems = 0;
    size_t hlen;
    int wanted = opt != NULL;

    if (!opt)
        opt = &local;
    if (cap < 20)
        return TS_WIRE_SHORT;
    hlen = (size_t)(h[12] >> 4) * 4u;
    if (hlen < 20)
        return TS_WIRE_BAD_OFFSET;
    if (cap < hlen)
        problems |= TS_WIRE_HEADER_CUT;
    seg->sport = ts_wire_be16(h);
    seg->dport = ts_wire_be16(h + 2);
    seg->seq = ts_wire_be32(h + 4);
    seg->ack = ts_wire_be32(h + 8);
    seg->flags = h[13];
    seg->win = ts_wire_be16(h + 14);
    seg->hdr_cut = (problems & TS_WIRE_HEADER_CUT) ? 1 : 0;
    if (!wanted && !(seg->flags & TS_SYN)) {
        /* nobody wants the options and they set nothing here (issue 14:
         * most segments carry timestamps, walked for nothing) */
        seg->wscale = -1;
        seg->tfo = 0;
        return problems;
    }
    problems |= ts_wire_tcp_options(h + 20, cap - 20, hlen - 20, opt);
    /* window scale and Fast Open mean something on a SYN only */
    seg->wscale = (seg->flags & TS_SYN) ? opt->wscale : -1;
    seg->tfo = (seg->flags & TS_SYN) ? opt->tfo : 0;
    return problems;
}

int
ts_wire_icmp_kind(int v6, uint8_t type, uint8_t code)
{
    if (!v6) {
        if (type != 3 || code == 4)
            return -1;
        if (code == 2 || code == 3)
            return TS_ICMP_PORT;
        if (code == 9 || code == 10 || code == 13)
            return TS_ICMP_PROHIBITED;
        return TS_ICMP_NO_ROUTE;
    }
    if (type != 1)
        return -1;
    if (code == 4)
        return TS_ICMP_PORT;
    if (code == 1 || code == 5 || code == 6)
        return TS_ICMP_PROHIBITED;
    return TS_ICMP_NO_ROUTE;
}
