/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for the message catalog (plugin/tcpstate_text.def), without tshark:
 *  - every id has a non-empty text in every language, valid UTF-8;
 *  - the printf conversions ("%s", "%u", "%.*s", "%llu") of a message are
 *    the same, in the same order, in every language (a Chinese text with a
 *    conversion missing or swapped would print garbage or crash);
 *  - the {name} fields of an explanation template are the same set in every
 *    language, and every one is a field tcpstate_explain.c knows;
 *  - what the core looks up through the catalog: every stage, phase,
 *    anomaly summary, outcome and Zeek description has a text in each
 *    language, and the English stage labels, phase names and outcomes (the
 *    filter values) are the ones the README and the filters use;
 *  - the Chinese texts keep to the terms chosen for the whole plugin: RST
 *    is 复位 (never 重置 or 重设), handshake/teardown are 三次握手/四次挥手, and a
 *    label's colon is the full-width one.
 */
#include "tcpstate_core.h"
#include "tcpstate_explain.h"
#include "tcpstate_text.h"

#include <stdio.h>
#include <string.h>

static int failures, checks;

static void check(int ok, const char *what, const char *id)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL: %s: %s\n", id, what);
    }
}

/* The printf conversions of s, one letter-terminated spec per entry,
 * written into out as "%s|%u|..." ("%%" is not a conversion). */
static void conversions(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (; *s; s++) {
        const char *start;
        if (*s != '%')
            continue;
        if (s[1] == '%') {
            s++;
            continue;
        }
        start = s++;
        while (*s && strchr("0123456789.*-+ #l", *s))
            s++;
        if (!*s)
            break;
        if (n + (size_t)(s - start) + 2 < cap) {
            memcpy(out + n, start, (size_t)(s - start) + 1);
            n += (size_t)(s - start) + 1;
            out[n++] = '|';
            out[n] = '\0';
        }
    }
}

/* Does template t use the field {name} (len bytes)? */
static int uses_field(const char *t, const char *name, size_t len)
{
    for (const char *o = strchr(t, '{'); o; o = strchr(o + 1, '{')) {
        const char *c = strchr(o, '}');
        if (c && (size_t)(c - o - 1) == len && !strncmp(o + 1, name, len))
            return 1;
    }
    return 0;
}

/* Every {field} of a is known and used by b too. */
static int fields_within(const char *a, const char *b, const char *id)
{
    int ok = 1;
    for (const char *o = strchr(a, '{'); o; o = strchr(o + 1, '{')) {
        const char *c = strchr(o, '}');
        size_t len;
        if (!c)
            return 0;
        len = (size_t)(c - o - 1);
        if (!ts_explain_knows_field(o + 1, len)) {
            printf("  %s: unknown field {%.*s}\n", id, (int)len, o + 1);
            ok = 0;
        }
        if (!uses_field(b, o + 1, len)) {
            printf("  %s: field {%.*s} missing in the other language\n", id, (int)len, o + 1);
            ok = 0;
        }
    }
    return ok;
}

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
              : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0)
            return 0;
        p++;
        while (n--) {
            if ((*p & 0xC0) != 0x80)
                return 0;
            p++;
        }
    }
    return 1;
}

static void test_every_entry(void)
{
    check(!strcmp(ts_text(TX_NONE, TS_LANG_EN), "") && !strcmp(ts_text(TX_NONE, TS_LANG_ZH), ""),
          "TX_NONE is empty", "TX_NONE");
    check(!strcmp(ts_text(TX_COUNT, TS_LANG_EN), ""), "out of range gives \"\"", "TX_COUNT");
    for (int id = 1; id < TX_COUNT; id++) {
        const char *name = ts_text_id_name((ts_text_id)id);
        const char *en = ts_text((ts_text_id)id, TS_LANG_EN);
        char conv[2][256];
        for (int l = 0; l < TS_LANG_COUNT; l++) {
            const char *t = ts_text((ts_text_id)id, (ts_lang)l);
            check(t && t[0], l == TS_LANG_EN ? "English text empty" : "Chinese text empty", name);
            check(t && valid_utf8(t), "not valid UTF-8", name);
            conversions(t ? t : "", conv[l], sizeof conv[l]);
        }
        check(!strcmp(conv[0], conv[1]), "printf conversions differ between languages", name);
        for (int l = 0; l < TS_LANG_COUNT; l++) {
            const char *a = ts_text((ts_text_id)id, (ts_lang)l);
            const char *b = ts_text((ts_text_id)id, (ts_lang)!l);
            check(fields_within(a, b, name), "{fields} differ between languages", name);
        }
        (void)en;
    }
}

static void test_core_lookups(void)
{
    char id[64];
    for (unsigned s = 0; s < TS_STAGE_COUNT; s++) {
        snprintf(id, sizeof id, "stage %u", s);
        check(ts_stage_label(s)[0] && ts_stage_label(s)[0] != '?', "stage has no English label", id);
        check(ts_stage_label_zh(s)[0] && ts_stage_label_zh(s)[0] != '?', "stage has no Chinese label", id);
        check(strcmp(ts_stage_label(s), ts_stage_label_zh(s)) != 0, "Chinese stage label is the English one", id);
        check(!strcmp(ts_stage_label_in(s, TS_LANG_EN), ts_stage_label(s)), "ts_stage_label_in(EN)", id);
    }
    for (unsigned p = 0; p < TS_PHASE_COUNT; p++) {
        snprintf(id, sizeof id, "phase %u", p);
        check(ts_phase_label(p, TS_LANG_ZH)[0] && strcmp(ts_phase_label(p, TS_LANG_ZH), ts_phase_name(p)),
              "phase has no Chinese label", id);
    }
    for (unsigned a = 0; a < TS_ANOMALY_COUNT; a++) {
        snprintf(id, sizeof id, "anomaly %s", ts_anomaly_name(a));
        check(ts_anomaly_summary(a)[0] && ts_anomaly_summary_in(a, TS_LANG_ZH)[0] &&
              strcmp(ts_anomaly_summary(a), ts_anomaly_summary_in(a, TS_LANG_ZH)),
              "anomaly summary missing in a language", id);
    }
    for (unsigned o = 0; o < TS_OUTCOME_COUNT; o++) {
        snprintf(id, sizeof id, "outcome %u", o);
        check(ts_outcome_label(o, TS_LANG_ZH)[0] && strcmp(ts_outcome_label(o, TS_LANG_ZH), ts_outcome_name(o)),
              "outcome has no Chinese label", id);
    }
    for (unsigned z = 0; z < TS_ZK_COUNT; z++) {
        snprintf(id, sizeof id, "Zeek state %s", ts_zeek_state_name(z));
        check(ts_zeek_state_desc(z)[0] && ts_zeek_state_desc_in(z, TS_LANG_ZH)[0],
              "Zeek description missing in a language", id);
    }
    for (unsigned w = 1; w < TS_ZSPLIT_COUNT; w++) {
        snprintf(id, sizeof id, "Zeek split %s", ts_zeek_split_name(w));
        check(ts_zeek_split_desc(w)[0] && ts_zeek_split_desc_in(w, TS_LANG_ZH)[0],
              "Zeek split reason missing in a language", id);
    }
    check(!strcmp(ts_zeek_split_desc(TS_ZSPLIT_NONE), ""), "no split: no text", "TS_ZSPLIT_NONE");
    /* filter values the README, the profile and saved filters use */
    check(!strcmp(ts_stage_label(TS_STAGE_SYNACK), "Handshake 2/3: SYN-ACK"), "filter value", "TS_STAGE_SYNACK");
    check(!strcmp(ts_stage_label(TS_STAGE_FINAL_ACK), "Teardown 4/4: final ACK"), "filter value", "TS_STAGE_FINAL_ACK");
    check(!strcmp(ts_phase_name(TS_PHASE_TEARDOWN), "teardown"), "filter value", "TS_PHASE_TEARDOWN");
    check(!strcmp(ts_outcome_name(TS_OUT_THREE_WAY), "three-packet close (FIN-ACK)"), "filter value", "TS_OUT_THREE_WAY");
}

/* One word for each thing, everywhere in Chinese. */
static void test_chinese_terms(void)
{
    static const char *const banned[] = {
        "重置", "重设",            /* RST is 复位 */
        "三路握手", "四路挥手",   /* the textbook terms are 三次握手 and 四次挥手 */
        "半打开", "半开放",       /* half-open is 半开连接 */
        "推断所得",               /* stiff: 由推断得出 */
        "挑战ACK",                /* 挑战确认 */
    };
    for (int id = 1; id < TX_COUNT; id++) {
        const char *zh = ts_text((ts_text_id)id, TS_LANG_ZH);
        for (size_t b = 0; b < sizeof banned / sizeof banned[0]; b++)
            check(!strstr(zh, banned[b]), banned[b], ts_text_id_name((ts_text_id)id));
    }
    check(strstr(ts_stage_label_zh(TS_STAGE_SYN), "三次握手") != NULL, "三次握手", "TS_STAGE_SYN");
    check(strstr(ts_stage_label_zh(TS_STAGE_FIN1), "四次挥手") != NULL, "四次挥手", "TS_STAGE_FIN1");
    check(strstr(ts_stage_label_zh(TS_STAGE_HALF_CLOSE), "半关闭") != NULL, "半关闭", "TS_STAGE_HALF_CLOSE");
    check(strstr(ts_anomaly_summary_in(TS_AN_HALF_OPEN, TS_LANG_ZH), "半开连接") != NULL, "半开连接", "TS_AN_HALF_OPEN");
    for (unsigned s = 0; s < TS_STAGE_COUNT; s++)
        if (strchr(ts_stage_label(s), ':'))
            check(strstr(ts_stage_label_zh(s), "：") != NULL && !strchr(ts_stage_label_zh(s), ':'),
                  "a Chinese label takes the full-width colon", ts_stage_label(s));
    check(!strcmp(ts_text(TX_LABEL_VALUE_FMT, TS_LANG_ZH), "%s：%s"), "label colon", "TX_LABEL_VALUE_FMT");
}

/* Every conversion of s is "%s" (and there are at most 8). */
int main(void)
{
    test_every_entry();
    test_core_lookups();
    test_chinese_terms();
    printf("%d checks, %d failures (%d messages)\n", checks, failures, TX_COUNT - 1);
    return failures ? 1 : 0;
}
