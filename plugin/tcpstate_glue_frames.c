/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate glue: per-frame storage.  The first pass keeps one 48-byte slot
 * per TCP layer (the core's record and seq/ack/len) in frame order; later
 * passes find a frame's slots by binary search and render from them alone,
 * since tshark's second pass does not hand postdissectors their wanted
 * fields again.  Beside them, the file's store (tcpstate_store.c: the
 * four-tuples' records, found by tcp.stream number or by four-tuple, and
 * the core's connections) and the capture's latest time.  All of it is
 * file scope: forget_file() drops it between files.
 */

#include <string.h>

#include <epan/packet.h>
#include <epan/address.h>

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

void
forget_file(void)
{
    /* The store's memory and the chunks are file-scoped: they go with the
     * file scope; only the static handles must be dropped. */
    ts_store_init(&file_store, file_alloc, file_release, NULL);
    ts_store_set_chunk_alloc(&file_store, file_alloc_unzeroed);
    capture_end_ns = 0;
    capture_end_set = FALSE;
    chunks = NULL;
    chunk_cap = 0;
    slot_count = 0;
    slot_cursor = 0;
}

/* ---- Per-frame slots --------------------------------------------------------- */

/* A new slot at the end (first pass only, so frames come in order). */
tcpstate_slot *
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
