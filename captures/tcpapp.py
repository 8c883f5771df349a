#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Small TCP socket programs used by make-real-captures.sh.

Python 3 standard library only.  Sub-commands:

  server  listen, accept --count connections, run ACTIONS on each
  client  connect (or TCP Fast Open), run ACTIONS, --count times
  relay   L2 frame relay between two interfaces (AF_PACKET) that can hold
          the first SYN / FIN of each direction until the other direction
          has sent one too, so that both cross in flight, and can delay
          ICMP / ICMPv6 errors (--delay-icmp S), so that they reach the
          client after connect() has gone to sleep
  nooffload  switch off checksum/TSO/GSO/GRO offloads on an interface
          (legacy ethtool ioctls; no ethtool binary needed); --on
          switches them on again

ACTIONS (run in order on the connected socket):
  send:N       send N bytes (sendall)
  sendmore:N   send N bytes with MSG_MORE (kept back until the next send/close)
  recv:N       read exactly N bytes (or until EOF)
  eof          read until EOF
  sleep:S      sleep S seconds (float)
  shut_wr      shutdown(SHUT_WR)  -> FIN
  shut_rd      shutdown(SHUT_RD)
  linger0      set SO_LINGER {1, 0} (close() then sends RST)
  delack       set TCP_QUICKACK 0: the next ACKs wait for the delayed-ACK
               timer (>= 40 ms), so a close() just after data arrives
               answers that data with a RST rather than an ACK first
  close        close the socket
  signal:NAME  create file sync.NAME in --sync-dir
  wait:NAME    wait until file sync.NAME exists in --sync-dir
  hold         block until killed (keeps the socket open)

Socket errors during actions are reported on stderr; with --ignore-errors the
program goes on with the next action, else it exits with status 2.
"""

import argparse
import ctypes
import errno
import fcntl
import os
import select
import socket
import struct
import sys
import time

TCP_SYNCNT = getattr(socket, "TCP_SYNCNT", 7)
TCP_FASTOPEN = getattr(socket, "TCP_FASTOPEN", 23)
MSG_FASTOPEN = getattr(socket, "MSG_FASTOPEN", 0x20000000)
MSG_MORE = getattr(socket, "MSG_MORE", 0x8000)
TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", 12)


def log(msg):
    sys.stderr.write("tcpapp[%d]: %s\n" % (os.getpid(), msg))
    sys.stderr.flush()


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sync_path(args, name):
    return os.path.join(args.sync_dir or ".", "sync." + name)


def wait_file(path, timeout=60.0):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise TimeoutError("waiting for %s" % path)
        time.sleep(0.005)


def touch(path):
    with open(path, "w"):
        pass


def payload(n, tag=b"x"):
    return (tag * n)[:n]


def run_actions(sock, actions, args, fastopen_addr=None):
    """Run the action list; returns the (possibly closed) socket."""
    pending_fastopen = fastopen_addr
    for act in actions:
        name, _, arg = act.partition(":")
        try:
            if name in ("send", "sendmore"):
                data = payload(int(arg), b"S" if args.cmd == "server" else b"C")
                flags = MSG_MORE if name == "sendmore" else 0
                if pending_fastopen is not None:
                    # First write of a TFO client: the data goes into the SYN
                    # if a cookie is cached, else a cookie is requested.
                    sent = sock.sendto(data, flags | MSG_FASTOPEN, pending_fastopen)
                    pending_fastopen = None
                    if sent < len(data):
                        sock.sendall(data[sent:], flags)
                else:
                    sock.sendall(data, flags)
            elif name == "recv":
                want = int(arg)
                got = 0
                while got < want:
                    chunk = sock.recv(min(65536, want - got))
                    if not chunk:
                        break
                    got += len(chunk)
                log("recv %d/%d" % (got, want))
            elif name == "eof":
                total = 0
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    total += len(chunk)
                log("eof after %d bytes" % total)
            elif name == "sleep":
                time.sleep(float(arg))
            elif name == "shut_wr":
                sock.shutdown(socket.SHUT_WR)
            elif name == "shut_rd":
                sock.shutdown(socket.SHUT_RD)
            elif name == "linger0":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
            elif name == "delack":
                sock.setsockopt(socket.IPPROTO_TCP, TCP_QUICKACK, 0)
            elif name == "close":
                sock.close()
            elif name == "signal":
                touch(sync_path(args, arg))
            elif name == "wait":
                wait_file(sync_path(args, arg))
            elif name == "hold":
                while True:
                    time.sleep(3600)
            else:
                raise SystemExit("unknown action %r" % act)
        except OSError as e:
            log("action %s: %s" % (act, e))
            if not args.ignore_errors:
                sys.exit(2)
    return sock


def cmd_server(args):
    fam = family_of(args.listen)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.fastopen:
        ls.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 16)
    ls.bind((args.listen, args.port))
    ls.listen(args.backlog)
    if args.ready:
        touch(args.ready)
    for i in range(args.count):
        conn, peer = ls.accept()
        log("accepted %s" % (peer,))
        run_actions(conn, args.actions, args)
    ls.close()


def cmd_client(args):
    fam = family_of(args.connect)
    addr = (args.connect, args.port)
    for i in range(args.count):
        if i and args.gap:
            time.sleep(args.gap)
        s = socket.socket(fam, socket.SOCK_STREAM)
        if args.reuseaddr or args.bind_port:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if args.syncnt:
            s.setsockopt(socket.IPPROTO_TCP, TCP_SYNCNT, args.syncnt)
        if args.bind_port:
            s.bind((args.bind or "", args.bind_port))
        fo_addr = None
        if args.fastopen:
            fo_addr = addr
        else:
            try:
                s.connect(addr)
            except OSError as e:
                log("connect: %s" % e)
                if args.expect_connect_error:
                    code = errno.errorcode.get(e.errno, str(e.errno))
                    if code != args.expect_connect_error:
                        log("expected %s" % args.expect_connect_error)
                        sys.exit(2)
                    continue
                sys.exit(2)
            if args.expect_connect_error:
                log("connect succeeded, expected %s" % args.expect_connect_error)
                sys.exit(2)
        run_actions(s, args.actions, args, fo_addr)


# ---------------------------------------------------------------- relay ----

def tcp_info(frame):
    """Return (flags, l3_offset, l4_offset, is_v6) for TCP frames, else None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == 0x0800:
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] != 6:
            return None
        l4 = 14 + ihl
        return frame[l4 + 13], 14, l4, False
    if etype == 0x86DD:
        if frame[20] != 6:
            return None
        l4 = 54
        return frame[l4 + 13], 14, l4, True
    return None


def is_icmp_error(frame):
    """ICMP destination unreachable (IPv4 type 3) or any ICMPv6 error
    (types below 128), IP header without options / extension headers."""
    if len(frame) < 14:
        return False
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == 0x0800 and len(frame) > 14 + 20:
        l4 = 14 + (frame[14] & 0x0F) * 4
        return frame[23] == 1 and len(frame) > l4 and frame[l4] == 3
    if etype == 0x86DD and len(frame) > 54:
        return frame[20] == 58 and frame[54] < 128
    return False


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def fix_tcp_checksum(frame):
    """veth may hand us CHECKSUM_PARTIAL frames; recompute the TCP checksum."""
    info = tcp_info(frame)
    if info is None:
        return frame
    _, l3, l4, v6 = info
    b = bytearray(frame)
    if v6:
        plen = struct.unpack("!H", b[l3 + 4:l3 + 6])[0]
        seg = bytes(b[l4:l4 + plen])
        pseudo = bytes(b[l3 + 8:l3 + 40]) + struct.pack("!IxxxB", plen, 6)
    else:
        tot = struct.unpack("!H", b[l3 + 2:l3 + 4])[0]
        seg_len = tot - (l4 - l3)
        seg = bytes(b[l4:l4 + seg_len])
        pseudo = bytes(b[l3 + 12:l3 + 20]) + struct.pack("!xBH", 6, seg_len)
    seg = seg[:16] + b"\0\0" + seg[18:]
    struct.pack_into("!H", b, l4 + 16, csum(pseudo + seg))
    return bytes(b)


def cmd_relay(args):
    ETH_P_ALL = 0x0003
    socks = []
    for ifname in (args.if1, args.if2):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((ifname, 0))
        socks.append(s)
    held = [None, None]       # held frame per direction (index = ingress side)
    done = [False, False]     # direction has already had its frame held
    held_since = None
    mask = {"syn": 0x02, "fin": 0x01, "none": 0}[args.hold]
    delayed = []              # [due time, egress socket, frame]: ICMP errors
    fin_from_if2 = False      # --delay-after-fin: a FIN came from if2
    if args.ready:
        touch(args.ready)
    while True:
        r, _, _ = select.select(socks, [], [], 0.005 if delayed else 0.05)
        now = time.monotonic()
        while delayed and delayed[0][0] <= now:
            due, dst, f = delayed.pop(0)
            dst.send(f)
            log("relay: released a delayed frame")
        for idx, s in enumerate(socks):
            if s not in r:
                continue
            frame, meta = s.recvfrom(65536)
            if meta[2] == socket.PACKET_OUTGOING:
                continue
            out = socks[1 - idx]
            if args.delay_icmp and is_icmp_error(frame):
                delayed.append((time.monotonic() + args.delay_icmp, out, frame))
                continue
            info = tcp_info(frame)
            if info is not None and idx == 1 and info[0] & 0x01:
                fin_from_if2 = True
            if args.delay_if2 and idx == 1 and info is not None:
                delayed.append((time.monotonic() + args.delay_if2, out,
                                fix_tcp_checksum(frame)))
                continue
            if args.delay_after_fin and fin_from_if2 and idx == 0 and info is not None:
                # constant delay: the list stays sorted by due time
                delayed.append((time.monotonic() + args.delay_after_fin, out,
                                fix_tcp_checksum(frame)))
                continue
            if info is not None:
                frame = fix_tcp_checksum(frame)
                flags = info[0]
                is_target = mask and (flags & mask) and (
                    args.hold != "syn" or not flags & 0x10)
                if is_target and not done[idx]:
                    held[idx] = frame
                    done[idx] = True
                    held_since = held_since or time.monotonic()
                    log("relay: holding %s from %s" % (args.hold, (args.if1, args.if2)[idx]))
                    if all(h is not None for h in held):
                        # Both crossed: release both back to back.
                        for j in (0, 1):
                            socks[1 - j].send(held[j])
                        held = [None, None]
                        log("relay: released both")
                    continue
            out.send(frame)
        if held_since and any(h is not None for h in held) and \
                time.monotonic() - held_since > args.timeout:
            for j in (0, 1):
                if held[j] is not None:
                    socks[1 - j].send(held[j])
            held = [None, None]
            log("relay: timeout, released")


# ------------------------------------------------------------ offloads ----

SIOCETHTOOL = 0x8946
ETHTOOL_SRXCSUM = 0x15
ETHTOOL_STXCSUM = 0x17
ETHTOOL_SSG = 0x19
ETHTOOL_STSO = 0x1F
ETHTOOL_SGSO = 0x24
ETHTOOL_SGRO = 0x2C


def cmd_nooffload(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    order = (ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO, ETHTOOL_SSG,
             ETHTOOL_STXCSUM, ETHTOOL_SRXCSUM)
    if args.on:
        order = order[::-1]          # TSO needs scatter-gather and checksumming first
    for cmd in order:
        val = ctypes.create_string_buffer(struct.pack("II", cmd, 1 if args.on else 0))
        ifr = struct.pack("16sP", args.ifname.encode(), ctypes.addressof(val))
        try:
            fcntl.ioctl(s, SIOCETHTOOL, ifr)
        except OSError as e:
            log("ethtool cmd 0x%x on %s: %s" % (cmd, args.ifname, e))
    s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    sp = sub.add_parser("server")
    sp.add_argument("--listen", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--count", type=int, default=1)
    sp.add_argument("--backlog", type=int, default=16)
    sp.add_argument("--fastopen", action="store_true")
    sp.add_argument("--ready", help="file to create once listening")
    sp.add_argument("--sync-dir")
    sp.add_argument("--ignore-errors", action="store_true")
    sp.add_argument("actions", nargs="*")

    cp = sub.add_parser("client")
    cp.add_argument("--connect", required=True)
    cp.add_argument("--port", type=int, required=True)
    cp.add_argument("--bind", help="local address to bind")
    cp.add_argument("--bind-port", type=int, default=0)
    cp.add_argument("--reuseaddr", action="store_true")
    cp.add_argument("--syncnt", type=int, default=0)
    cp.add_argument("--fastopen", action="store_true",
                    help="first send uses sendto(MSG_FASTOPEN)")
    cp.add_argument("--count", type=int, default=1)
    cp.add_argument("--gap", type=float, default=0.0)
    cp.add_argument("--expect-connect-error",
                    help="errno name (ECONNREFUSED, ETIMEDOUT...) connect must fail with")
    cp.add_argument("--sync-dir")
    cp.add_argument("--ignore-errors", action="store_true")
    cp.add_argument("actions", nargs="*")

    rp = sub.add_parser("relay")
    rp.add_argument("if1")
    rp.add_argument("if2")
    rp.add_argument("--hold", choices=("syn", "fin", "none"), default="none")
    rp.add_argument("--timeout", type=float, default=5.0)
    rp.add_argument("--delay-icmp", type=float, default=0.0,
                    help="hold ICMP/ICMPv6 errors this many seconds")
    rp.add_argument("--delay-after-fin", type=float, default=0.0,
                    help="once a FIN came from if2, hold every TCP frame "
                    "from if1 this many seconds")
    rp.add_argument("--delay-if2", type=float, default=0.0,
                    help="hold every TCP frame from if2 this many seconds")
    rp.add_argument("--ready")

    op = sub.add_parser("nooffload")
    op.add_argument("ifname")
    op.add_argument("--on", action="store_true", help="switch the offloads on instead")

    args = p.parse_args()
    {"server": cmd_server, "client": cmd_client, "relay": cmd_relay,
     "nooffload": cmd_nooffload}[args.cmd](args)


if __name__ == "__main__":
    main()
