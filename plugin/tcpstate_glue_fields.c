/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate glue: one TCP layer's facts from the frame's tree (first pass).
 *
 * What is read.  Every field a postdissector wants makes Wireshark build a
 * real item for it in every packet, so the plugin wants as few as it can:
 * tcp.srcport (it marks where each TCP header starts: the source port is
 * its first field), tcp.len and tcp.stream (computed by the TCP dissector,
 * not in the header), tcp.checksum.status (only the dissector knows whether
 * it verified the checksum), and the ip and ipv6 protocol items (where each
 * IP header starts).  Ports, sequence numbers, flags, window and options
 * are read from the TCP header bytes themselves (tcpstate_wire.c),
 * addresses from the IP header bytes.
 */

#include <string.h>

#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/address.h>

#include "tcpstate_glue_private.h"
#include "tcpstate_wire.h"

/* ---- Collecting one TCP layer's fields ------------------------------------ */

field_info *
finfo_in_layer(GPtrArray *arr, int layer_num)
{
    guint i;
    if (!arr)
        return NULL;
    for (i = 0; i < arr->len; i++) {
        field_info *fi = (field_info *)g_ptr_array_index(arr, i);
        if (fi->total_layer_num == layer_num)
            return fi;
    }
    return NULL;
}

/* The item with the largest layer number below layer_num. */
static void
nearest_below(GPtrArray *arr, int layer_num, field_info **best)
{
    guint i;
    if (!arr)
        return;
    for (i = 0; i < arr->len; i++) {
        field_info *fi = (field_info *)g_ptr_array_index(arr, i);
        if (fi->total_layer_num < layer_num &&
            (*best == NULL || fi->total_layer_num > (*best)->total_layer_num))
            *best = fi;
    }
}

/* Source and destination of the IP header an ip/ipv6 protocol item covers
 * (the version nibble says which layout applies). */
gboolean
ip_header_addresses(packet_info *pinfo, const field_info *fi, address *src, address *dst)
{
    uint8_t version;
    int alen, soff;
    guint8 *bytes;

    if (!fi || !fi->ds_tvb || !tvb_bytes_exist(fi->ds_tvb, fi->start, 1))
        return FALSE;
    tvb_memcpy(fi->ds_tvb, &version, fi->start, 1);
    version >>= 4;
    if (version == 4) {
        alen = 4;
        soff = 12;
    } else if (version == 6) {
        alen = 16;
        soff = 8;
    } else {
        return FALSE;
    }
    if (!tvb_bytes_exist(fi->ds_tvb, fi->start + soff, 2 * alen))
        return FALSE;
    bytes = (guint8 *)tvb_memdup(pinfo->pool, fi->ds_tvb, fi->start + soff, 2 * alen);
    set_address(src, version == 4 ? AT_IPv4 : AT_IPv6, alen, bytes);
    set_address(dst, version == 4 ? AT_IPv4 : AT_IPv6, alen, bytes + alen);
    return TRUE;
}

/* Ports, numbers, flags, window and options of the TCP header that starts
 * where its tcp.srcport item does, through the wire parser (which also
 * sets hdr_cut: Zeek's TCPAnalyzer::ExtractTCP_Header drops a segment
 * whose header, data offset * 4, runs past the captured bytes).  FALSE
 * when the fixed header is not all there or its data offset is below 5;
 * options are read as far as they were captured.  A malformed option is
 * left to the TCP dissector's own expert info ("The length ... is
 * invalid"): tcpstate has no anomaly of its own for it. */
/* The TCP header at h, of which have (20..60) bytes were captured. */
static gboolean
parse_tcp_header(const uint8_t *h, int have, ts_segment *seg)
{
    unsigned hlen = (h[12] >> 4) * 4u;   /* below 20: the parser refuses it */
    if ((unsigned)have > hlen)
        have = hlen < 20 ? 20 : (int)hlen;
    return (ts_wire_tcp_header(h, (unsigned)have, seg, NULL) & TS_WIRE_UNUSABLE) ? FALSE : TRUE;
}

gboolean
read_tcp_header(const field_info *srcport, ts_segment *seg)
{
    tvbuff_t *tvb = srcport->ds_tvb;
    int have;

    /* One pointer into the captured bytes (no copy): the fixed header and
     * as many option bytes as were captured, at most 60 in all. */
    have = tvb ? tvb_captured_length_remaining(tvb, srcport->start) : -1;
    if (have < 20)
        return FALSE;
    if (have > 60)
        have = 60;
    return parse_tcp_header(tvb_get_ptr(tvb, srcport->start, have), have, seg);
}

/* IP total length from the first 6 bytes of an IP header (see below). */
static uint32_t
ip_length_of(const uint8_t *h)
{
    if ((h[0] >> 4) == 4)
        return ts_wire_be16(h + 2);
    if ((h[0] >> 4) == 6)
        return ts_wire_be16(h + 4) + 40u;
    return 0;
}

/* read_tcp_header, and seg->ip_len = ip_total_length(ip), with one pointer
 * when the IP header lies before the TCP header in the same bytes (the
 * usual frame): the length check and tvb_get_ptr cost more than the
 * parsing.  Captured bytes from the IP header on, less the gap, are those
 * from the TCP header on, so the checks are read_tcp_header's. */
gboolean
read_ip_and_tcp(const field_info *ip, const field_info *srcport, ts_segment *seg)
{
    tvbuff_t *tvb = srcport->ds_tvb;
    const uint8_t *h;
    int gap, have;

    if (!ip || !tvb || ip->ds_tvb != tvb || ip->start < 0 || ip->start > srcport->start) {
        if (!read_tcp_header(srcport, seg))
            return FALSE;
        seg->ip_len = ip_total_length(ip);
        return TRUE;
    }
    gap = srcport->start - ip->start;
    have = tvb_captured_length_remaining(tvb, ip->start) - gap;
    if (have < 20)
        return FALSE;
    if (have > 60)
        have = 60;
    h = tvb_get_ptr(tvb, ip->start, gap + have);
    if (!parse_tcp_header(h + gap, have, seg))
        return FALSE;
    seg->ip_len = ip_length_of(h);
    return TRUE;
}

/* IP total length as Zeek's IP_Hdr::TotalLen reads it (IPv6: payload
 * length + 40), from the IP header item; 0 if unknown. */
uint32_t
ip_total_length(const field_info *ip)
{
    const uint8_t *h;

    if (!ip || !ip->ds_tvb || ip->start < 0 ||
        tvb_captured_length_remaining(ip->ds_tvb, ip->start) < 6)
        return 0;
    h = tvb_get_ptr(ip->ds_tvb, ip->start, 6);  /* (no copy) */
    return ip_length_of(h);
}

guint32
finfo_uint(field_info *fi)
{
    return fvalue_get_uinteger(TS_FI_FVALUE(fi));
}

/* ---- Addresses and tunnels ------------------------------------------------ */

/* The items of wanted field w in the frame's tree (NULL if none). */
GPtrArray *
wanted_items(proto_tree *tree, unsigned w)
{
    return wanted_hf[w] > 0 ? proto_get_finfo_ptr_array(tree, wanted_hf[w]) : NULL;
}

/* The IP header item (ip or ipv6) nearest below layer_num, or NULL. */
field_info *
ip_below(frame_fields *ff, int layer_num)
{
    field_info *ip = NULL;

    if (!ff->have_ip) {
        /* (a frame of one IP version: the other's array is not looked up) */
        gboolean known = (ff->ip_layers & FF_LAYERS_KNOWN) != 0;
        if (!known || (ff->ip_layers & FF_HAS_IP))
            ff->arr[W_IP] = wanted_items(ff->tree, W_IP);
        if (!known || (ff->ip_layers & FF_HAS_IPV6))
            ff->arr[W_IPV6] = wanted_items(ff->tree, W_IPV6);
        ff->have_ip = TRUE;
    }
    if (ff->below_layer == layer_num && layer_num > 0)
        return ff->below;
    nearest_below(ff->arr[W_IP], layer_num, &ip);
    nearest_below(ff->arr[W_IPV6], layer_num, &ip);
    ff->below_layer = layer_num;
    ff->below = ip;
    return ip;
}

/* Whether a UDP layer lies between layer numbers lo and hi (exclusive),
 * the IP header of a level and the next IP header: the level is then a
 * tunnel over UDP (Teredo, GTP, AYIYA, Geneve...), compared with its ports.
 * VXLAN, and GRE even when carried in UDP (RFC 8086), are compared like
 * IP-in-IP: Zeek's IPTunnel keys them by the outer IP addresses only. */
static gboolean
udp_between(packet_info *pinfo, int lo, int hi)
{
    wmem_list_frame_t *f;
    gboolean udp = FALSE;
    int n = 0;

    for (f = wmem_list_head(pinfo->layers); f && n < hi - 1; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        if (++n <= lo)
            continue;
        if (id == proto_vxlan || id == proto_gre)
            return FALSE;
        if (id == proto_udp)
            udp = TRUE;
    }
    return udp;
}

static uint32_t
mix32(uint32_t h, const address *a)
{
    const uint8_t *p = (const uint8_t *)a->data;
    for (int i = 0; i < a->len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t
mix_port(uint32_t h, uint16_t port)
{
    h = (h ^ (uint32_t)(port >> 8)) * 16777619u;
    return (h ^ (uint32_t)(port & 0xFF)) * 16777619u;
}

/* The source and destination ports of the first UDP header above the IP
 * header at layer ip_layer; FALSE if none is found. */
static gboolean
udp_ports_above(frame_fields *ff, int ip_layer, uint16_t *sport, uint16_t *dport)
{
    field_info *udp = NULL;
    uint8_t h[4];

    if (!ff->arr[W_UDP])
        ff->arr[W_UDP] = wanted_items(ff->tree, W_UDP);
    for (guint i = 0; ff->arr[W_UDP] && i < ff->arr[W_UDP]->len; i++) {
        field_info *fi = (field_info *)g_ptr_array_index(ff->arr[W_UDP], i);
        if (fi->total_layer_num > ip_layer &&
            (!udp || fi->total_layer_num < udp->total_layer_num))
            udp = fi;
    }
    if (!udp || !udp->ds_tvb || !tvb_bytes_exist(udp->ds_tvb, udp->start, 4))
        return FALSE;
    tvb_memcpy(udp->ds_tvb, h, udp->start, 4);
    *sport = ts_wire_be16(h);
    *dport = ts_wire_be16(h + 2);
    return TRUE;
}

/* The layer number of the first IP header above layer, at most limit. */
static int
next_ip_above(frame_fields *ff, int layer, int limit)
{
    GPtrArray *arrs[2] = { ff->arr[W_IP], ff->arr[W_IPV6] };
    int next = limit;

    for (unsigned k = 0; k < 2; k++)
        for (guint i = 0; arrs[k] && i < arrs[k]->len; i++) {
            int n = ((field_info *)g_ptr_array_index(arrs[k], i))->total_layer_num;
            if (n > layer && n < next)
                next = n;
        }
    return next;
}

/* Identity of the tunnel encapsulation of the TCP layer at layer_num, as
 * Zeek's EncapsulationStack compares it (Connection::CheckEncapsulation,
 * EncapsulatingConn::operator==): every IP header below the TCP layer's
 * own one, direction-independently -- by its addresses for IP-in-IP, GRE
 * and VXLAN (Zeek's ip_tunnels map is keyed by the unordered pair), by its
 * addresses AND the UDP ports above it for a tunnel over UDP (the level is
 * the outer UDP connection, the same object both ways).  0: none. */
uint32_t
encapsulation_of(packet_info *pinfo, frame_fields *ff, int layer_num)
{
    field_info *inner = ip_below(ff, layer_num);
    GPtrArray *arrs[2] = { ff->arr[W_IP], ff->arr[W_IPV6] };
    uint32_t id = 0;
    gboolean any = FALSE;

    if (!inner)
        return 0;
    if ((arrs[0] ? arrs[0]->len : 0) + (arrs[1] ? arrs[1]->len : 0) == 1)
        return 0;                   /* one IP header in the frame: no tunnel */
    for (unsigned k = 0; k < 2; k++) {
        for (guint i = 0; arrs[k] && i < arrs[k]->len; i++) {
            field_info *fi = (field_info *)g_ptr_array_index(arrs[k], i);
            address src, dst;
            uint32_t hs, hd, layer;
            uint16_t sport, dport;
            if (fi->total_layer_num >= inner->total_layer_num ||
                !ip_header_addresses(pinfo, fi, &src, &dst))
                continue;
            any = TRUE;
            hs = mix32(2166136261u, &src);
            hd = mix32(2166136261u, &dst);
            if (udp_between(pinfo, fi->total_layer_num,
                            next_ip_above(ff, fi->total_layer_num, inner->total_layer_num)) &&
                udp_ports_above(ff, fi->total_layer_num, &sport, &dport)) {
                hs = mix_port(hs, sport);   /* (address, port) of each side */
                hd = mix_port(hd, dport);
            }
            layer = (uint32_t)fi->total_layer_num * 0x9E3779B1u;
            id ^= layer ^ (hs ^ hd) ^ (hs + hd);    /* symmetric in the two sides */
        }
    }
    return any ? (id ? id : 1u) : 0;
}

/* The network addresses of one TCP layer: those of the nearest IP layer
 * below it (tunnels have several), else the frame's. */
void
layer_addresses(packet_info *pinfo, frame_fields *ff, int layer_num, address *src, address *dst)
{
    clear_address(src);
    clear_address(dst);
    if (!ip_header_addresses(pinfo, ip_below(ff, layer_num), src, dst)) {
        copy_address_shallow(src, &pinfo->net_src);
        copy_address_shallow(dst, &pinfo->net_dst);
    }
}
