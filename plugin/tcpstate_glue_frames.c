/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate glue: per-frame storage.  The first pass keeps one 48-byte slot
 * per TCP layer (the core's record and seq/ack/len) in frame order; later
 * passes find a frame's slots by binary search and render from them alone,
 * since tshark's second pass does not hand postdissectors their wanted
 * fields again.  Beside them, the maps from tcp.stream and from the
 * four-tuple to the core's stream, and the capture's latest time.  All of
 * it is file scope: forget_file() drops it between files.
 */

#include <string.h>

#include <epan/packet.h>
#include <epan/address.h>

#include "tcpstate_glue_private.h"

/* ---- File-scoped state ----------------------------------------------------- */

/* tcp.stream -> tcpstate_stream, wmem_file_scope() data, reset per file. */
wmem_map_t *streams;
/* Four-tuple (tuple_key) -> latest tcpstate_stream using it: when
 * Wireshark opens a new tcp.stream for a reused port, the core learns about
 * the connection that used the four-tuple before (TIME-WAIT reuse). */
wmem_map_t *tuples;
/* Latest frame timestamp of the first pass. */
int64_t capture_end_ns;
gboolean capture_end_set;

tcpstate_chunk **chunks;
static uint32_t chunk_cap;      /* entries of chunks[] */
uint32_t slot_count;
uint32_t slot_cursor;    /* where the next frame's slots probably are */

int64_t tcpstate_capture_end_ns(void) { return capture_end_set ? capture_end_ns : 0; }

static void *
ts_file_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return wmem_alloc0(wmem_file_scope(), size);
}

void
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

/* ---- The four-tuple map ---------------------------------------------------- */

static void
key_side(tuple_key *k, unsigned i, const address *a, uint16_t port)
{
    size_t n = a->len > 16 ? 16 : (size_t)a->len;
    k->port[i] = port;
    if (n)
        memcpy(k->addr[i], a->data, n);
}

void
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

guint
tuple_hash(gconstpointer p)
{
    const uint8_t *b = (const uint8_t *)p;
    guint h = 2166136261u;          /* FNV-1a */
    size_t i;
    for (i = 0; i < sizeof(tuple_key); i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

gboolean
tuple_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(tuple_key)) == 0;
}

/* The state kept for a four-tuple.  Wireshark may start a new tcp.stream
 * on the same four-tuple (a SYN after FIN or RST, and in 4.0 even a SYN on
 * a live connection, as in an RFC 5961 challenge); the core decides where
 * one connection ends and the next begins, so every tcp.stream of a
 * four-tuple shares one tcpstate_stream. */
tcpstate_stream *
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
