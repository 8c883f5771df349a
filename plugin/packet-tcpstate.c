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
 * What is read.  Every field a postdissector wants makes Wireshark build a
 * real item for it in every packet, so the plugin wants as few as it can:
 * tcp.srcport (it marks where each TCP header starts: the source port is
 * its first field), tcp.len and tcp.stream (computed by the TCP dissector,
 * not in the header), tcp.checksum.status (only the dissector knows whether
 * it verified the checksum), and the ip and ipv6 protocol items (where each
 * IP header starts).  Ports, sequence numbers, flags, window and options
 * are read from the TCP header bytes themselves, addresses from the IP
 * header bytes.
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
 * Storage.  The first pass keeps one 48-byte slot per TCP layer (the core's
 * record and seq/ack/len) in frame order; later passes find a frame's slots
 * by binary search and render from them alone, since tshark's second pass
 * does not hand postdissectors their wanted fields again.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ws_version.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/prefs-int.h>
#include <epan/proto_data.h>
#include <epan/tap.h>
#include <epan/to_str.h>
#include <epan/address.h>
#include <epan/epan.h>
#include <wsutil/report_message.h>
#include <epan/dfilter/dfilter.h>
#include <epan/epan_dissect.h>

#include "tcpstate_core.h"
#include "tcpstate_explain.h"
#include "tcpstate_glue.h"

/* ---- Wireshark API differences (TS_WS_AT_LEAST: tcpstate_glue.h) ------ */

/* field_info.value became a pointer in 4.2. */
#if TS_WS_AT_LEAST(4, 2)
#define TS_FI_FVALUE(fi) ((fi)->value)
#else
#define TS_FI_FVALUE(fi) (&(fi)->value)
#endif

/* Boolean preferences take bool * from 4.4 on. */
#if TS_WS_AT_LEAST(4, 4)
typedef bool ts_pref_bool;
#else
typedef gboolean ts_pref_bool;
#endif

/* ---- Registration handles ------------------------------------------------ */

static int proto_tcpstate = -1;
static int tcpstate_tap = -1;
static dissector_handle_t tcpstate_handle;

static int hf_stage = -1;
static int hf_stage_local = -1;
static int hf_phase = -1;
static int hf_step = -1;
static int hf_client_before = -1;
static int hf_client_after = -1;
static int hf_server_before = -1;
static int hf_server_after = -1;
static int hf_sender = -1;
static int hf_closer = -1;
static int hf_teardown_role = -1;
static int hf_retransmission = -1;
static int hf_inferred = -1;
static int hf_explanation = -1;
static int hf_related_frame = -1;
static int hf_conn = -1;
static int hf_time_syn_to_synack = -1;
static int hf_time_synack_to_ack = -1;
static int hf_time_teardown = -1;
static int hf_zeek_conn_state = -1;
static int hf_zeek_history = -1;
static int hf_zeek_conn = -1;
static int hf_zeek_split = -1;
static int hf_anomaly = -1;
/* Whole-connection fields: the same on every packet of a connection. */
static int hf_conn_outcome = -1;
static int hf_conn_client_final = -1;
static int hf_conn_server_final = -1;
static int hf_conn_zeek_state = -1;
static int hf_conn_anomaly = -1;

static int ett_tcpstate = -1;
static int ett_tcpstate_states = -1;
static int ett_tcpstate_zeek = -1;
static int ett_tcpstate_explanation = -1;
static int ett_tcpstate_conn = -1;

static expert_field ei_anomaly[TS_ANOMALY_COUNT];

/* Other protocols' fields, looked up by name in the handoff. */
enum {
    W_TCP_SRCPORT, W_TCP_LEN, W_TCP_STREAM,
    W_IP, W_IPV6, W_UDP,
    W_COUNT,
    W_TCP_CKSUM_STATUS = W_COUNT,   /* wanted only while checksums are verified */
    W_ALL
};
static const char *const wanted_names[W_COUNT] = {
    "tcp.srcport", "tcp.len", "tcp.stream",
    "ip", "ipv6", "udp",
};
static int wanted_hf[W_ALL];
/* tcp.checksum.status says "bad" only when the TCP dissector verifies
 * checksums (preference tcp.check_checksum, off by default); otherwise it is
 * always "unverified", and wanting it would cost every packet a real item.
 * So it is wanted only while that preference is on (checked per file). */
static gboolean want_checksum;
/* Protocols whose layer number is looked up in pinfo->layers. */
static int proto_icmp = -1, proto_icmpv6 = -1, proto_udp = -1, proto_vxlan = -1, proto_gre = -1;

/* ---- Preferences --------------------------------------------------------- */

static ts_pref_bool pref_info_column = TRUE;
static ts_pref_bool pref_info_first = FALSE;
static ts_pref_bool pref_info_data = FALSE;
static gint         pref_language = TS_LANG_EN;  /* parsed from pref_language_text */
static void name_experts(ts_lang lang);
static const char  *pref_language_text = "en";
static ts_pref_bool pref_analogy = FALSE;
static guint        pref_grace_ms = 1000;       /* parsed from pref_grace_text */
static const char  *pref_grace_text = "1000";
/* Zeek's timers, seconds (tcpstate_zeek.h: ts_zeek_config) */
static guint        pref_zeek_attempt_s = 5, pref_zeek_close_s = 5;
static guint        pref_zeek_inactivity_s = 300, pref_zeek_hs_inactivity_s = 60;

/* ---- The language preference --------------------------------------------
 * A string, not an enum: Wireshark takes an unknown enum value silently
 * (-o tcpstate.language:zh_CN gave English without a word), and an enum
 * listing every spelling would fill the GUI's combo box with duplicates.
 * Accepted, in any case, '-' or '_': en, english; zh, zh_CN, zh_SG,
 * zh_Hans, chinese, cn, 简体中文, 中文.  Traditional Chinese (zh_TW, zh_HK,
 * zh_MO, zh_Hant) is a different script: tcpstate has no catalog for it and
 * says so rather than showing Simplified characters. */
#define TS_LANG_UNKNOWN     (-1)
#define TS_LANG_TRADITIONAL (-2)

static int
parse_language(const char *value)
{
    static const char *const en[] = { "en", "english", "en_us", "en_gb", "c", "" };
    static const char *const zh[] = { "zh", "zh_cn", "zh_sg", "zh_hans", "zh_hans_cn", "chinese",
                                      "cn", "simplified chinese", "简体中文", "中文" };
    static const char *const tw[] = { "zh_tw", "zh_hk", "zh_mo", "zh_hant", "zh_hant_tw",
                                      "traditional chinese", "繁體中文" };
    char v[64];
    size_t i;

    g_strlcpy(v, value ? value : "", sizeof v);
    g_strstrip(v);
    for (i = 0; v[i]; i++)
        v[i] = v[i] == '-' ? '_' : g_ascii_tolower(v[i]);
    for (i = 0; i < G_N_ELEMENTS(en); i++)
        if (strcmp(v, en[i]) == 0)
            return TS_LANG_EN;
    for (i = 0; i < G_N_ELEMENTS(zh); i++)
        if (strcmp(v, zh[i]) == 0)
            return TS_LANG_ZH;
    for (i = 0; i < G_N_ELEMENTS(tw); i++)
        if (strcmp(v, tw[i]) == 0)
            return TS_LANG_TRADITIONAL;
    return TS_LANG_UNKNOWN;
}

/* ---- The grace period preference ------------------------------------------
 * A string too: as an unsigned preference, a negative number typed in the
 * GUI was dropped without a word.  Milliseconds, 0 to one day, optionally
 * followed by "ms" or "s" (seconds). */
#define TS_GRACE_MAX_MS 86400000u

/* Returns TRUE and sets *ms when text is a valid grace period. */
static gboolean
parse_grace(const char *text, guint *ms)
{
    char *end = NULL;
    const char *p = text ? text : "";
    guint64 v, scale = 1;

    while (g_ascii_isspace(*p))
        p++;
    if (!g_ascii_isdigit(*p))
        return FALSE;               /* empty, negative or not a number */
    v = g_ascii_strtoull(p, &end, 10);
    while (g_ascii_isspace(*end))
        end++;
    if (g_ascii_strcasecmp(end, "s") == 0)
        scale = 1000;
    else if (*end && g_ascii_strcasecmp(end, "ms") != 0)
        return FALSE;
    if (v > TS_GRACE_MAX_MS / scale)
        return FALSE;
    *ms = (guint)(v * scale);
    return TRUE;
}

/* A bad value on tshark's command line (or in its preferences file) is a
 * command-line mistake: a message and exit status 1, as Wireshark's own
 * "Invalid -o flag".  The GUI shows the message and keeps the old value. */
static void
bad_preference(const char *msg)
{
    const char *prg = g_get_prgname();
    if (prg && g_str_has_suffix(prg, "tshark")) {
        fprintf(stderr, "tshark: %s\n", msg);
        exit(1);
    }
    report_failure("%s", msg);
}

/* Preferences changed (command line, file or GUI): parse what was typed. */
static void
tcpstate_prefs_apply(void)
{
    int lang = parse_language(pref_language_text);
    guint grace;

    if (parse_grace(pref_grace_text, &grace)) {
        pref_grace_ms = grace;
    } else {
        char *msg = g_strdup_printf(ts_text(TX_ERR_GRACE, tcpstate_language()),
                                    pref_grace_text ? pref_grace_text : "", TS_GRACE_MAX_MS,
                                    pref_grace_ms);
        bad_preference(msg);
        g_free(msg);
    }

    if (lang == TS_LANG_TRADITIONAL)
        report_warning(ts_text(TX_ERR_LANGUAGE_TRADITIONAL, TS_LANG_EN), pref_language_text);
    else if (lang == TS_LANG_UNKNOWN)
        report_warning(ts_text(TX_ERR_LANGUAGE_UNKNOWN, TS_LANG_EN), pref_language_text);
    pref_language = lang >= 0 ? lang : TS_LANG_EN;
    name_experts(tcpstate_language());
}

/* ---- File-scoped state ----------------------------------------------------- */

/* tcp.stream -> tcpstate_stream, wmem_file_scope() data, reset per file. */
static wmem_map_t *streams;
/* Four-tuple (tuple_key) -> latest tcpstate_stream using it: when
 * Wireshark opens a new tcp.stream for a reused port, the core learns about
 * the connection that used the four-tuple before (TIME-WAIT reuse). */
static wmem_map_t *tuples;
/* Latest frame timestamp of the first pass. */
static int64_t capture_end_ns;
static gboolean capture_end_set;

typedef struct {
    ts_stream core;
    address   a_addr, b_addr; /* endpoint A: source of the first segment seen */
    uint16_t  a_port, b_port;
} tcpstate_stream;

/* What is stored per frame and TCP layer (key = layer ordinal). */
/* What is kept per TCP layer of a frame: the core's record plus the three
 * numbers the explanation and the taps need.  48 bytes on LP64; the rest of
 * a ts_segment is rebuilt from the record (flags, direction), the frame
 * (number, time) and the connection's four-tuple (ports). */
typedef struct {
    ts_record rec;
    uint32_t  frame;
    uint32_t  seq, ack, len;
} tcpstate_slot;

/* Slots in first-pass order, i.e. sorted by frame number (then by layer),
 * in chunks that never move: no reallocation copies, at most one partly
 * used chunk.  File scope: rebuilt from nothing for every file. */
#define TS_SLOTS_PER_CHUNK 4096u
typedef struct {
    tcpstate_slot slot[TS_SLOTS_PER_CHUNK];
} tcpstate_chunk;

static tcpstate_chunk **chunks;
static uint32_t chunk_cap;      /* entries of chunks[] */
static uint32_t slot_count;
static uint32_t slot_cursor;    /* where the next frame's slots probably are */

ts_lang tcpstate_language(void) { return pref_language == TS_LANG_ZH ? TS_LANG_ZH : TS_LANG_EN; }
int     tcpstate_analogy(void)  { return pref_analogy ? 1 : 0; }
int64_t tcpstate_capture_end_ns(void) { return capture_end_set ? capture_end_ns : 0; }
int64_t tcpstate_grace_ns(void) { return (int64_t)pref_grace_ms * 1000000; }

static void *
ts_file_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return wmem_alloc0(wmem_file_scope(), size);
}

static void
forget_file(void)
{
    /* The maps are autoreset and the chunks file-scoped: their contents go
     * with the file scope; only the static handles must be dropped. */
    capture_end_ns = 0;
    capture_end_set = FALSE;
    chunks = NULL;
    chunk_cap = 0;
    slot_count = 0;
    slot_cursor = 0;
}

/* Whether the TCP dissector verifies checksums (unknown: assume it does). */
static gboolean
tcp_checks_checksums(void)
{
    module_t *tcp = prefs_find_module("tcp");
    pref_t *pref = tcp ? prefs_find_preference(tcp, "check_checksum") : NULL;
    return pref ? prefs_get_bool_value(pref, pref_current) != 0 : TRUE;
}

/* Tells Wireshark which fields to build for us (see "What is read"). */
static void
update_wanted_fields(void)
{
    GArray *hfids = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    unsigned w;

    want_checksum = tcp_checks_checksums() && wanted_hf[W_TCP_CKSUM_STATUS] > 0;
    for (w = 0; w < W_ALL; w++)
        if (wanted_hf[w] > 0 && (w != W_TCP_CKSUM_STATUS || want_checksum))
            g_array_append_val(hfids, wanted_hf[w]);
    set_postdissector_wanted_hfids(tcpstate_handle, hfids);
}

static void
apply_zeek_prefs(void)
{
    ts_zeek_config cfg = *ts_zeek_get_config();
    cfg.attempt_delay = (int64_t)pref_zeek_attempt_s * 1000000000;
    cfg.close_delay = (int64_t)pref_zeek_close_s * 1000000000;
    cfg.inactivity = (int64_t)pref_zeek_inactivity_s * 1000000000;
    cfg.handshake_inactivity = (int64_t)pref_zeek_hs_inactivity_s * 1000000000;
    ts_zeek_configure(&cfg);
}

static void
tcpstate_init(void)
{
    forget_file();
    /* Preferences may have changed since the last file (the GUI re-runs
     * this before it dissects again). */
    update_wanted_fields();
    apply_zeek_prefs();
}

static void
tcpstate_cleanup(void)
{
    forget_file();
}

/* ---- Per-frame slots --------------------------------------------------------- */

static tcpstate_slot *
slot_at(uint32_t i)
{
    return &chunks[i / TS_SLOTS_PER_CHUNK]->slot[i % TS_SLOTS_PER_CHUNK];
}

/* A new slot at the end (first pass only, so frames come in order). */
static tcpstate_slot *
slot_append(void)
{
    uint32_t c = slot_count / TS_SLOTS_PER_CHUNK;
    if (c >= chunk_cap) {
        uint32_t cap = chunk_cap ? chunk_cap * 2 : 16;
        chunks = (tcpstate_chunk **)wmem_realloc(wmem_file_scope(), chunks,
                                                 cap * sizeof *chunks);
        memset(chunks + chunk_cap, 0, (cap - chunk_cap) * sizeof *chunks);
        chunk_cap = cap;
    }
    if (!chunks[c])
        chunks[c] = wmem_new(wmem_file_scope(), tcpstate_chunk);
    return slot_at(slot_count++);
}

/* Index of the frame's first slot, or slot_count when it has none.  Passes
 * over the file walk it in order, so the cursor usually answers at once. */
static uint32_t
slot_find(uint32_t frame)
{
    uint32_t lo = 0, hi = slot_count;
    if (slot_cursor < slot_count && slot_at(slot_cursor)->frame == frame &&
        (slot_cursor == 0 || slot_at(slot_cursor - 1)->frame != frame))
        return slot_cursor;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (slot_at(mid)->frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < slot_count && slot_at(lo)->frame == frame ? lo : slot_count;
}

/* ---- Collecting one TCP layer's fields ------------------------------------ */

static field_info *
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

static uint16_t
be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Source and destination of the IP header an ip/ipv6 protocol item covers
 * (the version nibble says which layout applies). */
static gboolean
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

/* The options the core uses: window scale (RFC 7323) and TCP Fast Open
 * (RFC 7413, kind 34, or the experimental kind 254 with magic 0xF989).  An
 * option that does not fit ends the walk, as in the TCP dissector. */
static void
read_tcp_options(const uint8_t *o, unsigned n, ts_segment *seg)
{
    unsigned i = 0;

    while (i < n) {
        uint8_t kind = o[i];
        unsigned len;
        if (kind == 0)              /* end of option list */
            break;
        if (kind == 1) {            /* no-operation */
            i++;
            continue;
        }
        if (i + 1 >= n)
            break;
        len = o[i + 1];
        if (len < 2 || i + len > n)
            break;
        if (kind == 3 && len == 3)
            seg->wscale = (int8_t)o[i + 2];
        else if (kind == 34)
            seg->tfo = 1;
        else if (kind == 254 && len >= 4 && o[i + 2] == 0xF9 && o[i + 3] == 0x89)
            seg->tfo = 1;
        i += len;
    }
}

/* Ports, numbers, flags, window and options of the TCP header that starts
 * where its tcp.srcport item does.  FALSE when the fixed header is not
 * all there; options are read as far as they were captured. */
static gboolean
read_tcp_header(const field_info *srcport, ts_segment *seg)
{
    uint8_t h[60];
    tvbuff_t *tvb = srcport->ds_tvb;
    int off = srcport->start;
    unsigned hlen, have;

    if (!tvb || !tvb_bytes_exist(tvb, off, 20))
        return FALSE;
    have = (unsigned)tvb_captured_length_remaining(tvb, off);
    tvb_memcpy(tvb, h, off, 20);
    hlen = (h[12] >> 4) * 4u;
    if (hlen < 20)
        return FALSE;               /* bad data offset */
    seg->sport = be16(h);
    seg->dport = be16(h + 2);
    seg->seq = be32(h + 4);
    seg->ack = be32(h + 8);
    seg->flags = h[13];
    seg->win = be16(h + 14);
    seg->wscale = -1;
    seg->tfo = 0;
    if (have > hlen)
        have = hlen;
    if (have > 20) {
        tvb_memcpy(tvb, h + 20, off + 20, (size_t)(have - 20));
        read_tcp_options(h + 20, have - 20, seg);
    }
    return TRUE;
}

/* Zeek's TCPAnalyzer::ExtractTCP_Header drops a segment whose header
 * (data offset * 4) runs past the captured bytes. */
static uint8_t
tcp_header_cut(const field_info *srcport)
{
    tvbuff_t *tvb = srcport->ds_tvb;
    uint8_t off;

    if (!tvb || !tvb_bytes_exist(tvb, srcport->start + 12, 1))
        return 1;
    tvb_memcpy(tvb, &off, srcport->start + 12, 1);
    return (unsigned)tvb_captured_length_remaining(tvb, srcport->start) < (off >> 4) * 4u;
}

/* IP total length as Zeek's IP_Hdr::TotalLen reads it (IPv6: payload
 * length + 40), from the IP header item; 0 if unknown. */
static uint32_t
ip_total_length(const field_info *ip)
{
    uint8_t h[6];

    if (!ip || !ip->ds_tvb || !tvb_bytes_exist(ip->ds_tvb, ip->start, 6))
        return 0;
    tvb_memcpy(ip->ds_tvb, h, ip->start, 6);
    if ((h[0] >> 4) == 4)
        return be16(h + 2);
    if ((h[0] >> 4) == 6)
        return be16(h + 4) + 40u;
    return 0;
}

static guint32
finfo_uint(field_info *fi)
{
    return fvalue_get_uinteger(TS_FI_FVALUE(fi));
}

/* ---- Rendering ------------------------------------------------------------ */

#define TS_EXPLAIN_MAX 2048
/* Width of the explanation's lines, in columns (a CJK character takes two):
 * what the packet details pane shows without scrolling in Wireshark's
 * default layout at 1600 pixels, bytes pane beside it (100 was cut off
 * by a few characters there). */
#define TS_WRAP_COLUMNS 90

/* Length in bytes of the UTF-8 character at p (1 for a stray byte). */
static size_t
utf8_len(const unsigned char *p)
{
    size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 1;
    size_t i;
    for (i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return i;
    return n;
}

/* How many of the first max bytes at p are ASCII (eight at a time: the
 * explanation is long and mostly ASCII in English). */
static size_t
ascii_run(const unsigned char *p, size_t max)
{
    const uint64_t high = 0x8080808080808080ull;
    size_t k = 0;
    uint64_t w;

    while (k + 8 <= max) {
        memcpy(&w, p + k, 8);
        if (w & high)
            break;
        k += 8;
    }
    while (k < max && p[k] < 0x80)
        k++;
    return k;
}

/* One past the last space in p[from, to), or 0. */
static size_t
after_last_space(const unsigned char *p, size_t from, size_t to)
{
    while (to > from)
        if (p[--to] == ' ')
            return to + 1;
    return 0;
}

/* Byte length of the next line of the len bytes of text that fits in
 * columns: up to the last space, or CJK comma/full stop/semicolon, that
 * fits; else as many whole characters as fit.  Three-byte characters are
 * CJK here (two columns): the explanations use no other.  ASCII runs are
 * taken whole (issue 14: a byte at a time was 5,400 instructions a packet). */
static size_t
wrap_len(const char *text, size_t len, unsigned columns)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0, cut = 0;
    unsigned used = 0;

    while (i < len) {
        size_t room = columns - used;
        size_t run = ascii_run(p + i, MIN(len - i, room + 1));
        size_t n, sp;
        unsigned w;

        if (run > room) {           /* an ASCII character that does not fit */
            sp = after_last_space(p, i, i + room);
            return sp ? sp : cut ? cut : i + room;
        }
        if (run) {                  /* ASCII up to a wider character or the end */
            sp = after_last_space(p, i, i + run);
            if (sp)
                cut = sp;
            used += (unsigned)run;
            i += run;
            continue;
        }
        n = utf8_len(p + i);
        w = n == 3 ? 2 : 1;
        if (used + w > columns)
            return cut ? cut : i;
        used += w;
        if (n == 3 && ((p[i] == 0xE3 && p[i + 1] == 0x80 && p[i + 2] == 0x82) ||  /* 。 */
                       (p[i] == 0xEF && p[i + 1] == 0xBC &&
                        (p[i + 2] == 0x8C || p[i + 2] == 0x9B))))                 /* ，； */
            cut = i + n;
        i += n;
    }
    return i;
}

/* A message of the catalog in the language in use. */
static const char *
tx(ts_text_id id)
{
    return ts_text(id, tcpstate_language());
}

/* Columns a text takes in a fixed-width view (CJK characters: two). */
static unsigned
display_cols(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    unsigned cols = 0;
    while (*p) {
        size_t n = utf8_len(p);
        cols += n == 3 ? 2 : 1;
        p += n;
    }
    return cols;
}

const char *
stage_label(unsigned stage)
{
    return ts_stage_label_in(stage, tcpstate_language());
}

/* The filter value of tcpstate.sender / tcpstate.closer: always English. */
static const char *
role_name(unsigned role)
{
    return ts_text(role == TS_CLIENT ? TX_CLIENT_WORD : TX_SERVER_WORD, TS_LANG_EN);
}

static proto_item *
add_gen(proto_item *pi)
{
    if (pi)
        proto_item_set_generated(pi);
    return pi;
}

/* One expert field per anomaly (registered by proto_register_tcpstate). */
static ei_register_info ei[TS_ANOMALY_COUNT];

/* The expert fields' summaries in lang.  Wireshark registers each expert
 * field as a field whose name is the summary (our ei[] memory), and the
 * Expert Information dialog titles its groups with that name: the
 * preference can only be known after registration, so the names follow it
 * here, when preferences are applied. */
static void
name_experts(ts_lang lang)
{
    for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++) {
        const char *text = ts_anomaly_summary_in(an, lang);
        ei[an].eiinfo.summary = text;
        ei[an].eiinfo.hf_info.hfinfo.name = text;
        ei[an].eiinfo.hf_info.hfinfo.blurb = text;
    }
}

/* The anomaly's expert info, its text in the language in use: the Expert
 * Information dialog and _ws.expert.message show that text (the summary
 * registered with the field is the English one). */
static void
add_expert(packet_info *pinfo, proto_item *pi, unsigned an)
{
    if (tcpstate_language() == TS_LANG_ZH)
        expert_add_info_format(pinfo, pi, &ei_anomaly[an], "%s",
                               ts_anomaly_summary_in(an, TS_LANG_ZH));
    else
        expert_add_info(pinfo, pi, &ei_anomaly[an]);
}

/* ---- Chinese tree labels ------------------------------------------------------
 * In English every item keeps the label Wireshark builds from the field's
 * registered name.  In Chinese the glue writes the whole label itself; the
 * item's VALUE (what filters, -e and columns see) stays English, so saved
 * filters keep working in both languages.  RFC state names and Zeek codes
 * stay as written in the RFC and in Zeek's logs. */

static gboolean
in_chinese(void)
{
    return pref_language == TS_LANG_ZH;
}

static const char *
role_shown(unsigned role)
{
    return tx(role == TS_CLIENT ? TX_CLIENT_WORD : TX_SERVER_WORD);
}

/* A string item labelled with catalog message label; shown (NULL: the
 * value) is what the label says in the language in use. */
static proto_item *
add_text(proto_tree *t, tvbuff_t *tvb, int hf, const char *value,
         ts_text_id label, const char *shown)
{
    if (!in_chinese())
        return add_gen(proto_tree_add_string(t, hf, tvb, 0, 0, value));
    return add_gen(proto_tree_add_string_format(t, hf, tvb, 0, 0, value, tx(TX_LABEL_VALUE_FMT),
                                                tx(label), shown ? shown : value));
}

/* A flag that is false says nothing on this packet: it is kept hidden
 * (tcpstate.retransmission == 0 still filters) and shown only when set. */
static void
add_flag(proto_tree *t, tvbuff_t *tvb, int hf, int set, ts_text_id label)
{
    proto_item *pi;
    if (!in_chinese())
        pi = add_gen(proto_tree_add_boolean(t, hf, tvb, 0, 0, set ? 1 : 0));
    else
        pi = add_gen(proto_tree_add_boolean_format(t, hf, tvb, 0, 0, set ? 1 : 0, tx(TX_LABEL_VALUE_FMT),
                                                   tx(label), tx(set ? TX_YES : TX_NO)));
    if (!set)
        proto_item_set_hidden(pi);
}

static proto_item *
add_number(proto_tree *t, tvbuff_t *tvb, int hf, uint32_t v, ts_text_id label)
{
    if (!in_chinese())
        return add_gen(proto_tree_add_uint(t, hf, tvb, 0, 0, v));
    return add_gen(proto_tree_add_uint_format(t, hf, tvb, 0, 0, v, tx(TX_LABEL_NUMBER_FMT),
                                              tx(label), v));
}

static void
add_duration(proto_tree *t, tvbuff_t *tvb, int hf, uint32_t us, ts_text_id label)
{
    nstime_t d;
    d.secs = (time_t)(us / 1000000u);
    d.nsecs = (int)(us % 1000000u) * 1000;
    if (!in_chinese())
        add_gen(proto_tree_add_time(t, hf, tvb, 0, 0, &d));
    else
        add_gen(proto_tree_add_time_format(t, hf, tvb, 0, 0, &d, tx(TX_LABEL_SECONDS_FMT), tx(label),
                                           us / 1000000u, us % 1000000u));
}

/* A line's length without the blank it was broken at. */
static size_t
shown_len(const char *line, size_t n)
{
    while (n && line[n - 1] == ' ')
        n--;
    return n;
}

/* The explanation once: the field's item carries the whole text as its
 * value (filters, -e) and the first line as its label; the other lines
 * follow as plain text items.  (A tree label holds at most 240 bytes, so
 * the text cannot be one label.) */
static void
add_explanation(proto_tree *tree, tvbuff_t *tvb, char *text, size_t len)
{
    const char *label = tx(TX_LBL_EXPLANATION);
    /* "Explanation: " or "解释：": the label and its colon take two columns
     * more than the label (": ", or a wide "：") */
    size_t n = wrap_len(text, len, TS_WRAP_COLUMNS - (display_cols(label) + 2));

    add_gen(proto_tree_add_string_format(tree, hf_explanation, tvb, 0, 0, text,
                                         tx(TX_LABEL_TEXT_FMT), label,
                                         (int)shown_len(text, n), text));
    /* The value above holds its own copy: the other lines are cut from the
     * one buffer in place, each ended by a NUL for as long as it is added
     * (no %.*s formatting). */
    text += n;
    len -= n;
    while (len) {
        size_t shown;
        char kept;
        n = wrap_len(text, len, TS_WRAP_COLUMNS);
        if (n == 0)
            break;
        shown = shown_len(text, n);
        kept = text[shown];
        text[shown] = '\0';
        proto_tree_add_subtree(tree, tvb, 0, 0, ett_tcpstate_explanation, NULL, text);
        text[shown] = kept;
        text += n;
        len -= n;
    }
}

/* "Client: SYN-SENT -> ESTABLISHED" for every language, role and pair of
 * states: a small finite set (2 x 2 x 11 x 11), made once at registration
 * from the catalog's texts instead of formatted for every packet (issue 14). */
static const char *endpoint_labels[2][2][TS_STATE_COUNT][TS_STATE_COUNT];

static void
make_endpoint_labels(void)
{
    static const ts_lang langs[2] = { TS_LANG_EN, TS_LANG_ZH };

    for (unsigned l = 0; l < 2; l++)
        for (unsigned role = 0; role < 2; role++)
            for (unsigned before = 0; before < TS_STATE_COUNT; before++)
                for (unsigned after = 0; after < TS_STATE_COUNT; after++)
                    endpoint_labels[l][role][before][after] =
                        wmem_strdup_printf(wmem_epan_scope(), ts_text(TX_STATES_FMT, langs[l]),
                                           ts_text(role == TS_CLIENT ? TX_CLIENT_TITLE
                                                                     : TX_SERVER_TITLE, langs[l]),
                                           ts_state_name(before), ts_state_name(after));
}

/* "Client: A -> B" with the after state as value and the before state below. */
static void
add_endpoint_states(proto_tree *st, tvbuff_t *tvb, unsigned role, int hf_after,
                    int hf_before, unsigned before, unsigned after)
{
    proto_item *pi;

    if (before < TS_STATE_COUNT && after < TS_STATE_COUNT) {
        pi = add_gen(proto_tree_add_string_format(st, hf_after, tvb, 0, 0, ts_state_name(after), "%s",
                     endpoint_labels[tcpstate_language() == TS_LANG_ZH ? 1 : 0]
                                    [role == TS_CLIENT ? 0 : 1][before][after]));
    } else {
        const char *who = tx(role == TS_CLIENT ? TX_CLIENT_TITLE : TX_SERVER_TITLE);
        pi = add_gen(proto_tree_add_string_format(st, hf_after, tvb, 0, 0,
                     ts_state_name(after), tx(TX_STATES_FMT), who,
                     ts_state_name(before), ts_state_name(after)));
    }
    /* The before state is in the label already: kept as a hidden field,
     * still filterable (tcpstate.client.before == "LISTEN"). */
    proto_item_set_hidden(add_text(proto_item_add_subtree(pi, ett_tcpstate_states), tvb, hf_before,
                                   ts_state_name(before),
                                   role == TS_CLIENT ? TX_LBL_CLIENT_BEFORE : TX_LBL_SERVER_BEFORE,
                                   NULL));
}

/* ---- Whole-connection fields ---------------------------------------------
 * The same values on every packet of a connection, so that a filter can
 * select whole connections (tcpstate.conn.zeek_state == "SF" matches every
 * packet of every SF connection).  A visited pass (tshark -2, the GUI) knows
 * the end of the capture and shows the final account; the first pass shows
 * what is known as of the packet, and the subtree's label says so. */

typedef struct {
    unsigned outcome, client, server, zeek;
    ts_anomaly_set anomalies;
    gboolean final;             /* the end of the capture is known */
} conn_facts;

static void
conn_facts_of(const ts_conn *conn, gboolean final, conn_facts *f)
{
    f->final = final;
    f->outcome = ts_conn_outcome(conn);
    /* known as of the packet (one pass): the states so far; once the
     * capture is read, the final ones (a never-answered SYN: LISTEN) */
    f->client = final ? ts_conn_final_state(conn, TS_CLIENT) : ts_conn_state_so_far(conn, TS_CLIENT);
    f->server = final ? ts_conn_final_state(conn, TS_SERVER) : ts_conn_state_so_far(conn, TS_SERVER);
    f->zeek = ts_zeek_conn_state(ts_conn_zeek(conn));
    f->anomalies = final ? ts_conn_final_anomalies(conn, capture_end_ns, tcpstate_grace_ns())
                         : ts_conn_anomalies_so_far(conn);
}

/* The whole-connection items, every one a field; labels translated like
 * the rest of the tree, values English. */
static void
add_conn_fields(proto_tree *tree, tvbuff_t *tvb, const conn_facts *f)
{
    unsigned an;

    add_text(tree, tvb, hf_conn_outcome, ts_outcome_name(f->outcome), TX_LBL_CONN_OUTCOME,
             ts_outcome_label(f->outcome, tcpstate_language()));
    add_text(tree, tvb, hf_conn_client_final, ts_state_name(f->client),
             f->final ? TX_LBL_CLIENT_FINAL : TX_LBL_CLIENT_SO_FAR, NULL);
    add_text(tree, tvb, hf_conn_server_final, ts_state_name(f->server),
             f->final ? TX_LBL_SERVER_FINAL : TX_LBL_SERVER_SO_FAR, NULL);
    add_text(tree, tvb, hf_conn_zeek_state, ts_zeek_state_name(f->zeek), TX_LBL_CONN_ZEEK_STATE, NULL);
    for (an = 0; an < TS_ANOMALY_COUNT; an++)
        if (f->anomalies & TS_BIT(an))
            add_text(tree, tvb, hf_conn_anomaly, ts_anomaly_name(an), TX_LBL_CONN_ANOMALY, NULL);
}

/* "Connection (whole capture): four-way close, ..." with the fields below. */
static void
add_conn_subtree(proto_tree *st, tvbuff_t *tvb, const ts_conn *conn, gboolean final)
{
    conn_facts f;
    proto_item *pi;
    proto_tree *sub;
    unsigned an, n = 0;

    conn_facts_of(conn, final, &f);
    pi = proto_tree_add_subtree_format(st, tvb, 0, 0, ett_tcpstate_conn, &sub,
             tx(final ? TX_CONN_FINAL_FMT : TX_CONN_SO_FAR_FMT),
             ts_outcome_label(f.outcome, tcpstate_language()), ts_state_name(f.client),
             ts_state_name(f.server), ts_zeek_state_name(f.zeek));
    for (an = 0; an < TS_ANOMALY_COUNT; an++)
        if (f.anomalies & TS_BIT(an))
            proto_item_append_text(pi, "%s%s", n++ ? tx(TX_LIST_SEP) : "", ts_anomaly_name(an));
    if (!n)
        proto_item_append_text(pi, "%s", tx(TX_NONE_WORD));
    add_gen(pi);
    add_conn_fields(sub, tvb, &f);
}

/* "[Handshake 1/3]" for every stage in both languages, made once at
 * registration (issue 14). */
static const char *info_labels[2][TS_STAGE_COUNT];

static void
make_info_labels(void)
{
    for (unsigned stage = 0; stage < TS_STAGE_COUNT; stage++) {
        info_labels[0][stage] = wmem_strdup_printf(wmem_epan_scope(), "[%s]",
                                                   ts_stage_label_in(stage, TS_LANG_EN));
        info_labels[1][stage] = wmem_strdup_printf(wmem_epan_scope(), "[%s]",
                                                   ts_stage_label_in(stage, TS_LANG_ZH));
    }
}

/* The Info column: " [stage] [anomaly, ...]".  At the end, except where
 * TCP's own text is longest -- segments with SYN, whose option list (MSS,
 * SACK_PERM, TSval, TSecr, WS) pushes an appended label out of sight even at
 * 1600 pixels -- and where the preference info_column_first asks: there at
 * the start.  Plain data segments (stage Data transfer, no anomaly) get no
 * label unless info_column_data asks: most packets of a capture are that. */
static void
info_column(packet_info *pinfo, const ts_record *rec, ts_anomaly_set anomalies)
{
    char buf[512];
    unsigned an;
    int first = 1;

    if (rec->stage == TS_STAGE_DATA && !anomalies && !(rec->rflags & TS_REC_RETRANS) &&
        !pref_info_data)
        return;
    /* (no format string: this runs for most packets) */
    if (rec->stage < TS_STAGE_COUNT) {
        const char *label = info_labels[tcpstate_language() == TS_LANG_ZH ? 1 : 0][rec->stage];
        if (!anomalies) {           /* the common case: the label alone */
            if (pref_info_first || (rec->seg_flags & TS_SYN))
                col_prepend_fstr(pinfo->cinfo, COL_INFO, "%s ", label);
            else
                col_append_lstr(pinfo->cinfo, COL_INFO, " ", label, COL_ADD_LSTR_TERMINATOR);
            return;
        }
        g_strlcpy(buf, label, sizeof buf);
    } else {
        buf[0] = '\0';
        g_strlcat(buf, "[", sizeof buf);
        g_strlcat(buf, stage_label(rec->stage), sizeof buf);
        g_strlcat(buf, "]", sizeof buf);
    }
    for (an = 0; an < TS_ANOMALY_COUNT; an++) {
        if (!(anomalies & TS_BIT(an)))
            continue;
        g_strlcat(buf, first ? " [" : ", ", sizeof buf);
        g_strlcat(buf, ts_anomaly_name(an), sizeof buf);
        first = 0;
    }
    if (!first)
        g_strlcat(buf, "]", sizeof buf);
    if (pref_info_first || (rec->seg_flags & TS_SYN))
        col_prepend_fstr(pinfo->cinfo, COL_INFO, "%s ", buf);
    else
        col_append_lstr(pinfo->cinfo, COL_INFO, " ", buf, COL_ADD_LSTR_TERMINATOR);
}

/* rec: the record to show (the stored one, or its hindsight view). */
static void
render(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
       const ts_segment *seg, const ts_record *rec, ts_anomaly_set anomalies)
{
    const ts_conn *conn = rec->conn;
    unsigned stage = rec->stage;
    unsigned sender = (rec->rflags & TS_REC_SENDER_CLIENT) ? TS_CLIENT : TS_SERVER;
    proto_item *ti, *pi;
    proto_tree *st, *sub;
    char *expl;
    unsigned an;
    int closer;

    if (pref_info_column)
        info_column(pinfo, rec, anomalies);

    if (!tree) {
        /* No tree, or nobody looks at ours (tshark's summary lines): the
         * expert infos still go to the expert tap. */
        for (an = 0; an < TS_ANOMALY_COUNT; an++)
            if (anomalies & TS_BIT(an))
                add_expert(pinfo, NULL, an);
        return;
    }

    ti = proto_tree_add_item(tree, proto_tcpstate, tvb, 0, 0, ENC_NA);
    if (in_chinese())
        proto_item_set_text(ti, "%s", tx(TX_TREE_TITLE));
    proto_item_append_text(ti, tx(TX_TREE_HEADER_FMT),
                           stage_label(stage), role_shown(TS_CLIENT),
                           ts_state_name(ts_rec_client_before(rec)),
                           ts_state_name(ts_rec_client_after(rec)),
                           role_shown(TS_SERVER),
                           ts_state_name(ts_rec_server_before(rec)),
                           ts_state_name(ts_rec_server_after(rec)));
    add_gen(ti);
    st = proto_item_add_subtree(ti, ett_tcpstate);

    add_text(st, tvb, hf_stage, ts_stage_label(stage), TX_LBL_STAGE, stage_label(stage));
    /* the stage in the language in use, for columns (the profile's Stage) */
    proto_item_set_hidden(add_gen(proto_tree_add_string(st, hf_stage_local, tvb, 0, 0,
                                                        stage_label(stage))));
    add_text(st, tvb, hf_phase, ts_phase_name(ts_stage_phase(stage)), TX_LBL_PHASE,
             ts_phase_label(ts_stage_phase(stage), tcpstate_language()));
    if (ts_stage_step(stage)[0])
        add_text(st, tvb, hf_step, ts_stage_step(stage), TX_LBL_STEP, NULL);
    add_text(st, tvb, hf_sender, role_name(sender), TX_LBL_SENDER, role_shown(sender));

    add_endpoint_states(st, tvb, TS_CLIENT, hf_client_after, hf_client_before,
                        ts_rec_client_before(rec), ts_rec_client_after(rec));
    add_endpoint_states(st, tvb, TS_SERVER, hf_server_after, hf_server_before,
                        ts_rec_server_before(rec), ts_rec_server_after(rec));

    if (conn && (closer = ts_conn_closer_at(conn, pinfo->num)) >= 0) {
        add_text(st, tvb, hf_closer, role_name((unsigned)closer), TX_LBL_CLOSER,
                 role_shown((unsigned)closer));
        if (ts_stage_phase(stage) == TS_PHASE_TEARDOWN) {
            int active = (int)sender == closer ||
                         stage == TS_STAGE_SIMCLOSE_FIN || stage == TS_STAGE_SIMCLOSE_ACK;
            ts_text_id role = active ? TX_ROLE_ACTIVE_CLOSE : TX_ROLE_PASSIVE_CLOSE;
            add_text(st, tvb, hf_teardown_role, ts_text(role, TS_LANG_EN), TX_LBL_TEARDOWN_ROLE,
                     tx(role));
        }
    }

    add_flag(st, tvb, hf_retransmission, rec->rflags & TS_REC_RETRANS, TX_LBL_RETRANSMISSION);
    add_flag(st, tvb, hf_inferred, rec->rflags & TS_REC_INFERRED, TX_LBL_INFERRED);

    if (rec->related_frame)
        add_number(st, tvb, hf_related_frame, rec->related_frame, TX_LBL_RELATED_FRAME);
    if (conn) {
        /* Connection 0 is the only one on most four-tuples: shown only when
         * ports were reused (a later connection, or one followed by more). */
        proto_item *pi_conn = add_number(st, tvb, hf_conn, ts_conn_index(conn), TX_LBL_CONN);
        if (ts_conn_index(conn) == 0 && !ts_conn_next(conn))
            proto_item_set_hidden(pi_conn);
    }

    if (rec->rflags & TS_REC_TIME_VALID) {
        if (stage == TS_STAGE_SYNACK || stage == TS_STAGE_SIMOPEN_SYNACK)
            add_duration(st, tvb, hf_time_syn_to_synack, rec->delta_us, TX_LBL_SYN_TO_SYNACK);
        else if (ts_stage_phase(stage) == TS_PHASE_HANDSHAKE)
            add_duration(st, tvb, hf_time_synack_to_ack, rec->delta_us, TX_LBL_SYNACK_TO_ACK);
        else
            add_duration(st, tvb, hf_time_teardown, rec->delta_us, TX_LBL_TEARDOWN_TIME);
    }

    expl = (char *)wmem_alloc(pinfo->pool, TS_EXPLAIN_MAX);
    add_explanation(st, tvb, expl,
                    ts_explain(rec, seg, tcpstate_language(), tcpstate_analogy(), expl, TS_EXPLAIN_MAX));

    if (conn) {
        char hist[TS_ZEEK_HISTORY_MAX + 1];
        /* the Zeek connection this frame belongs to (Zeek may have split) */
        const ts_zeek *zk = ts_zeek_at_frame(ts_conn_zeek(conn), seg->frame);
        size_t n = ts_zeek_history_len_at(zk, rec->zeek_hist_len);
        if (n > TS_ZEEK_HISTORY_MAX)
            n = TS_ZEEK_HISTORY_MAX;
        memcpy(hist, ts_zeek_history(zk), n);
        hist[n] = '\0';
        pi = add_gen(proto_tree_add_string_format(st, hf_zeek_conn_state, tvb, 0, 0,
                     ts_zeek_state_name(rec->zeek_state),
                     tx(TX_ZEEK_LINE_FMT), ts_zeek_state_name(rec->zeek_state),
                     ts_zeek_state_desc_in(rec->zeek_state, tcpstate_language()),
                     n ? hist : tx(TX_EMPTY)));
        /* the history is in the label: a hidden field */
        sub = proto_item_add_subtree(pi, ett_tcpstate_zeek);
        proto_item_set_hidden(add_text(sub, tvb, hf_zeek_history, hist, TX_LBL_ZEEK_HISTORY, NULL));
        {
            proto_item *zi = add_number(sub, tvb, hf_zeek_conn, zk->index, TX_LBL_ZEEK_CONN);
            if (!zk->index)   /* the first Zeek connection: says nothing, stays filterable */
                proto_item_set_hidden(zi);
        }
        if (zk->index && zk->first_frame == seg->frame && !(rec->rflags & TS_REC_ICMP))
            add_gen(proto_tree_add_string_format(sub, hf_zeek_split, tvb, 0, 0,
                    ts_zeek_split_name(zk->split_reason),
                    tx(TX_ZEEK_SPLIT_FMT),
                    ts_zeek_split_desc_in(zk->split_reason, tcpstate_language())));
    }

    for (an = 0; an < TS_ANOMALY_COUNT; an++) {
        if (!(anomalies & TS_BIT(an)))
            continue;
        pi = add_text(st, tvb, hf_anomaly, ts_anomaly_name(an), TX_LBL_ANOMALY, NULL);
        add_expert(pinfo, pi, an);
    }

    if (conn)
        add_conn_subtree(st, tvb, conn, PINFO_FD_VISITED(pinfo));
}

/* A four-tuple as a map key, in a canonical order (lower port first; for
 * equal ports, the lower address), so both directions find the same entry. */
typedef struct {
    uint8_t  type, alen;            /* address type and length (bytes kept: <= 16) */
    uint16_t port[2];
    uint8_t  addr[2][16];
} tuple_key;

static void
key_side(tuple_key *k, unsigned i, const address *a, uint16_t port)
{
    size_t n = a->len > 16 ? 16 : (size_t)a->len;
    k->port[i] = port;
    if (n)
        memcpy(k->addr[i], a->data, n);
}

static void
make_tuple_key(tuple_key *k, const address *src, uint16_t sport,
               const address *dst, uint16_t dport)
{
    int src_first = sport != dport ? sport < dport : cmp_address(src, dst) <= 0;
    memset(k, 0, sizeof *k);
    k->type = (uint8_t)src->type;
    k->alen = (uint8_t)(src->len > 16 ? 16 : src->len);
    key_side(k, src_first ? 0 : 1, src, sport);
    key_side(k, src_first ? 1 : 0, dst, dport);
}

static guint
tuple_hash(gconstpointer p)
{
    const uint8_t *b = (const uint8_t *)p;
    guint h = 2166136261u;          /* FNV-1a */
    size_t i;
    for (i = 0; i < sizeof(tuple_key); i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static gboolean
tuple_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(tuple_key)) == 0;
}

/* The state kept for a four-tuple.  Wireshark may start a new tcp.stream
 * on the same four-tuple (a SYN after FIN or RST, and in 4.0 even a SYN on
 * a live connection, as in an RFC 5961 challenge); the core decides where
 * one connection ends and the next begins, so every tcp.stream of a
 * four-tuple shares one tcpstate_stream. */
static tcpstate_stream *
stream_for_tuple(const address *src, uint16_t sport, const address *dst, uint16_t dport)
{
    tuple_key key;
    tcpstate_stream *ts;

    make_tuple_key(&key, src, sport, dst, dport);
    ts = (tcpstate_stream *)wmem_map_lookup(tuples, &key);
    if (ts)
        return ts;
    ts = wmem_new0(wmem_file_scope(), tcpstate_stream);
    ts_stream_init(&ts->core, ts_file_alloc, NULL);
    ts->a_port = sport;
    ts->b_port = dport;
    copy_address_wmem(wmem_file_scope(), &ts->a_addr, src);
    copy_address_wmem(wmem_file_scope(), &ts->b_addr, dst);
    wmem_map_insert(tuples, wmem_memdup(wmem_file_scope(), &key, sizeof key), ts);
    return ts;
}

/* ---- The postdissector ----------------------------------------------------- */

/* The items of wanted field w in the frame's tree (NULL if none). */
static GPtrArray *
wanted_items(proto_tree *tree, unsigned w)
{
    return wanted_hf[w] > 0 ? proto_get_finfo_ptr_array(tree, wanted_hf[w]) : NULL;
}

/* The wanted fields of the frame being fed (first pass): arrays fetched
 * from its tree; the IP items only when asked for (a new stream, an ICMP
 * quote), since most packets need no address. */
typedef struct {
    proto_tree *tree;
    GPtrArray  *arr[W_ALL];
    gboolean    have_ip;
} frame_fields;

/* The IP header item (ip or ipv6) nearest below layer_num, or NULL. */
static field_info *
ip_below(frame_fields *ff, int layer_num)
{
    field_info *ip = NULL;

    if (!ff->have_ip) {
        ff->arr[W_IP] = wanted_items(ff->tree, W_IP);
        ff->arr[W_IPV6] = wanted_items(ff->tree, W_IPV6);
        ff->have_ip = TRUE;
    }
    nearest_below(ff->arr[W_IP], layer_num, &ip);
    nearest_below(ff->arr[W_IPV6], layer_num, &ip);
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
    *sport = be16(h);
    *dport = be16(h + 2);
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
static uint32_t
encapsulation_of(packet_info *pinfo, frame_fields *ff, int layer_num)
{
    field_info *inner = ip_below(ff, layer_num);
    GPtrArray *arrs[2] = { ff->arr[W_IP], ff->arr[W_IPV6] };
    uint32_t id = 0;
    gboolean any = FALSE;

    if (!inner)
        return 0;
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
static void
layer_addresses(packet_info *pinfo, frame_fields *ff, int layer_num, address *src, address *dst)
{
    clear_address(src);
    clear_address(dst);
    if (!ip_header_addresses(pinfo, ip_below(ff, layer_num), src, dst)) {
        copy_address_shallow(src, &pinfo->net_src);
        copy_address_shallow(dst, &pinfo->net_dst);
    }
}

/* Feeds one TCP layer to the core and stores its slot (first pass only).
 * Returns FALSE when the layer is skipped. */
static gboolean
process_layer(packet_info *pinfo, frame_fields *ff, field_info *srcport, int64_t now_ns)
{
    int layer_num = srcport->total_layer_num;
    field_info *flen = finfo_in_layer(ff->arr[W_TCP_LEN], layer_num);
    field_info *fstream = finfo_in_layer(ff->arr[W_TCP_STREAM], layer_num);
    field_info *fcksum = want_checksum ? finfo_in_layer(ff->arr[W_TCP_CKSUM_STATUS], layer_num) : NULL;
    tcpstate_stream *ts;
    tcpstate_slot *slot;
    ts_segment seg;
    address src, dst;
    gboolean have_addresses = FALSE;
    uint32_t stream;

    memset(&seg, 0, sizeof seg);
    if (!flen || !fstream || !read_tcp_header(srcport, &seg))
        return FALSE;               /* truncated, fragment or error packet */
    seg.frame = pinfo->num;
    seg.ts_ns = now_ns;
    seg.bad_checksum = (fcksum && finfo_uint(fcksum) == PROTO_CHECKSUM_E_BAD) ? 1 : 0;
    seg.len = finfo_uint(flen);
    seg.payload_truncated = seg.len && pinfo->fd->cap_len < pinfo->fd->pkt_len;
    seg.hdr_cut = tcp_header_cut(srcport);
    seg.ip_len = ip_total_length(ip_below(ff, layer_num));
    seg.encap = encapsulation_of(pinfo, ff, layer_num);

    /* Addresses are looked up only when needed: for a stream not seen yet,
     * and to tell the sides apart when both use the same port. */
    stream = finfo_uint(fstream);
    ts = (tcpstate_stream *)wmem_map_lookup(streams, GUINT_TO_POINTER(stream));
    if (!ts) {
        layer_addresses(pinfo, ff, layer_num, &src, &dst);
        have_addresses = TRUE;
        ts = stream_for_tuple(&src, seg.sport, &dst, seg.dport);
        wmem_map_insert(streams, GUINT_TO_POINTER(stream), ts);
    }
    if (seg.sport != seg.dport) {
        seg.from_a = seg.sport == ts->a_port;
    } else {
        if (!have_addresses)
            layer_addresses(pinfo, ff, layer_num, &src, &dst);
        seg.from_a = addresses_equal(&src, &ts->a_addr) ? 1 : 0;
    }

    slot = slot_append();
    slot->frame = seg.frame;
    slot->seq = seg.seq;
    slot->ack = seg.ack;
    slot->len = seg.len;
    ts_stream_process(&ts->core, &seg, &slot->rec);
    if (!slot->rec.conn->user) {
        /* The connection's four-tuple and the tcp.stream it began in. */
        slot->rec.conn->user = ts;
        slot->rec.conn->user_tag = stream;
    }
    return TRUE;
}

/* The segment as fed to the core, rebuilt from its slot (what ts_explain
 * and the taps read; window and checksum facts are not kept). */
static void
slot_segment(const tcpstate_slot *slot, int64_t now_ns, ts_segment *seg)
{
    const tcpstate_stream *ts = (const tcpstate_stream *)slot->rec.conn->user;

    memset(seg, 0, sizeof *seg);
    seg->frame = slot->frame;
    seg->ts_ns = now_ns;
    seg->from_a = (slot->rec.seg_bits & TS_SEGBIT_FROM_A) ? 1 : 0;
    seg->tfo = (slot->rec.seg_bits & TS_SEGBIT_TFO) ? 1 : 0;
    seg->flags = slot->rec.seg_flags;
    seg->seq = slot->seq;
    seg->ack = slot->ack;
    seg->len = slot->len;
    seg->wscale = -1;
    seg->sport = seg->from_a ? ts->a_port : ts->b_port;
    seg->dport = seg->from_a ? ts->b_port : ts->a_port;
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
 * pinfo->layers, as total_layer_num counts), or G_MAXINT; *v6 says which. */
static int
first_icmp_layer(packet_info *pinfo, gboolean *v6)
{
    wmem_list_frame_t *f;
    int n = 0;

    for (f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        n++;
        if (id == proto_icmp || id == proto_icmpv6) {
            *v6 = id == proto_icmpv6;
            return n;
        }
    }
    return G_MAXINT;
}

/* How a destination unreachable sorts for the core (ts_icmp_kind), or -1
 * for any other ICMP message, and for "fragmentation needed" / "packet too
 * big", which are path MTU discovery, not a verdict on the connection. */
static int
icmp_kind(gboolean v6, uint8_t type, uint8_t code)
{
    if (!v6) {
        if (type != 3 || code == 4)
            return -1;
        if (code == 2 || code == 3)
            return TS_ICMP_PORT;
        if (code == 9 || code == 10 || code == 13)
            return TS_ICMP_PROHIBITED;
        return TS_ICMP_NO_ROUTE;
    }
    if (type != 1)
        return -1;
    if (code == 4)
        return TS_ICMP_PORT;
    if (code == 1 || code == 5 || code == 6)
        return TS_ICMP_PROHIBITED;
    return TS_ICMP_NO_ROUTE;
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
    tuple_key key;
    tcpstate_stream *ts;
    ts_icmp q;
    ts_record rec;
    tcpstate_slot *slot;
    uint16_t sport, dport;
    int kind;

    if (!ip || ip->ds_tvb != srcport->ds_tvb || ip->start < 8 ||
        !srcport->ds_tvb || !tvb_bytes_exist(srcport->ds_tvb, srcport->start, 8))
        return;                     /* RFC 792 quotes at least 8 TCP bytes */
    tvb_memcpy(ip->ds_tvb, icmp, ip->start - 8, 2);
    kind = icmp_kind(v6, icmp[0], icmp[1]);
    if (kind < 0 || !ip_header_addresses(pinfo, ip, &src, &dst))
        return;
    tvb_memcpy(srcport->ds_tvb, h, srcport->start, 8);
    sport = be16(h);
    dport = be16(h + 2);
    make_tuple_key(&key, &src, sport, &dst, dport);
    ts = (tcpstate_stream *)wmem_map_lookup(tuples, &key);
    if (!ts)
        return;                     /* about no connection we have seen */

    memset(&q, 0, sizeof q);
    q.frame = pinfo->num;
    q.ts_ns = now_ns;
    q.from_a = sport != dport ? sport == ts->a_port : addresses_equal(&src, &ts->a_addr);
    q.kind = (uint8_t)kind;
    q.seq = be32(h + 4);
    if (!ts_stream_icmp(&ts->core, &q, &rec))
        return;                     /* stale or forged quote */
    slot = slot_append();
    slot->rec = rec;
    slot->frame = pinfo->num;
    slot->seq = q.seq;
    slot->ack = 0;
    slot->len = 0;
}

/* First pass: feeds every TCP layer of the frame to the core.  The wanted
 * fields are there (Wireshark and tshark prime them then; tshark -2 does
 * NOT on its second pass, which is why later passes use only the slots). */
static void
first_pass(packet_info *pinfo, proto_tree *tree, int64_t now_ns)
{
    frame_fields ff;
    GPtrArray *anchors;
    int icmp_layer;
    gboolean icmp_v6 = FALSE, quoted_seen = FALSE;
    guint i;

    if (!capture_end_set || now_ns > capture_end_ns)
        capture_end_ns = now_ns;
    capture_end_set = TRUE;

    /* The first pass meets frames in order; a frame already fed (dissected
     * twice before Wireshark marked it visited) must not be fed again, or
     * the core would see its segments twice. */
    if (slot_count && slot_at(slot_count - 1)->frame >= pinfo->num)
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

    icmp_layer = first_icmp_layer(pinfo, &icmp_v6);

    for (i = 0; i < anchors->len; i++) {
        field_info *srcport = (field_info *)g_ptr_array_index(anchors, i);
        if (srcport->total_layer_num < icmp_layer)
            process_layer(pinfo, &ff, srcport, now_ns);
        else if (!quoted_seen) {    /* quoted inside an ICMP error: not a segment */
            process_icmp_quote(pinfo, &ff, srcport, icmp_v6, now_ns);
            quoted_seen = TRUE;
        }
    }
}

static void
queue_tap(packet_info *pinfo, const tcpstate_slot *slot, const ts_segment *seg,
          const ts_record *view, unsigned layer, ts_anomaly_set anomalies,
          int deferred_valid, gboolean visited)
{
    const ts_conn *conn = slot->rec.conn;
    const tcpstate_stream *ts = (const tcpstate_stream *)conn->user;
    tcpstate_tap_info *tap = wmem_new0(pinfo->pool, tcpstate_tap_info);

    tap->rec = &slot->rec;
    tap->conn = conn;
    tap->view = *view;
    tap->seg = *seg;
    tap->stream = conn->user_tag;
    tap->frame = pinfo->num;
    tap->layer = layer;
    copy_address_shallow(&tap->src, seg->from_a ? &ts->a_addr : &ts->b_addr);
    copy_address_shallow(&tap->dst, seg->from_a ? &ts->b_addr : &ts->a_addr);
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
    header_field_info *hfi;

    if (!tree)
        return FALSE;
    if (PTREE_DATA(tree)->visible)
        return TRUE;
    hfi = proto_registrar_get_nth(proto_tcpstate);
    return hfi && hfi->ref_type != HF_REF_TYPE_NONE;
}

static int
dissect_tcpstate(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    int64_t now_ns = capture_ns(&pinfo->abs_ts);
    gboolean visited = PINFO_FD_VISITED(pinfo);
    gboolean tapping = have_tap_listener(tcpstate_tap);
    proto_tree *shown;
    uint32_t i, first;

    if (!visited)
        first_pass(pinfo, tree, now_ns);

    /* Our subtree and its explanation are built only when someone looks at
     * them; tshark's summary lines and -T fields of other protocols need
     * only the Info column and the expert infos. */
    shown = tree_wanted(tree) ? tree : NULL;

    first = slot_find(pinfo->num);
    for (i = first; i < slot_count && slot_at(i)->frame == pinfo->num; i++) {
        const tcpstate_slot *slot = slot_at(i);
        ts_anomaly_set anomalies = slot->rec.anomalies;
        ts_record view = slot->rec;
        ts_segment seg;
        int deferred_valid = 0;

        /* Later passes know the future: deferred anomalies, and the
         * hindsight view (final stage, and the states of a segment that a
         * later one proved had crossed its peer's or met no listener). */
        if (visited) {
            view = ts_hindsight(&slot->rec, pinfo->num);
            anomalies = view.anomalies |
                        ts_deferred_anomalies(&slot->rec, capture_end_ns, tcpstate_grace_ns(),
                                              pinfo->num == ts_conn_last_frame(slot->rec.conn));
            deferred_valid = 1;
        }
        if (shown || tapping)
            slot_segment(slot, now_ns, &seg);
        render(tvb, pinfo, shown, &seg, &view, anomalies);
        if (tapping)
            queue_tap(pinfo, slot, &seg, &view, i - first, anomalies, deferred_valid, visited);
    }
    slot_cursor = i;

    return i > first ? (int)tvb_captured_length(tvb) : 0;
}

/* ---- A filter on the end of the capture (taps, one pass) --------------------
 * In one pass a packet is filtered as it goes by, before the rest of the
 * capture is known: tcpstate.anomaly == "syn_unanswered" or
 * tcpstate.conn.outcome == "refused" cannot match then.  At draw time the
 * taps ask again here, on a scratch tree that holds what a second pass would
 * show for the record: its tcpstate fields (ts_hindsight, the deferred
 * anomalies, the whole-connection fields; not the explanation, which needs
 * the segment).  Other protocols' fields are not there, so a filter that
 * also needs them (tcp.port == 80 && tcpstate.anomaly) can still only match
 * on the pass itself. */

static void
add_final_fields(proto_tree *t, tvbuff_t *tvb, const ts_record *rec, uint32_t frame)
{
    ts_record v = ts_hindsight(rec, frame);
    const ts_conn *conn = rec->conn;
    unsigned sender = (v.rflags & TS_REC_SENDER_CLIENT) ? TS_CLIENT : TS_SERVER;
    ts_anomaly_set an = v.anomalies |
                        ts_deferred_anomalies(rec, capture_end_ns, tcpstate_grace_ns(),
                                              frame == ts_conn_last_frame(conn));
    conn_facts f;
    unsigned a;

    proto_tree_add_item(t, proto_tcpstate, tvb, 0, 0, ENC_NA);
    proto_tree_add_string(t, hf_stage, tvb, 0, 0, ts_stage_label(v.stage));
    proto_tree_add_string(t, hf_stage_local, tvb, 0, 0, stage_label(v.stage));
    proto_tree_add_string(t, hf_phase, tvb, 0, 0, ts_phase_name(ts_stage_phase(v.stage)));
    if (ts_stage_step(v.stage)[0])
        proto_tree_add_string(t, hf_step, tvb, 0, 0, ts_stage_step(v.stage));
    proto_tree_add_string(t, hf_sender, tvb, 0, 0, role_name(sender));
    proto_tree_add_string(t, hf_client_before, tvb, 0, 0, ts_state_name(ts_rec_client_before(&v)));
    proto_tree_add_string(t, hf_client_after, tvb, 0, 0, ts_state_name(ts_rec_client_after(&v)));
    proto_tree_add_string(t, hf_server_before, tvb, 0, 0, ts_state_name(ts_rec_server_before(&v)));
    proto_tree_add_string(t, hf_server_after, tvb, 0, 0, ts_state_name(ts_rec_server_after(&v)));
    proto_tree_add_boolean(t, hf_retransmission, tvb, 0, 0, (v.rflags & TS_REC_RETRANS) ? 1 : 0);
    proto_tree_add_boolean(t, hf_inferred, tvb, 0, 0, (v.rflags & TS_REC_INFERRED) ? 1 : 0);
    if (v.related_frame)
        proto_tree_add_uint(t, hf_related_frame, tvb, 0, 0, v.related_frame);
    proto_tree_add_uint(t, hf_conn, tvb, 0, 0, ts_conn_index(conn));
    proto_tree_add_string(t, hf_zeek_conn_state, tvb, 0, 0, ts_zeek_state_name(v.zeek_state));
    for (a = 0; a < TS_ANOMALY_COUNT; a++)
        if (an & TS_BIT(a))
            proto_tree_add_string(t, hf_anomaly, tvb, 0, 0, ts_anomaly_name(a));
    conn_facts_of(conn, TRUE, &f);
    proto_tree_add_string(t, hf_conn_outcome, tvb, 0, 0, ts_outcome_name(f.outcome));
    proto_tree_add_string(t, hf_conn_client_final, tvb, 0, 0, ts_state_name(f.client));
    proto_tree_add_string(t, hf_conn_server_final, tvb, 0, 0, ts_state_name(f.server));
    proto_tree_add_string(t, hf_conn_zeek_state, tvb, 0, 0, ts_zeek_state_name(f.zeek));
    for (a = 0; a < TS_ANOMALY_COUNT; a++)
        if (f.anomalies & TS_BIT(a))
            proto_tree_add_string(t, hf_conn_anomaly, tvb, 0, 0, ts_anomaly_name(a));
}

gboolean
tcpstate_final_record_matches(struct epan_dfilter *df, struct epan_session *epan,
                              const ts_record *rec, uint32_t frame)
{
    static const guint8 nothing[1];
    epan_dissect_t *edt;
    tvbuff_t *tvb;
    gboolean match;

    if (!df || !epan || !rec || !rec->conn)
        return FALSE;
    edt = epan_dissect_new(epan, TRUE, FALSE);
    epan_dissect_prime_with_dfilter(edt, df);
    tvb = tvb_new_real_data(nothing, 0, 0);
    add_final_fields(edt->tree, tvb, rec, frame);
    match = dfilter_apply_edt(df, edt);
    tvb_free(tvb);
    epan_dissect_free(edt);
    return match;
}

/* ---- Registration ----------------------------------------------------------- */

static int
map_group(ts_group g)
{
    switch (g) {
    case TS_GRP_SEQUENCE:  return PI_SEQUENCE;
    case TS_GRP_PROTOCOL:  return PI_PROTOCOL;
    case TS_GRP_MALFORMED: return PI_MALFORMED;
    }
    return PI_PROTOCOL;
}

static int
map_severity(ts_severity s)
{
    switch (s) {
    case TS_SEV_CHAT:  return PI_CHAT;
    case TS_SEV_NOTE:  return PI_NOTE;
    case TS_SEV_WARN:  return PI_WARN;
    case TS_SEV_ERROR: return PI_ERROR;
    }
    return PI_NOTE;
}

/* The fields' names (the English labels of their tree items) come from the
 * message catalog: hf[] below leaves them NULL and this table fills them. */
static const struct {
    int *hf;
    ts_text_id name;
} field_names[] = {
    { &hf_stage, TX_LBL_STAGE },
    { &hf_stage_local, TX_LBL_STAGE_LOCAL },
    { &hf_phase, TX_LBL_PHASE },
    { &hf_step, TX_LBL_STEP },
    { &hf_client_before, TX_LBL_CLIENT_BEFORE },
    { &hf_client_after, TX_LBL_CLIENT_AFTER },
    { &hf_server_before, TX_LBL_SERVER_BEFORE },
    { &hf_server_after, TX_LBL_SERVER_AFTER },
    { &hf_sender, TX_LBL_SENDER },
    { &hf_closer, TX_LBL_CLOSER },
    { &hf_teardown_role, TX_LBL_TEARDOWN_ROLE },
    { &hf_retransmission, TX_LBL_RETRANSMISSION },
    { &hf_inferred, TX_LBL_INFERRED },
    { &hf_explanation, TX_LBL_EXPLANATION },
    { &hf_related_frame, TX_LBL_RELATED_FRAME },
    { &hf_conn, TX_LBL_CONN },
    { &hf_time_syn_to_synack, TX_LBL_SYN_TO_SYNACK },
    { &hf_time_synack_to_ack, TX_LBL_SYNACK_TO_ACK },
    { &hf_time_teardown, TX_LBL_TEARDOWN_TIME },
    { &hf_zeek_conn_state, TX_LBL_ZEEK_CONN_STATE },
    { &hf_zeek_history, TX_LBL_ZEEK_HISTORY },
    { &hf_zeek_conn, TX_LBL_ZEEK_CONN },
    { &hf_zeek_split, TX_LBL_ZEEK_SPLIT },
    { &hf_anomaly, TX_LBL_ANOMALY },
    { &hf_conn_outcome, TX_LBL_CONN_OUTCOME },
    { &hf_conn_client_final, TX_LBL_CLIENT_FINAL },
    { &hf_conn_server_final, TX_LBL_SERVER_FINAL },
    { &hf_conn_zeek_state, TX_LBL_CONN_ZEEK_STATE },
    { &hf_conn_anomaly, TX_LBL_CONN_ANOMALY },
};

static void
name_fields(hf_register_info *hf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < array_length(field_names); k++)
            if (hf[i].p_id == field_names[k].hf)
                hf[i].hfinfo.name = ts_text(field_names[k].name, TS_LANG_EN);
}

void
proto_register_tcpstate(void)
{
    static hf_register_info hf[] = {
        { &hf_stage, { NULL /* TX_LBL_STAGE */, "tcpstate.stage", FT_STRING, BASE_NONE, NULL, 0x0,
          "Place of the segment in the connection's life (English label; filter on it)", HFILL } },
        { &hf_stage_local, { NULL /* TX_LBL_STAGE_LOCAL */, "tcpstate.stage_local", FT_STRING, BASE_NONE, NULL, 0x0,
          "The stage label in the language of the preference tcpstate.language, for columns "
          "(filter on tcpstate.stage, which never changes)", HFILL } },
        { &hf_phase, { NULL /* TX_LBL_PHASE */, "tcpstate.phase", FT_STRING, BASE_NONE, NULL, 0x0,
          "handshake, established, teardown, closed or reset", HFILL } },
        { &hf_step, { NULL /* TX_LBL_STEP */, "tcpstate.step", FT_STRING, BASE_NONE, NULL, 0x0,
          "Step within the handshake or teardown (1/3, 2+3/4, ...)", HFILL } },
        { &hf_client_before, { NULL /* TX_LBL_CLIENT_BEFORE */, "tcpstate.client.before", FT_STRING, BASE_NONE, NULL, 0x0,
          "RFC 9293 state of the client before this segment", HFILL } },
        { &hf_client_after, { NULL /* TX_LBL_CLIENT_AFTER */, "tcpstate.client.after", FT_STRING, BASE_NONE, NULL, 0x0,
          "RFC 9293 state of the client after this segment", HFILL } },
        { &hf_server_before, { NULL /* TX_LBL_SERVER_BEFORE */, "tcpstate.server.before", FT_STRING, BASE_NONE, NULL, 0x0,
          "RFC 9293 state of the server before this segment", HFILL } },
        { &hf_server_after, { NULL /* TX_LBL_SERVER_AFTER */, "tcpstate.server.after", FT_STRING, BASE_NONE, NULL, 0x0,
          "RFC 9293 state of the server after this segment", HFILL } },
        { &hf_sender, { NULL /* TX_LBL_SENDER */, "tcpstate.sender", FT_STRING, BASE_NONE, NULL, 0x0,
          "Who sent the segment: client or server", HFILL } },
        { &hf_closer, { NULL /* TX_LBL_CLOSER */, "tcpstate.closer", FT_STRING, BASE_NONE, NULL, 0x0,
          "Who sent the connection's first FIN: client or server", HFILL } },
        { &hf_teardown_role, { NULL /* TX_LBL_TEARDOWN_ROLE */, "tcpstate.teardown_role", FT_STRING, BASE_NONE, NULL, 0x0,
          "Role of the sender in the close: initiator (active close) or recipient (passive close)", HFILL } },
        { &hf_retransmission, { NULL /* TX_LBL_RETRANSMISSION */, "tcpstate.retransmission", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
          "Repeats a SYN, SYN-ACK, FIN or ACK already seen", HFILL } },
        { &hf_inferred, { NULL /* TX_LBL_INFERRED */, "tcpstate.inferred", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
          "Roles and states inferred: the connection's SYN was not seen", HFILL } },
        { &hf_explanation, { NULL /* TX_LBL_EXPLANATION */, "tcpstate.explanation", FT_STRING, BASE_NONE, NULL, 0x0,
          "What the segment does, in plain words", HFILL } },
        { &hf_related_frame, { NULL /* TX_LBL_RELATED_FRAME */, "tcpstate.related_frame", FT_FRAMENUM, BASE_NONE,
          FRAMENUM_TYPE(FT_FRAMENUM_ACK), 0x0,
          "The segment this one answers: the SYN of a SYN-ACK, the FIN an ACK acknowledges", HFILL } },
        { &hf_conn, { NULL /* TX_LBL_CONN */, "tcpstate.conn", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Connection number within the TCP stream (ports reused)", HFILL } },
        { &hf_time_syn_to_synack, { NULL /* TX_LBL_SYN_TO_SYNACK */, "tcpstate.time.syn_to_synack", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Time from the SYN to this SYN-ACK", HFILL } },
        { &hf_time_synack_to_ack, { NULL /* TX_LBL_SYNACK_TO_ACK */, "tcpstate.time.synack_to_ack", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Time from the SYN-ACK to this handshake ACK", HFILL } },
        { &hf_time_teardown, { NULL /* TX_LBL_TEARDOWN_TIME */, "tcpstate.time.teardown", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Time from the first FIN to this final ACK", HFILL } },
        { &hf_zeek_conn_state, { NULL /* TX_LBL_ZEEK_CONN_STATE */, "tcpstate.zeek.conn_state", FT_STRING, BASE_NONE, NULL, 0x0,
          "Zeek's conn_state as of this segment", HFILL } },
        { &hf_zeek_history, { NULL /* TX_LBL_ZEEK_HISTORY */, "tcpstate.zeek.history", FT_STRING, BASE_NONE, NULL, 0x0,
          "Zeek's connection history as of this segment", HFILL } },
        { &hf_zeek_conn, { NULL /* TX_LBL_ZEEK_CONN */, "tcpstate.zeek.conn", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Zeek connection number within this tcpstate.conn: 0, then +1 each time Zeek's "
          "timers or reuse rule end a connection that tcpstate keeps as one", HFILL } },
        { &hf_zeek_split, { NULL /* TX_LBL_ZEEK_SPLIT */, "tcpstate.zeek.split", FT_STRING, BASE_NONE, NULL, 0x0,
          "On the first packet of a Zeek connection other than the first: why Zeek ended "
          "the previous one (attempt, close, reuse, inactivity, expire)", HFILL } },
        { &hf_anomaly, { NULL /* TX_LBL_ANOMALY */, "tcpstate.anomaly", FT_STRING, BASE_NONE, NULL, 0x0,
          "Name of an anomaly found at this segment", HFILL } },
        { &hf_conn_outcome, { NULL /* TX_LBL_CONN_OUTCOME */, "tcpstate.conn.outcome", FT_STRING, BASE_NONE, NULL, 0x0,
          "How the whole connection ended (two passes / GUI); in one pass, as known at this packet", HFILL } },
        { &hf_conn_client_final, { NULL /* TX_LBL_CLIENT_FINAL */, "tcpstate.conn.client_final", FT_STRING, BASE_NONE, NULL, 0x0,
          "The client's RFC 9293 state at the end of the connection (one pass: so far)", HFILL } },
        { &hf_conn_server_final, { NULL /* TX_LBL_SERVER_FINAL */, "tcpstate.conn.server_final", FT_STRING, BASE_NONE, NULL, 0x0,
          "The server's RFC 9293 state at the end of the connection (one pass: so far)", HFILL } },
        { &hf_conn_zeek_state, { NULL /* TX_LBL_CONN_ZEEK_STATE */, "tcpstate.conn.zeek_state", FT_STRING, BASE_NONE, NULL, 0x0,
          "Zeek's conn_state of the whole connection (one pass: so far)", HFILL } },
        { &hf_conn_anomaly, { NULL /* TX_LBL_CONN_ANOMALY */, "tcpstate.conn.anomaly", FT_STRING, BASE_NONE, NULL, 0x0,
          "An anomaly found anywhere in the connection, on every packet of it (one pass: so far)", HFILL } },
    };
    static gint *ett[] = { &ett_tcpstate, &ett_tcpstate_states, &ett_tcpstate_zeek,
                           &ett_tcpstate_explanation, &ett_tcpstate_conn };

    /* One expert field per row of TS_ANOMALY_LIST: names, groups, severities
     * and summaries come from the table, never typed here. */
    static const ei_register_info ei_template = {
        NULL, { "tcpstate.anomaly", PI_SEQUENCE, PI_NOTE, "", EXPFILL }
    };
    static char ei_names[TS_ANOMALY_COUNT][64];
    expert_module_t *expert;
    module_t *prefs;
    unsigned an;

    proto_tcpstate = proto_register_protocol(ts_text(TX_TREE_TITLE, TS_LANG_EN), "TCPState",
                                             "tcpstate");
    name_fields(hf, array_length(hf));
    proto_register_field_array(proto_tcpstate, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));

    for (an = 0; an < TS_ANOMALY_COUNT; an++) {
        ei[an] = ei_template;
        ei[an].ids = &ei_anomaly[an];
        /* Static: registered names must live as long as the program (a heap
         * copy would be reported as a leak at exit). */
        snprintf(ei_names[an], sizeof ei_names[an], "tcpstate.anomaly.%s", ts_anomaly_name(an));
        ei[an].eiinfo.name = ei_names[an];
        ei[an].eiinfo.group = map_group(ts_anomaly_group(an));
        ei[an].eiinfo.severity = map_severity(ts_anomaly_severity(an));
    }
    name_experts(TS_LANG_EN);
    expert = expert_register_protocol(proto_tcpstate);
    expert_register_field_array(expert, ei, TS_ANOMALY_COUNT);

    prefs = prefs_register_protocol(proto_tcpstate, tcpstate_prefs_apply);
    /* registered before the preferences are read: English (see the catalog) */
#define PREF_TX(id) ts_text((id), TS_LANG_EN)
    prefs_register_bool_preference(prefs, "info_column", PREF_TX(TX_PREF_INFO_COLUMN),
        PREF_TX(TX_PREF_INFO_COLUMN_HELP), &pref_info_column);
    prefs_register_bool_preference(prefs, "info_column_first", PREF_TX(TX_PREF_INFO_FIRST),
        PREF_TX(TX_PREF_INFO_FIRST_HELP), &pref_info_first);
    prefs_register_bool_preference(prefs, "info_column_data", PREF_TX(TX_PREF_INFO_DATA),
        PREF_TX(TX_PREF_INFO_DATA_HELP), &pref_info_data);
    prefs_register_string_preference(prefs, "language", PREF_TX(TX_PREF_LANGUAGE),
        PREF_TX(TX_PREF_LANGUAGE_HELP), &pref_language_text);
    prefs_register_bool_preference(prefs, "analogy", PREF_TX(TX_PREF_ANALOGY),
        PREF_TX(TX_PREF_ANALOGY_HELP), &pref_analogy);
    prefs_register_string_preference(prefs, "grace_period", PREF_TX(TX_PREF_GRACE),
        PREF_TX(TX_PREF_GRACE_HELP), &pref_grace_text);
    prefs_register_uint_preference(prefs, "zeek.attempt_delay", PREF_TX(TX_PREF_ZEEK_ATTEMPT),
        PREF_TX(TX_PREF_ZEEK_ATTEMPT_HELP), 10, &pref_zeek_attempt_s);
    prefs_register_uint_preference(prefs, "zeek.close_delay", PREF_TX(TX_PREF_ZEEK_CLOSE),
        PREF_TX(TX_PREF_ZEEK_CLOSE_HELP), 10, &pref_zeek_close_s);
    prefs_register_uint_preference(prefs, "zeek.inactivity_timeout", PREF_TX(TX_PREF_ZEEK_INACTIVITY),
        PREF_TX(TX_PREF_ZEEK_INACTIVITY_HELP), 10, &pref_zeek_inactivity_s);
    prefs_register_uint_preference(prefs, "zeek.handshake_inactivity_timeout",
        PREF_TX(TX_PREF_ZEEK_HS_INACTIVITY), PREF_TX(TX_PREF_ZEEK_HS_INACTIVITY_HELP),
        10, &pref_zeek_hs_inactivity_s);
#undef PREF_TX

    streams = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
    tuples = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), tuple_hash, tuple_equal);
    register_init_routine(tcpstate_init);
    register_cleanup_routine(tcpstate_cleanup);
    make_endpoint_labels();
    make_info_labels();

    tcpstate_handle = create_dissector_handle(dissect_tcpstate, proto_tcpstate);
    tcpstate_tap = register_tap(TCPSTATE_TAP_NAME);
}

void
proto_reg_handoff_tcpstate(void)
{
    unsigned w;

    for (w = 0; w < W_COUNT; w++)
        wanted_hf[w] = proto_registrar_get_id_byname(wanted_names[w]);
    wanted_hf[W_TCP_CKSUM_STATUS] = proto_registrar_get_id_byname("tcp.checksum.status");
    register_postdissector(tcpstate_handle);
    update_wanted_fields();
    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
    proto_udp = proto_get_id_by_filter_name("udp");
    proto_vxlan = proto_get_id_by_filter_name("vxlan");
    proto_gre = proto_get_id_by_filter_name("gre");
}
