/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate glue: per-frame storage.  The first pass keeps one 12-byte slot
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
 * one word); seq, ack and len of a slot marked TS_SLOT_APART; the frame,
 * related frame or kind (its ten bytes) of a slot whose field says SLOT_FAR. */
static rare_table rare_delta = { .words = 2 }, rare_anomalies = { .words = 2 },
                  rare_alt = { .words = 2 }, rare_seq = { .words = 4 },
                  rare_frame = { .words = 2 }, rare_related = { .words = 2 },
                  rare_kind = { .words = 4 };
static void rare_forget(rare_table *t);

/* A slot's kind: the record's eight one-byte facts, stage to seg_bits, and
 * the slot's `where`.  The file's distinct kinds are kept once, in order of
 * first use, and found again through an open-addressing table of their
 * indexes + 1 (0: empty), at most half full. */
typedef struct {
    uint8_t  facts[8];
    uint16_t where;
} slot_kind;
G_STATIC_ASSERT(sizeof(slot_kind) == 10);      /* no padding: compared as bytes */
#define KIND_MAX 0xfffeu                       /* SLOT_FAR is not a kind */
static slot_kind *kinds;
static uint32_t kind_count, kind_cap;
static uint16_t *kind_table;
static uint32_t kind_mask;
static uint32_t kind_last;                     /* the previous slot's kind */
static void kinds_forget(void);

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
    rare_forget(&rare_frame);
    rare_forget(&rare_related);
    rare_forget(&rare_kind);
    kinds_forget();
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

/* A new slot at the end, of frame `frame` (first pass only, so frames come
 * in order).  A chunk is made when its first slot is: only then is there
 * anything to check; the frame of a block's first slot is its base. */
static inline tcpstate_slot *
slot_append(uint32_t frame)
{
    uint32_t j = slot_count % TS_SLOTS_PER_CHUNK;
    if (j % TS_SLOTS_PER_BASE == 0) {
        tcpstate_chunk *c = j ? chunks[slot_count / TS_SLOTS_PER_CHUNK]
                              : (tcpstate_chunk *)chunk_for((void ***)&chunks, &chunk_cap,
                                                            slot_count / TS_SLOTS_PER_CHUNK,
                                                            sizeof(tcpstate_chunk));
        c->base[j / TS_SLOTS_PER_BASE] = frame;
    }
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

/* ---- Kinds -------------------------------------------------------------------- */

static void
kinds_forget(void)
{
    kinds = NULL;               /* file scope: went with the file */
    kind_table = NULL;
    kind_count = kind_cap = kind_mask = kind_last = 0;
}

static inline uint32_t
kind_hash(const slot_kind *k)
{
    uint64_t f;
    memcpy(&f, k->facts, sizeof f);
    f ^= (uint64_t)k->where << 40;
    return (uint32_t)((f * UINT64_C(0x9e3779b97f4a7c15)) >> 32);
}

/* The table's entry for k: where k is, or the empty one where it goes. */
static uint16_t *
kind_entry(const slot_kind *k)
{
    uint32_t j = kind_hash(k) & kind_mask;
    while (kind_table[j] && memcmp(&kinds[kind_table[j] - 1], k, sizeof *k) != 0)
        j = (j + 1) & kind_mask;
    return &kind_table[j];
}

/* The table at twice the size (256 entries at first), every kind in it. */
static void
kinds_rehash(void)
{
    uint32_t n = kind_mask ? (kind_mask + 1) * 2 : 256, i;
    if (kind_table)
        wmem_free(wmem_file_scope(), kind_table);
    kind_table = wmem_alloc0_array(wmem_file_scope(), uint16_t, n);
    kind_mask = n - 1;
    for (i = 0; i < kind_count; i++)
        *kind_entry(&kinds[i]) = (uint16_t)(i + 1);
}

/* k's index among the file's kinds, added when new; SLOT_FAR when the
 * file already has KIND_MAX + 1 of them (a hostile capture's). */
static uint16_t
kind_of(const slot_kind *k)
{
    uint16_t *e;
    if (kind_last < kind_count && memcmp(&kinds[kind_last], k, sizeof *k) == 0)
        return (uint16_t)kind_last;         /* a run of alike segments */
    if (!kind_table)
        kinds_rehash();
    e = kind_entry(k);
    if (*e)
        return (uint16_t)(kind_last = *e - 1u);
    if (kind_count > KIND_MAX)
        return SLOT_FAR;
    if (kind_count == kind_cap) {
        kind_cap = kind_cap ? kind_cap * 2 : 64;
        kinds = wmem_realloc(wmem_file_scope(), kinds, kind_cap * sizeof *kinds);
    }
    kinds[kind_count] = *k;
    *e = (uint16_t)(kind_count + 1);
    kind_last = kind_count++;
    if (kind_count * 2 > kind_mask + 1)
        kinds_rehash();
    return (uint16_t)kind_last;
}

/* ---- Per-frame slots --------------------------------------------------------- */

/* The record's eight one-byte facts, stage to seg_bits, lie one after the
 * other: copied as one. */
G_STATIC_ASSERT(offsetof(ts_record, seg_bits) + 1 - offsetof(ts_record, stage) == 8);

void
slot_store(const ts_record *rec, uint32_t handle, uint32_t frame, int where, uint32_t seq,
           uint32_t ack, uint32_t len)
{
    uint32_t i = slot_count;
    tcpstate_slot *slot = slot_append(frame);
    uint32_t off = frame - chunks[i / TS_SLOTS_PER_CHUNK]->base[i % TS_SLOTS_PER_CHUNK /
                                                               TS_SLOTS_PER_BASE];
    uint32_t related = rec->related_frame;
    slot_kind k;

    slot->conn = handle;
    /* (unsigned: where -1 is past the maximum) */
    if ((unsigned)where <= TS_SLOT_WHERE_MAX && len <= 0xfffeu) {
        k.where = (uint16_t)where;
        slot->len = (uint16_t)len;
    } else {
        uint32_t *e = rare_append(&rare_seq, i);
        e[1] = seq;
        e[2] = ack;
        e[3] = len;
        k.where = TS_SLOT_APART;
        slot->len = 0;
    }
    if (rec->anomalies) {
        rare_append(&rare_anomalies, i)[1] = rec->anomalies;
        k.where |= TS_SLOT_ANOMALIES;
    }
    memcpy(k.facts, &rec->stage, sizeof k.facts);
    if ((slot->kind = kind_of(&k)) == SLOT_FAR)
        memcpy(rare_append(&rare_kind, i) + 1, &k, sizeof k);
    if (off < SLOT_FAR) {
        slot->frame_off = (uint16_t)off;
    } else {
        slot->frame_off = SLOT_FAR;
        rare_append(&rare_frame, i)[1] = frame;
    }
    if (!related) {
        slot->related_back = 0;
    } else if (related <= frame && frame - related < SLOT_FAR - 1u) {
        slot->related_back = (uint16_t)(frame + 1u - related);
    } else {
        slot->related_back = SLOT_FAR;
        rare_append(&rare_related, i)[1] = related;
    }
    if (rec->rflags & TS_REC_TIME_VALID)
        rare_append(&rare_delta, i)[1] = rec->delta_us;
    if (rec->rflags & TS_REC_ALT)
        rare_append(&rare_alt, i)[1] = rec->alt_stage | (uint32_t)rec->alt_states << 8 |
                                       (uint32_t)rec->alt_server_states << 16;
}

uint32_t
slot_frame(uint32_t i)
{
    const tcpstate_chunk *c = chunks[i / TS_SLOTS_PER_CHUNK];
    uint32_t j = i % TS_SLOTS_PER_CHUNK;
    uint16_t off = c->slot[j].frame_off;
    const uint32_t *e;
    if (off != SLOT_FAR)
        return c->base[j / TS_SLOTS_PER_BASE] + off;
    return (e = rare_find(&rare_frame, i)) != NULL ? e[1] : 0;
}

/* Slot i's kind. */
static slot_kind
slot_kind_of(uint32_t i, const tcpstate_slot *slot)
{
    slot_kind k;
    const uint32_t *e;
    if (slot->kind != SLOT_FAR)
        return kinds[slot->kind];
    memset(&k, 0, sizeof k);
    if ((e = rare_find(&rare_kind, i)) != NULL)
        memcpy(&k, e + 1, sizeof k);
    return k;
}

void
slot_load(uint32_t i, tvbuff_t *tvb, ts_record *rec, uint32_t *seq, uint32_t *ack,
          uint32_t *len)
{
    const tcpstate_slot *slot = slot_at(i);
    slot_kind k = slot_kind_of(i, slot);
    const uint32_t *e;

    memset(rec, 0, sizeof *rec);
    rec->conn = (ts_conn *)conn_at(slot->conn);
    if (slot->related_back == SLOT_FAR)
        rec->related_frame = (e = rare_find(&rare_related, i)) ? e[1] : 0;
    else if (slot->related_back)
        rec->related_frame = slot_frame(i) + 1u - slot->related_back;
    memcpy(&rec->stage, k.facts, sizeof k.facts);
    if (k.where & TS_SLOT_ANOMALIES)
        rec->anomalies = (e = rare_find(&rare_anomalies, i)) ? e[1] : 0;
    if ((rec->rflags & TS_REC_TIME_VALID) && (e = rare_find(&rare_delta, i)) != NULL)
        rec->delta_us = e[1];
    if ((rec->rflags & TS_REC_ALT) && (e = rare_find(&rare_alt, i)) != NULL) {
        rec->alt_stage = (uint8_t)e[1];
        rec->alt_states = (uint8_t)(e[1] >> 8);
        rec->alt_server_states = (uint8_t)(e[1] >> 16);
    }
    *seq = *ack = 0;
    *len = slot->len;
    if (k.where & TS_SLOT_APART) {
        if ((e = rare_find(&rare_seq, i)) != NULL) {
            *seq = e[1];
            *ack = e[2];
            *len = e[3];
        }
    } else if (tvb) {
        /* the bytes the first pass parsed: the frame's own, at the offset
         * its TCP header had then (slot_store) */
        int off = k.where & TS_SLOT_WHERE_MAX;
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
    if (slot_cursor < slot_count && slot_frame(slot_cursor) == frame &&
        (slot_cursor == 0 || slot_frame(slot_cursor - 1) != frame))
        return slot_cursor;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (slot_frame(mid) < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < slot_count && slot_frame(lo) == frame ? lo : slot_count;
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
