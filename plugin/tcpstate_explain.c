/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate explanations: one or two plain sentences per segment, in English
 * or Simplified Chinese, saying what the segment does, which transition it
 * causes on each side (RFC 9293 state names) and the sequence arithmetic
 * behind it, with raw and relative numbers.
 *
 * How it is built.  Every text is a template with named fields in braces,
 * "{s} sends ... ack {ACK} = {r} ISN {risn} + 1", one per language.  The
 * stage table below picks the templates for a stage; expand() fills the
 * fields from the record, the connection and the segment.  So the facts and
 * numbers are computed once, in one place, for both languages.
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

/* ---- Words that differ between languages --------------------------------- */

typedef struct {
    const char *side[2];      /* indexed by TS_CLIENT / TS_SERVER */
    const char *person[2];    /* the analogy's people, same index */
    const char *sentence_sep; /* between two sentences */
    const char *rel_open, *rel_close;
    const char *byte_one, *byte_many; /* after the number of bytes */
    const char *clause_sep, *clause_end;
    const char *analogy;      /* starts the analogy sentence */
} words;

static const words lang_words[2] = {
    [TS_LANG_EN] = {
        { "client", "server" }, { "Alice", "Bob" }, " ",
        " (relative ", ")", " byte", " bytes", "; ", ".",
        "Analogy (Alice = client, Bob = server): ",
    },
    [TS_LANG_ZH] = {
        { "客户端", "服务端" }, { "张三", "李四" }, "",
        "（相对 ", "）", " 字节", " 字节", "；", "。",
        "打个比方（张三 = 客户端，李四 = 服务端）：",
    },
};

/* A text in both languages, indexed by ts_lang. */
typedef const char *const tr[2];

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

/* "1006 (relative 6)", or the raw number alone when no ISN is known. */
static void put_num(ex *x, uint32_t raw, const ts_endpoint *owner)
{
    sb_num(&x->out, raw);
    if (!owner->isn_known)
        return;
    sb_str(&x->out, x->w->rel_open);
    sb_num(&x->out, raw - owner->isn);
    sb_str(&x->out, x->w->rel_close);
}

static void f_s(ex *x)     { sb_str(&x->out, x->w->side[x->snd]); }
static void f_r(ex *x)     { sb_str(&x->out, x->w->side[x->rcv]); }
static void f_c(ex *x)     { sb_str(&x->out, x->w->side[closer_role(x)]); }
static void f_p(ex *x)     { sb_str(&x->out, x->w->side[!closer_role(x)]); }
static void f_x(ex *x)     { sb_str(&x->out, x->w->side[x->side]); }
static void f_as(ex *x)    { sb_str(&x->out, x->w->person[x->snd]); }
static void f_ar(ex *x)    { sb_str(&x->out, x->w->person[x->rcv]); }
static void f_seq(ex *x)   { put_num(x, x->seg->seq, sender(x)); }
static void f_ack(ex *x)   { put_num(x, x->seg->ack, receiver(x)); }
static void f_qseq(ex *x)  { put_num(x, x->seg->seq, receiver(x)); }  /* quoted by an ICMP */
static void f_nxt(ex *x)   { put_num(x, next_seq(x), sender(x)); }
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
    sb_str(&x->out, x->w->side[rb]);
}

static void f_pfin(ex *x)  /* the FIN this segment acknowledges */
{
    const ts_endpoint *p = receiver(x);
    uint32_t fin = p->fin_seen ? p->fin_seq : x->seg->ack - 1;
    sb_num(&x->out, fin);
}

static void f_bytes(ex *x)
{
    sb_num(&x->out, x->seg->len);
    sb_str(&x->out, x->seg->len == 1 ? x->w->byte_one : x->w->byte_many);
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
    sb_str(&x->out, x->w->rel_open);
    sb_num(&x->out, first - e->isn);
    sb_str(&x->out, "-");
    sb_num(&x->out, last - e->isn);
    sb_str(&x->out, x->w->rel_close);
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
        sb_str(&x->out, x->lang == TS_LANG_ZH ? "（无标志）" : "(no flags)");
}

static void f_label(ex *x)
{
    sb_str(&x->out, x->lang == TS_LANG_ZH ? ts_stage_label_zh(x->stage) : ts_stage_label(x->stage));
}

static void f_rstate(ex *x) { sb_str(&x->out, ts_state_name(before_of(x, x->rcv))); }

typedef struct {
    const char *name;
    void (*put)(ex *x);
} field;

static const field fields[] = {
    { "s", f_s }, { "r", f_r }, { "c", f_c }, { "p", f_p }, { "rb", f_rb },
    { "AS", f_as }, { "AR", f_ar }, { "SEQ", f_seq }, { "ACK", f_ack }, { "QSEQ", f_qseq },
    { "NXT", f_nxt }, { "FIN", f_fin }, { "FIN1", f_fin1 }, { "pfin", f_pfin },
    { "risn", f_risn }, { "risn1", f_risn1 }, { "ackdata", f_ackdata },
    { "BYTES", f_bytes }, { "RANGE", f_range }, { "port", f_port },
    { "flags", f_flags }, { "label", f_label }, { "rstate", f_rstate },
    { "x", f_x }, { "from", f_from }, { "to", f_to }, { "until", f_until },
};

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

static void expand(ex *x, const char *t)
{
    while (*t) {
        const char *open, *close;
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
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            size_t n = strlen(fields[i].name);
            if (n == (size_t)(close - open - 1) && !strncmp(open + 1, fields[i].name, n)) {
                fields[i].put(x);
                break;
            }
        }
        t = close + 1;
    }
}

/* English sentences start with a capital ("client ..." -> "Client ..."). */
static void capitalise(ex *x, size_t at)
{
    if (at < x->out.len && x->out.buf[at] >= 'a' && x->out.buf[at] <= 'z')
        x->out.buf[at] = (char)(x->out.buf[at] - 'a' + 'A');
}

/* One sentence (or more) in the chosen language. */
static void say(ex *x, tr t)
{
    size_t at;
    if (x->out.len)
        sb_str(&x->out, x->w->sentence_sep);
    at = x->out.len;
    expand(x, t[x->lang]);
    capitalise(x, at);
}

/* ---- Texts ------------------------------------------------------------------ */

static tr T_CARRIES = {
    "It also carries {BYTES} of data, seq {RANGE}.",
    "它还携带了 {BYTES}数据，序列号 {RANGE}。" };
static tr T_DATA_ACK = {
    "Its ack {ACK} confirms that the {r}'s bytes before that number have all arrived.",
    "其确认号 {ACK} 表示{r}在此之前发送的字节都已收到。" };

static tr T_SYN = {
    "{s} opens the connection (three-way handshake, step 1 of 3): SYN with its initial "
    "sequence number (ISN) {SEQ}. The SYN consumes one sequence number, so the {r} must "
    "answer with ack {NXT}.",
    "{s}发起连接（三次握手第1步）：发送 SYN，初始序列号(ISN) 为 {SEQ}。"
    "SYN 占用一个序列号，所以{r}应以确认号 {NXT} 回应。" };
static tr T_SYN_TFO = {
    "It already carries {BYTES} of data (TCP Fast Open).",
    "它已携带 {BYTES}数据（TCP Fast Open）。" };
static tr T_SYN_TFO_NOCOOKIE = {
    "It already carries {BYTES} of data, without a Fast Open cookie: the SYN-ACK acknowledges "
    "the data too, so the {r} accepts data in a SYN without a cookie (TCP Fast Open, RFC 7413 "
    "section 4.2.2).",
    "它已携带 {BYTES}数据，但没有 Fast Open cookie：SYN-ACK 同时确认了这些数据，"
    "说明{r}接受不带 cookie 的 SYN 数据（TCP Fast Open，RFC 7413 第4.2.2节）。" };
static tr T_SYN_DATA = {
    "It already carries {BYTES} of data, unusual without TCP Fast Open.",
    "它已携带 {BYTES}数据，没有 TCP Fast Open 时这并不常见。" };
static tr T_SYNACK = {
    "{s} accepts the connection (three-way handshake, step 2 of 3): SYN-ACK with its own "
    "ISN {SEQ} and ack {ACK} = {r} ISN {risn} + 1: the SYN consumes one sequence number.",
    "{s}接受连接（三次握手第2步）：发送 SYN-ACK，自己的初始序列号(ISN) 为 {SEQ}，"
    "确认号 {ACK} = {r} ISN {risn} + 1：SYN 占用一个序列号。" };
static tr T_SYNACK_DATA = {
    "{s} accepts the connection (three-way handshake, step 2 of 3): SYN-ACK with its own "
    "ISN {SEQ} and ack {ACK} = {r} ISN {risn} + 1 + {ackdata}: the SYN consumes one sequence "
    "number, and the {ackdata} bytes of data the SYN carried are acknowledged with it "
    "(TCP Fast Open, RFC 7413).",
    "{s}接受连接（三次握手第2步）：发送 SYN-ACK，自己的初始序列号(ISN) 为 {SEQ}，"
    "确认号 {ACK} = {r} ISN {risn} + 1 + {ackdata}：SYN 占用一个序列号，"
    "SYN 携带的 {ackdata} 字节数据也一并被确认（TCP Fast Open，RFC 7413）。" };
static tr T_HS_ACK = {
    "{s} completes the three-way handshake (step 3 of 3): ack {ACK} = {r} ISN {risn} + 1, "
    "seq {SEQ}.",
    "{s}完成三次握手（第3步）：确认号 {ACK} = {r} ISN {risn} + 1，序列号 {SEQ}。" };
static tr T_SIMOPEN_SYN = {
    "Simultaneous open: both sides sent a SYN before receiving the other's. The {s} sends "
    "its SYN with ISN {SEQ}; the SYN consumes one sequence number, so the {r} must "
    "acknowledge {NXT}.",
    "同时打开：双方都在收到对方的 SYN 之前发出了自己的 SYN。{s}发送 SYN，"
    "初始序列号(ISN) 为 {SEQ}；SYN 占用一个序列号，所以{r}应确认 {NXT}。" };
static tr T_SIMOPEN_SYNACK = {
    "Simultaneous open: the {s} acknowledges the {r}'s SYN and repeats its own: SYN-ACK "
    "with ISN {SEQ} and ack {ACK} = {r} ISN {risn} + 1.",
    "同时打开：{s}确认{r}的 SYN，并重复自己的 SYN：SYN-ACK，ISN 为 {SEQ}，"
    "确认号 {ACK} = {r} ISN {risn} + 1。" };
static tr T_SIMOPEN_ACK = {
    "Simultaneous open completes: the {s} acknowledges the {r}'s SYN with ack {ACK} = "
    "{r} ISN {risn} + 1.",
    "同时打开完成：{s}以确认号 {ACK} = {r} ISN {risn} + 1 确认{r}的 SYN。" };
static tr T_DATA = {
    "{s} sends {BYTES} of data, seq {RANGE}; the {r} acknowledges them with ack {NXT}.",
    "{s}发送 {BYTES}数据，序列号 {RANGE}；{r}将以确认号 {NXT} 确认。" };
static tr T_DATA_RESET = {
    "{s} sends {BYTES} of data, seq {RANGE}; the {r} never acknowledges them: it answers "
    "with a RST instead.",
    "{s}发送 {BYTES}数据，序列号 {RANGE}；{r}始终没有确认这些数据，而是以 RST 回应。" };
static tr T_PURE_ACK = {
    "{s} sends an ACK without data: ack {ACK} confirms that the {r}'s bytes before that "
    "number have all arrived.",
    "{s}发送不带数据的 ACK：确认号 {ACK} 表示{r}在此之前发送的字节都已收到。" };
static tr T_CHALLENGE = {
    "Challenge ACK (RFC 5961): the {s} received a SYN, or a RST inside its window but not "
    "at exactly the expected sequence number, so instead of dropping the connection it "
    "answers with an ACK showing where it stands: seq {SEQ}, ack {ACK}. A genuine peer then "
    "sends a RST with the exact number; a blind attacker cannot.",
    "挑战确认（RFC 5961）：{s}收到了 SYN，或者序列号落在窗口内却不正好是期望值的 RST，"
    "因此它不断开连接，而是回复一个标明自己当前位置的 ACK：序列号 {SEQ}，确认号 {ACK}。"
    "真正的对端随后会发送序列号精确的 RST，盲目攻击者则做不到。" };
static tr T_FIN1 = {
    "{s} starts closing (four-way close, step 1 of 4): FIN at seq {FIN}, it has no more "
    "data to send; the {s} is the initiator (active close), the {r} the recipient (passive "
    "close). The FIN consumes one sequence number, so the {r} acknowledges it with ack {FIN1}.",
    "{s}开始关闭（四次挥手第1步）：发送 FIN，序列号 {FIN}，表示自己没有数据要发了。"
    "{s}是主动关闭方，{r}是被动关闭方。FIN 占用一个序列号，所以{r}应以确认号 {FIN1} 确认它。" };
static tr T_FIN_DATA = {
    "The same segment carries its last {BYTES} of data, seq {RANGE}.",
    "同一报文还携带了最后 {BYTES}数据，序列号 {RANGE}。" };
static tr T_FIN_ACK1 = {
    "{s} acknowledges the {r}'s FIN (four-way close, step 2 of 4): ack {ACK} = FIN seq "
    "{pfin} + 1, because the FIN consumes one sequence number.",
    "{s}确认{r}的 FIN（四次挥手第2步）：确认号 {ACK} = FIN 序列号 {pfin} + 1，"
    "因为 FIN 占用一个序列号。" };
static tr T_HALF_OTHER = {
    "Half-close: the {c} has closed its direction (sent its FIN), while this direction, "
    "from the {s}, still flows; that is normal.",
    "半关闭：{c}已关闭自己的方向（发送了 FIN），而{s}这个方向仍在传输，这是正常的。" };
static tr T_HALF_SELF = {
    "Half-close: the {s} has closed its own direction (sent its FIN) but still "
    "acknowledges what the {r} sends; that is normal.",
    "半关闭：{s}已关闭自己的方向（发送了 FIN），但仍在确认{r}发来的数据，这是正常的。" };
static tr T_FIN2 = {
    "{s} closes its direction too (four-way close, step 3 of 4): FIN at seq {FIN}. The "
    "FIN consumes one sequence number, so the {r}'s final ACK must be ack {FIN1}.",
    "{s}也关闭自己的方向（四次挥手第3步）：发送 FIN，序列号 {FIN}。"
    "FIN 占用一个序列号，所以{r}最后的 ACK 确认号应为 {FIN1}。" };
static tr T_FINACK = {
    "{s} closes at once (four-way close, steps 2+3 of 4 in one segment): the ACK of the "
    "{r}'s FIN and the {s}'s own FIN travel in one segment, with ack {ACK} = FIN seq "
    "{pfin} + 1 and its FIN at seq {FIN}. That FIN consumes one sequence number, so the "
    "final ACK must be ack {FIN1}.",
    "{s}立即关闭（四次挥手第2+3步合并为一个报文）：对{r} FIN 的 ACK 和{s}自己的 FIN "
    "在同一个报文中发出：确认号 {ACK} = FIN 序列号 {pfin} + 1，自己的 FIN 序列号为 {FIN}。"
    "该 FIN 占用一个序列号，所以最后的 ACK 确认号应为 {FIN1}。" };
static tr T_FINAL_ACK = {
    "{s} sends the final ACK (four-way close, step 4 of 4): ack {ACK} = FIN seq {pfin} + 1.",
    "{s}发送最后的 ACK（四次挥手第4步）：确认号 {ACK} = FIN 序列号 {pfin} + 1。" };
static tr T_TIME_WAIT = {
    "The initiator ({c}) stays in TIME-WAIT for 2 MSL (maximum segment lifetime): if this "
    "ACK is lost, the {p} repeats its FIN and the ACK can be sent again, and old duplicate "
    "segments of this connection die out before the same port pair is reused.",
    "主动关闭方（{c}）在 TIME-WAIT 停留 2 MSL（报文最大生存时间）：如果这个 ACK 丢失，"
    "{p}会重传 FIN，此时还能再次发送 ACK；同时让本连接残留的旧报文在同一端口对被重新使用之前消失。" };
static tr T_SIMCLOSE_FIN = {
    "Simultaneous close: both sides sent a FIN before receiving the other's. The {s} sends "
    "its FIN at seq {FIN}; the FIN consumes one sequence number, so its ACK is ack {FIN1}.",
    "同时关闭：双方都在收到对方的 FIN 之前发出了自己的 FIN。{s}发送 FIN，序列号 {FIN}；"
    "FIN 占用一个序列号，所以对它的确认号是 {FIN1}。" };
static tr T_SIMCLOSE_NOTE = {
    "Both sides are active closers here: each goes through CLOSING to TIME-WAIT.",
    "此时双方都是主动关闭方：各自经 CLOSING 进入 TIME-WAIT。" };
static tr T_SIMCLOSE_ACK = {
    "Simultaneous close: the {s} acknowledges the {r}'s FIN: ack {ACK} = FIN seq {pfin} + 1.",
    "同时关闭：{s}确认{r}的 FIN：确认号 {ACK} = FIN 序列号 {pfin} + 1。" };
static tr T_REFUSED = {
    "{s} refuses the connection: RST in answer to the SYN, ack {ACK} = {r} ISN {risn} + 1. "
    "Nothing listens on port {port}, or a firewall rejects the connection.",
    "{s}拒绝连接：以 RST 回应 SYN，确认号 {ACK} = {r} ISN {risn} + 1。"
    "端口 {port} 上没有程序在监听，或者连接被防火墙拒绝。" };
static tr T_ABORT = {
    "{s} aborts the connection with a RST at seq {SEQ}: the connection is dropped at once "
    "on both sides and data not yet sent or delivered is discarded; there is no closing "
    "handshake.",
    "{s}以 RST 中止连接，序列号 {SEQ}：连接在两端立即被丢弃，尚未发送或交付的数据都被丢弃，"
    "不再进行挥手。" };
static tr T_RST_FORGED = {
    "The {s} goes on sending from this connection afterwards (same sequence numbers, same "
    "acknowledgment), which a TCP that sent a RST cannot do: it did not send this RST, a "
    "middlebox forged it in the {s}'s name, and only the {r} was reset.",
    "{s}之后仍在这个连接上继续发送（序列号和确认号都接续之前），发送过 RST 的 TCP 不可能这样做："
    "这个 RST 不是{s}发的，而是中间设备冒用{s}的名义伪造的，只有{r}被复位了。" };
static tr T_ABORT_HALF_OPEN = {
    "It answers data on a connection the {s} no longer knows (half-open connection).",
    "它回应的是{s}已不认识的连接上的数据（半开连接）。" };
static tr T_RST_WINDOW = {
    "{s} sends a RST that the {r} does not accept: its seq {SEQ} is outside the {r}'s "
    "receive window (RFC 5961, RFC 9293 section 3.10.7.4): a stale RST or a blind reset "
    "attempt.",
    "{s}发送的 RST 不被{r}接受：其序列号 {SEQ} 不在{r}的接收窗口内"
    "（RFC 5961，RFC 9293 第3.10.7.4节）：可能是过期的 RST 或盲目复位攻击。" };
static tr T_RST_FIN_SEQ = {
    "{s} sends a RST at seq {SEQ}, the sequence number of its own FIN, which the {r} has "
    "already received: RCV.NXT is one above, so the RST is outside the window and RFC 9293 "
    "(section 3.10.7.4) has the {r} drop it. A Linux {r} would behave differently: in "
    "CLOSE-WAIT, LAST-ACK and CLOSING it also accepts a RST at RCV.NXT - 1 and closes.",
    "{s}发送 RST，序列号 {SEQ} 正是它自己的 FIN 的序列号，而{r}已经收到该 FIN："
    "RCV.NXT 比它大 1，所以该 RST 在窗口之外，按 RFC 9293（第3.10.7.4节）{r}应丢弃它。"
    "Linux 的{r}行为不同：在 CLOSE-WAIT、LAST-ACK 和 CLOSING 状态下，它也接受序列号为 "
    "RCV.NXT - 1 的 RST 并关闭连接。" };
static tr T_OUT_OF_WINDOW = {
    "{s} sends a segment at seq {SEQ} that lies outside the {r}'s receive window (RFC 9293 "
    "section 3.10.7.4, the first check): it is not acceptable, so the {r} drops it, changes "
    "no state, and should answer with an ACK of the sequence number it really expects "
    "(<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>). A stale segment of an earlier connection, a "
    "forged one, or sequence numbers rewritten on the way.",
    "{s}发送的报文段序列号 {SEQ} 不在{r}的接收窗口内（RFC 9293 第3.10.7.4节的第一项检查）："
    "该报文段不可接受，{r}将其丢弃、不改变任何状态，并应回复一个 ACK，告知它真正期望的序列号"
    "（<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>）。可能是旧连接的过期报文、伪造的报文，"
    "或序列号在途中被改写。" };
static tr T_OOW_FIN = {
    "Its FIN is dropped with it and closes nothing.",
    "其中的 FIN 也随之被丢弃，不关闭任何东西。" };
static tr T_RST_CHALLENGE = {
    "{s} sends a RST that the {r} does not accept yet: its seq {SEQ} is inside the window "
    "but not exactly the next expected sequence number, so the {r} owes a challenge ACK "
    "(RFC 5961 section 3, RFC 9293 section 3.10.7.4).",
    "{s}发送的 RST 暂不被{r}接受：其序列号 {SEQ} 在窗口内，但不正好是期望的下一个序列号，"
    "所以{r}应回复挑战确认（RFC 5961 第3节，RFC 9293 第3.10.7.4节）。" };
static tr T_RST_SYN_SENT = {
    "{s} sends a RST that the {r} does not accept: in SYN-SENT a RST counts only if it "
    "acknowledges the SYN, with ack {risn1} = {r} ISN {risn} + 1 (RFC 9293 section 3.10.7.3).",
    "{s}发送的 RST 不被{r}接受：在 SYN-SENT 状态下，只有确认了 SYN 的 RST 才有效，"
    "即确认号为 {risn1} = {r} ISN {risn} + 1（RFC 9293 第3.10.7.3节）。" };
static tr T_RST_NO_CONN = {
    "{s} sends a RST, but the {r} ({rstate}) has no connection to reset; the RST is dropped.",
    "{s}发送了 RST，但{r}（{rstate}）没有可复位的连接，该 RST 被丢弃。" };
static tr T_AFTER_RESET_RST = {
    "Another RST after the {rb} already reset the connection: it changes nothing.",
    "{rb}已复位连接后又出现的 RST：不改变任何状态。" };
static tr T_AFTER_RESET_SELF = {
    "The {s} reset this connection earlier; this segment belongs to no connection any more.",
    "{s}之前已复位该连接；这个报文已不属于任何连接。" };
static tr T_AFTER_RESET_PEER = {
    "The {rb} reset this connection earlier, yet the {s} still sends: the RST was lost or "
    "ignored, so the {s} holds a half-open connection and the {r} answers with another RST.",
    "该连接已被{rb}复位，但{s}仍在发送：RST 丢失或被忽略，{s}留下了半开连接，"
    "{r}会再以 RST 回应。" };
static tr T_AFTER_CLOSE_RST = {
    "RST after the connection was fully closed: there is nothing left to reset.",
    "连接完全关闭后出现的 RST：已没有可复位的连接。" };
static tr T_AFTER_CLOSE = {
    "Both sides have already closed this connection: this late or stray segment belongs "
    "to no connection any more and changes nothing.",
    "双方都已关闭该连接：这个迟到或游离的报文已不属于任何连接，也不改变任何状态。" };
static tr T_INVALID = {
    "Invalid flag combination {flags}:", "非法的标志组合 {flags}：" };
static tr T_INV_SYNFIN = {
    "SYN opens a connection and FIN closes one; a segment cannot do both.",
    "SYN 用于建立连接，FIN 用于关闭连接，一个报文不能同时做这两件事。" };
static tr T_INV_SYNRST = {
    "SYN opens a connection and RST aborts one; a segment cannot do both.",
    "SYN 用于建立连接，RST 用于中止连接，一个报文不能同时做这两件事。" };
static tr T_INV_NULL = {
    "none of SYN, ACK, FIN or RST is set, so the segment means nothing to TCP (null scan).",
    "SYN、ACK、FIN、RST 都没有置位，这个报文对 TCP 没有意义（空扫描）。" };
static tr T_INV_XMAS = {
    "FIN, PSH and URG without ACK (Xmas scan): every segment after the first SYN must carry ACK.",
    "FIN、PSH、URG 置位却没有 ACK（圣诞树扫描）：第一个 SYN 之后的每个报文都必须带 ACK。" };
static tr T_INV_FIN = {
    "FIN without ACK: every segment after the first SYN must carry ACK, so it is dropped "
    "(RFC 9293 section 3.10.7.4).",
    "FIN 没有 ACK：第一个 SYN 之后的每个报文都必须带 ACK，因此它被丢弃（RFC 9293 第3.10.7.4节）。" };
static tr T_INV_TAIL = {
    "Such segments come from port scans or broken stacks.",
    "这类报文通常来自端口扫描或有缺陷的协议栈。" };
static tr T_UNKNOWN = {
    "{s} sends a segment with flags {flags}, seq {SEQ}.",
    "{s}发送标志为 {flags} 的报文，序列号 {SEQ}。" };

static tr T_RETRANS = {
    "Retransmission: the same step again ({label}), because the earlier segment or its "
    "answer was lost.",
    "重传：再次执行同一步（{label}），因为之前的报文或对它的应答丢失了。" };
static tr T_INFERRED = {
    "The capture started after this connection began (its first SYN was not seen), so "
    "roles and states are inferred.",
    "抓包开始时该连接已经开始（未捕获到第一个 SYN），因此角色和状态是推断出来的。" };
static tr T_SYN_UNHEARD = {
    "No answer to this SYN was captured (no SYN-ACK, no RST, no ICMP error), so nothing "
    "shows that it reached the {r}: the capture proves only that the {s} sent it, and the "
    "{r} is shown as it was, LISTEN.",
    "没有捕获到对这个 SYN 的任何回应（没有 SYN-ACK、RST 或 ICMP 差错），因此没有任何迹象表明它到达了{r}："
    "捕获只能证明{s}发送了它，{r}按原状态显示为 LISTEN。" };
static tr T_UNDELIVERED = {
    "The {r} sent its last segment again after this one, which only an endpoint still waiting "
    "for this acknowledgment does: this segment was lost after the capture point and never "
    "reached the {r}, which kept its state.",
    "{r}在这个报文段之后又重传了它的上一个报文段，只有仍在等待这个确认的一端才会这样做："
    "这个报文段在捕获点之后丢失，没有到达{r}，{r}保持原状态。" };
static tr T_FIN_UNDELIVERED = {
    "A later RST was accepted at the sequence number the {r} had acknowledged, below this FIN: "
    "the {r} had not received the FIN, which was lost after the capture point; the {r} kept "
    "its state.",
    "之后一个 RST 在{r}已确认的序列号处被接受，而该序列号低于这个 FIN：{r}没有收到这个 FIN，"
    "它在捕获点之后丢失了；{r}保持原状态。" };
static tr T_ONE_SIDED = {
    "Only the client's segments were captured: the server's SYN-ACK, data and FIN are "
    "inferred from the client's acknowledgments, and the states with them.",
    "只捕获到客户端的报文：服务端的 SYN-ACK、数据和 FIN 是根据客户端的确认号推断出来的，"
    "状态也随之推断。" };
static tr T_ICMP = {
    "ICMP destination unreachable from the {s}'s side, quoting the {r}'s segment at seq {QSEQ}: "
    "that segment never reached the {s}'s TCP.",
    "来自{s}一侧的 ICMP 目标不可达，引用了{r}序列号为 {QSEQ} 的报文：该报文没有到达{s}的 TCP。" };
static tr T_ICMP_ABORT = {
    "The {r} gives up the connection attempt and reports the error to its application "
    "(ECONNREFUSED, EHOSTUNREACH; RFC 1122 section 4.2.3.9, RFC 5461 section 4.1).",
    "{r}放弃这次连接尝试，并把错误报告给应用程序（ECONNREFUSED、EHOSTUNREACH；"
    "RFC 1122 第4.2.3.9节，RFC 5461 第4.1节）。" };
static tr T_ICMP_SOFT = {
    "A soft error: the {r} keeps the connection and retransmits.",
    "这是软错误：{r}保留连接并继续重传。" };
static tr T_MOVE = { "{x} {from} -> {to}", "{x} {from} → {to}" };
static tr T_STAY = { "{x} stays {from}{until}", "{x}保持 {from}{until}" };
static tr T_NO_CHANGE = {
    "No state change: client {from}, server {to}.",
    "状态不变：客户端 {from}，服务端 {to}。" };
static tr T_NO_CONN = {
    "No connection is known for this segment.", "没有与此报文对应的连接信息。" };

static tr U_SYNACK = { " until the third ACK", "，直到收到第3步的 ACK" };
static tr U_CLOSE_WAIT = {
    " (it may still send data: half-close)", "（它仍可继续发送数据：半关闭）" };

/* Analogies: {AS} is the sender, {AR} the receiver. */
static tr A_SYN = {
    "{AS} raises a hand toward {AR}: \"Hello, can you see me?\"",
    "{AS}朝{AR}举起手：“你好，看得见我吗？”" };
static tr A_SYNACK = {
    "{AS} nods back at {AR} (\"I see you\") and raises a hand too (\"and can you see me?\").",
    "{AS}向{AR}点头（“我看见你了”），同时也举起手（“你也看得见我吗？”）。" };
static tr A_HS_ACK = {
    "{AS} nods at {AR}'s raised hand: now each knows the other sees them, and the talking can start.",
    "{AS}看到{AR}举手，点头回应：双方都确认对方看得见自己，可以开始说话了。" };
static tr A_SIMOPEN_SYN = {
    "{AS} and {AR} raise a hand toward each other at the same moment.",
    "{AS}和{AR}恰好同时朝对方举起了手。" };
static tr A_SIMOPEN_SYNACK = {
    "{AS} sees {AR}'s raised hand, nods, and keeps a hand up.",
    "{AS}看见{AR}举手，点头示意，手仍举着。" };
static tr A_SIMOPEN_ACK = {
    "{AS} nods: both have seen each other, and the talking can start.",
    "{AS}点头：双方都看见了对方，可以开始说话了。" };
static tr A_DATA = {
    "{AS} talks to {AR}, and {AR} nods now and then to show how much has been heard.",
    "{AS}对{AR}说话，{AR}不时点头，表示已经听到了哪里。" };
static tr A_NOD = {
    "{AS} nods at {AR}: \"I have heard everything up to here.\"",
    "{AS}向{AR}点点头：“到这里我都听到了。”" };
static tr A_CHALLENGE = {
    "{AS} hears a doubtful \"stop!\" and asks {AR}: \"Was that really you? This is where we are.\"",
    "{AS}听到一声可疑的“停！”，于是问{AR}：“真是你说的吗？我们刚才说到这里。”" };
static tr A_FIN1 = {
    "{AS} waves goodbye to {AR}: \"I have nothing more to say\", but keeps listening.",
    "{AS}向{AR}挥手道别：“我的话说完了”，但仍在听。" };
static tr A_FIN_ACK1 = {
    "{AS} nods at {AR}'s goodbye (\"understood\"), though {AS} may still have a few words to say.",
    "{AS}对{AR}的道别点头表示知道了，不过{AS}也许还有几句话要说。" };
static tr A_HALF = {
    "One of them has said goodbye and only listens; the other is still finishing.",
    "一方已经道别，只是在听；另一方还在把话说完。" };
static tr A_FIN2 = {
    "{AS} has finished too and waves goodbye back to {AR}.",
    "{AS}也说完了，向{AR}挥手道别。" };
static tr A_FINACK = {
    "{AS} nods at {AR}'s goodbye and waves goodbye in the same gesture.",
    "{AS}一边点头回应{AR}的道别，一边也挥手道别。" };
static tr A_FINAL_ACK = {
    "{AS} nods at {AR}'s goodbye wave and lingers a moment, in case {AR} missed the nod and waves again.",
    "{AS}向挥手的{AR}点头，然后再停留片刻，以防{AR}没看到点头又一次挥手。" };
static tr A_SIMCLOSE_FIN = {
    "{AS} and {AR} wave goodbye to each other at the same moment.",
    "{AS}和{AR}同时向对方挥手道别。" };
static tr A_SIMCLOSE_ACK = {
    "{AS} nods at {AR}'s goodbye; each lingers a moment before leaving.",
    "{AS}对{AR}的道别点头；双方都稍等片刻再离开。" };
static tr A_REFUSED = {
    "{AR} waves at a window, and {AS} just shakes the head: nobody here will talk.",
    "{AR}朝窗口招手，{AS}却直接摇头：这里没有人会和你说话。" };
static tr A_ABORT = {
    "{AS} turns around and walks off mid-conversation, without a goodbye.",
    "{AS}话说到一半转身就走，没有道别。" };
static tr A_RST_IGNORED = {
    "Someone shouts \"stop!\" from the wrong direction, and {AR} does not take it as {AS}'s word.",
    "有人从不对的方向喊了一声“停！”，{AR}不认为那是{AS}说的。" };
static tr A_OUT_OF_WINDOW = {
    "{AS} answers a question {AR} never asked; {AR} only repeats where the conversation really is.",
    "{AS}回答了{AR}从没问过的问题；{AR}只是重复一遍谈话真正进行到哪里。" };
static tr A_AFTER_RESET = {
    "{AS} keeps talking although the conversation has already been broken off.",
    "谈话已经中断，{AS}却还在说。" };
static tr A_AFTER_CLOSE = {
    "A late remark from {AS} after both have already said goodbye.",
    "双方已经道别之后，{AS}又迟来了一句。" };
static tr A_ICMP = {
    "{AR} calls out, and a doorman answers in {AS}'s place: \"No way through here.\"",
    "{AR}喊了一声，门卫替{AS}回答：“此路不通。”" };
static tr A_INVALID = {
    "{AS} makes a gesture that means hello and goodbye at once, or nothing at all; {AR} ignores it.",
    "{AS}做了一个既像打招呼又像道别、或者什么也不是的手势，{AR}不予理会。" };

/* ---- Stage builders: what the segment does ---------------------------------- */

static void b_syn(ex *x)
{
    say(x, T_SYN);
    if (x->seg->len && x->seg->tfo)
        say(x, T_SYN_TFO);
    else if (x->seg->len)
        say(x, x->c->tfo ? T_SYN_TFO_NOCOOKIE : T_SYN_DATA);
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

static void b_synack(ex *x)        { say(x, synack_data(x) ? T_SYNACK_DATA : T_SYNACK); }
static void b_simopen_syn(ex *x)   { say(x, T_SIMOPEN_SYN); }
static void b_simopen_synack(ex *x){ say(x, T_SIMOPEN_SYNACK); }
static void b_challenge(ex *x)     { say(x, T_CHALLENGE); }
static void b_finack(ex *x)        { say(x, T_FINACK); }
static void b_simclose_fin(ex *x)  { say(x, T_SIMCLOSE_FIN); }
static void b_simclose_ack(ex *x)  { say(x, T_SIMCLOSE_ACK); }
static void b_refused(ex *x)       { say(x, T_REFUSED); }

static void carried_data(ex *x)
{
    if (x->seg->len)
        say(x, T_CARRIES);
}

static void b_hs_ack(ex *x)        { say(x, T_HS_ACK); carried_data(x); }
static void b_simopen_ack(ex *x)   { say(x, T_SIMOPEN_ACK); carried_data(x); }
static void b_fin_ack1(ex *x)      { say(x, T_FIN_ACK1); carried_data(x); }
static void b_final_ack(ex *x)     { say(x, T_FINAL_ACK); }

/* Known after the whole capture (two passes): the receiver reset the
 * connection without ever acknowledging these bytes. */
static int data_reset(const ex *x)
{
    const ts_endpoint *r = receiver(x);
    return x->c->reset_by == x->rcv && !x->c->refused &&
           (!r->ack_sent || (int32_t)(r->max_ack - next_seq(x)) < 0);
}

static void b_data(ex *x)
{
    if (!x->seg->len) {
        say(x, T_PURE_ACK);
        return;
    }
    say(x, data_reset(x) ? T_DATA_RESET : T_DATA);
    if (x->seg->flags & TS_ACK)
        say(x, T_DATA_ACK);
}

static void b_half_close(ex *x)
{
    say(x, closer_role(x) == x->snd ? T_HALF_SELF : T_HALF_OTHER);
    b_data(x);
}

static void b_fin1(ex *x)
{
    say(x, T_FIN1);
    if (x->seg->len)
        say(x, T_FIN_DATA);
}

static void b_fin2(ex *x)
{
    say(x, T_FIN2);
    if (x->seg->len)
        say(x, T_FIN_DATA);
}

static void b_abort(ex *x)
{
    say(x, T_ABORT);
    if (x->r->anomalies & TS_BIT(TS_AN_HALF_OPEN))
        say(x, T_ABORT_HALF_OPEN);
    /* where the states shown are the corrected ones (two passes) */
    if (x->c->forged_rst_frame == x->seg->frame && x->c->forged_rst_frame &&
        before_of(x, x->snd) == x->c->forged_rst_state && after_of(x, x->snd) == x->c->forged_rst_state)
        say(x, T_RST_FORGED);
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
        say(x, T_RST_FIN_SEQ);
    else if (x->r->anomalies & TS_BIT(TS_AN_RST_OUT_OF_WINDOW))
        say(x, T_RST_WINDOW);
    else if (rs == TS_LISTEN || rs == TS_CLOSED)
        say(x, T_RST_NO_CONN);
    else if (rs == TS_SYN_SENT)
        say(x, T_RST_SYN_SENT);
    else
        say(x, T_RST_CHALLENGE);
}

static void b_out_of_window(ex *x)
{
    say(x, T_OUT_OF_WINDOW);
    if (x->seg->flags & TS_FIN)
        say(x, T_OOW_FIN);
}

static void b_after_reset(ex *x)
{
    if (x->seg->flags & TS_RST)
        say(x, T_AFTER_RESET_RST);
    else if (x->c->reset_by == x->snd)
        say(x, T_AFTER_RESET_SELF);
    else
        say(x, T_AFTER_RESET_PEER);
}

static void b_after_close(ex *x)
{
    say(x, (x->seg->flags & TS_RST) ? T_AFTER_CLOSE_RST : T_AFTER_CLOSE);
}

static void b_icmp(ex *x)
{
    say(x, T_ICMP);
    say(x, before_of(x, x->rcv) != after_of(x, x->rcv) ? T_ICMP_ABORT : T_ICMP_SOFT);
}

static void b_invalid(ex *x)
{
    uint8_t f = x->seg->flags;
    say(x, T_INVALID);
    if ((f & TS_SYN) && (f & TS_FIN))
        say(x, T_INV_SYNFIN);
    else if ((f & TS_SYN) && (f & TS_RST))
        say(x, T_INV_SYNRST);
    else if (!(f & (TS_SYN | TS_FIN | TS_RST | TS_ACK)))
        say(x, T_INV_NULL);
    else if ((f & (TS_FIN | TS_PSH | TS_URG)) == (TS_FIN | TS_PSH | TS_URG))
        say(x, T_INV_XMAS);
    else
        say(x, T_INV_FIN);
    say(x, T_INV_TAIL);
}

typedef struct {
    void (*what)(ex *x);   /* what the segment does, with its arithmetic */
    const char *const *until; /* appended to the one side that keeps its state */
    const char *const *note;  /* said after the transitions */
    const char *const *analogy;
    const char *const *analogy_empty; /* used instead without payload, if set */
} stage_text;

/* Columns: builder, "until" of the side that stays, note, analogy (and
 * the analogy for a segment without payload). */

static const stage_text stage_texts[TS_STAGE_COUNT] = {
    [TS_STAGE_SYN]             = { b_syn,            NULL,         NULL,            A_SYN,            NULL },
    [TS_STAGE_SYNACK]          = { b_synack,         U_SYNACK,     NULL,            A_SYNACK,         NULL },
    [TS_STAGE_HS_ACK]          = { b_hs_ack,         NULL,         NULL,            A_HS_ACK,         NULL },
    [TS_STAGE_SIMOPEN_SYN]     = { b_simopen_syn,    NULL,         NULL,            A_SIMOPEN_SYN,    NULL },
    [TS_STAGE_SIMOPEN_SYNACK]  = { b_simopen_synack, NULL,         NULL,            A_SIMOPEN_SYNACK, NULL },
    [TS_STAGE_SIMOPEN_ACK]     = { b_simopen_ack,    NULL,         NULL,            A_SIMOPEN_ACK,    NULL },
    [TS_STAGE_DATA]            = { b_data,           NULL,         NULL,            A_DATA,           A_NOD },
    [TS_STAGE_CHALLENGE_ACK]   = { b_challenge,      NULL,         NULL,            A_CHALLENGE,      NULL },
    [TS_STAGE_FIN1]            = { b_fin1,           NULL,         NULL,            A_FIN1,           NULL },
    [TS_STAGE_FIN_ACK1]        = { b_fin_ack1,       U_CLOSE_WAIT, NULL,            A_FIN_ACK1,       NULL },
    [TS_STAGE_HALF_CLOSE]      = { b_half_close,     NULL,         NULL,            A_HALF,           NULL },
    [TS_STAGE_FIN2]            = { b_fin2,           NULL,         NULL,            A_FIN2,           NULL },
    [TS_STAGE_FINACK_COMBINED] = { b_finack,         NULL,         NULL,            A_FINACK,         NULL },
    [TS_STAGE_FINAL_ACK]       = { b_final_ack,      NULL,         T_TIME_WAIT,     A_FINAL_ACK,      NULL },
    [TS_STAGE_SIMCLOSE_FIN]    = { b_simclose_fin,   NULL,         T_SIMCLOSE_NOTE, A_SIMCLOSE_FIN,   NULL },
    [TS_STAGE_SIMCLOSE_ACK]    = { b_simclose_ack,   NULL,         NULL,            A_SIMCLOSE_ACK,   NULL },
    [TS_STAGE_RST_REFUSED]     = { b_refused,        NULL,         NULL,            A_REFUSED,        NULL },
    [TS_STAGE_RST_ABORT]       = { b_abort,          NULL,         NULL,            A_ABORT,          NULL },
    [TS_STAGE_RST_IGNORED]     = { b_rst_ignored,    NULL,         NULL,            A_RST_IGNORED,    NULL },
    [TS_STAGE_AFTER_RESET]     = { b_after_reset,    NULL,         NULL,            A_AFTER_RESET,    NULL },
    [TS_STAGE_AFTER_CLOSE]     = { b_after_close,    NULL,         NULL,            A_AFTER_CLOSE,    NULL },
    [TS_STAGE_INVALID]         = { b_invalid,        NULL,         NULL,            A_INVALID,        NULL },
    [TS_STAGE_OUT_OF_WINDOW]   = { b_out_of_window,  NULL,         NULL,            A_OUT_OF_WINDOW,  NULL },
    [TS_STAGE_ICMP_UNREACH]    = { b_icmp,           NULL,         NULL,            A_ICMP,           NULL },
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
    expand(x, (x->from == x->to ? T_STAY : T_MOVE)[x->lang]);
}

/* "Client SYN-SENT -> ESTABLISHED; server stays SYN-RECEIVED until ...". */
static void transitions(ex *x, const char *const *until)
{
    int cl_moves = before_of(x, TS_CLIENT) != after_of(x, TS_CLIENT);
    int sv_moves = before_of(x, TS_SERVER) != after_of(x, TS_SERVER);
    const char *u = (until && !(x->r->rflags & TS_REC_RETRANS)) ? until[x->lang] : NULL;
    size_t at;
    if (!cl_moves && !sv_moves) {
        x->from = after_of(x, TS_CLIENT);
        x->to = after_of(x, TS_SERVER);
        say(x, T_NO_CHANGE);
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
 * the receiver kept the state the retransmission proved. */
static int undelivered_shown(const ex *x)
{
    unsigned kept;
    int slot;
    if (x->r->rflags & TS_REC_ICMP)
        return 0;
    slot = ts_conn_undelivered(x->c, x->seg->frame, x->rcv, &kept);
    return (slot && before_of(x, x->rcv) == kept && after_of(x, x->rcv) == kept) ? slot : 0;
}

static void explain(ex *x, int analogy)
{
    static const stage_text unknown = { NULL, NULL, NULL, NULL, NULL };
    const char *const *a;
    const stage_text *t = x->stage < TS_STAGE_COUNT ? &stage_texts[x->stage] : &unknown;
    if (x->r->rflags & TS_REC_RETRANS)
        say(x, T_RETRANS);
    if (t->what)
        t->what(x);
    else
        say(x, T_UNKNOWN);
    transitions(x, t->until);
    if (t->note)
        say(x, t->note);
    if (x->r->rflags & TS_REC_SYN_UNHEARD)
        say(x, T_SYN_UNHEARD);
    switch (undelivered_shown(x)) {
    case 0: break;
    case 3: say(x, T_FIN_UNDELIVERED); break;
    default: say(x, T_UNDELIVERED); break;
    }
    if (x->r->rflags & TS_REC_ONE_SIDED)
        say(x, T_ONE_SIDED);
    else if (x->r->rflags & TS_REC_INFERRED)
        say(x, T_INFERRED);
    a = (!x->seg->len && t->analogy_empty) ? t->analogy_empty : t->analogy;
    if (analogy && a) {
        if (x->out.len)
            sb_str(&x->out, x->w->sentence_sep);
        sb_str(&x->out, x->w->analogy);
        expand(x, a[x->lang]);
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
        say(&x, T_NO_CONN);
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
