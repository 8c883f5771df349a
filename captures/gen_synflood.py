#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a SYN flood capture fast (no scapy): N SYNs to one server, never answered.

Usage: python3 captures/gen_synflood.py N OUT [--pps RATE]

Every SYN comes from a different (address, port) pair: source addresses
10.88.128.1 upwards (32000 of them, .0 and .255 included), source ports from
1024; destination 10.88.0.2:7777.  Each SYN is a Linux-like 66-byte frame
(Ethernet, IPv4 with DF, TCP with MSS 1460, SACK_PERM, WS 7), with a
pseudo-random but deterministic ISN and IP ID, correct checksums, and
timestamps 1/RATE apart (default 100000 per second) from 2023-11-14
22:13:20 UTC.  The output is byte-identical for the same arguments.
"""

import struct
import sys

EPOCH = 1700000000
SERVER = (10 << 24) | (88 << 16) | 2          # 10.88.0.2
SERVER_PORT = 7777
SRC_BASE = (10 << 24) | (88 << 16) | (128 << 8) | 1   # 10.88.128.1
NADDR = 32000
ETH = bytes.fromhex("02880000000202880000000108 00".replace(" ", ""))  # dst, src, IPv4
OPTS = bytes([2, 4, 0x05, 0xB4, 1, 1, 4, 2, 1, 3, 3, 7])  # MSS, NOP NOP SACK_PERM, NOP WS 7
TCP_LEN = 20 + len(OPTS)
IP_LEN = 20 + TCP_LEN
FRAME_LEN = 14 + IP_LEN

FRAME = struct.Struct(">14sBBHHHBBHII HHIIHHHH12s".replace(" ", ""))
RECORD = struct.Struct("<IIII")


def words_sum(b):
    if len(b) % 2:
        b += b"\0"
    return sum(struct.unpack(">%dH" % (len(b) // 2), b))


def main(argv):
    args = [a for a in argv[1:]]
    pps = 100000
    if "--pps" in args:
        i = args.index("--pps")
        pps = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2 or pps <= 0:
        sys.stderr.write(__doc__)
        return 2
    n, out = int(args[0]), args[1]

    # constant parts of the two checksums
    ip_const = 0x4500 + IP_LEN + 0x4000 + (64 << 8 | 6) + (SERVER >> 16) + (SERVER & 0xFFFF)
    tcp_const = ((SERVER >> 16) + (SERVER & 0xFFFF) + 6 + TCP_LEN + SERVER_PORT
                 + ((TCP_LEN // 4) << 12 | 0x02) + 64240 + words_sum(OPTS))
    frame_pack, rec_pack = FRAME.pack, RECORD.pack
    step_ns = 1000000000 // pps

    isn = 0x2545F491
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        chunk = []
        for i in range(n):
            a = i % NADDR
            src = SRC_BASE + a
            sport = 1024 + (i // NADDR + a) % 64512
            isn = (isn * 1103515245 + 12345) & 0xFFFFFFFF
            ipid = (isn >> 7) & 0xFFFF
            s = ip_const + ipid + (src >> 16) + (src & 0xFFFF)
            s = (s & 0xFFFF) + (s >> 16)
            s = (s & 0xFFFF) + (s >> 16)
            ipsum = ~s & 0xFFFF
            s = tcp_const + (src >> 16) + (src & 0xFFFF) + sport + (isn >> 16) + (isn & 0xFFFF)
            s = (s & 0xFFFF) + (s >> 16)
            s = (s & 0xFFFF) + (s >> 16)
            tcpsum = ~s & 0xFFFF
            t_us = (i * step_ns) // 1000
            chunk.append(rec_pack(EPOCH + t_us // 1000000, t_us % 1000000, FRAME_LEN, FRAME_LEN))
            chunk.append(frame_pack(ETH, 0x45, 0, IP_LEN, ipid, 0x4000, 64, 6, ipsum, src, SERVER,
                                    sport, SERVER_PORT, isn, 0, (TCP_LEN // 4) << 12 | 0x02,
                                    64240, tcpsum, 0, OPTS))
            if len(chunk) >= 131072:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
