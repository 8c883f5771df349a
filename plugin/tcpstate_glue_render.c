/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate glue: rendering.  From a frame's stored record (or its
 * hindsight view), on every pass: the "TCPState" subtree, the Info column
 * suffix and the expert infos; and, for the taps in one pass, a scratch
 * tree of the fields a second pass would show, to filter on at draw time.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/epan.h>
#include <epan/dfilter/dfilter.h>
#include <epan/epan_dissect.h>

#include "tcpstate_core.h"
#include "tcpstate_explain.h"
#include "tcpstate_labels.h"
#include "tcpstate_glue_private.h"

#define TS_EXPLAIN_MAX 2048
/* Width of the explanation's lines, in columns (a CJK character takes two):
 * what the packet details pane shows without scrolling in Wireshark's
 * default layout at 1600 pixels, bytes pane beside it (100 was cut off
 * by a few characters there). */
#define TS_WRAP_COLUMNS 90

/* Length in bytes of the UTF-8 character at p (1 for a stray byte). */
static size_t
utf8_len(const unsigned char *p)
{
    size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 1;
    size_t i;
    for (i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return i;
    return n;
}

/* How many of the first max bytes at p are ASCII (eight at a time: the
 * explanation is long and mostly ASCII in English). */
static size_t
ascii_run(const unsigned char *p, size_t max)
{
    const uint64_t high = 0x8080808080808080ull;
    size_t k = 0;
    uint64_t w;

    while (k + 8 <= max) {
        memcpy(&w, p + k, 8);
        if (w & high)
            break;
        k += 8;
    }
    while (k < max && p[k] < 0x80)
        k++;
    return k;
}

/* One past the last space in p[from, to), or 0. */
static size_t
after_last_space(const unsigned char *p, size_t from, size_t to)
{
    while (to > from)
        if (p[--to] == ' ')
            return to + 1;
    return 0;
}

/* Byte length of the next line of the len bytes of text that fits in
 * columns: up to the last space, or CJK comma/full stop/semicolon, that
 * fits; else as many whole characters as fit.  Three-byte characters are
 * CJK here (two columns): the explanations use no other.  ASCII runs are
 * taken whole (issue 14: a byte at a time was 5,400 instructions a packet). */
static size_t
wrap_len(const char *text, size_t len, unsigned columns)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0, cut = 0;
    unsigned used = 0;

    while (i < len) {
        size_t room = columns - used;
        size_t run = ascii_run(p + i, MIN(len - i, room + 1));
        size_t n, sp;
        unsigned w;

        if (run > room) {           /* an ASCII character that does not fit */
            sp = after_last_space(p, i, i + room);
            return sp ? sp : cut ? cut : i + room;
        }
        if (run) {                  /* ASCII up to a wider character or the end */
            sp = after_last_space(p, i, i + run);
            if (sp)
                cut = sp;
            used += (unsigned)run;
            i += run;
            continue;
        }
        n = utf8_len(p + i);
        w = n == 3 ? 2 : 1;
        if (used + w > columns)
            return cut ? cut : i;
        used += w;
        if (n == 3 && ((p[i] == 0xE3 && p[i + 1] == 0x80 && p[i + 2] == 0x82) ||  /* 。 */
                       (p[i] == 0xEF && p[i + 1] == 0xBC &&
                        (p[i + 2] == 0x8C || p[i + 2] == 0x9B))))                 /* ，； */
            cut = i + n;
        i += n;
    }
    return i;
}

/* A message of the catalog in the language in use. */
static const char *
tx(ts_text_id id)
{
    return ts_text(id, tcpstate_language());
}

/* Columns a text takes in a fixed-width view (CJK characters: two). */
static unsigned
display_cols(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    unsigned cols = 0;
    while (*p) {
        size_t n = utf8_len(p);
        cols += n == 3 ? 2 : 1;
        p += n;
    }
    return cols;
}

const char *
stage_label(unsigned stage)
{
    return ts_stage_label_in(stage, tcpstate_language());
}

/* The filter value of tcpstate.sender / tcpstate.closer: always English. */
static const char *
role_name(unsigned role)
{
    return ts_text(role == TS_CLIENT ? TX_CLIENT_WORD : TX_SERVER_WORD, TS_LANG_EN);
}

static proto_item *
add_gen(proto_item *pi)
{
    if (pi)
        proto_item_set_generated(pi);
    return pi;
}

/* ---- Labels made once ---------------------------------------------------------
 * A label formatted with several conversions costs Wireshark a vsnprintf
 * with a parse of its format on every packet.  The header, the
 * "Client: A -> B" items, the Zeek line and the whole-connection line are
 * copied together from pieces made once at registration from the catalog's
 * formats (tcpstate_labels.c), like the explanation's first line; each is
 * handed to Wireshark as one "%s" (issue 14).
 * Wireshark cuts a label at ITEM_LABEL_LENGTH and marks it "[truncated]"
 * when it is set whole, but cuts silently when it is appended to: so a
 * label is taken this way only when it is shorter than that limit (all of
 * them are, by far), and otherwise by the old path, which cuts it as it
 * always did. */

typedef struct {
    char   s[ITEM_LABEL_LENGTH];
    size_t n;
    gboolean ok;            /* everything fitted below ITEM_LABEL_LENGTH */
} label_buf;

/* A label from one of tcpstate_labels.c's functions: n its length, or
 * (size_t)-1 when it did not fit or a value was out of range. */
static gboolean
lb_took(label_buf *b, size_t n)
{
    b->n = n;
    b->ok = n != (size_t)-1;
    return b->ok;
}

/* Sets the label of pi, just added under parent, to the n bytes at s, as
 * proto_item_set_text(pi, "%s", s) or an _format variant with "%s" would,
 * without their vsnprintf (issue 14: about 700 instructions a label, and
 * a packet's tree has about nine).  Wireshark's own rules: no label for an
 * item it did not build (it returns the parent then) or a hidden one; the
 * label is the packet's memory, like Wireshark's.  A label that would
 * reach ITEM_LABEL_LENGTH takes the formatted path, which marks it
 * truncated.  Newer versions' item_label_t has more after the text (where
 * the value sits in it): zero there says "not known", as when Wireshark
 * makes a label it does not locate the value in. */
static void
set_label(proto_item *pi, proto_tree *parent, const char *s, size_t n)
{
    field_info *fi;
    item_label_t *rep;

    if (!pi || pi == parent || !(fi = PITEM_FINFO(pi)) || proto_item_is_hidden(pi))
        return;
    if (n >= ITEM_LABEL_LENGTH) {
        proto_item_set_text(pi, "%.*s", (int)n, s);
        return;
    }
    /* an item made with a format already has one: filled again */
    rep = fi->rep ? fi->rep : wmem_new(PNODE_POOL(pi), item_label_t);
    if (sizeof *rep > ITEM_LABEL_LENGTH)
        memset((char *)rep + ITEM_LABEL_LENGTH, 0, sizeof *rep - ITEM_LABEL_LENGTH);
    memcpy(rep->representation, s, n);
    rep->representation[n] = '\0';
    fi->rep = rep;
}

/* A string item whose label is the n bytes at label (see set_label). */
static proto_item *
add_string_labelled(proto_tree *t, tvbuff_t *tvb, int hf, const char *value,
                    const char *label, size_t n)
{
    proto_item *pi = proto_tree_add_string(t, hf, tvb, 0, 0, value);
    set_label(pi, t, label, n);
    return pi;
}

/* The anomaly's expert info, its text in the language in use: the Expert
 * Information dialog and _ws.expert.message show that text (the summary
 * registered with the field is the English one). */
static void
add_expert(packet_info *pinfo, proto_item *pi, unsigned an)
{
    if (tcpstate_language() == TS_LANG_ZH)
        expert_add_info_format(pinfo, pi, &ei_anomaly[an], "%s",
                               ts_anomaly_summary_in(an, TS_LANG_ZH));
    else
        expert_add_info(pinfo, pi, &ei_anomaly[an]);
}

/* ---- Chinese tree labels ------------------------------------------------------
 * In English every item keeps the label Wireshark builds from the field's
 * registered name.  In Chinese the glue writes the whole label itself; the
 * item's VALUE (what filters, -e and columns see) stays English, so saved
 * filters keep working in both languages.  RFC state names and Zeek codes
 * stay as written in the RFC and in Zeek's logs. */

static gboolean
in_chinese(void)
{
    return pref_language == TS_LANG_ZH;
}

static const char *
role_shown(unsigned role)
{
    return tx(role == TS_CLIENT ? TX_CLIENT_WORD : TX_SERVER_WORD);
}

/* ---- Labels shared between packets -------------------------------------------
 * Most items' labels are one of a small set: "Stage: Handshake 1/3: SYN",
 * "Client: SYN-SENT -> ESTABLISHED", the same catalog name and value on
 * packet after packet.  Such a label is made once, in an item_label_t of
 * its own that lives as long as the process, and an item shows it by
 * pointing to it: no allocation or copy per packet (issue 14: `tshark -V`
 * and the GUI otherwise have proto_item_fill_label format it, about 650
 * instructions an item).  Wireshark only reads an item's label after it is
 * set (printing, PDML, JSON, the GUI); it would write to or free it only in
 * proto_item_set_text/append_text/prepend_text, which nothing calls on
 * these items: never call them on an item labelled this way.  Keys are
 * the static strings of the catalog and of the fields' registration
 * (compared by address) and the language; a label made of anything else
 * (a Zeek history, a number) takes set_label. */

#define SHARED_SLOTS 2048           /* a power of two; at most half used */

typedef struct {
    const char *a, *b;              /* NULL a: unused slot */
    unsigned lang;
    item_label_t *label;
} shared_label;

static shared_label shared[SHARED_SLOTS];
static unsigned shared_used;

/* The slot of key (a, b, lang): the one holding it, or the empty one where
 * it would go. */
static shared_label *
shared_slot(const char *a, const char *b, unsigned lang)
{
    uint64_t h = ((uint64_t)(uintptr_t)a * 0x9E3779B97F4A7C15ull) ^
                 ((uint64_t)(uintptr_t)b * 0xC2B2AE3D27D4EB4Full) ^ lang;
    unsigned i = (unsigned)(h >> 40) & (SHARED_SLOTS - 1);

    while (shared[i].a && (shared[i].a != a || shared[i].b != b || shared[i].lang != lang))
        i = (i + 1) & (SHARED_SLOTS - 1);
    return &shared[i];
}

/* A label kept for key (a, b, lang) whose text is the n bytes at text
 * (n < ITEM_LABEL_LENGTH), or NULL when the table is full. */
static item_label_t *
shared_keep(shared_label *slot, const char *a, const char *b, unsigned lang,
            const char *text, size_t n)
{
    if (shared_used >= SHARED_SLOTS / 2)
        return NULL;
    slot->label = g_new0(item_label_t, 1);
    memcpy(slot->label->representation, text, n);
    slot->label->representation[n] = '\0';
    slot->a = a;
    slot->b = b;
    slot->lang = lang;
    shared_used++;
    return slot->label;
}

/* pi, just added under parent, shows label (see above); Wireshark's rules
 * as in set_label. */
static void
show_shared(proto_item *pi, proto_tree *parent, item_label_t *label)
{
    field_info *fi;

    if (pi && pi != parent && (fi = PITEM_FINFO(pi)) && !proto_item_is_hidden(pi))
        fi->rep = label;
}

/* pi shows the label TX_LABEL_VALUE_FMT makes of name and value ("Stage:
 * Handshake 1/3: SYN"): shared when both are static (kept), else its own
 * copy.  FALSE when it would not fit below ITEM_LABEL_LENGTH (nothing is
 * done then). */
static gboolean
set_value_label(proto_item *pi, proto_tree *parent, const char *name, const char *value,
                gboolean kept, item_label_t **site)
{
    unsigned lang = (unsigned)tcpstate_language();
    shared_label *slot = NULL;
    label_buf b;

    if (!pi || pi == parent || !PITEM_FINFO(pi) || proto_item_is_hidden(pi))
        return TRUE;                /* Wireshark would not label it either */
    if (kept && (slot = shared_slot(name, value, lang))->a) {
        show_shared(pi, parent, slot->label);
    } else if (!lb_took(&b, ts_label_value(b.s, sizeof b.s, (ts_lang)lang, name, value))) {
        return FALSE;
    } else if (slot && shared_keep(slot, name, value, lang, b.s, b.n)) {
        show_shared(pi, parent, slot->label);
    } else {
        set_label(pi, parent, b.s, b.n);
        return TRUE;
    }
    if (site)
        *site = slot->label;
    return TRUE;
}

/* pi shows the static label text of n bytes, shared. */
static void
set_static_label(proto_item *pi, proto_tree *parent, const char *text, size_t n)
{
    unsigned lang = (unsigned)tcpstate_language();
    shared_label *slot;

    if (!pi || pi == parent || !PITEM_FINFO(pi) || proto_item_is_hidden(pi))
        return;
    if (n >= ITEM_LABEL_LENGTH) {
        set_label(pi, parent, text, n);
        return;
    }
    slot = shared_slot(text, NULL, lang);
    if (slot->a || shared_keep(slot, text, NULL, lang, text, n))
        show_shared(pi, parent, slot->label);
    else
        set_label(pi, parent, text, n);
}

/* TRUE when Wireshark shows value in a label as it is: printable ASCII and
 * no backslash (it escapes anything else). */
static gboolean
shown_as_is(const char *value)
{
    const unsigned char *p = (const unsigned char *)value;
    for (; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '\\')
            return FALSE;
    return TRUE;
}

/* An English string item's label as Wireshark would make it when it prints
 * the item ("Name: value", the field's registered name), made once (see
 * above): proto_item_fill_label, which `tshark -V` and the GUI call for
 * every unlabelled item they show, formats and escapes the value each
 * time.  A value it would escape keeps its path. */
static void
label_as_wireshark(proto_item *pi, proto_tree *parent, const char *value, item_label_t **site)
{
    const char *name;
    shared_label *slot;

    if (!pi || pi == parent || !PITEM_FINFO(pi) || proto_item_is_hidden(pi))
        return;
    name = PITEM_FINFO(pi)->hfinfo->name;
    slot = shared_slot(name, value, TS_LANG_EN);
    if (slot->a) {
        show_shared(pi, parent, slot->label);
        if (site)
            *site = slot->label;
    } else if (shown_as_is(value)) {
        set_value_label(pi, parent, name, value, TRUE, site);
    }
}

/* A Chinese label: catalog message label, then shown (see add_text);
 * kept: shown is static. */
static void
label_in_chinese(proto_item *pi, proto_tree *parent, ts_text_id label, const char *shown,
                 gboolean kept, item_label_t **site)
{
    if (!set_value_label(pi, parent, tx(label), shown, kept, site))
        proto_item_set_text(pi, tx(TX_LABEL_VALUE_FMT), tx(label), shown);
}

/* Labels by call site: where an item's label is a function of the
 * language and one index (a stage, a state, an outcome), the shared label
 * is also kept in an array by that index, found without the table's hash
 * (issue 14: about 30 instructions an item).  SITE(arr, i): the slot of
 * index i in the site's array arr, NULL when i is out of range. */
static item_label_t *site_stage[TS_LANG_COUNT][TS_STAGE_COUNT];
static item_label_t *site_phase[TS_LANG_COUNT][TS_PHASE_COUNT];
static item_label_t *site_step[TS_LANG_COUNT][TS_STAGE_COUNT];
static item_label_t *site_role[TS_LANG_COUNT][3][2];          /* sender, closer, teardown role */
static item_label_t *site_outcome[TS_LANG_COUNT][TS_OUTCOME_COUNT];
static item_label_t *site_final[TS_LANG_COUNT][2][2][TS_STATE_COUNT];  /* role, final, state */
static item_label_t *site_zeek[TS_LANG_COUNT][TS_ZK_COUNT];
static item_label_t *site_anomaly[TS_LANG_COUNT][2][TS_ANOMALY_COUNT]; /* packet, connection */

#define SITE(arr, i) ((unsigned)(i) < G_N_ELEMENTS(arr) ? &(arr)[(unsigned)(i)] : NULL)

/* A string item labelled with catalog message label; shown (NULL: the
 * value) is what the label says in the language in use.  site (or NULL):
 * where this call's label for this value is kept. */
static proto_item *
add_text(proto_tree *t, tvbuff_t *tvb, int hf, const char *value,
         ts_text_id label, const char *shown, item_label_t **site)
{
    proto_item *pi = proto_tree_add_string(t, hf, tvb, 0, 0, value);

    if (site && *site)
        show_shared(pi, t, *site);
    else if (!in_chinese())
        label_as_wireshark(pi, t, value, site);
    else
        label_in_chinese(pi, t, label, shown ? shown : value, TRUE, site);
    return add_gen(pi);
}

/* A hidden string item: in English without a label (Wireshark makes one
 * when it is asked for, as -T pdml does; -V does not print hidden items),
 * in Chinese with the label add_text would give it.  kept: value is
 * static. */
static proto_item *
add_hidden_text(proto_tree *t, tvbuff_t *tvb, int hf, const char *value, ts_text_id label,
                gboolean kept)
{
    proto_item *pi = proto_tree_add_string(t, hf, tvb, 0, 0, value);

    if (in_chinese())
        label_in_chinese(pi, t, label, value, kept, NULL);
    proto_item_set_hidden(add_gen(pi));
    return pi;
}

/* A flag that is false says nothing on this packet: it is kept hidden
 * (tcpstate.retransmission == 0 still filters) and shown only when set. */
static void
add_flag(proto_tree *t, tvbuff_t *tvb, int hf, int set, ts_text_id label)
{
    proto_item *pi = add_gen(proto_tree_add_boolean(t, hf, tvb, 0, 0, set ? 1 : 0));

    if (in_chinese())
        label_in_chinese(pi, t, label, tx(set ? TX_YES : TX_NO), TRUE, NULL);
    if (!set)
        proto_item_set_hidden(pi);
}

/* v in decimal into buf (at least 11 bytes); returns buf. */
static const char *
decimal(char *buf, uint32_t v)
{
    char tmp[10];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return buf;
}

static proto_item *
add_number(proto_tree *t, tvbuff_t *tvb, int hf, uint32_t v, ts_text_id label)
{
    proto_item *pi = add_gen(proto_tree_add_uint(t, hf, tvb, 0, 0, v));
    char digits[11];

    /* TX_LABEL_NUMBER_FMT is TX_LABEL_VALUE_FMT with "%u" (test_labels) */
    if (in_chinese() && !set_value_label(pi, t, tx(label), decimal(digits, v), FALSE, NULL))
        proto_item_set_text(pi, tx(TX_LABEL_NUMBER_FMT), tx(label), v);
    return pi;
}

static void
add_duration(proto_tree *t, tvbuff_t *tvb, int hf, uint32_t us, ts_text_id label)
{
    nstime_t d;
    d.secs = (time_t)(us / 1000000u);
    d.nsecs = (int)(us % 1000000u) * 1000;
    if (!in_chinese())
        add_gen(proto_tree_add_time(t, hf, tvb, 0, 0, &d));
    else
        add_gen(proto_tree_add_time_format(t, hf, tvb, 0, 0, &d, tx(TX_LABEL_SECONDS_FMT), tx(label),
                                           us / 1000000u, us % 1000000u));
}

/* A line's length without the blank it was broken at. */
static size_t
shown_len(const char *line, size_t n)
{
    while (n && line[n - 1] == ' ')
        n--;
    return n;
}

/* A text-only item (no field of ours: Wireshark's own text pseudo-field,
 * as proto_tree_add_subtree_format makes it) with subtree type ett, its
 * label the n bytes at label.  Added as an item of hf_text_only and
 * labelled by set_label: the _format path would first vsnprintf an empty
 * "%s" into a label of its own (about 600 instructions; issue 14). */
static proto_tree *
add_text_item(proto_tree *tree, tvbuff_t *tvb, int ett, proto_item **item,
              const char *label, size_t n)
{
    proto_item *pi = proto_tree_add_item(tree, hf_text_only, tvb, 0, 0, ENC_NA);
    proto_tree *sub = proto_item_add_subtree(pi, ett);

    set_label(pi, tree, label, n);
    if (item)
        *item = pi;
    return sub;
}

/* A text-only line (no field) saying the n bytes at text. */
static void
add_text_line(proto_tree *tree, tvbuff_t *tvb, const char *text, size_t n)
{
    add_text_item(tree, tvb, ett_tcpstate_explanation, NULL, text, n);
}

/* The explanation once: the field's item carries the whole text as its
 * value (filters, -e) and the first line as its label; the other lines
 * follow as plain text items.  (A tree label holds at most 240 bytes, so
 * the text cannot be one label.) */
static void
add_explanation(proto_tree *tree, tvbuff_t *tvb, char *text, size_t len)
{
    const char *label = tx(TX_LBL_EXPLANATION);
    /* "Explanation: " or "解释：": the label and its colon take two columns
     * more than the label (": ", or a wide "：") */
    size_t n = wrap_len(text, len, TS_WRAP_COLUMNS - (display_cols(label) + 2));
    label_buf b;

    if (lb_took(&b, ts_label_explanation(b.s, sizeof b.s, tcpstate_language(), text,
                                         shown_len(text, n))))
        add_gen(add_string_labelled(tree, tvb, hf_explanation, text, b.s, b.n));
    else
        add_gen(proto_tree_add_string_format(tree, hf_explanation, tvb, 0, 0, text,
                                             tx(TX_LABEL_TEXT_FMT), label,
                                             (int)shown_len(text, n), text));
    /* The other lines are cut from the one buffer and copied into their
     * labels whole (set_label: no %s formatting of each). */
    text += n;
    len -= n;
    while (len) {
        n = wrap_len(text, len, TS_WRAP_COLUMNS);
        if (n == 0)
            break;
        add_text_line(tree, tvb, text, shown_len(text, n));
        text += n;
        len -= n;
    }
}

/* "Client: A -> B" with the after state as value and the before state below. */
static void
add_endpoint_states(proto_tree *st, tvbuff_t *tvb, unsigned role, int hf_after,
                    int hf_before, unsigned before, unsigned after)
{
    proto_item *pi;
    const char *label = ts_label_endpoint(tcpstate_language(), role, before, after);

    if (label) {
        pi = add_gen(proto_tree_add_string(st, hf_after, tvb, 0, 0, ts_state_name(after)));
        set_static_label(pi, st, label, strlen(label));
    } else {
        const char *who = tx(role == TS_CLIENT ? TX_CLIENT_TITLE : TX_SERVER_TITLE);
        pi = add_gen(proto_tree_add_string_format(st, hf_after, tvb, 0, 0,
                     ts_state_name(after), tx(TX_STATES_FMT), who,
                     ts_state_name(before), ts_state_name(after)));
    }
    /* The before state is in the label already: kept as a hidden field,
     * still filterable (tcpstate.client.before == "LISTEN"). */
    add_hidden_text(proto_item_add_subtree(pi, ett_tcpstate_states), tvb, hf_before,
                    ts_state_name(before),
                    role == TS_CLIENT ? TX_LBL_CLIENT_BEFORE : TX_LBL_SERVER_BEFORE, TRUE);
}

/* ---- Whole-connection fields ---------------------------------------------
 * The same values on every packet of a connection, so that a filter can
 * select whole connections (tcpstate.conn.zeek_state == "SF" matches every
 * packet of every SF connection).  A visited pass (tshark -2, the GUI) knows
 * the end of the capture and shows the final account; the first pass shows
 * what is known as of the packet, and the subtree's label says so. */

typedef struct {
    unsigned outcome, client, server, zeek;
    ts_anomaly_set anomalies;
    gboolean final;             /* the end of the capture is known */
} conn_facts;

static void
conn_facts_of(const ts_conn *conn, gboolean final, conn_facts *f)
{
    f->final = final;
    f->outcome = ts_conn_outcome(conn);
    /* known as of the packet (one pass): the states so far; once the
     * capture is read, the final ones (a never-answered SYN: LISTEN) */
    f->client = final ? ts_conn_final_state(conn, TS_CLIENT) : ts_conn_state_so_far(conn, TS_CLIENT);
    f->server = final ? ts_conn_final_state(conn, TS_SERVER) : ts_conn_state_so_far(conn, TS_SERVER);
    f->zeek = ts_zeek_conn_state(ts_conn_zeek(conn));
    f->anomalies = final ? ts_conn_final_anomalies(conn, capture_end_ns, tcpstate_grace_ns())
                         : ts_conn_anomalies_so_far(conn);
}

/* The whole-connection items, every one a field; labels translated like
 * the rest of the tree, values English. */
static void
add_conn_fields(proto_tree *tree, tvbuff_t *tvb, const conn_facts *f)
{
    ts_lang lang = tcpstate_language();
    unsigned an, fin = f->final ? 1 : 0;

    add_text(tree, tvb, hf_conn_outcome, ts_outcome_name(f->outcome), TX_LBL_CONN_OUTCOME,
             ts_outcome_label(f->outcome, lang), SITE(site_outcome[lang], f->outcome));
    add_text(tree, tvb, hf_conn_client_final, ts_state_name(f->client),
             f->final ? TX_LBL_CLIENT_FINAL : TX_LBL_CLIENT_SO_FAR, NULL,
             SITE(site_final[lang][TS_CLIENT][fin], f->client));
    add_text(tree, tvb, hf_conn_server_final, ts_state_name(f->server),
             f->final ? TX_LBL_SERVER_FINAL : TX_LBL_SERVER_SO_FAR, NULL,
             SITE(site_final[lang][TS_SERVER][fin], f->server));
    add_text(tree, tvb, hf_conn_zeek_state, ts_zeek_state_name(f->zeek), TX_LBL_CONN_ZEEK_STATE, NULL,
             SITE(site_zeek[lang], f->zeek));
    for (an = 0; an < TS_ANOMALY_COUNT; an++)
        if (f->anomalies & TS_BIT(an))
            add_text(tree, tvb, hf_conn_anomaly, ts_anomaly_name(an), TX_LBL_CONN_ANOMALY, NULL,
                     SITE(site_anomaly[lang][1], an));
}

/* The whole-connection line copied together (see label_buf); FALSE when
 * it would not fit. */
static gboolean
conn_label(const conn_facts *f, label_buf *b)
{
    return lb_took(b, ts_label_conn(b->s, sizeof b->s, tcpstate_language(), f->final, f->outcome,
                                    f->client, f->server, f->zeek, f->anomalies));
}

/* "Connection (whole capture): four-way close, ..." with the fields below. */
static void
add_conn_subtree(proto_tree *st, tvbuff_t *tvb, const ts_conn *conn, gboolean final)
{
    conn_facts f;
    label_buf b;
    proto_item *pi;
    proto_tree *sub;
    unsigned an, n = 0;

    conn_facts_of(conn, final, &f);
    if (conn_label(&f, &b)) {
        sub = add_text_item(st, tvb, ett_tcpstate_conn, &pi, b.s, b.n);
        add_gen(pi);
        add_conn_fields(sub, tvb, &f);
        return;
    }
    pi = proto_tree_add_subtree_format(st, tvb, 0, 0, ett_tcpstate_conn, &sub,
             tx(final ? TX_CONN_FINAL_FMT : TX_CONN_SO_FAR_FMT),
             ts_outcome_label(f.outcome, tcpstate_language()), ts_state_name(f.client),
             ts_state_name(f.server), ts_zeek_state_name(f.zeek));
    for (an = 0; an < TS_ANOMALY_COUNT; an++)
        if (f.anomalies & TS_BIT(an))
            proto_item_append_text(pi, "%s%s", n++ ? tx(TX_LIST_SEP) : "", ts_anomaly_name(an));
    if (!n)
        proto_item_append_text(pi, "%s", tx(TX_NONE_WORD));
    add_gen(pi);
    add_conn_fields(sub, tvb, &f);
}

/* Puts "label " before the Info column's text.  col_prepend_fstr costs
 * about 2,100 instructions (it copies the text aside, formats the label,
 * then concatenates the text back a byte at a time) and every segment with
 * SYN takes this path: in a SYN flood, every packet.  Here the new text is
 * joined once, with known lengths, in the packet's memory, and the column
 * points to it (col_set_str keeps the pointer; the packet's memory lives as
 * long as its dissection, which is as long as columns are read).  The
 * fence, if any, is cleared first (col_set_str would keep the text before
 * it and put ours after), then set again at the end: everything written so
 * far stays immutable for a later writer, as it does when TCP has fenced
 * its text and col_prepend_fstr moves the fence.  A text that would reach
 * Wireshark's limit takes col_prepend_fstr, which cuts it as before. */
static void
info_prepend(packet_info *pinfo, const char *label, size_t llen)
{
    const char *old;
    size_t olen;
    char *s;

    if (!col_get_writable(pinfo->cinfo, COL_INFO) ||
        !(old = col_get_text(pinfo->cinfo, COL_INFO)))
        return;
    olen = strlen(old);
    if (llen + 1 + olen >= COL_MAX_INFO_LEN) {
        col_prepend_fstr(pinfo->cinfo, COL_INFO, "%s ", label);
        return;
    }
    s = (char *)wmem_alloc(pinfo->pool, llen + 1 + olen + 1);
    memcpy(s, label, llen);
    s[llen] = ' ';
    memcpy(s + llen + 1, old, olen + 1);
    col_clear_fence(pinfo->cinfo, COL_INFO);
    col_set_str(pinfo->cinfo, COL_INFO, s);
    col_set_fence(pinfo->cinfo, COL_INFO);
}

/* The Info column: " [stage] [anomaly, ...]".  At the end, except where
 * TCP's own text is longest -- segments with SYN, whose option list (MSS,
 * SACK_PERM, TSval, TSecr, WS) pushes an appended label out of sight even at
 * 1600 pixels -- and where the preference info_column_first asks: there at
 * the start.  Plain data segments (stage Data transfer, no anomaly) get no
 * label unless info_column_data asks: most packets of a capture are that. */
static void
info_column(packet_info *pinfo, const ts_record *rec, ts_anomaly_set anomalies)
{
    char buf[512];
    const char *label;
    size_t llen;
    unsigned an;
    int first = 1;

    if (rec->stage == TS_STAGE_DATA && !anomalies && !(rec->rflags & TS_REC_RETRANS) &&
        !pref_info_data)
        return;
    /* (no format string: this runs for most packets) */
    label = ts_label_info(tcpstate_language(), rec->stage, &llen);
    if (label) {
        if (!anomalies) {           /* the common case: the label alone */
            if (pref_info_first || (rec->seg_flags & TS_SYN))
                info_prepend(pinfo, label, llen);
            else
                col_append_lstr(pinfo->cinfo, COL_INFO, " ", label, COL_ADD_LSTR_TERMINATOR);
            return;
        }
        g_strlcpy(buf, label, sizeof buf);
    } else {
        buf[0] = '\0';
        g_strlcat(buf, "[", sizeof buf);
        g_strlcat(buf, stage_label(rec->stage), sizeof buf);
        g_strlcat(buf, "]", sizeof buf);
    }
    for (an = 0; an < TS_ANOMALY_COUNT; an++) {
        if (!(anomalies & TS_BIT(an)))
            continue;
        g_strlcat(buf, first ? " [" : ", ", sizeof buf);
        g_strlcat(buf, ts_anomaly_name(an), sizeof buf);
        first = 0;
    }
    if (!first)
        g_strlcat(buf, "]", sizeof buf);
    if (pref_info_first || (rec->seg_flags & TS_SYN))
        info_prepend(pinfo, buf, strlen(buf));
    else
        col_append_lstr(pinfo->cinfo, COL_INFO, " ", buf, COL_ADD_LSTR_TERMINATOR);
}

/* "TCP Connection State Machine: Handshake 1/3: SYN (client CLOSED ->
 * SYN-SENT, server LISTEN -> LISTEN)" copied together (see label_buf): the
 * title, then the catalog's header format.  FALSE when it would not fit. */
static gboolean
header_label(const ts_record *rec, label_buf *b)
{
    return lb_took(b, ts_label_header(b->s, sizeof b->s, tcpstate_language(), rec->stage,
                                      ts_rec_client_before(rec), ts_rec_client_after(rec),
                                      ts_rec_server_before(rec), ts_rec_server_after(rec)));
}

/* The header's label: made whole when it fits, else formatted as always. */
static void
set_header(proto_tree *tree, proto_item *ti, const ts_record *rec)
{
    label_buf lb;

    if (header_label(rec, &lb)) {
        set_label(ti, tree, lb.s, lb.n);
        return;
    }
    if (in_chinese())
        proto_item_set_text(ti, "%s", tx(TX_TREE_TITLE));
    proto_item_append_text(ti, tx(TX_TREE_HEADER_FMT),
                           stage_label(rec->stage), role_shown(TS_CLIENT),
                           ts_state_name(ts_rec_client_before(rec)),
                           ts_state_name(ts_rec_client_after(rec)),
                           role_shown(TS_SERVER),
                           ts_state_name(ts_rec_server_before(rec)),
                           ts_state_name(ts_rec_server_after(rec)));
}

/* rec: the record to show (the stored one, or its hindsight view). */
void
render(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
       const ts_segment *seg, const ts_record *rec, ts_anomaly_set anomalies)
{
    const ts_conn *conn = rec->conn;
    ts_lang lang = tcpstate_language();
    unsigned stage = rec->stage;
    unsigned sender = (rec->rflags & TS_REC_SENDER_CLIENT) ? TS_CLIENT : TS_SERVER;
    proto_item *ti, *pi;
    proto_tree *st, *sub;
    char *expl;
    unsigned an;
    int closer;
    label_buf lb;

    if (pref_info_column)
        info_column(pinfo, rec, anomalies);

    if (!tree) {
        /* No tree, or nobody looks at ours (tshark's summary lines): the
         * expert infos still go to the expert tap.  (The loop stops after
         * the highest anomaly: most packets have none.) */
        for (an = 0; an < TS_ANOMALY_COUNT && (anomalies >> an); an++)
            if (anomalies & TS_BIT(an))
                add_expert(pinfo, NULL, an);
        return;
    }

    ti = proto_tree_add_item(tree, proto_tcpstate, tvb, 0, 0, ENC_NA);
    set_header(tree, ti, rec);
    add_gen(ti);
    st = proto_item_add_subtree(ti, ett_tcpstate);

    add_text(st, tvb, hf_stage, ts_stage_label(stage), TX_LBL_STAGE, stage_label(stage),
             SITE(site_stage[lang], stage));
    /* the stage in the language in use, for columns (the profile's Stage) */
    proto_item_set_hidden(add_gen(proto_tree_add_string(st, hf_stage_local, tvb, 0, 0,
                                                        stage_label(stage))));
    add_text(st, tvb, hf_phase, ts_phase_name(ts_stage_phase(stage)), TX_LBL_PHASE,
             ts_phase_label(ts_stage_phase(stage), lang), SITE(site_phase[lang], ts_stage_phase(stage)));
    if (ts_stage_step(stage)[0])
        add_text(st, tvb, hf_step, ts_stage_step(stage), TX_LBL_STEP, NULL, SITE(site_step[lang], stage));
    add_text(st, tvb, hf_sender, role_name(sender), TX_LBL_SENDER, role_shown(sender),
             SITE(site_role[lang][0], sender));

    add_endpoint_states(st, tvb, TS_CLIENT, hf_client_after, hf_client_before,
                        ts_rec_client_before(rec), ts_rec_client_after(rec));
    add_endpoint_states(st, tvb, TS_SERVER, hf_server_after, hf_server_before,
                        ts_rec_server_before(rec), ts_rec_server_after(rec));

    if (conn && (closer = ts_conn_closer_at(conn, pinfo->num)) >= 0) {
        add_text(st, tvb, hf_closer, role_name((unsigned)closer), TX_LBL_CLOSER,
                 role_shown((unsigned)closer), SITE(site_role[lang][1], closer));
        if (ts_stage_phase(stage) == TS_PHASE_TEARDOWN) {
            int active = (int)sender == closer ||
                         stage == TS_STAGE_SIMCLOSE_FIN || stage == TS_STAGE_SIMCLOSE_ACK;
            ts_text_id role = active ? TX_ROLE_ACTIVE_CLOSE : TX_ROLE_PASSIVE_CLOSE;
            add_text(st, tvb, hf_teardown_role, ts_text(role, TS_LANG_EN), TX_LBL_TEARDOWN_ROLE,
                     tx(role), SITE(site_role[lang][2], active));
        }
    }

    add_flag(st, tvb, hf_retransmission, rec->rflags & TS_REC_RETRANS, TX_LBL_RETRANSMISSION);
    add_flag(st, tvb, hf_inferred, rec->rflags & TS_REC_INFERRED, TX_LBL_INFERRED);

    if (rec->related_frame)
        add_number(st, tvb, hf_related_frame, rec->related_frame, TX_LBL_RELATED_FRAME);
    if (conn) {
        /* Connection 0 is the only one on most four-tuples: shown only when
         * ports were reused (a later connection, or one followed by more). */
        proto_item *pi_conn = add_number(st, tvb, hf_conn, ts_conn_index(conn), TX_LBL_CONN);
        if (ts_conn_index(conn) == 0 && !ts_conn_next(conn))
            proto_item_set_hidden(pi_conn);
    }

    if (rec->rflags & TS_REC_TIME_VALID) {
        if (stage == TS_STAGE_SYNACK || stage == TS_STAGE_SIMOPEN_SYNACK)
            add_duration(st, tvb, hf_time_syn_to_synack, rec->delta_us, TX_LBL_SYN_TO_SYNACK);
        else if (ts_stage_phase(stage) == TS_PHASE_HANDSHAKE)
            add_duration(st, tvb, hf_time_synack_to_ack, rec->delta_us, TX_LBL_SYNACK_TO_ACK);
        else
            add_duration(st, tvb, hf_time_teardown, rec->delta_us, TX_LBL_TEARDOWN_TIME);
    }

    expl = (char *)wmem_alloc(pinfo->pool, TS_EXPLAIN_MAX);
    add_explanation(st, tvb, expl,
                    ts_explain(rec, seg, tcpstate_language(), tcpstate_analogy(), expl, TS_EXPLAIN_MAX));

    if (conn) {
        char hist[TS_ZEEK_HISTORY_MAX + 1];
        /* the Zeek connection this frame belongs to (Zeek may have split) */
        const ts_zeek *zk = ts_zeek_at_frame(ts_conn_zeek(conn), seg->frame);
        size_t n = ts_zeek_history_len_at(zk, rec->zeek_hist_len);
        if (n > TS_ZEEK_HISTORY_MAX)
            n = TS_ZEEK_HISTORY_MAX;
        memcpy(hist, ts_zeek_history(zk), n);
        hist[n] = '\0';
        if (lb_took(&lb, ts_label_zeek(lb.s, sizeof lb.s, tcpstate_language(), rec->zeek_state,
                                       hist, n)))
            pi = add_gen(add_string_labelled(st, tvb, hf_zeek_conn_state,
                                             ts_zeek_state_name(rec->zeek_state), lb.s, lb.n));
        else
            pi = add_gen(proto_tree_add_string_format(st, hf_zeek_conn_state, tvb, 0, 0,
                     ts_zeek_state_name(rec->zeek_state),
                     tx(TX_ZEEK_LINE_FMT), ts_zeek_state_name(rec->zeek_state),
                     ts_zeek_state_desc_in(rec->zeek_state, tcpstate_language()),
                     n ? hist : tx(TX_EMPTY)));
        /* the history is in the label: a hidden field */
        sub = proto_item_add_subtree(pi, ett_tcpstate_zeek);
        add_hidden_text(sub, tvb, hf_zeek_history, hist, TX_LBL_ZEEK_HISTORY, FALSE);
        {
            proto_item *zi = add_number(sub, tvb, hf_zeek_conn, ts_zeek_index(zk), TX_LBL_ZEEK_CONN);
            if (!ts_zeek_index(zk))   /* the first Zeek connection: says nothing, stays filterable */
                proto_item_set_hidden(zi);
        }
        if (ts_zeek_index(zk) && ts_zeek_first_frame(zk) == seg->frame && !(rec->rflags & TS_REC_ICMP))
            add_gen(proto_tree_add_string_format(sub, hf_zeek_split, tvb, 0, 0,
                    ts_zeek_split_name(zk->split_reason),
                    tx(TX_ZEEK_SPLIT_FMT),
                    ts_zeek_split_desc_in(zk->split_reason, tcpstate_language())));
    }

    for (an = 0; an < TS_ANOMALY_COUNT && (anomalies >> an); an++) {
        if (!(anomalies & TS_BIT(an)))
            continue;
        pi = add_text(st, tvb, hf_anomaly, ts_anomaly_name(an), TX_LBL_ANOMALY, NULL,
                      SITE(site_anomaly[lang][0], an));
        add_expert(pinfo, pi, an);
    }

    if (conn)
        add_conn_subtree(st, tvb, conn, PINFO_FD_VISITED(pinfo));
}

/* ---- A filter on the end of the capture (taps, one pass) --------------------
 * In one pass a packet is filtered as it goes by, before the rest of the
 * capture is known: tcpstate.anomaly == "syn_unanswered" or
 * tcpstate.conn.outcome == "refused" cannot match then.  At draw time the
 * taps ask again here, on a scratch tree that holds what a second pass would
 * show for the record: its tcpstate fields (ts_hindsight, the deferred
 * anomalies, the whole-connection fields; not the explanation, which needs
 * the segment).  Other protocols' fields are not there, so a filter that
 * also needs them (tcp.port == 80 && tcpstate.anomaly) can still only match
 * on the pass itself. */

static void
add_final_fields(proto_tree *t, tvbuff_t *tvb, const ts_record *rec, uint32_t frame)
{
    ts_record v = ts_hindsight(rec, frame);
    const ts_conn *conn = rec->conn;
    unsigned sender = (v.rflags & TS_REC_SENDER_CLIENT) ? TS_CLIENT : TS_SERVER;
    ts_anomaly_set an = v.anomalies |
                        ts_deferred_anomalies(rec, capture_end_ns, tcpstate_grace_ns(),
                                              frame == ts_conn_last_frame(conn));
    conn_facts f;
    unsigned a;

    proto_tree_add_item(t, proto_tcpstate, tvb, 0, 0, ENC_NA);
    proto_tree_add_string(t, hf_stage, tvb, 0, 0, ts_stage_label(v.stage));
    proto_tree_add_string(t, hf_stage_local, tvb, 0, 0, stage_label(v.stage));
    proto_tree_add_string(t, hf_phase, tvb, 0, 0, ts_phase_name(ts_stage_phase(v.stage)));
    if (ts_stage_step(v.stage)[0])
        proto_tree_add_string(t, hf_step, tvb, 0, 0, ts_stage_step(v.stage));
    proto_tree_add_string(t, hf_sender, tvb, 0, 0, role_name(sender));
    proto_tree_add_string(t, hf_client_before, tvb, 0, 0, ts_state_name(ts_rec_client_before(&v)));
    proto_tree_add_string(t, hf_client_after, tvb, 0, 0, ts_state_name(ts_rec_client_after(&v)));
    proto_tree_add_string(t, hf_server_before, tvb, 0, 0, ts_state_name(ts_rec_server_before(&v)));
    proto_tree_add_string(t, hf_server_after, tvb, 0, 0, ts_state_name(ts_rec_server_after(&v)));
    proto_tree_add_boolean(t, hf_retransmission, tvb, 0, 0, (v.rflags & TS_REC_RETRANS) ? 1 : 0);
    proto_tree_add_boolean(t, hf_inferred, tvb, 0, 0, (v.rflags & TS_REC_INFERRED) ? 1 : 0);
    if (v.related_frame)
        proto_tree_add_uint(t, hf_related_frame, tvb, 0, 0, v.related_frame);
    proto_tree_add_uint(t, hf_conn, tvb, 0, 0, ts_conn_index(conn));
    proto_tree_add_string(t, hf_zeek_conn_state, tvb, 0, 0, ts_zeek_state_name(v.zeek_state));
    for (a = 0; a < TS_ANOMALY_COUNT; a++)
        if (an & TS_BIT(a))
            proto_tree_add_string(t, hf_anomaly, tvb, 0, 0, ts_anomaly_name(a));
    conn_facts_of(conn, TRUE, &f);
    proto_tree_add_string(t, hf_conn_outcome, tvb, 0, 0, ts_outcome_name(f.outcome));
    proto_tree_add_string(t, hf_conn_client_final, tvb, 0, 0, ts_state_name(f.client));
    proto_tree_add_string(t, hf_conn_server_final, tvb, 0, 0, ts_state_name(f.server));
    proto_tree_add_string(t, hf_conn_zeek_state, tvb, 0, 0, ts_zeek_state_name(f.zeek));
    for (a = 0; a < TS_ANOMALY_COUNT; a++)
        if (f.anomalies & TS_BIT(a))
            proto_tree_add_string(t, hf_conn_anomaly, tvb, 0, 0, ts_anomaly_name(a));
}

gboolean
tcpstate_final_record_matches(struct epan_dfilter *df, struct epan_session *epan,
                              const ts_record *rec, uint32_t frame)
{
    static const guint8 nothing[1];
    epan_dissect_t *edt;
    tvbuff_t *tvb;
    gboolean match;

    if (!df || !epan || !rec || !rec->conn)
        return FALSE;
    edt = epan_dissect_new(epan, TRUE, FALSE);
    epan_dissect_prime_with_dfilter(edt, df);
    tvb = tvb_new_real_data(nothing, 0, 0);
    add_final_fields(edt->tree, tvb, rec, frame);
    match = dfilter_apply_edt(df, edt);
    tvb_free(tvb);
    epan_dissect_free(edt);
    return match;
}
