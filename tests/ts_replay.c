/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ts_replay: feeds a capture's TCP segments (and ICMP errors quoting one)
 * straight to the tcpstate core, without tshark or libwireshark, and prints
 * the fields a tests/e2e case asks for, one line per frame, tab-separated,
 * as `tshark -T fields` prints them.
 *
 *   ts_replay -r FILE [-2] [--grace MS] [--hits FILE] -e FIELD [-e FIELD ...]
 *
 * Reads pcap (micro/nanosecond, either byte order) and pcapng (EPB, SPB);
 * link types Ethernet (with 802.1Q tags), Linux cooked SLL and SLL2, raw
 * IP (101, 228, 229) and BSD loopback; IPv4 (first fragments only) and
 * IPv6 (no extension headers); TCP; ICMP/ICMPv6 destination unreachable.
 * Streams are keyed by four-tuple like the glue's; endpoint A is the source
 * of a stream's first segment.  -2 prints what the glue prints on its
 * second pass: ts_hindsight() plus ts_deferred_anomalies().
 * --hits FILE appends the model's per-cell use counts (cell coverage).
 *
 * Fields: frame.number tcp.stream tcp.flags.str tcpstate.stage
 * tcpstate.retransmission tcpstate.inferred tcpstate.client.before
 * tcpstate.client.after tcpstate.server.before tcpstate.server.after
 * tcpstate.anomaly tcpstate.sender, and the segment's own tcp.seq_raw
 * tcp.ack_raw tcp.len (empty on an ICMP error's line; tests/continuity.py
 * reads them to tell a segment missing from the capture).
 * Exit status 0, 1 unreadable capture, 2 usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstate_core.h"
#include "tcpstate_model.h"
#include "tcpstate_wire.h"

/* ---- Fields ---------------------------------------------------------------- */

enum { F_FRAME, F_STREAM, F_FLAGS, F_STAGE, F_RETRANS, F_INFERRED, F_CB, F_CA, F_SB, F_SA,
       F_ANOMALY, F_SENDER, F_SEQ, F_ACK, F_LEN, F_COUNT };

static const char *const field_names[F_COUNT] = {
    "frame.number", "tcp.stream", "tcp.flags.str", "tcpstate.stage",
    "tcpstate.retransmission", "tcpstate.inferred", "tcpstate.client.before",
    "tcpstate.client.after", "tcpstate.server.before", "tcpstate.server.after",
    "tcpstate.anomaly", "tcpstate.sender", "tcp.seq_raw", "tcp.ack_raw", "tcp.len",
};

/* ---- One analysed frame ------------------------------------------------------ */

typedef struct {
    uint32_t frame;
    int      stream;       /* -1: no TCP */
    uint16_t tcp_flags;    /* the TCP header's 12 flag bits (quoted one for ICMP) */
    int      has_rec;
    int      is_tcp;       /* a segment (not an ICMP error): seq, ack, len below */
    uint32_t seq, ack, len;
    ts_record rec;
} frame_out;

typedef struct {
    uint8_t  v6;
    uint8_t  addr[2][16];  /* [0] endpoint A */
    uint16_t port[2];
    ts_stream core;
    const ts_conn *conn;   /* the connection its tcp.stream number belongs to */
    int number;            /* tcp.stream */
    uint8_t syn_seen[2];   /* [from_a]: a SYN without ACK seen, its seq below */
    uint32_t syn_seq[2];
} stream_ent;

static stream_ent *streams;
static size_t nstreams, capstreams;
static frame_out *frames;
static size_t nframes, capframes;
static int next_number;
static int64_t capture_end_ns;
static int capture_end_set;

static void *zalloc(void *ctx, size_t n)
{
    void *p = calloc(1, n);
    (void)ctx;
    if (!p) {
        fprintf(stderr, "ts_replay: out of memory\n");
        exit(1);
    }
    return p;
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : 64;
    p = realloc(p, *cap * size);
    if (!p) {
        fprintf(stderr, "ts_replay: out of memory\n");
        exit(1);
    }
    return p;
}

/* The stream of a four-tuple; *from_a tells the direction. */
static int find_stream(int v6, const uint8_t *src, const uint8_t *dst, uint16_t sport,
                       uint16_t dport, int create, int *from_a)
{
    size_t alen = v6 ? 16 : 4;
    for (size_t i = 0; i < nstreams; i++) {
        stream_ent *s = &streams[i];
        if (s->v6 != v6)
            continue;
        if (s->port[0] == sport && s->port[1] == dport &&
            !memcmp(s->addr[0], src, alen) && !memcmp(s->addr[1], dst, alen)) {
            *from_a = 1;
            return (int)i;
        }
        if (s->port[0] == dport && s->port[1] == sport &&
            !memcmp(s->addr[0], dst, alen) && !memcmp(s->addr[1], src, alen)) {
            *from_a = 0;
            return (int)i;
        }
    }
    if (!create)
        return -1;
    streams = grow(streams, &capstreams, nstreams, sizeof *streams);
    memset(&streams[nstreams], 0, sizeof streams[0]);
    streams[nstreams].v6 = (uint8_t)v6;
    memcpy(streams[nstreams].addr[0], src, alen);
    memcpy(streams[nstreams].addr[1], dst, alen);
    streams[nstreams].port[0] = sport;
    streams[nstreams].port[1] = dport;
    ts_stream_init(&streams[nstreams].core, zalloc, NULL);
    *from_a = 1;
    return (int)nstreams++;
}

/* ---- Parsing --------------------------------------------------------------- */

/* The TCP header and the ICMP type are read by the plugin's own parser
 * (plugin/tcpstate_wire.c), so that the replay reads them as the glue does. */

typedef struct {
    int v6;
    const uint8_t *src, *dst;
    uint8_t proto;
    const uint8_t *l4;
    size_t l4_cap;     /* captured bytes of the layer-4 part */
    size_t l4_len;     /* its length on the wire */
} ip_view;

/* An IPv4 or IPv6 header at p; 0 if not one we follow. */
static int parse_ip(const uint8_t *p, size_t cap, ip_view *ip)
{
    if (cap < 1)
        return 0;
    if ((p[0] >> 4) == 4) {
        size_t ihl = (size_t)(p[0] & 0x0f) * 4, total;
        if (cap < 20 || ihl < 20 || cap < ihl)
            return 0;
        if (ts_wire_be16(p + 6) & 0x1fff)
            return 0;                            /* a later fragment */
        total = ts_wire_be16(p + 2);
        ip->v6 = 0;
        ip->src = p + 12;
        ip->dst = p + 16;
        ip->proto = p[9];
        ip->l4 = p + ihl;
        ip->l4_cap = cap - ihl;
        ip->l4_len = total > ihl ? total - ihl : 0;
        if (ip->l4_cap > ip->l4_len)
            ip->l4_cap = ip->l4_len;             /* Ethernet padding */
        return 1;
    }
    if ((p[0] >> 4) == 6) {
        if (cap < 40)
            return 0;
        ip->v6 = 1;
        ip->src = p + 8;
        ip->dst = p + 24;
        ip->proto = p[6];
        ip->l4 = p + 40;
        ip->l4_cap = cap - 40;
        ip->l4_len = ts_wire_be16(p + 4);
        if (ip->l4_cap > ip->l4_len)
            ip->l4_cap = ip->l4_len;
        return 1;
    }
    return 0;
}

/* Wireshark also starts a new tcp.stream on a SYN with another ISN from
 * the same side, even where the core sees a SYN on a live connection. */
static int new_isn(stream_ent *st, const ts_segment *seg)
{
    int d = seg->from_a, fresh;
    if ((seg->flags & (TS_SYN | TS_ACK)) != TS_SYN)
        return 0;
    fresh = st->syn_seen[d] && st->syn_seq[d] != seg->seq;
    st->syn_seen[d] = 1;
    st->syn_seq[d] = seg->seq;
    return fresh;
}

static void feed_tcp(const ip_view *ip, int64_t ts_ns, uint32_t frame, frame_out *out)
{
    const uint8_t *t = ip->l4;
    ts_segment seg;
    unsigned off;
    int from_a, si;
    memset(&seg, 0, sizeof seg);
    /* a header cut by the capture is dropped here (l4_cap <= l4_len) */
    if (ts_wire_tcp_header(t, ip->l4_cap, &seg, NULL) & (TS_WIRE_UNUSABLE | TS_WIRE_HEADER_CUT))
        return;
    off = (unsigned)(t[12] >> 4) * 4;
    seg.frame = frame;
    seg.ts_ns = ts_ns;
    seg.len = (uint32_t)(ip->l4_len - off);
    seg.payload_truncated = seg.len && ip->l4_cap < ip->l4_len;
    si = find_stream(ip->v6, ip->src, ip->dst, seg.sport, seg.dport, 1, &from_a);
    seg.from_a = (uint8_t)from_a;
    out->tcp_flags = (uint16_t)(((t[12] & 0x0f) << 8) | t[13]);
    out->is_tcp = 1;
    out->seq = seg.seq;
    out->ack = seg.ack;
    out->len = seg.len;
    ts_stream_process(&streams[si].core, &seg, &out->rec);
    out->has_rec = 1;
    /* Wireshark gives a four-tuple reused by a new SYN a new tcp.stream:
     * take the core's new connection for that moment */
    int reused = new_isn(&streams[si], &seg);
    if (!streams[si].conn || (out->rec.conn != streams[si].conn && (seg.flags & TS_SYN)) || reused)
        streams[si].number = next_number++;
    streams[si].conn = out->rec.conn;
    out->stream = streams[si].number;
}

/* ICMP type 3 / ICMPv6 type 1 quoting a TCP header (RFC 5927 4.1). */
static void feed_icmp(const ip_view *ip, int64_t ts_ns, uint32_t frame, frame_out *out)
{
    const uint8_t *m = ip->l4;
    ip_view q;
    ts_icmp e;
    int from_a, si, kind;
    if (ip->l4_cap < 8 || (kind = ts_wire_icmp_kind(ip->v6, m[0], m[1])) < 0)
        return;                                  /* not a destination unreachable */
    if (!parse_ip(m + 8, ip->l4_cap - 8, &q) || q.proto != 6 || q.l4_cap < 8)
        return;
    /* the quoted segment went from q.src to q.dst; the quoted header may be cut at 8 bytes */
    si = find_stream(q.v6, q.src, q.dst, ts_wire_be16(q.l4), ts_wire_be16(q.l4 + 2), 0, &from_a);
    if (si < 0)
        return;
    if (q.l4_cap >= 14)
        out->tcp_flags = (uint16_t)(((q.l4[12] & 0x0f) << 8) | q.l4[13]);
    memset(&e, 0, sizeof e);
    e.frame = frame;
    e.ts_ns = ts_ns;
    e.from_a = (uint8_t)from_a;
    e.kind = (uint8_t)kind;
    e.seq = ts_wire_be32(q.l4 + 4);
    out->stream = streams[si].number;
    out->has_rec = ts_stream_icmp(&streams[si].core, &e, &out->rec);
}

static void analyse_frame(const uint8_t *p, size_t cap, int link, int64_t ts_ns, uint32_t frame)
{
    frame_out *out;
    ip_view ip;
    size_t off = 0;
    uint16_t type = 0;
    frames = grow(frames, &capframes, nframes, sizeof *frames);
    out = &frames[nframes++];
    memset(out, 0, sizeof *out);
    out->frame = frame;
    out->stream = -1;
    if (!capture_end_set || ts_ns > capture_end_ns)
        capture_end_ns = ts_ns;
    capture_end_set = 1;
    switch (link) {
    case 1:                                      /* Ethernet */
        if (cap < 14)
            return;
        type = ts_wire_be16(p + 12);
        off = 14;
        while ((type == 0x8100 || type == 0x88a8) && cap >= off + 4) {
            type = ts_wire_be16(p + off + 2);
            off += 4;
        }
        break;
    case 113:                                    /* Linux cooked (SLL) */
        if (cap < 16)
            return;
        type = ts_wire_be16(p + 14);
        off = 16;
        break;
    case 276:                                    /* SLL2 */
        if (cap < 20)
            return;
        type = ts_wire_be16(p);
        off = 20;
        break;
    case 0:                                      /* BSD loopback: family in host order */
        if (cap < 4)
            return;
        off = 4;
        type = (p[4 < cap ? 4 : 0] >> 4) == 6 ? 0x86dd : 0x0800;
        break;
    case 101: case 228: case 229: case 12: case 14:
        off = 0;
        type = cap && (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
        break;
    default:
        return;
    }
    if ((type != 0x0800 && type != 0x86dd) || !parse_ip(p + off, cap - off, &ip))
        return;
    if (ip.proto == 6)
        feed_tcp(&ip, ts_ns, frame, out);
    else if (ip.proto == 1 || ip.proto == 58)
        feed_icmp(&ip, ts_ns, frame, out);
}

/* ---- Capture files --------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p, int swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, int swap)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return swap ? __builtin_bswap16(v) : v;
}

static int read_pcap(FILE *f, const uint8_t *hdr)
{
    uint32_t magic;
    int swap, nano, link;
    uint8_t rh[16];
    uint8_t *buf = NULL;
    size_t bufcap = 0;
    uint32_t frame = 0;
    memcpy(&magic, hdr, 4);
    swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
    link = (int)(rd32(hdr + 20, swap) & 0xffff);
    while (fread(rh, 1, 16, f) == 16) {
        uint32_t caplen = rd32(rh + 8, swap);
        int64_t ts = (int64_t)rd32(rh, swap) * 1000000000LL +
                     (int64_t)rd32(rh + 4, swap) * (nano ? 1 : 1000);
        if (caplen > 1 << 26)
            return 1;
        if (caplen > bufcap) {
            bufcap = caplen;
            buf = realloc(buf, bufcap);
            if (!buf)
                return 1;
        }
        if (fread(buf, 1, caplen, f) != caplen)
            break;                               /* a cut-off last record */
        analyse_frame(buf, caplen, link, ts, ++frame);
    }
    free(buf);
    return 0;
}

/* pcapng: section header, interface descriptions (link type, time
 * resolution), enhanced and simple packet blocks. */
static int read_pcapng(FILE *f)
{
    int swap = 0, links[64], nif = 0;
    int64_t units[64];
    uint32_t frame = 0;
    uint8_t bh[8];
    while (fread(bh, 1, 8, f) == 8) {
        uint32_t type, len;
        uint8_t *b;
        if (!memcmp(bh, "\x0a\x0d\x0d\x0a", 4)) {
            uint8_t bom[4];
            if (fread(bom, 1, 4, f) != 4)
                return 1;
            swap = rd32(bom, 0) != 0x1a2b3c4d;
            len = rd32(bh + 4, swap);
            if (len < 28 || len > 1 << 26 || fseek(f, (long)len - 12, SEEK_CUR))
                return 1;
            nif = 0;
            continue;
        }
        type = rd32(bh, swap);
        len = rd32(bh + 4, swap);
        if (len < 12 || len > 1 << 26)
            return 1;
        b = malloc(len - 8);
        if (!b || fread(b, 1, len - 8, f) != len - 8) {
            free(b);
            return 1;
        }
        if (type == 1 && nif < 64 && len >= 20) {
            int64_t unit = 1000;                 /* default resolution: microseconds */
            size_t o = 8;
            while (o + 4 <= len - 12) {
                uint16_t code = rd16(b + o, swap), olen = rd16(b + o + 2, swap);
                if (code == 0)
                    break;
                if (code == 9 && olen == 1 && o + 5 <= len - 12) {
                    uint8_t r = b[o + 4];
                    int64_t per_s = 1;
                    for (int i = 0; i < (r & 0x7f) && per_s < 1000000000LL; i++)
                        per_s *= (r & 0x80) ? 2 : 10;
                    unit = 1000000000LL / per_s;
                }
                o += 4 + ((olen + 3u) & ~3u);
            }
            links[nif] = rd16(b, swap);
            units[nif++] = unit ? unit : 1;
        } else if (type == 6 && len >= 32) {
            uint32_t ifid = rd32(b, swap), caplen = rd32(b + 12, swap);
            uint64_t t = (uint64_t)rd32(b + 4, swap) << 32 | rd32(b + 8, swap);
            if (ifid < (uint32_t)nif && caplen <= len - 32)
                analyse_frame(b + 20, caplen, links[ifid], (int64_t)t * units[ifid], ++frame);
            else
                ++frame;
        } else if (type == 3 && len >= 16 && nif > 0) {
            size_t caplen = len - 16;
            analyse_frame(b + 4, caplen, links[0], 0, ++frame);
        } else if (type == 2) {
            ++frame;                             /* obsolete packet block: counted, not read */
        }
        free(b);
    }
    return 0;
}

/* ---- Output ------------------------------------------------------------------- */

static void put_flags(uint16_t f)
{
    /* tshark's tcp.flags.str: reserved(3) AE CWR ECE URG ACK PSH RST SYN FIN */
    static const char letters[] = "RRRNCEUAPRSF";
    for (int bit = 11; bit >= 0; bit--) {
        if (f & (1u << bit))
            putchar(letters[11 - bit]);
        else
            fputs("\xc2\xb7", stdout);           /* middle dot */
    }
}

static void put_field(int f, const frame_out *fo, const ts_record *v, ts_anomaly_set an)
{
    int has = fo->has_rec;
    switch (f) {
    case F_FRAME:    printf("%u", fo->frame); break;
    case F_STREAM:   if (fo->stream >= 0) printf("%d", fo->stream); break;
    case F_FLAGS:    if (fo->stream >= 0) put_flags(fo->tcp_flags); break;
    case F_STAGE:    if (has) fputs(ts_stage_label(v->stage), stdout); break;
    case F_RETRANS:  if (has) putchar((v->rflags & TS_REC_RETRANS) ? '1' : '0'); break;
    case F_INFERRED: if (has) putchar((v->rflags & TS_REC_INFERRED) ? '1' : '0'); break;
    case F_CB:       if (has) fputs(ts_state_name(ts_rec_client_before(v)), stdout); break;
    case F_CA:       if (has) fputs(ts_state_name(ts_rec_client_after(v)), stdout); break;
    case F_SB:       if (has) fputs(ts_state_name(ts_rec_server_before(v)), stdout); break;
    case F_SA:       if (has) fputs(ts_state_name(ts_rec_server_after(v)), stdout); break;
    case F_SENDER:   if (has) fputs((v->rflags & TS_REC_SENDER_CLIENT) ? "client" : "server", stdout);
                     break;
    case F_SEQ:      if (fo->is_tcp) printf("%u", fo->seq); break;
    case F_ACK:      if (fo->is_tcp) printf("%u", fo->ack); break;
    case F_LEN:      if (fo->is_tcp) printf("%u", fo->len); break;
    case F_ANOMALY: {
        int first = 1;
        for (unsigned a = 0; has && a < TS_ANOMALY_COUNT; a++) {
            if (!(an & TS_BIT(a)))
                continue;
            printf("%s%s", first ? "" : ",", ts_anomaly_name(a));
            first = 0;
        }
        break;
    }
    default:
        break;
    }
}

static void print_frames(const int *want, int nwant, int two_pass, int64_t grace_ns)
{
    for (size_t i = 0; i < nframes; i++) {
        const frame_out *fo = &frames[i];
        ts_record v = fo->rec;
        ts_anomaly_set an = fo->rec.anomalies;
        if (fo->has_rec && two_pass) {
            v = ts_hindsight(&fo->rec, fo->frame);
            an = v.anomalies | ts_deferred_anomalies(&fo->rec, capture_end_ns, grace_ns,
                                                     fo->frame == fo->rec.conn->last_frame);
        }
        for (int k = 0; k < nwant; k++) {
            if (k)
                putchar('\t');
            put_field(want[k], fo, &v, an);
        }
        putchar('\n');
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: ts_replay -r FILE [-2] [--grace MS] [--hits FILE] -e FIELD ...\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *hits = NULL;
    int want[64], nwant = 0, two_pass = 0, rc;
    int64_t grace_ms = 1000;
    uint8_t hdr[24];
    FILE *f;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-r") && i + 1 < argc) {
            path = argv[++i];
        } else if (!strcmp(argv[i], "-2")) {
            two_pass = 1;
        } else if (!strcmp(argv[i], "--grace") && i + 1 < argc) {
            grace_ms = strtoll(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--hits") && i + 1 < argc) {
            hits = argv[++i];
        } else if (!strcmp(argv[i], "-e") && i + 1 < argc && nwant < 64) {
            int f = -1;
            for (int k = 0; k < F_COUNT; k++)
                if (!strcmp(argv[i + 1], field_names[k]))
                    f = k;
            if (f < 0) {
                fprintf(stderr, "ts_replay: field %s is not one the core alone can give\n", argv[i + 1]);
                return 2;
            }
            want[nwant++] = f;
            i++;
        } else {
            return usage();
        }
    }
    if (!path)
        return usage();
    f = fopen(path, "rb");
    if (!f || fread(hdr, 1, sizeof hdr, f) != sizeof hdr) {
        fprintf(stderr, "ts_replay: cannot read %s\n", path);
        return 1;
    }
    {
        uint32_t m;
        memcpy(&m, hdr, 4);
        if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1) {
            rc = read_pcap(f, hdr);
        } else if (m == 0x0a0d0d0a) {
            rewind(f);
            rc = read_pcapng(f);
        } else {
            fprintf(stderr, "ts_replay: %s is neither pcap nor pcapng\n", path);
            return 1;
        }
    }
    fclose(f);
    if (rc) {
        fprintf(stderr, "ts_replay: %s is damaged\n", path);
        return 1;
    }
    print_frames(want, nwant, two_pass, grace_ms * 1000000LL);
    if (hits) {
        FILE *h = fopen(hits, "a");
        if (!h) {
            fprintf(stderr, "ts_replay: cannot write %s\n", hits);
            return 1;
        }
        ts_model_write_hits(h, path);
        fclose(h);
    }
    return 0;
}
