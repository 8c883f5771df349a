#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Split a classic pcap file into N parts by a direction-independent hash of
each packet's TCP four-tuple, so that every packet of a connection lands in
the same part (README: "Scale-out").

    python3 tests/scale_split.py IN.pcap N OUTPREFIX

writes OUTPREFIX0.pcap .. OUTPREFIX{N-1}.pcap and prints their names.
The key is the pair {(address, port), (address, port)} in sorted order, so
both directions give the same part.  Tunnels: IP-in-IP (4, 41) and GRE
carrying IP are followed to the innermost IP header; other encapsulations
(UDP tunnels, ...) are keyed by their outermost address pair only, which
keeps a tunnel's two directions together even when they use different
outer ports.  IPv4 fragments after the first follow the first fragment of
the same (source, destination, id) wherever it is in the file (a first
pass finds them: fragments may arrive in any order), or else their address
pair; an IP id reused for another datagram between the same hosts takes
the part of its latest first fragment.  Packets
without IP go to part 0.  pcapng is not read: convert with
`editcap -F pcap` (or `mergecap -F pcap`) first.
"""
import struct
import sys
import zlib

ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_QINQ = 0x0800, 0x86DD, 0x8100, 0x88A8


def ip_layers(frame):
    """Yield (version, header offset) of the IP headers, outermost first."""
    off, etype = 12, None
    if len(frame) < 14:
        return
    etype = struct.unpack_from("!H", frame, 12)[0]
    off = 14
    while etype in (ETH_VLAN, ETH_QINQ) and len(frame) >= off + 4:
        etype = struct.unpack_from("!H", frame, off + 2)[0]
        off += 4
    version = {ETH_IPV4: 4, ETH_IPV6: 6}.get(etype)
    while version and len(frame) > off:
        yield version, off
        proto, payload = transport(frame, version, off)
        if proto in (4, 41) and payload is not None:
            version, off = (4 if proto == 4 else 6), payload
        elif proto == 47 and payload is not None and len(frame) >= payload + 4:
            flags, ptype = struct.unpack_from("!HH", frame, payload)
            hlen = 4 + 4 * (bool(flags & 0x8000) + bool(flags & 0x2000) + bool(flags & 0x1000))
            version = {ETH_IPV4: 4, ETH_IPV6: 6}.get(ptype)
            off = payload + hlen
        else:
            return


def transport(frame, version, off):
    """(protocol, payload offset or None for a later IPv4 fragment)."""
    if version == 4:
        if len(frame) < off + 20:
            return None, None
        ihl = (frame[off] & 0x0F) * 4
        frag = struct.unpack_from("!H", frame, off + 6)[0] & 0x1FFF
        return frame[off + 9], (None if frag else off + ihl)
    if len(frame) < off + 40:
        return None, None
    return frame[off + 6], off + 40


def addresses(frame, version, off):
    if version == 4:
        return frame[off + 12:off + 16], frame[off + 16:off + 20]
    return frame[off + 8:off + 24], frame[off + 24:off + 40]


class Splitter:
    def __init__(self, parts):
        self.parts = parts
        self.fragments = {}          # (src, dst, id) -> part

    def learn(self, frame):
        """First pass: remember where each fragmented datagram goes."""
        layers = list(ip_layers(frame))
        if not layers or layers[-1][0] != 4:
            return
        version, off = layers[-1]
        proto, payload = transport(frame, version, off)
        more = len(frame) >= off + 8 and struct.unpack_from("!H", frame, off + 6)[0] & 0x2000
        if payload is not None and more:
            src, dst = addresses(frame, version, off)
            part = self.part_of(frame)
            self.fragments[(src, dst, frame[off + 4:off + 6])] = part

    def part_of(self, frame):
        layers = list(ip_layers(frame))
        if not layers:
            return 0
        version, off = layers[-1]
        src, dst = addresses(frame, version, off)
        proto, payload = transport(frame, version, off)
        fkey = None
        if version == 4 and len(frame) >= off + 8:
            fkey = (src, dst, frame[off + 4:off + 6])
            if payload is None:
                if fkey in self.fragments:
                    return self.fragments[fkey]
                return self.hash(sorted([src, dst]))
        if proto == 6 and payload is not None and len(frame) >= payload + 4:
            sport, dport = frame[payload:payload + 2], frame[payload + 2:payload + 4]
            part = self.hash(sorted([src + sport, dst + dport]))
        else:
            osrc, odst = addresses(frame, *layers[0])
            part = self.hash(sorted([osrc, odst]))
        return part

    def hash(self, pair):
        return zlib.crc32(pair[0] + b"|" + pair[1]) % self.parts


def main(argv):
    if len(argv) != 4 or not argv[2].isdigit() or int(argv[2]) < 1:
        print(__doc__, file=sys.stderr)
        return 2
    path, parts, prefix = argv[1], int(argv[2]), argv[3]
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        print("scale_split.py: %s: not a pcap file" % path, file=sys.stderr)
        return 2
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        print("scale_split.py: %s: not a classic pcap file (pcapng? see --help)" % path,
              file=sys.stderr)
        return 2
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != 1:
        print("scale_split.py: link type %d, only Ethernet (1) is read" % linktype,
              file=sys.stderr)
        return 2
    outs = [open("%s%d.pcap" % (prefix, i), "wb") for i in range(parts)]
    for out in outs:
        out.write(data[:24])
    splitter = Splitter(parts)
    records = []
    pos = 24
    while pos + 16 <= len(data):
        caplen = struct.unpack_from(endian + "I", data, pos + 8)[0]
        end = pos + 16 + caplen
        if end > len(data):
            print("scale_split.py: truncated record at byte %d" % pos, file=sys.stderr)
            return 1
        records.append((pos, end))
        splitter.learn(data[pos + 16:end])
        pos = end
    for pos, end in records:
        outs[splitter.part_of(data[pos + 16:end])].write(data[pos:end])
    for out in outs:
        out.close()
        print(out.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
