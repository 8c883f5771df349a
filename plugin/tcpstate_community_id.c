/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Community ID v1 and the SHA-1 it needs, written from the specifications
 * (community-id-spec README; FIPS 180-4 for SHA-1).
 */
#include <string.h>

#include "tcpstate_community_id.h"

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32u - n));
}

/* One 64-byte block into the state h[5] (FIPS 180-4, 6.1.2). */
static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    unsigned t;

    for (t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
    for (; t < 80; t++)
        w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    for (t = 0; t < 80; t++) {
        uint32_t f, k, tmp;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        tmp = rol(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void ts_sha1(const uint8_t *data, size_t len, uint8_t digest[20])
{
    uint32_t h[5] = { 0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u };
    uint8_t tail[128];
    size_t full = len / 64 * 64, rest = len - full, n;
    uint64_t bits = (uint64_t)len * 8u;
    unsigned i;

    for (size_t off = 0; off < full; off += 64)
        sha1_block(h, data + off);
    /* padding: 0x80, zeros, the length in bits (big-endian) */
    memset(tail, 0, sizeof tail);
    if (rest)
        memcpy(tail, data + full, rest);
    tail[rest] = 0x80;
    n = rest + 1 + 8 <= 64 ? 64 : 128;
    for (i = 0; i < 8; i++)
        tail[n - 1 - i] = (uint8_t)(bits >> (8 * i));
    sha1_block(h, tail);
    if (n == 128)
        sha1_block(h, tail + 64);
    for (i = 0; i < 20; i++)
        digest[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void base64(const uint8_t *in, size_t len, char *out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = abc[v >> 18];
        *out++ = abc[(v >> 12) & 63];
        *out++ = abc[(v >> 6) & 63];
        *out++ = abc[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *out++ = abc[v >> 18];
        *out++ = abc[(v >> 12) & 63];
        *out++ = '=';
        *out++ = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *out++ = abc[v >> 18];
        *out++ = abc[(v >> 12) & 63];
        *out++ = abc[(v >> 6) & 63];
        *out++ = '=';
    }
    *out = '\0';
}

/* The spec orders the endpoints so that the same flow gives the same ID
 * in both directions: the smaller address first, or with equal addresses
 * the smaller port. */
static int source_first(const uint8_t *saddr, const uint8_t *daddr, size_t alen,
                        uint16_t sport, uint16_t dport)
{
    int c = memcmp(saddr, daddr, alen);
    return c < 0 || (c == 0 && sport <= dport);
}

void ts_community_id(uint16_t seed, const uint8_t *saddr, const uint8_t *daddr,
                     size_t addr_len, uint8_t proto, uint16_t sport, uint16_t dport,
                     char out[TS_COMMUNITY_ID_LEN])
{
    uint8_t buf[2 + 16 + 16 + 2 + 4], digest[20];
    size_t n = 0;

    if (addr_len != 4 && addr_len != 16) {
        out[0] = '\0';
        return;
    }
    if (!source_first(saddr, daddr, addr_len, sport, dport)) {
        const uint8_t *ta = saddr;
        uint16_t tp = sport;
        saddr = daddr;
        daddr = ta;
        sport = dport;
        dport = tp;
    }
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, saddr, addr_len);
    n += addr_len;
    memcpy(buf + n, daddr, addr_len);
    n += addr_len;
    buf[n++] = proto;
    buf[n++] = 0;                       /* padding */
    buf[n++] = (uint8_t)(sport >> 8);
    buf[n++] = (uint8_t)sport;
    buf[n++] = (uint8_t)(dport >> 8);
    buf[n++] = (uint8_t)dport;
    ts_sha1(buf, n, digest);
    out[0] = '1';
    out[1] = ':';
    base64(digest, sizeof digest, out + 2);
}
