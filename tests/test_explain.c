/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for ts_explain(): feeds whole connections through the core and
 * checks the key phrases and numbers of each explanation, in English and
 * Chinese, with and without the analogy, and safe truncation.
 *
 * Build (from the repository root):
 *   cc -std=c99 -Wall -Wextra -Iplugin -o test_explain tests/test_explain.c \
 *      $(ls plugin/tcpstate_*.c | grep -Ev '/tcpstate_(taps?|glue)(_[a-z0-9_]+)?\.c$')
 * Run: ./test_explain [-v]   (-v prints every explanation of the scenarios)
 * Exit status 0 when every check passes.
 */
#include "tcpstate_core.h"
#include "tcpstate_explain.h"
#include "tcpstate_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { A = 1, B = 0 };          /* from_a: A is the first sender */
enum { MAXPKT = 16 };

typedef struct {
    ts_stream  stream;
    ts_segment seg[MAXPKT];
    ts_record  rec[MAXPKT];
    int        n;
} scenario;

static int failures, checks, verbose;

/* Every block the core asks for (connections, one-sided shadows, Zeek's
 * records of earlier Zeek connections) is kept here and freed by finish():
 * the core hands its memory to the caller's allocator and never frees it. */
static void  *blocks[4 * MAXPKT];
static size_t nblocks;

static void *zalloc(void *ctx, size_t size)
{
    void *p = calloc(1, size);
    (void)ctx;
    if (p && nblocks < sizeof blocks / sizeof blocks[0])
        blocks[nblocks++] = p;
    return p;
}

static void start(scenario *s)
{
    memset(s, 0, sizeof *s);
    ts_stream_init(&s->stream, zalloc, NULL);
}

/* One segment; A is the client at port 40000, B the server at port 80. */
static void pkt(scenario *s, int from_a, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
    ts_segment *g = &s->seg[s->n];
    g->frame = (uint32_t)s->n + 1;
    g->ts_ns = 1000000000LL + (int64_t)s->n * 1000000LL;
    g->from_a = (uint8_t)from_a;
    g->flags = flags;
    g->seq = seq;
    g->ack = ack;
    g->len = len;
    g->win = 65535;
    g->sport = from_a ? 40000 : 80;
    g->dport = from_a ? 80 : 40000;
    ts_stream_process(&s->stream, g, &s->rec[s->n]);
    s->n++;
}

static void finish(scenario *s)
{
    while (nblocks)
        free(blocks[--nblocks]);
    s->stream.first = s->stream.current = NULL;
}

static const char *text(const scenario *s, int i, ts_lang lang, int analogy)
{
    static char buf[8][2048];
    static int next;
    char *b = buf[next++ % 8];
    ts_explain(&s->rec[i], &s->seg[i], lang, analogy, b, sizeof buf[0]);
    return b;
}

static void check(int ok, const char *what, const char *got)
{
    checks++;
    if (ok)
        return;
    failures++;
    printf("FAIL: %s\n      in: %s\n", what, got ? got : "(null)");
}

static void has(const scenario *s, int i, ts_lang lang, const char *phrase)
{
    const char *t = text(s, i, lang, 0);
    char what[256];
    snprintf(what, sizeof what, "packet %d (%s) contains \"%s\"", i + 1,
             lang == TS_LANG_ZH ? "zh" : "en", phrase);
    check(strstr(t, phrase) != NULL, what, t);
}

static void stage_is(const scenario *s, int i, unsigned stage)
{
    char what[160];
    snprintf(what, sizeof what, "packet %d stage is \"%s\"", i + 1, ts_stage_label(stage));
    check(ts_final_stage(&s->rec[i]) == stage, what, ts_stage_label(ts_final_stage(&s->rec[i])));
}

/* Strict UTF-8 check (no overlongs, no surrogates, nothing above U+10FFFF). */
static int valid_utf8(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    while (*u) {
        unsigned n, cp;
        if (*u < 0x80) { u++; continue; }
        if ((*u & 0xE0) == 0xC0)      { n = 1; cp = *u & 0x1F; }
        else if ((*u & 0xF0) == 0xE0) { n = 2; cp = *u & 0x0F; }
        else if ((*u & 0xF8) == 0xF0) { n = 3; cp = *u & 0x07; }
        else return 0;
        for (unsigned k = 1; k <= n; k++) {
            if ((u[k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (u[k] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        u += n + 1;
    }
    return 1;
}

/* Every buffer size from 1 up: NUL-terminated, valid UTF-8, a prefix of
 * the full text, nothing written past the end. */
static void check_truncation(const scenario *s, int i, ts_lang lang)
{
    char full[2048], small[2048 + 8];
    size_t n = ts_explain(&s->rec[i], &s->seg[i], lang, 1, full, sizeof full);
    check(n == strlen(full) && n > 0, "return value is the text length", full);
    for (size_t size = 1; size <= n + 1; size++) {
        size_t got;
        int ok;
        memset(small, 'X', sizeof small);
        got = ts_explain(&s->rec[i], &s->seg[i], lang, 1, small, size);
        ok = got < size && small[got] == '\0' && strlen(small) == got && small[size] == 'X' &&
             valid_utf8(small) && strncmp(small, full, got) == 0 &&
             got + 4 > (size - 1 < n ? size - 1 : n);
        if (!ok || size == 1 || size == 2 || size == 7) {
            char what[96];
            snprintf(what, sizeof what, "%s buffer of %zu bytes: terminated, valid UTF-8, prefix",
                     lang == TS_LANG_ZH ? "zh" : "en", size);
            check(ok, what, small);
            if (!ok)
                return;
        }
    }
    check(ts_explain(&s->rec[i], &s->seg[i], lang, 1, small, 0) == 0, "bufsize 0 writes nothing", "");
}

static void dump(const scenario *s, const char *name)
{
    if (!verbose)
        return;
    printf("== %s\n", name);
    for (int i = 0; i < s->n; i++) {
        printf("%d. [%s]\n   EN: %s\n   ZH: %s\n", i + 1,
               ts_stage_label(ts_final_stage(&s->rec[i])), text(s, i, TS_LANG_EN, 1),
               text(s, i, TS_LANG_ZH, 1));
    }
}

/* ISNs 1000 (client) and 3000 (server); 5 bytes from the client; the
 * client closes first (four-way close). */
static void test_normal(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_PSH | TS_ACK, 1001, 3001, 5);
    pkt(&s, B, TS_ACK, 3001, 1006, 0);
    pkt(&s, A, TS_FIN | TS_ACK, 1006, 3001, 0);
    pkt(&s, B, TS_ACK, 3001, 1007, 0);
    pkt(&s, B, TS_FIN | TS_ACK, 3001, 1007, 0);
    pkt(&s, A, TS_ACK, 1007, 3002, 0);
    dump(&s, "normal connection");

    stage_is(&s, 0, TS_STAGE_SYN);
    stage_is(&s, 1, TS_STAGE_SYNACK);
    stage_is(&s, 2, TS_STAGE_HS_ACK);
    stage_is(&s, 3, TS_STAGE_DATA);
    stage_is(&s, 4, TS_STAGE_DATA);
    stage_is(&s, 5, TS_STAGE_FIN1);
    stage_is(&s, 6, TS_STAGE_FIN_ACK1);
    stage_is(&s, 7, TS_STAGE_FIN2);
    stage_is(&s, 8, TS_STAGE_FINAL_ACK);

    has(&s, 0, TS_LANG_EN, "ISN) 1000 (relative 0)");
    has(&s, 0, TS_LANG_EN, "ack 1001 (relative 1)");
    has(&s, 0, TS_LANG_EN, "Client CLOSED -> SYN-SENT; server LISTEN -> SYN-RECEIVED.");

    has(&s, 1, TS_LANG_EN, "ack 1001");
    has(&s, 1, TS_LANG_EN, "ISN 1000 + 1");
    has(&s, 1, TS_LANG_EN, "ISN 3000 (relative 0)");
    has(&s, 1, TS_LANG_EN, "the SYN consumes one sequence number");
    has(&s, 1, TS_LANG_EN, "Client SYN-SENT -> ESTABLISHED; server stays SYN-RECEIVED until the third ACK.");
    has(&s, 1, TS_LANG_ZH, "三次握手");
    has(&s, 1, TS_LANG_ZH, "确认号 1001");
    has(&s, 1, TS_LANG_ZH, "ISN 1000 + 1");
    has(&s, 1, TS_LANG_ZH, "3000");
    has(&s, 1, TS_LANG_ZH, "客户端 SYN-SENT → ESTABLISHED；服务端保持 SYN-RECEIVED");

    has(&s, 2, TS_LANG_EN, "ack 3001 (relative 1) = server ISN 3000 + 1");
    has(&s, 2, TS_LANG_EN, "server SYN-RECEIVED -> ESTABLISHED");
    has(&s, 2, TS_LANG_ZH, "三次握手（第3步）");

    has(&s, 3, TS_LANG_EN, "5 bytes");
    has(&s, 3, TS_LANG_EN, "seq 1001-1005 (relative 1-5)");
    has(&s, 3, TS_LANG_EN, "ack 1006 (relative 6)");
    has(&s, 3, TS_LANG_EN, "No state change: client ESTABLISHED, server ESTABLISHED.");
    has(&s, 3, TS_LANG_ZH, "5 字节数据，序列号 1001-1005（相对 1-5）");
    has(&s, 4, TS_LANG_EN, "ACK without data: ack 1006 (relative 6)");

    has(&s, 5, TS_LANG_EN, "FIN at seq 1006 (relative 6)");
    has(&s, 5, TS_LANG_EN, "initiator (active close)");
    has(&s, 5, TS_LANG_EN, "recipient (passive close)");
    has(&s, 5, TS_LANG_EN, "ack 1007 (relative 7)");
    has(&s, 5, TS_LANG_EN, "Client ESTABLISHED -> FIN-WAIT-1; server ESTABLISHED -> CLOSE-WAIT.");
    has(&s, 5, TS_LANG_ZH, "四次挥手第1步");
    has(&s, 5, TS_LANG_ZH, "客户端是主动关闭方，服务端是被动关闭方");

    has(&s, 6, TS_LANG_EN, "ack 1007 (relative 7) = FIN seq 1006 + 1");
    has(&s, 6, TS_LANG_EN, "FIN consumes one sequence number");
    has(&s, 6, TS_LANG_EN, "Client FIN-WAIT-1 -> FIN-WAIT-2; server stays CLOSE-WAIT (it may still send data: half-close).");
    has(&s, 6, TS_LANG_ZH, "确认号 1007（相对 7）= FIN 序列号 1006 + 1");

    has(&s, 7, TS_LANG_EN, "FIN at seq 3001 (relative 1)");
    has(&s, 7, TS_LANG_EN, "ack 3002 (relative 2)");
    has(&s, 7, TS_LANG_EN, "Client FIN-WAIT-2 -> TIME-WAIT; server CLOSE-WAIT -> LAST-ACK.");

    has(&s, 8, TS_LANG_EN, "ack 3002 (relative 2) = FIN seq 3001 + 1");
    has(&s, 8, TS_LANG_EN, "TIME-WAIT for 2 MSL");
    has(&s, 8, TS_LANG_EN, "Client stays TIME-WAIT; server LAST-ACK -> CLOSED.");
    has(&s, 8, TS_LANG_EN, "initiator (client)");
    has(&s, 8, TS_LANG_ZH, "四次挥手第4步");
    has(&s, 8, TS_LANG_ZH, "主动关闭方（客户端）在 TIME-WAIT 停留 2 MSL");

    /* the analogy adds a sentence in both languages */
    for (int i = 0; i < s.n; i++) {
        const char *en = text(&s, i, TS_LANG_EN, 0), *en_a = text(&s, i, TS_LANG_EN, 1);
        const char *zh = text(&s, i, TS_LANG_ZH, 0), *zh_a = text(&s, i, TS_LANG_ZH, 1);
        check(strlen(en_a) > strlen(en) && strncmp(en, en_a, strlen(en)) == 0 &&
              strstr(en_a, "Alice") && !strstr(en, "Alice"), "English analogy appended", en_a);
        check(strlen(zh_a) > strlen(zh) && strncmp(zh, zh_a, strlen(zh)) == 0 &&
              strstr(zh_a, "张三") && !strstr(zh, "张三"), "Chinese analogy appended", zh_a);
        check(valid_utf8(zh_a) && valid_utf8(en_a), "valid UTF-8", zh_a);
        check(!strstr(en_a, "{") && !strstr(zh_a, "{"), "every field expanded", en_a);
    }
    check(strstr(text(&s, 1, TS_LANG_EN, 1), "Bob nods back at Alice") != NULL,
          "SYN-ACK analogy names Bob first", text(&s, 1, TS_LANG_EN, 1));

    for (int i = 0; i < s.n; i++) {
        check_truncation(&s, i, TS_LANG_EN);
        check_truncation(&s, i, TS_LANG_ZH);
    }
    finish(&s);
}

static void test_refused(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_RST | TS_ACK, 0, 1001, 0);
    dump(&s, "refused");
    stage_is(&s, 1, TS_STAGE_RST_REFUSED);
    has(&s, 1, TS_LANG_EN, "refuses the connection");
    has(&s, 1, TS_LANG_EN, "ack 1001 (relative 1) = client ISN 1000 + 1");
    has(&s, 1, TS_LANG_EN, "Nothing listens on port 80, or a firewall");
    has(&s, 1, TS_LANG_EN, "Client SYN-SENT -> CLOSED");
    has(&s, 1, TS_LANG_ZH, "端口 80 上没有程序在监听");
    check_truncation(&s, 1, TS_LANG_ZH);
    finish(&s);
}

static void test_abort(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_PSH | TS_ACK, 1001, 3001, 10);
    pkt(&s, A, TS_RST | TS_ACK, 1011, 3001, 0);
    pkt(&s, B, TS_ACK, 3001, 1011, 0);
    dump(&s, "abort");
    stage_is(&s, 4, TS_STAGE_RST_ABORT);
    has(&s, 4, TS_LANG_EN, "aborts the connection with a RST at seq 1011 (relative 11)");
    has(&s, 4, TS_LANG_EN, "dropped at once");
    has(&s, 4, TS_LANG_EN, "discarded");
    has(&s, 4, TS_LANG_EN, "Client ESTABLISHED -> CLOSED; server ESTABLISHED -> CLOSED.");
    has(&s, 4, TS_LANG_ZH, "立即被丢弃");
    stage_is(&s, 5, TS_STAGE_AFTER_RESET);
    has(&s, 5, TS_LANG_EN, "The client reset this connection earlier, yet the server still sends");
    finish(&s);
}

/* Server closes with the ACK and its FIN in one segment; retransmitted FIN. */
static void test_finack_and_retrans(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_FIN | TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_FIN | TS_ACK, 3001, 1002, 0);
    pkt(&s, A, TS_ACK, 1002, 3002, 0);
    dump(&s, "FIN-ACK close with a retransmitted SYN");
    check((s.rec[1].rflags & TS_REC_RETRANS) != 0, "second SYN is a retransmission", "");
    has(&s, 1, TS_LANG_EN, "Retransmission: the same step again (Handshake 1/3: SYN)");
    has(&s, 1, TS_LANG_ZH, "重传");
    stage_is(&s, 5, TS_STAGE_FINACK_COMBINED);
    has(&s, 5, TS_LANG_EN, "ack 1002 (relative 2) = FIN seq 1001 + 1");
    has(&s, 5, TS_LANG_EN, "travel in one segment");
    has(&s, 5, TS_LANG_EN, "ack 3002 (relative 2)");
    has(&s, 5, TS_LANG_ZH, "四次挥手第2+3步");
    stage_is(&s, 6, TS_STAGE_FINAL_ACK);
    has(&s, 6, TS_LANG_EN, "2 MSL");
    finish(&s);
}

/* The server keeps sending after the client's FIN. */
static void test_half_close(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_FIN | TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_ACK, 3001, 1002, 0);
    pkt(&s, B, TS_PSH | TS_ACK, 3001, 1002, 100);
    pkt(&s, A, TS_ACK, 1002, 3101, 0);
    dump(&s, "half-close");
    stage_is(&s, 5, TS_STAGE_HALF_CLOSE);
    has(&s, 5, TS_LANG_EN, "Half-close: the client has closed its direction");
    has(&s, 5, TS_LANG_EN, "100 bytes");
    has(&s, 5, TS_LANG_EN, "3001-3100 (relative 1-100)");
    has(&s, 5, TS_LANG_ZH, "半关闭");
    stage_is(&s, 6, TS_STAGE_HALF_CLOSE);
    has(&s, 6, TS_LANG_EN, "the client has closed its own direction");
    finish(&s);
}

/* Capture starts mid-connection; an out-of-window RST; invalid flags. */
static void test_midstream_and_oddities(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_PSH | TS_ACK, 5001, 7001, 20);
    pkt(&s, B, TS_ACK, 7001, 5021, 0);
    /* mid-stream the window scale is unknown, so the core allows the largest
     * window (65535 << 14): the RST must lie beyond even that to be out of it */
    pkt(&s, B, TS_RST, 7001u + 0x50000000u, 0, 0);
    pkt(&s, A, TS_SYN | TS_FIN, 5021, 0, 0);
    pkt(&s, A, TS_FIN | TS_PSH | TS_URG, 5021, 0, 0);
    dump(&s, "mid-stream start, out-of-window RST, invalid flags");
    check((s.rec[0].rflags & TS_REC_INFERRED) != 0, "mid-stream record is inferred", "");
    has(&s, 0, TS_LANG_EN, "roles and states are inferred");
    has(&s, 0, TS_LANG_EN, "seq 5001-5020 (relative 1-20)");
    has(&s, 0, TS_LANG_ZH, "推断");
    stage_is(&s, 2, TS_STAGE_RST_IGNORED);
    has(&s, 2, TS_LANG_EN, "outside the client's receive window");
    has(&s, 2, TS_LANG_EN, "RFC 5961");
    stage_is(&s, 3, TS_STAGE_INVALID);
    has(&s, 3, TS_LANG_EN, "Invalid flag combination SYN+FIN");
    has(&s, 3, TS_LANG_EN, "cannot do both");
    stage_is(&s, 4, TS_STAGE_INVALID);
    has(&s, 4, TS_LANG_EN, "Xmas");
    check_truncation(&s, 3, TS_LANG_ZH);
    finish(&s);
}

/* Both SYNs cross; later both FINs cross. */
static void test_simultaneous(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN, 3000, 0, 0);
    pkt(&s, A, TS_SYN | TS_ACK, 1000, 3001, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_FIN | TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_FIN | TS_ACK, 3001, 1001, 0);
    pkt(&s, A, TS_ACK, 1002, 3002, 0);
    pkt(&s, B, TS_ACK, 3002, 1002, 0);
    dump(&s, "simultaneous open and close");
    stage_is(&s, 0, TS_STAGE_SIMOPEN_SYN);
    stage_is(&s, 1, TS_STAGE_SIMOPEN_SYN);
    has(&s, 1, TS_LANG_EN, "Simultaneous open");
    has(&s, 1, TS_LANG_ZH, "同时打开");
    stage_is(&s, 2, TS_STAGE_SIMOPEN_SYNACK);
    has(&s, 2, TS_LANG_EN, "ack 3001 (relative 1) = server ISN 3000 + 1");
    stage_is(&s, 4, TS_STAGE_SIMCLOSE_FIN);
    stage_is(&s, 5, TS_STAGE_SIMCLOSE_FIN);
    has(&s, 5, TS_LANG_EN, "Simultaneous close");
    has(&s, 5, TS_LANG_ZH, "同时关闭");
    stage_is(&s, 6, TS_STAGE_SIMCLOSE_ACK);
    has(&s, 6, TS_LANG_EN, "ack 3002 (relative 2) = FIN seq 3001 + 1");
    finish(&s);
}

/* An in-window RST that is not exact, answered by a challenge ACK. */
static void test_challenge(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_RST, 3101, 0, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    dump(&s, "challenge ACK");
    stage_is(&s, 3, TS_STAGE_RST_IGNORED);
    has(&s, 3, TS_LANG_EN, "inside the window but not exactly");
    has(&s, 3, TS_LANG_EN, "challenge ACK");
    stage_is(&s, 4, TS_STAGE_CHALLENGE_ACK);
    has(&s, 4, TS_LANG_EN, "Challenge ACK (RFC 5961)");
    has(&s, 4, TS_LANG_ZH, "挑战确认");
    finish(&s);
}

static void test_null_inputs(void)
{
    char buf[128];
    ts_record r;
    ts_segment g;
    memset(&r, 0, sizeof r);
    memset(&g, 0, sizeof g);
    check(ts_explain(NULL, NULL, TS_LANG_EN, 1, buf, sizeof buf) > 0 && valid_utf8(buf),
          "NULL record gives a text", buf);
    check(ts_explain(&r, &g, TS_LANG_ZH, 0, buf, sizeof buf) > 0 && valid_utf8(buf),
          "record without connection gives a text", buf);
    check(ts_explain(&r, &g, TS_LANG_ZH, 0, buf, 2) == 0 && buf[0] == '\0',
          "2-byte buffer cannot hold a Chinese character", buf);
    check(ts_explain(NULL, NULL, TS_LANG_EN, 0, NULL, 10) == 0, "NULL buffer", "");
}

/* hasnt: the phrase must not appear */
static void hasnt(const scenario *s, int i, ts_lang lang, const char *phrase)
{
    const char *t = text(s, i, lang, 0);
    char what[256];
    snprintf(what, sizeof what, "packet %d (%s) does not contain \"%s\"", i + 1,
             lang == TS_LANG_ZH ? "zh" : "en", phrase);
    check(strstr(t, phrase) == NULL, what, t);
}

/* Issue 11 defect 1: an unacceptable segment (RFC 9293 3.10.7.4) is named
 * for what it is and the receiver's expected reply, an ACK, is said. */
static void test_out_of_window(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_FIN | TS_ACK, 1001 + 500000, 3001, 0);  /* far beyond 1001 + 65535 */
    pkt(&s, A, TS_FIN | TS_ACK, 1001, 3001, 0);
    dump(&s, "out of window");
    stage_is(&s, 3, TS_STAGE_OUT_OF_WINDOW);
    has(&s, 3, TS_LANG_EN, "outside the server's receive window");
    has(&s, 3, TS_LANG_EN, "should answer with an ACK");
    has(&s, 3, TS_LANG_EN, "closes nothing");
    has(&s, 3, TS_LANG_EN, "No state change: client ESTABLISHED, server ESTABLISHED");
    has(&s, 3, TS_LANG_ZH, "回复一个 ACK");
    stage_is(&s, 4, TS_STAGE_FIN1);
    hasnt(&s, 4, TS_LANG_EN, "receive window");
    finish(&s);
}

/* Defect 9: a SYN-ACK acknowledging the SYN's data counts it (ISN + 1 + 100);
 * cookie-less Fast Open is named on the SYN once the SYN-ACK shows it.  Not
 * when the SYN-ACK acknowledges only the SYN. */
static void test_fast_open_arithmetic(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 100);                 /* data, no Fast Open option */
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1101, 0);
    pkt(&s, A, TS_ACK, 1101, 3001, 0);
    dump(&s, "fast open arithmetic");
    has(&s, 1, TS_LANG_EN, "= client ISN 1000 + 1 + 100: the SYN consumes one sequence number");
    has(&s, 1, TS_LANG_ZH, "1 + 100");
    hasnt(&s, 1, TS_LANG_EN, "ISN 1000 + 1:");
    has(&s, 0, TS_LANG_EN, "without a Fast Open cookie");
    finish(&s);
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 100);                 /* the data is not taken */
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    has(&s, 1, TS_LANG_EN, "= client ISN 1000 + 1: the SYN consumes one sequence number");
    has(&s, 0, TS_LANG_EN, "unusual without TCP Fast Open");
    finish(&s);
}

/* Defect 8: a RST the server then contradicts by sending from the same
 * TCB: with hindsight the text says it was forged, not half-open. */
static void test_forged_rst_text(void)
{
    scenario s;
    ts_record v;
    char buf[2048];
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_PSH | TS_ACK, 1001, 3001, 100);
    pkt(&s, B, TS_RST, 3001, 0, 0);
    pkt(&s, B, TS_PSH | TS_ACK, 3001, 1001, 300);
    hasnt(&s, 4, TS_LANG_EN, "middlebox forged");
    v = ts_hindsight(&s.rec[4], 5);
    ts_explain(&v, &s.seg[4], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "middlebox forged it") != NULL && strstr(buf, "half-open") == NULL,
          "hindsight: forged RST", buf);
    ts_explain(&v, &s.seg[4], TS_LANG_ZH, 0, buf, sizeof buf);
    check(strstr(buf, "伪造") != NULL && valid_utf8(buf), "hindsight zh: forged RST", buf);
    finish(&s);
}

/* spec_54: the RST without ACK at exactly the ack of the client's FIN,
 * from a server the model had in FIN-WAIT-2, is the reply of an endpoint
 * with no TCB (RFC 9293 3.10.7.1), not an abort: the text says so, in both
 * passes (the RST itself is the proof), and with hindsight the FIN says the
 * server no longer had the connection.  Must not: a RST-ACK there (the
 * TCB's own abort form on Linux) is still explained as an abort. */
static void test_fin_wait_2_expired_text(void)
{
    scenario s;
    ts_record v;
    char buf[2048];
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_FIN | TS_ACK, 3001, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3002, 0);
    pkt(&s, A, TS_FIN | TS_ACK, 1001, 3002, 0);
    pkt(&s, B, TS_RST, 3002, 0, 0);
    has(&s, 6, TS_LANG_EN, "reply of an endpoint with no connection");
    has(&s, 6, TS_LANG_EN, "tcp_fin_timeout");
    hasnt(&s, 6, TS_LANG_EN, "aborts the connection");
    hasnt(&s, 6, TS_LANG_EN, "half-open connection)");
    has(&s, 6, TS_LANG_ZH, "tcp_fin_timeout");
    hasnt(&s, 5, TS_LANG_EN, "no longer had this connection");
    v = ts_hindsight(&s.rec[5], 6);
    ts_explain(&v, &s.seg[5], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "no longer had this connection") != NULL, "hindsight: the FIN met no TCB", buf);
    ts_explain(&v, &s.seg[5], TS_LANG_ZH, 0, buf, sizeof buf);
    check(strstr(buf, "3.10.7.1") != NULL && valid_utf8(buf), "hindsight zh: the FIN met no TCB", buf);
    finish(&s);
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_FIN | TS_ACK, 3001, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3002, 0);
    pkt(&s, A, TS_FIN | TS_ACK, 1001, 3002, 0);
    pkt(&s, B, TS_RST | TS_ACK, 3002, 1002, 0);
    hasnt(&s, 6, TS_LANG_EN, "tcp_fin_timeout");
    v = ts_hindsight(&s.rec[5], 6);
    ts_explain(&v, &s.seg[5], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "no longer had this connection") == NULL, "RST-ACK: the FIN met a TCB", buf);
    finish(&s);
}

/* spec_85: a RST at the sender's SND.NXT, above the RCV.NXT the receiver's
 * own ACKs said (its bytes were lost after the capture point), answered by
 * the receiver's challenge ACK: with two passes the RST is "not accepted"
 * and the text says why (the receiver's ACKs, the lost bytes); one pass,
 * which took the RST, must not say so.  Must-not: a RST at exactly the
 * acknowledged RCV.NXT, whose receiver then ACKs (lost, not challenged). */
static void test_rst_challenged_text(void)
{
    scenario s;
    ts_record v;
    char buf[2048];
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 100);
    pkt(&s, B, TS_ACK, 3001, 1101, 100);
    pkt(&s, A, TS_ACK, 1101, 3001, 100);
    pkt(&s, B, TS_RST | TS_ACK, 3101, 1201, 0);
    pkt(&s, A, TS_ACK, 1201, 3001, 0);
    hasnt(&s, 6, TS_LANG_EN, "had not arrived");
    v = ts_hindsight(&s.rec[6], 7);
    ts_explain(&v, &s.seg[6], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "does not accept") != NULL && strstr(buf, "had not arrived") != NULL,
          "hindsight: the RST was not accepted, and why", buf);
    ts_explain(&v, &s.seg[6], TS_LANG_ZH, 0, buf, sizeof buf);
    check(strstr(buf, "RCV.NXT") != NULL && strstr(buf, "挑战确认") != NULL && valid_utf8(buf),
          "hindsight zh: the RST was not accepted, and why", buf);
    finish(&s);
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 100);
    pkt(&s, B, TS_ACK, 3001, 1101, 100);
    pkt(&s, A, TS_ACK, 1101, 3001, 100);
    pkt(&s, B, TS_RST | TS_ACK, 3001, 1201, 0);
    pkt(&s, A, TS_ACK, 1201, 3001, 0);
    v = ts_hindsight(&s.rec[6], 7);
    ts_explain(&v, &s.seg[6], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "had not arrived") == NULL, "a RST at RCV.NXT: lost, not challenged", buf);
    finish(&s);
}

/* spec_89: the third ACK of a handshake whose SYN-ACK the capture lacks
 * says that the SYN-ACK arrived and why (RFC 9293 3.10.7.3); the third ACK
 * of a captured handshake must not. */
static void test_synack_not_captured_text(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_ACK, 3001, 1001, 0);
    has(&s, 1, TS_LANG_EN, "SYN-ACK is not in the capture");
    has(&s, 1, TS_LANG_ZH, "3.10.7.3");
    finish(&s);
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    has(&s, 2, TS_LANG_EN, "completes the three-way handshake");
    hasnt(&s, 2, TS_LANG_EN, "not in the capture");
    finish(&s);
}

/* spec_11_fin_ack_crossed / spec_53: a final ACK that crossed the server's
 * resent FIN (the server's no-TCB RST to the second ACK proves the first
 * arrived) says, with two passes, that it arrived only after the resent
 * FIN; the final ACK that the resent FIN proves lost (no RST) must not. */
static void test_final_ack_crossed_text(void)
{
    scenario s;
    ts_record v;
    char buf[2048];
    for (int with_rst = 1; with_rst >= 0; with_rst--) {
        start(&s);
        pkt(&s, A, TS_SYN, 1000, 0, 0);
        pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
        pkt(&s, A, TS_ACK, 1001, 3001, 0);
        pkt(&s, A, TS_FIN | TS_ACK, 1001, 3001, 0);
        pkt(&s, B, TS_ACK, 3001, 1002, 0);
        pkt(&s, B, TS_FIN | TS_ACK, 3001, 1002, 0);
        pkt(&s, A, TS_ACK, 1002, 3002, 0);
        pkt(&s, B, TS_FIN | TS_ACK, 3001, 1002, 0);
        pkt(&s, A, TS_ACK, 1002, 3002, 0);
        if (with_rst)
            pkt(&s, B, TS_RST, 3002, 0, 0);
        v = ts_hindsight(&s.rec[6], 7);
        ts_explain(&v, &s.seg[6], TS_LANG_EN, 0, buf, sizeof buf);
        if (with_rst)
            check(strstr(buf, "still on its way when the server resent its FIN") != NULL,
                  "hindsight: the final ACK crossed the resent FIN", buf);
        else
            check(strstr(buf, "still on its way") == NULL, "a final ACK proved lost did not cross", buf);
        ts_explain(&v, &s.seg[6], TS_LANG_ZH, 0, buf, sizeof buf);
        check(valid_utf8(buf) && (strstr(buf, "3.10.7.1") != NULL) == with_rst,
              "hindsight zh: crossed only with the RST's proof", buf);
        finish(&s);
    }
}

/* ECN (RFC 3168): a SYN with ECE+CWR asks for it (6.1.1), a SYN-ACK with
 * ECE agrees (6.1.1), ECE later echoes a congestion mark (6.1.3), CWR
 * answers it (6.1.2); the explanation names each and changes no state.
 * Must-nots: a handshake and data without those flags say nothing of
 * ECN; a SYN-ACK with both ECE and CWR is no RFC 3168 agreement. */
static void test_ecn_text(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN | TS_ECE | TS_CWR, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK | TS_ECE, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_ACK | TS_PSH, 3001, 1001, 100);
    pkt(&s, A, TS_ACK | TS_ECE, 1001, 3101, 0);
    pkt(&s, B, TS_ACK | TS_PSH | TS_CWR, 3101, 1001, 100);
    has(&s, 0, TS_LANG_EN, "ask to use Explicit Congestion Notification");
    has(&s, 1, TS_LANG_EN, "agrees to use Explicit Congestion Notification");
    has(&s, 4, TS_LANG_EN, "ECE: the client echoes a congestion mark");
    has(&s, 5, TS_LANG_EN, "CWR: the server has reduced its congestion window");
    has(&s, 4, TS_LANG_ZH, "6.1.3");
    has(&s, 5, TS_LANG_ZH, "6.1.2");
    hasnt(&s, 2, TS_LANG_EN, "Congestion");
    hasnt(&s, 3, TS_LANG_EN, "congestion");
    hasnt(&s, 5, TS_LANG_EN, "ECE: ");
    finish(&s);
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK | TS_ECE | TS_CWR, 3000, 1001, 0);
    hasnt(&s, 0, TS_LANG_EN, "Congestion");
    hasnt(&s, 1, TS_LANG_EN, "agrees to use");
    finish(&s);
}

/* Defect 11: the third ACK a SYN-ACK retransmission proves lost says so
 * where the corrected states are shown (hindsight), not in the first pass. */
static void test_undelivered_ack(void)
{
    scenario s;
    ts_record v;
    char buf[2048];
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    hasnt(&s, 2, TS_LANG_EN, "lost after the capture point");
    v = ts_hindsight(&s.rec[2], 3);
    ts_explain(&v, &s.seg[2], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "lost after the capture point") != NULL, "hindsight: third ACK lost", buf);
    ts_explain(&v, &s.seg[2], TS_LANG_ZH, 0, buf, sizeof buf);
    check(strstr(buf, "捕获点之后丢失") != NULL && valid_utf8(buf), "hindsight zh: third ACK lost", buf);
    v = ts_hindsight(&s.rec[4], 5);
    ts_explain(&v, &s.seg[4], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "lost after the capture point") == NULL, "the ACK that arrived is not lost", buf);
    finish(&s);
}

/* A SYN-ACK the client's resent SYN proves lost (RFC 9293 3.10.7.3: a
 * SYN-SENT endpoint that gets an acceptable SYN-ACK ACKs it and resends no
 * SYN) says so where the corrected states are shown; the SYN-ACK that does
 * arrive does not.  A SYN-ACK answered by a bare RST at its ack met no
 * connection (3.10.7.1), and the text says that instead. */
static void test_undelivered_synack(void)
{
    scenario s;
    ts_record v;
    char buf[2048];
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    hasnt(&s, 1, TS_LANG_EN, "never got this segment");
    v = ts_hindsight(&s.rec[1], 2);
    ts_explain(&v, &s.seg[1], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "never got this segment") != NULL && strstr(buf, "-> ESTABLISHED") == NULL,
          "hindsight: SYN-ACK lost", buf);
    ts_explain(&v, &s.seg[1], TS_LANG_ZH, 0, buf, sizeof buf);
    check(strstr(buf, "捕获点之后丢失") != NULL && valid_utf8(buf), "hindsight zh: SYN-ACK lost", buf);
    v = ts_hindsight(&s.rec[3], 4);
    ts_explain(&v, &s.seg[3], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "never got this segment") == NULL, "the SYN-ACK that arrived is not lost", buf);
    finish(&s);

    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_RST, 1001, 0, 0);
    v = ts_hindsight(&s.rec[2], 3);
    ts_explain(&v, &s.seg[2], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "no longer had this connection") != NULL && strstr(buf, "never got") == NULL,
          "hindsight: SYN-ACK met no connection", buf);
    ts_explain(&v, &s.seg[2], TS_LANG_ZH, 0, buf, sizeof buf);
    check(strstr(buf, "没有这个连接") != NULL && valid_utf8(buf), "hindsight zh: SYN-ACK met no connection", buf);
    finish(&s);
}

/* Defect 3: a RST at the sender's own FIN sequence number is one below
 * RCV.NXT: dropped by the RFC, and the text says a Linux peer would not. */
static void test_rst_at_fin_seq(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_FIN | TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_ACK, 3001, 1002, 0);
    pkt(&s, A, TS_RST, 1001, 0, 0);
    pkt(&s, A, TS_RST, 1000 + 900000, 0, 0);             /* an ordinary blind reset */
    dump(&s, "RST at the FIN's seq");
    stage_is(&s, 5, TS_STAGE_RST_IGNORED);
    has(&s, 5, TS_LANG_EN, "sequence number of its own FIN");
    has(&s, 5, TS_LANG_EN, "A Linux server would behave differently");
    has(&s, 5, TS_LANG_ZH, "Linux");
    stage_is(&s, 6, TS_STAGE_RST_IGNORED);
    hasnt(&s, 6, TS_LANG_EN, "Linux");
    finish(&s);
}

/* Review F6: data in a SYN may wait until the connection is established
 * (RFC 9293 3.10.7.2), so an ack of ISN + 1 is a legitimate answer: the
 * SYN's text gives both acks and demands neither.  Must not: a SYN without
 * data keeps its one answer, ISN + 1. */
static void test_syn_data_either_ack(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 100);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);      /* the data is not taken */
    dump(&s, "SYN with data");
    has(&s, 0, TS_LANG_EN, "answers with ack 1001 (relative 1) = ISN + 1, or with ack 1101 (relative 101) "
                           "if it also takes the data");
    has(&s, 0, TS_LANG_EN, "3.10.7.2");
    hasnt(&s, 0, TS_LANG_EN, "must answer");
    has(&s, 0, TS_LANG_ZH, "以确认号 1001（相对 1）= ISN + 1 回应");
    has(&s, 0, TS_LANG_ZH, "1101");
    check(valid_utf8(text(&s, 0, TS_LANG_ZH, 0)), "zh SYN with data is valid UTF-8", text(&s, 0, TS_LANG_ZH, 0));
    finish(&s);
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    has(&s, 0, TS_LANG_EN, "must answer with ack 1001");
    hasnt(&s, 0, TS_LANG_EN, "takes the data");
    finish(&s);
}

/* Review F6, the SYN-ACK (tfo_server_off.pcap): it acknowledges the SYN
 * only, so the text names the 100 bytes it leaves for the client to send
 * again.  Must not: a SYN-ACK that does acknowledge them (Fast Open)
 * counts them instead, and a SYN without data has nothing left out. */
static void test_synack_leaves_syn_data(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 100);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    has(&s, 1, TS_LANG_EN, "The 100 bytes of data the SYN carried are not acknowledged");
    has(&s, 1, TS_LANG_EN, "sends them again");
    has(&s, 1, TS_LANG_ZH, "100 字节数据没有被确认");
    finish(&s);
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 100);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1101, 0);
    hasnt(&s, 1, TS_LANG_EN, "not acknowledged");
    finish(&s);
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    hasnt(&s, 1, TS_LANG_EN, "not acknowledged");
    finish(&s);
}

/* A RST at exactly RCV.NXT in TIME-WAIT (rfc1337_time_wait.pcap, spec_40):
 * RFC 9293 3.10.7.4 accepts it (one pass: "Reset: abort"), and the text
 * says a stack following RFC 1337 (Linux tcp_rfc1337=1) would not; once the
 * capture shows the TIME-WAIT kept (the old connection's ACK again), that
 * RST and the next are explained as ignored under RFC 1337.  Must not: an
 * abort outside TIME-WAIT says nothing of RFC 1337. */
static void test_time_wait_rst_texts(void)
{
    scenario s;
    ts_record v;
    char buf[2048];
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_FIN | TS_ACK, 1001, 3001, 0);
    pkt(&s, B, TS_ACK, 3001, 1002, 0);
    pkt(&s, B, TS_FIN | TS_ACK, 3001, 1002, 0);
    pkt(&s, A, TS_ACK, 1002, 3002, 0);           /* A in TIME-WAIT */
    pkt(&s, B, TS_SYN, 90000, 0, 0);             /* reverse SYN: connection 1 */
    pkt(&s, A, TS_ACK, 1002, 3002, 0);           /* challenge ACK of the old connection */
    pkt(&s, B, TS_RST, 3002, 0, 0);              /* at RCV.NXT: the RFC accepts it */
    pkt(&s, B, TS_SYN, 90000, 0, 0);
    pkt(&s, A, TS_ACK, 1002, 3002, 0);           /* the TIME-WAIT is still there */
    pkt(&s, B, TS_RST, 3002, 0, 0);
    dump(&s, "RST in TIME-WAIT");
    stage_is(&s, 9, TS_STAGE_RST_ABORT);
    has(&s, 9, TS_LANG_EN, "In TIME-WAIT RFC 9293 (section 3.10.7.4) accepts a RST at RCV.NXT");
    has(&s, 9, TS_LANG_EN, "net.ipv4.tcp_rfc1337=1");
    has(&s, 9, TS_LANG_ZH, "tcp_rfc1337=1");
    stage_is(&s, 12, TS_STAGE_RST_IGNORED);
    has(&s, 12, TS_LANG_EN, "ignores RSTs in TIME-WAIT as RFC 1337 recommends");
    hasnt(&s, 12, TS_LANG_EN, "challenge ACK");
    v = ts_hindsight(&s.rec[9], 10);
    ts_explain(&v, &s.seg[9], TS_LANG_EN, 0, buf, sizeof buf);
    check(strstr(buf, "ignores RSTs in TIME-WAIT") != NULL, "hindsight: the first RST was ignored", buf);
    ts_explain(&v, &s.seg[9], TS_LANG_ZH, 0, buf, sizeof buf);
    check(strstr(buf, "RFC 1337") != NULL && valid_utf8(buf), "hindsight zh: RFC 1337", buf);
    finish(&s);
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_RST, 1001, 0, 0);
    stage_is(&s, 3, TS_STAGE_RST_ABORT);
    hasnt(&s, 3, TS_LANG_EN, "RFC 1337");
    finish(&s);
}

/* Cell coverage (tests/cell-coverage.sh): which model cells these tests use. */
static void write_cell_hits(void)
{
    const char *path = getenv("TS_CELL_HITS");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        ts_model_write_hits(f, "test_explain");
        fclose(f);
    }
}

/* Defect 6: data answered by a RST, never acknowledged: with the whole
 * capture known, the explanation must not say the server acknowledges it. */
static void test_data_answered_by_rst(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_ACK | TS_PSH, 1001, 3001, 100);
    pkt(&s, B, TS_RST | TS_ACK, 3001, 1101, 0);
    dump(&s, "data answered by RST");
    has(&s, 3, TS_LANG_EN, "answers with a RST, not with an acknowledgment");
    hasnt(&s, 3, TS_LANG_EN, "acknowledges them with ack");
    has(&s, 3, TS_LANG_ZH, "RST");
    finish(&s);
    start(&s);                                   /* acknowledged, then reset: the usual words */
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_ACK | TS_PSH, 1001, 3001, 100);
    pkt(&s, B, TS_ACK, 3001, 1101, 0);
    pkt(&s, B, TS_RST | TS_ACK, 3001, 1101, 0);
    has(&s, 3, TS_LANG_EN, "acknowledges them with ack");
    finish(&s);
}

/* spec_48 (user timeout): a receiver's RCV.NXT is what its own ACKs say
 * (RFC 9293 3.3.1).  Data that no ACK of the server ever covers, in a
 * connection that is over (the client's no-TCB RST ended it), must not be
 * explained as "the server acknowledges them with ack N"; data the server
 * did acknowledge keeps those words (must not). */
static void test_data_never_acked(void)
{
    scenario s;
    start(&s);
    pkt(&s, A, TS_SYN, 1000, 0, 0);
    pkt(&s, B, TS_SYN | TS_ACK, 3000, 1001, 0);
    pkt(&s, A, TS_ACK, 1001, 3001, 0);
    pkt(&s, A, TS_ACK | TS_PSH, 1001, 3001, 100);     /* 4: acknowledged by 5 */
    pkt(&s, B, TS_ACK, 3001, 1101, 0);
    pkt(&s, A, TS_ACK | TS_PSH, 1101, 3001, 100);     /* 6: lost after the capture point */
    pkt(&s, A, TS_ACK | TS_PSH, 1101, 3001, 100);     /* 7: its retransmission */
    pkt(&s, B, TS_ACK | TS_PSH, 3001, 1101, 50);      /* 8: still acks 1101 */
    pkt(&s, A, TS_RST, 1101, 0, 0);                   /* 9: the client's no-TCB answer at RCV.NXT */
    dump(&s, "data never acknowledged");
    has(&s, 3, TS_LANG_EN, "acknowledges them with ack");
    hasnt(&s, 5, TS_LANG_EN, "acknowledges them");
    has(&s, 5, TS_LANG_EN, "no segment of the server in the capture acknowledges these bytes");
    hasnt(&s, 6, TS_LANG_EN, "acknowledges them");
    finish(&s);
}

int main(int argc, char **argv)
{
    verbose = argc > 1 && !strcmp(argv[1], "-v");
    test_normal();
    test_refused();
    test_abort();
    test_finack_and_retrans();
    test_half_close();
    test_midstream_and_oddities();
    test_simultaneous();
    test_challenge();
    test_null_inputs();
    test_out_of_window();
    test_fast_open_arithmetic();
    test_undelivered_ack();
    test_undelivered_synack();
    test_data_never_acked();
    test_forged_rst_text();
    test_fin_wait_2_expired_text();
    test_rst_challenged_text();
    test_synack_not_captured_text();
    test_final_ack_crossed_text();
    test_ecn_text();
    test_rst_at_fin_seq();
    test_syn_data_either_ack();
    test_synack_leaves_syn_data();
    test_time_wait_rst_texts();
    test_data_answered_by_rst();
    write_cell_hits();
    printf("%d checks, %d failed\n", checks, failures);
    return failures != 0;
}
