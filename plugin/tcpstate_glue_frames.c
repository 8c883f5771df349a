/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate glue: per-frame storage.  The first pass keeps one 24-byte slot
 * per TCP layer (the core's record, less its rare fields and seq/ack: see
 * tcpstate_slot) in frame order, the rare fields in side tables and the
 * connections in a table of handles; later passes find a frame's slots by
 * binary search and render from them and the frame's bytes alone,
 * since tshark's second pass does not hand postdissectors their wanted
 * fields again.  Beside them, the file's store (tcpstate_store.c: the
 * four-tuples' records, found by tcp.stream number or by four-tuple, and
 * the core's connections) and the capture's latest time.  All of it is
 * file scope: forget_file() drops it between files.
 */

#include <stddef.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/address.h>
#include "tcpstate_wire.h"

#include "tcpstate_glue_private.h"

/* ---- File-scoped state ----------------------------------------------------- */

/* The file's stream records, tcp.stream index and four-tuple table.  When
 * Wireshark opens a new tcp.stream for a reused four-tuple, the core learns
 * about the connection that used it before (TIME-WAIT reuse) because both
 * tcp.streams share the four-tuple's record. */
ts_store file_store;
/* Latest frame timestamp of the first pass. */
int64_t capture_end_ns;
gboolean capture_end_set;

tcpstate_chunk **chunks;
static uint32_t chunk_cap;      /* entries of chunks[] */
uint32_t slot_count;
uint32_t slot_cursor;    /* where the next frame's slots probably are */

tcpstate_conn_chunk **conn_chunks;
static uint32_t conn_chunk_cap;  /* entries of conn_chunks[] */
uint32_t conn_count;

/* A side table: entries of `words` uint32_t, the first the index of the
 * slot they belong to.  Slots are appended in order, so the entries are
 * sorted by it; in chunks that never move, like the slots. */
#define RARE_PER_CHUNK 1024u
typedef struct {
    unsigned   words;
    uint32_t   count;
    uint32_t   cursor;          /* where the next look-up probably is */
    uint32_t **chunk;
    uint32_t   chunk_cap;
} rare_table;

/* delta_us of a record with TS_REC_TIME_VALID; its anomalies when not 0
 * (TS_SLOT_ANOMALIES); alt_* of one with TS_REC_ALT (the three bytes in
 * one word); seq, ack and len of a slot marked TS_SLOT_APART. */
static rare_table rare_delta = { .words = 2 }, rare_anomalies = { .words = 2 },
                  rare_alt = { .words = 2 }, rare_seq = { .words = 4 };
static void rare_forget(rare_table *t);

int64_t tcpstate_capture_end_ns(void) { return capture_end_set ? capture_end_ns : 0; }

static void *
file_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return wmem_alloc0(wmem_file_scope(), size);
}

/* The store's arena chunks: it zeroes each piece as it hands it out. */
static void *
file_alloc_unzeroed(void *ctx, size_t size)
{
    (void)ctx;
    return wmem_alloc(wmem_file_scope(), size);
}

static void
file_release(void *ctx, void *p)
{
    (void)ctx;
    wmem_free(wmem_file_scope(), p);
}

/* The store made a small connection real: its handle moves to it (the
 * store may then reuse the small one's memory). */
static void
conn_promoted(void *ctx, uint32_t handle, const ts_conn *full)
{
    (void)ctx;
    if (handle < conn_count)
        conn_set(handle, full);
}

void
forget_file(void)
{
    /* The store's memory and the chunks are file-scoped: they go with the
     * file scope; only the static handles must be dropped. */
    ts_store_init(&file_store, file_alloc, file_release, NULL);
    ts_store_set_chunk_alloc(&file_store, file_alloc_unzeroed);
    ts_store_set_promoted(&file_store, conn_promoted);
    capture_end_ns = 0;
    capture_end_set = FALSE;
    chunks = NULL;
    chunk_cap = 0;
    slot_count = 0;
    slot_cursor = 0;
    conn_chunks = NULL;
    conn_chunk_cap = 0;
    conn_count = 0;
    rare_forget(&rare_delta);
    rare_forget(&rare_anomalies);
    rare_forget(&rare_alt);
    rare_forget(&rare_seq);
}

/* ---- Chunked tables: slots, connection handles ------------------------------ */

/* A table of chunks grown by doubling its array of chunk pointers (file
 * scope); *cap entries, chunk c made (bytes, not zeroed) when missing. */
static void *
chunk_for(void ***table, uint32_t *cap, uint32_t c, size_t bytes)
{
    if (c >= *cap) {
        uint32_t n = *cap ? *cap * 2 : 16;
        *table = (void **)wmem_realloc(wmem_file_scope(), *table, n * sizeof **table);
        memset(*table + *cap, 0, (n - *cap) * sizeof **table);
        *cap = n;
    }
    if (!(*table)[c])
        (*table)[c] = wmem_alloc(wmem_file_scope(), bytes);
    return (*table)[c];
}

/* A new slot at the end (first pass only, so frames come in order).  A
 * chunk is made when its first slot is: only then is there anything to
 * check. */
static inline tcpstate_slot *
slot_append(void)
{
    if (slot_count % TS_SLOTS_PER_CHUNK == 0)
        chunk_for((void ***)&chunks, &chunk_cap, slot_count / TS_SLOTS_PER_CHUNK,
                  sizeof(tcpstate_chunk));
    return slot_at(slot_count++);
}

void
conn_add(const ts_conn *c, uint32_t stream)
{
    uint32_t h;

    if (conn_count % TS_SLOTS_PER_CHUNK == 0)
        chunk_for((void ***)&conn_chunks, &conn_chunk_cap, conn_count / TS_SLOTS_PER_CHUNK,
                  sizeof(tcpstate_conn_chunk));
    h = conn_count++;
    conn_set(h, c);
    conn_chunks[h / TS_SLOTS_PER_CHUNK]->stream[h % TS_SLOTS_PER_CHUNK] = stream;
}

/* ---- Side tables ------------------------------------------------------------ */

static void
rare_forget(rare_table *t)
{
    t->count = t->cursor = t->chunk_cap = 0;
    t->chunk = NULL;            /* file scope: went with the file */
}

static inline uint32_t *
rare_at(const rare_table *t, uint32_t i)
{
    return t->chunk[i / RARE_PER_CHUNK] + (i % RARE_PER_CHUNK) * t->words;
}

/* A new entry of slot `slot`, the last one so far. */
static uint32_t *
rare_append(rare_table *t, uint32_t slot)
{
    uint32_t *e;
    if (t->count % RARE_PER_CHUNK == 0)
        chunk_for((void ***)&t->chunk, &t->chunk_cap, t->count / RARE_PER_CHUNK,
                  RARE_PER_CHUNK * t->words * sizeof(uint32_t));
    e = rare_at(t, t->count++);
    e[0] = slot;
    return e;
}

/* Slot `slot`'s entry, or NULL.  A pass walks the slots in order, so the
 * entry after the last one found usually answers at once. */
static const uint32_t *
rare_find(rare_table *t, uint32_t slot)
{
    uint32_t lo = 0, hi = t->count;
    if (t->cursor < t->count && rare_at(t, t->cursor)[0] == slot)
        return rare_at(t, t->cursor++);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rare_at(t, mid)[0] < slot)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == t->count || rare_at(t, lo)[0] != slot)
        return NULL;
    t->cursor = lo + 1;
    return rare_at(t, lo);
}

/* ---- Per-frame slots --------------------------------------------------------- */

/* The record's eight one-byte facts, stage to seg_bits, lie one after the
 * other in the same order in the record and in the slot: copied as one. */
#define SAME_PLACE(f) \
    G_STATIC_ASSERT(offsetof(ts_record, f) - offsetof(ts_record, stage) == \
                    offsetof(tcpstate_slot, f) - offsetof(tcpstate_slot, stage))
SAME_PLACE(states);
SAME_PLACE(server_states);
SAME_PLACE(rflags);
SAME_PLACE(zeek_state);
SAME_PLACE(zeek_hist_len);
SAME_PLACE(seg_flags);
SAME_PLACE(seg_bits);
#define REC_BYTES (offsetof(tcpstate_slot, seg_bits) + 1 - offsetof(tcpstate_slot, stage))
G_STATIC_ASSERT(REC_BYTES == 8);

void
slot_store(const ts_record *rec, uint32_t handle, uint32_t frame, int where, uint32_t seq,
           uint32_t ack, uint32_t len)
{
    uint32_t i = slot_count;
    tcpstate_slot *slot = slot_append();
    unsigned w;

    slot->frame = frame;
    slot->conn = handle;
    slot->related_frame = rec->related_frame;
    memcpy(&slot->stage, &rec->stage, REC_BYTES);
    slot->len = (uint16_t)len;
    /* (unsigned: where -1 is past the maximum) */
    if ((unsigned)where <= TS_SLOT_WHERE_MAX && len <= 0xfffeu) {
        w = (unsigned)where;
    } else {
        uint32_t *e = rare_append(&rare_seq, i);
        e[1] = seq;
        e[2] = ack;
        e[3] = len;
        w = TS_SLOT_APART;
        slot->len = 0;
    }
    if (rec->anomalies) {
        rare_append(&rare_anomalies, i)[1] = rec->anomalies;
        w |= TS_SLOT_ANOMALIES;
    }
    slot->where = (uint16_t)w;
    if (rec->rflags & TS_REC_TIME_VALID)
        rare_append(&rare_delta, i)[1] = rec->delta_us;
    if (rec->rflags & TS_REC_ALT)
        rare_append(&rare_alt, i)[1] = rec->alt_stage | (uint32_t)rec->alt_states << 8 |
                                       (uint32_t)rec->alt_server_states << 16;
}

void
slot_load(uint32_t i, tvbuff_t *tvb, ts_record *rec, uint32_t *seq, uint32_t *ack,
          uint32_t *len)
{
    const tcpstate_slot *slot = slot_at(i);
    const uint32_t *e;

    memset(rec, 0, sizeof *rec);
    rec->conn = (ts_conn *)conn_at(slot->conn);
    rec->related_frame = slot->related_frame;
    memcpy(&rec->stage, &slot->stage, REC_BYTES);
    if (slot->where & TS_SLOT_ANOMALIES)
        rec->anomalies = (e = rare_find(&rare_anomalies, i)) ? e[1] : 0;
    if ((slot->rflags & TS_REC_TIME_VALID) && (e = rare_find(&rare_delta, i)) != NULL)
        rec->delta_us = e[1];
    if ((slot->rflags & TS_REC_ALT) && (e = rare_find(&rare_alt, i)) != NULL) {
        rec->alt_stage = (uint8_t)e[1];
        rec->alt_states = (uint8_t)(e[1] >> 8);
        rec->alt_server_states = (uint8_t)(e[1] >> 16);
    }
    *seq = *ack = 0;
    *len = slot->len;
    if (slot->where & TS_SLOT_APART) {
        if ((e = rare_find(&rare_seq, i)) != NULL) {
            *seq = e[1];
            *ack = e[2];
            *len = e[3];
        }
    } else if (tvb) {
        /* the bytes the first pass parsed: the frame's own, at the offset
         * its TCP header had then (slot_store) */
        int off = slot->where & TS_SLOT_WHERE_MAX;
        if (tvb_captured_length_remaining(tvb, off) >= 12) {
            const guint8 *h = tvb_get_ptr(tvb, off, 12);
            *seq = ts_wire_be32(h + 4);
            *ack = ts_wire_be32(h + 8);
        }
    }
}

/* Index of the frame's first slot, or slot_count when it has none.  Passes
 * over the file walk it in order, so the cursor usually answers at once. */
uint32_t
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

/* ---- Four-tuples -------------------------------------------------------------- */

static void
tuple_of(ts_tuple *k, const address *src, uint16_t sport, const address *dst,
         uint16_t dport, unsigned *src_side)
{
    ts_tuple_make(k, (uint8_t)src->type, (const uint8_t *)src->data, (unsigned)src->len, sport,
                  (const uint8_t *)dst->data, (unsigned)dst->len, dport, src_side);
}

/* The state kept for a four-tuple.  Wireshark may start a new tcp.stream
 * on the same four-tuple (a SYN after FIN or RST, and in 4.0 even a SYN on
 * a live connection, as in an RFC 5961 challenge); the core decides where
 * one connection ends and the next begins, so every tcp.stream of a
 * four-tuple shares one record.  Addresses of more than 16 bytes (no IP
 * address is) keep their first 16. */
tcpstate_stream *
stream_for_tuple(const address *src, uint16_t sport, const address *dst, uint16_t dport)
{
    ts_tuple key;
    unsigned src_side;

    tuple_of(&key, src, sport, dst, dport, &src_side);
    return ts_store_add(&file_store, &key, src_side);
}

tcpstate_stream *
stream_of_tuple(const address *src, uint16_t sport, const address *dst, uint16_t dport)
{
    ts_tuple key;

    tuple_of(&key, src, sport, dst, dport, NULL);
    return ts_store_find(&file_store, &key);
}

tcpstate_stream *
stream_numbered(uint32_t number)
{
    return ts_store_numbered(&file_store, number);
}

void
stream_number(uint32_t number, tcpstate_stream *ts)
{
    ts_store_number(&file_store, number, ts);   /* wmem aborts rather than fail */
}

void
stream_address(const tcpstate_stream *ts, gboolean a, address *out)
{
    set_address(out, ts->type, ts->alen, ts_store_addr(ts, a ? 1 : 0));
}

gboolean
stream_from_a(const tcpstate_stream *ts, const address *src, uint16_t sport, uint16_t dport)
{
    address a;

    if (sport != dport)
        return sport == ts_store_port(ts, 1);
    stream_address(ts, TRUE, &a);
    return src->type == a.type && (src->len > 16 ? 16 : src->len) == a.len &&
           (a.len == 0 || memcmp(src->data, a.data, (size_t)a.len) == 0);
}
