/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * packet-tcpstate.c: Wireshark glue of the tcpstate plugin.
 *
 * A postdissector: after all other dissectors ran, it collects the fields
 * the TCP dissector produced for each TCP layer of the frame, feeds them to
 * the Wireshark-independent core (first pass only), stores the per-frame
 * record and renders a "TCPState" subtree, the Info column suffix and
 * expert infos from that record on every pass.
 *
 * The rest of the glue: tcpstate_glue_private.h lists its files (what is
 * read from the tree, per-frame storage, rendering, registration).
 *
 * Layers.  Every field_info carries total_layer_num, the number of the
 * protocol layer that was being dissected when it was added; all fields of
 * one TCP header share it, and it is the protocol's position in
 * pinfo->layers.  Fields are grouped by that number instead of by their
 * position in each field's array, because TCP quoted inside an ICMP error
 * lacks some fields (tcp.len), which would misalign the arrays.  A TCP
 * layer whose number is larger than that of an ICMP/ICMPv6 layer of the
 * same frame sits inside the ICMP message: it is never fed as a segment;
 * if the ICMP is a destination unreachable, the core hears about it as
 * such (process_icmp_quote).
 *
 * Storage.  The first pass keeps one 12-byte slot per TCP layer in frame
 * order (tcpstate_glue_frames.c, tcpstate_slot); later passes render from
 * the slots and the frame's own bytes (seq and ack are read there again).
 * The first pass renders from the records it has just made (fed), not
 * from their slots.  The connections live in the file's store
 * (tcpstate_store.c) and a slot names its connection by a handle, the
 * connection's user_tag; a connection that is one SYN is kept as that
 * segment there, so a record's conn is read through resolve_conn.
 */

#include <inttypes.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/proto_data.h>
#include <epan/tap.h>
#include <epan/to_str.h>
#include <epan/address.h>

#include "tcpstate_core.h"
#include "tcpstate_glue_private.h"
#include "tcpstate_wire.h"

/* ---- The postdissector ----------------------------------------------------- */

/* The records the current first-pass call made, as the core gave them, with
 * seq, ack and len: the frame's rendering and taps read these instead of
 * decoding the slots just stored (tshark's one pass, the benchmark's main
 * mode, pays only for storing them).  A frame of more TCP layers than this
 * reads the rest back from its slots, as a later pass does. */
#define FED_MAX 8
typedef struct {
    ts_record rec;
    uint32_t  seq, ack, len;
} fed_record;
static fed_record fed[FED_MAX];
static uint32_t fed_first;      /* slot index of fed[0] */
static uint32_t fed_n;          /* entries of fed[] of the current call */

/* Where the core should write the next record: its place in fed[] (no
 * copy), or *local when fed[] is full. */
static ts_record *
record_place(ts_record *local)
{
    uint32_t k = slot_count - fed_first;
    return k < FED_MAX ? &fed[k].rec : local;
}

/* Stores the slot of rec, from record_place (handle, where: see
 * slot_store), and completes its fed[] entry when it has one. */
static void
keep_record(const ts_record *rec, uint32_t handle, uint32_t frame, int where, uint32_t seq,
            uint32_t ack, uint32_t len)
{
    uint32_t k = slot_count - fed_first;
    slot_store(rec, handle, frame, where, seq, ack, len);
    if (k < FED_MAX) {
        fed[k].seq = seq;
        fed[k].ack = ack;
        fed[k].len = len;
        fed_n = k + 1;
    }
}

/* Feeds one TCP layer to the core and stores its slot (first pass only).
 * Returns FALSE when the layer is skipped. */
static gboolean
process_layer(tvbuff_t *tvb, packet_info *pinfo, frame_fields *ff, field_info *srcport,
              int64_t now_ns, gboolean tapping)
{
    int layer_num = srcport->total_layer_num;
    field_info *flen = finfo_in_layer(ff->arr[W_TCP_LEN], layer_num);
    field_info *fstream = finfo_in_layer(ff->arr[W_TCP_STREAM], layer_num);
    field_info *fcksum = want_checksum ? finfo_in_layer(ff->arr[W_TCP_CKSUM_STATUS], layer_num) : NULL;
    tcpstate_stream *ts;
    ts_segment seg;
    ts_record local, *rec;
    address src, dst;
    gboolean have_addresses = FALSE;
    uint32_t stream, handle, next;

    memset(&seg, 0, sizeof seg);
    if (!flen || !fstream || !read_ip_and_tcp(ip_below(ff, layer_num), srcport, &seg))
        return FALSE;               /* truncated, fragment or error packet */
    seg.frame = pinfo->num;
    seg.ts_ns = now_ns;
    seg.bad_checksum = (fcksum && finfo_uint(fcksum) == PROTO_CHECKSUM_E_BAD) ? 1 : 0;
    seg.len = finfo_uint(flen);
    seg.payload_truncated = seg.len && pinfo->fd->cap_len < pinfo->fd->pkt_len;
    seg.encap = encapsulation_of(pinfo, ff, layer_num);

    /* Addresses are looked up only when needed: for a stream not seen yet,
     * and to tell the sides apart when both use the same port. */
    stream = finfo_uint(fstream);
    ts = stream_numbered(stream);
    if (!ts) {
        layer_addresses(pinfo, ff, layer_num, &src, &dst);
        have_addresses = TRUE;
        ts = stream_for_tuple(&src, seg.sport, &dst, seg.dport);
        if (!ts)
            return FALSE;
        stream_number(stream, ts);
    }
    if (seg.sport == seg.dport && !have_addresses)
        layer_addresses(pinfo, ff, layer_num, &src, &dst);
    seg.from_a = stream_from_a(ts, &src, seg.sport, seg.dport) ? 1 : 0;

    /* The connection's user: its four-tuple; its tag: the handle a new
     * connection gets (conn_add), which notes the tcp.stream it began in.
     * A connection of one SYN stays small unless a tap is listening (taps
     * keep the record and read its connection later). */
    next = conn_count;
    rec = record_place(&local);
    ts_store_process(&file_store, ts, &seg, next, !tapping, rec);
    if (!rec->conn)
        return FALSE;
    handle = ts_store_tag(rec->conn);
    if (handle == next)
        conn_add(rec->conn, stream);
    /* seq and ack are read again from the frame's bytes on later passes
     * when the header lies in them (ds_tvb: the bytes the field is in; the
     * frame's own unless reassembled or decrypted); start: its offset */
    keep_record(rec, handle, seg.frame, srcport->ds_tvb == tvb ? srcport->start : -1,
                seg.seq, seg.ack, seg.len);
    return TRUE;
}

/* The segment as fed to the core, rebuilt from its record and the seq, ack
 * and len kept (what ts_explain and the taps read; window and checksum
 * facts are not kept, so the first pass leaves them out too). */
static void
record_segment(const ts_record *rec, uint32_t frame, uint32_t seq, uint32_t ack, uint32_t len,
               int64_t now_ns, ts_segment *seg)
{
    const tcpstate_stream *ts = (const tcpstate_stream *)rec->conn->user;

    memset(seg, 0, sizeof *seg);
    seg->frame = frame;
    seg->ts_ns = now_ns;
    seg->from_a = (rec->seg_bits & TS_SEGBIT_FROM_A) ? 1 : 0;
    seg->tfo = (rec->seg_bits & TS_SEGBIT_TFO) ? 1 : 0;
    seg->flags = rec->seg_flags;
    seg->seq = seq;
    seg->ack = ack;
    seg->len = len;
    seg->wscale = -1;
    seg->sport = ts_store_port(ts, seg->from_a);
    seg->dport = ts_store_port(ts, !seg->from_a);
}

/* Capture time in ns, saturated: a file's clock may say anything (pcapng
 * times past 2262, negative times), and the core only needs order. */
static int64_t
capture_ns(const nstime_t *t)
{
    const int64_t max_secs = INT64_MAX / 1000000000 - 1;
    if (t->secs > max_secs)
        return INT64_MAX;
    if (t->secs < -max_secs)
        return INT64_MIN;
    return (int64_t)t->secs * 1000000000 + t->nsecs;
}

/* Number of the frame's first ICMP or ICMPv6 layer (its position in
 * pinfo->layers, as total_layer_num counts) below layer `below`, or
 * G_MAXINT; *v6 says which.  The same walk notes which IP versions the
 * frame holds below that layer (ff->ip_layers).  below is the last TCP
 * layer: nothing above it (the payload's protocols, tcpstate itself) can
 * hold a TCP layer in an ICMP error or an IP header below one. */
static int
first_icmp_layer(packet_info *pinfo, frame_fields *ff, gboolean *v6, int below)
{
    wmem_list_frame_t *f;
    int n = 0, icmp = G_MAXINT;
    unsigned ip = FF_LAYERS_KNOWN;

    for (f = wmem_list_head(pinfo->layers); f && n + 1 < below; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        n++;
        if (id == wanted_hf[W_IP])
            ip |= FF_HAS_IP;
        else if (id == wanted_hf[W_IPV6])
            ip |= FF_HAS_IPV6;
        else if ((id == proto_icmp || id == proto_icmpv6) && icmp == G_MAXINT) {
            *v6 = id == proto_icmpv6;
            icmp = n;
        }
    }
    ff->ip_layers = ip;
    return icmp;
}

/* TCP quoted in an ICMP error: if it is a destination unreachable about a
 * segment of a connection we follow, the core decides what it means and
 * the frame gets a slot of its own.  The quote's IP header is the nearest
 * IP item below the quoted TCP; the ICMP header (type, code, checksum, 4
 * more bytes) sits just before it (RFC 792, RFC 4443). */
static void
process_icmp_quote(packet_info *pinfo, frame_fields *ff, const field_info *srcport,
                   gboolean v6, int64_t now_ns)
{
    field_info *ip = ip_below(ff, srcport->total_layer_num);
    address src, dst;
    uint8_t h[8], icmp[2];
    tcpstate_stream *ts;
    ts_icmp q;
    ts_record local, *rec = record_place(&local);
    uint16_t sport, dport;
    int kind;

    if (!ip || ip->ds_tvb != srcport->ds_tvb || ip->start < 8 ||
        !srcport->ds_tvb || !tvb_bytes_exist(srcport->ds_tvb, srcport->start, 8))
        return;                     /* RFC 792 quotes at least 8 TCP bytes */
    tvb_memcpy(ip->ds_tvb, icmp, ip->start - 8, 2);
    kind = ts_wire_icmp_kind(v6, icmp[0], icmp[1]);
    if (kind < 0 || !ip_header_addresses(pinfo, ip, &src, &dst))
        return;
    tvb_memcpy(srcport->ds_tvb, h, srcport->start, 8);
    sport = ts_wire_be16(h);
    dport = ts_wire_be16(h + 2);
    ts = stream_of_tuple(&src, sport, &dst, dport);
    if (!ts)
        return;                     /* about no connection we have seen */

    memset(&q, 0, sizeof q);
    q.frame = pinfo->num;
    q.ts_ns = now_ns;
    q.from_a = stream_from_a(ts, &src, sport, dport) ? 1 : 0;
    q.kind = (uint8_t)kind;
    q.seq = ts_wire_be32(h + 4);
    if (!ts_store_icmp(&file_store, ts, &q, rec) || !rec->conn)
        return;                     /* stale or forged quote */
    /* its connection has a handle (the quote found its four-tuple's
     * current one); seq is the quote's: kept apart (where -1) */
    keep_record(rec, ts_store_tag(rec->conn), pinfo->num, -1, q.seq, 0, 0);
}

/* First pass: feeds every TCP layer of the frame to the core.  The wanted
 * fields are there (Wireshark and tshark prime them then; tshark -2 does
 * NOT on its second pass, which is why later passes use only the slots). */
static void
first_pass(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int64_t now_ns, gboolean tapping)
{
    frame_fields ff;
    GPtrArray *anchors;
    int icmp_layer, last_tcp = 0;
    gboolean icmp_v6 = FALSE, quoted_seen = FALSE;
    guint i;

    fed_first = slot_count;
    fed_n = 0;
    if (!capture_end_set || now_ns > capture_end_ns)
        capture_end_ns = now_ns;
    capture_end_set = TRUE;

    /* The first pass meets frames in order; a frame already fed (dissected
     * twice before Wireshark marked it visited) must not be fed again, or
     * the core would see its segments twice. */
    if (slot_count && slot_frame(slot_count - 1) >= pinfo->num)
        return;
    if (!tree)
        return;
    memset(&ff, 0, sizeof ff);
    ff.tree = tree;
    anchors = ff.arr[W_TCP_SRCPORT] = wanted_items(tree, W_TCP_SRCPORT);
    if (!anchors || anchors->len == 0)
        return;
    ff.arr[W_TCP_LEN] = wanted_items(tree, W_TCP_LEN);
    ff.arr[W_TCP_STREAM] = wanted_items(tree, W_TCP_STREAM);
    if (want_checksum)
        ff.arr[W_TCP_CKSUM_STATUS] = wanted_items(tree, W_TCP_CKSUM_STATUS);

    for (i = 0; i < anchors->len; i++) {
        int n = ((field_info *)g_ptr_array_index(anchors, i))->total_layer_num;
        if (n > last_tcp)
            last_tcp = n;
    }
    icmp_layer = first_icmp_layer(pinfo, &ff, &icmp_v6, last_tcp);

    for (i = 0; i < anchors->len; i++) {
        field_info *srcport = (field_info *)g_ptr_array_index(anchors, i);
        if (srcport->total_layer_num < icmp_layer)
            process_layer(tvb, pinfo, &ff, srcport, now_ns, tapping);
        else if (!quoted_seen) {    /* quoted inside an ICMP error: not a segment */
            process_icmp_quote(pinfo, &ff, srcport, icmp_v6, now_ns);
            quoted_seen = TRUE;
        }
    }
}

/* The record's real connection: a connection still one SYN is made again
 * from it (keep: for good, as taps keep the record; the handle's table
 * then holds the promoted one). */
static void
resolve_conn(ts_record *rec, gboolean keep)
{
    if (ts_store_is_small(rec->conn)) {
        uint32_t handle = ts_store_tag(rec->conn);
        rec->conn = (ts_conn *)ts_store_conn(&file_store, rec->conn, keep);
        if (rec->conn != file_store.scratch_conn)
            conn_set(handle, rec->conn);        /* promoted for good */
    }
}

/* rec: the record with its connection for good (resolve_conn, keep). */
static void
queue_tap(packet_info *pinfo, const ts_record *rec, const ts_segment *seg,
          const ts_record *view, unsigned layer, ts_anomaly_set anomalies,
          int deferred_valid, gboolean visited)
{
    const ts_conn *conn = rec->conn;
    const tcpstate_stream *ts = (const tcpstate_stream *)conn->user;
    tcpstate_tap_info *tap = wmem_new0(pinfo->pool, tcpstate_tap_info);

    tap->rec = *rec;
    tap->conn = conn;
    tap->view = *view;
    tap->seg = *seg;
    tap->stream = conn_stream(conn->user_tag);
    tap->frame = pinfo->num;
    tap->layer = layer;
    stream_address(ts, seg->from_a, &tap->src);
    stream_address(ts, !seg->from_a, &tap->dst);
    tap->src_str = address_to_str(pinfo->pool, &tap->src);
    tap->dst_str = address_to_str(pinfo->pool, &tap->dst);
    tap->srcport = seg->sport;
    tap->dstport = seg->dport;
    tap->anomalies = anomalies;
    tap->deferred_valid = (uint8_t)deferred_valid;
    tap->visited = visited ? 1 : 0;
    tap_queue_packet(tcpstate_tap, pinfo, tap);
}

/* Whether anyone will look at our subtree: a visible tree (-V, -T pdml, the
 * GUI's packet details) or a filter, column or -e field that names tcpstate
 * or one of its fields (priming a field marks its protocol as indirectly
 * referenced).  proto_field_is_referenced() is not enough: it also says yes
 * for any protocol when the tree keeps real protocol items (tshark -T
 * fields), though nobody asked for ours. */
static gboolean
tree_wanted(proto_tree *tree)
{
    static header_field_info *hfi;      /* tcpstate's, fixed once registered */

    if (!tree)
        return FALSE;
    if (PTREE_DATA(tree)->visible)
        return TRUE;
    if (!hfi)
        hfi = proto_registrar_get_nth(proto_tcpstate);
    return hfi && hfi->ref_type != HF_REF_TYPE_NONE;
}

int
dissect_tcpstate(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    int64_t now_ns = capture_ns(&pinfo->abs_ts);
    gboolean visited = PINFO_FD_VISITED(pinfo);
    gboolean tapping = have_tap_listener(tcpstate_tap);
    proto_tree *shown;
    uint32_t i, first;

    if (!visited)
        first_pass(tvb, pinfo, tree, now_ns, tapping);

    /* Our subtree and its explanation are built only when someone looks at
     * them; tshark's summary lines and -T fields of other protocols need
     * only the Info column and the expert infos. */
    shown = tree_wanted(tree) ? tree : NULL;

    first = slot_find(pinfo->num);
    for (i = first; i < slot_count && slot_frame(i) == pinfo->num; i++) {
        ts_anomaly_set anomalies;
        ts_record rec, view;
        ts_segment seg;
        uint32_t seq, ack, len;
        int deferred_valid = 0;

        if (!visited && i - fed_first < fed_n) {
            const fed_record *f = &fed[i - fed_first];
            rec = f->rec;
            seq = f->seq;
            ack = f->ack;
            len = f->len;
        } else {
            slot_load(i, shown || tapping ? tvb : NULL, &rec, &seq, &ack, &len);
        }
        resolve_conn(&rec, tapping);
        anomalies = rec.anomalies;
        view = rec;

        /* Later passes know the future: deferred anomalies, and the
         * hindsight view (final stage, and the states of a segment that a
         * later one proved had crossed its peer's or met no listener). */
        if (visited) {
            view = ts_hindsight(&rec, pinfo->num);
            anomalies = view.anomalies |
                        ts_deferred_anomalies(&rec, capture_end_ns, tcpstate_grace_ns(),
                                              pinfo->num == ts_conn_last_frame(rec.conn));
            deferred_valid = 1;
        }
        if (shown || tapping)
            record_segment(&rec, pinfo->num, seq, ack, len, now_ns, &seg);
        render(tvb, pinfo, shown, &seg, &view, anomalies);
        if (tapping)
            queue_tap(pinfo, &rec, &seg, &view, i - first, anomalies, deferred_valid, visited);
    }
    slot_cursor = i;

    return i > first ? (int)tvb_captured_length(tvb) : 0;
}
