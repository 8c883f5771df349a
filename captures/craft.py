#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Craft the TCP captures a real stack will not produce.

Usage: python3 captures/craft.py [OUTDIR [NAME...]]  (default: the folder of this script; NAMEs: only those)
       python3 captures/craft.py --list         (names and one-line descriptions)

Writes classic pcap files OUTDIR/crafted_<name>.pcap (Ethernet link type,
microsecond timestamps).  Everything is deterministic: fixed ISNs, fixed
timestamps starting at EPOCH, so two runs give byte-identical files.

Conventions shared by every capture (unless its comment says otherwise):
  * client 10.88.0.1 (fd88::1), server 10.88.0.2 (fd88::2), server port 7777
    (a port Wireshark has no dissector for), one client port per connection;
  * Linux-like segments: SYN options MSS 1460, SACK_PERM, TS, NOP, WS 7;
    every other segment carries NOP NOP TS; windows 64240/65160 in the SYNs,
    502/509 (x128) afterwards; RSTs sent for "no socket" carry no options,
    window 0 and IP ID 0;
  * seq/ack arithmetic is exact (SYN and FIN consume one sequence number),
    checksums are correct, TS values advance with time, TSecr echoes the
    peer's last TSval;
  * timing as seen by a tap next to the client: the server answers 1 ms
    after the client (RTT 1 ms), the client answers 40 us after the server,
    back-to-back segments from one side are 10 us apart; connections inside
    one file start 1 s apart.
Relative sequence numbers in the comments are as Wireshark shows them
(x = client ISN, y = server ISN; "c>" client to server, "s>" server to client).
"""

import logging
import os
import struct
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
try:
    from scapy.contrib.gtp import GTP_U_Header
    from scapy.layers.inet import IP, TCP, UDP, fragment
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import GRE, Ether
    from scapy.packet import Raw
except ImportError:
    # The Debian package installs scapy for /usr/bin/python3 only; a python3
    # earlier in PATH (pyenv, venv) may not see it.
    if (os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3"
            and not os.environ.get("CRAFT_REEXEC")):
        os.environ["CRAFT_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("craft.py needs scapy: apt-get install python3-scapy")

EPOCH = 1700000000          # 2023-11-14 22:13:20 UTC, first packet of every file
M32 = 0xFFFFFFFF
SERVER_PORT = 7777
CLIENT4, SERVER4 = "10.88.0.1", "10.88.0.2"
CLIENT6, SERVER6 = "fd88::1", "fd88::2"
CLIENT_MAC, SERVER_MAC = "02:88:00:00:00:01", "02:88:00:00:00:02"
RTT_US = 1000               # server answers the client after this long
TURN_US = 40                # client answers the server after this long
BURST_US = 10               # same sender, back to back
CONN_GAP_US = 1000000       # between connections in one file


def payload(n, tag=b"tcpstate crafted data "):
    """n bytes of printable, deterministic data."""
    return (tag * (n // len(tag) + 1))[:n]


class Capture:
    """A list of timestamped frames written as one classic pcap file."""

    def __init__(self, name, snaplen=262144, duplicate=False, nsec=False):
        self.name = name
        self.snaplen = snaplen
        self.duplicate = duplicate     # write every frame twice (1 us apart)
        self.nsec = nsec               # nanosecond pcap (magic a1b23c4d)
        self.sub_ns = 0                # nsec only: ns added to the next frames' time
        self.t = 0                     # microseconds since EPOCH
        self.records = []              # [t_us, bytes] (+ [sub_ns] with nsec)
        self.last = None               # (conn, side) of the previous frame
        self.nconn = 0

    def default_dt(self, conn, side):
        if self.last is None or self.last[0] is not conn:
            return 0 if self.last is None else CONN_GAP_US
        if self.last[1] == side:
            return BURST_US
        return RTT_US if side == "s" else TURN_US

    def add(self, frame, dt, who=None):
        self.t += dt
        self.records.append([self.t, bytes(frame)] + ([self.sub_ns] if self.nsec else []))
        if self.duplicate:
            self.t += 1
            self.records.append([self.t, bytes(frame)])
        self.last = who

    def wait(self, us):
        self.t += us

    def write(self, outdir):
        path = os.path.join(outdir, "crafted_%s.pcap" % self.name)
        magic = 0xA1B23C4D if self.nsec else 0xA1B2C3D4
        out = [struct.pack("<IHHiIII", magic, 2, 4, 0, 0, self.snaplen, 1)]
        for rec in self.records:
            t, frame = rec[0], rec[1]
            cap = frame[:self.snaplen]
            frac = t % 1000000
            if self.nsec:
                frac = frac * 1000 + rec[2]
            out.append(struct.pack("<IIII", EPOCH + t // 1000000, frac,
                                   len(cap), len(frame)))
            out.append(cap)
        with open(path, "wb") as f:
            f.write(b"".join(out))
        return path


class Endpoint:
    def __init__(self, addr, mac, port, isn, ipid, tsbase, synwin, win):
        self.addr, self.mac, self.port = addr, mac, port
        self.nxt = isn            # next sequence number this side sends
        self.rcv_nxt = None       # next sequence number it expects (None: no SYN seen)
        self.ipid = ipid
        self.tsbase = tsbase
        self.ts_recent = 0        # last TSval received from the peer
        self.synwin, self.win = synwin, win


def isn_for(port, side):
    h = (port * 0x9E3779B1 + (0x5BD1E995 if side == "s" else 0x1B873593)) & M32
    return h ^ (h >> 15)


class Conn:
    """One TCP connection between the client and the server endpoints.

    pkt() builds one segment, keeps both endpoints' sequence state, and
    records it in the capture unless record=False (sent and delivered but
    missed by the tap)."""

    def __init__(self, cap, cport, cisn=None, sisn=None, v6=False, ts=True,
                 encap=None, sport=SERVER_PORT):
        self.cap = cap
        self.v6 = v6
        self.ts = ts
        self.encap = encap
        cap.nconn += 1
        cisn = isn_for(cport, "c") if cisn is None else cisn
        sisn = isn_for(cport, "s") if sisn is None else sisn
        ca, sa = (CLIENT6, SERVER6) if v6 else (CLIENT4, SERVER4)
        self.ep = {
            "c": Endpoint(ca, CLIENT_MAC, cport, cisn, (cport * 31) & 0xFFFF,
                          (cport * 7919) & M32, 64240, 502),
            "s": Endpoint(sa, SERVER_MAC, sport, sisn, (cport * 17 + 1234) & 0xFFFF,
                          (cport * 104729 + 12345) & M32, 65160, 509),
        }
        self.t0 = cap.t
        self.outer_id = (cport * 13) & 0xFFFF

    def nxt(self, side):
        """the next sequence number `side` will send (its ISN before the SYN)"""
        return self.ep[side].nxt

    def restart(self, side, isn):
        """Forget a side's state (e.g. the server dropped its request socket)."""
        self.ep[side].nxt = isn
        self.ep[side].rcv_nxt = None

    def pkt(self, side, flags, data=b"", seq=None, ack=None, win=None, dt=None,
            ts=None, record=True, deliver=True, adv=None, chksum=None,
            dataofs=None, urgptr=0, ipid=None, nosock=False, build_only=False,
            extra_opts=None):
        """Send one segment from side ('c' or 's').

        flags: scapy letters ('S', 'SA', 'PA', 'FA', 'R', 'RA', 'FPU', '' ...).
        seq/ack default to the sender's state; ack is 0 without the A flag.
        nosock=True makes a stack-less RST (no options, window 0, IP ID 0).
        extra_opts: TCP options appended after the usual ones (e.g. a TCP
        Fast Open cookie on a SYN).
        deliver=False: the receiver drops it (no state change on its side).
        adv: whether it advances the sender's snd.nxt (default: seq == nxt).
        """
        snd, rcv = self.ep[side], self.ep["s" if side == "c" else "c"]
        if isinstance(data, int):
            data = payload(data)
        dt = self.cap.default_dt(self, side) if dt is None else dt
        now = self.cap.t + (dt if record else 0)
        seq = snd.nxt if seq is None else seq & M32
        if ack is None:
            ack = (snd.rcv_nxt or 0) if "A" in flags else 0
        ack &= M32
        syn, fin = "S" in flags, "F" in flags
        seglen = len(data) + syn + fin
        if ts is None:
            ts = self.ts and not nosock
        opts = []
        tsval = (snd.tsbase + (now - self.t0) // 1000) & M32
        tsecr = snd.ts_recent if "A" in flags else 0
        if syn:
            opts = [("MSS", 1440 if self.v6 else 1460), ("SAckOK", b"")]
            if ts:
                opts.append(("Timestamp", (tsval, tsecr)))
            else:
                opts += [("NOP", None), ("NOP", None)]
            opts += [("NOP", None), ("WScale", 7)]
        elif ts:
            opts = [("NOP", None), ("NOP", None), ("Timestamp", (tsval, tsecr))]
        if extra_opts:
            opts = opts + list(extra_opts)
        if win is None:
            win = 0 if nosock else (snd.synwin if syn else snd.win)
        tcp = TCP(sport=snd.port, dport=rcv.port, seq=seq, ack=ack,
                  flags=flags if flags else 0, window=win, options=opts,
                  urgptr=urgptr)
        if chksum is not None:
            tcp.chksum = chksum
        if dataofs is not None:
            tcp.dataofs = dataofs
        if data:
            tcp = tcp / Raw(load=data)
        if self.v6:
            ipkt = IPv6(src=snd.addr, dst=rcv.addr, hlim=64,
                        fl=(snd.port * 2897) & 0xFFFFF) / tcp
        else:
            if ipid is None:
                ipid = 0 if nosock else snd.ipid
                if not nosock:
                    snd.ipid = (snd.ipid + 1) & 0xFFFF
            ipkt = IP(src=snd.addr, dst=rcv.addr, id=ipid, flags="DF", ttl=64) / tcp
        # state
        if adv is None:
            adv = seq == snd.nxt
        if adv:
            snd.nxt = (seq + seglen) & M32
        if deliver and "R" not in flags:
            if syn or rcv.rcv_nxt is None or seq == rcv.rcv_nxt:
                if seglen or rcv.rcv_nxt is None:
                    rcv.rcv_nxt = (seq + seglen) & M32
            if ts:
                rcv.ts_recent = tsval
        if build_only:
            return ipkt
        if self.encap:
            ipkt = self.encap(self, side, ipkt)
        frame = Ether(src=snd.mac, dst=rcv.mac) / ipkt
        if record:
            self.cap.add(frame, dt, (self, side))
        return frame

    # --- common sequences -------------------------------------------------
    def handshake(self, record=True):
        self.pkt("c", "S", record=record)
        self.pkt("s", "SA", record=record)
        self.pkt("c", "A", record=record)

    def c_data(self, n=100):
        """client sends n bytes, server ACKs"""
        self.pkt("c", "PA", n)
        self.pkt("s", "A")

    def exchange(self, creq=100, sresp=200):
        """request/response: c> data, s> ACK, s> data, c> ACK"""
        self.c_data(creq)
        self.pkt("s", "PA", sresp, dt=200)
        self.pkt("c", "A")

    def close(self, first="c"):
        """normal four-way close started by `first`"""
        other = "s" if first == "c" else "c"
        self.pkt(first, "FA", dt=5000 if first == "c" else None)
        self.pkt(other, "A")
        self.pkt(other, "FA", dt=200)
        self.pkt(first, "A")


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------
CAPTURES = []


def capture(name, port, **capargs):
    def deco(fn):
        CAPTURES.append((name, port, capargs, fn))
        return fn
    return deco


# ---------------------------------------------------------------------------
# invalid_flags
#   Five separate 4-tuples (client ports 41000..41004), each carrying one
#   flag combination no stack sends:
#   A 41000  1 c> SYN+FIN (seq x, SYN options)            [defect]  no answer:
#              Linux drops SYN+FIN on a listener.
#   B 41001  1 c> SYN+RST (seq x, SYN options)            [defect]  no answer.
#   C 41002  1-3 handshake; 4 c> segment with NO flags at all, seq x+1, no
#              payload [defect], dropped by the server; 5-6 c> 100 bytes,
#              s> ACK; 7-10 normal four-way close (client first).
#   D 41003  1-3 handshake; 4-5 c> 100 bytes, s> ACK; 6 c> FIN without ACK
#              (seq x+101) [defect], dropped; 7 c> the same FIN again with ACK
#              200 ms later (Wireshark calls it a retransmission); 8 s> ACK
#              x+102; 9 s> FIN-ACK; 10 c> ACK.
#   E 41004  1 c> Xmas: FIN+PSH+URG, no ACK, urgent pointer 0, no options
#              [defect]  no answer (open port, RFC 9293 drops it).
# ---------------------------------------------------------------------------
@capture("invalid_flags", 41000)
def invalid_flags(cap, p):
    Conn(cap, p).pkt("c", "SF", deliver=False)
    Conn(cap, p + 1).pkt("c", "SR", deliver=False)
    c = Conn(cap, p + 2)
    c.handshake()
    c.pkt("c", "", dt=20000, deliver=False)
    c.c_data(100)
    c.close("c")
    c = Conn(cap, p + 3)
    c.handshake()
    c.c_data(100)
    c.pkt("c", "F", dt=5000, deliver=False)
    c.pkt("c", "FA", seq=c.nxt("c") - 1, dt=200000)
    c.pkt("s", "A")
    c.pkt("s", "FA", dt=200)
    c.pkt("c", "A")
    Conn(cap, p + 4).pkt("c", "FPU", ts=False, deliver=False)


# ---------------------------------------------------------------------------
# data_after_fin
#   1-3 handshake; 4-5 c> 100 bytes (seq 1), s> ACK 101;
#   6 c> FIN-ACK seq 101; 7 s> ACK 102 (FIN acknowledged);
#   8 c> PSH-ACK 50 bytes at seq 102 = fin_seq+1: NEW data after the
#     client's own FIN [defect]; 9 s> ACK 152 (this peer accepts it);
#   10 s> FIN-ACK; 11 c> ACK.
# ---------------------------------------------------------------------------
@capture("data_after_fin", 41010)
def data_after_fin(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.c_data(100)
    c.pkt("c", "FA", dt=5000)
    c.pkt("s", "A")
    c.pkt("c", "PA", 50, dt=3000)
    c.pkt("s", "A")
    c.pkt("s", "FA", dt=200)
    c.pkt("c", "A")


# ---------------------------------------------------------------------------
# packets_after_reset
#   1-3 handshake; 4-7 c> 100 bytes, s> ACK, s> 200 bytes, c> ACK;
#   8 s> RST-ACK seq 201 ack 101 (server aborts; with TS like Linux's
#     active reset);
#   9 c> PSH-ACK 100 bytes seq 101 ack 201, 50 ms later: the client never
#     got the RST and keeps sending [defect: traffic after the reset];
#   10 s> RST seq 201 (= the data's ack), no ACK flag, no options: the
#     server has no socket any more.
# ---------------------------------------------------------------------------
@capture("packets_after_reset", 41020)
def packets_after_reset(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("s", "RA", dt=3000)
    d = c.pkt("c", "PA", 100, dt=50000)
    c.pkt("s", "R", seq=d[TCP].ack, nosock=True)


# ---------------------------------------------------------------------------
# packets_after_close
#   1-3 handshake; 4-7 c> 100 bytes, s> ACK, s> 200 bytes, c> ACK;
#   8-11 four-way close, client first (c> FIN seq 101, s> ACK 102,
#   s> FIN seq 201, c> ACK 202);
#   12 c> PSH-ACK 50 bytes, 3 s after the last ACK, seq 102 ack 202: a stray
#     segment on the old sequence numbers of a closed connection, no SYN
#     [defect];
#   13 s> RST seq 202 (= its ack), no ACK flag: no socket.
# ---------------------------------------------------------------------------
@capture("packets_after_close", 41030)
def packets_after_close(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.close("c")
    d = c.pkt("c", "PA", 50, dt=3000000)
    c.pkt("s", "R", seq=d[TCP].ack, nosock=True)


# ---------------------------------------------------------------------------
# rst_out_of_window
#   A 41040: 1-3 handshake; 4-7 c> 100 bytes, s> ACK, s> 200 bytes, c> ACK;
#     8 c> RST (spoofed as the client, no options, IP ID 0) with
#       seq = server's rcv_nxt + 0x40000000, far outside the window: a blind
#       reset the server must ignore [defect]; no answer;
#     9-10 c> 100 more bytes at seq 101, s> ACK 201 (connection alive);
#     11-14 four-way close, client first.
#   B 41041: 1-7 as above; 8 c> RST with seq = rcv_nxt + 1000 (inside the
#       64256-byte window but not exactly rcv_nxt) [defect];
#     9 s> challenge ACK (RFC 5961): seq 201 ack 101;
#     10-11 c> 100 more bytes, s> ACK; 12-15 four-way close.
# ---------------------------------------------------------------------------
@capture("rst_out_of_window", 41040)
def rst_out_of_window(cap, p):
    for i, off in enumerate((0x40000000, 1000)):
        c = Conn(cap, p + i)
        c.handshake()
        c.exchange(100, 200)
        c.pkt("c", "R", seq=c.ep["s"].rcv_nxt + off, nosock=True,
              deliver=False, adv=False, dt=20000)
        if off < 65536:
            c.pkt("s", "A")
        c.pkt("c", "PA", 100, dt=20000)
        c.pkt("s", "A")
        c.close("c")


# ---------------------------------------------------------------------------
# rst_in_time_wait
#   1-3 handshake; 4-7 request/response (100/200 bytes);
#   8-11 four-way close, client first: the client ends in TIME-WAIT, the
#     server in CLOSED;
#   12 s> RST seq 202 (exactly the client's rcv_nxt), no ACK flag, no
#     options, 100 ms after the final ACK: a reset from the closed side
#     reaching the TIME-WAIT side (RFC 1337 TIME-WAIT assassination) [defect].
# ---------------------------------------------------------------------------
@capture("rst_in_time_wait", 41050)
def rst_in_time_wait(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.close("c")
    c.pkt("s", "R", nosock=True, dt=100000)


# ---------------------------------------------------------------------------
# data_before_handshake
#   1 c> SYN seq 0 (no payload, no TFO option);
#   2 c> PSH-ACK 100 bytes seq 1 ack 1, 10 us later, before any SYN-ACK was
#     seen [defect: data before the handshake completed]; its ack is y+1,
#     the value the SYN-ACK will carry (TSecr 0: no peer TSval seen yet);
#   3 s> SYN-ACK seq 0 ack 1 (sent before the data arrived);
#   4 c> ACK seq 101 ack 1 (the handshake completes);
#   5 s> ACK 101; 6-7 s> 200 bytes, c> ACK; 8-11 four-way close.
# ---------------------------------------------------------------------------
@capture("data_before_handshake", 41060)
def data_before_handshake(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S")
    c.pkt("c", "PA", 100, ack=c.nxt("s") + 1)
    c.pkt("s", "SA", ack=c.nxt("c") - 100)
    c.pkt("c", "A")
    c.pkt("s", "A", dt=BURST_US * 5)
    c.pkt("s", "PA", 200, dt=200)
    c.pkt("c", "A")
    c.close("c")


# ---------------------------------------------------------------------------
# synack_wrong_ack
#   1 c> SYN seq x;
#   2 s> SYN-ACK seq y ack x+5 (should be x+1) [defect];
#   3 c> RST seq x+5 (= the bad ack), no ACK flag (RFC 9293 SYN-SENT rule);
#   4 c> SYN seq x again, 1 s later (the client stays in SYN-SENT and
#     retransmits);
#   5 s> SYN-ACK with a new ISN y2 = y + 15625000, ack x+1 (Wireshark
#     reports "port numbers reused" and re-bases its relative numbers);
#   6 c> ACK;
#   7-10 request/response; 11-14 four-way close.
# ---------------------------------------------------------------------------
@capture("synack_wrong_ack", 41070)
def synack_wrong_ack(cap, p):
    c = Conn(cap, p)
    x, y = c.nxt("c"), c.nxt("s")
    c.pkt("c", "S")
    c.pkt("s", "SA", ack=x + 5)
    c.pkt("c", "R", seq=x + 5, nosock=True, adv=False)
    # the RST (in window) kills the server's request socket; the retried SYN
    # gets a fresh ISN, 1 s later on Linux's 64 ns ISN clock
    c.restart("s", (y + 15625000) & M32)
    c.pkt("c", "S", seq=x, dt=1000000)
    c.pkt("s", "SA")
    c.pkt("c", "A")
    c.exchange(100, 200)
    c.close("c")


# ---------------------------------------------------------------------------
# handshake_ack_wrong
#   1 c> SYN seq x; 2 s> SYN-ACK seq y ack x+1;
#   3 c> ACK seq x+1 ack y+7 (should be y+1) [defect];
#   4 s> RST seq y+7 (= the bad ack), no ACK flag, no options.
# ---------------------------------------------------------------------------
@capture("handshake_ack_wrong", 41080)
def handshake_ack_wrong(cap, p):
    c = Conn(cap, p)
    y = c.nxt("s")
    c.pkt("c", "S")
    c.pkt("s", "SA")
    c.pkt("c", "A", ack=y + 7)
    c.pkt("s", "R", seq=y + 7, nosock=True)


# ---------------------------------------------------------------------------
# fin_wrong_ack
#   1-3 handshake; 4-7 request/response (100/200 bytes);
#   8 c> FIN-ACK seq 101 (fin_seq = 101);
#   9 s> ACK with ack 104 = fin_seq + 3, two beyond what the FIN occupies
#     (correct would be 102) [defect];
#   10 s> FIN-ACK seq 201 ack 102 (correct again); 11 c> ACK 202.
# ---------------------------------------------------------------------------
@capture("fin_wrong_ack", 41090)
def fin_wrong_ack(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    fin = c.pkt("c", "FA", dt=5000)
    c.pkt("s", "A", ack=fin[TCP].seq + 3)
    c.pkt("s", "FA", dt=200)
    c.pkt("c", "A")


# ---------------------------------------------------------------------------
# handshake_ack_missing
#   1 c> SYN seq x; 2 s> SYN-ACK seq y ack x+1;
#   (the third ACK and the first 100 data bytes, seq 1..100, were sent but
#    not captured)
#   3 c> PSH-ACK 100 bytes seq 101 ack 1 [defect: first client segment after
#     the SYN-ACK starts 100 bytes beyond x+1];
#   4 s> ACK 201; 5-6 s> 200 bytes, c> ACK; 7-10 four-way close.
# ---------------------------------------------------------------------------
@capture("handshake_ack_missing", 41100)
def handshake_ack_missing(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S")
    c.pkt("s", "SA")
    c.pkt("c", "A", record=False)
    c.pkt("c", "PA", 100, record=False)
    c.pkt("c", "PA", 100)
    c.pkt("s", "A")
    c.pkt("s", "PA", 200, dt=200)
    c.pkt("c", "A")
    c.close("c")


# ---------------------------------------------------------------------------
# handshake_ack_with_data  (counter-example: nothing wrong)
#   1 c> SYN; 2 s> SYN-ACK; 3 c> PSH-ACK 100 bytes seq 1 ack 1: the third
#   segment of the handshake carries data and acks y+1, which is normal;
#   4 s> ACK 101; 5-6 s> 200 bytes, c> ACK; 7-10 four-way close.
# ---------------------------------------------------------------------------
@capture("handshake_ack_with_data", 41110)
def handshake_ack_with_data(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S")
    c.pkt("s", "SA")
    c.pkt("c", "PA", 100)
    c.pkt("s", "A")
    c.pkt("s", "PA", 200, dt=200)
    c.pkt("c", "A")
    c.close("c")


# ---------------------------------------------------------------------------
# seq_wrap  (no defect: sequence numbers wrap past 2^32)
#   client ISN 0xFFFFFF00, server ISN 0xFFFFFFF0.
#   1-3 handshake (client data starts at 0xFFFFFF01, server at 0xFFFFFFF1);
#   4-5 c> 100 bytes, s> ACK; 6-7 s> 200 bytes (0xFFFFFFF1..0x000000B8:
#     the server's numbers wrap inside this segment), c> ACK 0x000000B9;
#   8-9 c> 100 bytes, s> ACK; 10-11 c> 54 bytes ending at 0xFFFFFFFE, s> ACK;
#   12 c> FIN at seq 0xFFFFFFFF; 13 s> ACK 0x00000000 (the wrap happens on
#   the FIN); 14 s> FIN seq 0xB9; 15 c> ACK 0xBA.
# ---------------------------------------------------------------------------
@capture("seq_wrap", 41120)
def seq_wrap(cap, p):
    c = Conn(cap, p, cisn=0xFFFFFF00, sisn=0xFFFFFFF0)
    c.handshake()
    c.c_data(100)
    c.pkt("s", "PA", 200, dt=200)
    c.pkt("c", "A")
    c.c_data(100)
    c.c_data(54)
    c.close("c")


# ---------------------------------------------------------------------------
# duplicates
#   A normal connection (handshake, request/response, four-way close: 11
#   segments) where every frame is in the file twice, the copy identical
#   byte for byte and 1 us later [defect: capture duplicates] -> 22 frames.
# ---------------------------------------------------------------------------
@capture("duplicates", 41130, duplicate=True)
def duplicates(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.close("c")


# ---------------------------------------------------------------------------
# time_backwards
#   A normal connection (handshake, request/response, four-way close);
#   frame 6 (s> 200 bytes) carries a timestamp 50 ms EARLIER than frame 5
#   [defect: time goes backwards]; frame 7 onwards are on the normal clock.
# ---------------------------------------------------------------------------
@capture("time_backwards", 41140)
def time_backwards(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.close("c")
    cap.records[5][0] = cap.records[4][0] - 50000


# ---------------------------------------------------------------------------
# truncated  (pcap snaplen 54)
#   A normal connection (handshake, request/response, four-way close)
#   captured with snaplen 54: Ethernet 14 + IPv4 20 + the fixed 20 bytes of
#   TCP; every TCP option and every payload byte is cut [defect: truncated
#   frames; the TCP header with its options is incomplete].
# truncated_options  (pcap snaplen 62)
#   The same connection with snaplen 62: 8 bytes of options survive, so the
#   cut falls inside an option (the SYNs keep MSS and SACK_PERM and lose the
#   timestamp option after its kind and length bytes; other segments keep
#   NOP NOP and half the timestamp option) [defect].
# ---------------------------------------------------------------------------
@capture("truncated", 41150, snaplen=54)
def truncated(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.close("c")


@capture("truncated_options", 41160, snaplen=62)
def truncated_options(cap, p):
    truncated(cap, p)


# ---------------------------------------------------------------------------
# bad_data_offset
#   A 41170: 1-3 handshake; 4 c> PSH-ACK 20 bytes whose TCP data offset is
#     3 (12 bytes, less than the minimum 5) [defect]; the server drops it;
#     5 c> the same 20 bytes with a correct header, 200 ms later; 6 s> ACK;
#     7-10 four-way close.
#   B 41171: the same with data offset 15 (60 bytes) although the segment
#     is only 32 + 20 = 52 bytes long: the header would run past the end of
#     the packet [defect].
# ---------------------------------------------------------------------------
@capture("bad_data_offset", 41170)
def bad_data_offset(cap, p):
    for i, off in enumerate((3, 15)):
        c = Conn(cap, p + i)
        c.handshake()
        c.pkt("c", "PA", 20, dataofs=off, deliver=False, dt=20000)
        c.pkt("c", "PA", 20, seq=c.nxt("c") - 20, dt=200000)
        c.pkt("s", "A")
        c.close("c")


# ---------------------------------------------------------------------------
# ipv4_fragments  (not a TCP defect: IP fragmentation)
#   A 41180: 1-3 handshake; 4-6 c> one 1000-byte data segment (IP total
#     1052 bytes, DF clear) sent as three IPv4 fragments of 400/400/232
#     bytes of IP payload (the first holds the TCP header); 7 s> ACK 1001;
#     8-11 four-way close.
#   B 41181: the same, but the fragments are captured in reverse order
#     (offset 800, then 400, then 0).
# ---------------------------------------------------------------------------
@capture("ipv4_fragments", 41180)
def ipv4_fragments(cap, p):
    for i in range(2):
        c = Conn(cap, p + i)
        c.handshake()
        ipkt = c.pkt("c", "PA", 1000, dt=20000, build_only=True)
        ipkt = IP(bytes(ipkt))
        ipkt.flags = 0
        ipkt.chksum = None
        frags = fragment(IP(bytes(ipkt)), fragsize=400)
        if i == 1:
            frags.reverse()
        for j, f in enumerate(frags):
            cap.add(Ether(src=CLIENT_MAC, dst=SERVER_MAC) / f,
                    20000 if j == 0 else BURST_US, (c, "c"))
        c.pkt("s", "A")
        c.close("c")


# ---------------------------------------------------------------------------
# tunnel  (not a TCP defect: encapsulation)
#   The same small connection (handshake, c> 100 bytes, s> ACK, s> 200
#   bytes, c> ACK, four-way close: 11 frames) twice:
#   A 41190 inside IP-in-IP (outer 10.88.100.1 <-> 10.88.100.2, protocol 4);
#   B 41191 inside GRE (outer 10.88.100.1 <-> 10.88.100.2, protocol 47,
#     GRE protocol type 0x0800).
#   For two TCP layers in one frame see crafted_tcp_in_tcp.
# ---------------------------------------------------------------------------
OUTER_C, OUTER_S = "10.88.100.1", "10.88.100.2"


def encap_ipip(conn, side, inner):
    src, dst = (OUTER_C, OUTER_S) if side == "c" else (OUTER_S, OUTER_C)
    conn.outer_id = (conn.outer_id + 1) & 0xFFFF
    return IP(src=src, dst=dst, id=conn.outer_id, flags="DF", ttl=64, proto=4) / inner


def encap_gre(conn, side, inner):
    src, dst = (OUTER_C, OUTER_S) if side == "c" else (OUTER_S, OUTER_C)
    conn.outer_id = (conn.outer_id + 1) & 0xFFFF
    return IP(src=src, dst=dst, id=conn.outer_id, flags="DF", ttl=64) / GRE(proto=0x0800) / inner


@capture("tunnel", 41190)
def tunnel(cap, p):
    for i, enc in enumerate((encap_ipip, encap_gre)):
        c = Conn(cap, p + i, encap=enc)
        c.handshake()
        c.exchange(100, 200)
        c.close("c")


# ---------------------------------------------------------------------------
# tcp_in_tcp  (not a TCP defect: two TCP layers in one frame)
#   Wireshark's RPCAP (remote packet capture) dissector is a heuristic on
#   TCP and decodes the frames that an RPCAP "packet" message carries by the
#   link type of a previously seen "open reply".  So:
#   outer connection 10.88.0.1:41200 <-> 10.88.0.2:2002 (rpcapd's port):
#   1-3 handshake; 4 c> RPCAP open request "eth0"; 5 s> ACK;
#   6 s> RPCAP open reply, link type 1 (Ethernet); 7 c> ACK;
#   8.. s> one RPCAP packet message per segment, each carrying one complete
#   Ethernet frame of an inner connection 10.88.0.1:41201 <-> 10.88.0.2:7777
#   (handshake, c> 100 bytes, s> ACK, four-way close: 9 inner frames), each
#   acknowledged by c> ACK; then the outer four-way close.
#   Wireshark shows eth:ethertype:ip:tcp:rpcap:eth:ethertype:ip:tcp for
#   those frames: two TCP layers, two tcp.stream values in one frame.
# ---------------------------------------------------------------------------
@capture("tcp_in_tcp", 41200)
def tcp_in_tcp(cap, p):
    inner_cap = Capture("inner")
    inner = Conn(inner_cap, p + 1)
    inner.handshake()
    inner.c_data(100)
    inner.close("c")

    c = Conn(cap, p, sport=2002)
    c.handshake()
    req = b"eth0"
    c.pkt("c", "PA", struct.pack(">BBHI", 0, 0x03, 0, len(req)) + req, dt=2000)
    c.pkt("s", "A")
    c.pkt("s", "PA", struct.pack(">BBHIII", 0, 0x83, 0, 8, 1, 0), dt=100)
    c.pkt("c", "A")
    for n, (t, frame) in enumerate(inner_cap.records, 1):
        dt = 5000 if n == 1 else 1000
        t_abs = EPOCH * 1000000 + cap.t + dt - 500     # captured 0.5 ms earlier
        hdr = struct.pack(">BBHIIIIII", 0, 0x07, 0, 20 + len(frame),
                          t_abs // 1000000, t_abs % 1000000, len(frame), len(frame), n)
        c.pkt("s", "PA", hdr + frame, dt=dt)
        c.pkt("c", "A")
    c.close("c")


# ---------------------------------------------------------------------------
# ipv6  (no defect)
#   fd88::1:41210 -> [fd88::2]:7777: 1-3 handshake (MSS 1440);
#   4-7 request/response (100/200 bytes); 8-11 four-way close, client first.
# ---------------------------------------------------------------------------
@capture("ipv6", 41210)
def ipv6(cap, p):
    c = Conn(cap, p, v6=True)
    c.handshake()
    c.exchange(100, 200)
    c.close("c")


# ---------------------------------------------------------------------------
# Zeek conn_state / history cases, one connection per file.
# ---------------------------------------------------------------------------

# zeek_s1: 1-3 handshake; 4-7 request/response; nothing after (S1).
@capture("zeek_s1", 41300)
def zeek_s1(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)


# zeek_s2: 1-3 handshake; 4-7 request/response; 8 c> FIN; 9 s> ACK;
# the server never sends its FIN (S2).
@capture("zeek_s2", 41301)
def zeek_s2(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("c", "FA", dt=5000)
    c.pkt("s", "A")


# zeek_s3: 1-3 handshake; 4-7 request/response; 8 s> FIN; 9 c> ACK;
# the client never sends its FIN (S3).
@capture("zeek_s3", 41302)
def zeek_s3(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("s", "FA", dt=5000)
    c.pkt("c", "A")


# zeek_sh: 1 c> SYN; 2 c> FIN (no ACK: no SYN-ACK was seen) seq x+1
# 1 s later; no answer at all (SH).
@capture("zeek_sh", 41303)
def zeek_sh(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S", deliver=False)
    c.pkt("c", "F", dt=1000000, ts=False, deliver=False)


# zeek_shr: (client SYN not captured) 1 s> SYN-ACK; 2 s> FIN-ACK seq y+1
# ack x+1, 1 s later; nothing from the client.  Meant as SHR, but Zeek keeps
# the SYN-ACK's sender as originator on port 7777 and calls it SH; see
# zeek_shr_server_port for SHR.
@capture("zeek_shr", 41304)
def zeek_shr(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S", record=False)
    c.pkt("s", "SA")
    c.pkt("s", "FA", dt=1000000)


# zeek_rstos0: 1 c> SYN; 2 c> RST seq x+1 (no ACK, no options), 500 ms
# later; never a SYN-ACK (RSTOS0).
@capture("zeek_rstos0", 41305)
def zeek_rstos0(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S", deliver=False)
    c.pkt("c", "R", nosock=True, dt=500000)


# zeek_rstrh: (client SYN not captured) 1 s> SYN-ACK; 2 s> RST-ACK seq y+1
# ack x+1, no options, 3 s later.  Meant as RSTRH, but on port 7777 Zeek
# calls it OTH (see zeek_shr); zeek_rstrh_server_port gives RSTRH.
@capture("zeek_rstrh", 41306)
def zeek_rstrh(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S", record=False)
    c.pkt("s", "SA")
    c.pkt("s", "RA", nosock=True, dt=3000000)


# zeek_oth: mid-stream only: (handshake and first 100/200 bytes not
# captured) 1 c> 100 bytes seq 101; 2 s> ACK; 3 s> 200 bytes; 4 c> ACK;
# 5 c> 100 bytes; 6 s> ACK; no SYN, no FIN, no RST (OTH).
@capture("zeek_oth", 41307)
def zeek_oth(cap, p):
    c = Conn(cap, p)
    c.handshake(record=False)
    c.pkt("c", "PA", 100, record=False)
    c.pkt("s", "PA", 200, record=False)
    c.pkt("c", "PA", 100)
    c.pkt("s", "A")
    c.pkt("s", "PA", 200, dt=200)
    c.pkt("c", "A")
    c.c_data(100)


# zeek_rsto: 1-3 handshake; 4-7 request/response; 8 c> RST-ACK (the client
# aborts, with TS like Linux's active reset) (RSTO).
@capture("zeek_rsto", 41308)
def zeek_rsto(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("c", "RA", dt=5000)


# zeek_rstr: 1-3 handshake; 4-7 request/response; 8 s> RST-ACK (the server
# aborts) (RSTR).
@capture("zeek_rstr", 41309)
def zeek_rstr(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("s", "RA", dt=5000)


# zeek_reject: 1 c> SYN; 2 s> RST-ACK seq 0 ack x+1, no options: port
# closed (REJ).
@capture("zeek_reject", 41310)
def zeek_reject(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S")
    c.pkt("s", "RA", seq=0, nosock=True)


# zeek_s0: 1 c> SYN, nothing else (S0).
@capture("zeek_s0", 41311)
def zeek_s0(cap, p):
    Conn(cap, p).pkt("c", "S", deliver=False)


# zeek_bad_checksum: 1-3 handshake; 4 c> 100 bytes with a wrong TCP
# checksum (0xbad0) [defect]; the server drops it; 5 c> the same 100 bytes,
# correct, 200 ms later (retransmission); 6 s> ACK; 7-8 s> 200 bytes,
# c> ACK; 9-12 four-way close.
@capture("zeek_bad_checksum", 41312)
def zeek_bad_checksum(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.pkt("c", "PA", 100, chksum=0xBAD0, deliver=False, dt=20000)
    c.pkt("c", "PA", 100, seq=c.nxt("c") - 100, dt=200000)
    c.pkt("s", "A")
    c.pkt("s", "PA", 200, dt=200)
    c.pkt("c", "A")
    c.close("c")


# zeek_zero_window: 1-3 handshake; 4 c> 1000 bytes; 5 s> ACK 1001 with
# window 0 (receiver full); 6 c> zero-window probe 200 ms later (seq 1000 =
# snd_una-1, no data); 7 s> ACK 1001 window 0; 8 s> window update (ACK
# 1001, window 509) 300 ms later; 9 c> 1000 bytes; 10 s> ACK 2001;
# 11-14 four-way close.
@capture("zeek_zero_window", 41313)
def zeek_zero_window(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.pkt("c", "PA", 1000, dt=20000)
    c.pkt("s", "A", win=0)
    c.pkt("c", "A", seq=c.nxt("c") - 1, dt=200000)
    c.pkt("s", "A", win=0)
    c.pkt("s", "A", dt=300000)
    c.pkt("c", "PA", 1000)
    c.pkt("s", "A")
    c.close("c")


# zeek_multi_flag: 1-3 handshake; 4-7 request/response; 8 c> SYN+FIN+ACK
# (SYN options) at seq 101 ack 201 on the established connection [defect];
# 9 s> challenge ACK seq 201 ack 101; 10-11 c> 100 bytes, s> ACK;
# 12-15 four-way close.  The ACK flag is set as on every segment of an
# established connection; it also keeps Wireshark from starting a new
# tcp.stream ("port numbers reused"), which it does for a SYN without ACK
# whose seq differs from the connection's ISN.
@capture("zeek_multi_flag", 41314)
def zeek_multi_flag(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("c", "SFA", adv=False, deliver=False, dt=20000)
    c.pkt("s", "A")
    c.pkt("c", "PA", 100, dt=20000)
    c.pkt("s", "A")
    c.close("c")


# zeek_content_gap: 1-3 handshake; 4 c> 100 bytes seq 1; (c> 100 bytes at
# seq 101 sent and delivered but not captured); 5 c> 100 bytes seq 201;
# 6 s> ACK 301, acknowledging the unseen bytes [content gap];
# 7-8 s> 200 bytes, c> ACK; 9-12 four-way close.
@capture("zeek_content_gap", 41315)
def zeek_content_gap(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.pkt("c", "PA", 100, dt=20000)
    c.pkt("c", "PA", 100, record=False)
    c.pkt("c", "PA", 100, dt=20)
    c.pkt("s", "A")
    c.pkt("s", "PA", 200, dt=200)
    c.pkt("c", "A")
    c.close("c")


# zeek_retrans: 1-3 handshake; 4 c> 100 bytes seq 1 (lost after the tap);
# 5 c> the same 100 bytes, same seq, 200 ms later (retransmission);
# 6 s> ACK 101; 7-8 s> 200 bytes, c> ACK; 9-12 four-way close.
@capture("zeek_retrans", 41316)
def zeek_retrans(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.pkt("c", "PA", 100, deliver=False, dt=20000)
    c.pkt("c", "PA", 100, seq=c.nxt("c") - 100, dt=200000)
    c.pkt("s", "A")
    c.pkt("s", "PA", 200, dt=200)
    c.pkt("c", "A")
    c.close("c")



# zeek_shr_server_port: like zeek_shr, but the server listens on port 80,
# one of Zeek's likely server ports, so Zeek makes the client the originator
# although the SYN-ACK comes first: (client SYN not captured) 1 s> SYN-ACK
# from port 80; 2 s> FIN-ACK seq y+1 ack x+1, 1 s later; nothing from the
# client (SHR).
@capture("zeek_shr_server_port", 41317)
def zeek_shr_server_port(cap, p):
    c = Conn(cap, p, sport=80)
    c.pkt("c", "S", record=False)
    c.pkt("s", "SA")
    c.pkt("s", "FA", dt=1000000)


# zeek_rstrh_server_port: like zeek_rstrh, on server port 443 (a likely
# server port, see zeek_shr_server_port): (client SYN not captured)
# 1 s> SYN-ACK from port 443; 2 s> RST-ACK seq y+1 ack x+1, no options,
# 3 s later; nothing from the client (RSTRH).
@capture("zeek_rstrh_server_port", 41318)
def zeek_rstrh_server_port(cap, p):
    c = Conn(cap, p, sport=443)
    c.pkt("c", "S", record=False)
    c.pkt("s", "SA")
    c.pkt("s", "RA", nosock=True, dt=3000000)


# zeek_resp_bad_checksum: 1-3 handshake; 4-5 c> 100 bytes, s> ACK;
# 6 s> 200 bytes with a wrong TCP checksum (0xbad0) [defect]; the client
# drops it; 7 s> the same 200 bytes, correct, 200 ms later (retransmission);
# 8 c> ACK 201; 9-12 four-way close, client first.
@capture("zeek_resp_bad_checksum", 41319)
def zeek_resp_bad_checksum(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.c_data(100)
    c.pkt("s", "PA", 200, chksum=0xBAD0, deliver=False, dt=200)
    c.pkt("s", "PA", 200, seq=c.nxt("s") - 200, dt=200000)
    c.pkt("c", "A")
    c.close("c")


# zeek_resp_retrans: 1-3 handshake; 4-5 c> 100 bytes, s> ACK;
# 6 s> 200 bytes seq 1, never acknowledged: the client has vanished (cable
# pulled) after its ACK of frame 5; 7-16 s> the same 200 bytes at seq 1
# retransmitted ten times, the retransmission timeout doubling from 200 ms
# (last one 204.6 s after frame 6, under Zeek's 5 min inactivity timeout);
# the capture ends there.
@capture("zeek_resp_retrans", 41320)
def zeek_resp_retrans(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.c_data(100)
    c.pkt("s", "PA", 200, deliver=False, dt=200)
    rto = 200000
    for _ in range(10):
        c.pkt("s", "PA", 200, seq=c.nxt("s") - 200, deliver=False, dt=rto)
        rto *= 2


# zeek_resp_content_gap: 1-3 handshake; 4-5 c> 100 bytes, s> ACK;
# 6 s> 200 bytes seq 1; (s> 200 bytes at seq 201 sent and delivered but not
# captured); 7 s> 200 bytes seq 401; 8 c> ACK 601, acknowledging the unseen
# bytes [content gap in the server's stream]; 9-12 four-way close, client
# first.
@capture("zeek_resp_content_gap", 41321)
def zeek_resp_content_gap(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.c_data(100)
    c.pkt("s", "PA", 200, dt=200)
    c.pkt("s", "PA", 200, record=False)
    c.pkt("s", "PA", 200, dt=20)
    c.pkt("c", "A")
    c.close("c")


# zeek_orig_zero_window: the client's receive buffer fills up.  1-3
# handshake; 4-5 c> 100 bytes, s> ACK; 6 s> 1000 bytes; 7 c> ACK 1001 with
# window 0; 8 s> zero-window probe 200 ms later (seq 1000 = snd_una-1, no
# data); 9 c> ACK 1001 window 0; 10 c> window update (ACK 1001, window 502)
# 300 ms later; 11 s> 1000 bytes; 12 c> ACK 2001; 13-16 four-way close,
# client first.
@capture("zeek_orig_zero_window", 41322)
def zeek_orig_zero_window(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.c_data(100)
    c.pkt("s", "PA", 1000, dt=200)
    c.pkt("c", "A", win=0)
    c.pkt("s", "A", seq=c.nxt("s") - 1, dt=200000)
    c.pkt("c", "A", win=0)
    c.pkt("c", "A", dt=300000)
    c.pkt("s", "PA", 1000)
    c.pkt("c", "A")
    c.close("c")


# zeek_fin_rst: 1-3 handshake; 4-7 request/response; 8 c> FIN+RST+ACK seq
# 101 ack 201: the client aborts with both flags set [defect]; 9 s>
# FIN+RST+ACK seq 201 ack 101, 10 us later: the server aborted the same way
# at the same moment (the two segments crossed) [defect].
@capture("zeek_fin_rst", 41323)
def zeek_fin_rst(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("c", "FRA", dt=5000)
    c.pkt("s", "FRA", dt=10)


# zeek_resp_multi_flag: 1 c> SYN; 2 s> SYN+RST+ACK ack x+1 (SYN options): a
# broken stack or middlebox answers the SYN with SYN and RST together
# [defect]; nothing more.
@capture("zeek_resp_multi_flag", 41324)
def zeek_resp_multi_flag(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S")
    c.pkt("s", "SRA")


# zeek_synack_before_syn: a capture merged from two taps stamps the
# server's SYN-ACK 10 us before the client's SYN: 1 s> SYN-ACK ack x+1;
# 2 c> SYN seq x; 3 c> ACK; 4-7 request/response; 8-11 four-way close,
# client first.
@capture("zeek_synack_before_syn", 41325)
def zeek_synack_before_syn(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S", record=False)
    c.pkt("s", "SA")
    c.pkt("c", "S", seq=c.nxt("c") - 1, dt=10)
    c.pkt("c", "A")
    c.exchange(100, 200)
    c.close("c")


# ---------------------------------------------------------------------------
# The captures below reproduce defects 1, 2 and 3 of issue 11 (what a real
# Linux stack will not send); tests/e2e-spec/ holds what RFC 9293 says each
# packet must show.
# ---------------------------------------------------------------------------

# fin_out_of_window (issue 11 defect 1): 1-3 handshake; 4-7 c> 100 bytes,
# s> ACK 101, s> 200 bytes, c> ACK 201;
# 8 c> FIN-ACK with seq = server's rcv_nxt + 2^30 (relative 1073741925), far
#   outside the server's receive window [defect: an unacceptable segment,
#   RFC 9293 3.10.7.4], ack 201; it changes nothing;
# 9 s> ACK seq 201 ack 101: the RFC's reply to an unacceptable segment
#   (<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>), 1 ms later;
# 10-11 c> 100 bytes at seq 101, s> ACK 201 (the connection is alive);
# 12-15 four-way close, client first (FIN at seq 201).
@capture("fin_out_of_window", 41400)
def fin_out_of_window(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("c", "FA", seq=c.ep["s"].rcv_nxt + 0x40000000, deliver=False,
          adv=False, dt=20000)
    c.pkt("s", "A")
    c.c_data(100)
    c.close("c")


# tfo_rst (issue 11 defect 2): three connections, each a TCP Fast Open SYN
# carrying an 8-byte cookie option (kind 34) and 100 bytes of data (seq x,
# SND.NXT after it = x+101), answered by a RST-ACK (seq 0, no options,
# window 0) 1 ms later; nothing else:
#   A 41401  RST-ACK ack x+1: acknowledges the SYN but not the data
#            [defect: SND.UNA < SEG.ACK =< SND.NXT, acceptable, RFC 9293
#            3.10.7.3];
#   B 41402  RST-ACK ack x+101 = SND.NXT (the RFC 9293 3.10.7.1 reply of a
#            host with no listener: ACK = SEG.SEQ + SEG.LEN);
#   C 41403  RST-ACK ack x = ISS: not acceptable (SEG.ACK =< ISS), must be
#            dropped.
@capture("tfo_rst", 41401)
def tfo_rst(cap, p):
    cookie = [("TFO", b"\x5a\x17\xc0\x0c\x1e\x00\x00\x01")]
    for i, extra in enumerate((1, 101, 0)):
        c = Conn(cap, p + i)
        isn = c.nxt("c")
        c.pkt("c", "S", 100, extra_opts=cookie)
        c.pkt("s", "RA", seq=0, ack=isn + extra, nosock=True, deliver=False)


# rst_fin_seq (issue 11 defect 3): five connections; in each the client has
# sent a FIN at relative seq 101 (after 100 bytes up and 200 down: 1-7
# handshake and request/response) and later sends a RST whose seq is that
# FIN's sequence number (101), in a different state of the server:
#   A 41410  8 c> FIN-ACK seq 101, lost after the tap (the server never gets
#              it); 9 s> 100 bytes seq 201 ack 101, 200 ms later (long after
#              the FIN would have arrived, RTT 1 ms): the server still
#              expects 101; 10 c> RST-ACK seq 101 ack 301 (the client,
#              closed, answers data with RST, RFC 1122 4.2.2.13): exactly
#              the server's RCV.NXT (server ESTABLISHED).
#   B 41411  8 c> FIN-ACK seq 101; 9 s> ACK 102 (server CLOSE-WAIT);
#              10 c> RST seq 101, 200 ms later (RCV.NXT - 1).
#   C 41412  8-10 c> FIN-ACK seq 101, s> ACK 102, s> FIN-ACK seq 201 (server
#              LAST-ACK); 11 c> RST seq 101 instead of the final ACK.
#   D 41413  8 c> FIN-ACK seq 101; 9 s> FIN-ACK seq 201 ack 101, 10 us
#              later: sent before the client's FIN arrived (crossing FINs);
#              10 s> ACK 102, 1 ms after the client's FIN (server CLOSING,
#              its FIN not yet acknowledged); 11 c> RST seq 101 instead of
#              the ACK of the server's FIN.
#   E 41414  server closes first: 8 s> FIN-ACK seq 201; 9 c> ACK 202
#              (server FIN-WAIT-2); 10 c> FIN-ACK seq 101 (server -> TIME-
#              WAIT); 11 s> ACK 102; 12 c> RST seq 101, 100 ms later.
# Every RST carries no options (as a reset sent from a dropped TCB).
@capture("rst_fin_seq", 41410)
def rst_fin_seq(cap, p):
    def opened(port):
        c = Conn(cap, port)
        c.handshake()
        c.exchange(100, 200)
        return c

    c = opened(p)
    c.pkt("c", "FA", dt=5000, deliver=False)
    c.pkt("s", "PA", 100, dt=200000)
    c.pkt("c", "RA", seq=c.nxt("c") - 1, nosock=True)

    c = opened(p + 1)
    c.pkt("c", "FA", dt=5000)
    c.pkt("s", "A")
    c.pkt("c", "R", seq=c.nxt("c") - 1, nosock=True, dt=200000)

    c = opened(p + 2)
    c.pkt("c", "FA", dt=5000)
    c.pkt("s", "A")
    c.pkt("s", "FA", dt=200)
    c.pkt("c", "R", seq=c.nxt("c") - 1, nosock=True)

    c = opened(p + 3)
    c.pkt("c", "FA", dt=5000)
    c.pkt("s", "FA", ack=c.nxt("c") - 1, dt=10)
    c.pkt("s", "A", dt=990)
    c.pkt("c", "R", seq=c.nxt("c") - 1, nosock=True)

    c = opened(p + 4)
    c.pkt("s", "FA", dt=5000)
    c.pkt("c", "A")
    c.pkt("c", "FA", dt=200)
    c.pkt("s", "A")
    c.pkt("c", "R", seq=c.nxt("c") - 1, nosock=True, dt=100000)
# Zeek's connection boundaries (tcpstate_zeek.c, rule G).  Timestamps are far
# apart on purpose: each gap is longer than the Zeek timer it exercises.
#
# zeek_boundary_attempt (41400): 1 c> SYN at 0 s; 2, 3 the same SYN at 1 s
#   and 3 s; 4 the same SYN at 7 s (past the 5 s attempt timer); 5 the same
#   SYN at 70 s (past the 60 s handshake inactivity timeout counted from
#   7 s); 6 s> SYN-ACK; 7 c> ACK; 8-11 request/response; 12-15 four-way close.
@capture("zeek_boundary_attempt", 41400)
def zeek_boundary_attempt(cap, p):
    c = Conn(cap, p)
    isn = c.nxt("c")
    c.pkt("c", "S", deliver=False)
    for dt in (1000000, 2000000, 4000000, 63000000):
        c.pkt("c", "S", seq=isn, adv=False, dt=dt, deliver=False)
    c.ep["s"].rcv_nxt = (isn + 1) & M32
    c.pkt("s", "SA")
    c.pkt("c", "A")
    c.exchange(100, 200)
    c.close("c")


# zeek_boundary_close (41410..41411), two connections:
#   A 41410: 1-3 handshake; 4-5 c> 100 bytes, s> ACK; 6 c> RST-ACK (the
#     client aborts); 7 c> 50 bytes 15 s later on the old numbers [defect:
#     data after the reset]; 8 s> RST (no socket).
#   B 41411: 1-3 handshake; 4-7 request/response; 8-11 four-way close,
#     client first; 12 s> its FIN-ACK again, 10 s after the close; 13 c> ACK.
@capture("zeek_boundary_close", 41410)
def zeek_boundary_close(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.c_data(100)
    c.pkt("c", "RA", dt=3000)
    d = c.pkt("c", "PA", 50, dt=15000000, deliver=False)
    c.pkt("s", "R", seq=d[TCP].ack, nosock=True)
    c = Conn(cap, p + 1)
    c.handshake()
    c.exchange(100, 200)
    c.close("c")
    fin_seq = (c.nxt("s") - 1) & M32
    c.pkt("s", "FA", seq=fin_seq, adv=False, dt=10000000)
    c.pkt("c", "A")


# zeek_boundary_reuse (41420..41421), two connections:
#   A 41420: 1 c> SYN; 2 s> RST-ACK (refused); 3 c> the same SYN 1 s later;
#     4 s> RST-ACK; 5 c> the same SYN 2 s later; 6 s> RST-ACK.
#   B 41421: 1-3 handshake; 4-5 c> 100 bytes, s> ACK; 6 c> a SYN with a new
#     ISN 2 s later (the client lost the connection); 7 s> challenge ACK
#     (RFC 5961: seq/ack of the old connection); 8 c> RST seq = that ack.
@capture("zeek_boundary_reuse", 41420)
def zeek_boundary_reuse(cap, p):
    c = Conn(cap, p)
    isn = c.nxt("c")
    for dt in (None, 1000000, 2000000):
        c.pkt("c", "S", seq=isn, adv=False, dt=dt, deliver=False)
        c.pkt("s", "RA", seq=0, ack=isn + 1, nosock=True)
    c = Conn(cap, p + 1)
    c.handshake()
    c.c_data(100)
    old = c.ep["c"].nxt
    c.pkt("c", "S", seq=old + 0x10000000, adv=False, dt=2000000, deliver=False)
    a = c.pkt("s", "A")
    c.pkt("c", "R", seq=a[TCP].ack, nosock=True)


# zeek_boundary_inactivity (41430): 1-3 handshake; 4-7 request/response;
#   8-9 c> 100 bytes, s> ACK six minutes later (past the 5 min inactivity
#   timeout); 10-13 four-way close, client first.
@capture("zeek_boundary_inactivity", 41430)
def zeek_boundary_inactivity(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("c", "PA", 100, dt=360000000)
    c.pkt("s", "A")
    c.close("c")


# zeek_boundary_expire (41440): 1-3 handshake; 4-7 request/response; 8 c>
#   FIN-ACK; 9 s> ACK; 10 c> RST (the client aborts after its FIN: no new
#   close for Zeek, so only the expire timer can end it); 11 s> 50 bytes
#   20 s later; 12 c> RST (no socket).
@capture("zeek_boundary_expire", 41440)
def zeek_boundary_expire(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.exchange(100, 200)
    c.pkt("c", "FA", dt=5000)
    c.pkt("s", "A")
    c.pkt("c", "R", dt=1000)
    d = c.pkt("s", "PA", 50, dt=20000000, deliver=False)
    c.pkt("c", "R", seq=d[TCP].ack, nosock=True)


# zeek_cut_header (41450), snaplen 70 = Ethernet 14 + IPv4 20 + 36: the
#   SYN and SYN-ACK (TCP header 40 bytes with their options) are cut inside
#   the TCP header; every later segment (header 32 bytes) keeps its whole
#   header and loses its payload.  Frames as in truncated: handshake,
#   request/response, four-way close.
@capture("zeek_cut_header", 41450, snaplen=70)
def zeek_cut_header(cap, p):
    truncated(cap, p)


# zeek_tunnel_changes (41460..41461), IP-in-IP like crafted_tunnel:
#   A 41460: handshake, 3 request/responses, four-way close (17 frames); the
#     client's packets go through tunnel 10.88.100.1 <-> 10.88.100.2 and the
#     server's through 10.88.101.1 <-> 10.88.101.2 (asymmetric routing), so
#     the encapsulation changes at every change of direction.
#   B 41461: the same connection in one tunnel (10.88.100.1 <-> .2, reversed
#     for the server's packets): no change.
def encap_two_tunnels(conn, side, inner):
    src, dst = ("10.88.100.1", "10.88.100.2") if side == "c" else ("10.88.101.2", "10.88.101.1")
    conn.outer_id = (conn.outer_id + 1) & 0xFFFF
    return IP(src=src, dst=dst, id=conn.outer_id, flags="DF", ttl=64, proto=4) / inner


@capture("zeek_tunnel_changes", 41460)
def zeek_tunnel_changes(cap, p):
    for i, encap in enumerate((encap_two_tunnels, encap_ipip)):
        c = Conn(cap, p + i, encap=encap)
        c.handshake()
        for _ in range(3):
            c.exchange(100, 200)
        c.close("c")


# ---------------------------------------------------------------------------
# Review fixes of the Zeek view (D1-D5 of the issue 12 review).
#
# zeek_ns_times (41600..41601), a NANOSECOND pcap (Zeek reads it with
#   microsecond precision, libpcap truncating):
#   A 41600: 1 c> SYN at EPOCH + 1.000 us; 2 s> RST-ACK (refused) at
#     EPOCH + 1.500 us (both truncate to .000001).
#   B 41601: 1 c> SYN at EPOCH + 1 s + 0.900 us; 2 s> RST-ACK at
#     EPOCH + 1 s + 1.100 us (truncate to 1.000000 and 1.000001).
@capture("zeek_ns_times", 41600, nsec=True)
def zeek_ns_times(cap, p):
    for i, (t1, ns1, t2, ns2) in enumerate(((1, 0, 0, 500), (999999, 900, 1, 100))):
        c = Conn(cap, p + i)
        cap.sub_ns = ns1
        c.pkt("c", "S", dt=t1, deliver=False)
        cap.sub_ns = ns2
        c.pkt("s", "RA", seq=0, ack=c.nxt("c"), nosock=True, dt=t2)
    cap.sub_ns = 0


# zeek_gtp (41610..41611), the connection of zeek_tunnel_changes inside
#   GTP-U (UDP, TEID 0x1000 up, 0x2000 down) between 192.0.2.1 and 192.0.2.2:
#   A 41610: one UDP flow 192.0.2.1:2152 <-> 192.0.2.2:2152 both ways (the
#     server's packets with the outer addresses and ports reversed).
#   B 41611: uplink 192.0.2.1:41000 -> 192.0.2.2:2152, downlink
#     192.0.2.2:41001 -> 192.0.2.1:2152: the same two addresses, other
#     UDP ports, so two UDP flows.
#   Each: handshake, 3 request/responses, four-way close (19 frames).
GTP_UP, GTP_DOWN = "192.0.2.1", "192.0.2.2"


def gtp_encap(ports_c, ports_s):
    def encap(conn, side, inner):
        src, dst = (GTP_UP, GTP_DOWN) if side == "c" else (GTP_DOWN, GTP_UP)
        sport, dport = ports_c if side == "c" else ports_s
        conn.outer_id = (conn.outer_id + 1) & 0xFFFF
        return (IP(src=src, dst=dst, id=conn.outer_id, flags="DF", ttl=64) /
                UDP(sport=sport, dport=dport) /
                GTP_U_Header(teid=0x1000 if side == "c" else 0x2000, gtp_type=255) / inner)
    return encap


@capture("zeek_gtp", 41610)
def zeek_gtp(cap, p):
    for i, encap in enumerate((gtp_encap((2152, 2152), (2152, 2152)),
                               gtp_encap((41000, 2152), (41001, 2152)))):
        c = Conn(cap, p + i, encap=encap)
        c.handshake()
        for _ in range(3):
            c.exchange(100, 200)
        c.close("c")


# zeek_gre_over_udp (41615): the zeek_tunnel_changes connection in GRE over
#   UDP (RFC 8086, port 4754) as a mirror sends it: every packet from
#   192.0.2.1 to 192.0.2.2, the client's from UDP port 40001, the server's
#   from 40002.
def gre_udp_encap(conn, side, inner):
    conn.outer_id = (conn.outer_id + 1) & 0xFFFF
    return (IP(src=GTP_UP, dst=GTP_DOWN, id=conn.outer_id, flags="DF", ttl=64) /
            UDP(sport=40001 if side == "c" else 40002, dport=4754) / GRE(proto=0x0800) / inner)


@capture("zeek_gre_over_udp", 41615)
def zeek_gre_over_udp(cap, p):
    c = Conn(cap, p, encap=gre_udp_encap)
    c.handshake()
    for _ in range(3):
        c.exchange(100, 200)
    c.close("c")


# zeek_three_holes (41620): 1-3 handshake; 4-5 c> 100 bytes, s> ACK; the
#   server sends 4000 bytes in eight 500-byte segments (rel. seq 1, 501,
#   ... 3501), the tap misses the 2nd, 4th, 6th and 7th: 6 s> seq 1;
#   7 c> ACK 501; 8 s> seq 1001; 9 s> seq 2001; 10 s> seq 3501; the missed
#   segments are retransmitted (missed by the tap too) and 11 c> ACK 4001
#   covers three holes at once (501-1000, 1501-2000, 2501-3500); 12-15
#   four-way close, client first.
@capture("zeek_three_holes", 41620)
def zeek_three_holes(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.c_data(100)
    for k in range(8):
        seen = k in (0, 2, 4, 7)
        c.pkt("s", "PA", 500, dt=200 if k == 0 else None, record=seen)
        if k == 0:
            c.pkt("c", "A")
    c.pkt("c", "A", dt=5000)
    c.close("c")


# zeek_expire_next_packet (41630..41631):
#   A 41630: 1-3 handshake; 4-5 c> 100 bytes, s> ACK; 6 c> FIN-ACK; 7 s>
#     ACK; 8 c> RST (the client aborts after its FIN); 9 s> 50 bytes 5.5 s
#     after the RST; 10 c> RST (no socket).
#   B 41631: the same, but the client's FIN comes 1 s after frame 5 and the
#     server's 50 bytes 4.5 s after the RST (5.5 s after the first SYN).
@capture("zeek_expire_next_packet", 41630)
def zeek_expire_next_packet(cap, p):
    for i, (fin_dt, gap) in enumerate(((5000, 5500000), (1000000, 4500000))):
        c = Conn(cap, p + i)
        c.handshake()
        c.c_data(100)
        c.pkt("c", "FA", dt=fin_dt)
        c.pkt("s", "A")
        c.pkt("c", "R", dt=1000)
        d = c.pkt("s", "PA", 50, dt=gap, deliver=False)
        c.pkt("c", "R", seq=d[TCP].ack, nosock=True)

# synack_crossed_ack (issue 11 review F1): the tap is next to the client and
# the path is slow (RTT 1.2 s), so the client resends its SYN (RTO 1 s)
# before the SYN-ACK comes.  Both SYNs reach the server; Linux answers the
# duplicate SYN, still in SYN-RECEIVED, with a second SYN-ACK
# (tcp_check_req), which reaches the tap only after the client's third ACK
# and request went out.  Both of those did arrive: the server's response
# acknowledges the request, which the client never resent.
#   1 c> SYN 0 s; 2 c> the same SYN 1 s; 3 s> SYN-ACK 1.2 s; 4 c> ACK;
#   5 c> 100 bytes; 6 s> the same SYN-ACK (ack 1) 2.2 s, answering frame 2;
#   7 c> ACK (a duplicate); 8 s> 200 bytes ack 101 at 2.45 s; 9 c> ACK;
#   10-13 four-way close started by the client.
@capture("synack_crossed_ack", 41700)
def synack_crossed_ack(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S")
    c.pkt("c", "S", seq=c.nxt("c") - 1, dt=1000000)
    c.pkt("s", "SA", dt=200000)
    c.pkt("c", "A")
    c.pkt("c", "PA", 100, dt=50000)
    c.pkt("s", "SA", seq=c.nxt("s") - 1, ack=c.nxt("c") - 100, dt=950000)
    c.pkt("c", "A")
    c.pkt("s", "PA", 200, dt=250000)
    c.pkt("c", "A")
    c.close("c")


# rst_old_ack (issue 11 review F3): a RST whose seq is the receiver's last
# ACK, while data beyond that ACK has already reached the receiver.  The tap
# is next to the client.  1-3 handshake; 4 c> 100 bytes; 5 s> 100 bytes
# (seq 1, ack 101); 6 c> ACK 101 (the client acknowledges the first
# segment); 7 s> 100 bytes seq 101; 8 s> RST seq 101 in the server's name
# (no options, window 0, IP ID 0: forged, e.g. by a middlebox that saw
# frame 6), 100 us after frame 7 -- the client's RCV.NXT is already 201;
# 9 c> ACK 201, 40 ms after frame 7 (the client's delayed ACK of frame 7);
# 10 c> 100 bytes seq 101, 200 ms later; 11 s> ACK 201; 12-15 four-way
# close, client first.  The real server never reset anything.
@capture("rst_old_ack", 41710)
def rst_old_ack(cap, p):
    c = Conn(cap, p)
    c.handshake()
    c.pkt("c", "PA", 100)
    c.pkt("s", "PA", 100)
    c.pkt("c", "A")
    c.pkt("s", "PA", 100, dt=200)
    c.pkt("s", "R", seq=c.nxt("s") - 100, nosock=True, dt=100)
    c.pkt("c", "A", dt=40000)
    c.pkt("c", "PA", 100, dt=200000)
    c.pkt("s", "A")
    c.close("c")


# rst_old_time_wait (issue 11 review F3, variant): a RST meant for an old
# TIME-WAIT arrives after a new connection took the same four-tuple.  The
# tap is next to the client.  Connection A (client port 41720): 1-3
# handshake, 4-7 request/response, 8-11 four-way close started by the
# SERVER (the server holds the four-tuple in TIME-WAIT; its RCV.NXT is x+102,
# the ack of frame 11).  1 s later connection B on the same ports, client
# ISN x + 2^28 (above the old RCV.NXT, so a TIME-WAIT server takes the SYN
# as a new connection, RFC 6191 / RFC 9293 3.10.7.4 note): 12-14
# handshake, 15 c> 100 bytes, 16 s> ACK; 17 c> RST with seq x+102 -- the old
# connection's ack, the value that would have reset the TIME-WAIT -- in the
# client's name (no options, window 0, IP ID 0), 5 ms later; 18 s> RST
# with seq y+202, the client's old ack, in the server's name, 100 us later;
# 19 s> 200 bytes, 20 c> ACK, 21-24 four-way close, client first.
@capture("rst_old_time_wait", 41720)
def rst_old_time_wait(cap, p):
    old = Conn(cap, p)
    old.handshake()
    old.exchange(100, 200)
    old.close("s")
    stale_s, stale_c = old.ep["s"].rcv_nxt, old.ep["c"].rcv_nxt
    new = Conn(cap, p, cisn=(old.nxt("c") + 0x10000000) & M32,
               sisn=(old.nxt("s") + 0x23456789) & M32)
    new.handshake()
    new.c_data(100)
    new.pkt("c", "R", seq=stale_s, nosock=True, dt=5000)
    new.pkt("s", "R", seq=stale_c, nosock=True, dt=100)
    new.pkt("s", "PA", 200, dt=200)
    new.pkt("c", "A")
    new.close("c")


# synack_rejected_rst (review 6 finding 6): a SYN-SENT client rejects a
# SYN-ACK and keeps its TCB.  Linux does this when the SYN-ACK's timestamp
# echo does not fall within the times of its SYNs (PAWS, RFC 7323 5.3;
# tcp_rcv_synsent_state_process "reset_and_undo"), as RFC 9293 3.10.7.3
# does for an unacceptable ACK: it answers <SEQ=SEG.ACK><CTL=RST> (no
# options, window 0) and resends its SYN, same ISN, at the next RTO.  The
# tap is next to the client.  1 c> SYN; 2 s> SYN-ACK echoing TSecr 1 (not
# a time of the client's); 3 c> RST seq x+1; 4 c> SYN again, same ISN, 1 s
# later (the server took the RST and dropped its request socket); 5 s>
# SYN-ACK with a new ISN, a good echo; 6 c> ACK; 7 c> 100 bytes;
# 8 s> ACK; 9-12 four-way close, client first.
@capture("synack_rejected_rst", 41730)
def synack_rejected_rst(cap, p):
    c = Conn(cap, p)
    c.pkt("c", "S")
    c.ep["s"].ts_recent = 1
    c.pkt("s", "SA")
    c.pkt("c", "R", seq=c.nxt("c"), ack=0, nosock=True)
    c.restart("s", (c.nxt("s") + 0x10000000) & M32)
    c.pkt("c", "S", seq=c.nxt("c") - 1, dt=1000000)
    c.pkt("s", "SA")
    c.pkt("c", "A")
    c.pkt("c", "PA", 100)
    c.pkt("s", "A")
    c.close("c")


# flight_log_full (review 6 finding 7): more in-flight proofs on one
# connection than the model keeps (8).  The tap is next to the server; a
# middlebox between it and the client injects a RST in the server's name
# at the client's RCV.NXT (no options, window 0) five times, and each is
# dropped before the client.  1-3 handshake; then five times: s> RST
# (forged, never delivered); c> 100 bytes (the client still has its TCB:
# it missed the RST); s> ACK (the server never sent it); then a four-way
# close, client first.  Each episode proves two things (RST_LOST,
# RST_FORGED): the fifth episode's are the 9th and 10th.
@capture("flight_log_full", 41740)
def flight_log_full(cap, p):
    c = Conn(cap, p)
    c.handshake()
    for _ in range(5):
        c.pkt("s", "R", seq=c.nxt("s"), ack=0, nosock=True, deliver=False, dt=100000)
        c.pkt("c", "PA", 100)
        c.pkt("s", "A")
    c.close("c")


def main(argv):
    if len(argv) > 1 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    if len(argv) > 1 and argv[1] == "--list":
        for name, port, _, fn in CAPTURES:
            print("crafted_%s.pcap  (client ports from %d)" % (name, port))
        return 0
    outdir = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    only = set(argv[2:])   # names to write (default: all of them)
    for name, port, capargs, fn in CAPTURES:
        if only and name not in only:
            continue
        cap = Capture(name, **capargs)
        fn(cap, port)
        path = cap.write(outdir)
        print("%-48s %3d frames" % (path, len(cap.records)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
