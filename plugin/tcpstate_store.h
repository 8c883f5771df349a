/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate store: where the glue keeps its connections, in plain C (no
 * Wireshark, no GLib) so that a unit test can count every byte a
 * connection costs (tests/test_sizes.c; budget: issue 11 "Memory", 512
 * bytes per connection, issue 14's SYN-flood RSS).
 *
 * One store per capture file.  It takes memory only through the caller's
 * allocator (zeroed memory that lives until the file is dropped) and gives
 * back only the tuple table's old arrays (release, may be NULL).
 *
 *  - an arena: the core's records (ts_conn, its extras) and the stream
 *    records, packed one after another in large chunks -- no per-block
 *    header, nothing is freed before the file is;
 *  - stream records: the core's ts_stream and the four-tuple it serves,
 *    the addresses inline (48 bytes for IPv4, 72 for IPv6); a first
 *    connection that is one SYN is held in the ts_stream's empty current
 *    slot, not in a field of its own (ts_store_pending);
 *  - the tcp.stream index: tcp.stream numbers are dense from 0 in a file,
 *    so an array of pointers in fixed chunks (8 bytes a stream);
 *  - the tuple table: open addressing over the stream records themselves
 *    (their four-tuple is the key), at most 3/4 full.
 */
#ifndef TCPSTATE_STORE_H
#define TCPSTATE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tcpstate_core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_STORE_ADDR_MAX   16u       /* bytes of an address kept (IPv6) */
#define TS_STORE_ARENA      (256u * 1024u) /* bytes per arena chunk */
#define TS_STORE_INDEX      4096u     /* tcp.stream entries per index chunk */

/* A four-tuple in canonical order (lower port first; for equal ports the
 * lower address), so that both directions give the same key. */
typedef struct {
    uint8_t  type;                    /* the glue's address type */
    uint8_t  alen;                    /* bytes of each address (<= 16) */
    uint16_t port[2];
    uint8_t  addr[2][TS_STORE_ADDR_MAX];
} ts_tuple;

/* A connection that is so far one SYN (a SYN flood's every connection):
 * the segment itself, 80 bytes instead of a 424-byte ts_conn.  The core's
 * processing is a function of the segment alone (the four-tuple had no
 * connection before), so the ts_conn is made again from it whenever it is
 * read (ts_store_conn), and for good (`full`) when a second segment or an
 * ICMP error arrives on the four-tuple or a tap keeps the record. */
struct ts_store_stream_s;
typedef struct ts_store_syn {
    union {
        ts_segment seg;               /* until promoted: the SYN */
        struct ts_store_syn *next_spare; /* retired (see ts_store_set_promoted) */
    };
    union {
        struct ts_store_stream_s *stream; /* before promotion: its four-tuple */
        ts_conn *full;                /* after: the real connection */
    } link;
    uint32_t   tag;                   /* the glue's user_tag for the connection */
    uint8_t    promoted;
} ts_store_syn;

/* The glue's record of a four-tuple: the core's stream of connections and
 * the four-tuple, addresses inline (2 * alen bytes, side 0 first). */
typedef struct ts_store_stream_s {
    /* the core's stream; while its first connection is one SYN, core.first
     * is NULL and core.current that small connection's tagged pointer
     * (ts_store_pending): the core reads current only when fed, and the
     * store promotes the small connection before feeding anything */
    ts_stream core;
    uint8_t  type, alen;
    uint16_t port[2];
    uint8_t  a_side;                  /* side of endpoint A, the first segment's source */
    uint8_t  addr[];
} ts_store_stream;

typedef void (*ts_release_fn)(void *ctx, void *p);
/* A small connection was made real: tag's connection is now full. */
typedef void (*ts_promoted_fn)(void *ctx, uint32_t tag, const ts_conn *full);

typedef struct {
    ts_alloc_fn   alloc;              /* zeroed memory */
    ts_alloc_fn   chunk_alloc;        /* arena chunks, not zeroed, or NULL */
    ts_release_fn release;            /* gives back an outgrown tuple array, or NULL */
    void         *ctx;
    uint8_t      *arena;              /* current chunk */
    size_t        arena_left;
    ts_store_stream ***index;         /* chunks of TS_STORE_INDEX pointers */
    uint32_t      index_chunks;       /* entries of index[] */
    ts_store_stream **table;          /* tuple table, table_mask + 1 entries */
    uint32_t      table_mask, table_count;
    size_t        bytes;              /* taken from alloc, minus what was released */
    ts_promoted_fn promoted;          /* ts_store_set_promoted, or NULL */
    ts_store_syn *spare;              /* retired small connections, for the next SYNs */
    /* A connection made again from its SYN lives here until the next one is
     * (scratch_of); the arena takes over if it ever needed more. */
    int           in_scratch;         /* allocations go to scratch */
    unsigned      scratch_blocks;     /* allocations since scratch was reset */
    size_t        scratch_used;
    const ts_store_syn *scratch_of;   /* whose connection scratch_conn is, or NULL */
    const ts_conn *scratch_conn;
    uint64_t      scratch[2048 / 8];
} ts_store;

void ts_store_init(ts_store *st, ts_alloc_fn alloc, ts_release_fn release, void *ctx);

/* Optional (after ts_store_init): the arena's chunks come from chunk_alloc
 * (same ctx, memory that need not be zeroed) and each piece is zeroed as it
 * is handed out, so a chunk is written once, as it is used, instead of all
 * of it at once when taken. */
void ts_store_set_chunk_alloc(ts_store *st, ts_alloc_fn chunk_alloc);

/* Optional (after ts_store_init): fn hears of every promotion (same ctx),
 * so that the caller's own table of connections by tag moves to the real
 * one.  Then nothing but a record of the SYN's own frame can still hold
 * the small connection's pointer: one promoted by a segment or ICMP error
 * of a later frame is retired, and the next small connection reuses its
 * memory (a capture of many short connections would otherwise keep 80
 * bytes each of SYNs long promoted).  Records of the frames before must
 * then be read by tag, not by the small pointer they were given. */
void ts_store_set_promoted(ts_store *st, ts_promoted_fn fn);

/* Zeroed memory from the arena (8-byte aligned), NULL when the allocator
 * fails.  ts_store_core_alloc is the same as a ts_alloc_fn (ctx: the store). */
void *ts_store_alloc(ts_store *st, size_t size);
void *ts_store_core_alloc(void *ctx, size_t size);

/* The key of the four-tuple (src, sport) -> (dst, dport); *src_side: the
 * side the source took.  Addresses longer than 16 bytes keep their first 16. */
void ts_tuple_make(ts_tuple *k, uint8_t type, const uint8_t *src, unsigned src_len,
                   uint16_t sport, const uint8_t *dst, unsigned dst_len, uint16_t dport,
                   unsigned *src_side);

/* The stream record of a four-tuple, or NULL. */
ts_store_stream *ts_store_find(const ts_store *st, const ts_tuple *k);
/* The four-tuple's record, made (endpoint A on side a_side, its ts_stream
 * allocating from this store) when there is none; NULL when out of memory. */
ts_store_stream *ts_store_add(ts_store *st, const ts_tuple *k, unsigned a_side);

/* Bytes of a stream record for addresses of alen bytes. */
size_t ts_store_stream_size(unsigned alen);

/* Address and port of endpoint A (a = 1) or B (a = 0). */
static inline const uint8_t *ts_store_addr(const ts_store_stream *s, int a)
{
    return s->addr + (a ? s->a_side : !s->a_side) * s->alen;
}
static inline uint16_t ts_store_port(const ts_store_stream *s, int a)
{
    return s->port[a ? s->a_side : !s->a_side];
}

/* ---- Connections through the store ----------------------------------------
 * The glue feeds segments through these instead of ts_stream_process /
 * ts_stream_icmp.  A record's conn may then be a small one's tagged
 * pointer: read it only through ts_store_conn.  A connection that is one
 * pure SYN on a four-tuple with no connection yet is kept small
 * (ts_store_syn) when keep_small is set (a glue whose taps keep records
 * passes 0: their records need the real connection at once).  A new
 * connection gets user = s and user_tag = tag. */
void ts_store_process(ts_store *st, ts_store_stream *s, const ts_segment *seg, uint32_t tag,
                      int keep_small, ts_record *out);
int ts_store_icmp(ts_store *st, ts_store_stream *s, const ts_icmp *icmp, ts_record *out);

/* Whether a record's conn is a small one's (tagged) pointer. */
static inline int ts_store_is_small(const ts_conn *c)
{
    return ((uintptr_t)c & 1u) != 0;
}

/* The tag a record's conn was given (ts_store_process): its user_tag, or
 * for a small one, the tag kept with its SYN. */
static inline uint32_t ts_store_tag(const ts_conn *c)
{
    if (ts_store_is_small(c))
        return ((const ts_store_syn *)((uintptr_t)c & ~(uintptr_t)1u))->tag;
    return c->user_tag;
}

/* The four-tuple's first connection while it is one SYN, or NULL. */
static inline ts_store_syn *ts_store_pending(const ts_store_stream *s)
{
    if (s->core.first || !ts_store_is_small(s->core.current))
        return NULL;
    return (ts_store_syn *)((uintptr_t)s->core.current & ~(uintptr_t)1u);
}

/* The connection behind a record's conn: itself, the promoted one, or --
 * for a connection still one SYN -- one made again from its SYN in the
 * store's scratch space (valid until the next call; keep: promote it for
 * good instead, for records kept past the packet). */
const ts_conn *ts_store_conn(ts_store *st, const ts_conn *c, int keep);

/* tcp.stream number -> stream record (NULL when not set). */
ts_store_stream *ts_store_numbered(const ts_store *st, uint32_t number);
/* Returns 0 when out of memory. */
int ts_store_number(ts_store *st, uint32_t number, ts_store_stream *s);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_STORE_H */
