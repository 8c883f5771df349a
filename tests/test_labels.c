/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for the labels made once (plugin/tcpstate_labels.c), without
 * tshark: every label equals what the message catalog's format gives with
 * snprintf, for every stage, state pair, Zeek state, outcome and a spread of
 * anomaly sets, and the explanation's first line, in both languages; a label that does not fit the caller's
 * buffer, or a value out of range, is refused (the glue then formats it the
 * old way, so the tree says the same).
 */
#include "tcpstate_labels.h"
#include "tcpstate_zeek.h"

#include <stdio.h>
#include <string.h>

static int failures, checks;

static void check(int ok, const char *what)
{
    checks++;
    if (!ok && failures++ < 20)
        printf("FAIL: %s\n", what);
}

/* got (length n, or (size_t)-1) is want when want fits in cap, else refused. */
static void same(const char *got, size_t n, const char *want, size_t cap, const char *what)
{
    if (strlen(want) < cap)
        check(n == strlen(want) && !strcmp(got, want), what);
    else
        check(n == (size_t)-1, what);
}

static const char *word(ts_text_id id, ts_lang lang) { return ts_text(id, lang); }

static void test_endpoint_and_info(ts_lang lang)
{
    char want[512];
    size_t len;
    for (unsigned role = 0; role < 2; role++)
        for (unsigned b = 0; b < TS_STATE_COUNT; b++)
            for (unsigned a = 0; a < TS_STATE_COUNT; a++) {
                const char *got = ts_label_endpoint(lang, role, b, a);
                snprintf(want, sizeof want, word(TX_STATES_FMT, lang),
                         word(role ? TX_SERVER_TITLE : TX_CLIENT_TITLE, lang),
                         ts_state_name(b), ts_state_name(a));
                check(got && !strcmp(got, want), "endpoint label");
            }
    check(ts_label_endpoint(lang, 0, TS_STATE_COUNT, 0) == NULL, "endpoint out of range");
    for (unsigned s = 0; s < TS_STAGE_COUNT; s++) {
        const char *got = ts_label_info(lang, s, &len);
        snprintf(want, sizeof want, "[%s]", ts_stage_label_in(s, lang));
        check(got && !strcmp(got, want) && len == strlen(want), "info label");
    }
    check(ts_label_info(lang, TS_STAGE_COUNT, &len) == NULL, "info out of range");
}

static void header_case(ts_lang lang, unsigned s, unsigned cb, unsigned ca, unsigned sb, unsigned sa,
                        size_t cap)
{
    char want[1024], got[1024];
    size_t n;
    int k = snprintf(want, sizeof want, "%s", word(TX_TREE_TITLE, lang));
    snprintf(want + k, sizeof want - (size_t)k, word(TX_TREE_HEADER_FMT, lang),
             ts_stage_label_in(s, lang), word(TX_CLIENT_WORD, lang), ts_state_name(cb),
             ts_state_name(ca), word(TX_SERVER_WORD, lang), ts_state_name(sb), ts_state_name(sa));
    n = ts_label_header(got, cap, lang, s, cb, ca, sb, sa);
    same(got, n, want, cap, "header");
}

static void test_header(ts_lang lang)
{
    char buf[240];
    for (unsigned s = 0; s < TS_STAGE_COUNT; s++)
        for (unsigned b = 0; b < TS_STATE_COUNT; b++)
            for (unsigned a = 0; a < TS_STATE_COUNT; a++) {
                header_case(lang, s, b, a, TS_LISTEN, TS_SYN_RECEIVED, 240);
                header_case(lang, s, TS_SYN_SENT, TS_ESTABLISHED, b, a, 240);
            }
    header_case(lang, TS_STAGE_SYN, TS_CLOSED, TS_SYN_SENT, TS_LISTEN, TS_LISTEN, 40);
    check(ts_label_header(buf, sizeof buf, lang, TS_STAGE_COUNT, 0, 0, 0, 0) == (size_t)-1,
          "header stage out of range");
    check(ts_label_header(buf, sizeof buf, lang, 0, 0, 0, 0, TS_STATE_COUNT) == (size_t)-1,
          "header state out of range");
}

static void test_zeek(ts_lang lang)
{
    static const char *const hists[] = { "", "S", "ShADadFf" };
    char want[512], got[512];
    for (unsigned z = 0; z < TS_ZK_COUNT; z++)
        for (unsigned h = 0; h < 3; h++) {
            size_t n = ts_label_zeek(got, 240, lang, z, hists[h], strlen(hists[h]));
            snprintf(want, sizeof want, word(TX_ZEEK_LINE_FMT, lang), ts_zeek_state_name(z),
                     ts_zeek_state_desc_in(z, lang), hists[h][0] ? hists[h] : word(TX_EMPTY, lang));
            same(got, n, want, 240, "zeek line");
        }
    check(ts_label_zeek(got, sizeof got, lang, TS_ZK_COUNT, "S", 1) == (size_t)-1, "zeek out of range");
}

static void conn_case(ts_lang lang, int final, unsigned o, unsigned c, unsigned s, unsigned z,
                      ts_anomaly_set an)
{
    char want[2048], got[240];
    size_t n;
    unsigned k = 0;
    snprintf(want, sizeof want, word(final ? TX_CONN_FINAL_FMT : TX_CONN_SO_FAR_FMT, lang),
             ts_outcome_label(o, lang), ts_state_name(c), ts_state_name(s), ts_zeek_state_name(z));
    for (unsigned a = 0; a < TS_ANOMALY_COUNT; a++)
        if (an & TS_BIT(a)) {
            if (k++)
                strcat(want, word(TX_LIST_SEP, lang));
            strcat(want, ts_anomaly_name(a));
        }
    if (!k)
        strcat(want, word(TX_NONE_WORD, lang));
    n = ts_label_conn(got, sizeof got, lang, final, o, c, s, z, an);
    same(got, n, want, sizeof got, "connection line");
}

static void test_conn(ts_lang lang)
{
    char got[240];
    for (int f = 0; f < 2; f++)
        for (unsigned o = 0; o < TS_OUTCOME_COUNT; o++)
            for (unsigned z = 0; z < TS_ZK_COUNT; z++) {
                conn_case(lang, f, o, TS_TIME_WAIT, TS_CLOSED, z, 0);
                for (unsigned a = 0; a < TS_ANOMALY_COUNT; a++)
                    conn_case(lang, f, o, a % TS_STATE_COUNT, (a * 7) % TS_STATE_COUNT, z,
                              TS_BIT(a) | (a ? TS_BIT(a - 1) : 0));
                conn_case(lang, f, o, TS_ESTABLISHED, TS_ESTABLISHED, z,   /* too long: refused */
                          (ts_anomaly_set)(TS_BIT(TS_ANOMALY_COUNT - 1) | (TS_BIT(TS_ANOMALY_COUNT - 1) - 1)));
            }
    for (unsigned c = 0; c < TS_STATE_COUNT; c++)
        for (unsigned s = 0; s < TS_STATE_COUNT; s++)
            conn_case(lang, 1, 0, c, s, TS_ZK_SF, 0);
    check(ts_label_conn(got, sizeof got, lang, 1, TS_OUTCOME_COUNT, 0, 0, 0, 0) == (size_t)-1,
          "outcome out of range");
}

static void test_explanation(ts_lang lang)
{
    static const char text[] = "Client sends SYN: seq 100 (relative 0). Client CLOSED -> SYN-SENT.";
    char want[512], got[512];
    for (size_t n = 0; n < sizeof text; n += 7) {
        size_t k = ts_label_explanation(got, 240, lang, text, n);
        snprintf(want, sizeof want, word(TX_LABEL_TEXT_FMT, lang), word(TX_LBL_EXPLANATION, lang),
                 (int)n, text);
        same(got, k, want, 240, "explanation label");
    }
    check(ts_label_explanation(got, 10, lang, text, 30) == (size_t)-1, "explanation too long");
}

/* "name: value" for every field label of the catalog and a spread of values. */
static void test_value(ts_lang lang)
{
    static const char *values[] = { "", "handshake", "SYN-SENT", "Handshake 1/3: SYN",
                                    "\xe4\xb8\x89\xe6\xac\xa1" };
    static const ts_text_id names[] = { TX_LBL_STAGE, TX_LBL_PHASE, TX_LBL_CLIENT_BEFORE,
                                        TX_LBL_ZEEK_HISTORY, TX_LBL_RETRANSMISSION };
    char want[512], got[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            size_t k = ts_label_value(got, 240, lang, word(names[i], lang), values[v]);
            snprintf(want, sizeof want, word(TX_LABEL_VALUE_FMT, lang), word(names[i], lang),
                     values[v]);
            same(got, k, want, 240, "value label");
        }
    /* the glue labels numbers with it too: TX_LABEL_NUMBER_FMT is the same with %u */
    for (unsigned v = 0; v < 100000; v = v * 10 + 7) {
        char digits[16];
        snprintf(digits, sizeof digits, "%u", v);
        size_t k = ts_label_value(got, 240, lang, word(TX_LBL_CONN, lang), digits);
        snprintf(want, sizeof want, word(TX_LABEL_NUMBER_FMT, lang), word(TX_LBL_CONN, lang), v);
        same(got, k, want, 240, "number label");
    }
    check(ts_label_value(got, 8, lang, word(TX_LBL_STAGE, lang), "Handshake") == (size_t)-1,
          "value label too long");
}

int main(void)
{
    check(ts_labels_init(), "the catalog's formats split");
    check(ts_labels_init(), "init twice");
    for (int lang = 0; lang < TS_LANG_COUNT; lang++) {
        test_endpoint_and_info((ts_lang)lang);
        test_header((ts_lang)lang);
        test_zeek((ts_lang)lang);
        test_conn((ts_lang)lang);
        test_explanation((ts_lang)lang);
        test_value((ts_lang)lang);
    }
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
