/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate wire parsing: a TCP header's fields and options from its bytes
 * (RFC 9293 3.1), for the Wireshark glue and the tshark-less replay driver
 * alike.  Plain C99 on byte arrays: no Wireshark, no GLib.
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

/* The options the core uses, from the n option bytes at o: window scale
 * (RFC 7323) into seg->wscale, TCP Fast Open (RFC 7413) into seg->tfo. */
void ts_wire_tcp_options(const uint8_t *o, size_t n, ts_segment *seg);

/* Ports, numbers, flags, window and options of the TCP header whose first
 * cap bytes (captured) are at h.  0 when the fixed 20-byte header is not
 * all there or the data offset is below 5; options are read as far as they
 * were captured. */
int ts_wire_tcp_header(const uint8_t *h, size_t cap, ts_segment *seg);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_WIRE_H */
