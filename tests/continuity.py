#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""State continuity of every connection in every capture (no tshark).

    python3 tests/continuity.py REPLAY_BINARY [--one-pass] [-v] CAPTURE_OR_DIR...
    python3 tests/continuity.py --self-test
    python3 tests/continuity.py --allowances

-v also lists every departure an allowance accepted, with its kind.

Runs ts_replay on each capture (a directory: its *.pcap and *.pcapng) and
reads, per frame, the connection (tcp.stream), the sender, the flags, seq,
ack, length, and both endpoints' RFC 9293 states before and after.  For
each connection and each role (client, server) it checks:

  edge        before -> after on one frame is an edge of RFC 9293 figure 5
              or one the RFC's event processing makes on one segment or
              event (EDGES below, each with its section);
  continuity  (two passes only) the state after a frame is the state before
              the next frame of the same connection;
  sender      (two passes only) an endpoint that sends a segment with ACK,
              without SYN or RST, is not CLOSED, LISTEN or SYN-SENT both
              before and after it (a fold, below, may take it there after
              sending): CLOSED sends only RST (3.10.7.1), LISTEN only SYN,ACK or
              RST (3.10.7.2), SYN-SENT only SYN or RST (3.10.7.3), and a
              SEND or CLOSE in SYN-SENT is queued until ESTABLISHED
              (3.10.2, 3.10.4).

Two passes (the default, ts_replay -2) give the corrected view, which must
be a path through the state diagram.  One pass shows what was known when the
frame was read and corrects itself later (README "In flight"), so only the
edge check applies.  Six kinds of departure are real behaviour and are
allowed, each only under its proof (see ALLOWANCES): a crossing SYN, FIN,
SYN-ACK or final ACK folded into one frame (two edges), a segment missing
from the capture (continuity gap of one edge, the next frame shows the
hole), an event that sends nothing (continuity gap to CLOSED, proven by the
no-TCB RST), a SYN-RECEIVED TCB that expired silently (gap to LISTEN,
proven by the new ISS of the next SYN-ACK), a FIN held behind a hole and
taken when it fills, and a crafted impossible segment the model reports as such.
Real defects are listed in KNOWN, each with its tests/e2e-spec case.
Anything else is printed and the exit status is 1.  --self-test feeds
synthetic frame lists that break each rule and fails unless each is caught.
"""

import glob
import os
import subprocess
import sys

FIELDS = ["frame.number", "tcp.stream", "tcpstate.sender", "tcp.flags.str", "tcp.seq_raw",
          "tcp.ack_raw", "tcp.len", "tcpstate.client.before", "tcpstate.client.after",
          "tcpstate.server.before", "tcpstate.server.after", "tcpstate.anomaly"]
ROLES = ("client", "server")

CLOSED, LISTEN, SYN_SENT, SYN_RCVD = "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED"
ESTAB, FW1, FW2, CLOSE_WAIT = "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT"
CLOSING, LAST_ACK, TIME_WAIT = "CLOSING", "LAST-ACK", "TIME-WAIT"
SYNCHRONIZED = (ESTAB, FW1, FW2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT)
NO_SEND = (CLOSED, LISTEN, SYN_SENT)   # states that send no ACK without SYN or RST

# One step of one endpoint: RFC 9293 section 3.3.2 figure 5, plus what the
# event processing of section 3.10 does on one segment or one user call.
# Each edge has the event the frame must show for it: the endpoint sent or
# received a segment with certain flags, or received a RST or an ICMP error.
# An edge with no event (None) is a timer or a user call that sends nothing;
# it can only fall between two frames (a continuity gap, allowance D).

def sent(*need, without=""):
    def ev(fr, role):
        return fr.is_segment and fr.sender == role and all(fr.has(f) for f in need) and \
            not any(fr.has(f) for f in without)
    return ev


def got(*need, without=""):
    def ev(fr, role):
        return fr.is_segment and fr.sender != role and all(fr.has(f) for f in need) and \
            not any(fr.has(f) for f in without)
    return ev


def reset_or_error(fr, role):
    """A RST on the frame, sent (ABORT, 3.10.5) or received (3.10.7.x first
    check), or an ICMP error received (RFC 1122 4.2.3.9, RFC 5461)."""
    if not fr.is_segment:
        return fr.sender != role
    return fr.has("R")


def reset_received_or_error(fr, role):
    return (fr.is_segment and fr.sender != role and fr.has("R")) or \
        (not fr.is_segment and fr.sender != role)


EDGES = {
    (CLOSED, LISTEN): (None, "fig. 5 passive OPEN (3.10.1)"),
    (CLOSED, SYN_SENT): (sent("S", without="AR"), "fig. 5 active OPEN, snd SYN (3.10.1)"),
    (LISTEN, SYN_RCVD): (got("S", without="AR"),
                         "fig. 5 rcv SYN, snd SYN,ACK (3.10.7.2 third check; RFC 7413 with data)"),
    (LISTEN, SYN_SENT): (sent("S", without="AR"), "fig. 5 SEND in LISTEN (3.10.2)"),
    (LISTEN, CLOSED): (None, "fig. 5 CLOSE (3.10.4), ABORT (3.10.5)"),
    (SYN_SENT, SYN_RCVD): (got("S", without="AR"),
                           "fig. 5 rcv SYN, simultaneous open (3.10.7.3 fourth check)"),
    (SYN_SENT, ESTAB): (got("S", "A", without="R"),
                        "fig. 5 rcv SYN,ACK, snd ACK (3.10.7.3 fourth check)"),
    (SYN_SENT, CLOSED): (reset_or_error,
                         "RST with an acceptable ACK (3.10.7.3 second check); ABORT (3.10.5); "
                         "ICMP hard error (RFC 1122 4.2.3.9, RFC 5461); without a segment: "
                         "fig. 5 CLOSE (3.10.4), timeout (3.10.8)"),
    (SYN_SENT, CLOSE_WAIT): (got("S", "A", "F", without="R"),
                             "SYN,ACK carrying FIN: ESTABLISHED, 'continue processing at the "
                             "sixth step', FIN at the eighth (3.10.7.3, 3.10.7.4)"),
    (SYN_RCVD, ESTAB): (got("A", without="R"), "fig. 5 rcv ACK of SYN (3.10.7.4 fifth check)"),
    (SYN_RCVD, FW1): (sent("F"), "fig. 5 CLOSE, snd FIN (3.10.4)"),
    (SYN_RCVD, LISTEN): (reset_received_or_error,
                         "RST on a passive OPEN: 'return this connection to LISTEN' "
                         "(3.10.7.4 first check); ICMP error (RFC 5927 / RFC 1122 4.2.3.9)"),
    (SYN_RCVD, CLOSED): (reset_or_error, "RST on an active OPEN (3.10.7.4 first check); "
                                         "ABORT (3.10.5); without a segment: timeout (3.10.8)"),
    (SYN_RCVD, CLOSE_WAIT): (got("A", "F", without="R"),
                             "ACK of SYN with FIN: ESTABLISHED at the fifth check, "
                             "CLOSE-WAIT at the eighth (3.10.7.4)"),
    (ESTAB, FW1): (sent("F"), "fig. 5 CLOSE, snd FIN (3.10.4)"),
    (ESTAB, CLOSE_WAIT): (got("F", without="R"), "fig. 5 rcv FIN (3.10.7.4 eighth check)"),
    (FW1, FW2): (got("A", without="R"), "fig. 5 rcv ACK of FIN (3.10.7.4 fifth check)"),
    (FW1, CLOSING): (got("F", without="R"), "fig. 5 rcv FIN (3.10.7.4 eighth check)"),
    (FW1, TIME_WAIT): (got("A", "F", without="R"),
                       "FIN that also ACKs our FIN: 'If our FIN has been ACKed (perhaps in "
                       "this segment), then enter TIME-WAIT' (3.10.7.4 eighth check)"),
    (FW2, TIME_WAIT): (got("F", without="R"), "fig. 5 rcv FIN (3.10.7.4 eighth check)"),
    (CLOSE_WAIT, LAST_ACK): (sent("F"), "fig. 5 CLOSE, snd FIN (3.10.4)"),
    (CLOSING, TIME_WAIT): (got("A", without="R"), "fig. 5 rcv ACK of FIN (3.10.7.4 fifth check)"),
    (LAST_ACK, CLOSED): (lambda fr, role: got("A")(fr, role) or reset_or_error(fr, role),
                         "fig. 5 rcv ACK of FIN (3.10.7.4 fifth check); RST (first check)"),
    (TIME_WAIT, CLOSED): (reset_or_error, "RST (3.10.7.4 first check); without a segment: "
                                          "fig. 5 2 MSL timeout (3.10.8)"),
    (TIME_WAIT, SYN_RCVD): (got("S", without="AR"),
                            "a new SYN reopens TIME-WAIT (RFC 1122 4.2.2.13, RFC 6191)"),
}
for _s in SYNCHRONIZED:
    EDGES.setdefault((_s, CLOSED), (reset_or_error,
                                    "RST in a synchronized state (3.10.7.4 first check), "
                                    "ABORT (3.10.5), ICMP hard error (RFC 1122 4.2.3.9); "
                                    "without a segment: user timeout (3.10.8)"))


def edge_on_frame(fr, role, before, after):
    """before -> after is an edge and fr shows the event that makes it."""
    edge = EDGES.get((before, after))
    return edge is not None and edge[0] is not None and edge[0](fr, role)


ALLOWANCES = """\
B fold     one frame shows two edges of its sender: it sent its own SYN or FIN
           (3.10.4 CLOSE / 3.10.1 OPEN) and then took the peer's earlier
           one that crossed it: ESTABLISHED -> FIN-WAIT-1 -> CLOSING (3.10.7.4
           eighth check, section 3.6 figure 13) when the peer's FIN was
           captured earlier and this frame's ACK does not cover it;
           CLOSED -> SYN-SENT -> SYN-RECEIVED (3.10.7.3 fourth check, section
           3.5 figure 8) when this frame is the sender's bare SYN and the
           peer's SYN was captured earlier; SYN-SENT -> ESTABLISHED on the
           sender's own ACK when a SYN-ACK of the peer was captured earlier
           and this ACK acknowledges its SYN: the SYN-ACK crossed the
           sender's resent SYN and arrived after it (no captured moment);
           the ACK is the one 3.10.7.3 fourth check sends on taking it;
           LAST-ACK -> CLOSED on the sender's resent FIN when the peer's
           ACK of that FIN was captured earlier: the FIN left LAST-ACK
           (a CLOSED TCP sends no FIN, 3.10.7.1), then the crossing ACK
           arrived (3.10.7.4 fifth check); SYN-RECEIVED -> ESTABLISHED on
           the sender's own first SYN-ACK when the peer's SYN-ACK was
           captured earlier: a SYN-ACK is formed on entering SYN-RECEIVED
           (3.10.7.3, figure 8), so it left before the peer's arrived
           (3.10.7.4 fifth check); ESTABLISHED -> CLOSE-WAIT on the
           sender's own ACK (no SYN, FIN or RST) whose ack is the seq of
           the peer's FIN captured earlier: a TCP acknowledges its RCV.NXT
           (3.10.7.4 seventh check), one past a FIN it took (eighth), so
           the segment left before the FIN arrived, then took it.
C missing  a continuity gap that is one edge a segment makes (not a user call
           such as CLOSED -> LISTEN), at a frame that shows a segment
           missing from the capture (its seq lies past everything captured
           from its sender, or its ACK covers more than was captured from
           the peer): the missing segment made the move between the frames.
D silent   a continuity gap X -> CLOSED of an endpoint whose next segment is
           the reply of an endpoint without TCB to the peer's segment just
           before it, <SEQ=SEG.ACK><CTL=RST> without ACK (3.10.7.1): a
           timeout (3.10.8, RFC 1122 4.2.3.5), a CLOSE in SYN-SENT (3.10.4:
           'delete the TCB', nothing sent), an ABORT whose RST was lost, or
           Linux's FIN-WAIT-2 timer deleted the TCB without a segment.
F dropped  a two-pass continuity gap on a stream where a later frame has
           in_flight_not_recorded: the connection held more in-flight proofs
           than the model keeps (8), the oldest was dropped, and the frames
           it covered keep what one pass knew (the anomaly says so).
G new ISS  a continuity gap SYN-RECEIVED -> LISTEN of an endpoint whose next
           segment is a SYN-ACK with another ISS than its previous SYN-ACK:
           a SYN-RECEIVED TCB answers from its own ISS (3.10.7.4), so the
           new one was made from LISTEN (3.10.7.2); the first had gone
           without a segment (Linux's request timeout, 3.8.3 R2).
H held     a FIN held behind a hole at its receiver (3.10.7.4: a segment
           beyond RCV.NXT "SHOULD be held"), taken when RCV.NXT reaches it:
           on the receiving side of a frame without FIN from the FIN's
           sender that begins at or below the receiver's highest ack and
           reaches the FIN (ESTABLISHED -> CLOSE-WAIT, FIN-WAIT-1 ->
           CLOSING, FIN-WAIT-2 -> TIME-WAIT), or as a continuity gap of
           that move before the receiver's own frame acking past the FIN
           (the filling segments were not captured).
E crafted  a sender in SYN-SENT whose segment the model itself reports as
           data_before_handshake and whose peer's SYN-ACK is captured later:
           a crafted capture of what no TCP sends (data without SYN before
           the SYN-ACK); the anomaly says so.
"""

# Known defects of the model: (capture, tcp.stream, frame, role, check) ->
# the e2e-spec case that holds the RFC's expectation.  Each is reported as
# "known" and does not fail the run; remove the entry when the case passes.
KNOWN = {
}

HALF = 1 << 31


def seq_after(a, b):
    """a comes after b in 32-bit sequence space (RFC 9293 3.4)."""
    return 0 < ((a - b) & 0xffffffff) < HALF


class Frame:
    __slots__ = ("frame", "stream", "sender", "flags", "seq", "ack", "len", "before", "after",
                 "anomalies")

    def __init__(self, cols):
        self.frame = int(cols[0])
        self.stream = int(cols[1])
        self.sender = cols[2]
        self.flags = cols[3]
        self.seq = int(cols[4]) if cols[4] else None     # None: an ICMP error
        self.ack = int(cols[5]) if cols[5] else None
        self.len = int(cols[6]) if cols[6] else None
        self.before = {"client": cols[7], "server": cols[9]}
        self.after = {"client": cols[8], "server": cols[10]}
        self.anomalies = set(cols[11].split(",")) if len(cols) > 11 and cols[11] else set()

    def has(self, letter):
        return letter in self.flags[-6:]   # tcp.flags.str ends ...UAPRSF

    @property
    def is_segment(self):
        return self.seq is not None

    def seq_end(self):
        return (self.seq + self.len + self.has("S") + self.has("F")) & 0xffffffff


def peer(role):
    return "server" if role == "client" else "client"


def read_frames(binary, capture, two_pass):
    cmd = [binary, "-r", capture] + (["-2"] if two_pass else [])
    for f in FIELDS:
        cmd += ["-e", f]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError("%s: ts_replay exited %d: %s" % (
            capture, proc.returncode, proc.stderr.decode(errors="replace").strip()))
    frames = []
    for line in proc.stdout.decode("utf-8", errors="replace").split("\n"):
        cols = line.split("\t")
        if len(cols) == len(FIELDS) and cols[1] and cols[7]:
            frames.append(Frame(cols))
    return frames


class Stream:
    """What the capture shows so far of one connection, for the proofs."""

    def __init__(self):
        self.end = {}        # role -> highest seq end captured from it
        self.fin = {}        # role -> seq of its captured FIN
        self.syn = set()     # roles whose bare SYN was captured
        self.synack = {}     # role -> seq of its captured SYN-ACK
        self.max_ack = {}    # role -> highest ack it sent

    def note(self, fr):
        if not fr.is_segment:
            return
        e = fr.seq_end()
        if fr.sender not in self.end or seq_after(e, self.end[fr.sender]):
            self.end[fr.sender] = e
        if fr.has("F"):
            self.fin.setdefault(fr.sender, (fr.seq + fr.len + fr.has("S")) & 0xffffffff)
        if fr.has("S") and not fr.has("A"):
            self.syn.add(fr.sender)
        if fr.has("S") and fr.has("A") and not fr.has("R"):
            self.synack.setdefault(fr.sender, fr.seq)
        if fr.has("A") and (fr.sender not in self.max_ack or
                            seq_after(fr.ack, self.max_ack[fr.sender])):
            self.max_ack[fr.sender] = fr.ack

    def shows_missing(self, fr):
        """fr (not yet noted) proves a segment was not captured."""
        if not fr.is_segment:
            return False
        own = self.end.get(fr.sender)
        if own is not None and seq_after(fr.seq, own):
            return True                   # a hole in its sender's sequence space
        if fr.has("A"):
            other = self.end.get(peer(fr.sender))
            return other is None or seq_after(fr.ack, other)  # acks what was not captured
        return False


def fold_ok(st, fr, role, before, after):
    """Allowance B: fr's sender sent its SYN/FIN, then took the peer's crossing one."""
    if role != fr.sender or not fr.is_segment:
        return False
    other = peer(role)
    if (before, after) == (ESTAB, CLOSING) and fr.has("F") and other in st.fin:
        return not fr.has("A") or not seq_after(fr.ack, st.fin[other])
    if (before, after) == (CLOSED, SYN_RCVD) and fr.has("S") and not fr.has("A"):
        return other in st.syn
    if (before, after) == (SYN_SENT, ESTAB) and fr.has("A") and not (fr.has("S") or fr.has("R")):
        return other in st.synack and seq_after(fr.ack, st.synack[other])
    if (before, after) == (SYN_RCVD, ESTAB) and fr.has("S") and fr.has("A") and role not in st.synack:
        return other in st.synack
    if (before, after) == (ESTAB, CLOSE_WAIT) and fr.has("A") and \
            not (fr.has("S") or fr.has("R") or fr.has("F")) and other in st.fin:
        return fr.ack == st.fin[other]
    if (before, after) == (LAST_ACK, CLOSED) and fr.has("F") and role in st.fin:
        fin = st.fin[role]
        return (fr.seq + fr.len) & 0xffffffff == fin and other in st.max_ack and \
            seq_after(st.max_ack[other], fin)
    return False


def check_frames(frames, two_pass):
    """Returns (violations, allowed): lists of (stream, frame, role, check, text)."""
    bad, allowed = [], []
    by_stream = {}
    for i, fr in enumerate(frames):
        by_stream.setdefault(fr.stream, []).append(i)
    for sid, idx in sorted(by_stream.items()):
        st = Stream()
        for k, i in enumerate(idx):
            fr = frames[i]
            prev = frames[idx[k - 1]] if k else None
            for role in ROLES:
                b, a = fr.before[role], fr.after[role]
                if two_pass and prev is not None and prev.after[role] != b:
                    gap = (prev.after[role], b)
                    text = "%s after frame %d, %s before frame %d" % (
                        gap[0], prev.frame, gap[1], fr.frame)
                    kind = None
                    if gap in EDGES and EDGES[gap][0] is not None and st.shows_missing(fr):
                        kind = "C missing"
                    elif gap[1] == CLOSED and silent_close_proven(frames, idx[k:], role):
                        kind = "D silent"
                    elif gap == (SYN_RCVD, LISTEN) and new_iss_proven(frames, idx[:k], idx[k:], role):
                        kind = "G new ISS"
                    elif gap in HELD_FIN_MOVES and fr.is_segment and fr.sender == role and \
                            fr.has("A") and peer(role) in st.fin and seq_after(fr.ack, st.fin[peer(role)]):
                        kind = "H held"
                    elif any("in_flight_not_recorded" in frames[j].anomalies for j in idx[k:]):
                        kind = "F dropped"
                    (allowed if kind else bad).append(
                        (sid, fr.frame, role, "continuity", text + (" [%s]" % kind if kind else "")))
                if two_pass and fr.is_segment and role == fr.sender and fr.has("A") and \
                        not (fr.has("S") or fr.has("R")) and a in NO_SEND and b in NO_SEND:
                    text = "sends an ACK-bearing segment and is %s -> %s on it" % (b, a)
                    if a == SYN_SENT and "data_before_handshake" in fr.anomalies and \
                            synack_follows(frames, idx[k + 1:], peer(role)):
                        allowed.append((sid, fr.frame, role, "sender", text + " [E crafted]"))
                    else:
                        bad.append((sid, fr.frame, role, "sender", text))
                if b != a and not edge_on_frame(fr, role, b, a):
                    text = "%s -> %s on one frame" % (b, a)
                    if fold_ok(st, fr, role, b, a):
                        allowed.append((sid, fr.frame, role, "edge", text + " [B fold]"))
                    elif held_fin_taken(st, fr, role, b, a):
                        allowed.append((sid, fr.frame, role, "edge", text + " [H held]"))
                    else:
                        bad.append((sid, fr.frame, role, "edge", text))
            st.note(fr)
    return bad, allowed


HELD_FIN_MOVES = ((ESTAB, CLOSE_WAIT), (FW1, CLOSING), (FW2, TIME_WAIT))


def held_fin_taken(st, fr, role, before, after):
    """Allowance H on one frame: fr, from the FIN's sender and without FIN,
    fills the hole up to the FIN held at role."""
    other = peer(role)
    if (before, after) not in HELD_FIN_MOVES or not fr.is_segment or fr.sender != other or \
            fr.has("F") or fr.has("R") or other not in st.fin or role not in st.max_ack:
        return False
    return not seq_after(fr.seq, st.max_ack[role]) and \
        (fr.seq + fr.len) & 0xffffffff == st.fin[other]


def synack_follows(frames, rest, role):
    """Allowance E's proof: role's SYN-ACK is captured later, so the data's
    sender really was still SYN-SENT when it sent it."""
    return any(frames[i].is_segment and frames[i].sender == role and frames[i].has("S") and
               frames[i].has("A") for i in rest)


def synacks_of(frames, idx, role):
    return [frames[i] for i in idx if frames[i].is_segment and frames[i].sender == role and
            frames[i].has("S") and frames[i].has("A")]


def new_iss_proven(frames, done, rest, role):
    """Allowance G: role's next segment is a SYN-ACK from another ISS than
    its previous SYN-ACK."""
    before = synacks_of(frames, done, role)
    nxt = [frames[i] for i in rest if frames[i].is_segment and frames[i].sender == role][:1]
    return bool(before) and bool(nxt) and nxt[0].has("S") and nxt[0].has("A") and \
        nxt[0].seq != before[-1].seq


def silent_close_proven(frames, rest, role):
    """Allowance D: role's first segment from here on is the reply of an
    endpoint without TCB to the peer's segment just before it (3.10.7.1):
    <SEQ=SEG.ACK><CTL=RST>, no ACK flag."""
    last_peer = None
    for i in rest:
        fr = frames[i]
        if not fr.is_segment:
            continue
        if fr.sender != role:
            last_peer = fr
            continue
        return fr.has("R") and not fr.has("A") and last_peer is not None and \
            last_peer.has("A") and fr.seq == last_peer.ack
    return False


def captures_of(args):
    out = []
    for a in args:
        if os.path.isdir(a):
            out += sorted(glob.glob(os.path.join(a, "*.pcap")) + glob.glob(os.path.join(a, "*.pcapng")))
        else:
            out.append(a)
    return out


def seen_known_check(seen, two_pass, names):
    """A KNOWN exception that no longer occurs must be removed (its case
    should now pass and move to tests/e2e): count each as a failure.
    Edge exceptions apply to both passes, continuity and sender ones to two."""
    stale = 0
    for key, case in sorted(KNOWN.items()):
        name, sid, frame, role, check = key
        if name not in names or key in seen or (check != "edge" and not two_pass):
            continue
        stale += 1
        print("STALE  %s stream %d frame %d %s %s no longer fails: remove it from KNOWN (%s)"
              % (name, sid, frame, role, check, case))
    return stale


def run(binary, paths, two_pass, verbose):
    failed = known = nallowed = nframes = 0
    seen_known = set()
    ncap = 0
    for cap in captures_of(paths):
        name = os.path.splitext(os.path.basename(cap))[0]
        frames = read_frames(binary, cap, two_pass)
        ncap += 1
        nframes += len(frames)
        bad, allowed = check_frames(frames, two_pass)
        nallowed += len(allowed)
        for sid, frame, role, check, text in allowed if verbose else ():
            print("allow  %s stream %d frame %d %s %s: %s" % (name, sid, frame, role, check, text))
        for sid, frame, role, check, text in bad:
            case = KNOWN.get((name, sid, frame, role, check))
            if case:
                seen_known.add((name, sid, frame, role, check))
                known += 1
                print("known  %s stream %d frame %d %s %s: %s (%s)" % (
                    name, sid, frame, role, check, text, case))
            else:
                failed += 1
                print("FAIL   %s stream %d frame %d %s %s: %s" % (name, sid, frame, role, check, text))
    stale = seen_known_check(seen_known, two_pass, [os.path.splitext(os.path.basename(c))[0]
                                                    for c in captures_of(paths)])
    failed += stale
    print("%d captures, %d frames, %s: %d violations, %d known defects (tests/e2e-spec), "
          "%d allowed (-v lists them)" % (ncap, nframes, "two passes" if two_pass else "one pass",
                                        failed, known, nallowed))
    return 1 if failed else 0


# ---- Self test: each rule must catch what breaks it ------------------------

def synth(rows):
    """rows: (sender, flag letters, seq, ack, len, cb, ca, sb, sa[, anomalies]);
    one stream; seq None: an ICMP error."""
    frames = []
    for n, r in enumerate(rows, 1):
        sender, flags, seq, ack, ln, cb, ca, sb, sa = r[:9]
        anomalies = r[9] if len(r) > 9 else ""
        cols = [str(n), "0", sender, "······" + "".join(c if c in flags else "·" for c in "UAPRSF"),
                "" if seq is None else str(seq), "" if ack is None else str(ack),
                "" if ln is None else str(ln), cb, ca, sb, sa, anomalies]
        frames.append(Frame(cols))
    return frames


HANDSHAKE = [
    ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
    ("server", "AS", 500, 101, 0, SYN_SENT, ESTAB, SYN_RCVD, SYN_RCVD),
    ("client", "A", 101, 501, 0, ESTAB, ESTAB, SYN_RCVD, ESTAB),
]


def self_test():
    cases = [
        # name, rows, two_pass, expected violations as (frame, role, check)
        ("clean four-way close", HANDSHAKE + [
            ("client", "AF", 101, 501, 0, ESTAB, FW1, ESTAB, CLOSE_WAIT),
            ("server", "A", 501, 102, 0, FW1, FW2, CLOSE_WAIT, CLOSE_WAIT),
            ("server", "AF", 501, 102, 0, FW2, TIME_WAIT, CLOSE_WAIT, LAST_ACK),
            ("client", "A", 102, 502, 0, TIME_WAIT, TIME_WAIT, LAST_ACK, CLOSED),
        ], True, []),
        ("state goes back between frames (ESTABLISHED, then SYN-SENT)", HANDSHAKE[:2] + [
            ("client", "S", 100, 0, 0, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD),
        ], True, [(3, "client", "continuity")]),
        ("one pass does not check continuity", HANDSHAKE[:2] + [
            ("client", "S", 100, 0, 0, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD),
        ], False, []),
        ("no edge on one frame (ESTABLISHED -> LISTEN)", HANDSHAKE + [
            ("server", "A", 501, 101, 0, ESTAB, ESTAB, ESTAB, LISTEN),
        ], True, [(4, "server", "edge")]),
        ("no edge is no edge in one pass either", HANDSHAKE + [
            ("server", "A", 501, 101, 0, ESTAB, ESTAB, ESTAB, LISTEN),
        ], False, [(4, "server", "edge")]),
        ("fold B: a crossing FIN, not acked by the frame", HANDSHAKE + [
            ("client", "AF", 101, 501, 0, ESTAB, FW1, ESTAB, ESTAB),
            ("server", "AF", 501, 101, 0, FW1, CLOSING, ESTAB, CLOSING),
        ], True, []),
        ("ESTABLISHED -> CLOSING without the peer's FIN", HANDSHAKE + [
            ("server", "AF", 501, 101, 0, ESTAB, ESTAB, ESTAB, CLOSING),
        ], True, [(4, "server", "edge")]),
        ("ESTABLISHED -> CLOSING by a frame that acks the peer's FIN", HANDSHAKE + [
            ("client", "AF", 101, 501, 0, ESTAB, FW1, ESTAB, ESTAB),
            ("server", "AF", 501, 102, 0, FW1, CLOSING, ESTAB, CLOSING),
        ], True, [(5, "server", "edge")]),
        ("ESTABLISHED -> CLOSING on the receiver of the frame", HANDSHAKE + [
            ("server", "AF", 501, 101, 0, ESTAB, ESTAB, ESTAB, FW1),
            ("server", "A", 502, 101, 0, ESTAB, CLOSING, FW1, FW1),
        ], True, [(5, "client", "edge")]),
        ("fold B: crossing first SYN-ACKs (simultaneous open)", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, CLOSED, CLOSED),
            ("server", "S", 500, 0, 0, SYN_SENT, SYN_RCVD, CLOSED, SYN_RCVD),
            ("client", "AS", 100, 501, 0, SYN_RCVD, SYN_RCVD, SYN_RCVD, SYN_RCVD),
            ("server", "AS", 500, 101, 0, SYN_RCVD, ESTAB, SYN_RCVD, ESTAB),
        ], True, []),
        ("SYN-RECEIVED -> ESTABLISHED on a SYN-ACK with none of the peer's before", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, CLOSED, CLOSED),
            ("server", "S", 500, 0, 0, SYN_SENT, SYN_RCVD, CLOSED, SYN_RCVD),
            ("server", "AS", 500, 101, 0, SYN_RCVD, ESTAB, SYN_RCVD, ESTAB),
        ], True, [(3, "server", "edge")]),
        ("fold B: an ACK that stops at the peer's FIN, which arrives after it", HANDSHAKE + [
            ("client", "AF", 101, 501, 0, ESTAB, FW1, ESTAB, ESTAB),
            ("server", "AP", 501, 101, 100, FW1, FW1, ESTAB, CLOSE_WAIT),
        ], True, []),
        ("ESTABLISHED -> CLOSE-WAIT on an ACK that covers the peer's FIN", HANDSHAKE + [
            ("client", "AF", 101, 501, 0, ESTAB, FW1, ESTAB, ESTAB),
            ("server", "AP", 501, 102, 100, FW1, FW1, ESTAB, CLOSE_WAIT),
        ], True, [(5, "server", "edge")]),
        ("allowance H: data filling the hole takes the held FIN", HANDSHAKE + [
            ("client", "AP", 201, 501, 100, ESTAB, ESTAB, ESTAB, ESTAB),
            ("client", "AF", 301, 501, 0, ESTAB, FW1, ESTAB, ESTAB),
            ("server", "A", 501, 101, 0, FW1, FW1, ESTAB, ESTAB),
            ("client", "AP", 101, 501, 200, FW1, FW1, ESTAB, CLOSE_WAIT),
        ], True, []),
        ("the same move on data that does not reach the FIN", HANDSHAKE + [
            ("client", "AF", 301, 501, 0, ESTAB, FW1, ESTAB, ESTAB),
            ("server", "A", 501, 101, 0, FW1, FW1, ESTAB, ESTAB),
            ("client", "AP", 101, 501, 100, FW1, FW1, ESTAB, CLOSE_WAIT),
        ], True, [(6, "server", "edge")]),
        ("allowance H: the held FIN taken between frames, before an ACK past it", HANDSHAKE + [
            ("client", "AF", 301, 501, 0, ESTAB, FW1, ESTAB, ESTAB),
            ("server", "A", 501, 101, 0, FW1, FW1, ESTAB, ESTAB),
            ("server", "A", 501, 302, 0, FW1, FW2, CLOSE_WAIT, CLOSE_WAIT),
        ], True, []),
        ("the same gap before an ACK short of the FIN", HANDSHAKE + [
            ("client", "AF", 301, 501, 0, ESTAB, FW1, ESTAB, ESTAB),
            ("server", "A", 501, 101, 0, FW1, FW1, ESTAB, ESTAB),
            ("server", "A", 501, 201, 0, FW1, FW1, CLOSE_WAIT, CLOSE_WAIT),
        ], True, [(6, "server", "continuity")]),
        ("allowance G: SYN-RECEIVED gone silently, a new ISS answers the resent SYN", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
            ("server", "AS", 500, 101, 0, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD),
            ("client", "S", 100, 0, 0, SYN_SENT, SYN_SENT, LISTEN, SYN_RCVD),
            ("server", "AS", 9000, 101, 0, SYN_SENT, ESTAB, SYN_RCVD, SYN_RCVD),
        ], True, []),
        ("the same gap when the next SYN-ACK has the old ISS", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
            ("server", "AS", 500, 101, 0, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD),
            ("client", "S", 100, 0, 0, SYN_SENT, SYN_SENT, LISTEN, SYN_RCVD),
            ("server", "AS", 500, 101, 0, SYN_SENT, ESTAB, SYN_RCVD, SYN_RCVD),
        ], True, [(3, "server", "continuity")]),
        ("allowance F: a gap before a dropped in-flight proof", HANDSHAKE + [
            ("server", "R", 501, 0, 0, ESTAB, CLOSED, ESTAB, CLOSED),
            ("client", "AP", 101, 501, 100, ESTAB, ESTAB, ESTAB, ESTAB, "in_flight_not_recorded"),
        ], True, []),
        ("the same gap with no dropped proof", HANDSHAKE + [
            ("server", "R", 501, 0, 0, ESTAB, CLOSED, ESTAB, CLOSED),
            ("client", "AP", 101, 501, 100, ESTAB, ESTAB, ESTAB, ESTAB),
        ], True, [(5, "client", "continuity"), (5, "server", "continuity")]),
        ("fold B: crossing SYNs", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, CLOSED, CLOSED),
            ("server", "S", 500, 0, 0, SYN_SENT, SYN_SENT, CLOSED, SYN_RCVD),
        ], True, []),
        ("fold B: a SYN-ACK crossing the resent SYN, taken before the client's ACK", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
            ("server", "AS", 500, 101, 0, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD),
            ("client", "S", 100, 0, 0, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD),
            ("client", "A", 101, 501, 0, SYN_SENT, ESTAB, SYN_RCVD, ESTAB),
        ], True, []),
        ("SYN-SENT -> ESTABLISHED on the client's ACK with no SYN-ACK captured", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
            ("client", "A", 101, 501, 0, SYN_SENT, ESTAB, SYN_RCVD, ESTAB),
        ], True, [(2, "client", "edge")]),
        ("an edge without its event: SYN-RECEIVED -> ESTABLISHED on the server's own segment", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
            ("server", "AS", 500, 101, 0, SYN_SENT, ESTAB, SYN_RCVD, ESTAB),
        ], True, [(2, "server", "edge")]),
        ("an edge without its event: ESTABLISHED -> CLOSED on a plain ACK", HANDSHAKE + [
            ("client", "A", 101, 501, 0, ESTAB, ESTAB, ESTAB, CLOSED),
        ], True, [(4, "server", "edge")]),
        ("sender: a client still SYN-SENT sends data", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
            ("client", "AP", 101, 501, 10, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD),
        ], True, [(2, "client", "sender")]),
        ("sender: the same crafted data, reported data_before_handshake", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
            ("client", "AP", 101, 501, 10, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD,
             "data_before_handshake"),
            ("server", "AS", 500, 101, 0, SYN_SENT, ESTAB, SYN_RCVD, SYN_RCVD),
        ], True, []),
        ("sender: data_before_handshake, but no SYN-ACK ever follows", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
            ("client", "AP", 101, 501, 10, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD,
             "data_before_handshake"),
        ], True, [(2, "client", "sender")]),
        ("sender: a CLOSED server resends its FIN", HANDSHAKE + [
            ("client", "AF", 101, 501, 0, ESTAB, FW1, ESTAB, CLOSE_WAIT),
            ("server", "AF", 501, 102, 0, FW1, TIME_WAIT, CLOSE_WAIT, LAST_ACK),
            ("client", "A", 102, 502, 0, TIME_WAIT, TIME_WAIT, LAST_ACK, CLOSED),
            ("server", "AF", 501, 102, 0, TIME_WAIT, TIME_WAIT, CLOSED, CLOSED),
        ], True, [(7, "server", "sender")]),
        ("fold B: the resent FIN crossed the final ACK", HANDSHAKE + [
            ("client", "AF", 101, 501, 0, ESTAB, FW1, ESTAB, CLOSE_WAIT),
            ("server", "AF", 501, 102, 0, FW1, TIME_WAIT, CLOSE_WAIT, LAST_ACK),
            ("client", "A", 102, 502, 0, TIME_WAIT, TIME_WAIT, LAST_ACK, LAST_ACK),
            ("server", "AF", 501, 102, 0, TIME_WAIT, TIME_WAIT, LAST_ACK, CLOSED),
        ], True, []),
        ("LAST-ACK -> CLOSED on a resent FIN that no ACK covered", HANDSHAKE + [
            ("client", "AF", 101, 501, 0, ESTAB, FW1, ESTAB, CLOSE_WAIT),
            ("server", "AF", 501, 102, 0, FW1, TIME_WAIT, CLOSE_WAIT, LAST_ACK),
            ("server", "AF", 501, 102, 0, TIME_WAIT, TIME_WAIT, LAST_ACK, CLOSED),
        ], True, [(6, "server", "edge")]),
        ("sender: still LISTEN while sending an ACK", HANDSHAKE[:1] + [
            ("server", "A", 500, 101, 0, SYN_SENT, SYN_SENT, LISTEN, LISTEN),
        ], True, [(2, "server", "sender"), (2, "server", "continuity")]),
        ("sender: not checked in one pass", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, SYN_RCVD),
            ("client", "AP", 101, 501, 10, SYN_SENT, SYN_SENT, SYN_RCVD, SYN_RCVD),
        ], False, []),
        ("CLOSED -> SYN-RECEIVED on a SYN-ACK", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, CLOSED, CLOSED),
            ("server", "AS", 500, 101, 0, SYN_SENT, ESTAB, CLOSED, SYN_RCVD),
        ], True, [(2, "server", "edge")]),
        ("gap C: the third ACK and data not captured (seq hole)", HANDSHAKE[:2] + [
            ("client", "AP", 201, 501, 100, ESTAB, ESTAB, ESTAB, ESTAB),
        ], True, []),
        ("gap C refused: one edge but nothing missing", HANDSHAKE[:2] + [
            ("client", "AP", 101, 501, 100, ESTAB, ESTAB, ESTAB, ESTAB),
        ], True, [(3, "server", "continuity")]),
        ("gap C refused: a hole, but the gap is no edge", HANDSHAKE[:2] + [
            ("client", "AP", 201, 501, 100, ESTAB, ESTAB, FW2, FW2),
        ], True, [(3, "server", "continuity")]),
        ("gap D: a silent close proven by the no-TCB RST", HANDSHAKE + [
            ("server", "AP", 501, 101, 100, CLOSED, CLOSED, ESTAB, ESTAB),
            ("client", "R", 101, 0, 0, CLOSED, CLOSED, ESTAB, CLOSED),
        ], True, []),
        ("gap C refused: a hole, but the gap is a user call (CLOSED -> LISTEN)", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, CLOSED, CLOSED),
            ("client", "A", 101, 501, 0, ESTAB, ESTAB, LISTEN, LISTEN),
        ], True, [(2, "server", "continuity")]),
        ("gap D refused: the silent endpoint answers with an ACK", HANDSHAKE + [
            ("server", "AP", 501, 101, 100, CLOSED, CLOSED, ESTAB, ESTAB),
            ("client", "A", 101, 601, 0, CLOSED, CLOSED, ESTAB, ESTAB),
        ], True, [(4, "client", "continuity"), (5, "client", "sender")]),
        ("gap D refused: the RST is an abort at SND.NXT, not a no-TCB reply", HANDSHAKE + [
            ("server", "AP", 501, 101, 100, CLOSED, CLOSED, ESTAB, ESTAB),
            ("client", "AR", 111, 601, 0, CLOSED, CLOSED, ESTAB, CLOSED),
        ], True, [(4, "client", "continuity")]),
        ("gap D refused: a gap to another state than CLOSED", HANDSHAKE + [
            ("server", "AP", 501, 101, 100, FW2, FW2, ESTAB, ESTAB),
            ("client", "R", 101, 0, 0, FW2, CLOSED, ESTAB, CLOSED),
        ], True, [(4, "client", "continuity")]),
        ("an ICMP error moves its receiver (SYN-SENT -> CLOSED)", [
            ("client", "S", 100, 0, 0, CLOSED, SYN_SENT, LISTEN, LISTEN),
            ("server", "S", None, None, None, SYN_SENT, CLOSED, LISTEN, LISTEN),
        ], True, []),
    ]
    failures = 0
    for name, rows, two_pass, want in cases:
        bad, _ = check_frames(synth(rows), two_pass)
        got = sorted((f, r, c) for _, f, r, c, _ in bad)
        if got != sorted(want):
            failures += 1
            print("FAIL self-test '%s': want %s, got %s" % (name, sorted(want), bad))
    # a KNOWN exception that no longer occurs is reported (stale), one that does is not
    fake = ("synthetic", 0, 4, "server", "edge")
    KNOWN[fake] = "tests/e2e-spec/none.case"
    try:
        if seen_known_check(set(), True, ["synthetic"]) != 1 or \
                seen_known_check({fake}, True, ["synthetic"]) != 0:
            failures += 1
            print("FAIL self-test 'a stale KNOWN exception is reported'")
    finally:
        del KNOWN[fake]
    print("%d self-test cases, %d failed" % (len(cases) + 1, failures))
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    args = argv[1:]
    two_pass = True
    if "--one-pass" in args:
        args.remove("--one-pass")
        two_pass = False
    verbose = "-v" in args
    if verbose:
        args.remove("-v")
    if "--allowances" in args:
        print(ALLOWANCES)
        return 0
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return run(args[0], args[1:], two_pass, verbose)
    except RuntimeError as e:
        print("ERROR %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
