#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Regenerate the real-stack TCP captures in captures/*.pcap.
#
# Every scenario runs in fresh network namespaces (client "tsX-c<pid>",
# server "tsX-s<pid>", joined by a veth pair; a third namespace "tsX-m<pid>"
# with a small AF_PACKET relay sits in the middle for the two "crossing"
# scenarios).  Addresses: client 10.77.0.1 / fd77::1, server 10.77.0.2 /
# fd77::2.  Neighbour entries are static and IPv6 DAD is off, so no ARP/ND
# shows up; the capture filter also keeps out ICMPv6 informational messages
# (router solicitations, MLD).  Offloads (TSO/GSO/GRO/checksum) are switched
# off so the captures show wire-size segments with correct checksums.
#
# Packets are dropped with nftables rules inside the namespaces (tc netem is
# not available).  A packet dropped in the *output* hook of a namespace never
# reaches the veth and so is seen by no capture; a packet dropped in the
# *input* hook is still seen by a capture in that namespace (and by one in the
# sender's), because the packet socket sees it before netfilter does.
# Each scenario says which side captures and why.
#
# Sockets are driven by tcpapp.py (python3, standard library only).  Every
# scenario uses its own server port (50NN for scenario NN; 5110 instead of
# 5010, which Wireshark decodes as ipsictl) and its own fixed client port
# (400NN / 401NN), so captures can be merged.
#
# Usage: sudo captures/make-real-captures.sh [scenario ...]
#   (no argument: all scenarios).  OUT=dir puts the pcaps elsewhere.
# After each capture the script prints its "shape" (one token per packet:
# '>' client->server, '<' server->client, flags S F R P A E(CE) C(WR), then
# the payload length) and checks it against the expected shape.

set -euo pipefail
[ -n "${TRACE:-}" ] && { PS4='+ $EPOCHREALTIME '; set -x; }

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE}
PY=/usr/bin/python3          # Debian's python3: has scapy for the injections
APP="$PY $HERE/tcpapp.py"
ID=$$
NSC=tsX-c$ID
NSS=tsX-s$ID
NSM=tsX-m$ID
C4=10.77.0.1 S4=10.77.0.2 C6=fd77::1 S6=fd77::2
WORK=$(mktemp -d /tmp/tsX-cap.XXXXXX)
PIDS=()
CAPPID=
RELAYPID=
FAILED=()
RELAY=0

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in dumpcap tshark editcap mergecap nft ip; do
	command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }
done

log() { echo "== $*" >&2; }

kill_bg() {
	local p
	if [ -n "$RELAYPID" ]; then
		kill "$RELAYPID" 2>/dev/null || true
		wait "$RELAYPID" 2>/dev/null || true
		RELAYPID=
	fi
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
	if [ -n "$CAPPID" ]; then
		kill -INT "$CAPPID" 2>/dev/null || true
		wait "$CAPPID" 2>/dev/null || true
		CAPPID=
	fi
}

teardown() {
	kill_bg
	local ns
	for ns in $NSC $NSS $NSM; do
		ip netns del "$ns" 2>/dev/null || true
	done
}

cleanup() {
	teardown
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# $EXEC is "exec" only inside spawn's background subshell, so that the pid
# recorded there is the program's own pid and can be killed directly.
EXEC=
C() { $EXEC ip netns exec $NSC "$@"; }
S() { $EXEC ip netns exec $NSS "$@"; }

mac_of() { ip netns exec "$1" cat /sys/class/net/"$2"/address; }

# setup [relay]: fresh namespaces.  The client's interface is "vc", the
# server's "vs"; with "relay", vc<->mc and ms<->vs with the relay in NSM.
setup() {
	teardown
	rm -f "$WORK"/sync.*
	RELAY=0
	ip netns add $NSC
	ip netns add $NSS
	C ip link set lo up
	S ip link set lo up
	if [ "${1:-}" = relay ]; then
		RELAY=1
		ip netns add $NSM
		ip netns exec $NSM ip link set lo up
		ip link add name vc netns $NSC type veth peer name mc netns $NSM
		ip link add name vs netns $NSS type veth peer name ms netns $NSM
		local i
		for i in mc ms; do
			ip netns exec $NSM $APP nooffload $i
			ip netns exec $NSM ip link set $i up
		done
	else
		ip link add name vc netns $NSC type veth peer name vs netns $NSS
	fi
	C $APP nooffload vc
	S $APP nooffload vs
	C ip addr add $C4/24 dev vc
	S ip addr add $S4/24 dev vs
	C ip addr add $C6/64 dev vc nodad
	S ip addr add $S6/64 dev vs nodad
	C ip link set vc up
	S ip link set vs up
	local cm sm
	cm=$(mac_of $NSC vc)
	sm=$(mac_of $NSS vs)
	C ip neigh replace $S4 lladdr "$sm" dev vc nud permanent
	S ip neigh replace $C4 lladdr "$cm" dev vs nud permanent
	C ip -6 neigh replace $S6 lladdr "$sm" dev vc nud permanent
	S ip -6 neigh replace $C6 lladdr "$cm" dev vs nud permanent
	# Let link-local DAD, MLD and router solicitations pass before capturing.
	sleep 0.3
}

# sysctl_ns NS key=value...
sysctl_ns() {
	local ns=$1; shift
	ip netns exec "$ns" sysctl -qw "$@"
}

wait_file() {
	local i
	for i in $(seq 1 3000); do
		[ -e "$1" ] && return 0
		sleep 0.01
	done
	echo "timeout waiting for $1" >&2
	return 1
}

sig() { touch "$WORK/sync.$1"; }
waitsig() { wait_file "$WORK/sync.$1"; }

# cap_start client|server NAME [snaplen] [filter]
CAPNAME=
cap_start() {
	local side=$1 name=$2 snap=${3:-2048}
	local filter=${4:-"tcp or icmp or (icmp6 and ip6[40] < 128)"}
	local ns=$NSS ifc=vs
	[ "$side" = client ] && { ns=$NSC; ifc=vc; }
	CAPNAME=$name
	rm -f "$WORK/$name.pcap" "$WORK/$name.err"
	ip netns exec $ns dumpcap -q -P -i $ifc -s "$snap" -f "$filter" \
		-w "$WORK/$name.pcap" 2>"$WORK/$name.err" &
	CAPPID=$!
	local i
	for i in $(seq 1 500); do
		grep -q "Capturing on" "$WORK/$name.err" 2>/dev/null && break
		sleep 0.01
	done
	grep -q "Capturing on" "$WORK/$name.err" || { cat "$WORK/$name.err" >&2; return 1; }
	sleep 0.2
}

cap_stop() {
	sleep "${1:-0.3}"
	kill -INT "$CAPPID"
	wait "$CAPPID" || true
	CAPPID=
	# tmp_* captures are raw material for a cut-down capture; they stay in
	# $WORK.  Nothing but the named capture files is ever written to $OUT.
	case $CAPNAME in
	tmp_*) ;;
	*) cp "$WORK/$CAPNAME.pcap" "$OUT/$CAPNAME.pcap" ;;
	esac
}

# Background helpers: server in NSS (waits until it listens), other programs.
srv() {
	local port=$1; shift
	spawn S $APP server --listen $S4 --port "$port" --sync-dir "$WORK" \
		--ready "$WORK/ready.$port" "$@"
	wait_file "$WORK/ready.$port"
	rm -f "$WORK/ready.$port"
}
srv6() {
	local port=$1; shift
	spawn S $APP server --listen $S6 --port "$port" --sync-dir "$WORK" \
		--ready "$WORK/ready.$port" "$@"
	wait_file "$WORK/ready.$port"
	rm -f "$WORK/ready.$port"
}
cli() { C $APP client --connect $S4 --sync-dir "$WORK" "$@"; }
cli6() { C $APP client --connect $S6 --sync-dir "$WORK" "$@"; }
spawn() { EXEC=exec "$@" & PIDS+=($!); }
wait_bg() {
	local p rc=0
	for p in "${PIDS[@]}"; do wait "$p" || rc=$?; done
	PIDS=()
	return $rc
}

# start_relay syn|fin|none [relay options]: the frame relay in NSM (see setup relay).
start_relay() {
	ip netns exec $NSM $APP relay mc ms --hold "$1" "${@:2}" --ready "$WORK/relay.ready" &
	RELAYPID=$!
	wait_file "$WORK/relay.ready"
	rm -f "$WORK/relay.ready"
}

# nft_rule NS input|output RULE...: table inet t, one base chain for the hook.
nft_rule() {
	local ns=$1 hook=$2 r
	shift 2
	{
		echo "table inet t {"
		echo "  chain c$hook {"
		echo "    type filter hook $hook priority 0;"
		for r in "$@"; do echo "    $r"; done
		echo "  }"
		echo "}"
	} | ip netns exec "$ns" nft -f -
}

# shape FILE: one token per packet (see header).
shape() {
	tshark -r "$1" -T fields -E separator="|" -e ip.src -e ipv6.src \
		-e tcp.flags -e tcp.len -e icmp.type -e icmpv6.type 2>/dev/null |
	$PY -c '
import sys
client = set(sys.argv[1:])
out = []
for line in sys.stdin:
    src4, src6, fl, ln, it, i6 = (line.rstrip("\n").split("|") + [""] * 6)[:6]
    src = (src4 or src6).split(",")[0]
    d = ">" if src in client else "<"
    if it:
        out.append(d + "ICMP" + it.split(",")[0]); continue
    if i6:
        out.append(d + "ICMP6_" + i6.split(",")[0]); continue
    f = int(fl.split(",")[0], 16)
    s = "".join(c for b, c in ((2, "S"), (1, "F"), (4, "R"), (8, "P"), (16, "A"),
                               (64, "E"), (128, "C")) if f & b)
    n = int(ln.split(",")[0] or 0)
    out.append(d + s + (str(n) if n else ""))
print(" ".join(out))
' $C4 $C6
}

# check NAME REGEX: compare the shape of OUT/NAME.pcap with an extended regex.
check() {
	local name=$1 re=$2 got
	got=$(shape "$OUT/$name.pcap")
	if [[ "$got" =~ ^$re$ ]]; then
		log "$name OK: $(short "$got")"
	else
		log "$name SHAPE MISMATCH"
		echo "   got:      $got" >&2
		echo "   expected: $re" >&2
		FAILED+=("$name")
	fi
}
# Long shapes are shortened for the log.
short() { local s=$1; [ ${#s} -gt 300 ] && s="${s:0:150} ... ${s: -120}"; echo "$s"; }

HS='>S <SA >A'                       # three-way handshake
# bulk data from the server with the client's ACKs, the server's FIN (alone
# or on the last data), the client's ACK, FIN-ACK and the server's last ACK
LT_TAIL='( <P?A[0-9]+| >A)* <FP?A[0-9]*( <P?A[0-9]+| >A)* >FA <A'
XCH='>PA100 <A <PA200 >A'            # 100 bytes request, 200 bytes answer

###########################################################################
# 1 client_close (server side captures; nothing is dropped)
#   SYN, SYN-ACK, ACK, client data 100, ACK, server data 200, ACK,
#   client FIN-ACK, server ACK (immediately), server FIN-ACK ~300 ms later,
#   client ACK: four separate closing segments.
#   The server sleeps 300 ms (not exactly 200) after reading EOF: in
#   CLOSE_WAIT Linux enters "pingpong" mode and delays the ACK of the FIN by
#   its delayed-ACK timeout, which can approach 200 ms.
sc_client_close() {
	setup
	cap_start server client_close
	srv 5001 recv:100 send:200 eof sleep:0.3 close
	cli --port 5001 --bind-port 40001 send:100 recv:200 close
	wait_bg
	cap_stop
	check client_close "$HS $XCH >FA <A <FA >A"
}

###########################################################################
# 2 server_close (server side captures)
#   Handshake, 100 bytes up, 200 down, then the server closes first:
#   server FIN-ACK, client ACK, client FIN-ACK ~300 ms later, server ACK.
sc_server_close() {
	setup
	cap_start server server_close
	srv 5002 recv:100 send:200 sleep:0.1 close
	cli --port 5002 --bind-port 40002 send:100 recv:200 eof sleep:0.3 close
	wait_bg
	cap_stop
	check server_close "$HS $XCH <FA >A >FA <A"
}

###########################################################################
# 3 fin_ack_close (server side captures)
#   Handshake, data, client FIN-ACK; the server closes as soon as it reads
#   EOF, so Linux's delayed ACK of the FIN (pingpong mode in CLOSE_WAIT) is
#   carried by the server's FIN: FIN, FIN-ACK, ACK (three-packet close).
sc_fin_ack_close() {
	setup
	cap_start server fin_ack_close
	srv 5003 recv:100 send:200 eof close
	cli --port 5003 --bind-port 40003 send:100 recv:200 close
	wait_bg
	cap_stop
	check fin_ack_close "$HS $XCH >FA <FA >A"
}

###########################################################################
# 4 refused (server side captures)
#   SYN to port 5004 where nothing listens; the server stack answers RST-ACK.
sc_refused() {
	setup
	cap_start server refused
	cli --port 5004 --bind-port 40004 --expect-connect-error ECONNREFUSED
	cap_stop
	check refused ">S <RA"
}

###########################################################################
# 5 abort_linger0 (server side captures)
#   Handshake, data both ways, then the client closes with SO_LINGER {1,0}:
#   a single RST-ACK from the client; no FINs.
sc_abort_linger0() {
	setup
	cap_start server abort_linger0
	srv 5005 --ignore-errors recv:100 send:200 eof close
	cli --port 5005 --bind-port 40005 send:100 recv:200 sleep:0.1 linger0 close
	wait_bg
	cap_stop
	check abort_linger0 "$HS $XCH >RA"
}

###########################################################################
# 6 long_transfer (server side captures, snaplen 128)
#   Handshake, 100 bytes request, then 2,000,000 bytes from the server in
#   MSS-sized (1448) segments with the client's ACKs, then the server closes
#   (its FIN usually rides on the last data segment), the client ACKs it,
#   reads EOF and closes: FIN-ACK, ACK.
sc_long_transfer() {
	setup
	cap_start server long_transfer 128
	srv 5006 recv:100 send:2000000 close
	cli --port 5006 --bind-port 40006 send:100 eof close
	wait_bg
	cap_stop
	check long_transfer "$HS >PA100 <A$LT_TAIL"
}

###########################################################################
# 7 ipv6_client_close: as client_close, over IPv6 (server side captures).
sc_ipv6_client_close() {
	setup
	cap_start server ipv6_client_close
	srv6 5007 recv:100 send:200 eof sleep:0.3 close
	cli6 --port 5007 --bind-port 40007 send:100 recv:200 close
	wait_bg
	cap_stop
	check ipv6_client_close "$HS $XCH >FA <A <FA >A"
}

###########################################################################
# 8 half_close (server side captures)
#   Handshake, 100 bytes request, client shutdown(SHUT_WR): FIN-ACK; the
#   server ACKs it, then keeps sending five 1000-byte segments ~70 ms apart
#   (each ACKed by the half-closed client), then closes: FIN-ACK, ACK.
sc_half_close() {
	setup
	cap_start server half_close
	srv 5008 recv:100 eof sleep:0.05 send:1000 sleep:0.07 send:1000 sleep:0.07 \
		send:1000 sleep:0.07 send:1000 sleep:0.07 send:1000 sleep:0.07 close
	cli --port 5008 --bind-port 40008 send:100 shut_wr eof close
	wait_bg
	cap_stop
	check half_close "$HS >PA100 <A >FA <A( <PA1000 >A){5} <FA >A"
}

###########################################################################
# 9 fin_with_data (server side captures)
#   Handshake, request, ACK; the server writes 200 bytes with MSG_MORE (held
#   back) and closes at once, so the FIN rides on the data segment:
#   FIN-PSH-ACK with 200 bytes; the client ACKs, then closes ~300 ms later.
sc_fin_with_data() {
	setup
	cap_start server fin_with_data
	srv 5009 recv:100 sendmore:200 close
	cli --port 5009 --bind-port 40009 send:100 eof sleep:0.3 close
	wait_bg
	cap_stop
	check fin_with_data "$HS >PA100 <A <FP?A200 >A >FA <A"
}

###########################################################################
# 10 syn_retrans_answered (CLIENT side captures, so the SYN dropped at the
#   server's input hook is seen; it would be seen on the server's veth too,
#   but the client's view is the natural one for a lost SYN)
#   SYN (dropped by the server's nft input rule), SYN retransmitted ~1 s
#   later, SYN-ACK, ACK, data both ways, client close: FIN, ACK, FIN, ACK.
#   The rule has "quota until 100 bytes": the first 60-byte SYN is under the
#   quota and dropped, the second brings it over and passes.
sc_syn_retrans_answered() {
	setup
	nft_rule $NSS input 'tcp dport 5110 tcp flags & (syn|ack) == syn quota until 100 bytes counter drop'
	cap_start client syn_retrans_answered
	srv 5110 recv:100 send:200 eof sleep:0.3 close
	cli --port 5110 --bind-port 40110 send:100 recv:200 close
	wait_bg
	cap_stop
	check syn_retrans_answered ">S $HS $XCH >FA <A <FA >A"
}

###########################################################################
# 11 syn_unanswered (client side captures; the SYNs are dropped in the
#   server's input hook)
#   Client with TCP_SYNCNT=2: SYN at 0 s, 1 s, 3 s, then connect() fails with
#   ETIMEDOUT at ~7 s; the capture ends ~4 s after the last SYN.  No answer.
#   The client namespace sets net.ipv4.tcp_syn_linear_timeouts=0: this
#   kernel's default (4) retransmits SYNs every second, and since SYNCNT is
#   turned into a time budget (1+2+4 s), it would send 6 SYNs 1 s apart.
sc_syn_unanswered() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_syn_linear_timeouts=0
	nft_rule $NSS input 'tcp dport 5011 tcp flags & (syn|ack) == syn drop'
	cap_start client syn_unanswered
	srv 5011
	cli --port 5011 --bind-port 40011 --syncnt 2 --expect-connect-error ETIMEDOUT
	cap_stop 0.1
	check syn_unanswered ">S >S >S"
}

###########################################################################
# 12 synack_unanswered (server side captures)
#   The client kernel connects normally, but an nft rule in the CLIENT's
#   output hook drops every client packet to port 5012 except the SYN, so
#   the client's ACKs are never on the wire (seen by no capture).
#   net.ipv4.tcp_synack_retries=2 in the server namespace.
#   Shows: SYN, SYN-ACK, SYN-ACK (retransmitted ~1 s), SYN-ACK (~3 s), then
#   nothing for >3 s (the server drops the request silently at ~7 s).
sc_synack_unanswered() {
	setup
	sysctl_ns $NSS net.ipv4.tcp_synack_retries=2
	nft_rule $NSC output 'tcp dport 5012 tcp flags & syn == 0 drop'
	cap_start server synack_unanswered
	srv 5012
	spawn cli --port 5012 --bind-port 40012 hold
	sleep 6.8
	cap_stop 0
	kill_bg
	check synack_unanswered ">S <SA <SA <SA"
}

###########################################################################
# 13 final_ack_missing (server side captures; the client's final ACKs are
#   dropped in the client's output hook, so no capture sees them)
#   Handshake, data, client FIN-ACK, server ACK, server FIN-ACK ~300 ms later;
#   the client (TIME-WAIT) ACKs it but the ACK is dropped; the server in
#   LAST-ACK retransmits its FIN with exponential backoff (each re-ACK from
#   TIME-WAIT is dropped too) until net.ipv4.tcp_orphan_retries=2 makes it
#   give up silently (no RST).
sc_final_ack_missing() {
	setup
	sysctl_ns $NSS net.ipv4.tcp_orphan_retries=2
	cap_start server final_ack_missing
	srv 5013 recv:100 send:200 eof sleep:0.3 close
	spawn cli --port 5013 --bind-port 40013 send:100 recv:200 signal:c1 wait:go close
	waitsig c1
	sleep 0.1
	# Only pure ACKs: the client's FIN-ACK still passes.
	nft_rule $NSC output 'tcp dport 5013 tcp flags == ack counter drop'
	sig go
	wait_bg
	sleep 5
	cap_stop 0
	check final_ack_missing "$HS $XCH >FA <A <FA( <FA){2,6}"
}

###########################################################################
# 14 fin_retrans (server side captures; the one lost ACK is dropped in the
#   client's output hook and is seen by no capture)
#   As final_ack_missing, but only the first final ACK is dropped
#   ("quota until 60 bytes": the first 52-byte ACK is under the quota):
#   ... >FIN <ACK <FIN, <FIN (retransmitted after the RTO), >ACK.
sc_fin_retrans() {
	setup
	cap_start server fin_retrans
	srv 5014 recv:100 send:200 eof sleep:0.3 close
	spawn cli --port 5014 --bind-port 40014 send:100 recv:200 signal:c1 wait:go close
	waitsig c1
	sleep 0.1
	nft_rule $NSC output 'tcp dport 5014 tcp flags == ack quota until 60 bytes counter drop'
	sig go
	wait_bg
	sleep 1
	cap_stop 0
	check fin_retrans "$HS $XCH >FA <A <FA <FA >A"
}

###########################################################################
# 15 fin_unacked (server side captures; everything the server sends after
#   the data exchange is dropped in the server's output hook, unseen)
#   Handshake, data, client FIN-ACK, then the same FIN retransmitted with
#   exponential backoff (~0.2, 0.6, 1.4 s ...) until the orphaned FIN-WAIT-1
#   socket gives up (net.ipv4.tcp_orphan_retries=2 on the client).  No
#   answer from the server is ever on the wire.
sc_fin_unacked() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_orphan_retries=2
	cap_start server fin_unacked
	srv 5015 recv:100 send:200 signal:s1 eof close
	spawn cli --port 5015 --bind-port 40015 send:100 recv:200 wait:go close
	waitsig s1
	sleep 0.1
	nft_rule $NSS output 'tcp sport 5015 counter drop'
	sig go
	wait_bg
	sleep 5
	cap_stop 0
	check fin_unacked "$HS $XCH >FA( >FA){2,6}"
}

###########################################################################
# 16 simultaneous_open (client side captures; relay in the middle)
#   Both ends bind their own port and connect() to the other's (10.77.0.1:
#   40016 <-> 10.77.0.2:5016).  The relay holds the first SYN of each
#   direction until both have been sent, then delivers both, so they really
#   cross.  Linux then answers each SYN from SYN-SENT with a SYN-ACK
#   (same ISN): SYN, SYN, SYN-ACK, SYN-ACK; each SYN-ACK moves its receiver
#   from SYN-RECEIVED to ESTABLISHED and is answered with an ACK carrying a
#   D-SACK block (SLE=0 SRE=1: Linux sees the SYN-ACK's SYN as a duplicate of
#   the SYN it already got): ACK, ACK.  Then 100 bytes each way and a 4-way
#   close started by 10.77.0.1 (the other side closes 300 ms after EOF).
sc_simultaneous_open() {
	setup relay
	start_relay syn
	cap_start client simultaneous_open
	spawn S $APP client --connect $C4 --port 40016 --bind-port 5016 --sync-dir "$WORK" \
		recv:100 send:100 eof sleep:0.3 close
	spawn cli --port 5016 --bind-port 40016 send:100 recv:100 close
	wait_bg
	cap_stop
	check simultaneous_open ">S <S >SA <SA >A <A >PA100 <A <PA100 >A >FA <A <FA >A"
}

###########################################################################
# 17 simultaneous_close (client side captures; relay in the middle)
#   Normal handshake and 100 bytes each way; then both sides close at the
#   same moment.  The relay holds the first FIN of each direction until both
#   have been sent, so the FINs cross: FIN, FIN (neither acknowledges the
#   other's FIN), then each side in CLOSING acknowledges the peer's FIN:
#   ACK, ACK; both end in TIME-WAIT.
sc_simultaneous_close() {
	setup relay
	start_relay fin
	cap_start client simultaneous_close
	spawn S $APP server --listen $S4 --port 5017 --sync-dir "$WORK" --ready "$WORK/sync.ready" \
		recv:100 send:100 signal:s1 wait:go close
	waitsig ready
	spawn cli --port 5017 --bind-port 40017 send:100 recv:100 signal:c1 wait:go close
	waitsig s1; waitsig c1
	sleep 0.2
	sig go
	wait_bg
	cap_stop
	check simultaneous_close "$HS >PA100 <A <PA100 >A >FA <FA (>A <A|<A >A)"
}

###########################################################################
# 18 port_reuse_time_wait (server side captures)
#   Connection 1 from 10.77.0.1:40018: handshake, data, the SERVER closes
#   first (server FIN, client ACK, client FIN ~300 ms later, server ACK), so
#   the server holds the 4-tuple in TIME-WAIT.  200 ms later the client binds
#   the same port again (SO_REUSEADDR) and connects to the same server port:
#   the server accepts the new SYN on the TIME-WAIT 4-tuple (its timestamp is
#   newer), and connection 2 repeats the same exchange.
sc_port_reuse_time_wait() {
	setup
	cap_start server port_reuse_time_wait
	srv 5018 --count 2 recv:100 send:200 sleep:0.1 close
	cli --port 5018 --bind-port 40018 --count 2 --gap 0.2 \
		send:100 recv:200 eof sleep:0.3 close
	wait_bg
	cap_stop
	local one="$HS $XCH <FA >A >FA <A"
	check port_reuse_time_wait "$one $one"
}

###########################################################################
# 19 half_open (server side captures; the server's RST is dropped in the
#   server's output hook, so no capture sees it)
#   Handshake, data; the server aborts (SO_LINGER 0) but its RST is
#   dropped, so the client still believes the connection is open.  The rule
#   is removed; 300 ms later the client sends 100 bytes, and the server's
#   stack, which has no socket for them, answers with a bare RST.
sc_half_open() {
	setup
	cap_start server half_open
	srv 5019 recv:100 send:200 wait:go linger0 close signal:s2
	spawn cli --ignore-errors --port 5019 --bind-port 40019 send:100 recv:200 signal:c1 \
		wait:go2 send:100 sleep:0.3 recv:1 close
	waitsig c1
	sleep 0.1
	nft_rule $NSS output 'tcp sport 5019 tcp flags & rst == rst counter drop'
	sig go
	waitsig s2
	sleep 0.3
	S nft delete table inet t
	sig go2
	wait_bg
	cap_stop
	check half_open "$HS $XCH >PA100 <R"
}

###########################################################################
# 20 rst_after_fin (server side captures)
#   Handshake, data; the client shuts down its sending side (FIN-ACK), the
#   server ACKs it and, 300 ms later, aborts with SO_LINGER 0: RST-ACK.
sc_rst_after_fin() {
	setup
	cap_start server rst_after_fin
	srv 5020 recv:100 send:200 eof sleep:0.3 linger0 close
	cli --ignore-errors --port 5020 --bind-port 40020 send:100 recv:200 shut_wr eof close
	wait_bg
	cap_stop
	check rst_after_fin "$HS $XCH >FA <A <RA"
}

###########################################################################
# 21 challenge_ack (server side captures)
#   Handshake, data.  Then, from the client namespace, scapy injects on the
#   same 4-tuple (a) a SYN with an in-window sequence number (rcv_nxt+1000):
#   the server answers with a challenge ACK (RFC 5961 4.2); (b) 700 ms later
#   an RST with seq rcv_nxt+500 (in window, not exact): another challenge ACK
#   (RFC 5961 3.2).  The client kernel takes the challenge ACKs as duplicate
#   ACKs and stays silent.  Then a normal close: FIN, ACK, FIN, ACK.
#   The server namespace has net.ipv4.tcp_invalid_ratelimit=0 so the second
#   challenge ACK is not rate limited.
sc_challenge_ack() {
	if ! $PY -c 'import scapy' 2>/dev/null; then
		log "challenge_ack needs python3-scapy for $PY; skipped"
		FAILED+=(challenge_ack)
		return
	fi
	setup
	sysctl_ns $NSS net.ipv4.tcp_invalid_ratelimit=0
	cap_start server challenge_ack
	EXEC=exec C $PY - "$WORK" >"$WORK/inject.log" 2>&1 <<'EOF' &
import os, sys, time
from scapy.all import AsyncSniffer, IP, TCP, send, conf
conf.verb = 0
work = sys.argv[1]
sn = AsyncSniffer(iface="vc", store=True,
                  lfilter=lambda p: TCP in p and p[TCP].dport == 5021)
sn.start()
time.sleep(0.5)
open(os.path.join(work, "sync.inj_ready"), "w").close()
while not os.path.exists(os.path.join(work, "sync.c1")):
    time.sleep(0.01)
time.sleep(0.1)
pkts = sn.stop()
last = pkts[-1][TCP]
nxt = last.seq + len(last.payload) + (1 if last.flags & 0x03 else 0)
print("client snd_nxt", nxt, "ack", last.ack)
send(IP(src="10.77.0.1", dst="10.77.0.2") /
     TCP(sport=40021, dport=5021, flags="S", seq=(nxt + 1000) & 0xffffffff,
         window=65535))
time.sleep(0.7)
send(IP(src="10.77.0.1", dst="10.77.0.2") /
     TCP(sport=40021, dport=5021, flags="R", seq=(nxt + 500) & 0xffffffff,
         window=0))
time.sleep(0.5)
open(os.path.join(work, "sync.inj_done"), "w").close()
EOF
	PIDS+=($!)
	waitsig inj_ready
	srv 5021 recv:100 send:200 eof sleep:0.3 close
	spawn cli --port 5021 --bind-port 40021 send:100 recv:200 signal:c1 wait:inj_done close
	wait_bg
	cap_stop
	cat "$WORK/inject.log" >&2
	check challenge_ack "$HS $XCH >S <A >R <A >FA <A <FA >A"
}

###########################################################################
# 22 tfo (server side captures; net.ipv4.tcp_fastopen=3 in both namespaces,
#   the listener has TCP_FASTOPEN set)
#   Connection 1: SYN with an empty Fast Open option (cookie request, no
#   data), SYN-ACK carrying a cookie; the client's queued 100 bytes go out at
#   once and acknowledge the SYN-ACK (no separate pure ACK); ACK, answer,
#   ACK, 4-way close (client first).
#   Connection 2 (500 ms later, new ephemeral port): SYN carrying the cookie
#   AND 100 bytes of data; the SYN-ACK acknowledges the data (ack = ISN+101);
#   ACK; the 200-byte answer, ACK, 4-way close.
sc_tfo() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_fastopen=3
	sysctl_ns $NSS net.ipv4.tcp_fastopen=3
	cap_start server tfo
	srv 5022 --fastopen --count 2 recv:100 send:200 eof sleep:0.3 close
	cli --port 5022 --fastopen --count 2 --gap 0.5 send:100 recv:200 sleep:0.25 close
	wait_bg
	cap_stop
	check tfo ">S <SA >PA100 <A <PA200 >A >FA <A <FA >A >S100 <SA >A <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 23 ecn_syn (server side captures; net.ipv4.tcp_ecn=1 in the client, the
#   server keeps the default 2 = accept ECN when asked)
#   SYN with ECE+CWR, SYN-ACK with ECE, ACK, data, normal 4-way close.
sc_ecn_syn() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_ecn=1
	cap_start server ecn_syn
	srv 5023 recv:100 send:200 eof sleep:0.3 close
	cli --port 5023 --bind-port 40023 send:100 recv:200 close
	wait_bg
	cap_stop
	check ecn_syn ">SEC <SAE >A $XCH >FA <A <FA >A"
}

###########################################################################
# 24 syncookies (server side captures; net.ipv4.tcp_syncookies=2 in the
#   server: every SYN-ACK is a SYN cookie, no request socket is kept)
#   A normal connection: handshake, data, 4-way close.  The cookie shows only
#   in the SYN-ACK's sequence number and timestamp value.
sc_syncookies() {
	setup
	sysctl_ns $NSS net.ipv4.tcp_syncookies=2
	cap_start server syncookies
	srv 5024 recv:100 send:200 eof sleep:0.3 close
	cli --port 5024 --bind-port 40024 send:100 recv:200 close
	wait_bg
	cap_stop
	check syncookies "$HS $XCH >FA <A <FA >A"
}

###########################################################################
# 25 mid_stream: long_transfer.pcap with its first 20 packets (handshake,
#   request and the first data segments) cut off with editcap.  The capture
#   starts in the middle of the bulk data.
sc_mid_stream() {
	[ -f "$OUT/long_transfer.pcap" ] || sc_long_transfer
	editcap -F pcap "$OUT/long_transfer.pcap" "$OUT/mid_stream.pcap" 1-20
	check mid_stream "(<P?A[0-9]+|>A)$LT_TAIL"
}

###########################################################################
# 26a open_at_end (server side captures)
#   Handshake, 100 bytes each way, and the capture is stopped while the
#   connection is still open (it is closed only afterwards).
# 26b fin_at_end (server side captures)
#   Handshake, data, the client's FIN-ACK (shutdown(SHUT_WR)) as the very
#   last packet: the capture is cut with editcap right after the first FIN
#   (as if capturing had stopped there; the rest of the close is discarded).
sc_open_at_end() {
	setup
	cap_start server open_at_end
	srv 5026 recv:100 send:200 eof close
	spawn cli --port 5026 --bind-port 40026 send:100 recv:200 signal:c1 wait:go close
	waitsig c1
	cap_stop 0.3
	sig go
	wait_bg
	check open_at_end "$HS $XCH"

	setup
	cap_start server tmp_fin_at_end
	srv 5126 recv:100 send:200 eof sleep:0.3 close
	cli --port 5126 --bind-port 40126 send:100 recv:200 shut_wr eof close
	wait_bg
	cap_stop
	local n
	n=$(tshark -r "$WORK/tmp_fin_at_end.pcap" -Y "tcp.flags.fin == 1" \
		-T fields -e frame.number 2>/dev/null | head -1)
	editcap -F pcap -r "$WORK/tmp_fin_at_end.pcap" "$OUT/fin_at_end.pcap" "1-$n"
	check fin_at_end "$HS $XCH >FA"
}

###########################################################################
# 27 icmp_quoted (server side captures)
#   IPv4: SYN to port 5027, the server's nft input rule rejects it with
#   ICMP destination-unreachable/port-unreachable (type 3) quoting the SYN.
#   Then IPv6: SYN to [fd77::2]:5027, rejected with ICMPv6
#   destination-unreachable/port-unreachable (type 1).  Both connects fail
#   with ECONNREFUSED, but only after the SYN retransmitted ~1 s later gets
#   the same answer: the first ICMP arrives within microseconds, while
#   connect() still holds the socket lock, so Linux records it only as a
#   soft error.  Shape: SYN, ICMP, SYN, ICMP (v4), then the same over v6.
sc_icmp_quoted() {
	setup
	nft_rule $NSS input 'meta nfproto ipv4 tcp dport 5027 reject with icmp type port-unreachable' \
		'meta nfproto ipv6 tcp dport 5027 reject with icmpv6 type port-unreachable'
	cap_start server icmp_quoted
	cli --port 5027 --bind-port 40027 --expect-connect-error ECONNREFUSED
	sleep 0.2
	cli6 --port 5027 --bind-port 40027 --expect-connect-error ECONNREFUSED
	cap_stop
	check icmp_quoted ">S <ICMP3( >S <ICMP3)? >S <ICMP6_1( >S <ICMP6_1)?"
}

###########################################################################
# 28 syn_ack_first (server side captures)
#   A normal connection (as client_close) with its first packet, the SYN,
#   cut off by editcap: the capture starts with the SYN-ACK.
sc_syn_ack_first() {
	setup
	cap_start server tmp_syn_ack_first
	srv 5028 recv:100 send:200 eof sleep:0.3 close
	cli --port 5028 --bind-port 40028 send:100 recv:200 close
	wait_bg
	cap_stop
	editcap -F pcap "$WORK/tmp_syn_ack_first.pcap" "$OUT/syn_ack_first.pcap" 1
	check syn_ack_first "<SA >A $XCH >FA <A <FA >A"
}

###########################################################################
# 29 one_sided (server side captures with the capture filter
#   "tcp and src host 10.77.0.1")
#   A normal connection (as client_close) of which only the client->server
#   direction is recorded: SYN, ACK, data 100, ACK, FIN-ACK, ACK.
sc_one_sided() {
	setup
	cap_start server one_sided 2048 "tcp and src host $C4"
	srv 5029 recv:100 send:200 eof sleep:0.3 close
	cli --port 5029 --bind-port 40029 send:100 recv:200 close
	wait_bg
	cap_stop
	check one_sided ">S >A >PA100 >A >FA >A"
}

###########################################################################
# 30 mixed: mergecap (chronological) of client_close, fin_ack_close, refused,
#   syn_unanswered, final_ack_missing, half_close, half_open, abort_linger0.
#   Server ports 5001, 5003, 5004, 5011, 5013, 5008, 5019, 5005 and client
#   ports 400NN keep the eight streams apart.
sc_mixed() {
	local n f files=()
	for n in client_close fin_ack_close refused syn_unanswered \
		final_ack_missing half_close half_open abort_linger0; do
		f="$OUT/$n.pcap"
		[ -f "$f" ] || "sc_$n"
		files+=("$f")
	done
	mergecap -F pcap -w "$OUT/mixed.pcap" "${files[@]}"
	local cnt=0 sum=0
	for f in "${files[@]}"; do
		cnt=$(capinfos -c -M "$f" | awk '/Number of packets/ {print $NF}')
		sum=$((sum + cnt))
	done
	cnt=$(capinfos -c -M "$OUT/mixed.pcap" | awk '/Number of packets/ {print $NF}')
	if [ "$cnt" = "$sum" ]; then
		log "mixed OK: $cnt packets, $(tshark -r "$OUT/mixed.pcap" -T fields -e tcp.stream | sort -un | wc -l) streams"
	else
		log "mixed MISMATCH: $cnt packets, expected $sum"
		FAILED+=(mixed)
	fi
}

###########################################################################
# 31 icmp_prohibited (client side captures; the relay in the middle
#   namespace holds ICMP errors 50 ms)
#   IPv4: SYN to port 5031, the server's nft input rule rejects it with ICMP
#   destination-unreachable/admin-prohibited (type 3 code 13) quoting the
#   SYN.  Then IPv6: rejected with ICMPv6 destination-unreachable/
#   admin-prohibited (type 1 code 1).  Unlike icmp_quoted, the error reaches
#   the client 50 ms later, when connect() sleeps without holding the
#   socket: Linux aborts at once (tcp_v4_err/tcp_v6_err in SYN-SENT), so no
#   SYN is retransmitted; connect() fails with EHOSTUNREACH (IPv4) and
#   EACCES (IPv6).  Shape: SYN, ICMP (v4), SYN, ICMPv6.
sc_icmp_prohibited() {
	setup relay
	start_relay none --delay-icmp 0.05
	nft_rule $NSS input 'meta nfproto ipv4 tcp dport 5031 reject with icmp type admin-prohibited' \
		'meta nfproto ipv6 tcp dport 5031 reject with icmpv6 type admin-prohibited'
	cap_start client icmp_prohibited
	cli --port 5031 --bind-port 40031 --expect-connect-error EHOSTUNREACH
	sleep 0.2
	cli6 --port 5031 --bind-port 40031 --expect-connect-error EACCES
	cap_stop
	check icmp_prohibited ">S <ICMP3 >S <ICMP6_1"
}

###########################################################################
# Scenarios 32-39 reproduce the defects listed in issue 11 (one capture per
# defect that a real stack can show; captures/craft.py makes the others).
# tests/e2e-spec/*.case hold what RFC 9293 says each packet must show.

###########################################################################
# 32 tfo_nocookie (issue 11 defect 9; server side captures)
#   Cookie-less TCP Fast Open: net.ipv4.tcp_fastopen=0x5 in the client
#   namespace (client enabled + send data in the SYN without a cookie),
#   0x202 in the server namespace (server enabled + accept data in a SYN
#   without a cookie); the listener has TCP_FASTOPEN set.  The SYN carries
#   the client's 100 bytes and NO Fast Open option; the SYN-ACK acknowledges
#   ISN + 1 + 100; the client's pure ACK completes the handshake; 200 bytes
#   answer, ACK, four-way close (client first).
sc_tfo_nocookie() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_fastopen=0x5
	sysctl_ns $NSS net.ipv4.tcp_fastopen=0x202
	cap_start server tfo_nocookie
	srv 5032 --fastopen recv:100 send:200 eof sleep:0.3 close
	cli --port 5032 --bind-port 40032 --fastopen send:100 recv:200 sleep:0.25 close
	wait_bg
	cap_stop
	check tfo_nocookie ">S100 <SA >A <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 33 syn_blackhole (issue 11 defect 4; client side captures)
#   The client's route to 10.77.5.0/24 goes through 10.77.0.2, the server
#   namespace, which does not forward (ip_forward=0) and so drops the SYNs
#   without any ICMP error: no host at 10.77.5.9 ever sees them.  Client
#   with TCP_SYNCNT=2 and linear timeouts off (as syn_unanswered): SYN at
#   0 s, 1 s, 3 s; connect() fails with ETIMEDOUT; the capture ends ~4 s
#   after the last SYN.
sc_syn_blackhole() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_syn_linear_timeouts=0
	sysctl_ns $NSS net.ipv4.ip_forward=0
	C ip route add 10.77.5.0/24 via $S4 dev vc
	cap_start client syn_blackhole
	C $APP client --connect 10.77.5.9 --port 5033 --bind-port 40033 --syncnt 2 \
		--expect-connect-error ETIMEDOUT
	cap_stop 0.1
	check syn_blackhole ">S >S >S"
}

###########################################################################
# 34 data_rst (issue 11 defect 6; server side captures)
#   Handshake; the server sets TCP_QUICKACK 0 (delayed ACKs) and signals;
#   the client sends 100 bytes; 5 ms later, well before the delayed-ACK timer
#   (>= 40 ms), the server closes without reading them: RFC 1122 4.2.2.13
#   (close with received data pending) makes Linux answer with RST-ACK
#   instead of an ACK.  The data segment is answered by the RST alone.
sc_data_rst() {
	setup
	cap_start server data_rst
	srv 5034 --ignore-errors delack signal:s1 wait:c1 sleep:0.005 close
	cli --ignore-errors --port 5034 --bind-port 40034 wait:s1 send:100 signal:c1 \
		sleep:0.3 recv:1 close
	wait_bg
	cap_stop
	check data_rst "$HS >PA100 <RA"
}

###########################################################################
# 35 middlebox_rst (issue 11 defect 8; client side captures)
#   Handshake, 100 bytes up, 200 down.  Then nftables on the SERVER's host
#   (input hook) rejects the client's next data segment "with tcp reset":
#   the data never reaches the server socket, and netfilter sends the client
#   a RST in the server's name (no ACK flag, seq = the data's ack).  The
#   client accepts it and forgets the connection.  The server socket knows
#   nothing: 100 ms later it sends 300 bytes (ack still 101: it never got the
#   second 100 bytes) and retransmits them with exponential backoff.  The
#   client's stack answers each with a RST, dropped in the client's output
#   hook (seen by no capture), so the server keeps retransmitting.  The
#   capture ends ~2.5 s later; the server is then killed.
sc_middlebox_rst() {
	setup
	cap_start client middlebox_rst
	spawn S $APP server --listen $S4 --port 5035 --sync-dir "$WORK" --ready "$WORK/sync.ready" \
		--ignore-errors recv:100 send:200 signal:s1 wait:go send:300 hold
	waitsig ready
	spawn cli --ignore-errors --port 5035 --bind-port 40035 send:100 recv:200 signal:c1 \
		wait:go2 send:100 sleep:3 close
	waitsig s1; waitsig c1
	sleep 0.1
	nft_rule $NSS input 'tcp dport 5035 tcp flags & psh == psh reject with tcp reset'
	nft_rule $NSC output 'tcp dport 5035 tcp flags & rst == rst counter drop'
	sig go2
	sleep 0.1
	sig go
	sleep 2.5
	cap_stop 0
	kill_bg
	check middlebox_rst "$HS $XCH >PA100 <R <PA300( <PA300){2,5}"
}

###########################################################################
# 36 syn_to_time_wait (issue 11 defect 10; client side captures)
#   Connection 1, 10.77.0.1:40036 -> 10.77.0.2:5036: handshake, data, the
#   CLIENT closes first (four-way close), so the client holds the 4-tuple in
#   TIME-WAIT and the server's socket is gone.  The server program closes its
#   listener, then (SO_REUSEADDR) binds 10.77.0.2:5036 again and connects
#   BACK to 10.77.0.1:40036.  Its SYN reaches the TIME-WAIT socket; nothing
#   listens on 40036, so Linux answers with an ACK of the old connection
#   (seq/ack of connection 1).  The SYN-SENT side finds that ACK
#   unacceptable (RFC 9293 3.10.7.3) and answers RST with seq = its ack,
#   which is exactly the TIME-WAIT side's RCV.NXT: the TIME-WAIT socket is
#   killed (net.ipv4.tcp_rfc1337=0, the default).  Linux then re-arms the
#   SYN timer to its minimum (tcp_rcv_synsent_state_process: "Previous
#   FIN/ACK or RST/ACK might be ignored"), so the SYN is sent again ~10 ms
#   later, not after the 1 s RTO; it finds no socket: RST-ACK, connect()
#   fails with ECONNREFUSED.
sc_syn_to_time_wait() {
	setup
	cap_start client syn_to_time_wait
	srv 5036 recv:100 send:200 eof sleep:0.3 close
	cli --port 5036 --bind-port 40036 send:100 recv:200 close
	wait_bg
	sleep 0.3
	S $APP client --connect $C4 --port 40036 --bind $S4 --bind-port 5036 \
		--expect-connect-error ECONNREFUSED
	cap_stop
	check syn_to_time_wait "$HS $XCH >FA <A <FA >A <S >A <R <S >RA"
}

###########################################################################
# 37 synack_retrans (issue 11 defect 11; server side captures)
#   The server's input hook drops the client's first pure ACK (the third
#   handshake segment; "quota until 60 bytes": the 52-byte ACK is under the
#   quota).  The capture in the server namespace still sees it (the packet
#   socket sees it before netfilter).  The server, still SYN-RECEIVED,
#   retransmits its SYN-ACK ~1 s later; the client (ESTABLISHED) answers
#   with a duplicate ACK, which passes and completes the server's side.  The
#   client waits 1.5 s before sending, so no data segment completes the
#   handshake first.  Then data and a four-way close (client first).
sc_synack_retrans() {
	setup
	nft_rule $NSS input 'tcp dport 5037 tcp flags == ack quota until 60 bytes counter drop'
	cap_start server synack_retrans
	srv 5037 recv:100 send:200 eof sleep:0.3 close
	cli --port 5037 --bind-port 40037 sleep:1.5 send:100 recv:200 close
	wait_bg
	cap_stop
	check synack_retrans ">S <SA >A <SA >A $XCH >FA <A <FA >A"
}

###########################################################################
# 38 final_ack_lost (issue 11 defect 11; server side captures)
#   Client-first close; the client's final ACK is dropped in the SERVER's
#   input hook (installed after the data exchange; "quota until 60 bytes"
#   drops one pure ACK), so the capture sees it but the server, still in
#   LAST-ACK, retransmits its FIN; the client (TIME-WAIT) ACKs it again and
#   that ACK passes: ... >FIN <ACK <FIN >ACK <FIN >ACK.
sc_final_ack_lost() {
	setup
	cap_start server final_ack_lost
	srv 5038 recv:100 send:200 eof sleep:0.3 close
	spawn cli --port 5038 --bind-port 40038 send:100 recv:200 signal:c1 wait:go close
	waitsig c1
	sleep 0.1
	nft_rule $NSS input 'tcp dport 5038 tcp flags == ack quota until 60 bytes counter drop'
	sig go
	wait_bg
	sleep 1
	cap_stop 0
	check final_ack_lost "$HS $XCH >FA <A <FA >A <FA >A"
}

###########################################################################
# 39 keepalive_race (issue 11 defect 12; server side captures)
#   HTTP keep-alive racing a server close: handshake, request, answer; the
#   server closes (FIN); the client's stack ACKs the FIN; 300 ms later the
#   client, which has not read the EOF yet, sends a second request.  The
#   server socket is closed (FIN-WAIT-2, orphaned), so new data is answered
#   with a RST (RFC 1122 4.2.2.13; Linux: data after close in FIN-WAIT-2):
#   a bare RST with seq = the data's ack.
sc_keepalive_race() {
	setup
	cap_start server keepalive_race
	srv 5039 recv:100 send:200 close
	cli --ignore-errors --port 5039 --bind-port 40039 send:100 recv:200 sleep:0.3 \
		send:100 sleep:0.3 recv:1 close
	wait_bg
	cap_stop
	check keepalive_race "$HS $XCH <FA >A >PA100 <R"
}

###########################################################################
# Scenarios 40 and up: behaviour the captures above do not show -- other
# capture points (the client's side of a lossy path, the middle namespace)
# and other kernel settings and socket options (tcp_rfc1337,
# tcp_abort_on_overflow, keepalive, a full receive buffer, TCP_USER_TIMEOUT).  tests/e2e-spec/*.case hold what the RFCs say about them.
#
# Some need socket options tcpapp.py has no action for.  xsock.py (written
# into $WORK by xsock_write) imports tcpapp.py and runs its actions, plus:
#   keepalive:IDLE:INTVL:CNT  SO_KEEPALIVE on, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT
#   usertimeout:MS            TCP_USER_TIMEOUT
#   server option --no-accept     listen and never accept (the connections
#                                 stay in the accept queue)
#   server option --rcvbuf N      SO_RCVBUF on the listener (inherited)
#   server option --close-after S with --no-accept: close the listener
#                                 after S seconds (its queue is reset)
#   server option --defer-accept S TCP_DEFER_ACCEPT on the listener
#   sendoob:N                 send N bytes with MSG_OOB (urgent data)
#   sendbulk:N                send N bytes 1 MB at a time (N may be GBs)
#   nodelay                   TCP_NODELAY (each write leaves at once)
#   sendtry:N:S               send N bytes; stop without error after S
#                             seconds without progress (window shut)

xsock_write() {
	cat >"$WORK/xsock.py" <<EOF
# SPDX-License-Identifier: GPL-2.0-or-later
import argparse, socket, sys, time
sys.path.insert(0, "$HERE")
import tcpapp

def extra(sock, act):
    name, _, arg = act.partition(":")
    if name == "keepalive":
        idle, intvl, cnt = (int(x) for x in arg.split(":"))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, intvl)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, cnt)
        return True
    if name == "sendoob":
        sock.send(b"U" * int(arg), socket.MSG_OOB)
        return True
    if name == "usertimeout":
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(arg))
        return True
    if name == "nodelay":
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return True
    if name == "sendtry":
        # send N bytes, giving up (not an error) once the peer's window has
        # stayed shut for S seconds: the rest stays unsent in the kernel
        n, wait = arg.split(":")
        sock.settimeout(float(wait))
        try:
            sock.sendall(b"T" * int(n))
        except socket.timeout:
            tcpapp.log("sendtry: window shut, rest unsent")
        sock.settimeout(None)
        return True
    if name == "sendbulk":
        left, chunk = int(arg), b"B" * (1 << 20)
        while left:
            n = min(left, len(chunk))
            sock.sendall(chunk[:n])
            left -= n
        return True
    return False

def run(sock, actions, args):
    for act in actions:
        if not extra(sock, act):
            tcpapp.run_actions(sock, [act], args)

p = argparse.ArgumentParser()
p.add_argument("cmd", choices=("server", "client"))
p.add_argument("--addr", required=True)
p.add_argument("--port", type=int, required=True)
p.add_argument("--bind-port", type=int, default=0)
p.add_argument("--backlog", type=int, default=16)
p.add_argument("--no-accept", action="store_true")
p.add_argument("--rcvbuf", type=int, default=0)
p.add_argument("--close-after", type=float, default=0.0)
p.add_argument("--defer-accept", type=int, default=0)
p.add_argument("--ready")
p.add_argument("--sync-dir")
p.add_argument("--ignore-errors", action="store_true")
p.add_argument("actions", nargs="*")
a = p.parse_intermixed_args()
fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if a.rcvbuf:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
if a.cmd == "server":
    if a.defer_accept:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, a.defer_accept)
    s.bind((a.addr, a.port))
    s.listen(a.backlog)
    if a.ready:
        tcpapp.touch(a.ready)
    if a.no_accept:
        if a.close_after:
            time.sleep(a.close_after)
            s.close()
            tcpapp.log("listener closed")
        while True:
            time.sleep(3600)
    conn, peer = s.accept()
    tcpapp.log("accepted %s" % (peer,))
    run(conn, a.actions, a)
else:
    if a.bind_port:
        s.bind(("", a.bind_port))
    s.connect((a.addr, a.port))
    run(s, a.actions, a)
EOF
}

###########################################################################
# 40 rfc1337_time_wait (client side captures; net.ipv4.tcp_rfc1337=1 in the
#   client namespace, the TIME-WAIT side; the server namespace has
#   tcp_syn_linear_timeouts=0 so its SYN retransmissions back off)
#   Scenario 36 again with RFC 1337's TIME-WAIT assassination fix on.
#   Connection 1: handshake, data, client-first four-way close; the client
#   holds the 4-tuple in TIME-WAIT.  The former server then connects back
#   from 5040 to 40040 with TCP_SYNCNT=2.  Its SYN reaches the TIME-WAIT
#   socket, which answers with an ACK of the old connection; the SYN-SENT
#   side answers that unacceptable ACK with RST seq = its ack.  With
#   tcp_rfc1337=1 the TIME-WAIT socket ignores the RST and stays: every SYN
#   retransmission (~10 ms, then ~1 s, ...) draws the same ACK and the same
#   RST, until connect() gives up with ETIMEDOUT.
sc_rfc1337_time_wait() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_rfc1337=1
	sysctl_ns $NSS net.ipv4.tcp_syn_linear_timeouts=0
	cap_start client rfc1337_time_wait
	srv 5040 recv:100 send:200 eof sleep:0.3 close
	cli --port 5040 --bind-port 40040 send:100 recv:200 close
	wait_bg
	sleep 0.3
	S $APP client --connect $C4 --port 40040 --bind $S4 --bind-port 5040 \
		--syncnt 2 --expect-connect-error ETIMEDOUT
	cap_stop
	check rfc1337_time_wait "$HS $XCH >FA <A <FA >A( <S >A <R){3,5}"
}

###########################################################################
# 41 accept_overflow (server side captures; net.ipv4.tcp_abort_on_overflow=1
#   in the server namespace)
#   The listener has backlog 0 and never calls accept().  Connection A
#   (40041): SYN, SYN-ACK, and its third ACK is dropped in the server's
#   input hook ("quota until 60 bytes"; the capture still sees it), so A
#   stays a request in SYN-RECEIVED.  Connection B (40141), 200 ms later:
#   the request queue already holds A, which for backlog 0 counts as full,
#   so B gets a SYN cookie; B's ACK creates its socket, which fills the
#   accept queue.  ~1 s after A's SYN the server retransmits A's SYN-ACK;
#   A's client (ESTABLISHED since frame 2) answers with a duplicate ACK;
#   now the accept queue is full, and with tcp_abort_on_overflow=1 Linux
#   answers that ACK with a RST (seq = the ACK's ack) and forgets A.  A's
#   client learns of it only then.
sc_accept_overflow() {
	setup
	xsock_write
	sysctl_ns $NSS net.ipv4.tcp_abort_on_overflow=1
	nft_rule $NSS input 'tcp dport 5041 tcp sport 40041 tcp flags == ack quota until 60 bytes counter drop'
	cap_start server accept_overflow
	spawn S $PY "$WORK/xsock.py" server --addr $S4 --port 5041 --backlog 0 --no-accept \
		--ready "$WORK/ready.5041"
	wait_file "$WORK/ready.5041"
	spawn cli --ignore-errors --port 5041 --bind-port 40041 hold
	sleep 0.2
	spawn cli --ignore-errors --port 5041 --bind-port 40141 hold
	sleep 1.5
	cap_stop 0
	# The counters that show B's cookie and the overflow.
	S nstat -az TcpExtSyncookiesSent TcpExtListenOverflows TcpExtListenDrops >&2
	kill_bg
	check accept_overflow "$HS >S <SA >A <SA >A <R"
}

###########################################################################
# 42 keepalive (server side captures)
#   Handshake, 100 bytes up, 200 down.  The client then sets SO_KEEPALIVE
#   with TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT 2 and stays idle.
#   Each keepalive probe is a pure ACK with seq = SND.NXT - 1 (one byte
#   below the server's window, no data; RFC 1122 4.2.3.6); the server
#   answers each with an ACK of its RCV.NXT.  After two answered probes
#   (~1 s apart) the server namespace drops everything the server sends
#   (output hook: unseen), so the next probes go unanswered; after
#   TCP_KEEPCNT unanswered probes the client's stack gives up and sends a
#   RST-ACK (seq = SND.NXT), and recv() fails with ETIMEDOUT.
sc_keepalive() {
	setup
	xsock_write
	cap_start server keepalive
	srv 5042 --ignore-errors recv:100 send:200 eof close
	spawn C $PY "$WORK/xsock.py" client --addr $S4 --port 5042 --bind-port 40042 \
		--sync-dir "$WORK" --ignore-errors send:100 recv:200 keepalive:1:1:2 signal:c1 recv:1 close
	waitsig c1
	sleep 2.5
	nft_rule $NSS output 'tcp sport 5042 counter drop'
	wait_bg
	cap_stop
	check keepalive "$HS $XCH >A <A >A <A >A >A >RA"
}

###########################################################################
# 43 zero_window (server side captures)
#   The server's socket has SO_RCVBUF 4096 (set on the listener, inherited)
#   and its program does not read for 2 s; the client writes 40000 bytes and
#   closes.  The server's window shrinks to 0 (ACKs with window 0); the
#   client's persist timer sends zero-window probes (Linux: a pure ACK with
#   seq = SND.UNA - 1, no data) with backoff, each answered by an ACK that
#   still shows window 0.  Then the server reads everything: a window update
#   opens the window, the rest of the data and the client's FIN follow, the
#   server reads EOF and closes.
sc_zero_window() {
	setup
	xsock_write
	cap_start server zero_window
	spawn S $PY "$WORK/xsock.py" server --addr $S4 --port 5043 --rcvbuf 4096 \
		--sync-dir "$WORK" --ready "$WORK/ready.5043" sleep:2 eof close
	wait_file "$WORK/ready.5043"
	cli --port 5043 --bind-port 40043 send:40000 close
	wait_bg
	cap_stop
	check zero_window "$HS( >P?A[0-9]+| <A)+( >A( <A)?){2,}( >P?A[0-9]+| <A)+ >FP?A[0-9]* <A <FA >A"
}

###########################################################################
# 44 client_retrans (CLIENT side captures; the server's lost ACKs are
#   dropped in the server's output hook, so no capture sees them)
#   "quota until 60 bytes" drops the server's first pure ACK: the ACK of
#   the client's 100 bytes.  The server waits 1 s before answering, so the
#   client retransmits the 100 bytes after its RTO (~200 ms); the server
#   ACKs the duplicate (with a D-SACK block).  Then the 200-byte answer,
#   ACK.  The rule is re-armed: the client's FIN-ACK is acknowledged by the
#   server (from CLOSE-WAIT), that ACK is dropped, the client retransmits
#   its FIN after the RTO and the server ACKs it again; the server closes
#   1 s after EOF: FIN-ACK, ACK.
sc_client_retrans() {
	setup
	local rule='tcp sport 5044 tcp flags == ack quota until 60 bytes counter drop'
	nft_rule $NSS output "$rule"
	cap_start client client_retrans
	srv 5044 recv:100 sleep:1 send:200 eof sleep:1 close
	spawn cli --port 5044 --bind-port 40044 send:100 recv:200 signal:c1 wait:go close
	waitsig c1
	sleep 0.2
	S nft delete table inet t
	nft_rule $NSS output "$rule"
	sig go
	wait_bg
	cap_stop
	check client_retrans "$HS >PA100 >PA100 <A <PA200 >A >FA >FA <A <FA >A"
}

###########################################################################
# 45 fin_data_cross (client side captures; relay in the middle holds the
#   first FIN of each direction until both are sent)
#   Handshake; then both programs, at the same moment, write 100 bytes with
#   MSG_MORE and shutdown(SHUT_WR): each side's data rides on its FIN
#   (FIN-ACK with 100 bytes), the two cross (neither acknowledges the
#   other's data or FIN), then each side, in CLOSING, acknowledges the
#   peer's data and FIN: ACK, ACK; both read EOF, close, end in TIME-WAIT.
sc_fin_data_cross() {
	setup relay
	start_relay fin
	cap_start client fin_data_cross
	spawn S $APP server --listen $S4 --port 5045 --sync-dir "$WORK" --ready "$WORK/sync.ready" \
		signal:s1 wait:go sendmore:100 shut_wr eof close
	waitsig ready
	spawn cli --port 5045 --bind-port 40045 signal:c1 wait:go sendmore:100 shut_wr eof close
	waitsig s1; waitsig c1
	sleep 0.2
	sig go
	wait_bg
	cap_stop
	check fin_data_cross "$HS >FP?A100 <FP?A100 (>A <A|<A >A)"
}

###########################################################################
# 46 refused_retry (server side captures)
#   The client binds 40046 and connects to port 5046 where nothing listens:
#   SYN, RST-ACK, ECONNREFUSED.  The server then starts listening and, 300 ms
#   after the refusal, the client binds the SAME port again (SO_REUSEADDR)
#   and connects: a new connection on the 4-tuple that was just refused
#   (new ISN), data, four-way close (client first).
sc_refused_retry() {
	setup
	cap_start server refused_retry
	cli --port 5046 --bind-port 40046 --expect-connect-error ECONNREFUSED
	srv 5046 recv:100 send:200 eof sleep:0.3 close
	sleep 0.3
	cli --port 5046 --bind-port 40046 send:100 recv:200 close
	wait_bg
	cap_stop
	check refused_retry ">S <RA $HS $XCH >FA <A <FA >A"
}

###########################################################################
# 47 fin_data_cross_close (client side captures; relay as in 45)
#   As fin_data_cross, but both programs close() instead of shutdown: each
#   FIN-with-data then arrives at a socket whose application has closed.
#   Linux applies RFC 1122 4.2.2.13 (data received after CLOSE: send RST):
#   each side, in FIN-WAIT-1, answers the peer's data with a bare RST whose
#   seq is the data segment's ack (its own SND.UNA, not SND.NXT) and drops
#   the connection; each RST then finds no socket and is ignored.
sc_fin_data_cross_close() {
	setup relay
	start_relay fin
	cap_start client fin_data_cross_close
	spawn S $APP server --listen $S4 --port 5047 --sync-dir "$WORK" --ready "$WORK/sync.ready" \
		signal:s1 wait:go sendmore:100 close
	waitsig ready
	spawn cli --port 5047 --bind-port 40047 signal:c1 wait:go sendmore:100 close
	waitsig s1; waitsig c1
	sleep 0.2
	sig go
	wait_bg
	cap_stop
	check fin_data_cross_close "$HS >FA100 <FA100 (>R <R|<R >R)"
}

###########################################################################
# 48 user_timeout (CLIENT side captures)
#   Handshake, 100 bytes up, 200 down.  The client sets TCP_USER_TIMEOUT
#   1500 ms; then the server's input hook drops every client segment with
#   PSH (data), and the client sends 100 bytes: it retransmits them with
#   backoff (seen: 0.21, 0.42, 0.84, 1.67 s after the first send) and then
#   gives up silently (recv() fails with ETIMEDOUT; Linux sends no RST when
#   a retransmission timeout kills a connection).  The rule is removed; 2.5 s after the first send
#   the server, which never saw those bytes and still believes the
#   connection open, sends 100 bytes; the client's stack has no socket and
#   answers with a bare RST (seq = the data's ack).
sc_user_timeout() {
	setup
	xsock_write
	cap_start client user_timeout
	srv 5048 --ignore-errors recv:100 send:200 signal:s1 wait:go send:100 sleep:0.5 close
	spawn C $PY "$WORK/xsock.py" client --addr $S4 --port 5048 --bind-port 40048 \
		--sync-dir "$WORK" --ignore-errors send:100 recv:200 usertimeout:1500 \
		signal:c1 wait:go1 send:100 recv:1 close
	waitsig s1; waitsig c1
	nft_rule $NSS input 'tcp dport 5048 tcp flags & psh == psh counter drop'
	sig go1
	sleep 2.5
	S nft delete table inet t
	sig go
	wait_bg
	cap_stop
	check user_timeout "$HS $XCH >PA100( >PA100){2,4} <PA100 >R"
}

###########################################################################
# 49 rst_lost_downstream (capture in the MIDDLE namespace, on the relay's
#   client-facing interface; relay without holding)
#   Handshake, 100 bytes up, 200 down; the server aborts (SO_LINGER 0):
#   its RST-ACK passes the middle (captured) and is dropped in the client's
#   input hook ("quota until 60 bytes": only that one), so the client still
#   believes the connection open.  300 ms later the client sends 100 bytes;
#   the server's stack has no socket and answers with a bare RST, which
#   passes.  A capture at either end would show something else: at the
#   client no first RST, at the server the same as here.
cap_start_middle() {
	CAPNAME=$1
	rm -f "$WORK/$1.pcap" "$WORK/$1.err"
	ip netns exec $NSM dumpcap -q -P -i mc -s 2048 -f "tcp or icmp" \
		-w "$WORK/$1.pcap" 2>"$WORK/$1.err" &
	CAPPID=$!
	local i
	for i in $(seq 1 500); do
		grep -q "Capturing on" "$WORK/$1.err" 2>/dev/null && break
		sleep 0.01
	done
	grep -q "Capturing on" "$WORK/$1.err" || { cat "$WORK/$1.err" >&2; return 1; }
	sleep 0.2
}
sc_rst_lost_downstream() {
	setup relay
	start_relay none
	cap_start_middle rst_lost_downstream
	srv 5049 recv:100 send:200 wait:go linger0 close
	spawn cli --ignore-errors --port 5049 --bind-port 40049 send:100 recv:200 signal:c1 \
		wait:go2 send:100 sleep:0.3 recv:1 close
	waitsig c1
	sleep 0.1
	nft_rule $NSC input 'tcp sport 5049 tcp flags & rst == rst quota until 60 bytes counter drop'
	sig go
	sleep 0.3
	sig go2
	wait_bg
	cap_stop
	check rst_lost_downstream "$HS $XCH <RA >PA100 <R"
}

###########################################################################
# 50 ipv6_keepalive_race: scenario 39 (keepalive_race) over IPv6, server
#   side: the server closes, the client ACKs the FIN, then sends 100 bytes;
#   the orphaned FIN-WAIT-2 socket answers with a bare RST.
sc_ipv6_keepalive_race() {
	setup
	cap_start server ipv6_keepalive_race
	srv6 5050 recv:100 send:200 close
	cli6 --ignore-errors --port 5050 --bind-port 40050 send:100 recv:200 sleep:0.3 \
		send:100 sleep:0.3 recv:1 close
	wait_bg
	cap_stop
	check ipv6_keepalive_race "$HS $XCH <FA >A >PA100 <R"
}

###########################################################################
# Scenarios 51-53 turn the review's open findings on defects 8-11 (end of
# tests/e2e-spec/README.md) into real captures.

###########################################################################
# 51 reverse_syn_listener (review F4; client side captures)
#   Scenario 36 with a listener: connection 1 (40051 -> 5051) closes client
#   first, so the client holds the 4-tuple in TIME-WAIT.  Then a program in
#   the client namespace listens on 10.77.0.1:40051 (SO_REUSEADDR: the
#   TIME-WAIT socket does not block the bind) and the former server
#   connects back from 5051.  Its SYN has a newer timestamp than the
#   TIME-WAIT socket's last one (Linux's timestamp offset depends on the
#   addresses only), so tcp_timewait_state_process accepts it as a new
#   connection (TCP_TW_SYN): the TIME-WAIT socket is killed and the
#   listener answers with a SYN-ACK.  Handshake, 100 bytes, 200 bytes,
#   four-way close started by the new client (10.77.0.2).
sc_reverse_syn_listener() {
	setup
	cap_start client reverse_syn_listener
	srv 5051 recv:100 send:200 eof sleep:0.3 close
	cli --port 5051 --bind-port 40051 send:100 recv:200 close
	wait_bg
	sleep 0.3
	spawn C $APP server --listen $C4 --port 40051 --sync-dir "$WORK" \
		--ready "$WORK/ready.40051" recv:100 send:200 eof sleep:0.3 close
	wait_file "$WORK/ready.40051"
	S $APP client --connect $C4 --port 40051 --bind $S4 --bind-port 5051 \
		send:100 recv:200 close
	wait_bg
	cap_stop
	check reverse_syn_listener "$HS $XCH >FA <A <FA >A <S >SA <A <PA100 >A >PA200 <A <FA >A >FA <A"
}

###########################################################################
# 52 tfo_server_off (review F6; server side captures)
#   The client sends data in its SYN without a cookie (tcp_fastopen=0x5),
#   the server has Fast Open off (tcp_fastopen=0, no TCP_FASTOPEN on the
#   listener): the server ignores the SYN's 100 bytes and its SYN-ACK
#   acknowledges ISN + 1 only.  The client's stack then sends the 100 bytes
#   again (tcp_rcv_fastopen_synack retransmits unacknowledged SYN data);
#   that segment also completes the handshake.  Answer, four-way close.
sc_tfo_server_off() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_fastopen=0x5
	sysctl_ns $NSS net.ipv4.tcp_fastopen=0
	cap_start server tfo_server_off
	srv 5052 recv:100 send:200 eof sleep:0.3 close
	cli --port 5052 --bind-port 40052 --fastopen send:100 recv:200 close
	wait_bg
	cap_stop
	check tfo_server_off ">S100 <SA( >A)? >PA100 <A <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 53 fin_ack_crossed (review F2; CLIENT side captures; relay in the middle)
#   Client-first close.  Once the server's FIN has passed the relay, the
#   relay holds every frame from the client for 300 ms (longer than the
#   server's ~200 ms retransmission timeout): the client's final ACK is
#   late, not lost.  The server, in LAST-ACK, resends its FIN; the client,
#   in TIME-WAIT, acknowledges it again.  The first final ACK then reaches
#   the server, which closes (LAST-ACK -> CLOSED, no TCB left); the second
#   finds no socket and is answered by a RST with seq = its ack, which
#   reaches the client's TIME-WAIT socket at exactly its RCV.NXT.
sc_fin_ack_crossed() {
	setup relay
	start_relay none --delay-after-fin 0.3
	cap_start client fin_ack_crossed
	srv 5053 recv:100 send:200 eof sleep:0.3 close
	cli --port 5053 --bind-port 40053 send:100 recv:200 close
	wait_bg
	sleep 1.2
	cap_stop 0
	check fin_ack_crossed "$HS $XCH >FA <A <FA >A <FA >A <R"
}

###########################################################################
# Scenarios 54 and up: more behaviour the model was not designed from
# (kernel timers and settings, SO_LINGER in other states, a routed path
# captured on the router).  tests/e2e-spec/README.md and tests/e2e hold the
# RFC expectations.

###########################################################################
# 54 fin_timeout (server side captures; net.ipv4.tcp_fin_timeout=1 on the
#   server)
#   The server answers and closes at once; the client's stack ACKs the FIN
#   (server orphaned in FIN-WAIT-2).  Linux keeps an orphaned FIN-WAIT-2
#   socket only tcp_fin_timeout seconds; the client closes 2.5 s later, so
#   its FIN finds no socket and is answered by a bare RST (seq = the FIN's
#   ack), which ends the client's LAST-ACK.
sc_fin_timeout() {
	setup
	sysctl_ns $NSS net.ipv4.tcp_fin_timeout=1
	cap_start server fin_timeout
	srv 5054 recv:100 send:200 close
	cli --ignore-errors --port 5054 --bind-port 40054 send:100 recv:200 eof sleep:2.5 close
	wait_bg
	sleep 0.3
	cap_stop
	check fin_timeout "$HS $XCH <FA >A >FA <R"
}

###########################################################################
# 55 linger0_fin_wait2 (server side captures)
#   The client shutdown(SHUT_WR)s after the exchange (FIN, ACKed: client
#   FIN-WAIT-2, server CLOSE-WAIT), then sets SO_LINGER {1,0} and closes
#   300 ms later: an abort from FIN-WAIT-2, a RST-ACK with seq = its
#   SND.NXT (the FIN + 1).
sc_linger0_fin_wait2() {
	setup
	cap_start server linger0_fin_wait2
	srv 5055 --ignore-errors recv:100 send:200 eof sleep:1 close
	cli --port 5055 --bind-port 40055 send:100 recv:200 shut_wr sleep:0.3 linger0 close
	wait_bg
	cap_stop
	check linger0_fin_wait2 "$HS $XCH >FA <A >RA"
}

###########################################################################
# 56 linger0_unsent (server side captures)
#   The server's socket has SO_RCVBUF 4096 and does not read; the client
#   writes 12000 bytes, which fill the server's window (window 0) with most
#   of them still unsent, then sets SO_LINGER {1,0}, shutdown(SHUT_WR)s
#   (FIN-WAIT-1 with the FIN queued behind the unsent data: it never goes
#   out) and closes 600 ms later: RST-ACK, no FIN on the wire.
sc_linger0_unsent() {
	setup
	xsock_write
	cap_start server linger0_unsent
	spawn S $PY "$WORK/xsock.py" server --addr $S4 --port 5056 --rcvbuf 4096 \
		--sync-dir "$WORK" --ready "$WORK/ready.5056" --ignore-errors sleep:2 eof close
	wait_file "$WORK/ready.5056"
	cli --port 5056 --bind-port 40056 send:12000 sleep:0.1 linger0 shut_wr sleep:0.6 close
	wait_bg
	cap_stop
	check linger0_unsent "$HS( >P?A[0-9]+| <A| >A)+ >RA"
}

###########################################################################
# 57 listener_close_queue (server side captures)
#   The listener never accepts and closes 800 ms after it started: A
#   (40057) connects and sends 100 bytes (ACKed by the kernel), B (40157)
#   connects and sends nothing; both sit in the accept queue.  Closing the
#   listener resets every queued connection: RST-ACK to A and to B.
sc_listener_close_queue() {
	setup
	xsock_write
	cap_start server listener_close_queue
	spawn S $PY "$WORK/xsock.py" server --addr $S4 --port 5057 --no-accept --close-after 0.8 \
		--ready "$WORK/ready.5057"
	wait_file "$WORK/ready.5057"
	rm -f "$WORK/ready.5057"
	spawn cli --ignore-errors --port 5057 --bind-port 40057 send:100 recv:1 close
	sleep 0.1
	spawn cli --ignore-errors --port 5057 --bind-port 40157 recv:1 close
	sleep 1.5
	cap_stop 0
	kill_bg
	check listener_close_queue "$HS >PA100 <A $HS <RA <RA"
}

###########################################################################
# 58 keepalive_vanish (CLIENT side captures)
#   Client SO_KEEPALIVE idle 1 s, interval 1 s, count 5.  The first probe
#   is answered; then the server's input hook drops everything from the
#   client (the peer "vanishes"): two probes go unanswered; then the rule
#   becomes "reject with tcp reset": the next probe is answered by a RST in
#   the server's name (seq = the probe's ack), which the client accepts
#   (recv() fails with ECONNRESET).  The server socket itself is never told
#   (its program holds it open until the capture ends).
sc_keepalive_vanish() {
	setup
	xsock_write
	cap_start client keepalive_vanish
	srv 5058 --ignore-errors recv:100 send:200 hold
	spawn C $PY "$WORK/xsock.py" client --addr $S4 --port 5058 --bind-port 40058 \
		--sync-dir "$WORK" --ignore-errors send:100 recv:200 keepalive:1:1:5 signal:c1 recv:1 close
	waitsig c1
	sleep 1.5
	nft_rule $NSS input 'tcp dport 5058 counter drop'
	sleep 2
	S nft delete table inet t
	nft_rule $NSS input 'tcp dport 5058 reject with tcp reset'
	sleep 1.2
	cap_stop 0
	kill_bg
	check keepalive_vanish "$HS $XCH >A <A >A >A >A <R"
}

###########################################################################
# 59 tw_reuse (server side captures; net.ipv4.tcp_tw_reuse=1 on the client)
#   Connection 1 closes client first: the client holds 40059 in TIME-WAIT.
#   1.2 s later the client binds 40059 again and connects to the same
#   server port: with tcp_tw_reuse=1 (timestamps on, the TIME-WAIT older
#   than 1 s) Linux takes over its own TIME-WAIT 4-tuple for an ACTIVE open,
#   with ISN = the old SND.NXT + 65537.  The server, CLOSED since the final
#   ACK, sees an ordinary SYN.  Second full connection.
sc_tw_reuse() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_tw_reuse=1
	cap_start server tw_reuse
	srv 5059 --count 2 recv:100 send:200 eof sleep:0.3 close
	cli --port 5059 --bind-port 40059 send:100 recv:200 close
	sleep 1.2
	cli --port 5059 --bind-port 40059 send:100 recv:200 close
	wait_bg
	cap_stop
	check tw_reuse "$HS $XCH >FA <A <FA >A $HS $XCH >FA <A <FA >A"
}

###########################################################################
# 60 synack_lost_router (capture on a ROUTER namespace, its client-facing
#   interface; routed path: client 10.77.1.1/24 -- router 10.77.1.254 /
#   10.77.2.254 -- server 10.77.2.1/24; TTL 63 on forwarded packets)
#   The first SYN-ACK passes the router (captured) and is dropped at the
#   client's input ("quota until 70 bytes": that one only).  The client,
#   still SYN-SENT, resends its SYN after its 1 s RTO; the server's own
#   1 s SYN-ACK timer expires in the same jiffy (the two segments pass the
#   router 2 us apart; the check wants the SYN-ACK first, the order the
#   committed capture and its cases have), so the resent SYN-ACK crosses
#   the SYN:
#   the client ACKs it (ESTABLISHED); the server, still SYN-RECEIVED when
#   the duplicate SYN arrives, answers it with its SYN-ACK once more (RFC
#   9293 3.10.7.4 asks for a plain ACK), then takes the ACK; the client
#   ACKs the third SYN-ACK as a duplicate.  Data, four-way close.
setup_router() {
	teardown
	rm -f "$WORK"/sync.*
	RELAY=0
	local ns
	for ns in $NSC $NSS $NSM; do
		ip netns add $ns
		ip netns exec $ns ip link set lo up
	done
	ip link add name vc netns $NSC type veth peer name rc netns $NSM
	ip link add name vs netns $NSS type veth peer name rs netns $NSM
	C $APP nooffload vc
	S $APP nooffload vs
	ip netns exec $NSM $APP nooffload rc
	ip netns exec $NSM $APP nooffload rs
	C ip addr add 10.77.1.1/24 dev vc
	S ip addr add 10.77.2.1/24 dev vs
	ip netns exec $NSM ip addr add 10.77.1.254/24 dev rc
	ip netns exec $NSM ip addr add 10.77.2.254/24 dev rs
	C ip link set vc up
	S ip link set vs up
	ip netns exec $NSM ip link set rc up
	ip netns exec $NSM ip link set rs up
	C ip route add default via 10.77.1.254
	S ip route add default via 10.77.2.254
	ip netns exec $NSM sysctl -qw net.ipv4.ip_forward=1
	# static neighbours: no ARP in the capture, no first-packet delay
	C ip neigh replace 10.77.1.254 lladdr "$(mac_of $NSM rc)" dev vc nud permanent
	S ip neigh replace 10.77.2.254 lladdr "$(mac_of $NSM rs)" dev vs nud permanent
	ip netns exec $NSM ip neigh replace 10.77.1.1 lladdr "$(mac_of $NSC vc)" dev rc nud permanent
	ip netns exec $NSM ip neigh replace 10.77.2.1 lladdr "$(mac_of $NSS vs)" dev rs nud permanent
	sleep 0.3
}
cap_start_router() {
	CAPNAME=$1
	rm -f "$WORK/$1.pcap" "$WORK/$1.err"
	ip netns exec $NSM dumpcap -q -P -i rc -s 2048 -f "tcp or icmp" \
		-w "$WORK/$1.pcap" 2>"$WORK/$1.err" &
	CAPPID=$!
	local i
	for i in $(seq 1 500); do
		grep -q "Capturing on" "$WORK/$1.err" 2>/dev/null && break
		sleep 0.01
	done
	grep -q "Capturing on" "$WORK/$1.err" || { cat "$WORK/$1.err" >&2; return 1; }
	sleep 0.2
}
sc_synack_lost_router() {
	local C4=10.77.1.1 S4=10.77.2.1
	setup_router
	nft_rule $NSC input 'tcp sport 5060 tcp flags & (syn|ack) == syn|ack quota until 70 bytes counter drop'
	cap_start_router synack_lost_router
	srv 5060 recv:100 send:200 eof sleep:0.3 close
	cli --port 5060 --bind-port 40060 send:100 recv:200 close
	wait_bg
	cap_stop
	check synack_lost_router ">S <SA <SA >S >A <SA >A $XCH >FA <A <FA >A"
}

###########################################################################
# 61 no_options (server side captures; tcp_timestamps=0, tcp_sack=0,
#   tcp_window_scaling=0 in both namespaces)
#   SYNs carry only MSS.  The client's 100 bytes are dropped once at the
#   server's input (seen here; "quota until 160 bytes" on segments with
#   PSH); the client resends them after its RTO; ACK, answer, four-way
#   close (client first).
sc_no_options() {
	setup
	local ns
	for ns in $NSC $NSS; do
		sysctl_ns $ns net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0 \
			net.ipv4.tcp_window_scaling=0
	done
	nft_rule $NSS input 'tcp dport 5061 tcp flags & psh == psh quota until 160 bytes counter drop'
	cap_start server no_options
	srv 5061 recv:100 send:200 eof sleep:0.3 close
	cli --port 5061 --bind-port 40061 send:100 recv:200 close
	wait_bg
	cap_stop
	check no_options ">S <SA >A >PA100 >PA100 <A <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 62 shut_rd (server side captures)
#   The server shutdown(SHUT_RD)s right after accepting and then sleeps;
#   the client sends 100 bytes 300 ms later.  SHUT_RD sends nothing; the
#   data still arrives and is ACKed by the kernel.  The server closes
#   500 ms later; how Linux treats the unread data then is what this
#   capture shows.
sc_shut_rd() {
	setup
	cap_start server shut_rd
	srv 5062 --ignore-errors shut_rd sleep:0.8 close
	cli --ignore-errors --port 5062 --bind-port 40062 sleep:0.3 send:100 sleep:1 eof close
	wait_bg
	cap_stop
	check shut_rd "$HS >PA100 <A .*"
}

###########################################################################
# 63 pmtu_router (CLIENT side captures; routed path as in 60, the router's
#   server-facing interface has MTU 1280)
#   The client sends 3000 bytes in 1448-byte segments with DF set; the
#   router cannot forward them and answers each with ICMP "fragmentation
#   needed" (type 3 code 4, next-hop MTU 1280); the client lowers its MSS
#   and sends the bytes again in segments that fit.  The server answers 200
#   bytes; four-way close (client first).
sc_pmtu_router() {
	local C4=10.77.1.1 S4=10.77.2.1
	setup_router
	ip netns exec $NSM ip link set rs mtu 1280
	cap_start client pmtu_router
	srv 5063 recv:3000 send:200 eof sleep:0.3 close
	cli --port 5063 --bind-port 40063 send:3000 recv:200 close
	wait_bg
	cap_stop
	check pmtu_router "$HS( >P?A[0-9]+| <ICMP3| <A)+ <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 64 icmp_established (CLIENT side captures)
#   After the exchange the server's host rejects the client's data with
#   ICMP port unreachable (nftables "reject with icmp type
#   port-unreachable" in its input hook): each transmission of the next
#   100 bytes draws an ICMP error.  An established Linux socket keeps such
#   an error as a soft error and retransmits (RFC 1122 4.2.3.9, RFC 5461).
#   After 1 s the rule is removed: the next retransmission is ACKed and the
#   connection closes normally (client first).
sc_icmp_established() {
	setup
	cap_start client icmp_established
	srv 5064 recv:100 send:200 recv:100 eof sleep:0.3 close
	spawn cli --port 5064 --bind-port 40064 send:100 recv:200 signal:c1 wait:go send:100 \
		sleep:1.5 close
	waitsig c1
	sleep 0.1
	nft_rule $NSS input 'tcp dport 5064 tcp flags & psh == psh reject with icmp type port-unreachable'
	sig go
	sleep 1
	S nft delete table inet t
	wait_bg
	cap_stop
	check icmp_established "$HS $XCH( >PA100 <ICMP3){2,4} >PA100 <A >FA <A <FA >A"
}

###########################################################################
# 65 net_unreach_router (CLIENT side captures; routed path as in 60)
#   The client connects to 10.77.9.9, for which the router has no route:
#   the router answers each SYN with ICMP net unreachable (type 3 code 0,
#   from 10.77.1.254).  The first arrives while connect() still holds the
#   socket (kept as a soft error); the SYN is sent again after 1 s, and its
#   ICMP error ends the attempt (ENETUNREACH).  3 s later the client sends
#   the router one ICMP echo request (python raw socket; the request and
#   its reply close the capture): no SYN in
#   between (a SYN-SENT socket would resend it ~1 s later, the linear SYN
#   timeouts of 6.x kernels) shows the attempt is over.
sc_net_unreach_router() {
	local C4=10.77.1.1 S4=10.77.2.1
	setup_router
	cap_start client net_unreach_router
	C $APP client --connect 10.77.9.9 --port 5065 --bind-port 40065 \
		--expect-connect-error ENETUNREACH
	sleep 3
	C $PY -c '
import socket, struct
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xFFFF) + (s >> 16)
    return ~(s + (s >> 16)) & 0xFFFF
echo = struct.pack("!BBHHH", 8, 0, 0, 0x7473, 1) + b"tcpstate"
echo = echo[:2] + struct.pack("!H", csum(echo)) + echo[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1)
s.sendto(echo, ("10.77.1.254", 0))
s.recv(1500)
'
	cap_stop
	check net_unreach_router ">S <ICMP3 >S <ICMP3 >ICMP8 <ICMP0"
}

###########################################################################
# 66 synrecv_rst (server side captures)
#   The client's input hook drops the first SYN-ACK ("quota until 70
#   bytes"; the capture here sees it).  The client program uses a
#   non-blocking connect() and closes the socket 200 ms later, still in
#   SYN-SENT: Linux sends nothing.  The server's SYN-ACK retransmission
#   (~1 s) then finds no socket: the client's stack answers with a bare RST
#   (seq = the SYN-ACK's ack), which returns the server's request to
#   nothing (SYN-RECEIVED -> LISTEN in RFC terms).
sc_synrecv_rst() {
	setup
	nft_rule $NSC input 'tcp sport 5066 tcp flags & (syn|ack) == syn|ack quota until 70 bytes counter drop'
	cap_start server synrecv_rst
	spawn S $APP server --listen $S4 --port 5066 --ready "$WORK/ready.5066" hold
	wait_file "$WORK/ready.5066"
	rm -f "$WORK/ready.5066"
	C $PY -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 40066))
s.setblocking(False)
try:
    s.connect(("'$S4'", 5066))
except BlockingIOError:
    pass
time.sleep(0.2)
s.close()
'
	sleep 1.5
	cap_stop 0
	kill_bg
	check synrecv_rst ">S <SA <SA >R"
}

###########################################################################
# 67 fin_ack_crossed_server: scenario 53 (fin_ack_crossed) captured on the
#   SERVER side: the server's FIN, its resend ~200 ms later, then the two
#   late final ACKs (300 ms relay delay), the second answered by a RST.
sc_fin_ack_crossed_server() {
	setup relay
	start_relay none --delay-after-fin 0.3
	cap_start server fin_ack_crossed_server
	srv 5067 recv:100 send:200 eof sleep:0.3 close
	cli --port 5067 --bind-port 40067 send:100 recv:200 close
	wait_bg
	sleep 1.2
	cap_stop 0
	check fin_ack_crossed_server "$HS $XCH >FA <A <FA <FA >A >A <R"
}

###########################################################################
# 68 urgent_data (server side captures)
#   After the handshake the client sends 10 ordinary bytes, then 1 byte
#   with MSG_OOB (URG flag, urgent pointer), then 10 more; the server reads
#   and answers 200 bytes; four-way close (client first).  (The shape has no
#   letter for URG: the 1-byte segment shows as >PA1.)
sc_urgent_data() {
	setup
	xsock_write
	cap_start server urgent_data
	srv 5068 recv:20 send:200 eof sleep:0.3 close
	C $PY "$WORK/xsock.py" client --addr $S4 --port 5068 --bind-port 40068 \
		send:10 sleep:0.05 sendoob:1 sleep:0.05 send:10 recv:200 close
	wait_bg
	cap_stop
	check urgent_data "$HS >PA10 <A >PA1 <A >PA10 <A <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 69 defer_accept (server side captures)
#   The listener has TCP_DEFER_ACCEPT 1 s: Linux ignores the pure ACK that
#   completes the handshake (the request stays in SYN-RECEIVED) and waits
#   for data.  The client sends its 100 bytes only 1.5 s later, so the
#   server first resends its SYN-ACK (~1 s) and the client ACKs it again
#   (ignored too); the data segment then creates the connection.  Answer,
#   four-way close.
sc_defer_accept() {
	setup
	xsock_write
	cap_start server defer_accept
	spawn S $PY "$WORK/xsock.py" server --addr $S4 --port 5069 --defer-accept 1 \
		--ready "$WORK/ready.5069" recv:100 send:200 eof sleep:0.3 close
	wait_file "$WORK/ready.5069"
	rm -f "$WORK/ready.5069"
	cli --port 5069 --bind-port 40069 sleep:1.5 send:100 recv:200 close
	wait_bg
	cap_stop
	check defer_accept ">S <SA >A <SA >A >PA100 <A <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 70 syn_to_server_time_wait (server side captures)
#   Scenario 36 in the forward direction: the SERVER closes first, so the
#   server holds 10.77.0.2:5070 <-> 10.77.0.1:40070 in TIME-WAIT, and its
#   program closes the listener.  300 ms later the client binds 40070 again
#   and connects to 5070: its SYN reaches the TIME-WAIT socket; no listener,
#   so Linux answers with an ACK of the old connection; the SYN-SENT client
#   answers that unacceptable ACK with RST seq = its ack = the TIME-WAIT
#   side's RCV.NXT, which kills the TIME-WAIT (tcp_rfc1337=0); the SYN goes
#   again ~10 ms later and meets no socket: RST-ACK, ECONNREFUSED.
sc_syn_to_server_time_wait() {
	setup
	cap_start server syn_to_server_time_wait
	srv 5070 recv:100 send:200 close
	cli --port 5070 --bind-port 40070 send:100 recv:200 eof sleep:0.3 close
	wait_bg
	sleep 0.3
	cli --port 5070 --bind-port 40070 --expect-connect-error ECONNREFUSED
	cap_stop
	check syn_to_server_time_wait "$HS $XCH <FA >A >FA <A >S <A >R >S <RA"
}

###########################################################################
# 71 user_timeout_server: scenario 48 (user_timeout) captured on the SERVER
#   side.  The server's input hook drops the client's data after the
#   capture saw it: 100 bytes up to five times, never ACKed; the client
#   gives up silently (TCP_USER_TIMEOUT 1500 ms); the server's later 100
#   bytes draw a bare RST from the client's stack (seq = their ack = 101,
#   the server's RCV.NXT).
sc_user_timeout_server() {
	setup
	xsock_write
	cap_start server user_timeout_server
	srv 5071 --ignore-errors recv:100 send:200 signal:s1 wait:go send:100 sleep:0.5 close
	spawn C $PY "$WORK/xsock.py" client --addr $S4 --port 5071 --bind-port 40071 \
		--sync-dir "$WORK" --ignore-errors send:100 recv:200 usertimeout:1500 \
		signal:c1 wait:go1 send:100 recv:1 close
	waitsig s1; waitsig c1
	nft_rule $NSS input 'tcp dport 5071 tcp flags & psh == psh counter drop'
	sig go1
	sleep 2.5
	S nft delete table inet t
	sig go
	wait_bg
	cap_stop
	check user_timeout_server "$HS $XCH >PA100( >PA100){2,4} <PA100 >R"
}

###########################################################################
# 72 synack_crossed_real (CLIENT side captures; relay in the middle holds
#   every frame from the server 1.2 s: a slow path one way)
#   The real-stack version of review F1 (crafted_synack_crossed_ack): the
#   client resends its SYN after 1 s, before the SYN-ACK (delayed) comes;
#   the server, in SYN-RECEIVED, answers the duplicate SYN with its SYN-ACK
#   again; the client ACKs the first
#   SYN-ACK and sends its request; the later SYN-ACK draws a duplicate
#   ACK.  The server's answer and its ACKs arrive 1.2 s late; four-way
#   close (client first).
sc_synack_crossed_real() {
	setup relay
	start_relay none --delay-if2 1.2
	cap_start client synack_crossed_real
	srv 5072 recv:100 send:200 eof sleep:0.3 close
	cli --port 5072 --bind-port 40072 send:100 recv:200 close
	wait_bg
	sleep 1.5
	cap_stop
	check synack_crossed_real ">S >S <SA >A >PA100 <SA >A <A <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 73 fin_lost_server (server side captures)
#   The client's FIN is dropped at the server's input once (after this
#   capture saw it; "quota until 60 bytes" on FIN segments): the server
#   stays ESTABLISHED and sends nothing; the client resends its FIN after
#   its RTO; the server ACKs it and, 300 ms after reading EOF, closes.
sc_fin_lost_server() {
	setup
	nft_rule $NSS input 'tcp dport 5073 tcp flags & fin == fin quota until 60 bytes counter drop'
	cap_start server fin_lost_server
	srv 5073 recv:100 send:200 eof sleep:0.3 close
	cli --port 5073 --bind-port 40073 send:100 recv:200 close
	wait_bg
	cap_stop
	check fin_lost_server "$HS $XCH >FA >FA <A <FA >A"
}

###########################################################################
# 74 fin_data_lost (server side captures)
#   The server writes 200 bytes with MSG_MORE and closes at once: its FIN
#   rides on the data.  That segment is dropped at the CLIENT's input once
#   (this capture saw it leave); the server resends it after its RTO; the
#   client ACKs data and FIN, reads EOF and closes.
sc_fin_data_lost() {
	setup
	nft_rule $NSC input 'tcp sport 5074 tcp flags & fin == fin quota until 300 bytes counter drop'
	cap_start server fin_data_lost
	srv 5074 recv:100 sendmore:200 close
	cli --port 5074 --bind-port 40074 send:100 eof sleep:0.3 close
	wait_bg
	cap_stop
	check fin_data_lost "$HS >PA100 <A <FP?A200 <FP?A200 >A >FA <A"
}

###########################################################################
# 75 rfc1337_server_time_wait (server side captures; net.ipv4.tcp_rfc1337=1
#   on the server, tcp_syn_linear_timeouts=0 on the client)
#   Scenario 70 with RFC 1337's fix on the TIME-WAIT (server) side: the
#   client's new SYN (TCP_SYNCNT 2) draws the old connection's ACK, the
#   client's RST at that ack is ignored by the TIME-WAIT socket, and every
#   SYN retransmission draws the same ACK and RST, until connect() gives up
#   with ETIMEDOUT.
sc_rfc1337_server_time_wait() {
	setup
	sysctl_ns $NSS net.ipv4.tcp_rfc1337=1
	sysctl_ns $NSC net.ipv4.tcp_syn_linear_timeouts=0
	cap_start server rfc1337_server_time_wait
	srv 5075 recv:100 send:200 close
	cli --port 5075 --bind-port 40075 send:100 recv:200 eof sleep:0.3 close
	wait_bg
	sleep 0.3
	cli --port 5075 --bind-port 40075 --syncnt 2 --expect-connect-error ETIMEDOUT
	cap_stop
	check rfc1337_server_time_wait "$HS $XCH <FA >A >FA <A( >S <A >R){3,5}"
}

###########################################################################
# 76 router_rst (capture on the ROUTER, client-facing interface; routed
#   path as in 60)
#   After the exchange the router's forward hook rejects the client's next
#   data segment "with tcp reset": the router sends the client a RST in the
#   server's name (seq = the data's ack) and the data never reaches the
#   server.  The server, which knows nothing, sends 300 bytes 100 ms later
#   (ack still 101); the client has no socket and answers with a bare RST
#   (seq = that ack = the server's RCV.NXT), which passes the router and
#   resets the server.
sc_router_rst() {
	local C4=10.77.1.1 S4=10.77.2.1
	setup_router
	cap_start_router router_rst
	spawn S $APP server --listen $S4 --port 5076 --sync-dir "$WORK" --ready "$WORK/sync.ready" \
		--ignore-errors recv:100 send:200 signal:s1 wait:go send:300 sleep:0.5 close
	waitsig ready
	spawn cli --ignore-errors --port 5076 --bind-port 40076 send:100 recv:200 signal:c1 \
		wait:go2 send:100 sleep:1 close
	waitsig s1; waitsig c1
	sleep 0.1
	{
		echo "table inet t {"
		echo "  chain cforward {"
		echo "    type filter hook forward priority 0;"
		echo "    tcp dport 5076 tcp flags & psh == psh reject with tcp reset"
		echo "  }"
		echo "}"
	} | ip netns exec $NSM nft -f -
	sig go2
	sleep 0.1
	sig go
	wait_bg
	cap_stop
	check router_rst "$HS $XCH >PA100 <R <PA300 >R"
}

###########################################################################
# 77 simultaneous_open_server, 78 simultaneous_close_server: scenarios 16
#   and 17 captured on the SERVER side (10.77.0.2), where each crossing
#   SYN or FIN is seen leaving before the peer's arrives -- the mirror order
#   of the client-side captures.
sc_simultaneous_open_server() {
	setup relay
	start_relay syn
	cap_start server simultaneous_open_server
	spawn S $APP client --connect $C4 --port 40077 --bind-port 5077 --sync-dir "$WORK" \
		recv:100 send:100 eof sleep:0.3 close
	spawn cli --port 5077 --bind-port 40077 send:100 recv:100 close
	wait_bg
	cap_stop
	check simultaneous_open_server "<S >S <SA >SA <A >A >PA100 <A <PA100 >A >FA <A <FA >A"
}
sc_simultaneous_close_server() {
	setup relay
	start_relay fin
	cap_start server simultaneous_close_server
	spawn S $APP server --listen $S4 --port 5078 --sync-dir "$WORK" --ready "$WORK/sync.ready" \
		recv:100 send:100 signal:s1 wait:go close
	waitsig ready
	spawn cli --port 5078 --bind-port 40078 send:100 recv:100 signal:c1 wait:go close
	waitsig s1; waitsig c1
	sleep 0.2
	sig go
	wait_bg
	cap_stop
	check simultaneous_close_server "$HS >PA100 <A <PA100 >A <FA >FA <A >A"
}

###########################################################################
# 79 tfo_synack_lost (server side captures; tcp_fastopen=3 on both)
#   Connection 1 (40079) gets a Fast Open cookie.  Then the client's input
#   hook drops one SYN-ACK ("quota until 80 bytes") and connection 2 (40179)
#   sends a Fast Open SYN with the cookie and 100 bytes: the server accepts
#   the data at once (the application reads it and answers 200 bytes while
#   the server is still in SYN-RECEIVED) and its SYN-ACK is lost.  The
#   answer reaches a SYN-SENT client and is dropped.  ~1 s later both
#   timers fire: the server resends its SYN-ACK, the client resends its SYN
#   WITHOUT the data (crossing); the client ACKs the SYN-ACK, the server
#   answers the duplicate SYN with one more SYN-ACK (duplicate ACK), then
#   resends its 200 bytes; four-way close.
sc_tfo_synack_lost() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_fastopen=3
	sysctl_ns $NSS net.ipv4.tcp_fastopen=3
	cap_start server tfo_synack_lost
	srv 5079 --fastopen --count 2 recv:100 send:200 eof sleep:0.3 close
	cli --port 5079 --bind-port 40079 --fastopen send:100 recv:200 sleep:0.25 close
	sleep 0.3
	nft_rule $NSC input 'tcp sport 5079 tcp flags & (syn|ack) == syn|ack quota until 80 bytes counter drop'
	cli --port 5079 --bind-port 40179 --fastopen send:100 recv:200 sleep:0.25 close
	wait_bg
	cap_stop
	check tfo_synack_lost ">S <SA >PA100 <A <PA200 >A >FA <A <FA >A >S100 <SA <PA200 <SA >S <SA >A >A <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 80 reboot_challenge (server side captures)
#   The client "reboots": it aborts its connection (SO_LINGER 0) and its
#   RST is dropped at its own output (nft "quota until 60 bytes": that one
#   only; unseen), so the server still holds the connection ESTABLISHED.
#   300 ms later the client binds the same port and connects again (new
#   ISN).  The SYN meets the server's ESTABLISHED socket: RFC 5961 4.2
#   challenge ACK; the SYN-SENT client answers that unacceptable ACK with a
#   RST at its ack -- exactly the server's RCV.NXT -- which the server
#   accepts; the client's SYN goes again ~10 ms later (Linux re-arms its SYN
#   timer) and opens a new connection: data, four-way close.
sc_reboot_challenge() {
	setup
	nft_rule $NSC output 'tcp dport 5080 tcp flags & rst == rst quota until 60 bytes counter drop'
	cap_start server reboot_challenge
	srv 5080 --count 2 --ignore-errors recv:100 send:200 eof sleep:0.3 close
	cli --port 5080 --bind-port 40080 send:100 recv:200 sleep:0.1 linger0 close
	sleep 0.3
	cli --port 5080 --bind-port 40080 send:100 recv:200 close
	wait_bg
	cap_stop
	check reboot_challenge "$HS $XCH >S <A >R >S <SA >A $XCH >FA <A <FA >A"
}

###########################################################################
# 81 unread_close_wait (server side captures)
#   The server sends 200 bytes and closes at once; the client's stack ACKs
#   data and FIN (client CLOSE-WAIT) but its program never reads them and
#   closes 300 ms later: with received data unread, Linux sends RST-ACK
#   instead of a FIN (RFC 1122 4.2.2.13), seq = its SND.NXT.
sc_unread_close_wait() {
	setup
	cap_start server unread_close_wait
	srv 5081 --ignore-errors recv:100 send:200 close
	cli --ignore-errors --port 5081 --bind-port 40081 send:100 sleep:0.3 close
	wait_bg
	cap_stop
	check unread_close_wait "$HS >PA100 <A <PA200 >A <FA >A >RA"
}

###########################################################################
# 82 syncookie_ack_lost (server side captures; net.ipv4.tcp_syncookies=2:
#   every SYN gets a cookie, the server keeps no state for it)
#   The client's third ACK is dropped at the server's input (seen here,
#   "quota until 60 bytes").  A cookie server holds no request, so it never
#   resends its SYN-ACK; the client's data 1.5 s later carries the same ack
#   (the cookie) and creates the connection.  Answer, four-way close.
sc_syncookie_ack_lost() {
	setup
	sysctl_ns $NSS net.ipv4.tcp_syncookies=2
	nft_rule $NSS input 'tcp dport 5082 tcp flags == ack quota until 60 bytes counter drop'
	cap_start server syncookie_ack_lost
	srv 5082 recv:100 send:200 eof sleep:0.3 close
	cli --port 5082 --bind-port 40082 sleep:1.5 send:100 recv:200 close
	wait_bg
	cap_stop
	S nstat -az TcpExtSyncookiesSent TcpExtSyncookiesRecv >&2
	check syncookie_ack_lost "$HS $XCH >FA <A <FA >A"
}

###########################################################################
# Scenarios 83-85: behaviour the model was not designed from (session 7):
# segments larger than the MSS, a server that gives up silently, ...

###########################################################################
# 83 gso_half_close (server side captures; offloads switched ON again on
#   both veth ends, snaplen 128)
#   The client sends 100 bytes and shutdown(SHUT_WR)s (FIN); the server
#   reads EOF and then streams 1,000,000 bytes to the half-closed client
#   and closes.  With TSO/GSO on, the packet socket on the sending veth
#   sees the stack's super-segments before any segmentation: data segments
#   of up to ~64 KB, far above the 1448-byte MSS, each covering many MSS
#   worth of sequence space; the TCP checksums are left to the (virtual)
#   NIC and are not filled in.  A capture on a host with TSO or GRO looks
#   like this.
sc_gso_half_close() {
	setup
	C $APP nooffload vc --on
	S $APP nooffload vs --on
	cap_start server gso_half_close 128
	srv 5083 recv:100 eof send:1000000 close
	cli --port 5083 --bind-port 40083 send:100 shut_wr eof close
	wait_bg
	cap_stop
	check gso_half_close "$HS >P?A100( <A)? >FA( <P?A[0-9]+| >A)* <FP?A[0-9]*( <P?A[0-9]+| >A)* >A"
	local big
	big=$(tshark -r "$OUT/gso_half_close.pcap" -Y "tcp.len > 1448" 2>/dev/null | wc -l)
	log "gso_half_close: $big segments larger than the MSS"
	[ "$big" -gt 0 ] || FAILED+=(gso_half_close)
}

###########################################################################
# 84 retries2_server (server side captures; net.ipv4.tcp_retries2=3 in the
#   server namespace)
#   Handshake, 100 bytes up, 200 down.  Then the client's input drops
#   everything from the server (unseen by the client, seen here): the
#   server's next 100 bytes are retransmitted with backoff until Linux's
#   R2 budget for tcp_retries2=3 runs out (it is checked when the RTO timer
#   fires: the 6th transmission ~3.3 s after the first still goes, the
#   timer ~3.3 s later ends it), and the server gives up silently: no RST
#   (RFC 1122 4.2.3.5 "close the connection").  The rule is removed and
#   8 s after the server's send the client, which never saw those bytes and
#   still believes the connection open, sends 100 bytes; the server's stack
#   has no socket and answers with a bare RST (seq = the data's ack).
#   user_timeout (48) is the same death on the client's side; here the
#   dying endpoint is the server and its own capture shows it.
sc_retries2_server() {
	setup
	sysctl_ns $NSS net.ipv4.tcp_retries2=3
	cap_start server retries2_server
	srv 5084 --ignore-errors recv:100 send:200 wait:go send:100 wait:go2 recv:1 close
	spawn cli --ignore-errors --port 5084 --bind-port 40084 send:100 recv:200 signal:c1 \
		wait:go2 send:100 sleep:0.3 recv:1 close
	waitsig c1
	nft_rule $NSC input 'tcp sport 5084 counter drop'
	sig go
	sleep 8
	C nft delete table inet t
	sig go2
	wait_bg
	cap_stop
	check retries2_server "$HS $XCH <PA100( <PA100){2,7} >PA100 <R"
}

###########################################################################
# 85 abort_beyond_rcv_nxt (server side captures)
#   As 84 with the default tcp_retries2, so the server is still
#   ESTABLISHED and retransmitting its 100 bytes (all dropped at the
#   client's input, unseen by the client) when, 4.5 s after its send, the
#   rule is removed and the client sends 100 bytes.  The server's program
#   reads 1 byte of them and closes with 99 unread: RST-ACK at its
#   SND.NXT (RFC 1122 4.2.2.13), 100 bytes past the client's RCV.NXT,
#   since the client never got the data.  That RST lies inside the
#   client's window but not at RCV.NXT: the client answers with a
#   challenge ACK (RFC 5961 3.2, RFC 9293 3.10.7.4 first check) and the
#   server's stack, with no socket left, answers that ACK with a bare RST
#   at its ack, exactly the client's RCV.NXT, which resets the client.
#   A challenge ACK on real stacks, provoked by nothing but lost data.
sc_abort_beyond_rcv_nxt() {
	setup
	cap_start server abort_beyond_rcv_nxt
	srv 5085 --ignore-errors recv:100 send:200 wait:go send:100 wait:go2 delack recv:1 close
	spawn cli --ignore-errors --port 5085 --bind-port 40085 send:100 recv:200 signal:c1 \
		wait:go2 send:100 sleep:0.3 recv:1 close
	waitsig c1
	nft_rule $NSC input 'tcp sport 5085 counter drop'
	sig go
	sleep 4.5
	C nft delete table inet t
	sig go2
	wait_bg
	cap_stop
	check abort_beyond_rcv_nxt "$HS $XCH <PA100( <PA100){4,5} >PA100( <A)? <RA >A <R"
}

###########################################################################
# 86 seq_wrap_relative (server side captures, offloads ON as in 83, cut)
#   The client connects and sends nothing; the server sends exactly 2^32
#   bytes (4,294,967,296), waits 0.5 s, sends 100 bytes and closes; the
#   client closes at EOF.  After 2^32 bytes the server's sequence numbers
#   are back where they started: the client's ACK of everything is
#   seq = client ISN + 1, ack = server ISN + 1, the same numbers as its
#   third handshake ACK, and the server's 100 bytes start at ISN + 1 like
#   its first data segment.  Only the 2^32 bytes between tell them apart
#   (RFC 9293 3.4: sequence numbers are modulo 2^32; RFC 7323 5 PAWS and
#   the timestamps would tell old duplicates).  The full capture (~100k
#   TSO super-segments and ACKs) stays in $WORK; the committed file keeps
#   the handshake and the first 6 frames of data, then from every ~1 GB of
#   the server's sequence space (gaps below 2^31, so that modulo
#   arithmetic still orders them) 4 frames starting at a client ACK, and
#   the frames from the last client ACK before the last 12 frames to the
#   end (the ACK of 2^32 bytes, the 100 bytes, the close).  Every kept
#   server segment lies inside the last window the client advertised in
#   a kept frame.
sc_seq_wrap_relative() {
	setup
	xsock_write
	C $APP nooffload vc --on
	S $APP nooffload vs --on
	cap_start server tmp_seq_wrap_relative 96
	spawn S $PY "$WORK/xsock.py" server --addr $S4 --port 5086 --sync-dir "$WORK" \
		--ready "$WORK/ready.5086" sendbulk:4294967296 sleep:0.5 send:100 close
	wait_file "$WORK/ready.5086"
	cli --port 5086 --bind-port 40086 eof close
	wait_bg
	cap_stop
	local keep
	keep=$(tshark -r "$WORK/tmp_seq_wrap_relative.pcap" -T fields -e frame.number \
		-e tcp.srcport -e tcp.seq_raw -e tcp.ack_raw -e tcp.flags.syn 2>/dev/null | $PY -c '
import sys
rows = [l.split("\t") for l in sys.stdin.read().split("\n") if l]
n = len(rows)
isn = next(int(r[2]) for r in rows if r[1] == "5086" and r[4] == "1")
# the tail starts at the last client ACK before the last 12 frames, so
# that no server segment is kept beyond the last window the client showed
acks = [int(r[0]) for r in rows if r[1] != "5086" and r[3]]
tail = max(f for f in acks if f <= n - 11)
keep = set(range(1, 10)) | set(range(tail, n + 1))
mark = 1
for r in rows:
    f = int(r[0])
    if r[1] == "5086" or not r[3]:
        continue
    done = (int(r[3]) - isn - 1) % (1 << 32)   # bytes the client acknowledged
    if f > 9 and done >= mark << 30 and mark <= 3:
        keep |= set(range(f, f + 4))
        mark += 1
ranges = sorted(k for k in keep if 1 <= k <= n)
print(" ".join(str(k) for k in ranges))
')
	editcap -F pcap -r "$WORK/tmp_seq_wrap_relative.pcap" "$OUT/seq_wrap_relative.pcap" $keep
	check seq_wrap_relative "$HS( <P?A[0-9]+| >A)+ <PA100 >A <FA >FA <A"
}

###########################################################################
# 87 ecn_ce (server side captures; tcp_ecn=1 in both namespaces)
#   ECN negotiated as in ecn_syn (23).  The server answers the request with
#   three 200-byte writes 100 ms apart; nftables in the server's output
#   hook sets the IP ECN field of its first ECT(0) data packet to CE
#   ("congestion experienced", as a router under load would; seen here,
#   since the capture taps after the output hook).  The client's stack
#   then sets ECE on its ACKs until the server's next data segment carries
#   CWR (RFC 3168 6.1): the ECN flags on ordinary ACKs and data, after the
#   handshake.  Client-first four-way close.
sc_ecn_ce() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_ecn=1
	sysctl_ns $NSS net.ipv4.tcp_ecn=1
	nft_rule $NSS output 'tcp sport 5087 ip ecn ect0 quota until 300 bytes ip ecn set ce counter'
	cap_start server ecn_ce
	srv 5087 recv:100 send:200 sleep:0.1 send:200 sleep:0.1 send:200 eof sleep:0.3 close
	cli --port 5087 --bind-port 40087 send:100 recv:600 close
	wait_bg
	cap_stop
	check ecn_ce ">SEC <SAE >A >PA100 <A <PA200 >AE <PAC200 >A <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 88 pmtu_router6 (captured in the MIDDLE of an IPv6 path: the router
#   namespace's client-facing interface)
#   setup_router6: client fd77:1::1/64 -- router fd77:1::fe / fd77:2::fe --
#   server fd77:2::1/64, static neighbours, no DAD; the router's
#   server-facing link has MTU 1280 (the IPv6 minimum).  The client sends
#   3000 bytes in segments sized for its 1500-byte link; IPv6 routers do
#   not fragment: the router answers each too-big packet with ICMPv6
#   Packet Too Big (type 2, MTU 1280; RFC 8201 / RFC 4443 3.2) and the
#   client resends in smaller segments.  The server answers 200 bytes;
#   client-first four-way close.  The IPv6 counterpart of pmtu_router
#   (63), whose errors are ICMPv4 type 3 code 4, seen from the router.
setup_router6() {
	teardown
	rm -f "$WORK"/sync.*
	RELAY=0
	local ns
	for ns in $NSC $NSS $NSM; do
		ip netns add $ns
		ip netns exec $ns ip link set lo up
	done
	ip link add name vc netns $NSC type veth peer name rc netns $NSM
	ip link add name vs netns $NSS type veth peer name rs netns $NSM
	C $APP nooffload vc
	S $APP nooffload vs
	ip netns exec $NSM $APP nooffload rc
	ip netns exec $NSM $APP nooffload rs
	C ip addr add fd77:1::1/64 dev vc nodad
	S ip addr add fd77:2::1/64 dev vs nodad
	ip netns exec $NSM ip addr add fd77:1::fe/64 dev rc nodad
	ip netns exec $NSM ip addr add fd77:2::fe/64 dev rs nodad
	C ip link set vc up
	S ip link set vs up
	ip netns exec $NSM ip link set rc up
	ip netns exec $NSM ip link set rs up
	C ip -6 route add default via fd77:1::fe
	S ip -6 route add default via fd77:2::fe
	ip netns exec $NSM sysctl -qw net.ipv6.conf.all.forwarding=1
	C ip -6 neigh replace fd77:1::fe lladdr "$(mac_of $NSM rc)" dev vc nud permanent
	S ip -6 neigh replace fd77:2::fe lladdr "$(mac_of $NSM rs)" dev vs nud permanent
	ip netns exec $NSM ip -6 neigh replace fd77:1::1 lladdr "$(mac_of $NSC vc)" dev rc nud permanent
	ip netns exec $NSM ip -6 neigh replace fd77:2::1 lladdr "$(mac_of $NSS vs)" dev rs nud permanent
	sleep 0.3
}
sc_pmtu_router6() {
	local C6=fd77:1::1 S6=fd77:2::1
	setup_router6
	ip netns exec $NSM ip link set rs mtu 1280
	CAPNAME=pmtu_router6
	rm -f "$WORK/$CAPNAME.pcap" "$WORK/$CAPNAME.err"
	ip netns exec $NSM dumpcap -q -P -i rc -s 2048 -f "tcp or (icmp6 and ip6[40] < 128)" \
		-w "$WORK/$CAPNAME.pcap" 2>"$WORK/$CAPNAME.err" &
	CAPPID=$!
	local i
	for i in $(seq 1 500); do
		grep -q "Capturing on" "$WORK/$CAPNAME.err" 2>/dev/null && break
		sleep 0.01
	done
	sleep 0.2
	srv6 5088 recv:3000 send:200 eof sleep:0.3 close
	cli6 --port 5088 --bind-port 40088 send:3000 recv:200 close
	wait_bg
	cap_stop
	check pmtu_router6 "$HS( >P?A[0-9]+| <ICMP6_2| <A)+ <PA200 >A >FA <A <FA >A"
}

###########################################################################
# 89 synack_not_captured: client_close (1) with its SYN-ACK cut out
#   (editcap), as when a capture point drops one packet or sees only part
#   of an asymmetric path: the client's SYN, then its third ACK
#   (acknowledging the uncaptured SYN-ACK), data both ways, client-first
#   four-way close.  Only the client's ACK shows the SYN-ACK arrived.
#   Until the model passed spec_89 (session 7) it lived in tests/e2e-spec/.
sc_synack_not_captured() {
	[ -f "$OUT/client_close.pcap" ] || sc_client_close
	editcap -F pcap -r "$OUT/client_close.pcap" "$OUT/synack_not_captured.pcap" 1 3-11
	local got
	got=$(shape "$OUT/synack_not_captured.pcap")
	if [ "$got" = ">S >A $XCH >FA <A <FA >A" ]; then
		log "synack_not_captured OK: $got"
	else
		log "synack_not_captured SHAPE MISMATCH: $got"
		FAILED+=(synack_not_captured)
	fi
}

###########################################################################
# 90 fin_ack_lost_client (server side captures)
#   Client-first close; the server's pure ACK of the client's FIN is dropped
#   at the CLIENT's input (installed after the data exchange; "quota until
#   60 bytes" drops one pure ACK from the server), so this capture sees it
#   but the client, still FIN-WAIT-1, resends its FIN after its RTO; the
#   server ACKs it again (that ACK passes: FIN-WAIT-2) and closes 2 s after
#   reading EOF: ... >FA <A >FA <A <FA >A.
sc_fin_ack_lost_client() {
	setup
	cap_start server fin_ack_lost_client
	srv 5090 recv:100 send:200 eof sleep:2 close
	spawn cli --port 5090 --bind-port 40090 send:100 recv:200 signal:c1 wait:go close
	waitsig c1
	sleep 0.1
	nft_rule $NSC input 'tcp sport 5090 tcp flags == ack quota until 60 bytes counter drop'
	sig go
	wait_bg
	sleep 1
	cap_stop 0
	check fin_ack_lost_client "$HS $XCH >FA <A >FA <A <FA >A"
}

###########################################################################
# Scenarios 92-96 (session 8, independent tester; 91 is skipped because
# spec_91 already names the crafted synack_rejected_rst).

# xcli PORT BIND-PORT [xsock options and actions]: an xsock.py client.
xcli() {
	local port=$1 bport=$2; shift 2
	C $PY "$WORK/xsock.py" client --addr $S4 --port "$port" --bind-port "$bport" \
		--sync-dir "$WORK" "$@"
}

###########################################################################
# 92 fin_ooo_unseen (captured in the SERVER namespace of a routed path:
#   setup_router, client 10.77.1.1, server 10.77.2.1)
#   The client sets TCP_NODELAY and writes 100 bytes, 100 more, then
#   shutdown(SHUT_WR).  Its first data segment is dropped in the router's
#   forward hook ("quota until 160 bytes": the first 152-byte PSH segment
#   is under the quota), so this capture never sees it.  (A drop in the
#   client's own output hook would not do: the stack sees the error and
#   sends the bytes again with the next write.)  The server receives the
#   second segment and the FIN out of order: each draws a duplicate ACK
#   (ack = the lost segment's seq, with a SACK block) and the FIN is held in
#   the out-of-order queue.  The client has tcp_early_retrans=0 and
#   tcp_recovery=0 (no tail loss probe, no RACK) and two duplicate ACKs are
#   below the fast-retransmit threshold, so the first 100 bytes go again
#   only at its RTO (~200 ms); the server's ACK then covers the 200 bytes
#   and the FIN at once (CLOSE-WAIT only now).  The server reads EOF and
#   closes 300 ms later: FIN-ACK, ACK.
sc_fin_ooo_unseen() {
	local C4=10.77.1.1 S4=10.77.2.1
	setup_router
	xsock_write
	sysctl_ns $NSC net.ipv4.tcp_sack=0 net.ipv4.tcp_early_retrans=0 net.ipv4.tcp_recovery=0
	nft_rule $NSM forward 'tcp dport 5092 tcp flags & psh == psh quota until 160 bytes counter drop'
	cap_start server fin_ooo_unseen
	srv 5092 eof sleep:0.3 close
	xcli 5092 40092 nodelay send:100 send:100 shut_wr eof close
	wait_bg
	cap_stop
	check fin_ooo_unseen "$HS >PA100( <A)? >FA <A >FP?A200 <A <FA >A"
}

###########################################################################
# 93 fin_ooo_seen (CLIENT side captures)
#   Scenario 92 on the veth pair, the first data segment dropped at the
#   SERVER's input instead: the client-side capture sees it leave, the
#   server never gets it.  So the capture shows both 100-byte segments and
#   the FIN, the server's duplicate ACKs (acking only the handshake), the
#   retransmission after the RTO, the ACK of everything, the server's close.
sc_fin_ooo_seen() {
	setup
	xsock_write
	sysctl_ns $NSC net.ipv4.tcp_sack=0 net.ipv4.tcp_early_retrans=0 net.ipv4.tcp_recovery=0
	nft_rule $NSS input 'tcp dport 5093 tcp flags & psh == psh quota until 160 bytes counter drop'
	cap_start client fin_ooo_seen
	srv 5093 eof sleep:0.3 close
	xcli 5093 40093 nodelay send:100 send:100 shut_wr eof close
	wait_bg
	cap_stop
	check fin_ooo_seen "$HS >PA100 >PA100( <A)? >FA <A >FP?A200 <A <FA >A"
}

###########################################################################
# 94 synack_new_isn (server side captures; server tcp_synack_retries=0,
#   client tcp_syn_linear_timeouts=0: SYNs at 0, 1, 3 s)
#   Every SYN-ACK is dropped at the client's input (seen here) until 2 s;
#   the client's first SYN retransmission (1 s) is dropped at its own output
#   (unseen).  With tcp_synack_retries=0 the server's request expires at its
#   first timer (1 s) without a resend.  The client's SYN at 3 s (same ISN)
#   finds no request: the listener makes a new one with a NEW ISN and
#   answers with a SYN-ACK that now arrives; handshake with that ISN, data,
#   client-first four-way close.
sc_synack_new_isn() {
	setup
	sysctl_ns $NSS net.ipv4.tcp_synack_retries=0
	sysctl_ns $NSC net.ipv4.tcp_syn_linear_timeouts=0
	nft_rule $NSC input 'tcp sport 5094 tcp flags & (syn|ack) == syn|ack counter drop'
	cap_start server synack_new_isn
	srv 5094 recv:100 send:200 eof sleep:0.3 close
	spawn cli --port 5094 --bind-port 40094 send:100 recv:200 close
	sleep 0.5
	nft_rule $NSC output 'tcp dport 5094 tcp flags & (syn|ack) == syn counter drop'
	sleep 1.5
	C nft delete table inet t
	wait_bg
	cap_stop
	check synack_new_isn ">S <SA >S <SA >A $XCH >FA <A <FA >A"
}

###########################################################################
# 95 tfo_synrecv_abort (server side captures; tcp_fastopen=3 on both)
#   Connection 1 (40095) fetches a Fast Open cookie (normal exchange and
#   close).  Connection 2 (40195): Fast Open SYN with 100 bytes, SYN-ACK
#   acking them; the client's third ACK is dropped at its own output
#   ("quota until 60 bytes", unseen).  accept() returned the server socket
#   while it is still SYN-RECEIVED; the server program reads the 100 bytes
#   and aborts it 200 ms later (SO_LINGER {1,0}): RST-ACK from SYN-RECEIVED,
#   seq = ISS + 1 (its SND.NXT), which resets the ESTABLISHED client.
sc_tfo_synrecv_abort() {
	setup
	sysctl_ns $NSC net.ipv4.tcp_fastopen=3
	sysctl_ns $NSS net.ipv4.tcp_fastopen=3
	cap_start server tfo_synrecv_abort
	srv 5095 --fastopen recv:100 send:200 eof sleep:0.3 close
	cli --port 5095 --bind-port 40095 --fastopen send:100 recv:200 sleep:0.25 close
	wait_bg
	sleep 0.3
	nft_rule $NSC output 'tcp dport 5095 tcp flags == ack quota until 60 bytes counter drop'
	srv 5095 --fastopen --ignore-errors recv:100 sleep:0.2 linger0 close
	cli --port 5095 --bind-port 40195 --fastopen --ignore-errors send:100 eof close
	wait_bg
	cap_stop
	check tfo_synrecv_abort ">S <SA >PA100 <A <PA200 >A >FA <A <FA >A >S100 <SA <RA"
}

###########################################################################
# 96 close_wait_abort_zero_window (server side captures)
#   The client (SO_RCVBUF 4096, never reads) sends 100 bytes and
#   shutdown(SHUT_WR)s: FIN-WAIT-2 once its FIN is ACKed.  The server, in
#   CLOSE-WAIT, writes 40000 bytes: the client's window closes (window 0),
#   the server's persist timer sends zero-window probes (seq = SND.UNA - 1),
#   each answered with window 0; 1.5 s later the server program aborts
#   (SO_LINGER {1,0}) with most of its data unsent: RST-ACK at its SND.NXT
#   (= the client's RCV.NXT), into the client's zero window.
sc_close_wait_abort_zero_window() {
	setup
	xsock_write
	cap_start server close_wait_abort_zero_window
	spawn S $PY "$WORK/xsock.py" server --addr $S4 --port 5096 --sync-dir "$WORK" \
		--ready "$WORK/ready.5096" --ignore-errors \
		recv:100 eof sendtry:40000:0.5 sleep:1.5 linger0 close
	wait_file "$WORK/ready.5096"
	xcli 5096 40096 --rcvbuf 4096 --ignore-errors send:100 shut_wr sleep:3 close
	wait_bg
	cap_stop
	check close_wait_abort_zero_window "$HS >PA100 <A >FA( <P?A[0-9]*| >A)+ <RA"
}

###########################################################################
# 97 fin_ooo_cross (captured in the SERVER namespace of a routed path, as 92)
#   Scenario 92, but the server program shutdown(SHUT_WR)s 50 ms after
#   accept(), while the client's FIN still sits in its out-of-order queue
#   behind the lost bytes 1-100: the server's FIN acknowledges only 1.  The
#   client, FIN-WAIT-1, takes it (CLOSING) and ACKs it (seq 202, one past
#   its own FIN); at its RTO it resends bytes 1-200 with the FIN, which the
#   server now takes (its FIN already acknowledged: TIME-WAIT) and ACKs.
#   A simultaneous close that only the sequence numbers reveal.
sc_fin_ooo_cross() {
	local C4=10.77.1.1 S4=10.77.2.1
	setup_router
	xsock_write
	sysctl_ns $NSC net.ipv4.tcp_sack=0 net.ipv4.tcp_early_retrans=0 net.ipv4.tcp_recovery=0
	nft_rule $NSM forward 'tcp dport 5097 tcp flags & psh == psh quota until 160 bytes counter drop'
	cap_start server fin_ooo_cross
	srv 5097 sleep:0.05 shut_wr eof close
	xcli 5097 40097 nodelay send:100 send:100 shut_wr eof close
	wait_bg
	cap_stop
	check fin_ooo_cross "$HS >PA100( <A)? >FA <A <FA >A >FP?A200 <A"
}

###########################################################################
# 98 data_crosses_fin (CLIENT side captures; the relay in the middle
#   namespace holds every frame from the server 100 ms: --delay-if2 0.1)
#   The client sends 100 bytes; the server answers 100 bytes at once; the
#   client, not having seen them yet, shutdown(SHUT_WR)s 50 ms after its
#   send.  So the capture shows the client's FIN before the server's ACK of
#   the client's data and the server's data, both sent before the FIN
#   arrived: neither acknowledges it.  The client ACKs the data from
#   FIN-WAIT-1, the server's ACK of the FIN follows, the server closes 300 ms
#   after reading EOF: FIN-ACK, ACK.
sc_data_crosses_fin() {
	setup relay
	start_relay none --delay-if2 0.1
	cap_start client data_crosses_fin
	srv 5098 recv:100 send:100 eof sleep:0.3 close
	cli --port 5098 --bind-port 40098 send:100 sleep:0.05 shut_wr eof close
	wait_bg
	sleep 0.3
	cap_stop
	check data_crosses_fin "$HS >PA100 >FA( <A)? <PA100 >A <A <FA >A"
}

###########################################################################
# 99 simultaneous_open_syn_lost (client side captures; relay in the middle)
#   Scenario 16 with 10.77.0.1's SYN dropped at the server's input (nft,
#   every pure SYN from 40099; seen here): both ends connect() to each
#   other, the relay makes the SYNs cross, but only 5099's SYN arrives.
#   40099, SYN-SENT, takes it (SYN-RECEIVED) and answers with a SYN-ACK
#   (its own ISN again, ack of 5099's SYN); 5099, still SYN-SENT, takes that
#   SYN-ACK as an ordinary one (ESTABLISHED) and ACKs it (no D-SACK: it
#   never saw the SYN before); 40099 -> ESTABLISHED.  100 bytes each way,
#   four-way close started by 40099.
sc_simultaneous_open_syn_lost() {
	setup relay
	start_relay syn
	nft_rule $NSS input 'tcp sport 40099 tcp flags & (syn|ack) == syn counter drop'
	cap_start client simultaneous_open_syn_lost
	spawn S $APP client --connect $C4 --port 40099 --bind-port 5099 --sync-dir "$WORK" \
		recv:100 send:100 eof sleep:0.3 close
	spawn cli --port 5099 --bind-port 40099 send:100 recv:100 close
	wait_bg
	cap_stop
	check simultaneous_open_syn_lost ">S <S >SA <A >PA100 <A <PA100 >A >FA <A <FA >A"
}

###########################################################################
# 100 rst_reuse_quick (server side captures)
#   The client aborts (SO_LINGER {1,0}: RST-ACK) after the exchange and at
#   once binds the same port (40100) and connects again: nobody is in
#   TIME-WAIT after a reset, so the new SYN (new ISN) reaches the listener
#   and opens a second connection on the same four-tuple ~50 ms later; data,
#   client-first four-way close.
sc_rst_reuse_quick() {
	setup
	cap_start server rst_reuse_quick
	srv 5100 --count 2 --ignore-errors recv:100 send:200 eof sleep:0.3 close
	cli --port 5100 --bind-port 40100 send:100 recv:200 sleep:0.1 linger0 close
	cli --port 5100 --bind-port 40100 send:100 recv:200 close
	wait_bg
	cap_stop
	check rst_reuse_quick "$HS $XCH >RA $HS $XCH >FA <A <FA >A"
}

###########################################################################
# 101 data_crosses_fin_server (server side captures; relay as in 98)
#   Scenario 98 captured at the server: here the server's ACK and data are
#   seen leaving before the client's FIN arrives (the FIN's ACK, 1, does not
#   cover them: the client had not received them yet); the server ACKs the
#   FIN at once (CLOSE-WAIT), the client's ACK of the data comes later.
sc_data_crosses_fin_server() {
	setup relay
	start_relay none --delay-if2 0.1
	cap_start server data_crosses_fin_server
	srv 5101 recv:100 send:100 eof sleep:0.3 close
	cli --port 5101 --bind-port 40101 send:100 sleep:0.05 shut_wr eof close
	wait_bg
	sleep 0.3
	cap_stop
	check data_crosses_fin_server "$HS >PA100( <A)? <PA100 >FA <A >A <FA >A"
}

###########################################################################
# 102 fin_ooo_fin_wait2 (CLIENT side captures, routed path as in 92)
#   The mirror of 92 in a half-closed connection: the client
#   shutdown(SHUT_WR)s at once (FIN, ACKed: FIN-WAIT-2).  The server (SACK
#   off, tcp_early_retrans=0, tcp_recovery=0), 300 ms after EOF, writes
#   100 bytes, 100 more (TCP_NODELAY) and closes; its first data segment is
#   dropped in the router's forward hook (never seen here).  The second
#   segment and the FIN reach the FIN-WAIT-2 client out of order: duplicate
#   ACKs, the FIN is held; the server's RTO resends the 200 bytes with the
#   FIN, which the client takes (TIME-WAIT) and ACKs.
sc_fin_ooo_fin_wait2() {
	local C4=10.77.1.1 S4=10.77.2.1
	setup_router
	xsock_write
	sysctl_ns $NSS net.ipv4.tcp_sack=0 net.ipv4.tcp_early_retrans=0 net.ipv4.tcp_recovery=0
	nft_rule $NSM forward 'tcp sport 5102 tcp flags & psh == psh quota until 160 bytes counter drop'
	cap_start client fin_ooo_fin_wait2
	spawn S $PY "$WORK/xsock.py" server --addr $S4 --port 5102 --sync-dir "$WORK" \
		--ready "$WORK/ready.5102" eof sleep:0.3 nodelay send:100 send:100 close
	wait_file "$WORK/ready.5102"
	xcli 5102 40102 shut_wr eof close
	wait_bg
	sleep 0.5
	cap_stop
	check fin_ooo_fin_wait2 "$HS >FA <A <PA100 >A <FA >A <FP?A200 >A"
}

ALL=(client_close server_close fin_ack_close refused abort_linger0 long_transfer
	ipv6_client_close half_close fin_with_data syn_retrans_answered
	syn_unanswered synack_unanswered final_ack_missing fin_retrans fin_unacked
	simultaneous_open simultaneous_close port_reuse_time_wait half_open
	rst_after_fin challenge_ack tfo ecn_syn syncookies mid_stream open_at_end
	icmp_quoted syn_ack_first one_sided mixed icmp_prohibited
	tfo_nocookie syn_blackhole data_rst middlebox_rst syn_to_time_wait
	synack_retrans final_ack_lost keepalive_race
	rfc1337_time_wait accept_overflow keepalive zero_window client_retrans
	fin_data_cross refused_retry fin_data_cross_close user_timeout
	rst_lost_downstream ipv6_keepalive_race
	reverse_syn_listener tfo_server_off fin_ack_crossed
	fin_timeout linger0_fin_wait2 linger0_unsent listener_close_queue keepalive_vanish
	tw_reuse synack_lost_router no_options shut_rd
	pmtu_router icmp_established net_unreach_router
	synrecv_rst fin_ack_crossed_server urgent_data defer_accept
	syn_to_server_time_wait user_timeout_server synack_crossed_real
	fin_lost_server fin_data_lost rfc1337_server_time_wait router_rst
	simultaneous_open_server simultaneous_close_server tfo_synack_lost
	reboot_challenge unread_close_wait syncookie_ack_lost
	gso_half_close retries2_server abort_beyond_rcv_nxt seq_wrap_relative ecn_ce
	pmtu_router6 synack_not_captured fin_ack_lost_client
	fin_ooo_unseen fin_ooo_seen synack_new_isn tfo_synrecv_abort
	close_wait_abort_zero_window fin_ooo_cross data_crosses_fin
	simultaneous_open_syn_lost rst_reuse_quick data_crosses_fin_server
	fin_ooo_fin_wait2)

list=("$@")
[ ${#list[@]} -gt 0 ] || list=("${ALL[@]}")
for sc in "${list[@]}"; do
	# A scenario whose shape does not match (e.g. a scheduling delay on a
	# loaded machine beat a delayed-ACK timer) is run again, up to 3 times.
	for attempt in 1 2 3; do
		t0=$SECONDS
		nfail=${#FAILED[@]}
		log "scenario $sc (attempt $attempt)"
		"sc_$sc"
		teardown
		log "scenario $sc took $((SECONDS - t0)) s"
		[ ${#FAILED[@]} -eq "$nfail" ] && break
		[ "$attempt" = 3 ] && break
		FAILED=("${FAILED[@]:0:$nfail}")
	done
done

if [ ${#FAILED[@]} -gt 0 ]; then
	log "FAILED: ${FAILED[*]}"
	exit 1
fi
log "all ${#list[@]} scenarios OK"
