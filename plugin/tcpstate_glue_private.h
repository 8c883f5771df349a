/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate glue, private: what the files of the Wireshark glue share among
 * themselves and nobody else includes (the taps see tcpstate_glue.h only).
 *
 *   packet-tcpstate.c          the postdissector: the first pass feeds every
 *                              TCP layer to the core, every pass renders
 *                              and taps the frame's stored records
 *   tcpstate_glue_frames.c     per-frame storage: slots in frame order, the
 *                              file's store of streams (tcpstate_store.c,
 *                              plain C) by tcp.stream and four-tuple, file reset
 *   tcpstate_glue_fields.c     one TCP layer's facts from the frame's tree
 *                              (wanted fields, IP and TCP header bytes,
 *                              tunnel identity); the byte parsing itself is
 *                              tcpstate_wire.c, Wireshark-independent
 *   tcpstate_glue_render.c     the TCPState subtree, the Info column, the
 *                              expert infos, the draw-time filter of taps
 *   tcpstate_glue_register.c   fields, experts, preferences, the tap, the
 *                              wanted fields; plugin-wide accessors
 */
#ifndef TCPSTATE_GLUE_PRIVATE_H
#define TCPSTATE_GLUE_PRIVATE_H

#include <stdint.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/address.h>

#include "tcpstate_core.h"
#include "tcpstate_glue.h"
#include "tcpstate_store.h"

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

/* ---- Registration handles (tcpstate_glue_register.c) -------------------- */

extern int proto_tcpstate;
extern int tcpstate_tap;
extern dissector_handle_t tcpstate_handle;

extern int hf_stage, hf_stage_local, hf_phase, hf_step;
extern int hf_client_before, hf_client_after, hf_server_before, hf_server_after;
extern int hf_sender, hf_closer, hf_teardown_role, hf_retransmission, hf_inferred;
extern int hf_explanation, hf_related_frame, hf_conn;
extern int hf_time_syn_to_synack, hf_time_synack_to_ack, hf_time_teardown;
extern int hf_zeek_conn_state, hf_zeek_history, hf_zeek_conn, hf_zeek_split;
extern int hf_anomaly;
extern int hf_conn_outcome, hf_conn_client_final, hf_conn_server_final;
extern int hf_conn_zeek_state, hf_conn_anomaly;

extern int ett_tcpstate, ett_tcpstate_states, ett_tcpstate_zeek;
extern int ett_tcpstate_explanation, ett_tcpstate_conn;

extern expert_field ei_anomaly[TS_ANOMALY_COUNT];
/* The expert fields' registration records; their names follow the
 * language preference (tcpstate_glue_register.c: name_experts). */
extern ei_register_info ei[TS_ANOMALY_COUNT];

/* Other protocols' fields, looked up by name in the handoff. */
enum {
    W_TCP_SRCPORT, W_TCP_LEN, W_TCP_STREAM,
    W_IP, W_IPV6, W_UDP,
    W_COUNT,
    W_TCP_CKSUM_STATUS = W_COUNT,   /* wanted only while checksums are verified */
    W_ALL
};
extern int wanted_hf[W_ALL];
extern gboolean want_checksum;
/* Protocols whose layer number is looked up in pinfo->layers. */
extern int proto_icmp, proto_icmpv6, proto_udp, proto_vxlan, proto_gre;

/* ---- Preferences (tcpstate_glue_register.c) ----------------------------- */

extern ts_pref_bool pref_info_column;
extern ts_pref_bool pref_info_first;
extern ts_pref_bool pref_info_data;
extern gint         pref_language;

/* ---- The postdissector (packet-tcpstate.c) ------------------------------ */

int dissect_tcpstate(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data);

/* ---- Per-frame storage (tcpstate_glue_frames.c) ------------------------- */

/* The file's streams: records, tcp.stream index, four-tuple table
 * (tcpstate_store.c, plain C); file scope, reset per file. */
extern ts_store file_store;
/* Latest frame timestamp of the first pass. */
extern int64_t capture_end_ns;
extern gboolean capture_end_set;

/* A four-tuple's record (endpoint A: source of the first segment seen). */
typedef ts_store_stream tcpstate_stream;

/* What is kept per TCP layer of a frame: 12 bytes, every field 4-byte or
 * narrower and none padded (issue 11 "Memory", issue 14: the slot is most
 * of the plugin's memory on a large capture; it was 48 bytes, then 24).
 * It is the core's ts_record less what is rare or can be read again:
 *  - frame: its offset from the frame of the first slot of its block of
 *    TS_SLOTS_PER_BASE (slots are in frame order: 64 TCP layers span fewer
 *    than 65,535 frames unless TCP is under 0.1% of the capture);
 *  - conn: a handle (conn_at), not the 8-byte pointer: the glue's table of
 *    the file's connections, which a small SYN's promotion updates;
 *  - related_frame: how far back it lies, as most answer a recent frame;
 *  - the record's eight one-byte facts (stage, states, flags, Zeek's state
 *    and history length) and `where`: the index of that combination in the
 *    file's table of them (a capture has few: a few dozen in a mix of 100k
 *    connections);
 *  - seq and ack: a later pass reads them again from the frame's own bytes
 *    at `where` (the TCP header's offset in the frame's tvb, which every
 *    pass hands the postdissector); len (tcp.len) is kept, in 16 bits;
 *  - delta_us (only with TS_REC_TIME_VALID), the anomalies (when any), the
 *    alt_* bytes (TS_REC_ALT), and seq/ack/len of a segment whose header is
 *    not in the frame's bytes (reassembled IP fragments, another data
 *    source), sits past TS_SLOT_WHERE_MAX, is longer than 0xFFFE bytes, or
 *    of an ICMP record (the quoted seq), are in side tables keyed by the
 *    slot's index (tcpstate_glue_frames.c), and so are a frame offset, a
 *    related frame or a combination that does not fit its field (SLOT_FAR);
 *    the two bits of `where` above the offset are the glue's own marks, the
 *    core's fields keep all their bits.
 * The rest of a ts_segment is rebuilt from the record (flags, direction),
 * the frame (number, time) and the connection's four-tuple (ports). */
typedef struct {
    uint32_t conn;           /* handle of the record's connection (conn_at) */
    uint16_t frame_off;      /* frame - its block's base, or SLOT_FAR */
    uint16_t related_back;   /* 0: none; else frame + 1 - related_frame, or SLOT_FAR */
    uint16_t kind;           /* the record's facts and where (kind_at), or SLOT_FAR */
    uint16_t len;            /* tcp.len, unless TS_SLOT_APART */
} tcpstate_slot;

#define SLOT_FAR          0xffffu  /* the value is in a side table */
#define TS_SLOT_APART     0x8000u  /* seq, ack and len are in the side table */
#define TS_SLOT_ANOMALIES 0x4000u  /* the record's anomalies are in the side table */
#define TS_SLOT_WHERE_MAX 0x3fffu  /* the largest TCP header offset kept in `where` */

/* The goal of the compact slot, checked where the compiler sees it. */
G_STATIC_ASSERT(sizeof(tcpstate_slot) <= 12);

/* Slots in first-pass order, i.e. sorted by frame number (then by layer),
 * in chunks that never move: no reallocation copies, at most one partly
 * used chunk.  File scope: rebuilt from nothing for every file. */
#define TS_SLOTS_PER_CHUNK 4096u
#define TS_SLOTS_PER_BASE  64u
typedef struct {
    uint32_t      base[TS_SLOTS_PER_CHUNK / TS_SLOTS_PER_BASE]; /* each block's first frame */
    tcpstate_slot slot[TS_SLOTS_PER_CHUNK];
} tcpstate_chunk;

extern tcpstate_chunk **chunks;
extern uint32_t slot_count;
extern uint32_t slot_cursor;    /* where the next frame's slots probably are */

/* Inline: every pass calls it for every slot of every frame. */
static inline tcpstate_slot *
slot_at(uint32_t i)
{
    return &chunks[i / TS_SLOTS_PER_CHUNK]->slot[i % TS_SLOTS_PER_CHUNK];
}
/* The frame of slot i. */
uint32_t slot_frame(uint32_t i);
uint32_t slot_find(uint32_t frame);
void forget_file(void);

/* Appends the slot of rec (first pass, frames in order) and what of it
 * goes to the side tables.  handle: its connection's (ts_store_tag).
 * where: the TCP header's offset in the frame's tvb, or -1 when seq and ack
 * cannot be read there again (TS_SLOT_APART). */
void slot_store(const ts_record *rec, uint32_t handle, uint32_t frame, int where,
                uint32_t seq, uint32_t ack, uint32_t len);
/* Slot i's record (its conn as the table has it: maybe a small one's
 * tagged pointer; resolve it through ts_store_conn) and seq, ack, len;
 * tvb: the frame's own, for seq and ack (NULL: they are not wanted, and
 * read 0 unless kept apart). */
void slot_load(uint32_t i, tvbuff_t *tvb, ts_record *rec,
               uint32_t *seq, uint32_t *ack, uint32_t *len);

/* The file's connections by handle: the record's conn as the store gave
 * it (a small one's tagged pointer until promoted), and the tcp.stream it
 * began in.  A connection's handle is its user_tag (the store's tag). */
typedef struct {
    const ts_conn *conn[TS_SLOTS_PER_CHUNK];
    uint32_t       stream[TS_SLOTS_PER_CHUNK];
} tcpstate_conn_chunk;
extern tcpstate_conn_chunk **conn_chunks;
extern uint32_t conn_count;     /* handles given; the next one is conn_count */

static inline const ts_conn *
conn_at(uint32_t h)
{
    return conn_chunks[h / TS_SLOTS_PER_CHUNK]->conn[h % TS_SLOTS_PER_CHUNK];
}
static inline void
conn_set(uint32_t h, const ts_conn *c)
{
    conn_chunks[h / TS_SLOTS_PER_CHUNK]->conn[h % TS_SLOTS_PER_CHUNK] = c;
}
static inline uint32_t
conn_stream(uint32_t h)
{
    return conn_chunks[h / TS_SLOTS_PER_CHUNK]->stream[h % TS_SLOTS_PER_CHUNK];
}
/* Gives c (whose tag is conn_count) the next handle. */
void conn_add(const ts_conn *c, uint32_t stream);

/* The record of the four-tuple (src, sport) -> (dst, dport), made when
 * there is none (first pass); stream_of_tuple only looks. */
tcpstate_stream *stream_for_tuple(const address *src, uint16_t sport,
                                  const address *dst, uint16_t dport);
tcpstate_stream *stream_of_tuple(const address *src, uint16_t sport,
                                 const address *dst, uint16_t dport);
/* tcp.stream number -> record, and setting it. */
tcpstate_stream *stream_numbered(uint32_t number);
void stream_number(uint32_t number, tcpstate_stream *ts);
/* Endpoint A's (a = TRUE) or B's address, pointing into the record. */
void stream_address(const tcpstate_stream *ts, gboolean a, address *out);
/* The segment from src (port sport, to dport) was sent by endpoint A. */
gboolean stream_from_a(const tcpstate_stream *ts, const address *src,
                       uint16_t sport, uint16_t dport);

/* ---- One TCP layer's facts (tcpstate_glue_fields.c) --------------------- */

/* The wanted fields of the frame being fed (first pass): arrays fetched
 * from its tree; the IP items when first asked for, and only those of the
 * IP versions the frame's layers hold. */
typedef struct {
    proto_tree *tree;
    GPtrArray  *arr[W_ALL];
    gboolean    have_ip;
    /* which of ip and ipv6 the frame's layers hold, when known
     * (FF_LAYERS_KNOWN): the other's items are not looked for */
    unsigned    ip_layers;
    /* ip_below's last answer (below_layer 0: none yet): a layer asks for
     * its IP header three times (length, tunnels, addresses) */
    int         below_layer;
    field_info *below;
} frame_fields;

enum { FF_HAS_IP = 1u << 0, FF_HAS_IPV6 = 1u << 1, FF_LAYERS_KNOWN = 1u << 2 };

field_info *finfo_in_layer(GPtrArray *arr, int layer_num);
guint32 finfo_uint(field_info *fi);
GPtrArray *wanted_items(proto_tree *tree, unsigned w);
gboolean ip_header_addresses(packet_info *pinfo, const field_info *fi, address *src, address *dst);
gboolean read_tcp_header(const field_info *srcport, ts_segment *seg);
uint32_t ip_total_length(const field_info *ip);
gboolean read_ip_and_tcp(const field_info *ip, const field_info *srcport, ts_segment *seg);
field_info *ip_below(frame_fields *ff, int layer_num);
uint32_t encapsulation_of(packet_info *pinfo, frame_fields *ff, int layer_num);
void layer_addresses(packet_info *pinfo, frame_fields *ff, int layer_num,
                     address *src, address *dst);

/* ---- Rendering (tcpstate_glue_render.c) --------------------------------- */

/* rec: the record to show (the stored one, or its hindsight view). */
void render(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
            const ts_segment *seg, const ts_record *rec, ts_anomaly_set anomalies);

#endif /* TCPSTATE_GLUE_PRIVATE_H */
