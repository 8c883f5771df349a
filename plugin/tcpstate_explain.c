/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate explanations: one or two plain sentences per segment, in English
 * or Simplified Chinese, saying what the segment does, which transition it
 * causes on each side (RFC 9293 state names) and the sequence arithmetic
 * behind it, with raw and relative numbers.
 *
 * How it is built.  Every text is a template with named fields in braces,
 * "{s} sends ... ack {ACK} = {r} ISN {risn} + 1", one per language, kept in
 * the message catalog (tcpstate_text.def).  The stage table below picks the
 * templates for a stage; expand() fills the fields from the record, the
 * connection and the segment.  So the facts and numbers are computed once,
 * in one place, for both languages.
 *
 * Fields:
 *   {s} {r}       sender / receiver role ("client", "server")
 *   {c} {p}       initiator (active close) / recipient (passive close)
 *   {rb}          role that reset the connection
 *   {AS} {AR}     sender / receiver in the analogy (Alice/Bob, 张三/李四)
 *   {SEQ} {ACK}   raw number with the relative one: "1006 (relative 6)"
 *   {QSEQ}        an ICMP record's seq: the quoted segment's, the receiver's number
 *   {NXT}         seq + len (+1 for SYN or FIN): what the receiver will ack
 *   {FIN} {FIN1}  sender's FIN sequence number (seq + len), and FIN + 1
 *   {pfin}        receiver's FIN sequence number (raw), the one acked
 *   {risn} {risn1} receiver's ISN (raw), and ISN + 1
 *   {ackdata}     bytes of the SYN's data a SYN-ACK acknowledges (Fast Open)
 *   {BYTES} {RANGE} payload size and its sequence range
 *   {port}        sender's port;  {flags} the flag combination
 *   {label}       the stage label;  {rstate} receiver's state before
 *   {x} {from} {to} {until}  one side of the transitions sentence
 * A template's first letter is capitalised when it starts a sentence.
 */
#include "tcpstate_explain.h"

#include <string.h>

#define NONE 0xff

/* ---- Output buffer: never overflows, ends on a UTF-8 boundary ----------- */

typedef struct {
    char  *buf;
    size_t cap, len;   /* cap includes the NUL */
    int    full;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    size_t room;
    if (b->full || b->cap == 0)
        return;
    room = b->cap - 1 - b->len;
    if (n > room) {
        n = room;
        b->full = 1;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_num(sbuf *b, uint32_t v)
{
    char tmp[12], *p = tmp + sizeof tmp;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_put(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* After truncation: drop a multi-byte character that was cut in half. */
static void sb_trim_utf8(sbuf *b)
{
    size_t i = b->len, cont = 0, need;
    unsigned char lead;
    while (i > 0 && cont < 3 && ((unsigned char)b->buf[i - 1] & 0xC0) == 0x80) {
        i--;
        cont++;
    }
    if (i == 0)
        return;
    lead = (unsigned char)b->buf[i - 1];
    need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (cont + 1 < need)
        b->len = i - 1;
    b->buf[b->len] = '\0';
}

/* ---- Typesetting that differs between languages ----------------------------
 * The words themselves (roles, the analogy's people, "relative", "bytes")
 * are messages of the catalog (tcpstate_text.def); what stays here is
 * punctuation: how sentences and clauses are joined. */

typedef struct {
    const char *sentence_sep; /* between two sentences */
    const char *clause_sep, *clause_end;
} words;

static const words lang_words[TS_LANG_COUNT] = {
    [TS_LANG_EN] = { " ", "; ", "." },
    [TS_LANG_ZH] = { "", "；", "。" },
};

static const ts_text_id side_word[2]   = { TX_CLIENT_WORD, TX_SERVER_WORD };
static const ts_text_id person_word[2] = { TX_EX_ALICE, TX_EX_BOB };

/* ---- Context ------------------------------------------------------------- */

typedef struct {
    const ts_record  *r;
    const ts_segment *seg;
    const ts_conn    *c;
    const words      *w;
    int      lang, snd, rcv;
    unsigned stage;
    sbuf     out;
    /* one side of the transitions sentence */
    int      side;
    unsigned from, to;
    const char *until;
} ex;

static const char *word(const ex *x, ts_text_id id)
{
    return ts_text(id, (ts_lang)x->lang);
}

static const ts_endpoint *sender(const ex *x)   { return &x->c->ep[x->snd]; }
static const ts_endpoint *receiver(const ex *x) { return &x->c->ep[x->rcv]; }

static unsigned before_of(const ex *x, int role)
{
    return role == TS_CLIENT ? ts_rec_client_before(x->r) : ts_rec_server_before(x->r);
}

static unsigned after_of(const ex *x, int role)
{
    return role == TS_CLIENT ? ts_rec_client_after(x->r) : ts_rec_server_after(x->r);
}

static int closer_role(const ex *x)
{
    return x->c->closer == NONE ? x->snd : x->c->closer;
}

static uint32_t payload_end(const ex *x)  /* the sender's FIN sits here */
{
    return x->seg->seq + x->seg->len;
}

static uint32_t next_seq(const ex *x)     /* what the receiver will ack */
{
    uint8_t f = x->seg->flags;
    return payload_end(x) + ((f & TS_SYN) ? 1u : 0u) + ((f & TS_FIN) ? 1u : 0u);
}

/* ---- Field writers -------------------------------------------------------- */

/* "1006 (relative 6)", or the raw number alone when no ISN is known or
 * the number precedes the owner's ISN: then it is no byte of this
 * connection but the old one's on the same ports (a TIME-WAIT's challenge
 * ACK to a new SYN, the RST answering it), and a "relative" figure would
 * be a wrapped-around negative. */
static void put_num(ex *x, uint32_t raw, const ts_endpoint *owner)
{
    sb_num(&x->out, raw);
    if (!owner->isn_known || (int32_t)(raw - owner->isn) < 0)
        return;
    sb_str(&x->out, word(x, TX_EX_REL_OPEN));
    sb_num(&x->out, raw - owner->isn);
    sb_str(&x->out, word(x, TX_EX_REL_CLOSE));
}

static void f_s(ex *x)     { sb_str(&x->out, word(x, side_word[x->snd])); }
static void f_r(ex *x)     { sb_str(&x->out, word(x, side_word[x->rcv])); }
static void f_c(ex *x)     { sb_str(&x->out, word(x, side_word[closer_role(x)])); }
static void f_p(ex *x)     { sb_str(&x->out, word(x, side_word[!closer_role(x)])); }
static void f_x(ex *x)     { sb_str(&x->out, word(x, side_word[x->side])); }
static void f_as(ex *x)    { sb_str(&x->out, word(x, person_word[x->snd])); }
static void f_ar(ex *x)    { sb_str(&x->out, word(x, person_word[x->rcv])); }
static void f_seq(ex *x)   { put_num(x, x->seg->seq, sender(x)); }
static void f_ack(ex *x)   { put_num(x, x->seg->ack, receiver(x)); }
static void f_qseq(ex *x)  { put_num(x, x->seg->seq, receiver(x)); }  /* quoted by an ICMP */
static void f_nxt(ex *x)   { put_num(x, next_seq(x), sender(x)); }
static void f_seq1(ex *x)  { put_num(x, x->seg->seq + 1, sender(x)); }
static void f_fin(ex *x)   { put_num(x, payload_end(x), sender(x)); }
static void f_fin1(ex *x)  { put_num(x, payload_end(x) + 1, sender(x)); }
static void f_risn(ex *x)  { sb_num(&x->out, receiver(x)->isn); }
static void f_risn1(ex *x) { sb_num(&x->out, receiver(x)->isn + 1); }
static uint32_t synack_data(const ex *x);
static void f_ackdata(ex *x) { sb_num(&x->out, synack_data(x)); }
static void f_port(ex *x)  { sb_num(&x->out, x->seg->sport); }
static void f_from(ex *x)  { sb_str(&x->out, ts_state_name(x->from)); }
static void f_to(ex *x)    { sb_str(&x->out, ts_state_name(x->to)); }
static void f_until(ex *x) { sb_str(&x->out, x->until ? x->until : ""); }

static void f_rb(ex *x)
{
    int rb = x->c->reset_by == NONE ? x->snd : x->c->reset_by;
    sb_str(&x->out, word(x, side_word[rb]));
}

static void f_pfin(ex *x)  /* the FIN this segment acknowledges */
{
    const ts_endpoint *p = receiver(x);
    uint32_t fin = p->fin_seen ? p->fin_seq : x->seg->ack - 1;
    sb_num(&x->out, fin);
}

static void f_synbytes(ex *x)   /* the data of the client's SYN */
{
    sb_num(&x->out, x->c->syn_data);
    sb_str(&x->out, word(x, x->c->syn_data == 1 ? TX_EX_BYTE : TX_EX_BYTES));
}

static void f_bytes(ex *x)
{
    sb_num(&x->out, x->seg->len);
    sb_str(&x->out, word(x, x->seg->len == 1 ? TX_EX_BYTE : TX_EX_BYTES));
}

static void f_range(ex *x)
{
    const ts_endpoint *e = sender(x);
    uint32_t first = x->seg->seq, last = x->seg->seq + x->seg->len - 1;
    sb_num(&x->out, first);
    sb_str(&x->out, "-");
    sb_num(&x->out, last);
    if (!e->isn_known)
        return;
    sb_str(&x->out, word(x, TX_EX_REL_OPEN));
    sb_num(&x->out, first - e->isn);
    sb_str(&x->out, "-");
    sb_num(&x->out, last - e->isn);
    sb_str(&x->out, word(x, TX_EX_REL_CLOSE));
}

static void f_flags(ex *x)
{
    static const struct { uint8_t bit; const char *name; } order[8] = {
        { TS_SYN, "SYN" }, { TS_FIN, "FIN" }, { TS_RST, "RST" }, { TS_PSH, "PSH" },
        { TS_ACK, "ACK" }, { TS_URG, "URG" }, { TS_ECE, "ECE" }, { TS_CWR, "CWR" },
    };
    int first = 1;
    for (unsigned i = 0; i < 8; i++) {
        if (!(x->seg->flags & order[i].bit))
            continue;
        if (!first)
            sb_str(&x->out, "+");
        sb_str(&x->out, order[i].name);
        first = 0;
    }
    if (first)
        sb_str(&x->out, word(x, TX_EX_NO_FLAGS));
}

static void f_label(ex *x)
{
    sb_str(&x->out, ts_stage_label_in(x->stage, (ts_lang)x->lang));
}

static void f_rstate(ex *x) { sb_str(&x->out, ts_state_name(before_of(x, x->rcv))); }

typedef struct {
    const char *name;
    size_t len;             /* strlen(name) */
    void (*put)(ex *x);
} field;

#define FIELD(name, put) { name, sizeof name - 1, put }

static const field fields[] = {
    FIELD("s", f_s), FIELD("r", f_r), FIELD("c", f_c), FIELD("p", f_p), FIELD("rb", f_rb),
    FIELD("AS", f_as), FIELD("AR", f_ar), FIELD("SEQ", f_seq), FIELD("ACK", f_ack),
    FIELD("QSEQ", f_qseq), FIELD("NXT", f_nxt), FIELD("SEQ1", f_seq1), FIELD("FIN", f_fin), FIELD("FIN1", f_fin1),
    FIELD("pfin", f_pfin), FIELD("risn", f_risn), FIELD("risn1", f_risn1), FIELD("ackdata", f_ackdata),
    FIELD("BYTES", f_bytes), FIELD("synbytes", f_synbytes), FIELD("RANGE", f_range), FIELD("port", f_port),
    FIELD("flags", f_flags), FIELD("label", f_label), FIELD("rstate", f_rstate),
    FIELD("x", f_x), FIELD("from", f_from), FIELD("to", f_to), FIELD("until", f_until),
};

#undef FIELD

int ts_explain_knows_field(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].len == len && !memcmp(fields[i].name, name, len))
            return 1;
    return 0;
}

/* Chinese typesetting: no space after a full-width mark such as "）". */
static const char *skip_space(const ex *x, const char *t)
{
    const unsigned char *e = (const unsigned char *)x->out.buf + x->out.len;
    if (*t != ' ' || x->out.len < 3)
        return t;
    if ((e[-3] == 0xEF && (e[-2] == 0xBC || e[-2] == 0xBD)) || (e[-3] == 0xE3 && e[-2] == 0x80))
        return t + 1;
    return t;
}

/* The index in fields[] of the field named by the n bytes at name, or -1
 * (an unknown name writes nothing). */
static int field_index(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].len == n && !memcmp(name, fields[i].name, n))
            return (int)i;
    return -1;
}

/* ---- Templates parsed once -------------------------------------------------
 * A template is parsed the first time it is said, into pieces: literal text
 * (a slice of the catalog's own string) followed by a field.  Saying it
 * again copies the slices and calls the fields, with no scanning for braces
 * and no lookup of names (issue 14: the parsing was most of the engine's
 * cost per packet).  The pieces live in one static pool; a template that
 * would not fit (never with the catalog's ~430 fields) is parsed every time
 * as before. */

typedef struct {
    uint16_t off, len;   /* the literal: len bytes at the template + off */
    int8_t   field;      /* then this field (-1: none) */
} piece;

#define POOL_PIECES 2048
#define NOT_PARSED  0xffffu
#define TOO_BIG     0xfffeu

static piece    pool[POOL_PIECES];
static unsigned pool_used;
static uint16_t first_piece[TX_COUNT][TS_LANG_COUNT];
static uint16_t piece_count[TX_COUNT][TS_LANG_COUNT];
static int      parsed_init;

/* Pieces of template t, as the interpreter below reads it: a literal up to
 * '{', the field up to '}'; a '{' without '}' ends the template there. */
static unsigned parse_pieces(const char *t, piece *out, unsigned max)
{
    const char *p = t;
    unsigned n = 0;
    while (*p) {
        const char *open = strchr(p, '{'), *close;
        if (n == max)
            return max + 1;
        out[n].off = (uint16_t)(p - t);
        if (!open) {
            out[n].len = (uint16_t)strlen(p);
            out[n++].field = -1;
            break;
        }
        out[n].len = (uint16_t)(open - p);
        close = strchr(open, '}');
        if (!close) {
            out[n++].field = -1;
            break;
        }
        out[n++].field = (int8_t)field_index(open + 1, (size_t)(close - open - 1));
        p = close + 1;
    }
    return n;
}

/* The parsed pieces of catalog text id in lang (NULL: parse it each time). */
static const piece *pieces_of(ts_text_id id, int lang, unsigned *count)
{
    if (!parsed_init) {
        memset(first_piece, 0xff, sizeof first_piece);
        parsed_init = 1;
    }
    if (first_piece[id][lang] == NOT_PARSED) {
        const char *t = ts_text(id, (ts_lang)lang);
        unsigned n = parse_pieces(t, pool + pool_used, POOL_PIECES - pool_used);
        if (n > POOL_PIECES - pool_used || strlen(t) > 0xffff) {
            first_piece[id][lang] = TOO_BIG;
        } else {
            first_piece[id][lang] = (uint16_t)pool_used;
            piece_count[id][lang] = (uint16_t)n;
            pool_used += n;
        }
    }
    if (first_piece[id][lang] == TOO_BIG)
        return NULL;
    *count = piece_count[id][lang];
    return pool + first_piece[id][lang];
}

/* The same output from the template's text, parsed as it goes. */
static void expand_text(ex *x, const char *t)
{
    while (*t) {
        const char *open, *close;
        int f;
        t = skip_space(x, t);
        open = strchr(t, '{');
        if (!open) {
            sb_str(&x->out, t);
            return;
        }
        sb_put(&x->out, t, (size_t)(open - t));
        close = strchr(open, '}');
        if (!close)
            return;
        f = field_index(open + 1, (size_t)(close - open - 1));
        if (f >= 0)
            fields[f].put(x);
        t = close + 1;
    }
}

/* Says catalog template id in the context's language. */
static void expand(ex *x, ts_text_id id)
{
    const char *t = ts_text(id, (ts_lang)x->lang);
    unsigned n, i;
    const piece *p = (unsigned)id < TX_COUNT ? pieces_of(id, x->lang, &n) : NULL;

    if (!p) {
        expand_text(x, t);
        return;
    }
    for (i = 0; i < n; i++) {
        const char *lit = t + p[i].off;
        size_t len = p[i].len;
        if (len && skip_space(x, lit) != lit) {
            lit++;
            len--;
        }
        sb_put(&x->out, lit, len);
        if (p[i].field >= 0)
            fields[p[i].field].put(x);
    }
}

/* English sentences start with a capital ("client ..." -> "Client ..."). */
static void capitalise(ex *x, size_t at)
{
    if (at < x->out.len && x->out.buf[at] >= 'a' && x->out.buf[at] <= 'z')
        x->out.buf[at] = (char)(x->out.buf[at] - 'a' + 'A');
}

/* One sentence (or more) in the chosen language. */
static void say(ex *x, ts_text_id t)
{
    size_t at;
    if (x->out.len)
        sb_str(&x->out, x->w->sentence_sep);
    at = x->out.len;
    expand(x, t);
    capitalise(x, at);
}

/* ---- Texts ------------------------------------------------------------------
 * Every sentence is a message of the catalog (tcpstate_text.def), named
 * TX_EX_*: TX_EX_A_* are the analogies ({AS} the sender, {AR} the receiver),
 * TX_EX_U_* what the side that keeps its state waits for. */

/* ---- Stage builders: what the segment does ---------------------------------- */

/* A SYN with data may be answered either way (3.10.7.2: the data may wait
 * until the connection is established), so the text gives both acks. */
static void b_syn(ex *x)
{
    say(x, x->seg->len ? TX_EX_SYN_CARRYING : TX_EX_SYN);
    if (x->seg->len && x->seg->tfo)
        say(x, TX_EX_SYN_TFO);
    else if (x->seg->len)
        say(x, x->c->tfo ? TX_EX_SYN_TFO_NOCOOKIE : TX_EX_SYN_DATA);
}

/* Bytes of the SYN's data a SYN-ACK acknowledges beyond ISN + 1 (Fast Open). */
static uint32_t synack_data(const ex *x)
{
    const ts_endpoint *r = receiver(x);
    uint32_t n = x->seg->ack - r->isn - 1;
    /* a SYN-ACK beyond the SYN's data raised synack_wrong_ack when it came */
    if (!r->syn_seen || !(x->seg->flags & TS_ACK) || n == 0 ||
        (x->r->anomalies & TS_BIT(TS_AN_SYNACK_WRONG_ACK)) ||
        (int32_t)(x->seg->ack - r->snd_nxt) > 0)
        return 0;
    return n;
}

/* The client's SYN carried data this SYN-ACK does not acknowledge (it
 * acks ISN + 1 only): the server left it for the client to resend. */
static int synack_leaves_data(const ex *x)
{
    const ts_endpoint *r = receiver(x);
    return x->rcv == TS_CLIENT && x->c->syn_data && r->syn_seen && (x->seg->flags & TS_ACK) &&
           x->seg->ack == r->isn + 1;
}

static void b_synack(ex *x)
{
    say(x, synack_data(x) ? TX_EX_SYNACK_DATA : TX_EX_SYNACK);
    if (synack_leaves_data(x))
        say(x, TX_EX_SYNACK_DATA_LEFT);
}
static void b_simopen_syn(ex *x)   { say(x, TX_EX_SIMOPEN_SYN); }
static void b_simopen_synack(ex *x){ say(x, TX_EX_SIMOPEN_SYNACK); }
static void b_challenge(ex *x)     { say(x, TX_EX_CHALLENGE); }
static void b_finack(ex *x)        { say(x, TX_EX_FINACK); }
static void b_simclose_fin(ex *x)  { say(x, TX_EX_SIMCLOSE_FIN); }
static void b_simclose_ack(ex *x)  { say(x, TX_EX_SIMCLOSE_ACK); }
static void b_refused(ex *x)       { say(x, TX_EX_REFUSED); }

static void carried_data(ex *x)
{
    if (x->seg->len)
        say(x, TX_EX_CARRIES);
}

/* The SYN-ACK this ACK answers was never captured (tsi_synack_not_captured):
 * the receiver's ISN comes from this ack. */
static void b_hs_ack(ex *x)
{
    say(x, TX_EX_HS_ACK);
    if (!receiver(x)->syn_seen && !(x->r->rflags & TS_REC_INFERRED))
        say(x, TX_EX_SYNACK_NOT_CAPTURED);
    carried_data(x);
}
static void b_simopen_ack(ex *x)   { say(x, TX_EX_SIMOPEN_ACK); carried_data(x); }
static void b_fin_ack1(ex *x)      { say(x, TX_EX_FIN_ACK1); carried_data(x); }
/* A final ACK that crossed the receiver's resent FIN (tcpstate_reset.c
 * rst_proves_ack_delivered): in flight until that FIN left. */
static void b_final_ack(ex *x)
{
    unsigned kept = 0;
    say(x, TX_EX_FINAL_ACK);
    if (ts_conn_in_flight(x->c, x->seg->frame, x->rcv, &kept) == TS_FLIGHT_DELIVERED && kept == TS_LAST_ACK)
        say(x, TX_EX_FINAL_ACK_CROSSED);
}

/* Known after the whole capture (two passes): the receiver reset the
 * connection without ever acknowledging these bytes. */
static int data_reset(const ex *x)
{
    const ts_endpoint *r = receiver(x);
    return x->c->reset_by == x->rcv && !x->c->refused &&
           (!r->ack_sent || (int32_t)(r->max_ack - next_seq(x)) < 0);
}

/* Known once the connection is over: the receiver's RCV.NXT is what its own
 * ACKs say (RFC 9293 3.3.1), and none of them covers these bytes (lost
 * after the capture point, or the receiver gone: spec_48). */
static int data_never_acked(const ex *x)
{
    const ts_endpoint *r = receiver(x);
    return ts_conn_finished(x->c) && !x->c->refused &&
           (!r->ack_sent || (int32_t)(r->max_ack - next_seq(x)) < 0);
}

/* The receiver's next ACK proved these bytes lay beyond its RCV.NXT
 * (TS_FLIGHT_DATA_HELD): no ACK of exactly seq + len comes. */
static int data_held(const ex *x)
{
    return ts_conn_flight_proved_from(x->c, TS_FLIGHT_DATA_HELD, x->rcv, x->seg->frame);
}

/* This ACK is the proof of data_held: it stops below the peer's data. */
static void data_held_ack(ex *x)
{
    if (ts_conn_flight_proved_at(x->c, TS_FLIGHT_DATA_HELD, x->snd, x->seg->frame))
        say(x, TX_EX_DATA_HELD_ACK);
}

static void b_data(ex *x)
{
    if (!x->seg->len) {
        say(x, TX_EX_PURE_ACK);
        data_held_ack(x);
        return;
    }
    if (data_reset(x))
        say(x, TX_EX_DATA_RESET);
    else if (data_never_acked(x))
        say(x, TX_EX_DATA_UNACKED);
    else
        say(x, data_held(x) ? TX_EX_DATA_HELD : TX_EX_DATA);
    if (x->seg->flags & TS_ACK)
        say(x, TX_EX_DATA_ACK);
    data_held_ack(x);
}

static void b_half_close(ex *x)
{
    say(x, closer_role(x) == x->snd ? TX_EX_HALF_SELF : TX_EX_HALF_OTHER);
    b_data(x);
}

static void b_fin1(ex *x)
{
    say(x, TX_EX_FIN1);
    if (x->seg->len)
        say(x, TX_EX_FIN_DATA);
}

static void b_fin2(ex *x)
{
    say(x, TX_EX_FIN2);
    if (x->seg->len)
        say(x, TX_EX_FIN_DATA);
}

/* The RST is the no-TCB reply to the receiver's FIN (the NO_TCB record it
 * closed starts at that FIN): the sender's connection had expired in
 * FIN-WAIT-2 (tcpstate_reset.c, rst_proves_tcb_expired). */
static int rst_answers_fin_without_tcb(const ex *x)
{
    return receiver(x)->fin_seen &&
           ts_conn_flight_proves(x->c, TS_FLIGHT_NO_TCB, x->snd, receiver(x)->fin_frame, x->seg->frame);
}

/* The RST is the new SYN-SENT TCB's answer to a challenge ACK of the old
 * connection (RFC 9293 3.10.7.3; 3.5.2 figure 11): the NEW_TCB record it
 * proved (tcpstate_reset.c, rst_proves_new_tcb).  Its sender does not know
 * the connection it resets, so it does not "abort" it. */
static int rst_from_new_tcb(const ex *x)
{
    return ts_conn_flight_proved_at(x->c, TS_FLIGHT_NEW_TCB, x->snd, x->seg->frame);
}

/* Where the states shown are the corrected ones (two passes): the RST
 * came from a SYN-SENT TCB that rejected the SYN-ACK and resent its SYN
 * (tcpstate_synack.c, tsi_carry_rejecting_tcb). */
static int rst_rejects_synack(const ex *x)
{
    unsigned kept;
    return ts_conn_in_flight(x->c, x->seg->frame, x->snd, &kept) == TS_FLIGHT_SYNACK_REJECTED &&
           before_of(x, x->snd) == kept && after_of(x, x->snd) == kept;
}

static void b_abort(ex *x)
{
    unsigned kept;
    if (rst_from_new_tcb(x)) {
        say(x, TX_EX_RST_NEW_TCB);
        return;
    }
    if (rst_rejects_synack(x)) {
        say(x, TX_EX_RST_REJECTS_SYNACK);
        return;
    }
    /* a SYN-SENT TCB rejecting the old connection's ACK keeps its TCB
     * (tcpstate_reset.c rejects_unacceptable_ack): no abort */
    if (before_of(x, x->snd) == TS_SYN_SENT && after_of(x, x->snd) == TS_SYN_SENT &&
        before_of(x, x->rcv) >= TS_ESTABLISHED) {
        say(x, TX_EX_RST_OLD_ACK_FROM_SYN_SENT);
        if (before_of(x, x->rcv) == TS_TIME_WAIT && after_of(x, x->rcv) == TS_CLOSED)
            say(x, TX_EX_RST_TIME_WAIT);
        return;
    }
    say(x, rst_answers_fin_without_tcb(x) ? TX_EX_RST_FIN_TIMEOUT : TX_EX_ABORT);
    if (before_of(x, x->rcv) == TS_TIME_WAIT && after_of(x, x->rcv) == TS_CLOSED)
        say(x, TX_EX_RST_TIME_WAIT);             /* the RFC's rule, and where Linux differs */
    if (x->r->anomalies & TS_BIT(TS_AN_HALF_OPEN))
        say(x, TX_EX_ABORT_HALF_OPEN);
    /* where the states shown are the corrected ones (two passes) */
    if (ts_conn_in_flight(x->c, x->seg->frame, x->snd, &kept) == TS_FLIGHT_RST_FORGED &&
        before_of(x, x->snd) == kept && after_of(x, x->snd) == kept)
        say(x, TX_EX_RST_FORGED);
}

/* Why a RST was not accepted, from the receiver's state and the verdict. */
static int rst_at_own_fin(const ex *x)
{
    const ts_endpoint *me = sender(x);
    unsigned rs = before_of(x, x->rcv);
    return me->fin_seen && x->seg->seq == me->fin_seq &&
           (rs == TS_CLOSE_WAIT || rs == TS_LAST_ACK || rs == TS_CLOSING);
}

static void b_rst_ignored(ex *x)
{
    unsigned rs = before_of(x, x->rcv);
    if ((x->r->anomalies & TS_BIT(TS_AN_RST_OUT_OF_WINDOW)) && rst_at_own_fin(x))
        say(x, TX_EX_RST_FIN_SEQ);
    else if (x->r->anomalies & TS_BIT(TS_AN_RST_OUT_OF_WINDOW))
        say(x, TX_EX_RST_WINDOW);
    else if (rs == TS_LISTEN || rs == TS_CLOSED)
        say(x, TX_EX_RST_NO_CONN);
    else if (rs == TS_SYN_SENT)
        say(x, TX_EX_RST_SYN_SENT);
    else if (rs == TS_TIME_WAIT && ts_conn_time_wait_ignores_rst(x->c) && x->seg->seq == receiver(x)->max_ack)
        say(x, TX_EX_RST_TIME_WAIT_KEPT);
    else
        say(x, TX_EX_RST_CHALLENGE);
    if (ts_conn_rst_challenged(x->c, x->rcv, x->seg->frame))
        say(x, TX_EX_RST_CHALLENGED_LATE);
}

static void b_out_of_window(ex *x)
{
    say(x, TX_EX_OUT_OF_WINDOW);
    if (x->seg->flags & TS_FIN)
        say(x, TX_EX_OOW_FIN);
}

static void b_after_reset(ex *x)
{
    if (x->seg->flags & TS_RST)
        say(x, TX_EX_AFTER_RESET_RST);
    else if (x->c->reset_by == x->snd)
        say(x, TX_EX_AFTER_RESET_SELF);
    else
        say(x, TX_EX_AFTER_RESET_PEER);
}

static void b_after_close(ex *x)
{
    say(x, (x->seg->flags & TS_RST) ? TX_EX_AFTER_CLOSE_RST : TX_EX_AFTER_CLOSE);
}

static void b_icmp(ex *x)
{
    say(x, TX_EX_ICMP);
    say(x, before_of(x, x->rcv) != after_of(x, x->rcv) ? TX_EX_ICMP_ABORT : TX_EX_ICMP_SOFT);
}

static void b_invalid(ex *x)
{
    uint8_t f = x->seg->flags;
    say(x, TX_EX_INVALID);
    if ((f & TS_SYN) && (f & TS_FIN))
        say(x, TX_EX_INV_SYNFIN);
    else if ((f & TS_SYN) && (f & TS_RST))
        say(x, TX_EX_INV_SYNRST);
    else if (!(f & (TS_SYN | TS_FIN | TS_RST | TS_ACK)))
        say(x, TX_EX_INV_NULL);
    else if ((f & (TS_FIN | TS_PSH | TS_URG)) == (TS_FIN | TS_PSH | TS_URG))
        say(x, TX_EX_INV_XMAS);
    else
        say(x, TX_EX_INV_FIN);
    say(x, TX_EX_INV_TAIL);
}

typedef struct {
    void (*what)(ex *x);   /* what the segment does, with its arithmetic */
    ts_text_id until;   /* appended to the one side that keeps its state */
    ts_text_id note;    /* said after the transitions */
    ts_text_id analogy;
    ts_text_id analogy_empty; /* used instead without payload, if set */
} stage_text;

/* Columns: builder, "until" of the side that stays, note, analogy (and
 * the analogy for a segment without payload). */

static const stage_text stage_texts[TS_STAGE_COUNT] = {
    [TS_STAGE_SYN]             = { b_syn,            TX_NONE,      TX_NONE,         TX_EX_A_SYN,            TX_NONE },
    [TS_STAGE_SYNACK]          = { b_synack,         TX_EX_U_SYNACK,     TX_NONE,         TX_EX_A_SYNACK,         TX_NONE },
    [TS_STAGE_HS_ACK]          = { b_hs_ack,         TX_NONE,      TX_NONE,         TX_EX_A_HS_ACK,         TX_NONE },
    [TS_STAGE_SIMOPEN_SYN]     = { b_simopen_syn,    TX_NONE,      TX_NONE,         TX_EX_A_SIMOPEN_SYN,    TX_NONE },
    [TS_STAGE_SIMOPEN_SYNACK]  = { b_simopen_synack, TX_NONE,      TX_NONE,         TX_EX_A_SIMOPEN_SYNACK, TX_NONE },
    [TS_STAGE_SIMOPEN_ACK]     = { b_simopen_ack,    TX_NONE,      TX_NONE,         TX_EX_A_SIMOPEN_ACK,    TX_NONE },
    [TS_STAGE_DATA]            = { b_data,           TX_NONE,      TX_NONE,         TX_EX_A_DATA,           TX_EX_A_NOD },
    [TS_STAGE_CHALLENGE_ACK]   = { b_challenge,      TX_NONE,      TX_NONE,         TX_EX_A_CHALLENGE,      TX_NONE },
    [TS_STAGE_FIN1]            = { b_fin1,           TX_NONE,      TX_NONE,         TX_EX_A_FIN1,           TX_NONE },
    [TS_STAGE_FIN_ACK1]        = { b_fin_ack1,       TX_EX_U_CLOSE_WAIT, TX_NONE,         TX_EX_A_FIN_ACK1,       TX_NONE },
    [TS_STAGE_HALF_CLOSE]      = { b_half_close,     TX_NONE,      TX_NONE,         TX_EX_A_HALF,           TX_NONE },
    [TS_STAGE_FIN2]            = { b_fin2,           TX_NONE,      TX_NONE,         TX_EX_A_FIN2,           TX_NONE },
    [TS_STAGE_FINACK_COMBINED] = { b_finack,         TX_NONE,      TX_NONE,         TX_EX_A_FINACK,         TX_NONE },
    [TS_STAGE_FINAL_ACK]       = { b_final_ack,      TX_NONE,      TX_EX_TIME_WAIT,     TX_EX_A_FINAL_ACK,      TX_NONE },
    [TS_STAGE_SIMCLOSE_FIN]    = { b_simclose_fin,   TX_NONE,      TX_EX_SIMCLOSE_NOTE, TX_EX_A_SIMCLOSE_FIN,   TX_NONE },
    [TS_STAGE_SIMCLOSE_ACK]    = { b_simclose_ack,   TX_NONE,      TX_NONE,         TX_EX_A_SIMCLOSE_ACK,   TX_NONE },
    [TS_STAGE_RST_REFUSED]     = { b_refused,        TX_NONE,      TX_NONE,         TX_EX_A_REFUSED,        TX_NONE },
    [TS_STAGE_RST_ABORT]       = { b_abort,          TX_NONE,      TX_NONE,         TX_EX_A_ABORT,          TX_NONE },
    [TS_STAGE_RST_IGNORED]     = { b_rst_ignored,    TX_NONE,      TX_NONE,         TX_EX_A_RST_IGNORED,    TX_NONE },
    [TS_STAGE_AFTER_RESET]     = { b_after_reset,    TX_NONE,      TX_NONE,         TX_EX_A_AFTER_RESET,    TX_NONE },
    [TS_STAGE_AFTER_CLOSE]     = { b_after_close,    TX_NONE,      TX_NONE,         TX_EX_A_AFTER_CLOSE,    TX_NONE },
    [TS_STAGE_INVALID]         = { b_invalid,        TX_NONE,      TX_NONE,         TX_EX_A_INVALID,        TX_NONE },
    [TS_STAGE_OUT_OF_WINDOW]   = { b_out_of_window,  TX_NONE,      TX_NONE,         TX_EX_A_OUT_OF_WINDOW,  TX_NONE },
    [TS_STAGE_ICMP_UNREACH]    = { b_icmp,           TX_NONE,      TX_NONE,         TX_EX_A_ICMP,           TX_NONE },
};

/* ---- Transitions sentence ------------------------------------------------- */

static void clause(ex *x, int role, const char *until, int first)
{
    x->side = role;
    x->from = before_of(x, role);
    x->to = after_of(x, role);
    x->until = until;
    if (!first)
        sb_str(&x->out, x->w->clause_sep);
    expand(x, x->from == x->to ? TX_EX_STAY : TX_EX_MOVE);
}

/* "Client SYN-SENT -> ESTABLISHED; server stays SYN-RECEIVED until ...". */
static void transitions(ex *x, ts_text_id until)
{
    int cl_moves = before_of(x, TS_CLIENT) != after_of(x, TS_CLIENT);
    int sv_moves = before_of(x, TS_SERVER) != after_of(x, TS_SERVER);
    const char *u = (until && !(x->r->rflags & TS_REC_RETRANS)) ? ts_text(until, (ts_lang)x->lang) : NULL;
    size_t at;
    if (!cl_moves && !sv_moves) {
        x->from = after_of(x, TS_CLIENT);
        x->to = after_of(x, TS_SERVER);
        say(x, TX_EX_NO_CHANGE);
        return;
    }
    if (x->out.len)
        sb_str(&x->out, x->w->sentence_sep);
    at = x->out.len;
    clause(x, TS_CLIENT, cl_moves ? NULL : u, 1);
    clause(x, TS_SERVER, sv_moves ? NULL : u, 0);
    sb_str(&x->out, x->w->clause_end);
    capitalise(x, at);
}

/* ---- Entry point ----------------------------------------------------------- */

/* Said only where the states shown are the corrected ones (two passes):
 * the receiver kept the state the later segment proved.  Returns the
 * ts_flight kind, or TS_FLIGHT_NONE. */
static int undelivered_shown(const ex *x)
{
    unsigned kept;
    int kind;
    if (x->r->rflags & TS_REC_ICMP)
        return TS_FLIGHT_NONE;
    kind = ts_conn_in_flight(x->c, x->seg->frame, x->rcv, &kept);
    if (kind == TS_FLIGHT_NONE)
        return kind;
    return (before_of(x, x->rcv) == kept && after_of(x, x->rcv) == kept) ? kind : TS_FLIGHT_NONE;
}

/* A FIN resent from FIN-WAIT-2 keeps its sender FIN-WAIT-1 from just after
 * the FIN (tcpstate_pipeline.c): the peer's segments before the first ACK
 * of that FIN did not acknowledge it, and may well have arrived. */
static int acks_what_was_resent(const ex *x)
{
    const ts_endpoint *r = receiver(x);
    if (before_of(x, x->rcv) != TS_FIN_WAIT_1)
        return 1;
    return (x->seg->flags & TS_ACK) && r->fin_seen && ts_seq_geq(x->seg->ack, r->fin_seq + 1);
}

/* A SYN-ACK held in flight to a client still SYN-SENT (the DELIVERED
 * record of tcpstate_synack.c crossing_delivered) and captured before the
 * client's resent SYN: the one that crossed it.  (Later SYN-ACKs in the
 * same record came after the resend.) */
static int crossed_resent_syn(const ex *x)
{
    const ts_endpoint *r = receiver(x);
    return (x->seg->flags & (TS_SYN | TS_ACK)) == (TS_SYN | TS_ACK) && x->rcv == TS_CLIENT &&
           before_of(x, x->rcv) == TS_SYN_SENT && r->syn_last_frame > x->seg->frame;
}

/* ECN's flags (RFC 3168) change no TCP state but are what a learner
 * asks about: on the SYN and SYN-ACK they negotiate ECN, later they carry
 * its congestion signal. */
static void ecn_flags(ex *x)
{
    uint8_t f = x->seg->flags;
    if ((f & (TS_SYN | TS_ACK | TS_ECE | TS_CWR)) == (TS_SYN | TS_ECE | TS_CWR))
        say(x, TX_EX_ECN_SYN);
    else if ((f & (TS_SYN | TS_ACK | TS_ECE | TS_CWR)) == (TS_SYN | TS_ACK | TS_ECE))
        say(x, TX_EX_ECN_SYNACK);
    else if (!(f & (TS_SYN | TS_RST))) {
        if (f & TS_ECE)
            say(x, TX_EX_ECN_ECE);
        if (f & TS_CWR)
            say(x, TX_EX_ECN_CWR);
    }
}

/* A SYN-ACK with a new ISS (tcpstate_synack.c tsi_synack_new_iss): on
 * it, and on the SYN it answers where two passes show that SYN meeting
 * LISTEN. */
static void new_iss(ex *x)
{
    if (ts_conn_flight_proved_at(x->c, TS_FLIGHT_NEW_ISS, x->snd, x->seg->frame))
        say(x, TX_EX_SYNACK_NEW_ISS);
    else if (before_of(x, x->rcv) == TS_LISTEN &&
             ts_conn_in_flight(x->c, x->seg->frame, x->rcv, NULL) == TS_FLIGHT_NEW_ISS)
        say(x, TX_EX_SYN_MET_LISTEN);
}

/* A FIN held in flight by its receiver's ACKs that stop at it
 * (tcpstate_pipeline.c ack_proves_fin_in_flight; crossing FINs of a
 * simultaneous close have their own words): on the FIN where two passes
 * show its receiver keeping its state, and on the last such ACK, after
 * which the FIN arrives. */
static void fin_held(ex *x)
{
    uint8_t f = x->seg->flags;
    if (f & (TS_SYN | TS_RST))
        return;
    /* a FIN behind a hole (ack_proves_fin_held) */
    if ((f & TS_FIN) && undelivered_shown(x) == TS_FLIGHT_FIN_HELD)
        say(x, TX_EX_FIN_HELD_SHOWN);
    else if ((f & TS_ACK) && ts_conn_flight_proved_at(x->c, TS_FLIGHT_FIN_HELD, x->snd, x->seg->frame))
        say(x, TX_EX_FIN_HELD_ACK);
    if (x->c->simultaneous_close)
        return;
    if ((f & TS_FIN) && undelivered_shown(x) == TS_FLIGHT_CROSSED)
        say(x, TX_EX_FIN_HELD);
    else if (!(f & TS_FIN) && (f & TS_ACK) && after_of(x, x->snd) == TS_CLOSE_WAIT &&
             ts_conn_flight_proved_at(x->c, TS_FLIGHT_CROSSED, x->snd, x->seg->frame))
        say(x, TX_EX_FIN_ARRIVES_AFTER);
}

static void explain(ex *x, int analogy)
{
    static const stage_text unknown = { NULL, TX_NONE, TX_NONE, TX_NONE, TX_NONE };
    ts_text_id a;
    const stage_text *t = x->stage < TS_STAGE_COUNT ? &stage_texts[x->stage] : &unknown;
    if (x->r->rflags & TS_REC_RETRANS)
        say(x, TX_EX_RETRANS);
    if (t->what)
        t->what(x);
    else
        say(x, TX_EX_UNKNOWN);
    transitions(x, t->until);
    if (t->note)
        say(x, t->note);
    ecn_flags(x);
    if (x->r->rflags & TS_REC_SYN_UNHEARD)
        say(x, TX_EX_SYN_UNHEARD);
    new_iss(x);
    fin_held(x);
    switch (undelivered_shown(x)) {
    case TS_FLIGHT_FIN_LOST: say(x, TX_EX_FIN_UNDELIVERED); break;
    case TS_FLIGHT_ACK_LOST:
        if (acks_what_was_resent(x))
            say(x, TX_EX_UNDELIVERED);
        break;
    case TS_FLIGHT_SYNACK_LOST: say(x, TX_EX_SYNACK_UNDELIVERED); break;
    case TS_FLIGHT_NO_TCB: say(x, TX_EX_NO_TCB_SHOWN); break;
    case TS_FLIGHT_SYNACK_REJECTED: say(x, TX_EX_SYNACK_REJECTED_SHOWN); break;
    case TS_FLIGHT_DELIVERED:
        if (crossed_resent_syn(x))
            say(x, TX_EX_SYNACK_CROSSING_SHOWN);
        break;
    default: break;
    }
    if (x->r->rflags & TS_REC_ONE_SIDED)
        say(x, TX_EX_ONE_SIDED);
    else if (x->r->rflags & TS_REC_INFERRED)
        say(x, TX_EX_INFERRED);
    a = (!x->seg->len && t->analogy_empty) ? t->analogy_empty : t->analogy;
    if (analogy && a) {
        if (x->out.len)
            sb_str(&x->out, x->w->sentence_sep);
        sb_str(&x->out, word(x, TX_EX_ANALOGY));
        expand(x, a);
    }
}

size_t ts_explain(const ts_record *r, const ts_segment *seg, ts_lang lang,
                  int analogy, char *buf, size_t bufsize)
{
    ex x;
    if (!buf || bufsize == 0)
        return 0;
    memset(&x, 0, sizeof x);
    x.out.buf = buf;
    x.out.cap = bufsize;
    buf[0] = '\0';
    x.lang = lang == TS_LANG_ZH ? TS_LANG_ZH : TS_LANG_EN;
    x.w = &lang_words[x.lang];
    if (!r || !r->conn || !seg) {
        say(&x, TX_EX_NO_CONN);
    } else {
        x.r = r;
        x.seg = seg;
        x.c = (r->rflags & TS_REC_ONE_SIDED) ? ts_conn_view(r->conn) : r->conn;
        x.snd = (r->rflags & TS_REC_SENDER_CLIENT) ? TS_CLIENT : TS_SERVER;
        x.rcv = !x.snd;
        x.stage = ts_final_stage(r);
        explain(&x, analogy);
    }
    if (x.out.full)
        sb_trim_utf8(&x.out);
    return x.out.len;
}
