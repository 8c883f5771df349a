#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A later pass reads what the first pass could not fit in a slot.

The per-packet slot (plugin/tcpstate_glue_private.h, tcpstate_slot) keeps a
frame as its offset from its chunk's first frame, a related frame as the
distance back to it, and the record's facts as an index into the file's
table of distinct kinds; each falls back to a side table when it does not
fit (SLOT_FAR).  This test makes those fall-backs happen and checks that
`tshark -2` (whose second pass renders from the slots only) prints for one
ordinary connection exactly what it prints for that connection alone:

 - far frames: the connection's SYN, then 70,000 UDP frames, then the rest
   of it (frame offsets past 65,534 in the SYN's chunk; the SYN-ACK's
   related frame 70,001 back);
 - far kinds: first 67,328 one-segment connections, each a different pair
   of TCP header offset (IPv6 destination options of 8 to 2,112 bytes) and
   TCP flags (all 256), more than the 65,535 kinds a table holds; then the
   connection, with no extension header: kinds the table never got.

The expected values are the connection's own fields in a capture of it alone,
with its frame numbers (and related frames) moved to where they lie here.
The captures are written into a temporary folder and removed.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ["frame.number", "tcpstate.stage", "tcpstate.client.before", "tcpstate.client.after",
          "tcpstate.server.before", "tcpstate.server.after", "tcpstate.sender",
          "tcpstate.retransmission", "tcpstate.inferred", "tcpstate.related_frame",
          "tcpstate.time.syn_to_synack", "tcpstate.time.synack_to_ack",
          "tcpstate.time.teardown", "tcpstate.zeek.conn_state", "tcpstate.zeek.history",
          "tcpstate.anomaly", "tcpstate.explanation"]
FILLER = 70000
A = bytes.fromhex("20010db8000000000000000000000001")
B = bytes.fromhex("20010db8000000000000000000000002")
C = bytes.fromhex("20010db8000000000000000000000003")

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def ipv6_frame(src, dst, next_hdr, payload):
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x86\xdd"
    ip = struct.pack("!IHBB", 6 << 28, len(payload), next_hdr, 64) + src + dst
    return eth + ip + payload


def dest_opts(next_hdr, units):
    """A destination options header of 8 * (units + 1) bytes, PadN filled."""
    pad = 8 * (units + 1) - 2
    body = b""
    while pad:
        n = min(pad, 257)
        body += b"\x00" if n == 1 else bytes([1, n - 2]) + b"\x00" * (n - 2)
        pad -= n
    return bytes([next_hdr, units]) + body


def tcp(sport, dport, seq, ack, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data


def tcp_frame(src, dst, seg, ext=b""):
    return ipv6_frame(src, dst, 60 if ext else 6, ext + seg)


def udp_frame(i):
    udp = struct.pack("!HHHH", 5000, 6000 + i % 1000, 12, 0) + b"fill"
    return ipv6_frame(A, C, 17, udp)


def connection():
    """An ordinary connection: handshake, 100 bytes each way, four-way close."""
    c, s = 40000, 80
    i, r = 1000, 5000
    out = [(A, B, tcp(c, s, i, 0, SYN)),
           (B, A, tcp(s, c, r, i + 1, SYN | ACK)),
           (A, B, tcp(c, s, i + 1, r + 1, ACK)),
           (A, B, tcp(c, s, i + 1, r + 1, PSH | ACK, b"q" * 100)),
           (B, A, tcp(s, c, r + 1, i + 101, PSH | ACK, b"r" * 100)),
           (A, B, tcp(c, s, i + 101, r + 101, FIN | ACK)),
           (B, A, tcp(s, c, r + 101, i + 102, ACK)),
           (B, A, tcp(s, c, r + 101, i + 102, FIN | ACK)),
           (A, B, tcp(c, s, i + 102, r + 102, ACK))]
    return [tcp_frame(src, dst, seg) for src, dst, seg in out]


def write_pcap(path, frames):
    """frames: (time in microseconds, bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, b in frames:
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(b), len(b)) + b)
    os.chmod(path, 0o644)


def tshark_fields(path):
    cmd = ["bash", os.path.join(HERE, "run-tshark.sh"), "-r", path, "-2", "-T", "fields",
           "-E", "occurrence=a", "-Y", "tcp.port == 40000"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("tshark failed on %s: %s" % (path, p.stderr.strip()))
    return [line.split("\t") for line in p.stdout.splitlines()]


def moved(rows, where):
    """The reference rows with frame numbers moved: where[f] is frame f's place."""
    out = []
    for row in rows:
        row = list(row)
        row[0] = str(where[int(row[0])])
        rel = FIELDS.index("tcpstate.related_frame")
        if row[rel]:
            row[rel] = str(where[int(row[rel])])
        out.append(row)
    return out


def compare(name, got, want):
    if got == want:
        print("ok    %s: %d frames as the connection alone" % (name, len(got)))
        return True
    print("FAIL  %s" % name)
    for g, w in zip(got, want):
        for f, a, b in zip(FIELDS, g, w):
            if a != b:
                print("  frame %s %s: got %r, expected %r" % (w[0], f, a, b))
    if len(got) != len(want):
        print("  %d rows, expected %d" % (len(got), len(want)))
    return False


def main():
    conn = connection()
    tmp = tempfile.mkdtemp(prefix="tcpstate-far-")
    os.chmod(tmp, 0o755)
    try:
        t0 = 1700000000 * 1000000
        alone = os.path.join(tmp, "alone.pcap")
        write_pcap(alone, [(t0 + k * 1000, b) for k, b in enumerate(conn)])
        ref = tshark_fields(alone)
        if len(ref) != len(conn) or not all(r[1] for r in ref):
            sys.exit("the connection alone did not give a stage for each of its %d frames"
                     % len(conn))

        # far frames: SYN, the filler, the rest (times: the filler between)
        far = os.path.join(tmp, "far-frames.pcap")
        frames = [(t0, conn[0])]
        frames += [(t0 + 1 + k * 1000 // FILLER, udp_frame(k)) for k in range(FILLER)]
        frames += [(t0 + k * 1000, b) for k, b in enumerate(conn) if k]
        write_pcap(far, frames)
        where = {1: 1}
        where.update({k + 1: k + 1 + FILLER for k in range(1, len(conn))})
        ok = compare("far frames and related frames", tshark_fields(far), moved(ref, where))

        # far kinds: 263 offsets x 256 flag bytes, one connection each, then the connection
        kinds = os.path.join(tmp, "far-kinds.pcap")
        frames = []
        n = 0
        for extra in range(8):
            # 8..2048 bytes of one header, then 2064..2112 of two
            for units in (range(256) if extra == 0 else [255]):
                ext = dest_opts(60, extra) + dest_opts(6, units) if extra else dest_opts(6, units)
                for flags in range(256):
                    port = 1024 + n % 30000       # never the connection's 40000
                    src = bytes.fromhex("20010db80001%04x" % (n // 30000) + "0" * 16)
                    seg = tcp(port, 443, 77, 0, flags)
                    frames.append((t0 - 10000000 + n, tcp_frame(src, B, seg, ext)))
                    n += 1
        first = len(frames) + 1
        frames += [(t0 + k * 1000, b) for k, b in enumerate(conn)]
        write_pcap(kinds, frames)
        where = {k + 1: k + first for k in range(len(conn))}
        ok &= compare("far kinds (%d kinds before it)" % (first - 1), tshark_fields(kinds),
                      moved(ref, where))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
