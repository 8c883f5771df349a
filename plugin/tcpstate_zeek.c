/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Zeek-compatible conn_state and history for one TCP connection.
 *
 * This file reimplements, in plain C99 and in our own words, the rules Zeek
 * uses to fill the conn_state and history columns of conn.log.  The rules
 * were learnt by reading Zeek's sources (zeek/zeek, master of 2025-2026);
 * no code was copied.  Where each rule comes from:
 *
 * A. Who is the originator
 *  A1. The sender of the first packet of a connection is the originator.
 *      If that packet is not a pure SYN (no SYN, or SYN+ACK), the roles are
 *      flipped at creation when the source port is a "likely server port"
 *      and the destination port is not; when both are, they are flipped only
 *      if the packet is not a SYN-ACK and source port < destination port.
 *      A flip appends '^' to the (still empty) history.
 *      [packet_analysis/protocol/tcp/TCP.cc: TCPAnalyzer::WantConnection;
 *       packet_analysis/protocol/ip/IPBasedAnalyzer.cc: NewConn,
 *       IsLikelyServerPort; Conn.cc: Connection::FlipRoles]
 *      likely_server_ports is a script set filled by the analyzers Zeek
 *      loads by default; we use a fixed table of those well-known ports
 *      (zeek_server_ports below) -- an approximation if a site redefines it.
 *  A2. "SYN-ACK first" late flip: when the history is exactly "H" (the
 *      connection began with the originator's SYN-ACK) and a pure ACK or a
 *      data packet arrives from either side, the roles are flipped and the
 *      history is REPLACED by "^h".  [analyzer/protocol/tcp/TCP_Endpoint.cc:
 *      TCP_Endpoint::CheckHistory; session/Session.h: ReplaceHistory]
 *      This is the only place Zeek rewrites history.  We keep the history
 *      append-only for the core by recording TS_ZEEK_LATE_FLIP: packets
 *      recorded with history length 1 before the flip are shown as "^h"
 *      (see ts_zeek_history_len_at in tcpstate_zeek.h).
 *  A3. SYN/SYN-ACK reversal: the originator sent a SYN-ACK, then the
 *      responder (still inactive) sends a pure SYN: the roles are flipped
 *      ('^' appended after the letter of that SYN) and both sides become
 *      established.  [packet_analysis/protocol/tcp/TCPSessionAdapter.cc:
 *      UpdateInactiveState]
 *  A4. A flip swaps the roles of the two endpoints (their states, counters
 *      and last sequence numbers go with them) but NOT the connection's
 *      "letter already recorded" mask, which stays indexed by role.  We do
 *      the same, so Zeek's quirks after a flip are reproduced.
 *      [Conn.cc: FlipRoles; TCPSessionAdapter.cc: FlipRoles]
 *
 * B. Endpoint states (Zeek's TCP_Endpoint EndpointState): INACTIVE, SYN_SENT,
 *    SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET; each endpoint also
 *    remembers its previous state (changed only when the state changes).
 *    [TCP_Endpoint.h; TCP_Endpoint.cc: SetState]  Per packet, by the
 *    sender's state before it [TCPSessionAdapter.cc: UpdateStateMachine]:
 *  B1. INACTIVE [UpdateInactiveState]:
 *      - SYN from the originator: SYN_SENT, or SYN_ACK_SENT if ACK is set.
 *      - SYN from the responder: if ACK is clear and the originator is in
 *        SYN_ACK_SENT, rule A3.  Then an originator in SYN_SENT becomes
 *        ESTABLISHED, and the responder becomes ESTABLISHED.
 *      - FIN: CLOSED.  RST: RESET (both after the SYN handling).
 *      - no SYN/FIN/RST: a responder's empty packet while the originator is
 *        in SYN_SENT changes nothing; an ACK while the peer is ESTABLISHED
 *        makes the sender ESTABLISHED ("we missed the SYN"); anything else
 *        makes it PARTIAL.
 *  B2. SYN_SENT / SYN_ACK_SENT [UpdateSYN_SentState]: FIN: CLOSED; RST: RESET.
 *  B3. ESTABLISHED / PARTIAL [UpdateEstablishedState]: a SYN without ACK
 *      from a PARTIAL sender whose peer is INACTIVE: SYN_SENT.  FIN without
 *      RST: CLOSED, and a peer in RESET that was CLOSED before goes back to
 *      CLOSED (FIN then RST counts as a normal close).  RST: RESET.
 *  B4. CLOSED [UpdateClosedState]: RST: RESET unless the peer is CLOSED.
 *  B5. RESET [UpdateResetState]: nothing changes.
 *  Note the "is_orig" used by B1 is the direction as it was when the packet
 *  arrived, even if rule A2 flipped the roles while handling it (Zeek keeps
 *  the stale value; see the comment in TCPAnalyzer::DeliverPacket).
 *
 * C. Sequence bookkeeping used by the letters and by REJ's byte counts
 *    [TCPSessionAdapter.cc: Process, init_endpoint, init_peer,
 *     update_ack_seq, update_last_seq, get_segment_len, get_relative_seq;
 *     TCP_Endpoint.cc: Size, NoDataAcked]
 *  C1. A segment's sequence length is its payload plus one for SYN and one
 *      for FIN; a RST's payload does not count.
 *  C2. An INACTIVE endpoint's first packet sets its start: its seq for a
 *      SYN, seq - 1 otherwise (as if a SYN had been seen); its "last" is the
 *      end of the segment for a SYN, the seq itself otherwise.  A SYN from
 *      a SYN_SENT/SYN_ACK_SENT endpoint with another seq, any SYN from an
 *      ESTABLISHED/PARTIAL endpoint, and a SYN from a RESET endpoint that
 *      was INACTIVE before restart the numbering at that SYN.
 *  C3. An ACK while the peer is INACTIVE starts the peer's numbering at
 *      ack - 1; otherwise the peer's highest ack moves forward (not for RST
 *      segments, and not for ack 0 that jumps more than 1 MiB).
 *  C4. "last" moves forward with the segment end, except: a SYN or RST more
 *      than 1 MiB away is ignored; a FIN right after the SYN always moves it;
 *      nothing moves once the sender is RESET.  If it does not move and the
 *      segment has payload, that is a retransmission (rule D5, 't').
 *  C5. Size (orig_bytes/resp_bytes) = max(last, highest ack) - start, minus
 *      the SYN and FIN octets; 0 for a SYN_SENT endpoint that was reset
 *      while its peer stayed inactive and some data was acked.  Only
 *      "size is 0" matters here (REJ, rule F), and only with both sides
 *      RESET, so that last special case never changes a conn_state; it is
 *      kept for fidelity.
 *  C6. last and ack are 32-bit numbers with a count of their wraps past
 *      2^32 (a forward move to a lower number is a wrap), and Size works
 *      in 64 bits [TCP_Endpoint.h: UpdateLastSeq, UpdateAckSeq,
 *      ToFullSeqSpace].  A segment's seq (against last) and an ack
 *      (against the peer's ack) are made relative as get_relative_seq
 *      does: with no wrap counted, a number more than 2 GiB ahead of the
 *      start lies "before" it (underflow: no data delivered, the ack not
 *      taken) until the 32-bit number wraps; after a wrap it is counted
 *      in 64 bits.  So conn.log's byte counts are Zeek's past 4 GiB too.
 *
 * D. History letters [TCPSessionAdapter.cc: update_history, update_window;
 *    TCP_Endpoint.cc: CheckHistory, AddHistory, ChecksumError, DidRxmit,
 *    ZeroWindow, Gap; session/Session.cc: ScaledHistoryEntry,
 *    HistoryThresholdEvent; session/Session.h: CheckHistory, AddHistory;
 *    scripts/base/protocols/conn/main.zeek: the letters' documentation]
 *    Upper case for the originator, lower case for the responder, by the
 *    roles at the moment the letter is added.
 *  D1. Count SYN, FIN, RST in the flags.  Two or more: 'I' if FIN and RST
 *      are both set, else 'Q' (SYN+FIN, SYN+RST); once per direction.
 *  D2. Exactly one: SYN -> 'H' if ACK is set else 'S'; FIN -> 'F'; RST ->
 *      'R'.  The first of each kind per direction is always recorded ('S'
 *      and 'H' share one kind); later ones only when their relative
 *      sequence number differs from the last of that kind from that side
 *      (for FIN the number is the END of its payload).  The relative number
 *      is taken after rule C2, so a SYN that restarts the numbering is at
 *      0 and repeats nothing.
 *  D3. None of them: payload -> 'D', else ACK set -> 'A', else nothing;
 *      once per direction each.  A packet with FIN and data gives only 'F'.
 *  D4. 'C' bad checksum: the packet is counted and then ignored entirely
 *      (no other letter, no state change).  [packet_analysis/protocol/tcp/
 *      TCP.cc: ValidateChecksum]
 *  D5. 'T' retransmission: rule C4.  'W' zero window: window 0 on a non-RST
 *      packet while the peer is not CLOSED and the sender not RESET.
 *      'G' content gap: rule E.  'C', 'T', 'W', 'G' are counted per
 *      endpoint and recorded at the 1st, 10th, 100th, ... occurrence.
 *  D6. Order within one packet: D1-D3 (with A2 first if it fires), 'W',
 *      'T', '^' of A3, 'G' of the peer's data (for the ack this packet
 *      carries).
 *  D7. 'X' only for tunnel changes (check_encapsulation below, before the
 *      packet's letters); Zeek's other 'X' causes (analyzer limits) and
 *      'x' are never produced here.
 *
 * E. Content gaps [analyzer/protocol/tcp/TCP_Reassembler.cc: AckReceived,
 *    Undelivered, Gap, DataSent; Reassem.cc: DataBlockList::Trim]
 *    Zeek reassembles every stream by default (dpd_reassemble_first_packets).
 *    An ACK covering data of the peer that was never seen (above the
 *    contiguous data delivered so far; an ACK beyond the peer's FIN counts
 *    up to the FIN only) is a gap in the peer's stream, one per hole.  It
 *    becomes a 'G'/'g' only while both endpoints are ESTABLISHED or CLOSED
 *    coming from ESTABLISHED.  An ack up to relative 2 of a partial
 *    connection is ignored.  Payload is delivered only for non-RST packets
 *    whose seq is not below the start, trimmed to what the peer has not yet
 *    acked.
 *
 * F. conn_state [scripts/base/protocols/conn/main.zeek: conn_state()],
 *    first match wins (o = originator state, r = responder state,
 *    "inactive" = INACTIVE or PARTIAL):
 *      r RESET:  REJ if o is SYN_SENT or SYN_ACK_SENT, or o is RESET and
 *                both sizes are 0; else RSTRH if o inactive; else RSTR.
 *      o RESET:  if r inactive: RSTOS0 if the history matches
 *                ^?S[^HAFGIQ]*R.* (whole string), else OTH; else RSTO.
 *      both CLOSED: SF.   o CLOSED: SH if r inactive, else S2.
 *      r CLOSED: SHR if o inactive, else S3.
 *      o SYN_SENT and r INACTIVE: S0.   both ESTABLISHED: S1.   else OTH.
 *    Zeek computes it once, when the connection is logged; we compute it
 *    after every packet from the same state, so the last packet's value is
 *    the one Zeek would log for that set of packets.
 *
 * What we cannot reproduce exactly from a Wireshark capture, and how we
 * approximate it:
 *  - Checksums: Zeek verifies every TCP checksum (unless told not to);
 *    Wireshark does not by default.  seg->bad_checksum is set only when the
 *    user enabled TCP checksum validation, so without it there is never a
 *    'C' and a corrupt packet is processed like any other.  With checksum
 *    offload on the capturing host, Zeek may flag packets Wireshark shows
 *    as "unverified" (and Zeek users then set ignore_checksums).
 *  - Content gaps: Zeek's reassembler keeps every out-of-order block; we
 *    keep the contiguous edge plus up to TS_ZEEK_BLOCKS (3) blocks above
 *    holes per direction, sorted and merged, so up to three holes in one
 *    window are exact; past that the highest block is given up and its
 *    bytes count as missing when acked.  Zeek's limits that stop reassembly (e.g. 16 KiB above a hole
 *    before any ack, 10 MB without acks, analyzers giving up) are not
 *    modelled: we assume reassembly stays on.
 *  - Relative sequence numbers of the letters and the reassembly are 32
 *    bits (Zeek's are 64, rule C6): exact for the first 4 GiB of each
 *    direction; past that no gap is found (the sizes stay exact).
 *    Counters of 'C'/'T'/'W'/'G' beyond 10^9 are not modelled.
 *  - Truncated packets (snaplen, header-only captures): Zeek does not hand
 *    a cut-off payload to its reassembler, so the peer's ACKs then reveal
 *    gaps ('g').  The glue sets ts_segment.payload_truncated when the frame
 *    was captured shorter than it was sent, and such payload is not
 *    delivered here either.
 *  - The history is capped at TS_ZEEK_HISTORY_MAX letters.
 *  - Times: every packet time is truncated to the microsecond first
 *    (zeek_clock), as Zeek reads traces.  Zeek's clock is the capture's
 *    network time; ours is this connection's own packets, so a due
 *    ExpireTimer decides at this connection's next packet (exact when no
 *    other traffic advances Zeek's clock in between).
 *  - Which packets form one RFC-view connection is decided by the core;
 *    where Zeek ends its connections within it (timers, reuse) is rule G
 *    below (session_lookup) and plugin/ZEEK.md.
 */
#include <string.h>

#include "tcpstate_zeek.h"

/* ---- extras allocated on first need (ts_zeek.more) ------------------------ */

/* Data an endpoint sent above a hole in its stream, the gaps Zeek
 * reported, and its other rare letters' counters: only connections that
 * lose or reorder segments, or see bad checksums or zero windows, have any. */
typedef struct {
    struct { uint32_t lo, hi; } blk[TS_ZEEK_BLOCKS]; /* data above holes: sorted,
                                    * disjoint, not touching; n_blk of them */
    uint8_t  n_blk;
    uint32_t n_gap, n_chk, n_win0; /* counters for G, C, W */
    uint64_t missed;               /* gap bytes reported in its stream (content_gap) */
} zk_holes;

struct ts_zeek_more_s {
    const ts_zeek *prev;           /* the Zeek connection before a split (ts_zeek_prev) */
    uint32_t index, first_frame;   /* ts_zeek_index, ts_zeek_first_frame: 0 before a split */
    int64_t  t_ns[TS_ZT_COUNT];    /* the times, absolute, once TS_ZF_WIDE_TIMES is set */
    uint32_t ip_bytes_hi[2];       /* as ts_zeek.ep: ip_bytes past 4 GiB */
    uint32_t wraps[2][2];          /* [ZK_LAST or ZK_ACK][endpoint]: Zeek's seq_wraps
                                    * and ack_wraps (see relative_seq) */
    zk_holes ep[2];                /* as ts_zeek.ep */
    char     history[TS_ZEEK_HISTORY_MAX + 1]; /* once hist_len > TS_ZEEK_HISTORY_INLINE */
};

/* ---- the process-wide allocator (ts_zeek_set_alloc) ----------------------
 * One (alloc, ctx) pair at a time.  Each new pair gets a new generation
 * number; a record may allocate only while its generation is the current
 * one, so a record set with an older pair never gets memory of the newer
 * owner.  0 means "no allocator". */
static ts_zeek_alloc_fn zk_alloc_fn;
static void *zk_alloc_ctx;
static uint16_t zk_alloc_gen;

static void *zk_alloc(const ts_zeek *z, size_t size)
{
    if (!z->alloc_gen || z->alloc_gen != zk_alloc_gen)
        return NULL;
    return zk_alloc_fn(zk_alloc_ctx, size);
}

/* The extras, allocated now if need be; NULL without an allocator (or
 * memory): then no data above a hole is kept, and the history stops at
 * TS_ZEEK_HISTORY_INLINE letters. */
static struct ts_zeek_more_s *more_of(ts_zeek *z)
{
    if (!z->more)
        z->more = (struct ts_zeek_more_s *)zk_alloc(z, sizeof *z->more);
    return z->more;
}

/* Endpoint i's holes for reading: all zero when none were ever needed. */
static const zk_holes *holes_of(const ts_zeek *z, unsigned i)
{
    static const zk_holes none;
    return z->more ? &z->more->ep[i] : &none;
}

/* Endpoint i's holes and rare counters for writing, allocated now if need
 * be; NULL without memory. */
static zk_holes *holes_for_write(ts_zeek *z, unsigned i)
{
    return more_of(z) ? &z->more->ep[i] : NULL;
}

/* Where the history is kept: inline while it fits. */
static char *hist_buf(ts_zeek *z)
{
    return z->hist_len > TS_ZEEK_HISTORY_INLINE ? z->more->history : z->history;
}

const char *ts_zeek_history(const ts_zeek *z)
{
    return z->hist_len > TS_ZEEK_HISTORY_INLINE ? z->more->history : z->history;
}

uint32_t ts_zeek_gap_count(const ts_zeek *z, unsigned i)
{
    return holes_of(z, i)->n_gap;
}

unsigned ts_zeek_held_blocks(const ts_zeek *z, unsigned i)
{
    return holes_of(z, i)->n_blk;
}

/* ---- times (TS_ZT_*) ----------------------------------------------------
 * Zeek's clock is the packet time truncated to the microsecond
 * (zeek_clock), so every time kept here is a whole number of microseconds,
 * and a timer is kept as its base time (its delay is the configuration's).
 * Within one Zeek connection they are at or after start_ns, and for all
 * but long connections within 2^32 us (71 min 34.967295 s) of it: such an
 * offset is kept inline in 32 bits.  Any other time (a longer connection,
 * a clock going back before the start, ns that are not whole us at the
 * saturated ends of int64) moves all of them, exactly, to the extras
 * (ZF_WIDE_TIMES), so no time is ever rounded when memory is there. */
#define ZF_WIDE_TIMES 0x10u    /* ts_zeek.flags: the times are in more->t_ns */
#define ZK_US 1000u            /* ns per us */

int64_t ts_zeek_time_at(const ts_zeek *z, unsigned k)
{
    if (z->flags & ZF_WIDE_TIMES)
        return z->more->t_ns[k];
    return z->start_ns + (int64_t)z->t_us[k] * (int64_t)ZK_US;
}

/* t as an inline offset: a whole number of us in [0, 2^32) after start. */
static int inline_offset(int64_t start, int64_t t, uint32_t *us)
{
    uint64_t d, q;
    if (t < start)
        return 0;
    d = (uint64_t)t - (uint64_t)start;   /* exact: 0 <= t - start < 2^64 */
    q = d / ZK_US;                       /* (one division, its remainder from it) */
    if (q * ZK_US != d || q > UINT32_MAX)
        return 0;
    *us = (uint32_t)q;
    return 1;
}

/* Without memory for the extras: the inline offset nearest to t. */
static uint32_t nearest_offset(int64_t start, int64_t t)
{
    uint64_t d;
    if (t <= start)
        return 0;
    d = ((uint64_t)t - (uint64_t)start) / ZK_US;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* Moves the times to the extras; 0 without memory. */
static int widen_times(ts_zeek *z)
{
    if (!more_of(z))
        return 0;
    for (unsigned k = 0; k < TS_ZT_COUNT; k++)
        z->more->t_ns[k] = ts_zeek_time_at(z, k);
    z->flags |= ZF_WIDE_TIMES;
    return 1;
}

static void set_time(ts_zeek *z, unsigned k, int64_t t)
{
    uint32_t us;
    if (!(z->flags & ZF_WIDE_TIMES)) {
        if (inline_offset(z->start_ns, t, &us)) {
            z->t_us[k] = us;
            return;
        }
        if (!widen_times(z)) {
            z->t_us[k] = nearest_offset(z->start_ns, t);
            return;
        }
    }
    z->more->t_ns[k] = t;
}

static int64_t last_time(const ts_zeek *z)
{
    return ts_zeek_time_at(z, TS_ZT_LAST);
}

/* ---- IP byte counts: low 32 bits inline, the carries in the extras ---- */

static void count_ip_bytes(ts_zeek *z, unsigned i, uint32_t len)
{
    ts_zeek_endpoint *e = &z->ep[i];
    uint32_t lo = e->ip_bytes_lo + len;

    if (lo < e->ip_bytes_lo) {           /* crossed a multiple of 4 GiB */
        if (more_of(z))
            z->more->ip_bytes_hi[i]++;
        else
            lo = UINT32_MAX;             /* no memory: held at 4 GiB - 1 */
    }
    e->ip_bytes_lo = lo;
}

static uint64_t ip_bytes_of(const ts_zeek *z, unsigned i)
{
    uint64_t hi = z->more ? z->more->ip_bytes_hi[i] : 0u;
    return hi << 32 | z->ep[i].ip_bytes_lo;
}

void ts_zeek_copy(ts_zeek *dst, const ts_zeek *src)
{
    struct ts_zeek_more_s *own = dst->more;
    *dst = *src;
    dst->more = own;
    if (own)
        memset(own, 0, sizeof *own);
    if (!src->more)
        return;
    if (more_of(dst)) {
        *dst->more = *src->more;
        return;
    }
    /* no memory: what fits inline stays valid */
    if (dst->hist_len > TS_ZEEK_HISTORY_INLINE)
        dst->hist_len = TS_ZEEK_HISTORY_INLINE;
    if (src->flags & ZF_WIDE_TIMES) {
        dst->flags &= (uint8_t)~ZF_WIDE_TIMES;
        for (unsigned k = 0; k < TS_ZT_COUNT; k++)
            dst->t_us[k] = nearest_offset(src->start_ns, ts_zeek_time_at(src, k));
    }
    for (unsigned i = 0; i < 2; i++)
        if (src->more->ip_bytes_hi[i])
            dst->ep[i].ip_bytes_lo = UINT32_MAX;
}

/* Zeek's EndpointState, same order. */
enum {
    ZEP_INACTIVE,
    ZEP_SYN_SENT,
    ZEP_SYN_ACK_SENT,
    ZEP_PARTIAL,
    ZEP_ESTABLISHED,
    ZEP_CLOSED,
    ZEP_RESET
};

/* "Recorded once" kinds; the responder's bits are these shifted by 8.
 * HK_LIMIT is the connection's own 'X' (Session::CheckHistory with
 * HIST_ANALYZER_LIMIT_REACHED, never shifted). */
enum {
    HK_SYN = 0x01, HK_FIN = 0x02, HK_RST = 0x04, HK_FIN_RST = 0x08,
    HK_DATA = 0x10, HK_ACK = 0x20, HK_MULTI = 0x40, HK_LIMIT = 0x80
};
#define HK_RESP_SHIFT 8

/* ts_zeek.timers: the analyzer timers pending (rule G); their base times
 * are TS_ZT_ATTEMPT, _DELETE, _EXPIRE0, _EXPIRE1.  ZT_EXPIRE0_SYN: the
 * first expire timer still has its first delay, tcp_SYN_timeout (any
 * re-armed or added expire timer has tcp_session_timer). */
enum {
    ZT_ATTEMPT = 0x01, ZT_DELETE = 0x02, ZT_EXPIRE0 = 0x04, ZT_EXPIRE1 = 0x08,
    ZT_EXPIRE0_SYN = 0x10
};
/* ts_zeek.inactivity: which inactivity timeout runs (its value is the
 * configuration's, which holds for the whole capture). */
enum { ZI_NONE, ZI_HANDSHAKE, ZI_ESTABLISHED };

/* ts_zeek.flags */
enum {
    TS_ZF_PARTIAL   = 0x01, /* Zeek's is_partial */
    TS_ZF_SEEN_ORIG = 0x02, /* first_packet_seen, originator */
    TS_ZF_SEEN_RESP = 0x04  /* first_packet_seen, responder */
    /* 0x08 = TS_ZEEK_LATE_FLIP (header), 0x10 = ZF_WIDE_TIMES */
};

#define ZK_BIG_JUMP 1048576 /* 1 MiB: Zeek's limit for believable jumps */

/* The bit-fields of ts_zeek hold their values (compile-time checks). */
typedef char zk_hist_len_fits[TS_ZEEK_HISTORY_MAX < 64 ? 1 : -1];       /* hist_len : 6 */
typedef char zk_split_fits[TS_ZSPLIT_COUNT <= 8 ? 1 : -1];             /* split_reason : 3 */
typedef char zk_flags_fit[(TS_ZF_SEEN_RESP | TS_ZEEK_LATE_FLIP | ZF_WIDE_TIMES) < 32 ? 1 : -1];
typedef char zk_timers_fit[(ZT_ATTEMPT | ZT_DELETE | ZT_EXPIRE0 | ZT_EXPIRE1 | ZT_EXPIRE0_SYN) < 32 ? 1 : -1];
typedef char zk_inactivity_fits[ZI_ESTABLISHED < 4 ? 1 : -1];          /* inactivity : 2 */

static const char *const zk_names[] = {
#define TS_X_NAME(id, name, desc) name,
    TS_ZEEK_STATE_LIST(TS_X_NAME)
#undef TS_X_NAME
};

static const ts_text_id zk_descs[] = {
#define TS_X_DESC(id, name, text) text,
    TS_ZEEK_STATE_LIST(TS_X_DESC)
#undef TS_X_DESC
};

const char *ts_zeek_state_name(unsigned st)
{
    return st < TS_ZK_COUNT ? zk_names[st] : "?";
}

const char *ts_zeek_state_desc_in(unsigned st, ts_lang lang)
{
    return st < TS_ZK_COUNT ? ts_text(zk_descs[st], lang) : "";
}

static const char *const split_names[] = {
#define TS_X_NAME(id, name, desc) name,
    TS_ZEEK_SPLIT_LIST(TS_X_NAME)
#undef TS_X_NAME
};

static const ts_text_id split_descs[] = {
#define TS_X_DESC(id, name, text) text,
    TS_ZEEK_SPLIT_LIST(TS_X_DESC)
#undef TS_X_DESC
};

const char *ts_zeek_split_name(unsigned why)
{
    return why < TS_ZSPLIT_COUNT ? split_names[why] : "?";
}

const char *ts_zeek_split_desc_in(unsigned why, ts_lang lang)
{
    return why < TS_ZSPLIT_COUNT ? ts_text(split_descs[why], lang) : "";
}

const char *ts_zeek_state_desc(unsigned st)   { return ts_zeek_state_desc_in(st, TS_LANG_EN); }
const char *ts_zeek_split_desc(unsigned why)  { return ts_zeek_split_desc_in(why, TS_LANG_EN); }

#define ZK_SEC INT64_C(1000000000)

/* Zeek's defaults: scripts/base/init-bare.zeek */
static const ts_zeek_config zk_defaults = {
    5 * ZK_SEC, 5 * ZK_SEC, 300 * ZK_SEC, 60 * ZK_SEC, 5 * ZK_SEC, 6 * ZK_SEC, 5 * ZK_SEC, 5
};
static ts_zeek_config zk_cfg = {
    5 * ZK_SEC, 5 * ZK_SEC, 300 * ZK_SEC, 60 * ZK_SEC, 5 * ZK_SEC, 6 * ZK_SEC, 5 * ZK_SEC, 5
};

/* The shortest delay any timer of removal_time can have (0: some timer
 * may be due at once).  Every base time of a record whose times are inline
 * is at or after its start, so before start + this nothing is due (issue
 * 14: most packets, and all of a short connection's, skip the timers). */
static int64_t zk_min_delay = 5 * ZK_SEC;

static int64_t shortest_timer_delay(const ts_zeek_config *c)
{
    int64_t d = c->attempt_delay;                 /* attempt: base + delay */
    d = c->close_delay > 0 && c->close_delay < d ? c->close_delay : d;
    if (c->close_delay <= 0)
        d = 0;                                    /* delete: due at its base */
    d = c->syn_timeout < d ? c->syn_timeout : d;  /* expire timers */
    d = c->session_timer < d ? c->session_timer : d;
    if (c->handshake_inactivity > 0 && c->handshake_inactivity < d)
        d = c->handshake_inactivity;              /* (<= 0: no inactivity timer) */
    if (c->inactivity > 0 && c->inactivity < d)
        d = c->inactivity;
    return d > 0 ? d : 0;
}

void ts_zeek_configure(const ts_zeek_config *cfg)
{
    zk_cfg = cfg ? *cfg : zk_defaults;
    if (zk_cfg.session_timer <= 0)
        zk_cfg.session_timer = zk_defaults.session_timer; /* a period of 0 would never end */
    zk_min_delay = shortest_timer_delay(&zk_cfg);
}

const ts_zeek_config *ts_zeek_get_config(void)
{
    return &zk_cfg;
}

/* The inactivity timeout now running, in ns; 0: none. */
static int64_t inactivity_of(const ts_zeek *z)
{
    switch (z->inactivity) {
    case ZI_HANDSHAKE:   return zk_cfg.handshake_inactivity; /* udp_inactivity_timeout */
    case ZI_ESTABLISHED: return zk_cfg.inactivity;           /* tcp_inactivity_timeout */
    default:             return 0;
    }
}

/* Well-known TCP ports of the analyzers Zeek loads by default (rule A1),
 * sorted.  Service names are for the reader. */
static const uint16_t zeek_server_ports[] = {
    21, 22, 25, 53, 79, 80, 81, 88,        /* ftp ssh smtp dns finger http krb */
    135, 139, 143, 389, 443, 445, 465,     /* dce-rpc smb imap ldap ssl smb smtps */
    502, 514, 563, 585, 587, 614, 631,     /* modbus syslog ssl ssl smtp ssl ipp */
    636, 989, 990, 992, 993, 995,          /* ldaps ftps telnets imaps pop3s */
    1080, 1434, 1883, 2811, 3128, 3268,    /* socks mssql mqtt gsiftp proxy ldap-gc */
    3306, 3389, 5222, 5223, 5269, 5432,    /* mysql rdp xmpp xmpp xmpp postgres */
    6379, 6666, 6667, 6668, 6669,          /* redis irc */
    8000, 8080, 8888, 20000                /* http dnp3 */
};

static int likely_server_port(uint16_t port)
{
    size_t lo = 0, hi = sizeof zeek_server_ports / sizeof zeek_server_ports[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (zeek_server_ports[mid] == port)
            return 1;
        if (zeek_server_ports[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

/* ---- the 64-bit relative sequence space (rule C6) ------------------- */

/* Which of an endpoint's two 32-bit series: its last_seq or its ack_seq. */
enum { ZK_LAST = 0, ZK_ACK = 1 };

/* How often endpoint i's series wrapped past 2^32 so far: at most once
 * per 4 GiB, so the counters wait in ts_zeek.more for the first wrap. */
static uint32_t wraps_of(const ts_zeek *z, unsigned i, unsigned series)
{
    return z->more ? z->more->wraps[series][i] : 0u;
}

/* The series' value in 64 bits (Zeek's ToFullSeqSpace). */
static uint64_t full_seq(const ts_zeek *z, unsigned i, unsigned series, uint32_t v)
{
    return ((uint64_t)wraps_of(z, i, series) << 32) | v;
}

/* ---- roles and history ---------------------------------------------- */

static unsigned orig_index(const ts_zeek *z)
{
    return z->orig_is_a ? 0u : 1u;
}

static int ep_is_orig(const ts_zeek *z, unsigned i)
{
    return i == orig_index(z);
}

static void hist_append(ts_zeek *z, char c)
{
    char *h;
    if (z->hist_len >= TS_ZEEK_HISTORY_MAX)
        return;
    if (z->hist_len == TS_ZEEK_HISTORY_INLINE) {
        /* grows past the inline buffer: move it to the extras */
        if (!more_of(z))
            return;
        memcpy(z->more->history, z->history, TS_ZEEK_HISTORY_INLINE);
    }
    z->hist_len++;
    h = hist_buf(z);
    h[z->hist_len - 1] = c;
    h[z->hist_len] = '\0';
}

/* code is an upper-case letter; the responder's is lower case. */
static void hist_add_for(ts_zeek *z, unsigned i, char code)
{
    hist_append(z, ep_is_orig(z, i) ? code : (char)(code - 'A' + 'a'));
}

/* Swap the roles (rule A4): the mask stays, the endpoints' data stays with
 * the endpoints, first-packet flags follow the endpoints, '^' is added. */
static void flip_roles(ts_zeek *z)
{
    uint8_t f = z->flags;
    z->orig_is_a ^= 1u;
    z->flags = (uint8_t)(f & ~(TS_ZF_SEEN_ORIG | TS_ZF_SEEN_RESP | TS_ZF_PARTIAL));
    if (f & TS_ZF_SEEN_ORIG)
        z->flags |= TS_ZF_SEEN_RESP;
    if (f & TS_ZF_SEEN_RESP)
        z->flags |= TS_ZF_SEEN_ORIG;
    hist_append(z, '^');
}

/* Records code once per direction; returns 1 when it had been recorded
 * before (and adds nothing), 0 when it was added now.  Applies rule A2. */
static int check_history(ts_zeek *z, unsigned i, uint16_t kind, char code)
{
    if ((code == 'A' || code == 'D') && z->hist_len == 1 && z->history[0] == 'H') {
        flip_roles(z);
        z->history[0] = '^';
        z->history[1] = 'h';
        z->history[2] = '\0';
        z->hist_len = 2;
        z->flags |= TS_ZEEK_LATE_FLIP | TS_ZF_SEEN_ORIG;
    }
    if (!ep_is_orig(z, i))
        kind = (uint16_t)(kind << HK_RESP_SHIFT);
    if (z->hist_seen & kind)
        return 1;
    z->hist_seen |= kind;
    hist_add_for(z, i, code);
    return 0;
}

/* Rule D5: record at the 1st, 10th, 100th ... occurrence. */
static void scaled_letter(ts_zeek *z, unsigned i, uint32_t *counter, char code)
{
    uint32_t n = ++*counter, p = 1;
    while (p < n && p <= UINT32_MAX / 10u)
        p *= 10u;
    if (p == n)
        hist_add_for(z, i, code);
}

/* Rule D5 for a rare letter whose counter is in the extras: without memory
 * the letter is recorded as if it were the first. */
static void scaled_rare_letter(ts_zeek *z, unsigned i, uint32_t *counter, char code)
{
    uint32_t first = 0;
    scaled_letter(z, i, counter ? counter : &first, code);
}

static void set_state(ts_zeek_endpoint *e, uint8_t st)
{
    if (e->state != st) {
        e->prev_state = e->state;
        e->state = st;
    }
}

/* ---- creation (rule A1) -------------------------------------------- */

static void new_connection(ts_zeek *z, const ts_segment *seg)
{
    int syn = (seg->flags & TS_SYN) != 0, ack = (seg->flags & TS_ACK) != 0;
    int flip = 0;

    z->started = 1;
    z->orig_is_a = seg->from_a ? 1u : 0u; /* the first packet's sender */
    if ((!syn || ack) && likely_server_port(seg->sport)) {
        if (likely_server_port(seg->dport))
            flip = !syn && seg->sport < seg->dport;
        else
            flip = 1;
    }
    if (flip)
        flip_roles(z);
}

/* ---- sequence bookkeeping (rules C1-C6) ----------------------------- */

/* Zeek's UpdateLastSeq / UpdateAckSeq: the series moves forward to v; a
 * lower number than before means it wrapped past 2^32.  Without memory
 * for the counter the wrap is not counted (the sizes then read modulo
 * 2^32, as they did before wraps were counted). */
static inline void move_seq(ts_zeek *z, unsigned i, unsigned series, uint32_t *field, uint32_t v)
{
    if (v < *field && more_of(z))
        z->more->wraps[series][i]++;
    *field = v;
}

/* The wraps of endpoint i's series as s would make them (Zeek's
 * get_relative_seq): one more when s is ahead of last but a lower number,
 * one less when s is behind last but a higher number. */
static uint32_t wraps_at(const ts_zeek *z, unsigned i, uint32_t s, uint32_t last,
                         unsigned series)
{
    uint32_t w = wraps_of(z, i, series);
    int32_t d = seq_diff(s, last);

    if (d < 0) {
        if (w && s > last)
            w--;
    } else if (d > 0 && s < last) {
        w++;
    }
    return w;
}

/* Zeek's get_relative_seq: s relative to endpoint i's start, s being
 * compared with the last value of a series (last_seq or ack_seq).  Returns
 * 1 when s lies before the start with no wrap counted (Zeek's underflow:
 * more than 2 GiB ahead of the start also reads as before it until the
 * 32-bit number wraps).  *rel gets the low 32 bits of the 64-bit relative
 * number: the letters and the reassembly compare 32-bit numbers, exact up
 * to 4 GiB from the start.  Inline, with the wraps looked at only for a
 * number behind the start: this runs twice for every packet. */
static inline int relative_seq(const ts_zeek *z, unsigned i, uint32_t s, uint32_t last,
                               unsigned series, uint32_t *rel)
{
    int32_t d = seq_diff(s, z->ep[i].start);

    *rel = (uint32_t)d;
    return d < 0 && wraps_at(z, i, s, last, series) == 0;
}

static void restart_numbering(ts_zeek_endpoint *e, uint32_t seq, uint32_t end)
{
    e->start = seq;
    e->ack = seq;
    e->last = end;
}

static void init_endpoint(ts_zeek_endpoint *e, int syn, uint32_t seq, uint32_t end)
{
    switch (e->state) {
    case ZEP_INACTIVE:
        if (syn) {
            restart_numbering(e, seq, end);
        } else {
            e->start = seq - 1u;
            e->ack = seq - 1u;
            e->last = seq;
        }
        break;
    case ZEP_SYN_SENT:
    case ZEP_SYN_ACK_SENT:
        if (syn && seq != e->start)
            restart_numbering(e, seq, end);
        break;
    case ZEP_ESTABLISHED:
    case ZEP_PARTIAL:
        if (syn)
            restart_numbering(e, seq, end);
        break;
    case ZEP_RESET:
        if (syn && e->prev_state == ZEP_INACTIVE)
            restart_numbering(e, seq, end);
        break;
    default:
        break;
    }
}

static int32_t update_last(ts_zeek *z, unsigned i, uint32_t end, uint8_t flags, uint32_t len)
{
    ts_zeek_endpoint *e = &z->ep[i];
    int32_t d = seq_diff(end, e->last);

    if ((flags & (TS_SYN | TS_RST)) && (d > ZK_BIG_JUMP || d < -ZK_BIG_JUMP))
        ;
    else if ((flags & TS_FIN) && e->last == e->start + 1u)
        move_seq(z, i, ZK_LAST, &e->last, end);
    else if (e->state == ZEP_RESET)
        ;
    else if (d > 0)
        move_seq(z, i, ZK_LAST, &e->last, end);
    else if (len > 0)
        scaled_letter(z, i, &e->n_rxmit, 'T');
    return d;
}

/* ---- letters of the flags (rules D1-D3) ----------------------------- */

static void flag_letters(ts_zeek *z, unsigned i, uint8_t flags, uint32_t rel, uint32_t len)
{
    ts_zeek_endpoint *e = &z->ep[i];
    int syn = (flags & TS_SYN) != 0, fin = (flags & TS_FIN) != 0, rst = (flags & TS_RST) != 0;
    int n = syn + fin + rst;

    if (n > 1) {
        if (fin && rst)
            check_history(z, i, HK_FIN_RST, 'I');
        else
            check_history(z, i, HK_MULTI, 'Q');
    } else if (syn) {
        char code = (flags & TS_ACK) ? 'H' : 'S';
        if (check_history(z, i, HK_SYN, code) && rel != e->last_syn)
            hist_add_for(z, i, code);
        e->last_syn = rel;
    } else if (fin) {
        if (check_history(z, i, HK_FIN, 'F') && rel + len != e->last_fin)
            hist_add_for(z, i, 'F');
        e->last_fin = rel + len;
    } else if (rst) {
        if (check_history(z, i, HK_RST, 'R') && rel != e->last_rst)
            hist_add_for(z, i, 'R');
        e->last_rst = rel;
    } else if (len > 0) {
        check_history(z, i, HK_DATA, 'D');
    } else if (flags & TS_ACK) {
        check_history(z, i, HK_ACK, 'A');
    }
}

/* ---- Zeek's timers (rule G) ------------------------------------------ */

/* Times are saturated by the glue (a file's clock may say anything): sums
 * and differences saturate too, so no timer arithmetic overflows. */
static int64_t t_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static int64_t t_sub(int64_t a, int64_t b)
{
    if (b == INT64_MIN)
        return a >= 0 ? INT64_MAX : a - b;
    return t_add(a, -b);
}

/* UpdateInactiveState: the originator's first SYN (or SYN-ACK) arms the
 * attempt timer at the packet's time + tcp_attempt_delay. */
static void arm_attempt_timer(ts_zeek *z)
{
    if (zk_cfg.attempt_delay > 0) {
        set_time(z, TS_ZT_ATTEMPT, last_time(z));
        z->timers |= ZT_ATTEMPT;
    }
}

static int in_handshake(uint8_t st)
{
    return st == ZEP_INACTIVE || st == ZEP_SYN_SENT || st == ZEP_SYN_ACK_SENT;
}

static int64_t later(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* ExpireTimer's verdict at time t: removes the connection when it has
 * been idle for tcp_connection_linger and either one side closed and the
 * close is over (both closed, one reset, or one side never spoke), or
 * neither side was ever active (only skipped packets). */
static int expire_removes(const ts_zeek *z, int64_t t)
{
    const ts_zeek_endpoint *a = &z->ep[0], *b = &z->ep[1];
    if (!(t_add(last_time(z), zk_cfg.linger) < t))
        return 0;
    if ((a->did_close || b->did_close) &&
        ((a->did_close && b->did_close) || a->state == ZEP_RESET || b->state == ZEP_RESET ||
         a->state == ZEP_INACTIVE || b->state == ZEP_INACTIVE))
        return 1;
    return a->state == ZEP_INACTIVE && b->state == ZEP_INACTIVE;
}

/* The due time (<= now) of the first pending timer that removes the
 * connection, with its reason in *why; INT64_MAX if none does.  Timers due
 * at time T fire before a packet at T (RunState.cc: dispatch_packet calls
 * expire_timers first; Timer.cc: DoAdvance takes Time() <= t), in due
 * order.  The clock is this connection's own packets: DoAdvance dispatches
 * a due timer with the network time of the packet that advanced the clock,
 * so an ExpireTimer decides with t = now, not its due time, and re-arms at
 * now + tcp_session_timer (TCPSessionAdapter::ExpireTimer).  The other
 * timers' verdicts do not depend on t. */
/* When the timers pending now are due: base time + the configured delay
 * (t_add saturates, as the times may be anything a capture says). */
static int64_t attempt_due(const ts_zeek *z)
{
    return t_add(ts_zeek_time_at(z, TS_ZT_ATTEMPT), zk_cfg.attempt_delay);
}

static int64_t delete_due(const ts_zeek *z)
{
    return t_add(ts_zeek_time_at(z, TS_ZT_DELETE), zk_cfg.close_delay > 0 ? zk_cfg.close_delay : 0);
}

static int64_t expire_due(const ts_zeek *z, unsigned k)
{
    int64_t delay = (k == 0 && (z->timers & ZT_EXPIRE0_SYN)) ? zk_cfg.syn_timeout
                                                              : zk_cfg.session_timer;
    return t_add(ts_zeek_time_at(z, TS_ZT_EXPIRE0 + k), delay);
}

static void arm_expire_timer(ts_zeek *z, unsigned k, int64_t base)
{
    set_time(z, TS_ZT_EXPIRE0 + k, base);
    z->timers |= k ? ZT_EXPIRE1 : ZT_EXPIRE0;
    if (k == 0)
        z->timers &= (uint8_t)~ZT_EXPIRE0_SYN;  /* base + tcp_session_timer */
}

static int64_t removal_time(ts_zeek *z, int64_t now, unsigned *why)
{
    int64_t best = INT64_MAX;
    const ts_zeek_endpoint *o = &z->ep[orig_index(z)], *r = &z->ep[orig_index(z) ^ 1u];

    if ((z->timers & ZT_DELETE) && delete_due(z) <= now) {
        best = delete_due(z);          /* ConnDeleteTimer / DeleteTimer */
        *why = TS_ZSPLIT_CLOSE;
    }
    if ((z->timers & ZT_ATTEMPT) && attempt_due(z) <= now) {
        z->timers &= (uint8_t)~ZT_ATTEMPT;  /* AttemptTimer fires once */
        if ((o->state == ZEP_SYN_SENT || o->state == ZEP_SYN_ACK_SENT) &&
            r->state == ZEP_INACTIVE && attempt_due(z) < best) {
            best = attempt_due(z);
            *why = TS_ZSPLIT_ATTEMPT;
        }
    }
    if (inactivity_of(z) > 0) {
        int64_t idle_due = t_add(last_time(z), inactivity_of(z));
        if (idle_due <= now && idle_due < best) {
            best = idle_due;                           /* Session::InactivityTimer */
            *why = TS_ZSPLIT_INACTIVITY;
        }
    }
    for (unsigned k = 0; k < 2; k++) {
        uint8_t bit = k ? ZT_EXPIRE1 : ZT_EXPIRE0;
        int64_t due = expire_due(z, k);
        if (!(z->timers & bit) || due > now)
            continue;
        if (expire_removes(z, now) && due < best) {
            best = due;
            *why = TS_ZSPLIT_EXPIRE;
        }
        arm_expire_timer(z, k, now);   /* re-armed: now + tcp_session_timer */
    }
    return best;
}

/* Another expire timer, due at base + tcp_session_timer. */
static void add_expire_timer(ts_zeek *z, int64_t base)
{
    arm_expire_timer(z, (z->timers & ZT_EXPIRE0) ? 1u : 0u, base);
}

/* TCPSessionAdapter::ConnectionClosed for endpoint i (DataPending taken
 * as false: see the notes).  A complete close cancels the analyzer's
 * timers and deletes the connection tcp_close_delay after its last time;
 * an incomplete one by a side that had spoken before arms another expire
 * timer (the partial close timer needs a connection_partial_close handler,
 * which the default scripts do not have). */
static void connection_closed(ts_zeek *z, unsigned i)
{
    ts_zeek_endpoint *e = &z->ep[i], *p = &z->ep[i ^ 1u];

    if (e->did_close)
        return;
    e->did_close = 1;
    if (e->state == ZEP_RESET || p->did_close || p->state == ZEP_INACTIVE) {
        /* The expire timers are cancelled, and none is added again: the
         * peer's own close later takes this branch too (this side has
         * closed).  So the delete timer's base can take the first expire
         * timer's place (TS_ZT_DELETE == TS_ZT_EXPIRE0). */
        z->timers = ZT_DELETE;
        set_time(z, TS_ZT_DELETE, last_time(z)); /* due + tcp_close_delay */
    } else if (e->prev_state != ZEP_INACTIVE) {
        add_expire_timer(z, last_time(z));
    }
}

/* Session::SetInactivityTimeout from TCP_Endpoint::SetState: leaving the
 * handshake switches to tcp_inactivity_timeout. */
static void after_states(ts_zeek *z, uint8_t a_before, uint8_t b_before)
{
    if (in_handshake(a_before) && in_handshake(b_before) &&
        (!in_handshake(z->ep[0].state) || !in_handshake(z->ep[1].state)))
        z->inactivity = ZI_ESTABLISHED;
}

/* IsReuse: a SYN (or, while the originator is inactive, a SYN-ACK) starts
 * a new connection if either side has closed; on a live connection only
 * when its sequence number is not the start of the side it would open. */
static int is_reuse(const ts_zeek *z, const ts_segment *seg)
{
    const ts_zeek_endpoint *o = &z->ep[orig_index(z)], *r = &z->ep[orig_index(z) ^ 1u];
    const ts_zeek_endpoint *opener = o;

    if (!(seg->flags & TS_SYN))
        return 0;
    if (seg->flags & TS_ACK) {
        if (o->state != ZEP_INACTIVE)
            return 0;
        opener = r;
    }
    if (o->did_close || r->did_close)
        return 1;
    if (seg->seq == opener->start)
        return 0;
    /* a SYN that answers the originator's SYN-ACK: the roles get flipped */
    if (!(seg->flags & TS_ACK) && opener->state == ZEP_SYN_ACK_SENT &&
        r->state == ZEP_INACTIVE && seg->seq == r->start)
        return 0;
    return 1;
}

/* Connection::CheckEncapsulation: each change of the tunnel stack counts;
 * past Tunnel::max_changes_per_connection, 'X' (once). */
static void check_encapsulation(ts_zeek *z, uint32_t encap)
{
    if (encap == z->encap)
        return;
    z->encap = encap;
    if (zk_cfg.max_encap_changes && z->encap_changes >= zk_cfg.max_encap_changes) {
        if (!(z->hist_seen & HK_LIMIT)) {
            z->hist_seen |= HK_LIMIT;
            hist_append(z, 'X');
        }
        return;
    }
    z->encap_changes++;
}

/* ---- state machine (rules B1-B5) ------------------------------------ */

/* Returns Zeek's do_close: the packet asks for ConnectionClosed. */
static int state_machine(ts_zeek *z, unsigned i, uint32_t len, int is_orig, uint8_t flags)
{
    ts_zeek_endpoint *e = &z->ep[i], *p = &z->ep[i ^ 1u];
    int syn = (flags & TS_SYN) != 0, fin = (flags & TS_FIN) != 0;
    int rst = (flags & TS_RST) != 0, ack = (flags & TS_ACK) != 0;

    switch (e->state) {
    case ZEP_INACTIVE:
        if (syn) {
            if (is_orig) {
                set_state(e, ack ? ZEP_SYN_ACK_SENT : ZEP_SYN_SENT);
                arm_attempt_timer(z);
            } else {
                /* Rule A3.  Zeek also requires seq == the sender's start,
                 * which init_endpoint has just made true. */
                if (!ack && p->state == ZEP_SYN_ACK_SENT) {
                    flip_roles(z);
                    set_state(p, ZEP_ESTABLISHED);
                    z->flags |= TS_ZF_SEEN_ORIG;
                }
                if (p->state == ZEP_SYN_SENT)
                    set_state(p, ZEP_ESTABLISHED);
                set_state(e, ZEP_ESTABLISHED);
            }
        }
        if (fin)
            set_state(e, ZEP_CLOSED);
        if (rst)
            set_state(e, ZEP_RESET);
        if (e->state == ZEP_INACTIVE) {
            if (!is_orig && len == 0 && z->ep[orig_index(z)].state == ZEP_SYN_SENT) {
                /* an ACK of the SYN before the SYN-ACK: not partial */
            } else if (ack && p->state == ZEP_ESTABLISHED) {
                set_state(e, ZEP_ESTABLISHED);
                z->flags &= (uint8_t)~TS_ZF_PARTIAL;
                z->flags |= is_orig ? TS_ZF_SEEN_ORIG : TS_ZF_SEEN_RESP;
            } else {
                set_state(e, ZEP_PARTIAL);
            }
        }
        return fin || rst;
    case ZEP_SYN_SENT:
    case ZEP_SYN_ACK_SENT:
        if (fin)
            set_state(e, ZEP_CLOSED);
        if (rst)
            set_state(e, ZEP_RESET);
        return fin || rst;
    case ZEP_ESTABLISHED:
    case ZEP_PARTIAL:
        if (syn && !ack && e->state == ZEP_PARTIAL && p->state == ZEP_INACTIVE)
            set_state(e, ZEP_SYN_SENT);
        if (fin && !rst) {
            set_state(e, ZEP_CLOSED);
            if (p->state == ZEP_RESET && p->prev_state == ZEP_CLOSED)
                set_state(p, ZEP_CLOSED);
        }
        if (rst)
            set_state(e, ZEP_RESET);
        return fin || rst;
    case ZEP_CLOSED:
        if (rst && p->state != ZEP_CLOSED) {
            set_state(e, ZEP_RESET);
            return !e->did_close;
        }
        return 0;
    default: /* ZEP_RESET */
        return 0;
    }
}

/* ---- reassembly and gaps (rule E) ----------------------------------- */

static int clean(const ts_zeek_endpoint *e)
{
    return e->state == ZEP_ESTABLISHED ||
           (e->state == ZEP_CLOSED && e->prev_state == ZEP_ESTABLISHED);
}

/* A hole of len bytes in endpoint i's stream: 'G' and content_gap (which
 * adds to missed_bytes) under the same condition, report_gaps_for_partial
 * being F by default [TCP_Reassembler.cc: Gap, report_gap;
 * conn/main.zeek: event content_gap]. */
static void gap(ts_zeek *z, unsigned i, uint32_t len)
{
    if (clean(&z->ep[i]) && clean(&z->ep[i ^ 1u])) {
        zk_holes *h = holes_for_write(z, i);
        scaled_rare_letter(z, i, h ? &h->n_gap : NULL, 'G');
        if (h)
            h->missed += len;
    }
}

/* Drops the first block of endpoint e's list. */
static void blk_pop_front(zk_holes *e)
{
    memmove(&e->blk[0], &e->blk[1], (size_t)(e->n_blk - 1u) * sizeof e->blk[0]);
    e->n_blk--;
}

/* Delivers the blocks the contiguous edge (reassem) has reached. */
static void deliver_reached_blocks(ts_zeek *z, unsigned i)
{
    ts_zeek_endpoint *e = &z->ep[i];
    zk_holes *h = z->more ? &z->more->ep[i] : NULL;
    while (h && h->n_blk && h->blk[0].lo <= e->reassem) {
        if (h->blk[0].hi > e->reassem)
            e->reassem = h->blk[0].hi;
        blk_pop_front(h);
    }
}

/* Buffers [lo, hi) above a hole, merged with the blocks it overlaps or
 * touches (Zeek's DataBlockList keeps every block).  Past TS_ZEEK_BLOCKS
 * disjoint blocks the highest one is given up: the edge reaches the lowest
 * first, and the bytes given up count as missing when they are acked, as
 * if never seen. */
static void blk_insert(ts_zeek *z, unsigned i, uint32_t lo, uint32_t hi)
{
    unsigned k = 0, j;
    zk_holes *e = more_of(z) ? &z->more->ep[i] : NULL;

    if (!e)
        return;                           /* no memory: given up, as past the bound */

    while (k < e->n_blk && e->blk[k].hi < lo)
        k++;                              /* blocks wholly below */
    for (j = k; j < e->n_blk && e->blk[j].lo <= hi; j++) {
        if (e->blk[j].lo < lo)
            lo = e->blk[j].lo;            /* overlapping or touching: merged */
        if (e->blk[j].hi > hi)
            hi = e->blk[j].hi;
    }
    if (j == k && e->n_blk == TS_ZEEK_BLOCKS) {
        if (k == e->n_blk)
            return;                       /* full, and above every block */
        e->n_blk--;                       /* full: the highest gives way */
    }
    /* blocks k..j-1 become one: shift the ones above into place */
    memmove(&e->blk[k + 1], &e->blk[j], (size_t)(e->n_blk - j) * sizeof e->blk[0]);
    e->n_blk = (uint8_t)(e->n_blk - (j - k) + 1u);
    e->blk[k].lo = lo;
    e->blk[k].hi = hi;
}

/* The peer acknowledged endpoint i's data up to relative seq s: each hole
 * below s is a gap, each block below s is delivered (Undelivered). */
static void ack_received(ts_zeek *z, unsigned i, uint32_t s)
{
    ts_zeek_endpoint *e = &z->ep[i];
    zk_holes *h = z->more ? &z->more->ep[i] : NULL;

    if (e->fin_seen && s >= e->fin_end)
        s = e->fin_end - 1u;
    if (s <= e->reassem)
        return;
    if (s <= 2u && (z->flags & TS_ZF_PARTIAL))
        return;
    while (h && h->n_blk && h->blk[0].lo < s) {
        gap(z, i, h->blk[0].lo - e->reassem); /* the hole below the block */
        e->reassem = h->blk[0].hi;            /* the block is delivered */
        blk_pop_front(h);
    }
    if (s > e->reassem) {
        gap(z, i, s - e->reassem);
        e->reassem = s;
    }
}

/* Endpoint i sent payload [seq, seq + len) (relative). */
static void data_sent(ts_zeek *z, unsigned i, uint32_t seq, uint32_t len)
{
    ts_zeek_endpoint *e = &z->ep[i];
    uint32_t upper = seq + len, acked = e->ack - e->start;

    if (upper < seq)
        return;                           /* crosses 4 GiB from the start: not modelled */
    if (seq < acked) {
        if (upper <= acked)
            return;
        seq = acked;
    }
    if (seq <= e->reassem) {
        if (upper > e->reassem)
            e->reassem = upper;
        deliver_reached_blocks(z, i);
    } else {
        blk_insert(z, i, seq, upper);
    }
}

/* ---- public API ----------------------------------------------------- */

void ts_zeek_init(ts_zeek *z)
{
    memset(z, 0, sizeof *z);
    z->orig_is_a = 1;
    z->ep[0].reassem = z->ep[1].reassem = 1u; /* data starts after the SYN */
}

void ts_zeek_set_alloc(ts_zeek *z, ts_zeek_alloc_fn alloc, void *ctx)
{
    if (!alloc) {
        z->alloc_gen = 0;
        return;
    }
    if (alloc != zk_alloc_fn || ctx != zk_alloc_ctx || !zk_alloc_gen) {
        zk_alloc_fn = alloc;         /* a new pair: records of the old one stop allocating */
        zk_alloc_ctx = ctx;
        if (++zk_alloc_gen == 0)
            zk_alloc_gen = 1;
    }
    z->alloc_gen = zk_alloc_gen;
}

const ts_zeek *ts_zeek_prev(const ts_zeek *z)
{
    return z->more ? z->more->prev : NULL;
}

uint32_t ts_zeek_index(const ts_zeek *z)
{
    return z->more ? z->more->index : 0u;
}

uint32_t ts_zeek_first_frame(const ts_zeek *z)
{
    return z->more ? z->more->first_frame : 0u;
}

const ts_zeek *ts_zeek_at_frame(const ts_zeek *z, uint32_t frame)
{
    const ts_zeek *p;
    while ((p = ts_zeek_prev(z)) != NULL && frame < z->more->first_frame)
        z = p;
    return z;
}

/* Zeek removed the connection (timer) or replaced it (reuse): what was
 * seen so far is one Zeek connection, kept as the extras' prev (read by
 * ts_zeek_prev); z starts afresh. */
static void split(ts_zeek *z, unsigned why)
{
    ts_zeek *old = (ts_zeek *)zk_alloc(z, sizeof *old);
    uint16_t gen = z->alloc_gen;
    uint32_t index = ts_zeek_index(z) + 1u;

    if (old)
        *old = *z;                 /* with its extras, which it owns from now on */
    ts_zeek_init(z);
    z->alloc_gen = gen;
    z->split_reason = (uint8_t)why;
    if (more_of(z)) {              /* the number, first frame and prev: extras */
        z->more->index = index;
        z->more->prev = old;
    }
}

/* NewConn and the TCP session adapter's constructor: the first packet
 * starts the clocks (first expire timer at tcp_SYN_timeout, inactivity
 * timeout udp_inactivity_timeout as set by TCPAnalyzer::MakeSessionAdapter)
 * and sets the encapsulation (Connection's constructor). */
static void start_clocks(ts_zeek *z, const ts_segment *seg, int64_t t, int64_t net_ns)
{
    if (z->more)                   /* a split's: see ts_zeek_first_frame */
        z->more->first_frame = seg->frame;
    z->start_ns = t;               /* first: the other times are kept after it */
    set_time(z, TS_ZT_LAST, t);
    set_time(z, TS_ZT_NET, net_ns); /* network time never goes back */
    z->inactivity = ZI_HANDSHAKE;
    /* TCPSessionAdapter's constructor: run_state::network_time + tcp_SYN_timeout */
    set_time(z, TS_ZT_EXPIRE0, net_ns);
    z->timers = ZT_EXPIRE0 | ZT_EXPIRE0_SYN;
    z->encap = seg->encap;
}

/* No timer can be due by now: every base time is inline, so at or after
 * the start, and now is less than the shortest delay after it. */
static int nothing_due(const ts_zeek *z, int64_t now)
{
    return zk_min_delay > 0 && !(z->flags & ZF_WIDE_TIMES) && now < t_add(z->start_ns, zk_min_delay);
}

/* The packet's time as an inline offset, worked out once for the times
 * it sets on nearly every packet (network time, last time). */
typedef struct {
    int      valid;    /* us holds t's inline offset from the current start */
    uint32_t us;
} zk_packet_time;

/* Sets time k to the packet's time t, through its offset when known. */
static void set_packet_time(ts_zeek *z, unsigned k, int64_t t, const zk_packet_time *pt)
{
    if (pt->valid)
        z->t_us[k] = pt->us;
    else
        set_time(z, k, t);
}

/* Zeek's session lookup for an existing connection (IPBasedAnalyzer::
 * AnalyzePacket): timers due by now first, then IsReuse, then the
 * encapsulation check.  Network time never goes back: it stays as it is
 * unless t is later (then it is t, whose offset *pt gets). */
static int64_t session_lookup(ts_zeek *z, const ts_segment *seg, int64_t t, zk_packet_time *pt)
{
    unsigned why = TS_ZSPLIT_NONE;
    int64_t net = ts_zeek_time_at(z, TS_ZT_NET), now = later(net, t);

    if ((nothing_due(z, now) || removal_time(z, now, &why) == INT64_MAX) && is_reuse(z, seg))
        why = TS_ZSPLIT_REUSE;
    if (why != TS_ZSPLIT_NONE)
        split(z, why);
    else {
        if (now != net) {
            pt->valid = !(z->flags & ZF_WIDE_TIMES) && inline_offset(z->start_ns, t, &pt->us);
            set_packet_time(z, TS_ZT_NET, t, pt);
        }
        check_encapsulation(z, seg->encap);
    }
    return now;
}

/* Zeek reads a capture with microsecond precision (pcap_fopen_offline;
 * libpcap truncates nanoseconds) and holds sec + usec / 1e6: every time
 * of the Zeek view is the packet's time truncated to the microsecond
 * (towards minus infinity, as a timeval's usec is never negative). */
static int64_t zeek_clock(int64_t ns)
{
    int64_t sub = ns % 1000;
    if (sub < 0)
        sub += 1000;
    return ns < INT64_MIN + 1000 ? ns : ns - sub;
}

void ts_zeek_segment(ts_zeek *z, const struct ts_segment_s *pkt)
{
    /* the packet's time as Zeek reads it (not a copy of the segment: this
     * runs for every packet) */
    const int64_t t = zeek_clock(pkt->ts_ns);
    const ts_segment *seg = pkt;
    unsigned i = pkt->from_a ? 0u : 1u;
    ts_zeek_endpoint *e = &z->ep[i], *p = &z->ep[i ^ 1u];
    uint8_t flags = seg->flags;
    int syn = (flags & TS_SYN) != 0, fin = (flags & TS_FIN) != 0;
    int rst = (flags & TS_RST) != 0, ack = (flags & TS_ACK) != 0;
    uint32_t len = seg->len, seg_len, end, rel, rel_ack = 0;
    int is_orig, underflow;

    uint8_t a_before, b_before;
    int do_close;
    int64_t net_ns;
    zk_packet_time pt = { 0, 0 };

    net_ns = t;
    if (z->started)
        net_ns = session_lookup(z, seg, t, &pt);
    if (!z->started) {
        pt.valid = 0;                  /* a new start */
        new_connection(z, seg);
        start_clocks(z, seg, t, net_ns);
    }
    is_orig = ep_is_orig(z, i);

    /* TCPAnalyzer::ExtractTCP_Header: a header cut by the snaplen leaves
     * the packet out of the analysis (only the connection exists). */
    if (seg->hdr_cut)
        return;

    if (seg->bad_checksum) { /* rule D4 */
        zk_holes *h = holes_for_write(z, i);
        scaled_rare_letter(z, i, h ? &h->n_chk : NULL, 'C');
        return;
    }

    /* ConnSize counts what TCPSessionAdapter::Process analysed */
    e->pkts++;
    count_ip_bytes(z, i, seg->ip_len);
    a_before = z->ep[0].state;
    b_before = z->ep[1].state;

    /* Zeek's SetPartialStatus */
    if (is_orig) {
        if (!(z->flags & TS_ZF_SEEN_ORIG)) {
            z->flags &= (uint8_t)~TS_ZF_PARTIAL;
            if (!syn || ack)
                z->flags |= TS_ZF_PARTIAL;
        }
    } else if (!(z->flags & (TS_ZF_SEEN_RESP | TS_ZF_PARTIAL)) && !syn) {
        z->flags |= TS_ZF_PARTIAL;
    }

    seg_len = len + (uint32_t)syn + (uint32_t)fin;
    if (rst)
        seg_len -= len;
    end = seg->seq + seg_len;
    init_endpoint(e, syn, seg->seq, end);

    underflow = relative_seq(z, i, seg->seq, e->last, ZK_LAST, &rel);

    flag_letters(z, i, flags, rel, len);

    if (!z->ep[0].did_close || !z->ep[1].did_close)
        set_packet_time(z, TS_ZT_LAST, t, &pt); /* Conn()->SetLastTime */

    if (seg->win == 0 && !rst && p->state != ZEP_CLOSED && e->state != ZEP_RESET) {
        zk_holes *h = holes_for_write(z, i);
        scaled_rare_letter(z, i, h ? &h->n_win0 : NULL, 'W');
    }

    if (fin) {
        e->fin_seen = 1;
        e->fin_end = rel + seg_len;
    }

    if (ack) {
        if (p->state == ZEP_INACTIVE) {
            rel_ack = 1;
            p->start = p->ack = p->last = seg->ack - 1u;
        } else {
            uint32_t ra;
            if (!relative_seq(z, i ^ 1u, seg->ack, p->ack, ZK_ACK, &ra)) {
                rel_ack = ra;
                if (!rst) {
                    int32_t dack = seq_diff(seg->ack, p->ack);
                    if (!(seg->ack == 0 && dack > ZK_BIG_JUMP) && dack > 0)
                        move_seq(z, i ^ 1u, ZK_ACK, &p->ack, seg->ack);
                }
            }
        }
    }

    update_last(z, i, end, flags, len);
    do_close = state_machine(z, i, len, is_orig, flags);
    after_states(z, a_before, b_before);

    if (ack)
        ack_received(z, i ^ 1u, rel_ack);

    /* Zeek's CheckPIA_FirstPacket, with the direction as it arrived */
    z->flags |= is_orig ? TS_ZF_SEEN_ORIG : TS_ZF_SEEN_RESP;

    /* a payload cut by the snaplen never reaches Zeek's reassembler */
    if (len > 0 && !rst && !underflow && !seg->payload_truncated)
        data_sent(z, i, syn ? rel + 1u : rel, len);

    if (do_close)
        connection_closed(z, i);
}

/* Rules C5 and C6: the byte count Zeek logs for endpoint i, in 64 bits
 * like Zeek's (a start above the highest number reads as a huge count,
 * as in Zeek). */
static uint64_t ep_size(const ts_zeek *z, unsigned i)
{
    const ts_zeek_endpoint *e = &z->ep[i], *peer = &z->ep[i ^ 1u];
    uint64_t last = full_seq(z, i, ZK_LAST, e->last);
    uint64_t acked = full_seq(z, i, ZK_ACK, e->ack), size;
    int no_data_acked = acked == e->start || acked == (uint64_t)e->start + 1u;

    if (e->prev_state == ZEP_SYN_SENT && e->state == ZEP_RESET &&
        peer->state == ZEP_INACTIVE && !no_data_acked)
        return 0;
    size = (last > acked ? last : acked) - e->start;
    if (size != 0)
        --size;
    if (e->fin_seen && size != 0)
        --size;
    return size;
}

/* Whole-string match of ^?S[^HAFGIQ]*R.* */
static int rstos0_history(const char *h)
{
    if (*h == '^')
        ++h;
    if (*h++ != 'S')
        return 0;
    for (; *h; ++h) {
        if (*h == 'R')
            return 1;
        if (strchr("HAFGIQ", *h))
            return 0;
    }
    return 0;
}

ts_zeek_state ts_zeek_conn_state(const ts_zeek *z)
{
    const ts_zeek_endpoint *o = &z->ep[orig_index(z)];
    const ts_zeek_endpoint *r = &z->ep[orig_index(z) ^ 1u];
    uint8_t os = o->state, rs = r->state;
    int o_inactive = os == ZEP_INACTIVE || os == ZEP_PARTIAL;
    int r_inactive = rs == ZEP_INACTIVE || rs == ZEP_PARTIAL;

    if (os == ZEP_ESTABLISHED && rs == ZEP_ESTABLISHED)
        return TS_ZK_S1;              /* most packets: none of the cases below applies */
    if (rs == ZEP_RESET) {
        if (os == ZEP_SYN_SENT || os == ZEP_SYN_ACK_SENT ||
            (os == ZEP_RESET && ep_size(z, orig_index(z)) == 0 &&
             ep_size(z, orig_index(z) ^ 1u) == 0))
            return TS_ZK_REJ;
        return o_inactive ? TS_ZK_RSTRH : TS_ZK_RSTR;
    }
    if (os == ZEP_RESET) {
        if (r_inactive)
            return rstos0_history(ts_zeek_history(z)) ? TS_ZK_RSTOS0 : TS_ZK_OTH;
        return TS_ZK_RSTO;
    }
    if (rs == ZEP_CLOSED && os == ZEP_CLOSED)
        return TS_ZK_SF;
    if (os == ZEP_CLOSED)
        return r_inactive ? TS_ZK_SH : TS_ZK_S2;
    if (rs == ZEP_CLOSED)
        return o_inactive ? TS_ZK_SHR : TS_ZK_S3;
    if (os == ZEP_SYN_SENT && rs == ZEP_INACTIVE)
        return TS_ZK_S0;
    if (os == ZEP_ESTABLISHED && rs == ZEP_ESTABLISHED)
        return TS_ZK_S1;
    return TS_ZK_OTH;
}

void ts_zeek_log_of(const ts_zeek *z, ts_zeek_log *out)
{
    const ts_zeek_endpoint *o = &z->ep[orig_index(z)];
    const ts_zeek_endpoint *r = &z->ep[orig_index(z) ^ 1u];

    memset(out, 0, sizeof *out);
    out->ts_ns = z->start_ns;
    out->duration_ns = t_sub(last_time(z), z->start_ns);
    out->orig_is_a = z->orig_is_a;
    out->orig_bytes = ep_size(z, orig_index(z));
    out->resp_bytes = ep_size(z, orig_index(z) ^ 1u);
    out->missed_bytes = holes_of(z, orig_index(z))->missed + holes_of(z, orig_index(z) ^ 1u)->missed;
    out->orig_pkts = o->pkts;
    out->resp_pkts = r->pkts;
    out->orig_ip_bytes = ip_bytes_of(z, orig_index(z));
    out->resp_ip_bytes = ip_bytes_of(z, orig_index(z) ^ 1u);
    out->conn_state = (uint8_t)ts_zeek_conn_state(z);
}
