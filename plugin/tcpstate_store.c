/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate store: the glue's connections in plain C (see tcpstate_store.h).
 * Why each part looks as it does, in bytes per SYN-flood connection (each
 * SYN a new four-tuple and a new tcp.stream), against the GLib/wmem maps
 * it replaces (tests/README.md "Memory" has the measured figures):
 *  - the arena packs records with no allocator header (wmem's block
 *    allocator adds 8 bytes to each block);
 *  - a stream record holds its four-tuple once, addresses inline: 48 bytes
 *    for IPv4 (the core's stream, 32, most of it) instead of a 88-byte record, two address copies and a
 *    separate 38-byte key (~170 bytes with headers);
 *  - the tcp.stream index is 8 bytes a stream instead of a map entry and
 *    its bucket (~45 bytes);
 *  - the tuple table keeps one pointer per slot and finds the key in the
 *    record itself: 10.7 to 21.3 bytes a connection at a 3/8..3/4 load,
 *    instead of a map entry, a bucket and a key copy.
 */
#include "tcpstate_store.h"

#include <string.h>

void ts_store_init(ts_store *st, ts_alloc_fn alloc, ts_release_fn release, void *ctx)
{
    memset(st, 0, sizeof *st);
    st->alloc = alloc;
    st->release = release;
    st->ctx = ctx;
}

void ts_store_set_chunk_alloc(ts_store *st, ts_alloc_fn chunk_alloc)
{
    st->chunk_alloc = chunk_alloc;
}

void ts_store_set_promoted(ts_store *st, ts_promoted_fn fn)
{
    st->promoted = fn;
}

/* Memory straight from the caller's allocator, counted. */
static void *take(ts_store *st, size_t size)
{
    void *p = st->alloc(st->ctx, size);
    if (p)
        st->bytes += size;
    return p;
}

static void give_back(ts_store *st, void *p, size_t size)
{
    if (!p || !st->release)
        return;
    st->release(st->ctx, p);
    st->bytes -= size;
}

/* ---- The arena --------------------------------------------------------------- */

void *ts_store_alloc(ts_store *st, size_t size)
{
    void *p;
    size = (size + 7u) & ~(size_t)7u;     /* every record holds 64-bit fields */
    if (st->in_scratch) {
        st->scratch_blocks++;
        if (size <= sizeof st->scratch - st->scratch_used) {
            p = (uint8_t *)st->scratch + st->scratch_used;
            st->scratch_used += size;
            memset(p, 0, size);
            return p;
        }                                 /* more than a connection of one SYN needs */
    }
    if (size > TS_STORE_ARENA / 4)
        return take(st, size);           /* rare and large: its own block */
    if (size > st->arena_left) {
        uint8_t *chunk = st->chunk_alloc ? st->chunk_alloc(st->ctx, TS_STORE_ARENA)
                                         : take(st, TS_STORE_ARENA);
        if (!chunk)
            return NULL;
        if (st->chunk_alloc)
            st->bytes += TS_STORE_ARENA;
        st->arena = chunk;                /* the old chunk's tail (< size) stays unused */
        st->arena_left = TS_STORE_ARENA;
    }
    p = st->arena;
    st->arena += size;
    st->arena_left -= size;
    if (st->chunk_alloc)
        memset(p, 0, size);               /* the chunk came unzeroed */
    return p;
}

void *ts_store_core_alloc(void *ctx, size_t size)
{
    return ts_store_alloc((ts_store *)ctx, size);
}

/* ---- Four-tuples --------------------------------------------------------------- */

static int cmp_side(uint8_t type, const uint8_t *a, unsigned alen, const uint8_t *b, unsigned blen)
{
    (void)type;
    if (alen != blen)
        return alen < blen ? -1 : 1;
    return alen ? memcmp(a, b, alen) : 0;
}

static void put_side(ts_tuple *k, unsigned side, const uint8_t *a, unsigned len, uint16_t port)
{
    k->port[side] = port;
    if (len)
        memcpy(k->addr[side], a, len > TS_STORE_ADDR_MAX ? TS_STORE_ADDR_MAX : len);
}

void ts_tuple_make(ts_tuple *k, uint8_t type, const uint8_t *src, unsigned src_len,
                   uint16_t sport, const uint8_t *dst, unsigned dst_len, uint16_t dport,
                   unsigned *src_side)
{
    unsigned s = sport != dport ? sport > dport
                                : cmp_side(type, src, src_len, dst, dst_len) > 0;
    memset(k, 0, sizeof *k);
    k->type = type;
    k->alen = (uint8_t)(src_len > TS_STORE_ADDR_MAX ? TS_STORE_ADDR_MAX : src_len);
    put_side(k, s, src, src_len, sport);
    put_side(k, !s, dst, dst_len, dport);
    if (src_side)
        *src_side = s;
}

size_t ts_store_stream_size(unsigned alen)
{
    size_t n = offsetof(ts_store_stream, addr) + 2u * alen;
    return (n + 7u) & ~(size_t)7u;
}

/* FNV-1a over what tells two four-tuples apart. */
static uint32_t hash_bytes(uint32_t h, const uint8_t *b, size_t n)
{
    while (n--)
        h = (h ^ *b++) * 16777619u;
    return h;
}

static uint32_t hash_of(uint8_t type, uint8_t alen, const uint16_t port[2],
                        const uint8_t *a0, const uint8_t *a1)
{
    uint8_t head[6];
    uint32_t h;
    head[0] = type;
    head[1] = alen;
    memcpy(head + 2, port, 4);
    h = hash_bytes(2166136261u, head, sizeof head);
    h = hash_bytes(h, a0, alen);
    return hash_bytes(h, a1, alen);
}

static uint32_t hash_key(const ts_tuple *k)
{
    return hash_of(k->type, k->alen, k->port, k->addr[0], k->addr[1]);
}

static uint32_t hash_stream(const ts_store_stream *s)
{
    return hash_of(s->type, s->alen, s->port, s->addr, s->addr + s->alen);
}

static int same_tuple(const ts_store_stream *s, const ts_tuple *k)
{
    return s->type == k->type && s->alen == k->alen &&
           s->port[0] == k->port[0] && s->port[1] == k->port[1] &&
           memcmp(s->addr, k->addr[0], k->alen) == 0 &&
           memcmp(s->addr + k->alen, k->addr[1], k->alen) == 0;
}

/* ---- The tuple table ----------------------------------------------------------- */

ts_store_stream *ts_store_find(const ts_store *st, const ts_tuple *k)
{
    uint32_t i;
    if (!st->table)
        return NULL;
    for (i = hash_key(k) & st->table_mask; st->table[i]; i = (i + 1) & st->table_mask)
        if (same_tuple(st->table[i], k))
            return st->table[i];
    return NULL;
}

static void put_in_table(ts_store_stream **table, uint32_t mask, ts_store_stream *s)
{
    uint32_t i = hash_stream(s) & mask;
    while (table[i])
        i = (i + 1) & mask;
    table[i] = s;
}

/* Room for one more record: the table doubles when it would pass 3/4. */
static int table_room(ts_store *st)
{
    uint32_t cap = st->table ? st->table_mask + 1 : 0, ncap, i;
    ts_store_stream **t;
    if (st->table && (uint64_t)(st->table_count + 1) * 4 <= (uint64_t)cap * 3)
        return 1;
    ncap = cap ? cap * 2 : 64;
    if (ncap < cap)
        return 0;
    t = take(st, (size_t)ncap * sizeof *t);
    if (!t)
        return 0;
    for (i = 0; i < cap; i++)
        if (st->table[i])
            put_in_table(t, ncap - 1, st->table[i]);
    give_back(st, st->table, (size_t)cap * sizeof *t);
    st->table = t;
    st->table_mask = ncap - 1;
    return 1;
}

ts_store_stream *ts_store_add(ts_store *st, const ts_tuple *k, unsigned a_side)
{
    ts_store_stream *s = ts_store_find(st, k);
    if (s)
        return s;
    if (!table_room(st))
        return NULL;
    s = ts_store_alloc(st, ts_store_stream_size(k->alen));
    if (!s)
        return NULL;
    ts_stream_init(&s->core, ts_store_core_alloc, st);
    s->type = k->type;
    s->alen = k->alen;
    s->port[0] = k->port[0];
    s->port[1] = k->port[1];
    s->a_side = (uint8_t)(a_side ? 1 : 0);
    memcpy(s->addr, k->addr[0], k->alen);
    memcpy(s->addr + k->alen, k->addr[1], k->alen);
    put_in_table(st->table, st->table_mask, s);
    st->table_count++;
    return s;
}

/* ---- The tcp.stream index ------------------------------------------------------ */

ts_store_stream *ts_store_numbered(const ts_store *st, uint32_t number)
{
    uint32_t c = number / TS_STORE_INDEX;
    if (c >= st->index_chunks || !st->index[c])
        return NULL;
    return st->index[c][number % TS_STORE_INDEX];
}

int ts_store_number(ts_store *st, uint32_t number, ts_store_stream *s)
{
    uint32_t c = number / TS_STORE_INDEX;
    if (c >= st->index_chunks) {
        uint32_t n = st->index_chunks ? st->index_chunks : 16;
        ts_store_stream ***grown;
        while (n <= c)
            n *= 2;
        grown = take(st, (size_t)n * sizeof *grown);
        if (!grown)
            return 0;
        if (st->index_chunks)
            memcpy(grown, st->index, st->index_chunks * sizeof *grown);
        give_back(st, st->index, st->index_chunks * sizeof *grown);
        st->index = grown;
        st->index_chunks = n;
    }
    if (!st->index[c]) {
        st->index[c] = take(st, TS_STORE_INDEX * sizeof **st->index);
        if (!st->index[c])
            return 0;
    }
    st->index[c][number % TS_STORE_INDEX] = s;
    return 1;
}

/* ---- Connections that are one SYN ---------------------------------------------- */

#define SMALL_TAG ((uintptr_t)1)

static ts_store_syn *small_of(const ts_conn *c)
{
    return (ts_store_syn *)((uintptr_t)c & ~SMALL_TAG);
}

static void own(ts_conn *c, ts_store_stream *s, uint32_t tag)
{
    if (c && !c->user) {
        c->user = s;
        c->user_tag = tag;
    }
}

/* The SYN fed again to a stream of its own whose memory is the scratch
 * space: the connection as the core made it.  Returns the number of
 * allocations it took (1: the ts_conn alone). */
static unsigned replay_in_scratch(ts_store *st, const ts_segment *seg, ts_stream *tmp,
                                  ts_record *out)
{
    st->in_scratch = 1;
    st->scratch_blocks = 0;
    st->scratch_used = 0;
    st->scratch_of = NULL;
    ts_stream_init(tmp, ts_store_core_alloc, st);   /* the same pair: Zeek's generation stays */
    ts_stream_process(tmp, seg, out);
    st->in_scratch = 0;
    st->scratch_conn = out->conn;
    return st->scratch_blocks;
}

/* A promoted small connection nobody reads any more goes to the spares;
 * link.full stays until it is reused. */
static void retire(ts_store *st, ts_store_syn *small)
{
    if (st->scratch_of == small)
        st->scratch_of = NULL;
    small->next_spare = st->spare;
    st->spare = small;
}

/* The small connection made real in its four-tuple's stream, for good.
 * by_frame: the frame of the segment or ICMP error that promotes it (0: a
 * record kept, never a reason to retire it). */
static ts_conn *promote(ts_store *st, ts_store_syn *small, uint32_t by_frame)
{
    ts_store_stream *s;
    ts_record ignored;
    if (small->promoted)
        return small->link.full;
    s = small->link.stream;
    s->core.current = NULL;               /* the core's stream is empty again */
    ts_stream_process(&s->core, &small->seg, &ignored);
    own(ignored.conn, s, small->tag);
    small->link.full = ignored.conn;
    small->promoted = 1;
    if (st->promoted) {
        st->promoted(st->ctx, small->tag, ignored.conn);
        if (by_frame > small->seg.frame)
            retire(st, small);            /* no record of this frame holds it */
    }
    return ignored.conn;
}

/* Memory for a new small connection: a spare one, or the arena's. */
static ts_store_syn *small_alloc(ts_store *st)
{
    ts_store_syn *small = st->spare;
    if (!small)
        return ts_store_alloc(st, sizeof *small);
    st->spare = small->next_spare;
    memset(small, 0, sizeof *small);
    return small;
}

static int pure_syn(const ts_segment *seg)
{
    return (seg->flags & (TS_SYN | TS_ACK | TS_RST | TS_FIN)) == TS_SYN;
}

void ts_store_process(ts_store *st, ts_store_stream *s, const ts_segment *seg, uint32_t tag,
                      int keep_small, ts_record *out)
{
    ts_store_syn *pending = ts_store_pending(s);
    if (pending)
        promote(st, pending, seg->frame); /* a second segment on the four-tuple */
    if (keep_small && !s->core.first && pure_syn(seg)) {
        ts_stream tmp;
        ts_store_syn *small;
        if (replay_in_scratch(st, seg, &tmp, out) == 1 &&
            (small = small_alloc(st)) != NULL) {
            small->seg = *seg;
            small->link.stream = s;
            small->tag = tag;
            own(out->conn, s, tag);       /* the scratch copy serves this packet */
            st->scratch_of = small;
            out->conn = (ts_conn *)((uintptr_t)small | SMALL_TAG);
            s->core.current = out->conn;  /* ts_store_pending */
            return;
        }
    }
    ts_stream_process(&s->core, seg, out);
    own(out->conn, s, tag);
}

int ts_store_icmp(ts_store *st, ts_store_stream *s, const ts_icmp *icmp, ts_record *out)
{
    ts_store_syn *pending = ts_store_pending(s);
    if (pending)
        promote(st, pending, icmp->frame);
    return ts_stream_icmp(&s->core, icmp, out);
}

const ts_conn *ts_store_conn(ts_store *st, const ts_conn *c, int keep)
{
    ts_store_syn *small;
    ts_stream tmp;
    ts_record ignored;
    if (!ts_store_is_small(c))
        return c;
    small = small_of(c);
    if (small->promoted || keep)
        return promote(st, small, 0);
    if (st->scratch_of != small) {
        replay_in_scratch(st, &small->seg, &tmp, &ignored);
        own(ignored.conn, small->link.stream, small->tag);
        st->scratch_of = small;
    }
    return st->scratch_conn;
}
