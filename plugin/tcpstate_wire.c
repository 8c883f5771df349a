/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate wire parsing (tcpstate_wire.h): plain C99, no Wireshark.
 */
#include "tcpstate_wire.h"

/* The options the core uses: window scale (RFC 7323) and TCP Fast Open
 * (RFC 7413, kind 34, or the experimental kind 254 with magic 0xF989).  An
 * option that does not fit ends the walk, as in the TCP dissector. */
void
ts_wire_tcp_options(const uint8_t *o, size_t n, ts_segment *seg)
{
    size_t i = 0;

    while (i < n) {
        uint8_t kind = o[i];
        size_t len;
        if (kind == 0)              /* end of option list */
            break;
        if (kind == 1) {            /* no-operation */
            i++;
            continue;
        }
        if (i + 1 >= n)
            break;
        len = o[i + 1];
        if (len < 2 || i + len > n)
            break;
        if (kind == 3 && len == 3)
            seg->wscale = (int8_t)o[i + 2];
        else if (kind == 34)
            seg->tfo = 1;
        else if (kind == 254 && len >= 4 && o[i + 2] == 0xF9 && o[i + 3] == 0x89)
            seg->tfo = 1;
        i += len;
    }
}

int
ts_wire_tcp_header(const uint8_t *h, size_t cap, ts_segment *seg)
{
    size_t hlen;

    if (cap < 20)
        return 0;
    hlen = (h[12] >> 4) * 4u;
    if (hlen < 20)
        return 0;                   /* bad data offset */
    seg->sport = ts_wire_be16(h);
    seg->dport = ts_wire_be16(h + 2);
    seg->seq = ts_wire_be32(h + 4);
    seg->ack = ts_wire_be32(h + 8);
    seg->flags = h[13];
    seg->win = ts_wire_be16(h + 14);
    seg->wscale = -1;
    seg->tfo = 0;
    if (cap > hlen)
        cap = hlen;
    if (cap > 20)
        ts_wire_tcp_options(h + 20, cap - 20, seg);
    return 1;
}
