#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write large, well-formed TCP captures fast (no scapy) for benchmarks and stress tests.

Usage:
  python3 captures/gen_traffic.py --connections C --packets P OUT
  python3 captures/gen_traffic.py --single P OUT
Options:
  --payload N      bytes per data segment (default 100)
  --concurrency W  connections open at the same time in --connections mode
                   (default 64); their packets are interleaved round-robin
  --gap-us U       time between two consecutive frames (default 10)

--connections: C complete connections, each handshake (3 frames), k data
exchanges, four-way close started by the client (4 frames).  An exchange is
two frames: data one way and the pure ACK back; exchanges alternate
client->server and server->client.  k is chosen so that the file holds about
P frames in all (within one frame when P >= 7*C; a connection has at least
7 frames).  Clients are 10.88.0.1 with ports 2000..61999, then 10.88.1.1,
10.88.1.2, ... for the next 60000 connections each; the server is
10.88.0.2:7777.  ISNs are pseudo-random, so some connections wrap past 2^32.

--single: one connection of P frames (P-1 when P is even; P >= 7) with data both ways; the ISNs
are placed so that both sides' sequence numbers wrap past 2^32 about half
way through (and again every 4 GiB for huge P).

Frames are Ethernet/IPv4(DF)/TCP with correct checksums; the SYNs carry
MSS 1460, SACK_PERM and WS 7, other segments no options.  Output is
deterministic: the same arguments give byte-identical files.
"""

import argparse
import struct
import sys
from collections import deque

EPOCH = 1700000000
M32 = 0xFFFFFFFF
SERVER = (10 << 24) | (88 << 16) | 2           # 10.88.0.2
SERVER_PORT = 7777
C_MAC, S_MAC = bytes.fromhex("028800000001"), bytes.fromhex("028800000002")
ETH_C2S = S_MAC + C_MAC + b"\x08\x00"
ETH_S2C = C_MAC + S_MAC + b"\x08\x00"
SYN_OPTS = bytes([2, 4, 0x05, 0xB4, 1, 1, 4, 2, 1, 3, 3, 7])

F_FIN, F_SYN, F_RST, F_PSH, F_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

HDR = struct.Struct(">14sBBHHHBBHIIHHIIHHHH")
RECORD = struct.Struct("<IIII")


def words_sum(b):
    if len(b) % 2:
        b += b"\0"
    return sum(struct.unpack(">%dH" % (len(b) // 2), b))


def fold(s):
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Writer:
    def __init__(self, path, payload_len, gap_us):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.chunk = []
        self.n = 0
        self.gap = gap_us
        self.payload = (b"tcpstate generated data " * (payload_len // 24 + 1))[:payload_len]
        self.psum = words_sum(self.payload)
        self.optsum = words_sum(SYN_OPTS)
        self.ipid = 0x3A5C

    def frame(self, cip, cport, c2s, flags, seq, ack, has_data):
        """one segment between client cip:cport and the server"""
        if c2s:
            src, dst, sport, dport, eth = cip, SERVER, cport, SERVER_PORT, ETH_C2S
        else:
            src, dst, sport, dport, eth = SERVER, cip, SERVER_PORT, cport, ETH_S2C
        if flags & F_SYN:
            opts, osum, win = SYN_OPTS, self.optsum, 64240 if c2s else 65160
        else:
            opts, osum, win = b"", 0, 502 if c2s else 509
        thl = 20 + len(opts)
        plen = len(self.payload) if has_data else 0
        tcplen = thl + plen
        iplen = 20 + tcplen
        self.ipid = ipid = (self.ipid + 1) & 0xFFFF
        addr = (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF)
        ipsum = fold(0x4500 + iplen + ipid + 0x4000 + 0x4006 + addr)
        offfl = (thl // 4) << 12 | flags
        tsum = fold(addr + 6 + tcplen + sport + dport + (seq >> 16) + (seq & 0xFFFF)
                    + (ack >> 16) + (ack & 0xFFFF) + offfl + win + osum
                    + (self.psum if has_data else 0))
        t = self.n * self.gap
        self.n += 1
        flen = 14 + iplen
        c = self.chunk
        c.append(RECORD.pack(EPOCH + t // 1000000, t % 1000000, flen, flen))
        c.append(HDR.pack(eth, 0x45, 0, iplen, ipid, 0x4000, 64, 6, ipsum, src, dst,
                          sport, dport, seq, ack, offfl, win, tsum, 0))
        if opts:
            c.append(opts)
        if has_data:
            c.append(self.payload)
        if len(c) >= 200000:
            self.flush()

    def flush(self):
        self.f.write(b"".join(self.chunk))
        self.chunk.clear()

    def close(self):
        self.flush()
        self.f.close()


def connection(plen, k, cisn, sisn):
    """Yield (c2s, flags, seq, ack, has_data) for one whole connection."""
    c, s = cisn, sisn
    yield True, F_SYN, c, 0, False
    yield False, F_SYN | F_ACK, s, (c + 1) & M32, False
    c = (c + 1) & M32
    s = (s + 1) & M32
    yield True, F_ACK, c, s, False
    for i in range(k):
        if i % 2 == 0:
            yield True, F_PSH | F_ACK, c, s, True
            c = (c + plen) & M32
            yield False, F_ACK, s, c, False
        else:
            yield False, F_PSH | F_ACK, s, c, True
            s = (s + plen) & M32
            yield True, F_ACK, c, s, False
    yield True, F_FIN | F_ACK, c, s, False
    yield False, F_ACK, s, (c + 1) & M32, False
    yield False, F_FIN | F_ACK, s, (c + 1) & M32, False
    yield True, F_ACK, (c + 1) & M32, (s + 1) & M32, False


def client_of(j):
    """address and port of connection j"""
    hi = j // 60000
    port = 2000 + j % 60000
    if hi == 0:
        return (10 << 24) | (88 << 16) | 1, port                    # 10.88.0.1
    hi -= 1
    return (10 << 24) | (88 << 16) | ((1 + hi // 254) << 8) | (1 + hi % 254), port


def run_connections(w, nconn, npkts, width):
    plen = len(w.payload)
    per = max(npkts // nconn, 7)
    k = (per - 7) // 2
    extra = max(0, (npkts - nconn * (7 + 2 * k)) // 2)   # conns with one more exchange
    extra = min(extra, nconn)
    rnd = 0x1234567

    def start(j):
        nonlocal rnd
        rnd = (rnd * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        cip, cport = client_of(j)
        kk = k + (1 if j < extra else 0)
        return cip, cport, connection(plen, kk, rnd >> 32, rnd & M32)

    active = deque()
    nxt = 0
    while nxt < nconn and len(active) < width:
        active.append(start(nxt))
        nxt += 1
    frame = w.frame
    while active:
        cip, cport, gen = entry = active.popleft()
        seg = next(gen, None)
        if seg is None:
            if nxt < nconn:
                active.append(start(nxt))
                nxt += 1
            continue
        frame(cip, cport, *seg)
        active.append(entry)


def run_single(w, npkts):
    plen = len(w.payload)
    k = max(0, (npkts - 7) // 2)
    half_c = ((k + 1) // 2 * plen) // 2      # half of what the client sends
    half_s = (k // 2 * plen) // 2            # half of what the server sends
    cisn = (-half_c - 1) & M32               # so both wrap about half way
    sisn = (-half_s - 1) & M32
    cip, cport = client_of(0)
    frame = w.frame
    for seg in connection(plen, k, cisn, sisn):
        frame(cip, cport, *seg)


def main(argv):
    ap = argparse.ArgumentParser(description="Fast generator of well-formed TCP captures.")
    ap.add_argument("--connections", type=int)
    ap.add_argument("--packets", type=int)
    ap.add_argument("--single", type=int, metavar="P")
    ap.add_argument("--payload", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--gap-us", type=int, default=10)
    ap.add_argument("out")
    a = ap.parse_args(argv[1:])
    if (a.single is None) == (a.connections is None):
        ap.error("give either --single P or --connections C --packets P")
    if a.payload < 1 or a.payload > 1460 or a.gap_us < 1 or a.concurrency < 1:
        ap.error("bad --payload (1..1460), --gap-us or --concurrency")
    w = Writer(a.out, a.payload, a.gap_us)
    if a.single is not None:
        if a.single < 7:
            ap.error("--single needs at least 7 packets")
        run_single(w, a.single)
    else:
        if a.connections < 1 or a.packets is None:
            ap.error("--connections needs C >= 1 and --packets P")
        run_connections(w, a.connections, a.packets, a.concurrency)
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
