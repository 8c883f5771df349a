/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate labels: the tree's and the Info column's labels made once (see
 * tcpstate_labels.h).
 *
 * Each catalog format used here has only "%s" conversions; it is split at
 * them into literal pieces L0 %s L1 %s ... Ln, and the pieces are joined
 * with every value they can take, ahead of time:
 *
 *   header  title L0 stage L1 | role L2 before L3 after | L4 | role L5 before L6 after | L7
 *           (TX_TREE_HEADER_FMT; the parts between bars are made once each)
 *   Zeek    L0 name L1 description L2 | history | L3          (TX_ZEEK_LINE_FMT)
 *   conn    L0 outcome L1 | client L2 server L3 zeek L4 | anomalies
 *
 * All of it lives in one static arena (about 50 KB); nothing is freed.
 */
#include "tcpstate_labels.h"

#include <string.h>

#include "tcpstate_zeek.h"

typedef struct {
    const char *s;
    size_t len;
} span;

#define ARENA_BYTES (128 * 1024)
#define MAX_CONV 8

static char   arena[ARENA_BYTES];
static size_t arena_used;
static int    state;                    /* 0: not made, 1: made, -1: cannot */

/* Pieces made from the formats, per language. */
static span endpoint[TS_LANG_COUNT][2][TS_STATE_COUNT][TS_STATE_COUNT];
static span info[TS_LANG_COUNT][TS_STAGE_COUNT];
static span head_prefix[TS_LANG_COUNT][TS_STAGE_COUNT];
static span head_side[TS_LANG_COUNT][2][TS_STATE_COUNT][TS_STATE_COUNT];
static span head_mid[TS_LANG_COUNT], head_close[TS_LANG_COUNT];
static span zeek_prefix[TS_LANG_COUNT][TS_ZK_COUNT];
static span zeek_close[TS_LANG_COUNT], zeek_empty[TS_LANG_COUNT];
static span conn_prefix[TS_LANG_COUNT][2][TS_OUTCOME_COUNT];
static span conn_lit[TS_LANG_COUNT][2][3];          /* L2, L3, L4 */
static span list_sep[TS_LANG_COUNT], none_word[TS_LANG_COUNT];
static span expl_prefix[TS_LANG_COUNT], expl_close[TS_LANG_COUNT];
static span value_lit[TS_LANG_COUNT][3];            /* TX_LABEL_VALUE_FMT's literals */
/* Names that are never translated. */
static span state_names[TS_STATE_COUNT], zeek_names[TS_ZK_COUNT], anomaly_names[TS_ANOMALY_COUNT];

static span of(const char *s)
{
    span p;
    p.s = s;
    p.len = strlen(s);
    return p;
}

/* A string in the arena made of n spans; an empty span when full. */
static span join(const span *parts, unsigned n)
{
    span out = { "", 0 };
    size_t total = 0, at;
    unsigned i;

    for (i = 0; i < n; i++)
        total += parts[i].len;
    if (total + 1 > ARENA_BYTES - arena_used) {
        state = -1;
        return out;
    }
    at = arena_used;
    for (i = 0; i < n; i++) {
        memcpy(arena + arena_used, parts[i].s, parts[i].len);
        arena_used += parts[i].len;
    }
    arena[arena_used++] = '\0';
    out.s = arena + at;
    out.len = total;
    return out;
}

/* Splits fmt at its conversions into lit[0..want]: 1 when it has exactly
 * want conversions, all "%s" or "%.*s" (and no "%%"). */
static int split(const char *fmt, span *lit, unsigned want)
{
    unsigned n = 0;
    const char *p = fmt;

    for (;;) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            lit[n] = of(p);
            return n == want;
        }
        if (n == want)
            return 0;
        lit[n].s = p;
        lit[n].len = (size_t)(pct - p);
        n++;
        if (pct[1] == 's')
            p = pct + 2;
        else if (pct[1] == '.' && pct[2] == '*' && pct[3] == 's')
            p = pct + 4;            /* "%.*s": a text given with its length */
        else
            return 0;
    }
}

static int make_endpoint_and_header(ts_lang lang)
{
    static const ts_text_id titles[2] = { TX_CLIENT_TITLE, TX_SERVER_TITLE };
    static const ts_text_id words[2]  = { TX_CLIENT_WORD, TX_SERVER_WORD };
    span st[4], hd[8];
    unsigned role, b, a, stage;

    if ((unsigned)lang >= TS_LANG_COUNT || !split(ts_text(TX_STATES_FMT, lang), st, 3) ||
        !split(ts_text(TX_TREE_HEADER_FMT, lang), hd, 7))
        return 0;
    for (role = 0; role < 2; role++)
        for (b = 0; b < TS_STATE_COUNT; b++)
            for (a = 0; a < TS_STATE_COUNT; a++) {
                span e[7] = { st[0], of(ts_text(titles[role], lang)), st[1], state_names[b],
                              st[2], state_names[a], st[3] };
                span h[5] = { of(ts_text(words[role], lang)), hd[role ? 5 : 2], state_names[b],
                              hd[role ? 6 : 3], state_names[a] };
                endpoint[lang][role][b][a] = join(e, 7);
                head_side[lang][role][b][a] = join(h, 5);
            }
    for (stage = 0; stage < TS_STAGE_COUNT; stage++) {
        span h[4] = { of(ts_text(TX_TREE_TITLE, lang)), hd[0], of(ts_stage_label_in(stage, lang)), hd[1] };
        span i[3] = { of("["), of(ts_stage_label_in(stage, lang)), of("]") };
        head_prefix[lang][stage] = join(h, 4);
        info[lang][stage] = join(i, 3);
    }
    head_mid[lang] = join(&hd[4], 1);
    head_close[lang] = join(&hd[7], 1);
    return 1;
}

static int make_zeek_and_conn(ts_lang lang)
{
    static const ts_text_id conn_fmt[2] = { TX_CONN_SO_FAR_FMT, TX_CONN_FINAL_FMT };
    span zk[4], cn[5];
    unsigned z, f, o;

    if ((unsigned)lang >= TS_LANG_COUNT || !split(ts_text(TX_ZEEK_LINE_FMT, lang), zk, 3))
        return 0;
    for (z = 0; z < TS_ZK_COUNT; z++) {
        span p[5] = { zk[0], zeek_names[z], zk[1], of(ts_zeek_state_desc_in(z, lang)), zk[2] };
        zeek_prefix[lang][z] = join(p, 5);
    }
    zeek_close[lang] = join(&zk[3], 1);
    zeek_empty[lang] = of(ts_text(TX_EMPTY, lang));
    for (f = 0; f < 2; f++) {
        if (!split(ts_text(conn_fmt[f], lang), cn, 4))
            return 0;
        for (o = 0; o < TS_OUTCOME_COUNT; o++) {
            span p[3] = { cn[0], of(ts_outcome_label(o, lang)), cn[1] };
            conn_prefix[lang][f][o] = join(p, 3);
        }
        conn_lit[lang][f][0] = join(&cn[2], 1);
        conn_lit[lang][f][1] = join(&cn[3], 1);
        conn_lit[lang][f][2] = join(&cn[4], 1);
    }
    list_sep[lang] = of(ts_text(TX_LIST_SEP, lang));
    none_word[lang] = of(ts_text(TX_NONE_WORD, lang));
    return 1;
}

static int make_explanation(ts_lang lang)
{
    span ex[3];

    if ((unsigned)lang >= TS_LANG_COUNT || !split(ts_text(TX_LABEL_TEXT_FMT, lang), ex, 2))
        return 0;
    {
        span p[3] = { ex[0], of(ts_text(TX_LBL_EXPLANATION, lang)), ex[1] };
        expl_prefix[lang] = join(p, 3);
    }
    expl_close[lang] = join(&ex[2], 1);
    return 1;
}

static int make_value(ts_lang lang)
{
    span v[3];
    unsigned i;

    if ((unsigned)lang >= TS_LANG_COUNT || !split(ts_text(TX_LABEL_VALUE_FMT, lang), v, 2))
        return 0;
    for (i = 0; i < 3; i++)
        value_lit[lang][i] = join(&v[i], 1);
    return 1;
}

int ts_labels_init(void)
{
    unsigned i, lang;

    if (state)
        return state > 0;
    for (i = 0; i < TS_STATE_COUNT; i++)
        state_names[i] = of(ts_state_name(i));
    for (i = 0; i < TS_ZK_COUNT; i++)
        zeek_names[i] = of(ts_zeek_state_name(i));
    for (i = 0; i < TS_ANOMALY_COUNT; i++)
        anomaly_names[i] = of(ts_anomaly_name(i));
    state = 1;
    for (lang = 0; lang < TS_LANG_COUNT; lang++)
        if (!make_endpoint_and_header((ts_lang)lang) || !make_zeek_and_conn((ts_lang)lang) ||
            !make_explanation((ts_lang)lang) || !make_value((ts_lang)lang))
            state = -1;
    return state > 0;
}

static int ready(ts_lang lang)
{
    return state > 0 && (unsigned)lang < TS_LANG_COUNT;
}

const char *ts_label_endpoint(ts_lang lang, unsigned role, unsigned before, unsigned after)
{
    if (!ready(lang) || role > 1 || before >= TS_STATE_COUNT || after >= TS_STATE_COUNT)
        return NULL;
    return endpoint[lang][role][before][after].s;
}

const char *ts_label_info(ts_lang lang, unsigned stage, size_t *len)
{
    if (!ready(lang) || stage >= TS_STAGE_COUNT)
        return NULL;
    if (len)
        *len = info[lang][stage].len;
    return info[lang][stage].s;
}

/* Appends p at *at; 0 when it does not fit with the NUL. */
static int put(char *buf, size_t cap, size_t *at, span p)
{
    if (p.len >= cap - *at)
        return 0;
    memcpy(buf + *at, p.s, p.len);
    *at += p.len;
    return 1;
}

static size_t done(char *buf, size_t at)
{
    buf[at] = '\0';
    return at;
}

size_t ts_label_header(char *buf, size_t cap, ts_lang lang, unsigned stage,
                       unsigned client_before, unsigned client_after,
                       unsigned server_before, unsigned server_after)
{
    size_t at = 0;

    if (!ready(lang) || !buf || cap == 0 || stage >= TS_STAGE_COUNT ||
        client_before >= TS_STATE_COUNT || client_after >= TS_STATE_COUNT ||
        server_before >= TS_STATE_COUNT || server_after >= TS_STATE_COUNT)
        return (size_t)-1;
    if (!put(buf, cap, &at, head_prefix[lang][stage]) ||
        !put(buf, cap, &at, head_side[lang][TS_CLIENT][client_before][client_after]) ||
        !put(buf, cap, &at, head_mid[lang]) ||
        !put(buf, cap, &at, head_side[lang][TS_SERVER][server_before][server_after]) ||
        !put(buf, cap, &at, head_close[lang]))
        return (size_t)-1;
    return done(buf, at);
}

size_t ts_label_zeek(char *buf, size_t cap, ts_lang lang, unsigned zeek_state,
                     const char *hist, size_t hist_len)
{
    size_t at = 0;
    span h;

    if (!ready(lang) || !buf || cap == 0 || zeek_state >= TS_ZK_COUNT)
        return (size_t)-1;
    h.s = hist;
    h.len = hist_len;
    if (!hist_len)
        h = zeek_empty[lang];
    if (!put(buf, cap, &at, zeek_prefix[lang][zeek_state]) || !put(buf, cap, &at, h) ||
        !put(buf, cap, &at, zeek_close[lang]))
        return (size_t)-1;
    return done(buf, at);
}

size_t ts_label_conn(char *buf, size_t cap, ts_lang lang, int final, unsigned outcome,
                     unsigned client, unsigned server, unsigned zeek_state,
                     ts_anomaly_set anomalies)
{
    const span *lit;
    size_t at = 0;
    unsigned an, n = 0, f = final ? 1 : 0;

    if (!ready(lang) || !buf || cap == 0 || outcome >= TS_OUTCOME_COUNT ||
        client >= TS_STATE_COUNT || server >= TS_STATE_COUNT || zeek_state >= TS_ZK_COUNT)
        return (size_t)-1;
    lit = conn_lit[lang][f];
    if (!put(buf, cap, &at, conn_prefix[lang][f][outcome]) ||
        !put(buf, cap, &at, state_names[client]) || !put(buf, cap, &at, lit[0]) ||
        !put(buf, cap, &at, state_names[server]) || !put(buf, cap, &at, lit[1]) ||
        !put(buf, cap, &at, zeek_names[zeek_state]) || !put(buf, cap, &at, lit[2]))
        return (size_t)-1;
    for (an = 0; an < TS_ANOMALY_COUNT && (anomalies >> an); an++) {
        if (!(anomalies & TS_BIT(an)))
            continue;
        if ((n++ && !put(buf, cap, &at, list_sep[lang])) || !put(buf, cap, &at, anomaly_names[an]))
            return (size_t)-1;
    }
    if (!n && !put(buf, cap, &at, none_word[lang]))
        return (size_t)-1;
    return done(buf, at);
}

size_t ts_label_explanation(char *buf, size_t cap, ts_lang lang, const char *line, size_t len)
{
    size_t at = 0;
    span l;

    if (!ready(lang) || !buf || cap == 0 || !line)
        return (size_t)-1;
    l.s = line;
    l.len = len;
    if (!put(buf, cap, &at, expl_prefix[lang]) || !put(buf, cap, &at, l) ||
        !put(buf, cap, &at, expl_close[lang]))
        return (size_t)-1;
    return done(buf, at);
}

size_t ts_label_value(char *buf, size_t cap, ts_lang lang, const char *name, const char *value)
{
    size_t at = 0;
    const span *lit;

    if (!ready(lang) || !buf || cap == 0 || !name || !value)
        return (size_t)-1;
    lit = value_lit[lang];
    if (!put(buf, cap, &at, lit[0]) || !put(buf, cap, &at, of(name)) ||
        !put(buf, cap, &at, lit[1]) || !put(buf, cap, &at, of(value)) ||
        !put(buf, cap, &at, lit[2]))
        return (size_t)-1;
    return done(buf, at);
}
